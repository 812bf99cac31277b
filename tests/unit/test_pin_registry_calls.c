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
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
