/* SPDX-License-Identifier: MIT */
/*
 * pinmm/inspect.h - looking at the model: what a process maps at an
 * address, its mappings and resident memory, a frame and its folio, a
 * file's page cache, the zones and the arena.
 *
 * Every query fills a snapshot structure that the caller owns.  Such a
 * structure starts with a size_t size member, which the caller sets to
 * sizeof(the structure) before the call: structures may grow in later
 * releases (fields are only appended), and the library fills
 * min(size, its own size) bytes and sets size to that number, so a
 * program built against an older or newer header keeps working.  A size
 * smaller than the structure had in the release that introduced the call
 * is -EINVAL.
 *
 * A snapshot is read without stopping the model: fields are read with
 * relaxed loads (those of one page table entry or one zone under the
 * entry's or zone's lock).  It is exact while no other thread changes
 * what it describes -- single-threaded programs, scenarios, a model
 * quiesced by the caller -- and otherwise a consistent-enough picture
 * for statistics.  Queries take only the locks named in their contract,
 * briefly, and change nothing.  Calls return 0 or a negative errno;
 * -EINVAL also when the model is not initialised.
 */
#ifndef PINMM_INSPECT_H
#define PINMM_INSPECT_H

#include <pinmm/types.h>
#include <pinmm/file.h>

PNM_BEGIN_DECLS

/* Orders of the buddy allocator: 0 (4 KiB) .. PNM_HPAGE_PMD_ORDER (2 MiB). */
#define PNM_NR_PAGE_ORDERS	(PNM_HPAGE_PMD_ORDER + 1)

/* "Normal", "Movable", "CMA" ("?" for anything else). */
PNM_API const char *pnm_zone_name(enum pnm_zone_type zone);

/* --- the arena --------------------------------------------------------------- */

struct pnm_mem_info {
	size_t size;			/* set by the caller: sizeof(*info) */
	unsigned long frames;		/* frames in the arena, all zones */
	unsigned long free_frames;	/* in the buddy allocator */
	unsigned long allocated_frames;	/* handed out (zero page included) */
	unsigned long zero_pfn;		/* the shared zero page */
	/* Does the model keep an exact pin count per page
	 * (pnm_page_info.page_pins)?  Yes with exact accounting or
	 * pin_debug (fixed at pnm_init()); otherwise page_pins reads 0
	 * whatever the pins. */
	bool page_pins_kept;
};
/* The arena as a whole.  0, -EINVAL (bad @info, not initialised). */
PNM_API int pnm_get_mem_info(struct pnm_mem_info *info);
/*
 * The host memory the model spends describing each 4 KiB frame: returns
 * the size of its descriptor (sizeof(struct page), the frame's mem_map[]
 * entry); *@side_bits64 (may be NULL) gets the bits per 64 frames of the
 * per-frame side tables kept besides mem_map[] (the pin registry's map of
 * frames with released pins, one bit per frame; the deferred split
 * queue's map, one bit per PNM_PAGE_SIZE << PNM_THP_MIN_ORDER).  A fixed
 * property of the library: needs no model.
 */
PNM_API size_t pnm_page_desc_size(unsigned int *side_bits64);

/* --- zones ------------------------------------------------------------------- */

struct pnm_zone_info {
	size_t size;			/* set by the caller: sizeof(*info) */
	unsigned long start_pfn;	/* first frame */
	unsigned long frames;		/* frames spanned; 0: the zone has no memory */
	unsigned long free_pages;	/* free frames */
	int largest_free_order;		/* order of the largest free block, -1 if none */
	/* Free blocks of each order (/proc/buddyinfo). */
	unsigned long nr_free[PNM_NR_PAGE_ORDERS];
	unsigned long alloc;		/* pages handed out so far */
	unsigned long freed;		/* pages given back so far */
	unsigned long alloc_fail;	/* allocation attempts that found nothing */
};
/* @zone's frames and free memory; a zone configured with no frames gives
 * frames 0 and largest_free_order -1.  Takes the zone's lock briefly.
 * 0, -EINVAL (unknown zone, bad @info, not initialised). */
PNM_API int pnm_get_zone_info(enum pnm_zone_type zone, struct pnm_zone_info *info);

/* --- frames, folios and what maps them ---------------------------------------- */

/* What a frame is used for. */
enum pnm_frame_kind {
	PNM_FRAME_FREE,		/* in the buddy allocator (or on its way there) */
	PNM_FRAME_FOLIO,	/* part of an allocated folio: process, page
				 * cache or dax storage data */
	PNM_FRAME_PAGE_TABLE,	/* holds a page table */
	PNM_FRAME_RESERVED,	/* never allocated or freed: the zero page */
};

/* pnm_page_info.flags: the folio's and the page's state (Linux's flags
 * where Linux has one). */
#define PNM_PAGE_ANON		0x0001u	/* an anonymous folio (PageAnon) */
#define PNM_PAGE_ANON_EXCLUSIVE	0x0002u	/* this page: PG_anon_exclusive */
#define PNM_PAGE_DIRTY		0x0004u	/* PG_dirty */
#define PNM_PAGE_WRITEBACK	0x0008u	/* PG_writeback */
#define PNM_PAGE_LOCKED		0x0010u	/* PG_locked (the folio lock) */
#define PNM_PAGE_UPTODATE	0x0020u	/* PG_uptodate */
#define PNM_PAGE_PRIVATE	0x0040u	/* PG_private: disk block state */
#define PNM_PAGE_LRU		0x0080u	/* on an LRU list (reclaimable) */
#define PNM_PAGE_CACHED		0x0100u	/* in a file's page cache */
#define PNM_PAGE_TRUNCATED	0x0200u	/* left its file's cache while still
					 * referenced (pinned, say) */
#define PNM_PAGE_NOFS_DIRTY	0x0400u	/* dirtied behind the filesystem's
					 * back (reported) */
#define PNM_PAGE_ZERO		0x0800u	/* the shared zero page */
#define PNM_PAGE_HUGE_ZERO	0x1000u	/* a page of the huge zero page */
#define PNM_PAGE_MAYBE_PINNED	0x2000u	/* folio_maybe_dma_pinned() */
#define PNM_PAGE_SWAPCACHE	0x4000u	/* in the swap cache (PG_swapcache) */
#define PNM_PAGE_ACTIVE		0x8000u	/* on the active anon list (PG_active) */
/* Set by pnm_task_page_info() only: the entry mapping the page there. */
#define PNM_PAGE_MAP_WRITE	0x10000u /* writable (no COW or write notify pending) */
#define PNM_PAGE_MAP_DIRTY	0x20000u /* the entry's dirty bit */
#define PNM_PAGE_MAP_PMD	0x40000u /* a PMD maps the whole folio */
#define PNM_PAGE_MAP_PUD	0x80000u /* a PUD maps the whole (1 GiB
					  * hugetlb) folio */
/* State again (the values below 0x10000 ran out). */
#define PNM_PAGE_HUGETLB	0x100000u /* a hugetlb folio (pinmm/hugetlb.h) */
/* Out of the kernel's direct map: a secretmem page (pinmm/memfd.h). */
#define PNM_PAGE_SECRET		0x200000u

struct pnm_page_info {
	size_t size;			/* set by the caller: sizeof(*info) */
	unsigned long pfn;		/* the frame */
	/* Its struct page, for the calls of pinmm/gup.h.  Using it beyond
	 * looking needs a reference or pin held on its folio. */
	struct page *page;
	enum pnm_frame_kind kind;
	enum pnm_zone_type zone;	/* fixed per frame */
	unsigned int flags;		/* PNM_PAGE_* */
	unsigned long head_pfn;	/* first frame of its folio */
	unsigned int order;		/* log2 of the folio's frames (9: 2 MiB) */
	int refcount;			/* references to the folio */
	int mapcount;			/* mappings of this page: its PTEs plus
					 * the PMDs mapping the whole folio */
	int folio_pincount;		/* pins of a large folio (Linux's
					 * _pincount); 0 for a small one */
	int page_pins;			/* exact pins of this page (see
					 * pnm_mem_info.page_pins_kept) */
	/* Since 0.3 (a smaller caller's struct does not get them): */
	unsigned long ino;		/* PNM_PAGE_CACHED: its file's inode
					 * number (pnm_file_info.ino); else 0 */
	unsigned long index;		/* PNM_PAGE_CACHED: the page's offset in
					 * its file, in pages; else 0 */
};
/*
 * The frame @pfn, whatever it holds (free frames too: zone and kind).
 * 0, -EINVAL (@pfn outside the arena, bad @info, not initialised).
 * Takes no lock: each field is read once, atomically, but while another
 * thread changes the frame (a fault, a free, a split) the fields may come
 * from different moments; the result is exact only for a frame nobody is
 * changing.
 */
PNM_API int pnm_pfn_info(unsigned long pfn, struct pnm_page_info *info);
/*
 * What @task maps at user address @addr, without faulting: the frame (as
 * pnm_pfn_info) plus the PNM_PAGE_MAP_* bits of the entry.  0, -EFAULT
 * (nothing present there), -ESRCH (@task has exited), -EINVAL.  Takes the
 * task's mmap_lock for read and the entry's page-table lock.
 */
PNM_API int pnm_task_page_info(struct task_struct *task, unsigned long addr,
			       struct pnm_page_info *info);
/*
 * The page @file's page cache holds for byte @off (the page of the
 * cached folio covering it), without reading or creating anything; the
 * lookup's own reference is dropped before the snapshot, so refcount
 * shows the cache's and its users'.  0, -ENOENT (nothing cached there;
 * dax files never cache), -EBADF (NULL @file), -EINVAL (negative @off,
 * bad @info).  Takes the cache's lock briefly.
 */
PNM_API int pnm_file_page_info(struct file *file, int64_t off, struct pnm_page_info *info);

/* --- a process's address space ------------------------------------------------ */

/* VM_* flags of a mapping (Linux's values; PNM_VM_IO, PNM_VM_PFNMAP,
 * PNM_VM_DONTCOPY and PNM_VM_DONTEXPAND are in pinmm/mman.h).  Other bits
 * may be set; these are the ones with a meaning in the contract. */
#define PNM_VM_READ		0x00000001UL
#define PNM_VM_WRITE		0x00000002UL
#define PNM_VM_EXEC		0x00000004UL
#define PNM_VM_SHARED		0x00000008UL	/* MAP_SHARED */
#define PNM_VM_MAYREAD		0x00000010UL
#define PNM_VM_MAYWRITE		0x00000020UL	/* mprotect may add PROT_WRITE */
#define PNM_VM_MAYEXEC		0x00000040UL
#define PNM_VM_MAYSHARE		0x00000080UL
#define PNM_VM_LOCKED		0x00002000UL
#define PNM_VM_SOFTDIRTY	0x08000000UL	/* all of it reads soft-dirty
						 * (new since the last clear_refs) */
#define PNM_VM_HUGEPAGE		0x20000000UL	/* MADV_HUGEPAGE */
#define PNM_VM_NOHUGEPAGE	0x40000000UL	/* MADV_NOHUGEPAGE */

/* What backs a mapping. */
enum pnm_vma_kind {
	PNM_VMA_ANON,		/* private anonymous memory: no backing object */
	PNM_VMA_FILE,		/* a file: named, or an unnamed shmem object
				 * (MAP_SHARED|MAP_ANONYMOUS, pnm_shmem_file_create) */
	PNM_VMA_DEVICE,		/* a VM_IO/VM_PFNMAP device mapping */
};

struct pnm_vma_info {
	size_t size;			/* set by the caller: sizeof(*info) */
	unsigned long start;		/* first byte */
	unsigned long end;		/* first byte after */
	unsigned long vm_flags;		/* PNM_VM_* */
	enum pnm_vma_kind kind;
	int fs;				/* PNM_VMA_FILE: its enum pnm_fs_type;
					 * otherwise -1 */
	int64_t offset;			/* PNM_VMA_FILE: file offset (bytes)
					 * mapped at start; otherwise 0 */
	char file_name[PNM_FS_NAME_MAX + 1];	/* PNM_VMA_FILE: its name, ""
						 * if unnamed; otherwise "" */
};
/*
 * The first mapping of @task that ends above @addr (mappings do not
 * overlap and come in address order: start with 0 and continue from
 * info->end).  0, -ENOENT (none), -ESRCH (@task has exited), -EINVAL.
 * Takes the task's mmap_lock for read.
 */
PNM_API int pnm_task_vma_next(struct task_struct *task, unsigned long addr,
			      struct pnm_vma_info *info);

struct pnm_mm_info {
	size_t size;			/* set by the caller: sizeof(*info) */
	int vmas;			/* mappings (map_count) */
	unsigned long total_vm;		/* pages mapped */
	long rss_anon;			/* resident pages: anonymous */
	long rss_file;			/* ... of files */
	long rss_shmem;			/* ... of shmem objects */
	long pgtables_bytes;		/* page tables */
	bool has_pinned;		/* FOLL_PIN has run on it (MMF_HAS_PINNED) */
	/* Since 0.3 (a smaller caller's struct does not get it): */
	long swapents;			/* pages swapped out: swap entries in
					 * its page tables (MM_SWAPENTS) */
};
/* @task's address space in numbers.  0, -ESRCH (@task has exited),
 * -EINVAL.  Takes the task's mmap_lock for read. */
PNM_API int pnm_task_mm_info(struct task_struct *task, struct pnm_mm_info *info);

/* --- per-process views: smaps and pagemap ------------------------------------------- */

/*
 * What one mapping (or, for the rollup, the whole process) holds, as
 * Linux's /proc/PID/smaps (/proc/PID/smaps_rollup) shows it, in bytes
 * rather than kB.  The rules are Linux's:
 *  - rss counts the pages and THPs mapped there, except the zero page,
 *    the huge zero page, raw pfns (device mappings) and hugetlb pages;
 *    a page under migration counts (its entry stands for it);
 *  - a page is private when its folio has one reference, or the page is
 *    mapped once; otherwise shared, and pss gets size / mapcount of it;
 *    dirty: the entry's dirty bit or the folio's PG_dirty;
 *  - hugetlb pages count only in shared_hugetlb / private_hugetlb (by
 *    the folio's mapcount: once is private);
 *  - anon_huge_pages, shmem_pmd_mapped, file_pmd_mapped: THPs mapped by
 *    a PMD (PTE-mapped large folios, multi-size THPs, are not there);
 *  - swap: the swap entries; swap_pss divides each by its slot's count;
 *  - locked: the pss of a VM_LOCKED mapping.
 * Field names in Linux's text are given by pnm_smaps_field_name().
 */
struct pnm_smaps_info {
	size_t size;			/* set by the caller: sizeof(*info) */
	bool rollup;			/* the whole process (smaps_rollup) */
	unsigned long start;		/* the mapping; rollup: the lowest */
	unsigned long end;		/* ... the highest end */
	unsigned long vm_flags;		/* PNM_VM_* (VmFlags); rollup: 0 */
	uint64_t vma_size;		/* Size: end - start (rollup: all) */
	uint64_t kernel_page_size;	/* KernelPageSize: 4K, 2M/1G hugetlb */
	uint64_t mmu_page_size;		/* MMUPageSize */
	uint64_t rss;			/* Rss */
	uint64_t pss;			/* Pss */
	uint64_t pss_dirty;		/* Pss_Dirty */
	uint64_t pss_anon;		/* Pss_Anon (listed by the rollup only) */
	uint64_t pss_file;		/* Pss_File (rollup only) */
	uint64_t pss_shmem;		/* Pss_Shmem (rollup only) */
	uint64_t shared_clean;		/* Shared_Clean */
	uint64_t shared_dirty;		/* Shared_Dirty */
	uint64_t private_clean;		/* Private_Clean */
	uint64_t private_dirty;		/* Private_Dirty */
	uint64_t referenced;		/* Referenced: accessed bit or PG_referenced */
	uint64_t anonymous;		/* Anonymous */
	uint64_t ksm;			/* KSM (the model merges nothing: 0) */
	uint64_t lazyfree;		/* LazyFree: MADV_FREE'd, still clean */
	uint64_t anon_huge_pages;	/* AnonHugePages */
	uint64_t shmem_pmd_mapped;	/* ShmemPmdMapped */
	uint64_t file_pmd_mapped;	/* FilePmdMapped */
	uint64_t shared_hugetlb;	/* Shared_Hugetlb */
	uint64_t private_hugetlb;	/* Private_Hugetlb */
	uint64_t swap;			/* Swap */
	uint64_t swap_pss;		/* SwapPss */
	uint64_t locked;		/* Locked */
	int thp_eligible;		/* THPeligible: 1 if THPs may back it */
};
/*
 * The smaps of @task's first mapping that ends above @addr (iterate from
 * 0, continuing at info->end, like pnm_task_vma_next()).  0, -ENOENT
 * (none), -ESRCH (@task has exited), -EINVAL.  Takes the task's mmap_lock
 * for read and each page table's lock in turn; O(pages mapped there).
 */
PNM_API int pnm_task_smaps(struct task_struct *task, unsigned long addr,
			   struct pnm_smaps_info *info);
/* The sum over all of @task's mappings (smaps_rollup; rollup set).  0,
 * -ESRCH, -EINVAL.  Locks as pnm_task_smaps(). */
PNM_API int pnm_task_smaps_rollup(struct task_struct *task, struct pnm_smaps_info *info);
/*
 * The field of @info that Linux names @name ("Rss", "AnonHugePages",
 * "THPeligible" ...; exactly Linux's spelling), in bytes (THPeligible: 0
 * or 1; VmFlags: the PNM_VM_* bits).  0, -ENOENT (no such field in this
 * kind of view: a mapping's smaps has no Pss_Anon, the rollup no Size,
 * or the caller's structure is too old to have it), -EINVAL (NULL).
 */
PNM_API int pnm_smaps_field(const struct pnm_smaps_info *info, const char *name,
			    uint64_t *value);
/* Linux's field names in its order of lines, then NULL: i from 0.
 * *rollup_too (if not NULL) says whether smaps_rollup has the field too;
 * *vma_too whether a mapping's smaps has it. */
PNM_API const char *pnm_smaps_field_name(unsigned int i, bool *vma_too, bool *rollup_too);

/* Entries of pnm_task_pagemap(): Linux's 64-bit /proc/PID/pagemap format. */
#define PNM_PM_PFN_MASK		((UINT64_C(1) << 55) - 1) /* present: the pfn */
#define PNM_PM_SWAP_TYPE_MASK	UINT64_C(0x1f)	/* swapped: type (bits 0-4) */
#define PNM_PM_SWAP_OFFSET_SHIFT 5		/* ... and offset (bits 5-54) */
#define PNM_PM_SOFT_DIRTY	(UINT64_C(1) << 55)	/* written since clear_refs */
#define PNM_PM_MMAP_EXCLUSIVE	(UINT64_C(1) << 56)	/* the page is mapped once */
#define PNM_PM_FILE		(UINT64_C(1) << 61)	/* a file page or shared anon */
#define PNM_PM_SWAP		(UINT64_C(1) << 62)	/* swapped (or migrating) */
#define PNM_PM_PRESENT		(UINT64_C(1) << 63)	/* present */
/*
 * Fill @entries[0..@nr) with the pagemap entries of @task's virtual pages
 * from @addr (rounded down to a page): what a read of /proc/PID/pagemap
 * at offset addr / 4096 * 8 gives, without faulting.  A page no mapping
 * covers reads 0; an unpopulated page of a mapping reads 0 or
 * PNM_PM_SOFT_DIRTY (a PNM_VM_SOFTDIRTY mapping).  A migration entry
 * reads as swapped with its type and pfn.  0, -ESRCH, -EINVAL (NULL, @nr
 * 0 or the range beyond the address space).  Takes the task's mmap_lock
 * for read and each page table's lock in turn.
 */
PNM_API int pnm_task_pagemap(struct task_struct *task, unsigned long addr, uint64_t *entries,
			     unsigned long nr);

/* What pnm_task_clear_refs() clears (Linux's values for clear_refs). */
enum pnm_clear_refs {
	PNM_CLEAR_REFS_ALL = 1,		/* accessed bits and PG_referenced */
	PNM_CLEAR_REFS_ANON = 2,	/* ... of anonymous pages only */
	PNM_CLEAR_REFS_MAPPED = 3,	/* ... of file pages only */
	PNM_CLEAR_REFS_SOFT_DIRTY = 4,	/* soft-dirty bits: every entry and
					 * mapping; present entries of private
					 * mappings are write-protected so the
					 * next write faults and sets the bit
					 * again (maybe-pinned pages are left
					 * alone: they keep writing) */
};
/*
 * Writing @type to @task's /proc/PID/clear_refs.  Hugetlb mappings are
 * left alone (as Linux).  0, -ESRCH, -EINVAL (unknown @type, NULL).
 * Takes the task's mmap_lock (for write for soft-dirty, else for read)
 * and each page table's lock in turn; runs the MMU notifiers of the
 * write-protected range.
 */
PNM_API int pnm_task_clear_refs(struct task_struct *task, enum pnm_clear_refs type);

/* --- files ------------------------------------------------------------------------ */

/* pnm_file_info.flags */
#define PNM_FILE_READ		0x1u	/* opened for reading */
#define PNM_FILE_WRITE		0x2u	/* opened for writing */
#define PNM_FILE_DAX		0x4u	/* S_DAX: its pages are the storage */

struct pnm_file_info {
	size_t size;			/* set by the caller: sizeof(*info) */
	enum pnm_fs_type fs;
	unsigned long ino;		/* the inode's number (unique per model) */
	int64_t file_size;		/* bytes (i_size) */
	unsigned long cached_pages;	/* pages in its page cache */
	unsigned int flags;		/* PNM_FILE_* */
};
/* The open @file and its inode.  0, -EBADF (NULL @file), -EINVAL.
 * Lockless. */
PNM_API int pnm_get_file_info(struct file *file, struct pnm_file_info *info);

PNM_END_DECLS

#endif /* PINMM_INSPECT_H */
