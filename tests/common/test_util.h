/* SPDX-License-Identifier: MIT */
/*
 * test_util.h - fixtures shared by the unit and stress tests.
 *
 * Every test runs against a freshly initialised model (pnm_test_setup) and
 * ends with the balance checks (pnm_test_teardown): all tasks gone, every
 * invariant holds, every frame returned.  Tests call CHECK_ALL() after
 * every step.  cmocka assertions may only be used on the test's own thread;
 * worker threads record failures (struct stress_failures, the stress
 * harness below) for the main thread to assert.
 */
#ifndef PINMM_TEST_UTIL_H
#define PINMM_TEST_UTIL_H

#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <sys/types.h>
#include "pinmm_test_internal.h"

/* Small model: NORMAL 16 MiB, MOVABLE 8 MiB, CMA 4 MiB, THP on madvise;
 * the pin registry and misuse detection switched on explicitly. */
void pnm_test_config(struct pnm_config *cfg);
int pnm_test_setup(void **state);
/* Exits every remaining task, checks invariants and that no frame leaked. */
int pnm_test_teardown(void **state);
/* Setup with a caller-made config. */
void pnm_test_init_with(const struct pnm_config *cfg);

/* Setup with pnm_test_config() plus legacy GUP (pins are references). */
int pnm_test_setup_legacy(void **state);

/* A cmocka test of @fn in a fresh model (legacy GUP for _LEGACY). */
#define PNM_TEST(fn)	cmocka_unit_test_setup_teardown(fn, pnm_test_setup, pnm_test_teardown)
#define PNM_TEST_LEGACY(fn) \
	cmocka_unit_test_setup_teardown(fn, pnm_test_setup_legacy, pnm_test_teardown)

#define CHECK_ALL()	assert_true(pnm_check_system())

/*
 * The checker of a call site's object (pnm_kvm_check(), pnm_pipe_check()
 * ...: @check(@obj, why, size), 0 or -errno with the reason), then
 * CHECK_ALL(); the test fails with the reason.
 */
#define CHECK_OBJ(check, obj) do {					\
		char why_[256] = "";					\
									\
		if (check((obj), why_, sizeof(why_)))			\
			fail_msg("%s: %s", #check, why_);		\
		CHECK_ALL();						\
	} while (0)

/* Map anonymous memory in @t's mm; fails the test on error. */
unsigned long test_mmap(struct task_struct *t, unsigned long len,
			unsigned long prot, unsigned long flags);
/* Map @len bytes of @f from @off, shared and writable, in @t; fails the
 * test on error. */
unsigned long test_mmap_file(struct task_struct *t, struct file *f, unsigned long len,
			     int64_t off);
/* Write/read one byte; fails the test on error. */
void test_write_byte(struct task_struct *t, unsigned long addr, unsigned char v);
unsigned char test_read_byte(struct task_struct *t, unsigned long addr);
/* The pfn mapped at @addr (fails the test if none). */
unsigned long test_pfn(struct task_struct *t, unsigned long addr);

/* Create a task named @comm; fails the test on error. */
struct task_struct *test_task_create(const char *comm);
/* Fork @parent (child named "child"); fails the test on error. */
struct task_struct *test_fork(struct task_struct *parent);
/* The folio mapped at @addr in @t (fails the test if none). */
struct folio *test_folio(struct task_struct *t, unsigned long addr);
/* The raw PMD / PTE entry covering @addr in @t (zero if there is no such
 * table, or the PMD is huge for test_pte_val); takes mmap_lock for read
 * and the entry's lock. */
pmd_t test_pmd_val(struct task_struct *t, unsigned long addr);
pte_t test_pte_val(struct task_struct *t, unsigned long addr);
/* vm_flags of the VMA containing @addr (fails the test if none). */
unsigned long test_vma_flags(struct mm_struct *mm, unsigned long addr);

/* Open (O_RDWR|O_CREAT) file @name of filesystem @fs; fails the test on
 * error.  Drop it with fput(). */
struct file *test_open(enum pnm_fs_type fs, const char *name);
/* pread() @n bytes at @off of @f's real backing host file (disk, dax),
 * bypassing the model: what reached "the disk".  Returns pread's result
 * (bytes read, 0 at EOF, -1 on error); fails the test if the file has no
 * backing path. */
ssize_t test_host_pread(struct file *f, void *buf, size_t n, off_t off);
/* One byte of the host file behind @f (0xee beyond its end). */
unsigned char test_host_byte(struct file *f, off_t off);

/*
 * Test data: byte @i of the pattern of @seed, which differs between
 * neighbouring bytes and between pages, so a shifted or misplaced copy
 * shows.  test_fill_user() stores @n bytes of it in @t's memory at
 * @addr; test_user_has() says whether @t's memory at @addr holds its @n
 * bytes from byte @from on; test_fill_file() writes @n bytes of it into
 * @f at @off through the page cache; test_host_has() says whether the
 * host file behind @f holds them at @off (what reached the disk).  All
 * fail the test if a call fails.
 */
static inline unsigned char test_pattern(unsigned int seed, size_t i)
{
	return (unsigned char)(seed + i * 7 + i / 4096);
}
void test_fill_user(struct task_struct *t, unsigned long addr, size_t n, unsigned int seed);
bool test_user_has(struct task_struct *t, unsigned long addr, size_t n, unsigned int seed,
		   size_t from);
void test_fill_file(struct file *f, int64_t off, size_t n, unsigned int seed);
bool test_host_has(struct file *f, off_t off, size_t n, unsigned int seed);

/* The pages charged to @t's process pin budget domain (fails the test if
 * it cannot be read). */
unsigned long test_budget_charged(struct task_struct *t);

/*
 * Stress-test parameters for the file stress tests: the seed and the
 * iteration count come from PINMM_STRESS_SEED / PINMM_STRESS_ITERS, then
 * from argv[1] / argv[2] (the arguments win); the values are printed with
 * @name.  Also sets PINMM_NO_HOST_FSYNC=1 unless the environment says
 * otherwise: the host file's own durability is not under test.
 */
void test_stress_params(const char *name, int argc, char **argv,
			uint64_t *seed, unsigned long *iters);

/*
 * Another thread of the test that takes @mm's mmap_lock for write and sits
 * on it until test_mm_holder_stop(): a process that holds its own
 * mmap_lock for as long as it likes.  start returns once the lock is held.
 */
struct test_mm_holder {
	struct mm_struct *mm;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int state;		/* 0 starting, 1 holding, 2 release; lock */
};
void test_mm_holder_start(struct test_mm_holder *h, struct mm_struct *mm);
void test_mm_holder_stop(struct test_mm_holder *h);

/* Seeded xorshift64* for stress tests. */
static inline uint64_t test_rand(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545F4914F6CDD1DULL;
}

/*
 * fd 2 redirected to a temporary file, to see what the library would
 * print when no log hook is installed.  test_stderr_end() restores it and
 * leaves in s->text what was written (NUL-terminated, cut at
 * sizeof(text) - 1) and its full length in s->len.
 */
struct test_stderr {
	int saved;
	int fd;
	char text[8192];
	ssize_t len;
};
void test_stderr_begin(struct test_stderr *s);
void test_stderr_end(struct test_stderr *s);
/* A cmocka teardown for tests that redirect fd 2 or leave a model behind
 * when they fail: fd 2 restored, the calling thread out of its task, the
 * model finished. */
int test_cleanup_stderr_and_model(void **state);

/*
 * A log hook (pnm_config.log, with log_arg a struct test_log_capture *)
 * that keeps the first TEST_LOG_LINES lines it is given, each cut to
 * TEST_LOG_KEEP - 1 bytes, with its level and full length; nr counts
 * every line, kept or not.  Thread safe.
 */
#define TEST_LOG_LINES	256
#define TEST_LOG_KEEP	4096
struct test_log_capture {
	pthread_mutex_t lock;
	int nr;
	enum pnm_log_level level[TEST_LOG_LINES];
	char line[TEST_LOG_LINES][TEST_LOG_KEEP];
	size_t len[TEST_LOG_LINES];
};
#define TEST_LOG_CAPTURE_INIT	{ .lock = PTHREAD_MUTEX_INITIALIZER }
void test_log_capture(void *arg, enum pnm_log_level level, const char *msg);
/* Forget what @c kept. */
void test_log_reset(struct test_log_capture *c);
/* Kept lines of @c containing @needle at @level. */
int test_log_count(struct test_log_capture *c, const char *needle, enum pnm_log_level level);

/* --- the stress harness ------------------------------------------------------
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
 * failure codes that say where a failure came from.  Every call may be
 * made from any thread except stress_assert_none() and the start/join
 * calls, which belong to the main thread.
 */
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

/*
 * Host fault injection for a stress run (pinmm/fault.h): every @every-th
 * call of @kind fails from now on, the phase picked from @seed, so that
 * the same seed arms the same calls.  Fails the test on a bad argument.
 * pnm_fault_reset() (or the run's end) disarms it; the teardown's leak
 * and invariant checks still apply.
 */
void stress_fault_every(enum pnm_fault_kind kind, unsigned long every, uint64_t seed);

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

#endif /* PINMM_TEST_UTIL_H */
