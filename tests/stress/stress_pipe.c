// SPDX-License-Identifier: MIT
/*
 * stress_pipe.c - vmsplice into pipes (pinmm/pipe.h) while the splicing
 * process's parent keeps writing, pages migrate and zones compact.
 *
 * A parent P has a region of pages, each holding a 64-bit value in every
 * word; writer threads running as P keep overwriting whole pages with new
 * values.  Splicer threads each loop: fork P into a child C, let C read a
 * page (its snapshot of the fork: nobody writes C's memory), vmsplice that
 * page into the thread's pipe, unmap it in C and exit C; then a reader
 * process R reads the pipe.  Under today's copy-on-write rule R must get
 * exactly C's snapshot -- never a value P wrote after the fork, which
 * would be the vmsplice leak of CVE-2020-29374 -- and every word of it
 * the same (no torn page).  A migrator thread moves P's region between
 * zones and compacts: queued pipe pages are referenced, so their
 * migration may fail (EBUSY), never corrupt them.  After join: every pipe's
 * checker, every invariant, no reference left behind.
 *
 *   stress_pipe [seed [splices-per-thread]]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <sched.h>

#include "test_util.h"
#include "pinmm_test_internal.h"
#include "rcu.h"
#include <pinmm/pipe.h>

#define PG		PAGE_SIZE
#define NR_PAGES	32
#define NR_WRITERS	2
#define NR_SPLICERS	2
#define WORDS		(PG / sizeof(uint64_t))

#ifdef PNM_TSAN
#define DEFAULT_SPLICES	60
#else
#define DEFAULT_SPLICES	300
#endif

static uint64_t opt_seed = 0x70697065;
static unsigned long opt_splices = DEFAULT_SPLICES;

struct stress {
	struct task_struct *parent, *reader;
	unsigned long region, out[NR_SPLICERS];
	atomic_t splicers_left;
	atomic_long_t page_writes[NR_PAGES];	/* parent's writes done per page */
	struct stress_failures failures;
	atomic_long_t splices, migrated, busy;
};

struct worker {
	struct stress *s;
	int id;
	uint64_t seed;
};

/* One whole-page store of @v in every word: a torn read shows. */
static int write_page(struct task_struct *t, unsigned long addr, uint64_t v)
{
	static _Thread_local uint64_t buf[WORDS];

	for (unsigned long i = 0; i < WORDS; i++)
		buf[i] = v;
	return pnm_user_write(t, addr, buf, PG);
}

static void *writer_fn(void *arg)
{
	struct worker *w = arg;
	struct stress *s = w->s;

	while (atomic_read_acquire(&s->splicers_left)) {
		uint64_t rnd = test_rand(&w->seed);
		unsigned long page = rnd % NR_PAGES;
		/* Values the parent writes after start: high bit set. */
		int err = write_page(s->parent, s->region + page * PG, rnd | (1ULL << 63));

		if (err)
			stress_failf(&s->failures, "parent write: %d", err);
		/* Release: a splicer that sees the count sees the write done. */
		(void)atomic_long_add_return(1, &s->page_writes[page]);
	}
	return NULL;
}

static void *splicer_fn(void *arg)
{
	struct worker *w = arg;
	struct stress *s = w->s;
	static _Thread_local uint64_t got[WORDS];
	struct pnm_pipe *p;

	if (pnm_pipe_create(&p)) {
		stress_failf(&s->failures, "pipe create");
		atomic_dec(&s->splicers_left);
		return NULL;
	}
	for (unsigned long i = 0; i < opt_splices && !stress_failed(&s->failures); i++) {
		unsigned long page = test_rand(&w->seed) % NR_PAGES;
		unsigned long addr = s->region + page * PG;
		struct task_struct *c;
		uint64_t snap;
		ssize_t n;
		int err;

		err = pnm_task_fork(s->parent, "child", &c);
		if (err) {
			stress_failf(&s->failures, "fork: %d", err);
			break;
		}
		/* The child's view of the fork: stable, nobody writes it. */
		err = pnm_user_read(c, addr, &snap, sizeof(snap));
		n = err ? err : pnm_vmsplice(c, p, addr, PG, 0);
		if (n != PG)
			stress_failf(&s->failures, "child read/vmsplice: %zd", n);
		if (pnm_munmap(c, s->region, NR_PAGES * PG))
			stress_failf(&s->failures, "child munmap");
		pnm_task_exit(c);
		pnm_task_put(c);
		if (n != PG)
			break;
		/* Let the parent write the page once more now that only it maps
		 * it -- the moment the old rule reused the page in place. */
		{
			long seen = smp_load_acquire(&s->page_writes[page].counter);

			while (smp_load_acquire(&s->page_writes[page].counter) == seen &&
			       !stress_failed(&s->failures))
				sched_yield();
		}
		/* Later: the reader gets the fork's data, whatever P wrote. */
		n = pnm_pipe_read(p, s->reader, s->out[w->id], PG);
		if (n != PG || pnm_user_read(s->reader, s->out[w->id], got, PG)) {
			stress_failf(&s->failures, "pipe read: %zd", n);
			break;
		}
		for (unsigned long j = 0; j < WORDS; j++) {
			if (got[j] != snap) {
				stress_failf(&s->failures, "page %lu word %lu: read %#llx from the pipe, the "
					       "child saw %#llx at the fork", page, j,
					       (unsigned long long)got[j], (unsigned long long)snap);
				break;
			}
		}
		atomic_long_inc(&s->splices);
	}
	{
		char why[256] = "";

		if (pnm_pipe_check(p, why, sizeof(why)))
			stress_failf(&s->failures, "pipe check: %s", why);
	}
	pnm_pipe_destroy(p);
	atomic_dec(&s->splicers_left);
	return NULL;
}

static void *migrator_fn(void *arg)
{
	struct worker *w = arg;
	struct stress *s = w->s;

	while (atomic_read_acquire(&s->splicers_left)) {
		uint64_t rnd = test_rand(&w->seed);
		long ret;

		if (rnd & 1) {
			ret = pnm_migrate_range(s->parent, s->region, NR_PAGES * PG,
						rnd & 2 ? PNM_ZONE_NORMAL : PNM_ZONE_MOVABLE);
			if (ret > 0)
				atomic_long_add(ret, &s->migrated);
			else if (ret == -EBUSY || ret == -EAGAIN)
				atomic_long_inc(&s->busy);
			else if (ret && ret != -ENOMEM)
				stress_failf(&s->failures, "migrate: %ld", ret);
		} else {
			ret = pnm_compact_zone(PNM_ZONE_MOVABLE, 0, NULL);
			if (ret && ret != -EAGAIN)
				stress_failf(&s->failures, "compact: %ld", ret);
		}
	}
	return NULL;
}

static void stress_pipe(void **state)
{
	struct stress *s = calloc(1, sizeof(*s));
	pthread_t th[NR_WRITERS + NR_SPLICERS + 1];
	struct worker w[NR_WRITERS + NR_SPLICERS + 1];
	int n = NR_WRITERS + NR_SPLICERS + 1;

	(void)state;
	assert_non_null(s);
	s->failures.test = "stress_pipe";
	s->parent = test_task_create("parent");
	s->reader = test_task_create("reader");
	s->region = test_mmap(s->parent, NR_PAGES * PG, PROT_READ | PROT_WRITE,
			      MAP_PRIVATE | MAP_ANONYMOUS);
	for (int i = 0; i < NR_SPLICERS; i++)
		s->out[i] = test_mmap(s->reader, PG, PROT_READ | PROT_WRITE,
				      MAP_PRIVATE | MAP_ANONYMOUS);
	for (unsigned long i = 0; i < NR_PAGES; i++)
		assert_int_equal(write_page(s->parent, s->region + i * PG, i), 0);
	CHECK_ALL();

	atomic_set(&s->splicers_left, NR_SPLICERS);
	for (int i = 0; i < n; i++) {
		void *(*fn)(void *) = i < NR_WRITERS ? writer_fn :
				      i < NR_WRITERS + NR_SPLICERS ? splicer_fn : migrator_fn;

		w[i].s = s;
		w[i].id = i < NR_WRITERS ? i : i - NR_WRITERS;
		w[i].seed = opt_seed * 0x100000001b3ULL + (uint64_t)i + 1;
		assert_int_equal(pthread_create(&th[i], NULL, fn, &w[i]), 0);
	}
	for (int i = 0; i < n; i++)
		assert_int_equal(pthread_join(th[i], NULL), 0);
	pnm_rcu_barrier();
	print_message("stress_pipe: %ld splices read back, %ld pages migrated, %ld migrations "
		      "busy\n", atomic_long_read(&s->splices), atomic_long_read(&s->migrated),
		      atomic_long_read(&s->busy));
	stress_assert_none(&s->failures, NULL);
	assert_int_equal(atomic_long_read(&s->splices), (long)(NR_SPLICERS * opt_splices));
	CHECK_ALL();
	/* Nothing kept: every page of P is referenced by its mapping only. */
	for (unsigned long i = 0; i < NR_PAGES; i++)
		assert_int_equal(folio_ref_count(test_folio(s->parent, s->region + i * PG)), 1);
	free(s);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(stress_pipe, pnm_test_setup, pnm_test_teardown),
	};

	test_stress_params("stress_pipe", argc, argv, &opt_seed, &opt_splices);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
