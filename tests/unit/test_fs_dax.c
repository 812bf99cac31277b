// SPDX-License-Identifier: MIT
/*
 * test_fs_dax.c - the dax filesystem (fs/dax.c): storage frames mapped
 * directly (no page cache, no dirtying, PNM_NR_DAX_PAGES instead of
 * NR_FILE_PAGES), read and write going to the same frames, persistence to
 * the host file at fsync, sync(2) and eviction (and only then), injected write
 * errors reported once per opener, truncate and punch freeing storage,
 * -EBUSY while a page to drop is pinned, and the long-term pin refusal.
 */
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>

#include "test_util.h"
#include "pinmm_test_internal.h"

#define PG	PAGE_SIZE
#define RW	(PROT_READ | PROT_WRITE)

static off_t host_size(struct file *f)
{
	char path[PATH_MAX];
	struct stat st;

	assert_int_equal(pnm_fs_backing_path(f, path, sizeof(path)), 0);
	assert_int_equal(stat(path, &st), 0);
	return st.st_size;
}

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

/* The storage frame of page @index (NULL if none). */
static struct folio *frame(struct file *f, pgoff_t index)
{
	struct folio *folio;

	spin_lock(&f->f_mapping->i_pages.xa_lock);
	folio = xa_load_locked(&f->f_mapping->i_pages, index);
	spin_unlock(&f->f_mapping->i_pages.xa_lock);
	return folio;
}

static void test_open_and_io(void **state)
{
	long files = global_stat(NR_FILE_PAGES), dax = global_stat(PNM_NR_DAX_PAGES);
	struct file *f = test_open(PNM_FS_DAX, "d");
	unsigned char buf[16];
	loff_t pos = PG + 3;

	(void)state;
	assert_true(IS_DAX(f->f_inode));
	assert_int_equal(f->f_inode->i_fs, PNM_FS_DAX);
	assert_int_equal(kernel_write(f, "persist", 7, &pos), 7);
	assert_int_equal(i_size_read(f->f_inode), PG + 10);
	assert_int_equal(global_stat(PNM_NR_DAX_PAGES), dax + 1);
	assert_int_equal(global_stat(NR_FILE_PAGES), files);
	assert_int_equal(global_stat(NR_FILE_DIRTY), 0);
	assert_non_null(frame(f, 1));
	assert_false(folio_test_dirty(frame(f, 1)));
	pos = PG;
	assert_int_equal(kernel_read(f, buf, sizeof(buf), &pos), 10);
	assert_memory_equal(buf, "\0\0\0persist", 10);
	assert_int_equal(fread_byte(f, 5), 0);		/* a hole */
	/* The host file is the medium: nothing there before fsync. */
	assert_int_equal(host_size(f), 0);
	CHECK_ALL();
	assert_int_equal(vfs_fsync(f, 0), 0);
	assert_int_equal(host_size(f), PG + 10);
	assert_int_equal(test_host_byte(f, PG + 3), 'p');
	/* sync(2) persists dax storage too. */
	pos = 2;
	assert_int_equal(kernel_write(f, "S", 1, &pos), 1);
	assert_int_equal(test_host_byte(f, 2), 0);
	ksys_sync();
	assert_int_equal(test_host_byte(f, 2), 'S');
	fput(f);
	assert_int_equal(global_stat(PNM_NR_DAX_PAGES), dax);
	CHECK_ALL();

	/* Loaded back from the host at the next open. */
	f = test_open(PNM_FS_DAX, "d");
	assert_int_equal(i_size_read(f->f_inode), PG + 10);
	assert_int_equal(fread_byte(f, PG + 4), 'e');
	fput(f);
	CHECK_ALL();
}

/* Eviction persists without fsync; the name is shared with disk. */
static void test_evict_persists_and_disk_view(void **state)
{
	struct file *f = test_open(PNM_FS_DAX, "shared-name");

	(void)state;
	fwrite_fill(f, 0, 0x3c, 2 * PG);
	assert_ptr_equal(pnm_filp_open(PNM_FS_DISK, "shared-name", O_RDWR), ERR_PTR(-EBUSY));
	fput(f);
	f = test_open(PNM_FS_DISK, "shared-name");
	assert_false(IS_DAX(f->f_inode));
	assert_int_equal(fread_byte(f, PG + 1), 0x3c);
	fput(f);
	CHECK_ALL();
}

/* A mapping maps the storage frame itself: write(2) and the mapping see
 * each other, no page_mkwrite, nothing dirty. */
static void test_mmap_is_storage(void **state)
{
	struct task_struct *p = test_task_create("p"), *q = test_task_create("q");
	struct file *f = test_open(PNM_FS_DAX, "m");
	long a, b;

	(void)state;
	fwrite_fill(f, 0, 0x21, 3 * PG);
	a = pnm_mm_mmap(p->mm, 0, 3 * PG, RW, MAP_SHARED, f, 0);
	b = pnm_mm_mmap(q->mm, 0, 3 * PG, PROT_READ, MAP_PRIVATE, f, 0);
	assert_true(a > 0 && b > 0);
	assert_int_equal(test_read_byte(p, (unsigned long)a + PG), 0x21);
	assert_int_equal(test_pfn(p, (unsigned long)a + PG), folio_pfn(frame(f, 1)));
	assert_int_equal(test_read_byte(q, (unsigned long)b + PG), 0x21);
	assert_int_equal(test_pfn(q, (unsigned long)b + PG), folio_pfn(frame(f, 1)));
	test_write_byte(p, (unsigned long)a + 2 * PG + 7, 0x22);
	assert_int_equal(fread_byte(f, 2 * PG + 7), 0x22);
	assert_int_equal(test_read_byte(q, (unsigned long)b + 2 * PG + 7), 0x22);
	assert_int_equal(global_stat(NR_FILE_DIRTY), 0);
	assert_int_equal(global_stat(NR_FILE_PAGES), 0);
	assert_int_equal(test_host_byte(f, 2 * PG + 7), 0xee);
	assert_int_equal(pnm_user_write(p, (unsigned long)a + 3 * PG, "x", 1), -EFAULT);
	CHECK_ALL();
	assert_int_equal(pnm_mm_msync(p->mm, (unsigned long)a, 3 * PG, MS_SYNC), 0);
	assert_int_equal(test_host_byte(f, 2 * PG + 7), 0x22);
	/* Storage cannot migrate away. */
	assert_int_equal(migrate_folio_to(frame(f, 0), alloc_migration_target_zone,
					  ZONE_NORMAL, MR_COMPACTION, NULL), -EBUSY);
	fput(f);
	CHECK_ALL();
}

static void test_write_error_once(void **state)
{
	struct file *f = test_open(PNM_FS_DAX, "err"), *g = test_open(PNM_FS_DAX, "err");

	(void)state;
	fwrite_fill(f, 0, 0x44, PG);
	assert_int_equal(pnm_fs_inject_error(f, PNM_IO_WRITE, -EIO, 1), 0);
	assert_int_equal(vfs_fsync(f, 0), -EIO);
	assert_int_equal(vfs_fsync(f, 0), 0);
	assert_int_equal(vfs_fsync(g, 0), -EIO);
	assert_int_equal(vfs_fsync(g, 0), 0);
	assert_int_equal(test_host_byte(f, 0), 0x44);	/* the retry wrote it */
	assert_int_equal(pnm_fs_inject_error(f, PNM_IO_WRITE, PNM_IO_SHORT, 1), 0);
	fwrite_fill(f, 0, 0x45, PG);
	assert_int_equal(vfs_fsync(g, 0), -EIO);
	assert_int_equal(test_host_byte(f, PG / 2 - 1), 0x45);
	assert_int_equal(test_host_byte(f, PG / 2), 0x44);
	fput(g);
	fput(f);
	CHECK_ALL();
}

/* Truncate frees storage; a pinned page makes it -EBUSY, unchanged. */
static void test_truncate_and_pins(void **state)
{
	struct task_struct *p = test_task_create("p");
	struct file *f = test_open(PNM_FS_DAX, "tp");
	long dax = global_stat(PNM_NR_DAX_PAGES);
	struct task_struct *prev;
	struct page *pages[1];
	unsigned char v;
	long a;

	(void)state;
	fwrite_fill(f, 0, 0x55, 4 * PG);
	assert_int_equal(global_stat(PNM_NR_DAX_PAGES), dax + 4);
	a = pnm_mm_mmap(p->mm, 0, 4 * PG, RW, MAP_SHARED, f, 0);
	test_write_byte(p, (unsigned long)a + 3 * PG, 0x56);

	/* A short-term pin works. */
	prev = pnm_task_enter(p);
	assert_int_equal(pin_user_pages_fast((unsigned long)a + 3 * PG, 1, FOLL_WRITE, pages), 1);
	pnm_task_leave(prev);
	assert_ptr_equal(page_folio(pages[0]), frame(f, 3));
	assert_int_equal(do_ftruncate(f, 2 * PG), -EBUSY);
	assert_int_equal(i_size_read(f->f_inode), 4 * PG);
	assert_int_equal(test_read_byte(p, (unsigned long)a + 3 * PG), 0x56);
	assert_int_equal(vfs_fallocate(f, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
				       3 * PG, PG), -EBUSY);
	CHECK_ALL();
	unpin_user_pages_dirty_lock(pages, 1, true);

	assert_int_equal(do_ftruncate(f, 2 * PG + 100), 0);
	assert_int_equal(global_stat(PNM_NR_DAX_PAGES), dax + 3);
	assert_null(frame(f, 3));
	assert_int_equal(pnm_user_read(p, (unsigned long)a + 3 * PG, &v, 1), -EFAULT);
	assert_int_equal(test_read_byte(p, (unsigned long)a + 2 * PG + 99), 0x55);
	assert_int_equal(test_read_byte(p, (unsigned long)a + 2 * PG + 100), 0);
	assert_int_equal(host_size(f), 2 * PG + 100);
	CHECK_ALL();

	/* Punch a mapped page: unmapped, freed, reads zero. */
	assert_int_equal(vfs_fallocate(f, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
				       PG, PG), 0);
	assert_null(frame(f, 1));
	assert_int_equal(test_read_byte(p, (unsigned long)a + PG + 5), 0);
	assert_int_equal(fread_byte(f, 10), 0x55);
	/* Partial punch zeroes inside a page. */
	assert_int_equal(vfs_fallocate(f, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
				       20, 10), 0);
	assert_int_equal(fread_byte(f, 19), 0x55);
	assert_int_equal(fread_byte(f, 20), 0);
	assert_int_equal(fread_byte(f, 30), 0x55);
	/* Grow: zeroes. */
	assert_int_equal(do_ftruncate(f, 5 * PG), 0);
	assert_int_equal(fread_byte(f, 4 * PG), 0);
	assert_int_equal(vfs_fsync(f, 0), 0);
	assert_int_equal(host_size(f), 5 * PG);
	assert_int_equal(test_host_byte(f, 25), 0);
	assert_int_equal(test_host_byte(f, PG + 2), 0);
	fput(f);
	CHECK_ALL();
}

/* Long-term pins: -EOPNOTSUPP on every path, read-only too; short-term
 * pins of every kind work. */
static void test_longterm_refused(void **state)
{
	struct task_struct *p = test_task_create("p");
	struct file *f = test_open(PNM_FS_DAX, "lt");
	struct task_struct *prev;
	struct page *pages[2];
	long a;

	(void)state;
	fwrite_fill(f, 0, 1, 2 * PG);
	a = pnm_mm_mmap(p->mm, 0, 2 * PG, RW, MAP_SHARED, f, 0);
	test_write_byte(p, (unsigned long)a, 2);
	test_write_byte(p, (unsigned long)a + PG, 2);
	prev = pnm_task_enter(p);
	assert_int_equal(pin_user_pages_fast((unsigned long)a, 2, FOLL_WRITE | FOLL_LONGTERM,
					     pages), -EOPNOTSUPP);
	assert_int_equal(pin_user_pages_fast((unsigned long)a, 2, FOLL_LONGTERM, pages),
			 -EOPNOTSUPP);
	assert_int_equal(pnm_pin_user_pages_fast_only((unsigned long)a, 2,
						      FOLL_WRITE | FOLL_LONGTERM, pages), 0);
	mmap_read_lock(p->mm);
	assert_int_equal(pin_user_pages((unsigned long)a, 2, FOLL_WRITE | FOLL_LONGTERM, pages),
			 -EOPNOTSUPP);
	mmap_read_unlock(p->mm);
	assert_int_equal(pin_user_pages_fast((unsigned long)a, 2, FOLL_WRITE, pages), 2);
	assert_false(folio_is_longterm_pinnable(page_folio(pages[0])));
	unpin_user_pages(pages, 2);
	assert_int_equal(get_user_pages_fast((unsigned long)a, 2, FOLL_WRITE, pages), 2);
	put_page(pages[0]);
	put_page(pages[1]);
	pnm_task_leave(prev);
	assert_int_equal(global_stat(NR_FOLL_PIN_ACQUIRED), global_stat(NR_FOLL_PIN_RELEASED));
	fput(f);
	CHECK_ALL();
}

/* Eviction with a frame still pinned: it lives on detached. */
static void test_evict_with_pin(void **state)
{
	struct task_struct *p = test_task_create("p");
	struct file *f = test_open(PNM_FS_DAX, "ep");
	long live = global_stat(PNM_NR_TRUNCATED_LIVE);
	long dma_lost = global_stat(PNM_DMA_WRITE_TRUNCATED);
	struct task_struct *prev;
	struct page *pages[1];
	long a;

	(void)state;
	fwrite_fill(f, 0, 0x61, PG);
	a = pnm_mm_mmap(p->mm, 0, PG, RW, MAP_SHARED, f, 0);
	prev = pnm_task_enter(p);
	assert_int_equal(pin_user_pages_fast((unsigned long)a, 1, FOLL_WRITE, pages), 1);
	pnm_task_leave(prev);
	assert_int_equal(pnm_mm_munmap(p->mm, (unsigned long)a, PG), 0);
	fput(f);				/* evicted, persisted */
	assert_int_equal(global_stat(PNM_NR_TRUNCATED_LIVE), live + 1);
	assert_true(test_bit(PG_pnm_truncated, &page_folio(pages[0])->flags));
	assert_int_equal(pnm_dma_write(pages, 1, 0, "zz", 2), 0);
	assert_int_equal(global_stat(PNM_DMA_WRITE_TRUNCATED), dma_lost + 2);
	CHECK_ALL();
	unpin_user_pages_dirty_lock(pages, 1, true);
	assert_int_equal(global_stat(PNM_NR_TRUNCATED_LIVE), live);
	f = test_open(PNM_FS_DAX, "ep");
	assert_int_equal(fread_byte(f, 0), 0x61);	/* the device's write is lost */
	fput(f);
	CHECK_ALL();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_open_and_io, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_evict_persists_and_disk_view, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_mmap_is_storage, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_write_error_once, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_truncate_and_pins, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_longterm_refused, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_evict_with_pin, pnm_test_setup, pnm_test_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
