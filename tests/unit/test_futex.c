// SPDX-License-Identifier: MIT
/*
 * test_futex.c - the struct-page-only user (src/drivers/futex.c,
 * pinmm/futex.h): futex keys from get_user_pages + a look at the struct
 * page + put_page.  Covered: private keys (no page touched), anonymous
 * memory (a private key; the write GUP breaks COW; no reference kept),
 * a shared file mapped by two processes at different addresses and
 * shared anonymous memory across fork (equal shared keys, from the page's
 * file and offset as pinmm/inspect.h reports them), read-only mappings,
 * and the errors.
 */
#include <string.h>

#include "test_util.h"
#include "pinmm_test_internal.h"
#include <pinmm/futex.h>

#define PG	PAGE_SIZE
#define RW	(PROT_READ | PROT_WRITE)
#define PRIV	(MAP_PRIVATE | MAP_ANONYMOUS)

static struct pnm_futex_key key_of(struct task_struct *t, unsigned long uaddr, unsigned int flags)
{
	struct pnm_futex_key k;

	memset(&k, 0xa5, sizeof(k));
	assert_int_equal(pnm_get_futex_key(t, uaddr, flags, &k), 0);
	return k;
}

static void test_private_and_anon(void **state)
{
	struct task_struct *t = test_task_create("fx"), *u = test_task_create("fy"), *c;
	unsigned long a = test_mmap(t, 2 * PG, RW, PRIV), b = test_mmap(u, 2 * PG, RW, PRIV);
	struct pnm_futex_key k1, k2;
	unsigned long pfn;
	long cow;
	bool w;

	(void)state;
	/* FUTEX_PRIVATE_FLAG: no page at all. */
	k1 = key_of(t, a + 8, PNM_FUTEX_PRIVATE);
	assert_int_equal(k1.type, PNM_FUTEX_KEY_PRIVATE);
	assert_int_equal(k1.offset, a + 8);
	assert_int_equal(pnm_translate(t, a, NULL, NULL), -EFAULT);
	/* Shared operation on private memory: the page is got writable
	 * (faulted in), looked at, put back: a private key all the same. */
	k2 = key_of(t, a + 8, 0);
	assert_true(pnm_futex_key_equal(&k1, &k2));
	assert_int_equal(pnm_translate(t, a, NULL, &w), 0);
	assert_true(w);
	assert_int_equal(folio_ref_count(test_folio(t, a)), 1);	/* nothing kept */
	assert_false(folio_maybe_dma_pinned(test_folio(t, a)));
	/* Another process, same address: another futex. */
	assert_int_equal(b, a);
	k2 = key_of(u, b + 8, 0);
	assert_false(pnm_futex_key_equal(&k1, &k2));
	CHECK_ALL();

	/* After fork the page is COW-shared: the write GUP copies it. */
	c = test_fork(t);
	pfn = test_pfn(t, a);
	cow = global_stat(PNM_COW_COPY);
	k2 = key_of(t, a + 8, 0);
	assert_int_equal(global_stat(PNM_COW_COPY), cow + 1);
	assert_true(test_pfn(t, a) != pfn);
	assert_true(pnm_futex_key_equal(&k1, &k2));
	pnm_task_exit(c);
	pnm_task_put(c);
	CHECK_ALL();
}

/* Two processes map one file at different addresses: one futex. */
static void test_shared_file(void **state)
{
	struct task_struct *t = test_task_create("fx"), *u = test_task_create("fy");
	struct file *f = test_open(PNM_FS_DISK, "futex-file");
	struct pnm_file_info fi = { .size = sizeof(fi) };
	struct pnm_futex_key k1, k2;
	char page[2 * PG];
	long a, b;

	(void)state;
	memset(page, 0, sizeof(page));
	assert_int_equal(pnm_file_write(f, page, sizeof(page), 0), (ssize_t)sizeof(page));
	assert_int_equal(pnm_get_file_info(f, &fi), 0);
	a = pnm_mmap(t, 0, 2 * PG, RW, MAP_SHARED, f, 0);
	b = pnm_mmap(u, 0, PG, RW, MAP_SHARED, f, PG);		/* page 1 only */
	assert_true(a > 0 && b > 0);
	k1 = key_of(t, (unsigned long)a + PG + 12, 0);
	k2 = key_of(u, (unsigned long)b + 12, 0);
	assert_int_equal(k1.type, PNM_FUTEX_KEY_SHARED);
	assert_int_equal(k1.word, fi.ino);
	assert_int_equal(k1.offset, PG + 12);
	assert_true(pnm_futex_key_equal(&k1, &k2));
	assert_int_equal(folio_ref_count(test_folio(t, (unsigned long)a + PG)),
			 1 + 2);		/* the cache's and two mappings */
	/* Read-only mapping: only a read operation may use it. */
	assert_int_equal(pnm_mprotect(u, (unsigned long)b, PG, PROT_READ), 0);
	assert_int_equal(pnm_get_futex_key(u, (unsigned long)b + 12, 0, &k2), -EFAULT);
	k2 = key_of(u, (unsigned long)b + 12, PNM_FUTEX_READ);
	assert_true(pnm_futex_key_equal(&k1, &k2));
	/* The private flag makes them two futexes again. */
	k2 = key_of(u, (unsigned long)b + 12, PNM_FUTEX_PRIVATE);
	assert_false(pnm_futex_key_equal(&k1, &k2));
	assert_int_equal(pnm_munmap(t, (unsigned long)a, 2 * PG), 0);
	assert_int_equal(pnm_munmap(u, (unsigned long)b, PG), 0);
	pnm_file_close(f);
	CHECK_ALL();
}

/* Shared anonymous memory (shmem) across fork: one futex. */
static void test_shared_anon_fork(void **state)
{
	struct task_struct *t = test_task_create("fx"), *c;
	unsigned long a = test_mmap(t, PG, RW, MAP_SHARED | MAP_ANONYMOUS);
	struct pnm_futex_key k1, k2;

	(void)state;
	c = test_fork(t);
	k1 = key_of(t, a + 64, 0);
	k2 = key_of(c, a + 64, 0);
	assert_int_equal(k1.type, PNM_FUTEX_KEY_SHARED);
	assert_true(pnm_futex_key_equal(&k1, &k2));
	assert_int_equal(k1.offset, 64);
	pnm_task_exit(c);
	pnm_task_put(c);
	CHECK_ALL();
}

static void test_errors(void **state)
{
	struct task_struct *t = test_task_create("fx");
	unsigned long a = test_mmap(t, PG, RW, PRIV), ro = test_mmap(t, PG, PROT_READ, PRIV);
	struct pnm_futex_key k;

	(void)state;
	assert_int_equal(pnm_get_futex_key(t, a + 2, 0, &k), -EINVAL);
	assert_int_equal(pnm_get_futex_key(t, a, 0x4, &k), -EINVAL);
	assert_int_equal(pnm_get_futex_key(t, a, 0, NULL), -EINVAL);
	assert_int_equal(pnm_get_futex_key(t, 0x10000, 0, &k), -EFAULT);
	/* A read-only anonymous page: never a futex (Linux's -EFAULT). */
	assert_int_equal(pnm_get_futex_key(t, ro, 0, &k), -EFAULT);
	assert_int_equal(pnm_get_futex_key(t, ro, PNM_FUTEX_READ, &k), -EFAULT);
	CHECK_ALL();
	pnm_task_exit(t);
	assert_int_equal(pnm_get_futex_key(t, a, 0, &k), -ESRCH);
	assert_int_equal(pnm_get_futex_key(t, a, PNM_FUTEX_PRIVATE, &k), -ESRCH);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		PNM_TEST(test_private_and_anon),
		PNM_TEST(test_shared_file),
		PNM_TEST(test_shared_anon_fork),
		PNM_TEST(test_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
