/* SPDX-License-Identifier: MIT */
/*
 * compiler.h - small language helpers shared by every pinmm file.
 *
 * pinmm models the Linux memory manager in userspace and keeps the kernel's
 * vocabulary so that call sites read the same.  This header supplies the
 * handful of kernel idioms the rest of the code leans on (container_of,
 * READ_ONCE/WRITE_ONCE, likely/unlikely, BUILD_BUG_ON) implemented with
 * GCC/Clang builtins.  READ_ONCE and WRITE_ONCE are relaxed atomic accesses,
 * so ThreadSanitizer sees intentional racy reads as atomic rather than as
 * data races.
 */
#ifndef PNM_MODEL_COMPILER_H
#define PNM_MODEL_COMPILER_H

/* The library defines the GUP entry points: it must not see the public
 * call-site-capturing macros (pinmm/gup.h). */
#define PNM_GUP_NO_CALL_SITE_MACROS
#include <pinmm/pinmm.h>

/*
 * Accessors that the library keeps inline (model/mm.h, model/sched.h) and
 * also exports as functions for the public API (pinmm/gup.h,
 * pinmm/task.h).  Inside the library each name means the inline, renamed
 * here; src/util.c defines the exported function of the same name after
 * an #undef, so the compiler checks it against the public prototype.
 */
#define get_page		pnm_inline_get_page
#define put_page		pnm_inline_put_page
#define folio_get		pnm_inline_folio_get
#define folio_put		pnm_inline_folio_put
#define folio_ref_add		pnm_inline_folio_ref_add
#define page_folio		pnm_inline_page_folio
#define folio_page		pnm_inline_folio_page
#define folio_nr_pages		pnm_inline_folio_nr_pages
#define page_to_pfn		pnm_inline_page_to_pfn
#define folio_pfn		pnm_inline_folio_pfn
#define page_address		pnm_inline_page_address
#define folio_address		pnm_inline_folio_address
#define page_maybe_dma_pinned	pnm_inline_page_maybe_dma_pinned
#define mmap_read_lock		pnm_inline_mmap_read_lock
#define mmap_read_unlock	pnm_inline_mmap_read_unlock
#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#define likely(x)	__builtin_expect(!!(x), 1)
#define unlikely(x)	__builtin_expect(!!(x), 0)

#define container_of(ptr, type, member) \
	((type *)((char *)(ptr) - offsetof(type, member)))

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

#define BUILD_BUG_ON(cond)	_Static_assert(!(cond), #cond)

/*
 * Relaxed single-copy-atomic loads and stores.  Used for fields that are
 * read without the lock that protects their writers (statistics, flags
 * peeked at before taking a lock).  They order nothing: pair them with a
 * lock or with an explicit acquire/release where ordering matters.
 */
#define READ_ONCE(x)		__atomic_load_n(&(x), __ATOMIC_RELAXED)
#define WRITE_ONCE(x, v)	__atomic_store_n(&(x), (v), __ATOMIC_RELAXED)

#define ALIGN(x, a)		(((x) + ((a) - 1)) & ~((__typeof__(x))(a) - 1))
#define ALIGN_DOWN(x, a)	((x) & ~((__typeof__(x))(a) - 1))
#define IS_ALIGNED(x, a)	(((x) & ((__typeof__(x))(a) - 1)) == 0)

#define min_t(t, a, b)	((t)(a) < (t)(b) ? (t)(a) : (t)(b))
#define max_t(t, a, b)	((t)(a) > (t)(b) ? (t)(a) : (t)(b))

#define __maybe_unused	__attribute__((unused))
#define __printf(a, b)	__attribute__((format(printf, a, b)))
#define __must_check	__attribute__((warn_unused_result))

/* An address in a modelled process's address space (never dereferenced). */
#define __user

/* Linux encodes -errno in the top 4095 values of an unsigned long. */
#define MAX_ERRNO	4095
#define IS_ERR_VALUE(x)	((unsigned long)(x) >= (unsigned long)-MAX_ERRNO)

/* Pointers that carry a -errno instead (Linux's ERR_PTR family). */
static inline void *ERR_PTR(long err) { return (void *)err; }
static inline long PTR_ERR(const void *ptr) { return (long)ptr; }
static inline int IS_ERR(const void *ptr) { return IS_ERR_VALUE((unsigned long)ptr); }
static inline int IS_ERR_OR_NULL(const void *ptr) { return !ptr || IS_ERR(ptr); }

#endif /* PNM_MODEL_COMPILER_H */
