/* SPDX-License-Identifier: MIT */
/*
 * gfp.h - allocation flags and the page allocator's entry points.
 *
 * Allocation never blocks and never kills anything: when no zone allowed by
 * the flags has a free block of the order asked for, the allocator returns
 * NULL and the caller turns that into -ENOMEM (or VM_FAULT_OOM).
 */
#ifndef PNM_MODEL_GFP_H
#define PNM_MODEL_GFP_H

#include <model/mmzone.h>

#define __GFP_MOVABLE	0x01u	/* may use ZONE_MOVABLE */
#define __GFP_CMA	0x02u	/* may use ZONE_CMA (movable data only) */
#define __GFP_ZERO	0x04u	/* return zeroed frames */
#define __GFP_COMP	0x08u	/* make a large folio (head + tails) */
#define __GFP_NOWARN	0x10u	/* failure is expected: do not count it */
#define __GFP_NORETRY	0x20u	/* THP: do not compact to satisfy */
#define __GFP_THISZONE	0x40u	/* only the zone passed explicitly */

#define GFP_KERNEL		0u
#define GFP_PGTABLE		(__GFP_ZERO)
#define GFP_HIGHUSER_MOVABLE	(__GFP_MOVABLE | __GFP_CMA)
#define GFP_TRANSHUGE		(GFP_HIGHUSER_MOVABLE | __GFP_COMP | \
				 __GFP_NOWARN | __GFP_NORETRY)

/*
 * Allocate 2^order contiguous frames.  Movable allocations try ZONE_MOVABLE,
 * then ZONE_NORMAL, then ZONE_CMA; others use ZONE_NORMAL only.  The result
 * has refcount 1; with __GFP_COMP and order > 0 it is a large folio whose
 * tails point at the head.  Returns NULL when nothing fits (counted in
 * NR_ZONE_ALLOC_FAIL unless __GFP_NOWARN).  Takes zone->lock.
 */
struct page *alloc_pages(gfp_t gfp, unsigned int order);
struct folio *folio_alloc(gfp_t gfp, unsigned int order);
/* As folio_alloc(), but only from zone @zt (migration targets). */
struct folio *folio_alloc_zone(gfp_t gfp, unsigned int order, enum zone_type zt);
static inline struct page *alloc_page(gfp_t gfp) { return alloc_pages(gfp, 0); }
/*
 * Return 2^order frames to the buddy allocator, merging with free buddies.
 * The refcount must already be zero; the page must not be mapped.
 */
void __free_pages(struct page *page, unsigned int order);
/*
 * Scope in which the calling thread's allocations must not land in
 * ZONE_MOVABLE or ZONE_CMA (Linux's memalloc_pin_save()): long-term GUP
 * faults pages in under it, so they are born where a long-term pin may
 * stay instead of being migrated right after.  Returns a cookie for
 * memalloc_pin_restore(); scopes nest.
 */
unsigned int memalloc_pin_save(void);
void memalloc_pin_restore(unsigned int cookie);
bool memalloc_pin_active(void);

/*
 * Fault injection for tests: make the next @nth-th allocation (1 = the
 * next one) fail as if memory were exhausted; 0 disables.
 */
void pnm_fail_nth_alloc(unsigned long nth);

#endif /* PNM_MODEL_GFP_H */
