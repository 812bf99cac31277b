// SPDX-License-Identifier: MIT
/* stress_util.c - the stress tests' harness; stress_util.h has the contracts. */
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "stress_util.h"
#include "pinmm_test_internal.h"

/* stress_failf - count a failure, keep and print the first; stress_util.h. */
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

/* stress_fail - stress_failf() of a failure code; stress_util.h. */
void stress_fail(struct stress_failures *f, int code)
{
	stress_failf(f, "code %d", code);
}

/* stress_assert_none - the main thread's verdict; stress_util.h. */
void stress_assert_none(struct stress_failures *f, const char *when)
{
	int n = atomic_read(&f->count);

	if (n)
		fail_msg("%s%s%d failure%s, the first: %s", when ? when : "", when ? ": " : "", n,
			 n == 1 ? "" : "s", f->first);
}

/* stress_thread_start - pthread_create() or fail the test; stress_util.h. */
void stress_thread_start(pthread_t *thread, void *(*fn)(void *), void *arg)
{
	assert_int_equal(pthread_create(thread, NULL, fn, arg), 0);
}

/* stress_helpers_start - start the helpers; stress_util.h. */
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

/* stress_helpers_join - wait for the helpers; stress_util.h. */
void stress_helpers_join(struct stress_helper *hs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		assert_int_equal(pthread_join(hs[i].thread, NULL), 0);
}

/* stress_fork_touch - fork, let the child touch its copy, exit it; stress_util.h. */
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

/* stress_map_touch_unmap - a short-lived mapping; stress_util.h. */
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

/* stress_flusher_main - fsync and writeback passes; stress_util.h. */
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
