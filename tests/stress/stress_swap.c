// SPDX-License-Identifier: MIT
/*
 * stress_swap.c - swap-out (reclaim, MADV_PAGEOUT, swapoff/swapon) racing
 * with CPU writers, pin_user_pages_fast() and fork.
 *
 * A process has 96 small anonymous pages and a 2 MiB THP area (512
 * pages).  Page idx holds, in every 64-bit word, a stamp naming its last
 * write: writer << 56 | sequence << 20 | idx.  Pages are classed by
 * idx % 3: classes 0 and 1 are written by one CPU writer each, class 2 by
 * the pinner's device.  Threads:
 *
 *   writers (2)   write whole pages of their class through the page
 *                 tables (pnm_user_write), read them back, and check older
 *                 ones: each must hold exactly the last stamp written --
 *                 whether it was swapped out and back in meanwhile;
 *   pinner        pin_user_pages_fast(FOLL_WRITE, some FOLL_LONGTERM) a
 *                 class-2 page: the device reads the last stamp, writes a
 *                 new one (pnm_dma_write), and while the pin is held the
 *                 process must keep mapping that very frame (a pinned
 *                 page is never swapped out); unpins dirty;
 *   reclaimer     MADV_PAGEOUT and MADV_COLD over random ranges,
 *                 pnm_reclaim_pages(), and now and then swapoff + swapon
 *                 (every page brought back in while all this runs);
 *   forker        forks the process; the child reads every page (each a
 *                 whole stamp of that page: consistent, whether read from
 *                 swap, the swap cache or memory), writes a few of its own
 *                 and checks the parent did not see them, exits (its swap
 *                 counts go).
 *
 * A scripted prelude first shows, deterministically, that a pinned page
 * is kept (pnm_swap_skip_pinned) while its neighbour is swapped out.  At
 * the end: no failure, the checkers pass, every page holds its last
 * stamp, swap was used both ways (pswpout, pswpin), and after swapoff
 * every page is back with the same data and no slot is in use.
 *
 * Usage: stress_swap [seed [iterations]], or PINMM_STRESS_SEED and
 * PINMM_STRESS_ITERS (the arguments win).  Seeded and bounded: the other
 * threads stop when the pinner is done.  Failures are counted in atomics
 * and asserted by the main thread after joining.
 */
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>

#include "test_util.h"
#include "pinmm_test_internal.h"

#define PG		PAGE_SIZE
#define NR_SMALL	96
#define NR_PAGES	(NR_SMALL + HPAGE_PMD_NR)
#define WORDS		(PAGE_SIZE / sizeof(uint64_t))
#define NR_WRITERS	2
#define SLOTS		4096

#ifdef PNM_TSAN
#define DEFAULT_ITERS	150
#else
#define DEFAULT_ITERS	600
#endif

static uint64_t seed = 0x5a5a0013;
static unsigned long nr_iters = DEFAULT_ITERS;

struct shared {
	struct task_struct *proc;
	unsigned long small, huge;
	/* The last stamp of each page (0: never written); written by the
	 * page's one writer (release), read by it and after the join. */
	uint64_t last[NR_PAGES];
	atomic_t done;
	atomic_t failures;
	atomic_t first_error;
	atomic_long_t writes, pins, pageouts, reclaims, forks, swapoffs;
};

static void record_failure(struct shared *sh, int code)
{
	atomic_inc(&sh->failures);
	atomic_cmpxchg(&sh->first_error, 0, code);
}

static unsigned long page_addr(struct shared *sh, unsigned long idx)
{
	return idx < NR_SMALL ? sh->small + idx * PG : sh->huge + (idx - NR_SMALL) * PG;
}

static void fill(uint64_t *buf, uint64_t v)
{
	for (unsigned long i = 0; i < WORDS; i++)
		buf[i] = v;
}

/* Every word the same, and a stamp of page @idx (or never written). */
static bool consistent(const uint64_t *buf, unsigned long idx)
{
	for (unsigned long i = 1; i < WORDS; i++)
		if (buf[i] != buf[0])
			return false;
	return buf[0] == 0 || (buf[0] & 0xfffff) == idx;
}

/* --- threads --------------------------------------------------------------- */

struct writer {
	struct shared *sh;
	unsigned int cls;
	uint64_t rng;
	pthread_t thread;
};

static void *writer_main(void *arg)
{
	struct writer *w = arg;
	struct shared *sh = w->sh;
	uint64_t *buf = malloc(PG), seq = 0;

	if (!buf) {
		record_failure(sh, 1);
		return NULL;
	}
	while (!atomic_read_acquire(&sh->done)) {
		unsigned long idx = (test_rand(&w->rng) % (NR_PAGES / 3)) * 3 + w->cls;
		uint64_t v = ((uint64_t)(w->cls + 1) << 56) | (++seq << 20) | idx;
		unsigned long old;

		if (idx >= NR_PAGES)
			continue;
		fill(buf, v);
		if (pnm_user_write(sh->proc, page_addr(sh, idx), buf, PG)) {
			record_failure(sh, 10);
			break;
		}
		__atomic_store_n(&sh->last[idx], v, __ATOMIC_RELEASE);
		atomic_long_inc(&sh->writes);
		/* An older page of ours: exactly its last stamp. */
		old = (test_rand(&w->rng) % (NR_PAGES / 3)) * 3 + w->cls;
		if (old >= NR_PAGES)
			continue;
		if (pnm_user_read(sh->proc, page_addr(sh, old), buf, PG))
			record_failure(sh, 11);
		else if (!consistent(buf, old) ||
			 buf[0] != __atomic_load_n(&sh->last[old], __ATOMIC_ACQUIRE))
			record_failure(sh, 12);
	}
	free(buf);
	return NULL;
}

static void *pinner_main(void *arg)
{
	struct shared *sh = arg;
	uint64_t *buf = malloc(PG), rng = seed ^ 0x9199ULL, seq = 0;

	if (!buf) {
		record_failure(sh, 20);
		goto out;
	}
	pnm_task_enter(sh->proc);
	for (unsigned long n = 0; n < nr_iters; n++) {
		unsigned long idx = (test_rand(&rng) % (NR_PAGES / 3)) * 3 + 2, pfn = 0;
		unsigned int flags = FOLL_WRITE | ((n & 1) ? FOLL_LONGTERM : 0);
		struct page *page;
		uint64_t v;
		int ret;

		if (idx >= NR_PAGES)
			continue;
		ret = pin_user_pages_fast(page_addr(sh, idx), 1, flags, &page);
		if (ret == -ENOMEM)
			continue;	/* nothing reclaimable for a moment */
		if (ret != 1) {
			record_failure(sh, 21);
			break;
		}
		if (pnm_dma_read(&page, 1, 0, buf, PG) || !consistent(buf, idx) ||
		    buf[0] != sh->last[idx])
			record_failure(sh, 22);
		v = (3ULL << 56) | (++seq << 20) | idx;
		fill(buf, v);
		if (pnm_dma_write(&page, 1, 0, buf, PG))
			record_failure(sh, 23);
		__atomic_store_n(&sh->last[idx], v, __ATOMIC_RELEASE);
		/* While pinned, the process maps this very frame. */
		for (int k = 0; k < 8; k++) {
			if (pnm_translate(sh->proc, page_addr(sh, idx), &pfn, NULL) ||
			    pfn != page_to_pfn(page))
				record_failure(sh, 24);
			sched_yield();
		}
		unpin_user_pages_dirty_lock(&page, 1, true);
		atomic_long_inc(&sh->pins);
	}
	pnm_task_enter(NULL);
out:
	free(buf);
	/* Release: pairs with the other threads' acquire of done. */
	atomic_set_release(&sh->done, 1);
	return NULL;
}

static void *reclaimer_main(void *arg)
{
	struct shared *sh = arg;
	uint64_t rng = seed ^ 0x4ec1ULL;
	unsigned long n = 0;

	while (!atomic_read_acquire(&sh->done)) {
		unsigned long idx = test_rand(&rng) % NR_PAGES;
		unsigned long len = (1 + test_rand(&rng) % 64) * PG;
		unsigned long addr = page_addr(sh, idx);
		unsigned long end = idx < NR_SMALL ? sh->small + NR_SMALL * PG
						   : sh->huge + HPAGE_PMD_SIZE;
		int err;

		if (addr + len > end)
			len = end - addr;
		switch (test_rand(&rng) % 8) {
		case 0: case 1: case 2:
			err = pnm_madvise(sh->proc, addr, len, MADV_PAGEOUT);
			if (err)
				record_failure(sh, 30);
			atomic_long_inc(&sh->pageouts);
			break;
		case 3:
			if (pnm_madvise(sh->proc, addr, len, MADV_COLD))
				record_failure(sh, 31);
			break;
		default:
			pnm_reclaim_pages(1 + test_rand(&rng) % 128, true);
			atomic_long_inc(&sh->reclaims);
			break;
		}
		if (++n % 64 == 0) {
			/* Every page back in while the others run, then on again. */
			err = pnm_swapoff();
			if (err && err != -ENOMEM)
				record_failure(sh, 32);
			if (!err && pnm_swapon(NULL, SLOTS + 1))
				record_failure(sh, 33);
			atomic_long_inc(&sh->swapoffs);
		}
	}
	return NULL;
}

static void *forker_main(void *arg)
{
	struct shared *sh = arg;
	uint64_t *buf = malloc(PG), *pbuf = malloc(PG), rng = seed ^ 0xf04cULL;

	if (!buf || !pbuf) {
		record_failure(sh, 40);
		goto out;
	}
	for (unsigned long n = 0; !atomic_read_acquire(&sh->done); n++) {
		struct task_struct *child;

		if (pnm_task_fork(sh->proc, "child", &child)) {
			record_failure(sh, 41);
			break;
		}
		for (unsigned long idx = 0; idx < NR_PAGES; idx++) {
			if (pnm_user_read(child, page_addr(sh, idx), buf, PG)) {
				record_failure(sh, 42);
				break;
			}
			/* A device page may be copied for the child while the
			 * device writes it: only CPU-written pages are whole. */
			if (idx % 3 != 2 && !consistent(buf, idx))
				record_failure(sh, 43);
		}
		for (int k = 0; k < 4; k++) {
			unsigned long idx = test_rand(&rng) % NR_PAGES;
			uint64_t v = (0xffULL << 56) | (n << 20) | idx;

			fill(buf, v);
			if (pnm_user_write(child, page_addr(sh, idx), buf, PG))
				record_failure(sh, 44);
			else if (pnm_user_read(sh->proc, page_addr(sh, idx), pbuf, PG))
				record_failure(sh, 45);
			else if (pbuf[0] == v)
				record_failure(sh, 46);
		}
		pnm_task_exit(child);
		put_task_struct(child);
		atomic_long_inc(&sh->forks);
	}
out:
	free(buf);
	free(pbuf);
	return NULL;
}

/* --- the test ----------------------------------------------------------------- */

/* Deterministic: a pinned page stays while its neighbour goes. */
static void prelude(struct shared *sh)
{
	long skip = global_stat(PNM_SWAP_SKIP_PINNED), out = global_stat(PSWPOUT);
	struct page *page;

	pnm_task_enter(sh->proc);
	assert_int_equal(pin_user_pages_fast(sh->small, 1, FOLL_WRITE, &page), 1);
	pnm_task_enter(NULL);
	assert_int_equal(pnm_madvise(sh->proc, sh->small, 2 * PG, MADV_PAGEOUT), 0);
	assert_int_equal(global_stat(PNM_SWAP_SKIP_PINNED), skip + 1);
	assert_int_equal(global_stat(PSWPOUT), out + 1);
	assert_int_equal(test_pfn(sh->proc, sh->small), page_to_pfn(page));
	unpin_user_page(page);
	CHECK_ALL();
}

static void stress_swap(void **state)
{
	struct pnm_swap_info si = { .size = sizeof(si) };
	pthread_t pinner, reclaimer, forker;
	struct writer w[NR_WRITERS];
	struct shared *sh;
	uint64_t *buf;

	(void)state;
	sh = calloc(1, sizeof(*sh));
	buf = malloc(PG);
	assert_non_null(sh);
	assert_non_null(buf);
	sh->proc = test_task_create("proc");
	sh->small = test_mmap(sh->proc, NR_SMALL * PG, PROT_READ | PROT_WRITE,
			      MAP_PRIVATE | MAP_ANONYMOUS);
	sh->huge = test_mmap(sh->proc, 2 * PMD_SIZE, PROT_READ | PROT_WRITE,
			     MAP_PRIVATE | MAP_ANONYMOUS);
	sh->huge = ALIGN(sh->huge, PMD_SIZE);
	assert_int_equal(pnm_madvise(sh->proc, sh->huge, PMD_SIZE, MADV_HUGEPAGE), 0);
	for (unsigned long idx = 0; idx < NR_PAGES; idx++) {
		sh->last[idx] = (4ULL << 56) | idx;
		fill(buf, sh->last[idx]);
		assert_int_equal(pnm_user_write(sh->proc, page_addr(sh, idx), buf, PG), 0);
	}
	CHECK_ALL();
	prelude(sh);

	for (int i = 0; i < NR_WRITERS; i++) {
		w[i].sh = sh;
		w[i].cls = (unsigned int)i;
		w[i].rng = seed * (uint64_t)(i + 3) + 1;
		assert_int_equal(pthread_create(&w[i].thread, NULL, writer_main, &w[i]), 0);
	}
	assert_int_equal(pthread_create(&reclaimer, NULL, reclaimer_main, sh), 0);
	assert_int_equal(pthread_create(&forker, NULL, forker_main, sh), 0);
	assert_int_equal(pthread_create(&pinner, NULL, pinner_main, sh), 0);
	pthread_join(pinner, NULL);
	pthread_join(reclaimer, NULL);
	pthread_join(forker, NULL);
	for (int i = 0; i < NR_WRITERS; i++)
		pthread_join(w[i].thread, NULL);

	print_message("stress_swap: seed %#llx, %lu iterations: %ld writes, %ld pins, %ld "
		      "pageouts, %ld reclaims, %ld forks, %ld swapoffs; pswpout %ld pswpin %ld "
		      "skip-pinned %ld; %d failures (first %d)\n",
		      (unsigned long long)seed, nr_iters, atomic_long_read(&sh->writes),
		      atomic_long_read(&sh->pins), atomic_long_read(&sh->pageouts),
		      atomic_long_read(&sh->reclaims), atomic_long_read(&sh->forks),
		      atomic_long_read(&sh->swapoffs), global_stat(PSWPOUT), global_stat(PSWPIN),
		      global_stat(PNM_SWAP_SKIP_PINNED), atomic_read(&sh->failures),
		      atomic_read(&sh->first_error));
	assert_int_equal(atomic_read(&sh->failures), 0);
	assert_true(atomic_long_read(&sh->pins) > 0);
	assert_true(global_stat(PSWPOUT) > 0);
	assert_true(global_stat(PSWPIN) > 0);
	CHECK_ALL();

	/* Every page holds its last stamp, before and after swapoff. */
	for (int pass = 0; pass < 2; pass++) {
		for (unsigned long idx = 0; idx < NR_PAGES; idx++) {
			assert_int_equal(pnm_user_read(sh->proc, page_addr(sh, idx), buf, PG), 0);
			assert_true(consistent(buf, idx));
			assert_true(buf[0] == sh->last[idx]);
		}
		CHECK_ALL();
		if (pass)
			break;
		assert_int_equal(pnm_madvise(sh->proc, sh->small, NR_SMALL * PG, MADV_PAGEOUT), 0);
		assert_int_equal(pnm_swapoff(), 0);
		CHECK_ALL();
		assert_int_equal(pnm_get_swap_info(&si), 0);
		assert_false(si.active);
	}
	pnm_task_exit(sh->proc);
	CHECK_ALL();
	free(buf);
	free(sh);
}

static int swap_setup(void **state)
{
	struct pnm_config cfg;

	(void)state;
	pnm_test_config(&cfg);
	cfg.swap_pages = SLOTS + 1;
	pnm_test_init_with(&cfg);
	return 0;
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(stress_swap, swap_setup, pnm_test_teardown),
	};

	test_stress_params("stress_swap", argc, argv, &seed, &nr_iters);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
