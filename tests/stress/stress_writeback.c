// SPDX-License-Identifier: MIT
/*
 * stress_writeback.c - devices writing pinned file pages while writeback
 * writes them out.
 *
 * One disk file of NR_PAGES pages, mapped MAP_SHARED by one process (its
 * first half cached in small folios, the second in 64 KiB folios).  Its
 * pages are owned in runs of two by four writers, so that each page has
 * exactly one writer and its final content is known:
 *
 *   devices (2)   pin_user_pages_fast(FOLL_WRITE) one or two of their pages
 *                 (short-term pins, Direct I/O style), pnm_dma_write() one
 *                 to three full-page stamps into them, now and then
 *                 fsync the page while pinned and write it once more (the
 *                 2018 sequence), check the last data through the pin
 *                 and through the process's mapping, and
 *                 unpin_user_pages_dirty_lock(..., true) (with the stable
 *                 policy a quarter of the releases do not dirty: stable
 *                 writeback never cleans a pinned page, so nothing may be
 *                 lost even then); now and then a read-only pin and
 *                 pnm_dma_read() of the last data;
 *   cpu writer    pnm_user_write() full pages through the mapping (write
 *                 faults, ->page_mkwrite after every clean), read back;
 *   buffered      kernel_write() full pages (write_begin/write_end, the
 *                 dirty limit throttles it into writing back itself), read
 *                 back with kernel_read();
 *   syncer        fsync, fsync of a random range, msync(MS_SYNC), sync(),
 *                 one background writeback pass, in a random mix;
 *   the flusher   pnm_writeback_start() with a 1 ms interval and a
 *                 low background threshold.
 *
 * Invariants: every call succeeds (no backing errors are injected); a
 * device reads back what it wrote while it holds the pin, and so does the
 * process through its mapping; at the end no pin is left, the checkers
 * pass, no page was dirtied behind the filesystem's back or lost
 * (pnm_fs_dirty_no_blocks, pnm_wb_lost, pnm_wb_io_errors unchanged), with
 * the stable policy no page changed while it was written
 * (pnm_wb_unstable unchanged), and after a final fsync the host file
 * holds, page by page, the last data its writer wrote -- also after the
 * inode is evicted and the file reopened.  The same run is repeated with
 * the linux policy, where pnm_wb_unstable is only reported (the
 * documented risk).
 *
 * Device transfers and writeback's copies of page data use relaxed
 * atomic word accesses (dma.c); no CPU thread touches a page a device
 * owns, so the run is clean under ThreadSanitizer.
 *
 * Usage: stress_writeback [seed [iterations]], or the environment
 * variables PINMM_STRESS_SEED and PINMM_STRESS_ITERS (the arguments win).
 * Seeded and bounded: the other threads stop when the devices are done
 * or after their own bound (cpu writer 4, buffered 2, syncer 1 times the
 * device iterations), whichever comes first.
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
#define NR_PAGES	96		/* 384 KiB: several 64 KiB folios */
#define RUN		2		/* pages per ownership run */
#define NR_DEVICES	2
#define OWNER_CPU	NR_DEVICES
#define OWNER_BUF	(NR_DEVICES + 1)
#define NR_OWNERS	(NR_DEVICES + 2)
#define WORDS		(PG / sizeof(uint64_t))

#ifdef PNM_TSAN
#define DEFAULT_ITERS	1000
#else
#define DEFAULT_ITERS	4000
#endif

static uint64_t seed = 0x5eedb0c5;
static unsigned long nr_iters = DEFAULT_ITERS;

struct shared {
	struct task_struct *p;
	struct file *f;
	unsigned long base;			/* the mapping, NR_PAGES long */
	enum pnm_wb_policy policy;
	unsigned long iters;			/* per device */
	/* Last stamp written to each page, by its owner only; read after
	 * the join. */
	uint64_t expect[NR_PAGES];
	atomic_t devices_left;			/* the others stop at 0 */
	atomic_t failures;
	atomic_t first_error;
	atomic_long_t dma_writes, cpu_writes, buf_writes, syncs, pinned_syncs;
};

static void record_failure(struct shared *sh, int code)
{
	if (atomic_inc_return(&sh->failures) == 1)
		fprintf(stderr, "stress_writeback: first failure %d\n", code);
	atomic_cmpxchg(&sh->first_error, 0, code);
}

static bool devices_running(struct shared *sh)
{
	/* Acquire: pairs with the devices' release decrement. */
	return atomic_read_acquire(&sh->devices_left) > 0;
}

static int page_owner(unsigned long index)
{
	return (int)((index / RUN) % NR_OWNERS);
}

/* A random page of @owner (the first of its run if @run_start). */
static unsigned long pick_page(uint64_t r, int owner, bool run_start)
{
	unsigned long nr_runs = NR_PAGES / RUN / NR_OWNERS;
	unsigned long run = (r % nr_runs) * NR_OWNERS + (unsigned long)owner;

	return run * RUN + (run_start ? 0 : (r >> 32) % RUN);
}

static uint64_t make_stamp(int owner, unsigned long iter, unsigned long index, int k)
{
	return ((uint64_t)(owner + 1) << 56) | ((uint64_t)iter << 16) |
	       ((uint64_t)index << 4) | (uint64_t)k;
}

static void fill_page(uint64_t *buf, uint64_t stamp)
{
	for (size_t i = 0; i < WORDS; i++)
		buf[i] = stamp + i * 0x9e3779b97f4a7c15ULL;
}

static bool page_is(const uint64_t *buf, uint64_t stamp)
{
	for (size_t i = 0; i < WORDS; i++)
		if (buf[i] != stamp + i * 0x9e3779b97f4a7c15ULL)
			return false;
	return true;
}

/* --- devices ------------------------------------------------------------------- */

struct device {
	struct shared *sh;
	int id;
	uint64_t rng;
	pthread_t thread;
	uint64_t buf[WORDS];
};

/* A read-only pin of one of our pages: the device reads the last data. */
static void device_read(struct device *dv, unsigned long index)
{
	struct shared *sh = dv->sh;
	struct page *page;
	int ret = pin_user_pages_fast(sh->base + index * PG, 1, 0, &page);

	if (ret != 1) {
		record_failure(sh, 100 + (ret < 0 ? -ret : 0));
		return;
	}
	if (pnm_dma_read(&page, 1, 0, dv->buf, PG) || !page_is(dv->buf, sh->expect[index]))
		record_failure(sh, 101);
	unpin_user_page(page);
}

static void *device_main(void *arg)
{
	struct device *dv = arg;
	struct shared *sh = dv->sh;
	struct page *pages[RUN];

	pnm_task_enter(sh->p);
	for (unsigned long iter = 1; iter <= sh->iters; iter++) {
		uint64_t r = test_rand(&dv->rng), r2 = test_rand(&dv->rng);
		int n = (r >> 8) & 1 ? RUN : 1;
		unsigned long first = pick_page(r >> 16, dv->id, n == RUN);
		int writes = 1 + (int)((r2 >> 16) % 3);
		uint64_t stamp = 0;
		int ret;

		if ((r & 7) == 0) {
			device_read(dv, first);
			continue;
		}
		ret = pin_user_pages_fast(sh->base + first * PG, n, FOLL_WRITE, pages);
		if (ret != n) {
			record_failure(sh, 1000 + (ret < 0 ? -ret : 0));
			if (ret > 0)
				unpin_user_pages(pages, (unsigned long)ret);
			continue;
		}
		for (int i = 0; i < n; i++) {
			if (!page_maybe_dma_pinned(pages[i]))
				record_failure(sh, 2);
			for (int k = 0; k < writes; k++) {
				stamp = make_stamp(dv->id, iter, first + (unsigned long)i, k);
				fill_page(dv->buf, stamp);
				if (pnm_dma_write(&pages[i], 1, 0, dv->buf, PG))
					record_failure(sh, 3);
				atomic_long_inc(&sh->dma_writes);
			}
			/* Now and then the 2018 sequence on this page: fsync
			 * while pinned (bounce / in place), the device writes
			 * again afterwards. */
			if ((r2 & 7) == 0) {
				loff_t pos = (loff_t)((first + (unsigned long)i) * PG);
				int err = vfs_fsync_range(sh->f, pos, pos + (loff_t)PG - 1, 1);

				if (err)
					record_failure(sh, 6000 - err);
				stamp = make_stamp(dv->id, iter, first + (unsigned long)i, 3);
				fill_page(dv->buf, stamp);
				if (pnm_dma_write(&pages[i], 1, 0, dv->buf, PG))
					record_failure(sh, 7);
				atomic_long_inc(&sh->pinned_syncs);
			}
			sh->expect[first + (unsigned long)i] = stamp;
			/* Through the pin, then through the process's mapping. */
			if (pnm_dma_read(&pages[i], 1, 0, dv->buf, PG) || !page_is(dv->buf, stamp))
				record_failure(sh, 4);
			if (pnm_user_read(sh->p, sh->base + (first + (unsigned long)i) * PG,
					  dv->buf, PG) || !page_is(dv->buf, stamp))
				record_failure(sh, 5);
		}
		/* Dirty, as the API asks.  With the stable policy, every
		 * fourth release does not dirty: the page became dirty at pin
		 * time and stable writeback never cleans a pinned page, so
		 * the data must reach the disk anyway. */
		unpin_user_pages_dirty_lock(pages, (unsigned long)n,
					    sh->policy != PNM_WB_STABLE || (r2 >> 8) % 4);
	}
	pnm_task_leave(NULL);
	/* Release: the others stop after seeing zero. */
	atomic_sub_return(1, &sh->devices_left);
	return NULL;
}

/* --- CPU writers --------------------------------------------------------------- */

struct worker {
	struct shared *sh;
	uint64_t rng;
	pthread_t thread;
	uint64_t buf[WORDS];
};

static void *cpu_writer_main(void *arg)
{
	struct worker *w = arg;
	struct shared *sh = w->sh;

	for (unsigned long iter = 1; devices_running(sh) && iter <= 4 * sh->iters; iter++) {
		unsigned long index = pick_page(test_rand(&w->rng), OWNER_CPU, false);
		unsigned long addr = sh->base + index * PG;
		uint64_t stamp = make_stamp(OWNER_CPU, iter, index, 0);

		fill_page(w->buf, stamp);
		if (pnm_user_write(sh->p, addr, w->buf, PG)) {
			record_failure(sh, 20);
			continue;
		}
		sh->expect[index] = stamp;
		atomic_long_inc(&sh->cpu_writes);
		memset(w->buf, 0, PG);
		if (pnm_user_read(sh->p, addr, w->buf, PG) || !page_is(w->buf, stamp))
			record_failure(sh, 21);
	}
	return NULL;
}

static void *buffered_writer_main(void *arg)
{
	struct worker *w = arg;
	struct shared *sh = w->sh;

	for (unsigned long iter = 1; devices_running(sh) && iter <= 2 * sh->iters; iter++) {
		unsigned long index = pick_page(test_rand(&w->rng), OWNER_BUF, false);
		uint64_t stamp = make_stamp(OWNER_BUF, iter, index, 0);
		loff_t pos = (loff_t)(index * PG);
		ssize_t ret;

		fill_page(w->buf, stamp);
		ret = kernel_write(sh->f, w->buf, PG, &pos);
		if (ret != (ssize_t)PG) {
			record_failure(sh, 30);
			continue;
		}
		sh->expect[index] = stamp;
		atomic_long_inc(&sh->buf_writes);
		memset(w->buf, 0, PG);
		pos = (loff_t)(index * PG);
		if (kernel_read(sh->f, w->buf, PG, &pos) != (ssize_t)PG ||
		    !page_is(w->buf, stamp))
			record_failure(sh, 31);
	}
	return NULL;
}

/* --- writeback from the outside ------------------------------------------------ */

static void *syncer_main(void *arg)
{
	struct worker *w = arg;
	struct shared *sh = w->sh;

	for (unsigned long n = 0; devices_running(sh) && n < sh->iters; n++) {
		uint64_t r = test_rand(&w->rng);
		loff_t start = (loff_t)((r >> 8) % NR_PAGES) * PG;
		loff_t len = (loff_t)(1 + (r >> 24) % 16) * PG;
		int err = 0;

		switch (r % 8) {
		case 0:
		case 1:
			err = vfs_fsync(sh->f, (r >> 40) & 1);
			break;
		case 2:
		case 3:
			err = vfs_fsync_range(sh->f, start, start + len - 1, 1);
			break;
		case 4:
			if (start + len > (loff_t)(NR_PAGES * PG))
				len = (loff_t)(NR_PAGES * PG) - start;
			err = pnm_mm_msync(sh->p->mm, sh->base + (unsigned long)start,
					(size_t)len, MS_SYNC);
			break;
		case 5:
			ksys_sync();
			break;
		default:
			(void)pnm_writeback_run((r >> 40) & 1);
			break;
		}
		if (err)
			record_failure(sh, 40 + (int)(r % 8) * 1000 - err);
		atomic_long_inc(&sh->syncs);
	}
	return NULL;
}

/* --- the test ------------------------------------------------------------------ */

static void check_host(struct shared *sh, struct file *f, uint64_t *buf, const char *when)
{
	unsigned long bad = 0, first_bad = 0;

	for (unsigned long i = 0; i < NR_PAGES; i++) {
		if (test_host_pread(f, buf, PG, (off_t)(i * PG)) != (ssize_t)PG ||
		    !page_is(buf, sh->expect[i])) {
			if (!bad++)
				first_bad = i;
		}
	}
	if (bad)
		print_error("%s: %lu pages differ on the host, first %lu (owner %d, "
			    "expected stamp %#llx, found word0 %#llx)\n", when, bad, first_bad,
			    page_owner(first_bad), (unsigned long long)sh->expect[first_bad],
			    (unsigned long long)buf[0]);
	assert_int_equal(bad, 0);
}

/* Create (empty) the host file @name in the model's data directory. */
static int open_host_file(const char *name)
{
	char path[PATH_MAX];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", pnm_fs_data_dir(), name);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	return fd;
}

static void run(enum pnm_wb_policy policy, unsigned long iters)
{
	struct device dv[NR_DEVICES];
	struct worker wk[3];
	void *(*const fns[3])(void *) = { cpu_writer_main, buffered_writer_main, syncer_main };
	struct pnm_config cfg;
	struct shared *sh;
	uint64_t *buf;
	loff_t pos = 0;
	long nob, lost, ioerr, unstable, bounced, skipped, inplace, pgpgout;
	const char *pname = policy == PNM_WB_STABLE ? "stable" : "linux";
	int host_fd;

	pnm_test_config(&cfg);
	cfg.wb_policy = policy;
	/* The flusher runs only while the threads do (started below): the
	 * checkers need a quiescent model. */
	cfg.writeback_thread = false;
	cfg.writeback_interval_ms = 1;
	cfg.dirty_background_pages = 48;
	cfg.dirty_limit_pages = 80;
	pnm_test_init_with(&cfg);

	sh = calloc(1, sizeof(*sh));
	buf = malloc(PG);
	assert_non_null(sh);
	assert_non_null(buf);
	sh->policy = policy;
	sh->p = test_task_create("dio-app");
	assert_non_null(sh->p);
	/* The first half of the file is written through the model (write()
	 * makes small folios), the second half exists on the host before the
	 * open (faults and reads fill it with 64 KiB folios, which mix pages
	 * of every owner). */
	host_fd = open_host_file("wbfile");
	for (unsigned long i = 0; i < NR_PAGES; i++) {
		sh->expect[i] = make_stamp(NR_OWNERS, 0, i, 0);
		fill_page(buf, sh->expect[i]);
		if (i >= NR_PAGES / 2)
			assert_int_equal(pwrite(host_fd, buf, PG, (off_t)(i * PG)), PG);
	}
	close(host_fd);
	sh->f = test_open(PNM_FS_DISK, "wbfile");
	for (unsigned long i = 0; i < NR_PAGES / 2; i++) {
		fill_page(buf, sh->expect[i]);
		assert_int_equal(kernel_write(sh->f, buf, PG, &pos), PG);
	}
	assert_int_equal(vfs_fsync(sh->f, 0), 0);
	sh->base = (unsigned long)pnm_mm_mmap(sh->p->mm, 0, NR_PAGES * PG, RW, MAP_SHARED, sh->f, 0);
	assert_true((long)sh->base > 0);
	check_host(sh, sh->f, buf, "after setup");
	CHECK_ALL();

	nob = global_stat(PNM_FS_DIRTY_NO_BLOCKS);
	lost = global_stat(PNM_WB_LOST);
	ioerr = global_stat(PNM_WB_IO_ERRORS);
	unstable = global_stat(PNM_WB_UNSTABLE);
	bounced = global_stat(PNM_WB_BOUNCED);
	skipped = global_stat(PNM_WB_SKIP_PINNED);
	inplace = global_stat(PNM_WB_PINNED_INPLACE);
	pgpgout = global_stat(PGPGOUT);

	sh->iters = iters;
	assert_int_equal(pnm_writeback_start(), 0);
	atomic_set(&sh->devices_left, NR_DEVICES);
	for (int i = 0; i < NR_DEVICES; i++) {
		dv[i].sh = sh;
		dv[i].id = i;
		dv[i].rng = seed * (2 * (uint64_t)i + 3) + 7;
		assert_int_equal(pthread_create(&dv[i].thread, NULL, device_main, &dv[i]), 0);
	}
	for (int i = 0; i < 3; i++) {
		wk[i].sh = sh;
		wk[i].rng = seed * (2 * (uint64_t)i + 11) + 13;
		assert_int_equal(pthread_create(&wk[i].thread, NULL, fns[i], &wk[i]), 0);
	}
	for (int i = 0; i < NR_DEVICES; i++)
		pthread_join(dv[i].thread, NULL);
	for (int i = 0; i < 3; i++)
		pthread_join(wk[i].thread, NULL);
	pnm_writeback_stop();

	print_message("stress_writeback[%s]: seed %#llx, %lu iterations x %d devices: "
		      "%ld dma writes, %ld cpu writes, %ld buffered writes, %ld syncs, "
		      "%ld fsyncs by devices while pinned; "
		      "bounced %ld, skip_pinned %ld, pinned_inplace %ld, unstable %ld, "
		      "pgpgout %ld; %d failures (first %d)\n", pname,
		      (unsigned long long)seed, iters, NR_DEVICES,
		      atomic_long_read(&sh->dma_writes), atomic_long_read(&sh->cpu_writes),
		      atomic_long_read(&sh->buf_writes), atomic_long_read(&sh->syncs),
		      atomic_long_read(&sh->pinned_syncs),
		      global_stat(PNM_WB_BOUNCED) - bounced,
		      global_stat(PNM_WB_SKIP_PINNED) - skipped,
		      global_stat(PNM_WB_PINNED_INPLACE) - inplace,
		      global_stat(PNM_WB_UNSTABLE) - unstable, global_stat(PGPGOUT) - pgpgout,
		      atomic_read(&sh->failures), atomic_read(&sh->first_error));
	assert_int_equal(atomic_read(&sh->failures), 0);
	assert_int_equal(global_stat(NR_FOLL_PIN_ACQUIRED), global_stat(NR_FOLL_PIN_RELEASED));
	for (int k = 0; k < PNM_NR_MISUSE; k++)
		assert_int_equal(pnm_misuse_count(k), 0);
	assert_int_equal(global_stat(PNM_FS_DIRTY_NO_BLOCKS), nob);
	assert_int_equal(global_stat(PNM_WB_IO_ERRORS), ioerr);
	if (policy == PNM_WB_STABLE) {
		assert_int_equal(global_stat(PNM_WB_UNSTABLE), unstable);
		assert_int_equal(global_stat(PNM_WB_PINNED_INPLACE), inplace);
	} else {
		assert_int_equal(global_stat(PNM_WB_BOUNCED), bounced);
		assert_int_equal(global_stat(PNM_WB_SKIP_PINNED), skipped);
	}
	CHECK_ALL();

	/* Everything unpinned: one fsync puts the last data on disk. */
	assert_int_equal(vfs_fsync(sh->f, 0), 0);
	assert_int_equal(global_stat(PNM_WB_LOST), lost);
	check_host(sh, sh->f, buf, "after the final fsync");
	CHECK_ALL();

	/* Evict the inode, reopen: what a new opener reads is the same. */
	assert_int_equal(pnm_mm_munmap(sh->p->mm, sh->base, NR_PAGES * PG), 0);
	fput(sh->f);
	CHECK_ALL();
	sh->f = test_open(PNM_FS_DISK, "wbfile");
	for (unsigned long i = 0; i < NR_PAGES; i++) {
		pos = (loff_t)(i * PG);
		assert_int_equal(kernel_read(sh->f, buf, PG, &pos), PG);
		if (!page_is(buf, sh->expect[i]))
			fail_msg("after reopen: page %lu (owner %d) lost its last data", i,
				 page_owner(i));
	}
	check_host(sh, sh->f, buf, "after reopen");
	fput(sh->f);
	pnm_task_exit(sh->p);
	put_task_struct(sh->p);
	CHECK_ALL();
	free(buf);
	free(sh);
}

static void stress_writeback_stable(void **state)
{
	(void)state;
	run(PNM_WB_STABLE, nr_iters);
}

static void stress_writeback_linux(void **state)
{
	(void)state;
	run(PNM_WB_LINUX, nr_iters / 2 ? nr_iters / 2 : 1);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(stress_writeback_stable, pnm_test_teardown),
		cmocka_unit_test_teardown(stress_writeback_linux, pnm_test_teardown),
	};
	test_stress_params("stress_writeback", argc, argv, &seed, &nr_iters);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
