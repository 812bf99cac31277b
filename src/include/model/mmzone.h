/* SPDX-License-Identifier: MIT */
/*
 * mmzone.h - zones and the buddy allocator's free lists.
 *
 * The arena is one contiguous run of frames split into zones, in pfn order
 * NORMAL, MOVABLE, CMA.  Each zone is a binary buddy allocator with free
 * lists for orders 0..MAX_PAGE_ORDER (order 9 = 2 MiB = one PMD).
 *
 * ZONE_CMA is a model zone standing in for Linux's CMA pageblocks: like
 * them it only serves movable allocations, so FOLL_LONGTERM pins must
 * migrate out of it.
 */
#ifndef PNM_MODEL_MMZONE_H
#define PNM_MODEL_MMZONE_H

#include <model/mm_types.h>

#define MAX_PAGE_ORDER	9
#define NR_PAGE_ORDERS	(MAX_PAGE_ORDER + 1)

/* Linux's names for the public enum pnm_zone_type's values. */
enum zone_type {
	ZONE_NORMAL = PNM_ZONE_NORMAL,
	ZONE_MOVABLE = PNM_ZONE_MOVABLE,
	ZONE_CMA = PNM_ZONE_CMA,
	MAX_NR_ZONES = PNM_NR_ZONES
};

enum zone_stat_item {
	NR_ZONE_FREE_PAGES,
	NR_ZONE_ALLOC,		/* pages handed out (cumulative, pages) */
	NR_ZONE_FREED,		/* pages returned (cumulative, pages) */
	NR_ZONE_ALLOC_FAIL,	/* allocation attempts that found nothing */
	NR_ZONE_STAT_ITEMS
};

struct free_area {
	struct list_head free_list;	/* PG_buddy block heads; zone->lock */
	unsigned long nr_free;		/* blocks on the list; zone->lock */
};

struct zone {
	const char *name;		/* "Normal", "Movable", "CMA"; constant */
	enum zone_type idx;		/* constant */
	unsigned long zone_start_pfn;	/* constant after init */
	unsigned long spanned_pages;	/* constant after init */
	spinlock_t lock;		/* free_area[] and buddy state */
	struct free_area free_area[NR_PAGE_ORDERS];	/* lock */
	atomic_long_t vm_stat[NR_ZONE_STAT_ITEMS];	/* atomic */
};

static inline unsigned long zone_end_pfn(const struct zone *z)
{ return z->zone_start_pfn + z->spanned_pages; }
static inline bool zone_spans_pfn(const struct zone *z, unsigned long pfn)
{ return pfn >= z->zone_start_pfn && pfn < zone_end_pfn(z); }
static inline unsigned long zone_page_state(const struct zone *z,
					    enum zone_stat_item i)
{ return (unsigned long)atomic_long_read(&z->vm_stat[i]); }

/* Zone by index; NULL if that zone has no frames. */
struct zone *pnm_zone(enum zone_type idx);
/* Name of a zone type as printed in statistics ("Normal"...). */
const char *zone_type_name(enum zone_type idx);
/*
 * Check a zone's free lists: every block is PG_buddy, naturally aligned,
 * inside the zone, of the list's order, not overlapping another block, and
 * nr_free and NR_ZONE_FREE_PAGES agree with the lists.  Takes zone->lock.
 */
bool pnm_check_zone(struct zone *zone);

#endif /* PNM_MODEL_MMZONE_H */
