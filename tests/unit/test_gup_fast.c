/* SPDX-License-Identifier: MIT */
/*
 * test_gup_fast.c - the lockless GUP entry points (gup_fast.c) and the
 * RCU-deferred page-table freeing they rely on.
 *
 * Covered: present, writable pages are taken without mmap_lock (another
 * thread holds it for write meanwhile) and the fast-only calls stop where a
 * fault would be needed; pin_user_pages_fast() falls back to the slow path
 * for the rest and returns one contiguous result; a huge PMD is grabbed
 * once with refs = the pages in range and a PTE-mapped large folio in
 * batches (refcount/_pincount arithmetic); an odd write_protect_seq makes
 * the lockless part take nothing; partial results; every errno convention
 * of the _fast entry points; the zero page, unsharing, FOLL_LONGTERM,
 * legacy and exact accounting, the overflow guard; MMF_HAS_PINNED; and
 * page-table frames that a lockless walker may still read being freed only
 * after a grace period (and at once when no walker runs).  The protocol
 * tests run again in the production configuration (linux accounting,
 * registry and pin_debug off), where order-0 folios take gup-fast's short
 * path and unpin_user_pages() its unchecked loop.
 */
#include <pthread.h>
#include <sched.h>
#include <string.h>

#include "test_util.h"
#include "pinmm_test_internal.h"
#include "rcu.h"

#define PG		PAGE_SIZE
#define RW		(PROT_READ | PROT_WRITE)
#define PRIV		(MAP_PRIVATE | MAP_ANONYMOUS)
#define BIAS		((int)GUP_PIN_COUNTING_BIAS)

/* A task that the calling thread runs as (current) for the test. */
static struct task_struct *enter_new_task(const char *name)
{
	struct task_struct *t = test_task_create(name);

	assert_non_null(t);
	pnm_task_enter(t);
	return t;
}

/* Write a byte into each of @n pages from @addr (faults them in writable). */
static void touch_pages(struct task_struct *t, unsigned long addr, unsigned long n)
{
	for (unsigned long i = 0; i < n; i++)
		test_write_byte(t, addr + i * PG, (unsigned char)(i + 1));
}

static struct folio *folio_at(struct task_struct *t, unsigned long addr)
{
	return pfn_folio(test_pfn(t, addr));
}

/* A 2 MiB-aligned THP-able address in a fresh 4 MiB MADV_HUGEPAGE area. */
static unsigned long thp_area(struct task_struct *t)
{
	unsigned long x = test_mmap(t, 2 * PMD_SIZE, RW, PRIV);

	assert_int_equal(pnm_mm_madvise(t->mm, x, 2 * PMD_SIZE, MADV_HUGEPAGE), 0);
	return ALIGN(x, PMD_SIZE);
}

/* The PTE table frame mapping @addr, or NULL. */
static struct page *pte_table_at(struct mm_struct *mm, unsigned long addr)
{
	struct page *table = NULL;
	pmd_t *pmd;

	mmap_read_lock(mm);
	pmd = pnm_pmd_lookup(mm, addr);
	if (pmd && pmd_present(pmdp_get(pmd)) && !pmd_trans_huge(pmdp_get(pmd)))
		table = pfn_to_page(pmd_pfn(pmdp_get(pmd)));
	mmap_read_unlock(mm);
	return table;
}

/* --- a thread that holds mmap_lock for write until told to let go ----------- */

struct locker {
	struct mm_struct *mm;
	atomic_t state;		/* 0 start, 1 locked, 2 release */
	pthread_t thread;
};

static void *locker_main(void *arg)
{
	struct locker *l = arg;

	mmap_write_lock(l->mm);
	atomic_set_release(&l->state, 1);
	while (atomic_read_acquire(&l->state) != 2)
		sched_yield();
	mmap_write_unlock(l->mm);
	return NULL;
}

static void locker_start(struct locker *l, struct mm_struct *mm)
{
	l->mm = mm;
	atomic_set(&l->state, 0);
	assert_int_equal(pthread_create(&l->thread, NULL, locker_main, l), 0);
	while (atomic_read_acquire(&l->state) != 1)
		sched_yield();
	assert_true(rwsem_is_locked(&mm->mmap_lock));
}

static void locker_stop(struct locker *l)
{
	atomic_set_release(&l->state, 2);
	pthread_join(l->thread, NULL);
}

/* --- tests ------------------------------------------------------------------ */

/*
 * With mmap_lock write-held by another thread, the lockless calls still
 * take present writable pages (they never touch the lock), and the
 * fast-only ones stop at the first page that would need a fault.
 */
static void test_fast_without_mmap_lock(void **state)
{
	struct task_struct *t = enter_new_task("gupf");
	unsigned long a = test_mmap(t, 32 * PG, RW, PRIV);
	struct page *pages[32], *pins[32], *all[16];
	struct locker l;
	long acq = global_stat(NR_FOLL_PIN_ACQUIRED);
	int refs[16];

	(void)state;
	touch_pages(t, a, 16);			/* pages 16..31 never touched */
	test_read_byte(t, a + 20 * PG);		/* page 20: the zero page */
	for (int i = 0; i < 16; i++)
		refs[i] = folio_ref_count(folio_at(t, a + i * PG));
	CHECK_ALL();

	locker_start(&l, t->mm);
	assert_int_equal(get_user_pages_fast_only(a, 16, FOLL_WRITE, pages), 16);
	assert_int_equal(pnm_pin_user_pages_fast_only(a, 16, FOLL_WRITE, pins), 16);
	/* Everything present: the full call never reaches the slow path. */
	assert_int_equal(pin_user_pages_fast(a, 16, FOLL_WRITE, all), 16);
	/* A fault would be needed at page 16: partial, then nothing. */
	assert_int_equal(get_user_pages_fast_only(a + 8 * PG, 16, FOLL_WRITE, pages + 16), 8);
	assert_int_equal(get_user_pages_fast_only(a + 16 * PG, 4, 0, pages + 24), 0);
	assert_int_equal(pnm_pin_user_pages_fast_only(a + 17 * PG, 4, 0, pages + 24), 0);
	/* The zero page is special: left to the slow path even for reads. */
	assert_int_equal(get_user_pages_fast_only(a + 20 * PG, 1, 0, pages + 24), 0);
	assert_true(rwsem_is_locked(&t->mm->mmap_lock));
	locker_stop(&l);

	for (int i = 0; i < 16; i++) {
		struct folio *folio = folio_at(t, a + i * PG);

		assert_ptr_equal(pages[i], pfn_to_page(test_pfn(t, a + i * PG)));
		assert_ptr_equal(pins[i], pages[i]);
		assert_ptr_equal(all[i], pages[i]);
		/* one get (+1, twice for pages 8..15) and two pins */
		assert_int_equal(folio_ref_count(folio),
				 refs[i] + 1 + (i >= 8) + 2 * BIAS);
		assert_int_equal(atomic_read(&pages[i]->pnm_pincount), 2);
		assert_true(folio_maybe_dma_pinned(folio));
	}
	assert_int_equal(global_stat(NR_FOLL_PIN_ACQUIRED), acq + 32);
	assert_true(test_bit(MMF_HAS_PINNED, &t->mm->flags));
	for (int i = 0; i < 24; i++)
		put_page(pages[i]);
	unpin_user_pages(pins, 16);
	unpin_user_pages(all, 16);
	for (int i = 0; i < 16; i++)
		assert_int_equal(folio_ref_count(folio_at(t, a + i * PG)), refs[i]);
	assert_int_equal(global_stat(NR_FOLL_PIN_RELEASED), global_stat(NR_FOLL_PIN_ACQUIRED));
	CHECK_ALL();
}

/*
 * pin_user_pages_fast() over present pages followed by missing ones: the
 * lockless part takes the first, the slow path faults in the rest, and the
 * result is one array in address order.  DMA through the pins lands in
 * the process's pages.
 */
static void test_pin_fast_falls_back(void **state)
{
	struct task_struct *t = enter_new_task("gupf");
	unsigned long a = test_mmap(t, 8 * PG, RW, PRIV);
	struct page *pages[8];
	long acq = global_stat(NR_FOLL_PIN_ACQUIRED);
	long faults;

	(void)state;
	touch_pages(t, a, 4);
	assert_int_equal(pnm_pin_user_pages_fast_only(a, 8, FOLL_WRITE, pages), 4);
	unpin_user_pages(pages, 4);
	faults = global_stat(PGFAULT);
	assert_int_equal(pin_user_pages_fast(a, 8, FOLL_WRITE, pages), 8);
	assert_true(global_stat(PGFAULT) >= faults + 4);	/* pages 4..7 */
	assert_int_equal(global_stat(NR_FOLL_PIN_ACQUIRED), acq + 12);
	for (int i = 0; i < 8; i++) {
		assert_ptr_equal(pages[i], pfn_to_page(test_pfn(t, a + i * PG)));
		assert_true(page_maybe_dma_pinned(pages[i]));
		/* device write, CPU read */
		((unsigned char *)page_address(pages[i]))[100] = (unsigned char)(0xa0 + i);
		assert_int_equal(test_read_byte(t, a + i * PG + 100), 0xa0 + i);
	}
	CHECK_ALL();
	unpin_user_pages(pages, 8);
	for (int i = 0; i < 8; i++)
		assert_false(page_maybe_dma_pinned(pfn_to_page(test_pfn(t, a + i * PG))));
	assert_int_equal(global_stat(NR_FOLL_PIN_RELEASED), global_stat(NR_FOLL_PIN_ACQUIRED));
	CHECK_ALL();
}

/*
 * A PMD-mapped THP: one grab for all subpages in range.  The refcount and
 * _pincount grow by exactly the number of pages, each page's shadow count
 * by one, and the array holds consecutive subpages.
 */
static void test_thp_pmd_one_grab(void **state)
{
	struct task_struct *t = enter_new_task("gupf");
	unsigned long h = thp_area(t);
	static struct page *pages[HPAGE_PMD_NR], *more[HPAGE_PMD_NR];
	struct folio *folio;
	int ref0;

	(void)state;
	test_write_byte(t, h, 1);
	folio = folio_at(t, h);
	assert_int_equal(folio_order(folio), HPAGE_PMD_ORDER);
	ref0 = folio_ref_count(folio);

	assert_int_equal(pnm_pin_user_pages_fast_only(h, HPAGE_PMD_NR, FOLL_WRITE, pages),
			 HPAGE_PMD_NR);
	assert_int_equal(folio_ref_count(folio), ref0 + HPAGE_PMD_NR);
	assert_int_equal(atomic_read(&folio->_pincount), HPAGE_PMD_NR);
	for (unsigned long i = 0; i < HPAGE_PMD_NR; i++) {
		assert_ptr_equal(pages[i], folio_page(folio, i));
		assert_int_equal(atomic_read(&pages[i]->pnm_pincount), 1);
	}
	/* A sub-range that starts inside the folio. */
	assert_int_equal(pnm_pin_user_pages_fast_only(h + 10 * PG, 100, 0, more), 100);
	assert_int_equal(folio_ref_count(folio), ref0 + HPAGE_PMD_NR + 100);
	assert_int_equal(atomic_read(&folio->_pincount), HPAGE_PMD_NR + 100);
	assert_ptr_equal(more[0], folio_page(folio, 10));
	assert_ptr_equal(more[99], folio_page(folio, 109));
	assert_int_equal(atomic_read(&folio_page(folio, 10)->pnm_pincount), 2);
	assert_int_equal(atomic_read(&folio_page(folio, 110)->pnm_pincount), 1);
	/* FOLL_GET: plain references, refs at a time. */
	assert_int_equal(get_user_pages_fast(h + 500 * PG, 12, FOLL_WRITE, more + 100), 12);
	assert_int_equal(folio_ref_count(folio), ref0 + HPAGE_PMD_NR + 112);
	CHECK_ALL();

	for (int i = 100; i < 112; i++)
		put_page(more[i]);
	unpin_user_pages(more, 100);
	unpin_user_pages(pages, HPAGE_PMD_NR);
	assert_int_equal(folio_ref_count(folio), ref0);
	assert_int_equal(atomic_read(&folio->_pincount), 0);
	assert_false(folio_maybe_dma_pinned(folio));
	CHECK_ALL();
}

/*
 * A PTE-mapped THP (the PMD split by an mprotect of part of it): runs of
 * PTEs with identical bits are grabbed together; the run breaks where the
 * protection changes, and a read-only part stops a FOLL_WRITE pin.
 */
static void test_thp_pte_mapped_batches(void **state)
{
	struct task_struct *t = enter_new_task("gupf");
	unsigned long h = thp_area(t);
	static struct page *pages[HPAGE_PMD_NR];
	struct folio *folio;
	int ref0, n;

	(void)state;
	test_write_byte(t, h, 1);
	folio = folio_at(t, h);
	assert_int_equal(folio_order(folio), HPAGE_PMD_ORDER);
	/* Pages 200..263 read-only: the PMD is split into PTEs. */
	assert_int_equal(pnm_mm_mprotect(t->mm, h + 200 * PG, 64 * PG, PROT_READ), 0);
	assert_non_null(pte_table_at(t->mm, h));
	ref0 = folio_ref_count(folio);

	/* Writable pins stop at the first read-only PTE. */
	n = pnm_pin_user_pages_fast_only(h + 100 * PG, 200, FOLL_WRITE, pages);
	assert_int_equal(n, 100);
	assert_int_equal(folio_ref_count(folio), ref0 + 100);
	assert_int_equal(atomic_read(&folio->_pincount), 100);
	unpin_user_pages(pages, n);
	/* R/O pins cross it: the pages are still anon-exclusive. */
	n = pnm_pin_user_pages_fast_only(h + 100 * PG, 300, 0, pages);
	assert_int_equal(n, 300);
	assert_int_equal(folio_ref_count(folio), ref0 + 300);
	for (int i = 0; i < 300; i++)
		assert_ptr_equal(pages[i], folio_page(folio, 100 + i));
	CHECK_ALL();
	unpin_user_pages(pages, n);
	assert_int_equal(folio_ref_count(folio), ref0);
	assert_int_equal(atomic_read(&folio->_pincount), 0);
	CHECK_ALL();
}

/*
 * fork's handshake: while write_protect_seq is odd the lockless part of a
 * pin takes nothing (the slow path, which waits for fork's mmap_lock, does
 * the work); FOLL_GET is not affected.
 */
static void test_write_protect_seq_odd(void **state)
{
	struct task_struct *t = enter_new_task("gupf");
	unsigned long a = test_mmap(t, 4 * PG, RW, PRIV);
	struct page *pages[4];
	struct folio *folio;
	int ref0;

	(void)state;
	touch_pages(t, a, 4);
	folio = folio_at(t, a);
	ref0 = folio_ref_count(folio);
	mmap_write_lock(t->mm);		/* as fork does */
	raw_write_seqcount_begin(&t->mm->write_protect_seq);
	mmap_write_unlock(t->mm);

	assert_int_equal(pnm_pin_user_pages_fast_only(a, 4, FOLL_WRITE, pages), 0);
	assert_int_equal(folio_ref_count(folio), ref0);
	assert_int_equal(atomic_read(&folio->page.pnm_pincount), 0);
	assert_int_equal(get_user_pages_fast_only(a, 4, FOLL_WRITE, pages), 4);
	for (int i = 0; i < 4; i++)
		put_page(pages[i]);
	/* The full call goes to the slow path and succeeds. */
	assert_int_equal(pin_user_pages_fast(a, 4, FOLL_WRITE, pages), 4);
	assert_int_equal(folio_ref_count(folio), ref0 + BIAS);
	unpin_user_pages(pages, 4);

	mmap_write_lock(t->mm);
	raw_write_seqcount_end(&t->mm->write_protect_seq);
	mmap_write_unlock(t->mm);
	assert_int_equal(pnm_pin_user_pages_fast_only(a, 4, FOLL_WRITE, pages), 4);
	unpin_user_pages(pages, 4);
	assert_int_equal(folio_ref_count(folio), ref0);
	CHECK_ALL();
}

/* Every argument convention of the three _fast entry points. */
static void test_errno_conventions(void **state)
{
	struct task_struct *t = enter_new_task("gupf");
	unsigned long a = test_mmap(t, 4 * PG, RW, PRIV);
	unsigned long ro = test_mmap(t, 2 * PG, PROT_READ, PRIV);
	unsigned long none = test_mmap(t, 2 * PG, PROT_NONE, PRIV);
	static const unsigned int bad_fast_flags[] = {
		FOLL_DUMP, FOLL_NOWAIT, FOLL_HWPOISON, FOLL_ANON, FOLL_SPLIT_PMD,
		FOLL_INTERRUPTIBLE,
	};
	struct page *pages[4];
	long warnings = atomic_long_read(&pnm_nr_warnings);

	(void)state;
	touch_pages(t, a, 4);
	/* nr_pages == 0 */
	assert_int_equal(pin_user_pages_fast(a, 0, FOLL_WRITE, pages), 0);
	assert_int_equal(get_user_pages_fast(a, 0, 0, pages), 0);
	assert_int_equal(get_user_pages_fast_only(a, 0, 0, pages), 0);
	/* invalid arguments: -EINVAL, with a warning (unlike pin_user_pages) */
	assert_int_equal(pin_user_pages_fast(a, 0, 0, NULL), -EINVAL);
	assert_int_equal(pin_user_pages_fast(a, 1, FOLL_WRITE, NULL), -EINVAL);
	assert_int_equal(get_user_pages_fast(a, 1, 0, NULL), -EINVAL);
	assert_int_equal(get_user_pages_fast_only(a, 1, 0, NULL), -EINVAL);
	assert_int_equal(pin_user_pages_fast(a, 1, FOLL_TOUCH, pages), -EINVAL);
	assert_int_equal(pin_user_pages_fast(a, 1, FOLL_PIN, pages), -EINVAL);
	assert_int_equal(get_user_pages_fast(a, 1, FOLL_PIN, pages), -EINVAL);
	assert_int_equal(get_user_pages_fast(a, 1, FOLL_FAST_ONLY, pages), -EINVAL);
	assert_int_equal(pin_user_pages_fast(a, 1, FOLL_GET, pages), -EINVAL);
	assert_int_equal(get_user_pages_fast(a, 1, FOLL_LONGTERM, pages), -EINVAL);
	assert_int_equal(get_user_pages_fast_only(a, 1, FOLL_LONGTERM, pages), -EINVAL);
	assert_int_equal(pin_user_pages_fast(a, 1, FOLL_LONGTERM | FOLL_PCI_P2PDMA, pages),
			 -EINVAL);
	for (size_t i = 0; i < ARRAY_SIZE(bad_fast_flags); i++) {
		assert_int_equal(pin_user_pages_fast(a, 1, bad_fast_flags[i], pages), -EINVAL);
		assert_int_equal(get_user_pages_fast(a, 1, bad_fast_flags[i], pages), -EINVAL);
	}
	assert_true(atomic_long_read(&pnm_nr_warnings) > warnings);
	/* the range: wraps -> -EOVERFLOW, beyond TASK_SIZE -> -EFAULT */
	assert_int_equal(pin_user_pages_fast(-2 * PG, 4, 0, pages), -EOVERFLOW);
	assert_int_equal(get_user_pages_fast(-2 * PG, 4, 0, pages), -EOVERFLOW);
	assert_int_equal(get_user_pages_fast_only(-2 * PG, 4, 0, pages), -EOVERFLOW);
	assert_int_equal(pin_user_pages_fast(a, -1, 0, pages), -EOVERFLOW);
	assert_int_equal(pin_user_pages_fast(TASK_SIZE - PG, 2, 0, pages), -EFAULT);
	assert_int_equal(get_user_pages_fast_only(TASK_SIZE, 1, 0, pages), -EFAULT);
	assert_int_equal(pin_user_pages_fast(TASK_SIZE - PG, 1, 0, pages), -EFAULT);
	/* start is rounded down to its page */
	assert_int_equal(pin_user_pages_fast(a + 123, 1, FOLL_WRITE, pages), 1);
	assert_ptr_equal(pages[0], pfn_to_page(test_pfn(t, a)));
	unpin_user_pages(pages, 1);
	/* what the slow path refuses */
	assert_int_equal(pin_user_pages_fast(0x10000, 1, 0, pages), -EFAULT);
	assert_int_equal(get_user_pages_fast(ro, 1, FOLL_WRITE, pages), -EFAULT);
	assert_int_equal(pin_user_pages_fast(none, 1, 0, pages), -EFAULT);
	assert_int_equal(get_user_pages_fast_only(0x10000, 1, 0, pages), 0);
	/* no task: nothing to walk */
	pnm_task_enter(NULL);
	assert_int_equal(pin_user_pages_fast(a, 1, 0, pages), -EFAULT);
	pnm_task_enter(t);
	assert_int_equal(global_stat(NR_FOLL_PIN_RELEASED), global_stat(NR_FOLL_PIN_ACQUIRED));
	CHECK_ALL();
}

/*
 * Partial results: when the slow path fails after the lockless part took
 * pages, the call returns what was taken (the caller must release it);
 * the fast-only calls return what they could take.
 */
static void test_partial_results(void **state)
{
	struct task_struct *t = enter_new_task("gupf");
	unsigned long a = test_mmap(t, 8 * PG, RW, PRIV);
	struct page *pages[8];
	long acq;

	(void)state;
	/* Pages 4..7 unmapped after pages 0..3 were faulted in. */
	touch_pages(t, a, 4);
	assert_int_equal(pnm_mm_munmap(t->mm, a + 4 * PG, 4 * PG), 0);
	acq = global_stat(NR_FOLL_PIN_ACQUIRED);
	assert_int_equal(pin_user_pages_fast(a, 8, FOLL_WRITE, pages), 4);
	assert_int_equal(global_stat(NR_FOLL_PIN_ACQUIRED), acq + 4);
	unpin_user_pages(pages, 4);
	assert_int_equal(get_user_pages_fast(a + 2 * PG, 6, 0, pages), 2);
	put_page(pages[0]);
	put_page(pages[1]);
	/* Nothing present at all and nothing mapped: the slow path's error. */
	assert_int_equal(pin_user_pages_fast(a + 4 * PG, 2, 0, pages), -EFAULT);
	/* A page that needs a fault for writing (read-faulted: zero page). */
	assert_int_equal(pnm_mm_munmap(t->mm, a, 4 * PG), 0);
	a = test_mmap(t, 4 * PG, RW, PRIV);
	touch_pages(t, a, 2);
	test_read_byte(t, a + 2 * PG);
	assert_int_equal(get_user_pages_fast_only(a, 4, FOLL_WRITE, pages), 2);
	put_page(pages[0]);
	put_page(pages[1]);
	assert_int_equal(pin_user_pages_fast(a, 4, FOLL_WRITE, pages), 4);
	assert_false(is_zero_pfn(page_to_pfn(pages[2])));
	unpin_user_pages(pages, 4);
	assert_int_equal(global_stat(NR_FOLL_PIN_RELEASED), global_stat(NR_FOLL_PIN_ACQUIRED));
	CHECK_ALL();
}

/*
 * Read-only pins: the zero page comes back from the slow path uncounted;
 * a COW-shared page makes the lockless part stop (gup_must_unshare) and
 * the slow path gives the parent its own copy first; the child is left
 * alone and later parent writes are seen through the pin.
 */
static void test_ro_pins_zero_page_and_unshare(void **state)
{
	struct task_struct *p = enter_new_task("parent"), *c;
	unsigned long a = test_mmap(p, 4 * PG, RW, PRIV);
	struct page *pages[4];
	unsigned long old_pfn;
	long acq;
	int zref = folio_ref_count(pfn_folio(pnm_mem.zero_pfn));

	(void)state;
	test_read_byte(p, a);			/* zero page */
	acq = global_stat(NR_FOLL_PIN_ACQUIRED);
	assert_int_equal(pnm_pin_user_pages_fast_only(a, 1, 0, pages), 0);
	assert_int_equal(pin_user_pages_fast(a, 1, 0, pages), 1);
	assert_true(is_zero_pfn(page_to_pfn(pages[0])));
	assert_int_equal(folio_ref_count(pfn_folio(pnm_mem.zero_pfn)), zref);
	assert_int_equal(global_stat(NR_FOLL_PIN_ACQUIRED), acq);
	unpin_user_pages(pages, 1);
	assert_int_equal(folio_ref_count(pfn_folio(pnm_mem.zero_pfn)), zref);

	test_write_byte(p, a + PG, 0x11);
	old_pfn = test_pfn(p, a + PG);
	assert_int_equal(pnm_task_fork(p, "child", &c), 0);
	/* COW-shared now: R/O pins must unshare, so the lockless part stops. */
	assert_int_equal(pnm_pin_user_pages_fast_only(a + PG, 1, 0, pages), 0);
	assert_int_equal(pin_user_pages_fast(a + PG, 1, 0, pages), 1);
	assert_int_not_equal(page_to_pfn(pages[0]), old_pfn);
	assert_int_equal(test_pfn(p, a + PG), page_to_pfn(pages[0]));
	assert_int_equal(test_pfn(c, a + PG), old_pfn);
	test_write_byte(p, a + PG, 0x22);
	assert_int_equal(((unsigned char *)page_address(pages[0]))[0], 0x22);
	assert_int_equal(test_read_byte(c, a + PG), 0x11);
	/* Now exclusive: the lockless part takes it too. */
	assert_int_equal(pnm_pin_user_pages_fast_only(a + PG, 1, 0, pages + 1), 1);
	assert_ptr_equal(pages[1], pages[0]);
	unpin_user_pages(pages, 2);
	CHECK_ALL();
	pnm_task_exit(c);
	put_task_struct(c);
	CHECK_ALL();
}

/*
 * FOLL_LONGTERM: user pages live in ZONE_MOVABLE first, where long-term
 * pins may not stay; the lockless part refuses them (nothing held) and the
 * slow path migrates them to ZONE_NORMAL before pinning.
 */
static void test_longterm_falls_back(void **state)
{
	struct task_struct *t = enter_new_task("gupf");
	unsigned long a = test_mmap(t, 2 * PG, RW, PRIV);
	struct page *pages[2];
	struct folio *folio;
	int ref0;

	(void)state;
	touch_pages(t, a, 2);
	folio = folio_at(t, a);
	assert_int_equal(page_zonenum(&folio->page), ZONE_MOVABLE);
	ref0 = folio_ref_count(folio);
	assert_int_equal(pnm_pin_user_pages_fast_only(a, 2, FOLL_WRITE | FOLL_LONGTERM, pages), 0);
	assert_int_equal(folio_ref_count(folio), ref0);
	assert_int_equal(pin_user_pages_fast(a, 2, FOLL_WRITE | FOLL_LONGTERM, pages), 2);
	for (int i = 0; i < 2; i++) {
		assert_int_equal(page_zonenum(pages[i]), ZONE_NORMAL);
		assert_ptr_equal(pages[i], pfn_to_page(test_pfn(t, a + i * PG)));
	}
	/* Pinnable where they are now: the lockless part takes them. */
	assert_int_equal(pnm_pin_user_pages_fast_only(a, 2, FOLL_LONGTERM, pages + 0), 2);
	unpin_user_pages(pages, 2);
	unpin_user_pages(pages, 2);
	assert_false(page_maybe_dma_pinned(pfn_to_page(test_pfn(t, a))));
	CHECK_ALL();
}

/* The overflow guard: a refcount at or past 2^31 is never grabbed by the
 * lockless part; the slow path refuses with -ENOMEM. */
static void test_overflow_guard(void **state)
{
	struct task_struct *t = enter_new_task("gupf");
	unsigned long a = test_mmap(t, PG, RW, PRIV);
	struct page *pages[1];
	struct folio *folio;
	int ref0;

	(void)state;
	touch_pages(t, a, 1);
	folio = folio_at(t, a);
	ref0 = folio_ref_count(folio);
	atomic_set(&folio->_refcount, INT32_MIN + 7);	/* "overflowed" */
	assert_int_equal(get_user_pages_fast_only(a, 1, 0, pages), 0);
	assert_int_equal(pnm_pin_user_pages_fast_only(a, 1, 0, pages), 0);
	assert_int_equal(atomic_read(&folio->_refcount), INT32_MIN + 7);
	assert_int_equal(pin_user_pages_fast(a, 1, FOLL_WRITE, pages), -ENOMEM);
	assert_int_equal(get_user_pages_fast(a, 1, 0, pages), -ENOMEM);
	atomic_set(&folio->_refcount, ref0);
	assert_int_equal(atomic_read(&folio->page.pnm_pincount), 0);
	CHECK_ALL();
}

/* MMF_HAS_PINNED is set by every FOLL_PIN call, even one that pins
 * nothing, and never by FOLL_GET. */
static void test_mmf_has_pinned(void **state)
{
	struct task_struct *t = enter_new_task("gupf");
	unsigned long a = test_mmap(t, PG, RW, PRIV);
	struct page *pages[1];

	(void)state;
	touch_pages(t, a, 1);
	assert_int_equal(get_user_pages_fast(a, 1, 0, pages), 1);
	put_page(pages[0]);
	assert_false(test_bit(MMF_HAS_PINNED, &t->mm->flags));
	assert_int_equal(pin_user_pages_fast(a, 0, 0, pages), 0);
	assert_true(test_bit(MMF_HAS_PINNED, &t->mm->flags));
	CHECK_ALL();
}

/* Exact accounting: a pin is +1 on the refcount and +1 on the page's exact
 * count, which alone answers folio_maybe_dma_pinned(). */
static void test_exact_accounting(void **state)
{
	struct pnm_config cfg;
	struct task_struct *t;
	struct page *pages[2];
	unsigned long a;
	int ref0;

	(void)state;
	pnm_test_config(&cfg);
	cfg.pin_accounting = PNM_PIN_ACCOUNTING_EXACT;
	pnm_test_init_with(&cfg);
	t = enter_new_task("gupf");
	a = test_mmap(t, 2 * PG, RW, PRIV);
	touch_pages(t, a, 2);
	ref0 = folio_ref_count(folio_at(t, a));
	assert_int_equal(pin_user_pages_fast(a, 2, FOLL_WRITE, pages), 2);
	assert_int_equal(folio_ref_count(folio_at(t, a)), ref0 + 1);
	assert_int_equal(atomic_read(&pages[0]->pnm_pincount), 1);
	assert_true(page_maybe_dma_pinned(pages[0]));
	CHECK_ALL();
	unpin_user_pages(pages, 2);
	assert_int_equal(folio_ref_count(folio_at(t, a)), ref0);
	assert_false(page_maybe_dma_pinned(pages[0]));
	CHECK_ALL();
}

/* Legacy mode: pins are plain references (no bias, no pin counters, no
 * MMF_HAS_PINNED), still recorded in the registry. */
static void test_legacy_mode(void **state)
{
	struct pnm_config cfg;
	struct task_struct *t;
	struct page *pages[2];
	unsigned long a;
	long acq;
	int ref0;

	(void)state;
	pnm_test_config(&cfg);
	cfg.legacy_gup = true;
	pnm_test_init_with(&cfg);
	t = enter_new_task("gupf");
	a = test_mmap(t, 2 * PG, RW, PRIV);
	touch_pages(t, a, 2);
	ref0 = folio_ref_count(folio_at(t, a));
	acq = global_stat(NR_FOLL_PIN_ACQUIRED);
	assert_int_equal(pnm_pin_user_pages_fast_only(a, 2, FOLL_WRITE, pages), 2);
	assert_int_equal(folio_ref_count(folio_at(t, a)), ref0 + 1);
	assert_int_equal(atomic_read(&pages[0]->pnm_pincount), 0);
	assert_int_equal(global_stat(NR_FOLL_PIN_ACQUIRED), acq);
	assert_false(test_bit(MMF_HAS_PINNED, &t->mm->flags));
	if (cfg.pin_registry)
		assert_int_equal(pnm_pin_registry_count(t->pid), 2);
	unpin_user_pages(pages, 2);
	assert_int_equal(folio_ref_count(folio_at(t, a)), ref0);
	assert_int_equal(pnm_pin_registry_count(t->pid), 0);
	CHECK_ALL();
}

/*
 * Page-table frames: freed at once when no lockless walker runs; while a
 * walker is inside its walk (another thread), munmap (a third thread)
 * unhooks the table and drops its accounting, then waits: the frame stays
 * allocated until the walker leaves, and is back with the allocator when
 * munmap returns.
 */
struct walker {
	atomic_t state;		/* 0 start, 1 inside, 2 leave */
	pthread_t thread;
};

static void *walker_main(void *arg)
{
	struct walker *w = arg;

	pnm_lockless_walk_begin();
	atomic_set_release(&w->state, 1);
	while (atomic_read_acquire(&w->state) != 2)
		sched_yield();
	pnm_lockless_walk_end();
	return NULL;
}

struct freer {
	struct mm_struct *mm;
	unsigned long addr;
	int ret;
	atomic_t done;
	pthread_t thread;
};

static void *freer_main(void *arg)
{
	struct freer *f = arg;

	f->ret = pnm_mm_munmap(f->mm, f->addr, 4 * PG);
	atomic_set_release(&f->done, 1);
	return NULL;
}

static void test_pgtable_free_waits_for_walker(void **state)
{
	struct task_struct *t = enter_new_task("gupf");
	unsigned long a = test_mmap(t, 4 * PG, RW, PRIV);
	long frames, nr_pt;
	struct page *table;
	struct walker w;
	struct freer f;

	(void)state;
	/* No walker: the table goes back with the munmap. */
	touch_pages(t, a, 4);
	table = pte_table_at(t->mm, a);
	assert_non_null(table);
	frames = (long)pnm_nr_allocated_frames();
	assert_int_equal(pnm_mm_munmap(t->mm, a, 4 * PG), 0);
	assert_false(PageTable(table));
	assert_true((long)pnm_nr_allocated_frames() <= frames - 5);
	CHECK_ALL();

	/* A walker inside its walk: munmap waits for it. */
	f.mm = t->mm;
	f.addr = test_mmap(t, 4 * PG, RW, PRIV);
	atomic_set(&f.done, 0);
	touch_pages(t, f.addr, 4);
	table = pte_table_at(t->mm, f.addr);
	assert_non_null(table);
	atomic_set(&w.state, 0);
	assert_int_equal(pthread_create(&w.thread, NULL, walker_main, &w), 0);
	while (atomic_read_acquire(&w.state) != 1)
		sched_yield();
	nr_pt = global_stat(NR_PAGETABLE);
	frames = (long)pnm_nr_allocated_frames();
	assert_int_equal(pthread_create(&f.thread, NULL, freer_main, &f), 0);
	/* pt_mm goes NULL once the table is unhooked and its accounting
	 * dropped, just before the wait (a freer that does not wait frees
	 * the frame, and munmap returns). */
	while (READ_ONCE(table->pt_mm) && !atomic_read_acquire(&f.done))
		sched_yield();
	/* Whatever the timing, the frame cannot go while the walker is
	 * inside, nor munmap return. */
	for (int i = 0; i < 64; i++) {
		assert_true(PageTable(table));
		assert_int_equal(page_ref_count(table), 1);
		assert_int_equal(atomic_read_acquire(&f.done), 0);
		sched_yield();
	}
	assert_true(global_stat(NR_PAGETABLE) < nr_pt);
	atomic_set_release(&w.state, 2);
	assert_int_equal(pthread_join(w.thread, NULL), 0);
	assert_int_equal(pthread_join(f.thread, NULL), 0);
	assert_int_equal(f.ret, 0);
	/* Freed before munmap returned: no grace period to wait for. */
	assert_false(PageTable(table));
	assert_int_equal(page_ref_count(table), 0);
	assert_int_equal((long)pnm_nr_allocated_frames(),
			 frames - 4 - (nr_pt - global_stat(NR_PAGETABLE)));
	CHECK_ALL();
}

/* --- races made deterministic with the walk's race hook ------------------------
 *
 * Each hook fires once, at the point named, and makes the racing change
 * from inside the walk (same thread; the walk holds no lock). */

static struct {
	enum pnm_gup_fast_race where;
	int fired;
	struct task_struct *task;
	unsigned long addr, len;
	struct page *page;	/* fire only for this page, if set */
	struct task_struct *child;
} race;

static void race_setup(enum pnm_gup_fast_race where, struct task_struct *t,
		       unsigned long addr, unsigned long len, pnm_gup_fast_race_fn *fn)
{
	memset(&race, 0, sizeof(race));
	race.where = where;
	race.task = t;
	race.addr = addr;
	race.len = len;
	pnm_gup_fast_set_race_hook(fn);
}

static bool race_fire(enum pnm_gup_fast_race where, struct page *page)
{
	if (where != race.where || race.fired || (race.page && page != race.page))
		return false;
	race.fired = 1;
	return true;
}

static void race_done(void)
{
	pnm_gup_fast_set_race_hook(NULL);
	assert_int_equal(race.fired, 1);
}

static void hook_zap(enum pnm_gup_fast_race where, struct page *page, int nr)
{
	(void)page;
	(void)nr;
	if (race_fire(where, page))
		assert_int_equal(pnm_mm_madvise(race.task->mm, race.addr, race.len,
					     MADV_DONTNEED), 0);
}

static void hook_wrprotect(enum pnm_gup_fast_race where, struct page *page, int nr)
{
	(void)page;
	(void)nr;
	if (race_fire(where, page))
		assert_int_equal(pnm_mm_mprotect(race.task->mm, race.addr, race.len,
					      PROT_READ), 0);
}

static void hook_fork(enum pnm_gup_fast_race where, struct page *page, int nr)
{
	(void)page;
	(void)nr;
	if (race_fire(where, page))
		assert_int_equal(pnm_task_fork(race.task, "child", &race.child), 0);
}

static void hook_split(enum pnm_gup_fast_race where, struct page *page, int nr)
{
	struct folio *folio = page_folio(page);

	(void)nr;
	if (!race_fire(where, page))
		return;
	folio_get(folio);
	folio_lock(folio);
	assert_int_equal(split_folio(folio), 0);
	folio_unlock(folio);
	folio_put(folio);
}

/* A PTE cleared between grab and re-check: the grab is dropped, the page
 * (unmapped meanwhile) freed, nothing left pinned. */
static void test_race_zap_before_recheck(void **state)
{
	struct task_struct *t = enter_new_task("gupf");
	unsigned long a = test_mmap(t, 2 * PG, RW, PRIV);
	struct page *pages[2], *old;
	long frames;

	(void)state;
	touch_pages(t, a, 2);
	old = pfn_to_page(test_pfn(t, a));
	frames = (long)pnm_nr_allocated_frames();
	race_setup(PNM_GUP_FAST_BEFORE_RECHECK, t, a, PG, hook_zap);
	assert_int_equal(pnm_pin_user_pages_fast_only(a, 2, FOLL_WRITE, pages), 0);
	race_done();
	assert_int_equal(page_ref_count(old), 0);
	assert_int_equal(atomic_read(&old->pnm_pincount), 0);
	assert_int_equal((long)pnm_nr_allocated_frames(), frames - 1);
	assert_int_equal(global_stat(NR_FOLL_PIN_RELEASED), global_stat(NR_FOLL_PIN_ACQUIRED));
	CHECK_ALL();
	/* The slow path faults a new page in. */
	assert_int_equal(pin_user_pages_fast(a, 2, FOLL_WRITE, pages), 2);
	assert_ptr_equal(pages[0], pfn_to_page(test_pfn(t, a)));
	unpin_user_pages(pages, 2);
	CHECK_ALL();
}

/* Write-protection (a PTE, and a huge PMD) between grab and re-check: a
 * write pin backs out, the counts are as before. */
static void test_race_wrprotect_before_recheck(void **state)
{
	struct task_struct *t = enter_new_task("gupf");
	unsigned long a = test_mmap(t, PG, RW, PRIV), h = thp_area(t);
	struct page *pages[HPAGE_PMD_NR];
	struct folio *folio;
	int ref0;

	(void)state;
	touch_pages(t, a, 1);
	folio = folio_at(t, a);
	ref0 = folio_ref_count(folio);
	race_setup(PNM_GUP_FAST_BEFORE_RECHECK, t, a, PG, hook_wrprotect);
	assert_int_equal(pnm_pin_user_pages_fast_only(a, 1, FOLL_WRITE, pages), 0);
	race_done();
	assert_int_equal(folio_ref_count(folio), ref0);
	assert_false(folio_maybe_dma_pinned(folio));

	test_write_byte(t, h, 1);
	folio = folio_at(t, h);
	assert_int_equal(folio_order(folio), HPAGE_PMD_ORDER);
	ref0 = folio_ref_count(folio);
	race_setup(PNM_GUP_FAST_BEFORE_RECHECK, t, h, PMD_SIZE, hook_wrprotect);
	assert_int_equal(pnm_pin_user_pages_fast_only(h, HPAGE_PMD_NR, FOLL_WRITE, pages), 0);
	race_done();
	assert_int_equal(folio_ref_count(folio), ref0);
	assert_int_equal(atomic_read(&folio->_pincount), 0);
	assert_int_equal(global_stat(NR_FOLL_PIN_RELEASED), global_stat(NR_FOLL_PIN_ACQUIRED));
	CHECK_ALL();
}

/* A whole fork between grab and re-check: fork saw the pin and copied the
 * page for the child, but write_protect_seq moved, so the walk drops every
 * pin it took and returns 0. */
static void test_race_fork_during_walk(void **state)
{
	struct task_struct *t = enter_new_task("gupf");
	unsigned long a = test_mmap(t, 4 * PG, RW, PRIV);
	long retries = atomic_long_read(&pnm_gup_fast_seq_retries);
	long copies = global_stat(PNM_FORK_COPY_PINNED);
	struct page *pages[4];
	int ref0;

	(void)state;
	touch_pages(t, a, 4);
	ref0 = folio_ref_count(folio_at(t, a));
	/* Fork when the last page is grabbed but not yet re-checked. */
	race_setup(PNM_GUP_FAST_BEFORE_RECHECK, t, a, 4 * PG, hook_fork);
	race.page = pfn_to_page(test_pfn(t, a + 3 * PG));
	assert_int_equal(pnm_pin_user_pages_fast_only(a, 4, FOLL_WRITE, pages), 0);
	race_done();
	assert_int_equal(atomic_long_read(&pnm_gup_fast_seq_retries), retries + 1);
	/* Fork saw all four pins and gave the child copies. */
	assert_int_equal(global_stat(PNM_FORK_COPY_PINNED), copies + 4);
	for (int i = 0; i < 4; i++) {
		struct page *page = pfn_to_page(test_pfn(t, a + i * PG));

		assert_false(page_maybe_dma_pinned(page));
		assert_int_equal(page_ref_count(page), ref0);
		assert_int_not_equal(test_pfn(race.child, a + i * PG), page_to_pfn(page));
	}
	assert_int_equal(global_stat(NR_FOLL_PIN_RELEASED), global_stat(NR_FOLL_PIN_ACQUIRED));
	CHECK_ALL();
	/* The copies went to the child: the parent's pages are still its
	 * own, writable, and the lockless part takes them. */
	assert_int_equal(pnm_pin_user_pages_fast_only(a, 4, FOLL_WRITE, pages), 4);
	unpin_user_pages(pages, 4);
	pnm_task_exit(race.child);
	put_task_struct(race.child);
	CHECK_ALL();
}

/* A large folio split between the folio lookup and the speculative grab:
 * the grab must notice that the pages it batched are no longer one folio. */
static void test_race_split_before_grab(void **state)
{
	struct task_struct *t = enter_new_task("gupf");
	unsigned long h = thp_area(t), h2 = thp_area(t);
	static struct page *pages[HPAGE_PMD_NR];
	struct folio *folio;

	(void)state;
	/* PTE-mapped: split the PMD with an mprotect of the last page. */
	test_write_byte(t, h, 1);
	assert_int_equal(folio_order(folio_at(t, h)), HPAGE_PMD_ORDER);
	assert_int_equal(pnm_mm_mprotect(t->mm, h + 511 * PG, PG, PROT_READ), 0);
	race_setup(PNM_GUP_FAST_BEFORE_GRAB, t, h, PMD_SIZE, hook_split);
	assert_int_equal(pnm_pin_user_pages_fast_only(h, 64, FOLL_WRITE, pages), 0);
	race_done();
	CHECK_ALL();
	for (int i = 0; i < 64; i++)
		assert_int_equal(folio_order(folio_at(t, h + i * PG)), 0);
	/* Order-0 folios now, pinned one by one. */
	assert_int_equal(pnm_pin_user_pages_fast_only(h + 10 * PG, 20, FOLL_WRITE, pages), 20);
	assert_true(folio_ref_count(page_folio(pages[5])) >= 1 + BIAS);
	unpin_user_pages(pages, 20);

	/* PMD-mapped, starting inside the folio. */
	test_write_byte(t, h2, 1);
	folio = folio_at(t, h2);
	assert_int_equal(folio_order(folio), HPAGE_PMD_ORDER);
	race_setup(PNM_GUP_FAST_BEFORE_GRAB, t, h2, PMD_SIZE, hook_split);
	assert_int_equal(pnm_pin_user_pages_fast_only(h2 + 10 * PG, 30, FOLL_WRITE, pages), 0);
	race_done();
	assert_int_equal(folio_order(folio), 0);
	assert_int_equal(global_stat(NR_FOLL_PIN_RELEASED), global_stat(NR_FOLL_PIN_ACQUIRED));
	CHECK_ALL();
}

/* --- the production configuration ----------------------------------------- */

/* Linux accounting with the registry and misuse detection off: no shadow
 * counts, so gup-fast takes order-0 folios on its short path and
 * unpin_user_pages() releases without any per-entry check. */
static int production_setup(void **state)
{
	struct pnm_config cfg;

	(void)state;
	pnm_test_config(&cfg);
	cfg.pin_accounting = PNM_PIN_ACCOUNTING_LINUX;
	cfg.pin_registry = false;
	cfg.pin_debug = false;
	pnm_test_init_with(&cfg);
	assert_false(pnm_unpin_needs_check());
	return 0;
}

/*
 * The short paths' arithmetic: a pin of an order-0 folio is
 * GUP_PIN_COUNTING_BIAS references and a reference is one; one array
 * holding two pins of one page (adjacent entries), a NULL entry, the zero
 * page (pinned uncounted, R/O) and pages of a THP between small ones is
 * released exactly, run by run, and the pin counters balance.
 */
static void test_production_pin_unpin(void **state)
{
	struct task_struct *t = enter_new_task("gupf");
	unsigned long a = test_mmap(t, 4 * PG, RW, PRIV), z = test_mmap(t, PG, RW, PRIV);
	unsigned long h = thp_area(t);
	struct page *pages[4], *list[16], *zp, *ref[4];
	struct folio *thp;
	int ref0[4], thp0, n = 0;
	long acq = global_stat(NR_FOLL_PIN_ACQUIRED), rel = global_stat(NR_FOLL_PIN_RELEASED);

	(void)state;
	touch_pages(t, a, 4);
	test_write_byte(t, h, 1);
	thp = folio_at(t, h);
	assert_int_equal(folio_order(thp), HPAGE_PMD_ORDER);
	thp0 = folio_ref_count(thp);
	for (int i = 0; i < 4; i++)
		ref0[i] = folio_ref_count(folio_at(t, a + i * PG));

	assert_int_equal(pnm_pin_user_pages_fast_only(a, 4, FOLL_WRITE, pages), 4);
	for (int i = 0; i < 4; i++) {
		assert_ptr_equal(pages[i], &folio_at(t, a + i * PG)->page);
		assert_int_equal(folio_ref_count(page_folio(pages[i])), ref0[i] + BIAS);
		assert_true(page_maybe_dma_pinned(pages[i]));
	}
	assert_int_equal(global_stat(NR_FOLL_PIN_ACQUIRED), acq + 4);
	/* FOLL_GET on the short path: one reference. */
	assert_int_equal(get_user_pages_fast(a, 4, 0, ref), 4);
	assert_int_equal(folio_ref_count(page_folio(ref[3])), ref0[3] + BIAS + 1);
	for (int i = 0; i < 4; i++)
		put_page(ref[i]);
	/* A second pin of page 1, the zero page (slow path), 3 THP pages. */
	assert_int_equal(pin_user_pages_fast(a + PG, 1, 0, &list[n]), 1);
	assert_ptr_equal(list[n], pages[1]);
	n++;
	test_read_byte(t, z);			/* zero page */
	assert_int_equal(pin_user_pages_fast(z, 1, 0, &zp), 1);
	assert_true(is_zero_pfn(page_to_pfn(zp)));
	assert_int_equal(pin_user_pages_fast(h + 7 * PG, 3, FOLL_WRITE, &list[n + 3]), 3);
	assert_int_equal(folio_ref_count(thp), thp0 + 3);
	assert_int_equal(atomic_read(&thp->_pincount), 3);
	CHECK_ALL();

	/* page 0, page 1 twice, NULL, the THP's pages, the zero page, 2, 3 */
	list[0] = pages[0];
	list[1] = pages[1];
	list[2] = pages[1];
	list[3] = NULL;
	list[4] = list[n + 3];
	list[5] = list[n + 4];
	list[6] = list[n + 5];
	list[7] = zp;
	list[8] = pages[2];
	list[9] = pages[3];
	unpin_user_pages(list, 10);
	for (int i = 0; i < 4; i++) {
		assert_int_equal(folio_ref_count(page_folio(pages[i])), ref0[i]);
		assert_false(page_maybe_dma_pinned(pages[i]));
	}
	assert_int_equal(folio_ref_count(thp), thp0);
	assert_int_equal(atomic_read(&thp->_pincount), 0);
	assert_int_equal(global_stat(NR_FOLL_PIN_ACQUIRED) - acq, 8);
	assert_int_equal(global_stat(NR_FOLL_PIN_RELEASED) - rel, 8);
	CHECK_ALL();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_fast_without_mmap_lock,
						pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_pin_fast_falls_back,
						pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_thp_pmd_one_grab,
						pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_thp_pte_mapped_batches,
						pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_write_protect_seq_odd,
						pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_errno_conventions,
						pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_partial_results,
						pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_ro_pins_zero_page_and_unshare,
						pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_longterm_falls_back,
						pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_overflow_guard,
						pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_mmf_has_pinned,
						pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_teardown(test_exact_accounting, pnm_test_teardown),
		cmocka_unit_test_teardown(test_legacy_mode, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_pgtable_free_waits_for_walker,
						pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_race_zap_before_recheck,
						pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_race_wrprotect_before_recheck,
						pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_race_fork_during_walk,
						pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_race_split_before_grab,
						pnm_test_setup, pnm_test_teardown),
		/* The same protocol tests in the production configuration. */
		cmocka_unit_test_setup_teardown(test_production_pin_unpin,
						production_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_pin_fast_falls_back,
						production_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_partial_results,
						production_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_ro_pins_zero_page_and_unshare,
						production_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_pgtable_free_waits_for_walker,
						production_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_race_zap_before_recheck,
						production_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_race_wrprotect_before_recheck,
						production_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_race_fork_during_walk,
						production_setup, pnm_test_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
