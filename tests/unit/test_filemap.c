// SPDX-License-Identifier: MIT
/*
 * test_filemap.c - the page cache (filemap.c) over a test-local
 * filesystem (pagecache_test.h): insertion and lookup with large folios
 * (multi-index slots, alignment, -EEXIST, choice of order by holes and
 * i_size), read faults filled by ->read_folio, SIGBUS past EOF, read
 * errors, the first write of a page reaching ->page_mkwrite, buffered
 * read/write, private mappings, ->page_mkwrite on a truncated folio, and
 * the writeback flag (counters, a waiter on another thread).
 */
#include <pthread.h>

#include "pagecache_test.h"

/* A new locked folio of @order, as FGP_CREAT would make it. */
static struct folio *new_locked_folio(unsigned int order)
{
	struct folio *folio = folio_alloc(GFP_HIGHUSER_MOVABLE, order);

	assert_non_null(folio);
	assert_true(folio_trylock(folio));
	return folio;
}

static void test_add_folio_multi_index(void **state)
{
	struct file *f = tfs_create(32 * PG, 0, true);
	struct address_space *m = f->f_mapping;
	long files = global_stat(NR_FILE_PAGES);
	struct folio *big, *small, *got;
	unsigned long i;

	(void)state;
	big = new_locked_folio(2);
	assert_int_equal(filemap_add_folio(m, big, 4, GFP_HIGHUSER_MOVABLE), 0);
	assert_ptr_equal(big->mapping, m);
	assert_int_equal(big->index, 4);
	assert_int_equal(m->nrpages, 4);
	assert_int_equal(folio_ref_count(big), 1 + 4);
	assert_int_equal(global_stat(NR_FILE_PAGES), files + 4);
	for (i = 4; i < 8; i++)
		assert_ptr_equal(tfs_cached(f, i), big);
	assert_null(tfs_cached(f, 3));
	assert_null(tfs_cached(f, 8));

	/* Overlaps are refused whole, leaving both folios as they were. */
	small = new_locked_folio(0);
	assert_int_equal(filemap_add_folio(m, small, 5, GFP_HIGHUSER_MOVABLE), -EEXIST);
	assert_null(small->mapping);
	assert_int_equal(folio_ref_count(small), 1);
	folio_unlock(small);
	folio_put(small);
	small = new_locked_folio(3);
	assert_int_equal(filemap_add_folio(m, small, 0, GFP_HIGHUSER_MOVABLE), -EEXIST);
	assert_null(tfs_cached(f, 0));
	assert_int_equal(folio_ref_count(small), 1);
	folio_unlock(small);
	folio_put(small);
	assert_int_equal(m->nrpages, 4);

	/* Any index of a large folio finds its head. */
	got = filemap_get_folio(m, 6);
	assert_ptr_equal(got, big);
	assert_int_equal(folio_ref_count(big), 6);
	folio_put(got);
	assert_int_equal(PTR_ERR(filemap_get_folio(m, 8)), -ENOENT);
	/* Still locked by us: FGP_NOWAIT must not sleep. */
	got = __filemap_get_folio(m, 7, FGP_LOCK | FGP_NOWAIT, 0);
	assert_int_equal(PTR_ERR(got), -EAGAIN);
	assert_int_equal(folio_ref_count(big), 5);
	SetPageUptodate(&big->page);
	folio_unlock(big);
	got = filemap_lock_folio(m, 7);
	assert_ptr_equal(got, big);
	assert_true(folio_test_locked(big));
	folio_unlock(got);
	folio_put(got);
	folio_put(big);			/* the allocation's reference */
	assert_int_equal(folio_ref_count(big), 4);
	TFS_CHECK(f);
	fput(f);
	assert_int_equal(global_stat(NR_FILE_PAGES), files);
	CHECK_ALL();
}

/* FGP_CREAT picks the largest aligned hole below i_size. */
static void test_create_order_choice(void **state)
{
	struct file *f = tfs_create(40 * PG, 0, true);
	struct address_space *m = f->f_mapping;
	unsigned int fgp = FGP_CREAT | fgf_set_order(PNM_MAX_PAGECACHE_ORDER);
	struct folio *a, *b, *c, *d, *e;

	(void)state;
	a = new_locked_folio(2);
	assert_int_equal(filemap_add_folio(m, a, 4, GFP_HIGHUSER_MOVABLE), 0);
	folio_unlock(a);
	folio_put(a);			/* the cache keeps it */
	/* 0..15 and 0..7 hold 4..7: the largest hole around 1 is 0..3. */
	b = __filemap_get_folio(m, 1, fgp, GFP_HIGHUSER_MOVABLE);
	assert_false(IS_ERR(b));
	assert_int_equal(folio_order(b), 2);
	assert_int_equal(b->index, 0);
	assert_false(folio_test_locked(b));	/* no FGP_LOCK */
	assert_false(folio_test_uptodate(b));
	/* 8..15 is a hole (0..15 is not). */
	c = __filemap_get_folio(m, 9, fgp | FGP_LOCK, GFP_HIGHUSER_MOVABLE);
	assert_int_equal(folio_order(c), 3);
	assert_int_equal(c->index, 8);
	assert_true(folio_test_locked(c));
	folio_unlock(c);
	/* 16..31 fits below 40 pages. */
	d = __filemap_get_folio(m, 30, fgp, GFP_HIGHUSER_MOVABLE);
	assert_int_equal(folio_order(d), 4);
	assert_int_equal(d->index, 16);
	/* 32..47 would pass i_size, 32..39 does not. */
	e = __filemap_get_folio(m, 39, fgp, GFP_HIGHUSER_MOVABLE);
	assert_int_equal(folio_order(e), 3);
	assert_int_equal(e->index, 32);
	folio_put(e);
	/* Beyond i_size only order 0 (a write extending the file). */
	e = __filemap_get_folio(m, 45, fgp, GFP_HIGHUSER_MOVABLE);
	assert_int_equal(folio_order(e), 0);
	assert_int_equal(e->index, 45);
	/* An existing folio is found, not replaced. */
	assert_ptr_equal(__filemap_get_folio(m, 2, fgp, GFP_HIGHUSER_MOVABLE), b);
	folio_put(b);
	assert_int_equal(m->nrpages, 4 + 4 + 8 + 16 + 8 + 1);
	folio_put(b);
	folio_put(c);
	folio_put(d);
	folio_put(e);
	TFS_CHECK(f);
	fput(f);
	CHECK_ALL();
}

/* Without AS_LARGE_FOLIO_SUPPORT everything is order 0. */
static void test_small_only_mapping(void **state)
{
	struct file *f = tfs_create(64 * PG, 0, false);
	struct folio *folio;

	(void)state;
	folio = __filemap_get_folio(f->f_mapping, 17,
				    FGP_CREAT | fgf_set_order(PNM_MAX_PAGECACHE_ORDER),
				    GFP_HIGHUSER_MOVABLE);
	assert_int_equal(folio_order(folio), 0);
	assert_int_equal(folio->index, 17);
	folio_put(folio);
	TFS_CHECK(f);
	fput(f);
}

/* Read faults fill the cache from ->read_folio, with large folios. */
static void test_read_fault_fills(void **state)
{
	struct task_struct *p = test_task_create("p");
	struct file *f = tfs_create(40 * PG, -1, true);
	long maj = global_stat(PGMAJFAULT), files = global_stat(NR_FILE_PAGES);
	struct folio *folio;
	unsigned long pfn;
	bool w;
	long a;

	(void)state;
	tfs_fill_pattern(f);
	a = tfs_map(p, f, 40 * PG, MAP_SHARED, 0);
	assert_int_equal(test_read_byte(p, (unsigned long)a + 5 * PG + 11),
			 tfs_pattern(5 * PG + 11));
	assert_int_equal(atomic_read(&tfs_of(f)->reads), 1);
	assert_int_equal(global_stat(PGMAJFAULT), maj + 1);
	folio = test_folio(p, (unsigned long)a + 5 * PG);
	assert_int_equal(folio_order(folio), 4);
	assert_int_equal(folio->index, 0);
	assert_true(folio_test_uptodate(folio));
	assert_int_equal(f->f_mapping->nrpages, 16);
	assert_int_equal(global_stat(NR_FILE_PAGES), files + 16);
	/* The same folio serves its other pages without reading again. */
	assert_int_equal(test_read_byte(p, (unsigned long)a + 6 * PG), tfs_pattern(6 * PG));
	assert_ptr_equal(test_folio(p, (unsigned long)a + 6 * PG), folio);
	assert_int_equal(atomic_read(&tfs_of(f)->reads), 1);
	assert_int_equal(folio_ref_count(folio), 16 + 2);
	assert_int_equal(folio_mapcount(folio), 2);
	/* Clean shared file pages are mapped read-only (dirty tracking). */
	assert_int_equal(pnm_mm_translate(p->mm, (unsigned long)a + 6 * PG, &pfn, &w), 0);
	assert_false(w);
	assert_int_equal(pfn, folio_pfn(folio) + 6);
	/* Near EOF the folio shrinks to fit below i_size. */
	assert_int_equal(test_read_byte(p, (unsigned long)a + 39 * PG + 7),
			 tfs_pattern(39 * PG + 7));
	folio = test_folio(p, (unsigned long)a + 39 * PG);
	assert_int_equal(folio_order(folio), 3);
	assert_int_equal(folio->index, 32);
	TFS_CHECK(f);
	fput(f);
	pnm_task_exit(p);
	assert_int_equal(global_stat(NR_FILE_PAGES), files);
	CHECK_ALL();
}

/* SIGBUS past EOF; the partial last page is mapped with zeroes after EOF. */
static void test_sigbus_past_eof(void **state)
{
	struct task_struct *p = test_task_create("p");
	struct file *f = tfs_create(2 * PG + 100, 0x5a, false);
	unsigned char v = 1;
	long a;

	(void)state;
	a = tfs_map(p, f, 8 * PG, MAP_SHARED, 0);
	assert_int_equal(test_read_byte(p, (unsigned long)a + 2 * PG + 99), 0x5a);
	assert_int_equal(test_read_byte(p, (unsigned long)a + 2 * PG + 100), 0);
	test_write_byte(p, (unsigned long)a + 2 * PG + 200, 7);
	assert_int_equal(pnm_user_read(p, (unsigned long)a + 3 * PG, &v, 1), -EFAULT);
	assert_int_equal(pnm_user_write(p, (unsigned long)a + 7 * PG, &v, 1), -EFAULT);
	assert_int_equal(f->f_mapping->nrpages, 1);
	TFS_CHECK(f);
	fput(f);
}

/* A failed ->read_folio is SIGBUS (-EFAULT) or -EIO; the next try works. */
static void test_read_error(void **state)
{
	struct task_struct *p = test_task_create("p");
	struct file *f = tfs_create(4 * PG, 0x33, false);
	unsigned char v, buf[8];
	loff_t pos = 0;
	long a;

	(void)state;
	a = tfs_map(p, f, 4 * PG, MAP_SHARED, 0);
	tfs_of(f)->read_error = -EIO;
	assert_int_equal(pnm_user_read(p, (unsigned long)a, &v, 1), -EFAULT);
	/* The !uptodate folio stays cached and is read again next time. */
	assert_int_equal(f->f_mapping->nrpages, 1);
	assert_false(folio_test_uptodate(tfs_cached(f, 0)));
	TFS_CHECK(f);
	assert_int_equal(test_read_byte(p, (unsigned long)a), 0x33);
	tfs_of(f)->read_error = -EIO;
	pos = PG;
	assert_int_equal(f->f_op->read(f, buf, sizeof(buf), &pos), -EIO);
	assert_int_equal(pos, PG);
	assert_int_equal(f->f_op->read(f, buf, sizeof(buf), &pos), sizeof(buf));
	assert_int_equal(buf[0], 0x33);
	TFS_CHECK(f);
	fput(f);
}

/* The first write to a page goes through ->page_mkwrite and dirties it. */
static void test_write_fault_mkwrite(void **state)
{
	struct task_struct *p = test_task_create("p");
	struct file *f = tfs_create(4 * PG, 0, false);
	long dirty = global_stat(NR_FILE_DIRTY), dirtied = global_stat(NR_DIRTIED);
	struct folio *folio;
	unsigned long pfn;
	bool w;
	long a;

	(void)state;
	a = tfs_map(p, f, 4 * PG, MAP_SHARED, 0);
	/* Write to an empty PTE: fault, then mkwrite. */
	test_write_byte(p, (unsigned long)a + 10, 1);
	assert_int_equal(atomic_read(&tfs_of(f)->mkwrites), 1);
	folio = tfs_cached(f, 0);
	assert_true(folio_test_dirty(folio));
	assert_int_equal(global_stat(NR_FILE_DIRTY), dirty + 1);
	assert_int_equal(global_stat(NR_DIRTIED), dirtied + 1);
	assert_int_equal(pnm_mm_translate(p->mm, (unsigned long)a, &pfn, &w), 0);
	assert_true(w);
	/* Read first, then write: the read-only PTE faults into mkwrite. */
	assert_int_equal(test_read_byte(p, (unsigned long)a + PG), 0);
	assert_int_equal(atomic_read(&tfs_of(f)->mkwrites), 1);
	assert_false(folio_test_dirty(tfs_cached(f, 1)));
	test_write_byte(p, (unsigned long)a + PG, 2);
	assert_int_equal(atomic_read(&tfs_of(f)->mkwrites), 2);
	assert_true(folio_test_dirty(tfs_cached(f, 1)));
	/* Writable now: no more mkwrites. */
	test_write_byte(p, (unsigned long)a + PG + 1, 3);
	assert_int_equal(atomic_read(&tfs_of(f)->mkwrites), 2);
	assert_int_equal(global_stat(NR_FILE_DIRTY), dirty + 2);
	TFS_CHECK(f);
	fput(f);
	pnm_task_exit(p);
	/* Truncation cancelled the dirt. */
	assert_int_equal(global_stat(NR_FILE_DIRTY), dirty);
	CHECK_ALL();
}

/* A private mapping shares clean cache pages and copies on write. */
static void test_private_mapping(void **state)
{
	struct task_struct *p = test_task_create("p");
	struct file *f = tfs_create(4 * PG, 0x44, true);
	struct folio *cache;
	long a;

	(void)state;
	a = tfs_map(p, f, 4 * PG, MAP_PRIVATE, 0);
	assert_int_equal(test_read_byte(p, (unsigned long)a + PG), 0x44);
	cache = tfs_cached(f, 1);
	assert_ptr_equal(test_folio(p, (unsigned long)a + PG), cache);
	test_write_byte(p, (unsigned long)a + PG, 0x45);
	assert_true(folio_test_anon(test_folio(p, (unsigned long)a + PG)));
	assert_int_equal(atomic_read(&tfs_of(f)->mkwrites), 0);
	assert_false(folio_test_dirty(cache));
	assert_int_equal(((unsigned char *)folio_address(cache))[PG], 0x44);
	TFS_CHECK(f);
	fput(f);
}

/* Buffered write and read: sizes, holes, page boundaries, large folios. */
static void test_buffered_io(void **state)
{
	struct file *f = tfs_create(0, 0, true);
	unsigned char buf[3 * PG], big[40];
	loff_t pos;
	size_t i;

	(void)state;
	pos = PG - 3;
	assert_int_equal(f->f_op->write(f, "hello", 5, &pos), 5);
	assert_int_equal(pos, PG + 2);
	assert_int_equal(i_size_read(f->f_inode), PG + 2);
	assert_true(folio_test_dirty(tfs_cached(f, 0)));
	assert_true(folio_test_dirty(tfs_cached(f, 1)));
	/* A write far away leaves a hole that reads as zeroes. */
	pos = 5 * PG;
	assert_int_equal(f->f_op->write(f, "xyz", 3, &pos), 3);
	assert_int_equal(i_size_read(f->f_inode), 5 * PG + 3);
	pos = PG - 4;
	memset(buf, 0xee, sizeof(buf));
	assert_int_equal(f->f_op->read(f, buf, 7, &pos), 7);
	assert_memory_equal(buf, "\0hello", 7);	/* hole, data, hole */
	pos = 2 * PG;
	assert_int_equal(f->f_op->read(f, buf, sizeof(buf), &pos), sizeof(buf));
	for (i = 0; i < sizeof(buf); i++)
		assert_int_equal(buf[i], 0);
	/* Reads stop at EOF. */
	pos = 5 * PG;
	assert_int_equal(f->f_op->read(f, big, sizeof(big), &pos), 3);
	assert_memory_equal(big, "xyz", 3);
	assert_int_equal(f->f_op->read(f, big, sizeof(big), &pos), 0);
	pos = 9 * PG;
	assert_int_equal(f->f_op->read(f, big, sizeof(big), &pos), 0);
	/* The hole read created clean cache folios (i_size allowed large ones). */
	assert_false(folio_test_dirty(tfs_cached(f, 3)));
	TFS_CHECK(f);
	fput(f);
	CHECK_ALL();
}

/* ->page_mkwrite on a folio a truncate took away: VM_FAULT_NOPAGE. */
static void test_page_mkwrite_truncated(void **state)
{
	struct task_struct *p = test_task_create("p");
	struct file *f = tfs_create(4 * PG, 0, false);
	struct vm_fault vmf;
	struct folio *folio;
	long a;

	(void)state;
	a = tfs_map(p, f, 4 * PG, MAP_SHARED, 0);
	assert_int_equal(test_read_byte(p, (unsigned long)a + 3 * PG), 0);
	folio = tfs_cached(f, 3);
	folio_get(folio);
	tfs_truncate(f, 3 * PG);
	assert_null(folio->mapping);
	assert_true(test_bit(PG_pnm_truncated, &folio->flags));
	mmap_read_lock(p->mm);
	memset(&vmf, 0, sizeof(vmf));
	vmf.vma = vma_lookup(p->mm, (unsigned long)a);
	vmf.address = (unsigned long)a + 3 * PG;
	vmf.pgoff = 3;
	vmf.page = &folio->page;
	assert_int_equal(filemap_page_mkwrite(&vmf), VM_FAULT_NOPAGE);
	assert_false(folio_test_locked(folio));
	assert_false(folio_test_dirty(folio));
	/* And ->fault now refuses the index. */
	assert_int_equal(filemap_fault(&vmf), VM_FAULT_SIGBUS);
	mmap_read_unlock(p->mm);
	CHECK_ALL();
	folio_put(folio);
	TFS_CHECK(f);
	fput(f);
}

struct wb_waiter {
	struct folio *folio;
	int done;		/* atomic */
};

static void *wait_writeback_thread(void *arg)
{
	struct wb_waiter *w = arg;

	folio_wait_writeback(w->folio);
	__atomic_store_n(&w->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

/* PG_writeback: counters, and a waiter released by folio_end_writeback. */
static void test_writeback_flag(void **state)
{
	struct file *f = tfs_create(16 * PG, 0, true);
	long wb = global_stat(NR_WRITEBACK), written = global_stat(NR_WRITTEN);
	struct wb_waiter w = { 0 };
	struct folio *folio;
	pthread_t th;

	(void)state;
	folio = __filemap_get_folio(f->f_mapping, 0,
				    FGP_CREAT | FGP_LOCK | fgf_set_order(2),
				    GFP_HIGHUSER_MOVABLE);
	assert_int_equal(folio_order(folio), 2);
	folio_start_writeback(folio);
	assert_true(folio_test_writeback(folio));
	assert_int_equal(global_stat(NR_WRITEBACK), wb + 4);
	w.folio = folio;
	assert_int_equal(pthread_create(&th, NULL, wait_writeback_thread, &w), 0);
	/* The waiter cannot pass before the end below. */
	assert_int_equal(__atomic_load_n(&w.done, __ATOMIC_ACQUIRE), 0);
	folio_end_writeback(folio);
	assert_int_equal(pthread_join(th, NULL), 0);
	assert_int_equal(w.done, 1);
	assert_false(folio_test_writeback(folio));
	assert_int_equal(global_stat(NR_WRITEBACK), wb);
	assert_int_equal(global_stat(NR_WRITTEN), written + 4);
	folio_wait_writeback(folio);	/* returns at once */
	folio_wait_stable(folio);
	folio_unlock(folio);
	folio_put(folio);
	TFS_CHECK(f);
	fput(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_add_folio_multi_index, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_create_order_choice, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_small_only_mapping, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_read_fault_fills, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_sigbus_past_eof, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_read_error, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_write_fault_mkwrite, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_private_mapping, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_buffered_io, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_page_mkwrite_truncated, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_writeback_flag, pnm_test_setup, pnm_test_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
