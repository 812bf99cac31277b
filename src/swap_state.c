// SPDX-License-Identifier: MIT
/*
 * swap_state.c - the swap cache: which folio holds the data of a swap
 * slot (Linux's mm/swap_state.c; one xarray for the one device).
 *
 * A folio enters the cache when reclaim gives it a slot (add_to_swap) or
 * when a fault or swapoff reads a slot back (swapin_folio); it leaves when
 * reclaim frees it after writing it, or when no page-table entry names its
 * slot any more and memory holds the only copy (folio_free_swap: a write
 * fault that will change it, the last unmapping, swapoff).  While cached
 * it has PG_swapcache, its canonical swap entry in folio->private and one
 * reference of the cache's; its slot has SWAP_HAS_CACHE (swapfile.c).  A
 * cached folio is found by a later swap-in of the same slot (the fork
 * child that still has the entry, a process whose page was unmapped
 * again): a swap cache hit, no I/O.
 *
 * Lookups take their reference under the cache's xa_lock with
 * folio_try_get(): a folio frozen at zero (reclaim freeing it, migration
 * moving it) is not revived; the lookup yields and looks again, and
 * finds the slot empty or the migrated folio.  Adding and removing happen
 * under the folio lock and xa_lock; the flag and folio->private change
 * under both, so a holder of the folio lock sees them stable.
 *
 * Locking: xa_lock is a leaf (swap.h).  swapin_folio() locks only the new
 * folio it creates, and calls the device's read with that lock held.
 */
#include <limits.h>
#include <sched.h>

#include "internal.h"

/* slot -> folio; its xa_lock guards every access */
static struct xarray swap_cache;

/* pnm_swap_cache_init / _fini - an empty cache for a new model; its
 * nodes freed at the end. */
void pnm_swap_cache_init(void)
{
	xa_init(&swap_cache);
}

void pnm_swap_cache_fini(void)
{
	xa_destroy(&swap_cache);
}

/* swap_cache_get_folio - see swap.h. */
struct folio *swap_cache_get_folio(swp_entry_t entry)
{
	unsigned long off = swp_offset(entry);
	struct folio *folio;

	for (;;) {
		spin_lock(&swap_cache.xa_lock);
		folio = xa_load_locked(&swap_cache, off);
		/* Fully ordered: pairs with the freeze cmpxchg of reclaim and
		 * migration, as the page cache's lookups do. */
		if (!folio || folio_try_get(folio)) {
			spin_unlock(&swap_cache.xa_lock);
			return folio;
		}
		spin_unlock(&swap_cache.xa_lock);
		sched_yield();
	}
}

/* swap_cache_holds - is @folio the cache's folio for its entry? */
bool swap_cache_holds(struct folio *folio)
{
	unsigned long off = swp_offset(folio_swap_entry(folio));
	bool ret;

	spin_lock(&swap_cache.xa_lock);
	ret = folio_test_swapcache(folio) && xa_load_locked(&swap_cache, off) == folio;
	spin_unlock(&swap_cache.xa_lock);
	return ret;
}

/* swap_cache_nr - folios in the cache now. */
unsigned long swap_cache_nr(void)
{
	unsigned long n;

	spin_lock(&swap_cache.xa_lock);
	n = swap_cache.xa_count;
	spin_unlock(&swap_cache.xa_lock);
	return n;
}

/* swap_cache_find - the first cached folio at a slot >= *@offset. */
struct folio *swap_cache_find(unsigned long *offset)
{
	struct folio *folio;

	spin_lock(&swap_cache.xa_lock);
	folio = xa_find_locked(&swap_cache, offset, ULONG_MAX);
	spin_unlock(&swap_cache.xa_lock);
	return folio;
}

/* add_to_swap_cache - see swap.h. */
int add_to_swap_cache(struct folio *folio, swp_entry_t entry)
{
	unsigned long off = swp_offset(entry);
	int err;

	VM_BUG_ON_PAGE(!folio_test_locked(folio), &folio->page);
	VM_BUG_ON_PAGE(folio_test_large(folio) || folio_test_swapcache(folio), &folio->page);
	entry = swp_entry_canon(entry);
	/* The cache's reference, the entry and the flag before the folio
	 * becomes visible to lookups (under xa_lock, which orders them). */
	folio_ref_add(folio, 1);
	WRITE_ONCE(folio->private, entry.val);
	set_bit(PG_swapcache, &folio->page.flags);
	spin_lock(&swap_cache.xa_lock);
	VM_BUG_ON(xa_load_locked(&swap_cache, off));
	err = xa_store_locked(&swap_cache, off, folio);
	spin_unlock(&swap_cache.xa_lock);
	if (err) {
		clear_bit(PG_swapcache, &folio->page.flags);
		WRITE_ONCE(folio->private, 0);
		folio_put(folio);	/* never the last: the caller holds one */
		return err;
	}
	mod_vm_stat(NR_SWAPCACHE, 1);
	return 0;
}

/* __delete_from_swap_cache - see swap.h. */
void __delete_from_swap_cache(struct folio *folio, bool locked)
{
	unsigned long off = swp_offset(folio_swap_entry(folio));

	VM_BUG_ON_PAGE(!folio_test_locked(folio) || !folio_test_swapcache(folio),
		       &folio->page);
	if (!locked)
		spin_lock(&swap_cache.xa_lock);
	VM_BUG_ON_PAGE(xa_load_locked(&swap_cache, off) != folio, &folio->page);
	xa_erase_locked(&swap_cache, off);
	clear_bit(PG_swapcache, &folio->page.flags);
	WRITE_ONCE(folio->private, 0);
	if (!locked)
		spin_unlock(&swap_cache.xa_lock);
	mod_vm_stat(NR_SWAPCACHE, -1);
}

/* delete_from_swap_cache - see swap.h. */
void delete_from_swap_cache(struct folio *folio)
{
	swp_entry_t entry = folio_swap_entry(folio);

	__delete_from_swap_cache(folio, false);
	put_swap_folio(folio, entry);
	folio_put_refs(folio, (int)folio_nr_pages(folio));
}

/* add_to_swap - see swap.h (Linux marks the folio dirty the same way). */
bool add_to_swap(struct folio *folio)
{
	swp_entry_t entry;

	VM_BUG_ON_PAGE(!folio_test_locked(folio), &folio->page);
	VM_BUG_ON_PAGE(!folio_test_anon(folio) || !folio_test_swapbacked(folio),
		       &folio->page);
	entry = folio_alloc_swap(folio);
	if (!entry.val)
		return false;
	if (add_to_swap_cache(folio, entry)) {
		put_swap_folio(folio, entry);
		return false;
	}
	/* A clean folio (say, read-only since it was swapped in and freed
	 * from the cache) must still reach the new slot. */
	SetPageDirty(&folio->page);
	return true;
}

/* folio_free_swap - see swap.h. */
bool folio_free_swap(struct folio *folio)
{
	VM_BUG_ON_PAGE(!folio_test_locked(folio), &folio->page);
	if (!folio_test_swapcache(folio) || folio_test_writeback(folio))
		return false;
	if (folio_swapped(folio))
		return false;
	delete_from_swap_cache(folio);
	SetPageDirty(&folio->page);
	return true;
}

/* free_swap_cache - see swap.h (Linux's free_swap_cache()). */
void free_swap_cache(struct folio *folio)
{
	if (folio_test_swapcache(folio) && !folio_mapped(folio) && folio_trylock(folio)) {
		folio_free_swap(folio);
		folio_unlock(folio);
	}
}

/*
 * swapin_folio - see swap.h (Linux's __read_swap_cache_async() and its
 * synchronous read).  The new folio is swap-backed and goes on the
 * inactive anon list as soon as it is cached, so that reclaim can drop
 * it again if nothing maps it in the end.
 */
struct folio *swapin_folio(swp_entry_t entry, bool *major, int *err)
{
	struct folio *folio;
	int ret;

	*major = false;
	for (;;) {
		folio = swap_cache_get_folio(entry);
		if (folio) {
			*err = 0;
			return folio;
		}
		folio = folio_alloc(GFP_HIGHUSER_MOVABLE, 0);
		if (!folio) {
			*err = -ENOMEM;
			return NULL;
		}
		ret = swapcache_prepare(entry);
		if (!ret)
			break;
		folio_put(folio);
		if (ret != -EEXIST) {
			*err = ret;	/* -ENOENT: the slot went */
			return NULL;
		}
		/* Someone is adding the slot's folio, or removing it: they
		 * hold no lock we hold; let them finish and look again. */
		sched_yield();
	}
	/* Nobody else can see the new folio: the trylock cannot fail. */
	if (!folio_trylock(folio))
		VM_BUG_ON_PAGE(1, &folio->page);
	SetPageSwapBacked(&folio->page);
	ret = add_to_swap_cache(folio, entry);
	if (ret) {
		put_swap_folio(folio, entry);
		folio_unlock(folio);
		folio_put(folio);
		*err = ret;
		return NULL;
	}
	folio_add_lru(folio);
	ret = swap_read_folio(folio);
	if (ret) {
		/* Nothing is lost: the slot keeps the data and the entries
		 * stay; waiters see the folio leave the cache and retry. */
		delete_from_swap_cache(folio);
		folio_unlock(folio);
		folio_put(folio);
		*err = ret;
		return NULL;
	}
	folio_unlock(folio);
	*major = true;
	*err = 0;
	return folio;
}

/* swap_cache_migrate - see swap.h. */
void swap_cache_migrate(struct folio *src, struct folio *dst)
{
	unsigned long off = swp_offset(folio_swap_entry(src));
	int err;

	spin_lock(&swap_cache.xa_lock);
	VM_BUG_ON_PAGE(xa_load_locked(&swap_cache, off) != src, &src->page);
	/* Replacing an existing slot allocates nothing. */
	err = xa_store_locked(&swap_cache, off, dst);
	VM_BUG_ON(err);
	WRITE_ONCE(dst->private, src->private);
	set_bit(PG_swapcache, &dst->page.flags);
	clear_bit(PG_swapcache, &src->page.flags);
	WRITE_ONCE(src->private, 0);
	spin_unlock(&swap_cache.xa_lock);
}
