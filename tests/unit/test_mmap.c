// SPDX-License-Identifier: MIT
/*
 * test_mmap.c - mmap(2)/munmap(2) semantics (mmap.c).
 *
 * Every error case runs against a populated address space and asserts
 * that nothing changed afterwards: the same VMA layout, the same counters,
 * the same data.  The success cases cover MAP_FIXED replacement,
 * MAP_FIXED_NOREPLACE, hints, top-down placement and merging, partial
 * munmap, page-table freeing, shared anonymous memory and MAP_POPULATE.
 */
#include <string.h>

#include "test_util.h"
#include "pinmm_test_internal.h"

#define PG	PAGE_SIZE
#define RW	(PROT_READ | PROT_WRITE)
#define PRIV	(MAP_PRIVATE | MAP_ANONYMOUS)
#define SHARED	(MAP_SHARED | MAP_ANONYMOUS)

/* --- "nothing changed" snapshots ------------------------------------------- */

#define SNAP_MAX 32
struct snap {
	int nr;
	struct {
		unsigned long start, end, flags, pgoff;
		void *file;
	} v[SNAP_MAX];
	int map_count;
	unsigned long total_vm;
	long rss[NR_MM_COUNTERS];
	long pgtables;
	long free_pages;
	unsigned long allocated;
};

static void snap_take(struct mm_struct *mm, struct snap *s)
{
	struct vm_area_struct *vma;

	memset(s, 0, sizeof(*s));
	mmap_read_lock(mm);
	for_each_vma(mm, vma) {
		assert_true(s->nr < SNAP_MAX);
		s->v[s->nr].start = vma->vm_start;
		s->v[s->nr].end = vma->vm_end;
		s->v[s->nr].flags = vma->vm_flags;
		s->v[s->nr].pgoff = vma->vm_pgoff;
		s->v[s->nr].file = vma->vm_file;
		s->nr++;
	}
	s->map_count = mm->map_count;
	s->total_vm = mm->total_vm;
	mmap_read_unlock(mm);
	for (int i = 0; i < NR_MM_COUNTERS; i++)
		s->rss[i] = get_mm_counter(mm, i);
	s->pgtables = atomic_long_read(&mm->pgtables_bytes);
	s->free_pages = global_stat(NR_FREE_PAGES);
	s->allocated = pnm_nr_allocated_frames();
}

static void snap_expect_same(struct mm_struct *mm, const struct snap *a)
{
	struct snap b;

	snap_take(mm, &b);
	assert_memory_equal(a, &b, sizeof(b));
}

/* Fill page @i of [base, ...) with a byte pattern derived from @seed. */
static void fill_page(struct task_struct *t, unsigned long base, int i, int seed)
{
	unsigned char buf[PAGE_SIZE];

	memset(buf, (seed * 31 + i) & 0xff, sizeof(buf));
	assert_int_equal(pnm_user_write(t, base + i * PG, buf, PG), 0);
}

static void expect_page(struct task_struct *t, unsigned long base, int i, int seed)
{
	unsigned char buf[PAGE_SIZE], want[PAGE_SIZE];

	memset(want, seed < 0 ? 0 : (seed * 31 + i) & 0xff, sizeof(want));
	assert_int_equal(pnm_user_read(t, base + i * PG, buf, PG), 0);
	assert_memory_equal(buf, want, PG);
}

/* A task with some mappings and data to disturb: 8 written anon pages, a
 * read-only area and a shared area. */
static struct task_struct *busy_task(unsigned long *base)
{
	struct task_struct *t = test_task_create("mmap");

	assert_non_null(t);
	*base = test_mmap(t, 8 * PG, RW, PRIV);
	for (int i = 0; i < 8; i++)
		fill_page(t, *base, i, 1);
	test_mmap(t, 4 * PG, PROT_READ, PRIV);
	unsigned long sh = test_mmap(t, 4 * PG, RW, SHARED);
	fill_page(t, sh, 0, 2);
	CHECK_ALL();
	return t;
}

/* --- errors ----------------------------------------------------------------- */

struct mmap_case {
	const char *what;
	unsigned long addr, len, prot, flags, off;
	long expect;
};

static void test_mmap_errors_change_nothing(void **state)
{
	unsigned long base;
	struct task_struct *t = busy_task(&base);
	struct mm_struct *mm = t->mm;
	struct snap s;
	const struct mmap_case cases[] = {
		{ "zero length", 0, 0, RW, PRIV, 0, -EINVAL },
		{ "unaligned offset", 0, PG, RW, PRIV, 100, -EINVAL },
		{ "unaligned fixed", base + 1, PG, RW, PRIV | MAP_FIXED, 0, -EINVAL },
		{ "unaligned noreplace", base + 1, PG, RW, PRIV | MAP_FIXED_NOREPLACE, 0, -EINVAL },
		{ "length overflow", 0, ~0UL - 100, RW, PRIV, 0, -ENOMEM },
		{ "length > task size", 0, TASK_SIZE, RW, PRIV, 0, -ENOMEM },
		{ "unknown prot", 0, PG, RW | 0x100, PRIV, 0, -EINVAL },
		{ "prot growsdown", 0, PG, RW | PROT_GROWSDOWN, PRIV, 0, -EINVAL },
		{ "unknown flag", 0, PG, RW, PRIV | MAP_LOCKED, 0, -EINVAL },
		{ "unknown flag shared", 0, PG, RW, SHARED | MAP_GROWSDOWN, 0, -EINVAL },
		{ "no type", 0, PG, RW, MAP_ANONYMOUS, 0, -EINVAL },
		{ "both types", 0, PG, RW, MAP_SHARED | MAP_PRIVATE | MAP_ANONYMOUS, 0, -EINVAL },
		{ "fixed below min", 0x1000, PG, RW, PRIV | MAP_FIXED, 0, -EPERM },
		{ "fixed at 0", 0, PG, RW, PRIV | MAP_FIXED, 0, -EPERM },
		{ "fixed beyond top", TASK_SIZE - PG, 2 * PG, RW, PRIV | MAP_FIXED, 0, -ENOMEM },
		{ "fixed at top", TASK_SIZE, PG, RW, PRIV | MAP_FIXED, 0, -ENOMEM },
		{ "noreplace overlap", base + 2 * PG, PG, RW, PRIV | MAP_FIXED_NOREPLACE, 0, -EEXIST },
		{ "noreplace overlap edge", base - PG, 2 * PG, RW, PRIV | MAP_FIXED_NOREPLACE, 0, -EEXIST },
	};

	(void)state;
	snap_take(mm, &s);
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		const struct mmap_case *c = &cases[i];
		long ret = pnm_mm_mmap(mm, c->addr, c->len, c->prot, c->flags, NULL, c->off);

		if (ret != c->expect)
			fail_msg("%s: got %ld, expected %ld", c->what, ret, c->expect);
		snap_expect_same(mm, &s);
	}
	for (int i = 0; i < 8; i++)
		expect_page(t, base, i, 1);
	CHECK_ALL();
}

static void test_munmap_errors_change_nothing(void **state)
{
	unsigned long base;
	struct task_struct *t = busy_task(&base);
	struct mm_struct *mm = t->mm;
	struct snap s;

	(void)state;
	snap_take(mm, &s);
	assert_int_equal(pnm_mm_munmap(mm, base + 1, PG), -EINVAL);
	assert_int_equal(pnm_mm_munmap(mm, base, 0), -EINVAL);
	assert_int_equal(pnm_mm_munmap(mm, TASK_SIZE + PG, PG), -EINVAL);
	assert_int_equal(pnm_mm_munmap(mm, base, ~0UL - PG), -EINVAL);
	assert_int_equal(pnm_mm_munmap(mm, base, TASK_SIZE), -EINVAL);
	snap_expect_same(mm, &s);
	/* Unmapping nothing succeeds and changes nothing. */
	assert_int_equal(pnm_mm_munmap(mm, MMAP_MIN_ADDR, PG), 0);
	snap_expect_same(mm, &s);
	for (int i = 0; i < 8; i++)
		expect_page(t, base, i, 1);
	CHECK_ALL();
}

/* A file whose mode forbids the mapping: -EACCES, nothing changed. */
static void test_file_mode_rules(void **state)
{
	unsigned long base;
	struct task_struct *t = busy_task(&base);
	struct mm_struct *mm = t->mm;
	struct file *f = shmem_file_setup("ro", 16 * PG);
	struct vm_area_struct *vma;
	struct snap s;
	long addr;

	(void)state;
	assert_non_null(f);
	snap_take(mm, &s);
	f->f_mode = FMODE_READ;
	assert_int_equal(pnm_mm_mmap(mm, 0, PG, RW, MAP_SHARED, f, 0), -EACCES);
	f->f_mode = FMODE_WRITE;
	assert_int_equal(pnm_mm_mmap(mm, 0, PG, PROT_READ, MAP_PRIVATE, f, 0), -EACCES);
	assert_int_equal(pnm_mm_mmap(mm, 0, PG, PROT_READ, MAP_SHARED, f, 0), -EACCES);
	f->f_mode = FMODE_READ | FMODE_WRITE;
	assert_int_equal(pnm_mm_mmap(mm, 0, PG, RW, MAP_SHARED | MAP_ANONYMOUS, f, 0), -EINVAL);
	assert_int_equal(pnm_mm_mmap(mm, 0, PG, RW, MAP_SHARED, f, 123), -EINVAL);
	snap_expect_same(mm, &s);
	assert_int_equal(atomic_long_read(&f->f_count), 1);

	/* Read-only file, shared read-only mapping: allowed, never writable. */
	f->f_mode = FMODE_READ;
	addr = pnm_mm_mmap(mm, 0, 4 * PG, PROT_READ, MAP_SHARED, f, 4 * PG);
	assert_true(addr > 0);
	mmap_read_lock(mm);
	vma = vma_lookup(mm, (unsigned long)addr);
	assert_non_null(vma);
	assert_true(vma->vm_flags & VM_MAYSHARE);
	assert_false(vma->vm_flags & (VM_SHARED | VM_MAYWRITE | VM_WRITE));
	assert_int_equal(vma->vm_pgoff, 4);
	assert_ptr_equal(vma->vm_file, f);
	mmap_read_unlock(mm);
	assert_int_equal(atomic_long_read(&f->f_count), 2);
	/* Private mapping of a read-only file may be writable (COW). */
	addr = pnm_mm_mmap(mm, 0, 4 * PG, RW, MAP_PRIVATE, f, 0);
	assert_true(addr > 0);
	mmap_read_lock(mm);
	vma = vma_lookup(mm, (unsigned long)addr);
	assert_true(vma->vm_flags & VM_WRITE);
	assert_true(vma->vm_flags & VM_MAYWRITE);
	assert_false(vma->vm_flags & VM_SHARED);
	mmap_read_unlock(mm);
	test_write_byte(t, (unsigned long)addr, 0x5a);
	assert_int_equal(test_read_byte(t, (unsigned long)addr), 0x5a);
	CHECK_ALL();
	fput(f);		/* the VMAs keep the object alive */
	assert_int_equal(test_read_byte(t, (unsigned long)addr + PG), 0);
	CHECK_ALL();
}

/* --- placement ------------------------------------------------------------- */

static void test_topdown_and_merge(void **state)
{
	struct task_struct *t = test_task_create("mmap");
	struct mm_struct *mm = t->mm;
	unsigned long a, b, c;

	(void)state;
	a = test_mmap(t, 4 * PG, RW, PRIV);
	assert_true(a < MMAP_BASE && a >= MMAP_BASE - 4 * PG - PMD_SIZE);
	b = test_mmap(t, 4 * PG, RW, PRIV);
	assert_int_equal(b, a - 4 * PG);		/* directly below */
	assert_int_equal(mm->map_count, 1);		/* merged */
	c = test_mmap(t, 4 * PG, PROT_READ, PRIV);
	assert_int_equal(c, b - 4 * PG);
	assert_int_equal(mm->map_count, 2);		/* flags differ */
	assert_int_equal(mm->total_vm, 12);
	/* A PMD-multiple anonymous mapping is PMD aligned. */
	unsigned long h = test_mmap(t, 2 * PMD_SIZE, RW, PRIV);
	assert_true(IS_ALIGNED(h, PMD_SIZE));
	assert_true(h + 2 * PMD_SIZE <= c);
	CHECK_ALL();
}

static void test_hints(void **state)
{
	struct task_struct *t = test_task_create("mmap");
	struct mm_struct *mm = t->mm;
	unsigned long hint = 0x200000000UL;
	long a, b;

	(void)state;
	a = pnm_mm_mmap(mm, hint, 4 * PG, RW, PRIV, NULL, 0);
	assert_int_equal(a, hint);			/* free: honoured */
	b = pnm_mm_mmap(mm, hint + PG, 4 * PG, RW, PRIV, NULL, 0);
	assert_true(b > 0);
	assert_true((unsigned long)b + 4 * PG <= hint ||
		    (unsigned long)b >= hint + 4 * PG);	/* taken: elsewhere */
	a = pnm_mm_mmap(mm, hint + 16 * PG + 123, PG, RW, PRIV, NULL, 0);
	assert_int_equal(a, hint + 16 * PG);		/* rounded down */
	a = pnm_mm_mmap(mm, 0x1000, PG, RW, PRIV, NULL, 0);
	assert_int_equal(a, MMAP_MIN_ADDR);		/* raised to the minimum */
	a = pnm_mm_mmap(mm, TASK_SIZE - PG, 2 * PG, RW, PRIV, NULL, 0);
	assert_true(a > 0 && (unsigned long)a + 2 * PG <= TASK_SIZE);
	CHECK_ALL();
}

static void test_fixed_noreplace(void **state)
{
	struct task_struct *t = test_task_create("mmap");
	struct mm_struct *mm = t->mm;
	unsigned long where = 0x300000000UL;

	(void)state;
	assert_int_equal(pnm_mm_mmap(mm, where, 4 * PG, RW, PRIV | MAP_FIXED_NOREPLACE, NULL, 0),
			 where);
	fill_page(t, where, 0, 3);
	assert_int_equal(pnm_mm_mmap(mm, where + 3 * PG, 4 * PG, RW,
				  PRIV | MAP_FIXED_NOREPLACE, NULL, 0), -EEXIST);
	assert_int_equal(pnm_mm_mmap(mm, where + 4 * PG, 4 * PG, RW,
				  PRIV | MAP_FIXED_NOREPLACE, NULL, 0), where + 4 * PG);
	assert_int_equal(mm->map_count, 1);
	expect_page(t, where, 0, 3);
	CHECK_ALL();
}

/* --- MAP_FIXED replacement and partial munmap ------------------------------------ */

static void test_fixed_replaces(void **state)
{
	struct task_struct *t = test_task_create("mmap");
	struct mm_struct *mm = t->mm;
	unsigned long base = test_mmap(t, 8 * PG, RW, PRIV);
	long anon_before;

	(void)state;
	for (int i = 0; i < 8; i++)
		fill_page(t, base, i, 4);
	anon_before = get_mm_counter(mm, MM_ANONPAGES);
	assert_int_equal(anon_before, 8);

	/* Same flags: the replacement merges back into one VMA. */
	assert_int_equal(pnm_mm_mmap(mm, base + 2 * PG, 3 * PG, RW, PRIV | MAP_FIXED, NULL, 0),
			 base + 2 * PG);
	assert_int_equal(mm->map_count, 1);
	assert_int_equal(mm->total_vm, 8);
	assert_int_equal(get_mm_counter(mm, MM_ANONPAGES), 5);
	for (int i = 0; i < 8; i++)
		expect_page(t, base, i, (i >= 2 && i < 5) ? -1 : 4);
	CHECK_ALL();

	/* Different protection: three VMAs; the middle one is read-only. */
	assert_int_equal(pnm_mm_mmap(mm, base + 3 * PG, 2 * PG, PROT_READ, PRIV | MAP_FIXED,
				  NULL, 0), base + 3 * PG);
	assert_int_equal(mm->map_count, 3);
	assert_int_equal(pnm_user_write(t, base + 3 * PG, "x", 1), -EFAULT);
	expect_page(t, base, 5, 4);
	expect_page(t, base, 1, 4);
	CHECK_ALL();

	/* Over several VMAs and a hole, with a shared mapping. */
	assert_int_equal(pnm_mm_munmap(mm, base + 6 * PG, PG), 0);
	assert_int_equal(pnm_mm_mmap(mm, base + PG, 7 * PG, RW, SHARED | MAP_FIXED, NULL, 0),
			 base + PG);
	assert_int_equal(mm->map_count, 2);
	assert_int_equal(mm->total_vm, 8);
	expect_page(t, base, 0, 4);
	for (int i = 1; i < 8; i++)
		expect_page(t, base, i, -1);
	assert_int_equal(get_mm_counter(mm, MM_ANONPAGES), 1);
	CHECK_ALL();
}

static void test_munmap_middle(void **state)
{
	struct task_struct *t = test_task_create("mmap");
	struct mm_struct *mm = t->mm;
	unsigned long base = test_mmap(t, 8 * PG, RW, PRIV);
	long free_before;

	(void)state;
	for (int i = 0; i < 8; i++)
		fill_page(t, base, i, 5);
	free_before = global_stat(NR_FREE_PAGES);
	assert_int_equal(pnm_mm_munmap(mm, base + 3 * PG, 2 * PG), 0);
	assert_int_equal(mm->map_count, 2);
	assert_int_equal(mm->total_vm, 6);
	assert_int_equal(get_mm_counter(mm, MM_ANONPAGES), 6);
	assert_int_equal(global_stat(NR_FREE_PAGES), free_before + 2);
	mmap_read_lock(mm);
	assert_int_equal(find_vma(mm, 0)->vm_end, base + 3 * PG);
	assert_int_equal(find_vma(mm, base + 3 * PG)->vm_start, base + 5 * PG);
	assert_int_equal(find_vma(mm, base + 3 * PG)->vm_pgoff, (base >> PAGE_SHIFT) + 5);
	mmap_read_unlock(mm);
	for (int i = 0; i < 8; i++) {
		if (i == 3 || i == 4) {
			unsigned char c;

			assert_int_equal(pnm_user_read(t, base + i * PG, &c, 1), -EFAULT);
		} else {
			expect_page(t, base, i, 5);
		}
	}
	CHECK_ALL();

	/* Across the hole and both pieces' edges. */
	assert_int_equal(pnm_mm_munmap(mm, base + 2 * PG, 4 * PG), 0);
	assert_int_equal(mm->map_count, 2);
	assert_int_equal(mm->total_vm, 4);
	expect_page(t, base, 1, 5);
	expect_page(t, base, 6, 5);
	/* Everything, with an unaligned length. */
	assert_int_equal(pnm_mm_munmap(mm, base, 8 * PG - 1), 0);
	assert_int_equal(mm->map_count, 0);
	assert_int_equal(get_mm_rss(mm), 0);
	CHECK_ALL();
}

/* Unmapping everything frees the page tables under it. */
static void test_munmap_frees_tables(void **state)
{
	struct task_struct *t = test_task_create("mmap");
	struct mm_struct *mm = t->mm;
	long empty = atomic_long_read(&mm->pgtables_bytes);
	unsigned long a = test_mmap(t, 64 * PG, RW, PRIV);
	unsigned long b = test_mmap(t, 8 * PMD_SIZE, RW, PRIV);

	(void)state;
	for (int i = 0; i < 64; i += 7)
		test_write_byte(t, a + i * PG, 1);
	for (unsigned long off = 0; off < 8 * PMD_SIZE; off += PMD_SIZE / 2)
		test_write_byte(t, b + off, 2);
	assert_true(atomic_long_read(&mm->pgtables_bytes) > empty);
	/* Unmapping half of b keeps a's and b's other tables. */
	assert_int_equal(pnm_mm_munmap(mm, b, 4 * PMD_SIZE), 0);
	assert_true(atomic_long_read(&mm->pgtables_bytes) > empty);
	assert_int_equal(test_read_byte(t, b + 4 * PMD_SIZE), 2);
	CHECK_ALL();
	assert_int_equal(pnm_mm_munmap(mm, a, 64 * PG), 0);
	assert_int_equal(pnm_mm_munmap(mm, b, 8 * PMD_SIZE), 0);
	assert_int_equal(atomic_long_read(&mm->pgtables_bytes), empty);
	assert_int_equal(get_mm_rss(mm), 0);
	CHECK_ALL();
}

/* --- shared anonymous memory --------------------------------------------------- */

static void test_shared_anon(void **state)
{
	struct task_struct *t = test_task_create("mmap");
	struct mm_struct *mm = t->mm;
	unsigned long sh = test_mmap(t, 4 * PG, RW, SHARED);
	struct vm_area_struct *vma;
	long file_before = global_stat(NR_FILE_PAGES);
	long shmem_before = global_stat(NR_SHMEM);

	(void)state;
	mmap_read_lock(mm);
	vma = vma_lookup(mm, sh);
	assert_non_null(vma);
	assert_non_null(vma->vm_file);
	assert_non_null(vma->vm_ops);
	assert_string_equal(vma->vm_ops->name(vma), "[shmem]");
	assert_true(vma->vm_flags & VM_SHARED);
	assert_true(vma->vm_flags & VM_MAYSHARE);
	assert_int_equal(vma->vm_pgoff, 0);
	mmap_read_unlock(mm);

	expect_page(t, sh, 1, -1);		/* zero-filled */
	fill_page(t, sh, 2, 6);
	expect_page(t, sh, 2, 6);
	assert_int_equal(global_stat(NR_FILE_PAGES), file_before + 2);
	assert_int_equal(global_stat(NR_SHMEM), shmem_before + 2);
	assert_int_equal(get_mm_counter(mm, MM_SHMEMPAGES), 2);
	CHECK_ALL();
	/* Unmapping the last VMA drops the object and its cache. */
	assert_int_equal(pnm_mm_munmap(mm, sh, 4 * PG), 0);
	assert_int_equal(global_stat(NR_FILE_PAGES), file_before);
	assert_int_equal(global_stat(NR_SHMEM), shmem_before);
	CHECK_ALL();
}

/* --- MAP_POPULATE ------------------------------------------------------------------- */

static void test_populate(void **state)
{
	struct task_struct *t = test_task_create("mmap");
	struct mm_struct *mm = t->mm;
	unsigned long a, n = 16;
	long faults;

	(void)state;
	a = test_mmap(t, n * PG, RW, PRIV | MAP_POPULATE);
	assert_int_equal(get_mm_counter(mm, MM_ANONPAGES), n);
	faults = global_stat(PGFAULT);
	for (unsigned long i = 0; i < n; i++) {
		bool w;
		unsigned long pfn;

		assert_int_equal(pnm_mm_translate(mm, a + i * PG, &pfn, &w), 0);
		assert_true(w);		/* private writable: write-faulted */
		fill_page(t, a, (int)i, 7);
		expect_page(t, a, (int)i, 7);
	}
	assert_int_equal(global_stat(PGFAULT), faults);	/* no faults */

	/* Read-only private: populated with the zero page (no RSS). */
	a = test_mmap(t, 4 * PG, PROT_READ, PRIV | MAP_POPULATE);
	assert_int_equal(get_mm_counter(mm, MM_ANONPAGES), n);
	faults = global_stat(PGFAULT);
	expect_page(t, a, 3, -1);
	assert_int_equal(global_stat(PGFAULT), faults);
	assert_int_equal(test_pfn(t, a), pnm_mem.zero_pfn);

	/* Shared: the object's pages are mapped. */
	a = test_mmap(t, 4 * PG, RW, SHARED | MAP_POPULATE);
	assert_int_equal(get_mm_counter(mm, MM_SHMEMPAGES), 4);
	faults = global_stat(PGFAULT);
	expect_page(t, a, 2, -1);
	assert_int_equal(global_stat(PGFAULT), faults);

	/* PROT_NONE: nothing to populate. */
	a = test_mmap(t, 4 * PG, PROT_NONE, PRIV | MAP_POPULATE);
	assert_int_equal(get_mm_counter(mm, MM_ANONPAGES), n);
	CHECK_ALL();
}

/* Population that runs out of memory does not fail the mmap. */
static void test_populate_oom(void **state)
{
	struct task_struct *t = test_task_create("mmap");
	struct mm_struct *mm = t->mm;
	long a;

	(void)state;
	pnm_fail_nth_alloc(3);
	a = pnm_mm_mmap(mm, 0, 16 * PG, RW, PRIV | MAP_POPULATE, NULL, 0);
	pnm_fail_nth_alloc(0);
	assert_true(a > 0);
	assert_true(get_mm_counter(mm, MM_ANONPAGES) < 16);
	assert_int_equal(mm->map_count, 1);
	fill_page(t, (unsigned long)a, 15, 8);
	expect_page(t, (unsigned long)a, 15, 8);
	CHECK_ALL();
}

/*
 * munmap of one page inside a THP: the huge PMD is split first (a PMD
 * mapping must lie inside one VMA), the rest of the THP keeps its data.
 * (The split needs no frame -- huge PMDs deposit their PTE table -- so
 * there is no -ENOMEM path to inject here.)
 */
static void test_munmap_inside_thp(void **state)
{
	struct task_struct *t = test_task_create("mmap");
	struct mm_struct *mm = t->mm;
	unsigned long a = test_mmap(t, 2 * PMD_SIZE, RW, PRIV);
	long thp_before = global_stat(THP_FAULT_ALLOC);
	long splits;

	(void)state;
	assert_int_equal(pnm_mm_madvise(mm, a, 2 * PMD_SIZE, MADV_HUGEPAGE), 0);
	fill_page(t, a, 5, 9);
	fill_page(t, a, 511, 9);
	if (global_stat(THP_FAULT_ALLOC) == thp_before) {
		/* No THP in this configuration: nothing to split. */
		CHECK_ALL();
		return;
	}
	splits = global_stat(THP_SPLIT_PMD);
	assert_int_equal(pnm_mm_munmap(mm, a + 7 * PG, PG), 0);
	assert_int_equal(global_stat(THP_SPLIT_PMD), splits + 1);
	assert_int_equal(mm->map_count, 2);
	assert_int_equal(get_mm_counter(mm, MM_ANONPAGES), 511);
	expect_page(t, a, 5, 9);
	expect_page(t, a, 511, 9);
	expect_page(t, a, 8, -1);
	CHECK_ALL();
	/* A PMD-aligned munmap of the whole THP needs no split. */
	fill_page(t, a, 512 + 3, 9);
	splits = global_stat(THP_SPLIT_PMD);
	assert_int_equal(pnm_mm_munmap(mm, a + PMD_SIZE, PMD_SIZE), 0);
	assert_int_equal(global_stat(THP_SPLIT_PMD), splits);
	CHECK_ALL();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_mmap_errors_change_nothing, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_munmap_errors_change_nothing, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_file_mode_rules, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_topdown_and_merge, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_hints, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_fixed_noreplace, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_fixed_replaces, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_munmap_middle, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_munmap_frees_tables, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_shared_anon, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_populate, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_populate_oom, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_munmap_inside_thp, pnm_test_setup, pnm_test_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
