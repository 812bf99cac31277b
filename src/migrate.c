/* SPDX-License-Identifier: MIT */
/*
 * migrate.c - moving a folio's contents to other frames while it stays
 * mapped (Linux's mm/migrate.c, reduced to what the model needs).
 *
 * One migration, in order (every step undone on failure):
 *
 *   1. the caller holds a reference on the source folio;
 *   2. lock the source folio (folio_lock, or folio_trylock in async mode)
 *      and mark it PG_isolated so compaction scanners leave it alone;
 *   3. allocate the destination through the caller's new_folio_t;
 *   4. for an anon folio, take a reference on its anon_vma
 *      (folio_get_anon_vma), so the reverse map stays walkable while the
 *      folio is unmapped;
 *   5. try_to_migrate(): every present mapping becomes a migration entry
 *      (a pinned anon page stops this: restore and refuse).  It reaches
 *      other processes' page tables through the reverse map only, never
 *      through their mmap_lock (rmap.h), so a process sitting on its own
 *      mmap_lock cannot make a migration fail;
 *   6. freeze: swap the refcount from the expected value to 0 with one
 *      atomic_cmpxchg.  Any other value means someone else holds a
 *      reference (a pin, a get_user_pages reference, a fault waiting on
 *      the migration entry) and the migration is refused with -EBUSY;
 *   7. copy the data and the folio state, point the page cache at the
 *      destination, give the destination the frozen references and turn
 *      the migration entries into mappings of the destination;
 *   8. free the source frames: its count is frozen at zero, so nobody can
 *      have, or take, a reference to it.
 *
 * A large folio for which no destination of its order exists is split
 * (split_folio) and its pages are migrated one by one, as Linux does for
 * THPs (thp_migration_split).
 *
 * Locking: the folio lock is taken with no mmap_lock held, which is what
 * makes the blocking folio_lock() safe (the lock order puts mmap_lock
 * outside the folio lock); inside it, the walks take i_mmap_rwsem or the
 * anon_vma root rwsem for read and the ptls.  Async mode (compaction) only
 * trylocks the folio.
 *
 * remove_migration_ptes(), the other half of try_to_migrate(), lives here
 * as in Linux.
 */
#include <sched.h>
#include <stdlib.h>

#include "internal.h"

/* Linux's NR_MAX_MIGRATE_PAGES_RETRY: passes over a folio that was busy. */
#define NR_MAX_MIGRATE_PASSES	10

/*
 * State of one migration request: its mode and the events it produced, so
 * that a caller retrying a busy folio counts the outcome once.  Owned by
 * the calling thread.
 */
struct migrate_ctx {
	unsigned int mode;		/* PNM_MIGRATE_* */
	enum migrate_reason reason;	/* for trace events */
	int pid;			/* for trace events, or 0 */
	unsigned long succeeded;	/* base pages moved */
	unsigned long failed;		/* base pages that stayed */
	unsigned long thp_succeeded;	/* large folios moved whole */
	unsigned long thp_failed;	/* large folios that neither moved nor split */
	unsigned long thp_split;	/* large folios split to be moved */
	unsigned long refused_refs;	/* folios refused: pinned or referenced */
};

static int migrate_one_retry(struct folio *src, new_folio_t *get_new,
			     unsigned long private, struct migrate_ctx *mc,
			     struct folio **dstp);

/*
 * May this folio be migrated at all?  Reads flags that are stable while
 * the caller holds a reference; rechecked under the folio lock for the
 * parts (mapping) that change under it.
 */
static bool folio_migratable(struct folio *folio)
{
	struct page *head = &folio->page;

	if (is_zero_folio(folio) || PageReserved(head) || PageTable(head) ||
	    PageBuddy(head) || PageTail(head))
		return false;
	if (folio_ref_count(folio) <= 0)
		return false;
	/* Only anon and page-cache folios have mappings we can move. */
	return folio_test_anon(folio) || folio_mapping(folio) != NULL;
}

/*
 * The references a folio has when nothing but the migrator and its owners
 * hold it, once every mapping has become a migration entry: the
 * migrator's caller's reference, plus folio_nr_pages() for the page cache.
 * Migration entries hold no reference (try_to_migrate drops the mapping's
 * reference; remove_migration_ptes takes one for each mapping it
 * restores), see rmap.h.
 */
static int folio_expected_refs(struct folio *folio)
{
	int refs = 1;

	/* The page cache's, or the swap cache's (swap_state.c). */
	if (folio_mapping(folio) || folio_test_swapcache(folio))
		refs += (int)folio_nr_pages(folio);
	return refs;
}

/*
 * Point every page-cache slot of @src at @dst.  Caller holds both folios
 * locked and @src frozen, so no lookup can take a reference on @src
 * (lookups use folio_try_get and retry).  Replacing an existing entry
 * allocates nothing, so it cannot fail.
 */
static void replace_page_cache_folio(struct address_space *mapping,
				     struct folio *src, struct folio *dst)
{
	unsigned long i, nr = folio_nr_pages(src);
	int err;

	spin_lock(&mapping->i_pages.xa_lock);
	for (i = 0; i < nr; i++) {
		if (xa_load_locked(&mapping->i_pages, src->index + i) != src)
			continue;
		err = xa_store_locked(&mapping->i_pages, src->index + i, dst);
		VM_BUG_ON(err);
	}
	spin_unlock(&mapping->i_pages.xa_lock);
}

/*
 * Give @dst the state of @src (Linux's folio_migrate_flags plus the
 * mapping/index part of folio_migrate_mapping).  Anon-exclusivity is not
 * copied here: try_to_migrate() recorded it per page in the migration
 * entries and remove_migration_ptes() sets it on @dst's pages.  Both
 * folios locked; @src frozen.
 */
static void migrate_folio_state(struct folio *dst, struct folio *src)
{
	struct page *d = &dst->page, *s = &src->page;

	dst->index = src->index;
	if (PageDirty(s))
		SetPageDirty(d);
	if (PageUptodate(s))
		SetPageUptodate(d);
	if (PageSwapBacked(s))
		SetPageSwapBacked(d);
	if (PageReferenced(s))
		SetPageReferenced(d);
	if (PagePrivate(s)) {
		d->private = s->private;
		SetPagePrivate(d);
	}
	WRITE_ONCE(dst->mapping, src->mapping);
	if (folio_test_hugetlb(src))
		move_hugetlb_state(src, dst);	/* hugetlb.c */
}

/*
 * Free a migrated source: frozen at refcount 0, unmapped (its rmap items
 * moved to the destination) and out of the page cache.  Its count stays
 * zero, so folio_try_get() fails on it and nobody can race with the free;
 * free_folio_frames() resets every descriptor field.  The identity is
 * dropped first so that a lockless scanner peeking at the frame before
 * the reset does not take it for an anon or cache folio.  Called with the
 * folio locked (free_folio_frames() refuses locked folios); unlocks it.
 */
static void free_migrated_source(struct folio *src)
{
	WRITE_ONCE(src->mapping, NULL);
	ClearPageIsolated(&src->page);
	folio_unlock(src);
	if (folio_test_hugetlb(src))
		free_huge_folio(src);	/* back to its pool (hugetlb.c) */
	else
		free_folio_frames(src);
}

/* --- restoring migration entries ------------------------------------------- */

struct restore_arg {
	struct folio *src;	/* the pages the entries name */
};

/* The PTE that replaces migration entry @e for @page in @vma. */
static pteval_t restored_entry(struct vm_area_struct *vma, struct page *page,
			       swp_entry_t e, bool pmd)
{
	/* The VMA's protection now (mprotect may have run), but never more
	 * than the entry allows: a readable entry gives a read-only mapping
	 * even in a writable VMA (COW, dirty tracking). */
	pteval_t v = (page_to_pfn(page) << PAGE_SHIFT) |
		     (vm_get_page_prot(READ_ONCE(vma->vm_flags)) & ~_PAGE_RW);

	if (is_writable_migration_entry(e))
		v |= _PAGE_RW;
	if (!is_migration_entry_young(e))
		v &= ~_PAGE_ACCESSED;
	if (is_migration_entry_dirty(e))
		v |= _PAGE_DIRTY;
	if (is_migration_entry_soft_dirty(e))
		v |= _PAGE_SOFT_DIRTY;
	if (pmd)
		v |= _PAGE_PSE;
	return v;
}

/* rmap_walk() callback: restore @arg->src's migration entries in @vma as
 * mappings of the same-index pages of @dst. */
static bool remove_migration_pte(struct folio *dst, struct vm_area_struct *vma,
				 unsigned long address, void *arg)
{
	struct restore_arg *ra = arg;
	DEFINE_FOLIO_VMA_WALK(pvmw, ra->src, vma, address, PVMW_MIGRATION);
	struct mm_struct *mm = vma->vm_mm;

	if (folio_test_hugetlb(dst))		/* hugetlb_fault.c */
		return hugetlb_remove_migration_pte(ra->src, dst, vma, address);
	while (page_vma_mapped_walk(&pvmw)) {
		swp_entry_t e;
		struct page *page;
		bool excl;

		e.val = pvmw.pte ? pte_val(ptep_get(pvmw.pte)) : pmd_val(pmdp_get(pvmw.pmd));
		page = folio_page(dst, swp_offset_pfn(e) - folio_pfn(ra->src));
		excl = folio_test_anon(dst) &&
		       (is_writable_migration_entry(e) || is_readable_exclusive_migration_entry(e));
		/* The restored mapping's reference (rmap.h). */
		folio_get(dst);
		if (pvmw.pte) {
			if (folio_test_anon(dst))
				folio_add_anon_rmap_pte(dst, page, vma, pvmw.address,
							excl ? RMAP_EXCLUSIVE : RMAP_NONE);
			else
				folio_add_file_rmap_pte(dst, page, vma);
			/* Release store: a lockless walker that sees the PTE
			 * sees the folio's reference, mapcount and data (pairs
			 * with ptep_get_lockless). */
			set_pte_at(mm, pvmw.address, pvmw.pte,
				   __pte(restored_entry(vma, page, e, false)));
		} else {
			VM_BUG_ON_PAGE(folio_order(dst) != HPAGE_PMD_ORDER, &dst->page);
			if (folio_test_anon(dst))
				folio_add_anon_rmap_pmd(dst, vma, pvmw.address,
							excl ? RMAP_EXCLUSIVE : RMAP_NONE);
			else
				folio_add_file_rmap_pmd(dst, vma);
			set_pmd_at(mm, pvmw.address, pvmw.pmd,
				   __pmd(restored_entry(vma, &dst->page, e, true)));
		}
	}
	return true;
}

/*
 * remove_migration_ptes - see rmap.h.  Walks @dst's reverse map (the
 * mapping and index are @src's), looking for entries that name @src's
 * pages.  A large anon @dst left partly mapped is queued for a deferred
 * split, as the unmap would have queued it.
 */
void remove_migration_ptes(struct folio *src, struct folio *dst)
{
	struct restore_arg ra = { .src = src };
	struct rmap_walk_control rwc = { .arg = &ra, .rmap_one = remove_migration_pte };

	VM_BUG_ON_PAGE(folio_nr_pages(src) != folio_nr_pages(dst), &dst->page);
	rmap_walk(dst, &rwc);
	/* Entries zapped meanwhile came back as nothing: a large anon
	 * folio may be left partly mapped (mthp.c's deferred split). */
	folio_queue_if_partially_mapped(dst);
}

/*
 * Steps 4-7 for a locked, isolated @src and a fresh @dst of the same
 * order (refcount 1, unmapped).  On success @dst holds @src's references
 * and mappings, @src is frozen at refcount 0 and fully unmapped, and 0 is
 * returned; the caller frees @src.  On failure every mapping of @src is
 * restored, @dst is untouched and -EBUSY (pinned or otherwise referenced)
 * or the mapping's refusal is returned.
 */
static int move_to_new_folio(struct folio *src, struct folio *dst,
			     struct migrate_ctx *mc)
{
	struct address_space *mapping = folio_mapping(src);
	struct anon_vma *anon_vma = NULL;
	bool was_mapped;
	int expected, ret;

	(void)mc;
	/* A new folio nobody else can see yet: the trylock cannot fail. */
	if (!folio_trylock(dst))
		VM_BUG_ON_PAGE(1, &dst->page);

	/*
	 * An unmapped anon folio cannot become mapped while we hold its lock
	 * (fork only copies existing mappings), so when it is not mapped now
	 * there is no mapping to move and no anon_vma is needed.
	 */
	if (folio_test_anon(src))
		anon_vma = folio_get_anon_vma(src);
	was_mapped = folio_mapped(src);
	VM_BUG_ON_PAGE(folio_test_anon(src) && was_mapped && !anon_vma, &src->page);

	if (mapping && mapping->a_ops && mapping->a_ops->migrate_folio) {
		ret = mapping->a_ops->migrate_folio(mapping, dst, src);
		if (ret)
			goto out;
	}

	if (was_mapped && !try_to_migrate(src)) {
		/* A maybe-pinned anon page refused to be unmapped. */
		ret = -EBUSY;
		goto out_restore;
	}

	/*
	 * Freeze.  Fully ordered cmpxchg: pairs with the fully ordered
	 * folio_try_get() of faults on our migration entries, page-cache
	 * lookups and gup-fast.  Either they incremented first and the
	 * cmpxchg fails, or the count is 0 and their try_get fails.
	 */
	expected = folio_expected_refs(src);
	if (atomic_cmpxchg(&src->_refcount, expected, 0) != expected) {
		ret = -EBUSY;
		goto out_restore;
	}

	folio_copy(dst, src);
	migrate_folio_state(dst, src);
	/*
	 * Unfreeze into the destination.  Relaxed: @dst becomes visible to
	 * other threads only through the page cache (xa_lock) and the PTEs
	 * (release stores in remove_migration_ptes), both ordered after this.
	 */
	atomic_set(&dst->_refcount, expected);
	if (mapping)
		replace_page_cache_folio(mapping, src, dst);
	/* A swapped-in page still cached: @dst takes its slot. */
	if (folio_test_swapcache(src))
		swap_cache_migrate(src, dst);
	/* The replacement keeps the source's place (age) on its LRU list,
	 * if it had one (swap.c). */
	folio_lru_replace(src, dst);
	if (was_mapped)
		remove_migration_ptes(src, dst);
	ret = 0;
	goto out;

out_restore:
	if (was_mapped)
		remove_migration_ptes(src, src);
out:
	if (anon_vma)
		put_anon_vma(anon_vma);
	folio_unlock(dst);
	return ret;
}

/* The number of base pages, as a counter delta. */
static unsigned long folio_nr(struct folio *folio)
{
	return folio_nr_pages(folio);
}

/*
 * A large folio with no destination of its order has just been split
 * (split_folio) from @old_order; migrate its pages one by one.  @src is
 * the order-0 head, still locked and referenced by the caller: it is
 * migrated first (0 and *dstp, as migrate_one; on failure it is unlocked
 * and the caller keeps its reference and records the failure), then every
 * other former tail page, each under a speculative reference of its own
 * and with the retry policy of migrate_one_retry(), which records tails
 * that stay.  Returns the result for the head.
 */
static int migrate_split_pages(struct folio *src, unsigned int old_order,
			       new_folio_t *get_new, unsigned long private,
			       struct migrate_ctx *mc, struct folio **dstp)
{
	unsigned long i, nr = 1UL << old_order, head_pfn = folio_pfn(src);
	struct folio *dst;
	int ret;

	/* The head: still locked and ours. */
	SetPageIsolated(&src->page);
	dst = get_new(src, private);
	if (!dst) {
		ret = -ENOMEM;
	} else {
		ret = move_to_new_folio(src, dst, mc);
		if (ret)
			folio_put(dst);
	}
	if (ret) {
		ClearPageIsolated(&src->page);
		folio_unlock(src);
		pnm_trace(PNM_TRACE_MIGRATE, mc->pid, mc->reason, head_pfn, 0, ret);
	} else {
		pnm_trace(PNM_TRACE_MIGRATE, mc->pid, mc->reason, head_pfn, folio_pfn(dst), 0);
		mc->succeeded++;
		free_migrated_source(src);
		*dstp = dst;
	}

	/*
	 * The other pages: each is now its own folio, referenced only by its
	 * mappings, so take a speculative reference; one unmapped (and
	 * freed) meanwhile, or reused as part of something else, is skipped.
	 */
	for (i = 1; i < nr; i++) {
		struct page *page = pfn_to_page(head_pfn + i);
		struct folio *folio = page_folio(page);
		struct folio *tdst = NULL;

		if (&folio->page != page || !folio_try_get(folio))
			continue;
		if (page_folio(page) != folio || folio_test_large(folio)) {
			folio_put(folio);
			continue;
		}
		if (migrate_one_retry(folio, get_new, private, mc, &tdst))
			folio_put(folio);
		else
			folio_put(tdst);
	}
	return ret;
}

/*
 * Migrate one folio the caller holds a reference on.  Returns 0 with
 * *dstp set (the caller's reference moved to it) or a negative errno with
 * the folio as it was (see migrate_folio_to; after a split fallback "as it
 * was" means the order-0 head, whose other pages were dealt with).
 * Records successes, splits and refusals in @mc; the caller records the
 * failure once it stops retrying (migrate_note_failure).
 */
static int migrate_one(struct folio *src, new_folio_t *get_new,
		       unsigned long private, struct migrate_ctx *mc,
		       struct folio **dstp)
{
	unsigned long old_pfn = folio_pfn(src);
	unsigned int order;
	struct folio *dst;
	int ret;

	if (!folio_migratable(src))
		return -EINVAL;
	/* Another migrator has it: busy, not unmovable (Linux's failed
	 * isolation), so a retry may succeed. */
	if (PageIsolated(&src->page))
		return -EBUSY;

	if (mc->mode & PNM_MIGRATE_ASYNC) {
		if (!folio_trylock(src))
			return -EAGAIN;
	} else {
		folio_lock(src);
	}
	/* The mapping may have gone (truncation) while we waited, or another
	 * migrator may have taken it first. */
	if (!folio_migratable(src) || PageIsolated(&src->page)) {
		ret = folio_migratable(src) ? -EBUSY : -EINVAL;
		goto out_unlock;
	}
	/* Data in flight to a backing store: not now, try again later. */
	if (folio_test_writeback(src)) {
		ret = -EAGAIN;
		goto out_unlock;
	}
	order = folio_order(src);

	dst = get_new(src, private);
	if (!dst) {
		/* A hugetlb page is never split (Linux's: it just fails). */
		if (!order || folio_test_hugetlb(src)) {
			ret = -ENOMEM;
			goto out_unlock;
		}
		ret = split_folio(src);
		/* A large page-cache folio cannot be split in the model:
		 * there is just no destination for it (-ENOMEM), which is
		 * not the same as a folio that cannot move at all. */
		if (ret == -EINVAL)
			ret = -ENOMEM;
		if (ret)
			goto out_unlock;	/* busy or pinned: unchanged */
		mc->thp_split++;
		/* Unlocks the head, or frees it when it moved. */
		return migrate_split_pages(src, order, get_new, private, mc, dstp);
	}
	VM_BUG_ON(folio_order(dst) != order);

	SetPageIsolated(&src->page);
	ret = move_to_new_folio(src, dst, mc);
	if (ret) {
		ClearPageIsolated(&src->page);
		folio_put(dst);
		goto out_unlock;
	}

	mc->succeeded += folio_nr(src);
	if (order && !folio_test_hugetlb(dst))
		mc->thp_succeeded++;
	free_migrated_source(src);
	*dstp = dst;
	pnm_trace(PNM_TRACE_MIGRATE, mc->pid, mc->reason, old_pfn, folio_pfn(dst), 0);
	return 0;

out_unlock:
	folio_unlock(src);
	pnm_trace(PNM_TRACE_MIGRATE, mc->pid, mc->reason, old_pfn, 0, ret);
	return ret;
}

/*
 * Record that @src (still referenced by the caller) finally failed to
 * move with @err: once per folio, however many attempts it took.  Folios
 * that were never candidates (-EINVAL) are not migration failures; -EBUSY
 * always means pinned or otherwise referenced (pnm_migrate_refused_refs).
 */
static void migrate_note_failure(struct migrate_ctx *mc, struct folio *src, int err)
{
	if (err == -EINVAL)
		return;
	if (err == -EBUSY)
		mc->refused_refs++;
	mc->failed += folio_nr(src);
	if (folio_test_large(src) && !folio_test_hugetlb(src))
		mc->thp_failed++;
}

/*
 * migrate_one() with Linux's retry policy for sync callers: a folio that
 * was busy (-EAGAIN: under writeback, or its lock taken in async mode;
 * -EBUSY: transient references, such as a fault waiting on our migration
 * entry) is tried again, up to
 * NR_MAX_MIGRATE_PASSES times in all.  Records a final failure.
 */
static int migrate_one_retry(struct folio *src, new_folio_t *get_new,
			     unsigned long private, struct migrate_ctx *mc,
			     struct folio **dstp)
{
	int pass, ret = -EAGAIN;

	for (pass = 0; pass < NR_MAX_MIGRATE_PASSES; pass++) {
		if (pass)
			sched_yield();
		ret = migrate_one(src, get_new, private, mc, dstp);
		if (ret != -EAGAIN && ret != -EBUSY)
			break;
		if (mc->mode & PNM_MIGRATE_ASYNC)
			break;
	}
	if (ret)
		migrate_note_failure(mc, src, ret);
	return ret;
}

/* Publish the events of a finished request. */
static void migrate_count_events(const struct migrate_ctx *mc)
{
	if (mc->succeeded)
		count_vm_events(PGMIGRATE_SUCCESS, (long)mc->succeeded);
	if (mc->failed)
		count_vm_events(PGMIGRATE_FAIL, (long)mc->failed);
	if (mc->thp_succeeded)
		count_vm_events(THP_MIGRATION_SUCCESS, (long)mc->thp_succeeded);
	if (mc->thp_failed)
		count_vm_events(THP_MIGRATION_FAIL, (long)mc->thp_failed);
	if (mc->thp_split)
		count_vm_events(THP_MIGRATION_SPLIT, (long)mc->thp_split);
	if (mc->refused_refs)
		count_vm_events(PNM_MIGRATE_REFUSED_REFS, (long)mc->refused_refs);
}

/*
 * Migrate @src, which the caller holds a reference on, with the mode's
 * locking behaviour (internal.h).  Caller holds no mmap_lock and no folio
 * lock: the source folio lock is taken (or trylocked in async mode) here;
 * no mm's mmap_lock is needed (the reverse map is walked instead).
 * Returns 0 with *dstp
 * set, the caller's reference moved to it, or -EBUSY, -EAGAIN, -ENOMEM,
 * -EINVAL (see migrate_folio_to) with @src still the caller's.  Counts
 * pgmigrate_success/fail per base page (any error but -EINVAL is a
 * failure), thp_migration_success/fail/split and pnm_migrate_refused_refs.
 */
int pnm_migrate_folio(struct folio *src, new_folio_t *get_new,
		      unsigned long private, enum migrate_reason reason,
		      unsigned int mode, struct folio **dstp)
{
	struct migrate_ctx mc = { .mode = mode, .reason = reason };
	int ret;

	ret = migrate_one(src, get_new, private, &mc, dstp);
	if (ret)
		migrate_note_failure(&mc, src, ret);
	migrate_count_events(&mc);
	return ret;
}

/*
 * Migrate one folio (contract in migrate.h).  The caller must not hold any
 * mmap_lock or folio lock: this sleeps on the source's folio lock, which
 * ranks inside mmap_lock.  Other processes' mmap_locks play no part: a
 * process holding its own, even for write, does not make this fail.  One
 * attempt; the caller decides whether to retry -EAGAIN/-EBUSY.
 */
int migrate_folio_to(struct folio *src, new_folio_t *get_new,
		     unsigned long private, enum migrate_reason reason,
		     struct folio **dstp)
{
	return pnm_migrate_folio(src, get_new, private, reason, 0, dstp);
}

/*
 * A new_folio_t: a folio of @src's order from zone (enum zone_type)@private
 * only, or NULL if that zone has no such free block (large orders do not
 * count as allocation failures: the caller falls back to splitting).
 * Takes zone->lock.
 */
struct folio *alloc_migration_target_zone(struct folio *src, unsigned long private)
{
	unsigned int order = folio_order(src);
	gfp_t gfp = GFP_HIGHUSER_MOVABLE | __GFP_THISZONE;

	if (private >= MAX_NR_ZONES || !pnm_zone((enum zone_type)private))
		return NULL;
	/* hugetlb: from the pool, or a temporary page (hugetlb.c). */
	if (folio_test_hugetlb(src))
		return alloc_hugetlb_migration_target(src, (enum zone_type)private);
	if (order)
		gfp |= __GFP_COMP | __GFP_NOWARN;
	return folio_alloc_zone(gfp, order, (enum zone_type)private);
}

/* The folios found in a range, each with a reference held. */
struct folio_array {
	struct folio **folios;
	size_t nr;
	size_t cap;
};

/* Take a reference on @folio (mapped, so alive) and remember it. */
static int folio_array_add(struct folio_array *fa, struct folio *folio)
{
	if (fa->nr && fa->folios[fa->nr - 1] == folio)
		return 0;	/* the next page of the same folio */
	if (fa->nr == fa->cap) {
		size_t cap = fa->cap ? fa->cap * 2 : 64;
		struct folio **n = pnm_realloc(PNM_FAULT_ALLOC, fa->folios, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		fa->folios = n;
		fa->cap = cap;
	}
	folio_get(folio);
	fa->folios[fa->nr++] = folio;
	return 0;
}

static int folio_ptr_cmp(const void *a, const void *b)
{
	uintptr_t x = (uintptr_t)*(struct folio *const *)a;
	uintptr_t y = (uintptr_t)*(struct folio *const *)b;

	return x < y ? -1 : x > y;
}

/*
 * Sort and drop duplicates (a folio mapped at several addresses of the
 * range): migration expects exactly one reference from its caller.
 */
static void folio_array_unique(struct folio_array *fa)
{
	size_t i, n = 0;

	if (!fa->nr)
		return;
	qsort(fa->folios, fa->nr, sizeof(*fa->folios), folio_ptr_cmp);
	for (i = 0; i < fa->nr; i++) {
		if (n && fa->folios[n - 1] == fa->folios[i]) {
			folio_put(fa->folios[i]);
			continue;
		}
		fa->folios[n++] = fa->folios[i];
	}
	fa->nr = n;
}

/*
 * Collect the folios mapped in [start, end) of @vma: huge PMDs under the
 * PMD lock, PTEs under the PTE table's lock (both keep the mapping, and so
 * the folio, alive while we take our reference).  Migration entries and
 * special mappings (zero page, huge zero page) are skipped.  Caller holds mmap_lock for read.
 */
static int collect_vma_folios(struct vm_area_struct *vma, unsigned long start,
			      unsigned long end, struct folio_array *fa)
{
	struct mm_struct *mm = vma->vm_mm;
	unsigned long addr = start, next;
	spinlock_t *ptl;
	int err = 0;

	while (addr < end && !err) {
		pmd_t *pmd, pmdval;
		pte_t *pte;

		next = min_t(unsigned long, (addr & PMD_MASK) + PMD_SIZE, end);
		pmd = pnm_pmd_lookup(mm, addr);
		if (!pmd) {
			addr = next;
			continue;
		}
		pmdval = pmdp_get(pmd);
		if (pmd_trans_huge(pmdval)) {
			ptl = pmd_lock(mm, pmd);
			pmdval = pmdp_get(pmd);
			/* The huge zero page's special PMD: nothing to move. */
			if (pmd_trans_huge(pmdval) && !is_huge_zero_pmd(pmdval))
				err = folio_array_add(fa, pfn_folio(pmd_pfn(pmdval)));
			spin_unlock(ptl);
			if (!pmd_present(pmdval) || pmd_trans_huge(pmdval))
				addr = next;
			continue;	/* else split meanwhile: walk its PTEs */
		}
		if (!pmd_present(pmdval)) {
			addr = next;	/* none, or a PMD migration entry */
			continue;
		}
		pte = pte_offset_map_lock(mm, pmd, addr, &ptl);
		if (!pte)
			continue;	/* changed under us: look again */
		for (; addr < next && !err; addr += PAGE_SIZE, pte++) {
			pte_t ptent = ptep_get(pte);
			struct page *page;

			if (!pte_present(ptent))
				continue;
			page = vm_normal_page(vma, addr, ptent);
			if (page)
				err = folio_array_add(fa, page_folio(page));
		}
		spin_unlock(ptl);
	}
	return err;
}

/*
 * The model's move_pages(): migrate every folio mapped in [addr, addr+len)
 * of @mm to zone @zone (contract in migrate.h).  Takes mmap_lock for read
 * to collect the folios (each with a reference), drops it, then migrates
 * each folio not already in @zone, retrying busy ones (-EAGAIN, -EBUSY)
 * up to NR_MAX_MIGRATE_PASSES times.  Returns the base pages moved; if
 * none moved, the first error (0 if there was nothing to move); -EINVAL
 * for a bad zone or range, -ENOMEM if the walk could not record a folio.
 * Caller holds no mmap_lock and no folio lock.
 */
long pnm_mm_migrate_range(struct mm_struct *mm, unsigned long addr,
		       unsigned long len, enum zone_type zone)
{
	struct migrate_ctx mc = { .mode = 0, .reason = MR_SYSCALL };
	struct folio_array fa = { 0 };
	struct vm_area_struct *vma;
	unsigned long start, end;
	int err = 0, first_err = 0;
	size_t i;

	if ((unsigned int)zone >= MAX_NR_ZONES || !pnm_zone(zone))
		return -EINVAL;
	if (!len)
		return 0;
	start = addr & PAGE_MASK;
	end = addr + len;
	if (end < addr || end > TASK_SIZE)
		return -EINVAL;
	end = ALIGN(end, PAGE_SIZE);
	mc.pid = mm->owner_pid;

	mmap_read_lock(mm);
	for (vma = find_vma(mm, start); vma && vma->vm_start < end && !err;
	     vma = find_vma(mm, vma->vm_end))
		err = collect_vma_folios(vma, max_t(unsigned long, start, vma->vm_start),
					 min_t(unsigned long, end, vma->vm_end), &fa);
	mmap_read_unlock(mm);
	if (err)
		goto out_put;

	folio_array_unique(&fa);
	for (i = 0; i < fa.nr; i++) {
		struct folio *folio = fa.folios[i], *dst;
		int ret;

		if (folio_zone(folio)->idx == zone)
			continue;
		ret = migrate_one_retry(folio, alloc_migration_target_zone,
					(unsigned long)zone, &mc, &dst);
		if (!ret)
			fa.folios[i] = dst;	/* our reference moved to it */
		else if (!first_err)
			first_err = ret;
	}
	migrate_count_events(&mc);

out_put:
	for (i = 0; i < fa.nr; i++)
		folio_put(fa.folios[i]);
	free(fa.folios);
	if (err)
		return err;
	return mc.succeeded ? (long)mc.succeeded : first_err;
}
