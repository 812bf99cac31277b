// SPDX-License-Identifier: MIT
/*
 * test_shmem.c - shmem objects (shmem.c): the page cache filled by faults
 * and its statistics, sharing between unrelated processes mapping the same
 * file, SIGBUS beyond the object's size, private (COW) mappings of a shmem
 * file, the object outliving its last fput while mapped, truncation at the
 * last reference (also with a folio still referenced elsewhere), and the
 * fault hook's contract.
 */
#include <string.h>

#include "test_util.h"
#include "pinmm_test_internal.h"

#define PG	PAGE_SIZE
#define RW	(PROT_READ | PROT_WRITE)

static void test_setup_and_fput(void **state)
{
	long files = global_stat(NR_FILE_PAGES);
	struct file *f = shmem_file_setup("obj", 10 * PG + 1);

	(void)state;
	assert_non_null(f);
	assert_int_equal(atomic_long_read(&f->f_count), 1);
	assert_int_equal(f->f_inode->i_size, 10 * PG + 1);
	assert_ptr_equal(f->f_mapping, f->f_inode->i_mapping);
	assert_int_equal(f->f_mode, FMODE_READ | FMODE_WRITE);
	assert_non_null(f->f_op->mmap);
	assert_int_equal(f->f_mapping->nrpages, 0);
	get_file(f);
	fput(f);
	assert_int_equal(atomic_long_read(&f->f_count), 1);
	fput(f);
	assert_int_equal(global_stat(NR_FILE_PAGES), files);
	CHECK_ALL();
}

/* Two processes map one file: they share its pages; the cache counts them. */
static void test_two_processes_share(void **state)
{
	struct task_struct *p = test_task_create("p"), *q = test_task_create("q");
	struct file *f = shmem_file_setup("obj", 8 * PG);
	long files = global_stat(NR_FILE_PAGES), shm = global_stat(NR_SHMEM);
	long mapped = global_stat(NR_FILE_MAPPED);
	long a, b;

	(void)state;
	a = pnm_mm_mmap(p->mm, 0, 8 * PG, RW, MAP_SHARED, f, 0);
	b = pnm_mm_mmap(q->mm, 0, 4 * PG, RW, MAP_SHARED, f, 4 * PG);
	assert_true(a > 0 && b > 0);
	assert_int_equal(atomic_long_read(&f->f_count), 3);
	test_write_byte(p, (unsigned long)a + 5 * PG + 9, 0x51);
	assert_int_equal(test_read_byte(q, (unsigned long)b + PG + 9), 0x51);
	assert_int_equal(test_pfn(p, (unsigned long)a + 5 * PG),
			 test_pfn(q, (unsigned long)b + PG));
	test_write_byte(q, (unsigned long)b, 0x52);
	assert_int_equal(test_read_byte(p, (unsigned long)a + 4 * PG), 0x52);
	assert_int_equal(f->f_mapping->nrpages, 2);
	assert_int_equal(global_stat(NR_FILE_PAGES), files + 2);
	assert_int_equal(global_stat(NR_SHMEM), shm + 2);
	assert_int_equal(global_stat(NR_FILE_MAPPED), mapped + 2);
	assert_int_equal(get_mm_counter(p->mm, MM_SHMEMPAGES), 2);
	CHECK_ALL();

	/* The cache holds one reference, each mapping one. */
	struct folio *folio = pfn_folio(test_pfn(p, (unsigned long)a + 5 * PG));

	assert_int_equal(folio_ref_count(folio), 3);
	assert_ptr_equal(folio->mapping, f->f_mapping);
	assert_int_equal(folio->index, 5);
	assert_false(folio_test_anon(folio));
	assert_false(folio_test_locked(folio));

	fput(f);			/* the VMAs keep it alive */
	pnm_task_exit(p);
	assert_int_equal(test_read_byte(q, (unsigned long)b + PG + 9), 0x51);
	assert_int_equal(global_stat(NR_FILE_PAGES), files + 2);
	assert_int_equal(pnm_mm_munmap(q->mm, (unsigned long)b, 4 * PG), 0);
	/* Last reference gone: cache truncated, frames back. */
	assert_int_equal(global_stat(NR_FILE_PAGES), files);
	assert_int_equal(global_stat(NR_SHMEM), shm);
	assert_int_equal(global_stat(NR_FILE_MAPPED), mapped);
	CHECK_ALL();
}

static void test_sigbus_beyond_size(void **state)
{
	struct task_struct *p = test_task_create("p");
	struct file *f = shmem_file_setup("small", 2 * PG + 100);
	unsigned char v;
	long a;

	(void)state;
	a = pnm_mm_mmap(p->mm, 0, 8 * PG, RW, MAP_SHARED, f, 0);
	assert_true(a > 0);
	fput(f);
	test_write_byte(p, (unsigned long)a + 2 * PG + 50, 1);	/* last, partial page */
	assert_int_equal(pnm_user_read(p, (unsigned long)a + 3 * PG, &v, 1), -EFAULT);
	assert_int_equal(pnm_user_write(p, (unsigned long)a + 7 * PG, &v, 1), -EFAULT);
	CHECK_ALL();
}

/* A private mapping reads the object and copies on write. */
static void test_private_mapping_cows(void **state)
{
	struct task_struct *p = test_task_create("p");
	struct file *f = shmem_file_setup("obj", 4 * PG);
	long shared, priv;
	unsigned long cache_pfn;

	(void)state;
	shared = pnm_mm_mmap(p->mm, 0, 4 * PG, RW, MAP_SHARED, f, 0);
	priv = pnm_mm_mmap(p->mm, 0, 4 * PG, RW, MAP_PRIVATE, f, 0);
	assert_true(shared > 0 && priv > 0);
	fput(f);
	test_write_byte(p, (unsigned long)shared + PG, 0x61);
	assert_int_equal(test_read_byte(p, (unsigned long)priv + PG), 0x61);
	cache_pfn = test_pfn(p, (unsigned long)shared + PG);
	assert_int_equal(test_pfn(p, (unsigned long)priv + PG), cache_pfn);
	test_write_byte(p, (unsigned long)priv + PG, 0x62);
	assert_int_not_equal(test_pfn(p, (unsigned long)priv + PG), cache_pfn);
	assert_int_equal(test_read_byte(p, (unsigned long)shared + PG), 0x61);
	/* Later shared writes are not seen through the private copy. */
	test_write_byte(p, (unsigned long)shared + PG, 0x63);
	assert_int_equal(test_read_byte(p, (unsigned long)priv + PG), 0x62);
	assert_int_equal(get_mm_counter(p->mm, MM_ANONPAGES), 1);
	CHECK_ALL();
}

/* A folio referenced elsewhere survives truncation, detached. */
static void test_truncate_with_extra_ref(void **state)
{
	struct task_struct *p = test_task_create("p");
	struct file *f = shmem_file_setup("obj", 4 * PG);
	struct folio *folio;
	unsigned long allocated;
	long a, files = global_stat(NR_FILE_PAGES);

	(void)state;
	a = pnm_mm_mmap(p->mm, 0, 4 * PG, RW, MAP_SHARED, f, 0);
	assert_true(a > 0);
	fput(f);
	test_write_byte(p, (unsigned long)a + 3 * PG, 0x71);
	folio = pfn_folio(test_pfn(p, (unsigned long)a + 3 * PG));
	folio_get(folio);
	assert_int_equal(pnm_mm_munmap(p->mm, (unsigned long)a, 4 * PG), 0);
	allocated = pnm_nr_allocated_frames();
	assert_int_equal(global_stat(NR_FILE_PAGES), files);
	assert_null(folio->mapping);
	assert_int_equal(folio_ref_count(folio), 1);
	assert_int_equal(((unsigned char *)folio_address(folio))[0], 0x71);
	folio_put(folio);
	assert_int_equal(pnm_nr_allocated_frames(), allocated - 1);
	CHECK_ALL();
}

/* The fault hook directly: locked folio, extra reference, same folio twice. */
static void test_fault_contract(void **state)
{
	struct task_struct *p = test_task_create("p");
	struct file *f = shmem_file_setup("obj", 4 * PG);
	struct vm_area_struct *vma;
	struct vm_fault vmf;
	struct folio *folio;
	vm_fault_t ret;
	long a;

	(void)state;
	a = pnm_mm_mmap(p->mm, 0, 4 * PG, RW, MAP_SHARED, f, 0);
	assert_true(a > 0);
	mmap_read_lock(p->mm);
	vma = vma_lookup(p->mm, (unsigned long)a);
	assert_string_equal(vma->vm_ops->name(vma), "[shmem]");
	memset(&vmf, 0, sizeof(vmf));
	vmf.vma = vma;
	vmf.address = (unsigned long)a + 2 * PG;
	vmf.pgoff = 2;
	ret = vma->vm_ops->fault(&vmf);
	assert_int_equal(ret, VM_FAULT_LOCKED);
	folio = page_folio(vmf.page);
	assert_true(folio_test_locked(folio));
	assert_int_equal(folio_ref_count(folio), 2);	/* cache + ours */
	assert_int_equal(folio->index, 2);
	folio_unlock(folio);
	ret = vma->vm_ops->fault(&vmf);
	assert_int_equal(ret, VM_FAULT_LOCKED);
	assert_ptr_equal(page_folio(vmf.page), folio);
	assert_int_equal(folio_ref_count(folio), 3);
	folio_unlock(folio);
	folio_put_refs(folio, 2);
	vmf.pgoff = 4;
	assert_int_equal(vma->vm_ops->fault(&vmf), VM_FAULT_SIGBUS);
	mmap_read_unlock(p->mm);
	assert_int_equal(f->f_mapping->nrpages, 1);
	fput(f);
	CHECK_ALL();
}

/* Page-cache allocation failure is VM_FAULT_OOM -> -ENOMEM, nothing leaks. */
static void test_fault_oom(void **state)
{
	struct task_struct *p = test_task_create("p");
	unsigned long a = test_mmap(p, 4 * PG, RW, MAP_SHARED | MAP_ANONYMOUS);
	unsigned char v = 1;
	int err;

	(void)state;
	test_write_byte(p, a, 1);	/* tables exist now */
	pnm_fail_nth_alloc(1);
	err = pnm_user_write(p, a + PG, &v, 1);
	pnm_fail_nth_alloc(0);
	assert_int_equal(err, -ENOMEM);
	CHECK_ALL();
	test_write_byte(p, a + PG, 2);
	assert_int_equal(test_read_byte(p, a + PG), 2);
	CHECK_ALL();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_setup_and_fput, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_two_processes_share, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_sigbus_beyond_size, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_private_mapping_cows, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_truncate_with_extra_ref, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_fault_contract, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_fault_oom, pnm_test_setup, pnm_test_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
