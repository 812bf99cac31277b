/* SPDX-License-Identifier: MIT */
/*
 * bench_core.h - what the benchmarks share: the areas they measure and the
 * limit they are measured against.
 *
 * Used by bench/bench_gup_fast.c and by `pinmm bench` (tools/pinmm/bench*.c),
 * both clients of the public API only (<pinmm/pinmm.h>).
 *
 * The limit is the work no implementation of pin + unpin can avoid, done
 * over the same memory: per call, walk PGD -> PUD -> PMD; per small page,
 * read the PTE, one atomic increment of the folio's reference count and
 * store the page in the caller's array; per 2 MiB folio (a PMD leaf), one
 * increment for the pages of the call in that folio and the array filled
 * per page; on release, the matching atomic decrements.  The library's
 * page tables and descriptors are not public, so the limit works on the
 * benchmark's own copy of them (the shadow): the same four-level layout of
 * 512-entry tables, filled from pnm_translate(), and one descriptor per
 * frame of the library's descriptor size (pnm_page_desc_size()).
 * bench_limit_get() and bench_limit_put() are out-of-line calls, one per
 * call of the benchmark they stand beside, as each GUP entry point and
 * unpin is one call.
 *
 * One shadow exists at a time (process-wide state).  Once
 * bench_shadow_map() has built it, any number of threads may run
 * bench_limit_get()/bench_limit_put() at once, on disjoint or shared
 * ranges: the tables are only read and the counts change atomically.
 */
#ifndef PINMM_BENCH_CORE_H
#define PINMM_BENCH_CORE_H

#include <stdbool.h>
#include <pinmm/pinmm.h>

/* Backings of a measured area. */
enum area_kind {
	AREA_SMALL,		/* 4 KiB pages (MADV_NOHUGEPAGE) */
	AREA_THP,		/* 2 MiB THPs (MADV_HUGEPAGE), each mapped by a PMD */
	AREA_HUGETLB,		/* 2 MiB hugetlb pages (MAP_HUGETLB) */
};

/* CLOCK_MONOTONIC in nanoseconds. */
double bench_now_ns(void);

/* Median of @n values (sorts @v in place); 0 for @n == 0. */
double bench_median(double *v, unsigned int n);

/*
 * Map @bytes (a multiple of 2 MiB) of private anonymous memory of @kind in
 * @t, 2 MiB aligned for AREA_THP, and advise it (MADV_NOHUGEPAGE or
 * MADV_HUGEPAGE), without faulting anything in.  0 with *@addr set, or the
 * error of pnm_mmap() or pnm_madvise().
 */
int bench_mmap_area(struct task_struct *t, unsigned long bytes, enum area_kind kind,
		    unsigned long *addr);
/*
 * Write one byte of every 4 KiB page of [@addr, @addr + @bytes) in @t, as
 * a CPU touching each page: faults in what is not present.  0, or the
 * error of pnm_user_write().
 */
int bench_touch_area(struct task_struct *t, unsigned long addr, unsigned long bytes);
/*
 * bench_mmap_area() then bench_touch_area(): map @bytes (a multiple of
 * 2 MiB) of private anonymous memory of @kind in @t, fault every page in
 * by writing it, and check that a THP or hugetlb
 * area is made of 2 MiB folios each mapped by a PMD.  A hugetlb area needs
 * the 2 MiB pool filled first (pnm_hugetlb_set_pages()).  0 with *@addr
 * set, or -errno: the error of pnm_mmap(), pnm_madvise() or
 * pnm_user_write(), -EFBIG if a THP or hugetlb area is not all 2 MiB folios
 * (the area stays mapped: the task's exit unmaps it).
 */
int bench_map_area(struct task_struct *t, unsigned long bytes, enum area_kind kind,
		   unsigned long *addr);

/*
 * The benchmarks' model configuration: the defaults with @normal and
 * @movable frames (no CMA), the pin registry on or off, and misuse
 * detection off (with the registry off, the production configuration of
 * docs/performance.md).
 */
void bench_config(struct pnm_config *cfg, unsigned long normal, unsigned long movable,
		  bool registry);

/*
 * Create the (empty) shadow for an arena of @frames frames.  0, -EBUSY (one
 * exists already), -ENOMEM.
 */
int bench_shadow_init(unsigned long frames);
/*
 * Copy into the shadow what @t maps in [@addr, @addr + @bytes): PTEs, or
 * PMD leaves and their folios' tail descriptors for @pmd.  Single-threaded,
 * before any limit pass.  0, or -ENOSPC (the shadow's tables are full: the
 * areas map more than 8 GiB of small pages), the error of pnm_translate()
 * (an address not mapped).
 */
int bench_shadow_map(struct task_struct *t, unsigned long addr, unsigned long bytes, bool pmd);
/* Free the shadow; no limit pass may be running. */
void bench_shadow_fini(void);

/*
 * The acquire half of the limit for the @n pages at @addr (mapped into
 * the shadow; a range may cross page tables and folios): the walk, the
 * entry reads, one atomic increment per small page or per (call, 2 MiB
 * folio), and @slots[0..n) filled with the pages' shadow descriptors.
 */
void bench_limit_get(unsigned long addr, unsigned long n, void **slots);
/*
 * The release half for what one bench_limit_get() call put in @slots[0..n):
 * one atomic decrement per small page (@folio_pages 1), or per 2 MiB folio
 * the call covered (@folio_pages 512: the area is THP or hugetlb), found
 * from the frame numbers without reading the descriptors.
 */
void bench_limit_put(void **slots, unsigned long n, unsigned long folio_pages);

#endif /* PINMM_BENCH_CORE_H */
