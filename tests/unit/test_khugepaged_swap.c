// SPDX-License-Identifier: MIT
/*
 * test_khugepaged_swap.c - collapsing a 2 MiB block that holds swap
 * entries (khugepaged.c): MADV_COLLAPSE swaps every one of them in first
 * and collapses, the data intact, the slots and the swap cache left
 * empty; khugepaged does it for at most max_ptes_swap entries (64 by
 * default; more: the block is skipped, thp_scan_exceed_swap_pte) and only
 * for a block mostly in use; MADV_COLLAPSE of a block with nothing
 * present swaps all of it in and collapses it; a fork child that shares the swapped pages keeps
 * its swap entries and its data while the parent collapses; a swap-in
 * that fails (a read error) fails the collapse with nothing lost; the
 * max_ptes_swap knob.
 */
#include "swap_test.h"
#include "pinmm_test_internal.h"

/* A 2 MiB aligned private anonymous block of @t, filled with 4 KiB pages
 * of the pattern @tag (the 2 MiB switch off while faulting). */
static unsigned long small_page_block(struct task_struct *t, unsigned int tag)
{
	unsigned long x = test_mmap(t, 2 * HPAGE_PMD_SIZE, PROT_RW, MAP_ANON_PRIV);
	unsigned long h = ALIGN(x, HPAGE_PMD_SIZE);

	assert_int_equal(pnm_thp_set_enabled(HPAGE_PMD_SIZE, PNM_THP_NEVER), 0);
	swap_test_fill(t, h, HPAGE_PMD_NR, tag);
	assert_int_equal(pnm_thp_set_enabled(HPAGE_PMD_SIZE, PNM_THP_INHERIT), 0);
	assert_false(pmd_trans_huge(test_pmd_val(t, h)));
	return h;
}

/* Page out pages [first, first + n) of the block at @h. */
static void page_out(struct task_struct *t, unsigned long h, unsigned long first,
		     unsigned long n)
{
	assert_int_equal(pnm_madvise(t, h + first * PG, n * PG, MADV_PAGEOUT), 0);
	assert_true(swap_test_all_swapped(t, h + first * PG, n));
	CHECK_ALL();
}

static void assert_collapsed(struct task_struct *t, unsigned long h)
{
	struct folio *folio = test_folio(t, h);

	assert_true(pmd_trans_huge(test_pmd_val(t, h)));
	assert_int_equal(folio_order(folio), HPAGE_PMD_ORDER);
	assert_true(PageAnonExclusive(&folio->page));
	assert_int_equal(folio_ref_count(folio), 1);
}

/* MADV_COLLAPSE of the block at @h, whose swapped pages only @t maps:
 * it collapses (pnm_thp_collapsed one above @collapsed), every swap
 * entry swapped in, no slot or swap cache copy left, and the block holds
 * @tag throughout. */
static void collapse_from_swap(struct task_struct *t, unsigned long h, unsigned int tag,
			       long collapsed)
{
	assert_int_equal(pnm_madvise(t, h, HPAGE_PMD_SIZE, PNM_MADV_COLLAPSE), 0);
	CHECK_ALL();
	assert_collapsed(t, h);
	assert_int_equal(global_stat(PNM_THP_COLLAPSED), collapsed + 1);
	assert_int_equal(swap_test_swapents(t), 0);
	/* The slots and the swap cache copies are gone with the old pages. */
	assert_int_equal(swap_test_used(), 0);
	assert_int_equal(swap_test_cached(), 0);
	assert_true(swap_test_holds(t, h, 0, HPAGE_PMD_NR, tag));
	CHECK_ALL();
}

/* MADV_COLLAPSE: no limit; everything swapped in, then collapsed. */
static void test_collapse_swaps_in(void **state)
{
	struct task_struct *a = test_task_create("a");
	long collapsed = global_stat(PNM_THP_COLLAPSED);
	unsigned long h;

	(void)state;
	h = small_page_block(a, 1);
	page_out(a, h, 0, 100);
	page_out(a, h, 300, 150);
	assert_int_equal(swap_test_swapents(a), 250);
	assert_int_equal(swap_test_used(), 250);

	collapse_from_swap(a, h, 1, collapsed);
	assert_int_equal(get_mm_counter(a->mm, MM_ANONPAGES), HPAGE_PMD_NR);
}

/* Nothing present: MADV_COLLAPSE needs no present (or writable) entry;
 * all 512 entries are swapped in and the block collapsed, data intact. */
static void test_collapse_all_swapped(void **state)
{
	struct task_struct *a = test_task_create("a");
	long collapsed = global_stat(PNM_THP_COLLAPSED);
	unsigned long h;

	(void)state;
	h = small_page_block(a, 2);
	page_out(a, h, 0, HPAGE_PMD_NR);
	collapse_from_swap(a, h, 2, collapsed);
}

/* khugepaged: at most max_ptes_swap (64) swap entries. */
static void test_khugepaged_swap_limit(void **state)
{
	struct task_struct *a = test_task_create("a");
	long exceed = global_stat(THP_SCAN_EXCEED_SWAP_PTE);
	unsigned long h1, h2;

	(void)state;
	h1 = small_page_block(a, 3);
	h2 = small_page_block(a, 4);
	assert_int_equal(pnm_madvise(a, h1, HPAGE_PMD_SIZE, MADV_HUGEPAGE), 0);
	assert_int_equal(pnm_madvise(a, h2, HPAGE_PMD_SIZE, MADV_HUGEPAGE), 0);
	page_out(a, h1, 10, 64);		/* the limit: collapses */
	page_out(a, h2, 10, 65);		/* one more: skipped */

	assert_int_equal(pnm_khugepaged_scan(a, ~0UL), 1);
	CHECK_ALL();
	assert_collapsed(a, h1);
	assert_false(pmd_trans_huge(test_pmd_val(a, h2)));
	assert_int_equal(global_stat(THP_SCAN_EXCEED_SWAP_PTE), exceed + 1);
	assert_true(swap_test_all_swapped(a, h2 + 10 * PG, 65));
	assert_int_equal(swap_test_swapents(a), 65);
	assert_true(swap_test_holds(a, h1, 0, HPAGE_PMD_NR, 3));
	assert_true(swap_test_holds(a, h2, 0, HPAGE_PMD_NR, 4));
	CHECK_ALL();
}

/* A fork child shares the swapped pages: the parent's collapse swaps in
 * its own view; the child keeps its swap entries (the slots stay) and
 * reads its data from them. */
static void test_collapse_after_fork(void **state)
{
	struct task_struct *a = test_task_create("a"), *b;
	unsigned long h;

	(void)state;
	h = small_page_block(a, 5);
	page_out(a, h, 0, 32);
	b = test_fork(a);
	assert_int_equal(swap_test_swapents(b), 32);
	/* A page written after the fork is the parent's own. */
	test_write_byte(a, h + 100 * PG + 0x200, 0x77);

	assert_int_equal(pnm_madvise(a, h, HPAGE_PMD_SIZE, PNM_MADV_COLLAPSE), 0);
	CHECK_ALL();
	assert_collapsed(a, h);
	assert_int_equal(swap_test_swapents(a), 0);
	assert_int_equal(swap_test_swapents(b), 32);
	assert_int_equal(swap_test_used(), 32);
	assert_true(swap_test_all_swapped(b, h, 32));
	assert_true(swap_test_holds(b, h, 0, HPAGE_PMD_NR, 5));
	assert_int_equal(test_read_byte(b, h + 100 * PG + 0x200), 0);
	assert_int_equal(test_read_byte(a, h + 100 * PG + 0x200), 0x77);
	assert_true(swap_test_holds(a, h, 0, 100, 5));
	CHECK_ALL();
	pnm_task_exit(b);
	put_task_struct(b);
	assert_int_equal(swap_test_used(), 0);
	CHECK_ALL();
}

/* A swap-in that fails (a read error) fails the collapse (SCAN_FAIL:
 * -EINVAL); the entry stays, nothing is lost, and the next try works. */
static void test_collapse_swapin_error(void **state)
{
	struct task_struct *a = test_task_create("a");
	unsigned long h;

	(void)state;
	h = small_page_block(a, 6);
	page_out(a, h, 200, 8);
	assert_int_equal(pnm_swap_inject_error(PNM_IO_READ, -EIO, 1), 0);
	assert_int_equal(pnm_madvise(a, h, HPAGE_PMD_SIZE, PNM_MADV_COLLAPSE), -EINVAL);
	CHECK_ALL();
	assert_false(pmd_trans_huge(test_pmd_val(a, h)));
	assert_true(swap_test_all_swapped(a, h + 200 * PG, 8));
	assert_int_equal(swap_test_swapents(a), 8);

	assert_int_equal(pnm_madvise(a, h, HPAGE_PMD_SIZE, PNM_MADV_COLLAPSE), 0);
	CHECK_ALL();
	assert_collapsed(a, h);
	assert_int_equal(swap_test_used(), 0);
	assert_true(swap_test_holds(a, h, 0, HPAGE_PMD_NR, 6));
	CHECK_ALL();
}

/* max_ptes_swap is a knob: 0 lets no swap entry through. */
static void test_max_ptes_swap_knob(void **state)
{
	struct task_struct *a = test_task_create("a");
	long exceed = global_stat(THP_SCAN_EXCEED_SWAP_PTE);
	unsigned long h;

	(void)state;
	h = small_page_block(a, 7);
	assert_int_equal(pnm_madvise(a, h, HPAGE_PMD_SIZE, MADV_HUGEPAGE), 0);
	page_out(a, h, 500, 1);
	assert_int_equal(pnm_sysctl_write("transparent_hugepage/khugepaged/max_ptes_swap", "0"), 0);
	assert_int_equal(pnm_khugepaged_scan(a, ~0UL), 0);
	assert_int_equal(global_stat(THP_SCAN_EXCEED_SWAP_PTE), exceed + 1);
	assert_int_equal(pnm_sysctl_write("transparent_hugepage/khugepaged/max_ptes_swap", "1"), 0);
	assert_int_equal(pnm_khugepaged_scan(a, ~0UL), 1);
	assert_collapsed(a, h);
	assert_true(swap_test_holds(a, h, 0, HPAGE_PMD_NR, 7));
	CHECK_ALL();
}

#define T(fn)	cmocka_unit_test_setup_teardown(fn, swap_test_setup, pnm_test_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_collapse_swaps_in),
		T(test_collapse_all_swapped),
		T(test_khugepaged_swap_limit),
		T(test_collapse_after_fork),
		T(test_collapse_swapin_error),
		T(test_max_ptes_swap_knob),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
