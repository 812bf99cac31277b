/* SPDX-License-Identifier: MIT */
/*
 * sched.h - processes (tasks) and the host threads that run them.
 *
 * A task is a modelled process: a pid, a name and an mm.  Host threads act
 * as CPUs: any thread can run as any task by entering it, which sets the
 * thread-local `current`.  Several threads may run as the same task at
 * once (threads of one process).
 *
 * A thread inside a task holds its own user reference (mm_users) on the
 * task's address space, as each thread of a Linux process does: the
 * thread-local pnm_current_mm, which every "current's mm" path uses.  A
 * pnm_task_exit() by another thread drops only the task's reference, so
 * the address space stays usable to the threads inside until they leave;
 * the last one tears it down.  A thread that enters an exited task has no
 * address space: its pins and user accesses fail with -EFAULT.
 */
#ifndef PINMM_SCHED_H
#define PINMM_SCHED_H

#include <pinmm/mm.h>

#define TASK_COMM_LEN	16

struct task_struct {
	int pid;			/* set once */
	char comm[TASK_COMM_LEN];	/* set once */
	struct mm_struct *mm;		/* NULL after exit; task_lock */
	struct task_struct *parent;	/* set once; may be exited */
	int exited;			/* set by pnm_task_exit; task_lock */
	atomic_t usage;			/* references to the struct */
	struct list_head tasks;		/* all tasks; pnm_task_list_lock */
	spinlock_t alloc_lock;		/* task_lock(): mm and exited */
};

extern _Thread_local struct task_struct *pnm_current;
/* The task the calling thread runs as (not assignable: use
 * pnm_task_enter/leave, which keep pnm_current_mm in step). */
#define current ((struct task_struct *)pnm_current)
/*
 * The address space the calling thread runs in, with the thread's user
 * reference on it: the mm of the task it entered, NULL if it runs no task
 * or entered the task after it exited.  Valid until the thread leaves the
 * task (or exits it itself), whatever other threads do meanwhile.
 */
extern _Thread_local struct mm_struct *pnm_current_mm;

/* Create a process with an empty address space (NULL on -ENOMEM). */
struct task_struct *pnm_task_create(const char *comm);
/*
 * fork(2): a child with a copy of @parent's address space (COW for private
 * mappings, shared for MAP_SHARED, skipped for MADV_DONTFORK areas).
 * 0 with *childp set, -ENOMEM (nothing left behind), -ESRCH if the parent
 * has exited.
 */
int pnm_task_fork(struct task_struct *parent, const char *comm,
		  struct task_struct **childp);
/* exit(2): drop the task's reference on its address space, and the
 * calling thread's if it runs as @task; the last user tears the space
 * down.  Idempotent. */
void pnm_task_exit(struct task_struct *task);
/* Task references: the creator holds one; freed at zero. */
static inline void get_task_struct(struct task_struct *t) { atomic_inc(&t->usage); }
void put_task_struct(struct task_struct *t);
/* Find a live task by pid (with a reference) or NULL. */
struct task_struct *pnm_find_task(int pid);
/*
 * Run the calling host thread as @t (NULL: none), holding a user reference
 * on its address space (pnm_current_mm) until it leaves; returns the
 * previous current.  Re-entering the current task changes nothing.  A
 * thread must leave (or enter NULL) before it ends.
 */
struct task_struct *pnm_task_enter(struct task_struct *t);
/* Run as the previous current returned by pnm_task_enter() again,
 * dropping the hold on the address space left. */
void pnm_task_leave(struct task_struct *prev);
static inline void task_lock(struct task_struct *t) { spin_lock(&t->alloc_lock); }
static inline void task_unlock(struct task_struct *t) { spin_unlock(&t->alloc_lock); }
/* Call @fn for each task that has not been freed.  The list lock is not
 * held while @fn runs (the task is pinned by a reference), so @fn may exit
 * the task or create new ones. */
void pnm_for_each_task(void (*fn)(struct task_struct *t, void *arg), void *arg);

#endif /* PINMM_SCHED_H */
