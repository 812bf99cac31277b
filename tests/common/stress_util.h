/* SPDX-License-Identifier: MIT */
/*
 * stress_util.h - the harness the stress tests (tests/stress/) share.
 *
 * A stress test runs real threads against one model, seeded and bounded.
 * cmocka's assertions belong to the main thread, so the workers record
 * what goes wrong in a struct stress_failures and the main thread asserts
 * it after joining them (stress_assert_none()).  Helper threads that do
 * background work (fork, map, write back) while the test's own workers
 * run get a struct stress_helper each, with a seeded generator and a
 * bound, and stop early once the workers are done (stress_running()).
 * The rest are the pieces of background work several tests do the same
 * way; each test keeps its own loop around them, and gives them the
 * failure codes that say where a failure came from.
 *
 * Every call may be made from any thread except stress_assert_none() and
 * the start/join calls, which belong to the main thread.
 */
#ifndef PINMM_STRESS_UTIL_H
#define PINMM_STRESS_UTIL_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "test_util.h"

/*
 * Failures of the workers: how many, and the first one's description.
 * Zero-initialised (static or calloc) is the empty state.
 */
struct stress_failures {
	const char *test;	/* names the first failure on stderr; may be NULL */
	atomic_t count;
	/* Written once, by the thread whose failure counted 1; read by the
	 * main thread after joining every worker. */
	char first[256];
};

/*
 * Count a failure of code @code (a number saying where, often a base
 * minus an errno) or one described by @fmt.  The first failure is kept
 * and printed on stderr at once (a test that then hangs still says why).
 */
void stress_fail(struct stress_failures *f, int code);
void stress_failf(struct stress_failures *f, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Failures counted so far (a worker may stop early on it). */
static inline int stress_failed(struct stress_failures *f)
{
	return atomic_read(&f->count);
}

/*
 * Main thread, every worker joined: fail the test if a failure was
 * counted, with how many and the first; @when ("round 3") or NULL
 * prefixes the message.
 */
void stress_assert_none(struct stress_failures *f, const char *when);

/*
 * Workers still running, for helpers that stop with them: @left starts
 * at the number of workers (atomic_set() before any thread starts); each
 * worker calls stress_worker_done() as it finishes.
 */
static inline bool stress_running(atomic_t *left)
{
	/* Acquire: pairs with the workers' fully ordered decrement. */
	return atomic_read_acquire(left) > 0;
}

static inline void stress_worker_done(atomic_t *left)
{
	/* Fully ordered RMW: pairs with stress_running()'s acquire read. */
	atomic_sub_return(1, left);
}

/* A helper thread: its function's argument. */
struct stress_helper {
	void *sh;		/* the test's shared state */
	uint64_t rng;		/* its own generator (test_rand()) */
	unsigned long bound;	/* iterations at most */
	pthread_t thread;
};

/*
 * Start @n helpers: @hs[i] runs @fns[i] with @sh, a generator seeded from
 * @seed and i, and a bound of @bounds[i] * @iters iterations.  Fails the
 * test if a thread cannot be started.  stress_helpers_join() waits for
 * them.
 */
void stress_helpers_start(struct stress_helper *hs, void *(*const fns[])(void *),
			  const unsigned long *bounds, size_t n, void *sh, uint64_t seed,
			  unsigned long iters);
void stress_helpers_join(struct stress_helper *hs, size_t n);

/* Start @fn(@arg) as a thread of the test (fails the test if it cannot). */
void stress_thread_start(pthread_t *thread, void *(*fn)(void *), void *arg);

/* Fill @words words of @buf with @v; is every word @v? */
static inline void stress_fill_words(uint64_t *buf, size_t words, uint64_t v)
{
	for (size_t i = 0; i < words; i++)
		buf[i] = v;
}

static inline bool stress_all_are(const uint64_t *buf, size_t words, uint64_t v)
{
	for (size_t i = 0; i < words; i++)
		if (buf[i] != v)
			return false;
	return true;
}

/*
 * Fork @parent; the child loads a byte at @load (unless @load is 0),
 * stores @len bytes of @data at @store (its own copy: the parent must
 * not notice) and exits.  A failed fork counts in @f as @code - errno, a
 * failed load or store as @code + 1.  True if the fork happened.
 */
bool stress_fork_touch(struct stress_failures *f, int code, struct task_struct *parent,
		       unsigned long load, unsigned long store, const void *data, size_t len);

/*
 * Map @len bytes of private anonymous memory anywhere in @t, store a byte
 * at offsets @first, @first + @stride ... below @len, and unmap it: page
 * tables come and go under the other threads.  A failed mmap counts in
 * @f as @code - errno, a failed store as @code + 1, a failed munmap as
 * @code + 2.
 */
void stress_map_touch_unmap(struct stress_failures *f, int code, struct task_struct *t,
			    unsigned long len, unsigned long first, unsigned long stride);

/*
 * A thread writing a file back while the test's workers write it:
 * @rounds times an fsync (every other one a datasync) and a background
 * writeback pass of @f, yielding between.  Its first error is counted in
 * @failures as @code - errno, and ends it.
 */
struct stress_flusher {
	struct file *f;
	unsigned long rounds;
	struct stress_failures *failures;
	int code;
	pthread_t thread;
};
void *stress_flusher_main(void *arg);

#endif /* PINMM_STRESS_UTIL_H */
