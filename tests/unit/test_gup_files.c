// SPDX-License-Identifier: MIT
/*
 * test_gup_files.c - GUP on file mappings (gup.c, gup_fast.c): the
 * long-term rules of Linux (reference §6.3, §6.4) on every entry point --
 * a writable FOLL_LONGTERM pin of a MAP_SHARED disk mapping is -EFAULT,
 * of a dax mapping -EOPNOTSUPP (any FOLL_LONGTERM), of shmem allowed, of
 * a MAP_PRIVATE file mapping allowed after a copy -- and short-term pins
 * of disk shared pages (Direct I/O) going through ->page_mkwrite, so the
 * pinned page is dirty with block state and the device's data reaches
 * the disk after unpin and fsync.  Every test runs under both pin
 * accounting modes; legacy mode shows the refusal did not exist.
 */
#include <fcntl.h>
#include <string.h>

#include "test_util.h"
#include "pinmm_test_internal.h"

#define PG	PAGE_SIZE
#define RW	(PROT_READ | PROT_WRITE)
#define LTW	(FOLL_WRITE | FOLL_LONGTERM)

static int setup_mode(enum pnm_pin_accounting mode, bool legacy)
{
	struct pnm_config cfg;

	pnm_test_config(&cfg);
	cfg.pin_accounting = mode;
	cfg.legacy_gup = legacy;
	pnm_test_init_with(&cfg);
	return 0;
}

static int setup_linux(void **state)
{
	(void)state;
	return setup_mode(PNM_PIN_ACCOUNTING_LINUX, false);
}

static int setup_exact(void **state)
{
	(void)state;
	return setup_mode(PNM_PIN_ACCOUNTING_EXACT, false);
}

static int setup_legacy(void **state)
{
	(void)state;
	return setup_mode(PNM_PIN_ACCOUNTING_LINUX, true);
}

/* A process with @npages of file (@fs, @name) mapped at *@addr with
 * @flags, every page written once through the mapping. */
static struct task_struct *mapped(enum pnm_fs_type fs, const char *name, int npages,
				  unsigned long flags, struct file **fp, unsigned long *addr)
{
	struct task_struct *p = test_task_create("p");
	struct file *f = test_open(fs, name);
	long a;

	assert_int_equal(do_ftruncate(f, (loff_t)npages * PG), 0);
	a = pnm_mm_mmap(p->mm, 0, (unsigned long)npages * PG, RW, flags, f, 0);
	assert_true(a > 0);
	for (int i = 0; i < npages; i++)
		test_write_byte(p, (unsigned long)a + (unsigned long)i * PG, (unsigned char)(i + 1));
	*fp = f;
	*addr = (unsigned long)a;
	return p;
}

static long slow_pin(struct task_struct *p, unsigned long a, long n, unsigned int flags,
		     struct page **pages)
{
	struct task_struct *prev = pnm_task_enter(p);
	long ret;

	mmap_read_lock(p->mm);
	ret = pin_user_pages(a, (unsigned long)n, flags, pages);
	mmap_read_unlock(p->mm);
	pnm_task_leave(prev);
	return ret;
}

static long fast_pin(struct task_struct *p, unsigned long a, int n, unsigned int flags,
		     struct page **pages)
{
	struct task_struct *prev = pnm_task_enter(p);
	long ret = pin_user_pages_fast(a, n, flags, pages);

	pnm_task_leave(prev);
	return ret;
}

static long fast_only_pin(struct task_struct *p, unsigned long a, int n, unsigned int flags,
			  struct page **pages)
{
	struct task_struct *prev = pnm_task_enter(p);
	long ret = pnm_pin_user_pages_fast_only(a, n, flags, pages);

	pnm_task_leave(prev);
	return ret;
}

static void check_balanced(void)
{
	assert_int_equal(global_stat(NR_FOLL_PIN_ACQUIRED), global_stat(NR_FOLL_PIN_RELEASED));
	CHECK_ALL();
}

/* Writable long-term pins of a disk MAP_SHARED mapping: -EFAULT on every
 * path; read-only long-term and short-term pins are fine. */
static void test_disk_shared_longterm(void **state)
{
	struct page *pages[2];
	unsigned long a;
	struct file *f;
	struct task_struct *p = mapped(PNM_FS_DISK, "lt", 2, MAP_SHARED, &f, &a);
	long acquired = global_stat(NR_FOLL_PIN_ACQUIRED);

	(void)state;
	assert_int_equal(slow_pin(p, a, 2, LTW, pages), -EFAULT);
	assert_int_equal(fast_pin(p, a, 2, LTW, pages), -EFAULT);
	/* The pages are mapped writable: only the fast path's own rule
	 * stops the lockless walk. */
	assert_int_equal(fast_only_pin(p, a, 2, LTW, pages), 0);
	assert_int_equal(global_stat(NR_FOLL_PIN_ACQUIRED), acquired);

	assert_int_equal(fast_pin(p, a, 2, FOLL_LONGTERM, pages), 2);
	assert_ptr_equal(page_folio(pages[0])->mapping, f->f_mapping);
	assert_true(folio_is_longterm_pinnable(page_folio(pages[0])));
	unpin_user_pages(pages, 2);
	assert_int_equal(fast_pin(p, a, 2, FOLL_WRITE, pages), 2);
	unpin_user_pages(pages, 2);
	fput(f);
	check_balanced();
}

/* Direct I/O into a clean disk shared page: the pin's write fault calls
 * ->page_mkwrite, so the page is dirty with block state while the device
 * writes; after the unpin and fsync the disk has the device's data. */
static void test_disk_shortterm_write_pin(void **state)
{
	long nob = global_stat(PNM_FS_DIRTY_NO_BLOCKS), lost = global_stat(PNM_WB_LOST);
	unsigned char v = 0;
	struct page *pages[1];
	struct folio *folio;
	unsigned long a;
	struct file *f;
	struct task_struct *p = mapped(PNM_FS_DISK, "dio", 1, MAP_SHARED, &f, &a);

	(void)state;
	assert_int_equal(vfs_fsync(f, 0), 0);		/* clean, write-protected */
	assert_int_equal(fast_pin(p, a, 1, FOLL_WRITE, pages), 1);
	folio = page_folio(pages[0]);
	assert_true(folio_test_dirty(folio));
	assert_true(PagePrivate(&folio->page));
	assert_true(folio_maybe_dma_pinned(folio));
	assert_int_equal(pnm_dma_write(pages, 1, 100, "device", 6), 0);
	unpin_user_pages_dirty_lock(pages, 1, true);
	assert_int_equal(vfs_fsync(f, 0), 0);
	assert_int_equal(test_host_pread(f, &v, 1, 101), 1);
	assert_int_equal(v, 'e');
	assert_int_equal(global_stat(PNM_FS_DIRTY_NO_BLOCKS), nob);
	assert_int_equal(global_stat(PNM_WB_LOST), lost);

	/* The slow path the same way. */
	assert_int_equal(slow_pin(p, a, 1, FOLL_WRITE, pages), 1);
	assert_true(folio_test_dirty(page_folio(pages[0])));
	assert_true(PagePrivate(&page_folio(pages[0])->page));
	unpin_user_pages_dirty_lock(pages, 1, true);
	fput(f);
	check_balanced();
}

/* MAP_PRIVATE file mappings: the write pin gets (and keeps) a private
 * anonymous copy; the device's data never reaches the file. */
static void test_private_file_longterm(void **state)
{
	struct page *pages[2];
	unsigned char v = 0;
	unsigned long a;
	struct file *f;
	struct task_struct *p = test_task_create("p");
	long r;

	(void)state;
	f = test_open(PNM_FS_DISK, "priv");
	assert_int_equal(do_ftruncate(f, 2 * PG), 0);
	r = pnm_mm_mmap(p->mm, 0, 2 * PG, RW, MAP_PRIVATE, f, 0);
	assert_true(r > 0);
	a = (unsigned long)r;
	assert_int_equal(test_read_byte(p, a + PG), 0);	/* the cache page, R/O */
	assert_false(folio_test_anon(test_folio(p, a + PG)));

	assert_int_equal(fast_pin(p, a, 2, LTW, pages), 2);
	assert_true(folio_test_anon(page_folio(pages[0])));
	assert_true(folio_test_anon(page_folio(pages[1])));
	assert_int_equal(test_pfn(p, a + PG), page_to_pfn(pages[1]));
	assert_int_equal(pnm_dma_write(pages, 2, PG, "x", 1), 0);
	assert_int_equal(test_read_byte(p, a + PG), 'x');
	unpin_user_pages_dirty_lock(pages, 2, true);
	assert_int_equal(vfs_fsync(f, 0), 0);
	assert_int_equal(test_host_pread(f, &v, 1, PG), 1);
	assert_int_equal(v, 0);
	assert_int_equal(slow_pin(p, a, 2, LTW, pages), 2);
	unpin_user_pages(pages, 2);
	fput(f);
	check_balanced();
}

/* shmem: writable long-term pins allowed on every path. */
static void test_shmem_longterm(void **state)
{
	struct page *pages[2];
	unsigned long a;
	struct file *f;
	struct task_struct *p = mapped(PNM_FS_SHMEM, "shm", 2, MAP_SHARED, &f, &a);

	(void)state;
	assert_int_equal(slow_pin(p, a, 2, LTW, pages), 2);
	unpin_user_pages(pages, 2);
	assert_int_equal(fast_pin(p, a, 2, LTW, pages), 2);
	unpin_user_pages(pages, 2);
	assert_int_equal(fast_only_pin(p, a, 2, LTW, pages), 2);	/* migrated by now */
	unpin_user_pages(pages, 2);
	fput(f);
	check_balanced();
}

/* dax: any long-term pin is -EOPNOTSUPP, short-term pins work. */
static void test_dax_longterm(void **state)
{
	struct page *pages[2];
	unsigned long a;
	struct file *f;
	struct task_struct *p = mapped(PNM_FS_DAX, "dax", 2, MAP_SHARED, &f, &a);

	(void)state;
	assert_int_equal(slow_pin(p, a, 2, LTW, pages), -EOPNOTSUPP);
	assert_int_equal(slow_pin(p, a, 2, FOLL_LONGTERM, pages), -EOPNOTSUPP);
	assert_int_equal(fast_pin(p, a, 2, LTW, pages), -EOPNOTSUPP);
	assert_int_equal(fast_only_pin(p, a, 2, FOLL_LONGTERM, pages), 0);
	assert_int_equal(fast_pin(p, a, 2, FOLL_WRITE, pages), 2);
	unpin_user_pages(pages, 2);
	fput(f);
	check_balanced();
}

/* Legacy mode (before 2023 there was no writable-file refusal): the pin
 * is taken -- the set-up for the 2018 failure. */
static void test_legacy_allows_disk_longterm(void **state)
{
	struct page *pages[1];
	unsigned long a;
	struct file *f;
	struct task_struct *p = mapped(PNM_FS_DISK, "old", 1, MAP_SHARED, &f, &a);

	(void)state;
	assert_int_equal(fast_pin(p, a, 1, LTW, pages), 1);
	assert_false(folio_maybe_dma_pinned(page_folio(pages[0])));	/* a reference */
	unpin_user_pages(pages, 1);
	/* dax was refused even then. */
	fput(f);
	p = mapped(PNM_FS_DAX, "olddax", 1, MAP_SHARED, &f, &a);
	assert_int_equal(slow_pin(p, a, 1, LTW, pages), -EOPNOTSUPP);
	fput(f);
	CHECK_ALL();
}

#define BOTH(fn)							\
	cmocka_unit_test_setup_teardown(fn, setup_linux, pnm_test_teardown), \
	cmocka_unit_test_setup_teardown(fn, setup_exact, pnm_test_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		BOTH(test_disk_shared_longterm),
		BOTH(test_disk_shortterm_write_pin),
		BOTH(test_private_file_longterm),
		BOTH(test_shmem_longterm),
		BOTH(test_dax_longterm),
		cmocka_unit_test_setup_teardown(test_legacy_allows_disk_longterm, setup_legacy,
						pnm_test_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
