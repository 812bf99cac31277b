// SPDX-License-Identifier: MIT
/*
 * inspect.c - the public queries of pinmm/inspect.h: snapshots of frames
 * and folios, of what a process maps, of its mappings and resident
 * memory, of a file's page cache, of the zones and of the arena, for
 * embedders, teaching tools and the CLI (which may not look inside the
 * library's structures).  Linux has no single counterpart; /proc's
 * pagemap, kpageflags, maps, status and buddyinfo answer the same
 * questions.
 *
 * Every query builds its answer in a local structure of the library's own
 * size and hands the caller min(caller's size, own size) bytes of it
 * (info_put()), so the structures may grow later.  Nothing is changed:
 * the reads are relaxed loads, taken under the lock that makes the
 * answer consistent where one exists (the entry's page-table lock for an
 * address, the mmap_lock for the mappings, the zone lock for free lists).
 */
#include <string.h>

#include "internal.h"
#include "rcu.h"

/* The public constants are the model's own values. */
BUILD_BUG_ON(PNM_NR_PAGE_ORDERS != NR_PAGE_ORDERS);
BUILD_BUG_ON(PNM_VM_READ != VM_READ || PNM_VM_WRITE != VM_WRITE ||
	     PNM_VM_EXEC != VM_EXEC || PNM_VM_SHARED != VM_SHARED);
BUILD_BUG_ON(PNM_VM_MAYREAD != VM_MAYREAD || PNM_VM_MAYWRITE != VM_MAYWRITE ||
	     PNM_VM_MAYEXEC != VM_MAYEXEC || PNM_VM_MAYSHARE != VM_MAYSHARE);
BUILD_BUG_ON(PNM_VM_LOCKED != VM_LOCKED || PNM_VM_HUGEPAGE != VM_HUGEPAGE ||
	     PNM_VM_NOHUGEPAGE != VM_NOHUGEPAGE);
BUILD_BUG_ON(PNM_VM_IO != VM_IO || PNM_VM_PFNMAP != VM_PFNMAP ||
	     PNM_VM_DONTCOPY != VM_DONTCOPY || PNM_VM_DONTEXPAND != VM_DONTEXPAND);
BUILD_BUG_ON(PNM_FAULT_FLAG_WRITE != FAULT_FLAG_WRITE ||
	     PNM_FAULT_FLAG_USER != FAULT_FLAG_USER ||
	     PNM_FAULT_FLAG_REMOTE != FAULT_FLAG_REMOTE ||
	     PNM_FAULT_FLAG_UNSHARE != FAULT_FLAG_UNSHARE);
BUILD_BUG_ON(PNM_VM_FAULT_OOM != VM_FAULT_OOM || PNM_VM_FAULT_SIGBUS != VM_FAULT_SIGBUS ||
	     PNM_VM_FAULT_SIGSEGV != VM_FAULT_SIGSEGV || PNM_VM_FAULT_RETRY != VM_FAULT_RETRY);

/*
 * Sizes of the structures in the release that introduced their query
 * (0.2.0): a caller's size below it is -EINVAL.  Fields appended later
 * must not change these.
 */
#define MEM_INFO_SIZE_0_2	sizeof(struct pnm_mem_info)
#define ZONE_INFO_SIZE_0_2	sizeof(struct pnm_zone_info)
#define PAGE_INFO_SIZE_0_2	offsetof(struct pnm_page_info, ino)
#define VMA_INFO_SIZE_0_2	sizeof(struct pnm_vma_info)
#define MM_INFO_SIZE_0_2	offsetof(struct pnm_mm_info, swapents)
#define FILE_INFO_SIZE_0_2	sizeof(struct pnm_file_info)

/* Is the caller's structure usable: non-NULL, size at least @min? */
static bool info_ok(const void *info, size_t min)
{
	return info && *(const size_t *)info >= min;
}

/*
 * Hand the snapshot @own (the library's structure of @own_size bytes,
 * whose first member is its size) to the caller's @info: min(caller's
 * size, @own_size) bytes, the size member set to that number.
 */
static void info_put(void *info, void *own, size_t own_size)
{
	size_t n = *(size_t *)info;

	if (n > own_size)
		n = own_size;
	*(size_t *)own = n;
	memcpy(info, own, n);
}

/* The printed name of a zone ("Normal", "Movable", "CMA"), or "?". */
const char *pnm_zone_name(enum pnm_zone_type zone)
{
	return zone_type_name((enum zone_type)zone);
}

/* --- the arena and the zones ---------------------------------------------------- */

/*
 * pnm_mem_info - the arena's frames, free and allocated, the zero page's
 * pfn and whether exact per-page pin counts are kept.  0, or -EINVAL (bad
 * @info, not initialised).  Lockless.
 */
int pnm_get_mem_info(struct pnm_mem_info *info)
{
	struct pnm_mem_info mi;

	if (!info_ok(info, MEM_INFO_SIZE_0_2) || !pnm_mem.mem_map)
		return -EINVAL;
	memset(&mi, 0, sizeof(mi));
	mi.frames = pnm_mem.nr_frames;
	mi.free_frames = pnm_nr_free_frames();
	mi.allocated_frames = pnm_nr_allocated_frames();
	mi.zero_pfn = pnm_mem.zero_pfn;
	mi.page_pins_kept = pnm_pin_shadow_count();
	info_put(info, &mi, sizeof(mi));
	return 0;
}

/*
 * pnm_page_desc_size - see pinmm/inspect.h: sizeof(struct page), and the
 * side tables sized by the arena: pin_registry.c's grave_bits (one bit per
 * frame) and mthp.c's deferred_split_map (one bit per 1 << DS_SHIFT
 * frames, DS_SHIFT == PNM_THP_MIN_ORDER).  A new per-frame table adds its
 * bits here.
 */
size_t pnm_page_desc_size(unsigned int *side_bits64)
{
	if (side_bits64)
		*side_bits64 = 64 + (64 >> PNM_THP_MIN_ORDER);
	return sizeof(struct page);
}

/*
 * pnm_zone_info - @zone's span, free frames and free lists, and its
 * allocation counters.  The free lists and the free count are read under
 * the zone lock (taken briefly), so they agree with each other.  0, or
 * -EINVAL (unknown @zone, bad @info, not initialised).
 */
int pnm_get_zone_info(enum pnm_zone_type zone, struct pnm_zone_info *info)
{
	struct pnm_zone_info zi;
	struct zone *z;
	int o;

	if ((unsigned int)zone >= PNM_NR_ZONES || !info_ok(info, ZONE_INFO_SIZE_0_2) ||
	    !pnm_mem.mem_map)
		return -EINVAL;
	memset(&zi, 0, sizeof(zi));
	zi.largest_free_order = -1;
	z = pnm_zone((enum zone_type)zone);
	if (z) {
		zi.start_pfn = z->zone_start_pfn;
		zi.frames = z->spanned_pages;
		spin_lock(&z->lock);
		zi.free_pages = zone_page_state(z, NR_ZONE_FREE_PAGES);
		for (o = 0; o < NR_PAGE_ORDERS; o++) {
			zi.nr_free[o] = z->free_area[o].nr_free;
			if (zi.nr_free[o])
				zi.largest_free_order = o;
		}
		spin_unlock(&z->lock);
		zi.alloc = zone_page_state(z, NR_ZONE_ALLOC);
		zi.freed = zone_page_state(z, NR_ZONE_FREED);
		zi.alloc_fail = zone_page_state(z, NR_ZONE_ALLOC_FAIL);
	} else {
		zi.start_pfn = pnm_mem.zones[zone].zone_start_pfn;
	}
	info_put(info, &zi, sizeof(zi));
	return 0;
}

/* --- frames ----------------------------------------------------------------------- */

/*
 * The file and offset of the cached @folio's page @pfn (ino, index).
 * folio->mapping is read once; the inode behind it is freed only after an
 * RCU grace period (fs/namei.c), so a truncate racing with us leaves it
 * readable for the length of the read section.  A folio whose mapping
 * went meanwhile reports 0 for both.
 */
static void page_file_position(struct folio *folio, unsigned long pfn,
			       struct pnm_page_info *pi)
{
	struct address_space *mapping;

	pnm_rcu_read_lock();
	mapping = folio_mapping(folio);
	if (mapping && mapping->host) {
		pi->ino = READ_ONCE(mapping->host->i_ino);
		pi->index = READ_ONCE(folio->index) + (pfn - folio_pfn(folio));
	}
	pnm_rcu_read_unlock();
}

/*
 * Fill @pi with what frame @pfn (valid) holds: its kind, zone, the
 * state of its folio (through compound_head, as a lockless reader sees
 * it) and of the page itself.  Relaxed reads; no lock.
 */
static void frame_snapshot(unsigned long pfn, struct pnm_page_info *pi)
{
	struct page *page = pfn_to_page(pfn);
	struct folio *folio = page_folio(page);
	unsigned int f = 0;

	pi->pfn = pfn;
	pi->page = page;
	pi->zone = (enum pnm_zone_type)page_zonenum(page);
	pi->head_pfn = folio_pfn(folio);
	pi->order = folio_order(folio);
	pi->refcount = folio_ref_count(folio);
	pi->mapcount = page_mapcount(page);
	pi->folio_pincount = folio_test_large(folio) ? atomic_read(&folio->_pincount) : 0;
	pi->page_pins = atomic_read(&page->pnm_pincount);

	if (PageBuddy(page))
		pi->kind = PNM_FRAME_FREE;
	else if (PageTable(page))
		pi->kind = PNM_FRAME_PAGE_TABLE;
	else if (PageReserved(page))
		pi->kind = PNM_FRAME_RESERVED;
	else if (!pi->refcount)
		pi->kind = PNM_FRAME_FREE;
	else
		pi->kind = PNM_FRAME_FOLIO;

	if (folio_test_anon(folio))
		f |= PNM_PAGE_ANON;
	if (PageAnonExclusive(page))
		f |= PNM_PAGE_ANON_EXCLUSIVE;
	if (folio_test_dirty(folio))
		f |= PNM_PAGE_DIRTY;
	if (folio_test_writeback(folio))
		f |= PNM_PAGE_WRITEBACK;
	if (folio_test_locked(folio))
		f |= PNM_PAGE_LOCKED;
	if (folio_test_uptodate(folio))
		f |= PNM_PAGE_UPTODATE;
	if (PagePrivate(&folio->page))
		f |= PNM_PAGE_PRIVATE;
	if (PageLru(&folio->page))
		f |= PNM_PAGE_LRU;
	if (folio_test_active(folio))
		f |= PNM_PAGE_ACTIVE;
	if (folio_test_swapcache(folio))
		f |= PNM_PAGE_SWAPCACHE;
	if (test_bit(PG_pnm_truncated, &folio->page.flags)) {
		f |= PNM_PAGE_TRUNCATED;
	} else if (folio_mapping(folio)) {
		f |= PNM_PAGE_CACHED;
		page_file_position(folio, pfn, pi);
	}
	if (test_bit(PG_pnm_nofs_dirty, &folio->page.flags))
		f |= PNM_PAGE_NOFS_DIRTY;
	if (is_zero_pfn(pfn))
		f |= PNM_PAGE_ZERO;
	if (is_huge_zero_pfn(pfn))
		f |= PNM_PAGE_HUGE_ZERO;
	if (folio_maybe_dma_pinned(folio))
		f |= PNM_PAGE_MAYBE_PINNED;
	if (PageHead(&folio->page) && folio_test_hugetlb(folio))
		f |= PNM_PAGE_HUGETLB;
	if (!kernel_page_present(pfn_to_page(pfn)))
		f |= PNM_PAGE_SECRET;
	pi->flags = f;
}

/*
 * pnm_pfn_info - a snapshot of frame @pfn (contract in pinmm/inspect.h):
 * any frame of the arena, free or not.  0, or -EINVAL (@pfn outside the
 * arena, bad @info, not initialised).  Lockless: the frame's descriptor
 * always exists, whatever happens to its folio meanwhile.
 */
int pnm_pfn_info(unsigned long pfn, struct pnm_page_info *info)
{
	struct pnm_page_info pi;

	if (!info_ok(info, PAGE_INFO_SIZE_0_2) || !pnm_mem.mem_map || !pfn_valid(pfn))
		return -EINVAL;
	memset(&pi, 0, sizeof(pi));
	frame_snapshot(pfn, &pi);
	info_put(info, &pi, sizeof(pi));
	return 0;
}

/*
 * Snapshot what @mm maps at @addr into @pi, as pnm_mm_translate() finds
 * it (a present PTE, or a huge PMD): the frame, taken with the entry's
 * lock held so the folio cannot go meanwhile, plus the entry's bits.
 * 0 or -EFAULT (nothing present).  Caller holds mmap_lock for read.
 */
/* frame_snapshot() of @pfn mapped by an entry whose bits are @level (a
 * PNM_PAGE_MAP_* level flag, or 0 for a PTE), @write and @dirty. */
static void entry_snapshot(unsigned long pfn, unsigned int level, bool write, bool dirty,
			   struct pnm_page_info *pi)
{
	frame_snapshot(pfn, pi);
	pi->flags |= level | (write ? PNM_PAGE_MAP_WRITE : 0) | (dirty ? PNM_PAGE_MAP_DIRTY : 0);
}

static int mapped_snapshot(struct mm_struct *mm, unsigned long addr, struct pnm_page_info *pi)
{
	spinlock_t *ptl;
	pud_t *pud = pnm_pud_lookup(mm, addr);
	pmd_t *pmd = pnm_pmd_lookup(mm, addr);
	pte_t *pte, entry;
	int err = -EFAULT;

	/* A 1 GiB hugetlb page, under its lock (mm->page_table_lock). */
	if (pud && pud_leaf(pudp_get(pud))) {
		pud_t val;

		spin_lock(&mm->page_table_lock);
		val = pudp_get(pud);
		if (pud_leaf(val)) {
			entry_snapshot(pud_pfn(val) + ((addr & ~PUD_MASK) >> PAGE_SHIFT),
				       PNM_PAGE_MAP_PUD, pud_write(val),
				       pud_val(val) & _PAGE_DIRTY, pi);
			err = 0;
		}
		spin_unlock(&mm->page_table_lock);
		return err;
	}
	if (!pmd)
		return -EFAULT;
	/*
	 * A THP may be split (its PMD becomes a table of PTEs mapping the
	 * same pages) or a table collapsed into a PMD between the lockless
	 * look and the lock, by paths that do not hold mmap_lock for writing
	 * (reclaim's and the deferred split's splits, khugepaged): look again
	 * rather than answer "nothing present".  Bounded: each retry follows
	 * a change of the entry.
	 */
	for (int tries = 0;; tries++) {
		if (pmd_trans_huge(pmdp_get_lockless(pmd))) {
			pmd_t val;

			ptl = pmd_lock(mm, pmd);
			val = pmdp_get(pmd);
			if (pmd_trans_huge(val)) {
				entry_snapshot(pmd_pfn(val) + ((addr & ~PMD_MASK) >> PAGE_SHIFT),
					       PNM_PAGE_MAP_PMD, pmd_write(val), pmd_dirty(val), pi);
				err = 0;
			}
			spin_unlock(ptl);
			if (!err || tries >= 8)
				return err;
			continue;
		}
		pte = pte_offset_map_lock(mm, pmd, addr, &ptl);
		if (pte)
			break;
		if (tries >= 8 || !pmd_trans_huge(pmdp_get_lockless(pmd)))
			return -EFAULT;
	}
	entry = ptep_get(pte);
	if (pte_present(entry) && pfn_valid(pte_pfn(entry))) {
		entry_snapshot(pte_pfn(entry), 0, pte_write(entry), pte_dirty(entry), pi);
		err = 0;
	}
	pte_unmap_unlock(pte, ptl);
	return err;
}

/*
 * pnm_task_page_info - what @task maps at @addr, without faulting
 * (contract in pinmm/inspect.h).  0, -EFAULT (nothing present), -ESRCH
 * (@task has exited), -EINVAL (NULL @task, bad @info, not initialised).
 * Takes a user reference on the address space, its mmap_lock for read
 * and the entry's lock.
 */
int pnm_task_page_info(struct task_struct *task, unsigned long addr,
		       struct pnm_page_info *info)
{
	struct pnm_page_info pi;
	struct mm_struct *mm;
	int err;

	if (!task || !info_ok(info, PAGE_INFO_SIZE_0_2) || !pnm_mem.mem_map)
		return -EINVAL;
	mm = get_task_mm(task);
	if (!mm)
		return -ESRCH;
	memset(&pi, 0, sizeof(pi));
	mmap_read_lock(mm);
	err = mapped_snapshot(mm, addr, &pi);
	mmap_read_unlock(mm);
	mmput(mm);
	if (!err)
		info_put(info, &pi, sizeof(pi));
	return err;
}

/*
 * pnm_file_page_info - the page @file caches for byte @off (contract in
 * pinmm/inspect.h).  The lookup's reference is dropped before the
 * snapshot (the frame's descriptor outlives any folio).  0, -ENOENT
 * (nothing cached there), -EBADF (NULL @file), -EINVAL (negative @off,
 * bad @info, not initialised).  Takes the cache's xa_lock briefly.
 */
int pnm_file_page_info(struct file *file, int64_t off, struct pnm_page_info *info)
{
	pgoff_t index = (pgoff_t)((uint64_t)off >> PAGE_SHIFT);
	struct pnm_page_info pi;
	struct folio *folio;
	unsigned long pfn;

	if (!file)
		return -EBADF;
	if (off < 0 || !info_ok(info, PAGE_INFO_SIZE_0_2) || !pnm_mem.mem_map)
		return -EINVAL;
	if (!file->f_mapping)
		return -ENOENT;
	folio = filemap_get_folio(file->f_mapping, index);
	if (IS_ERR(folio))
		return -ENOENT;
	pfn = folio_pfn(folio) + (index - folio->index);
	folio_put(folio);
	memset(&pi, 0, sizeof(pi));
	frame_snapshot(pfn, &pi);
	info_put(info, &pi, sizeof(pi));
	return 0;
}

/* --- a process's address space ------------------------------------------------------ */

/* Fill @vi from @vma.  Caller holds the mm's mmap_lock. */
static void vma_snapshot(struct vm_area_struct *vma, struct pnm_vma_info *vi)
{
	unsigned long flags = READ_ONCE(vma->vm_flags);
	struct inode *inode = vma->vm_file ? vma->vm_file->f_inode : NULL;

	vi->start = vma->vm_start;
	vi->end = vma->vm_end;
	vi->vm_flags = flags;
	vi->fs = -1;
	if (flags & (VM_IO | VM_PFNMAP)) {
		vi->kind = PNM_VMA_DEVICE;
	} else if (vma_is_anonymous(vma) || !inode) {
		vi->kind = PNM_VMA_ANON;
	} else {
		struct pnm_inode *pi = PNM_I(inode);

		vi->kind = PNM_VMA_FILE;
		vi->fs = (int)pi->fs;
		vi->offset = (int64_t)vma->vm_pgoff << PAGE_SHIFT;
		if (!pi->anon)
			snprintf(vi->file_name, sizeof(vi->file_name), "%s", pi->name);
	}
}

/*
 * pnm_task_vma_next - @task's first mapping ending above @addr (contract
 * in pinmm/inspect.h).  0, -ENOENT (none), -ESRCH (@task has exited),
 * -EINVAL (NULL @task, bad @info).  Takes a user reference on the address
 * space and its mmap_lock for read.
 */
int pnm_task_vma_next(struct task_struct *task, unsigned long addr,
		      struct pnm_vma_info *info)
{
	struct vm_area_struct *vma;
	struct pnm_vma_info vi;
	struct mm_struct *mm;
	int err = -ENOENT;

	if (!task || !info_ok(info, VMA_INFO_SIZE_0_2))
		return -EINVAL;
	mm = get_task_mm(task);
	if (!mm)
		return -ESRCH;
	memset(&vi, 0, sizeof(vi));
	mmap_read_lock(mm);
	vma = find_vma(mm, addr);
	if (vma) {
		vma_snapshot(vma, &vi);
		err = 0;
	}
	mmap_read_unlock(mm);
	mmput(mm);
	if (!err)
		info_put(info, &vi, sizeof(vi));
	return err;
}

/*
 * pnm_task_mm_info - @task's mappings and resident memory in numbers
 * (contract in pinmm/inspect.h).  0, -ESRCH (@task has exited), -EINVAL
 * (NULL @task, bad @info).  Takes a user reference on the address space
 * and its mmap_lock for read (so the VMA count and total_vm agree).
 */
int pnm_task_mm_info(struct task_struct *task, struct pnm_mm_info *info)
{
	struct pnm_mm_info mi;
	struct mm_struct *mm;

	if (!task || !info_ok(info, MM_INFO_SIZE_0_2))
		return -EINVAL;
	mm = get_task_mm(task);
	if (!mm)
		return -ESRCH;
	memset(&mi, 0, sizeof(mi));
	mmap_read_lock(mm);
	mi.vmas = mm->map_count;
	mi.total_vm = mm->total_vm;
	mmap_read_unlock(mm);
	mi.rss_anon = get_mm_counter(mm, MM_ANONPAGES);
	mi.rss_file = get_mm_counter(mm, MM_FILEPAGES);
	mi.rss_shmem = get_mm_counter(mm, MM_SHMEMPAGES);
	mi.pgtables_bytes = atomic_long_read(&mm->pgtables_bytes);
	mi.has_pinned = test_bit(MMF_HAS_PINNED, &mm->flags);
	mi.swapents = get_mm_counter(mm, MM_SWAPENTS);
	mmput(mm);
	info_put(info, &mi, sizeof(mi));
	return 0;
}

/* --- files --------------------------------------------------------------------------- */

/*
 * pnm_file_info - the open @file and its inode (contract in
 * pinmm/inspect.h).  0, -EBADF (NULL @file), -EINVAL (bad @info).
 * Lockless: the inode lives while the file does.
 */
int pnm_get_file_info(struct file *file, struct pnm_file_info *info)
{
	struct pnm_file_info fi;
	struct inode *inode;

	if (!file || !file->f_inode)
		return -EBADF;
	if (!info_ok(info, FILE_INFO_SIZE_0_2))
		return -EINVAL;
	inode = file->f_inode;
	memset(&fi, 0, sizeof(fi));
	fi.fs = PNM_I(inode)->fs;
	fi.ino = inode->i_ino;
	fi.file_size = (int64_t)i_size_read(inode);
	fi.cached_pages = READ_ONCE(inode->i_mapping->nrpages);
	if (file->f_mode & FMODE_READ)
		fi.flags |= PNM_FILE_READ;
	if (file->f_mode & FMODE_WRITE)
		fi.flags |= PNM_FILE_WRITE;
	if (IS_DAX(inode))
		fi.flags |= PNM_FILE_DAX;
	info_put(info, &fi, sizeof(fi));
	return 0;
}
