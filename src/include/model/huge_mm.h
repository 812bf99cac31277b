/* SPDX-License-Identifier: MIT */
/*
 * huge_mm.h - transparent huge pages (2 MiB anonymous folios).
 */
#ifndef PNM_MODEL_HUGE_MM_H
#define PNM_MODEL_HUGE_MM_H

#include <model/mm.h>


/*
 * The huge zero page: one zeroed order-9 folio that read faults in
 * THP-suitable VMAs map (pnm_config.thp_use_zero_page, Linux's
 * transparent_hugepage/use_zero_page), by a special read-only PMD
 * (pmd_special).  Like Linux it is allocated on first use, from
 * ZONE_NORMAL (never movable), and counted in thp_zero_page_alloc; unlike
 * Linux, which refcounts its users and frees it from a shrinker, it then
 * lives until pnm_fini().  Its mappings hold no reference and count in
 * no mapcount, rmap list or RSS counter; its refcount is its own 1 plus
 * what GUP takes (FOLL_GET references, and FOLL_PIN pins, counted as for
 * any large folio).  A write fault splits the PMD into PTEs mapping the
 * small zero page and copies from there; so does an unshare fault (a R/O
 * FOLL_LONGTERM pin in a private mapping).
 *
 * huge_zero_folio is NULL until allocated; written once (a cmpxchg, in
 * huge_memory.c), reset by pnm_fini().  A thread that found a PMD mapping
 * it under the PMD lock or through the lockless walk's acquire sees it
 * set, because the installer read it before publishing the PMD.
 */
extern struct folio *huge_zero_folio;

static inline bool is_huge_zero_folio(const struct folio *folio)
{
	return folio && READ_ONCE(huge_zero_folio) == folio;
}
/* Does @pfn lie in the huge zero page? */
static inline bool is_huge_zero_pfn(unsigned long pfn)
{
	struct folio *zero = READ_ONCE(huge_zero_folio);

	return zero && pfn - folio_pfn(zero) < HPAGE_PMD_NR;
}
/* Does present huge PMD @pmd map the huge zero page? */
static inline bool is_huge_zero_pmd(pmd_t pmd)
{
	return pmd_present(pmd) && is_huge_zero_pfn(pmd_pfn(pmd));
}

/* True if a PMD-sized anon folio may back @addr in @vma (mode, VM_HUGEPAGE/
 * VM_NOHUGEPAGE, the aligned 2 MiB range lies inside the VMA). */
bool thp_vma_suitable(struct vm_area_struct *vma, unsigned long addr);
/* Anonymous THP fault on an empty PMD: a read fault maps the huge zero
 * page (if thp_use_zero_page), a write fault allocates and maps a 2 MiB
 * folio.  Returns VM_FAULT_FALLBACK if no 2 MiB block is free
 * (thp_fault_fallback). */
vm_fault_t do_huge_pmd_anonymous_page(struct vm_fault *vmf);
/* Write fault on a read-only huge PMD: reuse if exclusive, else split the
 * PMD and let the PTE path copy (VM_FAULT_FALLBACK); the huge zero page
 * is always split (into PTEs mapping the small zero page). */
vm_fault_t do_huge_pmd_wp_page(struct vm_fault *vmf);
/*
 * Replace a huge PMD mapping by a PTE table mapping the same 512 pages
 * (same permissions, per-page anon-exclusive kept; the PMD's reference
 * becomes 512 PTE references).  Uses the table deposited with the PMD.
 * Caller holds mmap_lock and no page-table lock; takes the PMD lock.
 * No-op if *pmd is not huge; waits for the migration to end if *pmd is a
 * PMD migration entry.  Returns 0 or -ENOMEM (no memory for the rmap
 * items; nothing changed).
 */
int __split_huge_pmd(struct vm_area_struct *vma, pmd_t *pmd, unsigned long address);
/* Split the PMD covering @address, if it is huge. */
int split_huge_pmd_address(struct vm_area_struct *vma, unsigned long address);
/*
 * Split a large folio into order-0 folios.  The folio must be locked by
 * the caller and the caller must hold one reference.  Fails with -EBUSY if
 * references other than mappings, the page cache and the caller's exist
 * (pins, gets), or if a mapping is still being torn down (a racing zap:
 * try again); no process's mmap_lock is needed.  On success the
 * head remains locked and referenced by the caller; the other pages are
 * unlocked, each with the references of its own mappings.
 */
int split_folio(struct folio *folio);
/*
 * Zap/copy/protect helpers used by memory.c, fork and mprotect.  Each takes
 * the PMD lock itself; the caller holds mmap_lock and no page-table lock.
 *
 * A huge PMD always has a PTE table deposited with it (Linux's
 * pgtable_trans_huge_deposit), allocated with pnm_pgtable_alloc() when the
 * PMD is installed and counted in pgtables_bytes/NR_PAGETABLE like any
 * table; __split_huge_pmd() uses it, so a split needs no frame, and
 * zap_huge_pmd() frees it.  See pnm_thp_nr_deposited() in internal.h for
 * page-table checkers.
 *
 * zap_huge_pmd(): if *pmd is a huge PMD, clear it, remove its rmap, drop
 * its reference and free its deposited table, and return 1; if it is a
 * PMD migration entry, just clear it (the entry owns nothing, rmap.h) and
 * free the table, and return 1; return 0 if *pmd is none or points to a
 * PTE table (the caller walks the PTEs).  The caller zaps the whole
 * 2 MiB range @addr lies in; a partial range must be split first.
 *
 * copy_huge_pmd(): fork, both mmap_locks held for write; *dst_pmd is none.
 * Returns 0 (the child maps the same folio, both PMDs write-protected,
 * PG_anon_exclusive cleared), -ENOMEM (nothing changed), or -EAGAIN: *src_pmd
 * is not (or no longer) huge -- it maps a maybe-pinned exclusive folio, so
 * it has been split -- and the caller must copy the range at PTE level.
 *
 * change_huge_pmd(): mprotect (mmap_lock write), after vma->vm_flags has
 * been updated; @newprot = vm_get_page_prot(vma->vm_flags).  Returns 1 if
 * *pmd was huge and now carries @newprot (kept writable only where the
 * folio is anon-exclusive and the VMA has VM_WRITE, as Linux's
 * can_change_pmd_writable()), 0 if it is not huge (caller handles PTEs).
 */
int zap_huge_pmd(struct vm_area_struct *vma, pmd_t *pmd, unsigned long addr);
int copy_huge_pmd(struct vm_area_struct *dst_vma, struct vm_area_struct *src_vma,
		  pmd_t *dst_pmd, pmd_t *src_pmd, unsigned long addr);
int change_huge_pmd(struct vm_area_struct *vma, pmd_t *pmd, unsigned long addr,
		    pteval_t newprot);
/*
 * move_huge_pmd(): mremap (mremap.c), @vma's mmap_lock held for write and
 * its reverse-map locks for write, no page-table lock.  If *@old_pmd is a
 * huge PMD (a THP, the huge zero page) or a PMD migration entry, move it,
 * with its deposited table, to *@new_pmd (empty; the 2 MiB at @new_addr
 * lies in the new VMA) and return true: nothing about the folio changes
 * (reference, mapcounts, rmap, anon-exclusive bits, pins).  False if
 * *@old_pmd is none or a PTE table (the caller's business).
 */
bool move_huge_pmd(struct vm_area_struct *vma, unsigned long old_addr,
		   unsigned long new_addr, pmd_t *old_pmd, pmd_t *new_pmd);

#endif /* PNM_MODEL_HUGE_MM_H */
