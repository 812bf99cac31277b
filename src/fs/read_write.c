// SPDX-License-Identifier: MIT
/*
 * fs/read_write.c - the public file calls (pinmm/file.h): open, close,
 * read, write, fsync, ftruncate, fallocate, writeback and sync on the
 * caller's struct file, and what a caller may ask of a file (size,
 * filesystem, name).  Linux's fs/open.c, fs/read_write.c and fs/sync.c
 * hold the like: the system calls around the VFS helpers.
 *
 * Each call here is a thin wrapper: it checks what the public contract
 * adds to the model's own calls (a NULL file is -EBADF, as a bad file
 * descriptor is to the system calls; a negative offset is -EINVAL; an
 * out-parameter is only written on success), then calls the VFS helper
 * of fs/namei.c or page-writeback.c, which validates the rest and
 * changes nothing on error.  The locks are the helpers' own: none is
 * held on entry or return.
 */
#include <limits.h>
#include <string.h>

#include "internal.h"

/* --- opening and closing ------------------------------------------------------ */

/*
 * pnm_file_open - open (with O_CREAT: create) file @name of filesystem @fs
 * with the O_* @flags of pinmm/file.h.  0 with *@filep set to a file
 * holding one reference (pnm_file_close() drops it), or -EINVAL (NULL
 * @filep, the model not initialised, bad name or flags), -ENAMETOOLONG,
 * -ENOENT, -EEXIST, -EBUSY, -EIO, -ENOMEM, as pnm_filp_open(); *@filep
 * is untouched on error.  Takes the inode table lock.
 */
int pnm_file_open(enum pnm_fs_type fs, const char *name, int flags, struct file **filep)
{
	struct file *file;

	if (!filep || !pnm_initialised)
		return -EINVAL;
	file = pnm_filp_open(fs, name, flags);
	if (IS_ERR(file))
		return (int)PTR_ERR(file);
	*filep = file;
	return 0;
}

/*
 * pnm_shmem_file_create - an unnamed shmem file of @size bytes, open for
 * reading and writing (memfd_create plus ftruncate).  @label (NULL: none;
 * at most PNM_FS_NAME_MAX bytes, any characters) only names it in the
 * model's own reports: pnm_file_name() says "" for it, and no open finds
 * it.  0 with *@filep set (one reference), -EINVAL (NULL @filep, the
 * model not initialised, a negative @size, an over-long @label), -EFBIG
 * (@size beyond PNM_MAX_FILE_SIZE), -ENOMEM.  Takes the inode table lock.
 */
int pnm_shmem_file_create(const char *label, int64_t size, struct file **filep)
{
	struct file *file;

	if (!filep || !pnm_initialised || size < 0)
		return -EINVAL;
	if (label && strnlen(label, PNM_FS_NAME_MAX + 1) > PNM_FS_NAME_MAX)
		return -EINVAL;
	if (size > PNM_MAX_FILE_SIZE)
		return -EFBIG;
	/* shmem_file_setup() says NULL for its only failure, -ENOMEM (the
	 * size it would refuse was checked above). */
	file = shmem_file_setup(label ? label : "", (loff_t)size);
	if (!file)
		return -ENOMEM;
	*filep = file;
	return 0;
}

/*
 * pnm_file_close - drop the caller's reference to @file (close(2)); the
 * file lives on while mappings or other references hold it, and the
 * inode while any file does.  NULL does nothing.  Must not be called with
 * a folio lock held (the last reference may evict the inode).
 */
void pnm_file_close(struct file *file)
{
	if (file)
		fput(file);
}

/*
 * pnm_file_get - one more reference to @file (get_file()), for a caller
 * that keeps the file beyond its opener's pnm_file_close(), such as an
 * asynchronous request; dropped with pnm_file_close().  NULL is ignored.
 * The caller must hold a reference already.  Lock free.
 */
void pnm_file_get(struct file *file)
{
	if (file)
		get_file(file);
}

/* --- I/O ---------------------------------------------------------------------- */

/*
 * pnm_file_read - pread(2): read up to @count bytes at byte @off of @file
 * into @buf.  Returns the bytes read (fewer at the end of the file, 0 at
 * or beyond it), or -EBADF (NULL @file, or not open for reading), -EINVAL
 * (negative @off, or @off + @count beyond the largest offset), -EFAULT
 * (NULL @buf with @count > 0), -EIO (backing store).  The file's position
 * is not involved: @off is the caller's.
 */
ssize_t pnm_file_read(struct file *file, void *buf, size_t count, int64_t off)
{
	loff_t pos = (loff_t)off;

	if (!file)
		return -EBADF;
	if (off < 0)
		return -EINVAL;
	return kernel_read(file, buf, count, &pos);
}

/*
 * pnm_file_write - pwrite(2): write @count bytes of @buf at byte @off of
 * @file through the page cache (dax: into its storage), extending the
 * file as needed.  Returns the bytes written (a write reaching past
 * PNM_MAX_FILE_SIZE is shortened), or -EBADF (NULL @file, or not open for
 * writing), -EINVAL (negative @off), -EFAULT (NULL @buf with @count > 0),
 * -EFBIG (@off at or beyond PNM_MAX_FILE_SIZE), -ENOSPC, -EIO, -ENOMEM.
 * A write stopped by an error after some bytes returns those bytes; the
 * next call reports the error.
 */
ssize_t pnm_file_write(struct file *file, const void *buf, size_t count, int64_t off)
{
	loff_t pos = (loff_t)off;

	if (!file)
		return -EBADF;
	if (off < 0)
		return -EINVAL;
	return kernel_write(file, buf, count, &pos);
}

/* --- durability ------------------------------------------------------------------ */

/*
 * pnm_file_fsync - fsync(2) (@datasync: fdatasync(2)) of the bytes
 * [@start, @end] of @file, inclusive (0, INT64_MAX: the whole file):
 * write the dirty pages back and wait, dax: persist the storage to the
 * host file.  Returns 0, the writeback error this opener has not yet
 * seen (once), or -EBADF (NULL @file), -EINVAL (@start < 0, @end < @start).
 * Allowed on a file opened read-only.  The caller holds no mmap_lock and
 * no folio lock.
 */
int pnm_file_fsync(struct file *file, int64_t start, int64_t end, bool datasync)
{
	if (!file)
		return -EBADF;
	return vfs_fsync_range(file, (loff_t)start, (loff_t)end, datasync);
}

/*
 * pnm_file_writeback - sync_file_range(SYNC_FILE_RANGE_WRITE): start
 * writeback of the dirty page-cache pages covering bytes [@start, @end]
 * of @file (INT64_MAX: to the end) and do not wait: one WB_SYNC_NONE pass,
 * which skips pages that are locked or already under writeback and, with
 * the stable writeback policy, pages that may be pinned.  Returns 0, the
 * first write error (also recorded for each opener's next fsync), or
 * -EBADF (NULL @file), -EINVAL (@start < 0, @end < @start).  shmem and
 * dax files have nothing to write back: 0.
 */
int pnm_file_writeback(struct file *file, int64_t start, int64_t end)
{
	if (!file)
		return -EBADF;
	return pnm_writeback_range(file, start, end, PNM_WB_SYNC_NONE);
}

/* One pass of @mode over [start, end] of @mapping (do_writepages). */
static int writeback_mapping(struct address_space *mapping, loff_t start, loff_t end,
			     enum pnm_wb_mode mode)
{
	struct writeback_control wbc = {
		.nr_to_write = LONG_MAX,
		.range_start = start,
		.range_end = end,
		.sync_mode = mode == PNM_WB_SYNC_ALL ? WB_SYNC_ALL : WB_SYNC_NONE,
	};

	return do_writepages(mapping, &wbc);
}

/*
 * pnm_writeback_range - one writeback pass over the dirty page-cache
 * pages covering bytes [@start, @end] (INT64_MAX: to the end) of @file, or
 * of every live file (inode table order, the range applied to each) when
 * @file is NULL, in @mode (pinmm/file.h), without waiting for the I/O and
 * without the filesystem's own sync (dax storage is not persisted: that
 * is fsync's and sync's).  Returns 0, the first write error (every error
 * is also recorded for each opener's next fsync), or -EINVAL (@start < 0,
 * @end < @start, an unknown @mode).  The caller holds no folio lock and
 * no mmap_lock.
 */
int pnm_writeback_range(struct file *file, int64_t start, int64_t end,
			enum pnm_wb_mode mode)
{
	struct inode *inode = NULL;
	int ret = 0;

	if (start < 0 || end < start ||
	    (mode != PNM_WB_SYNC_NONE && mode != PNM_WB_SYNC_ALL))
		return -EINVAL;
	if (file) {
		if (!file->f_mapping)
			return -EBADF;
		return writeback_mapping(file->f_mapping, (loff_t)start, (loff_t)end, mode);
	}
	while ((inode = pnm_inode_next(inode))) {
		int err = writeback_mapping(inode->i_mapping, (loff_t)start, (loff_t)end, mode);

		if (err && !ret)
			ret = err;
	}
	return ret;
}

/*
 * pnm_sync - sync(2): WB_SYNC_ALL writeback of every live file, waiting
 * for it, then each filesystem's own part (dax persists its storage).
 * Errors are recorded for each opener's next fsync, not returned.  The
 * caller holds no folio lock and no mmap_lock.
 */
void pnm_sync(void)
{
	ksys_sync();
}

/* --- size changes -------------------------------------------------------------------- */

/*
 * pnm_file_truncate - ftruncate(2): set @file's size to @length, growing
 * (the new range reads as zeroes) or shrinking (mappings beyond are
 * unmapped, the cache beyond dropped; pinned pages live on, detached).
 * 0, or -EBADF (NULL @file), -EINVAL (negative @length, or @file not open
 * for writing), -EFBIG (beyond PNM_MAX_FILE_SIZE), -EIO / -ENOSPC
 * (backing store), dax -EBUSY (a page to drop is pinned and not
 * quarantined).
 */
int pnm_file_truncate(struct file *file, int64_t length)
{
	if (!file)
		return -EBADF;
	return do_ftruncate(file, (loff_t)length);
}

/*
 * pnm_file_fallocate - fallocate(2): @mode 0 allocates [@off, @off + @len)
 * and extends the size to cover it (FALLOC_FL_KEEP_SIZE: without
 * extending it); FALLOC_FL_PUNCH_HOLE |
 * FALLOC_FL_KEEP_SIZE drops it (the range then reads as zeroes).  0, or
 * -EBADF (NULL @file, or not open for writing), -EINVAL (negative @off,
 * @len <= 0), -EOPNOTSUPP (another mode), -EFBIG, -ENOSPC, -EIO, dax
 * -EBUSY (a page to drop is pinned and not quarantined).
 */
int pnm_file_fallocate(struct file *file, int mode, int64_t off, int64_t len)
{
	if (!file)
		return -EBADF;
	return vfs_fallocate(file, mode, (loff_t)off, (loff_t)len);
}

/* --- what a file is ---------------------------------------------------------------- */

/*
 * pnm_file_size - @file's size in bytes (i_size; a relaxed read, exact
 * while no other thread changes it), or -EBADF for NULL.
 */
int64_t pnm_file_size(struct file *file)
{
	if (!file || !file->f_inode)
		return -EBADF;
	return (int64_t)i_size_read(file->f_inode);
}

/* pnm_file_fs - the filesystem @file lives on; PNM_NR_FS for NULL. */
enum pnm_fs_type pnm_file_fs(struct file *file)
{
	if (!file || !file->f_inode)
		return PNM_NR_FS;
	return PNM_I(file->f_inode)->fs;
}

/*
 * pnm_file_name - @file's name on its filesystem, "" for an unnamed file
 * (pnm_shmem_file_create(), shared anonymous memory), NULL for NULL.  The
 * string is fixed and lives as long as the file.
 */
const char *pnm_file_name(struct file *file)
{
	struct pnm_inode *pi;

	if (!file || !file->f_inode)
		return NULL;
	pi = PNM_I(file->f_inode);
	return pi->anon ? "" : pi->name;
}
