// SPDX-License-Identifier: MIT
/*
 * test_writeback.c - page-writeback.c on a test-local filesystem
 * (wb_testfs.h): dirty accounting; in-place writeback of unpinned folios
 * (cleaned, PG_writeback around ->writepage, PTEs write-protected so the
 * next write faults into ->page_mkwrite); ranges and WB_SYNC_NONE
 * limits; the two policies for pinned folios (STABLE: skipped in the
 * background, bounced and kept dirty for data integrity; LINUX: written
 * in place and cleaned); the data-changed-during-write check; write
 * errors; dirty thresholds and balance_dirty_pages; the flusher thread,
 * pnm_writeback_run and ksys_sync on real disk/dax/shmem files; and a
 * seeded threaded race of writeback against a device writing a
 * pinned page, which must never produce an unstable write under STABLE.
 */
#include <limits.h>
#include <pthread.h>
#include <string.h>

#include "wb_testfs.h"

#define PG	PAGE_SIZE

static int setup_policy(enum pnm_wb_policy policy)
{
	struct pnm_config cfg;

	pnm_test_config(&cfg);
	cfg.wb_policy = policy;
	pnm_test_init_with(&cfg);
	return 0;
}

static int setup_stable(void **state)
{
	(void)state;
	return setup_policy(PNM_WB_STABLE);
}

static int setup_linux(void **state)
{
	(void)state;
	return setup_policy(PNM_WB_LINUX);
}

/* Is @addr mapped writable in @t? */
static bool pte_is_writable(struct task_struct *t, unsigned long addr)
{
	unsigned long pfn;
	bool w = false;

	assert_int_equal(pnm_mm_translate(t->mm, addr, &pfn, &w), 0);
	return w;
}

/* Pin the page at @addr of @t for a device that writes (short-term
 * FOLL_WRITE pin, like Direct IO). */
static struct page *pin_for_device(struct task_struct *t, unsigned long addr)
{
	struct task_struct *prev = pnm_task_enter(t);
	struct page *page = NULL;

	assert_int_equal(pin_user_pages_fast(addr, 1, FOLL_WRITE, &page), 1);
	pnm_task_leave(prev);
	return page;
}

static void test_dirty_accounting(void **state)
{
	struct tfs *t = tfs_create(0);
	long dirty = global_stat(NR_FILE_DIRTY), dirtied = global_stat(NR_DIRTIED);
	struct folio *small, *large, *anon;

	(void)state;
	small = tfs_add_folio(t, 1, 0, 0x11, false);
	large = tfs_add_folio(t, 4, 2, 0x22, false);
	assert_int_equal(global_stat(NR_FILE_DIRTY), dirty);
	CHECK_ALL();

	folio_lock(small);
	assert_true(folio_mark_dirty(small));
	assert_false(folio_mark_dirty(small));		/* already */
	folio_unlock(small);
	folio_lock(large);
	assert_true(folio_mark_dirty(large));
	folio_unlock(large);
	assert_int_equal(atomic_read(&t->dirties), 3);	/* ->dirty_folio decides */
	assert_int_equal(global_stat(NR_FILE_DIRTY), dirty + 5);
	assert_int_equal(global_stat(NR_DIRTIED), dirtied + 5);
	CHECK_ALL();

	/* Cancelling (truncate's way of cleaning) gives the counts back. */
	folio_lock(large);
	set_bit(PG_pnm_nofs_dirty, &large->page.flags);
	folio_cancel_dirty(large);
	assert_false(folio_test_dirty(large));
	assert_false(test_bit(PG_pnm_nofs_dirty, &large->page.flags));
	folio_cancel_dirty(large);			/* clean: nothing */
	folio_unlock(large);
	assert_int_equal(global_stat(NR_FILE_DIRTY), dirty + 1);

	/* No mapping (anon): PG_dirty only, nothing counted. */
	anon = folio_alloc(GFP_HIGHUSER_MOVABLE, 0);
	assert_non_null(anon);
	assert_true(folio_mark_dirty(anon));
	assert_false(folio_mark_dirty(anon));
	assert_true(folio_test_dirty(anon));
	assert_int_equal(global_stat(NR_FILE_DIRTY), dirty + 1);
	folio_put(anon);				/* freed dirty: fine */

	folio_put(small);
	folio_put(large);
	tfs_destroy(t);					/* cancels the last one */
	assert_int_equal(global_stat(NR_FILE_DIRTY), dirty);
	CHECK_ALL();
}

static void test_writeback_in_place(void **state)
{
	struct tfs *t = tfs_create(0);
	long written = global_stat(NR_WRITTEN), dirty = global_stat(NR_FILE_DIRTY);
	struct folio *f0, *f3, *f8;
	struct writeback_control wbc;
	int i;

	(void)state;
	f0 = tfs_add_folio(t, 0, 0, 0xa0, true);
	f3 = tfs_add_folio(t, 3, 0, 0xa3, true);
	f8 = tfs_add_folio(t, 8, 2, 0xa8, true);
	folio_put(tfs_add_folio(t, 5, 0, 0xa5, false));	/* clean: not written */
	folio_put(f0);
	assert_int_equal(global_stat(NR_FILE_DIRTY), dirty + 6);
	CHECK_ALL();

	assert_int_equal(tfs_writeback(t, WB_SYNC_ALL, &wbc), 0);
	assert_int_equal(tfs_nrec(t), 3);
	for (i = 0; i < 3; i++) {
		struct tfs_rec *r = &t->recs[i];

		/* In index order, from the folio itself, already clean,
		 * under writeback and locked during the call. */
		assert_int_equal(r->index, i == 0 ? 0 : i == 1 ? 3 : 8);
		assert_true(r->src_is_folio);
		assert_false(r->bounced);
		assert_false(r->dirty);
		assert_true(r->writeback);
		assert_true(r->locked);
		assert_int_equal(r->sync_mode, WB_SYNC_ALL);
	}
	assert_int_equal(t->recs[2].nr, 4);
	assert_int_equal(t->disk[0], 0xa0);
	assert_int_equal(t->disk[3 * PG + 17], 0xa3);
	assert_int_equal(t->disk[11 * PG + PG - 1], 0xa8);
	assert_int_equal(t->disk[5 * PG], 0);		/* the clean one */
	assert_false(folio_test_dirty(f3));
	assert_false(folio_test_writeback(f8));
	assert_int_equal(global_stat(NR_FILE_DIRTY), dirty);
	assert_int_equal(global_stat(NR_WRITEBACK), 0);
	assert_int_equal(global_stat(NR_WRITTEN), written + 6);
	assert_int_equal(global_stat(PNM_WB_UNSTABLE), 0);
	assert_int_equal(wbc.nr_to_write, LONG_MAX - 6);
	CHECK_ALL();

	/* Nothing dirty: a second pass writes nothing. */
	assert_int_equal(tfs_writeback(t, WB_SYNC_ALL, NULL), 0);
	assert_int_equal(tfs_nrec(t), 3);

	folio_put(f3);
	folio_put(f8);
	tfs_destroy(t);
	CHECK_ALL();
}

static void test_range_and_limits(void **state)
{
	struct tfs *t = tfs_create(0);
	struct writeback_control wbc = {
		.sync_mode = WB_SYNC_NONE,
		.nr_to_write = 1,
		.range_start = 0,
		.range_end = LLONG_MAX,
	};
	struct folio *f[4];
	int i;

	(void)state;
	for (i = 0; i < 4; i++)
		f[i] = tfs_add_folio(t, (pgoff_t)i * 2, 0, (unsigned char)(0x40 + i), true);

	/* Bytes [PG, 4 PG - 1] (inclusive) cover index 2 only. */
	assert_int_equal(filemap_fdatawrite_range(tfs_mapping(t), PG, 4 * PG - 1), 0);
	assert_int_equal(tfs_nrec(t), 1);
	assert_int_equal(t->recs[0].index, 2);
	assert_true(folio_test_dirty(f[0]));
	assert_false(folio_test_dirty(f[1]));

	/* A range ending inside a folio still writes the whole folio. */
	assert_int_equal(filemap_fdatawrite_range(tfs_mapping(t), 4 * PG + 5, 4 * PG + 6), 0);
	assert_int_equal(tfs_nrec(t), 2);
	assert_int_equal(t->recs[1].index, 4);

	/* WB_SYNC_NONE stops after nr_to_write pages. */
	assert_int_equal(do_writepages(tfs_mapping(t), &wbc), 0);
	assert_int_equal(tfs_nrec(t), 3);
	assert_int_equal(t->recs[2].index, 0);
	assert_int_equal(wbc.nr_to_write, 0);
	assert_true(folio_test_dirty(f[3]));

	/* WB_SYNC_NONE skips a locked folio; WB_SYNC_ALL would wait. */
	folio_lock(f[3]);
	assert_int_equal(tfs_writeback(t, WB_SYNC_NONE, &wbc), 0);
	assert_int_equal(wbc.pages_skipped, 1);
	assert_int_equal(tfs_nrec(t), 3);
	folio_unlock(f[3]);
	assert_int_equal(filemap_write_and_wait_range(tfs_mapping(t), 0, LLONG_MAX), 0);
	assert_int_equal(tfs_nrec(t), 4);
	assert_false(folio_test_dirty(f[3]));
	CHECK_ALL();

	for (i = 0; i < 4; i++)
		folio_put(f[i]);
	tfs_destroy(t);
	CHECK_ALL();
}

/* After a clean, the next CPU write faults into ->page_mkwrite again. */
static void test_clean_write_protects(void **state)
{
	struct task_struct *p = test_task_create("p");
	struct tfs *t = tfs_create(0x5a);
	long mkclean = global_stat(PNM_PAGE_MKCLEAN);
	unsigned long a = tfs_mmap_task(t, p);
	struct folio *folio;

	(void)state;
	/* A read maps the clean page read-only. */
	assert_int_equal(test_read_byte(p, a + 2 * PG), 0x5a);
	assert_false(pte_is_writable(p, a + 2 * PG));
	assert_int_equal(atomic_read(&t->mkwrites), 0);

	test_write_byte(p, a + 2 * PG + 1, 0x61);
	assert_int_equal(atomic_read(&t->mkwrites), 1);
	assert_true(pte_is_writable(p, a + 2 * PG));
	folio = test_folio(p, a + 2 * PG);
	assert_true(folio_test_dirty(folio));
	test_write_byte(p, a + 2 * PG + 2, 0x62);	/* writable: no fault */
	assert_int_equal(atomic_read(&t->mkwrites), 1);
	CHECK_ALL();

	assert_int_equal(tfs_writeback(t, WB_SYNC_ALL, NULL), 0);
	assert_int_equal(tfs_nrec(t), 1);
	assert_int_equal(t->disk[2 * PG + 1], 0x61);
	assert_int_equal(t->disk[2 * PG + 2], 0x62);
	assert_false(folio_test_dirty(folio));
	assert_false(pte_is_writable(p, a + 2 * PG));
	assert_int_equal(global_stat(PNM_PAGE_MKCLEAN), mkclean + 1);
	CHECK_ALL();

	/* The filesystem hears of the next write. */
	test_write_byte(p, a + 2 * PG + 3, 0x63);
	assert_int_equal(atomic_read(&t->mkwrites), 2);
	assert_true(folio_test_dirty(folio));
	assert_int_equal(tfs_writeback(t, WB_SYNC_NONE, NULL), 0);
	assert_int_equal(t->disk[2 * PG + 3], 0x63);
	CHECK_ALL();

	pnm_task_exit(p);
	tfs_destroy(t);
	CHECK_ALL();
}

/* STABLE: a pinned folio is skipped in the background, bounced for data
 * integrity, stays dirty until unpinned; the device's data then lands. */
static void test_stable_pinned(void **state)
{
	struct task_struct *p = test_task_create("p");
	struct tfs *t = tfs_create(0);
	unsigned long a = tfs_mmap_task(t, p);
	long bounced = global_stat(PNM_WB_BOUNCED), skipped = global_stat(PNM_WB_SKIP_PINNED);
	long dirty = global_stat(NR_FILE_DIRTY);
	struct writeback_control wbc;
	unsigned char dev[64];
	struct folio *folio;
	struct page *page;

	(void)state;
	test_write_byte(p, a + PG, 0x31);
	page = pin_for_device(p, a + PG);
	folio = page_folio(page);
	assert_true(folio_maybe_dma_pinned(folio));
	assert_true(folio_test_dirty(folio));

	/* Background writeback leaves it alone. */
	assert_int_equal(tfs_writeback(t, WB_SYNC_NONE, &wbc), 0);
	assert_int_equal(tfs_nrec(t), 0);
	assert_int_equal(wbc.pages_skipped, 1);
	assert_int_equal(global_stat(PNM_WB_SKIP_PINNED), skipped + 1);
	assert_true(folio_test_dirty(folio));

	/* Data integrity: a bounce copy is written; still dirty after. */
	assert_int_equal(tfs_writeback(t, WB_SYNC_ALL, NULL), 0);
	assert_int_equal(tfs_nrec(t), 1);
	assert_true(t->recs[0].bounced);
	assert_false(t->recs[0].src_is_folio);
	assert_true(t->recs[0].dirty);
	assert_true(t->recs[0].writeback);
	assert_int_equal(t->disk[PG], 0x31);
	assert_true(folio_test_dirty(folio));
	assert_int_equal(global_stat(NR_FILE_DIRTY), dirty + 1);
	assert_int_equal(global_stat(PNM_WB_BOUNCED), bounced + 1);
	/* Write-protected for the copy (stable pages), though still dirty:
	 * the next CPU write faults into ->page_mkwrite again. */
	assert_false(pte_is_writable(p, a + PG));
	test_write_byte(p, a + PG + 1, 0x32);
	assert_int_equal(atomic_read(&t->mkwrites), 2);
	assert_true(folio_test_dirty(folio));
	assert_int_equal(global_stat(NR_FILE_DIRTY), dirty + 1);
	CHECK_ALL();

	/* The device writes; the next fsync-style pass bounces that. */
	memset(dev, 0xd1, sizeof(dev));
	assert_int_equal(pnm_dma_write(&page, 1, 100, dev, sizeof(dev)), 0);
	assert_int_equal(filemap_write_and_wait_range(tfs_mapping(t), 0, LLONG_MAX), 0);
	assert_int_equal(t->disk[PG + 100], 0xd1);
	assert_true(folio_test_dirty(folio));

	/* More device data, then the unpin (dirty): written in place. */
	memset(dev, 0xd2, sizeof(dev));
	assert_int_equal(pnm_dma_write(&page, 1, 200, dev, sizeof(dev)), 0);
	unpin_user_pages_dirty_lock(&page, 1, true);
	assert_false(folio_maybe_dma_pinned(folio));
	assert_int_equal(tfs_writeback(t, WB_SYNC_NONE, NULL), 0);
	assert_false(t->recs[tfs_nrec(t) - 1].bounced);
	assert_true(t->recs[tfs_nrec(t) - 1].src_is_folio);
	assert_int_equal(t->disk[PG + 263], 0xd2);
	assert_int_equal(t->disk[PG + 1], 0x32);
	assert_false(folio_test_dirty(folio));
	assert_int_equal(global_stat(NR_FILE_DIRTY), dirty);
	assert_int_equal(global_stat(PNM_WB_UNSTABLE), 0);
	assert_int_equal(global_stat(PNM_WB_PINNED_INPLACE), 0);
	CHECK_ALL();

	pnm_task_exit(p);
	tfs_destroy(t);
	CHECK_ALL();
}

/* LINUX: pinned folios are written in place and cleaned like others; a
 * later device write is kept only if the pin is released dirty. */
static void test_linux_pinned(void **state)
{
	struct task_struct *p = test_task_create("p");
	struct tfs *t = tfs_create(0);
	unsigned long a = tfs_mmap_task(t, p);
	unsigned char dev[16];
	struct folio *folio;
	struct page *pages[2];

	(void)state;
	test_write_byte(p, a, 0x41);
	test_write_byte(p, a + PG, 0x42);
	pages[0] = pin_for_device(p, a);
	pages[1] = pin_for_device(p, a + PG);
	folio = page_folio(pages[0]);

	assert_int_equal(tfs_writeback(t, WB_SYNC_NONE, NULL), 0);
	assert_int_equal(tfs_nrec(t), 2);
	assert_true(t->recs[0].src_is_folio);
	assert_false(t->recs[0].bounced);
	assert_int_equal(global_stat(PNM_WB_PINNED_INPLACE), 2);
	assert_int_equal(global_stat(PNM_WB_BOUNCED), 0);
	assert_false(folio_test_dirty(folio));
	assert_false(pte_is_writable(p, a));
	CHECK_ALL();

	/* The device writes behind the clean: nothing notices. */
	memset(dev, 0xe1, sizeof(dev));
	assert_int_equal(pnm_dma_write(pages, 2, 8, dev, sizeof(dev)), 0);
	assert_int_equal(pnm_dma_write(pages, 2, PG + 8, dev, sizeof(dev)), 0);
	assert_false(folio_test_dirty(folio));
	assert_int_equal(tfs_writeback(t, WB_SYNC_ALL, NULL), 0);
	assert_int_equal(tfs_nrec(t), 2);
	assert_int_equal(t->disk[8], 0);

	/* Page 0 released dirty: its data is written.  Page 1 released
	 * clean: the device's bytes never reach the file. */
	unpin_user_pages_dirty_lock(&pages[0], 1, true);
	unpin_user_pages_dirty_lock(&pages[1], 1, false);
	assert_true(folio_test_dirty(folio));
	assert_int_equal(tfs_writeback(t, WB_SYNC_ALL, NULL), 0);
	assert_int_equal(t->disk[8], 0xe1);
	assert_int_equal(t->disk[PG + 8], 0);
	assert_int_equal(t->disk[PG], 0x42);
	CHECK_ALL();

	pnm_task_exit(p);
	tfs_destroy(t);
	CHECK_ALL();
}

/* ->writepage hook: the device writes the page while it is being written. */
static void device_writes_during_io(struct tfs *t, struct folio *folio,
				    struct writeback_control *wbc)
{
	struct page **page = t->hook_arg;
	unsigned char b = 0x99;

	(void)folio;
	(void)wbc;
	assert_int_equal(pnm_dma_write(page, 1, 7, &b, 1), 0);
}

static void run_unstable(enum pnm_wb_policy policy)
{
	struct task_struct *p = test_task_create("p");
	struct tfs *t = tfs_create(0);
	unsigned long a = tfs_mmap_task(t, p);
	struct page *page;

	test_write_byte(p, a + 3 * PG, 0x13);
	page = pin_for_device(p, a + 3 * PG);
	t->hook = device_writes_during_io;
	t->hook_arg = &page;
	assert_int_equal(tfs_writeback(t, WB_SYNC_ALL, NULL), 0);
	assert_int_equal(tfs_nrec(t), 1);
	if (policy == PNM_WB_STABLE) {
		/* The bounce copy did not change: the file got a stable
		 * snapshot, and the folio stays dirty for the new byte. */
		assert_int_equal(global_stat(PNM_WB_UNSTABLE), 0);
		assert_int_equal(t->disk[3 * PG + 7], 0);
		assert_true(folio_test_dirty(page_folio(page)));
	} else {
		/* In place: the data changed under the write. */
		assert_int_equal(global_stat(PNM_WB_UNSTABLE), 1);
		assert_false(folio_test_dirty(page_folio(page)));
	}
	t->hook = NULL;
	unpin_user_pages_dirty_lock(&page, 1, true);
	assert_int_equal(tfs_writeback(t, WB_SYNC_ALL, NULL), 0);
	assert_int_equal(t->disk[3 * PG + 7], 0x99);
	assert_int_equal(t->disk[3 * PG], 0x13);
	CHECK_ALL();
	pnm_task_exit(p);
	tfs_destroy(t);
	CHECK_ALL();
}

static void test_unstable_stable(void **state)
{
	(void)state;
	run_unstable(PNM_WB_STABLE);
}

static void test_unstable_linux(void **state)
{
	(void)state;
	run_unstable(PNM_WB_LINUX);
}

static void test_write_error(void **state)
{
	struct tfs *t = tfs_create(0);
	long errors = global_stat(PNM_WB_IO_ERRORS);
	struct folio *f1, *f2;

	(void)state;
	f1 = tfs_add_folio(t, 1, 0, 0x71, true);
	f2 = tfs_add_folio(t, 2, 0, 0x72, true);
	atomic_set(&t->inject, -EIO);
	/* The first folio fails, the second is still written. */
	assert_int_equal(tfs_writeback(t, WB_SYNC_ALL, NULL), -EIO);
	assert_int_equal(tfs_nrec(t), 2);
	assert_int_equal(t->recs[0].ret, -EIO);
	assert_int_equal(t->disk[PG], 0);
	assert_int_equal(t->disk[2 * PG], 0x72);
	/* Clean anyway: the data now lives only in memory (Linux). */
	assert_false(folio_test_dirty(f1));
	assert_int_equal(global_stat(PNM_WB_IO_ERRORS), errors + 1);
	/* Reported to the opener once. */
	assert_int_equal(file_check_and_advance_wb_err(&t->file), -EIO);
	assert_int_equal(file_check_and_advance_wb_err(&t->file), 0);
	CHECK_ALL();

	/* fsync's path returns the error of its own writeback, once. */
	folio_lock(f2);
	folio_mark_dirty(f2);
	folio_unlock(f2);
	atomic_set(&t->inject, -ENOSPC);
	assert_int_equal(t->file.f_op->fsync(&t->file, 0, LLONG_MAX, 0), -ENOSPC);
	assert_int_equal(t->file.f_op->fsync(&t->file, 0, LLONG_MAX, 0), 0);
	CHECK_ALL();

	folio_put(f1);
	folio_put(f2);
	tfs_destroy(t);
	CHECK_ALL();
}

static void test_thresholds(void **state)
{
	unsigned long bg, limit, frames = pnm_mem.nr_frames;

	(void)state;
	global_dirty_limits(&bg, &limit);
	assert_int_equal(bg, frames / 10);
	assert_int_equal(limit, frames / 5);
	assert_int_equal(pnm_fini(), 0);

	{
		struct pnm_config cfg;

		pnm_test_config(&cfg);
		cfg.dirty_background_pages = 40;
		cfg.dirty_limit_pages = 30;		/* bg >= limit: halved */
		pnm_test_init_with(&cfg);
		global_dirty_limits(&bg, &limit);
		assert_int_equal(bg, 15);
		assert_int_equal(limit, 30);
	}
}

static int setup_small_limits(void **state)
{
	struct pnm_config cfg;

	(void)state;
	pnm_test_config(&cfg);
	cfg.dirty_background_pages = 4;
	cfg.dirty_limit_pages = 8;
	pnm_test_init_with(&cfg);
	return 0;
}

/* Above the limit the writer writes back its own mapping. */
static void test_balance_dirty_pages(void **state)
{
	struct tfs *t = tfs_create(0);
	struct folio *f[12];
	int i;

	(void)state;
	for (i = 0; i < 12; i++)
		f[i] = tfs_add_folio(t, (pgoff_t)i, 0, (unsigned char)i, true);
	assert_int_equal(global_stat(NR_FILE_DIRTY), 12);
	balance_dirty_pages_ratelimited(tfs_mapping(t));
	assert_true(global_stat(NR_FILE_DIRTY) <= 8);
	assert_true(tfs_nrec(t) >= 4);
	assert_int_equal(t->recs[0].sync_mode, WB_SYNC_NONE);
	/* Below the limit: nothing more happens. */
	i = tfs_nrec(t);
	balance_dirty_pages_ratelimited(tfs_mapping(t));
	assert_int_equal(tfs_nrec(t), i);
	CHECK_ALL();

	/* Nothing writable left (all locked): the writer gives up. */
	for (i = 0; i < 12; i++) {
		folio_lock(f[i]);
		folio_mark_dirty(f[i]);
	}
	balance_dirty_pages_ratelimited(tfs_mapping(t));
	assert_int_equal(global_stat(NR_FILE_DIRTY), 12);
	for (i = 0; i < 12; i++) {
		folio_unlock(f[i]);
		folio_put(f[i]);
	}
	tfs_destroy(t);
	CHECK_ALL();
}

static int setup_flusher(void **state)
{
	struct pnm_config cfg;

	(void)state;
	pnm_test_config(&cfg);
	cfg.writeback_thread = true;
	cfg.writeback_interval_ms = 60000;	/* only explicit wakeups */
	pnm_test_init_with(&cfg);
	return 0;
}

static void test_flusher_thread(void **state)
{
	unsigned long passes;

	(void)state;
	assert_int_equal(pnm_writeback_start(), -EBUSY);
	passes = pnm_flusher_passes();
	assert_int_equal(pnm_flusher_kick_and_wait(), 0);
	assert_true(pnm_flusher_passes() >= passes + 1);
	wakeup_flusher_threads();
	assert_int_equal(pnm_flusher_kick_and_wait(), 0);
	CHECK_ALL();

	pnm_writeback_stop();
	assert_int_equal(pnm_flusher_kick_and_wait(), -ESRCH);
	wakeup_flusher_threads();			/* no thread: nothing */
	pnm_writeback_stop();				/* twice: fine */
	assert_int_equal(pnm_writeback_start(), 0);
	assert_int_equal(pnm_flusher_kick_and_wait(), 0);
	CHECK_ALL();
	/* pnm_fini stops it. */
}

/* Fill @n bytes at @off of a real file with @v through write(2). */
static void file_fill(struct file *f, loff_t off, size_t n, unsigned char v)
{
	unsigned char buf[3 * PG];
	loff_t pos = off;

	assert_true(n <= sizeof(buf));
	memset(buf, v, n);
	assert_int_equal(kernel_write(f, buf, n, &pos), (ssize_t)n);
}

/* What the host backing file holds at @off (one byte), or -1. */
static int host_byte(struct file *f, off_t off)
{
	unsigned char b;

	return test_host_pread(f, &b, 1, off) == 1 ? b : -1;
}

/* The flusher writes back real (namei) inodes when woken. */
static void test_flusher_writes_files(void **state)
{
	struct file *f = test_open(PNM_FS_DISK, "flushme");
	struct file *s = test_open(PNM_FS_SHMEM, "notme");

	(void)state;
	file_fill(f, 0, 3 * PG, 0x3c);
	file_fill(s, 0, PG, 0x3d);			/* never written back */
	assert_true(global_stat(NR_FILE_DIRTY) >= 3);
	assert_int_equal(host_byte(f, 2 * PG), -1);	/* not on disk yet */
	assert_int_equal(pnm_flusher_kick_and_wait(), 0);
	assert_int_equal(global_stat(NR_FILE_DIRTY), 0);
	assert_int_equal(host_byte(f, 0), 0x3c);
	assert_int_equal(host_byte(f, 3 * PG - 1), 0x3c);
	CHECK_ALL();
	fput(f);
	fput(s);
	CHECK_ALL();
}

/* pnm_writeback_run from the caller; background passes respect the
 * threshold; ksys_sync writes every inode (page cache and dax) and only
 * records errors, which each opener's fsync then reports once. */
static void test_run_and_sync(void **state)
{
	struct file *f = test_open(PNM_FS_DISK, "runme");
	struct file *g = test_open(PNM_FS_DISK, "syncme");
	struct file *d = test_open(PNM_FS_DAX, "daxme");
	struct file *g2;

	(void)state;
	file_fill(f, 0, 2 * PG, 0x51);
	/* Far below the background threshold: a background pass does
	 * nothing, a full one writes both pages. */
	assert_int_equal(pnm_writeback_run(true), 0);
	assert_true(global_stat(NR_FILE_DIRTY) >= 2);
	assert_true(pnm_writeback_run(false) >= 2);
	assert_int_equal(global_stat(NR_FILE_DIRTY), 0);
	assert_int_equal(host_byte(f, PG + 7), 0x51);
	assert_int_equal(pnm_writeback_run(false), 0);
	CHECK_ALL();

	file_fill(f, PG, PG, 0x52);
	file_fill(g, 0, PG, 0x53);
	file_fill(d, 0, PG, 0x54);
	assert_int_equal(host_byte(d, 0), -1);		/* dax: not persisted */
	ksys_sync();
	assert_int_equal(global_stat(NR_FILE_DIRTY), 0);
	assert_int_equal(host_byte(f, PG), 0x52);
	assert_int_equal(host_byte(g, 0), 0x53);
	assert_int_equal(host_byte(d, 0), 0x54);
	CHECK_ALL();

	/* A failing sync: nothing returned, each opener told once. */
	g2 = pnm_filp_open(PNM_FS_DISK, "syncme", O_RDWR);
	assert_false(IS_ERR_OR_NULL(g2));
	file_fill(g, 0, PG, 0x55);
	assert_int_equal(pnm_fs_inject_error(g, PNM_IO_WRITE, -EIO, 1), 0);
	ksys_sync();
	assert_int_equal(vfs_fsync(g, 0), -EIO);
	assert_int_equal(vfs_fsync(g, 0), 0);
	assert_int_equal(vfs_fsync(g2, 0), -EIO);
	assert_int_equal(vfs_fsync(g2, 0), 0);
	assert_int_equal(vfs_fsync(f, 0), 0);		/* another file */
	CHECK_ALL();

	fput(g2);
	fput(d);
	fput(g);
	fput(f);
	CHECK_ALL();
}

/* --- a device racing with writeback (threads) --------------------------------- */

#define RACE_PAGES	2
#define RACE_ROUNDS	200		/* writeback passes, at least */
#define RACE_WRITES	3000		/* device writes */

struct race {
	struct page *pages[RACE_PAGES];
	uint64_t seed;
	atomic_t done;			/* the device finished */
	atomic_long_t writes;
	unsigned char last[RACE_PAGES][32];	/* device thread only until join */
	bool wrote[RACE_PAGES];			/* likewise */
};

static void *device_thread(void *arg)
{
	struct race *r = arg;
	unsigned char buf[32];
	uint64_t s = r->seed;
	unsigned long n = 0;

	while (n < RACE_WRITES) {
		unsigned int pg = (unsigned int)(test_rand(&s) % RACE_PAGES);
		size_t i;

		for (i = 0; i < sizeof(buf); i++)
			buf[i] = (unsigned char)test_rand(&s);
		if (pnm_dma_write(r->pages, RACE_PAGES, pg * PG + 64, buf, sizeof(buf)))
			break;
		memcpy(r->last[pg], buf, sizeof(buf));
		r->wrote[pg] = true;
		n++;
		atomic_long_inc(&r->writes);
	}
	atomic_set(&r->done, 1);
	return NULL;
}

static void run_race(enum pnm_wb_policy policy, uint64_t seed)
{
	struct task_struct *p = test_task_create("p");
	struct tfs *t = tfs_create(0);
	unsigned long a = tfs_mmap_task(t, p);
	struct race r = { .seed = seed };
	pthread_t dev;
	int i;

	for (i = 0; i < RACE_PAGES; i++) {
		test_write_byte(p, a + (unsigned long)i * PG, (unsigned char)(0x10 + i));
		r.pages[i] = pin_for_device(p, a + (unsigned long)i * PG);
		memset(r.last[i], 0, sizeof(r.last[i]));
	}
	assert_int_equal(pthread_create(&dev, NULL, device_thread, &r), 0);
	/* Writeback passes for as long as the device writes (bounded by its
	 * RACE_WRITES), and at least RACE_ROUNDS of them. */
	for (i = 0; i < RACE_ROUNDS || !atomic_read(&r.done); i++) {
		enum writeback_sync_modes mode = (i & 3) ? WB_SYNC_ALL : WB_SYNC_NONE;

		assert_int_equal(tfs_writeback(t, mode, NULL), 0);
		/* Re-dirty as the application would (pinned: stays dirty
		 * under STABLE anyway). */
		if (policy == PNM_WB_LINUX)
			set_page_dirty_lock(r.pages[i % RACE_PAGES]);
	}
	assert_int_equal(pthread_join(dev, NULL), 0);
	assert_int_equal(atomic_long_read(&r.writes), RACE_WRITES);
	if (policy == PNM_WB_STABLE) {
		/* Every write came from a private snapshot. */
		assert_int_equal(global_stat(PNM_WB_UNSTABLE), 0);
		assert_int_equal(global_stat(PNM_WB_PINNED_INPLACE), 0);
		assert_true(global_stat(PNM_WB_BOUNCED) > 0);
		for (i = 0; i < RACE_PAGES; i++)
			assert_true(folio_test_dirty(page_folio(r.pages[i])));
	}
	CHECK_ALL();

	/* After the unpin the device's last data reaches the file. */
	unpin_user_pages_dirty_lock(r.pages, RACE_PAGES, true);
	assert_int_equal(filemap_write_and_wait_range(tfs_mapping(t), 0, LLONG_MAX), 0);
	for (i = 0; i < RACE_PAGES; i++) {
		if (r.wrote[i])
			assert_memory_equal(t->disk + i * PG + 64, r.last[i], sizeof(r.last[i]));
		assert_int_equal(t->disk[i * PG], 0x10 + i);
		assert_false(folio_test_dirty(page_folio(r.pages[i])));
	}
	CHECK_ALL();
	pnm_task_exit(p);
	tfs_destroy(t);
	CHECK_ALL();
}

static void test_race_device_stable(void **state)
{
	(void)state;
	run_race(PNM_WB_STABLE, 0x5eed0001ULL);
}

static void test_race_device_linux(void **state)
{
	(void)state;
	/* Only the model's invariants: UNSTABLE may or may not be hit. */
	run_race(PNM_WB_LINUX, 0x5eed0002ULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_dirty_accounting, setup_stable, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_writeback_in_place, setup_stable, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_range_and_limits, setup_stable, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_clean_write_protects, setup_stable, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_stable_pinned, setup_stable, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_linux_pinned, setup_linux, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_unstable_stable, setup_stable, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_unstable_linux, setup_linux, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_write_error, setup_stable, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_thresholds, setup_stable, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_balance_dirty_pages, setup_small_limits, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_flusher_thread, setup_flusher, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_flusher_writes_files, setup_flusher, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_run_and_sync, setup_stable, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_race_device_stable, setup_stable, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_race_device_linux, setup_linux, pnm_test_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
