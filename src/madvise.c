// SPDX-License-Identifier: MIT
/*
 * madvise.c - advice about the use of memory (madvise(2)).
 *
 * Two kinds of advice are modelled, as in Linux:
 *
 *   MADV_DONTNEED       drop the pages now: the range is zapped and the
 *                       next access faults in zero-filled (anon) or the
 *                       object's (shmem) pages.  Runs under mmap_lock for
 *                       *read*, concurrently with faults, like Linux.
 *   MADV_POPULATE_READ/WRITE
 *                       fault the range in (write faults for _WRITE,
 *                       breaking COW and dirtying shared file pages) as
 *                       a CPU access would, keeping no reference: Linux's
 *                       madvise_populate(), never converted to FOLL_PIN
 *                       (docs/call-sites.md).  mmap_lock for read.  Its
 *                       errors are its own: a hole is -ENOMEM at once
 *                       (the parts before it stay populated), a VMA
 *                       without the permission or with VM_IO/VM_PFNMAP
 *                       -EINVAL, a fault that cannot be served -EFAULT
 *                       (SIGBUS/SIGSEGV) or -ENOMEM (no memory).
 *   MADV_COLD           deactivate the range's pages: their accessed bits
 *                       and PG_referenced cleared, anon ones moved to the
 *                       inactive list, so reclaim takes them before
 *                       pages in use (folio_deactivate).
 *   MADV_PAGEOUT        reclaim the range's pages now, whatever their
 *                       references: anon pages are swapped out (with a
 *                       swap device; maybe-pinned ones stay), clean page
 *                       cache is dropped (reclaim_folio_list).  Unlike
 *                       Linux, a write error of the swap device is
 *                       returned (the page stays in memory).
 *   MADV_FREE           the range's anon pages may be dropped instead of
 *                       swapped: clean, and lazily freed (no
 *                       PG_swapbacked, on the file LRU list); reclaim
 *                       frees them unless a write made them dirty again,
 *                       which cancels it; swap entries in the range are
 *                       freed at once.  Anonymous VMAs only.
 *                       These three skip pages mapped by more than one
 *                       PTE (shared with a fork child), split large
 *                       folios that lie partly in the range, work under
 *                       mmap_lock for *read* and refuse VM_LOCKED,
 *                       VM_PFNMAP and VM_HUGETLB areas (-EINVAL).
 *   MADV_COLLAPSE       collapse the range's 4 KiB pages into 2 MiB THPs
 *                       now (khugepaged.c, which has its own errors and
 *                       locking: mmap_lock for read to look, for write to
 *                       collapse).
 *   MADV_DONTFORK/DOFORK, MADV_HUGEPAGE/NOHUGEPAGE, MADV_NORMAL
 *                       change VMA flags (VM_DONTCOPY, VM_HUGEPAGE,
 *                       VM_NOHUGEPAGE), splitting VMAs at the edges of the
 *                       range and merging them back with compatible
 *                       neighbours; mmap_lock for write.  MADV_NORMAL only
 *                       clears read-ahead hints the model does not have, so
 *                       it changes nothing but still reports holes.
 *
 * Like Linux's madvise_walk_vmas(), the advice is applied to every mapped
 * part of the range and an unmapped hole is reported afterwards with
 * -ENOMEM.  A split that runs out of memory is reported as -EAGAIN, which
 * is what Linux turns that -ENOMEM into so that callers can tell it from a
 * hole.
 */
#include <stdlib.h>

#include "internal.h"

#ifndef PAGE_ALIGN
#define PAGE_ALIGN(x)	ALIGN((x), PAGE_SIZE)
#endif

static bool madvise_behavior_valid(int advice)
{
	switch (advice) {
	case MADV_NORMAL:
	case MADV_DONTNEED:
	case MADV_DONTFORK:
	case MADV_DOFORK:
	case MADV_HUGEPAGE:
	case MADV_NOHUGEPAGE:
	case MADV_POPULATE_READ:
	case MADV_POPULATE_WRITE:
	case MADV_COLD:
	case MADV_PAGEOUT:
	case MADV_FREE:
	case MADV_COLLAPSE:
		return true;
	default:
		return false;
	}
}

/* DONTNEED, POPULATE, COLD, PAGEOUT and FREE run with mmap_lock for read,
 * the rest for write. */
static bool madvise_need_mmap_write(int advice)
{
	switch (advice) {
	case MADV_DONTNEED:
	case MADV_POPULATE_READ:
	case MADV_POPULATE_WRITE:
	case MADV_COLD:
	case MADV_PAGEOUT:
	case MADV_FREE:
		return false;
	default:
		return true;
	}
}

/* --- MADV_COLD, MADV_PAGEOUT, MADV_FREE ----------------------------------------- */

/* One advice over one VMA part; MADV_PAGEOUT's folios go to reclaim per
 * PMD range, with the ptl dropped. */
struct madvise_lru_walk {
	int advice;
	struct folio *folios[PTRS_PER_PTE];	/* isolated for MADV_PAGEOUT */
	unsigned int nr;
	int err;				/* first swap write error */
};

/* Hand the isolated folios to reclaim; no ptl held. */
static void madvise_pageout_flush(struct madvise_lru_walk *w)
{
	int err;

	if (!w->nr)
		return;
	reclaim_folio_list(w->folios, w->nr, &err);
	if (err && !w->err)
		w->err = err;
	w->nr = 0;
}

/*
 * Apply the advice to @folio, mapped (alone: not shared with another
 * mapping) by the locked PTE at @pte, or by the locked PMD @pmd if @pte
 * is NULL (a whole THP in the range).
 */
static void madvise_lru_folio(struct vm_area_struct *vma, unsigned long addr,
			      pte_t *pte, pmd_t *pmd, struct folio *folio,
			      struct madvise_lru_walk *w)
{
	struct mm_struct *mm = vma->vm_mm;

	switch (w->advice) {
	case MADV_COLD:
		if (pte)
			ptep_test_and_clear_young(vma, addr, pte);
		else
			pmdp_test_and_clear_young(vma, addr, pmd);
		folio_deactivate(folio);
		break;
	case MADV_PAGEOUT:
		if (pte)
			ptep_test_and_clear_young(vma, addr, pte);
		else
			pmdp_test_and_clear_young(vma, addr, pmd);
		ClearPageReferenced(&folio->page);
		/* The mapping's reference holds it while we isolate. */
		if (w->nr < ARRAY_SIZE(w->folios) && folio_isolate_lru(folio))
			w->folios[w->nr++] = folio;
		break;
	case MADV_FREE:
		if (!folio_test_anon(folio))
			break;
		/* A cached swap copy goes (if nothing else needs it), and the
		 * data becomes "clean": reclaim may drop it from now on. */
		if (folio_test_swapcache(folio) || folio_test_dirty(folio)) {
			if (!folio_trylock(folio))
				break;
			if (folio_test_swapcache(folio) && !folio_free_swap(folio)) {
				folio_unlock(folio);
				break;
			}
			ClearPageDirty(&folio->page);
			folio_unlock(folio);
		}
		/* Old and clean: a later write sets the dirty bit again and
		 * cancels the free.  seq_cst clear, then the new value, as
		 * mprotect does (gup-fast's recheck sees the change). */
		if (pte) {
			pte_t old = ptep_get_and_clear(mm, addr, pte);

			set_pte_at(mm, addr, pte, pte_mkclean(pte_mkold(old)));
		} else {
			pmd_t old = pmdp_huge_get_and_clear(mm, addr, pmd);

			set_pmd_at(mm, addr, pmd, __pmd(pmd_val(old) & ~(_PAGE_ACCESSED | _PAGE_DIRTY)));
		}
		folio_mark_lazyfree(folio);
		break;
	}
}

/*
 * Split the large @folio (referenced by the caller, no ptl held) so its
 * pages can be advised one by one: true if done.  Only trylocks, as
 * Linux does here; a pinned or busy folio stays whole.
 */
static bool madvise_split_folio(struct folio *folio)
{
	bool done;

	if (!folio_trylock(folio))
		return false;
	done = !split_folio(folio);
	folio_unlock(folio);
	return done;
}

/* The PTEs of [addr, end) (inside one PMD table) of @vma. */
static void madvise_lru_ptes(struct vm_area_struct *vma, pmd_t *pmd, unsigned long addr,
			     unsigned long end, struct madvise_lru_walk *w)
{
	struct mm_struct *mm = vma->vm_mm;
	spinlock_t *ptl;
	pte_t *pte;

restart:
	pte = pte_offset_map_lock(mm, pmd, addr, &ptl);
	if (!pte)
		return;
	for (; addr < end; addr += PAGE_SIZE, pte++) {
		pte_t ptent = ptep_get(pte);
		struct folio *folio;
		struct page *page;

		if (pte_none(ptent))
			continue;
		if (!pte_present(ptent)) {
			/* MADV_FREE: a swapped-out page is dropped at once. */
			if (w->advice == MADV_FREE && is_swap_entry_pte(ptent)) {
				ptep_get_and_clear(mm, addr, pte);
				add_mm_counter(mm, MM_SWAPENTS, -1);
				free_swap_and_cache(pte_to_swp_entry(ptent));
			}
			continue;
		}
		page = vm_normal_page(vma, addr, ptent);
		if (!page)
			continue;
		folio = page_folio(page);
		/* Shared with another mapping (a fork child): not ours to
		 * advise (Linux's folio_likely_mapped_shared()). */
		if (page_mapcount(page) > 1)
			continue;
		if (folio_test_large(folio)) {
			unsigned long left = folio_nr_pages(folio) - folio_page_idx(folio, page);
			bool split;

			folio_get(folio);
			pte_unmap_unlock(pte, ptl);
			split = madvise_split_folio(folio);
			folio_put(folio);
			if (!split)	/* leave the rest of it as it is */
				addr = min_t(unsigned long, end, addr + left * PAGE_SIZE);
			goto restart;
		}
		madvise_lru_folio(vma, addr, pte, NULL, folio, w);
	}
	pte_unmap_unlock(pte - 1, ptl);
	if (w->advice == MADV_PAGEOUT)
		madvise_pageout_flush(w);
}

/*
 * MADV_COLD / MADV_PAGEOUT / MADV_FREE over [start, end), inside @vma
 * (Linux's madvise_cold_or_pageout_pte_range() and
 * madvise_free_pte_range()): a THP mapped by a PMD wholly in the range is
 * advised whole (reclaim splits it), one only partly in it is split to
 * PTEs first.  Returns 0 or -EINVAL (a VMA the advice refuses), or for
 * MADV_PAGEOUT the first swap write error.  mmap_lock held for read.
 */
static int madvise_lru(struct vm_area_struct *vma, unsigned long start,
		       unsigned long end, int advice)
{
	struct madvise_lru_walk *w;
	struct mm_struct *mm = vma->vm_mm;
	unsigned long addr, next;
	int err;

	/* can_madv_lru_vma() */
	if (vma->vm_flags & (VM_LOCKED | VM_PFNMAP | VM_HUGETLB))
		return -EINVAL;
	if (advice == MADV_FREE && !vma_is_anonymous(vma))
		return -EINVAL;
	w = pnm_calloc(PNM_FAULT_ALLOC, 1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	w->advice = advice;
	for (addr = start; addr < end; addr = next) {
		pmd_t *pmd = pnm_pmd_lookup(mm, addr);
		spinlock_t *ptl;
		pmd_t val;

		next = (addr + PMD_SIZE) & PMD_MASK;
		if (next > end || !next)
			next = end;
		if (!pmd)
			continue;
		val = pmdp_get_lockless(pmd);
		if (pmd_none(val) || is_swap_pmd(val))
			continue;
		if (pmd_trans_huge(val)) {
			if (IS_ALIGNED(addr, PMD_SIZE) && next - addr == PMD_SIZE) {
				ptl = pmd_lock(mm, pmd);
				val = pmdp_get(pmd);
				if (pmd_trans_huge(val) && !pmd_special(val)) {
					struct folio *folio = pfn_folio(pmd_pfn(val));

					if (folio_mapcount(folio) == (int)folio_nr_pages(folio))
						madvise_lru_folio(vma, addr, NULL, pmd, folio, w);
				}
				spin_unlock(ptl);
				if (advice == MADV_PAGEOUT)
					madvise_pageout_flush(w);
				continue;
			}
			if (__split_huge_pmd(vma, pmd, addr))
				continue;	/* no frame for the PTE table */
		}
		madvise_lru_ptes(vma, pmd, addr, next, w);
	}
	err = w->err;
	free(w);
	return err;
}

/*
 * MADV_POPULATE_READ/WRITE over [start, end) (Linux's madvise_populate()
 * and faultin_page_range(), without GUP's page array): each VMA in turn
 * is checked as GUP's check_vma_flags() would without FOLL_FORCE and
 * faulted in.  Returns 0 or the first error (see the file comment).
 * mmap_lock held for read.
 */
static int madvise_populate(struct mm_struct *mm, unsigned long start, unsigned long end,
			    int advice)
{
	bool write = advice == MADV_POPULATE_WRITE;

	while (start < end) {
		struct vm_area_struct *vma = vma_lookup(mm, start);
		unsigned long tmp;
		vm_fault_t ret;

		if (!vma)
			return -ENOMEM;
		if ((vma->vm_flags & (VM_IO | VM_PFNMAP)) ||
		    !(vma->vm_flags & (write ? VM_WRITE : VM_READ)))
			return -EINVAL;
		tmp = min_t(unsigned long, vma->vm_end, end);
		ret = faultin_vma_range(vma, start, tmp, write);
		if (ret & VM_FAULT_OOM)
			return -ENOMEM;
		if (ret)
			return -EFAULT;
		start = tmp;
	}
	return 0;
}

/*
 * Apply @advice to [start, end), which lies inside @vma.  Returns 0 or
 * -errno (-EINVAL for advice the VMA refuses, -EAGAIN from a split).
 */
static int madvise_vma_behavior(struct vm_area_struct *vma, unsigned long start,
				unsigned long end, int advice)
{
	unsigned long new_flags = vma->vm_flags;

	switch (advice) {
	case MADV_DONTNEED:
		if (is_vm_hugetlb_page(vma)) {
			/* Linux's madvise_dontneed_free_valid_vma(): whole
			 * huge pages from an aligned start (the end rounds
			 * down, so no data is lost by surprise). */
			struct hstate *h = hstate_vma(vma);

			if (start & ~huge_page_mask(h))
				return -EINVAL;
			end &= huge_page_mask(h);
			if (start < end)
				zap_page_range_single(vma, start, end - start);
			return 0;
		}
		/* can_madv_lru_vma(): locked and raw-PFN mappings stay. */
		if (vma->vm_flags & (VM_LOCKED | VM_PFNMAP))
			return -EINVAL;
		zap_page_range_single(vma, start, end - start);
		return 0;
	case MADV_COLD:
	case MADV_PAGEOUT:
	case MADV_FREE:
		return madvise_lru(vma, start, end, advice);
	case MADV_NORMAL:
		return 0;
	case MADV_DONTFORK:
		new_flags |= VM_DONTCOPY;
		break;
	case MADV_DOFORK:
		if (vma->vm_flags & VM_IO)
			return -EINVAL;
		new_flags &= ~VM_DONTCOPY;
		break;
	case MADV_HUGEPAGE:
		new_flags &= ~VM_NOHUGEPAGE;
		new_flags |= VM_HUGEPAGE;
		break;
	case MADV_NOHUGEPAGE:
		new_flags &= ~VM_HUGEPAGE;
		new_flags |= VM_NOHUGEPAGE;
		break;
	}
	return vma_modify_flags(vma, start, end, new_flags);
}

/*
 * Linux's madvise_walk_vmas(): visit each VMA part of [start, end); an
 * error from a visit stops the walk and is returned; a hole is remembered
 * and reported as -ENOMEM once the mapped parts have been done.  Caller
 * holds mmap_lock in the mode the advice needs.
 */
static int madvise_walk_vmas(struct mm_struct *mm, unsigned long start,
			     unsigned long end, int advice)
{
	struct vm_area_struct *vma = find_vma(mm, start);
	int unmapped_error = 0, io_error = 0;

	for (;;) {
		unsigned long tmp;
		int err;

		if (!vma)
			return io_error ? io_error : -ENOMEM;
		if (start < vma->vm_start) {
			unmapped_error = -ENOMEM;
			start = vma->vm_start;
			if (start >= end)
				break;
		}
		tmp = min_t(unsigned long, vma->vm_end, end);
		err = madvise_vma_behavior(vma, start, tmp, advice);
		/* A swap write error of MADV_PAGEOUT: go on, report it last. */
		if (advice == MADV_PAGEOUT && (err == -EIO || err == -ENOSPC)) {
			if (!io_error)
				io_error = err;
			err = 0;
		}
		if (err)
			return err;
		start = tmp;
		if (start >= end)
			break;
		/* The VMA may have been split or merged: look up again. */
		vma = find_vma(mm, start);
	}
	return io_error ? io_error : unmapped_error;
}

/*
 * madvise(2) for the model.  Returns 0, or
 *   -EINVAL  unknown advice, unaligned @start, a length that wraps, or
 *            MADV_DONTNEED on a VM_LOCKED/VM_PFNMAP mapping or from a
 *            start inside a hugetlb page, a range that would split a
 *            hugetlb mapping inside a huge page, MADV_DOFORK
 *            on VM_IO, MADV_POPULATE_* on a VMA without the permission
 *            or with VM_IO/VM_PFNMAP
 *   -ENOMEM  part of the range is not mapped (the advice was still
 *            applied to the mapped parts, as in Linux; MADV_POPULATE_*
 *            stops at the hole), or no memory to populate
 *   -EFAULT  MADV_POPULATE_*: a fault failed (e.g. beyond a file's end)
 *   -EAGAIN  a VMA could not be split for lack of memory
 *   -EIO, -ENOSPC  MADV_PAGEOUT: the swap device failed to write a page
 *            (it stays in memory; the rest of the range was done; this
 *            error is reported before a hole's -ENOMEM)
 * MADV_COLD, MADV_PAGEOUT and MADV_FREE refuse VM_LOCKED, VM_PFNMAP and
 * VM_HUGETLB areas, MADV_FREE any but anonymous ones (-EINVAL).
 * MADV_COLLAPSE returns madvise_collapse()'s errors (internal.h).
 * A zero length is a successful no-op.  Takes mmap_lock for read
 * (MADV_DONTNEED, MADV_POPULATE_*, MADV_COLD, MADV_PAGEOUT, MADV_FREE) or
 * write (everything else).
 */
int pnm_mm_madvise(struct mm_struct *mm, unsigned long start, unsigned long len_in,
		int advice)
{
	bool write = madvise_need_mmap_write(advice);
	unsigned long len, end;
	int err;

	if (!madvise_behavior_valid(advice))
		return -EINVAL;
	if (!IS_ALIGNED(start, PAGE_SIZE))
		return -EINVAL;
	len = PAGE_ALIGN(len_in);
	/* A tiny negative length rounds up to zero. */
	if (len_in && !len)
		return -EINVAL;
	end = start + len;
	if (end < start)
		return -EINVAL;
	if (end == start)
		return 0;
	/* khugepaged.c takes mmap_lock itself, read and write in turn. */
	if (advice == MADV_COLLAPSE)
		return madvise_collapse(mm, start, end);

	if (write)
		mmap_write_lock(mm);
	else
		mmap_read_lock(mm);
	if (advice == MADV_POPULATE_READ || advice == MADV_POPULATE_WRITE)
		err = madvise_populate(mm, start, end, advice);
	else
		err = madvise_walk_vmas(mm, start, end, advice);
	if (write)
		mmap_write_unlock(mm);
	else
		mmap_read_unlock(mm);
	return err;
}
