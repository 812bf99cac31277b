// SPDX-License-Identifier: MIT
/*
 * fs/direct-io.c - the filesystem's side of Direct IO (O_DIRECT): what
 * Linux's iomap_dio_rw() and its completion do around a device's
 * transfer, for the Direct IO call site (src/drivers/dio.c) to call
 * through the public API (pinmm/file.h).
 *
 * A direct I/O moves bytes between the storage and a process's pages,
 * bypassing the page cache.  The cache still holds its own copies of the
 * file's pages, so the filesystem keeps the two coherent as Linux does:
 *
 *   begin   (pnm_file_dio_begin) the request is counted in flight
 *           (inode_dio_begin: a truncate or hole punch now waits for it,
 *           and no new request starts while one waits); dirty cached
 *           pages of the range are written back and waited for, so the
 *           storage holds their data (filemap_write_and_wait_range); a
 *           write then takes the range out of the cache
 *           (invalidate_inode_pages2_range), and if a page cannot go (a
 *           store dirtied it again) the request is refused with -ENOTBLK,
 *           Linux's signal to fall back to buffered I/O;
 *   transfer (pnm_file_direct_read/_write) the device reads or writes the
 *           backing store; reads past its end see zeroes (a hole);
 *   end     (pnm_file_dio_end) a write that reached past i_size extends
 *           it; the written range is invalidated again (a read or fault
 *           may have cached old data meanwhile), and a page that cannot go
 *           is stale: reported, and -EIO is recorded for every opener's
 *           next fsync (Linux's dio_warn_stale_pagecache()); then the
 *           request leaves the in-flight count and waiters are woken.
 *
 * Only disk files have Direct IO here.  shmem has no storage to transfer
 * to; dax files are the storage and Linux's DAX direct I/O is a CPU copy
 * with no device and no pin, so both refuse it (-EINVAL, what open() with
 * O_DIRECT says on a filesystem without it).
 *
 * Alignment: the offset, the length and the user buffer must be
 * multiples of the device's logical block size, PNM_DIO_ALIGN (512; what
 * statx(STATX_DIOALIGN) reports on a common disk); begin checks offset and
 * length, the call site the buffer.
 *
 * Locking: i_lock guards dio_count, dio_waiters and the size; begin and
 * end hold it briefly, never across writeback, invalidation or a
 * transfer, so a device thread's end never waits for a truncate (which
 * waits for it with i_lock dropped: inode_dio_wait()).  Order: i_lock ->
 * folio lock (invalidation) as everywhere.
 */
#include <limits.h>
#include <string.h>

#include "internal.h"

/* Linux's MAX_RW_COUNT: one call moves at most this. */
#define DIO_MAX_COUNT	((size_t)INT_MAX & ~(size_t)(PAGE_SIZE - 1))

/* Wait on dio_cv with the caller's i_lock, keeping its owner field true. */
static void dio_cv_wait(struct inode *inode)
{
	struct pnm_inode *pi = PNM_I(inode);

	WRITE_ONCE(inode->i_lock.s.owner, 0);
	if (pthread_cond_wait(&pi->dio_cv, &inode->i_lock.s.m))
		PNM_DIE("pthread_cond_wait", 0);
	WRITE_ONCE(inode->i_lock.s.owner, pnm_thread_id());
}

/*
 * inode_dio_wait - internal.h.  Counted as a waiter first, so that no new
 * request begins while this one waits (otherwise a stream of requests
 * could hold a truncate off for ever).
 */
void inode_dio_wait(struct inode *inode)
{
	struct pnm_inode *pi = PNM_I(inode);

	lockdep_assert_held(&inode->i_lock.s);
	if (!pi->dio_count)
		return;
	pi->dio_waiters++;
	while (pi->dio_count)
		dio_cv_wait(inode);
	pi->dio_waiters--;
	/* Requests held back by this waiter may begin once i_lock is free. */
	if (pthread_cond_broadcast(&pi->dio_cv))
		PNM_DIE("pthread_cond_broadcast", 0);
}

/* inode_dio_end: one request fewer in flight; wake waiters at zero. */
static void inode_dio_end(struct inode *inode)
{
	struct pnm_inode *pi = PNM_I(inode);

	mutex_lock(&inode->i_lock);
	VM_BUG_ON(!pi->dio_count);
	if (!--pi->dio_count && pi->dio_waiters && pthread_cond_broadcast(&pi->dio_cv))
		PNM_DIE("pthread_cond_broadcast", 0);
	mutex_unlock(&inode->i_lock);
}

/* Direct IO on @file for @op: 0, or the errno that refuses it. */
static int dio_file_ok(struct file *file, unsigned int op)
{
	if (!file)
		return -EBADF;
	if (op != PNM_IO_READ && op != PNM_IO_WRITE)
		return -EINVAL;
	if (!(file->f_mode & (op == PNM_IO_READ ? FMODE_READ : FMODE_WRITE)))
		return -EBADF;
	if (!file->f_inode || PNM_I(file->f_inode)->fs != PNM_FS_DISK)
		return -EINVAL;
	return 0;
}

/*
 * pnm_file_dio_align - the alignment Direct IO on @file needs (offset,
 * length and buffer): PNM_DIO_ALIGN for a disk file, 0 for a file without
 * Direct IO (shmem, dax) or NULL.  Like statx's dio_offset_align.
 */
unsigned int pnm_file_dio_align(struct file *file)
{
	if (!file || !file->f_inode || PNM_I(file->f_inode)->fs != PNM_FS_DISK)
		return 0;
	return PNM_DIO_ALIGN;
}

/*
 * pnm_file_dio_begin - the filesystem's part of submitting a direct
 * read (@op PNM_IO_READ) or write (PNM_IO_WRITE) of @count bytes at @off
 * (the top of this file).  Returns the bytes the request will report: a
 * read is cut at the end of the file, any request at Linux's MAX_RW_COUNT;
 * a write past PNM_MAX_FILE_SIZE is shortened.  A positive result means
 * the request is in flight: the caller transfers (a read: the result
 * rounded up to PNM_DIO_ALIGN, whose tail past EOF reads as zeroes) and
 * then calls pnm_file_dio_end() exactly once.  0 (nothing to do: @count 0,
 * a read at or past EOF) begins nothing.  Errors, nothing begun: -EBADF
 * (NULL, or not open for @op), -EINVAL (bad @op, not a disk file, negative
 * or unaligned @off or @count), -EFBIG (a write at or past the maximum
 * size), a writeback error of the range (-EIO, -ENOSPC), -ENOTBLK (a
 * write whose cached pages could not be invalidated: fall back to
 * buffered I/O).  Caller holds no model lock; may wait for a truncate.
 */
ssize_t pnm_file_dio_begin(struct file *file, unsigned int op, int64_t off, size_t count)
{
	struct inode *inode;
	struct pnm_inode *pi;
	struct address_space *mapping;
	loff_t size;
	int err = dio_file_ok(file, op);

	if (err)
		return err;
	if (off < 0 || (off & (PNM_DIO_ALIGN - 1)) || (count & (PNM_DIO_ALIGN - 1)))
		return -EINVAL;
	if (op == PNM_IO_WRITE && off >= PNM_MAX_FILE_SIZE)
		return -EFBIG;
	if (!count)
		return 0;
	count = min_t(size_t, count, DIO_MAX_COUNT);
	if (op == PNM_IO_WRITE && (uint64_t)count > (uint64_t)(PNM_MAX_FILE_SIZE - off))
		count = (size_t)(PNM_MAX_FILE_SIZE - off);
	inode = file->f_inode;
	pi = PNM_I(inode);
	mapping = inode->i_mapping;

	mutex_lock(&inode->i_lock);
	while (pi->dio_waiters)		/* a truncate waits: let it go first */
		dio_cv_wait(inode);
	size = i_size_read(inode);
	if (op == PNM_IO_READ) {
		if (off >= size) {
			mutex_unlock(&inode->i_lock);
			return 0;
		}
		count = min_t(size_t, count, (size_t)(size - off));
	}
	pi->dio_count++;
	mutex_unlock(&inode->i_lock);

	err = filemap_write_and_wait_range(mapping, off, off + (loff_t)count - 1);
	if (!err && op == PNM_IO_WRITE &&
	    invalidate_inode_pages2_range(mapping, (pgoff_t)(off >> PAGE_SHIFT),
					  (pgoff_t)((off + (loff_t)count - 1) >> PAGE_SHIFT)))
		err = -ENOTBLK;
	if (err) {
		inode_dio_end(inode);
		return err;
	}
	return (ssize_t)count;
}

/*
 * pnm_file_dio_end - complete a request begun by pnm_file_dio_begin() at
 * @off with @result (the bytes it moved, or -errno): a write's size
 * extension and post-write invalidation (a page that stays is reported
 * and -EIO recorded for each opener's next fsync), then the in-flight
 * count.  Returns @result.  Callable from any thread (a device's); the
 * caller holds no model lock.  Calling it for a request not begun is a
 * bug (VM_BUG_ON when nothing is in flight).
 */
ssize_t pnm_file_dio_end(struct file *file, unsigned int op, int64_t off, ssize_t result)
{
	struct inode *inode = file->f_inode;

	if (op == PNM_IO_WRITE && result > 0) {
		struct address_space *mapping = inode->i_mapping;
		loff_t end = off + (loff_t)result;

		mutex_lock(&inode->i_lock);
		if (end > i_size_read(inode))
			i_size_write(inode, end);
		mutex_unlock(&inode->i_lock);
		if (invalidate_inode_pages2_range(mapping, (pgoff_t)(off >> PAGE_SHIFT),
						  (pgoff_t)((end - 1) >> PAGE_SHIFT))) {
			pnm_log(PNM_LOG_WARN,
				"pinmm: direct I/O: %s: page cache invalidation failed after a "
				"direct write of [%lld, %lld): the cache may hold stale data",
				pnm_inode_name(inode), (long long)off, (long long)end);
			count_vm_event(PNM_DIO_STALE_CACHE);
			errseq_set(&mapping->wb_err, -EIO);
		}
	}
	inode_dio_end(inode);
	return result;
}

/*
 * The storage checks of a transfer: 0, or the errno.  @count and @off
 * must be aligned as for begin.
 */
static int direct_ok(struct file *file, unsigned int op, const void *buf, size_t count,
		     int64_t off)
{
	int err = dio_file_ok(file, op);

	if (err)
		return err;
	if (!buf && count)
		return -EFAULT;
	if (off < 0 || (off & (PNM_DIO_ALIGN - 1)) || (count & (PNM_DIO_ALIGN - 1)) ||
	    count > DIO_MAX_COUNT || (uint64_t)off + count > (uint64_t)PNM_MAX_FILE_SIZE)
		return -EINVAL;
	return 0;
}

/*
 * pnm_file_direct_read - the device reads @count bytes at @off of @file's
 * backing store into @buf, bypassing the page cache; bytes past the
 * store's end are zeroes.  For a request between pnm_file_dio_begin() and
 * pnm_file_dio_end().  0, or -EBADF, -EINVAL (as begin; also @count above
 * MAX_RW_COUNT), -EFAULT (NULL @buf), -EIO (the store, or an injected read
 * fault; @buf is then undefined).  Takes no model lock but the inode's
 * io_lock (fault injection).
 */
int pnm_file_direct_read(struct file *file, void *buf, size_t count, int64_t off)
{
	struct inode *inode;
	ssize_t n;
	int err = direct_ok(file, PNM_IO_READ, buf, count, off);

	if (err)
		return err;
	inode = file->f_inode;
	if (pnm_fs_io_fault(inode, PNM_IO_READ, false))
		return -EIO;
	n = pnm_host_pread(inode, buf, count, (loff_t)off);
	if (n < 0)
		return -EIO;
	memset((char *)buf + n, 0, count - (size_t)n);
	count_vm_events(PNM_DIO_READ_BYTES, (long)count);
	return 0;
}

/*
 * pnm_file_direct_write - the device writes @count bytes of @buf at @off
 * of @file's backing store, bypassing the page cache and leaving i_size to
 * pnm_file_dio_end().  0, or -EBADF, -EINVAL, -EFAULT as the read; -EIO or
 * -ENOSPC (an injected fault: nothing written; PNM_IO_SHORT: the first
 * half stored, -EIO; a host error: -EIO).  A failed direct write is the
 * request's error only: it is not recorded for fsync (Linux's too).
 */
int pnm_file_direct_write(struct file *file, const void *buf, size_t count, int64_t off)
{
	struct inode *inode;
	int fault, err = direct_ok(file, PNM_IO_WRITE, buf, count, off);

	if (err)
		return err;
	inode = file->f_inode;
	fault = pnm_fs_io_fault(inode, PNM_IO_WRITE, false);
	if (fault == PNM_IO_SHORT) {
		pnm_host_pwrite(inode, buf, count / 2, (loff_t)off);
		return -EIO;
	}
	if (fault)
		return fault;
	if (pnm_host_pwrite(inode, buf, count, (loff_t)off) < 0)
		return -EIO;
	count_vm_events(PNM_DIO_WRITE_BYTES, (long)count);
	return 0;
}
