/* SPDX-License-Identifier: MIT */
/*
 * test_compaction.c - compact_zone() turns a zone fragmented down to
 * single free frames back into one with a free 2 MiB block, keeps every
 * byte of the data it moves, leaves referenced folios and page tables
 * where they are, and reports its work in struct pnm_compact_result and the
 * compact* counters.
 */
#include <string.h>

#include "test_util.h"
#include "pinmm_test_internal.h"

#define PROT_RW		(PROT_READ | PROT_WRITE)

struct frag {
	struct task_struct *t;
	unsigned long addr;
	unsigned long npages;		/* pages written (the rest never touched) */
};

static unsigned long page_value(unsigned long i)
{
	return i * 0x9e3779b97f4a7c15UL + 17;
}

static void write_val(struct task_struct *t, unsigned long addr, unsigned long v)
{
	assert_int_equal(pnm_user_write(t, addr, &v, sizeof(v)), 0);
}

static unsigned long read_val(struct task_struct *t, unsigned long addr)
{
	unsigned long v = 0;

	assert_int_equal(pnm_user_read(t, addr, &v, sizeof(v)), 0);
	return v;
}

static unsigned long zone_free(enum zone_type zt)
{
	return zone_page_state(pnm_zone(zt), NR_ZONE_FREE_PAGES);
}

/*
 * Fill MOVABLE and then NORMAL with anon pages of one process, then unmap
 * every other page: both zones are left with single free frames between
 * used ones, so neither has a free block above order 0 in the filled part.
 * Every PTE table is created first (from NORMAL's bottom), so the tables
 * do not end up scattered among the data.
 */
static void fragment(struct frag *f)
{
	unsigned long total = pnm_mem.nr_frames, i, len;

	f->t = test_task_create("frag");
	assert_non_null(f->t);
	len = total * PAGE_SIZE;
	f->addr = test_mmap(f->t, len + PMD_SIZE, PROT_RW, MAP_PRIVATE | MAP_ANONYMOUS);
	f->addr = ALIGN(f->addr, PMD_SIZE);
	/* Tables first: one touch per 2 MiB, read (zero page, no frame). */
	for (i = 0; i < total; i += HPAGE_PMD_NR)
		(void)test_read_byte(f->t, f->addr + i * PAGE_SIZE);
	for (i = 0; zone_free(ZONE_NORMAL) > 0; i++) {
		assert_true(i < total);
		write_val(f->t, f->addr + i * PAGE_SIZE, page_value(i));
	}
	f->npages = i;
	assert_int_equal(zone_free(ZONE_MOVABLE), 0);
	for (i = 1; i < f->npages; i += 2)
		assert_int_equal(pnm_mm_madvise(f->t->mm, f->addr + i * PAGE_SIZE, PAGE_SIZE,
					     MADV_DONTNEED), 0);
	CHECK_ALL();
}

static void check_data(struct frag *f)
{
	unsigned long i;

	for (i = 0; i < f->npages; i += 2)
		assert_int_equal(read_val(f->t, f->addr + i * PAGE_SIZE), page_value(i));
}

/* MOVABLE: fragmented to order 0, compacted back to a free 2 MiB block. */
static void test_compact_movable(void **state)
{
	struct zone *zone = pnm_zone(ZONE_MOVABLE);
	long stall = global_stat(COMPACTSTALL), success = global_stat(COMPACTSUCCESS);
	long fail = global_stat(COMPACTFAIL), msc = global_stat(COMPACTMIGRATE_SCANNED);
	long fsc = global_stat(COMPACTFREE_SCANNED), iso = global_stat(COMPACTISOLATED);
	long succ = global_stat(PGMIGRATE_SUCCESS);
	unsigned long nfree, nr_alloc;
	struct pnm_compact_result res;
	struct frag f;

	(void)state;
	fragment(&f);
	assert_int_equal(zone_largest_free_order(zone), 0);
	nfree = zone_free(ZONE_MOVABLE);
	nr_alloc = pnm_nr_allocated_frames();

	assert_int_equal(compact_zone(zone, HPAGE_PMD_ORDER, &res), 0);
	CHECK_ALL();
	assert_int_equal(zone_largest_free_order(zone), HPAGE_PMD_ORDER);
	assert_int_equal(res.largest_free_order, HPAGE_PMD_ORDER);
	assert_true(res.migrated > 0);
	assert_int_equal(res.failed, 0);
	assert_true(res.migrate_scanned >= res.migrated);
	assert_true(res.free_scanned >= res.migrated);
	/* Migration inside the zone: no frame gained or lost. */
	assert_int_equal(zone_free(ZONE_MOVABLE), nfree);
	assert_int_equal(pnm_nr_allocated_frames(), nr_alloc);
	assert_int_equal(global_stat(COMPACTSTALL), stall + 1);
	assert_int_equal(global_stat(COMPACTSUCCESS), success + 1);
	assert_int_equal(global_stat(COMPACTFAIL), fail);
	assert_int_equal(global_stat(COMPACTMIGRATE_SCANNED), msc + (long)res.migrate_scanned);
	assert_int_equal(global_stat(COMPACTFREE_SCANNED), fsc + (long)res.free_scanned);
	assert_true(global_stat(COMPACTISOLATED) >= iso + 2 * (long)res.migrated);
	assert_int_equal(global_stat(PGMIGRATE_SUCCESS), succ + (long)res.migrated);
	check_data(&f);

	/* Already satisfied: no work, no stall. */
	assert_int_equal(compact_zone(zone, HPAGE_PMD_ORDER, &res), 0);
	assert_int_equal(res.migrated, 0);
	assert_int_equal(global_stat(COMPACTSTALL), stall + 1);
	/* A 2 MiB folio can now come from this zone. */
	{
		struct folio *thp = folio_alloc_zone(GFP_TRANSHUGE, HPAGE_PMD_ORDER,
						     ZONE_MOVABLE);

		assert_non_null(thp);
		folio_put(thp);
	}
	assert_int_equal(compact_zone(zone, MAX_PAGE_ORDER + 1, &res), -EINVAL);
	CHECK_ALL();
}

/*
 * A page held with an extra reference stays where it is; compaction works
 * around it.
 */
static void test_compact_extra_ref(void **state)
{
	struct zone *zone = pnm_zone(ZONE_MOVABLE);
	long refused = global_stat(PNM_MIGRATE_REFUSED_REFS);
	struct pnm_compact_result res;
	struct folio *held;
	unsigned long pfn;
	struct frag f;

	(void)state;
	fragment(&f);
	/* The data page at the very bottom of the zone. */
	for (pfn = zone->zone_start_pfn; !folio_ref_count(pfn_folio(pfn)); pfn++)
		;
	held = pfn_folio(pfn);
	assert_true(folio_test_anon(held));
	folio_get(held);

	assert_int_equal(compact_zone(zone, HPAGE_PMD_ORDER, &res), 0);
	CHECK_ALL();
	assert_true(res.failed >= 1);
	assert_true(res.migrated > 0);
	assert_int_equal(folio_pfn(held), pfn);
	assert_int_equal(folio_ref_count(held), 2);
	assert_int_equal(folio_mapcount(held), 1);
	assert_true(folio_test_anon(held));
	/* Skipped without even trying: no refused migration. */
	assert_int_equal(global_stat(PNM_MIGRATE_REFUSED_REFS), refused);
	check_data(&f);
	folio_put(held);
	CHECK_ALL();
}

/*
 * NORMAL holds page tables and the zero page: they are skipped, the data
 * around them moves, and the zone gets its 2 MiB block back.
 */
static void test_compact_normal(void **state)
{
	struct zone *zone = pnm_zone(ZONE_NORMAL);
	unsigned long pfn, tables = 0, tables_after = 0;
	struct pnm_compact_result res;
	struct frag f;

	(void)state;
	fragment(&f);
	assert_int_equal(zone_largest_free_order(zone), 0);
	for (pfn = zone->zone_start_pfn; pfn < zone_end_pfn(zone); pfn++)
		tables += PageTable(pfn_to_page(pfn)) ? pfn : 0;

	assert_int_equal(compact_zone(zone, HPAGE_PMD_ORDER, &res), 0);
	CHECK_ALL();
	assert_true(res.migrated > 0);
	assert_int_equal(zone_largest_free_order(zone), HPAGE_PMD_ORDER);
	for (pfn = zone->zone_start_pfn; pfn < zone_end_pfn(zone); pfn++)
		tables_after += PageTable(pfn_to_page(pfn)) ? pfn : 0;
	assert_int_equal(tables_after, tables);
	assert_true(PageReserved(pfn_to_page(pnm_mem.zero_pfn)));
	check_data(&f);
	CHECK_ALL();
}

/* Nothing movable to make room with: -EAGAIN and COMPACTFAIL. */
static void test_compact_fail(void **state)
{
	struct zone *zone = pnm_zone(ZONE_CMA);
	static struct page *filler[1024];
	long fail = global_stat(COMPACTFAIL);
	struct pnm_compact_result res;
	unsigned long pfn, n = 0, i;

	(void)state;
	/* Isolated (non-movable) frames at every other pfn. */
	for (pfn = zone->zone_start_pfn; pfn < zone_end_pfn(zone); pfn += 2) {
		filler[n] = pnm_isolate_free_range(zone, pfn, 0);
		assert_non_null(filler[n]);
		n++;
	}
	assert_int_equal(compact_zone(zone, 1, &res), -EAGAIN);
	assert_int_equal(res.migrated, 0);
	assert_int_equal(res.largest_free_order, 0);
	assert_int_equal(global_stat(COMPACTFAIL), fail + 1);
	assert_int_equal(zone_largest_free_order(zone), 0);
	for (i = 0; i < n; i++)
		put_page(filler[i]);
	CHECK_ALL();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_compact_movable, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_compact_extra_ref, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_compact_normal, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_compact_fail, pnm_test_setup, pnm_test_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
