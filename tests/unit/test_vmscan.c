// SPDX-License-Identifier: MIT
/*
 * test_vmscan.c - the file LRU (swap.c) and reclaim (vmscan.c), on the
 * test-local filesystem of wb_testfs.h: clean cache is reclaimed oldest
 * first and refaults from the backing store; dirty, locked, under-
 * writeback and maybe-pinned folios are kept; mapped folios only with
 * may_unmap (and not when the unmap made them dirty or a pin is held);
 * the page allocator reclaims when it runs out (not for __GFP_NORETRY);
 * a migrated cache folio keeps its place on the LRU; and a threaded test
 * of reclaim racing with cache lookups and pins.
 */
#include <limits.h>
#include <pthread.h>
#include <string.h>

#include "wb_testfs.h"

#define PG	PAGE_SIZE

static bool cached(struct tfs *t, pgoff_t index, struct folio *expect)
{
	struct folio *f = filemap_get_folio(tfs_mapping(t), index);

	if (IS_ERR(f))
		return false;
	folio_put(f);
	return !expect || f == expect;
}

static void test_reclaim_clean_oldest_first(void **state)
{
	struct tfs *t = tfs_create(0x33);
	long files = global_stat(NR_FILE_PAGES), steal = global_stat(PGSTEAL_FILE);
	long scan = global_stat(PGSCAN_FILE);
	unsigned long lru = pnm_lru_pages();
	int i;

	(void)state;
	for (i = 0; i < 8; i++)
		folio_put(tfs_add_folio(t, (pgoff_t)i, 0, (unsigned char)i, false));
	folio_put(tfs_add_folio(t, 8, 2, 0x88, false));	/* 4 pages */
	assert_int_equal(pnm_lru_pages(), lru + 12);
	assert_true(pnm_check_lru());
	CHECK_ALL();

	assert_int_equal(pnm_reclaim_pages(3, false), 3);
	for (i = 0; i < 8; i++)
		assert_int_equal(cached(t, (pgoff_t)i, NULL), i >= 3);
	assert_int_equal(tfs_mapping(t)->nrpages, 9);
	assert_int_equal(global_stat(NR_FILE_PAGES), files + 9);
	assert_int_equal(global_stat(PGSTEAL_FILE), steal + 3);
	assert_int_equal(global_stat(PGSCAN_FILE), scan + 3);
	assert_int_equal(pnm_lru_pages(), lru + 9);
	assert_true(pnm_check_lru());
	CHECK_ALL();

	/* The rest, large folio included; the LRU is empty again. */
	assert_int_equal(pnm_reclaim_pages(100, false), 9);
	assert_int_equal(tfs_mapping(t)->nrpages, 0);
	assert_int_equal(pnm_lru_pages(), lru);
	assert_int_equal(pnm_reclaim_pages(100, false), 0);
	CHECK_ALL();
	tfs_destroy(t);
	CHECK_ALL();
}

static void test_reclaim_keeps_busy(void **state)
{
	struct task_struct *p = test_task_create("p");
	struct tfs *t = tfs_create(0);
	unsigned long a = tfs_mmap_task(t, p);
	long pinned_skips = global_stat(PNM_RECLAIM_SKIP_PINNED);
	struct folio *dirty, *locked, *wb, *pinned;
	struct task_struct *prev;
	struct page *page;

	(void)state;
	dirty = tfs_add_folio(t, 0, 0, 1, true);
	locked = tfs_add_folio(t, 1, 0, 2, false);
	wb = tfs_add_folio(t, 2, 0, 3, false);
	folio_put(tfs_add_folio(t, 4, 0, 5, false));	/* only the cache holds it */
	/* A read-only pin (the device reads the page) of a mapped page. */
	assert_int_equal(test_read_byte(p, a + 3 * PG), 0);
	prev = pnm_task_enter(p);
	assert_int_equal(pin_user_pages_fast(a + 3 * PG, 1, 0, &page), 1);
	pnm_task_leave(prev);
	pinned = page_folio(page);
	assert_false(folio_test_dirty(pinned));

	folio_lock(locked);
	folio_lock(wb);
	folio_start_writeback(wb);
	folio_unlock(wb);

	assert_int_equal(pnm_reclaim_pages(100, true), 1);	/* only "clean" */
	assert_false(cached(t, 4, NULL));
	assert_true(cached(t, 0, dirty));
	assert_true(cached(t, 1, locked));
	assert_true(cached(t, 2, wb));
	assert_true(cached(t, 3, pinned));
	assert_int_equal(global_stat(PNM_RECLAIM_SKIP_PINNED), pinned_skips + 1);
	/* Kept folios are back on the LRU. */
	assert_true(PageLru(&dirty->page) && PageLru(&locked->page) &&
		    PageLru(&wb->page) && PageLru(&pinned->page));
	assert_int_equal(test_pfn(p, a + 3 * PG), folio_pfn(pinned));
	assert_true(pnm_check_lru());

	/* Once released, each can go. */
	folio_unlock(locked);
	folio_lock(wb);
	folio_end_writeback(wb);
	folio_unlock(wb);
	assert_int_equal(tfs_writeback(t, WB_SYNC_ALL, NULL), 0);
	assert_false(folio_test_dirty(dirty));
	unpin_user_page(page);
	folio_put(dirty);
	folio_put(locked);
	folio_put(wb);
	CHECK_ALL();
	assert_int_equal(pnm_reclaim_pages(100, true), 4);
	assert_int_equal(tfs_mapping(t)->nrpages, 0);
	/* The unmapped page refaults from the backing store. */
	assert_int_equal(test_read_byte(p, a + 2 * PG), 0);
	assert_int_equal(tfs_mapping(t)->nrpages, 1);
	CHECK_ALL();

	pnm_task_exit(p);
	tfs_destroy(t);
	CHECK_ALL();
}

static void test_reclaim_mapped(void **state)
{
	struct task_struct *p = test_task_create("p");
	struct tfs *t = tfs_create(0x44);
	unsigned long a = tfs_mmap_task(t, p);
	int reads;

	(void)state;
	assert_int_equal(test_read_byte(p, a), 0x44);
	assert_int_equal(test_read_byte(p, a + PG), 0x44);
	test_write_byte(p, a + 2 * PG, 0x45);		/* dirty */
	reads = atomic_read(&t->reads);

	/* Mapped: only with may_unmap. */
	assert_int_equal(pnm_reclaim_pages(100, false), 0);
	assert_int_equal(tfs_mapping(t)->nrpages, 3);
	assert_int_equal(pnm_reclaim_pages(100, true), 2);
	assert_int_equal(tfs_mapping(t)->nrpages, 1);	/* the dirty one */
	assert_int_equal(get_mm_counter(p->mm, MM_FILEPAGES), 1);
	CHECK_ALL();

	/* Accesses refault and read the file again. */
	assert_int_equal(test_read_byte(p, a + PG + 5), 0x44);
	assert_int_equal(atomic_read(&t->reads), reads + 1);
	assert_int_equal(test_read_byte(p, a + 2 * PG), 0x45);
	CHECK_ALL();

	/* Written back, the last one can go too, and comes back written. */
	assert_int_equal(tfs_writeback(t, WB_SYNC_ALL, NULL), 0);
	assert_int_equal(pnm_reclaim_pages(100, true), 2);
	assert_int_equal(tfs_mapping(t)->nrpages, 0);
	assert_int_equal(test_read_byte(p, a + 2 * PG), 0x45);
	CHECK_ALL();

	pnm_task_exit(p);
	tfs_destroy(t);
	CHECK_ALL();
}

/* The allocator reclaims clean cache when it runs out of frames. */
static void test_allocator_reclaims(void **state)
{
	struct task_struct *p = test_task_create("p");
	struct tfs *t[8];
	struct folio *dirty0;
	long steal = global_stat(PGSTEAL_FILE);
	unsigned long a, nr = 0, i, total;
	int n;

	(void)state;
	/* Fill all memory with clean cache, spread over 8 files;
	 * every 97th folio dirty. */
	for (n = 0; n < 8; n++) {
		t[n] = tfs_create(0);
		t[n]->pi.vfs.i_size = 1024 * PG;
	}
	total = pnm_nr_free_frames();
	for (i = 0; i < total && i / 8 < 1024; i++, nr++)
		folio_put(tfs_add_folio_gfp(t[i % 8], i / 8, 0, (unsigned char)i,
					    (i % 97) == 0, GFP_HIGHUSER_MOVABLE));
	assert_true(nr > 6000);
	dirty0 = filemap_get_folio(tfs_mapping(t[0]), 0);
	assert_false(IS_ERR(dirty0));
	assert_true(folio_test_dirty(dirty0));
	assert_int_equal(pnm_nr_free_frames(), 0);
	CHECK_ALL();

	/* Without reclaim this would fail (memory is full of cache). */
	assert_null(folio_alloc(GFP_HIGHUSER_MOVABLE | __GFP_NORETRY | __GFP_NOWARN, 0));
	assert_int_equal(global_stat(PGSTEAL_FILE), steal);

	/* A process touches 256 pages of anon memory: page tables (NORMAL
	 * only) and data come from reclaimed cache. */
	a = test_mmap(p, 256 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS);
	for (i = 0; i < 256; i++)
		test_write_byte(p, a + i * PG, (unsigned char)i);
	assert_true(global_stat(PGSTEAL_FILE) >= steal + 200);
	/* The dirty folios survived. */
	assert_true(cached(t[0], 0, dirty0));
	for (n = 0; n < 8; n++) {
		unsigned long idx;

		for (idx = 0; idx * 8 + (unsigned long)n < nr; idx++)
			if (((idx * 8 + (unsigned long)n) % 97) == 0)
				assert_true(cached(t[n], idx, NULL));
	}
	CHECK_ALL();

	folio_put(dirty0);
	pnm_task_exit(p);
	for (n = 0; n < 8; n++)
		tfs_destroy(t[n]);
	CHECK_ALL();
}

/* A migrated cache folio takes its predecessor's place on the LRU. */
static void test_lru_survives_migration(void **state)
{
	struct task_struct *p = test_task_create("p");
	struct tfs *t = tfs_create(0x66);
	unsigned long a = tfs_mmap_task(t, p), lru;
	struct folio *old, *new, *first;

	(void)state;
	first = tfs_add_folio(t, 0, 0, 0x60, false);		/* oldest */
	assert_int_equal(test_read_byte(p, a + PG), 0x66);	/* index 1 */
	folio_put(tfs_add_folio(t, 2, 0, 0x62, false));	/* youngest */
	old = test_folio(p, a + PG);
	assert_int_equal(folio_zone(old)->idx, ZONE_MOVABLE);
	assert_true(PageLru(&old->page));
	lru = pnm_lru_pages();

	assert_int_equal(pnm_mm_migrate_range(p->mm, a + PG, PG, ZONE_NORMAL), 1);
	new = test_folio(p, a + PG);
	assert_true(new != old);
	assert_int_equal(folio_zone(new)->idx, ZONE_NORMAL);
	assert_true(PageLru(&new->page));
	assert_int_equal(pnm_lru_pages(), lru);
	assert_true(cached(t, 1, new));
	assert_true(pnm_check_lru());
	CHECK_ALL();

	/* Same age as before: after the oldest, before the youngest. */
	assert_int_equal(pnm_mm_munmap(p->mm, a, TFS_SIZE), 0);
	folio_put(first);
	assert_int_equal(pnm_reclaim_pages(2, false), 2);
	assert_false(cached(t, 0, NULL));
	assert_false(cached(t, 1, NULL));
	assert_true(cached(t, 2, NULL));
	CHECK_ALL();

	pnm_task_exit(p);
	tfs_destroy(t);
	CHECK_ALL();
}

/* --- threads: reclaim racing with lookups and pins ------------------------------ */

#define RR_PAGES	16
#define RR_ROUNDS	100		/* reclaim passes, at least */
#define RR_OPS		3000		/* lookups (and about half as many pins) */

struct rr {
	struct tfs *t;
	struct task_struct *task;
	unsigned long addr;
	uint64_t seed;
	atomic_t done;			/* the user thread finished */
	atomic_t failures;
	atomic_long_t pins;
};

/* Looks pages up, checks their data under the folio lock, and pins and
 * unpins mapped pages (reading through the pin, as a device would). */
static void *rr_user(void *arg)
{
	struct rr *r = arg;
	struct task_struct *prev = pnm_task_enter(r->task);
	uint64_t s = r->seed;
	int op;

	for (op = 0; op < RR_OPS; op++) {
		pgoff_t index = (pgoff_t)(test_rand(&s) % RR_PAGES);
		struct folio *f = filemap_get_folio(tfs_mapping(r->t), index);

		if (!IS_ERR(f)) {
			folio_lock(f);
			if (f->mapping == tfs_mapping(r->t) &&
			    *(unsigned char *)folio_address(f) != (unsigned char)(0x70 + index))
				atomic_inc(&r->failures);
			folio_unlock(f);
			folio_put(f);
		}
		if (test_rand(&s) & 1) {
			struct page *page;
			unsigned char b = 0;

			if (pin_user_pages_fast(r->addr + index * PG, 1, 0, &page) == 1) {
				if (pnm_dma_read(&page, 1, 0, &b, 1) ||
				    b != (unsigned char)(0x70 + index))
					atomic_inc(&r->failures);
				atomic_long_inc(&r->pins);
				unpin_user_page(page);
			}
		}
	}
	pnm_task_leave(prev);
	atomic_set(&r->done, 1);
	return NULL;
}

static void test_reclaim_races(void **state)
{
	struct task_struct *p = test_task_create("p");
	struct tfs *t = tfs_create(0);
	struct rr r = { .t = t, .task = p, .seed = 0x7ec1a1dULL };
	pthread_t user;
	int i;

	(void)state;
	for (i = 0; i < RR_PAGES; i++)
		t->disk[i * PG] = (unsigned char)(0x70 + i);
	r.addr = tfs_mmap_task(t, p);
	for (i = 0; i < RR_PAGES; i++)
		assert_int_equal(test_read_byte(p, r.addr + (unsigned long)i * PG), 0x70 + i);

	assert_int_equal(pthread_create(&user, NULL, rr_user, &r), 0);
	/* Reclaim for as long as the user thread runs, at least RR_ROUNDS. */
	for (i = 0; i < RR_ROUNDS || !atomic_read(&r.done); i++) {
		unsigned long j;

		pnm_reclaim_pages(RR_PAGES / 2, (i & 1) != 0);
		/* Refault some (main thread is also a user of the mm). */
		for (j = (unsigned long)i % 3; j < RR_PAGES; j += 3)
			if (test_read_byte(p, r.addr + j * PG) != (unsigned char)(0x70 + j))
				atomic_inc(&r.failures);
	}
	assert_int_equal(pthread_join(user, NULL), 0);
	assert_int_equal(atomic_read(&r.failures), 0);
	assert_true(atomic_long_read(&r.pins) > 0);
	assert_true(pnm_check_lru());
	CHECK_ALL();

	pnm_task_exit(p);
	tfs_destroy(t);
	CHECK_ALL();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_reclaim_clean_oldest_first, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_reclaim_keeps_busy, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_reclaim_mapped, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_allocator_reclaims, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_lru_survives_migration, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_reclaim_races, pnm_test_setup, pnm_test_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
