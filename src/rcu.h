/* SPDX-License-Identifier: MIT */
/*
 * rcu.h - the model's RCU: liburcu (memb flavour) behind kernel-like names,
 * with the annotations ThreadSanitizer needs to see its grace periods.
 *
 * Who uses it: gup-fast (gup_fast.c) walks page tables without mmap_lock
 * inside pnm_lockless_walk_begin()/end(), which is an RCU read-side
 * critical section; pnm_pgtable_free() (pgtable.c) hands a table frame that
 * such a walker may still be reading to pnm_call_rcu(), so the frame goes
 * back to the buddy allocator only after every walker that could have seen
 * it has left.  Linux gets the same guarantee from disabling interrupts in
 * gup_fast() plus MMU_GATHER_RCU_TABLE_FREE (reference §5.1).
 *
 * Threads: liburcu's memb flavour needs every thread that enters a read
 * section or queues a callback to be registered.  The wrappers below
 * register the calling thread the first time it needs it (a thread-local
 * flag) and a pthread key destructor unregisters it when the thread exits,
 * so model threads never have to know.  A thread must not exit inside a
 * read section (nobody does: sections never span a return to the caller).
 *
 * ThreadSanitizer does not instrument liburcu, so on its own it cannot see
 * that a grace period orders a reader's accesses before a callback's free.
 * Under PNM_TSAN (the tsan preset) the wrappers tell it, on two
 * synchronisation objects:
 *
 *   pnm_rcu_tsan_gp       readers -> grace-period waiters.  Released at
 *                         every pnm_rcu_read_unlock(); acquired after
 *                         pnm_synchronize_rcu() returns and at the start of
 *                         every pnm_call_rcu() callback.  A reader that
 *                         could have seen the old pointer has left before
 *                         the grace period ends, so its accesses happen
 *                         before the free.
 *   pnm_rcu_tsan_update   updaters -> later readers and callbacks.
 *                         Released by pnm_call_rcu() and
 *                         pnm_synchronize_rcu() before they start; acquired
 *                         at pnm_rcu_read_lock() and at the start of every
 *                         callback (the callback sees what its updater did
 *                         before queueing it).
 *   (pnm_rcu_barrier() needs no annotation: it counts callbacks under a
 *   pthread mutex, which ThreadSanitizer sees; liburcu's rcu_barrier() is
 *   not used, see rcu.c.)
 *
 * The annotations over-approximate (every unlock is ordered before every
 * later grace-period end, not only the ones that grace period waited for),
 * which can hide a race but never invents one.  Page-table entries
 * themselves are published with release/acquire atomics (pgtable.h), which
 * ThreadSanitizer sees directly; nothing relies on the annotations for
 * that.
 *
 * Walker accounting (pnm_lockless_walk_begin/end, pnm_lockless_walkers()):
 * besides the RCU read section, a walker increments one of a few
 * cache-line-sized counters.  pnm_pgtable_free() reads them after the table
 * has been unhooked: if no walker is inside a section at that moment, none
 * can reach the table any more and it is freed at once; otherwise it waits
 * for a grace period.  That keeps the core's frame accounting exact and
 * synchronous whenever no lockless walker runs (every single-threaded test
 * and scenario), and costs a walker two uncontended atomics per call.
 * Ordering: the walker's increment is a seq_cst RMW and its table reads
 * are seq_cst loads (gup_fast.c; plain loads on x86); the freer unhooks
 * the table with a seq_cst exchange (pgtable.c) and then reads the
 * counters with seq_cst loads.  All four are in the single total order of
 * seq_cst operations, so either the freer sees the walker's increment (and
 * defers), or the walker's reads come after the unhooking and cannot find
 * the table.  (No fences: ThreadSanitizer does not support them.)
 */
#ifndef PINMM_RCU_H
#define PINMM_RCU_H

#include <urcu/urcu-memb.h>
#include <model/compiler.h>

#ifdef PNM_TSAN
void __tsan_acquire(void *addr);
void __tsan_release(void *addr);
#define pnm_tsan_acquire(addr)	__tsan_acquire(addr)
#define pnm_tsan_release(addr)	__tsan_release(addr)
#else
#define pnm_tsan_acquire(addr)	((void)(addr))
#define pnm_tsan_release(addr)	((void)(addr))
#endif

/* Synchronisation objects for ThreadSanitizer (see above); never read. */
extern char pnm_rcu_tsan_gp, pnm_rcu_tsan_update;

/* Set once the calling thread is registered with liburcu. */
extern _Thread_local bool pnm_rcu_registered;

/*
 * Register the calling thread with liburcu if it is not yet; a pthread key
 * destructor unregisters it at thread exit.  Any context outside a read
 * section.  Cheap after the first call (one thread-local test).
 */
void __pnm_rcu_register_thread(void);
static inline void pnm_rcu_register_thread(void)
{
	if (unlikely(!pnm_rcu_registered))
		__pnm_rcu_register_thread();
}

/* Enter a read-side critical section (nests).  Never blocks. */
static inline void pnm_rcu_read_lock(void)
{
	pnm_rcu_register_thread();
	urcu_memb_read_lock();
	/* Pairs with the release in pnm_call_rcu()/pnm_synchronize_rcu(). */
	pnm_tsan_acquire(&pnm_rcu_tsan_update);
}

/* Leave a read-side critical section. */
static inline void pnm_rcu_read_unlock(void)
{
	/* Pairs with the acquire after a grace period (synchronize, callback). */
	pnm_tsan_release(&pnm_rcu_tsan_gp);
	urcu_memb_read_unlock();
}

/* True if the calling thread is inside a read-side critical section. */
static inline bool pnm_rcu_read_ongoing(void)
{
	return pnm_rcu_registered && urcu_memb_read_ongoing();
}

/*
 * Wait for a grace period: every read section that started before the
 * call has ended when it returns.  Must not be called inside a read
 * section (it would wait for itself).
 */
void pnm_synchronize_rcu(void);

/*
 * A callback deferred past a grace period.  Embed it in the object to be
 * freed; @func runs on liburcu's call_rcu thread, after a grace period,
 * with ThreadSanitizer told about the ordering (no annotation needed in
 * @func).
 */
struct pnm_rcu_head {
	struct rcu_head head;
	void (*func)(struct pnm_rcu_head *rh);
};

/*
 * Run @func(@rh) after a grace period.  Never blocks; callable inside or
 * outside a read section.  Callbacks may take model locks but must not
 * wait for a grace period themselves.
 */
void pnm_call_rcu(struct pnm_rcu_head *rh, void (*func)(struct pnm_rcu_head *rh));

/*
 * Wait until every callback queued (by any thread) before the call has
 * run, and make their effects visible to the caller.  Sleeps.  Not inside
 * a read section, not from a callback.
 *
 * The rule for checkers and frame counts: a table frame whose release was
 * deferred is still allocated (PG_table set), so pnm_check_system()'s
 * accounting holds at any time without waiting -- but the release runs on
 * liburcu's call_rcu thread, which is "another thread changing the model"
 * for pnm_check_system()'s quiescence requirement.  So: after lockless
 * walkers ran concurrently with unmapping, call pnm_rcu_barrier() before
 * pnm_check_system() or before comparing frame counts.  pnm_fini() calls
 * it before it counts leaked frames.  Single-threaded code never defers,
 * so never needs it.
 */
void pnm_rcu_barrier(void);

/* --- lockless page-table walkers (gup-fast) ------------------------------- */

#define PNM_WALKER_SHARDS	16

struct pnm_walker_shard {
	long count;		/* walkers inside a section; atomic */
} __attribute__((aligned(64)));

extern struct pnm_walker_shard pnm_walker_shards[PNM_WALKER_SHARDS];
/* This thread's shard, chosen at registration. */
extern _Thread_local struct pnm_walker_shard *pnm_walker_shard;

/*
 * Start a lockless walk: count the walker (seq_cst RMW, pairing with the
 * unhook-then-count in pnm_pgtable_free(); the walk's table reads must be
 * seq_cst loads) and enter an RCU read section.  Page-table frames seen
 * after this stay allocated until pnm_lockless_walk_end().
 */
static inline void pnm_lockless_walk_begin(void)
{
	pnm_rcu_register_thread();
	__atomic_fetch_add(&pnm_walker_shard->count, 1, __ATOMIC_SEQ_CST);
	pnm_rcu_read_lock();
}

/*
 * End a lockless walk.  The release decrement orders every table read of
 * the walk before a freer that sees the counters at zero.
 */
static inline void pnm_lockless_walk_end(void)
{
	pnm_rcu_read_unlock();
	__atomic_fetch_sub(&pnm_walker_shard->count, 1, __ATOMIC_RELEASE);
}

/*
 * True if some lockless walker may be inside its walk.  Called by
 * pnm_pgtable_free() after the table was unhooked with a seq_cst exchange;
 * seq_cst loads.
 */
bool pnm_lockless_walkers(void);

#endif /* PINMM_RCU_H */
