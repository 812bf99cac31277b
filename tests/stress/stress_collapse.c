// SPDX-License-Identifier: MIT
/*
 * stress_collapse.c - collapse, khugepaged, deferred splits and migration
 * against pin_user_pages_fast(), writes, MADV_DONTNEED and fork.
 *
 * One process has NR_BLOCKS 2 MiB blocks of private anonymous memory,
 * faulted in 64 KiB folios (multi-size THP on).  Its pages are divided
 * between two threads that own their values: the pinner owns every eighth
 * page, the writer the rest.
 *
 *   pinner    pin_user_pages_fast(FOLL_WRITE) one of its pages, write a
 *             new token through the pinned page (a device's DMA), check
 *             that the process reads that token at the page's address
 *             (the pin and the process share the page), sometimes keep
 *             the pin over a few rounds, unpin dirty;
 *   writer    store a new value into one of its pages, or MADV_DONTNEED
 *             one (its value becomes zero), which leaves 64K folios
 *             partly mapped for the deferred split queue;
 *   collapser MADV_COLLAPSE a block, run khugepaged over the process, run
 *             the deferred split queue, migrate a block to another zone,
 *             or make part of a block executable and not again (a VMA
 *             split and merge, and PMD splits, the data staying writable);
 *   forker    fork, read a few pages in the child, let the child exit.
 *
 * No operation may lose or move a value: a collapse must never take a
 * pinned page (the process would then read a copy while the device
 * writes the original), and every page must hold its owner's last value
 * at the end.  Every result is one of the errnos the call may give.
 *
 * Usage: stress_collapse [seed [rounds]].  Seeded and bounded (the
 * pinner's and writer's rounds; the others stop when those are done).
 * Failures are counted in atomics and asserted after joining.
 */
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>

#include "test_util.h"
#include "pinmm_test_internal.h"

#define NR_BLOCKS	4
#define NR_PAGES	(NR_BLOCKS * HPAGE_PMD_NR)
#define PINNER_STRIDE	8
#define SZ_64K		(64UL << 10)

#ifdef PNM_TSAN
#define DEFAULT_ROUNDS	1500
#else
#define DEFAULT_ROUNDS	6000
#endif

static uint64_t seed = 0xc011a95e;
static unsigned long nr_rounds = DEFAULT_ROUNDS;

struct shared {
	struct task_struct *p;
	unsigned long base;		/* NR_BLOCKS * 2M, 2M aligned */
	uint64_t value[NR_PAGES];	/* each page's last value, by its owner */
	atomic_t done;			/* owners finished: 2 */
	atomic_t collapser_done;	/* its rounds are over */
	atomic_t failures;
	atomic_t first_error;
	atomic_long_t collapsed, refused, einval, pins, forks;
};

static void record_failure(struct shared *sh, int code)
{
	atomic_inc(&sh->failures);
	atomic_cmpxchg(&sh->first_error, 0, code);
}

static unsigned long page_addr(struct shared *sh, unsigned long idx)
{
	return sh->base + idx * PAGE_SIZE;
}

static bool owners_done(struct shared *sh)
{
	/* Acquire: pairs with the owners' release increments. */
	return atomic_read_acquire(&sh->done) == 2;
}

/* The owners go on until their rounds are done and the collapser's too. */
static bool owner_goes_on(struct shared *sh, unsigned long n)
{
	return n < nr_rounds || !atomic_read(&sh->collapser_done);
}

static void *pinner_main(void *arg)
{
	struct shared *sh = arg;
	uint64_t rng = seed ^ 0x9199e4ULL;
	struct page *held = NULL;
	unsigned long held_idx = 0;

	pnm_task_enter(sh->p);
	for (unsigned long n = 0; owner_goes_on(sh, n); n++) {
		unsigned long idx = (test_rand(&rng) % (NR_PAGES / PINNER_STRIDE)) * PINNER_STRIDE;
		uint64_t token = (n + 1) << 16 | idx, seen = 0;
		struct page *page;
		int ret;

		if (held && idx == held_idx)
			continue;
		ret = pin_user_pages_fast(page_addr(sh, idx), 1, FOLL_WRITE, &page);
		if (ret != 1) {
			record_failure(sh, 100 - ret);
			break;
		}
		atomic_long_inc(&sh->pins);
		/* The device writes; the process must see it. */
		if (pnm_dma_write(&page, 1, 0, &token, sizeof(token)))
			record_failure(sh, 4);
		if (pnm_user_read(sh->p, page_addr(sh, idx), &seen, sizeof(seen)))
			record_failure(sh, 2);
		else if (seen != token)
			record_failure(sh, 3);
		sh->value[idx] = token;
		if (held) {
			unpin_user_pages_dirty_lock(&held, 1, true);
			held = NULL;
		}
		if (test_rand(&rng) % 4 == 0) {
			held = page;		/* keep it over the next round */
			held_idx = idx;
		} else {
			unpin_user_pages_dirty_lock(&page, 1, true);
		}
	}
	if (held)
		unpin_user_pages_dirty_lock(&held, 1, true);
	pnm_task_leave(NULL);
	atomic_add_return(1, &sh->done);	/* release: value[] published */
	return NULL;
}

static void *writer_main(void *arg)
{
	struct shared *sh = arg;
	uint64_t rng = seed ^ 0x3c17e5ULL;

	for (unsigned long n = 0; owner_goes_on(sh, n); n++) {
		unsigned long idx = test_rand(&rng) % NR_PAGES;
		uint64_t v = (n + 1) << 16 | idx, seen;

		if (idx % PINNER_STRIDE == 0)
			idx++;			/* the pinner's page */
		v = (n + 1) << 16 | idx;
		if (test_rand(&rng) % 16 == 0) {
			int err = pnm_madvise(sh->p, page_addr(sh, idx), PAGE_SIZE, MADV_DONTNEED);

			if (err)
				record_failure(sh, 10 - err);
			sh->value[idx] = 0;
			continue;
		}
		if (pnm_user_write(sh->p, page_addr(sh, idx), &v, sizeof(v)) ||
		    pnm_user_read(sh->p, page_addr(sh, idx), &seen, sizeof(seen))) {
			record_failure(sh, 11);
			break;
		}
		if (seen != v)
			record_failure(sh, 12);
		sh->value[idx] = v;
	}
	atomic_add_return(1, &sh->done);	/* release: value[] published */
	return NULL;
}

static void *collapser_main(void *arg)
{
	struct shared *sh = arg;
	uint64_t rng = seed ^ 0xc0ffeeULL;

	for (unsigned long n = 0; n < nr_rounds / 4; n++) {
		unsigned long blk = sh->base + (test_rand(&rng) % NR_BLOCKS) * HPAGE_PMD_SIZE;
		int ret;
		long r;

		switch (test_rand(&rng) % 6) {
		case 0:
		case 1:
			ret = pnm_madvise(sh->p, blk, HPAGE_PMD_SIZE, PNM_MADV_COLLAPSE);
			if (!ret)
				atomic_long_inc(&sh->collapsed);
			else if (ret == -EAGAIN)
				atomic_long_inc(&sh->refused);
			else if (ret == -EINVAL)
				atomic_long_inc(&sh->einval);
			/* -EINVAL: a VMA split by the mprotect below;
			 * -ENOMEM: no 2M block free. */
			else if (ret != -EINVAL && ret != -ENOMEM)
				record_failure(sh, 20 - ret);
			break;
		case 2:
			r = pnm_khugepaged_scan(sh->p, 2);
			if (r < 0)
				record_failure(sh, 30 - (int)r);
			break;
		case 3:
			pnm_thp_deferred_split_scan(~0UL);
			break;
		case 4:
			r = pnm_migrate_range(sh->p, blk, HPAGE_PMD_SIZE,
					      test_rand(&rng) & 1 ? PNM_ZONE_NORMAL :
								    PNM_ZONE_MOVABLE);
			if (r < 0 && r != -EBUSY && r != -ENOMEM && r != -EAGAIN)
				record_failure(sh, 40 - (int)r);
			break;
		default: {
			unsigned long off = (test_rand(&rng) % (HPAGE_PMD_NR / 16)) * SZ_64K;

			if (pnm_mprotect(sh->p, blk + off, SZ_64K,
					 PROT_READ | PROT_WRITE | PROT_EXEC) ||
			    pnm_mprotect(sh->p, blk + off, SZ_64K, PROT_READ | PROT_WRITE))
				record_failure(sh, 50);
			break;
		}
		}
	}
	atomic_set(&sh->collapser_done, 1);
	return NULL;
}

static void *forker_main(void *arg)
{
	struct shared *sh = arg;
	uint64_t rng = seed ^ 0xf0f0ULL;

	/* Now and then: a fork leaves every page read-only, which refuses
	 * collapses until the owners' writes break COW again. */
	for (unsigned long n = 0; n < nr_rounds / 64 && !owners_done(sh); n++) {
		struct task_struct *child;
		uint64_t v;
		int err = pnm_task_fork(sh->p, "child", &child);

		if (err) {
			record_failure(sh, 60 - err);
			break;
		}
		for (int k = 0; k < 8; k++)
			if (pnm_user_read(child, page_addr(sh, test_rand(&rng) % NR_PAGES),
					  &v, sizeof(v)))
				record_failure(sh, 61);
		pnm_task_exit(child);
		put_task_struct(child);
		atomic_long_inc(&sh->forks);
		for (int k = 0; k < 16 && !owners_done(sh); k++)
			sched_yield();
	}
	return NULL;
}

static void stress_collapse(void **state)
{
	static struct shared sh;
	pthread_t pinner, writer, collapser, forker;
	unsigned long x;

	(void)state;
	memset(&sh, 0, sizeof(sh));
	assert_int_equal(pnm_thp_set_enabled(SZ_64K, PNM_THP_ALWAYS), 0);
	sh.p = test_task_create("p");
	x = test_mmap(sh.p, (NR_BLOCKS + 1) * HPAGE_PMD_SIZE, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS);
	sh.base = ALIGN(x, HPAGE_PMD_SIZE);
	/* Every page starts with a value of its owner. */
	for (unsigned long idx = 0; idx < NR_PAGES; idx++) {
		sh.value[idx] = idx + 1;
		test_write_byte(sh.p, page_addr(&sh, idx), 0);
		assert_int_equal(pnm_user_write(sh.p, page_addr(&sh, idx), &sh.value[idx],
						sizeof(uint64_t)), 0);
	}
	CHECK_ALL();

	assert_int_equal(pthread_create(&pinner, NULL, pinner_main, &sh), 0);
	assert_int_equal(pthread_create(&writer, NULL, writer_main, &sh), 0);
	assert_int_equal(pthread_create(&collapser, NULL, collapser_main, &sh), 0);
	assert_int_equal(pthread_create(&forker, NULL, forker_main, &sh), 0);
	pthread_join(pinner, NULL);
	pthread_join(writer, NULL);
	pthread_join(collapser, NULL);
	pthread_join(forker, NULL);

	print_message("stress_collapse: seed %#llx, %lu rounds, %ld pins, %ld collapses, "
		      "%ld refused (EAGAIN), %ld EINVAL, %ld forks, %d failures (first %d)\n",
		      (unsigned long long)seed, nr_rounds, atomic_long_read(&sh.pins),
		      atomic_long_read(&sh.collapsed), atomic_long_read(&sh.refused),
		      atomic_long_read(&sh.einval),
		      atomic_long_read(&sh.forks), atomic_read(&sh.failures),
		      atomic_read(&sh.first_error));
	assert_int_equal(atomic_read(&sh.failures), 0);
	CHECK_ALL();
	for (unsigned long idx = 0; idx < NR_PAGES; idx++) {
		uint64_t v;

		assert_int_equal(pnm_user_read(sh.p, page_addr(&sh, idx), &v, sizeof(v)), 0);
		assert_int_equal(v, sh.value[idx]);
	}
	/* Whatever is left queued splits now, and the data stays. */
	pnm_thp_deferred_split_scan(~0UL);
	CHECK_ALL();
	pnm_task_exit(sh.p);
	CHECK_ALL();
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(stress_collapse, pnm_test_setup,
						pnm_test_teardown),
	};

	if (argc > 1)
		seed = strtoull(argv[1], NULL, 0);
	if (argc > 2)
		nr_rounds = strtoul(argv[2], NULL, 0);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
