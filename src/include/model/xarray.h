/* SPDX-License-Identifier: MIT */
/*
 * xarray.h - a sparse array of pointers indexed by unsigned long.
 *
 * The page cache (address_space->i_pages) maps a file page index to the
 * folio caching it.  This is a radix tree with 64-entry nodes, like the
 * kernel's XArray, but with a smaller API.  Writers are serialised by
 * xa_lock; readers in this model also take xa_lock (no RCU lookups).
 */
#ifndef PNM_MODEL_XARRAY_H
#define PNM_MODEL_XARRAY_H

#include <model/spinlock.h>

struct xa_node;

struct xarray {
	spinlock_t xa_lock;		/* serialises every access below */
	struct xa_node *xa_head;	/* protected by xa_lock */
	unsigned int xa_height;		/* levels below xa_head; xa_lock */
	unsigned long xa_count;		/* non-NULL entries; xa_lock */
};

void xa_init(struct xarray *xa);			/* pair: xa_destroy() */
void xa_destroy(struct xarray *xa);			/* frees nodes, not entries */
/* Lookups and updates below expect xa_lock held by the caller. */
void *xa_load_locked(struct xarray *xa, unsigned long index);
/* Store @entry (NULL erases).  Returns 0 or -ENOMEM (nothing changed). */
int xa_store_locked(struct xarray *xa, unsigned long index, void *entry);
void *xa_erase_locked(struct xarray *xa, unsigned long index);
/*
 * Find the first non-NULL entry at an index in [*index, max]; on success
 * sets *index to it and returns the entry, else NULL.
 */
void *xa_find_locked(struct xarray *xa, unsigned long *index, unsigned long max);
/* Convenience wrappers that take xa_lock themselves. */
void *xa_load(struct xarray *xa, unsigned long index);
int xa_store(struct xarray *xa, unsigned long index, void *entry);
void *xa_erase(struct xarray *xa, unsigned long index);
/* Check the tree's shape and count; prints the first violation. */
bool pnm_check_xarray(struct xarray *xa);

#endif /* PNM_MODEL_XARRAY_H */
