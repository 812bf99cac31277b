// SPDX-License-Identifier: MIT
/*
 * mlock.c - locking memory in (mlock(2), munlock(2)).
 *
 * mlock marks the VMAs of the range VM_LOCKED (splitting them at its
 * edges, merging with compatible neighbours) and faults every page in, as
 * Linux's mlock() does through __mm_populate(): private writable mappings
 * take write faults, so COW is broken now and not later.  It keeps no
 * reference on the pages: the mappings themselves hold them, and
 * VM_LOCKED is what keeps them there -- reclaim does not unmap a page
 * from a VM_LOCKED VMA (rmap.c, unmap_one), MADV_DONTNEED refuses it,
 * msync(MS_INVALIDATE) reports -EBUSY.  mlock was never converted to
 * FOLL_PIN (group d of the 2019 mail, docs/call-sites.md): it does not
 * access page data and migration may still move its pages (compaction
 * does in Linux, unless told not to).  A fork child does not inherit
 * VM_LOCKED (fork.c).  munlock clears it.
 *
 * Differences from Linux, both on the model's "nothing changed on error"
 * rule: a hole anywhere in the range is -ENOMEM before any VMA is
 * changed (Linux has changed the VMAs before the hole); a VMA that cannot
 * be split is -EAGAIN with nothing changed.  There is no MLOCK_ONFAULT,
 * mlockall or MAP_LOCKED.
 *
 * RLIMIT_MEMLOCK (resource.c), as Linux's do_mlock(): with a limit of 0
 * and no CAP_IPC_LOCK mlock is -EPERM before anything is looked at; else
 * the pages of the range not locked already, plus locked_vm (the pages
 * of every VM_LOCKED VMA), must stay within the limit unless the process
 * has CAP_IPC_LOCK: -ENOMEM, nothing changed.  munlock needs neither.
 *
 * Locking: mmap_lock for write while the flags change, downgraded to read
 * to fault the range in (as MAP_POPULATE does).
 */
#include <limits.h>

#include "internal.h"

#ifndef PAGE_ALIGN
#define PAGE_ALIGN(x)	ALIGN((x), PAGE_SIZE)
#endif

/*
 * Set or clear VM_LOCKED on [start, end) of @vma (the range lies inside
 * it), splitting at the edges and merging afterwards.  VM_IO/VM_PFNMAP
 * VMAs are left alone (Linux's VM_SPECIAL), and so are hugetlb VMAs,
 * whose pages are never reclaimed anyway, and secretmem ones, always
 * locked (Linux's mlock_fixup(); mlock still faults hugetlb pages in).
 * 0 or -EAGAIN (a split had no memory; the VMA is as it was).  mmap_lock
 * held for write.
 */
static int mlock_fixup(struct vm_area_struct *vma, unsigned long start, unsigned long end,
		       bool lock)
{
	unsigned long new_flags = lock ? vma->vm_flags | VM_LOCKED : vma->vm_flags & ~VM_LOCKED;

	/* Linux's mlock_fixup() leaves secretmem alone: always locked. */
	if ((vma->vm_flags & (VM_IO | VM_PFNMAP | VM_HUGETLB)) || vma_is_secretmem(vma))
		return 0;
	return vma_modify_flags(vma, start, end, new_flags);
}

/* Is [start, end) mapped without a hole?  mmap_lock held. */
static bool range_mapped(struct mm_struct *mm, unsigned long start, unsigned long end)
{
	struct vm_area_struct *vma = find_vma(mm, start);

	if (!vma || vma->vm_start > start)
		return false;
	for (; vma && vma->vm_end < end; vma = vma_next(vma)) {
		struct vm_area_struct *next = vma_next(vma);

		if (!next || next->vm_start != vma->vm_end)
			return false;
	}
	return vma != NULL;
}

/*
 * Apply VM_LOCKED (or take it away) to every VMA part of [start, end),
 * checked to have no hole.  A split failing part-way returns -EAGAIN with
 * the VMAs before it changed, as madvise does (and Linux).  mmap_lock
 * held for write.
 */
static int apply_vma_lock_flags(struct mm_struct *mm, unsigned long start,
				unsigned long end, bool lock)
{
	unsigned long addr = start;

	while (addr < end) {
		struct vm_area_struct *vma = find_vma(mm, addr);
		unsigned long tmp = min_t(unsigned long, vma->vm_end, end);
		int err;

		err = mlock_fixup(vma, addr, tmp, lock);
		if (err)
			return err;
		addr = tmp;
	}
	return 0;
}

/*
 * Validate and round (Linux's mlock rounding: @start down, the end up to
 * a page): 0 with @startp and @endp set, -EINVAL if the range wraps or
 * leaves user space.
 */
static int mlock_range(struct mm_struct *mm, unsigned long start, size_t len,
		       unsigned long *startp, unsigned long *endp)
{
	unsigned long end;

	len = PAGE_ALIGN(len + (start & ~PAGE_MASK));
	start &= PAGE_MASK;
	end = start + len;
	if (end < start || end > mm->task_size)
		return -EINVAL;
	*startp = start;
	*endp = end;
	return 0;
}

/*
 * Pages of [start, end) already in VM_LOCKED VMAs (Linux's
 * count_mm_mlocked_page_nr()): locking them again costs nothing.
 * mmap_lock held.
 */
static unsigned long count_mlocked_pages(struct mm_struct *mm, unsigned long start,
					 unsigned long end)
{
	struct vm_area_struct *vma;
	unsigned long pages = 0;

	for_each_vma(mm, vma) {
		unsigned long lo = max_t(unsigned long, vma->vm_start, start);
		unsigned long hi = min_t(unsigned long, vma->vm_end, end);

		if ((vma->vm_flags & VM_LOCKED) && lo < hi)
			pages += (hi - lo) >> PAGE_SHIFT;
	}
	return pages;
}

/*
 * May @mm lock [start, end) under RLIMIT_MEMLOCK?  The new pages plus
 * locked_vm within the limit, or CAP_IPC_LOCK.  mmap_lock held.
 */
static bool mlock_within_limit(struct mm_struct *mm, unsigned long start, unsigned long end)
{
	unsigned long limit = pnm_mm_memlock_pages(mm);

	if (limit == ULONG_MAX)
		return true;
	return ((end - start) >> PAGE_SHIFT) + pnm_mm_locked_vm(mm) -
	       count_mlocked_pages(mm, start, end) <= limit;
}

/*
 * pnm_mm_mlock - mlock(2) on @mm (mm.h).  Returns 0; -EPERM (RLIMIT_MEMLOCK
 * is 0 and no CAP_IPC_LOCK); -EINVAL (the range wraps or leaves user
 * space); -ENOMEM (the pages would pass RLIMIT_MEMLOCK, or part of the
 * range is not mapped: nothing changed); -EAGAIN (a VMA could not be
 * split, or a page could not be faulted in for lack of memory: the flags
 * stay, as in Linux).  Zero length: 0.  Takes mmap_lock.
 */
int pnm_mm_mlock(struct mm_struct *mm, unsigned long start, size_t len)
{
	unsigned long end;
	vm_fault_t fault;
	int err;

	if (!can_do_mlock(mm))
		return -EPERM;
	err = mlock_range(mm, start, len, &start, &end);
	if (err || start == end)
		return err;
	mmap_write_lock(mm);
	if (!mlock_within_limit(mm, start, end) || !range_mapped(mm, start, end)) {
		mmap_write_unlock(mm);
		return -ENOMEM;
	}
	err = apply_vma_lock_flags(mm, start, end, true);
	if (err) {
		mmap_write_unlock(mm);
		return err;
	}
	downgrade_write(&mm->mmap_lock);
	/* Fault in, keep nothing: the mappings hold the pages. */
	fault = mm_populate(mm, start, end);
	mmap_read_unlock(mm);
	return fault ? -EAGAIN : 0;
}

/*
 * pnm_mm_munlock - munlock(2) on @mm (mm.h): clear VM_LOCKED.  0, -EINVAL,
 * -ENOMEM (a hole: nothing changed), -EAGAIN (a split).  Takes mmap_lock
 * for write.
 */
int pnm_mm_munlock(struct mm_struct *mm, unsigned long start, size_t len)
{
	unsigned long end;
	int err;

	err = mlock_range(mm, start, len, &start, &end);
	if (err || start == end)
		return err;
	mmap_write_lock(mm);
	if (!range_mapped(mm, start, end))
		err = -ENOMEM;
	else
		err = apply_vma_lock_flags(mm, start, end, false);
	mmap_write_unlock(mm);
	return err;
}
