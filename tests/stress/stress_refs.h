/* SPDX-License-Identifier: MIT */
/*
 * stress_refs.h - the "nothing kept" oracle of the stress tests whose
 * call sites must leave no reference and no pin behind (futex keys,
 * mlock / MAP_POPULATE / MADV_POPULATE_*, the writer under a pin once it
 * ended): in a quiet model, every folio that a process maps or a file
 * caches has exactly the references its mappings and its cache account
 * for -- one per PTE and one per PMD that maps it, plus one per page
 * while a file caches it -- and is not maybe-pinned.  pnm_check_system()
 * only checks "at least" (refcount >= mappings + cache refs): a reference
 * a call site took and forgot passes it, and fails this.
 *
 * Built on the public snapshots of pinmm/inspect.h only: every live
 * task's mappings are walked (pnm_task_vma_next, pnm_task_page_info),
 * each mapping counted on its folio's head frame, and the files the test
 * names add their cached pages (pnm_file_page_info), so that a cached
 * page nobody maps is covered too.  Call it, like pnm_check_system(),
 * with no other thread in the model, from the test's main thread.
 *
 * Header-only (static inline), shared by tests/stress/stress_futex.c,
 * stress_kwrite.c and stress_populate.c.
 */
#ifndef PINMM_STRESS_REFS_H
#define PINMM_STRESS_REFS_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pinmm/pinmm.h>
#include <pinmm/inspect.h>

/* What the walk found for one folio, kept at its head frame. */
struct refs_folio {
	bool seen;
	unsigned int flags;		/* PNM_PAGE_* of the folio */
	unsigned int order;
	int refcount;
	long ptes, pmds;		/* mappings counted */
};

struct refs_census {
	unsigned long nr_pfns;		/* frames 0 .. nr_pfns - 1 */
	struct refs_folio *f;
	unsigned long folios, mappings;	/* totals, for the test's report */
};

static inline void refs_census_init(struct refs_census *c)
{
	enum pnm_zone_type zones[] = { PNM_ZONE_NORMAL, PNM_ZONE_MOVABLE, PNM_ZONE_CMA };

	memset(c, 0, sizeof(*c));
	for (size_t i = 0; i < sizeof(zones) / sizeof(zones[0]); i++) {
		struct pnm_zone_info zi = { .size = sizeof(zi) };

		if (!pnm_get_zone_info(zones[i], &zi) && zi.start_pfn + zi.frames > c->nr_pfns)
			c->nr_pfns = zi.start_pfn + zi.frames;
	}
	c->f = calloc(c->nr_pfns ? c->nr_pfns : 1, sizeof(*c->f));
}

static inline void refs_census_free(struct refs_census *c)
{
	free(c->f);
	c->f = NULL;
}

/* Record @pi's folio (a snapshot of one of its pages); NULL for the zero
 * pages, which nothing counts. */
static inline struct refs_folio *refs_note(struct refs_census *c, const struct pnm_page_info *pi)
{
	struct refs_folio *rf;

	if (pi->flags & (PNM_PAGE_ZERO | PNM_PAGE_HUGE_ZERO) || pi->head_pfn >= c->nr_pfns)
		return NULL;
	rf = &c->f[pi->head_pfn];
	if (!rf->seen) {
		rf->seen = true;
		rf->flags = pi->flags & ~(PNM_PAGE_MAP_WRITE | PNM_PAGE_MAP_DIRTY | PNM_PAGE_MAP_PMD);
		rf->order = pi->order;
		rf->refcount = pi->refcount;
		c->folios++;
	}
	return rf;
}

/* Count every mapping of @task (nothing if it has exited). */
static inline void refs_add_task(struct refs_census *c, struct task_struct *task)
{
	struct pnm_vma_info vi = { .size = sizeof(vi) };
	unsigned long addr = 0;

	while (!pnm_task_vma_next(task, addr, &vi)) {
		for (unsigned long a = vi.start; a < vi.end; a += PNM_PAGE_SIZE) {
			struct pnm_page_info pi = { .size = sizeof(pi) };
			struct refs_folio *rf;

			if (vi.kind == PNM_VMA_DEVICE || pnm_task_page_info(task, a, &pi))
				continue;
			rf = refs_note(c, &pi);
			if (!rf)
				continue;
			if (pi.flags & PNM_PAGE_MAP_PMD) {
				/* One entry maps the whole folio: count it once. */
				if (pi.pfn == pi.head_pfn)
					rf->pmds++;
			} else {
				rf->ptes++;
			}
			c->mappings++;
		}
		addr = vi.end;
	}
}

static inline void refs_add_one_task(struct task_struct *task, void *arg)
{
	refs_add_task(arg, task);
}

/* Every live task's mappings. */
static inline void refs_add_all_tasks(struct refs_census *c)
{
	pnm_for_each_task(refs_add_one_task, c);
}

/* The pages @file caches in [0, @len). */
static inline void refs_add_file(struct refs_census *c, struct file *file, int64_t len)
{
	for (int64_t off = 0; off < len; off += PNM_PAGE_SIZE) {
		struct pnm_page_info pi = { .size = sizeof(pi) };

		if (!pnm_file_page_info(file, off, &pi))
			(void)refs_note(c, &pi);
	}
}

/*
 * Compare: every folio found has refcount == its PTEs + its PMDs + (cached:
 * its pages), and none is maybe-pinned or dirtied behind its filesystem's
 * back.  0, or -1 with the first difference described in @why.
 */
static inline int refs_check(const struct refs_census *c, char *why, size_t size)
{
	if (!c->f) {
		snprintf(why, size, "no memory for the census");
		return -1;
	}
	for (unsigned long pfn = 0; pfn < c->nr_pfns; pfn++) {
		const struct refs_folio *rf = &c->f[pfn];
		long want;

		if (!rf->seen)
			continue;
		want = rf->ptes + rf->pmds + ((rf->flags & PNM_PAGE_CACHED) ? 1L << rf->order : 0);
		if (rf->refcount != want) {
			snprintf(why, size, "folio %#lx (order %u, flags %#x): refcount %d, but %ld PTEs"
				 " + %ld PMDs%s map it", pfn, rf->order, rf->flags, rf->refcount,
				 rf->ptes, rf->pmds, (rf->flags & PNM_PAGE_CACHED) ? " + the cache" : "");
			return -1;
		}
		if (rf->flags & (PNM_PAGE_MAYBE_PINNED | PNM_PAGE_NOFS_DIRTY)) {
			snprintf(why, size, "folio %#lx: flags %#x (pinned or dirtied behind the fs)",
				 pfn, rf->flags);
			return -1;
		}
	}
	return 0;
}

/* The whole oracle: every task, @files' caches (up to @len bytes each,
 * @n of them, NULL entries skipped), compared.  0 or -1 with @why. */
static inline int refs_check_all(struct file *const *files, size_t n, int64_t len,
				 char *why, size_t size)
{
	struct refs_census c;
	int ret;

	refs_census_init(&c);
	refs_add_all_tasks(&c);
	for (size_t i = 0; i < n; i++)
		if (files[i])
			refs_add_file(&c, files[i], len);
	ret = refs_check(&c, why, size);
	refs_census_free(&c);
	return ret;
}

#endif /* PINMM_STRESS_REFS_H */
