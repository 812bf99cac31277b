// SPDX-License-Identifier: MIT
/*
 * hugetlb.c - the hugetlb pools and their reservations (the pool half of
 * Linux's mm/hugetlb.c; the mapping half -- faults, COW, fork, unmap,
 * mprotect, GUP, migration entries -- is hugetlb_fault.c, the filesystem
 * fs/hugetlbfs.c; hugetlb.h describes the whole).
 *
 * A pool (struct hstate) holds folios of one huge page size.  They come
 * from the buddy allocator: a 2 MiB folio is one order-9 block, taken
 * like a movable allocation (ZONE_MOVABLE first, then NORMAL, then CMA:
 * Linux allocates migratable hugetlb sizes with GFP_HIGHUSER_MOVABLE); a
 * 1 GiB folio ("gigantic") is 512 naturally aligned free order-9 blocks of
 * ZONE_NORMAL taken at once (Linux's alloc_contig_pages(), minus its
 * migration of what is in the way: the model only takes ranges that are
 * free already) and glued into one order-18 compound.  Their life:
 *
 *   fresh (refcount 1) --pool growth--> free list (refcount 0, HPG_freed)
 *   free list --alloc_hugetlb_folio()--> active list (refcount 1: a fault's)
 *   active list --last folio_put()--> free_huge_folio(): back on the free
 *       list, or to the buddy allocator if temporary or the pool has
 *       surplus pages
 *   surplus pages (overcommit) are born on the active list (faults) or on
 *   the free list (mmap reservations: gather_surplus_pages())
 *
 * Reservations follow Linux (hugetlb.h, "Reservations"): resv_huge_pages
 * counts pages promised and not yet faulted; hugetlb_acct_memory() takes
 * and returns them, allocating surplus pages when the free ones do not
 * cover them and overcommit allows.  A reservation map per file (shared
 * mappings) or per private mapping records which offsets have been
 * reserved or consumed; alloc_hugetlb_folio() asks it whether a fault
 * has a reservation to use and commits the offset.
 *
 * Locks: hugetlb_lock (a leaf) protects every hstate's counters and lists
 * and the HPG_freed bit.  Frames go to and come from the buddy allocator
 * with it dropped (zone->lock is never taken under it), and so does the
 * pin registry's forgetting of a freed folio.  resv_map->lock (a leaf)
 * protects one map's ranges.  Callers of the reservation calls hold what
 * hugetlb.h says (the fault mutex, or invalidate_lock).
 */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "internal.h"

struct hstate hstates[HUGE_MAX_HSTATE];

/* The pools and every hstate counter; a leaf (see the top of the file). */
static spinlock_t hugetlb_lock = { .m = PTHREAD_MUTEX_INITIALIZER, .owner = 0 };

/* vm_private_data of a private hugetlb VMA: its resv_map, and flags in the
 * low bits (Linux's HPAGE_RESV_*). */
#define HPAGE_RESV_OWNER	0x1UL	/* mmap created it: it owns the map */
#define HPAGE_RESV_UNMAPPED	0x2UL	/* a page was unmapped so the owner
					 * could COW: later faults SIGBUS */
#define HPAGE_RESV_MASK		(HPAGE_RESV_OWNER | HPAGE_RESV_UNMAPPED)

/* --- hstates ------------------------------------------------------------- */

/* size_to_hstate - see hugetlb.h. */
struct hstate *size_to_hstate(unsigned long size)
{
	for (int i = 0; i < HUGE_MAX_HSTATE; i++)
		if (hstates[i].enabled && huge_page_size(&hstates[i]) == size)
			return &hstates[i];
	return NULL;
}

/* folio_hstate - the hstate of the hugetlb @folio, by its order. */
struct hstate *folio_hstate(const struct folio *folio)
{
	return folio_order(folio) == HUGETLB_PUD_ORDER ? &hstates[1] : &hstates[0];
}

/* What a pool allocation may use: 2 MiB pages are movable (they can be
 * migrated), gigantic ones come from ZONE_NORMAL. */
static gfp_t htlb_alloc_mask(const struct hstate *h)
{
	return hstate_is_gigantic(h) ? GFP_KERNEL : GFP_HIGHUSER_MOVABLE;
}

/* --- folios: from the buddy allocator and back ---------------------------- */

/* Could [start, start + nr) be free?  A racy peek at the block heads: a
 * free naturally aligned 2 MiB range is one order-9 buddy block. */
static bool range_looks_free(unsigned long start, unsigned long nr)
{
	for (unsigned long off = 0; off < nr; off += HPAGE_PMD_NR) {
		struct page *p = pfn_to_page(start + off);

		if (!PageBuddy(p) || READ_ONCE(p->private) != MAX_PAGE_ORDER)
			return false;
	}
	return true;
}

/*
 * Glue the 2^@order frames at @start (isolated order-9 blocks, each a
 * folio of refcount 1) into one folio of refcount 1.  Nobody else can
 * use the frames: a lockless scanner peeking meanwhile sees refcount 0 or
 * tails, and skips them.
 */
static struct folio *prep_gigantic(unsigned long start, unsigned int order)
{
	unsigned long nr = 1UL << order, i;
	struct page *head = pfn_to_page(start);

	for (i = 0; i < nr; i += HPAGE_PMD_NR) {
		struct page *b = head + i;

		atomic_set(&b->_refcount, 0);
		ClearPageHead(b);
		WRITE_ONCE(b->_folio_order, 0);
	}
	for (i = 1; i < nr; i++)
		set_compound_head(&head[i], head);
	SetPageHead(head);
	WRITE_ONCE(head->_folio_order, order);
	/* page[1], a tail now: the folio's fields (mm_types.h). */
	atomic_set(&((struct folio *)head)->_entire_mapcount, 0);
	atomic_set(&((struct folio *)head)->_pincount, 0);
	atomic_set(&head->_refcount, 1);
	return (struct folio *)head;
}

/*
 * A gigantic folio for @h: the first naturally aligned range of ZONE_NORMAL
 * that is entirely free, taken block by block with the zone lock (a block
 * taken by someone else meanwhile gives the rest back).  NULL if none.
 */
static struct folio *alloc_gigantic_folio(struct hstate *h)
{
	struct zone *zone = pnm_zone(ZONE_NORMAL);
	unsigned long nr = pages_per_huge_page(h), start, off;

	if (!zone)
		return NULL;
	for (start = ALIGN(zone->zone_start_pfn, nr); start + nr <= zone_end_pfn(zone);
	     start += nr) {
		if (!range_looks_free(start, nr))
			continue;
		for (off = 0; off < nr; off += HPAGE_PMD_NR)
			if (!pnm_isolate_free_range(zone, start + off, MAX_PAGE_ORDER))
				break;
		if (off == nr)
			return prep_gigantic(start, h->order);
		while (off) {
			off -= HPAGE_PMD_NR;
			folio_put(pfn_folio(start + off));	/* back to the buddy */
		}
	}
	return NULL;
}

/* Give a gigantic folio (refcount 0, nothing left on it) back as 512
 * order-9 blocks. */
static void free_gigantic_folio(struct folio *folio)
{
	unsigned long nr = folio_nr_pages(folio), i;
	struct page *head = &folio->page;

	for (i = 1; i < nr; i++)
		clear_compound_head(&head[i]);
	ClearPageHead(head);
	WRITE_ONCE(head->_folio_order, 0);
	for (i = 0; i < nr; i += HPAGE_PMD_NR)
		__free_pages(head + i, MAX_PAGE_ORDER);
}

/*
 * A fresh folio of @h from the buddy allocator: from zone @zt only if it
 * is not -1, else as htlb_alloc_mask() allows (and the caller's
 * memalloc_pin scope).  Refcount 1, PG_hugetlb, on no list, not yet
 * counted in the pool.  Counts htlb_buddy_alloc_success/_fail for 2 MiB
 * pages, as Linux.  No lock held.
 */
static struct folio *alloc_fresh_hugetlb_folio(struct hstate *h, int zt)
{
	struct folio *folio;

	if (hstate_is_gigantic(h)) {
		if (zt >= 0 && zt != ZONE_NORMAL)
			return NULL;
		folio = alloc_gigantic_folio(h);
	} else {
		gfp_t gfp = htlb_alloc_mask(h) | __GFP_NOWARN;

		folio = zt >= 0 ? folio_alloc_zone(gfp, h->order, (enum zone_type)zt)
				: folio_alloc(gfp, h->order);
		count_vm_event(folio ? HTLB_BUDDY_PGALLOC : HTLB_BUDDY_PGALLOC_FAIL);
	}
	if (!folio)
		return NULL;
	WRITE_ONCE(folio->page.private, 0);
	INIT_LIST_HEAD(&folio->lru);
	set_bit(PG_hugetlb, &folio->page.flags);
	return folio;
}

/* The frames of @folio (refcount 0, off every list, uncounted) go back to
 * the buddy allocator.  No lock held. */
static void update_and_free_hugetlb_folio(struct hstate *h, struct folio *folio)
{
	VM_BUG_ON_PAGE(folio_ref_count(folio), &folio->page);
	clear_bit(PG_hugetlb, &folio->page.flags);
	WRITE_ONCE(folio->page.private, 0);
	INIT_LIST_HEAD(&folio->lru);
	if (hstate_is_gigantic(h))
		free_gigantic_folio(folio);
	else
		free_folio_frames(folio);
}

/* --- the lists (hugetlb_lock held) ------------------------------------------ */

static void enqueue_hugetlb_folio(struct hstate *h, struct folio *folio)
{
	lockdep_assert_held(&hugetlb_lock);
	list_move(&folio->lru, &h->hugepage_freelist);
	h->free_huge_pages++;
	folio_set_hugetlb_freed(folio);
}

/*
 * Take a free folio off @h's free list (newest first, as Linux): one in
 * zone @zt if that is not -1, and, inside a memalloc_pin scope, one a
 * long-term pin may stay on.  It gets refcount 1 and goes on the active
 * list.  NULL if none fits.
 */
static struct folio *dequeue_hugetlb_folio(struct hstate *h, int zt)
{
	bool pin = memalloc_pin_active();
	struct folio *folio;

	lockdep_assert_held(&hugetlb_lock);
	list_for_each_entry(folio, &h->hugepage_freelist, lru) {
		if (zt >= 0 && page_zonenum(&folio->page) != (enum zone_type)zt)
			continue;
		if (pin && !folio_is_longterm_pinnable(folio))
			continue;
		list_move(&folio->lru, &h->hugepage_activelist);
		folio_clear_hugetlb_freed(folio);
		h->free_huge_pages--;
		/* Relaxed: the folio reaches others through a mapping or the
		 * page cache, both published after this. */
		atomic_set(&folio->_refcount, 1);
		return folio;
	}
	return NULL;
}

/* Take @folio (free or in use) out of the pool; @adjust_surplus: it was a
 * surplus page. */
static void remove_hugetlb_folio(struct hstate *h, struct folio *folio,
				 bool adjust_surplus)
{
	lockdep_assert_held(&hugetlb_lock);
	list_del_init(&folio->lru);
	if (folio_test_hugetlb_freed(folio)) {
		folio_clear_hugetlb_freed(folio);
		h->free_huge_pages--;
	}
	if (adjust_surplus)
		h->surplus_huge_pages--;
	h->nr_huge_pages--;
}

/* A free folio to give back to the buddy allocator: a surplus one if
 * @acct_surplus (then only while there are surplus pages), else any.
 * NULL if none. */
static struct folio *remove_pool_hugetlb_folio(struct hstate *h, bool acct_surplus)
{
	struct folio *folio;

	lockdep_assert_held(&hugetlb_lock);
	if ((acct_surplus && !h->surplus_huge_pages) || list_empty(&h->hugepage_freelist))
		return NULL;
	folio = list_first_entry(&h->hugepage_freelist, struct folio, lru);
	remove_hugetlb_folio(h, folio, acct_surplus);
	return folio;
}

static unsigned long persistent_huge_pages(const struct hstate *h)
{
	return h->nr_huge_pages - h->surplus_huge_pages;
}

/* Pages a fault without a reservation may take: free and not promised. */
static bool available_huge_pages(const struct hstate *h)
{
	return h->free_huge_pages > h->resv_huge_pages;
}

/* --- freeing ---------------------------------------------------------------- */

/*
 * free_huge_folio - see hugetlb.h.  The model-only page flags a freed
 * folio may carry (a truncated page-cache folio that was still pinned:
 * PG_pnm_truncated, counted in PNM_NR_TRUNCATED_LIVE; a quarantined one)
 * go with its last reference, as free_folio_frames() does for others.
 */
void free_huge_folio(struct folio *folio)
{
	struct hstate *h = folio_hstate(folio);
	bool restore = folio_test_hugetlb_restore_reserve(folio);
	long nr = (long)folio_nr_pages(folio);
	bool to_buddy;

	VM_BUG_ON_PAGE(folio_ref_count(folio) != 0, &folio->page);
	VM_BUG_ON_PAGE(folio_entire_mapcount(folio) || atomic_read(&folio->_pincount),
		       &folio->page);
	VM_BUG_ON_PAGE(folio_test_locked(folio) || PageLru(&folio->page), &folio->page);
	WRITE_ONCE(folio->mapping, NULL);
	folio->index = 0;
	folio_clear_hugetlb_restore_reserve(folio);
	ClearPageAnonExclusive(&folio->page);
	ClearPageDirty(&folio->page);
	ClearPageUptodate(&folio->page);
	ClearPageReferenced(&folio->page);
	if (test_bit(PG_pnm_truncated, &folio->flags)) {
		clear_bit(PG_pnm_truncated, &folio->flags);
		mod_vm_stat(PNM_NR_TRUNCATED_LIVE, -nr);
	}
	if (test_bit(PG_pnm_quarantined, &folio->flags)) {
		clear_bit(PG_pnm_quarantined, &folio->flags);
		mod_vm_stat(PNM_NR_QUARANTINED, -nr);
	}
	/* The frames change hands, even if they stay in the pool. */
	pnm_pin_registry_forget(folio);

	spin_lock(&hugetlb_lock);
	folio_clear_hugetlb_migratable(folio);
	if (restore)
		h->resv_huge_pages++;
	if (folio_test_hugetlb_temporary(folio)) {
		folio_clear_hugetlb_temporary(folio);
		remove_hugetlb_folio(h, folio, false);
		to_buddy = true;
	} else if (h->surplus_huge_pages &&
		   h->resv_huge_pages <= h->free_huge_pages) {
		/* A surplus page is not kept, unless a reservation it just
		 * got back needs it (then it waits free, still surplus). */
		remove_hugetlb_folio(h, folio, true);
		to_buddy = true;
	} else {
		enqueue_hugetlb_folio(h, folio);
		to_buddy = false;
	}
	spin_unlock(&hugetlb_lock);
	if (to_buddy)
		update_and_free_hugetlb_folio(h, folio);
}

/* Free a list of folios taken out of the pool (refcount 0). */
static void free_folio_list(struct hstate *h, struct list_head *list)
{
	while (!list_empty(list)) {
		struct folio *folio = list_first_entry(list, struct folio, lru);

		list_del_init(&folio->lru);
		update_and_free_hugetlb_folio(h, folio);
	}
}

/* --- surplus pages and reservations of the pool ----------------------------- */

/*
 * A surplus folio for a fault or a reservation, if overcommit allows
 * (never a gigantic one): fresh from the buddy allocator, counted in
 * nr_huge_pages and surplus_huge_pages, on the active list with refcount
 * 1.  NULL otherwise.  No lock held.
 */
static struct folio *alloc_surplus_hugetlb_folio(struct hstate *h)
{
	struct folio *folio;

	if (hstate_is_gigantic(h))
		return NULL;
	spin_lock(&hugetlb_lock);
	if (h->surplus_huge_pages >= h->nr_overcommit_huge_pages) {
		spin_unlock(&hugetlb_lock);
		return NULL;
	}
	spin_unlock(&hugetlb_lock);
	folio = alloc_fresh_hugetlb_folio(h, -1);
	if (!folio)
		return NULL;
	spin_lock(&hugetlb_lock);
	/* The pool may have changed meanwhile: recheck the limit. */
	if (h->surplus_huge_pages >= h->nr_overcommit_huge_pages) {
		spin_unlock(&hugetlb_lock);
		atomic_set(&folio->_refcount, 0);
		update_and_free_hugetlb_folio(h, folio);
		return NULL;
	}
	h->nr_huge_pages++;
	h->surplus_huge_pages++;
	list_add(&folio->lru, &h->hugepage_activelist);
	spin_unlock(&hugetlb_lock);
	return folio;
}

/*
 * Reserve @delta more pages: if the free pages not yet promised do not
 * cover them, allocate the difference as surplus pages and put them on
 * the free list.  0, or -ENOMEM with nothing reserved (the surplus pages
 * allocated go back).  Called and returns with hugetlb_lock held; drops
 * it to allocate.
 */
static int gather_surplus_pages(struct hstate *h, long delta)
{
	LIST_HEAD(surplus_list);
	LIST_HEAD(free_list);
	long needed, allocated = 0;
	struct folio *folio, *tmp;
	int ret = -ENOMEM;

	lockdep_assert_held(&hugetlb_lock);
	needed = (long)(h->resv_huge_pages + (unsigned long)delta) - (long)h->free_huge_pages;
	if (needed <= 0) {
		h->resv_huge_pages += (unsigned long)delta;
		return 0;
	}
	for (;;) {
		bool alloc_ok = true;
		long i;

		spin_unlock(&hugetlb_lock);
		for (i = 0; i < needed; i++) {
			folio = alloc_surplus_hugetlb_folio(h);
			if (!folio) {
				alloc_ok = false;
				break;
			}
			list_move(&folio->lru, &surplus_list);
		}
		allocated += i;
		spin_lock(&hugetlb_lock);
		/* Recount: resv and free may have changed while unlocked. */
		needed = (long)(h->resv_huge_pages + (unsigned long)delta) -
			 (long)(h->free_huge_pages + (unsigned long)allocated);
		if (needed <= 0)
			break;
		if (!alloc_ok)
			goto free;
	}
	/* Keep what the reservation needs on the free list, free the rest. */
	needed += allocated;
	h->resv_huge_pages += (unsigned long)delta;
	ret = 0;
	list_for_each_entry_safe(folio, tmp, &surplus_list, lru) {
		if (needed-- <= 0)
			break;
		atomic_set(&folio->_refcount, 0);
		enqueue_hugetlb_folio(h, folio);
	}
free:
	/* The rest leave the pool again (counted as surplus in use). */
	list_for_each_entry_safe(folio, tmp, &surplus_list, lru) {
		atomic_set(&folio->_refcount, 0);
		remove_hugetlb_folio(h, folio, true);
		list_add(&folio->lru, &free_list);
	}
	spin_unlock(&hugetlb_lock);
	free_folio_list(h, &free_list);
	spin_lock(&hugetlb_lock);
	return ret;
}

/*
 * Give back @unused reservations, and with them as many free surplus
 * pages (Linux's return_unused_surplus_pages()).  hugetlb_lock held;
 * dropped to free the frames.
 */
static void return_unused_surplus_pages(struct hstate *h, unsigned long unused)
{
	unsigned long nr_pages;
	LIST_HEAD(page_list);

	lockdep_assert_held(&hugetlb_lock);
	VM_BUG_ON(unused > h->resv_huge_pages);
	h->resv_huge_pages -= unused;
	nr_pages = min_t(unsigned long, unused, h->surplus_huge_pages);
	while (nr_pages--) {
		struct folio *folio = remove_pool_hugetlb_folio(h, true);

		if (!folio)
			break;
		list_add(&folio->lru, &page_list);
	}
	spin_unlock(&hugetlb_lock);
	free_folio_list(h, &page_list);
	spin_lock(&hugetlb_lock);
}

/* Take (@delta > 0) or give back (< 0) reservations: 0, or -ENOMEM if
 * the pool cannot back them.  Takes hugetlb_lock. */
static int hugetlb_acct_memory(struct hstate *h, long delta)
{
	int ret = 0;

	spin_lock(&hugetlb_lock);
	if (delta > 0)
		ret = gather_surplus_pages(h, delta);
	else if (delta < 0)
		return_unused_surplus_pages(h, (unsigned long)-delta);
	spin_unlock(&hugetlb_lock);
	return ret;
}

/* --- the pool's size -------------------------------------------------------- */

/* Turn a surplus page persistent (@delta -1) or a persistent one surplus
 * (+1): true if done.  hugetlb_lock held. */
static bool adjust_pool_surplus(struct hstate *h, int delta)
{
	if (delta < 0) {
		if (!h->surplus_huge_pages)
			return false;
		h->surplus_huge_pages--;
		return true;
	}
	if (h->surplus_huge_pages >= h->nr_huge_pages)
		return false;
	h->surplus_huge_pages++;
	return true;
}

/*
 * Linux's set_max_huge_pages() (the contract is pnm_hugetlb_set_pages()'s,
 * pinmm/hugetlb.h): grow with surplus pages made persistent, then fresh
 * ones; shrink by freeing unused pages down to what is in use or reserved,
 * then making the rest surplus.  Returns the persistent size reached.
 */
static unsigned long set_max_huge_pages(struct hstate *h, unsigned long count)
{
	unsigned long min_count;
	LIST_HEAD(page_list);

	spin_lock(&hugetlb_lock);
	while (h->surplus_huge_pages && count > persistent_huge_pages(h))
		if (!adjust_pool_surplus(h, -1))
			break;
	while (count > persistent_huge_pages(h)) {
		struct folio *folio;

		spin_unlock(&hugetlb_lock);
		folio = alloc_fresh_hugetlb_folio(h, -1);
		spin_lock(&hugetlb_lock);
		if (!folio)
			break;
		atomic_set(&folio->_refcount, 0);
		h->nr_huge_pages++;
		list_add(&folio->lru, &h->hugepage_activelist);
		enqueue_hugetlb_folio(h, folio);
	}
	min_count = h->resv_huge_pages + h->nr_huge_pages - h->free_huge_pages;
	min_count = max_t(unsigned long, count, min_count);
	while (min_count < persistent_huge_pages(h)) {
		struct folio *folio = remove_pool_hugetlb_folio(h, false);

		if (!folio)
			break;
		list_add(&folio->lru, &page_list);
	}
	spin_unlock(&hugetlb_lock);
	free_folio_list(h, &page_list);
	spin_lock(&hugetlb_lock);
	while (count < persistent_huge_pages(h))
		if (!adjust_pool_surplus(h, 1))
			break;
	h->max_huge_pages = persistent_huge_pages(h);
	count = h->max_huge_pages;
	spin_unlock(&hugetlb_lock);
	return count;
}

/* --- reservation maps --------------------------------------------------------- */

/* resv_map_alloc - an empty map with one reference; NULL on -ENOMEM. */
struct resv_map *resv_map_alloc(void)
{
	struct resv_map *resv = pnm_calloc(PNM_FAULT_ALLOC, 1, sizeof(*resv));

	if (!resv)
		return NULL;
	spin_lock_init(&resv->lock);
	atomic_set(&resv->refs, 1);
	return resv;
}

/* resv_map_put - drop a reference; the last frees the map. */
void resv_map_put(struct resv_map *resv)
{
	/* Fully ordered: every use happens before the free. */
	if (!resv || atomic_sub_return(1, &resv->refs))
		return;
	spin_lock_destroy(&resv->lock);
	free(resv->from);
	free(resv->to);
	free(resv);
}

/* Room for @extra more ranges.  0 or -ENOMEM (the map unchanged). */
static int region_reserve(struct resv_map *r, unsigned long extra)
{
	unsigned long cap;
	unsigned long *p;

	if (r->nr + extra <= r->cap)
		return 0;
	cap = max_t(unsigned long, 8, 2 * (r->nr + extra));
	p = pnm_realloc(PNM_FAULT_ALLOC, r->from, cap * sizeof(*p));
	if (!p)
		return -ENOMEM;
	r->from = p;
	p = pnm_realloc(PNM_FAULT_ALLOC, r->to, cap * sizeof(*p));
	if (!p)
		return -ENOMEM;
	r->to = p;
	r->cap = cap;
	return 0;
}

static unsigned long overlap(unsigned long a, unsigned long b, unsigned long f,
			     unsigned long t)
{
	unsigned long lo = max_t(unsigned long, a, f), hi = min_t(unsigned long, b, t);

	return hi > lo ? hi - lo : 0;
}

/* Pages of [f, t) in the map.  Map lock held. */
static long __region_count(struct resv_map *r, unsigned long f, unsigned long t)
{
	long n = 0;

	for (unsigned long i = 0; i < r->nr && r->from[i] < t; i++)
		n += (long)overlap(r->from[i], r->to[i], f, t);
	return n;
}

/* region_count - see hugetlb.h.  Takes the map's lock. */
long region_count(struct resv_map *resv, unsigned long f, unsigned long t)
{
	long n;

	spin_lock(&resv->lock);
	n = __region_count(resv, f, t);
	spin_unlock(&resv->lock);
	return n;
}

/* Add [f, t): the pages that were not in the map, or -ENOMEM.  Ranges
 * that touch are merged.  Map lock held. */
static long region_add(struct resv_map *r, unsigned long f, unsigned long t)
{
	unsigned long i = 0, j, nf = f, nt = t;
	long added = (long)(t - f);

	if (f >= t)
		return 0;
	if (region_reserve(r, 1))
		return -ENOMEM;
	while (i < r->nr && r->to[i] < f)
		i++;
	for (j = i; j < r->nr && r->from[j] <= t; j++) {
		added -= (long)overlap(r->from[j], r->to[j], f, t);
		nf = min_t(unsigned long, nf, r->from[j]);
		nt = max_t(unsigned long, nt, r->to[j]);
	}
	if (j == i) {		/* a new range at i */
		memmove(&r->from[i + 1], &r->from[i], (r->nr - i) * sizeof(*r->from));
		memmove(&r->to[i + 1], &r->to[i], (r->nr - i) * sizeof(*r->to));
		r->nr++;
	} else {		/* ranges i..j-1 become one */
		memmove(&r->from[i + 1], &r->from[j], (r->nr - j) * sizeof(*r->from));
		memmove(&r->to[i + 1], &r->to[j], (r->nr - j) * sizeof(*r->to));
		r->nr -= j - i - 1;
	}
	r->from[i] = nf;
	r->to[i] = nt;
	return added;
}

/* Remove [f, t): the pages that were in the map, or -ENOMEM (a range to
 * split and no room).  Map lock held. */
static long region_del(struct resv_map *r, unsigned long f, unsigned long t)
{
	unsigned long i = 0;
	long removed = 0;

	if (f >= t)
		return 0;
	if (region_reserve(r, 1))
		return -ENOMEM;
	while (i < r->nr) {
		unsigned long rf = r->from[i], rt = r->to[i];

		if (rt <= f) {
			i++;
			continue;
		}
		if (rf >= t)
			break;
		removed += (long)overlap(rf, rt, f, t);
		if (rf < f && rt > t) {		/* split in two */
			memmove(&r->from[i + 2], &r->from[i + 1], (r->nr - i - 1) * sizeof(*r->from));
			memmove(&r->to[i + 2], &r->to[i + 1], (r->nr - i - 1) * sizeof(*r->to));
			r->nr++;
			r->to[i] = f;
			r->from[i + 1] = t;
			r->to[i + 1] = rt;
			break;
		}
		if (rf < f) {
			r->to[i++] = f;
		} else if (rt > t) {
			r->from[i] = t;
			break;
		} else {			/* wholly inside: drop it */
			memmove(&r->from[i], &r->from[i + 1], (r->nr - i - 1) * sizeof(*r->from));
			memmove(&r->to[i], &r->to[i + 1], (r->nr - i - 1) * sizeof(*r->to));
			r->nr--;
		}
	}
	return removed;
}

/* --- VMAs and their reservations ------------------------------------------------ */

static struct resv_map *vma_private_map(const struct vm_area_struct *vma)
{
	return (struct resv_map *)((unsigned long)vma->vm_private_data & ~HPAGE_RESV_MASK);
}

static bool is_vma_resv_set(const struct vm_area_struct *vma, unsigned long flag)
{
	return !(vma->vm_flags & VM_MAYSHARE) &&
	       ((unsigned long)vma->vm_private_data & flag);
}

/* The map a fault in @vma consults: the file's (shared) or the mapping's
 * own (private owner); NULL for a private mapping that owns none. */
static struct resv_map *vma_resv_map(const struct vm_area_struct *vma)
{
	if (vma->vm_flags & VM_MAYSHARE)
		return inode_resv_map(vma->vm_file->f_inode);
	return vma_private_map(vma);
}

enum vma_resv_mode { VMA_NEEDS_RESV, VMA_COMMIT_RESV, VMA_ADD_RESV, VMA_DEL_RESV };

/*
 * Linux's __vma_reservation_common(): for the offset of @addr, NEEDS says
 * whether a fault there has no reservation (1) or has one (0); COMMIT
 * records the offset as instantiated (shared) / consumed (private); ADD
 * makes a reservation available there again; DEL removes the offset.
 * A private map records consumed offsets, the opposite of a shared one,
 * so its answers are inverted, as Linux's.  Negative on -ENOMEM.
 */
static long vma_reservation(struct hstate *h, struct vm_area_struct *vma,
			    unsigned long addr, enum vma_resv_mode mode)
{
	struct resv_map *resv = vma_resv_map(vma);
	bool shared = vma->vm_flags & VM_MAYSHARE;
	unsigned long idx;
	long ret;

	if (!resv)
		return 1;
	idx = vma_hugecache_offset(h, vma, addr);
	spin_lock(&resv->lock);
	switch (mode) {
	case VMA_NEEDS_RESV:
		ret = __region_count(resv, idx, idx + 1) ? 0 : 1;
		break;
	case VMA_COMMIT_RESV:
		ret = region_add(resv, idx, idx + 1);
		break;
	case VMA_ADD_RESV:
		ret = shared ? region_add(resv, idx, idx + 1) : region_del(resv, idx, idx + 1);
		break;
	default:
		ret = shared ? region_del(resv, idx, idx + 1) : region_add(resv, idx, idx + 1);
		break;
	}
	spin_unlock(&resv->lock);
	if (shared || mode == VMA_DEL_RESV || ret < 0)
		return ret;
	return ret > 0 ? 0 : 1;
}

/* Does a fault in @vma whose offset had @chg (vma_needs_reservation)
 * have a reservation to use?  Linux's vma_has_reserves(). */
static bool vma_has_reserves(const struct vm_area_struct *vma, long chg)
{
	if (vma->vm_flags & VM_NORESERVE)
		/* A page another mapping of the file reserved. */
		return (vma->vm_flags & VM_MAYSHARE) && chg == 0;
	if (vma->vm_flags & VM_MAYSHARE)
		return chg == 0;
	if (is_vma_resv_set(vma, HPAGE_RESV_OWNER))
		return chg == 0;
	return false;
}

/* alloc_hugetlb_folio - see hugetlb.h. */
struct folio *alloc_hugetlb_folio(struct vm_area_struct *vma, unsigned long addr,
				  bool avoid_reserve)
{
	struct hstate *h = hstate_vma(vma);
	long map_chg, map_commit, gbl_chg;
	struct folio *folio = NULL;

	map_chg = gbl_chg = vma_reservation(h, vma, addr, VMA_NEEDS_RESV);
	if (map_chg < 0)
		return ERR_PTR(-ENOMEM);
	if (map_chg || avoid_reserve)
		gbl_chg = 1;

	spin_lock(&hugetlb_lock);
	/* A fault without a reservation must not take a reserved page (a
	 * fork child's private mapping has none: Linux's "not stolen"). */
	if ((vma_has_reserves(vma, gbl_chg) && !avoid_reserve) || available_huge_pages(h))
		folio = dequeue_hugetlb_folio(h, -1);
	if (folio && !avoid_reserve && vma_has_reserves(vma, gbl_chg)) {
		folio_set_hugetlb_restore_reserve(folio);
		h->resv_huge_pages--;
	}
	spin_unlock(&hugetlb_lock);
	if (!folio) {
		folio = alloc_surplus_hugetlb_folio(h);
		if (!folio)
			return ERR_PTR(-ENOSPC);
		spin_lock(&hugetlb_lock);
		if (!avoid_reserve && vma_has_reserves(vma, gbl_chg)) {
			folio_set_hugetlb_restore_reserve(folio);
			h->resv_huge_pages--;
		}
		spin_unlock(&hugetlb_lock);
	}

	map_commit = vma_reservation(h, vma, addr, VMA_COMMIT_RESV);
	if (map_commit < 0) {
		folio_put(folio);	/* restores what it consumed */
		return ERR_PTR(-ENOMEM);
	}
	/*
	 * A racing mmap reserved the offset between our question and the
	 * commit (shared: it counted the page we took without one): that
	 * reservation no longer applies.
	 */
	if (map_chg > map_commit)
		hugetlb_acct_memory(h, -1);
	return folio;
}

/* restore_reserve_on_error - see hugetlb.h (Linux's). */
void restore_reserve_on_error(struct hstate *h, struct vm_area_struct *vma,
			      unsigned long address, struct folio *folio)
{
	long rc = vma_reservation(h, vma, address, VMA_NEEDS_RESV);

	if (folio_test_hugetlb_restore_reserve(folio)) {
		if (rc < 0)
			/* No memory for the map: the reservation is lost
			 * rather than counted twice. */
			folio_clear_hugetlb_restore_reserve(folio);
		else if (rc)
			(void)vma_reservation(h, vma, address, VMA_ADD_RESV);
	} else if (!rc) {
		/* The commit added an offset nothing reserved: remove it. */
		(void)vma_reservation(h, vma, address, VMA_DEL_RESV);
	}
}

/*
 * hugetlb_unmap_restore_reserve - hugetlb_fault.c's unmap of the anon
 * @folio at @addr of @vma, a private mapping that owns its reservations,
 * whose reference it is about to drop (the last one, as far as it could
 * tell): the reservation the page consumed becomes available again, as
 * Linux (6.9 on) does so that a refault after MADV_DONTNEED finds it.  Not
 * while the pool has surplus pages.  The entry's lock is held.
 */
void hugetlb_unmap_restore_reserve(struct hstate *h, struct vm_area_struct *vma,
				   unsigned long addr, struct folio *folio)
{
	bool surplus;

	if (!is_vma_resv_set(vma, HPAGE_RESV_OWNER) || !folio_test_anon(folio))
		return;
	spin_lock(&hugetlb_lock);
	surplus = h->surplus_huge_pages;
	spin_unlock(&hugetlb_lock);
	if (surplus)
		return;
	if (vma_reservation(h, vma, addr, VMA_NEEDS_RESV) == 1 &&
	    vma_reservation(h, vma, addr, VMA_ADD_RESV) >= 0)
		folio_set_hugetlb_restore_reserve(folio);
}

/* hugetlb_vma_unmapped - is @vma a private mapping whose pages were
 * unmapped so the owner could COW (later faults SIGBUS)? */
bool hugetlb_vma_unmapped(const struct vm_area_struct *vma)
{
	return is_vma_resv_set(vma, HPAGE_RESV_UNMAPPED);
}

/* hugetlb_vma_owner - does @vma own its private reservations? */
bool hugetlb_vma_owner(const struct vm_area_struct *vma)
{
	return is_vma_resv_set(vma, HPAGE_RESV_OWNER);
}

/* hugetlb_vma_set_unmapped - mark @vma HPAGE_RESV_UNMAPPED (private). */
void hugetlb_vma_set_unmapped(struct vm_area_struct *vma)
{
	if (!(vma->vm_flags & VM_MAYSHARE))
		vma->vm_private_data = (void *)((unsigned long)vma->vm_private_data |
						HPAGE_RESV_UNMAPPED);
}

/* hugetlb_reserve_pages - see hugetlb.h (Linux's, without subpools). */
bool hugetlb_reserve_pages(struct inode *inode, unsigned long from, unsigned long to,
			   struct vm_area_struct *vma, unsigned long vm_flags)
{
	struct hstate *h = hstate_inode(inode);
	struct resv_map *resv;
	long chg, add;

	if (from > to)
		return false;
	if (vm_flags & VM_NORESERVE)
		return true;
	if (!vma || (vma->vm_flags & VM_MAYSHARE)) {
		resv = inode_resv_map(inode);
		spin_lock(&resv->lock);
		chg = (long)(to - from) - __region_count(resv, from, to);
		spin_unlock(&resv->lock);
	} else {
		resv = resv_map_alloc();
		if (!resv)
			return false;
		chg = (long)(to - from);
		vma->vm_private_data = (void *)((unsigned long)resv | HPAGE_RESV_OWNER);
	}
	if (hugetlb_acct_memory(h, chg) < 0)
		goto out_err;
	if (!vma || (vma->vm_flags & VM_MAYSHARE)) {
		spin_lock(&resv->lock);
		add = region_add(resv, from, to);
		spin_unlock(&resv->lock);
		if (add < 0) {
			hugetlb_acct_memory(h, -chg);
			goto out_err;
		}
		/* Faults instantiated some of the offsets meanwhile, without
		 * a reservation: those are not ours to keep. */
		if (chg > add)
			hugetlb_acct_memory(h, -(chg - add));
	}
	return true;

out_err:
	if (vma && !(vma->vm_flags & VM_MAYSHARE)) {
		vma->vm_private_data = NULL;
		resv_map_put(resv);
	}
	return false;
}

/* hugetlb_unreserve_pages - see hugetlb.h. */
void hugetlb_unreserve_pages(struct inode *inode, unsigned long start,
			     unsigned long end, long freed)
{
	struct resv_map *resv = inode_resv_map(inode);
	long chg;

	spin_lock(&resv->lock);
	chg = region_del(resv, start, end);
	spin_unlock(&resv->lock);
	/* Cannot fail in practice: the whole tail of a file is one cut. */
	if (VM_WARN_ON_ONCE(chg < 0))
		return;
	if (chg > freed)
		hugetlb_acct_memory(hstate_inode(inode), -(chg - freed));
}

/* --- the VMA operations ------------------------------------------------------------ */

/* A copy of a private owner's VMA (split, fork) shares its map. */
static void hugetlb_vm_op_open(struct vm_area_struct *vma)
{
	if (is_vma_resv_set(vma, HPAGE_RESV_OWNER))
		atomic_inc(&vma_private_map(vma)->refs);
}

/* A private owner's VMA goes: its reservations not consumed go back. */
static void hugetlb_vm_op_close(struct vm_area_struct *vma)
{
	struct hstate *h = hstate_vma(vma);
	struct resv_map *resv = vma_private_map(vma);
	unsigned long start, end;
	long reserve;

	if (!is_vma_resv_set(vma, HPAGE_RESV_OWNER) || !resv)
		return;
	start = vma_hugecache_offset(h, vma, vma->vm_start);
	end = vma_hugecache_offset(h, vma, vma->vm_end);
	reserve = (long)(end - start) - region_count(resv, start, end);
	if (reserve > 0)
		hugetlb_acct_memory(h, -reserve);
	resv_map_put(resv);
}

/* Splits only at huge page boundaries (Linux's hugetlb_vm_op_split). */
static int hugetlb_vm_op_may_split(struct vm_area_struct *vma, unsigned long addr)
{
	if (addr & ~huge_page_mask(hstate_vma(vma)))
		return -EINVAL;
	return 0;
}

/* The core calls hugetlb_fault() for VM_HUGETLB VMAs; never this. */
static vm_fault_t hugetlb_vm_op_fault(struct vm_fault *vmf)
{
	(void)vmf;
	VM_WARN_ON_ONCE(1);
	return VM_FAULT_SIGBUS;
}

const struct vm_operations_struct hugetlb_vm_ops = {
	.open = hugetlb_vm_op_open,
	.close = hugetlb_vm_op_close,
	.fault = hugetlb_vm_op_fault,
	.may_split = hugetlb_vm_op_may_split,
};

/* hugetlb_dup_vma_private - see hugetlb.h.  vm_area_dup() already ran
 * ->open, which took a reference on the owner's map: give it back. */
void hugetlb_dup_vma_private(struct vm_area_struct *vma)
{
	if (vma->vm_flags & VM_MAYSHARE)
		return;
	if (is_vma_resv_set(vma, HPAGE_RESV_OWNER))
		resv_map_put(vma_private_map(vma));
	vma->vm_private_data = NULL;
}

/* clear_vma_resv_huge_pages - see hugetlb.h: the same as a fork copy's
 * reset (the map's reference goes, the VMA owns nothing). */
void clear_vma_resv_huge_pages(struct vm_area_struct *vma)
{
	hugetlb_dup_vma_private(vma);
}

/* --- the page cache ------------------------------------------------------------------ */

/*
 * hugetlb_add_to_page_cache - insert the new hugetlb @folio at huge-page
 * offset @idx of @mapping, locked (Linux's): its reservation is then
 * committed (HPG_restore_reserve cleared) and it is marked dirty, as
 * Linux does so that nothing takes it for clean page cache.  0, -EEXIST
 * or -ENOMEM (folio unlocked again).  Caller holds the fault mutex of
 * @idx or invalidate_lock exclusive.
 */
int hugetlb_add_to_page_cache(struct folio *folio, struct address_space *mapping,
			      unsigned long idx)
{
	int err;

	folio_lock(folio);
	err = filemap_add_folio(mapping, folio, idx << folio_order(folio), 0);
	if (err) {
		folio_unlock(folio);
		return err;
	}
	folio_clear_hugetlb_restore_reserve(folio);
	SetPageDirty(&folio->page);
	return 0;
}

/* --- migration ------------------------------------------------------------------- */

/* alloc_hugetlb_migration_target - see hugetlb.h. */
struct folio *alloc_hugetlb_migration_target(struct folio *src, enum zone_type zone)
{
	struct hstate *h = folio_hstate(src);
	struct folio *folio = NULL;

	spin_lock(&hugetlb_lock);
	if (available_huge_pages(h))
		folio = dequeue_hugetlb_folio(h, (int)zone);
	spin_unlock(&hugetlb_lock);
	if (folio || hstate_is_gigantic(h))
		return folio;
	folio = alloc_fresh_hugetlb_folio(h, (int)zone);
	if (!folio)
		return NULL;
	/* Not surplus: it only lives until the migration ends. */
	folio_set_hugetlb_temporary(folio);
	spin_lock(&hugetlb_lock);
	h->nr_huge_pages++;
	list_add(&folio->lru, &h->hugepage_activelist);
	spin_unlock(&hugetlb_lock);
	return folio;
}

/* move_hugetlb_state - see hugetlb.h. */
void move_hugetlb_state(struct folio *old, struct folio *new)
{
	if (folio_test_hugetlb_temporary(new)) {
		folio_set_hugetlb_temporary(old);
		folio_clear_hugetlb_temporary(new);
	}
	if (folio_test_hugetlb_migratable(old))
		folio_set_hugetlb_migratable(new);
}

/* --- the public calls (pinmm/hugetlb.h) ---------------------------------------------- */

/* pnm_hugetlb_get_info - @page_size's pool counters (pinmm/hugetlb.h). */
int pnm_hugetlb_get_info(unsigned long page_size, struct pnm_hugetlb_info *info)
{
	struct pnm_hugetlb_info hi;
	struct hstate *h;
	struct folio *folio;
	size_t n;

	if (!pnm_initialised || !info || info->size < offsetof(struct pnm_hugetlb_info, free_movable) +
	    sizeof(unsigned long))
		return -EINVAL;
	h = size_to_hstate(page_size);
	if (!h)
		return -EINVAL;
	memset(&hi, 0, sizeof(hi));
	hi.page_size = huge_page_size(h);
	spin_lock(&hugetlb_lock);
	hi.nr_hugepages = h->max_huge_pages;
	hi.total = h->nr_huge_pages;
	hi.free = h->free_huge_pages;
	hi.resv = h->resv_huge_pages;
	hi.surplus = h->surplus_huge_pages;
	hi.nr_overcommit_hugepages = h->nr_overcommit_huge_pages;
	list_for_each_entry(folio, &h->hugepage_freelist, lru)
		if (!folio_is_longterm_pinnable(folio))
			hi.free_movable++;
	spin_unlock(&hugetlb_lock);
	n = min_t(size_t, info->size, sizeof(hi));
	hi.size = n;
	memcpy(info, &hi, n);
	return 0;
}

/* pnm_hugetlb_set_pages - set the persistent pool size (pinmm/hugetlb.h). */
long pnm_hugetlb_set_pages(unsigned long page_size, unsigned long nr)
{
	struct hstate *h = pnm_initialised ? size_to_hstate(page_size) : NULL;

	if (!h)
		return -EINVAL;
	return (long)set_max_huge_pages(h, nr);
}

/* pnm_hugetlb_set_overcommit - nr_overcommit_hugepages (pinmm/hugetlb.h).
 * Gigantic pages are never surplus in the model (Linux's runtime
 * gigantic allocation refuses them too). */
int pnm_hugetlb_set_overcommit(unsigned long page_size, unsigned long nr)
{
	struct hstate *h = pnm_initialised ? size_to_hstate(page_size) : NULL;

	if (!h || hstate_is_gigantic(h))
		return -EINVAL;
	spin_lock(&hugetlb_lock);
	h->nr_overcommit_huge_pages = nr;
	spin_unlock(&hugetlb_lock);
	return 0;
}

/* --- init and fini ------------------------------------------------------------------ */

/* hugetlb_init - set the hstates up for a new model (internal.h). */
void hugetlb_init(const struct pnm_config *cfg)
{
	static const unsigned int orders[HUGE_MAX_HSTATE] = {
		HUGETLB_PMD_ORDER, HUGETLB_PUD_ORDER
	};

	for (int i = 0; i < HUGE_MAX_HSTATE; i++) {
		struct hstate *h = &hstates[i];

		memset(h, 0, sizeof(*h));
		h->order = orders[i];
		h->enabled = i == 0 || cfg->hugetlb_gigantic;
		snprintf(h->name, sizeof(h->name), "hugepages-%lukB", huge_page_size(h) >> 10);
		INIT_LIST_HEAD(&h->hugepage_freelist);
		INIT_LIST_HEAD(&h->hugepage_activelist);
	}
}

/* hugetlb_fini - give every free pool page back (internal.h).  Pages
 * still in use leak and are reported with the other frames. */
void hugetlb_fini(void)
{
	for (int i = 0; i < HUGE_MAX_HSTATE; i++) {
		struct hstate *h = &hstates[i];
		LIST_HEAD(page_list);
		struct folio *folio;

		spin_lock(&hugetlb_lock);
		while ((folio = remove_pool_hugetlb_folio(h, false)))
			list_add(&folio->lru, &page_list);
		spin_unlock(&hugetlb_lock);
		free_folio_list(h, &page_list);
		if (h->nr_huge_pages)
			pnm_log(PNM_LOG_ERR, "pinmm: pnm_fini: %lu %s pages still in use",
				h->nr_huge_pages, h->name);
	}
}

/* --- checking ------------------------------------------------------------------------ */

/* One list of @h: every folio a hugetlb folio of @h, free (@free) or in use. */
static bool check_list(struct hstate *h, struct list_head *list, bool free,
		       unsigned long *count)
{
	struct folio *folio;

	*count = 0;
	list_for_each_entry(folio, list, lru) {
		if (++*count > h->nr_huge_pages)
			return pnm_check_fail("%s: %s list longer than nr_huge_pages %lu",
					      h->name, free ? "free" : "active", h->nr_huge_pages);
		if (!folio_test_hugetlb(folio) || folio_order(folio) != h->order ||
		    folio_test_hugetlb_freed(folio) != free)
			return pnm_check_fail("%s: folio %#lx on the %s list: hugetlb %d order %u freed %d",
					      h->name, folio_pfn(folio), free ? "free" : "active",
					      folio_test_hugetlb(folio), folio_order(folio),
					      folio_test_hugetlb_freed(folio));
		if (free && (folio_ref_count(folio) || READ_ONCE(folio->mapping) ||
			     folio_entire_mapcount(folio) || atomic_read(&folio->_pincount) ||
			     folio_test_hugetlb_restore_reserve(folio)))
			return pnm_check_fail("%s: free folio %#lx: refcount %d mapping %p mapcount %d pincount %d restore %d",
					      h->name, folio_pfn(folio), folio_ref_count(folio),
					      (void *)READ_ONCE(folio->mapping),
					      folio_entire_mapcount(folio),
					      atomic_read(&folio->_pincount),
					      folio_test_hugetlb_restore_reserve(folio));
		if (!free && folio_ref_count(folio) <= 0)
			return pnm_check_fail("%s: folio %#lx in use with refcount %d", h->name,
					      folio_pfn(folio), folio_ref_count(folio));
	}
	return true;
}

/* Count the hugetlb folios of each hstate in mem_map[]. */
static void count_hugetlb_folios(unsigned long counted[HUGE_MAX_HSTATE])
{
	unsigned long pfn = 0;

	while (pfn < pnm_mem.nr_frames) {
		struct page *page = pfn_to_page(pfn);

		if (PageBuddy(page)) {
			pfn += 1UL << READ_ONCE(page->private);
			continue;
		}
		if (!PageTail(page) && PageHead(page) && folio_test_hugetlb((struct folio *)page)) {
			struct folio *folio = (struct folio *)page;

			counted[folio_hstate(folio) - hstates]++;
			pfn += folio_nr_pages(folio);
			continue;
		}
		pfn++;
	}
}

/*
 * The reservations mappings still hold: a private owner's unconsumed
 * offsets, for every VMA of every live mm, added to @resv.  Takes each mm's
 * mmap_lock for read.  false (pnm_check_nomem()) if the host has no memory
 * for the list of mms.
 */
static bool count_vma_reservations(unsigned long resv[HUGE_MAX_HSTATE])
{
	struct mm_struct **mms, *mm;
	int nr = 0, i;

	spin_lock(&pnm_mm_list_lock);
	list_for_each_entry(mm, &pnm_mm_list, mmlist)
		nr++;
	mms = calloc(nr ? nr : 1, sizeof(*mms));
	if (!mms) {
		spin_unlock(&pnm_mm_list_lock);
		return pnm_check_nomem("hugetlb_check: the list of mms");
	}
	nr = 0;
	list_for_each_entry(mm, &pnm_mm_list, mmlist)
		if (atomic_add_unless(&mm->mm_count, 1, 0))
			mms[nr++] = mm;
	spin_unlock(&pnm_mm_list_lock);
	for (i = 0; i < nr; i++) {
		struct vm_area_struct *vma;

		mmap_read_lock(mms[i]);
		for_each_vma(mms[i], vma) {
			struct hstate *h;
			unsigned long start, end;

			if (!is_vm_hugetlb_page(vma) || !is_vma_resv_set(vma, HPAGE_RESV_OWNER))
				continue;
			h = hstate_vma(vma);
			start = vma_hugecache_offset(h, vma, vma->vm_start);
			end = vma_hugecache_offset(h, vma, vma->vm_end);
			resv[h - hstates] += end - start -
					     (unsigned long)region_count(vma_private_map(vma), start, end);
		}
		mmap_read_unlock(mms[i]);
		mmdrop(mms[i]);
	}
	free(mms);
	return true;
}

/*
 * hugetlb_check - pnm_check_system()'s part (internal.h): each pool's
 * lists against its counters (free list == free_huge_pages, free +
 * active == nr_huge_pages == the hugetlb folios of mem_map[], surplus <=
 * nr, resv <= free, the persistent size == max_huge_pages), and the
 * reservations against the mappings and files that hold them
 * (resv_huge_pages == the private owners' unconsumed offsets + the files'
 * reserved offsets without a cached page).  Model quiescent.
 */
bool hugetlb_check(void)
{
	unsigned long counted[HUGE_MAX_HSTATE] = { 0 }, resv[HUGE_MAX_HSTATE] = { 0 };
	bool ok = true;

	count_hugetlb_folios(counted);
	if (!count_vma_reservations(resv))
		return false;
	for (int i = 0; i < HUGE_MAX_HSTATE; i++)
		resv[i] += hugetlbfs_unconsumed_reservations(&hstates[i]);
	spin_lock(&hugetlb_lock);
	for (int i = 0; i < HUGE_MAX_HSTATE && ok; i++) {
		struct hstate *h = &hstates[i];
		unsigned long nfree, nactive;

		ok = check_list(h, &h->hugepage_freelist, true, &nfree) &&
		     check_list(h, &h->hugepage_activelist, false, &nactive);
		if (!ok)
			break;
		if (!h->enabled && h->nr_huge_pages)
			ok = pnm_check_fail("%s: disabled but has %lu pages", h->name, h->nr_huge_pages);
		else if (nfree != h->free_huge_pages)
			ok = pnm_check_fail("%s: %lu folios on the free list, free_huge_pages %lu",
					    h->name, nfree, h->free_huge_pages);
		else if (nfree + nactive != h->nr_huge_pages || counted[i] != h->nr_huge_pages)
			ok = pnm_check_fail("%s: %lu free + %lu active folios, %lu in mem_map, nr_huge_pages %lu",
					    h->name, nfree, nactive, counted[i], h->nr_huge_pages);
		else if (h->surplus_huge_pages > h->nr_huge_pages)
			ok = pnm_check_fail("%s: surplus %lu > total %lu", h->name,
					    h->surplus_huge_pages, h->nr_huge_pages);
		else if (h->resv_huge_pages > h->free_huge_pages)
			ok = pnm_check_fail("%s: %lu pages reserved but only %lu free", h->name,
					    h->resv_huge_pages, h->free_huge_pages);
		else if (persistent_huge_pages(h) != h->max_huge_pages)
			ok = pnm_check_fail("%s: %lu persistent pages, nr_hugepages %lu", h->name,
					    persistent_huge_pages(h), h->max_huge_pages);
		else if (resv[i] != h->resv_huge_pages)
			ok = pnm_check_fail("%s: resv_huge_pages %lu, but mappings and files hold %lu reservations",
					    h->name, h->resv_huge_pages, resv[i]);
	}
	spin_unlock(&hugetlb_lock);
	return ok;
}
