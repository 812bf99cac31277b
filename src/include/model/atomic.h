/* SPDX-License-Identifier: MIT */
/*
 * atomic.h - the kernel's atomic_t API with the kernel's ordering rules.
 *
 * Every atomic in pinmm goes through this header, so the memory-ordering
 * contract lives in one place.  The rules are Linux's
 * (Documentation/atomic_t.txt):
 *
 *   - atomic_read()/atomic_set() are relaxed (no ordering).
 *   - Non-value-returning RMW ops (atomic_inc, atomic_add, set_bit, ...)
 *     are relaxed.
 *   - Value-returning RMW ops (atomic_add_return, atomic_dec_and_test,
 *     atomic_cmpxchg, test_and_set_bit, ...) are fully ordered: they act as
 *     a full barrier before and after (seq_cst).
 *   - _acquire / _release suffixes give one-sided ordering.
 *   - smp_mb() is a full fence.  Prefer ordered RMW ops over bare fences:
 *     ThreadSanitizer does not model standalone fences.
 *
 * Callers that rely on ordering say in a comment what the access pairs with.
 */
#ifndef PNM_MODEL_ATOMIC_H
#define PNM_MODEL_ATOMIC_H

#include <model/compiler.h>

typedef struct { int counter; } atomic_t;
typedef struct { long counter; } atomic_long_t;

#define ATOMIC_INIT(i)	{ (i) }
#define ATOMIC_LONG_INIT(i)	{ (i) }

#define R_ __ATOMIC_RELAXED
#define SC_ __ATOMIC_SEQ_CST

static inline int atomic_read(const atomic_t *v)
{ return __atomic_load_n(&v->counter, R_); }
static inline int atomic_read_acquire(const atomic_t *v)
{ return __atomic_load_n(&v->counter, __ATOMIC_ACQUIRE); }
static inline void atomic_set(atomic_t *v, int i)
{ __atomic_store_n(&v->counter, i, R_); }
static inline void atomic_set_release(atomic_t *v, int i)
{ __atomic_store_n(&v->counter, i, __ATOMIC_RELEASE); }
static inline void atomic_add(int i, atomic_t *v)
{ __atomic_fetch_add(&v->counter, i, R_); }
static inline void atomic_sub(int i, atomic_t *v)
{ __atomic_fetch_sub(&v->counter, i, R_); }
static inline void atomic_inc(atomic_t *v) { atomic_add(1, v); }
/* Fully ordered OR of bits (owner state bits, vaddr_pin.c: pairs with the
 * lock-free reads of the same word). */
static inline void atomic_or(int i, atomic_t *v)
{ __atomic_fetch_or(&v->counter, i, SC_); }
static inline void atomic_dec(atomic_t *v) { atomic_sub(1, v); }
static inline int atomic_add_return(int i, atomic_t *v)
{ return __atomic_add_fetch(&v->counter, i, SC_); }
static inline int atomic_sub_return(int i, atomic_t *v)
{ return __atomic_sub_fetch(&v->counter, i, SC_); }
static inline int atomic_fetch_add(int i, atomic_t *v)
{ return __atomic_fetch_add(&v->counter, i, SC_); }
static inline int atomic_inc_return(atomic_t *v) { return atomic_add_return(1, v); }
static inline int atomic_dec_return(atomic_t *v) { return atomic_sub_return(1, v); }
static inline bool atomic_dec_and_test(atomic_t *v) { return atomic_sub_return(1, v) == 0; }
static inline bool atomic_sub_and_test(int i, atomic_t *v) { return atomic_sub_return(i, v) == 0; }
static inline bool atomic_inc_and_test(atomic_t *v) { return atomic_add_return(1, v) == 0; }
/* Fully ordered compare-and-exchange; returns the value found. */
static inline int atomic_cmpxchg(atomic_t *v, int old, int new)
{
	__atomic_compare_exchange_n(&v->counter, &old, new, false, SC_, SC_);
	return old;
}
/* Fully ordered on success; relaxed on failure.  *old is updated on failure. */
static inline bool atomic_try_cmpxchg(atomic_t *v, int *old, int new)
{ return __atomic_compare_exchange_n(&v->counter, old, new, false, SC_, R_); }

/*
 * Add @a to @v unless @v equals @u; returns true if the add happened.
 * Fully ordered when it succeeds (used for speculative references).
 */
static inline bool atomic_add_unless(atomic_t *v, int a, int u)
{
	int c = atomic_read(v);

	do {
		if (c == u)
			return false;
	} while (!atomic_try_cmpxchg(v, &c, c + a));
	return true;
}

static inline long atomic_long_read(const atomic_long_t *v)
{ return __atomic_load_n(&v->counter, R_); }
static inline void atomic_long_set(atomic_long_t *v, long i)
{ __atomic_store_n(&v->counter, i, R_); }
static inline void atomic_long_add(long i, atomic_long_t *v)
{ __atomic_fetch_add(&v->counter, i, R_); }
static inline void atomic_long_sub(long i, atomic_long_t *v)
{ __atomic_fetch_sub(&v->counter, i, R_); }
static inline void atomic_long_inc(atomic_long_t *v) { atomic_long_add(1, v); }
static inline void atomic_long_dec(atomic_long_t *v) { atomic_long_sub(1, v); }
static inline long atomic_long_add_return(long i, atomic_long_t *v)
{ return __atomic_add_fetch(&v->counter, i, SC_); }

/* --- bit operations on unsigned long words (page->flags, mm->flags) --- */
#define BITS_PER_LONG	64
#define BIT(n)		(1UL << (n))

static inline bool test_bit(long nr, const unsigned long *addr)
{ return (__atomic_load_n(addr, R_) >> nr) & 1UL; }
static inline bool test_bit_acquire(long nr, const unsigned long *addr)
{ return (__atomic_load_n(addr, __ATOMIC_ACQUIRE) >> nr) & 1UL; }
static inline void set_bit(long nr, unsigned long *addr)
{ __atomic_fetch_or(addr, BIT(nr), R_); }
static inline void clear_bit(long nr, unsigned long *addr)
{ __atomic_fetch_and(addr, ~BIT(nr), R_); }
/* Release ordering: everything before is visible to whoever sees it set
 * with test_bit_acquire() (PG_uptodate: the data, then the flag). */
static inline void set_bit_release(long nr, unsigned long *addr)
{ __atomic_fetch_or(addr, BIT(nr), __ATOMIC_RELEASE); }
/* Release ordering: everything before is visible to whoever sees it clear. */
static inline void clear_bit_unlock(long nr, unsigned long *addr)
{ __atomic_fetch_and(addr, ~BIT(nr), __ATOMIC_RELEASE); }
static inline bool test_and_set_bit(long nr, unsigned long *addr)
{ return (__atomic_fetch_or(addr, BIT(nr), SC_) >> nr) & 1UL; }
/* Acquire ordering on success: pairs with clear_bit_unlock(). */
static inline bool test_and_set_bit_lock(long nr, unsigned long *addr)
{ return (__atomic_fetch_or(addr, BIT(nr), __ATOMIC_ACQUIRE) >> nr) & 1UL; }
static inline bool test_and_clear_bit(long nr, unsigned long *addr)
{ return (__atomic_fetch_and(addr, ~BIT(nr), SC_) >> nr) & 1UL; }

/* --- barriers --- */
/*
 * smp_mb(): a full barrier.  Normally a seq_cst fence.  ThreadSanitizer does
 * not model standalone fences (and GCC refuses them under -fsanitize=thread
 * with -Werror), so in tsan builds it is a seq_cst RMW on one shared word
 * instead: still a full barrier, and a synchronisation point tsan can see.
 * That over-approximates (any two smp_mb() calls synchronise), which can
 * only hide races between code that both sides fence, never invent one.
 * Prefer a value-returning (seq_cst) RMW on the data itself where one fits.
 */
#ifdef __SANITIZE_THREAD__
extern unsigned long pnm_tsan_fence_word;
static inline void smp_mb(void)
{ __atomic_fetch_add(&pnm_tsan_fence_word, 0, SC_); }
#else
static inline void smp_mb(void) { __atomic_thread_fence(SC_); }
#endif
#define smp_load_acquire(p)	__atomic_load_n((p), __ATOMIC_ACQUIRE)
#define smp_store_release(p, v)	__atomic_store_n((p), (v), __ATOMIC_RELEASE)
/* After/before a relaxed RMW, upgrade it to a full barrier. */
static inline void smp_mb__after_atomic(void) { smp_mb(); }
static inline void smp_mb__before_atomic(void) { smp_mb(); }

#undef R_
#undef SC_

#endif /* PNM_MODEL_ATOMIC_H */
