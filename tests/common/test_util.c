/* SPDX-License-Identifier: MIT */
/* test_util.c - see test_util.h. */
#include <fcntl.h>
#include <stdio.h>
#include <stdarg.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <limits.h>
#include <unistd.h>

#include "test_util.h"
#include "pinmm_test_internal.h"
#include "rcu.h"

void pnm_test_config(struct pnm_config *cfg)
{
	pnm_config_default(cfg);
	/* The checks the tests rely on, whatever the library's defaults:
	 * misuse detection (pnm_misuse_count() stays 0 only if nothing was
	 * misused) and the pin registry. */
	cfg->pin_registry = true;
	cfg->pin_debug = true;
	cfg->zone_frames[ZONE_NORMAL] = 4096;	/* 16 MiB */
	cfg->zone_frames[ZONE_MOVABLE] = 2048;	/* 8 MiB */
	cfg->zone_frames[ZONE_CMA] = 1024;	/* 4 MiB */
}

void pnm_test_init_with(const struct pnm_config *cfg)
{
	assert_int_equal(pnm_init(cfg), 0);
	CHECK_ALL();
}

int pnm_test_setup(void **state)
{
	struct pnm_config cfg;

	(void)state;
	pnm_test_config(&cfg);
	pnm_test_init_with(&cfg);
	return 0;
}

int pnm_test_setup_legacy(void **state)
{
	struct pnm_config cfg;

	(void)state;
	pnm_test_config(&cfg);
	cfg.legacy_gup = true;
	pnm_test_init_with(&cfg);
	return 0;
}

static void exit_one(struct task_struct *t, void *arg)
{
	(void)arg;
	pnm_task_exit(t);
}

int pnm_test_teardown(void **state)
{
	(void)state;
	pnm_task_enter(NULL);
	pnm_for_each_task(exit_one, NULL);
	/* Page-table frames a lockless walker might have seen are freed after
	 * a grace period: wait for those frees before counting frames. */
	pnm_rcu_barrier();
	CHECK_ALL();
	assert_int_equal(pnm_fini(), 0);
	return 0;
}

unsigned long test_mmap(struct task_struct *t, unsigned long len,
			unsigned long prot, unsigned long flags)
{
	long addr = pnm_mm_mmap(t->mm, 0, len, prot, flags, NULL, 0);

	assert_true(addr > 0);
	return (unsigned long)addr;
}

unsigned long test_mmap_file(struct task_struct *t, struct file *f, unsigned long len,
			     int64_t off)
{
	long addr = pnm_mmap(t, 0, len, PROT_READ | PROT_WRITE, MAP_SHARED, f, off);

	assert_true(addr > 0);
	return (unsigned long)addr;
}

void test_write_byte(struct task_struct *t, unsigned long addr, unsigned char v)
{
	assert_int_equal(pnm_user_write(t, addr, &v, 1), 0);
}

unsigned char test_read_byte(struct task_struct *t, unsigned long addr)
{
	unsigned char v = 0;

	assert_int_equal(pnm_user_read(t, addr, &v, 1), 0);
	return v;
}

unsigned long test_pfn(struct task_struct *t, unsigned long addr)
{
	unsigned long pfn = 0;
	bool w;

	assert_int_equal(pnm_mm_translate(t->mm, addr, &pfn, &w), 0);
	return pfn;
}

struct task_struct *test_task_create(const char *comm)
{
	struct task_struct *t = NULL;

	assert_int_equal(pnm_task_create(comm, &t), 0);
	assert_non_null(t);
	return t;
}

struct task_struct *test_fork(struct task_struct *parent)
{
	struct task_struct *child = NULL;

	assert_int_equal(pnm_task_fork(parent, "child", &child), 0);
	assert_non_null(child);
	return child;
}

struct folio *test_folio(struct task_struct *t, unsigned long addr)
{
	return pfn_folio(test_pfn(t, addr));
}

unsigned long test_vma_flags(struct mm_struct *mm, unsigned long addr)
{
	struct vm_area_struct *vma;
	unsigned long f;

	mmap_read_lock(mm);
	vma = vma_lookup(mm, addr);
	assert_non_null(vma);
	f = vma->vm_flags;
	mmap_read_unlock(mm);
	return f;
}

struct file *test_open(enum pnm_fs_type fs, const char *name)
{
	struct file *f = pnm_filp_open(fs, name, O_RDWR | O_CREAT);

	assert_false(IS_ERR_OR_NULL(f));
	return f;
}

ssize_t test_host_pread(struct file *f, void *buf, size_t n, off_t off)
{
	char path[PATH_MAX];
	ssize_t ret;
	int fd;

	assert_int_equal(pnm_fs_backing_path(f, path, sizeof(path)), 0);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	ret = pread(fd, buf, n, off);
	close(fd);
	return ret;
}

unsigned char test_host_byte(struct file *f, off_t off)
{
	unsigned char v = 0xee;

	test_host_pread(f, &v, 1, off);
	return v;
}

/* The pattern of @seed in @t's memory: see test_util.h. */
void test_fill_user(struct task_struct *t, unsigned long addr, size_t n, unsigned int seed)
{
	unsigned char *b = malloc(n ? n : 1);

	assert_non_null(b);
	for (size_t i = 0; i < n; i++)
		b[i] = test_pattern(seed, i);
	assert_int_equal(pnm_user_write(t, addr, b, n), 0);
	free(b);
}

/* Bytes [from, from + n) of the pattern of @seed at @addr: see test_util.h. */
bool test_user_has(struct task_struct *t, unsigned long addr, size_t n, unsigned int seed,
		   size_t from)
{
	unsigned char *b = malloc(n ? n : 1);
	bool ok = true;

	assert_non_null(b);
	assert_int_equal(pnm_user_read(t, addr, b, n), 0);
	for (size_t i = 0; i < n && ok; i++)
		ok = b[i] == test_pattern(seed, from + i);
	free(b);
	return ok;
}

/* The pattern of @seed into @f through the cache: see test_util.h. */
void test_fill_file(struct file *f, int64_t off, size_t n, unsigned int seed)
{
	unsigned char *b = malloc(n ? n : 1);

	assert_non_null(b);
	for (size_t i = 0; i < n; i++)
		b[i] = test_pattern(seed, i);
	assert_int_equal(pnm_file_write(f, b, n, off), (ssize_t)n);
	free(b);
}

/* The pattern of @seed on the disk behind @f: see test_util.h. */
bool test_host_has(struct file *f, off_t off, size_t n, unsigned int seed)
{
	unsigned char *b = malloc(n ? n : 1);
	bool ok;

	assert_non_null(b);
	ok = test_host_pread(f, b, n, off) == (ssize_t)n;
	for (size_t i = 0; i < n && ok; i++)
		ok = b[i] == test_pattern(seed, i);
	free(b);
	return ok;
}

/* The pages charged to @t's process domain: see test_util.h. */
unsigned long test_budget_charged(struct task_struct *t)
{
	struct pnm_pin_budget_info bi = { .size = sizeof(bi) };

	assert_int_equal(pnm_pin_budget_get_task(t, &bi), 0);
	return bi.charged;
}

/* Stress-test parameters: see test_util.h. */
void test_stress_params(const char *name, int argc, char **argv,
			uint64_t *seed, unsigned long *iters)
{
	const char *env;

	setenv("PINMM_NO_HOST_FSYNC", "1", 0);
	if ((env = getenv("PINMM_STRESS_SEED")))
		*seed = strtoull(env, NULL, 0);
	if ((env = getenv("PINMM_STRESS_ITERS")))
		*iters = strtoul(env, NULL, 0);
	if (argc > 1)
		*seed = strtoull(argv[1], NULL, 0);
	if (argc > 2)
		*iters = strtoul(argv[2], NULL, 0);
	print_message("%s: seed %#llx, %lu iterations "
		      "(PINMM_STRESS_SEED/PINMM_STRESS_ITERS or arguments to override)\n",
		      name, (unsigned long long)*seed, *iters);
}

static void *mm_holder_thread(void *arg)
{
	struct test_mm_holder *h = arg;

	mmap_write_lock(h->mm);
	pthread_mutex_lock(&h->lock);
	h->state = 1;
	pthread_cond_broadcast(&h->cond);
	while (h->state != 2)
		pthread_cond_wait(&h->cond, &h->lock);
	pthread_mutex_unlock(&h->lock);
	mmap_write_unlock(h->mm);
	return NULL;
}

/* An mmap_lock holder thread: see test_util.h. */
void test_mm_holder_start(struct test_mm_holder *h, struct mm_struct *mm)
{
	h->mm = mm;
	h->state = 0;
	assert_int_equal(pthread_mutex_init(&h->lock, NULL), 0);
	assert_int_equal(pthread_cond_init(&h->cond, NULL), 0);
	assert_int_equal(pthread_create(&h->thread, NULL, mm_holder_thread, h), 0);
	pthread_mutex_lock(&h->lock);
	while (h->state != 1)
		pthread_cond_wait(&h->cond, &h->lock);
	pthread_mutex_unlock(&h->lock);
}

/* Let the holder release the lock and exit. */
void test_mm_holder_stop(struct test_mm_holder *h)
{
	pthread_mutex_lock(&h->lock);
	h->state = 2;
	pthread_cond_broadcast(&h->cond);
	pthread_mutex_unlock(&h->lock);
	assert_int_equal(pthread_join(h->thread, NULL), 0);
	pthread_mutex_destroy(&h->lock);
	pthread_cond_destroy(&h->cond);
}

/* The raw PMD entry at @addr: see test_util.h. */
pmd_t test_pmd_val(struct task_struct *t, unsigned long addr)
{
	pmd_t *pmd, val = __pmd(0);

	mmap_read_lock(t->mm);
	pmd = pnm_pmd_lookup(t->mm, addr);
	if (pmd)
		val = pmdp_get(pmd);
	mmap_read_unlock(t->mm);
	return val;
}

/* The raw PTE at @addr: see test_util.h. */
pte_t test_pte_val(struct task_struct *t, unsigned long addr)
{
	pte_t val = __pte(0);
	spinlock_t *ptl;
	pmd_t *pmd;
	pte_t *pte;

	mmap_read_lock(t->mm);
	pmd = pnm_pmd_lookup(t->mm, addr);
	pte = pmd ? pte_offset_map_lock(t->mm, pmd, addr, &ptl) : NULL;
	if (pte) {
		val = ptep_get(pte);
		pte_unmap_unlock(pte, ptl);
	}
	mmap_read_unlock(t->mm);
	return val;
}

/* The real fd 2 while redirected (a failing test leaves it for cleanup). */
static int test_saved_stderr = -1;

void test_stderr_begin(struct test_stderr *s)
{
	char path[] = "/tmp/pinmm-stderr-XXXXXX";

	fflush(stderr);
	s->fd = mkstemp(path);
	assert_true(s->fd >= 0);
	unlink(path);
	s->saved = dup(2);
	assert_true(s->saved >= 0);
	test_saved_stderr = s->saved;
	assert_int_equal(dup2(s->fd, 2), 2);
}

void test_stderr_end(struct test_stderr *s)
{
	ssize_t n;

	fflush(stderr);
	assert_int_equal(dup2(s->saved, 2), 2);
	close(s->saved);
	test_saved_stderr = -1;
	s->len = lseek(s->fd, 0, SEEK_END);
	assert_true(s->len >= 0);
	n = pread(s->fd, s->text, sizeof(s->text) - 1, 0);
	s->text[n > 0 ? n : 0] = '\0';
	close(s->fd);
}

int test_cleanup_stderr_and_model(void **state)
{
	(void)state;
	if (test_saved_stderr >= 0) {
		dup2(test_saved_stderr, 2);
		close(test_saved_stderr);
		test_saved_stderr = -1;
	}
	if (pnm_initialised) {
		pnm_task_enter(NULL);
		pnm_fini();
	}
	return 0;
}

/* The log hook of struct test_log_capture (test_util.h). */
void test_log_capture(void *arg, enum pnm_log_level level, const char *msg)
{
	struct test_log_capture *c = arg;

	pthread_mutex_lock(&c->lock);
	if (c->nr < TEST_LOG_LINES) {
		c->level[c->nr] = level;
		c->len[c->nr] = strlen(msg);
		snprintf(c->line[c->nr], TEST_LOG_KEEP, "%s", msg);
	}
	c->nr++;
	pthread_mutex_unlock(&c->lock);
}

void test_log_reset(struct test_log_capture *c)
{
	pthread_mutex_lock(&c->lock);
	c->nr = 0;
	pthread_mutex_unlock(&c->lock);
}

int test_log_count(struct test_log_capture *c, const char *needle, enum pnm_log_level level)
{
	int i, n = 0;

	pthread_mutex_lock(&c->lock);
	for (i = 0; i < c->nr && i < TEST_LOG_LINES; i++)
		n += strstr(c->line[i], needle) && c->level[i] == level;
	pthread_mutex_unlock(&c->lock);
	return n;
}

/* --- the stress harness (test_util.h) ------------------------------------------ */

/* stress_failf - count a failure, keep and print the first; test_util.h. */
void stress_failf(struct stress_failures *f, const char *fmt, ...)
{
	va_list ap;

	/* Fully ordered RMW: exactly one thread sees 1 and writes @first. */
	if (atomic_inc_return(&f->count) != 1)
		return;
	va_start(ap, fmt);
	vsnprintf(f->first, sizeof(f->first), fmt, ap);
	va_end(ap);
	fprintf(stderr, "%s: first failure: %s\n", f->test ? f->test : "stress", f->first);
}

/* stress_fail - stress_failf() of a failure code; test_util.h. */
void stress_fail(struct stress_failures *f, int code)
{
	stress_failf(f, "code %d", code);
}

/* stress_assert_none - the main thread's verdict; test_util.h. */
void stress_assert_none(struct stress_failures *f, const char *when)
{
	int n = atomic_read(&f->count);

	if (n)
		fail_msg("%s%s%d failure%s, the first: %s", when ? when : "", when ? ": " : "", n,
			 n == 1 ? "" : "s", f->first);
}

/* stress_thread_start - pthread_create() or fail the test; test_util.h. */
void stress_thread_start(pthread_t *thread, void *(*fn)(void *), void *arg)
{
	assert_int_equal(pthread_create(thread, NULL, fn, arg), 0);
}

/* stress_helpers_start - start the helpers; test_util.h. */
void stress_helpers_start(struct stress_helper *hs, void *(*const fns[])(void *),
			  const unsigned long *bounds, size_t n, void *sh, uint64_t seed,
			  unsigned long iters)
{
	for (size_t i = 0; i < n; i++) {
		hs[i].sh = sh;
		hs[i].rng = seed * (2 * (uint64_t)i + 11) + 5;
		hs[i].bound = bounds[i] * iters;
		stress_thread_start(&hs[i].thread, fns[i], &hs[i]);
	}
}

/* stress_helpers_join - wait for the helpers; test_util.h. */
void stress_helpers_join(struct stress_helper *hs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		assert_int_equal(pthread_join(hs[i].thread, NULL), 0);
}

/* stress_fork_touch - fork, let the child touch its copy, exit it; test_util.h. */
bool stress_fork_touch(struct stress_failures *f, int code, struct task_struct *parent,
		       unsigned long load, unsigned long store, const void *data, size_t len)
{
	struct task_struct *child;
	int err = pnm_task_fork(parent, "child", &child);
	char c;

	if (err) {
		stress_fail(f, code - err);
		return false;
	}
	if ((load && pnm_user_read(child, load, &c, 1)) ||
	    pnm_user_write(child, store, data, len))
		stress_fail(f, code + 1);
	pnm_task_exit(child);
	pnm_task_put(child);
	return true;
}

/* stress_map_touch_unmap - a short-lived mapping; test_util.h. */
void stress_map_touch_unmap(struct stress_failures *f, int code, struct task_struct *t,
			    unsigned long len, unsigned long first, unsigned long stride)
{
	long a = pnm_mmap(t, 0, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, NULL, 0);
	unsigned char b = 1;

	if (a < 0) {
		stress_fail(f, code - (int)a);
		return;
	}
	for (unsigned long off = first; off < len; off += stride)
		if (pnm_user_write(t, (unsigned long)a + off, &b, 1))
			stress_fail(f, code + 1);
	if (pnm_munmap(t, (unsigned long)a, len))
		stress_fail(f, code + 2);
}

/* stress_flusher_main - fsync and writeback passes; test_util.h. */
void *stress_flusher_main(void *arg)
{
	struct stress_flusher *fl = arg;

	for (unsigned long n = 0; n < fl->rounds; n++) {
		int ret = pnm_file_fsync(fl->f, 0, INT64_MAX, n & 1);

		if (!ret)
			ret = pnm_writeback_range(fl->f, 0, INT64_MAX, PNM_WB_SYNC_NONE);
		if (ret) {
			stress_fail(fl->failures, fl->code - ret);
			break;
		}
		sched_yield();
	}
	return NULL;
}

/* stress_fault_every - seeded every-Nth host fault injection; test_util.h. */
void stress_fault_every(enum pnm_fault_kind kind, unsigned long every, uint64_t seed)
{
	uint64_t s = seed | 1;
	unsigned long offset = every ? (unsigned long)(test_rand(&s) % every) : 0;

	print_message("stress: one %s call in %lu fails (offset %lu)\n",
		      pnm_fault_kind_name(kind), every, offset);
	assert_int_equal(pnm_fault_fail_every(kind, every, offset), 0);
}
