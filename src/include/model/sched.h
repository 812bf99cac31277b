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
 * thread-local pnm_thread_mm, which every "current's mm" path uses.  A
 * pnm_task_exit() by another thread drops only the task's reference, so
 * the address space stays usable to the threads inside until they leave;
 * the last one tears it down.  A thread that enters an exited task has no
 * address space: its pins and user accesses fail with -EFAULT.
 */
#ifndef PNM_MODEL_SCHED_H
#define PNM_MODEL_SCHED_H

#include <model/mm.h>

#define TASK_COMM_LEN	16

struct task_struct {
	int pid;			/* set once */
	char comm[TASK_COMM_LEN];	/* set once */
	struct mm_struct *mm;		/* NULL after exit; task_lock */
	struct task_struct *parent;	/* set once; may be exited */
	int exited;			/* set by pnm_task_exit; task_lock */
	atomic_t usage;			/* references to the struct */
	struct list_head tasks;		/* all tasks; pnm_task_list_lock */
	spinlock_t alloc_lock;		/* task_lock(): mm, exited and pnm_uid */
	int pnm_uid;			/* its user (pinmm/budget.h); task_lock */
};

extern _Thread_local struct task_struct *pnm_current;
/* The task the calling thread runs as (not assignable: use
 * pnm_task_enter/leave, which keep pnm_thread_mm in step). */
#define current ((struct task_struct *)pnm_current)
/*
 * The address space the calling thread runs in, with the thread's user
 * reference on it: the mm of the task it entered, NULL if it runs no task
 * or entered the task after it exited.  Valid until the thread leaves the
 * task (or exits it itself), whatever other threads do meanwhile.
 */
extern _Thread_local struct mm_struct *pnm_thread_mm;

/* Creating, forking, exiting, entering and finding tasks: pinmm/task.h. */

/* Task references: the creator holds one; freed at zero. */
static inline void get_task_struct(struct task_struct *t) { atomic_inc(&t->usage); }
void put_task_struct(struct task_struct *t);
static inline void task_lock(struct task_struct *t) { spin_lock(&t->alloc_lock); }
static inline void task_unlock(struct task_struct *t) { spin_unlock(&t->alloc_lock); }
#endif /* PNM_MODEL_SCHED_H */
