// SPDX-License-Identifier: MIT
/*
 * test_lease.c - layout leases and revocation (fs/locks.c, vaddr_pin.c):
 * Linux's refusals without a lease; the lease's own errors; a long-term
 * write pin of a shared disk mapping under a lease, whose device data
 * reaches the backing file byte for byte after unpin and fsync; a lease
 * break answered in time by the revoke callback (the truncate proceeds,
 * the lease is gone, later pins are refused again); a deadline missed
 * (the truncate returns within the deadline plus a margin, the owner is
 * revoked, reported, cut off from the device, its pages quarantined and
 * skipped by writeback until the late unpin); dax pins under a lease,
 * and a dax truncate or hole punch over frames whose owner was revoked by
 * force (it proceeds; the frames are detached, quarantined and freed by
 * the late unpin); a pin in flight when its lease breaks (refused when it
 * completes; the break does not wait for it); a callback that destroys
 * its owner; a release in time from another thread than the callback's.
 * test_lease_files.c runs every transition on disk and dax files alike.
 */
#include <pthread.h>
#include <sched.h>
#include <string.h>
#include <time.h>

#include "test_util.h"
#include "pinmm_test_internal.h"

#define PG	PAGE_SIZE
#define RW	(PROT_READ | PROT_WRITE)

static struct vaddr_pin *owner(struct task_struct *t, struct file *f,
			       const struct vaddr_pin_ops *ops, void *arg)
{
	struct vaddr_pin_params p = {
		.size = sizeof(p), .task = t, .f_owner = f,
		.flags = VADDR_PIN_WRITE | VADDR_PIN_LONGTERM, .name = "rdma",
		.ops = ops, .ops_arg = arg,
	};
	struct vaddr_pin *vp = NULL;

	assert_int_equal(vaddr_pin_create(&p, &vp), 0);
	return vp;
}

static unsigned int state_of(struct vaddr_pin *vp)
{
	struct pnm_vaddr_pin_info info = { .size = sizeof(info) };

	assert_int_equal(pnm_vaddr_pin_get_info(vp, &info), 0);
	return info.state;
}

/* The extent of @vp at @start (its flags, for the listing). */
static unsigned int extent_flags(struct vaddr_pin *vp, unsigned long start)
{
	struct pnm_vaddr_pin_extent ext = { .size = sizeof(ext) };

	assert_int_equal(pnm_vaddr_pin_extent_next(vp, start, &ext), 0);
	assert_int_equal(ext.start, start);
	return ext.flags;
}

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* A disk file of @pages pages mapped shared in @t; *@fp gets the file. */
static unsigned long map_file(struct task_struct *t, enum pnm_fs_type fs, const char *name,
			      unsigned long pages, struct file **fp)
{
	struct file *f = test_open(fs, name);
	long a;

	assert_int_equal(do_ftruncate(f, (loff_t)(pages * PG)), 0);
	a = pnm_mm_mmap(t->mm, 0, pages * PG, RW, MAP_SHARED, f, 0);
	assert_true(a > 0);
	*fp = f;
	return (unsigned long)a;
}

static void test_refused_without_lease(void **state)
{
	struct task_struct *t = test_task_create("t");
	struct file *f, *d;
	unsigned long a = map_file(t, PNM_FS_DISK, "nolease", 1, &f);
	unsigned long b = map_file(t, PNM_FS_DAX, "noleasedax", 1, &d);
	struct vaddr_pin *vp = owner(t, f, NULL, NULL);
	struct vaddr_pin *vd = owner(t, d, NULL, NULL);

	(void)state;
	test_write_byte(t, a, 1);
	test_write_byte(t, b, 1);
	assert_int_equal(vaddr_pin_user_pages(vp, a, 1, NULL), -EFAULT);
	assert_int_equal(vaddr_pin_user_pages(vd, b, 1, NULL), -EOPNOTSUPP);
	/* The lease's own errors. */
	assert_int_equal(pnm_file_set_layout_lease(NULL, 0), -EBADF);
	assert_int_equal(pnm_file_release_layout_lease(f), -ENOENT);
	assert_int_equal(pnm_file_set_layout_lease(f, 600001), -EINVAL);
	assert_int_equal(pnm_file_set_layout_lease(f, 0), 0);
	assert_int_equal(pnm_file_set_layout_lease(f, 0), -EEXIST);
	assert_int_equal(pnm_file_release_layout_lease(f), 0);
	{
		struct file *s = test_open(PNM_FS_SHMEM, "shm");
		struct file *ro = pnm_filp_open(PNM_FS_DISK, "nolease", O_RDONLY);

		assert_int_equal(pnm_file_set_layout_lease(s, 0), -EINVAL);
		assert_false(IS_ERR(ro));
		assert_int_equal(pnm_file_set_layout_lease(ro, 0), -EBADF);
		fput(s);
		fput(ro);
	}
	assert_int_equal(vaddr_pin_destroy(vp), 0);
	assert_int_equal(vaddr_pin_destroy(vd), 0);
	fput(f);
	fput(d);
	CHECK_ALL();
}

/* Under a lease the pin is allowed and tied; the device's data reaches
 * the disk after unpin (dirty) and fsync. */
static void test_leased_pin_data_reaches_disk(void **state)
{
	struct task_struct *t = test_task_create("t");
	struct file *f;
	unsigned long a = map_file(t, PNM_FS_DISK, "leased", 2, &f);
	struct pnm_layout_lease_info li = { .size = sizeof(li) }, small = { .size = 4 };
	struct vaddr_pin *vp;
	char data[100], back[100];
	int i;

	(void)state;
	test_write_byte(t, a, 'x');
	assert_int_equal(pnm_file_get_layout_lease(f, &li), -ENOENT);
	assert_int_equal(pnm_file_set_layout_lease(f, 0), 0);
	assert_int_equal(pnm_file_get_layout_lease(f, &li), 0);
	assert_int_equal(li.break_ms, 1000);		/* 0: the default */
	assert_int_equal(li.tied, 0);
	assert_false(li.breaking);
	vp = owner(t, f, NULL, NULL);
	assert_int_equal(vaddr_pin_user_pages(vp, a, 2, NULL), 2);
	assert_int_equal(pnm_file_get_layout_lease(f, &li), 0);
	assert_int_equal(li.tied, 1);
	assert_int_equal(li.size, sizeof(li));
	assert_int_equal(extent_flags(vp, a), PNM_VADDR_PIN_EXTENT_LEASED);
	assert_int_equal(pnm_file_release_layout_lease(f), -EBUSY);
	/* The query's own errors. */
	assert_int_equal(pnm_file_get_layout_lease(NULL, &li), -EBADF);
	assert_int_equal(pnm_file_get_layout_lease(f, NULL), -EINVAL);
	assert_int_equal(pnm_file_get_layout_lease(f, &small), -EINVAL);
	CHECK_ALL();
	for (i = 0; i < 100; i++)
		data[i] = (char)(i * 7 + 1);
	assert_int_equal(pnm_vaddr_pin_dma_write(vp, a + PG - 50, data, 100), 0);
	assert_int_equal(vaddr_unpin_user_pages(vp, a, true), 0);
	assert_int_equal(vfs_fsync(f, 0), 0);
	assert_int_equal(test_host_pread(f, back, 100, PG - 50), 100);
	assert_memory_equal(data, back, 100);
	assert_int_equal(pnm_file_get_layout_lease(f, &li), 0);
	assert_int_equal(li.tied, 0);
	assert_int_equal(pnm_file_release_layout_lease(f), 0);
	assert_int_equal(pnm_file_get_layout_lease(f, &li), -ENOENT);
	assert_int_equal(vaddr_pin_destroy(vp), 0);
	fput(f);
	CHECK_ALL();
}

/* wb_policy linux writes pinned pages in place -- but not pages pinned
 * under a lease: those get the stable policy (a bounce copy, the page
 * stays dirty), so the device's later data still reaches the disk. */
static int setup_linux_wb(void **state)
{
	struct pnm_config cfg;

	(void)state;
	pnm_test_config(&cfg);
	cfg.wb_policy = PNM_WB_LINUX;
	pnm_test_init_with(&cfg);
	return 0;
}

static void test_leased_pin_is_stable_under_linux_policy(void **state)
{
	struct task_struct *t = test_task_create("t");
	struct file *f;
	unsigned long a = map_file(t, PNM_FS_DISK, "stable", 1, &f);
	long bounced = global_stat(PNM_WB_BOUNCED), inplace = global_stat(PNM_WB_PINNED_INPLACE);
	struct vaddr_pin *vp;
	char back[8];

	(void)state;
	assert_int_equal(pnm_user_write(t, a, "cpu-1", 5), 0);
	assert_int_equal(pnm_file_set_layout_lease(f, 0), 0);
	vp = owner(t, f, NULL, NULL);
	assert_int_equal(vaddr_pin_user_pages(vp, a, 1, NULL), 1);
	assert_int_equal(vfs_fsync(f, 0), 0);
	assert_int_equal(global_stat(PNM_WB_BOUNCED) - bounced, 1);
	assert_int_equal(global_stat(PNM_WB_PINNED_INPLACE) - inplace, 0);
	assert_true(folio_test_dirty(test_folio(t, a)));
	assert_int_equal(test_host_pread(f, back, 5, 0), 5);
	assert_memory_equal(back, "cpu-1", 5);
	/* The device writes after that writeback; the unpin dirties. */
	assert_int_equal(pnm_vaddr_pin_dma_write(vp, a, "dev-2", 5), 0);
	assert_int_equal(vaddr_unpin_user_pages(vp, a, true), 0);
	assert_int_equal(vfs_fsync(f, 0), 0);
	assert_int_equal(test_host_pread(f, back, 5, 0), 5);
	assert_memory_equal(back, "dev-2", 5);
	assert_int_equal(pnm_file_release_layout_lease(f), 0);
	assert_int_equal(vaddr_pin_destroy(vp), 0);
	fput(f);
	CHECK_ALL();
}

/* The holder answers the break in time: the truncate proceeds at once. */
static void release_now(struct vaddr_pin *vp, void *arg)
{
	unsigned long *start = arg;

	assert_int_equal(vaddr_unpin_user_pages(vp, *start, true), 0);
}

static void test_break_answered_in_time(void **state)
{
	static const struct vaddr_pin_ops ops = { .revoke = release_now };
	struct task_struct *t = test_task_create("t");
	struct file *f;
	unsigned long a = map_file(t, PNM_FS_DISK, "coop", 2, &f);
	long asked = global_stat(PNM_LEASE_REVOKE_ASKED), t0;
	struct pnm_layout_lease_info li = { .size = sizeof(li) };
	struct vaddr_pin *vp;

	(void)state;
	test_write_byte(t, a, 1);
	assert_int_equal(pnm_file_set_layout_lease(f, 5000), 0);
	vp = owner(t, f, &ops, &a);
	assert_int_equal(vaddr_pin_user_pages(vp, a, 2, NULL), 2);
	t0 = now_ms();
	assert_int_equal(do_ftruncate(f, PG), 0);
	assert_true(now_ms() - t0 < 2000);	/* far below the 5 s deadline */
	assert_int_equal(global_stat(PNM_LEASE_REVOKE_ASKED) - asked, 1);
	assert_int_equal(state_of(vp), PNM_VADDR_PIN_REVOKE_ASKED);
	assert_int_equal(pnm_misuse_count(PNM_MISUSE_REVOKED), 0);
	assert_int_equal(pnm_pin_registry_count(-1), 0);
	/* The lease is gone: a new long-term write pin is refused again. */
	assert_int_equal(vaddr_pin_user_pages(vp, a, 1, NULL), -EFAULT);
	assert_int_equal(pnm_file_release_layout_lease(f), -ENOENT);
	assert_int_equal(pnm_file_get_layout_lease(f, &li), -ENOENT);
	assert_int_equal(vaddr_pin_destroy(vp), 0);
	fput(f);
	CHECK_ALL();
}

/* Nobody answers: forced revocation after the deadline. */
static void test_deadline_missed(void **state)
{
	struct task_struct *t = test_task_create("t");
	struct file *f;
	unsigned long a = map_file(t, PNM_FS_DISK, "stuck", 3, &f);
	long revoked = global_stat(PNM_LEASE_REVOKED), refused = global_stat(PNM_DMA_REVOKED);
	struct pnm_vaddr_pin_info info = { .size = sizeof(info) };
	struct vaddr_pin *vp;
	char c = 'z', back[3] = { 0 };
	long t0, took;

	(void)state;
	assert_int_equal(pnm_user_write(t, a, "abc", 3), 0);
	assert_int_equal(pnm_file_set_layout_lease(f, 50), 0);
	vp = owner(t, f, NULL, NULL);
	assert_int_equal(vaddr_pin_user_pages(vp, a, 1, NULL), 1);
	assert_int_equal(extent_flags(vp, a), PNM_VADDR_PIN_EXTENT_LEASED);

	/* A punch of another page breaks the lease too. */
	t0 = now_ms();
	assert_int_equal(vfs_fallocate(f, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
				       2 * PG, PG), 0);
	took = now_ms() - t0;
	assert_true(took >= 45);
	assert_true(took < 50 + 2000);
	assert_int_equal(global_stat(PNM_LEASE_REVOKED) - revoked, 1);
	assert_true(state_of(vp) & PNM_VADDR_PIN_REVOKED);
	assert_int_equal(pnm_misuse_count(PNM_MISUSE_REVOKED), 1);
	assert_int_equal(global_stat(PNM_NR_QUARANTINED),
			 (long)folio_nr_pages(test_folio(t, a)));
	assert_true(test_bit(PG_pnm_quarantined, &test_folio(t, a)->flags));
	/* Untied and quarantined; the punch missed this page. */
	assert_int_equal(extent_flags(vp, a), PNM_VADDR_PIN_EXTENT_QUARANTINED);
	CHECK_ALL();

	/* Cut off: nothing reaches memory; new pins refused. */
	assert_int_equal(pnm_vaddr_pin_dma_write(vp, a, &c, 1), -EIO);
	assert_int_equal(pnm_vaddr_pin_dma_read(vp, a, &c, 1), -EIO);
	assert_int_equal(global_stat(PNM_DMA_REVOKED) - refused, 2);
	assert_int_equal(pnm_user_read(t, a, back, 3), 0);
	assert_memory_equal(back, "abc", 3);
	assert_int_equal(vaddr_pin_user_pages(vp, a + PG, 1, NULL), -EIO);
	assert_int_equal(pnm_vaddr_pin_get_info(vp, &info), 0);
	assert_int_equal(info.dma_refused, 2);

	/* Quarantined: writeback leaves the dirty page alone. */
	memset(back, 0, sizeof(back));
	assert_int_equal(vfs_fsync(f, 0), 0);
	assert_true(global_stat(PNM_WB_SKIP_QUARANTINED) > 0);
	assert_true(test_host_pread(f, back, 3, 0) <= 0 || memcmp(back, "abc", 3) != 0);

	/* The late unpin ends the quarantine; the page is written again. */
	assert_int_equal(vaddr_unpin_user_pages(vp, a, true), 0);
	assert_int_equal(global_stat(PNM_NR_QUARANTINED), 0);
	assert_int_equal(vfs_fsync(f, 0), 0);
	assert_int_equal(test_host_pread(f, back, 3, 0), 3);
	assert_memory_equal(back, "abc", 3);
	assert_int_equal(vaddr_pin_destroy(vp), 0);
	fput(f);
	CHECK_ALL();
}

/* A truncate past the deadline: the pinned page leaves the file, no later
 * device write reaches it, and the host file has the new size. */
static void test_truncate_after_forced_revocation(void **state)
{
	struct task_struct *t = test_task_create("t");
	struct file *f;
	unsigned long a = map_file(t, PNM_FS_DISK, "trunc", 2, &f);
	struct vaddr_pin *vp;
	char c = 'q', host[PG];

	(void)state;
	test_write_byte(t, a + PG, 'k');
	assert_int_equal(pnm_file_set_layout_lease(f, 20), 0);
	vp = owner(t, f, NULL, NULL);
	assert_int_equal(vaddr_pin_user_pages(vp, a + PG, 1, NULL), 1);
	assert_int_equal(do_ftruncate(f, PG), 0);
	assert_true(state_of(vp) & PNM_VADDR_PIN_REVOKED);
	assert_int_equal(pnm_vaddr_pin_dma_write(vp, a + PG, &c, 1), -EIO);
	assert_int_equal(vfs_fsync(f, 0), 0);
	assert_int_equal(test_host_pread(f, host, sizeof(host), PG), 0);	/* EOF */
	assert_int_equal(vaddr_unpin_user_pages(vp, a + PG, true), 0);
	assert_int_equal(vaddr_pin_destroy(vp), 0);
	fput(f);
	CHECK_ALL();
}

/* dax under a lease: the long-term pin is allowed, the storage frame is
 * pinned in place, and an answered break releases it. */
static void test_dax_leased(void **state)
{
	static const struct vaddr_pin_ops ops = { .revoke = release_now };
	struct task_struct *t = test_task_create("t");
	struct file *d;
	unsigned long b = map_file(t, PNM_FS_DAX, "pmem", 1, &d);
	struct vaddr_pin *vp;
	struct page *page;

	(void)state;
	test_write_byte(t, b, 9);
	assert_int_equal(pnm_file_set_layout_lease(d, 1000), 0);
	vp = owner(t, d, &ops, &b);
	assert_int_equal(vaddr_pin_user_pages(vp, b, 1, &page), 1);
	assert_true(pnm_folio_is_dax(page_folio(page)));
	assert_ptr_equal(page, pfn_to_page(test_pfn(t, b)));
	CHECK_ALL();
	assert_int_equal(do_ftruncate(d, 0), 0);
	assert_int_equal(pnm_pin_registry_count(-1), 0);
	assert_false(state_of(vp) & PNM_VADDR_PIN_REVOKED);
	assert_int_equal(vaddr_pin_destroy(vp), 0);
	fput(d);
	CHECK_ALL();
}

/*
 * dax: a truncate past the deadline over a frame the revoked owner still
 * pins proceeds as on disk files.  The storage frame leaves the file
 * (detached, quarantined, not reused) until the late unpin frees it; no
 * device write after the revocation reaches memory, storage or the host
 * file; a page re-created at that index is a new frame with the host
 * file's bytes (zeroes).
 */
static void test_dax_truncate_after_forced_revocation(void **state)
{
	struct task_struct *t = test_task_create("t");
	struct file *d;
	unsigned long b = map_file(t, PNM_FS_DAX, "pmemstuck", 2, &d);
	unsigned char host[2 * PG], want[2 * PG], frame[PG];
	long t0, took;
	struct vaddr_pin *vp;
	struct page *page;
	struct folio *folio;
	unsigned long pfn;

	(void)state;
	memset(want, 0, sizeof(want));
	memcpy(want, "page zero", 9);
	assert_int_equal(pnm_user_write(t, b, "page zero", 9), 0);
	assert_int_equal(pnm_user_write(t, b + PG, "page one", 8), 0);
	assert_int_equal(vfs_fsync(d, 0), 0);
	assert_int_equal(pnm_file_set_layout_lease(d, 20), 0);
	vp = owner(t, d, NULL, NULL);
	assert_int_equal(vaddr_pin_user_pages(vp, b + PG, 1, &page), 1);
	folio = page_folio(page);
	pfn = page_to_pfn(page);
	assert_true(pnm_folio_is_dax(folio));
	assert_int_equal(pnm_vaddr_pin_dma_write(vp, b + PG, "DEVICE", 6), 0);

	t0 = now_ms();
	assert_int_equal(do_ftruncate(d, PG), 0);
	took = now_ms() - t0;
	assert_true(took >= 15);
	assert_true(took < 20 + 2000);
	assert_true(state_of(vp) & PNM_VADDR_PIN_REVOKED);
	assert_int_equal(pnm_misuse_count(PNM_MISUSE_REVOKED), 1);
	assert_int_equal(i_size_read(d->f_inode), PG);
	/* Out of the storage, detached and quarantined, still pinned. */
	assert_int_equal(d->f_mapping->nrpages, 1);
	assert_null(xa_load(&d->f_mapping->i_pages, 1));
	assert_null(READ_ONCE(folio->mapping));
	assert_true(test_bit(PG_pnm_truncated, &folio->flags));
	assert_true(test_bit(PG_pnm_quarantined, &folio->flags));
	assert_true(folio_maybe_dma_pinned(folio));
	assert_int_equal(extent_flags(vp, b + PG),
			 PNM_VADDR_PIN_EXTENT_QUARANTINED | PNM_VADDR_PIN_EXTENT_TRUNCATED);
	CHECK_ALL();

	/* Cut off: the frame keeps what the device wrote before. */
	assert_int_equal(pnm_vaddr_pin_dma_write(vp, b + PG, "stale!", 6), -EIO);
	memcpy(frame, page_address(page), PG);
	assert_memory_equal(frame, "DEVICE", 6);
	/* The host file has the new size and page zero, byte for byte. */
	assert_int_equal(vfs_fsync(d, 0), 0);
	assert_int_equal(test_host_pread(d, host, sizeof(host), 0), PG);
	assert_memory_equal(host, want, PG);

	/* The file grows again: index 1 is a new frame from the host file
	 * (zeroes), never the quarantined one. */
	assert_int_equal(do_ftruncate(d, 2 * PG), 0);
	assert_int_equal(test_read_byte(t, b + PG), 0);
	assert_int_not_equal(test_pfn(t, b + PG), pfn);
	assert_true(test_bit(PG_pnm_quarantined, &folio->flags));
	CHECK_ALL();

	/* The late unpin frees the frame; nothing of the device's reaches
	 * the file. */
	assert_int_equal(vaddr_unpin_user_pages(vp, b + PG, true), 0);
	assert_int_equal(global_stat(PNM_NR_QUARANTINED), 0);
	assert_int_equal(vfs_fsync(d, 0), 0);
	assert_int_equal(test_host_pread(d, host, sizeof(host), 0), 2 * PG);
	assert_memory_equal(host, want, sizeof(want));
	assert_int_equal(vaddr_pin_destroy(vp), 0);
	fput(d);
	CHECK_ALL();
}

/*
 * dax: a hole punch past the deadline, the same; the punched range reads
 * zeroes, through the file and on the host, also after the late unpin.
 * The revoked extent also holds a page the punch missed: that frame stays
 * in the storage, quarantined, and persisting leaves it alone (the host
 * keeps its old bytes) until the late unpin, after which fsync writes it.
 */
static void test_dax_punch_after_forced_revocation(void **state)
{
	struct task_struct *t = test_task_create("t");
	struct file *d;
	unsigned long b = map_file(t, PNM_FS_DAX, "pmempunch", 3, &d);
	unsigned char host[3 * PG], want[3 * PG], buf[16];
	long skipped = global_stat(PNM_WB_SKIP_QUARANTINED);
	loff_t pos = PG;
	struct vaddr_pin *vp;
	struct page *pages[2];

	(void)state;
	memset(want, 0, sizeof(want));
	memcpy(want, "zero", 4);
	memcpy(want + 2 * PG, "two", 3);
	assert_int_equal(pnm_user_write(t, b, "zero", 4), 0);
	assert_int_equal(pnm_user_write(t, b + PG, "one", 3), 0);
	assert_int_equal(pnm_user_write(t, b + 2 * PG, "two", 3), 0);
	assert_int_equal(vfs_fsync(d, 0), 0);
	assert_int_equal(pnm_file_set_layout_lease(d, 10), 0);
	vp = owner(t, d, NULL, NULL);
	assert_int_equal(vaddr_pin_user_pages(vp, b + PG, 2, pages), 2);
	assert_int_equal(vfs_fallocate(d, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, PG, PG),
			 0);
	assert_true(state_of(vp) & PNM_VADDR_PIN_REVOKED);
	assert_true(test_bit(PG_pnm_truncated, &page_folio(pages[0])->flags));
	assert_true(test_bit(PG_pnm_quarantined, &page_folio(pages[0])->flags));
	/* The page the punch missed stays in the storage, quarantined. */
	assert_false(test_bit(PG_pnm_truncated, &page_folio(pages[1])->flags));
	assert_true(test_bit(PG_pnm_quarantined, &page_folio(pages[1])->flags));
	assert_int_equal(test_pfn(t, b + 2 * PG), page_to_pfn(pages[1]));
	assert_int_equal(pnm_vaddr_pin_dma_write(vp, b + PG, "late", 4), -EIO);
	assert_int_equal(kernel_read(d, buf, 3, &pos), 3);
	assert_memory_equal(buf, "\0\0\0", 3);
	assert_int_equal(test_read_byte(t, b + PG), 0);
	assert_int_not_equal(test_pfn(t, b + PG), page_to_pfn(pages[0]));
	CHECK_ALL();

	/* The process writes the quarantined page; persisting skips it. */
	assert_int_equal(pnm_user_write(t, b + 2 * PG, "TWO", 3), 0);
	assert_int_equal(vfs_fsync(d, 0), 0);
	assert_int_equal(global_stat(PNM_WB_SKIP_QUARANTINED) - skipped, 1);
	assert_int_equal(test_host_pread(d, host, sizeof(host), 0), 3 * PG);
	assert_memory_equal(host, want, sizeof(want));

	/* The late unpin: the punched frame is freed, the other one is
	 * persisted again; the punched range stays zero on the host. */
	assert_int_equal(vaddr_unpin_user_pages(vp, b + PG, true), 0);
	assert_int_equal(global_stat(PNM_NR_QUARANTINED), 0);
	assert_int_equal(vfs_fsync(d, 0), 0);
	memcpy(want + 2 * PG, "TWO", 3);
	assert_int_equal(test_host_pread(d, host, sizeof(host), 0), 3 * PG);
	assert_memory_equal(host, want, sizeof(want));
	assert_int_equal(vaddr_pin_destroy(vp), 0);
	fput(d);
	CHECK_ALL();
}

/*
 * A pin in flight when the lease breaks: the pinning thread has counted
 * its provisional tie on the lease, then waits for the mmap_lock (the
 * process holds it for write).  The break finds no extent to ask, waits
 * the deadline out and proceeds: nothing blocks on the stuck pin.  When
 * the pin completes, the lease is gone, so it must not be tied to it (the
 * lease would be freed under it): it is refused as without a lease and
 * pins nothing.
 */
struct inflight {
	struct vaddr_pin *vp;
	unsigned long addr;
	long ret;
};

static void *inflight_pin(void *arg)
{
	struct inflight *p = arg;

	p->ret = vaddr_pin_user_pages(p->vp, p->addr, 1, NULL);
	return NULL;
}

static void test_pin_in_flight_at_break(void **state)
{
	struct task_struct *t = test_task_create("t");
	struct pnm_layout_lease_info li = { .size = sizeof(li) };
	struct test_mm_holder holder;
	struct inflight p;
	pthread_t thread;
	long t0, took, warnings = atomic_long_read(&pnm_nr_warnings);
	struct file *f;
	unsigned long a = map_file(t, PNM_FS_DISK, "inflight", 2, &f);

	(void)state;
	test_write_byte(t, a, 'p');
	test_write_byte(t, a + PG, 'q');
	assert_int_equal(pnm_file_set_layout_lease(f, 20), 0);
	p.vp = owner(t, f, NULL, NULL);
	p.addr = a;
	test_mm_holder_start(&holder, t->mm);
	assert_int_equal(pthread_create(&thread, NULL, inflight_pin, &p), 0);
	/* The pin has tied itself provisionally and waits for the lock. */
	do {
		sched_yield();
		assert_int_equal(pnm_file_get_layout_lease(f, &li), 0);
	} while (!li.tied);

	t0 = now_ms();
	assert_int_equal(vfs_fallocate(f, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, PG, PG), 0);
	took = now_ms() - t0;
	assert_true(took < 20 + 2000);
	assert_int_equal(pnm_file_get_layout_lease(f, &li), -ENOENT);
	test_mm_holder_stop(&holder);
	assert_int_equal(pthread_join(thread, NULL), 0);

	/* Refused as without a lease: nothing pinned, nothing tied. */
	assert_int_equal(p.ret, -EFAULT);
	assert_int_equal(pnm_pin_registry_count(-1), 0);
	assert_false(folio_maybe_dma_pinned(test_folio(t, a)));
	assert_int_equal(pnm_vaddr_pin_extent_next(p.vp, 0, &(struct pnm_vaddr_pin_extent){
							 .size = sizeof(struct pnm_vaddr_pin_extent) }),
			 -ENOENT);
	assert_int_equal(atomic_long_read(&pnm_nr_warnings), warnings);
	assert_int_equal(vaddr_pin_user_pages(p.vp, a, 1, NULL), -EFAULT);
	assert_int_equal(vaddr_pin_destroy(p.vp), 0);
	fput(f);
	CHECK_ALL();
}

/* The callback may unpin and destroy its owner (the breaker holds a
 * reference on it meanwhile). */
static void release_and_destroy(struct vaddr_pin *vp, void *arg)
{
	unsigned long *start = arg;

	assert_int_equal(vaddr_unpin_user_pages(vp, *start, true), 0);
	assert_int_equal(vaddr_pin_destroy(vp), 0);
}

static void test_callback_destroys_owner(void **state)
{
	static const struct vaddr_pin_ops ops = { .revoke = release_and_destroy };
	struct task_struct *t = test_task_create("t");
	struct file *f;
	unsigned long a = map_file(t, PNM_FS_DISK, "destroyed", 2, &f);
	struct vaddr_pin *vp;
	char data[4] = "dev!", back[4];

	(void)state;
	assert_int_equal(pnm_file_set_layout_lease(f, 5000), 0);
	vp = owner(t, f, &ops, &a);
	assert_int_equal(vaddr_pin_user_pages(vp, a, 2, NULL), 2);
	assert_int_equal(pnm_vaddr_pin_dma_write(vp, a + 8, data, 4), 0);
	assert_int_equal(do_ftruncate(f, PG), 0);
	assert_int_equal(pnm_pin_registry_count(-1), 0);
	assert_int_equal(pnm_misuse_count(PNM_MISUSE_REVOKED), 0);
	assert_int_equal(vfs_fsync(f, 0), 0);
	assert_int_equal(test_host_pread(f, back, 4, 8), 4);
	assert_memory_equal(back, data, 4);
	fput(f);
	CHECK_ALL();
}

/*
 * Release in time from another thread: the callback only hands the
 * request to the holder's thread, which unpins while the breaker waits;
 * the breaker wakes when the last tie goes, long before the deadline.
 */
struct relay {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool asked;
	struct vaddr_pin *vp;
	unsigned long start;
};

static void relay_request(struct vaddr_pin *vp, void *arg)
{
	struct relay *r = arg;

	(void)vp;
	pthread_mutex_lock(&r->lock);
	r->asked = true;
	pthread_cond_signal(&r->cond);
	pthread_mutex_unlock(&r->lock);
}

static void *relay_holder(void *arg)
{
	struct relay *r = arg;
	long ret;

	pthread_mutex_lock(&r->lock);
	while (!r->asked)
		pthread_cond_wait(&r->cond, &r->lock);
	pthread_mutex_unlock(&r->lock);
	ret = vaddr_unpin_user_pages(r->vp, r->start, true);
	return (void *)ret;
}

static void test_release_from_another_thread(void **state)
{
	static const struct vaddr_pin_ops ops = { .revoke = relay_request };
	struct task_struct *t = test_task_create("t");
	struct relay r = { .lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER };
	unsigned char data[PG], back[PG + 1];
	struct file *f;
	unsigned long a = map_file(t, PNM_FS_DISK, "relay", 2, &f);
	pthread_t thread;
	void *ret;
	long t0;

	(void)state;
	for (size_t i = 0; i < PG; i++)
		data[i] = (unsigned char)(i * 3 + 1);
	assert_int_equal(pnm_file_set_layout_lease(f, 10000), 0);
	r.vp = owner(t, f, &ops, &r);
	r.start = a;
	assert_int_equal(vaddr_pin_user_pages(r.vp, a, 2, NULL), 2);
	assert_int_equal(pnm_vaddr_pin_dma_write(r.vp, a, data, PG), 0);
	assert_int_equal(pthread_create(&thread, NULL, relay_holder, &r), 0);
	t0 = now_ms();
	assert_int_equal(do_ftruncate(f, PG), 0);
	assert_true(now_ms() - t0 < 5000);	/* woken by the unpin, not the 10 s deadline */
	assert_int_equal(pthread_join(thread, &ret), 0);
	assert_null(ret);
	assert_int_equal(state_of(r.vp), PNM_VADDR_PIN_REVOKE_ASKED);
	assert_int_equal(pnm_misuse_count(PNM_MISUSE_REVOKED), 0);
	assert_int_equal(vfs_fsync(f, 0), 0);
	assert_int_equal(test_host_pread(f, back, PG + 1, 0), PG);
	assert_memory_equal(back, data, PG);
	assert_int_equal(vaddr_pin_destroy(r.vp), 0);
	fput(f);
	CHECK_ALL();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_refused_without_lease, pnm_test_setup,
						pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_leased_pin_data_reaches_disk, pnm_test_setup,
						pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_leased_pin_is_stable_under_linux_policy,
						setup_linux_wb, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_break_answered_in_time, pnm_test_setup,
						pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_deadline_missed, pnm_test_setup,
						pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_truncate_after_forced_revocation,
						pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_dax_leased, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_dax_truncate_after_forced_revocation,
						pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_dax_punch_after_forced_revocation,
						pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_pin_in_flight_at_break, pnm_test_setup,
						pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_callback_destroys_owner, pnm_test_setup,
						pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_release_from_another_thread, pnm_test_setup,
						pnm_test_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
