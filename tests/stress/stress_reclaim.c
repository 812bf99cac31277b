// SPDX-License-Identifier: MIT
/*
 * stress_reclaim.c - page-cache reclaim under memory pressure racing with
 * pins, faults and writeback.
 *
 * The model has 8 MiB of memory (Normal 6 MiB, Movable 2 MiB) and a disk
 * file of 12 MiB, created on the host with a known pattern, mapped
 * MAP_SHARED by two processes.  Pages are classed by index % 8: class 0
 * is written by the CPU writer, classes 1 and 2 by one device each, the
 * rest is only read.  Threads:
 *
 *   pinners (2)   keep up to HOLD pages pinned at a time: pin a page of
 *                 their class, FOLL_WRITE and pnm_dma_write() a stamp,
 *                 or (a third of them) read-only, and before unpinning
 *                 it (dirty if written) check that the page is still the
 *                 one cached and mapped at that address, with the
 *                 device's data -- a pinned page is never reclaimed;
 *   reclaimer     pnm_reclaim_pages(random, may_unmap true or false);
 *   readers (2)   read random read-only pages through the mapping or with
 *                 kernel_read(): the pattern the file was created with
 *                 (read faults and reads allocate: the page allocator
 *                 reclaims on failure);
 *   cpu writer    writes a stamp into class-0 pages through the mapping and
 *                 reads back old ones: dirty data must survive reclaim and
 *                 come back from the disk once written;
 *   the flusher   pnm_writeback_start(), 2 ms interval, cleans pages so they
 *                 become reclaimable.
 *
 * Allowed outcomes: -ENOMEM from a fault or a pin when nothing can be
 * reclaimed at that moment (counted); everything else succeeds.  At the
 * end: no pin left, reclaim happened (pgsteal_file), the checkers pass,
 * and after fsync the host file holds the last data of every page, also
 * as read back by a new opener after the inode was evicted.  A scripted
 * prelude first shows, deterministically, that reclaiming everything
 * keeps a pinned page (pnm_reclaim_skip_pinned) with its data.  The test
 * runs with the stable writeback policy (pinned pages stay dirty) and with
 * the linux one (writeback cleans pinned pages in place, so reclaim meets
 * clean pinned pages and must keep them for their pin alone).
 *
 * Usage: stress_reclaim [seed [iterations]], or PINMM_STRESS_SEED and
 * PINMM_STRESS_ITERS (the arguments win).  Seeded and bounded: the other
 * threads stop when the pinners are done.
 */
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "test_util.h"
#include "pinmm_test_internal.h"

#define PG		PAGE_SIZE
#define RW		(PROT_READ | PROT_WRITE)
#define FILE_PAGES	3072		/* 12 MiB, 1.5 times the memory */
#define NR_CLS		8
#define CLS_CPU		0
#define NR_PINNERS	2		/* classes 1 and 2 */
#define NR_READERS	2
#define HOLD		8		/* pins a pinner holds at once */
#define SLOT		64		/* bytes of a page the test uses */
#define NAME		"reclaimfile"

#ifdef PNM_TSAN
#define DEFAULT_ITERS	1500
#else
#define DEFAULT_ITERS	3000
#endif

static uint64_t seed = 0x4ec1a1;
static unsigned long nr_iters = DEFAULT_ITERS;

struct shared {
	struct task_struct *app, *user;
	struct file *f;
	unsigned long app_base, user_base;
	/* Last stamp of each page (0: the creation pattern); written by the
	 * page's one writer, read by it and after the join. */
	uint64_t expect[FILE_PAGES];
	atomic_t pinners_left;
	atomic_t failures;
	atomic_t first_error;
	atomic_long_t pins, checked, reads, writes, reclaimed;
	atomic_long_t enomem[3];		/* by pins, reads, cpu writer */
};

static void record_failure(struct shared *sh, int code)
{
	if (atomic_inc_return(&sh->failures) == 1)
		fprintf(stderr, "stress_reclaim: first failure %d\n", code);
	atomic_cmpxchg(&sh->first_error, 0, code);
}

static bool pinners_running(struct shared *sh)
{
	/* Acquire: pairs with the pinners' release decrement. */
	return atomic_read_acquire(&sh->pinners_left) > 0;
}

static unsigned long pick(uint64_t r, int cls)
{
	return (r % (FILE_PAGES / NR_CLS)) * NR_CLS + (unsigned long)cls;
}

/* The first SLOT bytes of page @index: the creation pattern (stamp 0) or
 * a writer's stamp, eight words. */
static void make_slot(uint64_t *w, unsigned long index, uint64_t stamp)
{
	for (int i = 0; i < SLOT / 8; i++)
		w[i] = stamp ? stamp + (uint64_t)i : 0x1000000ULL * index + (uint64_t)i + 1;
}

static bool slot_is(const void *buf, unsigned long index, uint64_t stamp)
{
	uint64_t w[SLOT / 8];

	make_slot(w, index, stamp);
	return !memcmp(buf, w, SLOT);
}

enum { BY_PIN, BY_READ, BY_CPU };

static void count_err(struct shared *sh, long err, int code, int by)
{
	if (err == -ENOMEM)
		atomic_long_inc(&sh->enomem[by]);
	else
		record_failure(sh, code);
}

/* --- pinners ------------------------------------------------------------------- */

struct held {
	struct page *page;
	unsigned long index;
	uint64_t stamp;
	bool write;			/* FOLL_WRITE pin, device wrote */
};

struct worker {
	struct shared *sh;
	int id;
	uint64_t rng;
	pthread_t thread;
	struct held held[HOLD];
};

/* The pinned page must still be the page cached and mapped at its index,
 * holding the device's data (or, read-only, the last data); then release
 * it, dirty if the device wrote it. */
static void check_and_unpin(struct worker *w, struct held *h)
{
	struct shared *sh = w->sh;
	struct folio *folio = page_folio(h->page);
	unsigned long addr = sh->app_base + h->index * PG, pfn = 0;
	unsigned char buf[SLOT];
	bool writable;
	int err;

	if (pnm_dma_read(&h->page, 1, 0, buf, SLOT) || !slot_is(buf, h->index, h->stamp))
		record_failure(sh, 10);
	if (READ_ONCE(folio->mapping) != sh->f->f_mapping ||
	    READ_ONCE(folio->index) + folio_page_idx(folio, h->page) != h->index)
		record_failure(sh, 11);		/* reclaimed from the cache */
	err = pnm_user_read(sh->app, addr, buf, SLOT);
	if (err) {
		count_err(sh, err, 12, BY_PIN);
	} else {
		if (!slot_is(buf, h->index, h->stamp))
			record_failure(sh, 13);
		if (pnm_mm_translate(sh->app->mm, addr, &pfn, &writable) == 0 &&
		    pfn != page_to_pfn(h->page))
			record_failure(sh, 14);	/* a new page was read in */
		atomic_long_inc(&sh->checked);
	}
	sh->expect[h->index] = h->stamp;
	unpin_user_pages_dirty_lock(&h->page, 1, h->write);
	h->page = NULL;
}

static void *pinner_main(void *arg)
{
	struct worker *w = arg;
	struct shared *sh = w->sh;
	int cls = 1 + w->id;

	pnm_task_enter(sh->app);
	for (unsigned long iter = 1; iter <= nr_iters; iter++) {
		uint64_t r = test_rand(&w->rng);
		struct held *h = &w->held[iter % HOLD];
		unsigned long index = pick(r >> 8, cls);
		uint64_t slot[SLOT / 8];
		int ret;

		if (h->page)
			check_and_unpin(w, h);
		/* Not a page we still hold (a second pin is fine, but its
		 * data would be ambiguous). */
		for (int i = 0; i < HOLD; i++)
			if (w->held[i].page && w->held[i].index == index)
				index = ULONG_MAX;
		if (index == ULONG_MAX)
			continue;
		/* A third of the pins are read-only: the device reads the
		 * page, which stays clean (and reclaimable but for the pin). */
		h->write = (r >> 4) % 3 != 0;
		ret = pin_user_pages_fast(sh->app_base + index * PG, 1,
					  h->write ? FOLL_WRITE : 0, &h->page);
		if (ret != 1) {
			h->page = NULL;
			count_err(sh, ret, 1000 - ret, BY_PIN);
			continue;
		}
		atomic_long_inc(&sh->pins);
		h->index = index;
		if (!h->write) {
			h->stamp = sh->expect[index];
			continue;
		}
		h->stamp = ((uint64_t)(cls + 1) << 56) | (iter << 16) | 0x8000;
		make_slot(slot, index, h->stamp);
		if (pnm_dma_write(&h->page, 1, 0, slot, SLOT))
			record_failure(sh, 2);
	}
	for (int i = 0; i < HOLD; i++)
		if (w->held[i].page)
			check_and_unpin(w, &w->held[i]);
	pnm_task_leave(NULL);
	/* Release: the others stop after seeing zero. */
	atomic_sub_return(1, &sh->pinners_left);
	return NULL;
}

/* --- the others ---------------------------------------------------------------- */

static void *reclaimer_main(void *arg)
{
	struct worker *w = arg;
	struct shared *sh = w->sh;

	while (pinners_running(sh)) {
		uint64_t r = test_rand(&w->rng);
		unsigned long n = pnm_reclaim_pages(1 + r % 256, (r >> 16) % 4 != 0);

		atomic_long_add((long)n, &sh->reclaimed);
	}
	return NULL;
}

static void *reader_main(void *arg)
{
	struct worker *w = arg;
	struct shared *sh = w->sh;
	unsigned char buf[SLOT];

	while (pinners_running(sh)) {
		uint64_t r = test_rand(&w->rng);
		unsigned long index = pick(r >> 8, 3 + (int)((r >> 40) % 5));
		long err;

		if (r & 1) {
			err = pnm_user_read(sh->user, sh->user_base + index * PG, buf, SLOT);
		} else {
			loff_t pos = (loff_t)(index * PG);

			err = kernel_read(sh->f, buf, SLOT, &pos);
			err = err == SLOT ? 0 : err < 0 ? err : -EIO;
		}
		if (err) {
			count_err(sh, err, 40, BY_READ);
			continue;
		}
		if (!slot_is(buf, index, 0))
			record_failure(sh, 41);
		atomic_long_inc(&sh->reads);
	}
	return NULL;
}

static void *cpu_writer_main(void *arg)
{
	struct worker *w = arg;
	struct shared *sh = w->sh;
	uint64_t slot[SLOT / 8];
	unsigned char buf[SLOT];

	for (unsigned long iter = 1; pinners_running(sh); iter++) {
		uint64_t r = test_rand(&w->rng);
		unsigned long index = pick(r >> 8, CLS_CPU);
		unsigned long addr = sh->user_base + index * PG;
		uint64_t stamp = (1ULL << 56) | (iter << 16) | 0x4000;
		int err;

		if (r & 1) {
			/* Read back an earlier one (maybe reclaimed, refaulted). */
			err = pnm_user_read(sh->user, addr, buf, SLOT);
			if (err)
				count_err(sh, err, 50, BY_CPU);
			else if (!slot_is(buf, index, sh->expect[index]))
				record_failure(sh, 51);
			continue;
		}
		make_slot(slot, index, stamp);
		err = pnm_user_write(sh->user, addr, slot, SLOT);
		if (err) {
			count_err(sh, err, 52, BY_CPU);
			continue;
		}
		sh->expect[index] = stamp;
		atomic_long_inc(&sh->writes);
	}
	return NULL;
}

/* --- setup, prelude, the test ---------------------------------------------------- */

/* Create the backing file on the host, before the model opens it. */
static void create_host_file(void)
{
	char path[PATH_MAX];
	uint64_t *page = calloc(1, PG);
	int fd;

	assert_non_null(page);
	snprintf(path, sizeof(path), "%s/%s", pnm_fs_data_dir(), NAME);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	for (unsigned long i = 0; i < FILE_PAGES; i++) {
		make_slot(page, i, 0);
		assert_int_equal(pwrite(fd, page, PG, (off_t)(i * PG)), PG);
	}
	close(fd);
	free(page);
}

/* Reclaiming everything keeps a pinned (and mapped, and clean) page. */
static void prelude_pinned_survives(struct shared *sh)
{
	unsigned long index = 7 * NR_CLS + 3, addr = sh->app_base + index * PG;
	long skip = global_stat(PNM_RECLAIM_SKIP_PINNED);
	struct task_struct *prev;
	unsigned char buf[SLOT];
	struct page *page;
	struct folio *folio, *cached;

	assert_int_equal(pnm_user_read(sh->app, addr, buf, SLOT), 0);
	prev = pnm_task_enter(sh->app);
	assert_int_equal(pin_user_pages_fast(addr, 1, 0, &page), 1);
	pnm_task_leave(prev);
	folio = page_folio(page);
	assert_false(folio_test_dirty(folio));
	(void)pnm_reclaim_pages(FILE_PAGES, true);
	assert_true(global_stat(PNM_RECLAIM_SKIP_PINNED) > skip);
	assert_ptr_equal(folio->mapping, sh->f->f_mapping);
	assert_int_equal(test_pfn(sh->app, addr), page_to_pfn(page));
	assert_int_equal(pnm_dma_read(&page, 1, 0, buf, SLOT), 0);
	assert_true(slot_is(buf, index, 0));
	unpin_user_page(page);
	CHECK_ALL();
	/* Unpinned and unmapped, it goes. */
	assert_int_equal(pnm_mm_madvise(sh->app->mm, addr, PG, MADV_DONTNEED), 0);
	(void)pnm_reclaim_pages(FILE_PAGES, true);
	cached = filemap_get_folio(sh->f->f_mapping, index);
	assert_true(IS_ERR(cached) || cached != folio);
	if (!IS_ERR(cached))
		folio_put(cached);
	CHECK_ALL();
}

static void check_data(struct shared *sh, struct file *f, bool host)
{
	unsigned char buf[SLOT];
	unsigned long bad = 0, first = 0;

	for (unsigned long i = 0; i < FILE_PAGES; i++) {
		loff_t pos = (loff_t)(i * PG);
		bool ok;

		if (host) {
			ok = test_host_pread(f, buf, SLOT, (off_t)pos) == SLOT;
		} else {
			ssize_t n = kernel_read(f, buf, SLOT, &pos);

			assert_true(n == SLOT || n == -ENOMEM);
			ok = n == SLOT;
		}
		if (!ok || !slot_is(buf, i, sh->expect[i])) {
			if (!bad++)
				first = i;
		}
	}
	if (bad)
		fail_msg("%s: %lu pages without their last data, first %lu (class %lu)",
			 host ? "host file" : "reopened file", bad, first, first % NR_CLS);
}

static void run(enum pnm_wb_policy policy)
{
	struct worker wk[NR_PINNERS + 2 + NR_READERS];
	struct pnm_config cfg;
	struct shared *sh;
	long steal, skip, scan, nw = 0;

	pnm_test_config(&cfg);
	cfg.wb_policy = policy;
	cfg.zone_frames[ZONE_NORMAL] = 1536;	/* 6 MiB */
	cfg.zone_frames[ZONE_MOVABLE] = 512;	/* 2 MiB */
	cfg.zone_frames[ZONE_CMA] = 0;
	/* The flusher runs only while the threads do (started below). */
	cfg.writeback_interval_ms = 2;
	pnm_test_init_with(&cfg);

	sh = calloc(1, sizeof(*sh));
	assert_non_null(sh);
	create_host_file();
	sh->app = test_task_create("dio-app");
	sh->user = test_task_create("user");
	assert_non_null(sh->app);
	assert_non_null(sh->user);
	sh->f = test_open(PNM_FS_DISK, NAME);
	assert_int_equal(i_size_read(sh->f->f_inode), (loff_t)(FILE_PAGES * PG));
	sh->app_base = (unsigned long)pnm_mm_mmap(sh->app->mm, 0, FILE_PAGES * PG, RW,
					       MAP_SHARED, sh->f, 0);
	sh->user_base = (unsigned long)pnm_mm_mmap(sh->user->mm, 0, FILE_PAGES * PG, RW,
						MAP_SHARED, sh->f, 0);
	assert_true((long)sh->app_base > 0 && (long)sh->user_base > 0);
	CHECK_ALL();
	prelude_pinned_survives(sh);

	steal = global_stat(PGSTEAL_FILE);
	skip = global_stat(PNM_RECLAIM_SKIP_PINNED);
	scan = global_stat(PGSCAN_FILE);
	atomic_set(&sh->pinners_left, NR_PINNERS);
	assert_int_equal(pnm_writeback_start(), 0);
	for (int i = 0; i < (int)ARRAY_SIZE(wk); i++) {
		void *(*fn)(void *) = i < NR_PINNERS ? pinner_main :
				      i == NR_PINNERS ? reclaimer_main :
				      i == NR_PINNERS + 1 ? cpu_writer_main : reader_main;

		memset(&wk[i], 0, sizeof(wk[i]));
		wk[i].sh = sh;
		wk[i].id = i;
		wk[i].rng = seed * (2 * (uint64_t)i + 3) + 7;
		assert_int_equal(pthread_create(&wk[i].thread, NULL, fn, &wk[i]), 0);
		nw++;
	}
	for (int i = 0; i < nw; i++)
		pthread_join(wk[i].thread, NULL);
	pnm_writeback_stop();

	print_message("stress_reclaim[%s]: seed %#llx, %lu iterations x %d pinners: %ld pins "
		      "(%ld checked), %ld reads, %ld cpu writes, -ENOMEM %ld/%ld/%ld (pins/reads/"
		      "cpu); reclaimed %ld "
		      "(pgscan_file %ld, pgsteal_file %ld, skip_pinned %ld); %d failures "
		      "(first %d)\n", policy == PNM_WB_STABLE ? "stable" : "linux",
		      (unsigned long long)seed, nr_iters, NR_PINNERS,
		      atomic_long_read(&sh->pins), atomic_long_read(&sh->checked),
		      atomic_long_read(&sh->reads), atomic_long_read(&sh->writes),
		      atomic_long_read(&sh->enomem[BY_PIN]), atomic_long_read(&sh->enomem[BY_READ]),
		      atomic_long_read(&sh->enomem[BY_CPU]), atomic_long_read(&sh->reclaimed),
		      global_stat(PGSCAN_FILE) - scan, global_stat(PGSTEAL_FILE) - steal,
		      global_stat(PNM_RECLAIM_SKIP_PINNED) - skip,
		      atomic_read(&sh->failures), atomic_read(&sh->first_error));
	assert_int_equal(atomic_read(&sh->failures), 0);
	assert_true(atomic_long_read(&sh->checked) > 0);
	assert_true(atomic_long_read(&sh->reads) > 0);
	assert_true(global_stat(PGSTEAL_FILE) > steal);
	assert_int_equal(global_stat(NR_FOLL_PIN_ACQUIRED), global_stat(NR_FOLL_PIN_RELEASED));
	for (int k = 0; k < PNM_NR_MISUSE; k++)
		assert_int_equal(pnm_misuse_count(k), 0);
	assert_int_equal(global_stat(PNM_FS_DIRTY_NO_BLOCKS), 0);
	assert_int_equal(global_stat(PNM_WB_LOST), 0);
	CHECK_ALL();

	assert_int_equal(vfs_fsync(sh->f, 0), 0);
	check_data(sh, sh->f, true);
	CHECK_ALL();

	/* Evict (unmap everything, drop the file), reopen, read it all back
	 * through the cache of a machine smaller than the file. */
	assert_int_equal(pnm_mm_munmap(sh->app->mm, sh->app_base, FILE_PAGES * PG), 0);
	assert_int_equal(pnm_mm_munmap(sh->user->mm, sh->user_base, FILE_PAGES * PG), 0);
	fput(sh->f);
	CHECK_ALL();
	sh->f = test_open(PNM_FS_DISK, NAME);
	check_data(sh, sh->f, false);
	fput(sh->f);
	pnm_task_exit(sh->app);
	pnm_task_exit(sh->user);
	put_task_struct(sh->app);
	put_task_struct(sh->user);
	CHECK_ALL();
	free(sh);
}

static void stress_reclaim_stable(void **state)
{
	(void)state;
	run(PNM_WB_STABLE);
}

/* Writeback cleans pinned pages in place: reclaim sees clean pinned pages
 * and must keep them by their pin alone. */
static void stress_reclaim_linux(void **state)
{
	(void)state;
	run(PNM_WB_LINUX);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(stress_reclaim_stable, pnm_test_teardown),
		cmocka_unit_test_teardown(stress_reclaim_linux, pnm_test_teardown),
	};
	test_stress_params("stress_reclaim", argc, argv, &seed, &nr_iters);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
