/* SPDX-License-Identifier: MIT */
/*
 * mmu_notifier.h - the memory manager's side of MMU notifiers (Linux's
 * include/linux/mmu_notifier.h): what the core calls around a change of
 * page-table entries.  The subscriber's side (struct mmu_notifier, its
 * ops, register/unregister) is public: pinmm/mmu_notifier.h.
 *
 * Every path that unmaps a page or takes write access away brackets the
 * change with
 *
 *	struct mmu_notifier_range range;
 *
 *	mmu_notifier_range_init(&range, MMU_NOTIFY_CLEAR, mm, start, end);
 *	mmu_notifier_invalidate_range_start(&range);
 *	... change the entries of [start, end) under their ptl ...
 *	mmu_notifier_invalidate_range_end(&range);
 *
 * Rules (mmu_notifier.c has the reasoning):
 *   - start and end are called without any page-table lock, with the same
 *     range, on the same thread;
 *   - from start to end the caller holds @mm's mmap_lock (any mode) or the
 *     reverse-map lock (i_mmap_rwsem or anon_vma root rwsem, read) through
 *     which it reached the VMA: that is what keeps the subscription list
 *     stable and what makes mmu_notifier_register() wait for the pair;
 *   - starts may nest (a THP split inside a zap); each has its end;
 *   - with no subscription on @mm both are one relaxed load.
 * Paths that only add entries or give access (faults, a COW reuse, a
 * restored migration entry) call nothing.
 */
#ifndef PNM_MODEL_MMU_NOTIFIER_H
#define PNM_MODEL_MMU_NOTIFIER_H

#include <pinmm/mmu_notifier.h>
#include <model/mm_types.h>

/* Is anybody subscribed to @mm?  Relaxed: the caller holds a lock the
 * list only changes under (see above). */
static inline bool mm_has_notifiers(struct mm_struct *mm)
{
	return READ_ONCE(mm->notifier_subscriptions) != NULL;
}

static inline void mmu_notifier_range_init(struct mmu_notifier_range *range,
					   enum mmu_notifier_event event,
					   struct mm_struct *mm, unsigned long start,
					   unsigned long end)
{
	range->mm = mm;
	range->start = start;
	range->end = end;
	range->flags = MMU_NOTIFIER_RANGE_BLOCKABLE;
	range->event = event;
}

void __mmu_notifier_invalidate_range_start(struct mmu_notifier_range *range);
void __mmu_notifier_invalidate_range_end(struct mmu_notifier_range *range);
void __mmu_notifier_release(struct mm_struct *mm);

/*
 * Call every subscription's invalidate_range_start / _end for @range (see
 * the rules above).  Callbacks may sleep and take their own locks.
 */
static inline void mmu_notifier_invalidate_range_start(struct mmu_notifier_range *range)
{
	if (mm_has_notifiers(range->mm))
		__mmu_notifier_invalidate_range_start(range);
}

static inline void mmu_notifier_invalidate_range_end(struct mmu_notifier_range *range)
{
	if (mm_has_notifiers(range->mm))
		__mmu_notifier_invalidate_range_end(range);
}

/*
 * exit_mmap(), before the first page is unmapped: run every
 * subscription's ->release() and take them all off @mm (each keeps its
 * reference on the struct until unregistered).  mmap_lock held for write.
 */
static inline void mmu_notifier_release(struct mm_struct *mm)
{
	if (mm_has_notifiers(mm))
		__mmu_notifier_release(mm);
}

/*
 * Check @mm's subscription list: every entry registered on @mm, no cycle,
 * the length equal to pnm_nr_notifiers.  Caller holds mmap_lock.  False
 * with the reason recorded (pnm_check_fail).
 */
bool pnm_check_mmu_notifiers(struct mm_struct *mm);

#endif /* PNM_MODEL_MMU_NOTIFIER_H */
