// SPDX-License-Identifier: MIT
/*
 * debug.c - printing a frame descriptor when something went wrong, and
 * the folio invariant checker (pnm_check_folio, contract in rmap.h).
 *
 * dump_page() is what VM_BUG_ON_PAGE() and the refcount-underflow check
 * print before the model aborts, so it must work on a descriptor in any
 * state (free, a tail, a page table, half torn down) and take no lock.
 * Every field is read with a relaxed atomic load; the dump is a snapshot
 * that may be inconsistent if other threads are changing the page.
 */
#include <stdio.h>
#include <stdlib.h>

#include "internal.h"

static const char *const pageflag_names[__NR_PAGEFLAGS] = {
	[PG_locked]		= "locked",
	[PG_referenced]		= "referenced",
	[PG_uptodate]		= "uptodate",
	[PG_dirty]		= "dirty",
	[PG_lru]		= "lru",
	[PG_head]		= "head",
	[PG_reserved]		= "reserved",
	[PG_private]		= "private",
	[PG_writeback]		= "writeback",
	[PG_swapbacked]		= "swapbacked",
	[PG_anon_exclusive]	= "anon_exclusive",
	[PG_buddy]		= "buddy",
	[PG_table]		= "table",
	[PG_isolated]		= "isolated",
	[PG_mlocked]		= "mlocked",
	[PG_has_hwpoisoned]	= "has_hwpoisoned",
	[PG_pnm_truncated]	= "pnm_truncated",
	[PG_pnm_nofs_dirty]	= "pnm_nofs_dirty",
};

static void print_flags(FILE *out, unsigned long flags)
{
	const char *sep = "";
	int i;

	fprintf(out, "%#lx(", flags & ~(ZONES_MASK << ZONES_PGSHIFT));
	for (i = 0; i < __NR_PAGEFLAGS; i++) {
		if (flags & BIT(i)) {
			fprintf(out, "%s%s", sep, pageflag_names[i]);
			sep = "|";
		}
	}
	fputc(')', out);
}

static bool in_mem_map(const struct page *page)
{
	uintptr_t base = (uintptr_t)pnm_mem.mem_map, p = (uintptr_t)page;

	return base && p >= base &&
	       p < base + pnm_mem.nr_frames * sizeof(struct page) &&
	       (p - base) % sizeof(struct page) == 0;
}

/*
 * Print everything known about @page to stderr, headed by @reason: pfn,
 * zone, flags by name, refcount, mapcount, entire mapcount, pin counts,
 * folio order, mapping and index (or the page-table fields for a PG_table
 * frame; the buddy order for a free block head).  For a tail page the head
 * is printed too.  Takes no lock and never fails; a pointer outside
 * mem_map[] is reported as such.
 */
void dump_page(struct page *page, const char *reason)
{
	unsigned long pfn, flags;
	struct page *head;

	fprintf(stderr, "pinmm: dump_page: %s\n", reason ? reason : "");
	if (!in_mem_map(page)) {
		fprintf(stderr, "  page %p is not in mem_map\n", (void *)page);
		fflush(stderr);
		return;
	}
	pfn = page_to_pfn(page);
	flags = READ_ONCE(page->flags);
	head = compound_head(page);
	if (!in_mem_map(head)) {
		fprintf(stderr, "  pfn %#lx: corrupt compound_head %#lx\n", pfn,
			READ_ONCE(page->compound_head));
		head = page;
	}

	fprintf(stderr, "  page pfn %#lx zone %s flags ", pfn,
		zone_type_name(page_zonenum(page)));
	print_flags(stderr, flags);
	fprintf(stderr, "\n  refcount %d mapcount %d pnm_pincount %d",
		atomic_read(&page->_refcount), atomic_read(&page->_mapcount),
		atomic_read(&page->pnm_pincount));
	if (flags & BIT(PG_table))
		fprintf(stderr, " page table level %lu mm %p\n",
			READ_ONCE(page->pt_level), (void *)READ_ONCE(page->pt_mm));
	else if (flags & BIT(PG_buddy))
		fprintf(stderr, " free block order %lu\n", READ_ONCE(page->private));
	else
		fprintf(stderr, " mapping %p index %#lx private %#lx\n",
			(void *)READ_ONCE(page->mapping), READ_ONCE(page->index),
			READ_ONCE(page->private));

	if (head != page) {
		fprintf(stderr, "  tail %lu of head pfn %#lx flags ",
			(unsigned long)(page - head), page_to_pfn(head));
		print_flags(stderr, READ_ONCE(head->flags));
		fputc('\n', stderr);
	}
	fprintf(stderr, "  folio order %u refcount %d entire_mapcount %d pincount %d",
		READ_ONCE(head->_folio_order), atomic_read(&head->_refcount),
		atomic_read(&head->_entire_mapcount),
		atomic_read(&head->_pincount));
	if (!(READ_ONCE(head->flags) & BIT(PG_table)))
		fprintf(stderr, " mapping %p index %#lx",
			(void *)READ_ONCE(head->mapping), READ_ONCE(head->index));
	fprintf(stderr, "%s\n", is_zero_pfn(page_to_pfn(head)) ? " (zero page)" :
		is_huge_zero_pfn(page_to_pfn(head)) ? " (huge zero page)" : "");
	fflush(stderr);
}

/* --- the folio invariant checker ------------------------------------------- */

/*
 * The checker counts a folio's mappings the way every reverse-map user
 * finds them: a walk of its anon_vma tree or i_mmap (rmap_walk), then the
 * entries of each VMA (page_vma_mapped_walk), and compares with the
 * mapcounts.  The page-table checker (pgtable.c) proves the other half:
 * every leaf of every mm is reachable by such a walk.  Together: the
 * mapcounts are exactly the mappings in the page tables, and the reverse
 * map finds all of them.
 */

/* Per-page tallies of one folio's mappings, found through its rmap. */
struct folio_tally {
	int pte[HPAGE_PMD_NR];		/* present PTEs per page */
	struct mm_struct *mm[HPAGE_PMD_NR];	/* an mm mapping the page */
	bool multi_mm[HPAGE_PMD_NR];	/* mapped by more than one mm */
	int pmd;			/* present PMDs */
	struct mm_struct *pmd_mm;
	bool pmd_multi_mm;
	int migration;			/* migration entries naming its pages */
};

/* rmap_walk() callback: tally @folio's entries in @vma. */
static bool tally_vma(struct folio *folio, struct vm_area_struct *vma,
		      unsigned long address, void *arg)
{
	DEFINE_FOLIO_VMA_WALK(pvmw, folio, vma, address, 0);
	DEFINE_FOLIO_VMA_WALK(mvmw, folio, vma, address, PVMW_MIGRATION);
	struct folio_tally *t = arg;
	struct mm_struct *mm = vma->vm_mm;

	while (page_vma_mapped_walk(&pvmw)) {
		unsigned long idx;

		if (!pvmw.pte) {
			t->pmd++;
			if (t->pmd_mm && t->pmd_mm != mm)
				t->pmd_multi_mm = true;
			t->pmd_mm = mm;
			continue;
		}
		idx = pte_pfn(ptep_get(pvmw.pte)) - folio_pfn(folio);
		t->pte[idx]++;
		if (t->mm[idx] && t->mm[idx] != mm)
			t->multi_mm[idx] = true;
		t->mm[idx] = mm;
	}
	while (page_vma_mapped_walk(&mvmw))
		t->migration++;
	return true;
}

/* The anon_lock of the checker's walk: no reference is held, so only a
 * mapped folio's anon_vma may be looked at. */
static struct anon_vma *check_lock_anon(struct folio *folio)
{
	return folio_lock_anon_vma_read(folio);
}

static bool check_compound(struct folio *folio)
{
	unsigned long pfn = folio_pfn(folio), nr = folio_nr_pages(folio), i;
	unsigned int order = folio_order(folio);

	if (order > MAX_PAGE_ORDER)
		return pnm_check_fail("folio %#lx: order %u", pfn, order);
	if (pfn & (nr - 1))
		return pnm_check_fail("folio %#lx: not aligned to its order %u", pfn, order);
	if (!!order != PageHead(&folio->page))
		return pnm_check_fail("folio %#lx: order %u but PG_head %d", pfn, order,
				      PageHead(&folio->page));
	for (i = 1; i < nr; i++) {
		struct page *p = folio_page(folio, i);

		if (READ_ONCE(p->compound_head) != ((unsigned long)folio | 1))
			return pnm_check_fail("folio %#lx: tail %lu does not point at the head",
					      pfn, i);
		if (PageHead(p) || PageBuddy(p) || PageTable(p))
			return pnm_check_fail("folio %#lx: tail %lu has flags %#lx",
					      pfn, i, READ_ONCE(p->flags));
		if (atomic_read(&p->_refcount))
			return pnm_check_fail("folio %#lx: tail %lu has refcount %d",
					      pfn, i, atomic_read(&p->_refcount));
	}
	return true;
}

/* Page-cache references of @folio: folio_nr_pages() if a cache holds it. */
static int cache_refs(struct folio *folio)
{
	struct address_space *mapping = folio_mapping(folio);

	if (!mapping)
		return 0;
	return xa_load(&mapping->i_pages, folio->index) == folio ?
	       (int)folio_nr_pages(folio) : 0;
}

/*
 * pnm_check_folio - check @folio (a head or order-0 page in use) against
 * the invariants of mm_types.h and rmap.h; see rmap.h for the contract.
 */
bool pnm_check_folio(struct folio *folio)
{
	unsigned long pfn = folio_pfn(folio), nr, i;
	struct folio_tally *t;
	long mappings, shadow_pins = 0;
	int refs, em, cache, t_migration;
	bool anon, ok = true;

	if (PageTail(&folio->page))
		return pnm_check_fail("pfn %#lx: checked as a folio but is a tail", pfn);
	if (PageBuddy(&folio->page))
		return pnm_check_fail("pfn %#lx: checked as a folio but is free", pfn);
	if (PageTable(&folio->page)) {
		if (folio_order(folio) || PageHead(&folio->page))
			return pnm_check_fail("pfn %#lx: page table frame of order %u",
					      pfn, folio_order(folio));
		return true;
	}
	if (!check_compound(folio))
		return false;
	refs = folio_ref_count(folio);
	if (refs <= 0)
		return pnm_check_fail("folio %#lx: in use with refcount %d", pfn, refs);
	nr = folio_nr_pages(folio);
	anon = folio_test_anon(folio);
	em = atomic_read(&folio->_entire_mapcount);
	if (is_huge_zero_folio(folio))
		return pnm_check_huge_zero();	/* huge_memory.c owns it */
	if (is_zero_folio(folio)) {
		if (!PageReserved(&folio->page) || em || atomic_read(&folio->page._mapcount))
			return pnm_check_fail("zero page %#lx: reserved %d mapcount %d",
					      pfn, PageReserved(&folio->page),
					      atomic_read(&folio->page._mapcount));
		return true;
	}
	if (anon && !folio_test_swapbacked(folio))
		ok = pnm_check_fail("anon folio %#lx without PG_swapbacked", pfn);
	if (atomic_read(&folio->_pincount) < 0 ||
	    (!folio_test_large(folio) && atomic_read(&folio->_pincount)))
		ok = pnm_check_fail("folio %#lx: _pincount %d (order %u)", pfn,
				    atomic_read(&folio->_pincount), folio_order(folio));

	t = calloc(1, sizeof(*t));
	if (!t)
		return pnm_check_fail("folio %#lx: no memory to check", pfn);
	/*
	 * An unmapped anon folio's anon_vma may be gone, so it is walked only
	 * while mapped (then its mapcounts must be zero, which is checked
	 * below).  A file folio is walked whenever it has a mapping: locked,
	 * it may have migration entries in flight.
	 */
	if (anon ? folio_mapped(folio) : folio_mapping(folio) != NULL) {
		struct rmap_walk_control rwc = {
			.arg = t,
			.rmap_one = tally_vma,
			.anon_lock = check_lock_anon,
		};

		rmap_walk(folio, &rwc);
	}
	if (t->migration && !folio_test_locked(folio))
		ok = pnm_check_fail("folio %#lx: %d migration entries but not locked",
				    pfn, t->migration);
	if (em != t->pmd)
		ok = pnm_check_fail("folio %#lx: entire mapcount %d but the reverse map finds %d PMDs",
				    pfn, em, t->pmd);
	mappings = t->pmd;
	for (i = 0; i < nr; i++) {
		struct page *p = folio_page(folio, i);
		int mc = atomic_read(&p->_mapcount);

		mappings += t->pte[i];
		if (mc != t->pte[i])
			ok = pnm_check_fail("folio %#lx page %lu: mapcount %d but the reverse map finds %d PTEs",
					    pfn, i, mc, t->pte[i]);
		if (atomic_read(&p->pnm_pincount) < 0)
			ok = pnm_check_fail("folio %#lx page %lu: pnm_pincount %d", pfn, i,
					    atomic_read(&p->pnm_pincount));
		shadow_pins += atomic_read(&p->pnm_pincount);
		if (!PageAnonExclusive(p))
			continue;
		if (!anon)
			ok = pnm_check_fail("folio %#lx page %lu: PG_anon_exclusive on a non-anon page",
					    pfn, i);
		else if (t->pte[i] + t->pmd > 1 || t->multi_mm[i] || t->pmd_multi_mm ||
			 (t->pte[i] && t->pmd && t->mm[i] != t->pmd_mm))
			ok = pnm_check_fail("folio %#lx page %lu: PG_anon_exclusive but mapped %d times",
					    pfn, i, t->pte[i] + t->pmd);
	}
	t_migration = t->migration;
	free(t);

	/* Pins belong to the folio: where exact per-page counts are kept,
	 * they add up to the folio's _pincount (however the pins were
	 * released, through whichever pages). */
	if (folio_test_large(folio) && pnm_pin_shadow_count() &&
	    shadow_pins != atomic_read(&folio->_pincount))
		ok = pnm_check_fail("folio %#lx: per-page pin counts add up to %ld, _pincount %d",
				    pfn, shadow_pins, atomic_read(&folio->_pincount));

	if (mappings && !READ_ONCE(folio->mapping))
		ok = pnm_check_fail("folio %#lx: mapped %ld times but has no mapping",
				    pfn, mappings);
	/* A truncated folio left its file for good: detached and unmapped
	 * (nothing can map it again: faults go through the cache). */
	if (test_bit(PG_pnm_truncated, &folio->flags) &&
	    (READ_ONCE(folio->mapping) || mappings || t_migration))
		ok = pnm_check_fail("folio %#lx: truncated but mapping %p, %ld mappings",
				    pfn, (void *)READ_ONCE(folio->mapping), mappings);
	cache = cache_refs(folio);
	if (refs < mappings + cache)
		ok = pnm_check_fail("folio %#lx: refcount %d < %ld mappings + %d cache refs",
				    pfn, refs, mappings, cache);
	return ok;
}
