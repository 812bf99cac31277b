/* SPDX-License-Identifier: MIT */
/*
 * pinmm/resource.h - what a process is allowed to lock and pin: its
 * RLIMIT_MEMLOCK and its CAP_IPC_LOCK, as Linux consults them.
 *
 * RLIMIT_MEMLOCK (bytes, a soft and a hard limit) bounds, each on its own
 * as in Linux:
 *   - the pages of the process's VM_LOCKED mappings (mm->locked_vm):
 *     mlock() beyond it is -ENOMEM, mlock() with a limit of 0 is -EPERM,
 *     and mapping a secretmem file (pinmm/memfd.h) beyond it is -EAGAIN;
 *   - the pages its long-term pin owners hold (pinmm/budget.h): the
 *     process's charge (Linux's mm->pinned_vm, as RDMA memory regions
 *     count it) and its user's charge (Linux's user->locked_vm, as
 *     io_uring fixed buffers count it) may not grow past it: -ENOMEM.
 * CAP_IPC_LOCK lifts every one of those RLIMIT_MEMLOCK bounds (not the
 * pin budget's own limits, which are the model's).
 *
 * A process starts with RLIMIT_MEMLOCK unlimited (PNM_RLIM_INFINITY, what
 * a program run by root usually has; Linux's default for a user is
 * 8 MiB) and no capabilities; a fork child inherits both.  The values are
 * read when they are needed: lowering a limit below what is locked or
 * pinned leaves that in place and refuses the next growth.
 *
 * Thread rules: every call may be made from any thread at any time.
 */
#ifndef PINMM_RESOURCE_H
#define PINMM_RESOURCE_H

#include <pinmm/types.h>

PNM_BEGIN_DECLS

/* Linux's resource number and "no limit" (RLIM64_INFINITY). */
#define PNM_RLIMIT_MEMLOCK	8
#define PNM_RLIM_INFINITY	(~0UL)

/* A soft (enforced) and a hard (ceiling) limit, in bytes. */
struct pnm_rlimit {
	unsigned long rlim_cur;
	unsigned long rlim_max;
};

/*
 * prlimit(2) as @task calling it on itself: if @old_rlim is not NULL it
 * gets the current limit; if @new_rlim is not NULL the limit becomes it.
 * Linux's rules: the soft limit may not exceed the hard one (-EINVAL),
 * and raising the hard limit needs CAP_SYS_RESOURCE (-EPERM).  0,
 * -EINVAL (NULL @task, a resource other than PNM_RLIMIT_MEMLOCK, the
 * model's only one), -EPERM, -ESRCH (@task has exited).  On error nothing
 * changed and *@old_rlim is untouched.
 */
PNM_API int pnm_prlimit(struct task_struct *task, int resource,
			const struct pnm_rlimit *new_rlim, struct pnm_rlimit *old_rlim);

/* Linux's capability numbers, the two the model consults. */
#define PNM_CAP_IPC_LOCK	14
#define PNM_CAP_SYS_RESOURCE	24
/*
 * Give @task capability @cap (@on true) or take it away, as a privileged
 * launcher (or setcap on the program) would: the model has no capability
 * sets to check this against.  Fork children inherit the capabilities.
 * 0, -EINVAL (NULL @task, a capability other than the two above), -ESRCH.
 */
PNM_API int pnm_task_set_capability(struct task_struct *task, int cap, bool on);
/* 1 if @task has @cap, 0 if not; -EINVAL, -ESRCH as above. */
PNM_API int pnm_task_capable(struct task_struct *task, int cap);
/*
 * Pages of @task's VM_LOCKED mappings (mlock, secretmem): Linux's
 * mm->locked_vm, what mlock() weighs against RLIMIT_MEMLOCK.  0 with
 * *@pages set, -EINVAL (NULL argument), -ESRCH.  Takes the task's
 * mmap_lock for read.
 */
PNM_API int pnm_task_locked_vm(struct task_struct *task, unsigned long *pages);

PNM_END_DECLS

#endif /* PINMM_RESOURCE_H */
