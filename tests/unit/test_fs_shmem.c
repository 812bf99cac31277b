// SPDX-License-Identifier: MIT
/*
 * test_fs_shmem.c - named shmem files (shmem.c through fs/namei.c): the
 * memfd-like lifetime (found by name only while referenced, data gone
 * with the last reference), buffered read/write with holes that read as
 * zeroes without creating folios, the generic page cache underneath
 * (NR_FILE_PAGES, NR_SHMEM, swap-backed, never on the LRU, never dirty
 * accounted, never written), ftruncate and hole punching against
 * mappings, fsync, no backing store, and writable long-term pins being
 * allowed on every path.
 */
#include <fcntl.h>
#include <limits.h>
#include <string.h>

#include "test_util.h"
#include "pinmm_test_internal.h"

#define PG	PAGE_SIZE
#define RW	(PROT_READ | PROT_WRITE)

static void fwrite_fill(struct file *f, loff_t pos, unsigned char v, size_t n)
{
	unsigned char buf[4 * PAGE_SIZE];

	assert_true(n <= sizeof(buf));
	memset(buf, v, n);
	assert_int_equal(kernel_write(f, buf, n, &pos), (ssize_t)n);
}

static unsigned char fread_byte(struct file *f, loff_t pos)
{
	unsigned char v = 0xee;

	assert_int_equal(kernel_read(f, &v, 1, &pos), 1);
	return v;
}

static void test_lifetime(void **state)
{
	long files = global_stat(NR_FILE_PAGES), shm = global_stat(NR_SHMEM);
	struct file *f, *g;
	char path[PATH_MAX];

	(void)state;
	assert_ptr_equal(pnm_filp_open(PNM_FS_SHMEM, "s", O_RDWR), ERR_PTR(-ENOENT));
	f = test_open(PNM_FS_SHMEM, "s");
	g = pnm_filp_open(PNM_FS_SHMEM, "s", O_RDONLY);
	assert_false(IS_ERR_OR_NULL(g));
	assert_ptr_equal(f->f_inode, g->f_inode);
	assert_ptr_equal(pnm_filp_open(PNM_FS_SHMEM, "s", O_RDWR | O_CREAT | O_EXCL),
			 ERR_PTR(-EEXIST));
	/* shmem names are their own namespace: a disk file may share one. */
	fput(test_open(PNM_FS_DISK, "s"));
	assert_int_equal(pnm_fs_backing_path(f, path, sizeof(path)), -EINVAL);
	assert_int_equal(pnm_fs_inject_error(f, PNM_IO_WRITE, -EIO, 1), -EINVAL);

	fwrite_fill(f, 0, 0x5e, 2 * PG);
	assert_int_equal(global_stat(NR_FILE_PAGES), files + 2);
	assert_int_equal(global_stat(NR_SHMEM), shm + 2);
	assert_int_equal(global_stat(NR_FILE_DIRTY), 0);
	fput(f);
	assert_int_equal(fread_byte(g, PG), 0x5e);	/* g keeps it */
	fput(g);
	assert_int_equal(global_stat(NR_FILE_PAGES), files);
	assert_int_equal(global_stat(NR_SHMEM), shm);
	/* Gone with the last reference. */
	assert_ptr_equal(pnm_filp_open(PNM_FS_SHMEM, "s", O_RDWR), ERR_PTR(-ENOENT));
	f = test_open(PNM_FS_SHMEM, "s");
	assert_int_equal(i_size_read(f->f_inode), 0);
	fput(f);
	CHECK_ALL();
}

static void test_read_write_holes(void **state)
{
	struct file *f = test_open(PNM_FS_SHMEM, "rw");
	unsigned char buf[2 * PAGE_SIZE];
	struct folio *folio;
	loff_t pos = 5 * PG + 1;

	(void)state;
	assert_int_equal(kernel_write(f, "abc", 3, &pos), 3);
	assert_int_equal(i_size_read(f->f_inode), 5 * PG + 4);
	assert_int_equal(f->f_mapping->nrpages, 1);
	pos = PG - 10;
	memset(buf, 0xee, sizeof(buf));
	assert_int_equal(kernel_read(f, buf, sizeof(buf), &pos), sizeof(buf));
	for (size_t i = 0; i < sizeof(buf); i++)
		assert_int_equal(buf[i], 0);
	assert_int_equal(f->f_mapping->nrpages, 1);	/* holes created nothing */
	pos = 5 * PG;
	assert_int_equal(kernel_read(f, buf, 100, &pos), 4);
	assert_memory_equal(buf, "\0abc", 4);
	folio = filemap_get_folio(f->f_mapping, 5);
	assert_false(IS_ERR(folio));
	assert_true(folio_test_swapbacked(folio));
	assert_true(folio_test_dirty(folio));
	assert_false(PageLru(&folio->page));
	folio_put(folio);
	assert_int_equal(vfs_fsync(f, 0), 0);
	assert_true(folio_test_dirty(folio));		/* never written back */
	fput(f);
	CHECK_ALL();
}

static void test_mmap_truncate_punch(void **state)
{
	struct task_struct *p = test_task_create("p");
	struct file *f = test_open(PNM_FS_SHMEM, "tp");
	unsigned char v;
	long a;

	(void)state;
	assert_int_equal(do_ftruncate(f, 4 * PG), 0);
	a = pnm_mm_mmap(p->mm, 0, 4 * PG, RW, MAP_SHARED, f, 0);
	assert_true(a > 0);
	for (int i = 0; i < 4; i++)
		test_write_byte(p, (unsigned long)a + i * PG + 1, (unsigned char)(0x10 + i));
	assert_int_equal(fread_byte(f, 2 * PG + 1), 0x12);
	assert_int_equal(f->f_mapping->nrpages, 4);

	assert_int_equal(vfs_fallocate(f, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
				       PG, PG), 0);
	assert_int_equal(f->f_mapping->nrpages, 3);
	assert_int_equal(test_read_byte(p, (unsigned long)a + PG + 1), 0);
	assert_int_equal(f->f_mapping->nrpages, 4);	/* refaulted, zeroed */
	CHECK_ALL();

	assert_int_equal(do_ftruncate(f, PG + 1), 0);
	assert_int_equal(pnm_user_read(p, (unsigned long)a + 2 * PG, &v, 1), -EFAULT);
	assert_int_equal(test_read_byte(p, (unsigned long)a + 1), 0x10);
	assert_int_equal(f->f_mapping->nrpages, 2);
	assert_int_equal(do_ftruncate(f, 4 * PG), 0);
	assert_int_equal(test_read_byte(p, (unsigned long)a + 3 * PG + 1), 0);
	/* fallocate: mode 0 extends the size. */
	assert_int_equal(vfs_fallocate(f, 0, 4 * PG, PG), 0);
	assert_int_equal(i_size_read(f->f_inode), 5 * PG);
	fput(f);
	CHECK_ALL();
}

/* Writable long-term pins of shmem are allowed on every path. */
static void test_longterm_allowed(void **state)
{
	struct task_struct *p = test_task_create("p");
	struct file *f = test_open(PNM_FS_SHMEM, "lt");
	struct task_struct *prev;
	struct page *pages[2];
	long a;

	(void)state;
	assert_int_equal(do_ftruncate(f, 2 * PG), 0);
	a = pnm_mm_mmap(p->mm, 0, 2 * PG, RW, MAP_SHARED, f, 0);
	test_write_byte(p, (unsigned long)a, 1);
	test_write_byte(p, (unsigned long)a + PG, 1);
	prev = pnm_task_enter(p);
	/* (The first pin migrates the pages out of ZONE_MOVABLE.) */
	assert_int_equal(pin_user_pages_fast((unsigned long)a, 2, FOLL_WRITE | FOLL_LONGTERM,
					     pages), 2);
	assert_true(folio_test_swapbacked(page_folio(pages[0])));
	assert_int_equal(pnm_dma_write(pages, 2, PG, "dev", 3), 0);
	unpin_user_pages_dirty_lock(pages, 2, true);
	/* Now the lockless walk alone takes them. */
	assert_int_equal(pnm_pin_user_pages_fast_only((unsigned long)a, 2,
						      FOLL_WRITE | FOLL_LONGTERM, pages), 2);
	unpin_user_pages(pages, 2);
	mmap_read_lock(p->mm);
	assert_int_equal(pin_user_pages((unsigned long)a, 2, FOLL_WRITE | FOLL_LONGTERM, pages), 2);
	mmap_read_unlock(p->mm);
	unpin_user_pages(pages, 2);
	pnm_task_leave(prev);
	assert_int_equal(fread_byte(f, PG + 1), 'e');
	fput(f);
	CHECK_ALL();
}

/* Unnamed objects (shmem_file_setup) are not found by name. */
static void test_unnamed(void **state)
{
	struct file *f = shmem_file_setup("anon", PG);

	(void)state;
	assert_non_null(f);
	assert_ptr_equal(pnm_filp_open(PNM_FS_SHMEM, "anon", O_RDWR), ERR_PTR(-ENOENT));
	fwrite_fill(f, 0, 7, 10);
	assert_int_equal(fread_byte(f, 9), 7);
	fput(f);
	CHECK_ALL();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_lifetime, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_read_write_holes, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_mmap_truncate_punch, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_longterm_allowed, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_unnamed, pnm_test_setup, pnm_test_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
