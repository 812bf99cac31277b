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
 *             array still filled per page.
 *   pin half  only the pin_user_pages_fast() calls timed (the unpins run
 *             untimed), against the baseline's walk + read + increment:
 *             the lockless path's own share, apart from the release side.
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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

#define PG	PAGE_SIZE

static unsigned long area_mib = 32;
static int runs = 7;
static double target_ns = 50e6;

static struct page *pages[HPAGE_PMD_NR];
static struct mm_struct *bench_mm;

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

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

static pmd_t *walk_pmd(unsigned long addr)
{
	pgd_t *pgd = pgd_offset(bench_mm, addr);

	return pmd_offset(pud_offset(pgd, addr), addr);
}

/* The unavoidable work per page: read the PTE, one atomic increment and
 * one atomic decrement on the folio's refcount, and fill the array. */
static void pass_baseline(unsigned long addr, unsigned long nr, int batch)
{
	for (unsigned long off = 0; off < nr; off += (unsigned long)batch) {
		unsigned long a = addr + off * PG;
		pte_t *ptep = pte_offset_kernel(walk_pmd(a), a);

		for (int i = 0; i < batch; i++) {
			struct page *page = pfn_to_page(pte_pfn(ptep_get_lockless(ptep + i)));

			__atomic_fetch_add(&page_folio(page)->_refcount.counter, 1,
					   __ATOMIC_SEQ_CST);
			pages[i] = page;
		}
		for (int i = 0; i < batch; i++)
			__atomic_fetch_sub(&page_folio(pages[i])->_refcount.counter, 1,
					   __ATOMIC_SEQ_CST);
	}
}

/* The unavoidable work per 2 MiB folio: read the PMD, one increment and
 * one decrement, and fill the array with its 512 pages. */
static void pass_baseline_thp(unsigned long addr, unsigned long nr, int batch)
{
	for (unsigned long off = 0; off < nr; off += (unsigned long)batch) {
		unsigned long a = addr + off * PG;
		struct folio *folio = pfn_folio(pmd_pfn(pmdp_get_lockless(walk_pmd(a))));

		__atomic_fetch_add(&folio->_refcount.counter, 1, __ATOMIC_SEQ_CST);
		for (int i = 0; i < batch; i++)
			pages[i] = folio_page(folio, (unsigned long)i);
		__atomic_fetch_sub(&folio->_refcount.counter, 1, __ATOMIC_SEQ_CST);
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
		double t0 = now_ns();
		int n = pin_user_pages_fast(addr + off * PG, batch, FOLL_WRITE, pages);

		t += now_ns() - t0;
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
		unsigned long a = addr + off * PG;
		double t0 = now_ns();
		pte_t *ptep = pte_offset_kernel(walk_pmd(a), a);

		for (int i = 0; i < batch; i++) {
			struct page *page = pfn_to_page(pte_pfn(ptep_get_lockless(ptep + i)));

			__atomic_fetch_add(&page_folio(page)->_refcount.counter, 1,
					   __ATOMIC_SEQ_CST);
			pages[i] = page;
		}
		t += now_ns() - t0;
		for (int i = 0; i < batch; i++)
			__atomic_fetch_sub(&page_folio(pages[i])->_refcount.counter, 1,
					   __ATOMIC_SEQ_CST);
	}
	return t;
}

typedef double half_fn(unsigned long addr, unsigned long nr, int batch);

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Median over @runs of the ns per page of @fn over the area. */
static double measure(pass_fn *fn, unsigned long addr, unsigned long nr, int batch)
{
	double t0, one, samples[64];
	unsigned long passes;

	fn(addr, nr, batch);			/* warm up */
	t0 = now_ns();
	fn(addr, nr, batch);
	one = now_ns() - t0;
	passes = one > 0 ? (unsigned long)(target_ns / one) : 1;
	if (passes < 1)
		passes = 1;
	for (int r = 0; r < runs; r++) {
		t0 = now_ns();
		for (unsigned long p = 0; p < passes; p++)
			fn(addr, nr, batch);
		samples[r] = (now_ns() - t0) / ((double)passes * (double)nr);
	}
	qsort(samples, (size_t)runs, sizeof(samples[0]), cmp_double);
	return samples[runs / 2];
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
	qsort(samples, (size_t)runs, sizeof(samples[0]), cmp_double);
	return samples[runs / 2];
}

/* --- one configuration --------------------------------------------------------- */

static unsigned long map_area(struct task_struct *t, unsigned long bytes, bool thp)
{
	long x = pnm_mm_mmap(t->mm, 0, bytes + (thp ? PMD_SIZE : 0), PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, NULL, 0);
	unsigned long a;

	if (x < 0)
		die("mmap", x);
	a = thp ? ALIGN((unsigned long)x, PMD_SIZE) : (unsigned long)x;
	if (pnm_mm_madvise(t->mm, a, bytes, thp ? MADV_HUGEPAGE : MADV_NOHUGEPAGE))
		die("madvise", 0);
	for (unsigned long off = 0; off < bytes; off += PG) {
		unsigned char v = 1;

		if (pnm_user_write(t, a + off, &v, 1))
			die("fault-in", (long)off);
	}
	return a;
}

static void row(const char *name, double ns, double base, int per_folio)
{
	if (per_folio)
		printf("  %-22s %8.2f ns/page %10.1f ns/folio   baseline %7.2f ns/page %8.1f ns/folio   ratio %5.2f\n",
		       name, ns, ns * per_folio, base, base * per_folio, ns / base);
	else
		printf("  %-22s %8.2f ns/page                      baseline %7.2f ns/page                    ratio %5.2f\n",
		       name, ns, base, ns / base);
}

static void run_config(bool registry)
{
	unsigned long bytes = area_mib << 20, nr = bytes / PG;
	static const int batches[] = { 1, 16, 512 };
	struct pnm_config cfg;
	struct task_struct *t;
	unsigned long small, huge;
	int err;

	pnm_config_default(&cfg);
	cfg.zone_frames[ZONE_NORMAL] = 16384;
	cfg.zone_frames[ZONE_MOVABLE] = 2 * nr + 4 * HPAGE_PMD_NR;
	cfg.zone_frames[ZONE_CMA] = 0;
	cfg.pin_registry = registry;
	/* Misuse detection off: with the registry off this is the production
	 * configuration (docs/performance.md). */
	cfg.pin_debug = false;
	err = pnm_init(&cfg);
	if (err)
		die("pnm_init", err);
	err = pnm_task_create("bench", &t);
	if (err)
		die("task", err);
	pnm_task_enter(t);
	bench_mm = t->mm;
	small = map_area(t, bytes, false);
	huge = map_area(t, bytes, true);
	for (unsigned long off = 0; off < bytes; off += PMD_SIZE) {
		unsigned long pfn;
		bool w;

		if (pnm_mm_translate(t->mm, huge + off, &pfn, &w) ||
		    folio_order(pfn_folio(pfn)) != HPAGE_PMD_ORDER)
			die("the THP area is not all THPs", (long)off);
	}

	printf("registry %s, pin_debug %s, accounting %s: %lu small pages, %lu THPs\n",
	       registry ? "on" : "off", cfg.pin_debug ? "on" : "off",
	       cfg.pin_accounting == PNM_PIN_ACCOUNTING_LINUX ? "linux" : "exact",
	       nr, nr / HPAGE_PMD_NR);
	for (size_t i = 0; i < ARRAY_SIZE(batches); i++) {
		char name[32];
		double base = measure(pass_baseline, small, nr, batches[i]);

		snprintf(name, sizeof(name), "pin 4K x%d", batches[i]);
		row(name, measure(pass_pin, small, nr, batches[i]), base, 0);
	}
	{
		double base = measure(pass_baseline_thp, huge, nr, HPAGE_PMD_NR);

		row("pin 2M x512", measure(pass_pin, huge, nr, HPAGE_PMD_NR), base, HPAGE_PMD_NR);
		row("get 2M x512", measure(pass_get, huge, nr, HPAGE_PMD_NR), base, HPAGE_PMD_NR);
		base = measure(pass_baseline, small, nr, HPAGE_PMD_NR);
		row("get 4K x512", measure(pass_get, small, nr, HPAGE_PMD_NR), base, 0);
		base = measure_half(pass_baseline_half, small, nr, HPAGE_PMD_NR);
		row("pin half 4K x512", measure_half(pass_pin_half, small, nr, HPAGE_PMD_NR),
		    base, 0);
	}
	if (global_stat(NR_FOLL_PIN_ACQUIRED) != global_stat(NR_FOLL_PIN_RELEASED))
		die("pins leaked", global_stat(NR_FOLL_PIN_ACQUIRED) - global_stat(NR_FOLL_PIN_RELEASED));
	pnm_task_enter(NULL);
	pnm_task_exit(t);
	put_task_struct(t);
	err = pnm_fini();
	if (err)
		die("pnm_fini", err);
}

int main(int argc, char **argv)
{
	int c;

	while ((c = getopt(argc, argv, "m:r:q")) != -1) {
		switch (c) {
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
			fprintf(stderr, "usage: bench_gup_fast [-m MiB] [-r runs] [-q]\n");
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
	run_config(true);
	run_config(false);
	return 0;
}
