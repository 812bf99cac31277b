/* SPDX-License-Identifier: MIT */
/*
 * bench.c - `pinmm bench`: Linux gup_test's measurements in the model, each
 * beside the limit measured in the same run over the same memory, with the
 * registry on and off side by side, and the host kernel's io_uring register
 * + unregister of the same buffer (docs/performance.md, "pinmm bench").
 *
 * The options are gup_test's (-a -u -L -b -m -n -j -r -t -T -H -w -W) and
 * its output lines (`PIN_FAST_BENCHMARK: Time: get:1234 put:567 us`, printed
 * when a benchmark is chosen); then a table of every row: get and put time
 * (µs, median), ns per page, the limit's ns per page and the ratio to it,
 * and the ratio to the host kernel's ns per page.  --json gives the same as
 * one JSON object.  Measuring is bench_model.c's and bench_host.c's.
 */
#define _GNU_SOURCE
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/utsname.h>
#include "util.h"
#include "cli.h"
#include "scn.h"
#include "bench_core.h"
#include "bench.h"

const char *const bench_method_name[BM_NR] = {
	"gup-fast", "pin-fast", "pin-longterm", "pin-slow", "vaddr_pin",
};
const char *const bench_method_gup_test[BM_NR] = {
	"GUP_FAST_BENCHMARK", "PIN_FAST_BENCHMARK", "PIN_LONGTERM_BENCHMARK", "PIN_BASIC_TEST",
	"VADDR_PIN_BENCHMARK",
};
const char *const bench_backing_name[BK_NR] = { "4K", "THP", "hugetlb" };
const char *const bench_mode_name[BMODE_NR] = {
	"gup", "fault", "fork", "dio", "migrate", "movable", "layout", "scale",
};

/* --- the progress line ----------------------------------------------------------------- */

static struct {
	bool quiet, tty, shown;
	double start, last;
} progress;

/*
 * Say on stderr what runs now, once the run has lasted a second: on a
 * terminal one line rewritten in place; elsewhere, only with --progress,
 * a line every 5 seconds.
 */
void bench_progress(const char *what)
{
	double now = bench_now_ns(), secs = (now - progress.start) / 1e9;

	if (progress.quiet || secs < 1)	/* quiet: not a terminal nor asked, or --quiet */
		return;
	if (progress.tty) {
		fprintf(stderr, "\r\033[Kpinmm bench: %s (%.0f s)", what, secs);
	} else {
		if (progress.shown && now - progress.last < 5e9)
			return;
		fprintf(stderr, "pinmm bench: %s (%.0f s)\n", what, secs);
	}
	progress.shown = true;
	progress.last = now;
}

/* Clear the progress line of a terminal before other output (the next
 * bench_progress() call writes it again). */
void bench_progress_clear(void)
{
	if (progress.tty && progress.shown)
		fputs("\r\033[K", stderr);
}

/* --- options ---------------------------------------------------------------------------- */

/* Print the help text of `pinmm bench` to @out. */
void cmd_bench_help(FILE *out)
{
	fprintf(out,
		"usage: pinmm bench [MODE...] [-a] [-u] [-L] [-b] [-V] [-t] [-T] [-H] [-m MiB]\n"
		"                   [-n N[,N...]] [-j N[,N...]] [-r N] [-w|-W]\n"
		"                   [--registry on|off|both] [--ranges disjoint|shared|both]\n"
		"                   [--no-host] [--json] [--quiet] [--progress]\n\n"
		"Linux's gup_test benchmarks in the model: each pins a whole range in calls of\n"
		"N pages (get), then releases it (put), timed in microseconds as gup_test\n"
		"prints them.  Beside each, in the same run and over the same memory, the\n"
		"limit: the walk, reading the PTE, one atomic increment and one decrement on\n"
		"the page descriptor (per 2 MiB folio for folios) and storing the page\n"
		"pointer.  Every row runs with the pin registry on and off, side by side, and\n"
		"the host kernel's io_uring register + unregister of a buffer of the same\n"
		"size and backing gives the host's cost per page.\n\n"
		"benchmarks (gup_test's letters; none chosen: all of them, table only):\n"
		"  -u   gup-fast      get_user_pages_fast + put_page      GUP_FAST_BENCHMARK\n"
		"  -a   pin-fast      pin_user_pages_fast + unpin_user_pages\n"
		"                                                          PIN_FAST_BENCHMARK\n"
		"  -L   pin-longterm  pin_user_pages(FOLL_LONGTERM), mmap_lock held\n"
		"                                                          PIN_LONGTERM_BENCHMARK\n"
		"  -b   pin-slow      pin_user_pages, mmap_lock held       PIN_BASIC_TEST\n"
		"  -V   vaddr_pin     vaddr_pin_user_pages + vaddr_unpin_user_pages\n"
		"                                                          VADDR_PIN_BENCHMARK\n"
		"memory (none chosen: 4 KiB pages and THPs):\n"
		"  -T   4 KiB pages   -t   2 MiB THPs   -H   2 MiB hugetlb pages\n"
		"  -m MiB             size of each range (even, 2..1024; default 32)\n"
		"  -n N[,N...]        pages per call (up to 16 values; default 1,16,512)\n"
		"  -j N[,N...]        threads (1..%d; default 1,2)\n"
		"  --ranges R         threads on their own ranges (disjoint), all on one\n"
		"                     (shared), or both (default)\n"
		"  -r N               timed repeats, after one untimed (1..%d; default 7)\n"
		"  -w, -W             with FOLL_WRITE (default), without\n"
		"  --registry R       on, off or both (default)\n"
		"  --no-host          skip the host kernel's io_uring rows\n"
		"  --json             print the results as one JSON object\n"
		"  --quiet            no progress line on stderr\n"
		"  --progress         the progress line when stderr is not a terminal too\n"
		"                     (a line every 5 s; on a terminal it is always shown)\n\n"
		"MODE (any number; none: gup):\n"
		"  gup      the table above: gup_test's benchmarks beside the limit, the host\n"
		"  fault    fault-in per page, 4K and THP: against the host kernel's fault-in\n"
		"           and the model's write to a present page\n"
		"  fork     fork of the range with 0 %%, 1 %% and 100 %% of its pages pinned:\n"
		"           1 %% against 0 %% plus the copies (target <= 1.10); -m 1024: 1 GiB\n"
		"  dio      Direct IO of the range in 1 MiB requests, read and write, one at\n"
		"           a time and all queued: GB/s against memcpy (target >= 0.50)\n"
		"  migrate  pnm_migrate_range() Movable <-> Normal, 4K and THP: GB/s against\n"
		"           memcpy\n"
		"  movable  long-term pin (x512) of Movable memory, which migrates: against\n"
		"           the same pin of it in Normal, and that pin + the migration alone\n"
		"  layout   descriptor bytes per page against Linux's 64 (target <= 1.00)\n"
		"  scale    pin-fast 4K x512, 2 threads on disjoint and shared ranges against\n"
		"           1 thread beside a twin process keeping the other CPU busy (target\n"
		"           >= 1.80 disjoint), the limit's the same way, and against 1 alone\n"
		"  all      every mode but gup\n"
		"The modes but gup and scale run with the registry on unless --registry off;\n"
		"each prints: the figure, its baseline from the same run, the median of the\n"
		"repeats' ratios, the target on that ratio and whether it is met.\n\n"
		"With a benchmark chosen, gup_test's lines come first, one per repeat and\n"
		"thread: \"PIN_FAST_BENCHMARK: Time: get:1234 put:567 us\".  The table gives\n"
		"medians over the repeats: ns/page = (get + put) / the pages all threads\n"
		"pinned; xlimit = the median of each repeat's ratio to the limit; xhost =\n"
		"ns/page / the host's.  Build with the release preset for figures.\n\n"
		"Exit status: 0 measured, 1 a call failed, 2 bad usage.\n",
		BENCH_MAX_THREADS, BENCH_MAX_REPEATS);
}

/* Print "pinmm bench: <message> (see pinmm bench --help)"; returns 2. */
static __printf(1, 2) int usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("pinmm bench: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs(" (see pinmm bench --help)\n", stderr);
	return 2;
}

/* Parse "N[,N...]" into @out (at most @max values, each in [@lo, @hi]). */
static int parse_list(const char *arg, unsigned long *out, unsigned int max, unsigned int *nr,
		      unsigned long lo, unsigned long hi)
{
	const char *p = arg;

	*nr = 0;
	while (*p) {
		char *end;
		unsigned long v;

		if (*p < '0' || *p > '9')
			return -1;
		errno = 0;
		v = strtoul(p, &end, 10);
		if (errno || v < lo || v > hi || *nr == max || (*end && *end != ','))
			return -1;
		out[(*nr)++] = v;
		p = *end ? end + 1 : end;
		if (*end && !*p)
			return -1;
	}
	return *nr ? 0 : -1;
}

enum { OPT_JSON = 256, OPT_QUIET, OPT_NO_HOST, OPT_REGISTRY, OPT_RANGES, OPT_PROGRESS };

/* The mode named @word (BMODE_NR for "all"), or -1. */
static int parse_mode(const char *word)
{
	if (!strcmp(word, "all"))
		return BMODE_NR;
	for (int i = 0; i < BMODE_NR; i++)
		if (!strcmp(word, bench_mode_name[i]))
			return i;
	return -1;
}

/* Parse the options into @o; 0, or 2 after a usage message. */
static int parse_args(struct bench_opts *o, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, OPT_JSON },
		{ "quiet", no_argument, NULL, OPT_QUIET },
		{ "progress", no_argument, NULL, OPT_PROGRESS },
		{ "no-host", no_argument, NULL, OPT_NO_HOST },
		{ "registry", required_argument, NULL, OPT_REGISTRY },
		{ "ranges", required_argument, NULL, OPT_RANGES },
		{ "vaddr-pin", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned long threads[BENCH_MAX_THREADS];
	const char *batches_arg = NULL;
	char *end;
	int c;

	memset(o, 0, sizeof(*o));
	o->mib = 32;
	o->repeats = 7;
	o->write = true;
	o->host = true;
	o->disjoint = o->shared = true;
	o->registry_on = o->registry_off = true;
	o->threads[0] = 1;
	o->threads[1] = 2;
	o->nr_threads = 2;
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":auLbVtTHm:n:j:r:wW", longopts, NULL)) != -1) {
		switch (c) {
		case 'u':
			o->methods |= BIT(BM_GUP_FAST);
			break;
		case 'a':
			o->methods |= BIT(BM_PIN_FAST);
			break;
		case 'L':
			o->methods |= BIT(BM_PIN_LONGTERM);
			break;
		case 'b':
			o->methods |= BIT(BM_PIN_BASIC);
			break;
		case 'V':
			o->methods |= BIT(BM_VADDR_PIN);
			break;
		case 'T':
			o->backings |= BIT(BK_4K);
			break;
		case 't':
			o->backings |= BIT(BK_THP);
			break;
		case 'H':
			o->backings |= BIT(BK_HUGETLB);
			break;
		case 'm':
			errno = 0;
			o->mib = strtoul(optarg, &end, 10);
			if (errno || *end || optarg[0] < '0' || optarg[0] > '9' || o->mib < 2 ||
			    o->mib > 1024 || o->mib % 2)
				return usage_error("-m takes an even number of MiB from 2 to 1024, "
						   "not '%s'", optarg);
			break;
		case 'n':
			batches_arg = optarg;
			break;
		case 'j':
			if (parse_list(optarg, threads, BENCH_MAX_THREADS, &o->nr_threads, 1,
				       BENCH_MAX_THREADS))
				return usage_error("-j takes thread counts from 1 to 8, separated by "
						   "commas, not '%s'", optarg);
			for (unsigned int i = 0; i < o->nr_threads; i++)
				o->threads[i] = (unsigned int)threads[i];
			break;
		case 'r':
			errno = 0;
			o->repeats = (unsigned int)strtoul(optarg, &end, 10);
			if (errno || *end || optarg[0] < '0' || optarg[0] > '9' || !o->repeats ||
			    o->repeats > BENCH_MAX_REPEATS)
				return usage_error("-r takes a number of repeats from 1 to 100, "
						   "not '%s'", optarg);
			break;
		case 'w':
			o->write = true;
			break;
		case 'W':
			o->write = false;
			break;
		case OPT_JSON:
			o->json = true;
			break;
		case OPT_QUIET:
			o->quiet = true;
			break;
		case OPT_PROGRESS:
			o->progress = true;
			break;
		case OPT_NO_HOST:
			o->host = false;
			break;
		case OPT_REGISTRY:
			o->registry_on = !strcmp(optarg, "on") || !strcmp(optarg, "both");
			o->registry_off = !strcmp(optarg, "off") || !strcmp(optarg, "both");
			if (!o->registry_on && !o->registry_off)
				return usage_error("--registry takes on, off or both, not '%s'",
						   optarg);
			break;
		case OPT_RANGES:
			o->disjoint = !strcmp(optarg, "disjoint") || !strcmp(optarg, "both");
			o->shared = !strcmp(optarg, "shared") || !strcmp(optarg, "both");
			if (!o->disjoint && !o->shared)
				return usage_error("--ranges takes disjoint, shared or both, "
						   "not '%s'", optarg);
			break;
		case ':':
			return usage_error("%s needs a value", argv[optind - 1]);
		default:
			if (optopt)
				return usage_error("unknown option '-%c'", optopt);
			return usage_error("unknown option '%s'", argv[optind - 1]);
		}
	}
	for (; optind < argc; optind++) {
		int mode = parse_mode(argv[optind]);

		if (mode < 0)
			return usage_error("unknown mode '%s'", argv[optind]);
		o->modes |= mode == BMODE_NR ? (BIT(BMODE_NR) - 1) & ~BIT(BMODE_GUP) : BIT(mode);
	}
	if (!o->modes)
		o->modes = BIT(BMODE_GUP);
	o->gup_lines = o->methods != 0;
	if (!o->methods)
		o->methods = BIT(BM_NR) - 1;
	if (!o->backings)
		o->backings = BIT(BK_4K) | BIT(BK_THP);
	if (batches_arg) {
		if (parse_list(batches_arg, o->batches, BENCH_MAX_BATCHES, &o->nr_batches, 1,
			       (o->mib << 20) / PAGE_SIZE))
			return usage_error("-n takes up to 16 numbers of pages per call, each from 1 "
					   "to the pages of a range (-m), separated by commas, "
					   "not '%s'", batches_arg);
	} else {
		o->batches[0] = 1;
		o->batches[1] = 16;
		o->batches[2] = 512;
		o->nr_batches = 3;
	}
	return 0;
}

/* The rows @o asks for, in table order; NULL after a message. */
static struct bench_cell *make_cells(const struct bench_opts *o, unsigned int *nr)
{
	struct bench_cell *cells;
	unsigned int n = 0, max = BM_NR * BK_NR * BENCH_MAX_BATCHES * BENCH_MAX_THREADS * 2;

	cells = calloc(max + 1, sizeof(*cells));	/* + add_hidden_cells()' */
	if (!cells) {
		fputs("pinmm bench: out of memory\n", stderr);
		return NULL;
	}
	for (int m = 0; m < BM_NR; m++)
		for (int b = 0; b < BK_NR; b++)
			for (unsigned int i = 0; i < o->nr_batches; i++)
				for (unsigned int j = 0; j < o->nr_threads; j++)
					for (int shared = 0; shared < 2; shared++) {
						struct bench_cell *c = &cells[n];

						if (!(o->methods & BIT(m)) || !(o->backings & BIT(b)))
							continue;
						if (o->threads[j] == 1 ? shared :
						    shared ? !o->shared : !o->disjoint)
							continue;
						c->method = (enum bench_method)m;
						c->backing = (enum bench_backing)b;
						c->batch = o->batches[i];
						c->threads = o->threads[j];
						c->shared = shared;
						n++;
					}
	*nr = n;
	return cells;
}

/*
 * After the @nr rows of @cells, the rows measured but not shown: for the
 * target on 2 threads (pin-fast 4K x512 on disjoint ranges against one
 * thread), that thread beside a twin (bench_cell.twin), when both rows
 * are there.  @cells has room (make_cells()).  The rows in all.
 */
static unsigned int add_hidden_cells(struct bench_cell *cells, unsigned int nr)
{
	bool one = false, two = false;

	for (unsigned int i = 0; i < nr; i++) {
		const struct bench_cell *c = &cells[i];

		if (c->method == BM_PIN_FAST && c->backing == BK_4K && c->batch == 512) {
			one |= c->threads == 1;
			two |= c->threads == 2 && !c->shared;
		}
	}
	if (!one || !two)
		return nr;
	cells[nr] = (struct bench_cell){ .method = BM_PIN_FAST, .backing = BK_4K, .batch = 512,
					 .threads = 1, .twin = true };
	return nr + 1;
}

/* --- output ----------------------------------------------------------------------------- */

static const char *ranges_word(const struct bench_cell *c)
{
	return c->threads == 1 ? "" : c->shared ? "shared" : "disjoint";
}

/*
 * Print @v right-aligned in @width columns, with two decimals, or fewer
 * when they do not fit; a positive value too small for two decimals keeps
 * one significant digit ("8e-05"), so that it never reads as 0 (a
 * limit pass the machine preempted makes a ratio that small).
 */
static void num(int width, double v)
{
	char buf[32];

	if (v > 0 && v < 0.005) {
		snprintf(buf, sizeof(buf), "%.0e", v);
		printf(" %*s", width, buf);
		return;
	}
	for (int prec = 2; prec >= 0; prec--) {
		snprintf(buf, sizeof(buf), "%.*f", prec, v);
		if ((int)strlen(buf) <= width)
			break;
	}
	printf(" %*s", width, buf);
}

/* One registry setting's columns of row @c. */
static void print_half(const struct bench_opts *o, const struct bench_cell *c,
		       const struct bench_half *h, const struct bench_host *host)
{
	const struct bench_host *hb = &host[c->backing];
	double g[BENCH_MAX_REPEATS], p[BENCH_MAX_REPEATS];

	memcpy(g, h->get_us, sizeof(g));
	memcpy(p, h->put_us, sizeof(p));
	printf(" | %8.0f %7.0f", bench_median(g, o->repeats), bench_median(p, o->repeats));
	num(7, h->ns_page);
	num(6, h->limit_ns_page);
	num(6, h->ratio);
	if (hb->measured)
		num(5, h->ns_page / hb->ns_page);
	else
		printf(" %5s", "-");
}

/* The table of every row, then the host kernel's figures. */
static void print_table(const struct bench_opts *o, const struct bench_cell *cells,
			unsigned int nr, const struct bench_host *host)
{
	static const char *const group = " | %8s %7s %7s %6s %6s %5s";
	struct utsname u;

	printf("pinmm bench: %lu MiB per range, %s, %u repeat%s (medians), pin_debug off, "
	       "accounting linux%s\n", o->mib, o->write ? "FOLL_WRITE" : "read-only",
	       o->repeats, o->repeats == 1 ? "" : "s",
#ifdef NDEBUG
	       ""
#else
	       "; a debug build: use the release preset for figures"
#endif
	       );
	printf("  limit: walk, read the PTE, 1 atomic inc + 1 dec per page (per 2 MiB folio), "
	       "store the page; same memory, same run\n\n");
	printf("%-12s %-7s %6s %-10s", "", "", "", "");
	if (o->registry_on)
		printf(" | %-44s", "registry on");
	if (o->registry_off)
		printf(" | %-44s", "registry off");
	printf("\n%-12s %-7s %6s %-10s", "benchmark", "memory", "n/call", "threads");
	for (int r = 0; r < 2; r++)
		if (r ? o->registry_off : o->registry_on)
			printf(group, "get us", "put us", "ns/page", "limit", "xlimit", "xhost");
	printf("\n");
	for (unsigned int i = 0; i < nr; i++) {
		const struct bench_cell *c = &cells[i];
		char thr[16];

		snprintf(thr, sizeof(thr), "%u %s", c->threads, ranges_word(c));
		printf("%-12s %-7s %6lu %-10s", bench_method_name[c->method],
		       bench_backing_name[c->backing], c->batch, thr);
		for (int r = 0; r < 2; r++)
			if (c->half[r].done)
				print_half(o, c, &c->half[r], host);
		printf("\n");
	}
	if (!o->host)
		return;
	if (uname(&u))
		strcpy(u.release, "?");
	printf("\nhost kernel %s: io_uring register + unregister of one %lu MiB buffer, "
	       "1 thread\n", u.release, o->mib);
	for (int b = 0; b < BK_NR; b++) {
		const struct bench_host *h = &host[b];

		if (!(o->backings & BIT(b)))
			continue;
		if (!h->measured) {
			printf("  %-7s skipped: %s\n", bench_backing_name[b], h->reason);
			continue;
		}
		double g[BENCH_MAX_REPEATS], p[BENCH_MAX_REPEATS];

		memcpy(g, h->get_us, sizeof(g));
		memcpy(p, h->put_us, sizeof(p));
		printf("  %-7s get %.0f us, put %.0f us, %.2f ns/page%s%s\n", bench_backing_name[b],
		       bench_median(g, o->repeats), bench_median(p, o->repeats), h->ns_page,
		       h->reason[0] ? "; " : "", h->reason);
		printf("    per call, n pages at a time (ns/page):");
		for (unsigned int i = 0; i < o->nr_batches; i++)
			printf(" %lu: %.2f", o->batches[i], h->batch_ns[i]);
		printf("\n");
	}
}

/* The results of the other modes: one line each, the figure, its baseline,
 * the ratio, the target and whether it is met. */
static void print_results(const struct bench_opts *o, const struct bench_result *res,
			  unsigned int nr, bool gap)
{
	if (gap)
		printf("\n");
	printf("pinmm bench: %lu MiB, %u repeat%s (medians), registry %s, pin_debug off%s\n\n",
	       o->mib, o->repeats, o->repeats == 1 ? "" : "s",
	       o->registry_on ? "on" : "off",
#ifdef NDEBUG
	       ""
#else
	       "; a debug build: use the release preset for figures"
#endif
	       );
	printf("%-7s %-50s %10s %-8s | %-32s %10s | %7s %-7s %s\n", "mode", "measured", "value",
	       "unit", "baseline (same run)", "value", "ratio", "target", "met");
	for (unsigned int i = 0; i < nr; i++) {
		const struct bench_result *r = &res[i];
		char target[16] = "-";

		if (r->target)
			snprintf(target, sizeof(target), "%s %.2f", r->target, r->limit);
		printf("%-7s %-50s", r->mode, r->what);
		num(10, r->value);
		printf(" %-8s | %-32s", r->unit, r->base_what);
		num(10, r->base);
		printf(" |");
		num(7, r->ratio);
		printf(" %-7s %s\n", target, r->met < 0 ? "-" : r->met ? "yes" : "NO");
	}
}

/* The results of the other modes as JSON: the "results" array. */
static void json_results(const struct bench_result *res, unsigned int nr)
{
	printf(" \"results\": [");
	for (unsigned int i = 0; i < nr; i++) {
		const struct bench_result *r = &res[i];

		printf("%s\n  {\"mode\": \"%s\", \"what\": ", i ? "," : "", r->mode);
		scn_json_str(stdout, r->what);
		printf(", \"unit\": \"%s\", \"value\": %.6g, \"baseline\": {\"what\": ", r->unit,
		       r->value);
		scn_json_str(stdout, r->base_what);
		printf(", \"value\": %.6g}, \"ratio\": %.6g, \"target\": ", r->base, r->ratio);
		if (r->target)
			printf("{\"op\": \"%s\", \"ratio\": %.6g}, \"met\": %s}", r->target,
			       r->limit, r->met ? "true" : "false");
		else
			printf("null, \"met\": null}");
	}
	printf("]");
}

/* @v[0..n) as a JSON array. */
static void json_array(const double *v, unsigned int n)
{
	putchar('[');
	for (unsigned int i = 0; i < n; i++)
		printf("%s%.6g", i ? ", " : "", v[i]);
	putchar(']');
}

/* The results as one JSON object (docs/performance.md, "pinmm bench"). */
static void print_json(const struct bench_opts *o, const struct bench_cell *cells,
		       unsigned int nr, const struct bench_host *host,
		       const struct bench_result *res, unsigned int nr_res)
{
	struct utsname u;
	bool first = true;

	printf("{\"config\": {\"mib\": %lu, \"repeats\": %u, \"write\": %s, \"pin_debug\": false, "
	       "\"accounting\": \"linux\", \"ndebug\": %s, \"modes\": [", o->mib, o->repeats,
	       o->write ? "true" : "false",
#ifdef NDEBUG
	       "true"
#else
	       "false"
#endif
	       );
	for (int m = 0, n = 0; m < BMODE_NR; m++)
		if (o->modes & BIT(m))
			printf("%s\"%s\"", n++ ? ", " : "", bench_mode_name[m]);
	printf("]}");
	if (!(o->modes & BIT(BMODE_GUP))) {
		printf(",\n");
		json_results(res, nr_res);
		printf("}\n");
		return;
	}
	printf(",\n \"rows\": [");
	for (unsigned int i = 0; i < nr; i++) {
		const struct bench_cell *c = &cells[i];

		printf("%s\n  {\"benchmark\": \"%s\", \"gup_test\": \"%s\", \"memory\": \"%s\", "
		       "\"pages_per_call\": %lu, \"threads\": %u, \"ranges\": %s",
		       i ? "," : "", bench_method_name[c->method], bench_method_gup_test[c->method],
		       bench_backing_name[c->backing], c->batch, c->threads,
		       c->threads == 1 ? "null" : c->shared ? "\"shared\"" : "\"disjoint\"");
		for (int r = 0; r < 2; r++) {
			const struct bench_half *h = &c->half[r];
			const struct bench_host *hb = &host[c->backing];

			if (!h->done)
				continue;
			printf(",\n   \"registry_%s\": {\"get_us\": ", r ? "off" : "on");
			json_array(h->get_us, o->repeats);
			printf(", \"put_us\": ");
			json_array(h->put_us, o->repeats);
			printf(", \"ns_per_page\": %.6g, \"limit\": {\"get_us\": ", h->ns_page);
			json_array(h->lget_us, o->repeats);
			printf(", \"put_us\": ");
			json_array(h->lput_us, o->repeats);
			printf(", \"ns_per_page\": %.6g}, \"ratio_to_limit\": %.6g, \"ratio_to_host\": ",
			       h->limit_ns_page, h->ratio);
			if (hb->measured)
				printf("%.6g}", h->ns_page / hb->ns_page);
			else
				printf("null}");
		}
		printf("}");
	}
	if (uname(&u))
		strcpy(u.release, "?");
	printf("],\n \"host\": {\"kernel\": ");
	scn_json_str(stdout, u.release);
	printf(", \"what\": \"io_uring register + unregister\", \"rows\": [");
	for (int b = 0; b < BK_NR && o->host; b++) {
		const struct bench_host *h = &host[b];

		if (!(o->backings & BIT(b)))
			continue;
		printf("%s\n  {\"memory\": \"%s\", \"measured\": %s", first ? "" : ",",
		       bench_backing_name[b], h->measured ? "true" : "false");
		first = false;
		if (h->measured) {
			printf(", \"get_us\": ");
			json_array(h->get_us, o->repeats);
			printf(", \"put_us\": ");
			json_array(h->put_us, o->repeats);
			printf(", \"ns_per_page\": %.6g", h->ns_page);
			printf(", \"per_call\": [");
			for (unsigned int i = 0; i < o->nr_batches; i++)
				printf("%s{\"pages_per_call\": %lu, \"ns_per_page\": %.6g}",
				       i ? ", " : "", o->batches[i], h->batch_ns[i]);
			printf("]");
		}
		printf(", \"%s\": ", h->measured ? "note" : "reason");
		if (h->reason[0])
			scn_json_str(stdout, h->reason);
		else
			printf("null");
		printf("}");
	}
	printf("]}");
	printf(",\n");
	json_results(res, nr_res);
	printf("}\n");
}

/* --- the command ------------------------------------------------------------------------- */

/*
 * `pinmm bench [MODE...] [options]`: measure what the modes and options
 * ask for (gup_test's lines first when a benchmark was chosen), then print
 * the gup table and the other modes' results, or one JSON object.  0, 1 if
 * a call failed, 2 for a usage error.
 */
int cmd_bench(int argc, char **argv)
{
	static struct bench_host host[BK_NR];
	static struct bench_result res[BENCH_MAX_RESULTS];
	unsigned int nr_res = 0, nr = 0, shown = 0;	/* rows measured, rows shown */
	struct bench_cell *cells = NULL;
	bool gup;
	struct bench_opts o;
	int ret;

	ret = parse_args(&o, argc, argv);
	if (ret)
		return ret;
	gup = o.modes & BIT(BMODE_GUP);
	if (gup) {
		cells = make_cells(&o, &nr);
		if (!cells)
			return 1;
		shown = nr;
		nr = add_hidden_cells(cells, nr);
	}
	progress.tty = isatty(STDERR_FILENO);
	progress.quiet = o.quiet || (!progress.tty && !o.progress);
	progress.start = bench_now_ns();
	for (int b = 0; b < BK_NR && gup; b++) {
		if (!o.host || !(o.backings & BIT(b))) {
			memset(&host[b], 0, sizeof(host[b]));
			snprintf(host[b].reason, sizeof(host[b].reason), "not asked (--no-host)");
			continue;
		}
		bench_progress("the host kernel");
		bench_host_run(&o, (enum bench_backing)b, &host[b]);
	}
	for (int reg = 0; reg < 2 && gup; reg++) {
		if (!(reg ? o.registry_off : o.registry_on))
			continue;
		ret = bench_model_run(&o, reg, cells, nr, o.gup_lines && !o.json ? stdout : NULL);
		fflush(stdout);
		if (ret)
			break;
	}
	if (gup && !ret)
		bench_gup_targets(&o, cells, nr, host, res, &nr_res, BENCH_MAX_RESULTS);
	for (int m = BMODE_GUP + 1; m < BMODE_NR && !ret; m++)
		if (o.modes & BIT(m))
			ret = bench_more_run(&o, (enum bench_mode)m, res, &nr_res,
					     BENCH_MAX_RESULTS);
	bench_progress_clear();
	if (!ret) {
		if (o.gup_lines && !o.json)
			printf("\n");
		if (o.json) {
			print_json(&o, cells, shown, host, res, nr_res);
		} else {
			if (gup)
				print_table(&o, cells, shown, host);
			if (nr_res)
				print_results(&o, res, nr_res, gup);
		}
	}
	free(cells);
	return ret;
}
