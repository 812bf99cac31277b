// SPDX-License-Identifier: MIT
/*
 * test_process_vm.c - process_vm_readv/writev (src/drivers/process_vm.c):
 * copies across several local and remote ranges in both directions;
 * Linux's errors in Linux's order (EINVAL for flags, counts and lengths,
 * EFAULT for missing vectors and unreachable pages, ESRCH for a missing or
 * exited process, EPERM between users); partial transfers at page
 * granularity on either side, nothing attempted after a failing remote
 * range; a writev breaking COW in the target only; a writev into a shared
 * disk mapping going through ->page_mkwrite and reaching the file; no pin
 * left behind.
 */
#include <fcntl.h>
#include <limits.h>
#include <string.h>

#include "test_util.h"
#include "pinmm_test_internal.h"

#define PG	PAGE_SIZE
#define RW	(PROT_READ | PROT_WRITE)
#define PRIV	(MAP_PRIVATE | MAP_ANONYMOUS)

/* Run pnm_process_vm_{readv,writev} as @self. */
static ssize_t pvm(struct task_struct *self, bool write, int pid, const struct pnm_iovec *l,
		   unsigned long lc, const struct pnm_iovec *r, unsigned long rc,
		   unsigned long flags)
{
	struct task_struct *prev = pnm_task_enter(self);
	ssize_t ret = write ? pnm_process_vm_writev(pid, l, lc, r, rc, flags)
			    : pnm_process_vm_readv(pid, l, lc, r, rc, flags);

	pnm_task_leave(prev);
	assert_int_equal(pnm_pin_registry_count(-1), 0);	/* short-term */
	return ret;
}

static void test_pvm_read_write_vectors(void **state)
{
	struct task_struct *a = test_task_create("a"), *b = test_task_create("b");
	unsigned long la = test_mmap(a, 4 * PG, RW, PRIV), rb = test_mmap(b, 4 * PG, RW, PRIV);
	int pid = pnm_task_pid(b);

	(void)state;
	test_fill_user(b, rb, 4 * PG, 7);
	/* Remote: 100 bytes at +50, then 5000 bytes across a page boundary;
	 * local: 1000 bytes, then the rest -- the ranges do not line up. */
	{
		struct pnm_iovec r[2] = { { rb + 50, 100 }, { rb + PG - 1000, 5000 } };
		struct pnm_iovec l[2] = { { la + 10, 1000 }, { la + 2 * PG, 4100 } };

		assert_int_equal(pvm(a, false, pid, l, 2, r, 2, 0), 5100);
		assert_true(test_user_has(a, la + 10, 100, 7, 50));
		assert_true(test_user_has(a, la + 110, 900, 7, PG - 1000));
		assert_true(test_user_has(a, la + 2 * PG, 4100, 7, PG - 100));
	}
	/* The local side ends first: only that much is copied. */
	{
		struct pnm_iovec r[1] = { { rb, 3 * PG } };
		struct pnm_iovec l[1] = { { la, 700 } };

		assert_int_equal(pvm(a, false, pid, l, 1, r, 1, 0), 700);
	}
	/* writev: a's bytes into b, across three remote ranges. */
	test_fill_user(a, la, 2 * PG, 99);
	{
		struct pnm_iovec l[1] = { { la, 2 * PG } };
		struct pnm_iovec r[3] = { { rb + 3 * PG, 10 }, { rb, PG }, { rb + 2 * PG + 8, PG } };

		assert_int_equal(pvm(a, true, pid, l, 1, r, 3, 0), (ssize_t)(2 * PG));
		assert_true(test_user_has(b, rb + 3 * PG, 10, 99, 0));
		assert_true(test_user_has(b, rb, PG, 99, 10));
		assert_true(test_user_has(b, rb + 2 * PG + 8, PG - 10, 99, 10 + PG));
	}
	/* A process may read itself. */
	{
		struct pnm_iovec l[1] = { { la + 3 * PG, 64 } }, r[1] = { { la, 64 } };

		assert_int_equal(pvm(a, false, pnm_task_pid(a), l, 1, r, 1, 0), 64);
		assert_true(test_user_has(a, la + 3 * PG, 64, 99, 0));
	}
	CHECK_ALL();
}

static void test_pvm_errors(void **state)
{
	struct task_struct *a = test_task_create("a"), *b = test_task_create("b");
	struct task_struct *c = test_task_create("c");
	unsigned long la = test_mmap(a, PG, RW, PRIV), rb = test_mmap(b, PG, RW, PRIV);
	struct pnm_iovec l[1] = { { la, 16 } }, r[1] = { { rb, 16 } }, z[1] = { { rb, 0 } };
	static struct pnm_iovec many[PNM_IOV_MAX + 1];
	struct pnm_iovec huge[1] = { { la, (size_t)SSIZE_MAX + 1 } };
	int pid = pnm_task_pid(b), cpid = pnm_task_pid(c);

	(void)state;
	for (int i = 0; i <= PNM_IOV_MAX; i++)
		many[i] = (struct pnm_iovec){ la, 1 };
	assert_int_equal(pvm(a, false, pid, l, 1, r, 1, 1), -EINVAL);
	assert_int_equal(pvm(a, false, pid, many, PNM_IOV_MAX + 1, r, 1, 0), -EINVAL);
	assert_int_equal(pvm(a, false, pid, l, 1, many, PNM_IOV_MAX + 1, 0), -EINVAL);
	assert_int_equal(pvm(a, false, pid, NULL, 1, r, 1, 0), -EFAULT);
	assert_int_equal(pvm(a, false, pid, l, 1, NULL, 1, 0), -EFAULT);
	assert_int_equal(pvm(a, false, pid, huge, 1, r, 1, 0), -EINVAL);
	/* Exactly IOV_MAX entries are fine. */
	assert_int_equal(pvm(a, false, pid, many, PNM_IOV_MAX, r, 1, 0), 16);
	/* Nothing to copy is 0, before the process is even looked for. */
	assert_int_equal(pvm(a, false, pid, l, 0, r, 1, 0), 0);
	assert_int_equal(pvm(a, false, 99999, l, 1, z, 1, 0), 0);
	assert_int_equal(pvm(a, false, 99999, l, 1, r, 1, 0), -ESRCH);
	/* Users: a stranger may not, the same user and root may. */
	assert_int_equal(pnm_task_set_user(a, 1000), 0);
	assert_int_equal(pnm_task_set_user(b, 1001), 0);
	assert_int_equal(pvm(a, false, pid, l, 1, r, 1, 0), -EPERM);
	assert_int_equal(pvm(a, true, pid, l, 1, r, 1, 0), -EPERM);
	assert_int_equal(pvm(a, false, pnm_task_pid(a), l, 1, l, 1, 0), 16);
	assert_int_equal(pnm_task_set_user(b, 1000), 0);
	assert_int_equal(pvm(a, false, pid, l, 1, r, 1, 0), 16);
	assert_int_equal(pnm_task_set_user(a, 0), 0);
	assert_int_equal(pnm_task_set_user(b, 5), 0);
	assert_int_equal(pvm(a, false, pid, l, 1, r, 1, 0), 16);
	/* Unreachable pages: nothing copied is -EFAULT. */
	{
		struct pnm_iovec bad_r[1] = { { rb + 8 * PG, 16 } }, bad_l[1] = { { la + 8 * PG, 16 } };

		assert_int_equal(pvm(a, false, pid, l, 1, bad_r, 1, 0), -EFAULT);
		assert_int_equal(pvm(a, false, pid, bad_l, 1, r, 1, 0), -EFAULT);
	}
	/* A read-only target range cannot be written; PROT_NONE not read. */
	assert_int_equal(pnm_mprotect(b, rb, PG, PROT_READ), 0);
	assert_int_equal(pvm(a, true, pid, l, 1, r, 1, 0), -EFAULT);
	assert_int_equal(pvm(a, false, pid, l, 1, r, 1, 0), 16);
	assert_int_equal(pnm_mprotect(b, rb, PG, PROT_NONE), 0);
	assert_int_equal(pvm(a, false, pid, l, 1, r, 1, 0), -EFAULT);
	/* An exited process: no mm, -ESRCH (before any permission question). */
	pnm_task_exit(c);
	assert_int_equal(pvm(a, false, cpid, l, 1, r, 1, 0), -ESRCH);
	/* No task entered: no local side. */
	assert_int_equal(pnm_process_vm_readv(pid, l, 1, r, 1, 0), -EFAULT);
	CHECK_ALL();
}

static void test_pvm_partial(void **state)
{
	struct task_struct *a = test_task_create("a"), *b = test_task_create("b");
	unsigned long la = test_mmap(a, 4 * PG, RW, PRIV), rb = test_mmap(b, 4 * PG, RW, PRIV);
	int pid = pnm_task_pid(b);

	(void)state;
	test_fill_user(b, rb, 4 * PG, 1);
	/* Remote pages 0-1 exist, 2 does not: a range across it stops at
	 * the page boundary (Linux's code splits the element), and the next
	 * range is never tried. */
	assert_int_equal(pnm_munmap(b, rb + 2 * PG, PG), 0);
	{
		struct pnm_iovec r[2] = { { rb + PG + 100, 2 * PG }, { rb, 64 } };
		struct pnm_iovec l[1] = { { la, 4 * PG } };

		assert_int_equal(pvm(a, false, pid, l, 1, r, 2, 0), (ssize_t)(PG - 100));
		assert_true(test_user_has(a, la, PG - 100, 1, PG + 100));
	}
	/* A remote range wholly unmapped after a good one: the good one's
	 * bytes are the result. */
	{
		struct pnm_iovec r[2] = { { rb, 100 }, { rb + 2 * PG, 100 } };
		struct pnm_iovec l[1] = { { la, PG } };

		assert_int_equal(pvm(a, false, pid, l, 1, r, 2, 0), 100);
	}
	/* The local side faults: a's page 1 is gone; the copy stops there. */
	assert_int_equal(pnm_munmap(a, la + PG, PG), 0);
	{
		struct pnm_iovec r[1] = { { rb, 2 * PG } };
		struct pnm_iovec l[2] = { { la + PG - 300, 600 }, { la + 2 * PG, 100 } };

		assert_int_equal(pvm(a, false, pid, l, 2, r, 1, 0), 300);
		assert_int_equal(pvm(a, true, pid, l, 2, r, 1, 0), 300);
	}
	CHECK_ALL();
}

/* writev into a page the target shares COW with its child: FOLL_WRITE
 * breaks COW in the target; the child keeps the old bytes. */
static void test_pvm_writev_cow(void **state)
{
	struct task_struct *a = test_task_create("a"), *b = test_task_create("b"), *child;
	unsigned long la = test_mmap(a, PG, RW, PRIV), rb = test_mmap(b, PG, RW, PRIV);
	struct pnm_iovec l[1] = { { la, 32 } }, r[1] = { { rb, 32 } };

	(void)state;
	test_fill_user(b, rb, PG, 5);
	child = test_fork(b);
	assert_int_equal(test_pfn(b, rb), test_pfn(child, rb));
	test_fill_user(a, la, 32, 200);
	assert_int_equal(pvm(a, true, pnm_task_pid(b), l, 1, r, 1, 0), 32);
	assert_true(test_user_has(b, rb, 32, 200, 0));
	assert_true(test_user_has(child, rb, PG, 5, 0));
	assert_int_not_equal(test_pfn(b, rb), test_pfn(child, rb));
	CHECK_ALL();
}

/* writev into a shared disk mapping: the write pin faults the page for
 * writing (->page_mkwrite), the release dirties it, and writeback puts
 * the bytes in the file -- nothing dirtied behind the filesystem's back. */
static void test_pvm_writev_file(void **state)
{
	struct task_struct *a = test_task_create("a"), *b = test_task_create("b");
	struct file *f = test_open(PNM_FS_DISK, "pvm");
	unsigned long la = test_mmap(a, PG, RW, PRIV), rb;
	struct pnm_iovec l[1] = { { la, 16 } }, r[1];
	long nob = global_stat(PNM_FS_DIRTY_NO_BLOCKS);
	unsigned char host[16];

	(void)state;
	assert_int_equal(pnm_file_write(f, "0123456789abcdef", 16, 0), 16);
	assert_int_equal(pnm_file_truncate(f, PG), 0);
	assert_int_equal(pnm_file_fsync(f, 0, INT64_MAX, false), 0);
	rb = test_mmap_file(b, f, PG, 0);
	r[0] = (struct pnm_iovec){ rb, 16 };
	assert_int_equal(pnm_user_write(a, la, "written by a....", 16), 0);
	assert_int_equal(pvm(a, true, pnm_task_pid(b), l, 1, r, 1, 0), 16);
	assert_int_equal(pnm_file_fsync(f, 0, INT64_MAX, false), 0);
	assert_int_equal(test_host_pread(f, host, 16, 0), 16);
	assert_memory_equal(host, "written by a....", 16);
	assert_int_equal(global_stat(PNM_FS_DIRTY_NO_BLOCKS), nob);
	assert_int_equal(pnm_munmap(b, rb, PG), 0);
	pnm_file_close(f);
	CHECK_ALL();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		PNM_TEST(test_pvm_read_write_vectors),
		PNM_TEST(test_pvm_errors),
		PNM_TEST(test_pvm_partial),
		PNM_TEST(test_pvm_writev_cow),
		PNM_TEST(test_pvm_writev_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
