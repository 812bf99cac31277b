// SPDX-License-Identifier: MIT
/*
 * test_memfd_hugetlb.c - memfd_create(MFD_HUGETLB) (memfd.c, fs/
 * hugetlbfs.c): a hugetlbfs file of the pool's pages (MFD_HUGE_2MB or
 * the default, or MFD_HUGE_1GB; a size without a pool: -ENODEV), sized in huge pages,
 * mapped shared and faulted from the pool; Linux's seal rules for it:
 * F_SEAL_SEAL unless MFD_ALLOW_SEALING, SHRINK and GROW refusing
 * ftruncate and fallocate past the end, WRITE refusing writable shared
 * mappings and hole punches, -EBUSY while a writable shared mapping
 * exists or a page is pinned (a pin taken through a mapping that is gone
 * since), private mappings still copying on write; MFD_NOEXEC_SEAL.
 */
#include <fcntl.h>
#include <string.h>

#include "gup_test.h"

#define HSZ	PNM_HUGETLB_2M

static struct file *hmemfd(unsigned int flags)
{
	struct file *f = NULL;

	assert_int_equal(pnm_memfd_create("h", PNM_MFD_HUGETLB | flags, &f), 0);
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

static void free_pages_is(unsigned long n)
{
	struct pnm_hugetlb_info hi = { .size = sizeof(hi) };

	assert_int_equal(pnm_hugetlb_get_info(HSZ, &hi), 0);
	assert_int_equal(hi.free, n);
}

static void test_create(void **state)
{
	struct file *f = (struct file *)0x1, *g;
	struct task_struct *t = gt_task("t");
	long a;

	(void)state;
	assert_int_equal(pnm_hugetlb_set_pages(HSZ, 4), 4);
	/* No pool of that size (4 MiB pages): -ENODEV. */
	assert_int_equal(pnm_memfd_create("x", PNM_MFD_HUGETLB | (22U << 26), &f), -ENODEV);
	assert_ptr_equal(f, (struct file *)0x1);
	/* Size bits without MFD_HUGETLB: -EINVAL. */
	assert_int_equal(pnm_memfd_create("x", PNM_MFD_HUGE_2MB, &f), -EINVAL);
	/* 1 GiB pages: a file of the 1 GiB hugetlbfs. */
	assert_int_equal(pnm_memfd_create("x", PNM_MFD_HUGETLB | PNM_MFD_HUGE_1GB, &f), 0);
	assert_int_equal(pnm_file_fs(f), PNM_FS_HUGETLBFS_1G);
	pnm_file_close(f);

	f = hmemfd(PNM_MFD_HUGE_2MB);
	assert_int_equal(pnm_file_fs(f), PNM_FS_HUGETLBFS);
	assert_int_equal(strncmp(pnm_inode_name(f->f_inode), "memfd:h", 7), 0);
	/* Sealing off by default: F_SEAL_SEAL, adding is -EPERM. */
	assert_int_equal(seals(f), PNM_F_SEAL_SEAL);
	assert_int_equal(add_seals(f, PNM_F_SEAL_GROW), -EPERM);
	/* Sized in huge pages; no write(2). */
	assert_int_equal(pnm_file_truncate(f, HSZ + PG), -EINVAL);
	assert_int_equal(pnm_file_truncate(f, 2 * HSZ), 0);
	assert_int_equal(pnm_file_write(f, "x", 1, 0), -EINVAL);
	a = pnm_mmap(t, 0, 2 * HSZ, RW, MAP_SHARED, f, 0);
	assert_true(a > 0);
	gt_write(t, (unsigned long)a + HSZ + 5, 0x5a, 1);
	free_pages_is(3);
	assert_true(folio_test_hugetlb(test_folio(t, (unsigned long)a + HSZ)));
	CHECK_ALL();
	pnm_file_close(f);
	assert_int_equal(pnm_munmap(t, (unsigned long)a, 2 * HSZ), 0);
	free_pages_is(4);

	/* MFD_NOEXEC_SEAL: F_SEAL_EXEC, sealable. */
	g = hmemfd(PNM_MFD_NOEXEC_SEAL);
	assert_int_equal(seals(g), PNM_F_SEAL_EXEC);
	assert_int_equal(add_seals(g, PNM_F_SEAL_SHRINK), 0);
	CHECK_ALL();
	pnm_file_close(g);
}

/* SHRINK and GROW: ftruncate and fallocate past the end. */
static void test_size_seals(void **state)
{
	struct file *f;

	(void)state;
	assert_int_equal(pnm_hugetlb_set_pages(HSZ, 4), 4);
	f = hmemfd(PNM_MFD_ALLOW_SEALING);
	assert_int_equal(seals(f), 0);
	assert_int_equal(pnm_file_truncate(f, 2 * HSZ), 0);
	assert_int_equal(add_seals(f, PNM_F_SEAL_GROW), 0);
	assert_int_equal(pnm_file_truncate(f, 3 * HSZ), -EPERM);
	assert_int_equal(pnm_file_fallocate(f, 0, HSZ, 2 * HSZ), -EPERM);
	free_pages_is(4);
	/* Inside the size: fine. */
	assert_int_equal(pnm_file_fallocate(f, 0, 0, 2 * HSZ), 0);
	free_pages_is(2);
	assert_int_equal(pnm_file_truncate(f, HSZ), 0);	/* shrinking still goes */
	free_pages_is(3);
	assert_int_equal(add_seals(f, PNM_F_SEAL_SHRINK), 0);
	assert_int_equal(pnm_file_truncate(f, 0), -EPERM);
	assert_int_equal(pnm_file_size(f), HSZ);
	assert_int_equal(seals(f), PNM_F_SEAL_GROW | PNM_F_SEAL_SHRINK);
	CHECK_ALL();
	pnm_file_close(f);
	free_pages_is(4);
}

/* WRITE: writable shared mappings, pins, hole punches. */
static void test_write_seal(void **state)
{
	struct task_struct *t = gt_task("t");
	struct file *f;
	struct page *page;
	long a, p;

	(void)state;
	assert_int_equal(pnm_hugetlb_set_pages(HSZ, 4), 4);
	f = hmemfd(PNM_MFD_ALLOW_SEALING);
	assert_int_equal(pnm_file_truncate(f, 2 * HSZ), 0);
	a = pnm_mmap(t, 0, 2 * HSZ, RW, MAP_SHARED, f, 0);
	assert_true(a > 0);
	gt_write(t, (unsigned long)a + 3 * PG, 0x11, 1);
	/* A writable shared mapping: -EBUSY. */
	assert_int_equal(add_seals(f, PNM_F_SEAL_WRITE), -EBUSY);
	/* A pin taken through it, the mapping gone since: still -EBUSY. */
	assert_int_equal(gt_pin_fast(t, (unsigned long)a + 3 * PG, 1, FOLL_WRITE | FOLL_LONGTERM,
				     &page), 1);
	assert_int_equal(pnm_munmap(t, (unsigned long)a, 2 * HSZ), 0);
	assert_int_equal(add_seals(f, PNM_F_SEAL_WRITE), -EBUSY);
	assert_int_equal(seals(f), 0);
	assert_int_equal(atomic_read(&f->f_mapping->i_mmap_writable), 0);
	CHECK_ALL();
	unpin_user_page(page);
	assert_int_equal(add_seals(f, PNM_F_SEAL_WRITE), 0);
	assert_int_equal(atomic_read(&f->f_mapping->i_mmap_writable), -1);
	CHECK_ALL();

	/* No writable shared mapping, no hole punch; reading is fine, and a
	 * private mapping copies on write. */
	assert_int_equal(pnm_mmap(t, 0, HSZ, RW, MAP_SHARED, f, 0), -EPERM);
	assert_int_equal(pnm_file_fallocate(f, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
					    0, HSZ), -EPERM);
	a = pnm_mmap(t, 0, HSZ, PROT_READ, MAP_SHARED, f, 0);
	assert_true(a > 0);
	assert_int_equal(test_read_byte(t, (unsigned long)a + 3 * PG), 0x11);
	assert_int_equal(pnm_mprotect(t, (unsigned long)a, HSZ, RW), -EACCES);
	p = pnm_mmap(t, 0, HSZ, RW, MAP_PRIVATE, f, 0);
	assert_true(p > 0);
	gt_write(t, (unsigned long)p + 3 * PG, 0x22, 1);
	assert_int_equal(test_read_byte(t, (unsigned long)a + 3 * PG), 0x11);
	CHECK_ALL();
	pnm_file_close(f);
	assert_int_equal(pnm_munmap(t, (unsigned long)a, HSZ), 0);
	assert_int_equal(pnm_munmap(t, (unsigned long)p, HSZ), 0);
	free_pages_is(4);
	CHECK_ALL();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_create, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_size_seals, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_write_seal, pnm_test_setup, pnm_test_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
