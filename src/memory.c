// SPDX-License-Identifier: MIT
/*
 * memory.c - page faults, unmapping and fork-time copying of page tables.
 *
 * handle_mm_fault() is the model's MMU fault entry: it checks a user
 * access against the VMA, walks (allocating) the page tables, hands PMD-sized
 * anonymous faults to huge_memory.c and resolves the rest at PTE level:
 *
 *   pte_none, anonymous VMA   read: map the shared zero page (special, r/o)
 *                             write: a new zeroed, exclusive anon page, or
 *                             a larger folio where a multi-size THP size
 *                             is on (mthp.c)
 *   pte_none, vm_ops VMA      read: map the file page read-only
 *                             private write: copy it into an anon page
 *                             shared write: page_mkwrite, map writable
 *   migration entry           wait for the migration, retry
 *   swap entry                do_swap_page(): the folio from the swap
 *                             cache or read from the device, mapped
 *                             exclusive (and writable) if the entry says
 *                             so, else read-only (a write then COWs or
 *                             reuses it as for any shared page)
 *   present, r/o, write       do_wp_page(): reuse an exclusive anon page,
 *                             copy a COW-shared one, make a shared file
 *                             page writable (page_mkwrite); legacy mode
 *                             reuses any anon page mapped only once
 *   FAULT_FLAG_UNSHARE        as the write case for anon pages, but the
 *                             result stays read-only (GUP R/O pins)
 *
 * Reference rules (brief §1): every present PTE mapping a struct page owns
 * one reference; a freshly allocated folio's reference becomes its first
 * mapping's.  The rmap functions (rmap.c) keep mapcounts, rmap items and
 * RSS counters; this file keeps refcounts.  All PTE changes happen under
 * the PTE table's ptl.  The fault never drops mmap_lock: whenever a race
 * is detected (entry changed while the ptl was dropped) the fault simply
 * walks again (PNM_FAULT_AGAIN, internal).
 *
 * Also here: unmap_vmas() (munmap, exit), zap_page_range_single()
 * (MADV_DONTNEED) and copy_page_range() (fork, brief §12).
 *
 * MMU notifiers (mmu_notifier.c): a COW or unshare copy replaces a
 * present entry, fork write-protects the parent's, the zaps clear them;
 * each is bracketed by invalidate_range_start/end, called before the ptl
 * is taken and after it is dropped.  Faults that fill an empty entry or
 * make one writable in place (a COW reuse) notify nobody, as in Linux.
 */
#include <sched.h>
#include <string.h>
#include "internal.h"

/* Internal: the entry changed under us; walk the tables again.  Never
 * returned by handle_mm_fault(). */
#define PNM_FAULT_AGAIN		0x80000000u
#define FAULT_DONE_MASK		(VM_FAULT_ERROR | VM_FAULT_NOPAGE | VM_FAULT_RETRY)

static unsigned long pmd_addr_end(unsigned long addr, unsigned long end)
{
	unsigned long next = (addr + PMD_SIZE) & PMD_MASK;

	return next - 1 < end - 1 ? next : end;
}

static unsigned long pud_addr_end(unsigned long addr, unsigned long end)
{
	unsigned long next = (addr + PUD_SIZE) & PUD_MASK;

	return next - 1 < end - 1 ? next : end;
}

static pte_t mk_pte(struct page *page, pteval_t prot)
{
	return pfn_pte(page_to_pfn(page), prot);
}

/*
 * maybe_mkwrite - make @pte writable if the VMA allows writing.  Used when
 * the fault proved the page may be written through this mapping.
 */
pte_t maybe_mkwrite(pte_t pte, struct vm_area_struct *vma)
{
	if (likely(vma->vm_flags & VM_WRITE))
		pte = pte_mkwrite(pte);
	return pte;
}

/*
 * vm_normal_page - the struct page mapped by present @pte, or NULL for a
 * special mapping (the zero page, VM_PFNMAP).  Caller holds the ptl.
 */
struct page *vm_normal_page(struct vm_area_struct *vma, unsigned long addr, pte_t pte)
{
	unsigned long pfn = pte_pfn(pte);

	(void)addr;
	if (pte_special(pte) || is_zero_pfn(pfn))
		return NULL;
	if (vma->vm_flags & VM_PFNMAP)
		return NULL;
	if (!pfn_valid(pfn))
		return NULL;
	return pfn_to_page(pfn);
}

/* vm_normal_folio - the folio of vm_normal_page(), or NULL. */
struct folio *vm_normal_folio(struct vm_area_struct *vma, unsigned long addr, pte_t pte)
{
	struct page *page = vm_normal_page(vma, addr, pte);

	return page ? page_folio(page) : NULL;
}

/*
 * vm_fault_to_errno - -ENOMEM for VM_FAULT_OOM, -EFAULT for SIGBUS,
 * SIGSEGV and HWPOISON, else 0.  @foll_flags is unused in the model.
 */
int vm_fault_to_errno(vm_fault_t vmf, unsigned int foll_flags)
{
	(void)foll_flags;
	if (vmf & VM_FAULT_OOM)
		return -ENOMEM;
	if (vmf & (VM_FAULT_SIGBUS | VM_FAULT_SIGSEGV | VM_FAULT_HWPOISON))
		return -EFAULT;
	return 0;
}

/*
 * pnm_clear_folio - zero every byte of @folio.  The caller owns the folio
 * and nobody else can see its contents yet.
 */
void pnm_clear_folio(struct folio *folio)
{
	memset(folio_address(folio), 0, folio_size(folio));
}

/*
 * A dirty PTE of a file page is going away (zap) or a shmem page is made
 * writable without ->page_mkwrite: remember the dirtiness in the folio.
 * Called under the ptl, where the folio lock (ordered outside it) cannot
 * be taken, so this only sets PG_dirty.  That is enough: a mapping that
 * tracks dirtying (a_ops->dirty_folio) only ever has writable, dirty PTEs
 * on a folio its ->page_mkwrite already dirtied, and writeback's
 * folio_mkclean() cleans and write-protects them before it cleans the
 * folio, so for those folios this finds PG_dirty already set.  Where the
 * folio lock is held, folio_mark_dirty() is used instead.
 */
static void folio_set_dirty_mapped(struct folio *folio)
{
	if (!folio_test_dirty(folio))
		SetPageDirty(&folio->page);
}

/* --- migration entries (brief §9) ---------------------------------------- */

/*
 * The entry at hand is a migration entry for @folio and the caller holds
 * @ptl (PTE or PMD table lock).  Take a reference so the folio cannot go
 * away, drop @ptl and wait for the migrator to unlock the folio.  If the
 * reference cannot be taken (the folio is frozen or being freed) the
 * migration is about to finish: just yield.  The caller walks again.
 */
static void migration_wait_locked(spinlock_t *ptl, swp_entry_t entry)
{
	struct folio *folio = pfn_folio(swp_offset_pfn(entry));
	bool got = folio_try_get(folio);

	spin_unlock(ptl);
	if (!got) {
		sched_yield();
		return;
	}
	folio_wait_locked(folio);
	folio_put(folio);
}

/*
 * migration_entry_wait_pfn - wait for the migration of the folio at @pfn
 * to finish.  The caller saw a migration entry naming @pfn and has dropped
 * the entry's ptl; it holds mmap_lock (read), which keeps the migrator's
 * folio alive until its entries are gone.  Returns at once (after a yield)
 * if no reference can be taken; the caller retries its walk either way.
 */
void migration_entry_wait_pfn(unsigned long pfn)
{
	struct folio *folio = pfn_folio(pfn);

	if (!folio_try_get(folio)) {
		sched_yield();
		return;
	}
	folio_wait_locked(folio);
	folio_put(folio);
}

/* A PMD migration entry was read locklessly at vmf->pmd: recheck and wait. */
static void pmd_migration_wait(struct mm_struct *mm, pmd_t *pmd)
{
	spinlock_t *ptl = pmd_lock(mm, pmd);
	pmd_t val = pmdp_get(pmd);

	if (is_swap_pmd(val) && is_migration_entry(pmd_to_swp_entry(val))) {
		migration_wait_locked(ptl, pmd_to_swp_entry(val));
		return;
	}
	spin_unlock(ptl);
}

/* --- anonymous faults ----------------------------------------------------- */

static void trace_fault_event(struct vm_fault *vmf, enum pnm_trace_event ev,
			      unsigned long b, unsigned long c)
{
	pnm_trace(ev, vmf->vma->vm_mm->owner_pid, vmf->address, b, c, 0);
}

/*
 * Map a new anon folio at vmf->address if the PTE is still @expect.  On
 * success the folio's allocation reference becomes the mapping's; on any
 * failure the caller still owns it.  Returns 0, PNM_FAULT_AGAIN or
 * VM_FAULT_OOM (no memory for the VMA's anon_vma).  On success with
 * @old_page non-NULL, the old mapping's rmap and reference are dropped.
 */
static vm_fault_t map_new_anon(struct vm_fault *vmf, struct folio *folio, pte_t entry,
			       pte_t expect, struct page *old_page)
{
	struct vm_area_struct *vma = vmf->vma;
	struct mm_struct *mm = vma->vm_mm;
	spinlock_t *ptl;
	pte_t *pte;

	/* The first anonymous folio of the VMA creates its anon_vma. */
	if (anon_vma_prepare(vma))
		return VM_FAULT_OOM;
	pte = pte_offset_map_lock(mm, vmf->pmd, vmf->address, &ptl);
	if (!pte)
		return PNM_FAULT_AGAIN;
	if (!pte_same(ptep_get(pte), expect)) {
		pte_unmap_unlock(pte, ptl);
		return PNM_FAULT_AGAIN;
	}
	folio_add_new_anon_rmap(folio, vma, vmf->address, RMAP_EXCLUSIVE);
	if (old_page) {
		struct folio *old = page_folio(old_page);

		/* seq_cst clear: a GUP-fast walker that grabbed the old page
		 * sees the entry change when it re-checks (pgtable.h). */
		ptep_get_and_clear(mm, vmf->address, pte);
		set_pte_at(mm, vmf->address, pte, entry);
		folio_remove_rmap_pte(old, old_page, vma);
		folio_put(old);		/* the old mapping's reference */
	} else {
		set_pte_at(mm, vmf->address, pte, entry);
	}
	pte_unmap_unlock(pte, ptl);
	return 0;
}

/*
 * Fault on an empty PTE of a private anonymous VMA.  Read: the zero page,
 * special and read-only.  Write: a new zeroed page, exclusive, writable
 * and dirty.  Allocation failure changes nothing (VM_FAULT_OOM).
 */
static vm_fault_t do_anonymous_page(struct vm_fault *vmf)
{
	struct vm_area_struct *vma = vmf->vma;
	pteval_t prot = vm_get_page_prot(vma->vm_flags);
	struct folio *folio;
	vm_fault_t ret;
	pte_t entry;

	if (vma->vm_flags & VM_SHARED)
		return VM_FAULT_SIGBUS;		/* shared anon is shmem */
	if (!(vmf->flags & FAULT_FLAG_WRITE)) {
		spinlock_t *ptl;
		pte_t *pte;

		entry = pte_mkspecial(pfn_pte(pnm_mem.zero_pfn, prot & ~_PAGE_RW));
		pte = pte_offset_map_lock(vma->vm_mm, vmf->pmd, vmf->address, &ptl);
		if (!pte)
			return PNM_FAULT_AGAIN;
		if (!pte_none(ptep_get(pte))) {
			pte_unmap_unlock(pte, ptl);
			return PNM_FAULT_AGAIN;
		}
		set_pte_at(vma->vm_mm, vmf->address, pte, entry);
		pte_unmap_unlock(pte, ptl);
		count_vm_event(PNM_ZERO_PAGE_MAPPED);
		trace_fault_event(vmf, PNM_TRACE_ZERO_PAGE, 0, 0);
		return 0;
	}
	/* A multi-size THP if a size between 4 KiB and 2 MiB is on (mthp.c). */
	ret = do_anonymous_large_folio(vmf);
	if (ret != VM_FAULT_FALLBACK)
		return ret;
	folio = folio_alloc(GFP_HIGHUSER_MOVABLE | __GFP_ZERO, 0);
	if (!folio)
		return VM_FAULT_OOM;
	entry = pte_mkdirty(maybe_mkwrite(mk_pte(&folio->page, prot), vma));
	ret = map_new_anon(vmf, folio, entry, __pte(0), NULL);
	if (ret) {
		folio_put(folio);
		return ret;
	}
	trace_fault_event(vmf, PNM_TRACE_ANON_ALLOC, folio_pfn(folio), 0);
	return 0;
}

/* --- write-protect faults ----------------------------------------------- */

/*
 * Copy-on-write (or unshare): give this mapping a private, exclusive copy
 * of @old_page (NULL: the zero page, so the copy is a zeroed page).  Called
 * without the ptl; the caller holds a reference on @old_page's folio, which
 * is dropped here.  Writable and dirty for a write fault, read-only for
 * FAULT_FLAG_UNSHARE.
 */
static vm_fault_t wp_page_copy(struct vm_fault *vmf, struct page *old_page)
{
	bool unshare = vmf->flags & FAULT_FLAG_UNSHARE;
	struct vm_area_struct *vma = vmf->vma;
	struct folio *old = old_page ? page_folio(old_page) : NULL;
	unsigned long old_pfn = pte_pfn(vmf->orig_pte);
	unsigned long haddr = vmf->address & PAGE_MASK;
	struct mmu_notifier_range range;
	struct folio *folio;
	vm_fault_t ret;
	pte_t entry;

	folio = folio_alloc(GFP_HIGHUSER_MOVABLE | (old ? 0 : __GFP_ZERO), 0);
	if (!folio) {
		ret = VM_FAULT_OOM;
		goto out_put_old;
	}
	/* A device may be writing the old page through a pin (a shared
	 * mapping of the same file; legacy mode's pinned COW page): the
	 * device's own relaxed accesses (dma.c), as fork's copy. */
	if (old_page)
		pnm_copy_from_page_racy(folio_address(folio), page_address(old_page), PAGE_SIZE);
	entry = mk_pte(&folio->page, vm_get_page_prot(vma->vm_flags));
	if (!unshare)
		entry = pte_mkdirty(maybe_mkwrite(entry, vma));
	/* The old page leaves this address: mirrors drop it first. */
	mmu_notifier_range_init(&range, MMU_NOTIFY_CLEAR, vma->vm_mm, haddr,
				haddr + PAGE_SIZE);
	mmu_notifier_invalidate_range_start(&range);
	ret = map_new_anon(vmf, folio, entry, vmf->orig_pte, old_page);
	mmu_notifier_invalidate_range_end(&range);
	if (ret) {
		folio_put(folio);
		goto out_put_old;
	}
	if (unshare) {
		count_vm_event(PNM_UNSHARE_COPY);
		trace_fault_event(vmf, PNM_TRACE_UNSHARE_COPY, old_pfn, folio_pfn(folio));
	} else {
		count_vm_event(PNM_COW_COPY);
		trace_fault_event(vmf, PNM_TRACE_COW_COPY, old_pfn, folio_pfn(folio));
	}
out_put_old:
	if (old)
		folio_put(old);
	return ret;
}

/*
 * The page may be written in place: make the PTE writable and dirty.
 * Caller holds the ptl (released here) and has checked the entry.
 */
static vm_fault_t wp_page_reuse(struct vm_fault *vmf)
{
	pte_t entry = pte_mkdirty(pte_mkyoung(vmf->orig_pte));

	entry = maybe_mkwrite(entry, vmf->vma);
	set_pte_at(vmf->vma->vm_mm, vmf->address, vmf->pte, entry);
	pte_unmap_unlock(vmf->pte, vmf->ptl);
	return 0;
}

/*
 * May a non-exclusive page of a large anon folio, mapped by PTEs here, be
 * reused (Linux 6.16+)?  Only when every reference to the folio is a
 * mapping and every mapping is in this page table: then no other process
 * and no GUP user can see the page.  Linux knows which mms map a large
 * folio (folio->_mm_id); the model counts the entries of this page table
 * that map pages of the folio where the folio lies linearly around
 * vmf->address, under the ptl the caller holds, and needs them to make
 * up the whole mapcount.  A folio with a single mapping left is not
 * reused: copying the page lets the rest of the folio go, as Linux does.
 * The mapcounts and the refcount are read under the folio's mapcount
 * lock: a mapping elsewhere goes away under it (mapcount first, the
 * reference after), and none can appear, for that would take fork (our
 * mmap_lock) or our ptl.
 */
static bool wp_can_reuse_large_anon_folio(struct vm_fault *vmf, struct folio *folio,
					  struct page *page)
{
	unsigned long nr = folio_nr_pages(folio), idx = folio_page_idx(folio, page);
	unsigned long first = vmf->address - idx * PAGE_SIZE;
	unsigned long lo = max_t(unsigned long, vmf->address & PMD_MASK, vmf->vma->vm_start);
	unsigned long hi = min_t(unsigned long, (vmf->address & PMD_MASK) + PMD_SIZE,
				 vmf->vma->vm_end);
	spinlock_t *lock = folio_mapcount_lock(folio);
	long mapcount = 0, here = 0;
	bool reuse;
	unsigned long i;

	if (folio_test_swapcache(folio) && folio_trylock(folio)) {
		folio_free_swap(folio);
		folio_unlock(folio);
	}
	for (i = 0; i < nr; i++) {
		unsigned long addr = first + i * PAGE_SIZE;
		pte_t pte;

		if (addr < lo || addr >= hi)
			continue;
		pte = ptep_get(vmf->pte - (long)idx + (long)i);
		if (pte_present(pte) && pte_pfn(pte) == folio_pfn(folio) + i)
			here++;
	}
	spin_lock(lock);
	reuse = !folio_entire_mapcount(folio);
	for (i = 0; reuse && i < nr; i++)
		mapcount += page_mapcount(folio_page(folio, i));
	/* Acquire: as for a small folio below, pairs with the last sharer's
	 * fully ordered folio_put() after its copy. */
	reuse = reuse && mapcount > 1 && here == mapcount &&
		atomic_read_acquire(&folio->_refcount) == mapcount;
	spin_unlock(lock);
	if (reuse)
		SetPageAnonExclusive(page);
	return reuse;
}

/*
 * May a non-exclusive anon page be reused?  A small folio whose only
 * reference is this mapping's: no other mapping, no GUP reference, no
 * migration in flight; a large one by wp_can_reuse_large_anon_folio()'s
 * rule.  Caller holds the ptl, so our mapping (and its reference) cannot
 * go away, and any new mapping would need fork (mmap_lock write, excluded
 * by our read lock) or the ptl.  The page becomes exclusive again.  Legacy
 * mode (pnm_config.legacy_gup) uses the pre-5.8 rule instead: reuse when
 * no page of the folio is mapped more than once, whatever other
 * references (GUP) the folio has.
 */
static bool wp_can_reuse_anon_folio(struct vm_fault *vmf, struct folio *folio,
				    struct page *page)
{
	if (pnm_config.legacy_gup) {
		if (!pnm_legacy_anon_mapped_once(folio))
			return false;
		SetPageAnonExclusive(page);
		return true;
	}
	if (folio_test_large(folio))
		return wp_can_reuse_large_anon_folio(vmf, folio, page);
	/*
	 * A page swapped back in is referenced by the swap cache too: its
	 * copy goes if no swap entry needs it any more (Linux does the same
	 * here; the trylock is allowed under the ptl).
	 */
	if (folio_test_swapcache(folio) && folio_trylock(folio)) {
		folio_free_swap(folio);
		folio_unlock(folio);
	}
	/*
	 * Acquire: pairs with the fully ordered decrement in folio_put() of
	 * the previous sharer (swap.c), so its last reads of the page (its
	 * COW copy) happen before our writes to it.
	 */
	if (atomic_read_acquire(&folio->_refcount) != 1)
		return false;
	SetPageAnonExclusive(page);
	return true;
}

/*
 * pnm_legacy_anon_mapped_once - internal.h.  The mapcounts are read under
 * the folio's mapcount lock: a previous sharer that copied the page away
 * dropped its mapcount under that lock after its copy, so the unlock/lock
 * pair orders its last reads of the data before the caller's writes.
 */
bool pnm_legacy_anon_mapped_once(struct folio *folio)
{
	spinlock_t *lock = folio_mapcount_lock(folio);
	unsigned long i, nr = folio_nr_pages(folio);
	bool once = true;

	spin_lock(lock);
	for (i = 0; i < nr && once; i++)
		once = page_mapcount(folio_page(folio, i)) <= 1;
	spin_unlock(lock);
	return once;
}

/*
 * A shared file page mapped read-only in a VM_SHARED mapping is written.
 * Caller holds the ptl.  With ->page_mkwrite the filesystem is told first
 * (ptl dropped, folio referenced; the entry is re-checked afterwards).
 */
static vm_fault_t wp_page_shared(struct vm_fault *vmf, struct folio *folio)
{
	struct vm_area_struct *vma = vmf->vma;
	vm_fault_t ret;
	pte_t *pte;

	if (!vma->vm_ops || !vma->vm_ops->page_mkwrite) {
		folio_set_dirty_mapped(folio);
		return wp_page_reuse(vmf);
	}
	folio_get(folio);
	pte_unmap_unlock(vmf->pte, vmf->ptl);
	vmf->page = pfn_to_page(pte_pfn(vmf->orig_pte));
	vmf->flags |= FAULT_FLAG_MKWRITE;
	ret = vma->vm_ops->page_mkwrite(vmf);
	if (ret & (VM_FAULT_ERROR | VM_FAULT_NOPAGE)) {
		if (ret & VM_FAULT_LOCKED)
			folio_unlock(folio);
		goto out_put;
	}
	if (!(ret & VM_FAULT_LOCKED))
		folio_lock(folio);
	ret = 0;
	pte = pte_offset_map_lock(vma->vm_mm, vmf->pmd, vmf->address, &vmf->ptl);
	if (!pte) {
		ret = PNM_FAULT_AGAIN;
		goto out_unlock_folio;
	}
	if (!pte_same(ptep_get(pte), vmf->orig_pte)) {
		pte_unmap_unlock(pte, vmf->ptl);
		ret = PNM_FAULT_AGAIN;
		goto out_unlock_folio;
	}
	vmf->pte = pte;
	/* Folio locked since ->page_mkwrite: through the filesystem. */
	folio_mark_dirty(folio);
	wp_page_reuse(vmf);
out_unlock_folio:
	folio_unlock(folio);
out_put:
	folio_put(folio);
	return ret;
}

/*
 * A write (or unshare) fault on a present read-only PTE.  Caller holds the
 * ptl (vmf->pte, vmf->ptl, vmf->orig_pte); it is released here.
 */
static vm_fault_t do_wp_page(struct vm_fault *vmf)
{
	bool unshare = vmf->flags & FAULT_FLAG_UNSHARE;
	struct vm_area_struct *vma = vmf->vma;
	struct folio *folio;
	struct page *page;

	page = vm_normal_page(vma, vmf->address, vmf->orig_pte);
	if (!page) {
		pte_unmap_unlock(vmf->pte, vmf->ptl);
		if (!is_zero_pfn(pte_pfn(vmf->orig_pte)))
			return VM_FAULT_SIGBUS;		/* raw pfn mapping */
		return wp_page_copy(vmf, NULL);
	}
	folio = page_folio(page);
	if (folio_test_anon(folio)) {
		if (PageAnonExclusive(page) || wp_can_reuse_anon_folio(vmf, folio, page)) {
			if (unshare) {
				/* Already exclusive: nothing to unshare. */
				pte_unmap_unlock(vmf->pte, vmf->ptl);
				return 0;
			}
			count_vm_event(PNM_COW_REUSE);
			trace_fault_event(vmf, PNM_TRACE_COW_REUSE, page_to_pfn(page), 0);
			return wp_page_reuse(vmf);
		}
	} else if (vma->vm_flags & VM_SHARED) {
		return wp_page_shared(vmf, folio);
	}
	/* COW-shared anon page, or a file page in a private mapping: copy. */
	folio_get(folio);
	pte_unmap_unlock(vmf->pte, vmf->ptl);
	return wp_page_copy(vmf, page);
}

/* --- file (vm_ops) faults ------------------------------------------------- */

/*
 * Ask the VMA's ->fault for the page at vmf->pgoff.  On success vmf->page
 * is set, referenced and its folio locked.
 */
static vm_fault_t __do_fault(struct vm_fault *vmf)
{
	vm_fault_t ret;

	vmf->page = NULL;
	ret = vmf->vma->vm_ops->fault(vmf);
	if (ret & FAULT_DONE_MASK)
		return ret;
	if (!vmf->page)
		return VM_FAULT_SIGBUS;
	if (!(ret & VM_FAULT_LOCKED))
		folio_lock(page_folio(vmf->page));
	return ret | VM_FAULT_LOCKED;
}

/*
 * Map the locked, referenced file page vmf->page at vmf->address if the
 * PTE is still none.  On success the caller's reference becomes the
 * mapping's.  Read faults map it read-only even in a writable shared VMA,
 * so the first write reaches ->page_mkwrite (dirty tracking); a @writable
 * mapping is made dirty and dirties the folio through folio_mark_dirty()
 * (we hold its lock).  Returns 0 or PNM_FAULT_AGAIN.
 */
static vm_fault_t map_file_page(struct vm_fault *vmf, bool writable)
{
	struct vm_area_struct *vma = vmf->vma;
	struct folio *folio = page_folio(vmf->page);
	spinlock_t *ptl;
	pte_t entry, *pte;

	entry = mk_pte(vmf->page, vm_get_page_prot(vma->vm_flags) & ~_PAGE_RW);
	if (writable)
		entry = pte_mkdirty(pte_mkwrite(entry));
	pte = pte_offset_map_lock(vma->vm_mm, vmf->pmd, vmf->address, &ptl);
	if (!pte)
		return PNM_FAULT_AGAIN;
	if (!pte_none(ptep_get(pte))) {
		pte_unmap_unlock(pte, ptl);
		return PNM_FAULT_AGAIN;
	}
	folio_add_file_rmap_pte(folio, vmf->page, vma);
	set_pte_at(vma->vm_mm, vmf->address, pte, entry);
	pte_unmap_unlock(pte, ptl);
	if (writable)
		folio_mark_dirty(folio);
	return 0;
}

/* Read fault in a vm_ops VMA: map the object's page read-only. */
static vm_fault_t do_read_fault(struct vm_fault *vmf)
{
	struct folio *folio;
	vm_fault_t ret;

	ret = __do_fault(vmf);
	if (ret & FAULT_DONE_MASK)
		return ret;
	folio = page_folio(vmf->page);
	ret = map_file_page(vmf, false);
	folio_unlock(folio);
	if (ret)
		folio_put(folio);
	return ret;
}

/* Write fault on an empty PTE of a private file mapping: copy the file
 * page into a new exclusive anon page. */
static vm_fault_t do_cow_fault(struct vm_fault *vmf)
{
	struct vm_area_struct *vma = vmf->vma;
	struct folio *new, *folio;
	vm_fault_t ret;
	pte_t entry;

	new = folio_alloc(GFP_HIGHUSER_MOVABLE, 0);
	if (!new)
		return VM_FAULT_OOM;
	ret = __do_fault(vmf);
	if (ret & FAULT_DONE_MASK)
		goto out_put_new;
	folio = page_folio(vmf->page);
	/* The cache page may be under a device write through another
	 * mapping's pin: relaxed accesses (dma.c), as wp_page_copy(). */
	pnm_copy_from_page_racy(folio_address(new), page_address(vmf->page), PAGE_SIZE);
	folio_unlock(folio);
	folio_put(folio);
	entry = mk_pte(&new->page, vm_get_page_prot(vma->vm_flags));
	entry = pte_mkdirty(maybe_mkwrite(entry, vma));
	ret = map_new_anon(vmf, new, entry, __pte(0), NULL);
	if (ret)
		goto out_put_new;
	trace_fault_event(vmf, PNM_TRACE_ANON_ALLOC, folio_pfn(new), 0);
	return 0;
out_put_new:
	folio_put(new);
	return ret;
}

/* Write fault on an empty PTE of a shared mapping: page_mkwrite, then map
 * the page writable and dirty. */
static vm_fault_t do_shared_fault(struct vm_fault *vmf)
{
	struct vm_area_struct *vma = vmf->vma;
	struct folio *folio;
	vm_fault_t ret;

	ret = __do_fault(vmf);
	if (ret & FAULT_DONE_MASK)
		return ret;
	folio = page_folio(vmf->page);
	if (vma->vm_ops->page_mkwrite) {
		folio_unlock(folio);
		vmf->flags |= FAULT_FLAG_MKWRITE;
		ret = vma->vm_ops->page_mkwrite(vmf);
		if (ret & (VM_FAULT_ERROR | VM_FAULT_NOPAGE)) {
			if (ret & VM_FAULT_LOCKED)
				folio_unlock(folio);
			folio_put(folio);
			return ret;
		}
		if (!(ret & VM_FAULT_LOCKED))
			folio_lock(folio);
	}
	ret = map_file_page(vmf, true);
	folio_unlock(folio);
	if (ret)
		folio_put(folio);
	return ret;
}

static vm_fault_t do_fault(struct vm_fault *vmf)
{
	struct vm_area_struct *vma = vmf->vma;

	if (!vma->vm_ops->fault)
		return VM_FAULT_SIGBUS;
	if (!(vmf->flags & FAULT_FLAG_WRITE))
		return do_read_fault(vmf);
	if (!(vma->vm_flags & VM_SHARED))
		return do_cow_fault(vmf);
	return do_shared_fault(vmf);
}

/* --- swap entries (swap.h) -------------------------------------------------- */

/*
 * Linux's should_try_to_free_swap(): drop the swap cache copy of the folio
 * just swapped in when swap is half full, in an mlocked VMA, or for a
 * write fault when nothing but this fault and the cache hold it (the copy
 * would be stale at once).  Asked before the folio is mapped.
 */
static bool should_try_to_free_swap(struct folio *folio, struct vm_area_struct *vma,
				    unsigned int fault_flags)
{
	if (!folio_test_swapcache(folio))
		return false;
	if (vm_swap_full() || (vma->vm_flags & VM_LOCKED))
		return true;
	return (fault_flags & FAULT_FLAG_WRITE) &&
	       folio_ref_count(folio) == 1 + (int)folio_nr_pages(folio);
}

/*
 * No device holds the slot of the swap entry the fault saw: if the PTE
 * still has it, it is bogus (SIGBUS); otherwise it changed meanwhile
 * (swapoff brought the page back): walk again.
 */
static vm_fault_t swap_entry_gone(struct vm_fault *vmf)
{
	vm_fault_t ret = PNM_FAULT_AGAIN;
	spinlock_t *ptl;
	pte_t *pte = pte_offset_map_lock(vmf->vma->vm_mm, vmf->pmd, vmf->address, &ptl);

	if (pte) {
		if (pte_same(ptep_get(pte), vmf->orig_pte))
			ret = VM_FAULT_SIGBUS;
		pte_unmap_unlock(pte, ptl);
	}
	return ret;
}

/*
 * do_swap_page - a fault on a swap entry (vmf->orig_pte; the ptl was
 * dropped by the caller).  The folio comes from the swap cache (a hit) or
 * is read from the device into it (VM_FAULT_MAJOR, pgmajfault); under its
 * lock, and the ptl of an entry that did not change meanwhile, it is
 * mapped: exclusive if the entry says the page was anon-exclusive when it
 * was swapped out (then writable in a writable VMA, dirty for a write
 * fault), otherwise read-only and shared (a write fault goes on to
 * do_wp_page(), which reuses or copies it).  The entry's count is dropped
 * (swap_free), and the swap cache copy too when nobody else needs it.  A
 * read error is VM_FAULT_SIGBUS with the entry left in place.  Caller
 * holds mmap_lock for read.
 */
static vm_fault_t do_swap_page(struct vm_fault *vmf)
{
	struct vm_area_struct *vma = vmf->vma;
	struct mm_struct *mm = vma->vm_mm;
	swp_entry_t entry = pte_to_swp_entry(vmf->orig_pte);
	struct swap_info_struct *si;
	int rmap_flags = RMAP_NONE, err;
	bool major, free_swap;
	vm_fault_t ret = 0;
	struct folio *folio;
	spinlock_t *ptl;
	pte_t *pte, new;

	if (anon_vma_prepare(vma))
		return VM_FAULT_OOM;
	si = get_swap_device(entry);
	if (!si)
		return swap_entry_gone(vmf);
	folio = swapin_folio(entry, &major, &err);
	if (!folio) {
		put_swap_device(si);
		if (err == -ENOENT)
			return PNM_FAULT_AGAIN;	/* the entry went meanwhile */
		return err == -ENOMEM ? VM_FAULT_OOM : VM_FAULT_SIGBUS;
	}
	if (major) {
		ret = VM_FAULT_MAJOR;
		count_vm_event(PGMAJFAULT);
	} else {
		count_vm_event(PNM_SWAPIN_CACHE_HIT);
	}
	folio_lock(folio);
	/* Freed from the cache while we waited (its slot may even hold
	 * another page now): look at the PTE again. */
	if (!folio_test_swapcache(folio) ||
	    folio_swap_entry(folio).val != swp_entry_canon(entry).val)
		goto out_again;
	pte = pte_offset_map_lock(mm, vmf->pmd, vmf->address, &ptl);
	if (!pte)
		goto out_again;
	if (!pte_same(ptep_get(pte), vmf->orig_pte)) {
		pte_unmap_unlock(pte, ptl);
		goto out_again;
	}
	free_swap = should_try_to_free_swap(folio, vma, vmf->flags);
	new = mk_pte(&folio->page, vm_get_page_prot(vma->vm_flags));
	if (pte_swp_soft_dirty(vmf->orig_pte))
		new = pte_mksoft_dirty(new);
	if (pte_swp_exclusive(vmf->orig_pte)) {
		/* Exclusive before it went out, so exclusive now. */
		new = maybe_mkwrite(new, vma);
		if ((vmf->flags & FAULT_FLAG_WRITE) && pte_write(new)) {
			new = pte_mkdirty(new);
			vmf->flags &= ~FAULT_FLAG_WRITE;
		}
		rmap_flags = RMAP_EXCLUSIVE;
	}
	add_mm_counter(mm, MM_SWAPENTS, -1);
	/* The lookup's reference becomes the mapping's. */
	if (!folio_test_anon(folio))
		folio_add_new_anon_rmap(folio, vma, vmf->address, rmap_flags);
	else
		folio_add_anon_rmap_pte(folio, &folio->page, vma, vmf->address, rmap_flags);
	/* Release store: pairs with gup-fast's acquire read (pgtable.h). */
	set_pte_at(mm, vmf->address, pte, new);
	swap_free(entry);
	if (free_swap)
		folio_free_swap(folio);
	pnm_trace(PNM_TRACE_SWAPIN, mm->owner_pid, vmf->address, swp_offset(entry),
		  folio_pfn(folio), major);
	folio_unlock(folio);
	put_swap_device(si);
	if (vmf->flags & FAULT_FLAG_WRITE) {
		vm_fault_t wp;

		vmf->pte = pte;
		vmf->ptl = ptl;
		vmf->orig_pte = new;
		wp = do_wp_page(vmf);	/* releases the ptl */
		return wp == PNM_FAULT_AGAIN ? wp : (ret | wp);
	}
	pte_unmap_unlock(pte, ptl);
	return ret;

out_again:
	/* Nothing maps it: if no entry names its slot any more either,
	 * the cached copy is of no use to anyone. */
	if (folio_test_swapcache(folio) && !folio_mapped(folio))
		folio_free_swap(folio);
	folio_unlock(folio);
	folio_put(folio);
	put_swap_device(si);
	return PNM_FAULT_AGAIN;
}

/* --- the fault walk -------------------------------------------------------- */

/*
 * The PTE level: vmf->pmd points to a PTE table.  Returns a VM_FAULT_*
 * result or PNM_FAULT_AGAIN.
 */
static vm_fault_t handle_pte_fault(struct vm_fault *vmf)
{
	struct vm_area_struct *vma = vmf->vma;
	pte_t entry;

	vmf->pte = pte_offset_map_lock(vma->vm_mm, vmf->pmd, vmf->address, &vmf->ptl);
	if (!vmf->pte)
		return PNM_FAULT_AGAIN;
	entry = ptep_get(vmf->pte);
	vmf->orig_pte = entry;
	if (pte_none(entry)) {
		pte_unmap_unlock(vmf->pte, vmf->ptl);
		vmf->pte = NULL;
		if (vma_is_anonymous(vma))
			return do_anonymous_page(vmf);
		return do_fault(vmf);
	}
	if (!pte_present(entry)) {
		swp_entry_t swp = pte_to_swp_entry(entry);

		if (is_migration_entry(swp)) {
			migration_wait_locked(vmf->ptl, swp);
			return PNM_FAULT_AGAIN;
		}
		pte_unmap_unlock(vmf->pte, vmf->ptl);
		if (!non_swap_entry(swp))
			return do_swap_page(vmf);
		return VM_FAULT_SIGBUS;
	}
	if (!(pte_val(entry) & _PAGE_USER) && (vma->vm_flags & VM_ACCESS_FLAGS)) {
		/* PROT_NONE leftover in an accessible VMA: restore access.
		 * (In a PROT_NONE VMA only GUP's FOLL_FORCE gets here.) */
		set_pte_at(vma->vm_mm, vmf->address, vmf->pte,
			   __pte(pte_val(entry) | _PAGE_USER));
		pte_unmap_unlock(vmf->pte, vmf->ptl);
		return PNM_FAULT_AGAIN;
	}
	if (vmf->flags & (FAULT_FLAG_WRITE | FAULT_FLAG_UNSHARE)) {
		if (!pte_write(entry))
			return do_wp_page(vmf);
		if (vmf->flags & FAULT_FLAG_WRITE)
			entry = pte_mkdirty(entry);
	}
	entry = pte_mkyoung(entry);
	if (!pte_same(entry, vmf->orig_pte))
		set_pte_at(vma->vm_mm, vmf->address, vmf->pte, entry);
	pte_unmap_unlock(vmf->pte, vmf->ptl);
	return 0;
}

/*
 * A present huge PMD.  Write/unshare on a read-only one goes to
 * do_huge_pmd_wp_page() (which reuses or splits: VM_FAULT_FALLBACK then
 * sends us to the PTE level); otherwise just mark it young (and dirty).
 */
static vm_fault_t huge_pmd_fault(struct vm_fault *vmf)
{
	struct mm_struct *mm = vmf->vma->vm_mm;
	/* _PAGE_USER only in an accessible VMA (a PROT_NONE one is reached
	 * by GUP's FOLL_FORCE only, and stays inaccessible to the user). */
	pteval_t user = (vmf->vma->vm_flags & VM_ACCESS_FLAGS) ? _PAGE_USER : 0;
	pmd_t val = vmf->orig_pmd;
	spinlock_t *ptl;

	if (((pmd_val(val) & _PAGE_USER) || !user) && !pmd_write(val) &&
	    (vmf->flags & (FAULT_FLAG_WRITE | FAULT_FLAG_UNSHARE)))
		return do_huge_pmd_wp_page(vmf);
	/* Mark it young (and dirty); restore _PAGE_USER left by PROT_NONE. */
	ptl = pmd_lock(mm, vmf->pmd);
	if (pmd_same(pmdp_get(vmf->pmd), val)) {
		val = pmd_mkyoung(__pmd(pmd_val(val) | user));
		if ((vmf->flags & FAULT_FLAG_WRITE) && pmd_write(val))
			val = pmd_mkdirty(val);
		if (!pmd_same(val, vmf->orig_pmd)) {
			set_pmd_at(mm, vmf->address, vmf->pmd, val);
			spin_unlock(ptl);
			return PNM_FAULT_AGAIN;
		}
	}
	spin_unlock(ptl);
	return 0;
}

static vm_fault_t __handle_mm_fault(struct vm_area_struct *vma, unsigned long address,
				    unsigned int flags)
{
	struct mm_struct *mm = vma->vm_mm;
	struct vm_fault vmf = {
		.vma = vma,
		.address = address & PAGE_MASK,
		.flags = flags,
		.pgoff = linear_page_index(vma, address & PAGE_MASK),
	};
	vm_fault_t ret;
	int err;

	for (;;) {
		vmf.flags = flags;
		vmf.pte = NULL;
		vmf.pmd = pnm_pmd_alloc(mm, vmf.address);
		if (!vmf.pmd)
			return VM_FAULT_OOM;
		vmf.orig_pmd = pmdp_get_lockless(vmf.pmd);
		if (pmd_none(vmf.orig_pmd) && thp_vma_suitable(vma, vmf.address)) {
			ret = do_huge_pmd_anonymous_page(&vmf);
			if (!(ret & VM_FAULT_FALLBACK))
				return ret;
			vmf.orig_pmd = pmdp_get_lockless(vmf.pmd);
		}
		if (is_swap_pmd(vmf.orig_pmd)) {
			pmd_migration_wait(mm, vmf.pmd);
			continue;
		}
		if (pmd_trans_huge(vmf.orig_pmd)) {
			ret = huge_pmd_fault(&vmf);
			if (!(ret & (VM_FAULT_FALLBACK | PNM_FAULT_AGAIN)))
				return ret;
			continue;
		}
		if (pmd_none(vmf.orig_pmd)) {
			err = __pte_alloc(mm, vmf.pmd);
			if (err == -ENOMEM)
				return VM_FAULT_OOM;
			if (err)
				continue;	/* became huge under us */
		}
		ret = handle_pte_fault(&vmf);
		if (ret != PNM_FAULT_AGAIN)
			return ret;
	}
}

/*
 * handle_mm_fault - resolve a fault at @address in @vma (contract in
 * mm.h).  Caller holds mmap_lock for read (or write) and keeps it.  Counts
 * PGFAULT.  A user fault (FAULT_FLAG_USER: the CPU's own access) that the
 * VMA does not allow is refused with VM_FAULT_SIGSEGV -- the architecture
 * fault handler's check; other faults (GUP, whose check_vma_flags()
 * decided, e.g. FOLL_FORCE on a PROT_NONE or read-only private mapping)
 * are not checked against VM_READ/VM_WRITE.  A write fault needs
 * VM_MAYWRITE, and into a !VM_WRITE VMA only a COW mapping (Linux's
 * sanitize_fault_flags(); SIGSEGV with a warning otherwise).
 * FAULT_FLAG_UNSHARE is ignored outside COW mappings and may not be
 * combined with FAULT_FLAG_WRITE.
 */
vm_fault_t handle_mm_fault(struct vm_area_struct *vma, unsigned long address,
			   unsigned int flags)
{
	struct mm_struct *mm = vma->vm_mm;
	vm_fault_t ret;

	mmap_assert_locked(mm);
	count_vm_event(PGFAULT);
	if (flags & FAULT_FLAG_UNSHARE) {
		if (VM_WARN_ON_ONCE(flags & FAULT_FLAG_WRITE)) {
			ret = VM_FAULT_SIGSEGV;
			goto out;
		}
		if (!is_cow_mapping(vma->vm_flags))
			flags &= ~FAULT_FLAG_UNSHARE;
	}
	if (address < vma->vm_start || address >= vma->vm_end ||
	    ((flags & FAULT_FLAG_USER) &&
	     (!(vma->vm_flags & VM_ACCESS_FLAGS) ||
	      ((flags & FAULT_FLAG_WRITE) && !(vma->vm_flags & VM_WRITE))))) {
		ret = VM_FAULT_SIGSEGV;
		goto out;
	}
	if ((flags & FAULT_FLAG_WRITE) &&
	    (VM_WARN_ON_ONCE(!(vma->vm_flags & VM_MAYWRITE)) ||
	     VM_WARN_ON_ONCE(!(vma->vm_flags & VM_WRITE) && !is_cow_mapping(vma->vm_flags)))) {
		ret = VM_FAULT_SIGSEGV;
		goto out;
	}
	if (is_vm_hugetlb_page(vma))
		ret = hugetlb_fault(vma, address, flags);	/* hugetlb_fault.c */
	else
		ret = __handle_mm_fault(vma, address, flags);
out:
	pnm_trace(PNM_TRACE_FAULT, mm->owner_pid, address, flags, ret, 0);
	return ret;
}

/* --- unmapping ------------------------------------------------------------ */

/*
 * The PTE at @addr mapping @page of the large @folio was just cleared
 * (its old value @entry): clear the following PTEs of [addr, end) that
 * map the following pages of @folio, moving their dirty bits to a file
 * folio as the caller did for the first.  Returns how many PTEs the run
 * has, the first included (Linux's folio_pte_batch()).  ptl held.
 */
static unsigned long zap_folio_run(struct mm_struct *mm, struct folio *folio,
				   struct page *page, unsigned long addr, unsigned long end,
				   pte_t *pte, pte_t entry)
{
	unsigned long nr = 1, max = folio_nr_pages(folio) - folio_page_idx(folio, page);

	while (nr < max && addr + nr * PAGE_SIZE < end) {
		pte_t next = ptep_get(pte + nr);

		if (!pte_present(next) || pte_special(next) ||
		    pte_pfn(next) != pte_pfn(entry) + nr)
			break;
		/* seq_cst clear, as for the first. */
		next = ptep_get_and_clear(mm, addr + nr * PAGE_SIZE, pte + nr);
		if (!folio_test_anon(folio) && pte_dirty(next))
			folio_set_dirty_mapped(folio);
		nr++;
	}
	return nr;
}

/*
 * Zap the PTEs of [addr, end) (inside one PMD).  Returns false if the walk
 * must be retried at the PMD level (the table changed).  A run of PTEs
 * mapping consecutive pages of one large folio is unmapped with one rmap
 * call, so unmapping a whole multi-size THP does not queue it for a
 * deferred split (rmap.h).
 */
static bool zap_pte_range(struct vm_area_struct *vma, pmd_t *pmd,
			  unsigned long addr, unsigned long end)
{
	struct mm_struct *mm = vma->vm_mm;
	unsigned long nr;
	spinlock_t *ptl;
	pte_t *pte;

	pte = pte_offset_map_lock(mm, pmd, addr, &ptl);
	if (!pte)
		return false;
	for (; addr < end; addr += PAGE_SIZE, pte++) {
		pte_t entry = ptep_get(pte);
		struct folio *folio;
		struct page *page;

		if (pte_none(entry))
			continue;
		if (!pte_present(entry)) {
			/*
			 * A migration entry owns no reference, mapcount or RSS
			 * (rmap.h): clear it.  remove_migration_ptes() will not
			 * find it and restores nothing here.  A swap entry owns
			 * a count on its slot and MM_SWAPENTS: give them back.
			 */
			ptep_get_and_clear(mm, addr, pte);
			if (!non_swap_entry(pte_to_swp_entry(entry))) {
				add_mm_counter(mm, MM_SWAPENTS, -1);
				free_swap_and_cache(pte_to_swp_entry(entry));
				continue;
			}
			VM_WARN_ON_ONCE(!is_migration_entry(pte_to_swp_entry(entry)));
			continue;
		}
		/* seq_cst clear: pairs with GUP-fast's grab-then-recheck. */
		entry = ptep_get_and_clear(mm, addr, pte);
		page = vm_normal_page(vma, addr, entry);
		if (!page)
			continue;
		folio = page_folio(page);
		if (!folio_test_anon(folio) && pte_dirty(entry))
			folio_set_dirty_mapped(folio);
		if (folio_test_large(folio)) {
			/* The run of following PTEs mapping the following
			 * pages of this folio goes in one rmap call. */
			nr = zap_folio_run(mm, folio, page, addr, end, pte, entry);
			folio_remove_rmap_ptes(folio, page, nr, vma);
			folio_put_refs(folio, (int)nr);
			addr += (nr - 1) * PAGE_SIZE;
			pte += nr - 1;
			continue;
		}
		folio_remove_rmap_pte(folio, page, vma);
		/* Its last mapping gone, a swap-in's cached copy may go too. */
		if (folio_test_swapcache(folio))
			free_swap_cache(folio);
		folio_put(folio);
	}
	pte_unmap_unlock(pte, ptl);
	return true;
}

/*
 * Unmap [start, end) of @vma, which the range lies inside (Linux's
 * unmap_single_vma()), with no notifier: the callers below send it.  A
 * huge PMD entirely inside the range is zapped whole; one that straddles
 * its edge is split first.  Page tables stay (free_pgd_range() frees
 * them).  Migration entries are cleared like mappings (they own nothing);
 * a PMD migration entry only partly in the range is waited out (a PMD in
 * transit cannot be split).  Caller holds mmap_lock: write (munmap, exit)
 * or read (MADV_DONTNEED).  Waiting with mmap_lock held is safe: a
 * migrator needs no mmap_lock (rmap.h).
 */
static void unmap_single_vma(struct vm_area_struct *vma, unsigned long start,
			     unsigned long end)
{
	struct mm_struct *mm = vma->vm_mm;
	unsigned long addr, next;

	mmap_assert_locked(mm);
	if (is_vm_hugetlb_page(vma)) {
		__unmap_hugepage_range(vma, start, end, NULL);	/* hugetlb_fault.c */
		return;
	}
	for (addr = start; addr < end; addr = next) {
		pmd_t *pmd = pnm_pmd_lookup(mm, addr);
		pmd_t val;

		if (!pmd) {
			next = pud_addr_end(addr, end);
			continue;
		}
		next = pmd_addr_end(addr, end);
again:
		val = pmdp_get_lockless(pmd);
		if (pmd_none(val))
			continue;
		if (is_swap_pmd(val)) {
			if (IS_ALIGNED(addr, PMD_SIZE) && next - addr == PMD_SIZE) {
				if (!zap_huge_pmd(vma, pmd, addr))
					goto again;
				continue;
			}
			pmd_migration_wait(mm, pmd);
			goto again;
		}
		if (pmd_trans_huge(val)) {
			if (IS_ALIGNED(addr, PMD_SIZE) && next - addr == PMD_SIZE) {
				if (!zap_huge_pmd(vma, pmd, addr))
					goto again;
				continue;
			}
			if (__split_huge_pmd(vma, pmd, addr)) {
				/* No frame for the PTE table: the huge page stays. */
				VM_WARN_ON_ONCE(1);
				continue;
			}
			goto again;
		}
		if (!zap_pte_range(vma, pmd, addr, next))
			goto again;
	}
}

/*
 * zap_page_range_single - unmap [start, start + size) of @vma (contract in
 * mm.h), the range clipped to the VMA; subscribers of the mm are told
 * (MMU_NOTIFY_CLEAR) around it.
 */
void zap_page_range_single(struct vm_area_struct *vma, unsigned long start,
			   unsigned long size)
{
	struct mmu_notifier_range range;
	unsigned long end = start + size;

	if (start < vma->vm_start)
		start = vma->vm_start;
	if (end > vma->vm_end || end < start)
		end = vma->vm_end;
	if (start >= end)
		return;
	mmu_notifier_range_init(&range, MMU_NOTIFY_CLEAR, vma->vm_mm, start, end);
	mmu_notifier_invalidate_range_start(&range);
	unmap_single_vma(vma, start, end);
	mmu_notifier_invalidate_range_end(&range);
}

/*
 * unmap_vmas - unmap [start, end) of @mm, from @vma (the first VMA ending
 * above @start) on: every VMA part inside the range (mm.h).  One
 * MMU_NOTIFY_UNMAP range covers it all.  Caller holds mmap_lock for write
 * (munmap, exit).
 */
void unmap_vmas(struct mm_struct *mm, struct vm_area_struct *vma, unsigned long start,
		unsigned long end)
{
	struct mmu_notifier_range range;

	mmap_assert_write_locked(mm);
	if (start >= end)
		return;
	mmu_notifier_range_init(&range, MMU_NOTIFY_UNMAP, mm, start, end);
	mmu_notifier_invalidate_range_start(&range);
	for (; vma && vma->vm_start < end; vma = vma_next(vma))
		unmap_single_vma(vma, max_t(unsigned long, start, vma->vm_start),
				 min_t(unsigned long, end, vma->vm_end));
	mmu_notifier_invalidate_range_end(&range);
}

/* --- fork ------------------------------------------------------------------ */

/*
 * The parent's anon page is exclusive and may be pinned: give the child
 * its own copy now (brief §11), exclusive, writable if the VMA is.  Both
 * ptls held.  0 or -ENOMEM (nothing changed).
 */
static int copy_present_page(struct vm_area_struct *dst_vma, struct vm_area_struct *src_vma,
			     pte_t *dst_pte, unsigned long addr, struct page *page)
{
	struct folio *new = folio_alloc(GFP_HIGHUSER_MOVABLE, 0);
	pte_t entry;

	if (!new)
		return -ENOMEM;
	/* A device may be writing the page through its pin right now: read
	 * it with the device's own relaxed accesses (dma.c); the child gets
	 * whatever the transfer had written so far, as in Linux. */
	pnm_copy_from_page_racy(folio_address(new), page_address(page), PAGE_SIZE);
	/* The child's VMA got its own anon_vma in anon_vma_fork(). */
	folio_add_new_anon_rmap(new, dst_vma, addr, RMAP_EXCLUSIVE);
	entry = mk_pte(&new->page, vm_get_page_prot(dst_vma->vm_flags));
	if (dst_vma->vm_flags & VM_WRITE)
		entry = pte_mkdirty(pte_mkwrite(entry));
	set_pte_at(dst_vma->vm_mm, addr, dst_pte, entry);
	count_vm_event(PNM_FORK_COPY_PINNED);
	pnm_trace(PNM_TRACE_FORK_COPY, src_vma->vm_mm->owner_pid, addr, page_to_pfn(page),
		  folio_pfn(new), 0);
	return 0;
}

/*
 * Fork meets a migration entry (a migrator runs without our mmap_lock):
 * the child gets a copy, which remove_migration_ptes() will find because
 * the child's VMA is after the parent's in the reverse map.  The page is
 * mapped by both from now on, so a writable or exclusive entry becomes a
 * plain readable one in both (the restored mappings are COW-shared).  Both
 * ptls held.
 */
static void copy_migration_pte(struct vm_area_struct *dst_vma,
			       struct vm_area_struct *src_vma,
			       pte_t *dst_pte, pte_t *src_pte, unsigned long addr)
{
	swp_entry_t entry = pte_to_swp_entry(ptep_get(src_pte));

	VM_WARN_ON_ONCE(!is_migration_entry(entry));
	if (swp_type(entry) == SWP_MIGRATION_READ) {
		set_pte_at(dst_vma->vm_mm, addr, dst_pte, swp_entry_to_pte(entry));
		return;
	}
	entry = migration_entry_retype(entry, SWP_MIGRATION_READ);
	set_pte_at(src_vma->vm_mm, addr, src_pte, swp_entry_to_pte(entry));
	set_pte_at(dst_vma->vm_mm, addr, dst_pte, swp_entry_to_pte(entry));
}

/*
 * Fork meets a swap entry: the child names the slot too (one more count,
 * MM_SWAPENTS), and the page is shared from now on, so neither entry
 * stays exclusive (Linux's copy_nonpresent_pte()).  Both ptls held.  0 or
 * -ENOMEM (the slot's count is full; nothing changed).
 */
static int copy_swap_pte(struct vm_area_struct *dst_vma, struct vm_area_struct *src_vma,
			 pte_t *dst_pte, pte_t *src_pte, unsigned long addr)
{
	pte_t entry = ptep_get(src_pte);

	if (swap_duplicate(pte_to_swp_entry(entry)))
		return -ENOMEM;
	if (pte_swp_exclusive(entry)) {
		entry = pte_swp_clear_exclusive(entry);
		set_pte_at(src_vma->vm_mm, addr, src_pte, entry);
	}
	set_pte_at(dst_vma->vm_mm, addr, dst_pte, entry);
	add_mm_counter(dst_vma->vm_mm, MM_SWAPENTS, 1);
	return 0;
}

/* Copy one present, migration or swap PTE; both ptls held.  0 or -ENOMEM. */
static int copy_one_pte(struct vm_area_struct *dst_vma, struct vm_area_struct *src_vma,
			pte_t *dst_pte, pte_t *src_pte, unsigned long addr)
{
	struct mm_struct *src_mm = src_vma->vm_mm;
	pte_t entry = ptep_get(src_pte);
	struct folio *folio;
	struct page *page;
	int err;

	if (!pte_present(entry)) {
		if (!non_swap_entry(pte_to_swp_entry(entry)))
			return copy_swap_pte(dst_vma, src_vma, dst_pte, src_pte, addr);
		copy_migration_pte(dst_vma, src_vma, dst_pte, src_pte, addr);
		return 0;
	}
	page = vm_normal_page(src_vma, addr, entry);
	if (!page) {
		/* The zero page: no reference, no rmap. */
		set_pte_at(dst_vma->vm_mm, addr, dst_pte, entry);
		return 0;
	}
	folio = page_folio(page);
	if (folio_test_anon(folio)) {
		err = folio_try_dup_anon_rmap_pte(folio, page, dst_vma, src_vma);
		if (err == -EBUSY)
			return copy_present_page(dst_vma, src_vma, dst_pte, addr, page);
		folio_get(folio);		/* the child's mapping */
		if (is_cow_mapping(src_vma->vm_flags) && pte_write(entry)) {
			/* seq_cst: ordered against GUP-fast (write_protect_seq). */
			ptep_set_wrprotect(src_mm, addr, src_pte);
			entry = pte_wrprotect(entry);
		}
	} else {
		folio_dup_file_rmap_pte(folio, page, dst_vma);
		folio_get(folio);
		if (is_cow_mapping(src_vma->vm_flags))
			entry = pte_wrprotect(entry);
	}
	set_pte_at(dst_vma->vm_mm, addr, dst_pte, entry);
	return 0;
}

/* Copy the PTE table under @src_pmd for [addr, end) into the child. */
static int copy_pte_range(struct vm_area_struct *dst_vma, struct vm_area_struct *src_vma,
			  pmd_t *dst_pmd, pmd_t *src_pmd, unsigned long addr,
			  unsigned long end)
{
	struct mm_struct *dst_mm = dst_vma->vm_mm, *src_mm = src_vma->vm_mm;
	spinlock_t *src_ptl, *dst_ptl;
	pte_t *src_pte, *dst_pte;
	int err = 0;

	if (__pte_alloc(dst_mm, dst_pmd))
		return -ENOMEM;
	src_pte = pte_offset_map_lock(src_mm, src_pmd, addr, &src_ptl);
	if (!src_pte)
		return 0;
	/* Parent's ptl, then the child's (mm_types.h). */
	dst_ptl = pte_lockptr(dst_mm, dst_pmd);
	spin_lock(dst_ptl);
	dst_pte = pte_offset_kernel(dst_pmd, addr);
	for (; addr < end; addr += PAGE_SIZE, src_pte++, dst_pte++) {
		if (pte_none(ptep_get(src_pte)))
			continue;
		err = copy_one_pte(dst_vma, src_vma, dst_pte, src_pte, addr);
		if (err)
			break;
	}
	spin_unlock(dst_ptl);
	pte_unmap_unlock(src_pte, src_ptl);
	return err;
}

/*
 * copy_page_range - fork's copy of @src_vma's mappings into @dst_vma
 * (brief §12).  Shared mappings are not copied (the child refaults from
 * the shared object).  In COW mappings the parent's writable anon PTEs are
 * write-protected; the caller (dup_mmap) holds the parent's
 * write_protect_seq odd around the whole copy, so GUP-fast either sees the
 * fork or fork sees its pin.  Returns 0 or -ENOMEM; after
 * -ENOMEM the child holds a consistent partial copy (every copied entry
 * with its reference and rmap item) for exit_mmap to tear down.  Both
 * mmap_locks held for write.
 */
int copy_page_range(struct vm_area_struct *dst_vma, struct vm_area_struct *src_vma)
{
	struct mm_struct *dst_mm = dst_vma->vm_mm, *src_mm = src_vma->vm_mm;
	unsigned long addr, next, end = src_vma->vm_end;
	bool is_cow = is_cow_mapping(src_vma->vm_flags);
	struct mmu_notifier_range range;
	int err = 0;

	mmap_assert_write_locked(src_mm);
	mmap_assert_write_locked(dst_mm);
	/* Private hugetlb mappings (fork.c copies no shared one). */
	if (is_vm_hugetlb_page(src_vma))
		return copy_hugetlb_page_range(dst_vma, src_vma);	/* hugetlb_fault.c */
	if (src_vma->vm_flags & VM_SHARED)
		return 0;
	/* The parent's writable entries become read-only: its mirrors drop
	 * them first (Linux's copy_page_range()). */
	mmu_notifier_range_init(&range, MMU_NOTIFY_PROTECTION_PAGE, src_mm,
				src_vma->vm_start, end);
	if (is_cow)
		mmu_notifier_invalidate_range_start(&range);
	for (addr = src_vma->vm_start; addr < end; addr = next) {
		pmd_t *src_pmd = pnm_pmd_lookup(src_mm, addr);
		pmd_t *dst_pmd;
		pmd_t val;

		if (!src_pmd) {
			next = pud_addr_end(addr, end);
			continue;
		}
		next = pmd_addr_end(addr, end);
		val = pmdp_get(src_pmd);
		if (pmd_none(val))
			continue;
		dst_pmd = pnm_pmd_alloc(dst_mm, addr);
		if (!dst_pmd) {
			err = -ENOMEM;
			break;
		}
		if (pmd_trans_huge(val) || is_swap_pmd(val)) {
			err = copy_huge_pmd(dst_vma, src_vma, dst_pmd, src_pmd, addr);
			if (err == -ENOMEM)
				break;
			if (!err)
				continue;
			err = 0;	/* -EAGAIN: split, copy the PTEs */
		}
		err = copy_pte_range(dst_vma, src_vma, dst_pmd, src_pmd, addr, next);
		if (err)
			break;
	}
	if (is_cow)
		mmu_notifier_invalidate_range_end(&range);
	return err;
}
