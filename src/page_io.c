// SPDX-License-Identifier: MIT
/*
 * page_io.c - the swap device's I/O: writing a swap cache folio to its
 * slot and reading a slot into a new folio (Linux's mm/page_io.c), plus
 * the fault injection and the error accounting of the device's host file.
 *
 * The model's device is synchronous, like Linux's SWP_SYNCHRONOUS_IO
 * devices (zram, pmem): a write or read is a pwrite()/pread() of 4 KiB at
 * slot * 4096 of the host file, done by the thread that asked, with the
 * folio locked; PG_writeback is set around a write as Linux sets it
 * around the bio.  No readahead (Linux's vm.page-cluster = 0): a swap-in
 * reads exactly the slot it needs.  The public calls about the host file
 * itself (pnm_swap_inject_error, pnm_swap_backing_path) are here too.
 *
 * Errors.  A failed write (the host's error or an injected one) leaves
 * the folio dirty in the swap cache: it keeps the only good copy, the
 * entries that name its slot find it there, and the next reclaim writes
 * it again.  A failed read leaves the slot and its entries as they were
 * (swapin_folio() drops the new folio): the fault fails with SIGBUS, as
 * Linux's do_swap_page() does, and a later access reads again.  Both are
 * counted (pnm_swap_io_error, the device's read_errors/write_errors) and
 * the last error is kept for pnm_get_swap_info().
 *
 * Locking: the caller holds the folio lock; the device's fields used here
 * (fd) are set before it is published and only torn down after every
 * slot is free, which a cached folio prevents (its slot has
 * SWAP_HAS_CACHE).  The injection and error fields are under si->lock.
 */
#include <string.h>
#include <unistd.h>

#include "internal.h"

/*
 * Consume one injected fault for a read (@write false) or write of the
 * device, if any is pending: its error, else 0.  Takes si->lock.
 */
static int swap_io_inject(struct swap_info_struct *si, bool write)
{
	int err = 0;

	spin_lock(&si->lock);
	if (write && si->inject_write_count) {
		si->inject_write_count--;
		err = si->inject_write_err;
	} else if (!write && si->inject_read_count) {
		si->inject_read_count--;
		err = si->inject_read_err;
	}
	spin_unlock(&si->lock);
	return err;
}

/*
 * pnm_swap_inject_error - fault injection on the device (pinmm/swap.h):
 * the next @count reads or writes (or both) fail with @err; consumed one
 * by one by swap_io_inject().  Takes si->lock.
 */
int pnm_swap_inject_error(unsigned int op, int err, unsigned int count)
{
	struct swap_info_struct *si = swp_swap_info(swp_entry(0, 1));
	int ret = 0;

	if (!pnm_initialised || !op || (op & ~(PNM_IO_READ | PNM_IO_WRITE)))
		return -EINVAL;
	if (err != -EIO && err != -ENOSPC)
		return -EINVAL;
	if (err == -ENOSPC && (op & PNM_IO_READ))
		return -EINVAL;
	if (!si)
		return -EINVAL;
	spin_lock(&si->lock);
	if (!(si->flags & SWP_USED)) {	/* swapoff finished meanwhile */
		ret = -EINVAL;
	} else {
		if (op & PNM_IO_READ) {
			si->inject_read_err = err;
			si->inject_read_count = count;
		}
		if (op & PNM_IO_WRITE) {
			si->inject_write_err = err;
			si->inject_write_count = count;
		}
	}
	spin_unlock(&si->lock);
	return ret;
}

/* Record an I/O error of the device.  Takes si->lock. */
static void swap_io_error(struct swap_info_struct *si, bool write, int err)
{
	spin_lock(&si->lock);
	if (write)
		si->write_errors++;
	else
		si->read_errors++;
	si->last_error = err;
	spin_unlock(&si->lock);
	count_vm_event(PNM_SWAP_IO_ERROR);
	pnm_log(PNM_LOG_WARN, "pinmm: %s error on the swap device: %s",
		write ? "write" : "read", pnm_strerror(err));
}

/* pwrite()/pread() the whole page at @pos of the host file: 0 or -errno
 * (-EIO for a short transfer the host cannot complete, or an injected
 * PNM_FAULT_PWRITE / PNM_FAULT_PREAD). */
static int host_io(int fd, void *buf, off_t pos, bool write)
{
	size_t done = 0;

	if (pnm_should_fail(write ? PNM_FAULT_PWRITE : PNM_FAULT_PREAD))
		return -EIO;
	while (done < PAGE_SIZE) {
		ssize_t n = write ? pwrite(fd, (char *)buf + done, PAGE_SIZE - done,
					   pos + (off_t)done)
				  : pread(fd, (char *)buf + done, PAGE_SIZE - done,
					  pos + (off_t)done);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (!n)
			return -EIO;
		done += (size_t)n;
	}
	return 0;
}

/*
 * swap_writepage - see swap.h.  The folio is unmapped and locked, so no
 * CPU store reaches it while it is written, and it is not maybe-pinned
 * (reclaim checked that after unmapping), so no device writes it either.
 */
int swap_writepage(struct folio *folio)
{
	swp_entry_t entry = folio_swap_entry(folio);
	struct swap_info_struct *si = swp_swap_info(entry);
	int err;

	VM_BUG_ON_PAGE(!folio_test_locked(folio) || !folio_test_swapcache(folio) || !si,
		       &folio->page);
	ClearPageDirty(&folio->page);
	SetPageWriteback(&folio->page);
	err = swap_io_inject(si, true);
	if (!err)
		err = host_io(si->fd, folio_address(folio),
			      (off_t)(swp_offset(entry) << PAGE_SHIFT), true);
	ClearPageWriteback(&folio->page);
	if (err) {
		/* Keep the only good copy dirty in memory. */
		SetPageDirty(&folio->page);
		swap_io_error(si, true, err);
		return err;
	}
	count_vm_event(PSWPOUT);
	return 0;
}

/*
 * swap_read_folio - see swap.h.  The folio is new, locked and cached: the
 * only other threads that can find it wait for its lock, and see
 * PG_uptodate (a release store after the data) once they have it.
 */
int swap_read_folio(struct folio *folio)
{
	swp_entry_t entry = folio_swap_entry(folio);
	struct swap_info_struct *si = swp_swap_info(entry);
	int err;

	VM_BUG_ON_PAGE(!folio_test_locked(folio) || !folio_test_swapcache(folio) || !si,
		       &folio->page);
	err = swap_io_inject(si, false);
	if (!err)
		err = host_io(si->fd, folio_address(folio),
			      (off_t)(swp_offset(entry) << PAGE_SHIFT), false);
	if (err) {
		swap_io_error(si, false, err);
		return err;
	}
	folio_mark_uptodate(folio);
	count_vm_event(PSWPIN);
	return 0;
}

/*
 * pnm_swap_backing_path - the device's host file (pinmm/swap.h).  A
 * device reference keeps the path: it is freed only after the users are
 * gone (swapfile.c).
 */
int pnm_swap_backing_path(char *buf, size_t size)
{
	struct swap_info_struct *si;
	size_t n;
	int ret = 0;

	if (!pnm_initialised || !buf)
		return -EINVAL;
	si = get_swap_device(swp_entry(0, 1));
	if (!si)
		return -EINVAL;
	n = strlen(si->path);
	if (n >= size)
		ret = -ENAMETOOLONG;
	else
		memcpy(buf, si->path, n + 1);
	put_swap_device(si);
	return ret;
}
