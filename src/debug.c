// SPDX-License-Identifier: MIT
/*
 * debug.c - printing a frame descriptor when something went wrong.
 *
 * dump_page() is what VM_BUG_ON_PAGE() and the refcount-underflow check
 * print before the model aborts, so it must work on a descriptor in any
 * state (free, a tail, a page table, half torn down) and take no lock.
 * Every field is read with a relaxed atomic load; the dump is a snapshot
 * that may be inconsistent if other threads are changing the page.
 */
#include <stdio.h>

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
	fprintf(stderr, " rmap %s%s\n",
		head->pnm_rmap.next == &head->pnm_rmap ? "empty" : "non-empty",
		is_zero_pfn(page_to_pfn(head)) ? " (zero page)" : "");
	fflush(stderr);
}
