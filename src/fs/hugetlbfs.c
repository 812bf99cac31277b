// SPDX-License-Identifier: MIT
/*
 * hugetlbfs.c - the filesystem of hugetlb pages (Linux's fs/hugetlbfs):
 * PNM_FS_HUGETLBFS (2 MiB pages) and PNM_FS_HUGETLBFS_1G (1 GiB pages),
 * as two mounts with different pagesize= would be, and the unnamed files
 * behind MAP_HUGETLB mappings and pnm_hugetlb_file_create().
 *
 * A hugetlbfs file lives in its page cache only (no backing store, no
 * writeback, unevictable): each cached folio is one huge page of the pool
 * (hugetlb.h), stored at the base-page indices it covers, created by a
 * fault of a shared mapping (hugetlb_fault.c) or by fallocate, and marked
 * dirty as Linux marks it.  What the filesystem adds to the generic
 * inode (fs/namei.c) is the hstate and a reservation map: the page
 * offsets (in huge pages) reserved by shared mappings or instantiated
 * (hugetlb.c).
 *
 * The calls, as Linux's:
 *   mmap       the offset must be huge-page aligned; the VMA becomes
 *              VM_HUGETLB | VM_DONTEXPAND with hugetlb_vm_ops, its pages
 *              are reserved (hugetlb_reserve_pages(): -ENOMEM if the pool
 *              cannot back them), and a writable mapping extends i_size
 *   read       from the cache; holes read as zeroes
 *   write      -EINVAL: hugetlbfs has no write(2)
 *   ftruncate  huge-page multiples only (-EINVAL); shrinking unmaps the
 *              pages beyond the size from every mapping (private copies
 *              included), drops them from the cache and gives back their
 *              reservations
 *   fallocate  punch: the same for the whole huge pages in the range
 *              (partial ones are zeroed); allocate: fill the range with
 *              pages of the pool (its reservations where the file has
 *              them), -ENOSPC when the pool runs dry (the pages allocated
 *              so far stay)
 *   eviction   the last reference (no file, no VMA) drops every page and
 *              reservation
 *
 * Locking: size changes, hole punches, allocation and mmap's reservation
 * hold the mapping's invalidate_lock exclusive (ftruncate and fallocate
 * inside i_lock, as for the other filesystems; mmap under mmap_lock, which
 * ranks above invalidate_lock), faults hold it shared: so i_size changes
 * under invalidate_lock exclusive here.  Unmapping a range walks i_mmap
 * under i_mmap_rwsem (read) and each entry's lock.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* What hugetlbfs keeps per inode (pnm_inode.fs_info). */
struct hugetlbfs_inode_info {
	struct hstate *h;		/* the page size; set at creation */
	struct resv_map *resv_map;	/* reserved/instantiated offsets */
	/* memfd's seal state, shmem's layout (internal.h): F_SEAL_SEAL
	 * from creation, which memfd_create(MFD_HUGETLB) may lift;
	 * protected as shmem's (i_lock) */
	struct shmem_inode_info seal;
};

static const struct file_operations hugetlbfs_file_ops;
static const struct address_space_operations hugetlbfs_aops;

static struct hugetlbfs_inode_info *HUGETLBFS_I(struct inode *inode)
{
	return PNM_I(inode)->fs_info;
}

/* inode_resv_map / hstate_inode - see hugetlb.h. */
struct resv_map *inode_resv_map(struct inode *inode)
{
	return HUGETLBFS_I(inode)->resv_map;
}

struct hstate *hstate_inode(struct inode *inode)
{
	return HUGETLBFS_I(inode)->h;
}

/* hugetlbfs_mapping / hugetlbfs_seal_info - see internal.h. */
bool hugetlbfs_mapping(const struct address_space *mapping)
{
	return mapping && mapping->a_ops == &hugetlbfs_aops;
}

struct shmem_inode_info *hugetlbfs_seal_info(struct inode *inode)
{
	return hugetlbfs_mapping(inode->i_mapping) ? &HUGETLBFS_I(inode)->seal : NULL;
}

/* The seals of @inode, read once (i_lock held where a change must not
 * slip past the check). */
static unsigned int hugetlbfs_seals(struct inode *inode)
{
	return READ_ONCE(HUGETLBFS_I(inode)->seal.seals);
}

/* is_file_hugepages / hstate_file - see hugetlb.h. */
bool is_file_hugepages(const struct file *file)
{
	return file && file->f_op == &hugetlbfs_file_ops;
}

struct hstate *hstate_file(const struct file *file)
{
	return hstate_inode(file->f_inode);
}

/* --- unmapping and removing pages ------------------------------------------------ */

/*
 * Unmap the file's pages [start, end) (base-page offsets; end 0: to the
 * end) from every VMA mapping them, shared or private (Linux's
 * hugetlb_vmdelete_list).  Caller holds invalidate_lock exclusive.
 */
static void hugetlb_vmdelete_list(struct address_space *mapping, pgoff_t start, pgoff_t end)
{
	struct vm_area_struct *vma;

	i_mmap_lock_read(mapping);
	vma_interval_tree_foreach(vma, &mapping->i_mmap, start, end ? end - 1 : ~0UL) {
		unsigned long v_start, v_end;

		if (start > vma->vm_pgoff)
			v_start = vma->vm_start + ((start - vma->vm_pgoff) << PAGE_SHIFT);
		else
			v_start = vma->vm_start;
		if (!end || end - vma->vm_pgoff >= vma_pages(vma))
			v_end = vma->vm_end;
		else
			v_end = vma->vm_start + ((end - vma->vm_pgoff) << PAGE_SHIFT);
		if (v_start < v_end)
			unmap_hugepage_range(vma, v_start, v_end);
	}
	i_mmap_unlock_read(mapping);
}

/*
 * Take the locked, unmapped @folio out of the cache (Linux's
 * hugetlb_delete_from_page_cache, plus the model's account of a folio
 * that lives on because someone still holds it: PG_pnm_truncated, as
 * truncate.c does).  The caller holds a reference.
 */
static void hugetlbfs_remove_folio(struct folio *folio)
{
	long nr = (long)folio_nr_pages(folio);

	ClearPageDirty(&folio->page);
	filemap_remove_folio(folio);
	/* Fully ordered RMW in filemap_remove_folio(): every reference
	 * taken before is seen; none can come through the cache now. */
	if (folio_ref_count(folio) <= 1)
		return;
	mod_vm_stat(PNM_NR_TRUNCATED_LIVE, nr);
	set_bit(PG_pnm_truncated, &folio->flags);
	smp_mb();
	if (folio_maybe_dma_pinned(folio))
		count_vm_events(PNM_TRUNCATE_PINNED, nr);
}

/*
 * Drop the huge pages of [lstart, lend) (bytes, huge-page aligned; lend
 * LLONG_MAX: to the end) from every mapping and from the cache, and give
 * back the reservations the file holds there (Linux's
 * remove_inode_hugepages()).  A page still referenced (pinned) lives on,
 * detached.  Caller holds invalidate_lock exclusive, or evicts the inode.
 */
static void remove_inode_hugepages(struct inode *inode, loff_t lstart, loff_t lend)
{
	struct hstate *h = hstate_inode(inode);
	struct address_space *mapping = inode->i_mapping;
	unsigned long start = (unsigned long)(lstart >> huge_page_shift(h));
	unsigned long end = lend == LLONG_MAX ? ~0UL >> huge_page_order(h) :
			    (unsigned long)(lend >> huge_page_shift(h));
	pgoff_t index = start << h->order;
	struct folio *folio;
	long freed = 0;

	if (start >= end)
		return;
	hugetlb_vmdelete_list(mapping, start << h->order,
			      lend == LLONG_MAX ? 0 : end << h->order);
	while ((folio = filemap_get_next_folio(mapping, &index, (end << h->order) - 1))) {
		folio_lock(folio);
		if (folio_mapping(folio) == mapping) {
			/* No fault maps it again: invalidate_lock is ours. */
			VM_WARN_ON_ONCE(folio_mapped(folio));
			hugetlbfs_remove_folio(folio);
			freed++;
		}
		index = folio->index + folio_nr_pages(folio);
		folio_unlock(folio);
		folio_put(folio);
		if (!index)
			break;		/* wrapped past the last index */
	}
	hugetlb_unreserve_pages(inode, start, end, freed);
}

/* Zero [start, end) (bytes) inside the cached huge page holding them. */
static void hugetlbfs_zero_partial_page(struct inode *inode, loff_t start, loff_t end)
{
	struct folio *folio = filemap_lock_folio(inode->i_mapping,
						 (pgoff_t)(start >> PAGE_SHIFT));

	if (IS_ERR(folio))
		return;
	pnm_folio_zero_range(folio, (size_t)(start - folio_pos(folio)), (size_t)(end - start));
	folio_unlock(folio);
	folio_put(folio);
}

/* --- the filesystem operations ----------------------------------------------------- */

static int hugetlbfs_init_inode_hstate(struct pnm_inode *pi, unsigned long size)
{
	struct hugetlbfs_inode_info *info;
	struct hstate *h = size_to_hstate(size);

	if (!h)
		return -EINVAL;		/* the 1 GiB size is switched off */
	info = pnm_calloc(PNM_FAULT_ALLOC, 1, sizeof(*info));
	if (!info)
		return -ENOMEM;
	info->resv_map = resv_map_alloc();
	if (!info->resv_map) {
		free(info);
		return -ENOMEM;
	}
	info->h = h;
	info->seal.seals = PNM_F_SEAL_SEAL;
	info->seal.exec = true;
	pi->fs_info = info;
	address_space_init(&pi->vfs.i_data, &pi->vfs, &hugetlbfs_aops);
	mapping_set_unevictable(&pi->vfs.i_data);
	mapping_set_large_folios(&pi->vfs.i_data);
	return 0;
}

static int hugetlbfs_init_inode(struct pnm_inode *pi)
{
	return hugetlbfs_init_inode_hstate(pi, PNM_HUGETLB_2M);
}

static int hugetlbfs_1g_init_inode(struct pnm_inode *pi)
{
	return hugetlbfs_init_inode_hstate(pi, PNM_HUGETLB_1G);
}

/* The last reference is gone: every page and reservation goes. */
static void hugetlbfs_evict_inode(struct pnm_inode *pi)
{
	struct hugetlbfs_inode_info *info = pi->fs_info;

	remove_inode_hugepages(&pi->vfs, 0, LLONG_MAX);
	resv_map_put(info->resv_map);
	free(info);
	pi->fs_info = NULL;
	address_space_destroy(&pi->vfs.i_data);
}

/* ftruncate: huge-page multiples; shrinking drops what lies beyond.
 * Caller holds i_lock and invalidate_lock exclusive. */
static int hugetlbfs_setsize(struct inode *inode, loff_t size)
{
	struct hstate *h = hstate_inode(inode);
	loff_t old = i_size_read(inode);

	if ((unsigned long)size & ~huge_page_mask(h))
		return -EINVAL;
	if ((size < old && (hugetlbfs_seals(inode) & PNM_F_SEAL_SHRINK)) ||
	    (size > old && (hugetlbfs_seals(inode) & PNM_F_SEAL_GROW)))
		return -EPERM;
	i_size_write(inode, size);
	if (size < old)
		remove_inode_hugepages(inode, size, LLONG_MAX);
	return 0;
}

/* Hole punch of [start, end] (bytes, inclusive): whole huge pages are
 * dropped, the parts of partial ones zeroed.  Caller holds i_lock and
 * invalidate_lock exclusive. */
static int hugetlbfs_punch(struct inode *inode, loff_t start, loff_t end)
{
	struct hstate *h = hstate_inode(inode);
	loff_t hsize = (loff_t)huge_page_size(h);
	loff_t hole_start = (start + hsize - 1) & ~(hsize - 1);
	loff_t hole_end = (end + 1) & ~(hsize - 1);

	/* A memfd sealed against writes keeps its data (Linux's check). */
	if (hugetlbfs_seals(inode) & (PNM_F_SEAL_WRITE | PNM_F_SEAL_FUTURE_WRITE))
		return -EPERM;

	if (hole_start >= hole_end) {
		hugetlbfs_zero_partial_page(inode, start, end + 1);
		return 0;
	}
	if (start < hole_start)
		hugetlbfs_zero_partial_page(inode, start, hole_start);
	if (end + 1 > hole_end)
		hugetlbfs_zero_partial_page(inode, hole_end, end + 1);
	remove_inode_hugepages(inode, hole_start, hole_end);
	return 0;
}

/*
 * fallocate(2): punch through the generic path (i_lock, invalidate_lock,
 * hugetlbfs_punch()); allocate every huge page of [offset, offset + len)
 * the cache lacks, from the pool as a shared fault would (Linux's
 * hugetlbfs_fallocate()), then extend i_size unless KEEP_SIZE.  -ENOSPC
 * when the pool has no page (what was allocated stays), -ENOMEM.
 */
static long hugetlbfs_fallocate(struct file *file, int mode, loff_t offset, loff_t len)
{
	struct inode *inode = file->f_inode;
	struct address_space *mapping = inode->i_mapping;
	struct hstate *h = hstate_inode(inode);
	unsigned long start, end, idx;
	struct vm_area_struct pseudo;
	long err = 0;

	if (mode & FALLOC_FL_PUNCH_HOLE)
		return pnm_generic_fallocate(file, mode, offset, len);
	start = (unsigned long)(offset >> huge_page_shift(h));
	end = (unsigned long)((offset + len + (loff_t)huge_page_size(h) - 1) >> huge_page_shift(h));
	/* A pseudo-VMA of a shared mapping of the whole range (Linux's). */
	memset(&pseudo, 0, sizeof(pseudo));
	pseudo.vm_start = 0;
	pseudo.vm_end = end << huge_page_shift(h);
	pseudo.vm_flags = VM_HUGETLB | VM_MAYSHARE | VM_SHARED;
	pseudo.vm_file = file;
	INIT_LIST_HEAD(&pseudo.anon_vma_chain);

	mutex_lock(&inode->i_lock);
	/* F_SEAL_GROW: no allocation past the end (Linux's check). */
	if ((hugetlbfs_seals(inode) & PNM_F_SEAL_GROW) && offset + len > i_size_read(inode)) {
		mutex_unlock(&inode->i_lock);
		return -EPERM;
	}
	down_write(&mapping->invalidate_lock);
	for (idx = start; idx < end && !err; idx++) {
		struct folio *folio = filemap_get_folio(mapping, idx << h->order);

		if (!IS_ERR(folio)) {
			folio_put(folio);
			continue;
		}
		folio = alloc_hugetlb_folio(&pseudo, idx << huge_page_shift(h), false);
		if (IS_ERR(folio)) {
			err = PTR_ERR(folio);
			break;
		}
		pnm_clear_folio(folio);
		folio_mark_uptodate(folio);
		err = hugetlb_add_to_page_cache(folio, mapping, idx);
		if (err) {
			restore_reserve_on_error(h, &pseudo, idx << huge_page_shift(h), folio);
			folio_put(folio);
			break;
		}
		folio_set_hugetlb_migratable(folio);
		folio_unlock(folio);
		folio_put(folio);	/* the cache keeps its own */
	}
	if (!err && !(mode & FALLOC_FL_KEEP_SIZE) && offset + len > i_size_read(inode))
		i_size_write(inode, offset + len);
	up_write(&mapping->invalidate_lock);
	mutex_unlock(&inode->i_lock);
	return err;
}

/* ->mmap: see the top of the file (Linux's hugetlbfs_file_mmap()). */
static int hugetlbfs_file_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct inode *inode = file->f_inode;
	struct hstate *h = hstate_inode(inode);
	unsigned long vma_len = vma->vm_end - vma->vm_start;
	loff_t len;
	int ret = 0;

	if ((vma->vm_pgoff & (pages_per_huge_page(h) - 1)) || (vma_len & ~huge_page_mask(h)))
		return -EINVAL;
	len = (loff_t)vma_len + ((loff_t)vma->vm_pgoff << PAGE_SHIFT);
	if (len < (loff_t)vma_len || len > PNM_MAX_FILE_SIZE)
		return -EINVAL;
	vma->vm_flags |= VM_HUGETLB | VM_DONTEXPAND;
	vma->vm_ops = &hugetlb_vm_ops;
	down_write(&inode->i_mapping->invalidate_lock);
	if (!hugetlb_reserve_pages(inode, vma->vm_pgoff >> h->order,
				   (unsigned long)(len >> huge_page_shift(h)), vma, vma->vm_flags))
		ret = -ENOMEM;
	else if ((vma->vm_flags & VM_WRITE) && i_size_read(inode) < len)
		i_size_write(inode, len);
	up_write(&inode->i_mapping->invalidate_lock);
	return ret;
}

/* ->read: [*pos, *pos + count) clamped to i_size; holes read as zeroes.
 * Lockless apart from a reference on each folio (racy page copy: a
 * device may be writing it). */
static ssize_t hugetlbfs_read(struct file *file, void *buf, size_t count, loff_t *pos)
{
	struct address_space *mapping = file->f_mapping;
	struct inode *inode = mapping->host;
	unsigned char *dst = buf;
	ssize_t done = 0;

	while (count) {
		loff_t size = i_size_read(inode);
		struct folio *folio;
		size_t off, n;

		if (*pos >= size)
			break;
		folio = filemap_get_folio(mapping, (pgoff_t)(*pos >> PAGE_SHIFT));
		if (IS_ERR(folio)) {
			off = (size_t)(*pos & (PAGE_SIZE - 1));
			n = min_t(size_t, count, PAGE_SIZE - off);
		} else {
			off = (size_t)(*pos - folio_pos(folio));
			n = min_t(size_t, count, folio_size(folio) - off);
		}
		if (*pos + (loff_t)n > size)
			n = (size_t)(size - *pos);
		if (IS_ERR(folio)) {
			memset(dst, 0, n);
		} else {
			pnm_copy_from_page_racy(dst, (char *)folio_address(folio) + off, n);
			folio_put(folio);
		}
		dst += n;
		*pos += (loff_t)n;
		count -= n;
		done += (ssize_t)n;
	}
	return done;
}

/* ->write: hugetlbfs has none; Linux's write(2) says -EINVAL. */
static ssize_t hugetlbfs_write(struct file *file, const void *buf, size_t count, loff_t *pos)
{
	(void)file;
	(void)buf;
	(void)count;
	(void)pos;
	return -EINVAL;
}

/* ->fsync: nothing to write back (Linux's noop_fsync). */
static int hugetlbfs_fsync(struct file *file, loff_t start, loff_t end, int datasync)
{
	(void)file;
	(void)start;
	(void)end;
	(void)datasync;
	return 0;
}

static const struct file_operations hugetlbfs_file_ops = {
	.mmap = hugetlbfs_file_mmap,
	.release = pnm_file_release,
	.read = hugetlbfs_read,
	.write = hugetlbfs_write,
	.fsync = hugetlbfs_fsync,
	.fallocate = hugetlbfs_fallocate,
	.setsize = pnm_generic_setsize,
};

/* Hugetlb folios have no private state: migration may move them. */
static int hugetlbfs_migrate_folio(struct address_space *mapping, struct folio *dst,
				   struct folio *src)
{
	(void)mapping;
	(void)dst;
	(void)src;
	return 0;
}

/* ->pnm_check_folio: a hugetlb folio of the file's size, off the LRU,
 * without private state or writeback (hugetlb_check_folio() does the
 * rest). */
static bool hugetlbfs_check_folio(struct address_space *mapping, struct folio *folio)
{
	struct hstate *h = hstate_inode(mapping->host);

	if (!folio_test_hugetlb(folio) || folio_order(folio) != h->order ||
	    PageLru(&folio->page) || PagePrivate(&folio->page) || folio_test_writeback(folio) ||
	    folio->index & (pages_per_huge_page(h) - 1))
		return pnm_check_fail("hugetlbfs folio %#lx index %lu: hugetlb %d order %u lru %d private %d writeback %d",
				      folio_pfn(folio), folio->index, folio_test_hugetlb(folio),
				      folio_order(folio), PageLru(&folio->page),
				      PagePrivate(&folio->page), folio_test_writeback(folio));
	return true;
}

static const struct address_space_operations hugetlbfs_aops = {
	.migrate_folio = hugetlbfs_migrate_folio,
	.pnm_check_folio = hugetlbfs_check_folio,
};

const struct pnm_fs_type_ops pnm_hugetlbfs_fs_type = {
	.backed = false,
	.f_op = &hugetlbfs_file_ops,
	.init_inode = hugetlbfs_init_inode,
	.evict_inode = hugetlbfs_evict_inode,
	.setsize = hugetlbfs_setsize,
	.punch = hugetlbfs_punch,
};

const struct pnm_fs_type_ops pnm_hugetlbfs_1g_fs_type = {
	.backed = false,
	.f_op = &hugetlbfs_file_ops,
	.init_inode = hugetlbfs_1g_init_inode,
	.evict_inode = hugetlbfs_evict_inode,
	.setsize = hugetlbfs_setsize,
	.punch = hugetlbfs_punch,
};

/* --- unnamed files -------------------------------------------------------------------- */

/* hugetlb_file_setup - see internal.h (Linux's, without the accounting:
 * mmap reserves). */
struct file *hugetlb_file_setup(const char *name, loff_t size, struct hstate *h)
{
	enum pnm_fs_type fs = h->order == HUGETLB_PUD_ORDER ? PNM_FS_HUGETLBFS_1G
							     : PNM_FS_HUGETLBFS;
	struct inode *inode = pnm_new_anon_inode(fs, name, size);
	struct file *file;

	if (IS_ERR(inode))
		return (struct file *)inode;
	file = pnm_alloc_file(inode, O_RDWR);
	iput(inode);		/* the file holds its own (or it is freed) */
	return file;
}

/* pnm_hugetlb_file_create - memfd_create(MFD_HUGETLB) (pinmm/hugetlb.h). */
int pnm_hugetlb_file_create(const char *label, int64_t size, unsigned long page_size,
			    struct file **filep)
{
	struct hstate *h = pnm_initialised ? size_to_hstate(page_size) : NULL;
	struct file *file;

	if (!h || size < 0 || !filep)
		return -EINVAL;
	if (size > PNM_MAX_FILE_SIZE)
		return -EFBIG;
	if ((unsigned long)size & ~huge_page_mask(h))
		return -EINVAL;
	file = hugetlb_file_setup(label ? label : "memfd:hugetlb", size, h);
	if (IS_ERR(file))
		return (int)PTR_ERR(file);
	*filep = file;
	return 0;
}

/* --- checking ------------------------------------------------------------------------- */

/* hugetlbfs_unconsumed_reservations - see internal.h.  Takes each inode's
 * map lock (to copy its ranges) and its cache's xa_lock per offset. */
unsigned long hugetlbfs_unconsumed_reservations(struct hstate *h)
{
	struct inode *inode = NULL;
	unsigned long total = 0;

	while ((inode = pnm_inode_next(inode))) {
		struct pnm_inode *pi = PNM_I(inode);
		struct resv_map *resv;
		unsigned long *from, *to, nr, i, idx;

		if ((pi->fs != PNM_FS_HUGETLBFS && pi->fs != PNM_FS_HUGETLBFS_1G) ||
		    !pi->fs_info || hstate_inode(inode) != h)
			continue;
		resv = inode_resv_map(inode);
		spin_lock(&resv->lock);
		nr = resv->nr;
		from = malloc((nr ? nr : 1) * sizeof(*from));
		to = malloc((nr ? nr : 1) * sizeof(*to));
		if (!from || !to) {
			/* The count is then short: the pass says why. */
			pnm_check_nomem("hugetlb_check: a file's reservations");
			nr = 0;
		} else if (nr) {	/* resv->from/to are NULL while empty */
			memcpy(from, resv->from, nr * sizeof(*from));
			memcpy(to, resv->to, nr * sizeof(*to));
		}
		spin_unlock(&resv->lock);
		for (i = 0; i < nr; i++)
			for (idx = from[i]; idx < to[i]; idx++)
				if (!xa_load(&inode->i_mapping->i_pages, idx << h->order))
					total++;
		free(from);
		free(to);
	}
	return total;
}
