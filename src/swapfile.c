// SPDX-License-Identifier: MIT
/*
 * swapfile.c - the swap device: its slots and their counts, swapon and
 * swapoff, and the checker of the whole swap state (Linux's
 * mm/swapfile.c, reduced to one device).
 *
 * A device is a host file of nr_pages * 4 KiB and an array swap_map[] of
 * one count per slot (swap.h): how many page-table entries name the
 * slot, plus SWAP_HAS_CACHE while the swap cache holds a folio for it.
 * Slot 0 is the header, marked bad, as in Linux.  Allocation is next-fit
 * from a cursor (Linux allocates in clusters; one device, one cursor).
 *
 * Counting rules (the checker proves them after every step):
 *   - each swap PTE holds one count on its slot: try_to_unmap() adds one
 *     per entry it installs (swap_duplicate), fork one per entry it copies
 *     (swap_duplicate), the swap-in of an entry drops one (swap_free),
 *     zap and MADV_FREE drop one (free_swap_and_cache);
 *   - SWAP_HAS_CACHE is owned by whoever added, or is adding, the slot's
 *     folio to the swap cache: set by folio_alloc_swap() (swap-out) or
 *     swapcache_prepare() (swap-in), cleared by put_swap_folio() when the
 *     folio leaves the cache;
 *   - a slot is free when neither is left; inuse_pages counts the others.
 *
 * Lifetime.  swapon sets the device up and publishes it by setting its
 * users count to 1; get_swap_device() takes a user reference only while
 * that is not 0 (Linux's percpu_ref_tryget_live).  swapoff stops
 * allocation (SWP_WRITEOK), brings every page back (try_to_unuse: a walk
 * of every mm's page tables, then of the swap cache), drops the device's
 * own reference, waits for the users to go and frees the map.  A path
 * that meets a swap entry under a ptl needs no reference: the entry's
 * count keeps try_to_unuse from finishing.  Paths that use the device
 * without such an entry in hand take one (swap-in, the queries, zap's
 * free_swap_and_cache, which works on after clearing the entry).
 *
 * Locking: si->lock is a leaf (swap.h); swapon_mutex serialises swapon and
 * swapoff and is taken before anything else (swapoff then takes mmap_locks
 * for read, folio locks and ptls as a fault would).
 */
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

static struct swap_info_struct swap_info = {
	.lock = { .m = PTHREAD_MUTEX_INITIALIZER, .owner = 0 },
	.users_mutex = PTHREAD_MUTEX_INITIALIZER,
	.users_cond = PTHREAD_COND_INITIALIZER,
	.fd = -1,
};
/* Serialises swapon and swapoff (and the device's setup and teardown). */
static pthread_mutex_t swapon_mutex = PTHREAD_MUTEX_INITIALIZER;

static unsigned long pmd_end_of(unsigned long addr, unsigned long end)
{
	unsigned long next = (addr + PMD_SIZE) & PMD_MASK;

	return next - 1 < end - 1 ? next : end;
}

static unsigned long pud_end_of(unsigned long addr, unsigned long end)
{
	unsigned long next = (addr + PUD_SIZE) & PUD_MASK;

	return next - 1 < end - 1 ? next : end;
}

/* --- device references ------------------------------------------------------ */

/*
 * get_swap_device - see swap.h.  The fully ordered atomic_add_unless()
 * pairs with swapon's release store of users (the device's fields are
 * visible) and with swapoff's decrement to 0 (no reference is taken
 * after the device went).
 */
struct swap_info_struct *get_swap_device(swp_entry_t entry)
{
	struct swap_info_struct *si = &swap_info;
	unsigned long off = swp_offset(entry);

	if (non_swap_entry(entry))
		return NULL;
	if (!atomic_add_unless(&si->users, 1, 0))
		return NULL;
	/* si->max is set before the device is published, freed after it
	 * went: stable while we hold a reference. */
	if (!off || off >= si->max) {
		put_swap_device(si);
		return NULL;
	}
	return si;
}

/* put_swap_device - drop a reference of get_swap_device(); the last one
 * wakes swapoff. */
void put_swap_device(struct swap_info_struct *si)
{
	if (atomic_dec_and_test(&si->users)) {
		pthread_mutex_lock(&si->users_mutex);
		pthread_cond_broadcast(&si->users_cond);
		pthread_mutex_unlock(&si->users_mutex);
	}
}

/* swp_swap_info - the device of @entry (swap.h): NULL for a non-swap
 * entry or when no device is set up. */
struct swap_info_struct *swp_swap_info(swp_entry_t entry)
{
	if (non_swap_entry(entry) || !(READ_ONCE(swap_info.flags) & SWP_USED))
		return NULL;
	return &swap_info;
}

/* --- slots --------------------------------------------------------------------- */

/* A slot's map became 0 (free) from non-zero, or the other way; lock held. */
static void slot_freed(struct swap_info_struct *si)
{
	VM_BUG_ON(!si->inuse_pages);
	si->inuse_pages--;
}

/*
 * folio_alloc_swap - see swap.h.  Next-fit from the cursor, wrapping once.
 */
swp_entry_t folio_alloc_swap(struct folio *folio)
{
	struct swap_info_struct *si = &swap_info;
	swp_entry_t entry = { 0 };
	unsigned long i, off;

	VM_BUG_ON_PAGE(folio_test_large(folio), &folio->page);
	spin_lock(&si->lock);
	if ((si->flags & (SWP_USED | SWP_WRITEOK)) != (SWP_USED | SWP_WRITEOK) ||
	    si->inuse_pages >= si->pages)
		goto out;
	off = si->cluster_next;
	for (i = 0; i < si->max; i++, off++) {
		if (off >= si->max)
			off = 1;
		if (!si->swap_map[off]) {
			si->swap_map[off] = SWAP_HAS_CACHE;
			si->inuse_pages++;
			si->cluster_next = off + 1;
			entry = swp_entry(0, off);
			break;
		}
	}
out:
	spin_unlock(&si->lock);
	return entry;
}

/*
 * The map of @entry's slot, for callers that hold the slot through an
 * entry under a ptl, a swap cache folio or a device reference.  Lock held.
 */
static unsigned short *slot_map(struct swap_info_struct *si, swp_entry_t entry)
{
	unsigned long off = swp_offset(entry);

	VM_BUG_ON(non_swap_entry(entry) || !off || off >= si->max);
	return &si->swap_map[off];
}

/* swap_duplicate - one more entry names the slot (swap.h). */
int swap_duplicate(swp_entry_t entry)
{
	struct swap_info_struct *si = &swap_info;
	unsigned short *map;
	int err = 0;

	spin_lock(&si->lock);
	map = slot_map(si, entry);
	if (!(*map & SWAP_COUNT_MASK) && !(*map & SWAP_HAS_CACHE))
		err = -ENOENT;
	else if ((*map & SWAP_COUNT_MASK) >= SWAP_MAP_MAX)
		err = -ENOMEM;
	else
		(*map)++;
	spin_unlock(&si->lock);
	VM_WARN_ON_ONCE(err == -ENOENT);
	return err;
}

/*
 * Drop one count of @entry's slot; lock held.  Returns the map left (the
 * slot is free if 0).
 */
static unsigned short swap_entry_put_locked(struct swap_info_struct *si, swp_entry_t entry)
{
	unsigned short *map = slot_map(si, entry);

	VM_BUG_ON(!(*map & SWAP_COUNT_MASK) || (*map & SWAP_COUNT_MASK) == SWAP_MAP_BAD);
	(*map)--;
	if (!*map)
		slot_freed(si);
	return *map;
}

/* swap_free - an entry naming the slot went (swap.h). */
void swap_free(swp_entry_t entry)
{
	struct swap_info_struct *si = &swap_info;

	spin_lock(&si->lock);
	swap_entry_put_locked(si, entry);
	spin_unlock(&si->lock);
}

/* swapcache_prepare - claim the slot's cache bit for a swap-in (swap.h). */
int swapcache_prepare(swp_entry_t entry)
{
	struct swap_info_struct *si = &swap_info;
	unsigned short *map;
	int err = 0;

	spin_lock(&si->lock);
	map = slot_map(si, entry);
	if (*map & SWAP_HAS_CACHE)
		err = -EEXIST;
	else if (!(*map & SWAP_COUNT_MASK))
		err = -ENOENT;
	else
		*map |= SWAP_HAS_CACHE;
	spin_unlock(&si->lock);
	return err;
}

/* put_swap_folio - the swap cache gave the slot up (swap.h). */
void put_swap_folio(struct folio *folio, swp_entry_t entry)
{
	struct swap_info_struct *si = &swap_info;
	unsigned short *map;

	(void)folio;
	spin_lock(&si->lock);
	map = slot_map(si, entry);
	VM_BUG_ON(!(*map & SWAP_HAS_CACHE));
	*map &= (unsigned short)~SWAP_HAS_CACHE;
	if (!*map)
		slot_freed(si);
	spin_unlock(&si->lock);
}

/* swp_swapcount - the slot's count (swap.h). */
int swp_swapcount(swp_entry_t entry)
{
	struct swap_info_struct *si = &swap_info;
	int count;

	spin_lock(&si->lock);
	count = *slot_map(si, entry) & SWAP_COUNT_MASK;
	spin_unlock(&si->lock);
	return count;
}

/* folio_swapped - entries still name the swap cache folio's slot?  The
 * folio lock keeps try_to_unmap() from adding any meanwhile; fork adds
 * only to a count that is not 0. */
bool folio_swapped(struct folio *folio)
{
	VM_BUG_ON_PAGE(!folio_test_swapcache(folio), &folio->page);
	return swp_swapcount(folio_swap_entry(folio)) > 0;
}

/*
 * free_swap_and_cache - see swap.h.  Linux's TTRS_UNMAPPED: the cache's
 * folio goes only if nothing maps it (a process that swapped the page in
 * keeps it cached for the next swap-out).
 */
void free_swap_and_cache(swp_entry_t entry)
{
	struct swap_info_struct *si = get_swap_device(entry);
	unsigned short left;
	struct folio *folio;

	/* The caller cleared an entry naming the slot: the device is up. */
	VM_BUG_ON(!si);
	spin_lock(&si->lock);
	left = swap_entry_put_locked(si, entry);
	spin_unlock(&si->lock);
	if (left == SWAP_HAS_CACHE) {
		folio = swap_cache_get_folio(entry);
		if (folio) {
			if (!folio_mapped(folio) && folio_trylock(folio)) {
				if (folio_test_swapcache(folio) &&
				    folio_swap_entry(folio).val == swp_entry_canon(entry).val)
					folio_free_swap(folio);
				folio_unlock(folio);
			}
			folio_put(folio);
		}
	}
	put_swap_device(si);
}

/* vm_swap_full - half the slots or more in use (swap.h). */
bool vm_swap_full(void)
{
	struct swap_info_struct *si = &swap_info;
	bool full;

	spin_lock(&si->lock);
	full = (si->flags & SWP_USED) && si->inuse_pages * 2 >= si->pages;
	spin_unlock(&si->lock);
	return full;
}

/* get_nr_swap_pages - slots free for allocation (swap.h). */
unsigned long get_nr_swap_pages(void)
{
	struct swap_info_struct *si = &swap_info;
	unsigned long n = 0;

	spin_lock(&si->lock);
	if ((si->flags & (SWP_USED | SWP_WRITEOK)) == (SWP_USED | SWP_WRITEOK))
		n = si->pages - si->inuse_pages;
	spin_unlock(&si->lock);
	return n;
}

/* swap_writeok - a device is on and not being swapped off (swap.h). */
bool swap_writeok(void)
{
	return (READ_ONCE(swap_info.flags) & (SWP_USED | SWP_WRITEOK)) ==
	       (SWP_USED | SWP_WRITEOK);
}

/* --- swapon ------------------------------------------------------------------ */

/* The host path of the device: @path, or the data directory's file. */
static char *swap_file_path(const char *path)
{
	const char *dir;
	size_t n;
	char *p;

	if (path)
		return pnm_should_fail(PNM_FAULT_ALLOC) ? NULL : strdup(path);
	dir = pnm_fs_data_dir();
	if (!dir)
		return NULL;
	n = strlen(dir) + 1 + sizeof(PNM_SWAP_FILE_NAME);
	p = pnm_malloc(PNM_FAULT_ALLOC, n);
	if (p)
		snprintf(p, n, "%s/%s", dir, PNM_SWAP_FILE_NAME);
	return p;
}

/* swapon with swapon_mutex held. */
static int do_swapon(const char *path, unsigned long nr_pages)
{
	struct swap_info_struct *si = &swap_info;
	unsigned short *map;
	char *host;
	int fd, err;

	if (nr_pages < 2 || nr_pages > PNM_SWAP_MAX_PAGES)
		return -EINVAL;
	if (READ_ONCE(si->flags) & SWP_USED)
		return -EBUSY;
	map = pnm_calloc(PNM_FAULT_ALLOC, nr_pages, sizeof(*map));
	host = swap_file_path(path);
	if (!map || !host) {
		free(map);
		free(host);
		return -ENOMEM;
	}
	fd = open(host, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		err = -errno;
		goto out_free;
	}
	/* Sparse: only written slots take host space. */
	if (pnm_ftruncate(fd, (off_t)(nr_pages << PAGE_SHIFT))) {
		err = -errno;
		close(fd);
		if (!path)
			unlink(host);
		goto out_free;
	}
	map[0] = SWAP_MAP_BAD;

	spin_lock(&si->lock);
	si->swap_map = map;
	si->max = nr_pages;
	si->pages = nr_pages - 1;
	si->inuse_pages = 0;
	si->cluster_next = 1;
	si->fd = fd;
	si->path = host;
	si->owned = !path;
	si->inject_read_err = si->inject_write_err = 0;
	si->inject_read_count = si->inject_write_count = 0;
	si->read_errors = si->write_errors = 0;
	si->last_error = 0;
	WRITE_ONCE(si->flags, SWP_USED | SWP_WRITEOK);
	spin_unlock(&si->lock);
	/* Publish: pairs with get_swap_device()'s fully ordered try-get. */
	atomic_set_release(&si->users, 1);
	return 0;

out_free:
	free(map);
	free(host);
	return err;
}

/*
 * pnm_swapon - set up the swap device (pinmm/swap.h).  Takes swapon_mutex
 * and the device's lock.
 */
int pnm_swapon(const char *path, unsigned long nr_pages)
{
	int err;

	if (!pnm_initialised)
		return -EINVAL;
	pthread_mutex_lock(&swapon_mutex);
	err = do_swapon(path, nr_pages);
	pthread_mutex_unlock(&swapon_mutex);
	return err;
}

/* --- swapoff: bringing every page back ---------------------------------------- */

/*
 * Swap the entry @orig at @addr of @vma back in (Linux's unuse_pte): read
 * it into the swap cache if needed and map it as a read fault would,
 * exclusive if the entry says so, read-only.  0 (done, or the entry went
 * meanwhile), or -ENOMEM / the read's error.  Caller holds mmap_lock for
 * read and no ptl.
 */
static int unuse_pte(struct vm_area_struct *vma, pmd_t *pmd, unsigned long addr, pte_t orig)
{
	swp_entry_t entry = pte_to_swp_entry(orig);
	struct mm_struct *mm = vma->vm_mm;
	struct folio *folio;
	spinlock_t *ptl;
	bool major;
	pte_t *pte, new;
	int err;

	if (anon_vma_prepare(vma))
		return -ENOMEM;
	folio = swapin_folio(entry, &major, &err);
	if (!folio)
		return err == -ENOENT ? 0 : err;
	folio_lock(folio);
	err = 0;
	/* Removed from the cache (and maybe freed) while we waited, or the
	 * entry went and the slot was reused: look at the PTE again. */
	if (!folio_test_swapcache(folio) ||
	    folio_swap_entry(folio).val != swp_entry_canon(entry).val)
		goto out;
	pte = pte_offset_map_lock(mm, pmd, addr, &ptl);
	if (!pte)
		goto out;
	if (!pte_same(ptep_get(pte), orig)) {
		pte_unmap_unlock(pte, ptl);
		goto out;
	}
	new = pte_mkold(pfn_pte(folio_pfn(folio), vm_get_page_prot(vma->vm_flags) & ~_PAGE_RW));
	if (pte_swp_soft_dirty(orig))
		new = pte_mksoft_dirty(new);
	add_mm_counter(mm, MM_SWAPENTS, -1);
	if (!folio_test_anon(folio))
		folio_add_new_anon_rmap(folio, vma, addr,
					pte_swp_exclusive(orig) ? RMAP_EXCLUSIVE : RMAP_NONE);
	else
		folio_add_anon_rmap_pte(folio, &folio->page, vma, addr,
					pte_swp_exclusive(orig) ? RMAP_EXCLUSIVE : RMAP_NONE);
	/* The mapping's reference: a new one, ours is dropped below. */
	folio_get(folio);
	/* Release store: pairs with gup-fast's acquire read (pgtable.h). */
	set_pte_at(mm, addr, pte, new);
	swap_free(entry);
	pte_unmap_unlock(pte, ptl);
out:
	folio_unlock(folio);
	folio_put(folio);
	return err;
}

/*
 * Swap every entry of @vma back in.  Returns 0 or the first error.  Caller
 * holds mmap_lock for read.
 */
static int unuse_vma(struct vm_area_struct *vma)
{
	struct mm_struct *mm = vma->vm_mm;
	unsigned long addr, next, end = vma->vm_end;

	for (addr = vma->vm_start; addr < end; addr = next) {
		pmd_t *pmd = pnm_pmd_lookup(mm, addr);
		pmd_t val;

		if (!pmd) {
			next = pud_end_of(addr, end);
			continue;
		}
		next = pmd_end_of(addr, end);
		val = pmdp_get_lockless(pmd);
		if (pmd_none(val) || pmd_trans_huge(val) || is_swap_pmd(val))
			continue;	/* swap entries live in PTE tables only */
		for (unsigned long a = addr; a < next; a += PAGE_SIZE) {
			spinlock_t *ptl;
			pte_t *pte = pte_offset_map_lock(mm, pmd, a, &ptl);
			pte_t orig;
			int err;

			if (!pte)
				break;
			orig = ptep_get(pte);
			pte_unmap_unlock(pte, ptl);
			if (!is_swap_entry_pte(orig))
				continue;
			err = unuse_pte(vma, pmd, a, orig);
			if (err)
				return err;
		}
	}
	return 0;
}

/* Every swap entry of @mm back in.  0 or the first error.  Takes
 * mmap_lock for read. */
static int unuse_mm(struct mm_struct *mm)
{
	struct vm_area_struct *vma;
	int err = 0;

	mmap_read_lock(mm);
	for_each_vma(mm, vma) {
		if (vma->vm_flags & VM_SHARED)
			continue;
		err = unuse_vma(vma);
		if (err)
			break;
	}
	mmap_read_unlock(mm);
	return err;
}

/*
 * The live mms now, each with a user reference (mmget_not_zero): an mm
 * whose last user is tearing it down is left out (exit_mmap frees its
 * entries).  *@nr set; NULL on host memory shortage.
 */
static struct mm_struct **snapshot_mms(int *nr, bool users)
{
	struct mm_struct **mms, *mm;
	int n = 0;

	spin_lock(&pnm_mm_list_lock);
	list_for_each_entry(mm, &pnm_mm_list, mmlist)
		n++;
	/* swapoff's (@users) is injectable; the checker's is not. */
	mms = users ? pnm_malloc(PNM_FAULT_ALLOC, (size_t)(n ? n : 1) * sizeof(*mms))
		    : malloc((size_t)(n ? n : 1) * sizeof(*mms));
	if (!mms) {
		spin_unlock(&pnm_mm_list_lock);
		return NULL;
	}
	n = 0;
	list_for_each_entry(mm, &pnm_mm_list, mmlist) {
		if (users ? mmget_not_zero(mm) : atomic_add_unless(&mm->mm_count, 1, 0))
			mms[n++] = mm;
	}
	spin_unlock(&pnm_mm_list_lock);
	*nr = n;
	return mms;
}

/*
 * Drop the swap cache copy of every cached folio whose slot no entry
 * names any more (all of them, once every mm was swapped back in).
 */
static void unuse_swap_cache(void)
{
	unsigned long off = 0;
	struct folio *folio;

	for (;;) {
		swp_entry_t entry;

		folio = swap_cache_find(&off);
		if (!folio)
			break;
		entry = swp_entry(0, off);
		off++;
		folio = swap_cache_get_folio(entry);
		if (!folio)
			continue;
		folio_lock(folio);
		if (folio_test_swapcache(folio) && folio_swap_entry(folio).val == entry.val)
			folio_free_swap(folio);
		folio_unlock(folio);
		folio_put(folio);
	}
}

/* Slots in use now. */
static unsigned long swap_inuse(void)
{
	unsigned long n;

	spin_lock(&swap_info.lock);
	n = swap_info.inuse_pages;
	spin_unlock(&swap_info.lock);
	return n;
}

/*
 * Linux's try_to_unuse(): swap every page back in, every mm in turn, then
 * drop the swap cache, until no slot is in use.  Other threads may meet
 * the same entries meanwhile (faults, zaps, forks copying entries to new
 * mms), so it goes round until the count is 0.  0 or the first error.
 */
static int try_to_unuse(void)
{
	while (swap_inuse()) {
		struct mm_struct **mms;
		int nr, i, err = 0;

		mms = snapshot_mms(&nr, true);
		if (!mms)
			return -ENOMEM;
		for (i = 0; i < nr; i++) {
			if (!err)
				err = unuse_mm(mms[i]);
			mmput(mms[i]);
		}
		free(mms);
		if (err)
			return err;
		unuse_swap_cache();
		/* Entries of mms being torn down, or held by a thread between
		 * its steps: let them finish. */
		if (swap_inuse())
			sched_yield();
	}
	return 0;
}

/* The device's end, once no slot is used and no user is left. */
static void swap_device_free(struct swap_info_struct *si)
{
	spin_lock(&si->lock);
	free(si->swap_map);
	si->swap_map = NULL;
	si->max = si->pages = si->inuse_pages = 0;
	WRITE_ONCE(si->flags, 0);
	spin_unlock(&si->lock);
	if (si->fd >= 0)
		close(si->fd);
	if (si->owned && si->path)
		unlink(si->path);
	free(si->path);
	si->fd = -1;
	si->path = NULL;
	si->owned = false;
}

/* swapoff with swapon_mutex held. */
static int do_swapoff(void)
{
	struct swap_info_struct *si = &swap_info;
	int err;

	if (!(READ_ONCE(si->flags) & SWP_USED))
		return -EINVAL;
	spin_lock(&si->lock);
	WRITE_ONCE(si->flags, si->flags & ~SWP_WRITEOK);
	spin_unlock(&si->lock);
	err = try_to_unuse();
	if (err) {
		spin_lock(&si->lock);
		WRITE_ONCE(si->flags, si->flags | SWP_WRITEOK);
		spin_unlock(&si->lock);
		return err;
	}
	/* No slot is in use, so no entry exists to take a new reference
	 * through; wait for the references taken before. */
	if (!atomic_dec_and_test(&si->users)) {
		pthread_mutex_lock(&si->users_mutex);
		while (atomic_read(&si->users))
			pthread_cond_wait(&si->users_cond, &si->users_mutex);
		pthread_mutex_unlock(&si->users_mutex);
	}
	swap_device_free(si);
	return 0;
}

/*
 * pnm_swapoff - bring everything back and take the device down
 * (pinmm/swap.h).  Takes swapon_mutex, then mmap_locks for read, folio
 * locks and ptls as faults do.
 */
int pnm_swapoff(void)
{
	int err;

	if (!pnm_initialised)
		return -EINVAL;
	pthread_mutex_lock(&swapon_mutex);
	err = do_swapoff();
	pthread_mutex_unlock(&swapon_mutex);
	return err;
}

/* pnm_swap_init - pnm_init()'s swapon of pnm_config.swap_pages (swap.h). */
int pnm_swap_init(const struct pnm_config *cfg)
{
	int err = 0;

	pnm_swap_cache_init();
	if (cfg->swap_pages) {
		pthread_mutex_lock(&swapon_mutex);
		err = do_swapon(NULL, cfg->swap_pages);
		pthread_mutex_unlock(&swapon_mutex);
	}
	if (err)
		pnm_swap_cache_fini();
	return err;
}

/*
 * pnm_swap_fini - the model ends (swap.h): every task has exited, so no
 * entry is left; the swap cache's remaining folios (orphans a racing zap
 * could not drop) are dropped and the device taken down.  With the model
 * quiescent, so nothing waits.
 */
void pnm_swap_fini(void)
{
	struct swap_info_struct *si = &swap_info;

	pthread_mutex_lock(&swapon_mutex);
	if (READ_ONCE(si->flags) & SWP_USED) {
		unuse_swap_cache();
		if (swap_inuse())
			pnm_log(PNM_LOG_ERR, "pinmm: pnm_fini: %lu swap slots still in use",
				swap_inuse());
		if (atomic_dec_and_test(&si->users))
			swap_device_free(si);
		else
			pnm_log(PNM_LOG_ERR, "pinmm: pnm_fini: swap device still referenced");
	}
	pnm_swap_cache_fini();
	pthread_mutex_unlock(&swapon_mutex);
}

/* --- the public queries ----------------------------------------------------------- */

/* A caller's versioned struct: its size covers at least @min. */
static bool info_size_ok(const void *info, size_t min)
{
	return info && *(const size_t *)info >= min && *(const size_t *)info <= PNM_STRUCT_SIZE_MAX;
}

/* Copy min(caller's size, ours) of @ours to @info and set its size. */
static void info_copy(void *info, const void *ours, size_t size)
{
	size_t n = *(const size_t *)info < size ? *(const size_t *)info : size;

	memcpy((char *)info + sizeof(size_t), (const char *)ours + sizeof(size_t),
	       n - sizeof(size_t));
	*(size_t *)info = n;
}

/* pnm_get_swap_info - the device's state (pinmm/swap.h).  Takes si->lock. */
int pnm_get_swap_info(struct pnm_swap_info *info)
{
	struct swap_info_struct *si = &swap_info;
	struct pnm_swap_info s;

	if (!pnm_initialised || !info_size_ok(info, sizeof(*info)))
		return -EINVAL;
	memset(&s, 0, sizeof(s));
	s.size = sizeof(s);
	spin_lock(&si->lock);
	if (si->flags & SWP_USED) {
		s.active = true;
		s.total = si->pages;
		s.used = si->inuse_pages;
		s.free = si->pages - si->inuse_pages;
		s.read_errors = si->read_errors;
		s.write_errors = si->write_errors;
		s.last_error = si->last_error;
	}
	spin_unlock(&si->lock);
	s.cached = swap_cache_nr();
	info_copy(info, &s, sizeof(s));
	return 0;
}

/*
 * pnm_task_swap_entry - the swap entry @task has at @addr (pinmm/swap.h).
 * Takes a user reference on the address space, its mmap_lock for read,
 * the entry's lock, a device reference and si->lock.
 */
int pnm_task_swap_entry(struct task_struct *task, unsigned long addr,
			struct pnm_swap_entry_info *info)
{
	struct pnm_swap_entry_info s;
	struct swap_info_struct *si;
	struct mm_struct *mm;
	spinlock_t *ptl;
	pte_t *pte, orig = __pte(0);
	pmd_t *pmd;
	int err = -ENOENT;

	if (!pnm_initialised || !task || !info_size_ok(info, sizeof(*info)))
		return -EINVAL;
	mm = get_task_mm(task);
	if (!mm)
		return -ESRCH;
	memset(&s, 0, sizeof(s));
	s.size = sizeof(s);
	mmap_read_lock(mm);
	pmd = pnm_pmd_lookup(mm, addr & PAGE_MASK);
	if (pmd && (pte = pte_offset_map_lock(mm, pmd, addr & PAGE_MASK, &ptl))) {
		orig = ptep_get(pte);
		if (is_swap_entry_pte(orig) && (si = get_swap_device(pte_to_swp_entry(orig)))) {
			unsigned short map;

			spin_lock(&si->lock);
			map = *slot_map(si, pte_to_swp_entry(orig));
			spin_unlock(&si->lock);
			s.slot = swp_offset(pte_to_swp_entry(orig));
			s.count = map & SWAP_COUNT_MASK;
			s.exclusive = pte_swp_exclusive(orig);
			s.cached = (map & SWAP_HAS_CACHE) != 0;
			put_swap_device(si);
			err = 0;
		}
		pte_unmap_unlock(pte, ptl);
	}
	mmap_read_unlock(mm);
	mmput(mm);
	if (!err)
		info_copy(info, &s, sizeof(s));
	return err;
}

/* --- the checker --------------------------------------------------------------------- */

/* Count the swap PTEs of @mm per slot into @tally; check their VMAs and
 * slots.  Caller holds mmap_lock for read. */
static bool tally_mm(struct mm_struct *mm, unsigned int *tally, unsigned long max)
{
	struct vm_area_struct *vma;
	bool ok = true;

	for_each_vma(mm, vma) {
		unsigned long addr, next, end = vma->vm_end;

		for (addr = vma->vm_start; addr < end && ok; addr = next) {
			pmd_t *pmd = pnm_pmd_lookup(mm, addr);
			spinlock_t *ptl;
			pte_t *pte;
			pmd_t val;

			if (!pmd) {
				next = pud_end_of(addr, end);
				continue;
			}
			next = pmd_end_of(addr, end);
			val = pmdp_get(pmd);
			if (pmd_none(val) || pmd_trans_huge(val) || is_swap_pmd(val))
				continue;
			pte = pte_offset_map_lock(mm, pmd, addr, &ptl);
			if (!pte)
				continue;
			for (unsigned long a = addr; a < next; a += PAGE_SIZE, pte++) {
				pte_t e = ptep_get(pte);
				unsigned long off;

				if (!is_swap_entry_pte(e))
					continue;
				off = swp_offset(pte_to_swp_entry(e));
				if (!off || off >= max || (vma->vm_flags & VM_SHARED) ||
				    (pte_val(e) & ~(_PAGE_PFN_MASK | _PAGE_SWP_EXCLUSIVE |
						    _PAGE_SWP_SOFT_DIRTY))) {
					ok = pnm_check_fail("swap entry %#lx at %#lx of pid %d: "
							    "slot %lu of %lu, shared vma %d",
							    pte_val(e), a, mm->owner_pid, off, max,
							    !!(vma->vm_flags & VM_SHARED));
					break;
				}
				tally[off]++;
			}
			pte_unmap_unlock(pte - 1, ptl);
		}
		if (!ok)
			break;
	}
	return ok;
}

/* The cache's folios against the map copy @map and their own state. */
static bool check_swap_cache(const unsigned short *map, unsigned long max)
{
	unsigned long off = 0, cached = 0;
	struct folio *folio;

	while ((folio = swap_cache_find(&off))) {
		swp_entry_t e = folio_swap_entry(folio);

		cached++;
		if (off >= max || !(map[off] & SWAP_HAS_CACHE) ||
		    !folio_test_swapcache(folio) || e.val != swp_entry(0, off).val ||
		    folio_test_large(folio) || folio_ref_count(folio) < 1 ||
		    !folio_test_swapbacked(folio))
			return pnm_check_fail("swap cache slot %lu: folio %#lx swapcache %d entry %#lx "
					      "order %u refcount %d swapbacked %d map %#x",
					      off, folio_pfn(folio), folio_test_swapcache(folio),
					      e.val, folio_order(folio), folio_ref_count(folio),
					      folio_test_swapbacked(folio), off < max ? map[off] : 0);
		off++;
	}
	if (cached != swap_cache_nr() || (long)cached != global_stat(NR_SWAPCACHE))
		return pnm_check_fail("swap cache: %lu folios found, %lu counted, nr_swapcached %ld",
				      cached, swap_cache_nr(), global_stat(NR_SWAPCACHE));
	/* Every cache bit belongs to a cached folio (quiescent: nobody is
	 * between claiming the bit and adding the folio). */
	for (off = 1; off < max; off++) {
		unsigned long o = off;

		if ((map[off] & SWAP_HAS_CACHE) && (!swap_cache_find(&o) || o != off))
			return pnm_check_fail("swap slot %lu: SWAP_HAS_CACHE but not cached", off);
	}
	return true;
}

/*
 * pnm_check_swap - see swap.h.  Walks every live mm (mmap_lock for read,
 * the ptls) and copies the map under the device's lock, then compares
 * with no lock held; the model is quiescent, so nothing moves meanwhile.
 */
bool pnm_check_swap(void)
{
	struct swap_info_struct *si = &swap_info;
	unsigned long off, inuse = 0, inuse_pages, max;
	struct mm_struct **mms;
	unsigned short *map;
	unsigned int *tally;
	int nr, i;
	bool ok = true;

	if (!(READ_ONCE(si->flags) & SWP_USED)) {
		unsigned long o = 0;

		if (swap_cache_find(&o) || global_stat(NR_SWAPCACHE))
			return pnm_check_fail("no swap device, but the swap cache holds %ld folios",
					      global_stat(NR_SWAPCACHE));
		return true;
	}
	max = si->max;
	tally = calloc(max, sizeof(*tally));
	map = malloc(max * sizeof(*map));
	mms = tally && map ? snapshot_mms(&nr, false) : NULL;
	if (!mms) {
		free(tally);
		free(map);
		return pnm_check_nomem("pnm_check_swap");
	}
	for (i = 0; i < nr; i++) {
		if (ok) {
			mmap_read_lock(mms[i]);
			if (mms[i]->pgd)
				ok = tally_mm(mms[i], tally, max);
			mmap_read_unlock(mms[i]);
		}
		mmdrop(mms[i]);
	}
	free(mms);
	if (!ok)
		goto out;

	spin_lock(&si->lock);
	memcpy(map, si->swap_map, max * sizeof(*map));
	inuse_pages = si->inuse_pages;
	spin_unlock(&si->lock);
	if (map[0] != SWAP_MAP_BAD)
		ok = pnm_check_fail("swap header slot map %#x", map[0]);
	for (off = 1; off < max && ok; off++) {
		if (map[off])
			inuse++;
		if ((map[off] & SWAP_COUNT_MASK) != tally[off])
			ok = pnm_check_fail("swap slot %lu: count %u but %u page-table entries name it",
					    off, map[off] & SWAP_COUNT_MASK, tally[off]);
	}
	if (ok && inuse != inuse_pages)
		ok = pnm_check_fail("swap: %lu slots in use, inuse_pages %lu", inuse, inuse_pages);
	if (ok)
		ok = check_swap_cache(map, max);
out:
	free(tally);
	free(map);
	return ok;
}
