// SPDX-License-Identifier: MIT
/*
 * khugepaged.c - collapsing a 2 MiB block mapped by 4 KiB entries into one
 * PMD-mapped THP: MADV_COLLAPSE (madvise_collapse()) and one pass of
 * khugepaged over an address space (pnm_khugepaged_scan()), Linux's
 * mm/khugepaged.c for anonymous memory.
 *
 * One collapse of the aligned block at @haddr, as Linux does it:
 *
 *   1. look (mmap_lock read, the PTE table's ptl): every entry none, the
 *      zero page, a swap entry or a present anonymous page -- writable or
 *      not: a read-only area, or pages COW-shared with a fork child, are
 *      collapsed too (the new THP is this process's own copy); no folio
 *      locked; every folio's refcount
 *      exactly its mapcount (plus the swap cache's reference) -- a pin, a
 *      get_user_pages() reference or anyone else's reference makes it
 *      differ, and the block is refused (SCAN_PAGE_COUNT, -EAGAIN);
 *   2. allocate a 2 MiB folio with no lock held (thp_collapse_alloc, or
 *      thp_collapse_alloc_failed and -ENOMEM);
 *   2a. if step 1 saw swap entries: take mmap_lock for read, check the VMA
 *      again, and swap every one of them in by a read fault (Linux's
 *      __collapse_huge_page_swapin: an exclusive entry comes back
 *      writable, the page stays in the swap cache); a fault that fails
 *      fails the collapse (SCAN_FAIL), one the swap cache's lock holds up
 *      too (SCAN_PAGE_LOCK);
 *   3. take mmap_lock for write and check again that the VMA may hold the
 *      THP (it may have changed while no lock was held);
 *   4. with the anon_vma's root rwsem held for write (no reverse-map
 *      walker is inside the VMA) and MMU notifiers told, clear the PMD
 *      that points to the PTE table: from now on nobody can reach the
 *      table -- faults need mmap_lock, gup-fast re-reads the PMD after
 *      its grab and backs out (gup_fast.c's protocol: the clear is a
 *      seq_cst exchange, the refcount reads below seq_cst RMWs);
 *   5. under the table's ptl, "isolate" every folio: trylock it (a folio
 *      someone else has locked is being migrated or split: -EAGAIN), check
 *      its refcount against its mapcount again and take a reference; a
 *      failure puts the PMD back as it was, and so does an entry that is
 *      not present (swapped out again meanwhile: SCAN_PTE_NON_PRESENT);
 *   6. copy each page into the new folio (zeroes for none and zero-page
 *      entries), clear the entries, remove their rmap and references (a
 *      page still mapped by another process lives on there; a large folio
 *      left partly mapped is queued for a deferred split), unlock and
 *      release the old folios;
 *   7. map the new folio by the PMD, writable if the VMA is, dirty and
 *      anon-exclusive: it is this process's own copy, whoever else maps the
 *      old pages (a fork child keeps its COW-shared ones).  An old folio
 *      in the swap cache that nothing maps any more leaves it, unless a
 *      swap entry elsewhere (a fork child's) still names its slot;  The emptied
 *      PTE table becomes the table deposited with the huge PMD
 *      (huge_memory.c), so it is never freed under a lockless walker.
 *
 * Pins.  Step 1 and step 5 refuse a folio with references beyond its
 * mappings, which is how Linux keeps khugepaged and MADV_COLLAPSE away
 * from pinned pages (a refcount test, not folio_maybe_dma_pinned()); the
 * model counts the refusals whose folio may be pinned in
 * pnm_thp_collapse_refused_pinned.  A pinned page therefore keeps its
 * frame: the device's view and the process's stay the same page.
 *
 * MADV_COLLAPSE ignores the THP switches (as Linux: it is an explicit
 * request) but not VM_NOHUGEPAGE, and has no limit on empty, swapped or
 * shared entries.  khugepaged collapses only where the 2 MiB switch lets
 * a fault use THPs, and within the limits of the knobs
 * transparent_hugepage/khugepaged/max_ptes_none (default 511 empty
 * entries), max_ptes_swap (64 swap entries; more: SCAN_EXCEED_SWAP_PTE,
 * thp_scan_exceed_swap_pte) and max_ptes_shared (256 pages shared with
 * another process), read at each scan, and needs at least one recently
 * used page -- half the block's if it has swap entries, as Linux.  A
 * migration entry counts as a locked folio for both (its migrator holds
 * the lock).
 *
 * Locking: mmap_lock (read for step 1, write for 3-7), anon_vma root
 * rwsem (write), PMD lock, the PTE table's ptl, then the mapcount lock
 * inside the rmap calls.  Folio locks, which rank outside all of these,
 * are only ever trylocked here.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* Why a block was (not) collapsed: Linux's enum scan_result, the values
 * the model can produce. */
enum scan_result {
	SCAN_FAIL,
	SCAN_SUCCEED,
	SCAN_PMD_NULL,		/* no PTE table (nothing mapped) */
	SCAN_PMD_MAPPED,	/* a huge PMD already (or one in migration) */
	SCAN_EXCEED_NONE_PTE,	/* khugepaged: too many empty entries */
	SCAN_EXCEED_SHARED_PTE,	/* khugepaged: too many shared pages */
	SCAN_LACK_REFERENCED_PAGE, /* khugepaged: nothing used recently */
	SCAN_PAGE_NULL,		/* a raw pfn mapping */
	SCAN_PAGE_COUNT,	/* references beyond the mappings (pins) */
	SCAN_PAGE_LOCK,		/* a folio locked (or under migration) */
	SCAN_PAGE_ANON,		/* not anonymous */
	SCAN_VMA_NULL,		/* the VMA went away meanwhile */
	SCAN_VMA_CHECK,		/* the VMA may no longer hold a THP there */
	SCAN_ALLOC_HUGE_PAGE_FAIL, /* no free 2 MiB block */
	SCAN_EXCEED_SWAP_PTE,	/* khugepaged: too many swap entries */
	SCAN_PTE_NON_PRESENT,	/* an entry not present when isolating */
};

/*
 * khugepaged's limits (transparent_hugepage/khugepaged/max_ptes_none,
 * max_ptes_swap, max_ptes_shared): written by sysctl.c, set to Linux's
 * defaults by pnm_sysctl_init(); read once per block with a relaxed load
 * (a knob orders nothing else: a scan racing with a write uses the old or
 * the new value).
 */
int khugepaged_max_ptes_none = HPAGE_PMD_NR - 1;
int khugepaged_max_ptes_swap = HPAGE_PMD_NR / 8;
int khugepaged_max_ptes_shared = HPAGE_PMD_NR / 2;

struct collapse_control {
	bool is_khugepaged;	/* khugepaged's limits and switch, else MADV_COLLAPSE */
	bool refused_pinned;	/* a refcount refusal whose folio may be pinned */
	int unmapped;		/* swap entries step 1 saw in the block */
};

/* The folios of one block being collapsed, each locked and referenced. */
struct collapse_folios {
	struct folio *folio[HPAGE_PMD_NR];
	int nr;
};

/*
 * May @vma hold a collapsed THP at all?  Linux's thp_vma_allowable_order()
 * for collapse: anonymous and private, none of VM_NOHUGEPAGE or the
 * special-mapping flags khugepaged leaves alone, room for one aligned
 * 2 MiB block, an anon_vma (something was faulted in), and with
 * @enforce_sysfs (khugepaged) the 2 MiB switch.  mmap_lock held.
 */
static bool collapse_vma_allowable(struct vm_area_struct *vma, bool enforce_sysfs)
{
	unsigned long flags = vma->vm_flags, haddr;

	if (!vma_is_anonymous(vma))
		return false;
	if (flags & (VM_NOHUGEPAGE | VM_SHARED | VM_MAYSHARE | VM_IO | VM_DONTEXPAND |
		     VM_PFNMAP | VM_MIXEDMAP | VM_HUGETLB))
		return false;
	if (vma->vm_end - vma->vm_start < HPAGE_PMD_SIZE)
		return false;
	haddr = (vma->vm_end - HPAGE_PMD_SIZE) & PMD_MASK;
	if (haddr < vma->vm_start)
		return false;
	if (enforce_sysfs && !thp_vma_allowable_orders(vma, BIT(HPAGE_PMD_ORDER)))
		return false;
	return smp_load_acquire(&vma->anon_vma) != NULL;
}

/*
 * After mmap_lock was dropped and taken again: the VMA holding @haddr,
 * covering the whole block and still allowed to hold a THP.  mmap_lock
 * held.
 */
static enum scan_result revalidate_vma(struct mm_struct *mm, unsigned long haddr,
				       struct collapse_control *cc,
				       struct vm_area_struct **vmap)
{
	struct vm_area_struct *vma = vma_lookup(mm, haddr);

	*vmap = vma;
	if (!vma)
		return SCAN_VMA_NULL;
	if (haddr < vma->vm_start || haddr + HPAGE_PMD_SIZE > vma->vm_end ||
	    !collapse_vma_allowable(vma, cc->is_khugepaged))
		return SCAN_VMA_CHECK;
	return SCAN_SUCCEED;
}

/*
 * Are @folio's references exactly its mappings, plus the swap cache's if
 * it is there (a page just swapped in)?  The read is a fully ordered RMW:
 * after the PMD clear of step 4 it pairs with gup-fast's
 * grab-then-recheck, so either gup-fast sees the PMD gone and drops its
 * grab, or its grab is counted here.
 */
static bool is_refcount_suitable(struct folio *folio)
{
	int expected = folio_mapcount(folio);

	if (folio_test_swapcache(folio))
		expected += (int)folio_nr_pages(folio);
	return atomic_add_return(0, &folio->_refcount) == expected;
}


/* Is @pte empty for collapsing: none, or the shared zero page? */
static bool pte_none_or_zero(pte_t pte)
{
	return pte_none(pte) || (pte_present(pte) && is_zero_pfn(pte_pfn(pte)));
}

/*
 * Check the 512 entries @ptes of the block at @haddr of @vma (the table's
 * ptl held).  With @cf (step 5) every folio is also trylocked and
 * referenced into @cf, which the caller releases on any result; without
 * (step 1) it is only looked at.  A folio's pages are consecutive entries
 * (each page maps only at its own index), so a folio is checked once, at
 * its first entry.
 */
static enum scan_result check_block(struct vm_area_struct *vma, unsigned long haddr,
				    pte_t *ptes, struct collapse_control *cc,
				    struct collapse_folios *cf)
{
	int max_none = READ_ONCE(khugepaged_max_ptes_none);
	int max_swap = READ_ONCE(khugepaged_max_ptes_swap);
	int max_shared = READ_ONCE(khugepaged_max_ptes_shared);
	int none = 0, shared = 0, referenced = 0, unmapped = 0, i;
	struct folio *last = NULL;

	for (i = 0; i < (int)HPAGE_PMD_NR; i++) {
		unsigned long addr = haddr + (unsigned long)i * PAGE_SIZE;
		pte_t pte = ptep_get(ptes + i);
		struct folio *folio;
		struct page *page;

		if (pte_none_or_zero(pte)) {
			if (cc->is_khugepaged && ++none > max_none)
				return SCAN_EXCEED_NONE_PTE;
			continue;
		}
		if (!pte_present(pte)) {
			swp_entry_t e = pte_to_swp_entry(pte);

			/* A migration entry: its folio is locked by the migrator. */
			if (non_swap_entry(e))
				return SCAN_PAGE_LOCK;
			/* Step 5: step 2a swapped everything in; swapped out
			 * again since. */
			if (cf)
				return SCAN_PTE_NON_PRESENT;
			if (++unmapped > max_swap && cc->is_khugepaged) {
				count_vm_event(THP_SCAN_EXCEED_SWAP_PTE);
				return SCAN_EXCEED_SWAP_PTE;
			}
			continue;
		}
		page = vm_normal_page(vma, addr, pte);
		if (!page)
			return SCAN_PAGE_NULL;
		folio = page_folio(page);
		if (!folio_test_anon(folio))
			return SCAN_PAGE_ANON;
		if (page_mapcount(page) > 1 && cc->is_khugepaged &&
		    ++shared > max_shared)
			return SCAN_EXCEED_SHARED_PTE;
		if (pte_young(pte) || PageReferenced(&folio->page))
			referenced++;
		if (folio == last)
			continue;
		last = folio;
		if (cf) {
			if (!folio_trylock(folio))
				return SCAN_PAGE_LOCK;
		} else if (folio_test_locked(folio)) {
			return SCAN_PAGE_LOCK;
		}
		if (!is_refcount_suitable(folio)) {
			if (folio_maybe_dma_pinned(folio))
				cc->refused_pinned = true;
			if (cf)
				folio_unlock(folio);
			return SCAN_PAGE_COUNT;
		}
		if (cf) {
			folio_get(folio);	/* isolated: ours until released */
			cf->folio[cf->nr++] = folio;
		}
	}
	if (!cf)
		cc->unmapped = unmapped;
	/* khugepaged swaps in only for a block that is mostly in use. */
	if (cc->is_khugepaged &&
	    (!referenced || (unmapped && referenced < (int)HPAGE_PMD_NR / 2)))
		return SCAN_LACK_REFERENCED_PAGE;
	return SCAN_SUCCEED;
}

/*
 * Unlock and drop the isolated folios (the last reference may free).  One
 * that nothing maps any more (the collapse copied it) leaves the swap
 * cache too, unless a swap entry still names its slot (Linux's
 * free_swap_cache() of the collapsed pages).
 */
static void release_folios(struct collapse_folios *cf)
{
	int i;

	for (i = 0; i < cf->nr; i++) {
		struct folio *folio = cf->folio[i];

		if (folio_test_swapcache(folio) && !folio_mapped(folio))
			folio_free_swap(folio);
		folio_unlock(folio);
		folio_put(folio);
	}
	cf->nr = 0;
}

/*
 * Step 2a: swap in every swap entry of the block at @haddr of @vma by a
 * read fault each (Linux's __collapse_huge_page_swapin).  An entry that
 * changed meanwhile is left to step 5.  SCAN_SUCCEED, SCAN_FAIL (a fault
 * failed: no memory, a read error), or SCAN_PMD_NULL / SCAN_PMD_MAPPED if
 * the PTE table went.  mmap_lock held for read.
 */
static enum scan_result collapse_swapin(struct mm_struct *mm, struct vm_area_struct *vma,
					unsigned long haddr)
{
	unsigned long i;

	for (i = 0; i < HPAGE_PMD_NR; i++) {
		unsigned long addr = haddr + i * PAGE_SIZE;
		pmd_t *pmd = pnm_pmd_lookup(mm, haddr);
		spinlock_t *ptl;
		vm_fault_t ret;
		pte_t *ptes, pte;

		if (!pmd || pmd_none(pmdp_get(pmd)))
			return SCAN_PMD_NULL;
		ptes = pte_offset_map_lock(mm, pmd, haddr, &ptl);
		if (!ptes)
			return SCAN_PMD_MAPPED;
		pte = ptep_get(ptes + i);
		pte_unmap_unlock(ptes, ptl);
		if (pte_none(pte) || pte_present(pte) || non_swap_entry(pte_to_swp_entry(pte)))
			continue;
		ret = handle_mm_fault(vma, addr, 0);
		if (ret & VM_FAULT_ERROR)
			return SCAN_FAIL;
	}
	return SCAN_SUCCEED;
}

/*
 * Step 6: fill @new from the 512 entries @ptes (the table is detached, its
 * ptl held), then clear them, removing each run of one folio's pages from
 * the rmap at once and dropping the mappings' references.
 */
static void copy_block(struct vm_area_struct *vma, unsigned long haddr, pte_t *ptes,
		       struct folio *new)
{
	struct mm_struct *mm = vma->vm_mm;
	unsigned long i, nr;

	for (i = 0; i < HPAGE_PMD_NR; i++) {
		pte_t pte = ptep_get(ptes + i);
		void *dst = page_address(folio_page(new, i));

		if (pte_none_or_zero(pte))
			memset(dst, 0, PAGE_SIZE);
		else
			memcpy(dst, page_address(pfn_to_page(pte_pfn(pte))), PAGE_SIZE);
	}
	for (i = 0; i < HPAGE_PMD_NR; i += nr) {
		unsigned long addr = haddr + i * PAGE_SIZE;
		pte_t pte = ptep_get_and_clear(mm, addr, ptes + i);
		struct folio *folio;
		struct page *page;

		nr = 1;
		if (pte_none_or_zero(pte))
			continue;	/* the zero page owns no reference */
		page = pfn_to_page(pte_pfn(pte));
		folio = page_folio(page);
		while (i + nr < HPAGE_PMD_NR && pte_present(ptep_get(ptes + i + nr)) &&
		       pte_pfn(ptep_get(ptes + i + nr)) == pte_pfn(pte) + nr &&
		       folio_page_idx(folio, page) + nr < folio_nr_pages(folio)) {
			ptep_get_and_clear(mm, addr + nr * PAGE_SIZE, ptes + i + nr);
			nr++;
		}
		folio_remove_rmap_ptes(folio, page, nr, vma);
		/* The mappings' references; the isolation reference remains. */
		folio_put_refs(folio, (int)nr);
	}
}

/*
 * Steps 2-7 for the block at @haddr, entered with mmap_lock held for read
 * after step 1 said yes; returns with mmap_lock not held.
 */
static enum scan_result collapse_huge_page(struct mm_struct *mm, unsigned long haddr,
					   struct collapse_control *cc)
{
	struct mmu_notifier_range range;
	struct vm_area_struct *vma;
	struct collapse_folios *cf;
	enum scan_result result;
	struct page *pgtable;
	spinlock_t *pml, *ptl;
	struct folio *new;
	pmd_t *pmd, orig, entry;
	pte_t *ptes;

	mmap_read_unlock(mm);
	new = folio_alloc(GFP_TRANSHUGE, HPAGE_PMD_ORDER);
	if (!new) {
		count_vm_event(THP_COLLAPSE_ALLOC_FAILED);
		return SCAN_ALLOC_HUGE_PAGE_FAIL;
	}
	count_vm_event(THP_COLLAPSE_ALLOC);
	cf = pnm_calloc(PNM_FAULT_ALLOC, 1, sizeof(*cf));
	if (!cf) {
		folio_put(new);
		return SCAN_FAIL;
	}
	if (cc->unmapped) {
		/* Step 2a. */
		mmap_read_lock(mm);
		result = revalidate_vma(mm, haddr, cc, &vma);
		if (result == SCAN_SUCCEED)
			result = collapse_swapin(mm, vma, haddr);
		mmap_read_unlock(mm);
		if (result != SCAN_SUCCEED) {
			free(cf);
			folio_put(new);
			return result;
		}
	}

	mmap_write_lock(mm);
	result = revalidate_vma(mm, haddr, cc, &vma);
	if (result != SCAN_SUCCEED)
		goto out_unlock;
	pmd = pnm_pmd_lookup(mm, haddr);
	orig = pmd ? pmdp_get(pmd) : __pmd(0);
	if (pmd_none(orig)) {
		result = SCAN_PMD_NULL;
		goto out_unlock;
	}
	if (!pmd_is_table(orig)) {
		result = SCAN_PMD_MAPPED;
		goto out_unlock;
	}

	/* Step 4: no walker, no notifier subscriber, no gup-fast behind us. */
	anon_vma_lock_write(vma->anon_vma);
	mmu_notifier_range_init(&range, MMU_NOTIFY_CLEAR, mm, haddr, haddr + HPAGE_PMD_SIZE);
	mmu_notifier_invalidate_range_start(&range);
	pml = pmd_lock(mm, pmd);
	orig = pmdp_huge_get_and_clear(mm, haddr, pmd);
	spin_unlock(pml);
	pgtable = pfn_to_page(pmd_pfn(orig));
	ptes = page_address(pgtable);

	/* Step 5. */
	ptl = ptlock_ptr(pgtable);
	spin_lock(ptl);
	result = check_block(vma, haddr, ptes, cc, cf);
	if (result != SCAN_SUCCEED) {
		spin_unlock(ptl);
		pml = pmd_lock(mm, pmd);
		set_pmd_at(mm, haddr, pmd, orig);	/* as it was */
		spin_unlock(pml);
		mmu_notifier_invalidate_range_end(&range);
		anon_vma_unlock_write(vma->anon_vma);
		release_folios(cf);
		goto out_unlock;
	}
	/* Step 6. */
	copy_block(vma, haddr, ptes, new);
	spin_unlock(ptl);
	release_folios(cf);

	/* Step 7: the emptied table is deposited with the huge PMD. */
	entry = pmd_mkdirty(pfn_pmd(folio_pfn(new), vm_get_page_prot(vma->vm_flags)));
	if (vma->vm_flags & VM_WRITE)
		entry = pmd_mkwrite(entry);
	pml = pmd_lock(mm, pmd);
	folio_add_new_anon_rmap(new, vma, haddr, RMAP_EXCLUSIVE);
	pgtable_trans_huge_deposit(pmd, pgtable);
	/* Release store: the copied data, refcount and rmap are visible to
	 * whoever sees the entry; the allocation's reference is the PMD's. */
	set_pmd_at(mm, haddr, pmd, entry);
	spin_unlock(pml);
	mmu_notifier_invalidate_range_end(&range);
	anon_vma_unlock_write(vma->anon_vma);
	new = NULL;
	count_vm_event(PNM_THP_COLLAPSED);

out_unlock:
	mmap_write_unlock(mm);
	free(cf);
	if (new)
		folio_put(new);
	return result;
}

/*
 * The block at @haddr of @vma: step 1, and if it says yes, the rest.
 * Entered with mmap_lock held for read; *@locked says whether it still is
 * on return.
 */
static enum scan_result collapse_scan_pmd(struct mm_struct *mm, struct vm_area_struct *vma,
					  unsigned long haddr, bool *locked,
					  struct collapse_control *cc)
{
	enum scan_result result;
	spinlock_t *ptl;
	pmd_t *pmd, val;
	pte_t *ptes;

	pmd = pnm_pmd_lookup(mm, haddr);
	if (!pmd)
		return SCAN_PMD_NULL;
	val = pmdp_get_lockless(pmd);
	if (pmd_none(val))
		return SCAN_PMD_NULL;
	/* A huge PMD, or a PMD migration entry (a THP in transit). */
	if (!pmd_is_table(val))
		return SCAN_PMD_MAPPED;
	ptes = pte_offset_map_lock(mm, pmd, haddr, &ptl);
	if (!ptes)
		return SCAN_PMD_MAPPED;		/* became huge meanwhile */
	result = check_block(vma, haddr, ptes, cc, NULL);
	pte_unmap_unlock(ptes, ptl);
	if (result != SCAN_SUCCEED)
		return result;
	*locked = false;
	return collapse_huge_page(mm, haddr, cc);
}

/* MADV_COLLAPSE's errno for the last failure (Linux's madvise_collapse_errno). */
static int madvise_collapse_errno(enum scan_result r)
{
	switch (r) {
	case SCAN_ALLOC_HUGE_PAGE_FAIL:
		return -ENOMEM;
	case SCAN_EXCEED_NONE_PTE:
		return -EBUSY;
	case SCAN_PAGE_COUNT:
	case SCAN_PAGE_LOCK:
		return -EAGAIN;
	default:
		return -EINVAL;
	}
}

/*
 * MADV_COLLAPSE of [start, end) inside @vma (Linux's madvise_collapse()):
 * each aligned block in turn; the results Linux lets it go on after are
 * remembered, any other ends it.  The blocks count as done if collapsed
 * or already huge.  Entered and left with mmap_lock held for read (it is
 * dropped around each collapse).  As in Linux, a part that holds no whole
 * block succeeds when its end is the start of the next block and fails
 * (-EINVAL) otherwise.
 */
static int collapse_vma_range(struct mm_struct *mm, struct vm_area_struct *vma,
			      unsigned long start, unsigned long end,
			      struct collapse_control *cc)
{
	unsigned long hstart = ALIGN(start, HPAGE_PMD_SIZE), hend = end & PMD_MASK, addr;
	enum scan_result last_fail = SCAN_FAIL;
	unsigned long thps = 0;
	bool locked = true;

	if (!collapse_vma_allowable(vma, false))
		return -EINVAL;
	if (hend < hstart)
		return -EINVAL;
	for (addr = hstart; addr < hend; addr += HPAGE_PMD_SIZE) {
		enum scan_result result;

		if (!locked) {
			mmap_read_lock(mm);
			locked = true;
			result = revalidate_vma(mm, addr, cc, &vma);
			if (result != SCAN_SUCCEED) {
				last_fail = result;
				break;
			}
			hend = min_t(unsigned long, hend, vma->vm_end & PMD_MASK);
		}
		result = collapse_scan_pmd(mm, vma, addr, &locked, cc);
		if (result == SCAN_SUCCEED || result == SCAN_PMD_MAPPED) {
			thps++;
			continue;
		}
		last_fail = result;
		/* Linux's whitelist of results after which it goes on. */
		if (result != SCAN_PMD_NULL && result != SCAN_PAGE_NULL && result != SCAN_PAGE_COUNT &&
		    result != SCAN_PAGE_LOCK && result != SCAN_LACK_REFERENCED_PAGE &&
		    result != SCAN_PTE_NON_PRESENT)
			break;
	}
	if (!locked)
		mmap_read_lock(mm);
	if (thps == (hend - hstart) >> PMD_SHIFT)
		return 0;
	return madvise_collapse_errno(last_fail);
}

/*
 * madvise_collapse - MADV_COLLAPSE over [start, end) of @mm (contract in
 * internal.h).  The VMAs are walked as madvise_walk_vmas() does: a hole
 * is remembered (-ENOMEM at the end), a VMA's error ends the walk.  A
 * collapse refused because of a maybe-pinned page counts in
 * pnm_thp_collapse_refused_pinned.
 */
int madvise_collapse(struct mm_struct *mm, unsigned long start, unsigned long end)
{
	struct collapse_control cc = { .is_khugepaged = false };
	int err = 0, unmapped_error = 0;

	mmap_read_lock(mm);
	while (start < end) {
		struct vm_area_struct *vma = find_vma(mm, start);
		unsigned long tmp;

		if (!vma) {
			err = -ENOMEM;
			break;
		}
		if (start < vma->vm_start) {
			unmapped_error = -ENOMEM;
			start = vma->vm_start;
			if (start >= end)
				break;
		}
		tmp = min_t(unsigned long, vma->vm_end, end);
		cc.refused_pinned = false;
		err = collapse_vma_range(mm, vma, start, tmp, &cc);
		if (cc.refused_pinned)
			count_vm_event(PNM_THP_COLLAPSE_REFUSED_PINNED);
		if (err)
			break;
		start = tmp;
	}
	mmap_read_unlock(mm);
	return err ? err : unmapped_error;
}

/*
 * pnm_mm_khugepaged_scan - one khugepaged pass over @mm: each aligned
 * block of each VMA where khugepaged may collapse, up to @max_pmds blocks
 * looked at.  Returns the THPs made.  Takes mmap_lock (read, and write
 * around each collapse); the walk goes on by address after the lock was
 * dropped.
 */
static long pnm_mm_khugepaged_scan(struct mm_struct *mm, unsigned long max_pmds)
{
	struct collapse_control cc = { .is_khugepaged = true };
	unsigned long addr = 0, scanned = 0;
	long collapsed = 0;

	mmap_read_lock(mm);
	while (scanned < max_pmds) {
		struct vm_area_struct *vma = find_vma(mm, addr);
		unsigned long haddr;
		bool locked = true;

		if (!vma)
			break;
		haddr = ALIGN(max_t(unsigned long, addr, vma->vm_start), HPAGE_PMD_SIZE);
		if (!collapse_vma_allowable(vma, true) || haddr + HPAGE_PMD_SIZE > vma->vm_end ||
		    haddr < vma->vm_start) {
			addr = vma->vm_end;
			continue;
		}
		scanned++;
		cc.refused_pinned = false;
		if (collapse_scan_pmd(mm, vma, haddr, &locked, &cc) == SCAN_SUCCEED)
			collapsed++;
		if (cc.refused_pinned)
			count_vm_event(PNM_THP_COLLAPSE_REFUSED_PINNED);
		addr = haddr + HPAGE_PMD_SIZE;
		if (!locked)
			mmap_read_lock(mm);
	}
	mmap_read_unlock(mm);
	return collapsed;
}

/* pnm_khugepaged_scan - the public pass over a task (pinmm/thp.h). */
long pnm_khugepaged_scan(struct task_struct *task, unsigned long max_pmds)
{
	struct mm_struct *mm = get_task_mm(task);
	long ret;

	if (!mm)
		return -ESRCH;
	ret = pnm_mm_khugepaged_scan(mm, max_pmds);
	mmput(mm);
	return ret;
}
