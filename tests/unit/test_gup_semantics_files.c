// SPDX-License-Identifier: MIT
/*
 * test_gup_semantics_files.c - the reference's semantics table (a) for
 * the columns that need files, and for secretmem:
 *
 *   a memfd mapped MAP_PRIVATE (sealed F_SEAL_WRITE, with a shared
 *   read-only view beside it, as the cow selftest sets it up), a disk
 *   (ext4-like) file mapped MAP_PRIVATE, a disk file mapped MAP_SHARED,
 *   and secretmem;
 *
 * every row as test_gup_semantics.c runs it (get read / write /
 * FOLL_LONGTERM, pin R/O, R/W, R/O long-term, R/W long-term, the _fast
 * variants, get_user_pages_fast_only read / write, a FOLL_FORCE write
 * into a PROT_READ mapping).  Each cell runs in a fresh process and
 * checks the result: ok (the page the process maps; a long-term pin may
 * have moved it out of MOVABLE first), ok+copy (a new exclusive anonymous
 * page now mapped, a COW or unshare copy counted), an errno, or nothing
 * (fast_only).  Beyond the table, per cell:
 *   - a private mapping never changes the file: the shared view and the
 *     file read the old data whatever the call and the writes after it;
 *   - a pin that got a copy (or a shared page) follows the process's
 *     later writes ("Longterm R/O pin is reliable" of the cow selftest);
 *   - a short-term R/O pin of a private mapping pins the page-cache page
 *     without copying ("not COW unnecessarily"), and a later write gives
 *     the process a copy the pin does not see, as in Linux;
 *   - a refusal changes nothing.
 */
#include "gup_test.h"

enum mem { M_MEMFD_PRIVATE, M_DISK_PRIVATE, M_DISK_SHARED, M_SECRETMEM, NR_MEM };

static const char *const mem_name[NR_MEM] = {
	"memfd MAP_PRIVATE", "disk MAP_PRIVATE", "disk MAP_SHARED", "secretmem",
};

enum entry { E_GET, E_PIN, E_GET_FAST, E_PIN_FAST, E_GET_FAST_ONLY, E_GET_REMOTE };

#define X_OK	1	/* the page the process maps */
#define X_COPY	2	/* a fresh private anonymous copy, now mapped */
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
	{ "get read", E_GET, 0, false, { X_OK, X_OK, X_OK, -EFAULT } },
	{ "get write", E_GET, W, false, { X_COPY, X_COPY, X_OK, -EFAULT } },
	{ "get LONGTERM", E_GET, LT, false, { -EINVAL, -EINVAL, -EINVAL, -EINVAL } },
	{ "pin R/O", E_PIN, 0, false, { X_OK, X_OK, X_OK, -EFAULT } },
	{ "pin R/W", E_PIN, W, false, { X_COPY, X_COPY, X_OK, -EFAULT } },
	{ "pin R/O LT", E_PIN, LT, false, { X_COPY, X_COPY, X_OK, -EFAULT } },
	{ "pin R/W LT", E_PIN, W | LT, false, { X_COPY, X_COPY, -EFAULT, -EFAULT } },
	{ "get_fast read", E_GET_FAST, 0, false, { X_OK, X_OK, X_OK, -EFAULT } },
	{ "get_fast write", E_GET_FAST, W, false, { X_COPY, X_COPY, X_OK, -EFAULT } },
	{ "get_fast LONGTERM", E_GET_FAST, LT, false, { -EINVAL, -EINVAL, -EINVAL, -EINVAL } },
	{ "pin_fast R/O", E_PIN_FAST, 0, false, { X_OK, X_OK, X_OK, -EFAULT } },
	{ "pin_fast R/W", E_PIN_FAST, W, false, { X_COPY, X_COPY, X_OK, -EFAULT } },
	{ "pin_fast R/O LT", E_PIN_FAST, LT, false, { X_COPY, X_COPY, X_OK, -EFAULT } },
	{ "pin_fast R/W LT", E_PIN_FAST, W | LT, false, { X_COPY, X_COPY, -EFAULT, -EFAULT } },
	/* A private file page is mapped read-only: a write needs a fault. */
	{ "get_fast_only read", E_GET_FAST_ONLY, 0, false, { X_OK, X_OK, X_OK, X_NONE } },
	{ "get_fast_only write", E_GET_FAST_ONLY, W, false, { X_NONE, X_NONE, X_OK, X_NONE } },
	/* The same for a R/O long-term pin of a PROT_READ private mapping
	 * (the gup_longterm selftest's newer variant mprotects first). */
	{ "pin R/O LT, PROT_READ", E_PIN, LT, true, { X_COPY, X_COPY, X_OK, -EFAULT } },
	{ "pin_fast R/O LT, PROT_READ", E_PIN_FAST, LT, true, { X_COPY, X_COPY, X_OK, -EFAULT } },
	{ "FOLL_FORCE write, PROT_READ", E_GET_REMOTE, W | FOLL_FORCE, true,
	  { X_COPY, X_COPY, -EFAULT, -EFAULT } },
};

struct scene {
	struct task_struct *t;
	struct file *file;
	unsigned long addr;
	unsigned long view;	/* the shared read-only view (memfd), or 0 */
	unsigned long pfn0;	/* mapped before the call, or -1UL */
	unsigned char data;	/* the page's bytes */
};

static void fill_file(struct file *f, unsigned char v)
{
	unsigned char buf[PG];

	memset(buf, v, PG);
	assert_int_equal(pnm_file_write(f, buf, PG, 0), PG);
}

/* Build one column's memory (one page) in a fresh process. */
static void scene_setup(struct scene *s, enum mem m, bool prot_read)
{
	long addr;

	memset(s, 0, sizeof(s[0]));
	s->t = gt_task("sem");
	switch (m) {
	case M_MEMFD_PRIVATE:
		assert_int_equal(pnm_memfd_create("sem", PNM_MFD_ALLOW_SEALING, &s->file), 0);
		s->data = 0x51;
		fill_file(s->file, s->data);
		assert_int_equal(pnm_file_fcntl(s->file, PNM_F_ADD_SEALS,
						PNM_F_SEAL_WRITE | PNM_F_SEAL_SHRINK |
						PNM_F_SEAL_GROW), 0);
		addr = pnm_mm_mmap(s->t->mm, 0, PG, PROT_READ, MAP_SHARED, s->file, 0);
		assert_true(addr > 0);
		s->view = (unsigned long)addr;
		addr = pnm_mm_mmap(s->t->mm, 0, PG, RW, MAP_PRIVATE, s->file, 0);
		break;
	case M_DISK_PRIVATE:
	case M_DISK_SHARED:
		s->file = test_open(PNM_FS_DISK, m == M_DISK_SHARED ? "shared" : "private");
		s->data = m == M_DISK_SHARED ? 0x53 : 0x52;
		fill_file(s->file, s->data);
		addr = pnm_mm_mmap(s->t->mm, 0, PG, RW,
				   m == M_DISK_SHARED ? MAP_SHARED : MAP_PRIVATE, s->file, 0);
		break;
	case M_SECRETMEM:
		assert_int_equal(pnm_memfd_secret(0, &s->file), 0);
		assert_int_equal(pnm_file_truncate(s->file, PG), 0);
		addr = pnm_mm_mmap(s->t->mm, 0, PG, RW, MAP_SHARED, s->file, 0);
		s->data = 0x54;
		break;
	default:
		fail();
		return;
	}
	assert_true(addr > 0);
	s->addr = (unsigned long)addr;
	if (m == M_DISK_SHARED || m == M_SECRETMEM)
		gt_write(s->t, s->addr, s->data, PG);	/* present, dirty, writable */
	else
		assert_int_equal(test_read_byte(s->t, s->addr), s->data);	/* mapped R/O */
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

static bool is_private(enum mem m)
{
	return m == M_MEMFD_PRIVATE || m == M_DISK_PRIVATE;
}

/* A private mapping never reaches the file: it still reads @s->data. */
static void assert_file_unchanged(struct scene *s, enum mem m)
{
	unsigned char b = 0;

	if (!is_private(m))
		return;
	assert_int_equal(pnm_file_read(s->file, &b, 1, 123), 1);
	assert_int_equal(b, s->data);
	if (s->view)
		assert_int_equal(test_read_byte(s->t, s->view + 123), s->data);
}

static void run_cell(enum mem m, const struct row *r)
{
	long copies0 = global_stat(PNM_COW_COPY) + global_stat(PNM_UNSHARE_COPY);
	long migrated0 = global_stat(PGMIGRATE_SUCCESS);
	int expect = r->expect[m];
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
		assert_int_equal(gt_pfn_or_none(s.t, s.addr), s.pfn0);
		assert_int_equal(copies, 0);
		assert_file_unchanged(&s, m);
		goto out;
	}
	assert_int_equal(ret, 1);
	assert_non_null(page);
	pfn = page_to_pfn(page);
	/* The process maps exactly the page handed out. */
	assert_int_equal(gt_pfn_or_none(s.t, s.addr), pfn);
	assert_int_equal(gt_page_byte(page, 123), s.data);
	if (expect == X_OK) {
		assert_int_equal(copies, 0);
		assert_false(folio_test_anon(page_folio(page)));
		if (pfn != s.pfn0)	/* only a long-term pin may move it */
			assert_true((r->flags & LT) && global_stat(PGMIGRATE_SUCCESS) > migrated0);
	} else {
		assert_true(copies >= 1);
		assert_int_not_equal(pfn, s.pfn0);
		assert_true(folio_test_anon(page_folio(page)));
		assert_true(PageAnonExclusive(page));
		/* A copy of a read-only mapping stays read-only. */
		if (r->prot_read)
			assert_int_equal(pnm_user_write(s.t, s.addr, "x", 1), -EFAULT);
	}
	if (r->flags & LT)
		assert_int_equal(page_zonenum(page), ZONE_NORMAL);
	if (is_pin(r)) {
		assert_int_equal(atomic_read(&page->pnm_pincount), 1);
		assert_true(page_maybe_dma_pinned(page));
	}
	assert_file_unchanged(&s, m);
	CHECK_ALL();

	if (is_pin(r) && !r->prot_read) {
		gt_write(s.t, s.addr + 123, 0x99, 1);
		if (expect == X_OK && is_private(m)) {
			/* A short-term R/O pin of the cache page: the write
			 * copies, the pin keeps seeing the file's data. */
			assert_int_not_equal(gt_pfn_or_none(s.t, s.addr), pfn);
			assert_int_equal(gt_page_byte(page, 123), s.data);
		} else {
			/* The pin follows the process's writes. */
			assert_int_equal(gt_pfn_or_none(s.t, s.addr), pfn);
			assert_int_equal(gt_page_byte(page, 123), 0x99);
		}
		assert_file_unchanged(&s, m);
	}
	if (is_pin(r))
		unpin_user_page(page);
	else
		put_page(page);
out:
	CHECK_ALL();
	pnm_task_exit(s.t);
	pnm_file_close(s.file);
	CHECK_ALL();
}

static void run_column(enum mem m)
{
	for (size_t i = 0; i < ARRAY_SIZE(rows); i++)
		run_cell(m, &rows[i]);
}

static void test_memfd_private(void **state) { (void)state; run_column(M_MEMFD_PRIVATE); }
static void test_disk_private(void **state) { (void)state; run_column(M_DISK_PRIVATE); }
static void test_disk_shared(void **state) { (void)state; run_column(M_DISK_SHARED); }
static void test_secretmem(void **state) { (void)state; run_column(M_SECRETMEM); }

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
		T(test_memfd_private),
		T(test_disk_private),
		T(test_disk_shared),
		T(test_secretmem),
		cmocka_unit_test_setup_teardown(test_all_exact, setup_exact, pnm_test_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
