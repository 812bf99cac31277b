/* SPDX-License-Identifier: MIT */
/*
 * page-flags.h - PG_* bits kept in page->flags and their accessors.
 *
 * All flag updates are atomic bitops (page->flags is shared by every CPU
 * that can reach the page).  Bits that are only meaningful on the head page
 * of a folio are read through the folio accessors.  The zone a frame belongs
 * to is fixed at boot and lives in the top bits of page->flags.
 */
#ifndef PNM_MODEL_PAGE_FLAGS_H
#define PNM_MODEL_PAGE_FLAGS_H

#include <model/atomic.h>

enum pageflags {
	PG_locked,		/* folio lock (filemap.c); head only */
	PG_referenced,
	PG_uptodate,		/* data valid (page cache) */
	PG_dirty,		/* data newer than backing store; head only */
	PG_lru,
	PG_head,		/* head page of a large folio */
	PG_reserved,		/* never allocated/freed: zero page, holes */
	PG_private,		/* page->private holds fs data (block state) */
	PG_writeback,		/* under writeback I/O; head only */
	PG_swapbacked,		/* anon or shmem: backed by swap, not a file */
	PG_anon_exclusive,	/* anon page mapped by exactly one mm; per page */
	PG_buddy,		/* free block head in the buddy allocator */
	PG_table,		/* page-table page */
	PG_isolated,		/* taken by migration/compaction */
	PG_mlocked,
	PG_has_hwpoisoned,	/* reserved */
	PG_active,		/* on the active anon LRU list (swap.c); head only */
	PG_swapcache,		/* in the swap cache, folio->private is its
				 * swap entry (swap_state.c); head only */
	/*
	 * Model-only bits (no Linux counterpart), head only:
	 * PG_pnm_truncated  the folio left its file's cache (truncate, hole
	 *                   punch, eviction) while still referenced, e.g.
	 *                   pinned; device writes into it never reach the
	 *                   file (dma.c counts them).  Set under the folio
	 *                   lock; cleared when the frames are freed.
	 * PG_pnm_nofs_dirty the folio was dirtied without the filesystem's
	 *                   knowledge (no block state: the 2018 failure) and
	 *                   that was reported; lets the checkers accept the
	 *                   reported state.  Folio lock; cleared when the
	 *                   folio is cleaned, truncated or freed.
	 */
	PG_pnm_truncated,
	PG_pnm_nofs_dirty,
	/*
	 * PG_pnm_secret     the frame is out of the kernel's direct map
	 *                   (secretmem.c: Linux keeps that in the kernel's
	 *                   page tables, not in struct page).  Set while a
	 *                   secretmem file's cache holds the folio; cleared as
	 *                   it leaves the cache, and at free.
	 */
	PG_pnm_secret,
	/*
	 * PG_pnm_quarantined the folio is held by a pin owner that was
	 *                   revoked by force (vaddr_pin.c): writeback leaves
	 *                   it alone until the owner's late unpin clears it.
	 *                   Atomic bit operations; cleared at free too.
	 */
	PG_pnm_quarantined,
	/*
	 * PG_hugetlb       the folio belongs to a hugetlb pool (hugetlb.h):
	 *                  Linux's hugetlb page type.  Set on the head while
	 *                  the folio is in a pool or in use (free pool folios
	 *                  too, at refcount 0); cleared when its frames go back
	 *                  to the buddy allocator.  Its other state is in
	 *                  folio->private (HPG_* bits).
	 */
	PG_hugetlb,
	__NR_PAGEFLAGS,
};

#define ZONES_SHIFT	2
#define ZONES_PGSHIFT	(BITS_PER_LONG - ZONES_SHIFT)
#define ZONES_MASK	((1UL << ZONES_SHIFT) - 1)

#endif /* PNM_MODEL_PAGE_FLAGS_H */
