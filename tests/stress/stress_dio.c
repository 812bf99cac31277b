// SPDX-License-Identifier: MIT
/*
 * stress_dio.c - Direct IO (src/drivers/dio.c) under concurrency: device
 * threads moving data while the processes fault, fork, map and unmap, and
 * writeback runs.
 *
 * One disk file F; each submitter owns a 256 KiB region of it (64 KiB
 * aligned, so no cached folio spans two owners) and keeps a byte shadow
 * of it -- the data oracle.  The threads:
 *
 *   submitters (2)  each in its own process: O_DIRECT writes of a fresh
 *                   pattern from its buffer (then the shadow is updated),
 *                   O_DIRECT reads into it (checked against the shadow),
 *                   sometimes two reads in flight at once, and buffered
 *                   pwrite/pread of unaligned ranges of its region, so
 *                   that the cache and the direct path must agree both
 *                   ways (write back before a direct read, invalidate
 *                   around a direct write); 512-byte aligned buffers that
 *                   share their last page with the faulter's bytes;
 *   faulter         CPU stores into the bytes right after each DIO buffer
 *                   (same page), read back at once: a store never goes to
 *                   a page the process no longer maps;
 *   forker          forks a submitter's process (often while its read is
 *                   in flight: the pinned page must stay the parent's),
 *                   touches the child's buffer, exits the child;
 *   mapper          maps, faults and unmaps scratch memory in every
 *                   process (page tables change under gup-fast);
 *   syncer          background writeback passes, sync(), fsync of F;
 *   truncator       in a process of its own, on a second file G: submits
 *                   an extending O_DIRECT write, truncates G to 0 at
 *                   once, then reaps the write: the truncate must have
 *                   waited for it, so G is empty afterwards.
 *
 * Invariants: every call succeeds; every direct read returns the shadow's
 * bytes; at the end no pin is left (registry, the device's count), no
 * page was dirtied behind the filesystem's back, no stale cache was
 * reported, the checkers pass, a buffered read of each region and, after
 * sync, the host file equal the shadow.
 *
 * Usage: stress_dio [seed [iterations]] or PINMM_STRESS_SEED /
 * PINMM_STRESS_ITERS.  Seeded and bounded: the helper threads stop when
 * the submitters are done (and after their own bound).
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_util.h"
#include "pinmm_test_internal.h"

#define PG		PAGE_SIZE
#define RW		(PROT_READ | PROT_WRITE)
#define PRIV		(MAP_PRIVATE | MAP_ANONYMOUS)
#define NR_SUB		2
#define REGION		(256 * 1024)
#define BLK		PNM_DIO_ALIGN
#define MAX_DIO		(12 * BLK)	/* 6 KiB: pages 0-1 of the buffer */
#define FAULT_OFF	MAX_DIO		/* the faulter's bytes: rest of page 1 */
#define BUF_LEN		(4 * PG)
#define G_LEN		(8 * BLK)

#ifdef PNM_TSAN
#define DEFAULT_ITERS	500
#else
#define DEFAULT_ITERS	3000
#endif

static uint64_t seed = 0xd10d10;
static unsigned long nr_iters = DEFAULT_ITERS;

struct shared {
	struct pnm_dio_dev *dev;
	struct file *f, *g;
	struct task_struct *proc[NR_SUB];
	unsigned long buf[NR_SUB];	/* each process's DIO buffer */
	unsigned long iters;
	atomic_t subs_left;		/* the helpers stop at 0 */
	struct stress_failures failures;
	atomic_long_t dio_reads, dio_writes, forks, truncates;
};

/* --- submitters ----------------------------------------------------------------- */

struct submitter {
	struct shared *sh;
	int id;
	uint64_t rng;
	pthread_t thread;
	unsigned char shadow[REGION];	/* the region's bytes, as they must be */
	unsigned char tmp[2 * MAX_DIO];
};

static int64_t region_start(int id)
{
	return (int64_t)id * REGION;
}

/* A block-aligned [off, off + len) inside the region, len <= @max. */
static void pick_aligned(struct submitter *s, size_t max, size_t *off, size_t *len)
{
	uint64_t r = test_rand(&s->rng);

	*len = BLK * (1 + (size_t)(r % (max / BLK)));
	*off = BLK * (size_t)((r >> 16) % ((REGION - *len) / BLK + 1));
}

static void sub_dio_write(struct submitter *s)
{
	struct shared *sh = s->sh;
	unsigned long buf = sh->buf[s->id];
	size_t off, len;
	ssize_t ret;

	pick_aligned(s, MAX_DIO, &off, &len);
	for (size_t i = 0; i < len; i++)
		s->tmp[i] = (unsigned char)test_rand(&s->rng);
	if (pnm_user_write(sh->proc[s->id], buf, s->tmp, len)) {
		stress_fail(&sh->failures, 10);
		return;
	}
	ret = pnm_dio_rw(sh->dev, sh->f, PNM_DIO_WRITE, buf, len, region_start(s->id) + (int64_t)off);
	if (ret != (ssize_t)len) {
		stress_fail(&sh->failures, 11000 + (int)(ret < 0 ? -ret : 0));
		return;
	}
	memcpy(s->shadow + off, s->tmp, len);
	atomic_long_inc(&sh->dio_writes);
}

/* Does @t's memory at @addr hold the shadow's [off, off + len)? */
static bool user_matches(struct submitter *s, unsigned long addr, size_t off, size_t len)
{
	if (pnm_user_read(s->sh->proc[s->id], addr, s->tmp, len))
		return false;
	return !memcmp(s->tmp, s->shadow + off, len);
}

static void sub_dio_read(struct submitter *s)
{
	struct shared *sh = s->sh;
	unsigned long buf = sh->buf[s->id];
	size_t off, len;
	ssize_t ret;

	pick_aligned(s, MAX_DIO, &off, &len);
	ret = pnm_dio_rw(sh->dev, sh->f, PNM_DIO_READ, buf, len, region_start(s->id) + (int64_t)off);
	if (ret != (ssize_t)len) {
		stress_fail(&sh->failures, 12000 + (int)(ret < 0 ? -ret : 0));
		return;
	}
	if (!user_matches(s, buf, off, len))
		stress_fail(&sh->failures, 13);
	atomic_long_inc(&sh->dio_reads);
}

/* Two reads in flight at once, into the two halves of the buffer. */
static void sub_dio_read2(struct submitter *s)
{
	struct shared *sh = s->sh;
	unsigned long buf = sh->buf[s->id];
	size_t off[2], len[2];
	struct pnm_dio_req *req[2];
	int n = 0;

	for (int i = 0; i < 2; i++) {
		int err;

		pick_aligned(s, MAX_DIO / 2, &off[i], &len[i]);
		err = pnm_dio_submit(sh->dev, sh->f, PNM_DIO_READ, buf + (unsigned long)i * MAX_DIO / 2,
				     len[i], region_start(s->id) + (int64_t)off[i], &req[i]);
		if (err) {
			stress_fail(&sh->failures, 14000 - err);
			break;
		}
		n++;
	}
	for (int i = 0; i < n; i++) {
		ssize_t ret = pnm_dio_wait(req[i]);

		if (ret != (ssize_t)len[i])
			stress_fail(&sh->failures, 15000 + (int)(ret < 0 ? -ret : 0));
		else if (!user_matches(s, buf + (unsigned long)i * MAX_DIO / 2, off[i], len[i]))
			stress_fail(&sh->failures, 16);
	}
	atomic_long_add(n, &sh->dio_reads);
}

static void sub_buffered(struct submitter *s, bool write)
{
	struct shared *sh = s->sh;
	uint64_t r = test_rand(&s->rng);
	size_t len = 1 + (size_t)(r % sizeof(s->tmp));
	size_t off = (size_t)((r >> 20) % (REGION - len + 1));
	ssize_t ret;

	if (write) {
		for (size_t i = 0; i < len; i++)
			s->tmp[i] = (unsigned char)test_rand(&s->rng);
		ret = pnm_file_write(sh->f, s->tmp, len, region_start(s->id) + (int64_t)off);
		if (ret != (ssize_t)len) {
			stress_fail(&sh->failures, 17000 + (int)(ret < 0 ? -ret : 0));
			return;
		}
		memcpy(s->shadow + off, s->tmp, len);
		return;
	}
	ret = pnm_file_read(sh->f, s->tmp, len, region_start(s->id) + (int64_t)off);
	if (ret != (ssize_t)len || memcmp(s->tmp, s->shadow + off, len))
		stress_fail(&sh->failures, 18);
}

static void *submitter_main(void *arg)
{
	struct submitter *s = arg;
	struct shared *sh = s->sh;
	struct task_struct *prev = pnm_task_enter(sh->proc[s->id]);

	for (unsigned long it = 0; it < sh->iters; it++) {
		switch (test_rand(&s->rng) % 8) {
		case 0: case 1:
			sub_dio_write(s);
			break;
		case 2: case 3:
			sub_dio_read(s);
			break;
		case 4:
			sub_dio_read2(s);
			break;
		case 5:
			sub_buffered(s, true);
			break;
		default:
			sub_buffered(s, false);
			break;
		}
	}
	pnm_task_leave(prev);
	stress_worker_done(&sh->subs_left);
	return NULL;
}

/* --- helpers ---------------------------------------------------------------------- */

static void *faulter_main(void *arg)
{
	struct stress_helper *h = arg;
	struct shared *sh = h->sh;

	for (unsigned long n = 1; n <= h->bound && stress_running(&sh->subs_left); n++) {
		int i = (int)(test_rand(&h->rng) % NR_SUB);
		unsigned long addr = sh->buf[i] + FAULT_OFF + 8 * (test_rand(&h->rng) % 64);
		uint64_t v = n, back = 0;

		if (pnm_user_write(sh->proc[i], addr, &v, sizeof(v)) ||
		    pnm_user_read(sh->proc[i], addr, &back, sizeof(back)) || back != v)
			stress_fail(&sh->failures, 20);
	}
	return NULL;
}

static void *forker_main(void *arg)
{
	struct stress_helper *h = arg;
	struct shared *sh = h->sh;

	for (unsigned long n = 0; n < h->bound && stress_running(&sh->subs_left); n++) {
		int i = (int)(test_rand(&h->rng) % NR_SUB);
		unsigned char b = 0x77;

		/* The child's stores go to its own copies. */
		if (stress_fork_touch(&sh->failures, 21000, sh->proc[i], 0,
				      sh->buf[i] + FAULT_OFF + 600, &b, 1))
			atomic_long_inc(&sh->forks);
	}
	return NULL;
}

static void *mapper_main(void *arg)
{
	struct stress_helper *h = arg;
	struct shared *sh = h->sh;

	for (unsigned long n = 0; n < h->bound && stress_running(&sh->subs_left); n++) {
		int i = (int)(test_rand(&h->rng) % NR_SUB);

		stress_map_touch_unmap(&sh->failures, 23000, sh->proc[i], 16 * PG, 0, 4 * PG);
	}
	return NULL;
}

static void *syncer_main(void *arg)
{
	struct stress_helper *h = arg;
	struct shared *sh = h->sh;

	for (unsigned long n = 0; n < h->bound && stress_running(&sh->subs_left); n++) {
		switch (test_rand(&h->rng) % 3) {
		case 0:
			(void)pnm_writeback_run(false);
			break;
		case 1:
			pnm_sync();
			break;
		default:
			if (pnm_file_fsync(sh->f, 0, INT64_MAX, false))
				stress_fail(&sh->failures, 26);
			break;
		}
	}
	return NULL;
}

static void *truncator_main(void *arg)
{
	struct stress_helper *h = arg;
	struct shared *sh = h->sh;
	struct task_struct *t, *prev;
	unsigned long buf;
	long a;

	if (pnm_task_create("truncator", &t)) {
		stress_fail(&sh->failures, 27);
		return NULL;
	}
	a = pnm_mmap(t, 0, G_LEN, RW, PRIV, NULL, 0);
	if (a < 0 || pnm_user_write(t, (unsigned long)a, "G", 1)) {
		stress_fail(&sh->failures, 28);
		goto out;
	}
	buf = (unsigned long)a;
	prev = pnm_task_enter(t);
	for (unsigned long n = 0; n < h->bound && stress_running(&sh->subs_left); n++) {
		int64_t off = (int64_t)BLK * (int64_t)(test_rand(&h->rng) % 64);
		struct pnm_dio_req *req;
		ssize_t ret;
		int err = pnm_dio_submit(sh->dev, sh->g, PNM_DIO_WRITE, buf, G_LEN, off, &req);

		if (err) {
			stress_fail(&sh->failures, 29000 - err);
			continue;
		}
		if (pnm_file_truncate(sh->g, 0))
			stress_fail(&sh->failures, 30);
		/* The truncate waited for the write: G is empty. */
		if (pnm_file_size(sh->g) != 0)
			stress_fail(&sh->failures, 31);
		ret = pnm_dio_wait(req);
		if (ret != G_LEN)
			stress_fail(&sh->failures, 32000 + (int)(ret < 0 ? -ret : 0));
		if (pnm_file_size(sh->g) != 0)
			stress_fail(&sh->failures, 33);
		atomic_long_inc(&sh->truncates);
	}
	pnm_task_leave(prev);
out:
	pnm_task_exit(t);
	pnm_task_put(t);
	return NULL;
}

/* --- the test ---------------------------------------------------------------------- */

static void test_stress_dio(void **state)
{
	static struct submitter subs[NR_SUB];
	void *(*const fns[])(void *) = { faulter_main, forker_main, mapper_main, syncer_main,
					 truncator_main };
	const unsigned long bounds[] = { 8, 1, 1, 1, 1 };	/* times the iterations */
	struct stress_helper hs[ARRAY_SIZE(fns)];
	struct pnm_dio_info info = { .size = sizeof(info) };
	long nob = global_stat(PNM_FS_DIRTY_NO_BLOCKS), stale = global_stat(PNM_DIO_STALE_CACHE);
	struct shared *sh = calloc(1, sizeof(*sh));
	unsigned char *chk = malloc(REGION);

	(void)state;
	assert_non_null(sh);
	assert_non_null(chk);
	sh->failures.test = "stress_dio";
	sh->iters = nr_iters;
	assert_int_equal(pnm_dio_dev_create(3, &sh->dev), 0);
	sh->f = test_open(PNM_FS_DISK, "dioF");
	sh->g = test_open(PNM_FS_DISK, "dioG");
	for (int i = 0; i < NR_SUB; i++) {
		struct submitter *s = &subs[i];

		s->sh = sh;
		s->id = i;
		s->rng = seed * (2 * (uint64_t)i + 3) + 1;
		for (size_t b = 0; b < REGION; b++)
			s->shadow[b] = (unsigned char)(b * 13 + (size_t)i);
		assert_int_equal(pnm_file_write(sh->f, s->shadow, REGION, region_start(i)), REGION);
		sh->proc[i] = test_task_create(i ? "sub1" : "sub0");
		sh->buf[i] = test_mmap(sh->proc[i], BUF_LEN, RW, PRIV);
	}
	CHECK_ALL();

	atomic_set(&sh->subs_left, NR_SUB);
	stress_helpers_start(hs, fns, bounds, ARRAY_SIZE(fns), sh, seed, nr_iters);
	for (int i = 0; i < NR_SUB; i++)
		stress_thread_start(&subs[i].thread, submitter_main, &subs[i]);
	for (int i = 0; i < NR_SUB; i++)
		pthread_join(subs[i].thread, NULL);
	stress_helpers_join(hs, ARRAY_SIZE(fns));

	print_message("stress_dio: %ld direct reads, %ld direct writes, %ld forks, %ld truncates\n",
		      atomic_long_read(&sh->dio_reads), atomic_long_read(&sh->dio_writes),
		      atomic_long_read(&sh->forks), atomic_long_read(&sh->truncates));
	stress_assert_none(&sh->failures, NULL);
	assert_true(atomic_long_read(&sh->dio_reads) > 0);
	assert_true(atomic_long_read(&sh->dio_writes) > 0);

	assert_int_equal(pnm_dio_dev_get_info(sh->dev, &info), 0);
	assert_int_equal(info.pinned_pages, 0);
	assert_int_equal(info.submitted, info.reaped);
	assert_int_equal(pnm_dio_dev_destroy(sh->dev), 0);
	assert_int_equal(pnm_pin_registry_count(-1), 0);
	assert_int_equal(global_stat(PNM_FS_DIRTY_NO_BLOCKS), nob);
	assert_int_equal(global_stat(PNM_DIO_STALE_CACHE), stale);
	CHECK_ALL();

	for (int i = 0; i < NR_SUB; i++) {
		assert_int_equal(pnm_file_read(sh->f, chk, REGION, region_start(i)), REGION);
		assert_memory_equal(chk, subs[i].shadow, REGION);
	}
	pnm_sync();
	for (int i = 0; i < NR_SUB; i++) {
		assert_int_equal(test_host_pread(sh->f, chk, REGION, (off_t)region_start(i)), REGION);
		assert_memory_equal(chk, subs[i].shadow, REGION);
	}
	pnm_file_close(sh->g);
	pnm_file_close(sh->f);
	free(chk);
	free(sh);
	CHECK_ALL();
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_stress_dio, pnm_test_setup, pnm_test_teardown),
	};

	test_stress_params("stress_dio", argc, argv, &seed, &nr_iters);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
