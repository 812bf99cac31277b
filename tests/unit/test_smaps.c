// SPDX-License-Identifier: MIT
/*
 * test_smaps.c - the smaps view (task_mmu.c, pinmm/inspect.h): what a
 * mapping and the whole process hold, by Linux's rules, for anonymous
 * memory (the zero page left out), PMD-mapped THPs and PTE-mapped
 * multi-size THPs, hugetlb pages (only in *_Hugetlb), shmem and shared
 * anonymous memory, a private file mapping before and after COW, swap
 * entries, fork sharing (Pss, Shared_*), mlock (Locked), MADV_FREE
 * (LazyFree), the referenced bits and clear_refs; the field names, the
 * calls' errors and the size rule, and the checker against the RSS
 * counters (it must catch a wrong counter).
 */
#include <string.h>

#include "swap_test.h"

#define KB		1024UL
#define HSZ		PNM_HUGETLB_2M

static struct pnm_smaps_info smaps_at(struct task_struct *t, unsigned long addr)
{
	struct pnm_smaps_info si = { .size = sizeof(si) };

	assert_int_equal(pnm_task_smaps(t, addr, &si), 0);
	assert_int_equal(si.size, sizeof(si));
	assert_true(si.start <= addr && addr < si.end);
	assert_false(si.rollup);
	return si;
}

static struct pnm_smaps_info rollup(struct task_struct *t)
{
	struct pnm_smaps_info si = { .size = sizeof(si) };

	assert_int_equal(pnm_task_smaps_rollup(t, &si), 0);
	assert_true(si.rollup);
	return si;
}

static uint64_t field(const struct pnm_smaps_info *si, const char *name)
{
	uint64_t v = ~0ULL;

	assert_int_equal(pnm_smaps_field(si, name, &v), 0);
	return v;
}

/* The resident parts add up, whatever the case. */
static void assert_parts(const struct pnm_smaps_info *si)
{
	assert_int_equal(si->shared_clean + si->shared_dirty + si->private_clean +
			 si->private_dirty, si->rss);
	assert_true(si->pss <= si->rss);
}

/* --- anonymous memory ------------------------------------------------------------- */

static void test_anon_and_zero_page(void **state)
{
	struct task_struct *t = test_task_create("t");
	unsigned long a = test_mmap(t, 16 * PG, PROT_RW, MAP_ANON_PRIV);
	struct pnm_smaps_info si;
	int i;

	(void)state;
	si = smaps_at(t, a);
	assert_int_equal(si.start, a);
	assert_int_equal(si.end, a + 16 * PG);
	assert_int_equal(si.vma_size, 16 * PG);
	assert_int_equal(si.kernel_page_size, PG);
	assert_int_equal(si.mmu_page_size, PG);
	assert_int_equal(si.rss, 0);
	assert_true(si.vm_flags & PNM_VM_READ);
	assert_true(si.vm_flags & PNM_VM_WRITE);
	assert_true(si.vm_flags & PNM_VM_SOFTDIRTY);

	/* Two reads map the zero page: not resident. */
	test_read_byte(t, a);
	test_read_byte(t, a + PG);
	si = smaps_at(t, a);
	assert_int_equal(si.rss, 0);
	assert_int_equal(si.anonymous, 0);

	for (i = 2; i < 6; i++)
		test_write_byte(t, a + (unsigned long)i * PG, (unsigned char)i);
	si = smaps_at(t, a + 15 * PG);
	assert_int_equal(si.rss, 4 * PG);
	assert_int_equal(si.pss, 4 * PG);
	assert_int_equal(si.pss_dirty, 4 * PG);
	assert_int_equal(si.private_dirty, 4 * PG);
	assert_int_equal(si.shared_clean + si.shared_dirty + si.private_clean, 0);
	assert_int_equal(si.anonymous, 4 * PG);
	assert_int_equal(si.referenced, 4 * PG);
	assert_int_equal(si.anon_huge_pages, 0);
	assert_int_equal(si.swap, 0);
	assert_int_equal(si.locked, 0);
	assert_int_equal(field(&si, "Rss"), 4 * PG);
	assert_int_equal(field(&si, "Size"), 16 * PG);
	assert_int_equal(field(&si, "Pss_Dirty"), 4 * PG);
	/* A mapping's smaps has no Pss_Anon; the rollup has. */
	assert_int_equal(pnm_smaps_field(&si, "Pss_Anon", &(uint64_t){ 0 }), -ENOENT);
	CHECK_ALL();
}

static void test_fork_pss_and_cow(void **state)
{
	struct task_struct *p = test_task_create("p"), *c;
	unsigned long a = test_mmap(p, 4 * PG, PROT_RW, MAP_ANON_PRIV);
	struct pnm_smaps_info sp, sc;
	int i;

	(void)state;
	for (i = 0; i < 4; i++)
		test_write_byte(p, a + (unsigned long)i * PG, 1);
	c = test_fork(p);
	sp = smaps_at(p, a);
	sc = smaps_at(c, a);
	assert_int_equal(sp.rss, 4 * PG);
	assert_int_equal(sc.rss, 4 * PG);
	/* Each page mapped twice: shared, half a share each. */
	assert_int_equal(sp.pss, 2 * PG);
	assert_int_equal(sc.pss, 2 * PG);
	assert_int_equal(sp.private_clean + sp.private_dirty, 0);
	assert_int_equal(sp.shared_clean + sp.shared_dirty, 4 * PG);
	assert_parts(&sc);

	/* The child's write copies page 0: private in both now. */
	test_write_byte(c, a, 2);
	sp = smaps_at(p, a);
	sc = smaps_at(c, a);
	assert_int_equal(sc.private_dirty, PG);
	assert_int_equal(sc.shared_clean + sc.shared_dirty, 3 * PG);
	assert_int_equal(sc.pss, PG + 3 * PG / 2);
	assert_int_equal(sp.private_clean + sp.private_dirty, PG);
	assert_int_equal(sp.pss, PG + 3 * PG / 2);
	assert_parts(&sp);

	/* Three mappers of one page: a third each (rounded down). */
	{
		struct task_struct *g = test_fork(c);
		struct pnm_smaps_info sg = smaps_at(g, a);

		/* page 0: c and g; pages 1..3: p, c and g. */
		assert_int_equal(sg.pss, ((PG << 12) / 2 + 3 * ((PG << 12) / 3)) >> 12);
		assert_int_equal(sg.shared_clean + sg.shared_dirty, 4 * PG);
	}
	CHECK_ALL();
}

static void test_thp_pmd_mapped(void **state)
{
	struct task_struct *t = test_task_create("t");
	unsigned long x = test_mmap(t, 2 * HPAGE_PMD_SIZE, PROT_RW, MAP_ANON_PRIV), h;
	unsigned long plain = test_mmap(t, 2 * HPAGE_PMD_SIZE, PROT_RW, MAP_ANON_PRIV);
	struct pnm_smaps_info si;

	(void)state;
	assert_int_equal(pnm_madvise(t, x, 2 * HPAGE_PMD_SIZE, MADV_HUGEPAGE), 0);
	h = ALIGN(x, HPAGE_PMD_SIZE);
	/* madvise mode: only the advised mapping may get THPs. */
	assert_int_equal(smaps_at(t, x).thp_eligible, 1);
	si = smaps_at(t, plain);
	assert_int_equal(field(&si, "THPeligible"), 0);
	assert_int_equal(pnm_madvise(t, plain, 2 * HPAGE_PMD_SIZE, MADV_NOHUGEPAGE), 0);
	assert_int_equal(smaps_at(t, plain).thp_eligible, 0);

	test_write_byte(t, h + 5, 1);
	assert_true(test_pmd_val(t, h).pmd & _PAGE_PSE);
	si = smaps_at(t, h);
	assert_int_equal(si.anon_huge_pages, HPAGE_PMD_SIZE);
	assert_int_equal(si.rss, HPAGE_PMD_SIZE);
	assert_int_equal(si.anonymous, HPAGE_PMD_SIZE);
	assert_int_equal(si.private_dirty, HPAGE_PMD_SIZE);
	assert_int_equal(si.shmem_pmd_mapped + si.file_pmd_mapped, 0);
	assert_int_equal(rollup(t).anon_huge_pages, HPAGE_PMD_SIZE);

	/* Fork shares the THP: each sees it, at half the share. */
	{
		struct task_struct *c = test_fork(t);
		struct pnm_smaps_info sc = smaps_at(c, h);

		assert_int_equal(sc.anon_huge_pages, HPAGE_PMD_SIZE);
		assert_int_equal(sc.pss, HPAGE_PMD_SIZE / 2);
		assert_int_equal(sc.shared_clean + sc.shared_dirty, HPAGE_PMD_SIZE);
	}
	CHECK_ALL();
}

static void test_mthp_pte_mapped(void **state)
{
	struct task_struct *t = test_task_create("t");
	unsigned long a, x;
	struct pnm_smaps_info si;

	(void)state;
	assert_int_equal(pnm_thp_set_enabled(64 * KB, PNM_THP_ALWAYS), 0);
	x = test_mmap(t, 256 * KB + 64 * KB, PROT_RW, MAP_ANON_PRIV);
	a = ALIGN(x, 64 * KB);
	assert_int_equal(smaps_at(t, a).thp_eligible, 1);
	test_write_byte(t, a, 1);
	assert_int_equal(folio_order(test_folio(t, a)), 4);
	si = smaps_at(t, a);
	/* 64K resident, by PTEs: not AnonHugePages (PMD-mapped only). */
	assert_int_equal(si.rss, 64 * KB);
	assert_int_equal(si.anonymous, 64 * KB);
	assert_int_equal(si.anon_huge_pages, 0);
	assert_int_equal(si.private_dirty, 64 * KB);
	assert_int_equal(si.pss, 64 * KB);
	CHECK_ALL();
}

/* --- hugetlb ------------------------------------------------------------------------ */

static void test_hugetlb(void **state)
{
	struct task_struct *t = test_task_create("t"), *c;
	long priv, shared;
	struct pnm_smaps_info si;

	(void)state;
	assert_int_equal(pnm_hugetlb_set_pages(HSZ, 3), 3);
	priv = pnm_mmap(t, 0, HSZ, PROT_RW, MAP_PRIVATE | MAP_ANONYMOUS | PNM_MAP_HUGETLB,
			NULL, 0);
	shared = pnm_mmap(t, 0, HSZ, PROT_RW, MAP_SHARED | MAP_ANONYMOUS | PNM_MAP_HUGETLB,
			  NULL, 0);
	assert_true(priv > 0 && shared > 0);
	test_write_byte(t, (unsigned long)priv, 1);
	test_write_byte(t, (unsigned long)shared, 1);

	si = smaps_at(t, (unsigned long)priv);
	assert_int_equal(si.kernel_page_size, HSZ);
	assert_int_equal(si.mmu_page_size, HSZ);
	assert_int_equal(si.private_hugetlb, HSZ);
	assert_int_equal(si.shared_hugetlb, 0);
	/* Not in Rss, Pss or Anonymous. */
	assert_int_equal(si.rss, 0);
	assert_int_equal(si.pss, 0);
	assert_int_equal(si.anonymous, 0);
	assert_int_equal(si.thp_eligible, 0);
	assert_true(si.vm_flags & 0x00400000UL);	/* VM_HUGETLB: "ht" */
	assert_int_equal(smaps_at(t, (unsigned long)shared).private_hugetlb, HSZ);

	/* After fork the private folio is mapped twice: shared.  The
	 * shared mapping's entry is not copied (the child refaults), so its
	 * folio is shared only once the child touched it. */
	c = test_fork(t);
	si = smaps_at(c, (unsigned long)priv);
	assert_int_equal(si.shared_hugetlb, HSZ);
	assert_int_equal(si.private_hugetlb, 0);
	assert_int_equal(smaps_at(c, (unsigned long)shared).shared_hugetlb, 0);
	assert_int_equal(smaps_at(t, (unsigned long)shared).private_hugetlb, HSZ);
	assert_int_equal(test_read_byte(c, (unsigned long)shared), 1);
	assert_int_equal(smaps_at(t, (unsigned long)shared).shared_hugetlb, HSZ);
	si = rollup(t);
	assert_int_equal(si.shared_hugetlb, 2 * HSZ);
	assert_int_equal(si.rss, 0);
	CHECK_ALL();
}

/* --- files and shared memory ------------------------------------------------------------ */

static void test_shmem_and_shared_anon(void **state)
{
	struct task_struct *t = test_task_create("t"), *c;
	struct file *f = test_open(PNM_FS_SHMEM, "shm");
	unsigned long m, sa;
	struct pnm_smaps_info si, ro;

	(void)state;
	assert_int_equal(pnm_file_truncate(f, 8 * PG), 0);
	m = test_mmap_file(t, f, 8 * PG, 0);
	sa = test_mmap(t, 4 * PG, PROT_RW, MAP_SHARED | MAP_ANONYMOUS);
	test_write_byte(t, m, 1);
	test_write_byte(t, m + PG, 1);
	test_write_byte(t, sa, 1);
	si = smaps_at(t, m);
	/* Mapped once: private, though the cache holds them too. */
	assert_int_equal(si.rss, 2 * PG);
	assert_int_equal(si.private_dirty, 2 * PG);
	assert_int_equal(si.anonymous, 0);
	assert_int_equal(si.thp_eligible, 0);
	assert_int_equal(smaps_at(t, sa).rss, PG);
	assert_int_equal(smaps_at(t, sa).anonymous, 0);
	ro = rollup(t);
	assert_int_equal(ro.pss_shmem, 3 * PG);
	assert_int_equal(ro.pss_anon + ro.pss_file, 0);
	assert_int_equal(field(&ro, "Pss_Shmem"), 3 * PG);
	assert_int_equal(pnm_smaps_field(&ro, "Size", &(uint64_t){ 0 }), -ENOENT);
	assert_int_equal(pnm_smaps_field(&ro, "THPeligible", &(uint64_t){ 0 }), -ENOENT);

	/* fork copies no entries of a shared file mapping: the child maps
	 * the pages when it touches them, and then they are shared. */
	c = test_fork(t);
	assert_int_equal(smaps_at(c, m).rss, 0);
	test_read_byte(c, m);
	test_read_byte(c, m + PG);
	si = smaps_at(c, m);
	assert_int_equal(si.shared_clean + si.shared_dirty, 2 * PG);
	assert_int_equal(si.pss, PG);
	fput(f);
	CHECK_ALL();
}

static void test_file_private_cow(void **state)
{
	struct task_struct *t = test_task_create("t");
	struct file *f = test_open(PNM_FS_DISK, "data");
	struct pnm_smaps_info si;
	long m;

	(void)state;
	test_fill_file(f, 0, 4 * PG, 3);
	assert_int_equal(pnm_file_fsync(f, 0, INT64_MAX, false), 0);	/* clean */
	m = pnm_mmap(t, 0, 4 * PG, PROT_RW, MAP_PRIVATE, f, 0);
	assert_true(m > 0);
	test_read_byte(t, (unsigned long)m);
	test_read_byte(t, (unsigned long)m + PG);
	si = smaps_at(t, (unsigned long)m);
	/* Two clean page-cache pages, mapped once each. */
	assert_int_equal(si.rss, 2 * PG);
	assert_int_equal(si.private_clean, 2 * PG);
	assert_int_equal(si.anonymous, 0);
	assert_int_equal(rollup(t).pss_file, 2 * PG);

	/* A write copies page 0 into an anonymous page. */
	test_write_byte(t, (unsigned long)m, 9);
	si = smaps_at(t, (unsigned long)m);
	assert_int_equal(si.rss, 2 * PG);
	assert_int_equal(si.anonymous, PG);
	assert_int_equal(si.private_dirty, PG);
	assert_int_equal(si.private_clean, PG);
	si = rollup(t);
	assert_int_equal(si.pss_anon, PG);
	assert_int_equal(si.pss_file, PG);
	fput(f);
	CHECK_ALL();
}

/* --- swap, mlock, MADV_FREE, referenced -------------------------------------------------- */

static void test_swap_and_swap_pss(void **state)
{
	struct task_struct *p = test_task_create("p"), *c;
	unsigned long a = test_mmap(p, 8 * PG, PROT_RW, MAP_ANON_PRIV);
	struct pnm_smaps_info si;

	(void)state;
	swap_test_fill(p, a, 4, 1);
	assert_int_equal(pnm_madvise(p, a, 4 * PG, MADV_PAGEOUT), 0);
	si = smaps_at(p, a);
	assert_int_equal(si.swap, 4 * PG);
	assert_int_equal(si.swap_pss, 4 * PG);
	assert_int_equal(si.rss, 0);
	assert_int_equal(field(&si, "Swap"), 4 * PG);

	/* Each slot is now named by two entries. */
	c = test_fork(p);
	si = smaps_at(c, a);
	assert_int_equal(si.swap, 4 * PG);
	assert_int_equal(si.swap_pss, 2 * PG);
	assert_int_equal(smaps_at(p, a).swap_pss, 2 * PG);

	/* The child reads page 0 back in: one entry fewer. */
	assert_true(swap_test_holds(c, a, 0, 1, 1));
	si = smaps_at(c, a);
	assert_int_equal(si.swap, 3 * PG);
	assert_int_equal(si.rss, PG);
	CHECK_ALL();
}

static void test_locked_lazyfree_referenced(void **state)
{
	struct task_struct *t = test_task_create("t");
	unsigned long a = test_mmap(t, 8 * PG, PROT_RW, MAP_ANON_PRIV);
	unsigned long b = test_mmap(t, 8 * PG, PROT_RW, MAP_ANON_PRIV);
	struct pnm_smaps_info si;
	int i;

	(void)state;
	for (i = 0; i < 4; i++) {
		test_write_byte(t, a + (unsigned long)i * PG, 1);
		test_write_byte(t, b + (unsigned long)i * PG, 1);
	}
	assert_int_equal(pnm_mlock(t, a, 8 * PG), 0);
	si = smaps_at(t, a);
	assert_int_equal(si.locked, si.pss);
	assert_true(si.locked >= 4 * PG);
	assert_true(si.vm_flags & PNM_VM_LOCKED);
	assert_int_equal(smaps_at(t, b).locked, 0);

	assert_int_equal(pnm_madvise(t, b, 2 * PG, MADV_FREE), 0);
	si = smaps_at(t, b);
	assert_int_equal(si.lazyfree, 2 * PG);
	assert_int_equal(si.anonymous, 4 * PG);

	/* clear_refs 1 forgets the referenced state; an access restores it. */
	/* MADV_FREE made its two pages old. */
	assert_int_equal(smaps_at(t, b + 3 * PG).referenced, 2 * PG);
	assert_int_equal(pnm_task_clear_refs(t, PNM_CLEAR_REFS_ALL), 0);
	assert_int_equal(smaps_at(t, b).referenced, 0);
	assert_int_equal(rollup(t).referenced, 0);
	test_read_byte(t, b + 3 * PG);
	assert_int_equal(smaps_at(t, b).referenced, PG);
	/* 3 (mapped pages only) leaves anonymous memory alone. */
	assert_int_equal(pnm_task_clear_refs(t, PNM_CLEAR_REFS_MAPPED), 0);
	assert_int_equal(smaps_at(t, b).referenced, PG);
	assert_int_equal(pnm_task_clear_refs(t, PNM_CLEAR_REFS_ANON), 0);
	assert_int_equal(smaps_at(t, b).referenced, 0);
	CHECK_ALL();
}

/* --- the rollup, names, errors, the checker ------------------------------------------------ */

static void test_rollup_sums(void **state)
{
	struct task_struct *t = test_task_create("t");
	unsigned long a = test_mmap(t, 8 * PG, PROT_RW, MAP_ANON_PRIV);
	unsigned long b = test_mmap(t, 8 * PG, PROT_READ, MAP_ANON_PRIV);
	struct pnm_smaps_info si = { .size = sizeof(si) }, ro;
	uint64_t rss = 0, pss = 0, size = 0, anon = 0;
	unsigned long addr = 0, lo = ~0UL, hi = 0;
	int n = 0;

	(void)state;
	test_write_byte(t, a, 1);
	test_write_byte(t, a + 7 * PG, 1);
	test_read_byte(t, b);
	while (!pnm_task_smaps(t, addr, &si)) {
		rss += si.rss;
		pss += si.pss;
		size += si.vma_size;
		anon += si.anonymous;
		lo = si.start < lo ? si.start : lo;
		hi = si.end;
		addr = si.end;
		n++;
	}
	assert_true(n >= 1);
	ro = rollup(t);
	assert_int_equal(ro.rss, rss);
	assert_int_equal(ro.pss, pss);
	assert_int_equal(ro.anonymous, anon);
	assert_int_equal(ro.vma_size, size);
	assert_int_equal(ro.rss, 2 * PG);
	assert_int_equal(ro.pss_anon, 2 * PG);
	assert_int_equal(ro.start, lo);
	assert_int_equal(ro.end, hi);
	assert_int_equal(ro.vm_flags, 0);
	assert_int_equal(pnm_task_smaps(t, hi, &si), -ENOENT);
	CHECK_ALL();
}

static void test_field_names(void **state)
{
	static const char *const vma_only[] = { "Size", "KernelPageSize", "MMUPageSize",
						"THPeligible", "VmFlags" };
	static const char *const rollup_only[] = { "Pss_Anon", "Pss_File", "Pss_Shmem" };
	struct pnm_smaps_info si = { .size = sizeof(si) };
	bool vma_too, rollup_too;
	const char *name;
	unsigned int i, n = 0;
	uint64_t v;

	(void)state;
	for (i = 0; (name = pnm_smaps_field_name(i, &vma_too, &rollup_too)); i++) {
		n++;
		assert_true(vma_too || rollup_too);
		si.rollup = false;
		assert_int_equal(pnm_smaps_field(&si, name, &v), vma_too ? 0 : -ENOENT);
		si.rollup = true;
		assert_int_equal(pnm_smaps_field(&si, name, &v), rollup_too ? 0 : -ENOENT);
	}
	assert_int_equal(n, 27);
	assert_string_equal(pnm_smaps_field_name(0, NULL, NULL), "Size");
	assert_null(pnm_smaps_field_name(n, NULL, NULL));
	for (i = 0; i < ARRAY_SIZE(vma_only); i++) {
		si.rollup = true;
		assert_int_equal(pnm_smaps_field(&si, vma_only[i], &v), -ENOENT);
	}
	for (i = 0; i < ARRAY_SIZE(rollup_only); i++) {
		si.rollup = false;
		assert_int_equal(pnm_smaps_field(&si, rollup_only[i], &v), -ENOENT);
	}
	/* Exactly Linux's spelling. */
	assert_int_equal(pnm_smaps_field(&si, "rss", &v), -ENOENT);
	assert_int_equal(pnm_smaps_field(&si, "AnonHugePage", &v), -ENOENT);
	assert_int_equal(pnm_smaps_field(&si, NULL, &v), -EINVAL);
	assert_int_equal(pnm_smaps_field(NULL, "Rss", &v), -EINVAL);
	assert_int_equal(pnm_smaps_field(&si, "Rss", NULL), -EINVAL);
	/* A caller's structure that ends before a field does not have it. */
	si.rollup = false;
	si.size = offsetof(struct pnm_smaps_info, swap);
	assert_int_equal(pnm_smaps_field(&si, "Rss", &v), 0);
	assert_int_equal(pnm_smaps_field(&si, "Swap", &v), -ENOENT);
	assert_int_equal(pnm_smaps_field(&si, "THPeligible", &v), -ENOENT);
	si.size = sizeof(si);
	si.vm_flags = PNM_VM_READ | PNM_VM_SOFTDIRTY;
	si.thp_eligible = 1;
	assert_int_equal(field(&si, "VmFlags"), PNM_VM_READ | PNM_VM_SOFTDIRTY);
	assert_int_equal(field(&si, "THPeligible"), 1);
}

static void test_errors(void **state)
{
	struct task_struct *t = test_task_create("t"), *c;
	struct pnm_smaps_info si = { .size = sizeof(si) - 1 };
	unsigned long a = test_mmap(t, 4 * PG, PROT_RW, MAP_ANON_PRIV);

	(void)state;
	assert_int_equal(pnm_task_smaps(t, a, &si), -EINVAL);
	assert_int_equal(pnm_task_smaps_rollup(t, &si), -EINVAL);
	si.size = sizeof(si);
	assert_int_equal(pnm_task_smaps(NULL, a, &si), -EINVAL);
	assert_int_equal(pnm_task_smaps(t, a, NULL), -EINVAL);
	assert_int_equal(pnm_task_smaps_rollup(NULL, &si), -EINVAL);
	assert_int_equal(pnm_task_clear_refs(t, (enum pnm_clear_refs)0), -EINVAL);
	assert_int_equal(pnm_task_clear_refs(t, (enum pnm_clear_refs)5), -EINVAL);
	assert_int_equal(pnm_task_clear_refs(NULL, PNM_CLEAR_REFS_ALL), -EINVAL);
	/* A larger caller's structure gets the library's part. */
	{
		struct { struct pnm_smaps_info si; uint64_t more; } big;

		memset(&big, 0x5a, sizeof(big));
		big.si.size = sizeof(big);
		assert_int_equal(pnm_task_smaps(t, a, &big.si), 0);
		assert_int_equal(big.si.size, sizeof(big.si));
		assert_int_equal(big.more, 0x5a5a5a5a5a5a5a5aULL);
	}
	c = test_fork(t);
	pnm_task_exit(c);
	assert_int_equal(pnm_task_smaps(c, a, &si), -ESRCH);
	assert_int_equal(pnm_task_smaps_rollup(c, &si), -ESRCH);
	assert_int_equal(pnm_task_clear_refs(c, PNM_CLEAR_REFS_SOFT_DIRTY), -ESRCH);
	CHECK_ALL();
}

/* The checker compares with the RSS counters: a wrong counter shows. */
static void test_checker_catches_counter(void **state)
{
	struct task_struct *t = test_task_create("t");
	unsigned long a = test_mmap(t, 4 * PG, PROT_RW, MAP_ANON_PRIV);
	struct mm_struct *mm = t->mm;
	static const int members[] = { MM_ANONPAGES, MM_FILEPAGES, MM_SHMEMPAGES, MM_SWAPENTS };
	size_t i;

	(void)state;
	test_write_byte(t, a, 1);
	mmap_read_lock(mm);
	assert_true(pnm_check_smaps(mm));
	for (i = 0; i < ARRAY_SIZE(members); i++) {
		add_mm_counter(mm, members[i], 1);
		assert_false(pnm_check_smaps(mm));
		add_mm_counter(mm, members[i], -1);
		assert_true(pnm_check_smaps(mm));
	}
	mmap_read_unlock(mm);
	CHECK_ALL();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		PNM_TEST(test_anon_and_zero_page),
		PNM_TEST(test_fork_pss_and_cow),
		PNM_TEST(test_thp_pmd_mapped),
		PNM_TEST(test_mthp_pte_mapped),
		PNM_TEST(test_hugetlb),
		PNM_TEST(test_shmem_and_shared_anon),
		PNM_TEST(test_file_private_cow),
		cmocka_unit_test_setup_teardown(test_swap_and_swap_pss, swap_test_setup,
						pnm_test_teardown),
		PNM_TEST(test_locked_lazyfree_referenced),
		PNM_TEST(test_rollup_sums),
		PNM_TEST(test_field_names),
		PNM_TEST(test_errors),
		PNM_TEST(test_checker_catches_counter),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
