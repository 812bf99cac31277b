/* SPDX-License-Identifier: MIT */
/*
 * test_uaccess.c - the CPU access paths: copy_to_user/copy_from_user as
 * current (partial copies report the bytes not copied), pnm_user_* as a
 * task, pnm_mm_access from any thread, accesses spanning VMAs with
 * different protections, the accessed/dirty bits, pnm_mm_translate(), and
 * the address space of a task exited while a thread runs as it.
 */
#include <string.h>
#include <pthread.h>

#include "test_util.h"
#include "pinmm_test_internal.h"

#define MAP_ANON_PRIV	(MAP_PRIVATE | MAP_ANONYMOUS)
#define PROT_RW		(PROT_READ | PROT_WRITE)
#define BASE		(7UL << PGDIR_SHIFT)

static pte_t pte_at(struct mm_struct *mm, unsigned long addr)
{
	spinlock_t *ptl;
	pte_t *pte, val;

	mmap_read_lock(mm);
	pte = pte_offset_map_lock(mm, pnm_pmd_lookup(mm, addr), addr, &ptl);
	assert_non_null(pte);
	val = ptep_get(pte);
	pte_unmap_unlock(pte, ptl);
	mmap_read_unlock(mm);
	return val;
}

static void map_fixed(struct task_struct *t, unsigned long addr, unsigned long len,
		      unsigned long prot)
{
	assert_int_equal(pnm_mm_mmap(t->mm, addr, len, prot, MAP_ANON_PRIV | MAP_FIXED, NULL, 0),
			 (long)addr);
}

/* copy_*_user work on current's mm and return the bytes NOT copied. */
static void test_copy_user(void **state)
{
	struct task_struct *t = test_task_create("cu"), *prev;
	char in[3000], out[3000];

	(void)state;
	memset(in, 'x', sizeof(in));
	map_fixed(t, BASE, 2 * PAGE_SIZE, PROT_RW);

	/* No current task: nothing is copied. */
	assert_null(current);
	assert_int_equal(copy_to_user((void *)BASE, in, 10), 10);
	assert_int_equal(copy_from_user(out, (void *)BASE, 10), 10);

	prev = pnm_task_enter(t);
	assert_ptr_equal(current, t);
	assert_int_equal(copy_to_user((void *)(BASE + 100), in, sizeof(in)), 0);
	memset(out, 0, sizeof(out));
	assert_int_equal(copy_from_user(out, (void *)(BASE + 100), sizeof(out)), 0);
	assert_memory_equal(in, out, sizeof(in));
	/* 1000 bytes before the end of the VMA: 2000 bytes are not copied. */
	assert_int_equal(copy_to_user((void *)(BASE + 2 * PAGE_SIZE - 1000), in, sizeof(in)),
			 2000);
	assert_int_equal(copy_from_user(out, (void *)(BASE + 2 * PAGE_SIZE - 1000), sizeof(out)),
			 2000);
	/* Entirely outside: nothing. */
	assert_int_equal(copy_to_user((void *)(BASE + 5 * PAGE_SIZE), in, 8), 8);
	assert_int_equal(copy_to_user((void *)BASE, in, 0), 0);
	pnm_task_leave(prev);
	assert_null(current);
	CHECK_ALL();
}

/* A write across a RW and a R/O VMA: the RW page is written, then -EFAULT. */
static void test_span_vmas(void **state)
{
	struct task_struct *t = test_task_create("span");
	unsigned char buf[200], back[100];

	(void)state;
	map_fixed(t, BASE, PAGE_SIZE, PROT_RW);
	map_fixed(t, BASE + PAGE_SIZE, PAGE_SIZE, PROT_READ);
	memset(buf, 0xcd, sizeof(buf));
	assert_int_equal(pnm_user_write(t, BASE + PAGE_SIZE - 100, buf, sizeof(buf)), -EFAULT);
	assert_int_equal(pnm_user_read(t, BASE + PAGE_SIZE - 100, back, sizeof(back)), 0);
	for (size_t i = 0; i < sizeof(back); i++)
		assert_int_equal(back[i], 0xcd);
	/* Reading across both works. */
	assert_int_equal(pnm_user_read(t, BASE + PAGE_SIZE - 100, buf, sizeof(buf)), 0);
	for (size_t i = 0; i < sizeof(buf); i++)
		assert_int_equal(buf[i], i < 100 ? 0xcd : 0);
	/* Empty and wrapping ranges. */
	assert_int_equal(pnm_user_write(t, BASE, buf, 0), 0);
	assert_int_equal(pnm_user_read(t, ~0UL - 10, buf, 100), -EFAULT);
	CHECK_ALL();
}

/* The MMU bits: a read leaves the PTE clean, a write makes it dirty. */
static void test_dirty_young(void **state)
{
	struct task_struct *t = test_task_create("bits");
	unsigned long pfn;
	bool w;
	pte_t pte;

	(void)state;
	map_fixed(t, BASE, 2 * PAGE_SIZE, PROT_RW);
	assert_int_equal(test_read_byte(t, BASE), 0);
	pte = pte_at(t->mm, BASE);
	assert_true(pte_special(pte));
	assert_false(pte_dirty(pte));
	assert_false(pte_write(pte));
	assert_true(pte_young(pte));
	test_write_byte(t, BASE + PAGE_SIZE, 1);
	pte = pte_at(t->mm, BASE + PAGE_SIZE);
	assert_true(pte_dirty(pte) && pte_write(pte) && pte_young(pte));
	assert_false(pte_special(pte));
	assert_int_equal(pnm_mm_translate(t->mm, BASE + PAGE_SIZE + 5, &pfn, &w), 0);
	assert_int_equal(pfn, pte_pfn(pte));
	assert_true(w);
	assert_int_equal(pnm_mm_translate(t->mm, BASE + 2 * PAGE_SIZE, &pfn, &w), -EFAULT);
	CHECK_ALL();
}

struct mm_arg {
	struct mm_struct *mm;
	int err;
};

static void *mm_access_fn(void *arg)
{
	struct mm_arg *a = arg;
	unsigned char v = 0x3c;

	a->err = pnm_mm_access(a->mm, BASE + 10, &v, 1, true);
	return NULL;
}

/* pnm_mm_access works from a thread that is not running any task. */
static void test_mm_access_other_thread(void **state)
{
	struct task_struct *t = test_task_create("remote");
	struct mm_arg a = { .err = 1 };
	pthread_t th;
	unsigned char v = 0;

	(void)state;
	map_fixed(t, BASE, PAGE_SIZE, PROT_RW);
	a.mm = t->mm;
	assert_int_equal(pthread_create(&th, NULL, mm_access_fn, &a), 0);
	assert_int_equal(pthread_join(th, NULL), 0);
	assert_int_equal(a.err, 0);
	assert_int_equal(pnm_mm_access(t->mm, BASE + 10, &v, 1, false), 0);
	assert_int_equal(v, 0x3c);
	assert_int_equal(pnm_mm_access(t->mm, BASE + PAGE_SIZE, &v, 1, false), -EFAULT);
	CHECK_ALL();
}

/* An exited task's memory cannot be accessed. */
static void test_exited_task(void **state)
{
	struct task_struct *t = test_task_create("gone");
	unsigned char v = 1;

	(void)state;
	map_fixed(t, BASE, PAGE_SIZE, PROT_RW);
	test_write_byte(t, BASE, 1);
	pnm_task_exit(t);
	assert_int_equal(pnm_user_write(t, BASE, &v, 1), -EFAULT);
	assert_int_equal(pnm_user_read(t, BASE, &v, 1), -EFAULT);
	CHECK_ALL();
}

static void *exit_task_thread(void *arg)
{
	pnm_task_exit(arg);
	return NULL;
}

/* Run as @arg from a fresh thread: its memory, read through the task. */
static void *late_reader_thread(void *arg)
{
	struct task_struct *t = arg;
	unsigned char v;

	return (void *)(long)pnm_user_read(t, BASE, &v, 1);
}

/*
 * A thread inside a task keeps its address space usable while another
 * thread exits the task; one entering after the exit gets -EFAULT; the
 * last thread to leave tears the space down.  A thread that exits the task
 * it runs as gives up its own hold at once.
 */
static void test_exit_while_inside(void **state)
{
	struct task_struct *t = test_task_create("inside"), *prev;
	struct page *page;
	unsigned long frames;
	unsigned char v = 0;
	pthread_t th;
	void *ret;

	(void)state;
	map_fixed(t, BASE, PAGE_SIZE, PROT_RW);
	test_write_byte(t, BASE, 0x5a);
	prev = pnm_task_enter(t);
	assert_int_equal(pthread_create(&th, NULL, exit_task_thread, t), 0);
	assert_int_equal(pthread_join(th, NULL), 0);
	assert_true(t->exited && !t->mm);
	CHECK_ALL();

	/* Still inside: the address space is intact. */
	assert_int_equal(copy_from_user(&v, (const void __user *)BASE, 1), 0);
	assert_int_equal(v, 0x5a);
	assert_int_equal(pnm_user_read(t, BASE, &v, 1), 0);
	assert_int_equal(pin_user_pages_fast(BASE, 1, FOLL_WRITE, &page), 1);
	assert_int_equal(*(unsigned char *)page_address(page), 0x5a);
	unpin_user_page(page);
	/* A thread entering now finds no address space. */
	assert_int_equal(pthread_create(&th, NULL, late_reader_thread, t), 0);
	assert_int_equal(pthread_join(th, &ret), 0);
	assert_int_equal((long)ret, -EFAULT);
	CHECK_ALL();

	/* The last one out tears it down. */
	frames = pnm_nr_allocated_frames();
	pnm_task_leave(prev);
	assert_true(pnm_nr_allocated_frames() < frames);
	assert_int_equal(global_stat(NR_ANON_MAPPED), 0);
	assert_int_equal(pnm_user_read(t, BASE, &v, 1), -EFAULT);
	CHECK_ALL();

	/* Exiting the task one runs as drops one's own hold too. */
	t = test_task_create("self");
	map_fixed(t, BASE, PAGE_SIZE, PROT_RW);
	test_write_byte(t, BASE, 1);
	prev = pnm_task_enter(t);
	pnm_task_exit(t);
	assert_int_equal(global_stat(NR_ANON_MAPPED), 0);
	assert_int_equal(copy_to_user((void __user *)BASE, &v, 1), 1);
	assert_int_equal(pin_user_pages_fast(BASE, 1, FOLL_WRITE, &page), -EFAULT);
	pnm_task_leave(prev);
	CHECK_ALL();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_copy_user, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_span_vmas, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_dirty_young, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_mm_access_other_thread, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_exited_task, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_exit_while_inside, pnm_test_setup,
						pnm_test_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
