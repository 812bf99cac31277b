/* SPDX-License-Identifier: MIT */
/*
 * pinmm/types.h - what every public pinmm header shares: the export and
 * linkage macros, the kernel-named object types (opaque), page sizes,
 * zones and the error-pointer helpers.
 *
 * The public headers are self-contained, define nothing outside the
 * PNM_/pnm_ namespace except the kernel-named GUP/pin API (pinmm/gup.h),
 * and compile in C11 and C++ (-pedantic) beside the usual system headers
 * in any order.
 *
 * The model's objects are named as Linux names them (struct page, struct
 * folio, struct mm_struct, struct task_struct, struct file), so call sites
 * read the same; outside the library they are opaque, reached through the
 * calls of these headers, as a Linux call site reaches them through
 * accessors.
 */
#ifndef PINMM_TYPES_H
#define PINMM_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

/* Marks a declaration as part of the exported API (the library is built
 * with hidden visibility: nothing else leaves it). */
#if defined(__GNUC__) || defined(__clang__)
#define PNM_API			__attribute__((visibility("default")))
#define PNM_PRINTF(fmt, args)	__attribute__((format(printf, fmt, args)))
#else
#define PNM_API
#define PNM_PRINTF(fmt, args)
#endif

#ifdef __cplusplus
#define PNM_BEGIN_DECLS		extern "C" {
#define PNM_END_DECLS		}
#else
#define PNM_BEGIN_DECLS
#define PNM_END_DECLS
#endif

PNM_BEGIN_DECLS

/* The model's pages: 4 KiB base pages, 2 MiB PMD-mapped huge pages. */
#define PNM_PAGE_SHIFT		12
#define PNM_PAGE_SIZE		(1UL << PNM_PAGE_SHIFT)
#define PNM_HPAGE_PMD_ORDER	9
#define PNM_HPAGE_PMD_SIZE	(PNM_PAGE_SIZE << PNM_HPAGE_PMD_ORDER)

/* Kernel-named objects, opaque outside the library. */
struct page;
struct folio;
struct mm_struct;
struct task_struct;
struct file;

/*
 * Physical memory zones (Linux's enum zone_type).  PNM_ZONE_CMA stands in
 * for Linux's CMA pageblocks: movable data only, never long-term pinned.
 */
enum pnm_zone_type {
	PNM_ZONE_NORMAL,
	PNM_ZONE_MOVABLE,
	PNM_ZONE_CMA,
	PNM_NR_ZONES
};

/* Transparent huge pages for anonymous memory (Linux's
 * /sys/kernel/mm/transparent_hugepage/enabled).  PNM_THP_INHERIT is only
 * for one folio size's own switch (pinmm/thp.h): that size follows the
 * global mode. */
enum pnm_thp_mode { PNM_THP_NEVER, PNM_THP_MADVISE, PNM_THP_ALWAYS, PNM_THP_INHERIT };

/*
 * Error pointers.  The API's one rule for results (docs/api.md): a call
 * returns an integer, >= 0 on success and a negative errno on failure;
 * a call that creates an object also returns such an integer and hands
 * the object back through its last argument (untouched on failure).
 * Lookups return NULL for "no such object".  No public call returns an
 * error pointer; these helpers exist for code that keeps such values
 * itself (as kernel call sites do).
 */
#define PNM_MAX_ERRNO		4095
static inline void *pnm_err_ptr(long err) { return (void *)(intptr_t)err; }
static inline long pnm_ptr_err(const void *ptr) { return (long)(intptr_t)ptr; }
static inline bool pnm_is_err(const void *ptr)
{
	return (uintptr_t)ptr >= (uintptr_t)-PNM_MAX_ERRNO;
}

PNM_END_DECLS

#endif /* PINMM_TYPES_H */
