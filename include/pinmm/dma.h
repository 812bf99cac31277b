/* SPDX-License-Identifier: MIT */
/*
 * pinmm/dma.h - the device side: a DMA engine's reads and writes.
 *
 * A device reads and writes page data through the page array it was
 * given (by a pin), never through page tables: its writes land in
 * whatever frames the array names, whether or not any process still maps
 * them.  That is what makes an unpinned or wrongly released page a data
 * corruption, and what the scenarios show.
 */
#ifndef PINMM_DMA_H
#define PINMM_DMA_H

#include <pinmm/types.h>

PNM_BEGIN_DECLS

/*
 * Write @len bytes from @buf at byte @offset of the buffer made of the
 * @npages pages of @pages (each a base page, in order); read likewise.
 * Returns 0, or -EINVAL for a range outside the array.  Access to a frame
 * that has been freed is reported (PNM_MISUSE_DMA_TO_FREED) and skipped.
 * Transfers are word-atomic against other devices and the model's own
 * page copies (writeback, migration); a CPU access (pnm_user_write/read)
 * to the same bytes at the same time is a data race, as on hardware.
 */
PNM_API int pnm_dma_write(struct page **pages, unsigned long npages, size_t offset,
			  const void *buf, size_t len);
PNM_API int pnm_dma_read(struct page **pages, unsigned long npages, size_t offset,
			 void *buf, size_t len);

/*
 * A storage device's transfer with no bounce buffer (Direct IO): read
 * @len bytes at @foff of @file's storage straight into the pages from byte
 * @offset of the array, or write the pages' bytes straight to it
 * (pnm_file_direct_read/_write() on the frames, within a request begun by
 * pnm_file_dio_begin()).  @offset, @foff and @len multiples of
 * PNM_DIO_ALIGN.  Frames are checked as above (a freed frame: reported,
 * skipped, stored as zeroes).  Returns 0, -EINVAL, or the storage's error
 * (the transfer stops there).  The storage's bytes move as the host copies
 * them: no word atomicity against a CPU access meanwhile, as with real DMA.
 */
PNM_API int pnm_dma_write_from_file(struct page **pages, unsigned long npages, size_t offset,
				    struct file *file, int64_t foff, size_t len);
PNM_API int pnm_dma_read_to_file(struct page **pages, unsigned long npages, size_t offset,
				 struct file *file, int64_t foff, size_t len);

PNM_END_DECLS

#endif /* PINMM_DMA_H */
