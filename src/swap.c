// SPDX-License-Identifier: MIT
/*
 * swap.c - dropping folio references, copying folio contents, and the
 * file LRU.
 *
 * Linux keeps folio_put() and friends in mm/swap.c, next to the LRU code.
 * The model has no swap; its only LRU is one global list of evictable
 * page-cache folios (the file LRU, below), which reclaim (vmscan.c) scans
 * oldest first.  The last folio_put() hands the frames back to the buddy
 * allocator through free_folio_frames(), taking the folio off the LRU
 * first if it is still on it.
 *
 * Memory ordering of the final put.  The decrement is atomic_sub_return(),
 * a fully ordered (seq_cst) RMW:
 *
 *   - its release half orders every access this thread made to the folio
 *     (data copies, descriptor updates, unmapping) before the decrement, so
 *     a thread that later observes the count reach zero sees them;
 *   - its acquire half, on the thread that takes the count to zero, orders
 *     the freeing (descriptor reset, return to the buddy lists, reuse by the
 *     next owner) after every other thread's earlier decrement, i.e. after
 *     all their accesses.
 *
 * It pairs with the fully ordered increments that may race with it:
 * folio_try_get()'s atomic_add_unless() (a speculative get cannot succeed
 * once zero was reached, and if it came first the count does not reach
 * zero here), and the atomic_cmpxchg() that freezes a folio's count for
 * migration and splitting (brief §10).
 */
#include <string.h>

#include "internal.h"

/*
 * Drop @nr references to @folio; the caller must own them.  When the count
 * reaches zero the folio is freed (free_folio_frames(): it must then be
 * unmapped, unpinned, unlocked and off every rmap list).  Dropping more
 * references than exist is a refcounting bug: the folio is dumped and the
 * model aborts.  Never sleeps; may take lru_lock and zone->lock, so it can
 * be called with any lock of the model held except those two.
 */
void folio_put_refs(struct folio *folio, int nr)
{
	int refs;

	VM_BUG_ON_PAGE(PageTail(&folio->page), &folio->page);
	/* Fully ordered: see the comment at the top of the file. */
	refs = atomic_sub_return(nr, &folio->_refcount);
	if (unlikely(refs < 0)) {
		dump_page(&folio->page, "folio_put_refs: refcount underflow");
		PNM_DIE("folio refcount underflow", 0);
	}
	if (refs == 0) {
		/* The huge zero page is only freed by pnm_fini(), after it
		 * unpublished it: a put reaching zero here is a bug. */
		VM_BUG_ON_PAGE(is_huge_zero_folio(folio), &folio->page);
		/* A hugetlb folio goes back to its pool (hugetlb.c). */
		if (folio_test_hugetlb(folio)) {
			free_huge_folio(folio);
			return;
		}
		/* Nobody else can reach the folio now except through the
		 * LRU, which only takes references with folio_try_get(). */
		if (unlikely(PageLru(&folio->page)))
			folio_del_lru(folio);
		free_folio_frames(folio);
	}
	else if (pnm_pin_check_wanted(folio))
		pnm_pin_check_put(folio, refs);	/* put_page() on a pin? */
}

/*
 * Copy the contents of @src into @dst (COW break, migration).  Both must
 * have the same order and be held by the caller (a reference, or a frozen
 * count); nothing is locked here.  Concurrent writers to @src must be
 * excluded by the caller (the source is unmapped or write-protected).
 */
void folio_copy(struct folio *dst, struct folio *src)
{
	VM_BUG_ON(folio_order(dst) != folio_order(src));
	memcpy(folio_address(dst), folio_address(src), folio_size(src));
}

/* --- the file LRU -----------------------------------------------------------
 *
 * One list of evictable page-cache folios, linked through folio->lru in
 * the order they entered the cache (oldest at the head), protected by
 * lru_lock, a leaf lock: it may be taken with any other model lock held
 * (filemap_add_folio holds xa_lock, migration holds folio locks and mms)
 * and nothing is taken under it -- reclaim only does folio_try_get() there.
 * PG_lru says "on the list" and changes only under lru_lock.
 *
 * A folio leaves the list when it leaves the cache (folio_del_lru), when
 * migration hands its place to the replacement (folio_lru_replace), when
 * reclaim isolates it (vmscan.c: PG_lru cleared while reclaim holds a
 * reference, then put back at the tail or freed), and at the latest when
 * it is freed (folio_put_refs above), so a freed frame is never linked.
 * Reclaim puts an isolated folio back only while it is still in a cache
 * (folio->mapping set, read under lru_lock).  A removal racing with that
 * (its folio_del_lru found the folio isolated, its mapping not yet
 * cleared when reclaim looked) can leave a detached folio on the list for
 * a while: harmless, since the next reclaim scan drops it (no mapping)
 * and the final folio_put() unlinks it at the latest.
 */
static spinlock_t lru_lock = { .m = PTHREAD_MUTEX_INITIALIZER, .owner = 0 };
static LIST_HEAD(file_lru);			/* lru_lock */
static unsigned long nr_file_lru;		/* pages on file_lru; lru_lock */

/*
 * folio_add_lru - put the page-cache @folio at the tail of the file LRU
 * (filemap_add_folio; not for unevictable mappings).  The caller holds a
 * reference and @folio is on no list.  Takes lru_lock.
 */
void folio_add_lru(struct folio *folio)
{
	spin_lock(&lru_lock);
	VM_BUG_ON_PAGE(PageLru(&folio->page), &folio->page);
	list_add_tail(&folio->lru, &file_lru);
	SetPageLru(&folio->page);
	nr_file_lru += folio_nr_pages(folio);
	spin_unlock(&lru_lock);
}

/*
 * folio_del_lru - take @folio off the file LRU if it is on it (it is
 * leaving the page cache, with the folio locked; or it is being freed).
 * A folio that reclaim has isolated is not on the list; reclaim does not
 * put it back once its mapping is cleared.  Takes lru_lock.
 */
void folio_del_lru(struct folio *folio)
{
	spin_lock(&lru_lock);
	if (PageLru(&folio->page)) {
		list_del_init(&folio->lru);
		ClearPageLru(&folio->page);
		nr_file_lru -= folio_nr_pages(folio);
	}
	spin_unlock(&lru_lock);
}

/*
 * folio_lru_replace - migration moved @src's page-cache slots to @dst:
 * @dst takes @src's place on the LRU (same age) if @src was on it.  Both
 * locked by the migrator, @src frozen, @dst on no list.  Takes lru_lock.
 */
void folio_lru_replace(struct folio *src, struct folio *dst)
{
	spin_lock(&lru_lock);
	if (PageLru(&src->page)) {
		VM_BUG_ON_PAGE(PageLru(&dst->page), &dst->page);
		/* Link @dst between @src's neighbours, then unlink @src. */
		__list_add(&dst->lru, src->lru.prev, src->lru.next);
		INIT_LIST_HEAD(&src->lru);
		ClearPageLru(&src->page);
		SetPageLru(&dst->page);
	}
	spin_unlock(&lru_lock);
}

/*
 * pnm_lru_isolate - reclaim's isolation step: take the oldest folio of a
 * zone in @zone_mask (bit per enum zone_type) off the LRU with a
 * reference (folio_try_get; PG_lru cleared).  Folios of other zones are
 * passed over where they are (they keep their age).  A folio whose
 * reference cannot be taken (frozen: migration or a free in progress) is
 * rotated to the tail.  Each candidate looked at uses up one of
 * *@max_scan.  Returns the folio or NULL.  Takes lru_lock.
 */
struct folio *pnm_lru_isolate(unsigned long *max_scan, unsigned int zone_mask)
{
	struct folio *folio = NULL, *f, *tmp;

	spin_lock(&lru_lock);
	list_for_each_entry_safe(f, tmp, &file_lru, lru) {
		if (!*max_scan)
			break;
		if (!(zone_mask & (1u << folio_zone(f)->idx)))
			continue;
		(*max_scan)--;
		/* Fully ordered try_get: pairs with the final folio_put's
		 * decrement (a zero count is never revived) and with the
		 * freeze cmpxchg of migration. */
		if (!folio_try_get(f)) {
			list_move_tail(&f->lru, &file_lru);
			continue;
		}
		list_del_init(&f->lru);
		ClearPageLru(&f->page);
		nr_file_lru -= folio_nr_pages(f);
		folio = f;
		break;
	}
	spin_unlock(&lru_lock);
	return folio;
}

/*
 * pnm_lru_putback - give back a folio pnm_lru_isolate() returned, at the
 * tail, if it is still in a page cache; otherwise (removed from its cache
 * meanwhile) it stays off the list.  The caller still holds its reference
 * and drops it afterwards.  Takes lru_lock.
 */
void pnm_lru_putback(struct folio *folio)
{
	spin_lock(&lru_lock);
	if (!PageLru(&folio->page) && READ_ONCE(folio->mapping) &&
	    !folio_test_anon(folio)) {
		list_add_tail(&folio->lru, &file_lru);
		SetPageLru(&folio->page);
		nr_file_lru += folio_nr_pages(folio);
	}
	spin_unlock(&lru_lock);
}

/* pnm_lru_pages - pages on the file LRU now (a snapshot).  Takes lru_lock. */
unsigned long pnm_lru_pages(void)
{
	unsigned long n;

	spin_lock(&lru_lock);
	n = nr_file_lru;
	spin_unlock(&lru_lock);
	return n;
}

/*
 * pnm_check_lru - check the file LRU: every entry is a live page-cache
 * folio head with PG_lru, and the page count adds up.  Reports with
 * pnm_check_fail().  Call with the model quiescent.  Takes lru_lock.
 */
bool pnm_check_lru(void)
{
	unsigned long n = 0;
	struct folio *folio;
	bool ok = true;

	spin_lock(&lru_lock);
	list_for_each_entry(folio, &file_lru, lru) {
		if (!PageLru(&folio->page) || PageTail(&folio->page) ||
		    folio_ref_count(folio) <= 0 || folio_test_anon(folio)) {
			ok = pnm_check_fail("file LRU: pfn %#lx lru %d refcount %d anon %d",
					    folio_pfn(folio), PageLru(&folio->page),
					    folio_ref_count(folio), folio_test_anon(folio));
			break;
		}
		n += folio_nr_pages(folio);
	}
	if (ok && n != nr_file_lru)
		ok = pnm_check_fail("file LRU: %lu pages listed, %lu counted", n, nr_file_lru);
	spin_unlock(&lru_lock);
	return ok;
}

/*
 * pnm_lru_reset - start a new model with an empty LRU.  Entries of the
 * previous model (only if it leaked cache folios) belonged to an arena
 * that is gone; they are abandoned, not unlinked.  pnm_init() only.
 */
void pnm_lru_reset(void)
{
	spin_lock(&lru_lock);
	INIT_LIST_HEAD(&file_lru);
	nr_file_lru = 0;
	spin_unlock(&lru_lock);
}
