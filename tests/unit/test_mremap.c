// SPDX-License-Identifier: MIT
/*
 * test_mremap.c - mremap(2) (mremap.c): shrinking, growing in place,
 * moving (the page-table entries move, the pages stay: same frames, same
 * references, mapcounts, anon-exclusive bits and pins), MREMAP_FIXED over
 * a mapping, MREMAP_DONTUNMAP, THPs (a PMD moves whole when both ranges
 * are aligned around it, else it is split), PTE tables moved whole, the
 * huge zero page, shared and file mappings (private with COW copies, the
 * "duplicate" of old_len 0), the MMU notification of a move, what works
 * afterwards (fork, migration, faults, moving back and merging), VM_LOCKED
 * growth, and every error with nothing changed; the VMA checker's rule for
 * a moved anonymous VMA's offset.  The checkers run after every step.
 */
#include "gup_test.h"

#define MAYMOVE		PNM_MREMAP_MAYMOVE
#define FIXED		PNM_MREMAP_FIXED
#define DONTUNMAP	PNM_MREMAP_DONTUNMAP

static long mremap_(struct task_struct *t, unsigned long addr, unsigned long old_len,
		    unsigned long new_len, unsigned long flags, unsigned long new_addr)
{
	return pnm_mremap(t, addr, old_len, new_len, flags, new_addr);
}

/* A free range of @len bytes, aligned to @align (a power of two). */
static unsigned long free_range(struct task_struct *t, unsigned long len, unsigned long align)
{
	unsigned long base = test_mmap(t, len + align, RW, PRIV);

	assert_int_equal(pnm_munmap(t, base, len + align), 0);
	return ALIGN(base, align);
}

/* Fill @n pages at @addr: page i holds (tag + i) at three offsets. */
static void fill(struct task_struct *t, unsigned long addr, unsigned long n, unsigned char tag)
{
	for (unsigned long i = 0; i < n; i++) {
		test_write_byte(t, addr + i * PG, (unsigned char)(tag + i));
		test_write_byte(t, addr + i * PG + 0x321, (unsigned char)(tag + i));
		test_write_byte(t, addr + i * PG + PG - 1, (unsigned char)(tag + i));
	}
}

static void check_fill(struct task_struct *t, unsigned long addr, unsigned long n,
		       unsigned char tag)
{
	for (unsigned long i = 0; i < n; i++) {
		assert_int_equal(test_read_byte(t, addr + i * PG), (unsigned char)(tag + i));
		assert_int_equal(test_read_byte(t, addr + i * PG + 0x321), (unsigned char)(tag + i));
		assert_int_equal(test_read_byte(t, addr + i * PG + PG - 1),
				 (unsigned char)(tag + i));
	}
}

static bool mapped(struct task_struct *t, unsigned long addr)
{
	return pnm_translate(t, addr, NULL, NULL) == 0;
}

static bool accessible(struct task_struct *t, unsigned long addr)
{
	unsigned char b;

	return pnm_user_read(t, addr, &b, 1) == 0;
}

/* The VMA containing @addr, or NULL (mmap_lock taken briefly). */
static struct vm_area_struct *vma_at(struct task_struct *t, unsigned long addr)
{
	struct vm_area_struct *vma;

	mmap_read_lock(t->mm);
	vma = vma_lookup(t->mm, addr);
	mmap_read_unlock(t->mm);
	return vma;
}

/* --- shrinking and growing in place ------------------------------------------ */

static void test_shrink(void **state)
{
	struct task_struct *t = gt_task("a");
	unsigned long a = test_mmap(t, 8 * PG, RW, PRIV);
	long anon = global_stat(NR_ANON_MAPPED);

	(void)state;
	fill(t, a, 8, 0x10);
	CHECK_ALL();
	/* Lengths are rounded up to pages: 3 pages + 1 byte keeps 4. */
	assert_int_equal(mremap_(t, a, 8 * PG, 3 * PG + 1, 0, 0), (long)a);
	CHECK_ALL();
	check_fill(t, a, 4, 0x10);
	assert_false(accessible(t, a + 4 * PG));
	assert_int_equal(global_stat(NR_ANON_MAPPED), anon + 4);
	assert_int_equal(get_mm_counter(t->mm, MM_ANONPAGES), 4);
	/* The same size: nothing to do. */
	assert_int_equal(mremap_(t, a, 4 * PG, 4 * PG, 0, 0), (long)a);
	assert_int_equal(mremap_(t, a, 4 * PG, 4 * PG, MAYMOVE, 0), (long)a);
	assert_int_equal(t->mm->map_count, 1);
	CHECK_ALL();
}

/* A shrink only unmaps the tail, which may cross mappings and holes. */
static void test_shrink_crosses_vmas(void **state)
{
	struct task_struct *t = gt_task("a");
	unsigned long a = test_mmap(t, 8 * PG, RW, PRIV);

	(void)state;
	fill(t, a, 8, 0x20);
	assert_int_equal(pnm_mprotect(t, a + 4 * PG, 4 * PG, PROT_READ), 0);
	assert_int_equal(pnm_munmap(t, a + 6 * PG, PG), 0);
	assert_int_equal(t->mm->map_count, 3);
	CHECK_ALL();
	assert_int_equal(mremap_(t, a, 8 * PG, 2 * PG, 0, 0), (long)a);
	CHECK_ALL();
	assert_int_equal(t->mm->map_count, 1);
	check_fill(t, a, 2, 0x20);
	assert_false(accessible(t, a + 2 * PG));
	assert_false(accessible(t, a + 7 * PG));
	/* Growing over such a range is -EFAULT: nothing changes. */
	assert_int_equal(mremap_(t, a, 4 * PG, 8 * PG, MAYMOVE, 0), -EFAULT);
	assert_int_equal(t->mm->map_count, 1);
	CHECK_ALL();
}

static void test_grow_in_place(void **state)
{
	struct task_struct *t = gt_task("a");
	unsigned long a = test_mmap(t, 16 * PG, RW, PRIV), pfn0 = 0;
	long expands = global_stat(PNM_MREMAP_EXPAND), moves = global_stat(PNM_MREMAP_MOVE);

	(void)state;
	assert_int_equal(pnm_munmap(t, a + 4 * PG, 12 * PG), 0);
	fill(t, a, 4, 0x30);
	pfn0 = test_pfn(t, a);
	CHECK_ALL();
	assert_int_equal(mremap_(t, a, 4 * PG, 16 * PG, 0, 0), (long)a);
	CHECK_ALL();
	assert_int_equal(global_stat(PNM_MREMAP_EXPAND), expands + 1);
	assert_int_equal(global_stat(PNM_MREMAP_MOVE), moves);
	assert_int_equal(t->mm->map_count, 1);
	assert_int_equal(test_pfn(t, a), pfn0);
	check_fill(t, a, 4, 0x30);
	/* The new part is new anonymous memory. */
	assert_false(mapped(t, a + 4 * PG));
	assert_int_equal(test_read_byte(t, a + 15 * PG), 0);
	test_write_byte(t, a + 15 * PG, 0x99);
	CHECK_ALL();
	/* An old range ending before the VMA does cannot grow in place. */
	assert_int_equal(mremap_(t, a, 8 * PG, 12 * PG, 0, 0), -ENOMEM);
	CHECK_ALL();
}

/* The pages after the mapping are taken: -ENOMEM, unless it may move. */
static void test_grow_moves(void **state)
{
	struct task_struct *t = gt_task("a");
	unsigned long a = test_mmap(t, 8 * PG, RW, PRIV), pfns[4], pfn;
	long moves = global_stat(PNM_MREMAP_MOVE), ptes = global_stat(PNM_MREMAP_PTE);
	long anon, ret;

	(void)state;
	/* [a, a+4p) anon, [a+4p, a+8p) read-only: different VMAs. */
	assert_int_equal(pnm_mprotect(t, a + 4 * PG, 4 * PG, PROT_READ), 0);
	fill(t, a, 4, 0x40);
	for (int i = 0; i < 4; i++)
		pfns[i] = test_pfn(t, a + (unsigned long)i * PG);
	anon = global_stat(NR_ANON_MAPPED);
	CHECK_ALL();
	assert_int_equal(mremap_(t, a, 4 * PG, 6 * PG, 0, 0), -ENOMEM);
	assert_int_equal(test_pfn(t, a), pfns[0]);
	CHECK_ALL();

	ret = mremap_(t, a, 4 * PG, 6 * PG, MAYMOVE, 0);
	assert_true(ret > 0 && (unsigned long)ret != a);
	CHECK_ALL();
	assert_int_equal(global_stat(PNM_MREMAP_MOVE), moves + 1);
	assert_int_equal(global_stat(PNM_MREMAP_PTE), ptes + 4);
	/* Same frames, nothing copied, nothing freed. */
	for (int i = 0; i < 4; i++) {
		pfn = test_pfn(t, (unsigned long)ret + (unsigned long)i * PG);
		assert_int_equal(pfn, pfns[i]);
		assert_int_equal(page_ref_count(pfn_to_page(pfn)), 1);
		assert_int_equal(page_mapcount(pfn_to_page(pfn)), 1);
		assert_true(PageAnonExclusive(pfn_to_page(pfn)));
	}
	assert_int_equal(global_stat(NR_ANON_MAPPED), anon);
	check_fill(t, (unsigned long)ret, 4, 0x40);
	assert_false(accessible(t, a));
	assert_true(accessible(t, a + 4 * PG));
	/* The grown part is fresh, and the writable PTEs stayed writable. */
	assert_int_equal(test_read_byte(t, (unsigned long)ret + 5 * PG), 0);
	assert_true(pte_write(test_pte_val(t, (unsigned long)ret)));
	/* The moved VMA keeps the offset its pages were created at. */
	assert_int_equal(vma_at(t, (unsigned long)ret)->vm_pgoff, a >> PAGE_SHIFT);
	CHECK_ALL();
}

/* --- moves ------------------------------------------------------------------------ */

/* MREMAP_FIXED replaces what was mapped at the target. */
static void test_fixed_replaces(void **state)
{
	struct task_struct *t = gt_task("a");
	unsigned long a = test_mmap(t, 4 * PG, RW, PRIV);
	unsigned long b = test_mmap(t, 8 * PG, RW, PRIV);
	long anon;

	(void)state;
	fill(t, a, 4, 0x50);
	fill(t, b, 8, 0x70);
	anon = global_stat(NR_ANON_MAPPED);
	CHECK_ALL();
	/* Into the middle of b: b is split around it, its pages there freed. */
	assert_int_equal(mremap_(t, a, 4 * PG, 4 * PG, MAYMOVE | FIXED, b + 2 * PG),
			 (long)(b + 2 * PG));
	CHECK_ALL();
	assert_int_equal(global_stat(NR_ANON_MAPPED), anon - 4);
	check_fill(t, b + 2 * PG, 4, 0x50);
	check_fill(t, b, 2, 0x70);
	check_fill(t, b + 6 * PG, 2, 0x76);
	assert_false(accessible(t, a));
	assert_int_equal(t->mm->map_count, 3);
	/* FIXED with a smaller size: the old tail goes too. */
	assert_int_equal(mremap_(t, b + 2 * PG, 4 * PG, 2 * PG, MAYMOVE | FIXED, a),
			 (long)a);
	CHECK_ALL();
	check_fill(t, a, 2, 0x50);
	assert_false(accessible(t, b + 2 * PG));
	assert_false(accessible(t, b + 5 * PG));
	/* FIXED with a larger size: the rest of the new range is fresh. */
	assert_int_equal(mremap_(t, a, 2 * PG, 5 * PG, MAYMOVE | FIXED, b + 2 * PG),
			 (long)(b + 2 * PG));
	CHECK_ALL();
	check_fill(t, b + 2 * PG, 2, 0x50);
	assert_int_equal(test_read_byte(t, b + 4 * PG), 0);
	assert_false(accessible(t, a));
	CHECK_ALL();
}

/* Moving a page away and back: the VMAs merge again. */
static void test_move_back_merges(void **state)
{
	struct task_struct *t = gt_task("a");
	unsigned long a = test_mmap(t, 3 * PG, RW, PRIV);
	unsigned long far = free_range(t, PG, PG);

	(void)state;
	fill(t, a, 3, 0x60);
	assert_int_equal(mremap_(t, a + PG, PG, PG, MAYMOVE | FIXED, far), (long)far);
	CHECK_ALL();
	assert_int_equal(t->mm->map_count, 3);
	check_fill(t, far, 1, 0x61);
	assert_false(accessible(t, a + PG));
	assert_int_equal(mremap_(t, far, PG, PG, MAYMOVE | FIXED, a + PG), (long)(a + PG));
	CHECK_ALL();
	assert_int_equal(t->mm->map_count, 1);
	check_fill(t, a, 3, 0x60);
}

/* A pinned page moves with its mapping; the pin stays valid. */
static void test_move_pinned(void **state)
{
	struct task_struct *t = gt_task("a");
	unsigned long a = test_mmap(t, 4 * PG, RW, PRIV), b = free_range(t, 4 * PG, PG);
	long acq = global_stat(NR_FOLL_PIN_ACQUIRED), rel = global_stat(NR_FOLL_PIN_RELEASED);
	struct page *pages[4];
	unsigned char buf[16];
	int refs[4];

	(void)state;
	fill(t, a, 4, 0x80);
	assert_int_equal(gt_pin_fast(t, a, 4, FOLL_WRITE | FOLL_LONGTERM, pages), 4);
	for (int i = 0; i < 4; i++)
		refs[i] = page_ref_count(pages[i]);
	CHECK_ALL();
	assert_int_equal(mremap_(t, a, 4 * PG, 4 * PG, MAYMOVE | FIXED, b), (long)b);
	CHECK_ALL();
	for (int i = 0; i < 4; i++) {
		assert_int_equal(test_pfn(t, b + (unsigned long)i * PG), page_to_pfn(pages[i]));
		assert_int_equal(page_ref_count(pages[i]), refs[i]);
		assert_true(page_maybe_dma_pinned(pages[i]));
		assert_true(PageAnonExclusive(pages[i]));
	}
	assert_false(accessible(t, a));
	/* The device writes through its pin: the process sees it at b. */
	memcpy(buf, "device was here", 16);
	assert_int_equal(pnm_dma_write(pages, 4, 2 * PG + 8, buf, 16), 0);
	memset(buf, 0, sizeof(buf));
	assert_int_equal(pnm_user_read(t, b + 2 * PG + 8, buf, 16), 0);
	assert_memory_equal(buf, "device was here", 16);
	/* And the process's writes reach the device. */
	test_write_byte(t, b + 3 * PG + 1, 0xee);
	assert_int_equal(pnm_dma_read(pages, 4, 3 * PG + 1, buf, 1), 0);
	assert_int_equal(buf[0], 0xee);
	/* A fork now copies the pinned pages for the child, as before. */
	{
		struct task_struct *c = gt_fork(t);

		CHECK_ALL();
		assert_int_not_equal(test_pfn(c, b), page_to_pfn(pages[0]));
		assert_int_equal(test_read_byte(c, b + 3 * PG + 1), 0xee);
		pnm_task_exit(c);
		pnm_task_put(c);
	}
	/* The move neither took nor dropped a pin. */
	assert_int_equal((global_stat(NR_FOLL_PIN_ACQUIRED) - acq) -
			 (global_stat(NR_FOLL_PIN_RELEASED) - rel), 4);
	unpin_user_pages(pages, 4);
	assert_int_equal(global_stat(NR_FOLL_PIN_ACQUIRED) - acq,
			 global_stat(NR_FOLL_PIN_RELEASED) - rel);
	CHECK_ALL();
	for (int i = 0; i < 4; i++)
		assert_false(page_maybe_dma_pinned(pages[i]));
	check_fill(t, b, 2, 0x80);
}

/* Migration and faults work through the moved VMA (the reverse map finds
 * the pages at their new address). */
static void test_after_move(void **state)
{
	struct task_struct *t = gt_task("a"), *c;
	unsigned long a = test_mmap(t, 4 * PG, RW, PRIV), b = free_range(t, 4 * PG, PG);
	unsigned long pfn;

	(void)state;
	fill(t, a, 4, 0x90);
	c = gt_fork(t);		/* the pages are COW-shared with c */
	assert_int_equal(mremap_(t, a, 4 * PG, 4 * PG, MAYMOVE | FIXED, b), (long)b);
	CHECK_ALL();
	assert_int_equal(test_pfn(t, b), test_pfn(c, a));
	/* COW after the move: each side keeps its data. */
	test_write_byte(t, b, 0x01);
	test_write_byte(c, a + PG, 0x02);
	CHECK_ALL();
	assert_int_equal(test_read_byte(c, a), 0x90);
	assert_int_equal(test_read_byte(t, b + PG), 0x91);
	/* Migrate the shared page at b + 2p: both mappings follow. */
	pfn = test_pfn(t, b + 2 * PG);
	assert_int_equal(pnm_migrate_range(t, b + 2 * PG, PG,
					   page_zonenum(pfn_to_page(pfn)) == ZONE_NORMAL ?
					   PNM_ZONE_MOVABLE : PNM_ZONE_NORMAL), 1);
	CHECK_ALL();
	assert_int_not_equal(test_pfn(t, b + 2 * PG), pfn);
	assert_int_equal(test_pfn(t, b + 2 * PG), test_pfn(c, a + 2 * PG));
	check_fill(c, a + 2 * PG, 2, 0x92);
	pnm_task_exit(c);
	pnm_task_put(c);
	CHECK_ALL();
	/* A fork of the moved mapping, then a move back. */
	c = gt_fork(t);
	assert_int_equal(mremap_(t, b, 4 * PG, 4 * PG, MAYMOVE | FIXED, a), (long)a);
	CHECK_ALL();
	check_fill(t, a + 2 * PG, 2, 0x92);
	check_fill(c, b + 2 * PG, 2, 0x92);
	pnm_task_exit(c);
	pnm_task_put(c);
	CHECK_ALL();
}

/* --- THPs and whole tables --------------------------------------------------------- */

/* A THP at a 2 MiB aligned address of a MADV_HUGEPAGE area of 2 MiB. */
static unsigned long thp_at(struct task_struct *t, unsigned char tag)
{
	unsigned long h = free_range(t, HPAGE_PMD_SIZE, HPAGE_PMD_SIZE);

	assert_int_equal(pnm_mmap(t, h, HPAGE_PMD_SIZE, RW, PRIV | MAP_FIXED, NULL, 0), (long)h);
	assert_int_equal(pnm_madvise(t, h, HPAGE_PMD_SIZE, MADV_HUGEPAGE), 0);
	test_write_byte(t, h, tag);
	assert_true(pmd_trans_huge(test_pmd_val(t, h)));
	fill(t, h + PG, 3, tag);
	return h;
}

static void test_thp_aligned_moves_pmd(void **state)
{
	struct task_struct *t = gt_task("a");
	unsigned long h = thp_at(t, 0xa0), dst = free_range(t, HPAGE_PMD_SIZE, HPAGE_PMD_SIZE);
	long pmds = global_stat(PNM_MREMAP_PMD), splits = global_stat(THP_SPLIT_PMD);
	long thps = global_stat(NR_ANON_THPS);
	struct folio *folio = test_folio(t, h);
	struct page *pages[2];
	int refs;

	(void)state;
	/* Pinned, too: the pins of a large folio are in _pincount. */
	assert_int_equal(gt_pin_fast(t, h + 7 * PG, 2, FOLL_WRITE, pages), 2);
	refs = folio_ref_count(folio);
	CHECK_ALL();
	assert_int_equal(mremap_(t, h, HPAGE_PMD_SIZE, HPAGE_PMD_SIZE, MAYMOVE | FIXED, dst),
			 (long)dst);
	CHECK_ALL();
	assert_int_equal(global_stat(PNM_MREMAP_PMD), pmds + 1);
	assert_int_equal(global_stat(THP_SPLIT_PMD), splits);
	assert_int_equal(global_stat(NR_ANON_THPS), thps);
	assert_true(pmd_trans_huge(test_pmd_val(t, dst)));
	assert_ptr_equal(test_folio(t, dst), folio);
	assert_int_equal(folio_order(folio), HPAGE_PMD_ORDER);
	assert_int_equal(folio_entire_mapcount(folio), 1);
	assert_int_equal(folio_ref_count(folio), refs);
	assert_int_equal(atomic_read(&folio->_pincount), 2);
	assert_false(mapped(t, h));
	assert_int_equal(test_read_byte(t, dst), 0xa0);
	check_fill(t, dst + PG, 3, 0xa0);
	/* Soft-dirty: the move counts as a change of the range. */
	assert_true(pmd_val(test_pmd_val(t, dst)) & _PAGE_SOFT_DIRTY);
	/* Still writable in place (exclusive) and mapped by its PMD. */
	test_write_byte(t, dst + 100 * PG, 0x5a);
	assert_true(pmd_trans_huge(test_pmd_val(t, dst)));
	unpin_user_pages(pages, 2);
	CHECK_ALL();
}

static void test_thp_unaligned_splits(void **state)
{
	struct task_struct *t = gt_task("a");
	unsigned long h = thp_at(t, 0xb0);
	unsigned long dst = free_range(t, 2 * HPAGE_PMD_SIZE, HPAGE_PMD_SIZE) + PG;
	long pmds = global_stat(PNM_MREMAP_PMD), splits = global_stat(THP_SPLIT_PMD);
	long ptes = global_stat(PNM_MREMAP_PTE);
	struct folio *folio = test_folio(t, h);
	unsigned long pfn = folio_pfn(folio);

	(void)state;
	assert_int_equal(mremap_(t, h, HPAGE_PMD_SIZE, HPAGE_PMD_SIZE, MAYMOVE | FIXED, dst),
			 (long)dst);
	CHECK_ALL();
	assert_int_equal(global_stat(PNM_MREMAP_PMD), pmds);
	assert_int_equal(global_stat(THP_SPLIT_PMD), splits + 1);
	assert_int_equal(global_stat(PNM_MREMAP_PTE), ptes + HPAGE_PMD_NR);
	/* The folio is whole, now mapped by 512 PTEs across two tables. */
	assert_int_equal(folio_order(folio), HPAGE_PMD_ORDER);
	assert_int_equal(folio_entire_mapcount(folio), 0);
	for (unsigned long i = 0; i < HPAGE_PMD_NR; i += 97)
		assert_int_equal(test_pfn(t, dst + i * PG), pfn + i);
	assert_int_equal(test_pfn(t, dst + (HPAGE_PMD_NR - 1) * PG), pfn + HPAGE_PMD_NR - 1);
	assert_int_equal(test_read_byte(t, dst), 0xb0);
	check_fill(t, dst + PG, 3, 0xb0);
	/* And back to an aligned address: PTEs again (no PMD to move). */
	assert_int_equal(mremap_(t, dst, HPAGE_PMD_SIZE, HPAGE_PMD_SIZE, MAYMOVE | FIXED, h),
			 (long)h);
	CHECK_ALL();
	assert_int_equal(test_pfn(t, h + 300 * PG), pfn + 300);
	check_fill(t, h + PG, 3, 0xb0);
}

/*
 * Half a THP moved away (the cow selftest's "partially mremap()'ed THP"):
 * the folio stays whole, mapped by PTEs in two VMAs; COW after fork, a
 * R/O pin's unshare, and migration of the folio (split first) all find
 * both halves through the reverse map.
 */
static void test_thp_partial_move(void **state)
{
	struct task_struct *t = gt_task("a"), *c;
	unsigned long h = thp_at(t, 0xc5), half = HPAGE_PMD_SIZE / 2, dst;
	struct folio *folio = test_folio(t, h);
	struct page *page;

	(void)state;
	fill(t, h + half, 2, 0x71);
	dst = free_range(t, half, PG);
	assert_int_equal(mremap_(t, h + half, half, half, MAYMOVE | FIXED, dst), (long)dst);
	CHECK_ALL();
	assert_int_equal(t->mm->map_count, 2);
	assert_ptr_equal(test_folio(t, h), folio);
	assert_ptr_equal(test_folio(t, dst), folio);
	assert_int_equal(folio_order(folio), HPAGE_PMD_ORDER);
	assert_int_equal(test_pfn(t, dst), folio_pfn(folio) + HPAGE_PMD_NR / 2);
	check_fill(t, dst, 2, 0x71);
	check_fill(t, h + PG, 3, 0xc5);
	/* Fork: both halves COW-shared; the child's writes copy 4 KiB. */
	c = gt_fork(t);
	CHECK_ALL();
	test_write_byte(c, dst + PG, 0x01);
	test_write_byte(c, h + PG, 0x02);
	CHECK_ALL();
	check_fill(t, dst, 2, 0x71);
	check_fill(t, h + PG, 3, 0xc5);
	/* A R/O long-term pin unshares the parent's page (a copy of it). */
	assert_int_equal(gt_pin_fast(t, dst + 8 * PG, 1, FOLL_LONGTERM, &page), 1);
	CHECK_ALL();
	assert_true(PageAnonExclusive(page));
	assert_int_equal(test_pfn(t, dst + 8 * PG), page_to_pfn(page));
	unpin_user_pages(&page, 1);
	pnm_task_exit(c);
	pnm_task_put(c);
	CHECK_ALL();
	/* Migrating a page of the two-VMA THP splits it first. */
	assert_true(pnm_migrate_range(t, dst + 3 * PG, PG,
				      page_zonenum(&folio->page) == ZONE_NORMAL ?
				      PNM_ZONE_MOVABLE : PNM_ZONE_NORMAL) >= 0);
	CHECK_ALL();
	check_fill(t, dst, 2, 0x71);
	check_fill(t, h + PG, 3, 0xc5);
}

/* A 2 MiB of small pages, aligned on both sides: the PTE table moves. */
static void test_pte_table_moves(void **state)
{
	struct task_struct *t = gt_task("a");
	unsigned long a = free_range(t, HPAGE_PMD_SIZE, HPAGE_PMD_SIZE), dst;
	long tables = global_stat(PNM_MREMAP_PTE_TABLE), ptes = global_stat(PNM_MREMAP_PTE);
	long pgtables;
	unsigned long pfn;

	(void)state;
	assert_int_equal(pnm_mmap(t, a, HPAGE_PMD_SIZE, RW, PRIV | MAP_FIXED, NULL, 0), (long)a);
	dst = free_range(t, HPAGE_PMD_SIZE, HPAGE_PMD_SIZE);
	assert_int_equal(pnm_madvise(t, a, HPAGE_PMD_SIZE, MADV_NOHUGEPAGE), 0);
	fill(t, a, 4, 0xc0);
	fill(t, a + 500 * PG, 4, 0xd0);
	pfn = test_pfn(t, a + 501 * PG);
	pgtables = global_stat(NR_PAGETABLE);
	CHECK_ALL();
	assert_int_equal(mremap_(t, a, HPAGE_PMD_SIZE, HPAGE_PMD_SIZE, MAYMOVE | FIXED, dst),
			 (long)dst);
	CHECK_ALL();
	assert_int_equal(global_stat(PNM_MREMAP_PTE_TABLE), tables + 1);
	assert_int_equal(global_stat(PNM_MREMAP_PTE), ptes);
	assert_int_equal(test_pfn(t, dst + 501 * PG), pfn);
	check_fill(t, dst, 4, 0xc0);
	check_fill(t, dst + 500 * PG, 4, 0xd0);
	/* No table more than before (the table moved; upper tables may). */
	assert_true(global_stat(NR_PAGETABLE) <= pgtables + 2);
}

/* The huge zero page moves as a PMD, or is split into zero PTEs. */
static void test_huge_zero_moves(void **state)
{
	struct task_struct *t;
	struct pnm_config cfg;
	unsigned long h, dst;
	long pmds;

	(void)state;
	pnm_test_config(&cfg);
	cfg.thp_use_zero_page = true;
	pnm_test_init_with(&cfg);
	t = gt_task("a");
	h = free_range(t, HPAGE_PMD_SIZE, HPAGE_PMD_SIZE);
	assert_int_equal(pnm_mmap(t, h, HPAGE_PMD_SIZE, RW, PRIV | MAP_FIXED, NULL, 0), (long)h);
	assert_int_equal(pnm_madvise(t, h, HPAGE_PMD_SIZE, MADV_HUGEPAGE), 0);
	assert_int_equal(test_read_byte(t, h + 5), 0);
	assert_true(is_huge_zero_pmd(test_pmd_val(t, h)));
	pmds = global_stat(PNM_MREMAP_PMD);
	dst = free_range(t, HPAGE_PMD_SIZE, HPAGE_PMD_SIZE);
	assert_int_equal(mremap_(t, h, HPAGE_PMD_SIZE, HPAGE_PMD_SIZE, MAYMOVE | FIXED, dst),
			 (long)dst);
	CHECK_ALL();
	assert_int_equal(global_stat(PNM_MREMAP_PMD), pmds + 1);
	assert_true(is_huge_zero_pmd(test_pmd_val(t, dst)));
	h = free_range(t, 2 * HPAGE_PMD_SIZE, HPAGE_PMD_SIZE) + 3 * PG;
	assert_int_equal(mremap_(t, dst, HPAGE_PMD_SIZE, HPAGE_PMD_SIZE, MAYMOVE | FIXED, h),
			 (long)h);
	CHECK_ALL();
	assert_true(is_zero_pfn(test_pfn(t, h + 7 * PG)));
	test_write_byte(t, h + 7 * PG, 1);
	CHECK_ALL();
}

/* --- MREMAP_DONTUNMAP ---------------------------------------------------------------- */

static void test_dontunmap_anon(void **state)
{
	struct task_struct *t = gt_task("a");
	unsigned long a = test_mmap(t, 4 * PG, RW, PRIV), pfn;
	long ret;

	(void)state;
	fill(t, a, 4, 0xe0);
	assert_int_equal(pnm_mlock(t, a, 4 * PG), 0);
	pfn = test_pfn(t, a + PG);
	/* DONTUNMAP needs MAYMOVE and the same size. */
	assert_int_equal(mremap_(t, a, 4 * PG, 4 * PG, DONTUNMAP, 0), -EINVAL);
	assert_int_equal(mremap_(t, a, 4 * PG, 8 * PG, DONTUNMAP | MAYMOVE, 0), -EINVAL);
	ret = mremap_(t, a, 4 * PG, 4 * PG, DONTUNMAP | MAYMOVE, 0);
	assert_true(ret > 0 && (unsigned long)ret != a);
	CHECK_ALL();
	assert_int_equal(test_pfn(t, (unsigned long)ret + PG), pfn);
	check_fill(t, (unsigned long)ret, 4, 0xe0);
	assert_true(test_vma_flags(t->mm, (unsigned long)ret) & VM_LOCKED);
	/* The old range: still mapped, empty, unlocked, a fresh anon area. */
	assert_non_null(vma_at(t, a));
	assert_false(test_vma_flags(t->mm, a) & VM_LOCKED);
	assert_null(vma_at(t, a)->anon_vma);
	assert_false(mapped(t, a));
	assert_int_equal(test_read_byte(t, a + PG), 0);
	test_write_byte(t, a + 2 * PG, 0x42);
	CHECK_ALL();
	assert_int_equal(test_read_byte(t, (unsigned long)ret + 2 * PG), 0xe2);
}

/* DONTUNMAP of part of a mapping, to a hint, and of a shared mapping (the
 * old range then shows the object's pages again). */
static void test_dontunmap_part_shared(void **state)
{
	struct task_struct *t = gt_task("a");
	unsigned long a = test_mmap(t, 4 * PG, RW, PRIV), s = test_mmap(t, 4 * PG, RW, SHARED);
	unsigned long hint = free_range(t, 2 * PG, PG);

	(void)state;
	fill(t, a, 4, 0x11);
	assert_int_equal(mremap_(t, a + PG, 2 * PG, 2 * PG, DONTUNMAP | MAYMOVE, hint),
			 (long)hint);
	CHECK_ALL();
	check_fill(t, hint, 2, 0x12);
	check_fill(t, a, 1, 0x11);
	check_fill(t, a + 3 * PG, 1, 0x14);
	assert_int_equal(test_read_byte(t, a + PG), 0);
	/* The VMA kept its anon_vma: its other pages still need it. */
	assert_non_null(vma_at(t, a)->anon_vma);
	CHECK_ALL();

	fill(t, s, 4, 0x33);
	hint = (unsigned long)mremap_(t, s, 4 * PG, 4 * PG, DONTUNMAP | MAYMOVE, 0);
	assert_true((long)hint > 0);
	CHECK_ALL();
	check_fill(t, hint, 4, 0x33);
	assert_false(mapped(t, s));
	check_fill(t, s, 4, 0x33);	/* faulted in again from the object */
	assert_int_equal(test_pfn(t, s), test_pfn(t, hint));
	test_write_byte(t, hint + PG, 0x77);
	assert_int_equal(test_read_byte(t, s + PG), 0x77);
	CHECK_ALL();
}

/* --- shared and file mappings ------------------------------------------------------- */

/* old_len 0 maps a shared mapping a second time. */
static void test_shared_duplicate(void **state)
{
	struct task_struct *t = gt_task("a");
	unsigned long s = test_mmap(t, 4 * PG, RW, SHARED), p = test_mmap(t, 4 * PG, RW, PRIV);
	long d;

	(void)state;
	fill(t, s, 4, 0x21);
	/* Private: nothing to duplicate. */
	assert_int_equal(mremap_(t, p, 0, 4 * PG, MAYMOVE, 0), -EINVAL);
	/* Without MAYMOVE it cannot grow in place. */
	assert_int_equal(mremap_(t, s + PG, 0, 2 * PG, 0, 0), -ENOMEM);
	d = mremap_(t, s + PG, 0, 2 * PG, MAYMOVE, 0);
	assert_true(d > 0);
	CHECK_ALL();
	check_fill(t, s, 4, 0x21);	/* the original stays */
	check_fill(t, (unsigned long)d, 2, 0x22);
	test_write_byte(t, (unsigned long)d + PG + 9, 0x5e);
	assert_int_equal(test_read_byte(t, s + 2 * PG + 9), 0x5e);
	assert_int_equal(test_pfn(t, (unsigned long)d), test_pfn(t, s + PG));
	CHECK_ALL();
}

/* A private file mapping with COW copies and cache pages, moved and grown. */
static void test_file_private_move(void **state)
{
	struct task_struct *t = gt_task("a");
	struct file *f = test_open(PNM_FS_DISK, "mremap-file");
	char buf[4 * PG];
	unsigned long m, cache_pfn, anon_pfn;
	long ret;

	(void)state;
	memset(buf, 0x3c, sizeof(buf));
	assert_int_equal(pnm_file_write(f, buf, sizeof(buf), 0), (long)sizeof(buf));
	ret = pnm_mmap(t, 0, 2 * PG, RW, MAP_PRIVATE, f, PG);
	assert_true(ret > 0);
	m = (unsigned long)ret;
	assert_int_equal(test_read_byte(t, m), 0x3c);	/* the cache page */
	test_write_byte(t, m + PG, 0x99);		/* a COW copy */
	cache_pfn = test_pfn(t, m);
	anon_pfn = test_pfn(t, m + PG);
	CHECK_ALL();
	ret = mremap_(t, m, 2 * PG, 3 * PG, MAYMOVE | FIXED, free_range(t, 3 * PG, PG));
	assert_true(ret > 0 && (unsigned long)ret != m);
	CHECK_ALL();
	assert_int_equal(test_pfn(t, (unsigned long)ret), cache_pfn);
	assert_int_equal(test_pfn(t, (unsigned long)ret + PG), anon_pfn);
	assert_int_equal(test_read_byte(t, (unsigned long)ret + PG), 0x99);
	/* The grown page is file offset 3 pages: the file's data. */
	assert_int_equal(test_read_byte(t, (unsigned long)ret + 2 * PG), 0x3c);
	assert_int_equal(vma_at(t, (unsigned long)ret)->vm_pgoff, 1);
	CHECK_ALL();
	assert_int_equal(pnm_munmap(t, (unsigned long)ret, 3 * PG), 0);
	fput(f);
	CHECK_ALL();
}

/* Device (VM_PFNMAP) mappings move but neither grow nor DONTUNMAP. */
static void test_pfnmap(void **state)
{
	struct task_struct *t = gt_task("a");
	long d = pnm_mmap_pfnmap(t, 2 * PG, RW, PNM_VM_PFNMAP | PNM_VM_IO);
	long ret;

	(void)state;
	assert_true(d > 0);
	assert_int_equal(mremap_(t, (unsigned long)d, 2 * PG, 4 * PG, MAYMOVE, 0), -EFAULT);
	assert_int_equal(mremap_(t, (unsigned long)d, 2 * PG, 2 * PG, MAYMOVE | DONTUNMAP, 0),
			 -EINVAL);
	ret = mremap_(t, (unsigned long)d, 2 * PG, 2 * PG, MAYMOVE | FIXED,
		      free_range(t, 2 * PG, PG));
	assert_true(ret > 0);
	assert_true(test_vma_flags(t->mm, (unsigned long)ret) & VM_PFNMAP);
	assert_int_equal(mremap_(t, (unsigned long)ret, 2 * PG, PG, 0, 0), ret);
	CHECK_ALL();
}

/* A VM_LOCKED mapping that grows is populated. */
static void test_locked_grow_populates(void **state)
{
	struct task_struct *t = gt_task("a");
	unsigned long a = test_mmap(t, 8 * PG, RW, PRIV);

	(void)state;
	assert_int_equal(pnm_munmap(t, a + 2 * PG, 6 * PG), 0);
	assert_int_equal(pnm_mlock(t, a, 2 * PG), 0);
	assert_int_equal(get_mm_counter(t->mm, MM_ANONPAGES), 2);
	assert_int_equal(mremap_(t, a, 2 * PG, 6 * PG, 0, 0), (long)a);
	CHECK_ALL();
	assert_int_equal(get_mm_counter(t->mm, MM_ANONPAGES), 6);
	assert_true(mapped(t, a + 5 * PG));
}

/* --- MMU notifiers ------------------------------------------------------------------- */

struct mremap_rec {
	struct mmu_notifier mn;
	int starts, ends;
	unsigned long start, end;
	enum mmu_notifier_event event;
	bool present_at_start;		/* the old entry, seen at start */
	unsigned long probe;
};

static int rec_start(struct mmu_notifier *mn, const struct mmu_notifier_range *range)
{
	struct mremap_rec *r = container_of(mn, struct mremap_rec, mn);

	r->starts++;
	/* The first announcement of the probe's change (the empty old
	 * range's unmap follows). */
	if (!r->start && range->event == MMU_NOTIFY_UNMAP && range->start <= r->probe &&
	    r->probe < range->end) {
		pmd_t *pmd = pnm_pmd_lookup(range->mm, r->probe);

		r->start = range->start;
		r->end = range->end;
		r->event = range->event;
		r->present_at_start = pmd && pmd_present(pmdp_get(pmd)) &&
				      !(pmd_val(pmdp_get(pmd)) & _PAGE_PSE) &&
				      pte_present(ptep_get(pte_offset_kernel(pmd, r->probe)));
	}
	return 0;
}

static void rec_end(struct mmu_notifier *mn, const struct mmu_notifier_range *range)
{
	struct mremap_rec *r = container_of(mn, struct mremap_rec, mn);

	(void)range;
	r->ends++;
}

static const struct mmu_notifier_ops rec_ops = {
	.invalidate_range_start = rec_start,
	.invalidate_range_end = rec_end,
};

static void test_mmu_notifier(void **state)
{
	struct task_struct *t = gt_task("a");
	unsigned long a = test_mmap(t, 4 * PG, RW, PRIV), b = free_range(t, 4 * PG, PG);
	struct mremap_rec r = { .mn.ops = &rec_ops };

	(void)state;
	fill(t, a, 4, 0x12);
	r.probe = a + PG;
	assert_int_equal(mmu_notifier_register(&r.mn, t->mm), 0);
	assert_int_equal(mremap_(t, a, 4 * PG, 4 * PG, MAYMOVE | FIXED, b), (long)b);
	mmu_notifier_unregister(&r.mn, t->mm);
	assert_int_equal(r.starts, r.ends);
	assert_int_equal(r.event, MMU_NOTIFY_UNMAP);
	assert_int_equal(r.start, a);
	assert_int_equal(r.end, a + 4 * PG);
	assert_true(r.present_at_start);
	CHECK_ALL();
}

/* --- errors ---------------------------------------------------------------------------- */

/* Every argument error leaves the mapping as it was. */
static void test_errors(void **state)
{
	struct task_struct *t = gt_task("a");
	unsigned long a = test_mmap(t, 8 * PG, RW, PRIV), b = a + 4 * PG;
	unsigned long hole = free_range(t, 4 * PG, PG), pfn;
	int vmas;

	(void)state;
	/* a and b: two VMAs, b right after a. */
	fill(t, a, 4, 0x31);
	fill(t, b, 4, 0x41);
	assert_int_equal(pnm_mprotect(t, b, 4 * PG, PROT_READ), 0);
	pfn = test_pfn(t, a);
	vmas = t->mm->map_count;
	/* Flags and alignment. */
	assert_int_equal(mremap_(t, a, PG, PG, 8, 0), -EINVAL);
	assert_int_equal(mremap_(t, a + 1, PG, PG, 0, 0), -EINVAL);
	assert_int_equal(mremap_(t, a, PG, 0, 0, 0), -EINVAL);
	assert_int_equal(mremap_(t, a, PG, -1UL, MAYMOVE, 0), -EINVAL);
	assert_int_equal(mremap_(t, a, PG, PG, FIXED, hole), -EINVAL);
	assert_int_equal(mremap_(t, a, PG, PG, MAYMOVE | FIXED, hole + 1), -EINVAL);
	assert_int_equal(mremap_(t, a, PG, PG, MAYMOVE | FIXED, TASK_SIZE), -EINVAL);
	/* Overlapping ranges, also as a hint. */
	assert_int_equal(mremap_(t, a, 2 * PG, 2 * PG, MAYMOVE | FIXED, a + PG), -EINVAL);
	assert_int_equal(mremap_(t, a, 2 * PG, 2 * PG, MAYMOVE | DONTUNMAP, a + PG), -EINVAL);
	/* Nothing mapped at the old address, or the range leaves its VMA. */
	assert_int_equal(mremap_(t, hole, PG, 2 * PG, MAYMOVE, 0), -EFAULT);
	assert_int_equal(mremap_(t, hole, PG, PG, 0, 0), -EFAULT);
	assert_int_equal(mremap_(t, a, 5 * PG, 6 * PG, MAYMOVE, 0), -EFAULT);
	assert_int_equal(mremap_(t, a + 3 * PG, 2 * PG, 2 * PG, MAYMOVE | FIXED, hole), -EFAULT);
	/* Below mmap_min_addr. */
	assert_int_equal(mremap_(t, a, PG, PG, MAYMOVE | FIXED, 0x1000), -EPERM);
	assert_int_equal(mremap_(t, a, PG, PG, MAYMOVE | DONTUNMAP, 0x1000), -EPERM);
	/* A shrink's tail beyond user space. */
	assert_int_equal(mremap_(t, a, TASK_SIZE, PG, 0, 0), -EINVAL);
	/* Blocked growth without MAYMOVE. */
	assert_int_equal(mremap_(t, a, 4 * PG, 8 * PG, 0, 0), -ENOMEM);
	CHECK_ALL();
	assert_int_equal(t->mm->map_count, vmas);
	assert_int_equal(test_pfn(t, a), pfn);
	check_fill(t, a, 4, 0x31);
	check_fill(t, b, 4, 0x41);
	/* An exited task. */
	pnm_task_exit(t);
	assert_int_equal(mremap_(t, a, PG, PG, 0, 0), -ESRCH);
}

/* --- the checker relaxation: a moved anon VMA may fault THPs at unaligned
 * offsets --------------------------------------------------------------------------------- */

static void test_thp_fault_after_move(void **state)
{
	struct task_struct *t = gt_task("a");
	unsigned long a = free_range(t, 4 * HPAGE_PMD_SIZE, HPAGE_PMD_SIZE) + PG, dst, h;

	(void)state;
	assert_int_equal(pnm_mmap(t, a, 3 * HPAGE_PMD_SIZE, RW, PRIV | MAP_FIXED, NULL, 0),
			 (long)a);
	dst = free_range(t, 3 * HPAGE_PMD_SIZE, HPAGE_PMD_SIZE);
	h = dst + HPAGE_PMD_SIZE;
	assert_int_equal(pnm_madvise(t, a, 3 * HPAGE_PMD_SIZE, MADV_HUGEPAGE), 0);
	test_write_byte(t, a, 1);
	assert_int_equal(mremap_(t, a, 3 * HPAGE_PMD_SIZE, 3 * HPAGE_PMD_SIZE, MAYMOVE | FIXED,
				 dst), (long)dst);
	CHECK_ALL();
	/* pgoff of dst is a's; a THP fault at the aligned h gets an index
	 * that is not a multiple of 512, and the reverse map finds it. */
	test_write_byte(t, h + 3, 7);
	assert_true(pmd_trans_huge(test_pmd_val(t, h)));
	assert_int_not_equal(test_folio(t, h)->index % HPAGE_PMD_NR, 0);
	CHECK_ALL();
	assert_int_equal(pnm_migrate_range(t, h, PG, PNM_ZONE_NORMAL) >= 0, 1);
	CHECK_ALL();
	assert_int_equal(test_read_byte(t, h + 3), 7);
	assert_int_equal(test_read_byte(t, dst), 1);
}

/* The VMA checker no longer ties an anonymous VMA's offset to its start,
 * but still refuses offsets that wrap. */
static void test_checker_pgoff(void **state)
{
	struct task_struct *t = gt_task("a");
	unsigned long a = test_mmap(t, 4 * PG, RW, PRIV), b = free_range(t, 4 * PG, PG);
	struct vm_area_struct *vma;
	unsigned long pgoff;

	(void)state;
	assert_int_equal(mremap_(t, a, 4 * PG, 4 * PG, MAYMOVE | FIXED, b), (long)b);
	mmap_write_lock(t->mm);
	vma = vma_lookup(t->mm, b);
	assert_int_equal(vma->vm_pgoff, a >> PAGE_SHIFT);
	assert_true(pnm_check_vmas(t->mm));
	pgoff = vma->vm_pgoff;
	vma->vm_pgoff = -2UL;
	assert_false(pnm_check_vmas(t->mm));
	vma->vm_pgoff = pgoff;
	assert_true(pnm_check_vmas(t->mm));
	mmap_write_unlock(t->mm);
	CHECK_ALL();
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, pnm_test_setup, pnm_test_teardown)

static int setup_none(void **state)
{
	(void)state;
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_shrink),
		T(test_shrink_crosses_vmas),
		T(test_grow_in_place),
		T(test_grow_moves),
		T(test_fixed_replaces),
		T(test_move_back_merges),
		T(test_move_pinned),
		T(test_after_move),
		T(test_thp_aligned_moves_pmd),
		T(test_thp_unaligned_splits),
		T(test_thp_partial_move),
		T(test_pte_table_moves),
		cmocka_unit_test_setup_teardown(test_huge_zero_moves, setup_none,
						pnm_test_teardown),
		T(test_dontunmap_anon),
		T(test_dontunmap_part_shared),
		T(test_shared_duplicate),
		T(test_file_private_move),
		T(test_pfnmap),
		T(test_locked_grow_populates),
		T(test_mmu_notifier),
		T(test_errors),
		T(test_thp_fault_after_move),
		T(test_checker_pgoff),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
