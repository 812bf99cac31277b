// SPDX-License-Identifier: MIT
/*
 * test_gup_folio.c - pins belong to the folio.  A pin taken through any
 * page of a large folio may be released through any page of it, or
 * through the folio (unpin_user_page, unpin_user_pages*, the range
 * variant, unpin_folio(s), unpin_user_folio), as Linux's gup_put_folio()
 * works on the folio.  Every test runs in each combination of pin
 * accounting (linux, exact), pin registry (on, off) and pin_debug (on,
 * off); the checks that need per-page counts only run where they are
 * kept.  The fixture's teardown checks that pnm_fini() leaks no frame.
 */
#include "gup_test.h"

/* One configuration of the matrix, passed as the test's prestate. */
struct folio_cfg {
	enum pnm_pin_accounting accounting;
	bool registry;
	bool debug;
};

static int setup_cfg(void **state)
{
	const struct folio_cfg *fc = *state;
	struct pnm_config cfg;

	pnm_test_config(&cfg);
	cfg.pin_accounting = fc->accounting;
	cfg.pin_registry = fc->registry;
	cfg.pin_debug = fc->debug;
	pnm_test_init_with(&cfg);
	return 0;
}

static unsigned long all_misuse(void)
{
	unsigned long n = 0;

	for (int k = 0; k < PNM_NR_MISUSE; k++)
		n += pnm_misuse_count((enum pnm_misuse_kind)k);
	return n;
}

/* Are stray unpins detected in this configuration? */
static bool checks_on(void)
{
	return pnm_unpin_needs_check();
}

/* The folio has no pin left, its per-page counts are all 0 and it holds
 * only its mapping's reference; the statistics balance. */
static void assert_unpinned(struct folio *folio)
{
	assert_false(folio_maybe_dma_pinned(folio));
	if (folio_has_pincount(folio))	/* page[1]: large folios only */
		assert_int_equal(atomic_read(&folio->_pincount), 0);
	for (unsigned long i = 0; i < folio_nr_pages(folio); i++)
		assert_int_equal(atomic_read(&folio_page(folio, i)->pnm_pincount), 0);
	assert_int_equal(folio_ref_count(folio), 1);
	assert_int_equal(global_stat(NR_FOLL_PIN_ACQUIRED), global_stat(NR_FOLL_PIN_RELEASED));
	assert_int_equal(pnm_pin_registry_count(-1), 0);
}

enum release_api {
	R_USER_PAGE, R_USER_PAGES, R_DIRTY_LOCK, R_RANGE, R_FOLIO, R_FOLIOS,
	R_USER_FOLIO, R_OTHER_TAIL, NR_RELEASE_API
};

/* Release one pin of @folio the way @api names it: through the head page,
 * the folio, or (R_OTHER_TAIL) its page 300. */
static void release_one(enum release_api api, struct folio *folio)
{
	struct page *head = &folio->page;

	switch (api) {
	case R_USER_PAGE:
		unpin_user_page(head);
		break;
	case R_USER_PAGES:
		unpin_user_pages(&head, 1);
		break;
	case R_DIRTY_LOCK:
		unpin_user_pages_dirty_lock(&head, 1, true);
		break;
	case R_RANGE:
		unpin_user_page_range_dirty_lock(head, 1, false);
		break;
	case R_FOLIO:
		unpin_folio(folio);
		break;
	case R_FOLIOS:
		unpin_folios(&folio, 1);
		break;
	case R_USER_FOLIO:
		unpin_user_folio(folio, 1);
		break;
	case R_OTHER_TAIL:
		unpin_user_page(folio_page(folio, 300));
		break;
	case NR_RELEASE_API:
		break;
	}
}

/*
 * The first pattern: a 2 MiB THP pinned through its page 5 and
 * released through its head (or the folio, or another tail), by every
 * release function.  No misuse, nothing left pinned.
 */
static void test_thp_subpage_release_through_head(void **state)
{
	struct task_struct *t = gt_task("thp");
	unsigned long huge = gt_thp(t, 0x5a);
	struct folio *folio = test_folio(t, huge);
	struct task_struct *prev;
	struct page *page;

	(void)state;
	for (int api = 0; api < NR_RELEASE_API; api++) {
		assert_int_equal(gt_pin(t, huge + 5 * PG, 1, FOLL_WRITE, &page), 1);
		assert_ptr_equal(page, folio_page(folio, 5));
		assert_true(folio_maybe_dma_pinned(folio));
		assert_int_equal(atomic_read(&folio->_pincount), 1);
		if (pnm_pin_shadow_count())
			assert_int_equal(atomic_read(&page->pnm_pincount), 1);
		CHECK_ALL();
		prev = pnm_task_enter(t);
		release_one((enum release_api)api, folio);
		pnm_task_leave(prev);
		assert_unpinned(folio);
		assert_int_equal(all_misuse(), 0);
		CHECK_ALL();
	}
}

/*
 * The second pattern (io_uring's fixed buffers): all 512 pages of
 * a THP pinned, 511 pins released with unpin_folio() and the last with
 * unpin_user_page() of the head.
 */
static void test_iouring_pattern(void **state)
{
	struct task_struct *t = gt_task("uring");
	unsigned long huge = gt_thp(t, 0x33);
	struct folio *folio = test_folio(t, huge);
	struct page **pages = calloc(HPAGE_PMD_NR, sizeof(*pages));

	(void)state;
	assert_non_null(pages);
	assert_int_equal(gt_pin(t, huge, HPAGE_PMD_NR, FOLL_WRITE, pages), HPAGE_PMD_NR);
	assert_int_equal(atomic_read(&folio->_pincount), HPAGE_PMD_NR);
	assert_int_equal(folio_ref_count(folio), 1 + HPAGE_PMD_NR);
	CHECK_ALL();
	for (unsigned long i = 0; i < HPAGE_PMD_NR - 1; i++)
		unpin_folio(folio);
	assert_int_equal(atomic_read(&folio->_pincount), 1);
	assert_true(folio_maybe_dma_pinned(folio));
	if (pnm_pin_shadow_count()) {
		/* The folio's pins went head first: the last page keeps its. */
		assert_int_equal(atomic_read(&pages[HPAGE_PMD_NR - 1]->pnm_pincount), 1);
		assert_int_equal(atomic_read(&pages[0]->pnm_pincount), 0);
	}
	if (pnm_get_config()->pin_registry)
		assert_int_equal(pnm_pin_registry_count(-1), 1);
	CHECK_ALL();
	unpin_user_page(pages[0]);
	assert_unpinned(folio);
	assert_int_equal(all_misuse(), 0);
	CHECK_ALL();
	free(pages);
}

/*
 * unpin_user_folio(): many pins at once, whatever pages they were taken
 * through; asking for more than the folio has releases what it has and
 * reports the rest once (where unpins are checked).
 */
static void test_unpin_user_folio(void **state)
{
	struct task_struct *t = gt_task("ufolio");
	unsigned long huge = gt_thp(t, 0x11);
	struct folio *folio = test_folio(t, huge);
	struct page **pages = calloc(HPAGE_PMD_NR, sizeof(*pages));
	long rel;

	(void)state;
	assert_non_null(pages);
	assert_int_equal(gt_pin(t, huge, HPAGE_PMD_NR, FOLL_WRITE, pages), HPAGE_PMD_NR);
	rel = global_stat(NR_FOLL_PIN_RELEASED);
	unpin_user_folio(folio, 0);
	assert_int_equal(atomic_read(&folio->_pincount), HPAGE_PMD_NR);
	unpin_user_folio(folio, HPAGE_PMD_NR);
	assert_int_equal(global_stat(NR_FOLL_PIN_RELEASED), rel + HPAGE_PMD_NR);
	assert_unpinned(folio);
	assert_int_equal(all_misuse(), 0);
	CHECK_ALL();

	/* Three pins through pages 5..7, released as one folio. */
	assert_int_equal(gt_pin(t, huge + 5 * PG, 3, 0, pages), 3);
	if (!checks_on()) {
		unpin_user_folio(folio, 3);
		assert_unpinned(folio);
		free(pages);
		return;
	}
	/* Five asked, three there: three released, one report. */
	unpin_user_folio(folio, 5);
	assert_unpinned(folio);
	assert_int_equal(all_misuse(), 1);
	assert_int_equal(pnm_misuse_count(pnm_get_config()->pin_registry ?
					  PNM_MISUSE_OVER_UNPIN : PNM_MISUSE_UNPIN_UNPINNED), 1);
	CHECK_ALL();
	free(pages);
}

/*
 * What the exact per-page counts (and the registry) say after releases
 * through other pages of the folio: a release takes the named page's pin
 * if it has one, else the first pinned page's from the head on.  Only a
 * folio with no pin left makes an unpin a misuse, which is refused.
 */
static void test_cross_page_counts(void **state)
{
	struct task_struct *t = gt_task("counts");
	unsigned long huge = gt_thp(t, 0x77);
	struct folio *folio = test_folio(t, huge);
	struct page *p5, *p9a, *p9b, *head = &folio->page;
	struct task_struct *prev;
	bool shadow = pnm_pin_shadow_count(), reg = pnm_get_config()->pin_registry;
	int refs;

	(void)state;
	assert_int_equal(gt_pin(t, huge + 5 * PG, 1, 0, &p5), 1);
	assert_int_equal(gt_pin(t, huge + 9 * PG, 1, 0, &p9a), 1);
	assert_int_equal(gt_pin(t, huge + 9 * PG, 1, FOLL_WRITE, &p9b), 1);
	assert_ptr_equal(p9a, p9b);
	assert_int_equal(atomic_read(&folio->_pincount), 3);
	if (reg)
		assert_int_equal(pnm_pin_registry_count(-1), 3);
	CHECK_ALL();

	/* Through page 9, which has pins: its own. */
	prev = pnm_task_enter(t);
	unpin_user_page(p9a);
	pnm_task_leave(prev);
	assert_int_equal(atomic_read(&folio->_pincount), 2);
	if (shadow) {
		assert_int_equal(atomic_read(&p5->pnm_pincount), 1);
		assert_int_equal(atomic_read(&p9a->pnm_pincount), 1);
	}
	CHECK_ALL();
	/* Through the head, which has none: the first pinned page, 5. */
	unpin_user_page(head);
	assert_int_equal(atomic_read(&folio->_pincount), 1);
	if (shadow) {
		assert_int_equal(atomic_read(&p5->pnm_pincount), 0);
		assert_int_equal(atomic_read(&p9a->pnm_pincount), 1);
	}
	if (reg)
		assert_int_equal(pnm_pin_registry_count(-1), 1);
	CHECK_ALL();
	/* Through page 5, which has none left: page 9's. */
	unpin_user_page(p5);
	assert_unpinned(folio);
	assert_int_equal(all_misuse(), 0);
	CHECK_ALL();
	if (!checks_on())
		return;		/* nothing could tell the misuse below */

	/* The folio has no pin left: a misuse, refused. */
	refs = folio_ref_count(folio);
	unpin_user_page(head);
	assert_int_equal(folio_ref_count(folio), refs);
	assert_int_equal(all_misuse(), 1);
	/* With the registry, the released pins of the folio are remembered. */
	assert_int_equal(pnm_misuse_count(reg ? PNM_MISUSE_OVER_UNPIN :
					  PNM_MISUSE_UNPIN_UNPINNED), 1);
	unpin_folio(folio);
	assert_int_equal(folio_ref_count(folio), refs);
	assert_int_equal(all_misuse(), 2);
	assert_unpinned(folio);
	CHECK_ALL();
}

/*
 * A batch naming one page of the folio more often than it was pinned
 * through that page: the other pages' pins go, nothing is refused.
 */
static void test_batch_through_one_page(void **state)
{
	struct task_struct *t = gt_task("batch");
	unsigned long huge = gt_thp(t, 0x42);
	struct folio *folio = test_folio(t, huge);
	struct page *pages[4], *same[4];

	(void)state;
	assert_int_equal(gt_pin(t, huge + 100 * PG, 4, FOLL_WRITE, pages), 4);
	for (int i = 0; i < 4; i++)
		same[i] = pages[3];
	unpin_user_pages_dirty_lock(same, 4, true);
	assert_true(folio_test_dirty(folio));
	assert_unpinned(folio);
	assert_int_equal(all_misuse(), 0);
	CHECK_ALL();
}

/*
 * gup_put_folio() (folio-level release, no registry check) of a pin taken
 * through a tail page: the exact counts follow the folio rule too (they
 * must not go negative on the head).  The pin is taken with
 * try_grab_folio()'s page-precise sibling as gup does, without a record.
 */
static void test_gup_put_folio_tail_pin(void **state)
{
	struct task_struct *t = gt_task("put");
	unsigned long huge = gt_thp(t, 0x21);
	struct folio *folio = test_folio(t, huge);

	(void)state;
	mmap_read_lock(t->mm);
	assert_int_equal(pnm_grab_pages(folio_page(folio, 5), 1, FOLL_PIN), 0);
	mmap_read_unlock(t->mm);
	assert_true(folio_maybe_dma_pinned(folio));
	CHECK_ALL();
	gup_put_folio(folio, 1, FOLL_PIN);
	assert_unpinned(folio);
	CHECK_ALL();
}

/* The folio checker catches per-page counts that do not add up to the
 * folio's _pincount (where they are kept). */
static void test_checker_pin_sum(void **state)
{
	struct task_struct *t = gt_task("check");
	unsigned long huge = gt_thp(t, 0x01);
	struct folio *folio = test_folio(t, huge);

	(void)state;
	if (!pnm_pin_shadow_count())
		return;
	CHECK_ALL();
	atomic_inc(&folio_page(folio, 7)->pnm_pincount);
	assert_false(pnm_check_folio(folio));
	atomic_dec(&folio_page(folio, 7)->pnm_pincount);
	assert_true(pnm_check_folio(folio));
	CHECK_ALL();
}

static const struct folio_cfg cfgs[] = {
	{ PNM_PIN_ACCOUNTING_LINUX, true, true },
	{ PNM_PIN_ACCOUNTING_LINUX, true, false },
	{ PNM_PIN_ACCOUNTING_LINUX, false, true },
	{ PNM_PIN_ACCOUNTING_LINUX, false, false },	/* production */
	{ PNM_PIN_ACCOUNTING_EXACT, true, true },
	{ PNM_PIN_ACCOUNTING_EXACT, true, false },
	{ PNM_PIN_ACCOUNTING_EXACT, false, true },
	{ PNM_PIN_ACCOUNTING_EXACT, false, false },
};

#define MATRIX(fn)							\
	cmocka_unit_test_prestate_setup_teardown(fn, setup_cfg, pnm_test_teardown, (void *)&cfgs[0]), \
	cmocka_unit_test_prestate_setup_teardown(fn, setup_cfg, pnm_test_teardown, (void *)&cfgs[1]), \
	cmocka_unit_test_prestate_setup_teardown(fn, setup_cfg, pnm_test_teardown, (void *)&cfgs[2]), \
	cmocka_unit_test_prestate_setup_teardown(fn, setup_cfg, pnm_test_teardown, (void *)&cfgs[3]), \
	cmocka_unit_test_prestate_setup_teardown(fn, setup_cfg, pnm_test_teardown, (void *)&cfgs[4]), \
	cmocka_unit_test_prestate_setup_teardown(fn, setup_cfg, pnm_test_teardown, (void *)&cfgs[5]), \
	cmocka_unit_test_prestate_setup_teardown(fn, setup_cfg, pnm_test_teardown, (void *)&cfgs[6]), \
	cmocka_unit_test_prestate_setup_teardown(fn, setup_cfg, pnm_test_teardown, (void *)&cfgs[7])

/*
 * unpin_user_pages() finds a folio's run by descriptor adjacency first and
 * by page_folio() after: an array of one THP's pages in and out of order,
 * with an order-0 page between two runs, releases every pin exactly (the
 * per-page counts, the registry and the statistics balance).
 */
static void test_unpin_runs_out_of_order(void **state)
{
	struct task_struct *t = gt_task("runs");
	unsigned long huge = gt_thp(t, 0x5a);
	unsigned long small = test_mmap(t, PG, PROT_READ | PROT_WRITE,
					MAP_PRIVATE | MAP_ANONYMOUS);
	struct folio *folio = test_folio(t, huge);
	struct page *pages[8], *one, *mixed[9];
	static const int order[8] = { 0, 1, 2, 5, 4, 3, 7, 6 };

	(void)state;
	test_write_byte(t, small, 1);
	assert_int_equal(gt_pin(t, huge + 508 * PG, 4, FOLL_WRITE, pages), 4);
	assert_int_equal(gt_pin(t, huge + 508 * PG - 4 * PG, 4, FOLL_WRITE, pages + 4), 4);
	assert_int_equal(gt_pin(t, small, 1, FOLL_WRITE, &one), 1);
	/* pages[0..3]: the folio's last four pages; pages[4..7]: the four
	 * before them.  Mixed: 508..510 in order, the order-0 page, then the
	 * rest out of order, ending on the folio's last page. */
	for (int i = 0, k = 0; i < 9; i++)
		mixed[i] = i == 3 ? one : pages[order[k++]];
	unpin_user_pages(mixed, 9);
	assert_unpinned(folio);
	assert_false(folio_maybe_dma_pinned(page_folio(one)));
	assert_int_equal(all_misuse(), 0);
	CHECK_ALL();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		MATRIX(test_thp_subpage_release_through_head),
		MATRIX(test_iouring_pattern),
		MATRIX(test_unpin_user_folio),
		MATRIX(test_cross_page_counts),
		MATRIX(test_batch_through_one_page),
		MATRIX(test_gup_put_folio_tail_pin),
		MATRIX(test_checker_pin_sum),
		MATRIX(test_unpin_runs_out_of_order),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
