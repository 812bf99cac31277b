// SPDX-License-Identifier: MIT
/*
 * page-writeback.c - dirtying, cleaning and writing back page-cache
 * folios; dirty thresholds and the flusher thread; writeback errors
 * (Linux's mm/page-writeback.c, plus the errseq helpers of lib/errseq.c
 * and the file-level wrappers of mm/filemap.c that belong with them).
 *
 * Dirty accounting.  A folio's dirtiness is counted in NR_FILE_DIRTY (in
 * pages) exactly when its mapping tracks dirtying, i.e. has
 * a_ops->dirty_folio (mapping_accounts_dirty() below): the generic
 * filemap_dirty_folio() adds when it sets PG_dirty, and the two ways of
 * cleaning -- folio_clear_dirty_for_io() (writeback) and
 * folio_cancel_dirty() (truncate) -- subtract when they clear it.  Both
 * sides ask the same question of the same mapping, and a dirty folio
 * leaves its mapping only through truncate (which cancels first), so the
 * counter stays exact.  shmem has no ->dirty_folio: PG_dirty only, never
 * counted, never written.
 *
 * One writeback pass (do_writepages) walks the cached folios of a range in
 * index order, each under a reference taken with folio_try_get() under
 * xa_lock and then under its folio lock (WB_SYNC_NONE only trylocks and
 * skips).  A dirty folio is then written in one of two ways:
 *
 *   in place   folio_clear_dirty_for_io() write-protects every PTE mapping
 *              it (folio_mkclean) and clears PG_dirty; PG_writeback is set
 *              around ->writepage, whose source is the folio's own memory.
 *   bounced    (pnm_config.wb_policy == PNM_WB_STABLE and
 *              folio_maybe_dma_pinned) WB_SYNC_NONE skips the folio;
 *              WB_SYNC_ALL write-protects its PTEs too (so CPU writers
 *              wait, as for any write in progress), copies it to a private
 *              buffer and writes that, leaving the folio dirty and its
 *              block state in place, so that what a device writes later
 *              reaches the file after the unpin.  Under PNM_WB_LINUX
 *              pinned folios are written in place like any other
 *              (PNM_WB_PINNED_INPLACE).
 *
 * "Maybe pinned" is asked twice under STABLE: before cleaning, and again
 * after folio_mkclean() write-protected the PTEs (with a full barrier that
 * pairs with gup-fast's re-check of the PTE), because a pin taken through
 * a still-writable PTE in between would otherwise be written in place.
 * After the write-protect a new writing pin needs a write fault, i.e.
 * ->page_mkwrite, i.e. the folio lock writeback holds.  Pins are seen
 * only as folio_maybe_dma_pinned() reports them: legacy-mode pins are
 * plain references and are not (the 2018 behaviour, on purpose).
 *
 * Around every ->writepage the source bytes are checksummed before and
 * after; a difference means the data changed while it was being written
 * (PNM_WB_UNSTABLE).  A device writes page data behind everyone's back, so
 * the source is always read with pnm_copy_from_page_racy() (dma.c), the
 * device's own relaxed word accesses, which keeps that intended race
 * defined and invisible to ThreadSanitizer.
 *
 * A ->writepage error is recorded in mapping->wb_err (errseq) and counted
 * in PNM_WB_IO_ERRORS; the folio stays clean (its data then lives only in
 * memory, as in Linux).  Every struct file sampled wb_err when it was
 * opened; file_check_and_advance_wb_err() (fsync) reports a newer error to
 * each opener once.
 *
 * Locking.  Callers of the writeback passes hold no folio lock, ptl or
 * xa_lock (they take folio locks, possibly sleeping).  inode->i_lock may
 * be held (write(2) balances dirty pages under it).  Under the folio lock
 * folio_mkclean() reaches the PTEs through the file's i_mmap tree
 * (i_mmap_rwsem for read, then each ptl), never through a process's
 * mmap_lock, so it cannot fail and no process holds writeback up.
 * The flusher's mutex (flusher.lock) is a leaf: nothing is taken under it.
 * file->f_lock (errseq sampling of one file) is a leaf too.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "internal.h"

/* --- writeback errors (errseq) ------------------------------------------------
 *
 * An errseq_t packs, from the low bits up: the latest error's positive
 * errno (ERRSEQ_ERR_MASK), a SEEN flag (someone has reported that error)
 * and a counter.  Recording an error while SEEN is set bumps the counter,
 * so a sampler can tell "a new error" from "the error I already saw" even
 * if the errno is the same; recording one while nobody has seen the
 * previous error just replaces the errno (nobody can have missed a
 * change).  All updates are cmpxchg loops on the one word.
 */
#define ERRSEQ_ERR_BITS		12
#define ERRSEQ_ERR_MASK		((1u << ERRSEQ_ERR_BITS) - 1)	/* MAX_ERRNO */
#define ERRSEQ_SEEN		(1u << ERRSEQ_ERR_BITS)
#define ERRSEQ_CTR_INC		(1u << (ERRSEQ_ERR_BITS + 1))

static inline errseq_t errseq_load(errseq_t *eseq)
{
	/* Relaxed: the value is self-contained; callers that need the data
	 * written before an error order through their own locks. */
	return __atomic_load_n(eseq, __ATOMIC_RELAXED);
}

/* Fully ordered compare-and-swap of the errseq word; returns the value
 * found (== @old on success). */
static inline errseq_t errseq_cmpxchg(errseq_t *eseq, errseq_t old, errseq_t new)
{
	__atomic_compare_exchange_n(eseq, &old, new, false, __ATOMIC_SEQ_CST,
				    __ATOMIC_SEQ_CST);
	return old;
}

/*
 * errseq_set - record @err (a negative errno, -4095..-1) in @eseq.
 * Returns the new value (the old one for an invalid or zero @err, which
 * records nothing and warns for an invalid one).  Lockless and safe from
 * any context.
 */
errseq_t errseq_set(errseq_t *eseq, int err)
{
	errseq_t old, new, cur;

	if (!err)
		return errseq_load(eseq);
	if (VM_WARN_ON_ONCE(err > 0 || -err > (int)ERRSEQ_ERR_MASK))
		return errseq_load(eseq);

	old = errseq_load(eseq);
	for (;;) {
		new = (old & ~(ERRSEQ_ERR_MASK | ERRSEQ_SEEN)) | (errseq_t)-err;
		/* Somebody saw the previous error: make this one new. */
		if (old & ERRSEQ_SEEN)
			new += ERRSEQ_CTR_INC;
		if (new == old)
			return new;
		cur = errseq_cmpxchg(eseq, old, new);
		if (cur == old)
			return new;
		old = cur;
	}
}

/*
 * errseq_sample - the value to remember now, so that later checks report
 * only errors recorded after this point.  An error that nobody has seen
 * yet is not remembered (0 is returned): the sampler will still be told of
 * it, so an error is never lost merely because nobody had the file open
 * when it happened (Linux's rule).  Lockless.
 */
errseq_t errseq_sample(errseq_t *eseq)
{
	errseq_t old = errseq_load(eseq);

	if (!(old & ERRSEQ_SEEN))
		old = 0;
	return old;
}

/*
 * errseq_check - has an error been recorded in @eseq since @since was
 * sampled?  Returns it (negative errno) or 0.  Marks nothing seen.
 */
int errseq_check(errseq_t *eseq, errseq_t since)
{
	errseq_t cur = errseq_load(eseq);

	if (cur == since)
		return 0;
	return -(int)(cur & ERRSEQ_ERR_MASK);
}

/*
 * errseq_check_and_advance - errseq_check() that also marks the error
 * seen and moves *@since up to it, so the same caller is told once.  The
 * caller serialises uses of the same *@since (a file's f_lock).  Returns
 * the error or 0.
 */
int errseq_check_and_advance(errseq_t *eseq, errseq_t *since)
{
	errseq_t old, new;
	int err = 0;

	old = errseq_load(eseq);
	if (old != *since) {
		/* Set SEEN if it is not; losing the race to another marker
		 * or a newer error is fine: we report what we read. */
		new = old | ERRSEQ_SEEN;
		if (new != old)
			(void)errseq_cmpxchg(eseq, old, new);
		*since = new;
		err = -(int)(new & ERRSEQ_ERR_MASK);
	}
	return err;
}

/*
 * mapping_set_error - a writeback of @mapping failed with @err (negative
 * errno; 0 does nothing): record it for every opener (errseq).  Lockless.
 */
void mapping_set_error(struct address_space *mapping, int err)
{
	if (likely(!err))
		return;
	errseq_set(&mapping->wb_err, err);
}

/*
 * file_check_and_advance_wb_err - the writeback error of @file's mapping
 * that @file has not been told of yet (negative errno), or 0; afterwards
 * @file has been told.  Takes file->f_lock (a leaf) only when there is
 * something to report.
 */
int file_check_and_advance_wb_err(struct file *file)
{
	struct address_space *mapping = file->f_mapping;
	errseq_t old;
	int err = 0;

	/* Unlocked peek (relaxed atomic) at f_wb_err, which f_lock protects:
	 * a stale value only sends us into the locked re-check below. */
	old = __atomic_load_n(&file->f_wb_err, __ATOMIC_RELAXED);
	if (errseq_check(&mapping->wb_err, old)) {
		spin_lock(&file->f_lock);
		old = file->f_wb_err;
		err = errseq_check_and_advance(&mapping->wb_err, &old);
		__atomic_store_n(&file->f_wb_err, old, __ATOMIC_RELAXED);
		spin_unlock(&file->f_lock);
	}
	return err;
}

/*
 * filemap_check_wb_err - the error recorded on @mapping since @since (a
 * value from errseq_sample()), or 0.  Marks nothing.
 */
int filemap_check_wb_err(struct address_space *mapping, errseq_t since)
{
	return errseq_check(&mapping->wb_err, since);
}

/* --- dirtying ---------------------------------------------------------------- */

/* Does @mapping count its dirty folios (see the top of the file)? */
static inline bool mapping_accounts_dirty(const struct address_space *mapping)
{
	return mapping && mapping->a_ops && mapping->a_ops->dirty_folio;
}

static void account_dirtied(struct folio *folio, bool event)
{
	long nr = (long)folio_nr_pages(folio);

	mod_vm_stat(NR_FILE_DIRTY, nr);
	if (event)
		count_vm_events(NR_DIRTIED, nr);
}

static void account_cleaned(struct folio *folio)
{
	mod_vm_stat(NR_FILE_DIRTY, -(long)folio_nr_pages(folio));
}

/*
 * filemap_dirty_folio - the generic a_ops->dirty_folio: set PG_dirty and,
 * if it was clean and still belongs to @mapping, count it in NR_FILE_DIRTY
 * and NR_DIRTIED.  Returns true if the folio was newly dirtied.  Caller
 * should hold the folio lock (which keeps folio->mapping stable); takes no
 * lock itself, so it may also run under a ptl (GUP's FOLL_TOUCH).
 */
bool filemap_dirty_folio(struct address_space *mapping, struct folio *folio)
{
	if (test_and_set_bit(PG_dirty, &folio->page.flags))
		return false;
	if (READ_ONCE(folio->mapping) == mapping && mapping_accounts_dirty(mapping))
		account_dirtied(folio, true);
	return true;
}

/*
 * folio_mark_dirty - mark @folio's data dirty.  A mapping that tracks
 * dirtying (a_ops->dirty_folio: files with writeback) decides itself;
 * anonymous, shmem and truncated (detached) folios just get PG_dirty.  The
 * caller should hold the folio lock (set_page_dirty_lock() does).  Returns
 * true if the folio was newly dirtied.  Takes no lock itself unless the
 * mapping's ->dirty_folio does.
 */
bool folio_mark_dirty(struct folio *folio)
{
	struct address_space *mapping = folio_mapping(folio);

	if (mapping && mapping->a_ops && mapping->a_ops->dirty_folio)
		return mapping->a_ops->dirty_folio(mapping, folio);
	if (folio_test_dirty(folio))
		return false;
	return !test_and_set_bit(PG_dirty, &folio->page.flags);
}

/*
 * folio_clear_dirty_for_io - get the locked @folio ready to be written in
 * place (contract in writeback.h): write-protect its mappings so the next
 * CPU write faults into ->page_mkwrite, then clear PG_dirty and its
 * accounting.  Returns 1 if it was dirty (now clean), 0 if it was clean.
 *
 * folio_mkclean() is skipped for an unmapped folio: a page-cache folio
 * gains a mapping only under its folio lock (file faults map it locked;
 * fork copies only private, read-only mappings of it), which we hold.
 */
int folio_clear_dirty_for_io(struct folio *folio)
{
	struct address_space *mapping = folio_mapping(folio);

	VM_BUG_ON_PAGE(!folio_test_locked(folio), &folio->page);
	if (!mapping_accounts_dirty(mapping))
		return test_and_clear_bit(PG_dirty, &folio->page.flags) ? 1 : 0;

	if (folio_mapped(folio)) {
		int ret = folio_mkclean(folio);

		/*
		 * A dirty PTE on a clean folio would be a write the
		 * filesystem was not told of; move it to the folio as Linux
		 * does (cannot happen while clean pages are mapped
		 * read-only, which is what page_mkwrite relies on).
		 */
		if (ret > 0 && !folio_test_dirty(folio))
			folio_mark_dirty(folio);
	}
	if (!test_and_clear_bit(PG_dirty, &folio->page.flags))
		return 0;
	account_cleaned(folio);
	return 1;
}

/*
 * folio_cancel_dirty - forget that the locked @folio is dirty without
 * writing it (truncate, hole punch): clear PG_dirty, its accounting, and
 * PG_pnm_nofs_dirty (there is no unwritten data left to lose).  Never
 * sleeps.
 */
void folio_cancel_dirty(struct folio *folio)
{
	struct address_space *mapping = folio_mapping(folio);

	if (test_and_clear_bit(PG_dirty, &folio->page.flags) &&
	    mapping_accounts_dirty(mapping))
		account_cleaned(folio);
	clear_bit(PG_pnm_nofs_dirty, &folio->page.flags);
}

/*
 * Writeback cleaned the locked @folio for an in-place write and then
 * found it pinned after all: make it dirty again, as it was.  Not through
 * ->dirty_folio (the filesystem never saw it become clean and keeps its
 * block state), and no NR_DIRTIED event (nothing new was written).
 */
static void folio_redirty_locked(struct folio *folio)
{
	if (!test_and_set_bit(PG_dirty, &folio->page.flags) &&
	    mapping_accounts_dirty(folio_mapping(folio)))
		account_dirtied(folio, false);
}

/* --- one folio --------------------------------------------------------------- */

/* What writing one locked folio came to (writeback_locked_folio). */
enum wb_outcome {
	WB_WRITTEN,	/* ->writepage ran (maybe failing: see the error) */
	WB_CLEAN,	/* nothing to write */
	WB_SKIPPED,	/* busy or pinned; counted in pages_skipped */
};

/*
 * Checksum of @n bytes at @src, which a device may be writing: read in
 * chunks with the device's own relaxed accesses (pnm_copy_from_page_racy),
 * FNV-1a over the bytes.
 */
static unsigned long long wb_checksum(const void *src, size_t n)
{
	unsigned long long h = 0xcbf29ce484222325ULL;
	unsigned char chunk[256];
	size_t off, len, i;

	for (off = 0; off < n; off += len) {
		len = n - off < sizeof(chunk) ? n - off : sizeof(chunk);
		pnm_copy_from_page_racy(chunk, (const unsigned char *)src + off, len);
		for (i = 0; i < len; i++) {
			h ^= chunk[i];
			h *= 0x100000001b3ULL;
		}
	}
	return h;
}

static unsigned long mapping_ino(const struct address_space *mapping)
{
	return mapping->host ? mapping->host->i_ino : 0;
}

/* Is any of the @n bytes at @p, which a device may be writing, nonzero?
 * Read with the racy page copy (the device's own relaxed accesses). */
static bool racy_nonzero(const unsigned char *p, size_t n)
{
	unsigned char chunk[256];

	while (n) {
		size_t len = min_t(size_t, n, sizeof(chunk));

		pnm_copy_from_page_racy(chunk, p, len);
		for (size_t i = 0; i < len; i++)
			if (chunk[i])
				return true;
		p += len;
		n -= len;
	}
	return false;
}

/*
 * Zero the bytes of the locked @folio beyond EOF when it straddles EOF
 * (Linux's filesystems do it in their writepage: block_write_full_page(),
 * iomap_writepage_handle_eof()).  A mapping maps the page holding EOF
 * whole, so a store there may have put bytes beyond EOF into the cache;
 * they are not file data, ->writepage writes only up to EOF, and left in
 * place they would survive a later extension of the file in the clean
 * cache while the disk holds zeroes there: the cache and the disk
 * disagreeing.
 *
 * Called after the PTEs were write-protected (folio_mkclean()), with the
 * folio locked: no CPU store is in progress and a new one waits for our
 * lock in ->page_mkwrite, so the bytes are looked at first (racy reads,
 * as a device may write them through a pin) and only when some are
 * nonzero is the folio unmapped -- CPU loads then fault and wait for our
 * lock too, as after a truncate -- and zeroed with the racy page copy.
 * i_size may grow meanwhile (an extending truncate takes no folio lock),
 * but only a device writing through a pin can have stored into the grown
 * part since, as in Linux.  A shrink waits for our lock.
 */
static void wb_zero_beyond_eof(struct address_space *mapping, struct folio *folio)
{
	loff_t pos = folio_pos(folio), size;
	size_t keep, len;

	if (!mapping->host)
		return;
	size = i_size_read(mapping->host);
	if (size <= pos || size >= pos + (loff_t)folio_size(folio))
		return;
	keep = (size_t)(size - pos);
	len = folio_size(folio) - keep;
	if (!racy_nonzero((const unsigned char *)folio_address(folio) + keep, len))
		return;
	if (folio_mapped(folio))
		(void)try_to_unmap(folio, TTU_IGNORE_MLOCK);
	pnm_folio_zero_range(folio, keep, len);
}

/*
 * Write the locked @folio from @src (its own memory, or a bounce copy)
 * through ->writepage with PG_writeback set around it, its bytes beyond
 * EOF zeroed first.  Records an error on the mapping (errseq) and counts
 * PNM_WB_IO_ERRORS; a checksum of @src that changed during the write
 * counts PNM_WB_UNSTABLE.  Returns the ->writepage result.
 */
static int wb_write_folio(struct address_space *mapping, struct folio *folio,
			  struct writeback_control *wbc, const void *src, bool bounced)
{
	long nr = (long)folio_nr_pages(folio);
	unsigned long long before, after;
	int err;

	wb_zero_beyond_eof(mapping, folio);
	before = wb_checksum(src, folio_size(folio));
	folio_start_writeback(folio);
	wbc->pnm_src = src;
	wbc->pnm_bounced = bounced;
	err = mapping->a_ops->writepage(folio, wbc);
	wbc->pnm_src = NULL;
	wbc->pnm_bounced = false;
	after = wb_checksum(src, folio_size(folio));
	folio_end_writeback(folio);

	if (before != after)
		count_vm_events(PNM_WB_UNSTABLE, nr);
	if (err) {
		mapping_set_error(mapping, err);
		count_vm_event(PNM_WB_IO_ERRORS);
	}
	wbc->nr_to_write -= nr;
	pnm_trace(PNM_TRACE_WRITEBACK, 0, mapping_ino(mapping), folio_pfn(folio),
		  folio->index, err);
	return err;
}

/*
 * The STABLE policy for a maybe-pinned, dirty, locked @folio: skipped by
 * WB_SYNC_NONE; WB_SYNC_ALL writes a private snapshot and leaves the folio
 * dirty (with its block state).  The PTEs are write-protected first (the
 * folio stays dirty): CPU writers then fault into ->page_mkwrite and wait
 * for our folio lock instead of changing the page under the copy (stable
 * pages, as for an in-place write); only the device, through the pin,
 * races with the copy, which is what the bounce is for.  *@err gets the write's result, or -ENOMEM if no
 * bounce buffer could be had (the folio stays dirty; not a writeback error
 * of the file, so not recorded in errseq).
 */
static enum wb_outcome wb_pinned_stable(struct address_space *mapping,
					struct folio *folio,
					struct writeback_control *wbc, int *err)
{
	long nr = (long)folio_nr_pages(folio);
	void *bounce;

	if (wbc->sync_mode == WB_SYNC_NONE) {
		count_vm_events(PNM_WB_SKIP_PINNED, nr);
		wbc->pages_skipped += nr;
		return WB_SKIPPED;
	}
	if (folio_mapped(folio))
		(void)folio_mkclean(folio);	/* the folio stays dirty */
	bounce = pnm_malloc(PNM_FAULT_ALLOC, folio_size(folio));
	if (!bounce) {
		*err = -ENOMEM;
		wbc->pages_skipped += nr;
		return WB_SKIPPED;
	}
	pnm_copy_from_page_racy(bounce, folio_address(folio), folio_size(folio));
	count_vm_events(PNM_WB_BOUNCED, nr);
	pnm_trace(PNM_TRACE_WB_BOUNCE, 0, mapping_ino(mapping), folio_pfn(folio),
		  folio->index, 0);
	*err = wb_write_folio(mapping, folio, wbc, bounce, true);
	free(bounce);
	return WB_WRITTEN;
}

/*
 * Full barrier, then the pin state.  The fully ordered RMWs order our
 * reads of the pin counts after folio_mkclean()'s PTE changes; gup-fast
 * takes its pin with fully ordered RMWs and then re-reads the PTE.  So
 * either gup-fast sees the write-protected PTE and backs out (a write pin
 * then needs a fault, i.e. ->page_mkwrite, i.e. our folio lock), or we see
 * its pin here (the same pairing as rmap.c's check after unmapping).
 */
static bool wb_maybe_pinned_after_mkclean(struct folio *folio)
{
	(void)atomic_add_return(0, &folio->_refcount);
	if (folio_has_pincount(folio))	/* page[1]: large folios only */
		(void)atomic_add_return(0, &folio->_pincount);
	(void)atomic_add_return(0, &folio->page.pnm_pincount);
	return folio_maybe_dma_pinned(folio);
}

/*
 * Write back the locked @folio of @mapping if it is dirty, applying the
 * writeback policy.  The folio stays locked.  *@err gets a write error.
 */
static enum wb_outcome writeback_locked_folio(struct address_space *mapping,
					      struct folio *folio,
					      struct writeback_control *wbc, int *err)
{
	bool stable = pnm_config.wb_policy == PNM_WB_STABLE;
	long nr = (long)folio_nr_pages(folio);
	bool pinned;
	int ret;

	if (folio_test_writeback(folio)) {
		if (wbc->sync_mode == WB_SYNC_NONE) {
			wbc->pages_skipped += nr;
			return WB_SKIPPED;
		}
		folio_wait_writeback(folio);
	}
	if (!folio_test_dirty(folio))
		return WB_CLEAN;
	/* Held by a revoked pin owner (vaddr_pin.c): neither written nor
	 * cleaned until its late unpin, whatever the sync mode. */
	if (test_bit(PG_pnm_quarantined, &folio->flags)) {
		wbc->pages_skipped += nr;
		count_vm_events(PNM_WB_SKIP_QUARANTINED, nr);
		return WB_SKIPPED;
	}

	pinned = folio_maybe_dma_pinned(folio);
	/* A page pinned under a layout lease gets the stable policy whatever
	 * wb_policy says: the lease promised the file the device's data. */
	if (pinned && !stable && pnm_lease_inode_tied(mapping->host))
		stable = true;
	if (pinned && stable)
		return wb_pinned_stable(mapping, folio, wbc, err);

	/* In place: clean it, write-protecting the PTEs. */
	ret = folio_clear_dirty_for_io(folio);
	if (!ret)
		return WB_CLEAN;
	if (stable && wb_maybe_pinned_after_mkclean(folio)) {
		/* A pin slipped in before the PTEs were write-protected. */
		folio_redirty_locked(folio);
		return wb_pinned_stable(mapping, folio, wbc, err);
	}
	if (pinned)
		count_vm_events(PNM_WB_PINNED_INPLACE, nr);
	*err = wb_write_folio(mapping, folio, wbc, folio_address(folio), false);
	return WB_WRITTEN;
}

/* --- walking a mapping --------------------------------------------------------- */


/* Index after @folio, from an unlocked (possibly stale) look at it. */
static pgoff_t wb_index_after(struct folio *folio, pgoff_t found)
{
	pgoff_t next = READ_ONCE(folio->index) + folio_nr_pages(folio);

	return next > found ? next : found + 1;
}

/*
 * do_writepages - write the dirty folios of @mapping in wbc's range
 * (contract in writeback.h).  WB_SYNC_NONE trylocks folios, skips busy,
 * under-writeback and (STABLE) pinned ones, and stops once nr_to_write
 * pages were written; WB_SYNC_ALL writes every folio that is dirty when
 * the walk reaches it, waiting for locks and retrying busy mms.  A mapping
 * without ->writepage (shmem, dax) has nothing to write: 0.  Returns 0,
 * the first ->writepage error (recorded in mapping->wb_err as well), or
 * -ENOMEM (a bounce buffer).  Caller holds no folio lock, ptl or xa_lock.
 */
int do_writepages(struct address_space *mapping, struct writeback_control *wbc)
{
	pgoff_t index, end;
	int ret = 0;

	if (!mapping->a_ops || !mapping->a_ops->writepage)
		return 0;
	if (wbc->range_start < 0 || wbc->range_end < wbc->range_start)
		return 0;
	index = (pgoff_t)(wbc->range_start >> PAGE_SHIFT);
	end = wbc->range_end == LLONG_MAX ? ULONG_MAX :
	      (pgoff_t)(wbc->range_end >> PAGE_SHIFT);

	while (index <= end) {
		struct folio *folio;
		unsigned long nr;
		pgoff_t next;
		int err = 0;

		if (wbc->sync_mode == WB_SYNC_NONE && wbc->nr_to_write <= 0)
			break;
		folio = filemap_get_next_folio(mapping, &index, end);
		if (!folio)
			break;
		if (wbc->sync_mode == WB_SYNC_NONE) {
			if (!folio_trylock(folio)) {
				wbc->pages_skipped += (long)folio_nr_pages(folio);
				next = wb_index_after(folio, index);
				folio_put(folio);
				index = next;
				if (!index)
					break;		/* wrapped past ULONG_MAX */
				continue;
			}
		} else {
			folio_lock(folio);
		}
		if (folio->mapping != mapping) {
			/* Truncated or replaced by migration while we waited:
			 * look at the same index again. */
			folio_unlock(folio);
			folio_put(folio);
			continue;
		}
		nr = folio_nr_pages(folio);
		next = folio->index + nr;
		writeback_locked_folio(mapping, folio, wbc, &err);
		folio_unlock(folio);
		folio_put(folio);
		if (err && !ret)
			ret = err;
		index = next;
		if (!index)
			break;
	}
	return ret;
}

/* Wait for writeback of every cached folio in [start, end] to end. */
static void fdatawait_range(struct address_space *mapping, loff_t start, loff_t end)
{
	pgoff_t index = (pgoff_t)(start >> PAGE_SHIFT);
	pgoff_t last = end == LLONG_MAX ? ULONG_MAX : (pgoff_t)(end >> PAGE_SHIFT);
	struct folio *folio;

	if (start < 0 || end < start)
		return;
	while (index <= last && (folio = filemap_get_next_folio(mapping, &index, last))) {
		pgoff_t next = wb_index_after(folio, index);

		if (folio_test_writeback(folio))
			folio_wait_writeback(folio);
		folio_put(folio);
		index = next;
		if (!index)
			break;
	}
}

/*
 * filemap_fdatawrite_range - WB_SYNC_ALL writeback of the folios of
 * @mapping covering bytes [start, end] (inclusive; LLONG_MAX = to the
 * end).  Returns do_writepages()'s result.  Caller holds no folio lock.
 */
int filemap_fdatawrite_range(struct address_space *mapping, loff_t start, loff_t end)
{
	struct writeback_control wbc = {
		.sync_mode = WB_SYNC_ALL,
		.nr_to_write = LONG_MAX,
		.range_start = start,
		.range_end = end,
	};

	return do_writepages(mapping, &wbc);
}

/*
 * filemap_write_and_wait_range - write [start, end] of @mapping
 * (WB_SYNC_ALL) and wait until none of its folios is under writeback.
 * Returns the write's result (the wait is skipped after -EIO, as Linux
 * does).  Errors are also in mapping->wb_err for the openers.  Caller
 * holds no folio lock.
 */
int filemap_write_and_wait_range(struct address_space *mapping, loff_t start,
				 loff_t end)
{
	int err = filemap_fdatawrite_range(mapping, start, end);

	if (err != -EIO)
		fdatawait_range(mapping, start, end);
	return err;
}

/*
 * file_write_and_wait_range - the data part of fsync for @file: write and
 * wait for [start, end], then report the writeback error this opener has
 * not seen yet (recorded by this or any earlier writeback, by anyone) and
 * mark it seen for @file.  Returns the write's own error if any, else that
 * error, else 0.  Caller holds no folio lock.
 */
int file_write_and_wait_range(struct file *file, loff_t start, loff_t end)
{
	struct address_space *mapping = file->f_mapping;
	int err, err2;

	err = filemap_fdatawrite_range(mapping, start, end);
	if (err != -EIO)
		fdatawait_range(mapping, start, end);
	err2 = file_check_and_advance_wb_err(file);
	return err ? err : err2;
}

/* --- dirty thresholds ------------------------------------------------------------- */

/*
 * global_dirty_limits - the background threshold and the dirty limit in
 * pages (pnm_config.dirty_background_pages / dirty_limit_pages, or 10% /
 * 20% of all frames when 0).  A background threshold at or above the
 * limit is halved to limit / 2, as Linux does.  Lockless.
 */
void global_dirty_limits(unsigned long *pbackground, unsigned long *pdirty)
{
	unsigned long total = pnm_mem.nr_frames;
	unsigned long limit = pnm_config.dirty_limit_pages;
	unsigned long bg = pnm_config.dirty_background_pages;

	if (!limit)
		limit = total / 5;
	if (!bg)
		bg = total / 10;
	if (bg >= limit)
		bg = limit / 2;
	*pbackground = bg;
	*pdirty = limit;
}

/* Pages dirty or under writeback, the quantity the thresholds limit. */
static unsigned long nr_dirty_pages(void)
{
	long n = global_stat(NR_FILE_DIRTY) + global_stat(NR_WRITEBACK);

	return n > 0 ? (unsigned long)n : 0;
}

/* Pages a writer above the limit writes per round, at least. */
#define BALANCE_BATCH	16

/*
 * balance_dirty_pages_ratelimited - contract in writeback.h.  Above the
 * background threshold: wake the flusher.  Above the dirty limit: write
 * back (WB_SYNC_NONE) pages of @mapping from the caller, a batch at a
 * time, until below the limit or a round writes nothing (all that is left
 * is busy, pinned or in other mappings).  Linux rate-limits the check per
 * CPU; here it is two counter reads, done every time.
 */
void balance_dirty_pages_ratelimited(struct address_space *mapping)
{
	unsigned long bg, limit, nr;

	global_dirty_limits(&bg, &limit);
	nr = nr_dirty_pages();
	if (nr <= bg)
		return;
	wakeup_flusher_threads();
	if (!mapping->a_ops || !mapping->a_ops->writepage)
		return;

	while (nr > limit) {
		long batch = (long)(nr - limit);
		struct writeback_control wbc = {
			.sync_mode = WB_SYNC_NONE,
			.nr_to_write = batch < BALANCE_BATCH ? BALANCE_BATCH : batch,
			.range_start = 0,
			.range_end = LLONG_MAX,
		};
		long wanted = wbc.nr_to_write;

		do_writepages(mapping, &wbc);	/* errors are in wb_err */
		if (wbc.nr_to_write == wanted)
			break;		/* nothing more can be written */
		nr = nr_dirty_pages();
	}
}

/* --- the flusher thread ---------------------------------------------------------- */

/*
 * The background writeback thread (Linux's per-bdi flusher work, reduced
 * to one thread).  Every field is protected by @lock, a leaf; the thread
 * runs its passes without it.  @cond is initialised (CLOCK_MONOTONIC, for
 * the interval) once per process.
 *
 * Pass generations let a caller wait for a pass that started after it
 * asked: pnm_flusher_kick_and_wait() bumps @requested and waits until
 * @completed reaches that value; the thread snapshots @requested before
 * each pass and publishes it in @completed afterwards.
 */
static struct {
	pthread_mutex_t lock;
	pthread_cond_t cond;		/* thread waits; kickers wait for passes */
	pthread_t thread;
	bool running;			/* thread created, not yet joined */
	bool stop;			/* asked to exit */
	bool wake;			/* a wakeup is pending */
	unsigned long requested;	/* pass generation asked for */
	unsigned long completed;	/* pass generation finished */
	unsigned long passes;		/* passes run (statistics) */
	unsigned int interval_ms;
} flusher = { .lock = PTHREAD_MUTEX_INITIALIZER };

static void flusher_deadline(struct timespec *ts, unsigned int ms)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

static void *flusher_main(void *arg)
{
	struct timespec deadline;
	unsigned long gen;

	(void)arg;
	pthread_mutex_lock(&flusher.lock);
	while (!flusher.stop) {
		if (!flusher.wake) {
			flusher_deadline(&deadline, flusher.interval_ms);
			while (!flusher.wake && !flusher.stop &&
			       pthread_cond_timedwait(&flusher.cond, &flusher.lock,
						      &deadline) == 0)
				;
		}
		if (flusher.stop)
			break;
		flusher.wake = false;
		gen = flusher.requested;
		pthread_mutex_unlock(&flusher.lock);

		pnm_writeback_run(false);

		pthread_mutex_lock(&flusher.lock);
		flusher.passes++;
		if (gen > flusher.completed)
			flusher.completed = gen;
		pthread_cond_broadcast(&flusher.cond);
	}
	pthread_mutex_unlock(&flusher.lock);
	return NULL;
}

/*
 * wakeup_flusher_threads - make the flusher start a pass now, if it runs
 * (otherwise nothing).  Takes the flusher's mutex, a leaf: callable with
 * any model lock held.
 */
void wakeup_flusher_threads(void)
{
	pthread_mutex_lock(&flusher.lock);
	if (flusher.running) {
		flusher.wake = true;
		pthread_cond_broadcast(&flusher.cond);
	}
	pthread_mutex_unlock(&flusher.lock);
}

/*
 * pnm_flusher_kick_and_wait - wake the flusher and wait (condition
 * variable, no polling) until a pass that started after this call has
 * finished.  Returns 0, or -ESRCH if the thread is not running.  For
 * tests; caller holds no model lock the pass needs (folio locks...).
 */
int pnm_flusher_kick_and_wait(void)
{
	unsigned long gen;

	pthread_mutex_lock(&flusher.lock);
	if (!flusher.running) {
		pthread_mutex_unlock(&flusher.lock);
		return -ESRCH;
	}
	gen = ++flusher.requested;
	flusher.wake = true;
	pthread_cond_broadcast(&flusher.cond);
	while (flusher.completed < gen && flusher.running)
		pthread_cond_wait(&flusher.cond, &flusher.lock);
	pthread_mutex_unlock(&flusher.lock);
	return 0;
}

/* pnm_flusher_passes - passes the flusher has finished since it started. */
unsigned long pnm_flusher_passes(void)
{
	unsigned long n;

	pthread_mutex_lock(&flusher.lock);
	n = flusher.passes;
	pthread_mutex_unlock(&flusher.lock);
	return n;
}

static pthread_once_t flusher_once = PTHREAD_ONCE_INIT;

/* The condition variable measures timeouts on CLOCK_MONOTONIC; it is set
 * up once per process and never destroyed (like the folio wait table). */
static void flusher_cond_init(void)
{
	pthread_condattr_t attr;
	int err;

	err = pthread_condattr_init(&attr);
	if (!err)
		err = pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	if (!err)
		err = pthread_cond_init(&flusher.cond, &attr);
	if (err)
		PNM_DIE("flusher condvar", err);
	pthread_condattr_destroy(&attr);
}

/*
 * pnm_writeback_start - start the flusher thread with
 * pnm_config.writeback_interval_ms (0: 500).  Returns 0, -EBUSY if it
 * already runs, or -errno from pthread_create().  Call it outside any
 * model lock.
 */
int pnm_writeback_start(void)
{
	int err;

	err = pthread_once(&flusher_once, flusher_cond_init);
	if (err)
		return -err;
	pthread_mutex_lock(&flusher.lock);
	if (flusher.running) {
		pthread_mutex_unlock(&flusher.lock);
		return -EBUSY;
	}
	flusher.interval_ms = pnm_config.writeback_interval_ms ?
			      pnm_config.writeback_interval_ms : 500;
	flusher.stop = false;
	flusher.wake = false;
	flusher.requested = 0;
	flusher.completed = 0;
	flusher.passes = 0;
	err = pthread_create(&flusher.thread, NULL, flusher_main, NULL);
	if (err) {
		pthread_mutex_unlock(&flusher.lock);
		return -err;
	}
	flusher.running = true;
	pthread_mutex_unlock(&flusher.lock);
	return 0;
}

/*
 * pnm_writeback_stop - stop the flusher (if it runs) and wait for it to
 * exit; a pass in progress finishes first.  Callers waiting in
 * pnm_flusher_kick_and_wait() return.  Call it outside any model lock a
 * pass needs; not concurrently with pnm_writeback_start().
 */
void pnm_writeback_stop(void)
{
	pthread_t thread;

	pthread_mutex_lock(&flusher.lock);
	if (!flusher.running || flusher.stop) {
		pthread_mutex_unlock(&flusher.lock);
		return;
	}
	flusher.stop = true;
	thread = flusher.thread;
	pthread_cond_broadcast(&flusher.cond);
	pthread_mutex_unlock(&flusher.lock);

	pthread_join(thread, NULL);

	pthread_mutex_lock(&flusher.lock);
	flusher.running = false;
	flusher.stop = false;
	/* Waiters in pnm_flusher_kick_and_wait() re-check @running. */
	pthread_cond_broadcast(&flusher.cond);
	pthread_mutex_unlock(&flusher.lock);
}

/*
 * pnm_writeback_init - pnm_init()'s hook: an empty file LRU, and the
 * flusher started if @cfg->writeback_thread.  0 or -errno.
 */
int pnm_writeback_init(const struct pnm_config *cfg)
{
	pnm_lru_reset();
	if (!cfg->writeback_thread)
		return 0;
	return pnm_writeback_start();
}

/* pnm_writeback_fini - pnm_fini()'s hook: stop the flusher, if running. */
void pnm_writeback_fini(void)
{
	pnm_writeback_stop();
}

/* --- whole-system passes ------------------------------------------------------------ */

static bool over_background_thresh(void)
{
	unsigned long bg, limit;

	global_dirty_limits(&bg, &limit);
	return nr_dirty_pages() > bg;
}

/*
 * pnm_writeback_run - one flusher pass from the calling thread (contract
 * in writeback.h): WB_SYNC_NONE writeback of every live inode, in inode
 * table order; with @background, only while above the background
 * threshold.  Returns the pages written.  Errors are recorded on the
 * mappings.  Caller holds no folio lock and no inode table lock.
 */
long pnm_writeback_run(bool background)
{
	struct inode *inode = NULL;
	long written = 0;

	while ((inode = pnm_inode_next(inode))) {
		struct writeback_control wbc = {
			.sync_mode = WB_SYNC_NONE,
			.nr_to_write = LONG_MAX,
			.range_start = 0,
			.range_end = LLONG_MAX,
			.for_background = background,
		};

		if (background && !over_background_thresh()) {
			iput(inode);
			break;
		}
		do_writepages(inode->i_mapping, &wbc);
		written += LONG_MAX - wbc.nr_to_write;
	}
	return written;
}

/*
 * ksys_sync - sync(2): WB_SYNC_ALL writeback of every live inode's page
 * cache, waiting for it, then the filesystem's own part
 * (pnm_fs_sync_inode: dax persists its storage, disk syncs nothing more).
 * Errors are recorded on the mappings (reported by each opener's next
 * fsync), not returned, as sync(2) returns nothing.  Caller holds no
 * folio lock and no inode table lock.
 */
void ksys_sync(void)
{
	struct inode *inode = NULL;

	while ((inode = pnm_inode_next(inode))) {
		struct writeback_control wbc = {
			.sync_mode = WB_SYNC_ALL,
			.nr_to_write = LONG_MAX,
			.range_start = 0,
			.range_end = LLONG_MAX,
			.for_sync = 1,
		};
		int err = do_writepages(inode->i_mapping, &wbc);

		if (err != -EIO)
			fdatawait_range(inode->i_mapping, 0, LLONG_MAX);
		(void)pnm_fs_sync_inode(inode);		/* recorded in wb_err */
	}
}
