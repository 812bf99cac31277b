// SPDX-License-Identifier: MIT
/*
 * test_secretmem.c - memfd_secret() (pinmm/memfd.h, secretmem.c): its
 * flags, the size set once, no read/write/fsync/fallocate, no opening by
 * name, MAP_SHARED only, VM_LOCKED mappings in locked_vm and against
 * RLIMIT_MEMLOCK (-EAGAIN; CAP_IPC_LOCK lifts it), mlock/munlock leaving
 * them alone, faults that take the pages out of the direct map
 * (PNM_PAGE_SECRET, nr_secretmem, ZONE_NORMAL), every GUP entry point
 * refused with -EFAULT (also FOLL_FORCE and gup-fast: fast_only finds
 * nothing), process_vm_readv/writev refused, migration refused, fork
 * children sharing the pages but not the lock, and the pages wiped and
 * back in the direct map when the file goes; the checker catching a
 * frame out of the direct map that is no secretmem page.
 */
#include <string.h>

#include "gup_test.h"

static struct file *secret(unsigned long pages)
{
	struct file *f = NULL;

	assert_int_equal(pnm_memfd_secret(0, &f), 0);
	assert_int_equal(pnm_file_truncate(f, (int64_t)(pages * PG)), 0);
	return f;
}

static unsigned int page_flags(unsigned long pfn)
{
	struct pnm_page_info pi = { .size = sizeof(pi) };

	assert_int_equal(pnm_pfn_info(pfn, &pi), 0);
	return pi.flags;
}

static void test_file(void **state)
{
	struct file *f = NULL, *g = NULL;
	char buf[4] = "abc";

	(void)state;
	assert_int_equal(pnm_memfd_secret(O_RDWR, &f), -EINVAL);
	assert_int_equal(pnm_memfd_secret(0x4, &f), -EINVAL);
	assert_int_equal(pnm_memfd_secret(0, NULL), -EINVAL);
	assert_null(f);
	assert_int_equal(pnm_memfd_secret(O_CLOEXEC, &f), 0);
	assert_int_equal(pnm_file_fcntl(f, PNM_F_GETFD, 0), PNM_FD_CLOEXEC);
	assert_int_equal(pnm_file_fs(f), PNM_FS_SECRETMEM);
	assert_string_equal(pnm_fs_name(PNM_FS_SECRETMEM), "secretmem");
	/* The size once, from 0. */
	assert_int_equal(pnm_file_truncate(f, 0), 0);
	assert_int_equal(pnm_file_truncate(f, 3 * PG), 0);
	assert_int_equal(pnm_file_truncate(f, 4 * PG), -EINVAL);
	assert_int_equal(pnm_file_truncate(f, 0), -EINVAL);
	assert_int_equal(pnm_file_size(f), 3 * PG);
	/* The kernel may not touch the data: no read, write, fsync,
	 * fallocate; no seals either. */
	assert_int_equal(pnm_file_read(f, buf, 1, 0), -EINVAL);
	assert_int_equal(pnm_file_write(f, buf, 1, 0), -EINVAL);
	assert_int_equal(pnm_file_fsync(f, 0, INT64_MAX, false), -EINVAL);
	assert_int_equal(pnm_file_fallocate(f, 0, 0, PG), -EOPNOTSUPP);
	assert_int_equal(pnm_file_fcntl(f, PNM_F_GET_SEALS, 0), -EINVAL);
	/* Never opened by name. */
	assert_int_equal(pnm_file_open(PNM_FS_SECRETMEM, "x", O_RDWR | O_CREAT, &g), -EINVAL);
	assert_null(g);
	CHECK_ALL();
	pnm_file_close(f);
}

static void test_mappings(void **state)
{
	struct task_struct *t = gt_task("t");
	struct file *f = secret(4);
	unsigned long pages = 9, pfn;
	long a;
	struct pnm_rlimit rl = { 2 * PG, PNM_RLIM_INFINITY };

	(void)state;
	assert_int_equal(pnm_mmap(t, 0, PG, RW, MAP_PRIVATE, f, 0), -EINVAL);
	a = pnm_mmap(t, 0, 4 * PG, RW, MAP_SHARED, f, 0);
	assert_true(a > 0);
	assert_true(test_vma_flags(t->mm, (unsigned long)a) & VM_LOCKED);
	assert_int_equal(pnm_task_locked_vm(t, &pages), 0);
	assert_int_equal(pages, 4);
	/* mlock/munlock leave it locked and in one piece. */
	assert_int_equal(pnm_munlock(t, (unsigned long)a + PG, PG), 0);
	assert_true(test_vma_flags(t->mm, (unsigned long)a + PG) & VM_LOCKED);
	assert_int_equal(t->mm->map_count, 1);

	/* A fault takes the page out of the direct map. */
	assert_int_equal(global_stat(NR_SECRETMEM), 0);
	gt_write(t, (unsigned long)a + PG, 0x5e, 16);
	assert_int_equal(test_read_byte(t, (unsigned long)a + PG + 15), 0x5e);
	pfn = test_pfn(t, (unsigned long)a + PG);
	assert_true(page_flags(pfn) & PNM_PAGE_SECRET);
	assert_true(page_flags(pfn) & PNM_PAGE_CACHED);
	assert_false(kernel_page_present(pfn_to_page(pfn)));
	assert_int_equal(page_zonenum(pfn_to_page(pfn)), ZONE_NORMAL);
	assert_int_equal(global_stat(NR_SECRETMEM), 1);
	/* Beyond the end: SIGBUS. */
	assert_int_equal(pnm_munmap(t, (unsigned long)a, 4 * PG), 0);
	a = pnm_mmap(t, 0, 8 * PG, RW, MAP_SHARED, f, 0);
	assert_true(a > 0);
	assert_int_equal(pnm_user_write(t, (unsigned long)a + 5 * PG, "x", 1), -EFAULT);
	assert_int_equal(test_read_byte(t, (unsigned long)a + PG), 0x5e);
	assert_int_equal(pnm_munmap(t, (unsigned long)a, 8 * PG), 0);
	CHECK_ALL();

	/* RLIMIT_MEMLOCK: the mapping counts before it is made. */
	assert_int_equal(pnm_prlimit(t, PNM_RLIMIT_MEMLOCK, &rl, NULL), 0);
	assert_int_equal(pnm_mmap(t, 0, 3 * PG, RW, MAP_SHARED, f, 0), -EAGAIN);
	a = pnm_mmap(t, 0, 2 * PG, RW, MAP_SHARED, f, 0);
	assert_true(a > 0);
	assert_int_equal(pnm_mmap(t, 0, PG, RW, MAP_SHARED, f, 0), -EAGAIN);
	assert_int_equal(pnm_task_set_capability(t, PNM_CAP_IPC_LOCK, true), 0);
	assert_true(pnm_mmap(t, 0, PG, RW, MAP_SHARED, f, 0) > 0);
	CHECK_ALL();
	pnm_file_close(f);
}

/* Every GUP entry point, every flag: -EFAULT (fast_only: nothing). */
static void test_gup_refused(void **state)
{
	struct task_struct *t = gt_task("t"), *u = gt_task("u");
	struct file *f = secret(2);
	struct page *pages[2] = { NULL, NULL };
	static const unsigned int flags[] = {
		0, FOLL_WRITE, FOLL_LONGTERM, FOLL_WRITE | FOLL_LONGTERM,
		FOLL_FORCE, FOLL_WRITE | FOLL_FORCE,
	};
	long acquired = global_stat(NR_FOLL_PIN_ACQUIRED);
	long released = global_stat(NR_FOLL_PIN_RELEASED);
	unsigned char buf[8];
	struct pnm_iovec local = { 0, 8 }, remote = { 0, 8 };
	long a, b;
	size_t i;

	(void)state;
	a = pnm_mmap(t, 0, 2 * PG, RW, MAP_SHARED, f, 0);
	assert_true(a > 0);
	gt_write(t, (unsigned long)a, 0x77, 2 * PG);	/* present, writable */
	for (i = 0; i < ARRAY_SIZE(flags); i++) {
		unsigned int fl = flags[i];

		assert_int_equal(gt_pin(t, (unsigned long)a, 2, fl, pages), -EFAULT);
		assert_int_equal(gt_pin_fast(t, (unsigned long)a, 2, fl, pages), -EFAULT);
		assert_int_equal(gt_pin_unlocked(t, (unsigned long)a, 2, fl, pages), -EFAULT);
		assert_int_equal(gt_pin_remote(t->mm, (unsigned long)a, 2, fl, pages, NULL), -EFAULT);
		if (fl & FOLL_LONGTERM)
			continue;	/* -EINVAL for the get_* family anyway */
		assert_int_equal(gt_get(t, (unsigned long)a, 2, fl, pages), -EFAULT);
		assert_int_equal(gt_get_fast(t, (unsigned long)a, 2, fl, pages), -EFAULT);
		assert_int_equal(gt_get_remote(t->mm, (unsigned long)a, 2, fl, pages, NULL), -EFAULT);
		if (!(fl & FOLL_FORCE))
			assert_int_equal(gt_get_fast_only(t, (unsigned long)a, 2, fl, pages), 0);
	}
	assert_null(pages[0]);
	/* gup-fast may have grabbed and let go (it counts both). */
	assert_int_equal(global_stat(NR_FOLL_PIN_ACQUIRED) - acquired,
			 global_stat(NR_FOLL_PIN_RELEASED) - released);
	assert_int_equal(pnm_pin_registry_count(-1), 0);
	CHECK_ALL();

	/* process_vm_readv/writev go through pin_user_pages_remote. */
	b = pnm_mmap(u, 0, PG, RW, MAP_PRIVATE | MAP_ANONYMOUS, NULL, 0);
	assert_true(b > 0);
	local.iov_base = (unsigned long)b;
	remote.iov_base = (unsigned long)a;
	pnm_task_enter(u);
	assert_int_equal(pnm_process_vm_readv(pnm_task_pid(t), &local, 1, &remote, 1, 0), -EFAULT);
	assert_int_equal(pnm_process_vm_writev(pnm_task_pid(t), &local, 1, &remote, 1, 0), -EFAULT);
	pnm_task_leave(NULL);
	/* The process itself reads and writes it as any memory. */
	assert_int_equal(pnm_user_read(t, (unsigned long)a, buf, 8), 0);
	assert_int_equal(buf[7], 0x77);
	/* Migration leaves it where it is. */
	assert_int_equal(pnm_mm_migrate_range(t->mm, (unsigned long)a, PG, ZONE_MOVABLE), -EBUSY);
	CHECK_ALL();
	pnm_file_close(f);
}

/* Fork shares the pages, not the lock; the last reference wipes them. */
static void test_fork_and_free(void **state)
{
	struct task_struct *t = gt_task("t"), *c;
	struct file *f = secret(2);
	unsigned long pfn, pages = 5;
	long a;

	(void)state;
	a = pnm_mmap(t, 0, 2 * PG, RW, MAP_SHARED, f, 0);
	assert_true(a > 0);
	pnm_file_close(f);			/* the mapping keeps it */
	gt_write(t, (unsigned long)a, 0x42, PG);
	pfn = test_pfn(t, (unsigned long)a);
	c = gt_fork(t);
	assert_false(test_vma_flags(c->mm, (unsigned long)a) & VM_LOCKED);
	assert_int_equal(pnm_task_locked_vm(c, &pages), 0);
	assert_int_equal(pages, 0);
	assert_int_equal(test_read_byte(c, (unsigned long)a), 0x42);
	assert_int_equal(test_pfn(c, (unsigned long)a), pfn);	/* the same page */
	test_write_byte(c, (unsigned long)a + 1, 0x43);
	assert_int_equal(test_read_byte(t, (unsigned long)a + 1), 0x43);
	/* The child still cannot GUP it either. */
	assert_int_equal(gt_get_remote(c->mm, (unsigned long)a, 1, 0, (struct page *[1]){ 0 },
				       NULL), -EFAULT);
	CHECK_ALL();
	pnm_task_exit(c);
	assert_int_equal(global_stat(NR_SECRETMEM), 1);
	pnm_task_exit(t);
	/* Gone with the file: back in the direct map (and freed). */
	assert_int_equal(global_stat(NR_SECRETMEM), 0);
	assert_true(kernel_page_present(pfn_to_page(pfn)));
	CHECK_ALL();
}

/* A frame out of the direct map that is not a secretmem page. */
static void test_checker(void **state)
{
	struct task_struct *t = gt_task("t");
	unsigned long a = test_mmap(t, PG, RW, PRIV);
	struct page *page;

	(void)state;
	test_write_byte(t, a, 1);
	page = pfn_to_page(test_pfn(t, a));
	set_direct_map_invalid_noflush(page);
	assert_false(pnm_check_system());
	assert_non_null(strstr(pnm_check_error(), "direct map"));
	set_direct_map_default_noflush(page);
	CHECK_ALL();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_file, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_mappings, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_gup_refused, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_fork_and_free, pnm_test_setup,
						pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_checker, pnm_test_setup, pnm_test_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
