// SPDX-License-Identifier: MIT
/*
 * test_vaddr_pin_coalesce.c - vaddr_pin_coalesce(): an owner's extent
 * keeps one pin per run of pages of one folio (io_uring's fixed-buffer
 * coalescing).  A THP pinned whole keeps one pin, the device still
 * reaches every page, the budget's charge is unchanged, the unpin
 * releases exactly what is left; a run crossing from a THP into small
 * pages keeps one pin per folio; small pages release nothing; errors;
 * pnm_teardown() and a forced revocation on a coalesced extent.  Each
 * test runs in linux and in exact pin accounting.
 */
#include <string.h>

#include "test_util.h"
#include "pinmm_test_internal.h"

#define PG	PAGE_SIZE
#define RW	(PROT_READ | PROT_WRITE)
#define PRIV	(MAP_PRIVATE | MAP_ANONYMOUS)

static enum pnm_pin_accounting modes[] = { PNM_PIN_ACCOUNTING_LINUX, PNM_PIN_ACCOUNTING_EXACT };

static int setup_mode(void **state)
{
	const enum pnm_pin_accounting *mode = *state;
	struct pnm_config cfg;

	pnm_test_config(&cfg);
	cfg.pin_accounting = *mode;
	pnm_test_init_with(&cfg);
	return 0;
}

static bool exact(void)
{
	return pnm_get_config()->pin_accounting == PNM_PIN_ACCOUNTING_EXACT;
}

static struct vaddr_pin *owner(struct task_struct *t, unsigned int flags)
{
	struct vaddr_pin_params p = {
		.size = sizeof(p), .task = t, .flags = flags, .name = "fixed",
	};
	struct vaddr_pin *vp = NULL;

	assert_int_equal(vaddr_pin_create(&p, &vp), 0);
	return vp;
}

static long live_pins(void)
{
	return global_stat(NR_FOLL_PIN_ACQUIRED) - global_stat(NR_FOLL_PIN_RELEASED);
}

static unsigned int ext_flags(struct vaddr_pin *vp, unsigned long start)
{
	struct pnm_vaddr_pin_extent ext = { .size = sizeof(ext) };

	assert_int_equal(pnm_vaddr_pin_extent_next(vp, start, &ext), 0);
	assert_int_equal(ext.start, start);
	return ext.flags;
}

/* A THP at a 2 MiB boundary of a fresh mapping of @t, written with @v. */
static unsigned long thp(struct task_struct *t, unsigned char v)
{
	unsigned long a = test_mmap(t, 4 * PMD_SIZE, RW, PRIV);
	unsigned long huge = ALIGN(a, PMD_SIZE);

	assert_int_equal(pnm_mm_madvise(t->mm, huge, PMD_SIZE, MADV_HUGEPAGE), 0);
	test_write_byte(t, huge, v);
	assert_int_equal(folio_order(test_folio(t, huge)), HPAGE_PMD_ORDER);
	return huge;
}

/* A THP pinned whole keeps one pin; the device reaches all of it. */
static void test_thp_keeps_one_pin(void **state)
{
	struct task_struct *t = test_task_create("t");
	unsigned long huge = thp(t, 0x5a);
	struct vaddr_pin *vp = owner(t, VADDR_PIN_WRITE | VADDR_PIN_LONGTERM);
	static struct page *pages[HPAGE_PMD_NR];
	long base = live_pins();
	struct folio *folio;
	char buf[64], back[64];
	unsigned long i;

	(void)state;
	assert_int_equal(vaddr_pin_user_pages(vp, huge, HPAGE_PMD_NR, pages), HPAGE_PMD_NR);
	folio = page_folio(pages[0]);
	assert_int_equal(folio_order(folio), HPAGE_PMD_ORDER);
	assert_int_equal(live_pins() - base, HPAGE_PMD_NR);
	assert_int_equal(test_budget_charged(t), HPAGE_PMD_NR);
	assert_int_equal(ext_flags(vp, huge) & PNM_VADDR_PIN_EXTENT_COALESCED, 0);

	assert_int_equal(vaddr_pin_coalesce(vp, huge), HPAGE_PMD_NR - 1);
	assert_int_equal(live_pins() - base, 1);
	assert_int_equal(atomic_read(&folio->_pincount), 1);
	assert_true(folio_maybe_dma_pinned(folio));
	if (exact()) {
		/* The run's first page keeps its own pin. */
		assert_int_equal(atomic_read(&pages[0]->pnm_pincount), 1);
		for (i = 1; i < HPAGE_PMD_NR; i++)
			assert_int_equal(atomic_read(&pages[i]->pnm_pincount), 0);
	}
	assert_true(ext_flags(vp, huge) & PNM_VADDR_PIN_EXTENT_COALESCED);
	assert_int_equal(test_budget_charged(t), HPAGE_PMD_NR);
	assert_int_equal(pnm_pin_registry_count(t->pid), 1);
	CHECK_ALL();
	/* Again: nothing more to release. */
	assert_int_equal(vaddr_pin_coalesce(vp, huge), 0);
	assert_int_equal(live_pins() - base, 1);

	/* Every page still reached by the device, through the owner. */
	for (i = 0; i < sizeof(buf); i++)
		buf[i] = (char)(i + 1);
	assert_int_equal(pnm_vaddr_pin_dma_write(vp, huge + PMD_SIZE - 32, buf, 32), 0);
	assert_int_equal(pnm_vaddr_pin_dma_write(vp, huge + 300 * PG + 5, buf, 64), 0);
	assert_int_equal(pnm_user_read(t, huge + PMD_SIZE - 32, back, 32), 0);
	assert_memory_equal(buf, back, 32);
	assert_int_equal(pnm_user_read(t, huge + 300 * PG + 5, back, 64), 0);
	assert_memory_equal(buf, back, 64);

	/* The unpin releases the one pin left, and the whole charge. */
	assert_int_equal(vaddr_unpin_user_pages(vp, huge, true), 0);
	assert_int_equal(live_pins(), base);
	assert_false(folio_maybe_dma_pinned(folio));
	assert_int_equal(atomic_read(&folio->_pincount), 0);
	assert_int_equal(test_budget_charged(t), 0);
	assert_int_equal(pnm_pin_registry_count(t->pid), 0);
	assert_int_equal(pnm_misuse_count(PNM_MISUSE_UNPIN_UNPINNED), 0);
	assert_int_equal(pnm_misuse_count(PNM_MISUSE_OVER_UNPIN), 0);
	assert_int_equal(vaddr_pin_destroy(vp), 0);
	CHECK_ALL();
}

/* An extent from the end of a THP into small pages: one pin per folio. */
static void test_mixed_runs(void **state)
{
	struct task_struct *t = test_task_create("t");
	unsigned long huge = thp(t, 1);
	unsigned long small = huge + PMD_SIZE;	/* not huge: no advice there */
	struct vaddr_pin *vp = owner(t, VADDR_PIN_WRITE | VADDR_PIN_LONGTERM);
	struct page *pages[6];
	long base = live_pins();
	struct folio *folio;
	int i;

	(void)state;
	for (i = 0; i < 4; i++)
		test_write_byte(t, small + i * PG, (unsigned char)i);
	assert_int_equal(vaddr_pin_user_pages(vp, huge + PMD_SIZE - 2 * PG, 6, pages), 6);
	folio = page_folio(pages[0]);
	assert_int_equal(folio_order(folio), HPAGE_PMD_ORDER);
	assert_ptr_equal(page_folio(pages[1]), folio);
	for (i = 2; i < 6; i++)
		assert_int_equal(folio_order(page_folio(pages[i])), 0);
	assert_int_equal(live_pins() - base, 6);
	assert_int_equal(vaddr_pin_coalesce(vp, huge + PMD_SIZE - 2 * PG), 1);
	assert_int_equal(live_pins() - base, 5);
	assert_int_equal(atomic_read(&folio->_pincount), 1);
	for (i = 2; i < 6; i++)
		assert_true(folio_maybe_dma_pinned(page_folio(pages[i])));
	CHECK_ALL();
	assert_int_equal(vaddr_unpin_pages(vp, huge + PMD_SIZE - 2 * PG, false), 0);
	assert_int_equal(live_pins(), base);
	for (i = 0; i < 6; i++)
		assert_false(folio_maybe_dma_pinned(page_folio(pages[i])));
	assert_int_equal(pnm_misuse_count(PNM_MISUSE_UNPIN_UNPINNED), 0);
	assert_int_equal(vaddr_pin_destroy(vp), 0);
	CHECK_ALL();
}

/* Small pages: nothing to release, the extent is marked anyway.  Errors. */
static void test_small_pages_and_errors(void **state)
{
	struct task_struct *t = test_task_create("t");
	unsigned long a = test_mmap(t, 4 * PG, RW, PRIV);
	struct vaddr_pin *vp = owner(t, VADDR_PIN_WRITE);
	long base = live_pins();

	(void)state;
	assert_int_equal(vaddr_pin_user_pages(vp, a, 4, NULL), 4);
	assert_int_equal(vaddr_pin_coalesce(NULL, a), -EINVAL);
	assert_int_equal(vaddr_pin_coalesce(vp, a + PG), -EINVAL);
	assert_int_equal(vaddr_pin_coalesce(vp, a), 0);
	assert_int_equal(live_pins() - base, 4);
	assert_true(ext_flags(vp, a) & PNM_VADDR_PIN_EXTENT_COALESCED);
	assert_int_equal(vaddr_unpin_user_pages(vp, a, false), 0);
	assert_int_equal(live_pins(), base);
	assert_int_equal(vaddr_pin_coalesce(vp, a), -EINVAL);
	assert_int_equal(vaddr_pin_destroy(vp), 0);
	CHECK_ALL();
}

/* pnm_teardown() releases a coalesced extent's one pin: nothing leaks. */
static void test_teardown_coalesced(void **state)
{
	const enum pnm_pin_accounting *mode = *state;
	struct task_struct *t = test_task_create("t");
	unsigned long huge = thp(t, 2);
	struct vaddr_pin *vp = owner(t, VADDR_PIN_WRITE | VADDR_PIN_LONGTERM);
	struct pnm_teardown_report r = { .size = sizeof(r) };
	struct pnm_config cfg;

	assert_int_equal(vaddr_pin_user_pages(vp, huge, HPAGE_PMD_NR, NULL), HPAGE_PMD_NR);
	assert_int_equal(vaddr_pin_coalesce(vp, huge), HPAGE_PMD_NR - 1);
	assert_int_equal(pnm_teardown(&r), -EBUSY);
	assert_int_equal(r.pins, 1);
	assert_int_equal(r.pinned_pages, HPAGE_PMD_NR);
	assert_int_equal(r.leaked_frames, 0);
	pnm_test_config(&cfg);
	cfg.pin_accounting = *mode;
	pnm_test_init_with(&cfg);
}

/* A forced revocation of a coalesced extent quarantines its folio; the
 * late unpin releases the one pin and ends the quarantine. */
static void test_revoked_coalesced(void **state)
{
	struct task_struct *t = test_task_create("t");
	struct file *f = test_open(PNM_FS_DISK, "coal");
	struct vaddr_pin_params p = {
		.size = sizeof(p), .task = t, .f_owner = f,
		.flags = VADDR_PIN_WRITE | VADDR_PIN_LONGTERM, .name = "ignores",
	};
	struct vaddr_pin *vp = NULL;
	struct page *pages[4];
	long base, a, runs = 0;
	char c = 'z';
	int i;

	(void)state;
	assert_int_equal(do_ftruncate(f, 4 * PG), 0);
	a = pnm_mm_mmap(t->mm, 0, 4 * PG, RW, MAP_SHARED, f, 0);
	assert_true(a > 0);
	test_write_byte(t, (unsigned long)a, 1);
	assert_int_equal(pnm_file_set_layout_lease(f, 20), 0);
	assert_int_equal(vaddr_pin_create(&p, &vp), 0);
	base = live_pins();
	assert_int_equal(vaddr_pin_user_pages(vp, (unsigned long)a, 4, pages), 4);
	/* Whatever the page cache's folios are, one pin per folio is left. */
	for (i = 0; i < 4; i++)
		runs += !i || page_folio(pages[i]) != page_folio(pages[i - 1]);
	assert_int_equal(vaddr_pin_coalesce(vp, (unsigned long)a), 4 - runs);
	assert_int_equal(live_pins() - base, runs);
	assert_int_equal(pnm_file_truncate(f, 0), 0);	/* deadline missed */
	assert_true(ext_flags(vp, (unsigned long)a) & PNM_VADDR_PIN_EXTENT_QUARANTINED);
	assert_int_equal(pnm_vaddr_pin_dma_write(vp, (unsigned long)a, &c, 1), -EIO);
	assert_int_equal(vaddr_unpin_user_pages(vp, (unsigned long)a, true), 0);
	assert_int_equal(live_pins(), base);
	assert_int_equal(global_stat(PNM_NR_QUARANTINED), 0);
	assert_int_equal(vaddr_pin_destroy(vp), 0);
	fput(f);
	CHECK_ALL();
}

int main(void)
{
	int failed = 0;

	for (size_t m = 0; m < ARRAY_SIZE(modes); m++) {
		const struct CMUnitTest tests[] = {
			cmocka_unit_test_prestate_setup_teardown(test_thp_keeps_one_pin, setup_mode,
								 pnm_test_teardown, &modes[m]),
			cmocka_unit_test_prestate_setup_teardown(test_mixed_runs, setup_mode,
								 pnm_test_teardown, &modes[m]),
			cmocka_unit_test_prestate_setup_teardown(test_small_pages_and_errors,
								 setup_mode, pnm_test_teardown,
								 &modes[m]),
			cmocka_unit_test_prestate_setup_teardown(test_teardown_coalesced,
								 setup_mode, pnm_test_teardown,
								 &modes[m]),
			cmocka_unit_test_prestate_setup_teardown(test_revoked_coalesced, setup_mode,
								 pnm_test_teardown, &modes[m]),
		};

		failed += cmocka_run_group_tests_name(m ? "coalesce (exact)" : "coalesce (linux)",
						      tests, NULL, NULL);
	}
	return failed;
}
