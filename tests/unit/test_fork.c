// SPDX-License-Identifier: MIT
/*
 * test_fork.c - fork and exit (fork.c, task.c): copy-on-write semantics
 * of private memory, shared anonymous memory staying shared both ways,
 * MADV_DONTFORK holes, THP, exit releasing everything, fork failing with
 * -ENOMEM at every allocation it makes while leaving the parent intact and
 * nothing leaked, pids, task lookup, and the fork trace event.
 */
#include <string.h>

#include "test_util.h"
#include "pinmm_test_internal.h"

#define PG	PAGE_SIZE
#define RW	(PROT_READ | PROT_WRITE)
#define PRIV	(MAP_PRIVATE | MAP_ANONYMOUS)
#define SHARED	(MAP_SHARED | MAP_ANONYMOUS)

static void test_private_cow(void **state)
{
	struct task_struct *p = test_task_create("parent"), *c;
	unsigned long a = test_mmap(p, 4 * PG, RW, PRIV);
	unsigned long pfn0, pfn1;
	long copies, reuses;

	(void)state;
	test_write_byte(p, a, 0x10);
	test_write_byte(p, a + PG, 0x11);
	(void)test_read_byte(p, a + 2 * PG);	/* zero page */
	pfn0 = test_pfn(p, a);
	pfn1 = test_pfn(p, a + PG);

	assert_int_equal(pnm_task_fork(p, "child", &c), 0);
	assert_true(c->pid > p->pid);
	assert_int_equal(c->mm->owner_pid, c->pid);
	assert_int_equal(c->mm->map_count, 1);
	assert_int_equal(c->mm->total_vm, 4);
	CHECK_ALL();
	/* Both see the same frames, read-only. */
	assert_int_equal(test_pfn(c, a), pfn0);
	assert_int_equal(test_pfn(c, a + PG), pfn1);
	assert_int_equal(test_pfn(c, a + 2 * PG), pnm_mem.zero_pfn);
	assert_int_equal(test_read_byte(c, a), 0x10);
	assert_int_equal(get_mm_counter(c->mm, MM_ANONPAGES), 2);

	/* Child writes: copies; the parent keeps its data. */
	copies = global_stat(PNM_COW_COPY);
	test_write_byte(c, a, 0x20);
	assert_int_equal(global_stat(PNM_COW_COPY), copies + 1);
	assert_int_not_equal(test_pfn(c, a), pfn0);
	assert_int_equal(test_read_byte(p, a), 0x10);
	/* Parent writes the page the child left: reused in place. */
	reuses = global_stat(PNM_COW_REUSE);
	test_write_byte(p, a, 0x30);
	assert_int_equal(global_stat(PNM_COW_REUSE), reuses + 1);
	assert_int_equal(test_pfn(p, a), pfn0);
	assert_int_equal(test_read_byte(c, a), 0x20);
	/* Parent writes a still-shared page: copies; child unaffected. */
	test_write_byte(p, a + PG, 0x31);
	assert_int_not_equal(test_pfn(p, a + PG), pfn1);
	assert_int_equal(test_read_byte(c, a + PG), 0x11);
	/* Zero page written in the child only. */
	test_write_byte(c, a + 2 * PG, 0x22);
	assert_int_equal(test_read_byte(p, a + 2 * PG), 0);
	CHECK_ALL();
}

static void test_shared_stays_shared(void **state)
{
	struct task_struct *p = test_task_create("parent"), *c, *g;
	unsigned long s = test_mmap(p, 4 * PG, RW, SHARED);

	(void)state;
	test_write_byte(p, s, 0x41);
	assert_int_equal(pnm_task_fork(p, "child", &c), 0);
	/* Not copied at PTE level: the child faults from the object. */
	assert_int_equal(get_mm_counter(c->mm, MM_SHMEMPAGES), 0);
	assert_int_equal(test_read_byte(c, s), 0x41);
	assert_int_equal(test_pfn(c, s), test_pfn(p, s));
	test_write_byte(p, s, 0x42);
	assert_int_equal(test_read_byte(c, s), 0x42);
	test_write_byte(c, s + 3 * PG, 0x43);
	assert_int_equal(test_read_byte(p, s + 3 * PG), 0x43);
	/* Grandchild too, after the parent exits. */
	assert_int_equal(pnm_task_fork(c, "grandchild", &g), 0);
	pnm_task_exit(p);
	test_write_byte(g, s + PG, 0x44);
	assert_int_equal(test_read_byte(c, s + PG), 0x44);
	CHECK_ALL();
}

static void test_dontfork_hole(void **state)
{
	struct task_struct *p = test_task_create("parent"), *c;
	unsigned long a = test_mmap(p, 2 * PG, RW, PRIV);
	unsigned long b = test_mmap(p, 2 * PG, RW, SHARED);
	unsigned char v;

	(void)state;
	test_write_byte(p, a, 1);
	test_write_byte(p, b, 2);
	assert_int_equal(pnm_mm_madvise(p->mm, a, 2 * PG, MADV_DONTFORK), 0);
	assert_int_equal(pnm_mm_madvise(p->mm, b, 2 * PG, MADV_DONTFORK), 0);
	assert_int_equal(pnm_task_fork(p, "child", &c), 0);
	assert_int_equal(c->mm->map_count, 0);
	assert_int_equal(c->mm->total_vm, 0);
	assert_int_equal(pnm_user_read(c, a, &v, 1), -EFAULT);
	assert_int_equal(pnm_user_read(c, b, &v, 1), -EFAULT);
	/* The parent's pages stayed exclusive and writable. */
	unsigned long pfn;
	bool w;

	assert_int_equal(pnm_mm_translate(p->mm, a, &pfn, &w), 0);
	assert_true(w);
	CHECK_ALL();
}

/* Exit of the child gives back every frame it took. */
static void test_exit_frees_everything(void **state)
{
	struct task_struct *p = test_task_create("parent"), *c;
	unsigned long a = test_mmap(p, 64 * PG, RW, PRIV);
	unsigned long s = test_mmap(p, 8 * PG, RW, SHARED);
	unsigned long before;
	long shmem_before;

	(void)state;
	for (int i = 0; i < 64; i++)
		test_write_byte(p, a + i * PG, (unsigned char)i);
	test_write_byte(p, s, 9);
	before = pnm_nr_allocated_frames();
	shmem_before = global_stat(NR_SHMEM);
	assert_int_equal(pnm_task_fork(p, "child", &c), 0);
	for (int i = 0; i < 64; i += 2)
		test_write_byte(c, a + i * PG, 0xff);	/* 32 copies */
	for (int i = 0; i < 8; i++)
		test_write_byte(c, s + i * PG, 0xee);	/* 7 new shmem pages */
	assert_true(pnm_nr_allocated_frames() > before + 32);
	CHECK_ALL();
	pnm_task_exit(c);
	pnm_task_exit(c);			/* idempotent */
	assert_null(c->mm);
	/* Shared pages the child created stay in the object. */
	assert_int_equal(global_stat(NR_SHMEM), shmem_before + 7);
	assert_int_equal(pnm_nr_allocated_frames(), before + 7);
	for (int i = 0; i < 64; i++)
		assert_int_equal(test_read_byte(p, a + i * PG), i);
	assert_int_equal(test_read_byte(p, s + 5 * PG), 0xee);
	/* Private pages are exclusive again: writes reuse them. */
	unsigned long pfn = test_pfn(p, a + PG);

	test_write_byte(p, a + PG, 0x77);
	assert_int_equal(test_pfn(p, a + PG), pfn);
	CHECK_ALL();
	put_task_struct(c);
	CHECK_ALL();
}

/*
 * Fail the n-th frame allocation of a fork for n = 1, 2, ... until the
 * fork succeeds: every failure is -ENOMEM, the parent's layout and data
 * are intact and no frame is left behind.
 */
static void test_fork_enomem_everywhere(void **state)
{
	struct task_struct *p = test_task_create("parent"), *c = NULL;
	struct mm_struct *mm = p->mm;
	unsigned long a = test_mmap(p, 4 * PMD_SIZE, RW, PRIV);
	unsigned long s = test_mmap(p, 4 * PG, RW, SHARED);
	unsigned long before, n;
	int err, pid_next, failures = 0, map_count;
	struct task_struct *probe;

	(void)state;
	/* Pages spread over several PTE tables, one possibly in a THP. */
	assert_int_equal(pnm_mm_madvise(mm, a + 2 * PMD_SIZE, 2 * PMD_SIZE, MADV_HUGEPAGE), 0);
	for (unsigned long off = 0; off < 4 * PMD_SIZE; off += PMD_SIZE / 4)
		test_write_byte(p, a + off, (unsigned char)(off >> 19));
	test_write_byte(p, s, 0x5a);
	before = pnm_nr_allocated_frames();
	map_count = mm->map_count;
	probe = test_task_create("probe");
	pid_next = probe->pid + 1;
	pnm_task_exit(probe);
	CHECK_ALL();

	for (n = 1; n < 200; n++) {
		pnm_fail_nth_alloc(n);
		err = pnm_task_fork(p, "child", &c);
		pnm_fail_nth_alloc(0);
		if (!err)
			break;
		failures++;
		assert_int_equal(err, -ENOMEM);
		assert_int_equal(pnm_nr_allocated_frames(), before);
		assert_int_equal(mm->map_count, map_count);
		for (unsigned long off = 0; off < 4 * PMD_SIZE; off += PMD_SIZE / 4)
			assert_int_equal(test_read_byte(p, a + off), (unsigned char)(off >> 19));
		assert_int_equal(test_read_byte(p, s), 0x5a);
		CHECK_ALL();
	}
	assert_int_equal(err, 0);
	assert_true(failures >= 3);	/* pgd, and tables at several levels */
	/* Failed forks gave their pids back. */
	assert_int_equal(c->pid, pid_next);
	for (unsigned long off = 0; off < 4 * PMD_SIZE; off += PMD_SIZE / 4) {
		assert_int_equal(test_read_byte(c, a + off), (unsigned char)(off >> 19));
		test_write_byte(p, a + off, 0xcc);
		assert_int_equal(test_read_byte(c, a + off), (unsigned char)(off >> 19));
	}
	CHECK_ALL();
}

/* Fork of a pinned-looking page copies it for the child (brief §11). */
static void test_fork_copies_maybe_pinned(void **state)
{
	struct task_struct *p = test_task_create("parent"), *c;
	unsigned long a = test_mmap(p, PG, RW, PRIV);
	unsigned long pfn;
	struct folio *folio;
	long copied;

	(void)state;
	test_write_byte(p, a, 0x12);
	pfn = test_pfn(p, a);
	folio = pfn_folio(pfn);
	/* Look pinned the Linux way: refcount >= GUP_PIN_COUNTING_BIAS. */
	set_bit(MMF_HAS_PINNED, &p->mm->flags);
	folio_ref_add(folio, GUP_PIN_COUNTING_BIAS);
	copied = global_stat(PNM_FORK_COPY_PINNED);
	assert_int_equal(pnm_task_fork(p, "child", &c), 0);
	assert_int_equal(global_stat(PNM_FORK_COPY_PINNED), copied + 1);
	assert_int_not_equal(test_pfn(c, a), pfn);
	assert_int_equal(test_pfn(p, a), pfn);
	assert_int_equal(test_read_byte(c, a), 0x12);
	/* The parent's page stays writable: DMA and CPU see one page. */
	test_write_byte(p, a, 0x13);
	assert_int_equal(test_pfn(p, a), pfn);
	assert_int_equal(test_read_byte(c, a), 0x12);
	assert_false(test_bit(MMF_HAS_PINNED, &c->mm->flags));
	folio_put_refs(folio, GUP_PIN_COUNTING_BIAS);
	CHECK_ALL();
}

static void test_thp_fork(void **state)
{
	struct task_struct *p = test_task_create("parent"), *c;
	struct mm_struct *mm = p->mm;
	unsigned long a = test_mmap(p, 2 * PMD_SIZE, RW, PRIV);
	long thp = global_stat(THP_FAULT_ALLOC);

	(void)state;
	assert_int_equal(pnm_mm_madvise(mm, a, 2 * PMD_SIZE, MADV_HUGEPAGE), 0);
	test_write_byte(p, a + 17 * PG, 0x71);
	if (global_stat(THP_FAULT_ALLOC) == thp) {
		CHECK_ALL();
		return;
	}
	assert_int_equal(pnm_task_fork(p, "child", &c), 0);
	assert_int_equal(test_read_byte(c, a + 17 * PG), 0x71);
	assert_int_equal(test_pfn(c, a + 17 * PG), test_pfn(p, a + 17 * PG));
	CHECK_ALL();
	test_write_byte(c, a + 17 * PG, 0x72);
	assert_int_equal(test_read_byte(p, a + 17 * PG), 0x71);
	test_write_byte(p, a + 18 * PG, 0x73);
	assert_int_equal(test_read_byte(c, a + 18 * PG), 0);
	CHECK_ALL();
}

struct trace_log {
	int forks, exits;
	struct pnm_trace_rec last_fork;
};

static void trace_fn(const struct pnm_trace_rec *rec, void *arg)
{
	struct trace_log *log = arg;

	if (rec->ev == PNM_TRACE_FORK) {
		log->forks++;
		log->last_fork = *rec;
	} else if (rec->ev == PNM_TRACE_EXIT) {
		log->exits++;
	}
}

static void exit_all(struct task_struct *t, void *arg)
{
	(*(int *)arg)++;
	pnm_task_exit(t);
}

static void test_tasks_and_trace(void **state)
{
	struct trace_log log = { 0 };
	struct task_struct *p, *c, *f;
	int visited = 0;

	(void)state;
	pnm_trace_set(trace_fn, &log);
	p = test_task_create("parent");
	assert_int_equal(p->pid, 1);			/* pids restart per init */
	assert_string_equal(p->comm, "parent");
	assert_int_equal(pnm_task_fork(p, "a-very-long-child-name", &c), 0);
	assert_int_equal(c->pid, 2);
	assert_int_equal(strlen(c->comm), TASK_COMM_LEN - 1);
	assert_ptr_equal(c->parent, p);
	assert_int_equal(log.forks, 1);
	assert_int_equal(log.last_fork.a, 1);
	assert_int_equal(log.last_fork.b, 2);

	f = pnm_find_task(2);
	assert_ptr_equal(f, c);
	put_task_struct(f);
	assert_null(pnm_find_task(99));

	struct task_struct *prev = pnm_task_enter(c);
	assert_ptr_equal(current, c);
	pnm_task_leave(prev);
	assert_ptr_equal(current, prev);

	pnm_task_exit(p);
	assert_int_equal(log.exits, 1);
	assert_null(pnm_find_task(1));
	assert_int_equal(pnm_task_fork(p, "x", &f), -ESRCH);
	/* Iteration tolerates exiting the visited task. */
	pnm_for_each_task(exit_all, &visited);
	assert_int_equal(visited, 2);
	assert_int_equal(log.exits, 2);
	assert_null(pnm_find_task(2));
	pnm_trace_set(NULL, NULL);
	CHECK_ALL();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_private_cow, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_shared_stays_shared, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_dontfork_hole, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_exit_frees_everything, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_fork_enomem_everywhere, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_fork_copies_maybe_pinned, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_thp_fork, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_tasks_and_trace, pnm_test_setup, pnm_test_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
