// SPDX-License-Identifier: MIT
/*
 * bench_gup_fast.c - what a call site pays per page for pin_user_pages_fast()
 * + unpin_user_pages(), next to a loop that does only the unavoidable work.
 *
 * For 4 KiB pages at 1, 16 and 512 pages per call, and for 2 MiB folios
 * (512 pages per call, one PMD each), one pass over a faulted-in area is
 * timed for:
 *
 *   pin       pin_user_pages_fast(FOLL_WRITE) then unpin_user_pages()
 *   get       get_user_pages_fast(FOLL_WRITE) then put_page() per page
 *   baseline  per call: walk PGD -> PUD -> PMD to the PTE table (the PMD
 *             for 2 MiB); per page: read the PTE, find the folio, one
 *             atomic increment of its refcount and store the page in the
 *             array; then one atomic decrement per page.  For 2 MiB
 *             folios: one increment and one decrement per folio, the
 *             array still filled per page.  The library's page tables
 *             and descriptors are not public, so the baseline does this
 *             work on the bench's own copy of them (bench_core.c): the same
 *             four-level layout of 512-entry tables, filled from
 *             pnm_translate(), and one descriptor per frame of the
 *             library's descriptor size.
 *   pin half  only the pin_user_pages_fast() calls timed (the unpins run
 *             untimed), against the baseline's walk + read + increment:
 *             the lockless path's own share, apart from the release side.
 *
 * The same 2 MiB rows run on a third area of hugetlb pages (MAP_HUGETLB,
 * PMD leaves too; "htlb"), against the same baseline.
 *
 * and printed as ns per page (and per folio for 2 MiB), with the ratio
 * to the baseline of the same shape.  Each figure is the median of
 * several timed runs of enough passes to last ~50 ms.  Everything runs
 * twice: with the pin registry on and off (pnm_config.pin_registry),
 * misuse detection (pnm_config.pin_debug) off.
 *
 * Usage: bench_gup_fast [-m MiB] [-r runs] [-q]
 *   -m  size of each area in MiB (default 32: 8192 small pages, 16 THPs)
 *   -r  timed runs per figure (default 7)
 *   -q  quick: 3 runs of ~10 ms
 * Build with the release preset; docs/performance.md has the figures.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

/* The entry points alone: without the header's call-site capture (one
 * pnm_gup_set_call_site() call per GUP call), pins are recorded with their
 * return address instead. */
#define PNM_NO_CALL_SITE_CAPTURE
#include <pinmm/pinmm.h>
#include "bench_core.h"

#define PG		PNM_PAGE_SIZE
#define PMD_SIZE	PNM_HPAGE_PMD_SIZE
#define HPAGE_PMD_ORDER	PNM_HPAGE_PMD_ORDER
#define HPAGE_PMD_NR	(1 << PNM_HPAGE_PMD_ORDER)
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define ALIGN(x, a)	(((x) + ((a) - 1)) & ~((__typeof__(x))(a) - 1))

static unsigned long area_mib = 32;
static int runs = 7;
static double target_ns = 50e6;

static struct page *pages[HPAGE_PMD_NR];

static void die(const char *what, long v)
{
	fprintf(stderr, "bench_gup_fast: %s (%ld)\n", what, v);
	exit(1);
}

/* --- the timed passes -------------------------------------------------------- */

typedef void pass_fn(unsigned long addr, unsigned long nr, int batch);

static void pass_pin(unsigned long addr, unsigned long nr, int batch)
{
	for (unsigned long off = 0; off < nr; off += (unsigned long)batch) {
		int n = pin_user_pages_fast(addr + off * PG, batch, FOLL_WRITE, pages);

		if (n != batch)
			die("pin_user_pages_fast came back short", n);
		unpin_user_pages(pages, (unsigned long)n);
	}
}

static struct vaddr_pin *owner;		/* run_config()'s pin owner */

/* The same through the vaddr_pin wrapper: one owner, one extent per call. */
static void pass_vaddr_pin(unsigned long addr, unsigned long nr, int batch)
{
	for (unsigned long off = 0; off < nr; off += (unsigned long)batch) {
		long n = vaddr_pin_user_pages(owner, addr + off * PG, (unsigned long)batch, pages);
		int err;

		if (n != batch)
			die("vaddr_pin_user_pages came back short", n);
		err = vaddr_unpin_user_pages(owner, addr + off * PG, false);
		if (err)
			die("vaddr_unpin_user_pages", err);
	}
}

static void pass_get(unsigned long addr, unsigned long nr, int batch)
{
	for (unsigned long off = 0; off < nr; off += (unsigned long)batch) {
		int n = get_user_pages_fast(addr + off * PG, batch, FOLL_WRITE, pages);

		if (n != batch)
			die("get_user_pages_fast came back short", n);
		for (int i = 0; i < n; i++)
			put_page(pages[i]);
	}
}

/* --- the baseline (bench_core.h: the limit, on the bench's copy of the structures) --- */

static void *slots[HPAGE_PMD_NR];	/* the baseline's page array */

/* The unavoidable work per page: read the PTE, one atomic increment and
 * one atomic decrement on the folio's refcount, and fill the array. */
static void pass_baseline(unsigned long addr, unsigned long nr, int batch)
{
	for (unsigned long off = 0; off < nr; off += (unsigned long)batch) {
		bench_limit_get(addr + off * PG, (unsigned long)batch, slots);
		bench_limit_put(slots, (unsigned long)batch, 1);
	}
}

/* The unavoidable work per 2 MiB folio: read the PMD, one increment and
 * one decrement, and fill the array with its 512 pages. */
static void pass_baseline_thp(unsigned long addr, unsigned long nr, int batch)
{
	for (unsigned long off = 0; off < nr; off += (unsigned long)batch) {
		bench_limit_get(addr + off * PG, (unsigned long)batch, slots);
		bench_limit_put(slots, (unsigned long)batch, HPAGE_PMD_NR);
	}
}

/*
 * The acquire half alone: only the pin_user_pages_fast() calls are timed
 * (one clock read pair per call, ~0.1 ns per page at 512 pages per call),
 * against the baseline's walk + read + increment half.  Returns the
 * timed ns of the pass.
 */
static double pass_pin_half(unsigned long addr, unsigned long nr, int batch)
{
	double t = 0;

	for (unsigned long off = 0; off < nr; off += (unsigned long)batch) {
		double t0 = bench_now_ns();
		int n = pin_user_pages_fast(addr + off * PG, batch, FOLL_WRITE, pages);

		t += bench_now_ns() - t0;
		if (n != batch)
			die("pin_user_pages_fast came back short", n);
		unpin_user_pages(pages, (unsigned long)n);
	}
	return t;
}

static double pass_baseline_half(unsigned long addr, unsigned long nr, int batch)
{
	double t = 0;

	for (unsigned long off = 0; off < nr; off += (unsigned long)batch) {
		double t0 = bench_now_ns();

		bench_limit_get(addr + off * PG, (unsigned long)batch, slots);
		t += bench_now_ns() - t0;
		bench_limit_put(slots, (unsigned long)batch, 1);
	}
	return t;
}

typedef double half_fn(unsigned long addr, unsigned long nr, int batch);

/* Median over @runs of the ns per page of @fn over the area. */
static double measure(pass_fn *fn, unsigned long addr, unsigned long nr, int batch)
{
	double t0, one, samples[64];
	unsigned long passes;

	fn(addr, nr, batch);			/* warm up */
	t0 = bench_now_ns();
	fn(addr, nr, batch);
	one = bench_now_ns() - t0;
	passes = one > 0 ? (unsigned long)(target_ns / one) : 1;
	if (passes < 1)
		passes = 1;
	for (int r = 0; r < runs; r++) {
		t0 = bench_now_ns();
		for (unsigned long p = 0; p < passes; p++)
			fn(addr, nr, batch);
		samples[r] = (bench_now_ns() - t0) / ((double)passes * (double)nr);
	}
	return bench_median(samples, (unsigned int)runs);
}

/* Median over @runs of the timed ns per page of a half pass. */
static double measure_half(half_fn *fn, unsigned long addr, unsigned long nr, int batch)
{
	double one, samples[64];
	unsigned long passes;

	fn(addr, nr, batch);			/* warm up */
	one = fn(addr, nr, batch);
	passes = one > 0 ? (unsigned long)(target_ns / one / 2) : 1;
	if (passes < 1)
		passes = 1;
	for (int r = 0; r < runs; r++) {
		double t = 0;

		for (unsigned long p = 0; p < passes; p++)
			t += fn(addr, nr, batch);
		samples[r] = t / ((double)passes * (double)nr);
	}
	return bench_median(samples, (unsigned int)runs);
}

/* --- one configuration --------------------------------------------------------- */

static unsigned long map_area(struct task_struct *t, unsigned long bytes, enum area_kind kind)
{
	unsigned long a;
	int err = bench_map_area(t, bytes, kind, &a);

	if (err)
		die(err == -EFBIG ? "the area is not all 2 MiB folios" : "map area", err);
	return a;
}

/* The rows, in print order; the figures of one configuration's run. */
enum {
	R_PIN_1, R_PIN_16, R_PIN_512, R_PIN_2M, R_VP_512, R_VP_2M, R_GET_2M, R_GET_512,
	R_PIN_HALF, R_PIN_HTLB, R_GET_HTLB, NR_ROWS
};
static const char *const row_names[NR_ROWS] = {
	"pin 4K x1", "pin 4K x16", "pin 4K x512", "pin 2M x512", "vaddr_pin 4K x512",
	"vaddr_pin 2M x512", "get 2M x512", "get 4K x512", "pin half 4K x512",
	"pin htlb 2M x512", "get htlb 2M x512",
};
/* Rows of 2 MiB folios (also printed per folio). */
static bool row_is_thp(int r)
{
	return r == R_PIN_2M || r == R_VP_2M || r == R_GET_2M || r == R_PIN_HTLB ||
	       r == R_GET_HTLB;
}

struct result {
	double ns[NR_ROWS];		/* ns per page */
	double base[NR_ROWS];		/* its baseline's */
};

static void row(const char *name, double ns, double base, int per_folio)
{
	if (per_folio)
		printf("  %-22s %8.2f ns/page %10.1f ns/folio   baseline %7.2f ns/page %8.1f ns/folio   ratio %5.2f\n",
		       name, ns, ns * per_folio, base, base * per_folio, ns / base);
	else
		printf("  %-22s %8.2f ns/page                      baseline %7.2f ns/page                    ratio %5.2f\n",
		       name, ns, base, ns / base);
}

/* Measure every row with the registry on or off into @res; print them
 * unless @quiet. */
static void run_config(bool registry, struct result *res, bool quiet)
{
	unsigned long bytes = area_mib << 20, nr = bytes / PG;
	static const int batches[] = { 1, 16, 512 };
	struct pnm_mem_info mi = { .size = sizeof(mi) };
	struct vaddr_pin_params vpp = { .size = sizeof(vpp) };
	struct pnm_config cfg;
	struct task_struct *t;
	unsigned long small, huge, htlb;
	int acquired, released;
	double base;
	int err;

	bench_config(&cfg, 16384, 3 * nr + 4 * HPAGE_PMD_NR, registry);
	err = pnm_init(&cfg);
	if (err)
		die("pnm_init", err);
	err = pnm_task_create("bench", &t);
	if (err)
		die("task", err);
	pnm_task_enter(t);
	/* The hugetlb pool first, while ZONE_MOVABLE has whole 2 MiB blocks. */
	if (pnm_hugetlb_set_pages(PNM_HUGETLB_2M, nr / HPAGE_PMD_NR) != (long)(nr / HPAGE_PMD_NR))
		die("hugetlb pool", (long)(nr / HPAGE_PMD_NR));
	small = map_area(t, bytes, AREA_SMALL);
	huge = map_area(t, bytes, AREA_THP);
	htlb = map_area(t, bytes, AREA_HUGETLB);
	if (pnm_get_mem_info(&mi))
		die("pnm_mem_info", 0);
	if (bench_shadow_init(mi.frames) || bench_shadow_map(t, small, bytes, false) ||
	    bench_shadow_map(t, huge, bytes, true) || bench_shadow_map(t, htlb, bytes, true))
		die("baseline tables", 0);
	vpp.task = t;
	vpp.flags = VADDR_PIN_WRITE;
	vpp.name = "bench";
	err = vaddr_pin_create(&vpp, &owner);
	if (err)
		die("vaddr_pin_create", err);

	for (size_t i = 0; i < ARRAY_SIZE(batches); i++) {
		res->base[R_PIN_1 + i] = measure(pass_baseline, small, nr, batches[i]);
		res->ns[R_PIN_1 + i] = measure(pass_pin, small, nr, batches[i]);
	}
	base = measure(pass_baseline_thp, huge, nr, HPAGE_PMD_NR);
	res->base[R_PIN_2M] = res->base[R_VP_2M] = res->base[R_GET_2M] = base;
	res->ns[R_PIN_2M] = measure(pass_pin, huge, nr, HPAGE_PMD_NR);
	res->ns[R_VP_2M] = measure(pass_vaddr_pin, huge, nr, HPAGE_PMD_NR);
	res->ns[R_GET_2M] = measure(pass_get, huge, nr, HPAGE_PMD_NR);
	res->base[R_PIN_HTLB] = res->base[R_GET_HTLB] =
		measure(pass_baseline_thp, htlb, nr, HPAGE_PMD_NR);
	res->ns[R_PIN_HTLB] = measure(pass_pin, htlb, nr, HPAGE_PMD_NR);
	res->ns[R_GET_HTLB] = measure(pass_get, htlb, nr, HPAGE_PMD_NR);
	base = measure(pass_baseline, small, nr, HPAGE_PMD_NR);
	res->base[R_VP_512] = res->base[R_GET_512] = base;
	res->ns[R_VP_512] = measure(pass_vaddr_pin, small, nr, HPAGE_PMD_NR);
	res->ns[R_GET_512] = measure(pass_get, small, nr, HPAGE_PMD_NR);
	res->base[R_PIN_HALF] = measure_half(pass_baseline_half, small, nr, HPAGE_PMD_NR);
	res->ns[R_PIN_HALF] = measure_half(pass_pin_half, small, nr, HPAGE_PMD_NR);

	if (!quiet) {
		printf("registry %s, pin_debug %s, accounting %s: %lu small pages, %lu THPs, "
		       "%lu hugetlb pages\n",
		       registry ? "on" : "off", cfg.pin_debug ? "on" : "off",
		       cfg.pin_accounting == PNM_PIN_ACCOUNTING_LINUX ? "linux" : "exact",
		       nr, nr / HPAGE_PMD_NR, nr / HPAGE_PMD_NR);
		for (int r = 0; r < NR_ROWS; r++)
			row(row_names[r], res->ns[r], res->base[r], row_is_thp(r) ? HPAGE_PMD_NR : 0);
	}
	err = vaddr_pin_destroy(owner);
	if (err)
		die("vaddr_pin_destroy", err);
	owner = NULL;
	acquired = pnm_stat_lookup("nr_foll_pin_acquired");
	released = pnm_stat_lookup("nr_foll_pin_released");
	if (pnm_stat_read(acquired) != pnm_stat_read(released))
		die("pins leaked", pnm_stat_read(acquired) - pnm_stat_read(released));
	bench_shadow_fini();
	pnm_task_enter(NULL);
	pnm_task_exit(t);
	pnm_task_put(t);
	err = pnm_fini();
	if (err)
		die("pnm_fini", err);
}

/*
 * -c: @rounds alternating runs with the registry on and off in this
 * process; per row, the median over rounds of each round's on/off ratio
 * (so a slow stretch of the machine hits both halves of a round alike).
 */
static void compare(int rounds)
{
	static struct result on[64], off[64];
	double ratio[64], ns_on[64], ns_off[64];

	for (int k = 0; k < rounds; k++) {
		run_config(true, &on[k], true);
		run_config(false, &off[k], true);
		fprintf(stderr, "bench_gup_fast: round %d of %d done\n", k + 1, rounds);
	}
	printf("registry on vs off, pin_debug off, accounting linux: %d rounds, "
	       "median of per-round ratios\n", rounds);
	printf("  %-22s %12s %12s %10s\n", "row", "on ns/page", "off ns/page", "on/off");
	for (int r = 0; r < NR_ROWS; r++) {
		for (int k = 0; k < rounds; k++) {
			ratio[k] = on[k].ns[r] / off[k].ns[r];
			ns_on[k] = on[k].ns[r];
			ns_off[k] = off[k].ns[r];
		}
		printf("  %-22s %12.2f %12.2f %10.2f\n", row_names[r],
		       bench_median(ns_on, (unsigned int)rounds),
		       bench_median(ns_off, (unsigned int)rounds),
		       bench_median(ratio, (unsigned int)rounds));
	}
}

int main(int argc, char **argv)
{
	static struct result res;
	int c, rounds = 0;

	while ((c = getopt(argc, argv, "c:m:r:q")) != -1) {
		switch (c) {
		case 'c':
			rounds = atoi(optarg);
			if (rounds < 1 || rounds > 64) {
				fprintf(stderr, "bench_gup_fast: -c must be 1..64\n");
				return 2;
			}
			break;
		case 'm':
			area_mib = strtoul(optarg, NULL, 0);
			break;
		case 'r':
			runs = atoi(optarg);
			break;
		case 'q':
			runs = 3;
			target_ns = 10e6;
			break;
		default:
			fprintf(stderr, "usage: bench_gup_fast [-c rounds] [-m MiB] [-r runs] [-q]\n");
			return 2;
		}
	}
	if (area_mib < 2 || area_mib % 2 || runs < 1 || runs > 64) {
		fprintf(stderr, "bench_gup_fast: -m must be an even number >= 2, -r 1..64\n");
		return 2;
	}
#ifndef NDEBUG
	printf("bench_gup_fast: WARNING: built without NDEBUG (use the release preset)\n");
#endif
	if (rounds) {
		compare(rounds);
		return 0;
	}
	run_config(true, &res, false);
	run_config(false, &res, false);
	return 0;
}
