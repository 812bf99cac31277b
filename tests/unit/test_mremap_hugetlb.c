// SPDX-License-Identifier: MIT
/*
 * test_mremap_hugetlb.c - mremap(2) of hugetlb mappings (mremap.c,
 * hugetlb_fault.c's move_hugetlb_page_tables): a private mapping moved
 * whole and in part (the huge PMD entries move, the folios, their data,
 * anon-exclusive bits and pins stay; the reservations move with the
 * offsets and the pool's counters stay exact, also for the parts of the
 * old VMA that stay), a shared mapping moved, a shrink in place and a
 * shrink while moving (the tail's pages and reservations go back), the
 * lengths rounded up to the huge page size, and the errors (growth,
 * unaligned addresses, MREMAP_DONTUNMAP) with nothing changed.  The
 * checkers (pool and reservation counts included) run after every step.
 */
#include <string.h>

#include "test_util.h"
#include "pinmm_test_internal.h"

#define PROT_RW		(PROT_READ | PROT_WRITE)
#define HSZ		PNM_HUGETLB_2M
#define MAYMOVE		PNM_MREMAP_MAYMOVE
#define FIXED		PNM_MREMAP_FIXED
#define DONTUNMAP	PNM_MREMAP_DONTUNMAP

/* Pool counters: total, free, resv. */
static void assert_pool(unsigned long total, unsigned long free, unsigned long resv)
{
	struct pnm_hugetlb_info hi = { .size = sizeof(hi) };

	assert_int_equal(pnm_hugetlb_get_info(HSZ, &hi), 0);
	assert_int_equal(hi.total, total);
	assert_int_equal(hi.free, free);
	assert_int_equal(hi.resv, resv);
}

static unsigned long hmmap_ok(struct task_struct *t, unsigned long len, unsigned long flags)
{
	long a = pnm_mmap(t, 0, len, PROT_RW, flags | MAP_ANONYMOUS | PNM_MAP_HUGETLB, NULL, 0);

	assert_true(a > 0);
	assert_true(IS_ALIGNED((unsigned long)a, HSZ));
	CHECK_ALL();
	return (unsigned long)a;
}

/* A free, 2 MiB aligned range of @len bytes. */
static unsigned long free_range(struct task_struct *t, unsigned long len)
{
	unsigned long a = hmmap_ok(t, len, MAP_PRIVATE | MAP_NORESERVE);

	assert_int_equal(pnm_munmap(t, a, len), 0);
	return a;
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

static bool accessible(struct task_struct *t, unsigned long addr)
{
	unsigned char b;

	return pnm_user_read(t, addr, &b, 1) == 0;
}

static long mremap_(struct task_struct *t, unsigned long addr, unsigned long old_len,
		    unsigned long new_len, unsigned long flags, unsigned long new_addr)
{
	long ret = pnm_mremap(t, addr, old_len, new_len, flags, new_addr);

	CHECK_ALL();
	return ret;
}

/* A private mapping moved whole: same folios, reservations with it. */
static void test_private_move_whole(void **state)
{
	struct task_struct *t = test_task_create("a");
	unsigned long a, to;
	struct folio *f0, *f2;
	long moved0 = global_stat(PNM_MREMAP_PMD);

	(void)state;
	assert_int_equal(pnm_hugetlb_set_pages(HSZ, 6), 6);
	a = hmmap_ok(t, 3 * HSZ, MAP_PRIVATE);
	assert_pool(6, 6, 3);
	put_bytes(t, a + 10, "first");
	put_bytes(t, a + 2 * HSZ + HSZ - 6, "third");
	assert_pool(6, 4, 1);
	f0 = test_folio(t, a);
	f2 = test_folio(t, a + 2 * HSZ);

	to = free_range(t, 3 * HSZ);
	assert_int_equal(mremap_(t, a, 3 * HSZ, 3 * HSZ, MAYMOVE | FIXED, to), (long)to);
	assert_int_equal(global_stat(PNM_MREMAP_PMD) - moved0, 2);
	assert_false(accessible(t, a));
	assert_ptr_equal(test_folio(t, to), f0);
	assert_ptr_equal(test_folio(t, to + 2 * HSZ), f2);
	assert_true(PageAnonExclusive(&f0->page));
	assert_int_equal(folio_entire_mapcount(f0), 1);
	assert_bytes(t, to + 10, "first");
	assert_bytes(t, to + 2 * HSZ + HSZ - 6, "third");
	/* Nothing went back to the pool; the unfaulted page is still
	 * reserved, now for the new VMA. */
	assert_pool(6, 4, 1);
	assert_true(test_vma_flags(t->mm, to) & VM_HUGETLB);

	/* Its fault consumes that reservation. */
	put_bytes(t, to + HSZ, "second");
	assert_pool(6, 3, 0);
	CHECK_ALL();
	assert_int_equal(pnm_munmap(t, to, 3 * HSZ), 0);
	assert_pool(6, 6, 0);
	CHECK_ALL();
	pnm_task_exit(t);
	pnm_task_put(t);
}

/* The middle page of three moves away; the two parts that stay keep their
 * reservations, the moved one takes its own. */
static void test_private_move_part(void **state)
{
	struct task_struct *t = test_task_create("a");
	unsigned long a, to;
	struct folio *f1;

	(void)state;
	assert_int_equal(pnm_hugetlb_set_pages(HSZ, 6), 6);
	a = hmmap_ok(t, 4 * HSZ, MAP_PRIVATE);
	put_bytes(t, a + HSZ, "middle");
	assert_pool(6, 5, 3);
	f1 = test_folio(t, a + HSZ);

	/* Two pages: the faulted one and an unfaulted one. */
	to = free_range(t, 2 * HSZ);
	assert_int_equal(mremap_(t, a + HSZ, 2 * HSZ, 2 * HSZ, MAYMOVE | FIXED, to), (long)to);
	assert_ptr_equal(test_folio(t, to), f1);
	assert_bytes(t, to, "middle");
	assert_false(accessible(t, a + HSZ));
	assert_false(accessible(t, a + 2 * HSZ));
	assert_pool(6, 5, 3);

	/* Every part faults on its own reservation. */
	put_bytes(t, a, "head");
	put_bytes(t, a + 3 * HSZ, "tail");
	put_bytes(t, to + HSZ, "moved, unfaulted");
	assert_pool(6, 2, 0);
	CHECK_ALL();
	assert_int_equal(pnm_munmap(t, a, 4 * HSZ), 0);
	assert_pool(6, 4, 0);
	assert_int_equal(pnm_munmap(t, to, 2 * HSZ), 0);
	assert_pool(6, 6, 0);
	CHECK_ALL();
	pnm_task_exit(t);
	pnm_task_put(t);
}

/* Shrinking in place and while moving: the tail's pages and reservations
 * go back; the lengths are rounded up to the huge page size. */
static void test_shrink(void **state)
{
	struct task_struct *t = test_task_create("a");
	unsigned long a, to;

	(void)state;
	assert_int_equal(pnm_hugetlb_set_pages(HSZ, 6), 6);
	a = hmmap_ok(t, 4 * HSZ, MAP_PRIVATE);
	put_bytes(t, a, "zero");
	put_bytes(t, a + 3 * HSZ, "three");
	assert_pool(6, 4, 2);

	/* 4 MiB + 4 KiB is three huge pages. */
	assert_int_equal(mremap_(t, a, 4 * HSZ, 2 * HSZ + 4096, 0, 0), (long)a);
	assert_true(accessible(t, a + 2 * HSZ));	/* faults page 2 in */
	assert_false(accessible(t, a + 3 * HSZ));
	assert_pool(6, 4, 1);

	to = free_range(t, HSZ);
	/* Moving the first page and dropping the next two (old_len rounded
	 * up: 2 MiB + 1 byte is two pages). */
	assert_int_equal(mremap_(t, a + HSZ, HSZ + 1, 1, MAYMOVE | FIXED, to), (long)to);
	assert_false(accessible(t, a + HSZ));
	assert_false(accessible(t, a + 2 * HSZ));
	assert_bytes(t, a, "zero");
	assert_pool(6, 5, 1);			/* page 2 freed, page 1's resv kept */
	put_bytes(t, to, "one");
	assert_pool(6, 4, 0);
	assert_int_equal(pnm_munmap(t, a, HSZ), 0);
	assert_int_equal(pnm_munmap(t, to, HSZ), 0);
	assert_pool(6, 6, 0);
	CHECK_ALL();
	pnm_task_exit(t);
	pnm_task_put(t);
}

/* A pinned page moves with its mapping: the pin stays on the same folio
 * and a write through it is seen at the new address. */
static void test_pinned_moves(void **state)
{
	struct task_struct *t = test_task_create("a"), *prev;
	struct page *pages[4];
	unsigned long a, to;
	struct folio *folio;

	(void)state;
	assert_int_equal(pnm_hugetlb_set_pages(HSZ, 4), 4);
	a = hmmap_ok(t, 2 * HSZ, MAP_PRIVATE);
	put_bytes(t, a, "pinned");
	prev = pnm_task_enter(t);
	assert_int_equal(pin_user_pages_fast(a + 8192, 4, FOLL_WRITE | FOLL_LONGTERM, pages), 4);
	pnm_task_leave(prev);
	folio = page_folio(pages[0]);
	assert_int_equal(folio_maybe_dma_pinned(folio), true);
	assert_int_equal(atomic_read(&folio->_pincount), 4);

	to = free_range(t, 2 * HSZ);
	assert_int_equal(mremap_(t, a, 2 * HSZ, 2 * HSZ, MAYMOVE | FIXED, to), (long)to);
	assert_ptr_equal(test_folio(t, to), folio);
	assert_int_equal(atomic_read(&folio->_pincount), 4);
	assert_true(PageAnonExclusive(&folio->page));
	memcpy(page_address(pages[1]), "device", 6);
	assert_bytes(t, to + 8192 + 4096, "device");
	assert_bytes(t, to, "pinned");

	/* And back again without MREMAP_FIXED (a shrink: stays in place). */
	assert_int_equal(mremap_(t, to, 2 * HSZ, HSZ, MAYMOVE, 0), (long)to);
	assert_ptr_equal(test_folio(t, to), folio);
	unpin_user_pages(pages, 4);
	assert_false(folio_maybe_dma_pinned(folio));
	CHECK_ALL();
	assert_int_equal(pnm_munmap(t, to, HSZ), 0);
	assert_pool(4, 4, 0);
	pnm_task_exit(t);
	pnm_task_put(t);
}

/* A shared mapping moves: its page-cache folios stay, a fork child (which
 * shares them) keeps seeing the writes. */
static void test_shared_move(void **state)
{
	struct task_struct *t = test_task_create("a"), *c;
	unsigned long a, to;
	struct folio *folio;

	(void)state;
	assert_int_equal(pnm_hugetlb_set_pages(HSZ, 4), 4);
	a = hmmap_ok(t, 2 * HSZ, MAP_SHARED);
	put_bytes(t, a + HSZ, "shared");
	folio = test_folio(t, a + HSZ);
	c = test_fork(t);
	assert_pool(4, 3, 1);

	to = free_range(t, 2 * HSZ);
	assert_int_equal(mremap_(t, a, 2 * HSZ, 2 * HSZ, MAYMOVE | FIXED, to), (long)to);
	assert_ptr_equal(test_folio(t, to + HSZ), folio);
	assert_false(folio_test_anon(folio));
	put_bytes(t, to + HSZ + 7, "written after the move");
	assert_bytes(c, a + HSZ + 7, "written after the move");
	put_bytes(t, to, "first");
	assert_bytes(c, a, "first");
	assert_pool(4, 2, 0);
	CHECK_ALL();
	pnm_task_exit(c);
	pnm_task_put(c);
	pnm_task_exit(t);
	pnm_task_put(t);
	assert_pool(4, 4, 0);
	CHECK_ALL();
}

/* The errors: nothing changes. */
static void test_errors(void **state)
{
	struct task_struct *t = test_task_create("a");
	unsigned long a, to;
	struct folio *folio;

	(void)state;
	assert_int_equal(pnm_hugetlb_set_pages(HSZ, 4), 4);
	a = hmmap_ok(t, 2 * HSZ, MAP_PRIVATE);
	put_bytes(t, a, "stays");
	folio = test_folio(t, a);
	to = free_range(t, 4 * HSZ);

	/* Growing: never (in place or moving). */
	assert_int_equal(mremap_(t, a, 2 * HSZ, 3 * HSZ, 0, 0), -EINVAL);
	assert_int_equal(mremap_(t, a, 2 * HSZ, 3 * HSZ, MAYMOVE, 0), -EINVAL);
	assert_int_equal(mremap_(t, a, HSZ, HSZ + 4096, MAYMOVE | FIXED, to), -EINVAL);
	/* Old or new address inside a huge page. */
	assert_int_equal(mremap_(t, a + 4096, 4096, 4096, MAYMOVE | FIXED, to), -EINVAL);
	assert_int_equal(mremap_(t, a, HSZ, HSZ, MAYMOVE | FIXED, to + 4096), -EINVAL);
	/* The new address is checked even when no flag uses it (Linux). */
	assert_int_equal(mremap_(t, a, 2 * HSZ, HSZ, 0, to + 4096), -EINVAL);
	/* MREMAP_DONTUNMAP: the VMA is VM_DONTEXPAND. */
	assert_int_equal(mremap_(t, a, HSZ, HSZ, MAYMOVE | DONTUNMAP, to), -EINVAL);
	/* Rounded up, the lengths are equal: nothing to do. */
	assert_int_equal(mremap_(t, a, HSZ - 4096, HSZ, 0, 0), (long)a);

	assert_ptr_equal(test_folio(t, a), folio);
	assert_bytes(t, a, "stays");
	assert_pool(4, 3, 1);
	assert_true(accessible(t, a + HSZ));
	CHECK_ALL();
	pnm_task_exit(t);
	pnm_task_put(t);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, pnm_test_setup, pnm_test_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_private_move_whole),
		T(test_private_move_part),
		T(test_shrink),
		T(test_pinned_moves),
		T(test_shared_move),
		T(test_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
