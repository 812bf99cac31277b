// SPDX-License-Identifier: MIT
/*
 * task.c - modelled processes: creation, fork, exit, lookup, and the
 * thread-local `current`.
 *
 * A task is a pid, a name and an address space.  It lives on pnm_task_list
 * from creation until its last reference goes (put_task_struct), or until
 * pnm_fini() sweeps every remaining task (pnm_tasks_fini).  Exiting
 * (pnm_task_exit) releases the address space but keeps the struct, so a
 * test can still look at an exited task it holds.
 *
 * Pids count up from 1 and restart at 1 after pnm_fini(), so a run's pids
 * are reproducible.  A fork that fails gives its pid back when no other
 * pid was handed out meanwhile, so a failed fork does not shift the pids
 * of a single-threaded scenario.
 *
 * Host threads run as a task between pnm_task_enter() and
 * pnm_task_leave().  Like a thread of a Linux process, a host thread
 * inside a task holds its own user reference (mm_users) on the task's
 * address space, in the thread-local pnm_thread_mm: taken when it
 * enters (none if the task has already exited), dropped when it leaves,
 * switches to another task, or exits the task itself.  Every path that
 * acts on "current's mm" (gup, gup-fast, copy_to_user, pnm_user_*) uses
 * that reference, so another thread's pnm_task_exit() -- which drops only
 * the task's own reference -- can never free the address space under
 * it: the last thread to leave tears it down.
 *
 * Locks: pnm_task_list_lock protects the list links only; task_lock()
 * (alloc_lock) protects task->mm and task->exited.  Neither is held while
 * an address space is created, copied or destroyed.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

spinlock_t pnm_task_list_lock = { .m = PTHREAD_MUTEX_INITIALIZER, .owner = 0 };
LIST_HEAD(pnm_task_list);		/* all unfreed tasks; pnm_task_list_lock */

_Thread_local struct task_struct *pnm_current;
/* The calling thread's user reference on pnm_current's address space. */
_Thread_local struct mm_struct *pnm_thread_mm;

/* The next pid to hand out; atomic RMWs, no lock. */
static atomic_t next_pid = ATOMIC_INIT(1);

/* A task struct with a fresh pid and one reference; not on the list. */
static struct task_struct *task_alloc(const char *comm, struct task_struct *parent)
{
	struct task_struct *t = pnm_calloc(PNM_FAULT_ALLOC, 1, sizeof(*t));

	if (!t)
		return NULL;
	/* Only uniqueness matters; the RMW orders nothing. */
	t->pid = atomic_fetch_add(1, &next_pid);
	strncpy(t->comm, comm ? comm : "", TASK_COMM_LEN - 1);
	atomic_set(&t->usage, 1);
	spin_lock_init(&t->alloc_lock);
	INIT_LIST_HEAD(&t->tasks);
	t->parent = parent;
	if (parent) {
		get_task_struct(parent);
		/* A fork child is in its parent's user (pin budget). */
		task_lock(parent);
		t->pnm_uid = parent->pnm_uid;
		task_unlock(parent);
	}
	return t;
}

/*
 * Free a task that never went on the list (failed create/fork), giving
 * its pid back if it is still the most recent one.
 */
static void task_free_unlisted(struct task_struct *t)
{
	/* Succeeds only if nobody took a pid since ours (the fetch_add in
	 * task_alloc() is the only other writer); orders nothing else. */
	atomic_cmpxchg(&next_pid, t->pid + 1, t->pid);
	spin_lock_destroy(&t->alloc_lock);
	free(t);
}

static void task_list_add(struct task_struct *t)
{
	spin_lock(&pnm_task_list_lock);
	list_add_tail(&t->tasks, &pnm_task_list);
	spin_unlock(&pnm_task_list_lock);
}

/*
 * Create a process named @comm with an empty address space and one
 * reference (the caller's), stored in *@taskp.  Returns 0, or -ENOMEM
 * with *@taskp untouched.
 */
int pnm_task_create(const char *comm, struct task_struct **taskp)
{
	struct task_struct *t = task_alloc(comm, NULL);
	struct mm_struct *mm;

	if (!t)
		return -ENOMEM;
	mm = mm_alloc();
	if (!mm) {
		task_free_unlisted(t);
		return -ENOMEM;
	}
	mm->owner_pid = t->pid;
	t->mm = mm;
	task_list_add(t);
	*taskp = t;
	return 0;
}

/*
 * fork(2): create a child of @parent named @comm whose address space is a
 * copy of the parent's (see dup_mm()).  Returns 0 with *childp set (the
 * caller owns one reference), -ESRCH if the parent has exited, or -ENOMEM
 * with nothing left behind.  The caller must not hold the parent's
 * mmap_lock.
 */
int pnm_task_fork(struct task_struct *parent, const char *comm,
		  struct task_struct **childp)
{
	struct task_struct *child;
	struct mm_struct *oldmm, *mm;
	int err;

	task_lock(parent);
	oldmm = parent->mm;
	if (parent->exited || !oldmm) {
		task_unlock(parent);
		return -ESRCH;
	}
	mmget(oldmm);		/* the parent may exit while we copy */
	task_unlock(parent);

	child = task_alloc(comm, parent);
	if (!child) {
		err = -ENOMEM;
		goto out_mmput;
	}
	err = dup_mm(oldmm, parent->pid, child->pid, &mm);
	if (err)
		goto out_free_child;
	child->mm = mm;
	task_list_add(child);
	mmput(oldmm);
	*childp = child;
	return 0;

out_free_child:
	put_task_struct(parent);
	task_free_unlisted(child);
out_mmput:
	mmput(oldmm);
	return err;
}

/*
 * exit(2): drop the task's reference on its address space (mmput) and,
 * if the calling thread runs as @task, the thread's own reference too.
 * The address space is torn down by the last user: here, or when the last
 * other thread inside the task leaves it.  Pins and accesses of a thread
 * that enters the task afterwards fail with -EFAULT.  The struct stays
 * until its last reference.  Idempotent.  The caller must not hold the
 * task's mmap_lock.
 */
void pnm_task_exit(struct task_struct *task)
{
	struct mm_struct *mm;

	/* A thread that exits the task it runs as gives up its own hold. */
	if (task == pnm_current && pnm_thread_mm) {
		mm = pnm_thread_mm;
		pnm_thread_mm = NULL;
		mmput(mm);
	}
	task_lock(task);
	if (task->exited) {
		task_unlock(task);
		return;
	}
	task->exited = 1;
	mm = task->mm;
	task->mm = NULL;
	task_unlock(task);

	pnm_trace(PNM_TRACE_EXIT, task->pid, (unsigned long)task->pid, 0, 0, 0);
	if (mm)
		mmput(mm);
}

/*
 * Drop a reference to a task; the last one exits it if it has not exited,
 * takes it off the task list and frees it (dropping its reference on the
 * parent).  Takes pnm_task_list_lock; the caller must not hold it.
 */
void put_task_struct(struct task_struct *t)
{
	struct task_struct *parent;

	/* Fully ordered: all use of the task happens before the free. */
	if (!atomic_dec_and_test(&t->usage))
		return;
	pnm_task_exit(t);
	spin_lock(&pnm_task_list_lock);
	list_del_init(&t->tasks);
	spin_unlock(&pnm_task_list_lock);
	parent = t->parent;
	spin_lock_destroy(&t->alloc_lock);
	free(t);
	if (parent)
		put_task_struct(parent);
}

/* The public names of get_task_struct()/put_task_struct(). */
void pnm_task_get(struct task_struct *task)
{
	get_task_struct(task);
}

void pnm_task_put(struct task_struct *task)
{
	put_task_struct(task);
}

/* Set at creation: no lock needed. */
int pnm_task_pid(const struct task_struct *task)
{
	return task->pid;
}

const char *pnm_task_comm(const struct task_struct *task)
{
	return task->comm;
}

int pnm_task_ppid(const struct task_struct *task)
{
	return task->parent ? task->parent->pid : 0;
}

/* Whether pnm_task_exit() has run on @task (task_lock). */
bool pnm_task_exited(struct task_struct *task)
{
	bool exited;

	task_lock(task);
	exited = task->exited;
	task_unlock(task);
	return exited;
}

/*
 * get_task_mm: @task's address space with a user reference the caller
 * drops with mmput(), or NULL once the task has exited.  task_lock keeps
 * task->mm stable while the reference is taken.
 */
struct mm_struct *get_task_mm(struct task_struct *task)
{
	struct mm_struct *mm;

	task_lock(task);
	mm = task->mm;
	if (mm)
		mmget(mm);
	task_unlock(task);
	return mm;
}

/* The calling thread's current task and address space (thread-local). */
struct task_struct *pnm_current_task(void)
{
	return pnm_current;
}

struct mm_struct *pnm_current_mm(void)
{
	return pnm_thread_mm;
}

/*
 * The live (not exited) task with pid @pid, with a reference the caller
 * drops with put_task_struct(), or NULL.
 */
struct task_struct *pnm_find_task(int pid)
{
	struct task_struct *t, *found = NULL;

	spin_lock(&pnm_task_list_lock);
	list_for_each_entry(t, &pnm_task_list, tasks) {
		if (t->pid != pid)
			continue;
		task_lock(t);
		if (!t->exited) {
			get_task_struct(t);
			found = t;
		}
		task_unlock(t);
		break;
	}
	spin_unlock(&pnm_task_list_lock);
	return found;
}

/*
 * Make the calling host thread run as @t (NULL: no task) with its own
 * user reference on @t's address space (none if @t has exited), dropping
 * the reference it held on the previous task's.  Nothing changes if it
 * already runs as @t.  The caller must not hold the mmap_lock of the
 * address space it leaves (dropping the last reference tears it down).
 */
static void thread_switch(struct task_struct *t)
{
	struct mm_struct *old = pnm_thread_mm, *mm = NULL;

	if (t == pnm_current)
		return;
	if (t) {
		task_lock(t);
		mm = t->mm;
		/* task->mm is non-NULL only while the task's own reference is
		 * held (pnm_task_exit clears it under task_lock before its
		 * mmput), so mm_users cannot be zero here. */
		if (mm)
			mmget(mm);
		task_unlock(t);
	}
	pnm_current = t;
	pnm_thread_mm = mm;
	if (old)
		mmput(old);
}

/*
 * Run the calling host thread as @t (which may be NULL: no task) until
 * pnm_task_leave().  Returns the previous current for pnm_task_leave().
 * The thread holds a user reference on @t's address space while it runs
 * as @t (pnm_thread_mm; NULL if @t has already exited), so the space
 * outlives a concurrent pnm_task_exit() until the thread leaves.  Entering
 * the task the thread already runs as changes nothing; entering another
 * one gives up the hold on the previous task's address space (taken again
 * by pnm_task_leave() if that task has not exited).  Takes no reference on
 * the task struct: the caller keeps @t alive while it runs as it.  A host
 * thread must leave (or enter NULL) before it ends: a hold left behind
 * keeps the address space alive.  The caller must not hold any mmap_lock
 * of the address space it leaves.
 */
struct task_struct *pnm_task_enter(struct task_struct *t)
{
	struct task_struct *prev = pnm_current;

	thread_switch(t);
	return prev;
}

/*
 * Run as @prev again (the value pnm_task_enter() returned): as
 * pnm_task_enter(@prev), so the thread's hold on the address space it
 * ran in is dropped and one on @prev's is taken, unless @prev is the
 * task it already runs as.
 */
void pnm_task_leave(struct task_struct *prev)
{
	thread_switch(prev);
}

/*
 * Call @fn(t, arg) for every task not yet freed, in creation order.  The
 * list lock is not held while @fn runs (each visited task is pinned with
 * a reference instead), so @fn may exit the task, drop references, or
 * create and fork tasks (new ones may or may not be visited).
 */
void pnm_for_each_task(void (*fn)(struct task_struct *t, void *arg), void *arg)
{
	struct task_struct *t = NULL, *next;

	spin_lock(&pnm_task_list_lock);
	if (!list_empty(&pnm_task_list)) {
		t = list_first_entry(&pnm_task_list, struct task_struct, tasks);
		get_task_struct(t);
	}
	spin_unlock(&pnm_task_list_lock);

	while (t) {
		fn(t, arg);
		/* @t is still listed: our reference keeps it from being freed. */
		spin_lock(&pnm_task_list_lock);
		next = NULL;
		if (t->tasks.next != &pnm_task_list) {
			next = list_entry(t->tasks.next, struct task_struct, tasks);
			get_task_struct(next);
		}
		spin_unlock(&pnm_task_list_lock);
		put_task_struct(t);
		t = next;
	}
}

/*
 * At pnm_fini(): leave the calling thread's task, exit and free every task
 * still on the list, whatever its reference count (pointers the caller
 * still holds become invalid), and restart pids at 1.  No other thread may
 * be using the model or be inside a task.
 */
void pnm_tasks_fini(void)
{
	struct task_struct *t;

	thread_switch(NULL);
	spin_lock(&pnm_task_list_lock);
	while (!list_empty(&pnm_task_list)) {
		t = list_first_entry(&pnm_task_list, struct task_struct, tasks);
		list_del_init(&t->tasks);
		spin_unlock(&pnm_task_list_lock);
		pnm_task_exit(t);
		spin_lock_destroy(&t->alloc_lock);
		free(t);	/* parents are on the list too: no put */
		spin_lock(&pnm_task_list_lock);
	}
	spin_unlock(&pnm_task_list_lock);
	atomic_set(&next_pid, 1);
}
