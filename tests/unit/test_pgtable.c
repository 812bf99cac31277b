/* SPDX-License-Identifier: MIT */
/*
 * test_pgtable.c - page-table frames and their accounting, the protection
 * bits of vm_get_page_prot(), pte_offset_map_lock()'s revalidation of the
 * PMD, free_pgd_range() freeing exactly the tables that are empty and
 * inside floor..ceiling, and the checker catching corrupted state.
 */
#include <string.h>
#include <pthread.h>
#include <sched.h>

#include "test_util.h"
#include "pinmm_test_internal.h"

#define MAP_ANON_PRIV	(MAP_PRIVATE | MAP_ANONYMOUS)
#define PROT_RW		(PROT_READ | PROT_WRITE)
/* A PGD slot of its own (512 GiB), PMD/PUD aligned. */
#define BASE		(3UL << PGDIR_SHIFT)

static long pgt_bytes(struct task_struct *t)
{
	return atomic_long_read(&t->mm->pgtables_bytes);
}

static void map_fixed(struct task_struct *t, unsigned long addr, unsigned long len)
{
	long ret = pnm_mm_mmap(t->mm, addr, len, PROT_RW, MAP_ANON_PRIV | MAP_FIXED, NULL, 0);

	assert_int_equal(ret, (long)addr);
}

static void test_vm_get_page_prot(void **state)
{
	const pteval_t base = _PAGE_PRESENT | _PAGE_ACCESSED;

	(void)state;
	assert_int_equal(vm_get_page_prot(VM_NONE), base);
	assert_int_equal(vm_get_page_prot(VM_READ), base | _PAGE_USER);
	assert_int_equal(vm_get_page_prot(VM_READ | VM_WRITE), base | _PAGE_USER);
	assert_int_equal(vm_get_page_prot(VM_READ | VM_WRITE | VM_SHARED),
			 base | _PAGE_USER | _PAGE_RW);
	assert_int_equal(vm_get_page_prot(VM_READ | VM_SHARED), base | _PAGE_USER);
	assert_int_equal(vm_get_page_prot(VM_EXEC), base | _PAGE_USER);
	assert_true(pte_protnone(__pte(vm_get_page_prot(VM_SHARED | VM_MAYWRITE))));
}

/* A table frame: flags, owner, level, zone, zeroed, accounted, freed. */
static void test_pgtable_alloc_free(void **state)
{
	struct task_struct *t = test_task_create("pgt");
	long bytes, nr_pt = global_stat(NR_PAGETABLE);
	long allocs = global_stat(PNM_PGTABLE_ALLOC), frees = global_stat(PNM_PGTABLE_FREE);
	unsigned long free_before = pnm_nr_free_frames();
	struct page *page;

	(void)state;
	assert_non_null(t);
	bytes = pgt_bytes(t);
	assert_int_equal(bytes, PAGE_SIZE);	/* the PGD */
	page = pnm_pgtable_alloc(t->mm, 1);
	assert_non_null(page);
	assert_true(PageTable(page));
	assert_ptr_equal(page->pt_mm, t->mm);
	assert_int_equal(page->pt_level, 1);
	assert_int_equal(page_zonenum(page), ZONE_NORMAL);
	assert_int_equal(page_ref_count(page), 1);
	for (size_t i = 0; i < PAGE_SIZE; i++)
		assert_int_equal(((unsigned char *)page_address(page))[i], 0);
	assert_int_equal(pgt_bytes(t), bytes + (long)PAGE_SIZE);
	assert_int_equal(global_stat(NR_PAGETABLE), nr_pt + 1);
	assert_int_equal(global_stat(PNM_PGTABLE_ALLOC), allocs + 1);
	assert_int_equal(pnm_nr_free_frames(), free_before - 1);
	/* The lock works. */
	spin_lock(ptlock_ptr(page));
	assert_true(spin_is_held(ptlock_ptr(page)));
	spin_unlock(ptlock_ptr(page));
	pnm_pgtable_free(t->mm, page);
	assert_false(PageTable(page));
	assert_int_equal(pgt_bytes(t), bytes);
	assert_int_equal(global_stat(NR_PAGETABLE), nr_pt);
	assert_int_equal(global_stat(PNM_PGTABLE_FREE), frees + 1);
	assert_int_equal(pnm_nr_free_frames(), free_before);
	CHECK_ALL();

	/* A fault in an empty PGD slot builds PUD, PMD and PTE tables. */
	map_fixed(t, BASE, PAGE_SIZE);
	test_write_byte(t, BASE, 7);
	assert_int_equal(pgt_bytes(t), bytes + 3 * (long)PAGE_SIZE);
	assert_int_equal(global_stat(NR_PAGETABLE), nr_pt + 3);
	CHECK_ALL();
	/* Unmapping the only VMA frees all three again. */
	assert_int_equal(pnm_mm_munmap(t->mm, BASE, PAGE_SIZE), 0);
	assert_int_equal(pgt_bytes(t), bytes);
	assert_int_equal(global_stat(NR_PAGETABLE), nr_pt);
	mmap_read_lock(t->mm);
	assert_null(pnm_pmd_lookup(t->mm, BASE));
	mmap_read_unlock(t->mm);
	CHECK_ALL();

	/* pgd_free() at exit releases every remaining table. */
	map_fixed(t, BASE, 4 * PMD_SIZE);
	for (int i = 0; i < 4; i++)
		test_write_byte(t, BASE + i * PMD_SIZE, 1);
	assert_int_equal(global_stat(NR_PAGETABLE), nr_pt + 2 + 4);
	pnm_task_exit(t);
	assert_int_equal(global_stat(NR_PAGETABLE), nr_pt - 1);
	put_task_struct(t);
	CHECK_ALL();
}

/* The walkers find the entries the fault installed. */
static void test_walk(void **state)
{
	struct task_struct *t = test_task_create("walk");
	unsigned long addr = BASE + PUD_SIZE + 5 * PMD_SIZE + 7 * PAGE_SIZE;
	unsigned long pfn;
	spinlock_t *ptl;
	pmd_t *pmd;
	pte_t *pte;

	(void)state;
	map_fixed(t, BASE, 2 * PUD_SIZE);
	test_write_byte(t, addr, 42);
	pfn = test_pfn(t, addr);
	mmap_read_lock(t->mm);
	pmd = pnm_pmd_lookup(t->mm, addr);
	assert_non_null(pmd);
	assert_ptr_equal(pmd, pnm_pmd_alloc(t->mm, addr));
	assert_ptr_equal(pmd, pmd_offset(pud_offset(pgd_offset(t->mm, addr), addr), addr));
	assert_null(pnm_pmd_lookup(t->mm, BASE));	/* PUD slot 0 never used */
	assert_int_equal(__pte_alloc(t->mm, pmd), 0);
	pte = pte_offset_map_lock(t->mm, pmd, addr, &ptl);
	assert_non_null(pte);
	assert_ptr_equal(ptl, pte_lockptr(t->mm, pmd));
	assert_ptr_equal(pte, pte_offset_kernel(pmd, addr));
	assert_true(pte_present(ptep_get(pte)));
	assert_int_equal(pte_pfn(ptep_get(pte)), pfn);
	assert_true(pte_write(ptep_get(pte)) && pte_dirty(ptep_get(pte)));
	pte_unmap_unlock(pte, ptl);
	/* The neighbouring PMD has no PTE table. */
	assert_null(pte_offset_map_lock(t->mm, pmd + 1, addr + PMD_SIZE, &ptl));
	mmap_read_unlock(t->mm);
	assert_int_equal(((unsigned char *)page_address(pfn_to_page(pfn)))[addr & ~PAGE_MASK], 42);
	CHECK_ALL();
}

struct locker {
	struct mm_struct *mm;
	pmd_t *pmd;
	unsigned long addr;
	atomic_t started;
	pte_t *result;
	spinlock_t *ptl;
};

static void *map_lock_fn(void *arg)
{
	struct locker *l = arg;

	atomic_set_release(&l->started, 1);
	l->result = pte_offset_map_lock(l->mm, l->pmd, l->addr, &l->ptl);
	if (l->result)
		pte_unmap_unlock(l->result, l->ptl);
	return NULL;
}

/*
 * pte_offset_map_lock() must re-read the PMD after taking the lock: a
 * caller that read the old table pointer and then waited for the lock while
 * the PMD was switched to another table must not get the old table.  The
 * result is either NULL (revalidation failed) or an entry of the new table
 * with the new table's lock; never the old one.
 */
static void test_pte_offset_map_lock_revalidates(void **state)
{
	struct task_struct *t = test_task_create("reval");
	unsigned long addr = BASE + 3 * PAGE_SIZE;
	struct mm_struct *mm = t->mm;
	int nulls = 0;

	(void)state;
	map_fixed(t, BASE, PMD_SIZE);
	test_write_byte(t, addr, 1);
	mmap_read_lock(mm);
	for (int round = 0; round < 20; round++) {
		pmd_t *pmd = pnm_pmd_lookup(mm, addr);
		pmd_t old = pmdp_get(pmd);
		struct page *other = pnm_pgtable_alloc(mm, 1);
		spinlock_t *old_ptl = pte_lockptr(mm, pmd);
		struct locker l = { .mm = mm, .pmd = pmd, .addr = addr };
		pthread_t th;

		assert_non_null(other);
		spin_lock(old_ptl);
		assert_int_equal(pthread_create(&th, NULL, map_lock_fn, &l), 0);
		while (!atomic_read_acquire(&l.started))
			sched_yield();
		for (int i = 0; i < 50; i++)	/* let it block on old_ptl */
			sched_yield();
		/* No other thread changes PMDs here: no pmd_lock (which would
		 * also invert the PMD-then-PTE lock order). */
		set_pmd_at(mm, addr, pmd, __pmd((page_to_pfn(other) << PAGE_SHIFT) | _PAGE_TABLE));
		spin_unlock(old_ptl);
		assert_int_equal(pthread_join(th, NULL), 0);
		if (l.result) {
			assert_ptr_equal(l.ptl, ptlock_ptr(other));
			assert_ptr_equal(l.result, (pte_t *)page_address(other) + pte_index(addr));
		} else {
			nulls++;
		}
		/* Put the real table back and drop the decoy. */
		set_pmd_at(mm, addr, pmd, old);
		pnm_pgtable_free(mm, other);
	}
	mmap_read_unlock(mm);
	print_message("revalidation returned NULL in %d of 20 rounds\n", nulls);
	assert_int_equal(test_read_byte(t, addr), 1);
	CHECK_ALL();
}

/* A PMD that is none or huge has no PTE table to lock. */
static void test_pte_offset_map_lock_none(void **state)
{
	struct task_struct *t = test_task_create("none");
	spinlock_t *ptl = NULL;
	pmd_t *pmd;

	(void)state;
	map_fixed(t, BASE, 2 * PMD_SIZE);
	test_write_byte(t, BASE, 1);
	mmap_read_lock(t->mm);
	pmd = pnm_pmd_lookup(t->mm, BASE + PMD_SIZE);
	assert_non_null(pmd);
	assert_true(pmd_none(pmdp_get(pmd)));
	assert_null(pte_offset_map_lock(t->mm, pmd, BASE + PMD_SIZE, &ptl));
	assert_null(ptl);
	mmap_read_unlock(t->mm);
	CHECK_ALL();
}

/* Is there a PTE table for @addr? */
static bool has_pte_table(struct mm_struct *mm, unsigned long addr)
{
	pmd_t *pmd = pnm_pmd_lookup(mm, addr);

	return pmd && pmd_present(pmdp_get(pmd)) && !pmd_trans_huge(pmdp_get(pmd));
}

/*
 * free_pgd_range() frees only tables whose span lies inside floor..ceiling
 * and that map nothing: a table still holding an entry survives.
 */
static void test_free_pgd_range(void **state)
{
	struct task_struct *t = test_task_create("free");
	struct mm_struct *mm = t->mm;
	long bytes;

	(void)state;
	bytes = pgt_bytes(t);
	map_fixed(t, BASE, 2 * PMD_SIZE);
	test_write_byte(t, BASE, 1);
	test_write_byte(t, BASE + PMD_SIZE, 2);
	assert_int_equal(pgt_bytes(t), bytes + 4 * (long)PAGE_SIZE);

	/* Unmapping the second PMD frees its PTE table only. */
	assert_int_equal(pnm_mm_munmap(mm, BASE + PMD_SIZE, PMD_SIZE), 0);
	assert_int_equal(pgt_bytes(t), bytes + 3 * (long)PAGE_SIZE);
	mmap_read_lock(mm);
	assert_true(has_pte_table(mm, BASE));
	assert_false(has_pte_table(mm, BASE + PMD_SIZE));
	mmap_read_unlock(mm);
	CHECK_ALL();

	/* A hole inside a table's span keeps the table (floor/ceiling). */
	test_write_byte(t, BASE + 2 * PAGE_SIZE, 3);
	assert_int_equal(pnm_mm_munmap(mm, BASE, PAGE_SIZE), 0);
	assert_int_equal(pgt_bytes(t), bytes + 3 * (long)PAGE_SIZE);
	assert_int_equal(test_read_byte(t, BASE + 2 * PAGE_SIZE), 3);
	CHECK_ALL();

	/* Called directly over a table that still maps a page: kept. */
	mmap_write_lock(mm);
	free_pgd_range(mm, BASE, BASE + PMD_SIZE, 0, 0);
	assert_true(has_pte_table(mm, BASE));
	mmap_write_unlock(mm);
	assert_int_equal(pgt_bytes(t), bytes + 3 * (long)PAGE_SIZE);
	assert_int_equal(test_read_byte(t, BASE + 2 * PAGE_SIZE), 3);
	CHECK_ALL();

	/* Zapped, the same call frees the PTE, PMD and PUD tables. */
	mmap_write_lock(mm);
	zap_page_range_single(vma_lookup(mm, BASE + PAGE_SIZE), BASE + PAGE_SIZE,
			      PMD_SIZE - PAGE_SIZE);
	free_pgd_range(mm, BASE, BASE + PMD_SIZE, 0, 0);
	assert_null(pnm_pmd_lookup(mm, BASE));
	mmap_write_unlock(mm);
	assert_int_equal(pgt_bytes(t), bytes);
	CHECK_ALL();
	/* The VMA is still there: a new fault rebuilds the tables. */
	assert_int_equal(test_read_byte(t, BASE + 2 * PAGE_SIZE), 0);
	assert_int_equal(pgt_bytes(t), bytes + 3 * (long)PAGE_SIZE);
	CHECK_ALL();
}

/* The checker must notice corrupted entries and counters. */
static void test_checker_catches_corruption(void **state)
{
	struct task_struct *t = test_task_create("corrupt");
	unsigned long addr = test_mmap(t, 4 * PAGE_SIZE, PROT_RW, MAP_ANON_PRIV);
	struct mm_struct *mm = t->mm;
	unsigned long pfn;
	spinlock_t *ptl;
	pte_t *pte, saved;

	(void)state;
	test_write_byte(t, addr, 9);
	pfn = test_pfn(t, addr);
	assert_true(pnm_check_mm(mm));

	/* A PTE pointing to another (free) frame. */
	mmap_read_lock(mm);
	pte = pte_offset_map_lock(mm, pnm_pmd_lookup(mm, addr), addr, &ptl);
	saved = ptep_get(pte);
	set_pte_at(mm, addr, pte, pfn_pte(pfn + 1, pte_val(saved) & ~_PAGE_PFN_MASK));
	pte_unmap_unlock(pte, ptl);
	mmap_read_unlock(mm);
	assert_false(pnm_check_mm(mm));
	assert_non_null(strstr(pnm_check_error(), "pgtable"));

	/* A malformed non-present entry. */
	mmap_read_lock(mm);
	pte = pte_offset_map_lock(mm, pnm_pmd_lookup(mm, addr), addr, &ptl);
	set_pte_at(mm, addr, pte, __pte(0x40));
	pte_unmap_unlock(pte, ptl);
	mmap_read_unlock(mm);
	assert_false(pnm_check_mm(mm));

	/* Restored, the mm is consistent again. */
	mmap_read_lock(mm);
	pte = pte_offset_map_lock(mm, pnm_pmd_lookup(mm, addr), addr, &ptl);
	set_pte_at(mm, addr, pte, saved);
	pte_unmap_unlock(pte, ptl);
	mmap_read_unlock(mm);
	assert_true(pnm_check_mm(mm));

	/* An RSS counter off by one. */
	add_mm_counter(mm, MM_ANONPAGES, 1);
	assert_false(pnm_check_mm(mm));
	add_mm_counter(mm, MM_ANONPAGES, -1);

	/* pgtables_bytes off by a table. */
	atomic_long_add(PAGE_SIZE, &mm->pgtables_bytes);
	assert_false(pnm_check_mm(mm));
	atomic_long_sub(PAGE_SIZE, &mm->pgtables_bytes);

	/* The same page mapped a second time without rmap bookkeeping. */
	mmap_read_lock(mm);
	pte = pte_offset_map_lock(mm, pnm_pmd_lookup(mm, addr), addr + PAGE_SIZE, &ptl);
	set_pte_at(mm, addr + PAGE_SIZE, pte, pte_wrprotect(saved));
	pte_unmap_unlock(pte, ptl);
	mmap_read_unlock(mm);
	assert_false(pnm_check_mm(mm));
	mmap_read_lock(mm);
	pte = pte_offset_map_lock(mm, pnm_pmd_lookup(mm, addr), addr + PAGE_SIZE, &ptl);
	ptep_get_and_clear(mm, addr + PAGE_SIZE, pte);
	pte_unmap_unlock(pte, ptl);
	mmap_read_unlock(mm);

	assert_true(pnm_check_mm(mm));

	/* A VMA linked twice to its anon_vma (the reverse-map links). */
	{
		struct vm_area_struct *vma;
		struct anon_vma_chain extra;

		mmap_write_lock(mm);
		vma = vma_lookup(mm, addr);
		extra = (struct anon_vma_chain){ .vma = vma, .anon_vma = vma->anon_vma };
		extra.rb.start = vma->vm_pgoff;
		extra.rb.last = vma->vm_pgoff + vma_pages(vma) - 1;
		anon_vma_lock_write(vma->anon_vma);
		interval_tree_insert(&extra.rb, &vma->anon_vma->rb_root);
		list_add_tail(&extra.same_vma, &vma->anon_vma_chain);
		anon_vma_unlock_write(vma->anon_vma);
		mmap_write_unlock(mm);
		assert_false(pnm_check_mm(mm));
		assert_non_null(strstr(pnm_check_error(), "two links"));
		/* Inside a pass too (the folio checker's rmap walk may see
		 * the doubled link first). */
		assert_false(pnm_check_system());
		mmap_write_lock(mm);
		anon_vma_lock_write(vma->anon_vma);
		interval_tree_remove(&extra.rb, &vma->anon_vma->rb_root);
		list_del(&extra.same_vma);
		anon_vma_unlock_write(vma->anon_vma);
		mmap_write_unlock(mm);
	}

	assert_true(pnm_check_mm(mm));
	assert_int_equal(test_read_byte(t, addr), 9);
	CHECK_ALL();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vm_get_page_prot),
		cmocka_unit_test_setup_teardown(test_pgtable_alloc_free, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_walk, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_pte_offset_map_lock_revalidates, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_pte_offset_map_lock_none, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_free_pgd_range, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_checker_catches_corruption, pnm_test_setup, pnm_test_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
