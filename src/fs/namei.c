// SPDX-License-Identifier: MIT
/*
 * fs/namei.c - the model's file namespace: the data directory, the inode
 * table, open, and the file system calls (read, write, fsync, ftruncate,
 * fallocate) that dispatch to the filesystems (fs/disk.c, fs/dax.c,
 * shmem.c).  Linux spreads this over fs/namei.c, fs/open.c,
 * fs/read_write.c, fs/sync.c and fs/inode.c.
 *
 * Names.  A file is (filesystem, name).  disk and dax files are backed by
 * the host file <data_dir>/<name>, so the two share one namespace: the
 * same name may be opened as disk after it was closed as dax (the data is
 * in the host file), but not while it is open as the other (-EBUSY).
 * shmem names live only while the object is referenced (memfd-like): the
 * data dies with the last reference.
 *
 * The inode table.  Every live inode is on pnm_inodes, under inode_lock
 * (a leaf: nothing else is taken under it).  An inode's i_count counts
 * the struct files on it (each VMA holds a file), iterators
 * (pnm_inode_next) and ihold()s.  Lookups take their reference under
 * inode_lock; the last iput() marks the inode PNM_I_FREEING under
 * inode_lock, evicts it without the lock, then unlinks it and wakes
 * lookups.  A lookup that meets a PNM_I_NEW (being set up) or
 * PNM_I_FREEING inode of its name waits on inode_wait and looks again, so
 * a reopen never reads a host file that an eviction is still writing
 * (Linux's I_NEW / I_FREEING waits in find_inode).
 *
 * i_count updates: ihold() and the iput() fast path (not the last
 * reference) are atomic RMWs without the lock; reaching zero and the
 * lookups' increments happen under inode_lock, so a lookup never revives
 * an inode whose eviction has begun (Linux's atomic_dec_and_lock).
 *
 * Inodes are freed through pnm_call_rcu() (pnm_task_page_info() looks at
 * a folio's file under rcu_read_lock), after the lockless walkers seen
 * inside a walk have left it (pnm_lockless_walkers_sync(), rcu.h):
 * gup-fast looks at folio->mapping->host of a folio it grabbed without
 * locks (dax and writeback-capable mappings bail), and its walks hold no
 * RCU read section.
 *
 * Open files are kept on pnm_files (files_lock, a leaf) so that
 * pnm_fs_fini() can report, and close, what callers left open.
 */
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"
#include "rcu.h"

/* An inode as allocated: the model inode plus its RCU head. */
struct pnm_inode_alloc {
	struct pnm_inode pi;
	struct pnm_rcu_head rcu;
};

/* A file as allocated: the struct file plus its place on pnm_files. */
struct pnm_file {
	struct file file;
	struct list_head list;		/* pnm_files; files_lock */
};

static pthread_mutex_t inode_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t inode_wait = PTHREAD_COND_INITIALIZER;	/* inode_lock */
static LIST_HEAD(pnm_inodes);		/* inode_lock */

static pthread_mutex_t files_lock = PTHREAD_MUTEX_INITIALIZER;
static LIST_HEAD(pnm_files);		/* files_lock */

static atomic_long_t next_ino = { 1 };	/* uniqueness only; relaxed */

/* Set at pnm_fs_init(), read-only until pnm_fs_fini(). */
static char data_dir[PATH_MAX];
static bool data_dir_private;		/* made by us: removed at fini */

static const struct pnm_fs_type_ops *fs_types[PNM_NR_FS] = {
	[PNM_FS_DISK] = &pnm_disk_fs_type,
	[PNM_FS_SHMEM] = &pnm_shmem_fs_type,
	[PNM_FS_DAX] = &pnm_dax_fs_type,
	[PNM_FS_HUGETLBFS] = &pnm_hugetlbfs_fs_type,
	[PNM_FS_HUGETLBFS_1G] = &pnm_hugetlbfs_1g_fs_type,
	[PNM_FS_SECRETMEM] = &pnm_secretmem_fs_type,
};

static const char *const fs_names[PNM_NR_FS] = {
	[PNM_FS_DISK] = "disk",
	[PNM_FS_SHMEM] = "shmem",
	[PNM_FS_DAX] = "dax",
	[PNM_FS_HUGETLBFS] = "hugetlbfs",
	[PNM_FS_HUGETLBFS_1G] = "hugetlbfs1G",
	[PNM_FS_SECRETMEM] = "secretmem",
};

/* --- names ------------------------------------------------------------------- */

/* "disk", "shmem", "dax" ("?" for anything else). */
const char *pnm_fs_name(enum pnm_fs_type fs)
{
	return (unsigned int)fs < PNM_NR_FS ? fs_names[fs] : "?";
}

/* The filesystem called @name, or -1 (NULL or unknown). */
int pnm_fs_parse(const char *name)
{
	int fs;

	if (!name)
		return -1;
	for (fs = 0; fs < PNM_NR_FS; fs++)
		if (!strcmp(name, fs_names[fs]))
			return fs;
	return -1;
}

/* 0, -EINVAL (empty, bad character, "." or ".."), -ENAMETOOLONG. */
static int check_name(const char *name)
{
	size_t len, i;

	if (!name)
		return -EINVAL;
	len = strnlen(name, PNM_FS_NAME_MAX + 1);
	if (len > PNM_FS_NAME_MAX)
		return -ENAMETOOLONG;
	if (!len || !strcmp(name, ".") || !strcmp(name, ".."))
		return -EINVAL;
	for (i = 0; i < len; i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-'))
			return -EINVAL;
	}
	return 0;
}

/* --- the data directory ---------------------------------------------------------- */

/*
 * Set up the namespace for a new model: adopt cfg->data_dir (created if
 * missing, one level) or make a private directory with mkdtemp() under
 * $TMPDIR (or /tmp) that pnm_fs_fini() removes.  Returns 0, or -errno
 * from the host (-ENAMETOOLONG for an over-long path, -ENOTDIR).
 */
int pnm_fs_init(const struct pnm_config *cfg)
{
	struct stat st;

	data_dir_private = false;
	if (cfg && cfg->data_dir && cfg->data_dir[0]) {
		if (strlen(cfg->data_dir) + PNM_FS_NAME_MAX + 2 > sizeof(data_dir))
			return -ENAMETOOLONG;
		strcpy(data_dir, cfg->data_dir);
		if (mkdir(data_dir, 0700) && errno != EEXIST)
			return -errno;
		if (stat(data_dir, &st))
			return -errno;
		if (!S_ISDIR(st.st_mode))
			return -ENOTDIR;
	} else {
		const char *tmp = getenv("TMPDIR");

		if (!tmp || !tmp[0])
			tmp = "/tmp";
		if ((size_t)snprintf(data_dir, sizeof(data_dir), "%s/pinmm-XXXXXX", tmp) >=
		    sizeof(data_dir) - PNM_FS_NAME_MAX - 2)
			return -ENAMETOOLONG;
		if (!mkdtemp(data_dir))
			return -errno;
		data_dir_private = true;
	}
	return 0;
}

/* The host directory of backing files (valid between init and fini). */
const char *pnm_fs_data_dir(void)
{
	return data_dir;
}

/* <data_dir>/<name> into @buf: 0 or -ENAMETOOLONG. */
static int host_path(const char *name, char *buf, size_t size)
{
	if ((size_t)snprintf(buf, size, "%s/%s", data_dir, name) >= size)
		return -ENAMETOOLONG;
	return 0;
}

/*
 * The host path of @file's backing file into @buf (pinmm/file.h): 0,
 * -EBADF (NULL file), -EINVAL (NULL @buf, shmem or unnamed), -ENAMETOOLONG.  Lockless: the name is fixed.
 */
int pnm_fs_backing_path(struct file *file, char *buf, size_t size)
{
	struct pnm_inode *pi;

	if (!file || !file->f_inode)
		return -EBADF;
	if (!buf)
		return -EINVAL;
	pi = PNM_I(file->f_inode);
	if (!fs_types[pi->fs]->backed || pi->anon)
		return -EINVAL;
	return host_path(pi->name, buf, size);
}

/* Remove the private data directory and the files in it. */
static void remove_private_dir(void)
{
	struct dirent *de;
	char path[PATH_MAX];
	DIR *dir;

	dir = opendir(data_dir);
	if (dir) {
		while ((de = readdir(dir))) {
			if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
				continue;
			if ((size_t)snprintf(path, sizeof(path), "%s/%s", data_dir,
					     de->d_name) < sizeof(path))
				unlink(path);
		}
		closedir(dir);
	}
	if (rmdir(data_dir))
		pnm_log(PNM_LOG_WARN, "pinmm: cannot remove %s: %s", data_dir, strerror(errno));
}

/* --- host I/O ------------------------------------------------------------------ */

/* pread of the host file until @n bytes or EOF (namei services, internal.h);
 * -EIO when PNM_FAULT_PREAD is injected. */
ssize_t pnm_host_pread(struct inode *inode, void *buf, size_t n, loff_t off)
{
	int fd = PNM_I(inode)->host_fd;
	size_t done = 0;

	if (pnm_should_fail(PNM_FAULT_PREAD))
		return -EIO;
	while (done < n) {
		ssize_t r = pread(fd, (char *)buf + done, n - done, off + (off_t)done);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (!r)
			break;
		done += (size_t)r;
	}
	return (ssize_t)done;
}

/* pwrite of the host file until all @n bytes are written (internal.h);
 * -EIO, nothing written, when PNM_FAULT_PWRITE is injected. */
ssize_t pnm_host_pwrite(struct inode *inode, const void *buf, size_t n, loff_t off)
{
	int fd = PNM_I(inode)->host_fd;
	size_t done = 0;

	if (pnm_should_fail(PNM_FAULT_PWRITE))
		return -EIO;
	while (done < n) {
		ssize_t r = pwrite(fd, (const char *)buf + done, n - done, off + (off_t)done);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		done += (size_t)r;
	}
	return (ssize_t)done;
}

/*
 * fdatasync of the host file, unless PINMM_NO_HOST_FSYNC is set (internal.h).
 * A failure (the host's, or an injected PNM_FAULT_FDATASYNC; asked before
 * the variable, so that injection works either way) is a writeback error
 * like a failed ->writepage: recorded in the mapping's wb_err for every
 * opener and counted in PNM_WB_IO_ERRORS; -EIO.
 */
int pnm_host_sync(struct inode *inode)
{
	const char *skip;

	if (!pnm_should_fail(PNM_FAULT_FDATASYNC)) {
		skip = getenv("PINMM_NO_HOST_FSYNC");
		if ((skip && skip[0] && strcmp(skip, "0")) ||
		    !fdatasync(PNM_I(inode)->host_fd))
			return 0;
	}
	mapping_set_error(inode->i_mapping, -EIO);
	count_vm_event(PNM_WB_IO_ERRORS);
	return -EIO;
}

/* --- injected faults ------------------------------------------------------------- */

/*
 * Fault injection on @file's backing store (fs.h).  @op is PNM_IO_READ,
 * PNM_IO_WRITE or both; @err -EIO or -ENOSPC, or PNM_IO_SHORT (writes
 * only); count 0 clears.  Returns 0, -EBADF (NULL @file) or -EINVAL (shmem
 * has no backing store; -ENOSPC or a short transfer make no sense for reads).  Takes the
 * inode's io_lock.
 */
int pnm_fs_inject_error(struct file *file, unsigned int op, int err, unsigned int count)
{
	struct pnm_inode *pi;
	int i;

	if (!file || !file->f_inode)
		return -EBADF;
	pi = PNM_I(file->f_inode);
	if (!fs_types[pi->fs]->backed)
		return -EINVAL;
	if (!op || (op & ~(PNM_IO_READ | PNM_IO_WRITE)))
		return -EINVAL;
	if (count && err != -EIO && err != -ENOSPC && err != PNM_IO_SHORT)
		return -EINVAL;
	if (count && (op & PNM_IO_READ) && err != -EIO)
		return -EINVAL;
	spin_lock(&pi->io_lock);
	for (i = 0; i < 2; i++) {
		if (!(op & (i ? PNM_IO_WRITE : PNM_IO_READ)))
			continue;
		pi->io_fault[i].err = count ? err : 0;
		pi->io_fault[i].count = count;
	}
	spin_unlock(&pi->io_lock);
	return 0;
}

/* Consume one injected fault (contract in internal.h). */
int pnm_fs_io_fault(struct inode *inode, unsigned int op, bool alloc)
{
	struct pnm_inode *pi = PNM_I(inode);
	int i = op == PNM_IO_WRITE, err = 0;

	spin_lock(&pi->io_lock);
	if (pi->io_fault[i].count && (!alloc || pi->io_fault[i].err == -ENOSPC)) {
		err = pi->io_fault[i].err;
		pi->io_fault[i].count--;
	}
	spin_unlock(&pi->io_lock);
	return err;
}

/* --- inodes -------------------------------------------------------------------- */

static void inode_free_rcu(struct pnm_rcu_head *rh)
{
	struct pnm_inode_alloc *a = container_of(rh, struct pnm_inode_alloc, rcu);

	spin_lock_destroy(&a->pi.io_lock);
	pthread_cond_destroy(&a->pi.dio_cv);
	mutex_destroy(&a->pi.vfs.i_lock);
	free(a);
}

/* A new inode of @fs, not yet in the table, one reference. */
static struct pnm_inode *inode_alloc(enum pnm_fs_type fs, const char *name)
{
	struct pnm_inode_alloc *a = pnm_calloc(PNM_FAULT_ALLOC, 1, sizeof(*a));
	struct pnm_inode *pi;

	if (!a)
		return NULL;
	pi = &a->pi;
	pi->fs = fs;
	pi->host_fd = -1;
	snprintf(pi->name, sizeof(pi->name), "%s", name ? name : "");
	spin_lock_init(&pi->io_lock);
	if (pthread_cond_init(&pi->dio_cv, NULL))
		PNM_DIE("pthread_cond_init", 0);
	/* Only uniqueness matters; the RMW orders nothing. */
	pi->vfs.i_ino = (unsigned long)atomic_long_add_return(1, &next_ino) - 1;
	pi->vfs.i_fs = (int)fs;
	atomic_set(&pi->vfs.i_count, 1);
	mutex_init(&pi->vfs.i_lock);
	pi->vfs.i_mapping = &pi->vfs.i_data;
	pi->vfs.i_private = pi;
	INIT_LIST_HEAD(&pi->vfs.i_sb_list);
	INIT_LIST_HEAD(&pi->leases);
	return pi;
}

/* Free an inode that never became visible to lookups or gup, or after
 * eviction: after a grace period, closing its host file now. */
static void inode_free(struct pnm_inode *pi)
{
	struct pnm_inode_alloc *a = container_of(pi, struct pnm_inode_alloc, pi);

	if (pi->host_fd >= 0) {
		close(pi->host_fd);
		pi->host_fd = -1;
	}
	/* The folios left the mapping before (eviction truncated them):
	 * a walk that begins now cannot reach the inode. */
	pnm_lockless_walkers_sync();
	pnm_call_rcu(&a->rcu, inode_free_rcu);
}

/* Take @inode out of the table and wake lookups waiting on its name. */
static void inode_unhash(struct pnm_inode *pi)
{
	pthread_mutex_lock(&inode_lock);
	list_del_init(&pi->vfs.i_sb_list);
	pthread_cond_broadcast(&inode_wait);
	pthread_mutex_unlock(&inode_lock);
}

/* The last reference is gone (PNM_I_FREEING set): evict and free. */
static void evict(struct pnm_inode *pi)
{
	pnm_lease_inode_evict(&pi->vfs);
	fs_types[pi->fs]->evict_inode(pi);
	inode_unhash(pi);
	inode_free(pi);
}

/* Take a reference on @inode; the caller already holds one.  Lockless. */
void ihold(struct inode *inode)
{
	/* No ordering needed: the caller's reference keeps the inode. */
	atomic_inc(&inode->i_count);
}

/*
 * Drop a reference (fs.h).  The last one evicts: writes a disk inode
 * back, empties the cache, frees the inode (after a grace period).  Must
 * not be called with a folio lock, ptl, xa_lock, invalidate_lock or the
 * inode table lock held (eviction takes them).  mmap_lock is fine:
 * munmap drops the last file reference under it, and by then no VMA maps
 * the inode's folios, so eviction never needs an mm.
 */
void iput(struct inode *inode)
{
	struct pnm_inode *pi;

	if (!inode)
		return;
	/* Not the last reference: fully ordered RMW, like the final one, so
	 * our uses of the inode happen before an eviction that follows. */
	if (atomic_add_unless(&inode->i_count, -1, 1))
		return;
	pi = PNM_I(inode);
	pthread_mutex_lock(&inode_lock);
	if (atomic_dec_return(&inode->i_count)) {
		pthread_mutex_unlock(&inode_lock);
		return;
	}
	pi->state |= PNM_I_FREEING;
	pthread_mutex_unlock(&inode_lock);
	evict(pi);
}

/*
 * Next live inode after @prev (NULL: the first), referenced; drops @prev's
 * reference (fs.h).  Inodes being set up or evicted are skipped.  Takes
 * inode_lock; the iput() of @prev may evict it (no lock held then).
 */
struct inode *pnm_inode_next(struct inode *prev)
{
	struct list_head *pos;
	struct inode *next = NULL;

	pthread_mutex_lock(&inode_lock);
	/* @prev is still listed: our reference keeps it from eviction. */
	pos = prev ? prev->i_sb_list.next : pnm_inodes.next;
	for (; pos != &pnm_inodes; pos = pos->next) {
		struct inode *inode = container_of(pos, struct inode, i_sb_list);

		if (PNM_I(inode)->state & (PNM_I_NEW | PNM_I_FREEING))
			continue;
		atomic_inc(&inode->i_count);
		next = inode;
		break;
	}
	pthread_mutex_unlock(&inode_lock);
	if (prev)
		iput(prev);
	return next;
}

/* Does @pi answer to (@fs, @name)?  Backed filesystems share names. */
static bool inode_matches(struct pnm_inode *pi, enum pnm_fs_type fs, const char *name)
{
	if (pi->anon || strcmp(pi->name, name))
		return false;
	return pi->fs == fs || (fs_types[pi->fs]->backed && fs_types[fs]->backed);
}

/*
 * Find (fs, name) in the table and take a reference, waiting out inodes
 * being set up or evicted.  Returns the inode, NULL if absent, or
 * ERR_PTR(-EBUSY) if the name is open on the other backed filesystem.
 * Called and returns with inode_lock held.
 */
static struct pnm_inode *find_inode_locked(enum pnm_fs_type fs, const char *name)
{
	struct pnm_inode *pi;

again:
	list_for_each_entry(pi, &pnm_inodes, vfs.i_sb_list) {
		if (!inode_matches(pi, fs, name))
			continue;
		if (pi->state & (PNM_I_NEW | PNM_I_FREEING)) {
			pthread_cond_wait(&inode_wait, &inode_lock);
			goto again;
		}
		if (pi->fs != fs)
			return ERR_PTR(-EBUSY);
		atomic_inc(&pi->vfs.i_count);
		return pi;
	}
	return NULL;
}

/*
 * Create the inode of (@fs, @name) after a failed lookup: insert it
 * PNM_I_NEW (so other openers of the name wait), open the host file
 * without the lock, let the filesystem set it up, then publish it.
 * Returns the inode with one reference or ERR_PTR.  Called with inode_lock
 * held; returns with it released.
 */
static struct pnm_inode *create_inode_locked(enum pnm_fs_type fs, const char *name,
					     int flags)
{
	const struct pnm_fs_type_ops *ops = fs_types[fs];
	struct pnm_inode *pi = inode_alloc(fs, name);
	char path[PATH_MAX];
	struct stat st;
	int err = 0;

	if (!pi) {
		pthread_mutex_unlock(&inode_lock);
		return ERR_PTR(-ENOMEM);
	}
	pi->state = PNM_I_NEW;
	list_add_tail(&pi->vfs.i_sb_list, &pnm_inodes);
	pthread_mutex_unlock(&inode_lock);

	if (ops->backed) {
		err = host_path(name, path, sizeof(path));
		if (!err) {
			pi->host_fd = open(path, O_RDWR | O_CLOEXEC |
					   (flags & (O_CREAT | O_EXCL)), 0600);
			if (pi->host_fd < 0)
				err = errno == ENOENT || errno == EEXIST ? -errno : -EIO;
		}
		if (!err && fstat(pi->host_fd, &st))
			err = -EIO;
		if (!err)
			pi->vfs.i_size = st.st_size;
	} else if (!(flags & O_CREAT)) {
		err = -ENOENT;		/* shmem: only live objects exist */
	}
	if (!err)
		err = ops->init_inode(pi);
	if (err) {
		inode_unhash(pi);
		inode_free(pi);
		return ERR_PTR(err);
	}
	pthread_mutex_lock(&inode_lock);
	pi->state &= ~PNM_I_NEW;
	pthread_cond_broadcast(&inode_wait);
	pthread_mutex_unlock(&inode_lock);
	return pi;
}

/* A new unnamed inode (contract in internal.h). */
struct inode *pnm_new_anon_inode(enum pnm_fs_type fs, const char *label, loff_t size)
{
	struct pnm_inode *pi;
	int err;

	if ((unsigned int)fs >= PNM_NR_FS || fs_types[fs]->backed || size < 0)
		return ERR_PTR(-EINVAL);
	pi = inode_alloc(fs, label);
	if (!pi)
		return ERR_PTR(-ENOMEM);
	pi->anon = true;
	pi->vfs.i_size = size;
	err = fs_types[fs]->init_inode(pi);
	if (err) {
		inode_free(pi);
		return ERR_PTR(err);
	}
	pthread_mutex_lock(&inode_lock);
	list_add_tail(&pi->vfs.i_sb_list, &pnm_inodes);
	pthread_mutex_unlock(&inode_lock);
	return &pi->vfs;
}

/* The file's name, or an unnamed object's label (internal.h). */
const char *pnm_inode_name(struct inode *inode)
{
	return PNM_I(inode)->name;
}

/* --- files ----------------------------------------------------------------------- */

/* A new struct file on @inode (contract in internal.h). */
struct file *pnm_alloc_file(struct inode *inode, int flags)
{
	struct pnm_file *pf = pnm_calloc(PNM_FAULT_ALLOC, 1, sizeof(*pf));
	struct file *file;
	int acc = flags & O_ACCMODE;

	if (!pf)
		return ERR_PTR(-ENOMEM);
	file = &pf->file;
	atomic_long_set(&file->f_count, 1);
	spin_lock_init(&file->f_lock);
	ihold(inode);
	file->f_inode = inode;
	file->f_mapping = inode->i_mapping;
	file->f_mode = (acc != O_WRONLY ? FMODE_READ : 0) |
		       (acc != O_RDONLY ? FMODE_WRITE : 0);
	file->f_flags = (unsigned int)flags;
	file->f_op = fs_types[PNM_I(inode)->fs]->f_op;
	/* Errors recorded before the open are not this opener's (fs.h). */
	file->f_wb_err = errseq_sample(&inode->i_mapping->wb_err);
	pthread_mutex_lock(&files_lock);
	list_add_tail(&pf->list, &pnm_files);
	pthread_mutex_unlock(&files_lock);
	return file;
}

/* ->release of every model file (internal.h): called by the last fput(). */
void pnm_file_release(struct file *file)
{
	struct pnm_file *pf = container_of(file, struct pnm_file, file);
	struct inode *inode = file->f_inode;

	pnm_lease_file_release(file);
	pthread_mutex_lock(&files_lock);
	list_del(&pf->list);
	pthread_mutex_unlock(&files_lock);
	spin_lock_destroy(&file->f_lock);
	free(pf);
	iput(inode);
}

#define OPEN_FLAGS	(O_ACCMODE | O_CREAT | O_EXCL | O_TRUNC)

/*
 * Open (with O_CREAT: create) file @name of filesystem @fs (fs.h).
 * Deviations from open(2): O_EXCL without O_CREAT and unknown flags are
 * -EINVAL instead of ignored; a disk/dax name open on the other of the
 * two is -EBUSY.  O_TRUNC truncates whatever the access mode, as Linux
 * does.  Takes inode_lock (waiting out an eviction of the same name), the
 * inode's i_lock for O_TRUNC; no other model lock.
 */
struct file *pnm_filp_open(enum pnm_fs_type fs, const char *name, int flags)
{
	struct pnm_inode *pi;
	struct file *file;
	int err;

	if ((unsigned int)fs >= PNM_NR_FS || fs_types[fs]->no_names)
		return ERR_PTR(-EINVAL);
	err = check_name(name);
	if (err)
		return ERR_PTR(err);
	if ((flags & ~OPEN_FLAGS) || (flags & O_ACCMODE) == O_ACCMODE ||
	    ((flags & O_EXCL) && !(flags & O_CREAT)))
		return ERR_PTR(-EINVAL);

	pthread_mutex_lock(&inode_lock);
	pi = find_inode_locked(fs, name);
	if (IS_ERR(pi)) {
		pthread_mutex_unlock(&inode_lock);
		return (struct file *)pi;
	}
	if (pi) {
		pthread_mutex_unlock(&inode_lock);
		if ((flags & (O_CREAT | O_EXCL)) == (O_CREAT | O_EXCL)) {
			iput(&pi->vfs);
			return ERR_PTR(-EEXIST);
		}
	} else {
		pi = create_inode_locked(fs, name, flags);
		if (IS_ERR(pi))
			return (struct file *)pi;
	}

	file = pnm_alloc_file(&pi->vfs, flags);
	iput(&pi->vfs);			/* the file holds its own */
	if (IS_ERR(file))
		return file;
	if ((flags & O_TRUNC) && i_size_read(&pi->vfs)) {
		err = do_truncate(file, 0);
		if (err) {
			fput(file);
			return ERR_PTR(err);
		}
	}
	return file;
}

/* --- the system calls ------------------------------------------------------------- */

/* Largest count one read/write moves (Linux's MAX_RW_COUNT). */
#define MAX_RW_COUNT	(INT_MAX & ~(int)(PAGE_SIZE - 1))

/*
 * Linux's rw_verify_area() for the model: a negative or overflowing
 * position is -EINVAL; @count is clamped to MAX_RW_COUNT.
 */
static int rw_verify_area(loff_t pos, size_t *count)
{
	if (pos < 0)
		return -EINVAL;
	if (*count > (size_t)MAX_RW_COUNT)
		*count = MAX_RW_COUNT;
	if ((unsigned long long)pos + *count > (unsigned long long)LLONG_MAX)
		return -EINVAL;
	return 0;
}

/*
 * read(2) at *@pos (fs.h): -EBADF without FMODE_READ, -EINVAL (NULL file
 * or pos, negative position, NULL buffer), else the filesystem's ->read:
 * bytes read (0 at or after i_size) or -errno.  Locks: the filesystem's.
 */
ssize_t kernel_read(struct file *file, void *buf, size_t count, loff_t *pos)
{
	int err;

	if (!file || !pos || !file->f_op || !file->f_op->read)
		return -EINVAL;
	if (!(file->f_mode & FMODE_READ))
		return -EBADF;
	err = rw_verify_area(*pos, &count);
	if (err)
		return err;
	if (!count)
		return 0;
	if (!buf)
		return -EFAULT;
	return file->f_op->read(file, buf, count, pos);
}

/*
 * write(2) at *@pos (fs.h): -EBADF without FMODE_WRITE, -EINVAL as
 * kernel_read(), -EFBIG at or beyond PNM_MAX_FILE_SIZE (a write reaching
 * past it is shortened, as Linux's generic_write_check_limits()), else the
 * filesystem's ->write: bytes written or -errno (-ENOSPC, -EIO, -ENOMEM).
 */
ssize_t kernel_write(struct file *file, const void *buf, size_t count, loff_t *pos)
{
	int err;

	if (!file || !pos || !file->f_op || !file->f_op->write)
		return -EINVAL;
	if (!(file->f_mode & FMODE_WRITE))
		return -EBADF;
	err = rw_verify_area(*pos, &count);
	if (err)
		return err;
	if (!count)
		return 0;
	if (!buf)
		return -EFAULT;
	if (*pos >= PNM_MAX_FILE_SIZE)
		return -EFBIG;
	if ((unsigned long long)count > (unsigned long long)(PNM_MAX_FILE_SIZE - *pos))
		count = (size_t)(PNM_MAX_FILE_SIZE - *pos);
	return file->f_op->write(file, buf, count, pos);
}

/*
 * fsync(2)/fdatasync(2) of the byte range [start, end] (fs.h): -EINVAL
 * for a negative start or end < start, else the filesystem's ->fsync,
 * which reports a writeback error this opener has not seen yet, once.
 * Allowed on read-only files, as in Linux.  Caller holds no folio lock
 * and no mmap_lock (msync drops it first).
 */
int vfs_fsync_range(struct file *file, loff_t start, loff_t end, int datasync)
{
	if (!file || start < 0 || end < start || !file->f_op || !file->f_op->fsync)
		return -EINVAL;
	return file->f_op->fsync(file, start, end, datasync);
}

/* fsync(2)/fdatasync(2) of the whole file. */
int vfs_fsync(struct file *file, int datasync)
{
	return vfs_fsync_range(file, 0, LLONG_MAX, datasync);
}

/*
 * Change @file's size to @length through its ->setsize, with no access
 * check (O_TRUNC uses it on read-only opens).  0 or -errno.
 */
int do_truncate(struct file *file, loff_t length)
{
	/* A layout change: break the inode's layout leases first (no lock
	 * held; bounded by the leases' deadlines). */
	if (file->f_inode)
		pnm_break_layout(file->f_inode);
	if (!file->f_op || !file->f_op->setsize)
		return -EINVAL;
	return file->f_op->setsize(file, length);
}

/*
 * ftruncate(2) (fs.h): -EINVAL for a negative length or a file not open
 * for writing (Linux's choice among the EBADF/EINVAL POSIX allows),
 * -EFBIG beyond PNM_MAX_FILE_SIZE, else the filesystem's ->setsize (dax:
 * -EBUSY when a page to drop is pinned and not quarantined).  Takes i_lock and
 * invalidate_lock (exclusive) inside ->setsize.
 */
int do_ftruncate(struct file *file, loff_t length)
{
	if (!file || length < 0)
		return -EINVAL;
	if (!(file->f_mode & FMODE_WRITE))
		return -EINVAL;
	if (length > PNM_MAX_FILE_SIZE)
		return -EFBIG;
	return do_truncate(file, length);
}

/*
 * fallocate(2) (fs.h): mode 0 or FALLOC_FL_KEEP_SIZE allocates
 * [offset, offset + len) (extending i_size unless KEEP_SIZE);
 * FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE drops it (the cache and the
 * backing store; reads then see zeroes).  Errors as Linux's
 * vfs_fallocate(): -EINVAL (offset < 0, len <= 0), -EOPNOTSUPP (other
 * modes, PUNCH_HOLE without KEEP_SIZE), -EBADF (not open for writing),
 * -EFBIG (past PNM_MAX_FILE_SIZE), then the filesystem's (-ENOSPC, -EIO,
 * dax -EBUSY).  Takes i_lock and invalidate_lock inside ->fallocate.
 */
int vfs_fallocate(struct file *file, int mode, loff_t offset, loff_t len)
{
	if (!file || offset < 0 || len <= 0)
		return -EINVAL;
	if (mode & ~(FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE))
		return -EOPNOTSUPP;
	if ((mode & FALLOC_FL_PUNCH_HOLE) && !(mode & FALLOC_FL_KEEP_SIZE))
		return -EOPNOTSUPP;
	if (!(file->f_mode & FMODE_WRITE))
		return -EBADF;
	if (offset > PNM_MAX_FILE_SIZE || len > PNM_MAX_FILE_SIZE - offset)
		return -EFBIG;
	if (!file->f_op || !file->f_op->fallocate)
		return -EOPNOTSUPP;
	/* Punching a hole changes the layout: break the leases first. */
	if ((mode & FALLOC_FL_PUNCH_HOLE) && file->f_inode)
		pnm_break_layout(file->f_inode);
	return (int)file->f_op->fallocate(file, mode, offset, len);
}

/*
 * The generic ->fallocate of the model's filesystems: punch through the
 * filesystem's ->punch, allocate through ->setsize (growing; KEEP_SIZE
 * only reserves, which needs nothing but a possible -ENOSPC).  Takes
 * i_lock, and invalidate_lock exclusive for a punch.
 */
long pnm_generic_fallocate(struct file *file, int mode, loff_t offset, loff_t len)
{
	struct inode *inode = file->f_inode;
	const struct pnm_fs_type_ops *ops = fs_types[PNM_I(inode)->fs];
	loff_t end = offset + len;
	int err = 0;

	mutex_lock(&inode->i_lock);
	/* Direct IO in flight may still write the blocks (and, extending,
	 * the size) that this changes: wait for it, as Linux does. */
	inode_dio_wait(inode);
	if (mode & FALLOC_FL_PUNCH_HOLE) {
		loff_t size = i_size_read(inode);

		if (offset < size) {
			down_write(&inode->i_mapping->invalidate_lock);
			err = ops->punch(inode, offset, min_t(loff_t, end, size) - 1);
			up_write(&inode->i_mapping->invalidate_lock);
		}
	} else {
		if (ops->backed)
			err = pnm_fs_io_fault(inode, PNM_IO_WRITE, true);
		if (!err && !(mode & FALLOC_FL_KEEP_SIZE) && end > i_size_read(inode)) {
			down_write(&inode->i_mapping->invalidate_lock);
			err = ops->setsize(inode, end);
			up_write(&inode->i_mapping->invalidate_lock);
		}
	}
	mutex_unlock(&inode->i_lock);
	return err;
}

/*
 * The generic ->setsize: i_lock, invalidate_lock exclusive, the
 * filesystem's setsize.  0 or -errno.
 */
int pnm_generic_setsize(struct file *file, loff_t size)
{
	struct inode *inode = file->f_inode;
	int err;

	mutex_lock(&inode->i_lock);
	inode_dio_wait(inode);		/* as fallocate */
	down_write(&inode->i_mapping->invalidate_lock);
	err = fs_types[PNM_I(inode)->fs]->setsize(inode, size);
	up_write(&inode->i_mapping->invalidate_lock);
	mutex_unlock(&inode->i_lock);
	return err;
}

/* sync(2)'s non-page-cache part for one inode (internal.h). */
int pnm_fs_sync_inode(struct inode *inode)
{
	if (IS_DAX(inode))
		return dax_writeback_range(inode, 0, LLONG_MAX);
	return 0;
}

/* Is @folio dax storage?  (internal.h; gup.c's long-term check.) */
bool pnm_folio_is_dax(struct folio *folio)
{
	struct address_space *mapping;
	bool dax = false;

	/* The inode is freed after a grace period (inode_free): reading
	 * mapping->host inside a read section is safe even if the folio
	 * left its file meanwhile. */
	pnm_rcu_read_lock();
	mapping = folio_mapping(folio);
	if (mapping) {
		struct inode *host = READ_ONCE(mapping->host);

		dax = host && IS_DAX(host);
	}
	pnm_rcu_read_unlock();
	return dax;
}

/* --- checking and teardown ---------------------------------------------------------- */

/* Check one inode; pnm_check_fail() on a problem. */
static bool check_inode(struct inode *inode)
{
	struct pnm_inode *pi = PNM_I(inode);
	loff_t size = i_size_read(inode);
	struct folio *beyond;
	unsigned long index;
	struct stat st;

	if ((unsigned int)pi->fs >= PNM_NR_FS || inode->i_fs != (int)pi->fs)
		return pnm_check_fail("inode %lu: filesystem %d/%d", inode->i_ino,
				      (int)pi->fs, inode->i_fs);
	if (inode->i_mapping != &inode->i_data || inode->i_data.host != inode)
		return pnm_check_fail("inode %lu (%s): mapping not its own", inode->i_ino,
				      pi->name);
	if (atomic_read(&inode->i_count) <= 0)
		return pnm_check_fail("inode %lu (%s): listed with i_count %d", inode->i_ino,
				      pi->name, atomic_read(&inode->i_count));
	if (size < 0 || size > PNM_MAX_FILE_SIZE)
		return pnm_check_fail("inode %lu (%s): i_size %lld", inode->i_ino, pi->name,
				      (long long)size);
	if (!pi->anon && check_name(pi->name))
		return pnm_check_fail("inode %lu: bad name '%s'", inode->i_ino, pi->name);
	if (fs_types[pi->fs]->backed && fstat(pi->host_fd, &st))
		return pnm_check_fail("inode %lu (%s): host file descriptor %d unusable",
				      inode->i_ino, pi->name, pi->host_fd);
	if (!fs_types[pi->fs]->backed && pi->host_fd != -1)
		return pnm_check_fail("inode %lu (%s): %s file with a host file",
				      inode->i_ino, pi->name, pnm_fs_name(pi->fs));
	if ((pi->fs == PNM_FS_DAX) != IS_DAX(inode))
		return pnm_check_fail("inode %lu (%s): S_DAX %d on a %s file", inode->i_ino,
				      pi->name, IS_DAX(inode), pnm_fs_name(pi->fs));
	/* Nothing cached (or stored) wholly beyond the end of the file:
	 * truncate removed it, and failed extending writes remove theirs.
	 * (hugetlbfs: fallocate with KEEP_SIZE, or one that ran out of huge
	 * pages, leaves pages beyond the end, as Linux's does.) */
	index = (unsigned long)((size + (loff_t)PAGE_SIZE - 1) >> PAGE_SHIFT);
	if (pi->fs == PNM_FS_HUGETLBFS || pi->fs == PNM_FS_HUGETLBFS_1G)
		index = ~0UL;
	spin_lock(&inode->i_data.i_pages.xa_lock);
	beyond = xa_find_locked(&inode->i_data.i_pages, &index, ~0UL);
	if (beyond && beyond->index < (pgoff_t)((size + (loff_t)PAGE_SIZE - 1) >> PAGE_SHIFT))
		beyond = NULL;		/* a large folio straddling EOF */
	spin_unlock(&inode->i_data.i_pages.xa_lock);
	if (beyond)
		return pnm_check_fail("inode %lu (%s): folio %#lx at index %lu beyond i_size %lld",
				      inode->i_ino, pi->name, folio_pfn(beyond), beyond->index,
				      (long long)size);
	return pnm_check_mapping(inode->i_mapping) && pnm_memfd_check_inode(inode);
}

/*
 * Check every live inode and its mapping (fs.h), and that the dax storage
 * frames add up to PNM_NR_DAX_PAGES.  Call with the model quiescent.
 */
bool pnm_check_inodes(void)
{
	struct inode *inode = NULL;
	unsigned long dax_pages = 0;

	while ((inode = pnm_inode_next(inode))) {
		if (!check_inode(inode)) {
			iput(inode);
			return false;
		}
		if (IS_DAX(inode))
			dax_pages += READ_ONCE(inode->i_data.nrpages);
	}
	if ((long)dax_pages != global_stat(PNM_NR_DAX_PAGES))
		return pnm_check_fail("dax inodes hold %lu storage pages, %s says %ld",
				      dax_pages, "pnm_nr_dax_pages",
				      global_stat(PNM_NR_DAX_PAGES));
	return true;
}

/*
 * Tear the namespace down (internal.h): every file still open is reported
 * and closed (its references dropped, evicting its inode) and counted in
 * *@nr_files (if not NULL), any inode still referenced otherwise is
 * reported and evicted, and a private data directory is removed.  Returns
 * -EBUSY if something was left open, else 0.  No other thread may use
 * files meanwhile.
 */
int pnm_fs_fini(unsigned long *nr_files)
{
	struct pnm_inode *pi;
	unsigned long files = 0;
	int ret = 0;

	for (;;) {
		struct pnm_file *pf;
		struct file *file;

		pthread_mutex_lock(&files_lock);
		pf = list_empty(&pnm_files) ? NULL :
		     list_first_entry(&pnm_files, struct pnm_file, list);
		pthread_mutex_unlock(&files_lock);
		if (!pf)
			break;
		file = &pf->file;
		pnm_log(PNM_LOG_ERR, "pinmm: %s file '%s' left open (%ld reference%s)",
			pnm_fs_name(PNM_I(file->f_inode)->fs),
			PNM_I(file->f_inode)->name, atomic_long_read(&file->f_count),
			atomic_long_read(&file->f_count) == 1 ? "" : "s");
		ret = -EBUSY;
		files++;
		atomic_long_set(&file->f_count, 0);
		pnm_file_release(file);
	}
	if (nr_files)
		*nr_files = files;
	for (;;) {
		pthread_mutex_lock(&inode_lock);
		pi = NULL;
		if (!list_empty(&pnm_inodes)) {
			pi = list_first_entry(&pnm_inodes, struct pnm_inode, vfs.i_sb_list);
			pi->state |= PNM_I_FREEING;
		}
		pthread_mutex_unlock(&inode_lock);
		if (!pi)
			break;
		pnm_log(PNM_LOG_ERR, "pinmm: %s inode %lu '%s' still referenced (%d)",
			pnm_fs_name(pi->fs), pi->vfs.i_ino, pi->name,
			atomic_read(&pi->vfs.i_count));
		ret = -EBUSY;
		atomic_set(&pi->vfs.i_count, 0);
		evict(pi);
	}
	if (data_dir_private)
		remove_private_dir();
	data_dir_private = false;
	return ret;
}
