// SPDX-License-Identifier: MIT
/*
 * truncate.c - taking folios out of a file's page cache: truncate and
 * ftruncate, hole punching, eviction, and dropping clean cache.
 *
 * A whole folio inside the range goes like this, with the folio locked:
 *
 *   1. wait for writeback to end;
 *   2. try_to_unmap(): every PTE mapping it (shared or private, in every
 *      process) is cleared, found through the file's i_mmap tree with no
 *      process's mmap_lock (rmap.h), so a process that holds its own
 *      mmap_lock, for as long as it likes, does not hold truncate up;
 *   3. its dirtiness is cancelled (the data is going away) and
 *      PG_pnm_nofs_dirty dropped;
 *   4. a_ops->invalidate_folio() for the whole folio (the fs drops its
 *      block state);
 *   5. filemap_remove_folio(): out of the xarray, mapping cleared, the
 *      cache's references dropped;
 *   6. if anyone else still holds it -- a pin above all, but also a GUP
 *      reference or a lookup that is waiting for our lock -- it lives on,
 *      detached: PG_pnm_truncated is set, PNM_NR_TRUNCATED_LIVE counts its
 *      pages until page_alloc.c frees it, and PNM_TRUNCATE_PINNED counts
 *      them if it may be DMA-pinned.  Nothing the device writes into it
 *      afterwards can reach the file.
 *
 * A folio only partly inside the range (the page holding the new EOF, or
 * a large folio straddling an edge) is unmapped too, then the covered
 * bytes are zeroed and invalidated; it stays cached.  Unmapping it first
 * means a later write through a mapping faults again and goes through
 * ->page_mkwrite (or gets SIGBUS beyond EOF), as Linux's
 * unmap_mapping_range() before truncate_inode_pages_range() ensures.
 *
 * Lock order: invalidate_lock (caller) -> folio lock -> i_mmap_rwsem (read,
 * inside try_to_unmap) -> ptl -> mapcount lock -> xa_lock.
 */
#include <limits.h>

#include "internal.h"

/*
 * The first folio with a slot in [*index, end], referenced; *index is set
 * to that slot and *next to the first index after the folio.  NULL when
 * there is none.  A frozen folio (being migrated or reclaimed) is waited
 * out.  Takes xa_lock.
 */
static struct folio *find_next_folio(struct address_space *mapping, pgoff_t *index,
				     pgoff_t end, pgoff_t *next)
{
	struct folio *folio = filemap_get_next_folio(mapping, index, end);

	if (folio)
		*next = folio->index + folio_nr_pages(folio);
	return folio;
}

/*
 * Steps 1 and 2 for the next folio with a slot in [*index, end]: it is
 * returned locked, still in @mapping, out of writeback and unmapped from
 * every process, with a reference; *index is its slot and *next the first
 * index after it.  NULL when none is left.  A folio that left the cache
 * while we waited for its lock is skipped.  Sleeps on the folio lock;
 * caller holds no folio lock, mmap_lock or ptl.
 */
static struct folio *lock_next_unmapped_folio(struct address_space *mapping, pgoff_t *index,
					      pgoff_t end, pgoff_t *next)
{
	struct folio *folio;
	int err;

	for (;;) {
		folio = find_next_folio(mapping, index, end, next);
		if (!folio)
			return NULL;
		folio_lock(folio);
		if (READ_ONCE(folio->mapping) == mapping)
			break;
		/* Left (or was replaced) while we waited: look again. */
		folio_unlock(folio);
		folio_put(folio);
	}
	folio_wait_writeback(folio);
	/* Cannot fail for cache folios, which are only PTE-mapped. */
	err = try_to_unmap(folio, TTU_IGNORE_MLOCK);
	VM_BUG_ON_PAGE(err, &folio->page);
	return folio;
}

/*
 * Steps 3-6 for the locked, unmapped @folio.  Returns true if it lives on
 * detached (still referenced by someone besides the caller).
 */
static bool truncate_whole_folio(struct address_space *mapping, struct folio *folio)
{
	long nr = (long)folio_nr_pages(folio);

	if (folio_test_dirty(folio))
		folio_cancel_dirty(folio);
	clear_bit(PG_pnm_nofs_dirty, &folio->flags);
	if (mapping->a_ops && mapping->a_ops->invalidate_folio)
		mapping->a_ops->invalidate_folio(folio, 0, folio_size(folio));
	filemap_remove_folio(folio);
	/*
	 * filemap_remove_folio() ended with a fully ordered RMW on
	 * _refcount, so this read sees every reference taken before it;
	 * none can be taken through the cache or a PTE any more.
	 */
	if (folio_ref_count(folio) <= 1)
		return false;
	/* Counted before the flag is visible: the free path (page_alloc.c)
	 * subtracts only what it sees flagged. */
	mod_vm_stat(PNM_NR_TRUNCATED_LIVE, nr);
	set_bit(PG_pnm_truncated, &folio->flags);
	/* Full barrier so an exact-mode pin count written after its
	 * reference is seen (the pin order is refcount, then pin count). */
	smp_mb();
	if (folio_maybe_dma_pinned(folio))
		count_vm_events(PNM_TRUNCATE_PINNED, nr);
	return true;
}

/*
 * truncate_inode_pages_range - remove the cache of [lstart, lend] (bytes,
 * inclusive; lend -1 to the end), see pagemap.h and the top of this file.
 * Each folio is locked (sleeping) in index order; one PNM_TRACE_TRUNCATE per
 * call.  Caller holds no folio lock, mmap_lock or ptl.
 */
void truncate_inode_pages_range(struct address_space *mapping, loff_t lstart,
				loff_t lend)
{
	unsigned long dropped = 0, live = 0;
	pgoff_t start, end, index, next;

	if (lend == -1)
		lend = LLONG_MAX;
	if (lstart < 0 || lend < lstart)
		return;
	start = (pgoff_t)(lstart >> PAGE_SHIFT);
	end = (pgoff_t)(lend >> PAGE_SHIFT);
	for (index = start; index <= end; index = next) {
		struct folio *folio = lock_next_unmapped_folio(mapping, &index, end, &next);
		loff_t fstart, fend;

		if (!folio)
			break;
		fstart = folio_pos(folio);
		fend = fstart + (loff_t)folio_size(folio) - 1;
		if (fstart >= lstart && fend <= lend) {
			dropped += folio_nr_pages(folio);
			if (truncate_whole_folio(mapping, folio))
				live += folio_nr_pages(folio);
		} else {
			loff_t zs = fstart > lstart ? fstart : lstart;
			loff_t ze = fend < lend ? fend : lend;
			size_t off = (size_t)(zs - fstart), len = (size_t)(ze - zs + 1);

			pnm_folio_zero_range(folio, off, len);
			if (mapping->a_ops && mapping->a_ops->invalidate_folio)
				mapping->a_ops->invalidate_folio(folio, off, len);
		}
		folio_unlock(folio);
		folio_put(folio);
		if (next == 0)
			break;		/* wrapped at the end of the index space */
	}
	pnm_trace(PNM_TRACE_TRUNCATE, 0, mapping->host ? mapping->host->i_ino : 0,
		  (unsigned long)lstart, dropped, (long)live);
}

/*
 * invalidate_inode_pages2_range - take every folio with a page in
 * [start, end] (page indices) out of @mapping's cache, so that the next
 * access reads the backing store (pagemap.h).  What Direct IO needs
 * around a direct write: a whole folio overlapping the range goes, even
 * if only partly inside.  Each folio is locked (sleeping), waited for
 * writeback and unmapped from every process; a dirty one (a store since
 * the caller wrote the range back) or one whose private state the
 * filesystem will not release stays, and the result is -EBUSY.  A clean
 * folio still referenced after removal (a pin) lives on detached, as
 * after a truncate.  Returns 0 or -EBUSY.  Caller holds no folio lock,
 * mmap_lock or ptl; no invalidate_lock is needed (faults may bring pages
 * back at once, as in Linux).
 */
int invalidate_inode_pages2_range(struct address_space *mapping, pgoff_t start, pgoff_t end)
{
	pgoff_t index, next;
	int ret = 0;

	for (index = start; index <= end; index = next) {
		struct folio *folio = lock_next_unmapped_folio(mapping, &index, end, &next);

		if (!folio)
			break;
		if (folio_test_dirty(folio) ||
		    (PagePrivate(&folio->page) && mapping->a_ops &&
		     mapping->a_ops->release_folio && !mapping->a_ops->release_folio(folio))) {
			/* No ->launder_folio in the model's filesystems. */
			ret = -EBUSY;
		} else {
			truncate_whole_folio(mapping, folio);
		}
		folio_unlock(folio);
		folio_put(folio);
		if (next == 0)
			break;
	}
	return ret;
}

/*
 * truncate_inode_pages - truncate_inode_pages_range() from @lstart to the
 * end of the file.  Same context; eviction calls it with lstart 0 as the
 * last user of the inode (no lock needed then).
 */
void truncate_inode_pages(struct address_space *mapping, loff_t lstart)
{
	truncate_inode_pages_range(mapping, lstart, -1);
}

/*
 * truncate_setsize - ftruncate's cache part (pagemap.h): i_size becomes
 * @newsize first, then a shrink drops the cache from @newsize on (the
 * page holding the new EOF is zeroed beyond it).  Growing only sets the
 * size.  Caller holds inode->i_lock and invalidate_lock exclusive.
 */
void truncate_setsize(struct inode *inode, loff_t newsize)
{
	loff_t oldsize = i_size_read(inode);

	i_size_write(inode, newsize);
	if (newsize < oldsize)
		truncate_inode_pages(inode->i_mapping, newsize);
}

/*
 * truncate_pagecache_range - a hole punched in [lstart, lend] (bytes,
 * inclusive): whole folios inside leave the cache, partly covered ones
 * are zeroed there.  Caller holds i_lock and invalidate_lock exclusive
 * and punches the backing store itself (before or after; faults are kept
 * out by invalidate_lock).
 */
void truncate_pagecache_range(struct inode *inode, loff_t lstart, loff_t lend)
{
	truncate_inode_pages_range(inode->i_mapping, lstart, lend);
}

/*
 * May @folio (locked, in @mapping) be dropped by invalidate_mapping_pages()?
 * Only if nothing but the cache and the caller hold it and nothing makes
 * its data precious.
 */
static bool folio_invalidatable(struct address_space *mapping, struct folio *folio)
{
	long nr = (long)folio_nr_pages(folio);

	if (folio_test_dirty(folio) || folio_test_writeback(folio) || folio_mapped(folio))
		return false;
	if (folio_maybe_dma_pinned(folio))
		return false;
	/* Any reference besides ours and the cache's (a legacy pin, GUP). */
	if (folio_ref_count(folio) > 1 + nr)
		return false;
	if (PagePrivate(&folio->page) && mapping->a_ops && mapping->a_ops->release_folio &&
	    !mapping->a_ops->release_folio(folio))
		return false;
	return true;
}

/*
 * invalidate_mapping_pages - drop the clean, unused folios lying wholly in
 * [start, end] (page indices): not dirty, under writeback, mapped, maybe
 * pinned, otherwise referenced or locked (trylock only; never sleeps on a
 * folio), and whose private state the fs releases.  Returns the pages
 * dropped.  Caller holds no folio lock; any other context is fine.
 */
unsigned long invalidate_mapping_pages(struct address_space *mapping,
				       pgoff_t start, pgoff_t end)
{
	unsigned long count = 0;
	pgoff_t index, next;

	for (index = start; index <= end; index = next) {
		struct folio *folio = find_next_folio(mapping, &index, end, &next);

		if (!folio)
			break;
		if (folio_trylock(folio)) {
			if (READ_ONCE(folio->mapping) == mapping &&
			    folio->index >= start && next - 1 <= end &&
			    folio_invalidatable(mapping, folio)) {
				count += folio_nr_pages(folio);
				filemap_remove_folio(folio);
			}
			folio_unlock(folio);
		}
		folio_put(folio);
		if (next == 0)
			break;
	}
	return count;
}
