/* SPDX-License-Identifier: MIT */
/*
 * test_rmap.c - the reverse map: mapcounts, rmap items, RSS and NR_*
 * through fault, fork and unmap; migration entries (try_to_migrate and
 * remove_migration_ptes restore exactly the same PTEs and exclusivity,
 * pinned pages refuse); pnm_rmap_lock_mms() backing off from a
 * write-locked mm; the pin queries in both accounting modes; fork copying
 * a maybe-pinned page; and pnm_check_folio() noticing corruption.
 */
#include <pthread.h>
#include <string.h>

#include "test_util.h"
#include "internal.h"

#define MAP_ANON_PRIV	(MAP_PRIVATE | MAP_ANONYMOUS)
#define PROT_RW		(PROT_READ | PROT_WRITE)

/* Items of @folio: total, and those of @mm at @addr. */
static int nr_items(struct folio *folio, struct mm_struct *mm, unsigned long addr)
{
	struct pnm_rmap_item *item;
	int n = 0;

	spin_lock(folio_rmap_lock(folio));
	list_for_each_entry(item, &folio->pnm_rmap, node)
		if (!mm || (item->mm == mm && item->address == addr))
			n++;
	spin_unlock(folio_rmap_lock(folio));
	return n;
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
	struct task_struct *a = pnm_task_create("a"), *c;
	unsigned long x = test_mmap(a, 4 * PAGE_SIZE, PROT_RW, MAP_ANON_PRIV);
	long anon_mapped = global_stat(NR_ANON_MAPPED);
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

	assert_int_equal(pnm_munmap(c->mm, x, 4 * PAGE_SIZE), 0);
	CHECK_ALL();
	assert_int_equal(atomic_read(&folio->page._mapcount), 1);
	assert_int_equal(nr_items(folio, NULL, 0), 1);
	assert_int_equal(nr_items(folio, a->mm, x), 1);
	assert_int_equal(get_mm_counter(c->mm, MM_ANONPAGES), 0);
	assert_int_equal(global_stat(NR_ANON_MAPPED), anon_mapped + 1);

	/* The last mapping goes: page unmapped, counted out, freed. */
	folio_get(folio);
	assert_int_equal(pnm_munmap(a->mm, x, 4 * PAGE_SIZE), 0);
	assert_int_equal(folio_mapcount(folio), 0);
	assert_false(folio_mapped(folio));
	assert_int_equal(nr_items(folio, NULL, 0), 0);
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
	struct pnm_rmap_mms set;
	long rss[4];
	pte_t before[4];
	int i;

	assert_true(nr <= 4);
	folio_get(folio);
	folio_lock(folio);
	assert_int_equal(pnm_rmap_lock_mms(folio, &set), 0);
	assert_int_equal(set.nr, nr);
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
	assert_int_equal(nr_items(folio, NULL, 0), nr);
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
	pnm_rmap_unlock_mms(&set);
	assert_true(pnm_check_folio(folio));
	folio_unlock(folio);
	folio_put(folio);
}

/* Writable, read-only exclusive, and COW-shared pages each round-trip. */
static void test_migration_round_trip(void **state)
{
	struct task_struct *a = pnm_task_create("a"), *c;
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
	assert_int_equal(pnm_mprotect(a->mm, x + PAGE_SIZE, PAGE_SIZE, PROT_READ), 0);
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
	struct task_struct *a = pnm_task_create("a");
	unsigned long x = test_mmap(a, PAGE_SIZE, PROT_RW, MAP_ANON_PRIV);
	struct pnm_rmap_mms set;
	struct folio *folio;
	pte_t before;

	(void)state;
	test_write_byte(a, x, 9);
	folio = test_folio(a, x);
	folio_get(folio);
	folio_lock(folio);
	assert_int_equal(pnm_rmap_lock_mms(folio, &set), 0);
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
	pnm_rmap_unlock_mms(&set);
	folio_unlock(folio);
	folio_put(folio);
	CHECK_ALL();
	assert_int_equal(test_read_byte(a, x), 9);
}

/* --- pnm_rmap_lock_mms vs a writer on another thread ---------------------- */

struct writer_arg {
	struct mm_struct *mm;
	pthread_barrier_t locked;	/* writer holds the lock */
	pthread_barrier_t release;	/* main thread is done trying */
};

static void *hold_write_lock(void *p)
{
	struct writer_arg *w = p;

	mmap_write_lock(w->mm);
	pthread_barrier_wait(&w->locked);
	pthread_barrier_wait(&w->release);
	mmap_write_unlock(w->mm);
	return NULL;
}

static void test_lock_mms_busy(void **state)
{
	struct task_struct *a = pnm_task_create("a"), *c;
	unsigned long x = test_mmap(a, PAGE_SIZE, PROT_RW, MAP_ANON_PRIV);
	struct pnm_rmap_mms set = { 0 };
	struct writer_arg w;
	struct folio *folio;
	pthread_t thr;

	(void)state;
	test_write_byte(a, x, 1);
	c = test_fork(a);
	folio = test_folio(a, x);
	folio_get(folio);
	folio_lock(folio);

	/* Both mms free: locked, two distinct mms. */
	assert_int_equal(pnm_rmap_lock_mms(folio, &set), 0);
	assert_int_equal(set.nr, 2);
	assert_true(set.mms[0] == a->mm || set.mms[1] == a->mm);
	assert_true(set.mms[0] == c->mm || set.mms[1] == c->mm);
	pnm_rmap_unlock_mms(&set);
	assert_int_equal(set.nr, 0);

	/* The child's mm write-locked by another thread: -EAGAIN, nothing held. */
	w.mm = c->mm;
	assert_int_equal(pthread_barrier_init(&w.locked, NULL, 2), 0);
	assert_int_equal(pthread_barrier_init(&w.release, NULL, 2), 0);
	assert_int_equal(pthread_create(&thr, NULL, hold_write_lock, &w), 0);
	pthread_barrier_wait(&w.locked);
	assert_int_equal(pnm_rmap_lock_mms(folio, &set), -EAGAIN);
	assert_int_equal(set.nr, 0);
	/* The parent's lock was not left held: a write trylock succeeds. */
	assert_true(down_write_trylock(&a->mm->mmap_lock));
	mmap_write_unlock(a->mm);
	pthread_barrier_wait(&w.release);
	assert_int_equal(pthread_join(thr, NULL), 0);
	pthread_barrier_destroy(&w.locked);
	pthread_barrier_destroy(&w.release);

	assert_int_equal(pnm_rmap_lock_mms(folio, &set), 0);
	assert_int_equal(set.nr, 2);
	pnm_rmap_unlock_mms(&set);
	folio_unlock(folio);
	folio_put(folio);
	CHECK_ALL();
}

/* An unmapped folio locks an empty set. */
static void test_lock_mms_unmapped(void **state)
{
	struct folio *folio = folio_alloc(GFP_HIGHUSER_MOVABLE, 0);
	struct pnm_rmap_mms set;

	(void)state;
	assert_non_null(folio);
	folio_lock(folio);
	assert_int_equal(pnm_rmap_lock_mms(folio, &set), 0);
	assert_int_equal(set.nr, 0);
	assert_true(try_to_migrate(folio));
	pnm_rmap_unlock_mms(&set);
	folio_unlock(folio);
	folio_put(folio);
	CHECK_ALL();
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
	struct task_struct *a = pnm_task_create("a"), *c;
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
	struct task_struct *a = pnm_task_create("a"), *c;
	unsigned long x = test_mmap(a, 2 * PAGE_SIZE, PROT_RW, MAP_ANON_PRIV);
	struct folio *folio, *shared;

	(void)state;
	test_write_byte(a, x, 1);
	test_write_byte(a, x + PAGE_SIZE, 2);
	folio = test_folio(a, x);
	assert_true(pnm_check_folio(folio));

	/* A mapcount that disagrees with the items. */
	atomic_inc(&folio->page._mapcount);
	assert_false(pnm_check_folio(folio));
	atomic_dec(&folio->page._mapcount);
	assert_true(pnm_check_folio(folio));

	/* Fewer references than mappings. */
	atomic_set(&folio->_refcount, 0);
	assert_false(pnm_check_folio(folio));
	atomic_set(&folio->_refcount, 1);

	/* Anon without PG_swapbacked. */
	ClearPageSwapBacked(&folio->page);
	assert_false(pnm_check_folio(folio));
	SetPageSwapBacked(&folio->page);

	/* An entire mapcount without a PMD item. */
	atomic_set(&folio->_entire_mapcount, 1);
	assert_false(pnm_check_folio(folio));
	atomic_set(&folio->_entire_mapcount, 0);

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
		cmocka_unit_test_setup_teardown(test_lock_mms_busy,
						pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_lock_mms_unmapped,
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
