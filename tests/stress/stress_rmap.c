// SPDX-License-Identifier: MIT
/*
 * stress_rmap.c - reverse-map walkers racing with fork, munmap, mprotect,
 * madvise and exit of the processes that map the folios they walk.
 *
 * The walkers (migration, THP split, writeback's folio_mkclean, reclaim's
 * try_to_unmap) find a folio's mappings through the anon_vma trees and
 * mapping->i_mmap and take no process's mmap_lock (rmap.h), so they run
 * concurrently with everything that changes those trees and the page
 * tables under them.  One parent process has:
 *
 *   R_ANON    private anonymous pages;
 *   R_THP     a private MADV_HUGEPAGE area (a THP at the start);
 *   R_SHMEM   a MAP_SHARED mapping of a shmem file;
 *   R_DISK    a MAP_SHARED mapping of a disk file;
 *   scratch   a private MADV_HUGEPAGE area only the mutator uses.
 *
 * Each region is cut into NR_OWNERS slices; writer threads and the
 * mutator each own one slice of every region, and only the owner writes
 * there, so every read must return the owner's last write (an exact
 * oracle).  The threads:
 *
 *   writers (3)   random 8-byte writes and read-backs in their slices,
 *                 as the parent;
 *   migrator      moves every region between the zones
 *                 (pnm_migrate_range), splits THPs of R_THP and scratch
 *                 (split_folio under the folio lock, the folio found with
 *                 get_user_pages_remote), compacts a zone now and then;
 *   writeback     fsync / fsync of a range / msync(MS_SYNC) of the disk
 *                 file, a background writeback pass, and reclaim with
 *                 unmapping (pnm_reclaim_pages(.., true));
 *   churn         (only with PINMM_STRESS_RMAP_CHURN=1 in the environment,
 *                 which also makes the MOVABLE zone 64 MiB so THP faults
 *                 find free blocks; it is how split_folio()'s race with a
 *                 zap that cleared a PMD but still counted it was found)
 *                 its own THP area of the parent: fills it (a THP when a
 *                 2 MiB block is free), splits its PMD (mprotect of a
 *                 sub-range and back) or the folio (split_folio),
 *                 migrates it, unmaps and maps it again -- while the mutator's
 *                 forks COW-share it with children and their exits unmap
 *                 it: THP split and migration racing with fork and exit;
 *   mutator       on its own slices and scratch: forks children (up to
 *                 MAX_CHILDREN alive) that check their COW snapshot (the
 *                 mutator's private values at fork time; the shared
 *                 slices follow the parent) and exit at once, or live on
 *                 for a while, or write to their copy (private: the
 *                 parent does not see it; shared: it does), or mprotect and
 *                 munmap parts of their own space and exit; mprotect
 *                 toggles of sub-ranges (PROT_READ, then back: VMA splits
 *                 and merges under the walkers); MADV_DONTNEED of scratch
 *                 ranges (zero afterwards) and re-writes; munmap + mmap
 *                 of scratch ranges; and, with a child alive, another
 *                 thread holding the child's mmap_lock for write while the
 *                 mutator migrates pages the child maps and fsyncs the
 *                 file the child maps (test_mm_holder_*): walkers must not
 *                 need it.
 *
 * Only the errors documented for busy folios are tolerated: -EBUSY,
 * -EAGAIN and -ENOMEM (no target frame) from migration, -EBUSY/-EAGAIN
 * from split_folio.  Seeded and bounded: the mutator does nr_iters
 * operations, the other threads run until it is done (the migrator at
 * least one full round).  Workers record failures in atomics; the main
 * thread asserts after the join, checks every invariant and every value
 * once more, and that the disk file holds the last data after an fsync.
 *
 * Usage: stress_rmap [seed [iterations]], or PINMM_STRESS_SEED /
 * PINMM_STRESS_ITERS (the arguments win).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>

#include "test_util.h"
#include "pinmm_test_internal.h"

#define PG		PAGE_SIZE
#define RW		(PROT_READ | PROT_WRITE)
#define NR_WRITERS	3
#define MUT		NR_WRITERS		/* the mutator's owner id */
#define NR_OWNERS	(NR_WRITERS + 1)
#define MAX_CHILDREN	3
#define SCRATCH_PAGES	HPAGE_PMD_NR

enum { R_ANON, R_THP, R_SHMEM, R_DISK, NR_REGIONS };

static const unsigned long region_pages[NR_REGIONS] = {
	[R_ANON] = 64, [R_THP] = HPAGE_PMD_NR, [R_SHMEM] = 64, [R_DISK] = 64,
};
static const char *const region_name[NR_REGIONS] = {
	[R_ANON] = "anon", [R_THP] = "thp", [R_SHMEM] = "shmem", [R_DISK] = "disk",
};

#ifdef PNM_TSAN
#define DEFAULT_ITERS	150
#else
#define DEFAULT_ITERS	600
#endif

static uint64_t seed = 0x5eed4a9;
static unsigned long nr_iters = DEFAULT_ITERS;

/* A child of the parent, run by the mutator only. */
struct child {
	struct task_struct *task;
	/* the child's private values at the mutator's pages: its anon and
	 * THP slices and scratch (0: zero-filled) */
	unsigned long anon[HPAGE_PMD_NR / NR_OWNERS];
	unsigned long thp[HPAGE_PMD_NR / NR_OWNERS];
	unsigned long scratch[SCRATCH_PAGES];
};

struct shared {
	struct task_struct *parent;
	struct file *shm, *disk;
	unsigned long base[NR_REGIONS];
	unsigned long scratch;			/* PMD-aligned */
	/* last value written to each page, by its owner only; read by the
	 * owner while running, by the main thread after the join */
	unsigned long expect[NR_REGIONS][HPAGE_PMD_NR];
	unsigned long scratch_expect[SCRATCH_PAGES];	/* mutator only */
	unsigned long churn;			/* PMD-aligned; the churn thread's */
	unsigned long churn_expect[HPAGE_PMD_NR];	/* churn thread only */
	bool churn_empty;			/* churn thread only */
	atomic_t done;			/* the mutator has finished */
	atomic_t failures;
	char what[256];			/* first failure (failures == 1 writer) */
	/* statistics */
	atomic_long_t writes, reads, migrated, splits, split_busy, syncs, reclaimed;
	atomic_long_t forks, held, held_migrated, mprotects, dontneeds, remaps;
	atomic_t migrator_rounds;
};

static __printf(2, 3) void record_failure(struct shared *sh, const char *fmt, ...)
{
	va_list ap;

	if (atomic_inc_return(&sh->failures) != 1)
		return;
	va_start(ap, fmt);
	vsnprintf(sh->what, sizeof(sh->what), fmt, ap);
	va_end(ap);
}

static bool running(struct shared *sh)
{
	/* Acquire: pairs with the mutator's release of done. */
	return !atomic_read_acquire(&sh->done);
}

static unsigned long slice_pages(int r)
{
	return region_pages[r] / NR_OWNERS;
}

/* The word of page @page of region @r (spread over the page). */
static unsigned long page_addr(struct shared *sh, int r, unsigned long page)
{
	return sh->base[r] + page * PG + (page % 16) * 8;
}

static unsigned long scratch_addr(struct shared *sh, unsigned long page)
{
	return sh->scratch + page * PG + (page % 16) * 8;
}

static unsigned long churn_addr(struct shared *sh, unsigned long page)
{
	return sh->churn + page * PG + (page % 16) * 8;
}

/* A random page of @owner's slice of region @r. */
static unsigned long pick(uint64_t rnd, int r, int owner)
{
	return (unsigned long)owner * slice_pages(r) + rnd % slice_pages(r);
}

static unsigned long new_value(uint64_t *rng)
{
	return test_rand(rng) | 1;	/* never 0, the zero-fill value */
}

/* Read @addr as @t and compare with @want; @what names it in a failure. */
static void check_word(struct shared *sh, struct task_struct *t, unsigned long addr,
		       unsigned long want, const char *what)
{
	unsigned long v = 0;
	int err = pnm_user_read(t, addr, &v, sizeof(v));

	if (err)
		record_failure(sh, "%s: read at %#lx: %d", what, addr, err);
	else if (v != want)
		record_failure(sh, "%s: read %#lx at %#lx, expected %#lx", what, v, addr, want);
	atomic_long_inc(&sh->reads);
}

static void write_word(struct shared *sh, struct task_struct *t, unsigned long addr,
		       unsigned long v, const char *what)
{
	int err = pnm_user_write(t, addr, &v, sizeof(v));

	if (err)
		record_failure(sh, "%s: write at %#lx: %d", what, addr, err);
	atomic_long_inc(&sh->writes);
}

struct worker {
	struct shared *sh;
	int id;
	uint64_t rng;
	pthread_t thread;
};

/* --- writers ------------------------------------------------------------------- */

static void *writer_main(void *arg)
{
	struct worker *w = arg;
	struct shared *sh = w->sh;

	while (running(sh)) {
		uint64_t rnd = test_rand(&w->rng);
		int r = (int)(rnd % NR_REGIONS);
		unsigned long page = pick(rnd >> 8, r, w->id);
		unsigned long addr = page_addr(sh, r, page);

		if (rnd & (1ULL << 40)) {
			unsigned long v = new_value(&w->rng);

			write_word(sh, sh->parent, addr, v, region_name[r]);
			sh->expect[r][page] = v;
		} else {
			check_word(sh, sh->parent, addr, sh->expect[r][page], region_name[r]);
		}
	}
	return NULL;
}

/* --- migrator ------------------------------------------------------------------ */

static bool migrate_ok(long ret)
{
	return ret >= 0 || ret == -EBUSY || ret == -EAGAIN || ret == -ENOMEM;
}

/*
 * Split the THP (if any) mapped at @addr of the parent.  @may_fault_fail:
 * the address may be unmapped at the moment (scratch).
 */
static void split_at(struct shared *sh, unsigned long addr, bool may_fault_fail)
{
	struct mm_struct *mm = sh->parent->mm;
	struct page *page;
	struct folio *folio;
	long got;
	int ret;

	mmap_read_lock(mm);
	got = get_user_pages_remote(mm, addr, 1, 0, &page, NULL);
	mmap_read_unlock(mm);
	if (got != 1) {
		if (!may_fault_fail && got != -ENOMEM)
			record_failure(sh, "split: gup at %#lx: %ld", addr, got);
		return;
	}
	folio = page_folio(page);
	if (folio_test_large(folio) && folio_test_anon(folio) && !is_huge_zero_folio(folio)) {
		folio_lock(folio);
		/* Still large: nobody split it while we waited for the lock
		 * (the head keeps our reference either way). */
		ret = folio_test_large(folio) ? split_folio(folio) : 0;
		folio_unlock(folio);
		if (!ret)
			atomic_long_inc(&sh->splits);
		else if (ret == -EBUSY || ret == -EAGAIN)
			atomic_long_inc(&sh->split_busy);
		else
			record_failure(sh, "split_folio at %#lx: %d", addr, ret);
	}
	folio_put(folio);
}

static void *migrator_main(void *arg)
{
	static const enum zone_type zones[] = { ZONE_NORMAL, ZONE_CMA, ZONE_MOVABLE };
	struct worker *w = arg;
	struct shared *sh = w->sh;
	struct mm_struct *mm = sh->parent->mm;
	unsigned long round;

	for (round = 0; round < 1 || running(sh); round++) {
		enum zone_type zt = zones[round % ARRAY_SIZE(zones)];
		uint64_t rnd = test_rand(&w->rng);
		long moved;
		int r;

		for (r = 0; r < NR_REGIONS; r++) {
			moved = pnm_mm_migrate_range(mm, sh->base[r], region_pages[r] * PG, zt);
			if (!migrate_ok(moved))
				record_failure(sh, "migrate %s: %ld", region_name[r], moved);
			else if (moved > 0)
				atomic_long_add(moved, &sh->migrated);
		}
		moved = pnm_mm_migrate_range(mm, sh->scratch, SCRATCH_PAGES * PG, zt);
		if (!migrate_ok(moved))
			record_failure(sh, "migrate scratch: %ld", moved);
		else if (moved > 0)
			atomic_long_add(moved, &sh->migrated);
		/* Split whatever THP is there now (the scratch gets new ones
		 * after the mutator's DONTNEEDs and remaps). */
		if (rnd & 1)
			split_at(sh, sh->base[R_THP] + ((rnd >> 8) % HPAGE_PMD_NR) * PG, false);
		if (rnd & 2)
			split_at(sh, sh->scratch + ((rnd >> 20) % SCRATCH_PAGES) * PG, true);
		if ((rnd & 0x1c) == 0) {
			struct pnm_compact_result res;
			int ret = compact_zone(pnm_zone(zones[(rnd >> 32) % ARRAY_SIZE(zones)]),
					       1 + (unsigned int)((rnd >> 40) % HPAGE_PMD_ORDER),
					       &res);

			if (ret && ret != -EAGAIN)
				record_failure(sh, "compact_zone: %d", ret);
		}
		atomic_inc(&sh->migrator_rounds);
	}
	return NULL;
}

/* --- THP churn ------------------------------------------------------------------ */

static void churn_check(struct shared *sh, unsigned long first, unsigned long n)
{
	for (unsigned long i = first; i < first + n; i++)
		check_word(sh, sh->parent, churn_addr(sh, i), sh->churn_expect[i], "churn");
}

/* The churn thread when it is not wanted: the area keeps its fill. */
static void *churn_off(void *arg)
{
	(void)arg;
	return NULL;
}

static void *churn_main(void *arg)
{
	static const enum zone_type zones[] = { ZONE_NORMAL, ZONE_MOVABLE };
	struct worker *w = arg;
	struct shared *sh = w->sh;
	struct task_struct *p = sh->parent;
	unsigned long i, first, n;
	long moved;
	int err;

	while (running(sh)) {
		uint64_t rnd = test_rand(&w->rng);

		first = (rnd >> 8) % HPAGE_PMD_NR;
		n = 1 + (rnd >> 20) % (HPAGE_PMD_NR - first);
		/* An empty area is filled first: writing before any read
		 * faults a THP in (a read would map the huge zero page). */
		switch (sh->churn_empty ? 0 : rnd % 8) {
		case 0:
		case 1:		/* fill */
			for (i = 0; i < HPAGE_PMD_NR; i += 1 + (rnd >> 32) % 4) {
				sh->churn_expect[i] = new_value(&w->rng);
				write_word(sh, p, churn_addr(sh, i), sh->churn_expect[i], "churn");
			}
			sh->churn_empty = false;
			break;
		case 2:		/* split the folio */
			split_at(sh, churn_addr(sh, first), true);
			break;
		case 3:		/* split the PMD, then merge the VMA back */
			err = pnm_mm_mprotect(p->mm, sh->churn + first * PG, n * PG, PROT_READ);
			if (!err)
				churn_check(sh, first, n < 8 ? n : 8);
			if (err || pnm_mm_mprotect(p->mm, sh->churn + first * PG, n * PG, RW))
				record_failure(sh, "churn mprotect: %d", err);
			break;
		case 4:
			moved = pnm_mm_migrate_range(p->mm, sh->churn, PMD_SIZE,
						  zones[(rnd >> 40) & 1]);
			if (!migrate_ok(moved))
				record_failure(sh, "churn migrate: %ld", moved);
			break;
		case 5:		/* a new area, page tables and all: the next fill
				 * faults a new THP (MADV_DONTNEED would leave the
				 * split PTE table behind) */
			if (pnm_mm_munmap(p->mm, sh->churn, PMD_SIZE) ||
			    pnm_mm_mmap(p->mm, sh->churn, PMD_SIZE, RW,
				     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, NULL, 0) !=
				    (long)sh->churn ||
			    pnm_mm_madvise(p->mm, sh->churn, PMD_SIZE, MADV_HUGEPAGE))
				record_failure(sh, "churn remap");
			memset(sh->churn_expect, 0, sizeof(sh->churn_expect));
			sh->churn_empty = true;
			break;
		default:
			churn_check(sh, first, n < 16 ? n : 16);
			break;
		}
	}
	churn_check(sh, 0, HPAGE_PMD_NR);
	return NULL;
}

/* --- writeback ----------------------------------------------------------------- */

static void *writeback_main(void *arg)
{
	struct worker *w = arg;
	struct shared *sh = w->sh;

	while (running(sh)) {
		uint64_t rnd = test_rand(&w->rng);
		loff_t start = (loff_t)((rnd >> 8) % region_pages[R_DISK]) * (loff_t)PG;
		int err = 0;

		switch (rnd % 8) {
		case 0:
		case 1:
			err = vfs_fsync(sh->disk, (rnd >> 40) & 1);
			break;
		case 2:
			err = vfs_fsync_range(sh->disk, start, start + 8 * (loff_t)PG - 1, 1);
			break;
		case 3:
		case 4:
			err = pnm_mm_msync(sh->parent->mm, sh->base[R_DISK],
					region_pages[R_DISK] * PG, MS_SYNC);
			break;
		case 5:
			(void)pnm_writeback_run(false);
			break;
		default:
			atomic_long_add((long)pnm_reclaim_pages(32, true), &sh->reclaimed);
			break;
		}
		if (err)
			record_failure(sh, "writeback op %d: %d", (int)(rnd % 8), err);
		atomic_long_inc(&sh->syncs);
	}
	return NULL;
}

/* --- mutator ------------------------------------------------------------------- */

struct mutator {
	struct shared *sh;
	uint64_t rng;
	struct child *children[MAX_CHILDREN];
	int nr_children;
};

/* Every page the mutator owns, in the parent, against the oracle. */
static void mut_check_parent(struct mutator *m)
{
	struct shared *sh = m->sh;
	unsigned long i;
	int r;

	for (r = 0; r < NR_REGIONS; r++)
		for (i = 0; i < slice_pages(r); i++) {
			unsigned long page = pick(i, r, MUT);

			check_word(sh, sh->parent, page_addr(sh, r, page), sh->expect[r][page],
				   region_name[r]);
		}
	for (i = 0; i < SCRATCH_PAGES; i += 1 + test_rand(&m->rng) % 16)
		check_word(sh, sh->parent, scratch_addr(sh, i), sh->scratch_expect[i], "scratch");
}

/* Write a few of the mutator's pages in the parent. */
static void mut_write_parent(struct mutator *m, int n)
{
	struct shared *sh = m->sh;

	while (n--) {
		uint64_t rnd = test_rand(&m->rng);
		unsigned long v = new_value(&m->rng);
		int r = (int)(rnd % (NR_REGIONS + 1));

		if (r == NR_REGIONS) {
			unsigned long page = (rnd >> 8) % SCRATCH_PAGES;

			write_word(sh, sh->parent, scratch_addr(sh, page), v, "scratch");
			sh->scratch_expect[page] = v;
		} else {
			unsigned long page = pick(rnd >> 8, r, MUT);

			write_word(sh, sh->parent, page_addr(sh, r, page), v, region_name[r]);
			sh->expect[r][page] = v;
		}
	}
}

/* The child's view of the mutator's pages: its private snapshot, and the
 * parent's current shared values. */
static void child_check(struct mutator *m, struct child *c)
{
	struct shared *sh = m->sh;
	unsigned long i, page;

	for (i = 0; i < slice_pages(R_ANON); i++) {
		page = pick(i, R_ANON, MUT);
		check_word(sh, c->task, page_addr(sh, R_ANON, page), c->anon[i], "child anon");
	}
	for (i = 0; i < slice_pages(R_THP); i += 1 + test_rand(&m->rng) % 8) {
		page = pick(i, R_THP, MUT);
		check_word(sh, c->task, page_addr(sh, R_THP, page), c->thp[i], "child thp");
	}
	for (i = 0; i < SCRATCH_PAGES; i += 1 + test_rand(&m->rng) % 16)
		check_word(sh, c->task, scratch_addr(sh, i), c->scratch[i], "child scratch");
	for (i = 0; i < slice_pages(R_SHMEM); i++) {
		page = pick(i, R_SHMEM, MUT);
		check_word(sh, c->task, page_addr(sh, R_SHMEM, page), sh->expect[R_SHMEM][page],
			   "child shmem");
	}
	for (i = 0; i < slice_pages(R_DISK); i++) {
		page = pick(i, R_DISK, MUT);
		check_word(sh, c->task, page_addr(sh, R_DISK, page), sh->expect[R_DISK][page],
			   "child disk");
	}
}

/*
 * The child writes: its private copy (the parent must not see it) and the
 * shared slices (the parent must).
 */
static void child_write(struct mutator *m, struct child *c)
{
	struct shared *sh = m->sh;
	uint64_t rnd = test_rand(&m->rng);
	unsigned long v = new_value(&m->rng), i, page;

	i = rnd % slice_pages(R_ANON);
	page = pick(i, R_ANON, MUT);
	write_word(sh, c->task, page_addr(sh, R_ANON, page), v, "child anon");
	c->anon[i] = v;
	check_word(sh, sh->parent, page_addr(sh, R_ANON, page), sh->expect[R_ANON][page],
		   "parent anon after child write");

	i = (rnd >> 8) % slice_pages(R_THP);
	page = pick(i, R_THP, MUT);
	v = new_value(&m->rng);
	write_word(sh, c->task, page_addr(sh, R_THP, page), v, "child thp");
	c->thp[i] = v;
	check_word(sh, sh->parent, page_addr(sh, R_THP, page), sh->expect[R_THP][page],
		   "parent thp after child write");

	i = (rnd >> 16) % SCRATCH_PAGES;
	v = new_value(&m->rng);
	write_word(sh, c->task, scratch_addr(sh, i), v, "child scratch");
	c->scratch[i] = v;
	check_word(sh, sh->parent, scratch_addr(sh, i), sh->scratch_expect[i],
		   "parent scratch after child write");

	for (int r = R_SHMEM; r <= R_DISK; r++) {
		page = pick(rnd >> (24 + 8 * (r - R_SHMEM)), r, MUT);
		v = new_value(&m->rng);
		write_word(sh, c->task, page_addr(sh, r, page), v, "child shared");
		sh->expect[r][page] = v;
		check_word(sh, sh->parent, page_addr(sh, r, page), v, "parent sees child's shared write");
	}
}

static void child_exit(struct mutator *m, int idx)
{
	struct child *c = m->children[idx];

	child_check(m, c);
	pnm_task_exit(c->task);
	put_task_struct(c->task);
	free(c);
	m->children[idx] = m->children[--m->nr_children];
}

/*
 * A child that changes its own address space: mprotect of part of its
 * anon and disk regions (VMA splits, i_mmap insertions), munmap of part
 * of its THP region and scratch (a PMD split, unlinking from the anon_vma
 * tree), then it exits.
 */
static void child_reshape_and_exit(struct mutator *m, struct child *c)
{
	struct shared *sh = m->sh;
	struct mm_struct *mm = c->task->mm;
	uint64_t rnd = test_rand(&m->rng);
	unsigned long off = ((rnd >> 8) % 32) * PG, len = (1 + (rnd >> 16) % 32) * PG;
	int err;

	err = pnm_mm_mprotect(mm, sh->base[R_ANON] + off % (region_pages[R_ANON] * PG / 2),
			   len % (region_pages[R_ANON] * PG / 2) + PG, PROT_READ);
	if (err)
		record_failure(sh, "child mprotect anon: %d", err);
	err = pnm_mm_mprotect(mm, sh->base[R_DISK] + off % (region_pages[R_DISK] * PG / 2),
			   len % (region_pages[R_DISK] * PG / 2) + PG, PROT_READ);
	if (err)
		record_failure(sh, "child mprotect disk: %d", err);
	err = pnm_mm_munmap(mm, sh->base[R_THP] + off * 4, len * 3);
	if (err)
		record_failure(sh, "child munmap thp: %d", err);
	err = pnm_mm_munmap(mm, sh->scratch + off * 8, len * 4);
	if (err)
		record_failure(sh, "child munmap scratch: %d", err);
	/* Its anon pages are still there, read-only or not. */
	for (unsigned long i = 0; i < slice_pages(R_ANON); i++)
		check_word(sh, c->task, page_addr(sh, R_ANON, pick(i, R_ANON, MUT)), c->anon[i],
			   "reshaped child anon");
	pnm_task_exit(c->task);
	put_task_struct(c->task);
	free(c);
}

static void mut_fork(struct mutator *m)
{
	struct shared *sh = m->sh;
	uint64_t rnd = test_rand(&m->rng);
	struct child *c;
	unsigned long i;
	int err;

	c = calloc(1, sizeof(*c));
	if (!c) {
		record_failure(sh, "calloc child");
		return;
	}
	for (i = 0; i < slice_pages(R_ANON); i++)
		c->anon[i] = sh->expect[R_ANON][pick(i, R_ANON, MUT)];
	for (i = 0; i < slice_pages(R_THP); i++)
		c->thp[i] = sh->expect[R_THP][pick(i, R_THP, MUT)];
	memcpy(c->scratch, sh->scratch_expect, sizeof(c->scratch));
	err = pnm_task_fork(sh->parent, "child", &c->task);
	if (err) {
		record_failure(sh, "fork: %d", err);
		free(c);
		return;
	}
	atomic_long_inc(&sh->forks);
	child_check(m, c);
	switch (rnd % 4) {
	case 0:		/* exits at once */
		pnm_task_exit(c->task);
		put_task_struct(c->task);
		free(c);
		return;
	case 1:		/* writes its copy, then lives on */
		child_write(m, c);
		break;
	case 2:
		child_reshape_and_exit(m, c);
		return;
	default:	/* lives on untouched */
		break;
	}
	if (m->nr_children == MAX_CHILDREN)
		child_exit(m, (int)((rnd >> 8) % MAX_CHILDREN));
	m->children[m->nr_children++] = c;
}

/* mprotect PROT_READ over a sub-range of the mutator's slice of a region
 * (or of scratch), check, then back to read-write. */
static void mut_mprotect(struct mutator *m)
{
	struct shared *sh = m->sh;
	struct mm_struct *mm = sh->parent->mm;
	uint64_t rnd = test_rand(&m->rng);
	int r = (int)(rnd % (NR_REGIONS + 1));
	unsigned long first, n, start, i;
	int err;

	if (r == NR_REGIONS) {
		first = (rnd >> 8) % SCRATCH_PAGES;
		n = 1 + (rnd >> 20) % (SCRATCH_PAGES - first);
		start = sh->scratch;
	} else {
		first = pick(rnd >> 8, r, MUT);
		n = 1 + (rnd >> 20) % ((unsigned long)(MUT + 1) * slice_pages(r) - first);
		start = sh->base[r];
	}
	err = pnm_mm_mprotect(mm, start + first * PG, n * PG, PROT_READ);
	if (err) {
		record_failure(sh, "mprotect read-only: %d", err);
		return;
	}
	for (i = first; i < first + n; i += 1 + (rnd >> 32) % 8) {
		if (r == NR_REGIONS)
			check_word(sh, sh->parent, scratch_addr(sh, i), sh->scratch_expect[i],
				   "read-only scratch");
		else
			check_word(sh, sh->parent, page_addr(sh, r, i), sh->expect[r][i],
				   "read-only region");
	}
	err = pnm_mm_mprotect(mm, start + first * PG, n * PG, RW);
	if (err)
		record_failure(sh, "mprotect read-write: %d", err);
	atomic_long_inc(&sh->mprotects);
}

/* MADV_DONTNEED (all of it, or a sub-range) of scratch, then re-write. */
static void mut_dontneed(struct mutator *m)
{
	struct shared *sh = m->sh;
	uint64_t rnd = test_rand(&m->rng);
	unsigned long first = rnd & 1 ? 0 : (rnd >> 8) % SCRATCH_PAGES;
	unsigned long n = rnd & 1 ? SCRATCH_PAGES : 1 + (rnd >> 20) % (SCRATCH_PAGES - first);
	int err = pnm_mm_madvise(sh->parent->mm, sh->scratch + first * PG, n * PG, MADV_DONTNEED);

	if (err) {
		record_failure(sh, "MADV_DONTNEED: %d", err);
		return;
	}
	memset(&sh->scratch_expect[first], 0, n * sizeof(sh->scratch_expect[0]));
	check_word(sh, sh->parent, scratch_addr(sh, first), 0, "scratch after DONTNEED");
	mut_write_parent(m, 4);
	atomic_long_inc(&sh->dontneeds);
}

/* munmap + mmap (MAP_FIXED) of all of scratch or a sub-range; all of it
 * is MADV_HUGEPAGE'd again (new THPs). */
static void mut_remap(struct mutator *m)
{
	struct shared *sh = m->sh;
	struct mm_struct *mm = sh->parent->mm;
	uint64_t rnd = test_rand(&m->rng);
	unsigned long first = rnd & 1 ? 0 : (rnd >> 8) % SCRATCH_PAGES;
	unsigned long n = rnd & 1 ? SCRATCH_PAGES : 1 + (rnd >> 20) % (SCRATCH_PAGES - first);
	unsigned long addr = sh->scratch + first * PG;
	long ret;
	int err;

	err = pnm_mm_munmap(mm, addr, n * PG);
	if (err) {
		record_failure(sh, "munmap scratch: %d", err);
		return;
	}
	ret = pnm_mm_mmap(mm, addr, n * PG, RW, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, NULL, 0);
	if (ret != (long)addr) {
		record_failure(sh, "mmap scratch: %ld", ret);
		return;
	}
	if (n == SCRATCH_PAGES) {
		err = pnm_mm_madvise(mm, sh->scratch, SCRATCH_PAGES * PG, MADV_HUGEPAGE);
		if (err)
			record_failure(sh, "MADV_HUGEPAGE scratch: %d", err);
	}
	memset(&sh->scratch_expect[first], 0, n * sizeof(sh->scratch_expect[0]));
	check_word(sh, sh->parent, scratch_addr(sh, first + n - 1), 0, "scratch after remap");
	mut_write_parent(m, 4);
	atomic_long_inc(&sh->remaps);
}

/*
 * Another thread holds a live child's mmap_lock for write; the mutator
 * migrates its anon and THP slices (pages the child may still share),
 * fsyncs the disk file (the child maps it) and reclaims.  None of it may
 * wait for, or fail on, the child's lock.
 */
static void mut_hold_child(struct mutator *m)
{
	static const enum zone_type zones[] = { ZONE_NORMAL, ZONE_MOVABLE };
	struct shared *sh = m->sh;
	uint64_t rnd = test_rand(&m->rng);
	struct child *c;
	struct test_mm_holder h;
	long moved;
	int r, z, err;

	if (!m->nr_children)
		return;
	c = m->children[(rnd >> 8) % (unsigned long)m->nr_children];
	test_mm_holder_start(&h, c->task->mm);
	/* To both zones: the second moves what the first found in place. */
	for (z = 0; z < 2; z++)
		for (r = R_ANON; r <= R_THP; r++) {
			moved = pnm_mm_migrate_range(sh->parent->mm,
						  sh->base[r] + pick(0, r, MUT) * PG,
						  slice_pages(r) * PG, zones[z ^ (int)(rnd & 1)]);
			if (!migrate_ok(moved))
				record_failure(sh, "migrate while child held: %ld", moved);
			else if (moved > 0)
				atomic_long_add(moved, &sh->held_migrated);
		}
	err = vfs_fsync(sh->disk, 0);
	if (err)
		record_failure(sh, "fsync while child held: %d", err);
	(void)pnm_reclaim_pages(16, true);
	test_mm_holder_stop(&h);
	atomic_long_inc(&sh->held);
}

static void *mutator_main(void *arg)
{
	struct mutator *m = arg;
	struct shared *sh = m->sh;

	for (unsigned long n = 0; n < nr_iters; n++) {
		switch (test_rand(&m->rng) % 8) {
		case 0:
		case 1:
			mut_fork(m);
			break;
		case 2:
			mut_mprotect(m);
			break;
		case 3:
			mut_dontneed(m);
			break;
		case 4:
			mut_remap(m);
			break;
		case 5:
			mut_hold_child(m);
			break;
		case 6:
			if (m->nr_children)
				child_exit(m, (int)(test_rand(&m->rng) % (unsigned long)m->nr_children));
			break;
		default:
			mut_write_parent(m, 8);
			break;
		}
		if (n % 16 == 0)
			mut_check_parent(m);
	}
	while (m->nr_children)
		child_exit(m, m->nr_children - 1);
	/* Release: pairs with running()'s acquire. */
	atomic_set_release(&sh->done, 1);
	return NULL;
}

/* --- the test ------------------------------------------------------------------ */
static void check_all_values(struct shared *sh)
{
	unsigned long i, v;
	int r;

	for (r = 0; r < NR_REGIONS; r++)
		for (i = 0; i < region_pages[r]; i++) {
			v = 0;
			assert_int_equal(pnm_user_read(sh->parent, page_addr(sh, r, i), &v,
						       sizeof(v)), 0);
			if (v != sh->expect[r][i])
				fail_msg("%s page %lu: %#lx, expected %#lx", region_name[r], i, v,
					 sh->expect[r][i]);
		}
	for (i = 0; i < SCRATCH_PAGES; i++) {
		v = 0;
		assert_int_equal(pnm_user_read(sh->parent, scratch_addr(sh, i), &v, sizeof(v)), 0);
		if (v != sh->scratch_expect[i])
			fail_msg("scratch page %lu: %#lx, expected %#lx", i, v,
				 sh->scratch_expect[i]);
	}
}

static unsigned long map_region(struct shared *sh, struct file *f, unsigned long pages)
{
	long addr;

	assert_int_equal(do_ftruncate(f, (loff_t)(pages * PG)), 0);
	addr = pnm_mm_mmap(sh->parent->mm, 0, pages * PG, RW, MAP_SHARED, f, 0);
	assert_true(addr > 0);
	return (unsigned long)addr;
}

static unsigned long map_thp_area(struct shared *sh)
{
	unsigned long base = test_mmap(sh->parent, 2 * PMD_SIZE, RW, MAP_PRIVATE | MAP_ANONYMOUS);
	unsigned long start = ALIGN(base, PMD_SIZE);

	assert_int_equal(pnm_mm_madvise(sh->parent->mm, start, PMD_SIZE, MADV_HUGEPAGE), 0);
	return start;
}

static void stress_rmap(void **state)
{
	struct shared *sh = calloc(1, sizeof(*sh));
	struct worker wk[NR_WRITERS + 3];
	struct mutator mut;
	pthread_t mut_thread;
	long succ = global_stat(PGMIGRATE_SUCCESS);
	unsigned long i;
	uint64_t rng = seed;
	bool churn = getenv("PINMM_STRESS_RMAP_CHURN") != NULL;
	int r, n;

	(void)state;
	assert_non_null(sh);
	sh->parent = test_task_create("parent");
	assert_non_null(sh->parent);
	sh->base[R_ANON] = test_mmap(sh->parent, region_pages[R_ANON] * PG, RW,
				     MAP_PRIVATE | MAP_ANONYMOUS);
	sh->base[R_THP] = map_thp_area(sh);
	sh->shm = test_open(PNM_FS_SHMEM, "rmap-shm");
	sh->disk = test_open(PNM_FS_DISK, "rmap-disk");
	sh->base[R_SHMEM] = map_region(sh, sh->shm, region_pages[R_SHMEM]);
	sh->base[R_DISK] = map_region(sh, sh->disk, region_pages[R_DISK]);
	sh->scratch = map_thp_area(sh);
	sh->churn = map_thp_area(sh);
	for (r = 0; r < NR_REGIONS; r++)
		for (i = 0; i < region_pages[r]; i++) {
			sh->expect[r][i] = new_value(&rng);
			assert_int_equal(pnm_user_write(sh->parent, page_addr(sh, r, i),
							&sh->expect[r][i], sizeof(long)), 0);
		}
	for (i = 0; i < SCRATCH_PAGES; i += 2) {
		sh->scratch_expect[i] = new_value(&rng);
		assert_int_equal(pnm_user_write(sh->parent, scratch_addr(sh, i),
						&sh->scratch_expect[i], sizeof(long)), 0);
	}
	assert_true(folio_test_large(test_folio(sh->parent, sh->base[R_THP])));
	assert_true(folio_test_large(test_folio(sh->parent, sh->scratch)));
	CHECK_ALL();

	memset(&mut, 0, sizeof(mut));
	mut.sh = sh;
	mut.rng = seed * 0x100000001b3ULL + 101;
	for (n = 0; n < NR_WRITERS + 3; n++) {
		void *(*fn)(void *) = n < NR_WRITERS ? writer_main :
				      n == NR_WRITERS ? migrator_main :
				      n == NR_WRITERS + 1 ? writeback_main :
				      churn ? churn_main : churn_off;

		wk[n].sh = sh;
		wk[n].id = n;
		wk[n].rng = seed * 0x100000001b3ULL + (uint64_t)n + 1;
		assert_int_equal(pthread_create(&wk[n].thread, NULL, fn, &wk[n]), 0);
	}
	assert_int_equal(pthread_create(&mut_thread, NULL, mutator_main, &mut), 0);
	assert_int_equal(pthread_join(mut_thread, NULL), 0);
	for (n = 0; n < NR_WRITERS + 3; n++)
		assert_int_equal(pthread_join(wk[n].thread, NULL), 0);

	print_message("stress_rmap: seed %#llx, %lu iterations: %ld writes, %ld reads, "
		      "%d migrator rounds, %ld pages migrated (%ld while a child's mmap_lock "
		      "was held, %ld holds), %ld splits (%ld busy), %ld writeback ops, "
		      "%ld reclaimed, %ld forks, %ld mprotects, %ld dontneeds, %ld remaps; "
		      "thp_fault_alloc %ld, thp_split_pmd %ld, thp_split_page %ld, "
		      "thp_migration_split %ld; %d failures\n",
		      (unsigned long long)seed, nr_iters, atomic_long_read(&sh->writes),
		      atomic_long_read(&sh->reads), atomic_read(&sh->migrator_rounds),
		      atomic_long_read(&sh->migrated), atomic_long_read(&sh->held_migrated),
		      atomic_long_read(&sh->held), atomic_long_read(&sh->splits),
		      atomic_long_read(&sh->split_busy), atomic_long_read(&sh->syncs),
		      atomic_long_read(&sh->reclaimed), atomic_long_read(&sh->forks),
		      atomic_long_read(&sh->mprotects), atomic_long_read(&sh->dontneeds),
		      atomic_long_read(&sh->remaps), global_stat(THP_FAULT_ALLOC),
		      global_stat(THP_SPLIT_PMD), global_stat(THP_SPLIT_PAGE),
		      global_stat(THP_MIGRATION_SPLIT), atomic_read(&sh->failures));
	if (atomic_read(&sh->failures))
		fail_msg("%d failures, first: %s", atomic_read(&sh->failures), sh->what);
	assert_true(global_stat(PGMIGRATE_SUCCESS) > succ);
	if (atomic_long_read(&sh->held) >= 8)
		assert_true(atomic_long_read(&sh->held_migrated) > 0);
	for (int k = 0; k < PNM_NR_MISUSE; k++)
		assert_int_equal(pnm_misuse_count(k), 0);
	assert_int_equal(global_stat(PNM_FS_DIRTY_NO_BLOCKS), 0);
	assert_int_equal(global_stat(PNM_WB_LOST), 0);
	CHECK_ALL();

	/* Every value once more, from the quiet model; the disk file's last
	 * data reaches the host. */
	check_all_values(sh);
	assert_int_equal(vfs_fsync(sh->disk, 0), 0);
	for (i = 0; i < region_pages[R_DISK]; i++) {
		unsigned long v = 0;
		off_t off = (off_t)(page_addr(sh, R_DISK, i) - sh->base[R_DISK]);

		assert_int_equal(test_host_pread(sh->disk, &v, sizeof(v), off), (ssize_t)sizeof(v));
		assert_int_equal(v, sh->expect[R_DISK][i]);
	}
	CHECK_ALL();
	pnm_task_exit(sh->parent);
	put_task_struct(sh->parent);
	fput(sh->shm);
	fput(sh->disk);
	CHECK_ALL();
	free(sh);
}

/* The test configuration; with the churn thread a MOVABLE zone large
 * enough that its THP faults keep finding free 2 MiB blocks. */
static int setup_rmap(void **state)
{
	struct pnm_config cfg;

	(void)state;
	pnm_test_config(&cfg);
	if (getenv("PINMM_STRESS_RMAP_CHURN"))
		cfg.zone_frames[ZONE_MOVABLE] = 16384;	/* 64 MiB */
	pnm_test_init_with(&cfg);
	return 0;
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(stress_rmap, setup_rmap, pnm_test_teardown),
	};

	test_stress_params("stress_rmap", argc, argv, &seed, &nr_iters);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
