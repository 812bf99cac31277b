// SPDX-License-Identifier: MIT
/*
 * fs/dax.c - "dax": files whose pages are the storage itself, as on
 * persistent memory with a DAX-mounted filesystem (Linux's fs/dax.c plus
 * the ext4/xfs DAX paths).
 *
 * Storage.  The file's contents live in arena frames (ZONE_NORMAL,
 * order 0, PNM_NR_DAX_PAGES) held in mapping->i_pages, one reference each
 * (the storage's own), with folio->mapping/index set like a page-cache
 * folio so the rmap, GUP and the checkers treat them alike.  There is no
 * page cache in front of them: faults map the storage frame itself, read
 * and write copy to and from it directly, nothing is ever dirty (no
 * ->dirty_folio, no ->writepage), nothing is reclaimed (unevictable) or
 * migrated (->migrate_folio refuses).  A frame comes into existence the
 * first time its page is touched, filled from the host file
 * <data_dir>/<name> (zeroes beyond its end), so the host file plays the
 * medium the storage is loaded from; fsync, msync, sync(2) and eviction
 * write the frames back to it ("persist").
 *
 * Pins.  Short-term pins of dax pages work as for any page.  Long-term
 * pins are refused (gup.c: -EOPNOTSUPP in check_vma_flags() for
 * vma_is_fsdax(), and folio_is_longterm_pinnable() is false for dax
 * frames): the filesystem could never move or free that storage.
 * Truncating or punching over a frame that someone besides the storage
 * and its mappings references (a pin, a GUP reference) fails with -EBUSY
 * and changes nothing; Linux instead waits for the pin to be dropped
 * (dax_break_layout), which a model without a device to finish the DMA
 * could wait for forever.  A frame that gains such a reference after the
 * check lives on detached (PG_pnm_truncated), as a truncated page-cache
 * folio does.
 *
 * Layout leases (fs/locks.c) let a long-term owner pin dax frames; the
 * lease break before a truncate or punch gets those pins released or, past
 * the deadline, revoked by force: the owner is cut off from the device and
 * its frames quarantined (PG_pnm_quarantined).  A quarantined frame does
 * not make the change -EBUSY: its pins can no longer reach it, so the
 * change proceeds as on a disk file, and the frame leaves the storage
 * detached.  It is never reused while the late holder pins it (a page
 * re-created at its index is a new frame loaded from the host file), and
 * it is freed by the late unpin.  Persisting skips quarantined frames
 * still in the storage (PNM_WB_SKIP_QUARANTINED) until that unpin, as
 * writeback skips quarantined page-cache folios.
 *
 * Locking.  Frames are created under invalidate_lock shared (faults,
 * reads, writes) after i_size is checked, and removed under
 * invalidate_lock exclusive (truncate, punch; the caller holds i_lock
 * too), with the frame locked while it is unmapped and leaves the
 * storage.  i_pages and nrpages are under xa_lock.  Page data is copied
 * with the racy page copy (dma.c): a device may be writing it.
 */
#define _GNU_SOURCE		/* fallocate() on the host */
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

static const struct address_space_operations dax_aops;

static pgoff_t dax_size_pages(struct inode *inode)
{
	loff_t size = i_size_read(inode);

	return (pgoff_t)((size + (loff_t)PAGE_SIZE - 1) >> PAGE_SHIFT);
}

/* The frame at @index, referenced, or NULL.  Takes xa_lock.  Frames are
 * never frozen (not migratable), so the try_get only fails on a frame
 * being freed after it left the storage: treat it as absent. */
static struct folio *dax_lookup(struct address_space *mapping, pgoff_t index)
{
	struct folio *folio;

	spin_lock(&mapping->i_pages.xa_lock);
	folio = xa_load_locked(&mapping->i_pages, index);
	/* Fully ordered: pairs with the final put of a removed frame. */
	if (folio && !folio_try_get(folio))
		folio = NULL;
	spin_unlock(&mapping->i_pages.xa_lock);
	return folio;
}

/*
 * The frame at @index, referenced, created if absent: a new ZONE_NORMAL
 * frame filled from the host file (zeroes past its end) and inserted.
 * Returns the frame, or ERR_PTR(-ENOMEM, -EIO: injected read fault or
 * host error).  Caller holds invalidate_lock shared (so no truncate runs)
 * and has checked @index against i_size where that matters.
 */
static struct folio *dax_get_folio(struct inode *inode, pgoff_t index)
{
	struct address_space *mapping = inode->i_mapping;
	struct folio *folio, *old;
	ssize_t n;
	int err;

	folio = dax_lookup(mapping, index);
	if (folio)
		return folio;
	folio = folio_alloc(GFP_KERNEL, 0);
	if (!folio)
		return ERR_PTR(-ENOMEM);
	n = pnm_fs_io_fault(inode, PNM_IO_READ, false) ? -EIO :
	    pnm_host_pread(inode, folio_address(folio), PAGE_SIZE,
			   (loff_t)index << PAGE_SHIFT);
	if (n < 0) {
		folio_put(folio);
		return ERR_PTR(-EIO);
	}
	memset((char *)folio_address(folio) + n, 0, PAGE_SIZE - (size_t)n);
	folio_mark_uptodate(folio);
	folio->index = index;
	WRITE_ONCE(folio->mapping, mapping);
	folio_get(folio);		/* ours; the allocation's is the storage's */

	spin_lock(&mapping->i_pages.xa_lock);
	old = xa_load_locked(&mapping->i_pages, index);
	err = old ? -EEXIST : xa_store_locked(&mapping->i_pages, index, folio);
	if (!err)
		mapping->nrpages++;
	spin_unlock(&mapping->i_pages.xa_lock);
	if (err) {
		WRITE_ONCE(folio->mapping, NULL);
		folio_put_refs(folio, 2);
		if (err == -EEXIST)
			return dax_get_folio(inode, index);	/* someone was faster */
		return ERR_PTR(err);
	}
	mod_vm_stat(PNM_NR_DAX_PAGES, 1);
	count_vm_event(PGPGIN);
	return folio;
}

/*
 * Take the locked, unmapped @folio out of the storage and drop the
 * storage's reference.  If anyone else still holds it, it lives on
 * detached (PG_pnm_truncated; device writes into it reach no file).
 * Returns true in that case.  Caller holds a reference of its own.
 */
static bool dax_remove_frame(struct address_space *mapping, struct folio *folio)
{
	spin_lock(&mapping->i_pages.xa_lock);
	xa_erase_locked(&mapping->i_pages, folio->index);
	mapping->nrpages--;
	WRITE_ONCE(folio->mapping, NULL);
	spin_unlock(&mapping->i_pages.xa_lock);
	mod_vm_stat(PNM_NR_DAX_PAGES, -1);
	ClearPageDirty(&folio->page);
	/* Fully ordered: every reference taken before it is seen below. */
	folio_put(folio);
	if (folio_ref_count(folio) <= 1)
		return false;
	/* Counted before the flag is visible (page_alloc.c subtracts what
	 * it sees flagged when the frame is freed). */
	mod_vm_stat(PNM_NR_TRUNCATED_LIVE, 1);
	set_bit(PG_pnm_truncated, &folio->flags);
	smp_mb();	/* an exact-mode pin count follows its reference */
	if (folio_maybe_dma_pinned(folio))
		count_vm_event(PNM_TRUNCATE_PINNED);
	return true;
}

/*
 * Is the locked frame referenced by more than the storage, its mappings
 * and the caller (one reference)?  A quarantined frame is not busy: the
 * owners whose pins hold it were revoked by force at this change's lease
 * break (or an earlier one) and can no longer reach it through the
 * device, so it leaves the storage detached, as a pinned page leaves a
 * disk file's cache (any other pin it also carries writes into a frame
 * no file reads any more).  The flag was set by vp_revoke_force() before
 * pnm_break_layout() returned, in this thread, so it is seen here; a late
 * unpin clearing it meanwhile only drops references.
 */
static bool dax_frame_busy(struct folio *folio)
{
	if (test_bit(PG_pnm_quarantined, &folio->flags))
		return false;
	return folio_ref_count(folio) > 2 + folio_mapcount(folio);
}

/*
 * Drop the storage of pages [first, last] (a shrinking truncate or a
 * punch).  First every frame is checked under its lock: one that is
 * pinned or otherwise referenced, and not quarantined, makes it -EBUSY
 * with nothing changed.
 * Then each is locked, unmapped from every process (try_to_unmap, through
 * the file's i_mmap) and removed.  Caller holds i_lock and invalidate_lock
 * exclusive, and for a truncate has lowered i_size already (faults
 * beyond it get SIGBUS, so nothing re-creates the frames).
 */
static int dax_drop_range(struct inode *inode, pgoff_t first, pgoff_t last)
{
	struct address_space *mapping = inode->i_mapping;
	unsigned long dropped = 0, live = 0;
	pgoff_t index;

	for (index = first; index <= last && index >= first; index++) {
		struct folio *folio;
		unsigned long i = index;
		bool busy;

		folio = filemap_get_next_folio(mapping, &i, last);
		if (!folio)
			break;
		index = i;
		folio_lock(folio);
		busy = folio->mapping == mapping && dax_frame_busy(folio);
		folio_unlock(folio);
		folio_put(folio);
		if (busy)
			return -EBUSY;
	}

	index = first;
	while (index <= last) {
		unsigned long i = index;
		struct folio *folio;
		int err;

		folio = filemap_get_next_folio(mapping, &i, last);
		if (!folio)
			break;
		index = i;
		folio_lock(folio);
		if (folio->mapping != mapping) {
			folio_unlock(folio);
			folio_put(folio);
			continue;
		}
		/* dax frames are only PTE-mapped: this cannot fail. */
		err = try_to_unmap(folio, TTU_IGNORE_MLOCK);
		VM_BUG_ON_PAGE(err, &folio->page);
		dropped++;
		if (dax_remove_frame(mapping, folio))
			live++;
		folio_unlock(folio);
		folio_put(folio);
		if (++index == 0)
			break;
	}
	pnm_trace(PNM_TRACE_TRUNCATE, 0, inode->i_ino, (unsigned long)first << PAGE_SHIFT,
		  dropped, (long)live);
	return 0;
}

/* Zero [off, off + len) of the frame at @index, if it exists. */
static void dax_zero_partial(struct inode *inode, pgoff_t index, size_t off, size_t len)
{
	static const unsigned char zeroes[PAGE_SIZE];
	struct folio *folio = dax_lookup(inode->i_mapping, index);

	if (!folio)
		return;
	pnm_copy_to_page_racy((char *)folio_address(folio) + off, zeroes, len);
	folio_put(folio);
}

/* --- persistence ------------------------------------------------------------ */

/*
 * Persist [start, end] of @inode's storage to its host file (internal.h):
 * every existing frame in range, clamped to i_size, copied with the racy
 * page copy and written -- but a quarantined one (held by a pin owner
 * revoked by force) is left alone until its late unpin; then the host
 * size follows i_size and the host file is synced.  Injected write faults: -EIO/-ENOSPC skip the frame,
 * PNM_IO_SHORT writes half of it; each is recorded with
 * mapping_set_error() (PNM_WB_IO_ERRORS) and the first returned; so is
 * a host size that cannot be made i_size (fstat or ftruncate failing).
 * Caller holds no folio lock; takes i_lock for the size.
 */
int dax_writeback_range(struct inode *inode, loff_t start, loff_t end)
{
	struct address_space *mapping = inode->i_mapping;
	unsigned char buf[PAGE_SIZE];
	pgoff_t index = (pgoff_t)(start >> PAGE_SHIFT);
	pgoff_t last = end == LLONG_MAX ? ULONG_MAX : (pgoff_t)(end >> PAGE_SHIFT);
	int ret = 0, fd = PNM_I(inode)->host_fd;
	struct stat st;

	while (index <= last) {
		unsigned long i = index;
		loff_t pos, size = i_size_read(inode);
		struct folio *folio;
		size_t len;
		int err;

		folio = filemap_get_next_folio(mapping, &i, last);
		if (!folio)
			break;
		index = i;
		pos = (loff_t)index << PAGE_SHIFT;
		len = pos < size ? (size_t)min_t(loff_t, PAGE_SIZE, size - pos) : 0;
		if (len && test_bit(PG_pnm_quarantined, &folio->flags)) {
			count_vm_event(PNM_WB_SKIP_QUARANTINED);
			len = 0;
		}
		pnm_copy_from_page_racy(buf, folio_address(folio), len);
		folio_put(folio);

		err = len ? pnm_fs_io_fault(inode, PNM_IO_WRITE, false) : 0;
		if (err == PNM_IO_SHORT)
			len /= 2;
		if (len && err != -EIO && err != -ENOSPC &&
		    pnm_host_pwrite(inode, buf, len, pos) < 0)
			err = -EIO;
		if (err == PNM_IO_SHORT)
			err = -EIO;
		if (err) {
			mapping_set_error(mapping, err);
			count_vm_event(PNM_WB_IO_ERRORS);
			if (!ret)
				ret = err;
		} else if (len) {
			count_vm_event(PGPGOUT);
		}
		if (++index == 0)
			break;
	}
	mutex_lock(&inode->i_lock);
	if (fstat(fd, &st) ||
	    (st.st_size != i_size_read(inode) && pnm_ftruncate(fd, i_size_read(inode)))) {
		/* The host file's size is storage too: a writeback error
		 * every opener's next fsync reports, as a failed sync. */
		mapping_set_error(mapping, -EIO);
		count_vm_event(PNM_WB_IO_ERRORS);
		if (!ret)
			ret = -EIO;
	}
	mutex_unlock(&inode->i_lock);
	if (!ret)
		ret = pnm_host_sync(inode);
	return ret;
}

/* --- address space operations ---------------------------------------------- */

/* Storage never moves: the filesystem owns where it lives. */
static int dax_migrate_folio(struct address_space *mapping, struct folio *dst,
			     struct folio *src)
{
	(void)mapping;
	(void)dst;
	(void)src;
	return -EBUSY;
}

/* ->pnm_check_folio: a storage frame is order 0, ZONE_NORMAL, uptodate,
 * not on the LRU, without private state or writeback, not truncated. */
static bool dax_check_folio(struct address_space *mapping, struct folio *folio)
{
	(void)mapping;
	if (folio_test_large(folio) || page_zonenum(&folio->page) != ZONE_NORMAL ||
	    !folio_test_uptodate(folio) || PageLru(&folio->page) ||
	    PagePrivate(&folio->page) || folio_test_writeback(folio) ||
	    folio_test_swapbacked(folio))
		return pnm_check_fail("dax frame %#lx index %lu: order %u zone %d uptodate %d lru %d private %d writeback %d",
				      folio_pfn(folio), folio->index, folio_order(folio),
				      (int)page_zonenum(&folio->page),
				      folio_test_uptodate(folio), PageLru(&folio->page),
				      PagePrivate(&folio->page), folio_test_writeback(folio));
	return true;
}

static const struct address_space_operations dax_aops = {
	.migrate_folio = dax_migrate_folio,
	.pnm_check_folio = dax_check_folio,
};

/* --- faults ------------------------------------------------------------------- */

/*
 * ->fault of dax mappings: the storage frame of vmf->pgoff itself, locked
 * and referenced (VM_FAULT_LOCKED).  VM_FAULT_SIGBUS at or beyond i_size
 * (also when a truncate removed it meanwhile) or on a load error,
 * VM_FAULT_OOM.  No page cache, no ->page_mkwrite: writes need no
 * allocation.  Caller holds mmap_lock for read.
 */
static vm_fault_t dax_fault(struct vm_fault *vmf)
{
	struct inode *inode = vmf->vma->vm_file->f_inode;
	struct address_space *mapping = inode->i_mapping;
	struct folio *folio;

	down_read(&mapping->invalidate_lock);
	if (vmf->pgoff >= dax_size_pages(inode)) {
		up_read(&mapping->invalidate_lock);
		return VM_FAULT_SIGBUS;
	}
	folio = dax_get_folio(inode, vmf->pgoff);
	up_read(&mapping->invalidate_lock);
	if (IS_ERR(folio))
		return PTR_ERR(folio) == -ENOMEM ? VM_FAULT_OOM : VM_FAULT_SIGBUS;
	folio_lock(folio);
	/* Locked: a truncate either removed it (mapping gone) or waits. */
	if (READ_ONCE(folio->mapping) != mapping || vmf->pgoff >= dax_size_pages(inode)) {
		folio_unlock(folio);
		folio_put(folio);
		return VM_FAULT_SIGBUS;
	}
	vmf->page = &folio->page;
	return VM_FAULT_LOCKED;
}

static const char *dax_vma_name(struct vm_area_struct *vma)
{
	(void)vma;
	return "[dax]";
}

static const struct vm_operations_struct dax_vm_ops = {
	.fault = dax_fault,
	.name = dax_vma_name,
};

static int dax_mmap(struct file *file, struct vm_area_struct *vma)
{
	(void)file;
	vma->vm_ops = &dax_vm_ops;
	return 0;
}

/* --- read and write ------------------------------------------------------------ */

/*
 * ->read: copy from the storage frames, clamped to i_size (frames are
 * loaded as needed).  Bytes read, or -errno if none.  Takes
 * invalidate_lock shared per page.
 */
static ssize_t dax_file_read(struct file *file, void *buf, size_t count, loff_t *pos)
{
	struct inode *inode = file->f_inode;
	struct address_space *mapping = inode->i_mapping;
	unsigned char *dst = buf;
	ssize_t done = 0;
	int err = 0;

	while (count) {
		size_t off = (size_t)(*pos & (PAGE_SIZE - 1)), n;
		loff_t size;
		struct folio *folio;

		down_read(&mapping->invalidate_lock);
		size = i_size_read(inode);
		if (*pos >= size) {
			up_read(&mapping->invalidate_lock);
			break;
		}
		n = (size_t)min_t(loff_t, (loff_t)min_t(size_t, count, PAGE_SIZE - off),
				  size - *pos);
		folio = dax_get_folio(inode, (pgoff_t)(*pos >> PAGE_SHIFT));
		if (IS_ERR(folio)) {
			up_read(&mapping->invalidate_lock);
			err = (int)PTR_ERR(folio);
			break;
		}
		pnm_copy_from_page_racy(dst, (char *)folio_address(folio) + off, n);
		folio_put(folio);
		up_read(&mapping->invalidate_lock);
		dst += n;
		*pos += (loff_t)n;
		count -= n;
		done += (ssize_t)n;
	}
	return done ? done : err;
}

/*
 * ->write: copy into the storage frames (created as needed, also beyond
 * i_size), extending i_size.  Bytes written, or -errno if none.  Takes
 * i_lock, and invalidate_lock shared per page.
 */
static ssize_t dax_file_write(struct file *file, const void *buf, size_t count,
			      loff_t *pos)
{
	struct inode *inode = file->f_inode;
	struct address_space *mapping = inode->i_mapping;
	const unsigned char *src = buf;
	ssize_t done = 0;
	int err = 0;

	mutex_lock(&inode->i_lock);
	while (count) {
		size_t off = (size_t)(*pos & (PAGE_SIZE - 1));
		size_t n = min_t(size_t, count, PAGE_SIZE - off);
		struct folio *folio;

		down_read(&mapping->invalidate_lock);
		folio = dax_get_folio(inode, (pgoff_t)(*pos >> PAGE_SHIFT));
		if (IS_ERR(folio)) {
			up_read(&mapping->invalidate_lock);
			err = (int)PTR_ERR(folio);
			break;
		}
		pnm_copy_to_page_racy((char *)folio_address(folio) + off, src, n);
		folio_put(folio);
		up_read(&mapping->invalidate_lock);
		src += n;
		*pos += (loff_t)n;
		count -= n;
		done += (ssize_t)n;
		if (*pos > i_size_read(inode))
			i_size_write(inode, *pos);
	}
	mutex_unlock(&inode->i_lock);
	return done ? done : err;
}

/* ->fsync: persist the range, then this opener's unseen error (once). */
static int dax_fsync(struct file *file, loff_t start, loff_t end, int datasync)
{
	int err, err2;

	(void)datasync;
	err = dax_writeback_range(file->f_inode, start, end);
	err2 = file_check_and_advance_wb_err(file);
	return err ? err : err2;
}

static const struct file_operations dax_file_ops = {
	.mmap = dax_mmap,
	.release = pnm_file_release,
	.read = dax_file_read,
	.write = dax_file_write,
	.fsync = dax_fsync,
	.fallocate = pnm_generic_fallocate,
	.setsize = pnm_generic_setsize,
};

/* --- inode life cycle ------------------------------------------------------------ */

static int dax_init_inode(struct pnm_inode *pi)
{
	struct inode *inode = &pi->vfs;

	inode->i_flags |= S_DAX;
	address_space_init(&inode->i_data, inode, &dax_aops);
	mapping_set_unevictable(&inode->i_data);
	return 0;
}

/* evict_inode: persist everything, then free the storage (frames still
 * referenced, e.g. pinned, live on detached).  Nobody maps the file. */
static void dax_evict_inode(struct pnm_inode *pi)
{
	struct inode *inode = &pi->vfs;
	struct address_space *mapping = inode->i_mapping;
	unsigned long index = 0;

	dax_writeback_range(inode, 0, LLONG_MAX);
	for (;;) {
		struct folio *folio;

		spin_lock(&mapping->i_pages.xa_lock);
		folio = xa_find_locked(&mapping->i_pages, &index, ULONG_MAX);
		if (folio)
			folio_get(folio);	/* in storage: refcount >= 1 */
		spin_unlock(&mapping->i_pages.xa_lock);
		if (!folio)
			break;
		folio_lock(folio);
		VM_BUG_ON_PAGE(folio_mapped(folio), &folio->page);
		dax_remove_frame(mapping, folio);
		folio_unlock(folio);
		folio_put(folio);
	}
	address_space_destroy(mapping);
}

/*
 * setsize: shrinking drops the storage beyond the new size (-EBUSY if a
 * frame there is pinned and not quarantined: nothing changed) and zeroes the tail of the
 * last page; then the host file follows.  Caller holds i_lock and
 * invalidate_lock exclusive.  0, -EBUSY, -EIO.
 */
static int dax_setsize(struct inode *inode, loff_t size)
{
	loff_t old = i_size_read(inode);
	int err;

	if (size < old) {
		pgoff_t first = (pgoff_t)((size + (loff_t)PAGE_SIZE - 1) >> PAGE_SHIFT);

		i_size_write(inode, size);
		err = dax_drop_range(inode, first, ULONG_MAX);
		if (err) {
			i_size_write(inode, old);
			return err;
		}
		if (size & (PAGE_SIZE - 1))
			dax_zero_partial(inode, (pgoff_t)(size >> PAGE_SHIFT),
					 (size_t)(size & (PAGE_SIZE - 1)),
					 PAGE_SIZE - (size_t)(size & (PAGE_SIZE - 1)));
	} else {
		i_size_write(inode, size);
	}
	return pnm_ftruncate(PNM_I(inode)->host_fd, size) ? -EIO : 0;
}

/*
 * punch: drop the storage of the whole pages in [start, end] (-EBUSY if
 * one is pinned and not quarantined: nothing changed), zero the partial ones, punch the host
 * file.  Caller holds i_lock and invalidate_lock exclusive.
 */
static int dax_punch(struct inode *inode, loff_t start, loff_t end)
{
	pgoff_t first = (pgoff_t)((start + (loff_t)PAGE_SIZE - 1) >> PAGE_SHIFT);
	pgoff_t last_excl = (pgoff_t)((end + 1) >> PAGE_SHIFT);
	int err = 0;

	if (first < last_excl)
		err = dax_drop_range(inode, first, last_excl - 1);
	if (err)
		return err;
	if (start >> PAGE_SHIFT == end >> PAGE_SHIFT) {
		if (first >= last_excl)
			dax_zero_partial(inode, (pgoff_t)(start >> PAGE_SHIFT),
					 (size_t)(start & (PAGE_SIZE - 1)),
					 (size_t)(end - start + 1));
	} else {
		if (start & (PAGE_SIZE - 1))
			dax_zero_partial(inode, (pgoff_t)(start >> PAGE_SHIFT),
					 (size_t)(start & (PAGE_SIZE - 1)),
					 PAGE_SIZE - (size_t)(start & (PAGE_SIZE - 1)));
		if ((end + 1) & (PAGE_SIZE - 1))
			dax_zero_partial(inode, (pgoff_t)(end >> PAGE_SHIFT), 0,
					 (size_t)((end + 1) & (PAGE_SIZE - 1)));
	}
	if (pnm_fallocate(PNM_I(inode)->host_fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
		      start, end - start + 1)) {
		/* No hole punching on the host: the frames are gone, so the
		 * next load would see the old bytes; zero them instead. */
		static const unsigned char zeroes[PAGE_SIZE];
		loff_t pos = start;

		while (pos <= end) {
			size_t n = (size_t)min_t(loff_t, PAGE_SIZE, end - pos + 1);

			if (pnm_host_pwrite(inode, zeroes, n, pos) < 0)
				return -EIO;
			pos += (loff_t)n;
		}
	}
	return 0;
}

const struct pnm_fs_type_ops pnm_dax_fs_type = {
	.backed = true,
	.f_op = &dax_file_ops,
	.init_inode = dax_init_inode,
	.evict_inode = dax_evict_inode,
	.setsize = dax_setsize,
	.punch = dax_punch,
};
