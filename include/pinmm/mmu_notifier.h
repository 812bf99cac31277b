/* SPDX-License-Identifier: MIT */
/*
 * pinmm/mmu_notifier.h - MMU notifiers: how a secondary MMU (a
 * hypervisor's shadow page tables, a device with its own page tables)
 * learns that a process's mappings are about to change.
 *
 * A user that mirrors part of an address space holds ordinary references
 * on the pages it mirrors (get_user_pages*(), FOLL_GET: case 3 of
 * docs/pinning.md) and no pins.  It registers a struct mmu_notifier on the
 * mm; from then on every change that unmaps a page or takes write access
 * away -- munmap, MADV_DONTNEED, a copy-on-write or unshare copy, fork's
 * write protection, migration and compaction, mprotect, truncate and hole
 * punch, writeback's write protection, reclaim, a THP split -- is
 * bracketed by invalidate_range_start() and invalidate_range_end() on the
 * virtual range it touches.  The user drops its mirror of the range (and
 * its references) in invalidate_range_start() and must not mirror it
 * again before the matching invalidate_range_end(); the primary page
 * tables change in between.  At the address space's end (the last user
 * of the mm exits) release() runs once instead, after which no callback
 * comes.
 *
 * Callbacks run on the thread making the change, with some of the
 * memory manager's locks held (the mm's mmap_lock, a folio lock, a
 * reverse-map lock; never a page-table lock): they may sleep and take the
 * user's own locks, drop page references (put_page()), but must not call
 * back into the address space (no GUP, no faults, no mmap calls on any
 * mm, no set_page_dirty_lock()).  docs/architecture.md has the lock order.
 *
 * Names and semantics are Linux's include/linux/mmu_notifier.h; the model
 * sends the four events below and always blocks (no OOM reaper).
 */
#ifndef PINMM_MMU_NOTIFIER_H
#define PINMM_MMU_NOTIFIER_H

#include <pinmm/types.h>

PNM_BEGIN_DECLS

/* Why a range is invalidated (Linux's values). */
enum mmu_notifier_event {
	/* The range leaves the address space: munmap, exit, mmap over it. */
	MMU_NOTIFY_UNMAP = 0,
	/* Entries are cleared or replaced: MADV_DONTNEED, a COW or unshare
	 * copy, migration, truncate/hole punch, reclaim, a THP split. */
	MMU_NOTIFY_CLEAR,
	/* The VMA's protection changes: mprotect. */
	MMU_NOTIFY_PROTECTION_VMA,
	/* Entries are write-protected: fork's COW, writeback's mkclean. */
	MMU_NOTIFY_PROTECTION_PAGE,
};

/* range->flags: the callback may sleep (always set in the model). */
#define MMU_NOTIFIER_RANGE_BLOCKABLE	(1U << 0)

/* The virtual range [start, end) of @mm about to change. */
struct mmu_notifier_range {
	struct mm_struct *mm;
	unsigned long start;
	unsigned long end;
	unsigned int flags;
	enum mmu_notifier_event event;
};

struct mmu_notifier;

struct mmu_notifier_ops {
	/*
	 * The address space is being torn down (its last user exited):
	 * drop every mirror of it.  Called once, before its pages are
	 * unmapped; no other callback follows.  May be NULL.
	 */
	void (*release)(struct mmu_notifier *subscription, struct mm_struct *mm);
	/*
	 * [range->start, range->end) is about to change: drop its mirror and
	 * do not rebuild it until the matching invalidate_range_end.  Must
	 * return 0 (the model only sends blockable ranges).  May be NULL.
	 */
	int (*invalidate_range_start)(struct mmu_notifier *subscription,
				      const struct mmu_notifier_range *range);
	/* The change is done; the range may be mirrored again.  Ends pair
	 * with starts (same range, same thread).  May be NULL. */
	void (*invalidate_range_end)(struct mmu_notifier *subscription,
				     const struct mmu_notifier_range *range);
};

/*
 * One subscription, embedded in the user's own object (container_of).
 * The user sets @ops and leaves the rest zeroed before registering.
 */
struct mmu_notifier {
	const struct mmu_notifier_ops *ops;
	/* The registered mm (set by mmu_notifier_register(), kept until
	 * mmu_notifier_unregister()); read-only for the user. */
	struct mm_struct *mm;
	/* The library's: the next subscription of the mm, and the state. */
	struct mmu_notifier *pnm_next;
	unsigned int pnm_state;
};

/*
 * Subscribe @subscription to @mm's invalidations.  The caller holds a
 * user reference on @mm (get_task_mm()) and no mmap_lock; the
 * subscription keeps the mm struct (not its address space) alive until
 * unregistered.  Takes @mm's mmap_lock for write and every reverse-map
 * lock of its VMAs (Linux's mm_take_all_locks()), so no invalidation is
 * in flight when it returns: everything the user mirrors from then on is
 * covered.  Returns 0; -EINVAL for a NULL argument, NULL ops, or an
 * @mm whose address space has already gone; -EBUSY if @subscription is
 * registered already.
 */
PNM_API int mmu_notifier_register(struct mmu_notifier *subscription, struct mm_struct *mm);
/*
 * Unsubscribe: run ->release() if the mm's teardown has not (so the user
 * always sees exactly one), take the subscription off @mm and drop its
 * reference on the mm struct.  When it returns no callback of it is
 * running or will run.  The caller holds no mmap_lock and is not inside a
 * callback.  @mm must be the registered one; an unregistered
 * subscription is a warning and nothing else.
 */
PNM_API void mmu_notifier_unregister(struct mmu_notifier *subscription, struct mm_struct *mm);

/* Number of subscriptions on @mm (tests, listings).  Lockless snapshot. */
PNM_API unsigned int pnm_mmu_notifier_count(struct mm_struct *mm);

PNM_END_DECLS

#endif /* PINMM_MMU_NOTIFIER_H */
