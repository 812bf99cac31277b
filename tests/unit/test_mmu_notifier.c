// SPDX-License-Identifier: MIT
/*
 * test_mmu_notifier.c - MMU notifiers (mmu_notifier.c and the core's
 * hooks).  A recording subscriber looks at one probe address in every
 * callback: each test checks that the change it makes is announced with
 * the right event and range, that at invalidate_range_start the old entry
 * is still there and at invalidate_range_end it is gone or changed (the
 * notification brackets the change), that starts and ends pair up, and
 * that nothing else is sent.  Covered: munmap, mmap over a mapping,
 * MADV_DONTNEED, a COW copy, an unshare for a read-only pin, fork's write
 * protection, mprotect, migration, a THP split inside a partial munmap,
 * truncate, writeback's write protection, reclaim, exit (release, then
 * nothing), registration errors, unregistration (release exactly once,
 * also after exit), a fork child without subscriptions, several
 * subscribers, the list checker, and mms without subscribers sending
 * nothing.
 */
#include <string.h>

#include "test_util.h"
#include "pinmm_test_internal.h"

#define PG	PAGE_SIZE
#define RW	(PROT_READ | PROT_WRITE)
#define PRIV	(MAP_PRIVATE | MAP_ANONYMOUS)

#define MAX_EV	64

/* What a callback saw: its kind, the range, and the probe's entry. */
struct rec_ev {
	char kind;			/* 'S' start, 'E' end, 'R' release */
	enum mmu_notifier_event event;
	unsigned long start, end;
	bool probed;			/* the probe lay in the range */
	long pfn;			/* at the probe, -1 if not present */
	bool writable;
};

struct recorder {
	struct mmu_notifier mn;
	struct rec_ev ev[MAX_EV];
	int n;
	int depth;			/* starts without their end yet */
	int max_depth;
	bool bad_pairing;		/* an end without a start */
	unsigned long probe;		/* address looked at (0: none) */
	int releases;
};

/*
 * The entry at @addr without taking locks (the callbacks run under the
 * invalidator's locks; a single-threaded test has no racing changer):
 * the pfn mapped there, or -1.
 */
static long peek(struct mm_struct *mm, unsigned long addr, bool *writable)
{
	pmd_t *pmd = pnm_pmd_lookup(mm, addr);
	pmd_t pmdval;
	pte_t pte;

	*writable = false;
	if (!pmd)
		return -1;
	pmdval = pmdp_get(pmd);
	if (pmd_trans_huge(pmdval)) {
		*writable = pmd_write(pmdval);
		return (long)(pmd_pfn(pmdval) + ((addr & ~PMD_MASK) >> PAGE_SHIFT));
	}
	if (pmd_none(pmdval) || !pmd_present(pmdval))
		return -1;
	pte = ptep_get(pte_offset_kernel(pmd, addr));
	if (!pte_present(pte))
		return -1;
	*writable = pte_write(pte);
	return (long)pte_pfn(pte);
}

static void record(struct recorder *r, char kind, const struct mmu_notifier_range *range)
{
	struct rec_ev *e;

	assert_true(r->n < MAX_EV);
	e = &r->ev[r->n++];
	memset(e, 0, sizeof(*e));
	e->kind = kind;
	e->pfn = -1;
	if (!range)
		return;
	e->event = range->event;
	e->start = range->start;
	e->end = range->end;
	if (r->probe && r->probe >= range->start && r->probe < range->end) {
		e->probed = true;
		e->pfn = peek(range->mm, r->probe, &e->writable);
	}
}

static int rec_start(struct mmu_notifier *mn, const struct mmu_notifier_range *range)
{
	struct recorder *r = container_of(mn, struct recorder, mn);

	assert_ptr_equal(range->mm, mn->mm);
	assert_true(range->flags & MMU_NOTIFIER_RANGE_BLOCKABLE);
	assert_true(range->start < range->end);
	assert_int_equal(range->start & ~PAGE_MASK, 0);
	assert_int_equal(range->end & ~PAGE_MASK, 0);
	record(r, 'S', range);
	if (++r->depth > r->max_depth)
		r->max_depth = r->depth;
	return 0;
}

static void rec_end(struct mmu_notifier *mn, const struct mmu_notifier_range *range)
{
	struct recorder *r = container_of(mn, struct recorder, mn);

	record(r, 'E', range);
	if (--r->depth < 0)
		r->bad_pairing = true;
}

static void rec_release(struct mmu_notifier *mn, struct mm_struct *mm)
{
	struct recorder *r = container_of(mn, struct recorder, mn);

	assert_ptr_equal(mm, mn->mm);
	record(r, 'R', NULL);
	r->releases++;
}

static const struct mmu_notifier_ops rec_ops = {
	.release = rec_release,
	.invalidate_range_start = rec_start,
	.invalidate_range_end = rec_end,
};

static void rec_register(struct recorder *r, struct task_struct *t)
{
	struct mm_struct *mm = get_task_mm(t);

	memset(r, 0, sizeof(*r));
	r->mn.ops = &rec_ops;
	assert_non_null(mm);
	assert_int_equal(mmu_notifier_register(&r->mn, mm), 0);
	mmput(mm);
	assert_ptr_equal(r->mn.mm, t->mm);
}

static void rec_reset(struct recorder *r, unsigned long probe)
{
	r->n = 0;
	r->max_depth = 0;
	r->probe = probe;
}

/*
 * @pages pages of private memory in @t, page @probe written with @v
 * (present, writable), and @r registered on @t's mm, recording from now
 * on with that page probed.  Returns the memory's address.
 */
static unsigned long watched_area(struct task_struct *t, struct recorder *r,
				  unsigned long pages, unsigned long probe, unsigned char v)
{
	unsigned long a = test_mmap(t, pages * PG, RW, PRIV);

	test_write_byte(t, a + probe * PG, v);
	rec_register(r, t);
	rec_reset(r, a + probe * PG);
	return a;
}

/* Every start has its end (in nesting order), nothing is left open. */
static void assert_paired(struct recorder *r)
{
	int stack[MAX_EV], sp = 0;

	assert_false(r->bad_pairing);
	assert_int_equal(r->depth, 0);
	for (int i = 0; i < r->n; i++) {
		struct rec_ev *e = &r->ev[i];

		if (e->kind == 'S') {
			stack[sp++] = i;
		} else if (e->kind == 'E') {
			struct rec_ev *s;

			assert_true(sp > 0);
			s = &r->ev[stack[--sp]];
			assert_int_equal(s->event, e->event);
			assert_int_equal(s->start, e->start);
			assert_int_equal(s->end, e->end);
		}
	}
	assert_int_equal(sp, 0);
}

/* The first start of @event covering the probe; fails if none. */
static struct rec_ev *find_start(struct recorder *r, enum mmu_notifier_event event)
{
	for (int i = 0; i < r->n; i++)
		if (r->ev[i].kind == 'S' && r->ev[i].event == event && r->ev[i].probed)
			return &r->ev[i];
	fail_msg("no start of event %d over the probe", event);
	return NULL;
}

/* The end that pairs with start @s (the next end of the same range). */
static struct rec_ev *end_of(struct recorder *r, struct rec_ev *s)
{
	int depth = 0;

	for (struct rec_ev *e = s + 1; e < r->ev + r->n; e++) {
		if (e->kind == 'S')
			depth++;
		else if (e->kind == 'E' && depth-- == 0)
			return e;
	}
	fail_msg("start without end");
	return NULL;
}

static long inval_count(void)
{
	return global_stat(PNM_MMU_NOTIFIER_INVALIDATE);
}

/* --- registration ------------------------------------------------------- */

static void test_register_errors(void **state)
{
	struct task_struct *t = test_task_create("mn");
	struct recorder r;
	struct mmu_notifier bare = { 0 };
	int count = atomic_read(&t->mm->mm_count);

	(void)state;
	assert_int_equal(mmu_notifier_register(NULL, t->mm), -EINVAL);
	assert_int_equal(mmu_notifier_register(&bare, t->mm), -EINVAL);	/* no ops */
	bare.ops = &rec_ops;
	assert_int_equal(mmu_notifier_register(&bare, NULL), -EINVAL);
	assert_int_equal(pnm_mmu_notifier_count(t->mm), 0);
	assert_int_equal(atomic_read(&t->mm->mm_count), count);

	rec_register(&r, t);
	assert_int_equal(pnm_mmu_notifier_count(t->mm), 1);
	assert_int_equal(atomic_read(&t->mm->mm_count), count + 1);	/* mmgrab */
	assert_int_equal(mmu_notifier_register(&r.mn, t->mm), -EBUSY);
	assert_int_equal(pnm_mmu_notifier_count(t->mm), 1);
	CHECK_ALL();

	/* Unregister: exactly one release, the grab dropped, reusable. */
	mmu_notifier_unregister(&r.mn, t->mm);
	assert_int_equal(r.releases, 1);
	assert_null(r.mn.mm);
	assert_int_equal(pnm_mmu_notifier_count(t->mm), 0);
	assert_int_equal(atomic_read(&t->mm->mm_count), count);
	CHECK_ALL();
	/* Unregistering again: a warning, nothing else. */
	long warns = atomic_long_read(&pnm_nr_warnings);

	mmu_notifier_unregister(&r.mn, t->mm);
	assert_int_equal(atomic_long_read(&pnm_nr_warnings), warns + 1);
	assert_int_equal(r.releases, 1);
	assert_int_equal(mmu_notifier_register(&r.mn, t->mm), 0);
	mmu_notifier_unregister(&r.mn, t->mm);
	assert_int_equal(r.releases, 2);
	CHECK_ALL();
}

/* The list checker finds a corrupted count or a foreign entry. */
static void test_checker(void **state)
{
	struct task_struct *t = test_task_create("mn");
	struct recorder r, r2;

	(void)state;
	rec_register(&r, t);
	rec_register(&r2, t);
	assert_int_equal(pnm_mmu_notifier_count(t->mm), 2);
	CHECK_ALL();
	atomic_inc(&t->mm->pnm_nr_notifiers);
	assert_false(pnm_check_system());
	assert_non_null(strstr(pnm_check_error(), "MMU notifier"));
	atomic_dec(&t->mm->pnm_nr_notifiers);
	CHECK_ALL();
	r2.mn.pnm_state = 0;
	assert_false(pnm_check_system());
	r2.mn.pnm_state = r.mn.pnm_state;
	CHECK_ALL();
	mmu_notifier_unregister(&r.mn, t->mm);
	mmu_notifier_unregister(&r2.mn, t->mm);
	CHECK_ALL();
}

/* No subscription: no notification is counted, whatever changes. */
static void test_no_subscribers_send_nothing(void **state)
{
	struct task_struct *t = test_task_create("mn"), *c;
	unsigned long a = test_mmap(t, 4 * PG, RW, PRIV);
	long before = inval_count();

	(void)state;
	test_write_byte(t, a, 1);
	c = test_fork(t);
	test_write_byte(t, a, 2);
	assert_int_equal(pnm_mprotect(t, a, PG, PROT_READ), 0);
	assert_int_equal(pnm_madvise(t, a + PG, PG, MADV_DONTNEED), 0);
	assert_int_equal(pnm_munmap(t, a, 4 * PG), 0);
	pnm_task_exit(c);
	pnm_task_put(c);
	assert_int_equal(inval_count(), before);
	CHECK_ALL();
}

/* --- each change ------------------------------------------------------------ */

static void test_munmap(void **state)
{
	struct task_struct *t = test_task_create("mn");
	unsigned long a, pfn;
	struct recorder r;
	struct rec_ev *s;

	(void)state;
	a = watched_area(t, &r, 8, 3, 7);
	pfn = test_pfn(t, a + 3 * PG);
	assert_int_equal(pnm_munmap(t, a + 2 * PG, 4 * PG), 0);
	assert_paired(&r);
	assert_int_equal(r.n, 2);
	s = find_start(&r, MMU_NOTIFY_UNMAP);
	assert_int_equal(s->start, a + 2 * PG);
	assert_int_equal(s->end, a + 6 * PG);
	assert_int_equal(s->pfn, (long)pfn);		/* still mapped at start */
	assert_int_equal(end_of(&r, s)->pfn, -1);	/* gone at end */
	CHECK_ALL();

	/* MAP_FIXED over a mapping unmaps it first. */
	test_write_byte(t, a, 9);
	rec_reset(&r, a);
	assert_int_equal(pnm_mmap(t, a, 2 * PG, RW, PRIV | MAP_FIXED, NULL, 0), (long)a);
	assert_paired(&r);
	s = find_start(&r, MMU_NOTIFY_UNMAP);
	assert_int_equal(s->start, a);
	assert_int_equal(s->end, a + 2 * PG);
	assert_true(s->pfn >= 0);
	assert_int_equal(end_of(&r, s)->pfn, -1);
	mmu_notifier_unregister(&r.mn, t->mm);
	CHECK_ALL();
}

static void test_dontneed(void **state)
{
	struct task_struct *t = test_task_create("mn");
	struct recorder r;
	unsigned long a = watched_area(t, &r, 4, 1, 3);
	struct rec_ev *s;

	(void)state;
	assert_int_equal(pnm_madvise(t, a, 2 * PG, MADV_DONTNEED), 0);
	assert_paired(&r);
	assert_int_equal(r.n, 2);
	s = find_start(&r, MMU_NOTIFY_CLEAR);
	assert_int_equal(s->start, a);
	assert_int_equal(s->end, a + 2 * PG);
	assert_true(s->pfn >= 0 && s->writable);
	assert_int_equal(end_of(&r, s)->pfn, -1);
	mmu_notifier_unregister(&r.mn, t->mm);
	CHECK_ALL();
}

/* Fork write-protects the parent (PROTECTION_PAGE over the VMA), a later
 * write copies (CLEAR over the page); the child has no subscription. */
static void test_fork_and_cow(void **state)
{
	struct task_struct *t = test_task_create("mn"), *c;
	struct recorder r;
	unsigned long a = watched_area(t, &r, 4, 2, 1);
	long pfn = (long)test_pfn(t, a + 2 * PG), child_before;
	struct rec_ev *s, *e;

	(void)state;
	c = test_fork(t);
	assert_paired(&r);
	assert_int_equal(r.n, 2);
	s = find_start(&r, MMU_NOTIFY_PROTECTION_PAGE);
	assert_int_equal(s->start, a);
	assert_int_equal(s->end, a + 4 * PG);
	assert_true(s->pfn == pfn && s->writable);
	e = end_of(&r, s);
	assert_true(e->pfn == pfn && !e->writable);
	assert_int_equal(pnm_mmu_notifier_count(c->mm), 0);
	CHECK_ALL();

	/* The child's changes are not the parent's subscriber's business. */
	rec_reset(&r, a + 2 * PG);
	child_before = inval_count();
	test_write_byte(c, a + 2 * PG, 2);
	assert_int_equal(r.n, 0);
	assert_int_equal(inval_count(), child_before);

	/* The parent's write: the page is shared with nobody any more (the
	 * child copied), so it is reused in place and nothing is sent... */
	test_write_byte(t, a + 2 * PG, 3);
	assert_int_equal(r.n, 0);
	assert_int_equal(test_pfn(t, a + 2 * PG), (unsigned long)pfn);

	/* ... but a page still shared with the child is copied: CLEAR. */
	test_write_byte(t, a, 4);		/* fresh page, then share it */
	pnm_task_exit(c);
	pnm_task_put(c);
	c = test_fork(t);
	rec_reset(&r, a);
	pfn = (long)test_pfn(t, a);
	test_write_byte(t, a, 5);
	assert_paired(&r);
	assert_int_equal(r.n, 2);
	s = find_start(&r, MMU_NOTIFY_CLEAR);
	assert_int_equal(s->start, a);
	assert_int_equal(s->end, a + PG);
	assert_true(s->pfn == pfn && !s->writable);
	e = end_of(&r, s);
	assert_true(e->pfn >= 0 && e->pfn != pfn && e->writable);
	assert_int_equal(test_read_byte(c, a), 4);
	pnm_task_exit(c);
	pnm_task_put(c);
	mmu_notifier_unregister(&r.mn, t->mm);
	CHECK_ALL();
}

/* A read-only pin of a page shared with a child unshares it: CLEAR. */
static void test_unshare(void **state)
{
	struct task_struct *t = test_task_create("mn"), *c;
	unsigned long a = test_mmap(t, PG, RW, PRIV);
	struct recorder r;
	struct page *page;
	struct rec_ev *s;
	long pfn;

	(void)state;
	test_write_byte(t, a, 1);
	c = test_fork(t);
	pfn = (long)test_pfn(t, a);
	rec_register(&r, t);
	rec_reset(&r, a);
	mmap_read_lock(t->mm);
	assert_int_equal(pin_user_pages_remote(t->mm, a, 1, 0, &page, NULL), 1);
	mmap_read_unlock(t->mm);
	assert_paired(&r);
	s = find_start(&r, MMU_NOTIFY_CLEAR);
	assert_int_equal(s->pfn, pfn);
	assert_int_equal(end_of(&r, s)->pfn, (long)page_to_pfn(page));
	assert_true(page_to_pfn(page) != (unsigned long)pfn);
	unpin_user_page(page);
	pnm_task_exit(c);
	pnm_task_put(c);
	mmu_notifier_unregister(&r.mn, t->mm);
	CHECK_ALL();
}

static void test_mprotect(void **state)
{
	struct task_struct *t = test_task_create("mn");
	struct recorder r;
	unsigned long a = watched_area(t, &r, 4, 1, 1);
	struct rec_ev *s;

	(void)state;
	assert_int_equal(pnm_mprotect(t, a + PG, 2 * PG, PROT_READ), 0);
	assert_paired(&r);
	s = find_start(&r, MMU_NOTIFY_PROTECTION_VMA);
	assert_int_equal(s->start, a + PG);
	assert_int_equal(s->end, a + 3 * PG);
	assert_true(s->pfn >= 0 && s->writable);
	assert_false(end_of(&r, s)->writable);
	mmu_notifier_unregister(&r.mn, t->mm);
	CHECK_ALL();
}

/* Migration announces each folio's range (CLEAR); the end sees the
 * migration entry (not present); the new page is mapped afterwards. */
static void test_migration(void **state)
{
	struct task_struct *t = test_task_create("mn");
	struct recorder r;
	unsigned long a = watched_area(t, &r, 2, 1, 0x42);
	long pfn = (long)test_pfn(t, a + PG);
	struct rec_ev *s;

	(void)state;
	assert_int_equal(pnm_migrate_range(t, a + PG, PG, PNM_ZONE_NORMAL), 1);
	assert_paired(&r);
	s = find_start(&r, MMU_NOTIFY_CLEAR);
	assert_int_equal(s->start, a + PG);
	assert_int_equal(s->end, a + 2 * PG);
	assert_int_equal(s->pfn, pfn);
	assert_int_equal(end_of(&r, s)->pfn, -1);	/* a migration entry */
	assert_true(test_pfn(t, a + PG) != (unsigned long)pfn);
	assert_int_equal(test_read_byte(t, a + PG), 0x42);
	mmu_notifier_unregister(&r.mn, t->mm);
	CHECK_ALL();
}

/*
 * MADV_DONTNEED of part of a THP: the PMD split (CLEAR over 2 MiB) nests
 * inside the zap's CLEAR.  munmap of part of another: the VMA split
 * splits the PMD first (its own CLEAR), then the UNMAP.
 */
static void test_thp_split(void **state)
{
	struct task_struct *t = test_task_create("mn");
	long a = pnm_mmap(t, 0, 4 * PNM_HPAGE_PMD_SIZE, RW, PRIV, NULL, 0);
	unsigned long h;
	struct recorder r;
	struct rec_ev *s;
	bool w;

	(void)state;
	assert_true(a > 0);
	h = ALIGN((unsigned long)a, PNM_HPAGE_PMD_SIZE);
	assert_int_equal(pnm_madvise(t, (unsigned long)a, 4 * PNM_HPAGE_PMD_SIZE, MADV_HUGEPAGE), 0);
	test_write_byte(t, h, 1);
	test_write_byte(t, h + PNM_HPAGE_PMD_SIZE, 2);
	assert_true(pmd_trans_huge(test_pmd_val(t, h)));
	assert_true(pmd_trans_huge(test_pmd_val(t, h + PNM_HPAGE_PMD_SIZE)));
	rec_register(&r, t);

	rec_reset(&r, h + 8 * PG);
	assert_int_equal(pnm_madvise(t, h + 4 * PG, 2 * PG, MADV_DONTNEED), 0);
	assert_paired(&r);
	assert_int_equal(r.n, 4);
	assert_int_equal(r.max_depth, 2);
	assert_true(r.ev[0].kind == 'S' && r.ev[0].event == MMU_NOTIFY_CLEAR);
	assert_int_equal(r.ev[0].start, h + 4 * PG);
	assert_int_equal(r.ev[0].end, h + 6 * PG);
	s = &r.ev[1];
	assert_true(s->kind == 'S' && s->event == MMU_NOTIFY_CLEAR);
	assert_int_equal(s->start, h);
	assert_int_equal(s->end, h + PNM_HPAGE_PMD_SIZE);
	assert_true(s->pfn >= 0);
	/* The probe page stays mapped, now by a PTE. */
	assert_int_equal(end_of(&r, s)->pfn, s->pfn);
	assert_int_equal(peek(t->mm, h + 8 * PG, &w), s->pfn);
	assert_false(pmd_trans_huge(test_pmd_val(t, h)));
	CHECK_ALL();

	h += PNM_HPAGE_PMD_SIZE;
	rec_reset(&r, h + 8 * PG);
	assert_int_equal(pnm_munmap(t, h + 4 * PG, 2 * PG), 0);
	assert_paired(&r);
	assert_int_equal(r.n, 4);
	assert_int_equal(r.max_depth, 1);
	assert_true(r.ev[0].kind == 'S' && r.ev[0].event == MMU_NOTIFY_CLEAR);
	assert_int_equal(r.ev[0].start, h);
	assert_int_equal(r.ev[0].end, h + PNM_HPAGE_PMD_SIZE);
	assert_true(r.ev[2].kind == 'S' && r.ev[2].event == MMU_NOTIFY_UNMAP);
	assert_int_equal(r.ev[2].start, h + 4 * PG);
	assert_int_equal(r.ev[2].end, h + 6 * PG);
	assert_false(pmd_trans_huge(test_pmd_val(t, h)));
	mmu_notifier_unregister(&r.mn, t->mm);
	CHECK_ALL();
}

/* Files: writeback write-protects (PROTECTION_PAGE), truncate and
 * reclaim unmap (CLEAR) -- all reached through the reverse map. */
static void test_file_paths(void **state)
{
	struct task_struct *t = test_task_create("mn");
	struct file *f = test_open(PNM_FS_DISK, "mn-file");
	char buf[4 * PG];
	struct recorder r;
	struct rec_ev *s;
	long a, pfn;

	(void)state;
	memset(buf, 0x5a, sizeof(buf));
	assert_int_equal(pnm_file_write(f, buf, sizeof(buf), 0), (ssize_t)sizeof(buf));
	a = pnm_mmap(t, 0, 4 * PG, RW, MAP_SHARED, f, 0);
	assert_true(a > 0);
	test_write_byte(t, (unsigned long)a + PG, 0x11);	/* dirty, writable */
	pfn = (long)test_pfn(t, (unsigned long)a + PG);
	rec_register(&r, t);

	rec_reset(&r, (unsigned long)a + PG);
	assert_int_equal(pnm_file_fsync(f, 0, INT64_MAX, false), 0);
	assert_paired(&r);
	s = find_start(&r, MMU_NOTIFY_PROTECTION_PAGE);
	assert_int_equal(s->start, (unsigned long)a + PG);
	assert_true(s->pfn == pfn && s->writable);
	assert_int_equal(end_of(&r, s)->pfn, pfn);
	assert_false(end_of(&r, s)->writable);
	CHECK_ALL();

	/* Reclaim of the clean, mapped page: unmapped first (CLEAR). */
	rec_reset(&r, (unsigned long)a + PG);
	assert_true(pnm_reclaim_pages(1000, true) >= 1);
	assert_paired(&r);
	s = find_start(&r, MMU_NOTIFY_CLEAR);
	assert_int_equal(s->pfn, pfn);
	assert_int_equal(end_of(&r, s)->pfn, -1);
	CHECK_ALL();

	/* Truncate unmaps what is mapped beyond the new size. */
	test_write_byte(t, (unsigned long)a + 3 * PG, 0x33);
	pfn = (long)test_pfn(t, (unsigned long)a + 3 * PG);
	rec_reset(&r, (unsigned long)a + 3 * PG);
	assert_int_equal(pnm_file_truncate(f, 2 * PG), 0);
	assert_paired(&r);
	s = find_start(&r, MMU_NOTIFY_CLEAR);
	assert_int_equal(s->pfn, pfn);
	assert_int_equal(end_of(&r, s)->pfn, -1);
	mmu_notifier_unregister(&r.mn, t->mm);
	assert_int_equal(pnm_munmap(t, (unsigned long)a, 4 * PG), 0);
	pnm_file_close(f);
	CHECK_ALL();
}

/* Exit: release once, before any page goes; nothing after; unregister
 * after exit releases nothing more and drops the grab. */
static void test_exit_release(void **state)
{
	struct task_struct *t = test_task_create("mn");
	unsigned long a = test_mmap(t, 4 * PG, RW, PRIV);
	struct recorder r, r2, r3 = { .mn.ops = &rec_ops };
	struct mm_struct *mm = t->mm;
	long releases = global_stat(PNM_MMU_NOTIFIER_RELEASE);

	(void)state;
	test_write_byte(t, a, 1);
	rec_register(&r, t);
	rec_register(&r2, t);
	rec_reset(&r, a);
	pnm_task_exit(t);
	assert_int_equal(r.releases, 1);
	assert_int_equal(r2.releases, 1);
	assert_int_equal(r.n, 1);		/* the release, nothing else */
	assert_int_equal(r.ev[0].kind, 'R');
	assert_int_equal(global_stat(PNM_MMU_NOTIFIER_RELEASE), releases + 2);
	assert_int_equal(pnm_mmu_notifier_count(mm), 0);
	assert_int_equal(atomic_read(&mm->mm_users), 0);
	/* The mm struct lives on for the subscriptions. */
	assert_int_equal(atomic_read(&mm->mm_count), 2);
	/* Registering on a dead address space is refused. */
	assert_int_equal(mmu_notifier_register(&r3.mn, mm), -EINVAL);
	mmu_notifier_unregister(&r.mn, mm);
	assert_int_equal(r.releases, 1);
	assert_int_equal(atomic_read(&mm->mm_count), 1);
	mmu_notifier_unregister(&r2.mn, mm);	/* frees the mm struct */
	assert_int_equal(r2.releases, 1);
	assert_int_equal(r3.releases, 0);
	CHECK_ALL();
}

/* Two subscriptions both get every range, each paired. */
static void test_two_subscribers(void **state)
{
	struct task_struct *t = test_task_create("mn");
	unsigned long a = test_mmap(t, 2 * PG, RW, PRIV);
	struct recorder r1, r2;

	(void)state;
	test_write_byte(t, a, 1);
	rec_register(&r1, t);
	rec_register(&r2, t);
	rec_reset(&r1, a);
	rec_reset(&r2, a);
	assert_int_equal(pnm_madvise(t, a, PG, MADV_DONTNEED), 0);
	assert_int_equal(pnm_munmap(t, a, 2 * PG), 0);
	assert_paired(&r1);
	assert_paired(&r2);
	assert_int_equal(r1.n, 4);
	assert_int_equal(r2.n, 4);
	for (int i = 0; i < 4; i++) {
		assert_int_equal(r1.ev[i].kind, r2.ev[i].kind);
		assert_int_equal(r1.ev[i].event, r2.ev[i].event);
	}
	mmu_notifier_unregister(&r1.mn, t->mm);
	assert_int_equal(r1.releases, 1);
	rec_reset(&r1, 0);
	rec_reset(&r2, 0);
	a = test_mmap(t, PG, RW, PRIV);
	test_write_byte(t, a, 1);
	assert_int_equal(pnm_madvise(t, a, PG, MADV_DONTNEED), 0);
	assert_int_equal(r1.n, 0);
	assert_int_equal(r2.n, 2);
	mmu_notifier_unregister(&r2.mn, t->mm);
	assert_int_equal(r1.releases + r2.releases, 2);
	CHECK_ALL();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		PNM_TEST(test_register_errors),
		PNM_TEST(test_checker),
		PNM_TEST(test_no_subscribers_send_nothing),
		PNM_TEST(test_munmap),
		PNM_TEST(test_dontneed),
		PNM_TEST(test_fork_and_cow),
		PNM_TEST(test_unshare),
		PNM_TEST(test_mprotect),
		PNM_TEST(test_migration),
		PNM_TEST(test_thp_split),
		PNM_TEST(test_file_paths),
		PNM_TEST(test_exit_release),
		PNM_TEST(test_two_subscribers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
