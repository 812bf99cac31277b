/* SPDX-License-Identifier: MIT */
/*
 * pinmm/swap.h - anonymous swap: a swap device backed by a host file
 * (swapon/swapoff), what it holds, what a process has swapped out at an
 * address, and I/O fault injection on it.
 *
 * With a device on, reclaim (pnm_reclaim_pages()) and MADV_PAGEOUT
 * (pnm_madvise()) swap out anonymous pages: each page-table entry that
 * mapped the page becomes a swap entry naming the page's slot on the
 * device, the data is written to the host file, the frame is freed.  The
 * next access (a CPU access, GUP) faults the page back in.  As in Linux,
 * a page that may be pinned (folio_maybe_dma_pinned) is never swapped
 * out, and an anon-exclusive page comes back exclusive (a fork in between
 * makes it shared).  MADV_FREE pages are dropped by reclaim instead of
 * being swapped, unless written again.  Large folios are split into
 * 4 KiB pages before they are swapped out.  docs/api.md has the details.
 *
 * One device at a time.  Thread rules: every call may be made from any
 * thread; pnm_swapon() and pnm_swapoff() take address-space locks
 * (swapoff faults every swapped page back in) and must not be called by
 * a thread that holds an mmap_lock.
 */
#ifndef PINMM_SWAP_H
#define PINMM_SWAP_H

#include <pinmm/types.h>
#include <pinmm/file.h>

PNM_BEGIN_DECLS

/* The largest device: 2^24 slots of 4 KiB (64 GiB). */
#define PNM_SWAP_MAX_SLOTS	(1UL << 24)

/*
 * swapon: set up a swap device of @nr_pages pages (4 KiB each; the first
 * is the header, as in Linux, so @nr_pages - 1 slots are usable) backed
 * by the host file @path, created if missing and sized to the device
 * (sparse); NULL puts a file of its own in the data directory
 * (pnm_fs_data_dir()), removed again by pnm_swapoff().  A file the caller
 * named is left in place.  0, -EINVAL (@nr_pages below 2 or above
 * PNM_SWAP_MAX_SLOTS, model not initialised), -EBUSY (a device is already
 * on), -ENOMEM, or the host's error opening or sizing the file.
 */
PNM_API int pnm_swapon(const char *path, unsigned long nr_pages);
/*
 * swapoff: bring every swapped-out page back into memory (into the
 * processes that had it swapped out, as a read fault would) and take the
 * device down.  0; -EINVAL (no device); -ENOMEM (no frame for a page; the
 * device stays on with what is left on it); -EIO or the host's error (a
 * page could not be read back: the device stays on, nothing is lost).
 */
PNM_API int pnm_swapoff(void);

struct pnm_swap_info {
	size_t size;			/* set by the caller: sizeof(*info) */
	bool active;			/* a device is on */
	unsigned long total;		/* usable slots (pages) */
	unsigned long free;		/* slots free: total - used */
	unsigned long used;		/* slots holding a page or reserved
					 * for one being written */
	unsigned long cached;		/* pages in the swap cache: in memory
					 * and (if clean) on the device */
	unsigned long read_errors;	/* device reads that failed */
	unsigned long write_errors;	/* device writes that failed */
	int last_error;			/* the last I/O error (0 if none) */
};
/*
 * The swap device's state (all zero but size when none is on).  0, or
 * -EINVAL (bad size, model not initialised).  Takes the device's lock.
 */
PNM_API int pnm_get_swap_info(struct pnm_swap_info *info);

struct pnm_swap_entry_info {
	size_t size;			/* set by the caller: sizeof(*info) */
	unsigned long slot;		/* the slot on the device */
	int count;			/* page-table entries naming the slot,
					 * in every process */
	bool exclusive;			/* the entry remembers the page was
					 * anon-exclusive when swapped out */
	bool cached;			/* the swap cache holds the slot's page */
};
/*
 * What @task has swapped out at user address @addr, without faulting: the
 * swap entry of the page there.  0; -ENOENT (no swap entry there: the
 * page is present, or never touched, or unmapped); -ESRCH (@task has
 * exited); -EINVAL.  Takes the task's mmap_lock for read and the entry's
 * lock.
 */
PNM_API int pnm_task_swap_entry(struct task_struct *task, unsigned long addr,
				struct pnm_swap_entry_info *info);

/*
 * Fault injection on the device's host file: the next @count reads
 * (PNM_IO_READ, pinmm/file.h), writes (PNM_IO_WRITE) or both fail with
 * @err: -EIO, or -ENOSPC (writes only).  @count 0 clears.  A failed write
 * leaves the page in memory (dirty, in the swap cache) and is reported by
 * the MADV_PAGEOUT that tried it; a failed read fails the fault (SIGBUS:
 * -EFAULT from a CPU access or GUP) and leaves the swap entry in place.
 * 0, -EINVAL (no device, bad @op or @err).
 */
PNM_API int pnm_swap_inject_error(unsigned int op, int err, unsigned int count);
/*
 * The host path of the device's file, written to @buf (at most @size
 * bytes): slot N is at byte N * 4096.  0, -EINVAL (no device, NULL @buf),
 * -ENAMETOOLONG.
 */
PNM_API int pnm_swap_backing_path(char *buf, size_t size);

PNM_END_DECLS

#endif /* PINMM_SWAP_H */
