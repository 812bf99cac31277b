// SPDX-License-Identifier: MIT
/*
 * test_sysctl.c - the knobs of pinmm/sysctl.h: the table and its names
 * ('/' for '.'), reading and writing as text with the range and word
 * checks (nothing changes on error), pnm_init() restoring the defaults,
 * and what each knob changes: vm.max_map_count (mmap and munmap's middle
 * split -ENOMEM at the count), transparent_hugepage.enabled (never:
 * small pages even with MADV_HUGEPAGE; always: a THP without it) and
 * .use_zero_page (off: a read fault allocates a THP, so a short-term R/O
 * pin pins a THP of its own instead of the huge zero page), also
 * reflected in pnm_get_config(); vm.nr_hugepages and
 * vm.nr_overcommit_hugepages (the 2 MiB pool), the per-size switches
 * transparent_hugepage.hugepages-<size>kB.enabled (four words, inherit
 * among them) and khugepaged's max_ptes_none (max_ptes_swap:
 * test_khugepaged_swap.c).  vm.memfd_noexec is tested with memfd_create
 * (test_memfd.c).
 */
#include <string.h>

#include "gup_test.h"

static void read_knob(const char *name, const char *want)
{
	char buf[64];
	int n = pnm_sysctl_read(name, buf, sizeof(buf));

	assert_int_equal(n, (int)strlen(want));
	assert_string_equal(buf, want);
}

static void test_table_and_errors(void **state)
{
	char buf[8];
	int i, n = 0;

	(void)state;
	for (i = 0; pnm_sysctl_name(i); i++)
		n++;
	assert_int_equal(n, 17);
	assert_null(pnm_sysctl_name(-1));
	assert_string_equal(pnm_sysctl_name(0), "vm.max_map_count");

	read_knob("vm.max_map_count", "65530");
	read_knob("vm/max_map_count", "65530");
	read_knob("vm.memfd_noexec", "0");
	read_knob("transparent_hugepage.enabled", "always [madvise] never");
	read_knob("transparent_hugepage/use_zero_page", "1");
	/* Cut like snprintf, length of the whole text returned. */
	assert_int_equal(pnm_sysctl_read("transparent_hugepage.enabled", buf, sizeof(buf)),
			 (int)strlen("always [madvise] never"));
	assert_string_equal(buf, "always ");
	assert_int_equal(pnm_sysctl_read("vm.max_map_count", NULL, 0), 5);

	assert_int_equal(pnm_sysctl_read("vm.nope", buf, sizeof(buf)), -ENOENT);
	assert_int_equal(pnm_sysctl_read("vm.max_map_coun", buf, sizeof(buf)), -ENOENT);
	assert_int_equal(pnm_sysctl_read(NULL, buf, sizeof(buf)), -EINVAL);
	assert_int_equal(pnm_sysctl_read("vm.max_map_count", NULL, 4), -EINVAL);
	assert_int_equal(pnm_sysctl_write("vm.nope", "1"), -ENOENT);
	assert_int_equal(pnm_sysctl_write("vm.max_map_count", NULL), -EINVAL);
	assert_int_equal(pnm_sysctl_write(NULL, "1"), -EINVAL);
	/* Bad values change nothing. */
	assert_int_equal(pnm_sysctl_write("vm.max_map_count", "-1"), -EINVAL);
	assert_int_equal(pnm_sysctl_write("vm.max_map_count", "2147483648"), -EINVAL);
	assert_int_equal(pnm_sysctl_write("vm.max_map_count", "12x"), -EINVAL);
	assert_int_equal(pnm_sysctl_write("vm.max_map_count", ""), -EINVAL);
	assert_int_equal(pnm_sysctl_write("vm.max_map_count", "\n"), -EINVAL);
	assert_int_equal(pnm_sysctl_write("vm.memfd_noexec", "3"), -EINVAL);
	assert_int_equal(pnm_sysctl_write("transparent_hugepage.use_zero_page", "2"), -EINVAL);
	assert_int_equal(pnm_sysctl_write("transparent_hugepage.enabled", "sometimes"), -EINVAL);
	assert_int_equal(pnm_sysctl_write("transparent_hugepage.enabled", "[always]"), -EINVAL);
	read_knob("vm.max_map_count", "65530");
	read_knob("vm.memfd_noexec", "0");
	read_knob("transparent_hugepage.use_zero_page", "1");
	read_knob("transparent_hugepage.enabled", "always [madvise] never");

	/* Good values, a trailing newline as echo(1) writes it. */
	assert_int_equal(pnm_sysctl_write("vm/max_map_count", "1000\n"), 0);
	read_knob("vm.max_map_count", "1000");
	assert_int_equal(pnm_sysctl_write("vm.memfd_noexec", "2"), 0);
	read_knob("vm.memfd_noexec", "2");
	assert_int_equal(pnm_sysctl_write("transparent_hugepage.enabled", "never\n"), 0);
	read_knob("transparent_hugepage.enabled", "always madvise [never]");
	assert_int_equal(pnm_get_config()->thp, PNM_THP_NEVER);
	assert_int_equal(pnm_sysctl_write("transparent_hugepage.use_zero_page", "0"), 0);
	assert_false(pnm_get_config()->thp_use_zero_page);
	CHECK_ALL();
}

/* A new model starts from the defaults again (the THP knobs from its
 * configuration). */
static void test_init_restores(void **state)
{
	struct pnm_config cfg;

	(void)state;
	assert_int_equal(pnm_sysctl_write("vm.max_map_count", "7"), 0);
	assert_int_equal(pnm_sysctl_write("vm.memfd_noexec", "1"), 0);
	assert_int_equal(pnm_fini(), 0);
	/* Outside a model nothing is there to read or write. */
	assert_int_equal(pnm_sysctl_write("vm.max_map_count", "7"), -EINVAL);
	assert_int_equal(pnm_sysctl_read("vm.max_map_count", NULL, 0), -EINVAL);
	pnm_test_config(&cfg);
	cfg.thp = PNM_THP_ALWAYS;
	cfg.thp_use_zero_page = false;
	pnm_test_init_with(&cfg);
	read_knob("vm.max_map_count", "65530");
	read_knob("vm.memfd_noexec", "0");
	read_knob("transparent_hugepage.enabled", "[always] madvise never");
	read_knob("transparent_hugepage.use_zero_page", "0");
}

static void test_max_map_count(void **state)
{
	struct task_struct *t = gt_task("t");
	unsigned long a, b;
	char buf[16];
	int i;

	(void)state;
	/* Mappings that cannot merge: every other page left unmapped. */
	a = test_mmap(t, 6 * PG, PROT_READ, PRIV);
	for (i = 1; i < 6; i += 2)
		assert_int_equal(pnm_mm_munmap(t->mm, a + (unsigned long)i * PG, PG), 0);
	assert_int_equal(t->mm->map_count, 3);
	snprintf(buf, sizeof(buf), "%d", t->mm->map_count);
	assert_int_equal(pnm_sysctl_write("vm.max_map_count", buf), 0);
	/* At the limit an mmap still goes (Linux checks "more than"). */
	a = (unsigned long)pnm_mm_mmap(t->mm, 0, 4 * PG, RW, PRIV, NULL, 0);
	assert_true((long)a > 0);
	gt_write(t, a, 0x11, 4 * PG);
	b = (unsigned long)pnm_mm_mmap(t->mm, a + 16 * PG, PG, PROT_READ, PRIV, NULL, 0);
	assert_int_equal((long)b, -ENOMEM);
	/* Above it: munmap may not split a mapping in the middle ... */
	assert_int_equal(pnm_mm_munmap(t->mm, a + PG, PG), -ENOMEM);
	assert_int_equal(test_read_byte(t, a + PG), 0x11);
	/* ... but may cut one at an edge (no new mapping). */
	assert_int_equal(pnm_mm_munmap(t->mm, a + 3 * PG, PG), 0);
	CHECK_ALL();
	/* Raised again, both work. */
	assert_int_equal(pnm_sysctl_write("vm.max_map_count", "65530"), 0);
	assert_int_equal(pnm_mm_munmap(t->mm, a + PG, PG), 0);
	b = (unsigned long)pnm_mm_mmap(t->mm, 0, PG, PROT_READ, PRIV, NULL, 0);
	assert_true((long)b > 0);
	CHECK_ALL();
}

/* A 2 MiB aligned private area, advised MADV_HUGEPAGE if @advise. */
static unsigned long thp_area(struct task_struct *t, bool advise)
{
	unsigned long a = test_mmap(t, PMD_SIZE, RW, PRIV);

	assert_true(IS_ALIGNED(a, PMD_SIZE));
	if (advise)
		assert_int_equal(pnm_mm_madvise(t->mm, a, PMD_SIZE, MADV_HUGEPAGE), 0);
	return a;
}

static void test_thp_knobs(void **state)
{
	struct task_struct *t = gt_task("t");
	long allocs = global_stat(THP_FAULT_ALLOC);
	struct page *pages[2];
	unsigned long a;
	long acquired;

	(void)state;
	/* never: small pages even where advised. */
	assert_int_equal(pnm_sysctl_write("transparent_hugepage.enabled", "never"), 0);
	a = thp_area(t, true);
	gt_write(t, a, 1, 1);
	assert_false(pmd_trans_huge(test_pmd_val(t, a)));
	assert_int_equal(global_stat(THP_FAULT_ALLOC), allocs);

	/* always: a THP without advice. */
	assert_int_equal(pnm_sysctl_write("transparent_hugepage.enabled", "always"), 0);
	a = thp_area(t, false);
	gt_write(t, a, 1, 1);
	assert_true(pmd_trans_huge(test_pmd_val(t, a)));
	assert_int_equal(global_stat(THP_FAULT_ALLOC), allocs + 1);

	/* use_zero_page on: a R/O pin of an untouched area pins the huge
	 * zero page. */
	a = thp_area(t, false);
	acquired = global_stat(NR_FOLL_PIN_ACQUIRED);
	assert_int_equal(gt_pin_fast(t, a, 1, 0, pages), 1);
	assert_true(is_huge_zero_folio(page_folio(pages[0])));
	assert_int_equal(global_stat(NR_FOLL_PIN_ACQUIRED), acquired + 1);
	unpin_user_page(pages[0]);
	/* Off: the read fault allocates a THP, which the pin pins. */
	assert_int_equal(pnm_sysctl_write("transparent_hugepage.use_zero_page", "0"), 0);
	a = thp_area(t, false);
	assert_int_equal(gt_pin_fast(t, a, 1, 0, pages), 1);
	assert_false(is_huge_zero_folio(page_folio(pages[0])));
	assert_int_equal(folio_order(page_folio(pages[0])), HPAGE_PMD_ORDER);
	assert_true(folio_maybe_dma_pinned(page_folio(pages[0])));
	assert_int_equal(global_stat(THP_FAULT_ALLOC), allocs + 2);
	unpin_user_page(pages[0]);
	CHECK_ALL();
}

/* The 2 MiB hugetlb pool through vm.nr_hugepages and
 * vm.nr_overcommit_hugepages. */
static void test_hugetlb_knobs(void **state)
{
	struct pnm_hugetlb_info hi = { .size = sizeof(hi) };
	struct task_struct *t = gt_task("t");
	long a;

	(void)state;
	read_knob("vm.nr_hugepages", "0");
	read_knob("vm.nr_overcommit_hugepages", "0");
	assert_int_equal(pnm_sysctl_write("vm.nr_hugepages", "3\n"), 0);
	read_knob("vm/nr_hugepages", "3");
	assert_int_equal(pnm_hugetlb_get_info(PNM_HUGETLB_2M, &hi), 0);
	assert_int_equal(hi.total, 3);
	assert_int_equal(hi.free, 3);
	assert_int_equal(pnm_sysctl_write("vm.nr_hugepages", "-1"), -EINVAL);
	assert_int_equal(pnm_sysctl_write("vm.nr_overcommit_hugepages", "x"), -EINVAL);
	read_knob("vm.nr_hugepages", "3");
	/* Five pages: only with two surplus pages allowed. */
	a = pnm_mmap(t, 0, 5 * PNM_HUGETLB_2M, RW, PRIV | PNM_MAP_HUGETLB, NULL, 0);
	assert_int_equal(a, -ENOMEM);
	assert_int_equal(pnm_sysctl_write("vm.nr_overcommit_hugepages", "2"), 0);
	read_knob("vm.nr_overcommit_hugepages", "2");
	a = pnm_mmap(t, 0, 5 * PNM_HUGETLB_2M, RW, PRIV | PNM_MAP_HUGETLB, NULL, 0);
	assert_true(a > 0);
	assert_int_equal(pnm_hugetlb_get_info(PNM_HUGETLB_2M, &hi), 0);
	assert_int_equal(hi.total, 5);
	assert_int_equal(hi.surplus, 2);
	read_knob("vm.nr_hugepages", "3");		/* the persistent size */
	CHECK_ALL();
	assert_int_equal(pnm_munmap(t, (unsigned long)a, 5 * PNM_HUGETLB_2M), 0);
	assert_int_equal(pnm_sysctl_write("vm.nr_hugepages", "0"), 0);
	assert_int_equal(pnm_hugetlb_get_info(PNM_HUGETLB_2M, &hi), 0);
	assert_int_equal(hi.total, 0);
	CHECK_ALL();
}

/* The per-size THP switches. */
static void test_mthp_knobs(void **state)
{
	struct task_struct *t = gt_task("t");
	unsigned long a;

	(void)state;
	read_knob("transparent_hugepage.hugepages-64kB.enabled", "always inherit madvise [never]");
	read_knob("transparent_hugepage/hugepages-2048kB/enabled",
		  "always [inherit] madvise never");
	assert_int_equal(pnm_sysctl_read("transparent_hugepage.hugepages-8kB.enabled", NULL, 0),
			 -ENOENT);
	/* "inherit" only for a size's own switch. */
	assert_int_equal(pnm_sysctl_write("transparent_hugepage.enabled", "inherit"), -EINVAL);
	assert_int_equal(pnm_sysctl_write("transparent_hugepage.hugepages-64kB.enabled", "on"),
			 -EINVAL);
	assert_int_equal(pnm_sysctl_write("transparent_hugepage.hugepages-2048kB.enabled", "never"),
			 0);
	assert_int_equal(pnm_sysctl_write("transparent_hugepage.hugepages-64kB.enabled", "always"),
			 0);
	read_knob("transparent_hugepage.hugepages-64kB.enabled", "[always] inherit madvise never");
	assert_int_equal(pnm_thp_get_enabled(64 << 10), PNM_THP_ALWAYS);
	/* A write fault now gets a 64 KiB folio. */
	a = thp_area(t, false);
	gt_write(t, a, 1, 1);
	assert_int_equal(folio_order(test_folio(t, a)), 4);
	CHECK_ALL();
}

/* khugepaged reads max_ptes_none at each block. */
static void test_khugepaged_knobs(void **state)
{
	struct task_struct *t = gt_task("t");
	unsigned long a;

	(void)state;
	read_knob("transparent_hugepage.khugepaged.max_ptes_none", "511");
	read_knob("transparent_hugepage.khugepaged.max_ptes_swap", "64");
	read_knob("transparent_hugepage/khugepaged/max_ptes_shared", "256");
	assert_int_equal(pnm_sysctl_write("transparent_hugepage.khugepaged.max_ptes_none", "512"),
			 -EINVAL);
	assert_int_equal(pnm_sysctl_write("transparent_hugepage.khugepaged.max_ptes_shared", "-1"),
			 -EINVAL);
	/* One page in the block: 511 empty entries. */
	assert_int_equal(pnm_sysctl_write("transparent_hugepage.enabled", "never"), 0);
	a = thp_area(t, true);
	gt_write(t, a, 1, 1);
	assert_int_equal(pnm_sysctl_write("transparent_hugepage.enabled", "madvise"), 0);
	assert_int_equal(pnm_sysctl_write("transparent_hugepage.khugepaged.max_ptes_none", "510"),
			 0);
	assert_int_equal(pnm_khugepaged_scan(t, ~0UL), 0);
	assert_false(pmd_trans_huge(test_pmd_val(t, a)));
	assert_int_equal(pnm_sysctl_write("transparent_hugepage.khugepaged.max_ptes_none", "511"),
			 0);
	assert_int_equal(pnm_khugepaged_scan(t, ~0UL), 1);
	assert_true(pmd_trans_huge(test_pmd_val(t, a)));
	CHECK_ALL();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_table_and_errors, pnm_test_setup,
						pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_init_restores, pnm_test_setup,
						pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_max_map_count, pnm_test_setup,
						pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_thp_knobs, pnm_test_setup,
						pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_hugetlb_knobs, pnm_test_setup,
						pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_mthp_knobs, pnm_test_setup,
						pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_khugepaged_knobs, pnm_test_setup,
						pnm_test_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
