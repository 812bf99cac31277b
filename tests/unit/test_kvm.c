// SPDX-License-Identifier: MIT
/*
 * test_kvm.c - the secondary MMU user (src/drivers/kvm.c, pinmm/kvm.h):
 * a VM's shadow page table over a process's memory, kept coherent by MMU
 * notifiers with plain references and no pins.  After every step the
 * VM's checker (each shadow entry maps the frame the process maps there,
 * writable only where the process's entry is) and the system checker run.
 * Covered: guest accesses in both directions, read faults (zero page) and
 * write faults (COW), munmap and remapping, MADV_DONTNEED, fork (write
 * protection, then a COW copy for the parent), mprotect, migration (the
 * shadow's references do not block it), a THP split, a shared file
 * (dirtied by the guest's write, write-protected by writeback, truncated),
 * the process's exit (release), read-only slots, slot errors and
 * replacement, and a checker that fails when the primary changes behind
 * the notifier's back.
 */
#include <string.h>

#include "test_util.h"
#include "pinmm_test_internal.h"
#include <pinmm/kvm.h>

#define PG	PAGE_SIZE
#define RW	(PROT_READ | PROT_WRITE)
#define PRIV	(MAP_PRIVATE | MAP_ANONYMOUS)

static void kvm_checked(struct pnm_kvm *kvm)
{
	CHECK_OBJ(pnm_kvm_check, kvm);
}

/* A test's end: the VM checked and destroyed, the model checked. */
static void vm_done(struct pnm_kvm *kvm)
{
	kvm_checked(kvm);
	pnm_kvm_destroy(kvm);
	CHECK_ALL();
}

static struct pnm_kvm_info kvm_info(struct pnm_kvm *kvm)
{
	struct pnm_kvm_info ki = { .size = sizeof(ki) };

	assert_int_equal(pnm_kvm_get_info(kvm, &ki), 0);
	return ki;
}

/* A VM with slot 0 = gfn 0.. over @npages of @t at @hva. */
static struct pnm_kvm *vm_over(struct task_struct *t, unsigned long hva, unsigned long npages)
{
	struct pnm_kvm *kvm;

	assert_int_equal(pnm_kvm_create(t, &kvm), 0);
	assert_int_equal(pnm_kvm_set_memslot(kvm, 0, 0, npages, hva, 0), 0);
	kvm_checked(kvm);
	return kvm;
}

static unsigned long shadow_pfn(struct pnm_kvm *kvm, unsigned long gfn, bool *w)
{
	unsigned long pfn = 0;

	assert_int_equal(pnm_kvm_lookup(kvm, gfn, &pfn, w), 0);
	return pfn;
}

static void test_create_and_slot_errors(void **state)
{
	struct task_struct *t = test_task_create("vmm");
	unsigned long a = test_mmap(t, 8 * PG, RW, PRIV);
	struct pnm_kvm *kvm;

	(void)state;
	assert_int_equal(pnm_kvm_create(NULL, &kvm), -EINVAL);
	assert_int_equal(pnm_kvm_create(t, &kvm), 0);
	assert_int_equal(pnm_mmu_notifier_count(t->mm), 1);
	assert_int_equal(pnm_kvm_set_memslot(kvm, PNM_KVM_MAX_MEMSLOTS, 0, 1, a, 0), -EINVAL);
	assert_int_equal(pnm_kvm_set_memslot(kvm, 0, 0, 1, a + 1, 0), -EINVAL);
	assert_int_equal(pnm_kvm_set_memslot(kvm, 0, 0, PNM_KVM_MAX_SLOT_PAGES + 1, a, 0),
			 -EINVAL);
	assert_int_equal(pnm_kvm_set_memslot(kvm, 0, 0, 1, a, 0x100), -EINVAL);
	assert_int_equal(pnm_kvm_set_memslot(kvm, 0, ~0UL, 2, a, 0), -EINVAL);
	assert_int_equal(pnm_kvm_set_memslot(kvm, 0, 0x100, 4, a, 0), 0);
	assert_int_equal(pnm_kvm_set_memslot(kvm, 1, 0x102, 4, a + 4 * PG, 0), -EEXIST);
	assert_int_equal(pnm_kvm_set_memslot(kvm, 1, 0x104, 4, a + 4 * PG, 0), 0);
	/* A frame outside every slot. */
	assert_int_equal(pnm_kvm_map_gfn(kvm, 0x10, false), -EFAULT);
	assert_int_equal(pnm_kvm_lookup(kvm, 0x100, NULL, NULL), -ENOENT);
	kvm_checked(kvm);
	pnm_kvm_destroy(kvm);
	assert_int_equal(pnm_mmu_notifier_count(t->mm), 0);
	CHECK_ALL();
	pnm_task_exit(t);
	assert_int_equal(pnm_kvm_create(t, &kvm), -ESRCH);
}

/* The guest sees the process's data and the process the guest's; each
 * entry is the process's frame. */
static void test_guest_access(void **state)
{
	struct task_struct *t = test_task_create("vmm");
	unsigned long a = test_mmap(t, 8 * PG, RW, PRIV);
	struct pnm_kvm *kvm;
	char buf[16];
	bool w;

	(void)state;
	assert_int_equal(pnm_user_write(t, a + PG + 8, "from the VMM", 13), 0);
	kvm = vm_over(t, a, 8);
	assert_int_equal(pnm_kvm_guest_read(kvm, PG + 8, buf, 13), 0);
	assert_string_equal(buf, "from the VMM");
	assert_int_equal(shadow_pfn(kvm, 1, &w), test_pfn(t, a + PG));
	assert_false(w);			/* a read fault maps read-only */
	kvm_checked(kvm);

	/* A store upgrades it: same (exclusive) page, now writable. */
	assert_int_equal(pnm_kvm_guest_write(kvm, PG + 8, "from the guest", 15), 0);
	assert_int_equal(shadow_pfn(kvm, 1, &w), test_pfn(t, a + PG));
	assert_true(w);
	assert_int_equal(pnm_user_read(t, a + PG + 8, buf, 15), 0);
	assert_string_equal(buf, "from the guest");
	/* Across a page boundary. */
	assert_int_equal(pnm_kvm_guest_write(kvm, 3 * PG - 4, "straddle", 9), 0);
	assert_int_equal(pnm_user_read(t, a + 3 * PG - 4, buf, 9), 0);
	assert_string_equal(buf, "straddle");
	assert_int_equal(kvm_info(kvm).mapped, 3);
	/* The entries hold plain references, no pins. */
	assert_false(folio_maybe_dma_pinned(test_folio(t, a + PG)));
	assert_int_equal(folio_ref_count(test_folio(t, a + PG)), 2);
	assert_int_equal(pnm_pin_registry_count(-1), 0);
	kvm_checked(kvm);
	pnm_kvm_destroy(kvm);
	assert_int_equal(folio_ref_count(test_folio(t, a + PG)), 1);
	CHECK_ALL();
}

/* Untouched memory: a read maps the zero page, a write makes the process
 * copy (COW from the zero page) -- the shadow follows. */
static void test_zero_page_then_cow(void **state)
{
	struct task_struct *t = test_task_create("vmm");
	unsigned long a = test_mmap(t, 2 * PG, RW, PRIV), zero;
	struct pnm_kvm *kvm = vm_over(t, a, 2);
	struct pnm_kvm_info ki;
	char buf[8];
	bool w;

	(void)state;
	assert_int_equal(pnm_kvm_guest_read(kvm, 0, buf, 8), 0);
	zero = shadow_pfn(kvm, 0, &w);
	assert_int_equal(zero, test_pfn(t, a));	/* the zero page */
	kvm_checked(kvm);
	assert_int_equal(pnm_kvm_guest_write(kvm, 0, "cow", 4), 0);
	assert_true(shadow_pfn(kvm, 0, &w) != zero && w);
	ki = kvm_info(kvm);
	/* The write fault's own COW invalidated the entry under the fault:
	 * it was retried once. */
	assert_true(ki.invalidations >= 1 && ki.zapped == 1 && ki.retries == 1);
	assert_int_equal(pnm_user_read(t, a, buf, 4), 0);
	assert_string_equal(buf, "cow");
	vm_done(kvm);
}

static void test_munmap_dontneed(void **state)
{
	struct task_struct *t = test_task_create("vmm");
	unsigned long a = test_mmap(t, 4 * PG, RW, PRIV);
	struct pnm_kvm *kvm = vm_over(t, a, 4);
	char buf[4];

	(void)state;
	for (unsigned long g = 0; g < 4; g++)
		assert_int_equal(pnm_kvm_guest_write(kvm, g * PG, "abc", 4), 0);
	assert_int_equal(kvm_info(kvm).mapped, 4);

	assert_int_equal(pnm_madvise(t, a, PG, MADV_DONTNEED), 0);
	assert_int_equal(kvm_info(kvm).mapped, 3);
	assert_int_equal(pnm_kvm_lookup(kvm, 0, NULL, NULL), -ENOENT);
	kvm_checked(kvm);
	assert_int_equal(pnm_kvm_guest_read(kvm, 0, buf, 4), 0);	/* zeroes now */
	assert_int_equal(buf[0], 0);

	assert_int_equal(pnm_munmap(t, a + 2 * PG, 2 * PG), 0);
	assert_int_equal(kvm_info(kvm).mapped, 2);
	kvm_checked(kvm);
	assert_int_equal(pnm_kvm_guest_read(kvm, 2 * PG, buf, 4), -EFAULT);
	/* The VMM maps fresh memory there: the guest sees it. */
	assert_int_equal(pnm_mmap(t, a + 2 * PG, 2 * PG, RW, PRIV | MAP_FIXED, NULL, 0),
			 (long)(a + 2 * PG));
	assert_int_equal(pnm_kvm_guest_read(kvm, 3 * PG, buf, 4), 0);
	assert_int_equal(buf[0], 0);
	assert_int_equal(pnm_kvm_guest_write(kvm, 3 * PG, "new", 4), 0);
	assert_int_equal(test_read_byte(t, a + 3 * PG), 'n');
	vm_done(kvm);
}

/* fork write-protects the parent: writable entries go; the guest's next
 * store copies the page for the parent, the child keeps the old data. */
static void test_fork_cow(void **state)
{
	struct task_struct *t = test_task_create("vmm"), *c;
	unsigned long a = test_mmap(t, 2 * PG, RW, PRIV), old;
	struct pnm_kvm *kvm = vm_over(t, a, 2);
	bool w;

	(void)state;
	assert_int_equal(pnm_kvm_guest_write(kvm, 0, "before", 7), 0);
	old = shadow_pfn(kvm, 0, &w);
	c = test_fork(t);
	assert_int_equal(pnm_kvm_lookup(kvm, 0, NULL, NULL), -ENOENT);
	kvm_checked(kvm);
	assert_int_equal(pnm_kvm_guest_write(kvm, 0, "after", 6), 0);
	assert_true(shadow_pfn(kvm, 0, &w) != old && w);
	assert_int_equal(test_pfn(c, a), old);
	assert_int_equal(test_read_byte(c, a), 'b');
	assert_int_equal(test_read_byte(t, a), 'a');
	kvm_checked(kvm);
	/* The child's own changes are not the VM's business. */
	test_write_byte(c, a + PG, 1);
	assert_int_equal(pnm_munmap(c, a, 2 * PG), 0);
	assert_int_equal(kvm_info(kvm).mapped, 1);
	pnm_task_exit(c);
	pnm_task_put(c);
	vm_done(kvm);
}

static void test_mprotect(void **state)
{
	struct task_struct *t = test_task_create("vmm");
	unsigned long a = test_mmap(t, 2 * PG, RW, PRIV);
	struct pnm_kvm *kvm = vm_over(t, a, 2);
	char buf[4];
	bool w;

	(void)state;
	assert_int_equal(pnm_kvm_guest_write(kvm, 0, "rw", 3), 0);
	assert_int_equal(pnm_mprotect(t, a, 2 * PG, PROT_READ), 0);
	assert_int_equal(kvm_info(kvm).mapped, 0);
	kvm_checked(kvm);
	assert_int_equal(pnm_kvm_guest_write(kvm, 0, "no", 3), -EFAULT);
	assert_int_equal(pnm_kvm_guest_read(kvm, 0, buf, 3), 0);
	assert_string_equal(buf, "rw");
	shadow_pfn(kvm, 0, &w);
	assert_false(w);
	kvm_checked(kvm);
	assert_int_equal(pnm_mprotect(t, a, 2 * PG, PROT_NONE), 0);
	assert_int_equal(pnm_kvm_guest_read(kvm, 0, buf, 3), -EFAULT);
	assert_int_equal(pnm_mprotect(t, a, 2 * PG, RW), 0);
	assert_int_equal(pnm_kvm_guest_write(kvm, 0, "ok", 3), 0);
	vm_done(kvm);
}

/* Migration: the shadow's references do not block it -- the notifier
 * drops them before the page is frozen. */
static void test_migration(void **state)
{
	struct task_struct *t = test_task_create("vmm");
	unsigned long a = test_mmap(t, 4 * PG, RW, PRIV), old;
	struct pnm_kvm *kvm = vm_over(t, a, 4);
	char buf[8];
	bool w;

	(void)state;
	assert_int_equal(pnm_kvm_guest_write(kvm, PG, "moving", 7), 0);
	old = shadow_pfn(kvm, 1, &w);
	assert_int_equal(pnm_migrate_range(t, a + PG, PG, PNM_ZONE_NORMAL), 1);
	assert_true(test_pfn(t, a + PG) != old);
	assert_int_equal(pnm_kvm_lookup(kvm, 1, NULL, NULL), -ENOENT);
	kvm_checked(kvm);
	assert_int_equal(pnm_kvm_guest_read(kvm, PG, buf, 7), 0);
	assert_string_equal(buf, "moving");
	assert_int_equal(shadow_pfn(kvm, 1, &w), test_pfn(t, a + PG));
	/* Compaction moves what it likes; the mirror follows, the data stays. */
	for (unsigned long g = 0; g < 4; g++)
		assert_int_equal(pnm_kvm_guest_write(kvm, g * PG + 100, "cmp", 4), 0);
	(void)pnm_compact_zone(PNM_ZONE_MOVABLE, 0, NULL);
	kvm_checked(kvm);
	for (unsigned long g = 0; g < 4; g++) {
		assert_int_equal(pnm_kvm_guest_read(kvm, g * PG + 100, buf, 4), 0);
		assert_string_equal(buf, "cmp");
	}
	vm_done(kvm);
}

/* A THP mirrored page by page; a partial munmap splits the PMD. */
static void test_thp_split(void **state)
{
	struct task_struct *t = test_task_create("vmm");
	long m = pnm_mmap(t, 0, 2 * PNM_HPAGE_PMD_SIZE, RW, PRIV, NULL, 0);
	unsigned long h;
	struct pnm_kvm *kvm;
	char buf[4];

	(void)state;
	assert_true(m > 0);
	h = ALIGN((unsigned long)m, PNM_HPAGE_PMD_SIZE);
	assert_int_equal(pnm_madvise(t, h, PNM_HPAGE_PMD_SIZE, MADV_HUGEPAGE), 0);
	test_write_byte(t, h, 1);
	assert_true(pmd_trans_huge(test_pmd_val(t, h)));
	kvm = vm_over(t, h, 512);
	for (unsigned long g = 0; g < 512; g += 64)
		assert_int_equal(pnm_kvm_guest_write(kvm, g * PG, "thp", 4), 0);
	assert_int_equal(shadow_pfn(kvm, 64, NULL), test_pfn(t, h) + 64);
	kvm_checked(kvm);
	assert_int_equal(pnm_munmap(t, h + 100 * PG, PG), 0);
	assert_false(pmd_trans_huge(test_pmd_val(t, h)));
	assert_int_equal(kvm_info(kvm).mapped, 0);	/* the split's CLEAR */
	kvm_checked(kvm);
	assert_int_equal(pnm_kvm_guest_read(kvm, 64 * PG, buf, 4), 0);
	assert_string_equal(buf, "thp");
	assert_int_equal(pnm_kvm_guest_read(kvm, 100 * PG, buf, 4), -EFAULT);
	vm_done(kvm);
}

/* A shared disk file: the guest's store dirties it (the GUP write fault
 * goes through ->page_mkwrite), writeback write-protects it (the entry
 * goes), truncate unmaps it. */
static void test_file(void **state)
{
	struct task_struct *t = test_task_create("vmm");
	struct file *f = test_open(PNM_FS_DISK, "kvm-file");
	char page[PG], buf[8];
	struct pnm_kvm *kvm;
	long a;
	bool w;

	(void)state;
	memset(page, '.', sizeof(page));
	assert_int_equal(pnm_file_write(f, page, PG, 0), PG);
	assert_int_equal(pnm_file_write(f, page, PG, PG), PG);
	assert_int_equal(pnm_file_fsync(f, 0, INT64_MAX, false), 0);
	a = pnm_mmap(t, 0, 2 * PG, RW, MAP_SHARED, f, 0);
	assert_true(a > 0);
	kvm = vm_over(t, (unsigned long)a, 2);
	assert_int_equal(pnm_kvm_guest_write(kvm, 0, "guest", 5), 0);
	assert_true(folio_test_dirty(test_folio(t, (unsigned long)a)));
	shadow_pfn(kvm, 0, &w);
	assert_true(w);
	kvm_checked(kvm);
	assert_int_equal(pnm_file_fsync(f, 0, INT64_MAX, false), 0);
	assert_int_equal(pnm_kvm_lookup(kvm, 0, NULL, NULL), -ENOENT);
	assert_int_equal(test_host_pread(f, buf, 5, 0), 5);
	assert_memory_equal(buf, "guest", 5);
	kvm_checked(kvm);
	/* Writing again re-dirties through the filesystem. */
	assert_int_equal(pnm_kvm_guest_write(kvm, 0, "again", 5), 0);
	assert_true(folio_test_dirty(test_folio(t, (unsigned long)a)));
	assert_int_equal(pnm_file_fsync(f, 0, INT64_MAX, false), 0);
	assert_int_equal(test_host_pread(f, buf, 5, 0), 5);
	assert_memory_equal(buf, "again", 5);
	/* Truncate: the page leaves the file and the shadow. */
	assert_int_equal(pnm_kvm_guest_read(kvm, PG, buf, 1), 0);
	assert_int_equal(pnm_file_truncate(f, PG), 0);
	assert_int_equal(pnm_kvm_lookup(kvm, 1, NULL, NULL), -ENOENT);
	assert_int_equal(pnm_kvm_guest_read(kvm, PG, buf, 1), -EFAULT);
	kvm_checked(kvm);
	pnm_kvm_destroy(kvm);
	assert_int_equal(pnm_munmap(t, (unsigned long)a, 2 * PG), 0);
	pnm_file_close(f);
	CHECK_ALL();
}

/* The process exits: release drops everything, the VM has no memory. */
static void test_release_at_exit(void **state)
{
	struct task_struct *t = test_task_create("vmm");
	unsigned long a = test_mmap(t, 2 * PG, RW, PRIV);
	struct pnm_kvm *kvm = vm_over(t, a, 2);
	struct pnm_kvm_info ki;
	char buf[2];

	(void)state;
	assert_int_equal(pnm_kvm_guest_write(kvm, 0, "x", 2), 0);
	pnm_task_exit(t);
	ki = kvm_info(kvm);
	assert_true(ki.released);
	assert_int_equal(ki.mapped, 0);
	assert_int_equal(pnm_kvm_guest_read(kvm, 0, buf, 1), -ESRCH);
	assert_int_equal(pnm_kvm_map_gfn(kvm, 1, false), -ESRCH);
	vm_done(kvm);
}

static void test_readonly_slot_and_replace(void **state)
{
	struct task_struct *t = test_task_create("vmm");
	unsigned long a = test_mmap(t, 4 * PG, RW, PRIV);
	struct pnm_kvm *kvm;
	char buf[4];

	(void)state;
	test_write_byte(t, a + 2 * PG, 'R');
	assert_int_equal(pnm_kvm_create(t, &kvm), 0);
	assert_int_equal(pnm_kvm_set_memslot(kvm, 0, 0, 2, a, PNM_KVM_MEM_READONLY), 0);
	assert_int_equal(pnm_kvm_guest_write(kvm, 0, "w", 2), -EACCES);
	assert_int_equal(pnm_kvm_guest_read(kvm, 0, buf, 1), 0);
	kvm_checked(kvm);
	/* Replacing the slot drops its entries; the new one maps elsewhere. */
	assert_int_equal(pnm_kvm_set_memslot(kvm, 0, 0, 2, a + 2 * PG, 0), 0);
	assert_int_equal(kvm_info(kvm).mapped, 0);
	assert_int_equal(pnm_kvm_guest_read(kvm, 0, buf, 1), 0);
	assert_int_equal(buf[0], 'R');
	assert_int_equal(pnm_kvm_set_memslot(kvm, 0, 0, 0, 0, 0), 0);	/* delete */
	assert_int_equal(kvm_info(kvm).mapped, 0);
	assert_int_equal(pnm_kvm_guest_read(kvm, 0, buf, 1), -EFAULT);
	vm_done(kvm);
}

/* The checker can fail: change a PTE behind the notifier's back. */
static void test_checker_catches_stale_entry(void **state)
{
	struct task_struct *t = test_task_create("vmm");
	unsigned long a = test_mmap(t, PG, RW, PRIV);
	struct pnm_kvm *kvm = vm_over(t, a, 1);
	char why[256] = "";
	spinlock_t *ptl;
	pte_t *pte, old;

	(void)state;
	assert_int_equal(pnm_kvm_guest_write(kvm, 0, "x", 2), 0);
	mmap_read_lock(t->mm);
	pte = pte_offset_map_lock(t->mm, pnm_pmd_lookup(t->mm, a), a, &ptl);
	old = ptep_get(pte);
	set_pte_at(t->mm, a, pte, pte_wrprotect(old));	/* no notifier */
	pte_unmap_unlock(pte, ptl);
	mmap_read_unlock(t->mm);
	assert_int_equal(pnm_kvm_check(kvm, why, sizeof(why)), -EIO);
	assert_non_null(strstr(why, "writable"));
	mmap_read_lock(t->mm);
	pte = pte_offset_map_lock(t->mm, pnm_pmd_lookup(t->mm, a), a, &ptl);
	set_pte_at(t->mm, a, pte, old);
	pte_unmap_unlock(pte, ptl);
	mmap_read_unlock(t->mm);
	vm_done(kvm);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		PNM_TEST(test_create_and_slot_errors),
		PNM_TEST(test_guest_access),
		PNM_TEST(test_zero_page_then_cow),
		PNM_TEST(test_munmap_dontneed),
		PNM_TEST(test_fork_cow),
		PNM_TEST(test_mprotect),
		PNM_TEST(test_migration),
		PNM_TEST(test_thp_split),
		PNM_TEST(test_file),
		PNM_TEST(test_release_at_exit),
		PNM_TEST(test_readonly_slot_and_replace),
		PNM_TEST(test_checker_catches_stale_entry),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
