/* SPDX-License-Identifier: MIT */
/*
 * util.h - small helpers the pinmm command line shares.
 *
 * The command line is a client of the public API only (<pinmm/pinmm.h>):
 * it never sees the library's internal headers, so the few language
 * helpers and page-size names it uses are its own, defined here from the
 * public constants.
 */
#ifndef PINMM_CLI_UTIL_H
#define PINMM_CLI_UTIL_H

#include <errno.h>
#include <sys/mman.h>
#include <pinmm/pinmm.h>

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define BIT(n)		(1UL << (n))
#define min_t(t, a, b)	((t)(a) < (t)(b) ? (t)(a) : (t)(b))
#define __printf(a, b)	__attribute__((format(printf, a, b)))

#define PAGE_SHIFT	PNM_PAGE_SHIFT
#define PAGE_SIZE	PNM_PAGE_SIZE
#define PAGE_MASK	(~(PAGE_SIZE - 1))
#define HPAGE_PMD_ORDER	PNM_HPAGE_PMD_ORDER
#define HPAGE_PMD_SIZE	PNM_HPAGE_PMD_SIZE
#define HPAGE_PMD_NR	(1UL << PNM_HPAGE_PMD_ORDER)
/* Round @x up to a multiple of the power of two @a. */
#define ALIGN(x, a)	(((x) + ((a) - 1)) & ~((__typeof__(x))(a) - 1))

#endif /* PINMM_CLI_UTIL_H */
