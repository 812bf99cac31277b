/* SPDX-License-Identifier: MIT */
/*
 * mm_types.h - the memory manager's core objects.
 *
 *   struct page            one per 4 KiB frame of the arena (mem_map[])
 *   struct folio           the head page of a power-of-two group of frames
 *                          that is allocated, mapped and freed as one
 *   struct vm_area_struct  one mapping of a process (VMA)
 *   struct mm_struct       a process address space
 *   struct address_space   what a file's (or shmem object's) pages belong to
 *
 * Lock order (outermost first; the function that nests them in brackets).
 * It is Linux's (the comment at the top of Linux's mm/rmap.c), restricted
 * to the locks the model has:
 *
 *   inode->i_lock                     (write, ftruncate, fallocate: the
 *                                      file's size and blocks)
 *   mm->mmap_lock                     (faults: read; mmap/munmap/mprotect/
 *                                      madvise/fork/exit: write)
 *     mapping->invalidate_lock        (cache fills: shared; truncate and
 *                                      hole punch: exclusive; hugetlb
 *                                      faults: shared, hugetlbfs mmap's
 *                                      reservation: exclusive)
 *       hugetlb fault mutex           (one fault per hugetlb file offset,
 *                                      hugetlb_fault.c)
 *       folio lock (PG_locked)        (migration, split, file faults,
 *                                      writeback, truncate, reclaim)
 *         mapping->i_mmap_rwsem       (rmap walks of file folios: read;
 *                                      linking/unlinking/resizing file
 *                                      VMAs: write)
 *           anon_vma->root->rwsem     (rmap walks of anon folios: read;
 *                                      anon_vma_prepare/clone/fork,
 *                                      unlink, resizing anon VMAs: write)
 *             mm->page_table_lock     (populating PGD/PUD entries; also
 *                                      publishing vma->anon_vma; 1 GiB
 *                                      hugetlb entries)
 *             PMD table ptl (pmd_lock) (THP install/split, PTE-table install)
 *               PTE table ptl         (every PTE change: fault, zap, COW,
 *                                      fork copy, migration, mprotect)
 *                 folio mapcount lock (mapcount changes, rmap.c)
 *                   mapping->i_pages.xa_lock (page cache insert/remove)
 *                     zone->lock      (buddy allocator)
 *                   hugetlb_lock, resv_map->lock (hugetlb.c: the pools,
 *                                      a reservation map; leaves, taken
 *                                      under any of the above, nothing
 *                                      under them)
 *
 *   Reverse-map walkers (rmap.c: migration, split, writeback's
 *   folio_mkclean, truncate's and reclaim's try_to_unmap) hold the folio
 *   lock, then i_mmap_rwsem or the anon_vma root rwsem for read, then the
 *   ptl of each entry.  They never take any mm's mmap_lock, so a process
 *   holding its own mmap_lock (even for write, for as long as it likes)
 *   neither blocks nor fails them.  VMA changes that a walker could see
 *   (a VMA appearing, going, or changing range) happen under mmap_lock
 *   for write *and* the reverse-map locks for write; page tables are freed
 *   only after their VMAs have left the trees.
 *   Leaf locks, under which nothing else is taken: the LRU lists'
 *   lru_lock (swap.c), the inode table lock (fs/namei.c), file->f_lock
 *   (errseq sampling, F_SETFD), the flusher's mutex (page-writeback.c),
 *   mm->pnm_limits.lock (a process's RLIMIT_MEMLOCK and capabilities,
 *   resource.c), the swap device's si->lock (swapfile.c) and the swap
 *   cache's xa_lock (swap_state.c; never nested with si->lock).
 *   swapon_mutex (swapfile.c) is taken first, before any mmap_lock.
 *   memfd seals (memfd.c): adding one holds inode->i_lock, under which
 *   F_SEAL_WRITE scans the cache for pins under i_pages.xa_lock; the
 *   mapping's i_mmap_writable is an atomic, changed under i_mmap_rwsem
 *   (VMAs entering and leaving i_mmap) or with no lock (mmap's hold, the
 *   seal's denial).
 *   Two PTE-table ptls are nested only in fork (parent then child, under
 *   both mmap_locks held for write), mirroring copy_pte_range().
 *   MMU notifiers (mmu_notifier.c): a subscriber's callbacks run with
 *   any of mmap_lock, invalidate_lock, a folio lock, i_mmap_rwsem or an
 *   anon_vma root rwsem held (never a ptl), so the subscriber's own lock
 *   nests inside all of those and outside zone->lock, lru_lock and the
 *   registry lock.  Registration takes mmap_lock (write), then
 *   mm_all_locks_mutex (vma.c), then every i_mmap_rwsem and anon_vma root
 *   rwsem of the mm for write (mm_take_all_locks).
 *   The pin registry lock (pin_registry.c) is a leaf: it may be taken with
 *   any of the locks above held (folio_put_refs() reports put-on-pin
 *   misuse from under a ptl or zone->lock) and no model lock is ever
 *   taken while it is held.
 *
 * Invariants (checked by pnm_check_folio(), pnm_check_mm()):
 *   refcount >= mapcount(PTE mappings) + PMD mappings + page-cache refs
 *   each page's _mapcount == the PTEs that map it, as a walk of the
 *     folio's reverse map finds them; _entire_mapcount (page[1], large
 *     folios) == the PMDs
 *   a large folio's tails: compound_head == head | 1, order 0, refcount
 *     0; its page[1] holds _entire_mapcount and _pincount >= 0; an
 *     order-0 folio has no fields beyond its own descriptor
 *   a page-table frame: PG_table, pt_mm its mm, pt_level, a lock
 *   every present PTE/PMD of every mm is found by that walk: its VMA is
 *     linked to the folio's anon_vma (anon) or in its mapping's i_mmap
 *     (file), at the address the folio's index gives in that VMA
 *   an anon page with PG_anon_exclusive is mapped by at most one mapping
 */
#ifndef PNM_MODEL_MM_TYPES_H
#define PNM_MODEL_MM_TYPES_H

#include <sys/types.h>
#include <model/compiler.h>
#include <model/atomic.h>
#include <model/list.h>
#include <model/spinlock.h>
#include <model/page-flags.h>
#include <model/xarray.h>
#include <model/interval_tree.h>

typedef unsigned long pgoff_t;
typedef unsigned int gfp_t;
typedef unsigned int vm_fault_t;

struct mm_struct;
struct vm_area_struct;
struct address_space;
struct file;
struct inode;
struct vm_fault;
struct pnm_pin_budget;

/*
 * The fields of a frame descriptor, shared by struct page and struct folio
 * (a folio *is* its head page, as in Linux).  Fields marked "head" are only
 * meaningful on the head page of a folio (or on an order-0 page).
 *
 * 64 bytes, Linux's size (BUILD_BUG_ON below), by Linux's three devices:
 * a page-table page points to its lock instead of holding it; a tail's
 * compound_head is the word of lru.next (a tail is on no list); the
 * fields only a large folio needs live on its second page (struct folio's
 * page[1] overlay), in words a tail page leaves unused.  What each word
 * holds therefore depends on what the frame is:
 *
 *   bytes   head / order-0 / free   tail              table (PG_table)
 *   0..8    flags                   flags             flags
 *   8..16   lru.next                compound_head     pt_mm
 *   16..24  lru.prev                page[1]: folio's  ptl (a pointer)
 *                                   _entire_mapcount,
 *                                   _pincount
 *   24..32  mapping                 (unused)          pt_level
 *   32..40  index                   (unused)          pt_deposit.next
 *   40..48  private                 (unused)          pt_deposit.prev
 *   48..64  _mapcount, _refcount, _folio_order, pnm_pincount: every page
 */
#define PNM_PAGE_FIELDS							\
	unsigned long flags;		/* PG_* bits + zone; atomic bitops */	\
	union {								\
		struct {	/* allocated to a user or free in the buddy */	\
			/* buddy free list (zone->lock) or page-cache/LRU	\
			 * list (its owner's lock) */			\
			struct list_head lru;				\
			/* head: anon_vma | PAGE_MAPPING_ANON, or the	\
			 * owning address_space; set under folio lock */	\
			struct address_space *mapping;			\
			/* head: page index in mapping, or (anon) the	\
			 * page offset in the VMA that created it	\
			 * (linear_page_index) */			\
			pgoff_t index;					\
			/* buddy: block order; fs: block state */		\
			unsigned long private;				\
		};							\
		struct {	/* a tail page of a large folio */		\
			/* head page address | 1, set when the folio is	\
			 * made (prep_compound_page) and cleared when it	\
			 * is split or freed; lockless readers peek at it	\
			 * (READ_ONCE, page_folio()).  It is the word of	\
			 * lru.next and of pt_mm, which are even: bit 0	\
			 * set means a tail, clear a head or order-0	\
			 * page (list.h stores next with WRITE_ONCE) */	\
			unsigned long compound_head;			\
			/* page[1]: the folio's fields (struct folio) */	\
			unsigned long _tail_folio_word;			\
		};							\
		struct {	/* a page-table page (ptdesc) */		\
			/* owning mm; first, so the word read as	\
			 * compound_head is even (NULL while the frame	\
			 * waits for a grace period); WRITE_ONCE */	\
			struct mm_struct *pt_mm;			\
			/* the lock of this table's entries (PTE/PMD	\
			 * tables), allocated and freed with the table	\
			 * (a spinlock_t is wider than a word: Linux's	\
			 * split ptlock allocation); ptlock_ptr() */	\
			spinlock_t *ptl;				\
			unsigned long pt_level;	/* 1=PTE .. 4=PGD */	\
			/* PMD table: head of the PTE tables deposited	\
			 * for its huge PMDs; a deposited table: its	\
			 * link (huge_memory.c); the PMD table's ptl */	\
			struct list_head pt_deposit;			\
		};							\
	};								\
	/* PTE mappings of this page (0-based, unlike Linux's -1 bias);	\
	 * changed under the PTE ptl + folio mapcount lock */		\
	atomic_t _mapcount;						\
	/* head: references, including one per mapping, the page cache's	\
	 * folio_nr_pages(), temporary gets and (issue 4) pins */	\
	atomic_t _refcount;						\
	/* head: log2 of the number of frames, 0 for an order-0 page	\
	 * (Linux keeps it on page[1], behind PG_head; here the word is	\
	 * free, and folio_order() reads the head alone); set at	\
	 * allocation */						\
	unsigned int _folio_order;					\
	/* per page: exact pins of this page ("exact" accounting) */	\
	atomic_t pnm_pincount;

struct page {
	PNM_PAGE_FIELDS
};

/*
 * A folio spans its frames' descriptors: its head page, then (a large
 * folio only) the second page's words that a tail leaves unused, which
 * hold the fields only a large folio has, as Linux's struct folio overlays
 * page[1].  An order-0 folio has no second page: those words belong to
 * the next frame, so they are read only when folio_test_large(), through
 * folio_entire_mapcount(), folio_has_pincount() and the like.  Set by
 * prep_compound_page() (page_alloc.c, hugetlb.c's gigantic folios);
 * split_folio_struct() resets them before the page becomes a folio of its
 * own.  A lockless reader that raced with a split or a free reads some
 * other use of the word (lru.prev, stored with WRITE_ONCE by list.h):
 * atomics on both sides, a stale value it rechecks, not a data race.
 */
struct folio {
	union {
		struct {
			PNM_PAGE_FIELDS
		};
		struct page page;
	};
	union {
		struct {
			unsigned long _flags_1;		/* page[1].flags */
			unsigned long _head_1;		/* page[1].compound_head */
			/* PMD (hugetlb: PMD or PUD) mappings of the whole
			 * folio; PMD ptl + folio mapcount lock */
			atomic_t _entire_mapcount;
			/* exact FOLL_PIN count (Linux's _pincount) */
			atomic_t _pincount;
		};
		struct page __page_1;
	};
};

BUILD_BUG_ON(sizeof(struct page) > 64);
BUILD_BUG_ON(offsetof(struct folio, page) != 0);
BUILD_BUG_ON(offsetof(struct folio, __page_1) != sizeof(struct page));
BUILD_BUG_ON(offsetof(struct folio, _head_1) !=
	     sizeof(struct page) + offsetof(struct page, compound_head));
BUILD_BUG_ON(offsetof(struct folio, _entire_mapcount) !=
	     sizeof(struct page) + offsetof(struct page, _tail_folio_word));
BUILD_BUG_ON(offsetof(struct folio, _pincount) + sizeof(atomic_t) >
	     sizeof(struct page) + offsetof(struct page, mapping));

/* page->mapping low bit set: anonymous folio; the rest is its anon_vma. */
#define PAGE_MAPPING_ANON	0x1UL

/* --- VMAs ---------------------------------------------------------------- */

/* vm_flags, Linux's values */
#define VM_NONE		0x00000000UL
#define VM_READ		0x00000001UL
#define VM_WRITE	0x00000002UL
#define VM_EXEC		0x00000004UL
#define VM_SHARED	0x00000008UL
#define VM_MAYREAD	0x00000010UL
#define VM_MAYWRITE	0x00000020UL
#define VM_MAYEXEC	0x00000040UL
#define VM_MAYSHARE	0x00000080UL
#define VM_GROWSDOWN	0x00000100UL
#define VM_PFNMAP	0x00000400UL
#define VM_LOCKED	0x00002000UL
#define VM_IO		0x00004000UL
#define VM_DONTCOPY	0x00020000UL
#define VM_DONTEXPAND	0x00040000UL
#define VM_ACCOUNT	0x00100000UL
#define VM_NORESERVE	0x00200000UL
#define VM_HUGETLB	0x00400000UL
/* Everything the VMA maps counts as soft-dirty (pagemap, task_mmu.c): set
 * on a new mapping, cleared by clear_refs; merging ignores it. */
#define VM_SOFTDIRTY	0x08000000UL
#define VM_HUGEPAGE	0x20000000UL
#define VM_NOHUGEPAGE	0x40000000UL
#define VM_MIXEDMAP	0x10000000UL
#define VM_ACCESS_FLAGS	(VM_READ | VM_WRITE | VM_EXEC)

struct vm_operations_struct {
	void (*open)(struct vm_area_struct *vma);	/* on split/fork copy */
	void (*close)(struct vm_area_struct *vma);	/* on unmap */
	/* Find or create the page for vmf->pgoff; VM_FAULT_* result.  On
	 * success sets vmf->page with a reference held (and, if it returns
	 * VM_FAULT_LOCKED, the folio locked). */
	vm_fault_t (*fault)(struct vm_fault *vmf);
	/* A shared page is about to become writable; VM_FAULT_* result.
	 * Called with the folio unlocked; returns VM_FAULT_LOCKED with the
	 * folio locked on success. */
	vm_fault_t (*page_mkwrite)(struct vm_fault *vmf);
	const char *(*name)(struct vm_area_struct *vma);
	/* May @vma be split at @addr?  0 or -errno (hugetlb: -EINVAL unless
	 * @addr is huge-page aligned).  NULL: always.  mmap_lock (write). */
	int (*may_split)(struct vm_area_struct *vma, unsigned long addr);
};

struct vm_area_struct {
	/* vm_start, vm_end, vm_pgoff change under mmap_lock (write) and, once
	 * the VMA is linked into the reverse map, also under the rmap locks
	 * for write (vma_rmap_lock): rmap walkers read them holding only
	 * those locks. */
	unsigned long vm_start;		/* first byte */
	unsigned long vm_end;		/* first byte after */
	struct mm_struct *vm_mm;	/* set once at creation */
	/* VM_*; changed with WRITE_ONCE (vm_flags_reset) under mmap_lock
	 * (write); rmap walkers read it with READ_ONCE */
	unsigned long vm_flags;
	unsigned long vm_pgoff;		/* file offset (pages) of vm_start;
					 * anon: vm_start >> PAGE_SHIFT at
					 * creation, kept by splits */
	struct file *vm_file;		/* backing file or NULL; reference */
	const struct vm_operations_struct *vm_ops;	/* NULL: private anon */
	void *vm_private_data;
	/* file VMAs: node in vm_file->f_mapping->i_mmap; i_mmap_rwsem */
	struct interval_tree_node shared;
	/* links to every anon_vma this VMA's folios may belong to
	 * (struct anon_vma_chain.same_vma); mmap_lock (write), or mmap_lock
	 * (read) + mm->page_table_lock in anon_vma_prepare() */
	struct list_head anon_vma_chain;
	/* the anon_vma new anonymous folios of this VMA get; published once
	 * (release) under mm->page_table_lock, read with acquire */
	struct anon_vma *anon_vma;
};

/* --- address spaces ------------------------------------------------------ */

enum {
	MM_FILEPAGES,	/* resident file-backed pages */
	MM_ANONPAGES,	/* resident anonymous pages */
	MM_SWAPENTS,	/* swap entries in its page tables (swap.h) */
	MM_SHMEMPAGES,	/* resident shmem pages */
	NR_MM_COUNTERS
};

/* mm->flags bits (MMF_*), Linux's numbering where Linux has one */
#define MMF_HAS_PINNED	27	/* FOLL_PIN has run; never cleared */

/*
 * The set of VMAs, sorted by address and non-overlapping.  Linux keeps them
 * in a maple tree; the model keeps a sorted array, searched by bisection.
 * Protected by mmap_lock: read to look up, write to change.
 */
struct pnm_vma_set {
	struct vm_area_struct **vmas;
	int nr;
	int cap;
};

/*
 * A process's RLIMIT_MEMLOCK and capabilities (resource.c, pinmm/
 * resource.h).  Linux keeps them with the task (signal_struct->rlim,
 * cred->cap_effective); the model keeps them with the address space,
 * which every consumer holds (mlock, secretmem's mmap, the pin budget's
 * charge) and which a model process has exactly one of.  Set at
 * creation, copied at fork.
 */
struct pnm_mm_limits {
	spinlock_t lock;		/* a leaf */
	unsigned long memlock_cur;	/* bytes, or PNM_RLIM_INFINITY; lock */
	unsigned long memlock_max;	/* likewise */
	unsigned long caps;		/* BIT(PNM_CAP_*); lock */
};

struct mm_struct {
	struct pnm_vma_set mm_vmas;	/* mmap_lock */
	/* top-level table (a PG_table frame of the arena); set at creation,
	 * freed after mm_users and mm_count reach zero */
	unsigned long *pgd;
	struct rw_semaphore mmap_lock;
	spinlock_t page_table_lock;	/* populating PGD and PUD entries */
	atomic_t mm_users;		/* users of the address space (mmget) */
	atomic_t mm_count;		/* references to the struct (mmgrab) */
	unsigned long flags;		/* MMF_*; atomic bitops */
	/* odd while fork write-protects this mm's PTEs; written with
	 * mmap_lock held for write (see fork.c, gup_fast.c) */
	seqcount_t write_protect_seq;
	atomic_long_t rss_stat[NR_MM_COUNTERS];	/* atomic */
	atomic_long_t pgtables_bytes;	/* atomic */
	/* base pages mapped by hugetlb entries (Linux's hugetlb_usage, the
	 * HugetlbPages of /proc/pid/status); changed under the entry's lock;
	 * atomic.  hugetlb pages are not in rss_stat. */
	atomic_long_t hugetlb_usage;
	unsigned long total_vm;		/* pages mapped; mmap_lock (write) */
	int map_count;			/* VMAs; mmap_lock (write) */
	unsigned long mmap_base;	/* top-down search start; set once */
	unsigned long task_size;	/* end of user space; set once */
	struct list_head mmlist;	/* all mms; pnm_mm_list_lock */
	int owner_pid;			/* pid of the creating task; set once */
	void *pnm_pin_state;		/* reserved for the pin registry */
	/* its pin budget domain (pin_budget.c), or NULL: created at the first
	 * limit or charge, published with a release store, freed with the struct */
	struct pnm_pin_budget *pnm_pin_budget;
	/* MMU notifier subscriptions (mmu_notifier.c): a singly linked list
	 * through mmu_notifier->pnm_next, and its length.  Changed with
	 * mmap_lock held for write *and* every reverse-map lock of the mm's
	 * VMAs (mm_take_all_locks()); read by invalidators, which hold either
	 * the mmap_lock or the reverse-map lock of the VMA they change. */
	struct mmu_notifier *notifier_subscriptions;
	atomic_t pnm_nr_notifiers;	/* written as the list; read relaxed */
	struct pnm_mm_limits pnm_limits;	/* its process's (resource.c) */
};

/* --- files (issue 5: pagemap.h, writeback.h, fs.h) ----------------------- */

/*
 * A sequence counter for writeback errors (Linux's errseq_t): the low bits
 * hold the latest -errno, the rest a counter bumped when an error is
 * recorded after someone has seen the previous one.  Each struct file
 * samples it at open and reports a new error from fsync exactly once.
 * Atomic (cmpxchg); see page-writeback.c.
 */
typedef unsigned int errseq_t;

struct writeback_control;

struct address_space_operations {
	/* Drop fs-private state for [off, off + len) of a locked folio that
	 * is leaving the cache (or being partly truncated). */
	void (*invalidate_folio)(struct folio *folio, size_t off, size_t len);
	/* Release a folio removed from the cache (refcount still held). */
	void (*free_folio)(struct folio *folio);
	/* Dirty a folio (caller holds folio lock); true if newly dirtied. */
	bool (*dirty_folio)(struct address_space *mapping, struct folio *folio);
	/* Decide whether migration may move this folio (0 ok). */
	int (*migrate_folio)(struct address_space *mapping, struct folio *dst,
			     struct folio *src);
	/* Fill a locked, !uptodate folio from the backing store.  Returns
	 * with the folio still locked: 0 (PG_uptodate set) or -errno. */
	int (*read_folio)(struct file *file, struct folio *folio);
	/* Write a locked folio under writeback from wbc->pnm_src (the data
	 * or a bounce copy of it): 0 or -errno.  writeback.h. */
	int (*writepage)(struct folio *folio, struct writeback_control *wbc);
	/* Buffered write (filemap.c): return in *foliop the locked,
	 * referenced folio covering @pos, read first if the write covers
	 * only part of a !uptodate folio, ready (block state) for @len bytes
	 * at @pos.  0 or -errno. */
	int (*write_begin)(struct file *file, struct address_space *mapping,
			   loff_t pos, unsigned int len, struct folio **foliop);
	/* @copied bytes were copied at @pos: dirty the folio, extend i_size,
	 * unlock and put it.  Returns @copied or -errno. */
	int (*write_end)(struct file *file, struct address_space *mapping,
			 loff_t pos, unsigned int len, unsigned int copied,
			 struct folio *folio);
	/* Reclaim: may the clean, locked folio's private state go?  true if
	 * released (or there was none). */
	bool (*release_folio)(struct folio *folio);
	/* Check fs-private state of a cached folio (checkers); NULL: none. */
	bool (*pnm_check_folio)(struct address_space *mapping, struct folio *folio);
};

/* mapping->flags bits (AS_*) */
#define AS_LARGE_FOLIO_SUPPORT	6	/* the cache may hold large folios */
#define AS_UNEVICTABLE		3	/* never reclaimed (shmem, dax) */
#define AS_MM_ALL_LOCKS		2	/* i_mmap_rwsem taken by mm_take_all_locks() */

struct address_space {
	struct inode *host;
	struct xarray i_pages;		/* index -> folio; i_pages.xa_lock */
	unsigned long nrpages;		/* i_pages.xa_lock */
	const struct address_space_operations *a_ops;
	unsigned long flags;		/* AS_*; atomic bitops */
	/* Held shared by page-cache fills (faults, reads) and exclusive by
	 * truncate and hole punch, so neither sees a half-removed range. */
	struct rw_semaphore invalidate_lock;
	/* every VMA mapping this file, keyed by the pages it covers (rmap.h) */
	struct pnm_itree_root i_mmap;		/* i_mmap_rwsem */
	struct rw_semaphore i_mmap_rwsem;
	/*
	 * Linux's i_mmap_writable: > 0, the VMAs in i_mmap that are shared
	 * and may write (VM_SHARED and VM_MAYWRITE, counted as they enter and
	 * leave the tree, interval_tree.c) plus mmap()s setting one up;
	 * < 0, writable shared mappings are denied (memfd's F_SEAL_WRITE,
	 * memfd.c).  Atomic: mapping_map_writable()/mapping_deny_writable().
	 */
	atomic_t i_mmap_writable;
	errseq_t wb_err;		/* writeback errors; atomic */
	void *private_data;
};

struct inode {
	unsigned long i_ino;
	loff_t i_size;			/* i_lock to change; READ_ONCE */
	atomic_t i_count;		/* references (files, iterators) */
	struct mutex i_lock;		/* serialises size changes (i_rwsem) */
	unsigned int i_flags;		/* S_*; set at creation */
	int i_fs;			/* enum pnm_fs_type; set at creation */
	struct address_space i_data;
	struct address_space *i_mapping;	/* == &i_data */
	struct list_head i_sb_list;	/* all inodes; pnm_inode_lock */
	void *i_private;		/* filesystem private */
};

#define S_DAX	8192			/* Linux's value */

struct file_operations {
	/* set the VMA up (vm_ops...) at mmap: 0 or -errno */
	int (*mmap)(struct file *file, struct vm_area_struct *vma);
	/* the last reference is gone: free everything (NULL: free(file)) */
	void (*release)(struct file *file);
	ssize_t (*read)(struct file *file, void *buf, size_t count, loff_t *pos);
	ssize_t (*write)(struct file *file, const void *buf, size_t count, loff_t *pos);
	/* write back and wait for [start, end] (inclusive); errseq result */
	int (*fsync)(struct file *file, loff_t start, loff_t end, int datasync);
	long (*fallocate)(struct file *file, int mode, loff_t offset, loff_t len);
	/* change i_size (ftruncate): 0 or -errno */
	int (*setsize)(struct file *file, loff_t size);
};

struct file {
	atomic_long_t f_count;
	struct inode *f_inode;
	struct address_space *f_mapping;
	unsigned int f_mode;		/* FMODE_READ | FMODE_WRITE */
	/* O_*: set at open; O_CLOEXEC changes under f_lock (F_SETFD,
	 * memfd.c), read with READ_ONCE */
	unsigned int f_flags;
	const struct file_operations *f_op;
	errseq_t f_wb_err;		/* mapping->wb_err seen; f_lock */
	spinlock_t f_lock;
	void *private_data;
};

#define FMODE_READ	0x1
#define FMODE_WRITE	0x2

#endif /* PNM_MODEL_MM_TYPES_H */
