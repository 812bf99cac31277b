// SPDX-License-Identifier: MIT
/*
 * resource.c - what a process may lock and pin: its RLIMIT_MEMLOCK and
 * its capabilities (pinmm/resource.h), and the checks that consult them
 * (Linux spreads these over kernel/sys.c's do_prlimit(), kernel/
 * capability.c, mm/mlock.c's can_do_mlock() and mm/mmap.c's
 * mlock_future_ok()).
 *
 * Where the values live: struct pnm_mm_limits in the process's mm_struct
 * (mm_types.h says why not with the task).  mm_alloc() sets them up
 * (unlimited, no capabilities), dup_mm() copies the parent's into a fork
 * child, mmdrop() destroys them with the struct; the public calls reach
 * them through get_task_mm(), so an exited task gives -ESRCH.
 *
 * Who consults them:
 *   mlock.c        can_do_mlock() (-EPERM), and locked_vm + the new pages
 *                  against the soft limit (-ENOMEM), as Linux's do_mlock()
 *   secretmem.c    mlock_future_ok() at mmap (-EAGAIN): its mappings are
 *                  VM_LOCKED
 *   pin_budget.c   pnm_mm_memlock_pages(): the bound on a long-term
 *                  owner's process and user charges (pinned_vm, the
 *                  user's locked_vm), lifted by CAP_IPC_LOCK
 *
 * locked_vm is not kept as a running count: it is the sum of the pages
 * of the VM_LOCKED VMAs, computed under mmap_lock when needed
 * (pnm_mm_locked_vm()).  That is what Linux's counter tracks (mlock,
 * munlock, munmap, mremap and exit adjust it as VM_LOCKED VMAs come and
 * go), and computing it keeps every path that changes VMAs correct
 * without a hook in each.
 *
 * Locking: mm->pnm_limits.lock, a leaf, guards the three values; readers
 * that need one value take it too (the values are small and the callers
 * are not hot).
 */
#include <limits.h>

#include "internal.h"

/* The capabilities the model knows (pinmm/resource.h). */
#define PNM_CAPS_KNOWN	(BIT(PNM_CAP_IPC_LOCK) | BIT(PNM_CAP_SYS_RESOURCE))

static bool cap_valid(int cap)
{
	return cap >= 0 && cap < BITS_PER_LONG && (PNM_CAPS_KNOWN & BIT(cap));
}

/* pnm_mm_limits_init - a new process's limits (internal.h). */
void pnm_mm_limits_init(struct mm_struct *mm)
{
	spin_lock_init(&mm->pnm_limits.lock);
	mm->pnm_limits.memlock_cur = PNM_RLIM_INFINITY;
	mm->pnm_limits.memlock_max = PNM_RLIM_INFINITY;
	mm->pnm_limits.caps = 0;
}

/* pnm_mm_limits_fork - a fork child inherits the limits and capabilities
 * (internal.h).  @mm is new and unreachable: only @oldmm's lock. */
void pnm_mm_limits_fork(struct mm_struct *oldmm, struct mm_struct *mm)
{
	spin_lock(&oldmm->pnm_limits.lock);
	mm->pnm_limits.memlock_cur = oldmm->pnm_limits.memlock_cur;
	mm->pnm_limits.memlock_max = oldmm->pnm_limits.memlock_max;
	mm->pnm_limits.caps = oldmm->pnm_limits.caps;
	spin_unlock(&oldmm->pnm_limits.lock);
}

/* pnm_mm_limits_destroy - the mm struct is being freed (internal.h). */
void pnm_mm_limits_destroy(struct mm_struct *mm)
{
	spin_lock_destroy(&mm->pnm_limits.lock);
}

/* pnm_mm_capable - does @mm's process have @cap? (internal.h) */
bool pnm_mm_capable(struct mm_struct *mm, int cap)
{
	bool ret;

	if (!cap_valid(cap))
		return false;
	spin_lock(&mm->pnm_limits.lock);
	ret = mm->pnm_limits.caps & BIT(cap);
	spin_unlock(&mm->pnm_limits.lock);
	return ret;
}

/* pnm_mm_rlimit_memlock - @mm's RLIMIT_MEMLOCK soft limit (internal.h). */
unsigned long pnm_mm_rlimit_memlock(struct mm_struct *mm)
{
	unsigned long cur;

	spin_lock(&mm->pnm_limits.lock);
	cur = mm->pnm_limits.memlock_cur;
	spin_unlock(&mm->pnm_limits.lock);
	return cur;
}

/* pnm_mm_memlock_pages - the RLIMIT_MEMLOCK bound in pages, or none
 * (internal.h). */
unsigned long pnm_mm_memlock_pages(struct mm_struct *mm)
{
	unsigned long cur, caps;

	spin_lock(&mm->pnm_limits.lock);
	cur = mm->pnm_limits.memlock_cur;
	caps = mm->pnm_limits.caps;
	spin_unlock(&mm->pnm_limits.lock);
	if (cur == PNM_RLIM_INFINITY || (caps & BIT(PNM_CAP_IPC_LOCK)))
		return ULONG_MAX;
	return cur >> PAGE_SHIFT;
}

/* pnm_mm_locked_vm - pages of @mm's VM_LOCKED VMAs (internal.h). */
unsigned long pnm_mm_locked_vm(struct mm_struct *mm)
{
	struct vm_area_struct *vma;
	unsigned long pages = 0;

	mmap_assert_locked(mm);
	for_each_vma(mm, vma)
		if (vma->vm_flags & VM_LOCKED)
			pages += vma_pages(vma);
	return pages;
}

/* can_do_mlock - may @mm's process mlock at all? (internal.h) */
bool can_do_mlock(struct mm_struct *mm)
{
	return pnm_mm_rlimit_memlock(mm) != 0 || pnm_mm_capable(mm, PNM_CAP_IPC_LOCK);
}

/* mlock_future_ok - may @mm lock @bytes more? (internal.h) */
bool mlock_future_ok(struct mm_struct *mm, unsigned long vm_flags, unsigned long bytes)
{
	unsigned long limit;

	if (!(vm_flags & VM_LOCKED))
		return true;
	limit = pnm_mm_memlock_pages(mm);
	if (limit == ULONG_MAX)
		return true;
	return (bytes >> PAGE_SHIFT) + pnm_mm_locked_vm(mm) <= limit;
}

/* --- the public calls ------------------------------------------------------------ */

/* pnm_prlimit - get and set @task's RLIMIT_MEMLOCK (pinmm/resource.h).
 * Takes the limits' lock. */
int pnm_prlimit(struct task_struct *task, int resource, const struct pnm_rlimit *new_rlim,
		struct pnm_rlimit *old_rlim)
{
	struct pnm_mm_limits *l;
	struct pnm_rlimit old;
	struct mm_struct *mm;
	int err = 0;

	if (!task || resource != PNM_RLIMIT_MEMLOCK)
		return -EINVAL;
	if (new_rlim && new_rlim->rlim_cur > new_rlim->rlim_max)
		return -EINVAL;
	mm = get_task_mm(task);
	if (!mm)
		return -ESRCH;
	l = &mm->pnm_limits;
	spin_lock(&l->lock);
	old.rlim_cur = l->memlock_cur;
	old.rlim_max = l->memlock_max;
	if (new_rlim) {
		/* Linux's do_prlimit(): raising the ceiling is privileged. */
		if (new_rlim->rlim_max > l->memlock_max &&
		    !(l->caps & BIT(PNM_CAP_SYS_RESOURCE))) {
			err = -EPERM;
		} else {
			l->memlock_cur = new_rlim->rlim_cur;
			l->memlock_max = new_rlim->rlim_max;
		}
	}
	spin_unlock(&l->lock);
	mmput(mm);
	if (!err && old_rlim)
		*old_rlim = old;
	return err;
}

/* pnm_task_set_capability - give or take @cap (pinmm/resource.h). */
int pnm_task_set_capability(struct task_struct *task, int cap, bool on)
{
	struct mm_struct *mm;

	if (!task || !cap_valid(cap))
		return -EINVAL;
	mm = get_task_mm(task);
	if (!mm)
		return -ESRCH;
	spin_lock(&mm->pnm_limits.lock);
	if (on)
		mm->pnm_limits.caps |= BIT(cap);
	else
		mm->pnm_limits.caps &= ~BIT(cap);
	spin_unlock(&mm->pnm_limits.lock);
	mmput(mm);
	return 0;
}

/* pnm_task_capable - has @task @cap? (pinmm/resource.h) */
int pnm_task_capable(struct task_struct *task, int cap)
{
	struct mm_struct *mm;
	bool ret;

	if (!task || !cap_valid(cap))
		return -EINVAL;
	mm = get_task_mm(task);
	if (!mm)
		return -ESRCH;
	ret = pnm_mm_capable(mm, cap);
	mmput(mm);
	return ret;
}

/* pnm_task_locked_vm - @task's locked_vm (pinmm/resource.h).  Takes the
 * mmap_lock for read. */
int pnm_task_locked_vm(struct task_struct *task, unsigned long *pages)
{
	struct mm_struct *mm;

	if (!task || !pages)
		return -EINVAL;
	mm = get_task_mm(task);
	if (!mm)
		return -ESRCH;
	mmap_read_lock(mm);
	*pages = pnm_mm_locked_vm(mm);
	mmap_read_unlock(mm);
	mmput(mm);
	return 0;
}
