// SPDX-License-Identifier: MIT
/*
 * test_truncate.c - taking folios out of the page cache (truncate.c) over
 * the test-local filesystem (pagecache_test.h): truncate of pages mapped
 * by two processes, of a pinned page (it leaves the cache, stays alive,
 * PG_pnm_truncated, counters, device writes never reach the file), of a
 * large folio only partly beyond the new size (zeroed, not split), hole
 * punching, invalidate_mapping_pages() keeping dirty/mapped/pinned/
 * referenced/locked folios, and a threaded seeded race of truncate and
 * punch against faults, pins and device writes.
 */
#include <pthread.h>
#include <sched.h>

#include "pagecache_test.h"

static struct pnm_trace_rec last_truncate;

static void trace_truncate(const struct pnm_trace_rec *rec, void *arg)
{
	(void)arg;
	if (rec->ev == PNM_TRACE_TRUNCATE)
		last_truncate = *rec;
}

static unsigned char file_byte(struct file *f, loff_t pos)
{
	unsigned char v = 0xee;

	assert_int_equal(f->f_op->read(f, &v, 1, &pos), 1);
	return v;
}

/* Shrinking a file mapped by two processes unmaps and drops the tail. */
static void test_truncate_mapped(void **state)
{
	struct task_struct *p = test_task_create("p"), *q = test_task_create("q");
	struct file *f = tfs_create(8 * PG, -1, false);
	long files, dirty, mapped, live = global_stat(PNM_NR_TRUNCATED_LIVE);
	unsigned long allocated, i, pfn;
	unsigned char v;
	long a, b;
	bool w;

	(void)state;
	tfs_fill_pattern(f);
	a = tfs_map(p, f, 8 * PG, MAP_SHARED, 0);
	b = tfs_map(q, f, 8 * PG, MAP_SHARED, 0);
	for (i = 0; i < 8; i++) {
		test_write_byte(p, (unsigned long)a + i * PG, (unsigned char)(0x80 + i));
		assert_int_equal(test_read_byte(q, (unsigned long)b + i * PG), 0x80 + i);
	}
	files = global_stat(NR_FILE_PAGES);
	dirty = global_stat(NR_FILE_DIRTY);
	mapped = global_stat(NR_FILE_MAPPED);
	allocated = pnm_nr_allocated_frames();
	assert_int_equal(get_mm_counter(p->mm, MM_FILEPAGES), 8);
	TFS_CHECK(f);

	pnm_trace_set(trace_truncate, NULL);
	tfs_truncate(f, 3 * PG);
	pnm_trace_set(NULL, NULL);
	assert_int_equal(last_truncate.b, 3 * PG);
	assert_int_equal(last_truncate.c, 5);
	assert_int_equal(last_truncate.d, 0);
	assert_int_equal(i_size_read(f->f_inode), 3 * PG);
	assert_int_equal(f->f_mapping->nrpages, 3);
	assert_int_equal(global_stat(NR_FILE_PAGES), files - 5);
	assert_int_equal(global_stat(NR_FILE_DIRTY), dirty - 5);
	assert_int_equal(global_stat(NR_FILE_MAPPED), mapped - 5);
	assert_int_equal(pnm_nr_allocated_frames(), allocated - 5);
	assert_int_equal(get_mm_counter(p->mm, MM_FILEPAGES), 3);
	assert_int_equal(get_mm_counter(q->mm, MM_FILEPAGES), 3);
	assert_int_equal(atomic_read(&tfs_of(f)->invalidates), 5);
	assert_int_equal(global_stat(PNM_NR_TRUNCATED_LIVE), live);
	assert_int_equal(pnm_mm_translate(p->mm, (unsigned long)a + 4 * PG, &pfn, &w), -EFAULT);
	assert_int_equal(pnm_user_read(p, (unsigned long)a + 4 * PG, &v, 1), -EFAULT);
	assert_int_equal(pnm_user_write(q, (unsigned long)b + 7 * PG, &v, 1), -EFAULT);
	assert_int_equal(test_read_byte(q, (unsigned long)b + 2 * PG), 0x82);
	TFS_CHECK(f);

	/* The page holding the new EOF is zeroed beyond it and unmapped. */
	tfs_truncate(f, 2 * PG + 100);
	assert_int_equal(f->f_mapping->nrpages, 3);
	assert_int_equal(tfs_of(f)->last_inv_off, 100);
	assert_int_equal(tfs_of(f)->last_inv_len, PG - 100);
	assert_int_equal(pnm_mm_translate(p->mm, (unsigned long)a + 2 * PG, &pfn, &w), -EFAULT);
	assert_int_equal(test_read_byte(p, (unsigned long)a + 2 * PG + 99),
			 tfs_pattern(2 * PG + 99));
	assert_int_equal(test_read_byte(p, (unsigned long)a + 2 * PG + 100), 0);
	assert_int_equal(test_read_byte(q, (unsigned long)b + 3 * PG - 1), 0);
	assert_int_equal(test_read_byte(q, (unsigned long)b + 2 * PG), 0x82);
	TFS_CHECK(f);
	fput(f);
}

/*
 * A pinned page: it leaves the cache but lives on, detached and marked;
 * what the device writes into it afterwards never reaches the file.
 */
static void test_truncate_pinned(void **state)
{
	struct task_struct *p = test_task_create("p");
	struct file *f = tfs_create(4 * PG, 0x11, false);
	long live = global_stat(PNM_NR_TRUNCATED_LIVE);
	long tpinned = global_stat(PNM_TRUNCATE_PINNED);
	long dma_lost = global_stat(PNM_DMA_WRITE_TRUNCATED);
	long dirty = global_stat(NR_FILE_DIRTY);
	unsigned long allocated;
	struct page *pages[1];
	struct folio *folio;
	char back[4];
	loff_t pos;
	long a;

	(void)state;
	a = tfs_map(p, f, 4 * PG, MAP_SHARED, 0);
	mmap_read_lock(p->mm);
	assert_int_equal(pin_user_pages_remote(p->mm, (unsigned long)a + 2 * PG, 1,
					       FOLL_WRITE, pages, NULL), 1);
	mmap_read_unlock(p->mm);
	folio = page_folio(pages[0]);
	assert_true(folio_maybe_dma_pinned(folio));
	/* The pin's write fault went through ->page_mkwrite. */
	assert_int_equal(atomic_read(&tfs_of(f)->mkwrites), 1);
	assert_true(folio_test_dirty(folio));
	assert_int_equal(global_stat(NR_FILE_DIRTY), dirty + 1);

	pnm_trace_set(trace_truncate, NULL);
	tfs_truncate(f, 2 * PG);
	pnm_trace_set(NULL, NULL);
	assert_int_equal(last_truncate.c, 1);	/* only page 2 was cached */
	assert_int_equal(last_truncate.d, 1);
	assert_null(folio->mapping);
	assert_false(folio_mapped(folio));
	assert_true(test_bit(PG_pnm_truncated, &folio->flags));
	assert_false(folio_test_dirty(folio));
	assert_int_equal(global_stat(NR_FILE_DIRTY), dirty);
	assert_true(folio_maybe_dma_pinned(folio));
	assert_int_equal(global_stat(PNM_NR_TRUNCATED_LIVE), live + 1);
	assert_int_equal(global_stat(PNM_TRUNCATE_PINNED), tpinned + 1);
	assert_int_equal(f->f_mapping->nrpages, 0);
	TFS_CHECK(f);

	/* The device still writes the (live) page; the file never sees it. */
	assert_int_equal(pnm_dma_write(pages, 1, 8, "late", 4), 0);
	assert_int_equal(global_stat(PNM_DMA_WRITE_TRUNCATED), dma_lost + 4);
	tfs_truncate(f, 3 * PG);
	pos = 2 * PG + 8;
	assert_int_equal(f->f_op->read(f, back, 4, &pos), 4);
	assert_memory_equal(back, "\0\0\0\0", 4);
	assert_ptr_not_equal(tfs_cached(f, 2), folio);
	TFS_CHECK(f);

	/* Unpin dirty: a detached folio just gets PG_dirty; then it is freed. */
	folio_get(folio);
	unpin_user_pages_dirty_lock(pages, 1, true);
	assert_true(folio_test_dirty(folio));
	assert_int_equal(global_stat(PNM_NR_TRUNCATED_LIVE), live + 1);
	CHECK_ALL();
	allocated = pnm_nr_allocated_frames();
	folio_put(folio);
	assert_int_equal(pnm_nr_allocated_frames(), allocated - 1);
	assert_int_equal(global_stat(PNM_NR_TRUNCATED_LIVE), live);
	TFS_CHECK(f);
	fput(f);
}

/* A pinned large folio: all its pages are counted while it lives. */
static void test_truncate_pinned_large(void **state)
{
	struct task_struct *p = test_task_create("p");
	struct file *f = tfs_create(16 * PG, 0x22, true);
	long live = global_stat(PNM_NR_TRUNCATED_LIVE);
	long tpinned = global_stat(PNM_TRUNCATE_PINNED);
	struct page *pages[2];
	struct folio *folio;
	long a;

	(void)state;
	a = tfs_map(p, f, 16 * PG, MAP_SHARED, 0);
	mmap_read_lock(p->mm);
	assert_int_equal(pin_user_pages_remote(p->mm, (unsigned long)a + 3 * PG, 2,
					       FOLL_WRITE, pages, NULL), 2);
	mmap_read_unlock(p->mm);
	folio = page_folio(pages[0]);
	assert_int_equal(folio_order(folio), 4);
	assert_ptr_equal(page_folio(pages[1]), folio);
	tfs_truncate(f, 0);
	assert_null(folio->mapping);
	assert_true(test_bit(PG_pnm_truncated, &folio->flags));
	assert_int_equal(global_stat(PNM_NR_TRUNCATED_LIVE), live + 16);
	assert_int_equal(global_stat(PNM_TRUNCATE_PINNED), tpinned + 16);
	assert_int_equal(f->f_mapping->nrpages, 0);
	TFS_CHECK(f);
	unpin_user_pages(pages, 2);
	assert_int_equal(global_stat(PNM_NR_TRUNCATED_LIVE), live);
	TFS_CHECK(f);
	fput(f);
}

/* A large folio only partly beyond the new size is zeroed there, not split. */
static void test_truncate_partial_large(void **state)
{
	struct task_struct *p = test_task_create("p");
	struct file *f = tfs_create(16 * PG, 0xaa, true);
	struct folio *folio;
	unsigned char *data, v;
	unsigned long i;
	long a;

	(void)state;
	a = tfs_map(p, f, 16 * PG, MAP_SHARED, 0);
	test_write_byte(p, (unsigned long)a + 3 * PG, 0xbb);
	assert_int_equal(test_read_byte(p, (unsigned long)a + 12 * PG), 0xaa);
	folio = tfs_cached(f, 0);
	assert_int_equal(folio_order(folio), 4);
	assert_true(folio_test_dirty(folio));

	tfs_truncate(f, 5 * PG + 100);
	assert_ptr_equal(tfs_cached(f, 15), folio);
	assert_int_equal(f->f_mapping->nrpages, 16);
	assert_false(folio_mapped(folio));
	assert_true(folio_test_dirty(folio));
	assert_false(test_bit(PG_pnm_truncated, &folio->flags));
	assert_int_equal(tfs_of(f)->last_inv_off, 5 * PG + 100);
	assert_int_equal(tfs_of(f)->last_inv_len, 11 * PG - 100);
	data = folio_address(folio);
	assert_int_equal(data[3 * PG], 0xbb);
	assert_int_equal(data[5 * PG + 99], 0xaa);
	for (i = 5 * PG + 100; i < 16 * PG; i += 97)
		assert_int_equal(data[i], 0);
	assert_int_equal(data[16 * PG - 1], 0);
	TFS_CHECK(f);
	/* Below the size it faults back in (same folio); beyond it SIGBUS. */
	assert_int_equal(test_read_byte(p, (unsigned long)a + 4 * PG), 0xaa);
	assert_ptr_equal(test_folio(p, (unsigned long)a + 4 * PG), folio);
	assert_int_equal(pnm_user_read(p, (unsigned long)a + 6 * PG, &v, 1), -EFAULT);
	/* Grown again, the cut part reads as zeroes. */
	tfs_truncate(f, 16 * PG);
	assert_int_equal(file_byte(f, 10 * PG + 5), 0);
	assert_int_equal(test_read_byte(p, (unsigned long)a + 15 * PG), 0);
	TFS_CHECK(f);
	fput(f);
}

/* Punching a hole: whole pages leave, edges are zeroed, size unchanged. */
static void test_punch_hole(void **state)
{
	struct task_struct *p = test_task_create("p");
	struct file *f = tfs_create(8 * PG, -1, false);
	struct file *g = tfs_create(16 * PG, -1, true);
	struct folio *big;
	unsigned long i;
	long a;

	(void)state;
	tfs_fill_pattern(f);
	tfs_fill_pattern(g);
	a = tfs_map(p, f, 8 * PG, MAP_SHARED, 0);
	for (i = 0; i < 8; i++)
		assert_int_equal(test_read_byte(p, (unsigned long)a + i * PG), tfs_pattern(i * PG));
	tfs_punch(f, 2 * PG + 10, 4 * PG - 10);
	assert_int_equal(i_size_read(f->f_inode), 8 * PG);
	assert_int_equal(f->f_mapping->nrpages, 5);
	assert_null(tfs_cached(f, 3));
	assert_null(tfs_cached(f, 5));
	assert_non_null(tfs_cached(f, 2));
	assert_non_null(tfs_cached(f, 6));
	assert_int_equal(test_read_byte(p, (unsigned long)a + 2 * PG + 9), tfs_pattern(2 * PG + 9));
	assert_int_equal(test_read_byte(p, (unsigned long)a + 2 * PG + 10), 0);
	assert_int_equal(test_read_byte(p, (unsigned long)a + 6 * PG), tfs_pattern(6 * PG));
	/* The hole refaults as zeroes. */
	assert_int_equal(test_read_byte(p, (unsigned long)a + 4 * PG + 5), 0);
	assert_int_equal(file_byte(f, 6 * PG - 1), 0);
	TFS_CHECK(f);

	/* Inside one large folio: zeroed in place. */
	assert_int_equal(file_byte(g, 0), tfs_pattern(0));
	big = tfs_cached(g, 0);
	assert_int_equal(folio_order(big), 4);
	tfs_punch(g, PG, 2 * PG);
	assert_ptr_equal(tfs_cached(g, 2), big);
	assert_int_equal(file_byte(g, PG - 1), tfs_pattern(PG - 1));
	assert_int_equal(file_byte(g, PG), 0);
	assert_int_equal(file_byte(g, 3 * PG - 1), 0);
	assert_int_equal(file_byte(g, 3 * PG), tfs_pattern(3 * PG));
	TFS_CHECK(g);
	fput(g);
	fput(f);
}

/* invalidate_mapping_pages drops only clean, unused, unlocked folios. */
static void test_invalidate_mapping_pages(void **state)
{
	struct task_struct *p = test_task_create("p");
	struct file *f = tfs_create(8 * PG, 0x66, false);
	struct address_space *m = f->f_mapping;
	unsigned char buf[8 * PG];
	struct folio *held, *locked;
	struct page *pages[1];
	loff_t pos = 0;
	long a;

	(void)state;
	assert_int_equal(f->f_op->read(f, buf, sizeof(buf), &pos), sizeof(buf));
	assert_int_equal(m->nrpages, 8);
	pos = PG;
	assert_int_equal(f->f_op->write(f, "d", 1, &pos), 1);		/* 1: dirty */
	a = tfs_map(p, f, 8 * PG, MAP_SHARED, 0);
	assert_int_equal(test_read_byte(p, (unsigned long)a + 2 * PG), 0x66);	/* 2: mapped */
	mmap_read_lock(p->mm);						/* 3: pinned */
	assert_int_equal(pin_user_pages_remote(p->mm, (unsigned long)a + 3 * PG, 1, 0,
					       pages, NULL), 1);
	mmap_read_unlock(p->mm);
	assert_int_equal(pnm_mm_munmap(p->mm, (unsigned long)a + 3 * PG, PG), 0);
	assert_false(folio_mapped(page_folio(pages[0])));
	held = tfs_cached(f, 4);					/* 4: referenced */
	folio_get(held);
	locked = tfs_cached(f, 5);					/* 5: locked */
	assert_true(folio_trylock(locked));

	assert_int_equal(invalidate_mapping_pages(m, 0, 7), 3);	/* 0, 6, 7 */
	assert_int_equal(m->nrpages, 5);
	assert_null(tfs_cached(f, 0));
	assert_null(tfs_cached(f, 6));
	assert_null(tfs_cached(f, 7));
	TFS_CHECK(f);
	/* The range is respected. */
	pos = 6 * PG;
	assert_int_equal(f->f_op->read(f, buf, 2 * PG, &pos), 2 * PG);
	assert_int_equal(invalidate_mapping_pages(m, 7, 7), 1);
	assert_non_null(tfs_cached(f, 6));

	folio_unlock(locked);
	folio_put(held);
	unpin_user_page(pages[0]);
	assert_int_equal(invalidate_mapping_pages(m, 3, 6), 4);
	assert_int_equal(m->nrpages, 2);				/* 1, 2 */
	TFS_CHECK(f);
	fput(f);
}

/* --- truncate racing faults and pins (threads) -------------------------- */

#define RACE_PAGES	16
#define RACE_TRUNCS	2000		/* truncator iterations */
#define RACE_HELD	4		/* pins the pinner keeps at a time */
#define RACE_MAX_ITERS	2000000		/* bound on the other threads' loops */

struct race {
	struct task_struct *p;
	struct file *f;
	unsigned long a;
	uint64_t seed;
	long errors;		/* atomic: unexpected results */
	long pins;		/* atomic: successful pins */
	int done;		/* atomic: the truncator has finished */
	int stopped;		/* atomic: other threads that have ended */
	long progress[3];	/* atomic: iterations of faulter 0, 1, pinner */
	long truncs;		/* truncator iterations (its own thread) */
	int ids;		/* atomic: faulter numbering */
	pthread_barrier_t start;	/* all four threads begin together */
};

static void race_error(struct race *r)
{
	__atomic_add_fetch(&r->errors, 1, __ATOMIC_RELAXED);
}

/*
 * Keep going while the truncator runs (bounded), and report progress:
 * the truncator paces itself on it so the threads really overlap.
 * Relaxed atomics: only pacing and a stop signal; join orders results.
 */
static bool race_running(struct race *r, int who, long i)
{
	__atomic_store_n(&r->progress[who], i, __ATOMIC_RELAXED);
	if (i < RACE_MAX_ITERS && !__atomic_load_n(&r->done, __ATOMIC_RELAXED))
		return true;
	__atomic_add_fetch(&r->stopped, 1, __ATOMIC_RELAXED);
	return false;
}

/* Truncator: wait (yielding) until every other thread did @n iterations. */
static void race_pace(struct race *r, long n)
{
	for (;;) {
		int k;

		for (k = 0; k < 3; k++)
			if (__atomic_load_n(&r->progress[k], __ATOMIC_RELAXED) < n)
				break;
		if (k == 3 || __atomic_load_n(&r->stopped, __ATOMIC_RELAXED))
			return;
		sched_yield();
	}
}

/* CPU accesses at offsets < 64 of random pages: 0 or -EFAULT (past EOF). */
static void *race_faulter(void *arg)
{
	struct race *r = arg;
	/* Symmetric threads: which one gets which number does not matter. */
	int who = __atomic_fetch_add(&r->ids, 1, __ATOMIC_RELAXED);
	uint64_t seed = r->seed ^ (0x1111ULL * (uint64_t)(who + 1));
	long i;
	int ret;

	pthread_barrier_wait(&r->start);
	for (i = 0; race_running(r, who, i); i++) {
		uint64_t x = test_rand(&seed);
		unsigned long addr = r->a + (x % RACE_PAGES) * PG + ((x >> 8) % 64);
		unsigned char v = (unsigned char)(x >> 16);

		if (x & (1ULL << 40))
			ret = pnm_user_write(r->p, addr, &v, 1);
		else
			ret = pnm_user_read(r->p, addr, &v, 1);
		if (ret && ret != -EFAULT)
			race_error(r);
	}
	return NULL;
}

/*
 * Pin random pages and keep up to RACE_HELD of them pinned, the device
 * writing into each (upper half of the page, where no CPU access goes)
 * when it is pinned and again before it is released dirty or clean.
 */
static void *race_pinner(void *arg)
{
	struct race *r = arg;
	uint64_t seed = r->seed ^ 0x2222;
	struct task_struct *prev = pnm_task_enter(r->p);
	struct page *held[RACE_HELD] = { NULL };
	unsigned char data[16];
	bool stop = false;
	long i;
	int ret, slot, left = RACE_HELD;

	memset(data, 0x77, sizeof(data));
	pthread_barrier_wait(&r->start);
	for (i = 0; left; i++) {
		uint64_t x = test_rand(&seed);

		stop = stop || !race_running(r, 2, i);
		left = stop ? left - 1 : RACE_HELD;
		slot = (int)(i % RACE_HELD);
		if (held[slot]) {
			if (pnm_dma_write(&held[slot], 1, 2048 + (x >> 8) % 1024, data, sizeof(data)))
				race_error(r);
			unpin_user_pages_dirty_lock(&held[slot], 1, x & (1ULL << 30));
			held[slot] = NULL;
		}
		if (stop)
			continue;
		ret = pin_user_pages_fast(r->a + (x % RACE_PAGES) * PG, 1, FOLL_WRITE,
					  &held[slot]);
		if (ret == 1) {
			__atomic_add_fetch(&r->pins, 1, __ATOMIC_RELAXED);
			if (pnm_dma_write(&held[slot], 1, 3072, data, sizeof(data)))
				race_error(r);
		} else {
			held[slot] = NULL;
			if (ret != -EFAULT)
				race_error(r);
		}
	}
	pnm_task_leave(prev);
	return NULL;
}

/* Shrink, grow and punch at random while the others run. */
static void *race_truncator(void *arg)
{
	struct race *r = arg;
	uint64_t seed = r->seed ^ 0x3333;

	pthread_barrier_wait(&r->start);
	while (r->truncs < RACE_TRUNCS) {
		uint64_t x = test_rand(&seed);

		race_pace(r, r->truncs * 3);
		loff_t size = (loff_t)(x % (RACE_PAGES * PG + 1));

		r->truncs++;
		/* No cmocka asserts off the main thread: record failures. */
		switch ((x >> 32) % 4) {
		case 0:
			break;
		case 1:
			size = RACE_PAGES * PG;
			break;
		case 2:
			tfs_punch(r->f, size / 2, (loff_t)((x >> 40) % (4 * PG)) + 1);
			continue;
		default:
			size &= ~(loff_t)(PG - 1);
			break;
		}
		if (r->f->f_op->setsize(r->f, size))
			race_error(r);
	}
	__atomic_store_n(&r->done, 1, __ATOMIC_RELAXED);
	return NULL;
}

/* PINMM_TEST_SEED overrides the fixed seeds (exploring other schedules). */
static void run_race(uint64_t seed, bool large)
{
	const char *env = getenv("PINMM_TEST_SEED");
	struct race r = { 0 };
	long live = global_stat(PNM_NR_TRUNCATED_LIVE);
	long tpinned = global_stat(PNM_TRUNCATE_PINNED);
	long dma_lost = global_stat(PNM_DMA_WRITE_TRUNCATED);
	pthread_t th[4];
	int i;

	r.p = test_task_create("racer");
	r.f = tfs_create(RACE_PAGES * PG, 0x55, large);
	r.a = (unsigned long)tfs_map(r.p, r.f, RACE_PAGES * PG, MAP_SHARED, 0);
	r.seed = env ? strtoull(env, NULL, 0) ^ seed : seed;
	assert_int_equal(pthread_barrier_init(&r.start, NULL, 4), 0);
	assert_int_equal(pthread_create(&th[0], NULL, race_faulter, &r), 0);
	assert_int_equal(pthread_create(&th[1], NULL, race_faulter, &r), 0);
	assert_int_equal(pthread_create(&th[2], NULL, race_pinner, &r), 0);
	assert_int_equal(pthread_create(&th[3], NULL, race_truncator, &r), 0);
	for (i = 0; i < 4; i++)
		assert_int_equal(pthread_join(th[i], NULL), 0);
	pthread_barrier_destroy(&r.start);
	print_message("race seed %#llx large %d: %ld truncates/punches, %ld pins, %ld pages truncated while pinned, %ld device bytes into truncated pages\n",
		      (unsigned long long)r.seed, large, r.truncs, r.pins,
		      global_stat(PNM_TRUNCATE_PINNED) - tpinned,
		      global_stat(PNM_DMA_WRITE_TRUNCATED) - dma_lost);
	assert_int_equal(r.errors, 0);
	/* Every pin was released: no truncated folio is still alive. */
	assert_int_equal(global_stat(PNM_NR_TRUNCATED_LIVE), live);
	TFS_CHECK(r.f);
	/* The mapping still works at the final size. */
	tfs_truncate(r.f, RACE_PAGES * PG);
	test_write_byte(r.p, r.a + (RACE_PAGES - 1) * PG, 9);
	assert_int_equal(file_byte(r.f, (RACE_PAGES - 1) * PG), 9);
	TFS_CHECK(r.f);
	fput(r.f);
	pnm_task_exit(r.p);
	CHECK_ALL();
}

static void test_truncate_race_small(void **state)
{
	(void)state;
	run_race(0x5eed0001, false);
}

static void test_truncate_race_large(void **state)
{
	(void)state;
	run_race(0x5eed0002, true);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_truncate_mapped, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_truncate_pinned, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_truncate_pinned_large, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_truncate_partial_large, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_punch_hole, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_invalidate_mapping_pages, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_truncate_race_small, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_truncate_race_large, pnm_test_setup, pnm_test_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
