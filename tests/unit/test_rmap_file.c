// SPDX-License-Identifier: MIT
/*
 * test_rmap_file.c - the reverse-map walkers for page-cache folios
 * (rmap.c): folio_mkclean() write-protects and cleans every PTE so the
 * next CPU write reaches ->page_mkwrite, in one or two processes, also
 * while another process holds its mmap_lock for write (the walk needs no
 * mmap_lock: i_mmap and the ptls); try_to_unmap() removes the
 * mappings of several processes (shared and private-unCOWed), moves PTE
 * dirtiness to the folio, leaves private COW copies alone, refuses anon
 * folios, and handles a large folio mapped by several PTEs.
 */
#include <pthread.h>

#include "pagecache_test.h"

static bool pte_writable(struct task_struct *t, unsigned long addr)
{
	unsigned long pfn;
	bool w = false;

	assert_int_equal(pnm_mm_translate(t->mm, addr, &pfn, &w), 0);
	return w;
}

static bool pte_mapped(struct task_struct *t, unsigned long addr)
{
	unsigned long pfn;
	bool w;

	return pnm_mm_translate(t->mm, addr, &pfn, &w) == 0;
}

/* After folio_mkclean, the next write faults into ->page_mkwrite again. */
static void test_mkclean_then_mkwrite(void **state)
{
	struct task_struct *p = test_task_create("p"), *q = test_task_create("q");
	struct file *f = tfs_create(4 * PG, 0, false);
	long cleaned = global_stat(PNM_PAGE_MKCLEAN);
	struct folio *folio;
	long a, b;

	(void)state;
	a = tfs_map(p, f, 4 * PG, MAP_SHARED, 0);
	b = tfs_map(q, f, 4 * PG, MAP_SHARED, 0);
	test_write_byte(p, (unsigned long)a + PG, 1);
	assert_int_equal(atomic_read(&tfs_of(f)->mkwrites), 1);
	folio = tfs_cached(f, 1);
	assert_true(pte_writable(p, (unsigned long)a + PG));

	folio_lock(folio);
	assert_int_equal(folio_mkclean(folio), 1);
	/* Nothing writable or dirty is left to clean. */
	assert_int_equal(folio_mkclean(folio), 0);
	folio_unlock(folio);
	assert_int_equal(global_stat(PNM_PAGE_MKCLEAN), cleaned + 1);
	assert_false(pte_writable(p, (unsigned long)a + PG));
	assert_true(pte_mapped(p, (unsigned long)a + PG));
	/* Reads go on without a fault; the next write asks the fs again. */
	assert_int_equal(test_read_byte(p, (unsigned long)a + PG), 1);
	assert_int_equal(atomic_read(&tfs_of(f)->mkwrites), 1);
	test_write_byte(p, (unsigned long)a + PG, 2);
	assert_int_equal(atomic_read(&tfs_of(f)->mkwrites), 2);
	assert_true(pte_writable(p, (unsigned long)a + PG));

	/* Two processes writing the page: both PTEs are cleaned. */
	test_write_byte(q, (unsigned long)b + PG, 3);
	assert_true(pte_writable(q, (unsigned long)b + PG));
	folio_lock(folio);
	assert_int_equal(folio_mkclean(folio), 2);
	folio_unlock(folio);
	assert_false(pte_writable(p, (unsigned long)a + PG));
	assert_false(pte_writable(q, (unsigned long)b + PG));
	test_write_byte(q, (unsigned long)b + PG, 4);
	assert_int_equal(atomic_read(&tfs_of(f)->mkwrites), 4);
	assert_int_equal(test_read_byte(p, (unsigned long)a + PG), 4);
	/* An unmapped folio has nothing to clean. */
	assert_int_equal(f->f_op->read(f, &(unsigned char){ 0 }, 1, &(loff_t){ 3 * PG }), 1);
	folio = tfs_cached(f, 3);
	folio_lock(folio);
	assert_int_equal(folio_mkclean(folio), 0);
	folio_unlock(folio);
	TFS_CHECK(f);
	fput(f);
}

/* A thread that holds an mm's mmap_lock for write until told to let go. */
/*
 * A process holding its own mmap_lock for write the whole time neither
 * blocks nor fails writeback's folio_mkclean() or truncate's and
 * reclaim's try_to_unmap(): both reach its PTEs through i_mmap.
 */
static void test_busy_mm_no_backoff(void **state)
{
	struct task_struct *p = test_task_create("p"), *q = test_task_create("q");
	struct file *f = tfs_create(2 * PG, 0, false);
	struct test_mm_holder h;
	struct folio *folio;
	long a, b;

	(void)state;
	a = tfs_map(p, f, 2 * PG, MAP_SHARED, 0);
	b = tfs_map(q, f, 2 * PG, MAP_SHARED, 0);
	test_write_byte(p, (unsigned long)a, 1);
	test_write_byte(q, (unsigned long)b, 2);
	folio = tfs_cached(f, 0);
	test_mm_holder_start(&h, q->mm);
	folio_lock(folio);
	assert_int_equal(folio_mkclean(folio), 2);
	assert_int_equal(folio_mapcount(folio), 2);
	assert_int_equal(try_to_unmap(folio, 0), 0);
	assert_false(folio_mapped(folio));
	folio_unlock(folio);
	test_mm_holder_stop(&h);
	assert_int_equal(get_mm_counter(q->mm, MM_SHMEMPAGES) +
			 get_mm_counter(q->mm, MM_FILEPAGES), 0);
	/* Both refault the same page, which kept its data. */
	assert_int_equal(test_read_byte(p, (unsigned long)a), 2);
	assert_int_equal(test_read_byte(q, (unsigned long)b), 2);
	assert_ptr_equal(test_folio(q, (unsigned long)b), folio);
	TFS_CHECK(f);
	fput(f);
}

/*
 * try_to_unmap from two processes: shared mappings and a private one that
 * still maps the cache page go; a private COW copy stays; PTE dirtiness
 * moves to the folio; the folio stays cached and refaults.
 */
static void test_unmap_two_processes(void **state)
{
	struct task_struct *p = test_task_create("p"), *q = test_task_create("q");
	struct file *f = tfs_create(4 * PG, 0x21, false);
	long mapped, dirty;
	struct folio *folio, *cow;
	long a, b, c;

	(void)state;
	a = tfs_map(p, f, 4 * PG, MAP_SHARED, 0);
	b = tfs_map(q, f, 4 * PG, MAP_SHARED, 0);
	c = tfs_map(q, f, 4 * PG, MAP_PRIVATE, 0);
	test_write_byte(p, (unsigned long)a + 2 * PG, 0x31);
	assert_int_equal(test_read_byte(q, (unsigned long)b + 2 * PG), 0x31);
	assert_int_equal(test_read_byte(q, (unsigned long)c + 2 * PG), 0x31);
	test_write_byte(q, (unsigned long)c + 3 * PG, 0x41);	/* COW copy of page 3 */
	cow = test_folio(q, (unsigned long)c + 3 * PG);
	assert_true(folio_test_anon(cow));
	folio = tfs_cached(f, 2);
	assert_int_equal(folio_mapcount(folio), 3);
	assert_int_equal(folio_ref_count(folio), 1 + 3);

	/* Clean the folio behind the PTEs' back: the unmap finds them dirty. */
	folio_lock(folio);
	dirty = global_stat(NR_FILE_DIRTY);
	folio_cancel_dirty(folio);
	assert_int_equal(global_stat(NR_FILE_DIRTY), dirty - 1);
	mapped = global_stat(NR_FILE_MAPPED);
	folio_get(folio);
	assert_int_equal(try_to_unmap(folio, 0), 0);
	assert_true(folio_test_dirty(folio));
	assert_int_equal(global_stat(NR_FILE_DIRTY), dirty);
	folio_unlock(folio);
	assert_false(folio_mapped(folio));
	assert_int_equal(folio_ref_count(folio), 1 + 1);
	assert_int_equal(global_stat(NR_FILE_MAPPED), mapped - 1);
	assert_int_equal(get_mm_counter(p->mm, MM_FILEPAGES), 0);
	assert_int_equal(get_mm_counter(q->mm, MM_FILEPAGES), 0);
	assert_false(pte_mapped(p, (unsigned long)a + 2 * PG));
	assert_false(pte_mapped(q, (unsigned long)b + 2 * PG));
	assert_false(pte_mapped(q, (unsigned long)c + 2 * PG));
	assert_ptr_equal(test_folio(q, (unsigned long)c + 3 * PG), cow);
	assert_ptr_equal(tfs_cached(f, 2), folio);
	TFS_CHECK(f);
	/* Refault: the same cached folio comes back. */
	assert_int_equal(test_read_byte(q, (unsigned long)b + 2 * PG), 0x31);
	assert_ptr_equal(test_folio(q, (unsigned long)b + 2 * PG), folio);
	folio_put(folio);
	TFS_CHECK(f);
	fput(f);
}

/* A large folio mapped page by page, in two processes. */
static void test_unmap_large_folio(void **state)
{
	struct task_struct *p = test_task_create("p"), *q = test_task_create("q");
	struct file *f = tfs_create(16 * PG, 0x12, true);
	struct folio *folio;
	unsigned long i;
	long a, b;

	(void)state;
	a = tfs_map(p, f, 16 * PG, MAP_SHARED, 0);
	b = tfs_map(q, f, 8 * PG, MAP_SHARED, 4 * PG);
	for (i = 0; i < 6; i++)
		assert_int_equal(test_read_byte(p, (unsigned long)a + i * PG), 0x12);
	test_write_byte(q, (unsigned long)b + 3 * PG, 0x13);
	folio = tfs_cached(f, 0);
	assert_int_equal(folio_order(folio), 4);
	assert_int_equal(folio_mapcount(folio), 7);
	folio_lock(folio);
	assert_int_equal(folio_mkclean(folio), 1);
	assert_int_equal(try_to_unmap(folio, 0), 0);
	folio_unlock(folio);
	assert_int_equal(folio_mapcount(folio), 0);
	assert_int_equal(folio_ref_count(folio), 16);
	assert_int_equal(test_read_byte(p, (unsigned long)a + 7 * PG), 0x13);
	TFS_CHECK(f);
	fput(f);
}

/* Anonymous folios are not try_to_unmap()'s business. */
static void test_unmap_anon_refused(void **state)
{
	struct task_struct *p = test_task_create("p");
	unsigned long a = test_mmap(p, PG, RW, MAP_PRIVATE | MAP_ANONYMOUS);
	struct folio *folio;

	(void)state;
	test_write_byte(p, a, 1);
	folio = test_folio(p, a);
	folio_get(folio);
	folio_lock(folio);
	assert_int_equal(try_to_unmap(folio, 0), -EINVAL);
	folio_unlock(folio);
	folio_put(folio);
	assert_true(folio_mapped(folio));
	CHECK_ALL();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_mkclean_then_mkwrite, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_busy_mm_no_backoff, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_unmap_two_processes, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_unmap_large_folio, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_unmap_anon_refused, pnm_test_setup, pnm_test_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
