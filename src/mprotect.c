// SPDX-License-Identifier: MIT
/*
 * mprotect.c - changing the protection of mapped memory (mprotect(2)).
 *
 * Two halves, as in Linux: the VMA side (validate the request against
 * every VMA's VM_MAY* bits, split VMAs at the edges of the range, set the
 * new flags, merge with neighbours) and the page-table side,
 * change_protection(), which rewrites the protection bits of the PTEs and
 * huge PMDs already present so that they agree with the new flags.
 *
 * What the PTEs become (vm_get_page_prot() of the new flags, applied by
 * pte_modify() below, which keeps pfn, dirty, accessed and special bits):
 *   - removing write permission write-protects every PTE;
 *   - PROT_NONE clears _PAGE_USER, so every access faults and is refused;
 *   - granting write on a shared mapping makes the PTEs writable (shmem
 *     needs no write notification);
 *   - granting write on a private mapping does not: the write fault
 *     decides between COW and reuse.  Except, as in Linux's
 *     can_change_pte_writable(), a PTE mapping an anon page marked
 *     PageAnonExclusive is made writable directly, because the write
 *     fault would reuse that page without further checks anyway.
 *
 * Deviation from Linux, by contract (mm.h): Linux applies the change to
 * the VMAs before a hole and then fails with -ENOMEM; the model checks the
 * whole range first and, on any error, changes nothing.
 *
 * Locking: mmap_lock for write over the whole call; PTEs are rewritten
 * under their table's ptl, huge PMDs under the PMD lock (change_huge_pmd).
 * Migration entries never exist while mmap_lock is write-held (brief §9),
 * so only present entries need attention.
 */
#include "internal.h"

#ifndef PAGE_ALIGN
#define PAGE_ALIGN(x)	ALIGN((x), PAGE_SIZE)
#endif

#define PNM_PROT_KNOWN	(PROT_READ | PROT_WRITE | PROT_EXEC)

static unsigned long prot_to_vm_flags(unsigned long prot)
{
	return ((prot & PROT_READ) ? VM_READ : 0) |
	       ((prot & PROT_WRITE) ? VM_WRITE : 0) |
	       ((prot & PROT_EXEC) ? VM_EXEC : 0);
}

/* The flags @vma would get: new access bits, everything else kept. */
static unsigned long mprotect_newflags(const struct vm_area_struct *vma,
				       unsigned long access)
{
	return access | (vma->vm_flags & ~VM_ACCESS_FLAGS);
}

/*
 * Linux's pte_modify(): the access bits come from @newprot, everything
 * else (pfn, dirty, accessed, special, soft-dirty) stays.  A special
 * mapping (the zero page) never becomes writable.
 */
static pte_t pte_modify(pte_t pte, pteval_t newprot)
{
	pteval_t v = pte_val(pte) & ~(_PAGE_RW | _PAGE_USER);

	v |= newprot & (_PAGE_RW | _PAGE_USER);
	if (v & _PAGE_SPECIAL)
		v &= ~_PAGE_RW;
	return __pte(v);
}

/*
 * May this read-only PTE of a private writable VMA be made writable right
 * away?  Only if it maps an anon page known to be exclusive to this mm:
 * the write fault would reuse it in place with no further checks, while
 * holding the same ptl we hold.  Caller holds the PTE's ptl.
 */
static bool can_change_pte_writable(struct vm_area_struct *vma,
				    unsigned long addr, pte_t pte)
{
	struct page *page;

	if (!(vma->vm_flags & VM_WRITE))
		return false;
	/* Soft-dirty tracking (clear_refs cleared VM_SOFTDIRTY): an entry
	 * that is not soft-dirty owes the tracker its write fault. */
	if (!(vma->vm_flags & VM_SOFTDIRTY) && !pte_soft_dirty(pte))
		return false;
	/* A dirty-tracked shared mapping: a clean PTE still owes the
	 * filesystem its write fault (->page_mkwrite); a dirty one had it. */
	if (vma->vm_flags & VM_SHARED)
		return vma_wants_writenotify(vma) && pte_dirty(pte) && !pte_protnone(pte);
	if (pte_protnone(pte) || pte_special(pte))
		return false;
	page = vm_normal_page(vma, addr, pte);
	return page && folio_test_anon(page_folio(page)) && PageAnonExclusive(page);
}

/*
 * A migration entry met by mprotect (a migrator needs no mmap_lock, so
 * entries can be in flight here): a writable one is made readable (an
 * anon page stays exclusive), as Linux does whatever the new protection;
 * the restored mapping takes the VMA's permissions then, and a later
 * write fault reuses an exclusive page.  Returns the new value.
 */
static pteval_t downgrade_migration_entry(pteval_t e)
{
	swp_entry_t entry = { e };

	if (!is_writable_migration_entry(entry))
		return e;
	if (folio_test_anon(pfn_folio(swp_offset_pfn(entry))))
		entry = migration_entry_retype(entry, SWP_MIGRATION_READ_EXCLUSIVE);
	else
		entry = migration_entry_retype(entry, SWP_MIGRATION_READ);
	return entry.val;
}

/* Rewrite the present PTEs of one PTE table in [addr, end). */
static void change_pte_range(struct vm_area_struct *vma, pmd_t *pmd,
			     unsigned long addr, unsigned long end,
			     pteval_t newprot)
{
	struct mm_struct *mm = vma->vm_mm;
	spinlock_t *ptl;
	pte_t *ptep;

	ptep = pte_offset_map_lock(mm, pmd, addr, &ptl);
	if (!ptep)
		return;
	for (; addr < end; addr += PAGE_SIZE, ptep++) {
		pte_t old = ptep_get(ptep), new;

		if (!pte_present(old)) {
			if (is_swap_pte(old))
				set_pte_at(mm, addr, ptep,
					   __pte(downgrade_migration_entry(pte_val(old))));
			continue;
		}
		new = pte_modify(old, newprot);
		if (!pte_write(new) && can_change_pte_writable(vma, addr, new))
			new = pte_mkwrite(new);
		if (pte_same(old, new))
			continue;
		/*
		 * Linux's ptep_modify_prot_start/commit: clear the entry with
		 * a seq_cst exchange, then install the new value.  The clear
		 * pairs with gup-fast's "grab a reference, then re-read the
		 * PTE": a lockless walker either sees the old entry before we
		 * cleared it (and its recheck then fails) or sees the cleared
		 * or new entry.  Accessed/dirty bits are only set under the
		 * ptl we hold, so nothing is lost between the two steps.
		 */
		(void)ptep_get_and_clear(mm, addr, ptep);
		set_pte_at(mm, addr, ptep, new);
	}
	pte_unmap_unlock(ptep - 1, ptl);
}

/*
 * Make the page-table entries of [start, end) in @vma agree with the
 * VMA's (new) vm_flags.  The range lies inside @vma; huge PMDs wholly
 * inside it are changed in place, one straddling an edge (not possible
 * after split_vma(), kept for robustness) is split first.  Caller holds
 * mmap_lock for write.  Cannot fail: a PMD that cannot be split is left
 * alone with a warning.
 */
static void change_protection(struct vm_area_struct *vma, unsigned long start,
			      unsigned long end)
{
	struct mm_struct *mm = vma->vm_mm;
	pteval_t newprot = vm_get_page_prot(vma->vm_flags);
	struct mmu_notifier_range range;
	unsigned long addr, next;

	mmap_assert_write_locked(mm);
	/* As the fault path maps them: read-only until ->page_mkwrite. */
	if (vma_wants_writenotify(vma))
		newprot &= ~_PAGE_RW;
	/* Mirrors drop the range before its protection changes (Linux sends
	 * it per PMD from change_pmd_range(); one range is the same). */
	mmu_notifier_range_init(&range, MMU_NOTIFY_PROTECTION_VMA, mm, start, end);
	mmu_notifier_invalidate_range_start(&range);
	if (is_vm_hugetlb_page(vma)) {
		hugetlb_change_protection(vma, start, end, newprot);	/* hugetlb_fault.c */
		mmu_notifier_invalidate_range_end(&range);
		return;
	}
	for (addr = start; addr < end; addr = next) {
		pmd_t *pmd;
		pmd_t pmdval;

		next = (addr + PMD_SIZE) & PMD_MASK;
		if (next > end || next == 0)
			next = end;
		pmd = pnm_pmd_lookup(mm, addr);
		if (!pmd)
			continue;
		pmdval = pmdp_get(pmd);
		if (pmd_none(pmdval))
			continue;
		if (is_swap_pmd(pmdval)) {
			spinlock_t *ptl = pmd_lock(mm, pmd);

			pmdval = pmdp_get(pmd);
			if (is_swap_pmd(pmdval))
				set_pmd_at(mm, addr & PMD_MASK, pmd,
					   __pmd(downgrade_migration_entry(pmd_val(pmdval))));
			spin_unlock(ptl);
			if (is_swap_pmd(pmdval))
				continue;
		}
		if (pmd_trans_huge(pmdval)) {
			if (IS_ALIGNED(addr, PMD_SIZE) && next - addr == PMD_SIZE) {
				change_huge_pmd(vma, pmd, addr, newprot);
				continue;
			}
			if (VM_WARN_ON_ONCE(__split_huge_pmd(vma, pmd, addr) != 0))
				continue;
		}
		change_pte_range(vma, pmd, addr, next, newprot);
	}
	mmu_notifier_invalidate_range_end(&range);
}

/*
 * Check that [start, end) is mapped without holes and that every VMA in
 * it may take the new access bits.  Returns 0, -ENOMEM (hole) or -EACCES
 * (a permission without its VM_MAY* twin), for the lowest offending
 * address, as Linux's loop would report it.
 */
static int mprotect_validate(struct mm_struct *mm, unsigned long start,
			     unsigned long end, unsigned long access)
{
	struct vm_area_struct *vma = find_vma(mm, start);
	unsigned long tmp;

	if (!vma || vma->vm_start > start)
		return -ENOMEM;
	tmp = vma->vm_start;
	for (; vma && vma->vm_start < end; vma = vma_next(vma)) {
		unsigned long newflags = mprotect_newflags(vma, access);

		if (vma->vm_start != tmp)
			return -ENOMEM;
		if ((newflags & ~(newflags >> 4)) & VM_ACCESS_FLAGS)
			return -EACCES;
		tmp = vma->vm_end;
	}
	return tmp < end ? -ENOMEM : 0;
}

/*
 * mprotect(2).  Returns 0 (also for a zero length), or
 *   -EINVAL  unaligned @start or unknown PROT_ bits
 *   -ENOMEM  the range wraps, is not fully mapped, or a VMA could not be
 *            split
 *   -EACCES  a permission the mapping can never have (PROT_WRITE on a
 *            shared mapping of a file opened read-only)
 * On error nothing has changed.  Takes mmap_lock for write.
 */
int pnm_mm_mprotect(struct mm_struct *mm, unsigned long start, unsigned long len,
		 unsigned long prot)
{
	struct vm_area_struct *vma, *split_lo = NULL;
	unsigned long end, access, addr;
	int err;

	if (!IS_ALIGNED(start, PAGE_SIZE))
		return -EINVAL;
	if (!len)
		return 0;
	len = PAGE_ALIGN(len);
	end = start + len;
	if (end <= start)
		return -ENOMEM;
	if (prot & ~PNM_PROT_KNOWN)
		return -EINVAL;
	access = prot_to_vm_flags(prot);

	mmap_write_lock(mm);
	err = mprotect_validate(mm, start, end, access);
	if (err)
		goto out_unlock;

	/* Split at the edges where the flags actually change. */
	vma = find_vma(mm, start);
	if (vma->vm_start < start &&
	    mprotect_newflags(vma, access) != vma->vm_flags) {
		err = split_vma(vma, start, 0);
		if (err)
			goto out_unlock;
		split_lo = vma;
	}
	vma = find_vma(mm, end - 1);
	if (vma->vm_end > end && mprotect_newflags(vma, access) != vma->vm_flags) {
		err = split_vma(vma, end, 0);
		if (err) {
			if (split_lo)
				vma_unsplit(mm, split_lo, vma_next(split_lo));
			goto out_unlock;
		}
	}

	/*
	 * Apply.  Merging may make the VMA just changed absorb the next one;
	 * that only happens when the next one already has the new flags, so
	 * looking the range up again by address is enough.
	 */
	for (addr = start; addr < end; ) {
		unsigned long newflags, vend;

		vma = find_vma(mm, addr);
		vend = min_t(unsigned long, vma->vm_end, end);
		newflags = mprotect_newflags(vma, access);
		if (newflags != vma->vm_flags) {
			VM_BUG_ON(vma->vm_start < addr || vma->vm_end > end);
			WRITE_ONCE(vma->vm_flags, newflags);
			change_protection(vma, vma->vm_start, vma->vm_end);
			vma_merge_neighbours(mm, vma);
		}
		addr = vend;
	}
	err = 0;
out_unlock:
	mmap_write_unlock(mm);
	return err;
}
