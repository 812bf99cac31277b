/* SPDX-License-Identifier: MIT */
/*
 * writeback.h - dirty page-cache pages going back to their files, the
 * writeback flag, the flusher thread, reclaim's file LRU, and writeback
 * error reporting (errseq).
 *
 * Dirtying.  A page-cache folio becomes dirty through a_ops->dirty_folio
 * (write(), ->page_mkwrite, GUP's set_page_dirty_lock after a device
 * write).  filemap_dirty_folio() is the generic implementation: PG_dirty,
 * NR_FILE_DIRTY, NR_DIRTIED.
 *
 * Cleaning.  Writeback locks a dirty folio and, for a folio nobody may be
 * DMAing into, folio_clear_dirty_for_io(): write-protect every PTE that
 * maps it (folio_mkclean, so the next CPU write faults into
 * ->page_mkwrite), clear PG_dirty, then set PG_writeback and call
 * a_ops->writepage.  What happens to a folio_maybe_dma_pinned() one is the
 * writeback policy (pinmm.h, enum pnm_wb_policy):
 *
 *   PNM_WB_LINUX   as above, in place: the device may change the data
 *                  during the write (PNM_WB_UNSTABLE counts a checksum
 *                  mismatch) and after the folio is clean.
 *   PNM_WB_STABLE  WB_SYNC_NONE writeback skips it (PNM_WB_SKIP_PINNED);
 *                  WB_SYNC_ALL write-protects its PTEs (CPU writers wait
 *                  in ->page_mkwrite, as for any write in progress),
 *                  writes a bounce copy (PNM_WB_BOUNCED) and leaves the
 *                  folio dirty, with its block state, so the device's
 *                  later data is written after the unpin.  A pin that
 *                  appears while a folio is being cleaned for an in-place
 *                  write is caught after the write-protect and handled
 *                  the same way.
 *
 * Writeback I/O is synchronous in the model and runs with the folio
 * locked; PG_writeback is still set around it (and counted in
 * NR_WRITEBACK) for the paths that look without the lock.
 *
 * Errors.  A failed backing write is recorded with mapping_set_error() in
 * mapping->wb_err; every struct file sampled the counter at open and
 * file_check_and_advance_wb_err() (fsync) reports a newer error to each
 * opener exactly once.
 *
 * Implemented in page-writeback.c (dirtying, cleaning, writeback passes,
 * thresholds, flusher, errseq), filemap.c (the writeback flag) and
 * vmscan.c/swap.c (LRU and reclaim).
 */
#ifndef PNM_MODEL_WRITEBACK_H
#define PNM_MODEL_WRITEBACK_H

#include <model/pagemap.h>

enum writeback_sync_modes {
	WB_SYNC_NONE,	/* background: skip busy folios, don't wait */
	WB_SYNC_ALL,	/* data integrity (fsync, sync): every dirty folio */
};

struct writeback_control {
	long nr_to_write;		/* pages left to write; decremented */
	long pages_skipped;		/* not written (busy, pinned) */
	loff_t range_start;		/* bytes, inclusive */
	loff_t range_end;		/* bytes, inclusive; LLONG_MAX = all */
	enum writeback_sync_modes sync_mode;
	unsigned int for_background:1;	/* the flusher's threshold pass */
	unsigned int for_reclaim:1;
	unsigned int for_sync:1;	/* sync(2) */
	/* For ->writepage: where to take the folio's bytes from (its data,
	 * or a bounce copy of it) and whether it is a bounce copy. */
	const void *pnm_src;
	bool pnm_bounced;
};

/* --- the writeback flag (filemap.c) -------------------------------------- */
/* Set PG_writeback on a locked folio (NR_WRITEBACK += nr pages). */
void folio_start_writeback(struct folio *folio);
/* Clear it, NR_WRITEBACK and NR_WRITTEN, wake folio_wait_writeback(). */
void folio_end_writeback(struct folio *folio);
/* Sleep until PG_writeback is clear.  Caller holds a reference. */
void folio_wait_writeback(struct folio *folio);
/* folio_wait_writeback() where the mapping needs stable pages (always
 * here: every CPU writer waits for writeback). */
void folio_wait_stable(struct folio *folio);

/* --- dirtying and cleaning (page-writeback.c) --------------------------- */
/* Generic ->dirty_folio; true if the folio was newly dirtied. */
bool filemap_dirty_folio(struct address_space *mapping, struct folio *folio);
/* Mark dirty through a_ops->dirty_folio (PG_dirty only without one). */
bool folio_mark_dirty(struct folio *folio);
/*
 * Prepare a locked dirty folio for in-place writeback: folio_mkclean()
 * (every PTE write-protected and cleaned, through the reverse map), then
 * clear PG_dirty and NR_FILE_DIRTY.  Returns 1 if it was dirty, 0 if not.
 */
int folio_clear_dirty_for_io(struct folio *folio);
/* Cancel a folio's dirtiness without writing (truncate). */
void folio_cancel_dirty(struct folio *folio);

/*
 * Write the dirty folios of @mapping in wbc's range, applying the
 * writeback policy (above).  Returns 0 or the first ->writepage error
 * (also recorded in mapping->wb_err).
 */
int do_writepages(struct address_space *mapping, struct writeback_control *wbc);
/* WB_SYNC_ALL writeback of [start, end] (bytes, inclusive). */
int filemap_fdatawrite_range(struct address_space *mapping, loff_t start, loff_t end);
/* Write [start, end] and wait for every folio's writeback to end. */
int filemap_write_and_wait_range(struct address_space *mapping, loff_t start,
				 loff_t end);
/* What an fs ->fsync calls: write and wait, then report this opener's
 * new writeback error, if any (file_check_and_advance_wb_err). */
int file_write_and_wait_range(struct file *file, loff_t start, loff_t end);

/* --- dirty thresholds and the flusher ------------------------------------ */
/* The background threshold and the dirty limit in pages (pinmm.h config,
 * defaults 10% / 20% of all frames; background >= limit becomes limit/2). */
void global_dirty_limits(unsigned long *pbackground, unsigned long *pdirty);
/*
 * After dirtying pages of @mapping: above the background threshold wake
 * the flusher (or, without the thread, do nothing yet); above the dirty
 * limit write back this mapping's pages from the caller until below.
 * Caller holds no folio lock.
 */
void balance_dirty_pages_ratelimited(struct address_space *mapping);
/* Wake the flusher thread, if it runs. */
void wakeup_flusher_threads(void);
/*
 * One flusher pass from the calling thread: WB_SYNC_NONE writeback of
 * every inode with dirty pages (@background: only while above the
 * background threshold).  Returns the number of pages written.
 */
long pnm_writeback_run(bool background);
/* Start/stop the flusher thread (pnm_init/pnm_fini do it when
 * pnm_config.writeback_thread is set).  0 or -errno. */
int pnm_writeback_start(void);
void pnm_writeback_stop(void);
/* sync(2): WB_SYNC_ALL writeback of every inode. */
void ksys_sync(void);

/* --- writeback errors (page-writeback.c) --------------------------------- */
errseq_t errseq_set(errseq_t *eseq, int err);
errseq_t errseq_sample(errseq_t *eseq);
int errseq_check(errseq_t *eseq, errseq_t since);
int errseq_check_and_advance(errseq_t *eseq, errseq_t *since);
/* Record a writeback error (-EIO, -ENOSPC...) on @mapping. */
void mapping_set_error(struct address_space *mapping, int err);
/* The error @file has not seen yet (0 if none), and mark it seen. */
int file_check_and_advance_wb_err(struct file *file);
/* An error recorded on @mapping since @since, or 0. */
int filemap_check_wb_err(struct address_space *mapping, errseq_t since);

/* --- LRU lists and reclaim (swap.c, vmscan.c; swap.h has the anon side) -- */
/* Put a folio on the LRU list its flags name: a page-cache folio
 * (filemap_add_folio), a new anon folio, a new swap cache folio. */
void folio_add_lru(struct folio *folio);
/* Take it off (filemap_remove_folio; folio locked; or at the free). */
void folio_del_lru(struct folio *folio);
/* Migration moved @src to @dst: @dst takes @src's place on its list. */
void folio_lru_replace(struct folio *src, struct folio *dst);
/*
 * Reclaim up to @nr_pages pages, oldest first: clean page-cache pages and
 * lazily freed anon pages, then, with @may_unmap and a swap device taking
 * pages, anon pages swapped out (vmscan.c).  Locked, dirty,
 * under-writeback and maybe-pinned cache folios are kept
 * (PNM_RECLAIM_SKIP_PINNED for the last), as are maybe-pinned anon pages
 * (PNM_SWAP_SKIP_PINNED); mapped folios are unmapped first when
 * @may_unmap (and kept if a pin appeared meanwhile).  Returns the pages
 * reclaimed.  @may_unmap needs the caller to hold no mmap_lock, folio
 * lock, ptl, and also runs the deferred split queue (mthp.c); without it the call is safe from any context that may
 * allocate (the page allocator calls it when a zone is exhausted).
 */
unsigned long pnm_reclaim_pages(unsigned long nr_pages, bool may_unmap);

#endif /* PNM_MODEL_WRITEBACK_H */
