// SPDX-License-Identifier: MIT
/*
 * test_madvise.c - madvise(2) (madvise.c): MADV_DONTNEED drops pages
 * (anonymous memory reads back as zeros, shared memory keeps its data in
 * the object), MADV_DONTFORK leaves a hole in the child, MADV_HUGEPAGE /
 * NOHUGEPAGE flags with VMA splits and merges, and the error rules
 * (-EINVAL for bad arguments and refused VMAs, -ENOMEM for holes after
 * applying the advice to the mapped parts).
 */
#include <string.h>

#include "test_util.h"
#include "pinmm_test_internal.h"

#define PG	PAGE_SIZE
#define RW	(PROT_READ | PROT_WRITE)
#define PRIV	(MAP_PRIVATE | MAP_ANONYMOUS)
#define SHARED	(MAP_SHARED | MAP_ANONYMOUS)

static void test_dontneed_anon(void **state)
{
	struct task_struct *t = test_task_create("madv");
	struct mm_struct *mm = t->mm;
	unsigned long a = test_mmap(t, 8 * PG, RW, PRIV);
	long free_before;

	(void)state;
	for (int i = 0; i < 8; i++)
		test_write_byte(t, a + i * PG + 7, (unsigned char)(0xa0 + i));
	assert_int_equal(get_mm_counter(mm, MM_ANONPAGES), 8);
	free_before = global_stat(NR_FREE_PAGES);
	assert_int_equal(pnm_mm_madvise(mm, a + 2 * PG, 3 * PG, MADV_DONTNEED), 0);
	assert_int_equal(get_mm_counter(mm, MM_ANONPAGES), 5);
	assert_int_equal(global_stat(NR_FREE_PAGES), free_before + 3);
	assert_int_equal(mm->map_count, 1);	/* no VMA change */
	CHECK_ALL();
	for (int i = 0; i < 8; i++)
		assert_int_equal(test_read_byte(t, a + i * PG + 7),
				 (i >= 2 && i < 5) ? 0 : 0xa0 + i);
	/* Unaligned length rounds up; a zero length does nothing. */
	assert_int_equal(pnm_mm_madvise(mm, a, PG + 1, MADV_DONTNEED), 0);
	assert_int_equal(test_read_byte(t, a + PG + 7), 0);
	assert_int_equal(pnm_mm_madvise(mm, a + 5 * PG, 0, MADV_DONTNEED), 0);
	assert_int_equal(test_read_byte(t, a + 5 * PG + 7), 0xa5);
	CHECK_ALL();
}

/* Shared memory keeps its data: DONTNEED only drops this mm's mapping. */
static void test_dontneed_shared(void **state)
{
	struct task_struct *t = test_task_create("madv");
	struct mm_struct *mm = t->mm;
	unsigned long a = test_mmap(t, 4 * PG, RW, SHARED);

	(void)state;
	test_write_byte(t, a + PG, 0x5e);
	assert_int_equal(get_mm_counter(mm, MM_SHMEMPAGES), 1);
	assert_int_equal(pnm_mm_madvise(mm, a, 4 * PG, MADV_DONTNEED), 0);
	assert_int_equal(get_mm_counter(mm, MM_SHMEMPAGES), 0);
	assert_int_equal(test_read_byte(t, a + PG), 0x5e);
	CHECK_ALL();
}

static void test_errors(void **state)
{
	struct task_struct *t = test_task_create("madv");
	struct mm_struct *mm = t->mm;
	unsigned long a = test_mmap(t, 4 * PG, RW, PRIV);
	struct vm_area_struct *vma;

	(void)state;
	test_write_byte(t, a, 0x42);
	assert_int_equal(pnm_mm_madvise(mm, a, PG, 12345), -EINVAL);
	assert_int_equal(pnm_mm_madvise(mm, a, PG, MADV_WILLNEED), -EINVAL);
	assert_int_equal(pnm_mm_madvise(mm, a + 1, PG, MADV_DONTNEED), -EINVAL);
	assert_int_equal(pnm_mm_madvise(mm, a, ~0UL - 10, MADV_DONTNEED), -EINVAL);
	assert_int_equal(pnm_mm_madvise(mm, a, ~0UL - 2 * PG, MADV_DONTNEED), -EINVAL);
	assert_int_equal(test_read_byte(t, a), 0x42);
	/* Entirely unmapped. */
	assert_int_equal(pnm_mm_madvise(mm, MMAP_MIN_ADDR, PG, MADV_DONTNEED), -ENOMEM);
	assert_int_equal(pnm_mm_madvise(mm, MMAP_BASE, PG, MADV_HUGEPAGE), -ENOMEM);

	/* Locked and PFN-mapped VMAs refuse DONTNEED. */
	mmap_write_lock(mm);
	vma = vma_lookup(mm, a);
	vma->vm_flags |= VM_LOCKED;
	mmap_write_unlock(mm);
	assert_int_equal(pnm_mm_madvise(mm, a, PG, MADV_DONTNEED), -EINVAL);
	assert_int_equal(test_read_byte(t, a), 0x42);
	mmap_write_lock(mm);
	vma->vm_flags &= ~VM_LOCKED;
	vma->vm_flags |= VM_IO;
	mmap_write_unlock(mm);
	assert_int_equal(pnm_mm_madvise(mm, a, PG, MADV_DOFORK), -EINVAL);
	mmap_write_lock(mm);
	vma->vm_flags &= ~VM_IO;
	mmap_write_unlock(mm);
	assert_int_equal(pnm_mm_madvise(mm, a, PG, MADV_NORMAL), 0);
	assert_int_equal(mm->map_count, 1);
	CHECK_ALL();
}

/* A hole: the mapped parts get the advice, then -ENOMEM. */
static void test_hole_applies_to_mapped_parts(void **state)
{
	struct task_struct *t = test_task_create("madv");
	struct mm_struct *mm = t->mm;
	unsigned long a = test_mmap(t, 4 * PG, RW, PRIV);
	unsigned long b = a - 8 * PG;

	(void)state;
	assert_int_equal(pnm_mm_mmap(mm, b, 4 * PG, RW, PRIV | MAP_FIXED, NULL, 0), b);
	test_write_byte(t, a, 1);
	test_write_byte(t, b, 2);
	/* [b, b+4) mapped, [b+4, a) hole, [a, a+4) mapped, then a hole */
	assert_int_equal(pnm_mm_madvise(mm, b, 12 * PG, MADV_DONTNEED), -ENOMEM);
	assert_int_equal(get_mm_rss(mm), 0);
	assert_int_equal(test_read_byte(t, a), 0);
	assert_int_equal(pnm_mm_madvise(mm, b + 2 * PG, 12 * PG, MADV_DONTFORK), -ENOMEM);
	assert_true(test_vma_flags(mm, b + 2 * PG) & VM_DONTCOPY);
	assert_false(test_vma_flags(mm, b + PG) & VM_DONTCOPY);
	assert_true(test_vma_flags(mm, a + 3 * PG) & VM_DONTCOPY);
	assert_int_equal(mm->map_count, 3);
	CHECK_ALL();
}

static void test_hugepage_flags(void **state)
{
	struct task_struct *t = test_task_create("madv");
	struct mm_struct *mm = t->mm;
	unsigned long a = test_mmap(t, 16 * PG, RW, PRIV);
	unsigned long f;

	(void)state;
	test_write_byte(t, a + 5 * PG, 0x99);
	assert_int_equal(pnm_mm_madvise(mm, a + 4 * PG, 4 * PG, MADV_HUGEPAGE), 0);
	assert_int_equal(mm->map_count, 3);
	f = test_vma_flags(mm, a + 4 * PG);
	assert_true(f & VM_HUGEPAGE);
	assert_false(f & VM_NOHUGEPAGE);
	assert_false(test_vma_flags(mm, a + 3 * PG) & VM_HUGEPAGE);
	assert_false(test_vma_flags(mm, a + 8 * PG) & VM_HUGEPAGE);
	CHECK_ALL();
	assert_int_equal(pnm_mm_madvise(mm, a + 6 * PG, 4 * PG, MADV_NOHUGEPAGE), 0);
	f = test_vma_flags(mm, a + 6 * PG);
	assert_true(f & VM_NOHUGEPAGE);
	assert_false(f & VM_HUGEPAGE);
	assert_true(test_vma_flags(mm, a + 5 * PG) & VM_HUGEPAGE);
	assert_int_equal(mm->map_count, 4);
	/* NORMAL leaves the THP flags alone. */
	assert_int_equal(pnm_mm_madvise(mm, a, 16 * PG, MADV_NORMAL), 0);
	assert_int_equal(mm->map_count, 4);
	assert_int_equal(test_read_byte(t, a + 5 * PG), 0x99);
	CHECK_ALL();
	/* A new mapping next to a VM_HUGEPAGE one inherits nothing. */
	unsigned long b = test_mmap(t, 4 * PG, RW, PRIV);
	assert_int_equal(b, a - 4 * PG);
	assert_false(test_vma_flags(mm, b) & (VM_HUGEPAGE | VM_NOHUGEPAGE));
	assert_int_equal(mm->map_count, 4);	/* merged with [a, a+4) */
	CHECK_ALL();
}

static void test_dontfork(void **state)
{
	struct task_struct *t = test_task_create("madv"), *c;
	struct mm_struct *mm = t->mm;
	unsigned long a = test_mmap(t, 6 * PG, RW, PRIV);
	unsigned char v;

	(void)state;
	for (int i = 0; i < 6; i++)
		test_write_byte(t, a + i * PG, (unsigned char)(0x30 + i));
	assert_int_equal(pnm_mm_madvise(mm, a + 2 * PG, 2 * PG, MADV_DONTFORK), 0);
	assert_int_equal(mm->map_count, 3);
	assert_int_equal(pnm_task_fork(t, "child", &c), 0);
	assert_int_equal(c->mm->map_count, 2);
	assert_int_equal(c->mm->total_vm, 4);
	assert_int_equal(pnm_user_read(c, a + 2 * PG, &v, 1), -EFAULT);
	assert_int_equal(pnm_user_read(c, a + 3 * PG, &v, 1), -EFAULT);
	assert_int_equal(test_read_byte(c, a + PG), 0x31);
	assert_int_equal(test_read_byte(c, a + 4 * PG), 0x34);
	assert_int_equal(test_read_byte(t, a + 2 * PG), 0x32);
	CHECK_ALL();
	pnm_task_exit(c);

	/* DOFORK undoes it: the VMAs merge, the next child sees everything. */
	assert_int_equal(pnm_mm_madvise(mm, a, 6 * PG, MADV_DOFORK), 0);
	assert_int_equal(mm->map_count, 1);
	assert_int_equal(pnm_task_fork(t, "child2", &c), 0);
	assert_int_equal(test_read_byte(c, a + 3 * PG), 0x33);
	CHECK_ALL();
}

/* DONTNEED races with faults by design (read lock): both succeed. */
static void test_dontneed_then_fault_thp(void **state)
{
	struct task_struct *t = test_task_create("madv");
	struct mm_struct *mm = t->mm;
	unsigned long a = test_mmap(t, 2 * PMD_SIZE, RW, PRIV);

	(void)state;
	assert_int_equal(pnm_mm_madvise(mm, a, 2 * PMD_SIZE, MADV_HUGEPAGE), 0);
	test_write_byte(t, a + 3 * PG, 0x61);
	test_write_byte(t, a + 300 * PG, 0x62);
	/* Part of a (possibly huge) PMD. */
	assert_int_equal(pnm_mm_madvise(mm, a + 2 * PG, 2 * PG, MADV_DONTNEED), 0);
	assert_int_equal(test_read_byte(t, a + 3 * PG), 0);
	assert_int_equal(test_read_byte(t, a + 300 * PG), 0x62);
	CHECK_ALL();
	assert_int_equal(pnm_mm_madvise(mm, a, 2 * PMD_SIZE, MADV_DONTNEED), 0);
	assert_int_equal(get_mm_rss(mm), 0);
	assert_int_equal(test_read_byte(t, a + 300 * PG), 0);
	CHECK_ALL();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_dontneed_anon, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_dontneed_shared, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_errors, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_hole_applies_to_mapped_parts, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_hugepage_flags, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_dontfork, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_dontneed_then_fault_thp, pnm_test_setup, pnm_test_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
