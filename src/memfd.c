// SPDX-License-Identifier: MIT
/*
 * memfd.c - memfd_create(2), its seals (fcntl F_ADD_SEALS / F_GET_SEALS),
 * and memfd_pin_folios(): pinning a memfd's folios by file offset
 * (Linux's mm/memfd.c, and memfd_pin_folios() of mm/gup.c).
 *
 * A memfd is an unnamed shmem file (shmem.c's shmem_file_setup()), or
 * with MFD_HUGETLB an unnamed hugetlbfs file of the pool's 2 MiB or 1 GiB
 * pages (fs/hugetlbfs.c's hugetlb_file_setup(); the size in the
 * MFD_HUGE_* bits, none of that size: -ENODEV), whose shmem_inode_info
 * (hugetlbfs keeps one of the same layout) says which seals it has and
 * whether its mode is executable.  Both take every seal under the same
 * rules, as in Linux; hugetlbfs has no write(2), and its ftruncate,
 * fallocate and hole punch check the seals as shmem's do.  Seals only accumulate.  Adding F_SEAL_WRITE must leave no
 * way to write: it denies writable shared mappings (the mapping's
 * i_mmap_writable goes from 0 to -1; -EBUSY if a writable shared VMA
 * exists or an mmap is setting one up) and then looks for pages with
 * references beyond the cache's and their mappings' -- pins a device may
 * write through -- and gives up with -EBUSY if some remain after a few
 * scans (Linux's memfd_wait_for_pins(), which sleeps between its scans;
 * the model yields).  The checks that enforce the seals are shmem.c's
 * (write, size, punch, fallocate) and memfd_check_seals_mmap() (mmap).
 *
 * memfd_pin_folios() pins, without any address space, the folios of a
 * shmem file covering the bytes [start, end], allocating the ones the
 * cache lacks, with one FOLL_PIN pin per folio.  Its pins behave as
 * FOLL_LONGTERM: the allocations run in a memalloc_pin_save() scope, and
 * folios found in ZONE_MOVABLE or CMA make the call unpin everything,
 * migrate them and start again (gup.c's check_and_migrate_movable_folios()).
 * They are recorded in the pin registry with no owner process (pid 0),
 * the file offset of the first folio as their start and FOLL_PIN |
 * FOLL_LONGTERM, so unpin_folio()/unpin_folios() release them like any
 * pin.  They are not charged to a pin budget (Linux charges nothing here
 * either; udmabuf and iommufd do their own accounting).
 *
 * memfd_pin_folios() takes shmem files only (-EINVAL for a hugetlb
 * memfd: not modelled yet).
 *
 * Locking: seals change under the inode's i_lock (Linux's inode_lock),
 * the order being i_lock, then the mapping's i_pages.xa_lock for the pin
 * scan; i_mmap_writable is an atomic (internal.h).  memfd_pin_folios()
 * takes, per folio, what the page-cache lookup and shmem_read_folio()
 * take (invalidate_lock shared, the folio lock), and migration's locks;
 * no lock across the call.
 */
#include <limits.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define F_ALL_SEALS	(PNM_F_SEAL_SEAL | PNM_F_SEAL_SHRINK | PNM_F_SEAL_GROW | \
			 PNM_F_SEAL_WRITE | PNM_F_SEAL_FUTURE_WRITE | PNM_F_SEAL_EXEC)
#define MFD_ALL_FLAGS	(PNM_MFD_CLOEXEC | PNM_MFD_ALLOW_SEALING | PNM_MFD_HUGETLB | \
			 PNM_MFD_NOEXEC_SEAL | PNM_MFD_EXEC)
/* MFD_HUGETLB's page size bits (Linux's MFD_HUGE_SHIFT, MFD_HUGE_MASK). */
#define MFD_HUGE_SHIFT	PNM_MFD_HUGE_SHIFT
#define MFD_HUGE_MASK	PNM_MFD_HUGE_MASK
/* Scans of memfd_wait_for_pins() before it gives up (Linux: LAST_SCAN). */
#define MEMFD_PIN_SCANS	4

/* --- seals --------------------------------------------------------------------- */

/* The seal state of @inode: shmem's, hugetlbfs's, or NULL. */
static struct shmem_inode_info *memfd_seal_info(struct inode *inode)
{
	if (shmem_mapping(inode->i_mapping))
		return SHMEM_I(inode);
	return hugetlbfs_seal_info(inode);
}

/* memfd_file_seals_ptr - the seals of a shmem or hugetlbfs @file, or NULL
 * (internal.h).  A device mapping's file has a mapping of its own and no
 * inode: decided by the mapping first. */
unsigned int *memfd_file_seals_ptr(struct file *file)
{
	struct shmem_inode_info *info = NULL;

	if (file && (shmem_mapping(file->f_mapping) || hugetlbfs_mapping(file->f_mapping)))
		info = memfd_seal_info(file->f_inode);
	return info ? &info->seals : NULL;
}

/* memfd_check_seals_mmap - mmap against the write seals (internal.h). */
int memfd_check_seals_mmap(struct file *file, unsigned long *vm_flags)
{
	unsigned int *seals = memfd_file_seals_ptr(file);

	if (!seals || !(READ_ONCE(*seals) & (PNM_F_SEAL_WRITE | PNM_F_SEAL_FUTURE_WRITE)))
		return 0;
	/* A private mapping may still copy on write. */
	if (!(*vm_flags & VM_SHARED))
		return 0;
	if (*vm_flags & VM_WRITE)
		return -EPERM;
	/* Read-only, and mprotect may never change that. */
	*vm_flags &= ~VM_MAYWRITE;
	return 0;
}

/*
 * The references of @folio that neither the cache (one per page) nor its
 * mappings (one per PTE, one per PMD) account for: pins and other holders
 * (Linux's memfd_folio_has_extra_refs()).  A snapshot; the caller holds
 * the mapping's xa_lock, which keeps the folio in the cache.
 */
static bool folio_has_extra_refs(struct folio *folio)
{
	unsigned long i, nr = folio_nr_pages(folio);
	long mapped = folio_entire_mapcount(folio);

	for (i = 0; i < nr; i++)
		mapped += atomic_read(&folio_page(folio, i)->_mapcount);
	return folio_ref_count(folio) != (long)nr + mapped;
}

/* One scan of @mapping's cache: does a folio have extra references?
 * Takes xa_lock. */
static bool memfd_any_extra_refs(struct address_space *mapping)
{
	unsigned long index = 0;
	bool busy = false;

	spin_lock(&mapping->i_pages.xa_lock);
	for (;;) {
		struct folio *folio = xa_find_locked(&mapping->i_pages, &index, ~0UL);

		if (!folio)
			break;
		if (folio_has_extra_refs(folio)) {
			busy = true;
			break;
		}
		index = folio->index + folio_nr_pages(folio);
		if (!index)
			break;
	}
	spin_unlock(&mapping->i_pages.xa_lock);
	return busy;
}

/*
 * Linux's memfd_wait_for_pins(): 0 once a scan finds no folio with extra
 * references, -EBUSY if MEMFD_PIN_SCANS scans (yielding between them, for
 * a transient reference -- a racing fault or gup-fast attempt -- to go)
 * all found one.  Caller holds i_lock with writable mappings denied.
 */
static int memfd_wait_for_pins(struct address_space *mapping)
{
	int scan;

	for (scan = 0; scan < MEMFD_PIN_SCANS; scan++) {
		if (!memfd_any_extra_refs(mapping))
			return 0;
		sched_yield();
	}
	return -EBUSY;
}

/*
 * Linux's memfd_add_seals(): -EPERM without write access (first, as
 * Linux), -EINVAL for unknown seals or a file without seals, -EPERM under
 * F_SEAL_SEAL, -EBUSY for F_SEAL_WRITE with a writable shared mapping or
 * a pinned page; nothing changed on error.  Takes i_lock.
 */
static int memfd_add_seals(struct file *file, unsigned long seals)
{
	struct inode *inode = file->f_inode;
	struct shmem_inode_info *info;
	unsigned int *file_seals;
	int err = 0;

	if (!(file->f_mode & FMODE_WRITE))
		return -EPERM;
	if (seals & ~(unsigned long)F_ALL_SEALS)
		return -EINVAL;
	file_seals = memfd_file_seals_ptr(file);
	if (!file_seals)
		return -EINVAL;
	info = memfd_seal_info(inode);
	mutex_lock(&inode->i_lock);
	if (*file_seals & PNM_F_SEAL_SEAL) {
		err = -EPERM;
		goto out;
	}
	if ((seals & PNM_F_SEAL_WRITE) && !(*file_seals & PNM_F_SEAL_WRITE)) {
		err = mapping_deny_writable(file->f_mapping);
		if (err)
			goto out;
		err = memfd_wait_for_pins(file->f_mapping);
		if (err) {
			mapping_allow_writable(file->f_mapping);
			goto out;
		}
		info->write_denied = true;
	}
	/* Linux: on an executable file F_SEAL_EXEC implies the write seals
	 * ("W^X from the start") -- without the checks above. */
	if ((seals & PNM_F_SEAL_EXEC) && info->exec)
		seals |= PNM_F_SEAL_SHRINK | PNM_F_SEAL_GROW | PNM_F_SEAL_WRITE |
			 PNM_F_SEAL_FUTURE_WRITE;
	WRITE_ONCE(*file_seals, *file_seals | (unsigned int)seals);
out:
	mutex_unlock(&inode->i_lock);
	return err;
}

/* pnm_file_fcntl - fcntl(2)'s seal and FD_CLOEXEC commands (pinmm/memfd.h).
 * Takes i_lock (F_ADD_SEALS) or file->f_lock (F_SETFD). */
int pnm_file_fcntl(struct file *file, int cmd, unsigned long arg)
{
	unsigned int *seals;

	if (!file)
		return -EBADF;
	switch (cmd) {
	case PNM_F_GETFD:
		return READ_ONCE(file->f_flags) & O_CLOEXEC ? PNM_FD_CLOEXEC : 0;
	case PNM_F_SETFD:
		spin_lock(&file->f_lock);
		if (arg & PNM_FD_CLOEXEC)
			WRITE_ONCE(file->f_flags, file->f_flags | O_CLOEXEC);
		else
			WRITE_ONCE(file->f_flags, file->f_flags & ~(unsigned int)O_CLOEXEC);
		spin_unlock(&file->f_lock);
		return 0;
	case PNM_F_ADD_SEALS:
		return memfd_add_seals(file, arg);
	case PNM_F_GET_SEALS:
		seals = memfd_file_seals_ptr(file);
		return seals ? (int)READ_ONCE(*seals) : -EINVAL;
	default:
		return -EINVAL;
	}
}

/* --- memfd_create ----------------------------------------------------------------- */

/*
 * Linux's sanitize_flags() and check_sysctl_memfd_noexec(): unknown flags
 * (MFD_HUGETLB may carry a page size), MFD_EXEC with MFD_NOEXEC_SEAL:
 * -EINVAL; neither of those two: what vm.memfd_noexec says; then -EACCES
 * without MFD_NOEXEC_SEAL if it enforces that.
 */
static int memfd_sanitize_flags(unsigned int *flags)
{
	unsigned int f = *flags, known = MFD_ALL_FLAGS;
	int scope = READ_ONCE(sysctl_memfd_noexec_scope);

	if (f & PNM_MFD_HUGETLB)
		known |= MFD_HUGE_MASK << MFD_HUGE_SHIFT;
	if (f & ~known)
		return -EINVAL;
	if ((f & PNM_MFD_EXEC) && (f & PNM_MFD_NOEXEC_SEAL))
		return -EINVAL;
	if (!(f & (PNM_MFD_EXEC | PNM_MFD_NOEXEC_SEAL)))
		f |= scope >= MEMFD_NOEXEC_SCOPE_NOEXEC_SEAL ? PNM_MFD_NOEXEC_SEAL : PNM_MFD_EXEC;
	if (!(f & PNM_MFD_NOEXEC_SEAL) && scope >= MEMFD_NOEXEC_SCOPE_NOEXEC_ENFORCED)
		return -EACCES;
	*flags = f;
	return 0;
}

/* pnm_memfd_create - memfd_create(2) (pinmm/memfd.h).  Takes the inode
 * table lock. */
int pnm_memfd_create(const char *name, unsigned int flags, struct file **filep)
{
	struct shmem_inode_info *info;
	char label[PNM_FS_NAME_MAX + 1];
	struct file *file;
	int err;

	if (!pnm_initialised || !filep)
		return -EINVAL;
	err = memfd_sanitize_flags(&flags);
	if (err)
		return err;
	if (!name)
		return -EFAULT;
	if (strnlen(name, PNM_MFD_NAME_MAX + 1) > PNM_MFD_NAME_MAX)
		return -EINVAL;
	/* The label is for display only: cut to what an inode keeps. */
	snprintf(label, sizeof(label), "memfd:%s", name);
	if (flags & PNM_MFD_HUGETLB) {
		unsigned int log = (flags >> MFD_HUGE_SHIFT) & MFD_HUGE_MASK;
		struct hstate *h = size_to_hstate(log ? 1UL << log : PNM_HUGETLB_2M);

		/* No pool of that size (Linux's hugetlb_file_setup()). */
		if (!h)
			return -ENODEV;
		file = hugetlb_file_setup(label, 0, h);
		if (IS_ERR(file))
			return (int)PTR_ERR(file);
	} else {
		file = shmem_file_setup(label, 0);
		if (!file)
			return -ENOMEM;
	}
	if (flags & PNM_MFD_CLOEXEC)
		file->f_flags |= O_CLOEXEC;
	/* Nobody else can see the file yet. */
	info = memfd_seal_info(file->f_inode);
	if (flags & PNM_MFD_NOEXEC_SEAL) {
		info->exec = false;
		info->seals = PNM_F_SEAL_EXEC;
	} else {
		info->exec = true;
		if (flags & PNM_MFD_ALLOW_SEALING)
			info->seals &= ~PNM_F_SEAL_SEAL;
	}
	*filep = file;
	return 0;
}

/* --- memfd_pin_folios ------------------------------------------------------------- */

/*
 * Release @nr pins taken by memfd_pin_folios() before they were recorded
 * (no registry check: there is nothing to check against yet).
 */
static void memfd_put_pins(struct folio **folios, unsigned long nr)
{
	unsigned long i;

	for (i = 0; i < nr; i++)
		gup_put_folio(folios[i], 1, FOLL_PIN);
}

/*
 * One pass of memfd_pin_folios(): pin the folios covering the pages
 * [idx, end_idx], at most @max, looking each up in the cache and
 * allocating the ones missing.  Returns the number pinned, with
 * *@offset set by the first, or -errno with nothing pinned.
 */
static long memfd_pin_pass(struct address_space *mapping, loff_t start, pgoff_t idx,
			   pgoff_t end_idx, struct folio **folios, unsigned int max,
			   unsigned long *offset)
{
	unsigned long nr = 0;
	long ret;

	while (idx <= end_idx && nr < max) {
		struct folio *folio = filemap_get_folio(mapping, idx);

		if (IS_ERR(folio)) {
			if (PTR_ERR(folio) != -ENOENT) {
				ret = PTR_ERR(folio);
				goto err;
			}
			/* Not cached: create it (a racing creator's wins). */
			folio = shmem_read_folio(mapping, idx);
			if (IS_ERR(folio)) {
				ret = PTR_ERR(folio);
				goto err;
			}
		}
		/* One pin per folio, through our lookup reference (Linux
		 * gives -EINVAL when the grab fails: the overflow guard). */
		if (try_grab_folio(folio, 1, FOLL_PIN)) {
			folio_put(folio);
			ret = -EINVAL;
			goto err;
		}
		if (!nr)
			*offset = (unsigned long)(start - folio_pos(folio));
		folios[nr++] = folio;
		idx = folio->index + folio_nr_pages(folio);
		folio_put(folio);
	}
	return (long)nr;
err:
	memfd_put_pins(folios, nr);
	return ret;
}

/*
 * memfd_pin_folios - pin the folios of shmem file @memfd holding the bytes
 * [@start, @end] (inclusive), at most @max_folios of them, into
 * @folios[], one pin per folio, as long-term pins (pinmm/gup.h).  Returns
 * the number of folios pinned (*@offset: @start's offset in the first),
 * or -EINVAL (@start < 0, @start > @end, @max_folios 0, NULL @memfd,
 * @folios or @offset, a file that is not shmem, @end at or beyond the
 * size; also a shrink racing the call, and the overflow guard),
 * -ENOMEM (no memory, or a folio that had to move out of MOVABLE/CMA
 * could not).  Takes what the lookups, allocations and migrations take.
 */
long memfd_pin_folios(struct file *memfd, int64_t start, int64_t end, struct folio **folios,
		      unsigned int max_folios, unsigned long *offset)
{
	struct address_space *mapping;
	unsigned int cookie;
	struct page **heads;
	unsigned long i;
	long nr = -EINVAL;

	pnm_gup_site_enter(__builtin_return_address(0));
	/* Linux's checks, in Linux's order. */
	if (start < 0 || start > end || !max_folios)
		goto out;
	if (!memfd || !folios || !offset)
		goto out;
	mapping = memfd->f_mapping;
	if (!shmem_mapping(mapping))
		goto out;
	if (end >= i_size_read(memfd->f_inode))
		goto out;

	cookie = memalloc_pin_save();
	do {
		nr = memfd_pin_pass(mapping, start, (pgoff_t)(start >> PAGE_SHIFT),
				    (pgoff_t)(end >> PAGE_SHIFT), folios, max_folios, offset);
		if (nr <= 0 || pnm_config.legacy_gup)
			break;
		/* -EAGAIN: everything was unpinned and moved: again. */
		i = (unsigned long)nr;
		nr = check_and_migrate_movable_folios(i, folios);
		if (!nr)
			nr = (long)i;
	} while (nr == -EAGAIN);
	memalloc_pin_restore(cookie);
	if (nr <= 0)
		goto out;

	/* Record them (pid 0, the file offset as start); the record takes
	 * the heads, which their pins are charged to. */
	heads = pnm_malloc(PNM_FAULT_ALLOC, (size_t)nr * sizeof(*heads));
	if (!heads) {
		memfd_put_pins(folios, (unsigned long)nr);
		nr = -ENOMEM;
		goto out;
	}
	for (i = 0; i < (unsigned long)nr; i++)
		heads[i] = &folios[i]->page;
	nr = pnm_gup_record_pins(NULL, (unsigned long)folio_pos(folios[0]), heads, nr,
				 FOLL_LONGTERM);
	free(heads);
out:
	pnm_gup_site_exit();
	return nr;
}

/* --- the checker ---------------------------------------------------------------- */

/* pnm_memfd_check_inode - writable mappings and seals of @inode (internal.h). */
bool pnm_memfd_check_inode(struct inode *inode)
{
	struct address_space *mapping = inode->i_mapping;
	struct vm_area_struct *vma;
	long writable = 0, count;
	struct shmem_inode_info *info;
	unsigned int seals;

	i_mmap_lock_read(mapping);
	for (vma = vma_interval_tree_iter_first(&mapping->i_mmap, 0, ULONG_MAX); vma;
	     vma = vma_interval_tree_iter_next(vma, 0, ULONG_MAX))
		writable += vma_is_shared_maywrite(vma);
	count = atomic_read(&mapping->i_mmap_writable);
	i_mmap_unlock_read(mapping);

	if (!shmem_mapping(mapping) && !hugetlbfs_mapping(mapping)) {
		if (count != writable)
			return pnm_check_fail("inode %lu: i_mmap_writable %ld but %ld writable shared VMAs",
					      inode->i_ino, count, writable);
		return true;
	}
	info = memfd_seal_info(inode);
	seals = READ_ONCE(info->seals);
	if (seals & ~F_ALL_SEALS)
		return pnm_check_fail("shmem inode %lu: unknown seals %#x", inode->i_ino, seals);
	if (info->write_denied) {
		/* F_SEAL_WRITE took the only way to write away for good. */
		if (!(seals & PNM_F_SEAL_WRITE) || count != -1 || writable)
			return pnm_check_fail("shmem inode %lu: writes denied with seals %#x, "
					      "i_mmap_writable %ld, %ld writable shared VMAs",
					      inode->i_ino, seals, count, writable);
	} else if (count != writable) {
		return pnm_check_fail("shmem inode %lu: i_mmap_writable %ld but %ld writable "
				      "shared VMAs", inode->i_ino, count, writable);
	}
	if (!info->exec && !(seals & PNM_F_SEAL_EXEC) && !(seals & PNM_F_SEAL_SEAL))
		return pnm_check_fail("shmem inode %lu: not executable, sealable, without F_SEAL_EXEC",
				      inode->i_ino);
	return true;
}
