// SPDX-License-Identifier: MIT
/*
 * test_hugetlb.c - hugetlb with Linux's semantics (hugetlb.h): the pool
 * (nr_hugepages, free/resv/surplus, overcommit, shrinking below what is in
 * use); reservations taken at mmap for private and shared MAP_HUGETLB
 * mappings, -ENOMEM when the pool cannot back them, none with
 * MAP_NORESERVE and then SIGBUS (-EFAULT) when a fault finds the pool
 * empty; faults, data, munmap giving pages and reservations back, the
 * huge-page alignment of munmap/mprotect/madvise; fork of shared and
 * private mappings, COW of the whole huge page, the reuse rule (mapcount,
 * not refcount: cow.c's expected hugetlb leak), the owner taking its page
 * back from a child when the pool is empty (SIGBUS in the child); pins
 * (one _pincount per folio, gup-fast and slow), pin before fork (the child
 * gets a copy, the parent keeps its page), FOLL_SPLIT_PMD -EOPNOTSUPP,
 * FOLL_LONGTERM migrating a pool page out of ZONE_MOVABLE, a R/O pin
 * unsharing a COW-shared page; MADV_DONTNEED giving the reservation back.
 * hugetlbfs files are test_hugetlbfs.c, 1 GiB pages
 * test_hugetlb_gigantic.c.
 */
#include <string.h>

#include "test_util.h"
#include "pinmm_test_internal.h"

#define PROT_RW		(PROT_READ | PROT_WRITE)
#define HSZ		PNM_HUGETLB_2M
#define HNR		(HSZ / PAGE_SIZE)

static struct pnm_hugetlb_info info(void)
{
	struct pnm_hugetlb_info hi = { .size = sizeof(hi) };

	assert_int_equal(pnm_hugetlb_get_info(HSZ, &hi), 0);
	return hi;
}

/* Pool counters: total, free, resv, surplus. */
static void assert_pool(unsigned long total, unsigned long free, unsigned long resv,
			unsigned long surp)
{
	struct pnm_hugetlb_info hi = info();

	assert_int_equal(hi.total, total);
	assert_int_equal(hi.free, free);
	assert_int_equal(hi.resv, resv);
	assert_int_equal(hi.surplus, surp);
}

static long hmmap(struct task_struct *t, unsigned long len, unsigned long flags)
{
	return pnm_mmap(t, 0, len, PROT_RW, flags | MAP_ANONYMOUS | PNM_MAP_HUGETLB, NULL, 0);
}

static unsigned long hmmap_ok(struct task_struct *t, unsigned long len, unsigned long flags)
{
	long a = hmmap(t, len, flags);

	assert_true(a > 0);
	assert_true(IS_ALIGNED((unsigned long)a, HSZ));
	CHECK_ALL();
	return (unsigned long)a;
}

static void put_bytes(struct task_struct *t, unsigned long addr, const char *s)
{
	assert_int_equal(pnm_user_write(t, addr, s, strlen(s)), 0);
}

static void assert_bytes(struct task_struct *t, unsigned long addr, const char *s)
{
	char buf[64] = { 0 };

	assert_true(strlen(s) < sizeof(buf));
	assert_int_equal(pnm_user_read(t, addr, buf, strlen(s)), 0);
	assert_memory_equal(buf, s, strlen(s));
}

static void assert_zero(struct task_struct *t, unsigned long addr, size_t n)
{
	char buf[64], zero[64] = { 0 };

	assert_true(n <= sizeof(buf));
	memset(buf, 0x5a, sizeof(buf));
	assert_int_equal(pnm_user_read(t, addr, buf, n), 0);
	assert_memory_equal(buf, zero, n);
}

/* Pin @nr pages from @addr as @t: pin_user_pages_fast with @flags. */
static int pin_as(struct task_struct *t, unsigned long addr, int nr, unsigned int flags,
		  struct page **pages)
{
	struct task_struct *prev = pnm_task_enter(t);
	int ret = pin_user_pages_fast(addr, nr, flags, pages);

	pnm_task_leave(prev);
	return ret;
}

/* --- the pool ------------------------------------------------------------------- */

static void test_pool_size(void **state)
{
	struct pnm_hugetlb_info hi;
	unsigned long frames = pnm_nr_allocated_frames();

	(void)state;
	assert_pool(0, 0, 0, 0);
	assert_int_equal(pnm_hugetlb_set_pages(HSZ, 3), 3);
	assert_pool(3, 3, 0, 0);
	hi = info();
	assert_int_equal(hi.nr_hugepages, 3);
	assert_int_equal(hi.page_size, HSZ);
	/* Movable allocations: ZONE_MOVABLE (8 MiB here) first. */
	assert_int_equal(hi.free_movable, 3);
	assert_int_equal(pnm_nr_allocated_frames(), frames + 3 * HNR);
	assert_int_equal(global_stat(HTLB_BUDDY_PGALLOC), 3);
	CHECK_ALL();

	/* More than the memory holds: as many as fit (28 MiB: 14). */
	assert_int_equal(pnm_hugetlb_set_pages(HSZ, 1000), 13);	/* the zero page's block */
	assert_true(global_stat(HTLB_BUDDY_PGALLOC_FAIL) >= 1);
	CHECK_ALL();
	assert_int_equal(pnm_hugetlb_set_pages(HSZ, 1), 1);
	assert_pool(1, 1, 0, 0);
	assert_int_equal(pnm_hugetlb_set_pages(HSZ, 0), 0);
	assert_pool(0, 0, 0, 0);
	assert_int_equal(pnm_nr_allocated_frames(), frames);

	/* Bad sizes. */
	assert_int_equal(pnm_hugetlb_set_pages(4096, 1), -EINVAL);
	assert_int_equal(pnm_hugetlb_get_info(3 * HSZ, &hi), -EINVAL);
	assert_int_equal(pnm_hugetlb_set_overcommit(4096, 1), -EINVAL);
	CHECK_ALL();
}

/* Shrinking below what is in use turns the rest into surplus pages,
 * which leave the pool as they are freed. */
static void test_pool_shrink_in_use(void **state)
{
	struct task_struct *t = test_task_create("a");
	unsigned long a;

	(void)state;
	assert_int_equal(pnm_hugetlb_set_pages(HSZ, 2), 2);
	a = hmmap_ok(t, 2 * HSZ, MAP_PRIVATE);
	assert_pool(2, 2, 2, 0);
	put_bytes(t, a, "x");
	assert_pool(2, 1, 1, 0);
	/* One in use, one reserved: nothing can go. */
	assert_int_equal(pnm_hugetlb_set_pages(HSZ, 0), 0);
	assert_pool(2, 1, 1, 2);
	CHECK_ALL();
	assert_int_equal(pnm_munmap(t, a, 2 * HSZ), 0);
	assert_pool(0, 0, 0, 0);
	CHECK_ALL();
	pnm_task_exit(t);
	pnm_task_put(t);
}

/* --- reservations ------------------------------------------------------------------- */

static void test_private_reserve_fault_unmap(void **state)
{
	struct task_struct *t = test_task_create("a");
	unsigned long a;
	struct folio *folio;
	struct pnm_mm_info mi = { .size = sizeof(mi) };

	(void)state;
	assert_int_equal(pnm_hugetlb_set_pages(HSZ, 4), 4);
	/* Rounded up to the huge page size; reserved at once. */
	a = hmmap_ok(t, HSZ + 4096, MAP_PRIVATE);
	assert_pool(4, 4, 2, 0);
	assert_int_equal(test_vma_flags(t->mm, a) & (VM_HUGETLB | VM_DONTEXPAND),
			 VM_HUGETLB | VM_DONTEXPAND);

	put_bytes(t, a + HSZ - 5, "hello");
	assert_pool(4, 3, 1, 0);
	folio = test_folio(t, a);
	assert_true(folio_test_hugetlb(folio));
	assert_int_equal(folio_order(folio), 9);
	assert_true(folio_test_anon(folio));
	assert_true(PageAnonExclusive(&folio->page));
	assert_int_equal(folio_entire_mapcount(folio), 1);
	assert_int_equal(atomic_long_read(&t->mm->hugetlb_usage), HNR);
	/* Not RSS, as Linux. */
	assert_int_equal(pnm_task_mm_info(t, &mi), 0);
	assert_int_equal(mi.rss_anon, 0);
	/* A hugetlb page is zeroed when faulted. */
	assert_zero(t, a, 64);
	assert_bytes(t, a + HSZ - 5, "hello");
	/* Read of the second: a page too (no zero page for hugetlb). */
	assert_int_equal(test_read_byte(t, a + HSZ), 0);
	assert_pool(4, 2, 0, 0);
	CHECK_ALL();

	assert_int_equal(pnm_munmap(t, a, 2 * HSZ), 0);
	assert_pool(4, 4, 0, 0);
	assert_int_equal(atomic_long_read(&t->mm->hugetlb_usage), 0);
	CHECK_ALL();
	pnm_task_exit(t);
	pnm_task_put(t);
}

/* The pool cannot back a mapping: mmap fails; MAP_NORESERVE maps, and
 * the fault that finds no page is SIGBUS (a CPU access: -EFAULT; GUP:
 * -EFAULT). */
static void test_enomem_and_noreserve(void **state)
{
	struct task_struct *t = test_task_create("a");
	struct page *pages[1];
	unsigned long a, b;

	(void)state;
	assert_int_equal(pnm_hugetlb_set_pages(HSZ, 1), 1);
	assert_int_equal(hmmap(t, 2 * HSZ, MAP_PRIVATE), -ENOMEM);
	assert_int_equal(hmmap(t, 2 * HSZ, MAP_SHARED), -ENOMEM);
	assert_pool(1, 1, 0, 0);
	CHECK_ALL();

	a = hmmap_ok(t, HSZ, MAP_PRIVATE);		/* takes the one page */
	b = hmmap_ok(t, 2 * HSZ, MAP_PRIVATE | MAP_NORESERVE);
	assert_pool(1, 1, 1, 0);
	/* The NORESERVE mapping may not take the reserved page. */
	assert_int_equal(pnm_user_write(t, b, "x", 1), -EFAULT);
	assert_int_equal(global_stat(PNM_HUGETLB_FAULT_SIGBUS), 1);
	assert_int_equal(pin_as(t, b, 1, FOLL_WRITE, pages), -EFAULT);
	assert_pool(1, 1, 1, 0);
	put_bytes(t, a, "mine");
	assert_pool(1, 0, 0, 0);
	CHECK_ALL();
	/* Once the owner lets go, the NORESERVE mapping can have it. */
	assert_int_equal(pnm_munmap(t, a, HSZ), 0);
	put_bytes(t, b, "now");
	assert_pool(1, 0, 0, 0);
	assert_int_equal(pnm_user_write(t, b + HSZ, "x", 1), -EFAULT);
	CHECK_ALL();
	pnm_task_exit(t);
	pnm_task_put(t);
	assert_pool(1, 1, 0, 0);
}

/* nr_overcommit_hugepages: surplus pages for reservations and faults. */
static void test_overcommit(void **state)
{
	struct task_struct *t = test_task_create("a");
	unsigned long a, b;

	(void)state;
	assert_int_equal(pnm_hugetlb_set_pages(HSZ, 1), 1);
	assert_int_equal(pnm_hugetlb_set_overcommit(HSZ, 2), 0);
	a = hmmap_ok(t, 2 * HSZ, MAP_PRIVATE);		/* one surplus page */
	assert_pool(2, 2, 2, 1);
	b = hmmap_ok(t, HSZ, MAP_PRIVATE | MAP_NORESERVE);
	put_bytes(t, b, "s");				/* the second surplus */
	assert_pool(3, 2, 2, 2);
	assert_int_equal(hmmap(t, HSZ, MAP_PRIVATE), -ENOMEM);	/* limit */
	CHECK_ALL();
	put_bytes(t, a, "x");
	put_bytes(t, a + HSZ, "y");
	assert_pool(3, 0, 0, 2);
	assert_int_equal(pnm_munmap(t, b, HSZ), 0);	/* surplus: freed */
	assert_pool(2, 0, 0, 1);
	assert_int_equal(pnm_munmap(t, a, 2 * HSZ), 0);
	assert_pool(1, 1, 0, 0);
	assert_int_equal(info().nr_hugepages, 1);
	CHECK_ALL();
	pnm_task_exit(t);
	pnm_task_put(t);
}

/* munmap, mprotect, madvise inside a huge page: -EINVAL, nothing done. */
static void test_alignment(void **state)
{
	struct task_struct *t = test_task_create("a");
	unsigned long a;

	(void)state;
	assert_int_equal(pnm_hugetlb_set_pages(HSZ, 2), 2);
	a = hmmap_ok(t, 2 * HSZ, MAP_PRIVATE);
	put_bytes(t, a, "keep");
	assert_int_equal(pnm_munmap(t, a + 4096, 4096), -EINVAL);
	assert_int_equal(pnm_munmap(t, a, 4096), -EINVAL);
	assert_int_equal(pnm_mprotect(t, a, 4096, PROT_READ), -EINVAL);
	assert_int_equal(pnm_madvise(t, a + 4096, HSZ, MADV_DONTNEED), -EINVAL);
	assert_int_equal(pnm_madvise(t, a, 4096, MADV_DONTFORK), -EINVAL);
	/* MAP_FIXED must be aligned; a hint is aligned up. */
	assert_int_equal(pnm_mmap(t, a + 2 * HSZ + 4096, HSZ, PROT_RW,
				  MAP_PRIVATE | MAP_ANONYMOUS | PNM_MAP_HUGETLB | MAP_FIXED, NULL, 0),
			 -EINVAL);
	/* A page size without MAP_HUGETLB, and one that does not exist. */
	assert_int_equal(pnm_mmap(t, 0, HSZ, PROT_RW, MAP_PRIVATE | MAP_ANONYMOUS |
				  PNM_MAP_HUGE_2MB, NULL, 0), -EINVAL);
	assert_int_equal(pnm_mmap(t, 0, HSZ, PROT_RW, MAP_PRIVATE | MAP_ANONYMOUS |
				  PNM_MAP_HUGETLB | (16 << PNM_MAP_HUGE_SHIFT), NULL, 0), -EINVAL);
	CHECK_ALL();
	assert_bytes(t, a, "keep");
	/* Whole huge pages are fine. */
	assert_int_equal(pnm_mprotect(t, a + HSZ, HSZ, PROT_READ), 0);
	assert_int_equal(pnm_user_write(t, a + HSZ, "x", 1), -EFAULT);
	assert_int_equal(pnm_munmap(t, a + HSZ, HSZ), 0);
	assert_pool(2, 1, 0, 0);
	CHECK_ALL();
	pnm_task_exit(t);
	pnm_task_put(t);
}

/* MADV_DONTNEED of a private page: it goes, and its reservation comes
 * back (Linux >= 6.9), so the refault finds a page. */
static void test_dontneed_restores_reservation(void **state)
{
	struct task_struct *t = test_task_create("a");
	unsigned long a;

	(void)state;
	assert_int_equal(pnm_hugetlb_set_pages(HSZ, 1), 1);
	a = hmmap_ok(t, HSZ, MAP_PRIVATE);
	put_bytes(t, a, "gone");
	assert_pool(1, 0, 0, 0);
	/* The end rounds down: nothing. */
	assert_int_equal(pnm_madvise(t, a, 4096, MADV_DONTNEED), 0);
	assert_bytes(t, a, "gone");
	assert_int_equal(pnm_madvise(t, a, HSZ, MADV_DONTNEED), 0);
	assert_pool(1, 1, 1, 0);
	CHECK_ALL();
	assert_zero(t, a, 4);
	assert_pool(1, 0, 0, 0);
	CHECK_ALL();
	pnm_task_exit(t);
	pnm_task_put(t);
	assert_pool(1, 1, 0, 0);
}

/* --- fork and COW --------------------------------------------------------------------- */

static void test_shared_fork(void **state)
{
	struct task_struct *p = test_task_create("p"), *c;
	unsigned long a;

	(void)state;
	assert_int_equal(pnm_hugetlb_set_pages(HSZ, 2), 2);
	a = hmmap_ok(p, 2 * HSZ, MAP_SHARED);
	assert_pool(2, 2, 2, 0);
	put_bytes(p, a, "shared");
	c = test_fork(p);
	CHECK_ALL();
	/* fork copies no entry of a shared mapping (Linux: no anon_vma, no
	 * copy): the child maps the same page at its first touch. */
	{
		unsigned long pfn;
		bool w;

		assert_int_equal(pnm_mm_translate(c->mm, a, &pfn, &w), -EFAULT);
	}
	assert_int_equal(folio_entire_mapcount(test_folio(p, a)), 1);
	assert_bytes(c, a, "shared");
	assert_int_equal(test_pfn(c, a), test_pfn(p, a));
	assert_int_equal(folio_entire_mapcount(test_folio(p, a)), 2);
	put_bytes(c, a + 8, "child");
	assert_bytes(p, a + 8, "child");
	put_bytes(c, a + HSZ, "second");
	assert_bytes(p, a + HSZ, "second");
	assert_pool(2, 0, 0, 0);
	CHECK_ALL();
	pnm_task_exit(p);
	pnm_task_put(p);
	assert_bytes(c, a, "shared");
	CHECK_ALL();
	pnm_task_exit(c);
	pnm_task_put(c);
	assert_pool(2, 2, 0, 0);
}

static void test_private_cow(void **state)
{
	struct task_struct *p = test_task_create("p"), *c;
	unsigned long a, ppfn;

	(void)state;
	assert_int_equal(pnm_hugetlb_set_pages(HSZ, 3), 3);
	a = hmmap_ok(p, HSZ, MAP_PRIVATE);
	put_bytes(p, a + 100, "before");
	ppfn = test_pfn(p, a);
	c = test_fork(p);
	CHECK_ALL();
	assert_int_equal(test_pfn(c, a), ppfn);
	assert_false(PageAnonExclusive(pfn_to_page(ppfn)));
	assert_pool(3, 2, 0, 0);

	/* The child's write copies the whole huge page. */
	put_bytes(c, a + 100, "CHILD!");
	assert_int_not_equal(test_pfn(c, a), ppfn);
	assert_int_equal(global_stat(PNM_COW_COPY), 1);
	assert_pool(3, 1, 0, 0);
	assert_bytes(p, a + 100, "before");
	assert_bytes(c, a + 100, "CHILD!");
	CHECK_ALL();
	/* The parent is alone on its page: reused, no copy. */
	put_bytes(p, a + 100, "parent");
	assert_int_equal(test_pfn(p, a), ppfn);
	assert_int_equal(global_stat(PNM_COW_COPY), 1);
	assert_true(global_stat(PNM_COW_REUSE) >= 1);
	CHECK_ALL();
	pnm_task_exit(c);
	pnm_task_put(c);
	pnm_task_exit(p);
	pnm_task_put(p);
	assert_pool(3, 3, 0, 0);
}

/*
 * cow.c's "vmsplice() + unmap in child", expected to fail on hugetlb: the
 * child takes a GUP reference (as vmsplice does) and unmaps; the parent,
 * now the only mapper, reuses the page on its next write (a mapcount
 * rule), and the child's reference sees the parent's new data.
 */
static void test_gup_reference_leak_as_linux(void **state)
{
	struct task_struct *p = test_task_create("p"), *c, *prev;
	struct page *page;
	unsigned long a;
	int nr;

	(void)state;
	assert_int_equal(pnm_hugetlb_set_pages(HSZ, 2), 2);
	a = hmmap_ok(p, HSZ, MAP_PRIVATE);
	put_bytes(p, a, "old data");
	c = test_fork(p);
	prev = pnm_task_enter(c);
	nr = get_user_pages_fast(a, 1, 0, &page);
	pnm_task_leave(prev);
	assert_int_equal(nr, 1);
	assert_int_equal(pnm_munmap(c, a, HSZ), 0);
	put_bytes(p, a, "NEW DATA");
	/* Reused, not copied: the child's reference sees it. */
	assert_int_equal(global_stat(PNM_COW_COPY), 0);
	assert_memory_equal(page_address(page), "NEW DATA", 8);
	put_page(page);
	CHECK_ALL();
	pnm_task_exit(c);
	pnm_task_put(c);
	pnm_task_exit(p);
	pnm_task_put(p);
}

/* The owner of a private mapping must COW a page its child shares while
 * the pool is empty: it takes the page back; the child's next access
 * there is SIGBUS. */
static void test_owner_takes_page_from_child(void **state)
{
	struct task_struct *p = test_task_create("p"), *c;
	unsigned long a, ppfn;

	(void)state;
	assert_int_equal(pnm_hugetlb_set_pages(HSZ, 1), 1);
	a = hmmap_ok(p, HSZ, MAP_PRIVATE);
	put_bytes(p, a, "owner");
	ppfn = test_pfn(p, a);
	c = test_fork(p);
	assert_bytes(c, a, "owner");
	put_bytes(p, a, "OWNER");
	assert_int_equal(test_pfn(p, a), ppfn);
	assert_int_equal(global_stat(PNM_HUGETLB_UNMAP_REF_PRIVATE), 1);
	CHECK_ALL();
	assert_int_equal(pnm_user_read(c, a, (char[4]){ 0 }, 4), -EFAULT);
	/* And a child's own COW without a page is SIGBUS too. */
	CHECK_ALL();
	pnm_task_exit(c);
	pnm_task_put(c);
	pnm_task_exit(p);
	pnm_task_put(p);
	assert_pool(1, 1, 0, 0);
}

/* --- pins ------------------------------------------------------------------------------- */

/* One _pincount per folio: 512 page pins are 512 on the folio, through
 * gup-fast and through the slow path. */
static void test_pins_count_on_folio(void **state)
{
	static struct page *pages[HNR];
	struct task_struct *t = test_task_create("a");
	struct folio *folio;
	unsigned long a;
	long before = global_stat(NR_FOLL_PIN_ACQUIRED);

	(void)state;
	assert_int_equal(pnm_hugetlb_set_pages(HSZ, 1), 1);
	a = hmmap_ok(t, HSZ, MAP_PRIVATE);
	/* The slow path faults it in. */
	assert_int_equal(pin_as(t, a, HNR, FOLL_WRITE, pages), HNR);
	folio = page_folio(pages[0]);
	assert_true(folio_test_hugetlb(folio));
	for (unsigned long i = 0; i < HNR; i++)
		assert_ptr_equal(pages[i], folio_page(folio, i));
	assert_int_equal(atomic_read(&folio->_pincount), HNR);
	assert_int_equal(folio_ref_count(folio), 1 + HNR);
	assert_true(page_maybe_dma_pinned(pages[100]));
	assert_int_equal(global_stat(NR_FOLL_PIN_ACQUIRED) - before, HNR);
	CHECK_ALL();
	/* gup-fast takes the present entry without the slow path. */
	pnm_task_enter(t);
	assert_int_equal(pnm_pin_user_pages_fast_only(a + 4096, 3, FOLL_WRITE, pages), 3);
	pnm_task_enter(NULL);
	assert_int_equal(atomic_read(&folio->_pincount), HNR + 3);
	CHECK_ALL();
	unpin_user_pages(pages, 3);
	pnm_task_enter(NULL);
	for (unsigned long i = 0; i < HNR; i++)
		pages[i] = folio_page(folio, i);
	unpin_user_pages(pages, HNR);
	assert_int_equal(atomic_read(&folio->_pincount), 0);
	assert_false(page_maybe_dma_pinned(pages[0]));
	CHECK_ALL();
	pnm_task_exit(t);
	pnm_task_put(t);
}

/* Pinned at fork: the child gets a copy at once, the parent keeps the
 * pinned page, and the device's writes stay visible to the parent. */
static void test_pin_then_fork(void **state)
{
	struct task_struct *p = test_task_create("p"), *c;
	struct page *page;
	unsigned long a, ppfn;

	(void)state;
	assert_int_equal(pnm_hugetlb_set_pages(HSZ, 2), 2);
	a = hmmap_ok(p, HSZ, MAP_PRIVATE);
	put_bytes(p, a, "dma");
	ppfn = test_pfn(p, a);
	assert_int_equal(pin_as(p, a, 1, FOLL_WRITE, &page), 1);
	c = test_fork(p);
	CHECK_ALL();
	assert_int_equal(global_stat(PNM_FORK_COPY_PINNED), 1);
	assert_int_equal(test_pfn(p, a), ppfn);
	assert_int_not_equal(test_pfn(c, a), ppfn);
	assert_true(PageAnonExclusive(pfn_to_page(ppfn)));
	assert_bytes(c, a, "dma");
	assert_int_equal(pnm_dma_write(&page, 1, 0, "DEV", 3), 0);
	assert_bytes(p, a, "DEV");
	assert_bytes(c, a, "dma");
	/* Writes on either side copy nothing more. */
	put_bytes(p, a + 8, "p");
	put_bytes(c, a + 8, "c");
	assert_int_equal(global_stat(PNM_COW_COPY), 0);
	unpin_user_page(page);
	CHECK_ALL();
	pnm_task_exit(c);
	pnm_task_put(c);
	pnm_task_exit(p);
	pnm_task_put(p);
}

/* A R/O pin of a COW-shared page unshares it first (a copy), like any
 * anonymous page. */
static void test_ro_pin_unshares(void **state)
{
	struct task_struct *p = test_task_create("p"), *c;
	struct page *page;
	unsigned long a, ppfn;

	(void)state;
	assert_int_equal(pnm_hugetlb_set_pages(HSZ, 2), 2);
	a = hmmap_ok(p, HSZ, MAP_PRIVATE);
	put_bytes(p, a, "ro");
	ppfn = test_pfn(p, a);
	c = test_fork(p);
	assert_int_equal(pin_as(p, a, 1, 0, &page), 1);
	assert_int_equal(global_stat(PNM_UNSHARE_COPY), 1);
	assert_int_not_equal(page_to_pfn(page), ppfn);
	assert_int_equal(test_pfn(p, a), page_to_pfn(page));
	assert_true(PageAnonExclusive(page));
	CHECK_ALL();
	unpin_user_page(page);
	pnm_task_exit(c);
	pnm_task_put(c);
	pnm_task_exit(p);
	pnm_task_put(p);
}

static void test_split_pmd_refused(void **state)
{
	struct task_struct *t = test_task_create("a"), *prev;
	struct page *page;
	unsigned long a;

	(void)state;
	assert_int_equal(pnm_hugetlb_set_pages(HSZ, 1), 1);
	a = hmmap_ok(t, HSZ, MAP_PRIVATE);
	put_bytes(t, a, "x");
	prev = pnm_task_enter(t);
	mmap_read_lock(t->mm);
	assert_int_equal(get_user_pages(a, 1, FOLL_SPLIT_PMD, &page), -EOPNOTSUPP);
	mmap_read_unlock(t->mm);
	assert_int_equal(get_user_pages_fast(a, 1, FOLL_SPLIT_PMD, &page), -EINVAL);
	/* FOLL_ANON: a hugetlb mapping is no anonymous VMA. */
	assert_int_equal(pin_user_pages_fast(a, 1, FOLL_ANON, &page), -EINVAL);
	pnm_task_leave(prev);
	CHECK_ALL();
	pnm_task_exit(t);
	pnm_task_put(t);
}

/* FOLL_LONGTERM on a pool page in ZONE_MOVABLE: migrated to ZONE_NORMAL
 * (to a temporary page: the pool has none there), then pinned. */
static void test_longterm_migrates(void **state)
{
	struct task_struct *t = test_task_create("a");
	struct page *page;
	unsigned long a, old;

	(void)state;
	assert_int_equal(pnm_hugetlb_set_pages(HSZ, 1), 1);
	assert_int_equal(info().free_movable, 1);
	a = hmmap_ok(t, HSZ, MAP_PRIVATE);
	put_bytes(t, a + 7, "movable");
	old = test_pfn(t, a);
	assert_int_equal(page_zonenum(pfn_to_page(old)), ZONE_MOVABLE);
	assert_int_equal(pin_as(t, a, 1, FOLL_WRITE | FOLL_LONGTERM, &page), 1);
	assert_int_equal(page_zonenum(page), ZONE_NORMAL);
	assert_int_equal(test_pfn(t, a), page_to_pfn(page));
	assert_int_equal(global_stat(PGMIGRATE_SUCCESS), HNR);
	assert_int_equal(global_stat(THP_MIGRATION_SUCCESS), 0);
	assert_bytes(t, a + 7, "movable");
	/* The pool kept its size: the old page left it (temporary). */
	assert_pool(1, 0, 0, 0);
	assert_int_equal(info().free_movable, 0);
	CHECK_ALL();
	unpin_user_page(page);
	pnm_task_exit(t);
	pnm_task_put(t);
	assert_pool(1, 1, 0, 0);
	assert_int_equal(info().free_movable, 0);
}

/* A long-term pin of an unmapped range faults in a pinnable page from
 * the pool, never a movable one. */
static void test_longterm_fault_avoids_movable(void **state)
{
	struct task_struct *t = test_task_create("a");
	struct page *page;
	unsigned long a;

	(void)state;
	/* 4 pages fill ZONE_MOVABLE, the 5th comes from NORMAL. */
	assert_int_equal(pnm_hugetlb_set_pages(HSZ, 5), 5);
	assert_int_equal(info().free_movable, 4);
	a = hmmap_ok(t, HSZ, MAP_PRIVATE);
	assert_int_equal(pin_as(t, a, 1, FOLL_WRITE | FOLL_LONGTERM, &page), 1);
	assert_int_equal(page_zonenum(page), ZONE_NORMAL);
	assert_int_equal(global_stat(PGMIGRATE_SUCCESS), 0);
	CHECK_ALL();
	unpin_user_page(page);
	pnm_task_exit(t);
	pnm_task_put(t);
}

/* migrate(2)-style moves of a hugetlb page: to a pool page of the
 * target zone; refused while pinned (an exclusive anon page). */
static void test_migrate_range(void **state)
{
	struct task_struct *t = test_task_create("a");
	struct page *page;
	unsigned long a, old;

	(void)state;
	assert_int_equal(pnm_hugetlb_set_pages(HSZ, 6), 6);	/* 4 Movable + 2 Normal */
	a = hmmap_ok(t, HSZ, MAP_PRIVATE);
	/* Newest free first: a Normal page; move it to Movable and back. */
	put_bytes(t, a, "moving");
	old = test_pfn(t, a);
	assert_int_equal(page_zonenum(pfn_to_page(old)), ZONE_NORMAL);
	assert_int_equal(pnm_migrate_range(t, a, HSZ, PNM_ZONE_MOVABLE), HNR);
	assert_int_equal(page_zonenum(pfn_to_page(test_pfn(t, a))), ZONE_MOVABLE);
	assert_bytes(t, a, "moving");
	assert_pool(6, 5, 0, 0);
	CHECK_ALL();
	/* Pinned: refused, nothing moves. */
	assert_int_equal(pin_as(t, a, 1, FOLL_WRITE, &page), 1);
	assert_int_equal(pnm_migrate_range(t, a, HSZ, PNM_ZONE_NORMAL), -EBUSY);
	assert_int_equal(page_to_pfn(page), test_pfn(t, a));
	assert_int_equal(global_stat(PNM_MIGRATE_REFUSED_REFS), 1);
	CHECK_ALL();
	unpin_user_page(page);
	assert_int_equal(pnm_migrate_range(t, a, HSZ, PNM_ZONE_NORMAL), HNR);
	CHECK_ALL();
	pnm_task_exit(t);
	pnm_task_put(t);
	assert_pool(6, 6, 0, 0);
}

/* The checkers see a pool whose counters lie, and a mapping that lies
 * about its hugetlb usage. */
static void test_checkers_catch(void **state)
{
	struct task_struct *t = test_task_create("a");
	unsigned long a;

	(void)state;
	assert_int_equal(pnm_hugetlb_set_pages(HSZ, 2), 2);
	a = hmmap_ok(t, 2 * HSZ, MAP_PRIVATE);
	put_bytes(t, a, "x");
	hstates[0].resv_huge_pages++;
	assert_false(pnm_check_system());
	assert_non_null(strstr(pnm_check_error(), "reserv"));
	hstates[0].resv_huge_pages--;
	hstates[0].free_huge_pages++;
	assert_false(pnm_check_system());
	hstates[0].free_huge_pages--;
	atomic_long_add(1, &t->mm->hugetlb_usage);
	assert_false(pnm_check_system());
	assert_non_null(strstr(pnm_check_error(), "hugetlb_usage"));
	atomic_long_sub(1, &t->mm->hugetlb_usage);
	atomic_inc(&test_folio(t, a)->_entire_mapcount);
	assert_false(pnm_check_system());
	atomic_dec(&test_folio(t, a)->_entire_mapcount);
	CHECK_ALL();
	pnm_task_exit(t);
	pnm_task_put(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_pool_size, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_pool_shrink_in_use, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_private_reserve_fault_unmap, pnm_test_setup,
						pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_enomem_and_noreserve, pnm_test_setup,
						pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_overcommit, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_alignment, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_dontneed_restores_reservation, pnm_test_setup,
						pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_shared_fork, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_private_cow, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_gup_reference_leak_as_linux, pnm_test_setup,
						pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_owner_takes_page_from_child, pnm_test_setup,
						pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_pins_count_on_folio, pnm_test_setup,
						pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_pin_then_fork, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_ro_pin_unshares, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_split_pmd_refused, pnm_test_setup,
						pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_longterm_migrates, pnm_test_setup,
						pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_longterm_fault_avoids_movable, pnm_test_setup,
						pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_migrate_range, pnm_test_setup,
						pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_checkers_catch, pnm_test_setup,
						pnm_test_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
