// SPDX-License-Identifier: MIT
/*
 * rcu.c - the out-of-line half of rcu.h: registering threads with liburcu
 * (lazily, unregistered by a pthread key destructor at thread exit), the
 * call_rcu trampoline that tells ThreadSanitizer about grace periods,
 * synchronize/barrier wrappers (the barrier counts callbacks itself), and
 * the lockless-walker counters that let
 * pnm_pgtable_free() skip the grace period when no walker is running.
 *
 * The contracts and the pairing of every annotation are in rcu.h.
 */
#include <pthread.h>

#include "internal.h"
#include "rcu.h"

char pnm_rcu_tsan_gp, pnm_rcu_tsan_update;

_Thread_local bool pnm_rcu_registered;

struct pnm_walker_shard pnm_walker_shards[PNM_WALKER_SHARDS];

/*
 * Until the thread registers it points at shard 0, so that a walker that
 * somehow skipped registration is still counted.
 */
_Thread_local struct pnm_walker_shard *pnm_walker_shard = &pnm_walker_shards[0];

static pthread_key_t rcu_thread_key;
static pthread_once_t rcu_key_once = PTHREAD_ONCE_INIT;
/* Round-robin shard assignment; relaxed (any spread will do). */
static unsigned int next_shard;

/* Thread exit: leave liburcu's registry.  Never inside a read section
 * (rcu.h: sections do not span a return to the caller). */
static void rcu_thread_exit(void *arg)
{
	(void)arg;
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
 * __pnm_rcu_register_thread - register the calling thread with liburcu and
 * give it a walker shard; the key's destructor unregisters it when the
 * thread exits.  Called through pnm_rcu_register_thread() (rcu.h) outside
 * any read section.  A pthread failure is fatal (PNM_DIE).
 */
void __pnm_rcu_register_thread(void)
{
	unsigned int shard;
	int err;

	pthread_once(&rcu_key_once, rcu_key_create);
	urcu_memb_register_thread();
	/* Any non-NULL value makes the destructor run at thread exit. */
	err = pthread_setspecific(rcu_thread_key, &pnm_rcu_registered);
	if (err)
		PNM_DIE("pthread_setspecific", err);
	shard = __atomic_fetch_add(&next_shard, 1, __ATOMIC_RELAXED);
	pnm_walker_shard = &pnm_walker_shards[shard % PNM_WALKER_SHARDS];
	pnm_rcu_registered = true;
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

/* The function liburcu calls after the grace period. */
static void pnm_rcu_trampoline(struct rcu_head *head)
{
	struct pnm_rcu_head *rh = container_of(head, struct pnm_rcu_head, head);

	/* The readers of the grace period are done with the object, and the
	 * updater's work before pnm_call_rcu() is visible. */
	pnm_tsan_acquire(&pnm_rcu_tsan_gp);
	pnm_tsan_acquire(&pnm_rcu_tsan_update);
	rh->func(rh);		/* may free @rh */

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

/*
 * pnm_lockless_walkers - may a lockless walker be inside its walk?  Sums
 * the shards with seq_cst loads (rcu.h explains the pairing with the
 * walker's increment and the freer's unhooking exchange).  A reader that
 * saw a shard reach zero through a walker's release decrement is ordered
 * after that walker's table reads.
 */
bool pnm_lockless_walkers(void)
{
	for (int i = 0; i < PNM_WALKER_SHARDS; i++)
		if (__atomic_load_n(&pnm_walker_shards[i].count, __ATOMIC_SEQ_CST))
			return true;
	return false;
}
