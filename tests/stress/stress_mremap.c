// SPDX-License-Identifier: MIT
/*
 * stress_mremap.c - mremap moving a mapping while other threads of the
 * process pin its pages with pin_user_pages_fast(), fault on it and
 * migrate it.
 *
 * One process owns a 2 MiB mapping and three places for it: A and B 2 MiB
 * aligned, C one page off.  Every page carries its identity (MAGIC | its
 * index) in its first word.  The test runs twice: with the mapping made
 * of small pages, and with it a THP (MADV_HUGEPAGE), which its first
 * visit to C splits into a PTE-mapped THP (which, pinned somewhere nearly
 * all the time, migration then cannot split).
 *
 *   mover       mremap(MREMAP_MAYMOVE | MREMAP_FIXED) of the whole mapping
 *               to another place (A <-> B moves the PMD or whole PTE
 *               tables; to or from C splits and moves PTEs), and now and
 *               then a growth in place and the shrink back;
 *   pinners (2) pin_user_pages_fast() 1-16 pages where the mapping was
 *               last seen (sometimes FOLL_LONGTERM, migrating first), and
 *               check every page pinned: it is the page whose identity
 *               matches the address it was pinned at (a page pinned through
 *               an old entry was mapped there when pinned); most pins are
 *               released at once, some are held across many moves;
 *   faulter     reads through the mapping where it was last seen: either
 *               -EFAULT (it moved) or the right identity;
 *   migrator    migrates parts of the mapping between the zones (pinned
 *               pages refuse): migration entries get moved by mremap and
 *               must still be found by the migration's restore walk.
 *
 * Every call must return a result the race explains (-EFAULT for an
 * address the mapping left; -ENOMEM from a long-term pin's migration or a
 * growth that has no room).  At the end every held pin's page is still
 * mapped, at the place of its identity in the mapping's final position,
 * writable and exclusive, and a device write through the pin is read there;
 * NR_FOLL_PIN_ACQUIRED == RELEASED once all are released, no misuse was
 * reported, pnm_check_system() holds and no frame leaked.
 *
 * Usage: stress_mremap [seed [moves]].  Seeded and bounded: the other
 * threads stop when the mover is done.
 */
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>

#include "test_util.h"
#include "pinmm_test_internal.h"
#include "rcu.h"

#define PG		PAGE_SIZE
#define RW		(PROT_READ | PROT_WRITE)
#define PRIV		(MAP_PRIVATE | MAP_ANONYMOUS)
#define LEN		PMD_SIZE
#define NR_PAGES	(LEN / PG)
#define NR_PLACES	3
#define NR_PINNERS	2
#define MAX_HELD	6
#define MAGIC		0x6d72656d00000000UL

#ifdef PNM_TSAN
#define DEFAULT_MOVES	300
#else
#define DEFAULT_MOVES	2000
#endif

static uint64_t seed = 0x3e3a9;
static unsigned long nr_moves = DEFAULT_MOVES;

struct shared {
	struct task_struct *t;
	unsigned long place[NR_PLACES];
	/* Where the mapping is: stored (release) by the mover after each
	 * move, loaded (acquire) by the others, who may act on a stale one. */
	unsigned long cur;
	atomic_t done;
	atomic_t failures, first_error;
	atomic_long_t pinned, checked, efault, reads, migrated, grown;
};

static void record_failure(struct shared *sh, int code)
{
	atomic_inc(&sh->failures);
	atomic_cmpxchg(&sh->first_error, 0, code);
}

static unsigned long cur_place(struct shared *sh)
{
	return __atomic_load_n(&sh->cur, __ATOMIC_ACQUIRE);
}

/* The identity word of a page a device or the CPU may be writing to. */
static unsigned long page_identity(struct page *page)
{
	unsigned long w;

	pnm_copy_from_page_racy(&w, page_address(page), sizeof(w));
	return w;
}

/* Which page of the mapping sits at @addr, if it lies in one of the places
 * (the caller took @addr from a place's base): -1 otherwise. */
static long index_at(struct shared *sh, unsigned long addr)
{
	for (int i = 0; i < NR_PLACES; i++)
		if (addr - sh->place[i] < LEN)
			return (long)((addr - sh->place[i]) / PG);
	return -1;
}

/* --- pinners ------------------------------------------------------------------ */

struct held {
	struct page *pages[16];
	long nr;
	unsigned long first;		/* identity of pages[0] */
	unsigned int flags;
};

struct pinner {
	struct shared *sh;
	uint64_t rng;
	pthread_t thread;
	struct held held[MAX_HELD];
};

static void *pinner_main(void *arg)
{
	struct pinner *pn = arg;
	struct shared *sh = pn->sh;
	struct page *pages[16];

	pnm_task_enter(sh->t);
	while (!atomic_read_acquire(&sh->done)) {
		uint64_t r = test_rand(&pn->rng);
		unsigned long base = cur_place(sh);
		unsigned long n = 1 + (r >> 8) % 16;
		unsigned long first = (r >> 16) % (NR_PAGES - n + 1);
		unsigned int flags = FOLL_WRITE | ((r >> 32) % 8 == 0 ? FOLL_LONGTERM : 0);
		struct held *slot = &pn->held[(r >> 40) % MAX_HELD];
		long ret;

		ret = pin_user_pages_fast(base + first * PG, (int)n, flags, pages);
		if (ret < 0) {
			if (ret == -EFAULT)
				atomic_long_inc(&sh->efault);
			else if (!(ret == -ENOMEM && (flags & FOLL_LONGTERM)))
				record_failure(sh, 100 - (int)ret);
			continue;
		}
		atomic_long_add(ret, &sh->pinned);
		for (long i = 0; i < ret; i++) {
			if (page_identity(pages[i]) != (MAGIC | (first + (unsigned long)i)))
				record_failure(sh, 200);
			if (!page_maybe_dma_pinned(pages[i]))
				record_failure(sh, 201);
		}
		atomic_long_add(ret, &sh->checked);
		if ((r >> 48) % 4 || !ret) {
			unpin_user_pages(pages, (unsigned long)ret);
			continue;
		}
		/* Keep this one across moves, dropping what the slot held. */
		if (slot->nr)
			unpin_user_pages(slot->pages, (unsigned long)slot->nr);
		memcpy(slot->pages, pages, sizeof(pages[0]) * (size_t)ret);
		slot->nr = ret;
		slot->first = first;
		slot->flags = flags;
	}
	pnm_task_leave(NULL);
	return NULL;
}

/* --- the others ---------------------------------------------------------------- */

struct worker {
	struct shared *sh;
	uint64_t rng;
	pthread_t thread;
};

static void *faulter_main(void *arg)
{
	struct worker *w = arg;
	struct shared *sh = w->sh;

	while (!atomic_read_acquire(&sh->done)) {
		uint64_t r = test_rand(&w->rng);
		unsigned long base = cur_place(sh);
		unsigned long idx = r % NR_PAGES, word = 0;
		int err = pnm_user_read(sh->t, base + idx * PG, &word, sizeof(word));

		if (err == -EFAULT)
			continue;
		if (err || word != (MAGIC | idx))
			record_failure(sh, 300 - err);
		atomic_long_inc(&sh->reads);
	}
	return NULL;
}

static void *migrator_main(void *arg)
{
	struct worker *w = arg;
	struct shared *sh = w->sh;

	while (!atomic_read_acquire(&sh->done)) {
		uint64_t r = test_rand(&w->rng);
		unsigned long base = cur_place(sh);
		unsigned long n = 1 + (r >> 8) % 32;
		unsigned long first = (r >> 16) % (NR_PAGES - n + 1);
		long moved = pnm_mm_migrate_range(sh->t->mm, base + first * PG, n * PG,
						  (r >> 32) & 1 ? ZONE_NORMAL : ZONE_MOVABLE);

		if (moved > 0)
			atomic_long_add(moved, &sh->migrated);
		else if (moved < 0 && moved != -EBUSY && moved != -EAGAIN && moved != -ENOMEM)
			record_failure(sh, 400 - (int)moved);
	}
	return NULL;
}

/* The mover: the main thread of the test. */
static void mover(struct shared *sh, uint64_t rng)
{
	int at = 0;

	for (unsigned long n = 0; n < nr_moves; n++) {
		uint64_t r = test_rand(&rng);
		int to = (at + 1 + (int)(r % (NR_PLACES - 1))) % NR_PLACES;
		unsigned long from = sh->place[at];
		long ret;

		if (n % 8 == 7) {
			/* Grow in place when there is room, then shrink back. */
			ret = pnm_mremap(sh->t, from, LEN, LEN + 4 * PG, 0, 0);
			if (ret == (long)from) {
				atomic_long_inc(&sh->grown);
				if (pnm_mremap(sh->t, from, LEN + 4 * PG, LEN, 0, 0) != (long)from)
					record_failure(sh, 500);
			} else if (ret != -ENOMEM) {
				record_failure(sh, 501);
			}
		}
		ret = pnm_mremap(sh->t, from, LEN, LEN, PNM_MREMAP_MAYMOVE | PNM_MREMAP_FIXED,
				 sh->place[to]);
		if (ret != (long)sh->place[to]) {
			record_failure(sh, 600 - (int)ret);
			return;
		}
		at = to;
		__atomic_store_n(&sh->cur, sh->place[to], __ATOMIC_RELEASE);
	}
}

/* --- the test ------------------------------------------------------------------ */

static void stress_mremap(bool thp)
{
	struct pinner pn[NR_PINNERS];
	struct worker fw, mw;
	struct pnm_config cfg;
	struct shared sh;
	unsigned long x, base, held_pages = 0;
	long retries0 = atomic_long_read(&pnm_gup_fast_seq_retries);

	pnm_test_config(&cfg);
	cfg.zone_frames[ZONE_NORMAL] = 8192;	/* 32 MiB */
	cfg.zone_frames[ZONE_MOVABLE] = 8192;	/* 32 MiB */
	pnm_test_init_with(&cfg);

	memset(&sh, 0, sizeof(sh));
	memset(pn, 0, sizeof(pn));
	sh.t = test_task_create("mremap");
	/* Room for A, B and C (4 MiB: it is one page off alignment). */
	x = test_mmap(sh.t, 9 * PMD_SIZE, RW, PRIV);
	assert_int_equal(pnm_munmap(sh.t, x, 9 * PMD_SIZE), 0);
	base = ALIGN(x, PMD_SIZE);
	sh.place[0] = base;
	sh.place[1] = base + 2 * PMD_SIZE;
	sh.place[2] = base + 5 * PMD_SIZE + PG;
	assert_int_equal(pnm_mmap(sh.t, base, LEN, RW, PRIV | MAP_FIXED, NULL, 0), (long)base);
	if (thp)
		assert_int_equal(pnm_madvise(sh.t, base, LEN, MADV_HUGEPAGE), 0);
	for (unsigned long i = 0; i < NR_PAGES; i++) {
		unsigned long id = MAGIC | i;

		assert_int_equal(pnm_user_write(sh.t, base + i * PG, &id, sizeof(id)), 0);
	}
	sh.cur = base;
	CHECK_ALL();

	for (int i = 0; i < NR_PINNERS; i++) {
		pn[i].sh = &sh;
		pn[i].rng = seed * (2 * i + 3) + 7;
		assert_int_equal(pthread_create(&pn[i].thread, NULL, pinner_main, &pn[i]), 0);
	}
	fw = (struct worker){ .sh = &sh, .rng = seed * 17 + 1 };
	mw = (struct worker){ .sh = &sh, .rng = seed * 19 + 5 };
	assert_int_equal(pthread_create(&fw.thread, NULL, faulter_main, &fw), 0);
	assert_int_equal(pthread_create(&mw.thread, NULL, migrator_main, &mw), 0);
	mover(&sh, seed * 23 + 11);
	/* The pinners may not have been scheduled between two moves (a
	 * loaded machine, or moves faster than a pin): before they stop,
	 * let them check pages at the final place -- bounded, not timed. */
	for (long spin = 0; !atomic_long_read(&sh.checked) && spin < 1000000; spin++)
		sched_yield();
	atomic_set_release(&sh.done, 1);
	for (int i = 0; i < NR_PINNERS; i++)
		pthread_join(pn[i].thread, NULL);
	pthread_join(fw.thread, NULL);
	pthread_join(mw.thread, NULL);
	pnm_rcu_barrier();
	CHECK_ALL();

	/* Held pins: still mapped where their identity says, usable. */
	base = cur_place(&sh);
	for (int i = 0; i < NR_PINNERS; i++) {
		for (int h = 0; h < MAX_HELD; h++) {
			struct held *hd = &pn[i].held[h];

			for (long k = 0; k < hd->nr; k++) {
				unsigned long addr = base + (hd->first + (unsigned long)k) * PG, pfn;
				unsigned long stamp = 0x5354414d50UL + (unsigned long)k, got = 0;
				bool writable;

				assert_int_equal(pnm_translate(sh.t, addr, &pfn, &writable), 0);
				assert_int_equal(pfn, page_to_pfn(hd->pages[k]));
				assert_true(writable);
				assert_true(PageAnonExclusive(hd->pages[k]));
				assert_int_equal(pnm_dma_write(&hd->pages[k], 1, 64, &stamp,
							       sizeof(stamp)), 0);
				assert_int_equal(pnm_user_read(sh.t, addr + 64, &got, sizeof(got)), 0);
				assert_int_equal(got, stamp);
				held_pages++;
			}
			if (hd->nr)
				unpin_user_pages(hd->pages, (unsigned long)hd->nr);
		}
	}
	CHECK_ALL();
	/* Every page is where its identity says. */
	for (unsigned long i = 0; i < NR_PAGES; i++) {
		unsigned long w = 0;

		assert_int_equal(pnm_user_read(sh.t, base + i * PG, &w, sizeof(w)), 0);
		assert_int_equal(w, MAGIC | i);
	}
	assert_int_equal(index_at(&sh, base), 0);

	print_message("stress_mremap (%s): seed %#llx, %lu moves: %ld pages pinned and checked "
		      "(%ld), %lu held to the end, %ld EFAULTs, %ld reads, %ld migrated, "
		      "%ld grown, %ld seq retries, %d failures (first %d); "
		      "moved %ld ptes, %ld pmds, %ld tables\n",
		      thp ? "THP" : "small pages", (unsigned long long)seed, nr_moves,
		      atomic_long_read(&sh.pinned),
		      atomic_long_read(&sh.checked), held_pages, atomic_long_read(&sh.efault),
		      atomic_long_read(&sh.reads), atomic_long_read(&sh.migrated),
		      atomic_long_read(&sh.grown),
		      atomic_long_read(&pnm_gup_fast_seq_retries) - retries0,
		      atomic_read(&sh.failures), atomic_read(&sh.first_error),
		      global_stat(PNM_MREMAP_PTE), global_stat(PNM_MREMAP_PMD),
		      global_stat(PNM_MREMAP_PTE_TABLE));
	assert_int_equal(atomic_read(&sh.failures), 0);
	assert_true(atomic_long_read(&sh.checked) > 0);
	assert_int_equal(global_stat(NR_FOLL_PIN_ACQUIRED), global_stat(NR_FOLL_PIN_RELEASED));
	for (int k = 0; k < PNM_NR_MISUSE; k++)
		assert_int_equal(pnm_misuse_count(k), 0);
	pnm_task_exit(sh.t);
	pnm_rcu_barrier();
	CHECK_ALL();
}

static void stress_mremap_small(void **state)
{
	(void)state;
	stress_mremap(false);
}

static void stress_mremap_thp(void **state)
{
	(void)state;
	stress_mremap(true);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(stress_mremap_small, pnm_test_teardown),
		cmocka_unit_test_teardown(stress_mremap_thp, pnm_test_teardown),
	};

	if (argc > 1)
		seed = strtoull(argv[1], NULL, 0);
	if (argc > 2)
		nr_moves = strtoul(argv[2], NULL, 0);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
