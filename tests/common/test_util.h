/* SPDX-License-Identifier: MIT */
/*
 * test_util.h - fixtures shared by the unit and stress tests.
 *
 * Every test runs against a freshly initialised model (pnm_test_setup) and
 * ends with the balance checks (pnm_test_teardown): all tasks gone, every
 * invariant holds, every frame returned.  Tests call CHECK_ALL() after
 * every step.  cmocka assertions may only be used on the test's own thread;
 * worker threads record failures in atomics for the main thread to assert.
 */
#ifndef PINMM_TEST_UTIL_H
#define PINMM_TEST_UTIL_H

#include <pthread.h>
#include <stdarg.h>
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

#endif /* PINMM_TEST_UTIL_H */
