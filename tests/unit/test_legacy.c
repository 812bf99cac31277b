// SPDX-License-Identifier: MIT
/*
 * test_legacy.c - the bugs FOLL_PIN fixed, shown side by side.
 *
 * Legacy mode (pnm_config.legacy_gup) makes pin_user_pages*() behave like
 * pre-2019 get_user_pages(): a plain reference, no pin accounting, so
 * nothing in mm knows the page is under DMA.  The same scenario runs in
 * both modes and every observed value is asserted:
 *
 *   GUP after fork.  A process pins a private page for a device to write,
 *   forks, then writes the page itself.  Legacy: fork COW-shares the page,
 *   the parent's write copies it away (it is mapped twice, so even the
 *   old COW rule copies), and the device's data lands in the
 *   page the *child* keeps: the parent loses it and the child sees it.
 *   Pin mode: fork sees the pin (MMF_HAS_PINNED + maybe-pinned) and gives
 *   the child its own copy; the parent keeps writing the pinned page and
 *   sees the device's data; the child never does.
 *
 *   vmsplice-style reference (CVE-2020-29374).  A child takes a read-only
 *   reference (FOLL_GET, or a R/O pin) on a page it shares with its
 *   parent, unmaps it, and the parent writes.  Legacy mode has the COW
 *   rule of the kernel before 5.8 too: the parent's page is mapped once
 *   now, so its write reuses it in place and the child's reference (the
 *   pipe) reads the parent's new data.  Pin mode: the write copies (the
 *   page is neither anon-exclusive nor referenced only by the mapping), or
 *   the R/O pin had unshared the child's page first; the reference keeps
 *   the old contents.  Run with a base page, a PMD-mapped THP and a
 *   PTE-mapped THP.
 */
#include <stdio.h>

#include "gup_test.h"

#define OFF	100		/* where the device writes */

static unsigned long all_misuse(void)
{
	unsigned long n = 0;
	int k;

	for (k = 0; k < PNM_NR_MISUSE; k++)
		n += pnm_misuse_count(k);
	return n;
}

static void read_at(struct task_struct *t, unsigned long addr, char *buf, size_t len)
{
	assert_int_equal(pnm_user_read(t, addr, buf, len), 0);
}

/* pin_user_pages() as the process itself would call it: via current. */
static struct page *pin_one_as(struct task_struct *t, unsigned long addr,
			       unsigned int flags)
{
	struct task_struct *prev = pnm_task_enter(t);
	struct page *page = NULL;
	long ret;

	mmap_read_lock(current->mm);
	ret = pin_user_pages(addr, 1, flags, &page);
	mmap_read_unlock(current->mm);
	pnm_task_leave(prev);
	assert_int_equal(ret, 1);
	return page;
}

static void gup_after_fork(bool legacy)
{
	struct task_struct *p = test_task_create("parent"), *c;
	unsigned long a = test_mmap(p, PG, RW, PRIV);
	long fork_copies = global_stat(PNM_FORK_COPY_PINNED);
	long cow_copies, acquired = global_stat(NR_FOLL_PIN_ACQUIRED);
	unsigned long pinned_pfn;
	struct page *page;
	char buf[8], *text = NULL;
	size_t len = 0;
	FILE *out;

	assert_int_equal(pnm_get_config()->legacy_gup, legacy);
	assert_int_equal(pnm_user_write(p, a + OFF, "orig", 4), 0);
	pnm_pin_set_tag("nic");
	page = pin_one_as(p, a, FOLL_WRITE);
	pnm_pin_set_tag(NULL);
	pinned_pfn = page_to_pfn(page);
	assert_int_equal(test_pfn(p, a), pinned_pfn);
	if (legacy) {
		/* A plain reference: mm cannot tell it is under DMA. */
		assert_int_equal(page_ref_count(page), 2);
		assert_false(page_maybe_dma_pinned(page));
		assert_false(test_bit(MMF_HAS_PINNED, &p->mm->flags));
		assert_int_equal(global_stat(NR_FOLL_PIN_ACQUIRED), acquired);
	} else {
		assert_int_equal(page_ref_count(page), 1 + GUP_PIN_COUNTING_BIAS);
		assert_true(page_maybe_dma_pinned(page));
		assert_true(test_bit(MMF_HAS_PINNED, &p->mm->flags));
		assert_int_equal(global_stat(NR_FOLL_PIN_ACQUIRED), acquired + 1);
	}
	/* The registry shows the holder either way. */
	out = open_memstream(&text, &len);
	assert_non_null(out);
	pnm_pin_registry_print(out, p->pid);
	fclose(out);
	assert_non_null(strstr(text, "tag nic"));
	assert_non_null(strstr(text, legacy ? "FOLL_GET|FOLL_PIN|FOLL_WRITE legacy"
					    : "FOLL_PIN|FOLL_WRITE seq"));
	free(text);
	CHECK_ALL();

	/* fork */
	assert_int_equal(pnm_task_fork(p, "child", &c), 0);
	CHECK_ALL();
	if (legacy) {
		assert_int_equal(test_pfn(c, a), pinned_pfn);		/* COW-shared */
		assert_int_equal(global_stat(PNM_FORK_COPY_PINNED), fork_copies);
	} else {
		assert_int_not_equal(test_pfn(c, a), pinned_pfn);	/* own copy */
		assert_int_equal(global_stat(PNM_FORK_COPY_PINNED), fork_copies + 1);
	}
	read_at(c, a + OFF, buf, 4);
	assert_memory_equal(buf, "orig", 4);

	/* The parent writes its page. */
	cow_copies = global_stat(PNM_COW_COPY);
	test_write_byte(p, a, 'P');
	if (legacy) {
		/* Mapped by both (the old rule too): copied away from the
		 * DMA page. */
		assert_int_equal(global_stat(PNM_COW_COPY), cow_copies + 1);
		assert_int_not_equal(test_pfn(p, a), pinned_pfn);
		assert_int_equal(test_pfn(c, a), pinned_pfn);
	} else {
		assert_int_equal(global_stat(PNM_COW_COPY), cow_copies);
		assert_int_equal(test_pfn(p, a), pinned_pfn);
	}
	CHECK_ALL();

	/* The device completes its transfer through the pin. */
	assert_int_equal(pnm_dma_write(&page, 1, OFF, "DMA!", 4), 0);
	read_at(p, a + OFF, buf, 4);
	read_at(c, a + OFF, buf + 4, 4);
	if (legacy) {
		assert_memory_equal(buf, "orig", 4);		/* parent lost it */
		assert_memory_equal(buf + 4, "DMA!", 4);	/* child sees it */
	} else {
		assert_memory_equal(buf, "DMA!", 4);
		assert_memory_equal(buf + 4, "orig", 4);
	}
	assert_int_equal(test_read_byte(p, a), 'P');
	assert_int_equal(test_read_byte(c, a), 0);

	unpin_user_pages_dirty_lock(&page, 1, true);
	assert_int_equal(pnm_pin_registry_count(-1), 0);
	assert_int_equal(global_stat(NR_FOLL_PIN_ACQUIRED),
			 global_stat(NR_FOLL_PIN_RELEASED));
	assert_int_equal(all_misuse(), 0);
	CHECK_ALL();
	/* The child keeps what it saw after the pin is gone. */
	read_at(c, a + OFF, buf, 4);
	assert_memory_equal(buf, legacy ? "DMA!" : "orig", 4);
}

static void test_gup_after_fork_pin(void **state)
{
	(void)state;
	gup_after_fork(false);
}

static void test_gup_after_fork_legacy(void **state)
{
	(void)state;
	gup_after_fork(true);
}

enum leak_kind { LEAK_BASE, LEAK_THP, LEAK_PTE_THP };

/*
 * The child holds a R/O reference (@pin: a R/O pin) to a page shared with
 * the parent, unmaps it; the parent writes a secret.  Legacy mode: the
 * reference sees the secret (the parent's page was mapped once, so the
 * write reused it).  Pin mode: it keeps showing the old contents.
 */
static void vmsplice_leak(bool legacy, bool pin, enum leak_kind kind)
{
	struct task_struct *p = test_task_create("parent"), *c;
	unsigned long a, len = kind == LEAK_BASE ? PG : PMD_SIZE;
	unsigned long shared_pfn, ref_pfn;
	long reuses, copies;
	struct page *ref = NULL;
	char buf[8];
	long ret;

	assert_int_equal(pnm_get_config()->legacy_gup, legacy);
	if (kind == LEAK_BASE) {
		a = test_mmap(p, PG, RW, PRIV);
	} else {
		a = gt_thp(p, 0);
		if (kind == LEAK_PTE_THP) {
			/* mprotect() of one page splits the PMD, not the folio. */
			assert_int_equal(pnm_mm_mprotect(p->mm, a + PG, PG, PROT_READ), 0);
			assert_int_equal(pnm_mm_mprotect(p->mm, a + PG, PG, RW), 0);
			assert_int_equal(folio_entire_mapcount(test_folio(p, a)), 0);
		}
	}
	assert_int_equal(pnm_user_write(p, a, "old-data", 8), 0);
	shared_pfn = test_pfn(p, a);
	assert_int_equal(pnm_task_fork(p, "child", &c), 0);
	assert_int_equal(test_pfn(c, a), shared_pfn);

	mmap_read_lock(c->mm);
	if (pin)
		ret = pin_user_pages_remote(c->mm, a, 1, 0, &ref, NULL);
	else
		ret = get_user_pages_remote(c->mm, a, 1, 0, &ref, NULL);
	mmap_read_unlock(c->mm);
	assert_int_equal(ret, 1);
	ref_pfn = page_to_pfn(ref);
	if (pin && !legacy) {
		/* R/O pin of a shared anon page: unshared first. */
		assert_int_not_equal(ref_pfn, shared_pfn);
		assert_int_equal(test_pfn(c, a), ref_pfn);
	} else {
		assert_int_equal(ref_pfn, shared_pfn);
	}
	CHECK_ALL();

	assert_int_equal(pnm_mm_munmap(c->mm, a, len), 0);
	reuses = global_stat(PNM_COW_REUSE);
	copies = global_stat(PNM_COW_COPY);
	assert_int_equal(pnm_user_write(p, a, "SECRET!!", 8), 0);
	CHECK_ALL();
	if (legacy) {
		/* Mapped once: reused in place, references or not. */
		assert_int_equal(test_pfn(p, a), shared_pfn);
		assert_int_equal(global_stat(PNM_COW_REUSE), reuses + 1);
		assert_int_equal(global_stat(PNM_COW_COPY), copies);
		assert_true(PageAnonExclusive(pfn_to_page(shared_pfn)));
		if (kind == LEAK_THP)	/* the PMD itself was reused */
			assert_int_equal(folio_entire_mapcount(test_folio(p, a)), 1);
	} else if (ref_pfn == shared_pfn) {
		/* Still referenced: the parent copied. */
		assert_int_not_equal(test_pfn(p, a), shared_pfn);
		assert_int_equal(global_stat(PNM_COW_COPY), copies + 1);
	} else if (kind == LEAK_BASE) {
		/* The child left with its own copy: the parent reused. */
		assert_int_equal(test_pfn(p, a), shared_pfn);
	}

	/* What the reference (the pipe) shows now. */
	assert_int_equal(pnm_dma_read(&ref, 1, 0, buf, 8), 0);
	assert_memory_equal(buf, legacy ? "SECRET!!" : "old-data", 8);
	read_at(p, a, buf, 8);
	assert_memory_equal(buf, "SECRET!!", 8);

	if (pin)
		unpin_user_page(ref);
	else
		put_page(ref);
	assert_int_equal(all_misuse(), 0);
	CHECK_ALL();
}

static void test_vmsplice_get_pin_mode(void **state)
{
	(void)state;
	vmsplice_leak(false, false, LEAK_BASE);
	vmsplice_leak(false, false, LEAK_THP);
	vmsplice_leak(false, false, LEAK_PTE_THP);
}

static void test_vmsplice_get_legacy(void **state)
{
	(void)state;
	vmsplice_leak(true, false, LEAK_BASE);
	vmsplice_leak(true, false, LEAK_THP);
	vmsplice_leak(true, false, LEAK_PTE_THP);
}

static void test_vmsplice_ro_pin_pin_mode(void **state)
{
	(void)state;
	vmsplice_leak(false, true, LEAK_BASE);
	vmsplice_leak(false, true, LEAK_THP);
	vmsplice_leak(false, true, LEAK_PTE_THP);
}

static void test_vmsplice_ro_pin_legacy(void **state)
{
	(void)state;
	vmsplice_leak(true, true, LEAK_BASE);
	vmsplice_leak(true, true, LEAK_THP);
	vmsplice_leak(true, true, LEAK_PTE_THP);
}

/* Legacy mode keeps the registry and the unpin check, not the put check. */
static void test_legacy_registry_and_checks(void **state)
{
	struct task_struct *p = test_task_create("p");
	unsigned long a = test_mmap(p, 2 * PG, RW, PRIV);
	struct page *pages[2], *got;
	long ret;

	(void)state;
	assert_int_equal(pnm_user_write(p, a, "ab", 1), 0);
	assert_int_equal(pnm_user_write(p, a + PG, "cd", 1), 0);
	mmap_read_lock(p->mm);
	ret = pin_user_pages_remote(p->mm, a, 2, FOLL_WRITE, pages, NULL);
	mmap_read_unlock(p->mm);
	assert_int_equal(ret, 2);
	assert_int_equal(pnm_pin_registry_count(p->pid), 2);
	assert_int_equal(atomic_read(&pages[0]->pnm_pincount), 0);
	assert_int_equal(page_ref_count(pages[0]), 2);

	/* No pin counts, so no put-on-pin check: zap puts are quiet. */
	assert_int_equal(pnm_mm_munmap(p->mm, a, 2 * PG), 0);
	assert_int_equal(page_ref_count(pages[0]), 1);
	assert_int_equal(all_misuse(), 0);
	unpin_user_pages(pages, 2);		/* put_page: frames freed */
	assert_int_equal(pnm_pin_registry_count(-1), 0);
	CHECK_ALL();

	/* An unpin with no recorded pin is still caught (and not done). */
	a = test_mmap(p, PG, RW, PRIV);
	test_write_byte(p, a, 1);
	mmap_read_lock(p->mm);
	ret = get_user_pages_remote(p->mm, a, 1, 0, &got, NULL);
	mmap_read_unlock(p->mm);
	assert_int_equal(ret, 1);
	unpin_user_page(got);
	assert_int_equal(pnm_misuse_count(PNM_MISUSE_UNPIN_UNPINNED), 1);
	assert_int_equal(page_ref_count(got), 2);
	put_page(got);
	CHECK_ALL();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		PNM_TEST(test_gup_after_fork_pin),
		PNM_TEST_LEGACY(test_gup_after_fork_legacy),
		PNM_TEST(test_vmsplice_get_pin_mode),
		PNM_TEST_LEGACY(test_vmsplice_get_legacy),
		PNM_TEST(test_vmsplice_ro_pin_pin_mode),
		PNM_TEST_LEGACY(test_vmsplice_ro_pin_legacy),
		PNM_TEST_LEGACY(test_legacy_registry_and_checks),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
