// SPDX-License-Identifier: MIT
/*
 * test_pipe.c - vmsplice into a pipe (src/drivers/pipe.c, pinmm/pipe.h):
 * pages held by pipe buffers with plain references and read out later by
 * another process.  Covered: the data path (no copy at splice time: the
 * reader sees the page as it is when it reads), offsets inside pages, a
 * full pipe, the references (held while queued, dropped when read, never
 * pins; queued pages do not migrate), the zero page, errors, the pipe's
 * checker -- and the fork/COW outcome: today's rule copies the page for
 * the writing parent so the pipe keeps the old data; in legacy mode (the
 * rules before 5.8) the parent writes its secret into the page the pipe
 * holds and a third process reads it (CVE-2020-29374).
 */
#include <string.h>

#include "test_util.h"
#include "pinmm_test_internal.h"
#include <pinmm/pipe.h>

#define PG	PAGE_SIZE
#define RW	(PROT_READ | PROT_WRITE)
#define PRIV	(MAP_PRIVATE | MAP_ANONYMOUS)

static void pipe_checked(struct pnm_pipe *p)
{
	CHECK_OBJ(pnm_pipe_check, p);
}

static struct pnm_pipe_info pipe_info(struct pnm_pipe *p)
{
	struct pnm_pipe_info pi = { .size = sizeof(pi) };

	assert_int_equal(pnm_pipe_get_info(p, &pi), 0);
	return pi;
}

static struct pnm_pipe *new_pipe(void)
{
	struct pnm_pipe *p;

	assert_int_equal(pnm_pipe_create(&p), 0);
	return p;
}

/* Read @n bytes from @p into @reader at @buf and return them in @out. */
static void read_into(struct pnm_pipe *p, struct task_struct *reader, unsigned long buf,
		      char *out, size_t n)
{
	assert_int_equal(pnm_pipe_read(p, reader, buf, n), (ssize_t)n);
	assert_int_equal(pnm_user_read(reader, buf, out, n), 0);
}

static void test_splice_and_read(void **state)
{
	struct task_struct *w = test_task_create("writer"), *r = test_task_create("reader");
	unsigned long a = test_mmap(w, 4 * PG, RW, PRIV), b = test_mmap(r, 4 * PG, RW, PRIV);
	struct pnm_pipe *p = new_pipe();
	char out[32];

	(void)state;
	assert_int_equal(pnm_user_write(w, a + 100, "hello, pipe", 12), 0);
	assert_int_equal(folio_ref_count(test_folio(w, a)), 1);
	assert_int_equal(pnm_vmsplice(w, p, a + 100, 12, 0), 12);
	assert_int_equal(pipe_info(p).buffers, 1);
	assert_int_equal(pipe_info(p).bytes, 12);
	/* A plain reference: refcount 2, no pin, nothing in the registry. */
	assert_int_equal(folio_ref_count(test_folio(w, a)), 2);
	assert_false(folio_maybe_dma_pinned(test_folio(w, a)));
	assert_int_equal(pnm_pin_registry_count(-1), 0);
	unsigned long pfn;
	unsigned int off;

	assert_int_equal(pnm_pipe_buffer(p, 0, &pfn, &off), 0);
	assert_int_equal(pfn, test_pfn(w, a));
	assert_int_equal(off, 100);
	pipe_checked(p);

	/* Not copied at splice time: a later write by the owner (its page is
	 * exclusive: written in place) is what the reader gets. */
	assert_int_equal(pnm_user_write(w, a + 100, "HELLO", 5), 0);
	assert_int_equal(test_pfn(w, a), pfn);
	read_into(p, r, b, out, 5);
	assert_memory_equal(out, "HELLO", 5);
	assert_int_equal(folio_ref_count(test_folio(w, a)), 2);	/* 7 bytes left */
	read_into(p, r, b + 5, out, 7);
	assert_memory_equal(out, ", pipe", 7);
	assert_int_equal(folio_ref_count(test_folio(w, a)), 1);
	assert_int_equal(pipe_info(p).buffers, 0);
	assert_int_equal(pnm_pipe_read(p, r, b, 1), -EAGAIN);
	pipe_checked(p);
	pnm_pipe_destroy(p);
	CHECK_ALL();
}

/* A range across pages, a full pipe, reading frees room. */
static void test_offsets_and_full(void **state)
{
	struct task_struct *w = test_task_create("writer"), *r = test_task_create("reader");
	unsigned long a = test_mmap(w, 24 * PG, RW, PRIV), b = test_mmap(r, 24 * PG, RW, PRIV);
	struct pnm_pipe *p = new_pipe();
	char out[8];

	(void)state;
	for (int i = 0; i < 24; i++)
		test_write_byte(w, a + i * PG, (unsigned char)('A' + i));
	assert_int_equal(pnm_vmsplice(w, p, a + PG - 2, 4, 0), 4);	/* two buffers */
	assert_int_equal(pipe_info(p).buffers, 2);
	read_into(p, r, b, out, 4);
	assert_int_equal(out[2], 'B');
	/* 20 pages into 16 buffers: 16 pages' worth. */
	assert_int_equal(pnm_vmsplice(w, p, a, 20 * PG, 0), 16 * PG);
	assert_int_equal(pnm_vmsplice(w, p, a, PG, PNM_SPLICE_F_NONBLOCK), -EAGAIN);
	pipe_checked(p);
	read_into(p, r, b, out, 1);
	assert_int_equal(out[0], 'A');
	assert_int_equal(pnm_pipe_read(p, r, b, PG - 1), PG - 1);
	assert_int_equal(pnm_vmsplice(w, p, a + 20 * PG, PG, PNM_SPLICE_F_GIFT), PG);
	assert_int_equal(pipe_info(p).buffers, 16);
	assert_int_equal(pipe_info(p).spliced, 4 + 17 * PG);
	pipe_checked(p);
	/* Destroying a pipe with buffers puts their pages. */
	pnm_pipe_destroy(p);
	for (int i = 0; i < 24; i++)
		assert_int_equal(folio_ref_count(test_folio(w, a + i * PG)), 1);
	CHECK_ALL();
}

static void test_errors_zero_page_migration(void **state)
{
	struct task_struct *w = test_task_create("writer"), *r = test_task_create("reader");
	unsigned long a = test_mmap(w, 4 * PG, RW, PRIV), b = test_mmap(r, PG, RW, PRIV);
	struct pnm_pipe *p = new_pipe();
	char out[4] = { 1, 1, 1, 1 };	/* not what the reads must bring */

	(void)state;
	assert_int_equal(pnm_vmsplice(w, p, a, PG, 0x1), -EINVAL);
	assert_int_equal(pnm_vmsplice(w, p, a, 0, 0), 0);
	assert_int_equal(pnm_vmsplice(w, p, 0x10000, PG, 0), -EFAULT);
	assert_int_equal(pnm_pipe_read(p, r, b, 4), -EAGAIN);
	/* Untouched memory: read-only GUP gets the zero page. */
	assert_int_equal(pnm_vmsplice(w, p, a, 4, 0), 4);
	assert_true(test_pfn(w, a) == pnm_mem.zero_pfn);
	read_into(p, r, b, out, 4);
	assert_memory_equal(out, "\0\0\0\0", 4);
	/* A queued page is referenced: migration refuses it until read. */
	test_write_byte(w, a + PG, 'm');
	assert_int_equal(pnm_vmsplice(w, p, a + PG, 1, 0), 1);
	assert_int_equal(pnm_migrate_range(w, a + PG, PG, PNM_ZONE_NORMAL), -EBUSY);
	pipe_checked(p);
	/* Reading into an unmapped address fails and keeps the data. */
	assert_int_equal(pnm_pipe_read(p, r, 0x10000, 1), -EFAULT);
	read_into(p, r, b, out, 1);
	assert_int_equal(out[0], 'm');
	assert_int_equal(pnm_migrate_range(w, a + PG, PG, PNM_ZONE_NORMAL), 1);
	pipe_checked(p);
	pnm_task_exit(w);
	assert_int_equal(pnm_vmsplice(w, p, a, 1, 0), -ESRCH);
	pnm_pipe_destroy(p);
	CHECK_ALL();
}

/*
 * The child vmsplices a page it shares with its parent and unmaps it;
 * the parent then writes a secret there.  Returns what a third process
 * reads from the pipe; @copied says whether the parent's write copied.
 */
static void fork_story(char *got, bool *copied)
{
	struct task_struct *a = test_task_create("parent"), *b, *c = test_task_create("reader");
	unsigned long buf = test_mmap(a, PG, RW, PRIV), rbuf = test_mmap(c, PG, RW, PRIV);
	struct pnm_pipe *p = new_pipe();
	unsigned long pfn;

	assert_int_equal(pnm_user_write(a, buf, "old data", 9), 0);
	b = test_fork(a);
	pfn = test_pfn(a, buf);
	assert_int_equal(pnm_vmsplice(b, p, buf, 9, 0), 9);
	assert_int_equal(pnm_munmap(b, buf, PG), 0);
	pnm_task_exit(b);
	pnm_task_put(b);
	assert_int_equal(folio_ref_count(test_folio(a, buf)), 2);	/* the pipe's */
	CHECK_ALL();
	assert_int_equal(pnm_user_write(a, buf, "SECRET!!", 9), 0);
	*copied = test_pfn(a, buf) != pfn;
	read_into(p, c, rbuf, got, 9);
	pipe_checked(p);
	pnm_pipe_destroy(p);
}

static void test_fork_cow_linux(void **state)
{
	char got[9];
	bool copied;

	(void)state;
	fork_story(got, &copied);
	assert_true(copied);
	assert_string_equal(got, "old data");
	CHECK_ALL();
}

static void test_fork_cow_legacy_leaks(void **state)
{
	char got[9];
	bool copied;

	(void)state;
	fork_story(got, &copied);
	assert_false(copied);			/* mapped once: reused in place */
	assert_string_equal(got, "SECRET!!");	/* the reader sees the secret */
	CHECK_ALL();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		PNM_TEST(test_splice_and_read),
		PNM_TEST(test_offsets_and_full),
		PNM_TEST(test_errors_zero_page_migration),
		PNM_TEST(test_fork_cow_linux),
		PNM_TEST_LEGACY(test_fork_cow_legacy_leaks),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
