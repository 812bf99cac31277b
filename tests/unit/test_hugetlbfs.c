// SPDX-License-Identifier: MIT
/*
 * test_hugetlbfs.c - hugetlbfs files (fs/hugetlbfs.c) with Linux's
 * semantics: a shared mapping reserves the pages its file has neither a
 * page nor a reservation for, and extends the size when writable; pages
 * live in the file's cache and are shared by every mapping; read(2) works,
 * write(2) is -EINVAL; ftruncate takes huge-page multiples only and drops
 * what lies beyond from every mapping (a pinned page lives on, detached,
 * and goes back to the pool when unpinned); fallocate allocates pages from
 * the pool (-ENOSPC when it runs dry), punching drops whole pages and
 * zeroes partial ones; a private mapping maps the file's page read-only
 * and copies on write; closing the last reference gives every page and
 * reservation back; a writable long-term pin of a shared mapping works
 * (hugetlbfs, like tmpfs, is no dirty-tracking filesystem), fast and slow.
 */
#include <fcntl.h>
#include <linux/falloc.h>
#include <string.h>

#include "test_util.h"
#include "pinmm_test_internal.h"

#define PROT_RW		(PROT_READ | PROT_WRITE)
#define HSZ		PNM_HUGETLB_2M
#define HNR		(HSZ / PAGE_SIZE)

static void assert_pool(unsigned long total, unsigned long free, unsigned long resv)
{
	struct pnm_hugetlb_info hi = { .size = sizeof(hi) };

	assert_int_equal(pnm_hugetlb_get_info(HSZ, &hi), 0);
	assert_int_equal(hi.total, total);
	assert_int_equal(hi.free, free);
	assert_int_equal(hi.resv, resv);
}

static struct file *hopen(const char *name)
{
	struct file *f = NULL;

	assert_int_equal(pnm_file_open(PNM_FS_HUGETLBFS, name, O_RDWR | O_CREAT, &f), 0);
	return f;
}

static unsigned long fmap(struct task_struct *t, struct file *f, unsigned long len,
			  unsigned long flags, unsigned long off)
{
	long a = pnm_mmap(t, 0, len, PROT_RW, flags, f, off);

	assert_true(a > 0);
	CHECK_ALL();
	return (unsigned long)a;
}

static void put_bytes(struct task_struct *t, unsigned long addr, const char *s)
{
	assert_int_equal(pnm_user_write(t, addr, s, strlen(s)), 0);
}

static void assert_bytes(struct task_struct *t, unsigned long addr, const char *s)
{
	char buf[64] = { 0 };

	assert_int_equal(pnm_user_read(t, addr, buf, strlen(s)), 0);
	assert_memory_equal(buf, s, strlen(s));
}

static void assert_zero(struct task_struct *t, unsigned long addr, size_t n)
{
	char buf[16], zero[16] = { 0 };

	memset(buf, 0x5a, sizeof(buf));
	assert_int_equal(pnm_user_read(t, addr, buf, n), 0);
	assert_memory_equal(buf, zero, n);
}

/* read(2) of @n zero bytes at @off. */
static void assert_file_zero(struct file *f, int64_t off, size_t n)
{
	char buf[16], zero[16] = { 0 };

	memset(buf, 0x5a, sizeof(buf));
	assert_int_equal(pnm_file_read(f, buf, n, off), (ssize_t)n);
	assert_memory_equal(buf, zero, n);
}

static void assert_file(struct file *f, int64_t off, const char *s)
{
	char buf[64] = { 0 };

	assert_int_equal(pnm_file_read(f, buf, strlen(s), off), (ssize_t)strlen(s));
	assert_memory_equal(buf, s, strlen(s));
}

static void test_shared_file(void **state)
{
	struct task_struct *a = test_task_create("a"), *b = test_task_create("b");
	struct file *f;
	unsigned long x, y;

	(void)state;
	assert_int_equal(pnm_hugetlb_set_pages(HSZ, 3), 3);
	f = hopen("f");
	assert_int_equal(pnm_file_size(f), 0);
	/* Writable and shared: reserves two pages, extends the size. */
	x = fmap(a, f, 2 * HSZ, MAP_SHARED, 0);
	assert_pool(3, 3, 2);
	assert_int_equal(pnm_file_size(f), 2 * HSZ);
	/* A second mapping of the same range reserves nothing more. */
	y = fmap(b, f, 2 * HSZ, MAP_SHARED, 0);
	assert_pool(3, 3, 2);
	put_bytes(a, x + HSZ + 10, "via a");
	assert_pool(3, 2, 1);
	assert_bytes(b, y + HSZ + 10, "via a");
	assert_int_equal(test_pfn(a, x + HSZ), test_pfn(b, y + HSZ));
	assert_file(f, HSZ + 10, "via a");
	/* A hole reads as zeroes, and is not allocated by reading. */
	assert_file_zero(f, 10, 2);
	assert_pool(3, 2, 1);
	/* No write(2) on hugetlbfs. */
	assert_int_equal(pnm_file_write(f, "x", 1, 0), -EINVAL);
	CHECK_ALL();
	/* Mappings go; the file keeps its page and its reservation. */
	pnm_task_exit(a);
	pnm_task_exit(b);
	assert_pool(3, 2, 1);
	assert_file(f, HSZ + 10, "via a");
	CHECK_ALL();
	/* Closing the last reference gives everything back. */
	pnm_file_close(f);
	assert_pool(3, 3, 0);
	CHECK_ALL();
	pnm_task_put(a);
	pnm_task_put(b);
}

static void test_truncate(void **state)
{
	struct task_struct *t = test_task_create("a");
	struct page *page, *prev_pages;
	struct file *f;
	unsigned long x;
	struct task_struct *prev;

	(void)state;
	(void)prev_pages;
	assert_int_equal(pnm_hugetlb_set_pages(HSZ, 3), 3);
	f = hopen("t");
	x = fmap(t, f, 3 * HSZ, MAP_SHARED, 0);
	put_bytes(t, x, "p0");
	put_bytes(t, x + HSZ, "p1");
	put_bytes(t, x + 2 * HSZ, "p2");
	assert_pool(3, 0, 0);
	/* Pin the last page, as a device would. */
	prev = pnm_task_enter(t);
	assert_int_equal(pin_user_pages_fast(x + 2 * HSZ, 1, FOLL_WRITE, &page), 1);
	pnm_task_leave(prev);

	assert_int_equal(pnm_file_truncate(f, HSZ + 4096), -EINVAL);
	assert_int_equal(pnm_file_truncate(f, HSZ), 0);
	assert_int_equal(pnm_file_size(f), HSZ);
	/* Beyond the end: SIGBUS for the mapping. */
	assert_int_equal(pnm_user_read(t, x + HSZ, (char[2]){ 0 }, 2), -EFAULT);
	assert_bytes(t, x, "p0");
	/* The unpinned page went back, the pinned one lives on detached. */
	assert_pool(3, 1, 0);
	assert_true(test_bit(PG_pnm_truncated, &page_folio(page)->flags));
	assert_null(page_folio(page)->mapping);
	assert_int_equal(global_stat(PNM_NR_TRUNCATED_LIVE), HNR);
	assert_int_equal(global_stat(PNM_TRUNCATE_PINNED), HNR);
	assert_int_equal(pnm_dma_write(&page, 1, 0, "late", 4), 0);
	CHECK_ALL();
	unpin_user_page(page);
	assert_pool(3, 2, 0);
	assert_int_equal(global_stat(PNM_NR_TRUNCATED_LIVE), 0);
	/* Growing again: a hole, reserved by nobody (the mapping is older). */
	assert_int_equal(pnm_file_truncate(f, 3 * HSZ), 0);
	assert_file_zero(f, HSZ, 2);
	put_bytes(t, x + HSZ, "again");
	assert_pool(3, 1, 0);
	CHECK_ALL();
	pnm_task_exit(t);
	pnm_task_put(t);
	pnm_file_close(f);
	assert_pool(3, 3, 0);
}

static void test_fallocate(void **state)
{
	struct task_struct *t = test_task_create("a");
	struct file *f;
	unsigned long x;

	(void)state;
	assert_int_equal(pnm_hugetlb_set_pages(HSZ, 2), 2);
	f = hopen("fa");
	assert_int_equal(pnm_file_fallocate(f, 0, 0, HSZ), 0);
	assert_int_equal(pnm_file_size(f), HSZ);
	assert_pool(2, 1, 0);
	/* Beyond what the pool has: -ENOSPC, what it got stays. */
	assert_int_equal(pnm_file_fallocate(f, 0, HSZ, 2 * HSZ), -ENOSPC);
	assert_pool(2, 0, 0);
	assert_int_equal(pnm_file_size(f), HSZ);
	CHECK_ALL();
	/* Mapping the allocated range reserves nothing: the pages exist. */
	assert_int_equal(pnm_file_truncate(f, 2 * HSZ), 0);
	x = fmap(t, f, 2 * HSZ, MAP_SHARED, 0);
	assert_pool(2, 0, 0);
	put_bytes(t, x + 100, "prealloc");
	put_bytes(t, x + HSZ + 100, "second");
	/* Punch: a partial page is zeroed, a whole one dropped. */
	assert_int_equal(pnm_file_fallocate(f, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
					    100, 4), 0);
	assert_zero(t, x + 100, 4);
	assert_bytes(t, x + 104, "lloc");
	assert_int_equal(pnm_file_fallocate(f, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
					    HSZ, HSZ), 0);
	assert_pool(2, 1, 0);
	assert_int_equal(pnm_file_size(f), 2 * HSZ);
	assert_file_zero(f, HSZ + 100, 3);
	CHECK_ALL();
	/* The punched page faults in again, from the pool. */
	assert_zero(t, x + HSZ + 100, 2);
	assert_pool(2, 0, 0);
	CHECK_ALL();
	pnm_task_exit(t);
	pnm_task_put(t);
	pnm_file_close(f);
	assert_pool(2, 2, 0);
}

static void test_private_file_mapping(void **state)
{
	struct task_struct *t = test_task_create("a");
	struct file *f;
	unsigned long s, p, cached;

	(void)state;
	assert_int_equal(pnm_hugetlb_set_pages(HSZ, 3), 3);
	f = hopen("pr");
	s = fmap(t, f, HSZ, MAP_SHARED, 0);
	put_bytes(t, s, "file");
	cached = test_pfn(t, s);
	/* A private mapping reserves its whole range. */
	p = fmap(t, f, HSZ, MAP_PRIVATE, 0);
	assert_pool(3, 2, 1);
	/* Reading maps the file's page, read-only. */
	assert_bytes(t, p, "file");
	assert_int_equal(test_pfn(t, p), cached);
	assert_int_equal(folio_entire_mapcount(pfn_folio(cached)), 2);
	/* Writing copies it into an anonymous page of its own. */
	put_bytes(t, p, "mine");
	assert_int_not_equal(test_pfn(t, p), cached);
	assert_true(folio_test_anon(test_folio(t, p)));
	assert_bytes(t, s, "file");
	assert_file(f, 0, "file");
	assert_int_equal(global_stat(PNM_COW_COPY), 1);
	assert_pool(3, 1, 0);
	CHECK_ALL();
	/* An unaligned offset is refused. */
	assert_int_equal(pnm_mmap(t, 0, HSZ, PROT_RW, MAP_SHARED, f, 4096), -EINVAL);
	pnm_task_exit(t);
	pnm_task_put(t);
	pnm_file_close(f);
	assert_pool(3, 3, 0);
}

/* gup_longterm.c's "memfd hugetlb": every long-term pin works, the
 * writable shared ones too, through gup-fast and the slow path. */
static void test_longterm_pins_work(void **state)
{
	struct task_struct *t = test_task_create("a"), *prev;
	struct page *pages[2];
	struct file *f = NULL;
	unsigned long s, p;

	(void)state;
	/* Four pages fill ZONE_MOVABLE; the file gets one of them. */
	assert_int_equal(pnm_hugetlb_set_pages(HSZ, 4), 4);
	assert_int_equal(pnm_hugetlb_file_create("memfd", HSZ, HSZ, &f), 0);
	assert_int_equal(pnm_hugetlb_file_create("bad", 4096, HSZ, &f), -EINVAL);
	assert_int_equal(pnm_file_fallocate(f, 0, 0, HSZ), 0);
	/* Two more come from ZONE_NORMAL: long-term pins can have them. */
	assert_int_equal(pnm_hugetlb_set_pages(HSZ, 6), 6);
	s = fmap(t, f, HSZ, MAP_SHARED, 0);
	p = fmap(t, f, HSZ, MAP_PRIVATE, 0);
	put_bytes(t, s, "all");
	prev = pnm_task_enter(t);
	/* The file's page sits in ZONE_MOVABLE, where the pool's first pages
	 * come from: gup-fast leaves it to the slow path, which migrates it
	 * (page cache and all) before pinning R/W shared. */
	assert_int_equal(page_zonenum(pfn_to_page(test_pfn(t, s))), ZONE_MOVABLE);
	assert_int_equal(pnm_pin_user_pages_fast_only(s, 1, FOLL_WRITE | FOLL_LONGTERM,
						      pages), 0);
	assert_int_equal(pin_user_pages_fast(s, 1, FOLL_WRITE | FOLL_LONGTERM, pages), 1);
	assert_int_equal(page_zonenum(pages[0]), ZONE_NORMAL);
	assert_int_equal(global_stat(PGMIGRATE_SUCCESS), HNR);
	assert_file(f, 0, "all");
	/* Now gup-fast takes it (a hugetlb folio: allowed). */
	assert_int_equal(pnm_pin_user_pages_fast_only(s + 4096, 1, FOLL_WRITE | FOLL_LONGTERM,
						      pages + 1), 1);
	unpin_user_pages(pages, 2);
	/* R/O private: the long-term pin unshares the file page first. */
	assert_int_equal(pin_user_pages_fast(p, 1, FOLL_LONGTERM, pages), 1);
	assert_true(folio_test_anon(page_folio(pages[0])));
	assert_int_equal(global_stat(PNM_UNSHARE_COPY), 1);
	unpin_user_pages(pages, 1);
	/* R/W private. */
	assert_int_equal(pin_user_pages_fast(p + HSZ - 4096, 1, FOLL_WRITE | FOLL_LONGTERM,
					     pages), 1);
	unpin_user_pages(pages, 1);
	pnm_task_leave(prev);
	CHECK_ALL();
	pnm_task_exit(t);
	pnm_task_put(t);
	pnm_file_close(f);
	assert_pool(6, 6, 0);
}

/* MAP_NORESERVE on a shared mapping: nothing reserved; faults take what
 * is free. */
static void test_shared_noreserve(void **state)
{
	struct task_struct *t = test_task_create("a");
	struct file *f;
	unsigned long x;

	(void)state;
	assert_int_equal(pnm_hugetlb_set_pages(HSZ, 1), 1);
	f = hopen("nr");
	assert_int_equal(pnm_mmap(t, 0, 2 * HSZ, PROT_RW, MAP_SHARED, f, 0), -ENOMEM);
	x = fmap(t, f, 2 * HSZ, MAP_SHARED | MAP_NORESERVE, 0);
	assert_pool(1, 1, 0);
	put_bytes(t, x, "one");
	assert_int_equal(pnm_user_write(t, x + HSZ, "two", 3), -EFAULT);
	assert_pool(1, 0, 0);
	CHECK_ALL();
	pnm_task_exit(t);
	pnm_task_put(t);
	pnm_file_close(f);
	assert_pool(1, 1, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_shared_file, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_truncate, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_fallocate, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_private_file_mapping, pnm_test_setup,
						pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_longterm_pins_work, pnm_test_setup,
						pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_shared_noreserve, pnm_test_setup,
						pnm_test_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
