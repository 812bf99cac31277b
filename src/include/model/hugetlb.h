/* SPDX-License-Identifier: MIT */
/*
 * hugetlb.h - huge pages set aside in pools (Linux's include/linux/hugetlb.h):
 * the hstates, the hugetlb folio's state, reservation maps, and the calls
 * the core makes for VM_HUGETLB mappings.
 *
 * Two page sizes (hstates): 2 MiB (order 9, mapped by a PMD leaf) and,
 * unless pnm_config.hugetlb_gigantic is off, 1 GiB (order 18, mapped by a
 * PUD leaf; "gigantic": larger than the buddy allocator's largest block,
 * so its pool pages are taken as 512 aligned, free 2 MiB blocks at once
 * and only from ZONE_NORMAL).  Each hstate has a pool:
 *
 *   nr_huge_pages       every hugetlb folio of the size (HugePages_Total):
 *                       free ones, those in use, surplus and temporary
 *   free_huge_pages     on the free list, refcount 0 (HugePages_Free)
 *   resv_huge_pages     promised to mappings, not yet faulted (Rsvd);
 *                       always <= free_huge_pages
 *   surplus_huge_pages  allocated beyond the persistent size because
 *                       nr_overcommit_huge_pages allowed it (Surp); they
 *                       go back to the buddy allocator when freed
 *   max_huge_pages      the persistent size last asked for (nr_hugepages)
 *
 * hugetlb folios (hugetlb.c) carry PG_hugetlb and, in folio->private, the
 * HPG_* bits below.  A free pool folio has refcount 0, no mapping and
 * HPG_freed, and sits on its hstate's free list (folio->lru); a folio in
 * use sits on the active list.  They are never on the file LRU, never
 * split, and counted in no NR_* statistic nor RSS counter (Linux keeps
 * them out of both; mm->hugetlb_usage counts what an mm maps).
 *
 * Mappings.  Every hugetlb VMA has VM_HUGETLB and a file on hugetlbfs
 * (fs/hugetlbfs.c): MAP_HUGETLB anonymous mappings get an unnamed one.
 * Its entries are PMD leaves (2 MiB) or PUD leaves (1 GiB) with the same
 * format as a THP's PMD (pfn, _PAGE_PSE), but no deposited table; the
 * core's walkers leave VM_HUGETLB VMAs to hugetlb_fault.c and generic
 * code that meets a PUD leaf (pnm_pmd_lookup) sees no table there.  A
 * shared mapping maps the file's page-cache folios; a private one maps
 * them read-only and copies on write into anonymous hugetlb folios (one
 * _entire_mapcount per mapping, PG_anon_exclusive on the head only, as
 * Linux).  Mapcounts change under the entry's lock (huge_pte_lockptr():
 * the PMD table's ptl for 2 MiB, mm->page_table_lock for 1 GiB) and the
 * folio's mapcount lock.
 *
 * Reservations (Linux's semantics).  mmap reserves: a shared mapping the
 * pages of its range the file has no reservation or page for yet (the
 * inode's resv_map records the reserved-or-instantiated page offsets), a
 * private one the whole range (its own resv_map, owned by the VMA that
 * mmap created, records the offsets already faulted: "consumed").  If the
 * pool cannot back them (free - resv, plus surplus within overcommit) mmap
 * fails with -ENOMEM.  MAP_NORESERVE reserves nothing.  A fault uses the
 * reservation of its offset if there is one, else needs a free page
 * nobody reserved or a new surplus page; if there is none the fault fails
 * with VM_FAULT_SIGBUS (GUP: -EFAULT).  fork gives the child no
 * reservation.  Unmapping a private owner's range returns its unused
 * reservations; truncating or evicting a file returns the file's.
 *
 * Locks (mm_types.h has the whole order):
 *   mmap_lock
 *     mapping->invalidate_lock   shared: hugetlb faults; exclusive:
 *                                truncate, hole punch, mmap's reservation
 *       hugetlb fault mutex      per (mapping, offset) hash: one fault of
 *                                a given page at a time, so two faults
 *                                never both allocate and one finds the
 *                                pool empty (Linux's)
 *         folio lock
 *           i_mmap_rwsem / anon_vma root rwsem
 *             mm->page_table_lock or PMD table ptl (the huge entry)
 *               folio mapcount lock
 *                 hugetlb_lock   the pools and every hstate counter; a
 *                                leaf (frames go back to the buddy
 *                                allocator after it is dropped)
 *                 resv_map->lock a reservation map's regions; a leaf
 */
#ifndef PNM_MODEL_HUGETLB_H
#define PNM_MODEL_HUGETLB_H

#include <model/mm.h>

#define HUGE_MAX_HSTATE		2
#define HUGETLB_PMD_ORDER	(PMD_SHIFT - PAGE_SHIFT)	/* 9: 2 MiB */
#define HUGETLB_PUD_ORDER	(PUD_SHIFT - PAGE_SHIFT)	/* 18: 1 GiB */

struct hstate {
	unsigned int order;		/* constant */
	bool enabled;			/* set at pnm_init(); constant */
	char name[32];			/* "hugepages-2048kB"; constant */
	/* The pool, all under hugetlb_lock: */
	unsigned long max_huge_pages;
	unsigned long nr_huge_pages;
	unsigned long free_huge_pages;
	unsigned long resv_huge_pages;
	unsigned long surplus_huge_pages;
	unsigned long nr_overcommit_huge_pages;
	struct list_head hugepage_freelist;	/* free folios, via folio->lru */
	struct list_head hugepage_activelist;	/* folios in use, via folio->lru */
};

/* [0]: 2 MiB, [1]: 1 GiB.  hugetlb.c. */
extern struct hstate hstates[HUGE_MAX_HSTATE];

static inline unsigned int huge_page_order(const struct hstate *h) { return h->order; }
static inline unsigned long huge_page_size(const struct hstate *h) { return PAGE_SIZE << h->order; }
static inline unsigned long huge_page_mask(const struct hstate *h) { return ~(huge_page_size(h) - 1); }
static inline unsigned int huge_page_shift(const struct hstate *h) { return h->order + PAGE_SHIFT; }
static inline unsigned long pages_per_huge_page(const struct hstate *h) { return 1UL << h->order; }
static inline bool hstate_is_gigantic(const struct hstate *h) { return h->order > MAX_PAGE_ORDER; }

/*
 * The hstate of a page size in bytes (2 MiB, 1 GiB), or NULL if there is
 * none or it is disabled (pnm_config.hugetlb_gigantic off).
 */
struct hstate *size_to_hstate(unsigned long size);

/* --- the hugetlb folio ---------------------------------------------------- */

static inline bool folio_test_hugetlb(const struct folio *folio)
{
	return test_bit(PG_hugetlb, &folio->page.flags);
}
/* The hugetlb folio state kept in folio->private (Linux's HPG_* bits):
 *   HPG_restore_reserve  the folio consumed a reservation that goes back
 *                        to resv_huge_pages if it is freed before a
 *                        mapping or the page cache commits it
 *   HPG_migratable       in use and mapped: migration may move it
 *   HPG_temporary        allocated for a migration beyond the pool: its
 *                        frames go back to the buddy allocator when freed
 *   HPG_freed            on its hstate's free list
 * Changed with atomic bitops. */
enum hugetlb_page_flags {
	HPG_restore_reserve,
	HPG_migratable,
	HPG_temporary,
	HPG_freed,
};
#define HPG_FNS(flag)							\
static inline bool folio_test_hugetlb_##flag(const struct folio *f)	\
{ return test_bit(HPG_##flag, &f->page.private); }			\
static inline void folio_set_hugetlb_##flag(struct folio *f)		\
{ set_bit(HPG_##flag, &f->page.private); }				\
static inline void folio_clear_hugetlb_##flag(struct folio *f)		\
{ clear_bit(HPG_##flag, &f->page.private); }
HPG_FNS(restore_reserve)
HPG_FNS(migratable)
HPG_FNS(temporary)
HPG_FNS(freed)
#undef HPG_FNS

/* The hstate of a hugetlb folio (by its order). */
struct hstate *folio_hstate(const struct folio *folio);

/* --- VMAs and files ------------------------------------------------------- */

static inline bool is_vm_hugetlb_page(const struct vm_area_struct *vma)
{
	return vma->vm_flags & VM_HUGETLB;
}
/* Is @file on hugetlbfs (fs/hugetlbfs.c)? */
bool is_file_hugepages(const struct file *file);
/* The hstate of a hugetlbfs file / of a hugetlb VMA (its file's). */
struct hstate *hstate_file(const struct file *file);
static inline struct hstate *hstate_vma(const struct vm_area_struct *vma)
{
	return hstate_file(vma->vm_file);
}
/* The page size a VMA is mapped with (Linux's vma_kernel_pagesize). */
static inline unsigned long vma_kernel_pagesize(const struct vm_area_struct *vma)
{
	return is_vm_hugetlb_page(vma) ? huge_page_size(hstate_vma(vma)) : PAGE_SIZE;
}

/*
 * A reservation map: a sorted set of page-offset ranges (in huge pages)
 * of a file (shared mappings: reserved or instantiated offsets) or of a
 * private mapping (offsets already faulted).  The inode's lives as long
 * as the inode; a private mapping's is shared by the halves of a split
 * VMA (refs) and freed with the last of them.  @lock protects the
 * ranges; a leaf.
 */
struct resv_map {
	spinlock_t lock;
	atomic_t refs;
	unsigned long *from, *to;	/* nr ranges [from[i], to[i]) */
	unsigned long nr, cap;
};
struct resv_map *resv_map_alloc(void);
void resv_map_put(struct resv_map *resv);
/* Pages of [f, t) in the map. */
long region_count(struct resv_map *resv, unsigned long f, unsigned long t);

/*
 * hugetlbfs (fs/hugetlbfs.c) gives hugetlb.c each inode's hstate and
 * reservation map; hugetlb.c gives hugetlbfs the reservation calls.
 */
struct resv_map *inode_resv_map(struct inode *inode);
struct hstate *hstate_inode(struct inode *inode);
/*
 * mmap of a hugetlbfs file: reserve the pages [from, to) (huge-page
 * offsets) for @vma as the comment at the top says, unless @vm_flags has
 * VM_NORESERVE.  A private @vma gets its own reservation map and becomes
 * its owner.  true, or false if the pool cannot back them (the caller
 * fails with -ENOMEM; nothing is left reserved) or no memory for the map.
 * Caller holds the inode's invalidate_lock exclusive and @vma's mmap_lock
 * for write.
 */
bool hugetlb_reserve_pages(struct inode *inode, unsigned long from, unsigned long to,
			   struct vm_area_struct *vma, unsigned long vm_flags);
/*
 * The file's pages [start, end) left the page cache (@freed of them were
 * cached): drop their offsets from the inode's map and give back the
 * reservations no page consumed.  Caller holds invalidate_lock exclusive
 * or is evicting the inode.
 */
void hugetlb_unreserve_pages(struct inode *inode, unsigned long start,
			     unsigned long end, long freed);
/*
 * Allocate the folio a fault (or fallocate, through a pseudo-VMA with
 * VM_SHARED|VM_MAYSHARE) of @addr in @vma needs: with the reservation of
 * the offset if it has one and !@avoid_reserve, else a free page nobody
 * reserved or a new surplus page.  The folio has refcount 1, is on the
 * active list, and carries HPG_restore_reserve if it consumed a
 * reservation; the offset is committed in the VMA's map.  Its contents
 * are not cleared.  ERR_PTR(-ENOSPC) if the pool has nothing for it,
 * ERR_PTR(-ENOMEM) if the reservation map needs memory it cannot get.
 * Caller holds the fault mutex of the offset (or invalidate_lock
 * exclusive: fallocate).  Takes hugetlb_lock and the map's lock.
 */
struct folio *alloc_hugetlb_folio(struct vm_area_struct *vma, unsigned long addr,
				  bool avoid_reserve);
/*
 * An allocated folio will not be used after all (a racing fault mapped
 * another, a page-cache insert lost): undo what alloc_hugetlb_folio()
 * committed for @addr so the reservation stays available.  The caller
 * then puts the folio (free_huge_folio() restores HPG_restore_reserve).
 */
void restore_reserve_on_error(struct hstate *h, struct vm_area_struct *vma,
			      unsigned long address, struct folio *folio);
/* The huge-page offset in its file of @address in @vma. */
static inline unsigned long vma_hugecache_offset(const struct hstate *h,
						 const struct vm_area_struct *vma,
						 unsigned long address)
{
	return ((address - vma->vm_start) >> huge_page_shift(h)) +
	       (vma->vm_pgoff >> huge_page_order(h));
}
/*
 * fork: @vma is the child's copy of a hugetlb VMA: a private mapping's
 * child owns no reservation (Linux's hugetlb_dup_vma_private).  The copy
 * has already been through vm_ops->open.  mmap_locks held for write.
 */
void hugetlb_dup_vma_private(struct vm_area_struct *vma);
/*
 * mremap moved the pages of the private hugetlb @vma (exactly the range
 * that moved, split off first) into a copy of it: the copy owns the
 * reservations of those offsets now, so @vma drops its reference on the
 * map and its owner mark, and its unmap returns nothing to the pool
 * (Linux's clear_vma_resv_huge_pages()).  Nothing for a shared mapping.
 * mmap_lock held for write.
 */
void clear_vma_resv_huge_pages(struct vm_area_struct *vma);
/* The vm_operations of every hugetlb VMA (hugetlb.c): open, close,
 * may_split (huge-page aligned only), fault (never called: the core calls
 * hugetlb_fault()), name. */
extern const struct vm_operations_struct hugetlb_vm_ops;

/* --- the pool ------------------------------------------------------------- */

/*
 * The last reference to a hugetlb folio is gone (folio_put_refs(), or a
 * migrated source frozen at 0): restore its reservation if it holds one,
 * then put it back on the free list, or give its frames back to the buddy
 * allocator if it is temporary or the pool has surplus pages.  Unmapped,
 * unpinned, unlocked, out of every page cache.  Takes hugetlb_lock.
 */
void free_huge_folio(struct folio *folio);
/*
 * A destination for migrating the hugetlb folio @src into zone @zone
 * (Linux's alloc_hugetlb_folio_nodemask(), the long-term pin's target):
 * a free pool folio of that zone nobody reserved, else a temporary one
 * from the buddy allocator (not for gigantic pages).  Refcount 1, or NULL.
 */
struct folio *alloc_hugetlb_migration_target(struct folio *src, enum zone_type zone);
/* Migration moved @old's contents to @new: @new takes @old's place in the
 * pool and, if @new was temporary, @old becomes temporary instead (it is
 * freed to the buddy allocator), as Linux's move_hugetlb_state(). */
void move_hugetlb_state(struct folio *old, struct folio *new);

/* --- mappings (hugetlb_fault.c) --------------------------------------------- */

/*
 * The huge entry of a hugetlb VMA at @addr, as a pte_t pointer to the PMD
 * (2 MiB) or PUD (1 GiB) slot (Linux's huge_pte_offset()/huge_pte_alloc());
 * NULL if the tables above it do not exist (offset) or cannot be
 * allocated (alloc).  Caller holds mmap_lock, or a reverse-map lock that
 * covers a VMA mapping @addr.
 */
pte_t *huge_pte_offset(struct mm_struct *mm, unsigned long addr, unsigned long sz);
pte_t *huge_pte_alloc(struct mm_struct *mm, unsigned long addr, unsigned long sz);
/* The lock of that entry: the PMD table's ptl, or mm->page_table_lock. */
spinlock_t *huge_pte_lockptr(const struct hstate *h, struct mm_struct *mm, pte_t *pte);
static inline pte_t huge_ptep_get(pte_t *ptep)
{
	return __pte(__atomic_load_n(&ptep->pte, __ATOMIC_ACQUIRE));
}

/*
 * handle_mm_fault() of a VM_HUGETLB VMA (Linux's hugetlb_fault): find or
 * allocate the huge page for @address, map it, break COW for a write (a
 * private mapping copies the whole huge page unless its anonymous folio
 * is mapped once), unshare for a R/O pin of a COW-shared folio, wait out
 * a migration.  Returns 0 or VM_FAULT_* (VM_FAULT_SIGBUS beyond the file
 * or when the pool has no page for it; VM_FAULT_OOM when page tables or
 * a reservation map cannot be allocated).  Caller holds mmap_lock.
 */
vm_fault_t hugetlb_fault(struct vm_area_struct *vma, unsigned long address,
			 unsigned int flags);
/*
 * Unmap [start, end) of the hugetlb @vma (huge-page aligned; munmap,
 * MADV_DONTNEED, exit, truncation), with the MMU notifier range around
 * it.  Caller holds @vma's mmap_lock, or its file's i_mmap_rwsem
 * (truncation: the VMA cannot go meanwhile).
 */
void unmap_hugepage_range(struct vm_area_struct *vma, unsigned long start,
			  unsigned long end);
/* fork's copy of @src_vma's huge entries into @dst_vma (Linux's
 * copy_hugetlb_page_range): shared ones are mapped again, private ones
 * COW-shared, and an exclusive anonymous folio that may be pinned is
 * copied for the child at once.  fork calls it for private mappings
 * only (a shared one's child refaults, as in Linux); it copies a shared
 * one all the same.  0 or -ENOMEM.  Both mmap_locks held for write. */
int copy_hugetlb_page_range(struct vm_area_struct *dst_vma,
			    struct vm_area_struct *src_vma);
/* mprotect of [start, end) (huge-page aligned) of the hugetlb @vma: every
 * entry gets @newprot (read-only in private mappings, where the next
 * write fault decides); writable migration entries become readable.
 * mmap_lock held for write. */
void hugetlb_change_protection(struct vm_area_struct *vma, unsigned long start,
			       unsigned long end, pteval_t newprot);
/*
 * mremap's move of the huge entries of [old_addr, old_addr + len) of the
 * hugetlb @vma to the same offsets from @new_addr (all huge-page
 * aligned; the target a new VMA of the same file, anon_vma family and
 * reservation map, linked already).  hugetlb_prepare_move() first makes
 * the target's PMD tables (2 MiB) or PUD tables (1 GiB) for every entry
 * that will move: 0, or -ENOMEM with nothing moved (the tables made so
 * far stay, empty).  move_hugetlb_page_tables() then moves the entries
 * -- present ones and migration entries, as they are -- and cannot fail:
 * the folios, their references, mapcounts, anon-exclusive bits and pins
 * are untouched, the reverse map finds them at the new address (same
 * index).  It runs inside one MMU_NOTIFY_UNMAP notification of the old
 * range with @vma's reverse-map locks held for write, and returns the
 * number of entries moved.  Both: mmap_lock held for write.
 */
int hugetlb_prepare_move(struct vm_area_struct *vma, unsigned long old_addr,
			 unsigned long new_addr, unsigned long len);
unsigned long move_hugetlb_page_tables(struct vm_area_struct *vma, unsigned long old_addr,
				       unsigned long new_addr, unsigned long len);
/*
 * GUP's follow_page_mask() for a hugetlb VMA: grab (FOLL_GET/FOLL_PIN,
 * one unit) the page @address falls in and set *@page_mask to the huge
 * page's pages - 1.  Returns 0 with *@pagep set, 1 (nothing usable:
 * fault it in), -EMLINK (a R/O pin must unshare first), -EFAULT
 * (FOLL_DUMP of a hole), -ENOMEM (refcount overflow).  Caller holds
 * mmap_lock.
 */
int hugetlb_follow_page_mask(struct vm_area_struct *vma, unsigned long address,
			     unsigned int flags, unsigned int *page_mask,
			     struct page **pagep);
/*
 * Migration of a hugetlb folio (rmap.c, migrate.c hand these over):
 * hugetlb_try_to_migrate_one() is try_to_migrate()'s rmap_one for it (the
 * entry in @vma becomes a migration entry; false, with *@failed, if the
 * folio may be pinned), hugetlb_remove_migration_pte() is
 * remove_migration_ptes()'s (entries naming @src become mappings of
 * @dst).  Folio locked, reverse-map lock held.
 */
bool hugetlb_try_to_migrate_one(struct folio *folio, struct vm_area_struct *vma,
				unsigned long address, bool *failed);
bool hugetlb_remove_migration_pte(struct folio *src, struct folio *dst,
				  struct vm_area_struct *vma, unsigned long address);
/*
 * pnm_check_pgtables()' part for a huge entry @e at @addr of @mm (a
 * present PMD or PUD leaf, @order 9 or 18): inside a hugetlb VMA of that
 * size, the folio a hugetlb folio of that size in use, mapped according
 * to the VMA, found by its reverse map.  Adds the pages to *@usage.
 * false with the reason recorded.  mmap_lock held.
 */
bool hugetlb_check_leaf(struct mm_struct *mm, unsigned long addr, pteval_t e,
			unsigned int order, long *usage);

#endif /* PNM_MODEL_HUGETLB_H */
