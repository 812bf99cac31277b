// SPDX-License-Identifier: MIT
/*
 * test_inspect.c - the public queries of pinmm/inspect.h (inspect.c):
 * frames (free, folio, page table, zero page), what a task maps at an
 * address (zero page, anon-exclusive, COW after fork, a THP, pins), a
 * file's cached pages (and one truncated while pinned), mappings and the
 * mm summary, zones, the arena and open files; each answer checked
 * against the model's internals, and each call's errors (bad structures,
 * bad arguments, exited tasks, no model) and the size rule of the
 * snapshot structures (smaller: refused; larger: only the library's part
 * filled).
 */
#include <fcntl.h>
#include <string.h>

#include "test_util.h"
#include "pinmm_test_internal.h"

#define PG	PAGE_SIZE
#define RW	(PROT_READ | PROT_WRITE)
#define ANON	(MAP_PRIVATE | MAP_ANONYMOUS)

static struct pnm_page_info page_info(struct task_struct *t, unsigned long addr)
{
	struct pnm_page_info pi = { .size = sizeof(pi) };

	assert_int_equal(pnm_task_page_info(t, addr, &pi), 0);
	assert_int_equal(pi.size, sizeof(pi));
	return pi;
}

static struct pnm_page_info pfn_info(unsigned long pfn)
{
	struct pnm_page_info pi = { .size = sizeof(pi) };

	assert_int_equal(pnm_pfn_info(pfn, &pi), 0);
	return pi;
}

/* The snapshot of a folio's page agrees with the descriptors. */
static void assert_matches_page(const struct pnm_page_info *pi, struct page *page)
{
	struct folio *folio = page_folio(page);

	assert_int_equal(pi->pfn, page_to_pfn(page));
	assert_ptr_equal(pi->page, page);
	assert_int_equal(pi->zone, page_zonenum(page));
	assert_int_equal(pi->head_pfn, folio_pfn(folio));
	assert_int_equal(pi->order, folio_order(folio));
	assert_int_equal(pi->refcount, folio_ref_count(folio));
	assert_int_equal(pi->mapcount, page_mapcount(page));
	assert_int_equal(pi->page_pins, atomic_read(&page->pnm_pincount));
	assert_int_equal(!!(pi->flags & PNM_PAGE_ANON), folio_test_anon(folio));
	assert_int_equal(!!(pi->flags & PNM_PAGE_DIRTY), folio_test_dirty(folio));
	assert_int_equal(!!(pi->flags & PNM_PAGE_MAYBE_PINNED), folio_maybe_dma_pinned(folio));
}

/* --- names, the arena, zones ------------------------------------------------ */

static void test_zone_name(void **state)
{
	(void)state;
	assert_string_equal(pnm_zone_name(PNM_ZONE_NORMAL), "Normal");
	assert_string_equal(pnm_zone_name(PNM_ZONE_MOVABLE), "Movable");
	assert_string_equal(pnm_zone_name(PNM_ZONE_CMA), "CMA");
	assert_string_equal(pnm_zone_name(PNM_NR_ZONES), "?");
	assert_string_equal(pnm_zone_name((enum pnm_zone_type)-1), "?");
}

static void test_mem_info(void **state)
{
	struct pnm_mem_info mi = { .size = sizeof(mi) };
	struct task_struct *t = test_task_create("t");
	unsigned long addr = test_mmap(t, 16 * PG, RW, ANON), before;

	(void)state;
	assert_int_equal(pnm_get_mem_info(&mi), 0);
	assert_int_equal(mi.size, sizeof(mi));
	assert_int_equal(mi.frames, pnm_mem.nr_frames);
	assert_int_equal(mi.frames, 4096 + 2048 + 1024);
	assert_int_equal(mi.free_frames + mi.allocated_frames, mi.frames);
	assert_int_equal(mi.allocated_frames, pnm_nr_allocated_frames());
	assert_int_equal(mi.zero_pfn, pnm_mem.zero_pfn);
	assert_true(mi.page_pins_kept);		/* the test config keeps them */
	before = mi.allocated_frames;
	for (unsigned long off = 0; off < 16 * PG; off += PG)
		test_write_byte(t, addr + off, 1);
	assert_int_equal(pnm_get_mem_info(&mi), 0);
	assert_true(mi.allocated_frames >= before + 16);
	assert_int_equal(mi.free_frames + mi.allocated_frames, mi.frames);

	/* Errors: NULL, a size below the structure's. */
	assert_int_equal(pnm_get_mem_info(NULL), -EINVAL);
	mi.size = sizeof(mi) - 1;
	assert_int_equal(pnm_get_mem_info(&mi), -EINVAL);
	mi.size = 0;
	assert_int_equal(pnm_get_mem_info(&mi), -EINVAL);
	CHECK_ALL();
}

/* The descriptor size the library reports is its struct page's, and the
 * side tables are the registry's bit per frame plus the deferred split
 * queue's bit per 16 KiB; asked with no model, and NULL is allowed. */
static void test_page_desc_size(void **state)
{
	unsigned int side = 0;

	(void)state;
	assert_int_equal(pnm_page_desc_size(&side), sizeof(struct page));
	assert_int_equal(side, 64 + 64 / 4);
	assert_int_equal(pnm_page_desc_size(NULL), sizeof(struct page));
}

/* Without exact accounting, the registry and pin_debug, no per-page
 * counts are kept, and the arena says so. */
static void test_mem_info_no_page_pins(void **state)
{
	struct pnm_mem_info mi = { .size = sizeof(mi) };
	struct pnm_config cfg;

	(void)state;
	pnm_test_config(&cfg);
	cfg.pin_registry = false;
	cfg.pin_debug = false;
	cfg.pin_accounting = PNM_PIN_ACCOUNTING_LINUX;
	pnm_test_init_with(&cfg);
	assert_int_equal(pnm_get_mem_info(&mi), 0);
	assert_false(mi.page_pins_kept);
	assert_int_equal(pnm_test_teardown(NULL), 0);

	pnm_test_config(&cfg);
	cfg.pin_registry = false;
	cfg.pin_debug = false;
	cfg.pin_accounting = PNM_PIN_ACCOUNTING_EXACT;
	pnm_test_init_with(&cfg);
	assert_int_equal(pnm_get_mem_info(&mi), 0);
	assert_true(mi.page_pins_kept);
	assert_int_equal(pnm_test_teardown(NULL), 0);
}

/* Every query refuses to run without a model. */
static void test_not_initialised(void **state)
{
	struct pnm_mem_info mi = { .size = sizeof(mi) };
	struct pnm_zone_info zi = { .size = sizeof(zi) };
	struct pnm_page_info pi = { .size = sizeof(pi) };

	(void)state;
	assert_int_equal(pnm_get_mem_info(&mi), -EINVAL);
	assert_int_equal(pnm_get_zone_info(PNM_ZONE_NORMAL, &zi), -EINVAL);
	assert_int_equal(pnm_pfn_info(0, &pi), -EINVAL);
}

static void check_zone(enum pnm_zone_type type)
{
	struct pnm_zone_info zi = { .size = sizeof(zi) };
	struct zone *z = pnm_zone((enum zone_type)type);
	unsigned long free = 0;

	assert_int_equal(pnm_get_zone_info(type, &zi), 0);
	assert_non_null(z);
	assert_int_equal(zi.start_pfn, z->zone_start_pfn);
	assert_int_equal(zi.frames, z->spanned_pages);
	assert_int_equal(zi.free_pages, zone_page_state(z, NR_ZONE_FREE_PAGES));
	assert_int_equal(zi.largest_free_order, zone_largest_free_order(z));
	assert_int_equal(zi.alloc, zone_page_state(z, NR_ZONE_ALLOC));
	assert_int_equal(zi.freed, zone_page_state(z, NR_ZONE_FREED));
	assert_int_equal(zi.alloc_fail, zone_page_state(z, NR_ZONE_ALLOC_FAIL));
	for (int o = 0; o < PNM_NR_PAGE_ORDERS; o++) {
		assert_int_equal(zi.nr_free[o], z->free_area[o].nr_free);
		free += zi.nr_free[o] << o;
	}
	assert_int_equal(free, zi.free_pages);
}

static void test_zone_info(void **state)
{
	struct pnm_zone_info zi = { .size = sizeof(zi) };
	struct task_struct *t = test_task_create("t");
	unsigned long addr = test_mmap(t, 64 * PG, RW, ANON), free0, alloc0;
	enum pnm_zone_type zone;

	(void)state;
	for (int z = 0; z < PNM_NR_ZONES; z++)
		check_zone((enum pnm_zone_type)z);
	assert_int_equal(pnm_get_zone_info(PNM_ZONE_NORMAL, &zi), 0);
	assert_int_equal(zi.frames, 4096);
	/* Anonymous memory comes from the zone its first page came from. */
	test_write_byte(t, addr, 1);
	zone = page_info(t, addr).zone;
	assert_int_equal(pnm_get_zone_info(zone, &zi), 0);
	free0 = zi.free_pages;
	alloc0 = zi.alloc;
	for (unsigned long off = PG; off < 64 * PG; off += PG)
		test_write_byte(t, addr + off, 1);
	assert_int_equal(pnm_get_zone_info(zone, &zi), 0);
	assert_true(zi.free_pages <= free0 - 63);
	assert_true(zi.alloc >= alloc0 + 63);
	check_zone(zone);

	assert_int_equal(pnm_get_zone_info(PNM_NR_ZONES, &zi), -EINVAL);
	assert_int_equal(pnm_get_zone_info((enum pnm_zone_type)-1, &zi), -EINVAL);
	assert_int_equal(pnm_get_zone_info(PNM_ZONE_NORMAL, NULL), -EINVAL);
	zi.size = sizeof(zi) / 2;
	assert_int_equal(pnm_get_zone_info(PNM_ZONE_NORMAL, &zi), -EINVAL);
	CHECK_ALL();
}

/* A zone configured without frames: no memory, nothing free. */
static void test_zone_info_empty(void **state)
{
	struct pnm_zone_info zi = { .size = sizeof(zi) };
	struct pnm_config cfg;

	(void)state;
	pnm_test_config(&cfg);
	cfg.zone_frames[ZONE_CMA] = 0;
	pnm_test_init_with(&cfg);
	memset(&zi.nr_free, 0xff, sizeof(zi.nr_free));
	assert_int_equal(pnm_get_zone_info(PNM_ZONE_CMA, &zi), 0);
	assert_int_equal(zi.frames, 0);
	assert_int_equal(zi.free_pages, 0);
	assert_int_equal(zi.largest_free_order, -1);
	for (int o = 0; o < PNM_NR_PAGE_ORDERS; o++)
		assert_int_equal(zi.nr_free[o], 0);
	assert_int_equal(pnm_test_teardown(NULL), 0);
}

/* --- frames ------------------------------------------------------------------ */

static void test_pfn_info_kinds(void **state)
{
	struct task_struct *t = test_task_create("t");
	unsigned long addr = test_mmap(t, PG, RW, ANON);
	struct pnm_page_info pi = { .size = sizeof(pi) };
	struct zone *movable = pnm_zone(ZONE_MOVABLE);
	unsigned long table_pfn, free_pfn;

	(void)state;
	test_write_byte(t, addr, 7);

	/* A folio. */
	pi = pfn_info(test_pfn(t, addr));
	assert_int_equal(pi.kind, PNM_FRAME_FOLIO);
	assert_matches_page(&pi, pfn_to_page(test_pfn(t, addr)));
	assert_true(pi.flags & PNM_PAGE_ANON);
	assert_false(pi.flags & (PNM_PAGE_MAP_WRITE | PNM_PAGE_MAP_PMD | PNM_PAGE_ZERO));

	/* The zero page. */
	pi = pfn_info(pnm_mem.zero_pfn);
	assert_int_equal(pi.kind, PNM_FRAME_RESERVED);
	assert_true(pi.flags & PNM_PAGE_ZERO);
	assert_false(pi.flags & PNM_PAGE_HUGE_ZERO);
	assert_int_equal(pi.zone, PNM_ZONE_NORMAL);

	/* The PTE table mapping addr. */
	table_pfn = pmd_pfn(test_pmd_val(t, addr));
	pi = pfn_info(table_pfn);
	assert_int_equal(pi.kind, PNM_FRAME_PAGE_TABLE);
	assert_true(PageTable(pfn_to_page(table_pfn)));

	/* A free frame: the last of the Movable zone, which nothing used. */
	free_pfn = zone_end_pfn(movable) - 1;
	assert_int_equal(page_ref_count(pfn_to_page(free_pfn)), 0);
	pi = pfn_info(free_pfn);
	assert_int_equal(pi.kind, PNM_FRAME_FREE);
	assert_int_equal(pi.zone, PNM_ZONE_MOVABLE);
	assert_int_equal(pi.refcount, 0);
	/* ... and a free block's head (PG_buddy). */
	for (free_pfn = movable->zone_start_pfn; !PageBuddy(pfn_to_page(free_pfn)); free_pfn++)
		;
	assert_int_equal(pfn_info(free_pfn).kind, PNM_FRAME_FREE);

	/* Errors. */
	assert_int_equal(pnm_pfn_info(pnm_mem.nr_frames, &pi), -EINVAL);
	assert_int_equal(pnm_pfn_info(~0UL, &pi), -EINVAL);
	assert_int_equal(pnm_pfn_info(0, NULL), -EINVAL);
	pi.size = offsetof(struct pnm_page_info, ino) - 1;	/* the first release's, less one */
	assert_int_equal(pnm_pfn_info(0, &pi), -EINVAL);
	CHECK_ALL();
}

/* The size rule: a larger structure gets the library's part, the rest
 * untouched; size says how much was filled. */
static void test_info_size_rule(void **state)
{
	struct {
		struct pnm_page_info pi;
		unsigned char tail[32];
	} big;
	struct pnm_page_info pi = { .size = sizeof(pi) };

	(void)state;
	memset(&big, 0xa5, sizeof(big));
	big.pi.size = sizeof(big);
	assert_int_equal(pnm_pfn_info(pnm_mem.zero_pfn, &big.pi), 0);
	assert_int_equal(big.pi.size, sizeof(struct pnm_page_info));
	assert_int_equal(big.pi.pfn, pnm_mem.zero_pfn);
	for (size_t i = 0; i < sizeof(big.tail); i++)
		assert_int_equal(big.tail[i], 0xa5);
	/* A refused call leaves the structure as it was. */
	memset(&pi, 0x5a, sizeof(pi));
	pi.size = 4;
	assert_int_equal(pnm_pfn_info(pnm_mem.zero_pfn, &pi), -EINVAL);
	assert_int_equal(pi.size, 4);
	assert_int_equal(pi.pfn, 0x5a5a5a5a5a5a5a5aUL);
}

/* --- what a task maps ------------------------------------------------------------ */

static void test_task_page_info_anon(void **state)
{
	struct task_struct *a = test_task_create("a"), *b;
	unsigned long addr = test_mmap(a, 2 * PG, RW, ANON);
	struct pnm_page_info pi = { .size = sizeof(pi) };

	(void)state;
	/* Nothing there yet; nothing mapped at all far away. */
	assert_int_equal(pnm_task_page_info(a, addr, &pi), -EFAULT);
	assert_int_equal(pnm_task_page_info(a, 0x1000, &pi), -EFAULT);

	/* A read fault maps the zero page, read-only. */
	(void)test_read_byte(a, addr);
	pi = page_info(a, addr);
	assert_true(pi.flags & PNM_PAGE_ZERO);
	assert_int_equal(pi.pfn, pnm_mem.zero_pfn);
	assert_false(pi.flags & PNM_PAGE_MAP_WRITE);

	/* A write: a private page, exclusive, writable and dirty. */
	test_write_byte(a, addr, 1);
	pi = page_info(a, addr);
	assert_matches_page(&pi, pfn_to_page(test_pfn(a, addr)));
	assert_int_equal(pi.kind, PNM_FRAME_FOLIO);
	assert_int_equal(pi.refcount, 1);
	assert_int_equal(pi.mapcount, 1);
	assert_int_equal(pi.order, 0);
	assert_true(pi.flags & PNM_PAGE_ANON_EXCLUSIVE);
	assert_true(pi.flags & PNM_PAGE_MAP_WRITE);
	assert_true(pi.flags & PNM_PAGE_MAP_DIRTY);
	assert_false(pi.flags & (PNM_PAGE_MAP_PMD | PNM_PAGE_CACHED | PNM_PAGE_MAYBE_PINNED));

	/* After fork: shared by two, write-protected, no longer exclusive. */
	b = test_fork(a);
	pi = page_info(a, addr);
	assert_int_equal(pi.mapcount, 2);
	assert_int_equal(pi.refcount, 2);
	assert_false(pi.flags & (PNM_PAGE_ANON_EXCLUSIVE | PNM_PAGE_MAP_WRITE));
	assert_int_equal(page_info(b, addr).pfn, pi.pfn);
	assert_matches_page(&pi, pfn_to_page(pi.pfn));

	/* An exited task. */
	pnm_task_exit(b);
	assert_int_equal(pnm_task_page_info(b, addr, &pi), -ESRCH);
	/* Bad arguments. */
	assert_int_equal(pnm_task_page_info(NULL, addr, &pi), -EINVAL);
	assert_int_equal(pnm_task_page_info(a, addr, NULL), -EINVAL);
	pi.size = 1;
	assert_int_equal(pnm_task_page_info(a, addr, &pi), -EINVAL);
	CHECK_ALL();
}

static void test_task_page_info_thp_and_pins(void **state)
{
	struct task_struct *t = test_task_create("t"), *prev;
	unsigned long len = 2 * HPAGE_PMD_SIZE, addr, huge;
	struct pnm_page_info pi;
	struct page *pages[2];

	(void)state;
	addr = test_mmap(t, len, RW, ANON);
	assert_int_equal(pnm_madvise(t, addr, len, MADV_HUGEPAGE), 0);
	huge = ALIGN(addr, HPAGE_PMD_SIZE);
	test_write_byte(t, huge, 1);
	pi = page_info(t, huge + 5 * PG);
	assert_true(pi.flags & PNM_PAGE_MAP_PMD);
	assert_true(pi.flags & PNM_PAGE_MAP_WRITE);
	assert_int_equal(pi.order, HPAGE_PMD_ORDER);
	assert_int_equal(pi.pfn, pi.head_pfn + 5);
	assert_int_equal(pi.mapcount, 1);
	assert_int_equal(pi.folio_pincount, 0);
	assert_matches_page(&pi, pfn_to_page(pi.pfn));

	/* Two pins on pages of the THP: the folio's count, each page's own. */
	prev = pnm_task_enter(t);
	assert_int_equal(pin_user_pages_fast(huge + 5 * PG, 2, FOLL_WRITE, pages), 2);
	pi = page_info(t, huge + 5 * PG);
	assert_int_equal(pi.folio_pincount, 2);
	assert_int_equal(pi.page_pins, 1);
	assert_true(pi.flags & PNM_PAGE_MAYBE_PINNED);
	assert_int_equal(page_info(t, huge + 7 * PG).page_pins, 0);
	assert_matches_page(&pi, pfn_to_page(pi.pfn));
	unpin_user_pages(pages, 2);
	pnm_task_leave(prev);
	pi = page_info(t, huge + 5 * PG);
	assert_int_equal(pi.folio_pincount, 0);
	assert_int_equal(pi.page_pins, 0);
	assert_false(pi.flags & PNM_PAGE_MAYBE_PINNED);

	/* A small page: linux accounting counts a pin as 1024 references. */
	addr = test_mmap(t, PG, RW, ANON);
	test_write_byte(t, addr, 1);
	assert_int_equal(page_info(t, addr).order, 0);
	prev = pnm_task_enter(t);
	assert_int_equal(pin_user_pages_fast(addr, 1, FOLL_WRITE, pages), 1);
	pi = page_info(t, addr);
	assert_int_equal(pi.refcount, 1 + GUP_PIN_COUNTING_BIAS);
	assert_int_equal(pi.page_pins, 1);
	assert_int_equal(pi.folio_pincount, 0);
	assert_true(pi.flags & PNM_PAGE_MAYBE_PINNED);
	unpin_user_pages(pages, 1);
	pnm_task_leave(prev);
	CHECK_ALL();
}

/* The huge zero page: every page of it says so. */
static void test_task_page_info_huge_zero(void **state)
{
	struct task_struct *t = test_task_create("t");
	unsigned long len = 2 * HPAGE_PMD_SIZE, addr, huge;
	struct pnm_page_info pi;

	(void)state;
	addr = test_mmap(t, len, RW, ANON);
	assert_int_equal(pnm_madvise(t, addr, len, MADV_HUGEPAGE), 0);
	huge = ALIGN(addr, HPAGE_PMD_SIZE);
	(void)test_read_byte(t, huge);
	pi = page_info(t, huge + 3 * PG);
	assert_true(pi.flags & PNM_PAGE_HUGE_ZERO);
	assert_false(pi.flags & (PNM_PAGE_ZERO | PNM_PAGE_MAP_WRITE));
	assert_true(pi.flags & PNM_PAGE_MAP_PMD);
	assert_int_equal(pi.order, HPAGE_PMD_ORDER);
	assert_true(is_huge_zero_pfn(pi.pfn));
	CHECK_ALL();
}

/* --- file pages ------------------------------------------------------------------- */

static void test_file_page_info(void **state)
{
	struct task_struct *t = test_task_create("t"), *prev;
	struct file *f = test_open(PNM_FS_DISK, "pages");
	struct pnm_page_info pi = { .size = sizeof(pi) };
	unsigned char buf[2 * PAGE_SIZE];
	struct folio *folio;
	struct page *page;
	long addr;

	(void)state;
	memset(buf, 'x', sizeof(buf));
	assert_int_equal(pnm_file_write(f, buf, sizeof(buf), 0), (ssize_t)sizeof(buf));
	assert_int_equal(pnm_file_page_info(f, PG + 17, &pi), 0);
	folio = filemap_get_folio(f->f_mapping, 1);
	assert_false(IS_ERR(folio));
	/* Our lookup's reference is not the snapshot's. */
	assert_int_equal(pi.refcount, folio_ref_count(folio) - 1);
	folio_put(folio);
	assert_int_equal(pi.pfn, folio_pfn(folio) + (1 - folio->index));
	assert_true(pi.flags & PNM_PAGE_CACHED);
	assert_true(pi.flags & PNM_PAGE_DIRTY);
	assert_true(pi.flags & PNM_PAGE_UPTODATE);
	assert_true(pi.flags & PNM_PAGE_PRIVATE);
	assert_false(pi.flags & (PNM_PAGE_ANON | PNM_PAGE_TRUNCATED | PNM_PAGE_WRITEBACK));
	/* Where it is in which file (the futex key's question). */
	assert_int_equal(pi.ino, f->f_mapping->host->i_ino);
	assert_int_equal(pi.index, 1);
	/* A caller of the first release's size gets the fields it knows. */
	{
		struct pnm_page_info old = { .size = offsetof(struct pnm_page_info, ino) };

		old.ino = 77;
		assert_int_equal(pnm_file_page_info(f, PG, &old), 0);
		assert_int_equal(old.size, offsetof(struct pnm_page_info, ino));
		assert_int_equal(old.ino, 77);
		assert_int_equal(old.pfn, pi.pfn);
	}
	assert_int_equal(pnm_file_page_info(f, 2 * PG, &pi), -ENOENT);

	/* Written back: clean, and the block state goes. */
	assert_int_equal(pnm_file_fsync(f, 0, INT64_MAX, false), 0);
	assert_int_equal(pnm_file_page_info(f, 0, &pi), 0);
	assert_false(pi.flags & (PNM_PAGE_DIRTY | PNM_PAGE_PRIVATE));

	/* A pinned page truncated away: detached, no longer cached. */
	addr = pnm_mmap(t, 0, PG, RW, MAP_SHARED, f, 0);
	assert_true(addr > 0);
	prev = pnm_task_enter(t);
	assert_int_equal(pin_user_pages_fast((unsigned long)addr, 1, FOLL_WRITE, &page), 1);
	pnm_task_leave(prev);
	assert_int_equal(pnm_munmap(t, (unsigned long)addr, PG), 0);
	assert_int_equal(pnm_file_truncate(f, 0), 0);
	assert_int_equal(pnm_file_page_info(f, 0, &pi), -ENOENT);
	pi = pfn_info(page_to_pfn(page));
	assert_true(pi.flags & PNM_PAGE_TRUNCATED);
	assert_false(pi.flags & PNM_PAGE_CACHED);
	assert_int_equal(pi.ino, 0);
	assert_true(pi.flags & PNM_PAGE_MAYBE_PINNED);
	unpin_user_page(page);

	/* Errors. */
	assert_int_equal(pnm_file_page_info(NULL, 0, &pi), -EBADF);
	assert_int_equal(pnm_file_page_info(f, -1, &pi), -EINVAL);
	assert_int_equal(pnm_file_page_info(f, 0, NULL), -EINVAL);
	pi.size = 0;
	assert_int_equal(pnm_file_page_info(f, 0, &pi), -EINVAL);
	pnm_file_close(f);
	CHECK_ALL();
}

/* --- mappings and the mm ------------------------------------------------------------ */

static void test_vma_next(void **state)
{
	struct task_struct *t = test_task_create("t");
	struct pnm_vma_info v = { .size = sizeof(v) };
	struct file *f = test_open(PNM_FS_SHMEM, "obj");
	long anon, shared, file, dev;
	unsigned long addr = 0;
	int n = 0;

	(void)state;
	assert_int_equal(pnm_file_truncate(f, 4 * PG), 0);
	anon = pnm_mmap(t, 0, 4 * PG, PROT_READ, ANON, NULL, 0);
	shared = pnm_mmap(t, 0, 2 * PG, RW, MAP_SHARED | MAP_ANONYMOUS, NULL, 0);
	file = pnm_mmap(t, 0, 2 * PG, RW, MAP_SHARED, f, 2 * PG);
	dev = pnm_mmap_pfnmap(t, PG, PROT_READ, PNM_VM_IO | PNM_VM_DONTCOPY);
	assert_true(anon > 0 && shared > 0 && file > 0 && dev > 0);
	assert_int_equal(pnm_madvise(t, (unsigned long)anon, 4 * PG, MADV_NOHUGEPAGE), 0);

	while (!pnm_task_vma_next(t, addr, &v)) {
		assert_true(v.start >= addr && v.end > v.start);
		assert_int_equal(v.size, sizeof(v));
		assert_int_equal(v.vm_flags, test_vma_flags(t->mm, v.start));
		if (v.start == (unsigned long)anon) {
			assert_int_equal(v.end, anon + 4 * PG);
			assert_int_equal(v.kind, PNM_VMA_ANON);
			assert_int_equal(v.fs, -1);
			assert_int_equal(v.offset, 0);
			assert_string_equal(v.file_name, "");
			assert_true(v.vm_flags & PNM_VM_READ);
			assert_false(v.vm_flags & (PNM_VM_WRITE | PNM_VM_SHARED));
			assert_true(v.vm_flags & PNM_VM_NOHUGEPAGE);
		} else if (v.start == (unsigned long)shared) {
			assert_int_equal(v.kind, PNM_VMA_FILE);
			assert_int_equal(v.fs, PNM_FS_SHMEM);
			assert_string_equal(v.file_name, "");
			assert_true(v.vm_flags & PNM_VM_SHARED);
		} else if (v.start == (unsigned long)file) {
			assert_int_equal(v.kind, PNM_VMA_FILE);
			assert_int_equal(v.fs, PNM_FS_SHMEM);
			assert_string_equal(v.file_name, "obj");
			assert_int_equal(v.offset, 2 * PG);
			assert_true(v.vm_flags & PNM_VM_WRITE);
		} else {
			assert_int_equal(v.start, (unsigned long)dev);
			assert_int_equal(v.kind, PNM_VMA_DEVICE);
			assert_int_equal(v.fs, -1);
			assert_true(v.vm_flags & PNM_VM_IO);
			assert_true(v.vm_flags & PNM_VM_DONTCOPY);
		}
		addr = v.end;
		n++;
	}
	assert_int_equal(n, 4);
	assert_int_equal(n, t->mm->map_count);
	assert_int_equal(pnm_task_vma_next(t, addr, &v), -ENOENT);
	assert_int_equal(pnm_task_vma_next(t, ~0UL, &v), -ENOENT);

	/* Errors. */
	assert_int_equal(pnm_task_vma_next(NULL, 0, &v), -EINVAL);
	assert_int_equal(pnm_task_vma_next(t, 0, NULL), -EINVAL);
	v.size = sizeof(v) - 1;
	assert_int_equal(pnm_task_vma_next(t, 0, &v), -EINVAL);
	v.size = sizeof(v);
	pnm_task_exit(t);
	assert_int_equal(pnm_task_vma_next(t, 0, &v), -ESRCH);
	pnm_file_close(f);
	CHECK_ALL();
}

static void test_mm_info(void **state)
{
	struct task_struct *t = test_task_create("t"), *prev;
	struct pnm_mm_info mi = { .size = sizeof(mi) };
	struct file *f = test_open(PNM_FS_SHMEM, "rss");
	unsigned long addr;
	struct page *page;
	long shm;

	(void)state;
	assert_int_equal(pnm_task_mm_info(t, &mi), 0);
	assert_int_equal(mi.vmas, 0);
	assert_int_equal(mi.rss_anon + mi.rss_file + mi.rss_shmem, 0);
	assert_false(mi.has_pinned);

	addr = test_mmap(t, 8 * PG, RW, ANON);
	assert_int_equal(pnm_file_truncate(f, 2 * PG), 0);
	shm = pnm_mmap(t, 0, 2 * PG, RW, MAP_SHARED, f, 0);
	assert_true(shm > 0);
	for (int i = 0; i < 3; i++)
		test_write_byte(t, addr + (unsigned long)i * PG, 1);
	test_write_byte(t, (unsigned long)shm, 1);
	assert_int_equal(pnm_task_mm_info(t, &mi), 0);
	assert_int_equal(mi.vmas, 2);
	assert_int_equal(mi.vmas, t->mm->map_count);
	assert_int_equal(mi.total_vm, t->mm->total_vm);
	assert_int_equal(mi.total_vm, 10);
	assert_int_equal(mi.rss_anon, 3);
	assert_int_equal(mi.rss_shmem, 1);
	assert_int_equal(mi.rss_anon, get_mm_counter(t->mm, MM_ANONPAGES));
	assert_int_equal(mi.rss_file, get_mm_counter(t->mm, MM_FILEPAGES));
	assert_int_equal(mi.rss_shmem, get_mm_counter(t->mm, MM_SHMEMPAGES));
	assert_int_equal(mi.pgtables_bytes, atomic_long_read(&t->mm->pgtables_bytes));
	assert_true(mi.pgtables_bytes > 0);

	prev = pnm_task_enter(t);
	assert_int_equal(pin_user_pages_fast(addr, 1, FOLL_WRITE, &page), 1);
	unpin_user_page(page);
	pnm_task_leave(prev);
	assert_int_equal(pnm_task_mm_info(t, &mi), 0);
	assert_true(mi.has_pinned);		/* never cleared */

	assert_int_equal(pnm_task_mm_info(NULL, &mi), -EINVAL);
	assert_int_equal(pnm_task_mm_info(t, NULL), -EINVAL);
	mi.size = 2;
	assert_int_equal(pnm_task_mm_info(t, &mi), -EINVAL);
	mi.size = sizeof(mi);
	pnm_task_exit(t);
	assert_int_equal(pnm_task_mm_info(t, &mi), -ESRCH);
	pnm_file_close(f);
	CHECK_ALL();
}

/* --- files -------------------------------------------------------------------------- */

static void test_file_info(void **state)
{
	struct pnm_file_info fi = { .size = sizeof(fi) };
	struct file *rw, *ro, *wo, *dax;
	char buf[3 * PAGE_SIZE] = "data";

	(void)state;
	assert_int_equal(pnm_file_open(PNM_FS_DISK, "fi", O_RDWR | O_CREAT, &rw), 0);
	assert_int_equal(pnm_file_open(PNM_FS_DISK, "fi", O_RDONLY, &ro), 0);
	assert_int_equal(pnm_file_open(PNM_FS_DISK, "fi", O_WRONLY, &wo), 0);
	assert_int_equal(pnm_file_open(PNM_FS_DAX, "dx", O_RDWR | O_CREAT, &dax), 0);
	assert_int_equal(pnm_file_write(rw, buf, sizeof(buf), 0), (ssize_t)sizeof(buf));

	assert_int_equal(pnm_get_file_info(rw, &fi), 0);
	assert_int_equal(fi.size, sizeof(fi));
	assert_int_equal(fi.fs, PNM_FS_DISK);
	assert_int_equal(fi.ino, rw->f_inode->i_ino);
	assert_int_equal(fi.file_size, sizeof(buf));
	assert_int_equal(fi.cached_pages, 3);
	assert_int_equal(fi.cached_pages, rw->f_mapping->nrpages);
	assert_int_equal(fi.flags, PNM_FILE_READ | PNM_FILE_WRITE);
	assert_int_equal(pnm_get_file_info(ro, &fi), 0);
	assert_int_equal(fi.flags, PNM_FILE_READ);
	assert_int_equal(fi.ino, rw->f_inode->i_ino);	/* one inode */
	assert_int_equal(pnm_get_file_info(wo, &fi), 0);
	assert_int_equal(fi.flags, PNM_FILE_WRITE);
	assert_int_equal(pnm_get_file_info(dax, &fi), 0);
	assert_int_equal(fi.fs, PNM_FS_DAX);
	assert_int_equal(fi.flags, PNM_FILE_READ | PNM_FILE_WRITE | PNM_FILE_DAX);
	assert_true(fi.ino != rw->f_inode->i_ino);

	assert_int_equal(pnm_get_file_info(NULL, &fi), -EBADF);
	assert_int_equal(pnm_get_file_info(rw, NULL), -EINVAL);
	fi.size = 3;
	assert_int_equal(pnm_get_file_info(rw, &fi), -EINVAL);
	pnm_file_close(rw);
	pnm_file_close(ro);
	pnm_file_close(wo);
	pnm_file_close(dax);
	CHECK_ALL();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_zone_name, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_mem_info, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test(test_page_desc_size),
		cmocka_unit_test(test_mem_info_no_page_pins),
		cmocka_unit_test(test_not_initialised),
		cmocka_unit_test_setup_teardown(test_zone_info, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test(test_zone_info_empty),
		cmocka_unit_test_setup_teardown(test_pfn_info_kinds, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_info_size_rule, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_task_page_info_anon, pnm_test_setup,
						pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_task_page_info_thp_and_pins, pnm_test_setup,
						pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_task_page_info_huge_zero, pnm_test_setup,
						pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_file_page_info, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_vma_next, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_mm_info, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_file_info, pnm_test_setup, pnm_test_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
