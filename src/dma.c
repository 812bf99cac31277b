// SPDX-License-Identifier: MIT
/*
 * dma.c - the device side of a pin: a DMA engine reading and writing page
 * data through the page array a pin call returned.
 *
 * This is the consumer FOLL_PIN exists for.  The device never looks at
 * page tables: it was handed struct page pointers (a scatter list) and
 * transfers bytes to and from page_address() of those frames, whatever
 * the process has done to its mappings since.  That is exactly why the
 * page must stay the process's page while pinned (fork copies it for the
 * child, COW reuses it, migration and reclaim leave it alone), and why a
 * pin must keep the frame allocated after munmap or exit: otherwise the
 * device writes into memory that belongs to someone else by then.
 *
 * A transfer runs in byte order across the array: @offset is a byte
 * offset into the concatenation of the pages.  For each frame the model
 * checks that it is still allocated (not free in the buddy allocator, its
 * folio's refcount not zero); a freed frame is reported as
 * PNM_MISUSE_DMA_TO_FREED and skipped (a read yields zeroes for it), so a
 * use-after-unpin shows up as a report instead of corrupting the
 * allocator.  A frame that was freed and reallocated cannot be told from
 * a live one, exactly as on real hardware.
 *
 * Writes do not dirty anything: the device writes behind the mm's back,
 * which is why callers release written pins with
 * unpin_user_pages_dirty_lock(..., true).  A write into the shared zero
 * page or the huge zero page (a read-only pin used for a device write) is
 * refused with a warning: it would change what every process reads as
 * zeroes.
 *
 * A device write into a folio that a truncate or hole punch already took
 * out of its file (PG_pnm_truncated) still happens -- the memory is alive
 * because it is pinned -- but no file will ever see it: the bytes are
 * counted in PNM_DMA_WRITE_TRUNCATED.
 *
 * No locks are taken; device transfers race with CPU accesses to the same
 * bytes just as real DMA does.  Page data is copied with relaxed atomic
 * word accesses (pnm_copy_to_page_racy/pnm_copy_from_page_racy), which
 * writeback uses on its side too, so a device racing with writeback is a
 * defined (and tsan-quiet) race; plain CPU accesses through page tables
 * are not atomic, so tests must not run those concurrently with a device
 * transfer on the same bytes.
 */
#include <limits.h>
#include <stdint.h>
#include <string.h>

#include "internal.h"

/*
 * Racy page-data copies.  A device transfer and a CPU-side reader of the
 * same page (writeback's bounce copy, checksum and write source) run
 * concurrently on purpose: that race is what the writeback policies are
 * about.  Both sides access page data with relaxed atomic word accesses
 * so the race is well defined in C11 and ThreadSanitizer reports only
 * races that do not go through these helpers.  Words are
 * sizeof(unsigned long), aligned on the page side; the unaligned edges
 * are copied a byte at a time (also relaxed atomics).  No ordering is
 * implied: the relaxed accesses pair with nothing; whoever needs the data
 * of a finished transfer orders through its own synchronisation (the pin
 * and unpin, a folio lock, a thread join).
 */

/* Copy @n bytes from the page memory at @src (possibly being written by a
 * device or a CPU concurrently) to the private buffer @dst.  Any
 * alignment; @dst must not be shared with another writer. */
void pnm_copy_from_page_racy(void *dst, const void *src, size_t n)
{
	const unsigned char *s = src;
	unsigned char *d = dst;

	while (n && ((uintptr_t)s & (sizeof(unsigned long) - 1))) {
		*d++ = __atomic_load_n(s++, __ATOMIC_RELAXED);
		n--;
	}
	while (n >= sizeof(unsigned long)) {
		unsigned long w = __atomic_load_n((const unsigned long *)s,
						  __ATOMIC_RELAXED);

		memcpy(d, &w, sizeof(w));
		s += sizeof(w);
		d += sizeof(w);
		n -= sizeof(w);
	}
	while (n--)
		*d++ = __atomic_load_n(s++, __ATOMIC_RELAXED);
}

/* Copy @n bytes from the private buffer @src into the page memory at
 * @dst, which others may read or write concurrently.  Any alignment. */
void pnm_copy_to_page_racy(void *dst, const void *src, size_t n)
{
	const unsigned char *s = src;
	unsigned char *d = dst;

	while (n && ((uintptr_t)d & (sizeof(unsigned long) - 1))) {
		__atomic_store_n(d++, *s++, __ATOMIC_RELAXED);
		n--;
	}
	while (n >= sizeof(unsigned long)) {
		unsigned long w;

		memcpy(&w, s, sizeof(w));
		__atomic_store_n((unsigned long *)d, w, __ATOMIC_RELAXED);
		s += sizeof(w);
		d += sizeof(w);
		n -= sizeof(w);
	}
	while (n--)
		__atomic_store_n(d++, *s++, __ATOMIC_RELAXED);
}

/* Is the frame still allocated to someone?  Relaxed peeks at a frame the
 * device does not own; a frame being freed concurrently may go either way. */
static bool frame_allocated(struct page *page)
{
	if (PageBuddy(page))
		return false;
	return folio_ref_count(page_folio(page)) > 0;
}

/*
 * Validate [@offset, @offset + @len) against @npages pages of @pages:
 * inside the array and no NULL entry in it.  0 or -EINVAL.
 */
static int dma_check_range(struct page **pages, unsigned long npages,
			   size_t offset, size_t len)
{
	unsigned long first, last, i;

	if (!pages || npages > ULONG_MAX / PAGE_SIZE)
		return -EINVAL;
	if (offset > npages * PAGE_SIZE || len > npages * PAGE_SIZE - offset)
		return -EINVAL;
	if (!len)
		return 0;
	first = offset >> PAGE_SHIFT;
	last = (offset + len - 1) >> PAGE_SHIFT;
	for (i = first; i <= last; i++)
		if (!pages[i])
			return -EINVAL;
	return 0;
}

/* What the device does with one chunk of a frame (dma_chunk()). */
enum dma_chunk {
	DMA_MOVE,		/* transfer it */
	DMA_FREED,		/* the frame is free: reported; a read sees zeroes */
	DMA_REFUSED,		/* a write into a zero page: warned, skipped */
};

/*
 * The checks of one chunk of @chunk bytes at byte @in of @page before a
 * transfer (@write: into the page): a freed frame is reported, a write
 * into a zero page refused with a warning, a write into a truncated folio
 * counted.  What to do with the chunk.
 */
static enum dma_chunk dma_chunk(struct page *page, size_t in, size_t chunk, bool write)
{
	if (!frame_allocated(page)) {
		pnm_misuse_report(PNM_MISUSE_DMA_TO_FREED, page,
				  "device %s of %zu byte%s at offset %zu of a freed frame",
				  write ? "write" : "read", chunk, chunk == 1 ? "" : "s", in);
		return DMA_FREED;
	}
	if (!write)
		return DMA_MOVE;
	if (is_zero_pfn(page_to_pfn(page)) || is_huge_zero_pfn(page_to_pfn(page))) {
		pnm_warn_on_once(true, "device write into a zero page", __FILE__, __LINE__);
		return DMA_REFUSED;
	}
	/* Relaxed peek: PG_pnm_truncated is set under the folio lock by
	 * truncate; a transfer racing with the truncate may be counted
	 * either way, as a real device write could land either side. */
	if (test_bit(PG_pnm_truncated, &page_folio(page)->flags))
		count_vm_events(PNM_DMA_WRITE_TRUNCATED, (long)chunk);
	return DMA_MOVE;
}

/*
 * Move @len bytes between @buf and the pages, starting at byte @offset of
 * the array; @write says in which direction.  Returns the number of bytes
 * actually transferred (freed frames are skipped).
 */
static size_t dma_transfer(struct page **pages, size_t offset, void *buf,
			   size_t len, bool write)
{
	unsigned char *p = buf;
	size_t done = 0;

	while (len) {
		struct page *page = pages[offset >> PAGE_SHIFT];
		size_t in = offset & (PAGE_SIZE - 1);
		size_t chunk = min_t(size_t, len, PAGE_SIZE - in);
		unsigned char *data = (unsigned char *)page_address(page) + in;

		switch (dma_chunk(page, in, chunk, write)) {
		case DMA_MOVE:
			if (write)
				pnm_copy_to_page_racy(data, p, chunk);
			else
				pnm_copy_from_page_racy(p, data, chunk);
			done += chunk;
			break;
		case DMA_FREED:
			if (!write)
				memset(p, 0, chunk);
			break;
		case DMA_REFUSED:
			break;
		}
		p += chunk;
		offset += chunk;
		len -= chunk;
	}
	return done;
}

/*
 * The device writes @len bytes of @buf into the pages of @pages (an array
 * of @npages entries, e.g. from pin_user_pages), starting @offset bytes
 * into the first page and continuing across pages.  The page data changes
 * behind the mm's back: no PTE or folio is dirtied.  Freed frames are
 * reported (PNM_MISUSE_DMA_TO_FREED) and skipped; the zero page and the
 * huge zero page are never written (warning).  Counts the bytes written
 * in pnm_dma_write_bytes, and those landing in truncated folios also in
 * pnm_dma_write_truncated.
 * Returns 0, or -EINVAL (nothing written) if the range does not fit in
 * the array or names a NULL entry.  Takes no lock.
 */
int pnm_dma_write(struct page **pages, unsigned long npages, size_t offset,
		  const void *buf, size_t len)
{
	int err = dma_check_range(pages, npages, offset, len);

	if (err)
		return err;
	count_vm_events(PNM_DMA_WRITE_BYTES,
			(long)dma_transfer(pages, offset, (void *)buf, len, true));
	return 0;
}

/*
 * The device reads @len bytes from the pages of @pages into @buf, starting
 * @offset bytes into the first page.  Freed frames are reported
 * (PNM_MISUSE_DMA_TO_FREED) and read as zeroes.  Counts the bytes read in
 * pnm_dma_read_bytes.  Returns 0, or -EINVAL (nothing read) as
 * pnm_dma_write().  Takes no lock.
 */
int pnm_dma_read(struct page **pages, unsigned long npages, size_t offset,
		 void *buf, size_t len)
{
	int err = dma_check_range(pages, npages, offset, len);

	if (err)
		return err;
	count_vm_events(PNM_DMA_READ_BYTES,
			(long)dma_transfer(pages, offset, buf, len, false));
	return 0;
}

/* What a device read of a freed frame hands the storage. */
static const unsigned char dma_zeroes[PAGE_SIZE];

#ifdef __SANITIZE_THREAD__
/* ThreadSanitizer's: the calling thread's memory accesses, its interceptors'
 * included, are not recorded between begin and end. */
void AnnotateIgnoreReadsBegin(const char *file, int line);
void AnnotateIgnoreReadsEnd(const char *file, int line);
void AnnotateIgnoreWritesBegin(const char *file, int line);
void AnnotateIgnoreWritesEnd(const char *file, int line);
#define dma_tsan_ignore_begin()	(AnnotateIgnoreReadsBegin(__FILE__, __LINE__), \
				 AnnotateIgnoreWritesBegin(__FILE__, __LINE__))
#define dma_tsan_ignore_end()	(AnnotateIgnoreWritesEnd(__FILE__, __LINE__), \
				 AnnotateIgnoreReadsEnd(__FILE__, __LINE__))
#else
#define dma_tsan_ignore_begin()	((void)0)
#define dma_tsan_ignore_end()	((void)0)
#endif

/*
 * One run of frames adjacent in host memory (@data, @len bytes) to or from
 * @file's storage at @foff.  0 or the storage's error.
 *
 * The host kernel's copy is the device's DMA: outside the C program, so
 * not a C access that races.  ThreadSanitizer intercepts pread/pwrite and
 * would record the copy as plain accesses of the frames, reporting the
 * races with the model's relaxed readers (fork's and writeback's copies)
 * that the model exists to show; so the call's memory accesses are not
 * recorded.  What else the call touches is atomic or under a lock (the
 * fault injection's io_lock, the event counters), and lock synchronisation
 * is still recorded (only reads and writes are ignored), so nothing else
 * is hidden.
 */
static int dma_file_run(struct file *file, unsigned char *data, size_t len, int64_t foff,
			bool write)
{
	int err;

	dma_tsan_ignore_begin();
	err = write ? pnm_file_direct_read(file, data, len, foff) :
		      pnm_file_direct_write(file, data, len, foff);
	dma_tsan_ignore_end();
	return err;
}

/*
 * Move @len bytes between @file's storage at @foff and the pages from byte
 * @offset of the array, with no copy in between: @write (into the pages)
 * reads the storage straight into the frames, else the frames are written
 * to the storage.  The frames are checked chunk by chunk as dma_transfer()
 * does, and each run of frames adjacent in host memory is one storage
 * transfer; a freed frame's bytes are skipped (write) or stored as zeroes
 * (read).  Stops at the first storage error and returns it; else 0.  The
 * bytes moved are added to *@done.
 */
static int dma_file(struct page **pages, size_t offset, struct file *file, int64_t foff,
		    size_t len, bool write, size_t *done)
{
	unsigned char *run = NULL;
	size_t run_len = 0;
	int64_t run_off = 0;
	int err = 0;

	while (len && !err) {
		struct page *page = pages[offset >> PAGE_SHIFT];
		size_t in = offset & (PAGE_SIZE - 1);
		size_t chunk = min_t(size_t, len, PAGE_SIZE - in);
		unsigned char *data = (unsigned char *)page_address(page) + in;
		enum dma_chunk what = dma_chunk(page, in, chunk, write);

		if (what == DMA_MOVE && run && run + run_len == data) {
			run_len += chunk;
		} else {
			if (run) {
				err = dma_file_run(file, run, run_len, run_off, write);
				if (!err)
					*done += run_len;
				run = NULL;
			}
			if (!err && what == DMA_MOVE) {
				run = data;
				run_len = chunk;
				run_off = foff;
			} else if (!err && what == DMA_FREED && !write) {
				err = pnm_file_direct_write(file, dma_zeroes, chunk, foff);
			}
		}
		foff += (int64_t)chunk;
		offset += chunk;
		len -= chunk;
	}
	if (run && !err) {
		err = dma_file_run(file, run, run_len, run_off, write);
		if (!err)
			*done += run_len;
	}
	return err;
}

/* Both public calls: the range and alignment checks, the transfer, and
 * the bytes moved counted (pnm_dma_write_bytes when the device writes the
 * frames, pnm_dma_read_bytes when it reads them). */
static int dma_file_checked(struct page **pages, unsigned long npages, size_t offset,
			    struct file *file, int64_t foff, size_t len, bool write)
{
	size_t done = 0;
	int err = dma_check_range(pages, npages, offset, len);

	if (!err && ((offset | len | (size_t)foff) & (PNM_DIO_ALIGN - 1)))
		err = -EINVAL;
	if (err || !len)
		return err;
	err = dma_file(pages, offset, file, foff, len, write, &done);
	count_vm_events(write ? PNM_DMA_WRITE_BYTES : PNM_DMA_READ_BYTES, (long)done);
	return err;
}

/*
 * The device reads @len bytes at @foff of @file's storage straight into
 * the pages of @pages (@npages entries) from byte @offset of the array:
 * pnm_file_direct_read() into each run of frames adjacent in host memory,
 * for a Direct IO request between pnm_file_dio_begin() and _end().  The
 * frames are checked as by pnm_dma_write() (freed: reported and skipped;
 * zero pages: refused; truncated folios: counted); the bytes landed are
 * counted in pnm_dma_write_bytes.  Returns 0, -EINVAL (the range does not
 * fit the array, or @offset, @foff or @len not a multiple of
 * PNM_DIO_ALIGN; nothing moved), or the storage's error (the transfer
 * stopped there, the runs before it landed).  Takes no model lock.
 *
 * The storage's bytes land as the host kernel copies them, with no word
 * atomicity promised: a CPU or writeback reading the same frames
 * meanwhile sees old and new bytes mixed, as with a real device's DMA.
 * That race stays defined for the model's side (its readers use relaxed
 * atomic loads, and the host's stores are no C access: ThreadSanitizer is
 * told not to record the call's accesses, dma_file_run()).  Whoever needs the data orders after completion
 * through its own synchronisation, as for pnm_dma_write().
 */
int pnm_dma_write_from_file(struct page **pages, unsigned long npages, size_t offset,
			    struct file *file, int64_t foff, size_t len)
{
	return dma_file_checked(pages, npages, offset, file, foff, len, true);
}

/*
 * The device reads @len bytes of the pages of @pages from byte @offset of
 * the array straight into @file's storage at @foff: pnm_file_direct_write()
 * of each run of frames adjacent in host memory; a freed frame is reported
 * and stored as zeroes.  Counts the bytes read from live frames in
 * pnm_dma_read_bytes.  Returns as pnm_dma_write_from_file(); the host
 * kernel reads the frames as a device would (no word atomicity promised
 * against a CPU writing them meanwhile).  Takes no model lock.
 */
int pnm_dma_read_to_file(struct page **pages, unsigned long npages, size_t offset,
			 struct file *file, int64_t foff, size_t len)
{
	return dma_file_checked(pages, npages, offset, file, foff, len, false);
}
