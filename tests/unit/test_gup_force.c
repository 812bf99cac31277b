// SPDX-License-Identifier: MIT
/*
 * test_gup_force.c - FOLL_FORCE, as ptrace and /proc/pid/mem use it.
 * check_vma_flags() alone decides what GUP may touch: a forced read needs
 * VM_MAYREAD (so PROT_NONE private memory reads, an untouched anonymous
 * page as the zero page), a forced write needs a COW mapping and breaks
 * COW with an ordinary write fault, leaving the new page read-only.  The
 * user's own accesses are still refused by the VMA, and nothing of this
 * makes inaccessible memory accessible to the user.
 */
#include "gup_test.h"

static struct page *zero_page(void)
{
	return pfn_to_page(pnm_mem.zero_pfn);
}

/* The user cannot read @addr (one byte). */
static void assert_user_cannot_read(struct task_struct *t, unsigned long addr)
{
	unsigned char v;

	assert_int_equal(pnm_user_read(t, addr, &v, 1), -EFAULT);
}

/*
 * The case: FOLL_FORCE read of an untouched PROT_NONE private
 * anonymous page returns the zero page (a get's reference counted, a
 * pin's not, as Linux), through every slow entry point and the fast ones
 * (which fall back: the PTE is PROT_NONE).  The user still cannot read.
 */
static void test_force_read_prot_none(void **state)
{
	struct task_struct *t = gt_task("tracee");
	unsigned long a = test_mmap(t, 4 * PG, PROT_NONE, PRIV);
	int zrefs = page_ref_count(zero_page());
	long acq = global_stat(NR_FOLL_PIN_ACQUIRED);
	struct page *page;
	int locked = 1;

	(void)state;
	assert_int_equal(gt_get(t, a, 1, FOLL_FORCE, &page), 1);
	assert_ptr_equal(page, zero_page());
	assert_int_equal(page_ref_count(zero_page()), zrefs + 1);
	put_page(page);
	assert_int_equal(page_ref_count(zero_page()), zrefs);
	/* The zero page is mapped, but not for the user. */
	assert_int_equal(pte_pfn(test_pte_val(t, a)), pnm_mem.zero_pfn);
	assert_true(pte_protnone(test_pte_val(t, a)));
	assert_user_cannot_read(t, a);
	CHECK_ALL();

	/* ptrace's way: remote, from another context. */
	assert_int_equal(gt_get_remote(t->mm, a + PG, 1, FOLL_FORCE, &page, &locked), 1);
	assert_ptr_equal(page, zero_page());
	put_page(page);
	assert_int_equal(gt_get_fast(t, a + 2 * PG, 1, FOLL_FORCE, &page), 1);
	assert_ptr_equal(page, zero_page());
	put_page(page);
	CHECK_ALL();

	/* Pins of the zero page are not counted. */
	assert_int_equal(gt_pin(t, a + 3 * PG, 1, FOLL_FORCE, &page), 1);
	assert_ptr_equal(page, zero_page());
	assert_int_equal(page_ref_count(zero_page()), zrefs);
	assert_int_equal(global_stat(NR_FOLL_PIN_ACQUIRED), acq);
	unpin_user_page(page);
	assert_int_equal(page_ref_count(zero_page()), zrefs);
	assert_user_cannot_read(t, a + 3 * PG);
	CHECK_ALL();
}

/* A forced read of PROT_NONE memory that holds data returns that data's
 * page (the zero page only stands in for untouched memory). */
static void test_force_read_prot_none_data(void **state)
{
	struct task_struct *t = gt_task("tracee");
	unsigned long a = test_mmap(t, PG, RW, PRIV);
	struct page *page;

	(void)state;
	gt_write(t, a, 0x6b, PG);
	assert_int_equal(pnm_mm_mprotect(t->mm, a, PG, PROT_NONE), 0);
	assert_int_equal(gt_get(t, a, 1, FOLL_FORCE, &page), 1);
	assert_int_equal(page_to_pfn(page), pte_pfn(test_pte_val(t, a)));
	assert_int_equal(gt_page_byte(page, 100), 0x6b);
	put_page(page);
	assert_user_cannot_read(t, a);
	CHECK_ALL();
}

/* Without FOLL_FORCE, PROT_NONE memory is refused by every entry point,
 * and the user's own accesses still fail. */
static void test_no_force_prot_none(void **state)
{
	struct task_struct *t = gt_task("plain");
	unsigned long a = test_mmap(t, PG, PROT_NONE, PRIV);
	struct page *page;
	unsigned char v = 1;

	(void)state;
	assert_int_equal(gt_get(t, a, 1, 0, &page), -EFAULT);
	assert_int_equal(gt_pin(t, a, 1, 0, &page), -EFAULT);
	assert_int_equal(gt_get_fast(t, a, 1, 0, &page), -EFAULT);
	assert_int_equal(gt_pin_fast(t, a, 1, FOLL_WRITE, &page), -EFAULT);
	assert_int_equal(pnm_user_read(t, a, &v, 1), -EFAULT);
	assert_int_equal(pnm_user_write(t, a, &v, 1), -EFAULT);
	assert_true(pte_none(test_pte_val(t, a)));
	CHECK_ALL();
}

/*
 * FOLL_FORCE|FOLL_WRITE into a read-only private anonymous mapping (a
 * debugger's poke): the zero page mapped there is COW-broken by a write
 * fault -- a COW copy, not an unshare -- and the new page stays mapped
 * read-only; the write lands where the process reads.
 */
static void test_force_write_readonly_private(void **state)
{
	struct task_struct *t = gt_task("tracee");
	unsigned long a = test_mmap(t, 2 * PG, PROT_READ, PRIV);
	long cow = global_stat(PNM_COW_COPY), unshare = global_stat(PNM_UNSHARE_COPY);
	struct page *page;
	unsigned long pfn;
	bool w;

	(void)state;
	assert_int_equal(test_read_byte(t, a), 0);		/* the zero page */
	assert_int_equal(test_pfn(t, a), pnm_mem.zero_pfn);
	assert_int_equal(gt_get(t, a, 1, FOLL_FORCE | FOLL_WRITE, &page), 1);
	assert_int_equal(global_stat(PNM_COW_COPY), cow + 1);
	assert_int_equal(global_stat(PNM_UNSHARE_COPY), unshare);
	assert_ptr_not_equal(page, zero_page());
	assert_int_equal(pnm_mm_translate(t->mm, a, &pfn, &w), 0);
	assert_int_equal(pfn, page_to_pfn(page));
	assert_false(w);					/* still read-only */
	assert_true(PageAnonExclusive(page));
	((unsigned char *)page_address(page))[0] = 0x99;	/* the poke */
	put_page(page);
	assert_int_equal(test_read_byte(t, a), 0x99);
	CHECK_ALL();
	/* Again on the now exclusive page: no fault, no copy. */
	assert_int_equal(gt_pin(t, a, 1, FOLL_FORCE | FOLL_WRITE, &page), 1);
	assert_int_equal(page_to_pfn(page), pfn);
	assert_int_equal(global_stat(PNM_COW_COPY), cow + 1);
	unpin_user_page(page);
	CHECK_ALL();
	/* Never touched: a fresh exclusive page, mapped read-only. */
	assert_int_equal(gt_get(t, a + PG, 1, FOLL_FORCE | FOLL_WRITE, &page), 1);
	assert_int_equal(pnm_mm_translate(t->mm, a + PG, &pfn, &w), 0);
	assert_int_equal(pfn, page_to_pfn(page));
	assert_false(w);
	put_page(page);
	CHECK_ALL();
}

/* A forced write of a page shared with a fork child copies it for the
 * writer only; the child keeps the old data. */
static void test_force_write_after_fork(void **state)
{
	struct task_struct *t = gt_task("parent");
	unsigned long a = test_mmap(t, PG, RW, PRIV);
	struct task_struct *child;
	long cow;
	struct page *page;

	(void)state;
	gt_write(t, a, 0x10, PG);
	assert_int_equal(pnm_mm_mprotect(t->mm, a, PG, PROT_READ), 0);
	child = gt_fork(t);
	assert_int_equal(test_pfn(t, a), test_pfn(child, a));
	cow = global_stat(PNM_COW_COPY);
	assert_int_equal(gt_get(t, a, 1, FOLL_FORCE | FOLL_WRITE, &page), 1);
	assert_int_equal(global_stat(PNM_COW_COPY), cow + 1);
	assert_int_not_equal(test_pfn(t, a), test_pfn(child, a));
	((unsigned char *)page_address(page))[0] = 0x20;
	put_page(page);
	assert_int_equal(test_read_byte(t, a), 0x20);
	assert_int_equal(test_read_byte(child, a), 0x10);
	CHECK_ALL();
}

/* FOLL_FORCE never writes into a shared mapping it may not write. */
static void test_force_write_shared_refused(void **state)
{
	struct task_struct *t = gt_task("shared");
	unsigned long a = test_mmap(t, PG, PROT_READ, SHARED);
	unsigned long n = test_mmap(t, PG, PROT_NONE, SHARED);
	struct page *page;

	(void)state;
	assert_int_equal(test_read_byte(t, a), 0);
	assert_int_equal(gt_get(t, a, 1, FOLL_FORCE | FOLL_WRITE, &page), -EFAULT);
	assert_int_equal(gt_pin(t, a, 1, FOLL_FORCE | FOLL_WRITE, &page), -EFAULT);
	assert_int_equal(gt_get(t, n, 1, FOLL_FORCE | FOLL_WRITE, &page), -EFAULT);
	/* A forced read of shared PROT_NONE memory is fine. */
	assert_int_equal(gt_get(t, n, 1, FOLL_FORCE, &page), 1);
	put_page(page);
	assert_user_cannot_read(t, n);
	CHECK_ALL();
}

/* FOLL_FORCE|FOLL_WRITE into PROT_NONE private memory COW-breaks it and
 * leaves it inaccessible to the user. */
static void test_force_write_prot_none(void **state)
{
	struct task_struct *t = gt_task("tracee");
	unsigned long a = test_mmap(t, PG, PROT_NONE, PRIV);
	long cow = global_stat(PNM_COW_COPY);
	struct page *page;

	(void)state;
	assert_int_equal(gt_get(t, a, 1, FOLL_FORCE, &page), 1);	/* zero page */
	put_page(page);
	assert_int_equal(gt_get(t, a, 1, FOLL_FORCE | FOLL_WRITE, &page), 1);
	assert_int_equal(global_stat(PNM_COW_COPY), cow + 1);
	assert_ptr_not_equal(page, zero_page());
	assert_int_equal(page_to_pfn(page), pte_pfn(test_pte_val(t, a)));
	assert_true(pte_protnone(test_pte_val(t, a)));
	put_page(page);
	assert_user_cannot_read(t, a);
	CHECK_ALL();
}

/* A long-term R/O forced pin of the zero page in PROT_NONE memory
 * unshares it (as anywhere else); the copy stays inaccessible. */
static void test_force_longterm_pin_prot_none(void **state)
{
	struct task_struct *t = gt_task("tracee");
	unsigned long a = test_mmap(t, PG, PROT_NONE, PRIV);
	long unshare = global_stat(PNM_UNSHARE_COPY);
	struct page *page;

	(void)state;
	assert_int_equal(gt_get(t, a, 1, FOLL_FORCE, &page), 1);
	put_page(page);
	assert_int_equal(gt_pin(t, a, 1, FOLL_FORCE | FOLL_LONGTERM, &page), 1);
	assert_int_equal(global_stat(PNM_UNSHARE_COPY), unshare + 1);
	assert_ptr_not_equal(page, zero_page());
	assert_true(pte_protnone(test_pte_val(t, a)));
	assert_user_cannot_read(t, a);
	CHECK_ALL();
	unpin_user_page(page);
	CHECK_ALL();
}

/*
 * A R/O forced pin of a PROT_NONE page that is no longer exclusive but
 * has no other user (the fork child is gone) unshares by reusing it in
 * place: the entry must stay inaccessible to the user.
 */
static void test_force_pin_prot_none_reuse(void **state)
{
	struct task_struct *t = gt_task("tracee");
	unsigned long a = test_mmap(t, PG, RW, PRIV);
	long unshare = global_stat(PNM_UNSHARE_COPY);
	struct task_struct *child;
	struct page *page;
	unsigned long pfn;

	(void)state;
	gt_write(t, a, 0x2e, PG);
	pfn = test_pfn(t, a);
	assert_int_equal(pnm_mm_mprotect(t->mm, a, PG, PROT_NONE), 0);
	child = gt_fork(t);
	pnm_task_exit(child);
	assert_false(PageAnonExclusive(pfn_to_page(pfn)));
	assert_int_equal(gt_pin(t, a, 1, FOLL_FORCE, &page), 1);
	assert_int_equal(page_to_pfn(page), pfn);		/* reused, */
	assert_int_equal(global_stat(PNM_UNSHARE_COPY), unshare);	/* not copied */
	assert_true(PageAnonExclusive(page));
	assert_true(pte_protnone(test_pte_val(t, a)));
	assert_user_cannot_read(t, a);
	CHECK_ALL();
	unpin_user_page(page);
	CHECK_ALL();
}

/*
 * A THP made PROT_NONE and shared with a fork child: a forced write in
 * the parent takes a write fault on the inaccessible huge PMD, which must
 * not make it accessible to the user (the page-table checker verifies
 * _PAGE_USER against the VMA).
 */
static void test_force_write_prot_none_thp(void **state)
{
	struct task_struct *t = gt_task("thp");
	unsigned long a = gt_thp(t, 0x3c);
	struct task_struct *child;
	struct page *page;

	(void)state;
	assert_int_equal(pnm_mm_mprotect(t->mm, a, PMD_SIZE, PROT_NONE), 0);
	child = gt_fork(t);
	CHECK_ALL();
	assert_int_equal(gt_get(t, a + 3 * PG, 1, FOLL_FORCE | FOLL_WRITE, &page), 1);
	((unsigned char *)page_address(page))[0] = 0x4d;
	put_page(page);
	assert_user_cannot_read(t, a);
	assert_user_cannot_read(t, a + 3 * PG);
	CHECK_ALL();
	/* The child keeps the old data. */
	assert_int_equal(pnm_mm_mprotect(child->mm, a, PMD_SIZE, PROT_READ), 0);
	assert_int_equal(test_read_byte(child, a + 3 * PG), 0x3c);
	CHECK_ALL();
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, pnm_test_setup, pnm_test_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_force_read_prot_none),
		T(test_force_read_prot_none_data),
		T(test_no_force_prot_none),
		T(test_force_write_readonly_private),
		T(test_force_write_after_fork),
		T(test_force_write_shared_refused),
		T(test_force_write_prot_none),
		T(test_force_longterm_pin_prot_none),
		T(test_force_pin_prot_none_reuse),
		T(test_force_write_prot_none_thp),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
