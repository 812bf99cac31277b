// SPDX-License-Identifier: MIT
/*
 * test_public_file.c - the public file calls of pinmm/file.h
 * (fs/read_write.c): open and create, unnamed shmem files, pread/pwrite,
 * fsync (whole and ranges, errors reported once), ftruncate, fallocate,
 * writeback passes of both modes (one file and every file, pinned pages
 * skipped or bounced), sync, and size/filesystem/name; each call's
 * errors (NULL files, negative offsets, access modes, sizes, no model),
 * with nothing changed by a failed call.  What reaches "the disk" is read
 * from the real host file (test_host_pread).
 */
#include <fcntl.h>
#include <string.h>

#include "test_util.h"
#include "pinmm_test_internal.h"

#define PG	PAGE_SIZE
#define RW	(PROT_READ | PROT_WRITE)

/* Is the page cached at @index of @f dirty?  (It must be cached.) */
static bool cached_dirty(struct file *f, pgoff_t index)
{
	struct folio *folio = filemap_get_folio(f->f_mapping, index);
	bool dirty;

	assert_false(IS_ERR(folio));
	dirty = folio_test_dirty(folio);
	folio_put(folio);
	return dirty;
}

static long stat_of(enum pnm_stat_item item)
{
	return pnm_stat_read(item);
}

/* --- open, create, close ------------------------------------------------------- */

static void test_open_create(void **state)
{
	struct file *f = NULL, *g = NULL, *sentinel = (struct file *)0x1;
	char long_name[PNM_FS_NAME_MAX + 2];

	(void)state;
	g = sentinel;
	assert_int_equal(pnm_file_open(PNM_FS_DISK, "a", O_RDWR, &g), -ENOENT);
	assert_ptr_equal(g, sentinel);
	assert_int_equal(pnm_file_open(PNM_FS_DISK, "a", O_RDWR | O_CREAT | O_EXCL, &f), 0);
	assert_non_null(f);
	assert_int_equal(f->f_mode, FMODE_READ | FMODE_WRITE);
	assert_int_equal(pnm_file_open(PNM_FS_DISK, "a", O_RDWR | O_CREAT | O_EXCL, &g), -EEXIST);
	assert_ptr_equal(g, sentinel);
	assert_int_equal(pnm_file_open(PNM_FS_DISK, "a", O_RDONLY, &g), 0);
	assert_ptr_equal(g->f_inode, f->f_inode);	/* one inode */
	assert_int_equal(g->f_mode, FMODE_READ);
	pnm_file_close(g);

	/* Bad arguments; nothing is created. */
	g = sentinel;
	assert_int_equal(pnm_file_open(PNM_FS_DISK, "b", O_RDWR | O_CREAT, NULL), -EINVAL);
	assert_int_equal(pnm_file_open(PNM_FS_DISK, "b", O_RDWR | O_APPEND | O_CREAT, &g),
			 -EINVAL);
	assert_int_equal(pnm_file_open(PNM_FS_DISK, "b", O_RDWR | O_EXCL, &g), -EINVAL);
	assert_int_equal(pnm_file_open(PNM_FS_DISK, "no/slash", O_RDWR | O_CREAT, &g), -EINVAL);
	assert_int_equal(pnm_file_open(PNM_FS_DISK, NULL, O_RDWR | O_CREAT, &g), -EINVAL);
	assert_int_equal(pnm_file_open(PNM_NR_FS, "b", O_RDWR | O_CREAT, &g), -EINVAL);
	memset(long_name, 'n', sizeof(long_name) - 1);
	long_name[sizeof(long_name) - 1] = '\0';
	assert_int_equal(pnm_file_open(PNM_FS_DISK, long_name, O_RDWR | O_CREAT, &g),
			 -ENAMETOOLONG);
	/* The disk name is held by the disk file: not as dax meanwhile. */
	assert_int_equal(pnm_file_open(PNM_FS_DAX, "a", O_RDWR | O_CREAT, &g), -EBUSY);
	assert_ptr_equal(g, sentinel);
	assert_int_equal(pnm_file_open(PNM_FS_DISK, "b", O_RDWR, &g), -ENOENT);

	pnm_file_close(f);
	pnm_file_close(NULL);		/* nothing */
	CHECK_ALL();
}

/* Without a model there is nothing to open. */
static void test_open_not_initialised(void **state)
{
	struct file *f = (struct file *)0x1;

	(void)state;
	assert_int_equal(pnm_file_open(PNM_FS_SHMEM, "x", O_RDWR | O_CREAT, &f), -EINVAL);
	assert_int_equal(pnm_shmem_file_create("x", PG, &f), -EINVAL);
	assert_ptr_equal(f, (struct file *)0x1);
}

static void test_shmem_create(void **state)
{
	struct file *f = NULL, *g = (struct file *)0x1;
	char label[PNM_FS_NAME_MAX + 2];
	char buf[8];

	(void)state;
	assert_int_equal(pnm_shmem_file_create("memfd", 3 * PG, &f), 0);
	assert_int_equal(pnm_file_fs(f), PNM_FS_SHMEM);
	assert_int_equal(pnm_file_size(f), 3 * PG);
	assert_string_equal(pnm_file_name(f), "");
	assert_int_equal(f->f_mode, FMODE_READ | FMODE_WRITE);
	/* Unnamed: no open finds it. */
	assert_int_equal(pnm_file_open(PNM_FS_SHMEM, "memfd", O_RDWR, &g), -ENOENT);
	assert_int_equal(pnm_file_write(f, "hi", 2, PG), 2);
	assert_int_equal(pnm_file_read(f, buf, 2, PG), 2);
	assert_memory_equal(buf, "hi", 2);
	pnm_file_close(f);

	assert_int_equal(pnm_shmem_file_create(NULL, 0, &f), 0);
	assert_int_equal(pnm_file_size(f), 0);
	pnm_file_close(f);

	/* Errors leave *filep alone. */
	memset(label, 'l', sizeof(label) - 1);
	label[sizeof(label) - 1] = '\0';
	assert_int_equal(pnm_shmem_file_create("x", PG, NULL), -EINVAL);
	assert_int_equal(pnm_shmem_file_create("x", -1, &g), -EINVAL);
	assert_int_equal(pnm_shmem_file_create("x", PNM_MAX_FILE_SIZE + 1, &g), -EFBIG);
	assert_int_equal(pnm_shmem_file_create(label, PG, &g), -EINVAL);
	assert_ptr_equal(g, (struct file *)0x1);
	CHECK_ALL();
}

/* --- read and write --------------------------------------------------------------- */

static void test_read_write(void **state)
{
	struct file *f, *ro, *wo;
	char buf[3 * PAGE_SIZE], out[3 * PAGE_SIZE];

	(void)state;
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (char)(i * 7);
	assert_int_equal(pnm_file_open(PNM_FS_DISK, "rw", O_RDWR | O_CREAT, &f), 0);
	assert_int_equal(pnm_file_write(f, buf, sizeof(buf), 100), (ssize_t)sizeof(buf));
	assert_int_equal(pnm_file_size(f), 100 + sizeof(buf));
	assert_int_equal(i_size_read(f->f_inode), 100 + sizeof(buf));
	memset(out, 0, sizeof(out));
	assert_int_equal(pnm_file_read(f, out, sizeof(out), 100), (ssize_t)sizeof(out));
	assert_memory_equal(out, buf, sizeof(buf));
	/* Short at the end, 0 beyond it, the hole before reads as zeroes. */
	assert_int_equal(pnm_file_read(f, out, 50, 100 + sizeof(buf) - 10), 10);
	assert_int_equal(pnm_file_read(f, out, 50, 100 + sizeof(buf)), 0);
	assert_int_equal(pnm_file_read(f, out, 50, 1 << 20), 0);
	memset(out, 1, 100);
	assert_int_equal(pnm_file_read(f, out, 100, 0), 100);
	for (int i = 0; i < 100; i++)
		assert_int_equal(out[i], 0);
	assert_int_equal(pnm_file_read(f, out, 0, 0), 0);
	assert_int_equal(pnm_file_write(f, buf, 0, 0), 0);

	/* Errors, and nothing changed by them. */
	assert_int_equal(pnm_file_read(NULL, out, 1, 0), -EBADF);
	assert_int_equal(pnm_file_write(NULL, buf, 1, 0), -EBADF);
	assert_int_equal(pnm_fs_inject_error(NULL, PNM_IO_WRITE, -EIO, 1), -EBADF);
	assert_int_equal(pnm_fs_backing_path(NULL, (char *)out, sizeof(out)), -EBADF);
	assert_int_equal(pnm_file_read(f, out, 1, -1), -EINVAL);
	assert_int_equal(pnm_file_write(f, buf, 1, -4096), -EINVAL);
	assert_int_equal(pnm_file_read(f, NULL, 1, 0), -EFAULT);
	assert_int_equal(pnm_file_write(f, NULL, 1, 0), -EFAULT);
	assert_int_equal(pnm_file_write(f, buf, 1, PNM_MAX_FILE_SIZE), -EFBIG);
	assert_int_equal(pnm_file_write(f, buf, 1, INT64_MAX), -EINVAL);
	assert_int_equal(pnm_file_open(PNM_FS_DISK, "rw", O_RDONLY, &ro), 0);
	assert_int_equal(pnm_file_open(PNM_FS_DISK, "rw", O_WRONLY, &wo), 0);
	assert_int_equal(pnm_file_write(ro, buf, 1, 0), -EBADF);
	assert_int_equal(pnm_file_read(wo, out, 1, 0), -EBADF);
	assert_int_equal(pnm_file_size(f), 100 + sizeof(buf));
	assert_int_equal(pnm_file_read(ro, out, 1, 100), 1);
	assert_int_equal(out[0], buf[0]);
	/* A write reaching past the largest size is shortened. */
	assert_int_equal(pnm_file_write(wo, buf, 10, PNM_MAX_FILE_SIZE - 4), 4);
	assert_int_equal(pnm_file_size(f), PNM_MAX_FILE_SIZE);
	assert_int_equal(pnm_file_truncate(f, 0), 0);
	pnm_file_close(ro);
	pnm_file_close(wo);
	pnm_file_close(f);
	CHECK_ALL();
}

/* --- fsync, writeback, sync ------------------------------------------------------------- */

static void test_fsync(void **state)
{
	struct file *f, *g;
	char buf[2 * PAGE_SIZE];

	(void)state;
	assert_int_equal(pnm_file_open(PNM_FS_DISK, "sync", O_RDWR | O_CREAT, &f), 0);
	assert_int_equal(pnm_file_open(PNM_FS_DISK, "sync", O_RDONLY, &g), 0);
	memset(buf, 'a', PG);
	memset(buf + PG, 'b', PG);
	assert_int_equal(pnm_file_write(f, buf, sizeof(buf), 0), (ssize_t)sizeof(buf));
	assert_int_equal(test_host_byte(f, 0), 0xee);	/* nothing on the disk yet */

	/* A range: only its pages. */
	assert_int_equal(pnm_file_fsync(f, PG, 2 * PG - 1, true), 0);
	assert_int_equal(test_host_byte(f, PG), 'b');
	assert_true(cached_dirty(f, 0));
	assert_false(cached_dirty(f, 1));
	/* A read-only opener may fsync; the whole file. */
	assert_int_equal(pnm_file_fsync(g, 0, INT64_MAX, false), 0);
	assert_int_equal(test_host_byte(f, 0), 'a');

	/* Errors. */
	assert_int_equal(pnm_file_fsync(NULL, 0, INT64_MAX, false), -EBADF);
	assert_int_equal(pnm_file_fsync(f, -1, INT64_MAX, false), -EINVAL);
	assert_int_equal(pnm_file_fsync(f, 10, 9, false), -EINVAL);

	/* A write error is reported once to each opener. */
	assert_int_equal(pnm_file_write(f, "c", 1, 0), 1);
	assert_int_equal(pnm_fs_inject_error(f, PNM_IO_WRITE, -EIO, 1), 0);
	assert_int_equal(pnm_file_fsync(f, 0, INT64_MAX, false), -EIO);
	assert_int_equal(pnm_file_fsync(f, 0, INT64_MAX, false), 0);
	assert_int_equal(pnm_file_fsync(g, 0, INT64_MAX, false), -EIO);
	assert_int_equal(pnm_file_fsync(g, 0, INT64_MAX, false), 0);
	pnm_file_close(g);
	pnm_file_close(f);
	CHECK_ALL();
}

/* Writeback passes: WB_SYNC_NONE skips a maybe-pinned page (stable
 * policy), WB_SYNC_ALL bounces it; every file with NULL. */
static void test_writeback(void **state)
{
	struct task_struct *t = test_task_create("t"), *prev;
	struct file *f, *g;
	struct page *page;
	long addr, skipped, bounced, out;

	(void)state;
	assert_int_equal(pnm_file_open(PNM_FS_DISK, "wb", O_RDWR | O_CREAT, &f), 0);
	assert_int_equal(pnm_file_open(PNM_FS_DISK, "wb2", O_RDWR | O_CREAT, &g), 0);
	assert_int_equal(pnm_file_write(f, "one", 3, 0), 3);
	assert_int_equal(pnm_file_write(f, "two", 3, PG), 3);
	assert_int_equal(pnm_file_write(g, "three", 5, 0), 5);

	/* One file, a range: only that page. */
	out = stat_of(PGPGOUT);
	assert_int_equal(pnm_file_writeback(f, PG, PG), 0);
	assert_int_equal(stat_of(PGPGOUT) - out, 1);
	assert_int_equal(test_host_byte(f, PG), 't');
	assert_int_equal(test_host_byte(f, 0), 0);		/* a hole on the disk */
	assert_int_equal(test_host_byte(g, 0), 0xee);	/* nothing at all */

	/* Page 0 pinned: the flusher's pass skips it, a sync pass bounces it. */
	addr = pnm_mmap(t, 0, PG, RW, MAP_SHARED, f, 0);
	assert_true(addr > 0);
	prev = pnm_task_enter(t);
	assert_int_equal(pin_user_pages_fast((unsigned long)addr, 1, FOLL_WRITE, &page), 1);
	pnm_task_leave(prev);
	skipped = stat_of(PNM_WB_SKIP_PINNED);
	bounced = stat_of(PNM_WB_BOUNCED);
	assert_int_equal(pnm_writeback_range(f, 0, INT64_MAX, PNM_WB_SYNC_NONE), 0);
	assert_int_equal(stat_of(PNM_WB_SKIP_PINNED) - skipped, 1);
	assert_int_equal(test_host_byte(f, 0), 0);
	assert_int_equal(pnm_file_writeback(f, 0, INT64_MAX), 0);
	assert_int_equal(stat_of(PNM_WB_SKIP_PINNED) - skipped, 2);
	assert_int_equal(pnm_writeback_range(f, 0, INT64_MAX, PNM_WB_SYNC_ALL), 0);
	assert_int_equal(stat_of(PNM_WB_BOUNCED) - bounced, 1);
	assert_int_equal(test_host_byte(f, 0), 'o');
	assert_true(folio_test_dirty(page_folio(page)));	/* bounced: still dirty */
	unpin_user_page(page);
	assert_int_equal(pnm_munmap(t, (unsigned long)addr, PG), 0);

	/* Every file. */
	assert_int_equal(pnm_writeback_range(NULL, 0, INT64_MAX, PNM_WB_SYNC_ALL), 0);
	assert_int_equal(test_host_byte(g, 4), 'e');
	assert_false(folio_test_dirty(page_folio(page)));

	/* A write error is returned, and kept for fsync. */
	assert_int_equal(pnm_file_write(g, "x", 1, 0), 1);
	assert_int_equal(pnm_fs_inject_error(g, PNM_IO_WRITE, -EIO, 1), 0);
	assert_int_equal(pnm_writeback_range(NULL, 0, INT64_MAX, PNM_WB_SYNC_NONE), -EIO);
	assert_int_equal(pnm_file_fsync(g, 0, INT64_MAX, false), -EIO);

	/* Errors, nothing written by them. */
	assert_int_equal(pnm_file_write(f, "z", 1, 0), 1);
	out = stat_of(PGPGOUT);
	assert_int_equal(pnm_file_writeback(NULL, 0, INT64_MAX), -EBADF);
	assert_int_equal(pnm_file_writeback(f, -1, INT64_MAX), -EINVAL);
	assert_int_equal(pnm_file_writeback(f, 5, 4), -EINVAL);
	assert_int_equal(pnm_writeback_range(f, 0, INT64_MAX, (enum pnm_wb_mode)2), -EINVAL);
	assert_int_equal(pnm_writeback_range(NULL, -1, 0, PNM_WB_SYNC_ALL), -EINVAL);
	assert_int_equal(stat_of(PGPGOUT), out);
	assert_int_equal(test_host_byte(f, 0), 'o');
	pnm_file_close(f);
	pnm_file_close(g);
	CHECK_ALL();
}

/* sync: every dirty page of every file, and dax storage persisted. */
static void test_sync(void **state)
{
	struct file *f, *dax;

	(void)state;
	assert_int_equal(pnm_file_open(PNM_FS_DISK, "s1", O_RDWR | O_CREAT, &f), 0);
	assert_int_equal(pnm_file_open(PNM_FS_DAX, "s2", O_RDWR | O_CREAT, &dax), 0);
	assert_int_equal(pnm_file_write(f, "disk", 4, 0), 4);
	assert_int_equal(pnm_file_write(dax, "dax", 3, 0), 3);
	/* A writeback pass does not persist dax storage; sync does. */
	assert_int_equal(pnm_writeback_range(NULL, 0, INT64_MAX, PNM_WB_SYNC_ALL), 0);
	assert_int_equal(test_host_byte(dax, 0), 0xee);
	pnm_sync();
	assert_int_equal(test_host_byte(f, 3), 'k');
	assert_int_equal(test_host_byte(dax, 2), 'x');
	assert_false(cached_dirty(f, 0));
	pnm_file_close(f);
	pnm_file_close(dax);
	CHECK_ALL();
}

/* --- size changes ----------------------------------------------------------------------- */

static void test_truncate_fallocate(void **state)
{
	struct file *f, *ro;
	char buf[PAGE_SIZE];

	(void)state;
	assert_int_equal(pnm_file_open(PNM_FS_SHMEM, "tr", O_RDWR | O_CREAT, &f), 0);
	assert_int_equal(pnm_file_open(PNM_FS_SHMEM, "tr", O_RDONLY, &ro), 0);
	assert_int_equal(pnm_file_truncate(f, 3 * PG), 0);
	assert_int_equal(pnm_file_size(f), 3 * PG);
	memset(buf, 'q', sizeof(buf));
	assert_int_equal(pnm_file_write(f, buf, PG, PG), (ssize_t)PG);
	assert_int_equal(f->f_mapping->nrpages, 1);
	assert_int_equal(pnm_file_truncate(f, PG), 0);
	assert_int_equal(pnm_file_size(f), PG);
	assert_int_equal(f->f_mapping->nrpages, 0);

	/* Errors: size unchanged. */
	assert_int_equal(pnm_file_truncate(NULL, 0), -EBADF);
	assert_int_equal(pnm_file_truncate(f, -1), -EINVAL);
	assert_int_equal(pnm_file_truncate(ro, 0), -EINVAL);
	assert_int_equal(pnm_file_truncate(f, PNM_MAX_FILE_SIZE + 1), -EFBIG);
	assert_int_equal(pnm_file_size(f), PG);

	/* fallocate: allocate extends, punch drops and keeps the size. */
	assert_int_equal(pnm_file_fallocate(f, 0, 0, 4 * PG), 0);
	assert_int_equal(pnm_file_size(f), 4 * PG);
	assert_int_equal(pnm_file_write(f, buf, PG, 2 * PG), (ssize_t)PG);
	assert_int_equal(pnm_file_fallocate(f, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
					    2 * PG, PG), 0);
	assert_int_equal(pnm_file_size(f), 4 * PG);
	buf[0] = 1;
	assert_int_equal(pnm_file_read(f, buf, 1, 2 * PG), 1);
	assert_int_equal(buf[0], 0);

	assert_int_equal(pnm_file_fallocate(NULL, 0, 0, PG), -EBADF);
	assert_int_equal(pnm_file_fallocate(ro, 0, 0, 8 * PG), -EBADF);
	assert_int_equal(pnm_file_fallocate(f, 0, -1, PG), -EINVAL);
	assert_int_equal(pnm_file_fallocate(f, 0, 0, 0), -EINVAL);
	assert_int_equal(pnm_file_fallocate(f, FALLOC_FL_PUNCH_HOLE, 0, PG), -EOPNOTSUPP);
	assert_int_equal(pnm_file_fallocate(f, 0x40, 0, PG), -EOPNOTSUPP);
	assert_int_equal(pnm_file_fallocate(f, 0, PNM_MAX_FILE_SIZE, 1), -EFBIG);
	assert_int_equal(pnm_file_size(f), 4 * PG);
	pnm_file_close(ro);
	pnm_file_close(f);
	CHECK_ALL();
}

/* --- what a file is ----------------------------------------------------------------------- */

static void test_size_fs_name(void **state)
{
	struct file *d, *s, *x;

	(void)state;
	assert_int_equal(pnm_file_open(PNM_FS_DISK, "d.b", O_RDWR | O_CREAT, &d), 0);
	assert_int_equal(pnm_file_open(PNM_FS_SHMEM, "s-1", O_RDWR | O_CREAT, &s), 0);
	assert_int_equal(pnm_file_open(PNM_FS_DAX, "x_2", O_RDWR | O_CREAT, &x), 0);
	assert_int_equal(pnm_file_fs(d), PNM_FS_DISK);
	assert_int_equal(pnm_file_fs(s), PNM_FS_SHMEM);
	assert_int_equal(pnm_file_fs(x), PNM_FS_DAX);
	assert_string_equal(pnm_file_name(d), "d.b");
	assert_string_equal(pnm_file_name(s), "s-1");
	assert_string_equal(pnm_file_name(x), "x_2");
	assert_int_equal(pnm_file_size(d), 0);
	assert_int_equal(pnm_file_write(d, "12345", 5, 10), 5);
	assert_int_equal(pnm_file_size(d), 15);
	assert_int_equal(pnm_file_fs(NULL), PNM_NR_FS);
	assert_null(pnm_file_name(NULL));
	assert_int_equal(pnm_file_size(NULL), -EBADF);
	pnm_file_close(d);
	pnm_file_close(s);
	pnm_file_close(x);
	CHECK_ALL();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_open_create, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test(test_open_not_initialised),
		cmocka_unit_test_setup_teardown(test_shmem_create, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_read_write, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_fsync, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_writeback, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_sync, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_truncate_fallocate, pnm_test_setup,
						pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_size_fs_name, pnm_test_setup, pnm_test_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
