// SPDX-License-Identifier: MIT
/*
 * test_scn_result.c - the runner's structured result (scn_result.broken):
 * a scenario's own failure, whatever its text, is not the model breaking;
 * a checker failing after a step is, and so says the result.  And the
 * fuzzers' judge (tests/fuzz/scn_check.c) goes by that field.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include "scn.h"
#include "../fuzz/scn_check.h"

struct tally {
	unsigned int steps, failed, broken[SCN_BROKEN_HOST_ENOMEM + 1];
	unsigned int broken_line;
};

static void t_begin(struct scn_sink *s, const char *file) { (void)s; (void)file; }
static void t_step(struct scn_sink *s, const struct scn_result *res)
{
	struct tally *t = s->priv;

	t->steps++;
	t->failed += res->status == SCN_ST_FAIL;
	t->broken[res->broken]++;
	if (res->broken != SCN_BROKEN_NONE && !t->broken_line)
		t->broken_line = res->line;
}
static void t_end(struct scn_sink *s, const char *file, unsigned int p, unsigned int f,
		  const long *c, const char *x)
{
	(void)s; (void)file; (void)p; (void)f; (void)c; (void)x;
}
static void t_finish(struct scn_sink *s, unsigned int p, unsigned int f) { (void)s; (void)p; (void)f; }

static void run_text(const char *text, struct tally *t)
{
	struct scn_sink sink = { t_begin, t_step, t_end, t_finish, t };
	struct scn_run_opts opts = { .trace = false };
	char err[1024];
	struct scn_script *s = scn_parse_buffer("t.scn", text, strlen(text), err, sizeof(err));
	unsigned int passed = 0, failed = 0;

	assert_non_null(s);
	scn_run_script(s, &opts, &sink, &passed, &failed);
	scn_script_free(s);
}

static const char leaked_text[] =
	"process A\n"
	"mmap A buf 4K\n"
	"write A buf \"data\"\n"
	"expect read A buf \"frames leaked\"\n";

/* An expectation that fails with "frames leaked" in its text: a FAIL, not
 * a broken model. */
static void test_own_failure_is_not_broken(void **state)
{
	struct tally t = { 0 };

	(void)state;
	run_text(leaked_text, &t);
	assert_int_equal(t.failed, 1);
	assert_int_equal(t.broken[SCN_BROKEN_NONE], t.steps);
	assert_int_equal(scn_check_one(leaked_text, sizeof(leaked_text) - 1,
				       &(struct scn_check_limits){ .run = true, .max_mem = 1ull << 40 },
				       NULL, 0), SCN_CHECK_RAN);
}

/* A checker of the model's that fails from the third step on. */
static unsigned int checks;

static int failing_checker(void *arg, char *why, size_t size)
{
	(void)arg;
	if (++checks < 3)
		return 0;
	snprintf(why, size, "the test's checker refuses");
	return -EINVAL;
}

/* The scenario runner registers its own objects' checkers after pnm_init;
 * this one must be registered once the model exists: from a step hook. */
static void register_hook(struct scn_run *r, bool after)
{
	(void)r;
	if (!after)
		pnm_check_register(failing_checker, NULL);
}

static void test_checker_failure_is_broken(void **state)
{
	static const char text[] =
		"process A\n"
		"mmap A buf 8K\n"
		"write A buf \"one\"\n"
		"write A buf+4K \"two\"\n"
		"write A buf \"three\"\n";
	struct tally t = { 0 };

	(void)state;
	checks = 0;
	scn_register_step_hook(register_hook);
	run_text(text, &t);
	assert_int_equal(t.broken[SCN_BROKEN_INVARIANT], 1);
	assert_true(t.broken_line >= 2 && t.broken_line <= 4);
	assert_int_equal(scn_check_one(text, sizeof(text) - 1,
				       &(struct scn_check_limits){ .run = true, .max_mem = 1ull << 40 },
				       NULL, 0), SCN_CHECK_BROKE_MODEL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_own_failure_is_not_broken),
		cmocka_unit_test(test_checker_failure_is_broken),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
