/* SPDX-License-Identifier: MIT */
/*
 * pagecache_test.h - a tiny filesystem local to the page-cache tests
 * (test_filemap.c, test_truncate.c, test_rmap_file.c), so they exercise
 * filemap.c, truncate.c and the file rmap walkers without the disk
 * filesystem.
 *
 * A "tfs" file is one allocation: struct file + struct inode + a backing
 * store in host memory (the "disk").  Its a_ops read pages from the disk
 * (zeroes past it), dirty through filemap_dirty_folio(), and count what
 * the cache asked of them; its vm_ops are filemap_fault plus a counting
 * ->page_mkwrite around filemap_page_mkwrite.  Nothing is ever written
 * back: tests look at the cache itself.  ->setsize cuts the disk too (as
 * ftruncate of a host file would), so data beyond a truncate is gone.
 *
 * Counters are atomics: the threaded tests bump them from many threads.
 */
#ifndef PINMM_PAGECACHE_TEST_H
#define PINMM_PAGECACHE_TEST_H

#include <stdlib.h>
#include <string.h>

#include "test_util.h"
#include "pinmm_test_internal.h"

#define PG	PAGE_SIZE
#define RW	(PROT_READ | PROT_WRITE)

struct tfs {
	struct file file;
	struct inode inode;
	unsigned char *disk;		/* backing bytes; disk_size of them */
	size_t disk_size;		/* i_lock (setsize) or quiescent */
	atomic_t reads;			/* ->read_folio calls */
	atomic_t mkwrites;		/* ->page_mkwrite calls */
	atomic_t invalidates;		/* ->invalidate_folio calls */
	size_t last_inv_off, last_inv_len;	/* last ->invalidate_folio */
	int read_error;			/* next ->read_folio fails with it */
};

static inline struct tfs *tfs_of(struct file *f)
{
	return container_of(f, struct tfs, file);
}

static inline struct tfs *tfs_of_mapping(struct address_space *m)
{
	return container_of(m->host, struct tfs, inode);
}

static int tfs_read_folio(struct file *file, struct folio *folio)
{
	struct tfs *t = tfs_of_mapping(folio->mapping);
	size_t pos = (size_t)folio_pos(folio), size = folio_size(folio), n = 0;
	int err = __atomic_exchange_n(&t->read_error, 0, __ATOMIC_RELAXED);

	(void)file;
	atomic_inc(&t->reads);
	if (err)
		return err;
	if (pos < t->disk_size)
		n = min_t(size_t, size, t->disk_size - pos);
	memcpy(folio_address(folio), t->disk + pos, n);
	memset((unsigned char *)folio_address(folio) + n, 0, size - n);
	SetPageUptodate(&folio->page);
	return 0;
}

static void tfs_invalidate_folio(struct folio *folio, size_t off, size_t len)
{
	struct tfs *t = tfs_of_mapping(folio->mapping);

	/* Folio locked: serialised per folio; tests read these quiescent. */
	atomic_inc(&t->invalidates);
	__atomic_store_n(&t->last_inv_off, off, __ATOMIC_RELAXED);
	__atomic_store_n(&t->last_inv_len, len, __ATOMIC_RELAXED);
}

static int tfs_write_begin(struct file *file, struct address_space *mapping,
			   loff_t pos, unsigned int len, struct folio **foliop)
{
	struct folio *folio;
	int err;

	(void)len;
	folio = __filemap_get_folio(mapping, (pgoff_t)(pos >> PAGE_SHIFT),
				    FGP_WRITEBEGIN | fgf_set_order(PNM_MAX_PAGECACHE_ORDER),
				    GFP_HIGHUSER_MOVABLE);
	if (IS_ERR(folio))
		return (int)PTR_ERR(folio);
	if (!folio_test_uptodate(folio)) {
		err = tfs_read_folio(file, folio);
		if (err) {
			folio_unlock(folio);
			folio_put(folio);
			return err;
		}
	}
	*foliop = folio;
	return 0;
}

static int tfs_write_end(struct file *file, struct address_space *mapping,
			 loff_t pos, unsigned int len, unsigned int copied,
			 struct folio *folio)
{
	(void)file;
	(void)len;
	folio_mark_dirty(folio);
	if (pos + copied > i_size_read(mapping->host))
		i_size_write(mapping->host, pos + copied);
	folio_unlock(folio);
	folio_put(folio);
	return (int)copied;
}

static int tfs_migrate_folio(struct address_space *mapping, struct folio *dst,
			     struct folio *src)
{
	(void)mapping;
	(void)dst;
	(void)src;
	return 0;
}

static const struct address_space_operations tfs_aops = {
	.read_folio = tfs_read_folio,
	.dirty_folio = filemap_dirty_folio,
	.invalidate_folio = tfs_invalidate_folio,
	.write_begin = tfs_write_begin,
	.write_end = tfs_write_end,
	.migrate_folio = tfs_migrate_folio,
};

static vm_fault_t tfs_page_mkwrite(struct vm_fault *vmf)
{
	struct tfs *t = tfs_of(vmf->vma->vm_file);

	atomic_inc(&t->mkwrites);
	return filemap_page_mkwrite(vmf);
}

static const char *tfs_vma_name(struct vm_area_struct *vma)
{
	(void)vma;
	return "[tfs]";
}

static const struct vm_operations_struct tfs_vm_ops = {
	.fault = filemap_fault,
	.page_mkwrite = tfs_page_mkwrite,
	.name = tfs_vma_name,
};

static int tfs_mmap(struct file *file, struct vm_area_struct *vma)
{
	(void)file;
	vma->vm_ops = &tfs_vm_ops;
	return 0;
}

static void tfs_release(struct file *file)
{
	struct tfs *t = tfs_of(file);

	truncate_inode_pages(&t->inode.i_data, 0);
	address_space_destroy(&t->inode.i_data);
	mutex_destroy(&t->inode.i_lock);
	free(t->disk);
	free(t);
}

static ssize_t tfs_read(struct file *file, void *buf, size_t count, loff_t *pos)
{
	return filemap_read(file, buf, count, pos);
}

static ssize_t tfs_write(struct file *file, const void *buf, size_t count, loff_t *pos)
{
	ssize_t ret;

	mutex_lock(&file->f_inode->i_lock);
	ret = generic_perform_write(file, buf, count, pos);
	mutex_unlock(&file->f_inode->i_lock);
	return ret;
}

/* ftruncate: the cache first, then the "disk" (zeroed beyond @size). */
static int tfs_setsize(struct file *file, loff_t size)
{
	struct tfs *t = tfs_of(file);
	struct inode *inode = &t->inode;

	mutex_lock(&inode->i_lock);
	down_write(&inode->i_data.invalidate_lock);
	truncate_setsize(inode, size);
	if ((size_t)size < t->disk_size)
		memset(t->disk + size, 0, t->disk_size - (size_t)size);
	up_write(&inode->i_data.invalidate_lock);
	mutex_unlock(&inode->i_lock);
	return 0;
}

static const struct file_operations tfs_fops = {
	.mmap = tfs_mmap,
	.release = tfs_release,
	.read = tfs_read,
	.write = tfs_write,
	.setsize = tfs_setsize,
};

/*
 * A tfs file of @size bytes whose disk holds @size bytes of @fill (or
 * zeroes if @fill < 0), with large folios if @large.  One reference.
 */
static inline struct file *tfs_create(loff_t size, int fill, bool large)
{
	struct tfs *t = calloc(1, sizeof(*t));
	struct inode *inode;

	assert_non_null(t);
	t->disk_size = (size_t)size;
	t->disk = calloc(1, t->disk_size ? t->disk_size : 1);
	assert_non_null(t->disk);
	if (fill >= 0)
		memset(t->disk, fill, t->disk_size);
	inode = &t->inode;
	inode->i_ino = 4242;
	inode->i_size = size;
	atomic_set(&inode->i_count, 1);
	mutex_init(&inode->i_lock);
	address_space_init(&inode->i_data, inode, &tfs_aops);
	if (large)
		mapping_set_large_folios(&inode->i_data);
	inode->i_mapping = &inode->i_data;
	atomic_long_set(&t->file.f_count, 1);
	spin_lock_init(&t->file.f_lock);
	t->file.f_inode = inode;
	t->file.f_mapping = inode->i_mapping;
	t->file.f_mode = FMODE_READ | FMODE_WRITE;
	t->file.f_op = &tfs_fops;
	return &t->file;
}

/* Put a byte pattern on the disk: byte i of the file is (i * 7 + 3). */
static inline unsigned char tfs_pattern(size_t i)
{
	return (unsigned char)(i * 7 + 3);
}

static inline void tfs_fill_pattern(struct file *f)
{
	struct tfs *t = tfs_of(f);
	size_t i;

	for (i = 0; i < t->disk_size; i++)
		t->disk[i] = tfs_pattern(i);
}

static inline long tfs_map(struct task_struct *p, struct file *f, unsigned long len,
			   unsigned long flags, loff_t off)
{
	long a = pnm_mm_mmap(p->mm, 0, len, RW, flags, f, (unsigned long)off);

	assert_true(a > 0);
	return a;
}

static inline void tfs_truncate(struct file *f, loff_t size)
{
	assert_int_equal(f->f_op->setsize(f, size), 0);
}

/* Punch [off, off + len) out of the cache (and the disk). */
static inline void tfs_punch(struct file *f, loff_t off, loff_t len)
{
	struct tfs *t = tfs_of(f);
	struct inode *inode = &t->inode;

	mutex_lock(&inode->i_lock);
	down_write(&inode->i_data.invalidate_lock);
	truncate_pagecache_range(inode, off, off + len - 1);
	if ((size_t)off < t->disk_size)
		memset(t->disk + off, 0, min_t(size_t, (size_t)len, t->disk_size - (size_t)off));
	up_write(&inode->i_data.invalidate_lock);
	mutex_unlock(&inode->i_lock);
}

/* The cached folio at @index (no reference kept), or NULL. */
static inline struct folio *tfs_cached(struct file *f, pgoff_t index)
{
	return xa_load(&f->f_mapping->i_pages, index);
}

#define TFS_CHECK(f)	do { CHECK_ALL(); assert_true(pnm_check_mapping((f)->f_mapping)); } while (0)

#endif /* PINMM_PAGECACHE_TEST_H */
