// SPDX-License-Identifier: MIT
/*
 * test_vma.c - the VMA set (vma.c): insertion in address order, lookups,
 * splitting, merging of compatible neighbours, file references, and the
 * checker catching a broken set.
 *
 * The tests build VMAs by hand in a task's mm (mmap_lock held for write),
 * so they exercise vma.c without going through mmap.
 */
#include "test_util.h"
#include "pinmm_test_internal.h"

#define A0	0x10000000UL		/* an arbitrary, PMD-aligned base */
#define PG	PAGE_SIZE

static struct vm_area_struct *mk_anon(struct mm_struct *mm, unsigned long start,
				      unsigned long end, unsigned long flags)
{
	struct vm_area_struct *vma = vm_area_alloc(mm);

	assert_non_null(vma);
	vma->vm_start = start;
	vma->vm_end = end;
	vma->vm_flags = flags;
	vma->vm_pgoff = start >> PAGE_SHIFT;
	assert_int_equal(vma_set_insert(mm, vma), 0);
	return vma;
}

static struct vm_area_struct *mk_file(struct mm_struct *mm, struct file *file,
				      unsigned long start, unsigned long end,
				      unsigned long pgoff)
{
	struct vm_area_struct *vma = vm_area_alloc(mm);

	assert_non_null(vma);
	vma->vm_start = start;
	vma->vm_end = end;
	vma->vm_flags = VM_READ | VM_WRITE | VM_SHARED | VM_MAYREAD |
			VM_MAYWRITE | VM_MAYSHARE;
	vma->vm_pgoff = pgoff;
	get_file(file);
	vma->vm_file = file;
	assert_int_equal(file->f_op->mmap(file, vma), 0);
	assert_int_equal(vma_set_insert(mm, vma), 0);
	vma_link_file(vma);
	return vma;
}

/* Expect the set to be exactly the ranges in @r (pairs), in order. */
static void expect_layout(struct mm_struct *mm, const unsigned long *r, int n)
{
	unsigned long pages = 0;
	int i;

	assert_int_equal(mm->mm_vmas.nr, n);
	assert_int_equal(mm->map_count, n);
	for (i = 0; i < n; i++) {
		struct vm_area_struct *vma = mm->mm_vmas.vmas[i];

		assert_int_equal(vma->vm_start, r[2 * i]);
		assert_int_equal(vma->vm_end, r[2 * i + 1]);
		pages += (r[2 * i + 1] - r[2 * i]) >> PAGE_SHIFT;
	}
	assert_int_equal(mm->total_vm, pages);
	assert_true(pnm_check_vmas(mm));
}

static void remove_all(struct mm_struct *mm)
{
	while (mm->mm_vmas.nr) {
		struct vm_area_struct *vma = mm->mm_vmas.vmas[0];

		unlink_anon_vmas(vma);
		unlink_file_vma(vma);
		vma_set_remove(mm, vma);
		remove_vma(vma);
	}
	assert_int_equal(mm->map_count, 0);
	assert_int_equal(mm->total_vm, 0);
}

#define RW	(VM_READ | VM_WRITE | VM_MAYREAD | VM_MAYWRITE | VM_MAYEXEC)
#define RO	(VM_READ | VM_MAYREAD | VM_MAYWRITE | VM_MAYEXEC)

/*
 *   A0     +1M    +2M    +3M    +4M    +5M
 *   |  a   |      |  b   |      |  c   |
 * Inserted out of order; lookups in VMAs, at edges and in holes.
 */
static void test_insert_and_lookup(void **state)
{
	struct task_struct *t = test_task_create("vma");
	struct mm_struct *mm = t->mm;
	struct vm_area_struct *a, *b, *c;
	const unsigned long M = 0x100000UL;

	(void)state;
	mmap_write_lock(mm);
	c = mk_anon(mm, A0 + 4 * M, A0 + 5 * M, RW);
	a = mk_anon(mm, A0, A0 + M, RW);
	b = mk_anon(mm, A0 + 2 * M, A0 + 3 * M, RO);
	const unsigned long r[] = { A0, A0 + M, A0 + 2 * M, A0 + 3 * M,
				    A0 + 4 * M, A0 + 5 * M };
	expect_layout(mm, r, 3);

	assert_ptr_equal(find_vma(mm, 0), a);
	assert_ptr_equal(find_vma(mm, A0), a);
	assert_ptr_equal(find_vma(mm, A0 + M - 1), a);
	assert_ptr_equal(find_vma(mm, A0 + M), b);		/* in the hole */
	assert_ptr_equal(find_vma(mm, A0 + 3 * M), c);
	assert_null(find_vma(mm, A0 + 5 * M));
	assert_ptr_equal(vma_lookup(mm, A0 + 2 * M + PG), b);
	assert_null(vma_lookup(mm, A0 + M));
	assert_null(vma_lookup(mm, A0 + 5 * M));
	assert_null(find_vma_intersection(mm, A0 + M, A0 + 2 * M));
	assert_ptr_equal(find_vma_intersection(mm, A0 + M, A0 + 2 * M + 1), b);
	assert_ptr_equal(find_vma_intersection(mm, A0 + 3 * M - PG, A0 + 6 * M), b);
	assert_ptr_equal(vma_prev(b), a);
	assert_ptr_equal(vma_next(b), c);
	assert_null(vma_prev(a));
	assert_null(vma_next(c));

	/* Remove the middle one: lookups fall through to c. */
	vma_set_remove(mm, b);
	remove_vma(b);
	assert_ptr_equal(find_vma(mm, A0 + M), c);
	const unsigned long r2[] = { A0, A0 + M, A0 + 4 * M, A0 + 5 * M };
	expect_layout(mm, r2, 2);
	remove_all(mm);
	mmap_write_unlock(mm);
	CHECK_ALL();
}

/* Split below and above, check ranges, pgoffs and accounting; unsplit. */
static void test_split(void **state)
{
	struct task_struct *t = test_task_create("vma");
	struct mm_struct *mm = t->mm;
	struct vm_area_struct *v, *lo, *hi;

	(void)state;
	mmap_write_lock(mm);
	v = mk_anon(mm, A0, A0 + 16 * PG, RW);

	/* new VMA above: v keeps [A0, A0+4) */
	assert_int_equal(split_vma(v, A0 + 4 * PG, 0), 0);
	const unsigned long r1[] = { A0, A0 + 4 * PG, A0 + 4 * PG, A0 + 16 * PG };
	expect_layout(mm, r1, 2);
	hi = vma_next(v);
	assert_ptr_equal(mm->mm_vmas.vmas[0], v);
	assert_int_equal(hi->vm_pgoff, (A0 >> PAGE_SHIFT) + 4);
	assert_int_equal(hi->vm_flags, RW);

	/* new VMA below: hi keeps [A0+8, A0+16) */
	assert_int_equal(split_vma(hi, A0 + 8 * PG, 1), 0);
	lo = vma_prev(hi);
	assert_ptr_not_equal(lo, v);
	assert_int_equal(lo->vm_start, A0 + 4 * PG);
	assert_int_equal(lo->vm_end, A0 + 8 * PG);
	assert_int_equal(lo->vm_pgoff, (A0 >> PAGE_SHIFT) + 4);
	assert_int_equal(hi->vm_start, A0 + 8 * PG);
	assert_int_equal(hi->vm_pgoff, (A0 >> PAGE_SHIFT) + 8);
	const unsigned long r2[] = { A0, A0 + 4 * PG, A0 + 4 * PG, A0 + 8 * PG,
				     A0 + 8 * PG, A0 + 16 * PG };
	expect_layout(mm, r2, 3);

	/* Undo one split by hand, then merge the rest back. */
	vma_unsplit(mm, lo, hi);
	const unsigned long r3[] = { A0, A0 + 4 * PG, A0 + 4 * PG, A0 + 16 * PG };
	expect_layout(mm, r3, 2);
	vma_merge_neighbours(mm, lo);
	const unsigned long r4[] = { A0, A0 + 16 * PG };
	expect_layout(mm, r4, 1);
	assert_ptr_equal(mm->mm_vmas.vmas[0], lo);	/* the argument survives */
	assert_int_equal(lo->vm_pgoff, A0 >> PAGE_SHIFT);
	remove_all(mm);
	mmap_write_unlock(mm);
	CHECK_ALL();
}

/* Anonymous neighbours merge only with identical flags. */
static void test_merge_anon(void **state)
{
	struct task_struct *t = test_task_create("vma");
	struct mm_struct *mm = t->mm;
	struct vm_area_struct *a, *b, *c, *d;

	(void)state;
	mmap_write_lock(mm);
	a = mk_anon(mm, A0, A0 + 2 * PG, RW);
	b = mk_anon(mm, A0 + 2 * PG, A0 + 4 * PG, RW);
	c = mk_anon(mm, A0 + 4 * PG, A0 + 6 * PG, RW);
	d = mk_anon(mm, A0 + 6 * PG, A0 + 8 * PG, RW | VM_DONTCOPY);
	(void)a;
	(void)c;
	vma_merge_neighbours(mm, b);	/* absorbs a and c, not d */
	const unsigned long r[] = { A0, A0 + 6 * PG, A0 + 6 * PG, A0 + 8 * PG };
	expect_layout(mm, r, 2);
	assert_ptr_equal(mm->mm_vmas.vmas[0], b);
	assert_int_equal(b->vm_pgoff, A0 >> PAGE_SHIFT);

	/* Not adjacent: no merge. */
	mk_anon(mm, A0 + 9 * PG, A0 + 10 * PG, RW | VM_DONTCOPY);
	vma_merge_neighbours(mm, d);
	assert_int_equal(mm->map_count, 3);
	remove_all(mm);
	mmap_write_unlock(mm);
	CHECK_ALL();
}

/* File VMAs merge with the same file at contiguous offsets only. */
static void test_merge_file(void **state)
{
	struct task_struct *t = test_task_create("vma");
	struct mm_struct *mm = t->mm;
	struct file *f = shmem_file_setup("f", 64 * PG);
	struct file *g = shmem_file_setup("g", 64 * PG);
	struct vm_area_struct *a, *b, *c, *d;

	(void)state;
	assert_non_null(f);
	assert_non_null(g);
	mmap_write_lock(mm);
	a = mk_file(mm, f, A0, A0 + 2 * PG, 0);
	b = mk_file(mm, f, A0 + 2 * PG, A0 + 4 * PG, 2);	/* contiguous */
	c = mk_file(mm, f, A0 + 4 * PG, A0 + 6 * PG, 7);	/* gap in offsets */
	d = mk_file(mm, g, A0 + 6 * PG, A0 + 8 * PG, 6);	/* another file */
	assert_int_equal(atomic_long_read(&f->f_count), 4);
	(void)a;
	vma_merge_neighbours(mm, b);
	vma_merge_neighbours(mm, c);
	vma_merge_neighbours(mm, d);
	const unsigned long r[] = { A0, A0 + 4 * PG, A0 + 4 * PG, A0 + 6 * PG,
				    A0 + 6 * PG, A0 + 8 * PG };
	expect_layout(mm, r, 3);
	assert_int_equal(b->vm_pgoff, 0);
	/* The absorbed VMA's file reference was dropped. */
	assert_int_equal(atomic_long_read(&f->f_count), 3);

	/* A split copy takes a reference; merging back drops it. */
	assert_int_equal(split_vma(b, A0 + PG, 0), 0);
	assert_int_equal(atomic_long_read(&f->f_count), 4);
	assert_int_equal(vma_next(b)->vm_pgoff, 1);
	vma_merge_neighbours(mm, b);
	assert_int_equal(atomic_long_read(&f->f_count), 3);
	assert_true(pnm_check_vmas(mm));

	remove_all(mm);
	mmap_write_unlock(mm);
	assert_int_equal(atomic_long_read(&f->f_count), 1);
	fput(f);
	fput(g);
	CHECK_ALL();
}

/* The checker notices a wrong count and an overlap, without aborting. */
static void test_checker_catches(void **state)
{
	struct task_struct *t = test_task_create("vma");
	struct mm_struct *mm = t->mm;
	struct vm_area_struct *a, *b;

	(void)state;
	mmap_write_lock(mm);
	a = mk_anon(mm, A0, A0 + 4 * PG, RW);
	b = mk_anon(mm, A0 + 4 * PG, A0 + 8 * PG, RO);
	assert_true(pnm_check_vmas(mm));

	mm->map_count++;
	assert_false(pnm_check_vmas(mm));
	mm->map_count--;
	mm->total_vm--;
	assert_false(pnm_check_vmas(mm));
	mm->total_vm++;

	b->vm_start -= PG;			/* overlap a */
	b->vm_pgoff--;
	mm->total_vm++;
	assert_false(pnm_check_vmas(mm));
	b->vm_start += PG;
	b->vm_pgoff++;
	mm->total_vm--;

	a->vm_flags &= ~VM_MAYWRITE;		/* VM_WRITE without VM_MAYWRITE */
	assert_false(pnm_check_vmas(mm));
	a->vm_flags |= VM_MAYWRITE;
	assert_true(pnm_check_vmas(mm));
	remove_all(mm);
	mmap_write_unlock(mm);
	CHECK_ALL();
}

/* Many VMAs: the array grows and bisection stays right. */
static void test_many(void **state)
{
	struct task_struct *t = test_task_create("vma");
	struct mm_struct *mm = t->mm;
	int i, n = 300;

	(void)state;
	mmap_write_lock(mm);
	/* Every other page, inserted from the top down. */
	for (i = n - 1; i >= 0; i--)
		mk_anon(mm, A0 + 2 * i * PG, A0 + (2 * i + 1) * PG,
			(i & 1) ? RW : RO);
	assert_int_equal(mm->map_count, n);
	assert_true(pnm_check_vmas(mm));
	for (i = 0; i < n; i++) {
		struct vm_area_struct *v = vma_lookup(mm, A0 + 2 * i * PG);

		assert_non_null(v);
		assert_int_equal(v->vm_start, A0 + 2 * i * PG);
		assert_null(vma_lookup(mm, A0 + (2 * i + 1) * PG));
		assert_ptr_equal(find_vma(mm, A0 + (2 * i + 1) * PG),
				 i + 1 < n ? vma_lookup(mm, A0 + 2 * (i + 1) * PG) : NULL);
	}
	remove_all(mm);
	mmap_write_unlock(mm);
	CHECK_ALL();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_insert_and_lookup, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_split, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_merge_anon, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_merge_file, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_checker_catches, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_many, pnm_test_setup, pnm_test_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
