// SPDX-License-Identifier: MIT
/*
 * test_dma.c - the device side (dma.c): transfers through a page array at
 * byte offsets across pages, argument checks, writes that do not dirty,
 * writes that land in a frame the process no longer maps, transfers to
 * freed frames reported and skipped, the zero page never written, the
 * byte counters, a write through a real pin released with
 * unpin_user_pages_dirty_lock(), and the storage's transfers straight to
 * and from the frames (Direct IO's).
 */
#include <string.h>

#include "test_util.h"
#include "pinmm_test_internal.h"

#define PG	PAGE_SIZE
#define RW	(PROT_READ | PROT_WRITE)
#define PRIV	(MAP_PRIVATE | MAP_ANONYMOUS)
#define SHARED	(MAP_SHARED | MAP_ANONYMOUS)

/* The page mapped at @addr, with a reference held for the "device". */
static struct page *grab_page(struct task_struct *t, unsigned long addr)
{
	struct page *page = pfn_to_page(test_pfn(t, addr));

	get_page(page);
	return page;
}

static unsigned long all_misuse(void)
{
	unsigned long n = 0;
	int k;

	for (k = 0; k < PNM_NR_MISUSE; k++)
		n += pnm_misuse_count(k);
	return n;
}

static void test_dma_across_pages(void **state)
{
	struct task_struct *p = test_task_create("p");
	unsigned long a = test_mmap(p, 3 * PG, RW, PRIV);
	long wbytes = global_stat(PNM_DMA_WRITE_BYTES);
	long rbytes = global_stat(PNM_DMA_READ_BYTES);
	static char back[PG + 8];
	struct page *pages[3];
	char buf[32];
	int i;

	(void)state;
	for (i = 0; i < 3; i++) {
		test_write_byte(p, a + i * PG, (unsigned char)(0xa0 + i));
		pages[i] = grab_page(p, a + i * PG);
	}
	CHECK_ALL();

	/* 20 bytes starting 7 bytes before the end of page 1: 7 + 13. */
	for (i = 0; i < 20; i++)
		buf[i] = (char)('A' + i);
	assert_int_equal(pnm_dma_write(pages, 3, 2 * PG - 7, buf, 20), 0);
	assert_int_equal(global_stat(PNM_DMA_WRITE_BYTES), wbytes + 20);
	/* The process sees the device's bytes through its own mapping. */
	memset(back, 0, sizeof(back));
	assert_int_equal(pnm_user_read(p, a + 2 * PG - 7, back, 20), 0);
	assert_memory_equal(back, buf, 20);
	assert_int_equal(test_read_byte(p, a + 2 * PG - 8), 0);
	assert_int_equal(test_read_byte(p, a + 2 * PG + 13), 0);
	assert_int_equal(test_read_byte(p, a + PG), 0xa1);
	assert_int_equal(test_read_byte(p, a + 2 * PG), 'A' + 7);

	/* The device reads what the CPU wrote, across all three pages. */
	test_write_byte(p, a + PG - 1, 0x5a);
	memset(back, 0, sizeof(back));
	assert_int_equal(pnm_dma_read(pages, 3, PG - 1, back, PG + 2), 0);
	assert_int_equal(global_stat(PNM_DMA_READ_BYTES), rbytes + PG + 2);
	assert_int_equal((unsigned char)back[0], 0x5a);		/* page 0, last byte */
	assert_int_equal((unsigned char)back[1], 0xa1);		/* page 1, first byte */
	assert_int_equal(back[PG - 7], 0);			/* page 1 + PG - 8 */
	assert_int_equal(back[PG - 6], 'A');			/* page 1 + PG - 7 */
	assert_int_equal(back[PG], 'A' + 6);			/* page 1, last byte */
	assert_int_equal(back[PG + 1], 'A' + 7);		/* page 2, first byte */
	/* Exactly the end of the array is fine. */
	assert_int_equal(pnm_dma_read(pages, 3, 3 * PG - 1, back, 1), 0);
	assert_int_equal(back[0], 0);
	assert_int_equal(all_misuse(), 0);
	CHECK_ALL();
	for (i = 0; i < 3; i++)
		put_page(pages[i]);
	CHECK_ALL();
}

static void test_dma_bad_range(void **state)
{
	struct task_struct *p = test_task_create("p");
	unsigned long a = test_mmap(p, 2 * PG, RW, PRIV);
	long wbytes = global_stat(PNM_DMA_WRITE_BYTES);
	struct page *pages[2], *holey[2];
	char buf[8] = "device", back[8];

	(void)state;
	test_write_byte(p, a, 1);
	test_write_byte(p, a + PG, 2);
	pages[0] = grab_page(p, a);
	pages[1] = grab_page(p, a + PG);

	assert_int_equal(pnm_dma_write(pages, 2, 2 * PG - 3, buf, 4), -EINVAL);
	assert_int_equal(pnm_dma_write(pages, 2, 2 * PG + 1, buf, 0), -EINVAL);
	assert_int_equal(pnm_dma_read(pages, 2, 0, back, 2 * PG + 1), -EINVAL);
	assert_int_equal(pnm_dma_read(pages, 0, 0, back, 1), -EINVAL);
	assert_int_equal(pnm_dma_write(NULL, 2, 0, buf, 1), -EINVAL);
	assert_int_equal(pnm_dma_write(pages, 2, (size_t)-1, buf, 2), -EINVAL);
	assert_int_equal(pnm_dma_write(pages, ~0UL, 0, buf, 1), -EINVAL);
	/* A NULL entry inside the range refuses the whole transfer... */
	holey[0] = pages[0];
	holey[1] = NULL;
	assert_int_equal(pnm_dma_write(holey, 2, PG - 2, buf, 4), -EINVAL);
	assert_int_equal(test_read_byte(p, a + PG - 2), 0);
	/* ...but one outside it does not matter. */
	assert_int_equal(pnm_dma_write(holey, 2, 0, buf, 3), 0);
	assert_int_equal(test_read_byte(p, a + 2), 'v');
	/* Zero length: nothing to do. */
	assert_int_equal(pnm_dma_write(pages, 2, 2 * PG, buf, 0), 0);
	assert_int_equal(global_stat(PNM_DMA_WRITE_BYTES), wbytes + 3);
	assert_int_equal(test_read_byte(p, a + PG), 2);
	put_page(pages[0]);
	put_page(pages[1]);
	CHECK_ALL();
}

/* The device writes behind the mm's back: no folio or PTE gets dirty. */
static void test_dma_write_does_not_dirty(void **state)
{
	struct task_struct *p = test_task_create("p");
	unsigned long s = test_mmap(p, PG, RW, SHARED);
	struct page *page;
	char buf[4] = "abc";

	(void)state;
	assert_int_equal(test_read_byte(p, s), 0);	/* shmem read fault: clean */
	page = grab_page(p, s);
	assert_false(folio_test_dirty(page_folio(page)));
	assert_int_equal(pnm_dma_write(&page, 1, 10, buf, 3), 0);
	assert_false(folio_test_dirty(page_folio(page)));
	assert_int_equal(global_stat(NR_FILE_DIRTY), 0);
	assert_int_equal(test_pfn(p, s), page_to_pfn(page));
	assert_int_equal(test_read_byte(p, s + 11), 'b');
	put_page(page);
	CHECK_ALL();
}

/*
 * A reference keeps the frame: after munmap the device still writes into
 * it, where nobody sees it.  Once the frame is freed the device's
 * accesses are reported and skipped.
 */
static void test_dma_to_unmapped_then_freed(void **state)
{
	struct task_struct *p = test_task_create("p");
	unsigned long a = test_mmap(p, 2 * PG, RW, PRIV);
	long wbytes, rbytes;
	struct page *pages[2];
	char buf[8] = "late", back[8];

	(void)state;
	test_write_byte(p, a, 0x11);
	test_write_byte(p, a + PG, 0x22);
	pages[0] = grab_page(p, a);
	pages[1] = grab_page(p, a + PG);
	assert_int_equal(pnm_mm_munmap(p->mm, a, 2 * PG), 0);
	CHECK_ALL();
	assert_int_equal(page_ref_count(pages[0]), 1);

	assert_int_equal(pnm_dma_write(pages, 2, PG - 2, buf, 4), 0);
	memset(back, 0, sizeof(back));
	assert_int_equal(pnm_dma_read(pages, 2, PG - 2, back, 4), 0);
	assert_memory_equal(back, "late", 4);
	assert_int_equal(all_misuse(), 0);

	/* Frame 0 goes back to the allocator: its half is skipped. */
	put_page(pages[0]);
	CHECK_ALL();
	wbytes = global_stat(PNM_DMA_WRITE_BYTES);
	rbytes = global_stat(PNM_DMA_READ_BYTES);
	assert_int_equal(pnm_dma_write(pages, 2, PG - 2, "XYZW", 4), 0);
	assert_int_equal(pnm_misuse_count(PNM_MISUSE_DMA_TO_FREED), 1);
	assert_int_equal(global_stat(PNM_PIN_MISUSE), 1);
	assert_int_equal(global_stat(PNM_DMA_WRITE_BYTES), wbytes + 2);
	memset(back, 0x77, sizeof(back));
	assert_int_equal(pnm_dma_read(pages, 2, PG - 2, back, 4), 0);
	assert_int_equal(pnm_misuse_count(PNM_MISUSE_DMA_TO_FREED), 2);
	assert_int_equal(global_stat(PNM_DMA_READ_BYTES), rbytes + 2);
	/* Freed half reads as zeroes; the live half has the new bytes. */
	assert_int_equal(back[0], 0);
	assert_int_equal(back[1], 0);
	assert_memory_equal(back + 2, "ZW", 2);
	/* The freed frame was not written (the allocator's frame is intact). */
	assert_true(PageBuddy(pages[0]) || page_ref_count(pages[0]) == 0);
	assert_int_equal(((unsigned char *)page_address(pages[0]))[PG - 1], 'a');
	put_page(pages[1]);
	CHECK_ALL();
}

static void test_dma_zero_page_never_written(void **state)
{
	struct task_struct *p = test_task_create("p");
	unsigned long a = test_mmap(p, PG, RW, PRIV);
	struct page *zero = ZERO_PAGE(0);
	long warnings = atomic_long_read(&pnm_nr_warnings);
	char back[4] = "xxx";

	(void)state;
	assert_int_equal(test_read_byte(p, a), 0);
	assert_int_equal(test_pfn(p, a), pnm_mem.zero_pfn);
	assert_int_equal(pnm_dma_write(&zero, 1, 0, "bad", 3), 0);
	assert_int_equal(atomic_long_read(&pnm_nr_warnings), warnings + 1);
	assert_int_equal(((unsigned char *)page_address(zero))[0], 0);
	assert_int_equal(pnm_dma_read(&zero, 1, 0, back, 3), 0);
	assert_memory_equal(back, "\0\0\0", 3);
	assert_int_equal(test_read_byte(p, a), 0);
	assert_int_equal(all_misuse(), 0);
	CHECK_ALL();
}

/* Across the pages of a THP, through its subpage descriptors. */
static void test_dma_thp_subpages(void **state)
{
	struct task_struct *p = test_task_create("p");
	unsigned long len = 2 * HPAGE_PMD_SIZE, a, h;
	struct page *pages[3];
	struct folio *folio;
	char back[8];
	int i;

	(void)state;
	a = test_mmap(p, len, RW, PRIV);
	h = ALIGN(a, HPAGE_PMD_SIZE);
	assert_int_equal(pnm_mm_madvise(p->mm, h, HPAGE_PMD_SIZE, MADV_HUGEPAGE), 0);
	test_write_byte(p, h, 1);
	folio = page_folio(pfn_to_page(test_pfn(p, h)));
	assert_int_equal(folio_order(folio), HPAGE_PMD_ORDER);
	folio_get(folio);
	for (i = 0; i < 3; i++)
		pages[i] = folio_page(folio, 100 + i);
	assert_int_equal(pnm_dma_write(pages, 3, PG - 2, "thp!", 4), 0);
	assert_int_equal(pnm_user_read(p, h + 101 * PG - 2, back, 4), 0);
	assert_memory_equal(back, "thp!", 4);
	assert_int_equal(all_misuse(), 0);
	folio_put(folio);
	CHECK_ALL();
}

/*
 * The real flow: pin for DMA, the device writes, unpin with
 * make_dirty == true marks the folio dirty (the device never does).
 */
static void test_dma_through_pin(void **state)
{
	struct task_struct *p = test_task_create("p");
	unsigned long s = test_mmap(p, 2 * PG, RW, SHARED);
	struct page *pages[2];
	char back[6];

	(void)state;
	assert_int_equal(test_read_byte(p, s), 0);
	assert_int_equal(test_read_byte(p, s + PG), 0);
	mmap_read_lock(p->mm);
	assert_int_equal(pin_user_pages_remote(p->mm, s, 2, FOLL_WRITE, pages, NULL), 2);
	mmap_read_unlock(p->mm);
	assert_true(page_maybe_dma_pinned(pages[0]));
	/* The pin's write fault dirtied them; say writeback cleaned them. */
	ClearPageDirty(pages[0]);
	ClearPageDirty(pages[1]);
	assert_int_equal(pnm_dma_write(pages, 2, PG - 3, "pinned", 6), 0);
	assert_false(folio_test_dirty(page_folio(pages[0])));
	assert_false(folio_test_dirty(page_folio(pages[1])));
	assert_int_equal(pnm_user_read(p, s + PG - 3, back, 6), 0);
	assert_memory_equal(back, "pinned", 6);
	unpin_user_pages_dirty_lock(pages, 2, true);
	assert_true(folio_test_dirty(page_folio(pages[0])));
	assert_true(folio_test_dirty(page_folio(pages[1])));
	assert_false(page_maybe_dma_pinned(pages[0]));
	assert_int_equal(all_misuse(), 0);
	CHECK_ALL();
}

/*
 * Storage straight to and from the frames (pnm_dma_write_from_file and
 * pnm_dma_read_to_file, Direct IO's transfer): the bytes land at the
 * right offsets on both sides and are counted, the edges outside the
 * range are not touched, misaligned or outside ranges are refused, a freed
 * frame is reported and skipped (from the file) or stored as zeroes (to
 * the file), and a storage error stops the transfer and is returned.
 */
static void test_dma_file_direct(void **state)
{
	struct task_struct *p = test_task_create("p");
	unsigned long a = test_mmap(p, 3 * PG, RW, PRIV);
	struct file *f = test_open(PNM_FS_DISK, "dmaf");
	long wbytes = global_stat(PNM_DMA_WRITE_BYTES);
	long rbytes = global_stat(PNM_DMA_READ_BYTES);
	static unsigned char back[3 * PG];
	struct page *pages[3];
	unsigned char kept;
	int i;

	(void)state;
	test_fill_user(p, a, 3 * PG, 3);
	for (i = 0; i < 3; i++)
		pages[i] = grab_page(p, a + (unsigned long)i * PG);
	test_fill_file(f, 0, 3 * PG, 9);
	assert_int_equal(pnm_file_fsync(f, 0, INT64_MAX, false), 0);
	CHECK_ALL();

	/* From byte 512 of the file into byte 1024 of the array, across all
	 * three frames; the 1 KiB before and 512 bytes after keep seed 3. */
	assert_int_equal(pnm_dma_write_from_file(pages, 3, 1024, f, 512, 3 * PG - 1536), 0);
	assert_int_equal(global_stat(PNM_DMA_WRITE_BYTES), wbytes + 3 * PG - 1536);
	assert_true(test_user_has(p, a, 1024, 3, 0));
	assert_int_equal(pnm_user_read(p, a + 1024, back, 3 * PG - 1536), 0);
	for (i = 0; i < (int)(3 * PG - 1536); i++)
		if (back[i] != test_pattern(9, 512 + (size_t)i))
			fail_msg("byte %d of the transfer", i);
	assert_true(test_user_has(p, a + 3 * PG - 512, 512, 3, 3 * PG - 512));

	/* Misaligned, or outside the array: nothing moves. */
	assert_int_equal(pnm_dma_write_from_file(pages, 3, 100, f, 0, 512), -EINVAL);
	assert_int_equal(pnm_dma_write_from_file(pages, 3, 0, f, 100, 512), -EINVAL);
	assert_int_equal(pnm_dma_read_to_file(pages, 3, 0, f, 0, 700), -EINVAL);
	assert_int_equal(pnm_dma_read_to_file(pages, 3, 2 * PG, f, 0, 2 * PG), -EINVAL);
	assert_int_equal(global_stat(PNM_DMA_WRITE_BYTES), wbytes + 3 * PG - 1536);
	assert_int_equal(global_stat(PNM_DMA_READ_BYTES), rbytes);

	/* The frames to the file: what memory holds now. */
	test_fill_user(p, a, 3 * PG, 4);
	assert_int_equal(pnm_dma_read_to_file(pages, 3, 0, f, 0, 3 * PG), 0);
	assert_int_equal(global_stat(PNM_DMA_READ_BYTES), rbytes + 3 * PG);
	assert_true(test_host_has(f, 0, 3 * PG, 4));
	assert_int_equal(all_misuse(), 0);

	/* Frame 1 goes back to the allocator: reported; the file gets
	 * zeroes for it, and a read from the file skips it. */
	assert_int_equal(pnm_mm_munmap(p->mm, a, 3 * PG), 0);
	put_page(pages[1]);
	CHECK_ALL();
	assert_int_equal(pnm_dma_read_to_file(pages, 3, 0, f, 0, 3 * PG), 0);
	assert_int_equal(pnm_misuse_count(PNM_MISUSE_DMA_TO_FREED), 1);
	assert_int_equal(global_stat(PNM_DMA_READ_BYTES), rbytes + 5 * PG);
	assert_int_equal(test_host_pread(f, back, 3 * PG, 0), (ssize_t)(3 * PG));
	for (i = 0; i < (int)PG; i++)
		if (back[PG + i] != 0)
			fail_msg("byte %d of the freed frame's part", i);
	assert_int_equal(back[0], test_pattern(4, 0));
	assert_int_equal(back[2 * PG], test_pattern(4, 2 * PG));
	kept = ((unsigned char *)page_address(pages[1]))[PG - 1];
	test_fill_file(f, 0, 3 * PG, 11);
	assert_int_equal(pnm_file_fsync(f, 0, INT64_MAX, false), 0);
	wbytes = global_stat(PNM_DMA_WRITE_BYTES);
	assert_int_equal(pnm_dma_write_from_file(pages, 3, 0, f, 0, 3 * PG), 0);
	assert_int_equal(pnm_misuse_count(PNM_MISUSE_DMA_TO_FREED), 2);
	assert_int_equal(global_stat(PNM_DMA_WRITE_BYTES), wbytes + 2 * PG);
	assert_int_equal(((unsigned char *)page_address(pages[1]))[PG - 1], kept);
	assert_int_equal(((unsigned char *)page_address(pages[2]))[5], test_pattern(11, 2 * PG + 5));

	/* A storage error stops the transfer and is its result. */
	assert_int_equal(pnm_fs_inject_error(f, PNM_IO_READ, -EIO, 1), 0);
	assert_int_equal(pnm_dma_write_from_file(pages, 3, 0, f, 0, PG), -EIO);
	assert_int_equal(pnm_fs_inject_error(f, PNM_IO_WRITE, -ENOSPC, 1), 0);
	assert_int_equal(pnm_dma_read_to_file(pages, 3, 2 * PG, f, 0, PG), -ENOSPC);
	put_page(pages[0]);
	put_page(pages[2]);
	fput(f);
	CHECK_ALL();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_dma_across_pages, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_dma_bad_range, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_dma_write_does_not_dirty, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_dma_to_unmapped_then_freed, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_dma_zero_page_never_written, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_dma_thp_subpages, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_dma_through_pin, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_dma_file_direct, pnm_test_setup, pnm_test_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
