// SPDX-License-Identifier: MIT
/*
 * test_errno.c - the errno table behind pnm_strerror(), pnm_errno_name()
 * and pnm_errno_parse() (pnm.c).
 */
#include <string.h>

#include "test_util.h"
#include "pinmm_test_internal.h"

/* Every errno the model returns somewhere. */
static const int used[] = {
	EPERM, ENOENT, ESRCH, EINTR, EIO, ENXIO, E2BIG, ENOEXEC, EBADF, ECHILD,
	EAGAIN, ENOMEM, EACCES, EFAULT, EBUSY, EEXIST, EXDEV, ENODEV, ENOTDIR,
	EISDIR, EINVAL, ENFILE, EMFILE, ENOTTY, EFBIG, ENOSPC, ESPIPE, EROFS,
	EMLINK, EPIPE, ERANGE, ENOSYS, EOVERFLOW, EOPNOTSUPP, EREMOTEIO,
	ETIMEDOUT, ENODATA, EHWPOISON, EUCLEAN,
};

static void test_strerror(void **state)
{
	(void)state;
	assert_string_equal(pnm_strerror(-ENOMEM), "ENOMEM: Cannot allocate memory");
	assert_string_equal(pnm_strerror(ENOMEM), "ENOMEM: Cannot allocate memory");
	assert_string_equal(pnm_strerror(-EFAULT), "EFAULT: Bad address");
	assert_string_equal(pnm_strerror(-EBUSY), "EBUSY: Device or resource busy");
	assert_string_equal(pnm_strerror(-EAGAIN), "EAGAIN: Resource temporarily unavailable");
	assert_string_equal(pnm_strerror(-EINVAL), "EINVAL: Invalid argument");
	assert_string_equal(pnm_strerror(0), "0: Success");
	assert_string_equal(pnm_strerror(-9999), "E9999: Unknown error");
	assert_string_equal(pnm_strerror(9998), "E9998: Unknown error");
}

static void test_names_round_trip(void **state)
{
	unsigned int i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(used); i++) {
		const char *name = pnm_errno_name(used[i]);
		const char *text = pnm_strerror(-used[i]);

		assert_non_null(name);
		assert_int_equal(name[0], 'E');
		assert_int_equal(pnm_errno_parse(name), used[i]);
		/* "NAME: message" */
		assert_int_equal(strncmp(text, name, strlen(name)), 0);
		assert_int_equal(text[strlen(name)], ':');
		assert_true(strlen(text) > strlen(name) + 3);
	}
	assert_string_equal(pnm_errno_name(EHWPOISON), "EHWPOISON");
	assert_string_equal(pnm_errno_name(EOPNOTSUPP), "EOPNOTSUPP");
	assert_null(pnm_errno_name(0));
	assert_null(pnm_errno_name(-ENOMEM));
	assert_null(pnm_errno_name(100000));
}

static void test_parse(void **state)
{
	(void)state;
	assert_int_equal(pnm_errno_parse("EBUSY"), EBUSY);
	assert_int_equal(pnm_errno_parse("ebusy"), EBUSY);
	assert_int_equal(pnm_errno_parse("-ENOMEM"), ENOMEM);
	assert_int_equal(pnm_errno_parse("12"), 12);
	assert_int_equal(pnm_errno_parse("-14"), 14);
	assert_int_equal(pnm_errno_parse("EFOO"), -1);
	assert_int_equal(pnm_errno_parse(""), -1);
	assert_int_equal(pnm_errno_parse("-"), -1);
	assert_int_equal(pnm_errno_parse("0"), -1);
	assert_int_equal(pnm_errno_parse("12x"), -1);
	assert_int_equal(pnm_errno_parse("99999999999"), -1);
	assert_int_equal(pnm_errno_parse(NULL), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_strerror),
		cmocka_unit_test(test_names_round_trip),
		cmocka_unit_test(test_parse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
