/* SPDX-License-Identifier: MIT */
/*
 * interval_tree.h - the interval trees of the reverse map.
 *
 * Linux finds the mappings of a page through two interval trees keyed by
 * page offset: a file's mapping->i_mmap (every VMA that maps the file,
 * keyed by [vm_pgoff, vm_pgoff + pages - 1]) and each anon_vma's tree of
 * anon_vma_chain links (keyed by the linked VMA's range).  A walker asks
 * for every node whose closed interval [start, last] intersects the page
 * offsets of a folio.
 *
 * The model keeps both in one intrusive, augmented, height-balanced (AVL)
 * binary search tree: ordered by start, ties by order of insertion (a node
 * inserted later comes after every node with the same start, as in
 * Linux), each node caching the largest `last` of its subtree
 * so that a query skips every subtree that ends before it.  Insert, remove
 * and the first match are O(log n); each further match is O(log n)
 * amortised.  Linux uses an augmented red-black tree; the balancing scheme
 * is invisible to callers.
 *
 * Walk order matters: fork links the child's VMA after the parent's (same
 * start, inserted later) and only then copies the parent's entries, so a
 * walker that meets the parent before the child never misses an entry fork
 * copied behind it (remove_migration_ptes relies on this).
 *
 * A node stores its own interval, copied at insert.  Whoever changes the
 * range an indexed object covers (a VMA split, merge or move) removes the
 * node, changes the object and inserts it again, under the lock that
 * protects the tree (i_mmap_rwsem, anon_vma->root->rwsem).  Readers hold
 * that lock shared; the tree itself has no lock.
 */
#ifndef PNM_MODEL_INTERVAL_TREE_H
#define PNM_MODEL_INTERVAL_TREE_H

#include <stdbool.h>
#include <stddef.h>

struct interval_tree_node {
	struct interval_tree_node *parent, *left, *right;
	unsigned long start;		/* first offset (inclusive) */
	unsigned long last;		/* last offset (inclusive) */
	unsigned long subtree_last;	/* max last in this subtree */
	unsigned long seq;		/* insertion order, for ties */
	int height;			/* 1 for a leaf; 0: not in a tree */
};

/* The root of a tree; zero-initialised is empty. */
struct pnm_itree_root {
	struct interval_tree_node *node;
	unsigned long nr;		/* nodes in the tree */
	/* the checker's pass that last checked this tree's shape
	 * (pnm_check_itree_once); READ_ONCE/WRITE_ONCE, a hint only */
	unsigned long checked_pass;
};

#define PNM_ITREE_ROOT_INIT	{ NULL, 0, 0 }

static inline bool pnm_itree_empty(const struct pnm_itree_root *root)
{
	return root->node == NULL;
}

/* Is @node in some tree?  (Nodes are zeroed when removed.) */
static inline bool interval_tree_node_linked(const struct interval_tree_node *node)
{
	return node->height != 0;
}

/*
 * Insert @node, whose start and last the caller has set (start <= last),
 * into @root.  The node must not be in a tree.  Cannot fail.
 */
void interval_tree_insert(struct interval_tree_node *node, struct pnm_itree_root *root);

/* Remove @node (which is in @root) and zero its links.  Cannot fail. */
void interval_tree_remove(struct interval_tree_node *node, struct pnm_itree_root *root);

/*
 * The first node, in tree order, whose interval intersects [start, last],
 * or NULL.
 */
struct interval_tree_node *interval_tree_iter_first(const struct pnm_itree_root *root,
						    unsigned long start,
						    unsigned long last);

/* The next node after @node, in tree order, that intersects [start, last]. */
struct interval_tree_node *interval_tree_iter_next(struct interval_tree_node *node,
						   unsigned long start,
						   unsigned long last);

/*
 * Check @root: order, balance (AVL heights), cached subtree_last, parent
 * links, node count.  Reports the first problem through pnm_check_fail()
 * naming @what.  Caller holds the tree's lock (any mode).
 */
bool pnm_check_itree(const struct pnm_itree_root *root, const char *what);

/*
 * pnm_check_itree() once per checker pass: inside pnm_check_system()'s walk
 * of the mms (pnm_check_pass() non-zero) a tree already checked in this
 * pass is not checked again -- a tree shared by N VMAs costs its size once,
 * not N times.  Outside a pass, the same as pnm_check_itree().  Caller
 * holds the tree's lock (any mode).
 */
bool pnm_check_itree_once(struct pnm_itree_root *root, const char *what);

/*
 * Is @node a node of @root?  Follows the parent links up (at most 128, the
 * checker's depth bound): O(log n), where a search of the nodes that
 * intersect @node's range is O(n) when many nodes share it.  Caller holds
 * the tree's lock (any mode).
 */
bool pnm_itree_contains(const struct pnm_itree_root *root,
			const struct interval_tree_node *node);

#endif /* PNM_MODEL_INTERVAL_TREE_H */
