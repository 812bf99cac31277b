// SPDX-License-Identifier: MIT
/*
 * gup.c - get_user_pages (FOLL_GET) and pin_user_pages (FOLL_PIN): the slow
 * path, the entry points and pin accounting (Linux's mm/gup.c minus the
 * lockless fast path, which is gup_fast.c, and the unpin family, which is
 * gup_unpin.c).
 *
 * A GUP call walks a user range page by page with mmap_lock held for read:
 *
 *   check_vma_flags()     may this VMA be GUP'd with these flags at all?
 *   follow_page_mask()    walk the tables under the leaf's ptl; if the page
 *                         is present and usable as asked, grab it (a
 *                         reference or a pin) and return it;
 *   faultin_page()        otherwise fault it in with handle_mm_fault()
 *                         (FAULT_FLAG_WRITE breaks COW, FAULT_FLAG_UNSHARE
 *                         gives a R/O pin an exclusive copy) and walk again.
 *
 * A huge PMD is grabbed once for every page of the request it covers.
 * FOLL_LONGTERM pins then check that every folio may stay pinned where it
 * is (not ZONE_MOVABLE or ZONE_CMA); if not, everything is unpinned, the
 * offending folios are migrated to ZONE_NORMAL and the whole range is
 * pinned again (__gup_longterm_locked(), bounded).
 *
 * Accounting (brief-gup §1).  FOLL_GET adds plain references.  FOLL_PIN,
 * in "linux" accounting, adds GUP_PIN_COUNTING_BIAS per pin to a small
 * folio's refcount, or 1 per pin to a large folio's refcount plus its
 * exact _pincount; in "exact" accounting, 1 per pin to the refcount plus
 * _pincount on large folios.  While pnm_pin_shadow_count() (internal.h:
 * exact accounting or pin_debug on) every pinned page's own
 * pnm_pincount also counts its pins exactly (misuse detection relies on
 * it; "exact" mode answers folio_maybe_dma_pinned()
 * from it); otherwise it is not touched at all, which spares the
 * production configuration one atomic per page on each side.
 * Pins belong to the folio, as in Linux: an unpin through any page of a
 * folio (or of the folio itself) releases one of the folio's pins; the
 * per-page count that drops is the named page's if it has a pin, else
 * the first pinned page's from the head on (pin_registry.c), so the
 * per-page counts of a folio always add up to its _pincount.
 * NR_FOLL_PIN_ACQUIRED/RELEASED count base pages (the unpin_* functions
 * add RELEASED once per call).  The zero page is never
 * counted for pins (it is for FOLL_GET).  Ordering rule (internal.h): a
 * pin raises _refcount before the pin counts, an unpin lowers the pin
 * counts before _refcount, so refcount >= what the pins account for at
 * every instant.  The overflow guard refuses a grab when the refcount is
 * already <= 0 (at or past 2^31): -ENOMEM here, a fall back in gup-fast.
 *
 * Legacy mode (pnm_config.legacy_gup) makes every FOLL_PIN acquire and
 * release a plain reference, as pre-2019 kernels did: no pin counts, no
 * NR_FOLL_PIN_*, no MMF_HAS_PINNED, no unsharing for R/O pins, no
 * long-term migration.  The registry still records such pins.
 *
 * FOLL_FORCE (ptrace, /proc/pid/mem): check_vma_flags() alone decides
 * what GUP may touch.  A forced read needs VM_MAYREAD, so it works on a
 * PROT_NONE private mapping too (an untouched anonymous page reads as the
 * zero page: a FOLL_GET reference is counted on it, a pin is not); a
 * forced write needs a COW mapping (private, VM_MAYWRITE) and breaks COW
 * with an ordinary write fault: the new exclusive page stays mapped
 * read-only (a COW copy, pnm_cow_copy), and can_follow_write_pte() lets
 * the write through it.  faultin_page() passes no FAULT_FLAG_USER, so
 * handle_mm_fault() does not re-check VM_READ/VM_WRITE, as in Linux where
 * that check belongs to the architecture's user fault handler.
 *
 * Model notes (where the model differs from Linux, and why):
 *   - Faults never drop mmap_lock, so VM_FAULT_RETRY/COMPLETED do not
 *     occur (except VM_FAULT_RETRY with FOLL_NOWAIT, which keeps the lock)
 *     and *locked only changes when this file takes and drops the lock
 *     itself (the _unlocked and fast-fallback paths).
 *   - P2PDMA and hwpoison do not exist in the model, so their refusals
 *     never trigger.  hugetlb VMAs are followed by hugetlb_fault.c (a
 *     huge entry is grabbed once per request, like a huge PMD); secretmem
 *     VMAs are refused (secretmem.c).
 *
 * Call sites: every exported entry point, here and in gup_fast.c, starts
 * with pnm_gup_site_enter(__builtin_return_address(0)) and ends with
 * pnm_gup_site_exit(), so that its pin record and unpin reports name the
 * caller even when the gup.h macros did not record a site
 * (pin_registry.c); entry points therefore never call each other.
 *
 * Locking: mmap_lock (read) across the walk, ptl/pmd_lock around each
 * follow, the folio lock only in migration (and in gup_unpin.c's dirtying
 * unpins).
 */
#include <sched.h>
#include <stdlib.h>

#include "internal.h"
#include "pin_registry.h"	/* pnm_pin_tcache_add_one() */

/* follow_page_mask()'s "no usable page here: fault it in" (Linux's NULL). */
#define GUP_NEED_FAULT		1
/* Faults on one address before giving up: a fault that never produces a
 * usable entry is a model bug, not something to spin on forever. */
#define GUP_MAX_FAULTS		100000
/* Long-term pin passes (pin, migrate, pin again) before -ENOMEM. */
#define GUP_LONGTERM_MAX_PASSES	16
/* Attempts per folio in the long-term migration (-EAGAIN: under
 * writeback; -EBUSY: a transient reference). */
#define GUP_MIGRATE_ATTEMPTS	4

struct follow_page_context {
	unsigned int page_mask;		/* pages - 1 of a huge leaf, else 0 */
};

/* --- accounting ------------------------------------------------------------ */

/* Legacy mode serves FOLL_PIN as FOLL_GET. */
static unsigned int gup_effective_flags(unsigned int flags)
{
	if (gup_pin_is_legacy(flags))
		return (flags & ~FOLL_PIN) | FOLL_GET;
	return flags;
}

/*
 * The pin counts of one grab: _pincount (large folios) and, if shadow
 * counts are kept, the exact per-page counts of @page..@page+@refs-1
 * (@page NULL: all on the head).  Called after the refcount part
 * (ordering rule).
 */
static void add_pin_counts(struct folio *folio, struct page *page, int refs)
{
	int i;

	if (folio_has_pincount(folio))
		atomic_add(refs, &folio->_pincount);
	if (!pnm_pin_shadow_count())
		return;
	if (!page) {
		atomic_add(refs, &folio->page.pnm_pincount);
		return;
	}
	for (i = 0; i < refs; i++)
		atomic_inc(&page[i].pnm_pincount);
}

/*
 * The pin counts of one release, before the refcount part.  @page NULL:
 * folio-level pins, which belong to the folio as a whole: the shadow
 * counts that go are the head's first, then those of the first pinned
 * pages (pnm_pin_shadow_take()), so a pin taken through any page of the
 * folio can be released this way.
 */
static void sub_pin_counts(struct folio *folio, struct page *page, int refs)
{
	int i;

	if (pnm_pin_shadow_count()) {
		if (!page)
			VM_WARN_ON_ONCE(pnm_pin_shadow_take(folio, NULL, (unsigned long)refs) !=
					(unsigned long)refs);
		else
			for (i = 0; i < refs; i++)
				atomic_dec(&page[i].pnm_pincount);
	}
	if (folio_has_pincount(folio))
		atomic_sub(refs, &folio->_pincount);
}

/*
 * Grab @refs references or pins on @folio, charging pins to the pages at
 * @page (NULL: the head).  The caller holds a stable reference or the ptl.
 */
static int __grab_folio(struct folio *folio, struct page *page, int refs,
			unsigned int flags)
{
	flags = gup_effective_flags(flags);
	/* Overflow guard: at or past 2^31 the count must not grow further. */
	if (VM_WARN_ON_ONCE(folio_ref_count(folio) <= 0))
		return -ENOMEM;
	if (flags & FOLL_GET) {
		folio_ref_add(folio, refs);
		return 0;
	}
	if (!(flags & FOLL_PIN) || is_zero_folio(folio))
		return 0;	/* the zero page's pins are only pretended */
	/*
	 * Fully ordered: the refcount part is visible before the pin counts
	 * (pairs with pnm_pin_check_put()'s pins-then-refcount snapshots).
	 */
	(void)atomic_add_return(pnm_pin_refcount_units(folio, refs), &folio->_refcount);
	add_pin_counts(folio, page, refs);
	mod_vm_stat(NR_FOLL_PIN_ACQUIRED, refs);
	return 0;
}

/* Undo __grab_folio() with the same arguments. */
static void __put_folio(struct folio *folio, struct page *page, int refs,
			unsigned int flags)
{
	flags = gup_effective_flags(flags);
	if (flags & FOLL_PIN) {
		if (is_zero_folio(folio))
			return;
		sub_pin_counts(folio, page, refs);
		mod_vm_stat(NR_FOLL_PIN_RELEASED, refs);
		refs = pnm_pin_refcount_units(folio, refs);
	}
	/* folio_put_refs() is fully ordered: the pin counts drop first. */
	folio_put_refs(folio, refs);
}

/*
 * try_grab_folio - add @refs references (FOLL_GET) or pins (FOLL_PIN) to
 * @folio; folio-level pins are charged to the head page's exact count
 * (like every pin, they belong to the folio: any unpin of the folio
 * releases them).  The caller holds a
 * stable reference or the ptl of a mapping of the folio.  Returns 0, or
 * -ENOMEM (refcount <= 0: the overflow guard, with a warning).  Neither
 * flag: nothing done, 0.  The model has no P2PDMA pages, so -EREMOTEIO
 * never happens.
 */
int try_grab_folio(struct folio *folio, int refs, unsigned int flags)
{
	return __grab_folio(folio, NULL, refs, flags);
}

/*
 * gup_put_folio - release @refs references (FOLL_GET) or pins (FOLL_PIN)
 * of @folio, as try_grab_folio() takes them: pin counts first, then the
 * references (the last one frees the folio).  Pins are the folio's: the
 * exact per-page counts that go are the head's, then those of the first
 * pinned pages.  The zero page's pins are ignored.  No registry check
 * (the unpin_* functions do that).
 */
void gup_put_folio(struct folio *folio, int refs, unsigned int flags)
{
	__put_folio(folio, NULL, refs, flags);
}

/*
 * pnm_grab_pages - see internal.h: try_grab_folio() for the @nr pages at
 * @page, each page's exact count charged.  Caller holds the ptl or a
 * reference.  0 or -ENOMEM (overflow guard).
 */
int pnm_grab_pages(struct page *page, int nr, unsigned int flags)
{
	return __grab_folio(page_folio(page), page, nr, flags);
}

/* pnm_put_pages - undo pnm_grab_pages()/pnm_grab_pages_fast() (internal.h).
 * A grab undone may be taken again by the slow path into the same array,
 * so the fast walk's span hint no longer holds. */
void pnm_put_pages(struct page *page, int nr, unsigned int flags)
{
	pnm_pin_span_hint_clear();
	__put_folio(page_folio(page), page, nr, flags);
}

/*
 * folio_is_longterm_pinnable - may @folio stay pinned indefinitely where it
 * is?  Not in ZONE_MOVABLE (it must stay migratable, hot-unpluggable) nor
 * ZONE_CMA (pins would fragment the region), nor dax file storage.  The
 * zero page may: its pins are only pretended.  Lockless; the zone of a
 * frame never changes, and the dax test reads the mapping's host inside
 * an RCU read section of its own (fs/namei.c frees inodes after a grace
 * period, and after the lockless walks inside have ended).
 */
bool folio_is_longterm_pinnable(struct folio *folio)
{
	enum zone_type zt;

	if (is_zero_folio(folio))
		return true;
	zt = page_zonenum(&folio->page);
	if (zt == ZONE_MOVABLE || zt == ZONE_CMA)
		return false;
	/* FS-DAX storage belongs to the filesystem, which must be able to
	 * reclaim it (truncate, punch); check_vma_flags() already refused
	 * FOLL_LONGTERM on dax VMAs, this covers the fast path. */
	return !pnm_folio_is_dax(folio);
}

/*
 * mm_set_has_pinned_flag - record in @mm that FOLL_PIN has run (internal.h).
 * Test first so concurrent pinners do not bounce mm->flags; never cleared.
 */
void mm_set_has_pinned_flag(struct mm_struct *mm, unsigned int gup_flags)
{
	if (!(gup_flags & FOLL_PIN) || gup_pin_is_legacy(gup_flags))
		return;
	if (!test_bit(MMF_HAS_PINNED, &mm->flags))
		set_bit(MMF_HAS_PINNED, &mm->flags);
}

/*
 * gup_must_unshare - must a R/O FOLL_PIN of @page first give the mm an
 * exclusive anonymous copy?  Only R/O pins (a write pin takes a write
 * fault, which breaks COW anyway).  Anonymous page: yes unless it is
 * PageAnonExclusive.  Other pages (page cache, the zero page): only for
 * FOLL_LONGTERM in a COW mapping, because a short-term R/O pin has no
 * reason to observe later changes; with no VMA (gup-fast) the answer is
 * "yes, go slow".  Never in legacy mode.  Caller holds the ptl or a
 * reference on the page.
 */
bool gup_must_unshare(struct vm_area_struct *vma, unsigned int flags,
		      struct page *page)
{
	if ((flags & (FOLL_WRITE | FOLL_PIN)) != FOLL_PIN || pnm_config.legacy_gup)
		return false;
	if (!folio_test_anon(page_folio(page))) {
		if (!(flags & FOLL_LONGTERM))
			return false;
		if (!vma)
			return true;
		return is_cow_mapping(vma->vm_flags);
	}
	/*
	 * Acquire: pairs with the full barrier in folio_try_share_anon_rmap_*()
	 * that precedes clearing the bit (the gup-fast side of the protocol).
	 */
	return !test_bit_acquire(PG_anon_exclusive, &page->flags);
}

/* --- VMA checks ------------------------------------------------------------------ */

/* Model stand-in for mapping_can_writeback(): the mapping tracks dirtying
 * for writeback (a_ops->dirty_folio).  shmem does not, like tmpfs. */
static bool mapping_can_writeback(struct address_space *mapping)
{
	return mapping && mapping->a_ops && mapping->a_ops->dirty_folio;
}

/* Must writes through @vma be noticed (write-notify, writeback)? */
static bool vma_needs_dirty_tracking(struct vm_area_struct *vma)
{
	if ((vma->vm_flags & (VM_SHARED | VM_WRITE)) != (VM_SHARED | VM_WRITE))
		return false;
	if (vma->vm_ops && vma->vm_ops->page_mkwrite)
		return true;
	if (vma->vm_flags & VM_PFNMAP)
		return false;
	return vma->vm_file && mapping_can_writeback(vma->vm_file->f_mapping);
}

/* A writable long-term pin of a file whose dirtying is tracked would let
 * the device dirty pages behind the filesystem's back: refused. */
static bool writable_file_mapping_allowed(struct vm_area_struct *vma,
					  unsigned int gup_flags)
{
	if ((gup_flags & (FOLL_PIN | FOLL_LONGTERM)) != (FOLL_PIN | FOLL_LONGTERM) ||
	    gup_pin_is_legacy(gup_flags))
		return true;
	return !vma_needs_dirty_tracking(vma);
}

/*
 * Beyond Linux: a long-term pin by a pin owner whose file holds a layout
 * lease on @vma's inode (fs/locks.c; the owner's pin call sets the
 * thread's pnm_gup_lease_inode) may pin a shared mapping of that inode,
 * dax or dirty-tracked: the lease's break lets the filesystem take the
 * pages back.
 */
static bool vma_leased(struct vm_area_struct *vma, unsigned int gup_flags)
{
	struct inode *inode = pnm_gup_lease_inode;

	return inode && (gup_flags & FOLL_LONGTERM) && (vma->vm_flags & VM_SHARED) &&
	       vma->vm_file && vma->vm_file->f_inode == inode;
}

/*
 * May @vma be accessed by GUP with @gup_flags?  Linux's checks, in
 * Linux's order: raw PFN/IO mappings have no pages to hand out (-EFAULT);
 * FOLL_ANON wants anonymous memory (-EFAULT); writes need a writable
 * mapping (FOLL_FORCE may write a private read-only one) and, for a
 * long-term pin of a file, no dirty tracking (-EFAULT); reads need
 * VM_READ, or FOLL_FORCE and VM_MAYREAD (-EFAULT).  FOLL_LONGTERM on an
 * FS-DAX mapping is -EOPNOTSUPP, whatever the access (reference §6.4),
 * also in legacy mode (get_user_pages_longterm() refused it in 2018
 * already).  FOLL_SPLIT_PMD on hugetlb is -EOPNOTSUPP: a hugetlb page is
 * never split.  A secretmem mapping is -EFAULT for every GUP (its pages
 * are out of the kernel's direct map: secretmem.c).
 */
static int check_vma_flags(struct vm_area_struct *vma, unsigned int gup_flags)
{
	unsigned long vm_flags = vma->vm_flags;
	bool vma_anon = vma_is_anonymous(vma);
	bool leased = vma_leased(vma, gup_flags);

	if (vm_flags & (VM_IO | VM_PFNMAP))
		return -EFAULT;
	if ((gup_flags & FOLL_ANON) && !vma_anon)
		return -EFAULT;
	if ((gup_flags & FOLL_LONGTERM) && vma_is_fsdax(vma) && !leased)
		return -EOPNOTSUPP;
	/* A hugetlb page is never split (hugetlb.h). */
	if ((gup_flags & FOLL_SPLIT_PMD) && is_vm_hugetlb_page(vma))
		return -EOPNOTSUPP;
	if (vma_is_secretmem(vma))
		return -EFAULT;
	if (gup_flags & FOLL_WRITE) {
		if (!vma_anon && !leased && !writable_file_mapping_allowed(vma, gup_flags))
			return -EFAULT;
		if (!(vm_flags & VM_WRITE)) {
			if (!(gup_flags & FOLL_FORCE))
				return -EFAULT;
			/* FOLL_FORCE never writes into a shared mapping. */
			if (!is_cow_mapping(vm_flags))
				return -EFAULT;
		}
	} else if (!(vm_flags & VM_READ)) {
		if (!(gup_flags & FOLL_FORCE))
			return -EFAULT;
		if (!(vm_flags & VM_MAYREAD))
			return -EFAULT;
	}
	return 0;
}

/* --- following the page tables ----------------------------------------------- */

/* Nothing mapped: fault it in, except that a core dump (FOLL_DUMP) wants
 * a hole rather than a freshly zero-filled page. */
static int no_page_table(struct vm_area_struct *vma, unsigned int flags)
{
	if ((flags & FOLL_DUMP) && (vma_is_anonymous(vma) || !vma->vm_ops->fault))
		return -EFAULT;
	return GUP_NEED_FAULT;
}

/* A PROT_NONE-style entry (present, _PAGE_USER clear) may be followed
 * unless the caller honours NUMA-hinting faults in an accessible VMA. */
static bool gup_can_follow_protnone(struct vm_area_struct *vma, unsigned int flags)
{
	if (!(flags & FOLL_HONOR_NUMA_FAULT))
		return true;
	return !(vma->vm_flags & VM_ACCESS_FLAGS);
}

/*
 * FOLL_FORCE may write through a read-only entry only in a private,
 * may-write, not-writable mapping, and only to an exclusive anonymous page
 * (COW already broken: the write lands in the process's own copy).
 */
static bool can_follow_write_common(struct page *page, struct vm_area_struct *vma,
				    unsigned int flags)
{
	if (!(flags & FOLL_FORCE))
		return false;
	if (vma->vm_flags & (VM_MAYSHARE | VM_SHARED))
		return false;
	if (!(vma->vm_flags & VM_MAYWRITE))
		return false;
	if (vma->vm_flags & VM_WRITE)
		return false;
	return page && folio_test_anon(page_folio(page)) && PageAnonExclusive(page);
}

static bool can_follow_write_pte(pte_t pte, struct page *page,
				 struct vm_area_struct *vma, unsigned int flags)
{
	return pte_write(pte) || can_follow_write_common(page, vma, flags);
}

/* FOLL_TOUCH on a page found: dirty it for a write, mark it referenced. */
static void gup_touch_page(struct page *page, unsigned int flags, bool entry_dirty)
{
	struct folio *folio = page_folio(page);

	if (is_zero_folio(folio) || is_huge_zero_folio(folio))
		return;
	if ((flags & FOLL_WRITE) && !entry_dirty && !folio_test_dirty(folio))
		folio_mark_dirty(folio);
	SetPageReferenced(&folio->page);
}

/*
 * The PTE level: grab the page @address maps under the PTE table's lock.
 * Returns 0 with *pagep set, GUP_NEED_FAULT, -EMLINK (R/O pin must
 * unshare first), -EEXIST (a raw pfn, no struct page), or -errno.
 */
static int follow_page_pte(struct vm_area_struct *vma, unsigned long address,
			   pmd_t *pmd, unsigned int flags, struct page **pagep)
{
	struct mm_struct *mm = vma->vm_mm;
	struct page *page;
	spinlock_t *ptl;
	pte_t *ptep, pte;
	int ret = GUP_NEED_FAULT;

	ptep = pte_offset_map_lock(mm, pmd, address, &ptl);
	if (!ptep)
		return no_page_table(vma, flags);
	pte = ptep_get(ptep);
	if (!pte_present(pte))
		goto no_page;		/* migration entries: the fault waits */
	if (pte_protnone(pte) && !gup_can_follow_protnone(vma, flags))
		goto no_page;
	page = vm_normal_page(vma, address, pte);
	if ((flags & FOLL_WRITE) && !can_follow_write_pte(pte, page, vma, flags))
		goto out;
	if (!page) {
		if (flags & FOLL_DUMP) {
			ret = -EFAULT;		/* no special pages in core dumps */
			goto out;
		}
		if (!is_zero_pfn(pte_pfn(pte))) {
			ret = -EEXIST;		/* a pfn without a struct page */
			goto out;
		}
		page = pfn_to_page(pte_pfn(pte));
	}
	if (!pte_write(pte) && gup_must_unshare(vma, flags, page)) {
		ret = -EMLINK;
		goto out;
	}
	ret = pnm_grab_pages(page, 1, flags);
	if (ret)
		goto out;
	if (flags & FOLL_TOUCH)
		gup_touch_page(page, flags, pte_dirty(pte));
	*pagep = page;
out:
	pte_unmap_unlock(ptep, ptl);
	return ret;
no_page:
	pte_unmap_unlock(ptep, ptl);
	if (!pte_none(pte))
		return GUP_NEED_FAULT;
	return no_page_table(vma, flags);
}

/*
 * A huge PMD mapping @pmdval, pmd_lock held: grab the page @address
 * falls in and report the leaf size in ctx->page_mask (the caller grabs
 * the rest of the request's pages in the folio).
 */
static int follow_huge_pmd(struct vm_area_struct *vma, unsigned long address,
			   pmd_t *pmd, pmd_t pmdval, unsigned int flags,
			   struct follow_page_context *ctx, struct page **pagep)
{
	struct page *page = pfn_to_page(pmd_pfn(pmdval) +
					((address & ~PMD_MASK) >> PAGE_SHIFT));
	bool protnone = !(pmd_val(pmdval) & _PAGE_USER);
	int ret;

	if ((flags & FOLL_WRITE) && !pmd_write(pmdval) &&
	    !can_follow_write_common(page, vma, flags))
		return GUP_NEED_FAULT;
	/* No huge zero page in core dumps either. */
	if ((flags & FOLL_DUMP) && is_huge_zero_pmd(pmdval))
		return -EFAULT;
	if (protnone && !gup_can_follow_protnone(vma, flags))
		return GUP_NEED_FAULT;
	if (!pmd_write(pmdval) && gup_must_unshare(vma, flags, page))
		return -EMLINK;
	ret = pnm_grab_pages(page, 1, flags);
	if (ret)
		return ret;
	if (flags & FOLL_TOUCH) {
		pmd_t touched = pmd_mkyoung(pmdval);

		if ((flags & FOLL_WRITE) && pmd_write(pmdval))
			touched = pmd_mkdirty(touched);
		if (!pmd_same(touched, pmdval))
			set_pmd_at(vma->vm_mm, address & PMD_MASK, pmd, touched);
		gup_touch_page(page, flags, pmd_dirty(pmdval));
	}
	ctx->page_mask = HPAGE_PMD_NR - 1;
	*pagep = page;
	return 0;
}

/*
 * follow_page_mask - find and grab the page mapped at @address (see
 * follow_page_pte for the returns).  FOLL_SPLIT_PMD splits a huge PMD
 * first and follows the PTE.  Caller holds mmap_lock.
 */
static int follow_page_mask(struct vm_area_struct *vma, unsigned long address,
			    unsigned int flags, struct follow_page_context *ctx,
			    struct page **pagep)
{
	struct mm_struct *mm = vma->vm_mm;
	spinlock_t *ptl;
	pmd_t *pmd, pmdval;
	int ret;

	ctx->page_mask = 0;
	/* hugetlb_fault.c follows hugetlb entries (its returns are ours). */
	BUILD_BUG_ON(GUP_NEED_FAULT != 1);
	if (is_vm_hugetlb_page(vma))
		return hugetlb_follow_page_mask(vma, address, flags, &ctx->page_mask, pagep);
	pmd = pnm_pmd_lookup(mm, address);
	if (!pmd)
		return no_page_table(vma, flags);
	pmdval = pmdp_get_lockless(pmd);
	if (pmd_none(pmdval) || !pmd_present(pmdval))
		return no_page_table(vma, flags);	/* a PMD migration entry too */
	if (!pmd_trans_huge(pmdval))
		return follow_page_pte(vma, address, pmd, flags, pagep);

	ptl = pmd_lock(mm, pmd);
	pmdval = pmdp_get(pmd);
	if (unlikely(!pmd_present(pmdval))) {
		spin_unlock(ptl);
		return no_page_table(vma, flags);
	}
	if (unlikely(!pmd_trans_huge(pmdval))) {
		spin_unlock(ptl);
		return follow_page_pte(vma, address, pmd, flags, pagep);
	}
	if (flags & FOLL_SPLIT_PMD) {
		spin_unlock(ptl);
		if (__split_huge_pmd(vma, pmd, address))
			return -ENOMEM;
		return follow_page_pte(vma, address, pmd, flags, pagep);
	}
	ret = follow_huge_pmd(vma, address, pmd, pmdval, flags, ctx, pagep);
	spin_unlock(ptl);
	return ret;
}

/*
 * Fault @address in as the walk needs it.  FOLL_WRITE takes a write fault
 * (breaking COW), @unshare an unshare fault (a R/O pin of a page that is
 * not exclusive).  Returns 0 (walk again), -EFAULT (FOLL_NOFAULT, or the
 * fault failed with SIGSEGV/SIGBUS), -ENOMEM (VM_FAULT_OOM), or -EBUSY
 * (FOLL_NOWAIT and the fault would have had to wait).  Caller holds
 * mmap_lock; the model's faults never drop it.
 */
static int faultin_page(struct vm_area_struct *vma, unsigned long address,
			unsigned int flags, bool unshare)
{
	unsigned int fault_flags = 0;
	vm_fault_t ret;

	if (flags & FOLL_NOFAULT)
		return -EFAULT;
	if (flags & FOLL_WRITE)
		fault_flags |= FAULT_FLAG_WRITE;
	if (flags & FOLL_REMOTE)
		fault_flags |= FAULT_FLAG_REMOTE;
	if (flags & FOLL_UNLOCKABLE) {
		fault_flags |= FAULT_FLAG_ALLOW_RETRY | FAULT_FLAG_KILLABLE;
		if (flags & FOLL_INTERRUPTIBLE)
			fault_flags |= FAULT_FLAG_INTERRUPTIBLE;
	}
	if (flags & FOLL_NOWAIT)
		fault_flags |= FAULT_FLAG_ALLOW_RETRY | FAULT_FLAG_RETRY_NOWAIT;
	if (flags & FOLL_TRIED)
		fault_flags |= FAULT_FLAG_TRIED;
	if (unshare)
		fault_flags |= FAULT_FLAG_UNSHARE;
	/* No FAULT_FLAG_USER: check_vma_flags() already decided whether this
	 * access (FOLL_FORCE included) is allowed. */

	ret = handle_mm_fault(vma, address, fault_flags);
	if (ret & VM_FAULT_ERROR) {
		int err = vm_fault_to_errno(ret, flags);

		return err ? err : -EFAULT;
	}
	if (ret & VM_FAULT_RETRY) {
		/* Only FOLL_NOWAIT faults may ask for a retry: lock kept. */
		VM_WARN_ON_ONCE(!(fault_flags & FAULT_FLAG_RETRY_NOWAIT));
		return -EBUSY;
	}
	return 0;
}

/*
 * __get_user_pages - the walk: for each page of [start, start + nr_pages
 * pages) check the VMA, follow, fault in as needed, grab (FOLL_GET/PIN)
 * and store it in @pages.  Caller holds mmap_lock for read.  Returns the
 * number of pages done if any, else -errno (0 only for FOLL_NOWAIT).
 */
static long __get_user_pages(struct mm_struct *mm, unsigned long start,
			     unsigned long nr_pages, unsigned int gup_flags,
			     struct page **pages)
{
	struct vm_area_struct *vma = NULL;
	long ret = 0, i = 0;

	if (!nr_pages)
		return 0;
	VM_BUG_ON(!!pages != !!(gup_flags & (FOLL_GET | FOLL_PIN)));
	do {
		struct follow_page_context ctx = { 0 };
		struct page *page = NULL;
		unsigned long page_increm, j;
		unsigned int faults = 0;
		int err;

		/* first iteration or crossing into the next VMA */
		if (!vma || start >= vma->vm_end) {
			vma = vma_lookup(mm, start);
			if (!vma) {
				ret = -EFAULT;
				goto out;
			}
			ret = check_vma_flags(vma, gup_flags);
			if (ret)
				goto out;
		}
retry:
		err = follow_page_mask(vma, start, gup_flags, &ctx, &page);
		if (err == GUP_NEED_FAULT || err == -EMLINK) {
			if (VM_WARN_ON_ONCE(++faults > GUP_MAX_FAULTS)) {
				ret = -EFAULT;
				goto out;
			}
			err = faultin_page(vma, start, gup_flags, err == -EMLINK);
			if (!err)
				goto retry;
			ret = (err == -EBUSY) ? 0 : err;
			goto out;
		} else if (err == -EEXIST) {
			/* A pfn mapping: fine for a prefault, fatal for pages[]. */
			if (pages) {
				ret = err;
				goto out;
			}
		} else if (err) {
			ret = err;
			goto out;
		}

		page_increm = 1 + (~(start >> PAGE_SHIFT) & ctx.page_mask);
		if (page_increm > nr_pages)
			page_increm = nr_pages;
		if (pages) {
			/* The rest of a huge leaf: we hold the first page's
			 * grab, so the folio is stable; cannot overflow. */
			if (page_increm > 1 &&
			    pnm_grab_pages(page + 1, (int)page_increm - 1, gup_flags)) {
				pnm_put_pages(page, 1, gup_flags);
				ret = -EFAULT;
				goto out;
			}
			for (j = 0; j < page_increm; j++)
				pages[i + j] = page + j;
		}
		i += page_increm;
		start += page_increm * PAGE_SIZE;
		nr_pages -= page_increm;
	} while (nr_pages);
out:
	return i ? i : ret;
}

/*
 * __get_user_pages_locked - __get_user_pages() with the lock protocol of
 * the entry points: *locked == 1 means the caller holds mmap_lock (kept),
 * *locked == 0 that it must be taken here and released before return
 * (then *locked is 0 again).  Sets MMF_HAS_PINNED for FOLL_PIN and
 * FOLL_GET for a get with a page array.  Returns pages done or -errno;
 * "nothing done" without FOLL_NOWAIT is -EFAULT (with a warning).
 */
static long __get_user_pages_locked(struct mm_struct *mm, unsigned long start,
				    unsigned long nr_pages, struct page **pages,
				    int *locked, unsigned int flags)
{
	bool must_unlock = false;
	long ret;

	if (!nr_pages)
		return 0;
	if (!*locked) {
		mmap_read_lock(mm);
		must_unlock = true;
		*locked = 1;
	} else {
		mmap_assert_locked(mm);
	}
	if (flags & FOLL_PIN)
		mm_set_has_pinned_flag(mm, flags);
	/* Historic behaviour: a get with a page array takes references. */
	if (pages && !(flags & FOLL_PIN))
		flags |= FOLL_GET;

	ret = __get_user_pages(mm, start, nr_pages, flags, pages);

	if (must_unlock && *locked) {
		mmap_read_unlock(mm);
		*locked = 0;
	}
	if (VM_WARN_ON_ONCE(ret == 0 && !(flags & FOLL_NOWAIT)))
		return -EFAULT;
	return ret;
}

/* --- long-term pins -------------------------------------------------------------- */

static int folio_ptr_cmp(const void *a, const void *b)
{
	uintptr_t x = (uintptr_t)*(struct folio *const *)a;
	uintptr_t y = (uintptr_t)*(struct folio *const *)b;

	return x < y ? -1 : x > y;
}

/* Migrate @folio (referenced by us) to ZONE_NORMAL; drops our reference
 * (on the new folio if it moved).  0 or -errno. */
static int migrate_longterm_folio(struct folio *folio)
{
	struct folio *dst = NULL;
	int err = -EAGAIN, tries;

	for (tries = 0; tries < GUP_MIGRATE_ATTEMPTS; tries++) {
		err = migrate_folio_to(folio, alloc_migration_target_zone,
				       ZONE_NORMAL, MR_LONGTERM_PIN, &dst);
		if (err != -EAGAIN && err != -EBUSY)
			break;
		sched_yield();
	}
	folio_put(err ? folio : dst);
	return err;
}

/*
 * Linux's check_and_migrate_movable_pages(): if every pinned folio of
 * pages[0..nr) may stay pinned, return 0 and keep the pins.  Otherwise
 * release ALL the pins, migrate the unpinnable folios to ZONE_NORMAL and
 * return -EAGAIN (pin the range again), or -ENOMEM if a folio could not
 * be moved.  mmap_lock may or may not be held: migration needs no
 * mmap_lock of any process (it walks the reverse map), so neither ours
 * nor one another process holds can make it fail.
 */
static long check_and_migrate_movable_pages(struct page **pages, unsigned long nr,
					    unsigned int flags)
{
	struct folio **folios = NULL;
	unsigned long i, n = 0, cap = 0, uniq;
	long ret = -EAGAIN;

	for (i = 0; i < nr; i++) {
		struct folio *folio = page_folio(pages[i]);
		struct address_space *mapping;

		if (folio_is_longterm_pinnable(folio))
			continue;
		/* dax storage under the owner's layout lease stays where it
		 * is (vma_leased()); the pin holds the folio, so its mapping
		 * is stable. */
		mapping = folio_mapping(folio);
		if (pnm_gup_lease_inode && mapping && mapping->host == pnm_gup_lease_inode &&
		    pnm_folio_is_dax(folio))
			continue;
		if (n && folios[n - 1] == folio)
			continue;		/* the next page of the same folio */
		if (n == cap) {
			unsigned long ncap = cap ? 2 * cap : 16;
			struct folio **f = pnm_realloc(PNM_FAULT_ALLOC, folios, ncap * sizeof(*f));

			if (!f) {
				ret = -ENOMEM;
				break;
			}
			folios = f;
			cap = ncap;
		}
		folio_get(folio);	/* migration needs our own reference */
		folios[n++] = folio;
	}
	if (!n && ret == -EAGAIN)
		return 0;		/* everything may stay pinned */

	/* Migration expects exactly one reference from us per folio. */
	if (n)
		qsort(folios, n, sizeof(*folios), folio_ptr_cmp);
	for (i = 0, uniq = 0; i < n; i++) {
		if (uniq && folios[uniq - 1] == folios[i])
			folio_put(folios[i]);
		else
			folios[uniq++] = folios[i];
	}

	for (i = 0; i < nr; i++)
		pnm_put_pages(pages[i], 1, flags);
	for (i = 0; i < uniq; i++) {
		if (ret != -EAGAIN)
			folio_put(folios[i]);	/* no memory: just let go */
		else if (migrate_longterm_folio(folios[i]))
			ret = -ENOMEM;
	}
	free(folios);
	return ret;
}

/*
 * check_and_migrate_movable_folios - memfd_pin_folios()'s long-term step
 * (internal.h): @folios[0..@nr) each hold one FOLL_PIN pin charged to the
 * head (try_grab_folio()).  As check_and_migrate_movable_pages(): 0, all
 * pins kept; -EAGAIN, all released and the unpinnable folios migrated
 * (pin again); -ENOMEM, all released.  Needs no lock.
 */
long check_and_migrate_movable_folios(unsigned long nr, struct folio **folios)
{
	struct page **pages = pnm_malloc(PNM_FAULT_ALLOC, nr * sizeof(*pages));
	unsigned long i;
	long ret;

	if (!pages) {
		for (i = 0; i < nr; i++)
			gup_put_folio(folios[i], 1, FOLL_PIN);
		return -ENOMEM;
	}
	for (i = 0; i < nr; i++)
		pages[i] = &folios[i]->page;
	ret = check_and_migrate_movable_pages(pages, nr, FOLL_PIN | FOLL_LONGTERM);
	free(pages);
	return ret;
}

/*
 * __gup_longterm_locked - __get_user_pages_locked(), and for FOLL_LONGTERM
 * pins (not in legacy mode) the migrate-and-retry loop: pin, and if some
 * folio lies in MOVABLE/CMA, unpin all, migrate, pin again; -ENOMEM if
 * migration fails or the loop does not settle.  Same lock protocol.
 */
static long __gup_longterm_locked(struct mm_struct *mm, unsigned long start,
				  unsigned long nr_pages, struct page **pages,
				  int *locked, unsigned int gup_flags)
{
	unsigned int cookie;
	long ret = -ENOMEM;
	int pass;

	if (!(gup_flags & FOLL_LONGTERM) || gup_pin_is_legacy(gup_flags))
		return __get_user_pages_locked(mm, start, nr_pages, pages, locked,
					       gup_flags);
	/* Pages faulted in for a long-term pin are born unmovable (Linux's
	 * memalloc_pin_save()); only pages that already existed in
	 * MOVABLE/CMA still need the migration below. */
	cookie = memalloc_pin_save();
	for (pass = 0; pass < GUP_LONGTERM_MAX_PASSES; pass++) {
		long nr, rc;

		nr = __get_user_pages_locked(mm, start, nr_pages, pages, locked,
					     gup_flags);
		if (nr <= 0) {
			ret = nr;
			break;
		}
		rc = check_and_migrate_movable_pages(pages, (unsigned long)nr, gup_flags);
		if (rc != -EAGAIN) {
			ret = rc ? rc : nr;
			break;
		}
	}
	memalloc_pin_restore(cookie);
	return ret;
}

/* --- entry points --------------------------------------------------------------- */

/*
 * Linux's is_valid_gup_args(): refuse (with a warning) internal flags from
 * the caller, a *locked that is not 1, FOLL_GET together with FOLL_PIN,
 * FOLL_LONGTERM without FOLL_PIN, FOLL_GET/FOLL_PIN without a page array,
 * and FOLL_LONGTERM with FOLL_PCI_P2PDMA.  On success *@gup_flags_p gets
 * @to_set (and FOLL_UNLOCKABLE if @locked).
 */
static bool is_valid_gup_args(struct page **pages, int *locked,
			      unsigned int *gup_flags_p, unsigned int to_set)
{
	unsigned int gup_flags = *gup_flags_p;

	if (VM_WARN_ON_ONCE(gup_flags & INTERNAL_GUP_FLAGS))
		return false;
	gup_flags |= to_set;
	if (locked) {
		if (VM_WARN_ON_ONCE(*locked != 1))
			return false;
		gup_flags |= FOLL_UNLOCKABLE;
	}
	if (VM_WARN_ON_ONCE((gup_flags & (FOLL_PIN | FOLL_GET)) == (FOLL_PIN | FOLL_GET)))
		return false;
	if (VM_WARN_ON_ONCE(!(gup_flags & FOLL_PIN) && (gup_flags & FOLL_LONGTERM)))
		return false;
	if (VM_WARN_ON_ONCE((gup_flags & (FOLL_GET | FOLL_PIN)) && !pages))
		return false;
	if (VM_WARN_ON_ONCE((gup_flags & FOLL_LONGTERM) && (gup_flags & FOLL_PCI_P2PDMA)))
		return false;
	*gup_flags_p = gup_flags;
	return true;
}

/* The calling thread's address space (NULL if it runs no task, or entered
 * it after it exited), kept alive by the thread's own hold (task.c). */
static struct mm_struct *gup_current_mm(void)
{
	return pnm_thread_mm;
}

/* The @nr pins of @pages whose record failed: released again, uncounted
 * and unchecked (pnm_gup_record_pins()).  Returns -ENOMEM. */
static __attribute__((noinline)) long record_failed(struct page **pages, long nr)
{
	unsigned long i, n, released = 0;

	for (i = 0; i < (unsigned long)nr; i += n) {
		struct folio *folio = pnm_gup_folio_next(pages, (unsigned long)nr, i, &n);
		unsigned long k;

		if (pnm_pin_shadow_count() && !pnm_config.legacy_gup)
			for (k = 0; k < n; k++)
				pnm_pin_shadow_take(folio, pages[i + k], 1);
		released += pnm_unpin_folio_pins(folio, n);
	}
	if (released)
		mod_vm_stat(NR_FOLL_PIN_RELEASED, (long)released);
	return -ENOMEM;
}

/*
 * pnm_gup_record_pins - a pin call pinned @nr (> 0) pages: record them
 * (flags as the caller passed them; the registry adds FOLL_PIN, and
 * FOLL_GET in legacy mode).  If the record cannot be allocated the pins
 * are released again, uncounted and unchecked, so that nothing stays
 * pinned, and the call fails with -ENOMEM.  Returns @nr or -ENOMEM.
 */
long pnm_gup_record_pins(struct mm_struct *mm, unsigned long start,
			 struct page **pages, long nr, unsigned int flags)
{
	int ret;

	/* Registry off: nothing to record (the entry point's exit forgets
	 * the call site). */
	if (nr <= 0 || !pnm_config.pin_registry)
		return nr;
	/* The record's two ways, chosen here: one page to the
	 * thread's cache (pin_tcache.c), anything else to the rest. */
	if (nr == 1 && pages && pages[0] && !is_zero_pfn(page_to_pfn(pages[0])))
		ret = pnm_pin_tcache_add_one(mm, start, pages, flags);
	else
		ret = pnm_pin_registry_add_slow(mm, start, pages, (unsigned long)nr, flags);
	return likely(!ret) ? nr : record_failed(pages, nr);
}

/*
 * The body of get_user_pages() and get_user_pages_unlocked(): check the
 * arguments (adding @to_set to the flags), then get the pages of the
 * calling thread's mm, with its mmap_lock held on entry if @locked.
 */
static long get_pages_current(unsigned long start, unsigned long nr_pages,
			      unsigned int gup_flags, struct page **pages, int locked,
			      unsigned int to_set)
{
	struct mm_struct *mm = gup_current_mm();

	if (!is_valid_gup_args(pages, NULL, &gup_flags, to_set))
		return -EINVAL;
	if (!mm)
		return -EFAULT;
	return __get_user_pages_locked(mm, start, nr_pages, pages, &locked, gup_flags);
}

/*
 * get_user_pages - take references on @nr_pages pages of current's mm
 * from @start (gup.h).  The caller holds mmap_lock for read; it is not
 * dropped.  Returns pages done (may be fewer: release exactly those with
 * put_page()), 0 for @nr_pages == 0, or -errno: -EINVAL for invalid
 * arguments (FOLL_LONGTERM, FOLL_PIN or other internal flags, FOLL_GET
 * without @pages), -EFAULT (no VMA, refused VMA, failed fault), -ENOMEM.
 */
long get_user_pages(unsigned long start, unsigned long nr_pages,
		    unsigned int gup_flags, struct page **pages)
{
	long ret;

	pnm_gup_site_enter(__builtin_return_address(0));
	ret = get_pages_current(start, nr_pages, gup_flags, pages, 1, FOLL_TOUCH);
	pnm_gup_site_exit();
	return ret;
}

/*
 * get_user_pages_remote - get_user_pages() on @mm (FOLL_REMOTE faults).
 * The caller holds @mm's mmap_lock for read; with @locked non-NULL
 * (*locked must be 1) the lock may be dropped and *locked says whether it
 * is held on return (the model never drops it here).  Returns as
 * get_user_pages(); -EINVAL for invalid arguments.
 */
long get_user_pages_remote(struct mm_struct *mm, unsigned long start,
			   unsigned long nr_pages, unsigned int gup_flags,
			   struct page **pages, int *locked)
{
	int local_locked = 1;
	long ret;

	pnm_gup_site_enter(__builtin_return_address(0));
	if (!is_valid_gup_args(pages, locked, &gup_flags, FOLL_TOUCH | FOLL_REMOTE))
		ret = -EINVAL;
	else
		ret = __get_user_pages_locked(mm, start, nr_pages, pages,
					      locked ? locked : &local_locked, gup_flags);
	pnm_gup_site_exit();
	return ret;
}

/*
 * get_user_pages_unlocked - get_user_pages() that takes and releases
 * current's mmap_lock itself (the caller must not hold it).  Returns as
 * get_user_pages(); -EINVAL for invalid arguments.
 */
long get_user_pages_unlocked(unsigned long start, unsigned long nr_pages,
			     struct page **pages, unsigned int gup_flags)
{
	long ret;

	pnm_gup_site_enter(__builtin_return_address(0));
	ret = get_pages_current(start, nr_pages, gup_flags, pages, 0,
				FOLL_TOUCH | FOLL_UNLOCKABLE);
	pnm_gup_site_exit();
	return ret;
}

/*
 * The body of the pin_user_pages*() entry points: check the arguments
 * (0 for invalid ones, with a warning, as Linux), pin through the
 * long-term path with the caller's @locked or, if NULL, a local one
 * starting at @lock_state (1: the caller holds mmap_lock; 0: take it),
 * and record the pins.  -EFAULT without an address space.
 */
static long pin_pages_common(struct mm_struct *mm, unsigned long start, unsigned long nr_pages,
			     unsigned int gup_flags, struct page **pages, int *locked,
			     int lock_state, unsigned int to_set)
{
	unsigned int caller_flags = gup_flags;
	long ret;

	if (!is_valid_gup_args(pages, locked, &gup_flags, to_set))
		return 0;
	if (!mm)
		return -EFAULT;
	ret = __gup_longterm_locked(mm, start, nr_pages, pages, locked ? locked : &lock_state,
				    gup_flags);
	return pnm_gup_record_pins(mm, start, pages, ret, caller_flags);
}

/*
 * pin_user_pages - pin @nr_pages pages of current's mm from @start for
 * DMA (gup.h); FOLL_LONGTERM pins are first moved out of MOVABLE/CMA.
 * The caller holds mmap_lock for read (not dropped).  Returns pages
 * pinned (may be fewer: release exactly those with unpin_user_pages()),
 * -errno if none, and 0 -- not -EINVAL -- for invalid arguments (a
 * warning is issued), as Linux.  Records the pins in the registry.
 */
long pin_user_pages(unsigned long start, unsigned long nr_pages,
		    unsigned int gup_flags, struct page **pages)
{
	long ret;

	pnm_gup_site_enter(__builtin_return_address(0));
	ret = pin_pages_common(gup_current_mm(), start, nr_pages, gup_flags, pages, NULL, 1,
			       FOLL_PIN);
	pnm_gup_site_exit();
	return ret;
}

/*
 * pin_user_pages_remote - pin_user_pages() on @mm, with get_user_pages_
 * remote()'s lock protocol.  0 for invalid arguments, as Linux.
 */
long pin_user_pages_remote(struct mm_struct *mm, unsigned long start,
			   unsigned long nr_pages, unsigned int gup_flags,
			   struct page **pages, int *locked)
{
	long ret;

	pnm_gup_site_enter(__builtin_return_address(0));
	ret = pin_pages_common(mm, start, nr_pages, gup_flags, pages, locked, 1,
			       FOLL_PIN | FOLL_TOUCH | FOLL_REMOTE);
	pnm_gup_site_exit();
	return ret;
}

/*
 * pin_user_pages_unlocked - pin_user_pages() that takes and releases
 * current's mmap_lock itself (also around long-term migration, which
 * then runs unlocked).  0 for invalid arguments, as Linux.
 */
long pin_user_pages_unlocked(unsigned long start, unsigned long nr_pages,
			     struct page **pages, unsigned int gup_flags)
{
	long ret;

	pnm_gup_site_enter(__builtin_return_address(0));
	ret = pin_pages_common(gup_current_mm(), start, nr_pages, gup_flags, pages, NULL, 0,
			       FOLL_PIN | FOLL_TOUCH | FOLL_UNLOCKABLE);
	pnm_gup_site_exit();
	return ret;
}

/* pnm_gup_slow - gup_fast.c's fallback (contract in internal.h). */
long pnm_gup_slow(struct mm_struct *mm, unsigned long start, unsigned long nr_pages,
		  unsigned int gup_flags, struct page **pages)
{
	int locked = 0;

	VM_WARN_ON_ONCE(gup_flags & FOLL_FAST_ONLY);
	return __gup_longterm_locked(mm, start, nr_pages, pages, &locked,
				     gup_flags | FOLL_TOUCH | FOLL_UNLOCKABLE);
}
