/* SPDX-License-Identifier: MIT */
/*
 * mm.h - the memory manager's main interface: frames and folios, the folio
 * reference and lock, faults, VMAs and the process-side calls.
 */
#ifndef PNM_MODEL_MM_H
#define PNM_MODEL_MM_H

#include <errno.h>
#include <sys/mman.h>
#include <model/gfp.h>
#include <model/pgtable.h>

/* --- the arena (page_alloc.c) -------------------------------------------- */

struct pnm_mem {
	unsigned char *base;		/* host mapping of all frames; set at init */
	struct page *mem_map;		/* one descriptor per frame; set at init */
	unsigned long nr_frames;	/* set at init */
	struct zone zones[MAX_NR_ZONES];
	unsigned long zero_pfn;		/* the shared zero page */
};
extern struct pnm_mem pnm_mem;

static inline struct page *pfn_to_page(unsigned long pfn) { return &pnm_mem.mem_map[pfn]; }
static inline unsigned long page_to_pfn(const struct page *p) { return (unsigned long)(p - pnm_mem.mem_map); }
static inline bool pfn_valid(unsigned long pfn) { return pfn < pnm_mem.nr_frames; }
/* Host address of the frame's 4 KiB of data. */
static inline void *page_address(const struct page *p)
{ return pnm_mem.base + (page_to_pfn(p) << PAGE_SHIFT); }
static inline enum zone_type page_zonenum(const struct page *p)
{ return (enum zone_type)((READ_ONCE(p->flags) >> ZONES_PGSHIFT) & ZONES_MASK); }
static inline struct zone *page_zone(const struct page *p) { return &pnm_mem.zones[page_zonenum(p)]; }

/* --- page flags ---------------------------------------------------------- */
#define PAGE_FLAG_FNS(uname, lname)					\
static inline bool Page##uname(const struct page *p)			\
{ return test_bit(PG_##lname, &p->flags); }				\
static inline void SetPage##uname(struct page *p)			\
{ set_bit(PG_##lname, (unsigned long *)&p->flags); }			\
static inline void ClearPage##uname(struct page *p)			\
{ clear_bit(PG_##lname, (unsigned long *)&p->flags); }
PAGE_FLAG_FNS(Locked, locked)
PAGE_FLAG_FNS(Dirty, dirty)
PAGE_FLAG_FNS(Uptodate, uptodate)
PAGE_FLAG_FNS(Head, head)
PAGE_FLAG_FNS(Reserved, reserved)
PAGE_FLAG_FNS(Private, private)
PAGE_FLAG_FNS(Writeback, writeback)
PAGE_FLAG_FNS(SwapBacked, swapbacked)
PAGE_FLAG_FNS(AnonExclusive, anon_exclusive)
PAGE_FLAG_FNS(Buddy, buddy)
PAGE_FLAG_FNS(Table, table)
PAGE_FLAG_FNS(Isolated, isolated)
PAGE_FLAG_FNS(Referenced, referenced)
PAGE_FLAG_FNS(Lru, lru)
#undef PAGE_FLAG_FNS

/* --- folios -------------------------------------------------------------- */

static inline bool PageTail(const struct page *p) { return READ_ONCE(p->compound_head) & 1; }
static inline struct page *compound_head(const struct page *p)
{
	unsigned long h = READ_ONCE(p->compound_head);

	return (h & 1) ? (struct page *)(h - 1) : (struct page *)p;
}
static inline struct folio *page_folio(const struct page *p) { return (struct folio *)compound_head(p); }
/*
 * Make @p a tail of the folio headed by @head (the word it shares with
 * lru.next).  The caller owns the frames: a new allocation, a hugetlb
 * folio being put together; a lockless reader peeking meanwhile sees
 * this or the even word before it, a head.
 */
static inline void set_compound_head(struct page *p, const struct page *head)
{ WRITE_ONCE(p->compound_head, (unsigned long)head | 1); }
/*
 * @p stops being a tail (a split, a dissolved hugetlb folio): its lru
 * becomes an empty list, as on a fresh page.  The store of the word read
 * as compound_head comes last and is a release: a thread that finds @p
 * its own folio (page_folio()) and then takes a reference on it (fully
 * ordered) or waits for its lock sees every store the caller made to the
 * descriptor before.
 */
static inline void clear_compound_head(struct page *p)
{
	WRITE_ONCE(p->lru.prev, &p->lru);
	__atomic_store_n(&p->lru.next, &p->lru, __ATOMIC_RELEASE);
}
static inline struct page *folio_page(struct folio *f, unsigned long n) { return &f->page + n; }
static inline struct folio *pfn_folio(unsigned long pfn) { return page_folio(pfn_to_page(pfn)); }
static inline unsigned int folio_order(const struct folio *f) { return READ_ONCE(f->_folio_order); }
static inline unsigned long folio_nr_pages(const struct folio *f) { return 1UL << folio_order(f); }
static inline size_t folio_size(const struct folio *f) { return PAGE_SIZE << folio_order(f); }
static inline bool folio_test_large(const struct folio *f) { return folio_order(f) > 0; }
static inline unsigned long folio_pfn(const struct folio *f) { return page_to_pfn(&f->page); }
static inline void *folio_address(const struct folio *f) { return page_address(&f->page); }
static inline struct zone *folio_zone(const struct folio *f) { return page_zone(&f->page); }
static inline bool folio_test_anon(const struct folio *f)
{ return ((unsigned long)READ_ONCE(f->mapping) & PAGE_MAPPING_ANON) != 0; }
static inline struct address_space *folio_mapping(const struct folio *f)
{
	struct address_space *m = READ_ONCE(f->mapping);

	return ((unsigned long)m & PAGE_MAPPING_ANON) ? NULL : m;
}
static inline bool folio_test_dirty(const struct folio *f) { return PageDirty(&f->page); }
static inline bool folio_test_locked(const struct folio *f) { return PageLocked(&f->page); }
static inline bool folio_test_writeback(const struct folio *f) { return PageWriteback(&f->page); }
/*
 * PG_uptodate publishes a folio's data: whoever fills it sets the flag
 * with release (folio_mark_uptodate) after the data is in place, and a
 * reader that looks without the folio lock tests it with acquire, so a
 * true result means the data is visible (Linux's smp_wmb/smp_rmb pair).
 */
static inline bool folio_test_uptodate(const struct folio *f)
{ return test_bit_acquire(PG_uptodate, &f->page.flags); }
static inline void folio_mark_uptodate(struct folio *f)
{ set_bit_release(PG_uptodate, &f->page.flags); }
static inline bool folio_test_swapbacked(const struct folio *f) { return PageSwapBacked(&f->page); }
static inline bool folio_test_reserved(const struct folio *f) { return PageReserved(&f->page); }
/* Index of @page inside its folio. */
static inline unsigned long folio_page_idx(const struct folio *f, const struct page *p)
{ return (unsigned long)(p - &f->page); }

/* --- the zero page ------------------------------------------------------- */
static inline bool is_zero_pfn(unsigned long pfn) { return pfn == pnm_mem.zero_pfn; }
static inline bool is_zero_folio(const struct folio *f) { return folio_pfn(f) == pnm_mem.zero_pfn; }
#define ZERO_PAGE(vaddr)	pfn_to_page(pnm_mem.zero_pfn)

/* --- references (swap.c) -------------------------------------------------
 * The refcount lives on the head page.  A folio is freed (returned to the
 * buddy allocator, with its rmap list empty and nothing mapping it) when
 * its refcount drops to zero.  Value-returning ops are fully ordered.
 */
static inline int folio_ref_count(const struct folio *f) { return atomic_read(&f->_refcount); }
static inline int page_ref_count(const struct page *p) { return folio_ref_count(page_folio(p)); }
static inline void folio_ref_add(struct folio *f, int nr) { atomic_add(nr, &f->_refcount); }
static inline void folio_get(struct folio *f) { folio_ref_add(f, 1); }
static inline void get_page(struct page *p) { folio_get(page_folio(p)); }
/* Take a reference only if the folio is not being freed (refcount > 0).
 * Fully ordered on success. */
static inline bool folio_try_get(struct folio *f) { return atomic_add_unless(&f->_refcount, 1, 0); }
/* Drop @nr references; frees the folio when the count reaches zero. */
void folio_put_refs(struct folio *folio, int nr);
/* The part of folio_put_refs() after its decrement left @refs (swap.c). */
void __folio_put_refs_done(struct folio *folio, int refs);
static inline void folio_put(struct folio *f) { folio_put_refs(f, 1); }
static inline void put_page(struct page *p) { folio_put(page_folio(p)); }
/* Copy a folio's data (same order). */
void folio_copy(struct folio *dst, struct folio *src);

/* --- mapcounts (rmap.c maintains them) ------------------------------------ */
/* PMD mappings of the whole folio (page[1]: large folios only; an order-0
 * folio is never mapped whole). */
static inline int folio_entire_mapcount(const struct folio *f)
{ return folio_test_large(f) ? atomic_read(&f->_entire_mapcount) : 0; }
static inline int page_mapcount(const struct page *p)
{
	struct folio *f = page_folio(p);

	return atomic_read(&p->_mapcount) + folio_entire_mapcount(f);
}
/* Total mappings: PTE mappings of every page + PMD mappings x nr_pages. */
int folio_mapcount(struct folio *folio);
bool folio_mapped(struct folio *folio);

/* --- pins (queried by fork/migration; taken by gup.c in the GUP issue) --- */
#define GUP_PIN_COUNTING_BIAS	(1U << 10)
/* Does @f count its pins in _pincount (page[1], large folios only)? */
static inline bool folio_has_pincount(const struct folio *f) { return folio_test_large(f); }
/*
 * May the folio be pinned for DMA?  No false negatives; Linux's false
 * positives on small folios (>= 1024 ordinary references) are kept here so
 * the "linux" accounting mode behaves like Linux.
 */
bool folio_maybe_dma_pinned(struct folio *folio);
static inline bool page_maybe_dma_pinned(struct page *p) { return folio_maybe_dma_pinned(page_folio(p)); }
/* Fork-time question (caller holds write_protect_seq for write). */
bool folio_needs_cow_for_dma(struct vm_area_struct *vma, struct folio *folio);

/* --- the folio lock (filemap.c) -------------------------------------------
 * A sleeping bit lock (PG_locked).  Held across migration, splitting and
 * page-cache state changes.  Ordered outside the page-table locks and inside
 * mmap_lock (see mm_types.h).
 */
void folio_lock(struct folio *folio);
bool folio_trylock(struct folio *folio);
void folio_unlock(struct folio *folio);
/* Wait until the folio is unlocked (does not take it). */
void folio_wait_locked(struct folio *folio);

/* --- faults (memory.c) --------------------------------------------------- */

#define FAULT_FLAG_WRITE	0x01	/* the access is a write */
#define FAULT_FLAG_MKWRITE	0x02
#define FAULT_FLAG_ALLOW_RETRY	0x04
#define FAULT_FLAG_RETRY_NOWAIT	0x08
#define FAULT_FLAG_KILLABLE	0x10
#define FAULT_FLAG_TRIED	0x20
#define FAULT_FLAG_USER		0x40
#define FAULT_FLAG_REMOTE	0x80	/* on behalf of another mm (GUP) */
#define FAULT_FLAG_INSTRUCTION	0x100
#define FAULT_FLAG_INTERRUPTIBLE 0x200
#define FAULT_FLAG_UNSHARE	0x400	/* give the mm an exclusive anon copy,
					 * keep it read-only (GUP R/O pins) */

#define VM_FAULT_OOM		0x000001
#define VM_FAULT_SIGBUS		0x000002
#define VM_FAULT_MAJOR		0x000004
#define VM_FAULT_HWPOISON	0x000010
#define VM_FAULT_SIGSEGV	0x000040
#define VM_FAULT_NOPAGE		0x000100
#define VM_FAULT_LOCKED		0x000200
#define VM_FAULT_RETRY		0x000400
#define VM_FAULT_FALLBACK	0x000800
#define VM_FAULT_DONE_COW	0x001000
#define VM_FAULT_COMPLETED	0x004000
#define VM_FAULT_ERROR	(VM_FAULT_OOM | VM_FAULT_SIGBUS | VM_FAULT_SIGSEGV | VM_FAULT_HWPOISON)

struct vm_fault {
	struct vm_area_struct *vma;
	unsigned long address;		/* faulting address, page aligned */
	unsigned int flags;		/* FAULT_FLAG_* */
	pgoff_t pgoff;			/* file page offset of address */
	pmd_t *pmd;
	pmd_t orig_pmd;
	pte_t *pte;			/* mapped entry, when ptl held */
	pte_t orig_pte;
	spinlock_t *ptl;
	struct page *page;		/* ->fault result */
	struct page *cow_page;
};

/*
 * Resolve a fault at @address in @vma as the MMU would report it.  Caller
 * holds vma->vm_mm->mmap_lock for read and keeps it (the model never drops
 * mmap_lock inside a fault).  Handles: demand-zero anon (zero page on read,
 * new page on write), THP allocation in VM_HUGEPAGE areas with fallback,
 * COW break and anon-exclusive reuse on write, FAULT_FLAG_UNSHARE, shared
 * and file faults through vm_ops, waiting on migration entries.
 * Returns 0 or VM_FAULT_* bits (VM_FAULT_OOM: out of frames; SIGSEGV: a
 * user access (FAULT_FLAG_USER) the VMA does not permit, or a write fault
 * on a VMA that no forced write may change -- not VM_MAYWRITE, or shared
 * and not VM_WRITE; SIGBUS: beyond the backing object).  Faults without
 * FAULT_FLAG_USER (GUP, which checked the VMA itself: FOLL_FORCE) are not
 * checked against VM_READ/VM_WRITE.
 */
vm_fault_t handle_mm_fault(struct vm_area_struct *vma, unsigned long address,
			   unsigned int flags);
/* Translate a VM_FAULT_* error into -errno (-ENOMEM, -EFAULT, ...). */
int vm_fault_to_errno(vm_fault_t vmf, unsigned int foll_flags);

/*
 * The struct page a present PTE maps, or NULL for special mappings (the
 * zero page, VM_PFNMAP).  Caller holds the PTE's ptl.
 */
struct page *vm_normal_page(struct vm_area_struct *vma, unsigned long addr, pte_t pte);
struct folio *vm_normal_folio(struct vm_area_struct *vma, unsigned long addr, pte_t pte);

/*
 * Remove every mapping in [start, end) of @vma: clear PTEs/PMDs, drop rmap
 * and references (pages freed when unreferenced), splitting a PMD that
 * straddles the range.  Caller holds mmap_lock (read for MADV_DONTNEED,
 * write for munmap).
 */
void zap_page_range_single(struct vm_area_struct *vma, unsigned long start,
			   unsigned long size);
/*
 * Remove every mapping in [start, end) of @mm, from @vma (the first VMA
 * that ends above @start) on, as zap_page_range_single() does for each VMA
 * part in the range, under one MMU_NOTIFY_UNMAP notification (munmap,
 * exit).  Caller holds mmap_lock for write.
 */
void unmap_vmas(struct mm_struct *mm, struct vm_area_struct *vma, unsigned long start,
		unsigned long end);
/* Copy @src_vma's page tables into @dst_vma at fork (memory.c); 0 or
 * -ENOMEM.  Both mmap_locks held for write. */
int copy_page_range(struct vm_area_struct *dst_vma, struct vm_area_struct *src_vma);

/* --- VMAs (vma.c) ---------------------------------------------------------*/

/* First VMA with vm_end > addr, or NULL.  mmap_lock held. */
struct vm_area_struct *find_vma(struct mm_struct *mm, unsigned long addr);
/* The VMA containing @addr, or NULL. */
struct vm_area_struct *vma_lookup(struct mm_struct *mm, unsigned long addr);
/* First VMA intersecting [start, end), or NULL. */
struct vm_area_struct *find_vma_intersection(struct mm_struct *mm,
					     unsigned long start, unsigned long end);
/* Iterate all VMAs in address order; robust against changes made to the
 * VMA just visited (it re-searches from vma->vm_end). */
#define for_each_vma(mm, vma) \
	for ((vma) = find_vma((mm), 0); (vma); (vma) = find_vma((mm), (vma)->vm_end))
static inline unsigned long vma_pages(const struct vm_area_struct *v)
{ return (v->vm_end - v->vm_start) >> PAGE_SHIFT; }
static inline bool vma_is_anonymous(const struct vm_area_struct *v) { return v->vm_ops == NULL; }
/*
 * Does a shared writable mapping track writes (Linux's
 * vma_wants_writenotify)?  Yes when its object has ->page_mkwrite: its
 * pages are then mapped read-only until a write fault told the
 * filesystem, and nothing else (mprotect) may make a clean one writable.
 */
static inline bool vma_wants_writenotify(const struct vm_area_struct *v)
{
	return (v->vm_flags & (VM_SHARED | VM_WRITE)) == (VM_SHARED | VM_WRITE) &&
	       v->vm_ops && v->vm_ops->page_mkwrite;
}
static inline bool is_cow_mapping(unsigned long flags)
{ return (flags & (VM_SHARED | VM_MAYWRITE)) == VM_MAYWRITE; }
static inline pgoff_t linear_page_index(const struct vm_area_struct *v, unsigned long addr)
{ return ((addr - v->vm_start) >> PAGE_SHIFT) + v->vm_pgoff; }
/*
 * Check the VMA set: sorted, non-overlapping, page aligned, inside
 * [MMAP_MIN_ADDR, TASK_SIZE), vm_mm correct, map_count and total_vm agree.
 * Caller holds mmap_lock.
 */
bool pnm_check_vmas(struct mm_struct *mm);

/* --- mm lifetime (fork.c) ------------------------------------------------ */
struct mm_struct *mm_alloc(void);		/* NULL on -ENOMEM */
static inline void mmgrab(struct mm_struct *mm) { atomic_inc(&mm->mm_count); }
void mmdrop(struct mm_struct *mm);		/* frees the struct at 0 */
static inline void mmget(struct mm_struct *mm) { atomic_inc(&mm->mm_users); }
static inline bool mmget_not_zero(struct mm_struct *mm) { return atomic_add_unless(&mm->mm_users, 1, 0); }
/* Drop a user; the last one tears down the address space (exit_mmap). */
void mmput(struct mm_struct *mm);
/* Tear down every mapping and table of a dying mm (mmap.c). */
void exit_mmap(struct mm_struct *mm);
static inline void mmap_read_lock(struct mm_struct *mm) { down_read(&mm->mmap_lock); }
static inline bool mmap_read_trylock(struct mm_struct *mm) { return down_read_trylock(&mm->mmap_lock); }
static inline void mmap_read_unlock(struct mm_struct *mm) { up_read(&mm->mmap_lock); }
static inline void mmap_write_lock(struct mm_struct *mm) { down_write(&mm->mmap_lock); }
static inline void mmap_write_unlock(struct mm_struct *mm) { up_write(&mm->mmap_lock); }
static inline void mmap_assert_locked(struct mm_struct *mm) { lockdep_assert_held_rwsem(&mm->mmap_lock); }
static inline void mmap_assert_write_locked(struct mm_struct *mm) { lockdep_assert_held_write(&mm->mmap_lock); }
static inline long get_mm_counter(struct mm_struct *mm, int member) { return atomic_long_read(&mm->rss_stat[member]); }
static inline void add_mm_counter(struct mm_struct *mm, int member, long v) { atomic_long_add(v, &mm->rss_stat[member]); }
static inline unsigned long get_mm_rss(struct mm_struct *mm)
{ return get_mm_counter(mm, MM_FILEPAGES) + get_mm_counter(mm, MM_ANONPAGES) + get_mm_counter(mm, MM_SHMEMPAGES); }
/* Full check of an mm: VMAs, page tables, rmap consistency, the smaps
 * totals against the RSS counters (task_mmu.c), MMU notifier
 * subscriptions.  Takes mmap_lock for read. */
bool pnm_check_mm(struct mm_struct *mm);

/* --- process-side calls (mmap.c, mprotect.c, madvise.c) -------------------
 * The model's system calls on an mm (pinmm/mman.h has them on a task:
 * pnm_mm_mmap() ...).  They take the mm explicitly, take
 * its mmap_lock themselves, validate their arguments as Linux does and,
 * on error, change nothing.
 */

/*
 * mmap(2): PROT_READ/WRITE/EXEC/NONE; MAP_PRIVATE or MAP_SHARED (exactly
 * one), MAP_ANONYMOUS, MAP_FIXED, MAP_FIXED_NOREPLACE, MAP_POPULATE,
 * MAP_NORESERVE.  @file NULL means anonymous (MAP_SHARED|MAP_ANONYMOUS is
 * backed by a shmem object).  Returns the address, or -EINVAL (bad
 * alignment, zero length, unknown flags, both or neither of PRIVATE/SHARED),
 * -ENOMEM (no room, or length overflows), -EEXIST (FIXED_NOREPLACE overlap),
 * -EACCES (file mode forbids the protection).
 */
long pnm_mm_mmap(struct mm_struct *mm, unsigned long addr, unsigned long len,
	      unsigned long prot, unsigned long flags, struct file *file,
	      unsigned long off);
/*
 * A device-style VM_IO / VM_PFNMAP mapping (what a driver's mmap of MMIO
 * gives a process), for showing that GUP refuses such areas.  @vm_flags
 * must contain VM_IO and/or VM_PFNMAP and nothing else but VM_DONTCOPY and
 * VM_DONTEXPAND; @prot is PROT_READ/WRITE/EXEC.  The mapping is
 * MAP_SHARED, backed by a device file of its own, and has no pages: the
 * model does not map device frames, so every CPU access to it faults with
 * SIGBUS (-EFAULT from pnm_user_read/write), and GUP refuses it up front
 * with -EFAULT.  Returns the address, or -EINVAL (bad @vm_flags, @prot or
 * @len), -ENOMEM (no room, no memory), as pnm_mm_mmap().  Takes mmap_lock
 * for write.  (mmap.c)
 */
long pnm_mm_mmap_pfnmap(struct mm_struct *mm, unsigned long len, unsigned long prot,
		     unsigned long vm_flags);
/* munmap(2): 0, or -EINVAL (unaligned start, zero/overflowing length,
 * outside user space); splits VMAs at the edges; -ENOMEM if a split would
 * need memory it cannot get. */
int pnm_mm_munmap(struct mm_struct *mm, unsigned long addr, unsigned long len);
/* mprotect(2): 0, -EINVAL, -ENOMEM (range not fully mapped), -EACCES
 * (PROT_WRITE on a shared mapping of a file opened read-only). */
int pnm_mm_mprotect(struct mm_struct *mm, unsigned long addr, unsigned long len,
		 unsigned long prot);
/* Linux's value; glibc's <sys/mman.h> may lack it (pinmm/thp.h). */
#ifndef MADV_COLLAPSE
#define MADV_COLLAPSE	PNM_MADV_COLLAPSE
#endif
/* madvise(2): MADV_DONTNEED, MADV_DONTFORK, MADV_DOFORK, MADV_HUGEPAGE,
 * MADV_NOHUGEPAGE, MADV_NORMAL, MADV_POPULATE_READ/WRITE, MADV_COLD,
 * MADV_PAGEOUT, MADV_FREE, MADV_COLLAPSE.  0, -EINVAL, -ENOMEM (unmapped
 * hole), -EAGAIN, -EFAULT, -EIO/-ENOSPC (MADV_PAGEOUT: a swap write
 * failed) (madvise.c). */
int pnm_mm_madvise(struct mm_struct *mm, unsigned long addr, unsigned long len,
		int advice);
/* mlock(2) / munlock(2) (mlock.c): 0, -EINVAL, -ENOMEM (a hole: nothing
 * changed), -EAGAIN.  Take mmap_lock. */
int pnm_mm_mlock(struct mm_struct *mm, unsigned long start, size_t len);
int pnm_mm_munlock(struct mm_struct *mm, unsigned long start, size_t len);

/* --- shmem (shmem.c): page-cache-only objects ---------------------------- */
/* A new shmem file of @size bytes (NULL on -ENOMEM); one reference. */
struct file *shmem_file_setup(const char *name, loff_t size);
/* Turn an anonymous VMA into a MAP_SHARED|MAP_ANONYMOUS one. */
int shmem_zero_setup(struct vm_area_struct *vma);
static inline void get_file(struct file *f) { atomic_long_inc(&f->f_count); }
void fput(struct file *file);

#endif /* PNM_MODEL_MM_H */
