// SPDX-License-Identifier: MIT
/*
 * swap.c - dropping folio references, and copying folio contents.
 *
 * Linux keeps folio_put() and friends in mm/swap.c, next to the LRU code;
 * the model has no LRU or swap, so this file is only the reference release
 * path: the last folio_put() hands the frames back to the buddy allocator
 * through free_folio_frames().
 *
 * Memory ordering of the final put.  The decrement is atomic_sub_return(),
 * a fully ordered (seq_cst) RMW:
 *
 *   - its release half orders every access this thread made to the folio
 *     (data copies, descriptor updates, unmapping) before the decrement, so
 *     a thread that later observes the count reach zero sees them;
 *   - its acquire half, on the thread that takes the count to zero, orders
 *     the freeing (descriptor reset, return to the buddy lists, reuse by the
 *     next owner) after every other thread's earlier decrement, i.e. after
 *     all their accesses.
 *
 * It pairs with the fully ordered increments that may race with it:
 * folio_try_get()'s atomic_add_unless() (a speculative get cannot succeed
 * once zero was reached, and if it came first the count does not reach
 * zero here), and the atomic_cmpxchg() that freezes a folio's count for
 * migration and splitting (brief §10).
 */
#include <string.h>

#include "internal.h"

/*
 * Drop @nr references to @folio; the caller must own them.  When the count
 * reaches zero the folio is freed (free_folio_frames(): it must then be
 * unmapped, unpinned, unlocked and off every rmap list).  Dropping more
 * references than exist is a refcounting bug: the folio is dumped and the
 * model aborts.  Never sleeps; may take zone->lock, so it can be called
 * with any lock of the model held.
 */
void folio_put_refs(struct folio *folio, int nr)
{
	int refs;

	VM_BUG_ON_PAGE(PageTail(&folio->page), &folio->page);
	/* Fully ordered: see the comment at the top of the file. */
	refs = atomic_sub_return(nr, &folio->_refcount);
	if (unlikely(refs < 0)) {
		dump_page(&folio->page, "folio_put_refs: refcount underflow");
		PNM_DIE("folio refcount underflow", 0);
	}
	if (refs == 0)
		free_folio_frames(folio);
	else if (pnm_pin_check_wanted(folio))
		pnm_pin_check_put(folio, refs);	/* put_page() on a pin? */
}

/*
 * Copy the contents of @src into @dst (COW break, migration).  Both must
 * have the same order and be held by the caller (a reference, or a frozen
 * count); nothing is locked here.  Concurrent writers to @src must be
 * excluded by the caller (the source is unmapped or write-protected).
 */
void folio_copy(struct folio *dst, struct folio *src)
{
	VM_BUG_ON(folio_order(dst) != folio_order(src));
	memcpy(folio_address(dst), folio_address(src), folio_size(src));
}
