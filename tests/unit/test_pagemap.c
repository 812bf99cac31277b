// SPDX-License-Identifier: MIT
/*
 * test_pagemap.c - the pagemap view and clear_refs (task_mmu.c,
 * pinmm/inspect.h): Linux's 64-bit entries for anonymous pages, the zero
 * page, holes inside and outside mappings, PMD-mapped THPs, multi-size
 * THPs, hugetlb pages, shmem, shared anonymous and private file pages
 * before and after COW, swap entries (type and offset), fork
 * (exclusively mapped or not); soft-dirty: set by new mappings and
 * writes, cleared by clear_refs (which write-protects, except
 * maybe-pinned pages), kept through swap, honoured by mprotect; the
 * calls' errors.
 */
#include <string.h>

#include "swap_test.h"

#define KB		1024UL
#define HSZ		PNM_HUGETLB_2M

static uint64_t pm(struct task_struct *t, unsigned long addr)
{
	uint64_t e = ~0ULL;

	assert_int_equal(pnm_task_pagemap(t, addr, &e, 1), 0);
	return e;
}

static unsigned long pm_pfn(uint64_t e)
{
	assert_true(e & PNM_PM_PRESENT);
	return (unsigned long)(e & PNM_PM_PFN_MASK);
}

#define PRESENT(e)	(!!((e) & PNM_PM_PRESENT))
#define SWAPPED(e)	(!!((e) & PNM_PM_SWAP))
#define FILEPG(e)	(!!((e) & PNM_PM_FILE))
#define EXCL(e)		(!!((e) & PNM_PM_MMAP_EXCLUSIVE))
#define SD(e)		(!!((e) & PNM_PM_SOFT_DIRTY))

static void test_anon_zero_and_holes(void **state)
{
	struct task_struct *t = test_task_create("t");
	unsigned long a = test_mmap(t, 8 * PG, PROT_RW, MAP_ANON_PRIV);
	struct pnm_mem_info mi = { .size = sizeof(mi) };
	uint64_t e[10];

	(void)state;
	assert_int_equal(pnm_get_mem_info(&mi), 0);
	test_write_byte(t, a + PG, 1);
	test_read_byte(t, a + 2 * PG);
	/* One page before the mapping and one after it: no mapping, 0. */
	assert_int_equal(pnm_task_pagemap(t, a - PG, e, 10), 0);
	assert_int_equal(e[0], 0);
	assert_int_equal(e[9], 0);
	/* A hole of a new mapping: only soft-dirty. */
	assert_int_equal(e[1], PNM_PM_SOFT_DIRTY);
	/* The written page. */
	assert_true(PRESENT(e[2]) && EXCL(e[2]) && SD(e[2]));
	assert_false(FILEPG(e[2]) || SWAPPED(e[2]));
	assert_int_equal(pm_pfn(e[2]), test_pfn(t, a + PG));
	/* The zero page: present, its pfn, neither exclusive nor file. */
	assert_true(PRESENT(e[3]));
	assert_int_equal(pm_pfn(e[3]), mi.zero_pfn);
	assert_false(EXCL(e[3]) || FILEPG(e[3]));
	/* The address within the page does not matter. */
	assert_int_equal(pm(t, a + PG + 123), e[2]);
	CHECK_ALL();
}

static void test_soft_dirty_clear_refs(void **state)
{
	struct task_struct *t = test_task_create("t");
	unsigned long a = test_mmap(t, 4 * PG, PROT_RW, MAP_ANON_PRIV), b;
	struct pnm_page_info pi = { .size = sizeof(pi) };

	(void)state;
	test_write_byte(t, a, 1);
	test_write_byte(t, a + PG, 1);
	assert_true(SD(pm(t, a)));
	assert_int_equal(pnm_task_clear_refs(t, PNM_CLEAR_REFS_SOFT_DIRTY), 0);
	CHECK_ALL();
	/* Clean now, and write-protected so the next write is seen. */
	assert_false(SD(pm(t, a)));
	assert_true(PRESENT(pm(t, a)) && EXCL(pm(t, a)));
	assert_int_equal(pm(t, a + 2 * PG), 0);		/* holes too */
	assert_false(test_vma_flags(t->mm, a) & VM_SOFTDIRTY);
	assert_int_equal(pnm_task_page_info(t, a, &pi), 0);
	assert_false(pi.flags & PNM_PAGE_MAP_WRITE);

	/* The write faults, reuses the exclusive page and marks it. */
	test_write_byte(t, a, 2);
	assert_true(SD(pm(t, a)));
	assert_int_equal(pm_pfn(pm(t, a)), pi.pfn);
	assert_false(SD(pm(t, a + PG)));
	/* A read does not mark. */
	test_read_byte(t, a + PG);
	assert_false(SD(pm(t, a + PG)));
	/* A new page written after the clear is soft-dirty. */
	test_write_byte(t, a + 3 * PG, 1);
	assert_true(SD(pm(t, a + 3 * PG)));

	/* mprotect must not make a clean entry writable behind the tracker. */
	assert_int_equal(pnm_mprotect(t, a, 4 * PG, PROT_READ), 0);
	assert_int_equal(pnm_mprotect(t, a, 4 * PG, PROT_RW), 0);
	assert_false(test_pte_val(t, a + PG).pte & _PAGE_RW);
	test_write_byte(t, a + PG, 3);
	assert_true(SD(pm(t, a + PG)));

	/* A new mapping is all soft-dirty again. */
	b = test_mmap(t, 2 * PG, PROT_READ, MAP_ANON_PRIV);
	assert_int_equal(pm(t, b), PNM_PM_SOFT_DIRTY);
	assert_true(test_vma_flags(t->mm, b) & VM_SOFTDIRTY);
	CHECK_ALL();
}

static void test_soft_dirty_thp(void **state)
{
	struct task_struct *t = test_task_create("t");
	unsigned long x = test_mmap(t, 2 * HPAGE_PMD_SIZE, PROT_RW, MAP_ANON_PRIV), h;
	uint64_t *e = test_malloc(HPAGE_PMD_NR * sizeof(*e));
	unsigned long i, pfn;

	(void)state;
	assert_int_equal(pnm_madvise(t, x, 2 * HPAGE_PMD_SIZE, MADV_HUGEPAGE), 0);
	h = ALIGN(x, HPAGE_PMD_SIZE);
	test_write_byte(t, h, 1);
	assert_true(test_pmd_val(t, h).pmd & _PAGE_PSE);
	pfn = test_pfn(t, h);
	assert_int_equal(pnm_task_pagemap(t, h, e, HPAGE_PMD_NR), 0);
	for (i = 0; i < HPAGE_PMD_NR; i++) {
		assert_true(PRESENT(e[i]) && EXCL(e[i]) && SD(e[i]));
		assert_int_equal(pm_pfn(e[i]), pfn + i);
	}
	assert_int_equal(pnm_task_clear_refs(t, PNM_CLEAR_REFS_SOFT_DIRTY), 0);
	CHECK_ALL();
	assert_false(SD(pm(t, h + 77 * PG)));
	assert_false(test_pmd_val(t, h).pmd & _PAGE_RW);
	test_write_byte(t, h + 100 * PG, 1);
	assert_true(test_pmd_val(t, h).pmd & _PAGE_PSE);
	assert_true(SD(pm(t, h)));
	assert_true(SD(pm(t, h + (HPAGE_PMD_NR - 1) * PG)));
	test_free(e);
	CHECK_ALL();
}

/* A page a device may write through a pin stays writable: clear_refs
 * leaves it (and its soft-dirty bit) alone. */
static void test_pinned_page_left_alone(void **state)
{
	struct task_struct *t = test_task_create("t"), *prev;
	unsigned long a = test_mmap(t, 2 * PG, PROT_RW, MAP_ANON_PRIV);
	struct page *page;

	(void)state;
	test_write_byte(t, a, 1);
	test_write_byte(t, a + PG, 1);
	prev = pnm_task_enter(t);
	assert_int_equal(pin_user_pages_fast(a, 1, FOLL_WRITE | FOLL_LONGTERM, &page), 1);
	pnm_task_leave(prev);
	assert_int_equal(pnm_task_clear_refs(t, PNM_CLEAR_REFS_SOFT_DIRTY), 0);
	assert_true(SD(pm(t, a)));
	assert_true(test_pte_val(t, a).pte & _PAGE_RW);
	assert_false(SD(pm(t, a + PG)));
	assert_false(test_pte_val(t, a + PG).pte & _PAGE_RW);
	unpin_user_page(page);
	CHECK_ALL();
}

static void test_mthp_and_hugetlb(void **state)
{
	struct task_struct *t = test_task_create("t"), *c;
	unsigned long x, a, i, pfn;
	uint64_t e[16];
	long hp;

	(void)state;
	assert_int_equal(pnm_thp_set_enabled(64 * KB, PNM_THP_ALWAYS), 0);
	x = test_mmap(t, 128 * KB, PROT_RW, MAP_ANON_PRIV);
	a = ALIGN(x, 64 * KB);
	test_write_byte(t, a, 1);
	pfn = test_pfn(t, a);
	assert_int_equal(pnm_task_pagemap(t, a, e, 16), 0);
	for (i = 0; i < 16; i++) {
		assert_true(PRESENT(e[i]) && EXCL(e[i]));
		assert_int_equal(pm_pfn(e[i]), pfn + i);
	}

	assert_int_equal(pnm_hugetlb_set_pages(HSZ, 2), 2);
	hp = pnm_mmap(t, 0, HSZ, PROT_RW, MAP_PRIVATE | MAP_ANONYMOUS | PNM_MAP_HUGETLB, NULL, 0);
	assert_true(hp > 0);
	assert_int_equal(pm(t, (unsigned long)hp), PNM_PM_SOFT_DIRTY);	/* a hole */
	test_write_byte(t, (unsigned long)hp + 3 * PG, 1);
	pfn = test_pfn(t, (unsigned long)hp);
	assert_int_equal(pm_pfn(pm(t, (unsigned long)hp + 5 * PG)), pfn + 5);
	assert_true(EXCL(pm(t, (unsigned long)hp)));
	assert_false(FILEPG(pm(t, (unsigned long)hp)));
	/* Shared with a child: not exclusive any more. */
	c = test_fork(t);
	assert_false(EXCL(pm(t, (unsigned long)hp)));
	assert_false(EXCL(pm(c, (unsigned long)hp)));
	assert_false(EXCL(pm(c, a + PG)));
	CHECK_ALL();
}

static void test_file_shmem_and_cow(void **state)
{
	struct task_struct *t = test_task_create("t");
	struct file *shm = test_open(PNM_FS_SHMEM, "shm"), *d = test_open(PNM_FS_DISK, "d");
	unsigned long m, sa;
	long dm;
	uint64_t v;

	(void)state;
	assert_int_equal(pnm_file_truncate(shm, 4 * PG), 0);
	m = test_mmap_file(t, shm, 4 * PG, 0);
	sa = test_mmap(t, 2 * PG, PROT_RW, MAP_SHARED | MAP_ANONYMOUS);
	test_write_byte(t, m, 1);
	test_write_byte(t, sa, 1);
	v = pm(t, m);
	assert_true(PRESENT(v) && FILEPG(v) && EXCL(v));
	v = pm(t, sa);
	assert_true(PRESENT(v) && FILEPG(v) && EXCL(v));	/* shared anon is shmem */

	test_fill_file(d, 0, 2 * PG, 5);
	dm = pnm_mmap(t, 0, 2 * PG, PROT_RW, MAP_PRIVATE, d, 0);
	assert_true(dm > 0);
	test_read_byte(t, (unsigned long)dm);
	v = pm(t, (unsigned long)dm);
	assert_true(PRESENT(v) && FILEPG(v));
	test_write_byte(t, (unsigned long)dm, 1);	/* COW: an anonymous copy */
	v = pm(t, (unsigned long)dm);
	assert_true(PRESENT(v) && EXCL(v) && SD(v));
	assert_false(FILEPG(v));
	fput(shm);
	fput(d);
	CHECK_ALL();
}

static void test_fork_exclusive(void **state)
{
	struct task_struct *p = test_task_create("p"), *c;
	unsigned long a = test_mmap(p, 2 * PG, PROT_RW, MAP_ANON_PRIV);

	(void)state;
	test_write_byte(p, a, 1);
	test_write_byte(p, a + PG, 1);
	c = test_fork(p);
	assert_false(EXCL(pm(p, a)));
	assert_false(EXCL(pm(c, a)));
	assert_int_equal(pm_pfn(pm(p, a)), pm_pfn(pm(c, a)));
	test_write_byte(c, a, 2);
	assert_true(EXCL(pm(p, a)));
	assert_true(EXCL(pm(c, a)));
	assert_true(pm_pfn(pm(p, a)) != pm_pfn(pm(c, a)));
	assert_false(EXCL(pm(c, a + PG)));
	CHECK_ALL();
}

static void test_swap_entries(void **state)
{
	struct task_struct *t = test_task_create("t");
	unsigned long a = test_mmap(t, 4 * PG, PROT_RW, MAP_ANON_PRIV);
	struct pnm_swap_entry_info se = { .size = sizeof(se) };
	uint64_t v;

	(void)state;
	swap_test_fill(t, a, 2, 4);
	assert_int_equal(pnm_madvise(t, a, 2 * PG, MADV_PAGEOUT), 0);
	assert_int_equal(pnm_task_swap_entry(t, a + PG, &se), 0);
	v = pm(t, a + PG);
	assert_true(SWAPPED(v) && SD(v));
	assert_false(PRESENT(v) || EXCL(v) || FILEPG(v));
	assert_int_equal(v & PNM_PM_SWAP_TYPE_MASK, 0);
	assert_int_equal((v & PNM_PM_PFN_MASK) >> PNM_PM_SWAP_OFFSET_SHIFT, se.slot);
	/* clear_refs clears the swap entry's bit too; swap-in keeps it clear
	 * for a read ... */
	assert_int_equal(pnm_task_clear_refs(t, PNM_CLEAR_REFS_SOFT_DIRTY), 0);
	CHECK_ALL();
	assert_false(SD(pm(t, a)));
	assert_true(SWAPPED(pm(t, a)));
	assert_true(swap_test_holds(t, a, 0, 1, 4));
	v = pm(t, a);
	assert_true(PRESENT(v) && EXCL(v));
	assert_false(SD(v));
	/* ... and a write marks it. */
	test_write_byte(t, a, 9);
	assert_true(SD(pm(t, a)));
	CHECK_ALL();
}

static void test_errors(void **state)
{
	struct task_struct *t = test_task_create("t");
	uint64_t e[2] = { 7, 7 };

	(void)state;
	assert_int_equal(pnm_task_pagemap(NULL, 0, e, 1), -EINVAL);
	assert_int_equal(pnm_task_pagemap(t, 0, NULL, 1), -EINVAL);
	assert_int_equal(pnm_task_pagemap(t, 0, e, 0), -EINVAL);
	assert_int_equal(pnm_task_pagemap(t, TASK_SIZE, e, 1), -EINVAL);
	assert_int_equal(pnm_task_pagemap(t, TASK_SIZE - PG, e, 2), -EINVAL);
	assert_int_equal(e[0], 7);	/* nothing written on an error */
	assert_int_equal(pnm_task_pagemap(t, TASK_SIZE - PG, e, 1), 0);
	assert_int_equal(e[0], 0);
	pnm_task_exit(t);
	assert_int_equal(pnm_task_pagemap(t, 0, e, 1), -ESRCH);
	CHECK_ALL();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		PNM_TEST(test_anon_zero_and_holes),
		PNM_TEST(test_soft_dirty_clear_refs),
		PNM_TEST(test_soft_dirty_thp),
		PNM_TEST(test_pinned_page_left_alone),
		PNM_TEST(test_mthp_and_hugetlb),
		PNM_TEST(test_file_shmem_and_cow),
		PNM_TEST(test_fork_exclusive),
		cmocka_unit_test_setup_teardown(test_swap_entries, swap_test_setup,
						pnm_test_teardown),
		PNM_TEST(test_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
