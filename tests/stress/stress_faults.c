/* SPDX-License-Identifier: MIT */
/*
 * stress_faults.c - racing faults.  Threads running as one process race
 * read and write faults on the same pages (zero page -> private page, PTE
 * table installation) and on a freshly mapped page they all touch at once;
 * then threads of a parent and of its forked child write to the COW-shared
 * pages concurrently (copies and reuses racing); finally faults race
 * MADV_DONTNEED in a THP area (huge PMDs split and zapped under them).  Every thread owns a
 * slot in each page and checks its own data as it goes; the main thread
 * checks all data and the model's invariants after each phase.
 *
 * Usage: stress_faults [seed [iterations]].  Seeded and bounded: no
 * sleeps, no timing assertions.
 */
#include <stdlib.h>
#include <string.h>
#include <pthread.h>

#include "test_util.h"
#include "pinmm_test_internal.h"

#define MAP_ANON_PRIV	(MAP_PRIVATE | MAP_ANONYMOUS)
#define PROT_RW		(PROT_READ | PROT_WRITE)
#define NTHREADS	4
#define NPAGES		32
#define SLOT(i)		((unsigned long)(i) * sizeof(uint64_t))

static uint64_t seed = 0x5eed1234abcdULL;
static int iterations = 40000;

struct worker {
	struct task_struct *task;
	unsigned long base;
	int slot;
	uint64_t rng;
	int iters;
	uint64_t last[NPAGES];		/* last value written to slot per page */
	atomic_t *failures;
	pthread_barrier_t *barrier;
	unsigned long *round_base;	/* phase 2: the page of the round */
	int rounds;
	bool zapper;			/* phase 4: also MADV_DONTNEED ranges */
	bool zapped_ok;			/* phase 4: a slot may read back as 0 */
};

static void record_failure(struct worker *w)
{
	atomic_inc(w->failures);
}

/* Phase 1 and 3: random reads and writes of the worker's own slots. */
static void *slot_worker(void *arg)
{
	struct worker *w = arg;

	for (int it = 0; it < w->iters; it++) {
		int p = (int)(test_rand(&w->rng) % NPAGES);
		unsigned long addr = w->base + (unsigned long)p * PAGE_SIZE + SLOT(w->slot);
		uint64_t v, all[NTHREADS];

		if (w->zapper && test_rand(&w->rng) % 4 == 0) {
			unsigned long first = test_rand(&w->rng) % NPAGES;
			unsigned long nr = 1 + test_rand(&w->rng) % 8;

			if (first + nr > NPAGES)
				nr = NPAGES - first;
			if (pnm_mm_madvise(w->task->mm, w->base + first * PAGE_SIZE,
					nr * PAGE_SIZE, MADV_DONTNEED))
				record_failure(w);
			for (unsigned long q = first; q < first + nr; q++)
				w->last[q] = 0;
			continue;
		}
		switch (test_rand(&w->rng) % 3) {
		case 0:
			v = ((uint64_t)it << 8) | (uint64_t)w->slot | 1ULL << 63;
			if (pnm_user_write(w->task, addr, &v, sizeof(v)))
				record_failure(w);
			else
				w->last[p] = v;
			break;
		case 1:
			if (pnm_user_read(w->task, addr, &v, sizeof(v)))
				record_failure(w);
			else if (w->zapped_ok && v == 0)
				w->last[p] = 0;		/* another thread zapped it */
			else if (v != w->last[p])
				record_failure(w);
			break;
		default:
			/* Read every slot of the page (races with the others). */
			if (pnm_user_read(w->task, w->base + (unsigned long)p * PAGE_SIZE,
					  all, sizeof(all)))
				record_failure(w);
			else if (w->zapped_ok && all[w->slot] == 0)
				w->last[p] = 0;
			else if (all[w->slot] != w->last[p])
				record_failure(w);
			break;
		}
	}
	return NULL;
}

static uint64_t read_u64(struct task_struct *t, unsigned long addr)
{
	uint64_t v = 0;

	assert_int_equal(pnm_user_read(t, addr, &v, sizeof(v)), 0);
	return v;
}

static void start_workers(pthread_t *th, struct worker *w, int n, void *(*fn)(void *))
{
	for (int i = 0; i < n; i++)
		assert_int_equal(pthread_create(&th[i], NULL, fn, &w[i]), 0);
}

static void join_workers(pthread_t *th, int n)
{
	for (int i = 0; i < n; i++)
		assert_int_equal(pthread_join(th[i], NULL), 0);
}

/* Threads of one process race faults on the same untouched pages. */
static void test_same_pages(void **state)
{
	struct task_struct *t = test_task_create("stress");
	unsigned long base = test_mmap(t, NPAGES * PAGE_SIZE, PROT_RW, MAP_ANON_PRIV);
	struct worker w[NTHREADS];
	pthread_t th[NTHREADS];
	atomic_t failures = ATOMIC_INIT(0);

	(void)state;
	memset(w, 0, sizeof(w));
	for (int i = 0; i < NTHREADS; i++) {
		w[i] = (struct worker){ .task = t, .base = base, .slot = i,
					.rng = seed * (i + 1) | 1, .iters = iterations,
					.failures = &failures };
	}
	start_workers(th, w, NTHREADS, slot_worker);
	join_workers(th, NTHREADS);
	assert_int_equal(atomic_read(&failures), 0);
	for (int p = 0; p < NPAGES; p++)
		for (int i = 0; i < NTHREADS; i++)
			assert_int_equal(read_u64(t, base + p * PAGE_SIZE + SLOT(i)), w[i].last[p]);
	CHECK_ALL();
}

/* Phase 2: every round all threads hit the same freshly mapped page. */
static void *new_page_worker(void *arg)
{
	struct worker *w = arg;

	for (int r = 0; r < w->rounds; r++) {
		unsigned long addr;
		uint64_t v;

		pthread_barrier_wait(w->barrier);
		addr = *w->round_base + SLOT(w->slot);
		if ((w->slot + r) % 2) {
			v = ((uint64_t)r << 8) | (uint64_t)w->slot;
			if (pnm_user_write(w->task, addr, &v, sizeof(v)))
				record_failure(w);
		} else if (pnm_user_read(w->task, addr, &v, sizeof(v)) || v != 0) {
			record_failure(w);
		}
		pthread_barrier_wait(w->barrier);
	}
	return NULL;
}

static void test_same_new_page(void **state)
{
	struct task_struct *t = test_task_create("newpage");
	int rounds = iterations / 10 > 0 ? iterations / 10 : 1;
	struct worker w[NTHREADS];
	pthread_t th[NTHREADS];
	pthread_barrier_t barrier;
	atomic_t failures = ATOMIC_INIT(0);
	unsigned long round_base = 0;

	(void)state;
	assert_int_equal(pthread_barrier_init(&barrier, NULL, NTHREADS + 1), 0);
	for (int i = 0; i < NTHREADS; i++) {
		w[i] = (struct worker){ .task = t, .slot = i, .rounds = rounds,
					.failures = &failures, .barrier = &barrier,
					.round_base = &round_base };
	}
	start_workers(th, w, NTHREADS, new_page_worker);
	for (int r = 0; r < rounds; r++) {
		/* A new VMA each round, in a PMD of its own half of the time,
		 * so the threads also race installing the PTE table. */
		unsigned long len = (r % 2) ? 4 * PMD_SIZE : PAGE_SIZE;
		unsigned long base = test_mmap(t, len, PROT_RW, MAP_ANON_PRIV);

		round_base = (r % 2) ? ALIGN(base, PMD_SIZE) + PMD_SIZE : base;
		pthread_barrier_wait(&barrier);
		pthread_barrier_wait(&barrier);
		for (int i = 0; i < NTHREADS; i++) {
			uint64_t want = ((i + r) % 2) ? (((uint64_t)r << 8) | (uint64_t)i) : 0;

			assert_int_equal(read_u64(t, round_base + SLOT(i)), want);
		}
		assert_int_not_equal(test_pfn(t, round_base), pnm_mem.zero_pfn);
		if (r % 16 == 0)
			CHECK_ALL();
		assert_int_equal(pnm_mm_munmap(t->mm, base, len), 0);
	}
	join_workers(th, NTHREADS);
	pthread_barrier_destroy(&barrier);
	assert_int_equal(atomic_read(&failures), 0);
	CHECK_ALL();
}

/* Phase 3: parent and child threads write the COW-shared pages at once. */
static void test_fork_writers(void **state)
{
	struct task_struct *p = test_task_create("parent"), *c = NULL;
	unsigned long base = test_mmap(p, NPAGES * PAGE_SIZE, PROT_RW, MAP_ANON_PRIV);
	uint64_t initial[NPAGES][NTHREADS];
	struct worker w[NTHREADS];
	pthread_t th[NTHREADS];
	atomic_t failures = ATOMIC_INIT(0);
	int rounds = 4;

	(void)state;
	for (int round = 0; round < rounds; round++) {
		/* Fill every slot (parent), then fork a fresh child. */
		for (int pg = 0; pg < NPAGES; pg++) {
			for (int i = 0; i < NTHREADS; i++) {
				initial[pg][i] = 0xabc000ULL + (uint64_t)(round * 1000 + pg * 10 + i);
				assert_int_equal(pnm_user_write(p, base + pg * PAGE_SIZE + SLOT(i),
								&initial[pg][i], 8), 0);
			}
		}
		assert_int_equal(pnm_task_fork(p, "child", &c), 0);
		/* Workers 0,1 run in the parent, 2,3 in the child. */
		for (int i = 0; i < NTHREADS; i++) {
			w[i] = (struct worker){ .task = i < 2 ? p : c, .base = base, .slot = i,
						.rng = (seed + (uint64_t)round) * (i + 7) | 1,
						.iters = iterations / 2, .failures = &failures };
			for (int pg = 0; pg < NPAGES; pg++)
				w[i].last[pg] = initial[pg][i];
		}
		start_workers(th, w, NTHREADS, slot_worker);
		join_workers(th, NTHREADS);
		assert_int_equal(atomic_read(&failures), 0);
		for (int pg = 0; pg < NPAGES; pg++) {
			for (int i = 0; i < NTHREADS; i++) {
				unsigned long a = base + pg * PAGE_SIZE + SLOT(i);
				/* The other process never wrote this slot. */
				uint64_t in_p = i < 2 ? w[i].last[pg] : initial[pg][i];
				uint64_t in_c = i < 2 ? initial[pg][i] : w[i].last[pg];

				assert_int_equal(read_u64(p, a), in_p);
				assert_int_equal(read_u64(c, a), in_c);
			}
		}
		CHECK_ALL();
		pnm_task_exit(c);
		put_task_struct(c);
		CHECK_ALL();
	}
}

/*
 * Phase 4: faults race MADV_DONTNEED (mmap_lock read on both sides) in a
 * THP-eligible area: zaps split huge PMDs under the faulting threads and
 * meet PTE tables being filled.  Even rounds start from a THP (a write
 * fault), odd ones from the huge zero page (a read fault), which the
 * workers' writes and the zaps split.  A slot reads back as its last
 * value or, after a zap, 0.
 */
static void test_fault_vs_zap(void **state)
{
	struct task_struct *t = test_task_create("zaprace");
	unsigned long base = 11UL << PGDIR_SHIFT;
	struct worker w[NTHREADS];
	pthread_t th[NTHREADS];
	atomic_t failures = ATOMIC_INIT(0);
	long thp_allocs = global_stat(THP_FAULT_ALLOC);
	long huge_zero = global_stat(PNM_HUGE_ZERO_PAGE_MAPPED);
	long splits = global_stat(THP_SPLIT_PMD);

	(void)state;
	BUILD_BUG_ON(NPAGES * PAGE_SIZE > PMD_SIZE);
	assert_int_equal(pnm_mm_mmap(t->mm, base, PMD_SIZE, PROT_RW, MAP_ANON_PRIV | MAP_FIXED,
				  NULL, 0), (long)base);
	assert_int_equal(pnm_mm_madvise(t->mm, base, PMD_SIZE, MADV_HUGEPAGE), 0);
	for (int round = 0; round < 4; round++) {
		uint64_t zero = 0;

		/* The area is empty: a write maps a THP, a read the huge
		 * zero page (it reads as zeroes either way). */
		if (round & 1)
			assert_int_equal(read_u64(t, base), 0);
		else
			assert_int_equal(pnm_user_write(t, base, &zero, sizeof(zero)), 0);
		for (int i = 0; i < NTHREADS; i++) {
			w[i] = (struct worker){ .task = t, .base = base, .slot = i,
						.rng = (seed ^ 0x9e37ULL) * (i + 3 + round * 5) | 1,
						.iters = iterations / 4, .failures = &failures,
						.zapper = i == 0, .zapped_ok = true };
			for (int p = 0; p < NPAGES; p++)
				w[i].last[p] = read_u64(t, base + p * PAGE_SIZE + SLOT(i));
		}
		start_workers(th, w, NTHREADS, slot_worker);
		join_workers(th, NTHREADS);
		assert_int_equal(atomic_read(&failures), 0);
		for (int p = 0; p < NPAGES; p++) {
			for (int i = 0; i < NTHREADS; i++) {
				uint64_t v = read_u64(t, base + p * PAGE_SIZE + SLOT(i));

				assert_true(v == w[i].last[p] || v == 0);
			}
		}
		CHECK_ALL();
		/* Start the next round from an empty PMD again (MADV_DONTNEED
		 * would leave the split PMD's PTE table in place). */
		assert_int_equal(pnm_mm_munmap(t->mm, base, PMD_SIZE), 0);
		assert_int_equal(pnm_mm_mmap(t->mm, base, PMD_SIZE, PROT_RW,
					  MAP_ANON_PRIV | MAP_FIXED, NULL, 0), (long)base);
		assert_int_equal(pnm_mm_madvise(t->mm, base, PMD_SIZE, MADV_HUGEPAGE), 0);
	}
	/* The fresh model had 2 MiB blocks: huge pages were made and split. */
	assert_true(global_stat(THP_FAULT_ALLOC) > thp_allocs);
	assert_true(global_stat(PNM_HUGE_ZERO_PAGE_MAPPED) > huge_zero);
	assert_true(global_stat(THP_SPLIT_PMD) > splits);
	CHECK_ALL();
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_same_pages, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_same_new_page, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_fork_writers, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_fault_vs_zap, pnm_test_setup, pnm_test_teardown),
	};

	if (argc > 1)
		seed = strtoull(argv[1], NULL, 0);
	if (argc > 2)
		iterations = atoi(argv[2]);
	print_message("stress_faults: seed %#llx, %d iterations\n",
		      (unsigned long long)seed, iterations);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
