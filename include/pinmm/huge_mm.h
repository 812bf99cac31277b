/* SPDX-License-Identifier: MIT */
/*
 * huge_mm.h - transparent huge pages (2 MiB anonymous folios).
 */
#ifndef PINMM_HUGE_MM_H
#define PINMM_HUGE_MM_H

#include <pinmm/mm.h>

enum pnm_thp_mode { PNM_THP_NEVER, PNM_THP_MADVISE, PNM_THP_ALWAYS };

/* True if a PMD-sized anon folio may back @addr in @vma (mode, VM_HUGEPAGE/
 * VM_NOHUGEPAGE, the aligned 2 MiB range lies inside the VMA). */
bool thp_vma_suitable(struct vm_area_struct *vma, unsigned long addr);
/* Anonymous THP fault on an empty PMD: allocate and map a 2 MiB folio (or
 * the zero page... not modelled: read faults also allocate).  Returns
 * VM_FAULT_FALLBACK if no 2 MiB block is free (thp_fault_fallback). */
vm_fault_t do_huge_pmd_anonymous_page(struct vm_fault *vmf);
/* Write fault on a read-only huge PMD: reuse if exclusive, else split the
 * PMD and let the PTE path copy (VM_FAULT_FALLBACK). */
vm_fault_t do_huge_pmd_wp_page(struct vm_fault *vmf);
/*
 * Replace a huge PMD mapping by a PTE table mapping the same 512 pages
 * (same permissions, per-page anon-exclusive kept).  Caller holds
 * mmap_lock; takes the PMD lock.  No-op if *pmd is not huge.
 * Returns 0 or -ENOMEM (no frame for the PTE table).
 */
int __split_huge_pmd(struct vm_area_struct *vma, pmd_t *pmd, unsigned long address);
/* Split the PMD covering @address, if it is huge. */
int split_huge_pmd_address(struct vm_area_struct *vma, unsigned long address);
/*
 * Split a large folio into order-0 folios.  The folio must be locked by
 * the caller and the caller must hold one reference.  Fails with -EBUSY if
 * references other than mappings, the page cache and the caller's exist
 * (pins, gets), or -EAGAIN if a mapping mm's lock is busy.  On success the
 * head remains locked and referenced by the caller; the other pages are
 * unlocked, each with the references of its own mappings.
 */
int split_folio(struct folio *folio);
/* Zap/copy/protect helpers used by memory.c, fork and mprotect. */
int zap_huge_pmd(struct vm_area_struct *vma, pmd_t *pmd, unsigned long addr);
int copy_huge_pmd(struct vm_area_struct *dst_vma, struct vm_area_struct *src_vma,
		  pmd_t *dst_pmd, pmd_t *src_pmd, unsigned long addr);
int change_huge_pmd(struct vm_area_struct *vma, pmd_t *pmd, unsigned long addr,
		    pteval_t newprot);

#endif /* PINMM_HUGE_MM_H */
