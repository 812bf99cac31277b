// SPDX-License-Identifier: MIT
/*
 * test_dio.c - Direct IO (src/drivers/dio.c, fs/direct-io.c): Linux's
 * argument and alignment errors; reads and writes moving the right bytes
 * between the storage and process memory, around the page cache (dirty
 * cache written back before a read, the cache invalidated around a
 * write, the size extended); a read cut at EOF; requests of several
 * transfers on several threads; a partly pinnable buffer; storage errors;
 * pins held exactly while a request is in flight and released (dirtied
 * for reads) at completion; a fork during a read (FOLL_PIN keeps the data
 * in the parent, legacy GUP loses it to the child); a truncate waiting for
 * a direct write in flight; the buffered fallback when the cache cannot
 * be invalidated; a stale cache after a write reported; device destroy
 * refused while requests are unreaped.
 */
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>

#include "test_util.h"
#include "pinmm_test_internal.h"

#define PG	PAGE_SIZE
#define RW	(PROT_READ | PROT_WRITE)
#define PRIV	(MAP_PRIVATE | MAP_ANONYMOUS)

static struct pnm_dio_dev *dev_new(unsigned int threads)
{
	struct pnm_dio_dev *dev = NULL;

	assert_int_equal(pnm_dio_dev_create(threads, &dev), 0);
	return dev;
}

static struct pnm_dio_info dev_info(struct pnm_dio_dev *dev)
{
	struct pnm_dio_info i = { .size = sizeof(i) };

	assert_int_equal(pnm_dio_dev_get_info(dev, &i), 0);
	return i;
}

/* A test's end: nothing pinned, the device destroyed, @f closed, checks. */
static void dio_done(struct pnm_dio_dev *dev, struct file *f)
{
	assert_int_equal(pnm_pin_registry_count(-1), 0);
	assert_int_equal(dev_info(dev).pinned_pages, 0);
	assert_int_equal(pnm_dio_dev_destroy(dev), 0);
	pnm_file_close(f);
	CHECK_ALL();
}

static bool page_pinned(struct task_struct *t, unsigned long addr)
{
	return folio_maybe_dma_pinned(test_folio(t, addr));
}

static void test_dio_errors(void **state)
{
	struct task_struct *t = test_task_create("t");
	unsigned long buf = test_mmap(t, 4 * PG, RW, PRIV);
	struct pnm_dio_dev *dev = dev_new(1);
	struct file *f = test_open(PNM_FS_DISK, "d"), *ro, *shm, *dax;
	struct pnm_dio_req *req = (struct pnm_dio_req *)&req;	/* untouched on error */
	struct task_struct *prev;

	(void)state;
	assert_int_equal(pnm_file_dio_align(f), PNM_DIO_ALIGN);
	test_fill_file(f, 0, 8 * PG, 1);
	assert_int_equal(pnm_file_open(PNM_FS_DISK, "d", O_RDONLY, &ro), 0);
	assert_int_equal(pnm_shmem_file_create("s", 8 * PG, &shm), 0);
	dax = test_open(PNM_FS_DAX, "x");
	assert_int_equal(pnm_file_dio_align(shm), 0);
	assert_int_equal(pnm_file_dio_align(dax), 0);

	/* No task entered: a system call from nowhere. */
	assert_int_equal(pnm_dio_submit(dev, f, PNM_DIO_READ, buf, PG, 0, &req), -EFAULT);
	prev = pnm_task_enter(t);
	assert_int_equal(pnm_dio_submit(NULL, f, PNM_DIO_READ, buf, PG, 0, &req), -EINVAL);
	assert_int_equal(pnm_dio_submit(dev, NULL, PNM_DIO_READ, buf, PG, 0, &req), -EBADF);
	assert_int_equal(pnm_dio_submit(dev, f, 3, buf, PG, 0, &req), -EINVAL);
	assert_int_equal(pnm_dio_submit(dev, f, 0, buf, PG, 0, &req), -EINVAL);
	/* Linux's alignment rule: offset, length and buffer, to 512. */
	assert_int_equal(pnm_dio_submit(dev, f, PNM_DIO_READ, buf, PG, 100, &req), -EINVAL);
	assert_int_equal(pnm_dio_submit(dev, f, PNM_DIO_READ, buf, 1000, 0, &req), -EINVAL);
	assert_int_equal(pnm_dio_submit(dev, f, PNM_DIO_READ, buf + 8, PG, 0, &req), -EINVAL);
	assert_int_equal(pnm_dio_submit(dev, f, PNM_DIO_WRITE, buf + 100, 512, 0, &req), -EINVAL);
	assert_int_equal(pnm_dio_submit(dev, f, PNM_DIO_READ, buf, PG, -512, &req), -EINVAL);
	/* Access mode, filesystems, size limit. */
	assert_int_equal(pnm_dio_submit(dev, ro, PNM_DIO_WRITE, buf, PG, 0, &req), -EBADF);
	assert_int_equal(pnm_dio_submit(dev, shm, PNM_DIO_READ, buf, PG, 0, &req), -EINVAL);
	assert_int_equal(pnm_dio_submit(dev, dax, PNM_DIO_READ, buf, PG, 0, &req), -EINVAL);
	assert_int_equal(pnm_dio_submit(dev, f, PNM_DIO_WRITE, buf, PG, PNM_MAX_FILE_SIZE, &req),
			 -EFBIG);
	/* Nothing mapped at the buffer: nothing can be pinned. */
	assert_int_equal(pnm_dio_submit(dev, f, PNM_DIO_READ, buf + 16 * PG, PG, 0, &req),
			 -EFAULT);
	/* A read into read-only memory: the device would write it. */
	assert_int_equal(pnm_mprotect(t, buf, PG, PROT_READ), 0);
	assert_int_equal(pnm_dio_submit(dev, f, PNM_DIO_READ, buf, PG, 0, &req), -EFAULT);
	assert_ptr_equal(req, (struct pnm_dio_req *)&req);
	assert_int_equal(pnm_dio_poll(NULL, NULL), -EINVAL);
	assert_int_equal(pnm_dio_wait(NULL), -EINVAL);
	CHECK_ALL();

	/* Nothing to do: complete at once, 0 bytes. */
	assert_int_equal(pnm_dio_rw(dev, f, PNM_DIO_READ, buf + PG, 0, 0), 0);
	assert_int_equal(pnm_dio_rw(dev, f, PNM_DIO_READ, buf + PG, PG, 8 * PG), 0);
	assert_int_equal(pnm_dio_rw(dev, f, PNM_DIO_READ, buf + PG, PG, 64 * PG), 0);
	/* A read-only opener reads; a write from read-only memory is fine. */
	assert_int_equal(pnm_dio_rw(dev, ro, PNM_DIO_READ, buf + PG, PG, 0), (ssize_t)PG);
	assert_int_equal(pnm_dio_rw(dev, f, PNM_DIO_WRITE, buf, PG, 0), (ssize_t)PG);
	pnm_task_leave(prev);
	assert_int_equal(pnm_pin_registry_count(-1), 0);
	assert_int_equal(dev_info(dev).pinned_pages, 0);
	assert_int_equal(pnm_dio_dev_destroy(dev), 0);
	pnm_file_close(ro);
	pnm_file_close(shm);
	pnm_file_close(dax);
	pnm_file_close(f);
	CHECK_ALL();
}

static void test_dio_read_write(void **state)
{
	struct task_struct *t = test_task_create("t");
	unsigned long buf = test_mmap(t, 8 * PG, RW, PRIV);
	struct pnm_dio_dev *dev = dev_new(2);
	struct file *f = test_open(PNM_FS_DISK, "rw");
	struct pnm_page_info pi = { .size = sizeof(pi) };
	long rd = global_stat(PNM_DIO_READ_BYTES), wr = global_stat(PNM_DIO_WRITE_BYTES);
	struct task_struct *prev;

	(void)state;
	/* Dirty cache only: the read must see it, so it is written back. */
	test_fill_file(f, 0, 4 * PG, 3);
	assert_false(test_host_has(f, 0, 4 * PG, 3));
	prev = pnm_task_enter(t);
	/* An unaligned-to-page but 512-aligned buffer and offset. */
	assert_int_equal(pnm_dio_rw(dev, f, PNM_DIO_READ, buf + 512, 2 * PG, 512), (ssize_t)(2 * PG));
	assert_true(test_host_has(f, 0, 2 * PG + 512, 3));	/* the range read */
	{
		unsigned char got[2 * PG], want[2 * PG];

		assert_int_equal(pnm_file_read(f, want, sizeof(want), 512), (ssize_t)sizeof(want));
		assert_int_equal(pnm_user_read(t, buf + 512, got, sizeof(got)), 0);
		assert_memory_equal(got, want, sizeof(got));
	}
	assert_int_equal(global_stat(PNM_DIO_READ_BYTES) - rd, 2 * PG);
	/* The pages the device wrote are dirty, and no longer pinned. */
	assert_int_equal(pnm_task_page_info(t, buf + PG, &pi), 0);
	assert_true(pi.flags & PNM_PAGE_DIRTY);
	assert_false(pi.flags & PNM_PAGE_MAYBE_PINNED);
	CHECK_ALL();

	/* A write: the cached pages of the range leave the cache, the data
	 * reaches the storage, and the file grows. */
	test_fill_user(t, buf, 6 * PG, 9);
	assert_int_equal(pnm_file_page_info(f, PG, &pi), 0);
	assert_int_equal(pnm_dio_rw(dev, f, PNM_DIO_WRITE, buf, 6 * PG, PG), (ssize_t)(6 * PG));
	assert_int_equal(pnm_file_page_info(f, PG, &pi), -ENOENT);
	assert_true(test_host_has(f, PG, 6 * PG, 9));
	assert_int_equal(pnm_file_size(f), 7 * PG);
	assert_int_equal(global_stat(PNM_DIO_WRITE_BYTES) - wr, 6 * PG);
	/* A buffered read now sees the new data (read from the storage). */
	{
		unsigned char got[PG];

		assert_int_equal(pnm_file_read(f, got, PG, PG), (ssize_t)PG);
		assert_int_equal(got[5], (unsigned char)(9 + 5 * 7));
	}
	/* The first page, outside the write, stayed cached. */
	assert_int_equal(pnm_file_page_info(f, 0, &pi), 0);
	pnm_task_leave(prev);
	{
		struct pnm_dio_info i = dev_info(dev);

		assert_int_equal(i.submitted, 2);
		assert_int_equal(i.completed, 2);
		assert_int_equal(i.reaped, 2);
		assert_int_equal(i.bytes_read, 2 * PG);
		assert_int_equal(i.bytes_written, 6 * PG);
		assert_int_equal(i.pinned_pages, 0);
	}
	dio_done(dev, f);
}

static void test_dio_read_eof(void **state)
{
	struct task_struct *t = test_task_create("t");
	unsigned long buf = test_mmap(t, 2 * PG, RW, PRIV);
	struct pnm_dio_dev *dev = dev_new(1);
	struct file *f = test_open(PNM_FS_DISK, "eof");
	unsigned char got[PG];
	struct task_struct *prev;

	(void)state;
	test_fill_file(f, 0, 1000, 5);
	assert_int_equal(pnm_file_fsync(f, 0, INT64_MAX, false), 0);
	test_fill_user(t, buf, 2 * PG, 0xee);
	prev = pnm_task_enter(t);
	/* Cut at EOF: 1000 bytes reported, the block's tail zeroed, the rest
	 * of the buffer untouched. */
	assert_int_equal(pnm_dio_rw(dev, f, PNM_DIO_READ, buf, 2 * PG, 0), 1000);
	pnm_task_leave(prev);
	assert_int_equal(pnm_user_read(t, buf, got, PG), 0);
	for (int i = 0; i < 1000; i++)
		assert_int_equal(got[i], (unsigned char)(5 + i * 7));
	for (int i = 1000; i < 1024; i++)
		assert_int_equal(got[i], 0);
	assert_int_equal(got[1024], (unsigned char)(0xee + 1024 * 7));
	dio_done(dev, f);
}

static void test_dio_large_multi_bio(void **state)
{
	struct task_struct *t = test_task_create("t");
	size_t len = 3 * 1024 * 1024 + 512;
	unsigned long a = test_mmap(t, 4 * 1024 * 1024, RW, PRIV);
	unsigned long b = test_mmap(t, 4 * 1024 * 1024, RW, PRIV);
	struct pnm_dio_dev *dev = dev_new(3);
	struct file *f = test_open(PNM_FS_DISK, "big");
	struct pnm_dio_req *w, *r;
	struct task_struct *prev;

	(void)state;
	test_fill_user(t, a + 1536, len, 17);
	prev = pnm_task_enter(t);
	assert_int_equal(pnm_dio_submit(dev, f, PNM_DIO_WRITE, a + 1536, len, 4096, &w), 0);
	assert_int_equal(pnm_dio_wait(w), (ssize_t)len);
	assert_int_equal(pnm_dio_submit(dev, f, PNM_DIO_READ, b + 512, len, 4096, &r), 0);
	assert_int_equal(pnm_dio_wait(r), (ssize_t)len);
	pnm_task_leave(prev);
	assert_true(test_host_has(f, 4096, len, 17));
	assert_true(test_user_has(t, b + 512, len, 17, 0));
	assert_int_equal(dev_info(dev).bios, 8);	/* 4 transfers each */
	dio_done(dev, f);
}

static void test_dio_partial_pin(void **state)
{
	struct task_struct *t = test_task_create("t");
	unsigned long buf = test_mmap(t, 4 * PG, RW, PRIV);
	struct pnm_dio_dev *dev = dev_new(1);
	struct file *f = test_open(PNM_FS_DISK, "part");
	struct task_struct *prev;

	(void)state;
	test_fill_file(f, 0, 4 * PG, 21);
	/* The buffer's third page is not mapped: two pages are done. */
	assert_int_equal(pnm_munmap(t, buf + 2 * PG, PG), 0);
	prev = pnm_task_enter(t);
	assert_int_equal(pnm_dio_rw(dev, f, PNM_DIO_READ, buf, 4 * PG, 0), (ssize_t)(2 * PG));
	pnm_task_leave(prev);
	assert_true(test_user_has(t, buf, 2 * PG, 21, 0));
	dio_done(dev, f);
}

static void test_dio_storage_errors(void **state)
{
	struct task_struct *t = test_task_create("t");
	unsigned long buf = test_mmap(t, 2 * PG, RW, PRIV);
	struct pnm_dio_dev *dev = dev_new(2);
	struct file *f = test_open(PNM_FS_DISK, "err");
	struct task_struct *prev;

	(void)state;
	test_fill_file(f, 0, 2 * PG, 1);
	assert_int_equal(pnm_file_fsync(f, 0, INT64_MAX, false), 0);
	prev = pnm_task_enter(t);
	assert_int_equal(pnm_fs_inject_error(f, PNM_IO_READ, -EIO, 1), 0);
	assert_int_equal(pnm_dio_rw(dev, f, PNM_DIO_READ, buf, 2 * PG, 0), -EIO);
	assert_int_equal(pnm_fs_inject_error(f, PNM_IO_WRITE, -ENOSPC, 1), 0);
	assert_int_equal(pnm_dio_rw(dev, f, PNM_DIO_WRITE, buf, 2 * PG, 0), -ENOSPC);
	assert_int_equal(pnm_fs_inject_error(f, PNM_IO_WRITE, PNM_IO_SHORT, 1), 0);
	assert_int_equal(pnm_dio_rw(dev, f, PNM_DIO_WRITE, buf, 2 * PG, 2 * PG), -EIO);
	pnm_task_leave(prev);
	/* A failed direct write is its request's error, not fsync's. */
	assert_int_equal(pnm_file_fsync(f, 0, INT64_MAX, false), 0);
	/* The failed extending write did not grow the file. */
	assert_int_equal(pnm_file_size(f), 2 * PG);
	assert_int_equal(dev_info(dev).errors, 3);
	dio_done(dev, f);
}

/*
 * A read in flight across a fork, then the parent writes next to the
 * buffer (breaking COW).  FOLL_PIN: fork copied the pinned page for the
 * child, the parent keeps the frame the device writes.  Legacy GUP: the
 * frame was shared, the parent's store moved the parent to a copy, the
 * device's data went to the child.
 */
static void dio_fork_story(bool legacy)
{
	struct task_struct *t = test_task_create("p"), *child, *prev;
	unsigned long buf = test_mmap(t, PG, RW, PRIV);
	struct pnm_dio_dev *dev = dev_new(1);
	struct file *f = test_open(PNM_FS_DISK, "fork");
	struct pnm_dio_req *req;
	unsigned char c;

	test_fill_file(f, 0, PG, 40);
	test_fill_user(t, buf, PG, 0);
	pnm_dio_dev_freeze(dev);
	prev = pnm_task_enter(t);
	assert_int_equal(pnm_dio_submit(dev, f, PNM_DIO_READ, buf, 2048, 0, &req), 0);
	pnm_task_leave(prev);
	assert_int_equal(pnm_dio_poll(req, NULL), -EINPROGRESS);
	assert_int_equal(page_pinned(t, buf), !legacy);
	assert_int_equal(dev_info(dev).pinned_pages, 1);
	child = test_fork(t);
	test_write_byte(t, buf + PG - 1, 0x5a);		/* outside the transfer */
	CHECK_ALL();
	pnm_dio_dev_thaw(dev);
	assert_int_equal(pnm_dio_wait(req), 2048);
	assert_int_equal(test_user_has(t, buf, 2048, 40, 0), !legacy);
	assert_int_equal(test_user_has(child, buf, 2048, 40, 0), legacy);
	c = test_read_byte(t, buf + PG - 1);
	assert_int_equal(c, 0x5a);
	dio_done(dev, f);
}

static void test_dio_fork_foll_pin(void **state)
{
	(void)state;
	dio_fork_story(false);
}

static void test_dio_fork_legacy(void **state)
{
	(void)state;
	dio_fork_story(true);
}

struct truncate_arg {
	struct file *file;
	int ret;
	int done;			/* __atomic: the truncate returned */
};

static void *truncate_thread(void *arg)
{
	struct truncate_arg *ta = arg;

	ta->ret = pnm_file_truncate(ta->file, 0);
	__atomic_store_n(&ta->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

/*
 * An extending direct write in flight, and a truncate: the truncate waits
 * for the write (which extends the file at completion) and then empties
 * the file.  Without the wait it would run first, and the write's
 * completion would grow the file again.
 */
static void test_dio_truncate_waits(void **state)
{
	struct task_struct *t = test_task_create("t");
	unsigned long buf = test_mmap(t, 2 * PG, RW, PRIV);
	struct pnm_dio_dev *dev = dev_new(1);
	struct file *f = test_open(PNM_FS_DISK, "trunc");
	struct truncate_arg ta = { .file = f, .ret = 1 };
	struct pnm_dio_req *req;
	struct task_struct *prev;
	pthread_t th;

	(void)state;
	test_fill_user(t, buf, 2 * PG, 2);
	pnm_dio_dev_freeze(dev);
	prev = pnm_task_enter(t);
	assert_int_equal(pnm_dio_submit(dev, f, PNM_DIO_WRITE, buf, 2 * PG, 0, &req), 0);
	pnm_task_leave(prev);
	assert_int_equal(pthread_create(&th, NULL, truncate_thread, &ta), 0);
	/* Until the truncate waits for the request -- or, if it does not
	 * wait, returns (state, not time). */
	for (;;) {
		struct inode *inode = f->f_inode;
		unsigned int waiters;

		mutex_lock(&inode->i_lock);
		waiters = PNM_I(inode)->dio_waiters;
		mutex_unlock(&inode->i_lock);
		if (waiters || __atomic_load_n(&ta.done, __ATOMIC_ACQUIRE))
			break;
		sched_yield();
	}
	assert_false(__atomic_load_n(&ta.done, __ATOMIC_ACQUIRE));
	assert_int_equal(pnm_file_size(f), 0);
	pnm_dio_dev_thaw(dev);
	assert_int_equal(pnm_dio_wait(req), (ssize_t)(2 * PG));
	assert_int_equal(pthread_join(th, NULL), 0);
	assert_int_equal(ta.ret, 0);
	assert_int_equal(pnm_file_size(f), 0);
	dio_done(dev, f);
}

/*
 * A write over a cached page that is pinned and dirty: with the stable
 * writeback policy the page stays dirty after writeback (bounced), so it
 * cannot be invalidated and the write falls back to buffered I/O (ext4's
 * -ENOTBLK path): complete at once, the data in the cache and on disk.
 */
static void test_dio_fallback(void **state)
{
	struct task_struct *t = test_task_create("t"), *prev;
	struct file *f = test_open(PNM_FS_DISK, "fb");
	unsigned long map, buf = test_mmap(t, PG, RW, PRIV);
	struct pnm_dio_dev *dev = dev_new(1);
	struct pnm_dio_req *req;
	struct page *page;
	ssize_t res;
	unsigned char got[PG];

	(void)state;
	test_fill_file(f, 0, PG, 1);
	map = test_mmap_file(t, f, PG, 0);
	test_write_byte(t, map, 0x11);
	prev = pnm_task_enter(t);
	assert_int_equal(pin_user_pages_fast(map, 1, FOLL_WRITE, &page), 1);
	test_fill_user(t, buf, PG, 77);
	assert_int_equal(pnm_dio_submit(dev, f, PNM_DIO_WRITE, buf, PG, 0, &req), 0);
	assert_int_equal(pnm_dio_poll(req, &res), 0);
	assert_int_equal(res, (ssize_t)PG);
	assert_int_equal(pnm_dio_wait(req), (ssize_t)PG);
	pnm_task_leave(prev);
	assert_int_equal(dev_info(dev).fallbacks, 1);
	assert_int_equal(pnm_file_read(f, got, PG, 0), (ssize_t)PG);
	assert_int_equal(got[3], (unsigned char)(77 + 21));
	assert_true(test_host_has(f, 0, PG, 77));
	unpin_user_pages_dirty_lock(&page, 1, false);
	assert_int_equal(pnm_munmap(t, map, PG), 0);
	dio_done(dev, f);
}

/*
 * A store through a shared mapping while a direct write is in flight:
 * the completion cannot invalidate the dirty page: reported, counted,
 * and -EIO recorded for fsync (Linux's stale page cache warning).
 */
static void test_dio_stale_cache(void **state)
{
	struct task_struct *t = test_task_create("t"), *prev;
	struct file *f = test_open(PNM_FS_DISK, "stale");
	unsigned long map, buf = test_mmap(t, PG, RW, PRIV);
	struct pnm_dio_dev *dev = dev_new(1);
	long stale = global_stat(PNM_DIO_STALE_CACHE);
	struct pnm_dio_req *req;

	(void)state;
	test_fill_file(f, 0, PG, 1);
	map = test_mmap_file(t, f, PG, 0);
	test_fill_user(t, buf, PG, 50);
	pnm_dio_dev_freeze(dev);
	prev = pnm_task_enter(t);
	assert_int_equal(pnm_dio_submit(dev, f, PNM_DIO_WRITE, buf, PG, 0, &req), 0);
	pnm_task_leave(prev);
	test_write_byte(t, map, 0x33);		/* faults the page back in, dirty */
	pnm_dio_dev_thaw(dev);
	assert_int_equal(pnm_dio_wait(req), (ssize_t)PG);
	assert_int_equal(global_stat(PNM_DIO_STALE_CACHE) - stale, 1);
	assert_int_equal(pnm_file_fsync(f, 0, INT64_MAX, false), -EIO);
	assert_int_equal(pnm_munmap(t, map, PG), 0);
	dio_done(dev, f);
}

static void test_dio_destroy_busy(void **state)
{
	struct task_struct *t = test_task_create("t"), *prev;
	unsigned long buf = test_mmap(t, PG, RW, PRIV);
	struct pnm_dio_dev *dev = dev_new(1), *bad = NULL;
	struct file *f = test_open(PNM_FS_DISK, "busy");
	struct pnm_dio_req *req;

	(void)state;
	assert_int_equal(pnm_dio_dev_create(0, &bad), -EINVAL);
	assert_int_equal(pnm_dio_dev_create(PNM_DIO_MAX_THREADS + 1, &bad), -EINVAL);
	assert_int_equal(pnm_dio_dev_create(1, NULL), -EINVAL);
	assert_null(bad);
	assert_int_equal(pnm_dio_dev_destroy(NULL), 0);
	test_fill_file(f, 0, PG, 1);
	prev = pnm_task_enter(t);
	assert_int_equal(pnm_dio_submit(dev, f, PNM_DIO_READ, buf, PG, 0, &req), 0);
	pnm_task_leave(prev);
	pnm_dio_dev_drain(dev);
	assert_int_equal(pnm_dio_dev_destroy(dev), -EBUSY);
	assert_int_equal(pnm_dio_wait(req), (ssize_t)PG);
	dio_done(dev, f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		PNM_TEST(test_dio_errors),
		PNM_TEST(test_dio_read_write),
		PNM_TEST(test_dio_read_eof),
		PNM_TEST(test_dio_large_multi_bio),
		PNM_TEST(test_dio_partial_pin),
		PNM_TEST(test_dio_storage_errors),
		PNM_TEST(test_dio_fork_foll_pin),
		PNM_TEST_LEGACY(test_dio_fork_legacy),
		PNM_TEST(test_dio_truncate_waits),
		PNM_TEST(test_dio_fallback),
		PNM_TEST(test_dio_stale_cache),
		PNM_TEST(test_dio_destroy_busy),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
