/* SPDX-License-Identifier: MIT */
/*
 * stress_host_faults.c - concurrent work while host calls fail (host
 * fault injection, pinmm/fault.h; docs/faults.md).  Every Nth mapping,
 * reverse-map, pin-record, page-frame and other host allocation fails
 * (stress_fault_every(), phases from the seed) while worker threads, one
 * process each, map, write, verify and unmap short-lived buffers, split
 * them with mprotect, fork children that write their copies, and pin
 * their long-lived buffer.  Every call may fail with ENOMEM and must then
 * change nothing: a buffer holds what the last successful write stored, a
 * parent never sees its child's write, a pin that failed pins nothing.
 * Any other error is a failure.  At the end, with injection off, every
 * invariant holds, and the teardown finds no frame left.
 *
 * Usage: stress_host_faults [seed [iterations]].  Seeded and bounded: no
 * sleeps, no timing assertions.
 */
#include <stdlib.h>
#include <string.h>
#include <pthread.h>

#include "test_util.h"
#include "pinmm_test_internal.h"

#define NTHREADS	4
#define NOWN		8		/* pages of each worker's own buffer */
#define PG		4096UL
#define RW		(PROT_READ | PROT_WRITE)
#define ANON		(MAP_PRIVATE | MAP_ANONYMOUS)

static uint64_t seed = 0x40a1fa17ULL;
static unsigned long iterations = 3000;

struct worker {
	struct task_struct *task;
	unsigned long own;		/* NOWN pages, one word checked each */
	uint64_t want[NOWN];		/* what the last good write stored */
	uint64_t rng;
	struct stress_failures *f;
};

/* A call that may only fail with ENOMEM: true if it succeeded. */
static bool ok_or_enomem(struct worker *w, long ret, const char *what)
{
	if (ret >= 0)
		return true;
	if (ret != -ENOMEM)
		stress_failf(w->f, "%s: %ld", what, ret);
	return false;
}

/* The own buffer holds what the last good writes stored. */
static void check_own(struct worker *w, const char *when)
{
	for (int p = 0; p < NOWN; p++) {
		uint64_t got = 0;

		if (pnm_user_read(w->task, w->own + p * PG, &got, sizeof(got)))
			stress_failf(w->f, "%s: read of own page %d failed", when, p);
		else if (got != w->want[p])
			stress_failf(w->f, "%s: own page %d holds %#llx, not %#llx", when, p,
				     (unsigned long long)got, (unsigned long long)w->want[p]);
	}
}

static void op_write_own(struct worker *w)
{
	int p = (int)(test_rand(&w->rng) % NOWN);
	uint64_t v = test_rand(&w->rng);

	/* One word in one page: the write happens whole or not at all. */
	if (ok_or_enomem(w, pnm_user_write(w->task, w->own + p * PG, &v, sizeof(v)), "write"))
		w->want[p] = v;
}

static void op_map_touch_unmap(struct worker *w)
{
	unsigned long len = (1 + test_rand(&w->rng) % 8) * PG;
	long a = pnm_mmap(w->task, 0, len, RW, ANON, NULL, 0);
	uint64_t v = test_rand(&w->rng), got;

	if (!ok_or_enomem(w, a, "mmap"))
		return;
	for (unsigned long off = 0; off < len; off += PG) {
		if (!ok_or_enomem(w, pnm_user_write(w->task, (unsigned long)a + off, &v, sizeof(v)),
				  "write"))
			continue;
		got = 0;
		if (pnm_user_read(w->task, (unsigned long)a + off, &got, sizeof(got)) || got != v)
			stress_failf(w->f, "fresh page: read back %#llx", (unsigned long long)got);
	}
	/* A split in the middle (mprotect) may need a VMA. */
	if (len > 2 * PG)
		ok_or_enomem(w, pnm_mprotect(w->task, (unsigned long)a + PG, PG, PROT_READ),
			     "mprotect");
	ok_or_enomem(w, pnm_munmap(w->task, (unsigned long)a, len), "munmap");
}

static void op_fork(struct worker *w)
{
	struct task_struct *c;
	uint64_t v = ~test_rand(&w->rng);
	int p = (int)(test_rand(&w->rng) % NOWN);

	if (!ok_or_enomem(w, pnm_task_fork(w->task, "child", &c), "fork"))
		return;
	ok_or_enomem(w, pnm_user_write(c, w->own + p * PG, &v, sizeof(v)), "child write");
	pnm_task_exit(c);
	pnm_task_put(c);
	check_own(w, "after a child's write");
}

static void op_pin(struct worker *w)
{
	struct page *pages[NOWN];
	long n;

	mmap_read_lock(w->task->mm);
	n = pin_user_pages_remote(w->task->mm, w->own, NOWN, FOLL_WRITE | FOLL_LONGTERM,
				  pages, NULL);
	mmap_read_unlock(w->task->mm);
	if (!ok_or_enomem(w, n, "pin"))
		return;
	for (long i = 0; i < n; i++)
		if (!folio_maybe_dma_pinned(page_folio(pages[i])))
			stress_failf(w->f, "pinned page %ld not pinned", i);
	unpin_user_pages(pages, (unsigned long)n);
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;

	for (unsigned long i = 0; i < iterations && !stress_failed(w->f); i++) {
		switch (test_rand(&w->rng) % 5) {
		case 0:
		case 1:
			op_write_own(w);
			break;
		case 2:
			op_map_touch_unmap(w);
			break;
		case 3:
			op_fork(w);
			break;
		case 4:
			op_pin(w);
			break;
		}
	}
	check_own(w, "at the end");
	return NULL;
}

static void test_host_faults(void **state)
{
	static const struct { enum pnm_fault_kind kind; unsigned long every; } arm[] = {
		{ PNM_FAULT_VMA, 7 }, { PNM_FAULT_RMAP, 5 }, { PNM_FAULT_PIN_RECORD, 3 },
		{ PNM_FAULT_PAGE, 13 }, { PNM_FAULT_ALLOC, 11 },
	};
	struct stress_failures f = { .test = "stress_host_faults" };
	struct worker w[NTHREADS];
	pthread_t th[NTHREADS];
	unsigned long total = 0;

	(void)state;
	memset(w, 0, sizeof(w));
	for (int i = 0; i < NTHREADS; i++) {
		w[i].task = test_task_create("w");
		w[i].own = test_mmap(w[i].task, NOWN * PG, RW, ANON);
		w[i].rng = (seed + (uint64_t)i) * 0x9e3779b97f4a7c15ULL | 1;
		w[i].f = &f;
		for (int p = 0; p < NOWN; p++) {
			w[i].want[p] = test_rand(&w[i].rng);
			assert_int_equal(pnm_user_write(w[i].task, w[i].own + p * PG, &w[i].want[p],
							sizeof(uint64_t)), 0);
		}
	}
	pnm_fault_reset();
	for (size_t k = 0; k < ARRAY_SIZE(arm); k++)
		stress_fault_every(arm[k].kind, arm[k].every, seed + k);
	for (int i = 0; i < NTHREADS; i++)
		stress_thread_start(&th[i], worker_main, &w[i]);
	for (int i = 0; i < NTHREADS; i++)
		pthread_join(th[i], NULL);
	pnm_fault_off();
	for (size_t k = 0; k < ARRAY_SIZE(arm); k++) {
		struct pnm_fault_stats st;

		assert_int_equal(pnm_fault_stat(arm[k].kind, &st), 0);
		print_message("  %-10s %lu calls, %lu failed\n", pnm_fault_kind_name(arm[k].kind),
			      st.calls, st.injected);
		total += st.injected;
	}
	pnm_fault_reset();
	stress_assert_none(&f, NULL);
	assert_true(total > 0);		/* the run did meet failures */
	CHECK_ALL();
	for (int i = 0; i < NTHREADS; i++)
		check_own(&w[i], "after the run");
	stress_assert_none(&f, NULL);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_host_faults, pnm_test_setup, pnm_test_teardown),
	};

	if (argc > 1)
		seed = strtoull(argv[1], NULL, 0);
	if (argc > 2)
		iterations = strtoul(argv[2], NULL, 0);
	print_message("stress_host_faults: seed %#llx, %lu iterations\n",
		      (unsigned long long)seed, iterations);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
