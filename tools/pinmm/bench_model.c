/* SPDX-License-Identifier: MIT */
/*
 * bench_model.c - `pinmm bench`'s measurements in the model.
 *
 * One model per registry setting (pnm_config.pin_registry on or off;
 * pin_debug off, so that off is the production configuration), with every
 * range the rows need mapped and faulted in before any timing: per backing,
 * as many ranges as the most threads of a disjoint row.  ZONE_MOVABLE is
 * empty, so that long-term pins never migrate (migration is measured apart).
 *
 * A row runs its threads (threads of one process: each enters the task) on
 * one range each (disjoint) or all on the first (shared).  Each repeat,
 * after one untimed round, times the limit and then the benchmark, each as
 * gup_test does: the whole range pinned in calls of n pages (get), then all
 * of it released (put).  Threads start each half together (a barrier) and
 * the wall time runs from the first thread's start to the last one's end.
 * The barrier spins (then yields), so that the threads start within a
 * fraction of a microsecond of each other rather than a futex wake-up apart.
 *
 * A twin row (bench_cell.twin) is one thread whose machine is as busy as a
 * 2-thread row's: a forked copy of the process runs the limit's passes on
 * the second range all the while.  On this 2-vCPU virtual machine one
 * thread runs about twice as fast while the other vCPU is idle as while it
 * runs anything, even a register-only loop in another process (pin-fast
 * 4K x512 ~18-20 against ~35-38 ns/page, the limit ~11 against ~15): the
 * host's, not the model's.  A 2-thread row always has both vCPUs busy, so
 * against a lone thread its scaling measures whether the other vCPU
 * happened to be idle; against the twin, which shares nothing with it (its
 * own copy of the model, after fork), it measures what the threads share.
 */
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>
/* The entry points alone, as bench/bench_gup_fast.c calls them: without the
 * header's call-site capture (one pnm_gup_set_call_site() per GUP call). */
#define PNM_NO_CALL_SITE_CAPTURE
#include "util.h"
#include "bench_core.h"
#include "bench.h"
#include "scn.h"

/* The times of one half (limit or benchmark) of one repeat in one thread. */
struct span {
	double t0, t1, t2, t3;		/* get start/end, put start/end (ns) */
};

/* A barrier of @n threads that spins before it yields. */
struct spin_barrier {
	unsigned int n;
	unsigned int count;		/* arrived in this generation */
	unsigned int gen;		/* generations completed */
};

static void spin_barrier_wait(struct spin_barrier *b)
{
	/* Acquire: pairs with the release store of gen below, by the last
	 * thread of the previous generation (its reset of count with it). */
	unsigned int gen = __atomic_load_n(&b->gen, __ATOMIC_ACQUIRE);

	/* Acquire-release: each arrival's work is ordered before the last
	 * arrival's release below; pairs with the other threads' increments. */
	if (__atomic_add_fetch(&b->count, 1, __ATOMIC_ACQ_REL) == b->n) {
		/* Seen by the waiters through the release store that follows. */
		__atomic_store_n(&b->count, 0, __ATOMIC_RELAXED);
		/* Release: publishes the reset and every arrival's work; pairs
		 * with the waiters' acquire loads of gen. */
		__atomic_store_n(&b->gen, gen + 1, __ATOMIC_RELEASE);
		return;
	}
	/* Acquire: pairs with the last arrival's release store of gen. */
	for (unsigned long spins = 0; __atomic_load_n(&b->gen, __ATOMIC_ACQUIRE) == gen; spins++)
		if (spins > 20000)
			sched_yield();
}

struct row_run;

struct worker {
	struct row_run *rr;
	unsigned long addr;		/* the thread's range */
	struct page **pages;		/* nr entries */
	void **slots;			/* the limit's, nr entries */
	struct vaddr_pin *owner;	/* BM_VADDR_PIN */
	struct span span[2][BENCH_MAX_REPEATS + 1];	/* [0] limit, [1] benchmark */
	pthread_t thread;
	long err;			/* 0, or what a call returned */
	const char *what;		/* which call */
};

struct row_run {
	struct bench_cell *cell;	/* the row measured */
	struct task_struct *task;
	unsigned long nr;		/* pages per range */
	unsigned long folio_pages;	/* 1, or 512 for 2 MiB folios */
	unsigned int gup_flags;
	unsigned int repeats;
	struct spin_barrier barrier;
	struct worker w[BENCH_MAX_THREADS];
};

static void sync_threads(struct row_run *rr)
{
	if (rr->cell->threads > 1)
		spin_barrier_wait(&rr->barrier);
}

static void fail(struct worker *w, const char *what, long err)
{
	if (!w->err) {
		w->err = err ? err : -1;
		w->what = what;
	}
}

/* The limit's get: bench_limit_get() per call of n pages. */
static void limit_get(struct worker *w)
{
	struct row_run *rr = w->rr;

	for (unsigned long off = 0; off < rr->nr; off += rr->cell->batch) {
		unsigned long n = min_t(unsigned long, rr->cell->batch, rr->nr - off);

		bench_limit_get(w->addr + off * PAGE_SIZE, n, w->slots + off);
	}
}

static void limit_put(struct worker *w)
{
	struct row_run *rr = w->rr;

	for (unsigned long off = 0; off < rr->nr; off += rr->cell->batch) {
		unsigned long n = min_t(unsigned long, rr->cell->batch, rr->nr - off);

		bench_limit_put(w->slots + off, n, rr->folio_pages);
	}
}

/* The benchmark's get: every call of n pages over the range; returns the
 * pages held (all of them, or fewer after a failure, recorded in @w). */
static unsigned long bench_get(struct worker *w)
{
	struct row_run *rr = w->rr;
	enum bench_method m = rr->cell->method;
	struct mm_struct *mm = pnm_current_mm();
	unsigned long off;

	/* gup_test holds mmap_lock across the calls of its slow-path benchmarks. */
	if (m == BM_PIN_LONGTERM || m == BM_PIN_BASIC)
		mmap_read_lock(mm);
	for (off = 0; off < rr->nr; off += rr->cell->batch) {
		unsigned long n = min_t(unsigned long, rr->cell->batch, rr->nr - off);
		unsigned long a = w->addr + off * PAGE_SIZE;
		struct page **p = w->pages + off;
		long got;

		switch (m) {
		case BM_GUP_FAST:
			got = get_user_pages_fast(a, (int)n, rr->gup_flags, p);
			break;
		case BM_PIN_FAST:
			got = pin_user_pages_fast(a, (int)n, rr->gup_flags, p);
			break;
		case BM_PIN_LONGTERM:
			got = pin_user_pages(a, n, rr->gup_flags | FOLL_LONGTERM, p);
			break;
		case BM_PIN_BASIC:
			got = pin_user_pages(a, n, rr->gup_flags, p);
			break;
		default:
			got = vaddr_pin_user_pages(w->owner, a, n, p);
			break;
		}
		if (got != (long)n) {
			fail(w, bench_method_name[m], got);
			if (got > 0 && m == BM_VADDR_PIN)	/* a partial extent is kept */
				vaddr_unpin_user_pages(w->owner, a, false);
			else if (got > 0)
				off += (unsigned long)got;
			break;
		}
	}
	if (m == BM_PIN_LONGTERM || m == BM_PIN_BASIC)
		mmap_read_unlock(mm);
	return min_t(unsigned long, off, rr->nr);
}

/* Release the first @held pages bench_get() took. */
static void bench_put(struct worker *w, unsigned long held)
{
	struct row_run *rr = w->rr;
	int err;

	switch (rr->cell->method) {
	case BM_GUP_FAST:
		for (unsigned long i = 0; i < held; i++)
			put_page(w->pages[i]);
		break;
	case BM_VADDR_PIN:
		for (unsigned long off = 0; off < held; off += rr->cell->batch) {
			err = vaddr_unpin_user_pages(w->owner, w->addr + off * PAGE_SIZE, false);
			if (err)
				fail(w, "vaddr_unpin_user_pages", err);
		}
		break;
	default:
		unpin_user_pages(w->pages, held);
		break;
	}
}

/*
 * The twin of a twin row: fork a copy of this process that runs the
 * limit's passes over the range at @addr (the same walk, descriptors and
 * atomics the benchmark's pins touch), pass after pass, until it is
 * killed.  The limit, not the model's pins: the copy has none of this
 * process's threads, so a pin path that waits for one (an RCU callback
 * never run, records never freed with the registry on) would make the
 * copy's work grow pass by pass.  The copy works on its own copy of the
 * memory (the fork's), so it shares no memory, lock or cache line with
 * this process; it says it is ready after two passes, when its
 * copy-on-write faults are done.  The wait gives up after 10 s.  The
 * copy's pid, or -1 after a message.
 */
static pid_t twin_start(struct row_run *rr, unsigned long addr)
{
	struct pollfd pfd;
	int fd[2];
	char c = 0;
	pid_t pid;

	if (pipe(fd)) {
		perror("pinmm bench: pipe");
		return -1;
	}
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		perror("pinmm bench: fork");
		close(fd[0]);
		close(fd[1]);
		return -1;
	}
	if (!pid) {
		static struct worker w;

		close(fd[0]);
		w.rr = rr;
		w.addr = addr;
		w.slots = calloc(rr->nr, sizeof(*w.slots));
		if (!w.slots)
			_exit(1);
		for (unsigned long pass = 0;; pass++) {
			limit_get(&w);
			limit_put(&w);
			if (pass == 1 && write(fd[1], "r", 1) != 1)
				_exit(1);
		}
	}
	close(fd[1]);
	pfd = (struct pollfd){ .fd = fd[0], .events = POLLIN };
	if (poll(&pfd, 1, 10000) != 1 || read(fd[0], &c, 1) != 1 || c != 'r') {
		fprintf(stderr, "pinmm bench: the twin process did not start its passes\n");
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		pid = -1;
	}
	close(fd[0]);
	return pid;
}

/* Stop the twin started by twin_start(). */
static void twin_stop(pid_t pid)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

/* One thread's part of a row: the untimed round, then every repeat. */
static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct row_run *rr = w->rr;
	struct task_struct *prev = pnm_task_enter(rr->task);

	for (unsigned int k = 0; k <= rr->repeats; k++) {
		for (int kind = 0; kind < 2; kind++) {
			struct span *s = &w->span[kind][k];
			unsigned long held = 0;

			sync_threads(rr);
			s->t0 = bench_now_ns();
			if (!kind)
				limit_get(w);
			else if (!w->err)
				held = bench_get(w);
			s->t1 = bench_now_ns();
			sync_threads(rr);
			s->t2 = bench_now_ns();
			if (!kind)
				limit_put(w);
			else
				bench_put(w, held);
			s->t3 = bench_now_ns();
		}
	}
	pnm_task_leave(prev);
	return NULL;
}

/* The wall times of half @kind (0 the limit, 1 the benchmark) of repeat @k
 * over the row's threads, in µs. */
static void wall(struct row_run *rr, int kind, unsigned int k, double *get_us, double *put_us)
{
	double t0 = 0, t1 = 0, t2 = 0, t3 = 0;

	for (unsigned int i = 0; i < rr->cell->threads; i++) {
		const struct span *s = &rr->w[i].span[kind][k];

		if (!i || s->t0 < t0)
			t0 = s->t0;
		if (!i || s->t1 > t1)
			t1 = s->t1;
		if (!i || s->t2 < t2)
			t2 = s->t2;
		if (!i || s->t3 > t3)
			t3 = s->t3;
	}
	*get_us = (t1 - t0) / 1e3;
	*put_us = (t3 - t2) / 1e3;
}

/* Print gup_test's lines of one row: one per repeat and thread. */
static void print_lines(FILE *f, struct row_run *rr, int reg)
{
	const struct bench_cell *c = rr->cell;

	bench_progress_clear();
	fprintf(f, "# %s %s, %lu pages per call, %u thread%s%s, registry %s\n",
		bench_method_name[c->method], bench_backing_name[c->backing], c->batch,
		c->threads, c->threads > 1 ? "s" : "",
		c->threads == 1 ? "" : c->shared ? " on one range" : " on their own ranges",
		reg ? "off" : "on");
	for (unsigned int k = 1; k <= rr->repeats; k++)
		for (unsigned int i = 0; i < c->threads; i++) {
			const struct span *s = &rr->w[i].span[1][k];

			fprintf(f, "%s: Time: get:%lld put:%lld us\n",
				bench_method_gup_test[c->method],
				(long long)((s->t1 - s->t0) / 1e3), (long long)((s->t3 - s->t2) / 1e3));
		}
}

/* Measure @rr->cell into its half[@reg], its threads on @ranges (the
 * backing's); print gup_test's lines to @lines.  0, or 1 after a message. */
static int run_row(const struct bench_opts *o, struct row_run *rr, int reg,
		   const unsigned long *ranges, FILE *lines)
{
	const struct bench_cell *cc = rr->cell;
	struct bench_half *h = &rr->cell->half[reg];
	double ratio[BENCH_MAX_REPEATS], a[BENCH_MAX_REPEATS], b[BENCH_MAX_REPEATS];
	unsigned int n = cc->threads, started = 0;
	int ret = 0;

	rr->folio_pages = cc->backing == BK_4K ? 1 : HPAGE_PMD_NR;
	for (unsigned int i = 0; i < n; i++) {
		struct worker *w = &rr->w[i];

		memset(w, 0, sizeof(*w));
		w->rr = rr;
		w->addr = ranges[cc->shared ? 0 : i];
		w->pages = calloc(rr->nr, sizeof(*w->pages));
		w->slots = calloc(rr->nr, sizeof(*w->slots));
		if (!w->pages || !w->slots) {
			fprintf(stderr, "pinmm bench: out of memory\n");
			ret = 1;
		}
		if (cc->method == BM_VADDR_PIN && !ret) {
			struct vaddr_pin_params vpp = { .size = sizeof(vpp) };
			int err;

			vpp.task = rr->task;
			vpp.flags = o->write ? VADDR_PIN_WRITE : 0;
			vpp.name = "bench";
			err = vaddr_pin_create(&vpp, &w->owner);
			if (err) {
				fprintf(stderr, "pinmm bench: vaddr_pin_create: %s\n", strerror(-err));
				ret = 1;
			}
		}
	}
	rr->barrier = (struct spin_barrier){ .n = n };
	if (!ret && cc->twin) {
		pid_t twin = twin_start(rr, ranges[1]);

		if (twin < 0) {
			ret = 1;
		} else {
			worker_main(&rr->w[0]);
			started = 1;
			twin_stop(twin);
		}
	} else if (!ret && n == 1) {
		worker_main(&rr->w[0]);
		started = 1;
	} else if (!ret) {
		for (; started < n; started++)
			if (pthread_create(&rr->w[started].thread, NULL, worker_main,
					   &rr->w[started]))
				break;
		if (started < n) {
			/* The threads started wait at the barrier for the
			 * others: say so and stop. */
			fprintf(stderr, "pinmm bench: pthread_create failed\n");
			exit(1);
		}
		for (unsigned int i = 0; i < n; i++)
			pthread_join(rr->w[i].thread, NULL);
	}
	for (unsigned int i = 0; i < started && !ret; i++)
		if (rr->w[i].err) {
			fprintf(stderr, "pinmm bench: %s %s, %lu pages per call: %s returned %ld\n",
				bench_method_name[cc->method], bench_backing_name[cc->backing],
				cc->batch, rr->w[i].what, rr->w[i].err);
			ret = 1;
		}
	for (unsigned int i = 0; i < n; i++) {
		if (rr->w[i].owner) {
			int err = vaddr_pin_destroy(rr->w[i].owner);

			if (err && !ret) {
				fprintf(stderr, "pinmm bench: vaddr_pin_destroy: %s\n", strerror(-err));
				ret = 1;
			}
		}
		free(rr->w[i].pages);
		free(rr->w[i].slots);
	}
	if (ret)
		return ret;

	for (unsigned int k = 1; k <= rr->repeats; k++) {
		double pages = (double)rr->nr * n, ns, lns;

		wall(rr, 0, k, &h->lget_us[k - 1], &h->lput_us[k - 1]);
		wall(rr, 1, k, &h->get_us[k - 1], &h->put_us[k - 1]);
		ns = (h->get_us[k - 1] + h->put_us[k - 1]) * 1e3 / pages;
		lns = (h->lget_us[k - 1] + h->lput_us[k - 1]) * 1e3 / pages;
		a[k - 1] = ns;
		b[k - 1] = lns;
		ratio[k - 1] = lns > 0 ? ns / lns : 0;
	}
	h->ns_page = bench_median(a, rr->repeats);
	h->limit_ns_page = bench_median(b, rr->repeats);
	h->ratio = bench_median(ratio, rr->repeats);
	h->done = true;
	if (lines && !cc->twin)
		print_lines(lines, rr, reg);
	return 0;
}

/* The most ranges a backing needs: the most threads of a disjoint row (2
 * for a twin row: the twin's). */
static unsigned int ranges_needed(const struct bench_cell *cells, unsigned int nr_cells,
				  enum bench_backing b)
{
	unsigned int need = 0;

	for (unsigned int i = 0; i < nr_cells; i++) {
		unsigned int t = cells[i].twin ? 2 : cells[i].shared ? 1 : cells[i].threads;

		if (cells[i].backing == b && t > need)
			need = t;
	}
	return need;
}

int bench_model_run(const struct bench_opts *o, int reg, struct bench_cell *cells,
		    unsigned int nr_cells, FILE *lines)
{
	unsigned long bytes = o->mib << 20, nr = bytes / PAGE_SIZE, frames = 16384;
	unsigned long ranges[BK_NR][BENCH_MAX_THREADS];
	unsigned int need[BK_NR];
	struct pnm_mem_info mi = { .size = sizeof(mi) };
	struct pnm_config cfg;
	struct task_struct *t;
	struct row_run *rr = NULL;
	int acquired, released, err, ret = 1;

	for (int b = 0; b < BK_NR; b++) {
		need[b] = ranges_needed(cells, nr_cells, (enum bench_backing)b);
		frames += need[b] * (nr + (b == BK_THP ? HPAGE_PMD_NR : 0) + nr / 256);
	}
	bench_config(&cfg, frames, 0, reg == 0);
	err = scn_model_init(&cfg);
	if (err) {
		fprintf(stderr, "pinmm bench: pnm_init (%lu frames): %s\n", frames, strerror(-err));
		return 1;
	}
	err = pnm_task_create("bench", &t);
	if (err) {
		fprintf(stderr, "pinmm bench: pnm_task_create: %s\n", strerror(-err));
		scn_model_fini();
		return 1;
	}
	pnm_task_enter(t);
	/* The hugetlb pool first, while the zone has whole 2 MiB blocks. */
	if (need[BK_HUGETLB]) {
		long want = (long)(need[BK_HUGETLB] * nr / HPAGE_PMD_NR);

		if (pnm_hugetlb_set_pages(PNM_HUGETLB_2M, (unsigned long)want) != want) {
			fprintf(stderr, "pinmm bench: the hugetlb pool: %ld pages of 2 MiB not had\n",
				want);
			goto out;
		}
	}
	for (int b = 0; b < BK_NR; b++)
		for (unsigned int i = 0; i < need[b]; i++) {
			static const enum area_kind kind[BK_NR] = { AREA_SMALL, AREA_THP,
								    AREA_HUGETLB };

			err = bench_map_area(t, bytes, kind[b], &ranges[b][i]);
			if (err) {
				fprintf(stderr, "pinmm bench: mapping %lu MiB of %s: %s\n", o->mib,
					bench_backing_name[b],
					err == -EFBIG ? "not all 2 MiB folios" : strerror(-err));
				goto out;
			}
		}
	if (pnm_get_mem_info(&mi) || bench_shadow_init(mi.frames)) {
		fprintf(stderr, "pinmm bench: the limit's copy of the page tables: out of memory\n");
		goto out;
	}
	for (int b = 0; b < BK_NR; b++)
		for (unsigned int i = 0; i < need[b]; i++) {
			err = bench_shadow_map(t, ranges[b][i], bytes, b != BK_4K);
			if (err) {
				fprintf(stderr, "pinmm bench: the limit's copy of the page tables: %s\n",
					strerror(-err));
				goto out_shadow;
			}
		}
	rr = calloc(1, sizeof(*rr));
	if (!rr) {
		fprintf(stderr, "pinmm bench: out of memory\n");
		goto out_shadow;
	}
	rr->task = t;
	rr->nr = nr;
	rr->repeats = o->repeats;
	rr->gup_flags = o->write ? FOLL_WRITE : 0;
	for (unsigned int i = 0; i < nr_cells; i++) {
		char what[160];

		snprintf(what, sizeof(what), "registry %s: row %u of %u, %s %s x%lu, %u thread%s",
			 reg ? "off" : "on", i + 1, nr_cells, bench_method_name[cells[i].method],
			 bench_backing_name[cells[i].backing], cells[i].batch, cells[i].threads,
			 cells[i].threads > 1 ? (cells[i].shared ? "s, shared" : "s, disjoint") :
			 cells[i].twin ? ", beside a twin" : "");
		bench_progress(what);
		rr->cell = &cells[i];
		if (run_row(o, rr, reg, ranges[cells[i].backing], lines))
			goto out_shadow;
	}
	acquired = pnm_stat_lookup("nr_foll_pin_acquired");
	released = pnm_stat_lookup("nr_foll_pin_released");
	if (pnm_stat_read(acquired) != pnm_stat_read(released)) {
		fprintf(stderr, "pinmm bench: %ld pins leaked\n",
			pnm_stat_read(acquired) - pnm_stat_read(released));
		goto out_shadow;
	}
	ret = 0;
out_shadow:
	bench_shadow_fini();
out:
	free(rr);
	pnm_task_enter(NULL);
	pnm_task_exit(t);
	pnm_task_put(t);
	err = scn_model_fini();
	if (err && !ret) {
		fprintf(stderr, "pinmm bench: pnm_fini: %s\n", strerror(-err));
		ret = 1;
	}
	return ret;
}
