// SPDX-License-Identifier: MIT
/*
 * rmap.c - reverse mapping: which PTEs and PMDs map a folio.
 *
 * Linux reaches a folio's mappings through anon_vma chains and the file
 * i_mmap tree.  The model keeps an explicit list per folio instead: one
 * struct pnm_rmap_item (mm, address, level, pfn) per present PTE or PMD
 * mapping, plus one per migration entry while a migration is in flight
 * (rmap.h).  This file owns that list and everything that must change with
 * it: the mapcounts, the per-mm RSS counters, the NR_ANON_MAPPED /
 * NR_FILE_MAPPED / NR_ANON_THPS gauges and PG_anon_exclusive.  It also
 * holds the two halves of migration that touch page tables of other
 * processes (try_to_migrate, remove_migration_ptes), their page-cache
 * counterparts (folio_mkclean for writeback, try_to_unmap for truncate
 * and reclaim), the locking of the set of mms that map a folio, and the
 * pin queries fork and migration ask.  The folio invariant checker that
 * reads all of this lives in debug.c.
 *
 * Locking (see the lock order in mm_types.h):
 *
 *   entry's ptl (PTE table lock, or pmd_lock for a PMD)
 *     folio rmap lock  (rmap_locks[], hashed by the folio's 2 MiB block)
 *
 * The rmap lock protects a folio's item list and its mapcounts; every add
 * or remove runs with the entry's ptl held by the caller, so "entry present
 * <=> present item" holds for anyone holding the ptl.  Walkers that must
 * reach the page tables (try_to_migrate, remove_migration_ptes) pick an
 * item under the rmap lock, drop it, take the ptl, and re-find the item
 * under the rmap lock again before acting.  Those walkers need the folio
 * locked and the mms locked (pnm_rmap_lock_mms), which keeps new mappings
 * of the folio from appearing; mappings may still disappear (MADV_DONTNEED
 * and COW faults run under mmap_lock read), which each step tolerates.
 *
 * The lock table is statically initialised, so no init hook is needed.
 */
#include <sched.h>
#include <stdlib.h>

#include "internal.h"

/* --- the striped rmap lock ------------------------------------------------ */

#define RMAP_LOCK_BITS	6
#define NR_RMAP_LOCKS	(1U << RMAP_LOCK_BITS)

/*
 * Hashed by pfn >> HPAGE_PMD_ORDER: every folio is naturally aligned and at
 * most PMD sized, so a large folio, each of its pages and the order-0 folios
 * a split turns it into all map to the same lock.  A page's rmap lock
 * therefore never changes, whichever folio it currently belongs to.
 */
static spinlock_t rmap_locks[NR_RMAP_LOCKS] = {
	[0 ... NR_RMAP_LOCKS - 1] = { .m = PTHREAD_MUTEX_INITIALIZER, .owner = 0 },
};

static spinlock_t *rmap_lock_pfn(unsigned long pfn)
{
	unsigned long block = pfn >> HPAGE_PMD_ORDER;

	return &rmap_locks[(block * 0x9E3779B97F4A7C15UL) >> (64 - RMAP_LOCK_BITS)];
}

/*
 * folio_rmap_lock - the lock protecting @folio's rmap list and mapcounts.
 * Returned unlocked.  Innermost but for xa_lock and zone->lock.
 */
spinlock_t *folio_rmap_lock(struct folio *folio)
{
	return rmap_lock_pfn(folio_pfn(folio));
}

/* --- items and accounting (rmap lock held) -------------------------------- */

/* What a walker copies out of an item before dropping the rmap lock. */
struct rmap_key {
	struct mm_struct *mm;
	unsigned long address;
	enum pnm_rmap_level level;
	unsigned long pfn;
};

static struct pnm_rmap_item *rmap_item_alloc(struct mm_struct *mm,
					     unsigned long address,
					     enum pnm_rmap_level level,
					     unsigned long pfn)
{
	struct pnm_rmap_item *item = malloc(sizeof(*item));

	if (!item)
		return NULL;
	INIT_LIST_HEAD(&item->node);
	item->mm = mm;
	item->address = address;
	item->level = level;
	item->migration = false;
	item->pfn = pfn;
	item->saved_bits = 0;
	return item;
}

static struct pnm_rmap_item *find_item(struct folio *folio, struct mm_struct *mm,
				       unsigned long address,
				       enum pnm_rmap_level level, bool migration)
{
	struct pnm_rmap_item *item;

	list_for_each_entry(item, &folio->pnm_rmap, node)
		if (item->mm == mm && item->address == address &&
		    item->level == level && item->migration == migration)
			return item;
	return NULL;
}

/* First item of @folio whose migration flag is @migration, copied to @key. */
static bool first_item(struct folio *folio, bool migration, struct rmap_key *key)
{
	spinlock_t *lock = folio_rmap_lock(folio);
	struct pnm_rmap_item *item;
	bool found = false;

	spin_lock(lock);
	list_for_each_entry(item, &folio->pnm_rmap, node) {
		if (item->migration != migration)
			continue;
		key->mm = item->mm;
		key->address = item->address;
		key->level = item->level;
		key->pfn = item->pfn;
		found = true;
		break;
	}
	spin_unlock(lock);
	return found;
}

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
 * only written under the rmap lock; lockless readers (page_mapcount) see a
 * relaxed value, as in Linux.
 */
static bool account_pte(struct folio *folio, struct page *page,
			struct mm_struct *mm, int delta)
{
	int mc = atomic_read(&page->_mapcount) + delta;
	bool pmd_mapped = atomic_read(&folio->_entire_mapcount) > 0;

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
	int em = atomic_read(&folio->_entire_mapcount) + delta;
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

static void set_exclusive(struct folio *folio, struct page *page,
			  enum pnm_rmap_level level)
{
	unsigned long i;

	if (level == PNM_RMAP_PTE) {
		SetPageAnonExclusive(page);
		return;
	}
	for (i = 0; i < folio_nr_pages(folio); i++)
		SetPageAnonExclusive(folio_page(folio, i));
}

/* Link a preallocated @item and account the mapping.  Rmap lock held. */
static void add_item_locked(struct folio *folio, struct page *page,
			    struct pnm_rmap_item *item, bool exclusive)
{
	list_add_tail(&item->node, &folio->pnm_rmap);
	if (item->level == PNM_RMAP_PTE)
		account_pte(folio, page, item->mm, 1);
	else
		account_pmd(folio, item->mm, 1, false);
	if (exclusive)
		set_exclusive(folio, page, item->level);
}

static void check_map_args(struct folio *folio, struct page *page,
			   unsigned long address, enum pnm_rmap_level level)
{
	VM_BUG_ON_PAGE(PageTail(&folio->page), &folio->page);
	if (level == PNM_RMAP_PTE) {
		VM_BUG_ON_PAGE(page_folio(page) != folio, page);
		VM_BUG_ON(address & ~PAGE_MASK);
	} else {
		VM_BUG_ON_PAGE(folio_order(folio) != HPAGE_PMD_ORDER, &folio->page);
		VM_BUG_ON(address & ~PMD_MASK);
	}
}

static int folio_add_rmap(struct folio *folio, struct page *page,
			  struct mm_struct *mm, unsigned long address,
			  enum pnm_rmap_level level, bool exclusive)
{
	spinlock_t *lock = folio_rmap_lock(folio);
	struct pnm_rmap_item *item;

	check_map_args(folio, page, address, level);
	item = rmap_item_alloc(mm, address, level, page_to_pfn(page));
	if (!item)
		return -ENOMEM;
	spin_lock(lock);
	add_item_locked(folio, page, item, exclusive);
	spin_unlock(lock);
	return 0;
}

static void folio_remove_rmap(struct folio *folio, struct page *page,
			      struct mm_struct *mm, unsigned long address,
			      enum pnm_rmap_level level)
{
	spinlock_t *lock = folio_rmap_lock(folio);
	struct pnm_rmap_item *item;
	bool anon = folio_test_anon(folio);

	check_map_args(folio, page, address, level);
	spin_lock(lock);
	item = find_item(folio, mm, address, level, false);
	if (unlikely(!item)) {
		spin_unlock(lock);
		dump_page(page, "rmap: removing a mapping that has no rmap item");
		PNM_DIE("rmap item missing", 0);
	}
	VM_BUG_ON_PAGE(item->pfn != page_to_pfn(page), page);
	list_del(&item->node);
	if (level == PNM_RMAP_PTE) {
		/* Linux forgets exclusivity when the page is freed; the model
		 * when its last mapping goes, which is the same for anon. */
		if (account_pte(folio, page, mm, -1) && anon)
			ClearPageAnonExclusive(page);
	} else {
		account_pmd(folio, mm, -1, anon);
	}
	spin_unlock(lock);
	free(item);
}

/* --- adding and removing mappings ----------------------------------------- */

/*
 * folio_add_new_anon_rmap - first mapping of a freshly allocated folio that
 * becomes anonymous: sets mapping = PAGE_MAPPING_ANON, index = @address >>
 * PAGE_SHIFT and PG_swapbacked, then maps it by PTE (order 0) or by PMD
 * (PMD order).  Caller holds the entry's ptl and transfers the allocation's
 * reference to the mapping.  0, or -ENOMEM with the folio untouched.
 */
int folio_add_new_anon_rmap(struct folio *folio, struct vm_area_struct *vma,
			    unsigned long address, int flags)
{
	enum pnm_rmap_level level = folio_test_large(folio) ? PNM_RMAP_PMD : PNM_RMAP_PTE;
	spinlock_t *lock = folio_rmap_lock(folio);
	struct pnm_rmap_item *item;

	VM_BUG_ON_PAGE(folio_test_large(folio) &&
		       folio_order(folio) != HPAGE_PMD_ORDER, &folio->page);
	check_map_args(folio, &folio->page, address, level);
	item = rmap_item_alloc(vma->vm_mm, address, level, folio_pfn(folio));
	if (!item)
		return -ENOMEM;
	folio->index = address >> PAGE_SHIFT;
	SetPageSwapBacked(&folio->page);
	WRITE_ONCE(folio->mapping, (struct address_space *)PAGE_MAPPING_ANON);
	spin_lock(lock);
	add_item_locked(folio, &folio->page, item, flags & RMAP_EXCLUSIVE);
	spin_unlock(lock);
	return 0;
}

/*
 * folio_add_anon_rmap_pte - the PTE at @address of @vma now maps @page of
 * the (already anonymous) @folio; RMAP_EXCLUSIVE marks the page exclusive.
 * Caller holds the ptl and transfers a reference.  0 or -ENOMEM.
 */
int folio_add_anon_rmap_pte(struct folio *folio, struct page *page,
			    struct vm_area_struct *vma, unsigned long address, int flags)
{
	VM_BUG_ON_PAGE(!folio_test_anon(folio), &folio->page);
	return folio_add_rmap(folio, page, vma->vm_mm, address, PNM_RMAP_PTE,
			      flags & RMAP_EXCLUSIVE);
}

/*
 * folio_add_anon_rmap_pmd - the PMD at @address now maps the whole anon
 * THP @folio; RMAP_EXCLUSIVE marks all its pages.  Caller holds the PMD
 * lock and transfers a reference.  0 or -ENOMEM.
 */
int folio_add_anon_rmap_pmd(struct folio *folio, struct vm_area_struct *vma,
			    unsigned long address, int flags)
{
	VM_BUG_ON_PAGE(!folio_test_anon(folio), &folio->page);
	return folio_add_rmap(folio, &folio->page, vma->vm_mm, address,
			      PNM_RMAP_PMD, flags & RMAP_EXCLUSIVE);
}

/*
 * folio_add_file_rmap_pte - the PTE at @address now maps @page of the
 * page-cache @folio (NR_FILE_MAPPED, MM_SHMEMPAGES or MM_FILEPAGES).
 * Caller holds the ptl and transfers a reference.  0 or -ENOMEM.
 */
int folio_add_file_rmap_pte(struct folio *folio, struct page *page,
			    struct vm_area_struct *vma, unsigned long address)
{
	VM_BUG_ON_PAGE(folio_test_anon(folio), &folio->page);
	return folio_add_rmap(folio, page, vma->vm_mm, address, PNM_RMAP_PTE, false);
}

/* folio_add_file_rmap_pmd - as folio_add_file_rmap_pte() for a PMD mapping
 * of a whole PMD-sized page-cache folio.  PMD lock held.  0 or -ENOMEM. */
int folio_add_file_rmap_pmd(struct folio *folio, struct vm_area_struct *vma,
			    unsigned long address)
{
	VM_BUG_ON_PAGE(folio_test_anon(folio), &folio->page);
	return folio_add_rmap(folio, &folio->page, vma->vm_mm, address,
			      PNM_RMAP_PMD, false);
}

/*
 * folio_remove_rmap_pte - the PTE at @address of @vma no longer maps
 * @page.  Caller holds the ptl and drops the mapping's reference itself.
 */
void folio_remove_rmap_pte(struct folio *folio, struct page *page,
			   struct vm_area_struct *vma, unsigned long address)
{
	folio_remove_rmap(folio, page, vma->vm_mm, address, PNM_RMAP_PTE);
}

/* folio_remove_rmap_pmd - the PMD at @address of @vma no longer maps
 * @folio.  Caller holds the PMD lock and drops the reference itself. */
void folio_remove_rmap_pmd(struct folio *folio, struct vm_area_struct *vma,
			   unsigned long address)
{
	folio_remove_rmap(folio, &folio->page, vma->vm_mm, address, PNM_RMAP_PMD);
}

/* Flip an item between present and migration, with the accounting. */
static void set_migration_locked(struct folio *folio, struct pnm_rmap_item *item,
				 bool migration)
{
	struct page *page = pfn_to_page(item->pfn);
	int delta = migration ? -1 : 1;

	item->migration = migration;
	if (item->level == PNM_RMAP_PTE)
		account_pte(folio, page, item->mm, delta);
	else
		account_pmd(folio, item->mm, delta, false);
}

/*
 * pnm_rmap_item_set_migration - turn the present item of @mm at @address
 * into a migration item, or back (rmap.h).  Caller holds the entry's ptl;
 * the item must exist (VM_BUG_ON otherwise).
 */
void pnm_rmap_item_set_migration(struct folio *folio, struct mm_struct *mm,
				 unsigned long address, bool migration)
{
	spinlock_t *lock = folio_rmap_lock(folio);
	struct pnm_rmap_item *item;

	spin_lock(lock);
	item = find_item(folio, mm, address, PNM_RMAP_PTE, !migration);
	if (!item)
		item = find_item(folio, mm, address, PNM_RMAP_PMD, !migration);
	VM_BUG_ON_PAGE(!item, &folio->page);
	set_migration_locked(folio, item, migration);
	spin_unlock(lock);
}

/*
 * pnm_rmap_split_pmd - see internal.h.  The PMD item of @mm at @haddr
 * becomes 512 PTE items; page mapcounts rise by one, the entire mapcount
 * falls by one.  Every page stays mapped, so NR_ANON_MAPPED and RSS do not
 * move; NR_ANON_THPS falls if this was the last PMD mapping.
 */
int pnm_rmap_split_pmd(struct folio *folio, struct mm_struct *mm,
		       unsigned long haddr)
{
	spinlock_t *lock = folio_rmap_lock(folio);
	unsigned long i, nr = folio_nr_pages(folio), pfn = folio_pfn(folio);
	struct pnm_rmap_item *item, *tmp, *pmd_item;
	LIST_HEAD(items);

	VM_BUG_ON_PAGE(nr != HPAGE_PMD_NR, &folio->page);
	for (i = 0; i < nr; i++) {
		item = rmap_item_alloc(mm, haddr + i * PAGE_SIZE, PNM_RMAP_PTE, pfn + i);
		if (!item)
			goto out_free_items;
		list_add_tail(&item->node, &items);
	}

	spin_lock(lock);
	pmd_item = find_item(folio, mm, haddr, PNM_RMAP_PMD, false);
	VM_BUG_ON_PAGE(!pmd_item, &folio->page);
	list_del(&pmd_item->node);
	for (i = 0; i < nr; i++) {
		struct page *p = folio_page(folio, i);

		atomic_set(&p->_mapcount, atomic_read(&p->_mapcount) + 1);
	}
	atomic_set(&folio->_entire_mapcount,
		   atomic_read(&folio->_entire_mapcount) - 1);
	if (!atomic_read(&folio->_entire_mapcount) && folio_test_anon(folio))
		mod_vm_stat(NR_ANON_THPS, -1);
	list_for_each_entry_safe(item, tmp, &items, node)
		list_move_tail(&item->node, &folio->pnm_rmap);
	spin_unlock(lock);
	free(pmd_item);
	return 0;

out_free_items:
	list_for_each_entry_safe(item, tmp, &items, node) {
		list_del(&item->node);
		free(item);
	}
	return -ENOMEM;
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
 * The item is allocated before anything changes, so -ENOMEM and -EBUSY
 * both leave the page as it was.
 */
int folio_try_dup_anon_rmap_pte(struct folio *folio, struct page *page,
				struct vm_area_struct *dst_vma,
				struct vm_area_struct *src_vma, unsigned long address)
{
	spinlock_t *lock = folio_rmap_lock(folio);
	struct pnm_rmap_item *item;
	bool excl = PageAnonExclusive(page);

	check_map_args(folio, page, address, PNM_RMAP_PTE);
	if (excl && folio_needs_cow_for_dma(src_vma, folio))
		return -EBUSY;
	item = rmap_item_alloc(dst_vma->vm_mm, address, PNM_RMAP_PTE, page_to_pfn(page));
	if (!item)
		return -ENOMEM;
	spin_lock(lock);
	if (excl)
		ClearPageAnonExclusive(page);
	add_item_locked(folio, page, item, false);
	spin_unlock(lock);
	return 0;
}

/* folio_try_dup_anon_rmap_pmd - fork of a PMD mapping: all 512 pages lose
 * PG_anon_exclusive unless the folio may be pinned (-EBUSY). */
int folio_try_dup_anon_rmap_pmd(struct folio *folio,
				struct vm_area_struct *dst_vma,
				struct vm_area_struct *src_vma, unsigned long address)
{
	spinlock_t *lock = folio_rmap_lock(folio);
	unsigned long i, nr = folio_nr_pages(folio);
	struct pnm_rmap_item *item;
	bool excl = false;

	check_map_args(folio, &folio->page, address, PNM_RMAP_PMD);
	for (i = 0; i < nr && !excl; i++)
		excl = PageAnonExclusive(folio_page(folio, i));
	if (excl && folio_needs_cow_for_dma(src_vma, folio))
		return -EBUSY;
	item = rmap_item_alloc(dst_vma->vm_mm, address, PNM_RMAP_PMD, folio_pfn(folio));
	if (!item)
		return -ENOMEM;
	spin_lock(lock);
	for (i = 0; excl && i < nr; i++)
		ClearPageAnonExclusive(folio_page(folio, i));
	add_item_locked(folio, &folio->page, item, false);
	spin_unlock(lock);
	return 0;
}

/* folio_dup_file_rmap_pte - fork: the child's PTE at @address maps the
 * page-cache @page too.  Both ptls held.  0 or -ENOMEM. */
int folio_dup_file_rmap_pte(struct folio *folio, struct page *page,
			    struct vm_area_struct *dst_vma, unsigned long address)
{
	return folio_add_file_rmap_pte(folio, page, dst_vma, address);
}

/* folio_dup_file_rmap_pmd - fork: the child maps page-cache @folio by
 * PMD too.  Both PMD locks held.  0 or -ENOMEM. */
int folio_dup_file_rmap_pmd(struct folio *folio,
			    struct vm_area_struct *dst_vma, unsigned long address)
{
	return folio_add_file_rmap_pmd(folio, dst_vma, address);
}

/* --- mapcounts --------------------------------------------------------------*/

/*
 * folio_mapcount - PTE mappings of every page plus PMD mappings times the
 * number of pages.  Lockless snapshot; exact if the caller holds the rmap
 * lock or otherwise excludes mapping changes.
 */
int folio_mapcount(struct folio *folio)
{
	unsigned long i, nr = folio_nr_pages(folio);
	int sum = atomic_read(&folio->_entire_mapcount) * (int)nr;

	for (i = 0; i < nr; i++)
		sum += atomic_read(&folio_page(folio, i)->_mapcount);
	return sum;
}

/* folio_mapped - is any page of @folio mapped anywhere?  Lockless. */
bool folio_mapped(struct folio *folio)
{
	unsigned long i, nr = folio_nr_pages(folio);

	if (atomic_read(&folio->_entire_mapcount) > 0)
		return true;
	for (i = 0; i < nr; i++)
		if (atomic_read(&folio_page(folio, i)->_mapcount) > 0)
			return true;
	return false;
}

/* --- locking the mms that map a folio -------------------------------------- */

#define LOCK_MMS_ATTEMPTS	4

static bool set_contains(const struct pnm_rmap_mms *set, struct mm_struct *mm)
{
	int i;

	for (i = 0; i < set->nr; i++)
		if (set->mms[i] == mm)
			return true;
	return false;
}

/*
 * Collect the distinct mms of @folio's items and mmgrab() each under the
 * rmap lock: an item exists only while its mm is alive (exit_mmap removes
 * the item before the mm can be freed), so the grab is safe there.
 * 0, -ENOMEM, or -EAGAIN if the items grew between counting and collecting.
 */
static int snapshot_mms(struct folio *folio, struct pnm_rmap_mms *set)
{
	spinlock_t *lock = folio_rmap_lock(folio);
	struct pnm_rmap_item *item;
	int n = 0, i;
	bool overflow = false;

	spin_lock(lock);
	list_for_each_entry(item, &folio->pnm_rmap, node)
		n++;
	spin_unlock(lock);

	set->nr = 0;
	set->mms = malloc(sizeof(*set->mms) * (size_t)(n ? n : 1));
	if (!set->mms)
		return -ENOMEM;
	spin_lock(lock);
	list_for_each_entry(item, &folio->pnm_rmap, node) {
		if (set_contains(set, item->mm))
			continue;
		if (set->nr == n) {
			overflow = true;
			break;
		}
		mmgrab(item->mm);
		set->mms[set->nr++] = item->mm;
	}
	spin_unlock(lock);
	if (!overflow)
		return 0;
	for (i = 0; i < set->nr; i++)
		mmdrop(set->mms[i]);
	free(set->mms);
	set->mms = NULL;
	set->nr = 0;
	return -EAGAIN;
}

/* Drop the first @locked mms' read locks, every grab, and the array. */
static void release_mms(struct pnm_rmap_mms *set, int locked)
{
	int i;

	for (i = 0; i < locked; i++)
		mmap_read_unlock(set->mms[i]);
	for (i = 0; i < set->nr; i++)
		mmdrop(set->mms[i]);
	free(set->mms);
	set->mms = NULL;
	set->nr = 0;
}

/* After locking: does the set still cover every item (no fork slipped in)? */
static bool set_covers_items(struct folio *folio, const struct pnm_rmap_mms *set)
{
	spinlock_t *lock = folio_rmap_lock(folio);
	struct pnm_rmap_item *item;
	bool ok = true;

	spin_lock(lock);
	list_for_each_entry(item, &folio->pnm_rmap, node) {
		if (!set_contains(set, item->mm)) {
			ok = false;
			break;
		}
	}
	spin_unlock(lock);
	return ok;
}

/*
 * pnm_rmap_lock_mms - read-lock (trylock) every mm mapping the locked
 * @folio (rmap.h).  mmap_lock is outside the folio lock in the lock order,
 * so blocking on it here could deadlock against a fault that holds it and
 * waits for our folio lock: only trylocks, and -EAGAIN on contention.
 */
int pnm_rmap_lock_mms(struct folio *folio, struct pnm_rmap_mms *set)
{
	int attempt, i, ret;

	VM_BUG_ON_PAGE(!folio_test_locked(folio), &folio->page);
	set->mms = NULL;
	set->nr = 0;
	for (attempt = 0; attempt < LOCK_MMS_ATTEMPTS; attempt++) {
		ret = snapshot_mms(folio, set);
		if (ret == -EAGAIN)
			continue;
		if (ret)
			return ret;
		/* No mm_users reference: see rmap.h for why the read
		 * lock alone keeps each mm intact. */
		for (i = 0; i < set->nr; i++)
			if (!mmap_read_trylock(set->mms[i]))
				break;
		if (i < set->nr) {
			release_mms(set, i);
			return -EAGAIN;
		}
		if (set_covers_items(folio, set))
			return 0;
		release_mms(set, set->nr);
	}
	return -EAGAIN;
}

/*
 * pnm_rmap_unlock_mms - release what pnm_rmap_lock_mms() took: the read
 * locks and the struct references (mmdrop never tears an address space
 * down, so this is safe under the folio lock).  An exit that was waiting
 * for our read lock proceeds afterwards, so no migration entry may remain.
 * @set is emptied.
 */
void pnm_rmap_unlock_mms(struct pnm_rmap_mms *set)
{
	release_mms(set, set->nr);
}

/* --- walking --------------------------------------------------------------- */

struct walk_entry {
	struct mm_struct *mm;
	unsigned long address;
	enum pnm_rmap_level level;
	bool migration;
};

/*
 * rmap_walk_locked - call @rwc->rmap_one for each item of @folio, from a
 * snapshot taken under the rmap lock (the callback may change the list).
 * Folio locked, mms locked.  Items whose address has no VMA are skipped.
 * If the snapshot cannot be allocated nothing is visited and a warning is
 * counted (callers see the folio still mapped).
 */
void rmap_walk_locked(struct folio *folio, struct rmap_walk_control *rwc)
{
	spinlock_t *lock = folio_rmap_lock(folio);
	struct pnm_rmap_item *item;
	struct walk_entry *snap = NULL;
	int n, i, cap = 0;

	VM_BUG_ON_PAGE(!folio_test_locked(folio), &folio->page);
	for (;;) {
		n = 0;
		spin_lock(lock);
		list_for_each_entry(item, &folio->pnm_rmap, node) {
			if (n < cap) {
				snap[n].mm = item->mm;
				snap[n].address = item->address;
				snap[n].level = item->level;
				snap[n].migration = item->migration;
			}
			n++;
		}
		spin_unlock(lock);
		if (n <= cap)
			break;
		free(snap);
		cap = n;
		snap = malloc(sizeof(*snap) * (size_t)cap);
		if (VM_WARN_ON_ONCE(!snap))
			return;
	}
	for (i = 0; i < n; i++) {
		struct vm_area_struct *vma = vma_lookup(snap[i].mm, snap[i].address);

		if (!vma)
			continue;
		if (!rwc->rmap_one(folio, vma, snap[i].address, snap[i].level,
				   snap[i].migration, rwc->arg))
			break;
	}
	free(snap);
}

/* --- migration entries ----------------------------------------------------- */

static swp_entry_t make_migration_entry(unsigned long pfn, bool writable, bool excl)
{
	if (writable)
		return make_writable_migration_entry(pfn);
	if (excl)
		return make_readable_exclusive_migration_entry(pfn);
	return make_readable_migration_entry(pfn);
}

/* Under the entry's ptl: is there still a present item for @key? */
static bool present_item_exists(struct folio *folio, const struct rmap_key *key)
{
	spinlock_t *lock = folio_rmap_lock(folio);
	bool found;

	spin_lock(lock);
	found = find_item(folio, key->mm, key->address, key->level, false) != NULL;
	spin_unlock(lock);
	return found;
}

/* Under the entry's ptl: the present item for @key becomes a migration item
 * remembering @saved, and goes to the tail (walkers pick from the head). */
static void item_to_migration(struct folio *folio, const struct rmap_key *key,
			      pteval_t saved)
{
	spinlock_t *lock = folio_rmap_lock(folio);
	struct pnm_rmap_item *item;

	spin_lock(lock);
	item = find_item(folio, key->mm, key->address, key->level, false);
	VM_BUG_ON_PAGE(!item, &folio->page);
	item->saved_bits = saved;
	set_migration_locked(folio, item, true);
	list_move_tail(&item->node, &folio->pnm_rmap);
	spin_unlock(lock);
}

/*
 * Replace the PTE of @key by a migration entry.  Returns true if done (or
 * if the mapping went away meanwhile), false if the page may be pinned or
 * the tables disagree with the item (the entry is then left as it was).
 */
static bool migrate_one_pte(struct folio *folio, const struct rmap_key *key)
{
	struct mm_struct *mm = key->mm;
	struct page *page = pfn_to_page(key->pfn);
	bool excl = false, gone;
	spinlock_t *ptl;
	pte_t *ptep, old;
	pmd_t *pmd;

	pmd = pnm_pmd_lookup(mm, key->address);
	ptep = pmd ? pte_offset_map_lock(mm, pmd, key->address, &ptl) : NULL;
	if (!ptep)
		return !present_item_exists(folio, key);
	old = ptep_get(ptep);
	if (!pte_present(old) || pte_pfn(old) != key->pfn) {
		gone = !present_item_exists(folio, key);
		pte_unmap_unlock(ptep, ptl);
		return gone;
	}
	if (folio_test_anon(folio))
		excl = PageAnonExclusive(page);
	/* seq_cst exchange: pairs with gup-fast's pin-then-recheck (pgtable.h) */
	old = ptep_get_and_clear(mm, key->address, ptep);
	if (excl && folio_try_share_anon_rmap_pte(folio, page)) {
		set_pte_at(mm, key->address, ptep, old);
		pte_unmap_unlock(ptep, ptl);
		return false;
	}
	if (pte_dirty(old))
		SetPageDirty(&folio->page);
	set_pte_at(mm, key->address, ptep,
		   swp_entry_to_pte(make_migration_entry(key->pfn, pte_write(old), excl)));
	item_to_migration(folio, key, pte_val(old) & ~(_PAGE_PFN_MASK | _PAGE_RW));
	pte_unmap_unlock(ptep, ptl);
	/* The entry holds no reference (rmap.h); the caller's keeps the folio. */
	folio_put(folio);
	return true;
}

/* As migrate_one_pte() for a PMD mapping: a PMD migration entry. */
static bool migrate_one_pmd(struct folio *folio, const struct rmap_key *key)
{
	struct mm_struct *mm = key->mm;
	bool excl = false, gone;
	spinlock_t *ptl;
	pmd_t *pmd, old;

	pmd = pnm_pmd_lookup(mm, key->address);
	if (!pmd)
		return !present_item_exists(folio, key);
	ptl = pmd_lock(mm, pmd);
	old = pmdp_get(pmd);
	if (!pmd_trans_huge(old) || pmd_pfn(old) != folio_pfn(folio)) {
		gone = !present_item_exists(folio, key);
		spin_unlock(ptl);
		return gone;
	}
	if (folio_test_anon(folio))
		excl = PageAnonExclusive(&folio->page);
	/* seq_cst exchange: pairs with gup-fast's pin-then-recheck */
	old = pmdp_huge_get_and_clear(mm, key->address, pmd);
	if (excl && folio_try_share_anon_rmap_pmd(folio)) {
		set_pmd_at(mm, key->address, pmd, old);
		spin_unlock(ptl);
		return false;
	}
	if (pmd_dirty(old))
		SetPageDirty(&folio->page);
	/* The deposited PTE table stays with the entry (huge_memory.c). */
	set_pmd_at(mm, key->address, pmd,
		   swp_entry_to_pmd(make_migration_entry(key->pfn, pmd_write(old), excl)));
	item_to_migration(folio, key, pmd_val(old) & ~(_PAGE_PFN_MASK | _PAGE_RW));
	spin_unlock(ptl);
	folio_put(folio);
	return true;
}

/*
 * try_to_migrate - replace every present mapping of the locked @folio by a
 * migration entry (rmap.h).  Each round picks the first present item;
 * converted items move to the list's tail, so the loop ends when none is
 * left or a step fails.
 */
bool try_to_migrate(struct folio *folio)
{
	struct rmap_key key;
	bool ok;

	VM_BUG_ON_PAGE(!folio_test_locked(folio), &folio->page);
	while (first_item(folio, false, &key)) {
		if (key.level == PNM_RMAP_PTE)
			ok = migrate_one_pte(folio, &key);
		else
			ok = migrate_one_pmd(folio, &key);
		if (!ok)
			return false;
	}
	return !folio_mapped(folio);
}

/*
 * Take the migration item for @key off @src's list.  Only the migrator
 * (who holds @src locked) removes migration items, so it is there.
 */
static struct pnm_rmap_item *detach_migration_item(struct folio *src,
						   const struct rmap_key *key)
{
	spinlock_t *lock = folio_rmap_lock(src);
	struct pnm_rmap_item *item;

	spin_lock(lock);
	item = find_item(src, key->mm, key->address, key->level, true);
	VM_BUG_ON_PAGE(!item, &src->page);
	list_del(&item->node);
	spin_unlock(lock);
	return item;
}

/* Put a restored @item on @folio's list, mapping @page; account it. */
static void attach_restored_item(struct folio *folio, struct page *page,
				 struct pnm_rmap_item *item, bool excl)
{
	spinlock_t *lock = folio_rmap_lock(folio);

	item->pfn = page_to_pfn(page);
	item->migration = false;
	spin_lock(lock);
	add_item_locked(folio, page, item, excl && folio_test_anon(folio));
	spin_unlock(lock);
}

/* Is @e still the migration entry @key installed? */
static bool is_our_migration_entry(pteval_t e, const struct rmap_key *key)
{
	swp_entry_t entry = { e };

	return e && !(e & _PAGE_PRESENT) && is_migration_entry(entry) &&
	       swp_offset_pfn(entry) == key->pfn;
}

static struct page *target_page(struct folio *src, struct folio *dst,
				unsigned long pfn)
{
	return pfn_to_page(folio_pfn(dst) + (pfn - folio_pfn(src)));
}

static void restore_one_pte(struct folio *src, struct folio *dst,
			    const struct rmap_key *key)
{
	struct mm_struct *mm = key->mm;
	struct pnm_rmap_item *item;
	struct folio *tfolio;
	struct page *tpage;
	spinlock_t *ptl;
	pte_t *ptep = NULL;
	pmd_t *pmd;
	swp_entry_t entry;
	bool writable;

	pmd = pnm_pmd_lookup(mm, key->address);
	if (pmd)
		ptep = pte_offset_map_lock(mm, pmd, key->address, &ptl);
	item = detach_migration_item(src, key);
	if (!ptep || !is_our_migration_entry(pte_val(ptep_get(ptep)), key)) {
		/* Zapped meanwhile (MADV_DONTNEED): the item is stale. */
		if (ptep)
			pte_unmap_unlock(ptep, ptl);
		free(item);
		return;
	}
	entry = pte_to_swp_entry(ptep_get(ptep));
	writable = is_writable_migration_entry(entry);
	tpage = target_page(src, dst, key->pfn);
	tfolio = page_folio(tpage);
	/* The restored mapping's reference (rmap.h). */
	folio_get(tfolio);
	attach_restored_item(tfolio, tpage, item,
			     writable || is_readable_exclusive_migration_entry(entry));
	/* Release store: a lockless walker that sees the PTE sees the folio's
	 * reference, mapcount and data (pairs with ptep_get_lockless). */
	set_pte_at(mm, key->address, ptep,
		   __pte((page_to_pfn(tpage) << PAGE_SHIFT) | item->saved_bits |
			 (writable ? _PAGE_RW : 0)));
	pte_unmap_unlock(ptep, ptl);
}

static void restore_one_pmd(struct folio *src, struct folio *dst,
			    const struct rmap_key *key)
{
	struct mm_struct *mm = key->mm;
	struct pnm_rmap_item *item;
	struct folio *tfolio;
	spinlock_t *ptl = NULL;
	pmd_t *pmd;
	swp_entry_t entry;
	bool writable;

	pmd = pnm_pmd_lookup(mm, key->address);
	if (pmd)
		ptl = pmd_lock(mm, pmd);
	item = detach_migration_item(src, key);
	if (!pmd || !is_our_migration_entry(pmd_val(pmdp_get(pmd)), key)) {
		if (ptl)
			spin_unlock(ptl);
		free(item);
		return;
	}
	entry = pmd_to_swp_entry(pmdp_get(pmd));
	writable = is_writable_migration_entry(entry);
	tfolio = page_folio(target_page(src, dst, key->pfn));
	VM_BUG_ON_PAGE(folio_order(tfolio) != HPAGE_PMD_ORDER, &tfolio->page);
	folio_get(tfolio);
	attach_restored_item(tfolio, &tfolio->page, item,
			     writable || is_readable_exclusive_migration_entry(entry));
	/* Release store, as for PTEs; saved_bits still hold _PAGE_PSE. */
	set_pmd_at(mm, key->address, pmd,
		   __pmd((folio_pfn(tfolio) << PAGE_SHIFT) | item->saved_bits |
			 (writable ? _PAGE_RW : 0)));
	spin_unlock(ptl);
}

/*
 * remove_migration_ptes - turn @src's migration entries into mappings of
 * @dst (rmap.h).  Each round restores (or discards) the first migration
 * item on @src's list and takes it off that list, so the loop ends.
 */
void remove_migration_ptes(struct folio *src, struct folio *dst)
{
	struct rmap_key key;

	while (first_item(src, true, &key)) {
		if (key.level == PNM_RMAP_PTE)
			restore_one_pte(src, dst, &key);
		else
			restore_one_pmd(src, dst, &key);
	}
}

/* --- unmapping and cleaning page-cache folios ------------------------------ */

/*
 * Writeback, truncate and reclaim reach the PTEs of a page-cache folio
 * from the folio: locked folio, mms trylocked (pnm_rmap_lock_mms), then a
 * walk over a snapshot of the items (rmap_walk_locked).  With the folio
 * locked and the mms read-locked no mapping can be added (file faults map
 * an existing folio only under its lock; fork needs mmap_lock for write),
 * but one may still go (MADV_DONTNEED, a COW of a private mapping), so
 * each step re-reads its PTE under the ptl and skips one that no longer
 * maps the folio.  Page-cache folios are only mapped by PTEs in the model.
 *
 * Both clear the PTE with a seq_cst exchange before they change or drop
 * it: that pairs with gup-fast's "grab, then re-read the entry" (rmap.h),
 * so a lockless walker either sees the change and backs out, or its
 * reference is visible to whoever looks after us (truncate, reclaim).
 */

/* The PTE at @address of @vma, locked, if it maps a page of @folio. */
static pte_t *folio_pte_lock(struct folio *folio, struct vm_area_struct *vma,
			     unsigned long address, spinlock_t **ptlp)
{
	struct mm_struct *mm = vma->vm_mm;
	unsigned long nr = folio_nr_pages(folio);
	pmd_t *pmd = pnm_pmd_lookup(mm, address);
	pte_t *ptep, entry;

	if (!pmd)
		return NULL;
	ptep = pte_offset_map_lock(mm, pmd, address, ptlp);
	if (!ptep)
		return NULL;
	entry = ptep_get(ptep);
	if (!pte_present(entry) || pte_pfn(entry) - folio_pfn(folio) >= nr) {
		pte_unmap_unlock(ptep, *ptlp);
		return NULL;
	}
	return ptep;
}

/* rmap_walk_locked() callback of folio_mkclean(); @arg counts PTEs. */
static bool mkclean_one(struct folio *folio, struct vm_area_struct *vma,
			unsigned long address, enum pnm_rmap_level level,
			bool migration, void *arg)
{
	struct mm_struct *mm = vma->vm_mm;
	int *cleaned = arg;
	spinlock_t *ptl;
	pte_t *ptep, old;

	if (migration)
		return true;
	if (level != PNM_RMAP_PTE) {
		VM_WARN_ON_ONCE(1);	/* no PMD-mapped cache folios */
		return true;
	}
	ptep = folio_pte_lock(folio, vma, address, &ptl);
	if (!ptep)
		return true;
	old = ptep_get(ptep);
	if (pte_write(old) || pte_dirty(old)) {
		/* seq_cst exchange, then the release store of the clean,
		 * read-only entry (see above). */
		old = ptep_get_and_clear(mm, address, ptep);
		set_pte_at(mm, address, ptep, pte_mkclean(pte_wrprotect(old)));
		(*cleaned)++;
		count_vm_event(PNM_PAGE_MKCLEAN);
	}
	pte_unmap_unlock(ptep, ptl);
	return true;
}

/*
 * folio_mkclean - write-protect and clean every PTE of the locked page-
 * cache @folio (rmap.h).  Returns the number of PTEs that were writable or
 * dirty, 0 if it is not mapped, -EAGAIN (an mm busy; nothing changed) or
 * -ENOMEM.  The caller moves a PTE's dirtiness into the folio if the
 * result is positive (folio_clear_dirty_for_io re-dirties, as Linux).
 */
int folio_mkclean(struct folio *folio)
{
	struct rmap_walk_control rwc = { .rmap_one = mkclean_one };
	struct pnm_rmap_mms mms;
	int cleaned = 0, err;

	VM_BUG_ON_PAGE(!folio_test_locked(folio), &folio->page);
	VM_BUG_ON_PAGE(folio_test_anon(folio), &folio->page);
	/* Exact: new mappings need our folio lock. */
	if (!folio_mapped(folio))
		return 0;
	err = pnm_rmap_lock_mms(folio, &mms);
	if (err)
		return err;
	rwc.arg = &cleaned;
	rmap_walk_locked(folio, &rwc);
	pnm_rmap_unlock_mms(&mms);
	return cleaned;
}

struct unmap_state {
	bool dirty;		/* a removed PTE was dirty */
};

/* rmap_walk_locked() callback of try_to_unmap(). */
static bool unmap_one(struct folio *folio, struct vm_area_struct *vma,
		      unsigned long address, enum pnm_rmap_level level,
		      bool migration, void *arg)
{
	struct unmap_state *st = arg;
	spinlock_t *ptl;
	pte_t *ptep, old;

	if (migration || level != PNM_RMAP_PTE) {
		/* Migration holds the folio lock (we do); no PMD-mapped
		 * cache folios exist.  try_to_unmap() reports it mapped. */
		VM_WARN_ON_ONCE(1);
		return true;
	}
	ptep = folio_pte_lock(folio, vma, address, &ptl);
	if (!ptep)
		return true;
	/* seq_cst exchange: pairs with gup-fast (see above). */
	old = ptep_get_and_clear(vma->vm_mm, address, ptep);
	if (pte_dirty(old))
		st->dirty = true;
	folio_remove_rmap_pte(folio, pfn_to_page(pte_pfn(old)), vma, address);
	pte_unmap_unlock(ptep, ptl);
	/* The mapping's reference; the caller's keeps the folio alive. */
	folio_put(folio);
	return true;
}

/*
 * try_to_unmap - remove every mapping of the locked page-cache or dax
 * @folio (rmap.h).  A dirty PTE makes the folio dirty, through
 * folio_mark_dirty() once the ptls are dropped (we still hold the folio
 * lock it wants).  Returns 0 when the folio is left unmapped; -EINVAL for
 * an anon folio; -EAGAIN (nothing changed) or -ENOMEM from locking the
 * mms; -EBUSY if a mapping could not be removed (a PMD mapping, or no
 * memory for the walk's snapshot).
 */
int try_to_unmap(struct folio *folio)
{
	struct rmap_walk_control rwc = { .rmap_one = unmap_one };
	struct unmap_state st = { .dirty = false };
	struct pnm_rmap_mms mms;
	int err;

	VM_BUG_ON_PAGE(!folio_test_locked(folio), &folio->page);
	if (folio_test_anon(folio))
		return -EINVAL;
	if (!folio_mapped(folio))
		return 0;
	err = pnm_rmap_lock_mms(folio, &mms);
	if (err)
		return err;
	rwc.arg = &st;
	rmap_walk_locked(folio, &rwc);
	pnm_rmap_unlock_mms(&mms);
	if (st.dirty)
		folio_mark_dirty(folio);
	return folio_mapped(folio) ? -EBUSY : 0;
}
