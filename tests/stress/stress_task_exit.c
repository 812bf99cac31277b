// SPDX-License-Identifier: MIT
/*
 * stress_task_exit.c - a process exits while other host threads are
 * running as it, pinning and accessing its memory.
 *
 * Each round creates a fresh process with a small private anonymous area
 * (half of it faulted in, so pins take both the lockless walk and the slow
 * path) and starts, behind a barrier:
 *
 *   pinners (2)   enter the process and repeat a seeded, bounded number of
 *                 operations: pin_user_pages_fast() a random range (mostly
 *                 for writing), "DMA" a stamp into the pinned pages (stores
 *                 straight into page_address()), read it back through the
 *                 mapping with pnm_user_read(), unpin; or pnm_user_write()
 *                 a stamp and pnm_user_read() it back; now and then leave
 *                 the process and enter it again;
 *   exiter        after a seeded number of idle steps, pnm_task_exit()s the
 *                 process, then checks that it can no longer reach the
 *                 process's memory.
 *
 * The contract under test (sched.h): a thread that entered the process
 * before the exit keeps its address space usable until it leaves (every
 * operation succeeds and sees its own data); a thread that enters after
 * the exit gets -EFAULT from every pin and access; the address space is
 * torn down when the last thread leaves.  A thread that enters while the
 * exit runs may land on either side, but consistently: its first
 * operation decides which, and every later one until it leaves agrees.
 * Afterwards NR_FOLL_PIN_ACQUIRED == RELEASED, no misuse was reported (no
 * pin outlived its address space), pnm_check_system() holds and no frame
 * leaked.  Before the fix the fast
 * walk used the mm of an exited task after it was freed: AddressSanitizer
 * reports a heap-use-after-free.
 *
 * Usage: stress_task_exit [seed [rounds]] (or PINMM_STRESS_SEED /
 * PINMM_STRESS_ITERS).  Seeded and bounded; never sleeps.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "test_util.h"
#include "pinmm_test_internal.h"
#include "rcu.h"

#define PG		PAGE_SIZE
#define NR_PAGES	16
#define MAX_RUN		8
#define NR_PINNERS	2
#define OPS		48		/* operations per pinner per round */
#define MAX_IDLE	65536		/* exiter's idle steps before the exit */

#ifdef PNM_TSAN
#define DEFAULT_ROUNDS	150
#else
#define DEFAULT_ROUNDS	1000
#endif

struct round {
	struct task_struct *t;
	unsigned long base;
	pthread_barrier_t start;
	atomic_t exited;		/* set (release) after pnm_task_exit() returned */
};

struct shared {
	atomic_t failures;
	atomic_t first_error;
	atomic_long_t pinned, accessed, refused;
};

/* Which side of the exit a pinner's current stay in the process is on. */
enum side { SIDE_UNKNOWN, SIDE_INSIDE, SIDE_LATE };

struct worker {
	struct shared *sh;
	enum side side;
	struct round *rd;
	int id;
	uint64_t rng;
	pthread_t thread;
	struct page *pages[MAX_RUN];
};

static void record_failure(struct shared *sh, int code)
{
	atomic_inc(&sh->failures);
	atomic_cmpxchg(&sh->first_error, 0, code);
}

/*
 * Is the outcome of an operation (@refused: it returned -EFAULT) the one
 * the current stay allows?  The first operation of a stay that began
 * while the exit ran decides the side.
 */
static bool side_agrees(struct worker *w, bool refused)
{
	if (w->side == SIDE_UNKNOWN)
		w->side = refused ? SIDE_LATE : SIDE_INSIDE;
	return refused == (w->side == SIDE_LATE);
}

/* Pin, stamp through the pin, read back through the mapping, unpin. */
static void pin_op(struct worker *w, uint64_t r, uint64_t stamp)
{
	struct shared *sh = w->sh;
	int n = 1 + (int)((r >> 8) % MAX_RUN);
	unsigned long first = (r >> 16) % (NR_PAGES - (unsigned long)n + 1);
	unsigned long addr = w->rd->base + first * PG;
	unsigned int flags = (r >> 24) % 4 ? FOLL_WRITE : 0;
	unsigned long off = 64 + 8 * (unsigned long)w->id;
	uint64_t got;
	int ret;

	ret = pin_user_pages_fast(addr, n, flags, w->pages);
	if (!side_agrees(w, ret == -EFAULT)) {
		record_failure(sh, w->side == SIDE_LATE ? 10 : 1000 - ret);
		if (ret > 0)
			unpin_user_pages(w->pages, (unsigned long)ret);
		return;
	}
	if (ret == -EFAULT) {
		/* Entered after the exit: nothing to pin. */
		atomic_long_inc(&sh->refused);
		return;
	}
	if (ret != n) {
		record_failure(sh, ret >= 0 ? 11 : 1100 - ret);
		if (ret > 0)
			unpin_user_pages(w->pages, (unsigned long)ret);
		return;
	}
	atomic_long_add(ret, &sh->pinned);
	if (flags & FOLL_WRITE) {
		for (int i = 0; i < n; i++)
			memcpy((char *)page_address(w->pages[i]) + off, &stamp, sizeof(stamp));
		/* The process sees what the device wrote: same pages. */
		for (int i = 0; i < n; i++) {
			got = 0;
			if (pnm_user_read(w->rd->t, addr + (unsigned long)i * PG + off,
					  &got, sizeof(got)))
				record_failure(sh, 12);
			else if (got != stamp)
				record_failure(sh, 13);
		}
	}
	unpin_user_pages_dirty_lock(w->pages, (unsigned long)n, flags & FOLL_WRITE);
}

/* A CPU store and load through the mapping. */
static void access_op(struct worker *w, uint64_t r, uint64_t stamp)
{
	struct shared *sh = w->sh;
	unsigned long addr = w->rd->base + ((r >> 8) % NR_PAGES) * PG +
			     256 + 8 * (unsigned long)w->id;
	uint64_t got = 0;
	int wr, rd;

	wr = pnm_user_write(w->rd->t, addr, &stamp, sizeof(stamp));
	rd = pnm_user_read(w->rd->t, addr, &got, sizeof(got));
	if (!side_agrees(w, wr == -EFAULT) || !side_agrees(w, rd == -EFAULT)) {
		record_failure(sh, 20);
		return;
	}
	if (w->side == SIDE_LATE) {
		atomic_long_inc(&sh->refused);
		return;
	}
	if (wr || rd)
		record_failure(sh, 21);
	else if (got != stamp)
		record_failure(sh, 22);
	else
		atomic_long_inc(&sh->accessed);
}

static void *pinner_main(void *arg)
{
	struct worker *w = arg;
	struct round *rd = w->rd;

	pthread_barrier_wait(&rd->start);
	/* Acquire: pairs with the exiter's release after pnm_task_exit();
	 * seen set, the exit is over and this stay is surely late. */
	w->side = atomic_read_acquire(&rd->exited) ? SIDE_LATE : SIDE_UNKNOWN;
	pnm_task_enter(rd->t);
	for (unsigned long op = 1; op <= OPS; op++) {
		uint64_t r = test_rand(&w->rng);
		uint64_t stamp = ((uint64_t)(w->id + 1) << 56) | (op << 8) | (r & 0xff);

		if (r % 8 == 0) {
			pnm_task_leave(NULL);
			w->side = atomic_read_acquire(&rd->exited) ? SIDE_LATE : SIDE_UNKNOWN;
			pnm_task_enter(rd->t);
		}
		if ((r >> 4) % 3)
			pin_op(w, r, stamp);
		else
			access_op(w, r, stamp);
	}
	/* The last thread to leave tears the address space down. */
	pnm_task_leave(NULL);
	return NULL;
}

static void *exiter_main(void *arg)
{
	struct worker *w = arg;
	struct round *rd = w->rd;
	unsigned long idle = test_rand(&w->rng) % MAX_IDLE;
	uint64_t x = 0, sink = 0;

	pthread_barrier_wait(&rd->start);
	for (unsigned long i = 0; i < idle; i++)
		sink += test_rand(&x);		/* idle steps, no sleep */
	pnm_task_exit(rd->t);
	/* Release: pairs with the pinners' acquire before they enter. */
	atomic_set_release(&rd->exited, 1);
	/* Not inside the process: its memory is out of reach at once. */
	if (pnm_user_read(rd->t, rd->base, &x, sizeof(x)) != -EFAULT)
		record_failure(w->sh, 30);
	return (void *)(uintptr_t)(sink & 1);
}

static void stress_task_exit(void **state, uint64_t seed, unsigned long rounds)
{
	struct worker w[NR_PINNERS + 1];
	struct shared sh;
	uint64_t rng = seed;

	(void)state;
	memset(&sh, 0, sizeof(sh));
	for (unsigned long n = 0; n < rounds; n++) {
		struct round rd;

		memset(&rd, 0, sizeof(rd));
		rd.t = test_task_create("victim");
		assert_non_null(rd.t);
		rd.base = test_mmap(rd.t, NR_PAGES * PG, PROT_READ | PROT_WRITE,
				    MAP_PRIVATE | MAP_ANONYMOUS);
		for (unsigned long i = 0; i < NR_PAGES; i += 2)
			test_write_byte(rd.t, rd.base + i * PG, 1);
		assert_int_equal(pthread_barrier_init(&rd.start, NULL, NR_PINNERS + 1), 0);
		for (int i = 0; i <= NR_PINNERS; i++) {
			w[i].sh = &sh;
			w[i].rd = &rd;
			w[i].id = i;
			w[i].rng = test_rand(&rng) | 1;
			assert_int_equal(pthread_create(&w[i].thread, NULL,
							i < NR_PINNERS ? pinner_main : exiter_main,
							&w[i]), 0);
		}
		for (int i = 0; i <= NR_PINNERS; i++)
			pthread_join(w[i].thread, NULL);
		pthread_barrier_destroy(&rd.start);
		assert_true(rd.t->exited && !rd.t->mm);
		put_task_struct(rd.t);
		if (n % 32 == 0) {
			pnm_rcu_barrier();
			CHECK_ALL();
		}
	}

	print_message("stress_task_exit: seed %#llx, %lu rounds: %ld pages pinned, "
		      "%ld accesses, %ld refused after exit, %d failures (first %d)\n",
		      (unsigned long long)seed, rounds, atomic_long_read(&sh.pinned),
		      atomic_long_read(&sh.accessed), atomic_long_read(&sh.refused),
		      atomic_read(&sh.failures), atomic_read(&sh.first_error));
	assert_int_equal(atomic_read(&sh.failures), 0);
	assert_int_equal(global_stat(NR_FOLL_PIN_ACQUIRED), global_stat(NR_FOLL_PIN_RELEASED));
	for (int k = 0; k < PNM_NR_MISUSE; k++)
		assert_int_equal(pnm_misuse_count(k), 0);
	pnm_rcu_barrier();
	CHECK_ALL();
}

static uint64_t seed = 0x7a5ce417;
static unsigned long nr_rounds = DEFAULT_ROUNDS;

static void stress_task_exit_test(void **state)
{
	stress_task_exit(state, seed, nr_rounds);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(stress_task_exit_test, pnm_test_setup,
						pnm_test_teardown),
	};

	test_stress_params("stress_task_exit", argc, argv, &seed, &nr_rounds);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
