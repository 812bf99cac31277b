/* SPDX-License-Identifier: MIT */
/*
 * test_rmap.c - the reverse map: mapcounts, what a walk of the anon_vma
 * tree finds, RSS and NR_* through fault, fork and unmap; migration
 * entries (try_to_migrate and remove_migration_ptes restore exactly the
 * same PTEs and exclusivity, pinned pages refuse), also while another
 * thread holds the other process's mmap_lock for write; anon_vma families
 * across fork, split, merge and exit (and their reuse in a chain of
 * forks); the pin queries in both accounting modes; fork copying a
 * maybe-pinned page; and pnm_check_folio() noticing corruption.
 */
#include <pthread.h>
#include <string.h>

#include "test_util.h"
#include "pinmm_test_internal.h"

#define MAP_ANON_PRIV	(MAP_PRIVATE | MAP_ANONYMOUS)
#define PROT_RW		(PROT_READ | PROT_WRITE)

struct count_arg {
	struct mm_struct *mm;		/* NULL: any */
	unsigned long addr;
	unsigned int flags;		/* PVMW_MIGRATION or 0 */
	int n;
};

static bool count_one(struct folio *folio, struct vm_area_struct *vma,
		      unsigned long address, void *arg)
{
	struct count_arg *ca = arg;
	DEFINE_FOLIO_VMA_WALK(pvmw, folio, vma, address, ca->flags);

	while (page_vma_mapped_walk(&pvmw))
		if (!ca->mm || (vma->vm_mm == ca->mm && pvmw.address == ca->addr))
			ca->n++;
	return true;
}

/*
 * Entries (present mappings, or migration entries with PVMW_MIGRATION)
 * of @folio that a walk of its reverse map finds: total, or those of @mm
 * at @addr.  The caller keeps the anon_vma alive: the folio mapped, or a
 * reference (folio_get_anon_vma).
 */
static int nr_found(struct folio *folio, struct mm_struct *mm, unsigned long addr,
		    unsigned int flags)
{
	struct count_arg ca = { .mm = mm, .addr = addr, .flags = flags };
	struct rmap_walk_control rwc = { .arg = &ca, .rmap_one = count_one };

	rmap_walk(folio, &rwc);
	return ca.n;
}

static int nr_items(struct folio *folio, struct mm_struct *mm, unsigned long addr)
{
	return nr_found(folio, mm, addr, 0);
}

/* The raw PTE at @addr; the caller holds @mm's mmap_lock. */
static pte_t raw_pte(struct mm_struct *mm, unsigned long addr)
{
	pmd_t *pmd = pnm_pmd_lookup(mm, addr);

	assert_non_null(pmd);
	assert_false(pmd_trans_huge(pmdp_get(pmd)));
	return ptep_get(pte_offset_kernel(pmd, addr));
}

/* A private page written at @addr: exclusive, mapped once, counted once. */
static void test_fault_fork_unmap_counts(void **state)
{
	struct task_struct *a = test_task_create("a"), *c;
	unsigned long x = test_mmap(a, 4 * PAGE_SIZE, PROT_RW, MAP_ANON_PRIV);
	long anon_mapped = global_stat(NR_ANON_MAPPED);
	struct anon_vma *av;
	struct folio *folio;

	(void)state;
	test_write_byte(a, x + 10, 0x5a);
	CHECK_ALL();
	folio = test_folio(a, x);
	assert_true(folio_test_anon(folio));
	assert_true(folio_test_swapbacked(folio));
	assert_int_equal(folio->index, x >> PAGE_SHIFT);
	assert_int_equal(atomic_read(&folio->page._mapcount), 1);
	assert_int_equal(folio_mapcount(folio), 1);
	assert_true(folio_mapped(folio));
	assert_int_equal(nr_items(folio, NULL, 0), 1);
	assert_int_equal(nr_items(folio, a->mm, x), 1);
	assert_true(PageAnonExclusive(&folio->page));
	assert_int_equal(folio_ref_count(folio), 1);
	assert_int_equal(get_mm_counter(a->mm, MM_ANONPAGES), 1);
	assert_int_equal(global_stat(NR_ANON_MAPPED), anon_mapped + 1);

	c = test_fork(a);
	CHECK_ALL();
	assert_ptr_equal(test_folio(c, x), folio);
	assert_int_equal(atomic_read(&folio->page._mapcount), 2);
	assert_int_equal(nr_items(folio, NULL, 0), 2);
	assert_int_equal(nr_items(folio, c->mm, x), 1);
	assert_false(PageAnonExclusive(&folio->page));
	assert_int_equal(folio_ref_count(folio), 2);
	assert_int_equal(get_mm_counter(c->mm, MM_ANONPAGES), 1);
	/* Still one base page mapped, however many times. */
	assert_int_equal(global_stat(NR_ANON_MAPPED), anon_mapped + 1);

	assert_int_equal(pnm_mm_munmap(c->mm, x, 4 * PAGE_SIZE), 0);
	CHECK_ALL();
	assert_int_equal(atomic_read(&folio->page._mapcount), 1);
	assert_int_equal(nr_items(folio, NULL, 0), 1);
	assert_int_equal(nr_items(folio, a->mm, x), 1);
	assert_int_equal(get_mm_counter(c->mm, MM_ANONPAGES), 0);
	assert_int_equal(global_stat(NR_ANON_MAPPED), anon_mapped + 1);

	/* The last mapping goes: page unmapped, counted out, freed.  (Our
	 * reference on its anon_vma keeps the reverse map walkable.) */
	folio_get(folio);
	av = folio_get_anon_vma(folio);
	assert_non_null(av);
	assert_int_equal(pnm_mm_munmap(a->mm, x, 4 * PAGE_SIZE), 0);
	assert_int_equal(folio_mapcount(folio), 0);
	assert_false(folio_mapped(folio));
	assert_int_equal(nr_items(folio, NULL, 0), 0);
	assert_null(folio_get_anon_vma(folio));		/* unmapped: none to take */
	put_anon_vma(av);
	assert_false(PageAnonExclusive(&folio->page));
	assert_int_equal(global_stat(NR_ANON_MAPPED), anon_mapped);
	assert_int_equal(get_mm_counter(a->mm, MM_ANONPAGES), 0);
	assert_int_equal(folio_ref_count(folio), 1);
	folio_put(folio);
	CHECK_ALL();
}

/*
 * Replace every mapping of @folio by a migration entry and back, checking
 * the entries, counts and references in between and that the PTEs come
 * back bit for bit.  @mms / @addrs: the mappings (same address in each).
 */
static void round_trip(struct folio *folio, struct mm_struct **mms, int nr,
		       unsigned long addr, unsigned int want_type)
{
	long anon_mapped = global_stat(NR_ANON_MAPPED);
	int refs = folio_ref_count(folio), mapcount = folio_mapcount(folio);
	bool excl = PageAnonExclusive(&folio->page);
	struct anon_vma *anon_vma;
	long rss[4];
	pte_t before[4];
	int i;

	assert_true(nr <= 4);
	folio_get(folio);
	folio_lock(folio);
	anon_vma = folio_get_anon_vma(folio);
	assert_non_null(anon_vma);
	assert_int_equal(nr_items(folio, NULL, 0), nr);
	for (i = 0; i < nr; i++) {
		before[i] = raw_pte(mms[i], addr);
		assert_true(pte_present(before[i]));
		rss[i] = get_mm_counter(mms[i], MM_ANONPAGES);
	}

	assert_true(try_to_migrate(folio));
	assert_false(folio_mapped(folio));
	/* Migration entries own no reference: only ours is left. */
	assert_int_equal(folio_ref_count(folio), 1);
	assert_int_equal(global_stat(NR_ANON_MAPPED), anon_mapped - 1);
	assert_false(PageAnonExclusive(&folio->page));
	assert_int_equal(nr_items(folio, NULL, 0), 0);
	assert_int_equal(nr_found(folio, NULL, 0, PVMW_MIGRATION), nr);
	for (i = 0; i < nr; i++) {
		pte_t pte = raw_pte(mms[i], addr);
		swp_entry_t e = pte_to_swp_entry(pte);

		assert_true(is_swap_pte(pte));
		assert_true(is_migration_entry(e));
		assert_int_equal(swp_type(e), want_type);
		assert_int_equal(swp_offset_pfn(e), folio_pfn(folio));
		assert_int_equal(get_mm_counter(mms[i], MM_ANONPAGES), rss[i] - 1);
	}

	remove_migration_ptes(folio, folio);
	for (i = 0; i < nr; i++) {
		assert_int_equal(pte_val(raw_pte(mms[i], addr)), pte_val(before[i]));
		assert_int_equal(get_mm_counter(mms[i], MM_ANONPAGES), rss[i]);
	}
	assert_int_equal(PageAnonExclusive(&folio->page), excl);
	assert_int_equal(folio_ref_count(folio), refs + 1);
	assert_int_equal(folio_mapcount(folio), mapcount);
	assert_int_equal(global_stat(NR_ANON_MAPPED), anon_mapped);
	assert_int_equal(nr_found(folio, NULL, 0, PVMW_MIGRATION), 0);
	put_anon_vma(anon_vma);
	assert_true(pnm_check_folio(folio));
	folio_unlock(folio);
	folio_put(folio);
}

/* Writable, read-only exclusive, and COW-shared pages each round-trip. */
static void test_migration_round_trip(void **state)
{
	struct task_struct *a = test_task_create("a"), *c;
	unsigned long x = test_mmap(a, 4 * PAGE_SIZE, PROT_RW, MAP_ANON_PRIV);
	struct mm_struct *mms[2];
	struct folio *folio;

	(void)state;
	mms[0] = a->mm;
	test_write_byte(a, x, 1);
	test_write_byte(a, x + PAGE_SIZE, 2);
	test_write_byte(a, x + 2 * PAGE_SIZE, 3);

	/* Writable and exclusive. */
	round_trip(test_folio(a, x), mms, 1, x, SWP_MIGRATION_WRITE);
	CHECK_ALL();
	assert_int_equal(test_read_byte(a, x), 1);

	/* Read-only but exclusive (mprotect keeps PG_anon_exclusive). */
	assert_int_equal(pnm_mm_mprotect(a->mm, x + PAGE_SIZE, PAGE_SIZE, PROT_READ), 0);
	folio = test_folio(a, x + PAGE_SIZE);
	assert_true(PageAnonExclusive(&folio->page));
	round_trip(folio, mms, 1, x + PAGE_SIZE, SWP_MIGRATION_READ_EXCLUSIVE);
	CHECK_ALL();
	assert_true(PageAnonExclusive(&folio->page));

	/* COW-shared with a child: readable entries in both mms. */
	c = test_fork(a);
	mms[1] = c->mm;
	folio = test_folio(a, x + 2 * PAGE_SIZE);
	assert_ptr_equal(test_folio(c, x + 2 * PAGE_SIZE), folio);
	round_trip(folio, mms, 2, x + 2 * PAGE_SIZE, SWP_MIGRATION_READ);
	CHECK_ALL();
	assert_int_equal(test_read_byte(c, x + 2 * PAGE_SIZE), 3);
	test_write_byte(c, x + 2 * PAGE_SIZE, 4);
	assert_int_equal(test_read_byte(a, x + 2 * PAGE_SIZE), 3);
	CHECK_ALL();
}

/* A maybe-pinned exclusive anon page stops try_to_migrate; nothing moves. */
static void test_migration_refused_when_pinned(void **state)
{
	struct task_struct *a = test_task_create("a");
	unsigned long x = test_mmap(a, PAGE_SIZE, PROT_RW, MAP_ANON_PRIV);
	struct anon_vma *anon_vma;
	struct folio *folio;
	pte_t before;

	(void)state;
	test_write_byte(a, x, 9);
	folio = test_folio(a, x);
	folio_get(folio);
	folio_lock(folio);
	anon_vma = folio_get_anon_vma(folio);
	assert_non_null(anon_vma);
	before = raw_pte(a->mm, x);
	/* A fake FOLL_PIN in Linux accounting (small folio: refcount bias). */
	folio_ref_add(folio, GUP_PIN_COUNTING_BIAS);
	assert_true(folio_maybe_dma_pinned(folio));
	assert_false(try_to_migrate(folio));
	assert_int_equal(pte_val(raw_pte(a->mm, x)), pte_val(before));
	assert_true(PageAnonExclusive(&folio->page));
	assert_true(folio_mapped(folio));
	remove_migration_ptes(folio, folio);	/* nothing to restore */
	assert_int_equal(pte_val(raw_pte(a->mm, x)), pte_val(before));
	atomic_sub(GUP_PIN_COUNTING_BIAS, &folio->_refcount);
	put_anon_vma(anon_vma);
	folio_unlock(folio);
	folio_put(folio);
	CHECK_ALL();
	assert_int_equal(test_read_byte(a, x), 9);
}

/* --- migration while another thread holds the mapping mm's mmap_lock --- */

/*
 * Migrating a COW-shared page while the child's mmap_lock is held for
 * write the whole time: the reverse map needs no mmap_lock, so it
 * succeeds at once, moves both mappings, and the data follows.
 */
static void test_migrate_with_mm_write_locked(void **state)
{
	struct task_struct *a = test_task_create("a"), *c;
	unsigned long x = test_mmap(a, PAGE_SIZE, PROT_RW, MAP_ANON_PRIV);
	struct folio *folio, *dst = NULL;
	struct test_mm_holder h;
	unsigned long old_pfn;

	(void)state;
	test_write_byte(a, x, 0x77);
	c = test_fork(a);
	folio = test_folio(a, x);
	old_pfn = folio_pfn(folio);
	assert_int_equal(page_zonenum(&folio->page), ZONE_MOVABLE);

	test_mm_holder_start(&h, c->mm);
	folio_get(folio);
	assert_int_equal(migrate_folio_to(folio, alloc_migration_target_zone,
					  ZONE_NORMAL, MR_SYSCALL, &dst), 0);
	assert_non_null(dst);
	assert_true(folio_pfn(dst) != old_pfn);
	assert_int_equal(page_zonenum(&dst->page), ZONE_NORMAL);
	assert_int_equal(folio_mapcount(dst), 2);
	folio_put(dst);
	test_mm_holder_stop(&h);
	CHECK_ALL();
	assert_int_equal(test_pfn(a, x), test_pfn(c, x));
	assert_int_equal(test_read_byte(c, x), 0x77);
	assert_int_equal(test_read_byte(a, x), 0x77);
}

/* An unmapped folio: nothing to migrate away, and nothing found. */
static void test_try_to_migrate_unmapped(void **state)
{
	struct folio *folio = folio_alloc(GFP_HIGHUSER_MOVABLE, 0);

	(void)state;
	assert_non_null(folio);
	folio_lock(folio);
	assert_true(try_to_migrate(folio));
	assert_null(folio_get_anon_vma(folio));
	folio_unlock(folio);
	folio_put(folio);
	CHECK_ALL();
}

/*
 * What others do to migration entries now that a migrator runs without
 * their mmap_lock: fork copies an entry into the child (readable in both,
 * and the restore then maps the page COW-shared in both), mprotect
 * downgrades a writable entry, munmap clears one (the restore then skips
 * it).  Deterministic: the entries stay installed while the test holds
 * the folios locked.
 */
static void test_migration_entries_meet_fork_mprotect_munmap(void **state)
{
	struct task_struct *a = test_task_create("a"), *c;
	unsigned long x = test_mmap(a, 3 * PAGE_SIZE, PROT_RW, MAP_ANON_PRIV);
	struct folio *f[3];
	struct anon_vma *av[3];
	int i;

	(void)state;
	for (i = 0; i < 3; i++) {
		test_write_byte(a, x + i * PAGE_SIZE, (unsigned char)(0x40 + i));
		f[i] = test_folio(a, x + i * PAGE_SIZE);
		folio_get(f[i]);
		folio_lock(f[i]);
		av[i] = folio_get_anon_vma(f[i]);
		assert_non_null(av[i]);
		assert_true(try_to_migrate(f[i]));
	}
	mmap_read_lock(a->mm);
	for (i = 0; i < 3; i++)
		assert_int_equal(swp_type(pte_to_swp_entry(raw_pte(a->mm, x + i * PAGE_SIZE))),
				 SWP_MIGRATION_WRITE);
	mmap_read_unlock(a->mm);

	/* mprotect over page 1: writable entry -> readable, still exclusive. */
	assert_int_equal(pnm_mm_mprotect(a->mm, x + PAGE_SIZE, PAGE_SIZE, PROT_READ), 0);
	mmap_read_lock(a->mm);
	i = swp_type(pte_to_swp_entry(raw_pte(a->mm, x + PAGE_SIZE)));
	mmap_read_unlock(a->mm);
	assert_int_equal(i, SWP_MIGRATION_READ_EXCLUSIVE);
	/* munmap of page 2: its entry is simply cleared. */
	assert_int_equal(pnm_mm_munmap(a->mm, x + 2 * PAGE_SIZE, PAGE_SIZE), 0);
	/* fork copies the entries of pages 0 and 1: readable in both. */
	c = test_fork(a);
	for (i = 0; i < 2; i++) {
		unsigned int ta, tc;

		mmap_read_lock(a->mm);
		mmap_read_lock(c->mm);
		ta = swp_type(pte_to_swp_entry(raw_pte(a->mm, x + i * PAGE_SIZE)));
		tc = swp_type(pte_to_swp_entry(raw_pte(c->mm, x + i * PAGE_SIZE)));
		mmap_read_unlock(c->mm);
		mmap_read_unlock(a->mm);
		assert_int_equal(ta, SWP_MIGRATION_READ);
		assert_int_equal(tc, SWP_MIGRATION_READ);
	}

	for (i = 0; i < 3; i++) {
		remove_migration_ptes(f[i], f[i]);
		put_anon_vma(av[i]);
		folio_unlock(f[i]);
	}
	/* Pages 0 and 1: COW-shared by parent and child, read-only in both. */
	for (i = 0; i < 2; i++) {
		assert_int_equal(folio_mapcount(f[i]), 2);
		assert_false(PageAnonExclusive(&f[i]->page));
	}
	/* Page 2: unmapped, only our reference is left. */
	assert_int_equal(folio_mapcount(f[2]), 0);
	assert_int_equal(folio_ref_count(f[2]), 1);
	CHECK_ALL();
	for (i = 0; i < 3; i++)
		folio_put(f[i]);
	CHECK_ALL();
	assert_int_equal(test_read_byte(c, x), 0x40);
	test_write_byte(c, x, 0x50);		/* COW */
	assert_int_equal(test_read_byte(a, x), 0x40);
	assert_int_equal(test_read_byte(c, x + PAGE_SIZE), 0x41);
	test_write_byte(a, x, 0x51);
	assert_int_equal(test_read_byte(c, x), 0x50);
	CHECK_ALL();
}

/* --- anon_vma families ------------------------------------------------------ */

/*
 * The first write creates the VMA's anon_vma; fork gives the child a
 * linked anon_vma of the same family; a page the child creates is found
 * only through the child; a COW-shared page through both; munmap and exit
 * give every anon_vma and link back.
 */
static void test_anon_vma_fork_family(void **state)
{
	long base_av = pnm_nr_anon_vmas(NULL), chains, base_chains;
	struct task_struct *a = test_task_create("a"), *c;
	unsigned long x = test_mmap(a, 2 * PAGE_SIZE, PROT_RW, MAP_ANON_PRIV);
	struct vm_area_struct *pv, *cv;
	struct folio *shared, *own;

	(void)state;
	pnm_nr_anon_vmas(&base_chains);
	mmap_read_lock(a->mm);
	assert_null(vma_lookup(a->mm, x)->anon_vma);
	mmap_read_unlock(a->mm);
	test_write_byte(a, x, 1);
	assert_int_equal(pnm_nr_anon_vmas(&chains), base_av + 1);
	assert_int_equal(chains, base_chains + 1);

	c = test_fork(a);
	CHECK_ALL();
	/* The child: a link to the parent's anon_vma and one of its own. */
	assert_int_equal(pnm_nr_anon_vmas(&chains), base_av + 2);
	assert_int_equal(chains, base_chains + 3);
	mmap_read_lock(a->mm);
	mmap_read_lock(c->mm);
	pv = vma_lookup(a->mm, x);
	cv = vma_lookup(c->mm, x);
	assert_non_null(cv->anon_vma);
	assert_true(cv->anon_vma != pv->anon_vma);
	assert_ptr_equal(cv->anon_vma->root, pv->anon_vma);
	assert_ptr_equal(cv->anon_vma->parent, pv->anon_vma);
	mmap_read_unlock(c->mm);
	mmap_read_unlock(a->mm);

	shared = test_folio(a, x);
	assert_ptr_equal(folio_anon_vma(shared), pv->anon_vma);
	assert_int_equal(nr_items(shared, NULL, 0), 2);
	assert_int_equal(nr_items(shared, c->mm, x), 1);

	/* A page born in the child belongs to the child's anon_vma only. */
	test_write_byte(c, x + PAGE_SIZE, 2);
	own = test_folio(c, x + PAGE_SIZE);
	assert_ptr_equal(folio_anon_vma(own), cv->anon_vma);
	assert_int_equal(own->index, (x + PAGE_SIZE) >> PAGE_SHIFT);
	assert_int_equal(nr_items(own, NULL, 0), 1);
	assert_int_equal(nr_items(own, c->mm, x + PAGE_SIZE), 1);
	CHECK_ALL();

	pnm_task_exit(c);
	put_task_struct(c);
	CHECK_ALL();
	assert_int_equal(pnm_nr_anon_vmas(&chains), base_av + 1);
	assert_int_equal(chains, base_chains + 1);
	assert_int_equal(pnm_mm_munmap(a->mm, x, 2 * PAGE_SIZE), 0);
	assert_int_equal(pnm_nr_anon_vmas(&chains), base_av);
	assert_int_equal(chains, base_chains);
	CHECK_ALL();
}

/*
 * A chain of forks where each parent exits after forking: the idle
 * anon_vma of an exited generation is reused, so the family stays small
 * instead of growing by one anon_vma and one link per generation.
 */
static void test_anon_vma_reuse_in_fork_chain(void **state)
{
	long base_av = pnm_nr_anon_vmas(NULL), chains, base_chains;
	struct task_struct *t = test_task_create("gen0"), *child;
	unsigned long x = test_mmap(t, PAGE_SIZE, PROT_RW, MAP_ANON_PRIV);
	int gen;

	(void)state;
	pnm_nr_anon_vmas(&base_chains);
	test_write_byte(t, x, 1);
	for (gen = 1; gen <= 20; gen++) {
		child = test_fork(t);
		pnm_task_exit(t);
		put_task_struct(t);
		t = child;
		/* Each generation also writes (a page of its own). */
		test_write_byte(t, x, (unsigned char)gen);
		CHECK_ALL();
	}
	assert_true(pnm_nr_anon_vmas(&chains) <= base_av + 3);
	assert_true(chains <= base_chains + 3);
	assert_int_equal(test_read_byte(t, x), 20);
	pnm_task_exit(t);
	put_task_struct(t);
	assert_int_equal(pnm_nr_anon_vmas(&chains), base_av);
	assert_int_equal(chains, base_chains);
	CHECK_ALL();
}

/*
 * mprotect splits the VMA in three (the pieces share the anon_vma and are
 * re-keyed in its tree) and merges it back; every page stays reachable.
 */
static void test_anon_vma_split_merge(void **state)
{
	struct task_struct *a = test_task_create("a");
	unsigned long x = test_mmap(a, 4 * PAGE_SIZE, PROT_RW, MAP_ANON_PRIV);
	int i;

	(void)state;
	for (i = 0; i < 4; i++)
		test_write_byte(a, x + i * PAGE_SIZE, (unsigned char)(i + 1));
	assert_int_equal(pnm_mm_mprotect(a->mm, x + PAGE_SIZE, 2 * PAGE_SIZE, PROT_READ), 0);
	assert_int_equal(a->mm->map_count, 1 + 2);
	CHECK_ALL();
	for (i = 0; i < 4; i++)
		assert_int_equal(nr_items(test_folio(a, x + i * PAGE_SIZE), a->mm,
					  x + i * PAGE_SIZE), 1);
	assert_int_equal(pnm_mm_mprotect(a->mm, x + PAGE_SIZE, 2 * PAGE_SIZE, PROT_RW), 0);
	assert_int_equal(a->mm->map_count, 1);
	CHECK_ALL();
	for (i = 0; i < 4; i++) {
		assert_int_equal(nr_items(test_folio(a, x + i * PAGE_SIZE), a->mm,
					  x + i * PAGE_SIZE), 1);
		assert_int_equal(test_read_byte(a, x + i * PAGE_SIZE), i + 1);
	}
}

/* --- pins --------------------------------------------------------------- */

static void test_maybe_dma_pinned_modes(void **state)
{
	enum pnm_pin_accounting saved = pnm_config.pin_accounting;
	struct folio *small = folio_alloc(GFP_HIGHUSER_MOVABLE, 0);
	struct folio *large = folio_alloc(GFP_TRANSHUGE, HPAGE_PMD_ORDER);
	int m;

	(void)state;
	assert_non_null(small);
	assert_non_null(large);
	for (m = 0; m < 2; m++) {
		bool exact = m == 1;

		pnm_config.pin_accounting = exact ? PNM_PIN_ACCOUNTING_EXACT :
						    PNM_PIN_ACCOUNTING_LINUX;
		assert_false(folio_maybe_dma_pinned(small));
		assert_false(folio_maybe_dma_pinned(large));

		/* Many ordinary references: a pin to Linux, not to exact. */
		folio_ref_add(small, GUP_PIN_COUNTING_BIAS - 1);
		assert_int_equal(folio_maybe_dma_pinned(small), !exact);
		atomic_sub(1, &small->_refcount);
		assert_false(folio_maybe_dma_pinned(small));
		atomic_sub(GUP_PIN_COUNTING_BIAS - 2, &small->_refcount);
		assert_int_equal(folio_ref_count(small), 1);

		/* An exact per-page pin count only counts in exact mode. */
		atomic_set(&small->page.pnm_pincount, 1);
		assert_int_equal(folio_maybe_dma_pinned(small), exact);
		atomic_set(&small->page.pnm_pincount, 0);

		/* Large folios: _pincount in both modes; refs never. */
		folio_ref_add(large, 2 * GUP_PIN_COUNTING_BIAS);
		assert_false(folio_maybe_dma_pinned(large));
		atomic_sub(2 * GUP_PIN_COUNTING_BIAS, &large->_refcount);
		atomic_set(&large->_pincount, 1);
		assert_true(folio_maybe_dma_pinned(large));
		assert_true(page_maybe_dma_pinned(folio_page(large, 300)));
		atomic_set(&large->_pincount, 0);
	}
	pnm_config.pin_accounting = saved;
	folio_put(small);
	folio_put(large);
	CHECK_ALL();
}

/* folio_needs_cow_for_dma() needs MMF_HAS_PINNED; fork then copies. */
static void test_fork_copies_maybe_pinned(void **state)
{
	struct task_struct *a = test_task_create("a"), *c;
	unsigned long x = test_mmap(a, 2 * PAGE_SIZE, PROT_RW, MAP_ANON_PRIV);
	long copies = global_stat(PNM_FORK_COPY_PINNED);
	struct vm_area_struct *vma;
	struct folio *folio;

	(void)state;
	test_write_byte(a, x, 0x11);
	test_write_byte(a, x + PAGE_SIZE, 0x22);
	folio = test_folio(a, x);
	folio_ref_add(folio, GUP_PIN_COUNTING_BIAS);	/* fake pin */
	mmap_read_lock(a->mm);
	vma = vma_lookup(a->mm, x);
	assert_false(folio_needs_cow_for_dma(vma, folio));
	set_bit(MMF_HAS_PINNED, &a->mm->flags);
	assert_true(folio_needs_cow_for_dma(vma, folio));
	assert_false(folio_needs_cow_for_dma(vma, test_folio(a, x + PAGE_SIZE)));
	mmap_read_unlock(a->mm);

	c = test_fork(a);
	assert_int_equal(global_stat(PNM_FORK_COPY_PINNED), copies + 1);
	/* The pinned page stays the parent's, exclusive; the child has a copy. */
	assert_ptr_equal(test_folio(a, x), folio);
	assert_true(PageAnonExclusive(&folio->page));
	assert_int_equal(nr_items(folio, NULL, 0), 1);
	assert_true(test_folio(c, x) != folio);
	assert_int_equal(test_read_byte(c, x), 0x11);
	/* The unpinned page is COW-shared as usual. */
	assert_ptr_equal(test_folio(c, x + PAGE_SIZE), test_folio(a, x + PAGE_SIZE));
	assert_false(PageAnonExclusive(&test_folio(a, x + PAGE_SIZE)->page));
	atomic_sub(GUP_PIN_COUNTING_BIAS, &folio->_refcount);
	clear_bit(MMF_HAS_PINNED, &a->mm->flags);
	CHECK_ALL();
}

/* --- the checker ---------------------------------------------------------- */

static void test_check_folio_catches_corruption(void **state)
{
	struct task_struct *a = test_task_create("a"), *c;
	unsigned long x = test_mmap(a, 2 * PAGE_SIZE, PROT_RW, MAP_ANON_PRIV);
	struct folio *folio, *shared;

	(void)state;
	test_write_byte(a, x, 1);
	test_write_byte(a, x + PAGE_SIZE, 2);
	folio = test_folio(a, x);
	assert_true(pnm_check_folio(folio));

	/* A mapcount that disagrees with what the reverse map finds. */
	atomic_inc(&folio->page._mapcount);
	assert_false(pnm_check_folio(folio));
	atomic_dec(&folio->page._mapcount);
	assert_true(pnm_check_folio(folio));

	/* Fewer references than mappings. */
	atomic_set(&folio->_refcount, 0);
	assert_false(pnm_check_folio(folio));
	atomic_set(&folio->_refcount, 1);

	/* Anon without PG_swapbacked is a lazily freed folio (MADV_FREE),
	 * which lives on the file LRU list, not on the anon list this one is
	 * on; nor is it ever active or in the swap cache. */
	ClearPageSwapBacked(&folio->page);
	assert_false(pnm_check_lru());
	set_bit(PG_active, &folio->page.flags);
	assert_false(pnm_check_folio(folio));
	clear_bit(PG_active, &folio->page.flags);
	SetPageSwapBacked(&folio->page);
	assert_true(pnm_check_lru());

	/* An entire mapcount without a PMD mapping, on a large folio's second
	 * page (an order-0 folio has none: mm_types.h); then a tail whose
	 * compound_head word does not point at its head. */
	{
		unsigned long y = test_mmap(a, 2 * HPAGE_PMD_SIZE, PROT_RW, MAP_ANON_PRIV);
		unsigned long h = ALIGN(y, HPAGE_PMD_SIZE);
		struct folio *large;
		struct page *tail;

		assert_int_equal(pnm_mm_madvise(a->mm, y, 2 * HPAGE_PMD_SIZE, MADV_HUGEPAGE), 0);
		test_write_byte(a, h, 3);
		large = test_folio(a, h);
		assert_true(folio_test_large(large));
		assert_int_equal(folio_entire_mapcount(large), 1);
		assert_true(pnm_check_folio(large));
		atomic_set(&large->_entire_mapcount, 2);
		assert_false(pnm_check_folio(large));
		atomic_set(&large->_entire_mapcount, 1);
		tail = folio_page(large, 7);
		WRITE_ONCE(tail->compound_head, (unsigned long)folio_page(large, 1) | 1);
		assert_false(pnm_check_folio(large));
		set_compound_head(tail, &large->page);
		assert_true(pnm_check_folio(large));
	}

	/* PG_anon_exclusive on a page two mms map. */
	c = test_fork(a);
	shared = test_folio(a, x + PAGE_SIZE);
	assert_true(pnm_check_folio(shared));
	SetPageAnonExclusive(&shared->page);
	assert_false(pnm_check_folio(shared));
	ClearPageAnonExclusive(&shared->page);
	assert_true(pnm_check_folio(shared));
	(void)c;
	CHECK_ALL();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_fault_fork_unmap_counts,
						pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_migration_round_trip,
						pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_migration_refused_when_pinned,
						pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_migrate_with_mm_write_locked,
						pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_try_to_migrate_unmapped,
						pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_migration_entries_meet_fork_mprotect_munmap,
						pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_anon_vma_fork_family,
						pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_anon_vma_reuse_in_fork_chain,
						pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_anon_vma_split_merge,
						pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_maybe_dma_pinned_modes,
						pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_fork_copies_maybe_pinned,
						pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_check_folio_catches_corruption,
						pnm_test_setup, pnm_test_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
