/* SPDX-License-Identifier: MIT */
/*
 * test_lockless_walkers.c - page-table frames freed under lockless
 * walkers (rcu.h: pnm_lockless_walk_begin/end,
 * pnm_lockless_walkers_sync(), and pnm_pgtable_free() in pgtable.c), with
 * real threads.
 *
 * The main thread maps a 4 MiB area, touches pages in its 2 MiB-aligned
 * half (so that the half has a PTE table of its own), publishes it, waits
 * until a walker is inside a walk that reached that table, and unmaps the
 * area, which unhooks the table and frees it once no walker is inside.
 * The walkers stay inside the walk until they see the table unhooked (the
 * PMD entry no longer names it; bounded), then check that the frames they
 * walked through are still page tables: a freer that ignored them would
 * have released the PTE table at once (it would fail here, whatever the
 * protocol: the main thread is inside munmap, and maps nothing new, which
 * could make the frame a table again, until the walker has checked).  Two
 * kinds of walker:
 *
 *   - the protocol alone: pnm_lockless_walk_begin(), the four levels read
 *     with the acquire loads of pgtable.h, wait, check, end;
 *   - gup-fast itself: get_user_pages_fast_only() on the area from a
 *     thread running as the task, held inside its walk by the race hook
 *     (the hook does the waiting and the checking; the PTE table is the
 *     one the main thread saw before unmapping).
 *
 * Each runs with the membarrier protocol (when the host has it) and with
 * the seq_cst fallback.  The main thread pauses every few rounds: walkers
 * idle, then the frame count must be exactly what it was before the first
 * round (frees are synchronous) and pnm_check_system() must pass; the same
 * at the end.  Seeded, bounded, no sleeps.
 */
#include <pthread.h>
#include <sched.h>
#include <string.h>

#include "test_util.h"
#include "pinmm_test_internal.h"
#include "rcu.h"

#define PG		PAGE_SIZE
#define RW		(PROT_READ | PROT_WRITE)
#define PRIV		(MAP_PRIVATE | MAP_ANONYMOUS)

#define ROUNDS		96	/* map, wait for a walker, unmap */
#define PAUSE_EVERY	32	/* barrier, frame count and checks */
#define WALKERS		2
#define WAIT_BOUND	20000	/* yields a waiter gives the other side */
#define WALK_BOUND	1000000	/* loop iterations per walker at most */

struct shared {
	struct task_struct *t;
	bool gup;			/* walkers call gup-fast */
	/* The area of each round: its 2 MiB-aligned address and the PTE
	 * table the main thread saw there.  Written by the main thread before
	 * it publishes the round (release), read-only after. */
	struct {
		unsigned long addr;
		struct page *table;
	} area[ROUNDS + 1];
	unsigned long round;		/* the last published; atomic */
	unsigned long inside;		/* the round a walker is inside; atomic */
	unsigned long unmapped;		/* the round last unmapped; atomic */
	unsigned long checked;		/* the round a walker last checked; atomic */
	int paused;			/* walkers must idle; atomic */
	int idle;			/* walkers idling; atomic */
	int running;			/* walkers not yet finished; atomic */
	int stop;			/* atomic */
	long overlaps;			/* walks that saw the unhook inside; atomic */
	struct stress_failures fail;
	uint64_t seed;
};

static struct shared sh;

/* Walkers idle at pauses so the main thread may barrier and check. */
static void walker_pause_point(struct shared *s)
{
	if (!__atomic_load_n(&s->paused, __ATOMIC_ACQUIRE))
		return;
	__atomic_fetch_add(&s->idle, 1, __ATOMIC_ACQ_REL);
	for (unsigned long i = 0; i < 100 * WAIT_BOUND &&
	     __atomic_load_n(&s->paused, __ATOMIC_ACQUIRE); i++)
		sched_yield();
	__atomic_fetch_sub(&s->idle, 1, __ATOMIC_ACQ_REL);
}

/*
 * Wait (bounded) until the main thread's munmap of @round has unhooked
 * @table from the PMD entry at @pmdp (we are inside our walk, so the PMD
 * table stays allocated), or has returned (it freed no table there).
 * No @pmdp: the PMD table above was unhooked already, after the table.
 */
static bool wait_unhooked(struct shared *s, unsigned long round, pmd_t *pmdp,
			  struct page *table)
{
	if (!pmdp)
		return true;
	for (unsigned long i = 0; i < WAIT_BOUND; i++) {
		pmd_t m = pmdp_get_lockless(pmdp);

		if (!pmd_present(m) || pmd_pfn(m) != page_to_pfn(table) ||
		    __atomic_load_n(&s->unmapped, __ATOMIC_ACQUIRE) >= round)
			return true;
		sched_yield();
	}
	return false;
}

/* Is @table still an allocated page table (we are inside our walk)? */
static void check_table(struct shared *s, struct page *table, const char *level,
			unsigned long round)
{
	if (!PageTable(table) || page_ref_count(table) != 1)
		stress_failf(&s->fail, "round %lu: %s table frame %lu freed under a walker "
			     "(PageTable %d, refcount %d)", round, level, page_to_pfn(table),
			     PageTable(table), page_ref_count(table));
}

/*
 * One walk of the protocol alone: the four levels down to @addr's PTE
 * table with lockless loads, then, once a table is reached, wait for the
 * unmapping and check every table frame we went through.
 */
static void protocol_walk(struct shared *s, unsigned long addr, unsigned long round,
			  uint64_t *rng)
{
	struct mm_struct *mm = s->t->mm;
	struct page *tables[3];
	pgd_t g;
	pud_t u;
	pmd_t m, *pmdp;

	pnm_lockless_walk_begin();
	g = pgdp_get(pgd_offset(mm, addr));
	if (!pgd_present(g))
		goto out;
	tables[0] = pfn_to_page(pgd_pfn(g));
	u = pudp_get((pud_t *)page_address(tables[0]) + pud_index(addr));
	if (!pud_present(u) || pud_leaf(u))
		goto out;
	tables[1] = pfn_to_page(pud_pfn(u));
	pmdp = (pmd_t *)page_address(tables[1]) + pmd_index(addr);
	m = pmdp_get_lockless(pmdp);
	if (!pmd_present(m) || pmd_trans_huge(m))
		goto out;
	tables[2] = pfn_to_page(pmd_pfn(m));
	(void)ptep_get_lockless((pte_t *)page_address(tables[2]) + pte_index(addr));
	/* Only an overlap if the round's area is still mapped now. */
	if (__atomic_load_n(&s->unmapped, __ATOMIC_ACQUIRE) >= round)
		goto out;
	__atomic_store_n(&s->inside, round, __ATOMIC_RELEASE);
	if (!wait_unhooked(s, round, pmdp, tables[2]))
		goto out;
	__atomic_fetch_add(&s->overlaps, 1, __ATOMIC_RELAXED);
	/* A few more yields: a freer that ignored us has had time. */
	for (unsigned int i = test_rand(rng) % 8; i; i--)
		sched_yield();
	check_table(s, tables[2], "PTE", round);
	check_table(s, tables[1], "PMD", round);
	check_table(s, tables[0], "PUD", round);
	__atomic_store_n(&s->checked, round, __ATOMIC_RELEASE);
out:
	pnm_lockless_walk_end();
}

/* The race hook of gup-fast walkers: inside the walk, once per call. */
static _Thread_local struct {
	unsigned long round;
	struct page *table;
	bool fired;
	uint64_t *rng;
} hook_state;

static void walker_hook(enum pnm_gup_fast_race where, struct page *page, int nr)
{
	struct shared *s = &sh;

	(void)page;
	(void)nr;
	if (where != PNM_GUP_FAST_BEFORE_GRAB || hook_state.fired || !hook_state.table)
		return;
	hook_state.fired = true;
	/*
	 * The walk found a page at the round's address, so it read the PMD
	 * entry while the area was mapped or later; if the area is still
	 * mapped now, that entry pointed at the round's PTE table (the
	 * table stays from mmap to munmap).  Otherwise nothing to check.
	 */
	if (__atomic_load_n(&s->unmapped, __ATOMIC_ACQUIRE) >= hook_state.round)
		return;
	__atomic_store_n(&s->inside, hook_state.round, __ATOMIC_RELEASE);
	/* The PMD table above the area outlives our walk too, but it may
	 * be unhooked already (NULL from the lookup). */
	if (!wait_unhooked(s, hook_state.round,
			   pnm_pmd_lookup(s->t->mm, s->area[hook_state.round].addr),
			   hook_state.table))
		return;
	__atomic_fetch_add(&s->overlaps, 1, __ATOMIC_RELAXED);
	for (unsigned int i = test_rand(hook_state.rng) % 8; i; i--)
		sched_yield();
	check_table(s, hook_state.table, "PTE (gup-fast)", hook_state.round);
	__atomic_store_n(&s->checked, hook_state.round, __ATOMIC_RELEASE);
}

/* One gup-fast call on the area; whatever it took is put back. */
static void gup_walk(struct shared *s, unsigned long addr, unsigned long round,
		     uint64_t *rng)
{
	struct page *pages[4];
	int n = 1 + (int)(test_rand(rng) % 4), got;

	hook_state.round = round;
	hook_state.table = s->area[round].table;
	hook_state.fired = false;
	hook_state.rng = rng;
	got = get_user_pages_fast_only(addr, n, FOLL_WRITE, pages);
	if (got < 0 || got > n)
		stress_failf(&s->fail, "round %lu: get_user_pages_fast_only: %d", round, got);
	for (int i = 0; i < got; i++)
		put_page(pages[i]);
}

static void *walker_main(void *arg)
{
	struct shared *s = &sh;
	uint64_t rng = s->seed + (uintptr_t)arg * 0x9e3779b97f4a7c15ULL;
	struct task_struct *prev = NULL;

	if (s->gup)
		prev = pnm_task_enter(s->t);
	for (unsigned long i = 0; i < WALK_BOUND; i++) {
		unsigned long round, addr;

		if (__atomic_load_n(&s->stop, __ATOMIC_ACQUIRE))
			break;
		walker_pause_point(s);
		round = __atomic_load_n(&s->round, __ATOMIC_ACQUIRE);
		if (!round || __atomic_load_n(&s->unmapped, __ATOMIC_ACQUIRE) >= round) {
			sched_yield();
			continue;
		}
		addr = s->area[round].addr;
		/* Sometimes a page past the touched ones: none entries. */
		addr += (test_rand(&rng) % 8) * PG;
		if (s->gup)
			gup_walk(s, addr, round, &rng);
		else
			protocol_walk(s, addr, round, &rng);
	}
	if (s->gup)
		pnm_task_leave(prev);
	/* After its last walk: a pause stops waiting for this walker. */
	__atomic_fetch_sub(&s->running, 1, __ATOMIC_ACQ_REL);
	return NULL;
}

/* The PTE table mapping @addr (mmap_lock held for read), or NULL. */
static struct page *pte_table_at(struct mm_struct *mm, unsigned long addr)
{
	struct page *table = NULL;
	pmd_t *pmd;

	mmap_read_lock(mm);
	pmd = pnm_pmd_lookup(mm, addr);
	if (pmd && pmd_present(pmdp_get(pmd)) && !pmd_trans_huge(pmdp_get(pmd)))
		table = pfn_to_page(pmd_pfn(pmdp_get(pmd)));
	mmap_read_unlock(mm);
	return table;
}

/* Walkers idle: the frame count is back to @frames. */
static void pause_and_check(struct shared *s, long frames, const char *when)
{
	__atomic_store_n(&s->paused, 1, __ATOMIC_RELEASE);
	for (unsigned long i = 0; i < 100 * WAIT_BOUND &&
	     __atomic_load_n(&s->idle, __ATOMIC_ACQUIRE) <
	     __atomic_load_n(&s->running, __ATOMIC_ACQUIRE); i++)
		sched_yield();
	assert_int_equal(__atomic_load_n(&s->idle, __ATOMIC_ACQUIRE),
			 __atomic_load_n(&s->running, __ATOMIC_ACQUIRE));
	if ((long)pnm_nr_allocated_frames() != frames)
		fail_msg("%s: %ld frames allocated, %ld before the rounds", when,
			 (long)pnm_nr_allocated_frames(), frames);
	CHECK_ALL();
	__atomic_store_n(&s->paused, 0, __ATOMIC_RELEASE);
}

static void run(bool gup, bool membarrier, uint64_t seed)
{
	struct task_struct *t = test_task_create("walkers");
	pthread_t threads[WALKERS];
	bool was;
	long frames, nr_pt;

	assert_non_null(t);
	pnm_task_enter(t);
	memset(&sh, 0, sizeof(sh));
	sh.t = t;
	sh.gup = gup;
	sh.seed = seed;
	sh.fail.test = gup ? "gup-fast walkers" : "protocol walkers";
	was = pnm_lockless_walk_set_membarrier(membarrier);
	if (gup)
		pnm_gup_fast_set_race_hook(walker_hook);
	/* One area mapped and unmapped first: the upper tables that stay
	 * (PGD, the PUD above the areas) exist before we count frames. */
	{
		unsigned long x = test_mmap(t, 2 * PMD_SIZE, RW, PRIV);

		test_write_byte(t, ALIGN(x, PMD_SIZE), 1);
		assert_int_equal(pnm_mm_munmap(t->mm, x, 2 * PMD_SIZE), 0);
	}
	frames = (long)pnm_nr_allocated_frames();
	nr_pt = global_stat(NR_PAGETABLE);

	sh.running = WALKERS;
	for (int i = 0; i < WALKERS; i++)
		stress_thread_start(&threads[i], walker_main, (void *)(uintptr_t)(i + 1));
	for (unsigned long round = 1; round <= ROUNDS; round++) {
		unsigned long x = test_mmap(t, 2 * PMD_SIZE, RW, PRIV);
		unsigned long a = ALIGN(x, PMD_SIZE);
		struct page *table;

		for (int p = 0; p < 4; p++)
			test_write_byte(t, a + p * PG, (unsigned char)(round + p));
		table = pte_table_at(t->mm, a);
		assert_non_null(table);
		sh.area[round].addr = a;
		sh.area[round].table = table;
		__atomic_store_n(&sh.round, round, __ATOMIC_RELEASE);
		/* Give a walker the chance to be inside (bounded). */
		for (unsigned long i = 0; i < WAIT_BOUND &&
		     __atomic_load_n(&sh.inside, __ATOMIC_ACQUIRE) < round; i++)
			sched_yield();
		assert_int_equal(pnm_mm_munmap(t->mm, x, 2 * PMD_SIZE), 0);
		__atomic_store_n(&sh.unmapped, round, __ATOMIC_RELEASE);
		/* Map nothing (which could reuse a freed frame as a table
		 * again) until the walker inside has checked (bounded). */
		for (unsigned long i = 0; i < WAIT_BOUND &&
		     __atomic_load_n(&sh.inside, __ATOMIC_ACQUIRE) >= round &&
		     __atomic_load_n(&sh.checked, __ATOMIC_ACQUIRE) < round; i++)
			sched_yield();
		if (round % PAUSE_EVERY == 0) {
			char when[32];

			snprintf(when, sizeof(when), "round %lu", round);
			pause_and_check(&sh, frames, when);
		}
	}
	__atomic_store_n(&sh.stop, 1, __ATOMIC_RELEASE);
	for (int i = 0; i < WALKERS; i++)
		assert_int_equal(pthread_join(threads[i], NULL), 0);
	pnm_gup_fast_set_race_hook(NULL);
	stress_assert_none(&sh.fail, NULL);
	/* The race was run, not only the set-up: most rounds overlap. */
	assert_true(__atomic_load_n(&sh.overlaps, __ATOMIC_RELAXED) > 0);
	assert_int_equal((long)pnm_nr_allocated_frames(), frames);
	assert_int_equal(global_stat(NR_PAGETABLE), nr_pt);
	CHECK_ALL();

	/* The walker threads are gone: a table is freed at once again. */
	{
		unsigned long x = test_mmap(t, 2 * PMD_SIZE, RW, PRIV);
		struct page *table;

		test_write_byte(t, ALIGN(x, PMD_SIZE), 1);
		table = pte_table_at(t->mm, ALIGN(x, PMD_SIZE));
		assert_non_null(table);
		assert_int_equal(pnm_mm_munmap(t->mm, x, 2 * PMD_SIZE), 0);
		assert_false(PageTable(table));
		assert_int_equal((long)pnm_nr_allocated_frames(), frames);
	}
	pnm_lockless_walk_set_membarrier(was);
	CHECK_ALL();
}

static void test_protocol_membarrier(void **state)
{
	(void)state;
	run(false, true, 0x5eed0001);
}

static void test_protocol_fallback(void **state)
{
	(void)state;
	run(false, false, 0x5eed0002);
}

static void test_gup_fast_membarrier(void **state)
{
	(void)state;
	run(true, true, 0x5eed0003);
}

static void test_gup_fast_fallback(void **state)
{
	(void)state;
	run(true, false, 0x5eed0004);
}

/*
 * The protocol switch: the fallback is chosen on request and reported
 * back; membarrier only where the host has it.  Single-threaded frees
 * stay synchronous in both.
 */
static void test_switch(void **state)
{
	bool was = pnm_lockless_walk_set_membarrier(false), host;

	(void)state;
	assert_false(READ_ONCE(pnm_walker_membarrier));
	assert_false(pnm_lockless_walk_set_membarrier(true));
	/* On only where the host has it; the answer sticks. */
	host = READ_ONCE(pnm_walker_membarrier);
	if (!host)
		print_message("membarrier unavailable: only the fallback is tested\n");
	assert_true(pnm_lockless_walk_set_membarrier(was) == host);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		PNM_TEST(test_switch),
		PNM_TEST(test_protocol_membarrier),
		PNM_TEST(test_protocol_fallback),
		PNM_TEST(test_gup_fast_membarrier),
		PNM_TEST(test_gup_fast_fallback),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
