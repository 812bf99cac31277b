/* SPDX-License-Identifier: MIT */
/*
 * pinmm/dio.h - Direct IO: asynchronous O_DIRECT reads and writes between
 * disk files and process memory, done by a device's threads (the call
 * site src/drivers/dio.c; docs/call-sites.md, docs/api.md).
 *
 * Case 1 of Linux's pin_user_pages documentation: the submitter's pages
 * are pinned with FOLL_PIN for the life of one request (short-term), by
 * pin_user_pages_fast() as Linux's iov_iter_extract_pages() does, FOLL_WRITE
 * when the device writes them (a read from the file).  A device thread
 * moves the data between the storage and the pinned pages, and the
 * completion releases them (unpin_user_pages_dirty_lock(), dirtying them
 * for a read).  Around the transfer the filesystem keeps the page cache
 * coherent (pnm_file_dio_begin()/_end(), pinmm/file.h): the range is
 * written back before, and for a write taken out of the cache before and
 * after.
 *
 * Submission acts on the calling thread's current task (pnm_task_enter()),
 * as a system call does; completion runs in a device thread.
 */
#ifndef PINMM_DIO_H
#define PINMM_DIO_H

#include <pinmm/types.h>

PNM_BEGIN_DECLS

struct pnm_dio_dev;	/* a block device: its queue and its threads */
struct pnm_dio_req;	/* one asynchronous request (Linux: a kiocb) */

#define PNM_DIO_MAX_THREADS	64

/* A device with @nr_threads threads (1..PNM_DIO_MAX_THREADS): 0 with
 * *@devp set, -EINVAL, -ENOMEM, -EAGAIN (no thread). */
PNM_API int pnm_dio_dev_create(unsigned int nr_threads, struct pnm_dio_dev **devp);
/* Stop the threads and free the device: 0, or -EBUSY (nothing changed)
 * while any request has not been reaped with pnm_dio_wait().  NULL: 0. */
PNM_API int pnm_dio_dev_destroy(struct pnm_dio_dev *dev);
/* Freeze: requests submitted from now on wait, pinned, in the queue
 * until pnm_dio_dev_thaw() (running transfers finish).  Drain: wait until
 * nothing runs and, unless frozen, nothing is queued. */
PNM_API void pnm_dio_dev_freeze(struct pnm_dio_dev *dev);
PNM_API void pnm_dio_dev_thaw(struct pnm_dio_dev *dev);
PNM_API void pnm_dio_dev_drain(struct pnm_dio_dev *dev);

/*
 * Submit a direct read (@op PNM_IO_READ: file -> memory) or write
 * (PNM_IO_WRITE: memory -> file) of @count bytes between byte @off of
 * @file and the current task's memory at @buf.  0 with *@reqp set (reap
 * it with pnm_dio_wait()), or, with nothing submitted: -EBADF (NULL or
 * not open for @op), -EINVAL (not a disk file, @off, @count or @buf not
 * a multiple of pnm_file_dio_align(), bad @op or arguments), -EFBIG,
 * -EFAULT (no task, or the buffer's first page cannot be pinned), -ENOMEM,
 * a writeback error of the range (-EIO, -ENOSPC).  A request is complete
 * at once (nothing pinned) when it has nothing to move (@count 0, a read
 * at or past EOF) or when a write falls back to buffered I/O because
 * cached pages could not be invalidated.
 */
#define PNM_DIO_READ	0x1	/* == PNM_IO_READ */
#define PNM_DIO_WRITE	0x2	/* == PNM_IO_WRITE */
PNM_API int pnm_dio_submit(struct pnm_dio_dev *dev, struct file *file, unsigned int op,
			   unsigned long buf, size_t count, int64_t off,
			   struct pnm_dio_req **reqp);
/* Is @req complete?  0 with *@result (bytes moved, or -errno), or
 * -EINPROGRESS; -EINVAL for NULL. */
PNM_API int pnm_dio_poll(struct pnm_dio_req *req, ssize_t *result);
/* Wait for @req, free it, and return its result: the bytes moved (fewer
 * than asked at EOF or when only part of the buffer could be pinned), or
 * -errno (-EIO, -ENOSPC from the storage).  Never with the device frozen
 * and nobody to thaw it.  -EINVAL for NULL. */
PNM_API ssize_t pnm_dio_wait(struct pnm_dio_req *req);
/* Submit and wait: a synchronous O_DIRECT pread/pwrite. */
PNM_API ssize_t pnm_dio_rw(struct pnm_dio_dev *dev, struct file *file, unsigned int op,
			   unsigned long buf, size_t count, int64_t off);

/* What a device did, for listings and tests (the size rule of
 * pinmm/inspect.h: set .size; the library fills what both know). */
struct pnm_dio_info {
	size_t size;
	unsigned int nr_threads;
	bool frozen;
	unsigned long submitted;	/* requests accepted */
	unsigned long completed;	/* requests complete */
	unsigned long reaped;		/* requests freed by pnm_dio_wait() */
	unsigned long bios;		/* transfers queued to the threads */
	unsigned long queued;		/* transfers waiting now */
	unsigned long pinned_pages;	/* pages pinned by requests in flight */
	unsigned long fallbacks;	/* writes done buffered (-ENOTBLK) */
	unsigned long errors;		/* requests completed with an error */
	unsigned long long bytes_read;	/* moved to memory by reads */
	unsigned long long bytes_written; /* moved to files by writes */
};
PNM_API int pnm_dio_dev_get_info(struct pnm_dio_dev *dev, struct pnm_dio_info *info);

PNM_END_DECLS

#endif /* PINMM_DIO_H */
