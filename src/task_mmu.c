// SPDX-License-Identifier: MIT
/*
 * task_mmu.c - the per-process views Linux gives in /proc/PID (its
 * fs/proc/task_mmu.c): smaps and smaps_rollup (what each mapping holds:
 * resident, proportional, shared and private, dirty, THP, hugetlb, swap),
 * pagemap (one 64-bit entry per virtual page: present, swapped, file,
 * exclusively mapped, soft-dirty, pfn or swap slot) and clear_refs
 * (forget the accessed bits, or the soft-dirty bits).  Also the checker
 * that the smaps totals agree with the mm's RSS counters.
 *
 * All of them walk a task's page tables with one walker (walk_vma()): it
 * visits the non-none entries of a VMA's range under the lock that
 * guards each (the PTE table's ptl, the PMD table's ptl for a huge PMD,
 * huge_pte_lockptr() for hugetlb entries), so a view sees every entry in
 * a consistent state; the views are read under mmap_lock for read, so no
 * VMA or page table goes meanwhile.  clear_refs changes entries only
 * under those same locks, as mprotect does.
 *
 * Lock order: mmap_lock -> page-table lock -> si->lock (swp_swapcount()).
 */
#include <string.h>

#include "internal.h"

BUILD_BUG_ON(PNM_VM_SOFTDIRTY != VM_SOFTDIRTY);

/* Proportional sizes are summed in 1/4096ths of a byte (Linux's PSS_SHIFT),
 * so that dividing a page among its mappers loses almost nothing. */
#define PSS_SHIFT	12

/* --- the walker -------------------------------------------------------------------- */

struct mmu_walk;

struct mmu_walk_ops {
	/* A non-none PTE of a VMA that is not hugetlb; its table's ptl held. */
	void (*pte_entry)(struct mmu_walk *w, unsigned long addr, pte_t *ptep);
	/* A non-none PMD that is no table pointer: a THP, the huge zero
	 * page or a migration entry; the PMD table's ptl held. */
	void (*pmd_entry)(struct mmu_walk *w, unsigned long addr, pmd_t *pmdp);
	/* A non-none hugetlb entry (PMD or PUD slot) mapping @size bytes at
	 * @addr; its lock held.  NULL: hugetlb VMAs are skipped. */
	void (*hugetlb_entry)(struct mmu_walk *w, unsigned long addr, pte_t *ptep,
			      unsigned long size);
};

struct mmu_walk {
	const struct mmu_walk_ops *ops;
	struct mm_struct *mm;
	struct vm_area_struct *vma;	/* the VMA being walked */
	void *priv;			/* the view's own state */
};


/* The next @size boundary above @addr, capped at @end. */
static unsigned long boundary(unsigned long addr, unsigned long size, unsigned long end)
{
	unsigned long next = (addr + size) & ~(size - 1);

	return next < end ? next : end;
}

static void walk_hugetlb(struct mmu_walk *w, unsigned long start, unsigned long end)
{
	struct hstate *h = hstate_vma(w->vma);
	unsigned long sz = huge_page_size(h), addr;

	for (addr = start & ~(sz - 1); addr < end; addr += sz) {
		pte_t *ptep = huge_pte_offset(w->mm, addr, sz);
		spinlock_t *ptl;

		if (!ptep)
			continue;
		ptl = huge_pte_lockptr(h, w->mm, ptep);
		spin_lock(ptl);
		if (!pte_none(huge_ptep_get(ptep)))
			w->ops->hugetlb_entry(w, addr, ptep, sz);
		spin_unlock(ptl);
	}
}

static void walk_pte_table(struct mmu_walk *w, pmd_t *pmd, unsigned long addr,
			   unsigned long end)
{
	spinlock_t *ptl;
	pte_t *pte = pte_offset_map_lock(w->mm, pmd, addr, &ptl);

	if (!pte)
		return;		/* became huge or none meanwhile */
	for (; addr < end; addr += PAGE_SIZE, pte++)
		if (!pte_none(ptep_get(pte)))
			w->ops->pte_entry(w, addr, pte);
	pte_unmap_unlock(pte, ptl);
}

/*
 * Visit the non-none entries of [start, end) inside w->vma through
 * w->ops (see struct mmu_walk_ops).  Caller holds mmap_lock.
 */
static void walk_vma(struct mmu_walk *w, unsigned long start, unsigned long end)
{
	unsigned long addr = start, next;

	if (is_vm_hugetlb_page(w->vma)) {
		if (w->ops->hugetlb_entry)
			walk_hugetlb(w, start, end);
		return;
	}
	while (addr < end) {
		pud_t *pud = pnm_pud_lookup(w->mm, addr);
		pmd_t *pmd;
		pmd_t val;

		if (!pud || pud_none(pudp_get(pud)) || !pud_present(pudp_get(pud))) {
			addr = boundary(addr, PUD_SIZE, end);
			continue;
		}
		next = boundary(addr, PMD_SIZE, end);
		pmd = pnm_pmd_lookup(w->mm, addr);
		if (!pmd) {
			addr = next;
			continue;
		}
		val = pmdp_get(pmd);
		if (pmd_is_table(val)) {
			walk_pte_table(w, pmd, addr, next);
		} else if (!pmd_none(val)) {
			spinlock_t *ptl = pmd_lock(w->mm, pmd);

			val = pmdp_get(pmd);
			if (!pmd_none(val) && !pmd_is_table(val))
				w->ops->pmd_entry(w, addr, pmd);
			spin_unlock(ptl);
			/* Split meanwhile: walk the table it became. */
			if (pmd_is_table(val))
				walk_pte_table(w, pmd, addr, next);
		}
		addr = next;
	}
}

/* Take @task's address space for a view: a user reference, or NULL. */
static struct mm_struct *view_mm(struct task_struct *task)
{
	return get_task_mm(task);
}

/* --- smaps --------------------------------------------------------------------------- */

/* A view's running sums: the caller's fields plus the proportional ones
 * in PSS_SHIFT fixed point, and what the RSS check needs. */
struct smaps_acc {
	struct pnm_smaps_info *si;
	bool locked;			/* the VMA is VM_LOCKED */
	uint64_t pss, pss_dirty, pss_anon, pss_file, pss_shmem, pss_locked, swap_pss;
	uint64_t migrating;		/* bytes named by migration entries:
					 * smaps counts them, the RSS
					 * counters do not (rmap.c) */
	uint64_t shmem;			/* resident bytes of shmem folios */
};

/* One page (or @size bytes of one folio) accounted with proportional
 * share @pss; @private says which side of shared/private it falls on. */
static void smaps_page_accumulate(struct smaps_acc *acc, struct folio *folio,
				  uint64_t size, uint64_t pss, bool dirty, bool private)
{
	struct pnm_smaps_info *si = acc->si;

	acc->pss += pss;
	if (folio_test_anon(folio))
		acc->pss_anon += pss;
	else if (folio_test_swapbacked(folio))
		acc->pss_shmem += pss;
	else
		acc->pss_file += pss;
	if (acc->locked)
		acc->pss_locked += pss;
	if (dirty || folio_test_dirty(folio)) {
		acc->pss_dirty += pss;
		if (private)
			si->private_dirty += size;
		else
			si->shared_dirty += size;
	} else {
		if (private)
			si->private_clean += size;
		else
			si->shared_clean += size;
	}
}

/*
 * Account @page (the whole folio from its head if @compound: a PMD
 * mapping) as mapped here by an entry with the given accessed and dirty
 * bits; @present false for a migration entry.  Linux's rules: a folio
 * with a single reference is mapped by this entry alone (private, full
 * share); an entry that is not present is counted as shared at full
 * share (its mapcount cannot be trusted); otherwise page by page, a page
 * mapped twice or more is shared and its share is 1/mapcount.
 */
static void smaps_account(struct smaps_acc *acc, struct page *page, bool compound,
			  bool young, bool dirty, bool present)
{
	struct folio *folio = page_folio(page);
	struct pnm_smaps_info *si = acc->si;
	unsigned long nr = compound ? folio_nr_pages(folio) : 1, i;
	uint64_t size = (uint64_t)nr * PAGE_SIZE;

	if (folio_test_anon(folio)) {
		si->anonymous += size;
		if (!folio_test_swapbacked(folio) && !dirty && !folio_test_dirty(folio))
			si->lazyfree += size;
	} else if (folio_test_swapbacked(folio)) {
		acc->shmem += size;
	}
	si->rss += size;
	if (!present)
		acc->migrating += size;
	if (young || PageReferenced(&folio->page))
		si->referenced += size;

	if (folio_ref_count(folio) == 1 || !present) {
		smaps_page_accumulate(acc, folio, size, size << PSS_SHIFT, dirty, present);
		return;
	}
	for (i = 0; i < nr; i++, page++) {
		int mapcount = page_mapcount(page);
		uint64_t pss = (uint64_t)PAGE_SIZE << PSS_SHIFT;

		if (mapcount >= 2)
			pss /= (uint64_t)mapcount;
		smaps_page_accumulate(acc, folio, PAGE_SIZE, pss, dirty, mapcount < 2);
	}
}

static void smaps_pte_entry(struct mmu_walk *w, unsigned long addr, pte_t *ptep)
{
	struct smaps_acc *acc = w->priv;
	pte_t pte = ptep_get(ptep);
	struct page *page = NULL;
	bool present = false;

	if (pte_present(pte)) {
		/* NULL for the zero page and raw pfns: not resident here. */
		page = vm_normal_page(w->vma, addr, pte);
		present = true;
	} else {
		swp_entry_t e = pte_to_swp_entry(pte);

		if (!non_swap_entry(e)) {
			int count = swp_swapcount(swp_entry_canon(e));
			uint64_t share = (uint64_t)PAGE_SIZE << PSS_SHIFT;

			acc->si->swap += PAGE_SIZE;
			if (count >= 2)
				share /= (uint64_t)count;
			acc->swap_pss += share;
			return;
		}
		if (is_migration_entry(e))
			page = pfn_to_page(swp_offset_pfn(e));
	}
	if (page)
		smaps_account(acc, page, false, present && pte_young(pte),
			      present && pte_dirty(pte), present);
}

static void smaps_pmd_entry(struct mmu_walk *w, unsigned long addr, pmd_t *pmdp)
{
	struct smaps_acc *acc = w->priv;
	pmd_t pmd = pmdp_get(pmdp);
	struct folio *folio;
	struct page *page;
	bool present = pmd_present(pmd);

	(void)addr;
	if (present) {
		if (pmd_special(pmd))
			return;		/* the huge zero page */
		page = pfn_to_page(pmd_pfn(pmd));
	} else {
		swp_entry_t e = pmd_to_swp_entry(pmd);

		if (!is_migration_entry(e))
			return;
		page = pfn_to_page(swp_offset_pfn(e));
	}
	folio = page_folio(page);
	if (folio_test_anon(folio))
		acc->si->anon_huge_pages += HPAGE_PMD_SIZE;
	else if (folio_test_swapbacked(folio))
		acc->si->shmem_pmd_mapped += HPAGE_PMD_SIZE;
	else
		acc->si->file_pmd_mapped += HPAGE_PMD_SIZE;
	smaps_account(acc, &folio->page, true, present && pmd_young(pmd),
		      present && pmd_dirty(pmd), present);
}

/* A hugetlb entry: its whole size goes to Shared_ or Private_Hugetlb and
 * nowhere else (not Rss).  An entry that is not present is "maybe
 * shared", as in smaps_account(). */
static void smaps_hugetlb_entry(struct mmu_walk *w, unsigned long addr, pte_t *ptep,
				unsigned long size)
{
	struct smaps_acc *acc = w->priv;
	pte_t pte = huge_ptep_get(ptep);
	struct folio *folio;

	(void)addr;
	if (pte_present(pte)) {
		folio = pfn_folio(pte_pfn(pte));
		if (page_mapcount(&folio->page) >= 2)
			acc->si->shared_hugetlb += size;
		else
			acc->si->private_hugetlb += size;
	} else if (is_migration_entry(pte_to_swp_entry(pte))) {
		acc->si->shared_hugetlb += size;
	}
}

static const struct mmu_walk_ops smaps_walk_ops = {
	.pte_entry = smaps_pte_entry,
	.pmd_entry = smaps_pmd_entry,
	.hugetlb_entry = smaps_hugetlb_entry,
};

/*
 * THPeligible: may THPs of some size back @vma?  Its switches allow an
 * order (thp_vma_allowable_orders) and a naturally aligned block of that
 * order fits inside it.  Only private anonymous memory gets THPs in the
 * model.  Caller holds mmap_lock.
 */
static int vma_thp_eligible(struct vm_area_struct *vma)
{
	unsigned long orders = thp_vma_allowable_orders(vma, ~0UL);
	unsigned int order;

	for (order = 0; order <= HPAGE_PMD_ORDER; order++) {
		unsigned long size = PAGE_SIZE << order, start;

		if (!(orders & BIT(order)) || vma->vm_end - vma->vm_start < size)
			continue;
		start = (vma->vm_end - size) & ~(size - 1);
		if (start >= vma->vm_start)
			return 1;
	}
	return 0;
}

/* Walk @vma into @acc (its fields add to what is there). */
static void smaps_vma(struct mm_struct *mm, struct vm_area_struct *vma, struct smaps_acc *acc)
{
	struct mmu_walk w = { .ops = &smaps_walk_ops, .mm = mm, .vma = vma, .priv = acc };

	acc->locked = vma->vm_flags & VM_LOCKED;
	acc->si->vma_size += vma->vm_end - vma->vm_start;
	walk_vma(&w, vma->vm_start, vma->vm_end);
}

/* Move the fixed-point sums of @acc into its info, in bytes. */
static void smaps_finish(struct smaps_acc *acc)
{
	struct pnm_smaps_info *si = acc->si;

	si->pss = acc->pss >> PSS_SHIFT;
	si->pss_dirty = acc->pss_dirty >> PSS_SHIFT;
	si->pss_anon = acc->pss_anon >> PSS_SHIFT;
	si->pss_file = acc->pss_file >> PSS_SHIFT;
	si->pss_shmem = acc->pss_shmem >> PSS_SHIFT;
	si->locked = acc->pss_locked >> PSS_SHIFT;
	si->swap_pss = acc->swap_pss >> PSS_SHIFT;
}

/* Size of struct pnm_smaps_info in the release that introduced it. */
#define SMAPS_INFO_SIZE_0_3	sizeof(struct pnm_smaps_info)

static bool smaps_info_ok(const struct pnm_smaps_info *info)
{
	return info && info->size >= SMAPS_INFO_SIZE_0_3 && pnm_mem.mem_map;
}

/* Hand @own to the caller's @info (as inspect.c's info_put). */
static void smaps_put(struct pnm_smaps_info *info, struct pnm_smaps_info *own)
{
	size_t n = info->size < sizeof(*own) ? info->size : sizeof(*own);

	own->size = n;
	memcpy(info, own, n);
}

/*
 * pnm_task_smaps - the smaps of @task's first mapping ending above @addr
 * (contract in pinmm/inspect.h).  0, -ENOENT, -ESRCH, -EINVAL.  Takes a
 * user reference on the address space, its mmap_lock for read and the
 * page-table locks one at a time.
 */
int pnm_task_smaps(struct task_struct *task, unsigned long addr, struct pnm_smaps_info *info)
{
	struct pnm_smaps_info si;
	struct smaps_acc acc = { .si = &si };
	struct vm_area_struct *vma;
	struct mm_struct *mm;
	int err = -ENOENT;

	if (!task || !smaps_info_ok(info))
		return -EINVAL;
	mm = view_mm(task);
	if (!mm)
		return -ESRCH;
	memset(&si, 0, sizeof(si));
	mmap_read_lock(mm);
	vma = find_vma(mm, addr);
	if (vma) {
		si.start = vma->vm_start;
		si.end = vma->vm_end;
		si.vm_flags = vma->vm_flags;
		si.kernel_page_size = vma_kernel_pagesize(vma);
		si.mmu_page_size = si.kernel_page_size;
		si.thp_eligible = vma_thp_eligible(vma);
		smaps_vma(mm, vma, &acc);
		smaps_finish(&acc);
		err = 0;
	}
	mmap_read_unlock(mm);
	mmput(mm);
	if (!err)
		smaps_put(info, &si);
	return err;
}

/* Sum every VMA of @mm into @acc.  Caller holds mmap_lock. */
static void smaps_rollup_mm(struct mm_struct *mm, struct smaps_acc *acc)
{
	struct vm_area_struct *vma;

	for (vma = find_vma(mm, 0); vma; vma = vma_next(vma)) {
		if (!acc->si->end)
			acc->si->start = vma->vm_start;
		acc->si->end = vma->vm_end;
		smaps_vma(mm, vma, acc);
	}
	smaps_finish(acc);
}

/*
 * pnm_task_smaps_rollup - the sum over all of @task's mappings (contract
 * in pinmm/inspect.h).  0, -ESRCH, -EINVAL.  Locks as pnm_task_smaps().
 */
int pnm_task_smaps_rollup(struct task_struct *task, struct pnm_smaps_info *info)
{
	struct pnm_smaps_info si;
	struct smaps_acc acc = { .si = &si };
	struct mm_struct *mm;

	if (!task || !smaps_info_ok(info))
		return -EINVAL;
	mm = view_mm(task);
	if (!mm)
		return -ESRCH;
	memset(&si, 0, sizeof(si));
	si.rollup = true;
	mmap_read_lock(mm);
	smaps_rollup_mm(mm, &acc);
	mmap_read_unlock(mm);
	mmput(mm);
	smaps_put(info, &si);
	return 0;
}

/* --- smaps field names ------------------------------------------------------------- */

#define F_VMA		0x1	/* a mapping's smaps lists it */
#define F_ROLLUP	0x2	/* smaps_rollup lists it */
#define F_BOTH		(F_VMA | F_ROLLUP)

/* Linux's lines, in its order; offset -1: not a uint64_t field. */
static const struct smaps_field {
	const char *name;
	long offset;
	unsigned int where;
} smaps_fields[] = {
#define FIELD(n, f, w)	{ n, (long)offsetof(struct pnm_smaps_info, f), w }
	FIELD("Size", vma_size, F_VMA),
	FIELD("KernelPageSize", kernel_page_size, F_VMA),
	FIELD("MMUPageSize", mmu_page_size, F_VMA),
	FIELD("Rss", rss, F_BOTH),
	FIELD("Pss", pss, F_BOTH),
	FIELD("Pss_Dirty", pss_dirty, F_BOTH),
	FIELD("Pss_Anon", pss_anon, F_ROLLUP),
	FIELD("Pss_File", pss_file, F_ROLLUP),
	FIELD("Pss_Shmem", pss_shmem, F_ROLLUP),
	FIELD("Shared_Clean", shared_clean, F_BOTH),
	FIELD("Shared_Dirty", shared_dirty, F_BOTH),
	FIELD("Private_Clean", private_clean, F_BOTH),
	FIELD("Private_Dirty", private_dirty, F_BOTH),
	FIELD("Referenced", referenced, F_BOTH),
	FIELD("Anonymous", anonymous, F_BOTH),
	FIELD("KSM", ksm, F_BOTH),
	FIELD("LazyFree", lazyfree, F_BOTH),
	FIELD("AnonHugePages", anon_huge_pages, F_BOTH),
	FIELD("ShmemPmdMapped", shmem_pmd_mapped, F_BOTH),
	FIELD("FilePmdMapped", file_pmd_mapped, F_BOTH),
	FIELD("Shared_Hugetlb", shared_hugetlb, F_BOTH),
	FIELD("Private_Hugetlb", private_hugetlb, F_BOTH),
	FIELD("Swap", swap, F_BOTH),
	FIELD("SwapPss", swap_pss, F_BOTH),
	FIELD("Locked", locked, F_BOTH),
#undef FIELD
	{ "THPeligible", -1, F_VMA },
	{ "VmFlags", -2, F_VMA },
};

/* pnm_smaps_field_name - Linux's i-th smaps line (pinmm/inspect.h). */
const char *pnm_smaps_field_name(unsigned int i, bool *vma_too, bool *rollup_too)
{
	if (i >= ARRAY_SIZE(smaps_fields))
		return NULL;
	if (vma_too)
		*vma_too = smaps_fields[i].where & F_VMA;
	if (rollup_too)
		*rollup_too = smaps_fields[i].where & F_ROLLUP;
	return smaps_fields[i].name;
}

/*
 * pnm_smaps_field - the field Linux names @name in @info (contract in
 * pinmm/inspect.h).  0, -ENOENT (not in this kind of view, or beyond the
 * caller's structure), -EINVAL.  Pure.
 */
int pnm_smaps_field(const struct pnm_smaps_info *info, const char *name, uint64_t *value)
{
	size_t i;

	if (!info || !name || !value || info->size < offsetof(struct pnm_smaps_info, end))
		return -EINVAL;
	for (i = 0; i < ARRAY_SIZE(smaps_fields); i++) {
		const struct smaps_field *f = &smaps_fields[i];
		size_t off, len;

		if (strcmp(f->name, name))
			continue;
		if (!(f->where & (info->rollup ? F_ROLLUP : F_VMA)))
			return -ENOENT;
		if (f->offset == -1) {
			off = offsetof(struct pnm_smaps_info, thp_eligible);
			len = sizeof(info->thp_eligible);
		} else if (f->offset == -2) {
			off = offsetof(struct pnm_smaps_info, vm_flags);
			len = sizeof(info->vm_flags);
		} else {
			off = (size_t)f->offset;
			len = sizeof(uint64_t);
		}
		if (info->size < off + len)
			return -ENOENT;
		if (f->offset == -1)
			*value = (uint64_t)info->thp_eligible;
		else if (f->offset == -2)
			*value = info->vm_flags;
		else
			memcpy(value, (const char *)info + off, sizeof(*value));
		return 0;
	}
	return -ENOENT;
}

/* --- pagemap ----------------------------------------------------------------------- */

struct pagemap_acc {
	uint64_t *entries;
	unsigned long start;		/* the address of entries[0] */
	unsigned long end;		/* after the last entry's page */
};

/* The slot of @addr in the caller's array (inside the walked range). */
static uint64_t *pm_slot(struct pagemap_acc *pm, unsigned long addr)
{
	return &pm->entries[(addr - pm->start) >> PAGE_SHIFT];
}

/* The entry of a swap-style entry @e (a swap slot or a migration entry):
 * type in the low bits, offset (slot or pfn) above them. */
static uint64_t pm_swap_frame(swp_entry_t e, unsigned long extra)
{
	return ((uint64_t)swp_type(e) & PNM_PM_SWAP_TYPE_MASK) |
	       ((uint64_t)(swp_offset(e) + extra) << PNM_PM_SWAP_OFFSET_SHIFT);
}

/* PM_FILE and PM_MMAP_EXCLUSIVE for @page (NULL: neither). */
static uint64_t pm_page_flags(struct page *page, bool present)
{
	uint64_t flags = 0;

	if (!page)
		return 0;
	if (!folio_test_anon(page_folio(page)))
		flags |= PNM_PM_FILE;
	if (present && page_mapcount(page) == 1)
		flags |= PNM_PM_MMAP_EXCLUSIVE;
	return flags;
}

static void pagemap_pte_entry(struct mmu_walk *w, unsigned long addr, pte_t *ptep)
{
	struct pagemap_acc *pm = w->priv;
	pte_t pte = ptep_get(ptep);
	struct page *page = NULL;
	uint64_t v = 0;

	if (pte_present(pte)) {
		v = (pte_pfn(pte) & PNM_PM_PFN_MASK) | PNM_PM_PRESENT;
		if (pte_soft_dirty(pte))
			v |= PNM_PM_SOFT_DIRTY;
		page = vm_normal_page(w->vma, addr, pte);
		v |= pm_page_flags(page, true);
	} else {
		swp_entry_t e = pte_to_swp_entry(pte);

		v = pm_swap_frame(e, 0) | PNM_PM_SWAP;
		if (pte_swp_soft_dirty(pte))
			v |= PNM_PM_SOFT_DIRTY;
		if (is_migration_entry(e))
			v |= pm_page_flags(pfn_to_page(swp_offset_pfn(e)), false);
	}
	*pm_slot(pm, addr) |= v;
}

static void pagemap_pmd_entry(struct mmu_walk *w, unsigned long addr, pmd_t *pmdp)
{
	struct pagemap_acc *pm = w->priv;
	pmd_t pmd = pmdp_get(pmdp);
	unsigned long a = addr > pm->start ? addr : pm->start;
	unsigned long end = addr + PMD_SIZE < pm->end ? addr + PMD_SIZE : pm->end;

	for (; a < end; a += PAGE_SIZE) {
		unsigned long idx = (a - addr) >> PAGE_SHIFT;
		uint64_t v;

		if (pmd_present(pmd)) {
			unsigned long pfn = pmd_pfn(pmd) + idx;

			v = (pfn & PNM_PM_PFN_MASK) | PNM_PM_PRESENT;
			if (pmd_soft_dirty(pmd))
				v |= PNM_PM_SOFT_DIRTY;
			if (!pmd_special(pmd))
				v |= pm_page_flags(pfn_to_page(pfn), true);
		} else {
			swp_entry_t e = pmd_to_swp_entry(pmd);

			v = pm_swap_frame(e, idx) | PNM_PM_SWAP;
			if (pmd_val(pmd) & _PAGE_SWP_SOFT_DIRTY)
				v |= PNM_PM_SOFT_DIRTY;
			if (is_migration_entry(e))
				v |= pm_page_flags(pfn_to_page(swp_offset_pfn(e) + idx), false);
		}
		*pm_slot(pm, a) |= v;
	}
}

/*
 * A hugetlb entry: exclusive when the folio is mapped once.  Hugetlb
 * entries carry no soft-dirty bit of their own in the model; a dirty one
 * reads soft-dirty, as Linux's does (its dirtying sets both bits, and
 * clear_refs leaves hugetlb alone).
 */
static void pagemap_hugetlb_entry(struct mmu_walk *w, unsigned long addr, pte_t *ptep,
				  unsigned long size)
{
	struct pagemap_acc *pm = w->priv;
	pte_t pte = huge_ptep_get(ptep);
	unsigned long a = addr > pm->start ? addr : pm->start;
	unsigned long end = addr + size < pm->end ? addr + size : pm->end;
	bool sd = pte_val(pte) & (_PAGE_SOFT_DIRTY | _PAGE_DIRTY);

	for (; a < end; a += PAGE_SIZE) {
		unsigned long idx = (a - addr) >> PAGE_SHIFT;
		uint64_t v;

		if (pte_present(pte)) {
			struct folio *folio = pfn_folio(pte_pfn(pte));

			v = ((pte_pfn(pte) + idx) & PNM_PM_PFN_MASK) | PNM_PM_PRESENT;
			if (!folio_test_anon(folio))
				v |= PNM_PM_FILE;
			if (page_mapcount(&folio->page) == 1)
				v |= PNM_PM_MMAP_EXCLUSIVE;
		} else {
			v = pm_swap_frame(pte_to_swp_entry(pte), idx) | PNM_PM_SWAP;
		}
		if (sd)
			v |= PNM_PM_SOFT_DIRTY;
		*pm_slot(pm, a) |= v;
	}
}

static const struct mmu_walk_ops pagemap_walk_ops = {
	.pte_entry = pagemap_pte_entry,
	.pmd_entry = pagemap_pmd_entry,
	.hugetlb_entry = pagemap_hugetlb_entry,
};

/*
 * pnm_task_pagemap - Linux's pagemap entries of @nr pages of @task from
 * @addr (contract in pinmm/inspect.h).  0, -ESRCH, -EINVAL.  Takes a user
 * reference on the address space, its mmap_lock for read and the
 * page-table locks one at a time.
 */
int pnm_task_pagemap(struct task_struct *task, unsigned long addr, uint64_t *entries,
		     unsigned long nr)
{
	struct pagemap_acc pm;
	struct vm_area_struct *vma;
	struct mm_struct *mm;
	unsigned long start = addr & PAGE_MASK, end;

	if (!task || !entries || !nr || !pnm_mem.mem_map || start >= TASK_SIZE ||
	    nr > (TASK_SIZE - start) >> PAGE_SHIFT)
		return -EINVAL;
	end = start + (nr << PAGE_SHIFT);
	mm = view_mm(task);
	if (!mm)
		return -ESRCH;
	memset(entries, 0, nr * sizeof(*entries));
	pm = (struct pagemap_acc){ .entries = entries, .start = start, .end = end };
	mmap_read_lock(mm);
	for (vma = find_vma(mm, start); vma && vma->vm_start < end; vma = vma_next(vma)) {
		struct mmu_walk w = { .ops = &pagemap_walk_ops, .mm = mm, .vma = vma, .priv = &pm };
		unsigned long s = vma->vm_start > start ? vma->vm_start : start;
		unsigned long e = vma->vm_end < end ? vma->vm_end : end;

		/* Holes of a soft-dirty mapping read soft-dirty too. */
		if (vma->vm_flags & VM_SOFTDIRTY) {
			unsigned long a;

			for (a = s; a < e; a += PAGE_SIZE)
				*pm_slot(&pm, a) = PNM_PM_SOFT_DIRTY;
		}
		walk_vma(&w, s, e);
	}
	mmap_read_unlock(mm);
	mmput(mm);
	return 0;
}

/* --- clear_refs ---------------------------------------------------------------------- */

struct clear_refs_acc {
	enum pnm_clear_refs type;
};

/*
 * Would write-protecting this writable PTE of a COW mapping break a
 * pin's view of the page?  A maybe-pinned page must stay writable: a
 * write fault could not reuse it in place then (Linux skips it and
 * loses that page's soft-dirty tracking rather than the pin's data).
 */
static bool pte_is_pinned(struct vm_area_struct *vma, unsigned long addr, pte_t pte)
{
	struct page *page;

	if (!pte_write(pte) || !is_cow_mapping(vma->vm_flags) ||
	    !test_bit(MMF_HAS_PINNED, &vma->vm_mm->flags))
		return false;
	page = vm_normal_page(vma, addr, pte);
	return page && folio_maybe_dma_pinned(page_folio(page));
}

static void clear_refs_pte_entry(struct mmu_walk *w, unsigned long addr, pte_t *ptep)
{
	struct clear_refs_acc *cr = w->priv;
	pte_t pte = ptep_get(ptep);
	struct page *page;

	if (cr->type == PNM_CLEAR_REFS_SOFT_DIRTY) {
		if (pte_present(pte)) {
			if (pte_is_pinned(w->vma, addr, pte))
				return;
			/*
			 * Write-protect and clear in one seq_cst RMW, as
			 * ptep_set_wrprotect(): a gup-fast walker that read
			 * the writable entry sees it changed on its recheck
			 * and backs out (pairs with gup_fast.c's re-read).
			 */
			__atomic_fetch_and(&ptep->pte, ~(_PAGE_RW | _PAGE_SOFT_DIRTY),
					   __ATOMIC_SEQ_CST);
		} else {
			set_pte_at(w->mm, addr, ptep,
				   __pte(pte_val(pte) & ~_PAGE_SWP_SOFT_DIRTY));
		}
		return;
	}
	if (!pte_present(pte))
		return;
	page = vm_normal_page(w->vma, addr, pte);
	if (!page)
		return;
	ptep_test_and_clear_young(w->vma, addr, ptep);
	ClearPageReferenced(&page_folio(page)->page);
}

static void clear_refs_pmd_entry(struct mmu_walk *w, unsigned long addr, pmd_t *pmdp)
{
	struct clear_refs_acc *cr = w->priv;
	pmd_t pmd = pmdp_get(pmdp);

	if (cr->type == PNM_CLEAR_REFS_SOFT_DIRTY) {
		/* seq_cst as above: pairs with gup-fast's PMD re-read. */
		if (pmd_present(pmd))
			__atomic_fetch_and(&pmdp->pmd, ~(_PAGE_RW | _PAGE_SOFT_DIRTY),
					   __ATOMIC_SEQ_CST);
		else
			set_pmd_at(w->mm, addr, pmdp,
				   __pmd(pmd_val(pmd) & ~_PAGE_SWP_SOFT_DIRTY));
		return;
	}
	if (!pmd_present(pmd) || pmd_special(pmd))
		return;
	pmdp_test_and_clear_young(w->vma, addr, pmdp);
	ClearPageReferenced(&pfn_folio(pmd_pfn(pmd))->page);
}

static const struct mmu_walk_ops clear_refs_walk_ops = {
	.pte_entry = clear_refs_pte_entry,
	.pmd_entry = clear_refs_pmd_entry,
	.hugetlb_entry = NULL,		/* hugetlb is left alone */
};

/*
 * pnm_task_clear_refs - write @type to @task's clear_refs (contract in
 * pinmm/inspect.h).  0, -ESRCH, -EINVAL.  Soft-dirty: mmap_lock for write
 * (the VMAs lose VM_SOFTDIRTY), the MMU notifiers around the walk (the
 * entries are write-protected); otherwise mmap_lock for read.  Page-table
 * locks one at a time.
 */
int pnm_task_clear_refs(struct task_struct *task, enum pnm_clear_refs type)
{
	struct clear_refs_acc cr = { .type = type };
	struct mmu_notifier_range range;
	struct vm_area_struct *vma;
	struct mm_struct *mm;
	bool sd = type == PNM_CLEAR_REFS_SOFT_DIRTY;

	if (!task || type < PNM_CLEAR_REFS_ALL || type > PNM_CLEAR_REFS_SOFT_DIRTY ||
	    !pnm_mem.mem_map)
		return -EINVAL;
	mm = view_mm(task);
	if (!mm)
		return -ESRCH;
	if (sd) {
		mmap_write_lock(mm);
		for (vma = find_vma(mm, 0); vma; vma = vma_next(vma))
			WRITE_ONCE(vma->vm_flags, vma->vm_flags & ~VM_SOFTDIRTY);
		mmu_notifier_range_init(&range, MMU_NOTIFY_PROTECTION_PAGE, mm, 0, TASK_SIZE);
		mmu_notifier_invalidate_range_start(&range);
	} else {
		mmap_read_lock(mm);
	}
	for (vma = find_vma(mm, 0); vma; vma = vma_next(vma)) {
		struct mmu_walk w = { .ops = &clear_refs_walk_ops, .mm = mm, .vma = vma,
				      .priv = &cr };

		if ((type == PNM_CLEAR_REFS_ANON && vma->vm_file) ||
		    (type == PNM_CLEAR_REFS_MAPPED && !vma->vm_file))
			continue;
		walk_vma(&w, vma->vm_start, vma->vm_end);
	}
	if (sd) {
		mmu_notifier_invalidate_range_end(&range);
		mmap_write_unlock(mm);
	} else {
		mmap_read_unlock(mm);
	}
	mmput(mm);
	return 0;
}

/* --- the checker ------------------------------------------------------------------- */

/*
 * pnm_check_smaps - @mm's smaps rollup agrees with its RSS counters:
 * Rss (less pages behind migration entries, which the counters do not
 * hold) is the anon + file + shmem pages, Anonymous the anon pages, the
 * shmem pages their counter, Swap the swap entries; and the rollup is
 * consistent in itself (Rss = shared + private; Pss within Rss and the
 * sum of its anon/file/shmem parts up to rounding).  O(pages mapped): it
 * walks every page table, like pnm_check_pgtables().  Caller holds
 * mmap_lock (any mode) and no page-table lock.
 */
bool pnm_check_smaps(struct mm_struct *mm)
{
	struct pnm_smaps_info si;
	struct smaps_acc acc = { .si = &si };
	long anon = get_mm_counter(mm, MM_ANONPAGES), file = get_mm_counter(mm, MM_FILEPAGES);
	long shmem = get_mm_counter(mm, MM_SHMEMPAGES), swap = get_mm_counter(mm, MM_SWAPENTS);
	uint64_t resident, parts;

	mmap_assert_locked(mm);
	memset(&si, 0, sizeof(si));
	smaps_rollup_mm(mm, &acc);
	resident = si.rss - acc.migrating;
	if (resident != (uint64_t)(anon + file + shmem) * PAGE_SIZE)
		return pnm_check_fail("mm %d: smaps Rss %llu (less %llu migrating) but RSS "
				      "counters anon %ld + file %ld + shmem %ld pages",
				      mm->owner_pid, (unsigned long long)si.rss,
				      (unsigned long long)acc.migrating, anon, file, shmem);
	if (si.anonymous > (uint64_t)anon * PAGE_SIZE + acc.migrating ||
	    si.anonymous + acc.migrating < (uint64_t)anon * PAGE_SIZE)
		return pnm_check_fail("mm %d: smaps Anonymous %llu but MM_ANONPAGES %ld pages",
				      mm->owner_pid, (unsigned long long)si.anonymous, anon);
	if (acc.shmem > (uint64_t)shmem * PAGE_SIZE + acc.migrating ||
	    acc.shmem + acc.migrating < (uint64_t)shmem * PAGE_SIZE)
		return pnm_check_fail("mm %d: smaps shmem %llu bytes but MM_SHMEMPAGES %ld pages",
				      mm->owner_pid, (unsigned long long)acc.shmem, shmem);
	if (si.swap != (uint64_t)swap * PAGE_SIZE)
		return pnm_check_fail("mm %d: smaps Swap %llu but MM_SWAPENTS %ld",
				      mm->owner_pid, (unsigned long long)si.swap, swap);
	parts = si.shared_clean + si.shared_dirty + si.private_clean + si.private_dirty;
	if (parts != si.rss || si.pss > si.rss || si.pss_dirty > si.pss ||
	    si.anon_huge_pages > si.anonymous || si.swap_pss > si.swap)
		return pnm_check_fail("mm %d: smaps inconsistent: Rss %llu, shared+private %llu, "
				      "Pss %llu, Pss_Dirty %llu, AnonHugePages %llu, "
				      "Anonymous %llu, SwapPss %llu, Swap %llu", mm->owner_pid,
				      (unsigned long long)si.rss, (unsigned long long)parts,
				      (unsigned long long)si.pss, (unsigned long long)si.pss_dirty,
				      (unsigned long long)si.anon_huge_pages,
				      (unsigned long long)si.anonymous,
				      (unsigned long long)si.swap_pss, (unsigned long long)si.swap);
	/* Each part is truncated on its own: the sum may fall short by 2. */
	parts = si.pss_anon + si.pss_file + si.pss_shmem;
	if (parts > si.pss || parts + 2 < si.pss)
		return pnm_check_fail("mm %d: smaps Pss %llu but Pss_Anon+File+Shmem %llu",
				      mm->owner_pid, (unsigned long long)si.pss,
				      (unsigned long long)parts);
	return true;
}
