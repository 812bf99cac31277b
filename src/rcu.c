// SPDX-License-Identifier: MIT
/*
 * rcu.c - the out-of-line half of rcu.h: registering threads with liburcu
 * (lazily, unregistered by a pthread key destructor at thread exit), the
 * call_rcu trampoline that tells ThreadSanitizer about grace periods,
 * synchronize/barrier wrappers (the barrier counts callbacks itself), and
 * the lockless walkers' slots with the membarrier-based wait by which
 * pnm_pgtable_free() knows no walker still reads a table it unhooked.
 *
 * The contracts and the pairing of every annotation are in rcu.h.
 */
#include <errno.h>
#include <linux/membarrier.h>
#include <sched.h>
#include <pthread.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "internal.h"
#include "rcu.h"

char pnm_rcu_tsan_gp, pnm_rcu_tsan_update;

_Thread_local bool pnm_rcu_registered __attribute__((tls_model("initial-exec")));

_Thread_local struct pnm_walker pnm_walker __attribute__((tls_model("initial-exec")));

bool pnm_walker_membarrier;

/*
 * The walkers' slots (rcu.h).  walker_lock is a leaf: taken by a thread's
 * first walk and its exit to link and unlink its slot, and by a freer
 * (any locks held) to scan them.  nr_walkers counts the registered slots;
 * only RMWs touch it (R1, F0 and the exit's decrement: rcu.h).
 */
static pthread_mutex_t walker_lock = PTHREAD_MUTEX_INITIALIZER;
static struct pnm_walker *walkers;	/* walker_lock */
static long nr_walkers;			/* atomic, RMW only */
static pthread_once_t walker_once = PTHREAD_ONCE_INIT;
/* The host has MEMBARRIER_CMD_PRIVATE_EXPEDITED and we registered for it;
 * written once under walker_once. */
static bool membarrier_ok;

static pthread_key_t rcu_thread_key;
static pthread_once_t rcu_key_once = PTHREAD_ONCE_INIT;

static long sys_membarrier(int cmd)
{
	return syscall(SYS_membarrier, cmd, 0, 0);
}

/*
 * Choose the walkers' protocol, once, before the first walker registers:
 * membarrier if the host offers the private expedited command and lets
 * the process register for it (liburcu's memb flavour registers the same
 * command when it finds it; registering twice is harmless).
 */
static void walker_init(void)
{
	long cmds = sys_membarrier(MEMBARRIER_CMD_QUERY);

	membarrier_ok = cmds >= 0 && (cmds & MEMBARRIER_CMD_PRIVATE_EXPEDITED) &&
		sys_membarrier(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED) == 0;
	WRITE_ONCE(pnm_walker_membarrier, membarrier_ok);
}

/* Take the calling thread's walker slot off the list (thread exit).  Its
 * walks are over: the last W4 precedes the unlink. */
static void walker_unregister(void)
{
	struct pnm_walker *w = &pnm_walker;

	VM_BUG_ON(__atomic_load_n(&w->depth, __ATOMIC_RELAXED));
	pthread_mutex_lock(&walker_lock);
	if (w->next)
		w->next->pprev = w->pprev;
	*w->pprev = w->next;
	pthread_mutex_unlock(&walker_lock);
	/* Release: a freer whose F0 reads the smaller count is ordered after
	 * this thread's walks. */
	__atomic_fetch_sub(&nr_walkers, 1, __ATOMIC_RELEASE);
	w->registered = false;
}

/* Thread exit: leave the walkers' list and liburcu's registry.  Never
 * inside a read section (rcu.h: sections do not span a return to the
 * caller). */
static void rcu_thread_exit(void *arg)
{
	(void)arg;
	if (pnm_walker.registered)
		walker_unregister();
	urcu_memb_unregister_thread();
	pnm_rcu_registered = false;
}

static void rcu_key_create(void)
{
	int err = pthread_key_create(&rcu_thread_key, rcu_thread_exit);

	if (err)
		PNM_DIE("pthread_key_create", err);
}

/*
 * __pnm_rcu_register_thread - register the calling thread with liburcu;
 * the key's destructor unregisters it when the thread exits.  Called
 * through pnm_rcu_register_thread() (rcu.h) outside any read section.  A
 * pthread failure is fatal (PNM_DIE).
 */
void __pnm_rcu_register_thread(void)
{
	int err;

	pthread_once(&rcu_key_once, rcu_key_create);
	urcu_memb_register_thread();
	/* Any non-NULL value makes the destructor run at thread exit. */
	err = pthread_setspecific(rcu_thread_key, &pnm_rcu_registered);
	if (err)
		PNM_DIE("pthread_setspecific", err);
	pnm_rcu_registered = true;
}

/*
 * __pnm_walker_register - put the calling thread's walker slot on the
 * freers' list (rcu.h); the first call in the process chooses the
 * protocol.  Called by pnm_lockless_walk_begin() outside any walk.
 * Registers with liburcu too (the key's destructor then unregisters
 * both).
 */
void __pnm_walker_register(void)
{
	struct pnm_walker *w = &pnm_walker;

	pthread_once(&walker_once, walker_init);
	pnm_rcu_register_thread();
	pthread_mutex_lock(&walker_lock);
	w->next = walkers;
	w->pprev = &walkers;
	if (walkers)
		walkers->pprev = &w->next;
	walkers = w;
	pthread_mutex_unlock(&walker_lock);
	/* R1: acq_rel, pairs with a freer's F0 (rcu.h): either it counts us,
	 * or its unhooking happens before our first walk. */
	__atomic_fetch_add(&nr_walkers, 1, __ATOMIC_ACQ_REL);
	w->registered = true;
}

/*
 * pnm_synchronize_rcu - wait for a grace period (rcu.h).  Registers the
 * caller if needed.  Must not be called inside a read section.
 */
void pnm_synchronize_rcu(void)
{
	pnm_rcu_register_thread();
	VM_BUG_ON(urcu_memb_read_ongoing());
	/* What we did before is visible to readers that start later. */
	pnm_tsan_release(&pnm_rcu_tsan_update);
	urcu_memb_synchronize_rcu();
	/* Pairs with the release at every pnm_rcu_read_unlock(). */
	pnm_tsan_acquire(&pnm_rcu_tsan_gp);
}

/*
 * Callback accounting for pnm_rcu_barrier().  liburcu's own rcu_barrier()
 * cannot be used under ThreadSanitizer: it hands a heap block to the
 * call_rcu thread through uninstrumented atomics, which ThreadSanitizer
 * reports as a race between its calloc() and the worker's free().  Every
 * callback of the model goes to liburcu's default call_rcu thread, which
 * runs them in the order they were queued, so "all callbacks queued before
 * the barrier have run" is "cb_done has reached the cb_queued the barrier
 * saw".  The mutex also orders each callback before the barrier's return
 * for ThreadSanitizer.
 */
static pthread_mutex_t cb_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cb_cond = PTHREAD_COND_INITIALIZER;
static unsigned long cb_queued, cb_done;	/* cb_lock */
/* Held for reading by each callback while it runs, for writing by
 * pnm_rcu_callbacks_hold().  Lock order: before every model lock. */
static pthread_rwlock_t cb_exclusion = PTHREAD_RWLOCK_INITIALIZER;

/* The function liburcu calls after the grace period. */
static void pnm_rcu_trampoline(struct rcu_head *head)
{
	struct pnm_rcu_head *rh = container_of(head, struct pnm_rcu_head, head);

	/* The readers of the grace period are done with the object, and the
	 * updater's work before pnm_call_rcu() is visible. */
	pnm_tsan_acquire(&pnm_rcu_tsan_gp);
	pnm_tsan_acquire(&pnm_rcu_tsan_update);
	pthread_rwlock_rdlock(&cb_exclusion);
	rh->func(rh);		/* may free @rh */
	pthread_rwlock_unlock(&cb_exclusion);

	pthread_mutex_lock(&cb_lock);
	cb_done++;
	pthread_cond_broadcast(&cb_cond);
	pthread_mutex_unlock(&cb_lock);
}

/*
 * pnm_call_rcu - queue @func(@rh) to run after a grace period on liburcu's
 * call_rcu thread (rcu.h).  Registers the caller if needed; never sleeps
 * (takes a leaf mutex for the barrier's count).
 */
void pnm_call_rcu(struct pnm_rcu_head *rh, void (*func)(struct pnm_rcu_head *rh))
{
	pnm_rcu_register_thread();
	rh->func = func;
	pthread_mutex_lock(&cb_lock);
	cb_queued++;
	pthread_mutex_unlock(&cb_lock);
	/* Pairs with the acquire at the start of the trampoline. */
	pnm_tsan_release(&pnm_rcu_tsan_update);
	urcu_memb_call_rcu(&rh->head, pnm_rcu_trampoline);
}

/* pnm_rcu_callbacks_hold, pnm_rcu_callbacks_release - rcu.h. */
void pnm_rcu_callbacks_hold(void)
{
	pthread_rwlock_wrlock(&cb_exclusion);
}

void pnm_rcu_callbacks_release(void)
{
	pthread_rwlock_unlock(&cb_exclusion);
}

/*
 * pnm_rcu_barrier - wait for every callback queued before the call (rcu.h),
 * and see their effects (cb_lock).  Not inside a read section (a callback
 * may be waiting for a grace period that our section holds open) nor from
 * a callback.
 */
void pnm_rcu_barrier(void)
{
	unsigned long target;

	VM_BUG_ON(pnm_rcu_read_ongoing());
	pthread_mutex_lock(&cb_lock);
	target = cb_queued;
	while ((long)(cb_done - target) < 0)
		pthread_cond_wait(&cb_cond, &cb_lock);
	pthread_mutex_unlock(&cb_lock);
}

/* F4 (rcu.h): wait until the walk @w was inside when we looked has
 * ended.  walker_lock held. */
static void walker_wait(struct pnm_walker *w)
{
	/* Acquire both: pair with W0 and W4 (rcu.h). */
	unsigned long walks = __atomic_load_n(&w->walks, __ATOMIC_ACQUIRE);

	while (__atomic_load_n(&w->depth, __ATOMIC_ACQUIRE) &&
	       __atomic_load_n(&w->walks, __ATOMIC_ACQUIRE) == walks)
		sched_yield();
}

/* F2 (rcu.h), retried while the host refuses for want of memory. */
static void walker_membarrier(void)
{
	for (int tries = 0; sys_membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED); tries++) {
		if (tries >= 100)
			PNM_DIE("membarrier", errno);
		sched_yield();
	}
}

/*
 * pnm_lockless_walkers_sync - wait out the lockless walkers that may see
 * what the caller unhooked (rcu.h): F0, F2, F3 and F4 of rcu.h's pairing,
 * after the caller's seq_cst unhooking (F1).  No syscall and no lock
 * unless another thread has a walker slot.
 */
void pnm_lockless_walkers_sync(void)
{
	struct pnm_walker *self = &pnm_walker;
	long others;

	VM_BUG_ON(__atomic_load_n(&self->depth, __ATOMIC_RELAXED));
	/* F0: an RMW, so that it pairs with R1 (__pnm_walker_register()) and
	 * with the release of a thread's unregistration. */
	others = __atomic_fetch_add(&nr_walkers, 0, __ATOMIC_ACQ_REL) -
		 (self->registered ? 1 : 0);
	if (!others)
		return;
	pthread_mutex_lock(&walker_lock);
	/* The protocol cannot change under us (it changes only while nobody
	 * walks or frees).  F2: every running thread executes a full
	 * barrier (rcu.h). */
	if (READ_ONCE(pnm_walker_membarrier))
		walker_membarrier();
	/* F3: acquire pairs with W4; seq_cst for the fallback's total order
	 * (a plain load on x86).  Then F4 for each walker seen inside. */
	for (struct pnm_walker *w = walkers; w; w = w->next)
		if (w != self && __atomic_load_n(&w->depth, __ATOMIC_SEQ_CST))
			walker_wait(w);
	pthread_mutex_unlock(&walker_lock);
}

/*
 * pnm_lockless_walk_set_membarrier - choose the walkers' protocol (rcu.h;
 * tests).  Asking for membarrier on a host without it keeps the fallback.
 * Only while no thread walks or frees tables.
 */
bool pnm_lockless_walk_set_membarrier(bool on)
{
	bool was;

	pthread_once(&walker_once, walker_init);
	was = READ_ONCE(pnm_walker_membarrier);
	WRITE_ONCE(pnm_walker_membarrier, on && membarrier_ok);
	return was;
}
