// SPDX-License-Identifier: MIT
/*
 * test_interval_tree.c - the augmented interval tree of the reverse map
 * (interval_tree.c): seeded random inserts and removals checked against a
 * brute-force list after every step (every query's answer, in order, and
 * the tree's own invariants through pnm_check_itree()); ties kept in
 * insertion order (what fork's walk order relies on); the checker noticing
 * a corrupted node.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "test_util.h"
#include "pinmm_test_internal.h"

#define NR_NODES	256

struct item {
	struct interval_tree_node node;
	bool in;
	unsigned long order;	/* insertion order, for ties */
};

static struct item items[NR_NODES];

/* Brute force: the items in the tree intersecting [s, l], in tree order
 * (start, then insertion order). */
static int brute(unsigned long s, unsigned long l, struct item **out)
{
	int n = 0, i, j;

	for (i = 0; i < NR_NODES; i++)
		if (items[i].in && items[i].node.start <= l && items[i].node.last >= s)
			out[n++] = &items[i];
	for (i = 1; i < n; i++) {
		struct item *x = out[i];

		for (j = i; j > 0; j--) {
			struct item *y = out[j - 1];

			if (y->node.start < x->node.start ||
			    (y->node.start == x->node.start && y->order < x->order))
				break;
			out[j] = y;
		}
		out[j] = x;
	}
	return n;
}

static void check_query(struct pnm_itree_root *root, unsigned long s, unsigned long l)
{
	struct item *want[NR_NODES];
	struct interval_tree_node *n;
	int nr = brute(s, l, want), i = 0;

	for (n = interval_tree_iter_first(root, s, l); n; n = interval_tree_iter_next(n, s, l)) {
		assert_true(i < nr);
		assert_ptr_equal(n, &want[i]->node);
		i++;
	}
	assert_int_equal(i, nr);
}

/* Random intervals in a small space so that they overlap a lot, plus a few
 * that reach the top of the offset space (VMAs near the end of a file). */
static void random_interval(uint64_t *seed, unsigned long *s, unsigned long *l)
{
	uint64_t r = test_rand(seed);

	if (r % 17 == 0) {
		*s = ULONG_MAX - r % 64;
		*l = ULONG_MAX;
		return;
	}
	*s = r % 1024;
	*l = *s + (test_rand(seed) % 64);
}

static void test_random_against_brute_force(void **state)
{
	struct pnm_itree_root root = PNM_ITREE_ROOT_INIT;
	uint64_t seed = 0x17e2;
	unsigned long order = 0;
	int step, q;

	(void)state;
	memset(items, 0, sizeof(items));
	for (step = 0; step < 20000; step++) {
		struct item *it = &items[test_rand(&seed) % NR_NODES];

		if (it->in) {
			interval_tree_remove(&it->node, &root);
			assert_false(interval_tree_node_linked(&it->node));
			it->in = false;
		} else {
			random_interval(&seed, &it->node.start, &it->node.last);
			interval_tree_insert(&it->node, &root);
			it->in = true;
			it->order = ++order;
		}
		if (step % 64 == 0 || step < 512) {
			assert_true(pnm_check_itree(&root, "test tree"));
			for (q = 0; q < 8; q++) {
				unsigned long s, l;

				random_interval(&seed, &s, &l);
				check_query(&root, s, l);
			}
			check_query(&root, 0, ULONG_MAX);
		}
	}
	assert_true(pnm_check_itree(&root, "test tree"));
	for (step = 0; step < NR_NODES; step++)
		if (items[step].in)
			interval_tree_remove(&items[step].node, &root);
	assert_true(pnm_itree_empty(&root));
	assert_int_equal(root.nr, 0);
}

/* Equal intervals come back in the order they were inserted, also after
 * others around them were removed and re-inserted. */
static void test_ties_in_insertion_order(void **state)
{
	struct pnm_itree_root root = PNM_ITREE_ROOT_INIT;
	struct interval_tree_node *n;
	int i;

	(void)state;
	memset(items, 0, sizeof(items));
	for (i = 0; i < 64; i++) {
		items[i].node.start = 100;
		items[i].node.last = 200;
		interval_tree_insert(&items[i].node, &root);
	}
	/* Re-inserting a node puts it after the others. */
	interval_tree_remove(&items[5].node, &root);
	interval_tree_insert(&items[5].node, &root);
	n = interval_tree_iter_first(&root, 150, 150);
	for (i = 0; i < 64; i++) {
		if (i == 5)
			continue;
		assert_ptr_equal(n, &items[i].node);
		n = interval_tree_iter_next(n, 150, 150);
	}
	assert_ptr_equal(n, &items[5].node);
	assert_null(interval_tree_iter_next(n, 150, 150));
	assert_null(interval_tree_iter_first(&root, 201, 300));
	assert_null(interval_tree_iter_first(&root, 0, 99));
	assert_true(pnm_check_itree(&root, "ties"));
	for (i = 0; i < 64; i++)
		interval_tree_remove(&items[i].node, &root);
	assert_true(pnm_itree_empty(&root));
}

static void test_checker_catches(void **state)
{
	struct pnm_itree_root root = PNM_ITREE_ROOT_INIT;
	int i;

	(void)state;
	memset(items, 0, sizeof(items));
	for (i = 0; i < 16; i++) {
		items[i].node.start = (unsigned long)i * 10;
		items[i].node.last = (unsigned long)i * 10 + 5;
		interval_tree_insert(&items[i].node, &root);
	}
	assert_true(pnm_check_itree(&root, "ok"));
	/* A stale cached subtree maximum. */
	root.node->subtree_last++;
	assert_false(pnm_check_itree(&root, "corrupt"));
	root.node->subtree_last--;
	/* A node out of order (its start changed without re-insertion). */
	items[3].node.start = 1000;
	items[3].node.last = 1000;
	assert_false(pnm_check_itree(&root, "corrupt"));
	items[3].node.start = 30;
	items[3].node.last = 35;
	/* A wrong count. */
	root.nr++;
	assert_false(pnm_check_itree(&root, "corrupt"));
	root.nr--;
	assert_true(pnm_check_itree(&root, "ok"));
	for (i = 0; i < 16; i++)
		interval_tree_remove(&items[i].node, &root);
}

/* pnm_itree_contains(): a node of this tree, of another tree, of none;
 * pnm_check_itree_once() outside a checker pass checks every time. */
static void test_contains_and_once(void **state)
{
	struct pnm_itree_root a = PNM_ITREE_ROOT_INIT, b = PNM_ITREE_ROOT_INIT;
	int i;

	(void)state;
	memset(items, 0, sizeof(items));
	for (i = 0; i < 32; i++) {
		/* Every node of a on the same range: a search by range would
		 * visit all of them. */
		items[i].node.start = i < 24 ? 100 : (unsigned long)i;
		items[i].node.last = i < 24 ? 200 : (unsigned long)i;
		interval_tree_insert(&items[i].node, i < 24 ? &a : &b);
	}
	for (i = 0; i < 32; i++) {
		assert_true(pnm_itree_contains(i < 24 ? &a : &b, &items[i].node));
		assert_false(pnm_itree_contains(i < 24 ? &b : &a, &items[i].node));
	}
	assert_int_equal(pnm_check_pass(), 0);
	assert_true(pnm_check_itree_once(&a, "ok"));
	a.nr++;
	assert_false(pnm_check_itree_once(&a, "corrupt"));	/* not skipped */
	a.nr--;
	interval_tree_remove(&items[5].node, &a);
	assert_false(pnm_itree_contains(&a, &items[5].node));	/* unlinked */
	for (i = 0; i < 32; i++)
		if (i != 5)
			interval_tree_remove(&items[i].node, i < 24 ? &a : &b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_contains_and_once,
						pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_random_against_brute_force,
						pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_ties_in_insertion_order,
						pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_checker_catches,
						pnm_test_setup, pnm_test_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
