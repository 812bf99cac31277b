/* SPDX-License-Identifier: MIT */
/*
 * bench_more.c - `pinmm bench MODE`: the measurements besides gup_test's,
 * each a figure beside a baseline measured in the same run.
 *
 *   fault    fault-in per page (4 KiB, THP): the model's against the host
 *            kernel's fault-in of the same size and backing, and against
 *            the model's own write to a page already present
 *   fork     fork of a range with 0 %, 1 % and 100 % of its pages pinned
 *            (pinned anonymous pages are copied for the child): 1 % against
 *            0 % plus the copies of those pages (priced from the 100 % fork)
 *   dio      Direct IO engine throughput, 1 MiB requests, read and write,
 *            one at a time and all at once: against memcpy() bandwidth of
 *            1 MiB blocks over the same amount of memory
 *   migrate  pnm_migrate_range() between ZONE_MOVABLE and ZONE_NORMAL
 *            (4 KiB, THP): against memcpy() of the same bytes
 *   movable  pin_user_pages_fast(FOLL_LONGTERM) of ZONE_MOVABLE memory,
 *            which migrates it out first: against the same pin of the same
 *            memory once it sits in ZONE_NORMAL
 *   layout   the descriptor bytes per page (pnm_page_desc_size()): against
 *            Linux's 64-byte struct page
 *   scale    pin-fast 4 KiB x512 with 1 and 2 threads, disjoint and shared
 *            ranges (bench_model.c's rows): 2 threads' pages per µs against
 *            one thread's, and the limit's scaling beside it
 *
 * Each measuring mode builds its own model (scn_model_init()), registry on
 * unless --registry off, pin_debug off; -m sets the range (fork -m 1024:
 * 1 GiB), -r the repeats, each after one untimed round.  A figure and its
 * baseline are taken in the same repeat, and the ratio is the median of
 * the repeats' ratios.  Only the public API (<pinmm/pinmm.h>).
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/wait.h>
#define PNM_NO_CALL_SITE_CAPTURE
#include "util.h"
#include "bench_core.h"
#include "bench.h"
#include "scn.h"

/* What a mode has while it runs. */
struct more {
	const struct bench_opts *o;
	struct bench_result *res;
	unsigned int nr, max;
	struct task_struct *task;	/* the model's process, current */
	unsigned long bytes, pages;	/* the range */
};

/* --- results ------------------------------------------------------------------------ */

void bench_result_add(struct bench_result *res, unsigned int *nr, unsigned int max,
		      unsigned int n, const char *mode, const char *what, const char *unit,
		      const char *base_what, const double *v, const double *b, const char *target,
		      double limit)
{
	double r[BENCH_MAX_REPEATS], vs[BENCH_MAX_REPEATS], bs[BENCH_MAX_REPEATS];
	struct bench_result *x;

	if (*nr == max)
		return;
	x = &res[(*nr)++];
	memset(x, 0, sizeof(*x));
	x->mode = mode;
	snprintf(x->what, sizeof(x->what), "%s", what);
	snprintf(x->base_what, sizeof(x->base_what), "%s", base_what);
	x->unit = unit;
	for (unsigned int k = 0; k < n; k++)
		r[k] = b[k] > 0 ? v[k] / b[k] : 0;
	x->ratio = bench_median(r, n);
	memcpy(vs, v, n * sizeof(*v));
	memcpy(bs, b, n * sizeof(*b));
	x->value = bench_median(vs, n);
	x->base = bench_median(bs, n);
	x->target = target;
	x->limit = limit;
	x->met = !target ? -1 : !strcmp(target, "<=") ? x->ratio <= limit : x->ratio >= limit;
}

/* bench_result_add() to @m's results, over its repeats. */
static void add_result(struct more *m, const char *mode, const char *what, const char *unit,
		       const char *base_what, const double *v, const double *b, const char *target,
		       double limit)
{
	bench_result_add(m->res, &m->nr, m->max, m->o->repeats, mode, what, unit, base_what, v, b,
			 target, limit);
}

/* --- the model and the host ---------------------------------------------------------- */

/* Build a model with @normal and @movable frames and one process, current
 * in this thread.  0, or 1 after a message. */
static int model_up(struct more *m, unsigned long normal, unsigned long movable)
{
	struct pnm_config cfg;
	int err;

	bench_config(&cfg, normal + 8192, movable, m->o->registry_on);
	err = scn_model_init(&cfg);
	if (err) {
		fprintf(stderr, "pinmm bench: pnm_init: %s\n", strerror(-err));
		return 1;
	}
	err = pnm_task_create("bench", &m->task);
	if (err) {
		fprintf(stderr, "pinmm bench: pnm_task_create: %s\n", strerror(-err));
		scn_model_fini();
		return 1;
	}
	pnm_task_enter(m->task);
	return 0;
}

/* Tear down what model_up() built; 1 after a message if it did not go. */
static int model_down(struct more *m)
{
	int err;

	pnm_task_enter(NULL);
	pnm_task_exit(m->task);
	pnm_task_put(m->task);
	err = scn_model_fini();
	if (err) {
		fprintf(stderr, "pinmm bench: pnm_fini: %s\n", strerror(-err));
		return 1;
	}
	return 0;
}

/* Say that @what returned @err; 1. */
static int failed(const char *what, long err)
{
	fprintf(stderr, "pinmm bench: %s: %s\n", what, err < 0 ? strerror((int)-err) : "short");
	return 1;
}

/*
 * The host kernel's fault-in of @bytes of private anonymous memory
 * (4 KiB pages, or THPs with @thp): ns per 4 KiB page of touching each
 * page once, mapping and unmapping untimed; -1 if the host refused.
 */
static double host_fault_ns(unsigned long bytes, bool thp)
{
	size_t len = bytes + (thp ? HPAGE_PMD_SIZE : 0);
	char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	volatile char *a;
	double t0, t1;

	if (p == MAP_FAILED)
		return -1;
	a = thp ? (char *)ALIGN((unsigned long)p, HPAGE_PMD_SIZE) : p;
	madvise((void *)a, bytes, thp ? MADV_HUGEPAGE : MADV_NOHUGEPAGE);
	t0 = bench_now_ns();
	for (unsigned long off = 0; off < bytes; off += PAGE_SIZE)
		a[off] = 1;
	t1 = bench_now_ns();
	munmap(p, len);
	return (t1 - t0) / (double)(bytes / PAGE_SIZE);
}

/* ns per 4 KiB of memcpy() over @bytes in blocks of @block bytes, from
 * one host buffer to another (both written first). */
static double memcpy_ns(char *dst, const char *src, unsigned long bytes, unsigned long block)
{
	double t0 = bench_now_ns();

	for (unsigned long off = 0; off < bytes; off += block)
		memcpy(dst + off, src + off, block);
	/* Keep the copies: a compiler may not drop what is read back. */
	__asm__ volatile("" : : "r"(dst) : "memory");
	return (bench_now_ns() - t0) / (double)(bytes / PAGE_SIZE);
}

/* Two host buffers of @bytes for memcpy_ns(), written; NULL on failure. */
static char *host_buffers(unsigned long bytes)
{
	char *p = malloc(bytes * 2);

	if (p)
		memset(p, 1, bytes * 2);
	return p;
}

/* --- fault ---------------------------------------------------------------------------- */

static int run_fault(struct more *m)
{
	static const char *const name[2] = { "4K", "THP" };
	double v[BENCH_MAX_REPEATS], h[BENCH_MAX_REPEATS], w[BENCH_MAX_REPEATS];
	unsigned int n = m->o->repeats;
	int ret;

	if (model_up(m, m->pages + 1024, 0))
		return 1;
	for (int b = 0; b < 2; b++) {
		for (unsigned int k = 0; k <= n; k++) {
			unsigned long a;
			double t0, t1, t2;
			int err;

			bench_progress(b ? "fault: THP" : "fault: 4K");
			err = bench_mmap_area(m->task, m->bytes, b ? AREA_THP : AREA_SMALL, &a);
			if (err)
				return model_down(m), failed("mapping the range", err);
			t0 = bench_now_ns();
			err = bench_touch_area(m->task, a, m->bytes);
			t1 = bench_now_ns();
			if (!err)
				err = bench_touch_area(m->task, a, m->bytes);
			t2 = bench_now_ns();
			if (err)
				return model_down(m), failed("pnm_user_write", err);
			/* The task's only mapping: unmap it with the THP
			 * alignment's slack either side. */
			err = pnm_munmap(m->task, a - (b ? HPAGE_PMD_SIZE : 0),
					 m->bytes + (b ? 2 * HPAGE_PMD_SIZE : 0));
			if (err)
				return model_down(m), failed("pnm_munmap", err);
			if (!k)
				continue;
			v[k - 1] = (t1 - t0) / (double)m->pages;
			w[k - 1] = (t2 - t1) / (double)m->pages;
			h[k - 1] = host_fault_ns(m->bytes, b);
			if (h[k - 1] < 0)
				return model_down(m), failed("host mmap", -ENOMEM);
		}
		char what[80], base[80];

		snprintf(what, sizeof(what), "fault-in %s, a byte per page", name[b]);
		snprintf(base, sizeof(base), "host kernel's fault-in %s", name[b]);
		add_result(m, "fault", what, "ns/page", base, v, h, NULL, 0);
		snprintf(base, sizeof(base), "model's write to present %s", name[b]);
		add_result(m, "fault", what, "ns/page", base, v, w, NULL, 0);
	}
	ret = model_down(m);
	return ret;
}

/* --- fork ------------------------------------------------------------------------------ */

/* fork() + the child's _exit() + waitpid() of this process, in ns; -1 if
 * the host refused. */
static double host_fork_once(void)
{
	double t0;
	pid_t pid;

	fflush(NULL);
	t0 = bench_now_ns();
	pid = fork();
	if (pid == 0)
		_exit(0);
	if (pid < 0 || waitpid(pid, NULL, 0) != pid)
		return -1;
	return bench_now_ns() - t0;
}

/* The least of 5 host_fork_once(); -1 if the host refused. */
static double host_fork_min(void)
{
	double best = -1;

	for (int i = 0; i < 5; i++) {
		double t = host_fork_once();

		if (t < 0)
			return -1;
		if (best < 0 || t < best)
			best = t;
	}
	return best;
}

/*
 * The host kernel's fork of @bytes of private anonymous memory (4 KiB
 * pages, written): ns per 4 KiB page of what a fork of this process costs
 * with it mapped more than without it (the model torn down; each the least
 * of 5 forks).  Where noise makes that difference not positive (a tiny
 * range), the whole fork with it, per page: *@whole says which.  -1 if the
 * host refused.
 */
static double host_fork_ns(unsigned long bytes, bool *whole)
{
	char *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	double with, without, pages = (double)(bytes / PAGE_SIZE);

	if (p == MAP_FAILED)
		return -1;
	madvise(p, bytes, MADV_NOHUGEPAGE);
	memset(p, 1, bytes);
	with = host_fork_min();
	munmap(p, bytes);
	without = host_fork_min();
	if (with < 0 || without < 0)
		return -1;
	*whole = with <= without;
	return (*whole ? with : with - without) / pages;
}

/*
 * Pin every @every-th page of the range at @addr (@every 1: all of it, in
 * calls of 512 pages) into @pages; the number pinned, or -errno.
 */
static long pin_every(struct more *m, unsigned long addr, unsigned long every, struct page **pages)
{
	unsigned long step = every == 1 ? HPAGE_PMD_NR : every, n = every == 1 ? step : 1;
	long held = 0;

	for (unsigned long i = 0; i < m->pages; i += step) {
		int got = pin_user_pages_fast(addr + i * PAGE_SIZE, (int)n, FOLL_WRITE,
					      pages + held);

		if (got != (int)n) {
			if (got > 0)
				held += got;
			unpin_user_pages(pages, (unsigned long)held);
			return got < 0 ? got : -EFAULT;
		}
		held += got;
	}
	return held;
}

static int run_fork(struct more *m)
{
	static const unsigned long every[3] = { 0, 100, 1 };	/* 0 %, 1 %, 100 % */
	double t[3][BENCH_MAX_REPEATS], base1[BENCH_MAX_REPEATS], hostb[BENCH_MAX_REPEATS];
	double memb[BENCH_MAX_REPEATS], host[BENCH_MAX_REPEATS];
	unsigned int n = m->o->repeats;
	long held[3] = { 0 };
	bool whole = false, any_whole = false;
	struct page **pages = calloc(m->pages, sizeof(*pages));
	char *hbuf = host_buffers(m->bytes);
	unsigned long a;
	int err;

	if (!pages || !hbuf) {
		free(pages);
		free(hbuf);
		return failed("memory for the page array", -ENOMEM);
	}
	if (model_up(m, 2 * m->pages + m->pages / 128 + 1024, 0))
		goto fail_free;
	err = bench_map_area(m->task, m->bytes, AREA_SMALL, &a);
	if (err) {
		failed("mapping the range", err);
		goto fail_down;
	}
	for (unsigned int k = 0; k <= n; k++)
		for (int p = 0; p < 3; p++) {
			struct task_struct *child;
			double t0, t1;

			bench_progress(p == 0 ? "fork: none pinned" : p == 1 ? "fork: 1 % pinned" :
				       "fork: all pinned");
			held[p] = every[p] ? pin_every(m, a, every[p], pages) : 0;
			if (held[p] < 0) {
				failed("pin_user_pages_fast", held[p]);
				goto fail_down;
			}
			t0 = bench_now_ns();
			err = pnm_task_fork(m->task, "child", &child);
			t1 = bench_now_ns();
			if (err) {
				unpin_user_pages(pages, (unsigned long)held[p]);
				failed("pnm_task_fork", err);
				goto fail_down;
			}
			pnm_task_exit(child);
			pnm_task_put(child);
			unpin_user_pages(pages, (unsigned long)held[p]);
			if (k)
				t[p][k - 1] = (t1 - t0) / 1e6;
		}
	if (model_down(m))
		goto fail_free;
	for (unsigned int k = 0; k < n; k++) {
		/* 1 %: the 0 % fork plus its pinned pages' copies, priced
		 * per page by the 100 % fork's extra time. */
		base1[k] = t[0][k] + (t[2][k] - t[0][k]) * (double)held[1] / (double)held[2];
		memb[k] = t[0][k] + memcpy_ns(hbuf + m->bytes, hbuf, m->bytes, PAGE_SIZE) *
				    (double)m->pages / 1e6;
		host[k] = t[0][k] / (double)m->pages * 1e6;
	}
	/* The host forks after the copies, without the buffers: a fork
	 * would leave them write-protected, and would copy them too. */
	free(hbuf);
	hbuf = NULL;
	for (unsigned int k = 0; k < n; k++) {
		hostb[k] = host_fork_ns(m->bytes, &whole);
		any_whole |= whole;
		if (hostb[k] < 0) {
			free(pages);
			return failed("host fork", -ENOMEM);
		}
	}
	add_result(m, "fork", "fork, no page pinned", "ns/page",
		   any_whole ? "host kernel's whole fork, per page" :
		   "host kernel's fork, per page", host, hostb, NULL, 0);
	add_result(m, "fork", "fork, 1 % of pages pinned", "ms",
		   "0 % fork + those pages' copies", t[1], base1, "<=", 1.10);
	add_result(m, "fork", "fork, 100 % of pages pinned", "ms", "0 % fork + memcpy, 4 KiB blocks",
		   t[2], memb, NULL, 0);
	free(pages);
	free(hbuf);
	return 0;

fail_down:
	model_down(m);
fail_free:
	free(pages);
	free(hbuf);
	return 1;
}

/* --- dio ------------------------------------------------------------------------------- */

#define DIO_REQ		(1UL << 20)	/* bytes per request */

/*
 * Move the whole range between memory at @addr and @file in requests of
 * 1 MiB, @op PNM_DIO_READ or _WRITE: one at a time (@all false) or all
 * submitted before any is waited for.  0, or 1 after a message.
 */
static int dio_pass(struct more *m, struct pnm_dio_dev *dev, struct file *file,
		    unsigned int op, unsigned long addr, bool all)
{
	unsigned long nr = m->bytes / DIO_REQ;
	struct pnm_dio_req *req[1024];
	ssize_t got;
	int err;

	for (unsigned long i = 0; i < nr; i++) {
		if (!all) {
			got = pnm_dio_rw(dev, file, op, addr + i * DIO_REQ, DIO_REQ,
					 (int64_t)(i * DIO_REQ));
			if (got != (ssize_t)DIO_REQ)
				return failed("pnm_dio_rw", (long)got);
			continue;
		}
		err = pnm_dio_submit(dev, file, op, addr + i * DIO_REQ, DIO_REQ,
				     (int64_t)(i * DIO_REQ), &req[i]);
		if (err) {
			while (i--)
				pnm_dio_wait(req[i]);
			return failed("pnm_dio_submit", err);
		}
	}
	err = 0;
	for (unsigned long i = 0; all && i < nr; i++) {
		got = pnm_dio_wait(req[i]);
		if (got != (ssize_t)DIO_REQ && !err)
			err = failed("pnm_dio_wait", (long)got);
	}
	return err;
}

static int run_dio(struct more *m)
{
	static const char *const what[4] = {
		"DIO read (file -> memory), 1 MiB, one at a time",
		"DIO write (memory -> file), 1 MiB, one at a time",
		"DIO read, 1 MiB, all queued, 2 device threads",
		"DIO write, 1 MiB, all queued, 2 device threads",
	};
	double v[4][BENCH_MAX_REPEATS], b[BENCH_MAX_REPEATS];
	unsigned int n = m->o->repeats;
	struct pnm_dio_dev *dev[2] = { NULL, NULL };
	struct file *file = NULL;
	char *hbuf = host_buffers(m->bytes);
	unsigned long a;
	int err, ret = 1;

	if (!hbuf)
		return failed("host memory", -ENOMEM);
	if (m->bytes / DIO_REQ > 1024) {
		free(hbuf);
		return failed("dio: at most 1024 MiB", -EINVAL);
	}
	if (model_up(m, 2 * m->pages + 1024, 0))
		goto out_free;
	err = bench_map_area(m->task, m->bytes, AREA_SMALL, &a);
	if (!err)
		err = pnm_file_open(PNM_FS_DISK, "bench-dio", O_RDWR | O_CREAT, &file);
	if (!err)
		err = pnm_file_truncate(file, (int64_t)m->bytes);
	if (!err)
		err = pnm_dio_dev_create(1, &dev[0]);
	if (!err)
		err = pnm_dio_dev_create(2, &dev[1]);
	if (err) {
		failed("the range, the file or the devices", err);
		goto out_down;
	}
	for (unsigned int k = 0; k <= n; k++) {
		for (int i = 0; i < 4; i++) {
			unsigned int op = i % 2 ? PNM_DIO_WRITE : PNM_DIO_READ;
			double t0;

			bench_progress(what[i]);
			/* The first round writes the file before it is read. */
			if (!k && !i && dio_pass(m, dev[0], file, PNM_DIO_WRITE, a, false))
				goto out_down;
			t0 = bench_now_ns();
			if (dio_pass(m, dev[i / 2], file, op, a, i >= 2))
				goto out_down;
			if (k)
				v[i][k - 1] = (double)m->bytes / (bench_now_ns() - t0);
		}
		if (k)
			b[k - 1] = (double)PAGE_SIZE /
				   memcpy_ns(hbuf + m->bytes, hbuf, m->bytes, DIO_REQ);
	}
	for (int i = 0; i < 4; i++)
		add_result(m, "dio", what[i], "GB/s", "memcpy, 1 MiB blocks", v[i], b, ">=", 0.50);
	ret = 0;
out_down:
	for (int i = 0; i < 2; i++)
		if (dev[i] && pnm_dio_dev_destroy(dev[i]) && !ret)
			ret = failed("pnm_dio_dev_destroy", -EBUSY);
	if (file)
		pnm_file_close(file);
	if (model_down(m))
		ret = 1;
out_free:
	free(hbuf);
	return ret;
}

/* --- migrate and movable ---------------------------------------------------------------- */

/* Move the range at @addr to @zone; 0, or 1 after a message if fewer
 * than all its pages moved (@all) or an error. */
static int migrate_to(struct more *m, unsigned long addr, enum pnm_zone_type zone, bool all)
{
	long moved = pnm_migrate_range(m->task, addr, m->bytes, zone);

	if (moved < 0 || (all && moved != (long)m->pages))
		return failed(zone == PNM_ZONE_NORMAL ? "pnm_migrate_range to Normal" :
			      "pnm_migrate_range to Movable", moved < 0 ? moved : 0);
	return 0;
}

/* Pin the range with FOLL_LONGTERM in calls of 512 pages into @pages,
 * then unpin it; 0, or 1 after a message. */
static int longterm_pass(struct more *m, unsigned long addr, struct page **pages)
{
	for (unsigned long i = 0; i < m->pages; i += HPAGE_PMD_NR) {
		int got = pin_user_pages_fast(addr + i * PAGE_SIZE, HPAGE_PMD_NR,
					      FOLL_WRITE | FOLL_LONGTERM, pages + i);

		if (got != HPAGE_PMD_NR) {
			unpin_user_pages(pages, i + (got > 0 ? (unsigned long)got : 0));
			return failed("pin_user_pages_fast(FOLL_LONGTERM)", got);
		}
	}
	unpin_user_pages(pages, m->pages);
	return 0;
}

/* The zone of the page at @addr, or -1. */
static int zone_at(struct more *m, unsigned long addr)
{
	struct pnm_page_info pi = { .size = sizeof(pi) };

	return pnm_task_page_info(m->task, addr, &pi) ? -1 : (int)pi.zone;
}

/* migrate (@movable false) or movable: per backing, the model's moves or
 * long-term pins against memcpy() or the pin of Normal memory. */
static int run_moves(struct more *m, bool movable)
{
	static const char *const name[2] = { "4K", "THP" };
	double v[BENCH_MAX_REPEATS], b[BENCH_MAX_REPEATS], c[BENCH_MAX_REPEATS];
	unsigned int n = m->o->repeats;
	struct page **pages = calloc(m->pages, sizeof(*pages));
	char *hbuf = movable ? NULL : host_buffers(m->bytes);
	int ret = 1;

	if (!pages || (!movable && !hbuf)) {
		ret = failed("host memory", -ENOMEM);
		goto out_free;
	}
	if (model_up(m, m->pages + 1024, m->pages + 2 * HPAGE_PMD_NR))
		goto out_free;
	for (int bk = 0; bk < 2; bk++) {
		char what[96], base[96];
		unsigned long a;
		int err = bench_map_area(m->task, m->bytes, bk ? AREA_THP : AREA_SMALL, &a);

		if (err) {
			failed("mapping the range", err);
			goto out_down;
		}
		for (unsigned int k = 0; k <= n; k++) {
			double t0, t1, t2, t3;

			bench_progress(movable ? "movable" : "migrate");
			if (migrate_to(m, a, PNM_ZONE_MOVABLE, false))
				goto out_down;
			if (zone_at(m, a) != PNM_ZONE_MOVABLE) {
				failed("the range is not in ZONE_MOVABLE", 0);
				goto out_down;
			}
			t0 = bench_now_ns();
			if (movable ? longterm_pass(m, a, pages) : migrate_to(m, a, PNM_ZONE_NORMAL, true))
				goto out_down;
			t1 = bench_now_ns();
			if (zone_at(m, a) != PNM_ZONE_NORMAL) {
				failed(movable ? "a long-term pin did not migrate out of ZONE_MOVABLE" :
				       "the range did not move to ZONE_NORMAL", 0);
				goto out_down;
			}
			/* movable: the same pin of the same memory, in Normal
			 * now, then its move back (timed: the migration alone). */
			if (movable && longterm_pass(m, a, pages))
				goto out_down;
			t2 = bench_now_ns();
			if (migrate_to(m, a, PNM_ZONE_MOVABLE, true))
				goto out_down;
			t3 = bench_now_ns();
			if (!k)
				continue;
			if (movable) {
				v[k - 1] = (t1 - t0) / (double)m->pages;
				b[k - 1] = (t2 - t1) / (double)m->pages;
				c[k - 1] = (t3 - t1) / (double)m->pages;
			} else {
				v[k - 1] = 2.0 * (double)m->bytes / (t1 - t0 + t3 - t2);
				/* One copy per folio, as a migration copies. */
				b[k - 1] = (double)PAGE_SIZE /
					   memcpy_ns(hbuf + m->bytes, hbuf, m->bytes,
						     bk ? HPAGE_PMD_SIZE : PAGE_SIZE);
			}
		}
		if (movable) {
			snprintf(what, sizeof(what), "long-term pin of Movable %s, x512", name[bk]);
			snprintf(base, sizeof(base), "the same pin of it in Normal");
			add_result(m, "movable", what, "ns/page", base, v, b, NULL, 0);
			snprintf(base, sizeof(base), "that pin + migrating it alone");
			add_result(m, "movable", what, "ns/page", base, v, c, NULL, 0);
		} else {
			snprintf(what, sizeof(what), "migrate %s Movable <-> Normal", name[bk]);
			add_result(m, "migrate", what, "GB/s", bk ? "memcpy, 2 MiB blocks" :
				   "memcpy, 4 KiB blocks", v, b, NULL, 0);
		}
		err = pnm_munmap(m->task, a, m->bytes);
		if (err) {
			failed("pnm_munmap", err);
			goto out_down;
		}
	}
	ret = 0;
out_down:
	if (model_down(m))
		ret = 1;
out_free:
	free(pages);
	free(hbuf);
	return ret;
}

/* --- layout ----------------------------------------------------------------------------- */

static int run_layout(struct more *m)
{
	double d[BENCH_MAX_REPEATS], v[BENCH_MAX_REPEATS], b[BENCH_MAX_REPEATS];
	unsigned int side = 0;
	size_t desc = pnm_page_desc_size(&side);

	for (unsigned int k = 0; k < m->o->repeats; k++) {
		d[k] = (double)desc;
		v[k] = (double)desc + side / 64.0 / 8.0;
		b[k] = 64;
	}
	add_result(m, "layout", "descriptor (struct page) per page", "bytes",
		   "Linux's struct page", d, b, "<=", 1.00);
	add_result(m, "layout", "descriptor + per-frame side tables", "bytes",
		   "Linux's struct page", v, b, NULL, 0);
	return 0;
}

/* --- scale ------------------------------------------------------------------------------ */

/* Pages per µs of repeat @k of @h (the benchmark, or its limit with
 * @limit), for @pages pages in all. */
static double rate(const struct bench_half *h, unsigned int k, bool limit, double pages)
{
	double us = limit ? h->lget_us[k] + h->lput_us[k] : h->get_us[k] + h->put_us[k];

	return us > 0 ? pages / us : 0;
}

static int run_scale(struct more *m)
{
	static const char *const name[4] = { "1 thread", "2 threads disjoint", "2 threads shared",
					     "1 thread, twin beside" };
	struct bench_opts o = *m->o;
	struct bench_cell cells[4];
	unsigned int n = o.repeats;

	memset(cells, 0, sizeof(cells));
	for (int i = 0; i < 4; i++) {
		cells[i].method = BM_PIN_FAST;
		cells[i].backing = BK_4K;
		cells[i].batch = HPAGE_PMD_NR;
		cells[i].threads = i == 1 || i == 2 ? 2 : 1;
		cells[i].shared = i == 2;
		cells[i].twin = i == 3;
	}
	for (int reg = 0; reg < 2; reg++) {
		/* [figure row, baseline row] */
		static const int cmp[6][2] = { { 1, 3 }, { 2, 3 }, { 1, 3 }, { 2, 3 }, { 3, 0 },
					       { 1, 0 } };

		if (!(reg ? o.registry_off : o.registry_on))
			continue;
		if (bench_model_run(&o, reg, cells, 4, NULL))
			return 1;
		/*
		 * Against the twin: both vCPUs busy on either side, so the
		 * ratio is what the two threads share (the target); the
		 * limit's beside it.  Then what a busy other vCPU costs one
		 * thread, and the scaling against a lone thread (whatever
		 * the other vCPU did meanwhile).
		 */
		for (int r = 0; r < 6; r++) {
			const struct bench_cell *x = &cells[cmp[r][0]], *y = &cells[cmp[r][1]];
			bool lim = r == 2 || r == 3;
			double v[BENCH_MAX_REPEATS], b[BENCH_MAX_REPEATS];
			char what[96], base[96];

			for (unsigned int k = 0; k < n; k++) {
				/* Each thread pins the whole range, its own
				 * or the shared one. */
				v[k] = rate(&x->half[reg], k, lim, (double)x->threads * (double)m->pages);
				b[k] = rate(&y->half[reg], k, lim, (double)m->pages);
			}
			snprintf(what, sizeof(what), "%s 4K x512, %s, registry %s",
				 lim ? "the limit" : "pin-fast", name[cmp[r][0]], reg ? "off" : "on");
			snprintf(base, sizeof(base), "the same, %s", name[cmp[r][1]]);
			add_result(m, "scale", what, "pages/us", base, v, b, !r ? ">=" : NULL, 1.80);
		}
	}
	return 0;
}

/* --- the gup table's targets ------------------------------------------------------------ */

/* The row of @cells for pin-fast on @b, @batch pages per call, @threads
 * (disjoint ranges), or NULL. */
static const struct bench_cell *find_cell(const struct bench_cell *cells, unsigned int nr,
					  enum bench_backing b, unsigned long batch,
					  unsigned int threads)
{
	for (unsigned int i = 0; i < nr; i++)
		if (cells[i].method == BM_PIN_FAST && cells[i].backing == b &&
		    cells[i].batch == batch && cells[i].threads == threads && !cells[i].shared &&
		    !cells[i].twin)
			return &cells[i];
	return NULL;
}

/* The twin row of pin-fast 4K x512 in @cells (bench_cell.twin), or NULL. */
static const struct bench_cell *find_twin(const struct bench_cell *cells, unsigned int nr)
{
	for (unsigned int i = 0; i < nr; i++)
		if (cells[i].twin && cells[i].method == BM_PIN_FAST && cells[i].backing == BK_4K &&
		    cells[i].batch == 512)
			return &cells[i];
	return NULL;
}

/* Repeat @k's ns per page of half @h of @c (@limit: its limit's). */
static double ns_at(const struct bench_opts *o, const struct bench_cell *c, int reg,
		    unsigned int k, bool limit)
{
	const struct bench_half *h = &c->half[reg];
	double pages = (double)((o->mib << 20) / PAGE_SIZE) * c->threads;

	return (limit ? h->lget_us[k] + h->lput_us[k] : h->get_us[k] + h->put_us[k]) * 1e3 / pages;
}

/* Every repeat's ns per page of @c's half @reg into @v, its limit's into @b. */
static void vs_limit(const struct bench_opts *o, const struct bench_cell *c, int reg, double *v,
		     double *b)
{
	for (unsigned int k = 0; k < o->repeats; k++) {
		v[k] = ns_at(o, c, reg, k, false);
		b[k] = ns_at(o, c, reg, k, true);
	}
}

void bench_gup_targets(const struct bench_opts *o, const struct bench_cell *cells,
		       unsigned int nr_cells, const struct bench_host *host,
		       struct bench_result *res, unsigned int *nr, unsigned int max)
{
	const struct bench_cell *x512 = find_cell(cells, nr_cells, BK_4K, 512, 1);
	const struct bench_cell *x1 = find_cell(cells, nr_cells, BK_4K, 1, 1);
	const struct bench_cell *thp = find_cell(cells, nr_cells, BK_THP, 512, 1);
	const struct bench_cell *two = find_cell(cells, nr_cells, BK_4K, 512, 2);
	const struct bench_cell *twin = find_twin(cells, nr_cells);
	double v[BENCH_MAX_REPEATS], b[BENCH_MAX_REPEATS];
	unsigned int n = o->repeats;
	char what[96];

	for (int reg = 0; reg < 2; reg++) {
		const char *rs = reg ? "off" : "on";

		if (!(reg ? o->registry_off : o->registry_on))
			continue;
		if (x512) {
			snprintf(what, sizeof(what), "pin-fast 4K x512, registry %s", rs);
			vs_limit(o, x512, reg, v, b);
			bench_result_add(res, nr, max, n, "gup", what, "ns/page", "the limit", v, b,
					 reg ? "<=" : NULL, 1.50);
			if (host[BK_4K].measured) {
				for (unsigned int k = 0; k < n; k++)
					b[k] = host[BK_4K].ns_page;
				bench_result_add(res, nr, max, n, "gup", what, "ns/page",
						 "host io_uring register+unregister", v, b, "<=",
						 1.0 / 3);
			}
		}
		if (x1) {
			/* One page per call: the whole cost is per call. */
			vs_limit(o, x1, reg, v, b);
			snprintf(what, sizeof(what), "pin-fast 4K x1 (per call), registry %s", rs);
			bench_result_add(res, nr, max, n, "gup", what, "ns/call", "the limit", v, b,
					 "<=", 3.0);
		}
		if (thp) {
			for (unsigned int k = 0; k < n; k++) {
				v[k] = ns_at(o, thp, reg, k, false);
				b[k] = 1.0;
			}
			snprintf(what, sizeof(what), "pin-fast THP x512, registry %s", rs);
			bench_result_add(res, nr, max, n, "gup", what, "ns/page", "1 ns per page", v, b,
					 reg ? NULL : "<=", 1.0);
		}
		if (x512 && two) {
			/* Against one thread beside a twin where measured
			 * (bench.c adds it): the other CPU as busy as here. */
			const struct bench_cell *one = twin ? twin : x512;

			for (unsigned int k = 0; k < n; k++) {
				v[k] = 1e3 / ns_at(o, two, reg, k, false);
				b[k] = 1e3 / ns_at(o, one, reg, k, false);
			}
			snprintf(what, sizeof(what), "pin-fast 4K x512, 2 threads disjoint, registry %s",
				 rs);
			bench_result_add(res, nr, max, n, "gup", what, "pages/us",
					 twin ? "the same, 1 thread beside a twin" :
					 "the same, 1 thread", v, b, ">=", 1.80);
		}
	}
	/* Registry on against off, 4 KiB and THP at 512 pages per call. */
	for (int i = 0; i < 2 && o->registry_on && o->registry_off; i++) {
		const struct bench_cell *c = i ? thp : x512;

		if (!c)
			continue;
		for (unsigned int k = 0; k < n; k++) {
			v[k] = ns_at(o, c, 0, k, false);
			b[k] = ns_at(o, c, 1, k, false);
		}
		bench_result_add(res, nr, max, n, "gup", i ? "pin-fast THP x512, registry on" :
				 "pin-fast 4K x512, registry on", "ns/page", "registry off", v, b, "<=",
				 1.25);
	}
}

/* --- the modes -------------------------------------------------------------------------- */

int bench_more_run(const struct bench_opts *o, enum bench_mode mode, struct bench_result *res,
		   unsigned int *nr, unsigned int max)
{
	struct more m = {
		.o = o, .res = res, .nr = *nr, .max = max,
		.bytes = o->mib << 20, .pages = (o->mib << 20) / PAGE_SIZE,
	};
	int ret;

	switch (mode) {
	case BMODE_FAULT:
		ret = run_fault(&m);
		break;
	case BMODE_FORK:
		ret = run_fork(&m);
		break;
	case BMODE_DIO:
		ret = run_dio(&m);
		break;
	case BMODE_MIGRATE:
		ret = run_moves(&m, false);
		break;
	case BMODE_MOVABLE:
		ret = run_moves(&m, true);
		break;
	case BMODE_LAYOUT:
		ret = run_layout(&m);
		break;
	default:
		ret = run_scale(&m);
		break;
	}
	*nr = m.nr;
	return ret;
}
