/* SPDX-License-Identifier: MIT */
/*
 * rmap.h - reverse mapping: from a folio to every PTE/PMD that maps it.
 *
 * Linux finds mappings through anon_vma chains and the file i_mmap tree;
 * the model keeps, per folio, an explicit list of the places it is mapped
 * (struct pnm_rmap_item: mm + address + level), in the spirit of the early
 * pte_chain rmap.  One item exists per present PTE or PMD mapping, and per
 * migration entry while a migration is in flight.  Items are added and
 * removed by the code that changes the entry, with the entry's ptl held,
 * under the folio's rmap lock (a striped lock hashed by pfn).
 *
 * Walking: the folio must be locked (stops new mappings of existing
 * folios: every path that maps an already-existing folio into a further mm
 * either holds the folio lock or holds the mmap_lock of an mm that already
 * maps it for write, i.e. fork).  The walker snapshots the items and
 * trylocks each distinct mm's mmap_lock for read: with those held and the
 * folio locked, the set of mappings cannot change under it.
 *
 * Migration entries and references (the rule migrate.c, huge_memory.c and
 * memory.c rely on):
 *
 *   - A migration entry holds NO reference, counts in no mapcount, no RSS
 *     counter and no NR_* statistic: try_to_migrate() accounts each entry
 *     it installs exactly as an unmap (mapcount, RSS, NR_*) and drops the
 *     mapping's reference with folio_put().  The migrator's own reference
 *     (and its folio lock) keep the folio alive.  So after try_to_migrate()
 *     an unpinned folio has refcount == 1 (the migrator's) + page-cache
 *     references, which is the value the refcount freeze expects (brief §10).
 *   - remove_migration_ptes(src, dst) takes one reference on the target
 *     folio for every entry it turns back into a present mapping, and
 *     accounts it as a map.  After a successful freeze the migrator sets
 *     dst's refcount to 1 + page-cache refs *before* calling it.
 *   - The entry's item stays on the source folio's list, marked
 *     ->migration, until remove_migration_ptes() moves it to the target
 *     folio (or frees it).
 *   - Zapping a migration entry (MADV_DONTNEED runs under mmap_lock read
 *     and may meet one): either wait for the migration to end, as a fault
 *     does (memory.c does), or just clear the entry under its ptl.  In the
 *     latter case change no refcount, mapcount, RSS counter or rmap item
 *     (the entry owns none); remove_migration_ptes() frees the item when it
 *     finds the entry gone.
 *   - Splitting a PMD migration entry is not done: __split_huge_pmd()
 *     waits for the migration to finish (as a fault does, brief §9).
 *   - PG_anon_exclusive is not copied by the migrator: the entry type
 *     (writable / readable-exclusive / readable) records it per page and
 *     remove_migration_ptes() sets it on the target page.
 */
#ifndef PINMM_RMAP_H
#define PINMM_RMAP_H

#include <pinmm/mm.h>

enum pnm_rmap_level { PNM_RMAP_PTE = 1, PNM_RMAP_PMD = 2 };

struct pnm_rmap_item {
	struct list_head node;		/* folio->pnm_rmap; folio rmap lock */
	struct mm_struct *mm;
	unsigned long address;		/* page (PTE) or PMD aligned */
	enum pnm_rmap_level level;
	bool migration;			/* entry is a migration entry */
	/* the page mapped (PTE) or the folio's head (PMD); for a migration
	 * item, the pfn recorded in the migration entry */
	unsigned long pfn;
	/* migration item: the replaced entry's flag bits (no pfn, no RW),
	 * restored verbatim by remove_migration_ptes() */
	pteval_t saved_bits;
};

#define RMAP_NONE	0x0
#define RMAP_EXCLUSIVE	0x1	/* the new mapping is anon-exclusive */

/* The striped lock protecting @folio's rmap list and mapcounts.  Hashed by
 * the 2 MiB block the folio lies in, so a large folio and the order-0
 * folios it is split into share one lock. */
spinlock_t *folio_rmap_lock(struct folio *folio);

/*
 * Mapping bookkeeping.  Each function updates the mapcount(s), the rmap
 * list, the per-mm RSS counter and the NR_* statistics.  None of them
 * touches the refcount: the caller already holds (and transfers) the
 * reference the new mapping owns.  Caller holds the ptl of the entry.
 * The _pte variants map one page (@page, inside @folio); the _pmd variants
 * map the whole (PMD-sized) folio.  Return -ENOMEM (nothing changed) if the
 * rmap item cannot be allocated, else 0.  RMAP_EXCLUSIVE sets
 * PG_anon_exclusive on the mapped page(s) (all 512 for a PMD).  Removing
 * the last mapping of a page clears its PG_anon_exclusive.  Removing a
 * mapping that has no item is a caller bug (VM_BUG_ON).
 */
int folio_add_new_anon_rmap(struct folio *folio, struct vm_area_struct *vma,
			    unsigned long address, int flags);	/* pte or pmd by order */
int folio_add_anon_rmap_pte(struct folio *folio, struct page *page,
			    struct vm_area_struct *vma, unsigned long address, int flags);
int folio_add_anon_rmap_pmd(struct folio *folio, struct vm_area_struct *vma,
			    unsigned long address, int flags);
int folio_add_file_rmap_pte(struct folio *folio, struct page *page,
			    struct vm_area_struct *vma, unsigned long address);
int folio_add_file_rmap_pmd(struct folio *folio, struct vm_area_struct *vma,
			    unsigned long address);
void folio_remove_rmap_pte(struct folio *folio, struct page *page,
			   struct vm_area_struct *vma, unsigned long address);
void folio_remove_rmap_pmd(struct folio *folio, struct vm_area_struct *vma,
			   unsigned long address);
/*
 * Convert the item of a present mapping at @address into a migration item
 * (@migration true: accounted as an unmap) or a migration item back into a
 * present one (false: accounted as a map of item->pfn).  Changes no
 * refcount and no PG_anon_exclusive bit.  Used by try_to_migrate(); the
 * caller holds the entry's ptl.
 */
void pnm_rmap_item_set_migration(struct folio *folio, struct mm_struct *mm,
				 unsigned long address, bool migration);

/*
 * Fork: duplicate the mapping of an anon page into the child.  If the page
 * is anon-exclusive and folio_needs_cow_for_dma() says it may be pinned,
 * returns -EBUSY and changes nothing (the caller copies the page for the
 * child).  Otherwise clears PG_anon_exclusive (the page becomes COW-shared),
 * adds the child's rmap item and returns 0 (-ENOMEM if the item cannot be
 * allocated).  Caller holds both ptls and both mmap_locks for write.
 */
int folio_try_dup_anon_rmap_pte(struct folio *folio, struct page *page,
				struct vm_area_struct *dst_vma,
				struct vm_area_struct *src_vma, unsigned long address);
int folio_try_dup_anon_rmap_pmd(struct folio *folio,
				struct vm_area_struct *dst_vma,
				struct vm_area_struct *src_vma, unsigned long address);
int folio_dup_file_rmap_pte(struct folio *folio, struct page *page,
			    struct vm_area_struct *dst_vma, unsigned long address);
int folio_dup_file_rmap_pmd(struct folio *folio,
			    struct vm_area_struct *dst_vma, unsigned long address);
/*
 * Before a temporary unmap that must remember exclusivity (migration):
 * full barrier, then -EBUSY if the folio may be pinned (the unmap must be
 * abandoned), else clear PG_anon_exclusive and return 0.
 */
int folio_try_share_anon_rmap_pte(struct folio *folio, struct page *page);
int folio_try_share_anon_rmap_pmd(struct folio *folio);

/*
 * A locked set of the mms that map a folio.  pnm_rmap_lock_mms() snapshots
 * the folio's items and, for each distinct mm, holds the struct (mmgrab)
 * and trylocks mmap_lock for read.  It deliberately takes no mm_users
 * reference: dropping the last one would run exit_mmap() under the folio
 * lock, against the lock order.  None is needed either: exit_mmap() holds
 * mmap_lock for write for the whole teardown, so while the read lock is
 * held the mm is either wholly intact or wholly torn down (and then it has
 * no items left).  Returns 0 with every lock held, or -EAGAIN (nothing
 * held) if some mmap_lock was busy, or -ENOMEM.  After locking, it
 * re-checks that every item's mm is in the set (a fork may have added
 * one), so on success the set of mms is closed: no further mm can start
 * mapping the folio.  The folio must be locked.  Release with
 * pnm_rmap_unlock_mms() once every migration entry is gone; it only
 * unlocks and mmdrops, so it is safe under the folio lock.
 */
struct pnm_rmap_mms {
	struct mm_struct **mms;
	int nr;
};
int pnm_rmap_lock_mms(struct folio *folio, struct pnm_rmap_mms *set);
void pnm_rmap_unlock_mms(struct pnm_rmap_mms *set);

/*
 * Visit each mapping of a folio (items snapshotted under the rmap lock).
 * @fn gets the VMA containing the address; returning false stops the walk.
 * The folio must be locked and the mms locked with pnm_rmap_lock_mms().
 */
struct rmap_walk_control {
	void *arg;
	bool (*rmap_one)(struct folio *folio, struct vm_area_struct *vma,
			 unsigned long address, enum pnm_rmap_level level,
			 bool migration, void *arg);
};
void rmap_walk_locked(struct folio *folio, struct rmap_walk_control *rwc);

/*
 * Replace every present mapping of the (locked) folio by a migration
 * entry that remembers writability and anon-exclusivity; mms locked.  A
 * pinned anon page stops the walk (folio_try_share_anon_rmap fails; that
 * mapping is left present).  Returns true if the folio is no longer mapped
 * anywhere; on false the caller must still call remove_migration_ptes(f, f)
 * to restore the entries already installed.  PMD mappings become PMD
 * migration entries.  Each converted mapping's reference is dropped (see
 * the reference rule above); the caller's reference keeps the folio alive.
 */
bool try_to_migrate(struct folio *folio);
/*
 * Turn migration entries for @src back into present mappings of @dst
 * (same order; @dst == @src to restore after a failed migration; for a
 * split, each entry maps the page of @dst at the same index).  The target
 * page is pfn_to_page(folio_pfn(dst) + entry pfn - folio_pfn(src)) and its
 * folio is page_folio() of it, so after a split (@src == @dst == the old
 * head) every entry lands in the order-0 folio of its own page.  Takes one
 * reference on the target folio per restored mapping; restores the saved
 * dirty/accessed bits, writability and PG_anon_exclusive from the entry;
 * moves the items to the target folio.  Entries zapped meanwhile are
 * skipped (their items freed).  Folio(s) locked, mms locked; cannot fail.
 */
void remove_migration_ptes(struct folio *src, struct folio *dst);

/*
 * Write-protect and clean every PTE mapping of the locked @folio (Linux's
 * folio_mkclean, used by writeback before it cleans a page cache folio):
 * the next CPU write through any mapping faults and reaches
 * ->page_mkwrite.  The PTEs' dirty bits are folded into the return value:
 * the number of PTEs that were writable or dirty.  Counts
 * PNM_PAGE_MKCLEAN per PTE changed.  Takes the mms with
 * pnm_rmap_lock_mms() itself: returns -EAGAIN (nothing changed) when one
 * is busy; the caller drops the folio lock, yields and retries.
 */
int folio_mkclean(struct folio *folio);
/*
 * Unmap the locked page-cache (or dax) @folio from every process that maps
 * it (reclaim, truncate): each PTE is cleared, its dirty bit moved to the
 * folio, rmap/RSS/NR_FILE_MAPPED updated and the mapping's reference
 * dropped.  Anon folios are not handled (-EINVAL).  Takes the mms itself
 * (-EAGAIN as folio_mkclean()).  Returns 0 when no mapping is left.
 */
int try_to_unmap(struct folio *folio);

/*
 * Check one folio: refcount/mapcount/rmap-list agreement, flags, order,
 * tails pointing at the head, anon folios PG_swapbacked, PG_anon_exclusive
 * only on anon pages mapped by at most one mapping.  Migration items are
 * accepted only while the folio is locked.  Page-table frames and the zero
 * page get the checks that apply to them.  Takes the folio's rmap lock;
 * call with the model quiescent.  Reports with pnm_check_fail().
 */
bool pnm_check_folio(struct folio *folio);

#endif /* PINMM_RMAP_H */
