// SPDX-License-Identifier: MIT
/*
 * swap.c - dropping folio references, copying folio contents, and the
 * LRU lists.
 *
 * Linux keeps folio_put() and friends in mm/swap.c, next to the LRU code.
 * The model's LRU is three global lists (below): the file list of
 * evictable page-cache folios and lazily freed anon folios, and the
 * inactive and active lists of anonymous and swap cache folios, which
 * reclaim (vmscan.c) scans oldest first.  The last folio_put() hands the
 * frames back to the buddy allocator through free_folio_frames(), taking
 * the folio off its list first if it is still on one.
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
	VM_BUG_ON_PAGE(PageTail(&folio->page), &folio->page);
	/* Fully ordered: see the comment at the top of the file. */
	__folio_put_refs_done(folio, atomic_sub_return(nr, &folio->_refcount));
}

/*
 * pin_debug: was that put a put_page() of a pin's reference?  Our
 * references are gone, so another thread may free the folio and reuse its
 * frames meanwhile: look only under a reference taken anew (none if the
 * count reached 0), and drop it the way folio_put_refs() would, without
 * checking again.
 */
static void pin_check_after_put(struct folio *folio, int refs)
{
	if (!folio_try_get(folio))
		return;
	if (pnm_pin_check_wanted(folio))
		pnm_pin_check_put(folio, refs, 1);
	/* Fully ordered, as folio_put_refs(). */
	if (!atomic_sub_return(1, &folio->_refcount))
		__folio_put_refs_done(folio, 0);
}

/*
 * __folio_put_refs_done - the rest of folio_put_refs() once its atomic
 * left @refs references (mm.h): free the folio at zero, abort on an
 * underflow, check a put_page() on a pinned folio (pin_debug).  For
 * callers that inline the decrement and call this only when the count
 * reached 0 (or below) or pin_debug is on (gup_unpin.c).
 */
void __folio_put_refs_done(struct folio *folio, int refs)
{
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
	else if (unlikely(pnm_config.pin_debug))
		pin_check_after_put(folio, refs);	/* put_page() on a pin? */
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

/* --- the LRU lists -----------------------------------------------------------
 *
 * Three lists of evictable folios, each linked through folio->lru with the
 * oldest at the head, protected by lru_lock:
 *
 *   LRU_FILE           page-cache folios, in the order they entered the
 *                      cache, and lazily freed anon folios (MADV_FREE:
 *                      !PG_swapbacked), which Linux keeps on the file list
 *                      too so that reclaim drops them without swap;
 *   LRU_INACTIVE_ANON  swap-backed anon folios and swap cache folios: new
 *                      ones enter here (Linux since 5.9), reclaim swaps
 *                      out from its head;
 *   LRU_ACTIVE_ANON    anon folios reclaim found referenced again
 *                      (PG_active); moved back to the inactive list when
 *                      that grows shorter than this one, or by MADV_COLD.
 *
 * lru_lock is a leaf: it may be taken with any other model lock held
 * (filemap_add_folio holds xa_lock, the anon faults a ptl, migration folio
 * locks) and nothing is taken under it but folio_try_get().  PG_lru says
 * "on a list" and changes only under lru_lock; which list follows from
 * PG_swapbacked and PG_active (folio_lru_list()), which change only under
 * lru_lock while the folio is on a list (lazyfree, deactivation), or while
 * it is isolated (PG_lru clear: reclaim may set PG_active or PG_swapbacked
 * before it puts the folio back).  The page counts and the
 * nr_inactive_anon / nr_active_anon gauges move with the lists.
 *
 * A folio leaves its list when it leaves the cache (folio_del_lru), when
 * migration hands its place to the replacement (folio_lru_replace), when
 * reclaim or MADV_PAGEOUT isolates it (a reference and PG_lru cleared;
 * put back or freed afterwards), and at the latest when it is freed
 * (folio_put_refs above), so a freed frame is never linked.  An isolated
 * page-cache folio goes back only while it is still in a cache
 * (folio->mapping set, read under lru_lock).  A removal racing with that
 * (its folio_del_lru found the folio isolated, its mapping not yet
 * cleared when reclaim looked) can leave a detached folio on the list for
 * a while: harmless, since the next reclaim scan drops it (no mapping)
 * and the final folio_put() unlinks it at the latest.  Anon and swap
 * cache folios always go back; one that is about to be freed is unlinked
 * by its final folio_put().
 */
static spinlock_t lru_lock = { .m = PTHREAD_MUTEX_INITIALIZER, .owner = 0 };
static struct list_head lru_lists[NR_PNM_LRU_LISTS] = {	/* lru_lock */
	LIST_HEAD_INIT(lru_lists[LRU_INACTIVE_ANON]),
	LIST_HEAD_INIT(lru_lists[LRU_ACTIVE_ANON]),
	LIST_HEAD_INIT(lru_lists[LRU_FILE]),
};
static unsigned long lru_nr[NR_PNM_LRU_LISTS];		/* pages; lru_lock */
static const char *const lru_names[NR_PNM_LRU_LISTS] = {
	"inactive anon", "active anon", "file",
};

/* The list @folio belongs on, by its flags. */
static enum pnm_lru_list folio_lru_list(const struct folio *folio)
{
	if (!folio_test_swapbacked(folio))
		return LRU_FILE;
	return folio_test_active(folio) ? LRU_ACTIVE_ANON : LRU_INACTIVE_ANON;
}

/* lru_nr[@lru] and its gauge move by @nr pages; lru_lock held. */
static void lru_account(enum pnm_lru_list lru, long nr)
{
	lru_nr[lru] += (unsigned long)nr;
	if (lru == LRU_INACTIVE_ANON)
		mod_vm_stat(NR_INACTIVE_ANON, nr);
	else if (lru == LRU_ACTIVE_ANON)
		mod_vm_stat(NR_ACTIVE_ANON, nr);
}

/* Link @folio at the newest end of its list; lru_lock held. */
static void lru_add_locked(struct folio *folio)
{
	enum pnm_lru_list lru = folio_lru_list(folio);

	VM_BUG_ON_PAGE(PageLru(&folio->page), &folio->page);
	list_add_tail(&folio->lru, &lru_lists[lru]);
	SetPageLru(&folio->page);
	lru_account(lru, (long)folio_nr_pages(folio));
}

/* Unlink @folio (on a list); lru_lock held. */
static void lru_del_locked(struct folio *folio)
{
	list_del_init(&folio->lru);
	ClearPageLru(&folio->page);
	lru_account(folio_lru_list(folio), -(long)folio_nr_pages(folio));
}

/*
 * folio_add_lru - put @folio at the newest end of the list its flags name:
 * a page-cache folio (filemap_add_folio; not for unevictable mappings), a
 * new anon folio (folio_add_new_anon_rmap), a new swap cache folio
 * (swapin).  The caller holds a reference and @folio is on no list.
 * Takes lru_lock.
 */
void folio_add_lru(struct folio *folio)
{
	spin_lock(&lru_lock);
	lru_add_locked(folio);
	spin_unlock(&lru_lock);
}

/*
 * folio_del_lru - take @folio off its list if it is on one (it is leaving
 * the page cache, with the folio locked; or it is being freed).  A folio
 * that reclaim has isolated is not on a list; reclaim does not put a
 * page-cache folio back once its mapping is cleared.  Takes lru_lock.
 */
void folio_del_lru(struct folio *folio)
{
	spin_lock(&lru_lock);
	if (PageLru(&folio->page))
		lru_del_locked(folio);
	spin_unlock(&lru_lock);
}

/*
 * folio_lru_replace - migration moved @src to @dst: @dst takes @src's
 * place (same list, same age, PG_active) if @src was on a list.  Both
 * locked by the migrator, @src frozen, @dst on no list and with @src's
 * PG_swapbacked already.  Takes lru_lock.
 */
void folio_lru_replace(struct folio *src, struct folio *dst)
{
	spin_lock(&lru_lock);
	if (PageLru(&src->page)) {
		VM_BUG_ON_PAGE(PageLru(&dst->page), &dst->page);
		VM_BUG_ON_PAGE(folio_test_swapbacked(src) != folio_test_swapbacked(dst),
			       &dst->page);
		if (folio_test_active(src))
			set_bit(PG_active, &dst->page.flags);
		/* Link @dst between @src's neighbours, then unlink @src. */
		__list_add(&dst->lru, src->lru.prev, src->lru.next);
		INIT_LIST_HEAD(&src->lru);
		ClearPageLru(&src->page);
		SetPageLru(&dst->page);
	}
	spin_unlock(&lru_lock);
}

/*
 * pnm_lru_isolate_list - reclaim's isolation step: take the oldest folio
 * of list @lru living in a zone of @zone_mask (bit per enum zone_type) off
 * the list with a reference (folio_try_get; PG_lru cleared).  Folios of
 * other zones are passed over where they are (they keep their age).  A
 * folio whose reference cannot be taken (frozen: migration or a free in
 * progress) is rotated to the newest end.  Each candidate looked at uses
 * up one of *@max_scan.  Returns the folio or NULL.  Takes lru_lock.
 */
struct folio *pnm_lru_isolate_list(enum pnm_lru_list lru, unsigned long *max_scan,
				   unsigned int zone_mask)
{
	struct folio *folio = NULL, *f, *tmp;

	spin_lock(&lru_lock);
	list_for_each_entry_safe(f, tmp, &lru_lists[lru], lru) {
		if (!*max_scan)
			break;
		if (!(zone_mask & (1u << folio_zone(f)->idx)))
			continue;
		(*max_scan)--;
		/* Fully ordered try_get: pairs with the final folio_put's
		 * decrement (a zero count is never revived) and with the
		 * freeze cmpxchg of migration and reclaim. */
		if (!folio_try_get(f)) {
			list_move_tail(&f->lru, &lru_lists[lru]);
			continue;
		}
		lru_del_locked(f);
		folio = f;
		break;
	}
	spin_unlock(&lru_lock);
	return folio;
}

/* pnm_lru_isolate - pnm_lru_isolate_list() of the file list (internal.h). */
struct folio *pnm_lru_isolate(unsigned long *max_scan, unsigned int zone_mask)
{
	return pnm_lru_isolate_list(LRU_FILE, max_scan, zone_mask);
}

/*
 * folio_isolate_lru - take @folio off its list for the caller, who holds
 * a reference already (swap.h): one more reference, PG_lru cleared.
 * false if it is on no list.  Takes lru_lock.
 */
bool folio_isolate_lru(struct folio *folio)
{
	bool ret = false;

	spin_lock(&lru_lock);
	if (PageLru(&folio->page)) {
		lru_del_locked(folio);
		folio_get(folio);
		ret = true;
	}
	spin_unlock(&lru_lock);
	return ret;
}

/*
 * pnm_lru_putback - give back a folio reclaim isolated, at the newest end
 * of the list its flags name now: an anon or swap cache folio always, a
 * page-cache folio only if it is still in a cache (otherwise it stays off
 * the list).  The caller still holds its reference and drops it
 * afterwards.  Takes lru_lock.
 */
void pnm_lru_putback(struct folio *folio)
{
	spin_lock(&lru_lock);
	if (!PageLru(&folio->page) &&
	    (folio_test_anon(folio) || folio_test_swapcache(folio) ||
	     READ_ONCE(folio->mapping)))
		lru_add_locked(folio);
	spin_unlock(&lru_lock);
}

/* folio_putback_lru - pnm_lru_putback(), then drop the isolation
 * reference (swap.h). */
void folio_putback_lru(struct folio *folio)
{
	pnm_lru_putback(folio);
	folio_put(folio);
}

/*
 * folio_deactivate - MADV_COLD (swap.h): off the active list, no
 * PG_referenced, newest end of the inactive list; a folio on the file
 * list only loses PG_referenced.  Nothing for a folio that is on no list
 * (isolated by someone else).  Takes lru_lock.
 */
void folio_deactivate(struct folio *folio)
{
	spin_lock(&lru_lock);
	if (PageLru(&folio->page)) {
		bool active = folio_test_active(folio);

		ClearPageReferenced(&folio->page);
		if (folio_lru_list(folio) != LRU_FILE) {
			lru_del_locked(folio);
			clear_bit(PG_active, &folio->page.flags);
			lru_add_locked(folio);
			if (active)
				count_vm_events(PGDEACTIVATE, (long)folio_nr_pages(folio));
		}
	}
	spin_unlock(&lru_lock);
}

/*
 * folio_mark_lazyfree - MADV_FREE (swap.h): a swap-backed anon folio on an
 * anon list, not in the swap cache, becomes lazily freed: PG_swapbacked,
 * PG_active and PG_referenced cleared, newest end of the file list.
 * Nothing for a folio on no list (isolated: Linux's batch skips it too).
 * Takes lru_lock.
 */
void folio_mark_lazyfree(struct folio *folio)
{
	spin_lock(&lru_lock);
	if (PageLru(&folio->page) && folio_test_anon(folio) &&
	    folio_test_swapbacked(folio) && !folio_test_swapcache(folio)) {
		lru_del_locked(folio);
		clear_bit(PG_active, &folio->page.flags);
		ClearPageReferenced(&folio->page);
		ClearPageSwapBacked(&folio->page);
		lru_add_locked(folio);
		count_vm_events(PGLAZYFREE, (long)folio_nr_pages(folio));
	}
	spin_unlock(&lru_lock);
}

/*
 * lru_add_split_folio - split_folio() made @head and the @nr - 1 pages
 * after it order-0 folios (swap.h).  Each former tail (locked, unmapped,
 * with the flags split_folio_struct() copied) joins @head's list right
 * after it, in order, if @head is on one: the list's page count is
 * unchanged (it counted @head as @nr pages, now each counts one);
 * otherwise (@head isolated) the newest end of its own list.  Takes
 * lru_lock.
 */
void lru_add_split_folio(struct folio *head, unsigned long nr)
{
	struct list_head *prev = &head->lru;
	bool on_list;
	unsigned long i;

	spin_lock(&lru_lock);
	on_list = PageLru(&head->page);
	for (i = 1; i < nr; i++) {
		struct folio *tail = (struct folio *)folio_page(head, i);

		if (folio_test_active(head))
			set_bit(PG_active, &tail->page.flags);
		if (!on_list) {
			lru_add_locked(tail);
			continue;
		}
		__list_add(&tail->lru, prev, prev->next);
		SetPageLru(&tail->page);
		prev = &tail->lru;
	}
	spin_unlock(&lru_lock);
}

/* pnm_lru_pages - pages on the file list now (a snapshot).  lru_lock. */
unsigned long pnm_lru_pages(void)
{
	return pnm_lru_list_pages(LRU_FILE);
}

/* pnm_lru_list_pages - pages on list @lru now (a snapshot).  lru_lock. */
unsigned long pnm_lru_list_pages(enum pnm_lru_list lru)
{
	unsigned long n;

	spin_lock(&lru_lock);
	n = lru_nr[lru];
	spin_unlock(&lru_lock);
	return n;
}

/* Is @folio a valid entry of list @lru?  lru_lock held. */
static bool lru_entry_ok(struct folio *folio, enum pnm_lru_list lru)
{
	if (!PageLru(&folio->page) || PageTail(&folio->page) || folio_ref_count(folio) <= 0)
		return false;
	if (folio_lru_list(folio) != lru)
		return false;
	if (lru == LRU_FILE)	/* a cache folio, or lazily freed anon */
		return folio_test_anon(folio) ? !folio_test_swapcache(folio)
					      : folio->mapping != NULL;
	return folio_test_anon(folio) || folio_test_swapcache(folio);
}

/*
 * pnm_check_lru - check the LRU lists: every entry is a live folio head
 * with PG_lru whose flags name the list it is on (the file list: page
 * cache or lazily freed anon; the anon lists: swap-backed anon or swap
 * cache), and each list's page count and gauge add up.  Reports with
 * pnm_check_fail().  Call with the model quiescent.  Takes lru_lock.
 */
bool pnm_check_lru(void)
{
	struct folio *folio;
	bool ok = true;
	int lru;

	spin_lock(&lru_lock);
	for (lru = 0; lru < NR_PNM_LRU_LISTS && ok; lru++) {
		unsigned long n = 0;

		list_for_each_entry(folio, &lru_lists[lru], lru) {
			if (!lru_entry_ok(folio, (enum pnm_lru_list)lru)) {
				ok = pnm_check_fail("%s LRU: pfn %#lx lru %d refcount %d anon %d "
						    "swapbacked %d active %d swapcache %d",
						    lru_names[lru], folio_pfn(folio),
						    PageLru(&folio->page), folio_ref_count(folio),
						    folio_test_anon(folio),
						    folio_test_swapbacked(folio),
						    folio_test_active(folio),
						    folio_test_swapcache(folio));
				break;
			}
			n += folio_nr_pages(folio);
		}
		if (ok && n != lru_nr[lru])
			ok = pnm_check_fail("%s LRU: %lu pages listed, %lu counted",
					    lru_names[lru], n, lru_nr[lru]);
	}
	if (ok && (global_stat(NR_INACTIVE_ANON) != (long)lru_nr[LRU_INACTIVE_ANON] ||
		   global_stat(NR_ACTIVE_ANON) != (long)lru_nr[LRU_ACTIVE_ANON]))
		ok = pnm_check_fail("nr_inactive_anon %ld nr_active_anon %ld, lists hold %lu and %lu",
				    global_stat(NR_INACTIVE_ANON), global_stat(NR_ACTIVE_ANON),
				    lru_nr[LRU_INACTIVE_ANON], lru_nr[LRU_ACTIVE_ANON]);
	spin_unlock(&lru_lock);
	return ok;
}

/*
 * pnm_lru_reset - start a new model with empty lists.  Entries of the
 * previous model (only if it leaked folios) belonged to an arena that is
 * gone; they are abandoned, not unlinked.  pnm_init() only.
 */
void pnm_lru_reset(void)
{
	int lru;

	spin_lock(&lru_lock);
	for (lru = 0; lru < NR_PNM_LRU_LISTS; lru++) {
		INIT_LIST_HEAD(&lru_lists[lru]);
		lru_nr[lru] = 0;
	}
	spin_unlock(&lru_lock);
}
