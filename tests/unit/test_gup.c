// SPDX-License-Identifier: MIT
/*
 * test_gup.c - get_user_pages/pin_user_pages basics (gup.c): what the
 * calls return, partial success, the refcount and pin-count arithmetic of
 * both accounting modes (GUP_PIN_COUNTING_BIAS and its false positive at
 * 1024 references, none in exact mode), large folio _pincount,
 * nr_foll_pin_acquired/released per base page, the zero page, the overflow
 * guard, MMF_HAS_PINNED, migration/compaction refusing pinned pages, a
 * pinned page outliving its mapping, long-term migration out of MOVABLE,
 * the dirtying unpins, the unpin family's edge cases, legacy mode, the
 * _remote/_unlocked variants, FOLL_SPLIT_PMD, raw pfn entries (-EEXIST)
 * and VM_IO/VM_PFNMAP mappings.
 */
#include <limits.h>
#include <pthread.h>

#include "gup_test.h"

static void init_mode(enum pnm_pin_accounting mode, bool legacy)
{
	struct pnm_config cfg;

	pnm_test_config(&cfg);
	cfg.pin_accounting = mode;
	cfg.legacy_gup = legacy;
	pnm_test_init_with(&cfg);
}

static int setup_exact(void **state)
{
	(void)state;
	init_mode(PNM_PIN_ACCOUNTING_EXACT, false);
	return 0;
}

static int setup_legacy(void **state)
{
	(void)state;
	init_mode(PNM_PIN_ACCOUNTING_LINUX, true);
	return 0;
}

static bool exact_mode(void)
{
	return pnm_config.pin_accounting == PNM_PIN_ACCOUNTING_EXACT;
}

/* The refcount a pin of a small folio adds in the current mode. */
static int small_pin_units(void)
{
	return exact_mode() ? 1 : (int)GUP_PIN_COUNTING_BIAS;
}

/* Pin and get 8 written pages; check pages, counts, release. */
static void test_basics(void **state)
{
	struct task_struct *t = gt_task("gup");
	unsigned long a = test_mmap(t, 8 * PG, RW, PRIV);
	long acq = global_stat(NR_FOLL_PIN_ACQUIRED), rel = global_stat(NR_FOLL_PIN_RELEASED);
	struct page *pages[8];
	int i;

	(void)state;
	for (i = 0; i < 8; i++)
		gt_write(t, a + i * PG, (unsigned char)(0x10 + i), PG);
	CHECK_ALL();
	assert_false(test_bit(MMF_HAS_PINNED, &t->mm->flags));

	/* get_user_pages: one reference each, no pin. */
	assert_int_equal(gt_get(t, a, 8, 0, pages), 8);
	for (i = 0; i < 8; i++) {
		assert_int_equal(page_to_pfn(pages[i]), test_pfn(t, a + i * PG));
		assert_int_equal(gt_page_byte(pages[i], 100), 0x10 + i);
		assert_int_equal(page_ref_count(pages[i]), 2);
		assert_int_equal(atomic_read(&pages[i]->pnm_pincount), 0);
		assert_false(page_maybe_dma_pinned(pages[i]));
	}
	assert_false(test_bit(MMF_HAS_PINNED, &t->mm->flags));
	assert_int_equal(global_stat(NR_FOLL_PIN_ACQUIRED), acq);
	CHECK_ALL();
	gt_put_pages(pages, 8);
	CHECK_ALL();

	/* pin_user_pages: a pin each, counted. */
	assert_int_equal(gt_pin(t, a, 8, FOLL_WRITE, pages), 8);
	assert_true(test_bit(MMF_HAS_PINNED, &t->mm->flags));
	assert_int_equal(global_stat(NR_FOLL_PIN_ACQUIRED), acq + 8);
	for (i = 0; i < 8; i++) {
		assert_int_equal(page_to_pfn(pages[i]), test_pfn(t, a + i * PG));
		assert_int_equal(page_ref_count(pages[i]), 1 + small_pin_units());
		assert_int_equal(atomic_read(&pages[i]->pnm_pincount), 1);
		assert_true(page_maybe_dma_pinned(pages[i]));
	}
	CHECK_ALL();
	/* The process still writes the pinned pages in place. */
	gt_write(t, a, 0x7e, 1);
	assert_int_equal(gt_page_byte(pages[0], 0), 0x7e);
	unpin_user_pages(pages, 8);
	assert_int_equal(global_stat(NR_FOLL_PIN_RELEASED), rel + 8);
	for (i = 0; i < 8; i++) {
		assert_int_equal(page_ref_count(pages[i]), 1);
		assert_int_equal(atomic_read(&pages[i]->pnm_pincount), 0);
		assert_false(page_maybe_dma_pinned(pages[i]));
	}
	CHECK_ALL();
}

/* Two pins of one page from two calls: both counted, both released. */
static void test_double_pin(void **state)
{
	struct task_struct *t = gt_task("gup");
	unsigned long a = test_mmap(t, PG, RW, PRIV);
	struct page *p1, *p2;

	(void)state;
	gt_write(t, a, 1, 1);
	assert_int_equal(gt_pin(t, a, 1, 0, &p1), 1);
	assert_int_equal(gt_pin(t, a, 1, FOLL_WRITE, &p2), 1);
	assert_ptr_equal(p1, p2);
	assert_int_equal(page_ref_count(p1), 1 + 2 * small_pin_units());
	assert_int_equal(atomic_read(&p1->pnm_pincount), 2);
	unpin_user_page(p1);
	assert_true(page_maybe_dma_pinned(p1));
	unpin_user_page(p2);
	assert_false(page_maybe_dma_pinned(p1));
	assert_int_equal(page_ref_count(p1), 1);
	CHECK_ALL();
}

/* Partial success: the count done; nothing done: the errno. */
static void test_partial(void **state)
{
	struct task_struct *t = gt_task("gup");
	unsigned long a = test_mmap(t, 4 * PG, RW, PRIV);
	struct page *pages[8];

	(void)state;
	/* Leave a hole after the mapping. */
	assert_int_equal(pnm_mm_munmap(t->mm, a + 2 * PG, 2 * PG), 0);
	assert_int_equal(gt_pin(t, a, 4, FOLL_WRITE, pages), 2);
	assert_int_equal(atomic_read(&pages[0]->pnm_pincount), 1);
	assert_int_equal(atomic_read(&pages[1]->pnm_pincount), 1);
	CHECK_ALL();
	unpin_user_pages(pages, 2);
	assert_int_equal(gt_get(t, a + PG, 3, FOLL_WRITE, pages), 1);
	gt_put_pages(pages, 1);
	/* Nothing there at all. */
	assert_int_equal(gt_pin(t, a + 2 * PG, 2, 0, pages), -EFAULT);
	assert_int_equal(gt_get(t, a + 2 * PG, 2, 0, pages), -EFAULT);
	/* Zero pages asked for: 0, nothing touched. */
	assert_int_equal(gt_pin(t, a, 0, 0, pages), 0);
	assert_int_equal(gt_get(t, a, 0, 0, pages), 0);
	/* A request straddling two VMAs continues into the second. */
	assert_int_equal(pnm_mm_mmap(t->mm, a + 2 * PG, PG, PROT_READ, PRIV | MAP_FIXED, NULL, 0),
			 (long)(a + 2 * PG));
	assert_int_equal(gt_get(t, a, 3, 0, pages), 3);
	assert_int_equal(page_to_pfn(pages[2]), pnm_mem.zero_pfn);
	gt_put_pages(pages, 3);
	/* ... and stops where the second refuses. */
	assert_int_equal(gt_get(t, a, 3, FOLL_WRITE, pages), 2);
	gt_put_pages(pages, 2);
	CHECK_ALL();
}

/* Linux's false positive: >= 1024 references look pinned on a small
 * folio in linux accounting, never in exact accounting. */
static void test_false_positive(void **state)
{
	struct task_struct *t = gt_task("gup");
	unsigned long a = test_mmap(t, PG, RW, PRIV);
	struct page *page = NULL;
	int i;

	(void)state;
	gt_write(t, a, 1, 1);
	/* The mapping holds one reference; add 1022 more: 1023 in all. */
	for (i = 0; i < 1022; i++)
		assert_int_equal(gt_get(t, a, 1, 0, &page), 1);
	assert_int_equal(page_ref_count(page), 1023);
	assert_false(page_maybe_dma_pinned(page));
	assert_int_equal(gt_get(t, a, 1, 0, &page), 1);
	assert_int_equal(page_ref_count(page), 1024);
	assert_int_equal(page_maybe_dma_pinned(page), !exact_mode());
	assert_int_equal(atomic_read(&page->pnm_pincount), 0);
	for (i = 0; i < 1023; i++)
		put_page(page);
	assert_false(page_maybe_dma_pinned(page));
	CHECK_ALL();
}

/* A large folio counts pins exactly in _pincount; pinning every page of
 * a THP then unpinning each subpage separately balances the counters. */
static void test_thp_pincount(void **state)
{
	struct task_struct *t = gt_task("gup");
	unsigned long a = gt_thp(t, 0x5a);
	struct folio *folio = pfn_folio(test_pfn(t, a));
	long acq = global_stat(NR_FOLL_PIN_ACQUIRED), rel = global_stat(NR_FOLL_PIN_RELEASED);
	int ref0 = folio_ref_count(folio);
	struct page **pages = calloc(HPAGE_PMD_NR, sizeof(*pages));
	unsigned long i;

	(void)state;
	assert_non_null(pages);
	/* A subrange from the middle of the PMD. */
	assert_int_equal(gt_pin(t, a + 100 * PG, 10, FOLL_WRITE, pages), 10);
	assert_int_equal(atomic_read(&folio->_pincount), 10);
	assert_int_equal(folio_ref_count(folio), ref0 + 10);
	assert_int_equal(global_stat(NR_FOLL_PIN_ACQUIRED), acq + 10);
	for (i = 0; i < 10; i++) {
		assert_ptr_equal(pages[i], folio_page(folio, 100 + i));
		assert_int_equal(atomic_read(&pages[i]->pnm_pincount), 1);
	}
	assert_int_equal(atomic_read(&folio_page(folio, 99)->pnm_pincount), 0);
	assert_true(folio_maybe_dma_pinned(folio));
	unpin_user_pages(pages, 10);
	assert_int_equal(atomic_read(&folio->_pincount), 0);
	assert_false(folio_maybe_dma_pinned(folio));
	CHECK_ALL();

	/* The whole THP, then every subpage on its own. */
	acq = global_stat(NR_FOLL_PIN_ACQUIRED);
	rel = global_stat(NR_FOLL_PIN_RELEASED);
	assert_int_equal(gt_pin(t, a, HPAGE_PMD_NR, 0, pages), HPAGE_PMD_NR);
	assert_int_equal(atomic_read(&folio->_pincount), HPAGE_PMD_NR);
	assert_int_equal(folio_ref_count(folio), ref0 + (int)HPAGE_PMD_NR);
	assert_int_equal(global_stat(NR_FOLL_PIN_ACQUIRED), acq + (long)HPAGE_PMD_NR);
	assert_int_equal(folio_entire_mapcount(folio), 1);	/* still PMD-mapped */
	CHECK_ALL();
	for (i = 0; i < HPAGE_PMD_NR; i++) {
		assert_ptr_equal(pages[i], folio_page(folio, i));
		unpin_user_page(pages[i]);
	}
	assert_int_equal(global_stat(NR_FOLL_PIN_RELEASED), rel + (long)HPAGE_PMD_NR);
	assert_int_equal(global_stat(NR_FOLL_PIN_ACQUIRED) - acq,
			 global_stat(NR_FOLL_PIN_RELEASED) - rel);
	assert_int_equal(atomic_read(&folio->_pincount), 0);
	assert_int_equal(folio_ref_count(folio), ref0);

	/* FOLL_GET on a THP: references only. */
	assert_int_equal(gt_get(t, a + PG, 3, 0, pages), 3);
	assert_int_equal(folio_ref_count(folio), ref0 + 3);
	assert_int_equal(atomic_read(&folio->_pincount), 0);
	gt_put_pages(pages, 3);
	free(pages);
	CHECK_ALL();
}

/* The zero page: returned for reads, counted for FOLL_GET, never for pins. */
static void test_zero_page(void **state)
{
	struct task_struct *t = gt_task("gup");
	unsigned long a = test_mmap(t, 2 * PG, RW, PRIV);
	struct folio *zero = pfn_folio(pnm_mem.zero_pfn);
	long acq = global_stat(NR_FOLL_PIN_ACQUIRED), rel = global_stat(NR_FOLL_PIN_RELEASED);
	int ref0 = folio_ref_count(zero);
	struct page *pages[2];

	(void)state;
	assert_int_equal(test_read_byte(t, a), 0);
	assert_int_equal(test_pfn(t, a), pnm_mem.zero_pfn);
	/* A pin of a never-written page faults it in as the zero page. */
	assert_int_equal(gt_pin(t, a, 2, 0, pages), 2);
	assert_ptr_equal(pages[0], &zero->page);
	assert_ptr_equal(pages[1], &zero->page);
	assert_int_equal(folio_ref_count(zero), ref0);
	assert_int_equal(atomic_read(&zero->page.pnm_pincount), 0);
	assert_int_equal(global_stat(NR_FOLL_PIN_ACQUIRED), acq);
	assert_false(test_bit(PG_dirty, &zero->page.flags));
	unpin_user_pages_dirty_lock(pages, 2, true);
	assert_int_equal(global_stat(NR_FOLL_PIN_RELEASED), rel);
	assert_false(test_bit(PG_dirty, &zero->page.flags));
	assert_int_equal(folio_ref_count(zero), ref0);
	CHECK_ALL();
	/* FOLL_GET does count it. */
	assert_int_equal(gt_get(t, a, 2, 0, pages), 2);
	assert_int_equal(folio_ref_count(zero), ref0 + 2);
	gt_put_pages(pages, 2);
	assert_int_equal(folio_ref_count(zero), ref0);
	CHECK_ALL();
}

/* The overflow guard: a refcount at or past 2^31 refuses new grabs. */
static void test_overflow_guard(void **state)
{
	struct task_struct *t = gt_task("gup");
	unsigned long a = test_mmap(t, PG, RW, PRIV);
	long warns = atomic_long_read(&pnm_nr_warnings);
	struct page *page = NULL;
	struct folio *folio;
	int saved;

	(void)state;
	gt_write(t, a, 1, 1);
	folio = pfn_folio(test_pfn(t, a));
	saved = folio_ref_count(folio);
	/* Fake a count that has wrapped past 2^31 (it reads negative). */
	atomic_set(&folio->_refcount, INT_MIN + 5);
	assert_int_equal(gt_pin(t, a, 1, 0, &page), -ENOMEM);
	assert_int_equal(gt_get(t, a, 1, 0, &page), -ENOMEM);
	assert_int_equal(gt_pin_unlocked(t, a, 1, 0, &page), -ENOMEM);
	/* The fast path falls back to the slow path, which refuses. */
	assert_int_equal(gt_pin_fast(t, a, 1, 0, &page), -ENOMEM);
	assert_int_equal(folio_ref_count(folio), INT_MIN + 5);
	assert_int_equal(atomic_read(&folio->page.pnm_pincount), 0);
	assert_true(atomic_long_read(&pnm_nr_warnings) > warns);
	/* Exactly zero is refused too (slow path). */
	atomic_set(&folio->_refcount, 0);
	assert_int_equal(gt_get(t, a, 1, 0, &page), -ENOMEM);
	atomic_set(&folio->_refcount, saved);
	CHECK_ALL();
	assert_int_equal(gt_pin(t, a, 1, 0, &page), 1);
	unpin_user_page(page);
	CHECK_ALL();
}

/* MMF_HAS_PINNED: set by the first FOLL_PIN call, never by FOLL_GET. */
static void test_has_pinned(void **state)
{
	struct task_struct *t = gt_task("gup"), *u = gt_task("other");
	unsigned long a = test_mmap(t, PG, RW, PRIV);
	unsigned long b = test_mmap(u, PG, RW, PRIV);
	struct page *page;

	(void)state;
	assert_int_equal(gt_get(t, a, 1, FOLL_WRITE, &page), 1);
	put_page(page);
	assert_int_equal(gt_get_unlocked(t, a, 1, 0, &page), 1);
	put_page(page);
	assert_false(test_bit(MMF_HAS_PINNED, &t->mm->flags));
	/* Even a pin call that pins nothing marks the mm. */
	assert_int_equal(gt_pin(t, a + PG, 1, 0, &page), -EFAULT);
	assert_true(test_bit(MMF_HAS_PINNED, &t->mm->flags));
	/* The remote variant marks the target mm, not the caller's. */
	assert_int_equal(gt_pin_remote(u->mm, b, 1, 0, &page, NULL), 1);
	assert_true(test_bit(MMF_HAS_PINNED, &u->mm->flags));
	unpin_user_page(page);
	/* Never cleared; a forked child starts without it. */
	assert_true(test_bit(MMF_HAS_PINNED, &u->mm->flags));
	assert_false(test_bit(MMF_HAS_PINNED, &gt_fork(u)->mm->flags));
	CHECK_ALL();
}

/* Pinned pages are not migrated or compacted; plain references neither. */
static void test_migration_refuses_pinned(void **state)
{
	struct task_struct *t = gt_task("gup");
	unsigned long a = test_mmap(t, 2 * PG, RW, PRIV);
	long refused = global_stat(PNM_MIGRATE_REFUSED_REFS);
	unsigned long pfn, pfn1;
	struct page *page;

	(void)state;
	gt_write(t, a, 0x33, PG);
	gt_write(t, a + PG, 0x34, PG);
	pfn = test_pfn(t, a);
	pfn1 = test_pfn(t, a + PG);
	assert_int_equal(page_zonenum(pfn_to_page(pfn)), ZONE_MOVABLE);
	assert_int_equal(gt_pin(t, a, 1, 0, &page), 1);
	assert_int_equal(pnm_mm_migrate_range(t->mm, a, PG, ZONE_NORMAL), -EBUSY);
	assert_true(global_stat(PNM_MIGRATE_REFUSED_REFS) > refused);
	assert_int_equal(test_pfn(t, a), pfn);
	assert_true(page_maybe_dma_pinned(pfn_to_page(pfn)));
	CHECK_ALL();
	/* A FOLL_GET reference refuses as well. */
	assert_int_equal(gt_get(t, a + PG, 1, 0, &page), 1);
	assert_int_equal(pnm_mm_migrate_range(t->mm, a + PG, PG, ZONE_NORMAL), -EBUSY);
	assert_int_equal(test_pfn(t, a + PG), pfn1);
	put_page(page);
	/* Once released, both move. */
	unpin_user_page(pfn_to_page(pfn));
	assert_int_equal(pnm_mm_migrate_range(t->mm, a, 2 * PG, ZONE_NORMAL), 2);
	assert_int_not_equal(test_pfn(t, a), pfn);
	assert_int_equal(test_read_byte(t, a), 0x33);
	assert_int_equal(test_read_byte(t, a + PG), 0x34);
	CHECK_ALL();
}

/*
 * Compaction leaves a pinned page where it is (counting it as a page that
 * would not move); once unpinned, the page moves.  The zone is set up so
 * that a free 2 MiB block can only come from emptying the one holding our
 * pages: the other blocks are taken, the highest but for its first frame.
 */
static void test_compaction_skips_pinned(void **state)
{
	struct task_struct *t = gt_task("gup");
	unsigned long a = test_mmap(t, 2 * PG, RW, PRIV);
	struct zone *movable = pnm_zone(ZONE_MOVABLE);
	struct page *blocks[8], *page, *plug;
	struct pnm_compact_result res;
	unsigned long pfn, high;
	int nr_blocks = 0, top = 0;

	(void)state;
	gt_write(t, a, 0x12, 2 * PG);
	pfn = test_pfn(t, a);
	assert_int_equal(page_zonenum(pfn_to_page(pfn)), ZONE_MOVABLE);
	while (zone_largest_free_order(movable) == MAX_PAGE_ORDER) {
		assert_true(nr_blocks < (int)ARRAY_SIZE(blocks));
		blocks[nr_blocks] = alloc_pages(GFP_HIGHUSER_MOVABLE | __GFP_COMP,
						MAX_PAGE_ORDER);
		assert_non_null(blocks[nr_blocks]);
		assert_int_equal(page_zonenum(blocks[nr_blocks]), ZONE_MOVABLE);
		if (page_to_pfn(blocks[nr_blocks]) > page_to_pfn(blocks[top]))
			top = nr_blocks;
		nr_blocks++;
	}
	assert_true(nr_blocks >= 1);
	high = page_to_pfn(blocks[top]);
	put_page(blocks[top]);
	blocks[top] = blocks[--nr_blocks];
	plug = pnm_isolate_free_range(movable, high, 0);
	assert_non_null(plug);
	assert_true(zone_largest_free_order(movable) < MAX_PAGE_ORDER);

	assert_int_equal(gt_pin(t, a, 1, 0, &page), 1);
	memset(&res, 0, sizeof(res));
	assert_int_equal(compact_zone(movable, MAX_PAGE_ORDER, &res), -EAGAIN);
	assert_true(res.failed >= 1);
	assert_int_equal(test_pfn(t, a), pfn);
	assert_int_equal(gt_page_byte(page, 0), 0x12);
	CHECK_ALL();
	unpin_user_page(page);
	memset(&res, 0, sizeof(res));
	assert_int_equal(compact_zone(movable, MAX_PAGE_ORDER, &res), 0);
	assert_int_not_equal(test_pfn(t, a), pfn);
	assert_int_equal(test_read_byte(t, a), 0x12);
	put_page(plug);
	while (nr_blocks)
		put_page(blocks[--nr_blocks]);
	CHECK_ALL();
}

/* A pinned page whose mapping goes away stays allocated, with its data,
 * until the last unpin; the device's view is no longer the process's. */
static void test_pinned_survives_unmap(void **state)
{
	struct task_struct *t = gt_task("gup");
	unsigned long a = test_mmap(t, PG, RW, PRIV);
	long free0;
	struct page *page;

	(void)state;
	gt_write(t, a, 0x44, PG);
	assert_int_equal(gt_pin(t, a, 1, FOLL_WRITE, &page), 1);
	assert_int_equal(pnm_mm_munmap(t->mm, a, PG), 0);
	CHECK_ALL();
	assert_int_equal(page_mapcount(page), 0);
	assert_int_equal(page_ref_count(page), small_pin_units());
	assert_true(page_maybe_dma_pinned(page));
	assert_int_equal(gt_page_byte(page, 7), 0x44);
	/* The "device" writes; nobody maps the page any more. */
	((unsigned char *)page_address(page))[7] = 0x45;
	/* A new mapping at the same place gets a fresh page. */
	assert_int_equal(pnm_mm_mmap(t->mm, a, PG, RW, PRIV | MAP_FIXED, NULL, 0), (long)a);
	assert_int_equal(test_read_byte(t, a + 7), 0);
	gt_write(t, a, 1, 1);
	assert_int_not_equal(test_pfn(t, a), page_to_pfn(page));
	assert_int_equal(gt_page_byte(page, 7), 0x45);
	free0 = global_stat(NR_FREE_PAGES);
	unpin_user_page(page);
	assert_int_equal(global_stat(NR_FREE_PAGES), free0 + 1);
	CHECK_ALL();
}

/* FOLL_LONGTERM moves a MOVABLE page to NORMAL before pinning it. */
static void test_longterm_migrates(void **state)
{
	struct task_struct *t = gt_task("gup");
	unsigned long a = test_mmap(t, 4 * PG, RW, PRIV);
	long migrated = global_stat(PGMIGRATE_SUCCESS);
	struct page *pages[4];
	unsigned long old[4];
	int i;

	(void)state;
	for (i = 0; i < 4; i++) {
		gt_write(t, a + i * PG, (unsigned char)(0x60 + i), PG);
		old[i] = test_pfn(t, a + i * PG);
		assert_int_not_equal(page_zonenum(pfn_to_page(old[i])), ZONE_NORMAL);
	}
	assert_int_equal(gt_pin(t, a, 4, FOLL_WRITE | FOLL_LONGTERM, pages), 4);
	assert_int_equal(global_stat(PGMIGRATE_SUCCESS), migrated + 4);
	for (i = 0; i < 4; i++) {
		assert_int_equal(page_zonenum(pages[i]), ZONE_NORMAL);
		assert_int_equal(page_to_pfn(pages[i]), test_pfn(t, a + i * PG));
		assert_int_not_equal(page_to_pfn(pages[i]), old[i]);
		assert_int_equal(gt_page_byte(pages[i], 5), 0x60 + i);
		assert_int_equal(atomic_read(&pages[i]->pnm_pincount), 1);
		assert_true(folio_is_longterm_pinnable(page_folio(pages[i])));
	}
	/* A short-term pin leaves the page where it is. */
	unpin_user_pages(pages, 4);
	gt_write(t, a, 1, 1);
	CHECK_ALL();
	assert_true(folio_is_longterm_pinnable(pfn_folio(pnm_mem.zero_pfn)));
}

/*
 * Pages a long-term pin faults in are allocated unmovable in the first
 * place (memalloc_pin_save()): they land in NORMAL and nothing migrates,
 * while an ordinary fault of the same kind of memory lands in MOVABLE.
 */
static void test_longterm_faults_in_unmovable(void **state)
{
	struct task_struct *t = gt_task("gup");
	unsigned long a = test_mmap(t, 8 * PG, RW, PRIV);
	long migrated = global_stat(PGMIGRATE_SUCCESS);
	struct page *pages[4];
	int i;

	(void)state;
	assert_int_equal(gt_pin(t, a, 4, FOLL_WRITE | FOLL_LONGTERM, pages), 4);
	assert_int_equal(global_stat(PGMIGRATE_SUCCESS), migrated);
	for (i = 0; i < 4; i++) {
		assert_int_equal(page_zonenum(pages[i]), ZONE_NORMAL);
		assert_int_equal(page_to_pfn(pages[i]), test_pfn(t, a + i * PG));
	}
	CHECK_ALL();
	/* The scope ended with the call: the next fault is movable again. */
	gt_write(t, a + 6 * PG, 1, 1);
	assert_int_equal(page_zonenum(pfn_to_page(test_pfn(t, a + 6 * PG))), ZONE_MOVABLE);
	unpin_user_pages(pages, 4);
	CHECK_ALL();
}

/*
 * unpin_folio() names only the folio: a THP pinned through a tail page
 * must still be released by it, with no misuse report (as Linux accepts).
 */
static void test_unpin_folio_tail_pin(void **state)
{
	struct task_struct *t = gt_task("gup");
	unsigned long a = test_mmap(t, 4 * PMD_SIZE, RW, PRIV);
	unsigned long huge = ALIGN(a, PMD_SIZE);
	unsigned long misuse = pnm_misuse_count(PNM_MISUSE_UNPIN_UNPINNED);
	struct page *pages[2];
	struct folio *folio;

	(void)state;
	assert_int_equal(pnm_mm_madvise(t->mm, a, 4 * PMD_SIZE, MADV_HUGEPAGE), 0);
	gt_write(t, huge, 7, 1);
	folio = test_folio(t, huge);
	assert_int_equal(folio_order(folio), HPAGE_PMD_ORDER);
	assert_int_equal(gt_pin(t, huge + 5 * PG, 2, FOLL_WRITE, pages), 2);
	assert_true(folio_maybe_dma_pinned(folio));
	unpin_folio(folio);
	unpin_folios(&folio, 1);
	assert_false(folio_maybe_dma_pinned(folio));
	assert_int_equal(atomic_read(&pages[0]->pnm_pincount), 0);
	assert_int_equal(atomic_read(&pages[1]->pnm_pincount), 0);
	assert_int_equal(pnm_misuse_count(PNM_MISUSE_UNPIN_UNPINNED), misuse);
	assert_int_equal(global_stat(NR_FOLL_PIN_ACQUIRED), global_stat(NR_FOLL_PIN_RELEASED));
	CHECK_ALL();
}

/* A THP in MOVABLE moves as a whole when NORMAL has a 2 MiB block. */
static void test_longterm_thp(void **state)
{
	struct task_struct *t = gt_task("gup");
	unsigned long a = gt_thp(t, 0x71);
	struct folio *folio = pfn_folio(test_pfn(t, a));
	struct page *pages[4];

	(void)state;
	assert_int_not_equal(page_zonenum(&folio->page), ZONE_NORMAL);
	assert_int_equal(gt_pin(t, a + 8 * PG, 4, FOLL_LONGTERM, pages), 4);
	folio = page_folio(pages[0]);
	assert_int_equal(page_zonenum(&folio->page), ZONE_NORMAL);
	assert_int_equal(folio_order(folio), HPAGE_PMD_ORDER);
	assert_int_equal(atomic_read(&folio->_pincount), 4);
	assert_int_equal(test_pfn(t, a + 8 * PG), page_to_pfn(pages[0]));
	assert_int_equal(gt_page_byte(pages[3], 9), 0x71);
	unpin_user_pages(pages, 4);
	CHECK_ALL();
}

/* Long-term pin when NORMAL is full: migration fails, -ENOMEM, nothing
 * left pinned. */
static void test_longterm_enomem(void **state)
{
	struct task_struct *t = gt_task("gup");
	unsigned long a = test_mmap(t, PG, RW, PRIV);
	struct page *page = NULL, *hog = NULL, *next;
	unsigned long pfn;
	int n = 0;

	(void)state;
	gt_write(t, a, 0x21, PG);
	pfn = test_pfn(t, a);
	/* Take every free NORMAL frame (kernel allocations use NORMAL only),
	 * chaining them through their lru heads. */
	while ((next = alloc_page(GFP_KERNEL | __GFP_NOWARN))) {
		next->private = (unsigned long)hog;
		hog = next;
		n++;
	}
	assert_true(n > 0);
	assert_int_equal(gt_pin(t, a, 1, FOLL_LONGTERM, &page), -ENOMEM);
	assert_int_equal(test_pfn(t, a), pfn);
	assert_int_equal(page_ref_count(pfn_to_page(pfn)), 1);
	assert_int_equal(atomic_read(&pfn_to_page(pfn)->pnm_pincount), 0);
	/* A short-term pin still works. */
	assert_int_equal(gt_pin(t, a, 1, 0, &page), 1);
	unpin_user_page(page);
	while (hog) {
		next = (struct page *)hog->private;
		hog->private = 0;
		put_page(hog);
		hog = next;
	}
	CHECK_ALL();
	assert_int_equal(gt_pin(t, a, 1, FOLL_LONGTERM, &page), 1);
	assert_int_equal(page_zonenum(page), ZONE_NORMAL);
	unpin_user_page(page);
	CHECK_ALL();
}

/* The dirtying unpins mark PG_dirty (folio lock held), the plain ones do not. */
static void test_dirty_lock(void **state)
{
	struct task_struct *t = gt_task("gup");
	unsigned long a = test_mmap(t, 4 * PG, RW, PRIV);
	struct page *pages[4];
	int i;

	(void)state;
	for (i = 0; i < 4; i++)
		gt_write(t, a + i * PG, 1, 1);
	for (i = 0; i < 4; i++)
		ClearPageDirty(pfn_to_page(test_pfn(t, a + i * PG)));

	assert_int_equal(gt_pin(t, a, 4, FOLL_WRITE, pages), 4);
	unpin_user_pages_dirty_lock(pages, 2, false);
	assert_false(PageDirty(pages[0]));
	unpin_user_pages_dirty_lock(pages + 2, 2, true);
	assert_true(PageDirty(pages[2]));
	assert_true(PageDirty(pages[3]));
	assert_false(folio_test_locked(page_folio(pages[2])));

	ClearPageDirty(pages[2]);
	ClearPageDirty(pages[3]);
	assert_int_equal(gt_pin(t, a, 4, FOLL_WRITE, pages), 4);
	unpin_user_page_range_dirty_lock(pages[0], 1, false);
	assert_false(PageDirty(pages[0]));
	unpin_user_page_range_dirty_lock(pages[1], 1, true);
	assert_true(PageDirty(pages[1]));
	unpin_user_pages(pages + 2, 2);
	assert_false(PageDirty(pages[2]));
	CHECK_ALL();

	/* FOLL_GET users dirty with set_page_dirty_lock(). */
	assert_int_equal(gt_get(t, a + 2 * PG, 1, 0, pages), 1);
	set_page_dirty_lock(pages[0]);
	assert_true(PageDirty(pages[0]));
	assert_false(folio_mark_dirty(page_folio(pages[0])));	/* already */
	put_page(pages[0]);
	CHECK_ALL();
}

/* A THP range pinned and released with the range helper: one run. */
static void test_range_unpin_thp(void **state)
{
	struct task_struct *t = gt_task("gup");
	unsigned long a = gt_thp(t, 3);
	struct folio *folio = pfn_folio(test_pfn(t, a));
	struct page *pages[16];

	(void)state;
	ClearPageDirty(&folio->page);
	assert_int_equal(gt_pin(t, a + 500 * PG, 12, FOLL_WRITE, pages), 12);
	assert_int_equal(atomic_read(&folio->_pincount), 12);
	unpin_user_page_range_dirty_lock(pages[0], 12, true);
	assert_int_equal(atomic_read(&folio->_pincount), 0);
	assert_true(folio_test_dirty(folio));
	for (int i = 0; i < 12; i++)
		assert_int_equal(atomic_read(&pages[i]->pnm_pincount), 0);
	CHECK_ALL();
}

/* unpin_user_pages(): NULL entries skipped, an -errno count refused with
 * a warning; unpin_folio(s) release folio-level pins. */
static void test_unpin_family_edges(void **state)
{
	struct task_struct *t = gt_task("gup");
	unsigned long a = test_mmap(t, 3 * PG, RW, PRIV);
	long warns, rel;
	struct page *pages[3], *with_null[4];
	struct folio *folios[4];

	(void)state;
	gt_write(t, a, 1, 3 * PG);
	assert_int_equal(gt_pin(t, a, 3, 0, pages), 3);
	warns = atomic_long_read(&pnm_nr_warnings);
	rel = global_stat(NR_FOLL_PIN_RELEASED);
	unpin_user_pages(pages, (unsigned long)-EFAULT);
	assert_true(atomic_long_read(&pnm_nr_warnings) > warns);
	assert_int_equal(global_stat(NR_FOLL_PIN_RELEASED), rel);
	assert_int_equal(atomic_read(&pages[0]->pnm_pincount), 1);
	with_null[0] = pages[0];
	with_null[1] = NULL;
	with_null[2] = pages[1];
	with_null[3] = pages[2];
	unpin_user_pages(with_null, 4);
	assert_int_equal(global_stat(NR_FOLL_PIN_RELEASED), rel + 3);
	for (int i = 0; i < 3; i++)
		assert_int_equal(page_ref_count(pages[i]), 1);
	CHECK_ALL();

	/* Folio-level pins: try_grab_folio() + unpin_folio(s). */
	folios[0] = page_folio(pages[0]);
	folios[1] = page_folio(pages[0]);
	folios[2] = NULL;
	folios[3] = page_folio(pages[1]);
	mmap_read_lock(t->mm);
	for (int i = 0; i < 4; i++)
		if (folios[i])
			assert_int_equal(try_grab_folio(folios[i], 1, FOLL_PIN), 0);
	mmap_read_unlock(t->mm);
	/* try_grab_folio pins are not recorded: record them as a pin call
	 * would, so that the registry lets them go. */
	pnm_gup_record_pins(t->mm, a, pages, 1, 0);
	pnm_gup_record_pins(t->mm, a, pages, 1, 0);
	pnm_gup_record_pins(t->mm, a + PG, pages + 1, 1, 0);
	assert_int_equal(atomic_read(&pages[0]->pnm_pincount), 2);
	assert_true(folio_maybe_dma_pinned(folios[0]));
	unpin_folios(folios, (unsigned long)-EINVAL);
	assert_int_equal(atomic_read(&pages[0]->pnm_pincount), 2);
	unpin_folio(folios[3]);
	unpin_folios(folios, 3);
	assert_false(folio_maybe_dma_pinned(folios[0]));
	assert_false(folio_maybe_dma_pinned(folios[3]));
	assert_int_equal(page_ref_count(pages[0]), 1);
	CHECK_ALL();
}

/* Remote and unlocked variants; the remote *locked protocol. */
static void test_remote_unlocked(void **state)
{
	struct task_struct *t = gt_task("owner");
	unsigned long a = test_mmap(t, 2 * PG, RW, PRIV);
	struct page *pages[2];
	long faults = global_stat(PGFAULT);
	int locked = 1;

	(void)state;
	/* No current task at all: the remote variants work on any mm. */
	assert_null(current);
	assert_int_equal(gt_pin_remote(t->mm, a, 2, FOLL_WRITE, pages, &locked), 2);
	assert_int_equal(locked, 1);
	assert_true(global_stat(PGFAULT) > faults);
	assert_int_equal(page_to_pfn(pages[1]), test_pfn(t, a + PG));
	unpin_user_pages(pages, 2);
	assert_int_equal(gt_get_remote(t->mm, a, 2, 0, pages, NULL), 2);
	gt_put_pages(pages, 2);
	/* The current-mm entry points need a current task. */
	assert_int_equal(pin_user_pages_unlocked(a, 1, pages, 0), -EFAULT);
	assert_int_equal(gt_pin_unlocked(t, a, 2, 0, pages), 2);
	assert_false(rwsem_is_locked(&t->mm->mmap_lock));
	unpin_user_pages(pages, 2);
	assert_int_equal(gt_get_unlocked(t, a, 2, FOLL_WRITE, pages), 2);
	gt_put_pages(pages, 2);
	/* A prefault (no page array) returns the count and holds nothing. */
	assert_int_equal(gt_get(t, a, 2, 0, NULL), 2);
	assert_int_equal(page_ref_count(pfn_to_page(test_pfn(t, a))), 1);
	CHECK_ALL();
}

/* Legacy mode: pins are plain references, nothing else. */
static void test_legacy_accounting(void **state)
{
	struct task_struct *t = gt_task("gup");
	unsigned long a = test_mmap(t, 2 * PG, RW, PRIV);
	long acq = global_stat(NR_FOLL_PIN_ACQUIRED), rel = global_stat(NR_FOLL_PIN_RELEASED);
	struct page *pages[2];
	unsigned long pfn;

	(void)state;
	gt_write(t, a, 9, 2 * PG);
	pfn = test_pfn(t, a);
	assert_int_equal(gt_pin(t, a, 2, FOLL_LONGTERM, pages), 2);
	/* No migration off MOVABLE, no pin counts. */
	assert_int_equal(page_to_pfn(pages[0]), pfn);
	assert_int_equal(page_ref_count(pages[0]), 2);
	assert_int_equal(atomic_read(&pages[0]->pnm_pincount), 0);
	assert_false(page_maybe_dma_pinned(pages[0]));
	assert_false(test_bit(MMF_HAS_PINNED, &t->mm->flags));
	assert_int_equal(global_stat(NR_FOLL_PIN_ACQUIRED), acq);
	CHECK_ALL();
	unpin_user_pages(pages, 2);
	assert_int_equal(page_ref_count(pages[0]), 1);
	assert_int_equal(global_stat(NR_FOLL_PIN_RELEASED), rel);
	CHECK_ALL();
	/* Even the zero page gets (and loses) a plain reference. */
	assert_int_equal(pnm_mm_madvise(t->mm, a, PG, MADV_DONTNEED), 0);
	assert_int_equal(gt_pin(t, a, 1, 0, pages), 1);
	assert_int_equal(page_to_pfn(pages[0]), pnm_mem.zero_pfn);
	assert_int_equal(page_ref_count(pages[0]), 2);
	unpin_user_page(pages[0]);
	assert_int_equal(page_ref_count(pages[0]), 1);
	CHECK_ALL();
}

/* FOLL_SPLIT_PMD splits a huge PMD before returning its page. */
static void test_split_pmd(void **state)
{
	struct task_struct *t = gt_task("gup");
	unsigned long a = gt_thp(t, 4);
	struct folio *folio = pfn_folio(test_pfn(t, a));
	long splits = global_stat(THP_SPLIT_PMD);
	struct page *page;

	(void)state;
	assert_int_equal(gt_get(t, a + 3 * PG, 1, FOLL_SPLIT_PMD, &page), 1);
	assert_int_equal(global_stat(THP_SPLIT_PMD), splits + 1);
	assert_ptr_equal(page, folio_page(folio, 3));
	assert_int_equal(folio_entire_mapcount(folio), 0);
	assert_int_equal(page_mapcount(page), 1);
	assert_int_equal(folio_order(folio), HPAGE_PMD_ORDER);
	put_page(page);
	CHECK_ALL();
}

/* A raw pfn (special) entry outside the zero page: no struct page to hand
 * out (-EEXIST with a page array), but a prefault may step over it. */
static void test_raw_pfn_eexist(void **state)
{
	struct task_struct *t = gt_task("gup");
	unsigned long a = test_mmap(t, 2 * PG, RW, PRIV);
	struct page *frame, *pages[2];

	(void)state;
	gt_write(t, a + PG, 1, 1);
	/* Install a special read-only entry by hand (no VM_PFNMAP VMA). */
	frame = gt_install_raw_pfn(t, a);

	assert_int_equal(gt_get(t, a, 2, 0, pages), -EEXIST);
	assert_int_equal(gt_pin(t, a, 2, 0, pages), -EEXIST);
	/* A walk reaching it with pages done returns those. */
	assert_int_equal(gt_get(t, a - PG + PG, 1, 0, NULL), 1);
	assert_int_equal(gt_get(t, a, 2, 0, NULL), 2);
	assert_int_equal(page_ref_count(frame), 1);

	gt_remove_raw_pfn(t, a, frame);
	CHECK_ALL();
}

/* VM_IO / VM_PFNMAP mappings: created by pnm_mm_mmap_pfnmap(), refused by
 * GUP and unusable by the CPU (no pages behind them in the model). */
static void test_pfnmap(void **state)
{
	struct task_struct *t = gt_task("gup");
	long io = pnm_mm_mmap_pfnmap(t->mm, 2 * PG, RW, VM_IO);
	long pfnmap = pnm_mm_mmap_pfnmap(t->mm, 2 * PG, PROT_READ, VM_IO | VM_PFNMAP);
	struct page *pages[2];
	unsigned char c;

	(void)state;
	assert_true(io > 0 && pfnmap > 0);
	assert_int_equal(test_vma_flags(t->mm, (unsigned long)io) & (VM_IO | VM_SHARED),
			 VM_IO | VM_SHARED);
	assert_true(test_vma_flags(t->mm, (unsigned long)pfnmap) & VM_PFNMAP);
	CHECK_ALL();
	assert_int_equal(gt_get(t, (unsigned long)io, 1, 0, pages), -EFAULT);
	assert_int_equal(gt_pin(t, (unsigned long)pfnmap, 2, 0, pages), -EFAULT);
	assert_int_equal(gt_get(t, (unsigned long)pfnmap, 1, 0, NULL), -EFAULT);
	assert_int_equal(pnm_user_read(t, (unsigned long)io, &c, 1), -EFAULT);
	assert_int_equal(pnm_mm_mmap_pfnmap(t->mm, PG, RW, 0), -EINVAL);
	assert_int_equal(pnm_mm_mmap_pfnmap(t->mm, PG, RW, VM_IO | VM_LOCKED), -EINVAL);
	assert_int_equal(pnm_mm_mmap_pfnmap(t->mm, 0, RW, VM_IO), -EINVAL);
	/* Fork keeps the area (shared, no pages), munmap removes it. */
	assert_int_equal(gt_get(gt_fork(t), (unsigned long)io, 1, 0, pages), -EFAULT);
	assert_int_equal(pnm_mm_munmap(t->mm, (unsigned long)io, PG), 0);
	CHECK_ALL();
}

/* Pin, then fork: the child gets its own copy of the pinned page; the
 * parent keeps the pinned one, writable, and its writes stay visible. */
static void test_fork_copies_pinned(void **state)
{
	struct task_struct *p = gt_task("parent"), *c;
	unsigned long a = test_mmap(p, 2 * PG, RW, PRIV);
	long copies = global_stat(PNM_FORK_COPY_PINNED);
	struct page *page;
	unsigned long pfn;

	(void)state;
	gt_write(p, a, 0x50, 2 * PG);
	pfn = test_pfn(p, a);
	assert_int_equal(gt_pin(p, a, 1, FOLL_WRITE, &page), 1);
	c = gt_fork(p);
	assert_int_equal(global_stat(PNM_FORK_COPY_PINNED), copies + 1);
	assert_int_not_equal(test_pfn(c, a), pfn);
	assert_int_equal(test_pfn(p, a), pfn);
	assert_true(PageAnonExclusive(page));
	/* The unpinned neighbour is COW-shared as usual. */
	assert_int_equal(test_pfn(c, a + PG), test_pfn(p, a + PG));
	gt_write(p, a, 0x51, 1);
	assert_int_equal(test_pfn(p, a), pfn);		/* no COW away from the pin */
	assert_int_equal(gt_page_byte(page, 0), 0x51);
	assert_int_equal(test_read_byte(c, a), 0x50);
	unpin_user_page(page);
	CHECK_ALL();
}

/* --- concurrency ------------------------------------------------------------- */

#define CONC_PAGES	32
#define CONC_PINNERS	3
#define CONC_ITERS	150	/* at least this many pins per pinner ... */
#define CONC_ROUNDS	60	/* ... and until the disturber did this many */
#define CONC_MAX_ITERS	200000	/* hard bound */

struct conc {
	struct task_struct *t;
	unsigned long a;
	atomic_t disturbed;	/* set once the disturber has finished */
	atomic_t failures;
};

struct conc_thread {
	struct conc *c;
	uint64_t seed;
};

/* Pin random slices with random flags through the slow path, check what
 * came back, release (sometimes dirtying). */
static void *pinner(void *arg)
{
	struct conc_thread *ct = arg;
	struct conc *c = ct->c;
	struct task_struct *prev = pnm_task_enter(c->t);
	uint64_t seed = ct->seed;
	struct page *pages[8];
	static const unsigned int flag_set[] = {
		0, FOLL_WRITE, FOLL_LONGTERM, FOLL_WRITE | FOLL_LONGTERM,
	};

	for (int i = 0; i < CONC_MAX_ITERS; i++) {
		uint64_t r = test_rand(&seed);
		unsigned long n = 1 + r % 8, off = (r >> 8) % (CONC_PAGES - n + 1);
		unsigned int flags = flag_set[(r >> 16) % 4];
		long ret;

		if (i >= CONC_ITERS && atomic_read_acquire(&c->disturbed))
			break;

		if ((r >> 20) & 1) {
			ret = pin_user_pages_unlocked(c->a + off * PG, n, pages, flags);
		} else {
			mmap_read_lock(c->t->mm);
			ret = pin_user_pages(c->a + off * PG, n, flags, pages);
			mmap_read_unlock(c->t->mm);
		}
		if (ret == -ENOMEM && (flags & FOLL_LONGTERM))
			continue;	/* migration lost a race with another pin */
		if (ret <= 0 || ret > (long)n) {
			atomic_inc(&c->failures);
			continue;
		}
		for (long j = 0; j < ret; j++) {
			/* A zapped page faults back in as the (uncounted) zero
			 * page for a short-term R/O pin. */
			if (is_zero_pfn(page_to_pfn(pages[j]))) {
				if (flags)
					atomic_inc(&c->failures);
				continue;
			}
			if (atomic_read(&pages[j]->pnm_pincount) < 1 ||
			    !page_maybe_dma_pinned(pages[j]) ||
			    ((flags & FOLL_LONGTERM) && page_zonenum(pages[j]) != ZONE_NORMAL))
				atomic_inc(&c->failures);
		}
		if ((r >> 24) & 1)
			unpin_user_pages_dirty_lock(pages, (unsigned long)ret, true);
		else
			unpin_user_pages(pages, (unsigned long)ret);
	}
	pnm_task_leave(prev);
	return NULL;
}

/* Move pages back to MOVABLE, zap some, fork and exit children:
 * CONC_ROUNDS times, while the pinners run. */
static void *disturber(void *arg)
{
	struct conc_thread *ct = arg;
	struct conc *c = ct->c;
	uint64_t seed = ct->seed;

	for (int round = 0; round < CONC_ROUNDS; round++) {
		uint64_t r = test_rand(&seed);
		unsigned long off = r % CONC_PAGES;
		struct task_struct *child;

		switch ((r >> 8) % 3) {
		case 0:
			(void)pnm_mm_migrate_range(c->t->mm, c->a, CONC_PAGES * PG, ZONE_MOVABLE);
			break;
		case 1:
			(void)pnm_mm_madvise(c->t->mm, c->a + off * PG, PG, MADV_DONTNEED);
			break;
		case 2:
			if (pnm_task_fork(c->t, "child", &child) == 0)
				pnm_task_exit(child);
			break;
		}
	}
	atomic_set_release(&c->disturbed, 1);
	return NULL;
}

/* Slow-path pins racing migration, zapping and fork: every pin comes back
 * pinned, and the pin counters balance afterwards. */
static void test_concurrent_slow_path(void **state)
{
	struct conc c = { .t = gt_task("conc") };
	long acq = global_stat(NR_FOLL_PIN_ACQUIRED), rel = global_stat(NR_FOLL_PIN_RELEASED);
	struct conc_thread ct[CONC_PINNERS + 1];
	pthread_t threads[CONC_PINNERS + 1];

	(void)state;
	c.a = test_mmap(c.t, CONC_PAGES * PG, RW, PRIV);
	gt_write(c.t, c.a, 0x5c, CONC_PAGES * PG);
	for (int i = 0; i <= CONC_PINNERS; i++) {
		ct[i].c = &c;
		ct[i].seed = 0x1234567ULL + (uint64_t)i * 7919;
		assert_int_equal(pthread_create(&threads[i], NULL,
						i < CONC_PINNERS ? pinner : disturber, &ct[i]), 0);
	}
	for (int i = 0; i <= CONC_PINNERS; i++)
		assert_int_equal(pthread_join(threads[i], NULL), 0);
	assert_int_equal(atomic_read(&c.failures), 0);
	assert_int_equal(global_stat(NR_FOLL_PIN_ACQUIRED) - acq,
			 global_stat(NR_FOLL_PIN_RELEASED) - rel);
	assert_true(global_stat(NR_FOLL_PIN_ACQUIRED) > acq);
	CHECK_ALL();
}

/* exact accounting runs the same arithmetic tests. */
#define BOTH(fn) \
	cmocka_unit_test_setup_teardown(fn, pnm_test_setup, pnm_test_teardown), \
	cmocka_unit_test_setup_teardown(fn, setup_exact, pnm_test_teardown)
#define ONE(fn) cmocka_unit_test_setup_teardown(fn, pnm_test_setup, pnm_test_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		BOTH(test_basics),
		BOTH(test_double_pin),
		ONE(test_partial),
		BOTH(test_false_positive),
		BOTH(test_thp_pincount),
		BOTH(test_zero_page),
		BOTH(test_overflow_guard),
		ONE(test_has_pinned),
		BOTH(test_migration_refuses_pinned),
		BOTH(test_compaction_skips_pinned),
		BOTH(test_pinned_survives_unmap),
		ONE(test_longterm_migrates),
		ONE(test_longterm_faults_in_unmovable),
		ONE(test_unpin_folio_tail_pin),
		ONE(test_longterm_thp),
		ONE(test_longterm_enomem),
		ONE(test_dirty_lock),
		ONE(test_range_unpin_thp),
		BOTH(test_unpin_family_edges),
		ONE(test_remote_unlocked),
		cmocka_unit_test_setup_teardown(test_legacy_accounting, setup_legacy,
						pnm_test_teardown),
		ONE(test_split_pmd),
		ONE(test_raw_pfn_eexist),
		ONE(test_pfnmap),
		BOTH(test_fork_copies_pinned),
		BOTH(test_concurrent_slow_path),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
