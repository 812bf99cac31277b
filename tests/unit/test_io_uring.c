// SPDX-License-Identifier: MIT
/*
 * test_io_uring.c - io_uring-style fixed buffers (src/drivers/io_uring.c):
 * registration's limits and errors as Linux's io_uring_register(
 * IORING_REGISTER_BUFFERS) (count, size cap, empty slots, overflow,
 * -EBUSY, -ENXIO, all or nothing), the core's refusals (read-only and
 * shared disk memory, dax), the pin budget; fixed reads and writes of
 * disk and shmem files through the page cache and their range errors;
 * buffers sharing a page; coalescing of buffers backed by THPs (one pin
 * per folio, one segment per folio) and not of mixed or small ones;
 * buffers that keep working across fork and munmap; pages a read wrote
 * released dirty; fixed I/O racing with unregistration.
 */
#include <pthread.h>
#include <string.h>

#include "test_util.h"
#include "pinmm_test_internal.h"

#define PG	PAGE_SIZE
#define RW	(PROT_READ | PROT_WRITE)
#define PRIV	(MAP_PRIVATE | MAP_ANONYMOUS)

/* The ring's invariants hold (and the system's). */
#define CHECK_RING(ring)	CHECK_OBJ(pnm_io_ring_check, ring)

static struct pnm_io_ring *ring_of(struct task_struct *t)
{
	struct pnm_io_ring *ring = NULL;

	assert_int_equal(pnm_io_ring_create(t, &ring), 0);
	return ring;
}

static struct iovec iov(unsigned long addr, size_t len)
{
	return (struct iovec){ .iov_base = (void *)addr, .iov_len = len };
}

static struct pnm_io_buf_info buf_info(struct pnm_io_ring *ring, unsigned int i)
{
	struct pnm_io_buf_info bi = { .size = sizeof(bi) };

	assert_int_equal(pnm_io_ring_buf_info(ring, i, &bi), 0);
	return bi;
}

static long live_pins(void)
{
	return global_stat(NR_FOLL_PIN_ACQUIRED) - global_stat(NR_FOLL_PIN_RELEASED);
}

/* --- registration's limits and errors ------------------------------------------ */

static void test_register_errors(void **state)
{
	struct task_struct *t = test_task_create("t"), *gone = test_task_create("gone");
	struct pnm_io_ring *ring = ring_of(t), *r2 = (void *)0x1;
	unsigned long a = test_mmap(t, 8 * PG, RW, PRIV);
	unsigned long ro = test_mmap(t, PG, PROT_READ, PRIV);
	static struct iovec many[PNM_IORING_MAX_REG_BUFFERS + 1];
	struct iovec v[3];
	struct file *df, *xf;
	long fa, xa;

	(void)state;
	assert_int_equal(pnm_io_ring_create(NULL, &r2), -EINVAL);
	assert_int_equal(pnm_io_ring_create(t, NULL), -EINVAL);
	pnm_task_exit(gone);
	assert_int_equal(pnm_io_ring_create(gone, &r2), -ESRCH);
	assert_ptr_equal(r2, (void *)0x1);

	v[0] = iov(a, PG);
	assert_int_equal(pnm_io_ring_register_buffers(NULL, v, 1), -EINVAL);
	assert_int_equal(pnm_io_ring_register_buffers(ring, v, 0), -EINVAL);
	assert_int_equal(pnm_io_ring_register_buffers(ring, many, PNM_IORING_MAX_REG_BUFFERS + 1),
			 -EINVAL);
	assert_int_equal(pnm_io_ring_register_buffers(ring, NULL, 1), -EFAULT);
	v[0] = iov(0, PG);				/* no base, a length */
	assert_int_equal(pnm_io_ring_register_buffers(ring, v, 1), -EFAULT);
	v[0] = iov(a, 0);
	assert_int_equal(pnm_io_ring_register_buffers(ring, v, 1), -EFAULT);
	v[0] = iov(a, PNM_IORING_MAX_BUF_SIZE + 1);
	assert_int_equal(pnm_io_ring_register_buffers(ring, v, 1), -EFAULT);
	v[0] = iov(~0UL - PG, PG);
	assert_int_equal(pnm_io_ring_register_buffers(ring, v, 1), -EOVERFLOW);
	v[0] = iov(0x7ffffffff000UL, 2 * PG);		/* past user space */
	assert_int_equal(pnm_io_ring_register_buffers(ring, v, 1), -EFAULT);
	v[0] = iov(ro, PG);				/* always pinned writable */
	assert_int_equal(pnm_io_ring_register_buffers(ring, v, 1), -EFAULT);
	assert_int_equal(pnm_io_ring_unregister_buffers(ring), -ENXIO);
	assert_int_equal(pnm_io_ring_unregister_buffers(NULL), -EINVAL);

	/* All or nothing: a bad entry after good ones leaves nothing. */
	assert_int_equal(pnm_munmap(t, a + 7 * PG, PG), 0);
	v[0] = iov(a, 2 * PG);
	v[1] = iov(a + 2 * PG + 10, 100);
	v[2] = iov(a + 6 * PG, 2 * PG);			/* partly unmapped */
	assert_int_equal(pnm_io_ring_register_buffers(ring, v, 3), -EFAULT);
	assert_int_equal(pnm_pin_registry_count(-1), 0);
	assert_int_equal(test_budget_charged(t), 0);
	assert_int_equal(pnm_io_ring_buf_info(ring, 0, &(struct pnm_io_buf_info){
		.size = sizeof(struct pnm_io_buf_info) }), -ENXIO);

	/* The budget: -ENOMEM, nothing left. */
	assert_int_equal(pnm_pin_budget_set_task_limit(t, 2), 0);
	v[2] = iov(a + 4 * PG, PG);
	assert_int_equal(pnm_io_ring_register_buffers(ring, v, 3), -ENOMEM);
	assert_int_equal(pnm_pin_registry_count(-1), 0);
	assert_int_equal(pnm_pin_budget_set_task_limit(t, PNM_PIN_BUDGET_UNLIMITED), 0);

	/* The maximum count, all empty slots; then -EBUSY. */
	assert_int_equal(pnm_io_ring_register_buffers(ring, many, PNM_IORING_MAX_REG_BUFFERS), 0);
	assert_int_equal(buf_info(ring, PNM_IORING_MAX_REG_BUFFERS - 1).addr, 0);
	assert_null(pnm_io_ring_buf_owner(ring, 5));
	assert_int_equal(pnm_io_ring_buf_info(ring, PNM_IORING_MAX_REG_BUFFERS,
					      &(struct pnm_io_buf_info){
						      .size = sizeof(struct pnm_io_buf_info) }),
			 -EINVAL);
	assert_int_equal(pnm_io_ring_register_buffers(ring, v, 1), -EBUSY);
	CHECK_RING(ring);
	assert_int_equal(pnm_io_ring_unregister_buffers(ring), 0);

	/* Shared file mappings: disk refused (-EFAULT), dax -EOPNOTSUPP. */
	df = test_open(PNM_FS_DISK, "shared");
	xf = test_open(PNM_FS_DAX, "dax");
	assert_int_equal(pnm_file_truncate(df, PG), 0);
	assert_int_equal(pnm_file_truncate(xf, PG), 0);
	fa = pnm_mmap(t, 0, PG, RW, MAP_SHARED, df, 0);
	xa = pnm_mmap(t, 0, PG, RW, MAP_SHARED, xf, 0);
	assert_true(fa > 0 && xa > 0);
	v[0] = iov((unsigned long)fa, PG);
	assert_int_equal(pnm_io_ring_register_buffers(ring, v, 1), -EFAULT);
	v[0] = iov((unsigned long)xa, PG);
	assert_int_equal(pnm_io_ring_register_buffers(ring, v, 1), -EOPNOTSUPP);
	/* ... a private disk mapping is fine (its pages are copied first). */
	assert_int_equal(pnm_munmap(t, (unsigned long)fa, PG), 0);
	fa = pnm_mmap(t, 0, PG, RW, MAP_PRIVATE, df, 0);
	assert_true(fa > 0);
	v[0] = iov((unsigned long)fa, PG);
	assert_int_equal(pnm_io_ring_register_buffers(ring, v, 1), 0);
	CHECK_RING(ring);
	assert_int_equal(pnm_io_ring_unregister_buffers(ring), 0);
	assert_int_equal(pnm_munmap(t, (unsigned long)xa, PG), 0);
	pnm_file_close(df);
	pnm_file_close(xf);
	pnm_io_ring_destroy(ring);
	pnm_io_ring_destroy(NULL);
	CHECK_ALL();
}

/* --- fixed reads and writes ----------------------------------------------------- */

static void test_fixed_io(void **state)
{
	struct task_struct *t = test_task_create("t");
	struct pnm_io_ring *ring = ring_of(t);
	unsigned long a = test_mmap(t, 4 * PG, RW, PRIV);
	struct file *disk = test_open(PNM_FS_DISK, "data"), *shm = test_open(PNM_FS_SHMEM, "shm");
	struct pnm_io_ring_info ri = { .size = sizeof(ri) };
	struct iovec v[3];
	static char data[3 * PAGE_SIZE], back[3 * PAGE_SIZE];
	struct file *ro;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(data); i++)
		data[i] = (char)(i * 13 + 7);
	assert_int_equal(pnm_file_write(disk, data, sizeof(data), 0), (ssize_t)sizeof(data));
	/* Two buffers sharing a page, one empty slot, one of two pages. */
	v[0] = iov(a + 100, 1000);
	v[1] = iov(0, 0);
	v[2] = iov(a + 1100, 2 * PG);
	assert_int_equal(pnm_io_ring_register_buffers(ring, v, 3), 0);
	assert_int_equal(buf_info(ring, 0).pages, 1);
	assert_int_equal(buf_info(ring, 2).pages, 3);
	assert_int_equal(buf_info(ring, 2).pins, 3);
	assert_false(buf_info(ring, 2).coalesced);
	assert_int_equal(buf_info(ring, 2).folio_shift, 12);
	assert_int_equal(pnm_pin_registry_count(t->pid), 4);
	assert_int_equal(test_budget_charged(t), 3);		/* the shared page once */
	assert_ptr_not_equal(pnm_io_ring_buf_owner(ring, 0), pnm_io_ring_buf_owner(ring, 2));
	CHECK_RING(ring);

	/* disk -> buffer -> process memory. */
	assert_int_equal(pnm_io_ring_read_fixed(ring, disk, 2, a + 1100, 2 * PG, 5), 2 * PG);
	assert_int_equal(pnm_user_read(t, a + 1100, back, 2 * PG), 0);
	assert_memory_equal(back, data + 5, 2 * PG);
	/* A short read at the end of the file. */
	assert_int_equal(pnm_io_ring_read_fixed(ring, disk, 0, a + 100, 1000, 3 * PG - 10), 10);
	assert_int_equal(pnm_user_read(t, a + 100, back, 10), 0);
	assert_memory_equal(back, data + 3 * PG - 10, 10);
	assert_int_equal(pnm_io_ring_read_fixed(ring, disk, 0, a + 100, 1000, 3 * PG), 0);
	/* process memory -> buffer -> shmem, then back out by plain read. */
	assert_int_equal(pnm_user_write(t, a + 200, "written-fixed", 13), 0);
	assert_int_equal(pnm_io_ring_write_fixed(ring, shm, 0, a + 200, 13, PG + 3), 13);
	memset(back, 0, 16);
	assert_int_equal(pnm_file_read(shm, back, 13, PG + 3), 13);
	assert_memory_equal(back, "written-fixed", 13);

	/* Range errors: no such buffer, the empty slot, outside, wrapping. */
	assert_int_equal(pnm_io_ring_read_fixed(ring, disk, 3, a + 100, 1, 0), -EFAULT);
	assert_int_equal(pnm_io_ring_read_fixed(ring, disk, 1, a + 100, 1, 0), -EFAULT);
	assert_int_equal(pnm_io_ring_read_fixed(ring, disk, 0, a + 99, 1, 0), -EFAULT);
	assert_int_equal(pnm_io_ring_read_fixed(ring, disk, 0, a + 100, 1001, 0), -EFAULT);
	assert_int_equal(pnm_io_ring_write_fixed(ring, disk, 0, ~0UL, 2, 0), -EFAULT);
	assert_int_equal(pnm_io_ring_read_fixed(NULL, disk, 0, a + 100, 1, 0), -EINVAL);
	/* The file's own errors. */
	ro = pnm_filp_open(PNM_FS_DISK, "data", O_RDONLY);
	assert_false(IS_ERR(ro));
	assert_int_equal(pnm_io_ring_write_fixed(ring, ro, 0, a + 100, 10, 0), -EBADF);
	assert_int_equal(pnm_io_ring_read_fixed(ring, disk, 0, a + 100, 10, -1), -EINVAL);
	assert_int_equal(pnm_io_ring_read_fixed(ring, disk, 0, a + 100, 0, 0), 0);
	fput(ro);
	assert_int_equal(pnm_io_ring_get_info(ring, &ri), 0);
	assert_int_equal(ri.nr_bufs, 3);
	assert_int_equal(ri.pages, 4);
	assert_int_equal(ri.pins, 4);
	assert_int_equal(ri.fixed_reads, 4);		/* 2 * PG, 10, 0, 0 bytes */
	assert_int_equal(ri.read_bytes, 2 * PG + 10);
	assert_int_equal(ri.fixed_writes, 1);
	assert_int_equal(ri.write_bytes, 13);
	assert_int_equal(ri.registrations, 1);
	assert_int_equal(buf_info(ring, 2).read_bytes, 2 * PG);
	CHECK_RING(ring);

	assert_int_equal(pnm_io_ring_unregister_buffers(ring), 0);
	assert_int_equal(pnm_io_ring_read_fixed(ring, disk, 0, a + 100, 1, 0), -EFAULT);
	assert_int_equal(pnm_pin_registry_count(-1), 0);
	assert_int_equal(test_budget_charged(t), 0);
	/* Registered again after the unregister. */
	assert_int_equal(pnm_io_ring_register_buffers(ring, v, 1), 0);
	pnm_io_ring_destroy(ring);			/* unregisters */
	assert_int_equal(pnm_pin_registry_count(-1), 0);
	pnm_file_close(disk);
	pnm_file_close(shm);
	CHECK_ALL();
}

/* --- coalescing ----------------------------------------------------------------- */

/* @n THPs at 2 MiB boundaries of a fresh mapping, each written. */
static unsigned long thps(struct task_struct *t, int n)
{
	unsigned long a = test_mmap(t, (unsigned long)(n + 2) * PMD_SIZE, RW, PRIV);
	unsigned long huge = ALIGN(a, PMD_SIZE);
	int i;

	assert_int_equal(pnm_mm_madvise(t->mm, huge, (unsigned long)n * PMD_SIZE,
					MADV_HUGEPAGE), 0);
	for (i = 0; i < n; i++) {
		test_write_byte(t, huge + (unsigned long)i * PMD_SIZE, (unsigned char)i);
		assert_int_equal(folio_order(test_folio(t, huge + (unsigned long)i * PMD_SIZE)),
				 HPAGE_PMD_ORDER);
	}
	return huge;
}

static void test_coalescing(void **state)
{
	struct task_struct *t = test_task_create("t");
	struct pnm_io_ring *ring = ring_of(t);
	unsigned long huge = thps(t, 2);
	unsigned long small = test_mmap(t, 4 * PG, RW, PRIV);
	struct file *f = test_open(PNM_FS_SHMEM, "src");
	struct pnm_page_info pi = { .size = sizeof(pi) };
	struct pnm_io_buf_info bi;
	long base = live_pins();
	struct iovec v[4];
	static char data[PAGE_SIZE], back[PAGE_SIZE];
	size_t i;

	(void)state;
	for (i = 0; i < 4; i++)
		test_write_byte(t, small + i * PG, 1);
	v[0] = iov(huge, PMD_SIZE);			/* one THP whole */
	v[1] = iov(huge + PMD_SIZE / 2, PMD_SIZE);	/* half of each */
	v[2] = iov(huge + PMD_SIZE + 10, 3 * PG);	/* inside one THP */
	v[3] = iov(small, 4 * PG);			/* small pages */
	assert_int_equal(pnm_io_ring_register_buffers(ring, v, 4), 0);
	bi = buf_info(ring, 0);
	assert_true(bi.coalesced);
	assert_int_equal(bi.pages, HPAGE_PMD_NR);
	assert_int_equal(bi.pins, 1);
	assert_int_equal(bi.segments, 1);
	assert_int_equal(bi.folio_shift, 21);
	bi = buf_info(ring, 1);
	assert_true(bi.coalesced);
	assert_int_equal(bi.pins, 2);
	assert_int_equal(bi.segments, 2);
	bi = buf_info(ring, 2);
	assert_true(bi.coalesced);
	assert_int_equal(bi.pins, 1);
	assert_int_equal(bi.pages, 4);			/* spills into a fourth page */
	bi = buf_info(ring, 3);
	assert_false(bi.coalesced);
	assert_int_equal(bi.pins, 4);
	assert_int_equal(bi.segments, 4);
	/* Pins: 1 + 2 + 1 on the THPs, 4 on the small pages. */
	assert_int_equal(live_pins() - base, 8);
	assert_int_equal(pnm_task_page_info(t, huge, &pi), 0);
	assert_int_equal(pi.folio_pincount, 2);		/* buffers 0 and 1 */
	assert_int_equal(pnm_task_page_info(t, huge + PMD_SIZE, &pi), 0);
	assert_int_equal(pi.folio_pincount, 2);		/* buffers 1 and 2 */
	/* Each page of the pinned ranges once: THP 0, half of THP 1, 4. */
	assert_int_equal(test_budget_charged(t), HPAGE_PMD_NR + HPAGE_PMD_NR / 2 + 4);
	CHECK_RING(ring);

	/* The device side reaches every page of a coalesced buffer. */
	for (i = 0; i < sizeof(data); i++)
		data[i] = (char)(i ^ 0x5a);
	assert_int_equal(pnm_file_write(f, data, sizeof(data), 0), (ssize_t)sizeof(data));
	assert_int_equal(pnm_io_ring_read_fixed(ring, f, 1, huge + PMD_SIZE - 100, PG, 0), PG);
	assert_int_equal(pnm_user_read(t, huge + PMD_SIZE - 100, back, PG), 0);
	assert_memory_equal(back, data, PG);
	assert_int_equal(pnm_io_ring_write_fixed(ring, f, 0, huge + 77 * PG, PG, 2 * PG), PG);
	CHECK_RING(ring);

	assert_int_equal(pnm_io_ring_unregister_buffers(ring), 0);
	assert_int_equal(live_pins(), base);
	assert_int_equal(pnm_task_page_info(t, huge, &pi), 0);
	assert_int_equal(pi.folio_pincount, 0);
	assert_int_equal(test_budget_charged(t), 0);
	assert_int_equal(pnm_misuse_count(PNM_MISUSE_UNPIN_UNPINNED), 0);

	/* THP then small pages: different folio sizes, not coalesced. */
	v[0] = iov(huge + PMD_SIZE - PG, 2 * PG);
	assert_int_equal(pnm_munmap(t, huge + PMD_SIZE, PMD_SIZE), 0);
	assert_int_equal(pnm_mmap(t, huge + PMD_SIZE, PG, RW, PRIV | MAP_FIXED, NULL, 0),
			 (long)(huge + PMD_SIZE));
	test_write_byte(t, huge + PMD_SIZE, 3);
	assert_int_equal(pnm_io_ring_register_buffers(ring, v, 1), 0);
	assert_false(buf_info(ring, 0).coalesced);
	assert_int_equal(buf_info(ring, 0).pins, 2);
	CHECK_RING(ring);
	pnm_io_ring_destroy(ring);
	assert_int_equal(live_pins(), base);
	pnm_file_close(f);
	CHECK_ALL();
}

/* --- the buffers' lifetime ------------------------------------------------------ */

/* After fork the parent keeps the pinned pages (the child gets copies);
 * after munmap reads still land in the (orphan) pages; a shmem buffer a
 * read wrote is released dirty. */
static void test_fork_munmap_dirty(void **state)
{
	struct task_struct *t = test_task_create("parent"), *child;
	struct pnm_io_ring *ring = ring_of(t);
	unsigned long a = test_mmap(t, 2 * PG, RW, PRIV);
	struct file *shm = test_open(PNM_FS_SHMEM, "buf"), *src = test_open(PNM_FS_DISK, "src");
	struct pnm_page_info pi = { .size = sizeof(pi) };
	struct iovec v[2];
	char back[16];
	long s;

	(void)state;
	assert_int_equal(pnm_file_write(src, "from-disk", 9, 0), 9);
	assert_int_equal(pnm_file_truncate(shm, PG), 0);
	s = pnm_mmap(t, 0, PG, RW, MAP_SHARED, shm, 0);
	assert_true(s > 0);
	test_write_byte(t, a, 'p');
	test_write_byte(t, (unsigned long)s, 's');
	v[0] = iov(a, 2 * PG);
	v[1] = iov((unsigned long)s, PG);
	assert_int_equal(pnm_io_ring_register_buffers(ring, v, 2), 0);
	child = test_fork(t);
	assert_int_equal(pnm_io_ring_read_fixed(ring, src, 0, a, 9, 0), 9);
	assert_int_equal(pnm_user_read(t, a, back, 9), 0);
	assert_memory_equal(back, "from-disk", 9);
	assert_int_equal(test_read_byte(child, a), 'p');
	CHECK_RING(ring);

	/* The shmem page: written by a fixed read, then cleaned; the
	 * unregister dirties it again. */
	assert_int_equal(pnm_io_ring_read_fixed(ring, src, 1, (unsigned long)s, 4, 5), 4);
	assert_int_equal(pnm_file_page_info(shm, 0, &pi), 0);
	folio_lock(pfn_folio(pi.pfn));
	assert_int_equal(folio_clear_dirty_for_io(pfn_folio(pi.pfn)), 1);
	folio_unlock(pfn_folio(pi.pfn));
	assert_int_equal(pnm_file_page_info(shm, 0, &pi), 0);
	assert_false(pi.flags & PNM_PAGE_DIRTY);
	assert_int_equal(pnm_munmap(t, a, 2 * PG), 0);
	assert_int_equal(pnm_io_ring_read_fixed(ring, src, 0, a + PG, 4, 0), 4);
	assert_int_equal(pnm_io_ring_write_fixed(ring, src, 0, a + PG, 4, 100), 4);
	assert_int_equal(pnm_file_read(src, back, 4, 100), 4);
	assert_memory_equal(back, "from", 4);
	CHECK_RING(ring);
	assert_int_equal(pnm_io_ring_unregister_buffers(ring), 0);
	assert_int_equal(pnm_file_page_info(shm, 0, &pi), 0);
	assert_true(pi.flags & PNM_PAGE_DIRTY);
	assert_int_equal(pnm_file_read(shm, back, 4, 0), 4);
	assert_memory_equal(back, "disk", 4);
	assert_int_equal(pnm_pin_registry_count(-1), 0);
	pnm_io_ring_destroy(ring);
	pnm_task_exit(child);
	pnm_file_close(shm);
	pnm_file_close(src);
	CHECK_ALL();
}

/* --- fixed I/O racing with unregistration ------------------------------------------ */

struct io_racer {
	pthread_t thread;
	struct pnm_io_ring *ring;
	struct file *file;
	unsigned long addr;
	atomic_t stop;
	atomic_long_t done, missing, bad;
};

static void *io_race_run(void *arg)
{
	struct io_racer *r = arg;

	while (!atomic_read(&r->stop)) {
		ssize_t n = pnm_io_ring_read_fixed(r->ring, r->file, 0, r->addr, 2 * PAGE_SIZE, 0);

		if (n == 2 * (ssize_t)PAGE_SIZE)
			atomic_long_inc(&r->done);
		else if (n == -EFAULT)
			atomic_long_inc(&r->missing);
		else
			atomic_long_inc(&r->bad);
	}
	return NULL;
}

static void test_fixed_io_races_unregister(void **state)
{
	struct task_struct *t = test_task_create("t");
	struct pnm_io_ring *ring = ring_of(t);
	unsigned long a = test_mmap(t, 8 * PG, RW, PRIV);
	struct file *f = test_open(PNM_FS_SHMEM, "src");
	static char data[2 * PAGE_SIZE];
	struct io_racer r[2];
	struct iovec v = iov(a, 8 * PG);
	int i, round;

	(void)state;
	memset(data, 'q', sizeof(data));
	assert_int_equal(pnm_file_write(f, data, sizeof(data), 0), (ssize_t)sizeof(data));
	for (i = 0; i < 2; i++) {
		memset(&r[i], 0, sizeof(r[i]));
		r[i].ring = ring;
		r[i].file = f;
		r[i].addr = a + (unsigned long)i * 4 * PG;
		assert_int_equal(pthread_create(&r[i].thread, NULL, io_race_run, &r[i]), 0);
	}
	/* Nothing registered yet: each reader sees -EFAULT first. */
	for (i = 0; i < 2; i++)
		while (!atomic_long_read(&r[i].missing))
			sched_yield();
	for (round = 0; round < 50; round++) {
		long done[2];

		for (i = 0; i < 2; i++)
			done[i] = atomic_long_read(&r[i].done);
		assert_int_equal(pnm_io_ring_register_buffers(ring, &v, 1), 0);
		/* Each reader completes a read while it is registered. */
		for (i = 0; i < 2; i++)
			while (atomic_long_read(&r[i].done) == done[i])
				sched_yield();
		assert_int_equal(pnm_io_ring_unregister_buffers(ring), 0);
	}
	for (i = 0; i < 2; i++) {
		atomic_set(&r[i].stop, 1);
		assert_int_equal(pthread_join(r[i].thread, NULL), 0);
		assert_int_equal(atomic_long_read(&r[i].bad), 0);
	}
	assert_int_equal(pnm_pin_registry_count(-1), 0);
	pnm_io_ring_destroy(ring);
	pnm_file_close(f);
	CHECK_ALL();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		PNM_TEST(test_register_errors),
		PNM_TEST(test_fixed_io),
		PNM_TEST(test_coalescing),
		PNM_TEST(test_fork_munmap_dirty),
		PNM_TEST(test_fixed_io_races_unregister),
	};

	return cmocka_run_group_tests_name("io_uring", tests, NULL, NULL);
}
