/* SPDX-License-Identifier: MIT */
/*
 * rmap.h - reverse mapping: from a folio to every PTE/PMD that maps it,
 * the Linux way, without any process's mmap_lock.
 *
 * Anonymous folios.  folio->mapping is (struct anon_vma * | PAGE_MAPPING_ANON)
 * and folio->index the folio's page offset in the VMA that created it
 * (linear_page_index()).  An anon_vma is the "family" of an anonymous
 * region: every VMA that may map one of its folios is linked to it by a
 * struct anon_vma_chain, kept in the anon_vma's interval tree keyed by the
 * VMA's page offsets.  A VMA is linked to its own anon_vma (created at its
 * first anonymous fault, anon_vma_prepare) and, after fork, the child's
 * VMA is linked to every anon_vma the parent's VMA was (anon_vma_clone)
 * plus a new one of its own (anon_vma_fork), whose folios no other process
 * can map.  All anon_vmas of one fork family share a root, whose rwsem
 * protects every tree of the family.  So the mappings of an anon folio are
 * found by walking folio_anon_vma(folio)'s tree for the folio's offsets and
 * looking, in each VMA found, at the address those offsets have there.
 *
 * File folios (page cache, shmem, dax).  Every VMA that maps a file is in
 * its mapping->i_mmap interval tree, keyed by the file pages it covers,
 * under mapping->i_mmap_rwsem.  A walk looks at each VMA covering the
 * folio's index range.
 *
 * Walking (rmap_walk): the walker holds the anon_vma's root rwsem or
 * i_mmap_rwsem for read, which keeps every VMA in the tree alive and its
 * range and page tables in place (munmap and exit unlink a VMA from the
 * trees before they free its page tables; split, merge and fork change the
 * trees only with the lock held for write).  It then reads the page tables
 * of each VMA's mm directly, taking only the entry's ptl
 * (page_vma_mapped_walk).  No mmap_lock of any process is needed, so
 * migration, writeback, truncate and reclaim never wait for or fail on a
 * process that holds its own mmap_lock.
 *
 * Lock order (Linux's, see mm_types.h for the whole list):
 *
 *   mm->mmap_lock
 *     mapping->invalidate_lock
 *       folio lock
 *         mapping->i_mmap_rwsem
 *           anon_vma->root->rwsem
 *             mm->page_table_lock or a page-table ptl
 *               folio mapcount lock (folio_mapcount_lock(), model only)
 *
 * Lifetime of an anon_vma: a reference count.  Each anon_vma holds one on
 * itself while its tree is non-empty and one on its root while it exists;
 * walkers that leave a folio unmapped for a while (migration, split) take
 * one (folio_get_anon_vma) so the anon_vma outlives the unmapping.  The
 * memory is freed after an RCU grace period, so folio_get_anon_vma() and
 * folio_lock_anon_vma_read() may look at folio->mapping without any lock.
 *
 * Migration entries and references (the rule migrate.c, huge_memory.c and
 * memory.c rely on):
 *
 *   - A migration entry holds NO reference, counts in no mapcount, no RSS
 *     counter and no NR_* statistic: try_to_migrate() accounts each entry
 *     it installs exactly as an unmap and drops the mapping's reference.
 *     The migrator's own reference (and its folio lock) keep the folio
 *     alive, so after try_to_migrate() an unpinned folio has refcount == 1
 *     (the migrator's) + page-cache references, the value the refcount
 *     freeze expects.
 *   - The entry itself records everything needed to restore the mapping:
 *     the pfn, writable / readable-exclusive / readable, and the dirty,
 *     accessed and soft-dirty bits (pgtable.h); the permissions come from
 *     the VMA at restore time, as in Linux.
 *   - remove_migration_ptes(src, dst) takes one reference on the target
 *     folio for every entry it turns back into a present mapping and
 *     accounts it as a map.
 *   - Anyone else meeting a migration entry may copy it (fork: a writable
 *     entry becomes readable in parent and child), downgrade it (mprotect:
 *     writable becomes readable[-exclusive]), clear it (zap: it owns
 *     nothing to release) or wait for the migration to end (faults, and a
 *     partial zap or split of a PMD entry).  remove_migration_ptes()
 *     restores whatever entries it finds.
 *   - PG_anon_exclusive is not copied by the migrator: the entry type
 *     records it per page and remove_migration_ptes() sets it on the target
 *     page.
 */
#ifndef PNM_MODEL_RMAP_H
#define PNM_MODEL_RMAP_H

#include <model/mm.h>
#include <model/interval_tree.h>

struct anon_vma {
	/* the root of this fork family; set at creation, never changes */
	struct anon_vma *root;
	/* W: modifying any tree of the family; R: walking.  Only the
	 * root's is used. */
	struct rw_semaphore rwsem;
	/* references: itself while its tree is non-empty, each child
	 * (on the root), folio_get_anon_vma() holders; atomic */
	atomic_t refcount;
	/* child anon_vmas (anon_vma_fork) and VMAs whose vma->anon_vma
	 * this is; root rwsem (W) -- used to decide reuse at fork */
	unsigned long num_children;
	unsigned long num_active_vmas;
	/* the anon_vma this one was forked from (self for a root) */
	struct anon_vma *parent;
	/* anon_vma_chain links of the VMAs that may map our folios, keyed by
	 * each VMA's page offsets; root rwsem */
	struct pnm_itree_root rb_root;
	/* taken by mm_take_all_locks() (vma.c); only the root's is used,
	 * changed by the holder of mm_all_locks_mutex with the root rwsem
	 * held for write */
	bool mm_all_locks;
	/* the checker's stamp (pnm_check_vma_rmap(): a VMA's links name each
	 * anon_vma once); READ_ONCE/WRITE_ONCE, a hint only */
	unsigned long pnm_check_stamp;
};

/*
 * One link between a VMA and an anon_vma: on the VMA's list
 * (vma->anon_vma_chain; mmap_lock for write, or mmap_lock for read plus
 * mm->page_table_lock in anon_vma_prepare) and in the anon_vma's tree
 * (root rwsem).
 */
struct anon_vma_chain {
	struct vm_area_struct *vma;
	struct anon_vma *anon_vma;
	struct list_head same_vma;
	struct interval_tree_node rb;
};

/* The anon_vma of an anonymous folio (NULL for file folios).  Stable while
 * the folio is mapped and the caller holds a lock that keeps it mapped, or
 * holds a reference (folio_get_anon_vma). */
static inline struct anon_vma *folio_anon_vma(const struct folio *folio)
{
	unsigned long m = (unsigned long)READ_ONCE(folio->mapping);

	if (!(m & PAGE_MAPPING_ANON))
		return NULL;
	return (struct anon_vma *)(m - PAGE_MAPPING_ANON);
}

static inline void anon_vma_lock_write(struct anon_vma *av) { down_write(&av->root->rwsem); }
static inline void anon_vma_unlock_write(struct anon_vma *av) { up_write(&av->root->rwsem); }
static inline void anon_vma_lock_read(struct anon_vma *av) { down_read(&av->root->rwsem); }
static inline void anon_vma_unlock_read(struct anon_vma *av) { up_read(&av->root->rwsem); }

/*
 * anon_vma_prepare - make sure @vma has an anon_vma (its first anonymous
 * fault): allocate one with its chain link and publish it as
 * vma->anon_vma.  Caller holds mmap_lock (read is enough: racing faults
 * are serialised by mm->page_table_lock).  0 or -ENOMEM (nothing changed).
 */
int anon_vma_prepare(struct vm_area_struct *vma);
/*
 * anon_vma_clone - link @dst (a new VMA: split, or fork's copy) to every
 * anon_vma @src is linked to, and give it @src's anon_vma.  Caller holds
 * mmap_lock for write of @dst's mm.  0 or -ENOMEM (@dst unlinked again).
 */
int anon_vma_clone(struct vm_area_struct *dst, struct vm_area_struct *src);
/*
 * anon_vma_fork - fork: @vma (the child's copy of @pvma, not yet visible)
 * gets the parent's links (anon_vma_clone) and an anon_vma of its own,
 * child of @pvma's, so folios it creates from now on are walked only
 * through the child.  Reuses an anon_vma of the family that no VMA uses
 * any more instead of allocating one, as Linux does, so a chain of forks
 * does not grow the family without bound.  Nothing to do if @pvma has no
 * anon_vma.  Both mmap_locks held for write.  0 or -ENOMEM (nothing left
 * linked).
 */
int anon_vma_fork(struct vm_area_struct *vma, struct vm_area_struct *pvma);
/*
 * unlink_anon_vmas - take @vma out of every anon_vma tree and drop the
 * references that were only held for it; anon_vmas left without VMAs and
 * references are freed (after a grace period).  Before the VMA's page
 * tables are freed (munmap, exit) or when the VMA is discarded.  mmap_lock
 * held for write (or the mm is dying).
 */
void unlink_anon_vmas(struct vm_area_struct *vma);
/*
 * Around a change of @vma's vm_start / vm_end / vm_pgoff (split, merge,
 * moves): take its chain links out of their trees, and put them back
 * under the new range.  Root rwsem held for write (vma_rmap_lock).
 */
void anon_vma_interval_tree_pre_update_vma(struct vm_area_struct *vma);
void anon_vma_interval_tree_post_update_vma(struct vm_area_struct *vma);
/*
 * folio_get_anon_vma - a reference on the anon_vma of the anon @folio, so
 * it survives while the folio is unmapped (migration, split).  NULL if the
 * folio is not anonymous or no longer mapped (its anon_vma may be gone).
 * Lockless (RCU).  Release with put_anon_vma().
 */
struct anon_vma *folio_get_anon_vma(struct folio *folio);
void put_anon_vma(struct anon_vma *anon_vma);
/*
 * folio_lock_anon_vma_read - the anon_vma of the mapped anon @folio,
 * returned with its root rwsem held for read; NULL if the folio is not
 * anonymous or not mapped.  For walkers that hold no reference (the
 * checkers).  Release with anon_vma_unlock_read().
 */
struct anon_vma *folio_lock_anon_vma_read(struct folio *folio);

/* The interval trees (interval_tree.c). */
void vma_interval_tree_insert(struct vm_area_struct *vma, struct pnm_itree_root *root);
void vma_interval_tree_remove(struct vm_area_struct *vma, struct pnm_itree_root *root);
struct vm_area_struct *vma_interval_tree_iter_first(struct pnm_itree_root *root,
						    unsigned long first, unsigned long last);
struct vm_area_struct *vma_interval_tree_iter_next(struct vm_area_struct *vma,
						   unsigned long first, unsigned long last);
#define vma_interval_tree_foreach(vma, root, first, last)			\
	for ((vma) = vma_interval_tree_iter_first((root), (first), (last)); (vma); \
	     (vma) = vma_interval_tree_iter_next((vma), (first), (last)))
void anon_vma_interval_tree_insert(struct anon_vma_chain *avc, struct pnm_itree_root *root);
void anon_vma_interval_tree_remove(struct anon_vma_chain *avc, struct pnm_itree_root *root);
struct anon_vma_chain *anon_vma_interval_tree_iter_first(struct pnm_itree_root *root,
							 unsigned long first,
							 unsigned long last);
struct anon_vma_chain *anon_vma_interval_tree_iter_next(struct anon_vma_chain *avc,
							unsigned long first,
							unsigned long last);
#define anon_vma_interval_tree_foreach(avc, root, first, last)			\
	for ((avc) = anon_vma_interval_tree_iter_first((root), (first), (last)); (avc); \
	     (avc) = anon_vma_interval_tree_iter_next((avc), (first), (last)))

/*
 * The file side (vma.c): index a file VMA in its mapping's i_mmap
 * (vma_link_file) or take it out (unlink_file_vma); both take
 * i_mmap_rwsem for write.  No-ops for VMAs without a file.
 */
void vma_link_file(struct vm_area_struct *vma);
void unlink_file_vma(struct vm_area_struct *vma);
static inline void i_mmap_lock_write(struct address_space *m) { down_write(&m->i_mmap_rwsem); }
static inline void i_mmap_unlock_write(struct address_space *m) { up_write(&m->i_mmap_rwsem); }
static inline void i_mmap_lock_read(struct address_space *m) { down_read(&m->i_mmap_rwsem); }
static inline void i_mmap_unlock_read(struct address_space *m) { up_read(&m->i_mmap_rwsem); }

/*
 * vma_rmap_lock / vma_rmap_unlock - hold, for write, every reverse-map lock
 * that covers @vma (its file's i_mmap_rwsem, then its anon_vma root's
 * rwsem), so its range may change (vma.c: split, merge).  Caller holds
 * mmap_lock for write.
 */
void vma_rmap_lock(struct vm_area_struct *vma);
void vma_rmap_unlock(struct vm_area_struct *vma);
/*
 * mm_take_all_locks / mm_drop_all_locks - hold, for write, every reverse-
 * map lock of every VMA of @mm: each file's i_mmap_rwsem, then each
 * anon_vma family's root rwsem, each once (Linux's mm_take_all_locks()).
 * With them and mmap_lock (write) held, no reverse-map walker is inside
 * one of @mm's VMAs and no fault or munmap runs in @mm: nothing can be
 * between an mmu_notifier invalidate_range_start and its end for @mm
 * (mmu_notifier.c).  Callers are serialised by a global mutex, taken
 * after mmap_lock and before the reverse-map locks, which is what makes
 * holding many rwsems of one kind at once safe.  Caller holds @mm's
 * mmap_lock for write and no other model lock; drop with the same mmap_lock
 * still held.  Cannot fail.
 */
void mm_take_all_locks(struct mm_struct *mm);
void mm_drop_all_locks(struct mm_struct *mm);

#define RMAP_NONE	0x0
#define RMAP_EXCLUSIVE	0x1	/* the new mapping is anon-exclusive */

/*
 * The lock protecting @folio's mapcounts (page _mapcount, _entire_mapcount)
 * while they change.  Model only: Linux updates them with atomics.  Striped
 * by the 2 MiB block the folio lies in, so a large folio and the order-0
 * folios it is split into share one lock.  Innermost but for xa_lock and
 * zone->lock.
 */
spinlock_t *folio_mapcount_lock(struct folio *folio);

/*
 * Mapping bookkeeping.  Each function updates the mapcount(s), the per-mm
 * RSS counter and the NR_* statistics.  None touches the refcount: the
 * caller already holds (and transfers) the reference the new mapping owns.
 * Caller holds the ptl of the entry.  The _pte variants map one page
 * (@page, inside @folio); the _pmd variants map the whole (PMD-sized)
 * folio.  Nothing is allocated, so nothing can fail.  RMAP_EXCLUSIVE sets
 * PG_anon_exclusive on the mapped page(s) (all 512 for a PMD).  Removing
 * the last mapping of a page clears its PG_anon_exclusive; removing the
 * last mapping of some pages of a large anon folio while others stay
 * mapped queues it for a deferred split (mthp.c).
 */
/* A new folio becomes anonymous in @vma (which has an anon_vma:
 * anon_vma_prepare) at @address, aligned to the folio's size: mapping,
 * index, PG_swapbacked, then a PTE (order 0), a PMD (PMD order), or one
 * PTE per page (a multi-size THP, orders between: the caller installs
 * them and holds one reference per page). */
void folio_add_new_anon_rmap(struct folio *folio, struct vm_area_struct *vma,
			     unsigned long address, int flags);
void folio_add_anon_rmap_pte(struct folio *folio, struct page *page,
			     struct vm_area_struct *vma, unsigned long address, int flags);
void folio_add_anon_rmap_pmd(struct folio *folio, struct vm_area_struct *vma,
			     unsigned long address, int flags);
void folio_add_file_rmap_pte(struct folio *folio, struct page *page,
			     struct vm_area_struct *vma);
void folio_add_file_rmap_pmd(struct folio *folio, struct vm_area_struct *vma);
void folio_remove_rmap_pte(struct folio *folio, struct page *page,
			   struct vm_area_struct *vma);
/* @nr consecutive pages from @page, all of @folio (a zap's run): as @nr
 * folio_remove_rmap_pte() calls, but a deferred split is decided once. */
void folio_remove_rmap_ptes(struct folio *folio, struct page *page, unsigned long nr,
			    struct vm_area_struct *vma);
void folio_remove_rmap_pmd(struct folio *folio, struct vm_area_struct *vma);
/*
 * A PMD mapping of @folio becomes 512 PTE mappings of its pages
 * (__split_huge_pmd): page mapcounts rise by one, the entire mapcount
 * falls by one; RSS and NR_*_MAPPED do not move.  PMD lock held.
 */
void folio_split_pmd_rmap(struct folio *folio);
/*
 * Fork: duplicate the mapping of an anon page into the child.  If the page
 * is anon-exclusive and folio_needs_cow_for_dma() says it may be pinned,
 * returns -EBUSY and changes nothing (the caller copies the page for the
 * child).  Otherwise clears PG_anon_exclusive (the page becomes COW-shared),
 * accounts the child's mapping and returns 0.  Caller holds both ptls and
 * both mmap_locks for write.
 */
int folio_try_dup_anon_rmap_pte(struct folio *folio, struct page *page,
				struct vm_area_struct *dst_vma,
				struct vm_area_struct *src_vma);
int folio_try_dup_anon_rmap_pmd(struct folio *folio,
				struct vm_area_struct *dst_vma,
				struct vm_area_struct *src_vma);
void folio_dup_file_rmap_pte(struct folio *folio, struct page *page,
			     struct vm_area_struct *dst_vma);
void folio_dup_file_rmap_pmd(struct folio *folio, struct vm_area_struct *dst_vma);
/*
 * Before a temporary unmap that must remember exclusivity (migration):
 * full barrier, then -EBUSY if the folio may be pinned (the unmap must be
 * abandoned), else clear PG_anon_exclusive and return 0.
 */
int folio_try_share_anon_rmap_pte(struct folio *folio, struct page *page);
int folio_try_share_anon_rmap_pmd(struct folio *folio);

/* --- finding the entries that map a folio in one VMA ---------------------- */

#define PVMW_MIGRATION	0x1	/* look for migration entries, not mappings */

/*
 * page_vma_mapped_walk - the entries of @vma that map pages [pfn, pfn +
 * nr_pages) (page offsets from @pgoff): set them up with
 * DEFINE_FOLIO_VMA_WALK and call page_vma_mapped_walk() until it returns
 * false.  Each true return leaves one entry locked: a PTE (pvmw.pte, its
 * ptl in pvmw.ptl) or a PMD (pvmw.pte NULL, pvmw.pmd, the PMD lock in
 * pvmw.ptl), at pvmw.address.  With PVMW_MIGRATION it stops at migration
 * entries naming one of the pages instead of present mappings of them.
 * Stop early with page_vma_mapped_walk_done().  Caller holds a reverse-map
 * lock that covers @vma (or its mmap_lock).
 */
struct page_vma_mapped_walk {
	unsigned long pfn;
	unsigned long nr_pages;
	pgoff_t pgoff;
	struct vm_area_struct *vma;
	unsigned long address;
	pmd_t *pmd;
	pte_t *pte;
	spinlock_t *ptl;
	unsigned int flags;
};

#define DEFINE_FOLIO_VMA_WALK(name, _folio, _vma, _address, _flags)	\
	struct page_vma_mapped_walk name = {				\
		.pfn = folio_pfn(_folio),				\
		.nr_pages = folio_nr_pages(_folio),			\
		.pgoff = (_folio)->index,				\
		.vma = (_vma),						\
		.address = (_address),					\
		.flags = (_flags),					\
	}

bool page_vma_mapped_walk(struct page_vma_mapped_walk *pvmw);
void page_vma_mapped_walk_done(struct page_vma_mapped_walk *pvmw);

/*
 * The first address in @vma of page offsets [pgoff, pgoff + nr) (clipped
 * to vm_start), or -EFAULT if none of them lies in @vma.
 */
unsigned long vma_address(struct vm_area_struct *vma, pgoff_t pgoff, unsigned long nr);

/* --- walking every mapping of a folio -------------------------------------- */

/*
 * rmap_walk - call @rwc->rmap_one(folio, vma, address, arg) for each VMA
 * that may map a page of @folio, with @address the folio's first address
 * in that VMA (rmap_one finds the entries with page_vma_mapped_walk).
 * Returning false stops the walk; @rwc->done, if set, is asked after each
 * VMA whether to stop.  Locks: for a file folio, i_mmap_rwsem (read); for
 * an anon folio, the anon_vma root rwsem (read), with the anon_vma found
 * by @rwc->anon_lock if set (it returns it locked, or NULL: nothing to
 * walk), else by folio_anon_vma(): then the caller must keep it alive
 * (folio_get_anon_vma).  The folio must be locked, except for the
 * checkers' walks.
 */
struct rmap_walk_control {
	void *arg;
	bool (*rmap_one)(struct folio *folio, struct vm_area_struct *vma,
			 unsigned long address, void *arg);
	bool (*done)(struct folio *folio);
	struct anon_vma *(*anon_lock)(struct folio *folio);
};
void rmap_walk(struct folio *folio, struct rmap_walk_control *rwc);

/*
 * Replace every present mapping of the locked @folio by a migration entry
 * (Linux's try_to_migrate; PMD mappings become PMD migration entries that
 * keep their deposited table).  For an anon folio the caller holds a reference on its anon_vma
 * (folio_get_anon_vma).  A pinned anon page stops the walk
 * (folio_try_share_anon_rmap fails; that mapping is left present).
 * Returns true if the folio is no longer mapped anywhere; on false the
 * caller must still call remove_migration_ptes(f, f) to restore the
 * entries already installed.  Each converted mapping's reference is
 * dropped (see the reference rule above).
 */
bool try_to_migrate(struct folio *folio);
/*
 * Turn the migration entries naming pages of @src back into present
 * mappings of the same-index pages of @dst (@dst == @src to restore after
 * a failed migration or after a split, called once per new folio).  Walks
 * @dst's reverse map (its mapping and index are @src's).  Takes one
 * reference on @dst per restored mapping; rebuilds each PTE from the VMA's
 * protection and the entry's writability, dirty/accessed/soft-dirty bits
 * and exclusivity.  Entries zapped meanwhile are simply not found.  Folios
 * locked; for anon, the caller holds the anon_vma reference.  Cannot fail.
 * (migrate.c)
 */
void remove_migration_ptes(struct folio *src, struct folio *dst);

/*
 * Write-protect and clean every PTE mapping of the locked page-cache
 * @folio (Linux's folio_mkclean, used by writeback before it cleans a
 * folio): the next CPU write through any mapping faults and reaches
 * ->page_mkwrite.  Returns the number of PTEs that were writable or dirty
 * (the caller moves that dirtiness into the folio).  Counts
 * PNM_PAGE_MKCLEAN per PTE changed.  Cannot fail.
 */
int folio_mkclean(struct folio *folio);
/*
 * Unmap the locked page-cache (or dax) @folio from every process that maps
 * it (reclaim, truncate): each PTE is cleared, its dirty bit moved to the
 * folio, mapcount/RSS/NR_FILE_MAPPED updated and the mapping's reference
 * dropped.  An anon folio (reclaim, with the folio isolated) must be in
 * the swap cache: each PTE becomes the swap entry of its slot (exclusive
 * if the page was anon-exclusive, one more count on the slot,
 * MM_SWAPENTS), and a maybe-pinned page stops the walk
 * (folio_try_share_anon_rmap_pte); or lazily freed (MADV_FREE): each
 * clean PTE is cleared for good while nothing but reclaim's reference
 * and the mappings hold the folio, and a dirty one (written since) makes
 * it swap-backed again and stops the walk.  Any other anon folio is
 * -EINVAL.  Without TTU_IGNORE_MLOCK (reclaim) a VM_LOCKED VMA stops the
 * walk: its pages stay (mlock.c) and the mappings removed before it stay
 * removed.  Returns 0 when no mapping is left, -EBUSY if one could not be
 * removed (a VM_LOCKED one, a pinned or written page, or a PMD mapping,
 * which the model never reclaims).
 */
enum ttu_flags {
	TTU_IGNORE_MLOCK	= 0x8,	/* unmap VM_LOCKED VMAs too (truncate) */
};
int try_to_unmap(struct folio *folio, enum ttu_flags flags);
/*
 * folio_referenced - reclaim's question about the anon @folio: how many
 * of its PTEs and PMDs were accessed since the last look (their accessed
 * bits are cleared on the way), with the VMAs' flags OR-ed into
 * *@vm_flags (a VM_LOCKED VMA stops the walk and is reported there).
 * Needs neither the folio lock nor a reference on its anon_vma; takes the
 * anon_vma root rwsem for read and each entry's ptl.
 */
int folio_referenced(struct folio *folio, unsigned long *vm_flags);

/*
 * Check one folio: mapcounts against what a walk of its reverse map finds
 * in the page tables (per page, per level, per mm), refcount against the
 * mappings and cache references, flags, order, tails pointing at the
 * head, anon folios PG_swapbacked with a live anon_vma, PG_anon_exclusive
 * only on anon pages mapped by at most one mapping, and (where exact
 * per-page pin counts are kept) those counts adding up to a large folio's
 * _pincount, and (a large anon folio partly mapped and unlocked) that it
 * is on the deferred split queue.  Migration entries are accepted only
 * while the folio is locked.  Page-table frames and the
 * zero page get the checks that apply to them.  Call with the model
 * quiescent.  Reports with pnm_check_fail().  (debug.c)
 */
bool pnm_check_folio(struct folio *folio);
/*
 * Check the reverse-map links of @mm's VMAs: each anon VMA's chain (one
 * link per anon_vma, each in its anon_vma's tree under the VMA's current
 * range, vma->anon_vma among them, one family), each file VMA in its
 * mapping's i_mmap under its current range, and the trees' own shape.
 * mmap_lock held.  (vma.c)
 */
bool pnm_check_vma_rmap(struct mm_struct *mm);

#endif /* PNM_MODEL_RMAP_H */
