// SPDX-License-Identifier: MIT
/*
 * test_huge_zero.c - the huge zero page.
 *
 * A read fault on the empty PMD of a THP-suitable anonymous VMA maps the
 * huge zero page by a special read-only PMD (use_zero_page on, the
 * default): one 2 MiB folio allocated on first use (thp_zero_page_alloc)
 * and shared by every such mapping, in no rmap, mapcount or RSS counter;
 * with use_zero_page off the read allocates a THP as before.  A write
 * fault splits the PMD into PTEs of the small zero page and copies 4 KiB.
 * GUP: FOLL_GET references it, a short-term R/O pin pins it (a large
 * folio: _pincount), a long-term R/O pin unshares first (a private anon
 * page), gup-fast leaves the special PMD to the slow path.  Fork copies
 * the PMD, munmap clears it, MADV_DONTNEED/mprotect of part of it split
 * it.  No 2 MiB block is free for it: the fault falls back to 4 KiB.  The
 * checker catches a corrupted huge zero page.  First uses racing on
 * several threads allocate it once; the losers' folios are freed and
 * pnm_fini() frees the winner's.
 */
#include <pthread.h>
#include <stdio.h>

#include "gup_test.h"

/* A 2 MiB aligned, MADV_HUGEPAGE private area in @t. */
static unsigned long hz_area(struct task_struct *t)
{
	unsigned long a = test_mmap(t, PMD_SIZE, RW, PRIV);

	assert_true(IS_ALIGNED(a, PMD_SIZE));
	assert_int_equal(pnm_mm_madvise(t->mm, a, PMD_SIZE, MADV_HUGEPAGE), 0);
	return a;
}

static long normal_free(void)
{
	return (long)zone_page_state(pnm_zone(ZONE_NORMAL), NR_ZONE_FREE_PAGES);
}

/* @a maps the huge zero page by a special, read-only PMD. */
static void assert_huge_zero_pmd(struct task_struct *t, unsigned long a)
{
	pmd_t pmd = test_pmd_val(t, a);

	assert_true(pmd_trans_huge(pmd));
	assert_true(pmd_special(pmd));
	assert_false(pmd_write(pmd));
	assert_true(is_huge_zero_pmd(pmd));
	assert_non_null(huge_zero_folio);
	assert_int_equal(pmd_pfn(pmd), folio_pfn(huge_zero_folio));
	assert_int_equal(test_pfn(t, a + 7 * PG), folio_pfn(huge_zero_folio) + 7);
}

/* Nothing about the huge zero page counts as a mapping. */
static void assert_huge_zero_unmapped(void)
{
	struct folio *zero = huge_zero_folio;

	assert_non_null(zero);
	assert_int_equal(folio_order(zero), HPAGE_PMD_ORDER);
	assert_false(folio_test_anon(zero));
	assert_int_equal(folio_entire_mapcount(zero), 0);
	assert_int_equal(folio_mapcount(zero), 0);
	assert_null(folio_anon_vma(zero));
	assert_int_equal(page_zonenum(&zero->page), ZONE_NORMAL);
}

/* Map the huge zero page at a fresh area by reading it. */
static unsigned long hz_read(struct task_struct *t)
{
	unsigned long a = hz_area(t);

	assert_int_equal(test_read_byte(t, a + 3 * PG + 5), 0);
	assert_huge_zero_pmd(t, a);
	return a;
}

static void test_read_fault_maps_huge_zero(void **state)
{
	struct task_struct *t = gt_task("reader");
	unsigned long a = hz_area(t), b;
	long free0 = normal_free(), allocs = global_stat(THP_FAULT_ALLOC);
	long tables;
	char buf[64], zeroes[64] = { 0 };

	(void)state;
	assert_null(huge_zero_folio);
	assert_int_equal(pnm_user_read(t, a + PMD_SIZE - 64, buf, sizeof(buf)), 0);
	assert_memory_equal(buf, zeroes, sizeof(buf));
	assert_huge_zero_pmd(t, a);
	assert_huge_zero_unmapped();
	assert_int_equal(folio_ref_count(huge_zero_folio), 1);
	/* First use: the folio (and the deposited table, and the PMD table
	 * path) came from ZONE_NORMAL. */
	assert_int_equal(global_stat(THP_ZERO_PAGE_ALLOC), 1);
	assert_int_equal(global_stat(PNM_HUGE_ZERO_PAGE_MAPPED), 1);
	assert_int_equal(global_stat(THP_FAULT_ALLOC), allocs);
	assert_true(free0 - normal_free() >= (long)HPAGE_PMD_NR);
	assert_int_equal(get_mm_counter(t->mm, MM_ANONPAGES), 0);
	assert_int_equal(global_stat(NR_ANON_THPS), 0);
	assert_int_equal(global_stat(NR_ANON_MAPPED), 0);
	CHECK_ALL();

	/* Second use: no 2 MiB allocated, only page tables (the deposited
	 * one). */
	tables = atomic_long_read(&t->mm->pgtables_bytes);
	b = hz_area(t);
	free0 = global_stat(NR_FREE_PAGES);
	assert_int_equal(test_read_byte(t, b), 0);
	assert_huge_zero_pmd(t, b);
	assert_int_equal(global_stat(THP_ZERO_PAGE_ALLOC), 1);
	assert_int_equal(global_stat(PNM_HUGE_ZERO_PAGE_MAPPED), 2);
	assert_int_equal(free0 - global_stat(NR_FREE_PAGES),
			 (atomic_long_read(&t->mm->pgtables_bytes) - tables) / (long)PG);
	assert_int_equal(folio_ref_count(huge_zero_folio), 1);
	CHECK_ALL();

	/* Exit clears the PMDs; the page lives on until pnm_fini(). */
	pnm_task_exit(t);
	assert_non_null(huge_zero_folio);
	assert_int_equal(folio_ref_count(huge_zero_folio), 1);
	CHECK_ALL();
}

static int setup_no_zero(void **state)
{
	struct pnm_config cfg;

	(void)state;
	pnm_test_config(&cfg);
	cfg.thp_use_zero_page = false;
	pnm_test_init_with(&cfg);
	return 0;
}

/* use_zero_page off: a read fault allocates a THP, as before. */
static void test_use_zero_page_off(void **state)
{
	struct task_struct *t = gt_task("reader");
	unsigned long a = hz_area(t);
	long allocs = global_stat(THP_FAULT_ALLOC);
	struct folio *folio;

	(void)state;
	assert_false(pnm_get_config()->thp_use_zero_page);
	assert_int_equal(test_read_byte(t, a), 0);
	assert_int_equal(global_stat(THP_FAULT_ALLOC), allocs + 1);
	assert_int_equal(global_stat(THP_ZERO_PAGE_ALLOC), 0);
	assert_null(huge_zero_folio);
	assert_false(pmd_special(test_pmd_val(t, a)));
	folio = test_folio(t, a);
	assert_int_equal(folio_order(folio), HPAGE_PMD_ORDER);
	assert_true(folio_test_anon(folio));
	assert_int_equal(get_mm_counter(t->mm, MM_ANONPAGES), HPAGE_PMD_NR);
	CHECK_ALL();
}

/* A write fault on the huge zero PMD: split into PTEs of the small zero
 * page, then the written page is copied (a zeroed 4 KiB page). */
static void test_write_fault_splits(void **state)
{
	struct task_struct *t = gt_task("writer");
	unsigned long a = hz_read(t), pfn;
	long splits = global_stat(THP_SPLIT_PMD), copies = global_stat(PNM_COW_COPY);
	long allocs = global_stat(THP_FAULT_ALLOC), free0 = global_stat(NR_FREE_PAGES);
	struct folio *folio;

	(void)state;
	test_write_byte(t, a + 5 * PG + 9, 0x5a);
	assert_int_equal(global_stat(THP_SPLIT_PMD), splits + 1);
	assert_int_equal(global_stat(PNM_COW_COPY), copies + 1);
	assert_int_equal(global_stat(THP_FAULT_ALLOC), allocs);
	/* One 4 KiB page: the table was deposited with the PMD. */
	assert_int_equal(free0 - global_stat(NR_FREE_PAGES), 1);
	assert_false(pmd_trans_huge(test_pmd_val(t, a)));
	folio = test_folio(t, a + 5 * PG);
	assert_int_equal(folio_order(folio), 0);
	assert_true(folio_test_anon(folio));
	assert_true(PageAnonExclusive(&folio->page));
	assert_int_equal(get_mm_counter(t->mm, MM_ANONPAGES), 1);
	/* The rest maps the small zero page, not the huge one's pages. */
	assert_int_equal(test_pfn(t, a), pnm_mem.zero_pfn);
	assert_int_equal(test_pfn(t, a + 511 * PG), pnm_mem.zero_pfn);
	pfn = test_pfn(t, a + 5 * PG);
	assert_false(is_huge_zero_pfn(pfn));
	assert_int_equal(test_read_byte(t, a + 5 * PG + 9), 0x5a);
	assert_int_equal(test_read_byte(t, a + 6 * PG + 9), 0);
	assert_huge_zero_unmapped();
	assert_int_equal(folio_ref_count(huge_zero_folio), 1);
	CHECK_ALL();

	/* A write on an empty PMD still allocates a THP. */
	a = hz_area(t);
	test_write_byte(t, a, 1);
	assert_int_equal(global_stat(THP_FAULT_ALLOC), allocs + 1);
	assert_int_equal(folio_order(test_folio(t, a)), HPAGE_PMD_ORDER);
	CHECK_ALL();
}

/* get_user_pages (FOLL_GET) references the huge zero folio; slow and
 * fast paths give the same page, and the PMD stays. */
static void test_gup_get(void **state)
{
	struct task_struct *t = gt_task("gup");
	unsigned long a = hz_read(t);
	struct page *pages[4];
	struct folio *zero = huge_zero_folio;

	(void)state;
	assert_int_equal(gt_get(t, a + 2 * PG, 2, 0, pages), 2);
	assert_ptr_equal(pages[0], folio_page(zero, 2));
	assert_ptr_equal(pages[1], folio_page(zero, 3));
	assert_int_equal(folio_ref_count(zero), 3);
	assert_int_equal(gt_get_fast(t, a + 10 * PG, 2, 0, pages + 2), 2);
	assert_ptr_equal(pages[2], folio_page(zero, 10));
	assert_int_equal(folio_ref_count(zero), 5);
	assert_huge_zero_pmd(t, a);
	assert_false(page_maybe_dma_pinned(pages[0]));
	/* The lockless walk leaves the special PMD to the slow path. */
	assert_int_equal(gt_get_fast_only(t, a, 1, 0, pages + 3), 0);
	CHECK_ALL();
	gt_put_pages(pages, 4);
	assert_int_equal(folio_ref_count(zero), 1);
	/* A write GUP breaks it like a write fault. */
	assert_int_equal(gt_get(t, a, 1, FOLL_WRITE, pages), 1);
	assert_false(is_huge_zero_pfn(page_to_pfn(pages[0])));
	assert_true(folio_test_anon(page_folio(pages[0])));
	assert_int_equal(test_pfn(t, a), page_to_pfn(pages[0]));
	put_page(pages[0]);
	CHECK_ALL();
}

/* A short-term R/O pin pins the huge zero folio like any large folio
 * (Linux only pretends for the small zero page). */
static void do_short_term_pin(bool fast)
{
	struct task_struct *t = gt_task("pin");
	unsigned long a = hz_read(t);
	long acquired = global_stat(NR_FOLL_PIN_ACQUIRED);
	struct folio *zero = huge_zero_folio;
	struct page *pages[3];
	long ret;

	ret = fast ? gt_pin_fast(t, a + PG, 3, 0, pages) : gt_pin(t, a + PG, 3, 0, pages);
	assert_int_equal(ret, 3);
	for (int i = 0; i < 3; i++)
		assert_ptr_equal(pages[i], folio_page(zero, 1 + i));
	assert_int_equal(atomic_read(&zero->_pincount), 3);
	assert_int_equal(folio_ref_count(zero), 4);
	assert_true(page_maybe_dma_pinned(pages[0]));
	assert_true(folio_maybe_dma_pinned(zero));
	assert_int_equal(global_stat(NR_FOLL_PIN_ACQUIRED), acquired + 3);
	assert_int_equal(pnm_pin_registry_count(t->pid), 3);
	assert_huge_zero_pmd(t, a);		/* not unshared */
	CHECK_ALL();
	/* The process's write goes to its own new page, not to the pin. */
	test_write_byte(t, a + PG, 0x77);
	assert_int_equal(gt_page_byte(pages[0], 0), 0);
	CHECK_ALL();
	/* Released dirty: the zero page is nobody's data, never dirtied. */
	unpin_user_pages_dirty_lock(pages, 3, true);
	assert_false(folio_test_dirty(zero));
	assert_int_equal(atomic_read(&zero->_pincount), 0);
	assert_int_equal(folio_ref_count(zero), 1);
	assert_int_equal(global_stat(NR_FOLL_PIN_RELEASED), global_stat(NR_FOLL_PIN_ACQUIRED));
	CHECK_ALL();
}

static void test_short_term_pin(void **state)
{
	(void)state;
	do_short_term_pin(false);
}

static void test_short_term_pin_fast(void **state)
{
	(void)state;
	do_short_term_pin(true);
}

/* A long-term R/O pin in a private mapping must not pin the shared huge
 * zero page: the unshare fault splits the PMD and gives the process its
 * own (read-only) page, which the pin then holds. */
static void do_longterm_pin(bool fast)
{
	struct task_struct *t = gt_task("longterm");
	unsigned long a = hz_read(t);
	long unshares = global_stat(PNM_UNSHARE_COPY);
	struct page *pin;
	long ret;

	ret = fast ? gt_pin_fast(t, a + 4 * PG, 1, FOLL_LONGTERM, &pin) :
		     gt_pin(t, a + 4 * PG, 1, FOLL_LONGTERM, &pin);
	assert_int_equal(ret, 1);
	assert_false(is_huge_zero_pfn(page_to_pfn(pin)));
	assert_true(folio_test_anon(page_folio(pin)));
	assert_true(PageAnonExclusive(pin));
	assert_int_equal(test_pfn(t, a + 4 * PG), page_to_pfn(pin));
	assert_int_equal(global_stat(PNM_UNSHARE_COPY), unshares + 1);
	assert_false(pmd_trans_huge(test_pmd_val(t, a)));
	assert_int_equal(atomic_read(&huge_zero_folio->_pincount), 0);
	CHECK_ALL();
	/* Long-term R/O pin is reliable: the process's write is seen. */
	test_write_byte(t, a + 4 * PG + 1, 0x42);
	assert_int_equal(test_pfn(t, a + 4 * PG), page_to_pfn(pin));
	assert_int_equal(gt_page_byte(pin, 1), 0x42);
	unpin_user_page(pin);
	CHECK_ALL();
}

static void test_longterm_pin_unshares(void **state)
{
	(void)state;
	do_longterm_pin(false);
}

static void test_longterm_pin_fast_unshares(void **state)
{
	(void)state;
	do_longterm_pin(true);
}

/* The device never writes into the huge zero page through a R/O pin. */
static void test_dma_write_refused(void **state)
{
	struct task_struct *t = gt_task("dma");
	unsigned long a = hz_read(t);
	struct page *pin;

	(void)state;
	assert_int_equal(gt_pin(t, a, 1, 0, &pin), 1);
	assert_true(is_huge_zero_pfn(page_to_pfn(pin)));
	pnm_dma_write(&pin, 1, 0, "device", 6);
	assert_int_equal(gt_page_byte(pin, 0), 0);
	assert_int_equal(test_read_byte(t, a), 0);
	unpin_user_page(pin);
	CHECK_ALL();
}

/* Fork copies the special PMD; each side's write splits only its own. */
static void test_fork_copies_pmd(void **state)
{
	struct task_struct *p = gt_task("parent"), *c;
	unsigned long a = hz_read(p);
	long tables = atomic_long_read(&p->mm->pgtables_bytes);

	(void)state;
	c = gt_fork(p);
	assert_huge_zero_pmd(c, a);
	assert_huge_zero_pmd(p, a);
	assert_int_equal(folio_ref_count(huge_zero_folio), 1);
	assert_int_equal(atomic_long_read(&c->mm->pgtables_bytes), tables);
	assert_int_equal(get_mm_counter(c->mm, MM_ANONPAGES), 0);
	CHECK_ALL();
	test_write_byte(c, a + PG, 3);
	assert_false(pmd_trans_huge(test_pmd_val(c, a)));
	assert_huge_zero_pmd(p, a);
	assert_int_equal(test_read_byte(p, a + PG), 0);
	assert_int_equal(test_read_byte(c, a + PG), 3);
	CHECK_ALL();
	pnm_task_exit(c);
	assert_huge_zero_pmd(p, a);
	CHECK_ALL();
}

/* munmap clears the PMD (and frees its table); a partial MADV_DONTNEED or
 * mprotect splits it into small zero-page PTEs; a whole-PMD mprotect
 * keeps it special and read-only. */
static void test_unmap_and_protect(void **state)
{
	struct task_struct *t = gt_task("zap");
	unsigned long a = hz_read(t), b = hz_read(t), c = hz_read(t);
	long tables = atomic_long_read(&t->mm->pgtables_bytes);
	long splits = global_stat(THP_SPLIT_PMD);

	(void)state;
	assert_int_equal(pnm_mm_munmap(t->mm, a, PMD_SIZE), 0);
	assert_true(pmd_none(test_pmd_val(t, a)));
	assert_true(atomic_long_read(&t->mm->pgtables_bytes) < tables);
	assert_int_equal(folio_ref_count(huge_zero_folio), 1);
	CHECK_ALL();

	assert_int_equal(pnm_mm_madvise(t->mm, b + PG, PG, MADV_DONTNEED), 0);
	assert_int_equal(global_stat(THP_SPLIT_PMD), splits + 1);
	assert_int_equal(gt_pfn_or_none(t, b + PG), -1UL);
	assert_int_equal(test_pfn(t, b), pnm_mem.zero_pfn);
	assert_int_equal(test_pfn(t, b + 2 * PG), pnm_mem.zero_pfn);
	CHECK_ALL();

	/* The whole PMD: stays the huge zero page, read-only. */
	assert_int_equal(pnm_mm_mprotect(t->mm, c, PMD_SIZE, PROT_READ), 0);
	assert_huge_zero_pmd(t, c);
	assert_int_equal(pnm_mm_mprotect(t->mm, c, PMD_SIZE, RW), 0);
	assert_huge_zero_pmd(t, c);
	CHECK_ALL();
	/* Part of it: split. */
	assert_int_equal(pnm_mm_mprotect(t->mm, c, PG, PROT_READ), 0);
	assert_int_equal(global_stat(THP_SPLIT_PMD), splits + 2);
	assert_int_equal(test_pfn(t, c + PG), pnm_mem.zero_pfn);
	assert_int_equal(test_read_byte(t, c + 100 * PG), 0);
	test_write_byte(t, c + 100 * PG, 9);
	assert_int_equal(test_read_byte(t, c + 100 * PG), 9);
	CHECK_ALL();
}

static int setup_tiny_normal(void **state)
{
	struct pnm_config cfg;

	(void)state;
	pnm_test_config(&cfg);
	/* 2 MiB of NORMAL, one frame of it the zero page: no 2 MiB block. */
	cfg.zone_frames[ZONE_NORMAL] = HPAGE_PMD_NR;
	pnm_test_init_with(&cfg);
	return 0;
}

/* No free 2 MiB block for the huge zero page: 4 KiB fallback. */
static void test_alloc_failure_falls_back(void **state)
{
	struct task_struct *t = gt_task("tiny");
	unsigned long a = hz_area(t);

	(void)state;
	assert_int_equal(test_read_byte(t, a), 0);
	assert_int_equal(global_stat(THP_ZERO_PAGE_ALLOC_FAILED), 1);
	assert_int_equal(global_stat(THP_ZERO_PAGE_ALLOC), 0);
	assert_int_equal(global_stat(THP_FAULT_FALLBACK), 1);
	assert_null(huge_zero_folio);
	assert_int_equal(test_pfn(t, a), pnm_mem.zero_pfn);
	assert_false(pmd_trans_huge(test_pmd_val(t, a)));
	CHECK_ALL();
}

/* The checker: contents must stay zero, references cover the pins. */
static void test_checker(void **state)
{
	struct task_struct *t = gt_task("check");
	unsigned char *data;

	(void)state;
	hz_read(t);
	CHECK_ALL();
	assert_true(pnm_check_folio(huge_zero_folio));
	data = page_address(folio_page(huge_zero_folio, 300));
	data[17] = 1;
	assert_false(pnm_check_system());
	assert_non_null(strstr(pnm_check_error(), "not zero"));
	assert_false(pnm_check_folio(huge_zero_folio));
	data[17] = 0;
	atomic_inc(&huge_zero_folio->_pincount);
	assert_false(pnm_check_system());
	assert_non_null(strstr(pnm_check_error(), "pincount"));
	atomic_dec(&huge_zero_folio->_pincount);
	CHECK_ALL();
}

/* --- racing first uses ------------------------------------------------------- */

#define NR_RACERS	4
#define RACE_ROUNDS	16

struct racer {
	pthread_t thread;
	pthread_barrier_t *start;
	struct task_struct *task;
	unsigned long addr;
	int err;
	unsigned char byte;
};

static void *racer_main(void *arg)
{
	struct racer *rc = arg;

	pthread_barrier_wait(rc->start);
	rc->err = pnm_user_read(rc->task, rc->addr, &rc->byte, 1);
	return NULL;
}

/* Each round in a fresh model: NR_RACERS processes read-fault their own
 * THP area at once; exactly one huge zero page results, every PMD maps
 * it, no frame leaks (pnm_fini() succeeds). */
static void test_first_use_race(void **state)
{
	pthread_barrier_t start;
	struct pnm_config cfg;

	(void)state;
	pnm_test_config(&cfg);
	for (int round = 0; round < RACE_ROUNDS; round++) {
		struct racer rc[NR_RACERS];
		long free0;

		if (round)
			pnm_test_init_with(&cfg);
		free0 = normal_free();
		assert_int_equal(pthread_barrier_init(&start, NULL, NR_RACERS), 0);
		for (int i = 0; i < NR_RACERS; i++) {
			rc[i] = (struct racer){ .start = &start, .task = gt_task("racer") };
			rc[i].addr = hz_area(rc[i].task);
		}
		for (int i = 0; i < NR_RACERS; i++)
			assert_int_equal(pthread_create(&rc[i].thread, NULL, racer_main, &rc[i]), 0);
		for (int i = 0; i < NR_RACERS; i++)
			pthread_join(rc[i].thread, NULL);
		pthread_barrier_destroy(&start);
		for (int i = 0; i < NR_RACERS; i++) {
			assert_int_equal(rc[i].err, 0);
			assert_int_equal(rc[i].byte, 0);
			assert_huge_zero_pmd(rc[i].task, rc[i].addr);
		}
		assert_int_equal(global_stat(THP_ZERO_PAGE_ALLOC), 1);
		assert_int_equal(global_stat(PNM_HUGE_ZERO_PAGE_MAPPED), NR_RACERS);
		/* One 2 MiB block kept (the losers' were freed), plus tables. */
		assert_true(free0 - normal_free() < 2 * (long)HPAGE_PMD_NR);
		assert_int_equal(folio_ref_count(huge_zero_folio), 1);
		CHECK_ALL();
		for (int i = 0; i < NR_RACERS; i++)
			pnm_task_exit(rc[i].task);
		if (round < RACE_ROUNDS - 1) {
			assert_int_equal(pnm_fini(), 0);
			assert_null(huge_zero_folio);
		}
	}
}

/*
 * Migrating a range that maps the huge zero page moves the real pages
 * and leaves the shared zero page where it is (Linux skips it), instead
 * of failing.
 */
static void test_migrate_range_skips_huge_zero(void **state)
{
	struct task_struct *t = gt_task("mover");
	unsigned long a = hz_read(t);
	unsigned long b = test_mmap(t, 2 * PG, RW, PRIV);

	(void)state;
	test_write_byte(t, b, 1);
	test_write_byte(t, b + PG, 2);
	assert_int_equal(page_zonenum(pfn_to_page(test_pfn(t, b))), ZONE_MOVABLE);
	/* Only the huge zero page: nothing to move, and no error. */
	assert_int_equal(pnm_mm_migrate_range(t->mm, a, PMD_SIZE, ZONE_NORMAL), 0);
	assert_huge_zero_pmd(t, a);
	/* The real pages of the other area move as usual. */
	assert_int_equal(pnm_mm_migrate_range(t->mm, b, 2 * PG, ZONE_NORMAL), 2);
	assert_int_equal(page_zonenum(pfn_to_page(test_pfn(t, b))), ZONE_NORMAL);
	assert_huge_zero_pmd(t, a);
	assert_huge_zero_unmapped();
	CHECK_ALL();
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, pnm_test_setup, pnm_test_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_read_fault_maps_huge_zero),
		cmocka_unit_test_setup_teardown(test_use_zero_page_off, setup_no_zero,
						pnm_test_teardown),
		T(test_write_fault_splits),
		T(test_gup_get),
		T(test_short_term_pin),
		T(test_short_term_pin_fast),
		T(test_longterm_pin_unshares),
		T(test_longterm_pin_fast_unshares),
		T(test_dma_write_refused),
		T(test_fork_copies_pmd),
		T(test_unmap_and_protect),
		cmocka_unit_test_setup_teardown(test_alloc_failure_falls_back, setup_tiny_normal,
						pnm_test_teardown),
		T(test_checker),
		T(test_first_use_race),
		T(test_migrate_range_skips_huge_zero),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
