// SPDX-License-Identifier: MIT
/*
 * uaccess.c - the CPU's loads and stores to user memory (brief §7).
 *
 * An access is done one page at a time, the way a CPU would: look up the
 * translation in the page tables; if the leaf is present, user-accessible
 * and (for a store) writable, move the bytes with the leaf's table lock
 * held (the model's stand-in for a TLB entry: nobody can unmap or COW the
 * page mid-copy) and set the accessed/dirty bits as the MMU does.
 * Otherwise drop the lock, raise a fault with handle_mm_fault() and try
 * again.  Everything runs under mmap_lock held for read.
 *
 * Concurrent accesses to the same bytes through the same page table are
 * serialised by its ptl; accesses through different tables (a page shared
 * by two processes) race exactly as two CPUs would.
 */
#include <string.h>
#include "internal.h"

/* Faults taken for one page before the access is declared hopeless: a
 * correct fault path needs one or two, migration races a few more. */
#define PNM_ACCESS_MAX_FAULTS	100000

static void move_bytes(struct page *page, unsigned long addr, void *buf, size_t len,
		       bool write)
{
	unsigned char *p = (unsigned char *)page_address(page) + (addr & ~PAGE_MASK);

	if (write)
		memcpy(p, buf, len);
	else
		memcpy(buf, p, len);
}

/*
 * The access through a 1 GiB hugetlb PUD leaf (hugetlb.h), under the
 * lock of such entries, mm->page_table_lock.  True if done; false if the
 * entry is gone or does not allow it.  (2 MiB hugetlb leaves are PMD
 * leaves and go through the huge PMD path below.)
 */
static bool access_pud_leaf(struct mm_struct *mm, pud_t *pud, unsigned long addr,
			    void *buf, size_t len, bool write)
{
	pteval_t want = _PAGE_ACCESSED | (write ? _PAGE_DIRTY : 0);
	pud_t val;

	spin_lock(&mm->page_table_lock);
	val = pudp_get(pud);
	if (!pud_leaf(val) || !(pud_val(val) & _PAGE_USER) || (write && !pud_write(val))) {
		spin_unlock(&mm->page_table_lock);
		return false;
	}
	move_bytes(pfn_to_page(pud_pfn(val) + ((addr & ~PUD_MASK) >> PAGE_SHIFT)),
		   addr, buf, len, write);
	/* Release store, as set_pmd_at() (pgtable.h). */
	if ((pud_val(val) & want) != want)
		__atomic_store_n(&pud->pud, pud_val(val) | want, __ATOMIC_RELEASE);
	spin_unlock(&mm->page_table_lock);
	return true;
}

/*
 * Do the access of @len bytes at @addr (inside one page) through the
 * current translation, if it allows it.  Returns true if done.
 */
static bool access_mapped(struct mm_struct *mm, unsigned long addr, void *buf,
			  size_t len, bool write)
{
	pud_t *pud = pnm_pud_lookup(mm, addr);
	pmd_t *pmd = pnm_pmd_lookup(mm, addr);
	spinlock_t *ptl;
	pmd_t pmdval;
	pte_t *pte, entry;

	if (pud && pud_leaf(pudp_get(pud)))
		return access_pud_leaf(mm, pud, addr, buf, len, write);
	if (!pmd)
		return false;
	pmdval = pmdp_get_lockless(pmd);
	if (pmd_trans_huge(pmdval)) {
		ptl = pmd_lock(mm, pmd);
		pmdval = pmdp_get(pmd);
		if (!pmd_trans_huge(pmdval) || !(pmd_val(pmdval) & _PAGE_USER) ||
		    (write && !pmd_write(pmdval))) {
			spin_unlock(ptl);
			return false;
		}
		move_bytes(pfn_to_page(pmd_pfn(pmdval) + ((addr & ~PMD_MASK) >> PAGE_SHIFT)),
			   addr, buf, len, write);
		if (write && !pmd_dirty(pmdval))
			set_pmd_at(mm, addr, pmd, pmd_mkyoung(pmd_mkdirty(pmdval)));
		spin_unlock(ptl);
		return true;
	}
	pte = pte_offset_map_lock(mm, pmd, addr, &ptl);
	if (!pte)
		return false;
	entry = ptep_get(pte);
	if (!pte_present(entry) || !(pte_val(entry) & _PAGE_USER) ||
	    (write && !pte_write(entry))) {
		pte_unmap_unlock(pte, ptl);
		return false;
	}
	move_bytes(pfn_to_page(pte_pfn(entry)), addr, buf, len, write);
	if (write && !(pte_dirty(entry) && pte_young(entry)))
		set_pte_at(mm, addr, pte, pte_mkyoung(pte_mkdirty(entry)));
	else if (!pte_young(entry))
		set_pte_at(mm, addr, pte, pte_mkyoung(entry));
	pte_unmap_unlock(pte, ptl);
	return true;
}

/* One page's worth of an access; mmap_lock held.  0, -EFAULT or -ENOMEM. */
static int access_one_page(struct mm_struct *mm, unsigned long addr, void *buf,
			   size_t len, bool write)
{
	unsigned int flags = FAULT_FLAG_USER | (write ? FAULT_FLAG_WRITE : 0);
	struct vm_area_struct *vma = vma_lookup(mm, addr);

	if (!vma)
		return -EFAULT;
	for (int tries = 0; tries < PNM_ACCESS_MAX_FAULTS; tries++) {
		vm_fault_t ret;

		if (access_mapped(mm, addr, buf, len, write))
			return 0;
		ret = handle_mm_fault(vma, addr, flags);
		if (ret & VM_FAULT_ERROR)
			return vm_fault_to_errno(ret, 0);
	}
	VM_WARN_ON_ONCE(1);	/* the fault never produced a usable entry */
	return -EFAULT;
}

/*
 * Access @len bytes at @addr of @mm page by page; *@done gets the bytes
 * moved before the first failure.  Takes mmap_lock for read.
 */
static int mm_access(struct mm_struct *mm, unsigned long addr, void *buf, size_t len,
		     bool write, size_t *done)
{
	int err = 0;

	*done = 0;
	if (!len)
		return 0;
	if (addr + len < addr)
		return -EFAULT;
	mmap_read_lock(mm);
	while (*done < len) {
		unsigned long a = addr + *done;
		size_t chunk = min_t(size_t, len - *done, PAGE_SIZE - (a & ~PAGE_MASK));

		err = access_one_page(mm, a, (unsigned char *)buf + *done, chunk, write);
		if (err)
			break;
		*done += chunk;
	}
	mmap_read_unlock(mm);
	return err;
}

/*
 * copy_to_user - store @n bytes from @from at user address @to of
 * current's mm, faulting pages in as needed.  Returns the number of bytes
 * NOT copied (0 on success; all of them when the thread runs no task or
 * the task has exited).  Uses the thread's own hold on the address space
 * (pnm_thread_mm), so a concurrent exit cannot free it mid-copy.  Takes
 * mmap_lock for read: the caller must not hold it.
 */
unsigned long copy_to_user(void __user *to, const void *from, unsigned long n)
{
	struct mm_struct *mm = pnm_thread_mm;
	size_t done;

	if (!mm)
		return n;
	mm_access(mm, (unsigned long)to, (void *)from, n, true, &done);
	return n - done;
}

/* copy_from_user - the load direction of copy_to_user(), same contract. */
unsigned long copy_from_user(void *to, const void __user *from, unsigned long n)
{
	struct mm_struct *mm = pnm_thread_mm;
	size_t done;

	if (!mm)
		return n;
	mm_access(mm, (unsigned long)from, to, n, false, &done);
	return n - done;
}

/*
 * Run as @task and access its memory through the thread's hold on the
 * address space (pnm_task_enter), so a concurrent exit cannot tear it
 * down mid-access.  -EFAULT if the thread has no address space (the task
 * exited before this thread entered it).
 */
static int task_access(struct task_struct *task, unsigned long addr, void *buf,
		       size_t len, bool write)
{
	struct task_struct *prev = pnm_task_enter(task);
	size_t done;
	int err = -EFAULT;

	if (pnm_thread_mm)
		err = mm_access(pnm_thread_mm, addr, buf, len, write, &done);
	pnm_task_leave(prev);
	return err;
}

/*
 * pnm_user_write - store @len bytes of @buf at @addr as @task (contract in
 * uaccess.h): 0, -EFAULT (also when @task has exited and the calling
 * thread does not already run as it) or -ENOMEM; the pages before the
 * failing one were written.  The caller must not hold the task's
 * mmap_lock.
 */
int pnm_user_write(struct task_struct *task, unsigned long addr,
		   const void *buf, size_t len)
{
	return task_access(task, addr, (void *)buf, len, true);
}

/* pnm_user_read - load @len bytes at @addr as @task; as pnm_user_write(). */
int pnm_user_read(struct task_struct *task, unsigned long addr, void *buf, size_t len)
{
	return task_access(task, addr, buf, len, false);
}

/*
 * pnm_mm_access - load or store @len bytes at @addr of @mm from any thread
 * (no task needed): 0, -EFAULT or -ENOMEM.  The caller keeps @mm alive and
 * does not hold its mmap_lock.
 */
int pnm_mm_access(struct mm_struct *mm, unsigned long addr, void *buf,
		  size_t len, bool write)
{
	size_t done;

	return mm_access(mm, addr, buf, len, write, &done);
}

/*
 * pnm_mm_translate - the pfn mapped at @addr of @mm and whether the
 * mapping is writable (either pointer may be NULL), without faulting; -EFAULT if no present leaf maps it (a
 * migration entry counts as not present).  Takes mmap_lock for read and
 * the leaf's table lock.
 */
int pnm_mm_translate(struct mm_struct *mm, unsigned long addr, unsigned long *pfn,
		     bool *writable)
{
	unsigned long pfn_scratch;
	bool writable_scratch;
	int err = -EFAULT;
	spinlock_t *ptl;
	pud_t *pud;
	pmd_t *pmd;
	pte_t *pte;

	/* Either result may be unwanted (NULL). */
	if (!pfn)
		pfn = &pfn_scratch;
	if (!writable)
		writable = &writable_scratch;
	mmap_read_lock(mm);
	pud = pnm_pud_lookup(mm, addr);
	if (pud && pud_leaf(pudp_get(pud))) {	/* a 1 GiB hugetlb page */
		pud_t val;

		spin_lock(&mm->page_table_lock);
		val = pudp_get(pud);
		if (pud_leaf(val)) {
			*pfn = pud_pfn(val) + ((addr & ~PUD_MASK) >> PAGE_SHIFT);
			*writable = pud_write(val);
			err = 0;
		}
		spin_unlock(&mm->page_table_lock);
		goto out_unlock;
	}
	pmd = pnm_pmd_lookup(mm, addr);
	if (!pmd)
		goto out_unlock;
	/*
	 * The PMD can change between the lockless look and the lock: a THP
	 * split (to a table), a collapse (to a leaf), a zap.  Whatever it
	 * became is read again under its lock; only a PMD that is neither
	 * a leaf nor a table (none, a migration entry) is -EFAULT.
	 */
again:
	if (pmd_trans_huge(pmdp_get_lockless(pmd))) {
		pmd_t val;

		ptl = pmd_lock(mm, pmd);
		val = pmdp_get(pmd);
		if (pmd_trans_huge(val)) {
			*pfn = pmd_pfn(val) + ((addr & ~PMD_MASK) >> PAGE_SHIFT);
			*writable = pmd_write(val);
			err = 0;
		}
		spin_unlock(ptl);
		if (err && pmd_is_table(pmdp_get_lockless(pmd)))
			goto again;	/* split meanwhile */
		goto out_unlock;
	}
	pte = pte_offset_map_lock(mm, pmd, addr, &ptl);
	if (!pte) {
		pmd_t val = pmdp_get_lockless(pmd);

		if (pmd_trans_huge(val) || pmd_is_table(val))
			goto again;	/* collapsed or replaced meanwhile */
		goto out_unlock;
	}
	if (pte_present(ptep_get(pte))) {
		*pfn = pte_pfn(ptep_get(pte));
		*writable = pte_write(ptep_get(pte));
		err = 0;
	}
	pte_unmap_unlock(pte, ptl);
out_unlock:
	mmap_read_unlock(mm);
	return err;
}
