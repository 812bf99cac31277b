// SPDX-License-Identifier: MIT
/*
 * shmem.c - memory objects that live only in their page cache (tmpfs,
 * memfd, MAP_SHARED|MAP_ANONYMOUS), and the file reference (fput).
 *
 * A shmem object is an inode of filesystem PNM_FS_SHMEM (fs/namei.c
 * allocates it) whose address_space holds the object's data: one
 * order-0, PG_swapbacked folio per page offset, created zeroed on first
 * touch (a fault or a write).  There is no backing store and no swap, so
 * there is no writeback: no ->dirty_folio (PG_dirty is set, never
 * counted), no ->writepage, and the cache is unevictable (not on the file
 * LRU, never reclaimed).  Objects are either named (pnm_filp_open() with
 * PNM_FS_SHMEM: found by name while referenced, memfd-like) or unnamed
 * (shmem_file_setup(), shmem_zero_setup()).  Either way the data dies
 * with the last reference: eviction truncates the cache (folios still
 * pinned or referenced elsewhere live on, detached, PG_pnm_truncated).
 *
 * The cache is the generic one (filemap.c): filemap_add_folio() counts
 * NR_FILE_PAGES and NR_SHMEM and takes the cache's reference;
 * truncate_inode_pages_range() and friends (truncate.c) remove folios.
 * shmem only decides how folios are born (zeroed, uptodate,
 * swap-backed).  Writable long-term pins of shmem mappings are allowed
 * (gup.c): nothing writes them back behind a device's back.
 *
 * Locking (mm_types.h): a fault or write creates folios under
 * invalidate_lock shared after checking i_size (faults); ftruncate and
 * hole punch hold it exclusive.  write(2) and size changes hold i_lock.
 * Reads take no lock beyond a reference on each folio: a hole reads as
 * zeroes without creating a folio, as in Linux.
 *
 * Seals (memfd.c adds them; struct shmem_inode_info at pi->fs_info): every
 * shmem inode starts with F_SEAL_SEAL, which memfd_create() may lift.
 * They are enforced here where the data or size would change, under
 * i_lock, which memfd_add_seals() holds to add them: write_begin (WRITE,
 * FUTURE_WRITE; GROW past the end), setsize (SHRINK, GROW), punch
 * (WRITE, FUTURE_WRITE), fallocate past the end (GROW); new mappings are
 * checked by mmap (memfd_check_seals_mmap()).  A change that finds no
 * seal under i_lock completes before a seal added after it.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static const struct vm_operations_struct shmem_vm_ops;
static const struct address_space_operations shmem_aops;

/* The seals of @inode's shmem state, read once (i_lock held or not). */
static unsigned int shmem_seals(struct inode *inode)
{
	return READ_ONCE(SHMEM_I(inode)->seals);
}

static pgoff_t shmem_size_pages(struct inode *inode)
{
	loff_t size = i_size_read(inode);

	return (pgoff_t)((size + (loff_t)PAGE_SIZE - 1) >> PAGE_SHIFT);
}

/* --- the page cache ----------------------------------------------------------- */

/*
 * The folio at @index of @mapping, locked and with a reference for the
 * caller, creating it (zeroed, uptodate, swap-backed) if the cache has
 * none.  Returns the folio or ERR_PTR(-ENOMEM).  Caller holds
 * invalidate_lock shared (creation must not race a truncate or punch)
 * and no folio lock.
 */
static struct folio *shmem_get_folio(struct address_space *mapping, pgoff_t index)
{
	struct folio *folio;
	int err;

	for (;;) {
		folio = filemap_lock_folio(mapping, index);
		if (!IS_ERR(folio) || PTR_ERR(folio) != -ENOENT)
			return folio;

		folio = folio_alloc(GFP_HIGHUSER_MOVABLE | __GFP_ZERO, 0);
		if (!folio)
			return ERR_PTR(-ENOMEM);
		/* Not visible to anyone yet: the lock cannot be contended. */
		if (!folio_trylock(folio))
			VM_BUG_ON(1);
		SetPageSwapBacked(&folio->page);
		folio_mark_uptodate(folio);
		err = filemap_add_folio(mapping, folio, index, GFP_HIGHUSER_MOVABLE);
		if (!err)
			return folio;
		folio_unlock(folio);
		folio_put(folio);
		if (err != -EEXIST)
			return ERR_PTR(err);
		/* Somebody else created it first: use theirs. */
	}
}

/* --- the VMA side ------------------------------------------------------------- */

/*
 * ->fault for shmem mappings: find or create the folio at vmf->pgoff and
 * return it in vmf->page, locked, with a reference for the caller
 * (VM_FAULT_LOCKED).  VM_FAULT_SIGBUS at or beyond the end of the object
 * (checked again under the folio lock, against a racing truncate),
 * VM_FAULT_OOM when no frame is free.  Caller holds mmap_lock for read.
 */
static vm_fault_t shmem_fault(struct vm_fault *vmf)
{
	struct inode *inode = vmf->vma->vm_file->f_inode;
	struct address_space *mapping = inode->i_mapping;
	struct folio *folio;

	down_read(&mapping->invalidate_lock);
	if (vmf->pgoff >= shmem_size_pages(inode)) {
		up_read(&mapping->invalidate_lock);
		return VM_FAULT_SIGBUS;
	}
	folio = shmem_get_folio(mapping, vmf->pgoff);
	up_read(&mapping->invalidate_lock);
	if (IS_ERR(folio))
		return VM_FAULT_OOM;
	/* Locked: a truncate either finished (i_size shows it) or waits. */
	if (vmf->pgoff >= shmem_size_pages(inode)) {
		folio_unlock(folio);
		folio_put(folio);
		return VM_FAULT_SIGBUS;
	}
	vmf->page = folio_page(folio, vmf->pgoff - folio->index);
	return VM_FAULT_LOCKED;
}

static const char *shmem_vma_name(struct vm_area_struct *vma)
{
	(void)vma;
	return "[shmem]";
}

static const struct vm_operations_struct shmem_vm_ops = {
	.fault = shmem_fault,
	.name = shmem_vma_name,
};

/* ->mmap for shmem files: the VMA faults through the page cache. */
static int shmem_mmap(struct file *file, struct vm_area_struct *vma)
{
	(void)file;
	vma->vm_ops = &shmem_vm_ops;
	return 0;
}

/* --- address space operations ----------------------------------------------- */

/* shmem folios have no private state: migration may always move them. */
static int shmem_migrate_folio(struct address_space *mapping, struct folio *dst,
			       struct folio *src)
{
	(void)mapping;
	(void)dst;
	(void)src;
	return 0;
}

/* ->write_begin: the locked folio covering @pos, created zeroed. */
static int shmem_write_begin(struct file *file, struct address_space *mapping,
			     loff_t pos, unsigned int len, struct folio **foliop)
{
	struct folio *folio;

	(void)file;
	/* Linux's shmem_write_begin(): a write seal refuses every write, a
	 * grow seal one that would extend the file.  Caller holds i_lock. */
	if (shmem_seals(mapping->host) & (PNM_F_SEAL_WRITE | PNM_F_SEAL_FUTURE_WRITE))
		return -EPERM;
	if ((shmem_seals(mapping->host) & PNM_F_SEAL_GROW) &&
	    pos + (loff_t)len > i_size_read(mapping->host))
		return -EPERM;
	down_read(&mapping->invalidate_lock);
	folio = shmem_get_folio(mapping, (pgoff_t)(pos >> PAGE_SHIFT));
	up_read(&mapping->invalidate_lock);
	if (IS_ERR(folio))
		return (int)PTR_ERR(folio);
	*foliop = folio;
	return 0;
}

/* ->write_end: dirty (PG_dirty only), extend i_size, unlock, put.
 * Caller holds i_lock. */
static int shmem_write_end(struct file *file, struct address_space *mapping,
			   loff_t pos, unsigned int len, unsigned int copied,
			   struct folio *folio)
{
	struct inode *inode = mapping->host;

	(void)file;
	(void)len;
	if (copied) {
		folio_mark_dirty(folio);
		if (pos + copied > i_size_read(inode))
			i_size_write(inode, pos + copied);
	}
	folio_unlock(folio);
	folio_put(folio);
	return (int)copied;
}

/* ->pnm_check_folio: shmem folios are order 0, swap-backed, uptodate,
 * off the LRU, without private state or writeback. */
static bool shmem_check_folio(struct address_space *mapping, struct folio *folio)
{
	(void)mapping;
	if (folio_test_large(folio) || !folio_test_swapbacked(folio) ||
	    !folio_test_uptodate(folio) || PageLru(&folio->page) ||
	    PagePrivate(&folio->page) || folio_test_writeback(folio))
		return pnm_check_fail("shmem folio %#lx index %lu: order %u swapbacked %d uptodate %d lru %d private %d writeback %d",
				      folio_pfn(folio), folio->index, folio_order(folio),
				      folio_test_swapbacked(folio), folio_test_uptodate(folio),
				      PageLru(&folio->page), PagePrivate(&folio->page),
				      folio_test_writeback(folio));
	return true;
}

static const struct address_space_operations shmem_aops = {
	.migrate_folio = shmem_migrate_folio,
	.write_begin = shmem_write_begin,
	.write_end = shmem_write_end,
	.pnm_check_folio = shmem_check_folio,
};

/* --- file operations ---------------------------------------------------------- */

/*
 * ->read: copy [*pos, *pos + count) clamped to i_size; pages the object
 * never had read as zeroes (no folio is created).  Bytes read (0 at EOF).
 * Lockless apart from a reference on each folio; data is copied with
 * the racy page copy (a device may be writing it).
 */
static ssize_t shmem_file_read(struct file *file, void *buf, size_t count, loff_t *pos)
{
	struct address_space *mapping = file->f_mapping;
	struct inode *inode = mapping->host;
	unsigned char *dst = buf;
	ssize_t done = 0;

	while (count) {
		loff_t size = i_size_read(inode);
		struct folio *folio;
		size_t off, n;

		if (*pos >= size)
			break;
		folio = filemap_get_folio(mapping, (pgoff_t)(*pos >> PAGE_SHIFT));
		if (IS_ERR(folio)) {
			off = (size_t)(*pos & (PAGE_SIZE - 1));
			n = min_t(size_t, count, PAGE_SIZE - off);
		} else {
			off = (size_t)(*pos - folio_pos(folio));
			n = min_t(size_t, count, folio_size(folio) - off);
		}
		/* After the folio is held: nothing beyond a racing truncate. */
		size = i_size_read(inode);
		if (*pos + (loff_t)n > size)
			n = *pos < size ? (size_t)(size - *pos) : 0;
		if (IS_ERR(folio)) {
			memset(dst, 0, n);
		} else {
			pnm_copy_from_page_racy(dst, (char *)folio_address(folio) + off, n);
			folio_put(folio);
		}
		if (!n)
			break;
		dst += n;
		*pos += (loff_t)n;
		count -= n;
		done += (ssize_t)n;
	}
	return done;
}

/* ->write: the generic buffered write under i_lock. */
static ssize_t shmem_file_write(struct file *file, const void *buf, size_t count,
				loff_t *pos)
{
	struct inode *inode = file->f_inode;
	ssize_t ret;

	mutex_lock(&inode->i_lock);
	ret = generic_perform_write(file, buf, count, pos);
	mutex_unlock(&inode->i_lock);
	return ret;
}

/* ->fsync: memory is all there is; nothing can fail (Linux's noop_fsync). */
static int shmem_fsync(struct file *file, loff_t start, loff_t end, int datasync)
{
	(void)file;
	(void)start;
	(void)end;
	(void)datasync;
	return 0;
}

/*
 * ->fallocate: the generic one, after Linux's F_SEAL_GROW check for an
 * allocation past the end, which refuses even FALLOC_FL_KEEP_SIZE.  The
 * other seal checks are setsize's and punch's, under i_lock; this one is
 * made under i_lock too, but a seal added between it and the generic call
 * can only meet a KEEP_SIZE allocation, which changes nothing here (shmem
 * allocates nothing ahead) -- a growing one is checked again by setsize.
 */
static long shmem_fallocate(struct file *file, int mode, loff_t offset, loff_t len)
{
	struct inode *inode = file->f_inode;
	int err = 0;

	if (!(mode & FALLOC_FL_PUNCH_HOLE)) {
		mutex_lock(&inode->i_lock);
		if ((shmem_seals(inode) & PNM_F_SEAL_GROW) && offset + len > i_size_read(inode))
			err = -EPERM;
		mutex_unlock(&inode->i_lock);
		if (err)
			return err;
	}
	return pnm_generic_fallocate(file, mode, offset, len);
}

static const struct file_operations shmem_file_ops = {
	.mmap = shmem_mmap,
	.release = pnm_file_release,
	.read = shmem_file_read,
	.write = shmem_file_write,
	.fsync = shmem_fsync,
	.fallocate = shmem_fallocate,
	.setsize = pnm_generic_setsize,
};

/* --- object life cycle -------------------------------------------------------- */

static int shmem_init_inode(struct pnm_inode *pi)
{
	struct shmem_inode_info *info = pnm_calloc(PNM_FAULT_ALLOC, 1, sizeof(*info));

	if (!info)
		return -ENOMEM;
	/* Linux's shmem_get_inode(): sealing is off unless memfd_create()
	 * turns it on (memfd.c). */
	info->seals = PNM_F_SEAL_SEAL;
	pi->fs_info = info;
	address_space_init(&pi->vfs.i_data, &pi->vfs, &shmem_aops);
	mapping_set_unevictable(&pi->vfs.i_data);
	return 0;
}

/* The last reference is gone: the data dies with it. */
static void shmem_evict_inode(struct pnm_inode *pi)
{
	truncate_inode_pages(&pi->vfs.i_data, 0);
	address_space_destroy(&pi->vfs.i_data);
	free(pi->fs_info);
	pi->fs_info = NULL;
}

/* Change the size; shrinking drops the cache beyond it.  -EPERM against
 * F_SEAL_SHRINK or F_SEAL_GROW (the same size passes).  Caller holds
 * i_lock and invalidate_lock exclusive. */
static int shmem_setsize(struct inode *inode, loff_t size)
{
	loff_t old = i_size_read(inode);

	if ((size < old && (shmem_seals(inode) & PNM_F_SEAL_SHRINK)) ||
	    (size > old && (shmem_seals(inode) & PNM_F_SEAL_GROW)))
		return -EPERM;
	truncate_setsize(inode, size);
	return 0;
}

/* Drop the cache of [start, end] (zeroing partial pages); -EPERM against
 * a write seal.  Caller holds i_lock and invalidate_lock exclusive. */
static int shmem_punch(struct inode *inode, loff_t start, loff_t end)
{
	if (shmem_seals(inode) & (PNM_F_SEAL_WRITE | PNM_F_SEAL_FUTURE_WRITE))
		return -EPERM;
	truncate_pagecache_range(inode, start, end);
	return 0;
}

const struct pnm_fs_type_ops pnm_shmem_fs_type = {
	.backed = false,
	.f_op = &shmem_file_ops,
	.init_inode = shmem_init_inode,
	.evict_inode = shmem_evict_inode,
	.setsize = shmem_setsize,
	.punch = shmem_punch,
};

/*
 * A new unnamed shmem file labelled @name of @size bytes, open for
 * reading and writing, with one reference (the caller's; drop it with
 * fput()).  Returns NULL on -ENOMEM (or a negative size).  Takes the
 * inode table lock.
 */
struct file *shmem_file_setup(const char *name, loff_t size)
{
	struct inode *inode = pnm_new_anon_inode(PNM_FS_SHMEM, name, size);
	struct file *file;

	if (IS_ERR(inode))
		return NULL;
	file = pnm_alloc_file(inode, O_RDWR);
	iput(inode);		/* the file holds its own (or it is freed) */
	return IS_ERR(file) ? NULL : file;
}

/*
 * Back a MAP_SHARED|MAP_ANONYMOUS VMA with a new shmem object the size of
 * the VMA (Linux's /dev/zero mapping).  Replaces any file the VMA had.
 * Returns 0 or -ENOMEM (VMA unchanged).  Caller holds mmap_lock for write.
 */
int shmem_zero_setup(struct vm_area_struct *vma)
{
	struct file *file;

	file = shmem_file_setup("dev/zero", (loff_t)(vma->vm_end - vma->vm_start));
	if (!file)
		return -ENOMEM;
	if (vma->vm_file)
		fput(vma->vm_file);
	vma->vm_file = file;
	vma->vm_ops = &shmem_vm_ops;
	return 0;
}

/*
 * shmem_mapping - is @mapping a shmem object's page cache (shmem.c's
 * address space operations)?  Lockless; the operations are set once.
 */
bool shmem_mapping(const struct address_space *mapping)
{
	return mapping && mapping->a_ops == &shmem_aops;
}

/*
 * shmem_read_folio - memfd_pin_folios()'s allocation (Linux's
 * memfd_alloc_folio() through shmem_read_folio()): the folio at @index of
 * shmem @mapping with a reference for the caller, not locked, created
 * zeroed if the cache has none (from the allocator's current scope: a
 * long-term pin's memalloc_pin_save() keeps it out of MOVABLE and CMA).
 * ERR_PTR(-EINVAL) at or beyond the end of the object (a shrink won a
 * race with the caller's size check), ERR_PTR(-ENOMEM).  Takes
 * invalidate_lock shared and the folio lock.
 */
struct folio *shmem_read_folio(struct address_space *mapping, pgoff_t index)
{
	struct folio *folio;

	down_read(&mapping->invalidate_lock);
	if (index >= shmem_size_pages(mapping->host)) {
		up_read(&mapping->invalidate_lock);
		return ERR_PTR(-EINVAL);
	}
	folio = shmem_get_folio(mapping, index);
	up_read(&mapping->invalidate_lock);
	if (!IS_ERR(folio))
		folio_unlock(folio);
	return folio;
}

/*
 * Drop a file reference.  The last one releases the file through its
 * ->release hook, which owns freeing everything (model files:
 * pnm_file_release, which drops the inode reference and may evict the
 * inode); a file without the hook is simply freed.  Must not be called
 * with a folio lock, ptl or xa_lock held (eviction takes folio locks).
 */
void fput(struct file *file)
{
	/* Fully ordered: every use of the file happens before the release. */
	if (atomic_long_add_return(-1, &file->f_count) != 0)
		return;
	if (file->f_op && file->f_op->release)
		file->f_op->release(file);
	else
		free(file);
}
