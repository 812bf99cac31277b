/* SPDX-License-Identifier: MIT */
/*
 * gup_test.h - helpers shared by the GUP unit tests (test_gup*.c): run a
 * GUP entry point as a given task with the lock protocol that entry point
 * expects, make THPs, read counters.  Everything asserts on the test's
 * own thread.
 */
#ifndef PINMM_GUP_TEST_H
#define PINMM_GUP_TEST_H

#include <stdlib.h>
#include <string.h>

#include "test_util.h"
#include "pinmm_test_internal.h"

#define PG	PAGE_SIZE
#define RW	(PROT_READ | PROT_WRITE)
#define PRIV	(MAP_PRIVATE | MAP_ANONYMOUS)
#define SHARED	(MAP_SHARED | MAP_ANONYMOUS)

static inline struct task_struct *gt_task(const char *name)
{
	struct task_struct *t = test_task_create(name);

	assert_non_null(t);
	return t;
}

static inline struct task_struct *gt_fork(struct task_struct *parent)
{
	struct task_struct *child = NULL;

	assert_int_equal(pnm_task_fork(parent, "child", &child), 0);
	return child;
}

/* The entry points that want the caller to hold mmap_lock (read). */
static inline long gt_pin(struct task_struct *t, unsigned long addr, unsigned long n,
			  unsigned int flags, struct page **pages)
{
	struct task_struct *prev = pnm_task_enter(t);
	long ret;

	mmap_read_lock(t->mm);
	ret = pin_user_pages(addr, n, flags, pages);
	mmap_read_unlock(t->mm);
	pnm_task_leave(prev);
	return ret;
}

static inline long gt_get(struct task_struct *t, unsigned long addr, unsigned long n,
			  unsigned int flags, struct page **pages)
{
	struct task_struct *prev = pnm_task_enter(t);
	long ret;

	mmap_read_lock(t->mm);
	ret = get_user_pages(addr, n, flags, pages);
	mmap_read_unlock(t->mm);
	pnm_task_leave(prev);
	return ret;
}

static inline long gt_pin_remote(struct mm_struct *mm, unsigned long addr, unsigned long n,
				 unsigned int flags, struct page **pages, int *locked)
{
	long ret;

	mmap_read_lock(mm);
	ret = pin_user_pages_remote(mm, addr, n, flags, pages, locked);
	if (!locked || *locked)
		mmap_read_unlock(mm);
	return ret;
}

static inline long gt_get_remote(struct mm_struct *mm, unsigned long addr, unsigned long n,
				 unsigned int flags, struct page **pages, int *locked)
{
	long ret;

	mmap_read_lock(mm);
	ret = get_user_pages_remote(mm, addr, n, flags, pages, locked);
	if (!locked || *locked)
		mmap_read_unlock(mm);
	return ret;
}

/* The entry points that take mmap_lock themselves. */
static inline long gt_pin_unlocked(struct task_struct *t, unsigned long addr,
				   unsigned long n, unsigned int flags, struct page **pages)
{
	struct task_struct *prev = pnm_task_enter(t);
	long ret = pin_user_pages_unlocked(addr, n, pages, flags);

	pnm_task_leave(prev);
	return ret;
}

static inline long gt_get_unlocked(struct task_struct *t, unsigned long addr,
				   unsigned long n, unsigned int flags, struct page **pages)
{
	struct task_struct *prev = pnm_task_enter(t);
	long ret = get_user_pages_unlocked(addr, n, pages, flags);

	pnm_task_leave(prev);
	return ret;
}

static inline long gt_pin_fast(struct task_struct *t, unsigned long addr, int n,
			       unsigned int flags, struct page **pages)
{
	struct task_struct *prev = pnm_task_enter(t);
	long ret = pin_user_pages_fast(addr, n, flags, pages);

	pnm_task_leave(prev);
	return ret;
}

static inline long gt_get_fast(struct task_struct *t, unsigned long addr, int n,
			       unsigned int flags, struct page **pages)
{
	struct task_struct *prev = pnm_task_enter(t);
	long ret = get_user_pages_fast(addr, n, flags, pages);

	pnm_task_leave(prev);
	return ret;
}

static inline long gt_get_fast_only(struct task_struct *t, unsigned long addr, int n,
				    unsigned int flags, struct page **pages)
{
	struct task_struct *prev = pnm_task_enter(t);
	long ret = get_user_pages_fast_only(addr, n, flags, pages);

	pnm_task_leave(prev);
	return ret;
}

static inline void gt_put_pages(struct page **pages, long n)
{
	for (long i = 0; i < n; i++)
		put_page(pages[i]);
}

/* Store @len bytes of @v at @addr as @t (faulting as the CPU would). */
static inline void gt_write(struct task_struct *t, unsigned long addr,
			    unsigned char v, size_t len)
{
	unsigned char buf[PAGE_SIZE];

	memset(buf, v, sizeof(buf));
	while (len) {
		size_t n = len < sizeof(buf) ? len : sizeof(buf);

		assert_int_equal(pnm_user_write(t, addr, buf, n), 0);
		addr += n;
		len -= n;
	}
}

/* The pfn mapped at @addr in @t, or -1UL if nothing is present. */
static inline unsigned long gt_pfn_or_none(struct task_struct *t, unsigned long addr)
{
	unsigned long pfn = 0;
	bool w;

	if (pnm_mm_translate(t->mm, addr, &pfn, &w))
		return -1UL;
	return pfn;
}

static inline unsigned char gt_page_byte(struct page *page, size_t off)
{
	return ((unsigned char *)page_address(page))[off];
}

/*
 * A PMD-mapped anonymous THP in @t, every byte @v: a 2 MiB private
 * mapping (the model aligns it), MADV_HUGEPAGE, a write fault.
 */
static inline unsigned long gt_thp(struct task_struct *t, unsigned char v)
{
	unsigned long a = test_mmap(t, PMD_SIZE, RW, PRIV);
	struct folio *folio;

	assert_true(IS_ALIGNED(a, PMD_SIZE));
	assert_int_equal(pnm_mm_madvise(t->mm, a, PMD_SIZE, MADV_HUGEPAGE), 0);
	gt_write(t, a, v, 1);
	folio = pfn_folio(test_pfn(t, a));
	assert_int_equal(folio_order(folio), HPAGE_PMD_ORDER);
	assert_int_equal(folio_entire_mapcount(folio), 1);
	for (unsigned long off = 0; off < PMD_SIZE; off += PAGE_SIZE)
		memset((char *)page_address(folio_page(folio, off >> PAGE_SHIFT)), v,
		       PAGE_SIZE);
	return a;
}

/*
 * Install by hand, at @addr in @t, a read-only special PTE for a freshly
 * allocated frame that no VMA flag explains (a raw pfn entry: no struct
 * page GUP may hand out).  Returns the frame; undo with gt_remove_raw_pfn().
 */
static inline struct page *gt_install_raw_pfn(struct task_struct *t, unsigned long addr)
{
	struct page *frame = alloc_page(GFP_KERNEL);
	spinlock_t *ptl;
	pte_t *pte;

	assert_non_null(frame);
	mmap_read_lock(t->mm);
	pte = pte_alloc_map_lock(t->mm, pnm_pmd_alloc(t->mm, addr), addr, &ptl);
	assert_non_null(pte);
	set_pte_at(t->mm, addr, pte, pte_mkspecial(pfn_pte(page_to_pfn(frame),
			_PAGE_PRESENT | _PAGE_USER | _PAGE_ACCESSED)));
	pte_unmap_unlock(pte, ptl);
	mmap_read_unlock(t->mm);
	return frame;
}

/* Clear the entry gt_install_raw_pfn() made and free its frame. */
static inline void gt_remove_raw_pfn(struct task_struct *t, unsigned long addr,
				     struct page *frame)
{
	spinlock_t *ptl;
	pte_t *pte;

	mmap_read_lock(t->mm);
	pte = pte_offset_map_lock(t->mm, pnm_pmd_lookup(t->mm, addr), addr, &ptl);
	assert_non_null(pte);
	ptep_get_and_clear(t->mm, addr, pte);
	pte_unmap_unlock(pte, ptl);
	mmap_read_unlock(t->mm);
	put_page(frame);
}

#endif /* PINMM_GUP_TEST_H */
