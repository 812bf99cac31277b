/* SPDX-License-Identifier: MIT */
/*
 * stress_migrate.c - migration and compaction under concurrent access.
 *
 * A process has three regions: private anon pages, a THP (MADV_HUGEPAGE)
 * and a shmem mapping, plus ballast that leaves ZONE_CMA fragmented; it
 * has forked a child that keeps a COW snapshot of the anon region (and
 * shares the THP).  Writer threads each own a slice of every region and
 * write and read back values only they write; a reader thread checks the
 * child's snapshot; a migrator thread moves every region back and forth
 * between the zones (pnm_migrate_range) and compacts zones.  Every read
 * must return the last value its writer stored; the migrator may only see
 * the errors migration documents for busy folios.  Seeded and bounded:
 *
 *   stress_migrate [seed [accesses-per-worker [migrator-rounds]]]
 *
 * Workers record failures (test_util.h); the main thread asserts after join
 * and then checks every invariant and every value once more.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>

#include "test_util.h"
#include "pinmm_test_internal.h"

#define NR_WRITERS	3
#define SLICE_PAGES	32	/* pages of each region per writer */
#define REGION_PAGES	(NR_WRITERS * SLICE_PAGES)
#define NR_REGIONS	3	/* anon, THP, shmem */
#define BALLAST_PAGES	1024	/* fills ZONE_CMA, then half freed */

static uint64_t opt_seed = 0x5eed;
static unsigned long opt_iters = 1500;	/* minimum accesses per writer */
static unsigned long opt_rounds = 20;	/* migrator rounds */

struct stress {
	struct task_struct *parent, *child;
	unsigned long region[NR_REGIONS];	/* base addresses */
	unsigned long region_len[NR_REGIONS];	/* bytes the migrator moves */
	unsigned long ballast;			/* every other page mapped */
	/* last value written to each page (slot = region * REGION_PAGES + page);
	 * written by the page's owner only, read after join */
	unsigned long expect[NR_REGIONS * REGION_PAGES];
	unsigned long snapshot[REGION_PAGES];	/* the child's anon values */
	struct stress_failures failures;
	atomic_t migrations_done;
	atomic_t writers_left;
	atomic_t migrator_done;
};

/* PNM_TRACE_MIGRATE outcomes, tallied by the trace hook (any thread). */
enum { T_OK, T_EBUSY, T_EAGAIN, T_ENOMEM, T_EINVAL, T_OTHER, NR_T };
static atomic_t trace_tally[NR_T];

static void tally_migrate(const struct pnm_trace_rec *rec, void *arg)
{
	(void)arg;
	if (rec->ev != PNM_TRACE_MIGRATE)
		return;
	switch (rec->d) {
	case 0:
		atomic_inc(&trace_tally[T_OK]);
		break;
	case -EBUSY:
		atomic_inc(&trace_tally[T_EBUSY]);
		break;
	case -EAGAIN:
		atomic_inc(&trace_tally[T_EAGAIN]);
		break;
	case -ENOMEM:
		atomic_inc(&trace_tally[T_ENOMEM]);
		break;
	case -EINVAL:
		atomic_inc(&trace_tally[T_EINVAL]);
		break;
	default:
		atomic_inc(&trace_tally[T_OTHER]);
		break;
	}
}

struct worker {
	struct stress *s;
	int id;
	uint64_t seed;
};

static unsigned long page_addr(struct stress *s, int r, unsigned long page)
{
	return s->region[r] + page * PAGE_SIZE + (page % 16) * 8;
}

static void *writer_fn(void *arg)
{
	struct worker *w = arg;
	struct stress *s = w->s;
	unsigned long i;

	/* Until the migrator is done, and at least opt_iters accesses. */
	for (i = 0; i < opt_iters || !atomic_read_acquire(&s->migrator_done); i++) {
		uint64_t rnd = test_rand(&w->seed);
		int r = (int)(rnd % NR_REGIONS);
		unsigned long page = w->id * SLICE_PAGES + (rnd >> 8) % SLICE_PAGES;
		unsigned long *slot = &s->expect[r * REGION_PAGES + page];
		unsigned long addr = page_addr(s, r, page), v;
		int err;

		if (rnd & (1UL << 40)) {
			v = test_rand(&w->seed);
			err = pnm_user_write(s->parent, addr, &v, sizeof(v));
			if (err)
				stress_failf(&s->failures, "write at %#lx: %d", addr, err);
			else
				*slot = v;
		} else {
			err = pnm_user_read(s->parent, addr, &v, sizeof(v));
			if (err)
				stress_failf(&s->failures, "read at %#lx: %d", addr, err);
			else if (v != *slot)
				stress_failf(&s->failures, "read back %#lx at %#lx, expected %#lx", v, addr, *slot);
		}
	}
	atomic_dec(&s->writers_left);
	return NULL;
}

/* The child's view of the anon region never changes. */
static void *reader_fn(void *arg)
{
	struct worker *w = arg;
	struct stress *s = w->s;
	unsigned long i;

	for (i = 0; i < opt_iters || !atomic_read_acquire(&s->migrator_done); i++) {
		unsigned long page = test_rand(&w->seed) % REGION_PAGES, v = 0;
		unsigned long addr = page_addr(s, 0, page);
		int err = pnm_user_read(s->child, addr, &v, sizeof(v));

		if (err)
			stress_failf(&s->failures, "child read at %#lx: %d", addr, err);
		else if (v != s->snapshot[page])
			stress_failf(&s->failures, "child snapshot changed at %#lx (%#lx)", addr, v);
	}
	return NULL;
}

static bool migrate_result_ok(long ret)
{
	return ret >= 0 || ret == -EBUSY || ret == -EAGAIN || ret == -ENOMEM;
}

static void *migrator_fn(void *arg)
{
	static const enum zone_type zones[] = { ZONE_NORMAL, ZONE_CMA, ZONE_MOVABLE };
	struct worker *w = arg;
	struct stress *s = w->s;
	unsigned long round;

	for (round = 0; round < opt_rounds; round++) {
		enum zone_type zt = zones[round % ARRAY_SIZE(zones)];
		struct pnm_compact_result res;
		int r, ret;

		for (r = 0; r < NR_REGIONS; r++) {
			long moved = pnm_mm_migrate_range(s->parent->mm, s->region[r],
						       s->region_len[r], zt);

			if (!migrate_result_ok(moved))
				stress_failf(&s->failures, "migrate region %d: %ld", r, moved);
		}
		ret = (int)pnm_mm_migrate_range(s->child->mm, s->region[0],
					     REGION_PAGES * PAGE_SIZE, zt);
		if (!migrate_result_ok(ret))
			stress_failf(&s->failures, "migrate child region: %d", ret);
		/*
		 * With the regions out of CMA, only the interleaved ballast is
		 * left there: compaction can rebuild a 2 MiB block.  Plus a
		 * random zone at a random order, which may well fail.
		 */
		if (zt != ZONE_CMA) {
			ret = compact_zone(pnm_zone(ZONE_CMA), HPAGE_PMD_ORDER, &res);
			if (ret && ret != -EAGAIN)
				stress_failf(&s->failures, "compact CMA: %d", ret);
		}
		zt = zones[test_rand(&w->seed) % ARRAY_SIZE(zones)];
		ret = compact_zone(pnm_zone(zt), 1 + test_rand(&w->seed) % HPAGE_PMD_ORDER,
				   &res);
		if (ret && ret != -EAGAIN)
			stress_failf(&s->failures, "compact zone %d: %d", (int)zt, ret);
		atomic_inc(&s->migrations_done);
	}
	/* Release: pairs with the workers' acquire loads; ends their loops. */
	atomic_set_release(&s->migrator_done, 1);
	return NULL;
}

static void stress_migrate(void **state)
{
	struct stress *s = calloc(1, sizeof(*s));
	struct worker w[NR_WRITERS + 2];
	pthread_t th[NR_WRITERS + 2];
	long succ = global_stat(PGMIGRATE_SUCCESS);
	unsigned long i, base;
	int r, n;

	(void)state;
	assert_non_null(s);
	s->failures.test = "stress_migrate";
	s->parent = test_task_create("stress");
	assert_non_null(s->parent);
	s->region[0] = test_mmap(s->parent, REGION_PAGES * PAGE_SIZE,
				 PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS);
	base = test_mmap(s->parent, 2 * PMD_SIZE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS);
	assert_int_equal(pnm_mm_madvise(s->parent->mm, base, 2 * PMD_SIZE, MADV_HUGEPAGE), 0);
	s->region[1] = ALIGN(base, PMD_SIZE);
	s->region[2] = test_mmap(s->parent, REGION_PAGES * PAGE_SIZE,
				 PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS);
	s->region_len[0] = s->region_len[2] = REGION_PAGES * PAGE_SIZE;
	s->region_len[1] = PMD_SIZE;
	s->ballast = test_mmap(s->parent, BALLAST_PAGES * PAGE_SIZE,
			       PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS);

	for (r = 0; r < NR_REGIONS; r++) {
		for (i = 0; i < REGION_PAGES; i++) {
			unsigned long v = opt_seed * 31 + (unsigned long)r * 1000 + i;

			assert_int_equal(pnm_user_write(s->parent, page_addr(s, r, i), &v,
							sizeof(v)), 0);
			s->expect[r * REGION_PAGES + i] = v;
			if (r == 0)
				s->snapshot[i] = v;
		}
	}
	/*
	 * Ballast: fill ZONE_CMA with it, then unmap every other page, so that
	 * CMA has no free block above order 0 (THPs migrating there must be
	 * split, compaction of CMA has work to do).
	 */
	for (i = 0; i < BALLAST_PAGES; i++)
		test_write_byte(s->parent, s->ballast + i * PAGE_SIZE, (unsigned char)i);
	assert_int_equal(pnm_mm_migrate_range(s->parent->mm, s->ballast,
					   BALLAST_PAGES * PAGE_SIZE, ZONE_CMA),
			 BALLAST_PAGES);
	for (i = 1; i < BALLAST_PAGES; i += 2)
		assert_int_equal(pnm_mm_madvise(s->parent->mm, s->ballast + i * PAGE_SIZE,
					     PAGE_SIZE, MADV_DONTNEED), 0);
	assert_int_equal(zone_largest_free_order(pnm_zone(ZONE_CMA)), 0);
	assert_int_equal(pnm_task_fork(s->parent, "child", &s->child), 0);
	CHECK_ALL();
	/* One migration before the race starts, so some surely happened. */
	assert_int_equal(pnm_mm_migrate_range(s->parent->mm, s->region[0], PAGE_SIZE,
					   ZONE_NORMAL), 1);

	atomic_set(&s->writers_left, NR_WRITERS);
	pnm_trace_set(tally_migrate, NULL);
	for (n = 0; n < NR_WRITERS + 2; n++) {
		void *(*fn)(void *) = n < NR_WRITERS ? writer_fn :
				      n == NR_WRITERS ? reader_fn : migrator_fn;

		w[n].s = s;
		w[n].id = n;
		w[n].seed = opt_seed * 0x100000001b3ULL + (uint64_t)n + 1;
		assert_int_equal(pthread_create(&th[n], NULL, fn, &w[n]), 0);
	}
	for (n = 0; n < NR_WRITERS + 2; n++)
		assert_int_equal(pthread_join(th[n], NULL), 0);

	pnm_trace_set(NULL, NULL);
	printf("stress_migrate: migrations ok %d ebusy %d eagain %d enomem %d einval %d other %d\n",
	       atomic_read(&trace_tally[T_OK]), atomic_read(&trace_tally[T_EBUSY]),
	       atomic_read(&trace_tally[T_EAGAIN]), atomic_read(&trace_tally[T_ENOMEM]),
	       atomic_read(&trace_tally[T_EINVAL]), atomic_read(&trace_tally[T_OTHER]));
	assert_int_equal(atomic_read(&trace_tally[T_OTHER]), 0);
	printf("stress_migrate: %d migrator rounds, pgmigrate_success %ld fail %ld, "
	       "refused_refs %ld, thp_migration_success %ld split %ld, compact_success %ld, "
	       "compact_stall %ld fail %ld, thp_split_page %ld thp_split_pmd %ld\n",
	       atomic_read(&s->migrations_done), global_stat(PGMIGRATE_SUCCESS),
	       global_stat(PGMIGRATE_FAIL), global_stat(PNM_MIGRATE_REFUSED_REFS),
	       global_stat(THP_MIGRATION_SUCCESS), global_stat(THP_MIGRATION_SPLIT),
	       global_stat(COMPACTSUCCESS), global_stat(COMPACTSTALL),
	       global_stat(COMPACTFAIL), global_stat(THP_SPLIT_PAGE),
	       global_stat(THP_SPLIT_PMD));
	stress_assert_none(&s->failures, NULL);
	assert_int_equal(atomic_read(&s->migrations_done), (int)opt_rounds);
	if (opt_rounds >= 3)
		assert_true(global_stat(COMPACTSUCCESS) > 0);
	assert_true(global_stat(PGMIGRATE_SUCCESS) > succ);
	CHECK_ALL();

	/* Every value once more, from the quiet model. */
	for (r = 0; r < NR_REGIONS; r++) {
		for (i = 0; i < REGION_PAGES; i++) {
			unsigned long v = 0;

			assert_int_equal(pnm_user_read(s->parent, page_addr(s, r, i), &v,
						       sizeof(v)), 0);
			assert_int_equal(v, s->expect[r * REGION_PAGES + i]);
		}
	}
	for (i = 0; i < BALLAST_PAGES; i += 2)
		assert_int_equal(test_read_byte(s->parent, s->ballast + i * PAGE_SIZE),
				 (unsigned char)i);
	for (i = 0; i < REGION_PAGES; i++) {
		unsigned long v = 0;

		assert_int_equal(pnm_user_read(s->child, page_addr(s, 0, i), &v, sizeof(v)), 0);
		assert_int_equal(v, s->snapshot[i]);
	}
	put_task_struct(s->child);
	put_task_struct(s->parent);
	CHECK_ALL();
	free(s);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(stress_migrate, pnm_test_setup, pnm_test_teardown),
	};

	if (argc > 1)
		opt_seed = strtoull(argv[1], NULL, 0);
	if (argc > 2)
		opt_iters = strtoul(argv[2], NULL, 0);
	if (argc > 3)
		opt_rounds = strtoul(argv[3], NULL, 0);
	printf("stress_migrate: seed %#llx, %lu accesses per worker, %lu rounds\n",
	       (unsigned long long)opt_seed, opt_iters, opt_rounds);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
