// SPDX-License-Identifier: MIT
/*
 * test_kwrite.c - the writer to page data under a pin (src/drivers/
 * kwrite.c, pinmm/kwrite.h): pin_user_pages_remote(FOLL_WRITE), write
 * through the pages, set_page_dirty_lock(), unpin -- and the INCORRECT
 * get_user_pages()/put_page() form beside it.  Covered: anonymous memory
 * (the pin is visible while the write is open and gone after; COW is
 * broken first), all-or-nothing pinning, the errors, and a disk file
 * written back while the write is open: with the pin, writeback takes a
 * stable copy and the kernel's data reaches the disk; with the plain
 * reference the page is cleaned, its blocks dropped, and the dirtying
 * afterwards lands behind the filesystem's back (the 2018 failure); and
 * without set_page_dirty_lock() (wb_policy linux, which cleans pinned
 * pages) the data is silently lost with the clean page.
 */
#include <string.h>

#include "test_util.h"
#include "pinmm_test_internal.h"
#include <pinmm/kwrite.h>

#define PG	PAGE_SIZE
#define RW	(PROT_READ | PROT_WRITE)
#define PRIV	(MAP_PRIVATE | MAP_ANONYMOUS)

static const char kernel_v2[] = "kernel v2: written under a pin";

static void test_anon(void **state)
{
	struct task_struct *t = test_task_create("kw"), *c;
	unsigned long a = test_mmap(t, 4 * PG, RW, PRIV), pfn;
	long acquired = global_stat(NR_FOLL_PIN_ACQUIRED);
	struct pnm_kwrite_req *kw;
	char buf[16];

	(void)state;
	test_write_byte(t, a + PG, 'p');
	c = test_fork(t);
	pfn = test_pfn(t, a + PG);
	/* Two pages, the first one COW-shared with the child: copied first. */
	assert_int_equal(pnm_kwrite_begin(t, a + 2 * PG - 5, 10, 0, &kw), 0);
	assert_true(test_pfn(t, a + PG) != pfn);
	assert_true(folio_maybe_dma_pinned(test_folio(t, a + PG)));
	assert_true(folio_maybe_dma_pinned(test_folio(t, a + 2 * PG)));
	assert_int_equal(pnm_pin_registry_count(-1), 2);
	assert_int_equal(pnm_kwrite_copy(kw, 0, "0123456789", 10), 0);
	assert_int_equal(pnm_kwrite_copy(kw, 8, "xyz", 3), -EINVAL);
	assert_int_equal(pnm_kwrite_copy(kw, 11, "", 0), -EINVAL);
	CHECK_ALL();
	pnm_kwrite_end(kw);
	assert_false(folio_maybe_dma_pinned(test_folio(t, a + PG)));
	assert_int_equal(pnm_pin_registry_count(-1), 0);
	assert_int_equal(global_stat(NR_FOLL_PIN_ACQUIRED), acquired + 2);
	assert_int_equal(global_stat(NR_FOLL_PIN_RELEASED), acquired + 2);
	assert_int_equal(pnm_user_read(t, a + 2 * PG - 5, buf, 10), 0);
	assert_memory_equal(buf, "0123456789", 10);
	assert_int_equal(test_read_byte(c, a + 2 * PG - 5), 0);	/* the child's copy */
	assert_int_equal(test_read_byte(c, a + PG), 'p');
	/* One shot; the plain-reference form leaves no pin either. */
	assert_int_equal(pnm_kwrite(t, a + 3 * PG, "get", 4, PNM_KWRITE_GET), 0);
	assert_int_equal(global_stat(NR_FOLL_PIN_ACQUIRED), acquired + 2);
	assert_int_equal(test_read_byte(t, a + 3 * PG), 'g');
	assert_int_equal(folio_ref_count(test_folio(t, a + 3 * PG)), 1);
	pnm_task_exit(c);
	pnm_task_put(c);
	CHECK_ALL();
}

static void test_errors(void **state)
{
	struct task_struct *t = test_task_create("kw");
	unsigned long a = test_mmap(t, 2 * PG, RW, PRIV);
	struct pnm_kwrite_req *kw;

	(void)state;
	assert_int_equal(pnm_kwrite_begin(t, a, 0, 0, &kw), -EINVAL);
	assert_int_equal(pnm_kwrite_begin(t, a, PG, 0x10, &kw), -EINVAL);
	assert_int_equal(pnm_kwrite_begin(t, a, (PNM_KWRITE_MAX_PAGES + 1) * PG, 0, &kw),
			 -EINVAL);
	assert_int_equal(pnm_kwrite(t, a, NULL, 1, 0), -EINVAL);
	/* All or nothing: the second page is read-only. */
	assert_int_equal(pnm_mprotect(t, a + PG, PG, PROT_READ), 0);
	assert_int_equal(pnm_kwrite_begin(t, a, 2 * PG, 0, &kw), -EFAULT);
	assert_int_equal(pnm_pin_registry_count(-1), 0);
	assert_false(folio_maybe_dma_pinned(test_folio(t, a)));
	assert_int_equal(pnm_kwrite(t, 0x10000, "x", 1, 0), -EFAULT);
	pnm_kwrite_end(NULL);
	CHECK_ALL();
	pnm_task_exit(t);
	assert_int_equal(pnm_kwrite(t, a, "x", 1, 0), -ESRCH);
}

/* --- a disk file written back while the write is open --------------------- */

static void init_model(enum pnm_wb_policy policy)
{
	struct pnm_config cfg;

	pnm_test_config(&cfg);
	cfg.wb_policy = policy;
	pnm_test_init_with(&cfg);
}

static bool host_has(struct file *f, const char *s)
{
	char buf[64] = "";
	size_t n = strlen(s) + 1;

	return test_host_pread(f, buf, n, 0) == (ssize_t)n && !memcmp(buf, s, n);
}

/* A disk file page on the host ("v1"), mapped shared by @t. */
static unsigned long file_page(struct task_struct *t, const char *name, struct file **fp)
{
	struct file *f = test_open(PNM_FS_DISK, name);
	char page[PG];
	long a;

	memset(page, 0, sizeof(page));
	strcpy(page, "v1");
	assert_int_equal(pnm_file_write(f, page, PG, 0), PG);
	assert_int_equal(pnm_file_fsync(f, 0, INT64_MAX, false), 0);
	a = pnm_mmap(t, 0, PG, RW, MAP_SHARED, f, 0);
	assert_true(a > 0);
	*fp = f;
	return (unsigned long)a;
}

/* begin; writeback; copy; end -- what reaches the disk? */
static void open_write_across_writeback(unsigned int flags, struct file **fp,
					struct task_struct **tp, unsigned long *ap)
{
	struct task_struct *t = test_task_create("kw");
	unsigned long a = file_page(t, "kw-file", fp);
	struct pnm_kwrite_req *kw;

	assert_int_equal(pnm_kwrite_begin(t, a, sizeof(kernel_v2), flags, &kw), 0);
	assert_true(folio_test_dirty(test_folio(t, a)));	/* ->page_mkwrite */
	assert_int_equal(pnm_file_fsync(*fp, 0, INT64_MAX, false), 0);
	CHECK_ALL();
	assert_int_equal(pnm_kwrite_copy(kw, 0, kernel_v2, sizeof(kernel_v2)), 0);
	pnm_kwrite_end(kw);
	CHECK_ALL();
	*tp = t;
	*ap = a;
}

static void test_file_pinned_stable(void **state)
{
	long nob = global_stat(PNM_FS_DIRTY_NO_BLOCKS), bounced = global_stat(PNM_WB_BOUNCED);
	struct task_struct *t;
	struct file *f;
	unsigned long a;

	(void)state;
	open_write_across_writeback(0, &f, &t, &a);
	assert_int_equal(global_stat(PNM_WB_BOUNCED), bounced + 1);
	assert_int_equal(global_stat(PNM_FS_DIRTY_NO_BLOCKS), nob);
	assert_int_equal(pnm_file_fsync(f, 0, INT64_MAX, false), 0);
	assert_true(host_has(f, kernel_v2));
	assert_int_equal(pnm_munmap(t, a, PG), 0);
	pnm_file_close(f);
	CHECK_ALL();
}

/* The INCORRECT form: writeback cleaned the page under the writer. */
static void test_file_get_behind_fs_back(void **state)
{
	long nob = global_stat(PNM_FS_DIRTY_NO_BLOCKS), lost = global_stat(PNM_WB_LOST);
	struct task_struct *t;
	struct file *f;
	unsigned long a;

	(void)state;
	open_write_across_writeback(PNM_KWRITE_GET, &f, &t, &a);
	assert_int_equal(global_stat(PNM_FS_DIRTY_NO_BLOCKS), nob + 1);
	assert_int_equal(pnm_file_fsync(f, 0, INT64_MAX, false), -EIO);
	assert_int_equal(global_stat(PNM_WB_LOST), lost + 1);
	assert_false(host_has(f, kernel_v2));
	assert_int_equal(pnm_munmap(t, a, PG), 0);
	pnm_file_close(f);
	CHECK_ALL();
}

/* wb_policy linux writes pinned pages in place and cleans them: only the
 * final set_page_dirty_lock() gets the kernel's data to the disk. */
static void test_file_linux_dirty_needed(void **state)
{
	struct task_struct *t;
	struct file *f;
	unsigned long a;

	(void)state;
	open_write_across_writeback(0, &f, &t, &a);
	assert_true(folio_test_dirty(test_folio(t, a)));
	assert_int_equal(pnm_file_fsync(f, 0, INT64_MAX, false), 0);
	assert_true(host_has(f, kernel_v2));
	assert_int_equal(pnm_munmap(t, a, PG), 0);
	pnm_file_close(f);
	CHECK_ALL();
}

static void test_file_linux_nodirty_loses(void **state)
{
	char buf[3] = "";
	struct task_struct *t;
	struct file *f;
	unsigned long a;

	(void)state;
	open_write_across_writeback(PNM_KWRITE_NODIRTY, &f, &t, &a);
	assert_false(folio_test_dirty(test_folio(t, a)));	/* clean, new data */
	assert_int_equal(test_read_byte(t, a), 'k');
	assert_int_equal(pnm_file_fsync(f, 0, INT64_MAX, false), 0);
	assert_false(host_has(f, kernel_v2));
	/* Dropped with the clean page: the file reads its old data again. */
	assert_int_equal(pnm_munmap(t, a, PG), 0);
	assert_true(pnm_reclaim_pages(1000, true) >= 1);
	assert_int_equal(pnm_file_read(f, buf, 3, 0), 3);
	assert_string_equal(buf, "v1");
	pnm_file_close(f);
	CHECK_ALL();
}

static int setup_stable(void **state)
{
	(void)state;
	init_model(PNM_WB_STABLE);
	return 0;
}

static int setup_linux(void **state)
{
	(void)state;
	init_model(PNM_WB_LINUX);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		PNM_TEST(test_anon),
		PNM_TEST(test_errors),
		cmocka_unit_test_setup_teardown(test_file_pinned_stable, setup_stable, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_file_get_behind_fs_back, setup_stable, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_file_linux_dirty_needed, setup_linux, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_file_linux_nodirty_loses, setup_linux, pnm_test_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
