// SPDX-License-Identifier: MIT
/*
 * drivers/dio.c - Direct IO, the first case of Linux's pin_user_pages
 * documentation: asynchronous O_DIRECT reads and writes between disk files
 * and process memory, done by a device's threads (pinmm/dio.h has the
 * public contract, docs/call-sites.md the reasons).
 *
 * A request goes like Linux's iomap_dio_rw() with AIO:
 *
 *   submit (the process, in its own context: the calling thread's
 *     current task)
 *     - the filesystem's checks and cache flushing (pnm_file_dio_begin():
 *       alignment of offset and length, EOF, write back the range, and
 *       for a write take it out of the cache; -ENOTBLK means a buffered
 *       fallback, done here at once as ext4 does);
 *     - the buffer's alignment, then its pages pinned with
 *       pin_user_pages_fast() -- FOLL_PIN, short-term, FOLL_WRITE when the
 *       device will write them (a read) -- exactly as Linux's
 *       iov_iter_extract_pages() pins a user buffer for a bio.  A buffer
 *       only partly pinnable gives a shorter request (Linux's short DIO);
 *       nothing pinnable is -EFAULT;
 *     - the request is split into transfers of at most DIO_BIO_BYTES (a
 *       bio each) queued to the device (devq.c), and submit returns.
 *   device threads (no task: they reach memory only through the pinned
 *     page array, pnm_dma_*)
 *     - a read: the storage straight into the pinned frames
 *       (pnm_dma_write_from_file: pnm_file_direct_read on each run of
 *       adjacent frames); a write: the frames straight to the storage
 *       (pnm_dma_read_to_file); no bounce buffer, one copy, as a disk
 *       controller's DMA;
 *     - the last transfer to finish completes the request: every page is
 *       unpinned, dirtied first for a read (unpin_user_pages_dirty_lock(),
 *       what bio_release_pages() does), the filesystem's completion runs
 *       (pnm_file_dio_end(): size, invalidation again) and the waiter is
 *       woken.
 *   reap (pnm_dio_wait) takes the result and frees the request.
 *
 * Why pin_user_pages_fast() rather than a vaddr_pin owner: a DIO pin lives
 * for one request, is taken by the process for itself (current, so the
 * fast path applies, as in Linux), belongs to no file and is never
 * revoked; an owner's extents, lease ties and budget are for long-term
 * holders.  FOLL_PIN stays internal to GUP all the same: the call site
 * passes only the direction (FOLL_WRITE), which is what the 2019 plan
 * asked of group (a) and what Linux ended up with through iov_iter.
 *
 * Locking: dev->lock (a leaf) guards the counters and each request's
 * completion state; transfers, unpinning and the filesystem's calls run
 * without it.  A request's memory is the submitter's until submit returns
 * and then the device's until completion; after `done` is set under
 * dev->lock only the reaper touches it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <pinmm/pinmm.h>
#include "devq.h"

#define PG			PNM_PAGE_SIZE
#define DIO_BIO_BYTES		(1UL << 20)	/* one transfer: Linux's 256-page bio */

struct pnm_dio_req;

/* One transfer of a request: bytes [start, start + len) of it. */
struct dio_bio {
	struct pnm_devq_work work;	/* first: the work fn casts back */
	struct pnm_dio_req *req;
	size_t start;			/* byte offset in the request */
	size_t len;			/* bytes, a multiple of PNM_DIO_ALIGN */
};

struct pnm_dio_dev {
	struct pnm_devq *q;
	pthread_mutex_t lock;		/* a leaf: stat, and each request's
					 * completion state */
	pthread_cond_t done_cv;		/* a request completed */
	/* What pnm_dio_dev_get_info() reports, but for the queue's frozen
	 * and queued; dev->lock (nr_threads is set at creation). */
	struct pnm_dio_info stat;
};

struct pnm_dio_req {
	struct pnm_dio_dev *dev;
	struct file *file;		/* a reference while in flight; NULL
					 * for a request complete at submit */
	unsigned int op;		/* PNM_DIO_READ / PNM_DIO_WRITE */
	int64_t off;			/* file offset */
	size_t report;			/* bytes the request reports if good */
	size_t page_off;		/* buffer offset in pages[0] */
	struct page **pages;		/* pinned */
	unsigned long npages;
	unsigned long nbios;
	/* dev->lock: */
	unsigned long bios_left;
	int error;			/* the first transfer error */
	bool done;
	ssize_t result;
	struct dio_bio bios[];
};

static void dev_lock(struct pnm_dio_dev *dev)
{
	if (pthread_mutex_lock(&dev->lock))
		abort();
}

static void dev_unlock(struct pnm_dio_dev *dev)
{
	if (pthread_mutex_unlock(&dev->lock))
		abort();
}

/* --- the device ------------------------------------------------------------ */

/*
 * pnm_dio_dev_create - a device with @nr_threads threads; pinmm/dio.h.
 * 0 with *@devp set, -EINVAL, -ENOMEM, -EAGAIN.  Any thread.
 */
int pnm_dio_dev_create(unsigned int nr_threads, struct pnm_dio_dev **devp)
{
	struct pnm_dio_dev *dev;
	int err;

	if (!devp || !nr_threads || nr_threads > PNM_DIO_MAX_THREADS)
		return -EINVAL;
	dev = calloc(1, sizeof(*dev));
	if (!dev)
		return -ENOMEM;
	err = pnm_devq_create("dio", nr_threads, &dev->q);
	if (err) {
		free(dev);
		return err;
	}
	if (pthread_mutex_init(&dev->lock, NULL) || pthread_cond_init(&dev->done_cv, NULL))
		abort();
	dev->stat.size = sizeof(dev->stat);
	dev->stat.nr_threads = nr_threads;
	*devp = dev;
	return 0;
}

/*
 * pnm_dio_dev_destroy - stop and free @dev once every request was reaped;
 * pinmm/dio.h.  0, or -EBUSY with nothing changed.  Must not race with
 * any other call on @dev.
 */
int pnm_dio_dev_destroy(struct pnm_dio_dev *dev)
{
	bool busy;

	if (!dev)
		return 0;
	dev_lock(dev);
	busy = dev->stat.reaped != dev->stat.submitted;
	dev_unlock(dev);
	if (busy)
		return -EBUSY;
	pnm_devq_destroy(dev->q);
	pthread_cond_destroy(&dev->done_cv);
	pthread_mutex_destroy(&dev->lock);
	free(dev);
	return 0;
}

/*
 * pnm_dio_dev_freeze - requests submitted from now on wait in @dev's
 * queue, pinned, until pnm_dio_dev_thaw(); transfers already running
 * finish (devq.h's freeze).  Any thread.
 */
void pnm_dio_dev_freeze(struct pnm_dio_dev *dev)
{
	pnm_devq_freeze(dev->q);
}

/* pnm_dio_dev_thaw - let the waiting transfers of @dev run.  Any thread. */
void pnm_dio_dev_thaw(struct pnm_dio_dev *dev)
{
	pnm_devq_thaw(dev->q);
}

/*
 * pnm_dio_dev_drain - wait until no transfer of @dev runs and, unless it
 * is frozen, none is queued.  Not from a device thread.
 */
void pnm_dio_dev_drain(struct pnm_dio_dev *dev)
{
	pnm_devq_drain(dev->q);
}

/*
 * pnm_dio_dev_get_info - a snapshot of @dev's counters; pinmm/dio.h.
 * 0, or -EINVAL (NULL, a @info->size below this release's struct).
 */
int pnm_dio_dev_get_info(struct pnm_dio_dev *dev, struct pnm_dio_info *info)
{
	struct pnm_dio_info i;
	size_t want;

	if (!dev || !info || info->size < sizeof(i))
		return -EINVAL;
	want = info->size;
	dev_lock(dev);
	i = dev->stat;
	dev_unlock(dev);
	i.frozen = pnm_devq_frozen(dev->q);
	i.queued = pnm_devq_queued(dev->q);
	memset(info, 0, want);
	memcpy(info, &i, sizeof(i));
	return 0;
}

/* --- completion ------------------------------------------------------------- */

/*
 * The last transfer of @req finished (device thread, no lock held):
 * release the pages -- dirtied for a read, the device wrote them -- then
 * the filesystem's completion, then the file, then tell the reaper.
 */
static void dio_complete(struct pnm_dio_req *req)
{
	struct pnm_dio_dev *dev = req->dev;
	ssize_t result = req->error ? req->error : (ssize_t)req->report;
	unsigned long npages = req->npages;

	if (req->op == PNM_DIO_READ)
		unpin_user_pages_dirty_lock(req->pages, npages, true);
	else
		unpin_user_pages(req->pages, npages);
	result = pnm_file_dio_end(req->file, req->op, req->off, result);
	pnm_file_close(req->file);
	req->file = NULL;
	dev_lock(dev);
	dev->stat.pinned_pages -= npages;
	dev->stat.completed++;
	if (result < 0)
		dev->stat.errors++;
	else if (req->op == PNM_DIO_READ)
		dev->stat.bytes_read += (unsigned long long)result;
	else
		dev->stat.bytes_written += (unsigned long long)result;
	req->result = result;
	req->done = true;
	if (pthread_cond_broadcast(&dev->done_cv))
		abort();
	dev_unlock(dev);
	/* The reaper may free @req from here on. */
}

/*
 * One transfer, in a device thread: storage <-> pinned pages, with no copy
 * in between (pnm_dma_write_from_file / pnm_dma_read_to_file: the host's
 * pread/pwrite on the frames themselves, as a disk controller's DMA).  A
 * read's data lands in the frames whatever maps them now (a fork, a munmap
 * since): that is what the pin is for.
 */
static void dio_bio_fn(struct pnm_devq_work *work)
{
	struct dio_bio *bio = (struct dio_bio *)work;
	struct pnm_dio_req *req = bio->req;
	struct pnm_dio_dev *dev = req->dev;
	size_t boff = req->page_off + bio->start;	/* byte in the page array */
	unsigned long first = boff / PG;
	unsigned long npages = (boff % PG + bio->len + PG - 1) / PG;
	int64_t foff = req->off + (int64_t)bio->start;
	int err;

	if (req->op == PNM_DIO_READ)
		err = pnm_dma_write_from_file(req->pages + first, npages, boff % PG, req->file,
					      foff, bio->len);
	else
		err = pnm_dma_read_to_file(req->pages + first, npages, boff % PG, req->file, foff,
					   bio->len);
	dev_lock(dev);
	if (err && !req->error)
		req->error = err;
	if (--req->bios_left) {
		dev_unlock(dev);
		return;
	}
	dev_unlock(dev);
	dio_complete(req);
}

/* --- submission --------------------------------------------------------------- */

/* A request complete at submission with @result (no file, no pin). */
static int dio_done_at_once(struct pnm_dio_dev *dev, ssize_t result, bool fallback,
			    struct pnm_dio_req **reqp)
{
	struct pnm_dio_req *req = calloc(1, sizeof(*req));

	if (!req)
		return -ENOMEM;
	req->dev = dev;
	req->done = true;
	req->result = result;
	dev_lock(dev);
	dev->stat.submitted++;
	dev->stat.completed++;
	if (fallback)
		dev->stat.fallbacks++;
	if (result < 0)
		dev->stat.errors++;
	else if (result > 0)
		dev->stat.bytes_written += (unsigned long long)result;
	dev_unlock(dev);
	*reqp = req;
	return 0;
}

/*
 * ext4's answer to -ENOTBLK: write through the page cache instead, then
 * write the range back so that the data is on the storage when the
 * request completes, as a direct write's would be.  The bytes written, or
 * -errno.
 */
static ssize_t dio_buffered_fallback(struct file *file, unsigned long buf, size_t count,
				     int64_t off)
{
	struct task_struct *task = pnm_current_task();
	size_t done = 0;
	char *bounce;
	int err = 0;

	if (!task)
		return -EFAULT;
	bounce = malloc(count < DIO_BIO_BYTES ? count : DIO_BIO_BYTES);
	if (!bounce)
		return -ENOMEM;
	while (done < count && !err) {
		size_t n = count - done < DIO_BIO_BYTES ? count - done : DIO_BIO_BYTES;
		ssize_t w;

		err = pnm_user_read(task, buf + done, bounce, n);
		if (err)
			break;
		w = pnm_file_write(file, bounce, n, off + (int64_t)done);
		if (w < 0)
			err = (int)w;
		else
			done += (size_t)w;
		if (w >= 0 && (size_t)w < n)
			break;
	}
	free(bounce);
	if (done) {
		int werr = pnm_writeback_range(file, off, off + (int64_t)done - 1,
					       PNM_WB_SYNC_ALL);

		return werr ? werr : (ssize_t)done;
	}
	return err;
}

/*
 * pnm_dio_submit - start a direct read or write; pinmm/dio.h.  On error
 * nothing is pinned, queued or begun.  The caller runs as the task whose
 * memory @buf is and holds no model lock.
 */
int pnm_dio_submit(struct pnm_dio_dev *dev, struct file *file, unsigned int op,
		   unsigned long buf, size_t count, int64_t off, struct pnm_dio_req **reqp)
{
	struct pnm_dio_req *req;
	struct page **pages;
	unsigned long npages, nbios;
	size_t page_off, xfer, covered;
	ssize_t report;
	long pinned;

	if (!dev || !reqp)
		return -EINVAL;
	if (op != PNM_DIO_READ && op != PNM_DIO_WRITE)
		return -EINVAL;
	if (!file)
		return -EBADF;
	if (pnm_file_dio_align(file) && (buf & (pnm_file_dio_align(file) - 1)))
		return -EINVAL;
	if (!pnm_current_task())
		return -EFAULT;
	report = pnm_file_dio_begin(file, op, off, count);
	if (report == -ENOTBLK)
		return dio_done_at_once(dev, dio_buffered_fallback(file, buf, count, off), true,
					reqp);
	if (report <= 0)
		return report < 0 ? (int)report : dio_done_at_once(dev, 0, false, reqp);

	/* A read moves whole blocks; what lies past EOF reads as zeroes. */
	xfer = ((size_t)report + PNM_DIO_ALIGN - 1) & ~(size_t)(PNM_DIO_ALIGN - 1);
	page_off = buf & (PG - 1);
	npages = (page_off + xfer + PG - 1) / PG;
	pages = calloc(npages, sizeof(*pages));
	if (!pages) {
		pnm_file_dio_end(file, op, off, -ENOMEM);
		return -ENOMEM;
	}
	pinned = pin_user_pages_fast(buf - page_off, (int)npages,
				     op == PNM_DIO_READ ? FOLL_WRITE : 0, pages);
	if (pinned <= 0) {
		free(pages);
		pnm_file_dio_end(file, op, off, pinned ? pinned : -EFAULT);
		return pinned ? (int)pinned : -EFAULT;
	}
	/* A partial pin is a shorter request, in whole blocks. */
	covered = (size_t)pinned * PG - page_off;
	if (covered < xfer) {
		covered &= ~(size_t)(PNM_DIO_ALIGN - 1);
		if (!covered) {
			unpin_user_pages(pages, (unsigned long)pinned);
			free(pages);
			pnm_file_dio_end(file, op, off, -EFAULT);
			return -EFAULT;
		}
		xfer = covered;
		if ((size_t)report > xfer)
			report = (ssize_t)xfer;
	}
	nbios = (xfer + DIO_BIO_BYTES - 1) / DIO_BIO_BYTES;
	req = calloc(1, sizeof(*req) + nbios * sizeof(struct dio_bio));
	if (!req) {
		unpin_user_pages(pages, (unsigned long)pinned);
		free(pages);
		pnm_file_dio_end(file, op, off, -ENOMEM);
		return -ENOMEM;
	}
	pnm_file_get(file);
	req->dev = dev;
	req->file = file;
	req->op = op;
	req->off = off;
	req->report = (size_t)report;
	req->page_off = page_off;
	req->pages = pages;
	req->npages = (unsigned long)pinned;
	req->nbios = nbios;
	req->bios_left = nbios;
	for (unsigned long i = 0; i < nbios; i++) {
		struct dio_bio *bio = &req->bios[i];

		bio->work.fn = dio_bio_fn;
		bio->req = req;
		bio->start = i * DIO_BIO_BYTES;
		bio->len = xfer - bio->start < DIO_BIO_BYTES ? xfer - bio->start : DIO_BIO_BYTES;
	}
	dev_lock(dev);
	dev->stat.submitted++;
	dev->stat.bios += nbios;
	dev->stat.pinned_pages += req->npages;
	dev_unlock(dev);
	*reqp = req;
	/* From the first queued bio on, the request is the device's. */
	for (unsigned long i = 0; i < nbios; i++)
		pnm_devq_queue(dev->q, &req->bios[i].work);
	return 0;
}

/* pnm_dio_poll - is @req complete; pinmm/dio.h. */
int pnm_dio_poll(struct pnm_dio_req *req, ssize_t *result)
{
	int ret = -EINPROGRESS;

	if (!req)
		return -EINVAL;
	dev_lock(req->dev);
	if (req->done) {
		if (result)
			*result = req->result;
		ret = 0;
	}
	dev_unlock(req->dev);
	return ret;
}

/* pnm_dio_wait - wait for, free and return @req; pinmm/dio.h. */
ssize_t pnm_dio_wait(struct pnm_dio_req *req)
{
	struct pnm_dio_dev *dev;
	ssize_t result;

	if (!req)
		return -EINVAL;
	dev = req->dev;
	dev_lock(dev);
	while (!req->done)
		if (pthread_cond_wait(&dev->done_cv, &dev->lock))
			abort();
	result = req->result;
	dev->stat.reaped++;
	dev_unlock(dev);
	free(req->pages);
	free(req);
	return result;
}

/* pnm_dio_rw - submit and wait; pinmm/dio.h. */
ssize_t pnm_dio_rw(struct pnm_dio_dev *dev, struct file *file, unsigned int op,
		   unsigned long buf, size_t count, int64_t off)
{
	struct pnm_dio_req *req;
	int err = pnm_dio_submit(dev, file, op, buf, count, off, &req);

	return err ? err : pnm_dio_wait(req);
}
