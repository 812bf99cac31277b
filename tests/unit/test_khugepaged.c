/* SPDX-License-Identifier: MIT */
/*
 * test_khugepaged.c - collapsing a 2 MiB block mapped by 4 KiB entries
 * into a PMD-mapped THP (khugepaged.c): MADV_COLLAPSE keeps the data,
 * zero-fills empty entries, maps the THP writable and anon-exclusive and
 * frees the old pages; a pinned page (or any extra reference) refuses the
 * collapse with -EAGAIN and leaves everything as it was
 * (pnm_thp_collapse_refused_pinned); Linux's errnos for bad ranges, holes,
 * VMAs that cannot hold a THP and no free 2 MiB block; a read-only block
 * collapses into a read-only THP; collapsing after fork -- every page
 * still COW-shared, or some written -- gives the collapser its own copy
 * and leaves the other's view alone; large folios of other sizes collapse too; the
 * khugepaged pass follows the 2 MiB switch and its limits.
 */
#include <string.h>

#include "test_util.h"
#include "pinmm_test_internal.h"

#define MAP_ANON_PRIV	(MAP_PRIVATE | MAP_ANONYMOUS)
#define PROT_RW		(PROT_READ | PROT_WRITE)
#define SZ_64K		(64UL << 10)

static unsigned long aligned_area(struct task_struct *t, unsigned long len)
{
	unsigned long x = test_mmap(t, len + HPAGE_PMD_SIZE, PROT_RW, MAP_ANON_PRIV);
	unsigned long start = ALIGN(x, HPAGE_PMD_SIZE);

	if (start > x)
		assert_int_equal(pnm_mm_munmap(t->mm, x, start - x), 0);
	if (x + HPAGE_PMD_SIZE > start)
		assert_int_equal(pnm_mm_munmap(t->mm, start + len,
					       x + HPAGE_PMD_SIZE - start), 0);
	return start;
}

static unsigned char pattern(unsigned long i)
{
	return (unsigned char)(i * 37 + 11);
}

/* Write the pattern byte to page i of the block, for each i % @step == 0. */
static void fill(struct task_struct *t, unsigned long haddr, unsigned long step)
{
	for (unsigned long i = 0; i < HPAGE_PMD_NR; i += step)
		test_write_byte(t, haddr + i * PAGE_SIZE + 0x80, pattern(i));
}

static void check_fill(struct task_struct *t, unsigned long haddr, unsigned long step)
{
	for (unsigned long i = 0; i < HPAGE_PMD_NR; i++)
		assert_int_equal(test_read_byte(t, haddr + i * PAGE_SIZE + 0x80),
				 i % step ? 0 : pattern(i));
}

static int collapse(struct task_struct *t, unsigned long addr, unsigned long len)
{
	return pnm_madvise(t, addr, len, PNM_MADV_COLLAPSE);
}

static void pin_as(struct task_struct *t, unsigned long addr, unsigned int flags,
		   struct page **page)
{
	struct task_struct *prev = pnm_task_enter(t);

	assert_int_equal(pin_user_pages_fast(addr, 1, flags, page), 1);
	pnm_task_leave(prev);
}

/* The block is one PMD-mapped, exclusive, writable order-9 folio. */
static struct folio *assert_collapsed(struct task_struct *t, unsigned long haddr)
{
	pmd_t pmd = test_pmd_val(t, haddr);
	struct folio *folio = test_folio(t, haddr);

	assert_true(pmd_trans_huge(pmd));
	assert_true(pmd_write(pmd));
	assert_int_equal(folio_order(folio), HPAGE_PMD_ORDER);
	assert_int_equal(folio_entire_mapcount(folio), 1);
	assert_int_equal(folio_ref_count(folio), 1);
	for (unsigned long i = 0; i < HPAGE_PMD_NR; i += 31)
		assert_true(PageAnonExclusive(folio_page(folio, i)));
	return folio;
}

static void test_collapse_basic(void **state)
{
	struct task_struct *a = test_task_create("a");
	long allocs = global_stat(THP_COLLAPSE_ALLOC);
	long collapsed = global_stat(PNM_THP_COLLAPSED);
	long thps = global_stat(NR_ANON_THPS);
	unsigned long haddr, nr_free, tables;

	(void)state;
	haddr = aligned_area(a, HPAGE_PMD_SIZE);
	fill(a, haddr, 3);		/* every third page; the rest stays empty */
	assert_false(pmd_trans_huge(test_pmd_val(a, haddr)));
	assert_int_equal(get_mm_counter(a->mm, MM_ANONPAGES), (HPAGE_PMD_NR + 2) / 3);
	nr_free = (unsigned long)global_stat(NR_FREE_PAGES);
	tables = (unsigned long)global_stat(NR_PAGETABLE);

	assert_int_equal(collapse(a, haddr, HPAGE_PMD_SIZE), 0);
	CHECK_ALL();
	assert_collapsed(a, haddr);
	assert_int_equal(global_stat(THP_COLLAPSE_ALLOC), allocs + 1);
	assert_int_equal(global_stat(PNM_THP_COLLAPSED), collapsed + 1);
	assert_int_equal(global_stat(NR_ANON_THPS), thps + 1);
	assert_int_equal(get_mm_counter(a->mm, MM_ANONPAGES), HPAGE_PMD_NR);
	/* 512 new frames, the old 171 freed; the PTE table is deposited. */
	assert_int_equal((unsigned long)global_stat(NR_FREE_PAGES),
			 nr_free - HPAGE_PMD_NR + (HPAGE_PMD_NR + 2) / 3);
	assert_int_equal((unsigned long)global_stat(NR_PAGETABLE), tables);
	check_fill(a, haddr, 3);
	/* Already huge: nothing to do, success. */
	assert_int_equal(collapse(a, haddr, HPAGE_PMD_SIZE), 0);
	assert_int_equal(global_stat(THP_COLLAPSE_ALLOC), allocs + 1);
	/* The THP behaves as one: writes in place, a split on munmap. */
	test_write_byte(a, haddr + 7, 0x42);
	assert_true(pmd_trans_huge(test_pmd_val(a, haddr)));
	assert_int_equal(pnm_mm_munmap(a->mm, haddr + PAGE_SIZE, PAGE_SIZE), 0);
	assert_false(pmd_trans_huge(test_pmd_val(a, haddr)));
	assert_int_equal(test_read_byte(a, haddr + 7), 0x42);
	assert_int_equal(test_read_byte(a, haddr + 3 * PAGE_SIZE + 0x80), pattern(3));
	assert_int_equal(test_read_byte(a, haddr + 4 * PAGE_SIZE + 0x80), 0);
	CHECK_ALL();
}

/* Large folios of other sizes, some partly mapped, collapse too; their
 * old frames all go back.  (MADV_DONTNEED, not munmap, makes the hole: a
 * munmap would split the VMA, and no VMA would hold the whole block.) */
static void test_collapse_mthp_block(void **state)
{
	struct task_struct *a = test_task_create("a");
	unsigned long haddr, nr_free;

	(void)state;
	assert_int_equal(pnm_thp_set_enabled(SZ_64K, PNM_THP_ALWAYS), 0);
	haddr = aligned_area(a, HPAGE_PMD_SIZE);
	fill(a, haddr, 1);
	assert_int_equal(folio_order(test_folio(a, haddr)), 4);
	assert_int_equal(pnm_madvise(a, haddr + 3 * PAGE_SIZE, PAGE_SIZE, MADV_DONTNEED), 0);
	assert_int_equal(global_stat(PNM_NR_DEFERRED_SPLIT), 1);
	nr_free = (unsigned long)global_stat(NR_FREE_PAGES);
	assert_int_equal(collapse(a, haddr, HPAGE_PMD_SIZE), 0);
	CHECK_ALL();
	assert_collapsed(a, haddr);
	assert_int_equal(global_stat(PNM_NR_DEFERRED_SPLIT), 0);
	assert_int_equal((unsigned long)global_stat(NR_FREE_PAGES), nr_free);
	assert_int_equal(test_read_byte(a, haddr + 3 * PAGE_SIZE + 0x80), 0);
	assert_int_equal(test_read_byte(a, haddr + 4 * PAGE_SIZE + 0x80), pattern(4));
	CHECK_ALL();
}

/* A pinned page refuses the collapse (-EAGAIN) and nothing changes; the
 * device and the process keep sharing the page.  After the unpin the
 * collapse succeeds. */
static void test_collapse_refused_pinned(void **state)
{
	struct task_struct *a = test_task_create("a");
	long refused = global_stat(PNM_THP_COLLAPSE_REFUSED_PINNED);
	long allocs = global_stat(THP_COLLAPSE_ALLOC);
	unsigned long haddr, pfn;
	struct page *pinned;

	(void)state;
	haddr = aligned_area(a, HPAGE_PMD_SIZE);
	fill(a, haddr, 1);
	pin_as(a, haddr + 100 * PAGE_SIZE, FOLL_WRITE | FOLL_LONGTERM, &pinned);
	pfn = test_pfn(a, haddr + 100 * PAGE_SIZE);
	assert_int_equal(page_to_pfn(pinned), pfn);

	assert_int_equal(collapse(a, haddr, HPAGE_PMD_SIZE), -EAGAIN);
	CHECK_ALL();
	assert_int_equal(global_stat(PNM_THP_COLLAPSE_REFUSED_PINNED), refused + 1);
	assert_int_equal(global_stat(THP_COLLAPSE_ALLOC), allocs);	/* refused early */
	assert_false(pmd_trans_huge(test_pmd_val(a, haddr)));
	assert_int_equal(test_pfn(a, haddr + 100 * PAGE_SIZE), pfn);
	memset((char *)page_address(pinned) + 0x80, 0x99, 1);
	assert_int_equal(test_read_byte(a, haddr + 100 * PAGE_SIZE + 0x80), 0x99);

	unpin_user_pages(&pinned, 1);
	assert_int_equal(collapse(a, haddr, HPAGE_PMD_SIZE), 0);
	assert_collapsed(a, haddr);
	assert_int_equal(test_read_byte(a, haddr + 100 * PAGE_SIZE + 0x80), 0x99);
	assert_int_equal(global_stat(PNM_THP_COLLAPSE_REFUSED_PINNED), refused + 1);
	CHECK_ALL();
}

/* Any reference beyond the mappings refuses too (Linux's test is the
 * refcount), but is not counted as a pin; so does a locked folio. */
static void test_collapse_refused_references(void **state)
{
	struct task_struct *a = test_task_create("a");
	long refused = global_stat(PNM_THP_COLLAPSE_REFUSED_PINNED);
	unsigned long haddr;
	struct folio *folio;

	(void)state;
	haddr = aligned_area(a, HPAGE_PMD_SIZE);
	fill(a, haddr, 2);
	folio = test_folio(a, haddr + 10 * PAGE_SIZE);
	folio_get(folio);
	assert_int_equal(collapse(a, haddr, HPAGE_PMD_SIZE), -EAGAIN);
	assert_int_equal(global_stat(PNM_THP_COLLAPSE_REFUSED_PINNED), refused);
	folio_put(folio);
	folio_lock(folio);
	assert_int_equal(collapse(a, haddr, HPAGE_PMD_SIZE), -EAGAIN);
	folio_unlock(folio);
	CHECK_ALL();
	assert_false(pmd_trans_huge(test_pmd_val(a, haddr)));
	assert_int_equal(collapse(a, haddr, HPAGE_PMD_SIZE), 0);
	check_fill(a, haddr, 2);
	CHECK_ALL();
}

/* Linux's errnos. */
static void test_collapse_errors(void **state)
{
	struct task_struct *a = test_task_create("a");
	long failed = global_stat(THP_COLLAPSE_ALLOC_FAILED);
	unsigned long haddr, small, shared, ro;
	struct folio *thp;

	(void)state;
	haddr = aligned_area(a, 3 * HPAGE_PMD_SIZE);
	fill(a, haddr, 8);
	assert_int_equal(collapse(a, haddr + 1, HPAGE_PMD_SIZE), -EINVAL);	/* unaligned */
	assert_int_equal(pnm_madvise(a, haddr, HPAGE_PMD_SIZE, 12345), -EINVAL);
	/* Inside one block, no whole block: -EINVAL ... */
	assert_int_equal(collapse(a, haddr + PAGE_SIZE, 16 * PAGE_SIZE), -EINVAL);
	/* ... but Linux's arithmetic says 0 when the part ends where the
	 * next block would start. */
	assert_int_equal(collapse(a, haddr + PAGE_SIZE, HPAGE_PMD_SIZE - PAGE_SIZE), 0);
	assert_false(pmd_trans_huge(test_pmd_val(a, haddr)));
	/* An empty block (no page table): -EINVAL after the rest is done. */
	assert_int_equal(collapse(a, haddr, 3 * HPAGE_PMD_SIZE), -EINVAL);
	assert_true(pmd_trans_huge(test_pmd_val(a, haddr)));
	assert_int_equal(test_pmd_val(a, haddr + HPAGE_PMD_SIZE).pmd, 0);
	/* No free 2 MiB block: -ENOMEM, counted. */
	fill(a, haddr + HPAGE_PMD_SIZE, 8);
	pnm_fail_nth_alloc(1);
	assert_int_equal(collapse(a, haddr + HPAGE_PMD_SIZE, HPAGE_PMD_SIZE), -ENOMEM);
	assert_int_equal(global_stat(THP_COLLAPSE_ALLOC_FAILED), failed + 1);
	assert_false(pmd_trans_huge(test_pmd_val(a, haddr + HPAGE_PMD_SIZE)));
	CHECK_ALL();
	/* A hole in the range: the mapped part is collapsed, then -ENOMEM. */
	assert_int_equal(pnm_mm_munmap(a->mm, haddr + 2 * HPAGE_PMD_SIZE, HPAGE_PMD_SIZE), 0);
	assert_int_equal(collapse(a, haddr + HPAGE_PMD_SIZE, 2 * HPAGE_PMD_SIZE), -ENOMEM);
	assert_true(pmd_trans_huge(test_pmd_val(a, haddr + HPAGE_PMD_SIZE)));
	check_fill(a, haddr + HPAGE_PMD_SIZE, 8);

	/* A VMA that cannot hold a 2 MiB block. */
	small = test_mmap(a, HPAGE_PMD_SIZE / 2, PROT_RW, MAP_ANON_PRIV);
	test_write_byte(a, small, 1);
	assert_int_equal(collapse(a, small, HPAGE_PMD_SIZE / 2), -EINVAL);
	/* Never faulted: no anon_vma. */
	small = aligned_area(a, HPAGE_PMD_SIZE);
	assert_int_equal(collapse(a, small, HPAGE_PMD_SIZE), -EINVAL);
	/* MADV_NOHUGEPAGE. */
	test_write_byte(a, small, 1);
	assert_int_equal(pnm_madvise(a, small, HPAGE_PMD_SIZE, MADV_NOHUGEPAGE), 0);
	assert_int_equal(collapse(a, small, HPAGE_PMD_SIZE), -EINVAL);
	/* Shared anonymous memory is shmem: not collapsed here. */
	shared = test_mmap(a, 2 * HPAGE_PMD_SIZE, PROT_RW, MAP_SHARED | MAP_ANONYMOUS);
	test_write_byte(a, ALIGN(shared, HPAGE_PMD_SIZE), 1);
	assert_int_equal(collapse(a, ALIGN(shared, HPAGE_PMD_SIZE), HPAGE_PMD_SIZE), -EINVAL);
	/* Every entry read-only: collapsed all the same, the THP read-only
	 * as the area; writable again after mprotect, in place. */
	ro = aligned_area(a, HPAGE_PMD_SIZE);
	fill(a, ro, 16);
	assert_int_equal(pnm_mm_mprotect(a->mm, ro, HPAGE_PMD_SIZE, PROT_READ), 0);
	assert_int_equal(collapse(a, ro, HPAGE_PMD_SIZE), 0);
	assert_true(pmd_trans_huge(test_pmd_val(a, ro)));
	assert_false(pmd_write(test_pmd_val(a, ro)));
	thp = test_folio(a, ro);
	assert_int_equal(folio_order(thp), HPAGE_PMD_ORDER);
	assert_true(PageAnonExclusive(&thp->page));
	check_fill(a, ro, 16);
	assert_int_equal(pnm_mm_mprotect(a->mm, ro, HPAGE_PMD_SIZE, PROT_RW), 0);
	test_write_byte(a, ro + 0x80, pattern(0));	/* exclusive: reused, no copy */
	assert_ptr_equal(assert_collapsed(a, ro), thp);
	check_fill(a, ro, 16);
	/* A zero length does nothing. */
	assert_int_equal(collapse(a, ro, 0), 0);
	CHECK_ALL();
}

/*
 * After fork every entry is read-only and every page shared: the collapse
 * goes through all the same (MADV_COLLAPSE has no limit on shared pages
 * and needs no writable entry, as in Linux); the parent gets its own THP,
 * the child keeps the old pages and sees none of the parent's later
 * writes.  The child can collapse its side too.
 */
static void test_collapse_after_fork(void **state)
{
	struct task_struct *a = test_task_create("a"), *b;
	unsigned long haddr;
	struct folio *old;

	(void)state;
	haddr = aligned_area(a, HPAGE_PMD_SIZE);
	fill(a, haddr, 1);
	old = test_folio(a, haddr + 5 * PAGE_SIZE);
	b = test_fork(a);
	assert_int_equal(folio_mapcount(old), 2);
	assert_int_equal(collapse(a, haddr, HPAGE_PMD_SIZE), 0);
	CHECK_ALL();
	assert_collapsed(a, haddr);
	assert_ptr_equal(test_folio(b, haddr + 5 * PAGE_SIZE), old);
	assert_int_equal(folio_mapcount(old), 1);
	assert_false(PageAnonExclusive(&old->page));	/* shared once, stays so */
	/* No leak from parent into child. */
	for (unsigned long i = 0; i < HPAGE_PMD_NR; i += 7)
		test_write_byte(a, haddr + i * PAGE_SIZE + 0x80, 0xff);
	check_fill(b, haddr, 1);
	/* Nor from child into parent. */
	test_write_byte(b, haddr + 9 * PAGE_SIZE + 0x80, 0x11);
	assert_int_equal(test_read_byte(a, haddr + 9 * PAGE_SIZE + 0x80), pattern(9));
	CHECK_ALL();
	/* The child collapses its own pages (no longer shared) too. */
	assert_int_equal(collapse(b, haddr, HPAGE_PMD_SIZE), 0);
	assert_collapsed(b, haddr);
	assert_int_equal(test_read_byte(b, haddr + 9 * PAGE_SIZE + 0x80), 0x11);
	assert_int_equal(test_read_byte(b, haddr + 5 * PAGE_SIZE + 0x80), pattern(5));
	CHECK_ALL();
	pnm_task_exit(b);
	put_task_struct(b);
	CHECK_ALL();
}

/* khugepaged: only where the 2 MiB switch allows, within its limits. */
static void test_khugepaged_scan(void **state)
{
	struct task_struct *a = test_task_create("a"), *b;
	long collapsed = global_stat(PNM_THP_COLLAPSED);
	unsigned long h1, h2, h3;

	(void)state;
	/* Faulted while 2 MiB was off, so made of 4K pages. */
	assert_int_equal(pnm_thp_set_enabled(HPAGE_PMD_SIZE, PNM_THP_NEVER), 0);
	h1 = aligned_area(a, HPAGE_PMD_SIZE);
	h2 = aligned_area(a, HPAGE_PMD_SIZE);
	h3 = aligned_area(a, HPAGE_PMD_SIZE);
	fill(a, h1, 1);
	test_write_byte(a, h2 + 0x80, pattern(0));	/* 511 empty entries */
	fill(a, h3, 1);
	assert_int_equal(pnm_madvise(a, h1, HPAGE_PMD_SIZE, MADV_HUGEPAGE), 0);
	assert_int_equal(pnm_madvise(a, h2, HPAGE_PMD_SIZE, MADV_HUGEPAGE), 0);
	assert_int_equal(pnm_madvise(a, h3, HPAGE_PMD_SIZE, MADV_HUGEPAGE), 0);
	/* Switch off: nothing. */
	assert_int_equal(pnm_khugepaged_scan(a, ~0UL), 0);
	/* On (inherit: madvise, and the areas are MADV_HUGEPAGE). */
	assert_int_equal(pnm_thp_set_enabled(HPAGE_PMD_SIZE, PNM_THP_INHERIT), 0);
	/* h3 is shared with a child beyond max_ptes_shared, and read-only. */
	b = test_fork(a);
	fill(a, h1, 1);					/* writable again */
	test_write_byte(a, h2 + 0x80, pattern(0));
	/* max=1: only the lowest block is looked at (h3 fails). */
	assert_int_equal(pnm_khugepaged_scan(a, 1), h3 < h1 && h3 < h2 ? 0 : 1);
	assert_int_equal(pnm_khugepaged_scan(a, ~0UL), h3 < h1 && h3 < h2 ? 2 : 1);
	assert_true(pmd_trans_huge(test_pmd_val(a, h1)));
	assert_true(pmd_trans_huge(test_pmd_val(a, h2)));
	assert_false(pmd_trans_huge(test_pmd_val(a, h3)));
	assert_int_equal(global_stat(PNM_THP_COLLAPSED), collapsed + 2);
	check_fill(a, h1, 1);
	check_fill(a, h2, HPAGE_PMD_NR);
	check_fill(b, h3, 1);
	/* MADV_COLLAPSE has no such limit, read-only or not. */
	assert_int_equal(collapse(a, h3, HPAGE_PMD_SIZE), 0);
	check_fill(a, h3, 1);
	CHECK_ALL();
	pnm_task_exit(b);
	assert_int_equal(pnm_khugepaged_scan(b, 1), -ESRCH);
	put_task_struct(b);
	CHECK_ALL();
}

#define KH_TEST(fn)	cmocka_unit_test_setup_teardown(fn, pnm_test_setup, pnm_test_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		KH_TEST(test_collapse_basic),
		KH_TEST(test_collapse_mthp_block),
		KH_TEST(test_collapse_refused_pinned),
		KH_TEST(test_collapse_refused_references),
		KH_TEST(test_collapse_errors),
		KH_TEST(test_collapse_after_fork),
		KH_TEST(test_khugepaged_scan),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
