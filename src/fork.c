// SPDX-License-Identifier: MIT
/*
 * fork.c - the life cycle of an address space: creation (mm_alloc), the
 * two reference counts (mmput/mmdrop) and copying one at fork (dup_mm).
 *
 * An mm has two counts, as in Linux:
 *   mm_users  users of the address space (tasks, and rmap walkers that
 *             mmget_not_zero() it).  The last mmput() tears the mappings
 *             down (exit_mmap) and takes the mm off pnm_mm_list.
 *   mm_count  references to the struct itself (mmgrab); mm_users as a
 *             whole holds one.  The last mmdrop() frees the struct.
 *
 * Fork (dup_mmap) takes the parent's mmap_lock for write, then the new
 * child's, and copies the VMA list.  The page tables of private VMAs are
 * copied by copy_page_range() (memory.c), which COW-shares anonymous pages
 * by write-protecting both PTEs, or copies a page for the child when it may
 * be pinned.  That write-protection is bracketed by the parent's
 * write_protect_seq being odd, which gup-fast samples so that it either
 * sees the fork or fork sees its pin (brief §5.3, §12).  Shared mappings
 * (shmem included) are not copied at PTE level: the child faults them in
 * from the shared object.  VM_DONTCOPY (MADV_DONTFORK) VMAs are left out;
 * the child's VMAs lose VM_LOCKED (mlock is not inherited).
 *
 * A fork that runs out of memory at any point tears the half-built child
 * down completely (mmput) and fails with -ENOMEM.  The parent keeps its
 * mappings and data; pages already COW-shared with the dead child are
 * simply exclusive again in all but the PTE's write bit, which the next
 * write fault restores (reuse, refcount 1).
 */
#include <stdlib.h>

#include "internal.h"

/*
 * Every live mm, for the system checker.  The lock only protects the list
 * links (mm->mmlist); nothing else is taken under it.
 */
spinlock_t pnm_mm_list_lock = { .m = PTHREAD_MUTEX_INITIALIZER, .owner = 0 };
LIST_HEAD(pnm_mm_list);

/*
 * A new, empty address space: a PGD, no VMAs, mm_users and mm_count 1,
 * search base MMAP_BASE, user space up to TASK_SIZE.  It is on
 * pnm_mm_list; the caller sets owner_pid before anybody else can see it.
 * Returns NULL on -ENOMEM.
 */
struct mm_struct *mm_alloc(void)
{
	struct mm_struct *mm = pnm_calloc(PNM_FAULT_ALLOC, 1, sizeof(*mm));

	if (!mm)
		return NULL;
	init_rwsem(&mm->mmap_lock);
	spin_lock_init(&mm->page_table_lock);
	atomic_set(&mm->mm_users, 1);
	atomic_set(&mm->mm_count, 1);
	seqcount_init(&mm->write_protect_seq);
	mm->mmap_base = MMAP_BASE;
	mm->task_size = TASK_SIZE;
	INIT_LIST_HEAD(&mm->mmlist);
	pnm_mm_limits_init(mm);		/* RLIMIT_MEMLOCK, capabilities */
	if (pgd_alloc(mm))
		goto out_free_mm;

	spin_lock(&pnm_mm_list_lock);
	list_add_tail(&mm->mmlist, &pnm_mm_list);
	spin_unlock(&pnm_mm_list_lock);
	return mm;

out_free_mm:
	pnm_mm_limits_destroy(mm);
	spin_lock_destroy(&mm->page_table_lock);
	rwsem_destroy(&mm->mmap_lock);
	free(mm);
	return NULL;
}

/*
 * Drop a reference to the mm struct; the last one frees it.  By then the
 * address space is gone (exit_mmap ran when mm_users reached zero).  Any
 * context; takes no lock.
 */
void mmdrop(struct mm_struct *mm)
{
	/* Fully ordered: everything done with the mm happens before the free. */
	if (!atomic_dec_and_test(&mm->mm_count))
		return;
	VM_BUG_ON(atomic_read(&mm->mm_users) != 0);
	pnm_pin_budget_mm_free(mm);
	pgd_free(mm);		/* no-op after exit_mmap */
	vma_set_destroy(mm);
	pnm_mm_limits_destroy(mm);
	spin_lock_destroy(&mm->page_table_lock);
	rwsem_destroy(&mm->mmap_lock);
	free(mm);
}

/*
 * Drop a user of the address space.  The last user takes the mm off
 * pnm_mm_list, tears every mapping and table down (exit_mmap, which takes
 * mmap_lock for write: the caller must not hold it) and drops the struct
 * reference mm_users held.
 */
void mmput(struct mm_struct *mm)
{
	/* Fully ordered: pairs with mmget_not_zero() in rmap walkers. */
	if (!atomic_dec_and_test(&mm->mm_users))
		return;
	spin_lock(&pnm_mm_list_lock);
	list_del_init(&mm->mmlist);
	spin_unlock(&pnm_mm_list_lock);
	/* Pins it still owns outlive it: report them (they stay). */
	pnm_pin_registry_mm_exit(mm);
	exit_mmap(mm);
	mmdrop(mm);
}

/*
 * Does the child need the parent's page tables for this VMA?  Private
 * mappings do (their anonymous pages exist nowhere else); shared ones
 * refault from the object -- shared hugetlb mappings included: the child
 * maps the file's huge page on its first touch, as in Linux, whose fork
 * copies no entries of a VMA without an anon_vma -- except raw PFN maps,
 * which have no object.
 */
static bool vma_needs_copy(const struct vm_area_struct *src_vma)
{
	if (src_vma->vm_flags & (VM_PFNMAP | VM_MIXEDMAP))
		return true;
	return !(src_vma->vm_flags & VM_SHARED);
}

/*
 * Copy @oldmm's VMAs (and the page tables of those that need them) into
 * the new, empty @mm.  Takes both mmap_locks for write, parent first.
 * Returns 0 or -ENOMEM; on failure @mm holds whatever was copied so far,
 * consistently, for the caller to tear down.
 */
static int dup_mmap(struct mm_struct *mm, struct mm_struct *oldmm)
{
	struct vm_area_struct *mpnt, *tmp;
	int err = 0;

	mmap_write_lock(oldmm);
	mmap_write_lock(mm);	/* new and unreachable: uncontended */

	/*
	 * Odd while the parent's PTEs are being write-protected: gup-fast
	 * samples the count before its lockless walk and re-checks it after
	 * taking its pins (raw_read_seqcount / read_seqcount_retry in
	 * gup_fast.c), so a pin racing with the write-protection is either
	 * seen by folio_needs_cow_for_dma() here or backed out by gup-fast.
	 * Writers are serialised by oldmm's mmap_lock, held for write.
	 */
	raw_write_seqcount_begin(&oldmm->write_protect_seq);
	for_each_vma(oldmm, mpnt) {
		if (mpnt->vm_flags & VM_DONTCOPY)
			continue;
		tmp = vm_area_dup(mpnt);
		if (!tmp) {
			err = -ENOMEM;
			break;
		}
		tmp->vm_mm = mm;
		/* Memory locks are not inherited (mlock.c). */
		tmp->vm_flags &= ~VM_LOCKED;
		/* A private hugetlb mapping's child owns no reservation. */
		if (is_vm_hugetlb_page(tmp))
			hugetlb_dup_vma_private(tmp);
		/*
		 * Reverse-map links before any entry is copied, and after the
		 * parent's in every tree (interval_tree.h): a walker that
		 * meets the parent's mapping before fork copies it meets the
		 * child's copy later in the same walk.
		 */
		err = anon_vma_fork(tmp, mpnt);
		if (err) {
			remove_vma(tmp);
			break;
		}
		err = vma_set_insert(mm, tmp);
		if (err) {
			unlink_anon_vmas(tmp);
			remove_vma(tmp);
			break;
		}
		vma_link_file(tmp);
		if (vma_needs_copy(mpnt)) {
			err = copy_page_range(tmp, mpnt);
			if (err)
				break;
		}
	}
	raw_write_seqcount_end(&oldmm->write_protect_seq);

	mmap_write_unlock(mm);
	mmap_write_unlock(oldmm);
	return err;
}

/*
 * Build the address space of a child being forked from @oldmm (which the
 * caller keeps alive with mm_users): a new mm owned by @child_pid holding
 * a copy of every VMA but the VM_DONTCOPY ones.  Emits PNM_TRACE_FORK.
 * Returns 0 with *mmp set, or -ENOMEM after tearing the partial child down
 * (nothing leaks; the parent's data is unchanged).  Takes both mmap_locks
 * for write; the caller holds neither.
 */
int dup_mm(struct mm_struct *oldmm, int parent_pid, int child_pid,
	   struct mm_struct **mmp)
{
	struct mm_struct *mm;
	int err;

	mm = mm_alloc();
	if (!mm)
		return -ENOMEM;
	mm->owner_pid = child_pid;
	pnm_mm_limits_fork(oldmm, mm);	/* RLIMIT_MEMLOCK, capabilities */
	err = dup_mmap(mm, oldmm);
	if (!err)
		err = pnm_pin_budget_fork(oldmm, mm);	/* the process pin limit */
	if (err) {
		mmput(mm);
		return err;
	}
	pnm_trace(PNM_TRACE_FORK, parent_pid, (unsigned long)parent_pid,
		  (unsigned long)child_pid, 0, 0);
	*mmp = mm;
	return 0;
}
