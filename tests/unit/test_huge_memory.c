/* SPDX-License-Identifier: MIT */
/*
 * test_huge_memory.c - transparent huge pages: the first touch of a
 * MADV_HUGEPAGE area maps an order-9 folio by PMD; the cases that fall back
 * to 4 KiB pages (THP never, MADV_NOHUGEPAGE, unaligned or small VMAs, no
 * free 2 MiB block); a write after fork splitting only the writer's PMD and
 * copying 4 KiB; partial munmap splitting the PMD and keeping the rest;
 * split_folio() making 512 order-0 folios with the data intact, freeing
 * unmapped pages, and refusing while an extra reference is held.
 */
#include <pthread.h>
#include <sched.h>
#include <string.h>

#include "test_util.h"
#include "pinmm_test_internal.h"

#define MAP_ANON_PRIV	(MAP_PRIVATE | MAP_ANONYMOUS)
#define PROT_RW		(PROT_READ | PROT_WRITE)

/* 4 MiB of private anon memory with MADV_HUGEPAGE; returns the 2 MiB
 * aligned address inside it. */
static unsigned long thp_area(struct task_struct *t, unsigned long *base)
{
	unsigned long x = test_mmap(t, 2 * HPAGE_PMD_SIZE, PROT_RW, MAP_ANON_PRIV);

	assert_int_equal(pnm_mm_madvise(t->mm, x, 2 * HPAGE_PMD_SIZE, MADV_HUGEPAGE), 0);
	if (base)
		*base = x;
	return ALIGN(x, HPAGE_PMD_SIZE);
}

static unsigned char pattern(unsigned long i)
{
	return (unsigned char)(i * 13 + (i >> 12) * 7 + 1);
}

/* Write one byte at offset 0x123 of each of the 512 pages at @haddr. */
static void fill_thp(struct task_struct *t, unsigned long haddr)
{
	unsigned long i;

	for (i = 0; i < HPAGE_PMD_NR; i++)
		test_write_byte(t, haddr + i * PAGE_SIZE + 0x123, pattern(i));
}

static void check_thp_data(struct task_struct *t, unsigned long haddr,
			   unsigned long from, unsigned long to)
{
	unsigned long i;

	for (i = from; i < to; i++) {
		assert_int_equal(test_read_byte(t, haddr + i * PAGE_SIZE + 0x123),
				 pattern(i));
		assert_int_equal(test_read_byte(t, haddr + i * PAGE_SIZE), 0);
	}
}

/* Is @addr mapped by 4 KiB pages of an order-0 folio? */
static void assert_small_page(struct task_struct *t, unsigned long addr)
{
	struct folio *folio = test_folio(t, addr);

	assert_int_equal(folio_order(folio), 0);
	assert_false(pmd_trans_huge(test_pmd_val(t, addr)));
}

static void test_thp_fault_alloc(void **state)
{
	struct task_struct *a = test_task_create("a");
	unsigned long haddr = thp_area(a, NULL), i;
	long allocs = global_stat(THP_FAULT_ALLOC);
	long thps = global_stat(NR_ANON_THPS);
	long anon_mapped = global_stat(NR_ANON_MAPPED);
	long rss = get_mm_counter(a->mm, MM_ANONPAGES);
	struct folio *folio;
	pmd_t pmd;

	(void)state;
	test_write_byte(a, haddr + 5 * PAGE_SIZE + 77, 0xab);
	CHECK_ALL();
	assert_int_equal(global_stat(THP_FAULT_ALLOC), allocs + 1);
	assert_int_equal(global_stat(NR_ANON_THPS), thps + 1);
	assert_int_equal(global_stat(NR_ANON_MAPPED), anon_mapped + HPAGE_PMD_NR);
	assert_int_equal(get_mm_counter(a->mm, MM_ANONPAGES), rss + HPAGE_PMD_NR);
	pmd = test_pmd_val(a, haddr);
	assert_true(pmd_trans_huge(pmd));
	assert_true(pmd_write(pmd));
	folio = test_folio(a, haddr);
	assert_int_equal(folio_order(folio), HPAGE_PMD_ORDER);
	assert_int_equal(folio_pfn(folio), pmd_pfn(pmd));
	assert_true(folio_test_anon(folio));
	assert_int_equal(folio_entire_mapcount(folio), 1);
	assert_int_equal(folio_mapcount(folio), HPAGE_PMD_NR);
	assert_int_equal(folio_ref_count(folio), 1);
	for (i = 0; i < HPAGE_PMD_NR; i += 37) {
		assert_int_equal(test_pfn(a, haddr + i * PAGE_SIZE), folio_pfn(folio) + i);
		assert_true(PageAnonExclusive(folio_page(folio, i)));
	}
	assert_int_equal(test_read_byte(a, haddr + 5 * PAGE_SIZE + 77), 0xab);
	assert_int_equal(test_read_byte(a, haddr + 300 * PAGE_SIZE), 0);

	/* A read fault on an empty huge PMD maps the huge zero page
	 * (test_huge_zero.c has the rest of it). */
	{
		unsigned long h2 = thp_area(a, NULL);

		assert_int_equal(test_read_byte(a, h2 + 3), 0);
		assert_int_equal(global_stat(THP_FAULT_ALLOC), allocs + 1);
		assert_true(pmd_trans_huge(test_pmd_val(a, h2)));
		assert_true(is_huge_zero_pmd(test_pmd_val(a, h2)));
		assert_int_equal(get_mm_counter(a->mm, MM_ANONPAGES), rss + HPAGE_PMD_NR);
	}
	CHECK_ALL();
	pnm_task_exit(a);
	assert_int_equal(global_stat(NR_ANON_THPS), thps);
	assert_int_equal(global_stat(NR_ANON_MAPPED), anon_mapped);
	CHECK_ALL();
}

/* THP never, MADV_NOHUGEPAGE, no madvise in madvise mode, a VMA too small,
 * and a 2 MiB VMA that is not 2 MiB aligned all get 4 KiB pages; mode
 * "always" needs no madvise. */
static void test_thp_unsuitable_fallback(void **state)
{
	enum pnm_thp_mode saved = pnm_config.thp;
	struct task_struct *a = test_task_create("a");
	long allocs = global_stat(THP_FAULT_ALLOC);
	long fallbacks = global_stat(THP_FAULT_FALLBACK);
	unsigned long haddr, x, base;
	long addr;

	(void)state;
	/* never */
	pnm_config.thp = PNM_THP_NEVER;
	haddr = thp_area(a, NULL);
	test_write_byte(a, haddr, 1);
	assert_small_page(a, haddr);
	pnm_config.thp = saved;

	/* madvise mode without MADV_HUGEPAGE */
	x = test_mmap(a, 2 * HPAGE_PMD_SIZE, PROT_RW, MAP_ANON_PRIV);
	test_write_byte(a, ALIGN(x, HPAGE_PMD_SIZE), 1);
	assert_small_page(a, ALIGN(x, HPAGE_PMD_SIZE));

	/* MADV_NOHUGEPAGE wins even in "always" mode */
	pnm_config.thp = PNM_THP_ALWAYS;
	x = test_mmap(a, 2 * HPAGE_PMD_SIZE, PROT_RW, MAP_ANON_PRIV);
	assert_int_equal(pnm_mm_madvise(a->mm, x, 2 * HPAGE_PMD_SIZE, MADV_NOHUGEPAGE), 0);
	test_write_byte(a, ALIGN(x, HPAGE_PMD_SIZE), 1);
	assert_small_page(a, ALIGN(x, HPAGE_PMD_SIZE));
	/* ...and without it "always" maps a THP */
	haddr = ALIGN(test_mmap(a, 2 * HPAGE_PMD_SIZE, PROT_RW, MAP_ANON_PRIV),
		      HPAGE_PMD_SIZE);
	test_write_byte(a, haddr, 1);
	assert_true(pmd_trans_huge(test_pmd_val(a, haddr)));
	assert_int_equal(global_stat(THP_FAULT_ALLOC), allocs + 1);
	pnm_config.thp = saved;

	/* a MADV_HUGEPAGE VMA smaller than 2 MiB */
	x = test_mmap(a, HPAGE_PMD_SIZE / 2, PROT_RW, MAP_ANON_PRIV);
	assert_int_equal(pnm_mm_madvise(a->mm, x, HPAGE_PMD_SIZE / 2, MADV_HUGEPAGE), 0);
	test_write_byte(a, x, 1);
	assert_small_page(a, x);

	/* a 2 MiB VMA that straddles a 2 MiB boundary */
	base = ALIGN(test_mmap(a, 3 * HPAGE_PMD_SIZE, PROT_RW, MAP_ANON_PRIV),
		     HPAGE_PMD_SIZE);
	assert_int_equal(pnm_mm_munmap(a->mm, base, 2 * HPAGE_PMD_SIZE), 0);
	addr = pnm_mm_mmap(a->mm, base + HPAGE_PMD_SIZE / 2, HPAGE_PMD_SIZE, PROT_RW,
			MAP_ANON_PRIV | MAP_FIXED, NULL, 0);
	assert_int_equal(addr, (long)(base + HPAGE_PMD_SIZE / 2));
	assert_int_equal(pnm_mm_madvise(a->mm, addr, HPAGE_PMD_SIZE, MADV_HUGEPAGE), 0);
	test_write_byte(a, addr, 1);
	test_write_byte(a, base + HPAGE_PMD_SIZE + 8, 2);
	assert_small_page(a, addr);
	assert_small_page(a, base + HPAGE_PMD_SIZE);
	assert_int_equal(test_read_byte(a, base + HPAGE_PMD_SIZE + 8), 2);

	/* none of these is a fallback in the thp_fault_fallback sense */
	assert_int_equal(global_stat(THP_FAULT_ALLOC), allocs + 1);
	assert_int_equal(global_stat(THP_FAULT_FALLBACK), fallbacks);
	CHECK_ALL();
}

/* With every free 2 MiB block taken, a THP fault falls back (counted). */
static void test_thp_no_block_fallback(void **state)
{
	struct task_struct *a = test_task_create("a");
	unsigned long haddr = thp_area(a, NULL);
	long allocs = global_stat(THP_FAULT_ALLOC);
	long fallbacks = global_stat(THP_FAULT_FALLBACK);
	struct folio *hog[64];
	int nr = 0;

	(void)state;
	/* Populate the upper tables first so the fault needs none. */
	mmap_read_lock(a->mm);
	assert_non_null(pnm_pmd_alloc(a->mm, haddr));
	mmap_read_unlock(a->mm);
	while (nr < (int)ARRAY_SIZE(hog)) {
		hog[nr] = folio_alloc(GFP_TRANSHUGE, HPAGE_PMD_ORDER);
		if (!hog[nr])
			break;
		nr++;
	}
	assert_true(nr > 0 && nr < (int)ARRAY_SIZE(hog));

	test_write_byte(a, haddr + 3 * PAGE_SIZE, 0x77);
	assert_int_equal(global_stat(THP_FAULT_FALLBACK), fallbacks + 1);
	assert_int_equal(global_stat(THP_FAULT_ALLOC), allocs);
	assert_small_page(a, haddr + 3 * PAGE_SIZE);
	assert_int_equal(test_read_byte(a, haddr + 3 * PAGE_SIZE), 0x77);
	CHECK_ALL();

	/* Blocks back: the next empty huge PMD gets a THP again. */
	while (nr)
		folio_put(hog[--nr]);
	haddr = thp_area(a, NULL);
	test_write_byte(a, haddr, 1);
	assert_int_equal(global_stat(THP_FAULT_ALLOC), allocs + 1);
	assert_true(pmd_trans_huge(test_pmd_val(a, haddr)));
	CHECK_ALL();
}

/* fork shares the THP; a write in the child splits only the child's PMD
 * and copies one 4 KiB page. */
static void test_thp_fork_write_splits(void **state)
{
	struct task_struct *a = test_task_create("a"), *c;
	unsigned long haddr = thp_area(a, NULL);
	unsigned long target = haddr + 100 * PAGE_SIZE;
	long splits, copies, frames;
	struct folio *folio;

	(void)state;
	fill_thp(a, haddr);
	folio = test_folio(a, haddr);
	c = test_fork(a);
	CHECK_ALL();
	assert_true(pmd_trans_huge(test_pmd_val(c, haddr)));
	assert_false(pmd_write(test_pmd_val(c, haddr)));
	assert_false(pmd_write(test_pmd_val(a, haddr)));
	assert_int_equal(folio_entire_mapcount(folio), 2);
	assert_int_equal(folio_ref_count(folio), 2);
	assert_false(PageAnonExclusive(folio_page(folio, 0)));
	assert_false(PageAnonExclusive(folio_page(folio, 511)));
	assert_int_equal(get_mm_counter(c->mm, MM_ANONPAGES), HPAGE_PMD_NR);
	check_thp_data(c, haddr, 0, HPAGE_PMD_NR);

	splits = global_stat(THP_SPLIT_PMD);
	copies = global_stat(PNM_COW_COPY);
	frames = (long)pnm_nr_allocated_frames();
	test_write_byte(c, target + 0x123, 0xee);
	CHECK_ALL();
	assert_int_equal(global_stat(THP_SPLIT_PMD), splits + 1);
	assert_int_equal(global_stat(PNM_COW_COPY), copies + 1);
	/* One 4 KiB copy; the PTE table was deposited at fork. */
	assert_int_equal((long)pnm_nr_allocated_frames(), frames + 1);
	assert_false(pmd_trans_huge(test_pmd_val(c, haddr)));
	assert_true(pmd_trans_huge(test_pmd_val(a, haddr)));
	assert_true(test_folio(c, target) != folio);
	assert_int_equal(test_pfn(c, target + PAGE_SIZE), folio_pfn(folio) + 101);
	assert_int_equal(test_read_byte(c, target + 0x123), 0xee);
	check_thp_data(a, haddr, 0, HPAGE_PMD_NR);
	check_thp_data(c, haddr, 0, 100);
	check_thp_data(c, haddr, 101, HPAGE_PMD_NR);
	/* The child's PMD mapping became 511 PTE mappings of the THP. */
	assert_int_equal(folio_entire_mapcount(folio), 1);
	assert_int_equal(folio_mapcount(folio), 2 * HPAGE_PMD_NR - 1);
	assert_int_equal(folio_ref_count(folio), HPAGE_PMD_NR);

	/* The parent's write splits its PMD too (the folio is not exclusive). */
	test_write_byte(a, haddr + 0x123, 0xdd);
	assert_int_equal(global_stat(THP_SPLIT_PMD), splits + 2);
	assert_int_equal(test_read_byte(a, haddr + 0x123), 0xdd);
	assert_int_equal(test_read_byte(c, haddr + 0x123), pattern(0));
	CHECK_ALL();
	pnm_task_exit(c);
	CHECK_ALL();
	check_thp_data(a, haddr, 1, HPAGE_PMD_NR);
}

/* munmap of one page of a THP splits the PMD and keeps the other 511. */
static void test_thp_partial_munmap(void **state)
{
	struct task_struct *a = test_task_create("a");
	unsigned long haddr = thp_area(a, NULL);
	long splits = global_stat(THP_SPLIT_PMD);
	long thps = global_stat(NR_ANON_THPS);
	struct folio *folio;

	(void)state;
	fill_thp(a, haddr);
	folio = test_folio(a, haddr);
	assert_int_equal(global_stat(NR_ANON_THPS), thps + 1);
	assert_int_equal(pnm_mm_munmap(a->mm, haddr + 7 * PAGE_SIZE, PAGE_SIZE), 0);
	CHECK_ALL();
	assert_int_equal(global_stat(THP_SPLIT_PMD), splits + 1);
	assert_int_equal(global_stat(NR_ANON_THPS), thps);
	assert_false(pmd_trans_huge(test_pmd_val(a, haddr)));
	assert_int_equal(folio_order(folio), HPAGE_PMD_ORDER);
	assert_int_equal(folio_mapcount(folio), HPAGE_PMD_NR - 1);
	assert_int_equal(folio_ref_count(folio), HPAGE_PMD_NR - 1);
	assert_int_equal(get_mm_counter(a->mm, MM_ANONPAGES), HPAGE_PMD_NR - 1);
	/* Exclusivity and writability survive the split. */
	assert_true(PageAnonExclusive(folio_page(folio, 8)));
	assert_false(PageAnonExclusive(folio_page(folio, 7)));
	check_thp_data(a, haddr, 0, 7);
	check_thp_data(a, haddr, 8, HPAGE_PMD_NR);
	assert_int_equal(pnm_user_read(a, haddr + 7 * PAGE_SIZE, &(char){ 0 }, 1), -EFAULT);
	test_write_byte(a, haddr + 9 * PAGE_SIZE, 0x42);
	assert_int_equal(test_pfn(a, haddr + 9 * PAGE_SIZE), folio_pfn(folio) + 9);

	/* MADV_DONTNEED of a whole huge PMD frees it. */
	{
		unsigned long h2 = thp_area(a, NULL);
		long frames;

		fill_thp(a, h2);
		frames = (long)pnm_nr_allocated_frames();
		assert_int_equal(pnm_mm_madvise(a->mm, h2, HPAGE_PMD_SIZE, MADV_DONTNEED), 0);
		/* The folio and its deposited table. */
		assert_int_equal((long)pnm_nr_allocated_frames(), frames - HPAGE_PMD_NR - 1);
		assert_int_equal(test_read_byte(a, h2 + 0x123), 0);
	}
	CHECK_ALL();
}

/* split_folio(): 512 order-0 folios, data and mappings intact in both
 * processes, each page referenced by its own mappings. */
static void test_split_folio(void **state)
{
	struct task_struct *a = test_task_create("a"), *c;
	unsigned long haddr = thp_area(a, NULL), i, pfn;
	long splits = global_stat(THP_SPLIT_PAGE);
	long thps = global_stat(NR_ANON_THPS);
	long anon_mapped;
	struct folio *folio;

	(void)state;
	fill_thp(a, haddr);
	c = test_fork(a);
	folio = test_folio(a, haddr);
	pfn = folio_pfn(folio);
	anon_mapped = global_stat(NR_ANON_MAPPED);

	folio_get(folio);
	folio_lock(folio);
	assert_int_equal(split_folio(folio), 0);
	assert_int_equal(global_stat(THP_SPLIT_PAGE), splits + 1);
	assert_int_equal(global_stat(NR_ANON_THPS), thps);
	assert_int_equal(global_stat(NR_ANON_MAPPED), anon_mapped);
	assert_true(folio_test_locked(folio));
	assert_int_equal(folio_order(folio), 0);
	for (i = 0; i < HPAGE_PMD_NR; i++) {
		struct folio *sub = pfn_folio(pfn + i);

		assert_ptr_equal(&sub->page, pfn_to_page(pfn + i));
		assert_int_equal(folio_order(sub), 0);
		assert_int_equal(atomic_read(&sub->page._mapcount), 2);
		assert_int_equal(folio_ref_count(sub), i ? 2 : 3);
		assert_int_equal(sub->index, (haddr >> PAGE_SHIFT) + i);
		assert_true(folio_test_anon(sub));
		assert_int_equal(folio_test_locked(sub), i == 0);
		assert_false(PageAnonExclusive(&sub->page));
	}
	folio_unlock(folio);
	folio_put(folio);
	CHECK_ALL();
	assert_false(pmd_trans_huge(test_pmd_val(a, haddr)));
	assert_false(pmd_trans_huge(test_pmd_val(c, haddr)));
	for (i = 0; i < HPAGE_PMD_NR; i += 31) {
		assert_int_equal(test_pfn(a, haddr + i * PAGE_SIZE), pfn + i);
		assert_int_equal(test_pfn(c, haddr + i * PAGE_SIZE), pfn + i);
	}
	check_thp_data(a, haddr, 0, HPAGE_PMD_NR);
	check_thp_data(c, haddr, 0, HPAGE_PMD_NR);

	/* COW on an order-0 page now: the child copies, the parent reuses. */
	test_write_byte(c, haddr + 0x123, 0x31);
	pnm_task_exit(c);
	test_write_byte(a, haddr + PAGE_SIZE, 0x32);
	assert_int_equal(test_pfn(a, haddr + PAGE_SIZE), pfn + 1);
	assert_true(PageAnonExclusive(pfn_to_page(pfn + 1)));
	check_thp_data(a, haddr, 2, HPAGE_PMD_NR);
	CHECK_ALL();
}

/* Pages nothing maps any more are freed by the split. */
static void test_split_folio_frees_unmapped(void **state)
{
	struct task_struct *a = test_task_create("a");
	unsigned long haddr = thp_area(a, NULL);
	struct folio *folio;
	long frames;

	(void)state;
	fill_thp(a, haddr);
	folio = test_folio(a, haddr);
	assert_int_equal(pnm_mm_munmap(a->mm, haddr + 256 * PAGE_SIZE, 256 * PAGE_SIZE), 0);
	frames = (long)pnm_nr_allocated_frames();
	folio_get(folio);
	folio_lock(folio);
	assert_int_equal(split_folio(folio), 0);
	folio_unlock(folio);
	folio_put(folio);
	assert_int_equal((long)pnm_nr_allocated_frames(), frames - 256);
	check_thp_data(a, haddr, 0, 256);
	CHECK_ALL();
}

/* An extra reference (a GUP get, a pin) makes split_folio() refuse and
 * restore every mapping. */
static void test_split_folio_refused(void **state)
{
	struct task_struct *a = test_task_create("a");
	unsigned long haddr = thp_area(a, NULL), i;
	long failed = global_stat(THP_SPLIT_PAGE_FAILED);
	struct folio *folio;

	(void)state;
	fill_thp(a, haddr);
	folio = test_folio(a, haddr);
	folio_get(folio);		/* the caller's */
	folio_get(folio);		/* somebody else's */
	folio_lock(folio);
	assert_int_equal(split_folio(folio), -EBUSY);
	assert_int_equal(global_stat(THP_SPLIT_PAGE_FAILED), failed + 1);
	assert_int_equal(folio_order(folio), HPAGE_PMD_ORDER);
	assert_int_equal(folio_ref_count(folio), 2 + HPAGE_PMD_NR);
	assert_int_equal(folio_mapcount(folio), HPAGE_PMD_NR);
	for (i = 0; i < HPAGE_PMD_NR; i += 17) {
		assert_int_equal(test_pfn(a, haddr + i * PAGE_SIZE), folio_pfn(folio) + i);
		assert_true(PageAnonExclusive(folio_page(folio, i)));
	}
	folio_put(folio);

	/* A pinned large folio (exact _pincount) refuses as well. */
	atomic_set(&folio->_pincount, 1);
	folio_get(folio);
	assert_int_equal(split_folio(folio), -EBUSY);
	folio_put(folio);
	atomic_set(&folio->_pincount, 0);

	/* Only the caller's reference left: the split goes through. */
	assert_int_equal(split_folio(folio), 0);
	folio_unlock(folio);
	folio_put(folio);
	CHECK_ALL();
	check_thp_data(a, haddr, 0, HPAGE_PMD_NR);
	test_write_byte(a, haddr + 3 * PAGE_SIZE, 1);
	assert_int_equal(test_pfn(a, haddr + 3 * PAGE_SIZE), folio_pfn(folio) + 3);
	CHECK_ALL();
}

/* --- split_folio() while another thread uses the THP -------------------- */

#define RACE_WARMUP	200	/* worker iterations before and after the split */

struct race_arg {
	struct task_struct *task;
	unsigned long haddr;
	uint64_t seed;
	atomic_t stop;
	atomic_t iters;
	atomic_t failures;
};

/*
 * Worker: until told to stop, random byte writes at offset 0x200 of random
 * pages of the THP, each read back, plus reads of the fill pattern at
 * 0x123.  Accesses that meet a migration entry fault and wait for the
 * split to finish.
 */
static void *race_worker(void *p)
{
	struct race_arg *ra = p;
	uint64_t seed = ra->seed;
	int i;

	for (i = 0; !atomic_read_acquire(&ra->stop); i++) {
		unsigned long pg = test_rand(&seed) % HPAGE_PMD_NR;
		unsigned long addr = ra->haddr + pg * PAGE_SIZE;
		unsigned char v = (unsigned char)(i | 1), got = 0, pat = 0;

		if (pnm_user_write(ra->task, addr + 0x200, &v, 1) ||
		    pnm_user_read(ra->task, addr + 0x200, &got, 1) ||
		    pnm_user_read(ra->task, addr + 0x123, &pat, 1) ||
		    got != v || pat != pattern(pg))
			atomic_inc(&ra->failures);
		atomic_inc(&ra->iters);
	}
	return NULL;
}

/* Spin (yielding) until the worker has done @n iterations in total. */
static void wait_iters(struct race_arg *ra, int n)
{
	while (atomic_read(&ra->iters) < n)
		sched_yield();
}

/*
 * One round: a THP in @owner (mapped in @fork_child too if not NULL), the
 * worker hammering it through @victim, the main thread splitting it.
 */
static void split_race_round(struct task_struct *owner, bool with_child,
			     uint64_t seed)
{
	struct task_struct *child = NULL;
	struct race_arg ra = { .task = owner, .seed = seed };
	unsigned long pfn, i;
	struct folio *folio;
	pthread_t thr;
	int ret = -EBUSY, attempts = 0;

	ra.haddr = thp_area(owner, NULL);
	fill_thp(owner, ra.haddr);
	folio = test_folio(owner, ra.haddr);
	pfn = folio_pfn(folio);
	if (with_child) {
		child = test_fork(owner);
		ra.task = child;	/* its writes COW-copy pages meanwhile */
	}
	folio_get(folio);
	assert_int_equal(pthread_create(&thr, NULL, race_worker, &ra), 0);
	wait_iters(&ra, RACE_WARMUP);
	/* A fault waiting on the split holds a reference, which makes a try
	 * fail with -EBUSY: unlock between tries to let it through. */
	while (ret && attempts < 1000) {
		folio_lock(folio);
		ret = split_folio(folio);
		folio_unlock(folio);
		assert_true(ret == 0 || ret == -EBUSY || ret == -EAGAIN);
		attempts++;
		sched_yield();
	}
	wait_iters(&ra, atomic_read(&ra.iters) + RACE_WARMUP);
	atomic_set_release(&ra.stop, 1);
	assert_int_equal(pthread_join(thr, NULL), 0);
	if (ret) {
		folio_lock(folio);
		assert_int_equal(split_folio(folio), 0);
		folio_unlock(folio);
	}
	folio_put(folio);
	assert_int_equal(atomic_read(&ra.failures), 0);
	CHECK_ALL();
	for (i = 0; i < HPAGE_PMD_NR; i++) {
		assert_int_equal(folio_order(pfn_folio(pfn + i)), 0);
		assert_int_equal(test_pfn(owner, ra.haddr + i * PAGE_SIZE), pfn + i);
	}
	check_thp_data(owner, ra.haddr, 0, HPAGE_PMD_NR);
	if (child) {
		check_thp_data(child, ra.haddr, 0, HPAGE_PMD_NR);
		pnm_task_exit(child);
		put_task_struct(child);
	}
	assert_int_equal(pnm_mm_munmap(owner->mm, ra.haddr, HPAGE_PMD_SIZE), 0);
	CHECK_ALL();
}

/* split_folio() while another thread reads and writes the THP: faults on
 * the migration entries wait, the data survives, the split completes. */
static void test_split_folio_concurrent_access(void **state)
{
	struct task_struct *a = test_task_create("a");
	int r;

	(void)state;
	for (r = 0; r < 6; r++)
		split_race_round(a, r & 1, 0x5eed1234 + (uint64_t)r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_thp_fault_alloc,
						pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_thp_unsuitable_fallback,
						pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_thp_no_block_fallback,
						pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_thp_fork_write_splits,
						pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_thp_partial_munmap,
						pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_split_folio,
						pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_split_folio_frees_unmapped,
						pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_split_folio_refused,
						pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_split_folio_concurrent_access,
						pnm_test_setup, pnm_test_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
