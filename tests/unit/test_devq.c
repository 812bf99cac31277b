// SPDX-License-Identifier: MIT
/*
 * test_devq.c - the call sites' device queue (src/drivers/devq.c): argument
 * checks, every item run exactly once by several threads, freezing holds
 * queued items back (and drain does not wait for them), thawing lets them
 * run, items may queue follow-up work, destroy runs what is still queued
 * even when frozen.  Needs no model: the queue is host threads only.
 */
#include <string.h>

#include "test_util.h"
#include "drivers/devq.h"

#define NITEMS	256

struct item {
	struct pnm_devq_work work;	/* first: the fn casts back */
	int runs;			/* __atomic builtins */
	struct pnm_devq *q;		/* follow-up: queue @child from fn */
	struct item *child;
};

static long total_runs;		/* __atomic builtins */

static void item_fn(struct pnm_devq_work *w)
{
	struct item *it = (struct item *)w;

	__atomic_fetch_add(&it->runs, 1, __ATOMIC_RELAXED);
	__atomic_fetch_add(&total_runs, 1, __ATOMIC_RELAXED);
	if (it->child)
		pnm_devq_queue(it->q, &it->child->work);
}

static void items_init(struct item *items, int n)
{
	memset(items, 0, sizeof(*items) * (size_t)n);
	for (int i = 0; i < n; i++) {
		items[i].work.fn = item_fn;
		items[i].runs = 0;
	}
	__atomic_store_n(&total_runs, 0, __ATOMIC_RELAXED);
}

static void test_devq_args(void **state)
{
	static char sentinel;
	struct pnm_devq *const mark = (struct pnm_devq *)&sentinel;
	struct pnm_devq *q = mark;	/* failures leave it untouched */

	(void)state;

	assert_int_equal(pnm_devq_create("q", 0, &q), -EINVAL);
	assert_int_equal(pnm_devq_create("q", PNM_DEVQ_MAX_THREADS + 1, &q), -EINVAL);
	assert_int_equal(pnm_devq_create(NULL, 1, &q), -EINVAL);
	assert_int_equal(pnm_devq_create("q", 1, NULL), -EINVAL);
	assert_ptr_equal(q, mark);
	pnm_devq_destroy(NULL);
	assert_int_equal(pnm_devq_create("q", PNM_DEVQ_MAX_THREADS, &q), 0);
	assert_false(pnm_devq_frozen(q));
	assert_int_equal(pnm_devq_queued(q), 0);
	assert_int_equal(pnm_devq_running(q), 0);
	pnm_devq_destroy(q);
}

static void test_devq_runs_each_once(void **state)
{
	static struct item items[NITEMS];
	struct pnm_devq *q;

	(void)state;
	items_init(items, NITEMS);
	assert_int_equal(pnm_devq_create("once", 4, &q), 0);
	for (int i = 0; i < NITEMS; i++)
		pnm_devq_queue(q, &items[i].work);
	pnm_devq_drain(q);
	assert_int_equal(pnm_devq_queued(q), 0);
	assert_int_equal(pnm_devq_running(q), 0);
	assert_int_equal(__atomic_load_n(&total_runs, __ATOMIC_RELAXED), NITEMS);
	for (int i = 0; i < NITEMS; i++)
		assert_int_equal(__atomic_load_n(&items[i].runs, __ATOMIC_RELAXED), 1);
	pnm_devq_destroy(q);
}

static void test_devq_freeze_thaw(void **state)
{
	static struct item items[16];
	struct pnm_devq *q;

	(void)state;
	items_init(items, 16);
	assert_int_equal(pnm_devq_create("freeze", 2, &q), 0);
	pnm_devq_freeze(q);
	assert_true(pnm_devq_frozen(q));
	for (int i = 0; i < 16; i++)
		pnm_devq_queue(q, &items[i].work);
	/* Drain waits only for running items: none may start while frozen. */
	pnm_devq_drain(q);
	assert_int_equal(pnm_devq_queued(q), 16);
	assert_int_equal(__atomic_load_n(&total_runs, __ATOMIC_RELAXED), 0);
	pnm_devq_thaw(q);
	assert_false(pnm_devq_frozen(q));
	pnm_devq_drain(q);
	assert_int_equal(pnm_devq_queued(q), 0);
	assert_int_equal(__atomic_load_n(&total_runs, __ATOMIC_RELAXED), 16);
	pnm_devq_destroy(q);
}

static void test_devq_follow_up(void **state)
{
	static struct item items[64];
	struct pnm_devq *q;

	(void)state;
	items_init(items, 64);
	assert_int_equal(pnm_devq_create("chain", 3, &q), 0);
	/* One chain: each item queues the next from its device thread. */
	for (int i = 0; i < 63; i++) {
		items[i].q = q;
		items[i].child = &items[i + 1];
	}
	pnm_devq_queue(q, &items[0].work);
	pnm_devq_drain(q);
	assert_int_equal(__atomic_load_n(&total_runs, __ATOMIC_RELAXED), 64);
	for (int i = 0; i < 64; i++)
		assert_int_equal(__atomic_load_n(&items[i].runs, __ATOMIC_RELAXED), 1);
	pnm_devq_destroy(q);
}

static void test_devq_destroy_runs_queued(void **state)
{
	static struct item items[8];
	struct pnm_devq *q;

	(void)state;
	items_init(items, 8);
	assert_int_equal(pnm_devq_create("destroy", 1, &q), 0);
	pnm_devq_freeze(q);
	for (int i = 0; i < 8; i++)
		pnm_devq_queue(q, &items[i].work);
	assert_int_equal(__atomic_load_n(&total_runs, __ATOMIC_RELAXED), 0);
	pnm_devq_destroy(q);
	assert_int_equal(__atomic_load_n(&total_runs, __ATOMIC_RELAXED), 8);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_devq_args),
		cmocka_unit_test(test_devq_runs_each_once),
		cmocka_unit_test(test_devq_freeze_thaw),
		cmocka_unit_test(test_devq_follow_up),
		cmocka_unit_test(test_devq_destroy_runs_queued),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
