// SPDX-License-Identifier: MIT
/*
 * test_gup_cow.c - the cases of Linux's tools/testing/selftests/mm/cow.c
 * that the model can express, written from their descriptions (reference
 * §7.6), with the same test strings and pass messages:
 *
 *   1  Basic COW after fork()                        No leak from parent into child
 *   2  ... with mprotect() optimization              No leak from parent into child
 *   3  vmsplice() + unmap in child                   No leak from parent into child
 *   4  ... with mprotect() optimization              No leak from parent into child
 *   5  vmsplice() before fork(), unmap in parent after fork()
 *                                                    No leak from child into parent
 *   6  vmsplice() + unmap in parent after fork()     No leak from child into parent
 *   7  R/O-mapping a page registered as iouring fixed buffer
 *                                                    Longterm R/W pin is reliable
 *   8  fork() with an iouring fixed buffer           Longterm R/W pin is reliable
 *   9  R/O GUP pin on R/O-mapped shared page         Longterm R/O pin is reliable
 *  10  R/O GUP-fast pin on R/O-mapped shared page
 *  11  R/O GUP pin on R/O-mapped previously-shared page
 *  12  R/O GUP-fast pin on R/O-mapped previously-shared page
 *  13  R/O GUP pin on R/O-mapped exclusive page
 *  14  R/O GUP-fast pin on R/O-mapped exclusive page
 *  19  Basic COW                                     Other mapping not modified
 *  20  R/O longterm GUP pin                          Longterm R/O pin is reliable
 *  21  R/O longterm GUP-fast pin
 *
 * Cases 1-14 run with a base page, a PMD-mapped THP, a PTE-mapped THP and
 * a single PTE of a THP (no swap, mremap or hugetlb in the model); 19-21
 * with the shared zero page, a memfd (shmem file mapped MAP_PRIVATE,
 * with a second, shared read-only view) and the huge zero page (two THP
 * areas populated by reads).  vmsplice() is modelled by what
 * it does to the pages: a read-only get_user_pages() (FOLL_GET) reference
 * whose data is read later ("the pipe").  An io_uring fixed buffer is a
 * FOLL_WRITE|FOLL_LONGTERM pin, PIN_LONGTERM_TEST_START a FOLL_LONGTERM
 * pin (R/O), and reading "through the pin" reads the pinned frames.
 */
#include "gup_test.h"

enum anon_variant { V_BASE, V_THP, V_PTE_THP, V_SINGLE_PTE_THP, NR_ANON_VARIANTS };

static const char *const anon_variant_name[NR_ANON_VARIANTS] = {
	"base page", "THP", "PTE-mapped THP", "single PTE of THP",
};

struct area {
	struct task_struct *t;
	unsigned long addr;
	size_t size;
};

/* Fill @size bytes at @a of @t with a pattern that differs per page. */
static void fill_pattern(struct task_struct *t, unsigned long a, size_t size)
{
	for (size_t off = 0; off < size; off += PG)
		gt_write(t, a + off, (unsigned char)(0x20 + (off >> PAGE_SHIFT) % 0xd0), PG);
}

static unsigned char *snapshot(struct task_struct *t, unsigned long a, size_t size)
{
	unsigned char *buf = malloc(size);

	assert_non_null(buf);
	assert_int_equal(pnm_user_read(t, a, buf, size), 0);
	return buf;
}

/* Does what @t sees at @a equal @buf? */
static bool mem_equals(struct task_struct *t, unsigned long a, const unsigned char *buf,
		       size_t size)
{
	unsigned char *now = snapshot(t, a, size);
	bool eq = memcmp(now, buf, size) == 0;

	free(now);
	return eq;
}

/* Do the frames @pages hold @buf?  ("read the pipe" / read through the pin) */
static bool pages_equal(struct page **pages, size_t size, const unsigned char *buf)
{
	for (size_t off = 0; off < size; off += PG)
		if (memcmp(page_address(pages[off >> PAGE_SHIFT]), buf + off, PG))
			return false;
	return true;
}

static struct page **page_array(size_t size)
{
	struct page **pages = calloc(size >> PAGE_SHIFT, sizeof(*pages));

	assert_non_null(pages);
	return pages;
}

/* A private anonymous area of the given kind in a fresh process. */
static struct area anon_area(enum anon_variant v)
{
	struct area ar = { .t = gt_task("cow") };
	struct folio *folio;

	if (v == V_BASE) {
		ar.addr = test_mmap(ar.t, PG, RW, PRIV);
		ar.size = PG;
		fill_pattern(ar.t, ar.addr, ar.size);
		return ar;
	}
	ar.addr = gt_thp(ar.t, 0);
	ar.size = PMD_SIZE;
	fill_pattern(ar.t, ar.addr, ar.size);
	folio = pfn_folio(test_pfn(ar.t, ar.addr));
	if (v == V_THP)
		return ar;
	/* mprotect() of one page splits the PMD; the folio stays large. */
	assert_int_equal(pnm_mm_mprotect(ar.t->mm, ar.addr + PG, PG, PROT_READ), 0);
	assert_int_equal(pnm_mm_mprotect(ar.t->mm, ar.addr + PG, PG, RW), 0);
	assert_int_equal(folio_entire_mapcount(folio), 0);
	assert_int_equal(folio_order(folio), HPAGE_PMD_ORDER);
	if (v == V_SINGLE_PTE_THP) {
		assert_int_equal(pnm_mm_madvise(ar.t->mm, ar.addr + PG, PMD_SIZE - PG,
					     MADV_DONTNEED), 0);
		ar.size = PG;
		assert_int_equal(folio_order(pfn_folio(test_pfn(ar.t, ar.addr))),
				 HPAGE_PMD_ORDER);
	}
	CHECK_ALL();
	return ar;
}

static void area_done(struct area *ar, struct task_struct *child)
{
	CHECK_ALL();
	if (child)
		pnm_task_exit(child);
	pnm_task_exit(ar->t);
	CHECK_ALL();
}

static void run_anon(const char *desc, void (*fn)(struct area *ar))
{
	for (int v = 0; v < NR_ANON_VARIANTS; v++) {
		struct area ar;

		print_message("[RUN] %s ... with %s\n", desc, anon_variant_name[v]);
		ar = anon_area((enum anon_variant)v);
		fn(&ar);
	}
}

/* --- 1, 2: basic COW ---------------------------------------------------------- */

static void do_basic_cow(struct area *ar, bool mprotect_opt)
{
	unsigned char *old = snapshot(ar->t, ar->addr, ar->size);
	struct task_struct *child = gt_fork(ar->t);

	if (mprotect_opt) {
		assert_int_equal(pnm_mm_mprotect(ar->t->mm, ar->addr, ar->size, PROT_READ), 0);
		assert_int_equal(pnm_mm_mprotect(ar->t->mm, ar->addr, ar->size, RW), 0);
	}
	gt_write(ar->t, ar->addr, 0xff, ar->size);
	/* No leak from parent into child */
	assert_true(mem_equals(child, ar->addr, old, ar->size));
	free(old);
	area_done(ar, child);
}

static void basic_cow(struct area *ar) { do_basic_cow(ar, false); }
static void basic_cow_mprotect(struct area *ar) { do_basic_cow(ar, true); }

/* --- 3-6: vmsplice() (a R/O FOLL_GET reference) ------------------------------- */

/*
 * 3, 4: the child references the pages ("vmsplice into a pipe"), unmaps
 * them and the parent writes: the pipe must keep the old data.
 */
static void do_vmsplice_in_child(struct area *ar, bool mprotect_opt)
{
	unsigned char *old = snapshot(ar->t, ar->addr, ar->size);
	struct page **pipe = page_array(ar->size);
	unsigned long n = ar->size >> PAGE_SHIFT;
	struct task_struct *child = gt_fork(ar->t);

	assert_int_equal(gt_get(child, ar->addr, n, 0, pipe), (long)n);
	assert_int_equal(pnm_mm_munmap(child->mm, ar->addr, ar->size), 0);
	if (mprotect_opt) {
		assert_int_equal(pnm_mm_mprotect(ar->t->mm, ar->addr, ar->size, PROT_READ), 0);
		assert_int_equal(pnm_mm_mprotect(ar->t->mm, ar->addr, ar->size, RW), 0);
	}
	gt_write(ar->t, ar->addr, 0xff, ar->size);
	CHECK_ALL();
	/* No leak from parent into child */
	assert_true(pages_equal(pipe, ar->size, old));
	gt_put_pages(pipe, (long)n);
	free(pipe);
	free(old);
	area_done(ar, child);
}

static void vmsplice_in_child(struct area *ar) { do_vmsplice_in_child(ar, false); }
static void vmsplice_in_child_mprotect(struct area *ar) { do_vmsplice_in_child(ar, true); }

/*
 * 5, 6: the parent references the pages (before or after fork), unmaps
 * them, and the child writes: the parent's pipe must keep the old data.
 */
static void do_vmsplice_in_parent(struct area *ar, bool before_fork)
{
	unsigned char *old = snapshot(ar->t, ar->addr, ar->size);
	struct page **pipe = page_array(ar->size);
	unsigned long n = ar->size >> PAGE_SHIFT;
	struct task_struct *child;

	if (before_fork)
		assert_int_equal(gt_get(ar->t, ar->addr, n, 0, pipe), (long)n);
	child = gt_fork(ar->t);
	if (!before_fork)
		assert_int_equal(gt_get(ar->t, ar->addr, n, 0, pipe), (long)n);
	assert_int_equal(pnm_mm_munmap(ar->t->mm, ar->addr, ar->size), 0);
	gt_write(child, ar->addr, 0xff, ar->size);
	CHECK_ALL();
	/* No leak from child into parent */
	assert_true(pages_equal(pipe, ar->size, old));
	gt_put_pages(pipe, (long)n);
	free(pipe);
	free(old);
	area_done(ar, child);
}

static void vmsplice_before_fork(struct area *ar) { do_vmsplice_in_parent(ar, true); }
static void vmsplice_after_fork(struct area *ar) { do_vmsplice_in_parent(ar, false); }

/* --- 7, 8: io_uring fixed buffers (R/W long-term pins) --------------------------- */

static void do_iouring(struct area *ar, bool use_fork)
{
	struct page **buf = page_array(ar->size);
	unsigned long n = ar->size >> PAGE_SHIFT;
	struct task_struct *child = NULL;
	unsigned char *now, *child_old = NULL;

	assert_int_equal(gt_pin(ar->t, ar->addr, n, FOLL_WRITE | FOLL_LONGTERM, buf), (long)n);
	if (use_fork) {
		/* The pinned pages must not be shared with the child. */
		child = gt_fork(ar->t);
		child_old = snapshot(child, ar->addr, ar->size);
	} else {
		/* R/O-map the buffer, then R/W again. */
		assert_int_equal(pnm_mm_mprotect(ar->t->mm, ar->addr, ar->size, PROT_READ), 0);
		assert_int_equal(pnm_mm_mprotect(ar->t->mm, ar->addr, ar->size, RW), 0);
	}
	gt_write(ar->t, ar->addr, 0xfe, ar->size);
	now = snapshot(ar->t, ar->addr, ar->size);
	/* Longterm R/W pin is reliable: the "device" sees the writes. */
	assert_true(pages_equal(buf, ar->size, now));
	if (child) {
		assert_true(mem_equals(child, ar->addr, child_old, ar->size));
		gt_write(child, ar->addr, 0x01, ar->size);
		assert_true(pages_equal(buf, ar->size, now));
		free(child_old);
	}
	CHECK_ALL();
	unpin_user_pages(buf, n);
	free(now);
	free(buf);
	area_done(ar, child);
}

static void iouring_ro_mapped(struct area *ar) { do_iouring(ar, false); }
static void iouring_fork(struct area *ar) { do_iouring(ar, true); }

/* --- 9-14: R/O long-term pins --------------------------------------------------- */

enum ro_pin_test { RO_PIN_SHARED, RO_PIN_PREVIOUSLY_SHARED, RO_PIN_RO_EXCLUSIVE };

static void do_ro_pin(struct area *ar, enum ro_pin_test test, bool fast)
{
	struct page **pin = page_array(ar->size);
	unsigned long n = ar->size >> PAGE_SHIFT;
	struct task_struct *child = NULL;
	unsigned char *old = snapshot(ar->t, ar->addr, ar->size), *now;
	long ret;

	switch (test) {
	case RO_PIN_SHARED:
	case RO_PIN_PREVIOUSLY_SHARED:
		child = gt_fork(ar->t);
		if (test == RO_PIN_PREVIOUSLY_SHARED) {
			pnm_task_exit(child);
			child = NULL;
		}
		break;
	case RO_PIN_RO_EXCLUSIVE:
		assert_int_equal(pnm_mm_mprotect(ar->t->mm, ar->addr, ar->size, PROT_READ), 0);
		assert_int_equal(pnm_mm_mprotect(ar->t->mm, ar->addr, ar->size, RW), 0);
		break;
	}
	/* Take a R/O pin: this must unshare what is shared. */
	if (fast)
		ret = gt_pin_fast(ar->t, ar->addr, (int)n, FOLL_LONGTERM, pin);
	else
		ret = gt_pin(ar->t, ar->addr, n, FOLL_LONGTERM, pin);
	assert_int_equal(ret, (long)n);
	CHECK_ALL();
	gt_write(ar->t, ar->addr, 0xff, ar->size);
	now = snapshot(ar->t, ar->addr, ar->size);
	/* Longterm R/O pin is reliable */
	assert_true(pages_equal(pin, ar->size, now));
	if (child)
		assert_true(mem_equals(child, ar->addr, old, ar->size));
	unpin_user_pages(pin, n);
	free(now);
	free(old);
	free(pin);
	area_done(ar, child);
}

static void ro_pin_shared(struct area *ar) { do_ro_pin(ar, RO_PIN_SHARED, false); }
static void ro_pin_shared_fast(struct area *ar) { do_ro_pin(ar, RO_PIN_SHARED, true); }
static void ro_pin_prev_shared(struct area *ar) { do_ro_pin(ar, RO_PIN_PREVIOUSLY_SHARED, false); }
static void ro_pin_prev_shared_fast(struct area *ar)
{
	do_ro_pin(ar, RO_PIN_PREVIOUSLY_SHARED, true);
}
static void ro_pin_exclusive(struct area *ar) { do_ro_pin(ar, RO_PIN_RO_EXCLUSIVE, false); }
static void ro_pin_exclusive_fast(struct area *ar) { do_ro_pin(ar, RO_PIN_RO_EXCLUSIVE, true); }

#define ANON_CASE(fn, desc)						\
	static void test_##fn(void **state) { (void)state; run_anon(desc, fn); }

ANON_CASE(basic_cow, "Basic COW after fork()")
ANON_CASE(basic_cow_mprotect, "Basic COW after fork() with mprotect() optimization")
ANON_CASE(vmsplice_in_child, "vmsplice() + unmap in child")
ANON_CASE(vmsplice_in_child_mprotect,
	  "vmsplice() + unmap in child with mprotect() optimization")
ANON_CASE(vmsplice_before_fork, "vmsplice() before fork(), unmap in parent after fork()")
ANON_CASE(vmsplice_after_fork, "vmsplice() + unmap in parent after fork()")
ANON_CASE(iouring_ro_mapped, "R/O-mapping a page registered as iouring fixed buffer")
ANON_CASE(iouring_fork, "fork() with an iouring fixed buffer")
ANON_CASE(ro_pin_shared, "R/O GUP pin on R/O-mapped shared page")
ANON_CASE(ro_pin_shared_fast, "R/O GUP-fast pin on R/O-mapped shared page")
ANON_CASE(ro_pin_prev_shared, "R/O GUP pin on R/O-mapped previously-shared page")
ANON_CASE(ro_pin_prev_shared_fast, "R/O GUP-fast pin on R/O-mapped previously-shared page")
ANON_CASE(ro_pin_exclusive, "R/O GUP pin on R/O-mapped exclusive page")
ANON_CASE(ro_pin_exclusive_fast, "R/O GUP-fast pin on R/O-mapped exclusive page")

/* --- 19-21: non-anonymous private mappings ----------------------------------------- */

enum non_anon_variant { N_ZERO_PAGE, N_MEMFD, N_HUGE_ZERO_PAGE, NR_NON_ANON_VARIANTS };

static const char *const non_anon_variant_name[NR_NON_ANON_VARIANTS] = {
	"shared zeropage", "memfd", "huge zeropage",
};

/* @mem: the private mapping under test; @smem: another view of the same
 * memory, which writes to @mem must not reach. */
struct non_anon {
	struct task_struct *t;
	unsigned long mem, smem;
	size_t size;
};

static struct non_anon non_anon_area(enum non_anon_variant v)
{
	struct non_anon na = { .t = gt_task("cow"), .size = PG };
	struct file *file;
	long addr;

	if (v == N_ZERO_PAGE) {
		na.mem = test_mmap(na.t, PG, RW, PRIV);
		na.smem = test_mmap(na.t, PG, PROT_READ, PRIV);
		assert_int_equal(test_read_byte(na.t, na.mem), 0);
		assert_int_equal(test_read_byte(na.t, na.smem), 0);
		assert_int_equal(test_pfn(na.t, na.mem), pnm_mem.zero_pfn);
		return na;
	}
	if (v == N_HUGE_ZERO_PAGE) {
		/* Two THP areas populated by reads: both map the huge zero
		 * page (use_zero_page is on by default). */
		na.size = PMD_SIZE;
		na.mem = test_mmap(na.t, PMD_SIZE, RW, PRIV);
		na.smem = test_mmap(na.t, PMD_SIZE, PROT_READ, PRIV);
		assert_int_equal(pnm_mm_madvise(na.t->mm, na.mem, PMD_SIZE, MADV_HUGEPAGE), 0);
		assert_int_equal(pnm_mm_madvise(na.t->mm, na.smem, PMD_SIZE, MADV_HUGEPAGE), 0);
		assert_int_equal(test_read_byte(na.t, na.mem), 0);
		assert_int_equal(test_read_byte(na.t, na.smem), 0);
		assert_true(is_huge_zero_pfn(test_pfn(na.t, na.mem)));
		assert_int_equal(test_pfn(na.t, na.mem), test_pfn(na.t, na.smem));
		return na;
	}
	file = shmem_file_setup("memfd", PG);
	assert_non_null(file);
	addr = pnm_mm_mmap(na.t->mm, 0, PG, RW, MAP_SHARED, file, 0);
	assert_true(addr > 0);
	gt_write(na.t, (unsigned long)addr, 0x3c, PG);
	assert_int_equal(pnm_mm_munmap(na.t->mm, (unsigned long)addr, PG), 0);
	addr = pnm_mm_mmap(na.t->mm, 0, PG, RW, MAP_PRIVATE, file, 0);
	assert_true(addr > 0);
	na.mem = (unsigned long)addr;
	addr = pnm_mm_mmap(na.t->mm, 0, PG, PROT_READ, MAP_SHARED, file, 0);
	assert_true(addr > 0);
	na.smem = (unsigned long)addr;
	fput(file);
	/* Both views map the page-cache page. */
	assert_int_equal(test_read_byte(na.t, na.mem), 0x3c);
	assert_int_equal(test_read_byte(na.t, na.smem), 0x3c);
	assert_int_equal(test_pfn(na.t, na.mem), test_pfn(na.t, na.smem));
	return na;
}

static void run_non_anon(const char *desc, void (*fn)(struct non_anon *na))
{
	for (int v = 0; v < NR_NON_ANON_VARIANTS; v++) {
		struct non_anon na;

		print_message("[RUN] %s ... with %s\n", desc, non_anon_variant_name[v]);
		na = non_anon_area((enum non_anon_variant)v);
		CHECK_ALL();
		fn(&na);
		CHECK_ALL();
		pnm_task_exit(na.t);
		CHECK_ALL();
	}
}

static void non_anon_basic_cow(struct non_anon *na)
{
	unsigned char *old = snapshot(na->t, na->smem, na->size);

	gt_write(na->t, na->mem, 0xff, na->size);
	/* Other mapping not modified */
	assert_true(mem_equals(na->t, na->smem, old, na->size));
	assert_int_not_equal(test_pfn(na->t, na->mem), test_pfn(na->t, na->smem));
	free(old);
}

static void do_non_anon_ro_pin(struct non_anon *na, bool fast)
{
	unsigned char *old = snapshot(na->t, na->smem, PG), *now;
	struct page *pin[1];
	long ret;

	if (fast)
		ret = gt_pin_fast(na->t, na->mem, 1, FOLL_LONGTERM, pin);
	else
		ret = gt_pin(na->t, na->mem, 1, FOLL_LONGTERM, pin);
	assert_int_equal(ret, 1);
	/* Unshared first: an anonymous copy, not the shared page. */
	assert_true(folio_test_anon(page_folio(pin[0])));
	assert_int_not_equal(page_to_pfn(pin[0]), pnm_mem.zero_pfn);
	assert_false(is_huge_zero_pfn(page_to_pfn(pin[0])));
	assert_int_equal(test_pfn(na->t, na->mem), page_to_pfn(pin[0]));
	gt_write(na->t, na->mem, 0xff, PG);
	now = snapshot(na->t, na->mem, PG);
	/* Longterm R/O pin is reliable */
	assert_true(pages_equal(pin, PG, now));
	assert_true(mem_equals(na->t, na->smem, old, PG));
	unpin_user_pages(pin, 1);
	free(now);
	free(old);
}

static void non_anon_ro_pin(struct non_anon *na) { do_non_anon_ro_pin(na, false); }
static void non_anon_ro_pin_fast(struct non_anon *na) { do_non_anon_ro_pin(na, true); }

#define NON_ANON_CASE(fn, desc)						\
	static void test_##fn(void **state) { (void)state; run_non_anon(desc, fn); }

NON_ANON_CASE(non_anon_basic_cow, "Basic COW")
NON_ANON_CASE(non_anon_ro_pin, "R/O longterm GUP pin")
NON_ANON_CASE(non_anon_ro_pin_fast, "R/O longterm GUP-fast pin")

/* A short-term R/O pin of the zero page is not unshared (reference §7.4). */
static void test_short_term_ro_pin_zero_page(void **state)
{
	struct task_struct *t = gt_task("cow");
	unsigned long a = test_mmap(t, PG, RW, PRIV);
	struct page *pin[1];

	(void)state;
	assert_int_equal(test_read_byte(t, a), 0);
	assert_int_equal(gt_pin(t, a, 1, 0, pin), 1);
	assert_int_equal(page_to_pfn(pin[0]), pnm_mem.zero_pfn);
	assert_int_equal(test_pfn(t, a), pnm_mem.zero_pfn);
	unpin_user_pages(pin, 1);
	CHECK_ALL();
}

#define T(fn) cmocka_unit_test_setup_teardown(test_##fn, pnm_test_setup, pnm_test_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(basic_cow),
		T(basic_cow_mprotect),
		T(vmsplice_in_child),
		T(vmsplice_in_child_mprotect),
		T(vmsplice_before_fork),
		T(vmsplice_after_fork),
		T(iouring_ro_mapped),
		T(iouring_fork),
		T(ro_pin_shared),
		T(ro_pin_shared_fast),
		T(ro_pin_prev_shared),
		T(ro_pin_prev_shared_fast),
		T(ro_pin_exclusive),
		T(ro_pin_exclusive_fast),
		T(non_anon_basic_cow),
		T(non_anon_ro_pin),
		T(non_anon_ro_pin_fast),
		T(short_term_ro_pin_zero_page),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
