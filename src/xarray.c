// SPDX-License-Identifier: MIT
/*
 * xarray.c - a radix tree of pointers indexed by unsigned long.
 *
 * The page cache maps file page indexes to folios with it.  The tree is
 * made of nodes of XA_CHUNK_SIZE (64) slots.  A tree of height h has h
 * levels of nodes; the root (xa_head) covers indexes [0, 64^h) and a node
 * at level l (1 = leaf) uses bits [6(l-1), 6l) of the index to choose a
 * slot.  Leaf slots hold the entries; other slots hold child nodes.  An
 * empty tree has xa_head == NULL and height 0.  Eleven levels cover all 64
 * bits of an index.
 *
 * The shape is canonical: a node exists only if some entry lies below it
 * (empty nodes are freed at once), and the height is the smallest that
 * covers the largest index present (a root whose only used slot is slot 0
 * is replaced by its child).  So the shape depends only on the set of
 * indexes stored, which pnm_check_xarray() verifies.
 *
 * Stores that need new nodes allocate all of them before touching the tree,
 * so -ENOMEM leaves it exactly as it was.
 *
 * Locking: every access is under xa->xa_lock (the caller takes it for the
 * _locked variants).  There are no lockless (RCU) readers in the model.
 */
#include <stdlib.h>

#include "internal.h"

#define XA_CHUNK_SHIFT	6
#define XA_CHUNK_SIZE	(1U << XA_CHUNK_SHIFT)
#define XA_CHUNK_MASK	(XA_CHUNK_SIZE - 1)
/* Levels needed to cover every bit of an unsigned long. */
#define XA_MAX_HEIGHT	((BITS_PER_LONG + XA_CHUNK_SHIFT - 1) / XA_CHUNK_SHIFT)

struct xa_node {
	unsigned char shift;		/* XA_CHUNK_SHIFT * (level - 1) */
	unsigned char offset;		/* slot index in the parent */
	unsigned char count;		/* non-NULL slots */
	struct xa_node *parent;		/* NULL for the root */
	void *slots[XA_CHUNK_SIZE];	/* entries (leaf) or child nodes */
};

/* Largest index a tree of @height covers. */
static unsigned long xa_max_index(unsigned int height)
{
	if (height * XA_CHUNK_SHIFT >= BITS_PER_LONG)
		return ~0UL;
	return (1UL << (height * XA_CHUNK_SHIFT)) - 1;
}

/* Smallest height that covers @index (at least 1). */
static unsigned int xa_height_for(unsigned long index)
{
	unsigned int h = 1;

	while (index > xa_max_index(h))
		h++;
	return h;
}

static inline unsigned int node_offset(const struct xa_node *node,
				       unsigned long index)
{
	return (index >> node->shift) & XA_CHUNK_MASK;
}

/*
 * Initialise an empty array and its lock.  Pair with xa_destroy().
 */
void xa_init(struct xarray *xa)
{
	spin_lock_init(&xa->xa_lock);
	xa->xa_head = NULL;
	xa->xa_height = 0;
	xa->xa_count = 0;
}

static void free_nodes(struct xa_node *node)
{
	unsigned int i;

	if (node->shift) {
		for (i = 0; i < XA_CHUNK_SIZE; i++)
			if (node->slots[i])
				free_nodes(node->slots[i]);
	}
	free(node);
}

/*
 * Free every node and the lock.  The entries themselves are not touched:
 * the owner drops whatever they refer to first.  Nobody may use @xa any
 * more (it can be re-initialised with xa_init()).
 */
void xa_destroy(struct xarray *xa)
{
	if (xa->xa_head)
		free_nodes(xa->xa_head);
	xa->xa_head = NULL;
	xa->xa_height = 0;
	xa->xa_count = 0;
	spin_lock_destroy(&xa->xa_lock);
}

/*
 * The entry at @index, or NULL.  Caller holds xa_lock; the entry stays
 * valid only as long as the owner's rules say (the page cache: while the
 * lock is held, or after taking a reference under it).
 */
void *xa_load_locked(struct xarray *xa, unsigned long index)
{
	struct xa_node *node = xa->xa_head;

	lockdep_assert_held(&xa->xa_lock);
	if (!node || index > xa_max_index(xa->xa_height))
		return NULL;
	for (;;) {
		void *slot = node->slots[node_offset(node, index)];

		if (!node->shift || !slot)
			return slot;
		node = slot;
	}
}

/* Drop empty nodes upwards from @node, then shrink the height. */
static void xa_delete_empty(struct xarray *xa, struct xa_node *node)
{
	while (node && node->count == 0) {
		struct xa_node *parent = node->parent;

		if (parent) {
			parent->slots[node->offset] = NULL;
			parent->count--;
		} else {
			xa->xa_head = NULL;
			xa->xa_height = 0;
		}
		free(node);
		node = parent;
	}
	/* A root that only uses slot 0 covers nothing its child does not. */
	node = xa->xa_head;
	while (node && node->shift && node->count == 1 && node->slots[0]) {
		struct xa_node *child = node->slots[0];

		child->parent = NULL;
		child->offset = 0;
		xa->xa_head = child;
		xa->xa_height--;
		free(node);
		node = child;
	}
}

/* Remove the entry at @index (which must be covered by the tree). */
static void *xa_delete(struct xarray *xa, unsigned long index)
{
	struct xa_node *node = xa->xa_head;
	unsigned int off;
	void *old;

	if (!node || index > xa_max_index(xa->xa_height))
		return NULL;
	for (;;) {
		off = node_offset(node, index);
		if (!node->shift)
			break;
		node = node->slots[off];
		if (!node)
			return NULL;
	}
	old = node->slots[off];
	if (!old)
		return NULL;
	node->slots[off] = NULL;
	node->count--;
	xa->xa_count--;
	xa_delete_empty(xa, node);
	return old;
}

/*
 * Store @entry at @index, replacing what was there; storing NULL erases.
 * Caller holds xa_lock.  Returns 0, or -ENOMEM if a node could not be
 * allocated, in which case the tree is unchanged.  Entries must be at
 * least 2-byte aligned pointers (the model stores folios and test data).
 */
int xa_store_locked(struct xarray *xa, unsigned long index, void *entry)
{
	struct xa_node *spare[2 * XA_MAX_HEIGHT];
	unsigned int height, grow, need = 0, level, i;
	struct xa_node *node;

	lockdep_assert_held(&xa->xa_lock);
	if (!entry) {
		xa_delete(xa, index);
		return 0;
	}

	/* Count the nodes this store needs: new roots, then the path. */
	height = xa->xa_height;
	grow = 0;
	if (!xa->xa_head) {
		height = xa_height_for(index);
		need = height;
	} else {
		while (index > xa_max_index(height + grow))
			grow++;
		need = grow;
		if (grow) {
			/* The new roots' path leaves slot 0: fresh below. */
			need += grow + height - 1;
		} else {
			node = xa->xa_head;
			level = height;
			while (node->shift) {
				struct xa_node *child = node->slots[node_offset(node, index)];

				level--;
				if (!child) {
					need += level;
					break;
				}
				node = child;
			}
		}
	}
	for (i = 0; i < need; i++) {
		spare[i] = pnm_calloc(PNM_FAULT_XA_NODE, 1, sizeof(struct xa_node));
		if (!spare[i]) {
			while (i--)
				free(spare[i]);
			return -ENOMEM;
		}
	}

	/* Nothing can fail from here on. */
	i = 0;
	if (!xa->xa_head) {
		node = spare[i++];
		node->shift = (height - 1) * XA_CHUNK_SHIFT;
		xa->xa_head = node;
		xa->xa_height = height;
	}
	while (grow--) {
		struct xa_node *old = xa->xa_head;

		node = spare[i++];
		node->shift = xa->xa_height * XA_CHUNK_SHIFT;
		node->slots[0] = old;
		node->count = 1;
		old->parent = node;
		old->offset = 0;
		xa->xa_head = node;
		xa->xa_height++;
	}
	node = xa->xa_head;
	while (node->shift) {
		unsigned int off = node_offset(node, index);
		struct xa_node *child = node->slots[off];

		if (!child) {
			child = spare[i++];
			child->shift = node->shift - XA_CHUNK_SHIFT;
			child->parent = node;
			child->offset = off;
			node->slots[off] = child;
			node->count++;
		}
		node = child;
	}
	VM_BUG_ON(i != need);

	i = node_offset(node, index);
	if (!node->slots[i]) {
		node->count++;
		xa->xa_count++;
	}
	node->slots[i] = entry;
	return 0;
}

/* Remove and return the entry at @index (NULL if none).  xa_lock held. */
void *xa_erase_locked(struct xarray *xa, unsigned long index)
{
	lockdep_assert_held(&xa->xa_lock);
	return xa_delete(xa, index);
}

/*
 * First non-NULL entry at an index in [*@index, @max]: sets *@index to
 * that index and returns the entry, or returns NULL (*@index unchanged).
 * Caller holds xa_lock.  Skips whole empty subtrees, so a sparse tree is
 * cheap to scan.
 */
void *xa_find_locked(struct xarray *xa, unsigned long *index, unsigned long max)
{
	unsigned long idx = *index;

	lockdep_assert_held(&xa->xa_lock);
	if (!xa->xa_head)
		return NULL;
	if (max > xa_max_index(xa->xa_height))
		max = xa_max_index(xa->xa_height);

	while (idx <= max) {
		struct xa_node *node = xa->xa_head;
		bool restart = false;

		while (!restart) {
			unsigned int off = node_offset(node, idx);
			unsigned long span = 1UL << node->shift;	/* per slot */
			void *slot;

			while (off < XA_CHUNK_SIZE && !node->slots[off]) {
				/* Step to the start of the next slot. */
				unsigned long next = (idx & ~(span - 1)) + span;

				if (next <= idx) {		/* wrapped */
					return NULL;
				}
				idx = next;
				off++;
			}
			if (idx > max)
				return NULL;
			if (off == XA_CHUNK_SIZE) {
				/* Nothing left in this node: go on from the
				 * root with the first index after it. */
				restart = true;
				break;
			}
			slot = node->slots[off];
			if (!node->shift) {
				*index = idx;
				return slot;
			}
			node = slot;
		}
	}
	return NULL;
}

/* xa_load_locked() taking xa_lock itself. */
void *xa_load(struct xarray *xa, unsigned long index)
{
	void *entry;

	spin_lock(&xa->xa_lock);
	entry = xa_load_locked(xa, index);
	spin_unlock(&xa->xa_lock);
	return entry;
}

/* xa_store_locked() taking xa_lock itself: 0 or -ENOMEM (unchanged). */
int xa_store(struct xarray *xa, unsigned long index, void *entry)
{
	int ret;

	spin_lock(&xa->xa_lock);
	ret = xa_store_locked(xa, index, entry);
	spin_unlock(&xa->xa_lock);
	return ret;
}

/* xa_erase_locked() taking xa_lock itself. */
void *xa_erase(struct xarray *xa, unsigned long index)
{
	void *entry;

	spin_lock(&xa->xa_lock);
	entry = xa_erase_locked(xa, index);
	spin_unlock(&xa->xa_lock);
	return entry;
}

/* --- checking --------------------------------------------------------------- */

static bool check_node(struct xa_node *node, struct xa_node *parent,
		       unsigned int offset, unsigned int shift,
		       unsigned long *entries)
{
	unsigned int i, used = 0;

	if (node->shift != shift)
		return pnm_check_fail("xarray: node %p has shift %u, expected %u",
				      (void *)node, node->shift, shift);
	if (node->parent != parent || (parent && node->offset != offset))
		return pnm_check_fail("xarray: node %p has wrong parent/offset",
				      (void *)node);
	for (i = 0; i < XA_CHUNK_SIZE; i++) {
		if (!node->slots[i])
			continue;
		used++;
		if (!shift)
			(*entries)++;
		else if (!check_node(node->slots[i], node, i,
				     shift - XA_CHUNK_SHIFT, entries))
			return false;
	}
	if (used != node->count)
		return pnm_check_fail("xarray: node %p counts %u slots, %u used",
				      (void *)node, node->count, used);
	if (!used)
		return pnm_check_fail("xarray: empty node %p not freed",
				      (void *)node);
	return true;
}

/*
 * Check @xa's shape: height agrees with the root, every node has the shift
 * of its level, correct parent and offset, a count matching its used
 * slots and at least one used slot; the root is not collapsible; the
 * number of entries equals xa_count.  Takes xa_lock unless the caller
 * already holds it.  Reports the first problem with pnm_check_fail().
 */
bool pnm_check_xarray(struct xarray *xa)
{
	bool held = spin_is_held(&xa->xa_lock);
	unsigned long entries = 0;
	bool ok = true;

	if (!held)
		spin_lock(&xa->xa_lock);
	if (!xa->xa_head) {
		if (xa->xa_height || xa->xa_count)
			ok = pnm_check_fail("xarray: empty but height %u count %lu",
					    xa->xa_height, xa->xa_count);
	} else if (xa->xa_height < 1 || xa->xa_height > XA_MAX_HEIGHT) {
		ok = pnm_check_fail("xarray: bad height %u", xa->xa_height);
	} else {
		struct xa_node *root = xa->xa_head;

		ok = check_node(root, NULL, 0,
				(xa->xa_height - 1) * XA_CHUNK_SHIFT, &entries);
		if (ok && root->shift && root->count == 1 && root->slots[0])
			ok = pnm_check_fail("xarray: root only uses slot 0 (height %u too big)",
					    xa->xa_height);
		if (ok && entries != xa->xa_count)
			ok = pnm_check_fail("xarray: %lu entries, xa_count %lu",
					    entries, xa->xa_count);
	}
	if (!held)
		spin_unlock(&xa->xa_lock);
	return ok;
}
