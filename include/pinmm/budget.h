/* SPDX-License-Identifier: MIT */
/*
 * pinmm/budget.h - the pin budget: how many pages long-term pin owners may
 * hold, per process and per user (a group of processes), like
 * RLIMIT_MEMLOCK.
 *
 * What is charged: the pages pinned through owners created with
 * VADDR_PIN_LONGTERM (pinmm/vaddr_pin.h), as Linux charges its long-term
 * pinners (io_uring fixed buffers, RDMA memory regions) and not GUP
 * itself.  Raw pin_user_pages*() calls and owners without
 * VADDR_PIN_LONGTERM are never charged.
 *
 * Each page is charged once per accounting domain, however many owners
 * pin it: a page pinned by two owners of one process counts once against
 * that process; a page pinned by owners of two processes of one user
 * counts once against the user (and once against each process).  Pages
 * are counted as base pages (a 2 MiB folio pinned whole is 512 pages).
 * A page is uncharged when the last pin of that domain that charged it
 * is released (vaddr_unpin_*(), pnm_teardown()).
 *
 * Domains:
 *   - a process: its address space.  An owner charges the process whose
 *     memory it pins; the charge outlives the task's exit until the pins
 *     are released.  A fork child inherits its parent's limit.
 *   - a user: a number >= 0 that each task carries (0 by default),
 *     inherited by fork children and changed with pnm_task_set_user().
 *     An owner charges the user its task had when the owner was created,
 *     for its whole life.
 *
 * Limits are in pages; PNM_PIN_BUDGET_UNLIMITED (the default of every
 * domain) means no limit.  A pin call through a long-term owner that
 * would take a domain's charge above its limit fails with -ENOMEM and
 * pins nothing.  A limit may be set below what is already charged: the
 * charge stays, pins of pages already charged still succeed, and every
 * pin that would charge a new page is refused until enough is released.
 *
 * RLIMIT_MEMLOCK (pinmm/resource.h) bounds both domains as well, the way
 * Linux's long-term pinners weigh their counts against it: the process's
 * charge (Linux's mm->pinned_vm, RDMA's count) and the user's charge
 * (Linux's user->locked_vm, io_uring's count) may not grow past the
 * RLIMIT_MEMLOCK of the process whose memory is pinned, in pages, unless
 * that process has CAP_IPC_LOCK.  The limit is read at each pin call;
 * a refusal by it is counted in pnm_pin_rlimit_refused too.  Charges stay
 * deduplicated per page (Linux counts a page once per registration).
 *
 * Thread rules: every call may be made from any thread at any time.
 */
#ifndef PINMM_BUDGET_H
#define PINMM_BUDGET_H

#include <pinmm/types.h>

PNM_BEGIN_DECLS

/* No limit (the default of every process and user). */
#define PNM_PIN_BUDGET_UNLIMITED	(~0UL)

/*
 * Put @task in user @uid (>= 0): fork children made afterwards inherit it
 * and owners created afterwards for @task charge it; existing owners keep
 * charging the user they were created under.  0, -EINVAL (NULL @task, a
 * negative @uid), -ESRCH (the task has exited).
 */
PNM_API int pnm_task_set_user(struct task_struct *task, int uid);
/* @task's user (>= 0), or -EINVAL for NULL. */
PNM_API int pnm_task_user(struct task_struct *task);

/*
 * Set the limit, in pages, of @task's process (PNM_PIN_BUDGET_UNLIMITED:
 * none).  0, -EINVAL (NULL @task, no model), -ESRCH (the task has
 * exited), -ENOMEM (host memory).
 */
PNM_API int pnm_pin_budget_set_task_limit(struct task_struct *task, unsigned long pages);
/*
 * Set the limit, in pages, of user @uid (PNM_PIN_BUDGET_UNLIMITED: none).
 * 0, -EINVAL (a negative @uid, no model), -ENOMEM (host memory).
 */
PNM_API int pnm_pin_budget_set_user_limit(int uid, unsigned long pages);

/* A domain's budget (pnm_pin_budget_get_task, pnm_pin_budget_get_user). */
struct pnm_pin_budget_info {
	size_t size;			/* set by the caller: sizeof(*info) */
	unsigned long limit;		/* pages, or PNM_PIN_BUDGET_UNLIMITED */
	unsigned long charged;		/* distinct pages charged now */
	/* new pages that may still be charged: limit - charged (0 if the
	 * limit is below the charge), PNM_PIN_BUDGET_UNLIMITED if none */
	unsigned long remaining;
	unsigned long refused;		/* pin calls refused by this domain */
	/* Since 0.3 (a smaller caller's struct does not get these): */
	/* a process: its RLIMIT_MEMLOCK in pages, PNM_PIN_BUDGET_UNLIMITED
	 * if infinite or it has CAP_IPC_LOCK (remaining counts it); a user:
	 * PNM_PIN_BUDGET_UNLIMITED (each charging process brings its own) */
	unsigned long rlimit;
	/* a process: the pages of its mlocked mappings (Linux's locked_vm,
	 * which mlock weighs against RLIMIT_MEMLOCK apart from pins); a
	 * user: 0 */
	unsigned long locked_vm;
};
/*
 * Fill @info for @task's process: 0, -EINVAL (NULL argument, a size below
 * this release's struct, no model), -ESRCH (the task has exited).  A newer
 * caller's larger struct gets its unknown tail zeroed.
 */
PNM_API int pnm_pin_budget_get_task(struct task_struct *task,
				    struct pnm_pin_budget_info *info);
/* The same for user @uid (a user never seen has no limit and no charge):
 * 0, -EINVAL (negative @uid, NULL @info, a small size, no model). */
PNM_API int pnm_pin_budget_get_user(int uid, struct pnm_pin_budget_info *info);
/*
 * How many new pages a long-term owner created now for @task could still
 * pin: the smaller of its process's and its user's remaining budget
 * (each bounded by @task's RLIMIT_MEMLOCK as well), in *@pages
 * (PNM_PIN_BUDGET_UNLIMITED if nothing limits it).  Pages
 * already charged to both cost nothing.  0, -EINVAL (NULL argument, no
 * model), -ESRCH (the task has exited).  A snapshot: other threads may
 * charge meanwhile.
 */
PNM_API int pnm_pin_budget_remaining(struct task_struct *task, unsigned long *pages);

PNM_END_DECLS

#endif /* PINMM_BUDGET_H */
