/* SPDX-License-Identifier: MIT */
/*
 * test_memory.c - the fault paths: demand zero and the zero page, private
 * pages on write, data round trips, COW after fork (copy for the writer,
 * reuse for the last sharer), anon-exclusive transitions, unsharing,
 * refused accesses, -ENOMEM at every allocation a fault makes, accesses
 * across page boundaries, MAP_SHARED|MAP_ANONYMOUS across fork, zapping,
 * and private and shared mappings of a shmem file.
 */
#include <string.h>

#include "test_util.h"
#include "pinmm_test_internal.h"

#define MAP_ANON_PRIV	(MAP_PRIVATE | MAP_ANONYMOUS)
#define MAP_ANON_SHARED	(MAP_SHARED | MAP_ANONYMOUS)
#define PROT_RW		(PROT_READ | PROT_WRITE)

static bool is_writable(struct task_struct *t, unsigned long addr)
{
	unsigned long pfn;
	bool w = false;

	assert_int_equal(pnm_mm_translate(t->mm, addr, &pfn, &w), 0);
	return w;
}

static bool exclusive_at(struct task_struct *t, unsigned long addr)
{
	return PageAnonExclusive(pfn_to_page(test_pfn(t, addr)));
}

static void fill(unsigned char *buf, size_t len, unsigned int seed)
{
	for (size_t i = 0; i < len; i++)
		buf[i] = (unsigned char)(seed + i * 7 + (i >> 8));
}

/* Run handle_mm_fault() on @t's mm directly. */
static vm_fault_t fault(struct task_struct *t, unsigned long addr, unsigned int flags)
{
	struct vm_area_struct *vma;
	vm_fault_t ret;

	mmap_read_lock(t->mm);
	vma = vma_lookup(t->mm, addr);
	assert_non_null(vma);
	ret = handle_mm_fault(vma, addr, flags);
	mmap_read_unlock(t->mm);
	return ret;
}

/* Read faults map the zero page (the same frame in every process) and a
 * write then gets a private, zeroed, exclusive page. */
static void test_zero_page_then_private(void **state)
{
	struct task_struct *a = test_task_create("a"), *b = test_task_create("b");
	unsigned long x = test_mmap(a, 8 * PAGE_SIZE, PROT_RW, MAP_ANON_PRIV);
	unsigned long y = test_mmap(b, 8 * PAGE_SIZE, PROT_RW, MAP_ANON_PRIV);
	long zero_mapped = global_stat(PNM_ZERO_PAGE_MAPPED);
	long faults = global_stat(PGFAULT);
	long anon = get_mm_counter(a->mm, MM_ANONPAGES);
	unsigned char buf[64];

	(void)state;
	assert_int_equal(test_read_byte(a, x + 5), 0);
	assert_int_equal(test_read_byte(b, y + 3 * PAGE_SIZE), 0);
	assert_int_equal(global_stat(PNM_ZERO_PAGE_MAPPED), zero_mapped + 2);
	assert_int_equal(global_stat(PGFAULT), faults + 2);
	assert_int_equal(test_pfn(a, x), pnm_mem.zero_pfn);
	assert_int_equal(test_pfn(b, y + 3 * PAGE_SIZE), pnm_mem.zero_pfn);
	assert_false(is_writable(a, x));
	assert_int_equal(get_mm_counter(a->mm, MM_ANONPAGES), anon);
	assert_int_equal(page_ref_count(pfn_to_page(pnm_mem.zero_pfn)), 1);
	/* A second read takes no fault. */
	assert_int_equal(test_read_byte(a, x + 6), 0);
	assert_int_equal(global_stat(PGFAULT), faults + 2);
	CHECK_ALL();

	test_write_byte(a, x + 5, 0xab);
	assert_int_not_equal(test_pfn(a, x), pnm_mem.zero_pfn);
	assert_true(is_writable(a, x));
	assert_true(exclusive_at(a, x));
	assert_int_equal(get_mm_counter(a->mm, MM_ANONPAGES), anon + 1);
	assert_int_equal(page_ref_count(pfn_to_page(test_pfn(a, x))), 1);
	assert_int_equal(page_mapcount(pfn_to_page(test_pfn(a, x))), 1);
	assert_int_equal(pnm_user_read(a, x, buf, sizeof(buf)), 0);
	for (size_t i = 0; i < sizeof(buf); i++)
		assert_int_equal(buf[i], i == 5 ? 0xab : 0);
	/* b still sees zeroes through the zero page. */
	assert_int_equal(test_read_byte(b, y + 3 * PAGE_SIZE + 5), 0);
	assert_int_equal(test_pfn(b, y + 3 * PAGE_SIZE), pnm_mem.zero_pfn);
	CHECK_ALL();
}

/* A write to an untouched page allocates directly (no zero page). */
static void test_demand_zero_write(void **state)
{
	struct task_struct *t = test_task_create("dz");
	unsigned long x = test_mmap(t, 4 * PAGE_SIZE, PROT_RW, MAP_ANON_PRIV);
	long zero_mapped = global_stat(PNM_ZERO_PAGE_MAPPED);
	unsigned char page[PAGE_SIZE];

	(void)state;
	test_write_byte(t, x + PAGE_SIZE + 100, 1);
	assert_int_equal(global_stat(PNM_ZERO_PAGE_MAPPED), zero_mapped);
	assert_int_equal(pnm_user_read(t, x + PAGE_SIZE, page, PAGE_SIZE), 0);
	for (size_t i = 0; i < PAGE_SIZE; i++)
		assert_int_equal(page[i], i == 100);
	/* Untouched neighbours have no mapping at all. */
	{
		unsigned long pfn;
		bool w;

		assert_int_equal(pnm_mm_translate(t->mm, x, &pfn, &w), -EFAULT);
	}
	CHECK_ALL();
}

/* Multi-page data written in one call reads back, including across page
 * boundaries and through pnm_mm_access(). */
static void test_round_trip(void **state)
{
	struct task_struct *t = test_task_create("rt");
	unsigned long x = test_mmap(t, 8 * PAGE_SIZE, PROT_RW, MAP_ANON_PRIV);
	static unsigned char in[3 * PAGE_SIZE + 123], out[sizeof(in)];
	unsigned char edge[100], back[100];

	(void)state;
	fill(in, sizeof(in), 3);
	assert_int_equal(pnm_user_write(t, x + 77, in, sizeof(in)), 0);
	memset(out, 0, sizeof(out));
	assert_int_equal(pnm_user_read(t, x + 77, out, sizeof(out)), 0);
	assert_memory_equal(in, out, sizeof(in));
	memset(out, 0, sizeof(out));
	assert_int_equal(pnm_mm_access(t->mm, x + 77, out, sizeof(out), false), 0);
	assert_memory_equal(in, out, sizeof(in));

	/* 100 bytes straddling the boundary of two untouched pages. */
	fill(edge, sizeof(edge), 9);
	assert_int_equal(pnm_user_write(t, x + 6 * PAGE_SIZE - 50, edge, sizeof(edge)), 0);
	assert_int_not_equal(test_pfn(t, x + 5 * PAGE_SIZE), test_pfn(t, x + 6 * PAGE_SIZE));
	assert_int_equal(pnm_user_read(t, x + 6 * PAGE_SIZE - 50, back, sizeof(back)), 0);
	assert_memory_equal(edge, back, sizeof(edge));
	assert_int_equal(test_read_byte(t, x + 6 * PAGE_SIZE - 51), 0);
	assert_int_equal(test_read_byte(t, x + 6 * PAGE_SIZE + 50), 0);
	CHECK_ALL();
}

/*
 * Fork COW-shares the parent's pages: same pfn, both read-only, not
 * exclusive.  The child's write copies (new pfn, parent data intact); the
 * parent, now the only user, reuses its page in place.
 */
static void test_fork_cow(void **state)
{
	struct task_struct *p = test_task_create("parent"), *c;
	unsigned long x = test_mmap(p, 4 * PAGE_SIZE, PROT_RW, MAP_ANON_PRIV);
	long copies, reuses;
	unsigned long ppfn;

	(void)state;
	test_write_byte(p, x, 0x11);
	test_write_byte(p, x + PAGE_SIZE, 0x22);
	ppfn = test_pfn(p, x);
	assert_true(exclusive_at(p, x));
	c = test_fork(p);
	CHECK_ALL();
	assert_int_equal(test_pfn(c, x), ppfn);
	assert_false(is_writable(p, x));
	assert_false(is_writable(c, x));
	assert_false(exclusive_at(p, x));
	assert_int_equal(page_ref_count(pfn_to_page(ppfn)), 2);
	assert_int_equal(page_mapcount(pfn_to_page(ppfn)), 2);
	assert_int_equal(test_read_byte(c, x), 0x11);
	assert_int_equal(get_mm_counter(c->mm, MM_ANONPAGES), 2);

	copies = global_stat(PNM_COW_COPY);
	reuses = global_stat(PNM_COW_REUSE);
	test_write_byte(c, x, 0x33);
	assert_int_equal(global_stat(PNM_COW_COPY), copies + 1);
	assert_int_not_equal(test_pfn(c, x), ppfn);
	assert_true(is_writable(c, x));
	assert_true(exclusive_at(c, x));
	assert_int_equal(test_read_byte(c, x), 0x33);
	assert_int_equal(test_read_byte(p, x), 0x11);
	assert_int_equal(page_ref_count(pfn_to_page(ppfn)), 1);
	assert_int_equal(page_mapcount(pfn_to_page(ppfn)), 1);
	CHECK_ALL();

	/* The parent is the last sharer: reuse, same frame, exclusive again. */
	assert_false(exclusive_at(p, x));
	test_write_byte(p, x + 1, 0x44);
	assert_int_equal(global_stat(PNM_COW_REUSE), reuses + 1);
	assert_int_equal(global_stat(PNM_COW_COPY), copies + 1);
	assert_int_equal(test_pfn(p, x), ppfn);
	assert_true(is_writable(p, x));
	assert_true(exclusive_at(p, x));
	assert_int_equal(test_read_byte(p, x), 0x11);
	assert_int_equal(test_read_byte(p, x + 1), 0x44);
	assert_int_equal(test_read_byte(c, x + 1), 0);
	/* The second page is still shared by both. */
	assert_int_equal(test_pfn(p, x + PAGE_SIZE), test_pfn(c, x + PAGE_SIZE));
	CHECK_ALL();

	/* The child exits: the parent's write to page 2 reuses it. */
	pnm_task_exit(c);
	test_write_byte(p, x + PAGE_SIZE, 0x55);
	assert_int_equal(global_stat(PNM_COW_REUSE), reuses + 2);
	assert_int_equal(test_read_byte(p, x + PAGE_SIZE), 0x55);
	CHECK_ALL();
}

/* Zero-page PTEs are copied as they are at fork; writes then get private
 * pages in each process. */
static void test_fork_zero_page(void **state)
{
	struct task_struct *p = test_task_create("parent"), *c;
	unsigned long x = test_mmap(p, PAGE_SIZE, PROT_RW, MAP_ANON_PRIV);

	(void)state;
	assert_int_equal(test_read_byte(p, x), 0);
	c = test_fork(p);
	assert_int_equal(test_pfn(c, x), pnm_mem.zero_pfn);
	test_write_byte(c, x, 1);
	test_write_byte(p, x, 2);
	assert_int_not_equal(test_pfn(c, x), test_pfn(p, x));
	assert_int_equal(test_read_byte(c, x), 1);
	assert_int_equal(test_read_byte(p, x), 2);
	CHECK_ALL();
}

/* FAULT_FLAG_UNSHARE: a COW-shared page gets copied but stays read-only;
 * an exclusive one is left alone; the zero page is replaced by a copy. */
static void test_unshare(void **state)
{
	struct task_struct *p = test_task_create("parent"), *c;
	unsigned long x = test_mmap(p, 2 * PAGE_SIZE, PROT_RW, MAP_ANON_PRIV);
	long unshares, copies;
	unsigned long ppfn;

	(void)state;
	test_write_byte(p, x, 7);
	ppfn = test_pfn(p, x);
	c = test_fork(p);
	unshares = global_stat(PNM_UNSHARE_COPY);
	copies = global_stat(PNM_COW_COPY);
	assert_int_equal(fault(c, x, FAULT_FLAG_UNSHARE), 0);
	assert_int_equal(global_stat(PNM_UNSHARE_COPY), unshares + 1);
	assert_int_equal(global_stat(PNM_COW_COPY), copies);
	assert_int_not_equal(test_pfn(c, x), ppfn);
	assert_false(is_writable(c, x));
	assert_true(exclusive_at(c, x));
	assert_int_equal(test_read_byte(c, x), 7);
	CHECK_ALL();

	/* Already exclusive: nothing happens. */
	{
		unsigned long cpfn = test_pfn(c, x);

		assert_int_equal(fault(c, x, FAULT_FLAG_UNSHARE), 0);
		assert_int_equal(test_pfn(c, x), cpfn);
		assert_int_equal(global_stat(PNM_UNSHARE_COPY), unshares + 1);
	}
	/* The parent's page is the last one: unsharing makes it exclusive
	 * in place, still read-only. */
	assert_int_equal(fault(p, x, FAULT_FLAG_UNSHARE), 0);
	assert_int_equal(test_pfn(p, x), ppfn);
	assert_true(exclusive_at(p, x));
	assert_false(is_writable(p, x));
	assert_int_equal(global_stat(PNM_UNSHARE_COPY), unshares + 1);

	/* The zero page is replaced by a private zeroed copy, read-only. */
	assert_int_equal(test_read_byte(p, x + PAGE_SIZE), 0);
	assert_int_equal(fault(p, x + PAGE_SIZE, FAULT_FLAG_UNSHARE), 0);
	assert_int_not_equal(test_pfn(p, x + PAGE_SIZE), pnm_mem.zero_pfn);
	assert_false(is_writable(p, x + PAGE_SIZE));
	assert_true(exclusive_at(p, x + PAGE_SIZE));
	assert_int_equal(global_stat(PNM_UNSHARE_COPY), unshares + 2);
	assert_int_equal(test_read_byte(p, x + PAGE_SIZE), 0);
	/* Unshare combined with write is refused. */
	assert_int_equal(fault(p, x, FAULT_FLAG_UNSHARE | FAULT_FLAG_WRITE), VM_FAULT_SIGSEGV);
	CHECK_ALL();
}

/* Accesses the VMA does not permit fail with -EFAULT and change nothing. */
static void test_refused_access(void **state)
{
	struct task_struct *t = test_task_create("prot");
	unsigned long none = test_mmap(t, PAGE_SIZE, PROT_NONE, MAP_ANON_PRIV);
	unsigned long ro = test_mmap(t, PAGE_SIZE, PROT_READ, MAP_ANON_PRIV);
	unsigned long rw = test_mmap(t, PAGE_SIZE, PROT_RW, MAP_ANON_PRIV);
	unsigned char v = 1;
	unsigned long pfn;
	bool w;

	(void)state;
	assert_int_equal(pnm_user_write(t, none, &v, 1), -EFAULT);
	assert_int_equal(pnm_user_read(t, none, &v, 1), -EFAULT);
	assert_int_equal(pnm_mm_translate(t->mm, none, &pfn, &w), -EFAULT);
	assert_int_equal(pnm_user_write(t, ro, &v, 1), -EFAULT);
	assert_int_equal(pnm_mm_translate(t->mm, ro, &pfn, &w), -EFAULT);
	assert_int_equal(test_read_byte(t, ro), 0);
	assert_int_equal(pnm_user_write(t, ro, &v, 1), -EFAULT);
	assert_int_equal(fault(t, ro, FAULT_FLAG_USER | FAULT_FLAG_WRITE), VM_FAULT_SIGSEGV);
	assert_int_equal(fault(t, none, FAULT_FLAG_USER), VM_FAULT_SIGSEGV);
	assert_int_equal(test_pfn(t, ro), pnm_mem.zero_pfn);
	/* Unmapped addresses. */
	assert_int_equal(pnm_user_write(t, rw + PAGE_SIZE * 1000, &v, 1), -EFAULT);
	assert_int_equal(vm_fault_to_errno(VM_FAULT_SIGSEGV, 0), -EFAULT);
	assert_int_equal(vm_fault_to_errno(VM_FAULT_SIGBUS, 0), -EFAULT);
	assert_int_equal(vm_fault_to_errno(VM_FAULT_OOM, 0), -ENOMEM);
	assert_int_equal(vm_fault_to_errno(0, 0), 0);
	CHECK_ALL();

	/* mprotect(PROT_NONE) over written data: refused, data kept. */
	test_write_byte(t, rw, 0x5a);
	assert_int_equal(pnm_mm_mprotect(t->mm, rw, PAGE_SIZE, PROT_NONE), 0);
	assert_int_equal(pnm_user_read(t, rw, &v, 1), -EFAULT);
	CHECK_ALL();
	assert_int_equal(pnm_mm_mprotect(t->mm, rw, PAGE_SIZE, PROT_READ), 0);
	assert_int_equal(test_read_byte(t, rw), 0x5a);
	CHECK_ALL();
}

/*
 * Only user faults (FAULT_FLAG_USER) are checked against the VMA's
 * VM_READ/VM_WRITE, as the architecture's fault handler does; GUP's
 * faults (FOLL_FORCE) were already allowed by check_vma_flags().  A write
 * fault still needs VM_MAYWRITE, and a !VM_WRITE VMA must be a COW
 * mapping (sanitize_fault_flags()).
 */
/* The pfn a present PTE maps at @addr, read from the table (also where
 * the user has no access); -1UL if none is present. */
static unsigned long raw_pfn(struct task_struct *t, unsigned long addr)
{
	pte_t pte = test_pte_val(t, addr);

	return pte_present(pte) ? pte_pfn(pte) : -1UL;
}

static void test_non_user_faults(void **state)
{
	struct task_struct *t = test_task_create("force");
	unsigned long none = test_mmap(t, PAGE_SIZE, PROT_NONE, MAP_ANON_PRIV);
	unsigned long ro = test_mmap(t, PAGE_SIZE, PROT_READ, MAP_ANON_PRIV);
	unsigned long shro = test_mmap(t, PAGE_SIZE, PROT_READ, MAP_ANON_SHARED);
	long cow = global_stat(PNM_COW_COPY), warns;
	unsigned char v;
	unsigned long pfn;
	bool w;

	(void)state;
	/* A non-user read of PROT_NONE memory maps the zero page, which the
	 * user still cannot reach. */
	assert_int_equal(fault(t, none, 0), 0);
	assert_int_equal(raw_pfn(t, none), pnm_mem.zero_pfn);
	assert_int_equal(pnm_user_read(t, none, &v, 1), -EFAULT);
	assert_int_equal(pnm_mm_translate(t->mm, none, &pfn, &w), 0);	/* mapped, */
	assert_false(w);					/* not for the user */
	CHECK_ALL();
	/* A non-user write into a read-only private mapping breaks COW of
	 * the zero page; the copy stays read-only. */
	assert_int_equal(test_read_byte(t, ro), 0);
	assert_int_equal(fault(t, ro, FAULT_FLAG_WRITE), 0);
	assert_int_equal(global_stat(PNM_COW_COPY), cow + 1);
	assert_true(test_pfn(t, ro) != pnm_mem.zero_pfn);
	assert_true(exclusive_at(t, ro));
	assert_false(is_writable(t, ro));
	assert_int_equal(pnm_user_write(t, ro, &v, 1), -EFAULT);
	CHECK_ALL();
	/* ... and into PROT_NONE memory too (forced writes may). */
	assert_int_equal(fault(t, none, FAULT_FLAG_WRITE), 0);
	assert_int_equal(global_stat(PNM_COW_COPY), cow + 2);
	assert_true(raw_pfn(t, none) != pnm_mem.zero_pfn);
	assert_true(raw_pfn(t, none) != -1UL);
	assert_int_equal(pnm_user_read(t, none, &v, 1), -EFAULT);
	CHECK_ALL();
	/* A shared read-only mapping is never written by a fault: the user's
	 * write is refused by the access check (no warning), a non-user one
	 * is a caller bug (warned). */
	warns = atomic_long_read(&pnm_nr_warnings);
	v = 1;
	assert_int_equal(pnm_user_write(t, shro, &v, 1), -EFAULT);
	assert_int_equal(atomic_long_read(&pnm_nr_warnings), warns);
	assert_int_equal(fault(t, shro, FAULT_FLAG_WRITE), VM_FAULT_SIGSEGV);
	assert_true(atomic_long_read(&pnm_nr_warnings) > warns);
	CHECK_ALL();
}

/*
 * Every allocation a fault makes may fail: the fault reports -ENOMEM and
 * leaves a consistent state (tables already installed stay, empty); the
 * retried access succeeds.  A fresh PGD slot needs PUD, PMD and PTE
 * tables, then the page.
 */
static void test_fault_enomem(void **state)
{
	struct task_struct *t = test_task_create("oom");
	unsigned long base = 5UL << PGDIR_SHIFT;
	unsigned char v = 0x77;

	(void)state;
	for (unsigned long n = 1; n <= 4; n++) {
		unsigned long addr = base + (n << PGDIR_SHIFT);
		long anon = get_mm_counter(t->mm, MM_ANONPAGES);
		unsigned long pfn;
		bool w;

		assert_int_equal(pnm_mm_mmap(t->mm, addr, PAGE_SIZE, PROT_RW,
					  MAP_ANON_PRIV | MAP_FIXED, NULL, 0), (long)addr);
		pnm_fail_nth_alloc(n);
		assert_int_equal(pnm_user_write(t, addr, &v, 1), -ENOMEM);
		pnm_fail_nth_alloc(0);
		assert_int_equal(pnm_mm_translate(t->mm, addr, &pfn, &w), -EFAULT);
		assert_int_equal(get_mm_counter(t->mm, MM_ANONPAGES), anon);
		CHECK_ALL();
		assert_int_equal(pnm_user_write(t, addr, &v, 1), 0);
		assert_int_equal(test_read_byte(t, addr), 0x77);
		CHECK_ALL();
	}

	/* The copy of a COW break fails: both keep the shared page. */
	{
		unsigned long x = test_mmap(t, PAGE_SIZE, PROT_RW, MAP_ANON_PRIV);
		struct task_struct *c;
		unsigned long pfn;

		test_write_byte(t, x, 1);
		c = test_fork(t);
		pfn = test_pfn(t, x);
		pnm_fail_nth_alloc(1);
		v = 2;
		assert_int_equal(pnm_user_write(c, x, &v, 1), -ENOMEM);
		pnm_fail_nth_alloc(0);
		assert_int_equal(test_pfn(c, x), pfn);
		assert_int_equal(test_read_byte(c, x), 1);
		assert_int_equal(page_ref_count(pfn_to_page(pfn)), 2);
		CHECK_ALL();
		test_write_byte(c, x, 2);
		assert_int_equal(test_read_byte(c, x), 2);
		assert_int_equal(test_read_byte(t, x), 1);
		CHECK_ALL();
	}
}

/* Fork itself failing at each allocation it makes: -ENOMEM, nothing left
 * behind, the parent's data unchanged; eventually it succeeds. */
static void test_fork_enomem(void **state)
{
	struct task_struct *p = test_task_create("parent");
	unsigned long x = test_mmap(p, 64 * PAGE_SIZE, PROT_RW, MAP_ANON_PRIV);
	unsigned long far = 9UL << PGDIR_SHIFT;
	struct task_struct *c = NULL;
	int err = -ENOMEM;

	(void)state;
	assert_int_equal(pnm_mm_mmap(p->mm, far, PAGE_SIZE, PROT_RW,
				  MAP_ANON_PRIV | MAP_FIXED, NULL, 0), (long)far);
	for (int i = 0; i < 64; i++)
		test_write_byte(p, x + i * PAGE_SIZE, (unsigned char)i);
	test_write_byte(p, far, 0xee);
	for (unsigned long n = 1; n < 50 && err; n++) {
		pnm_fail_nth_alloc(n);
		err = pnm_task_fork(p, "child", &c);
		pnm_fail_nth_alloc(0);
		assert_true(err == 0 || err == -ENOMEM);
		CHECK_ALL();
	}
	assert_int_equal(err, 0);
	for (int i = 0; i < 64; i++) {
		assert_int_equal(test_read_byte(p, x + i * PAGE_SIZE), i);
		assert_int_equal(test_read_byte(c, x + i * PAGE_SIZE), i);
	}
	assert_int_equal(test_read_byte(c, far), 0xee);
	test_write_byte(p, x, 0xff);
	assert_int_equal(test_read_byte(c, x), 0);
	CHECK_ALL();
}

/* MAP_SHARED|MAP_ANONYMOUS stays shared with a forked child both ways. */
static void test_shared_anon_fork(void **state)
{
	struct task_struct *p = test_task_create("parent"), *c;
	unsigned long x = test_mmap(p, 4 * PAGE_SIZE, PROT_RW, MAP_ANON_SHARED);

	(void)state;
	test_write_byte(p, x, 0x61);
	assert_true(is_writable(p, x));
	c = test_fork(p);
	assert_int_equal(test_read_byte(c, x), 0x61);
	assert_int_equal(test_pfn(c, x), test_pfn(p, x));
	test_write_byte(c, x + 1, 0x62);
	assert_int_equal(test_read_byte(p, x + 1), 0x62);
	/* A page first touched by the child is seen by the parent. */
	test_write_byte(c, x + 3 * PAGE_SIZE, 0x63);
	assert_int_equal(test_read_byte(p, x + 3 * PAGE_SIZE), 0x63);
	assert_int_equal(test_pfn(c, x + 3 * PAGE_SIZE), test_pfn(p, x + 3 * PAGE_SIZE));
	assert_int_equal(get_mm_counter(p->mm, MM_ANONPAGES), 0);
	assert_int_equal(get_mm_counter(p->mm, MM_SHMEMPAGES), 2);
	CHECK_ALL();
	/* Read faults map the page read-only; the write then upgrades it. */
	assert_int_equal(test_read_byte(p, x + 2 * PAGE_SIZE), 0);
	assert_false(is_writable(p, x + 2 * PAGE_SIZE));
	test_write_byte(p, x + 2 * PAGE_SIZE, 0x64);
	assert_true(is_writable(p, x + 2 * PAGE_SIZE));
	assert_int_equal(test_read_byte(c, x + 2 * PAGE_SIZE), 0x64);
	pnm_task_exit(p);
	assert_int_equal(test_read_byte(c, x + 1), 0x62);
	CHECK_ALL();
}

/* MADV_DONTNEED zaps: the pages go, the next read sees zeroes. */
static void test_zap(void **state)
{
	struct task_struct *t = test_task_create("zap");
	unsigned long x = test_mmap(t, 8 * PAGE_SIZE, PROT_RW, MAP_ANON_PRIV);
	unsigned long free_before;

	(void)state;
	for (int i = 0; i < 8; i++)
		test_write_byte(t, x + i * PAGE_SIZE, 1);
	free_before = pnm_nr_free_frames();
	assert_int_equal(get_mm_counter(t->mm, MM_ANONPAGES), 8);
	assert_int_equal(pnm_mm_madvise(t->mm, x + 2 * PAGE_SIZE, 4 * PAGE_SIZE, MADV_DONTNEED), 0);
	assert_int_equal(pnm_nr_free_frames(), free_before + 4);
	assert_int_equal(get_mm_counter(t->mm, MM_ANONPAGES), 4);
	assert_int_equal(test_read_byte(t, x + 2 * PAGE_SIZE), 0);
	assert_int_equal(test_read_byte(t, x + 1 * PAGE_SIZE), 1);
	assert_int_equal(test_read_byte(t, x + 6 * PAGE_SIZE), 1);
	CHECK_ALL();
}

/*
 * A shmem file mapped MAP_SHARED by one process and MAP_PRIVATE by
 * another: the private mapping reads the page-cache page (read-only), a
 * write copies it into a private anon page (the file is unchanged), a
 * first write to an untouched page copies too (do_cow_fault), unshare
 * replaces a file page by a read-only anon copy, fork shares the file
 * page read-only, and an access beyond the end of the file is refused.
 */
static void test_file_private(void **state)
{
	struct task_struct *a = test_task_create("sharer"), *b = test_task_create("private");
	struct file *f = shmem_file_setup("obj", 4 * PAGE_SIZE);
	unsigned long xa, xb, cache_pfn, page2;
	struct task_struct *c;
	long copies;
	unsigned char v;

	(void)state;
	assert_non_null(f);
	xa = (unsigned long)pnm_mm_mmap(a->mm, 0, 4 * PAGE_SIZE, PROT_RW, MAP_SHARED, f, 0);
	xb = (unsigned long)pnm_mm_mmap(b->mm, 0, 8 * PAGE_SIZE, PROT_RW, MAP_PRIVATE, f, 0);
	assert_false(IS_ERR_VALUE(xa));
	assert_false(IS_ERR_VALUE(xb));
	fput(f);		/* the VMAs hold the file now */
	test_write_byte(a, xa, 0x71);
	cache_pfn = test_pfn(a, xa);
	assert_false(PageAnonExclusive(pfn_to_page(cache_pfn)));
	assert_int_equal(get_mm_counter(a->mm, MM_SHMEMPAGES), 1);

	/* Private read: the cache page itself, read-only. */
	assert_int_equal(test_read_byte(b, xb), 0x71);
	assert_int_equal(test_pfn(b, xb), cache_pfn);
	assert_false(is_writable(b, xb));
	CHECK_ALL();

	/* Private write: a private copy; the sharer does not see it. */
	copies = global_stat(PNM_COW_COPY);
	test_write_byte(b, xb + 1, 0x72);
	assert_int_equal(global_stat(PNM_COW_COPY), copies + 1);
	assert_int_not_equal(test_pfn(b, xb), cache_pfn);
	assert_true(exclusive_at(b, xb));
	assert_int_equal(test_read_byte(b, xb), 0x71);
	assert_int_equal(test_read_byte(a, xa + 1), 0);
	assert_int_equal(get_mm_counter(b->mm, MM_ANONPAGES), 1);
	assert_int_equal(get_mm_counter(b->mm, MM_SHMEMPAGES), 0);
	/* Later sharer writes are not seen through the private copy. */
	test_write_byte(a, xa, 0x73);
	assert_int_equal(test_read_byte(b, xb), 0x71);
	CHECK_ALL();

	/* First touch is a write: do_cow_fault copies the file page. */
	test_write_byte(a, xa + PAGE_SIZE + 9, 0x74);
	test_write_byte(b, xb + PAGE_SIZE, 0x75);
	assert_int_equal(test_read_byte(b, xb + PAGE_SIZE + 9), 0x74);
	assert_int_equal(test_read_byte(a, xa + PAGE_SIZE), 0);
	assert_int_not_equal(test_pfn(b, xb + PAGE_SIZE), test_pfn(a, xa + PAGE_SIZE));
	CHECK_ALL();

	/* Fork: the child shares the file page read-only, and the COW copy. */
	assert_int_equal(test_read_byte(b, xb + 2 * PAGE_SIZE), 0);
	page2 = test_pfn(b, xb + 2 * PAGE_SIZE);
	assert_false(folio_test_anon(pfn_folio(page2)));
	c = test_fork(b);
	assert_int_equal(test_pfn(c, xb + 2 * PAGE_SIZE), page2);
	assert_int_equal(test_pfn(c, xb), test_pfn(b, xb));
	assert_int_equal(test_read_byte(c, xb + 1), 0x72);
	CHECK_ALL();

	/* Unshare of a file page in a COW mapping: a read-only anon copy. */
	assert_int_equal(fault(c, xb + 2 * PAGE_SIZE, FAULT_FLAG_UNSHARE), 0);
	assert_int_not_equal(test_pfn(c, xb + 2 * PAGE_SIZE), page2);
	assert_int_equal(test_pfn(b, xb + 2 * PAGE_SIZE), page2);
	assert_false(is_writable(c, xb + 2 * PAGE_SIZE));
	assert_true(exclusive_at(c, xb + 2 * PAGE_SIZE));
	CHECK_ALL();

	/* Beyond the end of the 4-page object: SIGBUS, -EFAULT. */
	assert_int_equal(pnm_user_read(b, xb + 5 * PAGE_SIZE, &v, 1), -EFAULT);
	assert_int_equal(fault(b, xb + 5 * PAGE_SIZE, 0), VM_FAULT_SIGBUS);
	CHECK_ALL();
	pnm_task_exit(a);
	assert_int_equal(test_read_byte(c, xb), 0x71);
	assert_int_equal(test_read_byte(b, xb + PAGE_SIZE + 9), 0x74);
	CHECK_ALL();
}

/* A shmem file whose mappings also have ->page_mkwrite (write-notify). */
static int (*shmem_f_mmap)(struct file *file, struct vm_area_struct *vma);
static struct vm_operations_struct mkwrite_ops;
static struct file_operations mkwrite_fops;
static atomic_t mkwrite_calls;
static vm_fault_t mkwrite_result;

static vm_fault_t counting_mkwrite(struct vm_fault *vmf)
{
	(void)vmf;
	atomic_inc(&mkwrite_calls);
	return mkwrite_result;
}

static int mkwrite_mmap(struct file *file, struct vm_area_struct *vma)
{
	int err = shmem_f_mmap(file, vma);

	if (err)
		return err;
	mkwrite_ops = *vma->vm_ops;
	mkwrite_ops.page_mkwrite = counting_mkwrite;
	vma->vm_ops = &mkwrite_ops;
	return 0;
}

/*
 * Shared file mappings tell the filesystem before a page becomes writable:
 * a read fault maps read-only, the first write calls ->page_mkwrite (from
 * do_wp_page, or at once when the first touch is a write); a refusing
 * ->page_mkwrite fails the access and changes nothing.
 */
static void test_file_shared_mkwrite(void **state)
{
	struct task_struct *t = test_task_create("mkwrite");
	struct file *f = shmem_file_setup("notify", 4 * PAGE_SIZE);
	unsigned long x, pfn;
	unsigned char v = 9;

	(void)state;
	assert_non_null(f);
	shmem_f_mmap = f->f_op->mmap;
	mkwrite_fops = *f->f_op;
	mkwrite_fops.mmap = mkwrite_mmap;
	f->f_op = &mkwrite_fops;
	atomic_set(&mkwrite_calls, 0);
	mkwrite_result = 0;
	x = (unsigned long)pnm_mm_mmap(t->mm, 0, 4 * PAGE_SIZE, PROT_RW, MAP_SHARED, f, 0);
	assert_false(IS_ERR_VALUE(x));
	fput(f);

	assert_int_equal(test_read_byte(t, x), 0);
	assert_false(is_writable(t, x));
	assert_int_equal(atomic_read(&mkwrite_calls), 0);
	pfn = test_pfn(t, x);
	test_write_byte(t, x, 1);
	assert_int_equal(atomic_read(&mkwrite_calls), 1);
	assert_true(is_writable(t, x));
	assert_int_equal(test_pfn(t, x), pfn);
	assert_true(folio_test_dirty(pfn_folio(pfn)));
	test_write_byte(t, x + 1, 2);		/* already writable */
	assert_int_equal(atomic_read(&mkwrite_calls), 1);
	test_write_byte(t, x + PAGE_SIZE, 3);	/* first touch is a write */
	assert_int_equal(atomic_read(&mkwrite_calls), 2);
	assert_true(is_writable(t, x + PAGE_SIZE));
	CHECK_ALL();

	/* The filesystem refuses: -EFAULT, the page stays read-only. */
	mkwrite_result = VM_FAULT_SIGBUS;
	assert_int_equal(test_read_byte(t, x + 2 * PAGE_SIZE), 0);
	assert_int_equal(pnm_user_write(t, x + 2 * PAGE_SIZE, &v, 1), -EFAULT);
	assert_false(is_writable(t, x + 2 * PAGE_SIZE));
	assert_int_equal(pnm_user_write(t, x + 3 * PAGE_SIZE, &v, 1), -EFAULT);
	assert_int_equal(atomic_read(&mkwrite_calls), 4);
	assert_int_equal(test_read_byte(t, x + 3 * PAGE_SIZE), 0);
	CHECK_ALL();
	mkwrite_result = 0;
	test_write_byte(t, x + 2 * PAGE_SIZE, 4);
	assert_int_equal(test_read_byte(t, x + 2 * PAGE_SIZE), 4);
	CHECK_ALL();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_zero_page_then_private, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_demand_zero_write, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_round_trip, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_fork_cow, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_fork_zero_page, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_unshare, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_refused_access, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_non_user_faults, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_fault_enomem, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_fork_enomem, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_shared_anon_fork, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_zap, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_file_private, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_file_shared_mkwrite, pnm_test_setup, pnm_test_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
