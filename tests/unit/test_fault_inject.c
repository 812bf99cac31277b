// SPDX-License-Identifier: MIT
/*
 * test_fault_inject.c - host fault injection (fault_inject.c,
 * pinmm/fault.h): the counting and arming rules of the API, then one test
 * per kind of site that the injected failure surfaces as the errno Linux
 * gives at that point, changes nothing, and that the next try succeeds.
 * Every test ends with the teardown's balance checks (no frame leaked,
 * every invariant holds); the asan build also finds host leaks.
 */
#define _GNU_SOURCE		/* FALLOC_FL_* */
#include <fcntl.h>
#include <string.h>

#include "test_util.h"
#include "pinmm_test_internal.h"

#define PG	4096UL
#define RW	(PROT_READ | PROT_WRITE)

static unsigned long injected(enum pnm_fault_kind kind)
{
	struct pnm_fault_stats st;

	assert_int_equal(pnm_fault_stat(kind, &st), 0);
	return st.injected;
}

static int fault_setup(void **state)
{
	pnm_fault_reset();
	return pnm_test_setup(state);
}

static int fault_teardown(void **state)
{
	pnm_fault_reset();
	return pnm_test_teardown(state);
}

#define FAULT_TEST(fn) cmocka_unit_test_setup_teardown(fn, fault_setup, fault_teardown)

/* --- the API -------------------------------------------------------------- */

/* Names round-trip; unknown kinds and bad arguments are -EINVAL. */
static void test_names_and_errors(void **state)
{
	struct pnm_fault_stats st;

	(void)state;
	for (int k = 0; k < PNM_FAULT_NR_KINDS; k++) {
		const char *name = pnm_fault_kind_name(k);

		assert_non_null(name);
		assert_int_equal(pnm_fault_kind_lookup(name), k);
	}
	assert_null(pnm_fault_kind_name(PNM_FAULT_NR_KINDS));
	assert_int_equal(pnm_fault_kind_lookup("nosuch"), -EINVAL);
	assert_int_equal(pnm_fault_kind_lookup(NULL), -EINVAL);
	assert_int_equal(pnm_fault_fail_nth(PNM_FAULT_NR_KINDS, 1), -EINVAL);
	assert_int_equal(pnm_fault_fail_every(PNM_FAULT_NR_KINDS, 2, 0), -EINVAL);
	assert_int_equal(pnm_fault_fail_every(PNM_FAULT_VMA, 2, 2), -EINVAL);
	assert_int_equal(pnm_fault_stat(PNM_FAULT_NR_KINDS, &st), -EINVAL);
	assert_int_equal(pnm_fault_stat(PNM_FAULT_VMA, NULL), -EINVAL);
}

/* nth=N fails exactly the Nth call, once; every=N fails N, 2N, ... (after
 * the offset); calls are counted only while injection is on. */
static void test_nth_every_count(void **state)
{
	struct pnm_fault_stats st;
	int fails[12];

	(void)state;
	/* Off: nothing counted. */
	for (int i = 0; i < 5; i++)
		assert_false(pnm_should_fail(PNM_FAULT_ALLOC));
	assert_int_equal(pnm_fault_stat(PNM_FAULT_ALLOC, &st), 0);
	assert_int_equal(st.calls, 0);

	assert_int_equal(pnm_fault_fail_nth(PNM_FAULT_ALLOC, 3), 0);
	assert_int_equal(pnm_fault_stat(PNM_FAULT_ALLOC, &st), 0);
	assert_int_equal(st.nth, 3);
	for (int i = 0; i < 6; i++)
		fails[i] = pnm_should_fail(PNM_FAULT_ALLOC);
	assert_memory_equal(fails, ((int[]){ 0, 0, 1, 0, 0, 0 }), 6 * sizeof(int));
	assert_int_equal(pnm_fault_stat(PNM_FAULT_ALLOC, &st), 0);
	/* Disarmed after firing: the last three calls were not counted. */
	assert_int_equal(st.calls, 3);
	assert_int_equal(st.injected, 1);
	assert_int_equal(st.nth, 0);
	assert_int_equal(pnm_fault_on, 0);

	assert_int_equal(pnm_fault_fail_every(PNM_FAULT_PREAD, 4, 1), 0);
	for (int i = 0; i < 12; i++)
		fails[i] = pnm_should_fail(PNM_FAULT_PREAD);
	assert_memory_equal(fails, ((int[]){ 0, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0 }),
			    12 * sizeof(int));
	/* Other kinds are counted meanwhile, never failed. */
	assert_false(pnm_should_fail(PNM_FAULT_VMA));
	assert_int_equal(pnm_fault_stat(PNM_FAULT_VMA, &st), 0);
	assert_int_equal(st.calls, 1);
	assert_int_equal(st.injected, 0);
	assert_int_equal(pnm_fault_fail_every(PNM_FAULT_PREAD, 0, 0), 0);
	assert_int_equal(pnm_fault_on, 0);
	assert_int_equal(injected(PNM_FAULT_PREAD), 2);

	/* Counting without failing, then off; reset zeroes. */
	pnm_fault_count(true);
	for (int i = 0; i < 7; i++)
		assert_false(pnm_should_fail(PNM_FAULT_FTRUNCATE));
	pnm_fault_off();
	assert_false(pnm_should_fail(PNM_FAULT_FTRUNCATE));
	assert_int_equal(pnm_fault_stat(PNM_FAULT_FTRUNCATE, &st), 0);
	assert_int_equal(st.calls, 7);
	pnm_fault_reset();
	assert_int_equal(pnm_fault_stat(PNM_FAULT_FTRUNCATE, &st), 0);
	assert_int_equal(st.calls, 0);
}

/* --- one test per kind ---------------------------------------------------- */

/* vma: mmap fails with ENOMEM and maps nothing; mprotect of part of a
 * mapping (a split needs a VMA) fails and changes nothing. */
static void test_kind_vma(void **state)
{
	struct task_struct *t = test_task_create("t");
	unsigned long a;

	(void)state;
	assert_int_equal(pnm_fault_fail_nth(PNM_FAULT_VMA, 1), 0);
	assert_int_equal(pnm_mm_mmap(t->mm, 0, 4 * PG, RW, MAP_PRIVATE | MAP_ANONYMOUS,
				     NULL, 0), -ENOMEM);
	assert_int_equal(injected(PNM_FAULT_VMA), 1);
	CHECK_ALL();
	a = test_mmap(t, 4 * PG, RW, MAP_PRIVATE | MAP_ANONYMOUS);
	test_write_byte(t, a, 1);
	assert_int_equal(pnm_fault_fail_nth(PNM_FAULT_VMA, 1), 0);
	assert_int_equal(pnm_mprotect(t, a + PG, PG, PROT_READ), -ENOMEM);
	CHECK_ALL();
	test_write_byte(t, a + PG, 2);		/* still writable */
	assert_int_equal(test_read_byte(t, a), 1);
}

/* rmap: the first write fault of an anon mapping needs an anon_vma;
 * without it the fault is OOM (-ENOMEM), nothing is mapped. */
static void test_kind_rmap(void **state)
{
	struct task_struct *t = test_task_create("t");
	unsigned long a = test_mmap(t, PG, RW, MAP_PRIVATE | MAP_ANONYMOUS), pfn;
	unsigned char v = 5;
	bool w;

	(void)state;
	assert_int_equal(pnm_fault_fail_nth(PNM_FAULT_RMAP, 1), 0);
	assert_int_equal(pnm_user_write(t, a, &v, 1), -ENOMEM);
	assert_int_equal(pnm_mm_translate(t->mm, a, &pfn, &w), -EFAULT);
	CHECK_ALL();
	test_write_byte(t, a, 5);
	assert_int_equal(test_read_byte(t, a), 5);
}

/* pin-record: a pin whose registry record cannot be allocated fails with
 * ENOMEM and leaves nothing pinned. */
static void test_kind_pin_record(void **state)
{
	struct task_struct *t = test_task_create("t");
	unsigned long a = test_mmap(t, 4 * PG, RW, MAP_PRIVATE | MAP_ANONYMOUS);
	struct page *pages[4];
	long ret;

	(void)state;
	for (int i = 0; i < 4; i++)
		test_write_byte(t, a + i * PG, (unsigned char)i);
	assert_int_equal(pnm_fault_fail_nth(PNM_FAULT_PIN_RECORD, 1), 0);
	mmap_read_lock(t->mm);
	ret = pin_user_pages_remote(t->mm, a, 4, FOLL_WRITE | FOLL_LONGTERM, pages, NULL);
	mmap_read_unlock(t->mm);
	assert_int_equal(ret, -ENOMEM);
	for (int i = 0; i < 4; i++)
		assert_false(folio_maybe_dma_pinned(test_folio(t, a + i * PG)));
	assert_int_equal(injected(PNM_FAULT_PIN_RECORD), 1);
	CHECK_ALL();
	mmap_read_lock(t->mm);
	ret = pin_user_pages_remote(t->mm, a, 4, FOLL_WRITE | FOLL_LONGTERM, pages, NULL);
	mmap_read_unlock(t->mm);
	assert_int_equal(ret, 4);
	unpin_user_pages(pages, 4);
}

/* xa-node and page: a buffered write to a new page of a file fails with
 * ENOMEM, the cache and the file are unchanged. */
static void test_kind_xa_node_and_page(void **state)
{
	struct file *f = test_open(PNM_FS_DISK, "x");
	char buf[4] = "";

	(void)state;
	assert_int_equal(pnm_fault_fail_nth(PNM_FAULT_XA_NODE, 1), 0);
	assert_int_equal(pnm_file_write(f, "abc", 3, 1 << 20), -ENOMEM);
	assert_int_equal(pnm_file_size(f), 0);
	assert_int_equal(pnm_fault_fail_nth(PNM_FAULT_PAGE, 1), 0);
	assert_int_equal(pnm_file_write(f, "abc", 3, 0), -ENOMEM);
	assert_int_equal(pnm_file_size(f), 0);
	CHECK_ALL();
	assert_int_equal(pnm_file_write(f, "abc", 3, 0), 3);
	assert_int_equal(pnm_file_read(f, buf, 3, 0), 3);
	assert_memory_equal(buf, "abc", 3);
	pnm_file_close(f);
}

/* pwrite and fdatasync: a lost write or a failed sync is a writeback
 * error: each opener's next fsync reports EIO exactly once, and it is
 * counted in pnm_wb_io_errors. */
static void test_kind_pwrite_fdatasync(void **state)
{
	struct file *f = test_open(PNM_FS_DISK, "w"), *g;
	int item = pnm_stat_lookup("pnm_wb_io_errors");
	long errs = pnm_stat_read(item);

	(void)state;
	assert_int_equal(pnm_file_open(PNM_FS_DISK, "w", O_RDWR, &g), 0);
	for (int kind = PNM_FAULT_PWRITE; kind <= PNM_FAULT_FDATASYNC; kind++) {
		assert_int_equal(pnm_file_write(f, "data", 4, 0), 4);
		assert_int_equal(pnm_fault_fail_nth(kind, 1), 0);
		assert_int_equal(pnm_file_fsync(f, 0, INT64_MAX, false), -EIO);
		assert_int_equal(pnm_stat_read(item), ++errs);
		assert_int_equal(pnm_file_fsync(f, 0, INT64_MAX, false), 0);
		assert_int_equal(pnm_file_fsync(g, 0, INT64_MAX, false), -EIO);
		assert_int_equal(pnm_file_fsync(g, 0, INT64_MAX, false), 0);
		CHECK_ALL();
	}
	/* The sync failed after the data was written: the disk has it. */
	assert_int_equal(test_host_byte(f, 0), 'd');
	pnm_file_close(g);
	pnm_file_close(f);
}

/* The host file's size is storage too.  A truncate whose ftruncate
 * fails leaves the host file long (-EIO; the cache is cut); the next
 * fsync makes the host size i_size, and when that ftruncate fails too it
 * is a writeback error like a failed sync: each opener's next fsync
 * reports EIO once.  On disk and on dax. */
static void test_kind_ftruncate_at_fsync(void **state)
{
	static const enum pnm_fs_type fs[] = { PNM_FS_DISK, PNM_FS_DAX };
	int item = pnm_stat_lookup("pnm_wb_io_errors");

	(void)state;
	for (unsigned int i = 0; i < ARRAY_SIZE(fs); i++) {
		struct file *f = test_open(fs[i], "sz"), *g;
		char c;
		long errs, inj;

		assert_int_equal(pnm_file_open(fs[i], "sz", O_RDWR, &g), 0);
		assert_int_equal(pnm_file_write(f, "tail", 4, 3 * PG + 100), 4);
		assert_int_equal(pnm_file_fsync(f, 0, INT64_MAX, false), 0);
		assert_int_equal(test_host_byte(f, 3 * PG + 103), 'l');
		assert_int_equal(pnm_fault_fail_nth(PNM_FAULT_FTRUNCATE, 1), 0);
		assert_int_equal(pnm_file_truncate(f, PG), -EIO);
		assert_int_equal(test_host_pread(f, &c, 1, 3 * PG + 103), 1);
		CHECK_ALL();

		errs = pnm_stat_read(item);
		inj = injected(PNM_FAULT_FTRUNCATE);
		assert_int_equal(pnm_fault_fail_nth(PNM_FAULT_FTRUNCATE, 1), 0);
		assert_int_equal(pnm_file_fsync(f, 0, INT64_MAX, false), -EIO);
		assert_int_equal(injected(PNM_FAULT_FTRUNCATE), inj + 1);
		assert_int_equal(pnm_stat_read(item), errs + 1);
		CHECK_ALL();
		assert_int_equal(pnm_file_fsync(f, 0, INT64_MAX, false), 0);
		assert_int_equal(pnm_file_fsync(g, 0, INT64_MAX, false), -EIO);
		assert_int_equal(pnm_file_fsync(g, 0, INT64_MAX, false), 0);
		/* The retry made the host file i_size. */
		assert_int_equal(test_host_pread(f, &c, 1, 3 * PG + 103), 0);
		CHECK_ALL();
		pnm_file_close(g);
		pnm_file_close(f);
	}
}

/* pread: filling the cache fails with EIO, nothing is cached; ftruncate:
 * a size change fails with EIO; fallocate: a punch falls back to writing
 * zeroes, the range reads as zeroes either way. */
static void test_kind_pread_ftruncate_fallocate(void **state)
{
	struct file *f = test_open(PNM_FS_DISK, "r");
	char buf[PG];

	(void)state;
	memset(buf, 'z', sizeof(buf));
	assert_int_equal(pnm_file_write(f, buf, PG, 0), (ssize_t)PG);
	assert_int_equal(pnm_file_fsync(f, 0, INT64_MAX, false), 0);
	pnm_file_close(f);
	(void)pnm_reclaim_pages(64, true);	/* whatever the close left cached */
	f = test_open(PNM_FS_DISK, "r");
	assert_int_equal(pnm_fault_fail_nth(PNM_FAULT_PREAD, 1), 0);
	assert_int_equal(pnm_file_read(f, buf, 1, 0), -EIO);
	CHECK_ALL();
	assert_int_equal(pnm_file_read(f, buf, 1, 0), 1);
	assert_int_equal(buf[0], 'z');

	assert_int_equal(pnm_fault_fail_nth(PNM_FAULT_FTRUNCATE, 1), 0);
	assert_int_equal(pnm_file_truncate(f, 2 * PG), -EIO);
	assert_int_equal(injected(PNM_FAULT_FTRUNCATE), 1);
	CHECK_ALL();
	assert_int_equal(pnm_file_truncate(f, 2 * PG), 0);

	assert_int_equal(pnm_fault_fail_nth(PNM_FAULT_FALLOCATE, 1), 0);
	assert_int_equal(pnm_file_fallocate(f, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
					    0, PG), 0);
	assert_int_equal(injected(PNM_FAULT_FALLOCATE), 1);
	assert_int_equal(pnm_file_read(f, buf, 1, 0), 1);
	assert_int_equal(buf[0], 0);
	assert_int_equal(test_host_byte(f, 0), 0);
	CHECK_ALL();
	pnm_file_close(f);
}

/* alloc: fork's mm_struct; the fork fails with ENOMEM, the parent is
 * unchanged. */
static void test_kind_alloc(void **state)
{
	struct task_struct *p = test_task_create("p"), *c = NULL;
	unsigned long a = test_mmap(p, PG, RW, MAP_PRIVATE | MAP_ANONYMOUS);
	int err = -ENOMEM;
	unsigned long n;

	(void)state;
	test_write_byte(p, a, 9);
	/* Every allocation fork makes, one at a time, until it succeeds. */
	for (n = 1; err && n < 200; n++) {
		assert_int_equal(pnm_fault_fail_nth(PNM_FAULT_ALLOC, n), 0);
		err = pnm_task_fork(p, "c", &c);
		pnm_fault_off();
		assert_true(err == 0 || err == -ENOMEM);
		CHECK_ALL();
	}
	assert_int_equal(err, 0);
	assert_true(n > 2);
	assert_int_equal(test_read_byte(c, a), 9);
	assert_int_equal(test_read_byte(p, a), 9);
}

/* --- a file's data under every failure ------------------------------------- */

#define NP	6

/* The fill bytes each page of the workload's file may hold: every value a
 * successful write stored there, and 0 (holes, truncation, punching). */
struct oracle {
	uint64_t allowed[NP][4];	/* a bit per byte value */
};

static void allow(struct oracle *o, int page, unsigned char v)
{
	o->allowed[page][v / 64] |= 1ULL << (v % 64);
}

static bool allowed(const struct oracle *o, int page, unsigned char v)
{
	return o->allowed[page][v / 64] & (1ULL << (v % 64));
}

/* An injected failure may only be ENOMEM or EIO. */
static void check_ret(long ret, const char *what)
{
	if (ret < 0 && ret != -ENOMEM && ret != -EIO)
		fail_msg("%s: %ld", what, ret);
}

/* Writes, fsyncs, a truncate and a punch of a disk file; every outcome
 * is noted in @o. */
static void file_workload(struct file *f, struct oracle *o)
{
	static unsigned char buf[PG];

	for (int p = 0; p < NP; p++)
		allow(o, p, 0);
	for (int r = 1; r <= 3; r++) {
		for (int p = 0; p < NP; p++) {
			unsigned char v = (unsigned char)(r * 16 + p);
			ssize_t ret;

			memset(buf, v, PG);
			ret = pnm_file_write(f, buf, PG, (int64_t)(p * PG));
			check_ret(ret, "write");
			/* A failed write may still have stored the page
			 * in the cache before it failed (it reports the
			 * bytes written then); allow its value either way. */
			allow(o, p, v);
		}
		check_ret(pnm_file_fsync(f, 0, INT64_MAX, r & 1), "fsync");
		if (r == 2)
			check_ret(pnm_file_truncate(f, 3 * PG), "truncate");
		check_ret(pnm_file_fallocate(f, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
					     PG, PG), "punch");
	}
}

/* Each page of the file, through the model and on the host after a
 * clean fsync, is one value the oracle allows: no torn page, no byte
 * from nowhere. */
static void check_file_data(struct file *f, const struct oracle *o, const char *kind,
			    unsigned long n)
{
	static unsigned char buf[PG];
	int64_t size = pnm_file_size(f);

	/* The error of a lost write is reported once; then a clean one. */
	(void)pnm_file_fsync(f, 0, INT64_MAX, false);
	assert_int_equal(pnm_file_fsync(f, 0, INT64_MAX, false), 0);
	for (int p = 0; p < NP && (int64_t)(p * PG) < size; p++) {
		for (int where = 0; where < 2; where++) {
			ssize_t got = where ? test_host_pread(f, buf, PG, (off_t)(p * PG))
					    : pnm_file_read(f, buf, PG, (int64_t)(p * PG));

			assert_true(got > 0);
			for (ssize_t i = 0; i < got; i++)
				if (buf[i] != buf[0] || !allowed(o, p, buf[0]))
					fail_msg("%s nth=%lu: %s page %d byte %zd is %#x",
						 kind, n, where ? "host" : "cache", p, i, buf[i]);
		}
	}
}

/* Every kind, every call the workload makes (up to 40 per kind): the file
 * holds allowed data, the model is consistent, nothing leaks. */
static void test_sweep_file_data(void **state)
{
	char name[32];
	int seq = 0;

	(void)state;
	for (int kind = 0; kind < PNM_FAULT_NR_KINDS; kind++) {
		struct pnm_fault_stats st;
		struct oracle o;
		struct file *f;
		unsigned long count;

		memset(&o, 0, sizeof(o));
		snprintf(name, sizeof(name), "sweep%d", seq++);
		f = test_open(PNM_FS_DISK, name);
		pnm_fault_reset();
		pnm_fault_count(true);
		file_workload(f, &o);
		pnm_fault_off();
		pnm_file_close(f);
		assert_int_equal(pnm_fault_stat(kind, &st), 0);
		count = st.calls < 40 ? st.calls : 40;
		print_message("  %-10s %lu calls\n", pnm_fault_kind_name(kind), st.calls);
		for (unsigned long n = 1; n <= count; n++) {
			memset(&o, 0, sizeof(o));
			snprintf(name, sizeof(name), "sweep%d", seq++);
			f = test_open(PNM_FS_DISK, name);
			pnm_fault_reset();
			pnm_fault_fail_nth(kind, n);
			file_workload(f, &o);
			pnm_fault_off();
			assert_int_equal(injected(kind), 1);
			CHECK_ALL();
			check_file_data(f, &o, pnm_fault_kind_name(kind), n);
			pnm_file_close(f);
			CHECK_ALL();
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		FAULT_TEST(test_names_and_errors),
		FAULT_TEST(test_nth_every_count),
		FAULT_TEST(test_kind_vma),
		FAULT_TEST(test_kind_rmap),
		FAULT_TEST(test_kind_pin_record),
		FAULT_TEST(test_kind_xa_node_and_page),
		FAULT_TEST(test_kind_pwrite_fdatasync),
		FAULT_TEST(test_kind_ftruncate_at_fsync),
		FAULT_TEST(test_kind_pread_ftruncate_fallocate),
		FAULT_TEST(test_kind_alloc),
		FAULT_TEST(test_sweep_file_data),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
