/* SPDX-License-Identifier: MIT */
/*
 * rcu.h - the model's RCU: liburcu (memb flavour) behind kernel-like names,
 * with the annotations ThreadSanitizer needs to see its grace periods.
 *
 * Who uses it: the reverse map's walkers (rmap.c: anon_vma freed after a
 * grace period), inodes (fs/namei.c), pnm_task_page_info()'s look at a
 * folio's file (inspect.c).  gup-fast does not: its walks are fenced off
 * from freers by the walker slots below, which cost the walk two plain
 * stores and a compiler barrier where an RCU read section of liburcu's
 * (out of line, its thread-local counter reached through __tls_get_addr
 * from a shared library) cost about 80 instructions per call.
 *
 * Walker accounting (pnm_lockless_walk_begin/end,
 * pnm_lockless_walkers_sync()): a walker marks itself in a per-thread
 * slot (struct pnm_walker, initial-exec TLS, on a list the freer can
 * scan): @depth nonzero while inside, @walks counting the walks begun.
 * pnm_pgtable_free() (pgtable.c) calls pnm_lockless_walkers_sync() after
 * the table has been unhooked: if no other thread is inside a walk at
 * that moment, none can reach the table any more; otherwise it waits
 * until each thread seen inside has left that walk (its @depth back to 0,
 * or @walks moved on: a later walk began after it ended).  Then the frame
 * goes back to the allocator at once -- Linux's tlb_remove_table_sync_one(),
 * whose IPI waits for every CPU to leave its interrupts-off gup_fast().
 * Frame accounting is exact and synchronous.  The wait is short: a walk
 * never blocks (no lock, no sleep: it only grabs references, and drops
 * them again on a failed re-check), so a walker holds the freer up for at
 * most the rest of one walk, or a time slice if it was preempted inside.
 * Inode frees wait the same way before their grace period (fs/namei.c):
 * a walker reads folio->mapping->host of a file folio it grabbed, whose
 * file may be evicted meanwhile.
 *
 * The walker side has no locked instruction.  It is one half of a Dekker
 * pattern whose other half is the freer, and the fence that pattern needs
 * on the walker's side is paid by the freer instead (an asymmetric fence,
 * membarrier(2)):
 *
 *   walker (pnm_lockless_walk_begin)     freer (pnm_pgtable_free)
 *   W1 depth = 1 (relaxed store)         F1 unhook: entry = 0 (seq_cst
 *   W2 compiler barrier                     exchange, the caller's)
 *   W3 load the entries (gup_fast.c;     F2 membarrier(PRIVATE_EXPEDITED)
 *      acquire at least)                 F3 load every other slot's depth
 *   ...                                     (acquire); any nonzero: defer
 *   W4 depth = 0 (release store)
 *
 * F2 makes every thread of the process that is running execute a full
 * barrier, at some point of its execution inside the call (a thread that
 * is not running passes through the scheduler's, which is as good).  W2
 * keeps the compiler from moving W3 above W1, so the hardware is the only
 * thing that could reorder them, and the IPI'd barrier stops it: if the
 * barrier falls before W1 in the walker's order, W3 comes after it and so
 * after F1 (the exchange was globally visible before the syscall sent
 * anything), and finds the entry gone; if it falls after W1, W1 is
 * visible before F2 returns, and F3 sees the walker (or W4 of that walk,
 * which is a release its acquire reads: the walk's reads happen before
 * the free).  Either the walker cannot reach the table or the freer
 * defers -- the pairing W1/W2 with F1/F2, and W4 with F3.
 *
 * F2 is the expensive half: a syscall and IPIs to the CPUs running the
 * process's threads (0.1 us alone, 0.35-0.9 us with another thread
 * running, on a 2-CPU VM), paid per table freed while another thread has
 * a slot and none is seen inside a walk beforehand (a freer that already
 * sees a walker marked waits for it without the syscall: F2 only matters
 * for the walkers it does not wait for).  Page-table frees are rare next
 * to gup-fast calls.
 *
 * The wait (F4): for a slot seen inside, the freer reads @walks (acquire)
 * and then @depth (acquire), and waits while @depth is nonzero and
 * @walks is unchanged.  The walk that was inside at F2 is walk k; @walks
 * was at least k then, so the value read afterwards is k or more.  If it
 * is k, the wait ends when @depth reads 0 (W4 of walk k, a release) or
 * @walks reads k + 1 (W0 of walk k + 1, a release store after walk k's
 * W4 in program order): either way walk k's reads happen before the free.
 * If it is more than k, walk k had already ended, and the acquire load
 * read a release store that follows it.
 *
 * Slots appear and disappear (a thread's first walk registers it, thread
 * exit unregisters it), and the common case has no slot but maybe the
 * freer's own: the freer skips F2 and F3 when no thread other than itself
 * is registered.  That test is an RMW on nr_walkers (acq_rel: F0 below)
 * paired with the RMW by which a thread registers (R1) before its first
 * W1: if F0 comes first in nr_walkers' modification order, R1 reads from
 * it, so F1 happens before the new walker's W3 (the entry is gone); if R1
 * comes first, F0 counts the walker and the freer goes on to F2.  A
 * thread's own slot is skipped because the freer is never inside a walk
 * (pnm_pgtable_free() is not called in a read section).
 *
 * If membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED) is not available (an
 * old kernel, a seccomp policy) the choice, made once when the first
 * walker registers, is the previous protocol: W1 is a seq_cst RMW, the
 * walk's entry loads are seq_cst and F3 seq_cst loads, so W1, W3, F1 and
 * F3 are in the single total order of seq_cst operations (no fences:
 * ThreadSanitizer does not support them).  Tests can force it
 * (pnm_lockless_walk_set_membarrier()).
 *
 * ThreadSanitizer: the slot's fields are atomics it sees, and W4 -> F3,
 * W4 -> F4 and W0 -> F4 are release/acquire pairs, so a table freed after
 * F3 or F4 is ordered after the walks' reads without annotations.
 * The Dekker half (F2 ordering F1 before a later walk's W3) is not a
 * happens-before edge it could need: the walker that comes after F2 reads
 * the unhooked entry, an atomic whose exchange it synchronises with, and
 * never touches the frame.  So nothing is annotated for the walkers.
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

/* Set once the calling thread is registered with liburcu.  Initial-exec
 * TLS, as pnm_walker below: tested at every read-side entry. */
extern _Thread_local bool pnm_rcu_registered __attribute__((tls_model("initial-exec")));

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

/* pnm_rcu_read_lock() for a thread known to be registered. */
static inline void __pnm_rcu_read_lock(void)
{
	urcu_memb_read_lock();
	/* Pairs with the release in pnm_call_rcu()/pnm_synchronize_rcu(). */
	pnm_tsan_acquire(&pnm_rcu_tsan_update);
}

/* Enter a read-side critical section (nests).  Never blocks. */
static inline void pnm_rcu_read_lock(void)
{
	pnm_rcu_register_thread();
	__pnm_rcu_read_lock();
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
 * liburcu's call_rcu thread, which would be "another thread changing the
 * model" for pnm_check_system()'s quiescence requirement.  So
 * pnm_check_system() holds the callbacks off while it runs
 * (pnm_rcu_callbacks_hold()); code that compares frame counts itself must
 * call pnm_rcu_barrier() first after lockless walkers ran concurrently with
 * unmapping.  pnm_fini() calls it before it counts leaked frames.
 * Single-threaded code never defers, so never needs it.
 */
void pnm_rcu_barrier(void);

/*
 * Keep every callback from running until pnm_rcu_callbacks_release(): a
 * callback that is due waits for it (on a rwlock each callback holds for
 * reading while it runs; this takes it for writing, so it also waits for
 * a callback that is running).  For pnm_check_system().  The caller holds
 * no model lock (callbacks take model locks while they hold the rwlock)
 * and must not wait for a callback meanwhile (no pnm_rcu_barrier()).
 */
void pnm_rcu_callbacks_hold(void);
void pnm_rcu_callbacks_release(void);

/* --- lockless page-table walkers (gup-fast) ------------------------------- */

/*
 * A thread's walker slot.  @depth, @walks and @registered are written
 * only by the owning thread; freers read @depth and @walks (atomic).  The slot is on the freers'
 * list from the thread's first walk until it exits.
 */
struct pnm_walker {
	unsigned long depth;		/* walks the thread is inside; atomic */
	unsigned long walks;		/* walks begun (W0); atomic */
	bool registered;		/* on the list (owner only) */
	struct pnm_walker *next;	/* the list: rcu.c walker_lock */
	struct pnm_walker **pprev;	/* walker_lock */
};

/* Initial-exec: the walk's hot path reaches it with one %fs-relative
 * access (no __tls_get_addr call from the PIC library). */
extern _Thread_local struct pnm_walker pnm_walker
	__attribute__((tls_model("initial-exec")));

/*
 * True: walkers use the membarrier protocol (relaxed W1); false: the
 * seq_cst RMW fallback.  Chosen before the first walker registers, and
 * changed only by pnm_lockless_walk_set_membarrier() while no walker runs.
 */
extern bool pnm_walker_membarrier;

/*
 * Put the calling thread's slot on the freers' list (and register it
 * with liburcu).  Called through pnm_lockless_walk_begin(), outside any
 * walk; the first call chooses the protocol.  A pthread failure is fatal.
 */
void __pnm_walker_register(void);

/*
 * Start a lockless walk: count it (W0) and mark the walker in its slot
 * (W1/W2 in the comment above, or the fallback's seq_cst RMW).
 * Page-table frames seen after this stay allocated until
 * pnm_lockless_walk_end(): a freer waits for the walk to end
 * (pnm_lockless_walkers_sync()).  No RCU read section.  The walk's entry
 * loads must be acquire loads, and seq_cst loads in the fallback;
 * gup_fast.c's are seq_cst in both.  Must not block until the end.
 */
static inline void pnm_lockless_walk_begin(void)
{
	struct pnm_walker *w = &pnm_walker;

	if (unlikely(!w->registered))
		__pnm_walker_register();
	/* W0: only this thread writes @walks.  Release: a freer whose F4
	 * reads it (acquire) is ordered after the thread's previous walks. */
	__atomic_store_n(&w->walks, w->walks + 1, __ATOMIC_RELEASE);
	if (likely(__atomic_load_n(&pnm_walker_membarrier, __ATOMIC_RELAXED))) {
		/* W1: only this thread writes @depth.  Pairs with F3 via the
		 * freer's membarrier (F2). */
		__atomic_store_n(&w->depth, w->depth + 1, __ATOMIC_RELAXED);
		/* W2: a compiler barrier, made a full one by F2. */
		__atomic_signal_fence(__ATOMIC_SEQ_CST);
	} else {
		/* Fallback W1: in the seq_cst total order with F1 and F3. */
		__atomic_fetch_add(&w->depth, 1, __ATOMIC_SEQ_CST);
	}
}

/*
 * End a lockless walk.  W4: the release store orders every table read of
 * the walk before a freer whose acquire load (F3, F4) sees it.
 */
static inline void pnm_lockless_walk_end(void)
{
	struct pnm_walker *w = &pnm_walker;

	__atomic_store_n(&w->depth, w->depth - 1, __ATOMIC_RELEASE);
}

/*
 * Wait until no lockless walker other than the caller can still be
 * reading what the caller unhooked before the call: F0, F2, F3 and F4 of
 * the comment above.  Called by pnm_pgtable_free() after the table was
 * unhooked with a seq_cst exchange (F1), and before an inode's memory is
 * handed to its grace period (fs/namei.c); never inside a walk.  No
 * syscall and no lock unless another thread has a walker slot; then takes
 * walker_lock (a leaf: walkers never take it inside a walk) and waits
 * (sched_yield()) for walks seen inside to end.  Any model lock may be
 * held: a walk takes none that a freer could hold (it may free a folio it
 * grabbed: the page allocator's and the pin registry's locks, which no
 * freer holds while it frees a table).  A failing membarrier is retried;
 * one that keeps failing is fatal (PNM_DIE): the process registered for
 * it, so only a broken host gets there.
 */
void pnm_lockless_walkers_sync(void);

/*
 * Tests: use the membarrier protocol (@on, if the host has it) or the
 * seq_cst fallback from now on.  Returns the protocol in force before the
 * call.  Only while no thread is inside a walk or freeing a table.
 */
bool pnm_lockless_walk_set_membarrier(bool on);

#endif /* PINMM_RCU_H */
