// SPDX-License-Identifier: MIT
/*
 * filemap.c - the folio lock (and, later, the page cache).
 *
 * The folio lock is PG_locked on the head page: a sleeping bit lock held
 * across migration, splitting and page-cache state changes.  Taking it is
 * test_and_set_bit_lock() (acquire on success); releasing it is
 * clear_bit_unlock() (release), so everything done under the lock is
 * visible to the next holder.
 *
 * Sleeping.  Linux hashes a folio to one of a table of wait queues; the
 * model does the same with a striped table of (mutex, condvar) pairs
 * indexed by a hash of the pfn.  The protocol that prevents lost wakeups:
 *
 *   waiter (folio_lock, folio_wait_locked)   unlocker (folio_unlock)
 *   -------------------------------------    -------------------------
 *   lock wq->mutex                           clear_bit_unlock(PG_locked)
 *   while PG_locked is set (re-tested        lock wq->mutex
 *         under the mutex):                  broadcast wq->cond
 *       wait on wq->cond (drops mutex)       unlock wq->mutex
 *   unlock wq->mutex
 *
 * A waiter only sleeps after seeing the bit set while holding the mutex.
 * The unlocker clears the bit before taking the mutex, so either the waiter
 * sees the bit clear, or the unlocker's broadcast comes after the waiter
 * is asleep (it cannot get the mutex before the waiter releases it by
 * sleeping).  Several folios share a queue, so a woken waiter re-tests its
 * own bit and goes back to sleep if its folio is still locked.
 *
 * The folio-lock part is self-contained at the top of this file; the page
 * cache will grow below it.
 */
#include "internal.h"

/* --- the folio lock ---------------------------------------------------------- */

#define FOLIO_WAIT_TABLE_BITS	8
#define FOLIO_WAIT_TABLE_SIZE	(1U << FOLIO_WAIT_TABLE_BITS)

/* One wait queue: @cond is waited on and signalled with @mutex held. */
struct folio_wait_queue {
	pthread_mutex_t mutex;
	pthread_cond_t cond;
} __attribute__((aligned(64)));

static struct folio_wait_queue folio_wait_table[FOLIO_WAIT_TABLE_SIZE];
static pthread_once_t folio_wait_once = PTHREAD_ONCE_INIT;

static void folio_wait_table_init(void)
{
	unsigned int i;
	int err;

	for (i = 0; i < FOLIO_WAIT_TABLE_SIZE; i++) {
		err = pthread_mutex_init(&folio_wait_table[i].mutex, NULL);
		if (err)
			PNM_DIE("pthread_mutex_init", err);
		err = pthread_cond_init(&folio_wait_table[i].cond, NULL);
		if (err)
			PNM_DIE("pthread_cond_init", err);
	}
}

/*
 * Set up the folio wait queues.  Called by pnm_init(); the queues outlive
 * pnm_fini() (nobody can be waiting then) and are set up only once per
 * process, so repeated init/fini cycles are fine.
 */
void pnm_folio_lock_init(void)
{
	int err = pthread_once(&folio_wait_once, folio_wait_table_init);

	if (err)
		PNM_DIE("pthread_once", err);
}

static struct folio_wait_queue *folio_waitqueue(struct folio *folio)
{
	/* Fibonacci hashing of the pfn spreads neighbouring folios. */
	unsigned long h = folio_pfn(folio) * 0x9E3779B97F4A7C15UL;

	return &folio_wait_table[h >> (BITS_PER_LONG - FOLIO_WAIT_TABLE_BITS)];
}

static void wq_lock(struct folio_wait_queue *wq)
{
	int err = pthread_mutex_lock(&wq->mutex);

	if (err)
		PNM_DIE("pthread_mutex_lock", err);
}

static void wq_unlock(struct folio_wait_queue *wq)
{
	pthread_mutex_unlock(&wq->mutex);
}

static void wq_wait(struct folio_wait_queue *wq)
{
	int err = pthread_cond_wait(&wq->cond, &wq->mutex);

	if (err)
		PNM_DIE("pthread_cond_wait", err);
}

/*
 * Try to lock @folio without sleeping.  Returns true if the caller now
 * holds the lock.  Acquire ordering on success (pairs with the
 * clear_bit_unlock() in folio_unlock()).
 */
bool folio_trylock(struct folio *folio)
{
	VM_BUG_ON_PAGE(PageTail(&folio->page), &folio->page);
	return !test_and_set_bit_lock(PG_locked, &folio->flags);
}

/*
 * Lock @folio, sleeping until it is available.  The caller must hold a
 * reference (the folio cannot be freed while it sleeps) and must not hold
 * any lock ordered inside the folio lock: page-table locks, the rmap lock,
 * xa_lock, zone->lock (mm_types.h).  Not recursive.
 */
void folio_lock(struct folio *folio)
{
	struct folio_wait_queue *wq;

	if (likely(folio_trylock(folio)))
		return;
	wq = folio_waitqueue(folio);
	wq_lock(wq);
	/* The test-and-set is retried under wq->mutex: see the top of file. */
	while (test_and_set_bit_lock(PG_locked, &folio->flags))
		wq_wait(wq);
	wq_unlock(wq);
}

/*
 * Release the folio lock and wake everyone waiting on its queue.  The
 * caller must hold the lock (fatal otherwise).  Release ordering: the
 * caller's writes are visible to the next holder.  Never sleeps for long
 * (the queue mutex is only held for short sections).
 */
void folio_unlock(struct folio *folio)
{
	struct folio_wait_queue *wq = folio_waitqueue(folio);

	VM_BUG_ON_PAGE(!folio_test_locked(folio), &folio->page);
	/* Release: pairs with test_and_set_bit_lock()/test_bit_acquire(). */
	clear_bit_unlock(PG_locked, &folio->flags);
	/*
	 * Taking the queue mutex after clearing the bit is what makes the
	 * broadcast reach any waiter that saw the bit still set.
	 */
	wq_lock(wq);
	pthread_cond_broadcast(&wq->cond);
	wq_unlock(wq);
}

/*
 * Wait until @folio is not locked, without taking the lock (a fault that
 * met a migration entry waits for the migration to finish this way).  The
 * caller holds a reference.  Returns at once if the folio is unlocked;
 * acquire ordering, so the caller sees what the last holder did.  The
 * folio may of course be locked again by the time the caller looks.
 */
void folio_wait_locked(struct folio *folio)
{
	struct folio_wait_queue *wq;

	/* Acquire: pairs with clear_bit_unlock() in folio_unlock(). */
	if (!test_bit_acquire(PG_locked, &folio->flags))
		return;
	wq = folio_waitqueue(folio);
	wq_lock(wq);
	while (test_bit_acquire(PG_locked, &folio->flags))
		wq_wait(wq);
	wq_unlock(wq);
}
