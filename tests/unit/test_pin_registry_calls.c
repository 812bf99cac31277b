// SPDX-License-Identifier: MIT
/*
 * test_pin_registry_calls.c - the pin registry's cheap paths (issue 15):
 * calls of one page each (their nodes are found by frame), records kept
 * for reuse after their last unpin, and the release of an array of
 * consecutive frames (a THP) block by block.  Each is checked against the
 * rules the general paths follow: an unpin retires the caller's most
 * recent pin of the page, a reused record carries nothing of its last
 * use, and a refused entry in a released THP array is reported once while
 * every other entry is released.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_util.h"
#include "pinmm_test_internal.h"

#define PG	PAGE_SIZE
#define RW	(PROT_READ | PROT_WRITE)
#define PRIV	(MAP_PRIVATE | MAP_ANONYMOUS)
#define NR	128		/* single-page calls: two blocks' worth */

/* --- helpers ---------------------------------------------------------------- */

struct seen {
	int nr;
	unsigned long start[NR];
	char tag[NR][32];
	unsigned long id[NR];
};

static void collect(const struct pnm_pin_record *rec, void *arg)
{
	struct seen *s = arg;

	if (s->nr >= NR)
		return;
	s->start[s->nr] = rec->start;
	s->id[s->nr] = rec->id;
	snprintf(s->tag[s->nr], sizeof(s->tag[0]), "%s", rec->tag ? rec->tag : "-");
	s->nr++;
}

static struct seen *list_all(void)
{
	struct seen *s = calloc(1, sizeof(*s));

	assert_non_null(s);
	pnm_pin_registry_foreach(-1, collect, s);
	return s;
}

static unsigned long all_misuse(void)
{
	unsigned long n = 0;
	int k;

	for (k = 0; k < PNM_NR_MISUSE; k++)
		n += pnm_misuse_count(k);
	return n;
}

static long pin_remote(struct task_struct *t, unsigned long addr, unsigned long nr,
		       struct page **pages)
{
	long ret;

	mmap_read_lock(t->mm);
	ret = pin_user_pages_remote(t->mm, addr, nr, FOLL_WRITE, pages, NULL);
	mmap_read_unlock(t->mm);
	return ret;
}

/* Is a record of user address @start listed in @s? */
static bool listed(const struct seen *s, unsigned long start)
{
	for (int i = 0; i < s->nr; i++)
		if (s->start[i] == start)
			return true;
	return false;
}

/* --- tests ------------------------------------------------------------------- */

/*
 * NR calls of one page each over neighbouring frames, released in three
 * orders: the first half as one array (in pin order), then every other
 * remaining page one at a time from the last, then the rest in pin order.
 * After each step exactly the records of the pages not yet unpinned are
 * listed, and nothing is reported.
 */
static void test_single_page_calls(void **state)
{
	struct task_struct *p = test_task_create("p");
	unsigned long a = test_mmap(p, NR * PG, RW, PRIV);
	struct page *pages[NR];
	bool gone[NR] = { false };
	struct seen *s;
	int i;

	(void)state;
	for (i = 0; i < NR; i++)
		test_write_byte(p, a + i * PG, (unsigned char)i);
	for (i = 0; i < NR; i++)
		assert_int_equal(pin_remote(p, a + i * PG, 1, pages + i), 1);
	assert_int_equal(pnm_pin_registry_count(-1), NR);
	CHECK_ALL();

	unpin_user_pages(pages, NR / 2);
	for (i = 0; i < NR / 2; i++)
		gone[i] = true;
	for (i = NR - 1; i >= NR / 2; i -= 2) {
		unpin_user_page(pages[i]);
		gone[i] = true;
	}
	s = list_all();
	assert_int_equal(s->nr, NR / 4);
	for (i = 0; i < NR; i++)
		assert_int_equal(listed(s, a + i * PG), !gone[i]);
	free(s);
	CHECK_ALL();
	for (i = NR / 2; i < NR; i++)
		if (!gone[i])
			unpin_user_page(pages[i]);
	assert_int_equal(pnm_pin_registry_count(-1), 0);
	s = list_all();
	assert_int_equal(s->nr, 0);
	free(s);
	assert_int_equal(all_misuse(), 0);
	assert_int_equal(global_stat(NR_FOLL_PIN_RELEASED), global_stat(NR_FOLL_PIN_ACQUIRED));
	CHECK_ALL();
}

/*
 * One frame pinned by a two-page call and by one-page calls, in both
 * orders: an unpin of it retires the most recent pin, whichever chain
 * (by block or by frame) holds it.
 */
static void test_most_recent_across_chains(void **state)
{
	struct task_struct *p = test_task_create("p");
	unsigned long a = test_mmap(p, 2 * PG, RW, PRIV);
	struct page *two[2], *one, *again;
	struct seen *s;

	(void)state;
	test_write_byte(p, a, 1);
	test_write_byte(p, a + PG, 2);
	pnm_pin_set_tag("two");
	assert_int_equal(pin_remote(p, a, 2, two), 2);
	pnm_pin_set_tag("one");
	assert_int_equal(pin_remote(p, a, 1, &one), 1);
	pnm_pin_set_tag(NULL);
	assert_ptr_equal(one, two[0]);
	unpin_user_page(one);			/* the one-page call's pin */
	s = list_all();
	assert_int_equal(s->nr, 1);
	assert_string_equal(s->tag[0], "two");
	free(s);

	pnm_pin_set_tag("again");
	assert_int_equal(pin_remote(p, a, 1, &again), 1);
	pnm_pin_set_tag(NULL);
	unpin_user_page(two[0]);		/* retires "again", the newest */
	s = list_all();
	assert_int_equal(s->nr, 1);
	assert_string_equal(s->tag[0], "two");
	free(s);
	unpin_user_pages(two, 2);
	assert_int_equal(pnm_pin_registry_count(-1), 0);
	assert_int_equal(all_misuse(), 0);
	CHECK_ALL();
}

/*
 * Records are kept for reuse after their last unpin: a reused one has the
 * new call's tag (or none), id, range and owner, and not the
 * owner-exited mark of its last use.
 */
static void test_record_reuse(void **state)
{
	struct task_struct *p = test_task_create("p"), *q = test_task_create("q");
	unsigned long a = test_mmap(p, PG, RW, PRIV), b = test_mmap(q, 2 * PG, RW, PRIV);
	struct page *x, *y[2];
	struct seen *s;
	char *text = NULL;
	size_t len = 0;
	FILE *out;

	(void)state;
	test_write_byte(p, a, 1);
	test_write_byte(q, b, 2);
	test_write_byte(q, b + PG, 3);
	pnm_pin_set_tag("old-tag");
	assert_int_equal(pin_remote(p, a, 1, &x), 1);
	pnm_pin_set_tag(NULL);
	pnm_task_exit(p);			/* PIN_AT_EXIT: owner-exited */
	assert_int_equal(pnm_misuse_count(PNM_MISUSE_PIN_AT_EXIT), 1);
	unpin_user_page(x);
	assert_int_equal(pnm_pin_registry_count(-1), 0);

	assert_int_equal(pin_remote(q, b + PG, 1, y), 1);
	s = list_all();
	assert_int_equal(s->nr, 1);
	assert_string_equal(s->tag[0], "-");
	assert_int_equal(s->start[0], b + PG);
	assert_int_equal(s->id[0], 2);
	free(s);
	out = open_memstream(&text, &len);
	assert_non_null(out);
	pnm_pin_registry_print(out, -1);
	fclose(out);
	assert_null(strstr(text, "owner-exited"));
	assert_non_null(strstr(text, "pages 1/1"));
	free(text);
	unpin_user_page(y[0]);
	/* A two-node-class record after one-node ones. */
	assert_int_equal(pin_remote(q, b, 2, y), 2);
	assert_int_equal(pnm_pin_registry_count(q->pid), 2);
	unpin_user_pages(y, 2);
	assert_int_equal(pnm_pin_registry_count(-1), 0);
	assert_int_equal(all_misuse(), 1);
	CHECK_ALL();
}

/* A 2 MiB aligned THP of @p, faulted in: its address in *@h, its folio. */
static struct folio *fault_thp(struct task_struct *p, unsigned long *h)
{
	unsigned long a = test_mmap(p, 2 * HPAGE_PMD_SIZE, RW, PRIV);
	struct folio *folio;

	*h = ALIGN(a, HPAGE_PMD_SIZE);
	assert_int_equal(pnm_mm_madvise(p->mm, *h, HPAGE_PMD_SIZE, MADV_HUGEPAGE), 0);
	test_write_byte(p, *h, 1);
	folio = page_folio(pfn_to_page(test_pfn(p, *h)));
	assert_int_equal(folio_order(folio), HPAGE_PMD_ORDER);
	return folio;
}

/*
 * A THP pinned by one call of 512 pages; one page unpinned on its own
 * first, then the whole array: the folio's pins run out one entry before
 * the end, and exactly that entry is refused (OVER_UNPIN) while all 511
 * others release a pin each.
 */
static void test_thp_array_one_refused(void **state)
{
	struct task_struct *p = test_task_create("p");
	struct page **pages = calloc(HPAGE_PMD_NR, sizeof(*pages));
	long acq = global_stat(NR_FOLL_PIN_ACQUIRED), rel = global_stat(NR_FOLL_PIN_RELEASED);
	struct folio *folio;
	unsigned long h;
	int refs;

	(void)state;
	assert_non_null(pages);
	folio = fault_thp(p, &h);
	refs = folio_ref_count(folio);
	assert_int_equal(pin_remote(p, h, HPAGE_PMD_NR, pages), HPAGE_PMD_NR);
	assert_int_equal(atomic_read(&folio->_pincount), HPAGE_PMD_NR);
	CHECK_ALL();

	unpin_user_page(pages[100]);
	assert_int_equal(pnm_pin_registry_count(-1), HPAGE_PMD_NR - 1);
	unpin_user_pages(pages, HPAGE_PMD_NR);
	assert_int_equal(pnm_misuse_count(PNM_MISUSE_OVER_UNPIN), 1);
	assert_int_equal(all_misuse(), 1);
	assert_int_equal(atomic_read(&folio->_pincount), 0);
	assert_int_equal(folio_ref_count(folio), refs);
	assert_int_equal(pnm_pin_registry_count(-1), 0);
	assert_int_equal(global_stat(NR_FOLL_PIN_ACQUIRED), acq + HPAGE_PMD_NR);
	assert_int_equal(global_stat(NR_FOLL_PIN_RELEASED), rel + HPAGE_PMD_NR);
	free(pages);
	CHECK_ALL();
}

/* The same THP released cleanly: no report, the folio back as it was. */
static void test_thp_array_clean(void **state)
{
	struct task_struct *p = test_task_create("p");
	struct page **pages = calloc(2 * HPAGE_PMD_NR, sizeof(*pages));
	struct folio *folio;
	unsigned long h;
	int refs;

	(void)state;
	assert_non_null(pages);
	folio = fault_thp(p, &h);
	refs = folio_ref_count(folio);
	/* Twice the same THP in two calls: two records of 8 nodes each. */
	assert_int_equal(pin_remote(p, h, HPAGE_PMD_NR, pages), HPAGE_PMD_NR);
	assert_int_equal(pin_remote(p, h, HPAGE_PMD_NR, pages + HPAGE_PMD_NR), HPAGE_PMD_NR);
	assert_int_equal(pnm_pin_registry_count(-1), 2 * HPAGE_PMD_NR);
	unpin_user_pages(pages + HPAGE_PMD_NR, HPAGE_PMD_NR);
	assert_int_equal(pnm_pin_registry_count(-1), HPAGE_PMD_NR);
	unpin_user_pages(pages, HPAGE_PMD_NR);
	assert_int_equal(all_misuse(), 0);
	assert_int_equal(atomic_read(&folio->_pincount), 0);
	assert_int_equal(folio_ref_count(folio), refs);
	assert_int_equal(pnm_pin_registry_count(-1), 0);
	free(pages);
	CHECK_ALL();
}

/* --- THP spans pinned by the fast walk --------------------------------------- */

/* pnm_misuse_foreach() callback: the last report's kind and pin id. */
struct last_report {
	int n;
	enum pnm_misuse_kind kind;
	unsigned long pin_id;
	char text[256];
};

static void keep_last(const struct pnm_misuse_report *r, void *arg)
{
	struct last_report *l = arg;

	l->n++;
	l->kind = r->kind;
	l->pin_id = r->pin ? r->pin->id : 0;
	snprintf(l->text, sizeof(l->text), "%s", r->text);
}

/* pnm_pin_registry_print() into a string (free it). */
static char *print_registry(void)
{
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);

	assert_non_null(out);
	pnm_pin_registry_print(out, -1);
	fclose(out);
	return text;
}

/* A THP of a task the calling thread runs as, pinned by one
 * pin_user_pages_fast() call of 512 pages (a PMD leaf: the span hint's
 * record).  Its record's id in *@id. */
static struct folio *pin_thp_fast(struct page **pages, unsigned long *id, int *refs)
{
	struct task_struct *p = test_task_create("p");
	struct folio *folio;
	struct seen *s;
	unsigned long h;

	pnm_task_enter(p);
	folio = fault_thp(p, &h);
	*refs = folio_ref_count(folio);
	assert_int_equal(pin_user_pages_fast(h, HPAGE_PMD_NR, FOLL_WRITE, pages), HPAGE_PMD_NR);
	/* The hint served this record and is gone. */
	assert_null(pnm_pin_span_hint.pages);
	for (unsigned long i = 0; i < HPAGE_PMD_NR; i++)
		assert_ptr_equal(pages[i], folio_page(folio, i));
	assert_int_equal(atomic_read(&folio->_pincount), HPAGE_PMD_NR);
	s = list_all();
	assert_int_equal(s->nr, 1);
	assert_int_equal(s->start[0], h);
	*id = s->id[0];
	free(s);
	return folio;
}

/*
 * A THP pinned through the fast walk, released in parts: a middle range
 * (not block aligned) first, then one page already released (the folio
 * rule retires another page's pin of the same call), then the two ends
 * as two arrays.  The record and the listing follow every step; the
 * ends' last entry finds the folio's pins all gone: one OVER_UNPIN naming
 * the record.
 */
static void test_thp_fast_partial_unpins(void **state)
{
	struct page **pages = calloc(HPAGE_PMD_NR, sizeof(*pages));
	struct last_report last = { 0 };
	unsigned long id;
	struct folio *folio;
	char *text, want[64];
	int refs;

	(void)state;
	assert_non_null(pages);
	folio = pin_thp_fast(pages, &id, &refs);

	unpin_user_pages(pages + 10, 290);
	assert_int_equal(pnm_pin_registry_count(-1), HPAGE_PMD_NR - 290);
	assert_int_equal(atomic_read(&folio->_pincount), HPAGE_PMD_NR - 290);
	text = print_registry();
	snprintf(want, sizeof(want), "pin %lu ", id);
	assert_non_null(strstr(text, want));
	assert_non_null(strstr(text, "pages 222/512"));
	free(text);
	assert_int_equal(all_misuse(), 0);

	/* Through a page whose own pin is gone: another of the folio's. */
	unpin_user_page(pages[20]);
	assert_int_equal(pnm_pin_registry_count(-1), HPAGE_PMD_NR - 291);
	assert_int_equal(atomic_read(&folio->_pincount), HPAGE_PMD_NR - 291);
	assert_int_equal(all_misuse(), 0);

	unpin_user_pages(pages + 300, HPAGE_PMD_NR - 300);
	assert_int_equal(pnm_pin_registry_count(-1), 9);
	text = print_registry();
	assert_non_null(strstr(text, "pages 9/512"));
	free(text);
	unpin_user_pages(pages, 10);
	assert_int_equal(pnm_misuse_count(PNM_MISUSE_OVER_UNPIN), 1);
	assert_int_equal(all_misuse(), 1);
	pnm_misuse_foreach(keep_last, &last);
	assert_int_equal(last.n, 1);
	assert_int_equal(last.kind, PNM_MISUSE_OVER_UNPIN);
	assert_int_equal(last.pin_id, id);
	assert_int_equal(pnm_pin_registry_count(-1), 0);
	assert_int_equal(atomic_read(&folio->_pincount), 0);
	assert_int_equal(folio_ref_count(folio), refs);
	text = print_registry();
	assert_string_equal(text, "no pins\n");
	free(text);
	free(pages);
	CHECK_ALL();
}

/*
 * A whole middle block of a fast-pinned THP released first, then the
 * whole array: its entries of that block retire the following frames'
 * pins (the folio rule), so the array's last 64 entries find none left:
 * 64 OVER_UNPIN reports naming the record, every pin released once.
 */
static void test_thp_fast_block_then_all(void **state)
{
	struct page **pages = calloc(HPAGE_PMD_NR, sizeof(*pages));
	struct last_report last = { 0 };
	struct folio *folio;
	unsigned long id;
	int refs;

	(void)state;
	assert_non_null(pages);
	folio = pin_thp_fast(pages, &id, &refs);
	unpin_user_pages(pages + 64, 64);
	assert_int_equal(pnm_pin_registry_count(-1), HPAGE_PMD_NR - 64);
	unpin_user_pages(pages, HPAGE_PMD_NR);
	assert_int_equal(pnm_misuse_count(PNM_MISUSE_OVER_UNPIN), 64);
	assert_int_equal(all_misuse(), 64);
	pnm_misuse_foreach(keep_last, &last);
	assert_int_equal(last.kind, PNM_MISUSE_OVER_UNPIN);
	assert_int_equal(last.pin_id, id);
	assert_int_equal(pnm_pin_registry_count(-1), 0);
	assert_int_equal(atomic_read(&folio->_pincount), 0);
	assert_int_equal(folio_ref_count(folio), refs);
	free(pages);
	CHECK_ALL();
}

/*
 * A fast-pinned THP unpinned twice as a whole: the first release is
 * clean, the second is refused entry by entry, each an OVER_UNPIN that
 * names the released record (its grave); nothing is released twice.
 */
static void test_thp_fast_double_unpin(void **state)
{
	struct page **pages = calloc(HPAGE_PMD_NR, sizeof(*pages));
	struct last_report last = { 0 };
	long rel = global_stat(NR_FOLL_PIN_RELEASED);
	struct folio *folio;
	unsigned long id;
	int refs;

	(void)state;
	assert_non_null(pages);
	folio = pin_thp_fast(pages, &id, &refs);
	unpin_user_pages(pages, HPAGE_PMD_NR);
	assert_int_equal(all_misuse(), 0);
	assert_int_equal(pnm_pin_registry_count(-1), 0);
	assert_int_equal(folio_ref_count(folio), refs);
	/* Every block's frames keep the grave of their pin: a report about
	 * a frame of each names it. */
	for (unsigned long i = 0; i < HPAGE_PMD_NR; i += 64) {
		memset(&last, 0, sizeof(last));
		pnm_misuse_report(PNM_MISUSE_DMA_TO_FREED, pages[i + 7], "test");
		pnm_misuse_foreach(keep_last, &last);
		assert_int_equal(last.pin_id, id);
		assert_non_null(strstr(last.text, "last pin"));
	}
	assert_int_equal(all_misuse(), HPAGE_PMD_NR / 64);
	memset(&last, 0, sizeof(last));
	unpin_user_pages(pages, HPAGE_PMD_NR);
	assert_int_equal(pnm_misuse_count(PNM_MISUSE_OVER_UNPIN), HPAGE_PMD_NR);
	assert_int_equal(all_misuse(), HPAGE_PMD_NR + HPAGE_PMD_NR / 64);
	pnm_misuse_foreach(keep_last, &last);
	assert_int_equal(last.kind, PNM_MISUSE_OVER_UNPIN);
	assert_int_equal(last.pin_id, id);
	assert_non_null(strstr(last.text, "last pin"));
	assert_int_equal(atomic_read(&folio->_pincount), 0);
	assert_int_equal(folio_ref_count(folio), refs);
	assert_int_equal(global_stat(NR_FOLL_PIN_RELEASED), rel + HPAGE_PMD_NR);
	free(pages);
	CHECK_ALL();
}

/*
 * The span hint serves only the record of exactly its array: another
 * length, another array or a different first or last entry is not
 * trusted, and the hint is gone after any look.  A hint left standing
 * with a non-consecutive array records the array's real runs.
 */
static void test_span_hint_rules(void **state)
{
	struct task_struct *p = test_task_create("p");
	struct page **pages = calloc(HPAGE_PMD_NR, sizeof(*pages));
	struct page *other[2];
	struct folio *folio;
	unsigned long h, pfn = 0, b;

	(void)state;
	assert_non_null(pages);
	folio = fault_thp(p, &h);
	for (unsigned long i = 0; i < HPAGE_PMD_NR; i++)
		pages[i] = folio_page(folio, i);

	pnm_pin_span_hint_set(pages, pages[0], HPAGE_PMD_NR);
	assert_false(pnm_pin_span_hint_take(pages, HPAGE_PMD_NR - 1, &pfn));
	assert_null(pnm_pin_span_hint.pages);
	pnm_pin_span_hint_set(pages, pages[0], HPAGE_PMD_NR);
	assert_false(pnm_pin_span_hint_take(pages + 1, HPAGE_PMD_NR, &pfn));
	pnm_pin_span_hint_set(pages, pages[1], HPAGE_PMD_NR);
	assert_false(pnm_pin_span_hint_take(pages, HPAGE_PMD_NR, &pfn));
	pnm_pin_span_hint_set(pages, pages[0], HPAGE_PMD_NR);
	assert_true(pnm_pin_span_hint_take(pages, HPAGE_PMD_NR, &pfn));
	assert_int_equal(pfn, folio_pfn(folio));
	assert_false(pnm_pin_span_hint_take(pages, HPAGE_PMD_NR, &pfn));

	/* A stale hint for an array that now holds two other pages: the
	 * record is of those pages (each unpin finds its pin). */
	b = test_mmap(p, 2 * PG, RW, PRIV);
	test_write_byte(p, b, 1);
	test_write_byte(p, b + PG, 2);
	pnm_pin_span_hint_set(other, pages[0], 2);
	assert_int_equal(pin_remote(p, b, 2, other), 2);
	assert_null(pnm_pin_span_hint.pages);
	assert_int_equal(pnm_pin_registry_count(-1), 2);
	unpin_user_page(other[1]);
	unpin_user_page(other[0]);
	assert_int_equal(all_misuse(), 0);
	assert_int_equal(pnm_pin_registry_count(-1), 0);
	free(pages);
	CHECK_ALL();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_single_page_calls, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_most_recent_across_chains, pnm_test_setup,
						pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_record_reuse, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_thp_array_one_refused, pnm_test_setup,
						pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_thp_array_clean, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_thp_fast_partial_unpins, pnm_test_setup,
						pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_thp_fast_block_then_all, pnm_test_setup,
						pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_thp_fast_double_unpin, pnm_test_setup,
						pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_span_hint_rules, pnm_test_setup, pnm_test_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
