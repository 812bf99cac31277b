// SPDX-License-Identifier: MIT
/*
 * mmu_notifier.c - MMU notifiers (Linux's mm/mmu_notifier.c): the
 * subscriptions of an address space and the calls that tell them about
 * changes to its page tables.
 *
 * Who calls what (the core's hooks, each a start/end pair around the
 * change; model/mmu_notifier.h has the rules):
 *
 *   munmap, mmap over a mapping, exit  UNMAP            memory.c unmap_vmas() (mmap.c)
 *   MADV_DONTNEED                      CLEAR            memory.c zap_page_range_single()
 *   COW and unshare copies             CLEAR (a page)   memory.c wp_page_copy()
 *   fork's write protection            PROTECTION_PAGE  memory.c copy_page_range()
 *   mprotect                           PROTECTION_VMA   mprotect.c change_protection()
 *   THP split of a PMD                 CLEAR (2 MiB)    huge_memory.c __split_huge_pmd(),
 *                                                       split_pmd_one()
 *   migration, compaction, split_folio CLEAR (a folio)  rmap.c try_to_migrate_one()
 *   truncate, hole punch, reclaim, dax CLEAR (a folio)  rmap.c unmap_one()
 *   writeback's write protection       PROTECTION_PAGE  rmap.c mkclean_one()
 *   the end of the address space       ->release()      mmap.c exit_mmap()
 *
 * Why the list needs no lock of its own.  Linux reads it under SRCU; the
 * model uses the locks the callers hold anyway.  Every start/end pair is
 * made holding either the mm's mmap_lock (faults, zaps, mprotect, fork)
 * or the reverse-map lock through which a walker reached one of the mm's
 * VMAs (migration, truncate, writeback, reclaim, split).  The list changes
 * only with mmap_lock held for write *and* every reverse-map lock of the
 * mm's VMAs held for write (mm_take_all_locks(), vma.c).  So an
 * invalidator never sees the list change under it, and -- the property
 * a mirror needs -- registration waits for every pair in flight: a
 * subscriber never misses the start of a change whose PTE update it could
 * then observe, nor gets an end without its start.  Unregistration and
 * release take the same locks, so when they return no callback of the
 * subscription runs (Linux's synchronize_srcu()).
 *
 * Lock order: callbacks run with the caller's locks (any of mmap_lock,
 * invalidate_lock, a folio lock, i_mmap_rwsem or an anon_vma root rwsem;
 * never a ptl, never the registry lock); a subscriber's own lock therefore
 * nests inside all of those and outside the leaves folio_put() may take
 * (zone->lock, lru_lock, the pin registry lock).  Registration takes
 * mmap_lock (write), then mm_all_locks_mutex, then the reverse-map locks.
 */
#include "internal.h"

/* mmu_notifier->pnm_state (zero: never registered, or unregistered). */
#define PNM_MN_REGISTERED	0x6d6e7231U	/* on mm->notifier_subscriptions */
#define PNM_MN_RELEASED		0x6d6e7232U	/* taken off by the mm's teardown */

/*
 * Call every subscription's invalidate_range_start() for @range.  A
 * callback must accept a blockable range (the only kind the model sends);
 * a non-zero return is a subscriber bug, warned about.  Caller: see
 * model/mmu_notifier.h (no ptl; mmap_lock or the VMA's reverse-map lock).
 */
void __mmu_notifier_invalidate_range_start(struct mmu_notifier_range *range)
{
	struct mmu_notifier *sub;

	VM_WARN_ON_ONCE(range->start >= range->end);
	count_vm_event(PNM_MMU_NOTIFIER_INVALIDATE);
	for (sub = READ_ONCE(range->mm->notifier_subscriptions); sub; sub = sub->pnm_next) {
		if (sub->ops->invalidate_range_start) {
			int ret = sub->ops->invalidate_range_start(sub, range);

			VM_WARN_ON_ONCE(ret);
		}
	}
	pnm_trace(PNM_TRACE_MMU_NOTIFY, range->mm->owner_pid, range->start, range->end,
		  range->event, 0);
}

/* The end of the same range (same thread, the same locks still held). */
void __mmu_notifier_invalidate_range_end(struct mmu_notifier_range *range)
{
	struct mmu_notifier *sub;

	for (sub = READ_ONCE(range->mm->notifier_subscriptions); sub; sub = sub->pnm_next)
		if (sub->ops->invalidate_range_end)
			sub->ops->invalidate_range_end(sub, range);
}

/*
 * Take @sub off @mm's list.  mmap_lock (write) and mm_take_all_locks()
 * held, so no invalidator is walking the list.
 */
static void unlink_subscription(struct mm_struct *mm, struct mmu_notifier *sub)
{
	struct mmu_notifier **pp;

	for (pp = &mm->notifier_subscriptions; *pp; pp = &(*pp)->pnm_next) {
		if (*pp == sub) {
			WRITE_ONCE(*pp, sub->pnm_next);
			sub->pnm_next = NULL;
			atomic_dec(&mm->pnm_nr_notifiers);
			return;
		}
	}
	VM_WARN_ON_ONCE(1);	/* registered, yet not on the list */
}

/*
 * exit_mmap()'s part (model/mmu_notifier.h): every ->release(), then the
 * list emptied under all the mm's reverse-map locks.  A walker may still
 * be between a start and an end of some subscription while its release
 * runs (it holds a reverse-map lock, not mmap_lock), as in Linux; the
 * unlinking waits for it.
 */
void __mmu_notifier_release(struct mm_struct *mm)
{
	struct mmu_notifier *sub;

	mmap_assert_write_locked(mm);
	for (sub = mm->notifier_subscriptions; sub; sub = sub->pnm_next) {
		count_vm_event(PNM_MMU_NOTIFIER_RELEASE);
		if (sub->ops->release)
			sub->ops->release(sub, mm);
	}
	mm_take_all_locks(mm);
	while ((sub = mm->notifier_subscriptions)) {
		unlink_subscription(mm, sub);
		sub->pnm_state = PNM_MN_RELEASED;
	}
	mm_drop_all_locks(mm);
}

/*
 * mmu_notifier_register - pinmm/mmu_notifier.h.  The new subscription is
 * put at the head of the list (Linux's order).
 */
int mmu_notifier_register(struct mmu_notifier *subscription, struct mm_struct *mm)
{
	if (!subscription || !mm || !subscription->ops)
		return -EINVAL;
	if (subscription->pnm_state)
		return -EBUSY;
	/* The caller's user reference keeps it non-zero; zero means the
	 * address space is gone and no release would ever come. */
	if (atomic_read(&mm->mm_users) <= 0)
		return -EINVAL;

	mmap_write_lock(mm);
	mm_take_all_locks(mm);
	mmgrab(mm);
	subscription->mm = mm;
	subscription->pnm_state = PNM_MN_REGISTERED;
	subscription->pnm_next = mm->notifier_subscriptions;
	WRITE_ONCE(mm->notifier_subscriptions, subscription);
	atomic_inc(&mm->pnm_nr_notifiers);
	mm_drop_all_locks(mm);
	mmap_write_unlock(mm);
	return 0;
}

/*
 * mmu_notifier_unregister - pinmm/mmu_notifier.h.  Works after the
 * address space has gone too (the subscription's mmgrab() keeps the
 * struct and its mmap_lock): release already ran then and the
 * subscription is off the list.
 */
void mmu_notifier_unregister(struct mmu_notifier *subscription, struct mm_struct *mm)
{
	/* ->mm is the subscriber's own (set by register, cleared below);
	 * ->pnm_state may be changed by the mm's teardown, under mmap_lock. */
	if (!subscription || !mm || VM_WARN_ON_ONCE(subscription->mm != mm))
		return;

	mmap_write_lock(mm);
	if (VM_WARN_ON_ONCE(subscription->pnm_state != PNM_MN_REGISTERED &&
			    subscription->pnm_state != PNM_MN_RELEASED)) {
		mmap_write_unlock(mm);
		return;
	}
	if (subscription->pnm_state == PNM_MN_REGISTERED) {
		/* Still on the list: the user gets its one ->release() now. */
		count_vm_event(PNM_MMU_NOTIFIER_RELEASE);
		if (subscription->ops->release)
			subscription->ops->release(subscription, mm);
		mm_take_all_locks(mm);
		unlink_subscription(mm, subscription);
		mm_drop_all_locks(mm);
	}
	subscription->pnm_state = 0;
	subscription->mm = NULL;
	mmap_write_unlock(mm);
	mmdrop(mm);
}

/* pnm_mmu_notifier_count - pinmm/mmu_notifier.h. */
unsigned int pnm_mmu_notifier_count(struct mm_struct *mm)
{
	return mm ? (unsigned int)atomic_read(&mm->pnm_nr_notifiers) : 0;
}

/* pnm_check_mmu_notifiers - model/mmu_notifier.h. */
bool pnm_check_mmu_notifiers(struct mm_struct *mm)
{
	const struct mmu_notifier *sub;
	long n = 0, want = atomic_read(&mm->pnm_nr_notifiers);

	mmap_assert_locked(mm);
	for (sub = READ_ONCE(mm->notifier_subscriptions); sub; sub = sub->pnm_next) {
		if (++n > want)
			return pnm_check_fail("mm %d: more MMU notifier subscriptions than %ld "
					      "(or a cycle)", mm->owner_pid, want);
		if (sub->mm != mm || sub->pnm_state != PNM_MN_REGISTERED || !sub->ops)
			return pnm_check_fail("mm %d: MMU notifier subscription %p registered on "
					      "%p, state %#x, ops %p", mm->owner_pid,
					      (const void *)sub, (void *)sub->mm, sub->pnm_state,
					      (const void *)sub->ops);
	}
	if (n != want)
		return pnm_check_fail("mm %d: %ld MMU notifier subscriptions, count says %ld",
				      mm->owner_pid, n, want);
	return true;
}
