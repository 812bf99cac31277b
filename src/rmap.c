// SPDX-License-Identifier: MIT
/*
 * rmap.c - reverse mapping: which PTEs and PMDs map a folio (rmap.h).
 *
 * This file owns the anon_vma objects and their chains (created at a VMA's
 * first anonymous fault, cloned and forked with the VMA, unlinked before
 * its page tables go), the walk over a folio's mappings (rmap_walk: the
 * anon_vma interval tree or the file's i_mmap tree, then the page tables
 * of each VMA found), and everything that must change when a mapping
 * appears or goes: the mapcounts, the per-mm RSS counters, the
 * NR_ANON_MAPPED / NR_FILE_MAPPED / NR_ANON_THPS gauges,
 * PG_anon_exclusive, and whether a large anon folio is left partly mapped
 * (then it is queued for a deferred split, mthp.c).  It also holds the walkers that change other
 * processes' page tables: try_to_migrate (migration and split; its other
 * half, remove_migration_ptes, is in migrate.c), folio_mkclean
 * (writeback) and try_to_unmap (truncate, reclaim), and the pin queries
 * fork and migration ask.  The folio invariant checker is in debug.c,
 * the per-VMA entry finder in page_vma_mapped.c, the trees in
 * interval_tree.c.
 *
 * Locking (the whole order is in mm_types.h):
 *
 *   folio lock                 walkers (try_to_migrate, folio_mkclean,
 *                              try_to_unmap) and remove_migration_ptes
 *     mapping->i_mmap_rwsem    file folios: read to walk
 *       anon_vma->root->rwsem  anon folios: read to walk; write to change
 *                              any tree of the family
 *         entry's ptl          every entry looked at or changed
 *           folio mapcount lock (folio_mapcount_lock(), striped)
 *
 * No mmap_lock is taken here: a walker reaches an mm's page tables only
 * through a VMA it found in a tree, and the lock on that tree keeps the
 * VMA, its range and its page tables in place (rmap.h).
 */
#include <stdlib.h>

#include "internal.h"
#include "rcu.h"

/* --- the striped mapcount lock ----------------------------------------------- */

#define MAPCOUNT_LOCK_BITS	6
#define NR_MAPCOUNT_LOCKS	(1U << MAPCOUNT_LOCK_BITS)

/*
 * Hashed by pfn >> HPAGE_PMD_ORDER: every folio is naturally aligned and at
 * most PMD sized, so a large folio, each of its pages and the order-0 folios
 * a split turns it into all map to the same lock.  A page's lock therefore
 * never changes, whichever folio it currently belongs to.
 */
static spinlock_t mapcount_locks[NR_MAPCOUNT_LOCKS] = {
	[0 ... NR_MAPCOUNT_LOCKS - 1] = { .m = PTHREAD_MUTEX_INITIALIZER, .owner = 0 },
};

/*
 * folio_mapcount_lock - the lock serialising changes to @folio's
 * mapcounts (rmap.h).  Returned unlocked.
 */
spinlock_t *folio_mapcount_lock(struct folio *folio)
{
	unsigned long block = folio_pfn(folio) >> HPAGE_PMD_ORDER;

	return &mapcount_locks[(block * 0x9E3779B97F4A7C15UL) >> (64 - MAPCOUNT_LOCK_BITS)];
}

/* --- accounting (mapcount lock held) ------------------------------------------ */

static int mm_counter_of(struct folio *folio)
{
	if (folio_test_anon(folio))
		return MM_ANONPAGES;
	return folio_test_swapbacked(folio) ? MM_SHMEMPAGES : MM_FILEPAGES;
}

static enum pnm_stat_item mapped_stat(struct folio *folio)
{
	return folio_test_anon(folio) ? NR_ANON_MAPPED : NR_FILE_MAPPED;
}

/*
 * One PTE mapping of @page appears (@delta 1) or goes (-1): mapcount,
 * NR_*_MAPPED when the page changes between mapped and unmapped, RSS.
 * Returns true if the page is left with no mapping at all.  Mapcounts are
 * only written under the mapcount lock; lockless readers (page_mapcount,
 * folio_mapped) see a relaxed value, as in Linux.
 */
static bool account_pte(struct folio *folio, struct page *page,
			struct mm_struct *mm, int delta)
{
	int mc = atomic_read(&page->_mapcount) + delta;
	bool pmd_mapped = folio_entire_mapcount(folio) > 0;

	VM_BUG_ON_PAGE(mc < 0, page);
	atomic_set(&page->_mapcount, mc);
	if (!pmd_mapped && mc == (delta > 0 ? 1 : 0))
		mod_vm_stat(mapped_stat(folio), delta);
	add_mm_counter(mm, mm_counter_of(folio), delta);
	return mc == 0 && !pmd_mapped;
}

/*
 * One PMD mapping of the whole @folio appears or goes.  When the entire
 * mapcount changes between 0 and 1, the pages that have no PTE mapping
 * change between mapped and unmapped (NR_*_MAPPED), and NR_ANON_THPS moves
 * by one.  If @clear_excl, pages left unmapped lose PG_anon_exclusive.
 */
static void account_pmd(struct folio *folio, struct mm_struct *mm, int delta,
			bool clear_excl)
{
	int em = folio_entire_mapcount(folio) + delta;
	unsigned long i, nr = folio_nr_pages(folio), alone = 0;

	VM_BUG_ON_PAGE(em < 0, &folio->page);
	atomic_set(&folio->_entire_mapcount, em);
	if (em == (delta > 0 ? 1 : 0)) {
		for (i = 0; i < nr; i++) {
			struct page *p = folio_page(folio, i);

			if (atomic_read(&p->_mapcount))
				continue;
			alone++;
			if (clear_excl)
				ClearPageAnonExclusive(p);
		}
		mod_vm_stat(mapped_stat(folio), delta * (long)alone);
		if (folio_test_anon(folio))
			mod_vm_stat(NR_ANON_THPS, delta);
	}
	add_mm_counter(mm, mm_counter_of(folio), delta * (long)nr);
}

static void set_exclusive(struct folio *folio, struct page *page, bool pmd)
{
	unsigned long i;

	if (!pmd) {
		SetPageAnonExclusive(page);
		return;
	}
	for (i = 0; i < folio_nr_pages(folio); i++)
		SetPageAnonExclusive(folio_page(folio, i));
}

static void check_map_args(struct folio *folio, struct page *page, bool pmd)
{
	VM_BUG_ON_PAGE(PageTail(&folio->page), &folio->page);
	if (!pmd)
		VM_BUG_ON_PAGE(page_folio(page) != folio, page);
	else
		VM_BUG_ON_PAGE(folio_order(folio) != HPAGE_PMD_ORDER, &folio->page);
}

static void folio_add_rmap(struct folio *folio, struct page *page,
			   struct mm_struct *mm, bool pmd, bool exclusive)
{
	spinlock_t *lock = folio_mapcount_lock(folio);

	check_map_args(folio, page, pmd);
	spin_lock(lock);
	if (pmd)
		account_pmd(folio, mm, 1, false);
	else
		account_pte(folio, page, mm, 1);
	if (exclusive)
		set_exclusive(folio, page, pmd);
	spin_unlock(lock);
}

/*
 * Remove @nr PTE mappings (pages @page..) or one PMD mapping of @folio.
 * If that left some pages of a large anon folio unmapped while others
 * stay mapped and @defer, the folio is queued for a deferred split
 * (mthp.c), as Linux's __folio_remove_rmap() does; migration passes
 * false: its entries come back (remove_migration_ptes() re-checks).
 */
static void folio_remove_rmap(struct folio *folio, struct page *page, unsigned long nr,
			      struct mm_struct *mm, bool pmd, bool defer)
{
	spinlock_t *lock = folio_mapcount_lock(folio);
	bool anon = folio_test_anon(folio), unmapped = false, partial;
	unsigned long i;

	check_map_args(folio, page, pmd);
	VM_BUG_ON_PAGE(!pmd && folio_page_idx(folio, page) + nr > folio_nr_pages(folio), page);
	spin_lock(lock);
	if (!pmd) {
		/* Linux forgets exclusivity when the page is freed; the model
		 * when its last mapping goes, which is the same for anon. */
		for (i = 0; i < nr; i++) {
			if (account_pte(folio, page + i, mm, -1) && anon) {
				ClearPageAnonExclusive(page + i);
				unmapped = true;
			}
		}
	} else {
		account_pmd(folio, mm, -1, anon);
		unmapped = anon && !folio_entire_mapcount(folio);
	}
	partial = defer && unmapped && folio_order(folio) > 1 && folio_partially_mapped(folio);
	spin_unlock(lock);
	if (partial)
		deferred_split_folio(folio);
}

/* --- adding and removing mappings ------------------------------------------- */

/*
 * folio_add_new_anon_rmap - first mapping of a freshly allocated folio that
 * becomes anonymous in @vma (rmap.h): mapping = vma->anon_vma |
 * PAGE_MAPPING_ANON, index = the page offset of @address in @vma,
 * PG_swapbacked, then a PTE (order 0) or PMD (PMD order) mapping.  Caller
 * holds the entry's ptl and transfers the allocation's reference.
 */
void folio_add_new_anon_rmap(struct folio *folio, struct vm_area_struct *vma,
			     unsigned long address, int flags)
{
	struct anon_vma *anon_vma = smp_load_acquire(&vma->anon_vma);
	bool pmd = folio_order(folio) == HPAGE_PMD_ORDER;
	unsigned long i, nr = folio_nr_pages(folio);

	VM_BUG_ON(!anon_vma);
	/*
	 * Swap: a folio read back for an entry that was not exclusive (fork
	 * shared it) may be mapped by every process of the family that has
	 * the entry, so it must belong to the oldest anon_vma, whose tree
	 * holds all their VMAs (Linux's __folio_set_anon()).
	 */
	if (!(flags & RMAP_EXCLUSIVE))
		anon_vma = anon_vma->root;
	VM_BUG_ON(address & (folio_size(folio) - 1));
	folio->index = linear_page_index(vma, address);
	SetPageSwapBacked(&folio->page);
	/* The folio is not visible to anyone yet: ordered before the entry's
	 * release store by the caller. */
	WRITE_ONCE(folio->mapping,
		   (struct address_space *)((unsigned long)anon_vma | PAGE_MAPPING_ANON));
	if (pmd || nr == 1) {
		folio_add_rmap(folio, &folio->page, vma->vm_mm, pmd, flags & RMAP_EXCLUSIVE);
	} else {
		/* A multi-size THP (mthp.c): one PTE per page, all at once. */
		for (i = 0; i < nr; i++)
			folio_add_rmap(folio, folio_page(folio, i), vma->vm_mm, false,
				       flags & RMAP_EXCLUSIVE);
	}
	/* Reclaim finds it on the inactive anon list (Linux's callers add it
	 * with folio_add_lru_vma()); a swap cache folio is there already. */
	if (!folio_test_swapcache(folio))
		folio_add_lru(folio);
}

/*
 * folio_add_anon_rmap_pte - the PTE at an address of @vma now maps @page
 * of the (already anonymous) @folio; RMAP_EXCLUSIVE marks the page
 * exclusive.  Caller holds the ptl and transfers a reference.
 */
void folio_add_anon_rmap_pte(struct folio *folio, struct page *page,
			     struct vm_area_struct *vma, unsigned long address, int flags)
{
	VM_BUG_ON_PAGE(!folio_test_anon(folio), &folio->page);
	VM_BUG_ON_PAGE(linear_page_index(vma, address) !=
		       folio->index + (unsigned long)(page - &folio->page), page);
	folio_add_rmap(folio, page, vma->vm_mm, false, flags & RMAP_EXCLUSIVE);
}

/*
 * folio_add_anon_rmap_pmd - a PMD of @vma at @address now maps the whole
 * anon THP @folio; RMAP_EXCLUSIVE marks all its pages.  Caller holds the
 * PMD lock and transfers a reference.
 */
void folio_add_anon_rmap_pmd(struct folio *folio, struct vm_area_struct *vma,
			     unsigned long address, int flags)
{
	VM_BUG_ON_PAGE(!folio_test_anon(folio), &folio->page);
	VM_BUG_ON_PAGE(linear_page_index(vma, address) != folio->index, &folio->page);
	folio_add_rmap(folio, &folio->page, vma->vm_mm, true, flags & RMAP_EXCLUSIVE);
}

/*
 * folio_add_file_rmap_pte - a PTE of @vma now maps @page of the page-cache
 * @folio (NR_FILE_MAPPED, MM_SHMEMPAGES or MM_FILEPAGES).  Caller holds
 * the ptl and transfers a reference.
 */
void folio_add_file_rmap_pte(struct folio *folio, struct page *page,
			     struct vm_area_struct *vma)
{
	VM_BUG_ON_PAGE(folio_test_anon(folio), &folio->page);
	folio_add_rmap(folio, page, vma->vm_mm, false, false);
}

/* folio_add_file_rmap_pmd - as folio_add_file_rmap_pte() for a PMD
 * mapping of a whole PMD-sized page-cache folio.  PMD lock held. */
void folio_add_file_rmap_pmd(struct folio *folio, struct vm_area_struct *vma)
{
	VM_BUG_ON_PAGE(folio_test_anon(folio), &folio->page);
	folio_add_rmap(folio, &folio->page, vma->vm_mm, true, false);
}

/*
 * folio_remove_rmap_pte - a PTE of @vma no longer maps @page.  Caller
 * holds the ptl and drops the mapping's reference itself.
 */
void folio_remove_rmap_pte(struct folio *folio, struct page *page,
			   struct vm_area_struct *vma)
{
	folio_remove_rmap(folio, page, 1, vma->vm_mm, false, true);
}

/*
 * folio_remove_rmap_ptes - @nr PTEs of @vma no longer map the consecutive
 * pages @page.. of @folio (a zap of a run of one large folio): one
 * mapcount-lock round trip, and a large anon folio left partly mapped is
 * queued for a deferred split once, after the whole run, so unmapping a
 * whole folio does not queue it.  Caller holds the ptl and drops the
 * references itself.
 */
void folio_remove_rmap_ptes(struct folio *folio, struct page *page, unsigned long nr,
			    struct vm_area_struct *vma)
{
	folio_remove_rmap(folio, page, nr, vma->vm_mm, false, true);
}

/* folio_remove_rmap_pmd - a PMD of @vma no longer maps @folio.  Caller
 * holds the PMD lock and drops the reference itself. */
void folio_remove_rmap_pmd(struct folio *folio, struct vm_area_struct *vma)
{
	folio_remove_rmap(folio, &folio->page, 1, vma->vm_mm, true, true);
}

/*
 * folio_split_pmd_rmap - see rmap.h.  Every page stays mapped, so
 * NR_*_MAPPED and RSS do not move; NR_ANON_THPS falls if this was the last
 * PMD mapping.
 */
void folio_split_pmd_rmap(struct folio *folio)
{
	spinlock_t *lock = folio_mapcount_lock(folio);
	unsigned long i, nr = folio_nr_pages(folio);

	VM_BUG_ON_PAGE(nr != HPAGE_PMD_NR, &folio->page);
	spin_lock(lock);
	VM_BUG_ON_PAGE(folio_entire_mapcount(folio) <= 0, &folio->page);
	for (i = 0; i < nr; i++) {
		struct page *p = folio_page(folio, i);

		atomic_set(&p->_mapcount, atomic_read(&p->_mapcount) + 1);
	}
	atomic_set(&folio->_entire_mapcount,
		   folio_entire_mapcount(folio) - 1);
	if (!folio_entire_mapcount(folio) && folio_test_anon(folio))
		mod_vm_stat(NR_ANON_THPS, -1);
	spin_unlock(lock);
}

/* --- pins ------------------------------------------------------------------ */

/*
 * folio_maybe_dma_pinned - may @folio be pinned (FOLL_PIN)?  No false
 * negatives.  Linux accounting: large folios have an exact _pincount,
 * small ones are "pinned" when refcount >= GUP_PIN_COUNTING_BIAS (false
 * positives from many ordinary references, as in Linux; unsigned so an
 * overflowed count still says pinned).  Exact accounting: _pincount for
 * large folios, the page's pnm_pincount for small ones.  Lockless; the
 * answer can be stale unless the caller excludes new pins.
 */
bool folio_maybe_dma_pinned(struct folio *folio)
{
	if (folio_has_pincount(folio))
		return atomic_read(&folio->_pincount) > 0;
	if (pnm_config.pin_accounting == PNM_PIN_ACCOUNTING_EXACT)
		return atomic_read(&folio->page.pnm_pincount) > 0;
	return (unsigned int)folio_ref_count(folio) >= GUP_PIN_COUNTING_BIAS;
}

/*
 * Read the pin state after a full barrier.  The fully ordered RMWs pair
 * with gup-fast's "take reference/pin (fully ordered), full barrier,
 * re-read the PTE and PageAnonExclusive": our caller has already cleared
 * the entry with a seq_cst exchange, so either gup-fast sees the entry
 * gone (or the page no longer exclusive) and backs out, or we see its pin
 * here.  RMWs rather than a fence because ThreadSanitizer models them.
 */
static bool maybe_pinned_after_barrier(struct folio *folio)
{
	(void)atomic_add_return(0, &folio->_refcount);
	if (folio_has_pincount(folio))	/* page[1]: large folios only */
		(void)atomic_add_return(0, &folio->_pincount);
	(void)atomic_add_return(0, &folio->page.pnm_pincount);
	return folio_maybe_dma_pinned(folio);
}

/*
 * folio_try_share_anon_rmap_pte - before a temporary unmap (migration):
 * -EBUSY if @folio may be pinned, else clear @page's PG_anon_exclusive.
 * Caller holds the ptl and has cleared the PTE (rmap.h).
 */
int folio_try_share_anon_rmap_pte(struct folio *folio, struct page *page)
{
	VM_BUG_ON_PAGE(!folio_test_anon(folio), &folio->page);
	if (maybe_pinned_after_barrier(folio))
		return -EBUSY;
	ClearPageAnonExclusive(page);
	return 0;
}

/* folio_try_share_anon_rmap_pmd - as folio_try_share_anon_rmap_pte() for
 * a PMD mapping: -EBUSY if maybe pinned, else all pages lose exclusivity.
 * Caller holds the PMD lock and has cleared the PMD. */
int folio_try_share_anon_rmap_pmd(struct folio *folio)
{
	unsigned long i;

	VM_BUG_ON_PAGE(!folio_test_anon(folio), &folio->page);
	if (maybe_pinned_after_barrier(folio))
		return -EBUSY;
	for (i = 0; i < folio_nr_pages(folio); i++)
		ClearPageAnonExclusive(folio_page(folio, i));
	return 0;
}

/*
 * folio_needs_cow_for_dma - must fork copy @folio for the child instead of
 * sharing it?  Only if the parent mm has ever pinned (MMF_HAS_PINNED) and
 * the folio may be pinned.  The caller (fork) holds the parent's
 * write_protect_seq for write.  This is a store-buffering handshake with
 * gup-fast: fork writes the seqcount (seq_cst) then reads the flag and the
 * pin counts; gup-fast sets the flag and takes its pin (seq_cst) then
 * re-reads the seqcount after a full barrier.  So both reads here are
 * sequentially consistent (a seq_cst load, and the RMWs of
 * maybe_pinned_after_barrier()): either fork sees the pin and copies, or
 * gup-fast sees the odd/changed count and backs its pin out.
 */
bool folio_needs_cow_for_dma(struct vm_area_struct *vma, struct folio *folio)
{
	unsigned long flags = __atomic_load_n(&vma->vm_mm->flags, __ATOMIC_SEQ_CST);

	if (!(flags & BIT(MMF_HAS_PINNED)))
		return false;
	return maybe_pinned_after_barrier(folio);
}

/* --- fork ------------------------------------------------------------------ */

/*
 * folio_try_dup_anon_rmap_pte - fork: the child maps @page too (rmap.h).
 * -EBUSY leaves the page as it was.
 */
int folio_try_dup_anon_rmap_pte(struct folio *folio, struct page *page,
				struct vm_area_struct *dst_vma,
				struct vm_area_struct *src_vma)
{
	spinlock_t *lock = folio_mapcount_lock(folio);
	bool excl = PageAnonExclusive(page);

	check_map_args(folio, page, false);
	if (excl && folio_needs_cow_for_dma(src_vma, folio))
		return -EBUSY;
	spin_lock(lock);
	if (excl)
		ClearPageAnonExclusive(page);
	account_pte(folio, page, dst_vma->vm_mm, 1);
	spin_unlock(lock);
	return 0;
}

/* folio_try_dup_anon_rmap_pmd - fork of a PMD mapping: all 512 pages lose
 * PG_anon_exclusive unless the folio may be pinned (-EBUSY). */
int folio_try_dup_anon_rmap_pmd(struct folio *folio,
				struct vm_area_struct *dst_vma,
				struct vm_area_struct *src_vma)
{
	spinlock_t *lock = folio_mapcount_lock(folio);
	unsigned long i, nr = folio_nr_pages(folio);
	bool excl = false;

	check_map_args(folio, &folio->page, true);
	for (i = 0; i < nr && !excl; i++)
		excl = PageAnonExclusive(folio_page(folio, i));
	if (excl && folio_needs_cow_for_dma(src_vma, folio))
		return -EBUSY;
	spin_lock(lock);
	for (i = 0; excl && i < nr; i++)
		ClearPageAnonExclusive(folio_page(folio, i));
	account_pmd(folio, dst_vma->vm_mm, 1, false);
	spin_unlock(lock);
	return 0;
}

/* folio_dup_file_rmap_pte - fork: the child's PTE maps the page-cache
 * @page too.  Both ptls held. */
void folio_dup_file_rmap_pte(struct folio *folio, struct page *page,
			     struct vm_area_struct *dst_vma)
{
	folio_add_file_rmap_pte(folio, page, dst_vma);
}

/* folio_dup_file_rmap_pmd - fork: the child maps page-cache @folio by PMD
 * too.  Both PMD locks held. */
void folio_dup_file_rmap_pmd(struct folio *folio, struct vm_area_struct *dst_vma)
{
	folio_add_file_rmap_pmd(folio, dst_vma);
}

/* --- mapcounts --------------------------------------------------------------*/

/*
 * folio_mapcount - PTE mappings of every page plus PMD mappings times the
 * number of pages; for a hugetlb folio, mapped whole only, its mappings
 * (Linux's).  Lockless snapshot; exact if the caller holds the rmap lock
 * or otherwise excludes mapping changes.
 */
int folio_mapcount(struct folio *folio)
{
	unsigned long i, nr = folio_nr_pages(folio);
	int sum = folio_entire_mapcount(folio) * (int)nr;

	if (folio_test_hugetlb(folio))
		return folio_entire_mapcount(folio);

	for (i = 0; i < nr; i++)
		sum += atomic_read(&folio_page(folio, i)->_mapcount);
	return sum;
}

/* folio_mapped - is any page of @folio mapped anywhere?  Lockless. */
bool folio_mapped(struct folio *folio)
{
	unsigned long i, nr = folio_nr_pages(folio);

	if (folio_entire_mapcount(folio) > 0)
		return true;
	for (i = 0; i < nr; i++)
		if (atomic_read(&folio_page(folio, i)->_mapcount) > 0)
			return true;
	return false;
}

/* --- anon_vma objects -------------------------------------------------------- */

/* An anon_vma with the RCU head that defers its free (rcu.h is private to
 * the core, so the head lives beside the public structure). */
struct anon_vma_box {
	struct anon_vma av;
	struct pnm_rcu_head rcu;
};

/* anon_vmas and chain links alive, for the leak checks (pnm.c). */
static atomic_long_t nr_anon_vmas = ATOMIC_LONG_INIT(0);
static atomic_long_t nr_anon_vma_chains = ATOMIC_LONG_INIT(0);

/*
 * pnm_nr_anon_vmas - see internal.h.
 */
long pnm_nr_anon_vmas(long *chains)
{
	if (chains)
		*chains = atomic_long_read(&nr_anon_vma_chains);
	return atomic_long_read(&nr_anon_vmas);
}

/* A new root anon_vma: refcount 1, its own root and parent. */
static struct anon_vma *anon_vma_alloc(void)
{
	struct anon_vma_box *box = pnm_calloc(PNM_FAULT_RMAP, 1, sizeof(*box));
	struct anon_vma *av;

	if (!box)
		return NULL;
	av = &box->av;
	av->root = av;
	av->parent = av;
	atomic_set(&av->refcount, 1);
	init_rwsem(&av->rwsem);
	av->rb_root = (struct pnm_itree_root)PNM_ITREE_ROOT_INIT;
	atomic_long_inc(&nr_anon_vmas);
	return av;
}

static void anon_vma_free_rcu(struct pnm_rcu_head *rh)
{
	struct anon_vma_box *box = container_of(rh, struct anon_vma_box, rcu);

	rwsem_destroy(&box->av.rwsem);
	free(box);
}

/*
 * The last reference is gone.  A folio_lock_anon_vma_read() caller may
 * still hold the root rwsem for read without a reference (it drops its
 * temporary one once locked): wait for it by taking the lock for write,
 * as Linux's anon_vma_free() does.  The memory itself goes after a grace
 * period, because lockless readers find us through folio->mapping.
 */
static void anon_vma_free(struct anon_vma *av)
{
	struct anon_vma_box *box = container_of(av, struct anon_vma_box, av);

	VM_BUG_ON(!pnm_itree_empty(&av->rb_root));
	anon_vma_lock_write(av);
	anon_vma_unlock_write(av);
	atomic_long_dec(&nr_anon_vmas);
	pnm_call_rcu(&box->rcu, anon_vma_free_rcu);
}

static void get_anon_vma(struct anon_vma *av)
{
	atomic_inc(&av->refcount);
}

static void __put_anon_vma(struct anon_vma *av)
{
	struct anon_vma *root = av->root;

	anon_vma_free(av);
	if (root != av && atomic_dec_and_test(&root->refcount))
		anon_vma_free(root);
}

/*
 * put_anon_vma - drop a reference on @anon_vma; the last one frees it
 * (and drops its reference on the root).  Must not be called with the
 * family's root rwsem held.
 */
void put_anon_vma(struct anon_vma *anon_vma)
{
	/* Fully ordered: everything we did with the anon_vma happens before
	 * whoever sees the count reach zero frees it. */
	if (atomic_dec_and_test(&anon_vma->refcount))
		__put_anon_vma(anon_vma);
}

static struct anon_vma_chain *anon_vma_chain_alloc(void)
{
	struct anon_vma_chain *avc = pnm_calloc(PNM_FAULT_RMAP, 1, sizeof(*avc));

	if (avc)
		atomic_long_inc(&nr_anon_vma_chains);
	return avc;
}

static void anon_vma_chain_free(struct anon_vma_chain *avc)
{
	atomic_long_dec(&nr_anon_vma_chains);
	free(avc);
}

/* Link @vma and @anon_vma through @avc.  Root rwsem held for write. */
static void anon_vma_chain_link(struct vm_area_struct *vma, struct anon_vma_chain *avc,
				struct anon_vma *anon_vma)
{
	avc->vma = vma;
	avc->anon_vma = anon_vma;
	list_add(&avc->same_vma, &vma->anon_vma_chain);
	anon_vma_interval_tree_insert(avc, &anon_vma->rb_root);
}

/*
 * anon_vma_prepare - see rmap.h.  The new anon_vma is a root whose
 * num_children counts itself (its self-parent link), so it is never taken
 * for reuse by anon_vma_clone().  Published with a release store under
 * mm->page_table_lock (which serialises concurrent first faults); the
 * fast check is an acquire load, pairing with it.
 */
int anon_vma_prepare(struct vm_area_struct *vma)
{
	struct mm_struct *mm = vma->vm_mm;
	struct anon_vma *anon_vma;
	struct anon_vma_chain *avc;

	if (likely(smp_load_acquire(&vma->anon_vma)))
		return 0;
	mmap_assert_locked(mm);
	avc = anon_vma_chain_alloc();
	if (!avc)
		return -ENOMEM;
	anon_vma = anon_vma_alloc();
	if (!anon_vma) {
		anon_vma_chain_free(avc);
		return -ENOMEM;
	}
	anon_vma_lock_write(anon_vma);
	spin_lock(&mm->page_table_lock);
	if (likely(!vma->anon_vma)) {
		anon_vma_chain_link(vma, avc, anon_vma);
		anon_vma->num_active_vmas++;
		anon_vma->num_children++;	/* self-parent link of a root */
		smp_store_release(&vma->anon_vma, anon_vma);
		avc = NULL;
	}
	spin_unlock(&mm->page_table_lock);
	anon_vma_unlock_write(anon_vma);
	if (avc) {
		/* Another fault won: ours was never visible. */
		anon_vma_chain_free(avc);
		put_anon_vma(anon_vma);
	}
	return 0;
}

/*
 * anon_vma_clone - see rmap.h.  Every anon_vma on @src's chain shares one
 * root, whose rwsem is taken once for the whole clone.  When called from
 * anon_vma_fork() (@dst->anon_vma NULL), an anon_vma of the chain that no
 * VMA uses any more and that has at most one child is adopted as @dst's
 * own, instead of a new one: this is what keeps a long chain of forks (each
 * parent exiting after its fork) from growing the family without bound.
 */
int anon_vma_clone(struct vm_area_struct *dst, struct vm_area_struct *src)
{
	struct anon_vma_chain *avc, *pavc;
	struct anon_vma *root = NULL;

	list_for_each_entry_reverse(pavc, &src->anon_vma_chain, same_vma) {
		struct anon_vma *anon_vma = pavc->anon_vma;

		avc = anon_vma_chain_alloc();
		if (!avc)
			goto enomem;
		if (!root) {
			root = anon_vma->root;
			down_write(&root->rwsem);
		}
		VM_BUG_ON(anon_vma->root != root);
		anon_vma_chain_link(dst, avc, anon_vma);
		if (!dst->anon_vma && src->anon_vma &&
		    anon_vma->num_children < 2 && anon_vma->num_active_vmas == 0)
			dst->anon_vma = anon_vma;
	}
	if (dst->anon_vma)
		dst->anon_vma->num_active_vmas++;
	if (root)
		up_write(&root->rwsem);
	return 0;

enomem:
	if (root)
		up_write(&root->rwsem);
	/* Nothing was counted active yet. */
	dst->anon_vma = NULL;
	unlink_anon_vmas(dst);
	return -ENOMEM;
}

/*
 * anon_vma_fork - see rmap.h.  The child's own anon_vma holds a reference
 * on the family root and counts as a child of the parent's anon_vma.
 */
int anon_vma_fork(struct vm_area_struct *vma, struct vm_area_struct *pvma)
{
	struct anon_vma_chain *avc;
	struct anon_vma *anon_vma;
	int err;

	if (!pvma->anon_vma)
		return 0;
	vma->anon_vma = NULL;
	err = anon_vma_clone(vma, pvma);
	if (err)
		return err;
	if (vma->anon_vma)
		return 0;		/* reused an idle anon_vma */

	anon_vma = anon_vma_alloc();
	if (!anon_vma)
		goto out_unlink;
	avc = anon_vma_chain_alloc();
	if (!avc) {
		put_anon_vma(anon_vma);
		goto out_unlink;
	}
	anon_vma->num_active_vmas++;
	anon_vma->root = pvma->anon_vma->root;
	anon_vma->parent = pvma->anon_vma;
	get_anon_vma(anon_vma->root);
	/* The child VMA is not visible to any walker yet: a plain store. */
	vma->anon_vma = anon_vma;
	anon_vma_lock_write(anon_vma);
	anon_vma_chain_link(vma, avc, anon_vma);
	anon_vma->parent->num_children++;
	anon_vma_unlock_write(anon_vma);
	return 0;

out_unlink:
	unlink_anon_vmas(vma);
	return -ENOMEM;
}

/*
 * unlink_anon_vmas - see rmap.h.  Two passes, as in Linux: under the root
 * rwsem each link leaves its tree (if still in it: a merge takes the
 * absorbed VMA's links out of their trees under its own locking), and
 * links whose anon_vma is left with an empty tree stay on the VMA's list; after unlocking, those anon_vmas
 * drop their self-reference (which may free them and, in turn, the root:
 * that needs the root rwsem, hence outside it).
 */
void unlink_anon_vmas(struct vm_area_struct *vma)
{
	struct anon_vma_chain *avc, *next;
	struct anon_vma *root = NULL;

	list_for_each_entry_safe(avc, next, &vma->anon_vma_chain, same_vma) {
		struct anon_vma *anon_vma = avc->anon_vma;

		if (!root) {
			root = anon_vma->root;
			down_write(&root->rwsem);
		}
		if (interval_tree_node_linked(&avc->rb))
			anon_vma_interval_tree_remove(avc, &anon_vma->rb_root);
		if (pnm_itree_empty(&anon_vma->rb_root)) {
			anon_vma->parent->num_children--;
			continue;
		}
		list_del(&avc->same_vma);
		anon_vma_chain_free(avc);
	}
	if (vma->anon_vma) {
		if (root)
			vma->anon_vma->num_active_vmas--;
		vma->anon_vma = NULL;
	}
	if (root)
		up_write(&root->rwsem);

	list_for_each_entry_safe(avc, next, &vma->anon_vma_chain, same_vma) {
		VM_BUG_ON(avc->anon_vma->num_active_vmas);
		put_anon_vma(avc->anon_vma);
		list_del(&avc->same_vma);
		anon_vma_chain_free(avc);
	}
}

/*
 * anon_vma_interval_tree_pre_update_vma / _post_update_vma - see rmap.h.
 */
void anon_vma_interval_tree_pre_update_vma(struct vm_area_struct *vma)
{
	struct anon_vma_chain *avc;

	list_for_each_entry(avc, &vma->anon_vma_chain, same_vma)
		anon_vma_interval_tree_remove(avc, &avc->anon_vma->rb_root);
}

void anon_vma_interval_tree_post_update_vma(struct vm_area_struct *vma)
{
	struct anon_vma_chain *avc;

	list_for_each_entry(avc, &vma->anon_vma_chain, same_vma)
		anon_vma_interval_tree_insert(avc, &avc->anon_vma->rb_root);
}

/*
 * Called inside an RCU read section, which it leaves: a reference on
 * @anon_vma (@folio's) if it has not reached zero and the folio is still
 * mapped once we hold it, else NULL.  A mapped folio's VMA is in the
 * anon_vma's tree, which holds its self-reference, so "mapped after our
 * increment" proves the anon_vma was alive, not being torn down.
 */
static struct anon_vma *anon_vma_tryget_mapped(struct folio *folio,
					       struct anon_vma *anon_vma)
{
	if (!atomic_add_unless(&anon_vma->refcount, 1, 0)) {
		pnm_rcu_read_unlock();
		return NULL;
	}
	pnm_rcu_read_unlock();
	if (!folio_mapped(folio)) {
		put_anon_vma(anon_vma);
		return NULL;
	}
	return anon_vma;
}

/*
 * folio_get_anon_vma - see rmap.h.  Inside an RCU read section the
 * anon_vma's memory cannot be reused (frees wait for a grace period).
 */
struct anon_vma *folio_get_anon_vma(struct folio *folio)
{
	pnm_rcu_read_lock();
	if (!folio_test_anon(folio) || !folio_mapped(folio)) {
		pnm_rcu_read_unlock();
		return NULL;
	}
	return anon_vma_tryget_mapped(folio, folio_anon_vma(folio));
}

/*
 * folio_lock_anon_vma_read - see rmap.h.  Try the root rwsem under RCU
 * first; if it is contended, take a temporary reference, leave the RCU
 * section and sleep on the lock, then drop the reference (the last one
 * frees the anon_vma here, after unlocking).
 */
struct anon_vma *folio_lock_anon_vma_read(struct folio *folio)
{
	struct anon_vma *anon_vma, *root;

	pnm_rcu_read_lock();
	if (!folio_test_anon(folio) || !folio_mapped(folio)) {
		pnm_rcu_read_unlock();
		return NULL;
	}
	anon_vma = folio_anon_vma(folio);
	root = READ_ONCE(anon_vma->root);
	if (down_read_trylock(&root->rwsem)) {
		pnm_rcu_read_unlock();
		/* Unmapped meanwhile: the anon_vma may be on its way out. */
		if (!folio_mapped(folio)) {
			up_read(&root->rwsem);
			return NULL;
		}
		return anon_vma;
	}
	anon_vma = anon_vma_tryget_mapped(folio, anon_vma);
	if (!anon_vma)
		return NULL;
	anon_vma_lock_read(anon_vma);
	if (atomic_dec_and_test(&anon_vma->refcount)) {
		anon_vma_unlock_read(anon_vma);
		__put_anon_vma(anon_vma);
		return NULL;
	}
	return anon_vma;
}

/* --- walking ----------------------------------------------------------------- */

/* Visit @vma in a walk of @folio; false: stop the walk. */
static bool rmap_visit(struct folio *folio, struct vm_area_struct *vma,
		       struct rmap_walk_control *rwc)
{
	unsigned long address = vma_address(vma, folio->index, folio_nr_pages(folio));

	/* The tree query only returns VMAs that cover some of the pages. */
	VM_BUG_ON(IS_ERR_VALUE(address));
	if (!rwc->rmap_one(folio, vma, address, rwc->arg))
		return false;
	return !(rwc->done && rwc->done(folio));
}

static void rmap_walk_anon(struct folio *folio, struct rmap_walk_control *rwc)
{
	pgoff_t first = folio->index, last = first + folio_nr_pages(folio) - 1;
	struct anon_vma_chain *avc;
	struct anon_vma *anon_vma;

	if (rwc->anon_lock) {
		anon_vma = rwc->anon_lock(folio);
		if (!anon_vma)
			return;
	} else {
		anon_vma = folio_anon_vma(folio);
		if (!anon_vma)
			return;
		anon_vma_lock_read(anon_vma);
	}
	anon_vma_interval_tree_foreach(avc, &anon_vma->rb_root, first, last)
		if (!rmap_visit(folio, avc->vma, rwc))
			break;
	anon_vma_unlock_read(anon_vma);
}

static void rmap_walk_file(struct folio *folio, struct rmap_walk_control *rwc)
{
	struct address_space *mapping = folio_mapping(folio);
	pgoff_t first = folio->index, last = first + folio_nr_pages(folio) - 1;
	struct vm_area_struct *vma;

	if (!mapping)
		return;
	i_mmap_lock_read(mapping);
	vma_interval_tree_foreach(vma, &mapping->i_mmap, first, last)
		if (!rmap_visit(folio, vma, rwc))
			break;
	i_mmap_unlock_read(mapping);
}

/*
 * rmap_walk - see rmap.h.
 */
void rmap_walk(struct folio *folio, struct rmap_walk_control *rwc)
{
	if (folio_test_anon(folio))
		rmap_walk_anon(folio, rwc);
	else
		rmap_walk_file(folio, rwc);
}

static bool folio_not_mapped(struct folio *folio)
{
	return !folio_mapped(folio);
}

/* --- migration entries --------------------------------------------------------- */

static swp_entry_t make_migration_entry(unsigned long pfn, bool writable, bool excl)
{
	if (writable)
		return make_writable_migration_entry(pfn);
	if (excl)
		return make_readable_exclusive_migration_entry(pfn);
	return make_readable_migration_entry(pfn);
}

/* The migration entry that replaces present entry @old (PTE or PMD bits). */
static pteval_t migration_entry_for(unsigned long pfn, pteval_t old, bool excl)
{
	swp_entry_t entry = make_migration_entry(pfn, old & _PAGE_RW, excl);

	if (old & _PAGE_ACCESSED)
		entry = make_migration_entry_young(entry);
	if (old & _PAGE_DIRTY)
		entry = make_migration_entry_dirty(entry);
	if (old & _PAGE_SOFT_DIRTY)
		entry = make_migration_entry_soft_dirty(entry);
	return entry.val;
}

/*
 * Replace the locked present PTE at pvmw->pte by a migration entry.
 * Returns false (the entry left as it was) if the page may be pinned.
 */
static bool migrate_one_pte(struct folio *folio, struct page_vma_mapped_walk *pvmw)
{
	struct vm_area_struct *vma = pvmw->vma;
	struct mm_struct *mm = vma->vm_mm;
	unsigned long address = pvmw->address;
	pte_t old = ptep_get(pvmw->pte);
	struct page *page = pfn_to_page(pte_pfn(old));
	bool excl = folio_test_anon(folio) && PageAnonExclusive(page);

	/* seq_cst exchange: pairs with gup-fast's pin-then-recheck (pgtable.h) */
	old = ptep_get_and_clear(mm, address, pvmw->pte);
	if (excl && folio_try_share_anon_rmap_pte(folio, page)) {
		set_pte_at(mm, address, pvmw->pte, old);
		return false;
	}
	if (pte_dirty(old))
		SetPageDirty(&folio->page);
	set_pte_at(mm, address, pvmw->pte,
		   __pte(migration_entry_for(page_to_pfn(page), pte_val(old), excl)));
	/* Not a partial unmap: the entry comes back as a mapping. */
	folio_remove_rmap(folio, page, 1, mm, false, false);
	/* The entry holds no reference (rmap.h); the caller's keeps the
	 * folio alive, so this never frees it. */
	folio_put(folio);
	return true;
}

/* As migrate_one_pte() for a locked huge PMD: a PMD migration entry. */
static bool migrate_one_pmd(struct folio *folio, struct page_vma_mapped_walk *pvmw)
{
	struct vm_area_struct *vma = pvmw->vma;
	struct mm_struct *mm = vma->vm_mm;
	bool excl = folio_test_anon(folio) && PageAnonExclusive(&folio->page);
	pmd_t old;

	/* seq_cst exchange: pairs with gup-fast's pin-then-recheck */
	old = pmdp_huge_get_and_clear(mm, pvmw->address, pvmw->pmd);
	if (excl && folio_try_share_anon_rmap_pmd(folio)) {
		set_pmd_at(mm, pvmw->address, pvmw->pmd, old);
		return false;
	}
	if (pmd_dirty(old))
		SetPageDirty(&folio->page);
	/* The deposited PTE table stays with the entry (huge_memory.c). */
	set_pmd_at(mm, pvmw->address, pvmw->pmd,
		   __pmd(migration_entry_for(folio_pfn(folio), pmd_val(old), excl)));
	folio_remove_rmap(folio, &folio->page, 1, mm, true, false);
	folio_put(folio);
	return true;
}

/*
 * The part of @vma that may map @folio, from @address (the folio's first
 * address there) to where its last page would be (Linux's
 * vma_address_end()): the range the walk callbacks below announce to MMU
 * notifiers, under the walk's reverse-map lock, before any ptl.
 */
static void folio_vma_range_init(struct mmu_notifier_range *range,
				 enum mmu_notifier_event event, struct folio *folio,
				 struct vm_area_struct *vma, unsigned long address)
{
	unsigned long end = vma->vm_start +
		((folio->index + folio_nr_pages(folio) - vma->vm_pgoff) << PAGE_SHIFT);

	if (end > vma->vm_end || end <= address)
		end = vma->vm_end;
	mmu_notifier_range_init(range, event, vma->vm_mm, address, end);
}

/* rmap_walk() callback of try_to_migrate(); @arg: bool, set on failure. */
static bool try_to_migrate_one(struct folio *folio, struct vm_area_struct *vma,
			       unsigned long address, void *arg)
{
	DEFINE_FOLIO_VMA_WALK(pvmw, folio, vma, address, 0);
	struct mmu_notifier_range range;
	bool *failed = arg, ok = true;

	if (folio_test_hugetlb(folio))		/* hugetlb_fault.c */
		return hugetlb_try_to_migrate_one(folio, vma, address, failed);
	folio_vma_range_init(&range, MMU_NOTIFY_CLEAR, folio, vma, address);
	mmu_notifier_invalidate_range_start(&range);
	while (page_vma_mapped_walk(&pvmw)) {
		ok = pvmw.pte ? migrate_one_pte(folio, &pvmw) : migrate_one_pmd(folio, &pvmw);
		if (!ok) {
			page_vma_mapped_walk_done(&pvmw);
			*failed = true;
			break;
		}
	}
	mmu_notifier_invalidate_range_end(&range);
	return ok;
}

/*
 * try_to_migrate - see rmap.h.
 */
bool try_to_migrate(struct folio *folio)
{
	bool failed = false;
	struct rmap_walk_control rwc = {
		.arg = &failed,
		.rmap_one = try_to_migrate_one,
		.done = folio_not_mapped,
	};

	VM_BUG_ON_PAGE(!folio_test_locked(folio), &folio->page);
	if (!folio_mapped(folio))
		return true;
	rmap_walk(folio, &rwc);
	return !failed && !folio_mapped(folio);
}

/* --- reclaim of anonymous folios (swap) -------------------------------------------
 *
 * Reclaim reaches the PTEs of an anon folio through its anon_vma, found
 * and locked by folio_lock_anon_vma_read() (it needs no reference: an
 * unmapped folio has nothing to walk).  folio_referenced() asks whether
 * the folio was used since it last looked (the PTEs' accessed bits,
 * cleared as it goes); the anon half of try_to_unmap() replaces each PTE
 * by the swap entry of the folio's slot, or, for a lazily freed folio
 * (MADV_FREE), simply clears it.  Both clear a PTE with a seq_cst
 * exchange before they look at the pins and references: gup-fast either
 * sees the entry gone or its pin is seen (the same pairing as migration's,
 * maybe_pinned_after_barrier()).
 */

struct referenced_arg {
	int referenced;			/* young entries found (and cleared) */
	unsigned long vm_flags;		/* of the VMAs that map the folio */
};

/* rmap_walk() callback of folio_referenced(). */
static bool referenced_one(struct folio *folio, struct vm_area_struct *vma,
			   unsigned long address, void *arg)
{
	DEFINE_FOLIO_VMA_WALK(pvmw, folio, vma, address, 0);
	struct referenced_arg *ra = arg;

	/* An mlocked mapping keeps the folio: stop, and say why. */
	if (READ_ONCE(vma->vm_flags) & VM_LOCKED) {
		ra->vm_flags |= VM_LOCKED;
		return false;
	}
	while (page_vma_mapped_walk(&pvmw)) {
		if (pvmw.pte ? ptep_test_and_clear_young(vma, pvmw.address, pvmw.pte)
			     : pmdp_test_and_clear_young(vma, pvmw.address, pvmw.pmd))
			ra->referenced++;
	}
	ra->vm_flags |= READ_ONCE(vma->vm_flags);
	return true;
}

/*
 * folio_referenced - see rmap.h.  The anon_vma is found and held by
 * folio_lock_anon_vma_read(), so neither the folio lock nor a reference on
 * the anon_vma is needed (an anon folio that is not mapped has no
 * accessed bits to look at).
 */
int folio_referenced(struct folio *folio, unsigned long *vm_flags)
{
	struct referenced_arg ra = { .referenced = 0, .vm_flags = 0 };
	struct rmap_walk_control rwc = {
		.arg = &ra,
		.rmap_one = referenced_one,
		.anon_lock = folio_lock_anon_vma_read,
	};

	VM_BUG_ON_PAGE(!folio_test_anon(folio), &folio->page);
	*vm_flags = 0;
	if (!folio_mapped(folio))
		return 0;
	rmap_walk(folio, &rwc);
	*vm_flags = ra.vm_flags;
	return ra.referenced;
}

struct unmap_anon_state {
	enum ttu_flags flags;
	bool failed;		/* a mapping could not be removed */
};

/*
 * The PTE at pvmw->pte maps @page of the locked, isolated lazily freed
 * @folio and was just cleared (@old its value): if nothing but reclaim's
 * reference and the mappings hold the folio and it is still clean, the
 * mapping goes for good (the next access faults in zeroes); otherwise the
 * PTE is put back and the folio is swap-backed again (written after
 * MADV_FREE, or referenced: it must be kept).  true if discarded.
 */
static bool unmap_lazyfree_pte(struct folio *folio, struct page *page,
			       struct page_vma_mapped_walk *pvmw, pte_t old)
{
	struct vm_area_struct *vma = pvmw->vma;
	int refs, maps;

	if (pte_dirty(old))
		SetPageDirty(&folio->page);
	/* Fully ordered reads after the seq_cst clear: a gup-fast walker
	 * either saw the entry gone or its reference is counted here. */
	refs = atomic_add_return(0, &folio->_refcount);
	maps = folio_mapcount(folio);
	if (refs == 1 + maps && !folio_test_dirty(folio)) {
		folio_remove_rmap_pte(folio, page, vma);
		folio_put(folio);	/* the mapping's; reclaim's keeps it */
		return true;
	}
	set_pte_at(vma->vm_mm, pvmw->address, pvmw->pte, old);
	/* Isolated by reclaim: its flags are reclaim's to change. */
	SetPageSwapBacked(&folio->page);
	return false;
}

/*
 * The PTE at pvmw->pte maps @page of the locked swap cache @folio: replace
 * it by the swap entry of the folio's slot, exclusive if the page was,
 * one more count on the slot.  false (the PTE left as it was) if the page
 * may be pinned or the slot's count is full.
 */
static bool unmap_swap_pte(struct folio *folio, struct page *page,
			   struct page_vma_mapped_walk *pvmw)
{
	struct vm_area_struct *vma = pvmw->vma;
	struct mm_struct *mm = vma->vm_mm;
	swp_entry_t entry = folio_swap_entry(folio);
	bool excl = PageAnonExclusive(page);
	pte_t old, swp_pte;

	/* seq_cst exchange: pairs with gup-fast's pin-then-recheck */
	old = ptep_get_and_clear(mm, pvmw->address, pvmw->pte);
	if (excl && folio_try_share_anon_rmap_pte(folio, page)) {
		set_pte_at(mm, pvmw->address, pvmw->pte, old);
		return false;
	}
	if (swap_duplicate(entry)) {
		if (excl)
			SetPageAnonExclusive(page);
		set_pte_at(mm, pvmw->address, pvmw->pte, old);
		return false;
	}
	if (pte_dirty(old))
		SetPageDirty(&folio->page);
	swp_pte = swp_entry_to_pte(entry);
	if (excl)
		swp_pte = pte_swp_mkexclusive(swp_pte);
	if (pte_soft_dirty(old))
		swp_pte = pte_swp_mksoft_dirty(swp_pte);
	set_pte_at(mm, pvmw->address, pvmw->pte, swp_pte);
	add_mm_counter(mm, MM_SWAPENTS, 1);
	folio_remove_rmap_pte(folio, page, vma);
	folio_put(folio);	/* the mapping's; the cache's and reclaim's stay */
	return true;
}

/* rmap_walk() callback of try_to_unmap_anon(). */
static bool unmap_anon_one(struct folio *folio, struct vm_area_struct *vma,
			   unsigned long address, void *arg)
{
	DEFINE_FOLIO_VMA_WALK(pvmw, folio, vma, address, 0);
	struct unmap_anon_state *st = arg;
	struct mmu_notifier_range range;

	/* mlock()ed: reclaim leaves its pages mapped (walk_abort). */
	if (!(st->flags & TTU_IGNORE_MLOCK) && (READ_ONCE(vma->vm_flags) & VM_LOCKED)) {
		st->failed = true;
		return false;
	}
	folio_vma_range_init(&range, MMU_NOTIFY_CLEAR, folio, vma, address);
	mmu_notifier_invalidate_range_start(&range);
	while (page_vma_mapped_walk(&pvmw)) {
		struct page *page;
		bool ok;

		if (!pvmw.pte) {
			/* Reclaim splits large folios first. */
			VM_WARN_ON_ONCE(1);
			ok = false;
		} else {
			page = pfn_to_page(pte_pfn(ptep_get(pvmw.pte)));
			if (folio_test_swapbacked(folio))
				ok = unmap_swap_pte(folio, page, &pvmw);
			else
				ok = unmap_lazyfree_pte(folio, page, &pvmw,
					ptep_get_and_clear(vma->vm_mm, pvmw.address, pvmw.pte));
		}
		if (!ok) {
			page_vma_mapped_walk_done(&pvmw);
			st->failed = true;
			break;
		}
	}
	mmu_notifier_invalidate_range_end(&range);
	return !st->failed;
}

/*
 * The anon half of try_to_unmap() (rmap.h): the locked, isolated anon
 * @folio is in the swap cache (its PTEs become swap entries) or lazily
 * freed (its PTEs are cleared, unless it was written since).  -EINVAL
 * for a swap-backed folio that is not cached.
 */
static int try_to_unmap_anon(struct folio *folio, enum ttu_flags flags)
{
	struct unmap_anon_state st = { .flags = flags, .failed = false };
	struct rmap_walk_control rwc = {
		.arg = &st,
		.rmap_one = unmap_anon_one,
		.done = folio_not_mapped,
		.anon_lock = folio_lock_anon_vma_read,
	};

	if (folio_test_swapbacked(folio) && !folio_test_swapcache(folio))
		return -EINVAL;
	if (!folio_mapped(folio))
		return 0;
	rmap_walk(folio, &rwc);
	return folio_mapped(folio) ? -EBUSY : 0;
}

/* --- unmapping and cleaning page-cache folios ---------------------------------- */

/*
 * Writeback, truncate and reclaim reach the PTEs of a page-cache folio
 * from the folio: locked folio, i_mmap_rwsem for read, each VMA's entries
 * under their ptl.  With the folio locked no mapping of it can be added
 * (file faults map an existing folio only under its lock; fork copies
 * only from a mapping that exists, and takes i_mmap_rwsem for write to
 * link the child's VMA, so it is either done before the walk or after
 * it), but one may still go (MADV_DONTNEED, a COW of a private mapping),
 * which page_vma_mapped_walk() simply does not find.  Page-cache folios
 * are only mapped by PTEs in the model.
 *
 * Both clear the PTE with a seq_cst exchange before they change or drop
 * it: that pairs with gup-fast's "grab, then re-read the entry" (rmap.h),
 * so a lockless walker either sees the change and backs out, or its
 * reference is visible to whoever looks after us (truncate, reclaim).
 */

/* rmap_walk() callback of folio_mkclean(); @arg counts PTEs. */
static bool mkclean_one(struct folio *folio, struct vm_area_struct *vma,
			unsigned long address, void *arg)
{
	DEFINE_FOLIO_VMA_WALK(pvmw, folio, vma, address, 0);
	struct mmu_notifier_range range;
	int *cleaned = arg;

	folio_vma_range_init(&range, MMU_NOTIFY_PROTECTION_PAGE, folio, vma, address);
	mmu_notifier_invalidate_range_start(&range);
	while (page_vma_mapped_walk(&pvmw)) {
		struct mm_struct *mm = vma->vm_mm;
		pte_t old;

		if (!pvmw.pte) {
			VM_WARN_ON_ONCE(1);	/* no PMD-mapped cache folios */
			continue;
		}
		old = ptep_get(pvmw.pte);
		if (!pte_write(old) && !pte_dirty(old))
			continue;
		/* seq_cst exchange, then the release store of the clean,
		 * read-only entry (see above). */
		old = ptep_get_and_clear(mm, pvmw.address, pvmw.pte);
		set_pte_at(mm, pvmw.address, pvmw.pte, pte_mkclean(pte_wrprotect(old)));
		(*cleaned)++;
		count_vm_event(PNM_PAGE_MKCLEAN);
	}
	mmu_notifier_invalidate_range_end(&range);
	return true;
}

/*
 * folio_mkclean - write-protect and clean every PTE of the locked page-
 * cache @folio (rmap.h).  Returns the number of PTEs that were writable or
 * dirty, 0 if it is not mapped.  The caller moves a PTE's dirtiness into
 * the folio if the result is positive (folio_clear_dirty_for_io
 * re-dirties, as Linux).
 */
int folio_mkclean(struct folio *folio)
{
	int cleaned = 0;
	struct rmap_walk_control rwc = { .arg = &cleaned, .rmap_one = mkclean_one };

	VM_BUG_ON_PAGE(!folio_test_locked(folio), &folio->page);
	VM_BUG_ON_PAGE(folio_test_anon(folio), &folio->page);
	/* Exact: new mappings need our folio lock. */
	if (!folio_mapped(folio))
		return 0;
	rmap_walk(folio, &rwc);
	return cleaned;
}

struct unmap_state {
	enum ttu_flags flags;
	bool dirty;		/* a removed PTE was dirty */
	bool failed;		/* a mapping could not be removed */
};

/* rmap_walk() callback of try_to_unmap(). */
static bool unmap_one(struct folio *folio, struct vm_area_struct *vma,
		      unsigned long address, void *arg)
{
	DEFINE_FOLIO_VMA_WALK(pvmw, folio, vma, address, 0);
	struct unmap_state *st = arg;
	struct mmu_notifier_range range;

	/* mlock()ed: reclaim must leave its pages mapped (Linux's
	 * walk_abort); VM_LOCKED changes under mmap_lock (write) and the
	 * rmap locks, so our i_mmap_rwsem keeps it stable.  The other bits
	 * may change meanwhile (mprotect holds only mmap_lock): READ_ONCE,
	 * pairing with its WRITE_ONCE. */
	if (!(st->flags & TTU_IGNORE_MLOCK) && (READ_ONCE(vma->vm_flags) & VM_LOCKED)) {
		st->failed = true;
		return false;
	}
	folio_vma_range_init(&range, MMU_NOTIFY_CLEAR, folio, vma, address);
	mmu_notifier_invalidate_range_start(&range);
	while (page_vma_mapped_walk(&pvmw)) {
		pte_t old;

		if (!pvmw.pte) {
			/* No PMD-mapped cache folios exist in the model. */
			VM_WARN_ON_ONCE(1);
			st->failed = true;
			continue;
		}
		/* seq_cst exchange: pairs with gup-fast (see above). */
		old = ptep_get_and_clear(vma->vm_mm, pvmw.address, pvmw.pte);
		if (pte_dirty(old))
			st->dirty = true;
		folio_remove_rmap_pte(folio, pfn_to_page(pte_pfn(old)), vma);
		/* The mapping's reference; the caller's keeps the folio. */
		folio_put(folio);
	}
	mmu_notifier_invalidate_range_end(&range);
	return true;
}

/*
 * try_to_unmap - remove every mapping of the locked page-cache or dax
 * @folio (rmap.h).  A dirty PTE makes the folio dirty, through
 * folio_mark_dirty() once the walk is over (it wants our folio lock held
 * and no ptl).  Returns 0 when the folio is left unmapped; -EINVAL for an
 * anon folio; -EBUSY if a mapping could not be removed.
 */
int try_to_unmap(struct folio *folio, enum ttu_flags flags)
{
	struct unmap_state st = { .flags = flags, .dirty = false, .failed = false };
	struct rmap_walk_control rwc = {
		.arg = &st,
		.rmap_one = unmap_one,
		.done = folio_not_mapped,
	};

	VM_BUG_ON_PAGE(!folio_test_locked(folio), &folio->page);
	if (folio_test_anon(folio))
		return try_to_unmap_anon(folio, flags);
	if (!folio_mapped(folio))
		return 0;
	rmap_walk(folio, &rwc);
	if (st.dirty)
		folio_mark_dirty(folio);
	return folio_mapped(folio) ? -EBUSY : 0;
}
