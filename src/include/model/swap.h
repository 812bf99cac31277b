/* SPDX-License-Identifier: MIT */
/*
 * swap.h - anonymous swap: the swap device and its slots (swapfile.c),
 * the swap cache (swap_state.c), the device I/O (page_io.c) and the LRU
 * lists reclaim takes anonymous folios from (swap.c, vmscan.c).  Linux's
 * include/linux/swap.h and swapops.h, reduced to one device.
 *
 * The device.  One swap device at a time (MAX_SWAPFILES, pgtable.h),
 * backed by a host file of nr_pages * 4 KiB; slot 0 is the header page
 * and never used, as in Linux.  Each slot has a count in swap_map[]: the
 * number of page-table entries (swap PTEs) that name it, plus the
 * SWAP_HAS_CACHE bit while the swap cache holds (or is about to hold) a
 * folio for it.  A slot is free when its map is 0.
 *
 * The swap cache.  An xarray from slot to folio: the folio whose data the
 * slot holds, or will hold once written.  A folio in it has PG_swapcache,
 * its canonical entry in folio->private, and the cache's reference
 * (folio_nr_pages(), like the page cache).  Only order-0 folios are
 * cached: reclaim splits a large folio before it swaps it out.
 *
 * Swap-out (vmscan.c): a locked, isolated anon folio gets a slot with
 * SWAP_HAS_CACHE (folio_alloc_swap), enters the cache (add_to_swap), is
 * unmapped by try_to_unmap() (rmap.c: every PTE becomes the swap entry,
 * each adding one to the count; a maybe-pinned page stops it), written
 * (swap_writepage, page_io.c) and, with no reference left but reclaim's
 * and the cache's, removed from the cache and freed.  Swap-in (memory.c's
 * do_swap_page, swapoff's unuse): find the folio in the cache, or
 * allocate one, claim the slot's cache bit (swapcache_prepare), add it
 * and read it; lock it, map it, drop one count (swap_free), and drop the
 * cache copy when nobody else needs it (folio_free_swap).
 *
 * Locking (mm_types.h has the whole order):
 *   si->lock (swap_map, inuse_pages, flags, the allocation cursor) and the
 *   swap cache's xa_lock are leaves: each is taken alone, with any other
 *   model lock held but lru_lock and zone->lock (ptls: fork, zap and
 *   faults change counts under them; folio locks), and nothing is taken
 *   under them but a folio_try_get().  Nothing nests the two.
 *   The device's lifetime: si->users (Linux's percpu_ref), a reference a
 *   path holds across its use of the device when no swap entry it holds
 *   under a ptl keeps the device alive (swap-in, the queries); swapoff
 *   first empties every slot (try_to_unuse), then waits for users to go.
 *   swapon_mutex serialises swapon and swapoff; it is taken with no other
 *   model lock held and nests outside mmap_lock (try_to_unuse).
 */
#ifndef PNM_MODEL_SWAP_H
#define PNM_MODEL_SWAP_H

#include <pthread.h>
#include <model/mm.h>

/* swap_map values */
#define SWAP_HAS_CACHE		0x8000	/* the swap cache owns the slot */
#define SWAP_COUNT_MASK		0x7fff
#define SWAP_MAP_BAD		0x7fff	/* slot 0, the header: never used */
#define SWAP_MAP_MAX		0x7ffe	/* most entries one slot may have */

/* si->flags */
#define SWP_USED		0x1	/* a device is set up */
#define SWP_WRITEOK		0x2	/* slots may be allocated (not swapoff) */

/* The largest device pnm_swapon() accepts (64 GiB), and the default
 * host file name in the data directory (not a valid model file name, so
 * no disk or dax file can collide with it). */
#define PNM_SWAP_MAX_PAGES	(1UL << 24)
#define PNM_SWAP_FILE_NAME	"@swapfile"

struct swap_info_struct {
	spinlock_t lock;		/* the fields below but users, fd, path */
	unsigned long flags;		/* SWP_*; lock (read with READ_ONCE) */
	unsigned long max;		/* slots including the header; lock */
	unsigned long pages;		/* usable slots: max - 1; lock */
	unsigned long inuse_pages;	/* slots with a non-zero map; lock */
	unsigned long cluster_next;	/* where the next allocation looks */
	unsigned short *swap_map;	/* per slot: count | SWAP_HAS_CACHE */
	/* The device's own reference plus one per user (get_swap_device);
	 * swapoff drops its own and waits for 0 (users_cond). */
	atomic_t users;
	pthread_mutex_t users_mutex;	/* with users_cond: the swapoff wait */
	pthread_cond_t users_cond;
	/* The host file: set at swapon, closed at the end of swapoff. */
	int fd;
	char *path;
	bool owned;			/* created by swapon: removed at swapoff */
	/* Injected faults (pnm_swap_inject_error): the next *_count reads /
	 * writes fail with *_err; lock. */
	int inject_read_err, inject_write_err;
	unsigned int inject_read_count, inject_write_count;
	/* I/O errors met, and the last one; lock */
	unsigned long read_errors, write_errors;
	int last_error;
};

/* --- swapfile.c: the device and its slots ---------------------------------- */

/*
 * get_swap_device - a reference on the device that holds @entry's slot, so
 * it stays set up while the caller uses it without holding a ptl over a
 * PTE that names the slot (swap-in, queries).  NULL if there is no such
 * device (swapoff done, a bad slot).  Release with put_swap_device().
 * Lockless; fully ordered.
 */
struct swap_info_struct *get_swap_device(swp_entry_t entry);
void put_swap_device(struct swap_info_struct *si);
/* The device (NULL if none is set up); only for code that holds a
 * reference or a swap entry under its ptl. */
struct swap_info_struct *swp_swap_info(swp_entry_t entry);
/*
 * folio_alloc_swap - a free slot for the locked @folio, marked
 * SWAP_HAS_CACHE (the caller adds the folio to the swap cache next or
 * gives the slot back with put_swap_folio()).  Returns the canonical
 * entry, or one with val 0 if no device accepts allocations or it is
 * full.  Takes si->lock.
 */
swp_entry_t folio_alloc_swap(struct folio *folio);
/*
 * swap_duplicate - one more page-table entry names @entry (fork,
 * try_to_unmap).  0; -ENOENT if the slot is neither counted nor cached
 * (a bug of the caller); -ENOMEM if the count is at SWAP_MAP_MAX.
 * Caller holds the ptl of an entry naming the slot, or the locked folio
 * of the swap cache for it.  Takes si->lock.
 */
int swap_duplicate(swp_entry_t entry);
/*
 * swap_free - a page-table entry naming @entry went (swap-in); the slot is
 * freed if nothing else names or caches it.  Caller holds that entry's
 * ptl.  Takes si->lock.
 */
void swap_free(swp_entry_t entry);
/*
 * swapcache_prepare - claim @entry's cache bit before adding a folio for
 * it to the swap cache (swap-in).  0; -EEXIST if the bit is set (another
 * thread is adding or removing the cache's folio: look again); -ENOENT if
 * the slot is free (the entry went meanwhile).  Takes si->lock.
 */
int swapcache_prepare(swp_entry_t entry);
/* put_swap_folio - the swap cache gave the slot of @entry up (clear
 * SWAP_HAS_CACHE; free the slot if its count is 0).  Takes si->lock. */
void put_swap_folio(struct folio *folio, swp_entry_t entry);
/* The count of @entry's slot (page-table entries naming it), 0 if free.
 * Takes si->lock. */
int swp_swapcount(swp_entry_t entry);
/* folio_swapped - does any page-table entry name the slot of the swap
 * cache folio @folio?  Folio locked.  Takes si->lock. */
bool folio_swapped(struct folio *folio);
/*
 * free_swap_and_cache - a page-table entry naming @entry was cleared (zap,
 * MADV_FREE): drop its count; when none is left and the swap cache's
 * folio for it is not mapped, drop that too (if its lock can be had at
 * once; otherwise reclaim finds it later).  Caller may hold a ptl.
 */
void free_swap_and_cache(swp_entry_t entry);
/* Half the slots or more in use (Linux's vm_swap_full()): the swap cache
 * copy of a page read back is dropped at once. */
bool vm_swap_full(void);
/* Slots free for allocation (0 without a device or during swapoff). */
unsigned long get_nr_swap_pages(void);
/* A device is on and takes new pages (not being swapped off). */
bool swap_writeok(void);
/* pnm_init()/pnm_fini(): swapon of pnm_config.swap_pages; the end of
 * every device and swap cache folio left.  0 or -errno. */
int pnm_swap_init(const struct pnm_config *cfg);
void pnm_swap_fini(void);
/*
 * Check the swap state against the page tables of every mm: each slot's
 * count equals the swap PTEs naming it, SWAP_HAS_CACHE is set exactly for
 * the slots the swap cache holds, inuse_pages and the free count add up,
 * every cached folio is an order-0 PG_swapcache folio naming its slot,
 * nr_swapcached is the cache's size.  Call with the model quiescent.
 * Reports with pnm_check_fail().
 */
bool pnm_check_swap(void);

/* --- swap_state.c: the swap cache ------------------------------------------ */

static inline bool folio_test_swapcache(const struct folio *f)
{ return test_bit(PG_swapcache, &f->page.flags); }
/* The canonical swap entry of a PG_swapcache folio. */
static inline swp_entry_t folio_swap_entry(const struct folio *f)
{ return (swp_entry_t){ READ_ONCE(f->private) }; }

/*
 * swap_cache_get_folio - the folio the swap cache holds for @entry, with a
 * reference, or NULL.  A folio frozen meanwhile (reclaim, migration) is
 * waited out.  Takes the cache's xa_lock.
 */
struct folio *swap_cache_get_folio(swp_entry_t entry);
/* Is @folio the one the swap cache holds for its entry?  Takes xa_lock. */
bool swap_cache_holds(struct folio *folio);
/*
 * add_to_swap_cache - the locked, order-0 @folio caches the slot of the
 * canonical @entry, whose SWAP_HAS_CACHE bit the caller owns: PG_swapcache,
 * folio->private, the cache's reference, nr_swapcached.  0 or -ENOMEM
 * (nothing changed).  Takes xa_lock.
 */
int add_to_swap_cache(struct folio *folio, swp_entry_t entry);
/*
 * __delete_from_swap_cache - take the locked @folio out of the cache
 * (slot, flag, private, nr_swapcached); its reference and the slot's cache
 * bit stay for the caller to drop.  Caller holds the cache's xa_lock, or
 * passes @locked false to have it taken.
 */
void __delete_from_swap_cache(struct folio *folio, bool locked);
/* delete_from_swap_cache - the whole removal: out of the cache, the cache
 * bit given back (put_swap_folio), the cache's reference dropped.  Folio
 * locked; the caller holds a reference of its own. */
void delete_from_swap_cache(struct folio *folio);
/*
 * add_to_swap - reclaim's first step for the locked anon @folio (order 0,
 * swap-backed, not cached): a slot and the swap cache, and PG_dirty (it
 * must be written).  false if no slot or no memory.
 */
bool add_to_swap(struct folio *folio);
/*
 * folio_free_swap - drop the swap cache copy of the locked @folio if no
 * page-table entry names its slot any more: out of the cache, slot freed,
 * PG_dirty set (memory now holds the only copy).  true if done.
 */
bool folio_free_swap(struct folio *folio);
/* free_swap_cache - the last mapping of @folio went (zap): drop its swap
 * cache copy if nothing else needs it and its lock is free now. */
void free_swap_cache(struct folio *folio);
/*
 * swapin_folio - the swap cache's folio for @entry, read from the device
 * if it was not cached (*major set then): referenced, unlocked, uptodate.
 * NULL with *err -ENOENT (the slot was freed meanwhile: look at the entry
 * again), -ENOMEM (no frame), or the read's error (-EIO ...: the entry
 * stays, nothing changed).  The caller holds a device reference.  Takes
 * the folio lock of the new folio; may wait (yield) for another thread
 * that is adding or removing the slot's folio.
 */
struct folio *swapin_folio(swp_entry_t entry, bool *major, int *err);
/*
 * Migration moved the frozen swap cache folio @src to @dst (both locked):
 * @dst takes its slot, flag and entry.  Takes xa_lock.
 */
void swap_cache_migrate(struct folio *src, struct folio *dst);
/* Folios in the swap cache now. */
unsigned long swap_cache_nr(void);
/* First cached folio at a slot >= *@offset (not referenced): for the
 * checker and swapoff; *@offset set to its slot.  Takes xa_lock. */
struct folio *swap_cache_find(unsigned long *offset);
void pnm_swap_cache_init(void);
void pnm_swap_cache_fini(void);

/* --- page_io.c: the device's I/O -------------------------------------------- */

/*
 * swap_writepage - write the locked swap cache @folio to its slot:
 * PG_dirty cleared, PG_writeback around the host write, pswpout.  0, or
 * the host's (or an injected) error with PG_dirty set again: the folio
 * keeps the only good copy.  Caller holds a device reference or the folio
 * of a slot that keeps the device (cached).
 */
int swap_writepage(struct folio *folio);
/*
 * swap_read_folio - read the locked, new swap cache @folio from its slot:
 * PG_uptodate, pswpin.  0 or the error (the folio stays !uptodate).
 */
int swap_read_folio(struct folio *folio);

/* --- swap.c: the LRU lists ---------------------------------------------------
 * Three lists under lru_lock: the file list (page cache and lazily freed
 * anon folios, oldest first), the inactive and the active anon lists
 * (swap-backed anon folios and swap cache folios).  Which list a folio is
 * on follows PG_swapbacked and PG_active, which change only under
 * lru_lock while the folio is on a list, or while it is isolated.
 */
enum pnm_lru_list {
	LRU_INACTIVE_ANON,
	LRU_ACTIVE_ANON,
	LRU_FILE,
	NR_PNM_LRU_LISTS
};

static inline bool folio_test_active(const struct folio *f)
{ return test_bit(PG_active, &f->page.flags); }
/*
 * folio_isolate_lru - take @folio off its LRU list for the caller (reclaim,
 * MADV_PAGEOUT), with a reference of its own (PG_lru cleared).  false if
 * it is not on a list (isolated by someone else, or never added).  The
 * caller holds a reference.  Takes lru_lock.
 */
bool folio_isolate_lru(struct folio *folio);
/*
 * folio_putback_lru - give an isolated folio back to the list its flags
 * name (the newest end), unless it is a page-cache folio that left its
 * cache; then drop the isolation reference.  Takes lru_lock.
 */
void folio_putback_lru(struct folio *folio);
/* MADV_COLD: @folio (on a list) loses PG_active and PG_referenced and goes
 * to the newest end of the inactive list (pgdeactivate).  lru_lock. */
void folio_deactivate(struct folio *folio);
/* MADV_FREE: the exclusive, clean anon @folio (on a list, not cached)
 * becomes lazily freed: !PG_swapbacked, on the file list (pglazyfree).
 * lru_lock. */
void folio_mark_lazyfree(struct folio *folio);
/* split_folio() turned @head into order-0 folios: each former tail page,
 * locked and unmapped, joins the list @head is on (after it), or, if
 * @head is isolated, the newest end of the list its flags name.  lru_lock. */
void lru_add_split_folio(struct folio *head, unsigned long nr);
/* Isolate the oldest folio of @lru in a zone of @zone_mask (as
 * pnm_lru_isolate for the file list). */
struct folio *pnm_lru_isolate_list(enum pnm_lru_list lru, unsigned long *max_scan,
				   unsigned int zone_mask);
/* Pages on list @lru now (a snapshot). */
unsigned long pnm_lru_list_pages(enum pnm_lru_list lru);

/* --- vmscan.c ----------------------------------------------------------------- */

/*
 * reclaim_folio_list - MADV_PAGEOUT's reclaim of @nr folios it isolated
 * (one isolation reference each, given up here): each is swapped out
 * (anon; maybe-pinned ones are kept), discarded (lazily freed) or dropped
 * (clean page cache), whatever its references.  Returns the pages freed;
 * *@err gets the first swap write error (0 if none).  Caller may hold an
 * mmap_lock for read, no other lock.
 */
unsigned long reclaim_folio_list(struct folio **folios, unsigned int nr, int *err);

#endif /* PNM_MODEL_SWAP_H */
