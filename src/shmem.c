// SPDX-License-Identifier: MIT
/*
 * shmem.c - memory objects that live only in their page cache (tmpfs,
 * memfd, MAP_SHARED|MAP_ANONYMOUS), and the file reference (fput).
 *
 * A shmem file is a struct file + struct inode whose address_space holds
 * the object's data: one order-0 folio per page offset, created zeroed on
 * first touch by the fault handler.  There is no backing store and no
 * swap, so a folio stays in the cache until the object dies: when the last
 * file reference goes, the cache is truncated (every folio removed, the
 * cache's reference dropped) and the inode freed.  Folios still pinned or
 * referenced by someone else live on, detached (mapping NULL), until their
 * last reference goes.
 *
 * References: the page cache holds folio_nr_pages() (here 1) references
 * on each folio and counts it in NR_FILE_PAGES and NR_SHMEM.  The fault
 * handler returns the folio locked with one more reference, which memory.c
 * turns into the mapping's reference.
 *
 * Locking: the cache (i_pages) is protected by its xa_lock, taken inside
 * the folio lock (mm_types.h).  A folio's mapping/index are set before it
 * becomes visible in the cache and cleared under the folio lock when it
 * leaves, so a holder of the folio lock who finds folio->mapping == ours
 * knows the folio is (still) in our cache at folio->index.  Migration
 * (H4) replaces a cache entry with the folio locked, which is why the
 * lookups below re-check the entry after locking.
 */
#include <sched.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* The pieces of a shmem object, allocated together. */
struct shmem_object {
	struct file file;
	struct inode inode;
	char name[32];
};

static atomic_long_t shmem_next_ino = { 1 };

static const struct vm_operations_struct shmem_vm_ops;
static const struct address_space_operations shmem_aops;

static struct shmem_object *file_shmem(struct file *file)
{
	return container_of(file, struct shmem_object, file);
}

/* --- the page cache ----------------------------------------------------------- */

/*
 * Remove every folio from @mapping's cache, dropping the cache's
 * references and page counts.  Each folio is locked while it leaves, so a
 * migration in progress finishes first (and we then find its replacement).
 * Nobody maps the object any more (every VMA holds a file reference), but
 * folios may still be referenced elsewhere; those survive, detached.
 */
static void shmem_truncate(struct address_space *mapping)
{
	unsigned long index = 0;

	for (;;) {
		struct folio *folio;
		long nr;

		spin_lock(&mapping->i_pages.xa_lock);
		folio = xa_find_locked(&mapping->i_pages, &index, ~0UL);
		/*
		 * folio_try_get() fails only on a frozen (zero) count: pairs
		 * with the migrator's freeze cmpxchg (brief §10), after which
		 * it replaces the cache entry.
		 */
		if (folio && !folio_try_get(folio)) {
			/* Frozen by a migration: let it finish, then retry. */
			spin_unlock(&mapping->i_pages.xa_lock);
			sched_yield();
			continue;
		}
		spin_unlock(&mapping->i_pages.xa_lock);
		if (!folio)
			break;

		folio_lock(folio);
		spin_lock(&mapping->i_pages.xa_lock);
		if (xa_load_locked(&mapping->i_pages, index) != folio) {
			/* Replaced by migration meanwhile: look again. */
			spin_unlock(&mapping->i_pages.xa_lock);
			folio_unlock(folio);
			folio_put(folio);
			continue;
		}
		nr = (long)folio_nr_pages(folio);
		xa_erase_locked(&mapping->i_pages, index);
		mapping->nrpages -= (unsigned long)nr;
		WRITE_ONCE(folio->mapping, NULL);
		spin_unlock(&mapping->i_pages.xa_lock);
		mod_vm_stat(NR_FILE_PAGES, -nr);
		mod_vm_stat(NR_SHMEM, -nr);
		folio_unlock(folio);
		folio_put(folio);		/* ours */
		folio_put_refs(folio, (int)nr);	/* the cache's */
		index++;
	}
}

/*
 * The folio at @index of @mapping, locked and with a reference for the
 * caller, creating it (zeroed) if the cache has none.  Returns NULL on
 * -ENOMEM.  Caller holds mmap_lock for read (fault) or nothing.
 */
static struct folio *shmem_get_folio(struct address_space *mapping, pgoff_t index)
{
	struct folio *folio, *new;
	int err;

retry:
	spin_lock(&mapping->i_pages.xa_lock);
	folio = xa_load_locked(&mapping->i_pages, index);
	if (folio) {
		/* Pairs with migration's freeze, as in shmem_truncate(). */
		if (!folio_try_get(folio)) {
			/* Frozen (being migrated): wait for the new one. */
			spin_unlock(&mapping->i_pages.xa_lock);
			sched_yield();
			goto retry;
		}
		spin_unlock(&mapping->i_pages.xa_lock);
		folio_lock(folio);
		if (READ_ONCE(folio->mapping) != mapping || folio->index != index) {
			/* Left the cache (migrated) while we waited. */
			folio_unlock(folio);
			folio_put(folio);
			goto retry;
		}
		return folio;
	}
	spin_unlock(&mapping->i_pages.xa_lock);

	new = folio_alloc(GFP_HIGHUSER_MOVABLE | __GFP_ZERO, 0);
	if (!new)
		return NULL;
	/* Not visible to anyone yet: the lock cannot be contended. */
	if (!folio_trylock(new))
		VM_BUG_ON(1);
	SetPageSwapBacked(&new->page);
	SetPageUptodate(&new->page);
	new->index = index;
	WRITE_ONCE(new->mapping, mapping);
	folio_ref_add(new, 1);		/* the cache's reference */

	spin_lock(&mapping->i_pages.xa_lock);
	if (xa_load_locked(&mapping->i_pages, index)) {
		/* Somebody else created it first: use theirs. */
		spin_unlock(&mapping->i_pages.xa_lock);
		err = 0;
		goto out_discard;
	}
	err = xa_store_locked(&mapping->i_pages, index, new);
	if (err) {
		spin_unlock(&mapping->i_pages.xa_lock);
		goto out_discard;
	}
	mapping->nrpages++;
	spin_unlock(&mapping->i_pages.xa_lock);
	mod_vm_stat(NR_FILE_PAGES, 1);
	mod_vm_stat(NR_SHMEM, 1);
	return new;

out_discard:
	WRITE_ONCE(new->mapping, NULL);
	folio_unlock(new);
	folio_put_refs(new, 2);
	if (!err)
		goto retry;
	return NULL;
}

/* --- the VMA side ------------------------------------------------------------- */

/*
 * ->fault for shmem mappings (brief §16): find or create the folio at
 * vmf->pgoff and return it in vmf->page, locked, with a reference for the
 * caller (VM_FAULT_LOCKED).  VM_FAULT_SIGBUS beyond the end of the object,
 * VM_FAULT_OOM when no frame is free.  Caller holds mmap_lock for read.
 */
static vm_fault_t shmem_fault(struct vm_fault *vmf)
{
	struct file *file = vmf->vma->vm_file;
	struct inode *inode = file->f_inode;
	struct folio *folio;
	unsigned long nr_pages;

	nr_pages = ((unsigned long)READ_ONCE(inode->i_size) + PAGE_SIZE - 1) >> PAGE_SHIFT;
	if (vmf->pgoff >= nr_pages)
		return VM_FAULT_SIGBUS;
	folio = shmem_get_folio(file->f_mapping, vmf->pgoff);
	if (!folio)
		return VM_FAULT_OOM;
	vmf->page = &folio->page;
	return VM_FAULT_LOCKED;
}

static const char *shmem_vma_name(struct vm_area_struct *vma)
{
	(void)vma;
	return "[shmem]";
}

static const struct vm_operations_struct shmem_vm_ops = {
	.fault = shmem_fault,
	.name = shmem_vma_name,
};

/* shmem folios have no private state: migration may always move them. */
static int shmem_migrate_folio(struct address_space *mapping, struct folio *dst,
			       struct folio *src)
{
	(void)mapping;
	(void)dst;
	(void)src;
	return 0;
}

static const struct address_space_operations shmem_aops = {
	.migrate_folio = shmem_migrate_folio,
};

/* ->mmap for shmem files: the VMA faults through the page cache. */
static int shmem_mmap(struct file *file, struct vm_area_struct *vma)
{
	(void)file;
	vma->vm_ops = &shmem_vm_ops;
	return 0;
}

/*
 * ->release for shmem files: the last reference to the object is
 * gone; empty the cache and free the inode (the struct file goes with it:
 * they are one allocation).
 */
static void shmem_release(struct file *file)
{
	struct shmem_object *obj = file_shmem(file);
	struct address_space *mapping = &obj->inode.i_data;

	shmem_truncate(mapping);
	VM_BUG_ON(mapping->nrpages != 0);
	xa_destroy(&mapping->i_pages);
	rwsem_destroy(&mapping->invalidate_lock);
	mutex_destroy(&obj->inode.i_lock);
	free(obj);
}

static const struct file_operations shmem_file_ops = {
	.mmap = shmem_mmap,
	.release = shmem_release,
};

/* --- object life cycle -------------------------------------------------------- */

/*
 * A new shmem file named @name of @size bytes, open for reading and
 * writing, with one reference (the caller's; drop it with fput()).
 * Returns NULL on -ENOMEM.  Takes no lock.
 */
struct file *shmem_file_setup(const char *name, loff_t size)
{
	struct shmem_object *obj = calloc(1, sizeof(*obj));
	struct inode *inode;
	struct file *file;

	if (!obj)
		return NULL;
	inode = &obj->inode;
	file = &obj->file;
	strncpy(obj->name, name ? name : "", sizeof(obj->name) - 1);

	/* Only uniqueness matters; the RMW orders nothing. */
	inode->i_ino = (unsigned long)atomic_long_add_return(1, &shmem_next_ino) - 1;
	inode->i_size = size;
	atomic_set(&inode->i_count, 1);
	mutex_init(&inode->i_lock);
	inode->i_data.host = inode;
	xa_init(&inode->i_data.i_pages);
	inode->i_data.a_ops = &shmem_aops;
	init_rwsem(&inode->i_data.invalidate_lock);
	inode->i_mapping = &inode->i_data;
	inode->i_private = obj->name;

	atomic_long_set(&file->f_count, 1);
	spin_lock_init(&file->f_lock);
	file->f_inode = inode;
	file->f_mapping = inode->i_mapping;
	file->f_mode = FMODE_READ | FMODE_WRITE;
	file->f_op = &shmem_file_ops;
	return file;
}

/*
 * Back a MAP_SHARED|MAP_ANONYMOUS VMA with a new shmem object the size of
 * the VMA (Linux's /dev/zero mapping).  Replaces any file the VMA had.
 * Returns 0 or -ENOMEM (VMA unchanged).  Caller holds mmap_lock for write.
 */
int shmem_zero_setup(struct vm_area_struct *vma)
{
	struct file *file;

	file = shmem_file_setup("dev/zero", (loff_t)(vma->vm_end - vma->vm_start));
	if (!file)
		return -ENOMEM;
	if (vma->vm_file)
		fput(vma->vm_file);
	vma->vm_file = file;
	vma->vm_ops = &shmem_vm_ops;
	return 0;
}

/*
 * Drop a file reference.  The last one releases the file through its
 * ->release hook, which owns freeing everything (for shmem: truncate the
 * cache, free inode and file); a file without the hook is simply freed.
 * Must not be called with the folio lock or xa_lock of its cache held.
 */
void fput(struct file *file)
{
	/* Fully ordered: every use of the file happens before the release. */
	if (atomic_long_add_return(-1, &file->f_count) != 0)
		return;
	if (file->f_op && file->f_op->release)
		file->f_op->release(file);
	else
		free(file);
}
