/* SPDX-License-Identifier: MIT */
/*
 * bench.h - `pinmm bench`: what its three files share.
 *
 *   bench.c        the command: options, the table, --json, the progress line
 *   bench_model.c  the measurements in the model (registry on or off), each
 *                  beside the limit (bench/bench_core.h) over the same memory
 *   bench_host.c   the host kernel's io_uring register + unregister
 *   bench_more.c   the other modes (fault, fork, dio, migrate, movable,
 *                  layout, scale), each figure beside a baseline
 *
 * A measurement is gup_test's: one repeat pins the whole range with calls of
 * n pages ("get", every call timed together) and then releases it all
 * ("put"), both in microseconds of wall time.
 */
#ifndef PINMM_CLI_BENCH_H
#define PINMM_CLI_BENCH_H

#include <stdbool.h>
#include <stdio.h>

#define BENCH_MAX_REPEATS	100
#define BENCH_MAX_THREADS	8
#define BENCH_MAX_BATCHES	16

/* What is measured: gup_test's benchmarks, and the model's wrapper. */
enum bench_method {
	BM_GUP_FAST,		/* -u: get_user_pages_fast + put_page */
	BM_PIN_FAST,		/* -a: pin_user_pages_fast + unpin_user_pages */
	BM_PIN_LONGTERM,	/* -L: pin_user_pages(FOLL_LONGTERM), mmap_lock held */
	BM_PIN_BASIC,		/* -b: pin_user_pages, mmap_lock held (the slow path) */
	BM_VADDR_PIN,		/* -V: vaddr_pin_user_pages + vaddr_unpin_user_pages */
	BM_NR
};

/* The backing of a range. */
enum bench_backing {
	BK_4K,			/* 4 KiB pages */
	BK_THP,			/* 2 MiB THPs (-t) */
	BK_HUGETLB,		/* 2 MiB hugetlb pages (-H) */
	BK_NR
};

extern const char *const bench_method_name[BM_NR];	/* "pin-fast" */
extern const char *const bench_method_gup_test[BM_NR];	/* "PIN_FAST_BENCHMARK" */
extern const char *const bench_backing_name[BK_NR];	/* "4K" */

/* What `pinmm bench MODE...` measures: gup_test's table (the default), or
 * one of bench_more.c's measurements. */
enum bench_mode {
	BMODE_GUP,
	BMODE_FAULT,
	BMODE_FORK,
	BMODE_DIO,
	BMODE_MIGRATE,
	BMODE_MOVABLE,
	BMODE_LAYOUT,
	BMODE_SCALE,
	BMODE_NR
};

extern const char *const bench_mode_name[BMODE_NR];	/* "fork" */

struct bench_opts {
	unsigned int modes;		/* BIT(enum bench_mode) */
	bool progress;			/* --progress: a progress line off a terminal too */
	unsigned int methods;		/* BIT(enum bench_method) */
	unsigned int backings;		/* BIT(enum bench_backing) */
	unsigned long mib;		/* each range's size */
	unsigned long batches[BENCH_MAX_BATCHES];	/* pages per call */
	unsigned int nr_batches;
	unsigned int threads[BENCH_MAX_THREADS];	/* thread counts */
	unsigned int nr_threads;
	bool disjoint, shared;		/* ranges of runs with more than one thread */
	bool registry_on, registry_off;
	unsigned int repeats;
	bool write;			/* FOLL_WRITE (-w, the default; -W: without) */
	bool gup_lines;			/* print gup_test's lines (a benchmark was chosen) */
	bool json, quiet, host;
};

/* One half of a row: its figures with the registry on or off. */
struct bench_half {
	bool done;
	double get_us[BENCH_MAX_REPEATS], put_us[BENCH_MAX_REPEATS];	/* wall */
	double lget_us[BENCH_MAX_REPEATS], lput_us[BENCH_MAX_REPEATS];	/* the limit's */
	double ns_page, limit_ns_page;	/* medians: (get + put) / pages */
	double ratio;			/* median of the repeats' ratios to the limit */
};

/* One row of the table. */
struct bench_cell {
	enum bench_method method;
	enum bench_backing backing;
	unsigned long batch;		/* pages per call */
	unsigned int threads;
	bool shared;			/* all threads on one range */
	/* One thread beside a twin (bench_model.c): meanwhile a forked copy
	 * of the process, with its own copy of the model, runs the same
	 * benchmark on the second range, so that the other CPU is as busy as
	 * in a 2-thread row; the baseline of the 2-thread targets.  Not a
	 * table row (bench_hidden_cells()). */
	bool twin;
	struct bench_half half[2];	/* [0] registry on, [1] off */
};

/* The host kernel's figures for one backing. */
struct bench_host {
	bool measured;
	char reason[160];		/* why not, or a note on the backing */
	double get_us[BENCH_MAX_REPEATS], put_us[BENCH_MAX_REPEATS];
	double ns_page;
	/* Per pages-per-call n of the options (o->batches[i]): register +
	 * unregister of each n-page piece of the buffer in turn, ns per page
	 * (median over the repeats); 0 where not measured. */
	double batch_ns[BENCH_MAX_BATCHES];
};

/* One figure of bench_more.c beside its baseline from the same run. */
struct bench_result {
	const char *mode;		/* "fork" */
	char what[96];			/* what the figure is */
	char base_what[96];		/* what the baseline is */
	const char *unit;		/* of both: "ns/page", "GB/s", "ms" */
	double value, base;		/* medians over the repeats */
	double ratio;			/* median of the repeats' value / base */
	const char *target;		/* "<=" or ">=" @limit on the ratio; NULL: none */
	double limit;
	int met;			/* 1, 0, or -1 without a target */
};

#define BENCH_MAX_RESULTS	64

/* bench.c: the progress line (stderr), with what runs now; cleared from a
 * terminal before other output. */
void bench_progress(const char *what);
void bench_progress_clear(void);

/*
 * bench_model.c: measure @cells with the registry on (@reg 0) or off (1),
 * in one model built for them, into each cell's half[@reg]; print gup_test's
 * lines to @lines (NULL: none).  0, or 1 after a message on stderr.
 */
int bench_model_run(const struct bench_opts *o, int reg, struct bench_cell *cells,
		    unsigned int nr_cells, FILE *lines);

/*
 * bench_host.c: io_uring register + unregister of one buffer of @o->mib MiB
 * of @backing, @o->repeats times (after one untimed round), into @h; what
 * the host does not allow is left with @h->measured false and the reason.
 */
void bench_host_run(const struct bench_opts *o, enum bench_backing backing,
		    struct bench_host *h);

/*
 * bench_more.c: measure @mode (not BMODE_GUP) with @o's range size,
 * repeats and registry setting, appending its results to @res[*@nr..@max)
 * and advancing *@nr.  0, or 1 after a message on stderr.
 */
int bench_more_run(const struct bench_opts *o, enum bench_mode mode, struct bench_result *res,
		   unsigned int *nr, unsigned int max);

/*
 * bench_more.c: append to @res[*@nr..@max) a result of @n repeats: @v[k]
 * and @b[k] are repeat k's figure and baseline (in @unit), the ratio the
 * median of @v[k] / @b[k], and @target ("<=" or ">=", NULL: none) with
 * @limit applies to that ratio.
 */
void bench_result_add(struct bench_result *res, unsigned int *nr, unsigned int max,
		      unsigned int n, const char *mode, const char *what, const char *unit,
		      const char *base_what, const double *v, const double *b, const char *target,
		      double limit);
/*
 * bench_more.c: the targets that the gup table's rows allow (each
 * only when its rows were measured: pin-fast 4K x512 and x1, THP x512, 2
 * threads on disjoint ranges, the host's 4K row), as results of mode "gup".
 */
void bench_gup_targets(const struct bench_opts *o, const struct bench_cell *cells,
		       unsigned int nr_cells, const struct bench_host *host,
		       struct bench_result *res, unsigned int *nr, unsigned int max);

#endif /* PINMM_CLI_BENCH_H */
