/* SPDX-License-Identifier: MIT */
/*
 * wb_testfs.h - a test-local filesystem for the writeback and reclaim
 * tests (test_writeback.c, test_errseq.c, test_vmscan.c).
 *
 * "tfs" keeps its backing store in memory (tfs->disk) and records every
 * ->writepage call: which folio, whether it came from a bounce copy, what
 * the bytes were, the folio's state during the call.  An error can be
 * injected into the next writepages, and a hook can run inside
 * ->writepage (a "device" writing the page while it is being written).
 * Its mapping is an ordinary page cache (filemap_add_folio, filemap_fault
 * with ->read_folio from tfs->disk); its ->page_mkwrite counts calls and
 * then does what filemap_page_mkwrite does.
 *
 * The inode is embedded in a struct pnm_inode, like the real filesystems'
 * (code may look at PNM_I(inode)), but is not in namei's inode table:
 * pnm_writeback_run()/ksys_sync() do not see it.
 */
#ifndef PINMM_WB_TESTFS_H
#define PINMM_WB_TESTFS_H

#include <stdlib.h>
#include <string.h>

#include "test_util.h"
#include "pinmm_test_internal.h"

#define TFS_PAGES	64			/* file size, pages */
#define TFS_SIZE	((loff_t)(TFS_PAGES * PAGE_SIZE))
#define TFS_MAX_RECS	1024

struct tfs_rec {
	pgoff_t index;
	unsigned long pfn;
	unsigned int nr;
	bool bounced;		/* wbc->pnm_bounced */
	bool src_is_folio;	/* wbc->pnm_src == folio_address(folio) */
	bool dirty;		/* PG_dirty during the call */
	bool writeback;		/* PG_writeback during the call */
	bool locked;		/* folio lock held during the call */
	enum writeback_sync_modes sync_mode;
	unsigned char first;	/* the first byte written */
	int ret;
};

struct tfs;
typedef void tfs_hook_fn(struct tfs *t, struct folio *folio,
			 struct writeback_control *wbc);

struct tfs {
	struct pnm_inode pi;
	struct file file;		/* the first opener (f_count 1) */
	unsigned char *disk;		/* TFS_SIZE bytes of "backing store" */
	pthread_mutex_t lock;		/* recs, nrec */
	struct tfs_rec recs[TFS_MAX_RECS];
	int nrec;
	atomic_t writepages;		/* ->writepage calls */
	atomic_t mkwrites;		/* ->page_mkwrite calls */
	atomic_t dirties;		/* ->dirty_folio calls */
	atomic_t reads;			/* ->read_folio calls */
	atomic_t inject;		/* the next ->writepage returns it */
	tfs_hook_fn *hook;		/* runs inside ->writepage (or NULL) */
	void *hook_arg;
};

static inline struct tfs *tfs_of_mapping(struct address_space *mapping)
{
	return container_of(PNM_I(mapping->host), struct tfs, pi);
}

static bool tfs_dirty_folio(struct address_space *mapping, struct folio *folio)
{
	atomic_inc(&tfs_of_mapping(mapping)->dirties);
	return filemap_dirty_folio(mapping, folio);
}

static int tfs_writepage(struct folio *folio, struct writeback_control *wbc)
{
	struct tfs *t = tfs_of_mapping(folio->mapping);
	size_t size = folio_size(folio);
	loff_t pos = folio_pos(folio);
	struct tfs_rec r = {
		.index = folio->index,
		.pfn = folio_pfn(folio),
		.nr = (unsigned int)folio_nr_pages(folio),
		.bounced = wbc->pnm_bounced,
		.src_is_folio = wbc->pnm_src == folio_address(folio),
		.dirty = folio_test_dirty(folio),
		.writeback = folio_test_writeback(folio),
		.locked = folio_test_locked(folio),
		.sync_mode = wbc->sync_mode,
	};

	atomic_inc(&t->writepages);
	if (t->hook)
		t->hook(t, folio, wbc);
	r.ret = atomic_read(&t->inject);
	if (r.ret)
		atomic_set(&t->inject, 0);
	else if (pos < TFS_SIZE)
		/* The source may be page memory a device is writing. */
		pnm_copy_from_page_racy(t->disk + pos, wbc->pnm_src,
					pos + (loff_t)size > TFS_SIZE ? (size_t)(TFS_SIZE - pos) : size);
	if (pos < TFS_SIZE)
		r.first = t->disk[pos];
	pthread_mutex_lock(&t->lock);
	if (t->nrec < TFS_MAX_RECS)
		t->recs[t->nrec++] = r;
	pthread_mutex_unlock(&t->lock);
	return r.ret;
}

static int tfs_read_folio(struct file *file, struct folio *folio)
{
	struct tfs *t = tfs_of_mapping(folio->mapping);
	loff_t pos = folio_pos(folio);

	(void)file;
	atomic_inc(&t->reads);
	memset(folio_address(folio), 0, folio_size(folio));
	if (pos < TFS_SIZE)
		memcpy(folio_address(folio), t->disk + pos, PAGE_SIZE);
	SetPageUptodate(&folio->page);
	return 0;
}

static bool tfs_release_folio(struct folio *folio)
{
	(void)folio;
	return true;
}

static const struct address_space_operations tfs_aops = {
	.dirty_folio = tfs_dirty_folio,
	.writepage = tfs_writepage,
	.read_folio = tfs_read_folio,
	.release_folio = tfs_release_folio,
};

static vm_fault_t tfs_page_mkwrite(struct vm_fault *vmf)
{
	atomic_inc(&tfs_of_mapping(vmf->vma->vm_file->f_mapping)->mkwrites);
	return filemap_page_mkwrite(vmf);
}

static const struct vm_operations_struct tfs_vm_ops = {
	.fault = filemap_fault,
	.page_mkwrite = tfs_page_mkwrite,
};

static int tfs_mmap(struct file *file, struct vm_area_struct *vma)
{
	(void)file;
	vma->vm_ops = &tfs_vm_ops;
	return 0;
}

static int tfs_fsync(struct file *file, loff_t start, loff_t end, int datasync)
{
	(void)datasync;
	return file_write_and_wait_range(file, start, end);
}

/* The embedded first file is freed with the tfs; extra openers are not. */
static void tfs_file_release(struct file *file)
{
	struct tfs *t = tfs_of_mapping(file->f_mapping);

	if (file != &t->file)
		free(file);
}

static const struct file_operations tfs_fops = {
	.mmap = tfs_mmap,
	.release = tfs_file_release,
	.fsync = tfs_fsync,
};

/* A new tfs file of TFS_SIZE bytes, its disk filled with @fill. */
static inline struct tfs *tfs_create(unsigned char fill)
{
	static atomic_long_t next_ino = { 1000000 };
	struct tfs *t = calloc(1, sizeof(*t));
	struct inode *inode;

	assert_non_null(t);
	t->disk = malloc(TFS_SIZE);
	assert_non_null(t->disk);
	memset(t->disk, fill, TFS_SIZE);
	pthread_mutex_init(&t->lock, NULL);

	t->pi.fs = PNM_FS_DISK;
	t->pi.anon = true;
	t->pi.host_fd = -1;
	strcpy(t->pi.name, "tfs");
	spin_lock_init(&t->pi.io_lock);
	inode = &t->pi.vfs;
	inode->i_ino = (unsigned long)atomic_long_add_return(1, &next_ino);
	inode->i_size = TFS_SIZE;
	atomic_set(&inode->i_count, 1);
	mutex_init(&inode->i_lock);
	inode->i_fs = PNM_FS_DISK;
	address_space_init(&inode->i_data, inode, &tfs_aops);
	inode->i_mapping = &inode->i_data;

	atomic_long_set(&t->file.f_count, 1);
	spin_lock_init(&t->file.f_lock);
	t->file.f_inode = inode;
	t->file.f_mapping = inode->i_mapping;
	t->file.f_mode = FMODE_READ | FMODE_WRITE;
	t->file.f_op = &tfs_fops;
	t->file.f_wb_err = errseq_sample(&inode->i_data.wb_err);
	return t;
}

static inline struct address_space *tfs_mapping(struct tfs *t)
{
	return &t->pi.vfs.i_data;
}

/* Another opener of the same file: samples the error state now. */
static inline struct file *tfs_open(struct tfs *t)
{
	struct file *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	*f = t->file;
	atomic_long_set(&f->f_count, 1);
	spin_lock_init(&f->f_lock);
	f->f_wb_err = errseq_sample(&tfs_mapping(t)->wb_err);
	return f;
}

/*
 * Put a new uptodate order-@order folio at @index, filled with @fill,
 * dirty if @dirty (through folio_mark_dirty, as a write would), in zone
 * @zone's preference (GFP mobility).  Returns it with a reference for the
 * caller, unlocked.
 */
static inline struct folio *tfs_add_folio_gfp(struct tfs *t, pgoff_t index,
					      unsigned int order, unsigned char fill,
					      bool dirty, gfp_t gfp)
{
	struct folio *folio = folio_alloc(gfp, order);

	assert_non_null(folio);
	assert_true(folio_trylock(folio));
	memset(folio_address(folio), fill, folio_size(folio));
	SetPageUptodate(&folio->page);
	assert_int_equal(filemap_add_folio(tfs_mapping(t), folio, index, 0), 0);
	if (dirty)
		assert_true(folio_mark_dirty(folio));
	folio_unlock(folio);
	return folio;
}

static inline struct folio *tfs_add_folio(struct tfs *t, pgoff_t index, unsigned int order,
					  unsigned char fill, bool dirty)
{
	return tfs_add_folio_gfp(t, index, order, fill, dirty, GFP_HIGHUSER_MOVABLE);
}

/* Records so far (a copy of the count, taken under the lock). */
static inline int tfs_nrec(struct tfs *t)
{
	int n;

	pthread_mutex_lock(&t->lock);
	n = t->nrec;
	pthread_mutex_unlock(&t->lock);
	return n;
}

static inline void tfs_clear_recs(struct tfs *t)
{
	pthread_mutex_lock(&t->lock);
	t->nrec = 0;
	pthread_mutex_unlock(&t->lock);
}

/* Empty the cache and free everything; nothing may map the file. */
static inline void tfs_destroy(struct tfs *t)
{
	struct address_space *mapping = tfs_mapping(t);

	assert_int_equal(atomic_long_read(&t->file.f_count), 1);
	truncate_inode_pages(mapping, 0);
	assert_int_equal(mapping->nrpages, 0);
	address_space_destroy(mapping);
	mutex_destroy(&t->pi.vfs.i_lock);
	spin_lock_destroy(&t->pi.io_lock);
	pthread_mutex_destroy(&t->lock);
	free(t->disk);
	free(t);
}

/* A process mapping the whole tfs file MAP_SHARED read/write. */
static inline unsigned long tfs_mmap_task(struct tfs *t, struct task_struct *task)
{
	long a = pnm_mm_mmap(task->mm, 0, TFS_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED,
			  &t->file, 0);

	assert_true(a > 0);
	return (unsigned long)a;
}

/* Write back the whole file: WB_SYNC_ALL or WB_SYNC_NONE. */
static inline int tfs_writeback(struct tfs *t, enum writeback_sync_modes mode,
				struct writeback_control *out)
{
	struct writeback_control wbc = {
		.sync_mode = mode,
		.nr_to_write = LONG_MAX,
		.range_start = 0,
		.range_end = LLONG_MAX,
	};
	int ret = do_writepages(tfs_mapping(t), &wbc);

	if (out)
		*out = wbc;
	return ret;
}

#endif /* PINMM_WB_TESTFS_H */
