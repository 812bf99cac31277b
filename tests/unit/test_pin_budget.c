// SPDX-License-Identifier: MIT
/*
 * test_pin_budget.c - the pin budget (pinmm/budget.h, pin_budget.c):
 * defaults and argument errors, limits per process and per user and the
 * remaining queries, a refusal that pins nothing, pages charged once per
 * domain (two owners of one process; two processes of one user), owners
 * that are not long-term and raw pins never charged, uncharging on unpin,
 * pnm_teardown() and pnm_fini(), fork children inheriting the user and
 * the limit, an exited task's owner keeping its charge until unpinned,
 * huge folios counted per base page, the checker catching a charge that
 * disagrees with the owners, random extents of several owners against an
 * independent count, and threads of several processes of one user pinning
 * against its budget concurrently.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "test_util.h"
#include "pinmm_test_internal.h"

#define PG	PAGE_SIZE
#define RW	(PROT_READ | PROT_WRITE)
#define PRIV	(MAP_PRIVATE | MAP_ANONYMOUS)
#define SHARED	(MAP_SHARED | MAP_ANONYMOUS)
#define LT	(VADDR_PIN_WRITE | VADDR_PIN_LONGTERM)
#define UNLIM	PNM_PIN_BUDGET_UNLIMITED

static struct vaddr_pin *owner(struct task_struct *t, unsigned int flags)
{
	struct vaddr_pin_params p = { .size = sizeof(p), .task = t, .flags = flags };
	struct vaddr_pin *vp = NULL;

	assert_int_equal(vaddr_pin_create(&p, &vp), 0);
	assert_non_null(vp);
	return vp;
}

static struct pnm_pin_budget_info task_budget(struct task_struct *t)
{
	struct pnm_pin_budget_info info = { .size = sizeof(info) };

	assert_int_equal(pnm_pin_budget_get_task(t, &info), 0);
	assert_int_equal(info.size, sizeof(info));
	return info;
}

static struct pnm_pin_budget_info user_budget(int uid)
{
	struct pnm_pin_budget_info info = { .size = sizeof(info) };

	assert_int_equal(pnm_pin_budget_get_user(uid, &info), 0);
	return info;
}

static unsigned long remaining(struct task_struct *t)
{
	unsigned long pages = 0;

	assert_int_equal(pnm_pin_budget_remaining(t, &pages), 0);
	return pages;
}

static unsigned long info_extents(struct vaddr_pin *vp)
{
	struct pnm_vaddr_pin_info info = { .size = sizeof(info) };

	assert_int_equal(pnm_vaddr_pin_get_info(vp, &info), 0);
	return info.extents;
}

static long task_pages(void)
{
	return global_stat(PNM_PIN_BUDGET_TASK_PAGES);
}

static long user_pages(void)
{
	return global_stat(PNM_PIN_BUDGET_USER_PAGES);
}

/* Map @n pages in @t and write each (so each has its own frame). */
static unsigned long populated(struct task_struct *t, unsigned long n, unsigned long flags)
{
	unsigned long a = test_mmap(t, n * PG, RW, flags), i;

	for (i = 0; i < n; i++)
		test_write_byte(t, a + i * PG, (unsigned char)(i + 1));
	return a;
}

static void test_defaults_and_errors(void **state)
{
	struct task_struct *t = test_task_create("t"), *gone = test_task_create("gone");
	struct pnm_pin_budget_info info = { .size = sizeof(info) }, small = { .size = 8 };
	struct {
		struct pnm_pin_budget_info info;
		unsigned long newer[2];
	} big;
	unsigned long pages = 123;

	(void)state;
	/* Defaults: user 0, no limit anywhere. */
	assert_int_equal(pnm_task_user(t), 0);
	info = task_budget(t);
	assert_true(info.limit == UNLIM && info.remaining == UNLIM);
	assert_int_equal(info.charged, 0);
	assert_int_equal(info.refused, 0);
	info = user_budget(0);
	assert_true(info.limit == UNLIM && info.remaining == UNLIM);
	assert_true(remaining(t) == UNLIM);

	/* Bad arguments change nothing. */
	assert_int_equal(pnm_task_set_user(NULL, 1), -EINVAL);
	assert_int_equal(pnm_task_set_user(t, -1), -EINVAL);
	assert_int_equal(pnm_task_user(t), 0);
	assert_int_equal(pnm_task_user(NULL), -EINVAL);
	assert_int_equal(pnm_pin_budget_set_task_limit(NULL, 1), -EINVAL);
	assert_int_equal(pnm_pin_budget_set_user_limit(-1, 1), -EINVAL);
	assert_int_equal(pnm_pin_budget_get_task(NULL, &info), -EINVAL);
	assert_int_equal(pnm_pin_budget_get_task(t, NULL), -EINVAL);
	assert_int_equal(pnm_pin_budget_get_task(t, &small), -EINVAL);
	assert_int_equal(pnm_pin_budget_get_user(0, &small), -EINVAL);
	assert_int_equal(pnm_pin_budget_get_user(-1, &info), -EINVAL);
	assert_int_equal(pnm_pin_budget_get_user(0, NULL), -EINVAL);
	assert_int_equal(pnm_pin_budget_remaining(NULL, &pages), -EINVAL);
	assert_int_equal(pnm_pin_budget_remaining(t, NULL), -EINVAL);
	assert_int_equal(pages, 123);
	assert_int_equal(small.size, 8);

	/* A newer caller's larger struct: its tail is zeroed, its size kept. */
	memset(&big, 0xa5, sizeof(big));
	big.info.size = sizeof(big);
	assert_int_equal(pnm_pin_budget_set_task_limit(t, 7), 0);
	assert_int_equal(pnm_pin_budget_get_task(t, &big.info), 0);
	assert_int_equal(big.info.size, sizeof(big));
	assert_int_equal(big.info.limit, 7);
	assert_int_equal(big.info.remaining, 7);
	assert_int_equal(big.newer[0], 0);
	assert_int_equal(big.newer[1], 0);

	/* A user and its limit. */
	assert_int_equal(pnm_task_set_user(t, 3), 0);
	assert_int_equal(pnm_task_user(t), 3);
	assert_int_equal(pnm_pin_budget_set_user_limit(3, 5), 0);
	assert_int_equal(user_budget(3).limit, 5);
	assert_int_equal(remaining(t), 5);
	assert_int_equal(user_budget(0).limit, UNLIM);
	/* Back to no limit. */
	assert_int_equal(pnm_pin_budget_set_user_limit(3, UNLIM), 0);
	assert_int_equal(remaining(t), 7);
	assert_int_equal(pnm_pin_budget_set_task_limit(t, UNLIM), 0);
	assert_true(remaining(t) == UNLIM);
	/* No limit for a user never seen records nothing and succeeds. */
	assert_int_equal(pnm_pin_budget_set_user_limit(77, UNLIM), 0);

	/* An exited task: -ESRCH, nothing changed. */
	pnm_task_exit(gone);
	assert_int_equal(pnm_task_set_user(gone, 2), -ESRCH);
	assert_int_equal(pnm_task_user(gone), 0);
	assert_int_equal(pnm_pin_budget_set_task_limit(gone, 1), -ESRCH);
	assert_int_equal(pnm_pin_budget_get_task(gone, &info), -ESRCH);
	assert_int_equal(pnm_pin_budget_remaining(gone, &pages), -ESRCH);
	assert_int_equal(pages, 123);
	CHECK_ALL();
}

/* A process limit: pins up to it, -ENOMEM past it with nothing pinned,
 * the remaining budget, and only long-term owners charged. */
static void test_task_limit(void **state)
{
	struct task_struct *t = test_task_create("t");
	unsigned long a = populated(t, 6, PRIV);
	struct vaddr_pin *vp = owner(t, LT), *shortterm = owner(t, VADDR_PIN_WRITE);
	long refused = global_stat(PNM_PIN_BUDGET_REFUSED);
	struct pnm_pin_budget_info info;
	struct page *pages[4], *raw;
	int i;

	(void)state;
	assert_int_equal(pnm_pin_budget_set_task_limit(t, 3), 0);
	assert_int_equal(remaining(t), 3);
	assert_int_equal(vaddr_pin_user_pages(vp, a, 2, pages), 2);
	info = task_budget(t);
	assert_int_equal(info.charged, 2);
	assert_int_equal(info.remaining, 1);
	assert_int_equal(user_budget(0).charged, 2);
	assert_int_equal(task_pages(), 2);
	assert_int_equal(user_pages(), 2);
	assert_int_equal(remaining(t), 1);
	CHECK_ALL();

	/* Two more would pass the limit: refused, nothing pinned. */
	assert_int_equal(vaddr_pin_user_pages(vp, a + 2 * PG, 2, pages), -ENOMEM);
	assert_int_equal(pnm_pin_registry_count(t->pid), 2);
	for (i = 2; i < 6; i++)
		assert_false(folio_maybe_dma_pinned(test_folio(t, a + i * PG)));
	assert_int_equal(info_extents(vp), 1);
	info = task_budget(t);
	assert_int_equal(info.charged, 2);
	assert_int_equal(info.refused, 1);
	assert_int_equal(user_budget(0).charged, 2);
	assert_int_equal(user_budget(0).refused, 0);
	assert_int_equal(task_pages(), 2);
	assert_int_equal(global_stat(PNM_PIN_BUDGET_REFUSED) - refused, 1);
	CHECK_ALL();

	/* One fits exactly. */
	assert_int_equal(vaddr_pin_user_pages(vp, a + 2 * PG, 1, NULL), 1);
	assert_int_equal(task_budget(t).charged, 3);
	assert_int_equal(remaining(t), 0);

	/* Not charged: an owner that is not long-term, and the raw API. */
	assert_int_equal(vaddr_pin_user_pages(shortterm, a + 3 * PG, 2, NULL), 2);
	pnm_task_enter(t);
	assert_int_equal(pin_user_pages_fast(a + 5 * PG, 1, FOLL_WRITE | FOLL_LONGTERM, &raw), 1);
	pnm_task_leave(NULL);
	assert_int_equal(task_budget(t).charged, 3);
	assert_int_equal(task_pages(), 3);
	CHECK_ALL();
	unpin_user_page(raw);
	assert_int_equal(vaddr_unpin_user_pages(shortterm, a + 3 * PG, false), 0);

	/* Uncharged as the pins go. */
	assert_int_equal(vaddr_unpin_user_pages(vp, a, true), 0);
	assert_int_equal(task_budget(t).charged, 1);
	assert_int_equal(remaining(t), 2);
	assert_int_equal(vaddr_unpin_user_pages(vp, a + 2 * PG, true), 0);
	assert_int_equal(task_budget(t).charged, 0);
	assert_int_equal(user_budget(0).charged, 0);
	assert_int_equal(task_pages(), 0);
	assert_int_equal(user_pages(), 0);
	assert_int_equal(vaddr_pin_destroy(vp), 0);
	assert_int_equal(vaddr_pin_destroy(shortterm), 0);
	assert_int_equal(atomic_long_read(&pnm_nr_warnings), 0);
	CHECK_ALL();
}

/* A partial pin (the range runs past the mapping) is charged for what it
 * pinned; a partial pin past the limit pins nothing. */
static void test_partial_pin(void **state)
{
	struct task_struct *t = test_task_create("t");
	unsigned long a = populated(t, 3, PRIV);
	struct vaddr_pin *vp = owner(t, LT);

	(void)state;
	assert_int_equal(pnm_pin_budget_set_task_limit(t, 2), 0);
	/* 3 pages mapped, 4 asked: 3 would be pinned, over the limit. */
	assert_int_equal(vaddr_pin_user_pages(vp, a, 4, NULL), -ENOMEM);
	assert_int_equal(pnm_pin_registry_count(t->pid), 0);
	assert_int_equal(task_budget(t).charged, 0);
	assert_int_equal(pnm_pin_budget_set_task_limit(t, 3), 0);
	assert_int_equal(vaddr_pin_user_pages(vp, a, 4, NULL), 3);
	assert_int_equal(task_budget(t).charged, 3);
	assert_int_equal(vaddr_unpin_user_pages(vp, a, false), 0);
	assert_int_equal(vaddr_pin_destroy(vp), 0);
	CHECK_ALL();
}

/* A user limit binds every process of the user, and only them; the
 * remaining query is the smaller of process and user; a limit lowered
 * below the charge still lets charged pages be pinned again. */
static void test_user_limit(void **state)
{
	struct task_struct *t1 = test_task_create("t1"), *t2 = test_task_create("t2");
	struct task_struct *t3 = test_task_create("t3");
	unsigned long a1, a2, a3;
	struct vaddr_pin *v1, *v1b, *v2, *v3;
	struct pnm_pin_budget_info info;

	(void)state;
	assert_int_equal(pnm_task_set_user(t1, 5), 0);
	assert_int_equal(pnm_task_set_user(t2, 5), 0);
	assert_int_equal(pnm_task_set_user(t3, 6), 0);
	a1 = populated(t1, 4, PRIV);
	a2 = populated(t2, 4, PRIV);
	a3 = populated(t3, 4, PRIV);
	v1 = owner(t1, LT);
	v1b = owner(t1, LT);
	v2 = owner(t2, LT);
	v3 = owner(t3, LT);
	assert_int_equal(pnm_pin_budget_set_user_limit(5, 4), 0);
	assert_int_equal(remaining(t1), 4);
	assert_int_equal(remaining(t2), 4);
	assert_true(remaining(t3) == UNLIM);

	assert_int_equal(vaddr_pin_user_pages(v1, a1, 3, NULL), 3);
	assert_int_equal(user_budget(5).charged, 3);
	assert_int_equal(task_budget(t1).charged, 3);
	assert_int_equal(remaining(t2), 1);
	/* t2's own process has room; its user has not. */
	assert_int_equal(vaddr_pin_user_pages(v2, a2, 2, NULL), -ENOMEM);
	assert_int_equal(pnm_pin_registry_count(t2->pid), 0);
	info = user_budget(5);
	assert_int_equal(info.charged, 3);
	assert_int_equal(info.refused, 1);
	assert_int_equal(task_budget(t2).refused, 0);
	assert_int_equal(task_budget(t2).charged, 0);
	assert_int_equal(vaddr_pin_user_pages(v2, a2, 1, NULL), 1);
	assert_int_equal(user_budget(5).charged, 4);
	assert_int_equal(remaining(t1), 0);
	/* Another user is not bound by user 5's limit. */
	assert_int_equal(vaddr_pin_user_pages(v3, a3, 2, NULL), 2);
	assert_int_equal(user_budget(6).charged, 2);
	assert_int_equal(user_budget(5).charged, 4);
	CHECK_ALL();

	/* A process limit below its user's: remaining is the smaller. */
	assert_int_equal(pnm_pin_budget_set_user_limit(6, 10), 0);
	assert_int_equal(pnm_pin_budget_set_task_limit(t3, 3), 0);
	assert_int_equal(remaining(t3), 1);
	assert_int_equal(pnm_pin_budget_set_task_limit(t3, 1), 0);
	assert_int_equal(remaining(t3), 0);
	assert_int_equal(vaddr_pin_user_pages(v3, a3 + 2 * PG, 1, NULL), -ENOMEM);
	assert_int_equal(task_budget(t3).refused, 1);
	assert_int_equal(user_budget(6).refused, 0);

	/* User 5's limit lowered below its charge: pages already charged may
	 * be pinned again by another owner, new ones may not. */
	assert_int_equal(pnm_pin_budget_set_user_limit(5, 2), 0);
	assert_int_equal(remaining(t1), 0);
	assert_int_equal(vaddr_pin_user_pages(v1b, a1, 2, NULL), 2);
	assert_int_equal(user_budget(5).charged, 4);
	assert_int_equal(vaddr_pin_user_pages(v1b, a1 + 3 * PG, 1, NULL), -ENOMEM);
	assert_int_equal(user_budget(5).refused, 2);
	CHECK_ALL();

	assert_int_equal(vaddr_unpin_user_pages(v1, a1, false), 0);
	/* v1b still holds two of v1's pages. */
	assert_int_equal(user_budget(5).charged, 3);
	assert_int_equal(task_budget(t1).charged, 2);
	assert_int_equal(vaddr_unpin_user_pages(v1b, a1, false), 0);
	assert_int_equal(vaddr_unpin_user_pages(v2, a2, false), 0);
	assert_int_equal(vaddr_unpin_user_pages(v3, a3, false), 0);
	assert_int_equal(user_budget(5).charged, 0);
	assert_int_equal(user_budget(6).charged, 0);
	assert_int_equal(task_pages(), 0);
	assert_int_equal(user_pages(), 0);
	assert_int_equal(vaddr_pin_destroy(v1), 0);
	assert_int_equal(vaddr_pin_destroy(v1b), 0);
	assert_int_equal(vaddr_pin_destroy(v2), 0);
	assert_int_equal(vaddr_pin_destroy(v3), 0);
	CHECK_ALL();
}

/* Two owners of one process on the same pages: charged once (a limit of
 * exactly the distinct pages lets both pin). */
static void test_two_owners_charged_once(void **state)
{
	struct task_struct *t = test_task_create("t");
	unsigned long a = populated(t, 3, PRIV);
	struct vaddr_pin *va = owner(t, LT), *vb = owner(t, LT);

	(void)state;
	assert_int_equal(pnm_pin_budget_set_task_limit(t, 3), 0);
	assert_int_equal(pnm_pin_budget_set_user_limit(0, 3), 0);
	assert_int_equal(vaddr_pin_user_pages(va, a, 2, NULL), 2);
	assert_int_equal(vaddr_pin_user_pages(vb, a + PG, 2, NULL), 2);
	assert_int_equal(task_budget(t).charged, 3);
	assert_int_equal(user_budget(0).charged, 3);
	assert_int_equal(task_pages(), 3);
	assert_int_equal(user_pages(), 3);
	/* The page both hold is pinned twice but charged once. */
	assert_true(folio_maybe_dma_pinned(test_folio(t, a + PG)));
	CHECK_ALL();

	/* a + PG stays charged while vb holds it. */
	assert_int_equal(vaddr_unpin_user_pages(va, a, false), 0);
	assert_int_equal(task_budget(t).charged, 2);
	assert_int_equal(user_budget(0).charged, 2);
	assert_int_equal(remaining(t), 1);
	CHECK_ALL();
	assert_int_equal(vaddr_unpin_user_pages(vb, a + PG, false), 0);
	assert_int_equal(task_budget(t).charged, 0);
	assert_int_equal(user_budget(0).charged, 0);
	assert_int_equal(vaddr_pin_destroy(va), 0);
	assert_int_equal(vaddr_pin_destroy(vb), 0);
	CHECK_ALL();
}

/* Two processes of one user pin the same shared pages: once to the user,
 * once to each process. */
static void test_two_processes_one_user(void **state)
{
	struct task_struct *p = test_task_create("p"), *c;
	unsigned long a;
	struct vaddr_pin *vp, *vc;
	int i;

	(void)state;
	assert_int_equal(pnm_task_set_user(p, 9), 0);
	a = populated(p, 4, SHARED);
	c = test_fork(p);
	assert_int_equal(pnm_task_user(c), 9);
	for (i = 0; i < 4; i++)
		assert_int_equal(test_read_byte(c, a + i * PG), i + 1);
	assert_int_equal(test_pfn(p, a), test_pfn(c, a));
	vp = owner(p, LT);
	vc = owner(c, LT);
	assert_int_equal(pnm_pin_budget_set_user_limit(9, 4), 0);
	assert_int_equal(vaddr_pin_user_pages(vp, a, 4, NULL), 4);
	assert_int_equal(remaining(c), 0);
	/* Nothing new for the user: allowed although it has no room left. */
	assert_int_equal(vaddr_pin_user_pages(vc, a, 4, NULL), 4);
	assert_int_equal(user_budget(9).charged, 4);
	assert_int_equal(task_budget(p).charged, 4);
	assert_int_equal(task_budget(c).charged, 4);
	assert_int_equal(task_pages(), 8);
	assert_int_equal(user_pages(), 4);
	CHECK_ALL();

	assert_int_equal(vaddr_unpin_user_pages(vp, a, false), 0);
	assert_int_equal(user_budget(9).charged, 4);
	assert_int_equal(task_budget(p).charged, 0);
	assert_int_equal(task_budget(c).charged, 4);
	CHECK_ALL();
	assert_int_equal(vaddr_unpin_user_pages(vc, a, false), 0);
	assert_int_equal(user_budget(9).charged, 0);
	assert_int_equal(task_budget(c).charged, 0);
	assert_int_equal(task_pages(), 0);
	assert_int_equal(user_pages(), 0);
	assert_int_equal(vaddr_pin_destroy(vp), 0);
	assert_int_equal(vaddr_pin_destroy(vc), 0);
	CHECK_ALL();
}

/* Fork children inherit the user and the process limit; an owner keeps
 * the user its task had when it was created. */
static void test_fork_inherits(void **state)
{
	struct task_struct *p = test_task_create("p"), *c, *g;
	unsigned long a = populated(p, 3, PRIV);
	struct vaddr_pin *early, *vc;

	(void)state;
	assert_int_equal(pnm_task_set_user(p, 4), 0);
	assert_int_equal(pnm_pin_budget_set_task_limit(p, 2), 0);
	c = test_fork(p);
	assert_int_equal(pnm_task_user(c), 4);
	assert_int_equal(task_budget(c).limit, 2);
	assert_int_equal(task_budget(c).charged, 0);
	/* Later changes of the parent do not reach the child, nor back. */
	assert_int_equal(pnm_task_set_user(p, 8), 0);
	assert_int_equal(pnm_task_user(c), 4);
	assert_int_equal(pnm_pin_budget_set_task_limit(c, 1), 0);
	assert_int_equal(task_budget(p).limit, 2);
	vc = owner(c, LT);
	assert_int_equal(vaddr_pin_user_pages(vc, a, 2, NULL), -ENOMEM);
	assert_int_equal(vaddr_pin_user_pages(vc, a, 1, NULL), 1);
	assert_int_equal(user_budget(4).charged, 1);
	assert_int_equal(user_budget(8).charged, 0);
	/* A grandchild inherits the child's values of now. */
	assert_int_equal(pnm_pin_budget_set_task_limit(c, 7), 0);
	g = test_fork(c);
	assert_int_equal(pnm_task_user(g), 4);
	assert_int_equal(task_budget(g).limit, 7);
	/* A child of a process without a limit has none. */
	assert_int_equal(pnm_pin_budget_set_task_limit(g, UNLIM), 0);
	assert_true(task_budget(test_fork(g)).limit == UNLIM);

	/* The owner charges the user of its creation. */
	early = owner(p, LT);
	assert_int_equal(pnm_task_set_user(p, 1), 0);
	assert_int_equal(vaddr_pin_user_pages(early, a, 1, NULL), 1);
	assert_int_equal(user_budget(8).charged, 1);
	assert_int_equal(user_budget(1).charged, 0);
	CHECK_ALL();
	assert_int_equal(vaddr_unpin_user_pages(early, a, false), 0);
	assert_int_equal(vaddr_unpin_user_pages(vc, a, false), 0);
	assert_int_equal(user_budget(8).charged, 0);
	assert_int_equal(user_budget(4).charged, 0);
	assert_int_equal(vaddr_pin_destroy(early), 0);
	assert_int_equal(vaddr_pin_destroy(vc), 0);
	CHECK_ALL();
}

/* An exited task's owner keeps its charge (the pages are still pinned)
 * until it unpins. */
static void test_exited_task_keeps_charge(void **state)
{
	struct task_struct *t = test_task_create("t");
	unsigned long a = populated(t, 3, PRIV);
	struct vaddr_pin *vp = owner(t, LT);
	struct pnm_pin_budget_info info = { .size = sizeof(info) };
	struct mm_struct *mm;

	(void)state;
	assert_int_equal(pnm_task_set_user(t, 2), 0);
	/* The owner was made under user 0. */
	assert_int_equal(vaddr_pin_destroy(vp), 0);
	vp = owner(t, LT);
	assert_int_equal(vaddr_pin_user_pages(vp, a, 3, NULL), 3);
	mm = get_task_mm(t);
	assert_non_null(mm);
	mmgrab(mm);
	mmput(mm);
	pnm_task_exit(t);
	assert_int_equal(pnm_pin_budget_get_task(t, &info), -ESRCH);
	pnm_pin_budget_get_mm(mm, &info);
	assert_int_equal(info.charged, 3);
	assert_int_equal(user_budget(2).charged, 3);
	assert_int_equal(task_pages(), 3);
	assert_int_equal(user_pages(), 3);
	CHECK_ALL();

	assert_int_equal(vaddr_unpin_user_pages(vp, a, true), 0);
	pnm_pin_budget_get_mm(mm, &info);
	assert_int_equal(info.charged, 0);
	assert_int_equal(user_budget(2).charged, 0);
	assert_int_equal(task_pages(), 0);
	assert_int_equal(vaddr_pin_destroy(vp), 0);
	mmdrop(mm);
	CHECK_ALL();
}

/* A huge folio is charged per base page pinned, each once. */
static void test_thp_per_base_page(void **state)
{
	struct task_struct *t = test_task_create("t");
	unsigned long a = test_mmap(t, PMD_SIZE, RW, PRIV), b = populated(t, 1, PRIV);
	struct vaddr_pin *va = owner(t, LT), *vb = owner(t, LT), *vc = owner(t, LT);
	struct page *pages[HPAGE_PMD_NR];
	struct folio *folio;

	(void)state;
	assert_true(IS_ALIGNED(a, PMD_SIZE));
	assert_int_equal(pnm_mm_madvise(t->mm, a, PMD_SIZE, MADV_HUGEPAGE), 0);
	test_write_byte(t, a, 1);
	/* In NORMAL already, so the long-term pin keeps the folio whole. */
	assert_true(pnm_mm_migrate_range(t->mm, a, PMD_SIZE, ZONE_NORMAL) >= 0);
	assert_int_equal(pnm_pin_budget_set_user_limit(0, HPAGE_PMD_NR), 0);

	assert_int_equal(vaddr_pin_user_pages(va, a + 5 * PG, 3, pages), 3);
	folio = page_folio(pages[0]);
	assert_int_equal(folio_order(folio), HPAGE_PMD_ORDER);
	assert_int_equal(user_budget(0).charged, 3);
	assert_int_equal(vaddr_pin_user_pages(vb, a, HPAGE_PMD_NR, pages), HPAGE_PMD_NR);
	assert_ptr_equal(page_folio(pages[HPAGE_PMD_NR - 1]), folio);
	assert_int_equal(user_budget(0).charged, HPAGE_PMD_NR);
	assert_int_equal(task_budget(t).charged, HPAGE_PMD_NR);
	/* The budget is full: one more page is refused. */
	assert_int_equal(vaddr_pin_user_pages(vc, b, 1, NULL), -ENOMEM);
	CHECK_ALL();
	assert_int_equal(vaddr_unpin_user_pages(vb, a, false), 0);
	assert_int_equal(user_budget(0).charged, 3);
	assert_int_equal(vaddr_pin_user_pages(vc, b, 1, NULL), 1);
	assert_int_equal(user_budget(0).charged, 4);
	assert_int_equal(vaddr_unpin_user_pages(va, a + 5 * PG, false), 0);
	assert_int_equal(vaddr_unpin_user_pages(vc, b, false), 0);
	assert_int_equal(user_budget(0).charged, 0);
	assert_int_equal(vaddr_pin_destroy(va), 0);
	assert_int_equal(vaddr_pin_destroy(vb), 0);
	assert_int_equal(vaddr_pin_destroy(vc), 0);
	CHECK_ALL();
}

/* pnm_teardown() releases owners' pins and their charges. */
static void test_teardown_uncharges(void **state)
{
	struct task_struct *t = test_task_create("t");
	unsigned long a = populated(t, 2, PRIV);
	struct vaddr_pin *vp = owner(t, LT);
	struct pnm_teardown_report r = { .size = sizeof(r) };
	struct pnm_config cfg;

	(void)state;
	assert_int_equal(vaddr_pin_user_pages(vp, a, 2, NULL), 2);
	assert_int_equal(task_pages(), 2);
	assert_int_equal(pnm_teardown(&r), -EBUSY);
	assert_int_equal(r.pins, 1);
	/* The counters outlive the model until the next pnm_init(). */
	assert_int_equal(task_pages(), 0);
	assert_int_equal(user_pages(), 0);
	pnm_test_config(&cfg);
	pnm_test_init_with(&cfg);
}

/* pnm_fini() with an owner left: the owner goes, its pins stay (leaked,
 * reported), its charge goes with it. */
static void test_fini_uncharges(void **state)
{
	struct task_struct *t = test_task_create("t");
	unsigned long a = populated(t, 2, PRIV);
	struct vaddr_pin *vp = owner(t, LT);
	struct test_stderr err;
	struct pnm_config cfg;

	(void)state;
	assert_int_equal(vaddr_pin_user_pages(vp, a, 2, NULL), 2);
	assert_int_equal(user_pages(), 2);
	test_stderr_begin(&err);
	assert_int_equal(pnm_fini(), -EBUSY);
	test_stderr_end(&err);
	assert_non_null(strstr(err.text, "pin owner"));
	assert_null(strstr(err.text, "charged"));
	assert_int_equal(task_pages(), 0);
	assert_int_equal(user_pages(), 0);
	pnm_test_config(&cfg);
	pnm_test_init_with(&cfg);
}

/* The checker sees a charge that disagrees with the owners' extents. */
static void test_checker_catches_mismatch(void **state)
{
	struct task_struct *t = test_task_create("t");
	unsigned long a = populated(t, 2, PRIV);
	struct vaddr_pin *vp = owner(t, LT);
	struct pnm_pin_budget *user = pnm_pin_budget_user_domain(t);
	struct page *pages[2];
	struct test_stderr err;
	bool ok;

	(void)state;
	assert_non_null(user);
	assert_int_equal(vaddr_pin_user_pages(vp, a, 2, pages), 2);
	CHECK_ALL();

	/* A page held by the owner but not charged. */
	pnm_pin_budget_uncharge(t->mm, user, pages, 1);
	test_stderr_begin(&err);
	ok = pnm_check_system();
	test_stderr_end(&err);
	assert_false(ok);
	assert_non_null(strstr(pnm_check_error(), "not charged"));
	assert_int_equal(pnm_pin_budget_charge(t->mm, user, pages, 1), 0);
	CHECK_ALL();

	/* A page charged twice but held once. */
	assert_int_equal(pnm_pin_budget_charge(t->mm, user, pages + 1, 1), 0);
	test_stderr_begin(&err);
	ok = pnm_check_system();
	test_stderr_end(&err);
	assert_false(ok);
	assert_non_null(strstr(pnm_check_error(), "counted 2 times"));
	pnm_pin_budget_uncharge(t->mm, user, pages + 1, 1);
	CHECK_ALL();

	/* A gauge out of step. */
	mod_vm_stat(PNM_PIN_BUDGET_USER_PAGES, 1);
	test_stderr_begin(&err);
	ok = pnm_check_system();
	test_stderr_end(&err);
	assert_false(ok);
	assert_non_null(strstr(pnm_check_error(), "gauges"));
	mod_vm_stat(PNM_PIN_BUDGET_USER_PAGES, -1);
	CHECK_ALL();

	assert_int_equal(vaddr_unpin_user_pages(vp, a, false), 0);
	assert_int_equal(vaddr_pin_destroy(vp), 0);
	assert_int_equal(atomic_long_read(&pnm_nr_warnings), 0);
	CHECK_ALL();
}

/* --- many pages: the charge against an independent count ---------------------- */

#define RND_PAGES	300
#define RND_OWNERS	3
#define RND_EXTENTS	4
#define RND_STEPS	150

struct rnd_owner {
	struct vaddr_pin *vp;
	unsigned long start[RND_EXTENTS], nr[RND_EXTENTS];
	int n;
};

/* Random extents of three owners of one process over a few hundred pages
 * (the charged sets grow, collide, shrink): after every step the charge is
 * the number of pages some owner holds, and the checker agrees page for
 * page. */
static void test_random_extents(void **state)
{
	struct task_struct *t = test_task_create("t");
	unsigned long a = populated(t, RND_PAGES, PRIV), i;
	unsigned int held[RND_PAGES] = { 0 };
	struct rnd_owner o[RND_OWNERS];
	unsigned int seed = 77;
	int step, k, e;

	(void)state;
	for (k = 0; k < RND_OWNERS; k++) {
		o[k].vp = owner(t, LT);
		o[k].n = 0;
	}
	for (step = 0; step < RND_STEPS; step++) {
		struct rnd_owner *w = &o[rand_r(&seed) % RND_OWNERS];
		unsigned long first = rand_r(&seed) % RND_PAGES;
		unsigned long nr = 1 + rand_r(&seed) % 64, expect = 0;
		bool clash = false;

		if (first + nr > RND_PAGES)
			nr = RND_PAGES - first;
		for (e = 0; e < w->n; e++)
			clash |= first < w->start[e] + w->nr[e] && w->start[e] < first + nr;
		if (clash || w->n == RND_EXTENTS) {
			e = (int)(rand_r(&seed) % (unsigned int)w->n);
			assert_int_equal(vaddr_unpin_user_pages(w->vp, a + w->start[e] * PG, false), 0);
			for (i = 0; i < w->nr[e]; i++)
				held[w->start[e] + i]--;
			w->start[e] = w->start[w->n - 1];
			w->nr[e] = w->nr[w->n - 1];
			w->n--;
		} else {
			assert_int_equal(vaddr_pin_user_pages(w->vp, a + first * PG, nr, NULL), (long)nr);
			for (i = 0; i < nr; i++)
				held[first + i]++;
			w->start[w->n] = first;
			w->nr[w->n++] = nr;
		}
		for (i = 0; i < RND_PAGES; i++)
			expect += held[i] > 0;
		assert_int_equal(task_budget(t).charged, expect);
		assert_int_equal(user_budget(0).charged, expect);
		CHECK_ALL();
	}
	for (k = 0; k < RND_OWNERS; k++) {
		while (o[k].n) {
			o[k].n--;
			assert_int_equal(vaddr_unpin_user_pages(o[k].vp, a + o[k].start[o[k].n] * PG,
								false), 0);
		}
		assert_int_equal(vaddr_pin_destroy(o[k].vp), 0);
	}
	assert_int_equal(task_budget(t).charged, 0);
	assert_int_equal(atomic_long_read(&pnm_nr_warnings), 0);
	CHECK_ALL();
}

/* --- threads of several processes against one user budget --------------------- */

#define NPROC		3
#define ROUNDS		300
#define SLOTS		8		/* slots of SLOT_PAGES in the shared area */
#define SLOT_PAGES	4
#define HELD_MAX	3		/* extents a thread holds at most */
#define USER		11
#define USER_LIMIT	8

struct worker {
	pthread_t thread;
	struct vaddr_pin *vp;
	unsigned long base;
	unsigned int seed;
	long pinned, refused;		/* calls that pinned, that were refused */
	atomic_long_t failures;
};

static void worker_unpin(struct worker *w, unsigned long *held, int *nr_held, int k)
{
	if (vaddr_unpin_user_pages(w->vp, held[k], false))
		atomic_long_inc(&w->failures);
	held[k] = held[--*nr_held];
}

static void *worker_run(void *arg)
{
	struct worker *w = arg;
	unsigned long held[HELD_MAX];
	int nr_held = 0, r, k;

	for (r = 0; r < ROUNDS; r++) {
		unsigned long slot = w->base + (rand_r(&w->seed) % SLOTS) * SLOT_PAGES * PG;
		long nr = 1 + rand_r(&w->seed) % SLOT_PAGES, ret;
		struct pnm_pin_budget_info info = { .size = sizeof(info) };
		bool mine = false;

		for (k = 0; k < nr_held; k++)
			mine |= held[k] == slot;
		if (mine || nr_held == HELD_MAX) {
			worker_unpin(w, held, &nr_held, (int)(rand_r(&w->seed) % nr_held));
			continue;
		}
		ret = vaddr_pin_user_pages(w->vp, slot, (unsigned long)nr, NULL);
		if (ret == -ENOMEM) {
			w->refused++;
			continue;
		}
		if (ret != nr) {
			atomic_long_inc(&w->failures);
			continue;
		}
		w->pinned++;
		held[nr_held++] = slot;
		/* Whatever the other threads do, the charge stays in bounds. */
		if (pnm_pin_budget_get_user(USER, &info) || info.charged > USER_LIMIT)
			atomic_long_inc(&w->failures);
	}
	while (nr_held)
		worker_unpin(w, held, &nr_held, 0);
	return NULL;
}

static void test_threads_one_user_budget(void **state)
{
	struct task_struct *p = test_task_create("p"), *c[NPROC];
	struct worker w[NPROC];
	long pinned = 0, refused = 0, budget_refused;
	struct vaddr_pin *first;
	unsigned long a;
	int i;

	(void)state;
	assert_int_equal(pnm_task_set_user(p, USER), 0);
	a = populated(p, SLOTS * SLOT_PAGES, SHARED);
	/* One long-term pin first moves the pages out of MOVABLE: the threads'
	 * pins then never migrate, whose failure under a racing pin would be
	 * an -ENOMEM of GUP's, not of the budget. */
	first = owner(p, LT);
	assert_int_equal(vaddr_pin_user_pages(first, a, SLOTS * SLOT_PAGES, NULL),
			 SLOTS * SLOT_PAGES);
	assert_int_equal(vaddr_unpin_user_pages(first, a, false), 0);
	assert_int_equal(vaddr_pin_destroy(first), 0);
	assert_int_equal(pnm_pin_budget_set_user_limit(USER, USER_LIMIT), 0);
	budget_refused = global_stat(PNM_PIN_BUDGET_REFUSED);
	for (i = 0; i < NPROC; i++) {
		c[i] = test_fork(p);
		w[i].vp = owner(c[i], LT);
		w[i].base = a;
		w[i].seed = 4242u + (unsigned int)i;
		w[i].pinned = w[i].refused = 0;
		atomic_long_set(&w[i].failures, 0);
	}
	for (i = 0; i < NPROC; i++)
		assert_int_equal(pthread_create(&w[i].thread, NULL, worker_run, &w[i]), 0);
	for (i = 0; i < NPROC; i++) {
		assert_int_equal(pthread_join(w[i].thread, NULL), 0);
		assert_int_equal(atomic_long_read(&w[i].failures), 0);
		pinned += w[i].pinned;
		refused += w[i].refused;
		assert_int_equal(task_budget(c[i]).charged, 0);
		assert_int_equal(vaddr_pin_destroy(w[i].vp), 0);
	}
	/* The budget both let pins through and refused some; every refusal
	 * was the user's. */
	assert_true(pinned > 0);
	assert_true(refused > 0);
	assert_int_equal(user_budget(USER).refused, refused);
	assert_int_equal(global_stat(PNM_PIN_BUDGET_REFUSED) - budget_refused, refused);
	assert_int_equal(user_budget(USER).charged, 0);
	assert_int_equal(task_pages(), 0);
	assert_int_equal(user_pages(), 0);
	assert_int_equal(pnm_pin_registry_count(-1), 0);
	assert_int_equal(atomic_long_read(&pnm_nr_warnings), 0);
	CHECK_ALL();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_defaults_and_errors, pnm_test_setup,
						pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_task_limit, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_partial_pin, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_user_limit, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_two_owners_charged_once, pnm_test_setup,
						pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_two_processes_one_user, pnm_test_setup,
						pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_fork_inherits, pnm_test_setup,
						pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_exited_task_keeps_charge, pnm_test_setup,
						pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_thp_per_base_page, pnm_test_setup,
						pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_teardown_uncharges, pnm_test_setup,
						pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_fini_uncharges, pnm_test_setup,
						test_cleanup_stderr_and_model),
		cmocka_unit_test_setup_teardown(test_checker_catches_mismatch, pnm_test_setup,
						pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_random_extents, pnm_test_setup,
						pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_threads_one_user_budget, pnm_test_setup,
						pnm_test_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
