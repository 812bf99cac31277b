// SPDX-License-Identifier: MIT
/*
 * test_xarray.c - the radix tree behind the page cache (xarray.c).
 *
 * White-box: this file includes src/xarray.c, so that the tree's height
 * can be checked directly; node allocation failures are injected with
 * pnm_fault_fail_nth(PNM_FAULT_XA_NODE) (pinmm/fault.h) to test the
 * "-ENOMEM leaves the tree unchanged" contract.  The included copy
 * replaces the library's xarray.o in this binary (same source; the
 * archive member is then never pulled in).
 *
 * The random test runs seeded operations against a plain reference array
 * over a fixed set of candidate indexes chosen to exercise every level of
 * the tree (small, clustered, sparse 64-bit, and the very top of the range).
 */
#include <stdlib.h>
#include <string.h>

#include "test_util.h"
#include "pinmm_test_internal.h"

#include "../../src/xarray.c"

/* Distinct, aligned fake entries. */
#define ENTRY(i)	((void *)(uintptr_t)(((uintptr_t)(i) + 1) << 4))

static void test_basic_and_heights(void **state)
{
	struct xarray xa;
	unsigned long idx;

	(void)state;
	xa_init(&xa);
	assert_null(xa_load(&xa, 0));
	assert_null(xa_load(&xa, ~0UL));
	assert_null(xa_erase(&xa, 5));
	assert_true(pnm_check_xarray(&xa));
	assert_int_equal(xa.xa_height, 0);

	assert_int_equal(xa_store(&xa, 5, ENTRY(5)), 0);
	assert_int_equal(xa.xa_height, 1);
	assert_ptr_equal(xa_load(&xa, 5), ENTRY(5));
	assert_null(xa_load(&xa, 4));
	assert_null(xa_load(&xa, 64 + 5));	/* beyond the height */
	assert_int_equal(xa.xa_count, 1);

	assert_int_equal(xa_store(&xa, 64, ENTRY(64)), 0);
	assert_int_equal(xa.xa_height, 2);
	assert_int_equal(xa_store(&xa, ~0UL, ENTRY(99)), 0);
	assert_int_equal(xa.xa_height, XA_MAX_HEIGHT);
	assert_ptr_equal(xa_load(&xa, ~0UL), ENTRY(99));
	assert_ptr_equal(xa_load(&xa, 5), ENTRY(5));
	assert_int_equal(xa.xa_count, 3);
	assert_true(pnm_check_xarray(&xa));

	/* Replacing does not change the count. */
	assert_int_equal(xa_store(&xa, 64, ENTRY(640)), 0);
	assert_int_equal(xa.xa_count, 3);
	assert_ptr_equal(xa_load(&xa, 64), ENTRY(640));

	/* Find walks in index order and skips empty subtrees. */
	spin_lock(&xa.xa_lock);
	idx = 0;
	assert_ptr_equal(xa_find_locked(&xa, &idx, ~0UL), ENTRY(5));
	assert_int_equal(idx, 5);
	idx = 6;
	assert_ptr_equal(xa_find_locked(&xa, &idx, ~0UL), ENTRY(640));
	assert_int_equal(idx, 64);
	idx = 65;
	assert_ptr_equal(xa_find_locked(&xa, &idx, ~0UL), ENTRY(99));
	assert_int_equal(idx, ~0UL);
	idx = 65;
	assert_null(xa_find_locked(&xa, &idx, ~0UL - 1));
	assert_int_equal(idx, 65);		/* unchanged on failure */
	idx = 6;
	assert_null(xa_find_locked(&xa, &idx, 63));
	idx = 10;
	assert_null(xa_find_locked(&xa, &idx, 9));	/* empty range */
	spin_unlock(&xa.xa_lock);

	/* Erasing the top entry shrinks the tree back. */
	assert_ptr_equal(xa_erase(&xa, ~0UL), ENTRY(99));
	assert_int_equal(xa.xa_height, 2);
	assert_true(pnm_check_xarray(&xa));
	/* Storing NULL erases. */
	assert_int_equal(xa_store(&xa, 64, NULL), 0);
	assert_int_equal(xa.xa_height, 1);
	assert_int_equal(xa.xa_count, 1);
	assert_ptr_equal(xa_erase(&xa, 5), ENTRY(5));
	assert_null(xa.xa_head);
	assert_int_equal(xa.xa_height, 0);
	assert_int_equal(xa.xa_count, 0);
	assert_true(pnm_check_xarray(&xa));

	/* A tree whose lowest entry is far from 0 keeps slot-0 chains
	 * only where needed: 64*64 needs height 3, erasing 0 keeps it. */
	assert_int_equal(xa_store(&xa, 0, ENTRY(0)), 0);
	assert_int_equal(xa_store(&xa, 4096, ENTRY(4096)), 0);
	assert_int_equal(xa.xa_height, 3);
	assert_ptr_equal(xa_erase(&xa, 0), ENTRY(0));
	assert_int_equal(xa.xa_height, 3);
	assert_true(pnm_check_xarray(&xa));
	xa_destroy(&xa);
}

/* Every failed store leaves the tree exactly as it was. */
static void test_enomem_unchanged(void **state)
{
	static const unsigned long idx[] = { 3, 70, 5000, 1UL << 40, ~0UL, 4097 };
	struct xarray xa;
	unsigned int i;

	(void)state;
	xa_init(&xa);
	assert_int_equal(xa_store(&xa, 1, ENTRY(1)), 0);
	for (i = 0; i < ARRAY_SIZE(idx); i++) {
		struct xa_node *head = xa.xa_head;
		unsigned int height = xa.xa_height;
		long k;

		/* Fail the first, second, ... node allocation of the store
		 * until it succeeds; each failure must change nothing. */
		for (k = 1; ; k++) {
			int ret;

			pnm_fault_fail_nth(PNM_FAULT_XA_NODE, (unsigned long)k);
			ret = xa_store(&xa, idx[i], ENTRY(i + 100));
			pnm_fault_fail_nth(PNM_FAULT_XA_NODE, 0);
			if (ret == 0)
				break;
			assert_int_equal(ret, -ENOMEM);
			assert_ptr_equal(xa.xa_head, head);
			assert_int_equal(xa.xa_height, height);
			assert_int_equal(xa.xa_count, i + 1);
			assert_null(xa_load(&xa, idx[i]));
			/* The nodes it did get were freed again: the
			 * asan build's leak checker would report them. */
			assert_true(pnm_check_xarray(&xa));
		}
		assert_true(k > 1 || xa.xa_head == head);
		assert_ptr_equal(xa_load(&xa, idx[i]), ENTRY(i + 100));
		assert_int_equal(xa.xa_count, i + 2);
		assert_true(pnm_check_xarray(&xa));
	}
	/* Replacing an entry needs no node and cannot fail. */
	pnm_fault_fail_nth(PNM_FAULT_XA_NODE, 1);
	assert_int_equal(xa_store(&xa, 70, ENTRY(7)), 0);
	pnm_fault_fail_nth(PNM_FAULT_XA_NODE, 0);
	xa_destroy(&xa);
}

#define NR_CAND	600

static unsigned long cand[NR_CAND];
static void *ref[NR_CAND];

static void make_candidates(uint64_t *seed)
{
	unsigned int i;

	for (i = 0; i < NR_CAND; i++) {
		switch (i % 5) {
		case 0:
			cand[i] = i;				/* dense, small */
			break;
		case 1:
			cand[i] = 4096 + (test_rand(seed) % 8192);	/* level 3 */
			break;
		case 2:
			cand[i] = test_rand(seed);		/* sparse 64-bit */
			break;
		case 3:
			cand[i] = ~0UL - (test_rand(seed) % 300);	/* the top */
			break;
		default:
			cand[i] = (test_rand(seed) % 64) << 30;	/* aligned far */
			break;
		}
	}
}

/* Reference find: smallest candidate index in [lo, hi] that is present. */
static int ref_find(unsigned long lo, unsigned long hi)
{
	int best = -1;
	unsigned int i;

	for (i = 0; i < NR_CAND; i++) {
		if (!ref[i] || cand[i] < lo || cand[i] > hi)
			continue;
		if (best < 0 || cand[i] < cand[best])
			best = i;
	}
	return best;
}

/* The reference holds one value per distinct index; duplicates share. */
static void ref_set(unsigned long index, void *v)
{
	unsigned int i;

	for (i = 0; i < NR_CAND; i++)
		if (cand[i] == index)
			ref[i] = v;
}

static void test_random_vs_reference(void **state)
{
	uint64_t seed = 0xa11ce5eedULL;
	struct xarray xa;
	unsigned long present = 0;
	unsigned int op, i;

	(void)state;
	memset(ref, 0, sizeof(ref));
	make_candidates(&seed);
	xa_init(&xa);

	for (op = 0; op < 20000; op++) {
		unsigned int c = test_rand(&seed) % NR_CAND;
		unsigned int kind = test_rand(&seed) % 10;
		unsigned long index = cand[c];

		spin_lock(&xa.xa_lock);
		if (kind < 4) {
			void *v = ENTRY(test_rand(&seed) & 0xffffff);

			assert_int_equal(xa_store_locked(&xa, index, v), 0);
			ref_set(index, v);
		} else if (kind < 7) {
			assert_ptr_equal(xa_erase_locked(&xa, index), ref[c]);
			ref_set(index, NULL);
		} else if (kind < 9) {
			assert_ptr_equal(xa_load_locked(&xa, index), ref[c]);
		} else {
			unsigned long lo = cand[test_rand(&seed) % NR_CAND];
			unsigned long hi = cand[test_rand(&seed) % NR_CAND];
			unsigned long at;
			void *got;
			int want;

			if (lo > hi) {
				unsigned long t = lo;

				lo = hi;
				hi = t;
			}
			if (test_rand(&seed) & 1)
				hi = ~0UL;
			at = lo;
			want = ref_find(lo, hi);
			got = xa_find_locked(&xa, &at, hi);
			if (want < 0) {
				assert_null(got);
				assert_int_equal(at, lo);
			} else {
				assert_ptr_equal(got, ref[want]);
				assert_int_equal(at, cand[want]);
			}
		}
		spin_unlock(&xa.xa_lock);
		if (op % 500 == 0)
			assert_true(pnm_check_xarray(&xa));
	}

	/* Count and full in-order iteration agree with the reference. */
	for (i = 0; i < NR_CAND; i++) {
		unsigned int j;
		bool dup = false;

		for (j = 0; j < i; j++)
			dup |= cand[j] == cand[i];
		if (ref[i] && !dup)
			present++;
	}
	assert_int_equal(xa.xa_count, present);
	{
		unsigned long at = 0, seen = 0, last = 0;
		void *e;

		spin_lock(&xa.xa_lock);
		while ((e = xa_find_locked(&xa, &at, ~0UL))) {
			assert_true(seen == 0 || at > last);
			seen++;
			last = at;
			if (at == ~0UL)
				break;
			at++;
		}
		spin_unlock(&xa.xa_lock);
		assert_int_equal(seen, present);
	}
	assert_true(pnm_check_xarray(&xa));

	/* Erase everything: the tree must collapse to nothing. */
	for (i = 0; i < NR_CAND; i++)
		xa_erase(&xa, cand[i]);
	assert_null(xa.xa_head);
	assert_int_equal(xa.xa_count, 0);
	assert_true(pnm_check_xarray(&xa));
	xa_destroy(&xa);
}

/* The checker notices a corrupted count. */
static void test_check_catches_corruption(void **state)
{
	struct xarray xa;

	(void)state;
	xa_init(&xa);
	assert_int_equal(xa_store(&xa, 100, ENTRY(1)), 0);
	xa.xa_count++;
	assert_false(pnm_check_xarray(&xa));
	assert_non_null(strstr(pnm_check_error(), "xa_count"));
	xa.xa_count--;
	xa.xa_head->count++;
	assert_false(pnm_check_xarray(&xa));
	xa.xa_head->count--;
	assert_true(pnm_check_xarray(&xa));
	xa_destroy(&xa);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_basic_and_heights),
		cmocka_unit_test(test_enomem_unchanged),
		cmocka_unit_test(test_random_vs_reference),
		cmocka_unit_test(test_check_catches_corruption),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
