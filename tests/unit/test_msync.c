// SPDX-License-Identifier: MIT
/*
 * test_msync.c - msync(2) (pnm_msync, mmap.c): argument checks in Linux's
 * order, MS_ASYNC doing nothing, MS_SYNC writing exactly the file range of
 * each shared file mapping in the range (and nothing of private or
 * anonymous ones), holes reported as -ENOMEM after the mapped parts were
 * synced, writeback errors returned once, MS_INVALIDATE on VM_LOCKED, and
 * mmap_lock being dropped around the fsync: checked from inside
 * writeback, and with threads (an mmap_lock writer queued while msync
 * writes back pages mapped in the same mm would otherwise stall it).
 */
#include <pthread.h>
#include <string.h>

#include "test_util.h"
#include "pinmm_test_internal.h"

#define PG	PAGE_SIZE
#define RW	(PROT_READ | PROT_WRITE)

/* A disk file of @npages pages mapped shared in @p at *@a (file offset
 * @off pages); the caller fputs *@fp. */
static void map_disk(struct task_struct *p, const char *name, int npages, unsigned long off,
		     struct file **fp, unsigned long *a)
{
	struct file *f = test_open(PNM_FS_DISK, name);
	long r;

	assert_int_equal(do_ftruncate(f, (loff_t)(npages + (int)off) * PG), 0);
	r = pnm_mm_mmap(p->mm, 0, (unsigned long)npages * PG, RW, MAP_SHARED, f, off * PG);
	assert_true(r > 0);
	*fp = f;
	*a = (unsigned long)r;
}

static void test_arguments(void **state)
{
	struct task_struct *p = test_task_create("p");
	unsigned long a = test_mmap(p, 4 * PG, RW, MAP_PRIVATE | MAP_ANONYMOUS);

	(void)state;
	assert_int_equal(pnm_mm_msync(p->mm, a, PG, 0x8), -EINVAL);
	assert_int_equal(pnm_mm_msync(p->mm, a, PG, MS_SYNC | MS_ASYNC), -EINVAL);
	assert_int_equal(pnm_mm_msync(p->mm, a + 1, PG, MS_SYNC), -EINVAL);
	assert_int_equal(pnm_mm_msync(NULL, a, PG, MS_SYNC), -EINVAL);
	assert_int_equal(pnm_mm_msync(p->mm, a, (size_t)-PG, MS_SYNC), -ENOMEM);
	assert_int_equal(pnm_mm_msync(p->mm, a, 0, MS_SYNC), 0);
	assert_int_equal(pnm_mm_msync(p->mm, a, 4 * PG, MS_SYNC), 0);	/* anon: nothing */
	assert_int_equal(pnm_mm_msync(p->mm, a, 1, MS_ASYNC), 0);
	assert_int_equal(pnm_mm_msync(p->mm, a, 4 * PG, MS_INVALIDATE), 0);
	/* Unmapped: -ENOMEM, before and after the mapping. */
	assert_int_equal(pnm_mm_msync(p->mm, a + 4 * PG, PG, MS_SYNC), -ENOMEM);
	assert_int_equal(pnm_mm_msync(p->mm, a - PG, 2 * PG, MS_SYNC), -ENOMEM);
	assert_int_equal(pnm_mm_msync(p->mm, a, 5 * PG, MS_SYNC), -ENOMEM);
	CHECK_ALL();
}

/* MS_SYNC writes the range, only the range; MS_ASYNC writes nothing. */
static void test_sync_range(void **state)
{
	struct task_struct *p = test_task_create("p");
	unsigned long a;
	struct file *f;

	(void)state;
	map_disk(p, "r", 4, 2, &f, &a);		/* file pages 2-5 */
	test_write_byte(p, a, 0x10);
	test_write_byte(p, a + 3 * PG, 0x13);
	assert_int_equal(pnm_mm_msync(p->mm, a, 4 * PG, MS_ASYNC), 0);
	assert_int_equal(test_host_byte(f, 2 * PG), 0);	/* zeroes of the ftruncate */
	assert_int_equal(pnm_mm_msync(p->mm, a, PG, MS_SYNC), 0);
	assert_int_equal(test_host_byte(f, 2 * PG), 0x10);		/* offset honoured */
	assert_int_not_equal(test_host_byte(f, 5 * PG), 0x13);	/* outside the range */
	assert_true(folio_test_dirty(test_folio(p, a + 3 * PG)));
	assert_int_equal(pnm_mm_msync(p->mm, a + 2 * PG, 2 * PG, MS_SYNC | MS_INVALIDATE), 0);
	assert_int_equal(test_host_byte(f, 5 * PG), 0x13);
	assert_false(folio_test_dirty(test_folio(p, a + 3 * PG)));
	fput(f);
	CHECK_ALL();
}

/* Several VMAs, a hole, a private file mapping: the shared ones are
 * synced, the private one is not, the hole makes it -ENOMEM. */
static void test_sync_across_vmas(void **state)
{
	struct task_struct *p = test_task_create("p");
	struct file *f = test_open(PNM_FS_DISK, "v"), *g = test_open(PNM_FS_DISK, "w");
	unsigned long base;
	long r;

	(void)state;
	assert_int_equal(do_ftruncate(f, 4 * PG), 0);
	assert_int_equal(do_ftruncate(g, 4 * PG), 0);
	/* Reserve 5 pages, then lay out: f shared | g private | hole | f shared. */
	base = test_mmap(p, 5 * PG, RW, MAP_PRIVATE | MAP_ANONYMOUS);
	r = pnm_mm_mmap(p->mm, base, PG, RW, MAP_SHARED | MAP_FIXED, f, 0);
	assert_int_equal(r, (long)base);
	r = pnm_mm_mmap(p->mm, base + PG, PG, RW, MAP_PRIVATE | MAP_FIXED, g, 0);
	assert_int_equal(r, (long)(base + PG));
	assert_int_equal(pnm_mm_munmap(p->mm, base + 2 * PG, PG), 0);
	r = pnm_mm_mmap(p->mm, base + 3 * PG, 2 * PG, RW, MAP_SHARED | MAP_FIXED, f, 2 * PG);
	assert_int_equal(r, (long)(base + 3 * PG));
	test_write_byte(p, base, 0x1);
	test_write_byte(p, base + PG, 0x2);		/* private copy */
	test_write_byte(p, base + 4 * PG, 0x3);		/* file page 3 */

	assert_int_equal(pnm_mm_msync(p->mm, base, 5 * PG, MS_SYNC), -ENOMEM);
	assert_int_equal(test_host_byte(f, 0), 0x1);
	assert_int_equal(test_host_byte(f, 3 * PG), 0x3);
	assert_int_equal(test_host_byte(g, 0), 0);	/* never written */
	fput(g);
	fput(f);
	CHECK_ALL();
}

/* A writeback error comes back once; VM_LOCKED with MS_INVALIDATE. */
static void test_errors(void **state)
{
	struct task_struct *p = test_task_create("p");
	struct vm_area_struct *vma;
	unsigned long a;
	struct file *f;

	(void)state;
	map_disk(p, "e", 2, 0, &f, &a);
	test_write_byte(p, a, 1);
	assert_int_equal(pnm_fs_inject_error(f, PNM_IO_WRITE, -EIO, 1), 0);
	assert_int_equal(pnm_mm_msync(p->mm, a, 2 * PG, MS_SYNC), -EIO);
	assert_int_equal(pnm_mm_msync(p->mm, a, 2 * PG, MS_SYNC), 0);

	mmap_write_lock(p->mm);
	vma = vma_lookup(p->mm, a);
	vma->vm_flags |= VM_LOCKED;
	mmap_write_unlock(p->mm);
	assert_int_equal(pnm_mm_msync(p->mm, a, PG, MS_INVALIDATE), -EBUSY);
	assert_int_equal(pnm_mm_msync(p->mm, a, PG, MS_SYNC), 0);
	mmap_write_lock(p->mm);
	vma->vm_flags &= ~VM_LOCKED;
	mmap_write_unlock(p->mm);
	fput(f);
	CHECK_ALL();
}

/* Writeback runs without the caller's mmap_lock. */
static struct mm_struct *trace_mm;
static atomic_t writebacks, writebacks_locked;

static void trace_wb(const struct pnm_trace_rec *rec, void *arg)
{
	(void)arg;
	if (rec->ev != PNM_TRACE_WRITEBACK)
		return;
	atomic_inc(&writebacks);
	if (rwsem_is_locked(&trace_mm->mmap_lock))
		atomic_inc(&writebacks_locked);
}

static void test_mmap_lock_dropped(void **state)
{
	struct task_struct *p = test_task_create("p");
	unsigned long a;
	struct file *f;

	(void)state;
	map_disk(p, "l", 3, 0, &f, &a);
	for (int i = 0; i < 3; i++)
		test_write_byte(p, a + (unsigned long)i * PG, 5);
	trace_mm = p->mm;
	atomic_set(&writebacks, 0);
	atomic_set(&writebacks_locked, 0);
	pnm_trace_set(trace_wb, NULL);
	assert_int_equal(pnm_mm_msync(p->mm, a, 3 * PG, MS_SYNC), 0);
	pnm_trace_set(NULL, NULL);
	assert_true(atomic_read(&writebacks) >= 1);
	assert_int_equal(atomic_read(&writebacks_locked), 0);
	fput(f);
	CHECK_ALL();
}

/* --- threads: msync vs an mmap_lock writer vs CPU writes ------------------------ */

#define ITERS	300

struct race {
	struct task_struct *p;
	unsigned long a;
	atomic_t stop, errors;
};

static void *msync_main(void *arg)
{
	struct race *r = arg;

	for (int i = 0; i < ITERS; i++)
		if (pnm_mm_msync(r->p->mm, r->a, 4 * PG, MS_SYNC))
			atomic_inc(&r->errors);
	atomic_set(&r->stop, 1);
	return NULL;
}

static void *mapper_main(void *arg)
{
	struct race *r = arg;

	while (!atomic_read(&r->stop)) {
		long b = pnm_mm_mmap(r->p->mm, 0, PG, RW, MAP_PRIVATE | MAP_ANONYMOUS, NULL, 0);

		if (b <= 0 || pnm_mm_munmap(r->p->mm, (unsigned long)b, PG))
			atomic_inc(&r->errors);
	}
	return NULL;
}

static void *writer_main(void *arg)
{
	struct race *r = arg;
	uint64_t rng = 0x9e3779b97f4a7c15ULL;

	while (!atomic_read(&r->stop)) {
		unsigned char v = (unsigned char)test_rand(&rng);
		unsigned long off = (test_rand(&rng) % 4) * PG + (test_rand(&rng) % 64);

		if (pnm_user_write(r->p, r->a + off, &v, 1))
			atomic_inc(&r->errors);
	}
	return NULL;
}

static void test_msync_races_mmap_writer(void **state)
{
	struct race r = { 0 };
	pthread_t th[3];
	struct file *f;

	(void)state;
	r.p = test_task_create("p");
	map_disk(r.p, "race", 4, 0, &f, &r.a);
	assert_int_equal(pthread_create(&th[0], NULL, msync_main, &r), 0);
	assert_int_equal(pthread_create(&th[1], NULL, mapper_main, &r), 0);
	assert_int_equal(pthread_create(&th[2], NULL, writer_main, &r), 0);
	for (int i = 0; i < 3; i++)
		pthread_join(th[i], NULL);
	assert_int_equal(atomic_read(&r.errors), 0);
	CHECK_ALL();
	/* Quiescent now: one more MS_SYNC leaves nothing dirty. */
	assert_int_equal(pnm_mm_msync(r.p->mm, r.a, 4 * PG, MS_SYNC), 0);
	for (int i = 0; i < 4; i++) {
		unsigned char v = test_read_byte(r.p, r.a + (unsigned long)i * PG);

		assert_int_equal(test_host_byte(f, (off_t)i * PG), v);
	}
	fput(f);
	CHECK_ALL();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_arguments, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_sync_range, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_sync_across_vmas, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_errors, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_mmap_lock_dropped, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_msync_races_mmap_writer, pnm_test_setup, pnm_test_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
