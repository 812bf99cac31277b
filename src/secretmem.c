// SPDX-License-Identifier: MIT
/*
 * secretmem.c - memfd_secret(2): files whose pages only the processes
 * mapping them can reach (Linux's mm/secretmem.c).
 *
 * A secretmem file is an unnamed inode of filesystem PNM_FS_SECRETMEM
 * whose page cache holds order-0 folios created zeroed at the first fault
 * on each page.  While its cache holds a folio, the folio's frame is out
 * of the kernel's direct map (set_direct_map_invalid_noflush(): the model
 * records that in PG_pnm_secret), so nothing of the kernel may reach the
 * data, and everything that would is refused:
 *   - GUP: check_vma_flags() refuses a secretmem VMA with -EFAULT for
 *     every flag combination (FOLL_FORCE, process_vm_readv/writev, pins
 *     and references alike); gup-fast lets no secretmem folio through
 *     (gup_fast_folio_allowed()), so the slow path refuses it;
 *   - read(2), write(2), fsync: the file has no such operations (-EINVAL);
 *     fallocate: none either (-EOPNOTSUPP);
 *   - migration (-EBUSY from ->migrate_folio) and compaction leave the
 *     folios where they are; the cache is unevictable (no reclaim).
 * The processes mapping the file access it as any memory (their own page
 * tables).  A folio leaving the cache (truncate, the last reference to
 * the file) is zeroed and put back into the direct map (->free_folio).
 *
 * Mappings: MAP_SHARED only (-EINVAL otherwise), VM_LOCKED (counted in
 * locked_vm: mmap weighs it against RLIMIT_MEMLOCK first, -EAGAIN,
 * resource.c), never split off by mlock/munlock (mlock.c leaves them
 * alone).  A fork child maps the same file, sharing its pages (shared
 * mappings are not copied; the child faults them in again) but not the
 * lock, as for every VM_LOCKED VMA.
 *
 * The size may be set once, from 0 (Linux's secretmem_setattr()); the
 * folios are allocated from ZONE_NORMAL (Linux: GFP_HIGHUSER, not
 * movable).  NR_SECRETMEM counts the folios in secretmem caches.
 *
 * Locking: as shmem: a fault creates folios under invalidate_lock shared
 * after checking i_size, the size changes under i_lock and
 * invalidate_lock exclusive.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static const struct vm_operations_struct secretmem_vm_ops;

/* Has this process ever made a secretmem file?  Set once, never cleared
 * (also across pnm_fini/pnm_init); lets the checker skip its arena walk
 * while no frame can have left the direct map.  Written with WRITE_ONCE
 * before the file exists; read by the checker with the model quiescent
 * (no ordering needed beyond the checker's own quiescence). */
static bool secretmem_ever;
static const struct address_space_operations secretmem_aops;

/* --- the direct map (Linux's set_memory.c), recorded per frame ---------------- */

/* set_direct_map_invalid_noflush - take @page out of the direct map
 * (internal.h). */
int set_direct_map_invalid_noflush(struct page *page)
{
	set_bit(PG_pnm_secret, &page->flags);
	return 0;
}

/* set_direct_map_default_noflush - put @page back (internal.h). */
int set_direct_map_default_noflush(struct page *page)
{
	clear_bit(PG_pnm_secret, &page->flags);
	return 0;
}

/* kernel_page_present - is @page in the direct map? (internal.h) */
bool kernel_page_present(struct page *page)
{
	return !test_bit(PG_pnm_secret, &page->flags);
}

/* --- the VMA side ------------------------------------------------------------------ */

/*
 * ->fault: the folio at vmf->pgoff, found or created (zeroed, out of the
 * direct map, uptodate) and returned locked with a reference
 * (VM_FAULT_LOCKED).  VM_FAULT_SIGBUS at or beyond the end of the file,
 * VM_FAULT_OOM without a frame.  Caller holds mmap_lock for read.
 */
static vm_fault_t secretmem_fault(struct vm_fault *vmf)
{
	struct inode *inode = vmf->vma->vm_file->f_inode;
	struct address_space *mapping = inode->i_mapping;
	pgoff_t index = vmf->pgoff;
	struct folio *folio;
	int err;

	down_read(&mapping->invalidate_lock);
	if (((loff_t)index << PAGE_SHIFT) >= i_size_read(inode)) {
		up_read(&mapping->invalidate_lock);
		return VM_FAULT_SIGBUS;
	}
	for (;;) {
		folio = filemap_lock_folio(mapping, index);
		if (!IS_ERR(folio) || PTR_ERR(folio) != -ENOENT)
			break;
		/* Not movable: Linux allocates it with GFP_HIGHUSER, which
		 * is the model's GFP_KERNEL (ZONE_NORMAL only). */
		folio = folio_alloc(GFP_KERNEL | __GFP_ZERO, 0);
		if (!folio)
			break;
		/* Not visible to anyone yet: the lock cannot be contended. */
		if (!folio_trylock(folio))
			VM_BUG_ON(1);
		set_direct_map_invalid_noflush(&folio->page);
		folio_mark_uptodate(folio);
		err = filemap_add_folio(mapping, folio, index, GFP_KERNEL);
		if (!err) {
			mod_vm_stat(NR_SECRETMEM, 1);
			break;
		}
		/* Somebody else created it first: use theirs. */
		set_direct_map_default_noflush(&folio->page);
		folio_unlock(folio);
		folio_put(folio);
		if (err != -EEXIST) {
			folio = ERR_PTR(err);
			break;
		}
	}
	up_read(&mapping->invalidate_lock);
	if (!folio || IS_ERR(folio))
		return VM_FAULT_OOM;
	vmf->page = &folio->page;
	return VM_FAULT_LOCKED;
}

static const char *secretmem_vma_name(struct vm_area_struct *vma)
{
	(void)vma;
	return "[secretmem]";
}

static const struct vm_operations_struct secretmem_vm_ops = {
	.fault = secretmem_fault,
	.name = secretmem_vma_name,
};

/*
 * ->mmap: shared mappings only (-EINVAL), locked (-EAGAIN past
 * RLIMIT_MEMLOCK without CAP_IPC_LOCK).  Caller holds mmap_lock for write.
 */
static int secretmem_mmap(struct file *file, struct vm_area_struct *vma)
{
	unsigned long len = vma->vm_end - vma->vm_start;

	(void)file;
	if (!(vma->vm_flags & (VM_SHARED | VM_MAYSHARE)))
		return -EINVAL;
	if (!mlock_future_ok(vma->vm_mm, vma->vm_flags | VM_LOCKED, len))
		return -EAGAIN;
	vma->vm_flags |= VM_LOCKED;
	vma->vm_ops = &secretmem_vm_ops;
	return 0;
}

/* --- address space operations ---------------------------------------------------- */

/* Never moved: its frame is out of the direct map, where copying happens. */
static int secretmem_migrate_folio(struct address_space *mapping, struct folio *dst,
				   struct folio *src)
{
	(void)mapping;
	(void)dst;
	(void)src;
	return -EBUSY;
}

/* Leaving the cache: wipe the secret, give the frame back to the direct
 * map.  Folio locked, referenced. */
static void secretmem_free_folio(struct folio *folio)
{
	set_direct_map_default_noflush(&folio->page);
	memset(folio_address(folio), 0, PAGE_SIZE);
	mod_vm_stat(NR_SECRETMEM, -1);
}

/* ->pnm_check_folio: order 0, out of the direct map, uptodate, not
 * movable, off the LRU, no private state, not swap-backed. */
static bool secretmem_check_folio(struct address_space *mapping, struct folio *folio)
{
	(void)mapping;
	if (folio_test_large(folio) || kernel_page_present(&folio->page) ||
	    !folio_test_uptodate(folio) || PageLru(&folio->page) ||
	    PagePrivate(&folio->page) || folio_test_swapbacked(folio) ||
	    page_zonenum(&folio->page) != ZONE_NORMAL)
		return pnm_check_fail("secretmem folio %#lx index %lu: order %u in direct map %d "
				      "uptodate %d lru %d private %d swapbacked %d zone %d",
				      folio_pfn(folio), folio->index, folio_order(folio),
				      kernel_page_present(&folio->page),
				      folio_test_uptodate(folio), PageLru(&folio->page),
				      PagePrivate(&folio->page), folio_test_swapbacked(folio),
				      (int)page_zonenum(&folio->page));
	return true;
}

static const struct address_space_operations secretmem_aops = {
	.free_folio = secretmem_free_folio,
	.migrate_folio = secretmem_migrate_folio,
	.pnm_check_folio = secretmem_check_folio,
};

/* secretmem_mapping - is @mapping a secretmem file's cache? (internal.h) */
bool secretmem_mapping(const struct address_space *mapping)
{
	return mapping && READ_ONCE(mapping->a_ops) == &secretmem_aops;
}

/* --- file operations and life cycle ----------------------------------------------- */

/* No read, write, fsync or fallocate: the kernel may not touch the data. */
static const struct file_operations secretmem_fops = {
	.mmap = secretmem_mmap,
	.release = pnm_file_release,
	.setsize = pnm_generic_setsize,
};

static int secretmem_init_inode(struct pnm_inode *pi)
{
	address_space_init(&pi->vfs.i_data, &pi->vfs, &secretmem_aops);
	mapping_set_unevictable(&pi->vfs.i_data);
	return 0;
}

static void secretmem_evict_inode(struct pnm_inode *pi)
{
	truncate_inode_pages(&pi->vfs.i_data, 0);
	address_space_destroy(&pi->vfs.i_data);
}

/* The size is set once, from 0 (-EINVAL after).  Caller holds i_lock and
 * invalidate_lock exclusive. */
static int secretmem_setsize(struct inode *inode, loff_t size)
{
	if (i_size_read(inode))
		return -EINVAL;
	truncate_setsize(inode, size);
	return 0;
}

const struct pnm_fs_type_ops pnm_secretmem_fs_type = {
	.backed = false,
	.no_names = true,
	.f_op = &secretmem_fops,
	.init_inode = secretmem_init_inode,
	.evict_inode = secretmem_evict_inode,
	.setsize = secretmem_setsize,
};

/* pnm_memfd_secret - memfd_secret(2) (pinmm/memfd.h).  Takes the inode
 * table lock. */
int pnm_memfd_secret(unsigned int flags, struct file **filep)
{
	struct inode *inode;
	struct file *file;

	if (!pnm_initialised || !filep || (flags & ~(unsigned int)O_CLOEXEC))
		return -EINVAL;
	WRITE_ONCE(secretmem_ever, true);
	inode = pnm_new_anon_inode(PNM_FS_SECRETMEM, "[secretmem]", 0);
	if (IS_ERR(inode))
		return (int)PTR_ERR(inode);
	file = pnm_alloc_file(inode, O_RDWR | (int)(flags & O_CLOEXEC));
	iput(inode);		/* the file holds its own (or it is freed) */
	if (IS_ERR(file))
		return (int)PTR_ERR(file);
	*filep = file;
	return 0;
}

/* --- the checker ---------------------------------------------------------------- */

/*
 * pnm_secretmem_check - every frame out of the direct map is a folio of a
 * secretmem file's cache, and NR_SECRETMEM counts exactly those
 * (internal.h).  The converse -- a secretmem folio is out of the direct
 * map -- is secretmem_check_folio(), run over every cached folio.  Walks
 * the arena once a secretmem file has ever existed (until then no frame
 * can have left the direct map, and only the counter is checked); model
 * quiescent.
 */
bool pnm_secretmem_check(void)
{
	unsigned long pfn, secret = 0;

	if (!READ_ONCE(secretmem_ever)) {
		if (global_stat(NR_SECRETMEM))
			return pnm_check_fail("no secretmem file was ever made, nr_secretmem %ld",
					      global_stat(NR_SECRETMEM));
		return true;
	}

	for (pfn = 0; pfn < pnm_mem.nr_frames; pfn++) {
		struct page *page = pfn_to_page(pfn);
		struct folio *folio;

		if (!test_bit(PG_pnm_secret, &page->flags))
			continue;
		folio = page_folio(page);
		if (folio_test_large(folio) || PageBuddy(page) || !folio_ref_count(folio) ||
		    !secretmem_mapping(folio_mapping(folio)))
			return pnm_check_fail("pfn %#lx: out of the direct map but not a folio of "
					      "a secretmem file", pfn);
		secret++;
	}
	if ((long)secret != global_stat(NR_SECRETMEM))
		return pnm_check_fail("%lu frames out of the direct map, nr_secretmem %ld",
				      secret, global_stat(NR_SECRETMEM));
	return true;
}
