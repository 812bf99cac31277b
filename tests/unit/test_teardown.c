// SPDX-License-Identifier: MIT
/*
 * test_teardown.c - pnm_teardown(), the embedder's one-call error path
 * (pnm.c): a clean model gives 0 and zero counts; a model left with live
 * tasks (fork children, the calling thread inside one), pins (of anon
 * pages, of a THP, of file pages truncated while pinned, of a process
 * that already exited), open files and the flusher running gives -EBUSY
 * with exact counts, every item reported through the log hook and
 * nothing on stderr, and a new pnm_init() then finds every frame free;
 * a pin of the huge zero page is released too; legacy pins (plain
 * references, no pin counts) are released through the registry's
 * records; with the registry off, pinned frames are counted as leaked; the report may be NULL; its size is checked like the
 * configuration's.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gup_test.h"

/* --- a log hook that keeps what it is given --------------------------------- */

static struct test_log_capture cap = TEST_LOG_CAPTURE_INIT;

/* Captured lines containing @needle at @level. */
static int count_lines(const char *needle, enum pnm_log_level level)
{
	return test_log_count(&cap, needle, level);
}

static void td_config(struct pnm_config *cfg)
{
	pnm_test_config(cfg);
	cfg->log = test_log_capture;
	cfg->log_arg = &cap;
}

static void td_init(const struct pnm_config *cfg)
{
	pthread_mutex_lock(&cap.lock);
	cap.nr = 0;
	pthread_mutex_unlock(&cap.lock);
	pnm_test_init_with(cfg);
}

/* A fresh model after a teardown: every frame but the zero page free. */
static void assert_fresh_model(const struct pnm_config *cfg)
{
	assert_false(pnm_initialised);
	assert_int_equal(pnm_init(cfg), 0);
	assert_int_equal(pnm_nr_allocated_frames(), 1);
	assert_int_equal(pnm_nr_free_frames(), pnm_mem.nr_frames - 1);
	assert_int_equal(global_stat(NR_FREE_PAGES), (long)pnm_mem.nr_frames - 1);
	assert_int_equal(pnm_pin_registry_count(-1), 0);
	CHECK_ALL();
	assert_int_equal(pnm_fini(), 0);
}

static struct pnm_teardown_report garbage_report(void)
{
	struct pnm_teardown_report r;

	memset(&r, 0x5a, sizeof(r));
	r.size = sizeof(r);
	return r;
}

/* --- tests ----------------------------------------------------------------------- */

/* Nothing left: 0, zero counts, not a line logged.  A task that exited
 * but is still referenced is not a leftover. */
static void test_clean_model(void **state)
{
	struct pnm_teardown_report r = garbage_report();
	struct pnm_config cfg;
	struct task_struct *t;

	(void)state;
	td_config(&cfg);
	td_init(&cfg);
	t = test_task_create("done");
	test_write_byte(t, test_mmap(t, 4 * PG, RW, PRIV), 7);
	pnm_task_exit(t);

	assert_int_equal(pnm_teardown(&r), 0);
	assert_int_equal(r.size, sizeof(r));
	assert_int_equal(r.tasks, 0);
	assert_int_equal(r.files, 0);
	assert_int_equal(r.pins, 0);
	assert_int_equal(r.pinned_pages, 0);
	assert_int_equal(r.leaked_frames, 0);
	assert_int_equal(cap.nr, 0);
	assert_int_equal(pnm_teardown(&r), -EINVAL);	/* not initialised */
	assert_fresh_model(&cfg);
}

/*
 * Everything an embedder's error path can leave: three live tasks (a
 * parent, a fork child, a grandchild; the calling thread runs as the
 * grandchild), an exited process whose pinned file pages were truncated
 * (detached) while pinned, four pin records over 3 + 4 (of a THP) + 1 + 2
 * pages, two open files and the flusher.
 */
static void test_leftovers_registry_on(void **state)
{
	struct pnm_teardown_report r = garbage_report();
	struct task_struct *p, *c1, *c2, *q;
	struct page *pages[8];
	struct pnm_config cfg;
	struct file *f, *g;
	unsigned long a, b;
	long qa;
	struct test_stderr err;

	(void)state;
	td_config(&cfg);
	cfg.writeback_thread = true;
	td_init(&cfg);
	assert_int_equal(pnm_flusher_kick_and_wait(), 0);	/* it runs */

	p = gt_task("parent");
	a = test_mmap(p, 8 * PG, RW, PRIV);
	gt_write(p, a, 1, 8 * PG);
	assert_int_equal(gt_pin_fast(p, a, 3, FOLL_WRITE, pages), 3);
	b = gt_thp(p, 2);
	assert_int_equal(gt_pin_fast(p, b + 5 * PG, 4, FOLL_WRITE | FOLL_LONGTERM, pages), 4);
	assert_true(folio_test_large(page_folio(pages[0])));
	c1 = gt_fork(p);
	assert_int_equal(gt_pin_fast(c1, a + 5 * PG, 1, FOLL_WRITE, pages), 1);
	c2 = gt_fork(c1);

	/* q pins two pages of a disk file, the file is truncated under the
	 * pins and q exits: the pages are detached, owned by no one. */
	q = gt_task("q");
	f = test_open(PNM_FS_DISK, "td");
	assert_int_equal(do_ftruncate(f, 2 * PG), 0);
	qa = pnm_mm_mmap(q->mm, 0, 2 * PG, RW, MAP_SHARED, f, 0);
	assert_true(qa > 0);
	gt_write(q, (unsigned long)qa, 3, 2 * PG);
	assert_int_equal(gt_pin_fast(q, (unsigned long)qa, 2, FOLL_WRITE, pages), 2);
	assert_int_equal(do_ftruncate(f, 0), 0);
	assert_true(test_bit(PG_pnm_truncated, &page_folio(pages[0])->flags));
	assert_null(READ_ONCE(page_folio(pages[0])->mapping));
	pnm_task_exit(q);
	g = test_open(PNM_FS_SHMEM, "left");
	assert_int_equal(do_ftruncate(g, PG), 0);

	assert_int_equal(pnm_pin_registry_count(-1), 10);
	CHECK_ALL();
	pnm_task_enter(c2);
	test_stderr_begin(&err);
	assert_int_equal(pnm_teardown(&r), -EBUSY);
	test_stderr_end(&err);
	assert_int_equal(err.len, 0);

	assert_int_equal(r.size, sizeof(r));
	assert_int_equal(r.tasks, 3);
	assert_int_equal(r.files, 2);
	assert_int_equal(r.pins, 4);
	assert_int_equal(r.pinned_pages, 10);
	assert_int_equal(r.leaked_frames, 0);
	assert_null(pnm_current_task());

	/* Every item was reported. */
	assert_int_equal(count_lines("pinmm: pnm_teardown: task ", PNM_LOG_ERR), 3);
	assert_int_equal(count_lines("'parent' still running", PNM_LOG_ERR), 1);
	assert_int_equal(count_lines("'child' still running", PNM_LOG_ERR), 2);
	assert_int_equal(count_lines("releasing 4 pins of 10 pages still held", PNM_LOG_ERR), 1);
	/* The registry's lines, one per pin (the call sites are gup_test.h's). */
	assert_int_equal(count_lines(" range 0x", PNM_LOG_ERR), 4);
	assert_int_equal(count_lines("gup_test.h:", PNM_LOG_ERR) >= 4, true);
	assert_int_equal(count_lines("left open (1 reference)", PNM_LOG_ERR), 2);
	assert_int_equal(count_lines("still allocated", PNM_LOG_ERR), 0);
	assert_int_equal(count_lines("3 tasks exited, 2 files closed, 4 pins of 10 pages "
				     "released, 0 frames leaked", PNM_LOG_INFO), 1);

	(void)f;
	(void)g;
	assert_fresh_model(&cfg);
}

/* A read-only pin of the huge zero page (a read fault in a THP-suitable
 * VMA maps it) is released too, and the huge zero page goes back. */
static void test_huge_zero_pin(void **state)
{
	struct pnm_teardown_report r = garbage_report();
	struct pnm_config cfg;
	struct page *pages[2];
	struct task_struct *t;
	unsigned char v = 1;
	unsigned long a;

	(void)state;
	td_config(&cfg);
	td_init(&cfg);
	t = gt_task("reader");
	a = test_mmap(t, PMD_SIZE, RW, PRIV);
	assert_int_equal(pnm_mm_madvise(t->mm, a, PMD_SIZE, MADV_HUGEPAGE), 0);
	assert_int_equal(pnm_user_read(t, a, &v, 1), 0);
	assert_int_equal(v, 0);
	assert_int_equal(gt_pin_fast(t, a + PG, 2, 0, pages), 2);
	assert_true(is_huge_zero_folio(page_folio(pages[0])));
	pnm_task_exit(t);

	assert_int_equal(pnm_teardown(&r), -EBUSY);
	assert_int_equal(r.tasks, 0);
	assert_int_equal(r.pins, 1);
	assert_int_equal(r.pinned_pages, 2);
	assert_int_equal(r.leaked_frames, 0);
	assert_int_equal(count_lines("huge zero page", PNM_LOG_ERR), 0);
	assert_fresh_model(&cfg);
}

/* Registry off: the pins cannot be found, so the pinned frames are
 * counted (and reported) as leaked. */
static void test_registry_off_counts_leaked_frames(void **state)
{
	struct pnm_teardown_report r = garbage_report();
	struct pnm_config cfg;
	struct page *pages[3];
	struct task_struct *t;
	unsigned long a;
	struct test_stderr err;

	(void)state;
	td_config(&cfg);
	cfg.pin_registry = false;
	td_init(&cfg);
	t = gt_task("t");
	a = test_mmap(t, 4 * PG, RW, PRIV);
	gt_write(t, a, 9, 4 * PG);
	assert_int_equal(gt_pin_fast(t, a, 3, FOLL_WRITE, pages), 3);

	test_stderr_begin(&err);
	assert_int_equal(pnm_teardown(&r), -EBUSY);
	test_stderr_end(&err);
	assert_int_equal(err.len, 0);
	assert_int_equal(r.tasks, 1);
	assert_int_equal(r.files, 0);
	assert_int_equal(r.pins, 0);
	assert_int_equal(r.pinned_pages, 0);
	assert_int_equal(r.leaked_frames, 3);
	assert_int_equal(count_lines("pinmm: pnm_fini: pages still pinned", PNM_LOG_ERR), 1);
	assert_int_equal(count_lines("pinmm: pnm_fini: 3 frames still allocated", PNM_LOG_ERR), 1);
	assert_int_equal(count_lines("3 frames leaked", PNM_LOG_INFO), 1);
	assert_fresh_model(&cfg);
}

/* Legacy pins are plain references with no pin counts: teardown releases
 * them through the records the registry still holds; nothing leaks. */
static void test_legacy_pins_released(void **state)
{
	struct pnm_teardown_report r = garbage_report();
	struct pnm_config cfg;
	struct page *pages[2];
	struct task_struct *t;
	unsigned long a;

	(void)state;
	td_config(&cfg);
	cfg.legacy_gup = true;
	td_init(&cfg);
	t = gt_task("old");
	a = test_mmap(t, 2 * PG, RW, PRIV);
	gt_write(t, a, 5, 2 * PG);
	assert_int_equal(gt_pin_fast(t, a, 2, FOLL_WRITE, pages), 2);
	assert_int_equal(pnm_pin_registry_count(-1), 2);

	assert_int_equal(pnm_teardown(&r), -EBUSY);
	assert_int_equal(r.tasks, 1);
	assert_int_equal(r.pins, 1);
	assert_int_equal(r.pinned_pages, 2);
	assert_int_equal(r.leaked_frames, 0);
	assert_int_equal(count_lines("releasing 1 pin of 2 pages still held", PNM_LOG_ERR), 1);
	assert_int_equal(count_lines("could not be released", PNM_LOG_ERR), 0);
	assert_fresh_model(&cfg);
}

/* The report may be NULL: the return value still tells. */
static void test_null_report(void **state)
{
	struct pnm_config cfg;

	(void)state;
	td_config(&cfg);
	td_init(&cfg);
	gt_task("alive");
	assert_int_equal(pnm_teardown(NULL), -EBUSY);
	assert_int_equal(count_lines("'alive' still running", PNM_LOG_ERR), 1);
	td_init(&cfg);
	assert_int_equal(pnm_teardown(NULL), 0);
	assert_int_equal(cap.nr, 0);
	assert_int_equal(pnm_teardown(NULL), -EINVAL);
}

/*
 * The report's size, like the configuration's: below the first release's
 * struct (or absurdly large) is -EINVAL and nothing happens; a newer
 * caller's larger struct gets the known fields and a zeroed tail.
 */
static void test_report_size(void **state)
{
	struct {
		struct pnm_teardown_report r;
		unsigned long newer[4];
	} big;
	struct pnm_teardown_report r = garbage_report(), before;
	struct pnm_config cfg;
	size_t i;

	(void)state;
	td_config(&cfg);
	td_init(&cfg);
	gt_task("alive");
	r.size = sizeof(r) - sizeof(unsigned long);
	before = r;
	assert_int_equal(pnm_teardown(&r), -EINVAL);
	assert_memory_equal(&r, &before, sizeof(r));
	r.size = 0;
	assert_int_equal(pnm_teardown(&r), -EINVAL);
	r.size = PNM_STRUCT_SIZE_MAX + 1;
	assert_int_equal(pnm_teardown(&r), -EINVAL);
	/* Nothing was torn down. */
	assert_true(pnm_initialised);
	assert_int_equal(cap.nr, 0);
	CHECK_ALL();

	memset(&big, 0xff, sizeof(big));
	big.r.size = sizeof(big);
	assert_int_equal(pnm_teardown(&big.r), -EBUSY);
	assert_int_equal(big.r.size, sizeof(big));
	assert_int_equal(big.r.tasks, 1);
	assert_int_equal(big.r.files, 0);
	assert_int_equal(big.r.pins, 0);
	assert_int_equal(big.r.pinned_pages, 0);
	assert_int_equal(big.r.leaked_frames, 0);
	for (i = 0; i < 4; i++)
		assert_int_equal(big.newer[i], 0);
	assert_fresh_model(&cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_clean_model, test_cleanup_stderr_and_model),
		cmocka_unit_test_teardown(test_leftovers_registry_on, test_cleanup_stderr_and_model),
		cmocka_unit_test_teardown(test_huge_zero_pin, test_cleanup_stderr_and_model),
		cmocka_unit_test_teardown(test_registry_off_counts_leaked_frames, test_cleanup_stderr_and_model),
		cmocka_unit_test_teardown(test_legacy_pins_released, test_cleanup_stderr_and_model),
		cmocka_unit_test_teardown(test_null_report, test_cleanup_stderr_and_model),
		cmocka_unit_test_teardown(test_report_size, test_cleanup_stderr_and_model),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
