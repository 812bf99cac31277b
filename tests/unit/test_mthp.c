/* SPDX-License-Identifier: MIT */
/*
 * test_mthp.c - multi-size THP for anonymous memory (mthp.c): the per-size
 * switches and their errors; a write fault taking the largest enabled size
 * that fits the VMA, is aligned and entirely unmapped, falling back size by
 * size (the per-size counters); PTE-mapped large folios through COW (one
 * page copied while shared; reused in place once every reference is a
 * mapping of one process, copied with another reference or one mapping left), fork (shared per page; every page copied for the child
 * when the folio may be pinned), pins (one per page on the folio's
 * _pincount, gup-fast batching), FOLL_LONGTERM migration out of Movable,
 * partial munmap / MADV_DONTNEED / mprotect, and the deferred split queue
 * (queued when partly unmapped, split by the shrinker, refused while
 * pinned, never queued by a whole unmap).
 */
#include <string.h>

#include "test_util.h"
#include "pinmm_test_internal.h"

#define MAP_ANON_PRIV	(MAP_PRIVATE | MAP_ANONYMOUS)
#define PROT_RW		(PROT_READ | PROT_WRITE)
#define SZ_16K		(16UL << 10)
#define SZ_64K		(64UL << 10)
#define SZ_256K		(256UL << 10)
#define NR_64K		16

/* An area of @len bytes aligned to @align inside a larger mapping; the
 * rest of the mapping is unmapped again. */
static unsigned long aligned_area(struct task_struct *t, unsigned long len, unsigned long align)
{
	unsigned long x = test_mmap(t, len + align, PROT_RW, MAP_ANON_PRIV);
	unsigned long start = ALIGN(x, align);

	if (start > x)
		assert_int_equal(pnm_mm_munmap(t->mm, x, start - x), 0);
	if (x + align > start)
		assert_int_equal(pnm_mm_munmap(t->mm, start + len, x + align - start), 0);
	return start;
}

/* Pin @n pages at @addr as @t (gup-fast). */
static void pin_as(struct task_struct *t, unsigned long addr, int n, unsigned int flags,
		   struct page **pages)
{
	struct task_struct *prev = pnm_task_enter(t);

	assert_int_equal(pin_user_pages_fast(addr, n, flags, pages), n);
	pnm_task_leave(prev);
}

static unsigned char pattern(unsigned long i)
{
	return (unsigned char)(i * 29 + 3);
}

/* One byte of pattern at offset 0x40 of each of @nr pages from @addr. */
static void fill(struct task_struct *t, unsigned long addr, unsigned long nr)
{
	for (unsigned long i = 0; i < nr; i++)
		test_write_byte(t, addr + i * PAGE_SIZE + 0x40, pattern(i));
}

static void check_fill(struct task_struct *t, unsigned long addr, unsigned long from,
		       unsigned long to)
{
	for (unsigned long i = from; i < to; i++)
		assert_int_equal(test_read_byte(t, addr + i * PAGE_SIZE + 0x40), pattern(i));
}

static long mthp_stat(unsigned int order, enum mthp_stat_item item)
{
	return global_stat(MTHP_STAT(order, item));
}

static void test_switches(void **state)
{
	static const unsigned long bad[] = {
		0, PAGE_SIZE, 2 * PAGE_SIZE, 48UL << 10, 4UL << 20, ~0UL,
	};

	(void)state;
	/* Linux's defaults. */
	for (unsigned int o = PNM_THP_MIN_ORDER; o < HPAGE_PMD_ORDER; o++)
		assert_int_equal(pnm_thp_get_enabled(PAGE_SIZE << o), PNM_THP_NEVER);
	assert_int_equal(pnm_thp_get_enabled(HPAGE_PMD_SIZE), PNM_THP_INHERIT);
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		assert_int_equal(pnm_thp_set_enabled(bad[i], PNM_THP_ALWAYS), -EINVAL);
		assert_int_equal(pnm_thp_get_enabled(bad[i]), -EINVAL);
	}
	assert_int_equal(pnm_thp_set_enabled(SZ_64K, (enum pnm_thp_mode)4), -EINVAL);
	assert_int_equal(pnm_thp_get_enabled(SZ_64K), PNM_THP_NEVER);	/* unchanged */
	for (int m = PNM_THP_NEVER; m <= PNM_THP_INHERIT; m++) {
		assert_int_equal(pnm_thp_set_enabled(SZ_64K, (enum pnm_thp_mode)m), 0);
		assert_int_equal(pnm_thp_get_enabled(SZ_64K), m);
		assert_int_equal(pnm_thp_get_enabled(SZ_16K), PNM_THP_NEVER);
	}
	assert_int_equal(pnm_thp_set_enabled(HPAGE_PMD_SIZE, PNM_THP_NEVER), 0);
	assert_int_equal(pnm_thp_get_enabled(HPAGE_PMD_SIZE), PNM_THP_NEVER);
	CHECK_ALL();
}

/* A 64K write fault: 16 PTEs of one order-4 folio, exclusive, writable,
 * one reference each; the neighbouring block is untouched. */
static void test_fault_maps_large_folio(void **state)
{
	struct task_struct *a = test_task_create("a");
	long allocs = mthp_stat(4, MTHP_STAT_ANON_FAULT_ALLOC);
	long thp_allocs = global_stat(THP_FAULT_ALLOC);
	unsigned long base, i;
	struct folio *folio;

	(void)state;
	assert_int_equal(pnm_thp_set_enabled(SZ_64K, PNM_THP_ALWAYS), 0);
	base = aligned_area(a, SZ_256K, SZ_256K);
	test_write_byte(a, base + 5 * PAGE_SIZE + 7, 0x5a);
	CHECK_ALL();
	assert_int_equal(mthp_stat(4, MTHP_STAT_ANON_FAULT_ALLOC), allocs + 1);
	assert_int_equal(global_stat(THP_FAULT_ALLOC), thp_allocs);
	folio = test_folio(a, base);
	assert_int_equal(folio_order(folio), 4);
	assert_true(folio_test_anon(folio));
	assert_int_equal(folio_ref_count(folio), NR_64K);
	assert_int_equal(folio_mapcount(folio), NR_64K);
	assert_int_equal(folio_entire_mapcount(folio), 0);
	assert_int_equal(get_mm_counter(a->mm, MM_ANONPAGES), NR_64K);
	for (i = 0; i < NR_64K; i++) {
		pte_t pte = test_pte_val(a, base + i * PAGE_SIZE);

		assert_int_equal(pte_pfn(pte), folio_pfn(folio) + i);
		assert_true(pte_write(pte));
		assert_true(pte_dirty(pte));
		assert_true(PageAnonExclusive(folio_page(folio, i)));
		assert_int_equal(page_mapcount(folio_page(folio, i)), 1);
	}
	assert_int_equal(test_read_byte(a, base + 5 * PAGE_SIZE + 7), 0x5a);
	assert_int_equal(test_read_byte(a, base + 9 * PAGE_SIZE), 0);
	assert_true(pte_none(test_pte_val(a, base + SZ_64K)));
	/* A read fault still maps the zero page, not a large folio. */
	assert_int_equal(test_read_byte(a, base + SZ_64K + 3), 0);
	assert_true(is_zero_pfn(pte_pfn(test_pte_val(a, base + SZ_64K))));
	assert_int_equal(mthp_stat(4, MTHP_STAT_ANON_FAULT_ALLOC), allocs + 1);
	/* Unmapping all of it: never queued for a deferred split. */
	assert_int_equal(pnm_mm_munmap(a->mm, base, SZ_64K), 0);
	assert_int_equal(global_stat(PNM_NR_DEFERRED_SPLIT), 0);
	assert_int_equal(global_stat(THP_DEFERRED_SPLIT_PAGE), 0);
	assert_int_equal(get_mm_counter(a->mm, MM_ANONPAGES), 0);
	CHECK_ALL();
}

/*
 * The largest enabled size whose aligned range lies in the VMA and is
 * entirely unmapped; the rest of the orders stay available.
 */
static void test_fault_largest_fitting_size(void **state)
{
	struct task_struct *a = test_task_create("a");
	unsigned long base;

	(void)state;
	assert_int_equal(pnm_thp_set_enabled(SZ_16K, PNM_THP_ALWAYS), 0);
	assert_int_equal(pnm_thp_set_enabled(SZ_64K, PNM_THP_ALWAYS), 0);
	assert_int_equal(pnm_thp_set_enabled(SZ_256K, PNM_THP_ALWAYS), 0);

	/* A 192K VMA at a 256K boundary: 256K does not fit, 64K does. */
	base = aligned_area(a, 3 * SZ_64K, SZ_256K);
	test_write_byte(a, base + 0x100, 1);
	assert_int_equal(folio_order(test_folio(a, base)), 4);
	test_write_byte(a, base + 2 * SZ_64K + 0x100, 2);
	assert_int_equal(folio_order(test_folio(a, base + 2 * SZ_64K)), 4);
	CHECK_ALL();

	/* A whole 256K VMA gets 256K. */
	base = aligned_area(a, SZ_256K, SZ_256K);
	test_write_byte(a, base + SZ_64K, 3);
	assert_int_equal(folio_order(test_folio(a, base)), 6);
	assert_int_equal(folio_pfn(test_folio(a, base + SZ_256K - PAGE_SIZE)),
			 folio_pfn(test_folio(a, base)));
	CHECK_ALL();

	/* A mapped page inside the 64K block (the zero page, read in while
	 * every size was off) leaves 16K for the fault before it. */
	base = aligned_area(a, SZ_64K, SZ_256K);
	assert_int_equal(pnm_thp_set_enabled(SZ_16K, PNM_THP_NEVER), 0);
	assert_int_equal(test_read_byte(a, base + 5 * PAGE_SIZE), 0);
	assert_int_equal(pnm_thp_set_enabled(SZ_16K, PNM_THP_ALWAYS), 0);
	test_write_byte(a, base + 0x10, 4);
	assert_int_equal(folio_order(test_folio(a, base)), 2);
	assert_true(pte_none(test_pte_val(a, base + 4 * PAGE_SIZE)));
	/* ... and 4K where no 16K block is empty either. */
	test_write_byte(a, base + 4 * PAGE_SIZE, 5);
	assert_int_equal(folio_order(test_folio(a, base + 4 * PAGE_SIZE)), 0);
	CHECK_ALL();
}

/* madvise and inherit: the global mode and VM_HUGEPAGE decide. */
static void test_fault_modes(void **state)
{
	struct task_struct *a = test_task_create("a");
	unsigned long plain, advised;

	(void)state;
	/* VMAs of 256K: no 2M THP can back them. */
	plain = aligned_area(a, SZ_256K, SZ_256K);
	advised = aligned_area(a, SZ_256K, SZ_256K);
	assert_int_equal(pnm_mm_madvise(a->mm, advised, SZ_256K, MADV_HUGEPAGE), 0);

	assert_int_equal(pnm_thp_set_enabled(SZ_64K, PNM_THP_MADVISE), 0);
	test_write_byte(a, plain, 1);
	test_write_byte(a, advised, 1);
	assert_int_equal(folio_order(test_folio(a, plain)), 0);
	assert_int_equal(folio_order(test_folio(a, advised)), 4);

	/* inherit follows the global mode: madvise here. */
	assert_int_equal(pnm_thp_set_enabled(SZ_64K, PNM_THP_INHERIT), 0);
	test_write_byte(a, plain + SZ_64K, 1);
	test_write_byte(a, advised + SZ_64K, 1);
	assert_int_equal(folio_order(test_folio(a, plain + SZ_64K)), 0);
	assert_int_equal(folio_order(test_folio(a, advised + SZ_64K)), 4);
	pnm_config.thp = PNM_THP_NEVER;
	test_write_byte(a, advised + 2 * SZ_64K, 1);
	assert_int_equal(folio_order(test_folio(a, advised + 2 * SZ_64K)), 0);
	pnm_config.thp = PNM_THP_MADVISE;

	/* MADV_NOHUGEPAGE wins over "always". */
	assert_int_equal(pnm_thp_set_enabled(SZ_64K, PNM_THP_ALWAYS), 0);
	assert_int_equal(pnm_mm_madvise(a->mm, advised, SZ_256K, MADV_NOHUGEPAGE), 0);
	test_write_byte(a, advised + 3 * SZ_64K, 1);
	assert_int_equal(folio_order(test_folio(a, advised + 3 * SZ_64K)), 0);
	test_write_byte(a, plain + 3 * SZ_64K, 1);
	assert_int_equal(folio_order(test_folio(a, plain + 3 * SZ_64K)), 4);
	CHECK_ALL();
}

/* No free block of a size: counted as that size's fallback, the next
 * smaller enabled size is tried, then 4K. */
static void test_fault_fallback(void **state)
{
	struct task_struct *a = test_task_create("a");
	long fb64 = mthp_stat(4, MTHP_STAT_ANON_FAULT_FALLBACK);
	long fb16 = mthp_stat(2, MTHP_STAT_ANON_FAULT_FALLBACK);
	long al16 = mthp_stat(2, MTHP_STAT_ANON_FAULT_ALLOC);
	unsigned long base;

	(void)state;
	assert_int_equal(pnm_thp_set_enabled(SZ_16K, PNM_THP_ALWAYS), 0);
	assert_int_equal(pnm_thp_set_enabled(SZ_64K, PNM_THP_ALWAYS), 0);
	base = aligned_area(a, SZ_256K, SZ_256K);
	/* The page tables first (a read maps the zero page). */
	assert_int_equal(test_read_byte(a, base + 3 * SZ_64K), 0);
	pnm_fail_nth_alloc(1);			/* the 64K folio */
	test_write_byte(a, base, 1);
	assert_int_equal(mthp_stat(4, MTHP_STAT_ANON_FAULT_FALLBACK), fb64 + 1);
	assert_int_equal(mthp_stat(2, MTHP_STAT_ANON_FAULT_ALLOC), al16 + 1);
	assert_int_equal(folio_order(test_folio(a, base)), 2);
	CHECK_ALL();

	/* With 16K off, the 64K failure leaves 4K. */
	assert_int_equal(pnm_thp_set_enabled(SZ_16K, PNM_THP_NEVER), 0);
	pnm_fail_nth_alloc(1);
	test_write_byte(a, base + SZ_64K, 2);
	assert_int_equal(mthp_stat(4, MTHP_STAT_ANON_FAULT_FALLBACK), fb64 + 2);
	assert_int_equal(mthp_stat(2, MTHP_STAT_ANON_FAULT_FALLBACK), fb16);
	assert_int_equal(folio_order(test_folio(a, base + SZ_64K)), 0);
	assert_true(pte_none(test_pte_val(a, base + SZ_64K + PAGE_SIZE)));
	CHECK_ALL();
}

/* COW: a write to a page of a shared large folio copies that page only;
 * the rest stays shared.  The writer's new page is exclusive. */
static void test_cow_copies_one_page(void **state)
{
	struct task_struct *a = test_task_create("a"), *b;
	long copies = global_stat(PNM_COW_COPY), reuses;
	unsigned long base;
	struct folio *folio;
	struct page *ref;

	(void)state;
	assert_int_equal(pnm_thp_set_enabled(SZ_64K, PNM_THP_ALWAYS), 0);
	base = aligned_area(a, SZ_64K, SZ_64K);
	fill(a, base, NR_64K);
	folio = test_folio(a, base);
	b = test_fork(a);
	CHECK_ALL();
	assert_ptr_equal(test_folio(b, base + 3 * PAGE_SIZE), folio);
	assert_int_equal(folio_mapcount(folio), 2 * NR_64K);
	assert_int_equal(folio_ref_count(folio), 2 * NR_64K);
	for (unsigned long i = 0; i < NR_64K; i++) {
		assert_false(PageAnonExclusive(folio_page(folio, i)));
		assert_false(pte_write(test_pte_val(a, base + i * PAGE_SIZE)));
	}

	test_write_byte(b, base + 3 * PAGE_SIZE + 0x40, 0xcc);
	assert_int_equal(global_stat(PNM_COW_COPY), copies + 1);
	assert_int_equal(folio_order(test_folio(b, base + 3 * PAGE_SIZE)), 0);
	assert_true(PageAnonExclusive(&test_folio(b, base + 3 * PAGE_SIZE)->page));
	assert_ptr_equal(test_folio(b, base + 4 * PAGE_SIZE), folio);
	assert_int_equal(test_read_byte(a, base + 3 * PAGE_SIZE + 0x40), pattern(3));
	assert_int_equal(page_mapcount(folio_page(folio, 3)), 1);
	/* Still mapped by a: not partly unmapped, not queued. */
	assert_int_equal(global_stat(PNM_NR_DEFERRED_SPLIT), 0);
	CHECK_ALL();

	/* b goes: the folio is a's alone and every reference is one of a's
	 * mappings, so a's write reuses the page in place although it lost
	 * exclusivity at fork (Linux 6.16+); only that page becomes
	 * exclusive again. */
	pnm_task_exit(b);
	put_task_struct(b);
	reuses = global_stat(PNM_COW_REUSE);
	test_write_byte(a, base + 8 * PAGE_SIZE + 0x40, 0xdd);
	assert_int_equal(global_stat(PNM_COW_COPY), copies + 1);
	assert_int_equal(global_stat(PNM_COW_REUSE), reuses + 1);
	assert_ptr_equal(test_folio(a, base + 8 * PAGE_SIZE), folio);
	assert_true(PageAnonExclusive(folio_page(folio, 8)));
	assert_false(PageAnonExclusive(folio_page(folio, 9)));
	assert_int_equal(global_stat(PNM_NR_DEFERRED_SPLIT), 0);
	CHECK_ALL();

	/* A reference that is not a mapping (a GUP user's) forbids it: the
	 * page is copied, the folio stays as it was. */
	ref = folio_page(folio, 9);
	folio_get(folio);
	test_write_byte(a, base + 9 * PAGE_SIZE + 0x40, 0xee);
	assert_int_equal(global_stat(PNM_COW_COPY), copies + 2);
	assert_int_equal(folio_order(test_folio(a, base + 9 * PAGE_SIZE)), 0);
	folio_put(page_folio(ref));
	/* Page 9 is now mapped by nobody: the folio waits to be split. */
	assert_int_equal(global_stat(PNM_NR_DEFERRED_SPLIT), 1);
	check_fill(a, base, 0, 8);
	check_fill(a, base, 10, NR_64K);
	CHECK_ALL();

	/* One mapping left: copied, so that the rest of the folio can go. */
	assert_int_equal(pnm_mm_madvise(a->mm, base, 10 * PAGE_SIZE, MADV_DONTNEED), 0);
	assert_int_equal(pnm_mm_madvise(a->mm, base + 11 * PAGE_SIZE, 5 * PAGE_SIZE,
					MADV_DONTNEED), 0);
	assert_int_equal(folio_mapcount(folio), 1);
	test_write_byte(a, base + 10 * PAGE_SIZE + 0x40, 0x11);
	assert_int_equal(global_stat(PNM_COW_COPY), copies + 3);
	assert_int_equal(test_read_byte(a, base + 10 * PAGE_SIZE + 0x40), 0x11);
	CHECK_ALL();
}

/* Fork of a PTE-mapped large folio with one pinned page: the child gets
 * a copy of every page (the folio may be pinned), the parent keeps the
 * folio exclusive and writable, and writes through the pin reach it. */
static void test_fork_with_pinned_page(void **state)
{
	struct task_struct *a = test_task_create("a"), *b;
	long copied = global_stat(PNM_FORK_COPY_PINNED);
	struct page *pinned;
	unsigned long base;
	struct folio *folio;

	(void)state;
	assert_int_equal(pnm_thp_set_enabled(SZ_64K, PNM_THP_ALWAYS), 0);
	base = aligned_area(a, SZ_64K, SZ_64K);
	fill(a, base, NR_64K);
	folio = test_folio(a, base);
	pin_as(a, base + 6 * PAGE_SIZE, 1, FOLL_WRITE, &pinned);
	assert_ptr_equal(page_folio(pinned), folio);
	assert_int_equal(atomic_read(&folio->_pincount), 1);
	assert_int_equal(folio_ref_count(folio), NR_64K + 1);
	assert_true(folio_maybe_dma_pinned(folio));

	b = test_fork(a);
	CHECK_ALL();
	assert_int_equal(global_stat(PNM_FORK_COPY_PINNED), copied + NR_64K);
	for (unsigned long i = 0; i < NR_64K; i++) {
		struct folio *child = test_folio(b, base + i * PAGE_SIZE);

		assert_ptr_not_equal(child, folio);
		assert_int_equal(folio_order(child), 0);
		assert_true(PageAnonExclusive(&child->page));
		assert_true(PageAnonExclusive(folio_page(folio, i)));
		assert_true(pte_write(test_pte_val(a, base + i * PAGE_SIZE)));
	}
	check_fill(b, base, 0, NR_64K);
	/* A device write through the pin: the parent sees it, the child
	 * does not. */
	memset((char *)page_address(pinned) + 0x40, 0x77, 1);
	assert_int_equal(test_read_byte(a, base + 6 * PAGE_SIZE + 0x40), 0x77);
	assert_int_equal(test_read_byte(b, base + 6 * PAGE_SIZE + 0x40), pattern(6));
	unpin_user_pages(&pinned, 1);
	assert_int_equal(folio_ref_count(folio), NR_64K);
	CHECK_ALL();
}

/* Pins of pages of a PTE-mapped large folio count on the folio:
 * gup-fast takes the run at once, one pin per page. */
static void test_pins_count_on_folio(void **state)
{
	struct task_struct *a = test_task_create("a");
	long acquired = global_stat(NR_FOLL_PIN_ACQUIRED);
	struct page *pages[NR_64K + 4];
	unsigned long base;
	struct folio *folio;

	(void)state;
	assert_int_equal(pnm_thp_set_enabled(SZ_64K, PNM_THP_ALWAYS), 0);
	base = aligned_area(a, 2 * SZ_64K, SZ_64K);
	fill(a, base, 2 * NR_64K);
	folio = test_folio(a, base);
	pin_as(a, base + 2 * PAGE_SIZE, NR_64K + 4, FOLL_WRITE, pages);
	assert_int_equal(global_stat(NR_FOLL_PIN_ACQUIRED), acquired + NR_64K + 4);
	assert_int_equal(atomic_read(&folio->_pincount), NR_64K - 2);
	assert_int_equal(folio_ref_count(folio), 2 * NR_64K - 2);
	assert_int_equal(atomic_read(&test_folio(a, base + SZ_64K)->_pincount), 6);
	for (int i = 0; i < NR_64K - 2; i++)
		assert_ptr_equal(pages[i], folio_page(folio, (unsigned long)i + 2));
	CHECK_ALL();
	unpin_user_pages(pages, NR_64K + 4);
	assert_int_equal(atomic_read(&folio->_pincount), 0);
	assert_int_equal(folio_ref_count(folio), NR_64K);
	CHECK_ALL();
}

/* Partial munmap: the folio stays, partly mapped, on the deferred split
 * queue; the shrinker splits it and frees the unmapped pages. */
static void test_partial_munmap_deferred_split(void **state)
{
	struct task_struct *a = test_task_create("a");
	long queued = global_stat(THP_DEFERRED_SPLIT_PAGE);
	long deferred = mthp_stat(4, MTHP_STAT_SPLIT_DEFERRED);
	long splits = mthp_stat(4, MTHP_STAT_SPLIT);
	unsigned long base, pfn, nr_free;
	struct folio *folio;

	(void)state;
	assert_int_equal(pnm_thp_set_enabled(SZ_64K, PNM_THP_ALWAYS), 0);
	base = aligned_area(a, SZ_64K, SZ_64K);
	fill(a, base, NR_64K);
	folio = test_folio(a, base);
	pfn = folio_pfn(folio);
	assert_int_equal(pnm_mm_munmap(a->mm, base + 4 * PAGE_SIZE, 2 * PAGE_SIZE), 0);
	CHECK_ALL();
	assert_int_equal(folio_order(folio), 4);
	assert_int_equal(folio_ref_count(folio), NR_64K - 2);
	assert_int_equal(global_stat(THP_DEFERRED_SPLIT_PAGE), queued + 1);
	assert_int_equal(mthp_stat(4, MTHP_STAT_SPLIT_DEFERRED), deferred + 1);
	assert_int_equal(global_stat(PNM_NR_DEFERRED_SPLIT), 1);
	/* Unmapping more of it queues nothing new. */
	assert_int_equal(pnm_mm_munmap(a->mm, base + 10 * PAGE_SIZE, PAGE_SIZE), 0);
	assert_int_equal(global_stat(THP_DEFERRED_SPLIT_PAGE), queued + 1);

	nr_free = (unsigned long)global_stat(NR_FREE_PAGES);
	assert_int_equal(pnm_thp_deferred_split_scan(~0UL), 1);
	CHECK_ALL();
	assert_int_equal(mthp_stat(4, MTHP_STAT_SPLIT), splits + 1);
	assert_int_equal(global_stat(PNM_NR_DEFERRED_SPLIT), 0);
	assert_int_equal((unsigned long)global_stat(NR_FREE_PAGES), nr_free + 3);
	for (unsigned long i = 0; i < NR_64K; i++) {
		if (i == 4 || i == 5 || i == 10)
			continue;
		assert_int_equal(test_pfn(a, base + i * PAGE_SIZE), pfn + i);
		assert_int_equal(folio_order(test_folio(a, base + i * PAGE_SIZE)), 0);
		assert_true(PageAnonExclusive(pfn_to_page(pfn + i)));
	}
	check_fill(a, base, 0, 4);
	check_fill(a, base, 11, NR_64K);
	/* Nothing left to do. */
	assert_int_equal(pnm_thp_deferred_split_scan(~0UL), 0);
	CHECK_ALL();
}

/* MADV_DONTNEED of part queues the folio too; pnm_reclaim_pages() (with
 * may_unmap) runs the queue. */
static void test_dontneed_and_reclaim(void **state)
{
	struct task_struct *a = test_task_create("a");
	unsigned long base;

	(void)state;
	assert_int_equal(pnm_thp_set_enabled(SZ_64K, PNM_THP_ALWAYS), 0);
	base = aligned_area(a, SZ_64K, SZ_64K);
	fill(a, base, NR_64K);
	assert_int_equal(pnm_mm_madvise(a->mm, base, 8 * PAGE_SIZE, MADV_DONTNEED), 0);
	assert_int_equal(global_stat(PNM_NR_DEFERRED_SPLIT), 1);
	CHECK_ALL();
	assert_int_equal(test_read_byte(a, base + 0x40), 0);	/* zero page now */
	pnm_reclaim_pages(1, false);		/* no split without may_unmap */
	assert_int_equal(global_stat(PNM_NR_DEFERRED_SPLIT), 1);
	pnm_reclaim_pages(1, true);
	assert_int_equal(global_stat(PNM_NR_DEFERRED_SPLIT), 0);
	assert_int_equal(folio_order(test_folio(a, base + 8 * PAGE_SIZE)), 0);
	check_fill(a, base, 8, NR_64K);
	CHECK_ALL();
}

/* mprotect of part: the VMA splits, the folio does not (every page stays
 * mapped); write permission comes back without a copy. */
static void test_partial_mprotect(void **state)
{
	struct task_struct *a = test_task_create("a");
	long copies = global_stat(PNM_COW_COPY);
	unsigned long base;
	unsigned char b = 1;
	struct folio *folio;

	(void)state;
	assert_int_equal(pnm_thp_set_enabled(SZ_64K, PNM_THP_ALWAYS), 0);
	base = aligned_area(a, SZ_64K, SZ_64K);
	fill(a, base, NR_64K);
	folio = test_folio(a, base);
	assert_int_equal(pnm_mm_mprotect(a->mm, base + 4 * PAGE_SIZE, 4 * PAGE_SIZE,
					 PROT_READ), 0);
	CHECK_ALL();
	assert_int_equal(global_stat(PNM_NR_DEFERRED_SPLIT), 0);
	assert_false(pte_write(test_pte_val(a, base + 5 * PAGE_SIZE)));
	assert_int_equal(pnm_user_write(a, base + 5 * PAGE_SIZE, &b, 1), -EFAULT);
	test_write_byte(a, base + 9 * PAGE_SIZE, 9);
	assert_int_equal(pnm_mm_mprotect(a->mm, base + 4 * PAGE_SIZE, 4 * PAGE_SIZE,
					 PROT_RW), 0);
	test_write_byte(a, base + 5 * PAGE_SIZE + 1, 5);
	assert_ptr_equal(test_folio(a, base + 5 * PAGE_SIZE), folio);
	assert_int_equal(global_stat(PNM_COW_COPY), copies);
	check_fill(a, base, 0, NR_64K);
	CHECK_ALL();
}

/* A split is refused while the folio may be pinned (extra references):
 * the folio stays queued; after the unpin it splits. */
static void test_split_refused_while_pinned(void **state)
{
	struct task_struct *a = test_task_create("a");
	long failed = mthp_stat(4, MTHP_STAT_SPLIT_FAILED);
	long thp_failed = global_stat(THP_SPLIT_PAGE_FAILED);
	struct page *pinned;
	unsigned long base;
	struct folio *folio;

	(void)state;
	assert_int_equal(pnm_thp_set_enabled(SZ_64K, PNM_THP_ALWAYS), 0);
	base = aligned_area(a, SZ_64K, SZ_64K);
	fill(a, base, NR_64K);
	folio = test_folio(a, base);
	pin_as(a, base + 12 * PAGE_SIZE, 1, FOLL_WRITE, &pinned);
	assert_int_equal(pnm_mm_munmap(a->mm, base, 2 * PAGE_SIZE), 0);
	assert_int_equal(global_stat(PNM_NR_DEFERRED_SPLIT), 1);
	assert_int_equal(pnm_thp_deferred_split_scan(~0UL), 0);
	assert_int_equal(mthp_stat(4, MTHP_STAT_SPLIT_FAILED), failed + 1);
	assert_int_equal(global_stat(THP_SPLIT_PAGE_FAILED), thp_failed + 1);
	assert_int_equal(global_stat(PNM_NR_DEFERRED_SPLIT), 1);
	assert_int_equal(folio_order(folio), 4);
	assert_ptr_equal(test_folio(a, base + 12 * PAGE_SIZE), folio);
	CHECK_ALL();
	unpin_user_pages(&pinned, 1);
	assert_int_equal(pnm_thp_deferred_split_scan(~0UL), 1);
	assert_int_equal(folio_order(test_folio(a, base + 12 * PAGE_SIZE)), 0);
	check_fill(a, base, 2, NR_64K);
	CHECK_ALL();
}

/* A pinned, wholly unmapped folio is not queued (nothing maps it) and is
 * freed at the unpin. */
static void test_unmapped_pinned_folio(void **state)
{
	struct task_struct *a = test_task_create("a");
	struct page *pinned;
	unsigned long base, nr_free;

	(void)state;
	assert_int_equal(pnm_thp_set_enabled(SZ_64K, PNM_THP_ALWAYS), 0);
	base = aligned_area(a, SZ_64K, SZ_64K);
	fill(a, base, NR_64K);
	pin_as(a, base, 1, FOLL_WRITE, &pinned);
	assert_int_equal(pnm_mm_munmap(a->mm, base, SZ_64K), 0);
	assert_int_equal(global_stat(PNM_NR_DEFERRED_SPLIT), 0);
	assert_int_equal(folio_ref_count(page_folio(pinned)), 1);
	CHECK_ALL();
	nr_free = (unsigned long)global_stat(NR_FREE_PAGES);
	unpin_user_pages(&pinned, 1);
	assert_int_equal((unsigned long)global_stat(NR_FREE_PAGES), nr_free + NR_64K);
	CHECK_ALL();
}

/* FOLL_LONGTERM: a large folio in ZONE_MOVABLE moves whole to NORMAL
 * before it is pinned, mappings and data intact. */
static void test_longterm_pin_migrates_folio(void **state)
{
	struct task_struct *a = test_task_create("a");
	long moved = global_stat(THP_MIGRATION_SUCCESS);
	struct page *pages[3];
	unsigned long base;
	struct folio *folio, *dst;

	(void)state;
	assert_int_equal(pnm_thp_set_enabled(SZ_64K, PNM_THP_ALWAYS), 0);
	base = aligned_area(a, SZ_64K, SZ_64K);
	fill(a, base, NR_64K);
	folio = test_folio(a, base);
	assert_int_equal(folio_zone(folio)->idx, ZONE_MOVABLE);
	pin_as(a, base + PAGE_SIZE, 3, FOLL_WRITE | FOLL_LONGTERM, pages);
	CHECK_ALL();
	dst = page_folio(pages[0]);
	assert_ptr_not_equal(dst, folio);
	assert_int_equal(folio_zone(dst)->idx, ZONE_NORMAL);
	assert_int_equal(folio_order(dst), 4);
	assert_int_equal(global_stat(THP_MIGRATION_SUCCESS), moved + 1);
	assert_int_equal(atomic_read(&dst->_pincount), 3);
	for (unsigned long i = 0; i < NR_64K; i++)
		assert_int_equal(test_pfn(a, base + i * PAGE_SIZE), folio_pfn(dst) + i);
	check_fill(a, base, 0, NR_64K);
	unpin_user_pages(pages, 3);
	CHECK_ALL();
}

/* Migrating a partly mapped large folio: the new folio is partly mapped
 * too, and takes the old one's place on the deferred split queue. */
static void test_migrate_partly_mapped(void **state)
{
	struct task_struct *a = test_task_create("a");
	unsigned long base;
	struct folio *folio;

	(void)state;
	assert_int_equal(pnm_thp_set_enabled(SZ_64K, PNM_THP_ALWAYS), 0);
	base = aligned_area(a, SZ_64K, SZ_64K);
	fill(a, base, NR_64K);
	folio = test_folio(a, base);
	assert_int_equal(pnm_mm_munmap(a->mm, base + 8 * PAGE_SIZE, PAGE_SIZE), 0);
	assert_int_equal(global_stat(PNM_NR_DEFERRED_SPLIT), 1);
	assert_int_equal(pnm_mm_migrate_range(a->mm, base, SZ_64K, ZONE_NORMAL), NR_64K);
	CHECK_ALL();
	assert_ptr_not_equal(test_folio(a, base), folio);
	assert_int_equal(folio_order(test_folio(a, base)), 4);
	assert_int_equal(global_stat(PNM_NR_DEFERRED_SPLIT), 1);
	check_fill(a, base, 0, 8);
	check_fill(a, base, 9, NR_64K);
	assert_int_equal(pnm_thp_deferred_split_scan(~0UL), 1);
	CHECK_ALL();
}

/* A PMD-mapped THP whose PMD was split and partly unmapped is queued and
 * split the same way (the 2M size's counters). */
static void test_pmd_thp_partial_unmap(void **state)
{
	struct task_struct *a = test_task_create("a");
	long deferred = mthp_stat(HPAGE_PMD_ORDER, MTHP_STAT_SPLIT_DEFERRED);
	long allocs = mthp_stat(HPAGE_PMD_ORDER, MTHP_STAT_ANON_FAULT_ALLOC);
	unsigned long base;

	(void)state;
	base = aligned_area(a, HPAGE_PMD_SIZE, HPAGE_PMD_SIZE);
	assert_int_equal(pnm_mm_madvise(a->mm, base, HPAGE_PMD_SIZE, MADV_HUGEPAGE), 0);
	fill(a, base, 4);
	assert_int_equal(mthp_stat(HPAGE_PMD_ORDER, MTHP_STAT_ANON_FAULT_ALLOC), allocs + 1);
	assert_int_equal(folio_order(test_folio(a, base)), HPAGE_PMD_ORDER);
	assert_int_equal(pnm_mm_munmap(a->mm, base + HPAGE_PMD_SIZE / 2, HPAGE_PMD_SIZE / 2), 0);
	assert_int_equal(mthp_stat(HPAGE_PMD_ORDER, MTHP_STAT_SPLIT_DEFERRED), deferred + 1);
	CHECK_ALL();
	assert_int_equal(pnm_thp_deferred_split_scan(1), 1);
	assert_int_equal(folio_order(test_folio(a, base)), 0);
	check_fill(a, base, 0, 4);
	CHECK_ALL();
}

/* The per-size counters are ordinary, named counters. */
static void test_counter_names(void **state)
{
	(void)state;
	assert_int_equal(pnm_stat_lookup("mthp_16kb_anon_fault_alloc"),
			 MTHP_STAT(2, MTHP_STAT_ANON_FAULT_ALLOC));
	assert_int_equal(pnm_stat_lookup("mthp_64kb_split_deferred"),
			 MTHP_STAT(4, MTHP_STAT_SPLIT_DEFERRED));
	assert_int_equal(pnm_stat_lookup("mthp_2048kb_anon_fault_fallback"),
			 MTHP_STAT(9, MTHP_STAT_ANON_FAULT_FALLBACK));
	assert_int_equal(pnm_stat_lookup("mthp_1024kb_split_failed"),
			 MTHP_STAT(8, MTHP_STAT_SPLIT_FAILED));
	assert_int_equal(MTHP_STAT(9, MTHP_NR_STATS - 1), PNM_MTHP_STAT_LAST);
	assert_int_equal(pnm_stat_lookup("pnm_nr_deferred_split"), PNM_NR_DEFERRED_SPLIT);
	assert_int_equal(pnm_stat_lookup("thp_deferred_split_page"), THP_DEFERRED_SPLIT_PAGE);
	assert_int_equal(pnm_stat_lookup("mthp_8kb_split"), -1);
}

#define MTHP_TEST(fn)	cmocka_unit_test_setup_teardown(fn, pnm_test_setup, pnm_test_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		MTHP_TEST(test_switches),
		MTHP_TEST(test_fault_maps_large_folio),
		MTHP_TEST(test_fault_largest_fitting_size),
		MTHP_TEST(test_fault_modes),
		MTHP_TEST(test_fault_fallback),
		MTHP_TEST(test_cow_copies_one_page),
		MTHP_TEST(test_fork_with_pinned_page),
		MTHP_TEST(test_pins_count_on_folio),
		MTHP_TEST(test_partial_munmap_deferred_split),
		MTHP_TEST(test_dontneed_and_reclaim),
		MTHP_TEST(test_partial_mprotect),
		MTHP_TEST(test_split_refused_while_pinned),
		MTHP_TEST(test_unmapped_pinned_folio),
		MTHP_TEST(test_longterm_pin_migrates_folio),
		MTHP_TEST(test_migrate_partly_mapped),
		MTHP_TEST(test_pmd_thp_partial_unmap),
		MTHP_TEST(test_counter_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
