// SPDX-License-Identifier: MIT
/*
 * test_memfd_pin.c - memfd_pin_folios() and unpin_folio(s)() (pinmm/gup.h,
 * memfd.c): Linux's argument rules (@end inclusive, every -EINVAL case),
 * folios looked up or allocated (in ZONE_NORMAL: the long-term scope),
 * one pin per folio, *offset, @max_folios cutting the range, cached
 * folios in ZONE_MOVABLE or CMA migrated out first (the shared mapping
 * then maps the new frame), a folio that cannot move (-ENOMEM, nothing
 * pinned), the pin registry's record (pid 0, the file offset, FOLL_PIN |
 * FOLL_LONGTERM) and a record that cannot be allocated, the device
 * writing through the folios and a process reading it through a mapping,
 * F_SEAL_WRITE refused while pinned, truncate of a pinned folio (detached,
 * alive until unpinned), a second unpin reported as misuse, and legacy
 * mode.  Threads racing it: tests/stress/stress_memfd_pin.c.
 */
#include <pthread.h>
#include <string.h>

#include "gup_test.h"

static struct file *memfd_of(unsigned long pages)
{
	struct file *f = NULL;

	assert_int_equal(pnm_memfd_create("pin", PNM_MFD_ALLOW_SEALING, &f), 0);
	assert_int_equal(pnm_file_truncate(f, (int64_t)(pages * PG)), 0);
	return f;
}

/* Write one distinct byte at the start of page @i. */
static void put_byte(struct file *f, unsigned long i, unsigned char v)
{
	assert_int_equal(pnm_file_write(f, &v, 1, (int64_t)(i * PG)), 1);
}

static enum zone_type zone_of(struct folio *folio)
{
	return page_zonenum(&folio->page);
}

static void test_arguments(void **state)
{
	struct file *f = memfd_of(4), *disk = test_open(PNM_FS_DISK, "d"), *sec = NULL;
	struct folio *folios[8] = { NULL };
	unsigned long off = 77;
	long acquired = global_stat(NR_FOLL_PIN_ACQUIRED);

	(void)state;
	assert_int_equal(pnm_memfd_secret(0, &sec), 0);
	assert_int_equal(pnm_file_truncate(sec, PG), 0);
	assert_int_equal(memfd_pin_folios(f, -1, 10, folios, 8, &off), -EINVAL);
	assert_int_equal(memfd_pin_folios(f, 11, 10, folios, 8, &off), -EINVAL);
	assert_int_equal(memfd_pin_folios(f, 0, 10, folios, 0, &off), -EINVAL);
	assert_int_equal(memfd_pin_folios(NULL, 0, 10, folios, 8, &off), -EINVAL);
	assert_int_equal(memfd_pin_folios(f, 0, 10, NULL, 8, &off), -EINVAL);
	assert_int_equal(memfd_pin_folios(f, 0, 10, folios, 8, NULL), -EINVAL);
	/* Only shmem (a hugetlb memfd is not taken yet): not disk, not secretmem. */
	assert_int_equal(pnm_file_truncate(disk, PG), 0);
	assert_int_equal(memfd_pin_folios(disk, 0, 10, folios, 8, &off), -EINVAL);
	assert_int_equal(memfd_pin_folios(sec, 0, 10, folios, 8, &off), -EINVAL);
	/* @end is inclusive and must lie inside the file. */
	assert_int_equal(memfd_pin_folios(f, 0, 4 * PG, folios, 8, &off), -EINVAL);
	assert_int_equal(memfd_pin_folios(f, 4 * PG - 1, 4 * PG + 5, folios, 8, &off), -EINVAL);
	assert_int_equal(off, 77);
	assert_null(folios[0]);
	assert_int_equal(global_stat(NR_FOLL_PIN_ACQUIRED), acquired);
	assert_int_equal(f->f_mapping->nrpages, 0);
	/* The last byte is fine. */
	assert_int_equal(memfd_pin_folios(f, 4 * PG - 1, 4 * PG - 1, folios, 8, &off), 1);
	assert_int_equal(off, PG - 1);
	assert_int_equal(folios[0]->index, 3);
	unpin_folio(folios[0]);
	CHECK_ALL();
	pnm_file_close(f);
	pnm_file_close(sec);
	fput(disk);
}

struct rec_seen {
	unsigned long n, pages, start;
	int pid;
	unsigned int flags;
};

static void note_rec(const struct pnm_pin_record *rec, void *arg)
{
	struct rec_seen *s = arg;

	s->n++;
	s->pages = rec->nr_live;
	s->start = rec->start;
	s->pid = rec->pid;
	s->flags = rec->gup_flags;
}

static void test_pin_and_allocate(void **state)
{
	struct file *f = memfd_of(6);
	struct folio *folios[8];
	unsigned long off = 0, i;
	long acquired = global_stat(NR_FOLL_PIN_ACQUIRED);
	struct rec_seen seen = { 0 };
	unsigned char v;

	(void)state;
	put_byte(f, 1, 0x11);
	put_byte(f, 3, 0x33);
	assert_int_equal(f->f_mapping->nrpages, 2);
	/* The cached pages are born movable. */
	folios[0] = filemap_get_folio(f->f_mapping, 1);
	assert_int_equal(zone_of(folios[0]), ZONE_MOVABLE);
	folio_put(folios[0]);

	/* Bytes [PG + 100, 5 PG - 1]: pages 1..4, two of them new. */
	assert_int_equal(memfd_pin_folios(f, PG + 100, 5 * PG - 1, folios, 8, &off), 4);
	assert_int_equal(off, 100);
	assert_int_equal(f->f_mapping->nrpages, 4);
	/* Pinned twice: the first pass found movable folios, let go of
	 * everything, moved them, and pinned again. */
	assert_int_equal(global_stat(NR_FOLL_PIN_ACQUIRED), acquired + 8);
	assert_int_equal(global_stat(NR_FOLL_PIN_ACQUIRED) - global_stat(NR_FOLL_PIN_RELEASED), 4);
	for (i = 0; i < 4; i++) {
		assert_int_equal(folios[i]->index, i + 1);
		assert_true(folio_maybe_dma_pinned(folios[i]));
		/* Long-term: nothing left in MOVABLE or CMA. */
		assert_int_equal(zone_of(folios[i]), ZONE_NORMAL);
		assert_ptr_equal(folios[i]->mapping, f->f_mapping);
	}
	/* The migrated ones kept their data; the new ones are zero. */
	assert_int_equal(*(unsigned char *)folio_address(folios[0]), 0x11);
	assert_int_equal(*(unsigned char *)folio_address(folios[2]), 0x33);
	assert_int_equal(*(unsigned char *)folio_address(folios[1]), 0);
	/* One record, no process, the file offset, long-term. */
	pnm_pin_registry_foreach(-1, note_rec, &seen);
	assert_int_equal(seen.n, 1);
	assert_int_equal(seen.pages, 4);
	assert_int_equal(seen.pid, 0);
	assert_int_equal(seen.start, PG);
	assert_true((seen.flags & (FOLL_PIN | FOLL_LONGTERM)) == (FOLL_PIN | FOLL_LONGTERM));
	CHECK_ALL();

	/* The device writes through the folios; the file reads it. */
	{
		struct page *pages[4];

		for (i = 0; i < 4; i++)
			pages[i] = &folios[i]->page;
		assert_int_equal(pnm_dma_write(pages, 4, 2 * PG + 5, "dev", 3), 0);
		assert_int_equal(pnm_file_read(f, &v, 1, 3 * PG + 5), 1);
		assert_int_equal(v, 'd');
	}
	unpin_folios(folios, 4);
	assert_int_equal(global_stat(NR_FOLL_PIN_ACQUIRED), global_stat(NR_FOLL_PIN_RELEASED));
	assert_int_equal(pnm_pin_registry_count(-1), 0);
	CHECK_ALL();

	/* @max_folios cuts the range. */
	assert_int_equal(memfd_pin_folios(f, 0, 6 * PG - 1, folios, 2, &off), 2);
	assert_int_equal(off, 0);
	assert_int_equal(folios[1]->index, 1);
	unpin_folio(folios[0]);
	unpin_folio(folios[1]);
	/* @end inclusive: [0, PG] is two pages, [0, PG - 1] one. */
	assert_int_equal(memfd_pin_folios(f, 0, PG, folios, 8, &off), 2);
	unpin_folios(folios, 2);
	assert_int_equal(memfd_pin_folios(f, 0, PG - 1, folios, 8, &off), 1);
	unpin_folios(folios, 1);
	/* Unpinning again is a misuse, reported, nothing released. */
	assert_int_equal(pnm_misuse_count(PNM_MISUSE_OVER_UNPIN), 0);
	unpin_folio(folios[0]);
	assert_int_equal(pnm_misuse_count(PNM_MISUSE_OVER_UNPIN), 1);
	CHECK_ALL();
	pnm_file_close(f);
}

/* A mapped page in MOVABLE: migrated, the mapping follows. */
static void test_migrate_mapped(void **state)
{
	struct task_struct *t = gt_task("t");
	struct file *f = memfd_of(2);
	struct folio *folio;
	unsigned long off, old_pfn;
	long a;

	(void)state;
	a = pnm_mmap(t, 0, 2 * PG, RW, MAP_SHARED, f, 0);
	assert_true(a > 0);
	gt_write(t, (unsigned long)a, 0x61, PG);
	/* Put it in CMA to make the point with the zone long-term pins
	 * avoid most. */
	assert_true(pnm_mm_migrate_range(t->mm, (unsigned long)a, PG, ZONE_CMA) > 0);
	old_pfn = test_pfn(t, (unsigned long)a);
	assert_int_equal(page_zonenum(pfn_to_page(old_pfn)), ZONE_CMA);
	assert_int_equal(memfd_pin_folios(f, 0, PG - 1, &folio, 1, &off), 1);
	assert_int_not_equal(folio_pfn(folio), old_pfn);
	assert_int_equal(zone_of(folio), ZONE_NORMAL);
	/* The process sees the moved page, and the device's write. */
	assert_int_equal(test_read_byte(t, (unsigned long)a), 0x61);
	*(unsigned char *)folio_address(folio) = 0x62;
	assert_int_equal(test_read_byte(t, (unsigned long)a), 0x62);
	assert_int_equal(test_pfn(t, (unsigned long)a), folio_pfn(folio));
	/* Pinned: migration refuses it now. */
	assert_int_equal(pnm_mm_migrate_range(t->mm, (unsigned long)a, PG, ZONE_MOVABLE), -EBUSY);
	unpin_folio(folio);
	CHECK_ALL();
	pnm_file_close(f);
}

/* A folio that must move but cannot (an extra reference): -ENOMEM, and
 * no pin is left behind. */
static void test_migrate_fails(void **state)
{
	struct file *f = memfd_of(3);
	struct folio *folios[3], *stuck;
	unsigned long off;
	long acquired = global_stat(NR_FOLL_PIN_ACQUIRED);

	(void)state;
	put_byte(f, 0, 1);
	put_byte(f, 2, 2);
	stuck = filemap_get_folio(f->f_mapping, 2);	/* our extra reference */
	assert_int_equal(zone_of(stuck), ZONE_MOVABLE);
	assert_int_equal(memfd_pin_folios(f, 0, 3 * PG - 1, folios, 3, &off), -ENOMEM);
	assert_true(global_stat(NR_FOLL_PIN_ACQUIRED) > acquired);	/* it tried */
	assert_int_equal(global_stat(NR_FOLL_PIN_ACQUIRED), global_stat(NR_FOLL_PIN_RELEASED));
	assert_false(folio_maybe_dma_pinned(stuck));
	assert_int_equal(pnm_pin_registry_count(-1), 0);
	CHECK_ALL();
	folio_put(stuck);
	/* Without it, the same call goes through. */
	assert_int_equal(memfd_pin_folios(f, 0, 3 * PG - 1, folios, 3, &off), 3);
	unpin_folios(folios, 3);
	CHECK_ALL();
	pnm_file_close(f);
}

/* The registry cannot record the call: -ENOMEM, nothing pinned. */
static void test_record_fails(void **state)
{
	struct file *f = memfd_of(2);
	struct folio *folios[2];
	unsigned long off;

	(void)state;
	pnm_pin_registry_fail_nth(1);
	assert_int_equal(memfd_pin_folios(f, 0, 2 * PG - 1, folios, 2, &off), -ENOMEM);
	assert_int_equal(global_stat(NR_FOLL_PIN_ACQUIRED), global_stat(NR_FOLL_PIN_RELEASED));
	assert_int_equal(pnm_pin_registry_count(-1), 0);
	CHECK_ALL();
	pnm_file_close(f);
}

/* Seals and truncation against pins taken by offset. */
static void test_seal_and_truncate(void **state)
{
	struct file *f = memfd_of(2);
	struct folio *folios[2];
	unsigned long off;
	long live = global_stat(PNM_NR_TRUNCATED_LIVE);

	(void)state;
	assert_int_equal(memfd_pin_folios(f, 0, 2 * PG - 1, folios, 2, &off), 2);
	assert_int_equal(pnm_file_fcntl(f, PNM_F_ADD_SEALS, PNM_F_SEAL_WRITE), -EBUSY);
	/* Truncating is allowed: the pinned folios live on, detached. */
	assert_int_equal(pnm_file_truncate(f, PG), 0);
	assert_null(folios[1]->mapping);
	assert_true(test_bit(PG_pnm_truncated, &folios[1]->flags));
	assert_int_equal(global_stat(PNM_NR_TRUNCATED_LIVE), live + 1);
	*(unsigned char *)folio_address(folios[1]) = 9;	/* reaches no file */
	CHECK_ALL();
	/* A pin past the new end is refused. */
	assert_int_equal(memfd_pin_folios(f, PG, PG, folios, 1, &off), -EINVAL);
	unpin_folios(folios, 2);
	assert_int_equal(global_stat(PNM_NR_TRUNCATED_LIVE), live);
	assert_int_equal(pnm_file_fcntl(f, PNM_F_ADD_SEALS, PNM_F_SEAL_WRITE), 0);
	/* Sealed memfds may still be pinned (udmabuf wants them sealed). */
	assert_int_equal(memfd_pin_folios(f, 0, PG - 1, folios, 1, &off), 1);
	unpin_folio(folios[0]);
	CHECK_ALL();
	pnm_file_close(f);
}

/* Legacy mode: plain references, no migration, still recorded. */
static void test_legacy(void **state)
{
	struct pnm_config cfg;
	struct file *f;
	struct folio *folio;
	unsigned long off;
	int refs;

	(void)state;
	assert_int_equal(pnm_fini(), 0);
	pnm_test_config(&cfg);
	cfg.legacy_gup = true;
	pnm_test_init_with(&cfg);
	f = memfd_of(1);
	put_byte(f, 0, 1);
	folio = filemap_get_folio(f->f_mapping, 0);
	refs = folio_ref_count(folio);
	folio_put(folio);
	assert_int_equal(memfd_pin_folios(f, 0, 0, &folio, 1, &off), 1);
	assert_int_equal(folio_ref_count(folio), refs);	/* -1 lookup, +1 "pin" */
	assert_int_equal(zone_of(folio), ZONE_MOVABLE);	/* not moved */
	assert_int_equal(pnm_pin_registry_count(-1), 1);
	assert_int_equal(global_stat(NR_FOLL_PIN_ACQUIRED), 0);
	unpin_folio(folio);
	CHECK_ALL();
	pnm_file_close(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_arguments, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_pin_and_allocate, pnm_test_setup,
						pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_migrate_mapped, pnm_test_setup,
						pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_migrate_fails, pnm_test_setup,
						pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_record_fails, pnm_test_setup,
						pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_seal_and_truncate, pnm_test_setup,
						pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_legacy, pnm_test_setup, pnm_test_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
