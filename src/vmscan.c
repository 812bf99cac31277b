// SPDX-License-Identifier: MIT
/*
 * vmscan.c - reclaim: clean page cache, lazily freed anon folios, and,
 * with a swap device, anonymous folios written out to swap (Linux's
 * mm/vmscan.c, reduced to the model's three LRU lists and one pass).
 *
 * pnm_reclaim_pages() takes folios from the head (oldest end) of the file
 * list (swap.c), then, when a swap device takes new pages and the caller
 * allows unmapping, from the inactive anon list, after moving the oldest
 * active anon folios to the inactive list while it is the shorter one.
 * MADV_PAGEOUT hands the folios of a range it isolated to
 * reclaim_folio_list(), which swaps them out whatever their references.
 *
 * A page-cache folio (shrink_folio):
 *
 *   1. isolate it: a reference (folio_try_get) and PG_lru cleared, under
 *      lru_lock (pnm_lru_isolate_list);
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
 * An anonymous folio, or a swap cache folio (shrink_anon_folio):
 *
 *   1. isolate and trylock it, as above;
 *   2. unless MADV_PAGEOUT asked, check its references (Linux's
 *      folio_check_references): a folio whose PTEs were accessed since
 *      the last look is kept (PG_referenced set), activated the second
 *      time or if accessed through several PTEs; an mlocked one is
 *      activated;
 *   3. a cached copy no entry names any more is dropped (folio_free_swap);
 *   4. a swap-backed folio not yet cached: kept if it may be pinned
 *      (folio_maybe_dma_pinned, as Linux: PNM_SWAP_SKIP_PINNED), split if
 *      large (its other pages are reclaimed in the same call), then given
 *      a slot and the swap cache (add_to_swap; no slot: activated,
 *      PNM_SWAP_FULL);
 *   5. unmapped (try_to_unmap: each PTE becomes the swap entry; a pin
 *      that appeared meanwhile stops it, and so does a lazily freed folio
 *      written since MADV_FREE, which becomes swap-backed again): kept
 *      and activated if a mapping is left;
 *   6. written if dirty (swap_writepage: synchronous; an error keeps the
 *      folio, dirty, in the swap cache, and is reported to MADV_PAGEOUT);
 *   7. frozen from 1 (ours) + the cache's reference to 0, out of the swap
 *      cache (its slot keeps the data for the entries), freed; a lazily
 *      freed folio is simply freed (pglazyfreed).
 *
 * Kept folios go back to the newest end of their list (activated ones to
 * the active list).  Counts pgscan_file/pgsteal_file for the file list
 * (lazily freed folios included, as Linux), pgscan_anon/pgsteal_anon for
 * the anon lists, pgactivate/pgdeactivate; traces PNM_TRACE_RECLAIM per
 * cache folio and PNM_TRACE_SWAPOUT per anon page freed.  The allocator's
 * reclaim (pnm_reclaim_for_alloc) never swaps: it may not unmap.
 *
 * Locking.  The folio lock is only trylocked.  Otherwise reclaim takes
 * lru_lock (a leaf), the mapping's or the swap cache's xa_lock (removal),
 * si->lock (slots), zone->lock (freeing) and whatever the filesystem's
 * ->release_folio/->free_folio take (nothing of the model's).  No code
 * allocates frames while holding an xa_lock, lru_lock or zone->lock
 * (xarray nodes come from the host heap), so the page allocator may call
 * pnm_reclaim_pages(nr, false) on failure from any context that may
 * allocate without deadlocking on a lock its caller holds.  With
 * @may_unmap, try_to_unmap() and folio_referenced() take rmap locks and
 * ptls (never an mmap_lock), and the swap device's host file is written;
 * the caller must then hold none of those locks (MADV_PAGEOUT holds its
 * own mmap_lock for read, which no walker needs).  Reclaim does not nest:
 * a call made while the thread is already reclaiming (the allocator, from
 * inside a filesystem callback) returns 0.
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

/* What one reclaim call may do, and what it found. */
struct scan_control {
	bool may_unmap;			/* unmap mapped folios */
	bool may_swap;			/* give swap-backed folios slots */
	bool ignore_references;		/* MADV_PAGEOUT: reclaim even if used */
	int err;			/* the first swap write error */
	/* The other pages of a large folio split for swap-out, isolated,
	 * to be reclaimed in the same call. */
	struct folio *more[HPAGE_PMD_NR];
	unsigned int nr_more, next_more;
};

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
	if (folio_has_pincount(folio))	/* page[1]: large folios only */
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

static unsigned long shrink_anon_folio(struct folio *folio, struct scan_control *sc);

/*
 * Try to reclaim the isolated @folio (our reference, off its list).
 * Returns the pages freed, or 0 if it was kept (put back on its list when
 * it still belongs there) -- our reference is gone either way.
 */
static unsigned long shrink_folio(struct folio *folio, struct scan_control *sc)
{
	unsigned long nr = folio_nr_pages(folio), pfn = folio_pfn(folio);
	struct address_space *mapping;
	unsigned long ino;
	pgoff_t index;

	if (folio_test_anon(folio) || folio_test_swapcache(folio))
		return shrink_anon_folio(folio, sc);
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
		if (!sc->may_unmap || try_to_unmap(folio, 0))
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
	folio_putback_lru(folio);
	return 0;
}

/* --- anonymous folios ------------------------------------------------------- */

enum folio_references {
	FOLIOREF_RECLAIM,
	FOLIOREF_KEEP,
	FOLIOREF_ACTIVATE,
};

/*
 * Linux's folio_check_references() for an anon folio: the accessed bits
 * of its PTEs (cleared as they are read) and PG_referenced (consumed).
 * Every mapped folio was accessed once by the fault that made it, so one
 * young PTE only earns it another trip round the inactive list (marked
 * PG_referenced); a second one, or several PTEs, activate it.
 */
static enum folio_references folio_check_references(struct folio *folio)
{
	unsigned long vm_flags;
	int referenced_ptes = folio_referenced(folio, &vm_flags);
	bool referenced_folio = test_and_clear_bit(PG_referenced, &folio->page.flags);

	if (vm_flags & VM_LOCKED)
		return FOLIOREF_ACTIVATE;
	if (referenced_ptes) {
		SetPageReferenced(&folio->page);
		if (referenced_folio || referenced_ptes > 1)
			return FOLIOREF_ACTIVATE;
		return FOLIOREF_KEEP;
	}
	return FOLIOREF_RECLAIM;
}

/*
 * The large @folio (locked, isolated) was just split: its other @nr - 1
 * pages, now order-0 folios on the LRU (lru_add_split_folio), are
 * isolated for this call.  One unmapped and freed meanwhile, or reused,
 * is skipped; so is one somebody else isolated first.
 */
static void isolate_split_pages(struct folio *head, unsigned long nr, struct scan_control *sc)
{
	unsigned long i, head_pfn = folio_pfn(head);

	for (i = 1; i < nr; i++) {
		struct page *page = pfn_to_page(head_pfn + i);
		struct folio *folio = page_folio(page);

		if (&folio->page != page || !folio_try_get(folio))
			continue;
		if (page_folio(page) == folio && !folio_test_large(folio) &&
		    folio_isolate_lru(folio))
			sc->more[sc->nr_more++] = folio;
		folio_put(folio);	/* the isolation holds its own */
	}
}

/*
 * Freeze the locked, unmapped @folio from @expected references (ours, and
 * the swap cache's if cached) to 0, take it out of the swap cache and
 * free it.  false (nothing changed) if someone else holds a reference.
 */
static bool anon_freeze_and_free(struct folio *folio, int expected)
{
	swp_entry_t entry = { 0 };

	/* Fully ordered: pairs with folio_try_get() of swap cache lookups,
	 * LRU isolation, compaction and gup-fast (see above). */
	if (atomic_cmpxchg(&folio->_refcount, expected, 0) != expected)
		return false;
	if (folio_test_swapcache(folio)) {
		entry = folio_swap_entry(folio);
		__delete_from_swap_cache(folio, false);
		/* The slot keeps the data for the entries naming it. */
		put_swap_folio(folio, entry);
	}
	folio_unlock(folio);
	free_folio_frames(folio);
	return true;
}

/*
 * Try to reclaim the isolated anon or swap cache @folio (see the top of
 * the file).  Returns the pages freed, 0 if it was kept; our reference is
 * gone either way.
 */
static unsigned long shrink_anon_folio(struct folio *folio, struct scan_control *sc)
{
	unsigned long nr = folio_nr_pages(folio), pfn = folio_pfn(folio);
	bool lazyfree = folio_test_anon(folio) && !folio_test_swapbacked(folio);
	unsigned long slot = 0;
	int err;

	count_vm_events(lazyfree ? PGSCAN_FILE : PGSCAN_ANON, (long)nr);
	if (!folio_trylock(folio))
		goto keep;
	if (folio_test_writeback(folio))
		goto keep_locked;
	if (!sc->ignore_references && folio_mapped(folio)) {
		switch (folio_check_references(folio)) {
		case FOLIOREF_ACTIVATE:
			goto activate_locked;
		case FOLIOREF_KEEP:
			goto keep_locked;
		case FOLIOREF_RECLAIM:
			break;
		}
	}
	/* A cached copy of a slot nothing names is of no use any more; the
	 * folio is then just memory nobody maps (or a mapped anon page). */
	if (folio_test_swapcache(folio) && !folio_mapped(folio) && !folio_swapped(folio))
		folio_free_swap(folio);
	if (!folio_mapped(folio) && !folio_test_swapcache(folio)) {
		/* Unmapped and uncached: only references keep it (a pin, a
		 * swap-in that lost its entry); free it if ours is the last. */
		if (!anon_freeze_and_free(folio, 1))
			goto keep_locked;
		goto freed;
	}
	if (!lazyfree && !folio_test_swapcache(folio)) {
		if (!sc->may_swap || !sc->may_unmap)
			goto keep_locked;
		if (folio_maybe_dma_pinned(folio))
			goto keep_pinned;
	}
	/* Only 4 KiB pages are swapped out or discarded: split a large
	 * folio (swap-backed or lazily freed) first. */
	if (folio_test_large(folio)) {
		if (!sc->may_unmap)
			goto keep_locked;
		if (folio_maybe_dma_pinned(folio))
			goto keep_pinned;
		if (split_folio(folio))
			goto keep_locked;
		isolate_split_pages(folio, nr, sc);
		/* The other pages are counted when they are looked at. */
		count_vm_events(lazyfree ? PGSCAN_FILE : PGSCAN_ANON, -(long)(nr - 1));
		nr = 1;
	}
	if (!lazyfree && !folio_test_swapcache(folio)) {
		if (!add_to_swap(folio)) {
			count_vm_event(PNM_SWAP_FULL);
			goto activate_locked;
		}
	}
	if (folio_mapped(folio)) {
		/* Swapoff is bringing pages back: do not add entries. */
		if (!sc->may_unmap || (folio_test_swapcache(folio) && !swap_writeok()))
			goto keep_locked;
		if (try_to_unmap(folio, 0)) {
			if (reclaim_maybe_pinned_after_unmap(folio))
				goto keep_pinned;
			goto activate_locked;
		}
	}
	if (lazyfree) {
		if (!anon_freeze_and_free(folio, 1))
			goto keep_locked;
		count_vm_events(PGLAZYFREED, (long)nr);
		goto freed;
	}
	slot = swp_offset(folio_swap_entry(folio));
	if (folio_test_dirty(folio)) {
		err = swap_writepage(folio);
		if (err) {
			if (!sc->err)
				sc->err = err;
			goto keep_locked;
		}
	}
	if (!anon_freeze_and_free(folio, 1 + (int)nr))
		goto keep_locked;
	pnm_trace(PNM_TRACE_SWAPOUT, 0, 0, pfn, slot, 0);
freed:
	count_vm_events(lazyfree ? PGSTEAL_FILE : PGSTEAL_ANON, (long)nr);
	return nr;

activate_locked:
	/* Linux drops the swap copy of a folio it keeps when swap is full. */
	if (folio_test_swapcache(folio) && vm_swap_full())
		folio_free_swap(folio);
	if (folio_test_swapbacked(folio) && !folio_test_active(folio)) {
		set_bit(PG_active, &folio->page.flags);
		count_vm_events(PGACTIVATE, (long)nr);
	}
	goto keep_locked;
keep_pinned:
	count_vm_events(PNM_SWAP_SKIP_PINNED, (long)nr);
keep_locked:
	folio_unlock(folio);
keep:
	folio_putback_lru(folio);
	return 0;
}

/* Reclaim the isolated @folio and, if it was split, its other pages. */
static unsigned long shrink_one(struct folio *folio, struct scan_control *sc)
{
	unsigned long reclaimed = shrink_folio(folio, sc);

	while (sc->next_more < sc->nr_more)
		reclaimed += shrink_folio(sc->more[sc->next_more++], sc);
	sc->nr_more = sc->next_more = 0;
	return reclaimed;
}

/*
 * Move the oldest active anon folios to the inactive list while it is the
 * shorter (Linux's shrink_active_list() with inactive_is_low() at a ratio
 * of 1), looking at no more than @max_scan pages.  Their accessed bits are
 * cleared on the way, so only a new access saves them from reclaim.
 */
static void shrink_active_list(unsigned long max_scan)
{
	struct folio *folio;
	unsigned long vm_flags;

	while (pnm_lru_list_pages(LRU_INACTIVE_ANON) < pnm_lru_list_pages(LRU_ACTIVE_ANON) &&
	       (folio = pnm_lru_isolate_list(LRU_ACTIVE_ANON, &max_scan, ~0u))) {
		if (folio_test_anon(folio))
			(void)folio_referenced(folio, &vm_flags);
		clear_bit(PG_active, &folio->page.flags);
		count_vm_events(PGDEACTIVATE, (long)folio_nr_pages(folio));
		folio_putback_lru(folio);
	}
}

/*
 * Reclaim from list @lru, folios of the zones in @zone_mask, looking at
 * no more than @scan_budget pages (and never at more than the list holds
 * now); see pnm_reclaim_pages().
 */
static unsigned long reclaim_list(enum pnm_lru_list lru, unsigned long nr_pages,
				  struct scan_control *sc, unsigned int zone_mask,
				  unsigned long scan_budget)
{
	unsigned long reclaimed = 0, max_scan;
	struct folio *folio;

	/* Folios on the list now; a folio has at least one page. */
	max_scan = min_t(unsigned long, pnm_lru_list_pages(lru), scan_budget);
	while (reclaimed < nr_pages &&
	       (folio = pnm_lru_isolate_list(lru, &max_scan, zone_mask)))
		reclaimed += shrink_one(folio, sc);
	return reclaimed;
}

/* pnm_reclaim_pages() and the allocator's reclaim. */
static unsigned long reclaim_zones(unsigned long nr_pages, bool may_unmap,
				   unsigned int zone_mask, unsigned long scan_budget)
{
	struct scan_control sc = {
		.may_unmap = may_unmap,
		.may_swap = may_unmap && swap_writeok(),
	};
	unsigned long reclaimed;

	if (!nr_pages || reclaim_depth)
		return 0;
	reclaim_depth++;
	reclaimed = reclaim_list(LRU_FILE, nr_pages, &sc, zone_mask, scan_budget);
	if (reclaimed < nr_pages && sc.may_swap) {
		shrink_active_list(scan_budget);
		reclaimed += reclaim_list(LRU_INACTIVE_ANON, nr_pages - reclaimed, &sc,
					  zone_mask, scan_budget);
	}
	reclaim_depth--;
	return reclaimed;
}

/*
 * pnm_reclaim_pages - reclaim up to @nr_pages pages, oldest first, from
 * every zone: clean unpinned page cache and lazily freed anon folios,
 * then, with @may_unmap and a swap device taking pages, anon folios
 * swapped out (contract in writeback.h; the steps are at the top of this
 * file).  Looks at each folio of a list at most about once per call.
 * Returns the pages freed; 0 when called from inside reclaim.  Then,
 * with @may_unmap, as Linux's shrinkers run beside LRU reclaim, the deferred split queue (mthp.c) has
 * its partly mapped large folios split, which frees their unmapped pages
 * (not counted in the result).  Only then: a split needs the caller to
 * hold no mmap_lock, folio lock or ptl, which @may_unmap already demands,
 * and never from the allocator's reclaim (pnm_reclaim_for_alloc).
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

/*
 * reclaim_folio_list - MADV_PAGEOUT's reclaim (swap.h): every folio is
 * reclaimed whatever its references (Linux's reclaim_pages()); swap-backed
 * ones only when a swap device takes pages.
 */
unsigned long reclaim_folio_list(struct folio **folios, unsigned int nr, int *err)
{
	struct scan_control sc = {
		.may_unmap = true,
		.may_swap = swap_writeok(),
		.ignore_references = true,
	};
	unsigned long reclaimed = 0;
	unsigned int i;

	reclaim_depth++;
	for (i = 0; i < nr; i++)
		reclaimed += shrink_one(folios[i], &sc);
	reclaim_depth--;
	*err = sc.err;
	return reclaimed;
}
