// SPDX-License-Identifier: MIT
/*
 * test_mprotect.c - mprotect(2) (mprotect.c): argument and permission
 * errors that change nothing, VMA splitting and merging, and what happens
 * to the PTEs: write-protection, PROT_NONE, the exclusive-anon shortcut
 * when write permission comes back, COW-shared pages and the zero page
 * staying read-only, shared mappings becoming writable, and huge PMDs.
 */
#include <string.h>

#include "test_util.h"
#include "pinmm_test_internal.h"

#define PG	PAGE_SIZE
#define RW	(PROT_READ | PROT_WRITE)
#define PRIV	(MAP_PRIVATE | MAP_ANONYMOUS)
#define SHARED	(MAP_SHARED | MAP_ANONYMOUS)

static bool writable(struct task_struct *t, unsigned long addr)
{
	unsigned long pfn;
	bool w = false;

	assert_int_equal(pnm_mm_translate(t->mm, addr, &pfn, &w), 0);
	return w;
}

/* Layout + flags fingerprint for "nothing changed". */
static unsigned long layout_hash(struct mm_struct *mm)
{
	struct vm_area_struct *vma;
	unsigned long h = 1469598103934665603UL;

	mmap_read_lock(mm);
	for_each_vma(mm, vma) {
		h = (h ^ vma->vm_start) * 1099511628211UL;
		h = (h ^ vma->vm_end) * 1099511628211UL;
		h = (h ^ vma->vm_flags) * 1099511628211UL;
	}
	mmap_read_unlock(mm);
	return h ^ (unsigned long)mm->map_count;
}

static void test_errors_change_nothing(void **state)
{
	struct task_struct *t = test_task_create("mprot");
	struct mm_struct *mm = t->mm;
	unsigned long a = test_mmap(t, 4 * PG, RW, PRIV);
	unsigned long b, h;
	struct file *f = shmem_file_setup("ro", 4 * PG);
	long ro;

	(void)state;
	/* [a, a+4) RW, hole, [b, b+4) RW further down */
	b = a - 8 * PG;
	assert_int_equal(pnm_mm_mmap(mm, b, 4 * PG, RW, PRIV | MAP_FIXED, NULL, 0), b);
	test_write_byte(t, a, 1);
	test_write_byte(t, b, 2);
	assert_non_null(f);
	f->f_mode = FMODE_READ;
	ro = pnm_mm_mmap(mm, 0x200000000UL, 4 * PG, PROT_READ, MAP_SHARED, f, 0);
	assert_true(ro > 0);
	fput(f);
	h = layout_hash(mm);

	assert_int_equal(pnm_mm_mprotect(mm, a + 1, PG, PROT_READ), -EINVAL);
	assert_int_equal(pnm_mm_mprotect(mm, a, PG, PROT_READ | 0x10), -EINVAL);
	assert_int_equal(pnm_mm_mprotect(mm, a, ~0UL - PG, PROT_READ), -ENOMEM);
	/* A hole in the middle: b's part must not be changed either. */
	assert_int_equal(pnm_mm_mprotect(mm, b, 12 * PG, PROT_READ), -ENOMEM);
	assert_int_equal(pnm_mm_mprotect(mm, b + 2 * PG, 4 * PG, PROT_READ), -ENOMEM);
	/* Starting in a hole, and beyond the last VMA. */
	assert_int_equal(pnm_mm_mprotect(mm, a - PG, 2 * PG, PROT_READ), -ENOMEM);
	assert_int_equal(pnm_mm_mprotect(mm, MMAP_BASE, PG, PROT_READ), -ENOMEM);
	/* Write to a shared mapping of a read-only file. */
	assert_int_equal(pnm_mm_mprotect(mm, (unsigned long)ro, PG, RW), -EACCES);
	assert_int_equal(pnm_mm_mprotect(mm, (unsigned long)ro, PG, PROT_READ | PROT_EXEC), 0);
	assert_int_equal(pnm_mm_mprotect(mm, (unsigned long)ro, PG, PROT_READ), 0);
	/* Zero length: success, nothing to do. */
	assert_int_equal(pnm_mm_mprotect(mm, a, 0, PROT_NONE), 0);
	assert_int_equal(layout_hash(mm), h);
	assert_true(writable(t, a));
	assert_true(writable(t, b));
	test_write_byte(t, b + PG, 3);
	CHECK_ALL();
}

static void test_split_and_merge(void **state)
{
	struct task_struct *t = test_task_create("mprot");
	struct mm_struct *mm = t->mm;
	unsigned long a = test_mmap(t, 8 * PG, RW, PRIV);

	(void)state;
	for (int i = 0; i < 8; i++)
		test_write_byte(t, a + i * PG, (unsigned char)(0x10 + i));
	assert_int_equal(pnm_mm_mprotect(mm, a + 2 * PG, 2 * PG, PROT_READ), 0);
	assert_int_equal(mm->map_count, 3);
	assert_int_equal(mm->total_vm, 8);
	assert_int_equal(test_vma_flags(mm, a + 2 * PG) & VM_ACCESS_FLAGS, VM_READ);
	assert_int_equal(test_vma_flags(mm, a + PG) & VM_ACCESS_FLAGS, VM_READ | VM_WRITE);
	assert_int_equal(pnm_user_write(t, a + 3 * PG, "x", 1), -EFAULT);
	assert_int_equal(test_read_byte(t, a + 3 * PG), 0x13);
	test_write_byte(t, a + 4 * PG, 0x44);
	CHECK_ALL();

	/* Same protection again: no change, no split. */
	assert_int_equal(pnm_mm_mprotect(mm, a + 2 * PG, PG, PROT_READ), 0);
	assert_int_equal(mm->map_count, 3);
	/* Spanning all three back to RW: one VMA again. */
	assert_int_equal(pnm_mm_mprotect(mm, a, 8 * PG, RW), 0);
	assert_int_equal(mm->map_count, 1);
	test_write_byte(t, a + 3 * PG, 0x33);
	assert_int_equal(test_read_byte(t, a + 3 * PG), 0x33);
	assert_int_equal(test_read_byte(t, a + 2 * PG), 0x12);
	CHECK_ALL();
}

/* RO write-protects; RW again makes exclusive anon PTEs writable at once. */
static void test_exclusive_anon_shortcut(void **state)
{
	struct task_struct *t = test_task_create("mprot");
	struct mm_struct *mm = t->mm;
	unsigned long a = test_mmap(t, 4 * PG, RW, PRIV);
	unsigned long pfn0 = 0;
	long faults;

	(void)state;
	test_write_byte(t, a, 0x11);
	test_write_byte(t, a + PG, 0x22);
	(void)test_read_byte(t, a + 2 * PG);		/* zero page */
	pfn0 = test_pfn(t, a);
	assert_true(writable(t, a));

	assert_int_equal(pnm_mm_mprotect(mm, a, 4 * PG, PROT_READ), 0);
	assert_false(writable(t, a));
	assert_false(writable(t, a + PG));
	assert_int_equal(test_read_byte(t, a), 0x11);
	assert_int_equal(pnm_user_write(t, a, "x", 1), -EFAULT);
	CHECK_ALL();

	assert_int_equal(pnm_mm_mprotect(mm, a, 4 * PG, RW), 0);
	assert_true(writable(t, a));		/* PageAnonExclusive: direct */
	assert_true(writable(t, a + PG));
	assert_false(writable(t, a + 2 * PG));	/* the zero page never */
	assert_int_equal(test_pfn(t, a + 2 * PG), pnm_mem.zero_pfn);
	faults = global_stat(PGFAULT);
	test_write_byte(t, a, 0x33);
	assert_int_equal(global_stat(PGFAULT), faults);	/* no fault needed */
	assert_int_equal(test_pfn(t, a), pfn0);
	test_write_byte(t, a + 2 * PG, 0x44);		/* faults: new page */
	assert_true(global_stat(PGFAULT) > faults);
	assert_int_not_equal(test_pfn(t, a + 2 * PG), pnm_mem.zero_pfn);
	CHECK_ALL();
}

/* COW-shared pages are not made writable by mprotect. */
static void test_cow_shared_stays_readonly(void **state)
{
	struct task_struct *t = test_task_create("mprot"), *c;
	struct mm_struct *mm = t->mm;
	unsigned long a = test_mmap(t, 2 * PG, RW, PRIV);
	unsigned long pfn;

	(void)state;
	test_write_byte(t, a, 0x55);
	pfn = test_pfn(t, a);
	assert_int_equal(pnm_task_fork(t, "child", &c), 0);
	assert_false(writable(t, a));
	assert_int_equal(pnm_mm_mprotect(mm, a, 2 * PG, PROT_READ), 0);
	assert_int_equal(pnm_mm_mprotect(mm, a, 2 * PG, RW), 0);
	assert_false(writable(t, a));		/* still COW-shared */
	assert_int_equal(test_pfn(t, a), pfn);
	test_write_byte(t, a, 0x66);		/* COW break */
	assert_int_not_equal(test_pfn(t, a), pfn);
	assert_int_equal(test_read_byte(c, a), 0x55);
	assert_int_equal(test_read_byte(t, a), 0x66);
	CHECK_ALL();
}

static void test_prot_none(void **state)
{
	struct task_struct *t = test_task_create("mprot");
	struct mm_struct *mm = t->mm;
	unsigned long a = test_mmap(t, 2 * PG, RW, PRIV);
	unsigned long pfn, pfn2;
	unsigned char c;
	bool w;

	(void)state;
	test_write_byte(t, a, 0x77);
	pfn = test_pfn(t, a);
	assert_int_equal(pnm_mm_mprotect(mm, a, 2 * PG, PROT_NONE), 0);
	assert_int_equal(pnm_user_read(t, a, &c, 1), -EFAULT);
	assert_int_equal(pnm_user_write(t, a, &c, 1), -EFAULT);
	/* The page stays mapped (present, not user accessible). */
	assert_int_equal(pnm_mm_translate(mm, a, &pfn2, &w), 0);
	assert_int_equal(pfn2, pfn);
	assert_false(w);
	assert_int_equal(get_mm_counter(mm, MM_ANONPAGES), 1);
	CHECK_ALL();
	assert_int_equal(pnm_mm_mprotect(mm, a, PG, PROT_READ), 0);
	assert_int_equal(test_read_byte(t, a), 0x77);
	assert_int_equal(test_pfn(t, a), pfn);
	assert_int_equal(pnm_user_read(t, a + PG, &c, 1), -EFAULT);
	assert_int_equal(mm->map_count, 2);
	CHECK_ALL();
}

static void test_shared_becomes_writable(void **state)
{
	struct task_struct *t = test_task_create("mprot");
	struct mm_struct *mm = t->mm;
	unsigned long a = test_mmap(t, 2 * PG, RW, SHARED);

	(void)state;
	test_write_byte(t, a, 0x12);
	assert_true(writable(t, a));
	assert_int_equal(pnm_mm_mprotect(mm, a, 2 * PG, PROT_READ), 0);
	assert_false(writable(t, a));
	assert_int_equal(pnm_user_write(t, a, "x", 1), -EFAULT);
	assert_int_equal(pnm_mm_mprotect(mm, a, 2 * PG, RW), 0);
	assert_true(writable(t, a));
	test_write_byte(t, a, 0x34);
	assert_int_equal(test_read_byte(t, a), 0x34);
	CHECK_ALL();
}

/*
 * A shared mapping of a disk file tracks writes (->page_mkwrite): after
 * writeback cleaned and write-protected a page, taking write permission
 * away and giving it back must not make the clean page writable, or the
 * next write would bypass the filesystem and never reach the disk.
 */
static void test_shared_file_stays_write_tracked(void **state)
{
	struct task_struct *t = test_task_create("mprot");
	struct mm_struct *mm = t->mm;
	struct file *f = test_open(PNM_FS_DISK, "mprot-wn");
	unsigned char byte = 0;
	long a;

	(void)state;
	assert_int_equal(do_ftruncate(f, PG), 0);
	a = pnm_mm_mmap(mm, 0, PG, RW, MAP_SHARED, f, 0);
	assert_true(a > 0);
	test_write_byte(t, (unsigned long)a, 0x11);
	assert_true(writable(t, (unsigned long)a));	/* dirty: page_mkwrite ran */
	assert_int_equal(vfs_fsync(f, 0), 0);
	assert_false(writable(t, (unsigned long)a));	/* cleaned, write-protected */
	assert_int_equal(pnm_mm_mprotect(mm, (unsigned long)a, PG, PROT_READ), 0);
	assert_int_equal(pnm_mm_mprotect(mm, (unsigned long)a, PG, RW), 0);
	assert_false(writable(t, (unsigned long)a));
	test_write_byte(t, (unsigned long)a, 0x22);	/* faults: page_mkwrite */
	assert_true(folio_test_dirty(test_folio(t, (unsigned long)a)));
	assert_int_equal(vfs_fsync(f, 0), 0);
	assert_int_equal(test_host_pread(f, &byte, 1, 0), 1);
	assert_int_equal(byte, 0x22);
	/* A page that is still dirty (the filesystem knows) may get its
	 * write permission back. */
	test_write_byte(t, (unsigned long)a, 0x33);
	assert_int_equal(pnm_mm_mprotect(mm, (unsigned long)a, PG, PROT_READ), 0);
	assert_false(writable(t, (unsigned long)a));
	assert_int_equal(pnm_mm_mprotect(mm, (unsigned long)a, PG, RW), 0);
	assert_true(writable(t, (unsigned long)a));
	CHECK_ALL();
	fput(f);
}

/* Huge PMDs: whole ones are changed in place, partial ones split. */
static void test_thp(void **state)
{
	struct task_struct *t = test_task_create("mprot");
	struct mm_struct *mm = t->mm;
	unsigned long a = test_mmap(t, 2 * PMD_SIZE, RW, PRIV);
	long thp = global_stat(THP_FAULT_ALLOC);

	(void)state;
	assert_int_equal(pnm_mm_madvise(mm, a, 2 * PMD_SIZE, MADV_HUGEPAGE), 0);
	test_write_byte(t, a, 0x21);
	test_write_byte(t, a + PMD_SIZE + 5 * PG, 0x22);
	if (global_stat(THP_FAULT_ALLOC) == thp) {
		CHECK_ALL();
		return;		/* no THP available here */
	}
	assert_int_equal(pnm_mm_mprotect(mm, a, PMD_SIZE, PROT_READ), 0);
	assert_false(writable(t, a + 9 * PG));
	assert_int_equal(test_read_byte(t, a), 0x21);
	assert_int_equal(pnm_user_write(t, a, "x", 1), -EFAULT);
	CHECK_ALL();
	assert_int_equal(pnm_mm_mprotect(mm, a, PMD_SIZE, RW), 0);
	test_write_byte(t, a + 3 * PG, 0x23);
	assert_int_equal(test_read_byte(t, a + 3 * PG), 0x23);
	CHECK_ALL();

	/* Part of the second huge PMD: split, the rest keeps data. */
	assert_int_equal(pnm_mm_mprotect(mm, a + PMD_SIZE + 4 * PG, 4 * PG, PROT_READ), 0);
	assert_int_equal(pnm_user_write(t, a + PMD_SIZE + 5 * PG, "x", 1), -EFAULT);
	assert_int_equal(test_read_byte(t, a + PMD_SIZE + 5 * PG), 0x22);
	test_write_byte(t, a + PMD_SIZE + 9 * PG, 0x24);
	assert_int_equal(test_read_byte(t, a + PMD_SIZE + 9 * PG), 0x24);
	CHECK_ALL();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_errors_change_nothing, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_split_and_merge, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_exclusive_anon_shortcut, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_cow_shared_stays_readonly, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_prot_none, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_shared_becomes_writable, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_shared_file_stays_write_tracked,
						pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_thp, pnm_test_setup, pnm_test_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
