// SPDX-License-Identifier: MIT
/*
 * mmap.c - creating and destroying mappings: mmap(2), munmap(2) and the
 * teardown of a dying address space.
 *
 * pnm_mm_mmap() follows Linux's do_mmap()/mmap_region(): validate the
 * arguments, compute the VMA flags (VM_MAY* included), choose an address
 * (the hint if it is free, else a top-down search below mm->mmap_base),
 * let the backing object set the VMA up (file->f_op->mmap, or a shmem object
 * for MAP_SHARED|MAP_ANONYMOUS), replace what was there for MAP_FIXED,
 * insert the VMA and merge it with compatible neighbours.  MAP_POPULATE
 * then faults the range in with mmap_lock downgraded to read.
 *
 * The model's contract is stricter than Linux in one respect: on error
 * *nothing* changes.  Everything that can fail (the VMA, room in the VMA
 * array, the object's mmap hook, the splits a MAP_FIXED replacement needs)
 * is done before the first existing mapping is touched; Linux instead may
 * leave a MAP_FIXED range unmapped when a late step fails.
 *
 * Flag validation (a deliberate choice): Linux ignores unknown mmap flags
 * unless the caller asks for checking with MAP_SHARED_VALIDATE, purely for
 * compatibility with old binaries.  The model has no old binaries, and a
 * silently ignored flag in a test or scenario is a bug waiting to be
 * misread, so every flag outside the supported set is -EINVAL whatever the
 * mapping type.  MAP_SHARED_VALIDATE is numerically MAP_SHARED|MAP_PRIVATE
 * and is refused as "both types" (-EINVAL), as mm.h specifies.  Likewise
 * unknown PROT_ bits are -EINVAL (Linux's mmap ignores them; its mprotect
 * refuses them).
 *
 * munmap splits the VMAs at the edges of the range first (so that an
 * -ENOMEM leaves everything as it was), then zaps the pages, frees page
 * tables no remaining VMA needs, and releases the VMAs.
 *
 * pnm_mm_msync() is msync(2): MS_SYNC fsyncs the file range behind each
 * shared file mapping, dropping mmap_lock around every fsync.
 *
 * pnm_mm_mmap_pfnmap() makes a device-style VM_IO/VM_PFNMAP mapping by
 * mmap()ing a one-off device file whose f_op->mmap marks the VMA (the GUP
 * tests and scenarios use it to show GUP refusing such areas).
 */
#include <stdlib.h>

#include "internal.h"

#ifndef PAGE_ALIGN
#define PAGE_ALIGN(x)	ALIGN((x), PAGE_SIZE)
#endif

#define PNM_PROT_KNOWN	(PROT_READ | PROT_WRITE | PROT_EXEC)
#define PNM_MAP_KNOWN	(MAP_SHARED | MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | \
			 MAP_FIXED_NOREPLACE | MAP_POPULATE | MAP_NORESERVE | \
			 PNM_MAP_HUGETLB | PNM_MAP_HUGE_BITS)
#define PNM_MAP_HUGE_BITS	((unsigned long)PNM_MAP_HUGE_MASK << PNM_MAP_HUGE_SHIFT)
BUILD_BUG_ON(PNM_MAP_HUGETLB != MAP_HUGETLB);

static unsigned long calc_vm_prot_bits(unsigned long prot)
{
	return ((prot & PROT_READ) ? VM_READ : 0) |
	       ((prot & PROT_WRITE) ? VM_WRITE : 0) |
	       ((prot & PROT_EXEC) ? VM_EXEC : 0);
}

/* --- choosing an address ---------------------------------------------------- */

/*
 * Highest address in [low, high) where @len bytes aligned to @align fit
 * between existing VMAs, or 0 if none.  Caller holds mmap_lock.
 */
static unsigned long unmapped_area_topdown(struct mm_struct *mm,
					   unsigned long len, unsigned long align,
					   unsigned long low, unsigned long high)
{
	struct pnm_vma_set *set = &mm->mm_vmas;
	int i;

	for (i = set->nr; i >= 0; i--) {
		unsigned long gap_lo = i > 0 ? set->vmas[i - 1]->vm_end : 0;
		unsigned long gap_hi = i < set->nr ? set->vmas[i]->vm_start : ~0UL;
		unsigned long cand;

		gap_lo = max_t(unsigned long, gap_lo, low);
		gap_hi = min_t(unsigned long, gap_hi, high);
		if (gap_hi <= low)
			break;
		if (gap_hi <= gap_lo || gap_hi - gap_lo < len)
			continue;
		cand = ALIGN_DOWN(gap_hi - len, align);
		if (cand >= gap_lo)
			return cand;
	}
	return 0;
}

/*
 * Lowest address in [low, high) where @len bytes aligned to @align fit,
 * or 0.  The fallback when nothing is free below mmap_base, as in Linux.
 */
static unsigned long unmapped_area_bottomup(struct mm_struct *mm,
					    unsigned long len, unsigned long align,
					    unsigned long low, unsigned long high)
{
	struct pnm_vma_set *set = &mm->mm_vmas;
	int i;

	for (i = 0; i <= set->nr; i++) {
		unsigned long gap_lo = i > 0 ? set->vmas[i - 1]->vm_end : 0;
		unsigned long gap_hi = i < set->nr ? set->vmas[i]->vm_start : ~0UL;
		unsigned long cand;

		gap_lo = max_t(unsigned long, gap_lo, low);
		gap_hi = min_t(unsigned long, gap_hi, high);
		if (gap_lo >= high)
			break;
		if (gap_hi <= gap_lo)
			continue;
		cand = ALIGN(gap_lo, align);
		if (cand >= gap_lo && cand < gap_hi && gap_hi - cand >= len)
			return cand;
	}
	return 0;
}

/*
 * Linux's get_unmapped_area() for the model: MAP_FIXED addresses are
 * checked (-ENOMEM outside user space, -EINVAL unaligned, -EPERM below
 * mmap_min_addr); a free page-aligned hint is honoured; otherwise the
 * highest free range below mmap_base, then the lowest above it.
 * Private anonymous mappings whose length is a multiple of PMD_SIZE are
 * placed PMD aligned so that THP can back them (Linux >= 6.7).  Returns
 * the address or -errno.  Caller holds mmap_lock.  Also mremap's search
 * (internal.h).
 */
long get_unmapped_area(struct mm_struct *mm, struct file *file,
			      unsigned long addr, unsigned long len,
			      unsigned long flags)
{
	unsigned long top = mm->task_size, align = PAGE_SIZE, area;
	bool huge = file && is_file_hugepages(file);

	if (len > top - MMAP_MIN_ADDR)
		return -ENOMEM;
	/* hugetlb: aligned to the huge page size (Linux's
	 * hugetlb_get_unmapped_area(); a fixed address must be). */
	if (huge)
		align = huge_page_size(hstate_file(file));
	if (flags & MAP_FIXED) {
		if (addr > top - len)
			return -ENOMEM;
		if (!IS_ALIGNED(addr, align))
			return -EINVAL;
		if (addr < MMAP_MIN_ADDR)
			return -EPERM;	/* security_mmap_addr() */
		return (long)addr;
	}
	if (huge && addr)
		addr = ALIGN(addr, align);
	if (addr) {
		if (addr <= top - len && !find_vma_intersection(mm, addr, addr + len))
			return (long)addr;
	} else if (!file && (flags & MAP_TYPE) == MAP_PRIVATE &&
		   IS_ALIGNED(len, PMD_SIZE)) {
		align = PMD_SIZE;
	}
	area = unmapped_area_topdown(mm, len, align, MMAP_MIN_ADDR, mm->mmap_base);
	if (!area)
		area = unmapped_area_bottomup(mm, len, align, mm->mmap_base, top);
	return area ? (long)area : -ENOMEM;
}

/* --- unmapping ----------------------------------------------------------- */

/*
 * Unmap [start, start + len) (page aligned, inside user space).  Splits the
 * VMAs straddling the edges, zaps the pages, takes the VMAs out of the
 * reverse map, frees the page tables that only the removed VMAs needed
 * (after the unlinking: a reverse-map walker that found one of the VMAs
 * still reads its tables), and releases the VMAs (vm_ops->close, fput).  Returns 0 or -ENOMEM (a split could not get memory), in which
 * case the VMA set is as it was.  Caller holds mmap_lock for write.
 * Also mremap's (internal.h).
 */
int do_munmap(struct mm_struct *mm, unsigned long start, unsigned long len)
{
	unsigned long end = start + len, floor, ceiling;
	struct vm_area_struct *vma, *first, *last, *prev, *next;
	struct vm_area_struct *split_lo = NULL;
	int err;

	mmap_assert_write_locked(mm);
	first = find_vma(mm, start);
	if (!first || first->vm_start >= end)
		return 0;

	err = vma_set_reserve(mm, 2);
	if (err)
		return err;
	if (start > first->vm_start) {
		/* Splitting in the middle adds a VMA: respect the limit. */
		if (end < first->vm_end &&
		    mm->map_count >= READ_ONCE(sysctl_max_map_count))
			return -ENOMEM;
		err = split_vma(first, start, 0);
		if (err)
			return err;
		split_lo = first;
		first = vma_next(first);
	}
	last = find_vma(mm, end - 1);
	if (last && last->vm_start < end && last->vm_end > end) {
		err = split_vma(last, end, 0);
		if (err) {
			if (split_lo)
				vma_unsplit(mm, split_lo, first);
			return err;
		}
	}

	/* Nothing can fail from here on. */
	prev = vma_prev(first);
	next = find_vma(mm, end);	/* nothing straddles @end any more */
	floor = prev ? prev->vm_end : 0;
	ceiling = next ? next->vm_start : 0;

	unmap_vmas(mm, first, start, end);
	for (vma = first; vma && vma->vm_start < end; vma = vma_next(vma)) {
		unlink_anon_vmas(vma);
		unlink_file_vma(vma);
	}
	free_pgd_range(mm, start, end, floor, ceiling);
	while ((vma = find_vma_intersection(mm, start, end))) {
		vma_set_remove(mm, vma);
		remove_vma(vma);
	}
	pnm_trace(PNM_TRACE_MUNMAP, mm->owner_pid, start, len, 0, 0);
	return 0;
}

/*
 * munmap(2).  Returns 0 (also when nothing was mapped there), or -EINVAL
 * (unaligned @start, zero length, range not inside user space), or -ENOMEM
 * (a VMA straddling an edge could not be split; nothing changed).  Takes
 * mmap_lock for write.
 */
int pnm_mm_munmap(struct mm_struct *mm, unsigned long start, unsigned long len)
{
	int err;

	if (!IS_ALIGNED(start, PAGE_SIZE) || start > mm->task_size ||
	    len > mm->task_size - start)
		return -EINVAL;
	len = PAGE_ALIGN(len);
	if (!len)
		return -EINVAL;

	mmap_write_lock(mm);
	err = do_munmap(mm, start, len);
	mmap_write_unlock(mm);
	return err;
}

/* --- mapping ------------------------------------------------------------------ */

/*
 * Create the VMA for [addr, addr + len) (address already chosen and
 * validated) and put it in place, replacing whatever overlaps it.  Returns
 * @addr or -errno with nothing changed.  Caller holds mmap_lock for write.
 */
static long mmap_region(struct mm_struct *mm, struct file *file,
			unsigned long addr, unsigned long len,
			unsigned long vm_flags, pgoff_t pgoff)
{
	struct vm_area_struct *vma;
	bool writable = file && file->f_mapping &&
			(vm_flags & (VM_SHARED | VM_MAYWRITE)) == (VM_SHARED | VM_MAYWRITE);
	int err;

	/*
	 * A writable shared file mapping holds the mapping writable while it
	 * is set up (Linux's mapping_map_writable() in mmap_region()): a
	 * racing F_SEAL_WRITE either sees it (-EBUSY) or got in first
	 * (-EPERM here).  The VMA counts on its own once in i_mmap
	 * (interval_tree.c); the hold is dropped after that.
	 */
	if (writable) {
		err = mapping_map_writable(file->f_mapping);
		if (err)
			return err;
	}
	vma = vm_area_alloc(mm);
	if (!vma) {
		err = -ENOMEM;
		goto out_unmap_writable;
	}
	vma->vm_start = addr;
	vma->vm_end = addr + len;
	/* A new mapping is new data to a soft-dirty tracker (pagemap): all
	 * of it reads soft-dirty until the next clear_refs. */
	vma->vm_flags = vm_flags | VM_SOFTDIRTY;
	vma->vm_pgoff = pgoff;

	/* Room for a MAP_FIXED unmap's two splits plus the new VMA. */
	err = vma_set_reserve(mm, 3);
	if (err)
		goto out_free_vma;

	if (file) {
		get_file(file);
		vma->vm_file = file;
		err = file->f_op->mmap(file, vma);
		if (err)
			goto out_fput;
		VM_WARN_ON_ONCE(!vma->vm_ops);
		VM_BUG_ON(vma->vm_start != addr || vma->vm_end != addr + len);
	} else if (vm_flags & VM_SHARED) {
		err = shmem_zero_setup(vma);
		if (err)
			goto out_fput;
	}

	if (find_vma_intersection(mm, addr, addr + len)) {
		err = do_munmap(mm, addr, len);
		if (err)
			goto out_close;
	}

	err = vma_set_insert(mm, vma);
	VM_BUG_ON(err);		/* room reserved above */
	vma_link_file(vma);
	vma_merge_neighbours(mm, vma);
	if (writable)
		mapping_unmap_writable(file->f_mapping);
	return (long)addr;

out_close:
	if (vma->vm_ops && vma->vm_ops->close)
		vma->vm_ops->close(vma);
out_fput:
	if (vma->vm_file)
		fput(vma->vm_file);
out_free_vma:
	vm_area_free(vma);
out_unmap_writable:
	if (writable)
		mapping_unmap_writable(file->f_mapping);
	return err;
}

/*
 * Is @addr already mapped the way an access of the given kind needs
 * (present, user accessible, writable if @write)?  Caller holds mmap_lock.
 */
static bool populated(struct mm_struct *mm, unsigned long addr, bool write)
{
	spinlock_t *ptl;
	pte_t *ptep, pte;
	pmd_t *pmd, pmdval;
	bool ok;

	pmd = pnm_pmd_lookup(mm, addr);
	if (!pmd)
		return false;
	pmdval = pmdp_get(pmd);
	if (pmd_trans_huge(pmdval))
		return !write || pmd_write(pmdval);
	if (pmd_none(pmdval) || !pmd_present(pmdval))
		return false;
	ptep = pte_offset_map_lock(mm, pmd, addr, &ptl);
	if (!ptep)
		return false;
	pte = ptep_get(ptep);
	ok = pte_present(pte) && !pte_protnone(pte) && (!write || pte_write(pte));
	pte_unmap_unlock(ptep, ptl);
	return ok;
}

/*
 * faultin_vma_range - see internal.h (mmap.c section).
 */
vm_fault_t faultin_vma_range(struct vm_area_struct *vma, unsigned long start,
			     unsigned long end, bool write)
{
	/* A hugetlb page is faulted once for all its base pages. */
	unsigned long step = vma_kernel_pagesize(vma), addr;

	mmap_assert_locked(vma->vm_mm);
	for (addr = start & ~(step - 1); addr < end; addr += step) {
		vm_fault_t ret;

		if (populated(vma->vm_mm, addr, write))
			continue;
		ret = handle_mm_fault(vma, addr, write ? FAULT_FLAG_WRITE : 0);
		if (ret & VM_FAULT_ERROR)
			return ret;
	}
	return 0;
}

/*
 * mm_populate - see internal.h (mmap.c section).  The VMAs are looked up
 * afresh at every step: the caller may have dropped the lock to read since
 * the range was mapped.
 */
vm_fault_t mm_populate(struct mm_struct *mm, unsigned long start, unsigned long end)
{
	unsigned long addr = start;

	mmap_assert_locked(mm);
	while (addr < end) {
		struct vm_area_struct *vma = find_vma(mm, addr);
		unsigned long vend;
		vm_fault_t ret;

		if (!vma || vma->vm_start >= end)
			return 0;
		if (addr < vma->vm_start)
			addr = vma->vm_start;
		vend = min_t(unsigned long, vma->vm_end, end);
		if ((vma->vm_flags & VM_ACCESS_FLAGS) && !(vma->vm_flags & (VM_IO | VM_PFNMAP))) {
			/* Write faults break COW up front; shared mappings are
			 * not dirtied for nothing. */
			ret = faultin_vma_range(vma, addr, vend,
						(vma->vm_flags & (VM_WRITE | VM_SHARED)) == VM_WRITE);
			if (ret)
				return ret;
		}
		addr = vend;
	}
	return 0;
}

/*
 * mmap(2) for the model; see mm.h for the contract and the file comment
 * for the flag-validation choice.  Errors, in Linux's order of checking:
 *   -EINVAL  unaligned @off, zero @len, unknown PROT_/MAP_ bits, not
 *            exactly one of MAP_PRIVATE/MAP_SHARED, MAP_ANONYMOUS with a
 *            file, unaligned MAP_FIXED address
 *   -ENOMEM  @len overflows when rounded, no room, range outside user
 *            space, too many VMAs, or out of memory
 *   -EOVERFLOW  file offset + length wraps
 *   -EACCES  file not open for reading, or PROT_WRITE|MAP_SHARED on a file
 *            not open for writing
 *   -EPERM   MAP_FIXED below mmap_min_addr
 *   -EEXIST  MAP_FIXED_NOREPLACE and something is mapped there
 *   -ENODEV  the file cannot be mapped
 * On error nothing has changed.  Takes mmap_lock for write; MAP_POPULATE
 * downgrades it to read to fault the range in.
 */
long pnm_mm_mmap(struct mm_struct *mm, unsigned long addr, unsigned long len,
	      unsigned long prot, unsigned long flags, struct file *file,
	      unsigned long off)
{
	unsigned long type = flags & MAP_TYPE, vm_flags, hsize = PAGE_SIZE;
	struct file *hfile = NULL;
	struct hstate *h = NULL;
	pgoff_t pgoff;
	long ret;

	if (!IS_ALIGNED(off, PAGE_SIZE))
		return -EINVAL;
	if (!len)
		return -EINVAL;
	if ((prot & ~PNM_PROT_KNOWN) || (flags & ~PNM_MAP_KNOWN))
		return -EINVAL;
	if (type != MAP_SHARED && type != MAP_PRIVATE)
		return -EINVAL;
	if (file && (flags & MAP_ANONYMOUS))
		return -EINVAL;
	/*
	 * hugetlb (Linux's ksys_mmap_pgoff()): a hugetlbfs file, or
	 * MAP_HUGETLB anonymous memory of the size in the MAP_HUGE_* bits
	 * (default 2 MiB); the length is rounded up to the huge page size.
	 * A page size without MAP_HUGETLB is refused here (Linux ignores it).
	 */
	if (file && is_file_hugepages(file)) {
		h = hstate_file(file);
	} else if (flags & MAP_HUGETLB) {
		unsigned long log = (flags & PNM_MAP_HUGE_BITS) >> PNM_MAP_HUGE_SHIFT;

		if (file)
			return -EINVAL;
		h = size_to_hstate(log ? 1UL << log : PNM_HUGETLB_2M);
		if (!h)
			return -EINVAL;
	} else if (flags & PNM_MAP_HUGE_BITS) {
		return -EINVAL;
	}
	if (h)
		hsize = huge_page_size(h);
	if (flags & MAP_FIXED_NOREPLACE)
		flags |= MAP_FIXED;
	if (!(flags & MAP_FIXED)) {
		/* round_hint_to_min() */
		addr &= PAGE_MASK;
		if (addr && addr < MMAP_MIN_ADDR)
			addr = MMAP_MIN_ADDR;
	}
	len = ALIGN(len, hsize);
	if (!len)
		return -ENOMEM;
	pgoff = off >> PAGE_SHIFT;
	if (pgoff + (len >> PAGE_SHIFT) < pgoff)
		return -EOVERFLOW;
	if (h && !file) {
		/* An unnamed hugetlbfs file of the mapping's size; the VMA
		 * takes its own reference (mmap_region()). */
		hfile = hugetlb_file_setup("anon_hugepage", (loff_t)len, h);
		if (IS_ERR(hfile))
			return PTR_ERR(hfile);
		file = hfile;
		flags &= ~MAP_ANONYMOUS;
		pgoff = 0;
	}

	vm_flags = calc_vm_prot_bits(prot) | VM_MAYREAD | VM_MAYWRITE | VM_MAYEXEC;
	if (flags & MAP_NORESERVE)
		vm_flags |= VM_NORESERVE;
	if (file) {
		if (type == MAP_SHARED) {
			if ((prot & PROT_WRITE) && !(file->f_mode & FMODE_WRITE))
				return -EACCES;
			vm_flags |= VM_SHARED | VM_MAYSHARE;
			/* A read-only file can never be written through this
			 * mapping: not even mprotect may add PROT_WRITE. */
			if (!(file->f_mode & FMODE_WRITE))
				vm_flags &= ~(VM_MAYWRITE | VM_SHARED);
		}
		if (!(file->f_mode & FMODE_READ))
			return -EACCES;
		if (!file->f_op || !file->f_op->mmap)
			return -ENODEV;
	} else if (type == MAP_SHARED) {
		vm_flags |= VM_SHARED | VM_MAYSHARE;
		pgoff = 0;	/* offsets into the new shmem object */
	}

	mmap_write_lock(mm);
	if (mm->map_count > READ_ONCE(sysctl_max_map_count)) {
		ret = -ENOMEM;
		goto out_unlock;
	}
	ret = get_unmapped_area(mm, file, addr, len, flags);
	if (ret < 0)
		goto out_unlock;
	addr = (unsigned long)ret;
	if ((flags & MAP_FIXED_NOREPLACE) &&
	    find_vma_intersection(mm, addr, addr + len)) {
		ret = -EEXIST;
		goto out_unlock;
	}
	if (!file && type == MAP_PRIVATE)
		pgoff = addr >> PAGE_SHIFT;
	/* A sealed memfd: no new writable shared mapping, and a read-only
	 * one may never become writable (memfd.c). */
	if (file) {
		ret = memfd_check_seals_mmap(file, &vm_flags);
		if (ret)
			goto out_unlock;
	}

	ret = mmap_region(mm, file, addr, len, vm_flags, pgoff);
	if (ret >= 0 && (flags & MAP_POPULATE)) {
		downgrade_write(&mm->mmap_lock);
		/* A failed fault does not fail the mmap. */
		(void)mm_populate(mm, addr, addr + len);
		mmap_read_unlock(mm);
		goto out_put;
	}
out_unlock:
	mmap_write_unlock(mm);
out_put:
	/* After mmap_lock: the last reference may evict the inode (fs.h). */
	if (hfile)
		fput(hfile);
	return ret;
}

/* --- msync ------------------------------------------------------------------ */

#define PNM_MS_KNOWN	(MS_ASYNC | MS_INVALIDATE | MS_SYNC)

/*
 * msync(2) (fs.h), following Linux's: walk the VMAs of [start, start +
 * len); MS_SYNC fsyncs the file range behind every shared file mapping in
 * it.  mmap_lock is held for read only while looking at VMAs: for each
 * fsync the file is referenced (get_file), the lock dropped (writeback
 * takes folio locks and reaches mms only by trylock; holding our own
 * mmap_lock across it could stall a writer queued on it), and retaken to
 * continue from the end of that VMA, which may have changed meanwhile.
 * Returns 0, the first fsync error, -EBUSY (MS_INVALIDATE over VM_LOCKED),
 * or, when everything else went well, -ENOMEM if part of the range was
 * not mapped.  -EINVAL for bad flags, both MS_SYNC and MS_ASYNC, or an
 * unaligned @start; -ENOMEM if the range wraps.  MS_ASYNC alone has
 * nothing to do (the flusher writes dirty pages anyway), as in Linux.
 */
int pnm_mm_msync(struct mm_struct *mm, unsigned long start, size_t len, int flags)
{
	unsigned long end;
	int unmapped = 0, err = 0;
	struct vm_area_struct *vma;

	if (!mm || (flags & ~PNM_MS_KNOWN))
		return -EINVAL;
	if ((flags & MS_ASYNC) && (flags & MS_SYNC))
		return -EINVAL;
	if (!IS_ALIGNED(start, PAGE_SIZE))
		return -EINVAL;
	len = ALIGN(len, PAGE_SIZE);
	end = start + len;
	if (end < start)
		return -ENOMEM;
	if (end == start)
		return 0;

	mmap_read_lock(mm);
	vma = find_vma(mm, start);
	for (;;) {
		struct file *file;
		loff_t fstart, fend;

		if (!vma) {
			err = -ENOMEM;		/* the rest is unmapped */
			break;
		}
		if (start < vma->vm_start) {
			if (end <= vma->vm_start) {
				err = -ENOMEM;
				break;
			}
			unmapped = -ENOMEM;	/* a hole, then more mappings */
			start = vma->vm_start;
		}
		if ((flags & MS_INVALIDATE) && (vma->vm_flags & VM_LOCKED)) {
			err = -EBUSY;
			break;
		}
		file = vma->vm_file;
		fstart = (loff_t)(start - vma->vm_start) +
			 ((loff_t)vma->vm_pgoff << PAGE_SHIFT);
		fend = fstart + (loff_t)(min_t(unsigned long, end, vma->vm_end) - start) - 1;
		start = vma->vm_end;
		if ((flags & MS_SYNC) && file && (vma->vm_flags & VM_SHARED)) {
			get_file(file);
			mmap_read_unlock(mm);
			err = vfs_fsync_range(file, fstart, fend, 1);
			fput(file);
			if (err || start >= end)
				return err ? err : unmapped;
			mmap_read_lock(mm);
			vma = find_vma(mm, start);
			continue;
		}
		if (start >= end)
			break;
		vma = vma_next(vma);
	}
	mmap_read_unlock(mm);
	return err ? err : unmapped;
}

/* --- device (VM_IO / VM_PFNMAP) mappings ----------------------------------- */

#define PNM_PFNMAP_FLAGS	(VM_IO | VM_PFNMAP | VM_DONTCOPY | VM_DONTEXPAND)

/* A device mapping has nothing behind it in the model: any fault is a bus
 * error, as for an MMIO range the driver has not populated. */
static vm_fault_t pfnmap_fault(struct vm_fault *vmf)
{
	(void)vmf;
	return VM_FAULT_SIGBUS;
}

static const char *pfnmap_vma_name(struct vm_area_struct *vma)
{
	(void)vma;
	return "[pfnmap]";
}

static const struct vm_operations_struct pfnmap_vm_ops = {
	.fault = pfnmap_fault,
	.name = pfnmap_vma_name,
};

/* ->mmap of a device file: the driver marks the VMA as raw PFN/IO space
 * (the flags asked for are kept in file->private_data). */
static int pfnmap_file_mmap(struct file *file, struct vm_area_struct *vma)
{
	vma->vm_flags |= (unsigned long)(uintptr_t)file->private_data;
	vma->vm_ops = &pfnmap_vm_ops;
	return 0;
}

static const struct file_operations pfnmap_file_ops = {
	.mmap = pfnmap_file_mmap,
};

/*
 * pnm_mmap_pfnmap - a VM_IO/VM_PFNMAP mapping (contract in mm.h): mmap(2)
 * of a one-off device file whose ->mmap marks the VMA.  The file is freed
 * with the last VMA that maps it (fput without ->release frees it).
 */
long pnm_mm_mmap_pfnmap(struct mm_struct *mm, unsigned long len, unsigned long prot,
		     unsigned long vm_flags)
{
	struct file *file;
	long ret;

	if (!(vm_flags & (VM_IO | VM_PFNMAP)) || (vm_flags & ~PNM_PFNMAP_FLAGS))
		return -EINVAL;
	file = pnm_calloc(PNM_FAULT_ALLOC, 1, sizeof(*file));
	if (!file)
		return -ENOMEM;
	atomic_long_set(&file->f_count, 1);
	file->f_mode = FMODE_READ | FMODE_WRITE;
	file->f_op = &pfnmap_file_ops;
	file->private_data = (void *)(uintptr_t)vm_flags;
	ret = pnm_mm_mmap(mm, 0, len, prot, MAP_SHARED, file, 0);
	fput(file);		/* the VMA holds its own reference */
	return ret;
}

/*
 * Tear down every mapping of a dying mm: zap all pages, take every VMA out
 * of the reverse map, free all page tables including the PGD, release
 * every VMA (vm_ops->close, fput).  Called by mmput() when the last user
 * goes; nobody else can reach the address space any more except reverse-
 * map walkers, which reach it through the VMAs until they are unlinked
 * (and so see its tables until then).  Takes mmap_lock for write.
 */
void exit_mmap(struct mm_struct *mm)
{
	struct vm_area_struct *vma;

	mmap_write_lock(mm);
	/* Mirrors go first: after this no notifier is called for @mm. */
	mmu_notifier_release(mm);
	unmap_vmas(mm, find_vma(mm, 0), 0, mm->task_size);
	for_each_vma(mm, vma) {
		unlink_anon_vmas(vma);
		unlink_file_vma(vma);
	}
	while (mm->mm_vmas.nr) {
		vma = mm->mm_vmas.vmas[mm->mm_vmas.nr - 1];
		vma_set_remove(mm, vma);
		remove_vma(vma);
	}
	pgd_free(mm);
	mmap_write_unlock(mm);
}
