// SPDX-License-Identifier: MIT
/*
 * test_errseq.c - writeback error reporting (page-writeback.c): the
 * errseq_t word itself (record, sample, check, check-and-advance, the
 * SEEN flag and the counter), and its use by files: every opener is told
 * of a writeback error exactly once, an opener that arrives after the
 * error was reported is not told, one that arrives before anyone saw it
 * is (Linux's rule, so an error is never lost), several errors between
 * two fsyncs are one report of the latest, and fsync through
 * file_write_and_wait_range() reports errors of other writebacks too.
 * A threaded test checks that concurrent reporters and recorders never
 * lose an error.
 */
#include <limits.h>
#include <pthread.h>

#include "wb_testfs.h"

#define PG	PAGE_SIZE

static void test_errseq_word(void **state)
{
	errseq_t e = 0, since, s2;
	long warnings = atomic_long_read(&pnm_nr_warnings);

	(void)state;
	/* Nothing recorded: nothing to report. */
	since = errseq_sample(&e);
	assert_int_equal(since, 0);
	assert_int_equal(errseq_check(&e, since), 0);
	assert_int_equal(errseq_check_and_advance(&e, &since), 0);

	/* Record, report once. */
	errseq_set(&e, -EIO);
	assert_int_equal(errseq_check(&e, since), -EIO);
	assert_int_equal(errseq_check(&e, since), -EIO);	/* check marks nothing */
	assert_int_equal(errseq_check_and_advance(&e, &since), -EIO);
	assert_int_equal(errseq_check_and_advance(&e, &since), 0);
	assert_int_equal(errseq_check(&e, since), 0);

	/* The same errno again, after it was seen, is a new error. */
	s2 = since;
	errseq_set(&e, -EIO);
	assert_int_not_equal(e, s2);
	assert_int_equal(errseq_check_and_advance(&e, &since), -EIO);
	assert_int_equal(errseq_check_and_advance(&e, &since), 0);

	/* Two errors before anyone looks: the latest, once.  Recording
	 * while unseen does not move the counter. */
	s2 = e;
	errseq_set(&e, -ENOSPC);
	errseq_set(&e, -EIO);
	assert_int_equal(e >> 13, (s2 >> 13) + 1);	/* one new generation */
	assert_int_equal(errseq_check_and_advance(&e, &since), -EIO);
	assert_int_equal(errseq_check_and_advance(&e, &since), 0);

	/* 0 records nothing; a bad value warns and records nothing. */
	s2 = e;
	assert_int_equal(errseq_set(&e, 0), s2);
	assert_int_equal(errseq_set(&e, 5), s2);
	assert_int_equal(errseq_set(&e, -5000), s2);
	assert_int_equal(e, s2);
	assert_true(atomic_long_read(&pnm_nr_warnings) > warnings);
}

static void test_errseq_sample_rules(void **state)
{
	errseq_t e = 0, a, b, c;

	(void)state;
	a = errseq_sample(&e);
	errseq_set(&e, -EIO);
	/* Nobody saw it: a new sampler will still be told. */
	b = errseq_sample(&e);
	assert_int_equal(b, 0);
	assert_int_equal(errseq_check_and_advance(&e, &a), -EIO);
	/* Seen: a sampler from now on is not told of it. */
	c = errseq_sample(&e);
	assert_int_equal(errseq_check_and_advance(&e, &c), 0);
	assert_int_equal(errseq_check_and_advance(&e, &b), -EIO);
	assert_int_equal(errseq_check_and_advance(&e, &b), 0);
}

/* Openers of one file, errors from writeback. */
static void test_file_openers(void **state)
{
	struct tfs *t = tfs_create(0);
	struct address_space *mapping = tfs_mapping(t);
	struct file *a = &t->file, *b, *c, *d;
	struct folio *folio;
	errseq_t since;

	(void)state;
	folio = tfs_add_folio(t, 0, 0, 0x11, true);
	b = tfs_open(t);
	since = errseq_sample(&mapping->wb_err);

	/* A writeback (not an fsync) fails; nobody is told yet. */
	atomic_set(&t->inject, -EIO);
	assert_int_equal(tfs_writeback(t, WB_SYNC_NONE, NULL), -EIO);
	assert_int_equal(filemap_check_wb_err(mapping, since), -EIO);

	/* c opens after the error, before anyone saw it: told (Linux). */
	c = tfs_open(t);
	assert_int_equal(file_check_and_advance_wb_err(a), -EIO);
	assert_int_equal(file_check_and_advance_wb_err(a), 0);
	/* d opens after a reported it: not told. */
	d = tfs_open(t);
	assert_int_equal(file_check_and_advance_wb_err(d), 0);
	/* b and c: each once, through fsync (nothing left to write). */
	assert_int_equal(b->f_op->fsync(b, 0, LLONG_MAX, 0), -EIO);
	assert_int_equal(b->f_op->fsync(b, 0, LLONG_MAX, 0), 0);
	assert_int_equal(c->f_op->fsync(c, 0, LLONG_MAX, 0), -EIO);
	assert_int_equal(c->f_op->fsync(c, 0, LLONG_MAX, 0), 0);
	CHECK_ALL();

	/* Two more errors before anyone looks: one report of the latest,
	 * for every opener, d included. */
	folio_lock(folio);
	folio_mark_dirty(folio);
	folio_unlock(folio);
	atomic_set(&t->inject, -ENOSPC);
	assert_int_equal(filemap_write_and_wait_range(mapping, 0, LLONG_MAX), -ENOSPC);
	mapping_set_error(mapping, -EIO);
	mapping_set_error(mapping, 0);			/* nothing */
	assert_int_equal(file_check_and_advance_wb_err(a), -EIO);
	assert_int_equal(file_check_and_advance_wb_err(b), -EIO);
	assert_int_equal(file_check_and_advance_wb_err(c), -EIO);
	assert_int_equal(file_check_and_advance_wb_err(d), -EIO);
	assert_int_equal(file_check_and_advance_wb_err(a), 0);
	assert_int_equal(file_check_and_advance_wb_err(d), 0);

	/* fsync's own write failing: returned once, then nothing. */
	folio_lock(folio);
	folio_mark_dirty(folio);
	folio_unlock(folio);
	atomic_set(&t->inject, -EIO);
	assert_int_equal(d->f_op->fsync(d, 0, LLONG_MAX, 0), -EIO);
	assert_int_equal(d->f_op->fsync(d, 0, LLONG_MAX, 0), 0);
	/* ...and the others still hear of it once. */
	assert_int_equal(a->f_op->fsync(a, 0, LLONG_MAX, 0), -EIO);
	assert_int_equal(a->f_op->fsync(a, 0, LLONG_MAX, 0), 0);
	/* A successful writeback does not clear anyone's pending error. */
	folio_lock(folio);
	folio_mark_dirty(folio);
	folio_unlock(folio);
	assert_int_equal(tfs_writeback(t, WB_SYNC_ALL, NULL), 0);
	assert_int_equal(b->f_op->fsync(b, 0, LLONG_MAX, 0), -EIO);
	assert_int_equal(c->f_op->fsync(c, 0, LLONG_MAX, 0), -EIO);
	assert_int_equal(c->f_op->fsync(c, 0, LLONG_MAX, 0), 0);
	CHECK_ALL();

	fput(b);
	fput(c);
	fput(d);
	folio_put(folio);
	tfs_destroy(t);
	CHECK_ALL();
}

/* --- threads: recorders and reporters ---------------------------------------
 *
 * One thread records errors while readers report with their own "since"
 * (as files do, each under its own lock).  Every report must be one of the
 * recorded errors; the counter only moves forward; and once the recorder
 * has finished (joined), each reader's next report is the final error
 * exactly when it has not reported that value yet, and then nothing.
 */

#define ES_READERS	3
#define ES_ROUNDS	20000

struct es_shared {
	errseq_t wb_err;
	atomic_t go;
	atomic_t setter_done;
	atomic_t failures;
};

struct es_reader {
	struct es_shared *sh;
	errseq_t since;			/* reader's own; main reads after join */
	long reported;			/* likewise */
};

static void *es_setter(void *arg)
{
	struct es_shared *sh = arg;
	uint64_t s = 0xe55e9ULL;
	int i;

	while (!atomic_read(&sh->go))
		;
	for (i = 0; i < ES_ROUNDS; i++)
		errseq_set(&sh->wb_err, (test_rand(&s) & 1) ? -EIO : -ENOSPC);
	atomic_set(&sh->setter_done, 1);
	return NULL;
}

static void *es_reader_fn(void *arg)
{
	struct es_reader *rd = arg;
	struct es_shared *sh = rd->sh;
	errseq_t prev;
	int err;

	while (!atomic_read(&sh->go))
		;
	while (!atomic_read(&sh->setter_done)) {
		prev = rd->since;
		err = errseq_check_and_advance(&sh->wb_err, &rd->since);
		if (err && err != -EIO && err != -ENOSPC)
			atomic_inc(&sh->failures);
		/* The counter (above the errno and SEEN bits) never goes back. */
		if ((rd->since >> 13) < (prev >> 13))
			atomic_inc(&sh->failures);
		if (err)
			rd->reported++;
	}
	return NULL;
}

static void test_errseq_threads(void **state)
{
	struct es_shared sh = { 0 };
	struct es_reader rd[ES_READERS];
	pthread_t setter, readers[ES_READERS];
	errseq_t final;
	int i, err;

	(void)state;
	assert_int_equal(pthread_create(&setter, NULL, es_setter, &sh), 0);
	for (i = 0; i < ES_READERS; i++) {
		rd[i].sh = &sh;
		rd[i].since = 0;
		rd[i].reported = 0;
		assert_int_equal(pthread_create(&readers[i], NULL, es_reader_fn, &rd[i]), 0);
	}
	atomic_set(&sh.go, 1);
	assert_int_equal(pthread_join(setter, NULL), 0);
	for (i = 0; i < ES_READERS; i++)
		assert_int_equal(pthread_join(readers[i], NULL), 0);
	assert_int_equal(atomic_read(&sh.failures), 0);

	final = sh.wb_err;
	for (i = 0; i < ES_READERS; i++) {
		bool pending = (rd[i].since & ~(1u << 12)) != (final & ~(1u << 12));

		err = errseq_check_and_advance(&sh.wb_err, &rd[i].since);
		if (pending)
			assert_int_equal(err, -(int)(final & 0xfff));
		assert_int_equal(errseq_check_and_advance(&sh.wb_err, &rd[i].since), 0);
		assert_true(rd[i].reported + (err != 0) >= 1);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_errseq_word, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_errseq_sample_rules, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_file_openers, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_errseq_threads, pnm_test_setup, pnm_test_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
