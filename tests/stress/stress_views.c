// SPDX-License-Identifier: MIT
/*
 * stress_views.c - the per-process views racing with the memory they
 * describe (task_mmu.c).
 *
 * Writer threads running as one process keep writing their own pages of
 * a range (some of it THP-backed) and read each write straight back;
 * pinner threads pin random pages with gup-fast (FOLL_WRITE |
 * FOLL_LONGTERM) and unpin them; a tracker thread keeps writing
 * clear_refs (soft-dirty, which write-protects entries under the
 * writers' and pinners' feet, and referenced), reading the pagemap (where
 * the pinners' migrations out of Movable show as migration entries) and
 * the smaps of the range, and now and then zaps part of it with
 * MADV_DONTNEED.  Every write must read back, every pagemap entry must be
 * well formed (present with a valid frame, or empty), the smaps numbers
 * must stay within the range, and at the end every invariant holds
 * (pnm_check_system(), the smaps checker included).
 *
 * Usage: stress_views [seed [iterations]].  Seeded and bounded: the
 * other threads stop when the tracker is done.
 */
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>

#include "test_util.h"
#include "pinmm_test_internal.h"

#define PG		PAGE_SIZE
#define NR_WRITERS	2
#define NR_PINNERS	1
#define RANGE		(2 * PMD_SIZE)
#define NR_PAGES	(RANGE / PG)

#ifdef PNM_TSAN
#define DEFAULT_ITERS	100
#else
#define DEFAULT_ITERS	500
#endif

static uint64_t seed = 0x5eed7ea;
static unsigned long nr_iters = DEFAULT_ITERS;

struct shared {
	struct task_struct *task;
	unsigned long base;
	atomic_t done;
	struct stress_failures fails;
	atomic_long_t writes, pins;
};

struct worker {
	struct shared *sh;
	int id;
	uint64_t rng;
	pthread_t thread;
};

/* Writer @id owns the pages whose index is @id modulo NR_WRITERS. */
static void *writer_main(void *arg)
{
	struct worker *w = arg;
	struct shared *sh = w->sh;
	struct task_struct *prev = pnm_task_enter(sh->task);

	while (!atomic_read_acquire(&sh->done)) {
		uint64_t r = test_rand(&w->rng);
		unsigned long page = ((r >> 8) % (NR_PAGES / NR_WRITERS)) * NR_WRITERS +
				     (unsigned long)w->id;
		unsigned long addr = sh->base + page * PG + (r >> 40) % (PG - 8);
		uint64_t v = r | 1, back = 0;

		if (pnm_user_write(sh->task, addr, &v, sizeof(v))) {
			stress_fail(&sh->fails, 100 + w->id);
			continue;
		}
		/* Back as written, or zero if the tracker zapped it meanwhile
		 * (MADV_DONTNEED); an older value would be a lost write. */
		if (pnm_user_read(sh->task, addr, &back, sizeof(back)) || (back != v && back))
			stress_fail(&sh->fails, 200 + w->id);
		atomic_long_inc(&sh->writes);
	}
	pnm_task_leave(prev);
	return NULL;
}

static void *pinner_main(void *arg)
{
	struct worker *w = arg;
	struct shared *sh = w->sh;
	struct task_struct *prev = pnm_task_enter(sh->task);

	while (!atomic_read_acquire(&sh->done)) {
		uint64_t r = test_rand(&w->rng);
		unsigned long addr = sh->base + ((r >> 8) % NR_PAGES) * PG;
		struct page *pages[4];
		int nr = 1 + (int)((r >> 40) % 4), got;

		if (addr + (unsigned long)nr * PG > sh->base + RANGE)
			nr = 1;
		got = pin_user_pages_fast(addr, nr, FOLL_WRITE | FOLL_LONGTERM, pages);
		if (got < 0 && got != -ENOMEM && got != -EAGAIN) {
			stress_fail(&sh->fails, 300 - got);
			continue;
		}
		if (got > 0) {
			unpin_user_pages(pages, (unsigned long)got);
			atomic_long_inc(&sh->pins);
		}
	}
	pnm_task_leave(prev);
	return NULL;
}

/* Every entry present (with a frame of the arena) or empty. */
static void check_pagemap(struct shared *sh, const uint64_t *e, unsigned long nr,
			  unsigned long frames)
{
	for (unsigned long i = 0; i < nr; i++) {
		if (e[i] & PNM_PM_PRESENT) {
			if ((e[i] & PNM_PM_PFN_MASK) >= frames || (e[i] & PNM_PM_SWAP))
				stress_fail(&sh->fails, 400);
		} else if (e[i] & PNM_PM_SWAP) {
			/* No swap device here: only a migration entry (a
			 * long-term pin moving its page out of Movable),
			 * whose type is not the swap device's 0. */
			if (!(e[i] & PNM_PM_SWAP_TYPE_MASK))
				stress_fail(&sh->fails, 401);
		} else if (e[i] & ~PNM_PM_SOFT_DIRTY) {
			stress_fail(&sh->fails, 402);
		}
	}
}

static void *tracker_main(void *arg)
{
	struct shared *sh = arg;
	uint64_t rng = seed ^ 0x7ac4e5ULL, *e = malloc(NR_PAGES * sizeof(*e));
	struct pnm_mem_info mi = { .size = sizeof(mi) };

	if (!e || pnm_get_mem_info(&mi)) {
		stress_fail(&sh->fails, 500);
		goto out;
	}
	for (unsigned long n = 0; n < nr_iters; n++) {
		struct pnm_smaps_info si = { .size = sizeof(si) };
		unsigned long op = test_rand(&rng) % 8;
		int err = 0;

		switch (op) {
		case 0:
		case 1:
			err = pnm_task_clear_refs(sh->task, PNM_CLEAR_REFS_SOFT_DIRTY);
			break;
		case 2:
			err = pnm_task_clear_refs(sh->task, PNM_CLEAR_REFS_ALL);
			break;
		case 3:
		case 4:
			err = pnm_task_pagemap(sh->task, sh->base, e, NR_PAGES);
			if (!err)
				check_pagemap(sh, e, NR_PAGES, mi.frames);
			break;
		case 5:
			err = pnm_task_smaps(sh->task, sh->base, &si);
			if (!err && (si.rss > RANGE || si.pss > si.rss ||
				     si.anon_huge_pages > si.anonymous))
				stress_fail(&sh->fails, 501);
			break;
		case 6:
			err = pnm_task_smaps_rollup(sh->task, &si);
			break;
		case 7: {
			unsigned long first = test_rand(&rng) % NR_PAGES;
			unsigned long len = (1 + test_rand(&rng) % 16) * PG;

			if (first * PG + len > RANGE)
				len = RANGE - first * PG;
			err = pnm_madvise(sh->task, sh->base + first * PG, len, MADV_DONTNEED);
			break;
		}
		}
		if (err)
			stress_fail(&sh->fails, 600 + (int)op);
		sched_yield();	/* let the others at the mmap_lock */
	}
out:
	free(e);
	/* Release: pairs with the workers' acquire of done. */
	atomic_set_release(&sh->done, 1);
	return NULL;
}

static void stress_views(void **state)
{
	struct shared sh;
	struct worker w[NR_WRITERS + NR_PINNERS];
	pthread_t tracker;
	int i;

	(void)state;
	memset(&sh, 0, sizeof(sh));
	sh.task = test_task_create("tracked");
	sh.base = test_mmap(sh.task, RANGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS);
	assert_true(IS_ALIGNED(sh.base, PMD_SIZE));
	/* The first half may get a THP. */
	assert_int_equal(pnm_madvise(sh.task, sh.base, PMD_SIZE, MADV_HUGEPAGE), 0);

	for (i = 0; i < NR_WRITERS + NR_PINNERS; i++) {
		w[i].sh = &sh;
		w[i].id = i;
		w[i].rng = seed * (2 * (uint64_t)i + 3) + 11;
		stress_thread_start(&w[i].thread, i < NR_WRITERS ? writer_main : pinner_main,
				    &w[i]);
	}
	stress_thread_start(&tracker, tracker_main, &sh);
	pthread_join(tracker, NULL);
	for (i = 0; i < NR_WRITERS + NR_PINNERS; i++)
		pthread_join(w[i].thread, NULL);

	print_message("stress_views: seed %#llx, %lu iterations, %ld writes, %ld pin calls\n",
		      (unsigned long long)seed, nr_iters, atomic_long_read(&sh.writes),
		      atomic_long_read(&sh.pins));
	stress_assert_none(&sh.fails, "stress_views");
	CHECK_ALL();
	pnm_task_exit(sh.task);
	CHECK_ALL();
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(stress_views, pnm_test_setup, pnm_test_teardown),
	};

	if (argc > 1)
		seed = strtoull(argv[1], NULL, 0);
	if (argc > 2)
		nr_iters = strtoul(argv[2], NULL, 0);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
