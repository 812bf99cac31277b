// SPDX-License-Identifier: MIT
/*
 * vmscan.c - reclaim of clean page-cache folios (Linux's mm/vmscan.c,
 * reduced to the file LRU and one pass over it).
 *
 * The model has no swap, so the only memory reclaim can give back is
 * page cache that still matches its file: clean, not under writeback,
 * not in anyone's hands.  pnm_reclaim_pages() takes folios from the head
 * of the file LRU (swap.c; oldest first) and, for each:
 *
 *   1. isolate it: a reference (folio_try_get) and PG_lru cleared, under
 *      lru_lock (pnm_lru_isolate);
 *   2. trylock it (a locked folio is busy: keep it);
 *   3. keep it if it left its cache meanwhile (it is not put back), if
 *      its mapping is unevictable, if it is dirty or under writeback, or
 *      if it may be pinned for DMA (PNM_RECLAIM_SKIP_PINNED): its data
 *      and its filesystem state (block state) must stay;
 *   4. if it is mapped: keep it unless the caller allows unmapping; then
 *      try_to_unmap() (through i_mmap; a VM_LOCKED mapping keeps it), keep
 *      it if the PTEs' dirty bits made it dirty, and look at the pins
 *      once more -- after the unmap nobody can take a new pin through a
 *      page table, and one taken just before is visible now (the check
 *      Linux added in 2023 so that reclaim no longer strips the buffers of
 *      pinned pages, the origin of the 2018 reports);
 *   5. let the filesystem drop its private state (->release_folio; a
 *      refusal keeps the folio);
 *   6. freeze the refcount from exactly 1 (ours) + folio_nr_pages (the
 *      cache's) to 0 with one cmpxchg -- any other reference (GUP, a
 *      lookup in progress, a pin) makes it fail and the folio is kept --
 *      and take it out of the cache (__filemap_remove_folio, filemap.c;
 *      lookups meeting the frozen folio meanwhile wait and look again);
 *   7. unlock and free the frames (the count is frozen at 0: nobody can
 *      take a reference any more).
 *
 * Kept folios go back to the tail of the LRU (pnm_lru_putback).  Counts
 * PGSCAN_FILE (pages looked at), PGSTEAL_FILE (pages freed), trace
 * PNM_TRACE_RECLAIM per folio freed.
 *
 * Locking.  The folio lock is only trylocked.  Otherwise reclaim takes
 * lru_lock (a leaf), the mapping's xa_lock (removal), zone->lock
 * (freeing) and whatever the filesystem's ->release_folio/->free_folio
 * take (nothing of the model's).  No code allocates frames while holding
 * an xa_lock, lru_lock or zone->lock (xarray nodes come from the host
 * heap), so the page allocator may call pnm_reclaim_pages(nr, false) on
 * failure from any context that may allocate without deadlocking on a
 * lock its caller holds.  With @may_unmap, try_to_unmap() trylocks
 * mmap_locks and takes ptls and rmap locks; the caller must then hold
 * none of those.  Reclaim does not nest: a call made while the thread is
 * already reclaiming (the allocator, from inside a filesystem callback)
 * returns 0.
 */
#include <limits.h>
#include <sched.h>

#include "internal.h"

/* Reclaim calls in progress on this thread (no recursion). */
static _Thread_local unsigned int reclaim_depth;

/* pnm_in_reclaim - is the calling thread inside pnm_reclaim_pages()? */
bool pnm_in_reclaim(void)
{
	return reclaim_depth != 0;
}

/*
 * The pin state after a full barrier.  After try_to_unmap() cleared every
 * PTE (a fully ordered exchange in rmap.c), these fully ordered RMWs
 * order our reads of the pin counts after it; gup-fast pins with fully
 * ordered RMWs and then re-reads the PTE.  Either it sees the PTE gone and
 * backs out, or we see its pin.
 */
static bool reclaim_maybe_pinned_after_unmap(struct folio *folio)
{
	(void)atomic_add_return(0, &folio->_refcount);
	(void)atomic_add_return(0, &folio->_pincount);
	(void)atomic_add_return(0, &folio->page.pnm_pincount);
	return folio_maybe_dma_pinned(folio);
}

/*
 * Step 6: freeze and remove.  Returns true if @folio (locked, referenced
 * once by us, unmapped, clean, not under writeback) left its cache with
 * its refcount at 0; false (nothing changed) if anyone else holds a
 * reference.
 */
static bool reclaim_freeze_and_remove(struct folio *folio)
{
	int expected = 1 + (int)folio_nr_pages(folio);

	/*
	 * Fully ordered cmpxchg: pairs with the fully ordered folio_try_get()
	 * of every lookup (page cache under xa_lock, LRU, compaction's
	 * scanner, gup-fast).  Either they got their reference first and the
	 * freeze fails, or they see 0 and fail -- page-cache lookups then
	 * yield and look again, and find the slot empty.
	 */
	if (atomic_cmpxchg(&folio->_refcount, expected, 0) != expected)
		return false;
	/* filemap.c: slots, nrpages, mapping, counters, ->free_folio; the
	 * cache's references were frozen away with ours. */
	__filemap_remove_folio(folio);
	return true;
}

/*
 * Try to reclaim the isolated @folio (our reference, off the LRU).
 * Returns the pages freed, or 0 if it was kept (put back on the LRU when
 * it is still cached) -- our reference is gone either way.
 */
static unsigned long shrink_folio(struct folio *folio, bool may_unmap)
{
	unsigned long nr = folio_nr_pages(folio), pfn = folio_pfn(folio);
	struct address_space *mapping;
	unsigned long ino;
	pgoff_t index;

	count_vm_events(PGSCAN_FILE, (long)nr);
	if (!folio_trylock(folio))
		goto keep;
	mapping = folio_mapping(folio);
	if (!mapping || mapping_unevictable(mapping)) {
		/* Left its cache meanwhile (putback will not re-add it), or
		 * never belonged on the LRU: drop it from reclaim's view. */
		folio_unlock(folio);
		folio_put(folio);
		return 0;
	}
	if (folio_test_dirty(folio) || folio_test_writeback(folio))
		goto keep_locked;
	if (folio_maybe_dma_pinned(folio))
		goto keep_pinned;
	if (folio_mapped(folio)) {
		if (!may_unmap || try_to_unmap(folio, 0))
			goto keep_locked;
		/* The PTEs' dirty bits were moved to the folio. */
		if (folio_test_dirty(folio))
			goto keep_locked;
		if (reclaim_maybe_pinned_after_unmap(folio))
			goto keep_pinned;
	}
	if (PagePrivate(&folio->page)) {
		if (!mapping->a_ops || !mapping->a_ops->release_folio ||
		    !mapping->a_ops->release_folio(folio))
			goto keep_locked;
	}
	/* The mapping lives while its cached folio is locked, no longer. */
	index = folio->index;
	ino = mapping->host ? mapping->host->i_ino : 0;
	if (!reclaim_freeze_and_remove(folio))
		goto keep_locked;

	/* Frozen at 0 and out of the cache: ours alone.  Unlock first
	 * (nobody can be waiting: waiters hold references). */
	folio_unlock(folio);
	free_folio_frames(folio);
	count_vm_events(PGSTEAL_FILE, (long)nr);
	pnm_trace(PNM_TRACE_RECLAIM, 0, ino, pfn, index, 0);
	return nr;

keep_pinned:
	count_vm_events(PNM_RECLAIM_SKIP_PINNED, (long)nr);
keep_locked:
	folio_unlock(folio);
keep:
	pnm_lru_putback(folio);
	folio_put(folio);
	return 0;
}

/*
 * Reclaim from the zones in @zone_mask, looking at no more than
 * @scan_budget pages of the LRU (and never at more than it holds now);
 * see pnm_reclaim_pages().
 */
static unsigned long reclaim_zones(unsigned long nr_pages, bool may_unmap,
				   unsigned int zone_mask, unsigned long scan_budget)
{
	unsigned long reclaimed = 0, max_scan;
	struct folio *folio;

	if (!nr_pages || reclaim_depth)
		return 0;
	reclaim_depth++;
	/* Folios on the list now; a folio has at least one page. */
	max_scan = min_t(unsigned long, pnm_lru_pages(), scan_budget);
	while (reclaimed < nr_pages &&
	       (folio = pnm_lru_isolate(&max_scan, zone_mask)))
		reclaimed += shrink_folio(folio, may_unmap);
	reclaim_depth--;
	return reclaimed;
}

/*
 * pnm_reclaim_pages - reclaim up to @nr_pages pages of clean, unpinned
 * page cache, oldest first, from every zone (contract in writeback.h; the
 * steps are at the top of this file).  Looks at each folio on the LRU at
 * most about once per call.  Returns the pages freed; 0 when called from
 * inside reclaim.  Then, with @may_unmap, as Linux's shrinkers run beside
 * LRU reclaim, the deferred split queue (mthp.c) has its partly mapped
 * large folios split, which frees their unmapped pages (not counted in
 * the result).  Only then: a split needs the caller to hold no mmap_lock,
 * folio lock or ptl, which @may_unmap already demands, and never from
 * the allocator's reclaim (pnm_reclaim_for_alloc).
 */
unsigned long pnm_reclaim_pages(unsigned long nr_pages, bool may_unmap)
{
	unsigned long reclaimed = reclaim_zones(nr_pages, may_unmap, ~0u, ULONG_MAX);

	if (may_unmap && !reclaim_depth)
		deferred_split_scan(ULONG_MAX);
	return reclaimed;
}

/*
 * pnm_reclaim_for_alloc - the page allocator's reclaim after a failure:
 * pnm_reclaim_pages(@nr_pages, false), but only folios living in a zone
 * of @zone_mask (bit per enum zone_type: the zones the failed allocation
 * may use) are taken, since freeing others could not help it.  A failing
 * allocation pays for this every time, so the scan is bounded (Linux
 * scans a priority-sized slice of the LRU too): at most
 * PNM_ALLOC_RECLAIM_SCAN pages per page wanted, at least 64.  Folios that
 * could not be freed go back to the tail, so the next call looks at
 * others.  Same context rules as pnm_reclaim_pages(.., false).  Returns
 * pages freed.
 */
#define PNM_ALLOC_RECLAIM_SCAN	32UL
unsigned long pnm_reclaim_for_alloc(unsigned long nr_pages, unsigned int zone_mask)
{
	unsigned long budget = max_t(unsigned long, 64, nr_pages * PNM_ALLOC_RECLAIM_SCAN);

	return reclaim_zones(nr_pages, false, zone_mask, budget);
}
