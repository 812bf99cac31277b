// SPDX-License-Identifier: MIT
/*
 * mthp.c - multi-size THP for anonymous memory: the per-size switches,
 * the choice of a folio size at a fault, the per-size counters, and the
 * deferred split queue of partly unmapped large folios (the parts of
 * Linux's mm/huge_memory.c and mm/memory.c that serve sizes between 4 KiB
 * and 2 MiB; the PMD-mapped 2 MiB THP itself stays in huge_memory.c).
 *
 * Sizes.  An anonymous folio may have any order from PNM_THP_MIN_ORDER (2:
 * 16 KiB) to HPAGE_PMD_ORDER (9: 2 MiB); order 1 is never used for anon
 * memory, as in Linux.  Each order has a switch (pinmm/thp.h): never,
 * always, madvise (VM_HUGEPAGE areas only) or inherit (the global mode,
 * pnm_config.thp, read at each fault).  The switches are three bitmasks
 * (Linux's huge_anon_orders_always/_madvise/_inherit), changed under
 * switch_lock and read locklessly with READ_ONCE: a fault sees either
 * the old or the new setting of a size.  The 2 MiB switch is what
 * thp_vma_suitable() (huge_memory.c) asks; the smaller ones are only
 * asked here, by do_anonymous_large_folio().
 *
 * A fault.  A write fault on an empty PTE of a private anonymous area
 * (memory.c's do_anonymous_page()) first comes here.  From the enabled
 * orders below PMD order, keep those whose naturally aligned range around
 * the address lies inside the VMA, then the largest whose range is
 * entirely pte_none; try to allocate that order, then each smaller one
 * still in the set (each failure counted as that size's
 * anon_fault_fallback), and map the folio by one PTE per page, all
 * writable (if the VMA is), dirty and anon-exclusive, the allocation's
 * reference becoming nr references, one per PTE (brief §1), counted as
 * anon_fault_alloc.  With no order left the fault goes on at 4 KiB.  When
 * every small size is off (the default) the cost is one load.
 *
 * PTE-mapped large folios live like any folio afterwards: each PTE owns a
 * reference and a page mapcount (rmap.c), fork shares each page
 * (anon-exclusive per page) or copies every page of a maybe-pinned folio,
 * a write to a shared page copies that one 4 KiB page (memory.c), a pin
 * counts in the folio's _pincount (gup.c), and migration moves the whole
 * folio or, with no block of its order free, splits it (migrate.c).
 *
 * The deferred split queue.  When pages of a large anonymous folio stop
 * being mapped anywhere while others still are (a partial munmap,
 * MADV_DONTNEED, a COW copy of one page, a collapse taking some pages),
 * rmap.c queues the folio here (deferred_split_folio()), as Linux does,
 * instead of splitting it under the page-table lock.  Later
 * deferred_split_scan() -- the shrinker: pnm_thp_deferred_split_scan(),
 * and pnm_reclaim_pages() -- splits each queued folio into order-0 folios
 * (split_folio(), huge_memory.c), which frees the unmapped pages.  A
 * split refuses a folio that is pinned or otherwise referenced (its
 * refcount cannot be frozen): such a folio is queued again.
 *
 * The queue is a bitmap with one bit per possible head of a folio of
 * order >= 2 (pfn / 4), not a list through the folio: no field of struct
 * page is borrowed, whatever else a large folio's pages are used for.
 * The scanner goes round it from a cursor.  The queue holds no reference:
 * a folio leaves it when freed (free_folio_frames() calls
 * folio_unqueue_deferred_split() before the frames go back), when split
 * (split_folio(), with the refcount frozen), or when the scanner takes
 * it.  The scanner takes a folio only with folio_try_get() under the
 * queue lock, so a set bit always names the head of the folio that was
 * queued, and one whose count already reached zero is left to the free
 * path.
 *
 * Locking.  deferred_split_lock (the bitmap, its length and cursor) is a
 * leaf: taken under a ptl (rmap removal), in the free path
 * (which may run under a ptl or zone->lock is not held yet), and by the
 * scanner and checkers with nothing held; nothing is taken under it but
 * the atomics of folio_try_get().  switch_lock serialises the switch
 * writers only.
 */
#include <stdlib.h>

#include "internal.h"

/* --- the switches ------------------------------------------------------------ */

/* Bit @order: that size's switch is always / madvise / inherit.  Written
 * under switch_lock with WRITE_ONCE; read with READ_ONCE (see above). */
static unsigned long huge_anon_orders_always;
static unsigned long huge_anon_orders_madvise;
static unsigned long huge_anon_orders_inherit;
static spinlock_t switch_lock = { .m = PTHREAD_MUTEX_INITIALIZER, .owner = 0 };

/* Orders a fault may give anonymous memory: 2..9. */
#define THP_ORDERS_ALL_ANON	(((1UL << (HPAGE_PMD_ORDER + 1)) - 1) & ~3UL)

static void set_order_mode(unsigned int order, enum pnm_thp_mode mode)
{
	unsigned long bit = 1UL << order;

	WRITE_ONCE(huge_anon_orders_always, (huge_anon_orders_always & ~bit) |
		   (mode == PNM_THP_ALWAYS ? bit : 0));
	WRITE_ONCE(huge_anon_orders_madvise, (huge_anon_orders_madvise & ~bit) |
		   (mode == PNM_THP_MADVISE ? bit : 0));
	WRITE_ONCE(huge_anon_orders_inherit, (huge_anon_orders_inherit & ~bit) |
		   (mode == PNM_THP_INHERIT ? bit : 0));
}

static enum pnm_thp_mode order_mode(unsigned int order)
{
	unsigned long bit = 1UL << order;

	if (READ_ONCE(huge_anon_orders_always) & bit)
		return PNM_THP_ALWAYS;
	if (READ_ONCE(huge_anon_orders_madvise) & bit)
		return PNM_THP_MADVISE;
	if (READ_ONCE(huge_anon_orders_inherit) & bit)
		return PNM_THP_INHERIT;
	return PNM_THP_NEVER;
}

/*
 * pnm_mthp_check_config - see internal.h: every entry a known mode, the
 * orders without a switch never.
 */
int pnm_mthp_check_config(const struct pnm_config *cfg)
{
	unsigned int order;

	for (order = 0; order <= HPAGE_PMD_ORDER; order++) {
		enum pnm_thp_mode mode = cfg->thp_size_enabled[order];

		if ((unsigned int)mode > PNM_THP_INHERIT)
			return -EINVAL;
		if (order < PNM_THP_MIN_ORDER && mode != PNM_THP_NEVER)
			return -EINVAL;
	}
	return 0;
}

/* The deferred split queue: bit pfn / 4 set = the folio with head @pfn
 * is queued.  All fields under deferred_split_lock. */
static spinlock_t deferred_split_lock = { .m = PTHREAD_MUTEX_INITIALIZER, .owner = 0 };
static unsigned long *deferred_split_map;	/* pnm_mthp_init() */
static unsigned long deferred_split_bits;	/* bits in the map */
static unsigned long deferred_split_len;	/* bits set */
static unsigned long deferred_split_cursor;	/* where the scanner goes on */

#define DS_SHIFT	PNM_THP_MIN_ORDER
#define DS_WORDS(bits)	(((bits) + BITS_PER_LONG - 1) / BITS_PER_LONG)

/*
 * pnm_mthp_init - see internal.h: the switches from @cfg (checked), an
 * empty deferred split queue sized for the arena (folios a previous model
 * leaked were abandoned with its arena).  Single-threaded (pnm_init(),
 * after the arena exists).  0 or -ENOMEM.
 */
int pnm_mthp_init(const struct pnm_config *cfg)
{
	unsigned long bits = (pnm_mem.nr_frames >> DS_SHIFT) + 1;
	unsigned long *map = pnm_calloc(PNM_FAULT_ALLOC, DS_WORDS(bits), sizeof(unsigned long));
	unsigned int order;

	if (!map)
		return -ENOMEM;
	spin_lock(&switch_lock);
	for (order = 0; order <= HPAGE_PMD_ORDER; order++)
		set_order_mode(order, cfg->thp_size_enabled[order]);
	spin_unlock(&switch_lock);
	spin_lock(&deferred_split_lock);
	free(deferred_split_map);
	deferred_split_map = map;
	deferred_split_bits = bits;
	deferred_split_len = 0;
	deferred_split_cursor = 0;
	spin_unlock(&deferred_split_lock);
	return 0;
}

/* pnm_mthp_fini - internal.h: the queue's memory (the model is gone). */
void pnm_mthp_fini(void)
{
	spin_lock(&deferred_split_lock);
	free(deferred_split_map);
	deferred_split_map = NULL;
	deferred_split_bits = 0;
	deferred_split_len = 0;
	spin_unlock(&deferred_split_lock);
}

/* The order of a size in bytes with a switch, or -EINVAL. */
static int size_to_order(unsigned long size)
{
	unsigned int order;

	for (order = PNM_THP_MIN_ORDER; order <= HPAGE_PMD_ORDER; order++)
		if (size == PAGE_SIZE << order)
			return (int)order;
	return -EINVAL;
}

/*
 * pnm_thp_set_enabled - set one size's switch (pinmm/thp.h).  Takes
 * switch_lock; faults running meanwhile see the old or the new mode.
 */
int pnm_thp_set_enabled(unsigned long size, enum pnm_thp_mode mode)
{
	int order = size_to_order(size);

	if (order < 0 || (unsigned int)mode > PNM_THP_INHERIT || !pnm_initialised)
		return -EINVAL;
	spin_lock(&switch_lock);
	set_order_mode((unsigned int)order, mode);
	spin_unlock(&switch_lock);
	return 0;
}

/* pnm_thp_get_enabled - one size's switch (pinmm/thp.h).  Lockless. */
int pnm_thp_get_enabled(unsigned long size)
{
	int order = size_to_order(size);

	if (order < 0 || !pnm_initialised)
		return -EINVAL;
	return (int)order_mode((unsigned int)order);
}

/*
 * thp_vma_allowable_orders - the subset of @orders whose switch lets
 * anonymous folios of that order back @vma (internal.h): an anonymous,
 * private VMA without VM_NOHUGEPAGE or a special mapping flag; "always"
 * sizes, "madvise" sizes if VM_HUGEPAGE, "inherit" sizes as the global
 * mode says.  Alignment and room are the caller's business
 * (thp_vma_suitable_orders()).  Caller holds mmap_lock.
 */
unsigned long thp_vma_allowable_orders(struct vm_area_struct *vma, unsigned long orders)
{
	unsigned long flags = vma->vm_flags, mask;

	orders &= THP_ORDERS_ALL_ANON;
	if (!orders || !vma_is_anonymous(vma))
		return 0;
	if (flags & (VM_NOHUGEPAGE | VM_SHARED | VM_MAYSHARE | VM_PFNMAP |
		     VM_MIXEDMAP | VM_IO | VM_HUGETLB))
		return 0;
	mask = READ_ONCE(huge_anon_orders_always);
	if (flags & VM_HUGEPAGE)
		mask |= READ_ONCE(huge_anon_orders_madvise);
	/* test_huge_memory.c changes the global mode at run time too. */
	switch (READ_ONCE(pnm_config.thp)) {
	case PNM_THP_ALWAYS:
		mask |= READ_ONCE(huge_anon_orders_inherit);
		break;
	case PNM_THP_MADVISE:
		if (flags & VM_HUGEPAGE)
			mask |= READ_ONCE(huge_anon_orders_inherit);
		break;
	default:
		break;
	}
	return orders & mask;
}

/* The orders of @orders whose aligned range around @addr lies in @vma. */
static unsigned long thp_vma_suitable_orders(struct vm_area_struct *vma, unsigned long addr,
					     unsigned long orders)
{
	unsigned long ok = 0;
	unsigned int order;

	for (order = PNM_THP_MIN_ORDER; order <= HPAGE_PMD_ORDER; order++) {
		unsigned long size = PAGE_SIZE << order, start = addr & ~(size - 1);

		if ((orders & BIT(order)) && start >= vma->vm_start &&
		    start + size <= vma->vm_end)
			ok |= BIT(order);
	}
	return ok;
}

/* --- a fault ------------------------------------------------------------------- */

/* Are the @nr entries from @pte all none?  PTE ptl held. */
static bool pte_range_none(pte_t *pte, unsigned long nr)
{
	unsigned long i;

	for (i = 0; i < nr; i++)
		if (!pte_none(ptep_get(pte + i)))
			return false;
	return true;
}

/*
 * The largest order of @orders whose aligned range around vmf->address
 * is entirely unmapped, and with it the smaller orders of @orders (they
 * lie inside that range, so they are empty too).  0 if none, or if the
 * PTE table went away meanwhile.  Takes the PTE ptl to look.
 */
static unsigned long orders_with_empty_range(struct vm_fault *vmf, unsigned long orders)
{
	struct mm_struct *mm = vmf->vma->vm_mm;
	unsigned long base = vmf->address & PMD_MASK;
	spinlock_t *ptl;
	pte_t *pte;
	int order;

	pte = pte_offset_map_lock(mm, vmf->pmd, base, &ptl);
	if (!pte)
		return 0;
	for (order = HPAGE_PMD_ORDER - 1; order >= PNM_THP_MIN_ORDER; order--) {
		unsigned long start = vmf->address & ~((PAGE_SIZE << order) - 1);

		if (!(orders & BIT(order)))
			continue;
		if (pte_range_none(pte + ((start - base) >> PAGE_SHIFT), 1UL << order))
			break;
		orders &= ~BIT(order);
	}
	pte_unmap_unlock(pte, ptl);
	return orders & (BIT(order + 1) - 1);
}

/* Allocate the largest possible order of @orders, counting a fallback for
 * each that found no free block.  NULL if none could be had. */
static struct folio *alloc_anon_large_folio(unsigned long orders)
{
	int order;

	for (order = HPAGE_PMD_ORDER - 1; order >= PNM_THP_MIN_ORDER; order--) {
		struct folio *folio;

		if (!(orders & BIT(order)))
			continue;
		folio = folio_alloc(GFP_TRANSHUGE | __GFP_ZERO, (unsigned int)order);
		if (folio)
			return folio;
		count_mthp_stat((unsigned int)order, MTHP_STAT_ANON_FAULT_FALLBACK);
	}
	return NULL;
}

/*
 * Map the new, zeroed large @folio at the aligned range that holds
 * vmf->address if every entry there is still none.  0 on success (the
 * allocation's reference became the mappings'), VM_FAULT_FALLBACK if the
 * range filled meanwhile or the table went away (the caller still owns
 * the folio).  vma->anon_vma exists.
 */
static vm_fault_t map_anon_large_folio(struct vm_fault *vmf, struct folio *folio)
{
	struct vm_area_struct *vma = vmf->vma;
	struct mm_struct *mm = vma->vm_mm;
	unsigned long nr = folio_nr_pages(folio), i;
	unsigned long addr = vmf->address & ~(folio_size(folio) - 1);
	pteval_t prot = vm_get_page_prot(vma->vm_flags);
	spinlock_t *ptl;
	pte_t *pte;

	pte = pte_offset_map_lock(mm, vmf->pmd, addr, &ptl);
	if (!pte)
		return VM_FAULT_FALLBACK;
	if (!pte_range_none(pte, nr)) {
		pte_unmap_unlock(pte, ptl);
		return VM_FAULT_FALLBACK;
	}
	/* Every page mapped, anon-exclusive; one reference per PTE. */
	folio_add_new_anon_rmap(folio, vma, addr, RMAP_EXCLUSIVE);
	folio_ref_add(folio, (int)nr - 1);
	for (i = 0; i < nr; i++) {
		pte_t entry = pfn_pte(folio_pfn(folio) + i, prot);

		/* Release store: the zeroed data, refcount and rmap are
		 * visible to a lockless walker that sees the entry. */
		set_pte_at(mm, addr + i * PAGE_SIZE, pte + i,
			   pte_mkdirty(maybe_mkwrite(entry, vma)));
	}
	pte_unmap_unlock(pte, ptl);
	return 0;
}

/*
 * do_anonymous_large_folio - internal.h.  Linux's alloc_anon_folio() and
 * the large-folio part of do_anonymous_page().
 */
vm_fault_t do_anonymous_large_folio(struct vm_fault *vmf)
{
	struct vm_area_struct *vma = vmf->vma;
	unsigned long orders, small = THP_ORDERS_ALL_ANON & ~BIT(HPAGE_PMD_ORDER);
	struct folio *folio;
	vm_fault_t ret;

	/* The common case, every small size off: one load per switch kind. */
	if (!((READ_ONCE(huge_anon_orders_always) | READ_ONCE(huge_anon_orders_madvise) |
	       READ_ONCE(huge_anon_orders_inherit)) & small))
		return VM_FAULT_FALLBACK;
	orders = thp_vma_allowable_orders(vma, small);
	orders = thp_vma_suitable_orders(vma, vmf->address, orders);
	if (!orders)
		return VM_FAULT_FALLBACK;
	orders = orders_with_empty_range(vmf, orders);
	if (!orders)
		return VM_FAULT_FALLBACK;
	if (anon_vma_prepare(vma))
		return VM_FAULT_OOM;
	folio = alloc_anon_large_folio(orders);
	if (!folio)
		return VM_FAULT_FALLBACK;
	ret = map_anon_large_folio(vmf, folio);
	if (ret) {
		folio_put(folio);
		return ret;
	}
	count_mthp_stat(folio_order(folio), MTHP_STAT_ANON_FAULT_ALLOC);
	pnm_trace(PNM_TRACE_ANON_ALLOC, vma->vm_mm->owner_pid, vmf->address,
		  folio_pfn(folio), folio_order(folio), 0);
	return 0;
}

/* --- the deferred split queue --------------------------------------------------- */

/* Can @folio be on the queue at all? */
static bool deferred_splittable(struct folio *folio)
{
	return folio_order(folio) >= PNM_THP_MIN_ORDER && folio_test_anon(folio);
}

/* Is the folio with head @pfn queued?  deferred_split_lock held. */
static bool deferred_split_test(unsigned long pfn)
{
	unsigned long bit = pfn >> DS_SHIFT;

	return bit < deferred_split_bits &&
	       (deferred_split_map[bit / BITS_PER_LONG] & BIT(bit % BITS_PER_LONG));
}

/* Queue @folio; deferred_split_lock held.  true if it was not queued. */
static bool deferred_split_add(struct folio *folio)
{
	unsigned long bit = folio_pfn(folio) >> DS_SHIFT;

	if (bit >= deferred_split_bits || deferred_split_test(folio_pfn(folio)))
		return false;
	deferred_split_map[bit / BITS_PER_LONG] |= BIT(bit % BITS_PER_LONG);
	deferred_split_len++;
	mod_vm_stat(PNM_NR_DEFERRED_SPLIT, 1);
	return true;
}

/* Unqueue the folio with head @pfn; deferred_split_lock held.  true if it
 * was queued. */
static bool deferred_split_del(unsigned long pfn)
{
	unsigned long bit = pfn >> DS_SHIFT;

	if (!deferred_split_test(pfn))
		return false;
	deferred_split_map[bit / BITS_PER_LONG] &= ~BIT(bit % BITS_PER_LONG);
	deferred_split_len--;
	mod_vm_stat(PNM_NR_DEFERRED_SPLIT, -1);
	return true;
}

/* The first set bit at or after @from, wrapping round; lock held, the
 * queue not empty. */
static unsigned long deferred_split_next(unsigned long from)
{
	unsigned long nwords = DS_WORDS(deferred_split_bits), i, w;

	if (from >= deferred_split_bits)
		from = 0;
	w = deferred_split_map[from / BITS_PER_LONG] & (~0UL << (from % BITS_PER_LONG));
	for (i = from / BITS_PER_LONG; ; ) {
		if (w)
			return i * BITS_PER_LONG + (unsigned long)__builtin_ctzl(w);
		i = (i + 1) % nwords;
		w = deferred_split_map[i];
	}
}

/*
 * deferred_split_folio - internal.h.  Counts thp_deferred_split_page and
 * the size's split_deferred when the folio is newly queued.
 */
void deferred_split_folio(struct folio *folio)
{
	bool added;

	if (!deferred_splittable(folio))
		return;
	spin_lock(&deferred_split_lock);
	added = deferred_split_add(folio);
	spin_unlock(&deferred_split_lock);
	if (added) {
		count_vm_event(THP_DEFERRED_SPLIT_PAGE);
		count_mthp_stat(folio_order(folio), MTHP_STAT_SPLIT_DEFERRED);
	}
}

/*
 * folio_unqueue_deferred_split - internal.h.  The queue lock is taken for
 * every folio of order >= 2, anonymous or no longer (a migrated source has
 * lost its mapping before it is freed): the scanner may be taking this
 * very folio (it found it with a zero count), and only the lock orders
 * the two.
 */
bool folio_unqueue_deferred_split(struct folio *folio)
{
	bool removed;

	if (folio_order(folio) < PNM_THP_MIN_ORDER)
		return false;
	spin_lock(&deferred_split_lock);
	removed = deferred_split_del(folio_pfn(folio));
	spin_unlock(&deferred_split_lock);
	return removed;
}

/*
 * folio_partially_mapped - internal.h.  Mapcounts are read without the
 * mapcount lock: exact when the caller excludes mapping changes,
 * otherwise a snapshot.
 */
bool folio_partially_mapped(struct folio *folio)
{
	unsigned long i, nr = folio_nr_pages(folio);
	bool mapped = false, unmapped = false;

	if (folio_entire_mapcount(folio) > 0)
		return false;
	for (i = 0; i < nr; i++) {
		if (atomic_read(&folio_page(folio, i)->_mapcount) > 0)
			mapped = true;
		else
			unmapped = true;
		if (mapped && unmapped)
			return true;
	}
	return false;
}

/*
 * folio_queue_if_partially_mapped - internal.h: after a walk that
 * restored mappings (remove_migration_ptes()), which may have found some
 * of them zapped meanwhile.
 */
void folio_queue_if_partially_mapped(struct folio *folio)
{
	if (deferred_splittable(folio) && folio_partially_mapped(folio))
		deferred_split_folio(folio);
}

/*
 * deferred_split_scan - internal.h.  One folio at a time: under the lock,
 * take the next queued folio from the cursor with a speculative
 * reference (none: it is being freed, leave it to the free path), then,
 * without the lock, trylock it and split it if it is still partly mapped.
 * A folio that could not be split (locked by someone else, pinned or
 * referenced) and is still partly mapped goes back on the queue.  Looks
 * at no more folios than the queue held at the start, so one that keeps
 * failing is looked at about once per call.
 */
long deferred_split_scan(unsigned long nr_to_scan)
{
	unsigned long budget, done;
	long split = 0;

	spin_lock(&deferred_split_lock);
	budget = min_t(unsigned long, nr_to_scan, deferred_split_len);
	spin_unlock(&deferred_split_lock);
	for (done = 0; done < budget; done++) {
		struct folio *folio;
		unsigned long bit;
		bool got, requeue;

		spin_lock(&deferred_split_lock);
		if (!deferred_split_len) {
			spin_unlock(&deferred_split_lock);
			break;
		}
		bit = deferred_split_next(deferred_split_cursor);
		deferred_split_cursor = bit + 1;
		folio = pfn_folio(bit << DS_SHIFT);
		deferred_split_del(bit << DS_SHIFT);
		/* Fully ordered: pairs with the final put's decrement; a count
		 * that reached zero stays there (the free path finds the bit
		 * clear and frees). */
		got = folio_try_get(folio);
		spin_unlock(&deferred_split_lock);
		if (!got)
			continue;
		requeue = true;
		if (folio_trylock(folio)) {
			if (folio_partially_mapped(folio) && !split_folio(folio)) {
				split++;
				requeue = false;	/* order 0 now */
			}
			folio_unlock(folio);
		}
		if (requeue && folio_partially_mapped(folio)) {
			spin_lock(&deferred_split_lock);
			deferred_split_add(folio);
			spin_unlock(&deferred_split_lock);
		}
		folio_put(folio);
	}
	return split;
}

/* pnm_thp_deferred_split_scan - the public shrinker (pinmm/thp.h). */
long pnm_thp_deferred_split_scan(unsigned long nr_to_scan)
{
	if (!pnm_initialised)
		return 0;
	return deferred_split_scan(nr_to_scan);
}

/* --- checkers ------------------------------------------------------------------- */

/*
 * pnm_check_deferred_split - internal.h: the queue's length (and the
 * gauge) against its bits, each queued folio the head of a live
 * anonymous folio of order >= 2.  Model quiescent; takes the queue lock.
 */
bool pnm_check_deferred_split(void)
{
	unsigned long bit, n = 0;
	bool ok = true;

	spin_lock(&deferred_split_lock);
	for (bit = 0; bit < deferred_split_bits && ok; bit++) {
		struct folio *folio;
		unsigned long pfn = bit << DS_SHIFT;

		if (!deferred_split_test(pfn))
			continue;
		n++;
		folio = pfn_folio(pfn);
		if (!pfn_valid(pfn) || PageTail(&folio->page) || PageBuddy(&folio->page) ||
		    folio_ref_count(folio) <= 0 || !deferred_splittable(folio))
			ok = pnm_check_fail("deferred split queue: pfn %#lx is not a large anon "
					    "folio (order %u refcount %d anon %d tail %d buddy %d)",
					    pfn, folio_order(folio), folio_ref_count(folio),
					    folio_test_anon(folio), PageTail(&folio->page),
					    PageBuddy(&folio->page));
	}
	if (ok && (n != deferred_split_len ||
		   global_stat(PNM_NR_DEFERRED_SPLIT) != (long)deferred_split_len))
		ok = pnm_check_fail("deferred split queue: %lu queued, length %lu, "
				    "pnm_nr_deferred_split %ld", n, deferred_split_len,
				    global_stat(PNM_NR_DEFERRED_SPLIT));
	spin_unlock(&deferred_split_lock);
	return ok;
}

/*
 * pnm_check_folio_deferred - internal.h: a partly mapped large anonymous
 * folio that nobody is working on (unlocked) must be queued.
 */
bool pnm_check_folio_deferred(struct folio *folio)
{
	bool queued;

	if (!deferred_splittable(folio))
		return true;
	spin_lock(&deferred_split_lock);
	queued = deferred_split_test(folio_pfn(folio));
	spin_unlock(&deferred_split_lock);
	if (!queued && !folio_test_locked(folio) && folio_partially_mapped(folio))
		return pnm_check_fail("folio %#lx (order %u): partly mapped but not on the "
				      "deferred split queue", folio_pfn(folio), folio_order(folio));
	return true;
}
