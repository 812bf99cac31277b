// SPDX-License-Identifier: MIT
/*
 * test_pinned_writeback.c - the 2018 failure end to end, and its fixes.
 *
 * A process maps one page of a disk file MAP_SHARED, writes it, and hands
 * it to a device with a FOLL_WRITE pin (Direct I/O, a short-term pin).
 * While the pin is held, fsync writes the page back; then the device
 * writes its data into the page through the pin and the pin is released
 * "dirty" (unpin_user_pages_dirty_lock(..., true)); then fsync again.
 * What reached the real backing file is read with test_host_pread().
 *
 *   legacy_gup   The pin is a plain reference, so writeback cannot see it:
 *                it cleans the page and the filesystem drops its block
 *                state.  The device write plus the dirtying unpin make the
 *                page dirty behind the filesystem's back
 *                (pnm_fs_dirty_no_blocks +1: ext4's BUG in 2018), and the
 *                next writeback cannot write it (pnm_wb_lost +1): the file
 *                keeps the old data, and once the inode is evicted the
 *                device's data is gone.
 *   stable       fsync while pinned writes a bounce copy
 *                (pnm_wb_bounced +1); the page stays dirty with its blocks;
 *                after the device write, unpin and fsync the file holds
 *                the device's data.  Even an unpin that does not dirty
 *                keeps it (the page never became clean while pinned).
 *   linux        written in place (pnm_wb_pinned_inplace +1), cleaned but
 *                its blocks kept while pinned: no violation, and a dirtying
 *                unpin gets the device's data to disk.  The documented
 *                risk: an unpin that does NOT dirty leaves the device's
 *                data in a clean page, and eviction throws it away
 *                silently.
 *
 * Also: a truncate while pinned (device writes after it are counted in
 * pnm_dma_write_truncated and never reach the file), the last close of
 * the file while pinned (the same, through eviction), and the long-term
 * rule (a writable FOLL_LONGTERM pin of a MAP_SHARED disk mapping fails
 * with -EFAULT, nothing pinned).
 *
 * Each test builds its own model with its own configuration.
 */
#include <string.h>

#include "test_util.h"
#include "pinmm_test_internal.h"

#define PG	PAGE_SIZE
#define RW	(PROT_READ | PROT_WRITE)

static const char file_v1[] = "file v1: on disk before the story";
static const char cpu_v2[] = "cpu v2: the process wrote this";
static const char dma_v3[] = "DMA v3: the device wrote this";
static const char dma_v4[] = "DMA v4: the device again";

static void init_model(bool legacy, enum pnm_wb_policy policy)
{
	struct pnm_config cfg;

	pnm_test_config(&cfg);
	cfg.legacy_gup = legacy;
	cfg.wb_policy = policy;
	pnm_test_init_with(&cfg);
}

/* What the file holds on the host, at offset 0, compared with @s. */
static bool host_has(struct file *f, const char *s)
{
	char buf[64] = "";
	size_t n = strlen(s) + 1;

	assert_true(n <= sizeof(buf));
	if (test_host_pread(f, buf, n, 0) != (ssize_t)n)
		return false;
	return !memcmp(buf, s, n);
}

/* What the process reads at @addr, compared with @s. */
static bool user_has(struct task_struct *t, unsigned long addr, const char *s)
{
	char buf[64] = "";
	size_t n = strlen(s) + 1;

	assert_true(n <= sizeof(buf));
	assert_int_equal(pnm_user_read(t, addr, buf, n), 0);
	return !memcmp(buf, s, n);
}

/*
 * One page of disk file @name holding file_v1 on the host, mapped shared
 * by @t, then written by the process (cpu_v2).  Returns the address.
 */
static unsigned long setup_file_page(struct task_struct *t, const char *name,
				     struct file **fp)
{
	char page[PG];
	struct file *f = test_open(PNM_FS_DISK, name);
	loff_t pos = 0;
	long addr;

	memset(page, 0, sizeof(page));
	memcpy(page, file_v1, sizeof(file_v1));
	assert_int_equal(kernel_write(f, page, PG, &pos), PG);
	assert_int_equal(pos, PG);
	assert_int_equal(vfs_fsync(f, 0), 0);
	assert_true(host_has(f, file_v1));
	CHECK_ALL();

	addr = pnm_mm_mmap(t->mm, 0, PG, RW, MAP_SHARED, f, 0);
	assert_true(addr > 0);
	assert_int_equal(pnm_user_write(t, (unsigned long)addr, cpu_v2, sizeof(cpu_v2)), 0);
	assert_true(folio_test_dirty(test_folio(t, (unsigned long)addr)));
	CHECK_ALL();
	*fp = f;
	return (unsigned long)addr;
}

/* pin_user_pages_fast() one page as @t would call it. */
static long pin_as(struct task_struct *t, unsigned long addr, unsigned int flags,
		   struct page **page)
{
	struct task_struct *prev = pnm_task_enter(t);
	long ret = pin_user_pages_fast(addr, 1, flags, page);

	pnm_task_leave(prev);
	return ret;
}

/* Drop the mapping and the file: the inode is evicted (last reference),
 * then reopen it; the data a new opener reads comes from the host. */
static struct file *evict_and_reopen(struct task_struct *t, unsigned long addr,
				     struct file *f, const char *name)
{
	assert_int_equal(pnm_mm_munmap(t->mm, addr, PG), 0);
	fput(f);
	CHECK_ALL();
	return test_open(PNM_FS_DISK, name);
}

static bool read_has(struct file *f, const char *s)
{
	char buf[64] = "";
	size_t n = strlen(s) + 1;
	loff_t pos = 0;

	assert_int_equal(kernel_read(f, buf, n, &pos), (ssize_t)n);
	return !memcmp(buf, s, n);
}

/* --- legacy: the 2018 failure ------------------------------------------- */

static void test_legacy_loses_device_data(void **state)
{
	struct task_struct *p;
	struct folio *folio;
	struct page *page = NULL;
	struct file *f;
	unsigned long addr;
	long nob, lost, bounced;
	int ret;

	(void)state;
	init_model(true, PNM_WB_STABLE);
	p = test_task_create("dio-app");
	assert_non_null(p);
	addr = setup_file_page(p, "victim", &f);

	assert_int_equal(pin_as(p, addr, FOLL_WRITE, &page), 1);
	folio = page_folio(page);
	/* A legacy pin is a plain reference: invisible to writeback. */
	assert_false(folio_maybe_dma_pinned(folio));
	assert_true(PagePrivate(&folio->page));
	CHECK_ALL();

	/* Writeback cleans the page and the filesystem drops its blocks. */
	bounced = global_stat(PNM_WB_BOUNCED);
	assert_int_equal(vfs_fsync(f, 0), 0);
	assert_int_equal(global_stat(PNM_WB_BOUNCED), bounced);
	assert_false(folio_test_dirty(folio));
	assert_false(PagePrivate(&folio->page));
	assert_true(host_has(f, cpu_v2));
	CHECK_ALL();

	/* The device writes; the dirtying unpin dirties without blocks. */
	nob = global_stat(PNM_FS_DIRTY_NO_BLOCKS);
	assert_int_equal(pnm_dma_write(&page, 1, 0, dma_v3, sizeof(dma_v3)), 0);
	assert_int_equal(global_stat(PNM_FS_DIRTY_NO_BLOCKS), nob);
	unpin_user_pages_dirty_lock(&page, 1, true);
	assert_int_equal(global_stat(PNM_FS_DIRTY_NO_BLOCKS), nob + 1);
	assert_true(folio_test_dirty(folio));
	assert_true(test_bit(PG_pnm_nofs_dirty, &folio->flags));
	assert_true(user_has(p, addr, dma_v3));
	CHECK_ALL();

	/* The filesystem cannot write it: lost, loudly; disk keeps cpu v2. */
	lost = global_stat(PNM_WB_LOST);
	ret = vfs_fsync(f, 0);
	assert_int_equal(ret, -EIO);		/* the loss is reported */
	assert_int_equal(global_stat(PNM_WB_LOST), lost + 1);
	assert_false(test_bit(PG_pnm_nofs_dirty, &folio->flags));
	assert_true(host_has(f, cpu_v2));
	assert_false(host_has(f, dma_v3));
	/* Memory still holds the device's data... */
	assert_true(user_has(p, addr, dma_v3));
	CHECK_ALL();

	/* ...until the inode is evicted: then it is gone for good. */
	f = evict_and_reopen(p, addr, f, "victim");
	assert_true(read_has(f, cpu_v2));
	assert_true(host_has(f, cpu_v2));
	assert_int_equal(global_stat(PNM_WB_LOST), lost + 1);
	fput(f);
	pnm_task_exit(p);
	put_task_struct(p);
	CHECK_ALL();
}

/* --- stable: bounce while pinned, nothing lost --------------------------- */

static void test_stable_bounces_and_keeps_data(void **state)
{
	struct task_struct *p;
	struct folio *folio;
	struct page *page = NULL;
	struct file *f;
	unsigned long addr;
	long nob, lost, bounced, skipped;

	(void)state;
	init_model(false, PNM_WB_STABLE);
	p = test_task_create("dio-app");
	assert_non_null(p);
	addr = setup_file_page(p, "victim", &f);
	nob = global_stat(PNM_FS_DIRTY_NO_BLOCKS);
	lost = global_stat(PNM_WB_LOST);

	assert_int_equal(pin_as(p, addr, FOLL_WRITE, &page), 1);
	folio = page_folio(page);
	assert_true(folio_maybe_dma_pinned(folio));
	CHECK_ALL();

	/* Background writeback leaves a pinned page alone. */
	skipped = global_stat(PNM_WB_SKIP_PINNED);
	(void)pnm_writeback_run(false);
	assert_int_equal(global_stat(PNM_WB_SKIP_PINNED), skipped + 1);
	assert_true(folio_test_dirty(folio));
	assert_true(host_has(f, file_v1));

	/* fsync writes a bounce copy; the page stays dirty with its blocks. */
	bounced = global_stat(PNM_WB_BOUNCED);
	assert_int_equal(vfs_fsync(f, 0), 0);
	assert_int_equal(global_stat(PNM_WB_BOUNCED), bounced + 1);
	assert_true(folio_test_dirty(folio));
	assert_true(PagePrivate(&folio->page));
	assert_false(folio_test_writeback(folio));
	assert_true(host_has(f, cpu_v2));
	CHECK_ALL();

	assert_int_equal(pnm_dma_write(&page, 1, 0, dma_v3, sizeof(dma_v3)), 0);
	unpin_user_pages_dirty_lock(&page, 1, true);
	assert_int_equal(global_stat(PNM_FS_DIRTY_NO_BLOCKS), nob);
	CHECK_ALL();
	assert_int_equal(vfs_fsync(f, 0), 0);
	assert_true(host_has(f, dma_v3));
	assert_false(folio_test_dirty(folio));
	assert_int_equal(global_stat(PNM_WB_LOST), lost);
	CHECK_ALL();

	/* Pin again, and this time release the pin WITHOUT dirtying it: the
	 * page was dirtied at pin time (write fault) and stable writeback
	 * never cleaned it while pinned, so the data still reaches disk. */
	assert_int_equal(pin_as(p, addr, FOLL_WRITE, &page), 1);
	assert_true(folio_test_dirty(page_folio(page)));
	assert_int_equal(vfs_fsync(f, 0), 0);
	assert_int_equal(pnm_dma_write(&page, 1, 0, dma_v4, sizeof(dma_v4)), 0);
	unpin_user_pages(&page, 1);
	assert_true(folio_test_dirty(page_folio(page)));
	assert_int_equal(vfs_fsync(f, 0), 0);
	assert_true(host_has(f, dma_v4));
	assert_int_equal(global_stat(PNM_FS_DIRTY_NO_BLOCKS), nob);
	assert_int_equal(global_stat(PNM_WB_LOST), lost);
	CHECK_ALL();

	f = evict_and_reopen(p, addr, f, "victim");
	assert_true(read_has(f, dma_v4));
	fput(f);
	pnm_task_exit(p);
	put_task_struct(p);
	CHECK_ALL();
}

/* --- linux: in place, and the documented risk ---------------------------- */

static void test_linux_inplace_and_risk(void **state)
{
	struct task_struct *p;
	struct folio *folio;
	struct page *page = NULL;
	struct file *f;
	unsigned long addr;
	long nob, lost, inplace, bounced;

	(void)state;
	init_model(false, PNM_WB_LINUX);
	p = test_task_create("dio-app");
	assert_non_null(p);
	addr = setup_file_page(p, "victim", &f);
	nob = global_stat(PNM_FS_DIRTY_NO_BLOCKS);
	lost = global_stat(PNM_WB_LOST);
	bounced = global_stat(PNM_WB_BOUNCED);

	assert_int_equal(pin_as(p, addr, FOLL_WRITE, &page), 1);
	folio = page_folio(page);
	assert_true(folio_maybe_dma_pinned(folio));

	/* Written in place and cleaned, but its blocks stay while pinned. */
	inplace = global_stat(PNM_WB_PINNED_INPLACE);
	assert_int_equal(vfs_fsync(f, 0), 0);
	assert_int_equal(global_stat(PNM_WB_PINNED_INPLACE), inplace + 1);
	assert_int_equal(global_stat(PNM_WB_BOUNCED), bounced);
	assert_false(folio_test_dirty(folio));
	assert_true(PagePrivate(&folio->page));
	assert_true(host_has(f, cpu_v2));
	CHECK_ALL();

	/* A dirtying unpin: no violation, the data reaches disk. */
	assert_int_equal(pnm_dma_write(&page, 1, 0, dma_v3, sizeof(dma_v3)), 0);
	unpin_user_pages_dirty_lock(&page, 1, true);
	assert_int_equal(global_stat(PNM_FS_DIRTY_NO_BLOCKS), nob);
	assert_true(folio_test_dirty(folio));
	assert_int_equal(vfs_fsync(f, 0), 0);
	assert_true(host_has(f, dma_v3));
	assert_int_equal(global_stat(PNM_WB_LOST), lost);
	CHECK_ALL();

	/* The risk: pin (the write fault dirties), fsync cleans the page in
	 * place, the device writes, the pin is released WITHOUT dirtying. */
	assert_int_equal(pin_as(p, addr, FOLL_WRITE, &page), 1);
	assert_int_equal(vfs_fsync(f, 0), 0);
	assert_false(folio_test_dirty(page_folio(page)));
	assert_int_equal(pnm_dma_write(&page, 1, 0, dma_v4, sizeof(dma_v4)), 0);
	unpin_user_pages(&page, 1);
	assert_false(folio_test_dirty(page_folio(page)));
	assert_int_equal(vfs_fsync(f, 0), 0);
	assert_true(host_has(f, dma_v3));
	assert_true(user_has(p, addr, dma_v4));	/* only in memory */
	CHECK_ALL();

	/* Eviction drops the clean page: the device's data is gone, and
	 * nothing reported it. */
	f = evict_and_reopen(p, addr, f, "victim");
	assert_true(read_has(f, dma_v3));
	assert_true(host_has(f, dma_v3));
	assert_int_equal(global_stat(PNM_FS_DIRTY_NO_BLOCKS), nob);
	assert_int_equal(global_stat(PNM_WB_LOST), lost);
	fput(f);
	pnm_task_exit(p);
	put_task_struct(p);
	CHECK_ALL();
}

/* --- truncate while pinned ----------------------------------------------- */

static void test_truncate_while_pinned(void **state)
{
	struct task_struct *p;
	struct folio *folio;
	struct page *page = NULL;
	struct file *f;
	unsigned long addr, nr;
	long tpinned, live, dmat, lost, nob;
	char buf[PG], zero[PG];

	(void)state;
	init_model(false, PNM_WB_STABLE);
	p = test_task_create("dio-app");
	assert_non_null(p);
	addr = setup_file_page(p, "victim", &f);
	assert_int_equal(pin_as(p, addr, FOLL_WRITE, &page), 1);
	folio = page_folio(page);
	nr = folio_nr_pages(folio);
	lost = global_stat(PNM_WB_LOST);
	nob = global_stat(PNM_FS_DIRTY_NO_BLOCKS);

	/* Truncate to 0: the page leaves the cache but lives on, pinned. */
	tpinned = global_stat(PNM_TRUNCATE_PINNED);
	live = global_stat(PNM_NR_TRUNCATED_LIVE);
	assert_int_equal(do_ftruncate(f, 0), 0);
	assert_int_equal(i_size_read(f->f_inode), 0);
	assert_int_equal(global_stat(PNM_TRUNCATE_PINNED), tpinned + (long)nr);
	assert_int_equal(global_stat(PNM_NR_TRUNCATED_LIVE), live + (long)nr);
	assert_true(test_bit(PG_pnm_truncated, &folio->flags));
	assert_null(folio_mapping(folio));
	assert_int_equal(f->f_mapping->nrpages, 0);
	/* The process no longer maps it: past EOF is SIGBUS (-EFAULT). */
	assert_int_equal(pnm_user_read(p, addr, buf, 1), -EFAULT);
	CHECK_ALL();

	/* Grow back: a hole.  The device writes into the orphaned page. */
	assert_int_equal(do_ftruncate(f, PG), 0);
	dmat = global_stat(PNM_DMA_WRITE_TRUNCATED);
	assert_int_equal(pnm_dma_write(&page, 1, 0, dma_v3, sizeof(dma_v3)), 0);
	assert_int_equal(global_stat(PNM_DMA_WRITE_TRUNCATED), dmat + (long)sizeof(dma_v3));
	memset(zero, 0, sizeof(zero));
	assert_int_equal(pnm_user_read(p, addr, buf, PG), 0);
	assert_memory_equal(buf, zero, PG);
	assert_int_not_equal(test_pfn(p, addr), page_to_pfn(page));
	CHECK_ALL();

	/* The dirtying unpin frees the orphan; the file never sees its data. */
	unpin_user_pages_dirty_lock(&page, 1, true);
	assert_int_equal(global_stat(PNM_NR_TRUNCATED_LIVE), live);
	assert_int_equal(global_stat(PNM_FS_DIRTY_NO_BLOCKS), nob);
	assert_int_equal(vfs_fsync(f, 0), 0);
	assert_int_equal(test_host_pread(f, buf, PG, 0), PG);
	assert_memory_equal(buf, zero, PG);
	assert_int_equal(global_stat(PNM_WB_LOST), lost);
	CHECK_ALL();

	fput(f);
	pnm_task_exit(p);
	put_task_struct(p);
	CHECK_ALL();
}

/* --- the last close while pinned ---------------------------------------- */

/* The file is closed and unmapped while a device still holds a pin: the
 * inode is evicted (written back, cache emptied); the pinned page lives
 * on detached and the device's later writes go nowhere. */
static void test_evict_while_pinned(void **state)
{
	struct task_struct *p;
	struct page *page = NULL;
	struct file *f;
	unsigned long addr;
	long live, tpinned, dmat;

	(void)state;
	init_model(false, PNM_WB_STABLE);
	p = test_task_create("dio-app");
	assert_non_null(p);
	addr = setup_file_page(p, "victim", &f);
	assert_int_equal(pin_as(p, addr, FOLL_WRITE, &page), 1);
	live = global_stat(PNM_NR_TRUNCATED_LIVE);
	tpinned = global_stat(PNM_TRUNCATE_PINNED);

	assert_int_equal(pnm_mm_munmap(p->mm, addr, PG), 0);
	fput(f);		/* the last reference: eviction */
	assert_true(test_bit(PG_pnm_truncated, &page_folio(page)->flags));
	assert_int_equal(global_stat(PNM_NR_TRUNCATED_LIVE),
			 live + (long)folio_nr_pages(page_folio(page)));
	assert_int_equal(global_stat(PNM_TRUNCATE_PINNED),
			 tpinned + (long)folio_nr_pages(page_folio(page)));
	CHECK_ALL();

	dmat = global_stat(PNM_DMA_WRITE_TRUNCATED);
	assert_int_equal(pnm_dma_write(&page, 1, 0, dma_v3, sizeof(dma_v3)), 0);
	assert_int_equal(global_stat(PNM_DMA_WRITE_TRUNCATED), dmat + (long)sizeof(dma_v3));
	unpin_user_pages_dirty_lock(&page, 1, true);
	assert_int_equal(global_stat(PNM_NR_TRUNCATED_LIVE), live);
	assert_int_equal(global_stat(PNM_FS_DIRTY_NO_BLOCKS), 0);
	assert_int_equal(global_stat(PNM_WB_LOST), 0);
	CHECK_ALL();

	/* Eviction wrote what the process had written; the rest is gone. */
	f = test_open(PNM_FS_DISK, "victim");
	assert_true(read_has(f, cpu_v2));
	assert_true(host_has(f, cpu_v2));
	fput(f);
	pnm_task_exit(p);
	put_task_struct(p);
	CHECK_ALL();
}

/* --- the long-term rule -------------------------------------------------- */

static void test_longterm_write_pin_refused(void **state)
{
	struct task_struct *p, *prev;
	struct page *page = NULL;
	struct file *f;
	unsigned long addr;
	long acq = 0, ret;

	(void)state;
	init_model(false, PNM_WB_STABLE);
	p = test_task_create("rdma-app");
	assert_non_null(p);
	addr = setup_file_page(p, "victim", &f);
	acq = global_stat(NR_FOLL_PIN_ACQUIRED);

	assert_int_equal(pin_as(p, addr, FOLL_WRITE | FOLL_LONGTERM, &page), -EFAULT);
	prev = pnm_task_enter(p);
	mmap_read_lock(p->mm);
	ret = pin_user_pages(addr, 1, FOLL_WRITE | FOLL_LONGTERM, &page);
	mmap_read_unlock(p->mm);
	pnm_task_leave(prev);
	assert_int_equal(ret, -EFAULT);
	assert_int_equal(global_stat(NR_FOLL_PIN_ACQUIRED), acq);
	assert_int_equal(pnm_pin_registry_count(-1), 0);
	CHECK_ALL();

	/* A short-term write pin of the same page is fine (Direct I/O). */
	assert_int_equal(pin_as(p, addr, FOLL_WRITE, &page), 1);
	unpin_user_pages_dirty_lock(&page, 1, true);
	assert_int_equal(global_stat(PNM_FS_DIRTY_NO_BLOCKS), 0);
	CHECK_ALL();

	fput(f);
	pnm_task_exit(p);
	put_task_struct(p);
	CHECK_ALL();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_legacy_loses_device_data, pnm_test_teardown),
		cmocka_unit_test_teardown(test_stable_bounces_and_keeps_data, pnm_test_teardown),
		cmocka_unit_test_teardown(test_linux_inplace_and_risk, pnm_test_teardown),
		cmocka_unit_test_teardown(test_truncate_while_pinned, pnm_test_teardown),
		cmocka_unit_test_teardown(test_evict_while_pinned, pnm_test_teardown),
		cmocka_unit_test_teardown(test_longterm_write_pin_refused, pnm_test_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
