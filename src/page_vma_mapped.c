// SPDX-License-Identifier: MIT
/*
 * page_vma_mapped.c - find the entries of one VMA that map (or, during a
 * migration, name) a range of pages: the per-VMA half of an rmap walk
 * (Linux's mm/page_vma_mapped.c).
 *
 * The walker comes from rmap_walk() holding the reverse-map lock that
 * covers the VMA (i_mmap_rwsem or the anon_vma root rwsem, for read), or
 * the VMA's mmap_lock.  Either keeps the VMA's page tables from being
 * freed: munmap and exit take the VMA out of the reverse map before they
 * free its tables, and nothing else frees an upper table or a PTE table
 * still reachable from a PMD.  What can change under it is the entries
 * themselves (faults, zaps, splits, COW, another walker), so every entry
 * is judged only under its own lock: a PMD under pmd_lock(), a PTE under
 * its table's ptl (pte_offset_map_lock() re-checks that the PMD still
 * points to the table it locked).
 *
 * The range [pfn, pfn + nr_pages) has page offsets [pgoff, pgoff +
 * nr_pages) in the VMA's file or anonymous region; page i can only be
 * mapped at the VMA address of pgoff + i, so the walk looks at those
 * addresses only, and stops at the first PMD that maps the range as a
 * whole.  vma_address() gives the address the walk starts at.
 */
#include "internal.h"

/*
 * vma_address - see rmap.h.  The shift can wrap for offsets far beyond
 * the VMA; the range check catches that too.
 */
unsigned long vma_address(struct vm_area_struct *vma, pgoff_t pgoff, unsigned long nr)
{
	unsigned long address;

	if (pgoff >= vma->vm_pgoff) {
		address = vma->vm_start + ((pgoff - vma->vm_pgoff) << PAGE_SHIFT);
		if (address < vma->vm_start || address >= vma->vm_end)
			return -EFAULT;
		return address;
	}
	if (pgoff + nr - 1 >= vma->vm_pgoff)
		return vma->vm_start;
	return -EFAULT;
}

/* One past the last address of the range in the VMA. */
static unsigned long walk_end(const struct page_vma_mapped_walk *pvmw)
{
	struct vm_area_struct *vma = pvmw->vma;
	unsigned long end;

	if (pvmw->pgoff + pvmw->nr_pages <= vma->vm_pgoff)
		return vma->vm_start;
	end = vma->vm_start +
	      ((pvmw->pgoff + pvmw->nr_pages - vma->vm_pgoff) << PAGE_SHIFT);
	if (end > vma->vm_end || end < vma->vm_start)
		end = vma->vm_end;
	return end;
}

/* Does the value @e (PTE or PMD) match what the walk looks for? */
static bool entry_matches(const struct page_vma_mapped_walk *pvmw, pteval_t e,
			  bool pmd)
{
	unsigned long pfn;

	if (!e)
		return false;
	if (pvmw->flags & PVMW_MIGRATION) {
		swp_entry_t entry = { e };

		if (e & _PAGE_PRESENT || !is_migration_entry(entry))
			return false;
		pfn = swp_offset_pfn(entry);
	} else {
		if (!(e & _PAGE_PRESENT) || (e & _PAGE_SPECIAL))
			return false;
		if (pmd && !(e & _PAGE_PSE))
			return false;
		pfn = (e & _PAGE_PFN_MASK) >> PAGE_SHIFT;
	}
	return pfn - pvmw->pfn < pvmw->nr_pages;
}

/*
 * page_vma_mapped_walk_done - stop a walk early: drop the lock of the
 * entry the last true return left held.
 */
void page_vma_mapped_walk_done(struct page_vma_mapped_walk *pvmw)
{
	if (pvmw->ptl)
		spin_unlock(pvmw->ptl);
	pvmw->ptl = NULL;
	pvmw->pte = NULL;
	pvmw->pmd = NULL;
}

/*
 * Look at the PMD covering pvmw->address.  Returns 1 with the PMD lock
 * held if it is a matching huge PMD or PMD migration entry (the result),
 * 0 if the PTEs below it are to be scanned (a table), -1 if there is
 * nothing here (none, absent upper tables, a PMD of other pages).
 */
static int look_at_pmd(struct page_vma_mapped_walk *pvmw)
{
	struct mm_struct *mm = pvmw->vma->vm_mm;
	spinlock_t *ptl;
	pmd_t *pmd, val;

	pmd = pnm_pmd_lookup(mm, pvmw->address);
	if (!pmd)
		return -1;
	val = pmdp_get_lockless(pmd);
	if (pmd_none(val))
		return -1;
	if (pmd_trans_huge(val) || is_swap_pmd(val)) {
		ptl = pmd_lock(mm, pmd);
		val = pmdp_get(pmd);
		if ((pmd_trans_huge(val) || is_swap_pmd(val)) &&
		    entry_matches(pvmw, pmd_val(val), true)) {
			pvmw->pmd = pmd;
			pvmw->pte = NULL;
			pvmw->ptl = ptl;
			return 1;
		}
		spin_unlock(ptl);
		/* Split meanwhile into a table: scan it. */
		if (pmd_none(val) || pmd_trans_huge(val) || is_swap_pmd(val))
			return -1;
	}
	pvmw->pmd = pmd;
	return 0;
}

/*
 * Scan the PTEs from pvmw->address up to @end (inside one PTE table).
 * Returns true with the matching entry's ptl held, or false with nothing
 * held and pvmw->address at @end.
 */
static bool scan_ptes(struct page_vma_mapped_walk *pvmw, unsigned long end)
{
	struct mm_struct *mm = pvmw->vma->vm_mm;
	spinlock_t *ptl;
	pte_t *pte;

	pte = pte_offset_map_lock(mm, pvmw->pmd, pvmw->address, &ptl);
	if (!pte) {
		pvmw->address = end;
		return false;
	}
	for (; pvmw->address < end; pvmw->address += PAGE_SIZE, pte++) {
		if (entry_matches(pvmw, pte_val(ptep_get(pte)), false)) {
			pvmw->pte = pte;
			pvmw->ptl = ptl;
			return true;
		}
	}
	pte_unmap_unlock(pte, ptl);
	return false;
}

/*
 * page_vma_mapped_walk - see rmap.h.  pvmw->address starts at the first
 * address of the range in the VMA (rmap_walk gives it); each call resumes
 * after the entry the previous call returned.
 */
bool page_vma_mapped_walk(struct page_vma_mapped_walk *pvmw)
{
	unsigned long end = walk_end(pvmw);

	if (pvmw->ptl) {
		if (!pvmw->pte) {
			/* A PMD covered the whole range: nothing more. */
			page_vma_mapped_walk_done(pvmw);
			return false;
		}
		/* Resume in the same PTE table after the last match. */
		spin_unlock(pvmw->ptl);
		pvmw->ptl = NULL;
		pvmw->pte = NULL;
		pvmw->address += PAGE_SIZE;
		if (pvmw->address < end && (pvmw->address & ~PMD_MASK) &&
		    scan_ptes(pvmw, min_t(unsigned long, end,
					  (pvmw->address & PMD_MASK) + PMD_SIZE)))
			return true;
	}
	while (pvmw->address < end) {
		unsigned long next = min_t(unsigned long, end,
					   (pvmw->address & PMD_MASK) + PMD_SIZE);
		int r = look_at_pmd(pvmw);

		if (r > 0)
			return true;
		if (r == 0 && scan_ptes(pvmw, next))
			return true;
		pvmw->address = next;
	}
	pvmw->pmd = NULL;
	return false;
}
