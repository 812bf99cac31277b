// SPDX-License-Identifier: MIT
/*
 * bench_gup_passes.c - a fixed amount of GUP work, for instruction counts.
 *
 * Timings on a shared machine are noisy; instruction counts are not.  This
 * program does the same work every run: it maps 2048 small pages
 * (MADV_NOHUGEPAGE) and 2048 pages of THPs (MADV_HUGEPAGE), faults them
 * in, then makes PASSES passes over them, each pass calling in turn:
 *
 *   pass1    pin_user_pages_fast(FOLL_WRITE) + unpin_user_pages, 1 page a call
 *   pass16   the same, 16 pages a call
 *   pass512  the same, 512 pages a call
 *   pass2m   the same over the THPs, 512 pages (one 2 MiB folio) a call
 *   passget  get_user_pages_fast(FOLL_WRITE) + put_page per page, 512 a call
 *
 * Each is its own function (noipa: never inlined, cloned or folded with
 * its twin), so a profiler's inclusive count of
 * it divided by PASSES x 2048 is the instructions per page:
 *
 *   valgrind --tool=callgrind --callgrind-out-file=cg.out \
 *            build/release/bench/bench_gup_passes 20
 *   callgrind_annotate --inclusive=yes cg.out | grep pass
 *
 * Usage: bench_gup_passes [PASSES] [registry]   (default 20, registry off)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The entry points alone, as bench_gup_fast measures them. */
#define PNM_NO_CALL_SITE_CAPTURE
#include <pinmm/pinmm.h>
#include "bench_core.h"

#define PG		PNM_PAGE_SIZE
#define NR_PAGES	2048UL

static struct page *pages[512];

static void die(const char *what, long v)
{
	fprintf(stderr, "bench_gup_passes: %s (%ld)\n", what, v);
	exit(1);
}

static __attribute__((noipa)) void pin_pass(unsigned long addr, int batch)
{
	for (unsigned long off = 0; off < NR_PAGES; off += (unsigned long)batch) {
		int n = pin_user_pages_fast(addr + off * PG, batch, FOLL_WRITE, pages);

		if (n != batch)
			die("short pin", n);
		unpin_user_pages(pages, (unsigned long)n);
	}
}

static __attribute__((noipa)) void pass1(unsigned long a) { pin_pass(a, 1); }
static __attribute__((noipa)) void pass16(unsigned long a) { pin_pass(a, 16); }
static __attribute__((noipa)) void pass512(unsigned long a) { pin_pass(a, 512); }
static __attribute__((noipa)) void pass2m(unsigned long a) { pin_pass(a, 512); }

static __attribute__((noipa)) void passget(unsigned long addr)
{
	for (unsigned long off = 0; off < NR_PAGES; off += 512) {
		int n = get_user_pages_fast(addr + off * PG, 512, FOLL_WRITE, pages);

		if (n != 512)
			die("short get", n);
		for (int i = 0; i < n; i++)
			put_page(pages[i]);
	}
}

int main(int argc, char **argv)
{
	int passes = argc > 1 ? atoi(argv[1]) : 20;
	unsigned long bytes = NR_PAGES * PG, small, huge;
	struct pnm_config cfg;
	struct task_struct *t;
	int err;

	if (passes <= 0 || (argc > 2 && strcmp(argv[2], "registry"))) {
		fprintf(stderr, "usage: bench_gup_passes [PASSES] [registry]\n");
		return 2;
	}
	bench_config(&cfg, 16384, 3 * NR_PAGES + 4 * 512, argc > 2);
	err = pnm_init(&cfg);
	if (err)
		die("pnm_init", err);
	err = pnm_task_create("bench", &t);
	if (err)
		die("pnm_task_create", err);
	pnm_task_enter(t);
	err = bench_map_area(t, bytes, AREA_SMALL, &small);
	if (err)
		die("small pages", err);
	err = bench_map_area(t, bytes, AREA_THP, &huge);
	if (err)
		die("THPs", err);
	for (int p = 0; p < passes; p++) {
		pass1(small);
		pass16(small);
		pass512(small);
		pass2m(huge);
		passget(small);
	}
	printf("%d passes x %lu pages (registry %s)\n", passes, NR_PAGES,
	       cfg.pin_registry ? "on" : "off");
	pnm_task_exit(t);
	return pnm_fini() ? 1 : 0;
}
