/* SPDX-License-Identifier: MIT */
/*
 * fs.h - files and the filesystems inside the model.
 *
 * Three filesystems, chosen per file at open:
 *
 *   PNM_FS_DISK   ext4-like.  Each file is backed by a real host file
 *                 <data_dir>/<name>.  Its pages live in the page cache,
 *                 are read from the host file on first touch and written
 *                 back by writeback.  Per-page block state (like buffer
 *                 heads, folio->private) is created when a page is first
 *                 dirtied the way the filesystem sees (->page_mkwrite,
 *                 write()) and dropped when the page is cleaned and not
 *                 maybe pinned, or truncated; a page dirtied without block
 *                 state was dirtied behind the filesystem's back and is
 *                 reported (PNM_FS_DIRTY_NO_BLOCKS), the 2018 failure.
 *   PNM_FS_SHMEM  tmpfs/memfd: page cache only, no writeback, no backing
 *                 file; the data dies with the last reference.
 *   PNM_FS_DAX    the file's pages are the storage itself (persistent
 *                 memory): mapped directly, no page cache, no writeback;
 *                 fsync persists them to the host file <data_dir>/<name>.
 *                 Long-term pins are refused (-EOPNOTSUPP, gup.c).
 *
 * Names are 1-64 characters of [A-Za-z0-9._-], not "." or "..".  Opening
 * the same (filesystem, name) twice gives two struct files sharing one
 * inode.  An inode lives while a file (or a VMA's file) references it; the
 * last reference writes a disk inode back, empties its cache (folios that
 * are still pinned live on, detached) and frees it.
 *
 * Every call below validates its arguments and, on error, changes
 * nothing: -EBADF (file opened without the access; ftruncate says
 * -EINVAL, as Linux does), -EINVAL, -EFBIG, -ENOSPC / -EIO (backing
 * store), -ENOMEM, and for dax -EBUSY (a truncate or punch over a pinned
 * page, unless only owners revoked by force at the lease break before it
 * pin it: quarantined).
 *
 * Writeback errors: a failed backing write is recorded on the file's
 * mapping (errseq, writeback.h) and returned by the next vfs_fsync() of
 * each struct file that was open before it, once.  Injected -ENOSPC
 * strikes where a real filesystem allocates blocks: write(2)'s
 * write_begin and the first write fault of a clean shared page
 * (SIGBUS), and fallocate; any injected write error also strikes
 * writeback (fsync).
 *
 * Implemented in src/fs/ (namei.c, disk.c, dax.c) and src/shmem.c; msync
 * in mmap.c.
 */
#ifndef PNM_MODEL_FS_H
#define PNM_MODEL_FS_H

#include <fcntl.h>
#include <model/writeback.h>

/* enum pnm_fs_type, names, limits: pinmm/file.h. */
static inline bool IS_DAX(const struct inode *inode) { return inode->i_flags & S_DAX; }
static inline bool vma_is_dax(const struct vm_area_struct *vma)
{ return vma->vm_file && vma->vm_file->f_inode && IS_DAX(vma->vm_file->f_inode); }
/* Linux: dax on a regular file, where the filesystem manages the blocks. */
static inline bool vma_is_fsdax(const struct vm_area_struct *vma) { return vma_is_dax(vma); }

/*
 * Open (with O_CREAT: create) file @name of filesystem @fs.  @flags:
 * O_RDONLY/O_WRONLY/O_RDWR, O_CREAT, O_EXCL, O_TRUNC (any other bit, and
 * O_EXCL without O_CREAT, are -EINVAL).  Returns the file with one
 * reference (drop it with fput()), or ERR_PTR (the public
 * pnm_filp_open() returns the error and the file apart): -EINVAL (bad name or
 * flags), -ENAMETOOLONG, -ENOENT, -EEXIST, -EBUSY (a disk name open as
 * dax or the other way round: they share the host file), -EIO (host
 * error), -ENOMEM.  Takes the inode table lock (and, for O_TRUNC, the
 * inode's i_lock); waits for an eviction of the same name to finish.
 */
struct file *pnm_filp_open(enum pnm_fs_type fs, const char *name, int flags);

/* read(2)/write(2) at *pos (pread/pwrite style: *pos advances). */
ssize_t kernel_read(struct file *file, void *buf, size_t count, loff_t *pos);
ssize_t kernel_write(struct file *file, const void *buf, size_t count, loff_t *pos);
/* fsync(2)/fdatasync(2), and for a byte range [start, end] (inclusive). */
int vfs_fsync(struct file *file, int datasync);
int vfs_fsync_range(struct file *file, loff_t start, loff_t end, int datasync);
/* ftruncate(2): grow (a hole) or shrink; -EINVAL for a negative size or
 * a file not open for writing, -EFBIG, dax -EBUSY (a pinned page to drop
 * that is not quarantined). */
int do_ftruncate(struct file *file, loff_t length);
/* fallocate(2): FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE (punch) or 0
 * (allocate, extends i_size); other modes -EOPNOTSUPP. */
#ifndef FALLOC_FL_KEEP_SIZE
#define FALLOC_FL_KEEP_SIZE	0x01
#define FALLOC_FL_PUNCH_HOLE	0x02
#endif
int vfs_fallocate(struct file *file, int mode, loff_t offset, loff_t len);

/*
 * msync(2) on [start, start + len) of @mm (pinmm/mman.h's pnm_msync): MS_ASYNC (nothing to do),
 * MS_SYNC (fsync the file range of every shared file mapping in the
 * range, returning the first error), MS_INVALIDATE (accepted; -EBUSY on
 * VM_LOCKED).  -EINVAL (unaligned start, bad flags, both MS_SYNC and
 * MS_ASYNC), -ENOMEM (a hole in the range).  Takes mmap_lock for read.
 */
#ifndef MS_ASYNC
#define MS_ASYNC	1
#define MS_INVALIDATE	2
#define MS_SYNC		4
#endif
int pnm_mm_msync(struct mm_struct *mm, unsigned long start, size_t len, int flags);

/* Fault injection, the data directory, backing paths: pinmm/file.h. */
/* Inode references and iteration over every live inode (writeback). */
void ihold(struct inode *inode);
/* Drop a reference; the last one evicts the inode (writes a disk inode
 * back, empties its cache).  Must not be called with a folio lock held. */
void iput(struct inode *inode);
/* Next live inode after @prev (NULL: the first), referenced; drops
 * @prev's reference.  NULL at the end. */
struct inode *pnm_inode_next(struct inode *prev);

/* Check every live inode and its mapping (pnm_check_system calls it). */
bool pnm_check_inodes(void);

#endif /* PNM_MODEL_FS_H */
