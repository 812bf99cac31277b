// SPDX-License-Identifier: MIT
/*
 * test_call_site.c - every GUP and unpin call knows where it came from
 * (pin_registry.c "Call sites", pinmm/gup.h).
 *
 * The entry points are real functions with same-named capture macros on
 * top.  A call through the macro records file:line:function; a call that
 * bypasses it -- through a function pointer, as (pin_user_pages)(...), or
 * in a file built with PNM_NO_CALL_SITE_CAPTURE -- is recorded with the
 * entry point's return address (file NULL, caller set), which the
 * registry print and the misuse reports name as "symbol+0x..." or as the
 * address and "(object+offset)".  No site outlives its call: a
 * get_user_pages*() or unpin call through the macro does not leave its
 * site to the next call.
 *
 * This file first includes the API with PNM_NO_CALL_SITE_CAPTURE defined
 * (the macros are off: the plain calls of the first part are not
 * captured), then includes <pinmm/gup.h> again without it, which turns
 * the macros on for the second part.  The executable exports its
 * functions (ENABLE_EXPORTS in tests/CMakeLists.txt) so that dladdr() can
 * name the non-static callers below; they are noinline and do work after
 * the call, so the return address lies inside them.
 */
#define _GNU_SOURCE
#define PNM_NO_CALL_SITE_CAPTURE
#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_util.h"

#if defined(get_user_pages) || defined(pin_user_pages_fast) || defined(unpin_user_pages) || \
    defined(PNM_GUP_SITE)
#error "PNM_NO_CALL_SITE_CAPTURE did not turn the call-site macros off"
#endif

#define PG	PAGE_SIZE
#define RW	(PROT_READ | PROT_WRITE)
#define PRIV	(MAP_PRIVATE | MAP_ANONYMOUS)

#define NOINLINE	__attribute__((noinline, noclone))
/* Work after a call, so that it is not a tail call (whose return address
 * would be the caller's caller). */
#define AFTER_CALL()	__asm__ volatile("" ::: "memory")

/* --- helpers ----------------------------------------------------------------- */

/* The live records, copied out of the registry walk. */
#define MAX_RECS	16
struct recs {
	int nr;
	struct pnm_pin_record r[MAX_RECS];
};

static void collect(const struct pnm_pin_record *rec, void *arg)
{
	struct recs *rs = arg;

	if (rs->nr < MAX_RECS)
		rs->r[rs->nr++] = *rec;
}

static struct recs records(void)
{
	struct recs rs;

	memset(&rs, 0, sizeof(rs));
	pnm_pin_registry_foreach(-1, collect, &rs);
	return rs;
}

/* The newest live record (fails the test if there is none). */
static struct pnm_pin_record newest(void)
{
	struct recs rs = records();

	assert_true(rs.nr > 0);
	return rs.r[rs.nr - 1];
}

/* pnm_pin_registry_print() into a string (caller frees). */
static char *print_registry(void)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);

	assert_non_null(out);
	pnm_pin_registry_print(out, -1);
	fclose(out);
	return buf;
}

/* The text of the newest misuse report ("" if none). */
static void last_report(const struct pnm_misuse_report *r, void *arg)
{
	memcpy(arg, r->text, sizeof(r->text));
}

static void newest_report(char text[256])
{
	text[0] = '\0';
	pnm_misuse_foreach(last_report, text);
}

/* @addr lies in function @fn (dladdr names the symbol starting at @fn). */
static bool in_function(const void *addr, void (*fn)(void))
{
	Dl_info info;

	memset(&info, 0, sizeof(info));
	if (!addr || !dladdr(addr, &info) || !info.dli_saddr)
		return false;
	return info.dli_saddr == (void *)(uintptr_t)fn &&
	       (uintptr_t)addr > (uintptr_t)fn;
}

/* A record made without a recorded site: file NULL, return address in @fn. */
static void assert_caller_record(const struct pnm_pin_record *rec, void (*fn)(void),
				 const char *fn_name)
{
	char want[96], *text;

	assert_null(rec->file);
	assert_int_equal(rec->line, 0);
	assert_null(rec->func);
	assert_non_null(rec->caller);
	assert_true(in_function(rec->caller, fn));
	/* ... and the printed record names it. */
	snprintf(want, sizeof(want), "at %s+0x", fn_name);
	text = print_registry();
	if (!strstr(text, want))
		fail_msg("registry print lacks \"%s\":\n%s", want, text);
	assert_null(strstr(text, "?:0 ?()"));
	free(text);
}

static struct task_struct *task;
static unsigned long base;

/* A task with 8 written pages at base, run by the test thread. */
static int setup(void **state)
{
	int i;

	pnm_test_setup(state);
	task = test_task_create("caller");
	base = test_mmap(task, 8 * PG, RW, PRIV);
	for (i = 0; i < 8; i++)
		test_write_byte(task, base + i * PG, (unsigned char)(i + 1));
	pnm_task_enter(task);
	return 0;
}

static int teardown(void **state)
{
	pnm_task_enter(NULL);
	return pnm_test_teardown(state);
}

/*
 * The callers below are non-static (so that dladdr can name them) and
 * declared void(void) for in_function(); they take their arguments from
 * these globals.
 */
enum api {
	API_PIN_USER_PAGES,
	API_PIN_USER_PAGES_REMOTE,
	API_PIN_USER_PAGES_UNLOCKED,
	API_PIN_USER_PAGES_FAST,
	NR_PIN_APIS
};
enum unpin_api {
	UNPIN_USER_PAGE,
	UNPIN_USER_PAGES,
	UNPIN_USER_PAGES_DIRTY_LOCK,
	UNPIN_USER_PAGE_RANGE_DIRTY_LOCK,
	UNPIN_FOLIO,
	UNPIN_FOLIOS,
	UNPIN_USER_FOLIO,
	NR_UNPIN_APIS
};
static enum api arg_api;
static enum unpin_api arg_unpin;
static unsigned long arg_addr;
static struct page *arg_pages[1];
static long arg_ret;
/* Which caller ran: each stores its own number, which also keeps the
 * optimiser from folding callers with the same body into one (-fipa-icf),
 * which would make two names one address. */
static int arg_who;

void call_site_plain_pin(void);
void call_site_pointer_pin(void);
void call_site_pointer_unpin(void);

/* pin_user_pages_fast() called by name: with the macros off, not captured. */
NOINLINE void call_site_plain_pin(void)
{
	arg_ret = pin_user_pages_fast(arg_addr, 1, FOLL_WRITE, arg_pages);
	AFTER_CALL();
	arg_who = 1;
}

/* The pin entry point @arg_api through a function pointer. */
NOINLINE void call_site_pointer_pin(void)
{
	long (*pin)(unsigned long, unsigned long, unsigned int, struct page **) = pin_user_pages;
	long (*remote)(struct mm_struct *, unsigned long, unsigned long, unsigned int,
		       struct page **, int *) = pin_user_pages_remote;
	long (*unlocked)(unsigned long, unsigned long, struct page **, unsigned int) =
		pin_user_pages_unlocked;
	int (*fast)(unsigned long, int, unsigned int, struct page **) = pin_user_pages_fast;
	struct mm_struct *mm = pnm_current_mm();

	switch (arg_api) {
	case API_PIN_USER_PAGES:
		mmap_read_lock(mm);
		arg_ret = pin(arg_addr, 1, FOLL_WRITE, arg_pages);
		mmap_read_unlock(mm);
		break;
	case API_PIN_USER_PAGES_REMOTE:
		mmap_read_lock(mm);
		arg_ret = remote(mm, arg_addr, 1, FOLL_WRITE, arg_pages, NULL);
		mmap_read_unlock(mm);
		break;
	case API_PIN_USER_PAGES_UNLOCKED:
		arg_ret = unlocked(arg_addr, 1, arg_pages, FOLL_WRITE);
		break;
	default:
		arg_ret = fast(arg_addr, 1, FOLL_WRITE, arg_pages);
		break;
	}
	AFTER_CALL();
	arg_who = 2;
}

/* The unpin entry point @arg_unpin on arg_pages[0], through a pointer. */
NOINLINE void call_site_pointer_unpin(void)
{
	void (*one)(struct page *) = unpin_user_page;
	void (*many)(struct page **, unsigned long) = unpin_user_pages;
	void (*dirty)(struct page **, unsigned long, bool) = unpin_user_pages_dirty_lock;
	void (*range)(struct page *, unsigned long, bool) = unpin_user_page_range_dirty_lock;
	void (*folio_one)(struct folio *) = unpin_folio;
	void (*folios)(struct folio **, unsigned long) = unpin_folios;
	void (*user_folio)(struct folio *, unsigned long) = unpin_user_folio;
	struct folio *folio = page_folio(arg_pages[0]);

	switch (arg_unpin) {
	case UNPIN_USER_PAGE:
		one(arg_pages[0]);
		break;
	case UNPIN_USER_PAGES:
		many(arg_pages, 1);
		break;
	case UNPIN_USER_PAGES_DIRTY_LOCK:
		dirty(arg_pages, 1, true);
		break;
	case UNPIN_USER_PAGE_RANGE_DIRTY_LOCK:
		range(arg_pages[0], 1, false);
		break;
	case UNPIN_FOLIO:
		folio_one(folio);
		break;
	case UNPIN_FOLIOS:
		folios(&folio, 1);
		break;
	default:
		user_folio(folio, 1);
		break;
	}
	AFTER_CALL();
	arg_who = 3;
}

/* A static caller: not in the dynamic symbol table, so not nameable. */
static NOINLINE void static_pointer_pin(void)
{
	int (*fast)(unsigned long, int, unsigned int, struct page **) = pin_user_pages_fast;

	arg_ret = fast(arg_addr, 1, FOLL_WRITE, arg_pages);
	AFTER_CALL();
	arg_who = 4;
}

/* --- part 1: the macros off ------------------------------------------------------ */

/* With PNM_NO_CALL_SITE_CAPTURE a plain call records its return address. */
static void test_no_capture_plain_call(void **state)
{
	struct pnm_pin_record rec;

	(void)state;
	arg_addr = base;
	call_site_plain_pin();
	assert_int_equal(arg_who, 1);
	assert_int_equal(arg_ret, 1);
	rec = newest();
	assert_int_equal(rec.start, base);
	assert_caller_record(&rec, call_site_plain_pin, "call_site_plain_pin");
	unpin_user_page(arg_pages[0]);
	assert_int_equal(pnm_pin_registry_count(-1), 0);
	CHECK_ALL();
}

/* Every pin entry point, called through a pointer, records its caller. */
static void test_pointer_pins(void **state)
{
	enum api api;

	(void)state;
	for (api = 0; api < NR_PIN_APIS; api++) {
		struct pnm_pin_record rec;

		arg_api = api;
		arg_addr = base + (unsigned long)api * PG;
		call_site_pointer_pin();
		assert_int_equal(arg_ret, 1);
		rec = newest();
		assert_int_equal(rec.start, arg_addr);
		assert_caller_record(&rec, call_site_pointer_pin, "call_site_pointer_pin");
		unpin_user_page(arg_pages[0]);
	}
	assert_int_equal(pnm_pin_registry_count(-1), 0);
	assert_int_equal(pnm_misuse_count(PNM_MISUSE_OVER_UNPIN), 0);
	CHECK_ALL();
}

/* A caller dladdr cannot name is printed as its address and
 * (object+offset). */
static void test_unnamed_caller(void **state)
{
	struct pnm_pin_record rec;
	char want[160], *text;
	Dl_info info;

	(void)state;
	arg_addr = base;
	static_pointer_pin();
	assert_int_equal(arg_who, 4);
	assert_int_equal(arg_ret, 1);
	rec = newest();
	assert_null(rec.file);
	assert_non_null(rec.caller);
	memset(&info, 0, sizeof(info));
	assert_true(dladdr(rec.caller, &info));
	assert_null(info.dli_sname);	/* static: not exported */
	snprintf(want, sizeof(want), "at %p (%s+%#lx)", rec.caller,
		 strrchr(info.dli_fname, '/') ? strrchr(info.dli_fname, '/') + 1 : info.dli_fname,
		 (unsigned long)((uintptr_t)rec.caller - (uintptr_t)info.dli_fbase));
	text = print_registry();
	if (!strstr(text, want))
		fail_msg("registry print lacks \"%s\":\n%s", want, text);
	free(text);
	unpin_user_page(arg_pages[0]);
	CHECK_ALL();
}

/* Every unpin entry point, called through a pointer once too often, is
 * named in the misuse report by its caller. */
static void test_pointer_unpin_reports(void **state)
{
	enum unpin_api api;

	(void)state;
	for (api = 0; api < NR_UNPIN_APIS; api++) {
		unsigned long before = pnm_misuse_count(PNM_MISUSE_OVER_UNPIN);
		char text[256];

		arg_api = API_PIN_USER_PAGES_FAST;
		arg_addr = base + (unsigned long)api * PG;
		call_site_pointer_pin();
		assert_int_equal(arg_ret, 1);
		arg_unpin = api;
		call_site_pointer_unpin();	/* releases the pin */
		assert_int_equal(pnm_pin_registry_count(-1), 0);
		assert_int_equal(pnm_misuse_count(PNM_MISUSE_OVER_UNPIN), before);
		call_site_pointer_unpin();	/* one too many */
		assert_int_equal(pnm_misuse_count(PNM_MISUSE_OVER_UNPIN), before + 1);
		newest_report(text);
		if (!strstr(text, "; unpin at call_site_pointer_unpin+0x"))
			fail_msg("unpin api %d: report lacks the unpin's caller: %s", (int)api, text);
		/* ... and names the released pin by its caller too. */
		if (!strstr(text, "at call_site_pointer_pin+0x"))
			fail_msg("unpin api %d: report lacks the pin's caller: %s", (int)api, text);
		CHECK_ALL();
	}
}

/* --- part 2: the macros on --------------------------------------------------------- */

#undef PNM_NO_CALL_SITE_CAPTURE
#include <pinmm/gup.h>

#if !defined(get_user_pages) || !defined(pin_user_pages_fast) || !defined(unpin_user_pages)
#error "including <pinmm/gup.h> again without PNM_NO_CALL_SITE_CAPTURE did not turn the macros on"
#endif

void call_site_parenthesised_pin(void);

/* (pin_user_pages_fast)(...) with the macros on: not captured. */
NOINLINE void call_site_parenthesised_pin(void)
{
	arg_ret = (pin_user_pages_fast)(arg_addr, 1, FOLL_WRITE, arg_pages);
	AFTER_CALL();
	arg_who = 5;
}

/* A call through the macro records file:line:function, and prints it. */
static void test_macro_records_site(void **state)
{
	struct pnm_pin_record rec;
	struct page *pages[1];
	char want[96], *text;
	int line;

	(void)state;
	line = __LINE__; assert_int_equal(pin_user_pages_fast(base, 1, FOLL_WRITE, pages), 1);
	rec = newest();
	assert_non_null(rec.file);
	assert_non_null(strstr(rec.file, "test_call_site.c"));
	assert_int_equal(rec.line, line);
	assert_string_equal(rec.func, "test_macro_records_site");
	assert_null(rec.caller);
	snprintf(want, sizeof(want), "at test_call_site.c:%d test_macro_records_site()", line);
	text = print_registry();
	if (!strstr(text, want))
		fail_msg("registry print lacks \"%s\":\n%s", want, text);
	free(text);
	unpin_user_page(pages[0]);

	/* The parenthesised name bypasses the macro: the caller is recorded. */
	arg_addr = base;
	call_site_parenthesised_pin();
	assert_int_equal(arg_who, 5);
	assert_int_equal(arg_ret, 1);
	rec = newest();
	assert_caller_record(&rec, call_site_parenthesised_pin, "call_site_parenthesised_pin");
	unpin_user_page(arg_pages[0]);

	/* A site set by hand is used by the call that follows (the CLI's way). */
	pnm_gup_set_call_site("script.scn", 7, "pin");
	assert_int_equal((pin_user_pages_fast)(base, 1, FOLL_WRITE, pages), 1);
	rec = newest();
	assert_string_equal(rec.file, "script.scn");
	assert_int_equal(rec.line, 7);
	assert_null(rec.caller);
	unpin_user_page(pages[0]);
	assert_int_equal(pnm_pin_registry_count(-1), 0);
	CHECK_ALL();
}

/*
 * No site outlives its call: after a macro call of each get_user_pages*()
 * variant (which records no pin) and of an unpin, a pin through a pointer
 * is still recorded by its own caller, not by the earlier call's line.
 */
static void test_site_does_not_leak(void **state)
{
	struct mm_struct *mm = pnm_current_mm();
	struct page *pages[1];
	int variant;

	(void)state;
	for (variant = 0; variant < 6; variant++) {
		struct pnm_pin_record rec;
		long ret;

		switch (variant) {
		case 0:
			mmap_read_lock(mm);
			ret = get_user_pages(base, 1, 0, pages);
			mmap_read_unlock(mm);
			break;
		case 1:
			mmap_read_lock(mm);
			ret = get_user_pages_remote(mm, base, 1, 0, pages, NULL);
			mmap_read_unlock(mm);
			break;
		case 2:
			ret = get_user_pages_unlocked(base, 1, pages, 0);
			break;
		case 3:
			ret = get_user_pages_fast(base, 1, 0, pages);
			break;
		case 4:
			ret = get_user_pages_fast_only(base, 1, 0, pages);
			break;
		default:
			/* an unpin through the macro */
			ret = (pin_user_pages_fast)(base, 1, 0, pages);
			assert_int_equal(ret, 1);
			unpin_user_page(pages[0]);
			break;
		}
		assert_int_equal(ret, 1);
		if (variant < 5)
			put_page(pages[0]);
		assert_int_equal(pnm_pin_registry_count(-1), 0);

		arg_api = API_PIN_USER_PAGES_FAST;
		arg_addr = base + PG;
		call_site_pointer_pin();
		assert_int_equal(arg_ret, 1);
		rec = newest();
		if (rec.file)
			fail_msg("variant %d: the pin took a stale site %s:%d", variant, rec.file,
				 rec.line);
		assert_true(in_function(rec.caller, call_site_pointer_pin));
		unpin_user_page(arg_pages[0]);
	}
	/* And a call that fails its argument checks forgets its site too. */
	assert_int_equal(pin_user_pages_fast(base, 1, FOLL_GET, pages), -EINVAL);
	call_site_pointer_pin();
	assert_int_equal(arg_ret, 1);
	assert_null(newest().file);
	unpin_user_page(arg_pages[0]);
	assert_int_equal(pnm_pin_registry_count(-1), 0);
	assert_int_equal(pnm_misuse_count(PNM_MISUSE_OVER_UNPIN), 0);
	assert_int_equal(pnm_misuse_count(PNM_MISUSE_UNPIN_UNPINNED), 0);
	CHECK_ALL();
}

/* The misuse report of an unpin through the macro names its line. */
static void test_macro_unpin_report(void **state)
{
	struct page *pages[1];
	char want[96], text[256];
	int line;

	(void)state;
	assert_int_equal(pin_user_pages_fast(base, 1, FOLL_WRITE, pages), 1);
	unpin_user_pages(pages, 1);
	line = __LINE__; unpin_user_pages(pages, 1);
	assert_int_equal(pnm_misuse_count(PNM_MISUSE_OVER_UNPIN), 1);
	newest_report(text);
	snprintf(want, sizeof(want), "; unpin at test_call_site.c:%d test_macro_unpin_report()",
		 line);
	if (!strstr(text, want))
		fail_msg("report lacks \"%s\": %s", want, text);
	CHECK_ALL();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_no_capture_plain_call, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pointer_pins, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unnamed_caller, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pointer_unpin_reports, setup, teardown),
		cmocka_unit_test_setup_teardown(test_macro_records_site, setup, teardown),
		cmocka_unit_test_setup_teardown(test_site_does_not_leak, setup, teardown),
		cmocka_unit_test_setup_teardown(test_macro_unpin_report, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
