// SPDX-License-Identifier: MIT
/*
 * stress_lease.c - layout leases broken while their holders pin, unpin
 * and run device transfers from other threads.
 *
 * One process maps a disk file and a dax file (MAP_SHARED, NP pages
 * each).  Threads:
 *
 *   holders (2)  one per file, each with a long-term write pin owner whose
 *                f_owner is the file: pin 1-2 pages (tied to the lease
 *                when one is held), device write of a stamp through the
 *                owner and read it back, unpin (dirty or not).  The
 *                owner's revoke callback (run in the breaker's thread)
 *                only raises a flag; a cooperative holder sees it and
 *                releases every extent from its own thread (release in
 *                time from another thread); one owner in four ignores it
 *                and is revoked by force after the deadline, then
 *                unpins late, is destroyed and replaced;
 *   breaker      takes the leases again and again (on the holders' files)
 *                and breaks them: shrink and grow, hole punch, fsync, in
 *                a random mix.
 *
 * Allowed outcomes: a pin returns pages (tied), -EFAULT (disk: no lease,
 * or a lease breaking under the pin in flight; also past the end of a
 * shrunk file), -EOPNOTSUPP (dax, the same), -EIO (the owner was
 * revoked); a device transfer through an extent succeeds or fails with
 * -EIO once the owner is revoked -- and a stamp written and read back
 * through a live owner is always intact (no truncate or punch can touch
 * a tied page before its owner let go or was cut off); every break
 * returns within the deadline plus a margin (nothing blocks forever); a
 * dax shrink or punch is -EBUSY only while a pin is in flight over the
 * range.  Afterwards: no pin, no quarantined page, no tie left; every
 * device transfer refused is counted in pnm_dma_revoked; no misuse but
 * the revocation reports, no warning; the checkers pass; and both files
 * written through the mapping again reach their host files byte for
 * byte after fsync.
 *
 * Usage: stress_lease [seed [iterations]], or PINMM_STRESS_SEED and
 * PINMM_STRESS_ITERS (the arguments win).  Seeded and bounded: each
 * holder has that many iterations as its quota, the breaker BREAKS
 * breaks; a thread that has done its quota keeps going until every
 * thread has.
 */
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "test_util.h"
#include "pinmm_test_internal.h"

#define PG		PAGE_SIZE
#define RW		(PROT_READ | PROT_WRITE)
#define NP		16		/* pages of each file */
#define NR_HOLDERS	2
#define DEADLINE_MS	5
#define MARGIN_MS	2000		/* what a break may take beyond it */
#define YIELDS		2000		/* the breaker's wait for a new pin */

#ifdef PNM_TSAN
#define DEFAULT_ITERS	4000
#define BREAKS		150
#else
#define DEFAULT_ITERS	20000
#define BREAKS		400
#endif

static uint64_t seed = 0x1ea5e;
static unsigned long nr_iters = DEFAULT_ITERS;

struct shared;

/* One holder: its file, its current owner and the extents it holds. */
struct holder {
	struct shared *sh;
	int id;
	uint64_t rng;
	pthread_t thread;
	enum pnm_fs_type fs;
	struct file *f;			/* the lease holder and f_owner */
	unsigned long base;		/* the process's mapping of it */
	struct vaddr_pin *vp;		/* this thread only */
	bool ignore;			/* this owner ignores breaks */
	atomic_t asked;			/* set by the callback, cleared here */
	unsigned long ext_len[NP];	/* pages of the extent at page i, or 0 */
	/* statistics */
	atomic_long_t pins, refused_pins, dma_ok, dma_eio, in_time, revoked, owners;
};

struct shared {
	struct task_struct *app;
	struct holder h[NR_HOLDERS];
	atomic_t pending;		/* threads short of their quota */
	atomic_t failures;
	atomic_t first_error;
	atomic_long_t breaks, busy, slowest_ms;
	pthread_barrier_t start;
};

static void record_failure(struct shared *sh, int code)
{
	if (atomic_inc_return(&sh->failures) == 1)
		fprintf(stderr, "stress_lease: first failure %d\n", code);
	atomic_cmpxchg(&sh->first_error, 0, code);
}

/* See stress_truncate.c: true to run iteration @iter of a @quota. */
static bool keep_going(struct shared *sh, unsigned long iter, unsigned long quota)
{
	/* Release: pairs with the acquire read of the others. */
	if (iter == quota + 1)
		atomic_sub_return(1, &sh->pending);
	return iter <= quota || atomic_read_acquire(&sh->pending) > 0;
}

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* --- holders ----------------------------------------------------------------- */

/* The revoke callback: runs in the breaker's thread; only raises the flag
 * (release: the holder's acquire read sees it). */
static void holder_revoke(struct vaddr_pin *vp, void *arg)
{
	struct holder *h = arg;

	(void)vp;
	atomic_set_release(&h->asked, 1);
}

static const struct vaddr_pin_ops holder_ops = { .revoke = holder_revoke };

static void new_owner(struct holder *h)
{
	struct vaddr_pin_params p = {
		.size = sizeof(p), .task = h->sh->app, .f_owner = h->f,
		.flags = VADDR_PIN_WRITE | VADDR_PIN_LONGTERM, .name = "stress",
		.ops = &holder_ops, .ops_arg = h,
	};

	h->ignore = test_rand(&h->rng) % 4 == 0;
	atomic_set(&h->asked, 0);
	if (vaddr_pin_create(&p, &h->vp))
		record_failure(h->sh, 1);
	atomic_long_inc(&h->owners);
}

static unsigned int owner_state(struct holder *h)
{
	struct pnm_vaddr_pin_info info = { .size = sizeof(info) };

	if (pnm_vaddr_pin_get_info(h->vp, &info))
		record_failure(h->sh, 2);
	return info.state;
}

/* Release every extent (a late unpin when revoked): 0 each. */
static void release_all(struct holder *h, bool dirty)
{
	for (int i = 0; i < NP; i++) {
		if (!h->ext_len[i])
			continue;
		if (vaddr_unpin_user_pages(h->vp, h->base + (unsigned long)i * PG, dirty))
			record_failure(h->sh, 3);
		h->ext_len[i] = 0;
	}
}

/* Is [p, p + n) free of our extents (and inside the file's pages)? */
static bool range_free(const struct holder *h, int p, int n)
{
	for (int i = 0; i < NP; i++) {
		int len = (int)h->ext_len[i];

		if (len && i < p + n && p < i + len)
			return false;
	}
	return p + n <= NP;
}

static void holder_pin(struct holder *h)
{
	int p = (int)(test_rand(&h->rng) % NP), n = 1 + (int)(test_rand(&h->rng) % 2);
	long ret;

	if (!range_free(h, p, n))
		return;
	ret = vaddr_pin_user_pages(h->vp, h->base + (unsigned long)p * PG, (unsigned long)n,
				   NULL);
	if (ret > 0 && ret <= n) {
		h->ext_len[p] = (unsigned long)ret;
		atomic_long_inc(&h->pins);	/* the breaker waits for it */
	} else if (ret == -EIO || (h->fs == PNM_FS_DISK ? ret == -EFAULT : ret == -EOPNOTSUPP) ||
		   (h->fs == PNM_FS_DAX && ret == -EFAULT)) {
		/* Refused: no lease, breaking, revoked, or past the end of
		 * the file (SIGBUS: -EFAULT on either filesystem). */
		atomic_long_inc(&h->refused_pins);
	} else {
		record_failure(h->sh, 10 + (int)-ret);
	}
}

/* A stamp through one of our extents, read back. */
static void holder_dma(struct holder *h, unsigned long iter)
{
	int start = (int)(test_rand(&h->rng) % NP), i, page;
	uint64_t stamp = ((uint64_t)(0xb0 + h->id) << 56) | iter, back = 0;
	unsigned long addr;
	int ret;

	for (i = 0; i < NP && !h->ext_len[(start + i) % NP]; i++)
		;
	if (i == NP)
		return;
	start = (start + i) % NP;
	page = start + (int)(test_rand(&h->rng) % h->ext_len[start]);
	addr = h->base + (unsigned long)page * PG + (test_rand(&h->rng) % 8) * 8;
	ret = pnm_vaddr_pin_dma_write(h->vp, addr, &stamp, sizeof(stamp));
	if (ret == -EIO) {
		atomic_long_inc(&h->dma_eio);
		return;
	}
	if (ret) {
		record_failure(h->sh, 40 + -ret);
		return;
	}
	atomic_long_inc(&h->dma_ok);
	ret = pnm_vaddr_pin_dma_read(h->vp, addr, &back, sizeof(back));
	if (ret == -EIO) {
		atomic_long_inc(&h->dma_eio);
		return;
	}
	if (ret)
		record_failure(h->sh, 60 + -ret);
	else if (back != stamp)
		record_failure(h->sh, 80);	/* a tied page changed under us */
	else
		atomic_long_inc(&h->dma_ok);
}

static void holder_unpin(struct holder *h)
{
	int start = (int)(test_rand(&h->rng) % NP);

	if (!h->ext_len[start])
		return;
	if (vaddr_unpin_user_pages(h->vp, h->base + (unsigned long)start * PG,
				   test_rand(&h->rng) & 1))
		record_failure(h->sh, 4);
	h->ext_len[start] = 0;
}

static void *holder_main(void *arg)
{
	struct holder *h = arg;
	struct shared *sh = h->sh;

	pnm_task_enter(NULL);
	pthread_barrier_wait(&sh->start);
	for (unsigned long it = 1; keep_going(sh, it, nr_iters); it++) {
		if ((owner_state(h) & PNM_VADDR_PIN_REVOKED) && test_rand(&h->rng) % 8 == 0) {
			/* Missed a deadline (and went on using the owner for a
			 * while, the device refused): the late unpin, then a
			 * new owner. */
			atomic_long_inc(&h->revoked);
			release_all(h, true);
			if (vaddr_pin_destroy(h->vp))
				record_failure(sh, 5);
			new_owner(h);
			continue;
		}
		/* Acquire: pairs with the callback's release. */
		if (atomic_read_acquire(&h->asked) && !h->ignore) {
			atomic_set(&h->asked, 0);
			release_all(h, true);
			atomic_long_inc(&h->in_time);
			/* Sometimes a new owner (which may ignore breaks). */
			if (test_rand(&h->rng) % 4 == 0) {
				if (vaddr_pin_destroy(h->vp))
					record_failure(sh, 6);
				new_owner(h);
			}
			continue;
		}
		switch (test_rand(&h->rng) % 8) {
		case 0: case 1: case 2:
			holder_pin(h);
			break;
		case 3: case 4: case 5:
			holder_dma(h, it);
			break;
		case 6:
			holder_unpin(h);
			break;
		default:
			sched_yield();
			break;
		}
	}
	pnm_task_leave(NULL);
	return NULL;
}

/* --- the breaker ------------------------------------------------------------- */

static void *breaker_main(void *arg)
{
	struct shared *sh = arg;
	uint64_t rng = seed * 5 + 3;

	pnm_task_enter(NULL);
	pthread_barrier_wait(&sh->start);
	for (unsigned long it = 1; keep_going(sh, it, BREAKS); it++) {
		struct holder *h = &sh->h[test_rand(&rng) % NR_HOLDERS];
		long pins = atomic_long_read(&h->pins), t0, took;
		int ret;

		for (int i = 0; i < NR_HOLDERS; i++) {
			ret = pnm_file_set_layout_lease(sh->h[i].f, DEADLINE_MS);
			if (ret && ret != -EEXIST)
				record_failure(sh, 100 + -ret);
		}
		/* Let the holder of the file to break pin under the new lease
		 * (bounded). */
		for (int y = 0; y < YIELDS && atomic_long_read(&h->pins) == pins; y++)
			sched_yield();

		t0 = now_ms();
		switch (test_rand(&rng) % 3) {
		case 0: {
			loff_t size = (loff_t)(1 + test_rand(&rng) % NP) * PG -
				      (test_rand(&rng) & 1 ? (loff_t)PG / 2 : 0);

			ret = do_ftruncate(h->f, size);
			if (!ret)
				ret = do_ftruncate(h->f, NP * PG);
			break;
		}
		case 1: {
			loff_t off = (loff_t)(test_rand(&rng) % NP) * PG;

			ret = vfs_fallocate(h->f, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, off,
					    (loff_t)(1 + test_rand(&rng) % 2) * PG);
			break;
		}
		default:
			ret = vfs_fsync(h->f, 0);
			break;
		}
		took = now_ms() - t0;
		if (took > atomic_long_read(&sh->slowest_ms))
			atomic_long_set(&sh->slowest_ms, took);
		if (took > DEADLINE_MS + MARGIN_MS)
			record_failure(sh, 120);
		if (ret == -EBUSY && h->fs == PNM_FS_DAX) {
			/* A pin in flight over the range (not yet an extent,
			 * so not revoked): the dax change refuses. */
			atomic_long_inc(&sh->busy);
			ret = do_ftruncate(h->f, NP * PG);
			if (ret == -EBUSY)
				ret = 0;	/* the size was NP pages already */
		}
		if (ret)
			record_failure(sh, 140 + -ret);
		atomic_long_inc(&sh->breaks);
	}
	pnm_task_leave(NULL);
	return NULL;
}

/* --- the test ----------------------------------------------------------------- */

static void stress_lease(void **state)
{
	static const char *const names[NR_HOLDERS] = { "leasedisk", "leasedax" };
	long revoked0 = global_stat(PNM_LEASE_REVOKED), refused0 = global_stat(PNM_DMA_REVOKED);
	long warnings = atomic_long_read(&pnm_nr_warnings), eio = 0;
	unsigned char *want = malloc(NP * PG), *got = malloc(NP * PG + 1);
	struct pnm_config cfg;
	struct shared *sh;
	pthread_t breaker;

	(void)state;
	assert_non_null(want);
	assert_non_null(got);
	pnm_test_config(&cfg);
	pnm_test_init_with(&cfg);
	sh = calloc(1, sizeof(*sh));
	assert_non_null(sh);
	sh->app = test_task_create("rdma-app");
	for (int i = 0; i < NR_HOLDERS; i++) {
		struct holder *h = &sh->h[i];
		long a;

		h->sh = sh;
		h->id = i;
		h->rng = seed * (2 * (uint64_t)i + 7) + 1;
		h->fs = i ? PNM_FS_DAX : PNM_FS_DISK;
		h->f = test_open(h->fs, names[i]);
		assert_int_equal(do_ftruncate(h->f, NP * PG), 0);
		a = pnm_mm_mmap(sh->app->mm, 0, NP * PG, RW, MAP_SHARED, h->f, 0);
		assert_true(a > 0);
		h->base = (unsigned long)a;
		for (unsigned long p = 0; p < NP; p++)
			test_write_byte(sh->app, h->base + p * PG, (unsigned char)(p + 1));
		new_owner(h);
	}
	CHECK_ALL();

	atomic_set(&sh->pending, NR_HOLDERS + 1);
	assert_int_equal(pthread_barrier_init(&sh->start, NULL, NR_HOLDERS + 1), 0);
	assert_int_equal(pthread_create(&breaker, NULL, breaker_main, sh), 0);
	for (int i = 0; i < NR_HOLDERS; i++)
		assert_int_equal(pthread_create(&sh->h[i].thread, NULL, holder_main, &sh->h[i]), 0);
	pthread_join(breaker, NULL);
	for (int i = 0; i < NR_HOLDERS; i++)
		pthread_join(sh->h[i].thread, NULL);
	pthread_barrier_destroy(&sh->start);

	for (int i = 0; i < NR_HOLDERS; i++) {
		struct holder *h = &sh->h[i];

		print_message("stress_lease[%s]: seed %#llx, %lu iterations: %ld pins (%ld "
			      "refused), %ld transfers ok, %ld -EIO, %ld released in time, %ld "
			      "revoked, %ld owners\n", pnm_fs_name(h->fs),
			      (unsigned long long)seed, nr_iters, atomic_long_read(&h->pins),
			      atomic_long_read(&h->refused_pins), atomic_long_read(&h->dma_ok),
			      atomic_long_read(&h->dma_eio), atomic_long_read(&h->in_time),
			      atomic_long_read(&h->revoked), atomic_long_read(&h->owners));
		eio += atomic_long_read(&h->dma_eio);
	}
	print_message("stress_lease: %ld breaks (%ld dax -EBUSY), slowest %ld ms, "
		      "pnm_lease_revoked %ld; %d failures (first %d)\n",
		      atomic_long_read(&sh->breaks), atomic_long_read(&sh->busy),
		      atomic_long_read(&sh->slowest_ms), global_stat(PNM_LEASE_REVOKED) - revoked0,
		      atomic_read(&sh->failures), atomic_read(&sh->first_error));
	assert_int_equal(atomic_read(&sh->failures), 0);
	for (int i = 0; i < NR_HOLDERS; i++)
		assert_true(atomic_long_read(&sh->h[i].pins) > 0);
	assert_int_equal(global_stat(PNM_DMA_REVOKED) - refused0, eio);
	assert_int_equal(atomic_long_read(&pnm_nr_warnings), warnings);
	for (int k = 0; k < PNM_NR_MISUSE; k++)
		if (k != PNM_MISUSE_REVOKED)
			assert_int_equal(pnm_misuse_count(k), 0);
	CHECK_ALL();

	/* Quiescent: release what is left; no pin, tie or quarantine stays. */
	for (int i = 0; i < NR_HOLDERS; i++) {
		struct holder *h = &sh->h[i];
		struct pnm_layout_lease_info li = { .size = sizeof(li) };
		int ret;

		release_all(h, true);
		assert_int_equal(vaddr_pin_destroy(h->vp), 0);
		if (!pnm_file_get_layout_lease(h->f, &li))
			assert_int_equal(li.tied, 0);
		ret = pnm_file_release_layout_lease(h->f);
		assert_true(ret == 0 || ret == -ENOENT);
	}
	assert_int_equal(pnm_pin_registry_count(-1), 0);
	assert_int_equal(global_stat(PNM_NR_QUARANTINED), 0);
	assert_int_equal(global_stat(NR_FOLL_PIN_ACQUIRED), global_stat(NR_FOLL_PIN_RELEASED));
	assert_int_equal(atomic_read(&sh->failures), 0);
	CHECK_ALL();

	/* Both files still work: written through the mapping, they reach
	 * their host files byte for byte. */
	for (int i = 0; i < NR_HOLDERS; i++) {
		struct holder *h = &sh->h[i];

		assert_int_equal(do_ftruncate(h->f, NP * PG), 0);
		for (size_t b = 0; b < NP * PG; b++)
			want[b] = (unsigned char)(b * 13 + (size_t)i * 5 + 1);
		assert_int_equal(pnm_user_write(sh->app, h->base, want, NP * PG), 0);
		assert_int_equal(vfs_fsync(h->f, 0), 0);
		assert_int_equal(test_host_pread(h->f, got, NP * PG + 1, 0), (ssize_t)(NP * PG));
		assert_memory_equal(got, want, NP * PG);
		fput(h->f);
	}
	pnm_task_exit(sh->app);
	put_task_struct(sh->app);
	CHECK_ALL();
	free(sh);
	free(want);
	free(got);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(stress_lease, pnm_test_teardown),
	};
	test_stress_params("stress_lease", argc, argv, &seed, &nr_iters);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
