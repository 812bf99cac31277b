// SPDX-License-Identifier: MIT
/*
 * test_rdma.c - the RDMA call site (src/drivers/rdma.c): devices, PDs and
 * their errors; registration of anonymous memory (long-term pins through
 * an owner, keys, iova, the owner listing, the pin budget charged and
 * refused) and its errors as Linux's (access flags, ranges, refusals of
 * unmapped, read-only and shared file memory); remote writes and reads by
 * rkey and iova and their access errors; regions that keep working
 * across fork, munmap and the task's exit; MOVABLE pages migrated before
 * the pin and compaction still succeeding; posted work, completions, the
 * queue depth and freezing; file-backed regions under a layout lease,
 * a break answered by the driver (region invalidated, later writes
 * refused and counted, the data written before reaching the disk) and a
 * break ignored (revoked by force, quarantined, no stale write on disk,
 * the late dereg); deregistration racing with device threads.
 */
#include <pthread.h>
#include <string.h>

#include "test_util.h"
#include "pinmm_test_internal.h"

#define PG	PAGE_SIZE
#define RW	(PROT_READ | PROT_WRITE)
#define PRIV	(MAP_PRIVATE | MAP_ANONYMOUS)
#define LW	PNM_IB_ACCESS_LOCAL_WRITE
#define RWR	PNM_IB_ACCESS_REMOTE_WRITE
#define RRD	PNM_IB_ACCESS_REMOTE_READ
#define ALL	(LW | RWR | RRD)

/* The device's invariants hold (and the system's). */
#define CHECK_DEV(dev)	CHECK_OBJ(pnm_ib_device_check, dev)

static struct pnm_ib_device *device(const char *name, unsigned int threads)
{
	struct pnm_ib_device_params p = { .size = sizeof(p), .name = name, .nr_threads = threads };
	struct pnm_ib_device *dev = NULL;

	assert_int_equal(pnm_ib_device_create(&p, &dev), 0);
	return dev;
}

static struct pnm_ib_pd *pd_of(struct pnm_ib_device *dev, struct task_struct *t)
{
	struct pnm_ib_pd *pd = NULL;

	assert_int_equal(pnm_ib_alloc_pd(dev, t, &pd), 0);
	return pd;
}

static int reg(struct pnm_ib_pd *pd, unsigned long addr, size_t len, unsigned int access,
	       struct file *lease, unsigned int flags, struct pnm_ib_mr **mrp)
{
	struct pnm_ib_mr_attr a = {
		.size = sizeof(a), .addr = addr, .length = len, .iova = addr,
		.access = access, .lease_file = lease, .flags = flags,
	};

	return pnm_ib_reg_mr(pd, &a, mrp);
}

static struct pnm_ib_mr *mr_of(struct pnm_ib_pd *pd, unsigned long addr, size_t len,
			       unsigned int access)
{
	struct pnm_ib_mr *mr = NULL;

	assert_int_equal(reg(pd, addr, len, access, NULL, 0, &mr), 0);
	assert_non_null(mr);
	return mr;
}

static struct pnm_ib_mr_info mr_info(struct pnm_ib_mr *mr)
{
	struct pnm_ib_mr_info info = { .size = sizeof(info) };

	assert_int_equal(pnm_ib_mr_get_info(mr, &info), 0);
	return info;
}

static struct pnm_ib_device_info dev_info(struct pnm_ib_device *dev)
{
	struct pnm_ib_device_info info = { .size = sizeof(info) };

	assert_int_equal(pnm_ib_device_get_info(dev, &info), 0);
	return info;
}

/* --- devices and protection domains ----------------------------------------- */

static void test_device_and_pd_errors(void **state)
{
	struct pnm_ib_device_params p = { .size = sizeof(p) };
	struct pnm_ib_device *dev = (void *)0x1, *d;
	struct task_struct *t = test_task_create("t"), *gone = test_task_create("gone");
	struct pnm_ib_pd *pd = (void *)0x1, *pd2;
	struct pnm_ib_device_info di;

	(void)state;
	assert_int_equal(pnm_ib_device_create(NULL, &dev), -EINVAL);
	assert_int_equal(pnm_ib_device_create(&p, NULL), -EINVAL);
	p.size = 8;
	assert_int_equal(pnm_ib_device_create(&p, &dev), -EINVAL);
	p.size = sizeof(p);
	p.nr_threads = PNM_IB_MAX_THREADS + 1;
	assert_int_equal(pnm_ib_device_create(&p, &dev), -EINVAL);
	p.nr_threads = 0;
	p.queue_depth = PNM_IB_MAX_QUEUE_DEPTH + 1;
	assert_int_equal(pnm_ib_device_create(&p, &dev), -EINVAL);
	assert_ptr_equal(dev, (void *)0x1);
	p.queue_depth = 0;
	p.name = "mlx0";
	assert_int_equal(pnm_ib_device_create(&p, &d), 0);
	di = dev_info(d);
	assert_string_equal(di.name, "mlx0");
	assert_int_equal(di.nr_threads, 2);		/* the defaults */
	assert_int_equal(di.queue_depth, 256);

	assert_int_equal(pnm_ib_alloc_pd(NULL, t, &pd), -EINVAL);
	assert_int_equal(pnm_ib_alloc_pd(d, NULL, &pd), -EINVAL);
	assert_int_equal(pnm_ib_alloc_pd(d, t, NULL), -EINVAL);
	pnm_task_exit(gone);
	assert_int_equal(pnm_ib_alloc_pd(d, gone, &pd), -ESRCH);
	assert_ptr_equal(pd, (void *)0x1);
	pd2 = pd_of(d, t);
	assert_int_equal(dev_info(d).pds, 1);
	assert_int_equal(pnm_ib_device_destroy(d), -EBUSY);
	CHECK_DEV(d);
	assert_int_equal(pnm_ib_dealloc_pd(pd2), 0);
	assert_int_equal(pnm_ib_dealloc_pd(NULL), 0);
	assert_int_equal(pnm_ib_device_destroy(d), 0);
	assert_int_equal(pnm_ib_device_destroy(NULL), 0);
	{
		struct pnm_ib_device_info small = { .size = 4 };

		assert_int_equal(pnm_ib_device_get_info(NULL, &small), -EINVAL);
	}
	CHECK_ALL();
}

/* --- registration ------------------------------------------------------------ */

/* An unaligned region: its pages are pinned long-term through an owner,
 * charged, and reached by the device by iova. */
static void test_reg_remote_dereg(void **state)
{
	struct task_struct *t = test_task_create("app");
	struct pnm_ib_device *dev = device("ib", 2);
	struct pnm_ib_pd *pd = pd_of(dev, t);
	unsigned long a = test_mmap(t, 4 * PG, RW, PRIV);
	unsigned long addr = a + 100;			/* 3 pages: a .. a + 3 PG */
	struct pnm_ib_mr *mr = NULL, *ro;
	struct pnm_vaddr_pin_extent ext = { .size = sizeof(ext) };
	struct pnm_vaddr_pin_info vi = { .size = sizeof(vi) };
	struct pnm_ib_mr_attr attr = {
		.size = sizeof(attr), .addr = addr, .length = 2 * PG, .iova = 0x10000064,
		.access = ALL, .name = "data",
	};
	struct pnm_ib_mr_info mi;
	char buf[64], back[64];
	uint32_t rkey;
	int i;

	(void)state;
	for (i = 0; i < 4; i++)
		test_write_byte(t, a + i * PG, (unsigned char)(0x10 + i));
	assert_int_equal(pnm_ib_reg_mr(pd, &attr, &mr), 0);
	rkey = pnm_ib_mr_rkey(mr);
	assert_int_equal(pnm_ib_mr_lkey(mr), rkey);
	assert_true(rkey != 0);
	mi = mr_info(mr);
	assert_int_equal(mi.state, PNM_IB_MR_VALID);
	assert_string_equal(pnm_ib_mr_state_name(mi.state), "valid");
	assert_int_equal(mi.pages, 3);
	assert_int_equal(mi.iova, 0x10000064);
	assert_int_equal(mi.pid, pnm_task_pid(t));
	assert_string_equal(mi.name, "data");
	for (i = 0; i < 3; i++)
		assert_true(folio_maybe_dma_pinned(test_folio(t, a + i * PG)));
	assert_false(folio_maybe_dma_pinned(test_folio(t, a + 3 * PG)));
	assert_int_equal(pnm_pin_registry_count(t->pid), 3);
	assert_int_equal(test_budget_charged(t), 3);
	/* One long-term writable owner, one extent. */
	assert_int_equal(pnm_vaddr_pin_get_info(pnm_ib_mr_owner(mr), &vi), 0);
	assert_int_equal(vi.flags, VADDR_PIN_LONGTERM | VADDR_PIN_WRITE);
	assert_string_equal(vi.name, "data");
	assert_int_equal(pnm_vaddr_pin_extent_next(pnm_ib_mr_owner(mr), 0, &ext), 0);
	assert_int_equal(ext.start, a);
	assert_int_equal(ext.pages, 3);
	CHECK_DEV(dev);

	/* A remote write across a page boundary, by iova; the process sees it. */
	for (i = 0; i < 64; i++)
		buf[i] = (char)(0x40 + i);
	assert_int_equal(pnm_ib_remote_write(dev, rkey, 0x10000064 + PG - 100 - 10, buf, 64), 0);
	assert_int_equal(pnm_user_read(t, a + PG - 10, back, 64), 0);
	assert_memory_equal(buf, back, 64);
	memset(back, 0, sizeof(back));
	assert_int_equal(pnm_ib_remote_read(dev, rkey, 0x10000064 + PG - 110, back, 64), 0);
	assert_memory_equal(buf, back, 64);
	/* The whole region, its last byte, zero bytes. */
	assert_int_equal(pnm_ib_remote_write(dev, rkey, 0x10000064 + 2 * PG - 1, buf, 1), 0);
	assert_int_equal(pnm_ib_remote_write(dev, rkey, 0x10000064, buf, 0), 0);
	mi = mr_info(mr);
	assert_int_equal(mi.remote_writes, 3);
	assert_int_equal(mi.remote_write_bytes, 65);
	assert_int_equal(mi.remote_reads, 1);
	assert_int_equal(mi.remote_read_bytes, 64);

	/* Remote access errors: refused, counted, nothing written. */
	assert_int_equal(pnm_ib_remote_write(dev, rkey + 1, 0x10000064, buf, 1), -EACCES);
	assert_int_equal(pnm_ib_remote_write(dev, rkey, 0x10000063, buf, 1), -EACCES);
	assert_int_equal(pnm_ib_remote_write(dev, rkey, 0x10000064 + 2 * PG - 1, buf, 2), -EACCES);
	assert_int_equal(pnm_ib_remote_write(dev, rkey, UINT64_MAX, buf, 2), -EACCES);
	assert_int_equal(pnm_ib_remote_write(NULL, rkey, 0x10000064, buf, 1), -EINVAL);
	assert_int_equal(pnm_ib_remote_write(dev, rkey, 0x10000064, NULL, 1), -EINVAL);
	assert_int_equal(pnm_ib_remote_write(dev, rkey, 0x10000064, buf,
					     PNM_IB_MAX_MSG_SIZE + 1), -EINVAL);
	assert_int_equal(dev_info(dev).access_errors, 4);
	assert_int_equal(test_read_byte(t, a + 3 * PG), 0x13);
	assert_int_equal(test_read_byte(t, a + 99), 0);	/* just below the region */

	/* A second region on the same pages, read-only for the peer. */
	ro = mr_of(pd, a, PG, RRD);
	assert_int_not_equal(pnm_ib_mr_rkey(ro), rkey);
	assert_int_equal(pnm_ib_remote_write(dev, pnm_ib_mr_rkey(ro), a, buf, 1), -EACCES);
	assert_int_equal(pnm_ib_remote_read(dev, pnm_ib_mr_rkey(ro), a + PG - 10, back, 10), 0);
	assert_memory_equal(back, buf, 10);
	assert_int_equal(pnm_vaddr_pin_get_info(pnm_ib_mr_owner(ro), &vi), 0);
	assert_int_equal(vi.flags, VADDR_PIN_LONGTERM);		/* a R/O pin */
	assert_int_equal(test_budget_charged(t), 3);			/* charged once */
	assert_int_equal(dev_info(dev).mrs, 2);
	assert_int_equal(pnm_ib_dealloc_pd(pd), -EBUSY);
	CHECK_DEV(dev);

	/* Dereg: the keys stop working, the pins and the charge go. */
	assert_int_equal(pnm_ib_dereg_mr(mr), 0);
	assert_int_equal(pnm_ib_remote_write(dev, rkey, 0x10000064, buf, 1), -EACCES);
	assert_int_equal(pnm_pin_registry_count(t->pid), 1);
	assert_int_equal(pnm_ib_dereg_mr(ro), 0);
	assert_int_equal(pnm_ib_dereg_mr(NULL), 0);
	assert_int_equal(pnm_pin_registry_count(t->pid), 0);
	assert_int_equal(test_budget_charged(t), 0);
	for (i = 0; i < 3; i++)
		assert_false(folio_maybe_dma_pinned(test_folio(t, a + i * PG)));
	assert_int_equal(dev_info(dev).mrs, 0);
	CHECK_DEV(dev);
	assert_int_equal(pnm_ib_dealloc_pd(pd), 0);
	assert_int_equal(pnm_ib_device_destroy(dev), 0);
	CHECK_ALL();
}

/* Linux's argument checks and GUP's refusals: nothing pinned on error. */
static void test_reg_errors(void **state)
{
	struct task_struct *t = test_task_create("t"), *gone = test_task_create("gone");
	struct pnm_ib_device *dev = device("ib", 1);
	struct pnm_ib_pd *pd = pd_of(dev, t), *pd_gone = pd_of(dev, gone);
	unsigned long a = test_mmap(t, 4 * PG, RW, PRIV);
	unsigned long ro = test_mmap(t, PG, PROT_READ, PRIV);
	struct pnm_ib_mr_attr attr = { .size = sizeof(attr), .addr = a, .length = PG,
				       .iova = a, .access = LW };
	struct pnm_ib_mr *mr = (void *)0x1;
	struct file *df, *xf;
	long fa, xa;

	(void)state;
	test_write_byte(t, a, 1);
	assert_int_equal(pnm_ib_reg_mr(NULL, &attr, &mr), -EINVAL);
	assert_int_equal(pnm_ib_reg_mr(pd, NULL, &mr), -EINVAL);
	assert_int_equal(pnm_ib_reg_mr(pd, &attr, NULL), -EINVAL);
	attr.size = 8;
	assert_int_equal(pnm_ib_reg_mr(pd, &attr, &mr), -EINVAL);
	attr.size = sizeof(attr);
	assert_int_equal(reg(pd, a, 0, LW, NULL, 0, &mr), -EINVAL);
	assert_int_equal(reg(pd, a, PG, 0x80, NULL, 0, &mr), -EINVAL);
	assert_int_equal(reg(pd, a, PG, RWR, NULL, 0, &mr), -EINVAL);	/* no LOCAL_WRITE */
	assert_int_equal(reg(pd, a, PG, LW, NULL, 0x10, &mr), -EINVAL);
	assert_int_equal(reg(pd, ~0UL - 10, 100, LW, NULL, 0, &mr), -EINVAL);
	attr.iova = a + 1;
	assert_int_equal(pnm_ib_reg_mr(pd, &attr, &mr), -EINVAL);	/* page offsets */
	attr.iova = a + 7 * PG;
	attr.addr = a;
	assert_int_equal(pnm_ib_reg_mr(pd, &attr, &mr), 0);	/* any iova, same offset */
	assert_int_equal(pnm_ib_dereg_mr(mr), 0);
	mr = (void *)0x1;

	/* Refusals: unmapped, partly unmapped, read-only memory written. */
	assert_int_equal(pnm_munmap(t, a + 2 * PG, PG), 0);
	assert_int_equal(reg(pd, a + 2 * PG, PG, LW, NULL, 0, &mr), -EFAULT);
	assert_int_equal(reg(pd, a, 4 * PG, LW, NULL, 0, &mr), -EFAULT);
	assert_int_equal(reg(pd, ro, PG, LW, NULL, 0, &mr), -EFAULT);
	assert_int_equal(reg(pd, 0x7fffffffe000UL, 0x4000, LW, NULL, 0, &mr), -EFAULT);
	assert_int_equal(pnm_pin_registry_count(-1), 0);
	assert_int_equal(test_budget_charged(t), 0);
	/* A read-only region of read-only memory is fine. */
	assert_int_equal(reg(pd, ro, PG, RRD, NULL, 0, &mr), 0);
	assert_int_equal(pnm_ib_dereg_mr(mr), 0);
	mr = (void *)0x1;

	/* Shared file mappings without a lease: Linux's refusals. */
	df = test_open(PNM_FS_DISK, "nolease");
	xf = test_open(PNM_FS_DAX, "noleasedax");
	assert_int_equal(pnm_file_truncate(df, PG), 0);
	assert_int_equal(pnm_file_truncate(xf, PG), 0);
	fa = pnm_mmap(t, 0, PG, RW, MAP_SHARED, df, 0);
	xa = pnm_mmap(t, 0, PG, RW, MAP_SHARED, xf, 0);
	assert_true(fa > 0 && xa > 0);
	test_write_byte(t, (unsigned long)fa, 1);
	test_write_byte(t, (unsigned long)xa, 1);
	assert_int_equal(reg(pd, (unsigned long)fa, PG, LW, NULL, 0, &mr), -EFAULT);
	assert_int_equal(reg(pd, (unsigned long)fa, PG, LW, df, 0, &mr), -EFAULT);
	assert_int_equal(reg(pd, (unsigned long)xa, PG, LW, NULL, 0, &mr), -EOPNOTSUPP);
	/* ... a read-only long-term pin of the disk mapping is allowed. */
	assert_int_equal(reg(pd, (unsigned long)fa, PG, RRD, NULL, 0, &mr), 0);
	assert_int_equal(pnm_ib_dereg_mr(mr), 0);
	mr = (void *)0x1;

	/* The budget: -ENOMEM with nothing pinned. */
	assert_int_equal(pnm_pin_budget_set_task_limit(t, 1), 0);
	assert_int_equal(reg(pd, a, 2 * PG, LW, NULL, 0, &mr), -ENOMEM);
	assert_int_equal(pnm_pin_registry_count(-1), 0);
	assert_int_equal(reg(pd, a, PG, LW, NULL, 0, &mr), 0);
	assert_int_equal(pnm_ib_dereg_mr(mr), 0);
	assert_int_equal(pnm_pin_budget_set_task_limit(t, PNM_PIN_BUDGET_UNLIMITED), 0);
	mr = (void *)0x1;

	/* An exited task. */
	pnm_task_exit(gone);
	assert_int_equal(reg(pd_gone, a, PG, LW, NULL, 0, &mr), -ESRCH);
	assert_ptr_equal(mr, (void *)0x1);
	assert_int_equal(dev_info(dev).mrs, 0);
	CHECK_DEV(dev);
	assert_int_equal(pnm_munmap(t, (unsigned long)fa, PG), 0);
	assert_int_equal(pnm_munmap(t, (unsigned long)xa, PG), 0);
	pnm_file_close(df);
	pnm_file_close(xf);
	assert_int_equal(pnm_ib_dealloc_pd(pd), 0);
	assert_int_equal(pnm_ib_dealloc_pd(pd_gone), 0);
	assert_int_equal(pnm_ib_device_destroy(dev), 0);
	CHECK_ALL();
}

/* Pages in MOVABLE move to NORMAL before the pin, so compaction of
 * MOVABLE still works with the region registered. */
static void test_movable_migrated_first(void **state)
{
	struct task_struct *t = test_task_create("t");
	struct pnm_ib_device *dev = device("ib", 1);
	struct pnm_ib_pd *pd = pd_of(dev, t);
	unsigned long a = test_mmap(t, 8 * PG, RW, PRIV);
	struct pnm_page_info pi = { .size = sizeof(pi) };
	struct pnm_ib_mr *mr;
	int i;

	(void)state;
	for (i = 0; i < 8; i++)
		test_write_byte(t, a + i * PG, (unsigned char)(i + 1));
	assert_true(pnm_migrate_range(t, a, 8 * PG, PNM_ZONE_MOVABLE) >= 0);
	assert_int_equal(pnm_task_page_info(t, a, &pi), 0);
	assert_int_equal(pi.zone, PNM_ZONE_MOVABLE);
	mr = mr_of(pd, a, 8 * PG, ALL);
	for (i = 0; i < 8; i++) {
		assert_int_equal(pnm_task_page_info(t, a + i * PG, &pi), 0);
		assert_int_equal(pi.zone, PNM_ZONE_NORMAL);
		assert_true(pi.flags & PNM_PAGE_MAYBE_PINNED);
		assert_int_equal(test_read_byte(t, a + i * PG), i + 1);	/* data moved */
	}
	assert_int_equal(pnm_compact_zone(PNM_ZONE_MOVABLE, HPAGE_PMD_ORDER, NULL), 0);
	CHECK_DEV(dev);
	assert_int_equal(pnm_ib_dereg_mr(mr), 0);
	assert_int_equal(pnm_ib_dealloc_pd(pd), 0);
	assert_int_equal(pnm_ib_device_destroy(dev), 0);
	CHECK_ALL();
}

/* The device keeps writing the parent's pages after fork (the child gets
 * copies), after munmap (orphan frames) and after exit; dereg frees. */
static void test_fork_munmap_exit(void **state)
{
	struct task_struct *t = test_task_create("parent"), *child;
	struct pnm_ib_device *dev = device("ib", 1);
	struct pnm_ib_pd *pd = pd_of(dev, t);
	unsigned long a = test_mmap(t, 2 * PG, RW, PRIV);
	struct pnm_mem_info m0 = { .size = sizeof(m0) }, m1 = { .size = sizeof(m1) };
	struct pnm_ib_mr *mr;
	uint32_t rkey;
	char c;

	(void)state;
	test_write_byte(t, a, 'p');
	test_write_byte(t, a + PG, 'p');
	assert_int_equal(pnm_get_mem_info(&m0), 0);
	mr = mr_of(pd, a, 2 * PG, ALL);
	rkey = pnm_ib_mr_rkey(mr);
	child = test_fork(t);
	assert_int_equal(pnm_ib_remote_write(dev, rkey, a, "D", 1), 0);
	assert_int_equal(test_read_byte(t, a), 'D');	/* FOLL_PIN: never lost */
	assert_int_equal(test_read_byte(child, a), 'p');
	test_write_byte(t, a + PG, 'P');		/* the parent's CPU write */
	assert_int_equal(pnm_ib_remote_read(dev, rkey, a + PG, &c, 1), 0);
	assert_int_equal(c, 'P');
	CHECK_DEV(dev);

	/* munmap: the device still has the frames, the process does not. */
	assert_int_equal(pnm_munmap(t, a, 2 * PG), 0);
	assert_int_equal(pnm_ib_remote_write(dev, rkey, a + 1, "E", 1), 0);
	assert_int_equal(pnm_ib_remote_read(dev, rkey, a, &c, 1), 0);
	assert_int_equal(c, 'D');
	assert_int_equal(mr_info(mr).pages, 2);
	/* exit: still pinned, still working. */
	pnm_task_exit(t);
	pnm_task_exit(child);
	assert_int_equal(pnm_ib_remote_read(dev, rkey, a + 1, &c, 1), 0);
	assert_int_equal(c, 'E');
	CHECK_DEV(dev);
	assert_int_equal(pnm_ib_dereg_mr(mr), 0);
	assert_int_equal(pnm_get_mem_info(&m1), 0);
	assert_true(m1.allocated_frames < m0.allocated_frames);	/* the pages went */
	assert_int_equal(pnm_pin_registry_count(-1), 0);
	assert_int_equal(pnm_ib_dealloc_pd(pd), 0);
	assert_int_equal(pnm_ib_device_destroy(dev), 0);
	CHECK_ALL();
}

/* --- posted work ------------------------------------------------------------- */

static int poll_all(struct pnm_ib_device *dev, struct pnm_ib_wc *wc, int nr)
{
	int got = 0, n;

	pnm_ib_drain(dev);
	while (got < nr && (n = pnm_ib_poll_cq(dev, wc + got, nr - got)) > 0)
		got += n;
	return got;
}

static void test_posted_work(void **state)
{
	struct task_struct *t = test_task_create("t");
	struct pnm_ib_device_params p = { .size = sizeof(p), .name = "q", .nr_threads = 3,
					  .queue_depth = 8 };
	struct pnm_ib_device *dev = NULL;
	struct pnm_ib_pd *pd;
	unsigned long a = test_mmap(t, 4 * PG, RW, PRIV);
	struct pnm_ib_work wr = { .size = sizeof(wr), .opcode = PNM_IB_WR_RDMA_WRITE };
	struct pnm_ib_wc wc[16];
	struct pnm_ib_mr *mr;
	char data[8][16], back[8][16];
	int i, n, ok = 0;

	(void)state;
	assert_int_equal(pnm_ib_device_create(&p, &dev), 0);
	pd = pd_of(dev, t);
	mr = mr_of(pd, a, 4 * PG, ALL);
	wr.rkey = pnm_ib_mr_rkey(mr);
	for (i = 0; i < 8; i++) {
		memset(data[i], 'a' + i, sizeof(data[i]));
		wr.wr_id = (uint64_t)i;
		wr.iova = a + (unsigned long)i * 100;
		wr.buf = data[i];
		wr.len = sizeof(data[i]);
		assert_int_equal(pnm_ib_post_remote(dev, &wr), 0);
		memset(data[i], 0, sizeof(data[i]));	/* copied at post */
	}
	/* Eight outstanding: the queue is full until polled. */
	assert_int_equal(pnm_ib_post_remote(dev, &wr), -ENOMEM);
	n = poll_all(dev, wc, 16);
	assert_int_equal(n, 8);
	for (i = 0; i < n; i++) {
		assert_int_equal(wc[i].status, 0);
		assert_int_equal(wc[i].byte_len, 16);
		assert_int_equal(wc[i].opcode, PNM_IB_WR_RDMA_WRITE);
		ok |= 1 << wc[i].wr_id;
	}
	assert_int_equal(ok, 0xff);
	for (i = 0; i < 8; i++)
		assert_int_equal(test_read_byte(t, a + (unsigned long)i * 100 + 15), 'a' + i);
	assert_int_equal(dev_info(dev).outstanding, 0);

	/* Frozen: posted reads wait; thawed, they run.  A bad one fails. */
	pnm_ib_device_freeze(dev, true);
	wr.opcode = PNM_IB_WR_RDMA_READ;
	for (i = 0; i < 3; i++) {
		wr.wr_id = (uint64_t)(10 + i);
		wr.iova = a + (unsigned long)i * 100;
		wr.buf = back[i];
		wr.len = sizeof(back[i]);
		assert_int_equal(pnm_ib_post_remote(dev, &wr), 0);
	}
	wr.rkey ^= 0x100;
	wr.wr_id = 99;
	assert_int_equal(pnm_ib_post_remote(dev, &wr), 0);
	pnm_ib_drain(dev);		/* frozen: returns with the work still queued */
	assert_true(dev_info(dev).frozen);
	assert_int_equal(dev_info(dev).queued, 4);
	assert_int_equal(pnm_ib_poll_cq(dev, wc, 16), 0);
	CHECK_DEV(dev);
	pnm_ib_device_freeze(dev, false);
	n = poll_all(dev, wc, 16);
	assert_int_equal(n, 4);
	for (i = 0; i < n; i++) {
		if (wc[i].wr_id == 99) {
			assert_int_equal(wc[i].status, -EACCES);
			assert_int_equal(wc[i].byte_len, 0);
			continue;
		}
		assert_int_equal(wc[i].status, 0);
		assert_int_equal(back[wc[i].wr_id - 10][0], 'a' + (int)(wc[i].wr_id - 10));
	}
	/* Bad posts. */
	wr.opcode = 7;
	assert_int_equal(pnm_ib_post_remote(dev, &wr), -EINVAL);
	wr.opcode = PNM_IB_WR_RDMA_WRITE;
	wr.size = 4;
	assert_int_equal(pnm_ib_post_remote(dev, &wr), -EINVAL);
	assert_int_equal(pnm_ib_poll_cq(dev, NULL, 1), -EINVAL);
	assert_int_equal(pnm_ib_poll_cq(dev, wc, 0), 0);

	/* Work still queued at destroy runs (and fails: no region left). */
	pnm_ib_device_freeze(dev, true);
	wr.size = sizeof(wr);
	wr.rkey = pnm_ib_mr_rkey(mr);
	wr.buf = data[0];
	assert_int_equal(pnm_ib_post_remote(dev, &wr), 0);
	assert_int_equal(pnm_ib_dereg_mr(mr), 0);
	assert_int_equal(pnm_ib_dealloc_pd(pd), 0);
	CHECK_ALL();
	assert_int_equal(pnm_ib_device_destroy(dev), 0);
	CHECK_ALL();
}

/* --- file-backed regions under a layout lease -------------------------------- */

/* A shared mapping of disk file @name, @pages long, in @t; *@fp its file. */
static unsigned long map_disk(struct task_struct *t, const char *name, unsigned long pages,
			      struct file **fp)
{
	struct file *f = test_open(PNM_FS_DISK, name);

	assert_int_equal(pnm_file_truncate(f, (int64_t)(pages * PG)), 0);
	*fp = f;
	return test_mmap_file(t, f, pages * PG, 0);
}

/* The driver answers the break: invalidated, later writes refused. */
static void test_lease_break_answered(void **state)
{
	struct task_struct *t = test_task_create("t");
	struct pnm_ib_device *dev = device("ib", 1);
	struct pnm_ib_pd *pd = pd_of(dev, t);
	struct file *f;
	unsigned long a = map_disk(t, "region", 4, &f);
	struct pnm_layout_lease_info li = { .size = sizeof(li) };
	struct pnm_ib_mr *mr;
	struct pnm_ib_mr_info mi;
	char back[8];
	uint32_t rkey;

	(void)state;
	assert_int_equal(pnm_user_write(t, a, "cpu", 3), 0);
	assert_int_equal(pnm_file_set_layout_lease(f, 5000), 0);
	assert_int_equal(reg(pd, a, 4 * PG, ALL, f, 0, &mr), 0);
	rkey = pnm_ib_mr_rkey(mr);
	assert_int_equal(pnm_file_get_layout_lease(f, &li), 0);
	assert_int_equal(li.tied, 1);
	assert_int_equal(pnm_ib_remote_write(dev, rkey, a, "dev-0", 5), 0);
	assert_int_equal(pnm_ib_remote_write(dev, rkey, a + 3 * PG, "dev-3", 5), 0);
	CHECK_DEV(dev);

	/* Truncate to two pages: the callback releases at once (dirty). */
	assert_int_equal(pnm_file_truncate(f, 2 * PG), 0);
	mi = mr_info(mr);
	assert_int_equal(mi.state, PNM_IB_MR_INVALID);
	assert_int_equal(mi.pages, 0);
	assert_int_equal(mi.breaks, 1);
	assert_int_equal(dev_info(dev).regions_invalidated, 1);
	assert_int_equal(pnm_misuse_count(PNM_MISUSE_REVOKED), 0);
	assert_int_equal(pnm_pin_registry_count(-1), 0);
	assert_int_equal(pnm_file_get_layout_lease(f, &li), -ENOENT);
	CHECK_DEV(dev);
	/* Later remote operations fail and are counted. */
	assert_int_equal(pnm_ib_remote_write(dev, rkey, a, "late", 4), -EIO);
	assert_int_equal(pnm_ib_remote_write(dev, rkey, a + PG, "late", 4), -EIO);
	assert_int_equal(pnm_ib_remote_read(dev, rkey, a, back, 4), -EIO);
	mi = mr_info(mr);
	assert_int_equal(mi.refused_writes, 2);
	assert_int_equal(mi.refused_reads, 1);
	assert_int_equal(dev_info(dev).refused_writes, 2);
	/* What the device wrote before the break reaches the disk. */
	assert_int_equal(pnm_file_fsync(f, 0, INT64_MAX, false), 0);
	assert_int_equal(test_host_pread(f, back, 5, 0), 5);
	assert_memory_equal(back, "dev-0", 5);
	assert_int_equal(pnm_file_size(f), 2 * PG);
	assert_int_equal(pnm_ib_dereg_mr(mr), 0);
	CHECK_DEV(dev);
	pnm_file_close(f);
	assert_int_equal(pnm_ib_dealloc_pd(pd), 0);
	assert_int_equal(pnm_ib_device_destroy(dev), 0);
	CHECK_ALL();
}

/* The holder ignores the break: revoked by force at the deadline. */
static void test_lease_break_ignored(void **state)
{
	struct task_struct *t = test_task_create("t");
	struct pnm_ib_device *dev = device("ib", 1);
	struct pnm_ib_pd *pd = pd_of(dev, t);
	struct file *f;
	unsigned long a = map_disk(t, "stuck", 2, &f);
	unsigned long misuse = pnm_misuse_count(PNM_MISUSE_REVOKED);
	struct pnm_ib_mr *mr;
	struct pnm_ib_mr_info mi;
	char back[8];
	uint32_t rkey;

	(void)state;
	assert_int_equal(pnm_user_write(t, a, "old", 3), 0);
	assert_int_equal(pnm_file_fsync(f, 0, INT64_MAX, false), 0);
	assert_int_equal(pnm_file_set_layout_lease(f, 30), 0);
	assert_int_equal(reg(pd, a, 2 * PG, ALL, f, PNM_IB_MR_IGNORE_BREAK, &mr), 0);
	rkey = pnm_ib_mr_rkey(mr);
	assert_int_equal(pnm_ib_remote_write(dev, rkey, a + PG, "kept", 4), 0);

	/* A punch of the first page breaks the lease; nobody answers. */
	assert_int_equal(pnm_file_fallocate(f, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, PG),
			 0);
	mi = mr_info(mr);
	assert_int_equal(mi.state, PNM_IB_MR_REVOKED);
	assert_int_equal(mi.breaks, 1);
	assert_int_equal(mi.pages, 2);			/* pinned until dereg */
	assert_int_equal(pnm_misuse_count(PNM_MISUSE_REVOKED), misuse + 1);
	assert_true(global_stat(PNM_NR_QUARANTINED) > 0);
	assert_int_equal(dev_info(dev).regions_revoked, 1);
	CHECK_DEV(dev);
	/* Cut off: no stale write reaches memory or the disk. */
	assert_int_equal(pnm_ib_remote_write(dev, rkey, a + PG, "STALE", 5), -EIO);
	assert_int_equal(pnm_ib_remote_write(dev, rkey, a, "STALE", 5), -EIO);
	assert_int_equal(mr_info(mr).refused_writes, 2);
	assert_int_equal(pnm_file_fsync(f, 0, INT64_MAX, false), 0);
	assert_true(test_host_pread(f, back, 5, PG) < 5 || memcmp(back, "STALE", 5) != 0);
	/* The late dereg ends the quarantine. */
	assert_int_equal(pnm_ib_dereg_mr(mr), 0);
	assert_int_equal(global_stat(PNM_NR_QUARANTINED), 0);
	assert_int_equal(pnm_pin_registry_count(-1), 0);
	assert_int_equal(pnm_file_fsync(f, 0, INT64_MAX, false), 0);
	assert_int_equal(test_host_pread(f, back, 4, PG), 4);
	assert_memory_equal(back, "kept", 4);		/* before the break */
	CHECK_DEV(dev);
	pnm_file_close(f);
	assert_int_equal(pnm_ib_dealloc_pd(pd), 0);
	assert_int_equal(pnm_ib_device_destroy(dev), 0);
	CHECK_ALL();
}

/* --- deregistration racing with the device ------------------------------------ */

struct racer {
	pthread_t thread;
	struct pnm_ib_device *dev;
	uint32_t rkey;
	unsigned long iova;
	atomic_t stop;
	atomic_long_t ok, refused, bad;
};

/* A remote peer writing as fast as it can; a success after a refusal, or
 * any other error, is a failure (keys are never reused). */
static void *race_run(void *arg)
{
	struct racer *r = arg;
	char buf[256];

	memset(buf, 'r', sizeof(buf));
	while (!atomic_read(&r->stop)) {
		int ret = pnm_ib_remote_write(r->dev, r->rkey, r->iova, buf, sizeof(buf));

		if (!ret && !atomic_long_read(&r->refused))
			atomic_long_inc(&r->ok);
		else if (ret == -EACCES)
			atomic_long_inc(&r->refused);
		else
			atomic_long_inc(&r->bad);
	}
	return NULL;
}

static void test_dereg_races_device(void **state)
{
	struct task_struct *t = test_task_create("t");
	struct pnm_ib_device *dev = device("ib", 1);
	struct pnm_ib_pd *pd = pd_of(dev, t);
	unsigned long a = test_mmap(t, 16 * PG, RW, PRIV);
	static char fill[16 * PAGE_SIZE], back[16 * PAGE_SIZE];
	struct racer r[3];
	int round, i;

	(void)state;
	memset(fill, 'x', sizeof(fill));
	for (round = 0; round < 20; round++) {
		struct pnm_ib_mr *mr = mr_of(pd, a, 16 * PG, ALL);

		for (i = 0; i < 3; i++) {
			memset(&r[i], 0, sizeof(r[i]));
			r[i].dev = dev;
			r[i].rkey = pnm_ib_mr_rkey(mr);
			r[i].iova = a + (unsigned long)i * 5 * PG;
			assert_int_equal(pthread_create(&r[i].thread, NULL, race_run, &r[i]), 0);
		}
		for (i = 0; i < 3; i++)
			while (atomic_long_read(&r[i].ok) < 10)
				sched_yield();
		assert_int_equal(pnm_ib_dereg_mr(mr), 0);
		/* From now on nothing reaches the pages: overwrite them, let
		 * every peer see a refusal, and look again. */
		assert_int_equal(pnm_user_write(t, a, fill, sizeof(fill)), 0);
		for (i = 0; i < 3; i++)
			while (atomic_long_read(&r[i].refused) < 5)
				sched_yield();
		for (i = 0; i < 3; i++) {
			atomic_set(&r[i].stop, 1);
			assert_int_equal(pthread_join(r[i].thread, NULL), 0);
			assert_int_equal(atomic_long_read(&r[i].bad), 0);
		}
		assert_int_equal(pnm_user_read(t, a, back, sizeof(back)), 0);
		assert_memory_equal(fill, back, sizeof(back));
		assert_int_equal(pnm_pin_registry_count(-1), 0);
	}
	CHECK_DEV(dev);
	assert_int_equal(pnm_ib_dealloc_pd(pd), 0);
	assert_int_equal(pnm_ib_device_destroy(dev), 0);
	CHECK_ALL();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		PNM_TEST(test_device_and_pd_errors),
		PNM_TEST(test_reg_remote_dereg),
		PNM_TEST(test_reg_errors),
		PNM_TEST(test_movable_migrated_first),
		PNM_TEST(test_fork_munmap_exit),
		PNM_TEST(test_posted_work),
		PNM_TEST(test_lease_break_answered),
		PNM_TEST(test_lease_break_ignored),
		PNM_TEST(test_dereg_races_device),
	};

	return cmocka_run_group_tests_name("rdma", tests, NULL, NULL);
}
