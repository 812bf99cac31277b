// SPDX-License-Identifier: MIT
/*
 * test_gup_semantics.c - the reference's semantics table (a), operation x
 * memory type, for every column that needs no files:
 *
 *   anon private exclusive, anon private COW-shared after fork, anon never
 *   written (the zero page), shmem MAP_SHARED (MAP_SHARED|MAP_ANONYMOUS),
 *   a shmem file mapped MAP_PRIVATE, VM_IO/VM_PFNMAP;
 *
 * and every row: get_user_pages read / write / FOLL_LONGTERM, pin R/O,
 * pin R/W, pin R/O long-term, pin R/W long-term, the same through the
 * _fast entry points, get_user_pages_fast_only read / write, and a
 * FOLL_FORCE write (ptrace-style, get_user_pages_remote) into a PROT_READ
 * private mapping.  Each cell runs on a fresh process and checks what the
 * call returned against the table: ok (the page the process maps, same
 * frame unless a long-term pin migrated it off MOVABLE), ok+copy (a new
 * private anonymous frame, now mapped by the process, data preserved, a
 * COW or unshare copy counted; a COW partner still maps the old one),
 * zero (the zero page, counted only for FOLL_GET), an errno, or no page
 * (fast_only).  For pins the process's later writes must then be visible
 * through the pin, except for a short-term R/O pin of a page-cache page in
 * a private mapping, which by design does not follow later COW.
 */
#include "gup_test.h"

enum mem {
	M_ANON_EXCL,
	M_ANON_COW,
	M_ZERO,
	M_SHMEM_SHARED,
	M_SHMEM_PRIVATE,
	M_PFNMAP,
	NR_MEM
};

static const char *const mem_name[NR_MEM] = {
	"anon exclusive", "anon COW-shared", "zero page", "shmem MAP_SHARED",
	"shmem MAP_PRIVATE", "VM_IO/VM_PFNMAP",
};

enum entry { E_GET, E_PIN, E_GET_FAST, E_PIN_FAST, E_GET_FAST_ONLY, E_GET_REMOTE };

/* Results that are not an errno. */
#define X_OK	1	/* the page the process maps */
#define X_COPY	2	/* a fresh private copy, now mapped */
#define X_ZERO	3	/* the zero page */
#define X_NONE	4	/* fast_only: nothing done (0) */

struct row {
	const char *name;
	enum entry entry;
	unsigned int flags;
	bool prot_read;		/* mapping made PROT_READ first */
	int expect[NR_MEM];
};

#define LT	FOLL_LONGTERM
#define W	FOLL_WRITE

static const struct row rows[] = {
	{ "get read", E_GET, 0, false,
	  { X_OK, X_OK, X_ZERO, X_OK, X_OK, -EFAULT } },
	{ "get write", E_GET, W, false,
	  { X_OK, X_COPY, X_COPY, X_OK, X_COPY, -EFAULT } },
	{ "get LONGTERM", E_GET, LT, false,
	  { -EINVAL, -EINVAL, -EINVAL, -EINVAL, -EINVAL, -EINVAL } },
	{ "pin R/O", E_PIN, 0, false,
	  { X_OK, X_COPY, X_ZERO, X_OK, X_OK, -EFAULT } },
	{ "pin R/W", E_PIN, W, false,
	  { X_OK, X_COPY, X_COPY, X_OK, X_COPY, -EFAULT } },
	{ "pin R/O LT", E_PIN, LT, false,
	  { X_OK, X_COPY, X_COPY, X_OK, X_COPY, -EFAULT } },
	{ "pin R/W LT", E_PIN, W | LT, false,
	  { X_OK, X_COPY, X_COPY, X_OK, X_COPY, -EFAULT } },
	{ "get_fast read", E_GET_FAST, 0, false,
	  { X_OK, X_OK, X_ZERO, X_OK, X_OK, -EFAULT } },
	{ "get_fast write", E_GET_FAST, W, false,
	  { X_OK, X_COPY, X_COPY, X_OK, X_COPY, -EFAULT } },
	{ "get_fast LONGTERM", E_GET_FAST, LT, false,
	  { -EINVAL, -EINVAL, -EINVAL, -EINVAL, -EINVAL, -EINVAL } },
	{ "pin_fast R/O", E_PIN_FAST, 0, false,
	  { X_OK, X_COPY, X_ZERO, X_OK, X_OK, -EFAULT } },
	{ "pin_fast R/W", E_PIN_FAST, W, false,
	  { X_OK, X_COPY, X_COPY, X_OK, X_COPY, -EFAULT } },
	{ "pin_fast R/O LT", E_PIN_FAST, LT, false,
	  { X_OK, X_COPY, X_COPY, X_OK, X_COPY, -EFAULT } },
	{ "pin_fast R/W LT", E_PIN_FAST, W | LT, false,
	  { X_OK, X_COPY, X_COPY, X_OK, X_COPY, -EFAULT } },
	/*
	 * fast_only never faults: a present entry with the access wanted,
	 * or nothing.  The zero page is a special entry, which gup-fast
	 * leaves to the slow path (as Linux on x86, where the zero page is
	 * pte_special), so fast_only returns nothing for it.
	 */
	{ "get_fast_only read", E_GET_FAST_ONLY, 0, false,
	  { X_OK, X_OK, X_NONE, X_OK, X_OK, X_NONE } },
	{ "get_fast_only write", E_GET_FAST_ONLY, W, false,
	  { X_OK, X_NONE, X_NONE, X_OK, X_NONE, X_NONE } },
	{ "FOLL_FORCE write, PROT_READ", E_GET_REMOTE, W | FOLL_FORCE, true,
	  { X_OK, X_COPY, X_COPY, -EFAULT, X_COPY, -EFAULT } },
};

struct scene {
	struct task_struct *t, *child;
	unsigned long addr;
	unsigned long pfn0;	/* mapped before the call, or -1UL */
	unsigned char data;	/* the page's bytes */
};

/* Build one column's memory (one page) in a fresh process. */
static void scene_setup(struct scene *s, enum mem m, bool prot_read)
{
	struct file *file;
	long addr;

	memset(s, 0, sizeof(*s));
	s->t = gt_task("sem");
	switch (m) {
	case M_ANON_EXCL:
	case M_ANON_COW:
		s->addr = test_mmap(s->t, PG, RW, PRIV);
		s->data = m == M_ANON_EXCL ? 0x11 : 0x22;
		gt_write(s->t, s->addr, s->data, PG);
		if (m == M_ANON_COW)
			s->child = gt_fork(s->t);
		break;
	case M_ZERO:
		s->addr = test_mmap(s->t, PG, RW, PRIV);
		assert_int_equal(test_read_byte(s->t, s->addr), 0);
		break;
	case M_SHMEM_SHARED:
		s->addr = test_mmap(s->t, PG, RW, SHARED);
		s->data = 0x33;
		gt_write(s->t, s->addr, s->data, PG);
		break;
	case M_SHMEM_PRIVATE:
		file = shmem_file_setup("memfd", PG);
		assert_non_null(file);
		/* Fill the file through a shared view, then map it privately. */
		addr = pnm_mm_mmap(s->t->mm, 0, PG, RW, MAP_SHARED, file, 0);
		assert_true(addr > 0);
		s->data = 0x44;
		gt_write(s->t, (unsigned long)addr, s->data, PG);
		addr = pnm_mm_mmap(s->t->mm, 0, PG, RW, MAP_PRIVATE, file, 0);
		assert_true(addr > 0);
		s->addr = (unsigned long)addr;
		fput(file);
		assert_int_equal(test_read_byte(s->t, s->addr), s->data);
		assert_false(folio_test_anon(pfn_folio(test_pfn(s->t, s->addr))));
		break;
	case M_PFNMAP:
		addr = pnm_mm_mmap_pfnmap(s->t->mm, PG, RW, VM_IO | VM_PFNMAP);
		assert_true(addr > 0);
		s->addr = (unsigned long)addr;
		break;
	default:
		fail();
	}
	if (prot_read)
		assert_int_equal(pnm_mm_mprotect(s->t->mm, s->addr, PG, PROT_READ), 0);
	s->pfn0 = gt_pfn_or_none(s->t, s->addr);
	CHECK_ALL();
}

static long run_entry(struct scene *s, const struct row *r, struct page **page)
{
	switch (r->entry) {
	case E_GET:
		return gt_get(s->t, s->addr, 1, r->flags, page);
	case E_PIN:
		return gt_pin(s->t, s->addr, 1, r->flags, page);
	case E_GET_FAST:
		return gt_get_fast(s->t, s->addr, 1, r->flags, page);
	case E_PIN_FAST:
		return gt_pin_fast(s->t, s->addr, 1, r->flags, page);
	case E_GET_FAST_ONLY:
		return gt_get_fast_only(s->t, s->addr, 1, r->flags, page);
	case E_GET_REMOTE:
		return gt_get_remote(s->t->mm, s->addr, 1, r->flags, page, NULL);
	}
	fail();
	return 0;
}

static bool is_pin(const struct row *r)
{
	return r->entry == E_PIN || r->entry == E_PIN_FAST;
}

static void run_cell(enum mem m, const struct row *r)
{
	long copies0 = global_stat(PNM_COW_COPY) + global_stat(PNM_UNSHARE_COPY);
	long migrated0 = global_stat(PGMIGRATE_SUCCESS);
	struct folio *zero = pfn_folio(pnm_mem.zero_pfn);
	int expect = r->expect[m], zero_ref0 = folio_ref_count(zero);
	struct page *page = NULL;
	unsigned long pfn;
	struct scene s;
	long ret, copies;

	print_message("  %-28s x %-18s\n", r->name, mem_name[m]);
	scene_setup(&s, m, r->prot_read);
	ret = run_entry(&s, r, &page);
	copies = global_stat(PNM_COW_COPY) + global_stat(PNM_UNSHARE_COPY) - copies0;

	if (expect < 0 || expect == X_NONE) {
		assert_int_equal(ret, expect == X_NONE ? 0 : expect);
		/* Nothing changed. */
		assert_int_equal(gt_pfn_or_none(s.t, s.addr), s.pfn0);
		assert_int_equal(copies, 0);
		goto out;
	}
	assert_int_equal(ret, 1);
	assert_non_null(page);
	pfn = page_to_pfn(page);
	if (expect == X_ZERO) {
		assert_int_equal(pfn, pnm_mem.zero_pfn);
		assert_int_equal(folio_ref_count(zero), zero_ref0 + (is_pin(r) ? 0 : 1));
		assert_int_equal(copies, 0);
	} else {
		/* The process maps exactly the page handed out. */
		assert_int_equal(gt_pfn_or_none(s.t, s.addr), pfn);
		assert_int_equal(gt_page_byte(page, 123), s.data);
		if (expect == X_OK) {
			assert_int_equal(copies, 0);
			if (pfn != s.pfn0)	/* only a long-term pin may move it */
				assert_true((r->flags & LT) &&
					    global_stat(PGMIGRATE_SUCCESS) > migrated0);
		} else {
			assert_true(copies >= 1);
			assert_int_not_equal(pfn, s.pfn0);
			assert_true(folio_test_anon(page_folio(page)));
			assert_true(PageAnonExclusive(page));
		}
		if (r->flags & LT)
			assert_int_equal(page_zonenum(page), ZONE_NORMAL);
		if (is_pin(r)) {
			assert_int_equal(atomic_read(&page->pnm_pincount), 1);
			assert_true(page_maybe_dma_pinned(page));
		}
		/* A COW partner keeps the original. */
		if (s.child) {
			assert_int_equal(gt_pfn_or_none(s.child, s.addr), s.pfn0);
			assert_int_equal(test_read_byte(s.child, s.addr), s.data);
		}
	}
	/* (pnm_check_system() wants the zero page's refcount at exactly 1,
	 * which a FOLL_GET reference on it legitimately breaks.) */
	if (expect != X_ZERO || is_pin(r))
		CHECK_ALL();

	/* A pin follows the process's later writes (see the file comment). */
	if (is_pin(r) && expect != X_ZERO && !r->prot_read &&
	    !(m == M_SHMEM_PRIVATE && expect == X_OK)) {
		gt_write(s.t, s.addr + 123, 0x99, 1);
		assert_int_equal(gt_pfn_or_none(s.t, s.addr), pfn);
		assert_int_equal(gt_page_byte(page, 123), 0x99);
		if (s.child)
			assert_int_equal(test_read_byte(s.child, s.addr + 123), s.data);
	}
	if (is_pin(r))
		unpin_user_page(page);
	else
		put_page(page);
	if (expect == X_ZERO)
		assert_int_equal(folio_ref_count(zero), zero_ref0);
out:
	CHECK_ALL();
	if (s.child)
		pnm_task_exit(s.child);
	pnm_task_exit(s.t);
	CHECK_ALL();
}

static void run_column(enum mem m)
{
	for (size_t i = 0; i < ARRAY_SIZE(rows); i++)
		run_cell(m, &rows[i]);
}

static void test_anon_exclusive(void **state) { (void)state; run_column(M_ANON_EXCL); }
static void test_anon_cow_shared(void **state) { (void)state; run_column(M_ANON_COW); }
static void test_zero_page(void **state) { (void)state; run_column(M_ZERO); }
static void test_shmem_shared(void **state) { (void)state; run_column(M_SHMEM_SHARED); }
static void test_shmem_private(void **state) { (void)state; run_column(M_SHMEM_PRIVATE); }
static void test_pfnmap(void **state) { (void)state; run_column(M_PFNMAP); }

/* The exact accounting mode gives the same table. */
static int setup_exact(void **state)
{
	struct pnm_config cfg;

	(void)state;
	pnm_test_config(&cfg);
	cfg.pin_accounting = PNM_PIN_ACCOUNTING_EXACT;
	pnm_test_init_with(&cfg);
	return 0;
}

static void test_all_exact(void **state)
{
	(void)state;
	for (int m = 0; m < NR_MEM; m++)
		run_column((enum mem)m);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, pnm_test_setup, pnm_test_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_anon_exclusive),
		T(test_anon_cow_shared),
		T(test_zero_page),
		T(test_shmem_shared),
		T(test_shmem_private),
		T(test_pfnmap),
		cmocka_unit_test_setup_teardown(test_all_exact, setup_exact, pnm_test_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
