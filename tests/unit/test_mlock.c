// SPDX-License-Identifier: MIT
/*
 * test_mlock.c - the call sites that fault memory in and keep nothing
 * (group d of the 2019 mail: never converted to FOLL_PIN): mlock/munlock
 * (mlock.c) and MADV_POPULATE_READ/WRITE (madvise.c).  Each test checks
 * what got mapped (present, writable, dirty), that no reference or pin
 * was left behind (refcount = mappings, no FOLL_PIN accounting, nothing in
 * the pin registry), the VMA flags, and the error rules: mlock's hole is
 * -ENOMEM with nothing changed, POPULATE stops at a hole (-ENOMEM), refuses
 * a VMA without the permission or a pfnmap (-EINVAL) and reports a fault
 * beyond a file's end (-EFAULT).  mlock's effects: reclaim leaves locked
 * pages mapped, MADV_DONTNEED refuses them, a fork child does not inherit
 * the lock, migration still moves them.
 */
#include <string.h>

#include "test_util.h"
#include "pinmm_test_internal.h"

#define PG	PAGE_SIZE
#define RW	(PROT_READ | PROT_WRITE)
#define PRIV	(MAP_PRIVATE | MAP_ANONYMOUS)

/* Nothing but the mapping holds the page at @addr: one reference per
 * mapping, no pin accounting. */
static void assert_only_mapped(struct task_struct *t, unsigned long addr, int mappings)
{
	struct folio *folio = test_folio(t, addr);

	assert_int_equal(folio_ref_count(folio) - (folio_mapping(folio) ? 1 : 0), mappings);
	assert_false(folio_maybe_dma_pinned(folio));
}

static bool present(struct task_struct *t, unsigned long addr, bool *writable)
{
	unsigned long pfn;

	return pnm_translate(t, addr, &pfn, writable) == 0;
}

static void test_mlock_anon(void **state)
{
	struct task_struct *t = test_task_create("ml");
	unsigned long a = test_mmap(t, 8 * PG, RW, PRIV);
	long pins = global_stat(NR_FOLL_PIN_ACQUIRED);
	unsigned long registry = pnm_pin_registry_count(-1);
	bool w;

	(void)state;
	/* Unaligned start rounds down, the end up: pages 2..4. */
	assert_int_equal(pnm_mlock(t, a + 2 * PG + 100, 2 * PG), 0);
	assert_int_equal(t->mm->map_count, 3);
	assert_false(test_vma_flags(t->mm, a + PG) & VM_LOCKED);
	for (int i = 2; i <= 4; i++) {
		assert_true(test_vma_flags(t->mm, a + i * PG) & VM_LOCKED);
		/* Private writable: write faults, so COW is broken now. */
		assert_true(present(t, a + i * PG, &w) && w);
		assert_only_mapped(t, a + i * PG, 1);
	}
	assert_false(test_vma_flags(t->mm, a + 5 * PG) & VM_LOCKED);
	assert_false(present(t, a + 5 * PG, &w));
	assert_false(present(t, a + PG, &w));
	assert_int_equal(get_mm_counter(t->mm, MM_ANONPAGES), 3);
	assert_int_equal(global_stat(NR_FOLL_PIN_ACQUIRED), pins);
	assert_int_equal(pnm_pin_registry_count(-1), registry);
	CHECK_ALL();

	/* Locked pages refuse MADV_DONTNEED; munlock merges back. */
	assert_int_equal(pnm_madvise(t, a + 2 * PG, PG, MADV_DONTNEED), -EINVAL);
	assert_int_equal(pnm_munlock(t, a, 8 * PG), 0);
	assert_int_equal(t->mm->map_count, 1);
	assert_false(test_vma_flags(t->mm, a + 3 * PG) & VM_LOCKED);
	assert_int_equal(pnm_madvise(t, a + 2 * PG, PG, MADV_DONTNEED), 0);
	CHECK_ALL();
}

static void test_mlock_errors(void **state)
{
	struct task_struct *t = test_task_create("ml");
	unsigned long a = test_mmap(t, 4 * PG, RW, PRIV);
	bool w;

	(void)state;
	assert_int_equal(pnm_munmap(t, a + 2 * PG, PG), 0);
	/* A hole: -ENOMEM and nothing changed, nothing faulted. */
	assert_int_equal(pnm_mlock(t, a, 4 * PG), -ENOMEM);
	assert_int_equal(pnm_munlock(t, a, 4 * PG), -ENOMEM);
	assert_false(test_vma_flags(t->mm, a) & VM_LOCKED);
	assert_false(present(t, a, &w));
	assert_int_equal(t->mm->map_count, 2);
	assert_int_equal(pnm_mlock(t, a, ~0UL - PG), -EINVAL);
	assert_int_equal(pnm_mlock(t, a, 0), 0);
	assert_false(present(t, a, &w));
	/* munlock of an unlocked range is fine. */
	assert_int_equal(pnm_munlock(t, a, 2 * PG), 0);
	CHECK_ALL();
	pnm_task_exit(t);
	assert_int_equal(pnm_mlock(t, a, PG), -ESRCH);
	assert_int_equal(pnm_munlock(t, a, PG), -ESRCH);
}

/* A fork child does not inherit the lock; migration still moves locked
 * pages (compaction does in Linux). */
static void test_mlock_fork_migrate(void **state)
{
	struct task_struct *t = test_task_create("ml"), *c;
	unsigned long a = test_mmap(t, 2 * PG, RW, PRIV);
	unsigned long pfn;

	(void)state;
	assert_int_equal(pnm_mlock(t, a, 2 * PG), 0);
	test_write_byte(t, a, 0x61);
	c = test_fork(t);
	assert_true(test_vma_flags(t->mm, a) & VM_LOCKED);
	assert_false(test_vma_flags(c->mm, a) & VM_LOCKED);
	CHECK_ALL();
	pnm_task_exit(c);
	pnm_task_put(c);
	pfn = test_pfn(t, a);
	assert_int_equal(pnm_migrate_range(t, a, PG, PNM_ZONE_NORMAL), 1);
	assert_true(test_pfn(t, a) != pfn);
	assert_int_equal(test_read_byte(t, a), 0x61);
	assert_true(test_vma_flags(t->mm, a) & VM_LOCKED);
	CHECK_ALL();
}

/* A shared file mapping: read faults (nothing dirtied), and reclaim keeps
 * the locked pages mapped until munlock. */
static void test_mlock_file_reclaim(void **state)
{
	struct task_struct *t = test_task_create("ml");
	struct file *f = test_open(PNM_FS_DISK, "ml-file");
	char buf[2 * PG];
	long a;
	bool w;

	(void)state;
	memset(buf, 0x3c, sizeof(buf));
	assert_int_equal(pnm_file_write(f, buf, sizeof(buf), 0), (ssize_t)sizeof(buf));
	assert_int_equal(pnm_file_fsync(f, 0, INT64_MAX, false), 0);
	a = pnm_mmap(t, 0, 2 * PG, RW, MAP_SHARED, f, 0);
	assert_true(a > 0);
	assert_int_equal(pnm_mlock(t, (unsigned long)a, 2 * PG), 0);
	assert_true(present(t, (unsigned long)a + PG, &w));
	assert_false(w);			/* read fault: not dirtied */
	assert_false(folio_test_dirty(test_folio(t, (unsigned long)a + PG)));
	assert_only_mapped(t, (unsigned long)a + PG, 1);
	CHECK_ALL();

	(void)pnm_reclaim_pages(1000, true);
	assert_true(present(t, (unsigned long)a, &w));
	assert_true(present(t, (unsigned long)a + PG, &w));
	CHECK_ALL();
	assert_int_equal(pnm_munlock(t, (unsigned long)a, 2 * PG), 0);
	assert_true(pnm_reclaim_pages(1000, true) >= 2);
	assert_false(present(t, (unsigned long)a, &w));
	assert_int_equal(test_read_byte(t, (unsigned long)a + PG), 0x3c);
	assert_int_equal(pnm_munmap(t, (unsigned long)a, 2 * PG), 0);
	pnm_file_close(f);
	CHECK_ALL();
}

/* --- MADV_POPULATE_READ / WRITE ------------------------------------------ */

static void test_populate_anon(void **state)
{
	struct task_struct *t = test_task_create("pop"), *c;
	unsigned long a = test_mmap(t, 4 * PG, RW, PRIV), pfn;
	long pins = global_stat(NR_FOLL_PIN_ACQUIRED), cow;
	bool w;

	(void)state;
	/* READ: the zero page, read-only, no anon page allocated. */
	assert_int_equal(pnm_madvise(t, a, 2 * PG, MADV_POPULATE_READ), 0);
	assert_true(present(t, a + PG, &w));
	assert_false(w);
	assert_int_equal(test_pfn(t, a), test_pfn(t, a + PG));	/* both the zero page */
	assert_int_equal(get_mm_counter(t->mm, MM_ANONPAGES), 0);
	assert_false(present(t, a + 2 * PG, &w));
	/* WRITE: private pages, writable (the zero page replaced). */
	assert_int_equal(pnm_madvise(t, a, 4 * PG, MADV_POPULATE_WRITE), 0);
	for (int i = 0; i < 4; i++) {
		assert_true(present(t, a + i * PG, &w) && w);
		assert_only_mapped(t, a + i * PG, 1);
	}
	assert_int_equal(get_mm_counter(t->mm, MM_ANONPAGES), 4);
	assert_int_equal(global_stat(NR_FOLL_PIN_ACQUIRED), pins);
	CHECK_ALL();

	/* After fork, WRITE breaks COW up front: new pages for the parent. */
	test_write_byte(t, a, 0x77);
	c = test_fork(t);
	pfn = test_pfn(t, a);
	cow = global_stat(PNM_COW_COPY);
	assert_int_equal(pnm_madvise(t, a, 4 * PG, MADV_POPULATE_WRITE), 0);
	assert_int_equal(global_stat(PNM_COW_COPY), cow + 4);
	assert_true(test_pfn(t, a) != pfn);
	assert_int_equal(test_pfn(c, a), pfn);
	assert_int_equal(test_read_byte(t, a), 0x77);
	/* Populated already: a second call changes nothing. */
	assert_int_equal(pnm_madvise(t, a, 4 * PG, MADV_POPULATE_WRITE), 0);
	assert_int_equal(global_stat(PNM_COW_COPY), cow + 4);
	pnm_task_exit(c);
	pnm_task_put(c);
	CHECK_ALL();
}

static void test_populate_errors(void **state)
{
	struct task_struct *t = test_task_create("pop");
	unsigned long a = test_mmap(t, 4 * PG, RW, PRIV);
	unsigned long ro = test_mmap(t, PG, PROT_READ, PRIV);
	unsigned long none = test_mmap(t, PG, PROT_NONE, PRIV);
	long io = pnm_mmap_pfnmap(t, PG, RW, PNM_VM_IO | PNM_VM_PFNMAP);
	bool w;

	(void)state;
	assert_true(io > 0);
	assert_int_equal(pnm_madvise(t, ro, PG, MADV_POPULATE_WRITE), -EINVAL);
	assert_int_equal(pnm_madvise(t, ro, PG, MADV_POPULATE_READ), 0);
	assert_int_equal(pnm_madvise(t, none, PG, MADV_POPULATE_READ), -EINVAL);
	assert_int_equal(pnm_madvise(t, (unsigned long)io, PG, MADV_POPULATE_READ), -EINVAL);
	assert_false(present(t, none, &w));
	/* A hole: what comes before it is populated, then -ENOMEM. */
	assert_int_equal(pnm_munmap(t, a + 2 * PG, PG), 0);
	assert_int_equal(pnm_madvise(t, a, 4 * PG, MADV_POPULATE_WRITE), -ENOMEM);
	assert_true(present(t, a + PG, &w) && w);
	assert_false(present(t, a + 3 * PG, &w));
	assert_int_equal(pnm_madvise(t, a + 1, PG, MADV_POPULATE_READ), -EINVAL);
	CHECK_ALL();
}

/* Shared file: WRITE dirties through ->page_mkwrite; a page beyond the
 * file's end cannot be faulted: -EFAULT. */
static void test_populate_file(void **state)
{
	struct task_struct *t = test_task_create("pop");
	struct file *f = test_open(PNM_FS_DISK, "pop-file");
	char buf[PG];
	long a;
	bool w;

	(void)state;
	memset(buf, 0x21, sizeof(buf));
	assert_int_equal(pnm_file_write(f, buf, sizeof(buf), 0), (ssize_t)sizeof(buf));
	assert_int_equal(pnm_file_fsync(f, 0, INT64_MAX, false), 0);
	a = pnm_mmap(t, 0, 2 * PG, RW, MAP_SHARED, f, 0);
	assert_true(a > 0);
	assert_int_equal(pnm_madvise(t, (unsigned long)a, PG, MADV_POPULATE_READ), 0);
	assert_true(present(t, (unsigned long)a, &w));
	assert_false(w);
	assert_false(folio_test_dirty(test_folio(t, (unsigned long)a)));
	assert_int_equal(pnm_madvise(t, (unsigned long)a, PG, MADV_POPULATE_WRITE), 0);
	assert_true(present(t, (unsigned long)a, &w) && w);
	assert_true(folio_test_dirty(test_folio(t, (unsigned long)a)));
	assert_only_mapped(t, (unsigned long)a, 1);
	assert_int_equal(pnm_madvise(t, (unsigned long)a, 2 * PG, MADV_POPULATE_READ), -EFAULT);
	assert_int_equal(pnm_munmap(t, (unsigned long)a, 2 * PG), 0);
	pnm_file_close(f);
	CHECK_ALL();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_mlock_anon, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_mlock_errors, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_mlock_fork_migrate, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_mlock_file_reclaim, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_populate_anon, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_populate_errors, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_populate_file, pnm_test_setup, pnm_test_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
