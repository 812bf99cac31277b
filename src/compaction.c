/* SPDX-License-Identifier: MIT */
/*
 * compaction.c - defragmenting a zone by migration (Linux's
 * mm/compaction.c, reduced to one synchronous pass).
 *
 * Two scanners walk the zone towards each other:
 *
 *   zone start                                              zone end
 *   |  migrate scanner ->                      <- free scanner  |
 *   [ used | free | used | used | free | ... | free | used | free ]
 *
 * The migrate scanner looks for movable in-use folios (anon or page cache,
 * order 0, not isolated, not maybe-pinned, with no reference beyond its
 * mappings and the page cache); the free scanner takes free frames out of
 * the buddy allocator one at a time (pnm_isolate_free_range) to serve as
 * destinations.  Each movable folio is migrated up to a frame the free
 * scanner found, so used frames gather at the top of the zone and the
 * frames freed at the bottom merge into large buddy blocks.  The pass ends
 * when the scanners meet or a free block of the requested order exists;
 * destinations left over go back to the buddy allocator.
 *
 * Large folios are left where they are: they already occupy a naturally
 * aligned block, so moving them frees nothing larger than it takes.
 * Unmovable frames (page tables, reserved frames such as the zero page)
 * are skipped, which is why compacting ZONE_NORMAL, home of the page
 * tables, is possible but may achieve little.
 *
 * Locking: the scanners peek at frame descriptors without locks (atomic
 * flag and refcount reads) and only act on a folio after folio_try_get()
 * succeeded and the frame was rechecked to still belong to that folio.
 * Migration runs in PNM_MIGRATE_ASYNC mode: it never sleeps on a folio
 * lock and only trylocks mmap_locks, so compact_zone() may be called from
 * any context that holds no zone->lock.
 */
#include <string.h>

#include "internal.h"

/*
 * One compaction pass.  Owned by the compacting thread; the isolated
 * destinations on @freepages are allocated frames (refcount 1) nobody
 * else knows about.
 */
struct compact_control {
	struct zone *zone;
	unsigned int order;		/* the block order wanted */
	unsigned long migrate_pfn;	/* next frame the migrate scanner looks at */
	unsigned long free_pfn;		/* the free scanner has looked at >= this */
	struct list_head freepages;	/* isolated destinations, via page->lru */
	unsigned long nr_freepages;
	struct pnm_compact_result *res;
};

/*
 * Free scanner: walk down from cc->free_pfn towards the migrate scanner,
 * above @limit, and isolate the first free frame found.  Returns true if
 * a destination is now on cc->freepages.
 */
static bool isolate_freepage(struct compact_control *cc, unsigned long limit)
{
	while (cc->free_pfn > limit) {
		unsigned long pfn = --cc->free_pfn;
		struct page *page;

		cc->res->free_scanned++;
		count_vm_event(COMPACTFREE_SCANNED);
		/* Cheap unlocked peek first: used frames are not worth the lock. */
		if (!PageBuddy(pfn_to_page(pfn)) && folio_ref_count(pfn_folio(pfn)))
			continue;
		page = pnm_isolate_free_range(cc->zone, pfn, 0);
		if (!page)
			continue;
		count_vm_event(COMPACTISOLATED);
		list_add(&page->lru, &cc->freepages);
		cc->nr_freepages++;
		return true;
	}
	return false;
}

/*
 * The new_folio_t handed to migration: an isolated destination (all of
 * them are order 0 and in the zone being compacted), or NULL.
 */
static struct folio *compaction_alloc(struct folio *src, unsigned long private)
{
	struct compact_control *cc = (struct compact_control *)private;
	struct page *page;

	if (folio_order(src) || list_empty(&cc->freepages))
		return NULL;
	page = list_first_entry(&cc->freepages, struct page, lru);
	list_del_init(&page->lru);
	cc->nr_freepages--;
	return page_folio(page);
}

/* Give the unused destinations back to the buddy allocator. */
static void release_freepages(struct compact_control *cc)
{
	while (!list_empty(&cc->freepages)) {
		struct page *page = list_first_entry(&cc->freepages, struct page, lru);

		list_del_init(&page->lru);
		cc->nr_freepages--;
		folio_put(page_folio(page));	/* refcount 1 -> 0: freed */
	}
}

/*
 * Does @folio (referenced by us) hold references beyond its mappings, the
 * page cache and ours?  Such a folio is pinned or otherwise in use and
 * migration would be refused anyway (Linux's compaction test
 * "page_count > page_mapcount" for anon pages).  Racy by nature: the
 * migration's refcount freeze is what decides.
 */
static bool folio_has_extra_refs(struct folio *folio)
{
	long expected = 1 + folio_mapcount(folio);

	if (folio_mapping(folio))
		expected += (long)folio_nr_pages(folio);
	return folio_ref_count(folio) > expected;
}

/*
 * Migrate scanner, one step at cc->migrate_pfn.  Returns a folio worth
 * migrating with a reference held, or NULL; either way sets *nr to the
 * number of frames the scanner may advance by.  Folios that are movable
 * in principle but held (maybe pinned, extra references) are counted as
 * failed.
 */
static struct folio *isolate_migratepage(struct compact_control *cc,
					 unsigned long *nr)
{
	unsigned long pfn = cc->migrate_pfn;
	struct page *page = pfn_to_page(pfn);
	struct folio *folio;

	*nr = 1;
	cc->res->migrate_scanned++;
	count_vm_event(COMPACTMIGRATE_SCANNED);

	if (PageBuddy(page)) {
		/* A free block: skip it whole if the order still looks sane. */
		unsigned long order = READ_ONCE(page->private);

		if (order <= MAX_PAGE_ORDER && IS_ALIGNED(pfn, 1UL << order))
			*nr = 1UL << order;
		return NULL;
	}
	if (PageReserved(page) || PageTable(page) || PageTail(page))
		return NULL;

	folio = page_folio(page);
	if (!folio_try_get(folio))
		return NULL;		/* free, or frozen by someone else */
	/* Still the same folio, now that it cannot be freed under us? */
	if (page_folio(page) != folio || PageTable(page) || PageReserved(page))
		goto out_put;

	if (folio_test_large(folio)) {
		if (&folio->page == page)
			*nr = folio_nr_pages(folio);
		goto out_put;
	}
	if (PageIsolated(page) || (!folio_test_anon(folio) && !folio_mapping(folio)))
		goto out_put;
	if (folio_maybe_dma_pinned(folio) || folio_has_extra_refs(folio)) {
		cc->res->failed++;
		goto out_put;
	}
	count_vm_event(COMPACTISOLATED);
	return folio;

out_put:
	folio_put(folio);
	return NULL;
}

static bool compact_finished(struct compact_control *cc)
{
	return zone_largest_free_order(cc->zone) >= (int)cc->order;
}

/*
 * Compact @zone until a free block of order >= @order exists or the
 * scanners meet (contract in migrate.h).  Caller holds no zone->lock (the
 * scanners and the buddy allocator take it); mmap_locks and folio locks
 * are only ever trylocked, so any other context is fine.  Returns 0 if a
 * block of @order is free afterwards, -EAGAIN if not, -EINVAL if @order
 * exceeds MAX_PAGE_ORDER or @zone is NULL.  Fills @res (may be NULL).
 * Counts compactstall, compactsuccess/compactfail, compact_migrate_scanned,
 * compact_free_scanned, compact_isolated and the migrations' events.
 */
int compact_zone(struct zone *zone, unsigned int order, struct pnm_compact_result *res)
{
	struct pnm_compact_result dummy;
	struct compact_control cc = {
		.zone = zone,
		.order = order,
		.res = res ? res : &dummy,
	};
	int ret = 0, lfo;

	memset(cc.res, 0, sizeof(*cc.res));
	if (!zone || order > MAX_PAGE_ORDER)
		return -EINVAL;
	INIT_LIST_HEAD(&cc.freepages);
	cc.migrate_pfn = zone->zone_start_pfn;
	cc.free_pfn = zone_end_pfn(zone);

	if (compact_finished(&cc))
		goto out;	/* nothing to do: not a stall */
	count_vm_event(COMPACTSTALL);

	while (cc.migrate_pfn < cc.free_pfn) {
		struct folio *folio, *dst;
		unsigned long nr;
		int err;

		folio = isolate_migratepage(&cc, &nr);
		if (!folio) {
			cc.migrate_pfn += nr;
			continue;
		}
		/* A destination strictly above this folio. */
		if (list_empty(&cc.freepages) &&
		    !isolate_freepage(&cc, cc.migrate_pfn + nr - 1)) {
			folio_put(folio);
			break;		/* the scanners met */
		}
		err = pnm_migrate_folio(folio, compaction_alloc, (unsigned long)&cc,
					MR_COMPACTION, PNM_MIGRATE_ASYNC, &dst);
		if (!err) {
			cc.res->migrated += nr;
			folio_put(dst);
		} else {
			if (err != -EINVAL)
				cc.res->failed += nr;
			folio_put(folio);
		}
		cc.migrate_pfn += nr;
		if (!err && compact_finished(&cc))
			break;
	}
	release_freepages(&cc);

	if (compact_finished(&cc)) {
		count_vm_event(COMPACTSUCCESS);
	} else {
		count_vm_event(COMPACTFAIL);
		ret = -EAGAIN;
	}
out:
	lfo = zone_largest_free_order(zone);
	cc.res->largest_free_order = lfo < 0 ? 0 : (unsigned int)lfo;
	pnm_trace(PNM_TRACE_COMPACT, 0, order, zone->idx, cc.res->migrated, ret);
	return ret;
}
