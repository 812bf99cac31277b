// SPDX-License-Identifier: MIT
/*
 * huge_memory.c - transparent huge pages: 2 MiB anonymous folios mapped by
 * a single PMD (Linux's mm/huge_memory.c, anonymous THP only).
 *
 * A THP is born in do_huge_pmd_anonymous_page() when a fault hits an empty
 * PMD of a suitable VMA (thp_vma_suitable), and lives PMD-mapped until
 * something needs 4 KiB granularity: a COW break, a partial munmap,
 * mprotect or MADV_DONTNEED, or a pinned THP at fork.  Then
 * __split_huge_pmd() turns the PMD into a PTE table mapping the same 512
 * pages (the folio stays one order-9 folio, now PTE-mapped), and
 * split_folio() can later break the folio itself into 512 order-0 folios.
 *
 * Deposited page tables.  Like Linux (pgtable_trans_huge_deposit), every
 * huge PMD -- and every PMD migration entry, which is a huge PMD in
 * transit -- owns one PTE table allocated when the PMD is installed, so
 * splitting a PMD never needs a frame.  The tables hang off the PMD table's
 * struct page: its pt_deposit list head heads a list linked through the
 * deposited tables' own pt_deposit heads.  Any table
 * of the list serves any huge PMD of that PMD table; the list is protected
 * by the PMD table's ptl (pmd_lock), and its length equals the number of
 * huge PMDs + PMD migration entries in the table.  Deposited tables are
 * counted in pgtables_bytes and NR_PAGETABLE (pnm_pgtable_alloc does it).
 *
 * References (brief §1): a huge PMD holds one reference on its folio.
 * Splitting the PMD turns it into 512, one per PTE.  split_folio() uses
 * the migration machinery of rmap.c and its reference rule (rmap.h).
 *
 * Locking: mmap_lock (read for faults and MADV_DONTNEED, write for munmap,
 * mprotect, fork), then pmd_lock() for every PMD leaf change, then the
 * folio mapcount lock inside the rmap calls.  split_folio() runs under
 * the folio lock and reaches the folio's mappings through the reverse map
 * (the anon_vma root rwsem, then pmd_lock), never through an mmap_lock.
 *
 * The huge zero page (huge_mm.h) is here too: a read fault maps it by a
 * special read-only PMD that owns a deposited table but no reference,
 * mapcount or RSS, and is in no reverse map; splitting such a PMD fills
 * the table with PTEs of the small zero page; zap just clears it; fork
 * copies it.
 */
#include <sched.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

/* --- deposited tables (pmd_lock held) -------------------------------------- */

/* The struct page of the PMD table frame that holds the entry @pmd. */
static struct page *pmd_table_page(pmd_t *pmd)
{
	unsigned long off = (unsigned long)((unsigned char *)pmd - pnm_mem.base);

	return pfn_to_page(off >> PAGE_SHIFT);
}

/* pgtable_trans_huge_deposit - internal.h (also khugepaged.c's). */
void pgtable_trans_huge_deposit(pmd_t *pmd, struct page *pgtable)
{
	struct page *pmd_table = pmd_table_page(pmd);

	lockdep_assert_held(ptlock_ptr(pmd_table));
	list_add(&pgtable->pt_deposit, &pmd_table->pt_deposit);
}

static struct page *pgtable_trans_huge_withdraw(pmd_t *pmd)
{
	struct page *pmd_table = pmd_table_page(pmd), *pgtable;

	lockdep_assert_held(ptlock_ptr(pmd_table));
	if (list_empty(&pmd_table->pt_deposit))
		return NULL;
	pgtable = list_first_entry(&pmd_table->pt_deposit, struct page, pt_deposit);
	list_del_init(&pgtable->pt_deposit);
	return pgtable;
}

/*
 * pnm_thp_nr_deposited - see internal.h.  Read without the PMD lock: the
 * caller (a checker) holds mmap_lock and runs with the model quiescent.
 */
unsigned long pnm_thp_nr_deposited(struct page *pmd_table)
{
	struct list_head *pos;
	unsigned long n = 0;

	list_for_each(pos, &pmd_table->pt_deposit)
		n++;
	return n;
}

/*
 * Replace a PMD entry by @new and return the old value.  seq_cst exchange:
 * full barrier that pairs with gup-fast's "take reference, then re-read the
 * PMD" (so either it sees the change and backs out, or we see its
 * reference), and a release that publishes whatever @new points to.
 */
static pmd_t pmdp_establish(pmd_t *pmdp, pmd_t new)
{
	return __pmd(__atomic_exchange_n(&pmdp->pmd, pmd_val(new), __ATOMIC_SEQ_CST));
}

/* --- the huge zero page ------------------------------------------------------ */

/* huge_mm.h: NULL until the first use publishes it; reset by pnm_fini(). */
struct folio *huge_zero_folio;

/*
 * The huge zero folio, allocated on first use: a zeroed order-9 folio of
 * ZONE_NORMAL (it is never migrated, so never movable).  Racing first
 * users each allocate; one cmpxchg wins and the others free theirs.
 * NULL if no free 2 MiB block was found (thp_zero_page_alloc_failed).
 * Lockless.
 */
static struct folio *get_huge_zero_folio(void)
{
	struct folio *zero, *published = NULL;

	/* Acquire: pairs with the release of the winning cmpxchg below, so
	 * the zeroed frames and the folio's fields are seen initialised. */
	zero = __atomic_load_n(&huge_zero_folio, __ATOMIC_ACQUIRE);
	if (zero)
		return zero;
	zero = folio_alloc((GFP_TRANSHUGE & ~(__GFP_MOVABLE | __GFP_CMA)) | __GFP_ZERO,
			   HPAGE_PMD_ORDER);
	if (!zero) {
		count_vm_event(THP_ZERO_PAGE_ALLOC_FAILED);
		return NULL;
	}
	/* Release on success publishes the folio; acquire on failure pairs
	 * with the winner's release. */
	if (!__atomic_compare_exchange_n(&huge_zero_folio, &published, zero, false,
					 __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
		folio_put(zero);	/* never published: freed */
		return published;
	}
	count_vm_event(THP_ZERO_PAGE_ALLOC);
	return zero;
}

/* The PMD that maps the huge zero page in @vma: special, read-only. */
static pmd_t huge_zero_pmd(struct folio *zero, struct vm_area_struct *vma)
{
	return pmd_mkspecial(pfn_pmd(folio_pfn(zero),
				     vm_get_page_prot(vma->vm_flags) & ~_PAGE_RW));
}

/*
 * A read fault on the empty PMD of a suitable VMA with use_zero_page on:
 * map the huge zero page, with a deposited table like any huge PMD.  The
 * mapping takes no reference and no rmap item and counts in no RSS.
 * 0 (also when another thread filled the PMD first), VM_FAULT_FALLBACK
 * (no huge zero page: thp_fault_fallback, as Linux) or VM_FAULT_OOM (no
 * frame for the table).
 */
static vm_fault_t do_huge_zero_page_fault(struct vm_fault *vmf)
{
	struct vm_area_struct *vma = vmf->vma;
	struct mm_struct *mm = vma->vm_mm;
	unsigned long haddr = vmf->address & PMD_MASK;
	struct page *pgtable;
	struct folio *zero;
	spinlock_t *ptl;

	pgtable = pnm_pgtable_alloc(mm, 1);
	if (!pgtable)
		return VM_FAULT_OOM;
	zero = get_huge_zero_folio();
	if (!zero) {
		pnm_pgtable_free(mm, pgtable);
		count_vm_event(THP_FAULT_FALLBACK);
		pnm_trace(PNM_TRACE_THP_FALLBACK, mm->owner_pid, haddr, 0, 0, 0);
		return VM_FAULT_FALLBACK;
	}
	ptl = pmd_lock(mm, vmf->pmd);
	if (!pmd_none(pmdp_get(vmf->pmd))) {
		spin_unlock(ptl);	/* raced: let the caller retry */
		pnm_pgtable_free(mm, pgtable);
		return 0;
	}
	pgtable_trans_huge_deposit(vmf->pmd, pgtable);
	/* Release store: pairs with pmdp_get_lockless() as for any huge PMD. */
	set_pmd_at(mm, haddr, vmf->pmd, huge_zero_pmd(zero, vma));
	spin_unlock(ptl);
	count_vm_event(PNM_HUGE_ZERO_PAGE_MAPPED);
	pnm_trace(PNM_TRACE_ZERO_PAGE, mm->owner_pid, haddr, HPAGE_PMD_ORDER, 0, 0);
	return 0;
}

/*
 * pnm_check_huge_zero - internal.h.  Reads without locks: the caller runs
 * with the model quiescent.
 */
bool pnm_check_huge_zero(void)
{
	static const unsigned char zeroes[PAGE_SIZE];
	struct folio *zero = READ_ONCE(huge_zero_folio);
	unsigned long i, pfn;
	int refs, pins;

	if (!zero)
		return true;
	pfn = folio_pfn(zero);
	refs = folio_ref_count(zero);
	pins = atomic_read(&zero->_pincount);
	if (folio_order(zero) != HPAGE_PMD_ORDER || !PageHead(&zero->page) ||
	    PageBuddy(&zero->page) || page_zonenum(&zero->page) != ZONE_NORMAL)
		return pnm_check_fail("huge zero page %#lx: order %u head %d buddy %d zone %d",
				      pfn, folio_order(zero), PageHead(&zero->page),
				      PageBuddy(&zero->page), page_zonenum(&zero->page));
	if (READ_ONCE(zero->mapping) || folio_entire_mapcount(zero) ||
	    folio_test_dirty(zero) || folio_test_locked(zero) || PageLru(&zero->page))
		return pnm_check_fail("huge zero page %#lx: mapping %p entire_mapcount %d "
				      "dirty %d locked %d lru %d", pfn,
				      (void *)READ_ONCE(zero->mapping), folio_entire_mapcount(zero),
				      folio_test_dirty(zero), folio_test_locked(zero),
				      PageLru(&zero->page));
	/* Its own reference, plus one per GUP reference or pin. */
	if (pins < 0 || refs < 1 + pins)
		return pnm_check_fail("huge zero page %#lx: refcount %d pincount %d",
				      pfn, refs, pins);
	for (i = 0; i < HPAGE_PMD_NR; i++) {
		struct page *p = folio_page(zero, i);

		if (atomic_read(&p->_mapcount) || PageAnonExclusive(p) ||
		    atomic_read(&p->pnm_pincount) < 0)
			return pnm_check_fail("huge zero page %#lx page %lu: mapcount %d "
					      "anon-exclusive %d pnm_pincount %d", pfn, i,
					      atomic_read(&p->_mapcount), PageAnonExclusive(p),
					      atomic_read(&p->pnm_pincount));
		if (memcmp(page_address(p), zeroes, PAGE_SIZE))
			return pnm_check_fail("huge zero page %#lx page %lu: not zero", pfn, i);
	}
	return true;
}

/*
 * pnm_huge_zero_fini - internal.h.  Unpublished first, so the free path's
 * "never freed" check lets this one put through.  Single-threaded.
 */
bool pnm_huge_zero_fini(void)
{
	struct folio *zero = huge_zero_folio;

	huge_zero_folio = NULL;
	if (!zero)
		return true;
	if (folio_ref_count(zero) != 1 || atomic_read(&zero->_pincount)) {
		pnm_log(PNM_LOG_ERR, "pinmm: pnm_fini: huge zero page refcount %d pincount %d",
			folio_ref_count(zero), atomic_read(&zero->_pincount));
		return false;
	}
	folio_put(zero);
	return true;
}

/* --- suitability and the fault ---------------------------------------------- */

/*
 * thp_vma_suitable - may a PMD-sized anon folio back @addr in @vma?  The
 * 2 MiB size's switch (mthp.c: by default "inherit", the THP mode: never
 * / madvise: VM_HUGEPAGE needed / always), VM_NOHUGEPAGE, a private
 * anonymous VMA, and the aligned 2 MiB range around @addr lying inside
 * the VMA.  Caller holds mmap_lock.
 */
bool thp_vma_suitable(struct vm_area_struct *vma, unsigned long addr)
{
	unsigned long haddr = addr & PMD_MASK;

	if (!thp_vma_allowable_orders(vma, BIT(HPAGE_PMD_ORDER)))
		return false;
	return haddr >= vma->vm_start && haddr + HPAGE_PMD_SIZE <= vma->vm_end;
}

/*
 * do_huge_pmd_anonymous_page - fault on an empty PMD of a suitable VMA.
 * A read fault with use_zero_page on maps the huge zero page
 * (do_huge_zero_page_fault).  Otherwise allocate a zeroed order-9 folio
 * and a PTE table to deposit, and map the folio by PMD, writable if the
 * VMA is (the folio is new and exclusive).
 * Caller holds mmap_lock for read and set vmf->vma/address/flags/pmd.
 * Returns 0 (mapped, or another thread mapped something first),
 * VM_FAULT_FALLBACK (unsuitable, or no free 2 MiB block: thp_fault_fallback),
 * or VM_FAULT_OOM (no frame for the deposited table, or no memory for the
 * VMA's anon_vma).
 */
vm_fault_t do_huge_pmd_anonymous_page(struct vm_fault *vmf)
{
	struct vm_area_struct *vma = vmf->vma;
	struct mm_struct *mm = vma->vm_mm;
	unsigned long haddr = vmf->address & PMD_MASK;
	struct page *pgtable;
	struct folio *folio;
	vm_fault_t ret = 0;
	spinlock_t *ptl;
	pmd_t entry;

	if (!thp_vma_suitable(vma, haddr))
		return VM_FAULT_FALLBACK;
	if (!(vmf->flags & FAULT_FLAG_WRITE) && READ_ONCE(pnm_config.thp_use_zero_page))
		return do_huge_zero_page_fault(vmf);
	if (anon_vma_prepare(vma))
		return VM_FAULT_OOM;
	folio = folio_alloc(GFP_TRANSHUGE | __GFP_ZERO, HPAGE_PMD_ORDER);
	if (!folio) {
		count_vm_event(THP_FAULT_FALLBACK);
		count_mthp_stat(HPAGE_PMD_ORDER, MTHP_STAT_ANON_FAULT_FALLBACK);
		pnm_trace(PNM_TRACE_THP_FALLBACK, mm->owner_pid, haddr, 0, 0, 0);
		return VM_FAULT_FALLBACK;
	}
	pgtable = pnm_pgtable_alloc(mm, 1);
	if (!pgtable) {
		ret = VM_FAULT_OOM;
		goto out_put_folio;
	}

	ptl = pmd_lock(mm, vmf->pmd);
	if (!pmd_none(pmdp_get(vmf->pmd)))
		goto out_unlock;	/* raced: let the caller retry */
	folio_add_new_anon_rmap(folio, vma, haddr, RMAP_EXCLUSIVE);
	pgtable_trans_huge_deposit(vmf->pmd, pgtable);
	entry = pmd_mkdirty(pfn_pmd(folio_pfn(folio), vm_get_page_prot(vma->vm_flags)));
	if (vma->vm_flags & VM_WRITE)
		entry = pmd_mkwrite(entry);
	/* Release store: the zeroed data, refcount and rmap are visible to a
	 * lockless walker that sees the entry (pairs with pmdp_get_lockless).
	 * The allocation's reference becomes the mapping's. */
	set_pmd_at(mm, haddr, vmf->pmd, entry);
	spin_unlock(ptl);
	count_vm_event(THP_FAULT_ALLOC);
	count_mthp_stat(HPAGE_PMD_ORDER, MTHP_STAT_ANON_FAULT_ALLOC);
	pnm_trace(PNM_TRACE_ANON_ALLOC, mm->owner_pid, haddr, folio_pfn(folio),
		  HPAGE_PMD_ORDER, 0);
	return 0;

out_unlock:
	spin_unlock(ptl);
	pnm_pgtable_free(mm, pgtable);
out_put_folio:
	folio_put(folio);
	return ret;
}

/* Is every page of @folio PG_anon_exclusive? */
static bool folio_all_exclusive(struct folio *folio)
{
	unsigned long i;

	for (i = 0; i < folio_nr_pages(folio); i++)
		if (!PageAnonExclusive(folio_page(folio, i)))
			return false;
	return true;
}

/* Legacy reuse of a PMD-mapped folio: it is ours alone again. */
static void folio_set_all_exclusive(struct folio *folio)
{
	unsigned long i;

	for (i = 0; i < folio_nr_pages(folio); i++)
		SetPageAnonExclusive(folio_page(folio, i));
}

/*
 * do_huge_pmd_wp_page - write (or FAULT_FLAG_UNSHARE) fault on a present
 * huge PMD that is read-only.  If the folio is anon-exclusive the PMD is
 * reused: made writable and dirty (unshare: nothing to do).  Otherwise the
 * PMD is split and VM_FAULT_FALLBACK returned, so the PTE path copies the
 * 4 KiB page (PNM_COW_COPY); the huge zero page (not anon) always takes
 * that way, its PMD split into PTEs of the small zero page, as in Linux.
 * Legacy mode also reuses a folio mapped only
 * by this PMD, as the kernel before 5.8 did (pnm_legacy_anon_mapped_once).
 * 0 if the PMD changed meanwhile (caller
 * retries).  Caller holds mmap_lock for read and set vmf->vma/address/
 * flags/pmd.
 */
vm_fault_t do_huge_pmd_wp_page(struct vm_fault *vmf)
{
	struct vm_area_struct *vma = vmf->vma;
	struct mm_struct *mm = vma->vm_mm;
	unsigned long haddr = vmf->address & PMD_MASK;
	bool unshare = vmf->flags & FAULT_FLAG_UNSHARE;
	struct folio *folio;
	spinlock_t *ptl;
	pmd_t orig;

	ptl = pmd_lock(mm, vmf->pmd);
	orig = pmdp_get(vmf->pmd);
	if (!pmd_trans_huge(orig)) {
		spin_unlock(ptl);
		return 0;
	}
	folio = pfn_folio(pmd_pfn(orig));
	if (folio_test_anon(folio) &&
	    (folio_all_exclusive(folio) ||
	     (pnm_config.legacy_gup && pnm_legacy_anon_mapped_once(folio)))) {
		if (!unshare && !pmd_write(orig)) {
			if (pnm_config.legacy_gup)
				folio_set_all_exclusive(folio);
			set_pmd_at(mm, haddr, vmf->pmd,
				   pmd_mkyoung(pmd_mkdirty(pmd_mkwrite(orig))));
			count_vm_event(PNM_COW_REUSE);
			pnm_trace(PNM_TRACE_COW_REUSE, mm->owner_pid, haddr,
				  folio_pfn(folio), 0, 0);
		}
		spin_unlock(ptl);
		return 0;
	}
	spin_unlock(ptl);
	__split_huge_pmd(vma, vmf->pmd, haddr);
	return VM_FAULT_FALLBACK;
}

/* --- splitting a PMD -------------------------------------------------------- */

/*
 * Split a huge zero PMD @val: fill the deposited table with special
 * read-only PTEs of the small zero page (Linux maps the 4 KiB zero page,
 * not the huge one's pages), keeping the PMD's access bits.  No reference
 * or rmap to move.  PMD lock held.
 */
static void __split_huge_zero_pmd_locked(struct vm_area_struct *vma, pmd_t *pmd,
					 unsigned long haddr, pmd_t val)
{
	struct mm_struct *mm = vma->vm_mm;
	struct page *pgtable = pgtable_trans_huge_withdraw(pmd);
	pteval_t flags = pmd_val(val) & ~(_PAGE_PFN_MASK | _PAGE_PSE | _PAGE_RW | _PAGE_DIRTY);
	pte_t *ptes;
	unsigned long i;

	VM_BUG_ON_PAGE(!pgtable, pmd_table_page(pmd));
	ptes = page_address(pgtable);
	/* The table is not reachable yet: relaxed stores, published below. */
	for (i = 0; i < HPAGE_PMD_NR; i++)
		__atomic_store_n(&ptes[i].pte, (pnm_mem.zero_pfn << PAGE_SHIFT) | flags,
				 __ATOMIC_RELAXED);
	pmdp_establish(pmd, __pmd((page_to_pfn(pgtable) << PAGE_SHIFT) | _PAGE_TABLE));
	count_vm_event(THP_SPLIT_PMD);
	pnm_trace(PNM_TRACE_SPLIT_PMD, mm->owner_pid, haddr, pmd_pfn(val), 0, 0);
}

/*
 * Turn the huge PMD @val at @haddr into the deposited PTE table, filled
 * with 512 PTEs carrying the PMD's permission and dirty/accessed bits.
 * PMD lock held.  Cannot fail (the table was deposited).
 */
static void __split_huge_pmd_locked(struct vm_area_struct *vma, pmd_t *pmd,
				    unsigned long haddr, pmd_t val)
{
	struct mm_struct *mm = vma->vm_mm;
	struct folio *folio = pfn_folio(pmd_pfn(val));
	unsigned long i, pfn = folio_pfn(folio);
	struct page *pgtable;
	pteval_t flags;
	pte_t *ptes;

	if (is_huge_zero_pmd(val)) {
		__split_huge_zero_pmd_locked(vma, pmd, haddr, val);
		return;
	}
	folio_split_pmd_rmap(folio);
	pgtable = pgtable_trans_huge_withdraw(pmd);
	VM_BUG_ON_PAGE(!pgtable, pmd_table_page(pmd));
	/* The PMD's reference becomes one reference per PTE (brief §1). */
	folio_ref_add(folio, HPAGE_PMD_NR - 1);
	flags = pmd_val(val) & ~(_PAGE_PFN_MASK | _PAGE_PSE);
	ptes = page_address(pgtable);
	/* The table is not reachable yet: relaxed stores, published below. */
	for (i = 0; i < HPAGE_PMD_NR; i++)
		__atomic_store_n(&ptes[i].pte, ((pfn + i) << PAGE_SHIFT) | flags,
				 __ATOMIC_RELAXED);
	pmdp_establish(pmd, __pmd((page_to_pfn(pgtable) << PAGE_SHIFT) | _PAGE_TABLE));
	count_vm_event(THP_SPLIT_PMD);
	pnm_trace(PNM_TRACE_SPLIT_PMD, mm->owner_pid, haddr, pfn, 0, 0);
}

/*
 * __split_huge_pmd - turn the huge PMD at @address into a PTE table of the
 * same 512 pages (permissions, dirty bits and per-page exclusivity kept;
 * one reference per PTE).  Returns 0 (also if *pmd is not huge).  Caller
 * holds mmap_lock, or (a reverse-map walker) the rmap lock covering @vma,
 * and no page-table lock.  A PMD migration entry is waited out like a
 * fault does (brief §9): reference the folio, drop the lock, wait for the
 * migrator to unlock it, retry; a frozen folio (refcount 0) means the
 * migration is about to end.
 */
int __split_huge_pmd(struct vm_area_struct *vma, pmd_t *pmd, unsigned long address)
{
	struct mm_struct *mm = vma->vm_mm;
	unsigned long haddr = address & PMD_MASK;
	struct mmu_notifier_range range;
	struct folio *folio;
	spinlock_t *ptl;
	pmd_t val;

	/* The 2 MiB entry is replaced by a table (Linux sends CLEAR too). */
	mmu_notifier_range_init(&range, MMU_NOTIFY_CLEAR, mm, haddr, haddr + HPAGE_PMD_SIZE);
	mmu_notifier_invalidate_range_start(&range);
	for (;;) {
		ptl = pmd_lock(mm, pmd);
		val = pmdp_get(pmd);
		if (!is_swap_pmd(val))
			break;
		folio = pfn_folio(swp_offset_pfn(pmd_to_swp_entry(val)));
		if (folio_try_get(folio)) {
			spin_unlock(ptl);
			folio_wait_locked(folio);
			folio_put(folio);
		} else {
			spin_unlock(ptl);
			sched_yield();
		}
	}
	if (pmd_trans_huge(val))
		__split_huge_pmd_locked(vma, pmd, haddr, val);
	spin_unlock(ptl);
	mmu_notifier_invalidate_range_end(&range);
	return 0;
}

/* split_huge_pmd_address - split the PMD covering @address if it is huge
 * (or wait out a PMD migration entry there).  Caller holds mmap_lock. */
int split_huge_pmd_address(struct vm_area_struct *vma, unsigned long address)
{
	pmd_t *pmd = pnm_pmd_lookup(vma->vm_mm, address);
	pmd_t val;

	if (!pmd)
		return 0;
	val = pmdp_get_lockless(pmd);
	if (!pmd_trans_huge(val) && !is_swap_pmd(val))
		return 0;
	return __split_huge_pmd(vma, pmd, address);
}

/* --- zap, fork, mprotect ---------------------------------------------------- */

/*
 * zap_huge_pmd - unmap the whole 2 MiB at @addr if *pmd is a huge PMD (rmap
 * removed, the mapping's reference dropped, deposited table freed) or a
 * PMD migration entry (cleared; it owns no reference) or maps the huge zero
 * page (cleared, table freed).  Returns 1 if so,
 * 0 if *pmd is none or a PTE table.  Caller holds mmap_lock and no
 * page-table lock; takes the PMD lock.
 */
int zap_huge_pmd(struct vm_area_struct *vma, pmd_t *pmd, unsigned long addr)
{
	struct mm_struct *mm = vma->vm_mm;
	unsigned long haddr = addr & PMD_MASK;
	struct folio *folio = NULL;
	struct page *pgtable;
	spinlock_t *ptl;
	pmd_t val;

	ptl = pmd_lock(mm, pmd);
	val = pmdp_get(pmd);
	if (!pmd_trans_huge(val) && !is_swap_pmd(val)) {
		spin_unlock(ptl);
		return 0;
	}
	/* seq_cst exchange: pairs with gup-fast's reference-then-recheck. */
	val = pmdp_huge_get_and_clear(mm, haddr, pmd);
	/* The huge zero page: no rmap, no reference, just the table. */
	if (pmd_trans_huge(val) && !is_huge_zero_pmd(val)) {
		folio = pfn_folio(pmd_pfn(val));
		if (pmd_dirty(val))
			SetPageDirty(&folio->page);
		folio_remove_rmap_pmd(folio, vma);
	}
	/* A migration entry owns no reference or mapcount (rmap.h). */
	pgtable = pgtable_trans_huge_withdraw(pmd);
	VM_BUG_ON_PAGE(!pgtable, pmd_table_page(pmd));
	spin_unlock(ptl);
	pnm_pgtable_free(mm, pgtable);
	if (folio)
		folio_put(folio);
	return 1;
}

/*
 * copy_huge_pmd - fork: make the child's empty *dst_pmd map the parent's
 * THP too, both write-protected and COW-shared, with a deposited table of
 * its own; a PMD migration entry is copied (made readable in both, as a
 * PTE one is: memory.c), and so is the huge zero page's special PMD.
 * Returns 0, -ENOMEM (nothing changed), or -EAGAIN when *src_pmd is
 * neither or maps a maybe-pinned exclusive THP, which is then split so
 * the caller copies at PTE level (pinned pages get copies).  Both
 * mmap_locks held for write.  The two PMD locks nest (child inside parent)
 * only here, where no other thread can take them in the other order.
 */
int copy_huge_pmd(struct vm_area_struct *dst_vma, struct vm_area_struct *src_vma,
		  pmd_t *dst_pmd, pmd_t *src_pmd, unsigned long addr)
{
	struct mm_struct *dst_mm = dst_vma->vm_mm, *src_mm = src_vma->vm_mm;
	unsigned long haddr = addr & PMD_MASK;
	spinlock_t *src_ptl, *dst_ptl;
	struct page *pgtable;
	struct folio *folio;
	pmd_t val;
	int ret;

	pgtable = pnm_pgtable_alloc(dst_mm, 1);
	if (!pgtable)
		return -ENOMEM;
	src_ptl = pmd_lock(src_mm, src_pmd);
	dst_ptl = pmd_lock(dst_mm, dst_pmd);
	val = pmdp_get(src_pmd);
	if (is_swap_pmd(val)) {
		swp_entry_t entry = pmd_to_swp_entry(val);

		VM_BUG_ON(!is_migration_entry(entry));
		if (swp_type(entry) != SWP_MIGRATION_READ) {
			entry = migration_entry_retype(entry, SWP_MIGRATION_READ);
			set_pmd_at(src_mm, haddr, src_pmd, swp_entry_to_pmd(entry));
		}
		pgtable_trans_huge_deposit(dst_pmd, pgtable);
		set_pmd_at(dst_mm, haddr, dst_pmd, swp_entry_to_pmd(entry));
		spin_unlock(dst_ptl);
		spin_unlock(src_ptl);
		return 0;
	}
	if (!pmd_trans_huge(val)) {
		ret = -EAGAIN;
		goto out_unlock;
	}
	VM_BUG_ON(!pmd_none(pmdp_get(dst_pmd)));
	if (is_huge_zero_pmd(val)) {
		/* Already read-only; no reference or rmap to duplicate. */
		pgtable_trans_huge_deposit(dst_pmd, pgtable);
		set_pmd_at(dst_mm, haddr, dst_pmd, val);
		spin_unlock(dst_ptl);
		spin_unlock(src_ptl);
		return 0;
	}
	folio = pfn_folio(pmd_pfn(val));
	ret = folio_try_dup_anon_rmap_pmd(folio, dst_vma, src_vma);
	if (ret == -EBUSY) {
		/* Maybe pinned: keep it exclusive to the parent and let the
		 * PTE-level copy give the child copies of the pages. */
		spin_unlock(dst_ptl);
		spin_unlock(src_ptl);
		pnm_pgtable_free(dst_mm, pgtable);
		ret = __split_huge_pmd(src_vma, src_pmd, haddr);
		return ret ? ret : -EAGAIN;
	}
	if (ret)
		goto out_unlock;
	folio_get(folio);	/* the child's mapping */
	pgtable_trans_huge_deposit(dst_pmd, pgtable);
	/* seq_cst: ordered against gup-fast like fork's PTE write-protect */
	pmdp_set_wrprotect(src_mm, haddr, src_pmd);
	set_pmd_at(dst_mm, haddr, dst_pmd, pmd_wrprotect(val));
	spin_unlock(dst_ptl);
	spin_unlock(src_ptl);
	return 0;

out_unlock:
	spin_unlock(dst_ptl);
	spin_unlock(src_ptl);
	pnm_pgtable_free(dst_mm, pgtable);
	return ret;
}

/*
 * change_huge_pmd - mprotect of a whole huge PMD: give it @newprot, keeping
 * its dirty/accessed bits, and writable where the VMA is private with
 * VM_WRITE and the THP is anon-exclusive.  Returns 1 if *pmd was huge, 0
 * otherwise (the caller handles PTEs).  mmap_lock held for write,
 * vma->vm_flags already updated; takes the PMD lock.
 */
int change_huge_pmd(struct vm_area_struct *vma, pmd_t *pmd, unsigned long addr,
		    pteval_t newprot)
{
	struct mm_struct *mm = vma->vm_mm;
	struct folio *folio;
	spinlock_t *ptl;
	pmd_t val, entry;

	ptl = pmd_lock(mm, pmd);
	val = pmdp_get(pmd);
	if (!pmd_trans_huge(val)) {
		spin_unlock(ptl);
		return 0;
	}
	folio = pfn_folio(pmd_pfn(val));
	entry = __pmd(pmd_val(pfn_pmd(pmd_pfn(val), newprot)) |
		      (pmd_val(val) & (_PAGE_DIRTY | _PAGE_ACCESSED | _PAGE_SOFT_DIRTY)));
	if (pmd_special(val))	/* the huge zero page stays special, read-only */
		entry = pmd_mkspecial(pmd_wrprotect(entry));
	else if (!pmd_write(entry) && (vma->vm_flags & (VM_WRITE | VM_SHARED)) == VM_WRITE &&
		 folio_test_anon(folio) && folio_all_exclusive(folio))
		entry = pmd_mkwrite(entry);
	/* Full barrier: a write-protect must be seen by gup-fast's recheck. */
	pmdp_establish(pmd, entry);
	spin_unlock(ptl);
	return 1;
}

/*
 * move_huge_pmd - mremap (huge_mm.h): move the huge PMD at *@old_pmd to the
 * empty *@new_pmd with its deposited table, made soft-dirty.  The entry is
 * cleared under the source's PMD lock (a seq_cst exchange: gup-fast's
 * re-read of the PMD after its grab sees it gone) and set under the
 * target's, the two locks never held together; in between only the
 * lockless walk can look, and it takes "none" as a reason to fall back to
 * the slow path, which waits for the caller's mmap_lock.
 */
bool move_huge_pmd(struct vm_area_struct *vma, unsigned long old_addr,
		   unsigned long new_addr, pmd_t *old_pmd, pmd_t *new_pmd)
{
	struct mm_struct *mm = vma->vm_mm;
	struct page *pgtable;
	spinlock_t *ptl;
	pmd_t val;

	mmap_assert_write_locked(mm);
	ptl = pmd_lock(mm, old_pmd);
	val = pmdp_get(old_pmd);
	if (!pmd_trans_huge(val) && !is_swap_pmd(val)) {
		spin_unlock(ptl);
		return false;
	}
	val = pmdp_huge_get_and_clear(mm, old_addr, old_pmd);
	pgtable = pgtable_trans_huge_withdraw(old_pmd);
	VM_BUG_ON_PAGE(!pgtable, pmd_table_page(old_pmd));
	spin_unlock(ptl);

	/* Present or migration entry: the soft-dirty bit is the same bit. */
	BUILD_BUG_ON(_PAGE_SOFT_DIRTY != _PAGE_SWP_SOFT_DIRTY);
	val = __pmd(pmd_val(val) | _PAGE_SOFT_DIRTY);
	ptl = pmd_lock(mm, new_pmd);
	VM_BUG_ON(!pmd_none(pmdp_get(new_pmd)));
	pgtable_trans_huge_deposit(new_pmd, pgtable);
	/* Release store: pairs with pmdp_get_lockless() as for any huge PMD. */
	set_pmd_at(mm, new_addr, new_pmd, val);
	spin_unlock(ptl);
	return true;
}

/* --- splitting the folio ---------------------------------------------------- */

/*
 * rmap_walk() callback: split the PMD mapping of the folio in @vma, if
 * any, under the PMD lock the walk found it with.  Never through
 * __split_huge_pmd(), which may wait for a migration of some other folio
 * that took the slot meanwhile: waiting for a folio lock while holding
 * the reverse-map lock could deadlock against that migrator, which needs
 * the same lock for reading behind a queued writer.
 */
static bool split_pmd_one(struct folio *folio, struct vm_area_struct *vma,
			  unsigned long address, void *arg)
{
	DEFINE_FOLIO_VMA_WALK(pvmw, folio, vma, address, 0);
	struct mmu_notifier_range range;

	(void)arg;
	/* Under the walk's reverse-map lock, before any ptl. */
	mmu_notifier_range_init(&range, MMU_NOTIFY_CLEAR, vma->vm_mm,
				max_t(unsigned long, address & PMD_MASK, vma->vm_start),
				min_t(unsigned long, (address & PMD_MASK) + HPAGE_PMD_SIZE,
				      vma->vm_end));
	mmu_notifier_invalidate_range_start(&range);
	while (page_vma_mapped_walk(&pvmw)) {
		if (pvmw.pte)
			continue;
		/* A present huge PMD of @folio, locked: it covers the whole
		 * folio, so the walk of this VMA is over. */
		__split_huge_pmd_locked(vma, pvmw.pmd, pvmw.address,
					pmdp_get(pvmw.pmd));
		page_vma_mapped_walk_done(&pvmw);
		break;
	}
	mmu_notifier_invalidate_range_end(&range);
	return true;
}

/*
 * Turn the frozen, unmapped large @folio into order-0 folios in place.
 * Each page keeps its own PG_anon_exclusive (clear: try_to_migrate shared
 * them) and gets the head's mapping, index + i, PG_swapbacked/dirty/
 * uptodate/referenced and PG_locked.  The head is unfrozen with the
 * caller's reference; every other page gets one temporary reference,
 * dropped by split_folio() once its mappings are restored.
 */
static void split_folio_struct(struct folio *folio)
{
	struct page *head = &folio->page;
	unsigned long i, nr = folio_nr_pages(folio);
	unsigned long copy = READ_ONCE(head->flags) &
		(BIT(PG_locked) | BIT(PG_swapbacked) | BIT(PG_dirty) |
		 BIT(PG_uptodate) | BIT(PG_referenced));
	struct address_space *mapping = READ_ONCE(folio->mapping);

	for (i = 1; i < nr; i++) {
		struct page *p = head + i;

		__atomic_fetch_or(&p->flags, copy, __ATOMIC_RELAXED);
		WRITE_ONCE(p->mapping, mapping);
		p->index = folio->index + i;
		WRITE_ONCE(p->private, 0);
		WRITE_ONCE(p->_folio_order, 0);
		atomic_set(&p->_refcount, 1);
		/*
		 * Release: a thread that sees this page become its own folio
		 * (page_folio) sees it locked and referenced.  Faults meeting
		 * a migration entry pair with it through folio_try_get() and
		 * folio_wait_locked() on that folio.  On page[1] this also
		 * ends the folio's own fields there (_entire_mapcount,
		 * _pincount: both 0, split_folio() saw no PMD mapping and
		 * froze the only reference), whose words become its lru.
		 */
		clear_compound_head(p);
	}
	WRITE_ONCE(folio->_folio_order, 0);
	ClearPageHead(head);
	/* Unfreeze with the caller's reference; release publishes the above
	 * to whoever folio_try_get()s the head next. */
	atomic_set_release(&folio->_refcount, 1);
}

/*
 * split_folio - huge_mm.h.  Only anonymous folios can be split for now
 * (a PMD-sized THP or a multi-size THP of any order, mthp.c): a folio with
 * a page cache mapping (which would need its cache slots re-pointed) is
 * refused with -EINVAL, as is an order-0 folio.  Steps: take a reference
 * on the anon_vma (the folio will be unmapped for a while); split its PMD
 * mappings; unmap every PTE to a migration entry (try_to_migrate: a
 * maybe-pinned page refuses); freeze the refcount at 1 (the caller's;
 * migration entries hold none, rmap.h); take it off the deferred split
 * queue; rewrite the descriptors as
 * order-0 folios; restore the mappings of each new folio
 * (remove_migration_ptes per page); drop the temporary reference of every
 * page but the head.  No process's mmap_lock is involved.  On failure
 * (-EBUSY pinned or referenced) every mapping is restored, though PMD
 * mappings stay split.
 */
int split_folio(struct folio *folio)
{
	unsigned long pfn = folio_pfn(folio), i, nr = folio_nr_pages(folio);
	unsigned int order = folio_order(folio);
	struct rmap_walk_control rwc = { .rmap_one = split_pmd_one };
	struct anon_vma *anon_vma = NULL;
	bool was_mapped;
	int ret;

	VM_BUG_ON_PAGE(!folio_test_locked(folio), &folio->page);
	if (!folio_test_large(folio) || !folio_test_anon(folio))
		return -EINVAL;

	/* Unmapped and locked: it cannot become mapped (migrate.c). */
	anon_vma = folio_get_anon_vma(folio);
	was_mapped = folio_mapped(folio);
	VM_BUG_ON_PAGE(was_mapped && !anon_vma, &folio->page);
	if (folio_entire_mapcount(folio))
		rmap_walk(folio, &rwc);
	/*
	 * No PMD mapping is left that the walk could see, but the count may
	 * still say one: a zap (munmap, exit) clears a PMD and then drops its
	 * count under the PMD lock, and the walk skips a cleared PMD without
	 * taking that lock.  The folio is as good as unmapped there, but not
	 * yet: busy, try again.  (Nothing can add a PMD mapping of a locked
	 * folio: fork copies only existing ones, and the walk split those.)
	 */
	if (folio_entire_mapcount(folio)) {
		ret = -EBUSY;
		goto out_put;
	}
	if (was_mapped && !try_to_migrate(folio)) {
		ret = -EBUSY;
		goto out_remap;
	}
	/*
	 * Freeze: fully ordered cmpxchg from the one expected reference (the
	 * caller's) to 0.  Pairs with folio_try_get() (gup-fast, faults on
	 * our migration entries): either their increment came first and this
	 * fails, or they find 0 and back off (brief §10).
	 */
	if (atomic_cmpxchg(&folio->_refcount, 1, 0) != 1) {
		ret = -EBUSY;
		goto out_remap;
	}
	/* Frozen: neither the free path nor the scanner can touch the
	 * folio's place on the deferred split queue now (mthp.c). */
	folio_unqueue_deferred_split(folio);
	split_folio_struct(folio);
	/* The new folios take the head's place on its LRU list (swap.c),
	 * before anyone can map or free them. */
	lru_add_split_folio(folio, nr);
	for (i = 0; was_mapped && i < nr; i++) {
		struct folio *sub = (struct folio *)folio_page(folio, i);

		remove_migration_ptes(sub, sub);
	}
	if (anon_vma)
		put_anon_vma(anon_vma);
	for (i = 1; i < nr; i++) {
		struct folio *sub = (struct folio *)folio_page(folio, i);

		folio_unlock(sub);
		folio_put(sub);	/* frees the pages nothing maps */
	}
	count_vm_event(THP_SPLIT_PAGE);
	count_mthp_stat(order, MTHP_STAT_SPLIT);
	pnm_trace(PNM_TRACE_SPLIT_FOLIO, 0, 0, pfn, order, 0);
	return 0;

out_remap:
	if (was_mapped)
		remove_migration_ptes(folio, folio);
out_put:
	if (anon_vma)
		put_anon_vma(anon_vma);
	count_vm_event(THP_SPLIT_PAGE_FAILED);
	count_mthp_stat(order, MTHP_STAT_SPLIT_FAILED);
	return ret;
}
