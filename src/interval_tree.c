// SPDX-License-Identifier: MIT
/*
 * interval_tree.c - the augmented interval tree of interval_tree.h, and
 * the two trees the reverse map keeps with it (Linux's mm/interval_tree.c):
 *
 *   vma_interval_tree_*       mapping->i_mmap: every VMA mapping a file,
 *                             keyed by the file pages it covers
 *                             (vma->shared); protected by i_mmap_rwsem.
 *   anon_vma_interval_tree_*  anon_vma->rb_root: the anon_vma_chain links
 *                             of every VMA that may map the anon_vma's
 *                             folios, keyed by the VMA's page offsets
 *                             (avc->rb); protected by the root anon_vma's
 *                             rwsem.
 *
 * The tree is an AVL tree with parent links.  Updates are recursive
 * (depth <= 1.44 log2 n, so a few dozen frames at most); every node on the
 * changed path is "fixed" on the way back up: its children's parent links,
 * its height and its cached subtree_last are recomputed from its children,
 * and rotations re-fix the two nodes they move.  Queries use the cached
 * subtree_last to skip subtrees that end before the query starts, and the
 * order by start to stop at the first node that starts after it.
 */
#include "internal.h"

/* --- the generic tree -------------------------------------------------------- */

static int node_height(const struct interval_tree_node *n)
{
	return n ? n->height : 0;
}

/*
 * Ordering: by start, then by insertion (interval_tree.h).  The sequence
 * number is global, so it is a plain counter bumped atomically (inserts
 * into different trees run under different locks); only its order
 * matters.
 */
static atomic_long_t insert_seq = ATOMIC_LONG_INIT(0);

static bool node_before(const struct interval_tree_node *a,
			const struct interval_tree_node *b)
{
	if (a->start != b->start)
		return a->start < b->start;
	return a->seq < b->seq;
}

/* Recompute @n's height and subtree_last from its children, and point the
 * children back at it. */
static void fix(struct interval_tree_node *n)
{
	int hl = node_height(n->left), hr = node_height(n->right);
	unsigned long sl = n->last;

	n->height = 1 + (hl > hr ? hl : hr);
	if (n->left) {
		n->left->parent = n;
		if (n->left->subtree_last > sl)
			sl = n->left->subtree_last;
	}
	if (n->right) {
		n->right->parent = n;
		if (n->right->subtree_last > sl)
			sl = n->right->subtree_last;
	}
	n->subtree_last = sl;
}

static struct interval_tree_node *rotate_right(struct interval_tree_node *y)
{
	struct interval_tree_node *x = y->left;

	y->left = x->right;
	x->right = y;
	fix(y);
	fix(x);
	return x;
}

static struct interval_tree_node *rotate_left(struct interval_tree_node *x)
{
	struct interval_tree_node *y = x->right;

	x->right = y->left;
	y->left = x;
	fix(x);
	fix(y);
	return y;
}

/* Fix @n and restore the AVL balance of its subtree; returns its new root. */
static struct interval_tree_node *rebalance(struct interval_tree_node *n)
{
	int balance;

	fix(n);
	balance = node_height(n->left) - node_height(n->right);
	if (balance > 1) {
		if (node_height(n->left->left) < node_height(n->left->right))
			n->left = rotate_left(n->left);
		return rotate_right(n);
	}
	if (balance < -1) {
		if (node_height(n->right->right) < node_height(n->right->left))
			n->right = rotate_right(n->right);
		return rotate_left(n);
	}
	return n;
}

static struct interval_tree_node *insert_at(struct interval_tree_node *sub,
					    struct interval_tree_node *node)
{
	if (!sub)
		return node;
	if (node_before(node, sub))
		sub->left = insert_at(sub->left, node);
	else
		sub->right = insert_at(sub->right, node);
	return rebalance(sub);
}

/*
 * interval_tree_insert - see interval_tree.h.
 */
void interval_tree_insert(struct interval_tree_node *node, struct pnm_itree_root *root)
{
	VM_BUG_ON(node->height != 0);
	VM_BUG_ON(node->start > node->last);
	node->left = node->right = node->parent = NULL;
	node->height = 1;
	node->subtree_last = node->last;
	node->seq = (unsigned long)atomic_long_add_return(1, &insert_seq);
	root->node = insert_at(root->node, node);
	root->node->parent = NULL;
	root->nr++;
}

/* Detach the leftmost node of @sub into *@min; returns the new subtree. */
static struct interval_tree_node *remove_min(struct interval_tree_node *sub,
					     struct interval_tree_node **min)
{
	if (!sub->left) {
		*min = sub;
		return sub->right;
	}
	sub->left = remove_min(sub->left, min);
	return rebalance(sub);
}

static struct interval_tree_node *remove_at(struct interval_tree_node *sub,
					    struct interval_tree_node *node)
{
	struct interval_tree_node *succ, *right;

	VM_BUG_ON(!sub);	/* @node is not in this tree */
	if (sub != node) {
		if (node_before(node, sub))
			sub->left = remove_at(sub->left, node);
		else
			sub->right = remove_at(sub->right, node);
		return rebalance(sub);
	}
	if (!node->left)
		return node->right;
	if (!node->right)
		return node->left;
	/* Two children: the in-order successor takes the node's place. */
	right = remove_min(node->right, &succ);
	succ->left = node->left;
	succ->right = right;
	return rebalance(succ);
}

/*
 * interval_tree_remove - see interval_tree.h.
 */
void interval_tree_remove(struct interval_tree_node *node, struct pnm_itree_root *root)
{
	VM_BUG_ON(node->height == 0);
	root->node = remove_at(root->node, node);
	if (root->node)
		root->node->parent = NULL;
	root->nr--;
	node->left = node->right = node->parent = NULL;
	node->height = 0;
}

/*
 * The leftmost node of the subtree @n that intersects [start, last], or
 * NULL.  Caller checked that n->subtree_last >= start.  If the left
 * subtree reaches @start, the leftmost intersecting node (if any) is
 * there: any node further right starts no earlier than the leftmost one
 * of the left subtree that reaches @start, so if that one starts after
 * @last they all do.
 */
static struct interval_tree_node *subtree_first(struct interval_tree_node *n,
						unsigned long start, unsigned long last)
{
	for (;;) {
		if (n->left && n->left->subtree_last >= start) {
			n = n->left;
			continue;
		}
		if (n->start > last)
			return NULL;
		if (n->last >= start)
			return n;
		n = n->right;
		if (!n || n->subtree_last < start)
			return NULL;
	}
}

/*
 * interval_tree_iter_first - see interval_tree.h.
 */
struct interval_tree_node *interval_tree_iter_first(const struct pnm_itree_root *root,
						    unsigned long start,
						    unsigned long last)
{
	struct interval_tree_node *n = root->node;

	if (!n || n->subtree_last < start)
		return NULL;
	return subtree_first(n, start, last);
}

/*
 * interval_tree_iter_next - see interval_tree.h.  In-order successor
 * search that enters a right subtree only if it reaches @start, and stops
 * as soon as an ancestor starts after @last (everything after it does).
 */
struct interval_tree_node *interval_tree_iter_next(struct interval_tree_node *node,
						   unsigned long start,
						   unsigned long last)
{
	struct interval_tree_node *n = node, *from;

	for (;;) {
		if (n->right && n->right->subtree_last >= start)
			return subtree_first(n->right, start, last);
		/* Climb until we come up from a left child. */
		do {
			from = n;
			n = n->parent;
			if (!n)
				return NULL;
		} while (n->right == from);
		if (n->start > last)
			return NULL;
		if (n->last >= start)
			return n;
	}
}

/* --- checking ------------------------------------------------------------------ */

struct itree_check {
	const char *what;
	unsigned long count;
	const struct interval_tree_node *prev;	/* in-order predecessor */
	bool ok;
};

static void check_subtree(struct itree_check *c, const struct interval_tree_node *n,
			  const struct interval_tree_node *parent, int depth)
{
	int hl, hr;
	unsigned long sl;

	if (!n || !c->ok)
		return;
	if (depth > 128) {
		c->ok = pnm_check_fail("%s: interval tree deeper than 128 (a cycle?)", c->what);
		return;
	}
	if (n->parent != parent) {
		c->ok = pnm_check_fail("%s: node [%#lx,%#lx] has a wrong parent link",
				       c->what, n->start, n->last);
		return;
	}
	check_subtree(c, n->left, n, depth + 1);
	if (!c->ok)
		return;
	c->count++;
	if (n->start > n->last)
		c->ok = pnm_check_fail("%s: node with start %#lx > last %#lx",
				       c->what, n->start, n->last);
	else if (c->prev && node_before(n, c->prev))
		c->ok = pnm_check_fail("%s: node [%#lx,%#lx] out of order",
				       c->what, n->start, n->last);
	c->prev = n;
	check_subtree(c, n->right, n, depth + 1);
	if (!c->ok)
		return;
	hl = node_height(n->left);
	hr = node_height(n->right);
	sl = n->last;
	if (n->left && n->left->subtree_last > sl)
		sl = n->left->subtree_last;
	if (n->right && n->right->subtree_last > sl)
		sl = n->right->subtree_last;
	if (n->height != 1 + (hl > hr ? hl : hr) || hl - hr > 1 || hr - hl > 1)
		c->ok = pnm_check_fail("%s: node [%#lx,%#lx] height %d, children %d/%d",
				       c->what, n->start, n->last, n->height, hl, hr);
	else if (n->subtree_last != sl)
		c->ok = pnm_check_fail("%s: node [%#lx,%#lx] subtree_last %#lx, expected %#lx",
				       c->what, n->start, n->last, n->subtree_last, sl);
}

/*
 * pnm_check_itree - see interval_tree.h.
 */
bool pnm_check_itree(const struct pnm_itree_root *root, const char *what)
{
	struct itree_check c = { .what = what, .ok = true };

	check_subtree(&c, root->node, NULL, 0);
	if (c.ok && c.count != root->nr)
		c.ok = pnm_check_fail("%s: %lu nodes but the root counts %lu",
				      what, c.count, root->nr);
	return c.ok;
}

/*
 * pnm_check_itree_once - see interval_tree.h.  The stamp is a hint read and
 * written with relaxed atomics (READ_ONCE/WRITE_ONCE, pairing with nothing):
 * checkers of other threads may stamp the same tree with their own pass
 * under the same shared lock, which at worst checks a tree twice; a pass
 * number is never reused (pnm_check_pass()), so no tree is skipped unchecked
 * within a pass.
 */
bool pnm_check_itree_once(struct pnm_itree_root *root, const char *what)
{
	unsigned long pass = pnm_check_pass();

	if (pass && READ_ONCE(root->checked_pass) == pass)
		return true;
	if (!pnm_check_itree(root, what))
		return false;
	if (pass)
		WRITE_ONCE(root->checked_pass, pass);
	return true;
}

/*
 * pnm_itree_contains - see interval_tree.h.
 */
bool pnm_itree_contains(const struct pnm_itree_root *root,
			const struct interval_tree_node *node)
{
	const struct interval_tree_node *n = node;

	if (!interval_tree_node_linked(node))
		return false;
	for (int depth = 0; n->parent; depth++) {
		if (depth > 128)
			return false;
		n = n->parent;
	}
	return n == root->node;
}

/* --- the two trees of the reverse map ------------------------------------------ */

/* The file pages [first, last] that @vma maps. */
static void vma_range(const struct vm_area_struct *vma, unsigned long *first,
		      unsigned long *last)
{
	*first = vma->vm_pgoff;
	*last = vma->vm_pgoff + vma_pages(vma) - 1;
}

/*
 * vma_interval_tree_insert - index @vma in @root (its file's i_mmap) under
 * its current range.  A writable shared VMA also counts in the mapping's
 * i_mmap_writable (Linux does that in __vma_link_file() and
 * __remove_shared_vm_struct(); every VMA enters and leaves the tree here,
 * whole or re-keyed around a range change, so the count stays exact).
 * i_mmap_rwsem held for write.
 */
void vma_interval_tree_insert(struct vm_area_struct *vma, struct pnm_itree_root *root)
{
	vma_range(vma, &vma->shared.start, &vma->shared.last);
	interval_tree_insert(&vma->shared, root);
	if (vma_is_shared_maywrite(vma))
		mapping_allow_writable(vma->vm_file->f_mapping);
}

/* vma_interval_tree_remove - take @vma out of @root (and out of the
 * mapping's i_mmap_writable).  i_mmap_rwsem held for write. */
void vma_interval_tree_remove(struct vm_area_struct *vma, struct pnm_itree_root *root)
{
	interval_tree_remove(&vma->shared, root);
	if (vma_is_shared_maywrite(vma))
		mapping_unmap_writable(vma->vm_file->f_mapping);
}

/*
 * vma_interval_tree_iter_first/next - the VMAs of @root that map any file
 * page in [first, last].  i_mmap_rwsem held (any mode).
 */
struct vm_area_struct *vma_interval_tree_iter_first(struct pnm_itree_root *root,
						    unsigned long first, unsigned long last)
{
	struct interval_tree_node *n = interval_tree_iter_first(root, first, last);

	return n ? container_of(n, struct vm_area_struct, shared) : NULL;
}

struct vm_area_struct *vma_interval_tree_iter_next(struct vm_area_struct *vma,
						   unsigned long first, unsigned long last)
{
	struct interval_tree_node *n = interval_tree_iter_next(&vma->shared, first, last);

	return n ? container_of(n, struct vm_area_struct, shared) : NULL;
}

/*
 * anon_vma_interval_tree_insert - index @avc in @root (its anon_vma's
 * tree) under its VMA's current range.  Root anon_vma rwsem held for
 * write.
 */
void anon_vma_interval_tree_insert(struct anon_vma_chain *avc, struct pnm_itree_root *root)
{
	vma_range(avc->vma, &avc->rb.start, &avc->rb.last);
	interval_tree_insert(&avc->rb, root);
}

/* anon_vma_interval_tree_remove - take @avc out of @root.  Root anon_vma
 * rwsem held for write. */
void anon_vma_interval_tree_remove(struct anon_vma_chain *avc, struct pnm_itree_root *root)
{
	interval_tree_remove(&avc->rb, root);
}

/*
 * anon_vma_interval_tree_iter_first/next - the chain links of @root whose
 * VMA covers any page offset in [first, last].  Root rwsem held (any mode).
 */
struct anon_vma_chain *anon_vma_interval_tree_iter_first(struct pnm_itree_root *root,
							 unsigned long first,
							 unsigned long last)
{
	struct interval_tree_node *n = interval_tree_iter_first(root, first, last);

	return n ? container_of(n, struct anon_vma_chain, rb) : NULL;
}

struct anon_vma_chain *anon_vma_interval_tree_iter_next(struct anon_vma_chain *avc,
							unsigned long first,
							unsigned long last)
{
	struct interval_tree_node *n = interval_tree_iter_next(&avc->rb, first, last);

	return n ? container_of(n, struct anon_vma_chain, rb) : NULL;
}
