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
	case MADV_COLLAPSE:
		return true;
	default:
		return false;
	}
}

/* DONTNEED and POPULATE run with mmap_lock for read, the rest for write. */
static bool madvise_need_mmap_write(int advice)
{
	return advice != MADV_DONTNEED && advice != MADV_POPULATE_READ &&
	       advice != MADV_POPULATE_WRITE;
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
		/* can_madv_lru_vma(): locked and raw-PFN mappings stay. */
		if (vma->vm_flags & (VM_LOCKED | VM_PFNMAP | VM_HUGETLB))
			return -EINVAL;
		zap_page_range_single(vma, start, end - start);
		return 0;
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
	int unmapped_error = 0;

	for (;;) {
		unsigned long tmp;
		int err;

		if (!vma)
			return -ENOMEM;
		if (start < vma->vm_start) {
			unmapped_error = -ENOMEM;
			start = vma->vm_start;
			if (start >= end)
				break;
		}
		tmp = min_t(unsigned long, vma->vm_end, end);
		err = madvise_vma_behavior(vma, start, tmp, advice);
		if (err)
			return err;
		start = tmp;
		if (start >= end)
			break;
		/* The VMA may have been split or merged: look up again. */
		vma = find_vma(mm, start);
	}
	return unmapped_error;
}

/*
 * madvise(2) for the model.  Returns 0, or
 *   -EINVAL  unknown advice, unaligned @start, a length that wraps, or
 *            MADV_DONTNEED on a VM_LOCKED/VM_PFNMAP mapping, MADV_DOFORK
 *            on VM_IO, MADV_POPULATE_* on a VMA without the permission
 *            or with VM_IO/VM_PFNMAP
 *   -ENOMEM  part of the range is not mapped (the advice was still
 *            applied to the mapped parts, as in Linux; MADV_POPULATE_*
 *            stops at the hole), or no memory to populate
 *   -EFAULT  MADV_POPULATE_*: a fault failed (e.g. beyond a file's end)
 *   -EAGAIN  a VMA could not be split for lack of memory
 * MADV_COLLAPSE returns madvise_collapse()'s errors (internal.h).
 * A zero length is a successful no-op.  Takes mmap_lock for read
 * (MADV_DONTNEED, MADV_POPULATE_*) or write (everything else).
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
