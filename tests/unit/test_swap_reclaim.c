// SPDX-License-Identifier: MIT
/*
 * test_swap_reclaim.c - reclaim of anonymous memory: the anon LRU lists
 * and their aging (a page used since reclaim last looked is kept, then
 * activated; the active list refills the inactive one), MADV_COLD
 * (deactivate: reclaimed before pages in use), MADV_FREE (lazily freed
 * pages dropped instead of swapped, a write cancels it, also without a
 * swap device), MADV_PAGEOUT of THPs (split, every page swapped), a full
 * device, and migration of a page still in the swap cache (by
 * pnm_migrate_range and by a long-term pin).
 */
#include "swap_test.h"

/* New anon pages enter the inactive list; the gauges follow the lists. */
static void test_anon_lru_lists(void **state)
{
	struct task_struct *t = test_task_create("t");
	unsigned long a = test_mmap(t, 4 * PG, PROT_RW, MAP_ANON_PRIV);
	long inactive = global_stat(NR_INACTIVE_ANON);
	struct pnm_page_info pi = { .size = sizeof(pi) };

	(void)state;
	swap_test_fill(t, a, 4, 1);
	CHECK_ALL();
	assert_int_equal(global_stat(NR_INACTIVE_ANON), inactive + 4);
	assert_int_equal(pnm_lru_list_pages(LRU_INACTIVE_ANON), (unsigned long)inactive + 4);
	assert_int_equal(pnm_task_page_info(t, a, &pi), 0);
	assert_true(pi.flags & PNM_PAGE_LRU);
	assert_false(pi.flags & PNM_PAGE_ACTIVE);
	assert_int_equal(pnm_munmap(t, a, 2 * PG), 0);
	assert_int_equal(global_stat(NR_INACTIVE_ANON), inactive + 2);
	pnm_task_exit(t);
	assert_int_equal(global_stat(NR_INACTIVE_ANON), inactive);
	CHECK_ALL();
}

/*
 * Aging: reclaim keeps a page whose PTE was accessed since it last looked
 * (the fault that made it counts), reclaims it the next time if unused,
 * and activates it if it was used again; the active list refills the
 * inactive list when that is the shorter.  Without may_unmap nothing
 * anonymous is reclaimed.
 */
static void test_reclaim_ages_anon(void **state)
{
	struct task_struct *t = test_task_create("t");
	unsigned long a = test_mmap(t, 4 * PG, PROT_RW, MAP_ANON_PRIV);
	long out, act, deact, scan;

	(void)state;
	swap_test_fill(t, a, 4, 2);
	assert_int_equal(pnm_reclaim_pages(100, false), 0);
	assert_false(swap_test_entry(t, a, NULL));

	out = global_stat(PSWPOUT);
	scan = global_stat(PGSCAN_ANON);
	assert_int_equal(pnm_reclaim_pages(100, true), 0);	/* all just used */
	CHECK_ALL();
	assert_int_equal(global_stat(PSWPOUT), out);
	assert_int_equal(global_stat(PGSCAN_ANON), scan + 4);
	assert_true(PageReferenced(&test_folio(t, a)->page));

	/* Page 0 used again: activated; the others go. */
	assert_int_equal(test_read_byte(t, a), swap_test_byte(2, 0, 0));
	act = global_stat(PGACTIVATE);
	assert_int_equal(pnm_reclaim_pages(100, true), 3);
	CHECK_ALL();
	assert_int_equal(global_stat(PSWPOUT), out + 3);
	assert_int_equal(global_stat(PGACTIVATE), act + 1);
	assert_int_equal(global_stat(NR_ACTIVE_ANON), 1);
	assert_false(swap_test_entry(t, a, NULL));
	assert_true(swap_test_all_swapped(t, a + PG, 3));

	/* The inactive list is empty: the active page is moved over (its
	 * accessed bit cleared on the way) and reclaimed. */
	deact = global_stat(PGDEACTIVATE);
	assert_int_equal(pnm_reclaim_pages(100, true), 1);
	CHECK_ALL();
	assert_int_equal(global_stat(PGDEACTIVATE), deact + 1);
	assert_int_equal(global_stat(NR_ACTIVE_ANON), 0);
	assert_true(swap_test_all_swapped(t, a, 4));
	assert_true(swap_test_holds(t, a, 0, 4, 2));
	CHECK_ALL();
}

/* MADV_COLD: the cold page is reclaimed first, the page in use kept; an
 * active page is deactivated. */
static void test_madv_cold(void **state)
{
	struct task_struct *t = test_task_create("t");
	unsigned long a = test_mmap(t, 2 * PG, PROT_RW, MAP_ANON_PRIV);
	long deact;

	(void)state;
	swap_test_fill(t, a, 2, 3);
	assert_int_equal(pnm_madvise(t, a, PG, MADV_COLD), 0);
	CHECK_ALL();
	assert_int_equal(pnm_reclaim_pages(1, true), 1);
	CHECK_ALL();
	assert_true(swap_test_entry(t, a, NULL));
	assert_false(swap_test_entry(t, a + PG, NULL));

	/* Page 1 used again: the next reclaim activates it; COLD undoes it. */
	assert_int_equal(test_read_byte(t, a + PG), swap_test_byte(3, 1, 0));
	assert_int_equal(pnm_reclaim_pages(1, true), 0);
	assert_true(folio_test_active(test_folio(t, a + PG)));
	deact = global_stat(PGDEACTIVATE);
	assert_int_equal(pnm_madvise(t, a, 2 * PG, MADV_COLD), 0);
	CHECK_ALL();
	assert_int_equal(global_stat(PGDEACTIVATE), deact + 1);
	assert_false(folio_test_active(test_folio(t, a + PG)));
	assert_int_equal(pnm_reclaim_pages(1, true), 1);
	assert_true(swap_test_all_swapped(t, a, 2));
	assert_true(swap_test_holds(t, a, 0, 2, 3));

	/* Refused where Linux refuses it. */
	assert_int_equal(pnm_mlock(t, a, PG), 0);
	assert_int_equal(pnm_madvise(t, a, PG, MADV_COLD), -EINVAL);
	assert_int_equal(pnm_madvise(t, a, PG, MADV_PAGEOUT), -EINVAL);
	assert_int_equal(pnm_madvise(t, a, PG, MADV_FREE), -EINVAL);
	CHECK_ALL();
}

/*
 * MADV_FREE: the pages become lazily freed (on the file list, no
 * PG_swapbacked); reclaim drops them without swap; one written since is
 * kept (swap-backed again) with its data; a swapped-out page in the
 * range loses its slot at once.  Works without a swap device.
 */
static void test_madv_free(void **state)
{
	struct task_struct *t = test_task_create("t");
	unsigned long a = test_mmap(t, 5 * PG, PROT_RW, MAP_ANON_PRIV);
	long lazy = global_stat(PGLAZYFREE), lazied = global_stat(PGLAZYFREED);
	unsigned long file = pnm_lru_pages();
	struct pnm_mm_info mi = { .size = sizeof(mi) };

	(void)state;
	swap_test_fill(t, a, 5, 4);
	assert_int_equal(pnm_madvise(t, a + 4 * PG, PG, MADV_PAGEOUT), 0);
	assert_int_equal(swap_test_used(), 1);
	assert_int_equal(pnm_madvise(t, a, 5 * PG, MADV_FREE), 0);
	CHECK_ALL();
	assert_int_equal(global_stat(PGLAZYFREE), lazy + 4);
	assert_int_equal(pnm_lru_pages(), file + 4);
	assert_int_equal(swap_test_used(), 0);		/* the swapped page's slot */
	assert_false(swap_test_entry(t, a + 4 * PG, NULL));
	assert_false(folio_test_swapbacked(test_folio(t, a)));
	assert_false(folio_test_dirty(test_folio(t, a)));

	/* A write cancels it for that page. */
	test_write_byte(t, a + PG, 0x77);
	assert_int_equal(pnm_swapoff(), 0);		/* no swap needed */
	assert_int_equal(pnm_reclaim_pages(100, true), 3);
	CHECK_ALL();
	assert_int_equal(global_stat(PGLAZYFREED), lazied + 3);
	assert_int_equal(pnm_task_mm_info(t, &mi), 0);
	assert_int_equal(mi.rss_anon, 1);
	/* Page 1 was kept for its accessed bit; looked at again, its dirty
	 * PTE makes it swap-backed (and active) again. */
	assert_false(folio_test_swapbacked(test_folio(t, a + PG)));
	assert_int_equal(pnm_reclaim_pages(100, true), 0);
	CHECK_ALL();
	assert_true(folio_test_swapbacked(test_folio(t, a + PG)));
	assert_true(folio_test_active(test_folio(t, a + PG)));
	assert_int_equal(test_read_byte(t, a + PG), 0x77);
	assert_int_equal(test_read_byte(t, a + PG + 1), swap_test_byte(4, 1, 1));
	/* The dropped pages read as zeroes. */
	assert_int_equal(test_read_byte(t, a), 0);
	assert_int_equal(test_read_byte(t, a + 3 * PG + 5), 0);
	assert_int_equal(test_read_byte(t, a + 4 * PG), 0);
	CHECK_ALL();
}

/* MADV_FREE leaves pages shared with a fork child alone, and refuses a
 * file mapping. */
static void test_madv_free_shared(void **state)
{
	struct task_struct *p = test_task_create("p"), *c;
	unsigned long a = test_mmap(p, 2 * PG, PROT_RW, MAP_ANON_PRIV);
	unsigned long s = test_mmap(p, PG, PROT_RW, MAP_SHARED | MAP_ANONYMOUS);
	long lazy = global_stat(PGLAZYFREE);

	(void)state;
	swap_test_fill(p, a, 2, 5);
	c = test_fork(p);
	test_write_byte(p, a + PG, 9);		/* page 1: the parent's own */
	assert_int_equal(pnm_madvise(p, a, 2 * PG, MADV_FREE), 0);
	CHECK_ALL();
	assert_int_equal(global_stat(PGLAZYFREE), lazy + 1);
	assert_true(folio_test_swapbacked(test_folio(p, a)));
	assert_int_equal(pnm_madvise(p, s, PG, MADV_FREE), -EINVAL);
	assert_int_equal(pnm_reclaim_pages(100, true), 1);
	assert_true(swap_test_holds(c, a, 0, 2, 5));
	pnm_task_exit(c);
	CHECK_ALL();
}

/* MADV_PAGEOUT of a THP: split (thp_split_page), every page swapped,
 * back intact; a range covering part of one splits it too. */
static void test_thp_pageout(void **state)
{
	struct task_struct *t = test_task_create("t");
	unsigned long a = test_mmap(t, 4 * HPAGE_PMD_SIZE, PROT_RW, MAP_ANON_PRIV);
	long split, out;

	(void)state;
	a = ALIGN(a, HPAGE_PMD_SIZE);
	assert_int_equal(pnm_madvise(t, a, 2 * HPAGE_PMD_SIZE, MADV_HUGEPAGE), 0);
	swap_test_fill(t, a, 2 * HPAGE_PMD_NR, 6);
	assert_int_equal(folio_order(test_folio(t, a)), HPAGE_PMD_ORDER);
	assert_int_equal(folio_order(test_folio(t, a + HPAGE_PMD_SIZE)), HPAGE_PMD_ORDER);
	CHECK_ALL();
	split = global_stat(THP_SPLIT_PAGE);
	out = global_stat(PSWPOUT);
	assert_int_equal(pnm_madvise(t, a, HPAGE_PMD_SIZE, MADV_PAGEOUT), 0);
	CHECK_ALL();
	assert_int_equal(global_stat(THP_SPLIT_PAGE), split + 1);
	assert_int_equal(global_stat(PSWPOUT), out + HPAGE_PMD_NR);
	assert_true(swap_test_all_swapped(t, a, HPAGE_PMD_NR));
	assert_int_equal(swap_test_swapents(t), HPAGE_PMD_NR);

	/* Part of the second one: split, just those pages go. */
	assert_int_equal(pnm_madvise(t, a + HPAGE_PMD_SIZE + 8 * PG, 4 * PG, MADV_PAGEOUT), 0);
	CHECK_ALL();
	assert_int_equal(global_stat(THP_SPLIT_PAGE), split + 2);
	assert_true(swap_test_all_swapped(t, a + HPAGE_PMD_SIZE + 8 * PG, 4));
	assert_false(swap_test_entry(t, a + HPAGE_PMD_SIZE + 7 * PG, NULL));
	assert_false(swap_test_entry(t, a + HPAGE_PMD_SIZE + 12 * PG, NULL));
	assert_true(swap_test_holds(t, a, 0, 2 * HPAGE_PMD_NR, 6));
	CHECK_ALL();
}

/* MADV_FREE of a whole THP: lazily freed as one folio, split and dropped
 * by reclaim; a THP partly in the range is split first. */
static void test_madv_free_thp(void **state)
{
	struct task_struct *t = test_task_create("t");
	unsigned long a = test_mmap(t, 3 * HPAGE_PMD_SIZE, PROT_RW, MAP_ANON_PRIV);
	long lazy = global_stat(PGLAZYFREE), lazied = global_stat(PGLAZYFREED);
	long split = global_stat(THP_SPLIT_PAGE);

	(void)state;
	a = ALIGN(a, HPAGE_PMD_SIZE);
	assert_int_equal(pnm_madvise(t, a, 2 * HPAGE_PMD_SIZE, MADV_HUGEPAGE), 0);
	swap_test_fill(t, a, 2 * HPAGE_PMD_NR, 9);
	assert_int_equal(folio_order(test_folio(t, a)), HPAGE_PMD_ORDER);
	assert_int_equal(pnm_madvise(t, a, HPAGE_PMD_SIZE, MADV_FREE), 0);
	CHECK_ALL();
	assert_int_equal(global_stat(PGLAZYFREE), lazy + HPAGE_PMD_NR);
	assert_int_equal(global_stat(THP_SPLIT_PAGE), split);
	assert_int_equal(folio_order(test_folio(t, a)), HPAGE_PMD_ORDER);
	/* Four pages of the second one: split, only those lazily freed. */
	assert_int_equal(pnm_madvise(t, a + HPAGE_PMD_SIZE, 4 * PG, MADV_FREE), 0);
	CHECK_ALL();
	assert_int_equal(global_stat(THP_SPLIT_PAGE), split + 1);
	assert_int_equal(global_stat(PGLAZYFREE), lazy + HPAGE_PMD_NR + 4);
	assert_int_equal(pnm_swapoff(), 0);
	assert_int_equal(pnm_reclaim_pages(10000, true), HPAGE_PMD_NR + 4);
	CHECK_ALL();
	assert_int_equal(global_stat(PGLAZYFREED), lazied + HPAGE_PMD_NR + 4);
	assert_int_equal(test_read_byte(t, a + 100 * PG), 0);
	assert_int_equal(test_read_byte(t, a + HPAGE_PMD_SIZE + 3 * PG), 0);
	assert_true(swap_test_holds(t, a, HPAGE_PMD_NR + 4, HPAGE_PMD_NR - 4, 9));
	CHECK_ALL();
}

/* A full device: the pages that find no slot stay (pnm_swap_full). */
static void test_swap_full(void **state)
{
	struct task_struct *t = test_task_create("t");
	unsigned long a = test_mmap(t, 8 * PG, PROT_RW, MAP_ANON_PRIV);
	long full = global_stat(PNM_SWAP_FULL);

	(void)state;
	assert_int_equal(pnm_swapoff(), 0);
	assert_int_equal(pnm_swapon(NULL, 5), 0);	/* 4 slots */
	swap_test_fill(t, a, 8, 7);
	assert_int_equal(pnm_madvise(t, a, 8 * PG, MADV_PAGEOUT), 0);
	CHECK_ALL();
	assert_int_equal(global_stat(PNM_SWAP_FULL), full + 4);
	assert_int_equal(swap_test_used(), 4);
	assert_int_equal(swap_test_swapents(t), 4);
	assert_true(swap_test_all_swapped(t, a, 4));
	assert_false(swap_test_entry(t, a + 4 * PG, NULL));
	assert_true(swap_test_holds(t, a, 0, 8, 7));
	CHECK_ALL();
}

/*
 * A page read back stays in the swap cache; migration moves it with its
 * slot (the cache's reference counted, the slot re-pointed), so both a
 * pnm_migrate_range() and the migration of a long-term pin work on it.
 */
static void test_migrate_swapcache(void **state)
{
	struct task_struct *t = test_task_create("t");
	unsigned long a = test_mmap(t, 2 * PG, PROT_RW, MAP_ANON_PRIV);
	struct pnm_page_info pi = { .size = sizeof(pi) };
	unsigned long old;
	struct page *page;
	long out;

	(void)state;
	swap_test_fill(t, a, 2, 8);
	assert_int_equal(pnm_madvise(t, a, 2 * PG, MADV_PAGEOUT), 0);
	assert_true(swap_test_holds(t, a, 0, 2, 8));	/* back, cached */
	assert_int_equal(swap_test_cached(), 2);
	assert_int_equal(page_zonenum(pfn_to_page(test_pfn(t, a))), ZONE_MOVABLE);
	old = test_pfn(t, a);
	assert_int_equal(pnm_migrate_range(t, a, PG, PNM_ZONE_NORMAL), 1);
	CHECK_ALL();
	assert_true(test_pfn(t, a) != old);
	assert_int_equal(pnm_task_page_info(t, a, &pi), 0);
	assert_true(pi.flags & PNM_PAGE_SWAPCACHE);
	assert_int_equal(pi.zone, PNM_ZONE_NORMAL);
	assert_int_equal(swap_test_cached(), 2);
	/* Still the slot's clean copy: out again without a write. */
	out = global_stat(PSWPOUT);
	assert_int_equal(pnm_madvise(t, a, PG, MADV_PAGEOUT), 0);
	assert_int_equal(global_stat(PSWPOUT), out);
	assert_true(swap_test_holds(t, a, 0, 2, 8));
	CHECK_ALL();

	/* A long-term pin of the other one (cached, in Movable). */
	pnm_task_enter(t);
	assert_int_equal(pin_user_pages_fast(a + PG, 1, FOLL_WRITE | FOLL_LONGTERM, &page), 1);
	pnm_task_enter(NULL);
	CHECK_ALL();
	assert_int_equal(page_zonenum(page), ZONE_NORMAL);
	assert_int_equal(page_to_pfn(page), test_pfn(t, a + PG));
	unpin_user_page(page);
	assert_true(swap_test_holds(t, a, 0, 2, 8));
	CHECK_ALL();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_anon_lru_lists, swap_test_setup,
						pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_reclaim_ages_anon, swap_test_setup,
						pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_madv_cold, swap_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_madv_free, swap_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_madv_free_shared, swap_test_setup,
						pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_thp_pageout, swap_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_madv_free_thp, swap_test_setup,
						pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_swap_full, swap_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_migrate_swapcache, swap_test_setup,
						pnm_test_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
