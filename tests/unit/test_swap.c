// SPDX-License-Identifier: MIT
/*
 * test_swap.c - anonymous swap: the device (swapon/swapoff and their
 * errors), swap-out by MADV_PAGEOUT (swap entries, slots, frames freed,
 * the data on the host file), swap-in by read and write faults, the
 * anon-exclusive bit through swap, fork with swap entries (the swap
 * count, a shared page comes back shared), GUP and pins on swapped-out
 * addresses, maybe-pinned pages never swapped, munmap and exit freeing
 * slots, swapoff bringing everything back, and I/O errors on the host
 * file (a negative errno, nothing lost).
 */
#include <fcntl.h>
#include <unistd.h>

#include "swap_test.h"

/* --- the device ------------------------------------------------------------ */

static void test_swapon_args(void **state)
{
	struct pnm_swap_info si = { .size = sizeof(si) };
	char path[4096], dir_file[4096];
	int fd;

	(void)state;
	/* swap_test_setup gave us a device: a second one is refused. */
	assert_int_equal(pnm_swapon(NULL, 8), -EBUSY);
	assert_int_equal(pnm_get_swap_info(&si), 0);
	assert_true(si.active);
	assert_int_equal(si.total, SWAP_TEST_SLOTS);
	assert_int_equal(si.free, SWAP_TEST_SLOTS);
	assert_int_equal(si.used, 0);
	assert_int_equal(pnm_swap_backing_path(path, sizeof(path)), 0);
	assert_int_equal(pnm_swap_backing_path(path, 4), -ENAMETOOLONG);
	assert_int_equal(pnm_swap_backing_path(NULL, 4), -EINVAL);
	/* Its own file, in the data directory, sized to the device. */
	snprintf(dir_file, sizeof(dir_file), "%s/", pnm_fs_data_dir());
	assert_int_equal(strncmp(path, dir_file, strlen(dir_file)), 0);
	fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(lseek(fd, 0, SEEK_END), (off_t)((SWAP_TEST_SLOTS + 1) * PG));
	close(fd);

	assert_int_equal(pnm_swapoff(), 0);
	assert_int_equal(access(path, F_OK), -1);	/* ours: removed */
	assert_int_equal(pnm_swapoff(), -EINVAL);
	si.size = sizeof(si);
	assert_int_equal(pnm_get_swap_info(&si), 0);
	assert_false(si.active);
	assert_int_equal(si.total, 0);
	assert_int_equal(pnm_swap_backing_path(path, sizeof(path)), -EINVAL);
	assert_int_equal(pnm_swap_inject_error(PNM_IO_READ, -EIO, 1), -EINVAL);
	CHECK_ALL();

	assert_int_equal(pnm_swapon(NULL, 0), -EINVAL);
	assert_int_equal(pnm_swapon(NULL, 1), -EINVAL);
	assert_int_equal(pnm_swapon(NULL, PNM_SWAP_MAX_SLOTS + 1), -EINVAL);
	assert_int_equal(pnm_swapon("/nonexistent-dir/x/swap", 8), -ENOENT);

	/* A file the caller names is created and left in place. */
	snprintf(dir_file, sizeof(dir_file), "%s/my-swap", pnm_fs_data_dir());
	assert_int_equal(pnm_swapon(dir_file, 16), 0);
	si.size = sizeof(si);
	assert_int_equal(pnm_get_swap_info(&si), 0);
	assert_int_equal(si.total, 15);
	assert_int_equal(pnm_swap_inject_error(0, -EIO, 1), -EINVAL);
	assert_int_equal(pnm_swap_inject_error(PNM_IO_READ, -ENOSPC, 1), -EINVAL);
	assert_int_equal(pnm_swap_inject_error(PNM_IO_WRITE, -EPERM, 1), -EINVAL);
	assert_int_equal(pnm_swap_inject_error(8, -EIO, 1), -EINVAL);
	assert_int_equal(pnm_swap_inject_error(PNM_IO_WRITE, -ENOSPC, 0), 0);
	/* A struct smaller than the first release's is refused. */
	si.size = sizeof(si) - 1;
	assert_int_equal(pnm_get_swap_info(&si), -EINVAL);
	assert_int_equal(pnm_swapoff(), 0);
	assert_int_equal(access(dir_file, F_OK), 0);
	unlink(dir_file);
	CHECK_ALL();
}

/* --- out and in -------------------------------------------------------------- */

/*
 * MADV_PAGEOUT swaps exclusive pages out: each PTE becomes a swap entry
 * (count 1, exclusive), the frames go back, the host file holds the data
 * at slot * 4096.  A read fault brings a page back exclusive, in the swap
 * cache (a clean copy stays on the device), writable because it is
 * exclusive; a write fault drops the cache copy at once.
 */
static void test_pageout_and_back(void **state)
{
	struct task_struct *t = test_task_create("t");
	unsigned long a = test_mmap(t, 8 * PG, PROT_RW, MAP_ANON_PRIV);
	long out = global_stat(PSWPOUT), in = global_stat(PSWPIN);
	long maj = global_stat(PGMAJFAULT), freep;
	struct pnm_swap_entry_info e;
	struct pnm_page_info pi = { .size = sizeof(pi) };
	char path[4096];
	unsigned char host[64];
	int fd, i;

	(void)state;
	swap_test_fill(t, a, 8, 1);
	freep = global_stat(NR_FREE_PAGES);
	CHECK_ALL();
	assert_int_equal(pnm_madvise(t, a, 8 * PG, MADV_PAGEOUT), 0);
	CHECK_ALL();
	assert_int_equal(global_stat(PSWPOUT), out + 8);
	assert_int_equal(global_stat(NR_FREE_PAGES), freep + 8);
	assert_true(swap_test_all_swapped(t, a, 8));
	assert_int_equal(swap_test_used(), 8);
	assert_int_equal(swap_test_cached(), 0);
	assert_int_equal(swap_test_swapents(t), 8);
	assert_true(swap_test_entry(t, a + 3 * PG, &e));
	assert_int_equal(e.count, 1);
	assert_true(e.exclusive);
	assert_false(e.cached);
	assert_int_equal(pnm_task_page_info(t, a, &pi), -EFAULT);

	/* The data is on the host file, at the slot. */
	assert_int_equal(pnm_swap_backing_path(path, sizeof(path)), 0);
	fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(pread(fd, host, sizeof(host), (off_t)(e.slot * PG)), sizeof(host));
	close(fd);
	for (i = 0; i < (int)sizeof(host); i++)
		assert_int_equal(host[i], swap_test_byte(1, 3, (unsigned long)i));

	/* A read fault: back, exclusive, writable, still cached. */
	assert_int_equal(test_read_byte(t, a + 3 * PG + 5), swap_test_byte(1, 3, 5));
	CHECK_ALL();
	assert_int_equal(global_stat(PSWPIN), in + 1);
	assert_int_equal(global_stat(PGMAJFAULT), maj + 1);
	assert_false(swap_test_entry(t, a + 3 * PG, NULL));
	assert_int_equal(swap_test_swapents(t), 7);
	pi.size = sizeof(pi);
	assert_int_equal(pnm_task_page_info(t, a + 3 * PG, &pi), 0);
	assert_true(pi.flags & PNM_PAGE_ANON_EXCLUSIVE);
	assert_true(pi.flags & PNM_PAGE_MAP_WRITE);
	assert_true(pi.flags & PNM_PAGE_SWAPCACHE);
	assert_true(pi.flags & PNM_PAGE_LRU);
	assert_int_equal(swap_test_cached(), 1);
	assert_int_equal(swap_test_used(), 8);	/* the cached slot stays */

	/* Swapped out again: clean and cached, so nothing is written. */
	out = global_stat(PSWPOUT);
	assert_int_equal(pnm_madvise(t, a + 3 * PG, PG, MADV_PAGEOUT), 0);
	CHECK_ALL();
	assert_int_equal(global_stat(PSWPOUT), out);
	assert_true(swap_test_entry(t, a + 3 * PG, &e));
	assert_true(e.exclusive);
	assert_int_equal(swap_test_cached(), 0);

	/* A write fault: the cached copy would be stale, it goes at once. */
	test_write_byte(t, a + 4 * PG, 0xee);
	CHECK_ALL();
	assert_int_equal(swap_test_cached(), 0);
	assert_int_equal(swap_test_used(), 7);
	pi.size = sizeof(pi);
	assert_int_equal(pnm_task_page_info(t, a + 4 * PG, &pi), 0);
	assert_false(pi.flags & PNM_PAGE_SWAPCACHE);
	assert_true(pi.flags & PNM_PAGE_MAP_DIRTY);

	/* Everything else comes back intact. */
	assert_true(swap_test_holds(t, a, 0, 4, 1));
	assert_true(swap_test_holds(t, a, 5, 3, 1));
	assert_int_equal(test_read_byte(t, a + 4 * PG), 0xee);
	CHECK_ALL();
	assert_int_equal(swap_test_swapents(t), 0);
	pnm_task_exit(t);
	CHECK_ALL();
	assert_int_equal(swap_test_used(), 0);
	assert_int_equal(swap_test_cached(), 0);
}

/*
 * Fork with swap entries: each slot is named twice (count 2), neither
 * entry is exclusive any more; the first process to fault reads the page
 * (major), the second finds it in the swap cache (a hit): one frame,
 * shared and read-only, so the next write copies it.  Without the fork,
 * the page would have come back exclusive (test_pageout_and_back).
 */
static void test_fork_with_swap_entries(void **state)
{
	struct task_struct *p = test_task_create("p"), *c;
	unsigned long a = test_mmap(p, 4 * PG, PROT_RW, MAP_ANON_PRIV);
	long hits, maj, cow;
	struct pnm_swap_entry_info e;
	struct pnm_page_info pi = { .size = sizeof(pi) };

	(void)state;
	swap_test_fill(p, a, 4, 2);
	assert_int_equal(pnm_madvise(p, a, 4 * PG, MADV_PAGEOUT), 0);
	c = test_fork(p);
	CHECK_ALL();
	assert_true(swap_test_entry(p, a, &e));
	assert_int_equal(e.count, 2);
	assert_false(e.exclusive);
	assert_true(swap_test_entry(c, a, &e));
	assert_false(e.exclusive);
	assert_int_equal(swap_test_swapents(p), 4);
	assert_int_equal(swap_test_swapents(c), 4);
	assert_int_equal(swap_test_used(), 4);

	maj = global_stat(PGMAJFAULT);
	hits = global_stat(PNM_SWAPIN_CACHE_HIT);
	assert_true(swap_test_holds(c, a, 0, 1, 2));
	CHECK_ALL();
	assert_int_equal(global_stat(PGMAJFAULT), maj + 1);
	assert_true(swap_test_entry(p, a, &e));
	assert_int_equal(e.count, 1);
	assert_true(e.cached);
	assert_true(swap_test_holds(p, a, 0, 1, 2));
	CHECK_ALL();
	assert_int_equal(global_stat(PNM_SWAPIN_CACHE_HIT), hits + 1);
	assert_int_equal(global_stat(PGMAJFAULT), maj + 1);
	assert_int_equal(test_pfn(p, a), test_pfn(c, a));
	assert_int_equal(pnm_task_page_info(p, a, &pi), 0);
	assert_false(pi.flags & PNM_PAGE_ANON_EXCLUSIVE);
	assert_false(pi.flags & PNM_PAGE_MAP_WRITE);
	assert_int_equal(pi.mapcount, 2);

	/* A write copies (the page is shared); the other keeps the old data. */
	cow = global_stat(PNM_COW_COPY);
	test_write_byte(c, a, 0x55);
	CHECK_ALL();
	assert_int_equal(global_stat(PNM_COW_COPY), cow + 1);
	assert_true(test_pfn(p, a) != test_pfn(c, a));
	assert_true(swap_test_holds(p, a, 0, 1, 2));

	/* The write found page 0 in the swap cache with no entry left for
	 * it: the cached copy went (Linux's wp_can_reuse_anon_folio()). */
	assert_int_equal(swap_test_cached(), 0);
	assert_int_equal(swap_test_used(), 3);
	/* The child's exit frees its counts: the parent's stay. */
	pnm_task_exit(c);
	CHECK_ALL();
	assert_true(swap_test_entry(p, a + PG, &e));
	assert_int_equal(e.count, 1);
	assert_false(e.exclusive);
	assert_int_equal(swap_test_used(), 3);

	/* Swapped in alone now, but not exclusive: a write fault reuses the
	 * page (nobody else has it) instead of copying. */
	cow = global_stat(PNM_COW_COPY);
	test_write_byte(p, a + PG, 0x66);
	CHECK_ALL();
	assert_int_equal(global_stat(PNM_COW_COPY), cow);
	pi.size = sizeof(pi);
	assert_int_equal(pnm_task_page_info(p, a + PG, &pi), 0);
	assert_true(pi.flags & PNM_PAGE_ANON_EXCLUSIVE);
	assert_true(swap_test_holds(p, a, 2, 2, 2));
	CHECK_ALL();
}

/*
 * The anon-exclusive bit through swap: an exclusive page swapped out and
 * back in is exclusive again (writable at once, no copy); after a fork in
 * between, it is not.
 */
static void test_exclusive_through_swap(void **state)
{
	struct task_struct *p = test_task_create("p"), *c;
	unsigned long a = test_mmap(p, 2 * PG, PROT_RW, MAP_ANON_PRIV);
	struct folio *folio;
	long cow, reuse;

	(void)state;
	test_write_byte(p, a, 1);
	test_write_byte(p, a + PG, 2);
	assert_true(PageAnonExclusive(&test_folio(p, a)->page));
	assert_int_equal(pnm_madvise(p, a, 2 * PG, MADV_PAGEOUT), 0);
	cow = global_stat(PNM_COW_COPY);
	reuse = global_stat(PNM_COW_REUSE);
	test_write_byte(p, a, 3);	/* write fault straight in */
	CHECK_ALL();
	folio = test_folio(p, a);
	assert_true(PageAnonExclusive(&folio->page));
	assert_int_equal(global_stat(PNM_COW_COPY), cow);
	assert_int_equal(global_stat(PNM_COW_REUSE), reuse);	/* no wp fault */

	c = test_fork(p);		/* a + PG is swapped: both entries shared */
	assert_int_equal(test_read_byte(p, a + PG), 2);
	CHECK_ALL();
	folio = test_folio(p, a + PG);
	assert_false(PageAnonExclusive(&folio->page));
	assert_int_equal(folio_mapcount(folio), 1);	/* the child's is swapped */
	pnm_task_exit(c);
	CHECK_ALL();
}

/* --- pins --------------------------------------------------------------------- */

/*
 * A maybe-pinned page is never swapped out (Linux: reclaim keeps it, and
 * try_to_unmap refuses it): MADV_PAGEOUT skips it and counts the skip;
 * unpinned, it goes.  Pinning a swapped-out address faults the page in
 * and pins the page that came back.
 */
static void test_pinned_not_swapped(void **state)
{
	struct task_struct *t = test_task_create("t");
	unsigned long a = test_mmap(t, 4 * PG, PROT_RW, MAP_ANON_PRIV);
	long skip = global_stat(PNM_SWAP_SKIP_PINNED), out;
	struct page *pages[2];
	unsigned char buf[8];
	unsigned long pfn;

	(void)state;
	swap_test_fill(t, a, 4, 3);
	pnm_task_enter(t);
	assert_int_equal(pin_user_pages_fast(a, 2, FOLL_WRITE | FOLL_LONGTERM, pages), 2);
	pnm_task_enter(NULL);
	pfn = page_to_pfn(pages[0]);
	out = global_stat(PSWPOUT);
	assert_int_equal(pnm_madvise(t, a, 4 * PG, MADV_PAGEOUT), 0);
	CHECK_ALL();
	assert_int_equal(global_stat(PNM_SWAP_SKIP_PINNED), skip + 2);
	assert_int_equal(global_stat(PSWPOUT), out + 2);
	assert_false(swap_test_entry(t, a, NULL));
	assert_false(swap_test_entry(t, a + PG, NULL));
	assert_true(swap_test_all_swapped(t, a + 2 * PG, 2));
	assert_int_equal(test_pfn(t, a), pfn);
	/* The device's data is still what the process sees. */
	assert_int_equal(pnm_dma_write(pages, 2, 10, "dma", 3), 0);
	assert_int_equal(test_read_byte(t, a + 10), 'd');
	unpin_user_pages_dirty_lock(pages, 2, true);
	CHECK_ALL();

	/* Unpinned: it goes like any other. */
	assert_int_equal(pnm_madvise(t, a, 2 * PG, MADV_PAGEOUT), 0);
	assert_true(swap_test_all_swapped(t, a, 4));
	CHECK_ALL();

	/* GUP on swapped-out addresses faults them in and pins what came
	 * back; the pinned pages then stay. */
	pnm_task_enter(t);
	assert_int_equal(pin_user_pages_fast(a + 2 * PG, 2, FOLL_WRITE, pages), 2);
	pnm_task_enter(NULL);
	CHECK_ALL();
	assert_false(swap_test_entry(t, a + 2 * PG, NULL));
	assert_int_equal(page_to_pfn(pages[0]), test_pfn(t, a + 2 * PG));
	assert_true(PageAnonExclusive(pages[0]));
	assert_int_equal(pnm_dma_read(pages, 2, PG, buf, 4), 0);
	assert_int_equal(buf[0], swap_test_byte(3, 3, 0));
	assert_int_equal(pnm_madvise(t, a + 2 * PG, 2 * PG, MADV_PAGEOUT), 0);
	assert_false(swap_test_entry(t, a + 2 * PG, NULL));
	unpin_user_pages(pages, 2);
	assert_true(swap_test_holds(t, a, 1, 3, 3));
	assert_int_equal(test_read_byte(t, a + 10), 'd');	/* the device's */
	CHECK_ALL();
}

/* A read-only pin of a swapped-out page that fork shared: the pin gets
 * an exclusive copy (unshare), as for any shared anon page. */
static void test_ro_pin_shared_swapped(void **state)
{
	struct task_struct *p = test_task_create("p"), *c;
	unsigned long a = test_mmap(p, PG, PROT_RW, MAP_ANON_PRIV);
	long unshare = global_stat(PNM_UNSHARE_COPY);
	struct page *page;

	(void)state;
	test_write_byte(p, a, 0x42);
	assert_int_equal(pnm_madvise(p, a, PG, MADV_PAGEOUT), 0);
	c = test_fork(p);
	assert_int_equal(test_read_byte(c, a), 0x42);	/* c maps it shared */
	pnm_task_enter(p);
	assert_int_equal(pin_user_pages_fast(a, 1, 0, &page), 1);
	pnm_task_enter(NULL);
	CHECK_ALL();
	assert_int_equal(global_stat(PNM_UNSHARE_COPY), unshare + 1);
	assert_true(PageAnonExclusive(page));
	assert_int_equal(page_to_pfn(page), test_pfn(p, a));
	assert_true(test_pfn(c, a) != test_pfn(p, a));
	unpin_user_page(page);
	pnm_task_exit(c);
	CHECK_ALL();
}

/* --- freeing slots ------------------------------------------------------------ */

static void test_munmap_and_exit_free_slots(void **state)
{
	struct task_struct *p = test_task_create("p"), *c;
	unsigned long a = test_mmap(p, 8 * PG, PROT_RW, MAP_ANON_PRIV);

	(void)state;
	swap_test_fill(p, a, 8, 4);
	assert_int_equal(pnm_madvise(p, a, 8 * PG, MADV_PAGEOUT), 0);
	assert_int_equal(swap_test_used(), 8);
	assert_int_equal(pnm_munmap(p, a, 2 * PG), 0);
	CHECK_ALL();
	assert_int_equal(swap_test_used(), 6);
	assert_int_equal(swap_test_swapents(p), 6);

	/* MADV_DONTNEED drops entries too. */
	assert_int_equal(pnm_madvise(p, a + 2 * PG, PG, MADV_DONTNEED), 0);
	CHECK_ALL();
	assert_int_equal(swap_test_used(), 5);
	assert_int_equal(test_read_byte(p, a + 2 * PG), 0);

	c = test_fork(p);
	assert_int_equal(swap_test_used(), 5);
	pnm_task_exit(p);
	CHECK_ALL();
	assert_int_equal(swap_test_used(), 5);	/* the child's */
	assert_true(swap_test_holds(c, a, 3, 5, 4));
	CHECK_ALL();
	assert_int_equal(swap_test_used(), 5);	/* read back, still cached */
	assert_int_equal(swap_test_cached(), 5);
	pnm_task_exit(c);
	CHECK_ALL();
	assert_int_equal(swap_test_used(), 0);
	assert_int_equal(swap_test_cached(), 0);
}

/* --- swapoff -------------------------------------------------------------------- */

static void test_swapoff_brings_back(void **state)
{
	struct task_struct *p = test_task_create("p"), *c;
	unsigned long a = test_mmap(p, 6 * PG, PROT_RW, MAP_ANON_PRIV);
	struct pnm_page_info pi = { .size = sizeof(pi) };
	unsigned char v;

	(void)state;
	swap_test_fill(p, a, 6, 5);
	assert_int_equal(pnm_madvise(p, a, 3 * PG, MADV_PAGEOUT), 0);
	c = test_fork(p);		/* entries 0..2 shared, pages 3..5 COW */
	/* The parent's own copy of page 4 (same data), swapped out. */
	v = swap_test_byte(5, 4, 0);
	assert_int_equal(pnm_user_write(p, a + 4 * PG, &v, 1), 0);
	assert_int_equal(pnm_madvise(p, a + 4 * PG, PG, MADV_PAGEOUT), 0);
	/* ... and page 3 is shared: MADV_PAGEOUT leaves it. */
	assert_int_equal(pnm_madvise(p, a + 3 * PG, PG, MADV_PAGEOUT), 0);
	assert_false(swap_test_entry(p, a + 3 * PG, NULL));
	assert_true(swap_test_holds(p, a, 0, 1, 5));	/* cached now */
	CHECK_ALL();
	assert_int_equal(swap_test_used(), 4);
	assert_int_equal(pnm_swapoff(), 0);
	CHECK_ALL();
	assert_int_equal(swap_test_swapents(p), 0);
	assert_int_equal(swap_test_swapents(c), 0);
	assert_int_equal(global_stat(NR_SWAPCACHE), 0);
	/* Entries shared by the fork come back shared, the parent's own
	 * exclusive. */
	assert_int_equal(test_pfn(p, a), test_pfn(c, a));
	assert_int_equal(test_pfn(p, a + PG), test_pfn(c, a + PG));
	assert_int_equal(pnm_task_page_info(p, a + 4 * PG, &pi), 0);
	assert_true(pi.flags & PNM_PAGE_ANON_EXCLUSIVE);
	pi.size = sizeof(pi);
	assert_int_equal(pnm_task_page_info(c, a + 2 * PG, &pi), 0);
	assert_false(pi.flags & PNM_PAGE_ANON_EXCLUSIVE);
	assert_true(swap_test_holds(p, a, 0, 6, 5));
	assert_true(swap_test_holds(c, a, 0, 6, 5));
	/* MADV_PAGEOUT without swap: anon pages stay. */
	assert_int_equal(pnm_madvise(p, a + 4 * PG, PG, MADV_PAGEOUT), 0);
	assert_int_equal(test_pfn(p, a + 4 * PG) != 0, 1);
	CHECK_ALL();
}

/* --- I/O errors ------------------------------------------------------------------ */

/*
 * A write error: MADV_PAGEOUT reports it and the page stays in memory
 * (dirty, in the swap cache, unmapped: its entry finds it there), with
 * its data; a later pageout writes it.  A read error: the fault fails
 * (-EFAULT, SIGBUS) and the entry stays; the next access reads it.
 */
static void test_io_errors(void **state)
{
	struct task_struct *t = test_task_create("t");
	unsigned long a = test_mmap(t, 2 * PG, PROT_RW, MAP_ANON_PRIV);
	struct pnm_swap_info si = { .size = sizeof(si) };
	struct pnm_swap_entry_info e;
	long hits, errs = global_stat(PNM_SWAP_IO_ERROR);
	unsigned char v;

	(void)state;
	swap_test_fill(t, a, 2, 6);
	assert_int_equal(pnm_swap_inject_error(PNM_IO_WRITE, -EIO, 1), 0);
	assert_int_equal(pnm_madvise(t, a, 2 * PG, MADV_PAGEOUT), -EIO);
	CHECK_ALL();
	assert_int_equal(global_stat(PNM_SWAP_IO_ERROR), errs + 1);
	assert_int_equal(pnm_get_swap_info(&si), 0);
	assert_int_equal(si.write_errors, 1);
	assert_int_equal(si.last_error, -EIO);
	assert_int_equal(si.used, 2);
	assert_int_equal(si.free, SWAP_TEST_SLOTS - 2);
	/* The first page: unmapped, but kept in the swap cache, dirty. */
	assert_true(swap_test_entry(t, a, &e));
	assert_true(e.cached);
	assert_int_equal(swap_test_cached(), 1);
	assert_true(swap_test_entry(t, a + PG, NULL));	/* the second went */
	hits = global_stat(PNM_SWAPIN_CACHE_HIT);
	assert_true(swap_test_holds(t, a, 0, 2, 6));
	assert_int_equal(global_stat(PNM_SWAPIN_CACHE_HIT), hits + 1);
	CHECK_ALL();

	/* ENOSPC the same way: kept, dirty, found in the cache again; then
	 * it is written (and the clean cached copy of page 1 dropped). */
	assert_int_equal(pnm_swap_inject_error(PNM_IO_WRITE, -ENOSPC, 1), 0);
	assert_int_equal(pnm_madvise(t, a, PG, MADV_PAGEOUT), -ENOSPC);
	assert_true(swap_test_entry(t, a, &e));
	assert_true(e.cached);
	assert_int_equal(test_read_byte(t, a + 1), swap_test_byte(6, 0, 1));
	assert_int_equal(pnm_madvise(t, a, 2 * PG, MADV_PAGEOUT), 0);
	assert_int_equal(swap_test_cached(), 0);
	assert_true(swap_test_all_swapped(t, a, 2));
	CHECK_ALL();

	/* A read error fails the access and loses nothing. */
	assert_int_equal(pnm_swap_inject_error(PNM_IO_READ, -EIO, 1), 0);
	assert_int_equal(pnm_user_read(t, a, &v, 1), -EFAULT);
	CHECK_ALL();
	assert_true(swap_test_entry(t, a, &e));
	assert_false(e.cached);
	si.size = sizeof(si);
	assert_int_equal(pnm_get_swap_info(&si), 0);
	assert_int_equal(si.read_errors, 1);
	assert_true(swap_test_holds(t, a, 0, 2, 6));
	CHECK_ALL();

	/* GUP gets -EFAULT too, and swapoff -EIO (the device stays on). */
	assert_int_equal(pnm_madvise(t, a, 2 * PG, MADV_PAGEOUT), 0);
	assert_int_equal(pnm_swap_inject_error(PNM_IO_READ, -EIO, 1), 0);
	assert_int_equal(pnm_swapoff(), -EIO);
	CHECK_ALL();
	si.size = sizeof(si);
	assert_int_equal(pnm_get_swap_info(&si), 0);
	assert_true(si.active);
	assert_true(swap_test_entry(t, a, NULL) || swap_test_entry(t, a + PG, NULL));
	assert_int_equal(pnm_swapoff(), 0);
	assert_true(swap_test_holds(t, a, 0, 2, 6));
	CHECK_ALL();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_swapon_args, swap_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_pageout_and_back, swap_test_setup,
						pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_fork_with_swap_entries, swap_test_setup,
						pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_exclusive_through_swap, swap_test_setup,
						pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_pinned_not_swapped, swap_test_setup,
						pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_ro_pin_shared_swapped, swap_test_setup,
						pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_munmap_and_exit_free_slots, swap_test_setup,
						pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_swapoff_brings_back, swap_test_setup,
						pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_io_errors, swap_test_setup, pnm_test_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
