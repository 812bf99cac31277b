// SPDX-License-Identifier: MIT
/*
 * page_alloc.c - the arena, its zones and the binary buddy allocator.
 *
 * The model's "physical memory" is one host mapping (pnm_mem.base) of
 * nr_frames 4 KiB frames, described by the mem_map[] array of struct page.
 * Frames are split, in pfn order, into ZONE_NORMAL, ZONE_MOVABLE and
 * ZONE_CMA; every zone spans a multiple of 512 frames and starts on a
 * 512-frame boundary, so each zone is a whole number of naturally aligned
 * MAX_PAGE_ORDER blocks and a block's buddy is always in the same zone.
 * The zone a frame belongs to never changes and is kept in the top bits of
 * page->flags (ZONES_PGSHIFT), where page_zonenum() finds it.
 *
 * Each zone is a binary buddy allocator.  A free block of 2^order frames is
 * represented by its first frame ("block head"): PG_buddy set, the order in
 * page->private, linked through page->lru on zone->free_area[order].  The
 * other frames of a free block carry no state at all.  Allocation takes the
 * first block of the smallest sufficient order and splits it, returning the
 * upper halves to the lower-order lists (expand()); freeing merges a block
 * with its buddy (pfn ^ 2^order) for as long as the buddy is a free block
 * head of the same order, so two free buddies never sit side by side on a
 * list.  pnm_check_zone() verifies all of this.
 *
 * Descriptor life cycle.  Every field of a frame's descriptor except the
 * zone bits is reset when the frame is handed out and again when it comes
 * back, so a stale mapping, mapcount or rmap list can never leak from one
 * user of a frame to the next; free_pages_check() refuses (VM_BUG_ON) to
 * free a frame that is still mapped, pinned, locked, a page table or on an
 * rmap list.  A new allocation has refcount 1 on its head page; tails of a
 * large folio have refcount 0 and compound_head = head | 1 (in the word of
 * lru.next: a tail is on no list).
 *
 * Locking: zone->lock protects free_area[] and the buddy state of the
 * zone's frames (PG_buddy, private and lru of free block heads).  It is the
 * innermost lock of the model (see mm_types.h): nothing else is taken under
 * it.  The zone counters are atomics, but NR_ZONE_FREE_PAGES is only
 * changed with zone->lock held so that the checker, which holds the lock,
 * sees it agree with the lists.  Global counters (vmstat.h) and the
 * allocated-frames count are relaxed atomics updated outside the lock.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "internal.h"

/*
 * mem_map[] is host memory of its own (mmap), which LeakSanitizer does not
 * scan, yet it holds the only pointer to each page table's lock
 * (pgtable.c).  In ASan builds it is registered as a root region, so a run
 * that ends with page tables in place (an exit in the middle of a
 * scenario) does not report their locks as leaked.
 */
#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/lsan_interface.h>
#define mem_map_lsan_root(p, n)		__lsan_register_root_region((p), (n))
#define mem_map_lsan_unroot(p, n)	__lsan_unregister_root_region((p), (n))
#else
#define mem_map_lsan_root(p, n)		((void)(p), (void)(n))
#define mem_map_lsan_unroot(p, n)	((void)(p), (void)(n))
#endif

struct pnm_mem pnm_mem;

/*
 * Frames handed out and not yet returned (zero page included).  Kept
 * independently of the free lists so that pnm_check_system() can check
 * free + allocated == total.  Relaxed atomic.
 */
static atomic_long_t nr_allocated;

/*
 * Fault injection: number of allocation attempts left before one fails
 * (1 = the next one); 0 = disabled.  Decremented with a compare-and-swap
 * so that exactly one attempt fails even with concurrent allocators.
 */
static atomic_t fail_nth;

/* Size of the host mappings, for munmap at fini. */
static size_t arena_bytes, mem_map_bytes;

static const char *const zone_names[MAX_NR_ZONES] = {
	[ZONE_NORMAL]	= "Normal",
	[ZONE_MOVABLE]	= "Movable",
	[ZONE_CMA]	= "CMA",
};

/* PGALLOC_<zone> must follow the zone order for PGALLOC_NORMAL + idx. */
BUILD_BUG_ON(PGALLOC_MOVABLE != PGALLOC_NORMAL + ZONE_MOVABLE);
BUILD_BUG_ON(PGALLOC_CMA != PGALLOC_NORMAL + ZONE_CMA);
BUILD_BUG_ON(MAX_NR_ZONES > (1 << ZONES_SHIFT));

#define ZONE_FLAGS_MASK	(ZONES_MASK << ZONES_PGSHIFT)

/* --- zones ---------------------------------------------------------------- */

/*
 * The zone with index @idx, or NULL if @idx is out of range, the model is
 * not initialised or the zone has no frames.  The pointer stays valid
 * until pnm_fini().
 */
struct zone *pnm_zone(enum zone_type idx)
{
	if ((unsigned int)idx >= MAX_NR_ZONES || !pnm_mem.mem_map)
		return NULL;
	if (!pnm_mem.zones[idx].spanned_pages)
		return NULL;
	return &pnm_mem.zones[idx];
}

/* The printed name of a zone type ("Normal", "Movable", "CMA"), or "?". */
const char *zone_type_name(enum zone_type idx)
{
	if ((unsigned int)idx >= MAX_NR_ZONES)
		return "?";
	return zone_names[idx];
}

static inline void zone_stat_add(struct zone *zone, enum zone_stat_item item,
				 long delta)
{
	atomic_long_add(delta, &zone->vm_stat[item]);
}

/*
 * Frames free in all zones.  Reads each zone's counter without its lock,
 * so under concurrent allocation the sum is only approximate.
 */
unsigned long pnm_nr_free_frames(void)
{
	unsigned long sum = 0;
	int z;

	for (z = 0; z < MAX_NR_ZONES; z++) {
		struct zone *zone = pnm_zone(z);

		if (zone)
			sum += zone_page_state(zone, NR_ZONE_FREE_PAGES);
	}
	return sum;
}

/*
 * Frames currently handed out by the allocator (including the zero page
 * and frames isolated by pnm_isolate_free_range()).  Relaxed read.
 */
unsigned long pnm_nr_allocated_frames(void)
{
	return (unsigned long)atomic_long_read(&nr_allocated);
}

/* --- descriptors ---------------------------------------------------------- */

/*
 * Reset every field of @page except its zone bits.  The caller owns the
 * frame (it is neither free nor reachable by a mapping).  Fields that
 * lockless scanners may peek at (flags, mapping, compound_head, order,
 * private) are written with WRITE_ONCE so that such a peek is a benign
 * race, not a data race; compound_head is the word of lru.next, which the
 * empty list leaves even: not a tail.
 */
static void reset_page(struct page *page)
{
	WRITE_ONCE(page->flags, READ_ONCE(page->flags) & ZONE_FLAGS_MASK);
	INIT_LIST_HEAD(&page->lru);
	WRITE_ONCE(page->mapping, NULL);
	page->index = 0;
	WRITE_ONCE(page->private, 0);
	atomic_set(&page->_mapcount, 0);
	atomic_set(&page->_refcount, 0);
	WRITE_ONCE(page->_folio_order, 0);
	atomic_set(&page->pnm_pincount, 0);
}

/*
 * Turn a freshly allocated block of 2^@order frames at @head into a large
 * folio: PG_head and _folio_order on the head, compound_head = head | 1 on
 * every tail, then the folio's fields on page[1] (_entire_mapcount,
 * _pincount: after page[1]'s lru, whose words they share, was last
 * written).  Idempotent; does nothing for order 0.  The caller owns the
 * frames (refcount 1 on the head, nobody else can see them).
 */
void prep_compound_page(struct page *head, unsigned int order)
{
	unsigned long i, nr = 1UL << order;

	if (!order)
		return;
	VM_BUG_ON(order > MAX_PAGE_ORDER);
	SetPageHead(head);
	WRITE_ONCE(head->_folio_order, order);
	for (i = 1; i < nr; i++)
		set_compound_head(&head[i], head);
	atomic_set(&((struct folio *)head)->_entire_mapcount, 0);
	atomic_set(&((struct folio *)head)->_pincount, 0);
}

/* Make a block just taken from the buddy lists into an allocation. */
static void prep_new_pages(struct page *page, unsigned int order, gfp_t gfp)
{
	unsigned long i, nr = 1UL << order;

	for (i = 0; i < nr; i++)
		reset_page(&page[i]);
	if ((gfp & __GFP_COMP) && order)
		prep_compound_page(page, order);
	if (gfp & __GFP_ZERO)
		memset(page_address(page), 0, PAGE_SIZE << order);
	/*
	 * Relaxed: whoever makes the allocation visible to other threads
	 * (set_pte_at's release, a lock) publishes the refcount with it.
	 */
	atomic_set(&page->_refcount, 1);
}

/*
 * Frames must not be freed while something still refers to them.  Checks
 * the block at @page of 2^@order frames; a violation is a bug in the
 * caller and fatal, after dump_page().
 */
static void free_pages_check(struct page *page, unsigned int order)
{
	unsigned long i, nr = 1UL << order;

	VM_BUG_ON_PAGE(atomic_read(&page->_refcount) != 0, page);
	VM_BUG_ON_PAGE(PageTail(page), page);
	VM_BUG_ON_PAGE(PageReserved(page), page);
	VM_BUG_ON_PAGE(PageLocked(page), page);
	VM_BUG_ON_PAGE(PageWriteback(page), page);
	VM_BUG_ON_PAGE(test_bit(PG_swapcache, &page->flags) || PageLru(page), page);
	VM_BUG_ON_PAGE(PageHead(page) && folio_order((struct folio *)page) != order,
		       page);
	VM_BUG_ON_PAGE(PageHead(page) &&
		       (folio_entire_mapcount((struct folio *)page) != 0 ||
			atomic_read(&((struct folio *)page)->_pincount) != 0), page);
	for (i = 0; i < nr; i++) {
		struct page *p = &page[i];

		VM_BUG_ON_PAGE(PageBuddy(p), p);
		VM_BUG_ON_PAGE(PageTable(p), p);
		VM_BUG_ON_PAGE(atomic_read(&p->_mapcount) != 0, p);
		VM_BUG_ON_PAGE(atomic_read(&p->pnm_pincount) != 0, p);
		VM_BUG_ON_PAGE(i && atomic_read(&p->_refcount) != 0, p);
	}
}

/* --- buddy lists (zone->lock held) ---------------------------------------- */

static inline bool page_is_buddy(struct page *page, unsigned int order)
{
	return PageBuddy(page) && READ_ONCE(page->private) == order;
}

static void add_to_free_list(struct zone *zone, struct page *page,
			     unsigned int order)
{
	struct free_area *area = &zone->free_area[order];

	lockdep_assert_held(&zone->lock);
	WRITE_ONCE(page->private, order);
	SetPageBuddy(page);
	list_add(&page->lru, &area->free_list);
	area->nr_free++;
}

static void del_page_from_free_list(struct zone *zone, struct page *page,
				    unsigned int order)
{
	lockdep_assert_held(&zone->lock);
	list_del_init(&page->lru);
	ClearPageBuddy(page);
	WRITE_ONCE(page->private, 0);
	zone->free_area[order].nr_free--;
}

/*
 * A block of order @high at @page was taken off its list to satisfy an
 * order-@low request: give the upper halves back, largest first, and keep
 * the frames at the bottom.
 */
static void expand(struct zone *zone, struct page *page, unsigned int low,
		   unsigned int high)
{
	while (high > low) {
		high--;
		add_to_free_list(zone, &page[1UL << high], high);
	}
}

/* Take a block of 2^@order frames from @zone; NULL if none is free. */
static struct page *rmqueue(struct zone *zone, unsigned int order)
{
	struct page *page;
	unsigned int o;

	spin_lock(&zone->lock);
	for (o = order; o <= MAX_PAGE_ORDER; o++) {
		struct free_area *area = &zone->free_area[o];

		if (list_empty(&area->free_list))
			continue;
		page = list_first_entry(&area->free_list, struct page, lru);
		del_page_from_free_list(zone, page, o);
		expand(zone, page, order, o);
		zone_stat_add(zone, NR_ZONE_FREE_PAGES, -(1L << order));
		spin_unlock(&zone->lock);
		return page;
	}
	spin_unlock(&zone->lock);
	return NULL;
}

/* Put the block at @pfn of 2^@order frames into @zone, merging buddies. */
static void free_one_block(struct zone *zone, unsigned long pfn,
			   unsigned int order)
{
	unsigned long nr = 1UL << order;

	spin_lock(&zone->lock);
	while (order < MAX_PAGE_ORDER) {
		unsigned long buddy_pfn = pfn ^ (1UL << order);
		struct page *buddy;

		/* Zones are 512-aligned, so this only guards a bad pfn. */
		if (!zone_spans_pfn(zone, buddy_pfn))
			break;
		buddy = pfn_to_page(buddy_pfn);
		if (!page_is_buddy(buddy, order))
			break;
		del_page_from_free_list(zone, buddy, order);
		pfn &= buddy_pfn;	/* the lower of the two */
		order++;
	}
	add_to_free_list(zone, pfn_to_page(pfn), order);
	zone_stat_add(zone, NR_ZONE_FREE_PAGES, nr);
	spin_unlock(&zone->lock);
}

/* --- allocation ------------------------------------------------------------ */

/*
 * Consume one fault-injection tick; true if this allocation must fail.
 * The compare-and-swap loop makes exactly one of several concurrent
 * allocators see the count go from 1 to 0.
 */
static bool should_fail_alloc(void)
{
	int n = atomic_read(&fail_nth);

	while (n > 0) {
		if (atomic_try_cmpxchg(&fail_nth, &n, n - 1))
			return n == 1;
	}
	return false;
}

/*
 * Test hook: make the @nth allocation attempt from now fail (1 = the next
 * one); 0 disables.  Counts alloc_pages()/folio_alloc*() calls from every
 * thread; pnm_isolate_free_range() is not affected.  Values beyond INT_MAX
 * are clamped (they would never fire in practice).
 */
void pnm_fail_nth_alloc(unsigned long nth)
{
	atomic_set(&fail_nth, nth > INT32_MAX ? INT32_MAX : (int)nth);
}

/*
 * The zones @gfp may use, in the order they are tried.  Movable data may
 * live anywhere: ZONE_MOVABLE first (keep NORMAL for kernel data), then
 * NORMAL, then CMA if __GFP_CMA allows it.  Everything else (page tables,
 * kernel data) is ZONE_NORMAL only, and so is everything allocated inside a
 * memalloc_pin_save() scope.
 */
/* Set while the thread is inside a memalloc_pin_save() scope. */
static _Thread_local bool memalloc_pin;

/*
 * memalloc_pin_save - from now until memalloc_pin_restore(), allocations by
 * this thread are treated as unmovable (no ZONE_MOVABLE, no ZONE_CMA).
 * Thread-local, so no locking.
 */
unsigned int memalloc_pin_save(void)
{
	unsigned int old = memalloc_pin;

	memalloc_pin = true;
	return old;
}

/* memalloc_pin_restore - end the scope opened by memalloc_pin_save(). */
void memalloc_pin_restore(unsigned int cookie)
{
	memalloc_pin = cookie;
}

/* memalloc_pin_active - is the calling thread inside a memalloc_pin_save()
 * scope (Linux's PF_MEMALLOC_PIN)?  hugetlb's pool hands out no folio a
 * long-term pin could not stay on there. */
bool memalloc_pin_active(void)
{
	return memalloc_pin;
}

static int build_zonelist(gfp_t gfp, enum zone_type zl[MAX_NR_ZONES])
{
	int n = 0;

	if (memalloc_pin)
		gfp &= ~(__GFP_MOVABLE | __GFP_CMA);

	if (gfp & __GFP_MOVABLE)
		zl[n++] = ZONE_MOVABLE;
	zl[n++] = ZONE_NORMAL;
	if ((gfp & (__GFP_MOVABLE | __GFP_CMA)) == (__GFP_MOVABLE | __GFP_CMA))
		zl[n++] = ZONE_CMA;
	return n;
}

/* Take a block of @order from the first zone of @zl that has one. */
static struct page *rmqueue_zonelist(unsigned int order, const enum zone_type *zl,
				     int nr, struct zone **zonep)
{
	struct page *page = NULL;
	int i;

	for (i = 0; i < nr && !page; i++) {
		*zonep = pnm_zone(zl[i]);
		if (*zonep)
			page = rmqueue(*zonep, order);
	}
	return page;
}

/* Pages reclaim is asked for when an allocation fails (SWAP_CLUSTER_MAX). */
#define ALLOC_RECLAIM_BATCH	32UL

static struct page *alloc_from_zonelist(gfp_t gfp, unsigned int order,
					const enum zone_type *zl, int nr)
{
	unsigned long n = 1UL << order;
	struct page *page = NULL;
	struct zone *zone = NULL;

	if (!pnm_mem.mem_map || order > MAX_PAGE_ORDER)
		return NULL;
	if (should_fail_alloc() || pnm_should_fail(PNM_FAULT_PAGE))
		goto fail;
	page = rmqueue_zonelist(order, zl, nr, &zone);
	/*
	 * Out of free blocks: reclaim clean page cache of the zones we may
	 * use once (without unmapping, so any caller context is fine;
	 * vmscan.c) and retry.  Not for __GFP_NORETRY (THP attempts fall
	 * back instead), and never from inside reclaim itself.
	 */
	if (!page && !(gfp & __GFP_NORETRY) && !pnm_in_reclaim()) {
		unsigned int mask = 0;
		int i;

		for (i = 0; i < nr; i++)
			mask |= 1u << zl[i];
		if (pnm_reclaim_for_alloc(n > ALLOC_RECLAIM_BATCH ? n : ALLOC_RECLAIM_BATCH,
					  mask))
			page = rmqueue_zonelist(order, zl, nr, &zone);
	}
	if (!page)
		goto fail;

	zone_stat_add(zone, NR_ZONE_ALLOC, n);
	mod_vm_stat(NR_FREE_PAGES, -(long)n);
	count_vm_events(PGALLOC_NORMAL + zone->idx, n);
	atomic_long_add(n, &nr_allocated);
	prep_new_pages(page, order, gfp);
	return page;

fail:
	if (!(gfp & __GFP_NOWARN))
		atomic_long_inc(&pnm_mem.zones[zl[0]].vm_stat[NR_ZONE_ALLOC_FAIL]);
	return NULL;
}

/*
 * Allocate 2^@order contiguous frames (see gfp.h for the zone order and
 * flags).  Never blocks; takes each tried zone's lock in turn.  Returns the
 * first page with refcount 1 and every descriptor reset, or NULL when no
 * allowed zone has a free block of that order, when @order exceeds
 * MAX_PAGE_ORDER, before pnm_init(), or when fault injection says so.
 */
struct page *alloc_pages(gfp_t gfp, unsigned int order)
{
	enum zone_type zl[MAX_NR_ZONES];
	int nr = build_zonelist(gfp, zl);

	return alloc_from_zonelist(gfp, order, zl, nr);
}

/*
 * Allocate a folio of 2^@order frames: alloc_pages() with __GFP_COMP, so
 * an order > 0 result is a large folio.  NULL on failure.
 */
struct folio *folio_alloc(gfp_t gfp, unsigned int order)
{
	return (struct folio *)alloc_pages(gfp | __GFP_COMP, order);
}

/*
 * As folio_alloc(), but only from zone @zt, whatever @gfp's mobility bits
 * say (the caller, a migration, chose the zone).  NULL if @zt is invalid,
 * empty or has no free block of @order.
 */
struct folio *folio_alloc_zone(gfp_t gfp, unsigned int order, enum zone_type zt)
{
	if ((unsigned int)zt >= MAX_NR_ZONES)
		return NULL;
	return (struct folio *)alloc_from_zonelist(gfp | __GFP_COMP, order,
						   &zt, 1);
}

/* --- freeing --------------------------------------------------------------- */

/* Reset and return a checked block to its zone; account it. */
static void free_frames(struct page *page, unsigned int order)
{
	unsigned long i, nr = 1UL << order;
	struct zone *zone = page_zone(page);

	for (i = 0; i < nr; i++)
		reset_page(&page[i]);
	free_one_block(zone, page_to_pfn(page), order);
	zone_stat_add(zone, NR_ZONE_FREED, nr);
	mod_vm_stat(NR_FREE_PAGES, nr);
	count_vm_events(PGFREE, nr);
	atomic_long_sub(nr, &nr_allocated);
}

/*
 * Return the 2^@order frames at @page to the buddy allocator.  The head's
 * refcount must already be zero and nothing may map, pin or lock the
 * frames (fatal VM_BUG_ON otherwise).  Takes zone->lock.
 */
void __free_pages(struct page *page, unsigned int order)
{
	VM_BUG_ON(order > MAX_PAGE_ORDER);
	free_pages_check(page, order);
	free_frames(page, order);
}

/*
 * Free a folio whose refcount has just dropped to zero (folio_put_refs()).
 * The folio must be unmapped, off every rmap list, unpinned, unlocked, not
 * under writeback and, if it was a page table, have had PG_table cleared
 * by pgtable.c; anything else is a refcounting bug and fatal.  PG_dirty,
 * PG_uptodate, PG_private and the model's PG_pnm_* bits are legal and
 * cleared (a PG_pnm_truncated folio leaves PNM_NR_TRUNCATED_LIVE).
 * Every path that returns a folio's frames (folio_put_refs(), migration's
 * frozen source) comes through here, so this is where the pin registry
 * learns that the frames change hands.
 * Takes zone->lock.
 */
void free_folio_frames(struct folio *folio)
{
	unsigned int order = folio_order(folio);

	free_pages_check(&folio->page, order);
	/*
	 * A folio that a truncate took out of its file while it was still
	 * referenced (truncate.c) stops being a live truncated folio now.
	 * truncate.c counted it before setting the flag, and the flag was set
	 * before that thread's final put, which is ordered before this free
	 * (swap.c), so the counter never goes negative.  PG_dirty and the
	 * other state flags such a folio may carry (an unpin after the
	 * device wrote it dirties it) are simply reset with the descriptor.
	 */
	if (test_bit(PG_pnm_truncated, &folio->flags))
		mod_vm_stat(PNM_NR_TRUNCATED_LIVE, -(long)folio_nr_pages(folio));
	/* Normally cleared by the owner's late unpin before its last put. */
	if (test_bit(PG_pnm_quarantined, &folio->flags))
		mod_vm_stat(PNM_NR_QUARANTINED, -(long)folio_nr_pages(folio));
	/* A large anon folio may still be queued for a deferred split. */
	if (folio_test_large(folio))
		folio_unqueue_deferred_split(folio);
	pnm_pin_registry_forget(folio);
	free_frames(&folio->page, order);
}

/* --- compaction support ------------------------------------------------------ */

/*
 * Highest order with a free block in @zone, or -1 if the zone has no free
 * frame (or @zone is NULL).  Takes zone->lock.
 */
int zone_largest_free_order(struct zone *zone)
{
	int o, ret = -1;

	if (!zone)
		return -1;
	spin_lock(&zone->lock);
	for (o = MAX_PAGE_ORDER; o >= 0; o--) {
		if (zone->free_area[o].nr_free) {
			ret = o;
			break;
		}
	}
	spin_unlock(&zone->lock);
	return ret;
}

/*
 * Take the exact frame range [@pfn, @pfn + 2^@order) out of @zone's free
 * lists, splitting the free block that encloses it (the rest goes back to
 * the lists).  @pfn must be aligned to 2^@order and the range inside the
 * zone.  Because free buddies are always merged, an entirely free aligned
 * range always lies in a single free block, so the search only looks at
 * the blocks that could enclose it.
 *
 * Returns the range as a fresh folio (refcount 1, descriptors reset, a
 * large folio if @order > 0), or NULL if any frame of it is not free.
 * Counts NR_ZONE_ALLOC and NR_FREE_PAGES but, like Linux's compaction
 * free scanner, not PGALLOC_*.  Takes zone->lock.
 */
struct page *pnm_isolate_free_range(struct zone *zone, unsigned long pfn,
				    unsigned int order)
{
	unsigned long head_pfn = 0, nr = 1UL << order;
	struct page *page;
	unsigned int o;

	if (!zone || order > MAX_PAGE_ORDER || !IS_ALIGNED(pfn, nr) ||
	    pfn < zone->zone_start_pfn || pfn + nr > zone_end_pfn(zone))
		return NULL;

	spin_lock(&zone->lock);
	for (o = order; o <= MAX_PAGE_ORDER; o++) {
		head_pfn = ALIGN_DOWN(pfn, 1UL << o);
		if (page_is_buddy(pfn_to_page(head_pfn), o))
			break;
	}
	if (o > MAX_PAGE_ORDER) {
		spin_unlock(&zone->lock);
		return NULL;
	}
	del_page_from_free_list(zone, pfn_to_page(head_pfn), o);
	/* Halve the block, keeping the half that holds @pfn. */
	while (o > order) {
		unsigned long half;

		o--;
		half = 1UL << o;
		if (pfn >= head_pfn + half) {
			add_to_free_list(zone, pfn_to_page(head_pfn), o);
			head_pfn += half;
		} else {
			add_to_free_list(zone, pfn_to_page(head_pfn + half), o);
		}
	}
	zone_stat_add(zone, NR_ZONE_FREE_PAGES, -(long)nr);
	spin_unlock(&zone->lock);

	page = pfn_to_page(pfn);
	zone_stat_add(zone, NR_ZONE_ALLOC, nr);
	mod_vm_stat(NR_FREE_PAGES, -(long)nr);
	atomic_long_add(nr, &nr_allocated);
	prep_new_pages(page, order, __GFP_COMP);
	return page;
}

/* --- checking ---------------------------------------------------------------- */

/* Is @e the lru field of some descriptor in mem_map[]?  (Corrupt lists.) */
static bool lru_in_mem_map(const struct list_head *e)
{
	uintptr_t base = (uintptr_t)pnm_mem.mem_map;
	uintptr_t p = (uintptr_t)e - offsetof(struct page, lru);

	return p >= base && p < base + pnm_mem.nr_frames * sizeof(struct page) &&
	       (p - base) % sizeof(struct page) == 0;
}

/* Per-frame state while checking a zone. */
#define CK_USED		0	/* not in a free block */
#define CK_INSIDE	1	/* a non-head frame of a free block */
#define CK_HEAD		2	/* CK_HEAD + order: a free block head */

static bool check_free_list(struct zone *zone, unsigned int order,
			    unsigned char *state, unsigned long *pages)
{
	struct free_area *area = &zone->free_area[order];
	unsigned long start = zone->zone_start_pfn, nr = 1UL << order;
	struct list_head *prev = &area->free_list, *e;
	unsigned long count = 0, i;

	for (e = READ_ONCE(prev->next); e != &area->free_list; prev = e, e = e->next) {
		struct page *page;
		unsigned long pfn;

		if (!lru_in_mem_map(e))
			return pnm_check_fail("zone %s order %u: list entry %p is not a frame",
					      zone->name, order, (void *)e);
		if (e->prev != prev)
			return pnm_check_fail("zone %s order %u: broken list links at %p",
					      zone->name, order, (void *)e);
		if (++count > zone->spanned_pages)
			return pnm_check_fail("zone %s order %u: free list loops",
					      zone->name, order);
		page = list_entry(e, struct page, lru);
		pfn = page_to_pfn(page);
		if (!zone_spans_pfn(zone, pfn) || pfn + nr > zone_end_pfn(zone))
			return pnm_check_fail("zone %s order %u: block at pfn %#lx outside the zone",
					      zone->name, order, pfn);
		if (!IS_ALIGNED(pfn, nr))
			return pnm_check_fail("zone %s order %u: block at pfn %#lx misaligned",
					      zone->name, order, pfn);
		if (!PageBuddy(page) || page->private != order)
			return pnm_check_fail("zone %s order %u: pfn %#lx on the list but %s order %lu",
					      zone->name, order, pfn,
					      PageBuddy(page) ? "PG_buddy" : "not PG_buddy",
					      page->private);
		for (i = 0; i < nr; i++) {
			struct page *p = &page[i];

			if (state[pfn + i - start] != CK_USED)
				return pnm_check_fail("zone %s: free blocks overlap at pfn %#lx",
						      zone->name, pfn + i);
			state[pfn + i - start] = i ? CK_INSIDE : CK_HEAD + order;
			if (atomic_read(&p->_refcount))
				return pnm_check_fail("zone %s: free pfn %#lx has refcount %d",
						      zone->name, pfn + i,
						      atomic_read(&p->_refcount));
			if (atomic_read(&p->_mapcount))
				return pnm_check_fail("zone %s: free pfn %#lx has mapcount %d",
						      zone->name, pfn + i,
						      atomic_read(&p->_mapcount));
			if (i && PageBuddy(p))
				return pnm_check_fail("zone %s: pfn %#lx inside a free block is PG_buddy",
						      zone->name, pfn + i);
		}
		*pages += nr;
	}
	if (count != area->nr_free)
		return pnm_check_fail("zone %s order %u: %lu blocks listed, nr_free %lu",
				      zone->name, order, count, area->nr_free);
	return true;
}

/*
 * Check @zone's buddy state (contract in mmzone.h).  Beyond the list
 * checks: every frame carries the zone's id, every PG_buddy frame is the
 * head of a listed block, no two free buddies of the same order were left
 * unmerged, no free frame has a reference or mapping, and the listed frames
 * add up to NR_ZONE_FREE_PAGES.  Takes zone->lock; reports the first
 * problem with pnm_check_fail() and returns false.
 */
bool pnm_check_zone(struct zone *zone)
{
	unsigned long start, span, pages = 0, i;
	unsigned char *state;
	bool ok = true;
	unsigned int o;

	if (!zone || !pnm_mem.mem_map)
		return pnm_check_fail("pnm_check_zone: no such zone");
	start = zone->zone_start_pfn;
	span = zone->spanned_pages;
	state = calloc(span ? span : 1, 1);
	if (!state)
		return pnm_check_nomem("pnm_check_zone");

	spin_lock(&zone->lock);
	for (o = 0; o <= MAX_PAGE_ORDER && ok; o++)
		ok = check_free_list(zone, o, state, &pages);
	for (i = 0; i < span && ok; i++) {
		struct page *page = pfn_to_page(start + i);
		unsigned long buddy;

		if (page_zonenum(page) != zone->idx) {
			ok = pnm_check_fail("zone %s: pfn %#lx has zone id %d",
					    zone->name, start + i, page_zonenum(page));
		} else if (PageBuddy(page) && state[i] < CK_HEAD) {
			ok = pnm_check_fail("zone %s: pfn %#lx is PG_buddy but on no free list",
					    zone->name, start + i);
		} else if (state[i] >= CK_HEAD && state[i] - CK_HEAD < MAX_PAGE_ORDER) {
			o = state[i] - CK_HEAD;
			buddy = i ^ (1UL << o);
			if (buddy < span && state[buddy] == state[i])
				ok = pnm_check_fail("zone %s: free buddies at pfn %#lx and %#lx (order %u) not merged",
						    zone->name, start + i, start + buddy, o);
		}
	}
	if (ok && pages != zone_page_state(zone, NR_ZONE_FREE_PAGES))
		ok = pnm_check_fail("zone %s: %lu frames on the free lists, NR_ZONE_FREE_PAGES %lu",
				    zone->name, pages,
				    zone_page_state(zone, NR_ZONE_FREE_PAGES));
	spin_unlock(&zone->lock);
	free(state);
	return ok;
}

/* --- init / fini ---------------------------------------------------------------- */

static void zone_init(struct zone *zone, enum zone_type idx,
		      unsigned long start, unsigned long frames)
{
	unsigned long pfn;
	unsigned int o;
	int i;

	zone->name = zone_names[idx];
	zone->idx = idx;
	zone->zone_start_pfn = start;
	zone->spanned_pages = frames;
	spin_lock_init(&zone->lock);
	for (o = 0; o <= MAX_PAGE_ORDER; o++) {
		INIT_LIST_HEAD(&zone->free_area[o].free_list);
		zone->free_area[o].nr_free = 0;
	}
	for (i = 0; i < NR_ZONE_STAT_ITEMS; i++)
		atomic_long_set(&zone->vm_stat[i], 0);

	for (pfn = start; pfn < start + frames; pfn++) {
		struct page *page = pfn_to_page(pfn);

		page->flags = (unsigned long)idx << ZONES_PGSHIFT;
		INIT_LIST_HEAD(&page->lru);
	}
	/* Lowest pfns end up first on the list: early allocations are low. */
	spin_lock(&zone->lock);
	for (pfn = start + frames; pfn > start; pfn -= 1UL << MAX_PAGE_ORDER)
		add_to_free_list(zone, pfn_to_page(pfn - (1UL << MAX_PAGE_ORDER)),
				 MAX_PAGE_ORDER);
	zone_stat_add(zone, NR_ZONE_FREE_PAGES, frames);
	spin_unlock(&zone->lock);
}

/*
 * Build the arena from @cfg: map the frames and mem_map[], lay out the
 * zones (each rounded up to 512 frames) and put every frame on a free
 * list, then allocate the zero page from ZONE_NORMAL.  Pair with
 * pnm_page_alloc_fini().  Returns 0, -EINVAL (no NORMAL frames, or more
 * than PNM_MAX_FRAMES), -EBUSY (already built) or -ENOMEM (host mmap
 * failed, or an injected PNM_FAULT_PAGE failed the zero page; nothing is
 * left mapped).  Single-threaded (pnm_init()).
 */
int pnm_page_alloc_init(const struct pnm_config *cfg)
{
	unsigned long frames[MAX_NR_ZONES], total = 0, start = 0;
	struct page *zero;
	int z;

	if (pnm_mem.mem_map)
		return -EBUSY;
	for (z = 0; z < MAX_NR_ZONES; z++) {
		if (cfg->zone_frames[z] > PNM_MAX_FRAMES)
			return -EINVAL;
		frames[z] = ALIGN(cfg->zone_frames[z], 1UL << MAX_PAGE_ORDER);
		total += frames[z];
	}
	if (!frames[ZONE_NORMAL] || total > PNM_MAX_FRAMES)
		return -EINVAL;

	arena_bytes = total << PAGE_SHIFT;
	mem_map_bytes = ALIGN(total * sizeof(struct page), PAGE_SIZE);
	pnm_mem.base = mmap(NULL, arena_bytes, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (pnm_mem.base == MAP_FAILED)
		goto out_fail;
	pnm_mem.mem_map = mmap(NULL, mem_map_bytes, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (pnm_mem.mem_map == MAP_FAILED)
		goto out_unmap_base;
	mem_map_lsan_root(pnm_mem.mem_map, mem_map_bytes);
	pnm_mem.nr_frames = total;

	atomic_long_set(&nr_allocated, 0);
	atomic_set(&fail_nth, 0);
	for (z = 0; z < MAX_NR_ZONES; z++) {
		zone_init(&pnm_mem.zones[z], z, start, frames[z]);
		start += frames[z];
	}
	/* The zones' frames are free; the caller's stat reset re-derives
	 * NR_FREE_PAGES, but keep the gauge right in the meantime. */
	mod_vm_stat(NR_FREE_PAGES, total);

	zero = alloc_pages(GFP_KERNEL | __GFP_ZERO, 0);
	if (!zero) {	/* NORMAL has 512 free frames: only an injected fault */
		pnm_page_alloc_fini();
		return -ENOMEM;
	}
	SetPageReserved(zero);
	pnm_mem.zero_pfn = page_to_pfn(zero);
	return 0;

out_unmap_base:
	munmap(pnm_mem.base, arena_bytes);
out_fail:
	memset(&pnm_mem, 0, sizeof(pnm_mem));
	return -ENOMEM;
}

/*
 * Unmap the arena and mem_map[].  Every frame is forgotten, allocated or
 * not: pnm_fini() has already reported leaks.  Single-threaded.
 */
void pnm_page_alloc_fini(void)
{
	int z;

	if (!pnm_mem.mem_map)
		return;
	for (z = 0; z < MAX_NR_ZONES; z++)
		spin_lock_destroy(&pnm_mem.zones[z].lock);
	mem_map_lsan_unroot(pnm_mem.mem_map, mem_map_bytes);
	munmap(pnm_mem.mem_map, mem_map_bytes);
	munmap(pnm_mem.base, arena_bytes);
	memset(&pnm_mem, 0, sizeof(pnm_mem));
	atomic_long_set(&nr_allocated, 0);
	atomic_set(&fail_nth, 0);
}
