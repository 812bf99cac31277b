// SPDX-License-Identifier: MIT
/*
 * stress_truncate.c - truncate, grow and hole punch racing with faults,
 * pins and buffered writes on one file.
 *
 * A file of at most MAXP pages is mapped MAP_SHARED (MAXP pages long) by
 * two processes: "dio-app", whose threads pin its pages for a device, and
 * "user", whose threads fault on them.  Threads:
 *
 *   truncator     ftruncate to a random size (shrink or grow, page or
 *                 half-page aligned), punch a random hole
 *                 (FALLOC_FL_PUNCH_HOLE | KEEP_SIZE), fallocate (extends
 *                 the size), fsync, in a random mix;
 *   faulters (2)  pnm_user_write()/pnm_user_read() of their own 8-byte slot
 *                 in the "cpu" pages, reads of the "quiet" pages;
 *   pinner        pin_user_pages_fast(FOLL_WRITE) of one or two "dma"
 *                 pages, pnm_dma_write() a stamp (one to three times),
 *                 pnm_dma_read() it back, unpin_user_pages_dirty_lock();
 *                 sometimes a read-only pin, sometimes a FOLL_LONGTERM
 *                 write pin (-EFAULT on disk);
 *   buffered      kernel_write()/kernel_read() of an 8-byte stamp in the
 *                 "buffered" pages (a write beyond the end grows the file);
 *   the flusher   (disk) pnm_writeback_start(), 2 ms interval, stopped
 *                 before the checkers run (they need a quiescent model).
 *
 * Pages are classed by index % 4 (cpu, dma, buffered, quiet) and every
 * thread touches only the first 256 bytes of its own class, while sizes and
 * holes are multiples of 2 KiB, so a partial-page zeroing never overlaps
 * data another thread accesses (no CPU/CPU race the test would cause).
 *
 * Allowed outcomes: a fault past the end of the file is -EFAULT (SIGBUS);
 * a pin returns the pages up to the end of the file, or -EFAULT; every
 * other call succeeds.  A slot reads back as what its thread last stored
 * there or as zero (truncated or punched meanwhile); the quiet pages
 * always read as zero; a pinned page's data is what the device wrote or
 * zero.  Afterwards: no pin left, no truncated folio alive
 * (nr_truncated_live back to its start), no page dirtied without blocks
 * or lost, the checkers pass; then, quiescent, a scripted check that a
 * shrink unmaps everything beyond the end (-EFAULT, not stale data) and a
 * punch unmaps the hole (the next write faults into ->page_mkwrite), with
 * the host file matching.  The test runs on a disk file and on a shmem
 * file (no host file; a shmem long-term write pin is allowed).
 *
 * Usage: stress_truncate [seed [iterations]], or PINMM_STRESS_SEED and
 * PINMM_STRESS_ITERS (the arguments win).  Seeded and bounded: each
 * faulter, the pinner and the buffered writer have that many iterations
 * as their quota, the truncator 1/32 of it; a thread that has done its
 * quota keeps going until every thread has.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_util.h"
#include "pinmm_test_internal.h"

#define PG		PAGE_SIZE
#define HALF		(PAGE_SIZE / 2)
#define RW		(PROT_READ | PROT_WRITE)
#define MAXP		48		/* pages: three 64 KiB folios' worth */
#define SLOTS		256		/* bytes of a page the threads use */
#define NR_FAULTERS	2

enum { CLS_CPU, CLS_DMA, CLS_BUF, CLS_QUIET, NR_CLS };

#ifdef PNM_TSAN
#define DEFAULT_ITERS	100000
#else
#define DEFAULT_ITERS	200000
#endif

static uint64_t seed = 0x7a0cca7e;
static unsigned long nr_iters = DEFAULT_ITERS;
/* The truncator's quota: its calls are far more expensive. */
#define TRUNC_QUOTA	(nr_iters / 32 ? nr_iters / 32 : 1)

struct shared {
	enum pnm_fs_type fs;
	struct task_struct *app, *user;
	struct file *f;
	unsigned long app_base, user_base;
	atomic_t pending;			/* threads short of their quota */
	atomic_t failures;
	atomic_t first_error;
	atomic_long_t ok, efault, pins, partial_pins, truncated_dma, resizes, punches;
	pthread_barrier_t start;		/* every thread starts at once */
};

static void record_failure(struct shared *sh, int code)
{
	if (atomic_inc_return(&sh->failures) == 1)
		fprintf(stderr, "stress_truncate: first failure %d\n", code);
	atomic_cmpxchg(&sh->first_error, 0, code);
}

/*
 * Called before iteration @iter of a thread whose quota is @quota
 * iterations: true to run it.  A thread that has done its quota keeps
 * going until every thread has, so the races continue to the end.
 */
static bool keep_going(struct shared *sh, unsigned long iter, unsigned long quota)
{
	/* Release: pairs with the acquire read of the others. */
	if (iter == quota + 1)
		atomic_sub_return(1, &sh->pending);
	return iter <= quota || atomic_read_acquire(&sh->pending) > 0;
}

/* A random page of class @cls. */
static unsigned long pick(uint64_t r, int cls)
{
	return (r % (MAXP / NR_CLS)) * NR_CLS + (unsigned long)cls;
}

static uint64_t stamp(int who, unsigned long iter)
{
	return ((uint64_t)(0xa0 + who) << 56) | iter;
}

static bool all_zero(const unsigned char *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (b[i])
			return false;
	return true;
}

/* --- the truncator ------------------------------------------------------------- */

struct worker {
	struct shared *sh;
	int id;
	uint64_t rng;
	pthread_t thread;
};

static void *truncator_main(void *arg)
{
	struct worker *w = arg;
	struct shared *sh = w->sh;

	pthread_barrier_wait(&sh->start);
	for (unsigned long iter = 1; keep_going(sh, iter, TRUNC_QUOTA); iter++) {
		uint64_t r = test_rand(&w->rng);
		loff_t a = (loff_t)((r >> 8) % (2 * MAXP + 1)) * HALF;
		loff_t len = (loff_t)(1 + (r >> 24) % 24) * HALF;
		int err = 0, what = (int)(r % 8);

		if (a + len > (loff_t)(MAXP * PG))
			len = (loff_t)(MAXP * PG) - a;
		switch (what) {
		case 0:
		case 1:
		case 2:
			err = do_ftruncate(sh->f, (r >> 40) & 1 ? a : a & ~(loff_t)(PG - 1));
			atomic_long_inc(&sh->resizes);
			break;
		case 3:
		case 4:
			if (len <= 0)
				break;
			err = vfs_fallocate(sh->f, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
					    a, len);
			atomic_long_inc(&sh->punches);
			break;
		case 5:
			if (len <= 0)
				break;
			err = vfs_fallocate(sh->f, 0, a, len);
			if (err == -EOPNOTSUPP && sh->fs == PNM_FS_SHMEM)
				err = 0;
			break;
		case 6:
			err = vfs_fsync(sh->f, (r >> 40) & 1);
			break;
		default:
			err = do_ftruncate(sh->f, (loff_t)(MAXP * PG));
			break;
		}
		if (err)
			record_failure(sh, 100 * what - err);
	}
	return NULL;
}

/* --- faulters ------------------------------------------------------------------ */

static void count_access(struct shared *sh, int err, int code)
{
	if (err == 0)
		atomic_long_inc(&sh->ok);
	else if (err == -EFAULT)
		atomic_long_inc(&sh->efault);
	else
		record_failure(sh, code - err);
}

static void *faulter_main(void *arg)
{
	struct worker *w = arg;
	struct shared *sh = w->sh;
	unsigned char buf[SLOTS];

	pthread_barrier_wait(&sh->start);
	for (unsigned long iter = 1; keep_going(sh, iter, nr_iters); iter++) {
		uint64_t r = test_rand(&w->rng);
		unsigned long addr;
		uint64_t v = stamp(w->id, iter), seen = 0;
		int err;

		if ((r & 3) == 0) {
			/* A quiet page: nobody ever stores into it. */
			addr = sh->user_base + pick(r >> 8, CLS_QUIET) * PG;
			err = pnm_user_read(sh->user, addr, buf, SLOTS);
			count_access(sh, err, 200);
			if (!err && !all_zero(buf, SLOTS))
				record_failure(sh, 201);
			continue;
		}
		addr = sh->user_base + pick(r >> 8, CLS_CPU) * PG + 8 * (unsigned long)w->id;
		err = pnm_user_write(sh->user, addr, &v, sizeof(v));
		count_access(sh, err, 300);
		if (err)
			continue;
		err = pnm_user_read(sh->user, addr, &seen, sizeof(seen));
		count_access(sh, err, 400);
		if (!err && seen != v && seen != 0)
			record_failure(sh, 401);
	}
	return NULL;
}

/* --- the pinner ---------------------------------------------------------------- */

static void *pinner_main(void *arg)
{
	struct worker *w = arg;
	struct shared *sh = w->sh;
	struct page *pages[2];

	pnm_task_enter(sh->app);
	pthread_barrier_wait(&sh->start);
	for (unsigned long iter = 1; keep_going(sh, iter, nr_iters); iter++) {
		uint64_t r = test_rand(&w->rng);
		unsigned long first = pick(r >> 8, CLS_DMA);
		unsigned long addr = sh->app_base + first * PG;
		int n = (r >> 4) & 1 ? 2 : 1, ret;
		unsigned int flags = (r & 15) == 1 ? 0 : FOLL_WRITE;
		uint64_t v = stamp(8, iter), seen;

		if ((r & 15) == 0) {
			/* Long-term write pin: refused on a shared disk mapping. */
			ret = pin_user_pages_fast(addr, 1, FOLL_WRITE | FOLL_LONGTERM, pages);
			if (sh->fs == PNM_FS_DISK && ret != -EFAULT)
				record_failure(sh, 500);
			if (ret == 1)
				unpin_user_page(pages[0]);
			else if (sh->fs != PNM_FS_DISK && ret != -EFAULT && ret != -ENOMEM)
				record_failure(sh, 501 - ret);
			continue;
		}
		/* One page, or two: the dma page and the buffered page after
		 * it (only pinned, never written by the device). */
		ret = pin_user_pages_fast(addr, n, flags, pages);
		if (ret == -EFAULT) {
			atomic_long_inc(&sh->efault);
			continue;
		}
		if (ret < 1 || ret > n) {
			record_failure(sh, 600 - ret);
			continue;
		}
		if (ret < n)
			atomic_long_inc(&sh->partial_pins);
		n = ret;
		atomic_long_inc(&sh->pins);
		if (flags & FOLL_WRITE) {
			/* One to three transfers while the pin is held. */
			for (uint64_t k = 0; k <= (r >> 6) % 3; k++)
				if (pnm_dma_write(pages, 1, 0, &v, sizeof(v)))
					record_failure(sh, 601);
			if (test_bit(PG_pnm_truncated, &page_folio(pages[0])->flags))
				atomic_long_inc(&sh->truncated_dma);
			seen = 0;
			if (pnm_dma_read(pages, 1, 0, &seen, sizeof(seen)) ||
			    (seen != v && seen != 0))
				record_failure(sh, 602);
		} else if (pnm_dma_read(pages, 1, 0, &seen, sizeof(seen))) {
			record_failure(sh, 603);
		}
		unpin_user_pages_dirty_lock(pages, (unsigned long)n, flags & FOLL_WRITE);
	}
	pnm_task_leave(NULL);
	return NULL;
}

/* --- buffered I/O -------------------------------------------------------------- */

static void *buffered_main(void *arg)
{
	struct worker *w = arg;
	struct shared *sh = w->sh;

	pthread_barrier_wait(&sh->start);
	for (unsigned long iter = 1; keep_going(sh, iter, nr_iters); iter++) {
		uint64_t r = test_rand(&w->rng);
		loff_t off = (loff_t)(pick(r >> 8, CLS_BUF) * PG), pos = off;
		uint64_t v = stamp(9, iter), seen = 0;
		ssize_t ret = kernel_write(sh->f, &v, sizeof(v), &pos);

		if (ret != (ssize_t)sizeof(v)) {
			record_failure(sh, 700 - (int)ret);
			continue;
		}
		pos = off;
		ret = kernel_read(sh->f, &seen, sizeof(seen), &pos);
		/* Truncated meanwhile: short (0) or zeroes. */
		if (ret < 0 || (ret == (ssize_t)sizeof(v) && seen != v && seen != 0))
			record_failure(sh, 701 - (int)ret);
	}
	return NULL;
}

/* --- the scripted, quiescent check ---------------------------------------------- */

static void fill(unsigned char *b, unsigned long index)
{
	for (size_t i = 0; i < PG; i++)
		b[i] = (unsigned char)(index * 7 + i % 251 + 1);
}

static void check_host_page(struct shared *sh, unsigned long index, const unsigned char *want,
			    size_t n)
{
	unsigned char buf[PG];

	if (sh->fs != PNM_FS_DISK)
		return;
	assert_int_equal(test_host_pread(sh->f, buf, n, (off_t)(index * PG)), (ssize_t)n);
	assert_memory_equal(buf, want, n);
}

static void scripted_check(struct shared *sh)
{
	const unsigned long n = 20;
	unsigned char page[PG], got[PG], zero[PG];
	unsigned long pfn;
	loff_t pos = 0;
	bool w;

	memset(zero, 0, sizeof(zero));
	assert_int_equal(do_ftruncate(sh->f, 0), 0);
	assert_int_equal(sh->f->f_mapping->nrpages, 0);
	for (unsigned long i = 0; i < n; i++) {
		fill(page, i);
		assert_int_equal(kernel_write(sh->f, page, PG, &pos), PG);
	}
	assert_int_equal(vfs_fsync(sh->f, 0), 0);
	/* Map everything writable in the user process (dirty, writable PTEs). */
	for (unsigned long i = 0; i < n; i++) {
		fill(page, i);
		assert_int_equal(pnm_user_read(sh->user, sh->user_base + i * PG, got, PG), 0);
		assert_memory_equal(got, page, PG);
		check_host_page(sh, i, page, PG);
		test_write_byte(sh->user, sh->user_base + i * PG, page[0]);
	}
	CHECK_ALL();

	/* Shrink into the middle of page 9: nothing beyond stays mapped. */
	assert_int_equal(do_ftruncate(sh->f, 9 * PG + HALF), 0);
	for (unsigned long i = 10; i < n; i++) {
		assert_int_equal(pnm_mm_translate(sh->user->mm, sh->user_base + i * PG, &pfn, &w),
				 -EFAULT);
		assert_int_equal(pnm_user_read(sh->user, sh->user_base + i * PG, got, 1), -EFAULT);
	}
	fill(page, 9);
	memset(page + HALF, 0, HALF);
	assert_int_equal(pnm_user_read(sh->user, sh->user_base + 9 * PG, got, PG), 0);
	assert_memory_equal(got, page, PG);
	CHECK_ALL();

	/* Grow back: the old data does not come back. */
	assert_int_equal(do_ftruncate(sh->f, (loff_t)(n * PG)), 0);
	for (unsigned long i = 10; i < n; i++) {
		assert_int_equal(pnm_user_read(sh->user, sh->user_base + i * PG, got, PG), 0);
		assert_memory_equal(got, zero, PG);
	}
	assert_int_equal(vfs_fsync(sh->f, 0), 0);
	check_host_page(sh, 9, page, PG);
	check_host_page(sh, 15, zero, PG);

	/* Punch pages 3-5 while they are mapped writable: unmapped, zero, and
	 * a write afterwards faults (->page_mkwrite gives it blocks). */
	for (unsigned long i = 3; i <= 5; i++)
		test_write_byte(sh->user, sh->user_base + i * PG + 1, 0x5a);
	assert_int_equal(vfs_fallocate(sh->f, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
				       3 * PG, 3 * PG), 0);
	assert_int_equal(i_size_read(sh->f->f_inode), (loff_t)(n * PG));
	for (unsigned long i = 3; i <= 5; i++) {
		assert_int_equal(pnm_mm_translate(sh->user->mm, sh->user_base + i * PG, &pfn, &w),
				 -EFAULT);
		assert_int_equal(pnm_user_read(sh->user, sh->user_base + i * PG, got, PG), 0);
		assert_memory_equal(got, zero, PG);
	}
	test_write_byte(sh->user, sh->user_base + 4 * PG + 2, 0x77);
	CHECK_ALL();
	assert_int_equal(vfs_fsync(sh->f, 0), 0);
	memcpy(page, zero, PG);
	page[2] = 0x77;
	check_host_page(sh, 4, page, PG);
	check_host_page(sh, 3, zero, PG);
	fill(page, 2);
	check_host_page(sh, 2, page, PG);	/* next to the hole: intact */
	CHECK_ALL();
}

/* --- the test ------------------------------------------------------------------ */

static void run(enum pnm_fs_type fs, unsigned long iters)
{
	struct worker wk[NR_FAULTERS + 3];
	struct pnm_config cfg;
	struct shared *sh;
	long live, nob, lost;
	int nw = 0;

	pnm_test_config(&cfg);
	/* The flusher runs only while the threads do (started below). */
	cfg.writeback_interval_ms = 2;
	pnm_test_init_with(&cfg);

	sh = calloc(1, sizeof(*sh));
	assert_non_null(sh);
	sh->fs = fs;
	sh->app = test_task_create("dio-app");
	sh->user = test_task_create("user");
	assert_non_null(sh->app);
	assert_non_null(sh->user);
	sh->f = test_open(fs, "truncfile");
	assert_int_equal(do_ftruncate(sh->f, (loff_t)(MAXP * PG)), 0);
	sh->app_base = (unsigned long)pnm_mm_mmap(sh->app->mm, 0, MAXP * PG, RW, MAP_SHARED, sh->f, 0);
	sh->user_base = (unsigned long)pnm_mm_mmap(sh->user->mm, 0, MAXP * PG, RW, MAP_SHARED,
						sh->f, 0);
	assert_true((long)sh->app_base > 0 && (long)sh->user_base > 0);
	CHECK_ALL();
	live = global_stat(PNM_NR_TRUNCATED_LIVE);
	nob = global_stat(PNM_FS_DIRTY_NO_BLOCKS);
	lost = global_stat(PNM_WB_LOST);

	void *(*const fns[])(void *) = { truncator_main, pinner_main, buffered_main };
	for (int i = 0; i < 3 + NR_FAULTERS; i++) {
		wk[i].sh = sh;
		wk[i].id = i;
		wk[i].rng = seed * (2 * (uint64_t)i + 3) + 7 + (uint64_t)fs;
	}
	nr_iters = iters;
	atomic_set(&sh->pending, 3 + NR_FAULTERS);
	assert_int_equal(pthread_barrier_init(&sh->start, NULL, 3 + NR_FAULTERS), 0);
	if (fs == PNM_FS_DISK)
		assert_int_equal(pnm_writeback_start(), 0);
	for (int i = 0; i < 3; i++, nw++)
		assert_int_equal(pthread_create(&wk[i].thread, NULL, fns[i], &wk[i]), 0);
	for (int i = 3; i < 3 + NR_FAULTERS; i++, nw++)
		assert_int_equal(pthread_create(&wk[i].thread, NULL, faulter_main, &wk[i]), 0);
	for (int i = 0; i < nw; i++)
		pthread_join(wk[i].thread, NULL);
	pnm_writeback_stop();
	pthread_barrier_destroy(&sh->start);

	print_message("stress_truncate[%s]: seed %#llx, %lu iterations: %ld resizes, %ld "
		      "punches, %ld accesses ok, %ld -EFAULT, %ld pins (%ld dma into "
		      "truncated pages, pnm_truncate_pinned %ld, pnm_dma_write_truncated %ld); "
		      "%d failures (first %d)\n", pnm_fs_name(fs),
		      (unsigned long long)seed, iters, atomic_long_read(&sh->resizes),
		      atomic_long_read(&sh->punches), atomic_long_read(&sh->ok),
		      atomic_long_read(&sh->efault), atomic_long_read(&sh->pins),
		      atomic_long_read(&sh->truncated_dma), global_stat(PNM_TRUNCATE_PINNED),
		      global_stat(PNM_DMA_WRITE_TRUNCATED),
		      atomic_read(&sh->failures), atomic_read(&sh->first_error));
	assert_int_equal(atomic_read(&sh->failures), 0);
	assert_true(atomic_long_read(&sh->ok) > 0);
	assert_int_equal(global_stat(NR_FOLL_PIN_ACQUIRED), global_stat(NR_FOLL_PIN_RELEASED));
	for (int k = 0; k < PNM_NR_MISUSE; k++)
		assert_int_equal(pnm_misuse_count(k), 0);
	assert_int_equal(global_stat(PNM_NR_TRUNCATED_LIVE), live);
	assert_int_equal(global_stat(PNM_FS_DIRTY_NO_BLOCKS), nob);
	assert_int_equal(global_stat(PNM_WB_LOST), lost);
	assert_int_equal(vfs_fsync(sh->f, 0), 0);
	CHECK_ALL();

	scripted_check(sh);
	assert_int_equal(global_stat(PNM_FS_DIRTY_NO_BLOCKS), nob);
	assert_int_equal(global_stat(PNM_WB_LOST), lost);

	fput(sh->f);
	pnm_task_exit(sh->app);
	pnm_task_exit(sh->user);
	put_task_struct(sh->app);
	put_task_struct(sh->user);
	CHECK_ALL();
	free(sh);
}

static void stress_truncate_disk(void **state)
{
	(void)state;
	run(PNM_FS_DISK, nr_iters);
}

static void stress_truncate_shmem(void **state)
{
	(void)state;
	run(PNM_FS_SHMEM, nr_iters);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(stress_truncate_disk, pnm_test_teardown),
		cmocka_unit_test_teardown(stress_truncate_shmem, pnm_test_teardown),
	};
	test_stress_params("stress_truncate", argc, argv, &seed, &nr_iters);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
