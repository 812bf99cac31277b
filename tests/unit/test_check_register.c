// SPDX-License-Identifier: MIT
/*
 * test_check_register.c - checkers of objects outside the core
 * (pnm_check_register()): pnm_check_system() runs them after its own
 * checks, oldest first, stops at the first failure and makes its text
 * pnm_check_error(); registration errors; pnm_fini() drops what is left
 * with a warning.
 */
#include <string.h>

#include "test_util.h"
#include "pinmm_test_internal.h"

struct fake {
	int fail;		/* what the checker returns */
	int runs;
	int order;		/* when it last ran (the shared clock) */
	const char *why;
};

static int clock_;

static int fake_check(void *arg, char *why, size_t size)
{
	struct fake *f = arg;

	f->runs++;
	f->order = ++clock_;
	if (f->fail)
		snprintf(why, size, "%s", f->why);
	return f->fail;
}

static void test_register_run_fail(void **state)
{
	struct fake a = { .why = "fake a broke" }, b = { .why = "fake b broke" };

	(void)state;
	assert_int_equal(pnm_check_register(NULL, &a), -EINVAL);
	assert_int_equal(pnm_check_register(fake_check, &a), 0);
	assert_int_equal(pnm_check_register(fake_check, &a), -EEXIST);
	assert_int_equal(pnm_check_register(fake_check, &b), 0);
	assert_true(pnm_check_system());
	assert_int_equal(a.runs, 1);
	assert_int_equal(b.runs, 1);
	assert_true(a.order < b.order);			/* oldest first */

	/* The first failure stops the walk and is the check's error. */
	a.fail = -EUCLEAN;
	b.fail = -EUCLEAN;
	assert_false(pnm_check_system());
	assert_string_equal(pnm_check_error(), "fake a broke");
	assert_int_equal(b.runs, 1);
	a.fail = 0;
	assert_false(pnm_check_system());
	assert_string_equal(pnm_check_error(), "fake b broke");
	b.fail = 0;
	assert_true(pnm_check_system());

	assert_int_equal(pnm_check_unregister(fake_check, &a), 0);
	assert_int_equal(pnm_check_unregister(fake_check, &a), -ENOENT);
	a.fail = -EUCLEAN;
	assert_true(pnm_check_system());		/* no longer asked */
	assert_int_equal(pnm_check_unregister(fake_check, &b), 0);
}

static int count(const char *text, const char *needle)
{
	int n = 0;

	for (const char *p = text; (p = strstr(p, needle)); p++)
		n++;
	return n;
}

/* A checker that cannot run for want of host memory (-ENOMEM) stops the
 * check as the host's error, said once; a broken object is not one. */
static void test_host_enomem(void **state)
{
	struct fake a = { .why = "fake a: its table" }, b = { .why = "fake b broke" };
	struct test_stderr err;

	(void)state;
	assert_int_equal(pnm_check_register(fake_check, &a), 0);
	assert_int_equal(pnm_check_register(fake_check, &b), 0);
	assert_true(pnm_check_system());
	assert_int_equal(pnm_check_host_error(), 0);

	a.fail = -ENOMEM;
	b.fail = -EUCLEAN;
	test_stderr_begin(&err);
	assert_false(pnm_check_system());
	test_stderr_end(&err);
	assert_int_equal(pnm_check_host_error(), -ENOMEM);
	assert_non_null(strstr(pnm_check_error(), "fake a: its table: out of host memory"));
	assert_int_equal(count(err.text, "out of host memory"), 1);
	assert_int_equal(count(err.text, "check failed"), 0);	/* not a violation */
	assert_int_equal(b.runs, 1);				/* the walk stopped */

	/* The next check starts afresh: b's failure is the model's. */
	a.fail = 0;
	assert_false(pnm_check_system());
	assert_int_equal(pnm_check_host_error(), 0);
	assert_string_equal(pnm_check_error(), "fake b broke");
	b.fail = 0;
	assert_true(pnm_check_system());
	assert_int_equal(pnm_check_host_error(), 0);
	assert_int_equal(pnm_check_unregister(fake_check, &a), 0);
	assert_int_equal(pnm_check_unregister(fake_check, &b), 0);
}

static void test_fini_drops(void **state)
{
	struct fake a = { .why = "x" };
	struct test_stderr err;
	struct pnm_config cfg;

	(void)state;
	assert_int_equal(pnm_check_register(fake_check, &a), 0);
	test_stderr_begin(&err);
	assert_int_equal(pnm_fini(), 0);
	test_stderr_end(&err);
	assert_non_null(strstr(err.text, "1 invariant checker still registered"));
	/* Nothing is left for the next model. */
	pnm_test_config(&cfg);
	pnm_test_init_with(&cfg);
	assert_true(pnm_check_system());
	assert_int_equal(a.runs, 0);
	assert_int_equal(pnm_check_unregister(fake_check, &a), -ENOENT);
	assert_int_equal(pnm_check_register(fake_check, &a), 0);
	assert_int_equal(pnm_check_unregister(fake_check, &a), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_register_run_fail, pnm_test_setup,
						pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_host_enomem, pnm_test_setup,
						pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_fini_drops, pnm_test_setup,
						pnm_test_teardown),
	};

	return cmocka_run_group_tests_name("check_register", tests, NULL, NULL);
}
