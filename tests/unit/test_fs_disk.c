// SPDX-License-Identifier: MIT
/*
 * test_fs_disk.c - the disk filesystem (fs/disk.c) and the namespace
 * (fs/namei.c): open/create/exclusive/truncate and name and flag checks;
 * buffered read and write, holes and i_size; shared mappings reaching the
 * host file after fsync; private mappings copying; dirty tracking (clean
 * shared pages are write-protected, page_mkwrite creates block state,
 * writeback drops it); a page dirtied without block state (the 2018
 * failure, with legacy GUP) reported and its loss counted; injected
 * EIO/ENOSPC/short writes reported by fsync
 * exactly once per opener; ftruncate and hole punching against the host
 * file; threads opening, writing and closing one name (each close may
 * evict and write back while another open waits for it) with writeback
 * passes iterating the inode table.  Everything the "disk" sees is checked with test_host_pread(),
 * which reads the real host file behind the model's back.
 */
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "test_util.h"
#include "pinmm_test_internal.h"

#define PG	PAGE_SIZE
#define RW	(PROT_READ | PROT_WRITE)

/* Host size of @f's backing file. */
static off_t host_size(struct file *f)
{
	char path[PATH_MAX];
	struct stat st;

	assert_int_equal(pnm_fs_backing_path(f, path, sizeof(path)), 0);
	assert_int_equal(stat(path, &st), 0);
	return st.st_size;
}

/* Write @n bytes of @v at @pos through write(2); must all go through. */
static void fwrite_fill(struct file *f, loff_t pos, unsigned char v, size_t n)
{
	unsigned char buf[4 * PAGE_SIZE];

	assert_true(n <= sizeof(buf));
	memset(buf, v, n);
	assert_int_equal(kernel_write(f, buf, n, &pos), (ssize_t)n);
}

/* Read one byte at @pos through read(2) (0 if beyond EOF: asserts 1). */
static unsigned char fread_byte(struct file *f, loff_t pos)
{
	unsigned char v = 0xee;

	assert_int_equal(kernel_read(f, &v, 1, &pos), 1);
	return v;
}

/* One byte of the host file (0xee if the host file is shorter). */
/* The folio cached at @index of @f (its cache holds a reference). */
static struct folio *cached(struct file *f, pgoff_t index)
{
	struct folio *folio = filemap_get_folio(f->f_mapping, index);

	if (IS_ERR(folio))
		return NULL;
	folio_put(folio);
	return folio;
}

/* --- names, open flags ---------------------------------------------------- */

static void test_open_create_excl(void **state)
{
	struct file *f, *g;
	char path[PATH_MAX];
	struct stat st;

	(void)state;
	assert_ptr_equal(pnm_filp_open(PNM_FS_DISK, "a", O_RDWR), ERR_PTR(-ENOENT));
	f = pnm_filp_open(PNM_FS_DISK, "a", O_RDWR | O_CREAT | O_EXCL);
	assert_false(IS_ERR_OR_NULL(f));
	assert_int_equal(pnm_fs_backing_path(f, path, sizeof(path)), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_size, 0);
	assert_string_equal(path + strlen(pnm_fs_data_dir()), "/a");
	assert_int_equal(f->f_mode, FMODE_READ | FMODE_WRITE);
	assert_int_equal(f->f_inode->i_fs, PNM_FS_DISK);
	assert_false(IS_DAX(f->f_inode));

	/* Open twice: one inode.  Exclusive create of an open name fails. */
	g = pnm_filp_open(PNM_FS_DISK, "a", O_RDONLY);
	assert_false(IS_ERR_OR_NULL(g));
	assert_ptr_equal(g->f_inode, f->f_inode);
	assert_int_equal(g->f_mode, FMODE_READ);
	assert_ptr_equal(pnm_filp_open(PNM_FS_DISK, "a", O_RDWR | O_CREAT | O_EXCL),
			 ERR_PTR(-EEXIST));
	/* The same host name as dax while open as disk: refused. */
	assert_ptr_equal(pnm_filp_open(PNM_FS_DAX, "a", O_RDWR), ERR_PTR(-EBUSY));
	fput(g);
	fput(f);
	CHECK_ALL();

	/* Closed, the host file still exists: exclusive create fails, a
	 * plain open finds it. */
	assert_ptr_equal(pnm_filp_open(PNM_FS_DISK, "a", O_RDWR | O_CREAT | O_EXCL),
			 ERR_PTR(-EEXIST));
	f = pnm_filp_open(PNM_FS_DISK, "a", O_WRONLY);
	assert_false(IS_ERR_OR_NULL(f));
	assert_int_equal(f->f_mode, FMODE_WRITE);
	fput(f);
	CHECK_ALL();
}

static void test_names_and_flags(void **state)
{
	char name[PNM_FS_NAME_MAX + 2];
	struct file *f;

	(void)state;
	assert_ptr_equal(pnm_filp_open(PNM_FS_DISK, "", O_RDWR | O_CREAT), ERR_PTR(-EINVAL));
	assert_ptr_equal(pnm_filp_open(PNM_FS_DISK, NULL, O_RDWR | O_CREAT), ERR_PTR(-EINVAL));
	assert_ptr_equal(pnm_filp_open(PNM_FS_DISK, ".", O_RDWR | O_CREAT), ERR_PTR(-EINVAL));
	assert_ptr_equal(pnm_filp_open(PNM_FS_DISK, "..", O_RDWR | O_CREAT), ERR_PTR(-EINVAL));
	assert_ptr_equal(pnm_filp_open(PNM_FS_DISK, "a/b", O_RDWR | O_CREAT), ERR_PTR(-EINVAL));
	assert_ptr_equal(pnm_filp_open(PNM_FS_DISK, "sp ace", O_RDWR | O_CREAT), ERR_PTR(-EINVAL));
	assert_ptr_equal(pnm_filp_open(PNM_NR_FS, "x", O_RDWR | O_CREAT), ERR_PTR(-EINVAL));
	memset(name, 'n', sizeof(name));
	name[PNM_FS_NAME_MAX + 1] = '\0';
	assert_ptr_equal(pnm_filp_open(PNM_FS_DISK, name, O_RDWR | O_CREAT),
			 ERR_PTR(-ENAMETOOLONG));
	name[PNM_FS_NAME_MAX] = '\0';		/* exactly the maximum */
	f = pnm_filp_open(PNM_FS_DISK, name, O_RDWR | O_CREAT);
	assert_false(IS_ERR_OR_NULL(f));
	fput(f);
	f = test_open(PNM_FS_DISK, "A-z_0.9");
	fput(f);

	/* Flags: unknown bits, O_ACCMODE 3, O_EXCL without O_CREAT. */
	assert_ptr_equal(pnm_filp_open(PNM_FS_DISK, "x", O_RDWR | O_CREAT | O_APPEND),
			 ERR_PTR(-EINVAL));
	assert_ptr_equal(pnm_filp_open(PNM_FS_DISK, "x", O_ACCMODE | O_CREAT), ERR_PTR(-EINVAL));
	assert_ptr_equal(pnm_filp_open(PNM_FS_DISK, "x", O_RDWR | O_EXCL), ERR_PTR(-EINVAL));
	assert_ptr_equal(pnm_filp_open(PNM_FS_DISK, "x", O_RDWR), ERR_PTR(-ENOENT));

	assert_string_equal(pnm_fs_name(PNM_FS_DISK), "disk");
	assert_string_equal(pnm_fs_name(PNM_FS_SHMEM), "shmem");
	assert_string_equal(pnm_fs_name(PNM_FS_DAX), "dax");
	assert_int_equal(pnm_fs_parse("dax"), PNM_FS_DAX);
	assert_int_equal(pnm_fs_parse("ext4"), -1);
	assert_int_equal(pnm_fs_parse(NULL), -1);
	CHECK_ALL();
}

/* Access modes and argument checks of the calls. */
static void test_access_checks(void **state)
{
	struct file *w, *r, *f = test_open(PNM_FS_DISK, "acc");
	unsigned char b[8] = { 0 };
	loff_t pos = 0;

	(void)state;
	fwrite_fill(f, 0, 1, 8);
	r = pnm_filp_open(PNM_FS_DISK, "acc", O_RDONLY);
	w = pnm_filp_open(PNM_FS_DISK, "acc", O_WRONLY);
	assert_false(IS_ERR_OR_NULL(r) || IS_ERR_OR_NULL(w));
	assert_int_equal(kernel_write(r, b, 1, &pos), -EBADF);
	assert_int_equal(kernel_read(w, b, 1, &pos), -EBADF);
	assert_int_equal(do_ftruncate(r, 0), -EINVAL);
	assert_int_equal(vfs_fallocate(r, 0, 0, PG), -EBADF);
	assert_int_equal(vfs_fsync(r, 0), 0);		/* allowed read-only */
	pos = -1;
	assert_int_equal(kernel_read(f, b, 1, &pos), -EINVAL);
	assert_int_equal(kernel_write(f, b, 1, &pos), -EINVAL);
	pos = PNM_MAX_FILE_SIZE;
	assert_int_equal(kernel_write(f, b, 1, &pos), -EFBIG);
	pos = 0;
	assert_int_equal(kernel_read(f, b, 0, &pos), 0);
	assert_int_equal(kernel_read(NULL, b, 1, &pos), -EINVAL);
	assert_int_equal(kernel_read(f, b, 1, NULL), -EINVAL);
	assert_int_equal(vfs_fsync_range(f, 10, 5, 0), -EINVAL);
	assert_int_equal(vfs_fsync_range(f, -1, 5, 0), -EINVAL);
	assert_int_equal(do_ftruncate(f, -1), -EINVAL);
	assert_int_equal(do_ftruncate(f, PNM_MAX_FILE_SIZE + 1), -EFBIG);
	assert_int_equal(vfs_fallocate(f, 0, -1, PG), -EINVAL);
	assert_int_equal(vfs_fallocate(f, 0, 0, 0), -EINVAL);
	assert_int_equal(vfs_fallocate(f, FALLOC_FL_PUNCH_HOLE, 0, PG), -EOPNOTSUPP);
	assert_int_equal(vfs_fallocate(f, 0x10, 0, PG), -EOPNOTSUPP);
	assert_int_equal(vfs_fallocate(f, 0, PNM_MAX_FILE_SIZE, 1), -EFBIG);
	assert_int_equal(pnm_fs_inject_error(f, 0, -EIO, 1), -EINVAL);
	assert_int_equal(pnm_fs_inject_error(f, 4, -EIO, 1), -EINVAL);
	assert_int_equal(pnm_fs_inject_error(f, PNM_IO_WRITE, -EPERM, 1), -EINVAL);
	assert_int_equal(pnm_fs_inject_error(f, PNM_IO_READ, PNM_IO_SHORT, 1), -EINVAL);
	assert_int_equal(pnm_fs_inject_error(f, PNM_IO_READ, -ENOSPC, 1), -EINVAL);
	assert_int_equal(i_size_read(f->f_inode), 8);	/* nothing changed */
	fput(r);
	fput(w);
	fput(f);
	CHECK_ALL();
}

static void test_o_trunc(void **state)
{
	struct file *f = test_open(PNM_FS_DISK, "t"), *g;

	(void)state;
	fwrite_fill(f, 0, 0x33, 3 * PG);
	assert_int_equal(vfs_fsync(f, 0), 0);
	assert_int_equal(host_size(f), 3 * PG);
	g = pnm_filp_open(PNM_FS_DISK, "t", O_RDWR | O_TRUNC);
	assert_false(IS_ERR_OR_NULL(g));
	assert_int_equal(i_size_read(f->f_inode), 0);
	assert_int_equal(host_size(f), 0);
	assert_int_equal(f->f_mapping->nrpages, 0);
	fput(g);
	fput(f);
	CHECK_ALL();
}

/* --- buffered I/O ------------------------------------------------------------ */

static void test_read_write_holes(void **state)
{
	struct file *f = test_open(PNM_FS_DISK, "rw");
	unsigned char buf[3 * PAGE_SIZE];
	loff_t pos = 3 * PG + 10;
	long dirty = global_stat(NR_FILE_DIRTY);

	(void)state;
	assert_int_equal(kernel_write(f, "hello", 5, &pos), 5);
	assert_int_equal(pos, 3 * PG + 15);
	assert_int_equal(i_size_read(f->f_inode), 3 * PG + 15);
	assert_true(global_stat(NR_FILE_DIRTY) > dirty);
	/* Nothing on the disk before writeback. */
	assert_int_equal(host_size(f), 0);
	CHECK_ALL();

	/* Holes read as zeroes, reads stop at i_size. */
	pos = 0;
	memset(buf, 0xee, sizeof(buf));
	assert_int_equal(kernel_read(f, buf, 2 * PG, &pos), 2 * PG);
	for (size_t i = 0; i < 2 * PG; i++)
		assert_int_equal(buf[i], 0);
	pos = 3 * PG + 8;
	assert_int_equal(kernel_read(f, buf, 100, &pos), 7);
	assert_memory_equal(buf, "\0\0hello", 7);
	assert_int_equal(kernel_read(f, buf, 100, &pos), 0);
	pos = 10 * PG;
	assert_int_equal(kernel_read(f, buf, 100, &pos), 0);

	/* fsync: the host file has it, i_size included. */
	assert_int_equal(vfs_fsync(f, 0), 0);
	assert_int_equal(host_size(f), 3 * PG + 15);
	assert_int_equal(test_host_pread(f, buf, 5, 3 * PG + 10), 5);
	assert_memory_equal(buf, "hello", 5);
	assert_int_equal(global_stat(NR_FILE_DIRTY), dirty);
	fput(f);
	CHECK_ALL();

	/* Eviction wrote everything; a new open reads it from the host. */
	f = test_open(PNM_FS_DISK, "rw");
	assert_int_equal(i_size_read(f->f_inode), 3 * PG + 15);
	assert_int_equal(fread_byte(f, 3 * PG + 11), 'e');
	fput(f);
	CHECK_ALL();
}

/* Close without fsync: eviction writes the data back. */
static void test_eviction_writes_back(void **state)
{
	struct file *f = test_open(PNM_FS_DISK, "ev");
	long pgpgout = global_stat(PGPGOUT);

	(void)state;
	fwrite_fill(f, PG, 0x5c, 2 * PG);
	fput(f);
	assert_int_equal(global_stat(PGPGOUT), pgpgout + 2);
	f = test_open(PNM_FS_DISK, "ev");
	assert_int_equal(host_size(f), 3 * PG);
	assert_int_equal(test_host_byte(f, 2 * PG + 7), 0x5c);
	assert_int_equal(test_host_byte(f, 7), 0);
	fput(f);
	CHECK_ALL();
}

/* A file bigger than one write, written and read back across pages. */
static void test_large_io(void **state)
{
	struct file *f = test_open(PNM_FS_DISK, "big");
	unsigned char in[4 * PAGE_SIZE], out[4 * PAGE_SIZE];
	loff_t pos = 100;

	(void)state;
	for (size_t i = 0; i < sizeof(in); i++)
		in[i] = (unsigned char)(i * 7 + 3);
	assert_int_equal(kernel_write(f, in, sizeof(in), &pos), (ssize_t)sizeof(in));
	pos = 100;
	assert_int_equal(kernel_read(f, out, sizeof(out), &pos), (ssize_t)sizeof(out));
	assert_memory_equal(in, out, sizeof(in));
	assert_int_equal(vfs_fsync(f, 0), 0);
	assert_int_equal(test_host_pread(f, out, sizeof(out), 100), (ssize_t)sizeof(out));
	assert_memory_equal(in, out, sizeof(in));
	fput(f);
	CHECK_ALL();
}

/* --- mappings ------------------------------------------------------------- */

static void test_mmap_shared(void **state)
{
	struct task_struct *p = test_task_create("p");
	struct file *f = test_open(PNM_FS_DISK, "m");
	long a;

	(void)state;
	fwrite_fill(f, 0, 0x41, 4 * PG);
	assert_int_equal(vfs_fsync(f, 0), 0);
	a = pnm_mm_mmap(p->mm, 0, 4 * PG, RW, MAP_SHARED, f, 0);
	assert_true(a > 0);
	/* Read through the mapping what write(2) wrote. */
	assert_int_equal(test_read_byte(p, (unsigned long)a + 2 * PG + 1), 0x41);
	/* Write through it; write(2)'s readers see it at once, the disk
	 * after fsync. */
	test_write_byte(p, (unsigned long)a + 3 * PG + 5, 0x99);
	assert_int_equal(fread_byte(f, 3 * PG + 5), 0x99);
	assert_int_equal(test_host_byte(f, 3 * PG + 5), 0x41);
	assert_int_equal(vfs_fsync(f, 0), 0);
	assert_int_equal(test_host_byte(f, 3 * PG + 5), 0x99);
	CHECK_ALL();

	/* Beyond EOF: SIGBUS. */
	assert_int_equal(pnm_mm_munmap(p->mm, (unsigned long)a, 4 * PG), 0);
	a = pnm_mm_mmap(p->mm, 0, 8 * PG, RW, MAP_SHARED, f, 0);
	assert_true(a > 0);
	assert_int_equal(pnm_user_write(p, (unsigned long)a + 5 * PG, "x", 1), -EFAULT);
	fput(f);
	CHECK_ALL();
}

static void test_mmap_private_copies(void **state)
{
	struct task_struct *p = test_task_create("p");
	struct file *f = test_open(PNM_FS_DISK, "priv");
	unsigned long cache_pfn;
	long a;

	(void)state;
	fwrite_fill(f, 0, 0x10, 2 * PG);
	a = pnm_mm_mmap(p->mm, 0, 2 * PG, RW, MAP_PRIVATE, f, 0);
	assert_true(a > 0);
	assert_int_equal(test_read_byte(p, (unsigned long)a + PG), 0x10);
	cache_pfn = test_pfn(p, (unsigned long)a + PG);
	assert_ptr_equal(pfn_folio(cache_pfn), cached(f, 1));
	test_write_byte(p, (unsigned long)a + PG, 0x20);
	assert_int_not_equal(test_pfn(p, (unsigned long)a + PG), cache_pfn);
	assert_true(folio_test_anon(test_folio(p, (unsigned long)a + PG)));
	assert_int_equal(fread_byte(f, PG), 0x10);
	assert_int_equal(vfs_fsync(f, 0), 0);
	assert_int_equal(test_host_byte(f, PG), 0x10);
	fput(f);
	CHECK_ALL();
}

/* Clean shared pages are mapped read-only; the first write reaches
 * page_mkwrite, which creates the block state; writeback cleans,
 * write-protects and drops it again. */
static void test_dirty_tracking(void **state)
{
	struct task_struct *p = test_task_create("p");
	struct file *f = test_open(PNM_FS_DISK, "dt");
	unsigned long pfn;
	struct folio *folio;
	bool w = true;
	long a;

	(void)state;
	fwrite_fill(f, 0, 0x1, PG);
	assert_int_equal(vfs_fsync(f, 0), 0);
	folio = cached(f, 0);
	assert_non_null(folio);
	assert_false(folio_test_dirty(folio));
	assert_false(PagePrivate(&folio->page));	/* cleaned: blocks dropped */

	a = pnm_mm_mmap(p->mm, 0, PG, RW, MAP_SHARED, f, 0);
	assert_int_equal(test_read_byte(p, (unsigned long)a), 0x1);
	assert_int_equal(pnm_mm_translate(p->mm, (unsigned long)a, &pfn, &w), 0);
	assert_false(w);				/* clean: read-only */
	assert_int_equal(pfn, folio_pfn(folio));

	test_write_byte(p, (unsigned long)a, 0x2);
	assert_int_equal(pnm_mm_translate(p->mm, (unsigned long)a, &pfn, &w), 0);
	assert_true(w);
	assert_true(folio_test_dirty(folio));
	assert_true(PagePrivate(&folio->page));		/* page_mkwrite's blocks */
	CHECK_ALL();

	assert_int_equal(vfs_fsync(f, 0), 0);
	assert_false(folio_test_dirty(folio));
	assert_false(PagePrivate(&folio->page));
	assert_int_equal(pnm_mm_translate(p->mm, (unsigned long)a, &pfn, &w), 0);
	assert_false(w);				/* write-protected again */
	assert_int_equal(test_host_byte(f, 0), 0x2);

	/* The next write is seen again. */
	test_write_byte(p, (unsigned long)a, 0x3);
	assert_true(folio_test_dirty(folio));
	assert_true(PagePrivate(&folio->page));
	assert_int_equal(global_stat(PNM_FS_DIRTY_NO_BLOCKS), 0);
	fput(f);
	CHECK_ALL();
}

/*
 * The 2018 failure, detected (legacy GUP: a pin is a plain reference):
 * writeback cleans the pinned page and drops its blocks, the device
 * writes, the unpin dirties the page without block state -> reported
 * once (PNM_FS_DIRTY_NO_BLOCKS, PG_pnm_nofs_dirty, the checkers accept
 * it); the next writeback cannot write it -> PNM_WB_LOST, the disk keeps
 * the old data.
 */
static void test_dirty_without_blocks_detected(void **state)
{
	struct task_struct *p, *prev;
	struct pnm_config cfg;
	struct page *pages[1];
	struct folio *folio;
	struct file *f;
	long a;

	(void)state;
	assert_int_equal(pnm_fini(), 0);
	pnm_test_config(&cfg);
	cfg.legacy_gup = true;
	pnm_test_init_with(&cfg);
	p = test_task_create("p");
	f = test_open(PNM_FS_DISK, "2018");
	fwrite_fill(f, 0, 0x11, PG);
	a = pnm_mm_mmap(p->mm, 0, PG, RW, MAP_SHARED, f, 0);
	prev = pnm_task_enter(p);
	assert_int_equal(pin_user_pages_fast((unsigned long)a, 1, FOLL_WRITE | FOLL_LONGTERM,
					     pages), 1);
	pnm_task_leave(prev);
	folio = page_folio(pages[0]);
	assert_true(PagePrivate(&folio->page));
	assert_false(folio_maybe_dma_pinned(folio));

	assert_int_equal(vfs_fsync(f, 0), 0);		/* cleaned, blocks dropped */
	assert_false(folio_test_dirty(folio));
	assert_false(PagePrivate(&folio->page));
	assert_int_equal(test_host_byte(f, 0), 0x11);
	assert_int_equal(pnm_dma_write(pages, 1, 0, "\x22\x22", 2), 0);
	unpin_user_pages_dirty_lock(pages, 1, true);
	assert_int_equal(global_stat(PNM_FS_DIRTY_NO_BLOCKS), 1);
	assert_true(folio_test_dirty(folio));
	assert_true(test_bit(PG_pnm_nofs_dirty, &folio->flags));
	CHECK_ALL();
	/* Once per folio: dirtying it again reports nothing new. */
	folio_lock(folio);
	folio_mark_dirty(folio);
	folio_unlock(folio);
	assert_int_equal(global_stat(PNM_FS_DIRTY_NO_BLOCKS), 1);

	/* Lost, and said so: the opener's fsync reports -EIO once. */
	assert_int_equal(vfs_fsync(f, 0), -EIO);
	assert_int_equal(global_stat(PNM_WB_LOST), 1);
	assert_int_equal(vfs_fsync(f, 0), 0);
	assert_false(test_bit(PG_pnm_nofs_dirty, &folio->flags));
	assert_int_equal(test_host_byte(f, 0), 0x11);	/* the disk kept the old data */
	assert_int_equal(fread_byte(f, 0), 0x22);	/* memory has the new */
	fput(f);
	CHECK_ALL();
}

/* --- errors ------------------------------------------------------------------ */

/* An injected writeback EIO: each opener's fsync reports it once; a file
 * opened afterwards does not see it. */
static void test_eio_once_per_opener(void **state)
{
	struct file *f = test_open(PNM_FS_DISK, "eio"), *g, *late;
	long ioerr = global_stat(PNM_WB_IO_ERRORS);

	(void)state;
	g = test_open(PNM_FS_DISK, "eio");
	fwrite_fill(f, 0, 0x77, PG);
	assert_int_equal(pnm_fs_inject_error(f, PNM_IO_WRITE, -EIO, 1), 0);
	assert_int_equal(vfs_fsync(f, 0), -EIO);
	assert_int_equal(global_stat(PNM_WB_IO_ERRORS), ioerr + 1);
	assert_int_equal(test_host_byte(f, 0), 0);	/* the size, not the data */
	assert_false(folio_test_dirty(cached(f, 0)));	/* data only in memory */
	late = test_open(PNM_FS_DISK, "eio");
	assert_int_equal(vfs_fsync(f, 0), 0);		/* seen */
	assert_int_equal(vfs_fsync(g, 0), -EIO);	/* the other opener: once */
	assert_int_equal(vfs_fsync(g, 0), 0);
	assert_int_equal(vfs_fsync(late, 0), 0);	/* opened after the error */
	CHECK_ALL();

	/* Rewritten, it goes out normally. */
	fwrite_fill(f, 0, 0x78, PG);
	assert_int_equal(vfs_fsync(f, 0), 0);
	assert_int_equal(test_host_byte(f, 0), 0x78);
	fput(late);
	fput(g);
	fput(f);
	CHECK_ALL();
}

/* -ENOSPC: at block allocation write(2) fails with nothing changed; at
 * writeback fsync reports it. */
static void test_enospc(void **state)
{
	struct task_struct *p = test_task_create("p");
	struct file *f = test_open(PNM_FS_DISK, "nospc");
	unsigned char v = 9;
	loff_t pos = 0;
	long a;

	(void)state;
	assert_int_equal(pnm_fs_inject_error(f, PNM_IO_WRITE, -ENOSPC, 1), 0);
	assert_int_equal(kernel_write(f, "abc", 3, &pos), -ENOSPC);
	assert_int_equal(pos, 0);
	assert_int_equal(i_size_read(f->f_inode), 0);
	assert_int_equal(f->f_mapping->nrpages, 0);	/* the folio went again */
	CHECK_ALL();

	fwrite_fill(f, 0, 0x61, PG);
	assert_int_equal(pnm_fs_inject_error(f, PNM_IO_WRITE, -ENOSPC, 1), 0);
	assert_int_equal(vfs_fsync(f, 0), -ENOSPC);
	assert_int_equal(vfs_fsync(f, 0), 0);
	CHECK_ALL();
	/* A good writeback drops the blocks of the clean page. */
	fwrite_fill(f, 0, 0x61, PG);
	assert_int_equal(vfs_fsync(f, 0), 0);
	assert_false(PagePrivate(&cached(f, 0)->page));

	/* page_mkwrite cannot allocate: the write faults with SIGBUS. */
	a = pnm_mm_mmap(p->mm, 0, PG, RW, MAP_SHARED, f, 0);
	assert_int_equal(test_read_byte(p, (unsigned long)a), 0x61);
	assert_int_equal(pnm_fs_inject_error(f, PNM_IO_WRITE, -ENOSPC, 1), 0);
	assert_int_equal(pnm_user_write(p, (unsigned long)a, &v, 1), -EFAULT);
	assert_false(folio_test_dirty(cached(f, 0)));
	test_write_byte(p, (unsigned long)a, 9);	/* space again */
	assert_int_equal(fread_byte(f, 0), 9);
	fput(f);
	CHECK_ALL();
}

/* A short write stores a prefix and is reported as -EIO. */
static void test_short_write(void **state)
{
	struct file *f = test_open(PNM_FS_DISK, "short");

	(void)state;
	fwrite_fill(f, 0, 0x42, PG);
	assert_int_equal(pnm_fs_inject_error(f, PNM_IO_WRITE, PNM_IO_SHORT, 1), 0);
	assert_int_equal(vfs_fsync(f, 0), -EIO);
	assert_int_equal(test_host_byte(f, 0), 0x42);
	assert_int_equal(test_host_byte(f, PG / 2 - 1), 0x42);
	assert_int_equal(test_host_byte(f, PG / 2), 0);	/* fsync set the size */
	assert_int_equal(vfs_fsync(f, 0), 0);
	fput(f);
	CHECK_ALL();
}

/* Read errors: read(2) -EIO, a fault SIGBUS; the next try reads. */
static void test_read_error(void **state)
{
	struct task_struct *p = test_task_create("p");
	struct file *f = test_open(PNM_FS_DISK, "rerr");
	unsigned char v;
	loff_t pos = 0;
	long a;

	(void)state;
	fwrite_fill(f, 0, 0x55, 2 * PG);
	fput(f);			/* evicted: the cache is gone */
	f = test_open(PNM_FS_DISK, "rerr");
	assert_int_equal(pnm_fs_inject_error(f, PNM_IO_READ, -EIO, 1), 0);
	assert_int_equal(kernel_read(f, &v, 1, &pos), -EIO);
	assert_int_equal(fread_byte(f, 0), 0x55);
	fput(f);
	CHECK_ALL();

	f = test_open(PNM_FS_DISK, "rerr");
	a = pnm_mm_mmap(p->mm, 0, 2 * PG, PROT_READ, MAP_SHARED, f, 0);
	assert_int_equal(pnm_fs_inject_error(f, PNM_IO_READ, -EIO, 1), 0);
	assert_int_equal(pnm_user_read(p, (unsigned long)a + PG, &v, 1), -EFAULT);
	assert_int_equal(test_read_byte(p, (unsigned long)a + PG), 0x55);
	/* count 0 clears */
	assert_int_equal(pnm_fs_inject_error(f, PNM_IO_READ, -EIO, 5), 0);
	assert_int_equal(pnm_fs_inject_error(f, PNM_IO_READ | PNM_IO_WRITE, 0, 0), 0);
	assert_int_equal(pnm_user_read(p, (unsigned long)a, &v, 1), 0);
	fput(f);
	CHECK_ALL();
}

/* --- size changes --------------------------------------------------------------- */

static void test_ftruncate(void **state)
{
	struct task_struct *p = test_task_create("p");
	struct file *f = test_open(PNM_FS_DISK, "trunc");
	unsigned char v;
	long a;

	(void)state;
	fwrite_fill(f, 0, 0x66, 4 * PG);
	assert_int_equal(vfs_fsync(f, 0), 0);
	a = pnm_mm_mmap(p->mm, 0, 4 * PG, RW, MAP_SHARED, f, 0);
	assert_int_equal(test_read_byte(p, (unsigned long)a + 3 * PG), 0x66);

	/* Shrink to 1.5 pages: host, cache, mapping. */
	assert_int_equal(do_ftruncate(f, PG + PG / 2), 0);
	assert_int_equal(i_size_read(f->f_inode), PG + PG / 2);
	assert_int_equal(host_size(f), PG + PG / 2);
	assert_null(cached(f, 3));
	assert_int_equal(pnm_user_read(p, (unsigned long)a + 3 * PG, &v, 1), -EFAULT);
	assert_int_equal(test_read_byte(p, (unsigned long)a + PG + PG / 2 - 1), 0x66);
	assert_int_equal(test_read_byte(p, (unsigned long)a + PG + PG / 2), 0);
	CHECK_ALL();

	/* Grow: zeroes, on the host too. */
	assert_int_equal(do_ftruncate(f, 3 * PG), 0);
	assert_int_equal(host_size(f), 3 * PG);
	assert_int_equal(fread_byte(f, 2 * PG + 5), 0);
	assert_int_equal(fread_byte(f, PG + PG / 2 + 1), 0);
	assert_int_equal(test_host_byte(f, PG + PG / 2 + 1), 0);
	assert_int_equal(vfs_fsync(f, 0), 0);
	assert_int_equal(test_host_byte(f, PG + 1), 0x66);
	fput(f);
	CHECK_ALL();
}

/*
 * A store through a shared mapping into the page holding EOF, beyond EOF
 * (the page is mapped whole): not file data.  Writeback writes up to EOF
 * and zeroes the rest of the folio in the cache, so when the file grows
 * again the cache and the disk agree (zeroes) -- before, the cache kept
 * the byte over a clean page while the disk had zeroes.  Grown before any
 * writeback, the byte becomes file data and reaches the disk.
 */
static void test_mmap_store_beyond_eof(void **state)
{
	struct task_struct *p = test_task_create("p");
	struct file *f = test_open(PNM_FS_DISK, "beyond-eof");
	unsigned long a;
	long m;

	(void)state;
	fwrite_fill(f, 0, 0x66, 2 * PG);
	assert_int_equal(vfs_fsync(f, 0), 0);
	m = pnm_mm_mmap(p->mm, 0, 2 * PG, RW, MAP_SHARED, f, 0);
	assert_true(m > 0);
	a = (unsigned long)m;

	assert_int_equal(do_ftruncate(f, PG + 100), 0);
	test_write_byte(p, a + PG + 200, 0x77);
	assert_int_equal(vfs_fsync(f, 0), 0);
	assert_int_equal(host_size(f), PG + 100);
	assert_int_equal(test_read_byte(p, a + PG + 200), 0);	/* zeroed by writeback */
	assert_int_equal(test_read_byte(p, a + PG + 99), 0x66);
	assert_int_equal(do_ftruncate(f, 2 * PG), 0);
	assert_int_equal(vfs_fsync(f, 0), 0);
	assert_int_equal(test_read_byte(p, a + PG + 200), 0);
	assert_int_equal(fread_byte(f, PG + 200), 0);
	assert_int_equal(test_host_byte(f, PG + 200), 0);
	CHECK_ALL();

	/* No writeback while short: the byte is in the file once it grows. */
	assert_int_equal(do_ftruncate(f, PG + 100), 0);
	test_write_byte(p, a + PG + 300, 0x78);
	assert_int_equal(do_ftruncate(f, 2 * PG), 0);
	assert_int_equal(vfs_fsync(f, 0), 0);
	assert_int_equal(fread_byte(f, PG + 300), 0x78);
	assert_int_equal(test_host_byte(f, PG + 300), 0x78);
	assert_int_equal(pnm_mm_munmap(p->mm, a, 2 * PG), 0);
	fput(f);
	CHECK_ALL();
}

static void test_punch_and_allocate(void **state)
{
	struct task_struct *p = test_task_create("p");
	struct file *f = test_open(PNM_FS_DISK, "punch");
	long a;

	(void)state;
	fwrite_fill(f, 0, 0x71, 4 * PG);
	assert_int_equal(vfs_fsync(f, 0), 0);
	a = pnm_mm_mmap(p->mm, 0, 4 * PG, RW, MAP_SHARED, f, 0);
	test_write_byte(p, (unsigned long)a + PG, 0x72);	/* dirty, mapped */

	assert_int_equal(vfs_fallocate(f, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
				       PG, 2 * PG), 0);
	assert_int_equal(i_size_read(f->f_inode), 4 * PG);
	assert_int_equal(fread_byte(f, PG), 0);
	assert_int_equal(fread_byte(f, 2 * PG + 100), 0);
	assert_int_equal(test_host_byte(f, PG + 1), 0);
	assert_int_equal(test_host_byte(f, 3 * PG), 0x71);
	assert_int_equal(test_read_byte(p, (unsigned long)a + PG), 0);	/* refaulted */
	CHECK_ALL();

	/* A partial punch zeroes inside a page. */
	assert_int_equal(vfs_fallocate(f, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
				       10, 20), 0);
	assert_int_equal(fread_byte(f, 9), 0x71);
	assert_int_equal(fread_byte(f, 10), 0);
	assert_int_equal(fread_byte(f, 29), 0);
	assert_int_equal(fread_byte(f, 30), 0x71);
	assert_int_equal(vfs_fsync(f, 0), 0);
	assert_int_equal(test_host_byte(f, 15), 0);
	assert_int_equal(test_host_byte(f, 30), 0x71);

	/* Allocation extends (mode 0) or keeps (KEEP_SIZE) the size. */
	assert_int_equal(vfs_fallocate(f, FALLOC_FL_KEEP_SIZE, 0, 8 * PG), 0);
	assert_int_equal(i_size_read(f->f_inode), 4 * PG);
	assert_int_equal(vfs_fallocate(f, 0, 4 * PG, 2 * PG), 0);
	assert_int_equal(i_size_read(f->f_inode), 6 * PG);
	assert_int_equal(host_size(f), 6 * PG);
	assert_int_equal(pnm_fs_inject_error(f, PNM_IO_WRITE, -ENOSPC, 1), 0);
	assert_int_equal(vfs_fallocate(f, 0, 6 * PG, PG), -ENOSPC);
	assert_int_equal(i_size_read(f->f_inode), 6 * PG);
	fput(f);
	CHECK_ALL();
}

/* A configured data directory is used and kept. */
static void test_configured_data_dir(void **state)
{
	char dir[PATH_MAX], path[PATH_MAX + 8];
	struct pnm_config cfg;
	struct file *f;

	(void)state;
	assert_int_equal(pnm_fini(), 0);
	snprintf(dir, sizeof(dir), "%s/pinmm-test-%d", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp",
		 (int)getpid());
	pnm_test_config(&cfg);
	cfg.data_dir = dir;
	pnm_test_init_with(&cfg);
	assert_string_equal(pnm_fs_data_dir(), dir);
	f = test_open(PNM_FS_DISK, "kept");
	fwrite_fill(f, 0, 0x12, 10);
	fput(f);
	assert_int_equal(pnm_fini(), 0);
	snprintf(path, sizeof(path), "%s/kept", dir);
	assert_int_equal(access(path, F_OK), 0);	/* survives the model */
	pnm_test_init_with(&cfg);
	f = test_open(PNM_FS_DISK, "kept");
	assert_int_equal(i_size_read(f->f_inode), 10);
	assert_int_equal(fread_byte(f, 9), 0x12);
	fput(f);
	unlink(path);
	assert_int_equal(pnm_fini(), 0);
	rmdir(dir);
	pnm_test_setup(NULL);
}

/* Files left open at pnm_fini are reported and closed (-EBUSY). */
static void test_left_open(void **state)
{
	struct file *f = test_open(PNM_FS_DISK, "leak");
	char path[PATH_MAX], dir[PATH_MAX];

	(void)state;
	fwrite_fill(f, 0, 0x31, 10);
	assert_int_equal(pnm_fs_backing_path(f, path, sizeof(path)), 0);
	snprintf(dir, sizeof(dir), "%s", pnm_fs_data_dir());
	assert_int_equal(pnm_fini(), -EBUSY);
	assert_int_equal(access(dir, F_OK), -1);	/* private dir removed */
	pnm_test_setup(NULL);
}

/* --- threads: open/close/evict of one name racing, the flusher iterating ------- */

#define RACE_ITERS	300

struct open_race {
	int id;
	uint64_t rng;
	atomic_t *turn, *stop, *errors;
};

/*
 * Two threads take turns on one name: open, check that the own slot
 * still holds what this thread wrote last, write a new value and bulk
 * data below the slots, hand the turn over, close.  The close is usually
 * the last reference, so it evicts (writing back, in index order, the
 * bulk first and the slots last) exactly while the other thread opens the
 * name: the open must wait for the eviction instead of reading a host
 * file that is still being written.
 */
static void *open_race_main(void *arg)
{
	struct open_race *r = arg;
	uint64_t last = 0;

	for (int i = 0; i < RACE_ITERS; i++) {
		struct file *f;
		loff_t pos = (loff_t)(40 + r->id) * PG + 8;
		uint64_t v = 0, next = test_rand(&r->rng) | 1;

		while (atomic_read_acquire(r->turn) != r->id)
			sched_yield();
		f = pnm_filp_open(PNM_FS_DISK, "race", O_RDWR | O_CREAT);
		if (IS_ERR_OR_NULL(f)) {
			atomic_inc(r->errors);
			atomic_set_release(r->turn, !r->id);
			continue;
		}
		if (last && (kernel_read(f, &v, sizeof(v), &pos) != sizeof(v) || v != last))
			atomic_inc(r->errors);
		pos = (loff_t)(40 + r->id) * PG + 8;
		if (kernel_write(f, &next, sizeof(next), &pos) != sizeof(next))
			atomic_inc(r->errors);
		else
			last = next;
		for (int k = 0; k < 8; k++) {
			pos = (loff_t)(test_rand(&r->rng) % 32) * PG;
			if (kernel_write(f, &next, sizeof(next), &pos) != sizeof(next))
				atomic_inc(r->errors);
		}
		if (test_rand(&r->rng) % 8 == 0 && vfs_fsync(f, 0))
			atomic_inc(r->errors);
		/* Release: our writes before the other thread's open. */
		atomic_set_release(r->turn, !r->id);
		fput(f);
	}
	return NULL;
}

/* Writeback passes over the inode table (references come and go). */
static void *flusher_like_main(void *arg)
{
	struct open_race *r = arg;

	while (!atomic_read(r->stop)) {
		pnm_writeback_run(false);
		sched_yield();
		ksys_sync();
		sched_yield();
	}
	return NULL;
}

static void test_open_close_race(void **state)
{
	atomic_t turn = { 0 }, stop = { 0 }, errors = { 0 };
	struct open_race r[3];
	pthread_t th[3];
	struct file *f;

	(void)state;
	for (int i = 0; i < 3; i++) {
		r[i].id = i;
		r[i].rng = 0x1234567ULL * (uint64_t)(i + 1);
		r[i].turn = &turn;
		r[i].stop = &stop;
		r[i].errors = &errors;
	}
	assert_int_equal(pthread_create(&th[2], NULL, flusher_like_main, &r[2]), 0);
	for (int i = 0; i < 2; i++)
		assert_int_equal(pthread_create(&th[i], NULL, open_race_main, &r[i]), 0);
	for (int i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	atomic_set(&stop, 1);
	pthread_join(th[2], NULL);
	assert_int_equal(atomic_read(&errors), 0);
	CHECK_ALL();
	f = test_open(PNM_FS_DISK, "race");
	assert_int_equal(i_size_read(f->f_inode), 41 * PG + 16);
	fput(f);
	CHECK_ALL();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_open_create_excl, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_names_and_flags, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_access_checks, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_o_trunc, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_read_write_holes, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_eviction_writes_back, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_large_io, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_mmap_shared, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_mmap_private_copies, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_dirty_tracking, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_dirty_without_blocks_detected, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_eio_once_per_opener, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_enospc, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_short_write, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_read_error, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_ftruncate, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_mmap_store_beyond_eof, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_punch_and_allocate, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_configured_data_dir, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_left_open, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_open_close_race, pnm_test_setup, pnm_test_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
