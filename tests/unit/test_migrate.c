/* SPDX-License-Identifier: MIT */
/*
 * test_migrate.c - folio migration: anon, COW-shared, shmem and THP folios
 * move to the requested zone with data, protection and exclusivity kept;
 * referenced folios, the zero page, a full target zone and a busy mm are
 * refused without changing anything.
 */
#include <string.h>
#include <pthread.h>

#include "test_util.h"
#include "pinmm_test_internal.h"

#define MAP_ANON_PRIV	(MAP_PRIVATE | MAP_ANONYMOUS)
#define PROT_RW		(PROT_READ | PROT_WRITE)

static enum zone_type pfn_zone(unsigned long pfn)
{
	return page_zonenum(pfn_to_page(pfn));
}

static bool pfn_writable(struct task_struct *t, unsigned long addr)
{
	unsigned long pfn;
	bool w = false;

	assert_int_equal(pnm_mm_translate(t->mm, addr, &pfn, &w), 0);
	return w;
}

/* The folio mapped at @addr, with a reference (single-threaded test). */
static struct folio *get_folio_at(struct task_struct *t, unsigned long addr)
{
	struct folio *folio = pfn_folio(test_pfn(t, addr));

	folio_get(folio);
	return folio;
}

static void fill_page(struct task_struct *t, unsigned long addr, unsigned char seed)
{
	unsigned char buf[PAGE_SIZE];
	size_t i;

	for (i = 0; i < sizeof(buf); i++)
		buf[i] = (unsigned char)(seed + i * 13);
	assert_int_equal(pnm_user_write(t, addr, buf, sizeof(buf)), 0);
}

static void check_page(struct task_struct *t, unsigned long addr, unsigned char seed)
{
	unsigned char buf[PAGE_SIZE];
	size_t i;

	assert_int_equal(pnm_user_read(t, addr, buf, sizeof(buf)), 0);
	for (i = 0; i < sizeof(buf); i++)
		assert_int_equal(buf[i], (unsigned char)(seed + i * 13));
}

/* Take every free frame of @zt out of the buddy; returns how many. */
static unsigned long fill_zone(enum zone_type zt, struct page **pages,
			       unsigned long max)
{
	struct zone *zone = pnm_zone(zt);
	unsigned long pfn, n = 0;

	for (pfn = zone->zone_start_pfn; pfn < zone_end_pfn(zone) && n < max; pfn++) {
		struct page *p = pnm_isolate_free_range(zone, pfn, 0);

		if (p)
			pages[n++] = p;
	}
	return n;
}

static void release_pages(struct page **pages, unsigned long n)
{
	while (n)
		put_page(pages[--n]);
}

/* An anon page moves MOVABLE -> NORMAL with everything it had. */
static void test_migrate_anon(void **state)
{
	struct task_struct *t = test_task_create("mig");
	long succ = global_stat(PGMIGRATE_SUCCESS), fail = global_stat(PGMIGRATE_FAIL);
	long nfree, mov_free, norm_free;
	unsigned long addr, old, new;
	struct folio *folio, *dst;

	(void)state;
	assert_non_null(t);
	addr = test_mmap(t, 2 * PAGE_SIZE, PROT_RW, MAP_ANON_PRIV);
	fill_page(t, addr, 1);
	fill_page(t, addr + PAGE_SIZE, 2);
	CHECK_ALL();
	old = test_pfn(t, addr);
	assert_int_equal(pfn_zone(old), ZONE_MOVABLE);
	assert_true(pfn_writable(t, addr));
	assert_true(PageAnonExclusive(pfn_to_page(old)));

	nfree = global_stat(NR_FREE_PAGES);
	mov_free = zone_page_state(pnm_zone(ZONE_MOVABLE), NR_ZONE_FREE_PAGES);
	norm_free = zone_page_state(pnm_zone(ZONE_NORMAL), NR_ZONE_FREE_PAGES);
	assert_int_equal(pnm_mm_migrate_range(t->mm, addr, PAGE_SIZE, ZONE_NORMAL), 1);
	CHECK_ALL();

	new = test_pfn(t, addr);
	assert_int_not_equal(new, old);
	assert_int_equal(pfn_zone(new), ZONE_NORMAL);
	check_page(t, addr, 1);
	assert_true(pfn_writable(t, addr));
	assert_true(PageAnonExclusive(pfn_to_page(new)));
	assert_true(folio_test_anon(pfn_folio(new)));
	assert_int_equal(folio_ref_count(pfn_folio(new)), 1);
	assert_int_equal(page_mapcount(pfn_to_page(new)), 1);
	/* The old frame went back to the buddy allocator. */
	assert_int_equal(folio_ref_count(pfn_folio(old)), 0);
	assert_int_equal(global_stat(NR_FREE_PAGES), nfree);
	assert_int_equal(zone_page_state(pnm_zone(ZONE_MOVABLE), NR_ZONE_FREE_PAGES),
			 mov_free + 1);
	assert_int_equal(zone_page_state(pnm_zone(ZONE_NORMAL), NR_ZONE_FREE_PAGES),
			 norm_free - 1);
	assert_int_equal(global_stat(PGMIGRATE_SUCCESS), succ + 1);
	assert_int_equal(global_stat(PGMIGRATE_FAIL), fail);
	/* The neighbour was not in the range. */
	assert_int_equal(pfn_zone(test_pfn(t, addr + PAGE_SIZE)), ZONE_MOVABLE);

	/* Already in the zone: nothing to do. */
	assert_int_equal(pnm_mm_migrate_range(t->mm, addr, PAGE_SIZE, ZONE_NORMAL), 0);

	/* migrate_folio_to directly, into CMA; the page stays writable. */
	folio = get_folio_at(t, addr + PAGE_SIZE);
	old = folio_pfn(folio);
	assert_int_equal(migrate_folio_to(folio, alloc_migration_target_zone, ZONE_CMA,
					  MR_SYSCALL, &dst), 0);
	assert_int_equal(folio_ref_count(dst), 2);	/* mapping + ours */
	assert_int_equal(test_pfn(t, addr + PAGE_SIZE), folio_pfn(dst));
	assert_int_equal(pfn_zone(folio_pfn(dst)), ZONE_CMA);
	folio_put(dst);
	CHECK_ALL();
	check_page(t, addr + PAGE_SIZE, 2);
	assert_int_equal(global_stat(PGMIGRATE_SUCCESS), succ + 2);
	/* Writes after migration land in the new frame without a COW. */
	test_write_byte(t, addr + PAGE_SIZE, 0x5a);
	assert_int_equal(test_pfn(t, addr + PAGE_SIZE), folio_pfn(dst));
	assert_int_equal(test_read_byte(t, addr + PAGE_SIZE), 0x5a);

	/* Bad arguments. */
	assert_int_equal(pnm_mm_migrate_range(t->mm, addr, PAGE_SIZE, MAX_NR_ZONES), -EINVAL);
	assert_int_equal(pnm_mm_migrate_range(t->mm, addr, 0, ZONE_CMA), 0);
	CHECK_ALL();
	put_task_struct(t);
}

/* A COW-shared page: both processes map the new frame afterwards. */
static void test_migrate_fork_shared(void **state)
{
	struct task_struct *p = test_task_create("parent"), *c = NULL;
	unsigned long addr, old, new;

	(void)state;
	addr = test_mmap(p, PAGE_SIZE, PROT_RW, MAP_ANON_PRIV);
	fill_page(p, addr, 7);
	assert_int_equal(pnm_task_fork(p, "child", &c), 0);
	CHECK_ALL();
	old = test_pfn(p, addr);
	assert_int_equal(test_pfn(c, addr), old);
	assert_false(PageAnonExclusive(pfn_to_page(old)));
	assert_int_equal(folio_ref_count(pfn_folio(old)), 2);

	assert_int_equal(pnm_mm_migrate_range(c->mm, addr, PAGE_SIZE, ZONE_NORMAL), 1);
	CHECK_ALL();
	new = test_pfn(p, addr);
	assert_int_not_equal(new, old);
	assert_int_equal(pfn_zone(new), ZONE_NORMAL);
	assert_int_equal(test_pfn(c, addr), new);
	assert_int_equal(folio_ref_count(pfn_folio(new)), 2);
	assert_int_equal(page_mapcount(pfn_to_page(new)), 2);
	assert_false(PageAnonExclusive(pfn_to_page(new)));
	assert_false(pfn_writable(p, addr));
	assert_false(pfn_writable(c, addr));
	check_page(p, addr, 7);
	check_page(c, addr, 7);

	/* COW still works: the child's write copies, the parent keeps new. */
	test_write_byte(c, addr, 0xee);
	assert_int_not_equal(test_pfn(c, addr), new);
	assert_int_equal(test_pfn(p, addr), new);
	assert_int_equal(test_read_byte(c, addr), 0xee);
	check_page(p, addr, 7);
	CHECK_ALL();
	put_task_struct(c);
	put_task_struct(p);
}

/* An extra reference (a stand-in for a GUP pin) refuses the move. */
static void test_migrate_extra_ref(void **state)
{
	struct task_struct *t = test_task_create("pinned");
	long refused = global_stat(PNM_MIGRATE_REFUSED_REFS);
	long fail = global_stat(PGMIGRATE_FAIL), succ = global_stat(PGMIGRATE_SUCCESS);
	struct folio *folio, *dst = NULL, *extra;
	unsigned long addr, pfn;

	(void)state;
	addr = test_mmap(t, PAGE_SIZE, PROT_RW, MAP_ANON_PRIV);
	fill_page(t, addr, 9);
	pfn = test_pfn(t, addr);
	extra = get_folio_at(t, addr);		/* the "pin" */
	folio = get_folio_at(t, addr);		/* the migrator's reference */
	assert_int_equal(folio_ref_count(folio), 3);

	assert_int_equal(migrate_folio_to(folio, alloc_migration_target_zone, ZONE_NORMAL,
					  MR_SYSCALL, &dst), -EBUSY);
	assert_null(dst);
	CHECK_ALL();
	assert_int_equal(test_pfn(t, addr), pfn);
	assert_true(pfn_writable(t, addr));
	assert_true(PageAnonExclusive(pfn_to_page(pfn)));
	assert_false(folio_test_locked(folio));
	assert_false(PageIsolated(&folio->page));
	assert_int_equal(folio_ref_count(folio), 3);
	check_page(t, addr, 9);
	assert_int_equal(global_stat(PNM_MIGRATE_REFUSED_REFS), refused + 1);
	assert_int_equal(global_stat(PGMIGRATE_FAIL), fail + 1);
	folio_put(folio);

	/* The range call retries, then reports the refusal, counted once. */
	assert_int_equal(pnm_mm_migrate_range(t->mm, addr, PAGE_SIZE, ZONE_NORMAL), -EBUSY);
	assert_int_equal(test_pfn(t, addr), pfn);
	assert_int_equal(global_stat(PGMIGRATE_FAIL), fail + 2);
	assert_int_equal(global_stat(PNM_MIGRATE_REFUSED_REFS), refused + 2);
	assert_int_equal(global_stat(PGMIGRATE_SUCCESS), succ);
	CHECK_ALL();

	/* Unpinned, it moves. */
	folio_put(extra);
	assert_int_equal(pnm_mm_migrate_range(t->mm, addr, PAGE_SIZE, ZONE_NORMAL), 1);
	assert_int_equal(pfn_zone(test_pfn(t, addr)), ZONE_NORMAL);
	check_page(t, addr, 9);
	CHECK_ALL();
	put_task_struct(t);
}

/* The zero page and page tables are not migratable. */
static void test_migrate_unmovable(void **state)
{
	struct task_struct *t = test_task_create("zero");
	struct folio *zero = pfn_folio(pnm_mem.zero_pfn), *dst = NULL;
	long fail = global_stat(PGMIGRATE_FAIL);
	unsigned long addr;
	pmd_t *pmd;

	(void)state;
	addr = test_mmap(t, PAGE_SIZE, PROT_RW, MAP_ANON_PRIV);
	assert_int_equal(test_read_byte(t, addr), 0);
	assert_int_equal(test_pfn(t, addr), pnm_mem.zero_pfn);

	folio_get(zero);
	assert_int_equal(migrate_folio_to(zero, alloc_migration_target_zone, ZONE_MOVABLE,
					  MR_SYSCALL, &dst), -EINVAL);
	folio_put(zero);
	assert_null(dst);
	/* The range walk does not even consider the zero page. */
	assert_int_equal(pnm_mm_migrate_range(t->mm, addr, PAGE_SIZE, ZONE_MOVABLE), 0);
	assert_int_equal(test_pfn(t, addr), pnm_mem.zero_pfn);

	/* A page-table page. */
	mmap_read_lock(t->mm);
	pmd = pnm_pmd_lookup(t->mm, addr);
	assert_non_null(pmd);
	{
		struct folio *table = pfn_folio(pmd_pfn(pmdp_get(pmd)));

		assert_true(PageTable(&table->page));
		mmap_read_unlock(t->mm);
		folio_get(table);
		assert_int_equal(migrate_folio_to(table, alloc_migration_target_zone,
						  ZONE_MOVABLE, MR_SYSCALL, &dst), -EINVAL);
		folio_put(table);
	}
	assert_int_equal(global_stat(PGMIGRATE_FAIL), fail);
	CHECK_ALL();
	put_task_struct(t);
}

/* A shmem page: the page cache points at the new folio afterwards. */
static void test_migrate_shmem(void **state)
{
	struct task_struct *t = test_task_create("shm"), *c = NULL;
	long shmem = global_stat(NR_SHMEM), filep = global_stat(NR_FILE_PAGES);
	struct address_space *mapping;
	struct vm_area_struct *vma;
	unsigned long addr, old, new;

	(void)state;
	addr = test_mmap(t, 2 * PAGE_SIZE, PROT_RW, MAP_SHARED | MAP_ANONYMOUS);
	fill_page(t, addr + PAGE_SIZE, 33);
	assert_int_equal(pnm_task_fork(t, "child", &c), 0);
	check_page(c, addr + PAGE_SIZE, 33);		/* child maps it too */
	CHECK_ALL();

	mmap_read_lock(t->mm);
	vma = vma_lookup(t->mm, addr);
	assert_non_null(vma);
	assert_non_null(vma->vm_file);
	mapping = vma->vm_file->f_mapping;
	mmap_read_unlock(t->mm);

	old = test_pfn(t, addr + PAGE_SIZE);
	assert_ptr_equal(xa_load(&mapping->i_pages, 1), pfn_folio(old));
	assert_int_equal(global_stat(NR_SHMEM), shmem + 1);

	assert_int_equal(pnm_mm_migrate_range(t->mm, addr, 2 * PAGE_SIZE, ZONE_CMA), 1);
	CHECK_ALL();
	new = test_pfn(t, addr + PAGE_SIZE);
	assert_int_not_equal(new, old);
	assert_int_equal(pfn_zone(new), ZONE_CMA);
	assert_ptr_equal(xa_load(&mapping->i_pages, 1), pfn_folio(new));
	assert_ptr_equal(pfn_folio(new)->mapping, mapping);
	assert_int_equal(pfn_folio(new)->index, 1);
	assert_int_equal(test_pfn(c, addr + PAGE_SIZE), new);
	assert_true(pfn_writable(t, addr + PAGE_SIZE));
	assert_int_equal(global_stat(NR_SHMEM), shmem + 1);
	assert_int_equal(global_stat(NR_FILE_PAGES), filep + 1);
	check_page(t, addr + PAGE_SIZE, 33);
	check_page(c, addr + PAGE_SIZE, 33);

	/* Shared: a write in one process is seen by the other. */
	test_write_byte(t, addr + PAGE_SIZE, 0x77);
	assert_int_equal(test_read_byte(c, addr + PAGE_SIZE), 0x77);
	assert_int_equal(test_pfn(c, addr + PAGE_SIZE), new);
	CHECK_ALL();
	put_task_struct(c);
	put_task_struct(t);
}

/* Map a THP in @t (madvise region); returns its 2 MiB-aligned address. */
static unsigned long map_thp(struct task_struct *t)
{
	unsigned long base = test_mmap(t, 2 * PMD_SIZE, PROT_RW, MAP_ANON_PRIV);
	unsigned long addr = ALIGN(base, PMD_SIZE);
	long thp = global_stat(THP_FAULT_ALLOC);
	unsigned long i;

	assert_int_equal(pnm_mm_madvise(t->mm, base, 2 * PMD_SIZE, MADV_HUGEPAGE), 0);
	test_write_byte(t, addr, 0);
	assert_int_equal(global_stat(THP_FAULT_ALLOC), thp + 1);
	for (i = 0; i < HPAGE_PMD_NR; i++)
		test_write_byte(t, addr + i * PAGE_SIZE + (i % 64), (unsigned char)(i * 3 + 1));
	assert_int_equal(folio_order(pfn_folio(test_pfn(t, addr))), HPAGE_PMD_ORDER);
	return addr;
}

static void check_thp_data(struct task_struct *t, unsigned long addr)
{
	unsigned long i;

	for (i = 0; i < HPAGE_PMD_NR; i++)
		assert_int_equal(test_read_byte(t, addr + i * PAGE_SIZE + (i % 64)),
				 (unsigned char)(i * 3 + 1));
}

/* A THP moves whole when an order-9 block is free in the target zone. */
static void test_migrate_thp_whole(void **state)
{
	struct task_struct *t = test_task_create("thp");
	long ok = global_stat(THP_MIGRATION_SUCCESS), succ = global_stat(PGMIGRATE_SUCCESS);
	long split = global_stat(THP_MIGRATION_SPLIT);
	unsigned long addr, old, new;
	struct folio *folio;

	(void)state;
	addr = map_thp(t);
	old = test_pfn(t, addr);
	CHECK_ALL();

	assert_int_equal(pnm_mm_migrate_range(t->mm, addr + PAGE_SIZE, PAGE_SIZE, ZONE_NORMAL),
			 HPAGE_PMD_NR);
	CHECK_ALL();
	new = test_pfn(t, addr);
	folio = pfn_folio(new);
	assert_int_not_equal(new, old);
	assert_int_equal(pfn_zone(new), ZONE_NORMAL);
	assert_int_equal(folio_order(folio), HPAGE_PMD_ORDER);
	assert_int_equal(folio_entire_mapcount(folio), 1);
	assert_int_equal(test_pfn(t, addr + 100 * PAGE_SIZE), new + 100);
	assert_true(pfn_writable(t, addr + 5 * PAGE_SIZE));
	check_thp_data(t, addr);
	assert_int_equal(global_stat(THP_MIGRATION_SUCCESS), ok + 1);
	assert_int_equal(global_stat(THP_MIGRATION_SPLIT), split);
	assert_int_equal(global_stat(PGMIGRATE_SUCCESS), succ + HPAGE_PMD_NR);
	CHECK_ALL();
	put_task_struct(t);
}

/*
 * No free order-9 block in the target zone: the THP is split and its
 * pages move one by one.
 */
static void test_migrate_thp_split(void **state)
{
	struct task_struct *t = test_task_create("thpsplit");
	long split = global_stat(THP_MIGRATION_SPLIT), succ = global_stat(PGMIGRATE_SUCCESS);
	long ok = global_stat(THP_MIGRATION_SUCCESS);
	struct zone *cma = pnm_zone(ZONE_CMA);
	struct page *holes[8];
	unsigned long addr, old, pfn, i, n = 0;

	(void)state;
	addr = map_thp(t);
	old = test_pfn(t, addr);
	/* Punch one used frame into every order-9 block of CMA. */
	for (pfn = cma->zone_start_pfn; pfn < zone_end_pfn(cma); pfn += HPAGE_PMD_NR) {
		holes[n] = pnm_isolate_free_range(cma, pfn + 3, 0);
		assert_non_null(holes[n]);
		n++;
	}
	assert_true(zone_largest_free_order(cma) < HPAGE_PMD_ORDER);

	assert_int_equal(pnm_mm_migrate_range(t->mm, addr, PMD_SIZE, ZONE_CMA), HPAGE_PMD_NR);
	CHECK_ALL();
	assert_int_equal(global_stat(THP_MIGRATION_SPLIT), split + 1);
	assert_int_equal(global_stat(THP_MIGRATION_SUCCESS), ok);
	assert_int_equal(global_stat(PGMIGRATE_SUCCESS), succ + HPAGE_PMD_NR);
	for (i = 0; i < HPAGE_PMD_NR; i++) {
		pfn = test_pfn(t, addr + i * PAGE_SIZE);
		assert_int_equal(pfn_zone(pfn), ZONE_CMA);
		assert_int_equal(folio_order(pfn_folio(pfn)), 0);
		assert_true(PageAnonExclusive(pfn_to_page(pfn)));
	}
	assert_int_not_equal(test_pfn(t, addr), old);
	check_thp_data(t, addr);
	assert_true(pfn_writable(t, addr + 7 * PAGE_SIZE));
	release_pages(holes, n);
	CHECK_ALL();
	put_task_struct(t);
}

/* A full target zone: -ENOMEM and nothing changed. */
static void test_migrate_enomem(void **state)
{
	struct task_struct *t = test_task_create("full");
	static struct page *filler[4096];
	long fail = global_stat(PGMIGRATE_FAIL);
	unsigned long addr, pfn, n;
	struct folio *folio, *dst = NULL;

	(void)state;
	addr = test_mmap(t, PAGE_SIZE, PROT_RW, MAP_ANON_PRIV);
	fill_page(t, addr, 21);
	pfn = test_pfn(t, addr);
	n = fill_zone(ZONE_CMA, filler, ARRAY_SIZE(filler));
	assert_true(n > 0);
	assert_int_equal(zone_largest_free_order(pnm_zone(ZONE_CMA)), -1);

	folio = get_folio_at(t, addr);
	assert_int_equal(migrate_folio_to(folio, alloc_migration_target_zone, ZONE_CMA,
					  MR_SYSCALL, &dst), -ENOMEM);
	assert_int_equal(folio_ref_count(folio), 2);
	folio_put(folio);
	assert_int_equal(pnm_mm_migrate_range(t->mm, addr, PAGE_SIZE, ZONE_CMA), -ENOMEM);
	assert_int_equal(global_stat(PGMIGRATE_FAIL), fail + 2);
	assert_int_equal(test_pfn(t, addr), pfn);
	assert_true(pfn_writable(t, addr));
	assert_true(PageAnonExclusive(pfn_to_page(pfn)));
	check_page(t, addr, 21);
	release_pages(filler, n);
	CHECK_ALL();
	put_task_struct(t);
}

/* A THP with no room at all: split, then nothing moves. */
static void test_migrate_thp_enomem(void **state)
{
	struct task_struct *t = test_task_create("thpfull");
	static struct page *filler[4096];
	unsigned long addr, n, pfn;

	(void)state;
	addr = map_thp(t);
	pfn = test_pfn(t, addr);
	n = fill_zone(ZONE_CMA, filler, ARRAY_SIZE(filler));
	assert_int_equal(pnm_mm_migrate_range(t->mm, addr, PMD_SIZE, ZONE_CMA), -ENOMEM);
	CHECK_ALL();
	/* Split by the fallback, but every page is where it was. */
	assert_int_equal(test_pfn(t, addr + 9 * PAGE_SIZE), pfn + 9);
	check_thp_data(t, addr);
	release_pages(filler, n);
	CHECK_ALL();
	put_task_struct(t);
}

static void test_migrate_mm_write_locked(void **state)
{
	struct task_struct *t = test_task_create("busy");
	struct folio *folio, *dst = NULL;
	struct test_mm_holder h;
	unsigned long addr, pfn;

	(void)state;
	addr = test_mmap(t, PAGE_SIZE, PROT_RW, MAP_ANON_PRIV);
	fill_page(t, addr, 44);
	pfn = test_pfn(t, addr);
	folio = get_folio_at(t, addr);

	/*
	 * The process sits on its own mmap_lock (for write) for the whole
	 * migration: the reverse map reaches its page tables without it, so
	 * the folio moves at once.
	 */
	test_mm_holder_start(&h, t->mm);
	assert_int_equal(migrate_folio_to(folio, alloc_migration_target_zone, ZONE_NORMAL,
					  MR_SYSCALL, &dst), 0);
	assert_non_null(dst);
	assert_false(folio_test_locked(dst));
	assert_int_equal(folio_mapcount(dst), 1);
	folio_put(dst);
	test_mm_holder_stop(&h);

	assert_true(test_pfn(t, addr) != pfn);
	assert_int_equal(pfn_zone(test_pfn(t, addr)), ZONE_NORMAL);
	check_page(t, addr, 44);
	CHECK_ALL();
	put_task_struct(t);
}

/* A folio another migrator has isolated is busy (-EBUSY, worth a retry),
 * not unmovable (-EINVAL). */
static void test_migrate_isolated_is_busy(void **state)
{
	struct task_struct *t = test_task_create("iso");
	unsigned long addr = test_mmap(t, PAGE_SIZE, PROT_RW, MAP_ANON_PRIV);
	struct folio *folio, *dst = NULL;

	(void)state;
	fill_page(t, addr, 7);
	folio = get_folio_at(t, addr);
	folio_lock(folio);
	SetPageIsolated(&folio->page);		/* as a migrator in flight does */
	folio_unlock(folio);
	assert_int_equal(migrate_folio_to(folio, alloc_migration_target_zone, ZONE_NORMAL,
					  MR_SYSCALL, &dst), -EBUSY);
	folio_lock(folio);
	ClearPageIsolated(&folio->page);
	folio_unlock(folio);
	assert_int_equal(migrate_folio_to(folio, alloc_migration_target_zone, ZONE_NORMAL,
					  MR_SYSCALL, &dst), 0);
	folio_put(dst);
	check_page(t, addr, 7);
	CHECK_ALL();
}

static struct folio *no_target(struct folio *src, unsigned long private)
{
	(void)src;
	(void)private;
	return NULL;
}

/* A large page-cache folio with no destination of its order (and which
 * the model cannot split) fails with -ENOMEM, not -EINVAL. */
static void test_migrate_large_file_folio_no_target(void **state)
{
	struct task_struct *t = test_task_create("lf");
	struct file *f = test_open(PNM_FS_DISK, "large");
	struct folio *folio, *dst = NULL;
	long a;

	(void)state;
	assert_int_equal(do_ftruncate(f, 16 * PAGE_SIZE), 0);
	a = pnm_mm_mmap(t->mm, 0, 16 * PAGE_SIZE, PROT_RW, MAP_SHARED, f, 0);
	assert_true(a > 0);
	test_write_byte(t, (unsigned long)a, 1);
	folio = get_folio_at(t, (unsigned long)a);
	assert_true(folio_test_large(folio));
	assert_int_equal(migrate_folio_to(folio, no_target, 0, MR_SYSCALL, &dst), -ENOMEM);
	folio_put(folio);
	CHECK_ALL();
	fput(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_migrate_anon, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_migrate_fork_shared, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_migrate_extra_ref, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_migrate_unmovable, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_migrate_shmem, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_migrate_thp_whole, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_migrate_thp_split, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_migrate_enomem, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_migrate_thp_enomem, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_migrate_isolated_is_busy, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_migrate_large_file_folio_no_target, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_migrate_mm_write_locked, pnm_test_setup, pnm_test_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
