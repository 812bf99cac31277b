// SPDX-License-Identifier: MIT
/*
 * test_lease_files.c - every transition of a lease-tied long-term pin, on
 * a disk file and on a dax file alike (each test runs once per
 * filesystem), with the backing host file compared byte for byte with
 * what it must hold:
 *
 *   lease taken, pin (tied), device writes, unpin and fsync: the host
 *     file holds the device's data; nothing after the unpin reaches it;
 *   break, release in time (truncate into a page, hole punch): the
 *     device's data survives where the file does, the rest is gone, the
 *     file grown again reads zeroes;
 *   break, deadline missed, forced revocation (truncate, hole punch): the
 *     operation returns within the deadline plus a margin, device
 *     transfers fail, the pages still in the file are quarantined (fsync
 *     leaves them alone), the truncated ones are detached and never come
 *     back; the late unpin ends the quarantine and fsync writes what the
 *     CPU wrote, never a stale device write;
 *   exit with tied pins: the device keeps writing, a later break is
 *     answered by the owner, the host file holds the data;
 *   budget exhausted: -ENOMEM, nothing pinned, nothing tied to the lease;
 *   the same pages pinned by two owners (and a raw pin): charged once;
 *     one owner releases in time, the other misses the deadline, and the
 *     data reaches the host file only after the late unpin.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "test_util.h"
#include "pinmm_test_internal.h"

#define PG	PAGE_SIZE
#define RW	(PROT_READ | PROT_WRITE)
#define NPG	3		/* pages of each test's file */

static enum pnm_fs_type fs_disk = PNM_FS_DISK, fs_dax = PNM_FS_DAX;

/* What a revoke callback of these tests does: release the extent at
 * @start (dirty) or ignore the break; counts its calls. */
struct holder {
	unsigned long start;
	bool release;
	int calls;
};

static void holder_revoke(struct vaddr_pin *vp, void *arg)
{
	struct holder *h = arg;

	h->calls++;
	if (h->release)
		assert_int_equal(vaddr_unpin_user_pages(vp, h->start, true), 0);
}

static const struct vaddr_pin_ops holder_ops = { .revoke = holder_revoke };

static struct vaddr_pin *owner(struct task_struct *t, struct file *f, struct holder *h)
{
	struct vaddr_pin_params p = {
		.size = sizeof(p), .task = t, .f_owner = f,
		.flags = VADDR_PIN_WRITE | VADDR_PIN_LONGTERM, .name = "mr",
		.ops = &holder_ops, .ops_arg = h,
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

static unsigned long tied(struct file *f)
{
	struct pnm_layout_lease_info li = { .size = sizeof(li) };

	assert_int_equal(pnm_file_get_layout_lease(f, &li), 0);
	return li.tied;
}

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* Bytes no two calls with different @seed produce alike. */
static void fill(unsigned char *buf, size_t n, unsigned int seed)
{
	for (size_t i = 0; i < n; i++)
		buf[i] = (unsigned char)(seed * 31 + i * 7 + (i >> 8) + 1);
}

/*
 * A file of @fs with NPG pages, written by the process through its shared
 * mapping with "old" bytes and fsynced; *@ap gets the mapping, @want the
 * host file's image.
 */
static struct file *setup_file(struct task_struct *t, enum pnm_fs_type fs, const char *name,
			       unsigned long *ap, unsigned char *want)
{
	struct file *f = test_open(fs, name);
	long a;

	assert_int_equal(do_ftruncate(f, NPG * PG), 0);
	a = pnm_mm_mmap(t->mm, 0, NPG * PG, RW, MAP_SHARED, f, 0);
	assert_true(a > 0);
	*ap = (unsigned long)a;
	fill(want, NPG * PG, 1);
	assert_int_equal(pnm_user_write(t, *ap, want, NPG * PG), 0);
	assert_int_equal(vfs_fsync(f, 0), 0);
	return f;
}

/* The host file behind @f is exactly @size bytes, equal to @want. */
static void host_is(struct file *f, const unsigned char *want, size_t size)
{
	unsigned char *got = malloc(size + 1);

	assert_non_null(got);
	assert_int_equal(test_host_pread(f, got, size + 1, 0), (ssize_t)size);
	assert_memory_equal(got, want, size);
	free(got);
}

/* read(2) of [off, off + n) equals @want. */
static void file_reads(struct file *f, loff_t off, const unsigned char *want, size_t n)
{
	unsigned char *got = malloc(n);

	assert_non_null(got);
	assert_int_equal(kernel_read(f, got, n, &off), (ssize_t)n);
	assert_memory_equal(got, want, n);
	free(got);
}

/* Lease taken, pin (tied), device writes, unpin, fsync. */
static void test_pin_unpin_fsync(void **state)
{
	enum pnm_fs_type fs = *(enum pnm_fs_type *)*state;
	struct task_struct *t = test_task_create("t");
	unsigned char want[NPG * PG], dev[2 * PG];
	struct holder h = { 0 };
	struct vaddr_pin *vp;
	unsigned long a;
	struct file *f = setup_file(t, fs, "pinned", &a, want);

	assert_int_equal(pnm_file_set_layout_lease(f, 0), 0);
	vp = owner(t, f, &h);
	assert_int_equal(vaddr_pin_user_pages(vp, a, NPG, NULL), NPG);
	assert_int_equal(tied(f), 1);
	assert_int_equal(pnm_file_release_layout_lease(f), -EBUSY);
	CHECK_ALL();

	/* The device writes across the page boundaries. */
	fill(dev, sizeof(dev), 2);
	assert_int_equal(pnm_vaddr_pin_dma_write(vp, a + PG / 2, dev, sizeof(dev)), 0);
	memcpy(want + PG / 2, dev, sizeof(dev));
	assert_int_equal(vaddr_unpin_user_pages(vp, a, true), 0);
	assert_int_equal(tied(f), 0);
	assert_int_equal(vfs_fsync(f, 0), 0);
	host_is(f, want, sizeof(want));
	file_reads(f, 0, want, sizeof(want));

	/* Released: the device reaches nothing through the owner. */
	assert_int_equal(pnm_vaddr_pin_dma_write(vp, a, "late", 4), -EFAULT);
	assert_int_equal(vfs_fsync(f, 0), 0);
	host_is(f, want, sizeof(want));
	assert_int_equal(pnm_file_release_layout_lease(f), 0);
	assert_int_equal(h.calls, 0);
	assert_int_equal(pnm_misuse_count(PNM_MISUSE_REVOKED), 0);
	assert_int_equal(vaddr_pin_destroy(vp), 0);
	fput(f);
	CHECK_ALL();
}

/*
 * Break, release in time: a truncate into the middle of page 1 and a
 * hole punch of page 1.  The callback releases (dirty) at once; the
 * device's data survives where the file does.
 */
static void release_in_time(enum pnm_fs_type fs, bool punch)
{
	struct task_struct *t = test_task_create("t");
	unsigned char want[NPG * PG], dev[NPG * PG];
	long asked = global_stat(PNM_LEASE_REVOKE_ASKED), t0;
	struct holder h = { .release = true };
	const size_t cut = PG + PG / 2;
	struct vaddr_pin *vp;
	unsigned long a;
	struct file *f = setup_file(t, fs, punch ? "inpunch" : "intrunc", &a, want);

	assert_int_equal(pnm_file_set_layout_lease(f, 5000), 0);
	vp = owner(t, f, &h);
	h.start = a;
	assert_int_equal(vaddr_pin_user_pages(vp, a, NPG, NULL), NPG);
	fill(dev, sizeof(dev), 3);
	assert_int_equal(pnm_vaddr_pin_dma_write(vp, a, dev, sizeof(dev)), 0);
	memcpy(want, dev, sizeof(want));

	t0 = now_ms();
	if (punch)
		assert_int_equal(vfs_fallocate(f, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, PG,
					       PG), 0);
	else
		assert_int_equal(do_ftruncate(f, (loff_t)cut), 0);
	assert_true(now_ms() - t0 < 2000);	/* far below the 5 s deadline */
	assert_int_equal(h.calls, 1);
	assert_int_equal(global_stat(PNM_LEASE_REVOKE_ASKED) - asked, 1);
	assert_int_equal(state_of(vp), PNM_VADDR_PIN_REVOKE_ASKED);
	assert_int_equal(pnm_misuse_count(PNM_MISUSE_REVOKED), 0);
	assert_int_equal(pnm_pin_registry_count(-1), 0);
	assert_int_equal(pnm_file_get_layout_lease(f, &(struct pnm_layout_lease_info){
						   .size = sizeof(struct pnm_layout_lease_info) }),
			 -ENOENT);
	CHECK_ALL();

	assert_int_equal(vfs_fsync(f, 0), 0);
	if (punch) {
		memset(want + PG, 0, PG);
		host_is(f, want, NPG * PG);
		file_reads(f, 0, want, NPG * PG);
	} else {
		host_is(f, want, cut);
		/* Grown again: the cut part is a hole. */
		assert_int_equal(do_ftruncate(f, NPG * PG), 0);
		memset(want + cut, 0, NPG * PG - cut);
		file_reads(f, 0, want, NPG * PG);
		assert_int_equal(vfs_fsync(f, 0), 0);
		host_is(f, want, NPG * PG);
	}
	/* Nothing reaches the file through the released owner, nor is a
	 * long-term write pin allowed without the lease. */
	assert_int_equal(pnm_vaddr_pin_dma_write(vp, a, "stale", 5), -EFAULT);
	assert_int_equal(vaddr_pin_user_pages(vp, a, 1, NULL), fs == PNM_FS_DAX ? -EOPNOTSUPP :
			 -EFAULT);
	assert_int_equal(vfs_fsync(f, 0), 0);
	host_is(f, want, NPG * PG);
	assert_int_equal(vaddr_pin_destroy(vp), 0);
	fput(f);
	CHECK_ALL();
}

static void test_release_in_time_truncate(void **state)
{
	release_in_time(*(enum pnm_fs_type *)*state, false);
}

static void test_release_in_time_punch(void **state)
{
	release_in_time(*(enum pnm_fs_type *)*state, true);
}

/*
 * Break, deadline missed, forced revocation, quarantine, late unpin: a
 * truncate to one page, or a hole punch of page 1.  The device's data
 * reached the host file while the pin was honoured (an fsync before the
 * break); after it no device write reaches anything, the pages still in
 * the file are quarantined (fsync leaves the CPU's later writes alone),
 * the pages out of it are detached and never come back, and the late
 * unpin lets fsync write the CPU's data -- never a stale device write.
 */
static void deadline_missed(enum pnm_fs_type fs, bool punch)
{
	struct task_struct *t = test_task_create("t");
	unsigned char want[NPG * PG], dev[NPG * PG];
	long revoked = global_stat(PNM_LEASE_REVOKED), refused = global_stat(PNM_DMA_REVOKED);
	long skipped, t0, took;
	struct holder h = { .release = false };
	struct page *pages[NPG];
	struct vaddr_pin *vp;
	unsigned long a, pfn1, quarantined = 0;
	struct file *f = setup_file(t, fs, punch ? "latepunch" : "latetrunc", &a, want);
	bool out[NPG];
	int i;

	assert_int_equal(pnm_file_set_layout_lease(f, 20), 0);
	vp = owner(t, f, &h);
	assert_int_equal(vaddr_pin_user_pages(vp, a, NPG, pages), NPG);
	pfn1 = page_to_pfn(pages[1]);
	/* Which pages leave the file: those whose whole folio lies in the cut
	 * (a disk folio may be large; one straddling the cut stays cached,
	 * zeroed in the cut).  Each folio is quarantined once. */
	for (i = 0; i < NPG; i++) {
		struct folio *folio = page_folio(pages[i]);
		pgoff_t first = folio->index, last = first + folio_nr_pages(folio) - 1;

		out[i] = first >= 1 && (!punch || last <= 1);
		if (!i || folio != page_folio(pages[i - 1]))
			quarantined += folio_nr_pages(folio);
	}
	fill(dev, sizeof(dev), 4);
	assert_int_equal(pnm_vaddr_pin_dma_write(vp, a, dev, sizeof(dev)), 0);
	memcpy(want, dev, sizeof(want));
	/* While the pin is honoured the device's data is the file's. */
	assert_int_equal(vfs_fsync(f, 0), 0);
	host_is(f, want, sizeof(want));

	t0 = now_ms();
	if (punch)
		assert_int_equal(vfs_fallocate(f, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, PG,
					       PG), 0);
	else
		assert_int_equal(do_ftruncate(f, PG), 0);
	took = now_ms() - t0;
	assert_true(took >= 15);
	assert_true(took < 20 + 2000);
	assert_int_equal(h.calls, 1);
	assert_int_equal(global_stat(PNM_LEASE_REVOKED) - revoked, 1);
	assert_true(state_of(vp) & PNM_VADDR_PIN_REVOKED);
	assert_int_equal(pnm_misuse_count(PNM_MISUSE_REVOKED), 1);
	for (i = 0; i < NPG; i++) {
		struct folio *folio = page_folio(pages[i]);

		assert_true(test_bit(PG_pnm_quarantined, &folio->flags));
		assert_true(folio_maybe_dma_pinned(folio));
		assert_int_equal(test_bit(PG_pnm_truncated, &folio->flags), out[i]);
		/* dax frames are single pages: exactly the cut leaves. */
		if (fs == PNM_FS_DAX)
			assert_int_equal(out[i], punch ? i == 1 : i >= 1);
	}
	assert_false(out[0]);
	assert_int_equal(global_stat(PNM_NR_QUARANTINED), quarantined);
	CHECK_ALL();

	/* Cut off: nothing reaches the frames, the file or the host file.  A
	 * detached page keeps what the device wrote before; one still in the
	 * file was zeroed in the cut. */
	assert_int_equal(pnm_vaddr_pin_dma_write(vp, a, "stale", 5), -EIO);
	assert_int_equal(pnm_vaddr_pin_dma_write(vp, a + PG, "stale", 5), -EIO);
	assert_int_equal(global_stat(PNM_DMA_REVOKED) - refused, 2);
	assert_memory_equal(page_address(pages[0]), dev, PG);
	if (out[1]) {
		assert_memory_equal(page_address(pages[1]), dev + PG, PG);
	} else {
		unsigned char zero[PG] = { 0 };

		assert_memory_equal(page_address(pages[1]), zero, PG);
	}

	/* The process writes a page still in the file; fsync leaves the
	 * quarantined pages alone. */
	assert_int_equal(pnm_user_write(t, a + 10, "cpu!", 4), 0);
	skipped = global_stat(PNM_WB_SKIP_QUARANTINED);
	assert_int_equal(vfs_fsync(f, 0), 0);
	assert_true(global_stat(PNM_WB_SKIP_QUARANTINED) > skipped);
	if (punch) {
		memset(want + PG, 0, PG);
		host_is(f, want, NPG * PG);
	} else {
		host_is(f, want, PG);
	}
	memcpy(want + 10, "cpu!", 4);

	/* The truncated part never comes back: grown again, it is a hole, in
	 * new frames (or, for a page of a folio that stayed, zeroed). */
	if (!punch) {
		assert_int_equal(do_ftruncate(f, NPG * PG), 0);
		memset(want + PG, 0, (NPG - 1) * PG);
	}
	assert_int_equal(test_read_byte(t, a + PG), 0);
	if (out[1])
		assert_int_not_equal(test_pfn(t, a + PG), pfn1);
	file_reads(f, 0, want, NPG * PG);
	CHECK_ALL();

	/* The late unpin ends the quarantine (without dirtying: the device
	 * was cut off); fsync writes what the CPU wrote. */
	assert_int_equal(vaddr_unpin_user_pages(vp, a, true), 0);
	assert_int_equal(global_stat(PNM_NR_QUARANTINED), 0);
	assert_int_equal(pnm_pin_registry_count(-1), 0);
	assert_int_equal(vfs_fsync(f, 0), 0);
	host_is(f, want, NPG * PG);
	file_reads(f, 0, want, NPG * PG);
	assert_int_equal(vaddr_pin_destroy(vp), 0);
	fput(f);
	CHECK_ALL();
}

static void test_deadline_missed_truncate(void **state)
{
	deadline_missed(*(enum pnm_fs_type *)*state, false);
}

static void test_deadline_missed_punch(void **state)
{
	deadline_missed(*(enum pnm_fs_type *)*state, true);
}

/*
 * Exit with tied pins: the pins outlive the process (reported), the
 * lease stays tied, the device keeps writing; a truncate after the exit
 * breaks the lease and the owner releases in time; the host file holds
 * the device's data up to the new size.
 */
static void test_exit_with_tied_pins(void **state)
{
	enum pnm_fs_type fs = *(enum pnm_fs_type *)*state;
	struct task_struct *t = test_task_create("t");
	unsigned char want[NPG * PG], dev[NPG * PG];
	struct holder h = { .release = true };
	struct vaddr_pin *vp;
	unsigned long a;
	struct file *f = setup_file(t, fs, "exited", &a, want);

	assert_int_equal(pnm_file_set_layout_lease(f, 5000), 0);
	vp = owner(t, f, &h);
	h.start = a;
	assert_int_equal(vaddr_pin_user_pages(vp, a, NPG, NULL), NPG);
	pnm_task_exit(t);
	assert_int_equal(pnm_misuse_count(PNM_MISUSE_PIN_AT_EXIT), 1);
	assert_int_equal(tied(f), 1);
	assert_int_equal(pnm_pin_registry_count(-1), NPG);
	CHECK_ALL();

	fill(dev, sizeof(dev), 5);
	assert_int_equal(pnm_vaddr_pin_dma_write(vp, a, dev, sizeof(dev)), 0);
	memcpy(want, dev, sizeof(want));
	assert_int_equal(do_ftruncate(f, 2 * PG), 0);
	assert_int_equal(h.calls, 1);
	assert_false(state_of(vp) & PNM_VADDR_PIN_REVOKED);
	assert_int_equal(pnm_pin_registry_count(-1), 0);
	assert_int_equal(vfs_fsync(f, 0), 0);
	host_is(f, want, 2 * PG);
	file_reads(f, 0, want, 2 * PG);
	assert_int_equal(vaddr_pin_destroy(vp), 0);
	fput(f);
	CHECK_ALL();
}

/*
 * Budget exhausted: a leased owner's pin past the process's budget fails
 * with -ENOMEM, pins nothing and ties nothing to the lease (a break then
 * asks nobody); within the budget the same owner pins and is tied.
 */
static void test_budget_exhausted(void **state)
{
	enum pnm_fs_type fs = *(enum pnm_fs_type *)*state;
	struct task_struct *t = test_task_create("t");
	unsigned char want[NPG * PG];
	struct pnm_pin_budget_info b = { .size = sizeof(b) };
	long asked = global_stat(PNM_LEASE_REVOKE_ASKED);
	struct holder h = { .release = true };
	struct vaddr_pin *vp;
	unsigned long a;
	struct file *f = setup_file(t, fs, "budget", &a, want);
	int i;

	assert_int_equal(pnm_pin_budget_set_task_limit(t, NPG - 1), 0);
	assert_int_equal(pnm_file_set_layout_lease(f, 5000), 0);
	vp = owner(t, f, &h);
	h.start = a;
	assert_int_equal(vaddr_pin_user_pages(vp, a, NPG, NULL), -ENOMEM);
	assert_int_equal(pnm_pin_registry_count(-1), 0);
	for (i = 0; i < NPG; i++)
		assert_false(folio_maybe_dma_pinned(test_folio(t, a + i * PG)));
	assert_int_equal(tied(f), 0);
	assert_int_equal(pnm_pin_budget_get_task(t, &b), 0);
	assert_int_equal(b.charged, 0);
	assert_int_equal(b.refused, 1);
	assert_int_equal(pnm_vaddr_pin_dma_write(vp, a, "x", 1), -EFAULT);
	assert_int_equal(pnm_file_release_layout_lease(f), 0);	/* nothing tied */
	CHECK_ALL();

	/* Within the budget: pinned and tied. */
	assert_int_equal(pnm_file_set_layout_lease(f, 5000), 0);
	assert_int_equal(vaddr_pin_user_pages(vp, a, NPG - 1, NULL), NPG - 1);
	assert_int_equal(tied(f), 1);
	assert_int_equal(pnm_pin_budget_get_task(t, &b), 0);
	assert_int_equal(b.charged, NPG - 1);
	assert_int_equal(pnm_vaddr_pin_dma_write(vp, a, "DEV", 3), 0);
	memcpy(want, "DEV", 3);
	assert_int_equal(do_ftruncate(f, PG), 0);
	assert_int_equal(global_stat(PNM_LEASE_REVOKE_ASKED) - asked, 1);
	assert_int_equal(pnm_pin_budget_get_task(t, &b), 0);
	assert_int_equal(b.charged, 0);
	assert_int_equal(vfs_fsync(f, 0), 0);
	host_is(f, want, PG);
	assert_int_equal(vaddr_pin_destroy(vp), 0);
	fput(f);
	CHECK_ALL();
}

/*
 * The same pages pinned by two leased owners of one process (and by a
 * raw pin beside them): charged once.  A hole punch elsewhere breaks the
 * lease; one owner releases in time, the other misses the deadline and
 * is revoked: the pages stay quarantined, so the device's data written
 * through the first owner reaches the host file only after the late
 * unpin.
 */
static void test_two_owners_one_late(void **state)
{
	enum pnm_fs_type fs = *(enum pnm_fs_type *)*state;
	struct task_struct *t = test_task_create("t");
	unsigned char want[NPG * PG], dev[2 * PG], got[2 * PG];
	struct pnm_pin_budget_info b = { .size = sizeof(b) };
	struct holder ha = { .release = true }, hb = { .release = false };
	struct vaddr_pin *va, *vb;
	struct page *raw[2];
	unsigned long a;
	struct file *f = setup_file(t, fs, "twoowners", &a, want);

	assert_int_equal(pnm_pin_budget_set_task_limit(t, 2), 0);
	assert_int_equal(pnm_file_set_layout_lease(f, 20), 0);
	va = owner(t, f, &ha);
	vb = owner(t, f, &hb);
	ha.start = hb.start = a;
	assert_int_equal(vaddr_pin_user_pages(va, a, 2, NULL), 2);
	assert_int_equal(vaddr_pin_user_pages(vb, a, 2, NULL), 2);
	assert_int_equal(tied(f), 2);
	/* A raw pin of the same pages (long-term read-only where Linux
	 * allows it: disk; short-term on dax) is never charged. */
	pnm_task_enter(t);
	assert_int_equal(pin_user_pages_fast(a, 2, fs == PNM_FS_DAX ? 0 : FOLL_LONGTERM, raw), 2);
	pnm_task_leave(NULL);
	assert_int_equal(pnm_pin_budget_get_task(t, &b), 0);
	assert_int_equal(b.charged, 2);
	assert_int_equal(b.remaining, 0);
	assert_int_equal(global_stat(PNM_PIN_BUDGET_TASK_PAGES), 2);
	unpin_user_pages(raw, 2);
	CHECK_ALL();

	/* Each owner sees the other's device writes: the same frames. */
	fill(dev, sizeof(dev), 6);
	assert_int_equal(pnm_vaddr_pin_dma_write(va, a, dev, sizeof(dev)), 0);
	assert_int_equal(pnm_vaddr_pin_dma_read(vb, a, got, sizeof(got)), 0);
	assert_memory_equal(got, dev, sizeof(dev));

	assert_int_equal(vfs_fallocate(f, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 2 * PG, PG),
			 0);
	assert_int_equal(ha.calls, 1);
	assert_int_equal(hb.calls, 1);
	assert_int_equal(state_of(va), PNM_VADDR_PIN_REVOKE_ASKED);
	assert_true(state_of(vb) & PNM_VADDR_PIN_REVOKED);
	assert_int_equal(pnm_misuse_count(PNM_MISUSE_REVOKED), 1);
	assert_int_equal(pnm_pin_budget_get_task(t, &b), 0);
	assert_int_equal(b.charged, 2);			/* vb still holds them */
	CHECK_ALL();

	/* Quarantined: the host file keeps the old bytes. */
	memset(want + 2 * PG, 0, PG);
	assert_int_equal(vfs_fsync(f, 0), 0);
	host_is(f, want, NPG * PG);
	/* The late unpin: the first owner's device data reaches the disk. */
	assert_int_equal(vaddr_unpin_user_pages(vb, a, true), 0);
	assert_int_equal(pnm_pin_budget_get_task(t, &b), 0);
	assert_int_equal(b.charged, 0);
	memcpy(want, dev, sizeof(dev));
	assert_int_equal(vfs_fsync(f, 0), 0);
	host_is(f, want, NPG * PG);
	file_reads(f, 0, want, NPG * PG);
	assert_int_equal(vaddr_pin_destroy(va), 0);
	assert_int_equal(vaddr_pin_destroy(vb), 0);
	fput(f);
	CHECK_ALL();
}

#define BOTH(fn)								\
	cmocka_unit_test_prestate_setup_teardown(fn, pnm_test_setup, pnm_test_teardown,	\
						 &fs_disk),				\
	cmocka_unit_test_prestate_setup_teardown(fn, pnm_test_setup, pnm_test_teardown,	\
						 &fs_dax)

int main(void)
{
	const struct CMUnitTest tests[] = {
		BOTH(test_pin_unpin_fsync),
		BOTH(test_release_in_time_truncate),
		BOTH(test_release_in_time_punch),
		BOTH(test_deadline_missed_truncate),
		BOTH(test_deadline_missed_punch),
		BOTH(test_exit_with_tied_pins),
		BOTH(test_budget_exhausted),
		BOTH(test_two_owners_one_late),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
