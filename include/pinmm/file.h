/* SPDX-License-Identifier: MIT */
/*
 * pinmm/file.h - files of the model's filesystems, and writeback.
 *
 * Three filesystems, chosen per file at open:
 *
 *   PNM_FS_DISK   ext4-like: each file is backed by a real host file
 *                 <data_dir>/<name>; its pages live in the page cache,
 *                 are read from the host file on first touch and written
 *                 back by writeback.  A page dirtied behind the
 *                 filesystem's back (without ->page_mkwrite or write())
 *                 is reported: the 2018 failure FOLL_PIN exists for.
 *   PNM_FS_SHMEM  tmpfs/memfd: page cache only, no backing file.
 *   PNM_FS_DAX    the file's pages are the storage itself (persistent
 *                 memory): no page cache; fsync persists them to the
 *                 host file.  Long-term pins are refused (-EOPNOTSUPP).
 *   PNM_FS_HUGETLBFS, PNM_FS_HUGETLBFS_1G
 *                 hugetlbfs mounted with 2 MiB and 1 GiB pages: page
 *                 cache only, each page a huge page of the hugetlb pool
 *                 (pinmm/hugetlb.h).  write(2) is -EINVAL (read works);
 *                 sizes set by ftruncate must be huge-page multiples; a
 *                 writable shared mapping extends the size; fallocate
 *                 allocates pages from the pool (-ENOSPC when empty).
 *   PNM_FS_SECRETMEM  the files of memfd_secret() (pinmm/memfd.h): never
 *                 opened by name (pnm_file_open: -EINVAL).
 *
 * Names are 1-64 characters of [A-Za-z0-9._-], not "." or "..".  Opening
 * the same (filesystem, name) twice gives two files sharing one inode.
 *
 * Every call validates its arguments and, on error, changes nothing:
 * -EBADF (file opened without the access), -EINVAL, -EFBIG, -ENOSPC /
 * -EIO (backing store), -ENOMEM, and for dax -EBUSY (a truncate or punch
 * over a pinned page, unless only owners revoked by force at the lease
 * break before it pin it: quarantined).  A failed backing write is returned by the next
 * pnm_file_fsync() of each file that was open before it, once.
 * Offsets and lengths are bytes.
 */
#ifndef PINMM_FILE_H
#define PINMM_FILE_H

#include <pinmm/types.h>

PNM_BEGIN_DECLS

enum pnm_fs_type { PNM_FS_DISK, PNM_FS_SHMEM, PNM_FS_DAX, PNM_FS_HUGETLBFS,
		   PNM_FS_HUGETLBFS_1G, PNM_FS_SECRETMEM, PNM_NR_FS };
/* "disk", "shmem", "dax", "hugetlbfs", "hugetlbfs1G", "secretmem" ("?"
 * otherwise); and back (-1 if unknown). */
PNM_API const char *pnm_fs_name(enum pnm_fs_type fs);
PNM_API int pnm_fs_parse(const char *name);
#define PNM_FS_NAME_MAX		64
/* Largest file the model accepts (-EFBIG beyond). */
#define PNM_MAX_FILE_SIZE	(1LL << 40)

/*
 * Open (with O_CREAT: create) file @name of filesystem @fs.  @flags:
 * O_RDONLY/O_WRONLY/O_RDWR, O_CREAT, O_EXCL, O_TRUNC of <fcntl.h> (any
 * other bit, and O_EXCL without O_CREAT, are -EINVAL).  0 with *@filep
 * set (one reference: pnm_file_close()), or -EINVAL (bad name or flags,
 * PNM_FS_SECRETMEM),
 * -ENAMETOOLONG, -ENOENT, -EEXIST, -EBUSY (a disk name open as dax or the
 * other way round: they share the host file), -EIO (host error), -ENOMEM.
 */
PNM_API int pnm_file_open(enum pnm_fs_type fs, const char *name, int flags,
			  struct file **filep);
/* An unnamed shmem file of @size bytes (memfd_create-like), open
 * read-write: 0 with *@filep set, -EINVAL, -EFBIG, -ENOMEM. */
PNM_API int pnm_shmem_file_create(const char *label, int64_t size, struct file **filep);
/* Drop the caller's reference (close(2)); mappings keep their own. */
PNM_API void pnm_file_close(struct file *file);
/* pread(2)/pwrite(2): bytes done (a read stops at EOF), or -errno. */
PNM_API ssize_t pnm_file_read(struct file *file, void *buf, size_t count, int64_t off);
PNM_API ssize_t pnm_file_write(struct file *file, const void *buf, size_t count, int64_t off);
/* fsync(2) (@datasync: fdatasync(2)) of the bytes [start, end], inclusive
 * (0, INT64_MAX: the whole file). */
PNM_API int pnm_file_fsync(struct file *file, int64_t start, int64_t end, bool datasync);
/* ftruncate(2): grow (a hole) or shrink; -EINVAL for a negative size or
 * a file not open for writing, -EFBIG, dax -EBUSY (a pinned page to drop
 * that is not quarantined). */
PNM_API int pnm_file_truncate(struct file *file, int64_t length);
/* fallocate(2): FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE (punch), 0
 * (allocate, extending the size) or FALLOC_FL_KEEP_SIZE (allocate within
 * the size); other modes -EOPNOTSUPP. */
PNM_API int pnm_file_fallocate(struct file *file, int mode, int64_t off, int64_t len);
/* Start writeback of the dirty pages in [start, end] and do not wait
 * (sync_file_range(SYNC_FILE_RANGE_WRITE)); 0 or -errno. */
PNM_API int pnm_file_writeback(struct file *file, int64_t start, int64_t end);
/* How a writeback pass treats busy pages (Linux's writeback_sync_modes). */
enum pnm_wb_mode {
	/* The flusher's way: skip pages that are locked, under writeback or
	 * (wb_policy STABLE) maybe pinned. */
	PNM_WB_SYNC_NONE,
	/* Data integrity: write every page dirty when reached, waiting for
	 * its lock; maybe-pinned pages per wb_policy (STABLE: a bounce copy,
	 * the page stays dirty). */
	PNM_WB_SYNC_ALL,
};
/* One writeback pass of @mode over the dirty pages in [start, end] of
 * @file, or of every live file (NULL), without waiting and without the
 * filesystem's own sync (dax is fsync's): 0, the first write error (also
 * kept for each opener's next fsync), -EINVAL. */
PNM_API int pnm_writeback_range(struct file *file, int64_t start, int64_t end,
				enum pnm_wb_mode mode);
/* The file's size in bytes, filesystem and name ("" for unnamed). */
PNM_API int64_t pnm_file_size(struct file *file);
PNM_API enum pnm_fs_type pnm_file_fs(struct file *file);
PNM_API const char *pnm_file_name(struct file *file);

/*
 * Fault injection on the backing store of a disk or dax file: the next
 * @count backing operations of kind @op fail with @err: -EIO, -ENOSPC, or
 * PNM_IO_SHORT (the host stores only part of a write, which the
 * filesystem records as -EIO).  count 0 clears.  0, -EBADF (NULL file),
 * -EINVAL (a shmem file, bad @op or @err).
 */
#define PNM_IO_READ	0x1
#define PNM_IO_WRITE	0x2
#define PNM_IO_SHORT	(-4096)
PNM_API int pnm_fs_inject_error(struct file *file, unsigned int op, int err,
				unsigned int count);
/* The host directory of backing files (valid between init and fini). */
PNM_API const char *pnm_fs_data_dir(void);
/* The host path of @file's backing file into @buf: 0, -EBADF (NULL
 * file), -EINVAL (shmem, NULL @buf), -ENAMETOOLONG. */
PNM_API int pnm_fs_backing_path(struct file *file, char *buf, size_t size);

/* Take one more reference to @file (Linux's get_file()), dropped with
 * pnm_file_close(): what keeps a file open under an asynchronous request.
 * NULL is ignored. */
PNM_API void pnm_file_get(struct file *file);

/*
 * Direct IO (O_DIRECT) below the page cache: the filesystem's side, which
 * a Direct IO call site calls around its device's transfer (the Linux
 * counterpart: iomap_dio_rw() and its completion; docs/api.md).  Disk
 * files only.  Offsets, lengths and user buffers are multiples of
 * PNM_DIO_ALIGN, the device's logical block size.
 *
 *   n = pnm_file_dio_begin(file, op, off, count)   > 0: in flight
 *   pnm_file_direct_read/_write(file, buf, len, off) the device's transfer
 *   pnm_file_dio_end(file, op, off, result)         exactly once
 */
#define PNM_DIO_ALIGN	512
/* PNM_DIO_ALIGN for a disk file, 0 without Direct IO (shmem, dax, NULL). */
PNM_API unsigned int pnm_file_dio_align(struct file *file);
/* Count a request of @op (PNM_IO_READ or PNM_IO_WRITE) in flight, write
 * the cached range back, and for a write invalidate it: the bytes the
 * request reports (a read cut at EOF), 0 (nothing begun), or -EBADF,
 * -EINVAL (unaligned, not disk), -EFBIG, -EIO, -ENOSPC, -ENOTBLK (a write
 * over pages that could not be invalidated: use buffered I/O). */
PNM_API ssize_t pnm_file_dio_begin(struct file *file, unsigned int op, int64_t off,
				   size_t count);
/* The storage transfer of a begun request (past the store's end, reads
 * see zeroes; writes leave the size to _end): 0, -EBADF, -EINVAL, -EFAULT,
 * -EIO, -ENOSPC. */
PNM_API int pnm_file_direct_read(struct file *file, void *buf, size_t count, int64_t off);
PNM_API int pnm_file_direct_write(struct file *file, const void *buf, size_t count,
				  int64_t off);
/* Complete a begun request with @result (bytes or -errno): a write
 * extends the size and invalidates the range again; returns @result. */
PNM_API ssize_t pnm_file_dio_end(struct file *file, unsigned int op, int64_t off,
				 ssize_t result);

/* sync(2): write back every dirty page of every file and wait. */
PNM_API void pnm_sync(void);
/* One background-writeback pass from the calling thread (@background:
 * only while above the background threshold); pages written. */
PNM_API long pnm_writeback_run(bool background);

PNM_END_DECLS

#endif /* PINMM_FILE_H */
