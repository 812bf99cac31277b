// SPDX-License-Identifier: MIT
/*
 * stress_fork.c - fork while other threads of the process write.
 *
 * A process has a private anonymous area of small pages and a THP-backed
 * area.  Writer threads, running as the process, keep overwriting whole
 * pages with a pattern that names the write (one 64-bit value repeated
 * over the page, its low bits the page's index).  Another thread forks
 * the process again and again; each child checks that every page it sees
 * is a consistent snapshot (all 512 words of a page equal, and belonging
 * to that page, or the page never written: all zero), writes over some of
 * its own pages to check that the parent is unaffected, checks that its
 * view did not move while the parent kept writing, and exits.
 *
 * This exercises fork's write-protection against concurrent writers (the
 * copy happens under the parent's ptls, whole-page writes happen under the
 * same ptls), COW breaking in both directions, and huge-PMD copy/split.
 *
 * Usage: stress_fork [seed [forks]].  Seeded and bounded; the writers stop
 * when the forker is done.  Failures are counted in atomics and asserted
 * by the main thread after joining.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "test_util.h"
#include "pinmm_test_internal.h"

#define PG		PAGE_SIZE
#define NR_SMALL	64
#define NR_WRITERS	3
#define WORDS		(PAGE_SIZE / sizeof(uint64_t))

#ifdef PNM_TSAN
#define DEFAULT_FORKS	60
#else
#define DEFAULT_FORKS	200
#endif

static uint64_t seed = 0x5eed0f0f;
static unsigned long nr_forks = DEFAULT_FORKS;

struct shared {
	struct task_struct *parent;
	unsigned long small, huge;	/* area bases */
	unsigned long nr_pages;		/* small + huge pages */
	atomic_t done;
	atomic_t failures;
	atomic_t forks_ok;
	atomic_long_t writes;
	atomic_t first_error;
};

static unsigned long page_addr(struct shared *sh, unsigned long idx)
{
	return idx < NR_SMALL ? sh->small + idx * PG : sh->huge + (idx - NR_SMALL) * PG;
}

static void record_failure(struct shared *sh, int code)
{
	atomic_inc(&sh->failures);
	atomic_cmpxchg(&sh->first_error, 0, code);
}

struct writer {
	struct shared *sh;
	int id;
	uint64_t rng;
	pthread_t thread;
};

static void *writer_main(void *arg)
{
	struct writer *w = arg;
	struct shared *sh = w->sh;
	uint64_t *buf = malloc(PAGE_SIZE);
	uint64_t seq = 0;

	if (!buf) {
		record_failure(sh, 1);
		return NULL;
	}
	while (!atomic_read_acquire(&sh->done)) {
		unsigned long idx = test_rand(&w->rng) % sh->nr_pages;
		uint64_t v = ((uint64_t)(w->id + 1) << 56) | (++seq << 20) | idx;
		int err;

		for (unsigned long i = 0; i < WORDS; i++)
			buf[i] = v;
		err = pnm_user_write(sh->parent, page_addr(sh, idx), buf, PAGE_SIZE);
		if (err) {
			record_failure(sh, 100 - err);
			break;
		}
		atomic_long_inc(&sh->writes);
	}
	free(buf);
	return NULL;
}

/* Is @buf (page @idx) one complete write, or never written? */
static bool page_consistent(const uint64_t *buf, unsigned long idx)
{
	for (unsigned long i = 1; i < WORDS; i++)
		if (buf[i] != buf[0])
			return false;
	return buf[0] == 0 || (buf[0] & 0xfffff) == idx;
}

static void *forker_main(void *arg)
{
	struct shared *sh = arg;
	uint64_t *buf = malloc(PAGE_SIZE), *pbuf = malloc(PAGE_SIZE);
	uint64_t *snapshot = calloc(sh->nr_pages, sizeof(*snapshot));
	uint64_t rng = seed ^ 0xf04cULL;

	if (!buf || !pbuf || !snapshot) {
		record_failure(sh, 2);
		goto out;
	}
	for (unsigned long n = 0; n < nr_forks; n++) {
		struct task_struct *child;
		int err = pnm_task_fork(sh->parent, "child", &child);

		if (err) {
			record_failure(sh, 200 - err);
			break;
		}
		for (unsigned long idx = 0; idx < sh->nr_pages; idx++) {
			err = pnm_user_read(child, page_addr(sh, idx), buf, PAGE_SIZE);
			if (err) {
				record_failure(sh, 300 - err);
				break;
			}
			if (!page_consistent(buf, idx))
				record_failure(sh, 4);
			snapshot[idx] = buf[0];
		}
		/* The child's writes stay in the child. */
		for (int k = 0; k < 4; k++) {
			unsigned long idx = test_rand(&rng) % sh->nr_pages;
			uint64_t v = (0xffULL << 56) | (n << 20) | idx;

			snapshot[idx] = v;

			for (unsigned long i = 0; i < WORDS; i++)
				buf[i] = v;
			if (pnm_user_write(child, page_addr(sh, idx), buf, PAGE_SIZE))
				record_failure(sh, 5);
			if (pnm_user_read(sh->parent, page_addr(sh, idx), pbuf, PAGE_SIZE))
				record_failure(sh, 6);
			else if (pbuf[0] == v || !page_consistent(pbuf, idx))
				record_failure(sh, 7);
		}
		/* ... and the parent's later writes stay in the parent: the
		 * child's view has not moved since the snapshot. */
		for (unsigned long idx = 0; idx < sh->nr_pages; idx++) {
			if (pnm_user_read(child, page_addr(sh, idx), buf, sizeof(*buf)))
				record_failure(sh, 8);
			else if (buf[0] != snapshot[idx])
				record_failure(sh, 9);
		}
		pnm_task_exit(child);
		put_task_struct(child);
		atomic_inc(&sh->forks_ok);
	}
out:
	free(buf);
	free(pbuf);
	free(snapshot);
	/* Release: pairs with the writers' acquire of done. */
	atomic_set_release(&sh->done, 1);
	return NULL;
}

static void stress_fork(void **state)
{
	struct shared sh;
	struct writer w[NR_WRITERS];
	pthread_t forker;
	uint64_t *buf;

	(void)state;
	memset(&sh, 0, sizeof(sh));
	sh.parent = test_task_create("parent");
	assert_non_null(sh.parent);
	sh.small = test_mmap(sh.parent, NR_SMALL * PG, PROT_READ | PROT_WRITE,
			     MAP_PRIVATE | MAP_ANONYMOUS);
	sh.huge = test_mmap(sh.parent, PMD_SIZE, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS);
	assert_int_equal(pnm_mm_madvise(sh.parent->mm, sh.huge, PMD_SIZE, MADV_HUGEPAGE), 0);
	sh.nr_pages = NR_SMALL + HPAGE_PMD_NR;

	for (int i = 0; i < NR_WRITERS; i++) {
		w[i].sh = &sh;
		w[i].id = i;
		w[i].rng = seed * (i + 3) + 1;
		assert_int_equal(pthread_create(&w[i].thread, NULL, writer_main, &w[i]), 0);
	}
	assert_int_equal(pthread_create(&forker, NULL, forker_main, &sh), 0);
	pthread_join(forker, NULL);
	for (int i = 0; i < NR_WRITERS; i++)
		pthread_join(w[i].thread, NULL);

	print_message("stress_fork: seed %#llx, %d forks, %ld writes, %d failures (first %d)\n",
		      (unsigned long long)seed, atomic_read(&sh.forks_ok),
		      atomic_long_read(&sh.writes), atomic_read(&sh.failures),
		      atomic_read(&sh.first_error));
	assert_int_equal(atomic_read(&sh.failures), 0);
	assert_int_equal(atomic_read(&sh.forks_ok), (int)nr_forks);
	CHECK_ALL();

	/* The parent's own view is consistent too. */
	buf = malloc(PAGE_SIZE);
	assert_non_null(buf);
	for (unsigned long idx = 0; idx < sh.nr_pages; idx++) {
		assert_int_equal(pnm_user_read(sh.parent, page_addr(&sh, idx), buf, PAGE_SIZE), 0);
		assert_true(page_consistent(buf, idx));
	}
	free(buf);
	pnm_task_exit(sh.parent);
	CHECK_ALL();
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(stress_fork, pnm_test_setup, pnm_test_teardown),
	};

	if (argc > 1)
		seed = strtoull(argv[1], NULL, 0);
	if (argc > 2)
		nr_forks = strtoul(argv[2], NULL, 0);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
