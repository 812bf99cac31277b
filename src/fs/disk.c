// SPDX-License-Identifier: MIT
/*
 * fs/disk.c - "disk", the model's ext4-like filesystem: files backed by
 * real host files, a page cache in front of them, and per-page block
 * state that tells when a page was dirtied behind the filesystem's back.
 *
 * Backing.  Each inode owns one host file descriptor (namei.c opened
 * <data_dir>/<name>); i_size starts as the host file's size.  Folios are
 * read with pread (->read_folio, zeroes past the host EOF) and written
 * with pwrite (->writepage, clamped to i_size).  The host file's size
 * follows i_size at fsync, ftruncate, fallocate and eviction.
 *
 * Block state (Linux: buffer heads with mapped, allocated blocks).  A
 * folio's state is a struct disk_blocks in folio->private, with
 * PG_private set, one "mapped" bit per page.  It is created when the
 * filesystem is told the folio will be written -- ->write_begin (write(2))
 * and disk_page_mkwrite() (the first CPU write through a shared mapping
 * after the page was clean) -- which is where a real filesystem allocates
 * blocks, so an injected -ENOSPC fails exactly those.  It is dropped when
 * writeback has cleaned a folio that is not maybe pinned (modelling
 * reclaim stripping the buffers of clean pages; Linux keeps them on
 * pinned pages since 2023), by ->release_folio (reclaim), and by
 * ->invalidate_folio for the pages a truncate or hole punch removes.
 *
 * The invariant every filesystem of this kind relies on: a dirty folio
 * has block state, because data only changes between write_begin and
 * write_end or between page_mkwrite and writepage.  A device writing
 * into a page through a pin breaks it (the 2018 reports): writeback
 * cleans the page, write-protects its PTEs and drops the blocks; the
 * device keeps writing through its page array; unpin_user_pages_dirty_lock()
 * then dirties the folio with no block state.  disk_dirty_folio() detects
 * that, reports it once per folio (pnm_log), counts
 * PNM_FS_DIRTY_NO_BLOCKS, emits PNM_TRACE_FS_VIOLATION, sets
 * PG_pnm_nofs_dirty and then dirties the folio anyway (what ext4's
 * set_page_dirty did).  ->writepage cannot write such a folio (no blocks
 * to write to): it counts PNM_WB_LOST, reports, writes nothing -- the
 * host file keeps the old data -- and fails with -EIO, which fsync then
 * reports to each opener.  Linux BUG()ed in ext4_writepage or lost the
 * data silently; the model loses it loudly.
 *
 * A page whose block was dropped by a partial truncate or punch while
 * the rest of its (large, dirty) folio stayed cached is remembered in
 * the "punched" bits; writeback writes it again (delayed allocation), so
 * its bytes (zeroes, or what was written since) are not lost.
 *
 * Locking.  Block state is changed under the folio lock only (the
 * writers: write_begin, page_mkwrite, writepage, invalidate_folio,
 * release_folio all hold it); disk_dirty_folio() may run without it
 * (GUP's FOLL_TOUCH under a ptl) and then only reads PG_private and the
 * pointer (relaxed).  i_size changes under inode->i_lock (write_end runs
 * under the writer's i_lock).  Host I/O takes no model lock.
 */
#define _GNU_SOURCE		/* fallocate() on the host */
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

#define DISK_BLOCKS_MAGIC	0xd15cb10cU

/* The block state of one folio (folio->private; folio lock). */
struct disk_blocks {
	unsigned int magic;
	unsigned int nr;		/* pages of the folio when attached */
	unsigned long mapped;		/* bit i: page i has its block */
	unsigned long punched;		/* bit i: block dropped by a partial
					 * invalidate, data still cached */
};

BUILD_BUG_ON((1UL << PNM_MAX_PAGECACHE_ORDER) > BITS_PER_LONG);

static const struct address_space_operations disk_aops;

static unsigned long all_pages(unsigned long nr)
{
	return nr >= BITS_PER_LONG ? ~0UL : (1UL << nr) - 1;
}

/* The folio's block state, or NULL.  Relaxed: exact under the folio lock. */
static struct disk_blocks *folio_blocks(struct folio *folio)
{
	if (!PagePrivate(&folio->page))
		return NULL;
	return (struct disk_blocks *)READ_ONCE(folio->private);
}

/*
 * Give every page of the locked @folio a block (write_begin,
 * page_mkwrite).  Allocating is where an injected -ENOSPC (PNM_IO_WRITE)
 * strikes; pages that already have blocks need none.  Clears
 * PG_pnm_nofs_dirty: from now on the filesystem knows the folio is being
 * written.  0, -ENOSPC or -ENOMEM (nothing changed).
 */
static int disk_attach_blocks(struct inode *inode, struct folio *folio)
{
	unsigned long nr = folio_nr_pages(folio);
	struct disk_blocks *b = folio_blocks(folio);
	int err;

	VM_BUG_ON_PAGE(!folio_test_locked(folio), &folio->page);
	if (b && b->mapped == all_pages(nr))
		return 0;
	err = pnm_fs_io_fault(inode, PNM_IO_WRITE, true);
	if (err)
		return err;
	if (!b) {
		b = pnm_calloc(PNM_FAULT_ALLOC, 1, sizeof(*b));
		if (!b)
			return -ENOMEM;
		b->magic = DISK_BLOCKS_MAGIC;
		b->nr = (unsigned int)nr;
		WRITE_ONCE(folio->private, (unsigned long)b);
		SetPagePrivate(&folio->page);
	}
	b->mapped = all_pages(nr);
	b->punched = 0;
	clear_bit(PG_pnm_nofs_dirty, &folio->flags);
	return 0;
}

/* Free the locked @folio's block state (if any). */
static void disk_drop_blocks(struct folio *folio)
{
	struct disk_blocks *b = folio_blocks(folio);

	if (!b)
		return;
	ClearPagePrivate(&folio->page);
	WRITE_ONCE(folio->private, 0UL);
	free(b);
}

/* Pages of @folio that hold file data below @size (at least 0). */
static unsigned long pages_below(struct folio *folio, loff_t size)
{
	loff_t pos = folio_pos(folio);

	if (size <= pos)
		return 0;
	return min_t(unsigned long, folio_nr_pages(folio),
		     (unsigned long)((size - pos + (loff_t)PAGE_SIZE - 1) >> PAGE_SHIFT));
}

/* --- address space operations ---------------------------------------------- */

/*
 * ->read_folio: fill the locked, !uptodate @folio from the host file,
 * zeroes past the host EOF; PGPGIN.  An injected read fault or a host
 * error is -EIO (the folio stays !uptodate).  The folio is neither mapped
 * nor visible uptodate yet, so plain copies are fine.
 */
static int disk_read_folio(struct file *file, struct folio *folio)
{
	struct inode *inode = folio->mapping->host;
	size_t size = folio_size(folio);
	ssize_t n;

	(void)file;
	if (pnm_fs_io_fault(inode, PNM_IO_READ, false))
		return -EIO;
	n = pnm_host_pread(inode, folio_address(folio), size, folio_pos(folio));
	if (n < 0)
		return -EIO;
	memset((char *)folio_address(folio) + n, 0, size - (size_t)n);
	/* Set after the data: readers test it under the folio lock, or
	 * without it and then copy with the relaxed racy copy, which the
	 * folio lock release (our caller's unlock) orders. */
	folio_mark_uptodate(folio);
	count_vm_events(PGPGIN, (long)folio_nr_pages(folio));
	return 0;
}

/*
 * ->dirty_folio: the filesystem learns that @folio is dirty.  Without
 * block state that is the 2018 failure (see the top of the file): report
 * it once per folio, then dirty the folio anyway.  Caller normally holds
 * the folio lock (GUP's FOLL_TOUCH may hold only a ptl: the checks are
 * then racy reads, which is as good as Linux's).
 */
static bool disk_dirty_folio(struct address_space *mapping, struct folio *folio)
{
	if (!folio_blocks(folio) &&
	    !test_and_set_bit(PG_pnm_nofs_dirty, &folio->flags)) {
		struct inode *inode = mapping->host;

		pnm_log(PNM_LOG_WARN,
			"pinmm: disk: %s page %lu dirtied without block state "
			"(pfn %#lx: written behind the filesystem's back, e.g. by a "
			"device through a pin after writeback cleaned it)",
			pnm_inode_name(inode), folio->index, folio_pfn(folio));
		count_vm_event(PNM_FS_DIRTY_NO_BLOCKS);
		pnm_trace(PNM_TRACE_FS_VIOLATION, 0, inode->i_ino, folio_pfn(folio),
			  folio->index, PNM_FS_VIOL_DIRTY_NO_BLOCKS);
	}
	return filemap_dirty_folio(mapping, folio);
}

/*
 * pwrite @len bytes from @src to the host at @pos.  A bounce copy is
 * private and written as is; an in-place source (the folio itself, which
 * a device may be writing) is staged a page at a time with the racy page
 * copy, so the host write never reads racing memory directly.  Bytes
 * written, or -EIO.
 */
static ssize_t disk_write_out(struct inode *inode, const unsigned char *src, size_t len,
			      loff_t pos, bool bounced)
{
	unsigned char stage[PAGE_SIZE];
	size_t done = 0;

	if (bounced)
		return pnm_host_pwrite(inode, src, len, pos) < 0 ? -EIO : (ssize_t)len;
	while (done < len) {
		size_t n = min_t(size_t, len - done, sizeof(stage));

		pnm_copy_from_page_racy(stage, src + done, n);
		if (pnm_host_pwrite(inode, stage, n, pos + (loff_t)done) < 0)
			return -EIO;
		done += n;
	}
	return (ssize_t)done;
}

/*
 * ->writepage: write the locked @folio (PG_writeback set) from
 * wbc->pnm_src, clamped to i_size, to the host file.  Without block state
 * nothing can be written: PNM_WB_LOST, reported, and -EIO, so that the
 * loss reaches every opener's next fsync through errseq (the data is
 * lost, the host keeps the old bytes; it is never dropped silently).  An in-place source is staged with the racy
 * page copy (a device may be writing it).  Injected faults: -EIO and
 * -ENOSPC write nothing; PNM_IO_SHORT stores the first half and is -EIO.
 * After a good write of a folio that is now clean and not maybe pinned,
 * the block state is dropped.  PGPGOUT counts pages written.
 */
static int disk_writepage(struct folio *folio, struct writeback_control *wbc)
{
	struct inode *inode = folio->mapping->host;
	loff_t pos = folio_pos(folio), size = i_size_read(inode);
	const unsigned char *src = wbc->pnm_src;
	unsigned long pages;
	size_t len;
	ssize_t n;
	int err;

	VM_BUG_ON_PAGE(!folio_test_locked(folio), &folio->page);
	if (pos >= size)
		return 0;		/* all beyond EOF: truncate drops it */
	len = (size_t)min_t(loff_t, (loff_t)folio_size(folio), size - pos);
	pages = pages_below(folio, size);

	if (!folio_blocks(folio)) {
		pnm_log(PNM_LOG_ERR,
			"pinmm: disk: %s page %lu: dirty without block state, cannot be "
			"written: %lu page%s lost (the disk keeps the old data)",
			pnm_inode_name(inode), folio->index, pages, pages == 1 ? "" : "s");
		count_vm_events(PNM_WB_LOST, (long)pages);
		pnm_trace(PNM_TRACE_FS_VIOLATION, 0, inode->i_ino, folio_pfn(folio),
			  folio->index, PNM_FS_VIOL_WB_LOST);
		clear_bit(PG_pnm_nofs_dirty, &folio->flags);
		return -EIO;
	}

	err = pnm_fs_io_fault(inode, PNM_IO_WRITE, false);
	if (err == -EIO || err == -ENOSPC)
		return err;
	if (err == PNM_IO_SHORT)
		len /= 2;
	n = disk_write_out(inode, src, len, pos, wbc->pnm_bounced);
	if (n < 0)
		return -EIO;
	if (err == PNM_IO_SHORT) {
		count_vm_events(PGPGOUT, (long)((len + PAGE_SIZE - 1) >> PAGE_SHIFT));
		return -EIO;
	}
	count_vm_events(PGPGOUT, (long)pages);
	if (!folio_test_dirty(folio) && !folio_maybe_dma_pinned(folio))
		disk_drop_blocks(folio);
	return 0;
}

/*
 * ->write_begin: the locked, referenced folio covering @pos, read first
 * unless the write covers all of it, with blocks for every page.  On
 * error a folio created beyond EOF for this write is removed again, so a
 * failed extending write leaves nothing behind.  Caller holds i_lock.
 */
static int disk_write_begin(struct file *file, struct address_space *mapping,
			    loff_t pos, unsigned int len, struct folio **foliop)
{
	struct inode *inode = mapping->host;
	struct folio *folio;
	size_t off;
	int err = 0;

	folio = __filemap_get_folio(mapping, (pgoff_t)(pos >> PAGE_SHIFT),
				    FGP_WRITEBEGIN | fgf_set_order(PNM_MAX_PAGECACHE_ORDER),
				    GFP_HIGHUSER_MOVABLE);
	if (IS_ERR(folio))
		return (int)PTR_ERR(folio);
	off = (size_t)(pos - folio_pos(folio));
	if (!folio_test_uptodate(folio) && (off || len != folio_size(folio))) {
		err = disk_read_folio(file, folio);
		if (err)
			goto fail;
	}
	err = disk_attach_blocks(inode, folio);
	if (err)
		goto fail;
	*foliop = folio;
	return 0;

fail:
	if (folio_pos(folio) >= i_size_read(inode) && !folio_mapped(folio) &&
	    !folio_test_dirty(folio) && !folio_test_writeback(folio))
		filemap_remove_folio(folio);
	folio_unlock(folio);
	folio_put(folio);
	return err;
}

/*
 * ->write_end: @copied bytes landed at @pos: the folio becomes uptodate
 * if the write covered it, is dirtied through the filesystem (it has
 * blocks), i_size grows; unlock and put.  Returns @copied (0 if a short
 * copy left a !uptodate folio unusable).  Caller holds i_lock.
 */
static int disk_write_end(struct file *file, struct address_space *mapping,
			  loff_t pos, unsigned int len, unsigned int copied,
			  struct folio *folio)
{
	struct inode *inode = mapping->host;

	(void)file;
	if (!folio_test_uptodate(folio)) {
		if (copied < len)
			copied = 0;
		else
			folio_mark_uptodate(folio);
	}
	if (copied) {
		folio_mark_dirty(folio);
		if (pos + copied > i_size_read(inode))
			i_size_write(inode, pos + copied);
	}
	folio_unlock(folio);
	folio_put(folio);
	return (int)copied;
}

/*
 * ->invalidate_folio: [off, off + len) of the locked @folio is being
 * truncated or punched.  The whole folio: drop its block state (and the
 * "reported" mark: there is nothing left to lose).  Part of it: drop the
 * blocks of the pages entirely inside, remembering them as punched.
 */
static void disk_invalidate_folio(struct folio *folio, size_t off, size_t len)
{
	struct disk_blocks *b = folio_blocks(folio);
	size_t first, end;

	if (!off && len >= folio_size(folio)) {
		disk_drop_blocks(folio);
		clear_bit(PG_pnm_nofs_dirty, &folio->flags);
		return;
	}
	if (!b)
		return;
	first = (off + PAGE_SIZE - 1) >> PAGE_SHIFT;
	end = min_t(size_t, off + len, folio_size(folio)) >> PAGE_SHIFT;
	for (; first < end; first++) {
		if (b->mapped & (1UL << first)) {
			b->mapped &= ~(1UL << first);
			b->punched |= 1UL << first;
		}
	}
}

/* ->release_folio (reclaim): a clean, idle folio may lose its blocks. */
static bool disk_release_folio(struct folio *folio)
{
	if (folio_test_dirty(folio) || folio_test_writeback(folio))
		return false;
	disk_drop_blocks(folio);
	return true;
}

/* ->migrate_folio: the block state travels in folio->private (migrate.c
 * copies private and PG_private), so any folio may move. */
static int disk_migrate_folio(struct address_space *mapping, struct folio *dst,
			      struct folio *src)
{
	(void)mapping;
	(void)dst;
	(void)src;
	return 0;
}

/*
 * ->pnm_check_folio: block state well formed and owned (PG_private iff a
 * state); a dirty folio has a block (or a punched mark) for every page
 * below i_size unless it was reported as dirtied behind the filesystem's
 * back (PG_pnm_nofs_dirty), which in turn only marks dirty folios; dirty
 * implies uptodate.
 */
static bool disk_check_folio(struct address_space *mapping, struct folio *folio)
{
	unsigned long pfn = folio_pfn(folio), nr = folio_nr_pages(folio);
	bool nofs = test_bit(PG_pnm_nofs_dirty, &folio->flags);
	struct disk_blocks *b = folio_blocks(folio);
	unsigned long need;

	if (PagePrivate(&folio->page) &&
	    (!b || b->magic != DISK_BLOCKS_MAGIC || b->nr != nr ||
	     ((b->mapped | b->punched) & ~all_pages(nr)) || (b->mapped & b->punched)))
		return pnm_check_fail("disk folio %#lx index %lu: bad block state %p",
				      pfn, folio->index, (void *)b);
	if (!PagePrivate(&folio->page) && folio->private)
		return pnm_check_fail("disk folio %#lx index %lu: private %#lx without PG_private",
				      pfn, folio->index, folio->private);
	if (nofs && !folio_test_dirty(folio))
		return pnm_check_fail("disk folio %#lx index %lu: PG_pnm_nofs_dirty on a clean folio",
				      pfn, folio->index);
	if (!folio_test_dirty(folio) || nofs)
		return true;
	if (!folio_test_uptodate(folio))
		return pnm_check_fail("disk folio %#lx index %lu: dirty but not uptodate",
				      pfn, folio->index);
	need = all_pages(pages_below(folio, i_size_read(mapping->host)));
	if (!b || (need & ~(b->mapped | b->punched)))
		return pnm_check_fail("disk folio %#lx index %lu: dirty without block state (blocks %#lx, punched %#lx, needed %#lx) and not reported",
				      pfn, folio->index, b ? b->mapped : 0UL,
				      b ? b->punched : 0UL, need);
	return true;
}

static const struct address_space_operations disk_aops = {
	.read_folio = disk_read_folio,
	.dirty_folio = disk_dirty_folio,
	.writepage = disk_writepage,
	.write_begin = disk_write_begin,
	.write_end = disk_write_end,
	.invalidate_folio = disk_invalidate_folio,
	.release_folio = disk_release_folio,
	.migrate_folio = disk_migrate_folio,
	.pnm_check_folio = disk_check_folio,
};

/* --- faults ------------------------------------------------------------------ */

/*
 * ->page_mkwrite of disk mappings: the first write to a clean shared page.
 * Lock the folio; if a truncate took it out of the file meanwhile, let the
 * fault retry (VM_FAULT_NOPAGE); wait for writeback; allocate its blocks
 * (an injected -ENOSPC is VM_FAULT_SIGBUS, no memory VM_FAULT_OOM) and
 * dirty it.  Returns VM_FAULT_LOCKED with the folio locked.  Caller holds
 * mmap_lock (read) and a reference on the folio, not its lock.
 */
vm_fault_t disk_page_mkwrite(struct vm_fault *vmf)
{
	struct folio *folio = page_folio(vmf->page);
	struct inode *inode = vmf->vma->vm_file->f_inode;
	int err;

	folio_lock(folio);
	if (READ_ONCE(folio->mapping) != inode->i_mapping ||
	    folio_pos(folio) >= i_size_read(inode)) {
		folio_unlock(folio);
		return VM_FAULT_NOPAGE;
	}
	folio_wait_stable(folio);
	err = disk_attach_blocks(inode, folio);
	if (err) {
		folio_unlock(folio);
		return err == -ENOMEM ? VM_FAULT_OOM : VM_FAULT_SIGBUS;
	}
	folio_mark_dirty(folio);
	return VM_FAULT_LOCKED;
}

static const char *disk_vma_name(struct vm_area_struct *vma)
{
	(void)vma;
	return "[disk]";
}

static const struct vm_operations_struct disk_vm_ops = {
	.fault = filemap_fault,
	.page_mkwrite = disk_page_mkwrite,
	.name = disk_vma_name,
};

/* ->mmap: faults go through the page cache, writes through page_mkwrite. */
static int disk_mmap(struct file *file, struct vm_area_struct *vma)
{
	(void)file;
	vma->vm_ops = &disk_vm_ops;
	return 0;
}

/* --- file operations ----------------------------------------------------------- */

/* ->write: buffered write under i_lock (Linux's i_rwsem). */
static ssize_t disk_file_write(struct file *file, const void *buf, size_t count,
			       loff_t *pos)
{
	struct inode *inode = file->f_inode;
	ssize_t ret;

	mutex_lock(&inode->i_lock);
	ret = generic_perform_write(file, buf, count, pos);
	mutex_unlock(&inode->i_lock);
	return ret;
}

/* Make the host file's size i_size (metadata sync).  A failure is a
 * writeback error, recorded in wb_err (PNM_WB_IO_ERRORS) for every
 * opener, as a failed data sync is.  Caller holds i_lock or is the last
 * user.  0 or -EIO. */
static int disk_sync_size(struct inode *inode)
{
	int fd = PNM_I(inode)->host_fd;
	loff_t size = i_size_read(inode);
	struct stat st;

	if (!fstat(fd, &st) && (st.st_size == size || !pnm_ftruncate(fd, size)))
		return 0;
	mapping_set_error(inode->i_mapping, -EIO);
	count_vm_event(PNM_WB_IO_ERRORS);
	return -EIO;
}

/*
 * ->fsync: write back and wait for [start, end], report this opener's
 * unseen writeback error (once), then make the host file's size and data
 * durable.  A failed host size or sync is a writeback error
 * (disk_sync_size(), pnm_host_sync()):
 * this opener gets -EIO now, every other opener at its next fsync.
 * Caller holds no model lock.
 */
static int disk_fsync(struct file *file, loff_t start, loff_t end, int datasync)
{
	struct inode *inode = file->f_inode;
	int err, err2;

	(void)datasync;
	err = file_write_and_wait_range(file, start, end);
	mutex_lock(&inode->i_lock);
	err2 = disk_sync_size(inode);
	mutex_unlock(&inode->i_lock);
	if (!err2)
		err2 = pnm_host_sync(inode);
	if (err2) {
		/* Recorded in wb_err for every opener: this one sees it now,
		 * and only now. */
		err2 = file_check_and_advance_wb_err(file);
		if (!err2)
			err2 = -EIO;
	}
	return err ? err : err2;
}

static const struct file_operations disk_file_ops = {
	.mmap = disk_mmap,
	.release = pnm_file_release,
	.read = filemap_read,
	.write = disk_file_write,
	.fsync = disk_fsync,
	.fallocate = pnm_generic_fallocate,
	.setsize = pnm_generic_setsize,
};

/* --- inode life cycle ---------------------------------------------------------- */

/* init_inode: a page cache with large folios over the host file. */
static int disk_init_inode(struct pnm_inode *pi)
{
	struct inode *inode = &pi->vfs;

	address_space_init(&inode->i_data, inode, &disk_aops);
	mapping_set_large_folios(&inode->i_data);
	return 0;
}

/*
 * evict_inode: the last reference is gone.  Write everything back
 * (WB_SYNC_ALL; errors stay recorded, nobody is left to report them to),
 * bring the host size in line, and empty the cache (still-pinned folios
 * live on, detached).
 */
static void disk_evict_inode(struct pnm_inode *pi)
{
	struct inode *inode = &pi->vfs;

	filemap_write_and_wait_range(inode->i_mapping, 0, LLONG_MAX);
	disk_sync_size(inode);
	truncate_inode_pages(inode->i_mapping, 0);
	address_space_destroy(inode->i_mapping);
}

/*
 * setsize: i_size, the cache beyond it and the host file.  i_size first,
 * so writeback (which clamps to it) stops writing the dropped tail, then
 * the cache, then the host.  Caller holds i_lock and invalidate_lock
 * exclusive.  0 or -EIO (host; the cache is already truncated then).
 */
static int disk_setsize(struct inode *inode, loff_t size)
{
	truncate_setsize(inode, size);
	return pnm_ftruncate(PNM_I(inode)->host_fd, size) ? -EIO : 0;
}

/* Zero [start, end] of the host file by writing zeroes (hosts without
 * hole punching).  0 or -EIO. */
static int host_write_zeroes(struct inode *inode, loff_t start, loff_t end)
{
	static const unsigned char zeroes[PAGE_SIZE];
	struct stat st;

	if (fstat(PNM_I(inode)->host_fd, &st))
		return -EIO;
	if (end >= st.st_size)
		end = st.st_size - 1;
	while (start <= end) {
		size_t n = (size_t)min_t(loff_t, (loff_t)sizeof(zeroes), end - start + 1);

		if (pnm_host_pwrite(inode, zeroes, n, start) < 0)
			return -EIO;
		start += (loff_t)n;
	}
	return 0;
}

/*
 * punch: drop the cache of [start, end] (partial folios zeroed there)
 * and punch the host file.  Caller holds i_lock and invalidate_lock
 * exclusive; @end is below i_size.  0 or -EIO.
 */
static int disk_punch(struct inode *inode, loff_t start, loff_t end)
{
	truncate_pagecache_range(inode, start, end);
	if (!pnm_fallocate(PNM_I(inode)->host_fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
		       start, end - start + 1))
		return 0;
	return host_write_zeroes(inode, start, end);
}

const struct pnm_fs_type_ops pnm_disk_fs_type = {
	.backed = true,
	.f_op = &disk_file_ops,
	.init_inode = disk_init_inode,
	.evict_inode = disk_evict_inode,
	.setsize = disk_setsize,
	.punch = disk_punch,
};
