// SPDX-License-Identifier: MIT
/*
 * stress_gup_fast.c - gup-fast pins racing with everything that changes
 * page tables under them.
 *
 * One process maps an area of six 2 MiB chunks (half of them MADV_HUGEPAGE)
 * and runs, as several host threads:
 *
 *   pinners (2)   pin_user_pages_fast() a random range (1-32 pages, or a
 *                 whole chunk), mostly for writing, sometimes read-only or
 *                 FOLL_LONGTERM, sometimes get_user_pages_fast(); "DMA"
 *                 into the pinned pages (stores straight into
 *                 page_address(), never through page tables), check that
 *                 the process sees the data through its mapping, unpin;
 *                 R/O pins check the other direction (a CPU store through
 *                 the mapping is seen through the pin);
 *   unmapper      munmap + mmap MAP_FIXED of a chunk, MADV_DONTNEED of a
 *                 range (splitting a THP when partial);
 *   splitter      mprotect part of a chunk read-only and back (splitting
 *                 THP PMDs);
 *   forker        fork, let the child write (COW) and exit;
 *   writer        CPU stores all over the area (COW breaks after forks);
 *   migrator      pnm_mm_migrate_range() between NORMAL and MOVABLE, and
 *                 compact_zone().
 *
 * Invariants: data a device wrote through a write pin is what the process
 * reads at that address while the pin is held, unless the process itself
 * unmapped or DONTNEED'd that chunk meanwhile (Linux semantics: the pin
 * then keeps an orphaned page); a R/O pin sees the process's later
 * writes (except short-term R/O pins of the zero page or the huge zero
 * page, which Linux does not unshare); every call returns pages or an error the concurrent
 * unmapping explains; afterwards NR_FOLL_PIN_ACQUIRED == RELEASED, no
 * misuse was reported, pnm_check_system() holds, no frame leaked, and the
 * run is clean under ThreadSanitizer.
 *
 * Chunk generations tell the checkers what happened meanwhile: the
 * unmapper makes gen_loss[c] odd while it unmaps chunk c and even again
 * after; the splitter does the same with gen_perm[c] around its read-only
 * window.  A check is skipped when a generation it depends on changed or
 * was odd.
 *
 * DMA stores and fork's copy of pinned pages would race (on Linux too: a
 * device writing while fork copies gives a torn copy); the test keeps
 * them apart with dma_lock (pinners read, forker write), which does not
 * order pins against fork.  Byte layout of each page: [8*id, 8*id+8)
 * pinner id's DMA stamp, [2048 + 8*id, ...) its R/O-pin CPU stamp,
 * [3072, 4096) the writer's and the children's stores.
 *
 * Usage: stress_gup_fast [seed [pin-iterations]].  Seeded and bounded.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "test_util.h"
#include "pinmm_test_internal.h"
#include "rcu.h"

#define PG		PAGE_SIZE
#define RW		(PROT_READ | PROT_WRITE)
#define PRIV		(MAP_PRIVATE | MAP_ANONYMOUS)
#define NR_CHUNKS	6
#define CHUNK_PAGES	HPAGE_PMD_NR
#define NR_PINNERS	2

#ifdef PNM_TSAN
#define DEFAULT_PINS	1500
#else
#define DEFAULT_PINS	6000
#endif

static uint64_t seed = 0x9f457;
static unsigned long nr_pins = DEFAULT_PINS;

struct shared {
	struct task_struct *p;
	unsigned long base;			/* chunk 0, 2 MiB aligned */
	atomic_t gen_loss[NR_CHUNKS];
	atomic_t gen_perm[NR_CHUNKS];
	pthread_rwlock_t dma_lock;
	atomic_t pinners_left;			/* others stop when 0 */
	atomic_t failures;
	atomic_t first_error;
	atomic_long_t pinned_pages, checked, skipped, forks, migrated;
};

static void record_failure(struct shared *sh, int code)
{
	atomic_inc(&sh->failures);
	atomic_cmpxchg(&sh->first_error, 0, code);
}

static bool pinners_running(struct shared *sh)
{
	return atomic_read_acquire(&sh->pinners_left) > 0;
}

static unsigned long chunk_addr(struct shared *sh, int c)
{
	return sh->base + (unsigned long)c * PMD_SIZE;
}

/* THP chunks: the even ones. */
static bool chunk_thp(int c)
{
	return !(c & 1);
}

/* Snapshot of a chunk's generations; "stable" if both even. */
struct gen {
	int loss, perm;
};

static struct gen gen_read(struct shared *sh, int c)
{
	/* Acquire: pairs with the release increments of the changers. */
	return (struct gen){ atomic_read_acquire(&sh->gen_loss[c]),
			     atomic_read_acquire(&sh->gen_perm[c]) };
}

static bool gen_stable(struct gen g)
{
	return !(g.loss & 1) && !(g.perm & 1);
}

static bool gen_same(struct gen a, struct gen b)
{
	return a.loss == b.loss && a.perm == b.perm;
}

/* Fully ordered: the odd value is visible before the change starts, the
 * even one after it is complete. */
static void gen_bump(atomic_t *g)
{
	atomic_inc_return(g);
}

/* --- pinners ----------------------------------------------------------------- */

struct pinner {
	struct shared *sh;
	int id;
	uint64_t rng;
	pthread_t thread;
	struct page *pages[CHUNK_PAGES];
};

/* Write pin: DMA a stamp into each page, then read it back through the
 * process's mapping. */
static void check_write_pin(struct pinner *pn, int c, unsigned long addr, int n,
			    struct gen g0, uint64_t iter)
{
	struct shared *sh = pn->sh;
	size_t off = 8 * (size_t)pn->id;
	struct gen g1;

	pthread_rwlock_rdlock(&sh->dma_lock);
	for (int i = 0; i < n; i++) {
		uint64_t stamp = ((uint64_t)(pn->id + 1) << 56) | (iter << 12) | (uint64_t)i;

		if (is_zero_pfn(page_to_pfn(pn->pages[i]))) {
			record_failure(sh, 10);	/* a write pin of the zero page */
			continue;
		}
		memcpy((char *)page_address(pn->pages[i]) + off, &stamp, sizeof(stamp));
	}
	pthread_rwlock_unlock(&sh->dma_lock);

	for (int i = 0; i < n; i++) {
		uint64_t stamp = ((uint64_t)(pn->id + 1) << 56) | (iter << 12) | (uint64_t)i;
		uint64_t seen = 0;
		int err = pnm_user_read(sh->p, addr + (unsigned long)i * PG + off, &seen,
					sizeof(seen));

		g1 = gen_read(sh, c);
		if (!gen_same(g0, g1) || !gen_stable(g1)) {
			atomic_long_inc(&sh->skipped);
			continue;
		}
		if (err)
			record_failure(sh, 11);
		else if (seen != stamp)
			record_failure(sh, 12);	/* DMA data lost while pinned */
		else
			atomic_long_inc(&sh->checked);
	}
}

/* R/O pin: a CPU store through the mapping must be seen through the pin
 * (the pin refers to the process's own, exclusive page). */
static void check_read_pin(struct pinner *pn, int c, unsigned long addr, int n,
			   struct gen g0, uint64_t iter)
{
	struct shared *sh = pn->sh;
	size_t off = 2048 + 8 * (size_t)pn->id;

	for (int i = 0; i < n; i++) {
		uint64_t stamp = ((uint64_t)(pn->id + 1) << 56) | (iter << 12) | (uint64_t)i, seen;
		int err;

		if (is_zero_pfn(page_to_pfn(pn->pages[i])) ||
		    is_huge_zero_pfn(page_to_pfn(pn->pages[i]))) {
			atomic_long_inc(&sh->skipped);	/* not unshared: Linux */
			continue;
		}
		err = pnm_user_write(sh->p, addr + (unsigned long)i * PG + off, &stamp,
				     sizeof(stamp));
		memcpy(&seen, (char *)page_address(pn->pages[i]) + off, sizeof(seen));
		if (!gen_same(g0, gen_read(sh, c))) {
			atomic_long_inc(&sh->skipped);
			continue;
		}
		if (err)
			record_failure(sh, 20);
		else if (seen != stamp)
			record_failure(sh, 21);	/* R/O pin does not see the write */
		else
			atomic_long_inc(&sh->checked);
	}
}

static void *pinner_main(void *arg)
{
	struct pinner *pn = arg;
	struct shared *sh = pn->sh;

	pnm_task_enter(sh->p);
	for (unsigned long iter = 1; iter <= nr_pins; iter++) {
		uint64_t r = test_rand(&pn->rng);
		int c = (int)(r % NR_CHUNKS), n, ret;
		unsigned int kind = (r >> 8) % 16, flags;
		unsigned long first, addr;
		struct gen g0;

		if ((r >> 16) % 8 == 0) {
			first = 0;
			n = CHUNK_PAGES;
		} else {
			n = 1 + (int)((r >> 20) % 32);
			first = (r >> 28) % (CHUNK_PAGES - (unsigned long)n + 1);
		}
		addr = chunk_addr(sh, c) + first * PG;
		g0 = gen_read(sh, c);
		if (!gen_stable(g0))
			continue;

		if (kind == 0) {
			/* FOLL_GET: references only. */
			ret = get_user_pages_fast(addr, n, FOLL_WRITE, pn->pages);
			if (ret < 0 && gen_same(g0, gen_read(sh, c)))
				record_failure(sh, 1000 - ret);
			for (int i = 0; i < ret; i++)
				put_page(pn->pages[i]);
			continue;
		}
		flags = kind < 11 ? FOLL_WRITE : 0;
		if (kind == 2 || kind == 12)
			flags |= FOLL_LONGTERM;
		ret = pin_user_pages_fast(addr, n, flags, pn->pages);
		if (ret < 0) {
			/* Long-term migration may give up under contention. */
			if (gen_same(g0, gen_read(sh, c)) &&
			    !((flags & FOLL_LONGTERM) && ret == -ENOMEM))
				record_failure(sh, 2000 - ret);
			continue;
		}
		if (ret < n && gen_same(g0, gen_read(sh, c)) && !(flags & FOLL_LONGTERM))
			record_failure(sh, 3);		/* partial without a reason */
		atomic_long_add(ret, &sh->pinned_pages);
		if (flags & FOLL_WRITE)
			check_write_pin(pn, c, addr, ret, g0, iter);
		else
			check_read_pin(pn, c, addr, ret, g0, iter);
		for (int i = 0; i < ret; i++)
			if (!page_maybe_dma_pinned(pn->pages[i]) &&
			    !is_zero_pfn(page_to_pfn(pn->pages[i])))
				record_failure(sh, 4);
		unpin_user_pages_dirty_lock(pn->pages, (unsigned long)ret, flags & FOLL_WRITE);
	}
	pnm_task_leave(NULL);
	/* Release: the others stop after seeing zero. */
	atomic_sub_return(1, &sh->pinners_left);
	return NULL;
}

/* --- the page-table changers --------------------------------------------------- */

struct worker {
	struct shared *sh;
	uint64_t rng;
	pthread_t thread;
};

static void *unmapper_main(void *arg)
{
	struct worker *w = arg;
	struct shared *sh = w->sh;
	struct mm_struct *mm = sh->p->mm;

	while (pinners_running(sh)) {
		uint64_t r = test_rand(&w->rng);
		int c = (int)(r % NR_CHUNKS);
		unsigned long a = chunk_addr(sh, c);

		gen_bump(&sh->gen_loss[c]);
		if ((r >> 8) % 3 == 0) {
			if (pnm_mm_munmap(mm, a, PMD_SIZE))
				record_failure(sh, 30);
			if (pnm_mm_mmap(mm, a, PMD_SIZE, RW, PRIV | MAP_FIXED, NULL, 0) != (long)a)
				record_failure(sh, 31);
			if (chunk_thp(c) && pnm_mm_madvise(mm, a, PMD_SIZE, MADV_HUGEPAGE))
				record_failure(sh, 32);
		} else {
			unsigned long n = 1 + (r >> 16) % 64;
			unsigned long first = (r >> 24) % (CHUNK_PAGES - n + 1);

			if (pnm_mm_madvise(mm, a + first * PG, n * PG, MADV_DONTNEED))
				record_failure(sh, 33);
		}
		gen_bump(&sh->gen_loss[c]);
		/* Refill part of the chunk so pinners find present pages. */
		for (int i = 0; i < 8; i++) {
			unsigned long pg = (test_rand(&w->rng) % CHUNK_PAGES) * PG;
			unsigned char v = 1;
			struct gen g = gen_read(sh, c);

			if (pnm_user_write(sh->p, a + pg + 3072, &v, 1) &&
			    gen_same(g, gen_read(sh, c)) && gen_stable(g))
				record_failure(sh, 34);
		}
	}
	return NULL;
}

static void *splitter_main(void *arg)
{
	struct worker *w = arg;
	struct shared *sh = w->sh;
	struct mm_struct *mm = sh->p->mm;

	while (pinners_running(sh)) {
		uint64_t r = test_rand(&w->rng);
		int c = 2 * (int)(r % (NR_CHUNKS / 2));		/* a THP chunk */
		unsigned long n = 1 + (r >> 8) % 128;
		unsigned long first = (r >> 16) % (CHUNK_PAGES - n + 1);
		unsigned long a = chunk_addr(sh, c) + first * PG;

		int loss = atomic_read_acquire(&sh->gen_loss[c]), err;

		gen_bump(&sh->gen_perm[c]);
		err = pnm_mm_mprotect(mm, a, n * PG, PROT_READ);
		err = pnm_mm_mprotect(mm, a, n * PG, RW) ?: err;
		gen_bump(&sh->gen_perm[c]);
		/* -ENOMEM only if the unmapper had the chunk unmapped. */
		if (err && !(loss & 1) && loss == atomic_read_acquire(&sh->gen_loss[c]))
			record_failure(sh, 40);
	}
	return NULL;
}

static void *forker_main(void *arg)
{
	struct worker *w = arg;
	struct shared *sh = w->sh;

	while (pinners_running(sh)) {
		struct task_struct *child;
		int err;

		pthread_rwlock_wrlock(&sh->dma_lock);
		err = pnm_task_fork(sh->p, "child", &child);
		pthread_rwlock_unlock(&sh->dma_lock);
		if (err) {
			record_failure(sh, 50);
			break;
		}
		/* The child's stores stay in the child (COW). */
		for (int i = 0; i < 8; i++) {
			uint64_t r = test_rand(&w->rng);
			unsigned long a = sh->base + (r % (NR_CHUNKS * CHUNK_PAGES)) * PG + 3072 +
					  8 * ((r >> 32) % 128);
			uint64_t v = r;

			/* May fail if the chunk was being unmapped at fork. */
			(void)pnm_user_write(child, a, &v, sizeof(v));
		}
		pnm_task_exit(child);
		put_task_struct(child);
		atomic_long_inc(&sh->forks);
	}
	return NULL;
}

static void *writer_main(void *arg)
{
	struct worker *w = arg;
	struct shared *sh = w->sh;

	while (pinners_running(sh)) {
		uint64_t r = test_rand(&w->rng);
		unsigned long page = r % (NR_CHUNKS * CHUNK_PAGES);
		int c = (int)(page / CHUNK_PAGES);
		uint64_t v = r;
		struct gen g = gen_read(sh, c);
		int err = pnm_user_write(sh->p, sh->base + page * PG + 3072 + 8 * ((r >> 40) % 128),
					 &v, sizeof(v));

		if (err && gen_stable(g) && gen_same(g, gen_read(sh, c)))
			record_failure(sh, 60);
	}
	return NULL;
}

static void *migrator_main(void *arg)
{
	struct worker *w = arg;
	struct shared *sh = w->sh;
	struct pnm_compact_result res;

	for (unsigned long n = 0; pinners_running(sh); n++) {
		uint64_t r = test_rand(&w->rng);
		int c = (int)(r % NR_CHUNKS);
		unsigned long len = (1 + (r >> 8) % 64) * PG;
		unsigned long first = ((r >> 16) % CHUNK_PAGES) * PG;
		enum zone_type z = (r >> 32) & 1 ? ZONE_NORMAL : ZONE_MOVABLE;
		long moved;

		if (first + len > PMD_SIZE)
			len = PMD_SIZE - first;
		if (n % 16 == 15) {
			(void)compact_zone(pnm_zone(ZONE_MOVABLE), HPAGE_PMD_ORDER, &res);
			continue;
		}
		moved = pnm_mm_migrate_range(sh->p->mm, chunk_addr(sh, c) + first, len, z);
		if (moved > 0)
			atomic_long_add(moved, &sh->migrated);
	}
	return NULL;
}

/* --- the test ---------------------------------------------------------------- */

static void stress_gup_fast(void **state)
{
	struct pinner pn[NR_PINNERS];
	struct worker wk[5];
	void *(*const fns[5])(void *) = {
		unmapper_main, splitter_main, forker_main, writer_main, migrator_main,
	};
	pthread_rwlockattr_t attr;
	struct pnm_config cfg;
	struct shared sh;
	unsigned long x;
	long retries0 = atomic_long_read(&pnm_gup_fast_seq_retries);

	(void)state;
	pnm_test_config(&cfg);
	cfg.zone_frames[ZONE_NORMAL] = 8192;	/* 32 MiB */
	cfg.zone_frames[ZONE_MOVABLE] = 8192;	/* 32 MiB */
	pnm_test_init_with(&cfg);

	memset(&sh, 0, sizeof(sh));
	pthread_rwlockattr_init(&attr);
	pthread_rwlockattr_setkind_np(&attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	assert_int_equal(pthread_rwlock_init(&sh.dma_lock, &attr), 0);
	pthread_rwlockattr_destroy(&attr);
	sh.p = test_task_create("pinner");
	assert_non_null(sh.p);
	x = test_mmap(sh.p, (NR_CHUNKS + 1) * PMD_SIZE, RW, PRIV);
	sh.base = ALIGN(x, PMD_SIZE);
	for (int c = 0; c < NR_CHUNKS; c++) {
		if (chunk_thp(c))
			assert_int_equal(pnm_mm_madvise(sh.p->mm, chunk_addr(&sh, c), PMD_SIZE,
						     MADV_HUGEPAGE), 0);
		for (unsigned long i = 0; i < CHUNK_PAGES; i += 3)
			test_write_byte(sh.p, chunk_addr(&sh, c) + i * PG + 3072, 1);
	}
	CHECK_ALL();

	atomic_set(&sh.pinners_left, NR_PINNERS);
	for (int i = 0; i < NR_PINNERS; i++) {
		pn[i].sh = &sh;
		pn[i].id = i;
		pn[i].rng = seed * (2 * i + 3) + 7;
		assert_int_equal(pthread_create(&pn[i].thread, NULL, pinner_main, &pn[i]), 0);
	}
	for (int i = 0; i < 5; i++) {
		wk[i].sh = &sh;
		wk[i].rng = seed * (2 * i + 11) + 13;
		assert_int_equal(pthread_create(&wk[i].thread, NULL, fns[i], &wk[i]), 0);
	}
	for (int i = 0; i < NR_PINNERS; i++)
		pthread_join(pn[i].thread, NULL);
	for (int i = 0; i < 5; i++)
		pthread_join(wk[i].thread, NULL);

	print_message("stress_gup_fast: seed %#llx, %lu pin calls x %d: %ld pages pinned, "
		      "%ld checked, %ld skipped, %ld forks, %ld migrated, %ld seq retries, "
		      "%d failures (first %d)\n",
		      (unsigned long long)seed, nr_pins, NR_PINNERS,
		      atomic_long_read(&sh.pinned_pages), atomic_long_read(&sh.checked),
		      atomic_long_read(&sh.skipped), atomic_long_read(&sh.forks),
		      atomic_long_read(&sh.migrated),
		      atomic_long_read(&pnm_gup_fast_seq_retries) - retries0,
		      atomic_read(&sh.failures), atomic_read(&sh.first_error));
	assert_int_equal(atomic_read(&sh.failures), 0);
	assert_true(atomic_long_read(&sh.checked) > 0);
	assert_int_equal(global_stat(NR_FOLL_PIN_ACQUIRED), global_stat(NR_FOLL_PIN_RELEASED));
	for (int k = 0; k < PNM_NR_MISUSE; k++)
		assert_int_equal(pnm_misuse_count(k), 0);
	/* Table frees deferred while pinners walked: wait, then check. */
	pnm_rcu_barrier();
	CHECK_ALL();
	pnm_task_exit(sh.p);
	CHECK_ALL();
	pthread_rwlock_destroy(&sh.dma_lock);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(stress_gup_fast, pnm_test_teardown),
	};

	if (argc > 1)
		seed = strtoull(argv[1], NULL, 0);
	if (argc > 2)
		nr_pins = strtoul(argv[2], NULL, 0);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
