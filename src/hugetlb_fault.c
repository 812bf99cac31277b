// SPDX-License-Identifier: MIT
/*
 * hugetlb_fault.c - the mapping side of hugetlb (the other half of Linux's
 * mm/hugetlb.c; the pools are hugetlb.c): huge entries, faults and COW,
 * fork, unmapping, mprotect, GUP's follow, migration entries, and the
 * checkers of hugetlb folios and entries.
 *
 * A hugetlb VMA's entries live one level up: a 2 MiB page is a PMD leaf,
 * a 1 GiB page a PUD leaf, both with the THP PMD's format (pfn, _PAGE_PSE,
 * the VMA's protection) and no deposited table.  The code here reaches
 * them through huge_pte_offset()/huge_pte_alloc() as a pte_t pointer, the
 * way Linux's hugetlb code does, and changes them under huge_pte_lockptr():
 * the PMD table's ptl, or mm->page_table_lock for PUD entries.
 *
 * Linux's rules, and where the model follows them:
 *   - a fault allocates through the pool (alloc_hugetlb_folio(): the
 *     offset's reservation, or a page nobody reserved, or a surplus page;
 *     none: VM_FAULT_SIGBUS), clears the page, and maps it: a shared
 *     mapping through the page cache (writable if the VMA is), a private
 *     one as a new exclusive anonymous folio (or the file's cached page,
 *     read-only);
 *   - a write to a read-only private entry reuses the folio if it is
 *     anonymous and mapped once -- a mapcount rule, not a refcount one:
 *     Linux's hugetlb_wp() does not look at GUP references, which is why
 *     cow.c's vmsplice tests are expected to fail on hugetlb -- and
 *     otherwise copies the whole huge page; an unshare fault (a R/O pin of
 *     a COW-shared folio) copies and keeps the copy read-only;
 *   - if the owner of a private mapping cannot get a page for its COW, the
 *     page is unmapped from the other mappers (fork children), which get
 *     SIGBUS on their next fault there (unmap_ref_private());
 *   - fork shares private anonymous folios COW (PG_anon_exclusive
 *     cleared), unless one is exclusive and may be pinned: the child gets
 *     a copy at once and the parent keeps the pinned page;
 *   - no split: FOLL_SPLIT_PMD is refused before we get here (gup.c), and
 *     VMAs only split at huge page boundaries (hugetlb_vm_ops);
 *   - mremap moves the huge entries one by one to a new VMA (mremap.c
 *     decides what moves and hands the reservations over): the folios,
 *     their pins and their reverse map stay as they are.
 *
 * Clearing or replacing a present entry is a seq_cst exchange, as in
 * pgtable.h: it pairs with gup-fast's grab-then-recheck.  Faults on one
 * offset are serialised by the fault mutex table (Linux's
 * hugetlb_fault_mutex_table), taken with the file's invalidate_lock held
 * shared, so a truncate (exclusive) never meets a fault half-done.
 */
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "internal.h"

/* --- entries --------------------------------------------------------------- */

/* huge_pte_offset - see hugetlb.h. */
pte_t *huge_pte_offset(struct mm_struct *mm, unsigned long addr, unsigned long sz)
{
	pud_t *pud = pnm_pud_lookup(mm, addr);
	pud_t val;

	if (!pud)
		return NULL;
	if (sz == PUD_SIZE)
		return (pte_t *)pud;
	val = pudp_get(pud);
	if (!pud_present(val) || pud_leaf(val))
		return NULL;
	return (pte_t *)pmd_offset(pud, addr);
}

/* huge_pte_alloc - see hugetlb.h. */
pte_t *huge_pte_alloc(struct mm_struct *mm, unsigned long addr, unsigned long sz)
{
	if (sz == PUD_SIZE)
		return (pte_t *)pnm_pud_alloc(mm, addr);
	return (pte_t *)pnm_pmd_alloc(mm, addr);
}

/* huge_pte_lockptr - see hugetlb.h: the ptl of the table frame holding a
 * 2 MiB entry (pmd_lock()'s), the mm's page_table_lock for a 1 GiB one. */
spinlock_t *huge_pte_lockptr(const struct hstate *h, struct mm_struct *mm, pte_t *pte)
{
	unsigned long off = (unsigned long)((unsigned char *)pte - pnm_mem.base);

	if (h->order == HUGETLB_PUD_ORDER)
		return &mm->page_table_lock;
	return ptlock_ptr(pfn_to_page(off >> PAGE_SHIFT));
}

/* Install an entry: a release store (pairs with the acquire of lockless
 * walkers and huge_ptep_get()).  Entry's lock held. */
static void set_huge_pte_at(pte_t *ptep, pte_t pte)
{
	__atomic_store_n(&ptep->pte, pte_val(pte), __ATOMIC_RELEASE);
}

/* Clear and return an entry: seq_cst exchange (gup-fast's protocol). */
static pte_t huge_ptep_get_and_clear(pte_t *ptep)
{
	return __pte(__atomic_exchange_n(&ptep->pte, 0, __ATOMIC_SEQ_CST));
}

/* Write-protect in place: seq_cst, ordered against gup-fast (fork). */
static void huge_ptep_set_wrprotect(pte_t *ptep)
{
	__atomic_fetch_and(&ptep->pte, ~_PAGE_RW, __ATOMIC_SEQ_CST);
}

/*
 * The entry mapping @page in @vma: the VMA's protection, read-only unless
 * @try_mkwrite and the VMA has VM_WRITE (then writable and dirty: Linux's
 * make_huge_pte()).
 */
static pte_t make_huge_pte(struct vm_area_struct *vma, struct page *page, bool try_mkwrite)
{
	pteval_t v = (page_to_pfn(page) << PAGE_SHIFT) | _PAGE_PSE |
		     (vm_get_page_prot(vma->vm_flags) & ~_PAGE_RW);

	if (try_mkwrite && (vma->vm_flags & VM_WRITE))
		v |= _PAGE_RW | _PAGE_DIRTY;
	return __pte(v);
}

static void hugetlb_count_add(long pages, struct mm_struct *mm)
{
	atomic_long_add(pages, &mm->hugetlb_usage);
}

/* --- mapcounts (the entry's lock held; the folio mapcount lock taken) ----------- */

/* A new anonymous folio mapped exclusive at @addr of @vma (Linux's
 * hugetlb_add_new_anon_rmap): it becomes @vma's anon_vma's, its
 * reservation committed for good. */
static void hugetlb_add_new_anon_rmap(struct folio *folio, struct vm_area_struct *vma,
				      unsigned long addr)
{
	struct anon_vma *anon_vma = smp_load_acquire(&vma->anon_vma);
	spinlock_t *lock = folio_mapcount_lock(folio);

	VM_BUG_ON(!anon_vma);
	folio->index = linear_page_index(vma, addr);
	/* Not visible yet: the entry's release store publishes it. */
	WRITE_ONCE(folio->mapping,
		   (struct address_space *)((unsigned long)anon_vma | PAGE_MAPPING_ANON));
	spin_lock(lock);
	atomic_inc(&folio->_entire_mapcount);
	SetPageAnonExclusive(&folio->page);
	spin_unlock(lock);
	folio_clear_hugetlb_restore_reserve(folio);
}

/* One more mapping of an anonymous (@exclusive: now its only) or a file
 * folio. */
static void hugetlb_add_rmap(struct folio *folio, bool exclusive)
{
	spinlock_t *lock = folio_mapcount_lock(folio);

	spin_lock(lock);
	atomic_inc(&folio->_entire_mapcount);
	if (exclusive)
		SetPageAnonExclusive(&folio->page);
	spin_unlock(lock);
}

/* One mapping fewer; an anonymous folio left unmapped is exclusive to
 * nobody (the model forgets it then, as for other anon pages). */
static void hugetlb_remove_rmap(struct folio *folio)
{
	spinlock_t *lock = folio_mapcount_lock(folio);

	spin_lock(lock);
	VM_BUG_ON_PAGE(folio_entire_mapcount(folio) <= 0, &folio->page);
	if (atomic_sub_return(1, &folio->_entire_mapcount) == 0 && folio_test_anon(folio))
		ClearPageAnonExclusive(&folio->page);
	spin_unlock(lock);
}

/*
 * Is @folio maybe pinned, read after a full barrier?  The RMWs pair with
 * gup-fast's pin-then-recheck, as rmap.c's maybe_pinned_after_barrier():
 * our caller already cleared (or write-protected) the entry.
 */
static bool hugetlb_maybe_pinned(struct folio *folio)
{
	(void)atomic_add_return(0, &folio->_refcount);
	(void)atomic_add_return(0, &folio->_pincount);
	return folio_maybe_dma_pinned(folio);
}

/* fork: the child maps the anon @folio too (Linux's
 * hugetlb_try_dup_anon_rmap): -EBUSY if it is exclusive and may be pinned
 * (copy it instead), else it becomes COW-shared. */
static int hugetlb_try_dup_anon_rmap(struct folio *folio, struct vm_area_struct *src_vma)
{
	if (PageAnonExclusive(&folio->page)) {
		if (folio_needs_cow_for_dma(src_vma, folio))
			return -EBUSY;
		ClearPageAnonExclusive(&folio->page);
	}
	hugetlb_add_rmap(folio, false);
	return 0;
}

/* --- faults -------------------------------------------------------------------- */

#define HUGETLB_FAULT_MUTEX_BITS	6
static struct mutex hugetlb_fault_mutex_table[1U << HUGETLB_FAULT_MUTEX_BITS] = {
	[0 ... (1U << HUGETLB_FAULT_MUTEX_BITS) - 1] = {
		.s = { .m = PTHREAD_MUTEX_INITIALIZER, .owner = 0 } },
};

/* The fault mutex of huge-page offset @idx of @mapping. */
static struct mutex *hugetlb_fault_mutex(struct address_space *mapping, unsigned long idx)
{
	unsigned long key = ((unsigned long)mapping >> 6) ^ (idx * 0x9E3779B97F4A7C15UL);

	return &hugetlb_fault_mutex_table[(key * 0x9E3779B97F4A7C15UL) >>
					  (64 - HUGETLB_FAULT_MUTEX_BITS)];
}

/*
 * Zero a new folio.  A gigantic one is handed back to the host instead
 * (MADV_DONTNEED on the arena: it reads as zeroes, and a 1 GiB page does
 * not cost 1 GiB of host memory until it is written).  Nobody can see
 * the folio yet.
 */
static void hugetlb_clear_folio(struct folio *folio)
{
	if (folio_order(folio) > MAX_PAGE_ORDER &&
	    !madvise(folio_address(folio), folio_size(folio), MADV_DONTNEED))
		return;
	pnm_clear_folio(folio);
}

/*
 * Unmap @page from every other private mapping of the file at that offset
 * (fork children of @vma, the owner), so the owner may reuse it after its
 * COW found no page (Linux's unmap_ref_private()).  Those mappings are
 * marked HPAGE_RESV_UNMAPPED: their next fault there is SIGBUS.  The
 * caller holds the fault mutex and no entry lock.
 */
static void unmap_ref_private(struct vm_area_struct *vma, struct page *page,
			      unsigned long address)
{
	struct hstate *h = hstate_vma(vma);
	struct address_space *mapping = vma->vm_file->f_mapping;
	pgoff_t pgoff = linear_page_index(vma, address);
	struct vm_area_struct *iter;

	i_mmap_lock_read(mapping);
	vma_interval_tree_foreach(iter, &mapping->i_mmap, pgoff, pgoff) {
		unsigned long a;

		if (iter == vma || (iter->vm_flags & VM_MAYSHARE) || hugetlb_vma_owner(iter))
			continue;
		a = iter->vm_start + ((pgoff - iter->vm_pgoff) << PAGE_SHIFT);
		if (a < iter->vm_start || a >= iter->vm_end)
			continue;
		/* i_mmap_rwsem keeps @iter and its tables in place. */
		{
			struct mmu_notifier_range range;

			mmu_notifier_range_init(&range, MMU_NOTIFY_CLEAR, iter->vm_mm, a,
						a + huge_page_size(h));
			mmu_notifier_invalidate_range_start(&range);
			__unmap_hugepage_range(iter, a, a + huge_page_size(h), page);
			mmu_notifier_invalidate_range_end(&range);
		}
		count_vm_event(PNM_HUGETLB_UNMAP_REF_PRIVATE);
	}
	i_mmap_unlock_read(mapping);
}

/*
 * A write (or unshare) fault on the read-only present entry @orig at
 * @haddr: reuse or copy (Linux's hugetlb_wp(), see the top of the file).
 * Called and returns with @ptl held; drops it to allocate and copy.
 * 0 or VM_FAULT_*.
 */
static vm_fault_t hugetlb_wp(struct vm_area_struct *vma, unsigned long haddr,
			     pte_t *ptep, spinlock_t *ptl, pte_t orig, unsigned int flags)
{
	bool unshare = flags & FAULT_FLAG_UNSHARE, cow_from_owner;
	struct hstate *h = hstate_vma(vma);
	struct mm_struct *mm = vma->vm_mm;
	struct folio *old_folio, *new_folio;
	struct mmu_notifier_range range;
	vm_fault_t ret = 0;

	if (vma->vm_flags & VM_MAYSHARE) {
		/* A shared page: nothing to copy. */
		if (!unshare && (vma->vm_flags & VM_WRITE))
			set_huge_pte_at(ptep, __pte(pte_val(orig) | _PAGE_RW | _PAGE_DIRTY |
						    _PAGE_ACCESSED));
		return 0;
	}
	old_folio = pfn_folio(pte_pfn(orig));
retry_avoidcopy:
	/* Mapped once and anonymous: ours.  Linux deliberately does not look
	 * at the refcount here (GUP references and pins do not count). */
	if (folio_entire_mapcount(old_folio) == 1 && folio_test_anon(old_folio)) {
		/* Ours alone from now on (our ptl serialises it with a
		 * migrator's clearing: the folio has one mapping).  Linux also
		 * moves it to our anon_vma; the model leaves it in the one it
		 * has, to which our VMA is linked too. */
		SetPageAnonExclusive(&old_folio->page);
		if (!unshare) {
			set_huge_pte_at(ptep, __pte(pte_val(orig) |
				(vma->vm_flags & VM_WRITE ? _PAGE_RW | _PAGE_DIRTY : 0) |
				_PAGE_ACCESSED));
			count_vm_event(PNM_COW_REUSE);
			pnm_trace(PNM_TRACE_COW_REUSE, mm->owner_pid, haddr, folio_pfn(old_folio), 0, 0);
		}
		return 0;
	}
	/* The owner of a private mapping copying a page its children share
	 * may take it from outside its reservations (its own reservation
	 * for the offset went to the page it shares). */
	cow_from_owner = hugetlb_vma_owner(vma) && folio_test_anon(old_folio);
	folio_get(old_folio);
	spin_unlock(ptl);

	new_folio = alloc_hugetlb_folio(vma, haddr, cow_from_owner);
	if (IS_ERR(new_folio)) {
		if (cow_from_owner && PTR_ERR(new_folio) == -ENOSPC) {
			/* No page: take this one back from the children. */
			folio_put(old_folio);
			unmap_ref_private(vma, &old_folio->page, haddr);
			spin_lock(ptl);
			if (pte_same(huge_ptep_get(ptep), orig))
				goto retry_avoidcopy;
			return 0;	/* changed meanwhile: fault again */
		}
		ret = PTR_ERR(new_folio) == -ENOMEM ? VM_FAULT_OOM : VM_FAULT_SIGBUS;
		if (ret == VM_FAULT_SIGBUS)
			count_vm_event(PNM_HUGETLB_FAULT_SIGBUS);
		goto out_release_old;
	}
	if (anon_vma_prepare(vma)) {
		ret = VM_FAULT_OOM;
		goto out_release_all;
	}
	/* A device may be writing the page through another mapping's pin
	 * (a shared mapping of the same file, or legacy mode's pinned COW
	 * page): read it with the device's own relaxed accesses (dma.c), as
	 * fork's copy does; the copy gets whatever was written so far. */
	pnm_copy_from_page_racy(folio_address(new_folio), folio_address(old_folio),
				folio_size(old_folio));
	folio_mark_uptodate(new_folio);

	mmu_notifier_range_init(&range, MMU_NOTIFY_CLEAR, mm, haddr, haddr + huge_page_size(h));
	mmu_notifier_invalidate_range_start(&range);
	spin_lock(ptl);
	if (pte_same(huge_ptep_get(ptep), orig)) {
		pte_t newpte = make_huge_pte(vma, &new_folio->page, !unshare);

		/* seq_cst clear: gup-fast grabs of the old page back out. */
		huge_ptep_get_and_clear(ptep);
		hugetlb_remove_rmap(old_folio);
		hugetlb_add_new_anon_rmap(new_folio, vma, haddr);
		set_huge_pte_at(ptep, __pte(pte_val(newpte) | _PAGE_ACCESSED));
		folio_set_hugetlb_migratable(new_folio);
		count_vm_event(unshare ? PNM_UNSHARE_COPY : PNM_COW_COPY);
		pnm_trace(unshare ? PNM_TRACE_UNSHARE_COPY : PNM_TRACE_COW_COPY, mm->owner_pid,
			  haddr, folio_pfn(old_folio), folio_pfn(new_folio), 0);
		/* The old mapping's reference goes below. */
		new_folio = old_folio;
	}
	spin_unlock(ptl);
	mmu_notifier_invalidate_range_end(&range);
out_release_all:
	if (new_folio != old_folio)
		restore_reserve_on_error(h, vma, haddr, new_folio);
	folio_put(new_folio);
out_release_old:
	folio_put(old_folio);
	spin_lock(ptl);
	return ret;
}

/*
 * The entry at @ptep is none: find the file's page or allocate one and map
 * it (Linux's hugetlb_no_page()).  Fault mutex and invalidate_lock held.
 */
static vm_fault_t hugetlb_no_page(struct vm_area_struct *vma, struct address_space *mapping,
				  unsigned long idx, unsigned long haddr, pte_t *ptep,
				  unsigned int flags)
{
	bool new_folio = false, new_pagecache_folio = false, anon_rmap = false;
	struct hstate *h = hstate_vma(vma);
	struct mm_struct *mm = vma->vm_mm;
	struct folio *folio;
	vm_fault_t ret = 0;
	spinlock_t *ptl;
	pte_t new_pte;

	/* The owner took this page back for its COW (unmap_ref_private). */
	if (hugetlb_vma_unmapped(vma))
		return VM_FAULT_SIGBUS;
	folio = filemap_lock_folio(mapping, idx << h->order);
	if (IS_ERR(folio)) {
		if (idx >= (unsigned long)(i_size_read(mapping->host) >> huge_page_shift(h)))
			return VM_FAULT_SIGBUS;
		folio = alloc_hugetlb_folio(vma, haddr, false);
		if (IS_ERR(folio)) {
			if (PTR_ERR(folio) == -ENOMEM)
				return VM_FAULT_OOM;
			count_vm_event(PNM_HUGETLB_FAULT_SIGBUS);
			return VM_FAULT_SIGBUS;
		}
		hugetlb_clear_folio(folio);
		folio_mark_uptodate(folio);
		new_folio = true;
		if (vma->vm_flags & VM_MAYSHARE) {
			int err = hugetlb_add_to_page_cache(folio, mapping, idx);

			if (err) {
				/* Not -EEXIST: the fault mutex keeps other
				 * faults of this offset out, and truncation
				 * waits for our invalidate_lock. */
				restore_reserve_on_error(h, vma, haddr, folio);
				folio_put(folio);
				return err == -EEXIST ? 0 : VM_FAULT_OOM;
			}
			new_pagecache_folio = true;
		} else {
			folio_lock(folio);
			anon_rmap = true;
			if (anon_vma_prepare(vma)) {
				ret = VM_FAULT_OOM;
				goto backout_unlocked;
			}
		}
	}

	ptl = huge_pte_lockptr(h, mm, ptep);
	spin_lock(ptl);
	if (!pte_none(huge_ptep_get(ptep)))
		goto backout;
	if (anon_rmap) {
		/* Our own new page: writable at once for a write fault
		 * (Linux maps it read-only and lets hugetlb_wp() reuse it). */
		hugetlb_add_new_anon_rmap(folio, vma, haddr);
		new_pte = make_huge_pte(vma, &folio->page, flags & FAULT_FLAG_WRITE);
		pnm_trace(PNM_TRACE_ANON_ALLOC, mm->owner_pid, haddr, folio_pfn(folio),
			  folio_order(folio), 0);
	} else {
		hugetlb_add_rmap(folio, false);
		new_pte = make_huge_pte(vma, &folio->page,
					(vma->vm_flags & (VM_WRITE | VM_SHARED)) ==
					(VM_WRITE | VM_SHARED));
	}
	set_huge_pte_at(ptep, new_pte);
	hugetlb_count_add((long)pages_per_huge_page(h), mm);
	/* A private write of the file's page copies it now rather than on
	 * a second fault. */
	if (!anon_rmap && (flags & FAULT_FLAG_WRITE) && !(vma->vm_flags & VM_SHARED))
		ret = hugetlb_wp(vma, haddr, ptep, ptl, new_pte, flags);
	spin_unlock(ptl);
	if (new_folio)
		folio_set_hugetlb_migratable(folio);
	folio_unlock(folio);
	return ret;

backout:
	spin_unlock(ptl);
backout_unlocked:
	if (new_folio && !new_pagecache_folio)
		restore_reserve_on_error(h, vma, haddr, folio);
	folio_unlock(folio);
	folio_put(folio);
	return ret;
}

/* hugetlb_fault - see hugetlb.h. */
vm_fault_t hugetlb_fault(struct vm_area_struct *vma, unsigned long address,
			 unsigned int flags)
{
	struct hstate *h = hstate_vma(vma);
	struct mm_struct *mm = vma->vm_mm;
	unsigned long haddr = address & huge_page_mask(h);
	struct address_space *mapping = vma->vm_file->f_mapping;
	unsigned long idx = vma_hugecache_offset(h, vma, haddr);
	struct mutex *fault_mutex;
	vm_fault_t ret = 0;
	spinlock_t *ptl;
	pte_t *ptep, entry;

	down_read(&mapping->invalidate_lock);
	fault_mutex = hugetlb_fault_mutex(mapping, idx);
	mutex_lock(fault_mutex);
	ptep = huge_pte_alloc(mm, haddr, huge_page_size(h));
	if (!ptep) {
		ret = VM_FAULT_OOM;
		goto out;
	}
	entry = huge_ptep_get(ptep);
	if (pte_none(entry)) {
		ret = hugetlb_no_page(vma, mapping, idx, haddr, ptep, flags);
		goto out;
	}
	if (!pte_present(entry)) {
		swp_entry_t swp = pte_to_swp_entry(entry);

		mutex_unlock(fault_mutex);
		up_read(&mapping->invalidate_lock);
		/* A migration in flight: wait for it, the caller retries. */
		if (is_migration_entry(swp))
			migration_entry_wait_pfn(swp_offset_pfn(swp));
		else
			VM_WARN_ON_ONCE(1);
		return 0;
	}
	ptl = huge_pte_lockptr(h, mm, ptep);
	spin_lock(ptl);
	entry = huge_ptep_get(ptep);
	if (pte_present(entry)) {
		if ((flags & (FAULT_FLAG_WRITE | FAULT_FLAG_UNSHARE)) && !pte_write(entry)) {
			ret = hugetlb_wp(vma, haddr, ptep, ptl, entry, flags);
		} else {
			pte_t young = pte_mkyoung(entry);

			if (flags & FAULT_FLAG_WRITE)
				young = pte_mkdirty(young);
			if (!pte_same(young, entry))
				set_huge_pte_at(ptep, young);
		}
	}
	spin_unlock(ptl);
out:
	mutex_unlock(fault_mutex);
	up_read(&mapping->invalidate_lock);
	return ret;
}

/* --- unmapping ------------------------------------------------------------------- */

/* __unmap_hugepage_range - see internal.h. */
void __unmap_hugepage_range(struct vm_area_struct *vma, unsigned long start,
			    unsigned long end, struct page *ref_page)
{
	struct hstate *h = hstate_vma(vma);
	unsigned long sz = huge_page_size(h), addr;
	struct mm_struct *mm = vma->vm_mm;

	VM_WARN_ON_ONCE((start | end) & ~huge_page_mask(h));
	for (addr = start; addr < end; addr += sz) {
		pte_t *ptep = huge_pte_offset(mm, addr, sz);
		struct folio *folio;
		spinlock_t *ptl;
		pte_t pte;

		if (!ptep)
			continue;
		ptl = huge_pte_lockptr(h, mm, ptep);
		spin_lock(ptl);
		pte = huge_ptep_get(ptep);
		if (pte_none(pte) || (ref_page && (!pte_present(pte) ||
						    pte_pfn(pte) != page_to_pfn(ref_page)))) {
			spin_unlock(ptl);
			continue;
		}
		if (!pte_present(pte)) {
			/* A migration entry owns nothing (rmap.h): clear it. */
			huge_ptep_get_and_clear(ptep);
			spin_unlock(ptl);
			continue;
		}
		if (ref_page)
			hugetlb_vma_set_unmapped(vma);
		pte = huge_ptep_get_and_clear(ptep);
		folio = pfn_folio(pte_pfn(pte));
		if (pte_dirty(pte) && !folio_test_dirty(folio))
			SetPageDirty(&folio->page);
		hugetlb_count_add(-(long)pages_per_huge_page(h), mm);
		hugetlb_remove_rmap(folio);
		/*
		 * Our reference is the last one: a private owner's page goes
		 * back with its reservation (Linux 6.9 on), freed here.  The
		 * fully ordered freeze pairs with gup-fast's speculative grab
		 * (which fails at 0); a page someone still holds (pinned)
		 * keeps its reservation consumed.
		 */
		if (!ref_page && hugetlb_vma_owner(vma) && folio_test_anon(folio) &&
		    atomic_cmpxchg(&folio->_refcount, 1, 0) == 1) {
			hugetlb_unmap_restore_reserve(h, vma, addr, folio);
			spin_unlock(ptl);
			free_huge_folio(folio);
			continue;
		}
		spin_unlock(ptl);
		folio_put(folio);
	}
}

/* unmap_hugepage_range - see hugetlb.h. */
void unmap_hugepage_range(struct vm_area_struct *vma, unsigned long start,
			  unsigned long end)
{
	struct mmu_notifier_range range;

	mmu_notifier_range_init(&range, MMU_NOTIFY_CLEAR, vma->vm_mm, start, end);
	mmu_notifier_invalidate_range_start(&range);
	__unmap_hugepage_range(vma, start, end, NULL);
	mmu_notifier_invalidate_range_end(&range);
}

/* --- fork ---------------------------------------------------------------------------- */

/* copy_hugetlb_page_range - see hugetlb.h (Linux's). */
int copy_hugetlb_page_range(struct vm_area_struct *dst_vma, struct vm_area_struct *src_vma)
{
	struct mm_struct *dst = dst_vma->vm_mm, *src = src_vma->vm_mm;
	bool cow = is_cow_mapping(src_vma->vm_flags);
	struct hstate *h = hstate_vma(src_vma);
	unsigned long sz = huge_page_size(h), addr;
	struct mmu_notifier_range range;
	int ret = 0;

	mmu_notifier_range_init(&range, MMU_NOTIFY_PROTECTION_PAGE, src, src_vma->vm_start,
				src_vma->vm_end);
	if (cow)
		mmu_notifier_invalidate_range_start(&range);
	for (addr = src_vma->vm_start; addr < src_vma->vm_end; addr += sz) {
		spinlock_t *src_ptl, *dst_ptl;
		pte_t *src_pte, *dst_pte, entry;
		struct folio *folio, *new;

		src_pte = huge_pte_offset(src, addr, sz);
		if (!src_pte || pte_none(huge_ptep_get(src_pte)))
			continue;
		dst_pte = huge_pte_alloc(dst, addr, sz);
		if (!dst_pte) {
			ret = -ENOMEM;
			break;
		}
again:
		/* Parent's lock, then the child's (mm_types.h). */
		src_ptl = huge_pte_lockptr(h, src, src_pte);
		dst_ptl = huge_pte_lockptr(h, dst, dst_pte);
		spin_lock(src_ptl);
		spin_lock(dst_ptl);
		entry = huge_ptep_get(src_pte);
		if (pte_none(entry)) {
			/* zapped meanwhile (a rmap walker: truncation) */
		} else if (!pte_present(entry)) {
			swp_entry_t e = pte_to_swp_entry(entry);

			/* A migration entry: both become readable (COW). */
			if (cow && is_writable_migration_entry(e)) {
				e = migration_entry_retype(e, SWP_MIGRATION_READ);
				set_huge_pte_at(src_pte, swp_entry_to_pte(e));
			}
			set_huge_pte_at(dst_pte, swp_entry_to_pte(e));
		} else {
			folio = pfn_folio(pte_pfn(entry));
			if (!folio_test_anon(folio)) {
				hugetlb_add_rmap(folio, false);
			} else if (hugetlb_try_dup_anon_rmap(folio, src_vma)) {
				/* Exclusive and maybe pinned: the child gets a copy
				 * now, the parent keeps its page.  The child has no
				 * reservation of its own. */
				folio_get(folio);
				spin_unlock(dst_ptl);
				spin_unlock(src_ptl);
				new = alloc_hugetlb_folio(dst_vma, addr, false);
				if (IS_ERR(new)) {
					folio_put(folio);
					ret = -ENOMEM;
					break;
				}
				/* The pin's device may be writing it meanwhile
				 * (the racy copy of dma.c, as copy_present_page). */
				pnm_copy_from_page_racy(folio_address(new), folio_address(folio),
							folio_size(folio));
				folio_mark_uptodate(new);
				folio_put(folio);
				spin_lock(src_ptl);
				spin_lock(dst_ptl);
				if (!pte_same(huge_ptep_get(src_pte), entry)) {
					spin_unlock(dst_ptl);
					spin_unlock(src_ptl);
					restore_reserve_on_error(h, dst_vma, addr, new);
					folio_put(new);
					goto again;
				}
				hugetlb_add_new_anon_rmap(new, dst_vma, addr);
				set_huge_pte_at(dst_pte, make_huge_pte(dst_vma, &new->page, true));
				hugetlb_count_add((long)pages_per_huge_page(h), dst);
				folio_set_hugetlb_migratable(new);
				spin_unlock(dst_ptl);
				spin_unlock(src_ptl);
				count_vm_event(PNM_FORK_COPY_PINNED);
				pnm_trace(PNM_TRACE_FORK_COPY, src->owner_pid, addr, folio_pfn(folio),
					  folio_pfn(new), 0);
				continue;
			}
			folio_get(folio);		/* the child's mapping */
			if (cow && pte_write(entry)) {
				huge_ptep_set_wrprotect(src_pte);
				entry = pte_wrprotect(entry);
			}
			set_huge_pte_at(dst_pte, entry);
			hugetlb_count_add((long)pages_per_huge_page(h), dst);
		}
		spin_unlock(dst_ptl);
		spin_unlock(src_ptl);
	}
	if (cow)
		mmu_notifier_invalidate_range_end(&range);
	return ret;
}

/* --- mprotect ------------------------------------------------------------------------ */

/* hugetlb_change_protection - see hugetlb.h. */
void hugetlb_change_protection(struct vm_area_struct *vma, unsigned long start,
			       unsigned long end, pteval_t newprot)
{
	struct hstate *h = hstate_vma(vma);
	unsigned long sz = huge_page_size(h), addr;
	struct mm_struct *mm = vma->vm_mm;

	for (addr = start; addr < end; addr += sz) {
		pte_t *ptep = huge_pte_offset(mm, addr, sz);
		spinlock_t *ptl;
		pte_t pte;

		if (!ptep)
			continue;
		ptl = huge_pte_lockptr(h, mm, ptep);
		spin_lock(ptl);
		pte = huge_ptep_get(ptep);
		if (pte_none(pte)) {
			spin_unlock(ptl);
			continue;
		}
		if (!pte_present(pte)) {
			swp_entry_t e = pte_to_swp_entry(pte);

			if (is_writable_migration_entry(e)) {
				struct folio *folio = pfn_folio(swp_offset_pfn(e));

				e = migration_entry_retype(e, folio_test_anon(folio) ?
							   SWP_MIGRATION_READ_EXCLUSIVE :
							   SWP_MIGRATION_READ);
				set_huge_pte_at(ptep, swp_entry_to_pte(e));
			}
		} else {
			pteval_t keep = pte_val(pte) & (_PAGE_PFN_MASK | _PAGE_PSE | _PAGE_DIRTY |
							 _PAGE_ACCESSED | _PAGE_SOFT_DIRTY);

			/* seq_cst clear first: gup-fast re-checks (pgtable.h). */
			huge_ptep_get_and_clear(ptep);
			set_huge_pte_at(ptep, __pte(keep | (newprot & ~_PAGE_ACCESSED) |
						    (pte_val(pte) & _PAGE_ACCESSED)));
		}
		spin_unlock(ptl);
	}
}

/* --- mremap ---------------------------------------------------------------------------- */

/* hugetlb_prepare_move - see hugetlb.h. */
int hugetlb_prepare_move(struct vm_area_struct *vma, unsigned long old_addr,
			 unsigned long new_addr, unsigned long len)
{
	struct hstate *h = hstate_vma(vma);
	unsigned long sz = huge_page_size(h), off;
	struct mm_struct *mm = vma->vm_mm;

	mmap_assert_write_locked(mm);
	for (off = 0; off < len; off += sz) {
		pte_t *src = huge_pte_offset(mm, old_addr + off, sz);

		if (!src || pte_none(huge_ptep_get(src)))
			continue;
		if (!huge_pte_alloc(mm, new_addr + off, sz))
			return -ENOMEM;
	}
	return 0;
}

/*
 * move_hugetlb_page_tables - see hugetlb.h.  Each entry is taken out of
 * its old place with a seq_cst exchange under the old entry's lock (gup-
 * fast's grab-then-recheck sees it gone) and stored at the new place
 * under that entry's lock; the two locks are never held together (the
 * rmap locks and mmap_lock keep every other walker out, as in mremap.c).
 */
unsigned long move_hugetlb_page_tables(struct vm_area_struct *vma, unsigned long old_addr,
				       unsigned long new_addr, unsigned long len)
{
	struct hstate *h = hstate_vma(vma);
	unsigned long sz = huge_page_size(h), off, moved = 0;
	struct mm_struct *mm = vma->vm_mm;
	struct mmu_notifier_range range;

	mmap_assert_write_locked(mm);
	VM_WARN_ON_ONCE(((old_addr | new_addr | len) & ~huge_page_mask(h)) != 0);
	if (!len)
		return 0;
	mmu_notifier_range_init(&range, MMU_NOTIFY_UNMAP, mm, old_addr, old_addr + len);
	mmu_notifier_invalidate_range_start(&range);
	vma_rmap_lock(vma);
	for (off = 0; off < len; off += sz) {
		pte_t *src = huge_pte_offset(mm, old_addr + off, sz), *dst, entry;
		spinlock_t *ptl;

		if (!src)
			continue;
		ptl = huge_pte_lockptr(h, mm, src);
		spin_lock(ptl);
		entry = huge_ptep_get(src);
		if (pte_none(entry)) {
			spin_unlock(ptl);
			continue;
		}
		entry = huge_ptep_get_and_clear(src);
		spin_unlock(ptl);

		dst = huge_pte_offset(mm, new_addr + off, sz);
		VM_BUG_ON(!dst);	/* hugetlb_prepare_move() allocated it */
		ptl = huge_pte_lockptr(h, mm, dst);
		spin_lock(ptl);
		VM_BUG_ON(!pte_none(huge_ptep_get(dst)));
		set_huge_pte_at(dst, entry);
		spin_unlock(ptl);
		moved++;
	}
	vma_rmap_unlock(vma);
	mmu_notifier_invalidate_range_end(&range);
	return moved;
}

/* --- GUP ------------------------------------------------------------------------------ */

/* hugetlb_follow_page_mask - see hugetlb.h (Linux's; FOLL_FORCE may
 * write through a read-only entry to an exclusive anonymous folio, as
 * its can_follow_write_pmd() allows). */
int hugetlb_follow_page_mask(struct vm_area_struct *vma, unsigned long address,
			     unsigned int flags, unsigned int *page_mask,
			     struct page **pagep)
{
	struct hstate *h = hstate_vma(vma);
	unsigned long haddr = address & huge_page_mask(h);
	struct mm_struct *mm = vma->vm_mm;
	struct page *page;
	spinlock_t *ptl;
	pte_t *ptep, entry;
	int ret = 1;

	ptep = huge_pte_offset(mm, haddr, huge_page_size(h));
	if (!ptep)
		goto no_page;
	ptl = huge_pte_lockptr(h, mm, ptep);
	spin_lock(ptl);
	entry = huge_ptep_get(ptep);
	if (!pte_present(entry)) {
		spin_unlock(ptl);
		goto no_page;
	}
	page = pfn_to_page(pte_pfn(entry));
	if (!pte_write(entry)) {
		if ((flags & FOLL_WRITE) &&
		    !((flags & FOLL_FORCE) && !(vma->vm_flags & (VM_MAYSHARE | VM_WRITE)) &&
		      (vma->vm_flags & VM_MAYWRITE) && folio_test_anon(page_folio(page)) &&
		      PageAnonExclusive(page)))
			goto out;
		if (gup_must_unshare(vma, flags, page)) {
			ret = -EMLINK;
			goto out;
		}
	}
	page += (address & ~huge_page_mask(h)) >> PAGE_SHIFT;
	ret = pnm_grab_pages(page, 1, flags);
	if (ret)
		goto out;
	*page_mask = (1U << h->order) - 1;
	*pagep = page;
out:
	spin_unlock(ptl);
	return ret;
no_page:
	/* A core dump skips holes instead of filling them. */
	if (flags & FOLL_DUMP) {
		struct folio *folio = filemap_get_folio(vma->vm_file->f_mapping,
							linear_page_index(vma, haddr));

		if (IS_ERR(folio))
			return -EFAULT;
		folio_put(folio);
	}
	return 1;
}

/* --- migration ------------------------------------------------------------------------ */

/* hugetlb_try_to_migrate_one - see hugetlb.h. */
bool hugetlb_try_to_migrate_one(struct folio *folio, struct vm_area_struct *vma,
				unsigned long address, bool *failed)
{
	struct hstate *h = folio_hstate(folio);
	struct mm_struct *mm = vma->vm_mm;
	struct mmu_notifier_range range;
	bool excl;
	spinlock_t *ptl;
	pte_t *ptep, old;
	swp_entry_t e;

	if (address & ~huge_page_mask(h))
		return true;
	ptep = huge_pte_offset(mm, address, huge_page_size(h));
	if (!ptep)
		return true;
	mmu_notifier_range_init(&range, MMU_NOTIFY_CLEAR, mm, address, address + huge_page_size(h));
	mmu_notifier_invalidate_range_start(&range);
	ptl = huge_pte_lockptr(h, mm, ptep);
	spin_lock(ptl);
	old = huge_ptep_get(ptep);
	if (!pte_present(old) || pte_pfn(old) != folio_pfn(folio)) {
		spin_unlock(ptl);
		mmu_notifier_invalidate_range_end(&range);
		return true;
	}
	excl = folio_test_anon(folio) && PageAnonExclusive(&folio->page);
	/* seq_cst exchange, then the pin check (gup-fast's protocol). */
	old = huge_ptep_get_and_clear(ptep);
	if (excl && hugetlb_maybe_pinned(folio)) {
		set_huge_pte_at(ptep, old);
		spin_unlock(ptl);
		mmu_notifier_invalidate_range_end(&range);
		*failed = true;
		return false;
	}
	if (excl)
		ClearPageAnonExclusive(&folio->page);
	if (pte_dirty(old))
		SetPageDirty(&folio->page);
	if (pte_write(old))
		e = make_writable_migration_entry(folio_pfn(folio));
	else if (excl)
		e = make_readable_exclusive_migration_entry(folio_pfn(folio));
	else
		e = make_readable_migration_entry(folio_pfn(folio));
	if (pte_young(old))
		e = make_migration_entry_young(e);
	if (pte_dirty(old))
		e = make_migration_entry_dirty(e);
	set_huge_pte_at(ptep, swp_entry_to_pte(e));
	hugetlb_remove_rmap(folio);
	hugetlb_count_add(-(long)pages_per_huge_page(h), mm);
	spin_unlock(ptl);
	mmu_notifier_invalidate_range_end(&range);
	/* The entry holds no reference (rmap.h); the migrator's remains. */
	folio_put(folio);
	return true;
}

/* hugetlb_remove_migration_pte - see hugetlb.h. */
bool hugetlb_remove_migration_pte(struct folio *src, struct folio *dst,
				  struct vm_area_struct *vma, unsigned long address)
{
	struct hstate *h = folio_hstate(dst);
	struct mm_struct *mm = vma->vm_mm;
	pteval_t v;
	spinlock_t *ptl;
	pte_t *ptep, pte;
	swp_entry_t e;
	bool excl;

	if (address & ~huge_page_mask(h))
		return true;
	ptep = huge_pte_offset(mm, address, huge_page_size(h));
	if (!ptep)
		return true;
	ptl = huge_pte_lockptr(h, mm, ptep);
	spin_lock(ptl);
	pte = huge_ptep_get(ptep);
	e = pte_to_swp_entry(pte);
	if (pte_none(pte) || pte_present(pte) || !is_migration_entry(e) ||
	    swp_offset_pfn(e) != folio_pfn(src)) {
		spin_unlock(ptl);
		return true;
	}
	excl = folio_test_anon(dst) &&
	       (is_writable_migration_entry(e) || is_readable_exclusive_migration_entry(e));
	folio_get(dst);			/* the restored mapping's */
	hugetlb_add_rmap(dst, excl);
	v = (folio_pfn(dst) << PAGE_SHIFT) | _PAGE_PSE |
	    (vm_get_page_prot(READ_ONCE(vma->vm_flags)) & ~(_PAGE_RW | _PAGE_ACCESSED));
	if (is_writable_migration_entry(e))
		v |= _PAGE_RW;
	if (is_migration_entry_young(e))
		v |= _PAGE_ACCESSED;
	if (is_migration_entry_dirty(e))
		v |= _PAGE_DIRTY;
	set_huge_pte_at(ptep, __pte(v));
	hugetlb_count_add((long)pages_per_huge_page(h), mm);
	spin_unlock(ptl);
	return true;
}

/* --- checking ------------------------------------------------------------------------- */

/* Would @folio's reverse map find its entry at @addr of @vma? */
static bool hugetlb_reachable(struct folio *folio, struct vm_area_struct *vma,
			      unsigned long addr, const char **why)
{
	if (linear_page_index(vma, addr) != folio->index) {
		*why = "the folio's index is not the VMA's offset of the address";
		return false;
	}
	if (folio_test_anon(folio)) {
		struct anon_vma *av = folio_anon_vma(folio);
		struct anon_vma_chain *avc;

		if (vma->vm_flags & VM_MAYSHARE) {
			*why = "an anonymous folio in a shared mapping";
			return false;
		}
		list_for_each_entry(avc, &vma->anon_vma_chain, same_vma)
			if (avc->anon_vma == av)
				return true;
		*why = "the VMA is not linked to the folio's anon_vma";
		return false;
	}
	if (folio_mapping(folio) != vma->vm_file->f_mapping) {
		*why = "the folio belongs to another file than the VMA's";
		return false;
	}
	if (!interval_tree_node_linked(&vma->shared)) {
		*why = "the VMA is not in its file's i_mmap";
		return false;
	}
	return true;
}

/* hugetlb_check_leaf - see hugetlb.h. */
bool hugetlb_check_leaf(struct mm_struct *mm, unsigned long addr, pteval_t e,
			unsigned int order, long *usage)
{
	struct vm_area_struct *vma = vma_lookup(mm, addr);
	unsigned long pfn = (e & _PAGE_PFN_MASK) >> PAGE_SHIFT, sz = PAGE_SIZE << order;
	const char *why = NULL;
	struct folio *folio;

	if (!vma || !is_vm_hugetlb_page(vma) || hstate_vma(vma)->order != order ||
	    !IS_ALIGNED(addr, sz) || addr + sz > vma->vm_end)
		return pnm_check_fail("pgtable pid %d: huge leaf %#lx (order %u) outside a hugetlb VMA of its size",
				      mm->owner_pid, addr, order);
	if ((e & _PAGE_SPECIAL) || !pfn_valid(pfn))
		return pnm_check_fail("pgtable pid %d: huge leaf %#lx: special or bad pfn %#lx",
				      mm->owner_pid, addr, pfn);
	if ((e & _PAGE_RW) && !(vma->vm_flags & VM_WRITE))
		return pnm_check_fail("pgtable pid %d: writable huge leaf %#lx in a VMA without VM_WRITE",
				      mm->owner_pid, addr);
	if (!!(e & _PAGE_USER) != !!(vma->vm_flags & VM_ACCESS_FLAGS))
		return pnm_check_fail("pgtable pid %d: huge leaf %#lx: user bit against the VMA",
				      mm->owner_pid, addr);
	folio = pfn_folio(pfn);
	if (folio_pfn(folio) != pfn || !folio_test_hugetlb(folio) || folio_order(folio) != order ||
	    folio_test_hugetlb_freed(folio) || folio_ref_count(folio) <= 0)
		return pnm_check_fail("pgtable pid %d: huge leaf %#lx maps pfn %#lx: head %d hugetlb %d order %u freed %d ref %d",
				      mm->owner_pid, addr, pfn, folio_pfn(folio) == pfn,
				      folio_test_hugetlb(folio), folio_order(folio),
				      folio_test_hugetlb_freed(folio), folio_ref_count(folio));
	if (folio_test_anon(folio) ? (e & _PAGE_RW) && !PageAnonExclusive(&folio->page)
				   : (e & _PAGE_RW) && !(vma->vm_flags & VM_SHARED))
		return pnm_check_fail("pgtable pid %d: huge leaf %#lx writable but %s", mm->owner_pid,
				      addr, folio_test_anon(folio) ? "not exclusive" :
				      "a file page in a private mapping");
	if (!hugetlb_reachable(folio, vma, addr, &why))
		return pnm_check_fail("pgtable pid %d: huge leaf %#lx not found by the reverse map: %s",
				      mm->owner_pid, addr, why);
	if (folio_entire_mapcount(folio) <= 0)
		return pnm_check_fail("pgtable pid %d: huge leaf %#lx but the mapcount is zero",
				      mm->owner_pid, addr);
	*usage += (long)(1UL << order);
	return true;
}

/* What a walk of a hugetlb folio's reverse map finds. */
struct hugetlb_tally {
	int present;			/* entries mapping it */
	int migration;			/* migration entries naming it */
	struct mm_struct *mm;		/* an mm mapping it */
	bool multi_mm;
};

/* rmap_walk() callback: the entry of @vma at @address. */
static bool hugetlb_tally_vma(struct folio *folio, struct vm_area_struct *vma,
			      unsigned long address, void *arg)
{
	struct hstate *h = folio_hstate(folio);
	struct hugetlb_tally *t = arg;
	spinlock_t *ptl;
	pte_t *ptep, pte;

	if (!is_vm_hugetlb_page(vma) || (address & ~huge_page_mask(h)))
		return true;
	ptep = huge_pte_offset(vma->vm_mm, address, huge_page_size(h));
	if (!ptep)
		return true;
	ptl = huge_pte_lockptr(h, vma->vm_mm, ptep);
	spin_lock(ptl);
	pte = huge_ptep_get(ptep);
	if (pte_present(pte) && pte_pfn(pte) == folio_pfn(folio)) {
		t->present++;
		if (t->mm && t->mm != vma->vm_mm)
			t->multi_mm = true;
		t->mm = vma->vm_mm;
	} else if (!pte_none(pte) && !pte_present(pte) &&
		   is_migration_entry(pte_to_swp_entry(pte)) &&
		   swp_offset_pfn(pte_to_swp_entry(pte)) == folio_pfn(folio)) {
		t->migration++;
	}
	spin_unlock(ptl);
	return true;
}

/* hugetlb_check_folio - see internal.h. */
bool hugetlb_check_folio(struct folio *folio)
{
	unsigned long pfn = folio_pfn(folio), nr, i;
	struct hstate *h = folio_hstate(folio);
	struct hugetlb_tally t = { 0 };
	long shadow = 0;
	int refs, em, cache = 0;

	if (!PageHead(&folio->page) || folio_order(folio) != h->order || !h->enabled ||
	    (pfn & (pages_per_huge_page(h) - 1)))
		return pnm_check_fail("hugetlb folio %#lx: head %d order %u (%s)", pfn,
				      PageHead(&folio->page), folio_order(folio), h->name);
	nr = folio_nr_pages(folio);
	for (i = 1; i < nr; i++) {
		struct page *p = folio_page(folio, i);

		if (READ_ONCE(p->compound_head) != ((unsigned long)folio | 1) ||
		    (READ_ONCE(p->flags) & ~(ZONES_MASK << ZONES_PGSHIFT)) ||
		    atomic_read(&p->_refcount) || atomic_read(&p->_mapcount) ||
		    atomic_read(&p->pnm_pincount) < 0)
			return pnm_check_fail("hugetlb folio %#lx: tail %lu: head %d flags %#lx ref %d mapcount %d pins %d",
					      pfn, i, READ_ONCE(p->compound_head) == ((unsigned long)folio | 1),
					      READ_ONCE(p->flags), atomic_read(&p->_refcount),
					      atomic_read(&p->_mapcount), atomic_read(&p->pnm_pincount));
		shadow += atomic_read(&p->pnm_pincount);
	}
	shadow += atomic_read(&folio->page.pnm_pincount);
	refs = folio_ref_count(folio);
	em = folio_entire_mapcount(folio);
	if (atomic_read(&folio->page._mapcount))
		return pnm_check_fail("hugetlb folio %#lx: head _mapcount %d", pfn,
				      atomic_read(&folio->page._mapcount));
	if (folio_test_hugetlb_freed(folio))
		return true;		/* hugetlb_check() checks the free ones */
	if (refs <= 0 || em < 0 || atomic_read(&folio->_pincount) < 0)
		return pnm_check_fail("hugetlb folio %#lx in use: refcount %d mapcount %d pincount %d",
				      pfn, refs, em, atomic_read(&folio->_pincount));
	if (pnm_pin_shadow_count() && shadow != atomic_read(&folio->_pincount))
		return pnm_check_fail("hugetlb folio %#lx: per-page pin counts add up to %ld, _pincount %d",
				      pfn, shadow, atomic_read(&folio->_pincount));
	if (folio_test_anon(folio) ? folio_mapped(folio) : folio_mapping(folio) != NULL) {
		struct rmap_walk_control rwc = {
			.arg = &t,
			.rmap_one = hugetlb_tally_vma,
			.anon_lock = folio_lock_anon_vma_read,
		};

		rmap_walk(folio, &rwc);
	}
	if (em != t.present)
		return pnm_check_fail("hugetlb folio %#lx: mapcount %d but the reverse map finds %d entries",
				      pfn, em, t.present);
	if (t.migration && !folio_test_locked(folio))
		return pnm_check_fail("hugetlb folio %#lx: %d migration entries but not locked",
				      pfn, t.migration);
	if (PageAnonExclusive(&folio->page) && (!folio_test_anon(folio) || t.present > 1 ||
						 t.multi_mm))
		return pnm_check_fail("hugetlb folio %#lx: PG_anon_exclusive, anon %d, mapped %d times",
				      pfn, folio_test_anon(folio), t.present);
	if (em && !READ_ONCE(folio->mapping))
		return pnm_check_fail("hugetlb folio %#lx: mapped %d times but has no mapping", pfn, em);
	if (test_bit(PG_pnm_truncated, &folio->flags) && (READ_ONCE(folio->mapping) || em))
		return pnm_check_fail("hugetlb folio %#lx: truncated but still mapped or cached", pfn);
	if (folio_mapping(folio) &&
	    xa_load(&folio_mapping(folio)->i_pages, folio->index) == folio)
		cache = (int)nr;
	if (refs < em + cache)
		return pnm_check_fail("hugetlb folio %#lx: refcount %d < %d mappings + %d cache refs",
				      pfn, refs, em, cache);
	return true;
}
