// SPDX-License-Identifier: MIT
/*
 * filemap.c - the folio lock (and, later, the page cache).
 *
 * The folio lock is PG_locked on the head page: a sleeping bit lock held
 * across migration, splitting and page-cache state changes.  Taking it is
 * test_and_set_bit_lock() (acquire on success); releasing it is
 * clear_bit_unlock() (release), so everything done under the lock is
 * visible to the next holder.
 *
 * Sleeping.  Linux hashes a folio to one of a table of wait queues; the
 * model does the same with a striped table of (mutex, condvar) pairs
 * indexed by a hash of the pfn.  The protocol that prevents lost wakeups:
 *
 *   waiter (folio_lock, folio_wait_locked)   unlocker (folio_unlock)
 *   -------------------------------------    -------------------------
 *   lock wq->mutex                           clear_bit_unlock(PG_locked)
 *   while PG_locked is set (re-tested        lock wq->mutex
 *         under the mutex):                  broadcast wq->cond
 *       wait on wq->cond (drops mutex)       unlock wq->mutex
 *   unlock wq->mutex
 *
 * A waiter only sleeps after seeing the bit set while holding the mutex.
 * The unlocker clears the bit before taking the mutex, so either the waiter
 * sees the bit clear, or the unlocker's broadcast comes after the waiter
 * is asleep (it cannot get the mutex before the waiter releases it by
 * sleeping).  Several folios share a queue, so a woken waiter re-tests its
 * own bit and goes back to sleep if its folio is still locked.
 *
 * The same wait queues serve PG_writeback (folio_wait_writeback() sleeps
 * on the folio's queue, folio_end_writeback() clears the bit and then
 * broadcasts, exactly as folio_unlock() does).
 *
 * Below the folio lock lives the page cache (pagemap.h): mapping->i_pages
 * maps each page index of a file to the folio caching it; a large folio
 * of 2^k pages sits at each of its 2^k naturally aligned indices.  The
 * cache owns folio_nr_pages() references on every folio it holds.
 *
 * Locking of the cache (outermost first, see mm_types.h):
 *
 *   mapping->invalidate_lock  shared while a fault or a read creates and
 *                             fills folios; exclusive in truncate/punch
 *     folio lock              held while a folio's mapping/index change,
 *                             while it is filled, dirtied, written back
 *       i_pages.xa_lock       every access to the xarray and nrpages
 *
 * folio->mapping is set before a folio becomes visible in i_pages and is
 * cleared (WRITE_ONCE) under the folio lock and xa_lock when it leaves, so
 * whoever holds the folio lock and finds folio->mapping == mapping knows
 * the folio is cached there.  Lookups take their reference under xa_lock
 * with folio_try_get(): a folio frozen at zero (migration, reclaim) is
 * about to be replaced or removed, so the lookup yields and retries.
 *
 * A fault or read that has to create a folio re-checks i_size under
 * invalidate_lock (shared): truncate writes i_size before it takes the
 * lock exclusive, so no folio beyond the new size can appear once it has
 * removed the old ones.  A fault that found an existing folio re-checks
 * i_size and folio->mapping under the folio lock instead: truncate needs
 * that lock to remove the folio, and unmaps it after the fault mapped it.
 */
#include <sched.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* --- the folio lock ---------------------------------------------------------- */

#define FOLIO_WAIT_TABLE_BITS	8
#define FOLIO_WAIT_TABLE_SIZE	(1U << FOLIO_WAIT_TABLE_BITS)

/* One wait queue: @cond is waited on and signalled with @mutex held. */
struct folio_wait_queue {
	pthread_mutex_t mutex;
	pthread_cond_t cond;
} __attribute__((aligned(64)));

static struct folio_wait_queue folio_wait_table[FOLIO_WAIT_TABLE_SIZE];
static pthread_once_t folio_wait_once = PTHREAD_ONCE_INIT;

static void folio_wait_table_init(void)
{
	unsigned int i;
	int err;

	for (i = 0; i < FOLIO_WAIT_TABLE_SIZE; i++) {
		err = pthread_mutex_init(&folio_wait_table[i].mutex, NULL);
		if (err)
			PNM_DIE("pthread_mutex_init", err);
		err = pthread_cond_init(&folio_wait_table[i].cond, NULL);
		if (err)
			PNM_DIE("pthread_cond_init", err);
	}
}

/*
 * Set up the folio wait queues.  Called by pnm_init(); the queues outlive
 * pnm_fini() (nobody can be waiting then) and are set up only once per
 * process, so repeated init/fini cycles are fine.
 */
void pnm_folio_lock_init(void)
{
	int err = pthread_once(&folio_wait_once, folio_wait_table_init);

	if (err)
		PNM_DIE("pthread_once", err);
}

static struct folio_wait_queue *folio_waitqueue(struct folio *folio)
{
	/* Fibonacci hashing of the pfn spreads neighbouring folios. */
	unsigned long h = folio_pfn(folio) * 0x9E3779B97F4A7C15UL;

	return &folio_wait_table[h >> (BITS_PER_LONG - FOLIO_WAIT_TABLE_BITS)];
}

static void wq_lock(struct folio_wait_queue *wq)
{
	int err = pthread_mutex_lock(&wq->mutex);

	if (err)
		PNM_DIE("pthread_mutex_lock", err);
}

static void wq_unlock(struct folio_wait_queue *wq)
{
	pthread_mutex_unlock(&wq->mutex);
}

static void wq_wait(struct folio_wait_queue *wq)
{
	int err = pthread_cond_wait(&wq->cond, &wq->mutex);

	if (err)
		PNM_DIE("pthread_cond_wait", err);
}

/*
 * Try to lock @folio without sleeping.  Returns true if the caller now
 * holds the lock.  Acquire ordering on success (pairs with the
 * clear_bit_unlock() in folio_unlock()).
 */
bool folio_trylock(struct folio *folio)
{
	VM_BUG_ON_PAGE(PageTail(&folio->page), &folio->page);
	return !test_and_set_bit_lock(PG_locked, &folio->flags);
}

/*
 * Lock @folio, sleeping until it is available.  The caller must hold a
 * reference (the folio cannot be freed while it sleeps) and must not hold
 * any lock ordered inside the folio lock: page-table locks, the rmap lock,
 * xa_lock, zone->lock (mm_types.h).  Not recursive.
 */
void folio_lock(struct folio *folio)
{
	struct folio_wait_queue *wq;

	if (likely(folio_trylock(folio)))
		return;
	wq = folio_waitqueue(folio);
	wq_lock(wq);
	/* The test-and-set is retried under wq->mutex: see the top of file. */
	while (test_and_set_bit_lock(PG_locked, &folio->flags))
		wq_wait(wq);
	wq_unlock(wq);
}

/*
 * Release the folio lock and wake everyone waiting on its queue.  The
 * caller must hold the lock (fatal otherwise).  Release ordering: the
 * caller's writes are visible to the next holder.  Never sleeps for long
 * (the queue mutex is only held for short sections).
 */
void folio_unlock(struct folio *folio)
{
	struct folio_wait_queue *wq = folio_waitqueue(folio);

	VM_BUG_ON_PAGE(!folio_test_locked(folio), &folio->page);
	/* Release: pairs with test_and_set_bit_lock()/test_bit_acquire(). */
	clear_bit_unlock(PG_locked, &folio->flags);
	/*
	 * Taking the queue mutex after clearing the bit is what makes the
	 * broadcast reach any waiter that saw the bit still set.
	 */
	wq_lock(wq);
	pthread_cond_broadcast(&wq->cond);
	wq_unlock(wq);
}

/*
 * Wait until @folio is not locked, without taking the lock (a fault that
 * met a migration entry waits for the migration to finish this way).  The
 * caller holds a reference.  Returns at once if the folio is unlocked;
 * acquire ordering, so the caller sees what the last holder did.  The
 * folio may of course be locked again by the time the caller looks.
 */
void folio_wait_locked(struct folio *folio)
{
	struct folio_wait_queue *wq;

	/* Acquire: pairs with clear_bit_unlock() in folio_unlock(). */
	if (!test_bit_acquire(PG_locked, &folio->flags))
		return;
	wq = folio_waitqueue(folio);
	wq_lock(wq);
	while (test_bit_acquire(PG_locked, &folio->flags))
		wq_wait(wq);
	wq_unlock(wq);
}

/* --- the writeback flag ------------------------------------------------------ */

/*
 * folio_start_writeback - set PG_writeback on the locked @folio and count
 * its pages in NR_WRITEBACK.  The folio must not already be under
 * writeback (fatal).  Never sleeps.
 */
void folio_start_writeback(struct folio *folio)
{
	VM_BUG_ON_PAGE(!folio_test_locked(folio), &folio->page);
	/* Atomic RMW; the folio lock orders it with folio_end_writeback()
	 * of the same writer, which runs before the unlock. */
	if (test_and_set_bit(PG_writeback, &folio->flags))
		VM_BUG_ON_PAGE(1, &folio->page);
	mod_vm_stat(NR_WRITEBACK, (long)folio_nr_pages(folio));
}

/*
 * folio_end_writeback - the write of @folio finished: clear PG_writeback,
 * move its pages from NR_WRITEBACK to NR_WRITTEN and wake every
 * folio_wait_writeback() sleeper.  The folio must be under writeback
 * (fatal otherwise); the caller holds a reference.  Takes the folio's
 * wait-queue mutex briefly (never sleeps for long).
 */
void folio_end_writeback(struct folio *folio)
{
	struct folio_wait_queue *wq = folio_waitqueue(folio);
	long nr = (long)folio_nr_pages(folio);

	VM_BUG_ON_PAGE(!folio_test_writeback(folio), &folio->page);
	mod_vm_stat(NR_WRITEBACK, -nr);
	count_vm_events(NR_WRITTEN, nr);
	/* Release: pairs with test_bit_acquire() in folio_wait_writeback(),
	 * so a waiter sees everything the writer did to the folio. */
	clear_bit_unlock(PG_writeback, &folio->flags);
	/* Bit cleared before the mutex is taken: see the top of the file. */
	wq_lock(wq);
	pthread_cond_broadcast(&wq->cond);
	wq_unlock(wq);
}

/*
 * folio_wait_writeback - sleep until @folio is not under writeback.  The
 * caller holds a reference; it may hold the folio lock (writeback in the
 * model ends under that lock, so it then returns at once) and
 * mmap_lock/invalidate_lock, but no spinning lock (ptl, xa_lock).
 * Acquire ordering on return.
 */
void folio_wait_writeback(struct folio *folio)
{
	struct folio_wait_queue *wq;

	/* Acquire: pairs with clear_bit_unlock() in folio_end_writeback(). */
	if (!test_bit_acquire(PG_writeback, &folio->flags))
		return;
	wq = folio_waitqueue(folio);
	wq_lock(wq);
	while (test_bit_acquire(PG_writeback, &folio->flags))
		wq_wait(wq);
	wq_unlock(wq);
}

/*
 * folio_wait_stable - wait until the folio's data may be changed: every
 * mapping in the model asks for stable pages during writeback, so this is
 * folio_wait_writeback().  Same context rules.
 */
void folio_wait_stable(struct folio *folio)
{
	folio_wait_writeback(folio);
}

/* --- address spaces ------------------------------------------------------------ */

#define PNM_DIV_ROUND_UP(n, d)	(((n) + (d) - 1) / (d))

/* Pages of @inode's file, i_size rounded up (0 without a host). */
static pgoff_t size_in_pages(const struct inode *inode)
{
	loff_t size = inode ? i_size_read(inode) : 0;

	return size > 0 ? (pgoff_t)PNM_DIV_ROUND_UP((unsigned long long)size, PAGE_SIZE) : 0;
}

/*
 * address_space_init - set @mapping up empty for @host with @a_ops: the
 * xarray, invalidate_lock, an empty i_mmap tree with its rwsem, no flags,
 * no writeback error.  The caller
 * sets AS_* flags afterwards (mapping_set_large_folios() ...).  Pair with
 * address_space_destroy().  Takes no lock: nobody can see @mapping yet.
 */
void address_space_init(struct address_space *mapping, struct inode *host,
			const struct address_space_operations *a_ops)
{
	mapping->host = host;
	xa_init(&mapping->i_pages);
	mapping->nrpages = 0;
	mapping->a_ops = a_ops;
	mapping->flags = 0;
	init_rwsem(&mapping->invalidate_lock);
	mapping->i_mmap = (struct pnm_itree_root)PNM_ITREE_ROOT_INIT;
	init_rwsem(&mapping->i_mmap_rwsem);
	atomic_set(&mapping->i_mmap_writable, 0);
	mapping->wb_err = 0;
	mapping->private_data = NULL;
}

/*
 * address_space_destroy - free what address_space_init() set up.  The
 * cache must be empty (truncate_inode_pages(mapping, 0) first; fatal
 * otherwise), no VMA may map it any more, and nobody may use @mapping.
 */
void address_space_destroy(struct address_space *mapping)
{
	spin_lock(&mapping->i_pages.xa_lock);
	VM_BUG_ON(mapping->nrpages != 0);
	spin_unlock(&mapping->i_pages.xa_lock);
	VM_BUG_ON(!pnm_itree_empty(&mapping->i_mmap));
	xa_destroy(&mapping->i_pages);
	rwsem_destroy(&mapping->invalidate_lock);
	rwsem_destroy(&mapping->i_mmap_rwsem);
}

/* --- lookup and insertion ----------------------------------------------------- */

/*
 * filemap_get_next_folio - the first cached folio at or after *index, up
 * to @end (contract in pagemap.h).  The fully ordered folio_try_get()
 * pairs with the freeze cmpxchg of migration and reclaim: either the
 * freezer sees our reference and gives up, or we see 0 and wait for the
 * entry to be replaced or erased.
 */
struct folio *filemap_get_next_folio(struct address_space *mapping, pgoff_t *index,
				     pgoff_t end)
{
	struct folio *folio;

	for (;;) {
		unsigned long i = *index;

		spin_lock(&mapping->i_pages.xa_lock);
		folio = xa_find_locked(&mapping->i_pages, &i, end);
		if (!folio || folio_try_get(folio)) {
			if (folio)
				*index = i;
			spin_unlock(&mapping->i_pages.xa_lock);
			return folio;
		}
		spin_unlock(&mapping->i_pages.xa_lock);
		sched_yield();
	}
}

/*
 * filemap_add_folio - insert the new, locked @folio at @index (pagemap.h).
 * Every slot of the folio's range must be empty: the check and the stores
 * happen under one hold of xa_lock, so two racing inserts of overlapping
 * folios cannot both succeed.  On -ENOMEM from the xarray the slots
 * already stored are erased again.  Caller holds the folio lock and a
 * reference, no ptl or xa_lock.
 */
int filemap_add_folio(struct address_space *mapping, struct folio *folio,
		      pgoff_t index, gfp_t gfp)
{
	unsigned long nr = folio_nr_pages(folio), i, probe = index;
	int err = 0;

	(void)gfp;
	VM_BUG_ON_PAGE(!folio_test_locked(folio), &folio->page);
	VM_BUG_ON_PAGE(folio_test_anon(folio) || READ_ONCE(folio->mapping), &folio->page);
	VM_BUG_ON_PAGE(!IS_ALIGNED(index, nr), &folio->page);

	/*
	 * Identity and the cache's references before publication: a lookup
	 * that finds the folio (under xa_lock, which orders these writes
	 * before it) sees them.
	 */
	folio->index = index;
	WRITE_ONCE(folio->mapping, mapping);
	folio_ref_add(folio, (int)nr);

	spin_lock(&mapping->i_pages.xa_lock);
	if (xa_find_locked(&mapping->i_pages, &probe, index + nr - 1)) {
		err = -EEXIST;
	} else {
		for (i = 0; i < nr; i++) {
			err = xa_store_locked(&mapping->i_pages, index + i, folio);
			if (err)
				break;
		}
		if (err) {
			while (i--)
				xa_erase_locked(&mapping->i_pages, index + i);
		} else {
			mapping->nrpages += nr;
		}
	}
	spin_unlock(&mapping->i_pages.xa_lock);

	if (err) {
		WRITE_ONCE(folio->mapping, NULL);
		folio->index = 0;
		/* Never the last reference: the caller still holds one. */
		folio_put_refs(folio, (int)nr);
		return err;
	}
	/* hugetlb pages are no page-cache statistic (Linux's). */
	if (!folio_test_hugetlb(folio)) {
		mod_vm_stat(NR_FILE_PAGES, (long)nr);
		if (folio_test_swapbacked(folio))
			mod_vm_stat(NR_SHMEM, (long)nr);
	}
	if (!mapping_unevictable(mapping))
		folio_add_lru(folio);
	return 0;
}

/*
 * __filemap_remove_folio - take the locked @folio out of its cache without
 * touching its refcount: slots erased, nrpages, mapping cleared,
 * NR_FILE_PAGES/NR_SHMEM, the LRU, ->free_folio.  For callers that froze
 * the count (reclaim) and so own the cache's references already; everyone
 * else uses filemap_remove_folio().  A dirty folio of a mapping that
 * accounts dirt is cancelled first (NR_FILE_DIRTY).  The folio must be
 * unmapped and not under writeback (fatal).  No ptl or xa_lock held.
 */
void __filemap_remove_folio(struct folio *folio)
{
	struct address_space *mapping = folio_mapping(folio);
	unsigned long nr = folio_nr_pages(folio), i;

	VM_BUG_ON_PAGE(!folio_test_locked(folio), &folio->page);
	VM_BUG_ON_PAGE(!mapping, &folio->page);
	VM_BUG_ON_PAGE(folio_mapped(folio), &folio->page);
	VM_BUG_ON_PAGE(folio_test_writeback(folio), &folio->page);

	if (folio_test_dirty(folio) && mapping->a_ops && mapping->a_ops->dirty_folio)
		folio_cancel_dirty(folio);

	spin_lock(&mapping->i_pages.xa_lock);
	for (i = 0; i < nr; i++) {
		/* Only our own slots: a concurrent migration cannot have
		 * re-pointed them (it would hold our folio lock). */
		VM_BUG_ON(xa_load_locked(&mapping->i_pages, folio->index + i) != folio);
		xa_erase_locked(&mapping->i_pages, folio->index + i);
	}
	mapping->nrpages -= nr;
	/* Cleared under folio lock + xa_lock: see the top of the file. */
	WRITE_ONCE(folio->mapping, NULL);
	spin_unlock(&mapping->i_pages.xa_lock);

	/* After mapping is cleared: reclaim, which may hold the folio
	 * isolated, then knows not to put it back (swap.c). */
	if (!mapping_unevictable(mapping))
		folio_del_lru(folio);
	if (!folio_test_hugetlb(folio)) {
		mod_vm_stat(NR_FILE_PAGES, -(long)nr);
		if (folio_test_swapbacked(folio))
			mod_vm_stat(NR_SHMEM, -(long)nr);
	}
	if (mapping->a_ops && mapping->a_ops->free_folio)
		mapping->a_ops->free_folio(folio);
}

/*
 * filemap_remove_folio - remove the locked @folio from its cache and drop
 * the cache's references (pagemap.h).  The caller's own reference keeps
 * the folio alive.
 */
void filemap_remove_folio(struct folio *folio)
{
	__filemap_remove_folio(folio);
	/* Not the last reference (the caller holds one): never frees. */
	folio_put_refs(folio, (int)folio_nr_pages(folio));
}

/*
 * Look @index up and take a reference.  Returns the folio, or NULL if
 * the slot is empty.  A frozen folio is about to leave the cache (or be
 * replaced): yield and look again.
 */
static struct folio *filemap_get_entry(struct address_space *mapping, pgoff_t index)
{
	struct folio *folio;

	for (;;) {
		spin_lock(&mapping->i_pages.xa_lock);
		folio = xa_load_locked(&mapping->i_pages, index);
		/*
		 * Fully ordered on success: pairs with the freeze cmpxchg of
		 * migration and reclaim (either it fails on our reference,
		 * or we fail on its zero and retry).
		 */
		if (!folio || folio_try_get(folio)) {
			spin_unlock(&mapping->i_pages.xa_lock);
			return folio;
		}
		spin_unlock(&mapping->i_pages.xa_lock);
		sched_yield();
	}
}

/* Is [start, last] of the cache empty?  Takes xa_lock. */
static bool cache_range_empty(struct address_space *mapping, pgoff_t start, pgoff_t last)
{
	unsigned long probe = start;
	bool empty;

	spin_lock(&mapping->i_pages.xa_lock);
	empty = !xa_find_locked(&mapping->i_pages, &probe, last);
	spin_unlock(&mapping->i_pages.xa_lock);
	return empty;
}

/*
 * Allocate the folio FGP_CREAT adds for @index: the largest order up to
 * @max_order whose aligned range lies below i_size (rounded up) and is a
 * hole of the cache; order 0 always qualifies.  Large attempts do not
 * retry (no reclaim for them): a smaller folio is the fallback.  The
 * hole is only a hint here; filemap_add_folio() decides under xa_lock.
 */
static struct folio *filemap_alloc_for(struct address_space *mapping, pgoff_t index,
				       unsigned int max_order, gfp_t gfp, pgoff_t *start)
{
	pgoff_t limit = size_in_pages(mapping->host);
	struct folio *folio;
	unsigned int order;

	if (!mapping_large_folio_support(mapping))
		max_order = 0;
	if (max_order > PNM_MAX_PAGECACHE_ORDER)
		max_order = PNM_MAX_PAGECACHE_ORDER;
	for (order = max_order; order > 0; order--) {
		unsigned long nr = 1UL << order;
		pgoff_t first = index & ~(nr - 1);

		if (first + nr > limit || !cache_range_empty(mapping, first, first + nr - 1))
			continue;
		folio = folio_alloc(gfp | __GFP_NOWARN | __GFP_NORETRY, order);
		if (folio) {
			*start = first;
			return folio;
		}
	}
	*start = index;
	return folio_alloc(gfp, 0);
}

/*
 * __filemap_get_folio - find (or with FGP_CREAT create) the folio caching
 * @index (pagemap.h).  An existing folio is locked (FGP_LOCK) and then
 * re-checked: if it left the mapping while we waited the lookup starts
 * over.  A created folio is added locked and !uptodate, and unlocked
 * again unless FGP_LOCK.  -EEXIST from the insert (another thread cached
 * a folio there meanwhile) also starts over.
 */
struct folio *__filemap_get_folio(struct address_space *mapping, pgoff_t index,
				  unsigned int fgp_flags, gfp_t gfp)
{
	struct folio *folio;
	pgoff_t start;
	int err;

repeat:
	folio = filemap_get_entry(mapping, index);
	if (folio) {
		if (fgp_flags & FGP_LOCK) {
			if (fgp_flags & FGP_NOWAIT) {
				if (!folio_trylock(folio)) {
					folio_put(folio);
					return ERR_PTR(-EAGAIN);
				}
			} else {
				folio_lock(folio);
			}
			/* mapping is stable under the folio lock. */
			if (unlikely(READ_ONCE(folio->mapping) != mapping)) {
				folio_unlock(folio);
				folio_put(folio);
				goto repeat;
			}
			VM_BUG_ON_PAGE(index - folio->index >= folio_nr_pages(folio),
				       &folio->page);
		}
		if (fgp_flags & FGP_ACCESSED)
			SetPageReferenced(&folio->page);
		if (fgp_flags & FGP_STABLE) {
			if ((fgp_flags & FGP_NOWAIT) && folio_test_writeback(folio)) {
				if (fgp_flags & FGP_LOCK)
					folio_unlock(folio);
				folio_put(folio);
				return ERR_PTR(-EAGAIN);
			}
			folio_wait_stable(folio);
		}
		return folio;
	}
	if (!(fgp_flags & FGP_CREAT))
		return ERR_PTR(-ENOENT);

	folio = filemap_alloc_for(mapping, index, FGF_GET_ORDER(fgp_flags), gfp, &start);
	if (!folio)
		return ERR_PTR(-ENOMEM);
	/* Nobody else can see the new folio: the trylock cannot fail. */
	if (!folio_trylock(folio))
		VM_BUG_ON_PAGE(1, &folio->page);
	if (fgp_flags & FGP_ACCESSED)
		SetPageReferenced(&folio->page);
	err = filemap_add_folio(mapping, folio, start, gfp);
	if (err) {
		folio_unlock(folio);
		folio_put(folio);
		if (err == -EEXIST)
			goto repeat;
		return ERR_PTR(err);
	}
	if (!(fgp_flags & FGP_LOCK))
		folio_unlock(folio);
	return folio;
}

/* --- filling folios --------------------------------------------------------- */

/*
 * Bring the locked @folio up to date: ->read_folio, or zeroes for a
 * mapping without one (memory-only caches).  0 or the read's -errno; the
 * folio stays locked and, on error, !uptodate in the cache (the next
 * access reads again, as in Linux).
 */
static int filemap_fill_folio(struct file *file, struct address_space *mapping,
			      struct folio *folio)
{
	int err;

	if (!mapping->a_ops || !mapping->a_ops->read_folio) {
		pnm_clear_folio(folio);
		folio_mark_uptodate(folio);
		return 0;
	}
	err = mapping->a_ops->read_folio(file, folio);
	VM_BUG_ON_PAGE(!folio_test_locked(folio), &folio->page);
	if (!err && !folio_test_uptodate(folio))
		err = -EIO;
	return err;
}

/* Internal: the index is at or beyond EOF (checked under invalidate_lock). */
#define FILL_BEYOND_EOF	(-ENXIO)

/*
 * The slow half of a read or fault: with invalidate_lock held shared (so
 * no truncate or punch runs), check @index against i_size, find or create
 * the folio (large if the mapping allows) and read it if needed.  Returns
 * the folio locked, uptodate and referenced, or ERR_PTR(FILL_BEYOND_EOF,
 * -ENOMEM, the read error).  *@read tells whether ->read_folio ran.
 * Caller holds no folio lock (mmap_lock read is fine).
 */
static struct folio *filemap_get_filled(struct file *file, struct address_space *mapping,
					pgoff_t index, bool *read)
{
	struct folio *folio;
	int err;

	down_read(&mapping->invalidate_lock);
	if (index >= size_in_pages(mapping->host)) {
		folio = ERR_PTR(FILL_BEYOND_EOF);
		goto out;
	}
	folio = __filemap_get_folio(mapping, index,
				    FGP_LOCK | FGP_CREAT | FGP_ACCESSED |
				    fgf_set_order(PNM_MAX_PAGECACHE_ORDER),
				    GFP_HIGHUSER_MOVABLE);
	if (IS_ERR(folio) || folio_test_uptodate(folio))
		goto out;
	*read = true;
	err = filemap_fill_folio(file, mapping, folio);
	if (err) {
		folio_unlock(folio);
		folio_put(folio);
		folio = ERR_PTR(err);
	}
out:
	up_read(&mapping->invalidate_lock);
	return folio;
}

/* --- faults --------------------------------------------------------------- */

/*
 * filemap_fault - the generic ->fault of page-cache files (pagemap.h).
 * Fast path: the folio is cached and uptodate; lock it.  Otherwise the
 * slow path under invalidate_lock (filemap_get_filled).  Either way i_size
 * is checked again with the folio locked, so a truncate that finished
 * meanwhile is seen.  Caller holds mmap_lock for read.
 */
vm_fault_t filemap_fault(struct vm_fault *vmf)
{
	struct file *file = vmf->vma->vm_file;
	struct address_space *mapping = file->f_mapping;
	struct inode *inode = mapping->host;
	pgoff_t index = vmf->pgoff;
	vm_fault_t ret = 0;
	struct folio *folio;
	bool read = false;

	if (index >= size_in_pages(inode))
		return VM_FAULT_SIGBUS;
	folio = __filemap_get_folio(mapping, index, FGP_LOCK | FGP_ACCESSED, 0);
	if (!IS_ERR(folio) && !folio_test_uptodate(folio)) {
		folio_unlock(folio);
		folio_put(folio);
		folio = ERR_PTR(-ENOENT);
	}
	if (IS_ERR(folio)) {
		folio = filemap_get_filled(file, mapping, index, &read);
		if (IS_ERR(folio))
			return PTR_ERR(folio) == -ENOMEM ? VM_FAULT_OOM : VM_FAULT_SIGBUS;
		if (read) {
			count_vm_event(PGMAJFAULT);
			ret |= VM_FAULT_MAJOR;
		}
	}
	/* Locked: a truncate either finished (i_size shows it) or waits. */
	if (index >= size_in_pages(inode)) {
		folio_unlock(folio);
		folio_put(folio);
		return VM_FAULT_SIGBUS;
	}
	vmf->page = folio_page(folio, index - folio->index);
	return ret | VM_FAULT_LOCKED;
}

/*
 * filemap_page_mkwrite - a generic ->page_mkwrite (pagemap.h): lock the
 * folio of vmf->page, give up with VM_FAULT_NOPAGE if a truncate took it
 * out of the file meanwhile (the fault retries and sees the new size),
 * dirty it through folio_mark_dirty() and wait for writeback.  Returns
 * VM_FAULT_LOCKED with the folio locked.  Caller holds mmap_lock (read)
 * and a reference on the folio, not its lock.
 */
vm_fault_t filemap_page_mkwrite(struct vm_fault *vmf)
{
	struct folio *folio = page_folio(vmf->page);

	folio_lock(folio);
	if (READ_ONCE(folio->mapping) != vmf->vma->vm_file->f_mapping) {
		folio_unlock(folio);
		return VM_FAULT_NOPAGE;
	}
	folio_mark_dirty(folio);
	folio_wait_stable(folio);
	return VM_FAULT_LOCKED;
}

/* --- buffered I/O ----------------------------------------------------------- */

static const unsigned char zero_bytes[PAGE_SIZE];

/*
 * pnm_folio_zero_range - zero [@off, @off + @len) of @folio.  Uses the
 * racy page copy (relaxed atomic words, dma.c) because a device may be
 * writing the folio through a pin at the same time (truncate of a pinned
 * folio).  Caller holds the folio lock and a reference.
 */
void pnm_folio_zero_range(struct folio *folio, size_t off, size_t len)
{
	unsigned char *p = (unsigned char *)folio_address(folio) + off;

	VM_BUG_ON(off + len > folio_size(folio));
	while (len) {
		size_t n = min_t(size_t, len, sizeof(zero_bytes));

		pnm_copy_to_page_racy(p, zero_bytes, n);
		p += n;
		len -= n;
	}
}

/*
 * filemap_read - read(2) of a page-cache file (pagemap.h).  Each folio is
 * found uptodate without any lock (fast path) or filled under
 * invalidate_lock (filemap_get_filled); i_size is read again after the
 * folio is held so nothing beyond a concurrent truncate is returned.
 * Data is copied with the racy page copy (a pinned page may be written by
 * a device meanwhile).  Caller holds no model lock (the fs may hold
 * nothing; i_lock is not needed for reads).
 */
ssize_t filemap_read(struct file *file, void *buf, size_t count, loff_t *pos)
{
	struct address_space *mapping = file->f_mapping;
	struct inode *inode = mapping->host;
	unsigned char *dst = buf;
	ssize_t done = 0;
	int err = 0;

	if (*pos < 0)
		return -EINVAL;
	while (count) {
		loff_t isize = i_size_read(inode), off;
		pgoff_t index = (pgoff_t)(*pos >> PAGE_SHIFT);
		struct folio *folio;
		bool read = false;
		size_t n;

		if (*pos >= isize)
			break;
		folio = __filemap_get_folio(mapping, index, FGP_ACCESSED, 0);
		if (!IS_ERR(folio) && !folio_test_uptodate(folio)) {
			folio_put(folio);
			folio = ERR_PTR(-ENOENT);
		}
		if (IS_ERR(folio)) {
			folio = filemap_get_filled(file, mapping, index, &read);
			if (IS_ERR(folio)) {
				if (PTR_ERR(folio) != FILL_BEYOND_EOF)
					err = (int)PTR_ERR(folio);
				break;
			}
			folio_unlock(folio);
		}
		/* After the folio is held: see the function comment. */
		isize = i_size_read(inode);
		off = *pos - folio_pos(folio);
		n = min_t(size_t, count, folio_size(folio) - (size_t)off);
		if (*pos + (loff_t)n > isize)
			n = *pos < isize ? (size_t)(isize - *pos) : 0;
		if (n)
			pnm_copy_from_page_racy(dst, (unsigned char *)folio_address(folio) + off, n);
		folio_put(folio);
		if (!n)
			break;
		dst += n;
		*pos += (loff_t)n;
		count -= n;
		done += (ssize_t)n;
	}
	return done ? done : err;
}

/*
 * generic_perform_write - write(2) of a page-cache file (pagemap.h), one
 * page at a time through a_ops->write_begin (folio locked, ready for the
 * bytes) and ->write_end (dirty, i_size, unlock, put), then
 * balance_dirty_pages_ratelimited() with no folio locked.  Caller holds
 * inode->i_lock (Linux's i_rwsem), which orders size changes against
 * truncate.  Returns the bytes written, or the first error if none.
 */
ssize_t generic_perform_write(struct file *file, const void *buf, size_t count,
			      loff_t *pos)
{
	struct address_space *mapping = file->f_mapping;
	const struct address_space_operations *a_ops = mapping->a_ops;
	const unsigned char *src = buf;
	ssize_t done = 0;
	int err = 0;

	if (*pos < 0)
		return -EINVAL;
	if (!a_ops || !a_ops->write_begin || !a_ops->write_end)
		return -EINVAL;
	while (count) {
		size_t off = (size_t)(*pos & (PAGE_SIZE - 1));
		unsigned int bytes = (unsigned int)min_t(size_t, PAGE_SIZE - off, count);
		struct folio *folio = NULL;
		size_t foff;
		int ret;

		err = a_ops->write_begin(file, mapping, *pos, bytes, &folio);
		if (err)
			break;
		VM_BUG_ON(!folio || !folio_test_locked(folio));
		foff = (size_t)(*pos - folio_pos(folio));
		VM_BUG_ON(foff + bytes > folio_size(folio));
		pnm_copy_to_page_racy((unsigned char *)folio_address(folio) + foff, src, bytes);
		ret = a_ops->write_end(file, mapping, *pos, bytes, bytes, folio);
		if (ret < 0) {
			err = ret;
			break;
		}
		src += ret;
		*pos += ret;
		count -= (size_t)ret;
		done += ret;
		balance_dirty_pages_ratelimited(mapping);
		if ((unsigned int)ret < bytes)
			break;
	}
	return done ? done : err;
}

/* --- the checker ----------------------------------------------------------- */

/*
 * pnm_check_mapping - check @mapping's cache (pagemap.h).  The xarray is
 * snapshotted under xa_lock; the folios are then checked without it (the
 * model is quiescent, so they cannot change).
 */
bool pnm_check_mapping(struct address_space *mapping)
{
	unsigned long index = 0, n = 0, cap = 64, i, dirty = 0, wb = 0, pages = 0;
	struct folio **folios = malloc(cap * sizeof(*folios));
	bool ok = true;

	if (!folios)
		return pnm_check_nomem("pnm_check_mapping");
	if (!pnm_check_xarray(&mapping->i_pages)) {
		free(folios);
		return pnm_check_fail("mapping %p: bad xarray", (void *)mapping);
	}
	spin_lock(&mapping->i_pages.xa_lock);
	for (;;) {
		struct folio *folio = xa_find_locked(&mapping->i_pages, &index, ~0UL);
		unsigned long nr, first;

		if (!folio)
			break;
		nr = folio_nr_pages(folio);
		first = folio->index;
		if (PageTail(&folio->page) || READ_ONCE(folio->mapping) != mapping ||
		    index - first >= nr || !IS_ALIGNED(first, nr)) {
			ok = pnm_check_fail("mapping %p index %lu: folio %#lx (tail %d) has mapping %p index %lu order %u",
					    (void *)mapping, index, folio_pfn(folio),
					    PageTail(&folio->page), (void *)READ_ONCE(folio->mapping),
					    first, folio_order(folio));
			break;
		}
		/* Every slot of the folio holds it: visit it once. */
		for (i = 0; i < nr; i++) {
			if (xa_load_locked(&mapping->i_pages, first + i) != folio) {
				ok = pnm_check_fail("mapping %p: folio %#lx missing at index %lu",
						    (void *)mapping, folio_pfn(folio), first + i);
				break;
			}
		}
		if (!ok)
			break;
		if (n == cap) {
			struct folio **bigger = realloc(folios, 2 * cap * sizeof(*folios));

			if (!bigger) {
				ok = pnm_check_nomem("pnm_check_mapping");
				break;
			}
			folios = bigger;
			cap *= 2;
		}
		folios[n++] = folio;
		pages += nr;
		index = first + nr;
		if (!index)
			break;		/* wrapped at the end of the index space */
	}
	if (ok && (pages != mapping->nrpages || pages != mapping->i_pages.xa_count))
		ok = pnm_check_fail("mapping %p: nrpages %lu, %lu slots, folios cover %lu pages",
				    (void *)mapping, mapping->nrpages,
				    mapping->i_pages.xa_count, pages);
	spin_unlock(&mapping->i_pages.xa_lock);

	for (i = 0; ok && i < n; i++) {
		struct folio *folio = folios[i];
		unsigned long nr = folio_nr_pages(folio);
		unsigned long pfn = folio_pfn(folio);
		/* A hugetlb folio's order is its hstate's (hugetlbfs). */
		bool huge = folio_test_hugetlb(folio);
		int mapped = folio_mapcount(folio);

		if ((!huge && folio_order(folio) > PNM_MAX_PAGECACHE_ORDER) ||
		    (folio_test_large(folio) && !mapping_large_folio_support(mapping)))
			ok = pnm_check_fail("mapping %p: folio %#lx of order %u (large folios %s)",
					    (void *)mapping, pfn, folio_order(folio),
					    mapping_large_folio_support(mapping) ? "on" : "off");
		else if (folio_ref_count(folio) < (int)nr + mapped)
			ok = pnm_check_fail("mapping %p: folio %#lx refcount %d < %lu cache refs + %d mappings",
					    (void *)mapping, pfn, folio_ref_count(folio), nr, mapped);
		else if (test_bit(PG_pnm_truncated, &folio->flags))
			ok = pnm_check_fail("mapping %p: cached folio %#lx is marked truncated",
					    (void *)mapping, pfn);
		else if (mapping->a_ops && mapping->a_ops->pnm_check_folio &&
			 !mapping->a_ops->pnm_check_folio(mapping, folio))
			ok = false;
		if (folio_test_dirty(folio) && mapping->a_ops && mapping->a_ops->dirty_folio)
			dirty += nr;
		if (folio_test_writeback(folio))
			wb += nr;
	}
	if (ok && (global_stat(NR_FILE_DIRTY) < (long)dirty || global_stat(NR_WRITEBACK) < (long)wb))
		ok = pnm_check_fail("mapping %p: %lu dirty and %lu writeback pages but nr_dirty %ld nr_writeback %ld",
				    (void *)mapping, dirty, wb, global_stat(NR_FILE_DIRTY),
				    global_stat(NR_WRITEBACK));
	free(folios);
	return ok;
}
