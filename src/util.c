// SPDX-License-Identifier: MIT
/*
 * util.c - the public API's calls on a task, and the exported copies of
 * the accessors the library keeps inline (Linux's mm/util.c holds the
 * like: vm_mmap() and friends).
 *
 * Every pnm_* call about a process takes its task (pinmm/task.h).  The
 * wrappers here take a user reference on the task's address space
 * (get_task_mm), call the model's call on the mm, and drop it, so the
 * address space cannot be torn down under them by a concurrent
 * pnm_task_exit(); an exited task gives -ESRCH.
 */
#include "internal.h"

/* ---- the model's system calls on a task --------------------------------- */

long pnm_mmap(struct task_struct *task, unsigned long addr, unsigned long len,
	      unsigned long prot, unsigned long flags, struct file *file,
	      unsigned long off)
{
	struct mm_struct *mm = get_task_mm(task);
	long ret;

	if (!mm)
		return -ESRCH;
	ret = pnm_mm_mmap(mm, addr, len, prot, flags, file, off);
	mmput(mm);
	return ret;
}

long pnm_mmap_pfnmap(struct task_struct *task, unsigned long len, unsigned long prot,
		     unsigned long vm_flags)
{
	struct mm_struct *mm = get_task_mm(task);
	long ret;

	if (!mm)
		return -ESRCH;
	ret = pnm_mm_mmap_pfnmap(mm, len, prot, vm_flags);
	mmput(mm);
	return ret;
}

int pnm_munmap(struct task_struct *task, unsigned long addr, unsigned long len)
{
	struct mm_struct *mm = get_task_mm(task);
	int ret;

	if (!mm)
		return -ESRCH;
	ret = pnm_mm_munmap(mm, addr, len);
	mmput(mm);
	return ret;
}

long pnm_mremap(struct task_struct *task, unsigned long old_addr, unsigned long old_len,
		unsigned long new_len, unsigned long flags, unsigned long new_addr)
{
	struct mm_struct *mm = get_task_mm(task);
	long ret;

	if (!mm)
		return -ESRCH;
	ret = pnm_mm_mremap(mm, old_addr, old_len, new_len, flags, new_addr);
	mmput(mm);
	return ret;
}

int pnm_mprotect(struct task_struct *task, unsigned long addr, unsigned long len,
		 unsigned long prot)
{
	struct mm_struct *mm = get_task_mm(task);
	int ret;

	if (!mm)
		return -ESRCH;
	ret = pnm_mm_mprotect(mm, addr, len, prot);
	mmput(mm);
	return ret;
}

int pnm_madvise(struct task_struct *task, unsigned long addr, unsigned long len,
		int advice)
{
	struct mm_struct *mm = get_task_mm(task);
	int ret;

	if (!mm)
		return -ESRCH;
	ret = pnm_mm_madvise(mm, addr, len, advice);
	mmput(mm);
	return ret;
}

int pnm_mlock(struct task_struct *task, unsigned long addr, size_t len)
{
	struct mm_struct *mm = get_task_mm(task);
	int ret;

	if (!mm)
		return -ESRCH;
	ret = pnm_mm_mlock(mm, addr, len);
	mmput(mm);
	return ret;
}

int pnm_munlock(struct task_struct *task, unsigned long addr, size_t len)
{
	struct mm_struct *mm = get_task_mm(task);
	int ret;

	if (!mm)
		return -ESRCH;
	ret = pnm_mm_munlock(mm, addr, len);
	mmput(mm);
	return ret;
}

int pnm_msync(struct task_struct *task, unsigned long start, size_t len, int flags)
{
	struct mm_struct *mm = get_task_mm(task);
	int ret;

	if (!mm)
		return -ESRCH;
	ret = pnm_mm_msync(mm, start, len, flags);
	mmput(mm);
	return ret;
}

int pnm_translate(struct task_struct *task, unsigned long addr,
		  unsigned long *pfn, bool *writable)
{
	struct mm_struct *mm = get_task_mm(task);
	int ret;

	if (!mm)
		return -ESRCH;
	ret = pnm_mm_translate(mm, addr, pfn, writable);
	mmput(mm);
	return ret;
}

long pnm_migrate_range(struct task_struct *task, unsigned long addr,
		       unsigned long len, enum pnm_zone_type zone)
{
	struct mm_struct *mm;
	long ret;

	if ((unsigned int)zone >= PNM_NR_ZONES)
		return -EINVAL;
	mm = get_task_mm(task);
	if (!mm)
		return -ESRCH;
	ret = pnm_mm_migrate_range(mm, addr, len, (enum zone_type)zone);
	mmput(mm);
	return ret;
}

int pnm_compact_zone(enum pnm_zone_type zone, unsigned int order,
		     struct pnm_compact_result *res)
{
	struct pnm_compact_result scratch;

	if ((unsigned int)zone >= PNM_NR_ZONES)
		return -EINVAL;
	return compact_zone(pnm_zone((enum zone_type)zone), order, res ? res : &scratch);
}

/* ---- exported copies of the inline accessors ----------------------------
 * Each #undef exposes the public prototype (pinmm/gup.h, pinmm/task.h)
 * that the definition below is checked against; the body calls the
 * inline under its renamed name (model/compiler.h).
 */
#undef get_page
void get_page(struct page *page)
{
	pnm_inline_get_page(page);
}

#undef put_page
void put_page(struct page *page)
{
	pnm_inline_put_page(page);
}

#undef folio_get
void folio_get(struct folio *folio)
{
	pnm_inline_folio_get(folio);
}

#undef folio_put
void folio_put(struct folio *folio)
{
	pnm_inline_folio_put(folio);
}

#undef folio_ref_add
void folio_ref_add(struct folio *folio, int nr)
{
	pnm_inline_folio_ref_add(folio, nr);
}

#undef page_folio
struct folio *page_folio(const struct page *page)
{
	return pnm_inline_page_folio(page);
}

#undef folio_page
struct page *folio_page(struct folio *folio, unsigned long n)
{
	return pnm_inline_folio_page(folio, n);
}

#undef folio_nr_pages
unsigned long folio_nr_pages(const struct folio *folio)
{
	return pnm_inline_folio_nr_pages(folio);
}

#undef page_to_pfn
unsigned long page_to_pfn(const struct page *page)
{
	return pnm_inline_page_to_pfn(page);
}

#undef folio_pfn
unsigned long folio_pfn(const struct folio *folio)
{
	return pnm_inline_folio_pfn(folio);
}

#undef page_address
void *page_address(const struct page *page)
{
	return pnm_inline_page_address(page);
}

#undef folio_address
void *folio_address(const struct folio *folio)
{
	return pnm_inline_folio_address(folio);
}

#undef page_maybe_dma_pinned
bool page_maybe_dma_pinned(struct page *page)
{
	return pnm_inline_page_maybe_dma_pinned(page);
}

#undef mmap_read_lock
void mmap_read_lock(struct mm_struct *mm)
{
	pnm_inline_mmap_read_lock(mm);
}

#undef mmap_read_unlock
void mmap_read_unlock(struct mm_struct *mm)
{
	pnm_inline_mmap_read_unlock(mm);
}
