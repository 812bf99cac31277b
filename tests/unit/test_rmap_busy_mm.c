// SPDX-License-Identifier: MIT
/*
 * test_rmap_busy_mm.c - everything that reaches other processes' page
 * tables through the reverse map keeps working while one of those
 * processes holds its own mmap_lock for write, for the whole operation:
 * migration (anon and shmem), writeback (fsync of a shared disk mapping),
 * truncate, reclaim of mapped clean file pages, and the migration a
 * FOLL_LONGTERM pin of a MOVABLE shmem page needs.  Each runs on the
 * test's thread while another thread sits on the lock
 * (test_mm_holder_start); the lock is released only after the operation
 * returned, so an implementation that needed that mmap_lock would fail or
 * never return here.
 */
#include <fcntl.h>
#include <limits.h>
#include <string.h>

#include "test_util.h"
#include "pinmm_test_internal.h"

#define PG	PAGE_SIZE
#define RW	(PROT_READ | PROT_WRITE)

/* A new process mapping @f (@npages from offset 0) with @flags. */
static struct task_struct *map_file(const char *comm, struct file *f, int npages,
				    unsigned long flags, unsigned long *addr)
{
	struct task_struct *t = test_task_create(comm);
	long a = pnm_mm_mmap(t->mm, 0, (unsigned long)npages * PG, RW, flags, f, 0);

	assert_true(a > 0);
	*addr = (unsigned long)a;
	return t;
}

/* A file of @fs with @npages pages. */
static struct file *new_file(enum pnm_fs_type fs, const char *name, int npages)
{
	struct file *f = test_open(fs, name);

	assert_int_equal(do_ftruncate(f, (loff_t)npages * PG), 0);
	return f;
}

static bool pte_is_writable(struct task_struct *t, unsigned long addr)
{
	unsigned long pfn;
	bool w = false;

	assert_int_equal(pnm_mm_translate(t->mm, addr, &pfn, &w), 0);
	return w;
}

/* A shmem page shared by two processes moves between zones while one of
 * them holds its mmap_lock for write. */
static void test_migrate_shmem_busy(void **state)
{
	struct file *f = new_file(PNM_FS_SHMEM, "mig", 1);
	unsigned long a, b, old_pfn;
	struct task_struct *p = map_file("p", f, 1, MAP_SHARED, &a);
	struct task_struct *q = map_file("q", f, 1, MAP_SHARED, &b);
	struct test_mm_holder h;
	struct folio *folio, *dst = NULL;

	(void)state;
	test_write_byte(p, a, 0x5a);
	assert_int_equal(test_read_byte(q, b), 0x5a);
	folio = test_folio(p, a);
	old_pfn = folio_pfn(folio);
	assert_int_equal(page_zonenum(&folio->page), ZONE_MOVABLE);

	test_mm_holder_start(&h, q->mm);
	folio_get(folio);
	assert_int_equal(migrate_folio_to(folio, alloc_migration_target_zone,
					  ZONE_NORMAL, MR_SYSCALL, &dst), 0);
	assert_int_equal(page_zonenum(&dst->page), ZONE_NORMAL);
	assert_int_equal(folio_mapcount(dst), 2);
	folio_put(dst);
	test_mm_holder_stop(&h);

	CHECK_ALL();
	assert_true(test_pfn(q, b) != old_pfn);
	assert_int_equal(test_pfn(q, b), test_pfn(p, a));
	assert_int_equal(test_read_byte(q, b), 0x5a);
	fput(f);
}

/* fsync of a disk file that another process maps shared and dirtied:
 * written at once, its PTEs write-protected for the next round. */
static void test_fsync_busy(void **state)
{
	struct file *f = new_file(PNM_FS_DISK, "wb", 2);
	unsigned long a, b;
	struct task_struct *p = map_file("p", f, 2, MAP_SHARED, &a);
	struct task_struct *q = map_file("q", f, 2, MAP_SHARED, &b);
	struct test_mm_holder h;
	unsigned char byte = 0;

	(void)state;
	test_write_byte(p, a, 0x11);
	test_write_byte(q, b + PG, 0x22);
	test_mm_holder_start(&h, q->mm);
	assert_int_equal(vfs_fsync(f, 0), 0);
	assert_int_equal(test_host_pread(f, &byte, 1, PG), 1);
	assert_int_equal(byte, 0x22);
	assert_int_equal(test_host_pread(f, &byte, 1, 0), 1);
	assert_int_equal(byte, 0x11);
	test_mm_holder_stop(&h);

	CHECK_ALL();
	/* Cleaned through the reverse map: the next write faults. */
	assert_false(pte_is_writable(q, b + PG));
	assert_false(pte_is_writable(p, a));
	test_write_byte(q, b + PG, 0x33);
	assert_int_equal(vfs_fsync(f, 0), 0);
	assert_int_equal(test_host_pread(f, &byte, 1, PG), 1);
	assert_int_equal(byte, 0x33);
	CHECK_ALL();
	fput(f);
}

/* ftruncate unmaps the pages another process maps, while it holds its
 * mmap_lock: afterwards its access beyond EOF faults (SIGBUS).  (The
 * cache may keep a large folio straddling the new EOF, zeroed beyond it.) */
static void test_truncate_busy(void **state)
{
	struct file *f = new_file(PNM_FS_DISK, "tr", 4);
	unsigned long b;
	struct task_struct *q = map_file("q", f, 4, MAP_SHARED, &b);
	struct test_mm_holder h;
	unsigned char v;
	int i;

	(void)state;
	for (i = 0; i < 4; i++)
		test_write_byte(q, b + (unsigned long)i * PG, (unsigned char)(i + 1));
	assert_int_equal(get_mm_counter(q->mm, MM_FILEPAGES), 4);
	test_mm_holder_start(&h, q->mm);
	assert_int_equal(do_ftruncate(f, PG), 0);
	assert_int_equal(get_mm_counter(q->mm, MM_FILEPAGES), 0);
	test_mm_holder_stop(&h);

	CHECK_ALL();
	assert_int_equal(test_read_byte(q, b), 1);
	assert_int_equal(get_mm_counter(q->mm, MM_FILEPAGES), 1);
	assert_int_equal(pnm_user_read(q, b + 2 * PG, &v, 1), -EFAULT);
	fput(f);
}

/* Reclaim may unmap clean file pages of a process sitting on its lock. */
static void test_reclaim_busy(void **state)
{
	struct file *f = new_file(PNM_FS_DISK, "rc", 2);
	unsigned long b;
	struct task_struct *q = map_file("q", f, 2, MAP_SHARED, &b);
	struct test_mm_holder h;

	(void)state;
	test_write_byte(q, b, 7);
	test_write_byte(q, b + PG, 8);
	assert_int_equal(vfs_fsync(f, 0), 0);	/* clean, so reclaimable */
	assert_int_equal(get_mm_counter(q->mm, MM_FILEPAGES), 2);
	test_mm_holder_start(&h, q->mm);
	assert_true(pnm_reclaim_pages(ULONG_MAX, true) >= 2);
	assert_int_equal(f->f_mapping->nrpages, 0);
	test_mm_holder_stop(&h);

	CHECK_ALL();
	assert_int_equal(get_mm_counter(q->mm, MM_FILEPAGES), 0);
	/* Refaulted from the disk. */
	assert_int_equal(test_read_byte(q, b + PG), 8);
	fput(f);
}

/*
 * A writable FOLL_LONGTERM pin of MOVABLE shmem pages that another
 * process also maps: they must migrate to NORMAL first, which needs the
 * other process's mappings, and it holds its mmap_lock meanwhile.
 */
static void test_longterm_pin_busy(void **state)
{
	struct file *f = new_file(PNM_FS_SHMEM, "lt", 2);
	unsigned long a, b;
	struct task_struct *p = map_file("p", f, 2, MAP_SHARED, &a);
	struct task_struct *q = map_file("q", f, 2, MAP_SHARED, &b);
	struct task_struct *prev;
	struct test_mm_holder h;
	struct page *pages[2];

	(void)state;
	test_write_byte(p, a, 1);
	test_write_byte(q, b + PG, 2);
	assert_int_equal(page_zonenum(pfn_to_page(test_pfn(q, b + PG))), ZONE_MOVABLE);

	test_mm_holder_start(&h, q->mm);
	prev = pnm_task_enter(p);
	assert_int_equal(pin_user_pages_fast(a, 2, FOLL_WRITE | FOLL_LONGTERM, pages), 2);
	pnm_task_leave(prev);
	assert_int_equal(page_zonenum(pages[0]), ZONE_NORMAL);
	assert_int_equal(page_zonenum(pages[1]), ZONE_NORMAL);
	assert_int_equal(pnm_dma_write(pages, 2, PG + 1, "d", 1), 0);
	unpin_user_pages_dirty_lock(pages, 2, true);
	test_mm_holder_stop(&h);

	CHECK_ALL();
	/* The other process maps the migrated pages and sees the device. */
	assert_int_equal(test_pfn(q, b + PG), page_to_pfn(pages[1]));
	assert_int_equal(test_read_byte(q, b + PG + 1), 'd');
	assert_int_equal(test_read_byte(q, b + PG), 2);
	fput(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_migrate_shmem_busy,
						pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_fsync_busy,
						pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_truncate_busy,
						pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_reclaim_busy,
						pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_longterm_pin_busy,
						pnm_test_setup, pnm_test_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
