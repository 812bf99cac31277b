/* SPDX-License-Identifier: MIT */
/*
 * internal.h - declarations shared between files of the model that are
 * not part of the public API (Linux's mm/internal.h).
 *
 * Sections are owned by the file named in their banner; add to your own
 * section only.
 */
#ifndef PINMM_INTERNAL_H
#define PINMM_INTERNAL_H

/* Library code defines the GUP entry points, so it must not see the
 * call-site-capturing macros of gup.h. */
#define PNM_GUP_NO_CALL_SITE_MACROS
#include <stdarg.h>
#include <stdio.h>
#include <model/pinmm.h>

/* ---- pnm.c (init/fini/teardown, config, checkers' error buffer) ---- */
extern struct pnm_config pnm_config;
extern bool pnm_initialised;
/* The smallest versioned structs a caller may pass: those of the first
 * release with size fields (0.2.0).  Later releases only append. */
#define PNM_CONFIG_SIZE_0_2	(offsetof(struct pnm_config, fatal_arg) + sizeof(void *))
#define PNM_TEARDOWN_REPORT_SIZE_0_2					\
	(offsetof(struct pnm_teardown_report, leaked_frames) + sizeof(unsigned long))
/* The largest size a caller's versioned struct may claim. */
#define PNM_STRUCT_SIZE_MAX	4096
/*
 * Import the caller's configuration (cfg->size bytes of it) into @out:
 * the defaults, overwritten by the first cfg->size bytes (the caller's
 * memory beyond them is never read); a larger struct is accepted if every
 * byte this library does not know is zero.  Returns 0 (out->size is then
 * this library's size), -EINVAL if cfg->size is below @min_size (pnm_init()
 * passes PNM_CONFIG_SIZE_0_2; tests pass less to play an older release),
 * -E2BIG for a non-zero unknown tail or a size above PNM_STRUCT_SIZE_MAX.
 * @out is written only on success.  Does not validate the values.
 */
int pnm_config_import(const struct pnm_config *cfg, size_t min_size,
		      struct pnm_config *out);

/* ---- fault_inject.c (host fault injection, pinmm/fault.h) ---- */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>
#include <pinmm/fault.h>
/* Non-zero while a kind is armed or calls are counted; relaxed atomic.
 * Hidden here too (the library's preset hides it anyway), so that the
 * compiler loads it PC-relative, not through the GOT. */
extern int pnm_fault_on __attribute__((visibility("hidden")));
/* Count one call of @kind; true if it must fail (only when pnm_fault_on). */
bool pnm_fault_tick(enum pnm_fault_kind kind);
/*
 * Must this call of @kind fail?  With injection off: one relaxed load and
 * a branch predicted not taken.  Callable from any context.
 */
static inline bool pnm_should_fail(enum pnm_fault_kind kind)
{
	if (likely(!__atomic_load_n(&pnm_fault_on, __ATOMIC_RELAXED)))
		return false;
	return pnm_fault_tick(kind);
}
/* Host memory for the model, injectable as @kind: malloc/calloc/realloc,
 * NULL when the host (or the injection) fails; free with free(). */
static inline void *pnm_malloc(enum pnm_fault_kind kind, size_t size)
{
	return pnm_should_fail(kind) ? NULL : malloc(size);
}
static inline void *pnm_calloc(enum pnm_fault_kind kind, size_t n, size_t size)
{
	return pnm_should_fail(kind) ? NULL : calloc(n, size);
}
/* On failure @p is left allocated, as with realloc. */
static inline void *pnm_realloc(enum pnm_fault_kind kind, void *p, size_t size)
{
	return pnm_should_fail(kind) ? NULL : realloc(p, size);
}
/* ftruncate/fallocate of a backing file, injectable: as the host calls
 * (-1 with errno set; EIO when injected). */
static inline int pnm_ftruncate(int fd, off_t size)
{
	if (pnm_should_fail(PNM_FAULT_FTRUNCATE)) {
		errno = EIO;
		return -1;
	}
	return ftruncate(fd, size);
}
int pnm_fallocate(int fd, int mode, off_t off, off_t len);

/* ---- page_alloc.c ---- */
int pnm_page_alloc_init(const struct pnm_config *cfg);	/* arena, zones */
void pnm_page_alloc_fini(void);
/* Frames currently allocated (not free in a buddy list). */
unsigned long pnm_nr_allocated_frames(void);
/* Free a folio whose refcount just dropped to zero (from folio_put_refs). */
void free_folio_frames(struct folio *folio);
/* Prepare a freshly allocated folio as a large (compound) folio. */
void prep_compound_page(struct page *head, unsigned int order);
/* Largest order with a free block in @zone (-1 if none). */
int zone_largest_free_order(struct zone *zone);
/* Take a specific free frame range [pfn, pfn + 2^order) out of the buddy
 * (compaction/migration targets); NULL if not entirely free. */
struct page *pnm_isolate_free_range(struct zone *zone, unsigned long pfn,
				    unsigned int order);
/* Largest arena pnm_init() accepts: 16M frames (64 GiB). */
#define PNM_MAX_FRAMES		(16UL << 20)
/* Frames free in the buddy lists of every zone (sum of NR_ZONE_FREE_PAGES). */
unsigned long pnm_nr_free_frames(void);

/* ---- filemap.c (folio lock) ---- */
void pnm_folio_lock_init(void);

/* ---- memory.c ---- */
/* Anon page helpers shared with huge_memory.c and migrate.c. */
void pnm_clear_folio(struct folio *folio);
/* Wait for a migration entry's folio to be unlocked (fault path). */
void migration_entry_wait_pfn(unsigned long pfn);
/* @pte with _PAGE_RW set iff @vma has VM_WRITE (fault proved it may be). */
pte_t maybe_mkwrite(pte_t pte, struct vm_area_struct *vma);
/*
 * Legacy mode's copy-on-write reuse rule (the kernel before 5.8, which
 * had no PG_anon_exclusive): may a write fault reuse the anon @folio in
 * place?  Yes when no page of it is mapped more than once (a PMD mapping
 * counts once for each page), however many other references (GUP) it
 * has.  Caller holds the ptl or PMD lock of its own mapping; takes the
 * folio's mapcount lock.
 */
bool pnm_legacy_anon_mapped_once(struct folio *folio);

/* ---- mmap.c (populating: MAP_POPULATE, mlock, MADV_POPULATE_*) ---- */
/*
 * Fault in [start, end) of @vma (page aligned, inside it) as a CPU access
 * would, write faults if @write: pages already mapped as needed are
 * skipped, nothing is referenced or pinned (Linux's populate path, which
 * calls GUP without pages).  Returns 0, or the VM_FAULT_* bits of the
 * first fault that failed (pages before it stay populated).  Caller holds
 * mmap_lock (any mode) and has checked the VMA's permissions.
 */
vm_fault_t faultin_vma_range(struct vm_area_struct *vma, unsigned long start,
			     unsigned long end, bool write);
/*
 * Linux's __mm_populate(): fault in every page of [start, end) of @mm:
 * private writable mappings take write faults (breaking COW up front),
 * everything else read faults; inaccessible (PROT_NONE), VM_IO and
 * VM_PFNMAP VMAs and holes are skipped.  Returns 0 or the VM_FAULT_* bits
 * of the first failing fault.  Caller holds mmap_lock (any mode).
 */
vm_fault_t mm_populate(struct mm_struct *mm, unsigned long start, unsigned long end);
/* Linux's default vm.max_map_count (mmap, mremap). */
#define DEFAULT_MAX_MAP_COUNT	65530
/*
 * For mremap.c: munmap(2)'s work on [start, start + len) (page aligned,
 * inside user space): 0, or -ENOMEM with nothing changed (a split had no
 * memory).  mmap_lock held for write.
 */
int do_munmap(struct mm_struct *mm, unsigned long start, unsigned long len);
/*
 * For mremap.c: mmap(2)'s choice of an address for @len bytes (@flags:
 * MAP_FIXED checks @addr; MAP_PRIVATE without @file and @addr asks for PMD
 * alignment when @len is a multiple of 2 MiB; otherwise a free @addr is
 * taken as a hint).  The address or -ENOMEM / -EINVAL / -EPERM.
 * mmap_lock held.
 */
long get_unmapped_area(struct mm_struct *mm, struct file *file, unsigned long addr,
		       unsigned long len, unsigned long flags);

/* ---- mremap.c ---- */
/*
 * mremap(2) on @mm (pinmm/mman.h's pnm_mremap() on a task; contract
 * there): the new address, or -EINVAL, -EFAULT, -ENOMEM, -EPERM.  Takes
 * mmap_lock for write.
 */
long pnm_mm_mremap(struct mm_struct *mm, unsigned long addr, unsigned long old_len,
		   unsigned long new_len, unsigned long flags, unsigned long new_addr);

/* ---- rmap.c ---- */
/*
 * anon_vmas and anon_vma_chain links alive now (*@chains if non-NULL):
 * the leak check at pnm_fini() and the tests.  anon_vmas leave the count
 * when their last reference goes (their memory a grace period later).
 */
long pnm_nr_anon_vmas(long *chains);

/* ---- huge_memory.c ---- */
/*
 * Number of PTE tables deposited with the huge PMDs (and PMD migration
 * entries) of the PMD table @pmd_table: one per such entry.  They are
 * allocated with pnm_pgtable_alloc(mm, 1), so they are counted in
 * pgtables_bytes and NR_PAGETABLE without being reachable from the PGD;
 * page-table checkers add them.  Caller holds the mm's mmap_lock.
 */
unsigned long pnm_thp_nr_deposited(struct page *pmd_table);
/*
 * Check the huge zero page (huge_mm.h), if allocated: an order-9 folio of
 * ZONE_NORMAL, not anon, no mapping, no mapcount, rmap item, dirty or
 * anon-exclusive bit, refcount >= 1 + pincount, every byte zero.  Returns
 * false with the reason in pnm_check_error().  Model quiescent.
 */
bool pnm_check_huge_zero(void);
/*
 * pnm_fini()'s end of the huge zero page: unpublish it and free it.  If
 * references or pins besides its own are left (GUP users that never
 * released them), log them, leave it allocated (its frames
 * then show as leaked) and return false.  Single-threaded.
 */
bool pnm_huge_zero_fini(void);
/*
 * Hang @pgtable (a PTE table frame of the PMD's mm) on the deposit list of
 * the PMD table holding @pmd, for a huge PMD about to be installed there
 * (khugepaged.c's collapse deposits the table it emptied).  PMD lock held.
 */
void pgtable_trans_huge_deposit(pmd_t *pmd, struct page *pgtable);

/* ---- mthp.c (multi-size THP, the deferred split queue; issue 13) ---- */
/* pnm_init(): -EINVAL unless every thp_size_enabled[] entry is a known
 * mode and those below PNM_THP_MIN_ORDER are PNM_THP_NEVER. */
int pnm_mthp_check_config(const struct pnm_config *cfg);
/* pnm_init() (after the arena): the switches from @cfg, an empty deferred
 * split queue; 0 or -ENOMEM.  pnm_mthp_fini() frees the queue. */
int pnm_mthp_init(const struct pnm_config *cfg);
void pnm_mthp_fini(void);
/*
 * The subset of @orders (bit per order) whose switch lets anonymous
 * folios of that order back @vma: an anonymous private VMA without
 * VM_NOHUGEPAGE or special flags, the size's mode (inherit: the global
 * one), VM_HUGEPAGE for madvise.  Says nothing about alignment or room.
 * Caller holds mmap_lock.
 */
unsigned long thp_vma_allowable_orders(struct vm_area_struct *vma, unsigned long orders);
/*
 * A write fault on the empty PTE at vmf->address of a private anonymous
 * VMA: map a new zeroed folio of the largest enabled order below PMD
 * order whose aligned range fits the VMA and is entirely unmapped, by one
 * writable (if VM_WRITE), dirty, anon-exclusive PTE per page.  Returns 0
 * (mapped), VM_FAULT_OOM (no anon_vma), or VM_FAULT_FALLBACK (no such
 * order, no free block of any, or the range filled meanwhile): the caller
 * maps a 4 KiB page instead.  Counts the sizes' anon_fault_alloc and
 * anon_fault_fallback.  Caller holds mmap_lock for read and no ptl;
 * vmf->pmd points to a PTE table.
 */
vm_fault_t do_anonymous_large_folio(struct vm_fault *vmf);
/*
 * Queue the large anonymous @folio for a deferred split (rmap.c, when a
 * removal left some of its pages unmapped while others are mapped).  No
 * reference is taken.  No-op for folios below order 2 or not anon.  May
 * be called under a ptl; takes the queue lock (a leaf).
 */
void deferred_split_folio(struct folio *folio);
/* Take @folio off the queue if it is on it (free_folio_frames(), or
 * split_folio() with the count frozen); true if it was.  Queue lock. */
bool folio_unqueue_deferred_split(struct folio *folio);
/* Is some page of @folio mapped and some other not, with no PMD mapping?
 * Lockless snapshot of the mapcounts. */
bool folio_partially_mapped(struct folio *folio);
/* Queue @folio if it is a large anon folio that is partly mapped now
 * (after remove_migration_ptes(): entries zapped meanwhile). */
void folio_queue_if_partially_mapped(struct folio *folio);
/*
 * The deferred split shrinker: look at up to @nr_to_scan queued folios,
 * split each that is still partly mapped and can be (split_folio():
 * locked here with a trylock, refused while pinned or referenced), and
 * queue again those that could not.  Returns the folios split.  Caller
 * holds no mmap_lock, folio lock or ptl.
 */
long deferred_split_scan(unsigned long nr_to_scan);
/* Checkers (model quiescent): the queue itself; and for one folio, that
 * it is queued if it is a partly mapped, unlocked large anon folio. */
bool pnm_check_deferred_split(void);
bool pnm_check_folio_deferred(struct folio *folio);

/* ---- khugepaged.c (MADV_COLLAPSE, the khugepaged scan; issue 13) ---- */
/*
 * MADV_COLLAPSE over [start, end) of @mm (page aligned, non-empty; checked
 * by pnm_mm_madvise()): each VMA part in turn, every 2 MiB aligned block
 * inside it collapsed into a PMD-mapped THP.  Returns 0, or -EINVAL (a
 * VMA where THPs cannot be, a part holding no whole block, a block that
 * cannot be collapsed: no page table, not anonymous), -EAGAIN (a page
 * pinned, referenced or locked; try again), -ENOMEM (no free 2 MiB block,
 * or a hole in the range after the rest was done), as Linux.  Takes
 * mmap_lock itself (read to scan, write to collapse); caller holds none.
 */
int madvise_collapse(struct mm_struct *mm, unsigned long start, unsigned long end);
/*
 * khugepaged's limits per 2 MiB block (transparent_hugepage/khugepaged/
 * max_ptes_none, max_ptes_swap, max_ptes_shared; 0..511 each): defined in
 * khugepaged.c, which reads them once per block; written by sysctl.c,
 * reset to Linux's defaults (511, 64, 256) by pnm_sysctl_init().  Relaxed
 * loads and stores (READ_ONCE/WRITE_ONCE): they order nothing else.
 */
extern int khugepaged_max_ptes_none;
extern int khugepaged_max_ptes_swap;
extern int khugepaged_max_ptes_shared;

/* ---- hugetlb.c, hugetlb_fault.c, fs/hugetlbfs.c (issue 13) ---- */
/* The hugetlb side of pnm_init()/pnm_fini(): the hstates of a new model
 * (the 1 GiB one per cfg->hugetlb_gigantic); every free pool page back to
 * the buddy allocator (pages still in use are logged, and leak). */
void hugetlb_init(const struct pnm_config *cfg);
void hugetlb_fini(void);
/*
 * pnm_check_system()'s checks: hugetlb_check() the pools and the
 * reservations (hugetlb.c); hugetlb_check_folio() one hugetlb folio, free
 * or in use: its shape, state and mapcount against what its reverse map
 * finds (hugetlb_fault.c).  false with the reason recorded.  Quiescent.
 */
bool hugetlb_check(void);
bool hugetlb_check_folio(struct folio *folio);
/* Page-cache insert of a new hugetlb folio at huge-page offset @idx
 * (hugetlb.c; contract there). */
int hugetlb_add_to_page_cache(struct folio *folio, struct address_space *mapping,
			      unsigned long idx);
/* hugetlb_fault.c's unmap of a private owner's anon page (hugetlb.c). */
void hugetlb_unmap_restore_reserve(struct hstate *h, struct vm_area_struct *vma,
				   unsigned long addr, struct folio *folio);
/* A private hugetlb VMA's reservation flags (hugetlb.c): owner of its map;
 * pages unmapped for the owner's COW (then faults SIGBUS); set that. */
bool hugetlb_vma_owner(const struct vm_area_struct *vma);
bool hugetlb_vma_unmapped(const struct vm_area_struct *vma);
void hugetlb_vma_set_unmapped(struct vm_area_struct *vma);
/* unmap_hugepage_range() without the MMU notifier calls, for callers that
 * send them (memory.c's unmap_single_vma()).  @ref_page: unmap only
 * entries mapping that page and mark the VMA HPAGE_RESV_UNMAPPED (the
 * owner's COW, hugetlb_fault.c). */
void __unmap_hugepage_range(struct vm_area_struct *vma, unsigned long start,
			    unsigned long end, struct page *ref_page);
/*
 * fs/hugetlbfs.c: the reservations hugetlbfs files of @h still hold
 * (reserved offsets without a cached page), for hugetlb_check(); an
 * unnamed hugetlbfs file of @size bytes with @h's pages, open O_RDWR
 * (MAP_HUGETLB, pnm_hugetlb_file_create()): one reference, or
 * ERR_PTR(-ENOMEM/-EINVAL).
 */
unsigned long hugetlbfs_unconsumed_reservations(struct hstate *h);
struct file *hugetlb_file_setup(const char *name, loff_t size, struct hstate *h);

/* ---- migrate.c (shared with compaction.c) ---- */
#define PNM_MIGRATE_ASYNC	0x1	/* never block: trylock the folio, one pass */
/*
 * migrate_folio_to() with a mode: PNM_MIGRATE_ASYNC makes a busy folio
 * lock fail with -EAGAIN instead of waiting, so it may be used by callers
 * that must not sleep on a folio lock (compaction).  Same contract and
 * counters otherwise.
 */
int pnm_migrate_folio(struct folio *src, new_folio_t *get_new,
		      unsigned long private, enum migrate_reason reason,
		      unsigned int mode, struct folio **dstp);

/* ---- fork.c / task.c ---- */
extern spinlock_t pnm_mm_list_lock;
extern struct list_head pnm_mm_list;	/* all live mms; pnm_mm_list_lock */
extern spinlock_t pnm_task_list_lock;
extern struct list_head pnm_task_list;
void pnm_tasks_fini(void);
/* fork.c: copy @oldmm for a child with pid @child_pid (PNM_TRACE_FORK from
 * @parent_pid); 0 with *mmp set, or -ENOMEM with nothing left behind. */
int dup_mm(struct mm_struct *oldmm, int parent_pid, int child_pid,
	   struct mm_struct **mmp);

/* ---- vma.c ---- */
struct vm_area_struct *vm_area_alloc(struct mm_struct *mm);
struct vm_area_struct *vm_area_dup(struct vm_area_struct *orig);
void vm_area_free(struct vm_area_struct *vma);
/* Insert into mm->mm_vmas (mmap_lock write); 0 or -ENOMEM. */
int vma_set_insert(struct mm_struct *mm, struct vm_area_struct *vma);
void vma_set_remove(struct mm_struct *mm, struct vm_area_struct *vma);
/* Split @vma at @addr (page aligned, strictly inside); the new VMA covers
 * [addr, end) if @new_below is false.  0 or -ENOMEM. */
int split_vma(struct vm_area_struct *vma, unsigned long addr, int new_below);
/* Try to merge @vma with its neighbours if compatible; @vma survives. */
void vma_merge_neighbours(struct mm_struct *mm, struct vm_area_struct *vma);
/* [start, end) of @vma gets @new_flags: split off the rest, merge; 0 or
 * -EAGAIN with nothing changed (vma.c).  mmap_lock held for write. */
int vma_modify_flags(struct vm_area_struct *vma, unsigned long start, unsigned long end,
		     unsigned long new_flags);
/* Room for @nr more inserts (mmap_lock write); 0 or -ENOMEM. */
int vma_set_reserve(struct mm_struct *mm, int nr);
/* Free the (empty) set's array at mm teardown. */
void vma_set_destroy(struct mm_struct *mm);
/* Neighbours of @vma in its set, or NULL (mmap_lock held). */
struct vm_area_struct *vma_prev(struct vm_area_struct *vma);
struct vm_area_struct *vma_next(struct vm_area_struct *vma);
/* Release a VMA already out of the set: vm_ops->close, fput, free. */
void remove_vma(struct vm_area_struct *vma);
/* Undo split_vma(): @upper is absorbed into @lower. */
void vma_unsplit(struct mm_struct *mm, struct vm_area_struct *lower,
		 struct vm_area_struct *upper);
/* Grow @vma up to @end over free pages (mremap in place); cannot fail. */
void vma_expand_end(struct vm_area_struct *vma, unsigned long end);

/* ---- gup.c / gup_fast.c (GUP issue) ---- */
/* Grab helpers live in src/include/model/gup.h.  FOLL_PIN acquires keep
 * page->pnm_pincount (the exact per-page "shadow" count) in step only
 * while pnm_pin_shadow_count() says so (pin_registry.c section): "exact"
 * accounting answers folio_maybe_dma_pinned() from it, the registry and
 * misuse detection rely on it.  Otherwise (linux accounting, registry and
 * pin_debug off: the production configuration) no path touches it and it
 * stays 0.  Every pin and unpin path (gup.c, gup_unpin.c, gup_fast.c,
 * pin_registry.c) asks the same predicate, so acquire and release always
 * agree.
 * Ordering rule shared with pin_registry.c's put check: a pin adds to
 * _refcount before it adds to the pin counts; an unpin subtracts from the
 * pin counts before it subtracts from _refcount. */

/* What @refs pins add to @folio's refcount in the current accounting mode
 * (gup.c's acquire side, gup_unpin.c's release side). */
static inline int pnm_pin_refcount_units(struct folio *folio, int refs)
{
	if (folio_has_pincount(folio) ||
	    pnm_config.pin_accounting == PNM_PIN_ACCOUNTING_EXACT)
		return refs;
	return refs * (int)GUP_PIN_COUNTING_BIAS;
}

/* gup_unpin.c: release @n pins of @folio already checked against the
 * registry (one folio operation, _pincount first); returns the pins to add
 * to NR_FOLL_PIN_RELEASED (0 in legacy mode and for the zero page). */
unsigned long pnm_unpin_folio_pins(struct folio *folio, unsigned long n);
/* gup_unpin.c: the folio of @pages[@i] and in *@nr how many consecutive
 * entries from @i belong to it. */
struct folio *pnm_gup_folio_next(struct page **pages, unsigned long npages,
				 unsigned long i, unsigned long *nr);

/*
 * pnm_gup_slow - the slow path behind the _fast entry points (Linux's
 * gup_fast_fallback() calling __gup_longterm_locked() with FOLL_TOUCH |
 * FOLL_UNLOCKABLE and *locked == 0).  Takes @mm's mmap_lock for read
 * itself and has dropped it on return; the caller must not hold it.
 * Faults pages in, unshares for R/O pins, and for FOLL_LONGTERM migrates
 * unpinnable folios out of MOVABLE/CMA and retries.  @gup_flags: the
 * entry point's validated flags (FOLL_GET or FOLL_PIN set, @pages
 * non-NULL, no FOLL_FAST_ONLY).  Sets MMF_HAS_PINNED for FOLL_PIN.  Does
 * NOT record pins in the registry: the entry point records the whole
 * call.  Returns the pages done (may be fewer than asked), 0 for
 * @nr_pages == 0, or -errno if none.
 */
long pnm_gup_slow(struct mm_struct *mm, unsigned long start, unsigned long nr_pages,
		  unsigned int gup_flags, struct page **pages);
/* Set MMF_HAS_PINNED if @gup_flags has FOLL_PIN (test first, so pinning
 * threads do not bounce mm->flags); nothing in legacy mode.  Lockless. */
void mm_set_has_pinned_flag(struct mm_struct *mm, unsigned int gup_flags);
/* Legacy mode: every FOLL_PIN acquire/release is a plain reference. */
static inline bool gup_pin_is_legacy(unsigned int gup_flags)
{
	return (gup_flags & FOLL_PIN) && pnm_config.legacy_gup;
}
/*
 * Page-precise grabs (the model keeps an exact pin count per page, so a
 * grab must say which pages it pins).  All take @nr consecutive pages
 * page..page+nr-1 of ONE folio.
 *
 * pnm_grab_pages(): try_grab_folio() with the pins charged to those
 * pages.  Caller holds the ptl mapping them or a reference.  0, -ENOMEM
 * (refcount <= 0: overflow guard, warns).  try_grab_folio(folio, n, f)
 * itself charges folio-level pins to the head page (unpin_folio()).
 *
 * pnm_grab_pages_fast() (gup_fast.c): gup-fast's grab (Linux's
 * try_grab_folio_fast()) with no stable reference: speculative references
 * (fail on a free, frozen or overflowed folio), the folio re-checked,
 * FOLL_LONGTERM on an unpinnable folio refused, then the pin units and a
 * full barrier that pairs with folio_try_share_anon_rmap_*() (the caller
 * re-checks the PTE/PMD afterwards).  Returns the folio, or NULL (fall back; nothing
 * held).  The zero page is returned uncounted for FOLL_PIN.
 *
 * pnm_put_pages(): undo either exactly (same @page, @nr, @flags): pin
 * counts first, then the references.  Does not touch the pin registry.
 */
int pnm_grab_pages(struct page *page, int nr, unsigned int flags);
struct folio *pnm_grab_pages_fast(struct page *page, int nr, unsigned int flags);
void pnm_put_pages(struct page *page, int nr, unsigned int flags);
/*
 * gup_fast.c: pin_user_pages_fast() without the slow path (FOLL_PIN |
 * FOLL_FAST_ONLY: Linux's former pin_user_pages_fast_only()).  Lockless,
 * never faults; returns the pages pinned from @start on (recorded in the
 * registry), or -EINVAL/-EOVERFLOW/-EFAULT as pin_user_pages_fast().
 * Tests use it to observe the lockless part alone.
 */
int pnm_pin_user_pages_fast_only(unsigned long start, int nr_pages,
				 unsigned int gup_flags, struct page **pages);
/*
 * gup_fast.c: pin_user_pages_fast() on @mm instead of current's (the
 * owners' pins of vaddr_pin.c, taken by whichever thread calls; Linux's
 * io_uring and RDMA pin their caller's mm with pin_user_pages_fast()):
 * the lockless walk first -- a page it grabs and then may not keep, e.g.
 * a writable long-term pin of a file that tracks dirtying, is pinned and
 * released again, as Linux counts it -- then the slow path for the rest,
 * which takes @mm's mmap_lock itself.  The caller holds a user reference
 * on @mm (mmget) and no mmap_lock.  Returns the pages pinned (possibly
 * fewer, recorded once in the registry), 0 for @nr_pages == 0, or -errno
 * as pin_user_pages_fast().
 */
long pnm_pin_user_pages_fast_mm(struct mm_struct *mm, unsigned long start,
				unsigned long nr_pages, unsigned int gup_flags,
				struct page **pages);
/* gup_fast.c: walks whose pins were all dropped again because fork's
 * write_protect_seq changed under them (statistics for tests). */
extern atomic_long_t pnm_gup_fast_seq_retries;
/*
 * gup_fast.c, for tests: a hook called inside the lockless walk (no lock
 * held) right before a speculative grab of @nr pages
 * from @page, and right after a successful one, before the entries are
 * re-read -- where a racing page-table change must be caught.  The hook
 * may take mmap_lock and change the page tables (not free table frames:
 * no munmap, whose freer would wait for this very walk).  pnm_gup_fast_set_race_hook()
 * installs it (NULL removes), in every build, while no walk runs.
 */
enum pnm_gup_fast_race { PNM_GUP_FAST_BEFORE_GRAB, PNM_GUP_FAST_BEFORE_RECHECK };
typedef void pnm_gup_fast_race_fn(enum pnm_gup_fast_race where, struct page *page, int nr);
void pnm_gup_fast_set_race_hook(pnm_gup_fast_race_fn *fn);

/* ---- dma.c ---- */
/*
 * Copy page data that a device (dma.c) or another thread may be changing
 * concurrently: relaxed atomic word accesses (aligned on the page side,
 * bytes at the edges), so the race is defined and invisible to tsan.
 * _from_ reads page memory @src into the private @dst; _to_ writes the
 * private @src into page memory @dst.  Order nothing.  Writeback's bounce
 * copy, checksums and write source use them against dma.c transfers.
 */
void pnm_copy_from_page_racy(void *dst, const void *src, size_t n);
void pnm_copy_to_page_racy(void *dst, const void *src, size_t n);

/* ---- pin_registry.c (GUP issue) ---- */
void pnm_pin_registry_init(void);
void pnm_pin_registry_fini(void);
/* gup.c: after a successful pin call (FOLL_PIN, or a legacy-mode pin),
 * record the @nr (> 0) pages in @pages (user range from @start) for @mm,
 * with the thread's call site, tag and owner (the registry, pin_registry.h);
 * on -ENOMEM releases them all (nothing stays pinned) and returns
 * -ENOMEM, else returns @nr. */
long pnm_gup_record_pins(struct mm_struct *mm, unsigned long start,
			 struct page **pages, long nr, unsigned int flags);
/* gup.c: memfd_pin_folios()'s long-term step over folios holding one
 * FOLL_PIN pin each: 0 (kept), -EAGAIN (all released, movable ones
 * migrated: pin again), -ENOMEM (all released). */
long check_and_migrate_movable_folios(unsigned long nr, struct folio **folios);
/* Pins the calling thread records from now on belong to the pin owner
 * with id @owner (0: none); returns the previous one.  Thread-local. */
unsigned long pnm_pin_set_owner(unsigned long owner);
/* Test hook: the @nth pin record allocation from now fails (host ENOMEM);
 * 0 disables. */
void pnm_pin_registry_fail_nth(unsigned long nth);
/* Report a misuse of @kind about the frames [@pfn, @pfn + @nr) with the
 * text @detail, naming a live pin of one of them, else the last released
 * pin of @pfn.  Takes pin_lock (a leaf). */
void pnm_pin_report_range(enum pnm_misuse_kind kind, unsigned long pfn, unsigned long nr,
			  const char *detail);

/* ---- pin_pages.c: runs of consecutive frames in a page array ---- */
/* Frames per registry node (one word of bits). */
#define PNM_PIN_BLOCK_PAGES	64
/* The number of entries of @pages from @i (frame @pfn, not the zero page)
 * that are consecutive frames of @pfn's 64-frame block, none the zero
 * page.  Chosen for the CPU by pnm_pin_runs_select(). */
typedef unsigned long pnm_pin_run_len_fn(struct page *const *pages, unsigned long i,
					 unsigned long nr, unsigned long pfn);
extern pnm_pin_run_len_fn *pnm_pin_run_len;
/* Choose the vector code for this CPU (pnm_pin_registry_init()). */
void pnm_pin_runs_select(void);
/* @pages[0..@nr) (@nr > 0) are consecutive frames from *@pfn (set), none
 * the zero page and none NULL: one vector pass. */
bool pnm_pin_span_of(struct page *const *pages, unsigned long nr, unsigned long *pfn);
/* The next run at or after entry *@i, skipping NULL entries and the zero
 * page: first entry *@i, frame *@pfn, length *@len; false if none left. */
bool pnm_pin_next_run(struct page *const *pages, unsigned long nr, unsigned long *i,
		      unsigned long *pfn, unsigned long *len);
/*
 * The fast walk's span hint (issue 15): "@pages[0..@nr) were just written
 * as the consecutive descriptors from @first" -- what gup_fast_pmd_leaf()
 * knows of a PMD leaf's pages without a pass over them.  Set by a FOLL_PIN
 * walk with the registry on at its first record (the array's first
 * entry); cleared by the registry's next look at it
 * (pnm_pin_span_hint_take(), every pnm_pin_registry_add_slow() of more than one
 * page) and by pnm_put_pages() (a grab undone: the slow path may write the
 * array again).  So it is only ever read by the record of the same call:
 * every FOLL_PIN fast walk that records pages ends in
 * pnm_gup_record_pins() or undoes them.  Thread-local.
 */
struct pnm_pin_span_hint {
	struct page *const *pages;	/* NULL: none */
	struct page *first;
	unsigned long nr;
};
extern _Thread_local struct pnm_pin_span_hint pnm_pin_span_hint;
static inline void pnm_pin_span_hint_set(struct page *const *pages, struct page *first,
					 unsigned long nr)
{
	pnm_pin_span_hint = (struct pnm_pin_span_hint){ pages, first, nr };
}
static inline void pnm_pin_span_hint_clear(void)
{
	pnm_pin_span_hint.pages = NULL;
}
/* The hint for exactly @pages[0..@nr) (checked against its first and last
 * entries too): true with the first frame in *@pfn.  Clears the hint. */
bool pnm_pin_span_hint_take(struct page *const *pages, unsigned long nr, unsigned long *pfn);
/*
 * Call sites (pin_registry.c, "Call sites").  Every exported GUP and unpin
 * entry point starts with pnm_gup_site_enter(__builtin_return_address(0))
 * -- the return address taken in the entry function itself, never in a
 * helper -- and ends with pnm_gup_site_exit() on every return path.  The
 * site of the call is then the one the gup.h macros recorded, else that
 * return address; the pin record and the unpin misuse reports name it.
 * An entry point called from another keeps the outer site but clears it
 * on return, so a caller that enters (vaddr_pin.c) makes one such call.
 */
void pnm_gup_site_enter(const void *caller);
void pnm_gup_site_exit(void);
/*
 * Are per-page shadow pin counts (page->pnm_pincount) kept?  True for
 * "exact" accounting, or with misuse detection on (pnm_config.pin_debug);
 * fixed by pnm_init() (cached by pnm_pin_registry_init(), so a later
 * change of pnm_config cannot make a pin and its unpin disagree).  The
 * registry does not need them: it knows each recorded pin's frame.  When
 * false, no pin or unpin touches pnm_pincount, and the checks that need
 * it are unavailable: without the registry an unpin of a page that has
 * no pin goes unnoticed, and the put-on-pin floor of small folios is 0
 * (pin_debug is off too).
 * Legacy-mode pins never keep pin counts, whatever this says.
 */
extern bool pnm_pin_shadow;
static inline bool pnm_pin_shadow_count(void)
{
	return pnm_pin_shadow;
}
/*
 * Before releasing one pin through @page: false if its folio has no pin
 * left to release (a misuse, already reported; the caller must not
 * release).  Pins belong to the folio: the pin retired is @page's own if
 * it has one, else another page's of the same folio (pin_registry.c).  On
 * true that pin's record node is retired (registry on) and, if shadow
 * counts are kept and not in legacy mode, the pnm_pincount of the page
 * that carried it has been decremented: the caller releases only
 * _pincount and _refcount.  Takes pin_lock with the registry on or to
 * report.
 */
bool pnm_pin_registry_del(struct page *page);
/* The same for @nr pins of @folio named by the folio alone (unpin_folio,
 * unpin_user_folio): head first.  Returns how many may be released; a
 * shortfall is one report. */
unsigned long pnm_pin_registry_del_folio(struct folio *folio, unsigned long nr);
/* Take up to @nr shadow pins of @folio's pages away, @via's (may be NULL)
 * first, then from the head on, never below 0; returns the number taken.
 * No registry check, no report (gup_put_folio() of folio-level pins).
 * Lock free. */
unsigned long pnm_pin_shadow_take(struct folio *folio, struct page *via, unsigned long nr);
/*
 * pnm_pin_registry_del() for the @n entries of @pages (NULL entries are
 * skipped) under one pin_lock round trip; returns the number of refused
 * entries.  Only when that is not 0, ok[i] says whether pages[i] may be
 * released (false for NULL entries); when it is 0, ok[] is left as it
 * was and every non-NULL entry may be released.  Same effects per page,
 * in array order, as @n calls.  Callers may skip it when
 * pnm_unpin_needs_check() is false (then every entry may be released and
 * there is nothing to retire or decrement).
 */
unsigned long pnm_pin_registry_del_pages(struct page *const *pages, unsigned long n,
					 bool *ok);
/* pnm_pin_registry_del_pages() for @n (> 1) entries the caller already
 * passed pnm_pin_span_of() over: *@span_pfn their first frame if they are
 * consecutive (none the zero page), @span_pfn NULL if not.  The same
 * effects without a pass of its own. */
unsigned long pnm_pin_registry_del_span(struct page *const *pages, unsigned long n,
					bool *ok, const unsigned long *span_pfn);
/* pnm_pin_registry_del() for the @n consecutive pages from @page, all of
 * one folio, under one lock round trip; returns how many may be released. */
unsigned long pnm_pin_registry_del_range(struct page *page, unsigned long n);
/* Does an unpin have anything to check or retire per page (registry on,
 * or shadow counts kept outside legacy mode)? */
static inline bool pnm_unpin_needs_check(void)
{
	return pnm_config.pin_registry || (pnm_pin_shadow && !pnm_config.legacy_gup);
}
/* folio_put_refs() hook: @after is the refcount its decrement produced,
 * and the caller holds @held references again (taken after it); reports
 * PNM_MISUSE_PUT_ON_PIN if @after fell below what the folio's pins
 * account for.  Cheap when the folio has no pins. */
void pnm_pin_check_put(struct folio *folio, int after, int held);
/* The last user of @mm is gone (mmput): report pins it still owns. */
void pnm_pin_registry_mm_exit(struct mm_struct *mm);
/* Record a misuse report (also printed when detection is on). */
void pnm_misuse_report(enum pnm_misuse_kind kind, struct page *page,
		       const char *fmt, ...) __printf(3, 4);
/* "put_on_pin", "unpin_unpinned", ... ("?" for an unknown kind). */
const char *pnm_misuse_name(enum pnm_misuse_kind kind);
/* Spell FOLL_* flags ("FOLL_PIN|FOLL_WRITE"); snprintf-style return. */
size_t pnm_gup_flags_str(unsigned int flags, char *buf, size_t size);
/* folio_put_refs(), before freeing: the folio's frames lose their
 * released-pin history (lock free unless they have some). */
void pnm_pin_registry_forget(struct folio *folio);
/* pnm_fini(): print the pins still held (the reason frames leaked);
 * returns the number of pinned pages found. */
unsigned long pnm_pin_registry_report_leaks(FILE *out);
/* A pinned frame the registry still records, for pnm_teardown(): true
 * with *@pfn set, false if none (or the registry is off). */
bool pnm_pin_registry_any_live(unsigned long *pfn);
/* gup_site.c: the calling thread's pin tag (pnm_pin_set_tag()), NULL if
 * none (its owner: pnm_pin_thread.owner, pin_registry.h). */
const char *pnm_pin_get_tag(void);
/* gup_site.c: take (and forget) the calling thread's call site; forget
 * the thread's tag, owner and site (a new model). */
struct pnm_call_site;
void pnm_gup_site_take(struct pnm_call_site *site);
void pnm_gup_site_reset(void);
/* gup_site.c: a call site as records and reports print it into @buf
 * ("file.c:12 func()", "symbol+0x1c", ...); returns @buf. */
const char *pnm_format_site(char *buf, size_t size, const char *file, int line,
			    const char *func, const void *caller);

/* A call site as the registry keeps one: file:line:func as recorded, or
 * (file NULL) a return address (caller); all NULL: unknown. */
struct pnm_call_site {
	const char *file;
	int line;
	const char *func;
	const void *caller;
};
/* The calling thread's current call site: inside an entry point (after
 * pnm_gup_site_enter()) the site of that call.  Thread-local. */
void pnm_gup_site_get(struct pnm_call_site *site);
/* @site printed as the registry prints call sites ("file:12 func()",
 * "symbol+0x1c", ...). */
void pnm_format_call_site(const struct pnm_call_site *site, char *buf, size_t size);

/* ---- vaddr_pin.c (pin owners) ---- */
/* Owner state bits (struct pnm_vaddr_pin_info.state) are public:
 * PNM_VADDR_PIN_REVOKE_ASKED, PNM_VADDR_PIN_REVOKED. */
/* fs/locks.c's lease break: ask (@force false) or force (true) every owner
 * tied to a lease on @inode to let go.  No lock held by the caller. */
void pnm_vaddr_pin_revoke(struct inode *inode, bool force);
/* pnm_teardown(): release every live owner's extents (adding the pins and
 * pages to *@pins, *@pages) and free the owners; returns their number. */
unsigned long pnm_vaddr_pin_teardown(unsigned long *pins, unsigned long *pages);
/* pnm_fini(): report and free live owners, leaving their pins; returns
 * their number.  Single-threaded. */
unsigned long pnm_vaddr_pin_fini(void);
/* pnm_check_system(): every live owner's extents (list, tree, counters,
 * pinned pages).  Model quiescent. */
bool pnm_vaddr_pin_check(void);

/*
 * folio_put_refs()'s cheap test before pnm_pin_check_put(): detection on,
 * not legacy mode, and the folio has pins (_pincount for a large folio,
 * the page's exact pnm_pincount for a small one; detection on implies
 * shadow counts are kept unless pin_debug was switched on after
 * pnm_init(), when small folios read 0 and are never checked).  Relaxed loads of the
 * descriptor the put just touched; the folio may already be someone
 * else's (the caller dropped its reference), which the check tolerates.
 */
static inline bool pnm_pin_check_wanted(struct folio *folio)
{
	if (likely(!pnm_config.pin_debug) || pnm_config.legacy_gup)
		return false;
	if (folio_has_pincount(folio))
		return atomic_read(&folio->_pincount) > 0;
	return atomic_read(&folio->page.pnm_pincount) > 0;
}

/* ---- pin_budget.c (the pin budget, pinmm/budget.h; issue 11) ---- */
/*
 * An accounting domain: a process (one per mm, mm->pnm_pin_budget) or a
 * user.  Each holds a limit and the set of pfns charged to it with, per
 * pfn, the number of long-term owner extent pages of the domain on it.
 * User domains live from their first use until pnm_fini(); a process
 * domain lives as long as its mm struct (owners mmgrab() it).
 */
struct pnm_pin_budget;
/*
 * vaddr_pin_create() of a VADDR_PIN_LONGTERM owner: the domain of
 * @task's current user (created if new), which the owner charges for its
 * whole life; NULL on -ENOMEM.  Takes task_lock and pb_lock.
 */
struct pnm_pin_budget *pnm_pin_budget_user_domain(struct task_struct *task);
/*
 * Charge the @nr pages of @pages (just pinned for an owner of @mm that
 * charges @user) to @mm's process domain and to @user, each pfn once per
 * domain: 0, or -ENOMEM with nothing charged -- a domain's charge would
 * pass its limit (counted in pnm_pin_budget_refused and the domain's
 * refused count), or host memory.  The caller then releases the pins.
 * Takes the process domain's lock, then the user domain's.
 */
int pnm_pin_budget_charge(struct mm_struct *mm, struct pnm_pin_budget *user,
			  struct page *const *pages, unsigned long nr);
/* Undo pnm_pin_budget_charge() of the same pages (after they are
 * unpinned, or when their extent is dropped at pnm_fini()). */
void pnm_pin_budget_uncharge(struct mm_struct *mm, struct pnm_pin_budget *user,
			     struct page *const *pages, unsigned long nr);
/* dup_mm(): the child @mm inherits @oldmm's process limit.  0, or
 * -ENOMEM (the child then has to be torn down). */
int pnm_pin_budget_fork(struct mm_struct *oldmm, struct mm_struct *mm);
/* mmdrop() freeing @mm: free its process domain (no one else can reach
 * it).  A charge still held is a bug: warned about and dropped. */
void pnm_pin_budget_mm_free(struct mm_struct *mm);
/*
 * Fill @info (the library's size) for @mm's process domain, also after
 * the address space is gone (tests of an exited task's owners).  Takes
 * the domain lock.
 */
void pnm_pin_budget_get_mm(struct mm_struct *mm, struct pnm_pin_budget_info *info);
/*
 * pnm_check_system()'s part: every domain's charged set is exactly the
 * pages of the extents of the long-term owners that charge it (each pfn's
 * count is the number of such extent pages), its charge is the number of
 * pfns in it, and the gauges pnm_pin_budget_task_pages and
 * pnm_pin_budget_user_pages are the sums of the charges.  O(charged pfns
 * + long-term extent pages).  False with the reason recorded.  Model
 * quiescent.
 */
bool pnm_pin_budget_check(void);
/* pnm_fini(): free every domain left (user domains; process domains of
 * mm structs that leaked).  Single-threaded. */
void pnm_pin_budget_fini(void);
/*
 * Defined in vaddr_pin.c, for pnm_pin_budget_check(): call @fn for each
 * extent of each live owner that charges a budget, with the owner's mm and
 * user domain, under vp_list_lock and the owner's extents_lock (read).
 * Model quiescent.
 */
typedef void pnm_pin_budget_extent_fn(struct mm_struct *mm, struct pnm_pin_budget *user,
				      struct page *const *pages, unsigned long nr,
				      void *arg);
void pnm_vaddr_pin_for_each_charged(pnm_pin_budget_extent_fn *fn, void *arg);

/* ---- resource.c (RLIMIT_MEMLOCK, capabilities: pinmm/resource.h; issue 13) ---- */
/* mm_alloc(): a new process's limits (RLIMIT_MEMLOCK unlimited, no
 * capabilities); dup_mm(): a fork child's, copied from @oldmm's; mmdrop():
 * freeing them with the mm struct. */
void pnm_mm_limits_init(struct mm_struct *mm);
void pnm_mm_limits_fork(struct mm_struct *oldmm, struct mm_struct *mm);
void pnm_mm_limits_destroy(struct mm_struct *mm);
/* Does @mm's process have capability @cap (PNM_CAP_*)?  Takes the limits'
 * lock (a leaf). */
bool pnm_mm_capable(struct mm_struct *mm, int cap);
/* @mm's RLIMIT_MEMLOCK soft limit in bytes (PNM_RLIM_INFINITY: none). */
unsigned long pnm_mm_rlimit_memlock(struct mm_struct *mm);
/*
 * The pages of @mm's process may lock or pin under RLIMIT_MEMLOCK:
 * ULONG_MAX (PNM_PIN_BUDGET_UNLIMITED) when the limit is infinite or the
 * process has CAP_IPC_LOCK, else the soft limit in whole pages.  The pin
 * budget's charge applies it (pin_budget.c).
 */
unsigned long pnm_mm_memlock_pages(struct mm_struct *mm);
/* Linux's mm->locked_vm: pages of @mm's VM_LOCKED VMAs.  mmap_lock held. */
unsigned long pnm_mm_locked_vm(struct mm_struct *mm);
/* Linux's can_do_mlock(): a non-zero RLIMIT_MEMLOCK or CAP_IPC_LOCK. */
bool can_do_mlock(struct mm_struct *mm);
/*
 * Linux's mlock_future_ok(): may @mm lock @bytes more with @vm_flags?
 * Always when VM_LOCKED is not among them or with CAP_IPC_LOCK; else
 * locked_vm plus @bytes in pages must stay within RLIMIT_MEMLOCK.
 * mmap_lock held.
 */
bool mlock_future_ok(struct mm_struct *mm, unsigned long vm_flags, unsigned long bytes);

/* ---- sysctl.c (pinmm/sysctl.h; issue 13) ---- */
/* vm.max_map_count (mmap.c) and vm.memfd_noexec (memfd.c), read with
 * READ_ONCE; the THP knobs are pnm_config.thp and .thp_use_zero_page,
 * read with READ_ONCE by huge_memory.c. */
extern int sysctl_max_map_count;
extern int sysctl_memfd_noexec_scope;
/* vm.memfd_noexec's values (Linux's MEMFD_NOEXEC_SCOPE_*). */
#define MEMFD_NOEXEC_SCOPE_EXEC			0
#define MEMFD_NOEXEC_SCOPE_NOEXEC_SEAL		1
#define MEMFD_NOEXEC_SCOPE_NOEXEC_ENFORCED	2
/* pnm_init(): the knobs kept in sysctl.c back at their defaults. */
void pnm_sysctl_init(void);

/* ---- page-writeback.c (issue 5; owner: writeback) ---- */
int pnm_writeback_init(const struct pnm_config *cfg);	/* flusher if asked */
void pnm_writeback_fini(void);
/* Tests: wake the flusher and wait until a pass that started after the
 * call finished (0), or -ESRCH if it does not run.  Passes finished. */
int pnm_flusher_kick_and_wait(void);
unsigned long pnm_flusher_passes(void);

/* ---- swap.c / vmscan.c: LRU lists, reclaim (issue 5; owner: writeback;
 * the anon lists and swap-out, issue 13: model/swap.h) ---- */
/* Reclaim's isolation: the oldest file-list folio of a zone in @zone_mask
 * (bit per zone_type), referenced and off the list (PG_lru clear), looking
 * at most at *max_scan candidates; NULL if none. */
struct folio *pnm_lru_isolate(unsigned long *max_scan, unsigned int zone_mask);
/* Put an isolated folio back at the newest end of its list if it still
 * belongs there (a cache folio still cached; anon and swap cache folios
 * always); the caller keeps its reference. */
void pnm_lru_putback(struct folio *folio);
/* Pages on the file list; the lists' checker; forget a previous model's
 * lists (pnm_init, through pnm_writeback_init). */
unsigned long pnm_lru_pages(void);
bool pnm_check_lru(void);
void pnm_lru_reset(void);
/* Reclaim calls nesting (the allocator does not recurse into reclaim). */
bool pnm_in_reclaim(void);
/* The allocator's reclaim after a failure: pnm_reclaim_pages(nr, false)
 * restricted to folios in the zones of @zone_mask (bit per zone_type). */
unsigned long pnm_reclaim_for_alloc(unsigned long nr_pages, unsigned int zone_mask);

/* ---- filemap.c / truncate.c (issue 5; owner: pagecache) ---- */
/*
 * filemap_remove_folio() without dropping the cache's references, for a
 * caller that froze the refcount at zero and so owns them (reclaim frees
 * the folio itself afterwards).  Locked, unmapped, not under writeback.
 */
void __filemap_remove_folio(struct folio *folio);
/* Zero [@off, @off + @len) of the locked @folio with racy word stores (a
 * device may be writing it through a pin). */
void pnm_folio_zero_range(struct folio *folio, size_t off, size_t len);

/* ---- fs/namei.c, fs/disk.c, fs/dax.c, shmem.c (issue 5; owner: fs) ---- */
/* Create (or adopt) the data directory; inode table empty.  0/-errno. */
int pnm_fs_init(const struct pnm_config *cfg);
/* Close files callers left open (reported through pnm_log(), counted in
 * *@nr_files if not NULL), evict every inode, remove a private data
 * directory.  Returns -EBUSY if anything was left open, else 0. */
int pnm_fs_fini(unsigned long *nr_files);

/*
 * The model's inode: the VFS inode plus what namei and the filesystems
 * keep about it.  Allocated and freed by namei.c (freed once the lockless
 * walks inside at the time have ended and an RCU grace period has passed,
 * because gup-fast reads folio->mapping->host of folios it found without
 * locks, as Linux's gup_fast_folio_allowed() does).
 */
struct pnm_inode {
	struct inode vfs;
	enum pnm_fs_type fs;		/* set at creation */
	bool anon;			/* unnamed (shmem_file_setup): never
					 * found by name; set at creation */
	unsigned int state;		/* PNM_I_*; inode table lock */
	char name[PNM_FS_NAME_MAX + 1];	/* set at creation */
	int host_fd;			/* disk, dax: <data_dir>/<name> opened
					 * O_RDWR for the inode's life; -1 */
	spinlock_t io_lock;		/* io_fault[] (a leaf) */
	struct {
		int err;		/* -EIO, -ENOSPC, PNM_IO_SHORT */
		unsigned int count;	/* operations left to fail */
	} io_fault[2];			/* [0] reads, [1] writes */
	void *fs_info;			/* the filesystem's own (dax) */
	struct list_head leases;	/* layout leases (fs/locks.c); lease_mutex */
	/* Direct IO in flight (fs/direct-io.c; Linux's i_dio_count), all
	 * protected by vfs.i_lock: requests begun and not ended, and size
	 * changers waiting for them (new requests wait while any does). */
	unsigned int dio_count;
	unsigned int dio_waiters;
	pthread_cond_t dio_cv;		/* with vfs.i_lock's mutex */
};
#define PNM_I_NEW	0x1		/* being set up: lookups wait */
#define PNM_I_FREEING	0x2		/* being evicted: lookups wait */

static inline struct pnm_inode *PNM_I(struct inode *inode)
{
	return container_of(inode, struct pnm_inode, vfs);
}

/*
 * What a filesystem gives namei.c.  init_inode sets a new inode up (a_ops,
 * i_flags, i_size; for backed filesystems host_fd is already open and
 * i_size is the host file's size): 0 or -errno, after which the inode is
 * freed without evict_inode.  evict_inode runs when the last reference is
 * gone (no file, no VMA, no iterator): write back what must survive,
 * empty the cache (folios still referenced live on, detached), and leave
 * the mapping empty; namei then closes host_fd and frees the inode.
 * setsize/punch (under i_lock and invalidate_lock exclusive, taken by the
 * caller) change the size or drop [start, end] (bytes, inclusive) and the
 * backing store behind it: 0 or -errno.
 */
struct pnm_fs_type_ops {
	bool backed;			/* has a host file */
	bool no_names;			/* never opened by name (secretmem) */
	const struct file_operations *f_op;
	int (*init_inode)(struct pnm_inode *pi);
	void (*evict_inode)(struct pnm_inode *pi);
	int (*setsize)(struct inode *inode, loff_t size);
	int (*punch)(struct inode *inode, loff_t start, loff_t end);
};
extern const struct pnm_fs_type_ops pnm_disk_fs_type;	/* fs/disk.c */
extern const struct pnm_fs_type_ops pnm_dax_fs_type;	/* fs/dax.c */
extern const struct pnm_fs_type_ops pnm_shmem_fs_type;	/* shmem.c */
extern const struct pnm_fs_type_ops pnm_hugetlbfs_fs_type;	/* fs/hugetlbfs.c */
extern const struct pnm_fs_type_ops pnm_hugetlbfs_1g_fs_type;
extern const struct pnm_fs_type_ops pnm_secretmem_fs_type;	/* secretmem.c */

/* namei.c services for the filesystems. */
/* A new unnamed shmem-like inode of filesystem @fs (no table name, never
 * found by lookups) with one reference; ERR_PTR(-ENOMEM/-EINVAL). */
struct inode *pnm_new_anon_inode(enum pnm_fs_type fs, const char *label, loff_t size);
/* A new struct file on @inode (takes its own inode reference) opened with
 * O_* @flags; ERR_PTR(-ENOMEM). */
struct file *pnm_alloc_file(struct inode *inode, int flags);
/* ->release of every model file: drop the inode reference, free. */
void pnm_file_release(struct file *file);
/* The file's name; an unnamed object's label (shmem_file_setup()); valid
 * while referenced. */
const char *pnm_inode_name(struct inode *inode);
/*
 * Consume one injected fault for a backing operation of kind @op
 * (PNM_IO_READ or PNM_IO_WRITE) on @inode: returns the error to fail it
 * with (-EIO, -ENOSPC, PNM_IO_SHORT) or 0.  @alloc: the operation is a
 * block allocation, which only an injected -ENOSPC of kind PNM_IO_WRITE
 * fails (and only such a fault is consumed).  Takes io_lock.
 */
int pnm_fs_io_fault(struct inode *inode, unsigned int op, bool alloc);
/* pread/pwrite of the host file, retried until done: bytes, or -errno.
 * A read stops at the host EOF (the rest is not touched). */
ssize_t pnm_host_pread(struct inode *inode, void *buf, size_t n, loff_t off);
ssize_t pnm_host_pwrite(struct inode *inode, const void *buf, size_t n, loff_t off);
/* fdatasync the host file unless PINMM_NO_HOST_FSYNC is set: 0 / -EIO;
 * a failure is recorded as the mapping's writeback error (errseq). */
int pnm_host_sync(struct inode *inode);
/* The generic file operations of the model's filesystems (namei.c):
 * ->setsize takes i_lock and invalidate_lock exclusive around the
 * filesystem's setsize; ->fallocate dispatches to setsize/punch. */
int pnm_generic_setsize(struct file *file, loff_t size);
long pnm_generic_fallocate(struct file *file, int mode, loff_t offset, loff_t len);
/* Change the size through ->setsize without the access check (O_TRUNC). */
int do_truncate(struct file *file, loff_t length);
/* sync(2)'s part that is not page-cache writeback: dax persists its
 * storage to the host file (0 for others).  0 or -errno (also recorded
 * in the mapping's wb_err).  Caller holds no folio lock. */
int pnm_fs_sync_inode(struct inode *inode);
/* Is @folio dax storage (its mapping's host is S_DAX)?  Lockless: reads
 * folio->mapping->host inside an RCU read section (inodes are RCU-freed). */
bool pnm_folio_is_dax(struct folio *folio);

/* fs/locks.c: layout leases (contracts there). */
struct pnm_layout_lease;
/* The inode a thread's pin call may pin long-term under a lease (set by
 * vaddr_pin.c around the call, read by gup.c's checks); NULL otherwise. */
extern _Thread_local struct inode *pnm_gup_lease_inode;
struct pnm_layout_lease *pnm_lease_tie(struct file *f_owner);
void pnm_lease_untie(struct pnm_layout_lease *lease);
bool pnm_lease_breaking(struct pnm_layout_lease *lease);
struct inode *pnm_lease_inode(const struct pnm_layout_lease *lease);
int pnm_break_layout(struct inode *inode);
bool pnm_lease_inode_tied(struct inode *inode);
void pnm_lease_file_release(struct file *file);
void pnm_lease_inode_evict(struct inode *inode);

/* fs/direct-io.c: wait until no direct I/O of @inode is in flight, and
 * keep new ones from starting meanwhile (Linux's inode_dio_wait(), which
 * ftruncate and fallocate call under i_rwsem).  Caller holds i_lock; it
 * is dropped while waiting and held again on return. */
void inode_dio_wait(struct inode *inode);

/* fs/disk.c: ->page_mkwrite of disk mappings (also for tests). */
vm_fault_t disk_page_mkwrite(struct vm_fault *vmf);
/* fs/dax.c: persist [start, end] of a dax inode's storage to its host
 * file (fsync, sync, eviction).  0 or -errno (recorded in wb_err). */
int dax_writeback_range(struct inode *inode, loff_t start, loff_t end);

/* ---- shmem.c, memfd.c, secretmem.c (memfd, seals, secretmem; issue 13) ---- */
/*
 * shmem's per-inode state (Linux's struct shmem_inode_info), at the
 * pnm_inode's fs_info from init_inode to evict_inode.
 */
struct shmem_inode_info {
	/* PNM_F_SEAL_*: changed only by memfd_add_seals() under i_lock
	 * (WRITE_ONCE); read with READ_ONCE (with i_lock where a change must
	 * not slip past the check: write, setsize, punch) */
	unsigned int seals;
	bool exec;		/* its mode has execute bits; set at creation */
	/* F_SEAL_WRITE denied writable shared mappings (i_mmap_writable
	 * went negative, memfd.c); i_lock to set, never cleared */
	bool write_denied;
};
static inline struct shmem_inode_info *SHMEM_I(struct inode *inode)
{
	return (struct shmem_inode_info *)PNM_I(inode)->fs_info;
}
/* shmem.c: is @mapping a shmem object's cache?  And memfd_pin_folios()'s
 * allocation of the folio at @index (referenced, unlocked; -EINVAL at or
 * past the end, -ENOMEM).  Contracts there. */
bool shmem_mapping(const struct address_space *mapping);
struct folio *shmem_read_folio(struct address_space *mapping, pgoff_t index);
/*
 * fs/hugetlbfs.c: is @mapping a hugetlbfs file's cache?  And the seal
 * state of a hugetlbfs @inode (memfd_create(MFD_HUGETLB)), in shmem's
 * layout and under shmem's rules (F_SEAL_SEAL from creation), or NULL for
 * another filesystem's.  Lockless.
 */
bool hugetlbfs_mapping(const struct address_space *mapping);
struct shmem_inode_info *hugetlbfs_seal_info(struct inode *inode);

/*
 * Writable shared mappings of a file (Linux's include/linux/fs.h):
 * mapping->i_mmap_writable counts the VMAs in i_mmap that are VM_SHARED
 * and VM_MAYWRITE (interval_tree.c counts them in and out of the tree)
 * plus mmap()s setting one up; F_SEAL_WRITE makes it negative to deny
 * new ones.  Value-returning RMWs, fully ordered: a deny and a map that
 * race see each other's change (one of them fails).
 */
static inline bool vma_is_shared_maywrite(const struct vm_area_struct *vma)
{
	return (vma->vm_flags & (VM_SHARED | VM_MAYWRITE)) == (VM_SHARED | VM_MAYWRITE);
}
/* One more writable shared mapping, unless denied: 0 or -EPERM. */
static inline int mapping_map_writable(struct address_space *mapping)
{
	int c = atomic_read(&mapping->i_mmap_writable);

	do {
		if (c < 0)
			return -EPERM;
	} while (!atomic_try_cmpxchg(&mapping->i_mmap_writable, &c, c + 1));
	return 0;
}
static inline void mapping_unmap_writable(struct address_space *mapping)
{
	(void)atomic_sub_return(1, &mapping->i_mmap_writable);
}
/* Deny new writable shared mappings unless one exists: 0 or -EBUSY. */
static inline int mapping_deny_writable(struct address_space *mapping)
{
	int c = atomic_read(&mapping->i_mmap_writable);

	do {
		if (c > 0)
			return -EBUSY;
	} while (!atomic_try_cmpxchg(&mapping->i_mmap_writable, &c, c - 1));
	return 0;
}
/* Undo mapping_deny_writable(). */
static inline void mapping_allow_writable(struct address_space *mapping)
{
	(void)atomic_add_return(1, &mapping->i_mmap_writable);
}

/*
 * memfd.c: the seals of a shmem file (NULL for any other file: no
 * seals), and mmap's check of them (Linux's memfd_check_seals_mmap()):
 * with F_SEAL_WRITE or F_SEAL_FUTURE_WRITE a shared writable mapping is
 * -EPERM and a shared read-only one loses VM_MAYWRITE in *@vm_flags.
 * 0 or -EPERM.  Lockless.
 */
unsigned int *memfd_file_seals_ptr(struct file *file);
int memfd_check_seals_mmap(struct file *file, unsigned long *vm_flags);
/*
 * pnm_check_system()'s part for a file (fs/namei.c's inode checker):
 * i_mmap_writable against the writable shared VMAs of i_mmap, and a
 * shmem file's seals (known bits only; F_SEAL_WRITE's denial).  False
 * with the reason recorded.  Model quiescent.
 */
bool pnm_memfd_check_inode(struct inode *inode);

/*
 * secretmem.c: is @mapping / @vma a secretmem file's (Linux's
 * secretmem_mapping(), vma_is_secretmem())?  Lockless.  GUP refuses
 * such VMAs (check_vma_flags: -EFAULT) and gup-fast such folios.
 */
bool secretmem_mapping(const struct address_space *mapping);
static inline bool vma_is_secretmem(const struct vm_area_struct *vma)
{
	return vma->vm_file && secretmem_mapping(vma->vm_file->f_mapping);
}
/*
 * The kernel's direct map of a frame (Linux's set_memory.c): secretmem
 * takes its pages out (invalid) while its cache holds them and puts them
 * back (default) as they leave it.  The model records it in PG_pnm_secret;
 * kernel_page_present() reads it.  The caller owns the page (a folio
 * lock or a reference nobody else can see).
 */
int set_direct_map_invalid_noflush(struct page *page);
int set_direct_map_default_noflush(struct page *page);
bool kernel_page_present(struct page *page);
/* pnm_check_system()'s part: every frame out of the direct map is a
 * secretmem folio, and nr_secretmem counts them.  Model quiescent. */
bool pnm_secretmem_check(void);

/* ---- task_mmu.c (smaps, pagemap, clear_refs; issue 13) ---- */
/*
 * pnm_check_smaps - @mm's smaps rollup agrees with its RSS counters
 * (MM_ANONPAGES, MM_FILEPAGES, MM_SHMEMPAGES, MM_SWAPENTS) and with itself.
 * O(pages mapped).  pnm_check_mm() runs it.  Caller holds mmap_lock (any
 * mode) and no page-table lock.  true, or false with pnm_check_fail().
 */
bool pnm_check_smaps(struct mm_struct *mm);

/* ---- debug.c (messages: the embedder's log and fatal hooks; dump_page) ---- */
/*
 * Every line the library writes goes through pnm_log(): one line without
 * its newline, handed to pnm_config.log with @level, or (no hook, or
 * outside pnm_init()..pnm_fini()) written with a newline to stderr in one
 * write.  A multi-line report is several calls.  Thread safe; the hook may
 * run with any model lock held.  Output to a FILE * a caller passed
 * (pnm_pin_registry_print(out), pnm_stat_print(out)) does not use it.
 */
void pnm_log(enum pnm_log_level level, const char *fmt, ...) __printf(2, 3);
void pnm_vlog(enum pnm_log_level level, const char *fmt, va_list ap) __printf(2, 0);
/* A report written with stdio, logged line by line: write it to the FILE *
 * pnm_log_stream_begin() returns, then pnm_log_stream_end() logs every
 * line with @level and frees the text (stderr directly if the host could
 * not make a memory stream). */
struct pnm_log_stream {
	FILE *f;
	char *buf;
	size_t len;
};
FILE *pnm_log_stream_begin(struct pnm_log_stream *s);
void pnm_log_stream_end(struct pnm_log_stream *s, enum pnm_log_level level);
/*
 * An unrecoverable error: format one line, hand it to pnm_config.fatal
 * and abort() if the hook returns; with no hook, stderr and abort().  A
 * fatal error inside the fatal hook (same thread) aborts at once.
 */
void pnm_fatal(const char *fmt, ...) __printf(1, 2) __attribute__((noreturn));
/* pnm_init(): route messages to @cfg's hooks; pnm_fini(), at its very
 * end: back to stderr and plain abort().  Not thread safe. */
void pnm_hooks_set(const struct pnm_config *cfg);
void pnm_hooks_clear(void);
/* Log (PNM_LOG_ERR) everything known about @page, headed by @reason. */
void dump_page(struct page *page, const char *reason);

/* ---- strays: VM_BUG_ON-style always-on assertion ---- */
#define VM_BUG_ON(cond)							\
	do { if (unlikely(cond)) PNM_DIE("VM_BUG_ON(" #cond ")", 0); } while (0)
#define VM_BUG_ON_PAGE(cond, page)					\
	do {								\
		if (unlikely(cond)) {					\
			dump_page((page), "VM_BUG_ON_PAGE(" #cond ")");	\
			PNM_DIE("VM_BUG_ON_PAGE(" #cond ")", 0);	\
		}							\
	} while (0)
/* The condition is tested inline; only a warning that fires calls out
 * (the GUP entry points test several per call).  Evaluates to the
 * condition, as Linux's does. */
#define VM_WARN_ON_ONCE(cond)						\
	({								\
		bool __warn_c = !!(cond);				\
		unlikely(__warn_c) ?					\
			pnm_warn_on_once(true, #cond, __FILE__, __LINE__) : false; \
	})
bool pnm_warn_on_once(bool cond, const char *what, const char *file, int line);
/* Warnings issued so far (tests assert on it). */
extern atomic_long_t pnm_nr_warnings;

#endif /* PINMM_INTERNAL_H */
