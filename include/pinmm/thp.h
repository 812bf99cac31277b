/* SPDX-License-Identifier: MIT */
/*
 * pinmm/thp.h - transparent huge pages of every size: the per-size
 * switches of multi-size THP, the deferred split queue, and collapsing
 * 4 KiB pages into a 2 MiB THP (MADV_COLLAPSE, khugepaged).
 *
 * Anonymous memory may be backed by folios of 4 KiB, of 2 MiB (PMD-mapped
 * THPs), and of the sizes between: 16 KiB, 32 KiB ... 1 MiB (orders 2 to
 * 8), which are always mapped by page-table entries of 4 KiB.  Each size
 * has its own switch, as Linux's
 * /sys/kernel/mm/transparent_hugepage/hugepages-<size>kB/enabled:
 * PNM_THP_NEVER, PNM_THP_ALWAYS, PNM_THP_MADVISE (only in MADV_HUGEPAGE
 * areas) or PNM_THP_INHERIT (follow the global mode, pnm_config.thp).  As
 * in Linux the 2 MiB size starts at PNM_THP_INHERIT and every smaller size
 * at PNM_THP_NEVER; pnm_config.thp_size_enabled sets them at pnm_init(),
 * pnm_thp_set_enabled() at any time.  A write fault in an anonymous area
 * takes the largest enabled size whose naturally aligned range lies in
 * the area and is still entirely unmapped, falling back size by size to
 * 4 KiB when no block of a size is free.
 *
 * The per-size counters are counters of pinmm/stat.h named
 * "mthp_<size>kb_<stat>" after Linux's hugepages-<size>kB/stats/<stat>:
 * anon_fault_alloc, anon_fault_fallback, split, split_failed,
 * split_deferred.
 */
#ifndef PINMM_THP_H
#define PINMM_THP_H

#include <pinmm/types.h>

PNM_BEGIN_DECLS

/* madvise(2) advice: collapse the range's 4 KiB pages into 2 MiB THPs
 * (Linux's MADV_COLLAPSE, which <sys/mman.h> may not define). */
#define PNM_MADV_COLLAPSE	25

/* The smallest anonymous folio order that has a switch (16 KiB). */
#define PNM_THP_MIN_ORDER	2

/*
 * Set the switch of folio size @size (bytes: a power of two from 16 KiB
 * to 2 MiB) to @mode (PNM_THP_NEVER, _MADVISE, _ALWAYS or _INHERIT).
 * Faults from then on follow it; folios already allocated stay as they
 * are.  Returns 0, or -EINVAL (no such size, an unknown mode, no model).
 */
PNM_API int pnm_thp_set_enabled(unsigned long size, enum pnm_thp_mode mode);
/* The mode of folio size @size (>= 0), or -EINVAL as above. */
PNM_API int pnm_thp_get_enabled(unsigned long size);

/*
 * Run the deferred split queue (Linux's deferred split shrinker), looking
 * at up to @nr_to_scan queued folios.  A large anonymous folio is queued
 * when some of its pages are no longer mapped anywhere while others still
 * are (a partial munmap, MADV_DONTNEED or COW of part of it); each one
 * looked at is split into 4 KiB folios, which frees the unmapped pages,
 * unless it is locked, pinned or otherwise referenced (Linux's
 * split_folio() refuses extra references): then it stays queued.
 * Returns the number of folios split.  The caller holds no mmap_lock.
 */
PNM_API long pnm_thp_deferred_split_scan(unsigned long nr_to_scan);

/*
 * One pass of khugepaged over @task's address space: every 2 MiB aligned
 * block of every anonymous area where 2 MiB THPs are enabled (the 2 MiB
 * switch, as a fault would see it) that is mapped by a page table is
 * looked at, up to @max_pmds of them, and collapsed into a PMD-mapped
 * THP when khugepaged would: within the limits of the knobs
 * transparent_hugepage/khugepaged/max_ptes_none (511 empty entries),
 * max_ptes_swap (64 swap entries, swapped in first) and max_ptes_shared
 * (256 shared with another process) of pinmm/sysctl.h, at least one
 * recently used page (half the block with swap entries), at least one
 * writable entry, and no page that is locked, pinned or otherwise
 * referenced beyond its mappings.  Returns the number of THPs
 * made, or -ESRCH.  (MADV_COLLAPSE, through pnm_madvise(), collapses a
 * range on request, without those limits or the switch.)
 */
PNM_API long pnm_khugepaged_scan(struct task_struct *task, unsigned long max_pmds);

PNM_END_DECLS

#endif /* PINMM_THP_H */
