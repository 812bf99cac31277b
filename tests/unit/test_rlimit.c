// SPDX-License-Identifier: MIT
/*
 * test_rlimit.c - RLIMIT_MEMLOCK and CAP_IPC_LOCK (pinmm/resource.h,
 * resource.c): defaults, prlimit's rules (soft above hard, raising the
 * hard limit without CAP_SYS_RESOURCE, unknown resources, exited tasks),
 * inheritance by fork, mlock against the limit (-EPERM at 0, -ENOMEM past
 * it, pages locked already counted once, munlock giving room back,
 * CAP_IPC_LOCK lifting it), locked_vm as the pages of VM_LOCKED
 * mappings (split, unmapped, not inherited), and the pin budget bounded
 * by it: a long-term owner's process charge and its user's charge
 * refused past the limit (pnm_pin_rlimit_refused), pages charged already
 * pinned again, CAP_IPC_LOCK lifting the bound but not the budget's own
 * limit, the budget queries showing it, and a user's charge from two
 * processes weighed against each one's own limit.
 */
#include <string.h>

#include "test_util.h"
#include "pinmm_test_internal.h"

#define PG	PAGE_SIZE
#define RW	(PROT_READ | PROT_WRITE)
#define PRIV	(MAP_PRIVATE | MAP_ANONYMOUS)
#define LT	(VADDR_PIN_WRITE | VADDR_PIN_LONGTERM)
#define INF	PNM_RLIM_INFINITY
#define UNLIM	PNM_PIN_BUDGET_UNLIMITED

static void set_memlock(struct task_struct *t, unsigned long cur, unsigned long max)
{
	struct pnm_rlimit rl = { cur, max };

	assert_int_equal(pnm_prlimit(t, PNM_RLIMIT_MEMLOCK, &rl, NULL), 0);
}

static struct pnm_rlimit get_memlock(struct task_struct *t)
{
	struct pnm_rlimit rl = { 1, 1 };

	assert_int_equal(pnm_prlimit(t, PNM_RLIMIT_MEMLOCK, NULL, &rl), 0);
	return rl;
}

static unsigned long locked_vm(struct task_struct *t)
{
	unsigned long pages = 12345;

	assert_int_equal(pnm_task_locked_vm(t, &pages), 0);
	return pages;
}

static struct vaddr_pin *owner(struct task_struct *t)
{
	struct vaddr_pin_params p = { .size = sizeof(p), .task = t, .flags = LT };
	struct vaddr_pin *vp = NULL;

	assert_int_equal(vaddr_pin_create(&p, &vp), 0);
	return vp;
}

static unsigned long populated(struct task_struct *t, unsigned long n)
{
	unsigned long a = test_mmap(t, n * PG, RW, PRIV), i;

	for (i = 0; i < n; i++)
		test_write_byte(t, a + i * PG, (unsigned char)(i + 1));
	return a;
}

static void test_defaults_and_errors(void **state)
{
	struct task_struct *t = test_task_create("t"), *gone = test_task_create("gone");
	struct pnm_rlimit rl = { 5, 3 }, old = { 7, 7 };

	(void)state;
	rl = get_memlock(t);
	assert_true(rl.rlim_cur == INF && rl.rlim_max == INF);
	assert_int_equal(pnm_task_capable(t, PNM_CAP_IPC_LOCK), 0);
	assert_int_equal(pnm_task_capable(t, PNM_CAP_SYS_RESOURCE), 0);
	assert_int_equal(locked_vm(t), 0);

	/* Soft above hard, unknown resources and capabilities: -EINVAL. */
	rl = (struct pnm_rlimit){ 5 * PG, 3 * PG };
	assert_int_equal(pnm_prlimit(t, PNM_RLIMIT_MEMLOCK, &rl, &old), -EINVAL);
	assert_int_equal(old.rlim_cur, 7);
	assert_int_equal(pnm_prlimit(t, 7, NULL, &old), -EINVAL);
	assert_int_equal(pnm_prlimit(NULL, PNM_RLIMIT_MEMLOCK, NULL, &old), -EINVAL);
	assert_int_equal(pnm_task_set_capability(t, 0, true), -EINVAL);
	assert_int_equal(pnm_task_set_capability(t, 99, true), -EINVAL);
	assert_int_equal(pnm_task_set_capability(NULL, PNM_CAP_IPC_LOCK, true), -EINVAL);
	assert_int_equal(pnm_task_capable(t, -1), -EINVAL);
	assert_int_equal(pnm_task_locked_vm(t, NULL), -EINVAL);

	/* Lowering both is free; raising the hard limit is privileged. */
	set_memlock(t, 4 * PG, 8 * PG);
	rl = (struct pnm_rlimit){ 4 * PG, 9 * PG };
	assert_int_equal(pnm_prlimit(t, PNM_RLIMIT_MEMLOCK, &rl, &old), -EPERM);
	assert_int_equal(old.rlim_cur, 7);
	rl = get_memlock(t);
	assert_true(rl.rlim_cur == 4 * PG && rl.rlim_max == 8 * PG);
	/* The soft limit moves freely below the hard one. */
	set_memlock(t, 8 * PG, 8 * PG);
	set_memlock(t, 0, 8 * PG);
	assert_int_equal(pnm_task_set_capability(t, PNM_CAP_SYS_RESOURCE, true), 0);
	assert_int_equal(pnm_task_capable(t, PNM_CAP_SYS_RESOURCE), 1);
	rl = (struct pnm_rlimit){ INF, INF };
	assert_int_equal(pnm_prlimit(t, PNM_RLIMIT_MEMLOCK, &rl, &old), 0);
	assert_true(old.rlim_cur == 0 && old.rlim_max == 8 * PG);
	assert_int_equal(pnm_task_set_capability(t, PNM_CAP_SYS_RESOURCE, false), 0);
	assert_int_equal(pnm_task_capable(t, PNM_CAP_SYS_RESOURCE), 0);

	pnm_task_exit(gone);
	assert_int_equal(pnm_prlimit(gone, PNM_RLIMIT_MEMLOCK, NULL, &old), -ESRCH);
	assert_int_equal(pnm_task_set_capability(gone, PNM_CAP_IPC_LOCK, true), -ESRCH);
	assert_int_equal(pnm_task_capable(gone, PNM_CAP_IPC_LOCK), -ESRCH);
	assert_int_equal(pnm_task_locked_vm(gone, &rl.rlim_cur), -ESRCH);
	CHECK_ALL();
}

/* A fork child inherits the limit and the capabilities, not the locks. */
static void test_fork_inherits(void **state)
{
	struct task_struct *p = test_task_create("p"), *c;
	unsigned long a = populated(p, 2);
	struct pnm_rlimit rl;

	(void)state;
	set_memlock(p, 3 * PG, 5 * PG);
	assert_int_equal(pnm_task_set_capability(p, PNM_CAP_IPC_LOCK, true), 0);
	assert_int_equal(pnm_mlock(p, a, 2 * PG), 0);
	assert_int_equal(locked_vm(p), 2);
	c = test_fork(p);
	rl = get_memlock(c);
	assert_true(rl.rlim_cur == 3 * PG && rl.rlim_max == 5 * PG);
	assert_int_equal(pnm_task_capable(c, PNM_CAP_IPC_LOCK), 1);
	assert_int_equal(locked_vm(c), 0);
	/* Changing the child's changes nothing of the parent's. */
	set_memlock(c, PG, PG);
	assert_int_equal(get_memlock(p).rlim_cur, 3 * PG);
	CHECK_ALL();
}

static void test_mlock_limit(void **state)
{
	struct task_struct *t = test_task_create("t");
	unsigned long a = test_mmap(t, 8 * PG, RW, PRIV);

	(void)state;
	/* A limit of 0 without CAP_IPC_LOCK: mlock is not allowed at all,
	 * even for a bad range (the check comes first, as in Linux). */
	set_memlock(t, 0, INF);
	assert_int_equal(pnm_mlock(t, a, PG), -EPERM);
	assert_int_equal(pnm_mlock(t, ~0UL - PG, 4 * PG), -EPERM);
	assert_int_equal(locked_vm(t), 0);

	set_memlock(t, 3 * PG, INF);
	assert_int_equal(pnm_mlock(t, a, 2 * PG), 0);
	assert_int_equal(locked_vm(t), 2);
	/* Two more would make four: refused, nothing changed. */
	assert_int_equal(pnm_mlock(t, a + 2 * PG, 2 * PG), -ENOMEM);
	assert_int_equal(locked_vm(t), 2);
	assert_false(test_vma_flags(t->mm, a + 2 * PG) & VM_LOCKED);
	/* Overlapping what is locked: only the new page counts. */
	assert_int_equal(pnm_mlock(t, a + PG, 2 * PG), 0);
	assert_int_equal(locked_vm(t), 3);
	assert_int_equal(pnm_mlock(t, a, 3 * PG), 0);
	assert_int_equal(pnm_mlock(t, a + 3 * PG, PG), -ENOMEM);
	/* munlock needs no limit and makes room; munmap does too. */
	assert_int_equal(pnm_munlock(t, a, PG), 0);
	assert_int_equal(locked_vm(t), 2);
	assert_int_equal(pnm_mlock(t, a + 3 * PG, PG), 0);
	assert_int_equal(locked_vm(t), 3);
	assert_int_equal(pnm_munmap(t, a + 2 * PG, PG), 0);
	assert_int_equal(locked_vm(t), 2);
	CHECK_ALL();

	/* Lowering the limit below what is locked keeps the locks. */
	set_memlock(t, PG, INF);
	assert_int_equal(locked_vm(t), 2);
	assert_int_equal(pnm_mlock(t, a + 4 * PG, PG), -ENOMEM);
	/* CAP_IPC_LOCK lifts the limit, also a limit of 0. */
	assert_int_equal(pnm_task_set_capability(t, PNM_CAP_IPC_LOCK, true), 0);
	assert_int_equal(pnm_mlock(t, a + 4 * PG, 4 * PG), 0);
	assert_int_equal(locked_vm(t), 6);
	set_memlock(t, 0, 0);
	/* A hole (the page unmapped above): -ENOMEM either way. */
	assert_int_equal(pnm_munlock(t, a, 8 * PG), -ENOMEM);
	assert_int_equal(pnm_munlock(t, a, 2 * PG), 0);
	assert_int_equal(locked_vm(t), 5);
	assert_int_equal(pnm_mlock(t, a, 2 * PG), 0);
	assert_int_equal(locked_vm(t), 7);
	CHECK_ALL();
}

/* The process charge of long-term owners against RLIMIT_MEMLOCK. */
static void test_pin_budget_rlimit(void **state)
{
	struct task_struct *t = test_task_create("t");
	unsigned long a = populated(t, 8);
	struct vaddr_pin *vp = owner(t), *vp2;
	struct pnm_pin_budget_info info = { .size = sizeof(info) };
	long refused = global_stat(PNM_PIN_BUDGET_REFUSED);
	long by_rlimit = global_stat(PNM_PIN_RLIMIT_REFUSED);
	unsigned long rem = 0;

	(void)state;
	assert_int_equal(pnm_pin_budget_get_task(t, &info), 0);
	assert_true(info.rlimit == UNLIM && info.remaining == UNLIM);

	set_memlock(t, 3 * PG + 100, INF);	/* whole pages count: 3 */
	assert_int_equal(pnm_pin_budget_get_task(t, &info), 0);
	assert_int_equal(info.rlimit, 3);
	assert_int_equal(info.remaining, 3);
	assert_true(info.limit == UNLIM);
	assert_int_equal(vaddr_pin_user_pages(vp, a, 2, NULL), 2);
	assert_int_equal(pnm_pin_budget_remaining(t, &rem), 0);
	assert_int_equal(rem, 1);
	/* Two more would pass it: -ENOMEM, nothing pinned or charged. */
	assert_int_equal(vaddr_pin_user_pages(vp, a + 2 * PG, 2, NULL), -ENOMEM);
	assert_int_equal(global_stat(PNM_PIN_BUDGET_REFUSED), refused + 1);
	assert_int_equal(global_stat(PNM_PIN_RLIMIT_REFUSED), by_rlimit + 1);
	assert_int_equal(pnm_pin_budget_get_task(t, &info), 0);
	assert_int_equal(info.charged, 2);
	assert_int_equal(info.refused, 1);
	assert_int_equal(page_maybe_dma_pinned(pfn_to_page(test_pfn(t, a + 2 * PG))), false);
	CHECK_ALL();
	/* Exactly up to it works. */
	assert_int_equal(vaddr_pin_user_pages(vp, a + 2 * PG, 1, NULL), 1);
	/* mlocked pages are weighed apart from pins (Linux's two counts). */
	assert_int_equal(pnm_mlock(t, a, 3 * PG), 0);
	assert_int_equal(pnm_pin_budget_get_task(t, &info), 0);
	assert_int_equal(info.locked_vm, 3);
	assert_int_equal(info.remaining, 0);

	/* CAP_IPC_LOCK lifts the bound ... */
	assert_int_equal(pnm_task_set_capability(t, PNM_CAP_IPC_LOCK, true), 0);
	assert_int_equal(pnm_pin_budget_get_task(t, &info), 0);
	assert_true(info.rlimit == UNLIM);
	assert_int_equal(vaddr_pin_user_pages(vp, a + 3 * PG, 2, NULL), 2);
	/* ... but not the budget's own limit. */
	assert_int_equal(pnm_pin_budget_set_task_limit(t, 6), 0);
	assert_int_equal(vaddr_pin_user_pages(vp, a + 5 * PG, 2, NULL), -ENOMEM);
	assert_int_equal(global_stat(PNM_PIN_RLIMIT_REFUSED), by_rlimit + 1);
	assert_int_equal(global_stat(PNM_PIN_BUDGET_REFUSED), refused + 2);
	CHECK_ALL();

	/* Without the capability again the charge (5) is above the limit
	 * (3): a page charged already may be pinned again (by another
	 * owner), a new one may not. */
	assert_int_equal(pnm_task_set_capability(t, PNM_CAP_IPC_LOCK, false), 0);
	assert_int_equal(pnm_pin_budget_set_task_limit(t, UNLIM), 0);
	vp2 = owner(t);
	assert_int_equal(vaddr_pin_user_pages(vp2, a + 3 * PG, 1, NULL), 1);
	assert_int_equal(vaddr_pin_user_pages(vp2, a + 5 * PG, 1, NULL), -ENOMEM);
	assert_int_equal(global_stat(PNM_PIN_RLIMIT_REFUSED), by_rlimit + 2);
	assert_int_equal(pnm_pin_budget_get_task(t, &info), 0);
	assert_int_equal(info.charged, 5);
	CHECK_ALL();
	assert_int_equal(vaddr_unpin_user_pages(vp2, a + 3 * PG, true), 0);
	assert_int_equal(vaddr_unpin_user_pages(vp, a, true), 0);
	assert_int_equal(vaddr_unpin_user_pages(vp, a + 2 * PG, true), 0);
	assert_int_equal(vaddr_unpin_user_pages(vp, a + 3 * PG, true), 0);
	assert_int_equal(vaddr_pin_destroy(vp), 0);
	assert_int_equal(vaddr_pin_destroy(vp2), 0);
	assert_int_equal(pnm_pin_budget_get_task(t, &info), 0);
	assert_int_equal(info.charged, 0);
	CHECK_ALL();
}

/* A user's charge, from two processes, weighed against each one's limit
 * (io_uring's user->locked_vm against the registering process's). */
static void test_user_charge_rlimit(void **state)
{
	struct task_struct *p = test_task_create("p"), *q = test_task_create("q");
	unsigned long a = populated(p, 4), b = populated(q, 4);
	struct vaddr_pin *vp, *vq;
	struct pnm_pin_budget_info info = { .size = sizeof(info) };
	long by_rlimit = global_stat(PNM_PIN_RLIMIT_REFUSED);

	(void)state;
	assert_int_equal(pnm_task_set_user(p, 5), 0);
	assert_int_equal(pnm_task_set_user(q, 5), 0);
	vp = owner(p);
	vq = owner(q);
	set_memlock(p, 4 * PG, 4 * PG);		/* p: 4 pages */
	assert_int_equal(vaddr_pin_user_pages(vq, b, 3, NULL), 3);	/* q: none */
	/* p's own charge would be 2, the user's 5: past p's limit. */
	assert_int_equal(vaddr_pin_user_pages(vp, a, 2, NULL), -ENOMEM);
	assert_int_equal(global_stat(PNM_PIN_RLIMIT_REFUSED), by_rlimit + 1);
	assert_int_equal(pnm_pin_budget_get_user(5, &info), 0);
	assert_int_equal(info.charged, 3);
	assert_int_equal(info.refused, 1);
	assert_true(info.rlimit == UNLIM);
	assert_int_equal(vaddr_pin_user_pages(vp, a, 1, NULL), 1);
	assert_int_equal(pnm_pin_budget_get_user(5, &info), 0);
	assert_int_equal(info.charged, 4);
	/* q has no limit: its charge still grows. */
	assert_int_equal(vaddr_pin_user_pages(vq, b + 3 * PG, 1, NULL), 1);
	CHECK_ALL();
	assert_int_equal(vaddr_unpin_user_pages(vp, a, false), 0);
	assert_int_equal(vaddr_unpin_user_pages(vq, b, false), 0);
	assert_int_equal(vaddr_unpin_user_pages(vq, b + 3 * PG, false), 0);
	assert_int_equal(vaddr_pin_destroy(vp), 0);
	assert_int_equal(vaddr_pin_destroy(vq), 0);
	CHECK_ALL();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_defaults_and_errors, pnm_test_setup,
						pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_fork_inherits, pnm_test_setup,
						pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_mlock_limit, pnm_test_setup,
						pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_pin_budget_rlimit, pnm_test_setup,
						pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_user_charge_rlimit, pnm_test_setup,
						pnm_test_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
