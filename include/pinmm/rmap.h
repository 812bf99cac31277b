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
};

#define RMAP_NONE	0x0
#define RMAP_EXCLUSIVE	0x1	/* the new mapping is anon-exclusive */

/* The striped lock protecting @folio's rmap list and mapcounts. */
spinlock_t *folio_rmap_lock(struct folio *folio);

/*
 * Mapping bookkeeping.  Each function updates the mapcount(s), the rmap
 * list, the per-mm RSS counter and the NR_* statistics.  None of them
 * touches the refcount: the caller already holds (and transfers) the
 * reference the new mapping owns.  Caller holds the ptl of the entry.
 * The _pte variants map one page (@page, inside @folio); the _pmd variants
 * map the whole (PMD-sized) folio.  Return -ENOMEM (nothing changed) if the
 * rmap item cannot be allocated, else 0.
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
 * Convert the item of a present mapping into (or back from) a migration
 * entry item, and retarget it; used by try_to_migrate/remove_migration_ptes.
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
 * the folio's items and, for each distinct mm, takes mm_users (skipping
 * mms already exiting) and trylocks mmap_lock for read.  Returns 0 with
 * every lock held, or -EAGAIN (nothing held) if some mmap_lock was busy,
 * or -ENOMEM.  The folio must be locked.  Release with pnm_rmap_unlock_mms().
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
 * pinned anon page stops the walk (folio_try_share_anon_rmap fails).
 * Returns true if the folio is no longer mapped anywhere.  PMD mappings
 * become PMD migration entries.
 */
bool try_to_migrate(struct folio *folio);
/*
 * Turn migration entries for @src back into present mappings of @dst
 * (same order; @dst == @src to restore after a failed migration; for a
 * split, each entry maps the page of @dst at the same index).
 */
void remove_migration_ptes(struct folio *src, struct folio *dst);

/* Check one folio: refcount/mapcount/rmap-list agreement, flags, order. */
bool pnm_check_folio(struct folio *folio);

#endif /* PINMM_RMAP_H */
