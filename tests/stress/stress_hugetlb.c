// SPDX-License-Identifier: MIT
/*
 * stress_hugetlb.c - pin_user_pages_fast() on hugetlb pages against fork,
 * munmap/mmap, CPU writes and long-term migration, with real threads.
 *
 * A process maps three 2 MiB hugetlb areas: KEEP (private, never
 * unmapped), MOVE (private, unmapped and mapped again at the same address
 * over and over) and SHARED (MAP_SHARED).  Threads, all running as the
 * process:
 *
 *   pinners   pin_user_pages_fast() a few pages of a random area (write or
 *             read-only, sometimes FOLL_LONGTERM), check every page is a
 *             page of one in-use hugetlb folio whose _pincount counts the
 *             pins, let the device write a tag into the first page, check
 *             it reads back through the pin, and unpin.  For KEEP, while
 *             a write pin is held the process must keep mapping the pinned
 *             page (fork copies a pinned page for the child, never
 *             COW-shares it away; migration refuses a pinned page), and
 *             the device's tag must be what the process reads there
 *   forker    fork the process; the child reads its copy of KEEP (or gets
 *             SIGBUS: the parent, KEEP's owner, took the page back for its
 *             own COW while the pool was empty) and writes over it (a COW
 *             copy of the whole 2 MiB page, or its own copy made at
 *             fork), then exits
 *   mapper    munmap MOVE and map it again (MAP_FIXED), leaving pinned
 *             pages detached until their pinner lets go
 *   writer    CPU writes into KEEP and SHARED (bytes the pinners do not
 *             use)
 *
 * The pool has room for the process's pages, one child copy and the
 * long-term migrations' temporary pages; a fork or fault that finds the
 * pool empty is an expected, counted outcome (ENOMEM / EFAULT), never a
 * corruption.  Afterwards every invariant holds, every pool page is free
 * again and no frame leaked.
 *
 * Usage: stress_hugetlb [seed [iterations]] (also PINMM_STRESS_SEED /
 * PINMM_STRESS_ITERS).  Failures are counted in atomics and asserted by
 * the main thread after joining.
 */
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>

#include "test_util.h"
#include "pinmm_test_internal.h"

#define HSZ		PNM_HUGETLB_2M
#define NR_PINNERS	3
#define POOL		8
#define TAG_OFF(id)	(256 * (1 + (id)))	/* a pinner's bytes in a page */
#define WRITER_OFF	(HSZ - 4096)		/* the writer's bytes */

#ifdef PNM_TSAN
#define DEFAULT_ITERS	300
#else
#define DEFAULT_ITERS	2000
#endif

enum { KEEP, MOVE, SHARED, NR_AREAS };

struct shared {
	struct task_struct *proc;
	unsigned long area[NR_AREAS];
	unsigned long iters;
	uint64_t seed;
	atomic_t done;
	atomic_t failures;
	atomic_t first_error;
	atomic_long_t pins, forks, fork_fail, remaps, pin_fail, child_sigbus;
};

static void record_failure(struct shared *sh, int code)
{
	atomic_inc(&sh->failures);
	atomic_cmpxchg(&sh->first_error, 0, code);
}

struct worker {
	struct shared *sh;
	int id;
	uint64_t rng;
	pthread_t thread;
};

/* One pin round on a random area; returns false if the pin call failed. */
static bool pin_round(struct worker *w)
{
	struct shared *sh = w->sh;
	int area = (int)(test_rand(&w->rng) % NR_AREAS);
	int nr = 1 + (int)(test_rand(&w->rng) % 4);
	unsigned long addr = sh->area[area] + (test_rand(&w->rng) % 8) * PAGE_SIZE;
	unsigned int flags = (test_rand(&w->rng) % 4) ? FOLL_WRITE : 0;
	struct page *pages[4];
	struct folio *folio;
	char tag[16], back[16];
	int got, i;

	if (!(test_rand(&w->rng) % 5))
		flags |= FOLL_LONGTERM;
	got = pin_user_pages_fast(addr, nr, flags, pages);
	if (got <= 0) {
		/* The pool ran dry for a COW/unshare, or MOVE was unmapped
		 * right then: expected. */
		if (got != -EFAULT && got != -ENOMEM)
			record_failure(sh, 100 + -got);
		atomic_long_inc(&sh->pin_fail);
		return false;
	}
	atomic_long_inc(&sh->pins);
	folio = page_folio(pages[0]);
	if (!folio_test_hugetlb(folio) || folio_ref_count(folio) <= 0 ||
	    atomic_read(&folio->_pincount) < got || !page_maybe_dma_pinned(pages[0]))
		record_failure(sh, 1);
	for (i = 1; i < got; i++)
		if (page_folio(pages[i]) != folio || pages[i] != pages[0] + i)
			record_failure(sh, 2);
	if ((flags & FOLL_LONGTERM) && page_zonenum(pages[0]) != ZONE_NORMAL)
		record_failure(sh, 3);
	if (flags & FOLL_WRITE) {
		unsigned long pfn = 0;
		bool wr;

		snprintf(tag, sizeof(tag), "p%d-%lu", w->id, (unsigned long)(w->rng & 0xffff));
		if (pnm_dma_write(pages, 1, TAG_OFF(w->id), tag, sizeof(tag)))
			record_failure(sh, 4);
		if (pnm_dma_read(pages, 1, TAG_OFF(w->id), back, sizeof(back)) ||
		    memcmp(tag, back, sizeof(tag)))
			record_failure(sh, 5);
		/* KEEP stays mapped: the process sees what the device wrote,
		 * through the pinned page itself. */
		if (area == KEEP) {
			if (pnm_mm_translate(sh->proc->mm, addr, &pfn, &wr) ||
			    pfn != page_to_pfn(pages[0]))
				record_failure(sh, 6);
			if (pnm_user_read(sh->proc, sh->area[KEEP] + (addr & (HSZ - 1) & PAGE_MASK) +
					  TAG_OFF(w->id), back, sizeof(back)) ||
			    memcmp(tag, back, sizeof(tag)))
				record_failure(sh, 7);
		}
	}
	unpin_user_pages(pages, (unsigned long)got);
	return true;
}

static void *pinner_main(void *arg)
{
	struct worker *w = arg;
	struct shared *sh = w->sh;

	pnm_task_enter(sh->proc);
	for (unsigned long i = 0; i < sh->iters; i++)
		pin_round(w);
	pnm_task_enter(NULL);
	return NULL;
}

static void *forker_main(void *arg)
{
	struct worker *w = arg;
	struct shared *sh = w->sh;

	for (unsigned long i = 0; i < sh->iters / 4; i++) {
		struct task_struct *child = NULL;
		char buf[8];
		int err = pnm_task_fork(sh->proc, "child", &child);

		if (err) {
			/* The pool had no page for a pinned page's copy. */
			if (err != -ENOMEM)
				record_failure(sh, 20);
			atomic_long_inc(&sh->fork_fail);
			continue;
		}
		atomic_long_inc(&sh->forks);
		/* -EFAULT: the parent, owner of KEEP, took the page back to
		 * COW it while the pool was empty (Linux's SIGBUS). */
		err = pnm_user_read(child, sh->area[KEEP], buf, sizeof(buf));
		if (err == -EFAULT)
			atomic_long_inc(&sh->child_sigbus);
		else if (err)
			record_failure(sh, 21);
		/* A COW copy of the whole page, or SIGBUS when the pool is
		 * empty (the child has no reservation): both fine. */
		(void)pnm_user_write(child, sh->area[KEEP] + 8, "child", 5);
		pnm_task_exit(child);
		pnm_task_put(child);
	}
	return NULL;
}

static void *mapper_main(void *arg)
{
	struct worker *w = arg;
	struct shared *sh = w->sh;
	unsigned long flags = MAP_PRIVATE | MAP_ANONYMOUS | PNM_MAP_HUGETLB | MAP_FIXED;

	for (unsigned long i = 0; i < sh->iters / 2; i++) {
		long a;

		if (pnm_munmap(sh->proc, sh->area[MOVE], HSZ))
			record_failure(sh, 30);
		a = pnm_mmap(sh->proc, sh->area[MOVE], HSZ, PROT_READ | PROT_WRITE, flags, NULL, 0);
		/* The reservation may find the pool empty for a moment (a
		 * detached pinned page still holds its frame): try again. */
		while (a == -ENOMEM) {
			sched_yield();
			a = pnm_mmap(sh->proc, sh->area[MOVE], HSZ, PROT_READ | PROT_WRITE,
				     flags, NULL, 0);
		}
		if (a != (long)sh->area[MOVE])
			record_failure(sh, 31);
		atomic_long_inc(&sh->remaps);
	}
	atomic_set(&sh->done, 1);
	return NULL;
}

static void *writer_main(void *arg)
{
	struct worker *w = arg;
	struct shared *sh = w->sh;
	unsigned long n = 0;

	while (!atomic_read(&sh->done) || n < 8) {
		int area = (n++ & 1) ? SHARED : KEEP;
		char v = (char)n;

		if (pnm_user_write(sh->proc, sh->area[area] + WRITER_OFF, &v, 1))
			record_failure(sh, 40);
	}
	return NULL;
}

static uint64_t seed = 0x417e7b;
static unsigned long iters = DEFAULT_ITERS;

static void stress_hugetlb(void **state)
{
	struct worker w[NR_PINNERS + 3];
	struct shared sh;
	int i;

	(void)state;
	memset(&sh, 0, sizeof(sh));
	sh.seed = seed;
	sh.iters = iters;
	/* Both zones: pool pages in MOVABLE (migrated by long-term pins) and
	 * in NORMAL (room for the temporary targets). */
	assert_int_equal(pnm_hugetlb_set_pages(HSZ, POOL), POOL);
	sh.proc = test_task_create("proc");
	for (i = 0; i < NR_AREAS; i++) {
		long a = pnm_mmap(sh.proc, 0, HSZ, PROT_READ | PROT_WRITE,
				  (i == SHARED ? MAP_SHARED : MAP_PRIVATE) | MAP_ANONYMOUS |
				  PNM_MAP_HUGETLB, NULL, 0);

		assert_true(a > 0);
		sh.area[i] = (unsigned long)a;
		test_write_byte(sh.proc, sh.area[i], 'x');
	}
	CHECK_ALL();

	for (i = 0; i < NR_PINNERS + 3; i++) {
		w[i].sh = &sh;
		w[i].id = i;
		w[i].rng = sh.seed * (uint64_t)(i + 7) + 1;
	}
	for (i = 0; i < NR_PINNERS; i++)
		assert_int_equal(pthread_create(&w[i].thread, NULL, pinner_main, &w[i]), 0);
	assert_int_equal(pthread_create(&w[i].thread, NULL, forker_main, &w[i]), 0);
	i++;
	assert_int_equal(pthread_create(&w[i].thread, NULL, mapper_main, &w[i]), 0);
	i++;
	assert_int_equal(pthread_create(&w[i].thread, NULL, writer_main, &w[i]), 0);
	for (i = 0; i < NR_PINNERS + 3; i++)
		pthread_join(w[i].thread, NULL);

	print_message("stress_hugetlb: seed %#llx, %ld pins (%ld failed), %ld forks (%ld failed, "
		      "%ld children lost KEEP), %ld remaps, %d failures (first %d)\n",
		      (unsigned long long)sh.seed,
		      atomic_long_read(&sh.pins), atomic_long_read(&sh.pin_fail),
		      atomic_long_read(&sh.forks), atomic_long_read(&sh.fork_fail),
		      atomic_long_read(&sh.child_sigbus),
		      atomic_long_read(&sh.remaps), atomic_read(&sh.failures),
		      atomic_read(&sh.first_error));
	assert_int_equal(atomic_read(&sh.failures), 0);
	assert_true(atomic_long_read(&sh.pins) > 0);
	CHECK_ALL();
	pnm_task_exit(sh.proc);
	pnm_task_put(sh.proc);
	CHECK_ALL();
	{
		struct pnm_hugetlb_info hi = { .size = sizeof(hi) };

		assert_int_equal(pnm_hugetlb_get_info(HSZ, &hi), 0);
		assert_int_equal(hi.free, hi.total);
		assert_int_equal(hi.resv, 0);
		assert_int_equal(hi.surplus, 0);
	}
}

static int setup(void **state)
{
	struct pnm_config cfg;

	(void)state;
	pnm_test_config(&cfg);
	cfg.zone_frames[ZONE_NORMAL] = 8192;	/* 32 MiB */
	cfg.zone_frames[ZONE_MOVABLE] = 4096;	/* 16 MiB */
	cfg.zone_frames[ZONE_CMA] = 0;
	pnm_test_init_with(&cfg);
	return 0;
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(stress_hugetlb, setup, pnm_test_teardown),
	};

	test_stress_params("stress_hugetlb", argc, argv, &seed, &iters);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
