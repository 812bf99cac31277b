/* SPDX-License-Identifier: MIT */
/*
 * pinmm/task.h - modelled processes and the host threads that run them.
 *
 * A task is a modelled process: a pid, a name and an address space (its
 * struct mm_struct).  Host threads act as CPUs: any thread can run as any
 * task by entering it (pnm_task_enter), which makes it the thread's
 * current task; the calls that act on "current" (get_user_pages(),
 * pin_user_pages_fast() ...) then use its address space.  Several threads
 * may run as the same task at once (threads of one process).
 *
 * Handles: every pnm_* call about a process takes its task.  The
 * kernel-named calls take what Linux's take (an mm for the _remote GUP
 * calls and mmap_read_lock()); get_task_mm() gives it.
 */
#ifndef PINMM_TASK_H
#define PINMM_TASK_H

#include <pinmm/types.h>

PNM_BEGIN_DECLS

/*
 * Create a process with an empty address space.  0 with *@taskp set (the
 * caller holds one reference: pnm_task_put()), or -ENOMEM.
 */
PNM_API int pnm_task_create(const char *comm, struct task_struct **taskp);
/*
 * fork(2): a child with a copy of @parent's address space (COW for private
 * mappings, shared for MAP_SHARED, skipped for MADV_DONTFORK areas).
 * 0 with *@childp set (one reference for the caller), -ENOMEM (nothing
 * left behind), -ESRCH if the parent has exited.
 */
PNM_API int pnm_task_fork(struct task_struct *parent, const char *comm,
			  struct task_struct **childp);
/* exit(2): drop the task's reference on its address space, and the
 * calling thread's if it runs as @task; the last user tears the space
 * down.  Idempotent.  The struct lives on while referenced. */
PNM_API void pnm_task_exit(struct task_struct *task);
/* Task references: the creator holds one; the struct is freed at zero. */
PNM_API void pnm_task_get(struct task_struct *task);
PNM_API void pnm_task_put(struct task_struct *task);
/* A live (not exited) task by pid, with a reference; NULL if none. */
PNM_API struct task_struct *pnm_find_task(int pid);
/* Call @fn for each task not yet freed, each pinned by a reference while
 * @fn runs (no lock held: @fn may exit tasks or create new ones). */
PNM_API void pnm_for_each_task(void (*fn)(struct task_struct *task, void *arg),
			       void *arg);
/* The task's pid, name, parent's pid (0 if none) and whether it exited. */
PNM_API int pnm_task_pid(const struct task_struct *task);
PNM_API const char *pnm_task_comm(const struct task_struct *task);
PNM_API int pnm_task_ppid(const struct task_struct *task);
PNM_API bool pnm_task_exited(struct task_struct *task);

/*
 * Run the calling host thread as @task (NULL: none), holding a user
 * reference on its address space until it leaves; returns the previous
 * current task.  Re-entering the current task changes nothing.  A thread
 * must leave (or enter NULL) before it ends.
 */
PNM_API struct task_struct *pnm_task_enter(struct task_struct *task);
/* Run as @prev (what pnm_task_enter() returned) again. */
PNM_API void pnm_task_leave(struct task_struct *prev);
/* The calling thread's current task, and the address space it runs in
 * (NULL if none, or if it entered the task after the task exited); valid
 * until the thread leaves the task. */
PNM_API struct task_struct *pnm_current_task(void);
PNM_API struct mm_struct *pnm_current_mm(void);

/* Linux's get_task_mm(): @task's address space with a user reference
 * (drop it with mmput()), or NULL if the task has exited. */
PNM_API struct mm_struct *get_task_mm(struct task_struct *task);
/* Drop a user reference; the last one tears the address space down. */
PNM_API void mmput(struct mm_struct *mm);
/* The mmap_lock, for callers of get_user_pages() and the _remote calls
 * (pinmm/gup.h says which need it held). */
PNM_API void mmap_read_lock(struct mm_struct *mm);
PNM_API void mmap_read_unlock(struct mm_struct *mm);

PNM_END_DECLS

#endif /* PINMM_TASK_H */
