// SPDX-License-Identifier: MIT
/*
 * test_folio_lock.c - the sleeping locks: the PG_locked folio lock
 * (filemap.c) and the rw_semaphore behind mmap_lock (locking.c).
 *
 * Mutual exclusion is checked with plain (non-atomic) counters and an
 * "inside" flag changed only under the folio lock: a broken lock shows up
 * as a lost update or a second thread inside, and under the tsan build as
 * a data race.  Many folios share the 256 wait queues, so waiters for
 * different folios also wake each other (spurious wakeups must be
 * tolerated).  Worker threads only record failures; the main thread
 * asserts after joining them.
 */
#include <pthread.h>
#include <stdlib.h>

#include "test_util.h"
#include "pinmm_test_internal.h"

#define NR_FOLIOS	600	/* more than wait queues: queues are shared */
#define NR_HOT		3	/* the heavily contended ones */
#define NR_THREADS	4
#ifdef PNM_TSAN
#define ITERS		3000
#else
#define ITERS		100000
#endif

struct shared {
	struct folio *folios[NR_FOLIOS];
	unsigned long counter[NR_FOLIOS];	/* under the folio's lock */
	int inside[NR_FOLIOS];			/* under the folio's lock */
	atomic_t violations;
	atomic_t trylock_wins;
};

struct worker {
	struct shared *sh;
	uint64_t seed;
	unsigned long done[NR_FOLIOS];
};

static void critical_section(struct shared *sh, int i)
{
	if (sh->inside[i])
		atomic_inc(&sh->violations);
	sh->inside[i] = 1;
	if (!folio_test_locked(sh->folios[i]))
		atomic_inc(&sh->violations);
	sh->counter[i]++;
	sh->inside[i] = 0;
}

static void *lock_worker(void *p)
{
	struct worker *w = p;
	struct shared *sh = w->sh;
	int n;

	for (n = 0; n < ITERS; n++) {
		uint64_t r = test_rand(&w->seed);
		int i = (r & 3) ? (int)((r >> 8) % NR_HOT)
				: (int)((r >> 8) % NR_FOLIOS);

		switch ((r >> 4) & 3) {
		case 0:
			if (!folio_trylock(sh->folios[i]))
				continue;
			atomic_inc(&sh->trylock_wins);
			break;
		case 1:
			/* Wait, then contend: exercises the no-take path. */
			folio_wait_locked(sh->folios[i]);
			folio_lock(sh->folios[i]);
			break;
		default:
			folio_lock(sh->folios[i]);
			break;
		}
		critical_section(sh, i);
		w->done[i]++;
		folio_unlock(sh->folios[i]);
	}
	return NULL;
}

static void test_contention(void **state)
{
	struct shared *sh = calloc(1, sizeof(*sh));
	struct worker *w = calloc(NR_THREADS, sizeof(*w));
	pthread_t t[NR_THREADS];
	int i, k;

	(void)state;
	assert_non_null(sh);
	assert_non_null(w);
	for (i = 0; i < NR_FOLIOS; i++) {
		sh->folios[i] = folio_alloc(GFP_KERNEL, 0);
		assert_non_null(sh->folios[i]);
	}
	for (k = 0; k < NR_THREADS; k++) {
		w[k].sh = sh;
		w[k].seed = 0x1234567ULL * (k + 1);
		assert_int_equal(pthread_create(&t[k], NULL, lock_worker, &w[k]), 0);
	}
	for (k = 0; k < NR_THREADS; k++)
		pthread_join(t[k], NULL);

	assert_int_equal(atomic_read(&sh->violations), 0);
	assert_true(atomic_read(&sh->trylock_wins) > 0);
	for (i = 0; i < NR_FOLIOS; i++) {
		unsigned long want = 0;

		for (k = 0; k < NR_THREADS; k++)
			want += w[k].done[i];
		assert_int_equal(sh->counter[i], want);
		assert_false(folio_test_locked(sh->folios[i]));
		folio_put(sh->folios[i]);
	}
	free(sh);
	free(w);
	CHECK_ALL();
}

struct handoff {
	struct folio *folio;
	unsigned long payload;		/* written before unlock, plain */
	unsigned long seen;
	atomic_t started;
};

static void *lock_and_read(void *p)
{
	struct handoff *h = p;

	atomic_inc(&h->started);
	folio_lock(h->folio);
	h->seen = h->payload;		/* ordered by the lock hand-off */
	folio_unlock(h->folio);
	return NULL;
}

static void *wait_and_read(void *p)
{
	struct handoff *h = p;

	atomic_inc(&h->started);
	folio_wait_locked(h->folio);
	h->seen = h->payload;		/* ordered by the acquire in the wait */
	return NULL;
}

/* A waiter blocked (or about to block) on a held lock is woken by unlock
 * and sees what the holder wrote. */
static void test_handoff(void **state)
{
	void *(*fns[2])(void *) = { lock_and_read, wait_and_read };
	struct handoff h = { 0 };
	pthread_t t;
	int k, round;

	(void)state;
	h.folio = folio_alloc(GFP_HIGHUSER_MOVABLE, 2);
	assert_non_null(h.folio);
	for (round = 0; round < 50; round++) {
		for (k = 0; k < 2; k++) {
			atomic_set(&h.started, 0);
			folio_lock(h.folio);
			assert_true(folio_test_locked(h.folio));
			assert_true(PageLocked(&h.folio->page));
			assert_int_equal(pthread_create(&t, NULL, fns[k], &h), 0);
			/* Let it get going; it cannot finish before unlock. */
			while (!atomic_read_acquire(&h.started))
				;
			h.payload = round * 2 + k + 1;
			folio_unlock(h.folio);
			pthread_join(t, NULL);
			assert_int_equal(h.seen, round * 2 + k + 1);
			assert_false(folio_test_locked(h.folio));
		}
	}
	folio_put(h.folio);
	CHECK_ALL();
}

static void test_trylock_and_wait_fast_paths(void **state)
{
	struct folio *f = folio_alloc(GFP_KERNEL, 0);

	(void)state;
	assert_non_null(f);
	assert_false(folio_test_locked(f));
	folio_wait_locked(f);			/* unlocked: returns at once */
	assert_true(folio_trylock(f));
	assert_false(folio_trylock(f));		/* not recursive */
	assert_true(folio_test_locked(f));
	folio_unlock(f);
	assert_false(folio_test_locked(f));
	folio_lock(f);
	folio_unlock(f);
	/* Lock state is independent per folio. */
	{
		struct folio *g = folio_alloc(GFP_KERNEL, 0);

		assert_non_null(g);
		assert_true(folio_trylock(f));
		assert_true(folio_trylock(g));
		folio_unlock(f);
		assert_true(folio_test_locked(g));
		folio_unlock(g);
		folio_put(g);
	}
	folio_put(f);
	CHECK_ALL();
}

/* --- rw_semaphore ---------------------------------------------------------- */

struct rwsem_shared {
	struct rw_semaphore sem;
	unsigned long value;		/* written under sem (write) */
	atomic_t violations;
	atomic_t trylock_result;
};

static void *try_read_worker(void *p)
{
	struct rwsem_shared *sh = p;

	if (down_read_trylock(&sh->sem)) {
		atomic_set(&sh->trylock_result, 1);
		up_read(&sh->sem);
	} else {
		atomic_set(&sh->trylock_result, 2);
	}
	return NULL;
}

static void test_rwsem_states(void **state)
{
	struct rwsem_shared sh = { 0 };
	pthread_t t;

	(void)state;
	init_rwsem(&sh.sem);
	assert_false(rwsem_is_locked(&sh.sem));
	down_read(&sh.sem);
	assert_true(rwsem_is_locked(&sh.sem));
	assert_false(rwsem_is_write_held(&sh.sem));
	assert_false(down_write_trylock(&sh.sem));
	/* Readers share. */
	assert_int_equal(pthread_create(&t, NULL, try_read_worker, &sh), 0);
	pthread_join(t, NULL);
	assert_int_equal(atomic_read(&sh.trylock_result), 1);
	up_read(&sh.sem);
	assert_false(rwsem_is_locked(&sh.sem));

	down_write(&sh.sem);
	assert_true(rwsem_is_write_held(&sh.sem));
	assert_true(rwsem_is_locked(&sh.sem));
	lockdep_assert_held_write(&sh.sem);
	/* A writer excludes readers. */
	assert_int_equal(pthread_create(&t, NULL, try_read_worker, &sh), 0);
	pthread_join(t, NULL);
	assert_int_equal(atomic_read(&sh.trylock_result), 2);
	downgrade_write(&sh.sem);
	assert_false(rwsem_is_write_held(&sh.sem));
	assert_true(rwsem_is_locked(&sh.sem));
	assert_int_equal(atomic_read(&sh.sem.readers), 1);
	up_read(&sh.sem);

	assert_true(down_write_trylock(&sh.sem));
	assert_true(rwsem_is_write_held(&sh.sem));
	up_write(&sh.sem);
	assert_true(down_read_trylock(&sh.sem));
	up_read(&sh.sem);
	assert_false(rwsem_is_locked(&sh.sem));
	rwsem_destroy(&sh.sem);
}

#define RWSEM_THREADS	4
#define RWSEM_ITERS	(ITERS / 2)

struct rwsem_worker {
	struct rwsem_shared *sh;
	uint64_t seed;
	unsigned long writes;
};

static void *rwsem_worker(void *p)
{
	struct rwsem_worker *w = p;
	struct rwsem_shared *sh = w->sh;
	unsigned long v;
	int n;

	for (n = 0; n < RWSEM_ITERS; n++) {
		uint64_t r = test_rand(&w->seed);

		if ((r & 3) == 0) {
			if ((r & 4) && !down_write_trylock(&sh->sem))
				continue;
			if (!(r & 4))
				down_write(&sh->sem);
			if (!rwsem_is_write_held(&sh->sem) ||
			    atomic_read(&sh->sem.readers))
				atomic_inc(&sh->violations);
			v = sh->value;
			sh->value = v + 1;
			w->writes++;
			up_write(&sh->sem);
		} else {
			if ((r & 4) && !down_read_trylock(&sh->sem))
				continue;
			if (!(r & 4))
				down_read(&sh->sem);
			if (READ_ONCE(sh->sem.writer))
				atomic_inc(&sh->violations);
			v = sh->value;		/* a race here if readers met writers */
			(void)v;
			up_read(&sh->sem);
		}
	}
	return NULL;
}

static void test_rwsem_contention(void **state)
{
	struct rwsem_shared sh = { 0 };
	struct rwsem_worker w[RWSEM_THREADS];
	pthread_t t[RWSEM_THREADS];
	unsigned long writes = 0;
	int k;

	(void)state;
	init_rwsem(&sh.sem);
	for (k = 0; k < RWSEM_THREADS; k++) {
		w[k] = (struct rwsem_worker){ .sh = &sh, .seed = 0xfeed + 77ULL * k };
		assert_int_equal(pthread_create(&t[k], NULL, rwsem_worker, &w[k]), 0);
	}
	for (k = 0; k < RWSEM_THREADS; k++) {
		pthread_join(t[k], NULL);
		writes += w[k].writes;
	}
	assert_int_equal(atomic_read(&sh.violations), 0);
	assert_true(writes > 0);
	assert_int_equal(sh.value, writes);
	assert_false(rwsem_is_locked(&sh.sem));
	rwsem_destroy(&sh.sem);
}

/*
 * seqcount_t: a writer (serialised by itself) updates two words that must
 * always be equal, inside raw_write_seqcount_begin/end; readers that see a
 * stable even sequence across their reads must never see them differ.
 * The words are accessed with relaxed atomics, as lockless readers in the
 * model do, so the only ordering is the seqcount's.
 */
#define SEQ_ROUNDS	20000

static struct {
	seqcount_t seq;
	unsigned long a, b;
	int done;
} seqtest;

static void *seq_writer(void *arg)
{
	(void)arg;
	for (unsigned long i = 1; i <= SEQ_ROUNDS; i++) {
		raw_write_seqcount_begin(&seqtest.seq);
		WRITE_ONCE(seqtest.a, i);
		smp_mb();
		WRITE_ONCE(seqtest.b, i);
		raw_write_seqcount_end(&seqtest.seq);
	}
	__atomic_store_n(&seqtest.done, 1, __ATOMIC_RELEASE);
	return NULL;
}

static void test_seqcount(void **state)
{
	unsigned long torn = 0, stable = 0, retried = 0;
	pthread_t w;

	(void)state;
	seqcount_init(&seqtest.seq);
	seqtest.a = seqtest.b = 0;
	seqtest.done = 0;
	assert_int_equal(pthread_create(&w, NULL, seq_writer, NULL), 0);
	while (!__atomic_load_n(&seqtest.done, __ATOMIC_ACQUIRE)) {
		unsigned int start = raw_read_seqcount(&seqtest.seq);
		unsigned long a, b;

		if (start & 1) {
			retried++;
			continue;
		}
		a = READ_ONCE(seqtest.a);
		b = READ_ONCE(seqtest.b);
		if (read_seqcount_retry(&seqtest.seq, start)) {
			retried++;
			continue;
		}
		stable++;
		torn += a != b;
	}
	assert_int_equal(pthread_join(w, NULL), 0);
	assert_int_equal(torn, 0);
	/* The final state is consistent and complete. */
	assert_int_equal(seqtest.a, SEQ_ROUNDS);
	assert_int_equal(seqtest.b, SEQ_ROUNDS);
	assert_int_equal(raw_read_seqcount(&seqtest.seq), 2 * SEQ_ROUNDS);
	(void)stable;
	(void)retried;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_trylock_and_wait_fast_paths,
						pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_handoff,
						pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_contention,
						pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test(test_rwsem_states),
		cmocka_unit_test(test_rwsem_contention),
		cmocka_unit_test(test_seqcount),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
