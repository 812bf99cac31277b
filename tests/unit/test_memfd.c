// SPDX-License-Identifier: MIT
/*
 * test_memfd.c - memfd_create() and its seals (pinmm/memfd.h, memfd.c,
 * shmem.c): flags and their errors (unknown bits, MFD_EXEC with
 * MFD_NOEXEC_SEAL, MFD_HUGETLB's size bits, a long name, vm.memfd_noexec's defaults
 * and its -EACCES), FD_CLOEXEC, the initial seals (F_SEAL_SEAL without
 * MFD_ALLOW_SEALING, F_SEAL_EXEC with MFD_NOEXEC_SEAL, F_SEAL_SEAL on a
 * named shmem file, -EINVAL on other filesystems), F_ADD_SEALS's errors
 * (unknown seals, a read-only opener, F_SEAL_SEAL), and what each seal
 * refuses: SHRINK and GROW (ftruncate, write past the end, fallocate past
 * it even with KEEP_SIZE), WRITE (write, punch, shared writable mmap,
 * mprotect of a shared read-only mapping; private mappings still copy
 * on write; -EBUSY while a writable shared mapping exists or a page is
 * pinned or referenced), FUTURE_WRITE (the same without -EBUSY: an older
 * writable mapping keeps writing), EXEC on an executable memfd (implies
 * the write seals), i_mmap_writable through mmap, munmap, split and fork,
 * a F_SEAL_WRITE racing mmap from threads, and the checker catching a
 * wrong count and an unknown seal.
 */
#include <pthread.h>
#include <string.h>

#include "gup_test.h"

#define SEAL_ALL_WRITE	(PNM_F_SEAL_WRITE | PNM_F_SEAL_FUTURE_WRITE)

static struct file *memfd(unsigned int flags)
{
	struct file *f = NULL;

	assert_int_equal(pnm_memfd_create("t", flags, &f), 0);
	assert_non_null(f);
	return f;
}

static int seals(struct file *f)
{
	return pnm_file_fcntl(f, PNM_F_GET_SEALS, 0);
}

static int add_seals(struct file *f, unsigned long s)
{
	return pnm_file_fcntl(f, PNM_F_ADD_SEALS, s);
}

static void test_create_flags(void **state)
{
	struct file *f = (struct file *)0x1, *g;
	char name[PNM_MFD_NAME_MAX + 2];

	(void)state;
	assert_int_equal(pnm_memfd_create("x", 0x20, &f), -EINVAL);
	assert_int_equal(pnm_memfd_create("x", 1U << 26, &f), -EINVAL);	/* size bits alone */
	assert_int_equal(pnm_memfd_create("x", PNM_MFD_EXEC | PNM_MFD_NOEXEC_SEAL, &f), -EINVAL);
	/* MFD_HUGETLB with a size no pool has (test_memfd_hugetlb.c). */
	assert_int_equal(pnm_memfd_create("x", PNM_MFD_HUGETLB | (23U << 26), &f), -ENODEV);
	assert_int_equal(pnm_memfd_create(NULL, 0, &f), -EFAULT);
	assert_int_equal(pnm_memfd_create("x", 0, NULL), -EINVAL);
	memset(name, 'n', sizeof(name));
	name[PNM_MFD_NAME_MAX + 1] = '\0';
	assert_int_equal(pnm_memfd_create(name, 0, &f), -EINVAL);
	assert_ptr_equal(f, (struct file *)0x1);
	name[PNM_MFD_NAME_MAX] = '\0';
	assert_int_equal(pnm_memfd_create(name, 0, &f), 0);
	assert_int_equal(pnm_file_fs(f), PNM_FS_SHMEM);
	assert_int_equal(pnm_file_size(f), 0);
	assert_string_equal(pnm_file_name(f), "");
	assert_int_equal(strncmp(pnm_inode_name(f->f_inode), "memfd:nnnn", 10), 0);
	/* Sealing off: F_SEAL_SEAL, adding is -EPERM. */
	assert_int_equal(seals(f), PNM_F_SEAL_SEAL);
	assert_int_equal(add_seals(f, PNM_F_SEAL_SHRINK), -EPERM);
	assert_int_equal(pnm_file_fcntl(f, PNM_F_GETFD, 0), 0);
	pnm_file_close(f);

	g = memfd(PNM_MFD_CLOEXEC | PNM_MFD_ALLOW_SEALING);
	assert_int_equal(pnm_file_fcntl(g, PNM_F_GETFD, 0), PNM_FD_CLOEXEC);
	assert_int_equal(pnm_file_fcntl(g, PNM_F_SETFD, 0), 0);
	assert_int_equal(pnm_file_fcntl(g, PNM_F_GETFD, 0), 0);
	assert_int_equal(pnm_file_fcntl(g, PNM_F_SETFD, PNM_FD_CLOEXEC), 0);
	assert_int_equal(pnm_file_fcntl(g, PNM_F_GETFD, 0), PNM_FD_CLOEXEC);
	assert_int_equal(seals(g), 0);
	assert_true(SHMEM_I(g->f_inode)->exec);
	assert_int_equal(pnm_file_fcntl(g, 999, 0), -EINVAL);
	assert_int_equal(pnm_file_fcntl(NULL, PNM_F_GET_SEALS, 0), -EBADF);
	pnm_file_close(g);

	/* MFD_NOEXEC_SEAL: sealable, F_SEAL_EXEC, not executable. */
	g = memfd(PNM_MFD_NOEXEC_SEAL);
	assert_int_equal(seals(g), PNM_F_SEAL_EXEC);
	assert_false(SHMEM_I(g->f_inode)->exec);
	assert_int_equal(add_seals(g, PNM_F_SEAL_SHRINK), 0);
	assert_int_equal(seals(g), PNM_F_SEAL_EXEC | PNM_F_SEAL_SHRINK);
	pnm_file_close(g);
	CHECK_ALL();
}

/* vm.memfd_noexec: what a memfd without MFD_EXEC/MFD_NOEXEC_SEAL is. */
static void test_noexec_sysctl(void **state)
{
	struct file *f = NULL;

	(void)state;
	assert_int_equal(pnm_sysctl_write("vm.memfd_noexec", "1"), 0);
	f = memfd(0);
	assert_int_equal(seals(f), PNM_F_SEAL_EXEC);
	assert_false(SHMEM_I(f->f_inode)->exec);
	pnm_file_close(f);
	f = memfd(PNM_MFD_EXEC);		/* asked for: still allowed */
	assert_int_equal(seals(f), PNM_F_SEAL_SEAL);
	pnm_file_close(f);
	assert_int_equal(pnm_sysctl_write("vm.memfd_noexec", "2"), 0);
	f = NULL;
	assert_int_equal(pnm_memfd_create("x", PNM_MFD_EXEC, &f), -EACCES);
	assert_int_equal(pnm_memfd_create("x", PNM_MFD_ALLOW_SEALING, &f), 0);
	assert_int_equal(seals(f), PNM_F_SEAL_EXEC);	/* NOEXEC_SEAL implied */
	pnm_file_close(f);
	CHECK_ALL();
}

static void test_seals_on_other_files(void **state)
{
	struct file *named = test_open(PNM_FS_SHMEM, "plain"), *disk = test_open(PNM_FS_DISK, "d");
	struct file *ro = NULL, *m;

	(void)state;
	/* A named shmem file: F_SEAL_SEAL for good. */
	assert_int_equal(seals(named), PNM_F_SEAL_SEAL);
	assert_int_equal(add_seals(named, PNM_F_SEAL_GROW), -EPERM);
	/* Other filesystems have no seals. */
	assert_int_equal(seals(disk), -EINVAL);
	assert_int_equal(add_seals(disk, PNM_F_SEAL_GROW), -EINVAL);
	assert_int_equal(pnm_file_open(PNM_FS_SHMEM, "plain", O_RDONLY, &ro), 0);
	/* Write access first (Linux's order): -EPERM even on a bad seal. */
	assert_int_equal(add_seals(ro, 0x40), -EPERM);
	m = memfd(PNM_MFD_ALLOW_SEALING);
	assert_int_equal(add_seals(m, 0x40), -EINVAL);
	assert_int_equal(add_seals(m, ~0UL), -EINVAL);
	assert_int_equal(seals(m), 0);
	/* Adding nothing, or again, is fine. */
	assert_int_equal(add_seals(m, 0), 0);
	assert_int_equal(add_seals(m, PNM_F_SEAL_GROW), 0);
	assert_int_equal(add_seals(m, PNM_F_SEAL_GROW), 0);
	assert_int_equal(add_seals(m, PNM_F_SEAL_SEAL), 0);
	assert_int_equal(add_seals(m, PNM_F_SEAL_SHRINK), -EPERM);
	assert_int_equal(seals(m), PNM_F_SEAL_GROW | PNM_F_SEAL_SEAL);
	pnm_file_close(m);
	pnm_file_close(ro);
	fput(named);
	fput(disk);
	CHECK_ALL();
}

static void test_shrink_grow(void **state)
{
	struct file *f = memfd(PNM_MFD_ALLOW_SEALING);
	char buf[8] = "abcdefg";

	(void)state;
	assert_int_equal(pnm_file_truncate(f, 4 * PG), 0);
	assert_int_equal(add_seals(f, PNM_F_SEAL_SHRINK), 0);
	assert_int_equal(pnm_file_truncate(f, 2 * PG), -EPERM);
	assert_int_equal(pnm_file_truncate(f, 4 * PG), 0);	/* same size */
	assert_int_equal(pnm_file_truncate(f, 6 * PG), 0);
	assert_int_equal(pnm_file_fallocate(f, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, PG),
			 0);					/* a hole is no shrink */
	assert_int_equal(add_seals(f, PNM_F_SEAL_GROW), 0);
	assert_int_equal(pnm_file_truncate(f, 7 * PG), -EPERM);
	assert_int_equal(pnm_file_size(f), 6 * PG);
	/* Writes up to the end go, past it not; a write across it is
	 * short: the part in the file's last page (the write's first
	 * chunk) goes, the next one would grow the file. */
	assert_int_equal(pnm_file_write(f, buf, 8, 6 * PG - 8), 8);
	assert_int_equal(pnm_file_write(f, buf, 8, 6 * PG), -EPERM);
	assert_int_equal(pnm_file_write(f, buf, 8, 6 * PG - 4), 4);
	assert_int_equal(pnm_file_size(f), 6 * PG);

	assert_int_equal(pnm_file_fallocate(f, 0, 5 * PG, 2 * PG), -EPERM);
	assert_int_equal(pnm_file_fallocate(f, FALLOC_FL_KEEP_SIZE, 5 * PG, 2 * PG), -EPERM);
	assert_int_equal(pnm_file_fallocate(f, 0, 0, 6 * PG), 0);
	assert_int_equal(pnm_file_size(f), 6 * PG);
	CHECK_ALL();
	pnm_file_close(f);
}

static void test_write_seal(void **state)
{
	struct task_struct *t = gt_task("t");
	struct file *f = memfd(PNM_MFD_ALLOW_SEALING);
	long shared, priv, ro;
	char buf[8] = "written";

	(void)state;
	assert_int_equal(pnm_file_truncate(f, 4 * PG), 0);
	shared = pnm_mmap(t, 0, 4 * PG, RW, MAP_SHARED, f, 0);
	assert_true(shared > 0);
	gt_write(t, (unsigned long)shared, 0x5a, PG);
	assert_int_equal(atomic_read(&f->f_mapping->i_mmap_writable), 1);
	/* A shared mapping that may write (even read-only now): -EBUSY. */
	assert_int_equal(pnm_mprotect(t, (unsigned long)shared, 4 * PG, PROT_READ), 0);
	assert_int_equal(add_seals(f, PNM_F_SEAL_WRITE), -EBUSY);
	assert_int_equal(seals(f), 0);
	CHECK_ALL();
	assert_int_equal(pnm_munmap(t, (unsigned long)shared, 4 * PG), 0);
	assert_int_equal(atomic_read(&f->f_mapping->i_mmap_writable), 0);

	/* A private writable mapping does not stand in the way. */
	priv = pnm_mmap(t, 0, 4 * PG, RW, MAP_PRIVATE, f, 0);
	assert_true(priv > 0);
	assert_int_equal(add_seals(f, PNM_F_SEAL_WRITE), 0);
	assert_int_equal(atomic_read(&f->f_mapping->i_mmap_writable), -1);
	assert_true(SHMEM_I(f->f_inode)->write_denied);
	CHECK_ALL();

	/* Everything that would write is refused now. */
	assert_int_equal(pnm_file_write(f, buf, 8, 0), -EPERM);
	assert_int_equal(pnm_file_fallocate(f, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, PG),
			 -EPERM);
	assert_int_equal(pnm_mmap(t, 0, PG, RW, MAP_SHARED, f, 0), -EPERM);
	ro = pnm_mmap(t, 0, 2 * PG, PROT_READ, MAP_SHARED, f, 0);
	assert_true(ro > 0);
	assert_false(test_vma_flags(t->mm, (unsigned long)ro) & VM_MAYWRITE);
	assert_int_equal(pnm_mprotect(t, (unsigned long)ro, 2 * PG, RW), -EACCES);
	assert_int_equal(test_read_byte(t, (unsigned long)ro), 0x5a);
	assert_int_equal(pnm_user_write(t, (unsigned long)ro, buf, 1), -EFAULT);
	/* Private mappings still copy on write; the file stays as it was. */
	gt_write(t, (unsigned long)priv, 0x77, 1);
	assert_int_equal(test_read_byte(t, (unsigned long)priv), 0x77);
	assert_int_equal(test_read_byte(t, (unsigned long)ro), 0x5a);
	/* A forced write through the read-only shared view: -EFAULT. */
	{
		struct page *page;

		assert_int_equal(gt_get_remote(t->mm, (unsigned long)ro, 1,
					       FOLL_WRITE | FOLL_FORCE, &page, NULL), -EFAULT);
	}
	/* Reading, shrinking and growing are still allowed. */
	assert_int_equal(pnm_file_read(f, buf, 1, 0), 1);
	assert_int_equal(pnm_file_truncate(f, 8 * PG), 0);
	CHECK_ALL();
	pnm_file_close(f);
}

/* A page with references beyond the cache's and its mappings': -EBUSY. */
static void test_write_seal_pinned(void **state)
{
	struct task_struct *t = gt_task("t");
	struct file *f = memfd(PNM_MFD_ALLOW_SEALING);
	struct page *page;
	long priv;

	(void)state;
	assert_int_equal(pnm_file_truncate(f, 2 * PG), 0);
	assert_int_equal(pnm_file_write(f, "x", 1, PG), 1);
	/* A short-term R/O pin of the cache page through a private mapping
	 * (no unshare for short-term pins). */
	priv = pnm_mmap(t, 0, 2 * PG, PROT_READ, MAP_PRIVATE, f, 0);
	assert_true(priv > 0);
	assert_int_equal(gt_pin_fast(t, (unsigned long)priv + PG, 1, 0, &page), 1);
	assert_false(folio_test_anon(page_folio(page)));
	assert_int_equal(add_seals(f, PNM_F_SEAL_WRITE), -EBUSY);
	/* Nothing changed: writes still go, mappings may be writable. */
	assert_int_equal(seals(f), 0);
	assert_int_equal(atomic_read(&f->f_mapping->i_mmap_writable), 0);
	assert_false(SHMEM_I(f->f_inode)->write_denied);
	assert_int_equal(pnm_file_write(f, "y", 1, 0), 1);
	CHECK_ALL();
	unpin_user_page(page);
	/* A plain reference does as much (Linux cannot tell them apart). */
	assert_int_equal(gt_get_fast(t, (unsigned long)priv + PG, 1, 0, &page), 1);
	assert_int_equal(add_seals(f, PNM_F_SEAL_WRITE), -EBUSY);
	put_page(page);
	/* Mapped, not pinned: fine. */
	assert_int_equal(test_read_byte(t, (unsigned long)priv), 'y');
	assert_int_equal(add_seals(f, PNM_F_SEAL_WRITE), 0);
	CHECK_ALL();
	pnm_file_close(f);
}

static void test_future_write(void **state)
{
	struct task_struct *t = gt_task("t");
	struct file *f = memfd(PNM_MFD_ALLOW_SEALING);
	long old;

	(void)state;
	assert_int_equal(pnm_file_truncate(f, PG), 0);
	old = pnm_mmap(t, 0, PG, RW, MAP_SHARED, f, 0);
	assert_true(old > 0);
	assert_int_equal(add_seals(f, PNM_F_SEAL_FUTURE_WRITE), 0);	/* no -EBUSY */
	/* The old writable mapping keeps writing; new ones cannot. */
	gt_write(t, (unsigned long)old, 0x31, 8);
	assert_int_equal(pnm_mmap(t, 0, PG, RW, MAP_SHARED, f, 0), -EPERM);
	assert_int_equal(pnm_file_write(f, "z", 1, 0), -EPERM);
	assert_false(SHMEM_I(f->f_inode)->write_denied);
	assert_int_equal(atomic_read(&f->f_mapping->i_mmap_writable), 1);
	/* F_SEAL_WRITE on top: the old mapping stands in the way. */
	assert_int_equal(add_seals(f, PNM_F_SEAL_WRITE), -EBUSY);
	assert_int_equal(pnm_munmap(t, (unsigned long)old, PG), 0);
	assert_int_equal(add_seals(f, PNM_F_SEAL_WRITE), 0);
	CHECK_ALL();
	pnm_file_close(f);
}

/* F_SEAL_EXEC on an executable memfd adds the write seals -- without
 * F_SEAL_WRITE's checks, as Linux. */
static void test_exec_seal(void **state)
{
	struct task_struct *t = gt_task("t");
	struct file *f = memfd(PNM_MFD_ALLOW_SEALING | PNM_MFD_EXEC);
	long m;

	(void)state;
	assert_int_equal(pnm_file_truncate(f, PG), 0);
	m = pnm_mmap(t, 0, PG, RW, MAP_SHARED, f, 0);
	assert_true(m > 0);
	assert_int_equal(add_seals(f, PNM_F_SEAL_EXEC), 0);
	assert_int_equal(seals(f), PNM_F_SEAL_EXEC | PNM_F_SEAL_SHRINK | PNM_F_SEAL_GROW |
				   PNM_F_SEAL_WRITE | PNM_F_SEAL_FUTURE_WRITE);
	assert_false(SHMEM_I(f->f_inode)->write_denied);
	gt_write(t, (unsigned long)m, 0x44, 1);		/* still writable */
	assert_int_equal(pnm_file_write(f, "z", 1, 0), -EPERM);
	assert_int_equal(pnm_file_truncate(f, 0), -EPERM);
	CHECK_ALL();
	pnm_file_close(f);

	/* On a non-executable one it is only itself. */
	f = memfd(PNM_MFD_NOEXEC_SEAL);
	assert_int_equal(add_seals(f, PNM_F_SEAL_EXEC), 0);
	assert_int_equal(seals(f), PNM_F_SEAL_EXEC);
	pnm_file_close(f);
}

/* i_mmap_writable follows every writable shared VMA: split, fork, exit. */
static void test_writable_count(void **state)
{
	struct task_struct *t = gt_task("t"), *c;
	struct file *f = memfd(PNM_MFD_ALLOW_SEALING);
	long m;

	(void)state;
	assert_int_equal(pnm_file_truncate(f, 4 * PG), 0);
	m = pnm_mmap(t, 0, 4 * PG, RW, MAP_SHARED, f, 0);
	assert_true(m > 0);
	assert_int_equal(pnm_mprotect(t, (unsigned long)m + PG, PG, PROT_READ), 0);
	assert_int_equal(atomic_read(&f->f_mapping->i_mmap_writable), 3);
	c = gt_fork(t);
	assert_int_equal(atomic_read(&f->f_mapping->i_mmap_writable), 6);
	CHECK_ALL();
	pnm_task_exit(c);
	assert_int_equal(atomic_read(&f->f_mapping->i_mmap_writable), 3);
	assert_int_equal(pnm_munmap(t, (unsigned long)m, PG), 0);
	assert_int_equal(atomic_read(&f->f_mapping->i_mmap_writable), 2);
	assert_int_equal(pnm_mprotect(t, (unsigned long)m + PG, 3 * PG, RW), 0);
	assert_int_equal(atomic_read(&f->f_mapping->i_mmap_writable), 1);	/* merged */
	CHECK_ALL();
	pnm_task_exit(t);
	assert_int_equal(atomic_read(&f->f_mapping->i_mmap_writable), 0);
	assert_int_equal(add_seals(f, PNM_F_SEAL_WRITE), 0);
	pnm_file_close(f);
	CHECK_ALL();
}

/* The checker sees a wrong count and an unknown seal. */
static void test_checker(void **state)
{
	struct file *f = memfd(PNM_MFD_ALLOW_SEALING);

	(void)state;
	CHECK_ALL();
	atomic_inc(&f->f_mapping->i_mmap_writable);
	assert_false(pnm_check_system());
	assert_non_null(strstr(pnm_check_error(), "i_mmap_writable"));
	atomic_dec(&f->f_mapping->i_mmap_writable);
	SHMEM_I(f->f_inode)->seals = 0x400;
	assert_false(pnm_check_system());
	assert_non_null(strstr(pnm_check_error(), "unknown seals"));
	SHMEM_I(f->f_inode)->seals = 0;
	CHECK_ALL();
	pnm_file_close(f);
}

/* F_SEAL_WRITE against threads mapping the file shared and writable:
 * either the seal wins (their mmaps fail with -EPERM from then on) or a
 * mapping does (the seal fails with -EBUSY); never both.  Bounded: each
 * mapper makes MAPPER_ROUNDS attempts. */
#define MAPPER_ROUNDS	20000

struct race {
	struct task_struct *t;
	struct file *f;
	atomic_t sealed, mapped_after, running, mapped;
};

static void *mapper_main(void *arg)
{
	struct race *r = arg;

	for (int i = 0; i < MAPPER_ROUNDS; i++) {
		bool sealed = atomic_read(&r->sealed);
		long m = pnm_mmap(r->t, 0, PG, RW, MAP_SHARED, r->f, 0);

		if (m > 0) {
			atomic_inc(&r->mapped);
			if (sealed)
				atomic_inc(&r->mapped_after);
			pnm_munmap(r->t, (unsigned long)m, PG);
			/* Leave the sealer windows with nothing mapped. */
			if (i & 1)
				sched_yield();
		} else if (m != -EPERM) {
			atomic_inc(&r->mapped_after);	/* no other error allowed */
		}
	}
	atomic_dec(&r->running);
	return NULL;
}

static void test_seal_races_mmap(void **state)
{
	struct race r = { .t = gt_task("t") };
	pthread_t th[2];
	int i, busy = 0, err;

	(void)state;
	r.f = memfd(PNM_MFD_ALLOW_SEALING);
	assert_int_equal(pnm_file_truncate(r.f, PG), 0);
	atomic_set(&r.running, 2);
	for (i = 0; i < 2; i++)
		assert_int_equal(pthread_create(&th[i], NULL, mapper_main, &r), 0);
	while ((err = add_seals(r.f, PNM_F_SEAL_WRITE)) == -EBUSY && atomic_read(&r.running))
		busy++;
	if (err == -EBUSY)	/* the mappers finished first: nothing is mapped */
		err = add_seals(r.f, PNM_F_SEAL_WRITE);
	assert_int_equal(err, 0);
	atomic_set(&r.sealed, 1);
	for (i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	print_message("F_SEAL_WRITE: -EBUSY %d times before it went in, %d mappings made\n",
		      busy, atomic_read(&r.mapped));
	assert_int_equal(atomic_read(&r.mapped_after), 0);
	assert_int_equal(atomic_read(&r.f->f_mapping->i_mmap_writable), -1);
	CHECK_ALL();
	pnm_file_close(r.f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_create_flags, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_noexec_sysctl, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_seals_on_other_files, pnm_test_setup,
						pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_shrink_grow, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_write_seal, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_write_seal_pinned, pnm_test_setup,
						pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_future_write, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_exec_seal, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_writable_count, pnm_test_setup,
						pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_checker, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_seal_races_mmap, pnm_test_setup,
						pnm_test_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
