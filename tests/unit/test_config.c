// SPDX-License-Identifier: MIT
/*
 * test_config.c - the versioned struct pnm_config (pnm.c): the defaults
 * and the size pnm_config_default() records; pnm_config_init() never
 * writes beyond the size it is given; an older caller's smaller struct
 * gets the defaults for the fields it does not know, whatever its memory
 * holds beyond its size (pnm_config_import() with the minimum lowered, as
 * no release older than 0.2 has a size field); a size below the first
 * release's is -EINVAL; a newer caller's larger struct is accepted when
 * the tail this library does not know is zero, -E2BIG otherwise (and for
 * absurd sizes, without reading them); a failed pnm_init() leaves nothing
 * initialised; the hooks and every field arrive in pnm_get_config().
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "test_util.h"
#include "pinmm_test_internal.h"

#define JUNK	0xa5

static void dummy_log(void *arg, enum pnm_log_level level, const char *msg)
{
	(void)arg;
	(void)level;
	(void)msg;
}

static void dummy_fatal(void *arg, const char *msg)
{
	(void)arg;
	(void)msg;
}

/* pnm_init() failed with @err and left nothing behind: a valid
 * configuration initialises right after. */
static void assert_init_fails(const struct pnm_config *cfg, int err)
{
	assert_int_equal(pnm_init(cfg), err);
	assert_false(pnm_initialised);
	assert_int_equal(pnm_init(NULL), 0);
	assert_int_equal(pnm_fini(), 0);
}

static void test_defaults(void **state)
{
	struct pnm_config cfg;

	(void)state;
	memset(&cfg, JUNK, sizeof(cfg));
	pnm_config_default(&cfg);
	assert_int_equal(cfg.size, sizeof(cfg));
	/* 0.3 appended the swap device's size to the 0.2 struct. */
	assert_int_equal(PNM_CONFIG_SIZE_0_2, offsetof(struct pnm_config, swap_pages));
	assert_int_equal(cfg.swap_pages, 0);
	/* ... and the hugetlb fields after it. */
	assert_true(offsetof(struct pnm_config, hugetlb_gigantic) >
		    offsetof(struct pnm_config, swap_pages));
	assert_true(cfg.hugetlb_gigantic);
	assert_int_equal(cfg.zone_frames[PNM_ZONE_NORMAL], 16384);
	assert_int_equal(cfg.zone_frames[PNM_ZONE_MOVABLE], 8192);
	assert_int_equal(cfg.zone_frames[PNM_ZONE_CMA], 4096);
	assert_int_equal(cfg.thp, PNM_THP_MADVISE);
	assert_true(cfg.thp_use_zero_page);
	assert_int_equal(cfg.pin_accounting, PNM_PIN_ACCOUNTING_LINUX);
	assert_false(cfg.legacy_gup);
	assert_true(cfg.pin_registry);
	assert_true(cfg.pin_debug);
	assert_null(cfg.data_dir);
	assert_int_equal(cfg.wb_policy, PNM_WB_STABLE);
	assert_int_equal(cfg.dirty_background_pages, 0);
	assert_int_equal(cfg.dirty_limit_pages, 0);
	assert_false(cfg.writeback_thread);
	assert_int_equal(cfg.writeback_interval_ms, 0);
	assert_null(cfg.log);
	assert_null(cfg.log_arg);
	assert_null(cfg.fatal);
	assert_null(cfg.fatal_arg);
	/* Multi-size THP: 2 MiB follows cfg.thp, every smaller size is off. */
	for (int order = 0; order < PNM_HPAGE_PMD_ORDER; order++)
		assert_int_equal(cfg.thp_size_enabled[order], PNM_THP_NEVER);
	assert_int_equal(cfg.thp_size_enabled[PNM_HPAGE_PMD_ORDER], PNM_THP_INHERIT);

	/* NULL means the defaults. */
	assert_int_equal(pnm_init(NULL), 0);
	assert_int_equal(pnm_get_config()->size, sizeof(cfg));
	assert_int_equal(pnm_get_config()->zone_frames[PNM_ZONE_NORMAL], 16384);
	assert_int_equal(pnm_fini(), 0);
}

/* pnm_config_init() writes the first @size bytes and nothing more; a
 * larger size (a newer caller) has its unknown tail zeroed and kept. */
static void test_init_respects_size(void **state)
{
	size_t old = offsetof(struct pnm_config, log);
	struct {
		struct pnm_config c;
		unsigned char newer[32];
	} big;
	unsigned char *bytes = (unsigned char *)&big;
	size_t i;

	(void)state;
	memset(&big, JUNK, sizeof(big));
	pnm_config_init(&big.c, old);
	assert_int_equal(big.c.size, old);
	assert_int_equal(big.c.zone_frames[PNM_ZONE_NORMAL], 16384);
	assert_int_equal(big.c.wb_policy, PNM_WB_STABLE);
	for (i = old; i < sizeof(big); i++)
		assert_int_equal(bytes[i], JUNK);

	memset(&big, JUNK, sizeof(big));
	pnm_config_init(&big.c, sizeof(big));	/* a newer caller's size */
	assert_int_equal(big.c.size, sizeof(big));
	assert_null(big.c.fatal_arg);
	for (i = 0; i < sizeof(big.newer); i++)
		assert_int_equal(big.newer[i], 0);
	/* ... so that a newer field it then sets is refused, not ignored. */
	assert_int_equal(pnm_init(&big.c) == 0 ? pnm_fini() : -1, 0);
	big.newer[3] = 1;
	assert_int_equal(pnm_init(&big.c), -E2BIG);

	memset(&big, JUNK, sizeof(big));
	pnm_config_init(&big.c, 0);
	for (i = 0; i < sizeof(big); i++)
		assert_int_equal(bytes[i], JUNK);
}

/*
 * An older caller: its struct ends before the hooks.  Everything it set
 * arrives; the fields beyond its size take their defaults, although its
 * memory there is junk.  (No release before 0.2 had a size field, so the
 * minimum is lowered here to play one; pnm_init() itself refuses it.)
 */
static void test_older_caller_gets_defaults(void **state)
{
	size_t old = offsetof(struct pnm_config, log);
	struct pnm_config cfg, out;

	(void)state;
	memset(&cfg, JUNK, sizeof(cfg));
	pnm_config_init(&cfg, old);
	cfg.thp = PNM_THP_ALWAYS;
	cfg.zone_frames[PNM_ZONE_NORMAL] = 1024;
	cfg.writeback_interval_ms = 7;
	memset(&out, 0, sizeof(out));
	assert_int_equal(pnm_config_import(&cfg, old, &out), 0);
	assert_int_equal(out.size, sizeof(out));
	assert_int_equal(out.thp, PNM_THP_ALWAYS);
	assert_int_equal(out.zone_frames[PNM_ZONE_NORMAL], 1024);
	assert_int_equal(out.zone_frames[PNM_ZONE_MOVABLE], 8192);
	assert_int_equal(out.writeback_interval_ms, 7);
	assert_null(out.log);
	assert_null(out.log_arg);
	assert_null(out.fatal);
	assert_null(out.fatal_arg);

	/* One byte short of the minimum: -EINVAL, @out untouched. */
	cfg.size = old - 1;
	memset(&out, JUNK, sizeof(out));
	assert_int_equal(pnm_config_import(&cfg, old, &out), -EINVAL);
	assert_int_equal(((unsigned char *)&out)[0], JUNK);	/* untouched */

	/* The real minimum is the 0.2 struct: pnm_init() refuses less. */
	cfg.size = old;
	assert_init_fails(&cfg, -EINVAL);
	cfg.size = PNM_CONFIG_SIZE_0_2 - 1;
	assert_init_fails(&cfg, -EINVAL);
	cfg.size = 0;
	assert_init_fails(&cfg, -EINVAL);
}

/*
 * A 0.2 caller: its struct ends at fatal_arg.  pnm_init() takes it, and
 * the 0.3 fields beyond it get their defaults (the 1 GiB hugetlb size is
 * offered), whatever its memory holds there.
 */
static void test_0_2_caller(void **state)
{
	struct pnm_config cfg, out;
	struct pnm_hugetlb_info hi = { .size = sizeof(hi) };

	(void)state;
	memset(&cfg, 0, sizeof(cfg));
	pnm_config_init(&cfg, PNM_CONFIG_SIZE_0_2);
	cfg.hugetlb_gigantic = false;		/* beyond its size: junk to us */
	memset(&out, 0, sizeof(out));
	assert_int_equal(pnm_config_import(&cfg, PNM_CONFIG_SIZE_0_2, &out), 0);
	assert_true(out.hugetlb_gigantic);
	assert_int_equal(pnm_init(&cfg), 0);
	assert_true(pnm_get_config()->hugetlb_gigantic);
	assert_int_equal(pnm_hugetlb_get_info(PNM_HUGETLB_1G, &hi), 0);
	assert_int_equal(pnm_fini(), 0);

	/* The full struct switches it off: the 1 GiB size is gone. */
	cfg.size = sizeof(cfg);
	assert_int_equal(pnm_init(&cfg), 0);
	assert_false(pnm_get_config()->hugetlb_gigantic);
	assert_int_equal(pnm_hugetlb_get_info(PNM_HUGETLB_1G, &hi), -EINVAL);
	assert_int_equal(pnm_hugetlb_get_info(PNM_HUGETLB_2M, &hi), 0);
	assert_int_equal(pnm_fini(), 0);
}

/*
 * A 0.2 caller knows nothing of the per-size THP switches: they take
 * their defaults whatever its memory holds beyond its struct, and
 * pnm_init() accepts it.
 */
static void test_0_2_caller_gets_thp_size_defaults(void **state)
{
	struct pnm_config cfg, out;

	(void)state;
	memset(&cfg, JUNK, sizeof(cfg));
	pnm_config_init(&cfg, PNM_CONFIG_SIZE_0_2);
	assert_int_equal(cfg.size, PNM_CONFIG_SIZE_0_2);
	assert_int_equal(((unsigned char *)&cfg)[PNM_CONFIG_SIZE_0_2], JUNK);
	memset(&out, 0, sizeof(out));
	assert_int_equal(pnm_config_import(&cfg, PNM_CONFIG_SIZE_0_2, &out), 0);
	assert_int_equal(out.thp_size_enabled[PNM_HPAGE_PMD_ORDER], PNM_THP_INHERIT);
	assert_int_equal(out.thp_size_enabled[4], PNM_THP_NEVER);
	assert_int_equal(pnm_init(&cfg), 0);
	assert_int_equal(pnm_thp_get_enabled(PNM_HPAGE_PMD_SIZE), PNM_THP_INHERIT);
	assert_int_equal(pnm_thp_get_enabled(64 << 10), PNM_THP_NEVER);
	assert_int_equal(pnm_fini(), 0);
}

/* A newer caller: a larger struct, the tail unknown here. */
static void test_newer_caller(void **state)
{
	struct {
		struct pnm_config c;
		unsigned char newer[40];
	} big;

	(void)state;
	memset(&big, 0, sizeof(big));
	pnm_config_default(&big.c);
	big.c.zone_frames[PNM_ZONE_NORMAL] = 2048;
	big.c.size = sizeof(big);
	assert_int_equal(pnm_init(&big.c), 0);
	assert_int_equal(pnm_get_config()->size, sizeof(struct pnm_config));
	assert_int_equal(pnm_get_config()->zone_frames[PNM_ZONE_NORMAL], 2048);
	assert_int_equal(pnm_fini(), 0);

	/* A field this library does not know is set: refused. */
	big.newer[sizeof(big.newer) - 1] = 1;
	assert_init_fails(&big.c, -E2BIG);
	big.newer[sizeof(big.newer) - 1] = 0;
	big.newer[0] = 0x80;
	assert_init_fails(&big.c, -E2BIG);

	/* An absurd size is refused without reading that far (asan would
	 * catch a read beyond big). */
	big.newer[0] = 0;
	big.c.size = 1UL << 40;
	assert_init_fails(&big.c, -E2BIG);
	big.c.size = PNM_STRUCT_SIZE_MAX + 1;
	assert_init_fails(&big.c, -E2BIG);
}

/* Every field, the hooks included, arrives in the active configuration;
 * bad values are refused. */
static void test_fields_arrive_and_are_validated(void **state)
{
	struct pnm_config cfg;
	const struct pnm_config *got;
	int arg;

	(void)state;
	pnm_test_config(&cfg);
	cfg.log = dummy_log;
	cfg.log_arg = &arg;
	cfg.fatal = dummy_fatal;
	cfg.fatal_arg = &cfg;
	cfg.wb_policy = PNM_WB_LINUX;
	cfg.dirty_limit_pages = 1234;
	assert_int_equal(pnm_init(&cfg), 0);
	got = pnm_get_config();
	assert_ptr_equal(got->log, dummy_log);
	assert_ptr_equal(got->log_arg, &arg);
	assert_ptr_equal(got->fatal, dummy_fatal);
	assert_ptr_equal(got->fatal_arg, &cfg);
	assert_int_equal(got->wb_policy, PNM_WB_LINUX);
	assert_int_equal(got->dirty_limit_pages, 1234);
	assert_int_equal(pnm_init(&cfg), -EBUSY);
	assert_int_equal(pnm_fini(), 0);

	pnm_test_config(&cfg);
	cfg.wb_policy = (enum pnm_wb_policy)7;
	assert_init_fails(&cfg, -EINVAL);
	pnm_test_config(&cfg);
	cfg.thp = (enum pnm_thp_mode)9;
	assert_init_fails(&cfg, -EINVAL);
	pnm_test_config(&cfg);
	cfg.pin_accounting = (enum pnm_pin_accounting)5;
	assert_init_fails(&cfg, -EINVAL);
	/* The global mode has no "inherit"; the size switches do, but only
	 * sizes from 16 KiB have one. */
	pnm_test_config(&cfg);
	cfg.thp = PNM_THP_INHERIT;
	assert_init_fails(&cfg, -EINVAL);
	pnm_test_config(&cfg);
	cfg.thp_size_enabled[4] = (enum pnm_thp_mode)4;
	assert_init_fails(&cfg, -EINVAL);
	pnm_test_config(&cfg);
	cfg.thp_size_enabled[1] = PNM_THP_ALWAYS;
	assert_init_fails(&cfg, -EINVAL);
	pnm_test_config(&cfg);
	cfg.thp_size_enabled[0] = PNM_THP_INHERIT;
	assert_init_fails(&cfg, -EINVAL);
	pnm_test_config(&cfg);
	cfg.thp_size_enabled[2] = PNM_THP_MADVISE;
	cfg.thp_size_enabled[5] = PNM_THP_ALWAYS;
	cfg.thp_size_enabled[PNM_HPAGE_PMD_ORDER] = PNM_THP_NEVER;
	assert_int_equal(pnm_init(&cfg), 0);
	assert_int_equal(pnm_get_config()->thp_size_enabled[5], PNM_THP_ALWAYS);
	assert_int_equal(pnm_thp_get_enabled(16 << 10), PNM_THP_MADVISE);
	assert_int_equal(pnm_thp_get_enabled(128 << 10), PNM_THP_ALWAYS);
	assert_int_equal(pnm_thp_get_enabled(PNM_HPAGE_PMD_SIZE), PNM_THP_NEVER);
	assert_int_equal(pnm_thp_get_enabled(32 << 10), PNM_THP_NEVER);
	assert_int_equal(pnm_fini(), 0);
	pnm_test_config(&cfg);
	cfg.zone_frames[PNM_ZONE_NORMAL] = 0;
	assert_init_fails(&cfg, -EINVAL);
	/* A swap device needs a header page and one slot at least. */
	pnm_test_config(&cfg);
	cfg.swap_pages = 1;
	assert_init_fails(&cfg, -EINVAL);
	cfg.swap_pages = PNM_SWAP_MAX_SLOTS + 1;
	assert_init_fails(&cfg, -EINVAL);
}

/*
 * swap_pages: pnm_init() sets the device up (its file in the data
 * directory, gone after pnm_fini()); a 0.2 caller, whose struct ends
 * before the field, gets none whatever its memory holds there.
 */
static void test_swap_pages(void **state)
{
	struct pnm_swap_info si = { .size = sizeof(si) };
	struct pnm_config cfg;
	char path[4096];

	(void)state;
	pnm_test_config(&cfg);
	cfg.swap_pages = 65;
	assert_int_equal(pnm_init(&cfg), 0);
	assert_int_equal(pnm_get_swap_info(&si), 0);
	assert_true(si.active);
	assert_int_equal(si.total, 64);
	assert_int_equal(si.used, 0);
	assert_int_equal(pnm_swap_backing_path(path, sizeof(path)), 0);
	assert_int_equal(access(path, F_OK), 0);
	assert_int_equal(pnm_swapon(NULL, 8), -EBUSY);
	assert_int_equal(pnm_fini(), 0);
	assert_int_equal(access(path, F_OK), -1);

	memset(&cfg, JUNK, sizeof(cfg));
	pnm_config_init(&cfg, PNM_CONFIG_SIZE_0_2);
	cfg.zone_frames[PNM_ZONE_NORMAL] = 2048;
	assert_int_equal(pnm_init(&cfg), 0);
	assert_int_equal(pnm_get_config()->swap_pages, 0);
	si.size = sizeof(si);
	assert_int_equal(pnm_get_swap_info(&si), 0);
	assert_false(si.active);
	assert_int_equal(pnm_fini(), 0);
}

static int cleanup(void **state)
{
	(void)state;
	if (pnm_initialised)
		pnm_fini();
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_defaults, cleanup),
		cmocka_unit_test_teardown(test_init_respects_size, cleanup),
		cmocka_unit_test_teardown(test_older_caller_gets_defaults, cleanup),
		cmocka_unit_test_teardown(test_0_2_caller, cleanup),
		cmocka_unit_test_teardown(test_0_2_caller_gets_thp_size_defaults, cleanup),
		cmocka_unit_test_teardown(test_newer_caller, cleanup),
		cmocka_unit_test_teardown(test_fields_arrive_and_are_validated, cleanup),
		cmocka_unit_test_teardown(test_swap_pages, cleanup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
