// SPDX-License-Identifier: MIT
/*
 * debug.c - where the library's messages go (the embedder's log and fatal
 * hooks), printing a frame descriptor when something went wrong, and the
 * folio invariant checker (pnm_check_folio, contract in rmap.h).
 *
 * Messages.  Every line the library has to say -- a misuse report, a
 * warning, a leak or teardown report, a failed check, a page dump -- goes
 * through pnm_log(): formatted into one line without its newline and
 * handed to pnm_config.log, or, with no hook (the default, and always
 * outside pnm_init()..pnm_fini()), written with its newline to stderr in
 * one write.  A report a module writes to a FILE * (the registry's leak
 * list) is captured in a memory stream and logged line by line
 * (pnm_log_stream_begin/end).  A thread that is already inside the log
 * hook and logs again (the hook called back into pinmm, which it must
 * not) writes to stderr instead of recursing.
 *
 * Fatal errors.  pnm_fatal() (PNM_DIE, VM_BUG_ON, every unrecoverable host
 * failure) hands its one-line message to pnm_config.fatal and aborts if
 * the hook returns; with no hook it writes the message to stderr and
 * aborts.  A fatal error raised while the same thread runs the fatal hook
 * writes to stderr and aborts at once, so a failing hook cannot loop.
 *
 * dump_page() is what VM_BUG_ON_PAGE() and the refcount-underflow check
 * print before the model aborts, so it must work on a descriptor in any
 * state (free, a tail, a page table, half torn down) and take no lock.
 * Every field is read with a relaxed atomic load; the dump is a snapshot
 * that may be inconsistent if other threads are changing the page.  It
 * builds its lines in a stack buffer (no allocation) and logs each.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* --- messages: the log and fatal hooks ------------------------------------- */

/*
 * The hooks in force: copied from the configuration by pnm_init()
 * (pnm_hooks_set) and cleared at the end of pnm_fini(), both while no
 * other thread uses the model; read-only in between.
 */
static struct {
	pnm_log_fn *log;
	void *log_arg;
	pnm_fatal_fn *fatal;
	void *fatal_arg;
} hooks;

static _Thread_local bool in_log_hook;
static _Thread_local bool in_fatal_hook;

/* Lines up to this long are formatted on the stack; longer ones are
 * allocated (or cut to it if the host has no memory). */
#define LOG_LINE_MAX	1024

/* Install the hooks of @cfg (pnm_init(); contract in internal.h). */
void pnm_hooks_set(const struct pnm_config *cfg)
{
	hooks.log = cfg->log;
	hooks.log_arg = cfg->log_arg;
	hooks.fatal = cfg->fatal;
	hooks.fatal_arg = cfg->fatal_arg;
}

/* Back to stderr and abort() (end of pnm_fini(); contract in internal.h). */
void pnm_hooks_clear(void)
{
	memset(&hooks, 0, sizeof(hooks));
}

/* Hand one formatted line (@len bytes, NUL-terminated, with room for one
 * more byte) to the hook, or write it and a newline to stderr. */
static void emit_line(enum pnm_log_level level, char *line, size_t len)
{
	pnm_log_fn *fn = hooks.log;

	if (fn && !in_log_hook) {
		in_log_hook = true;
		fn(hooks.log_arg, level, line);
		in_log_hook = false;
		return;
	}
	line[len] = '\n';
	fwrite(line, 1, len + 1, stderr);
	line[len] = '\0';
}

/*
 * pnm_vlog - format one line from @fmt and @ap (no trailing newline) and
 * hand it to the log hook with @level, or write it and a newline to
 * stderr in one write when no hook is installed.  Thread safe; takes no
 * lock of its own (the hook may be called with any model lock held).
 * Never fails: a line the host has no memory for is cut short.
 */
void pnm_vlog(enum pnm_log_level level, const char *fmt, va_list ap)
{
	char buf[LOG_LINE_MAX + 1], *line = buf;
	va_list aq;
	int n;

	va_copy(aq, ap);
	n = vsnprintf(buf, LOG_LINE_MAX, fmt, ap);
	if (n < 0) {
		va_end(aq);
		return;
	}
	if (n >= LOG_LINE_MAX) {
		line = malloc((size_t)n + 2);
		if (line) {
			vsnprintf(line, (size_t)n + 1, fmt, aq);
		} else {
			line = buf;
			n = LOG_LINE_MAX - 1;
		}
	}
	va_end(aq);
	emit_line(level, line, (size_t)n);
	if (line != buf)
		free(line);
}

/* pnm_log - pnm_vlog() with variable arguments. */
void pnm_log(enum pnm_log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	pnm_vlog(level, fmt, ap);
	va_end(ap);
}

/*
 * pnm_log_stream_begin - a FILE * for a report written with stdio (one
 * that prints to a caller's stream elsewhere), whose text
 * pnm_log_stream_end() then logs line by line: a memory stream, or
 * stderr itself if the host cannot make one (the text then bypasses the
 * hook).  @s is the caller's, passed to both calls.
 */
FILE *pnm_log_stream_begin(struct pnm_log_stream *s)
{
	s->buf = NULL;
	s->len = 0;
	s->f = open_memstream(&s->buf, &s->len);
	return s->f ? s->f : stderr;
}

/*
 * pnm_log_stream_end - close the stream of pnm_log_stream_begin() and log
 * each line written to it with @level (a last line without a newline
 * counts too); frees the text.
 */
void pnm_log_stream_end(struct pnm_log_stream *s, enum pnm_log_level level)
{
	char *line, *nl;

	if (!s->f)
		return;
	fclose(s->f);
	s->f = NULL;
	for (line = s->buf; line && *line; line = nl + 1) {
		nl = strchr(line, '\n');
		if (!nl) {
			pnm_log(level, "%s", line);
			break;
		}
		*nl = '\0';
		pnm_log(level, "%s", line);
	}
	free(s->buf);
	s->buf = NULL;
}

/*
 * pnm_fatal - the end of every unrecoverable error: format the one-line
 * message, hand it to the fatal hook and abort() if the hook returns;
 * with no hook (or when the calling thread is already inside the fatal
 * hook) write it and a newline to stderr and abort().  Never returns;
 * safe to call with any lock held.
 */
void pnm_fatal(const char *fmt, ...)
{
	char msg[LOG_LINE_MAX + 1];
	pnm_fatal_fn *fn = hooks.fatal;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(msg, LOG_LINE_MAX, fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	else if (n >= LOG_LINE_MAX)
		n = LOG_LINE_MAX - 1;
	msg[n] = '\0';
	if (fn && !in_fatal_hook) {
		in_fatal_hook = true;
		fn(hooks.fatal_arg, msg);
		abort();
	}
	msg[n] = '\n';
	fwrite(msg, 1, (size_t)n + 1, stderr);
	fflush(stderr);
	abort();
}

/* --- dump_page --------------------------------------------------------------- */

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
	[PG_active]		= "active",
	[PG_swapcache]		= "swapcache",
	[PG_pnm_truncated]	= "pnm_truncated",
	[PG_pnm_quarantined]	= "pnm_quarantined",
	[PG_hugetlb]		= "hugetlb",
	[PG_pnm_nofs_dirty]	= "pnm_nofs_dirty",
};

/* One line of a dump being built on the stack. */
struct dump_line {
	char buf[512];
	size_t len;
};

static void __printf(2, 3) line_add(struct dump_line *l, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (l->len >= sizeof(l->buf) - 1)
		return;
	va_start(ap, fmt);
	n = vsnprintf(l->buf + l->len, sizeof(l->buf) - l->len, fmt, ap);
	va_end(ap);
	if (n > 0)
		l->len = l->len + (size_t)n < sizeof(l->buf) ? l->len + (size_t)n :
			 sizeof(l->buf) - 1;
}

/* Log the line (PNM_LOG_ERR: a dump precedes a fatal error or a leak
 * report) and start the next. */
static void line_log(struct dump_line *l)
{
	pnm_log(PNM_LOG_ERR, "%s", l->buf);
	l->len = 0;
	l->buf[0] = '\0';
}

static void print_flags(struct dump_line *l, unsigned long flags)
{
	const char *sep = "";
	int i;

	line_add(l, "%#lx(", flags & ~(ZONES_MASK << ZONES_PGSHIFT));
	for (i = 0; i < __NR_PAGEFLAGS; i++) {
		if (flags & BIT(i)) {
			line_add(l, "%s%s", sep, pageflag_names[i]);
			sep = "|";
		}
	}
	line_add(l, ")");
}

static bool in_mem_map(const struct page *page)
{
	uintptr_t base = (uintptr_t)pnm_mem.mem_map, p = (uintptr_t)page;

	return base && p >= base &&
	       p < base + pnm_mem.nr_frames * sizeof(struct page) &&
	       (p - base) % sizeof(struct page) == 0;
}

/*
 * Log everything known about @page, one pnm_log(PNM_LOG_ERR) line at a
 * time, headed by @reason: pfn, zone, flags by name, refcount, mapcount,
 * entire mapcount, pin counts, folio order, mapping and index (or the
 * page-table fields for a PG_table frame; the buddy order for a free
 * block head).  For a tail page the head is printed too.  Takes no lock,
 * allocates nothing and never fails; a pointer outside mem_map[] is
 * reported as such.
 */
void dump_page(struct page *page, const char *reason)
{
	struct dump_line l = { .len = 0 };
	unsigned long pfn, flags;
	struct page *head;

	pnm_log(PNM_LOG_ERR, "pinmm: dump_page: %s", reason ? reason : "");
	if (!in_mem_map(page)) {
		pnm_log(PNM_LOG_ERR, "  page %p is not in mem_map", (void *)page);
		return;
	}
	pfn = page_to_pfn(page);
	flags = READ_ONCE(page->flags);
	head = compound_head(page);
	if (!in_mem_map(head)) {
		pnm_log(PNM_LOG_ERR, "  pfn %#lx: corrupt compound_head %#lx", pfn,
			READ_ONCE(page->compound_head));
		head = page;
	}

	line_add(&l, "  page pfn %#lx zone %s flags ", pfn,
		 zone_type_name(page_zonenum(page)));
	print_flags(&l, flags);
	line_log(&l);
	line_add(&l, "  refcount %d mapcount %d pnm_pincount %d",
		 atomic_read(&page->_refcount), atomic_read(&page->_mapcount),
		 atomic_read(&page->pnm_pincount));
	if (flags & BIT(PG_table))
		line_add(&l, " page table level %lu mm %p",
			 READ_ONCE(page->pt_level), (void *)READ_ONCE(page->pt_mm));
	else if (flags & BIT(PG_buddy))
		line_add(&l, " free block order %lu", READ_ONCE(page->private));
	else
		line_add(&l, " mapping %p index %#lx private %#lx",
			 (void *)READ_ONCE(page->mapping), READ_ONCE(page->index),
			 READ_ONCE(page->private));
	line_log(&l);

	if (head != page) {
		line_add(&l, "  tail %lu of head pfn %#lx flags ",
			 (unsigned long)(page - head), page_to_pfn(head));
		print_flags(&l, READ_ONCE(head->flags));
		line_log(&l);
	}
	line_add(&l, "  folio order %u refcount %d", READ_ONCE(head->_folio_order),
		 atomic_read(&head->_refcount));
	/* page[1]'s words are the folio's only if it is large (mm_types.h). */
	if (PageHead(head) && in_mem_map(head + 1))
		line_add(&l, " entire_mapcount %d pincount %d",
			 atomic_read(&((struct folio *)head)->_entire_mapcount),
			 atomic_read(&((struct folio *)head)->_pincount));
	if (!(READ_ONCE(head->flags) & BIT(PG_table)))
		line_add(&l, " mapping %p index %#lx",
			 (void *)READ_ONCE(head->mapping), READ_ONCE(head->index));
	line_add(&l, "%s", is_zero_pfn(page_to_pfn(head)) ? " (zero page)" :
		 is_huge_zero_pfn(page_to_pfn(head)) ? " (huge zero page)" : "");
	line_log(&l);
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
	struct mm_struct **mm;		/* per page: an mm mapping it */
	int *pte;			/* per page: present PTEs */
	bool *multi_mm;			/* per page: mapped by more than one mm */
	int pmd;			/* present PMDs */
	struct mm_struct *pmd_mm;
	bool pmd_multi_mm;
	int migration;			/* migration entries naming its pages */
};

/* A zeroed tally for a folio of @nr pages, its arrays in the same
 * allocation (sized to the folio: most are order 0), or NULL. */
static struct folio_tally *tally_alloc(unsigned long nr)
{
	size_t size = sizeof(struct folio_tally) +
		      nr * (sizeof(struct mm_struct *) + sizeof(int) + sizeof(bool));
	struct folio_tally *t = calloc(1, size);

	if (!t)
		return NULL;
	t->mm = (struct mm_struct **)(t + 1);
	t->pte = (int *)(t->mm + nr);
	t->multi_mm = (bool *)(t->pte + nr);
	return t;
}

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
	/* A large folio's own fields, on page[1] (mm_types.h). */
	if (order && (folio_entire_mapcount(folio) < 0 ||
		      atomic_read(&folio->_pincount) < 0))
		return pnm_check_fail("folio %#lx: page[1] holds entire mapcount %d, _pincount %d",
				      pfn, folio_entire_mapcount(folio),
				      atomic_read(&folio->_pincount));
	for (i = 1; i < nr; i++) {
		struct page *p = folio_page(folio, i);

		/* The word of lru.next: a tail is on no list. */
		if (READ_ONCE(p->compound_head) != ((unsigned long)folio | 1))
			return pnm_check_fail("folio %#lx: tail %lu does not point at the head",
					      pfn, i);
		if (PageHead(p) || PageBuddy(p) || PageTable(p))
			return pnm_check_fail("folio %#lx: tail %lu has flags %#lx",
					      pfn, i, READ_ONCE(p->flags));
		if (atomic_read(&p->_refcount) || READ_ONCE(p->_folio_order))
			return pnm_check_fail("folio %#lx: tail %lu has refcount %d order %u",
					      pfn, i, atomic_read(&p->_refcount),
					      READ_ONCE(p->_folio_order));
	}
	return true;
}

/* Page-cache references of @folio: folio_nr_pages() if a cache holds it,
 * the page cache or the swap cache. */
static int cache_refs(struct folio *folio)
{
	struct address_space *mapping = folio_mapping(folio);

	if (folio_test_swapcache(folio))
		return swap_cache_holds(folio) ? (int)folio_nr_pages(folio) : 0;
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
	if (folio_test_hugetlb(folio))
		return hugetlb_check_folio(folio);	/* hugetlb_fault.c */
	if (!check_compound(folio))
		return false;
	refs = folio_ref_count(folio);
	if (refs <= 0)
		return pnm_check_fail("folio %#lx: in use with refcount %d", pfn, refs);
	nr = folio_nr_pages(folio);
	anon = folio_test_anon(folio);
	em = folio_entire_mapcount(folio);
	if (is_huge_zero_folio(folio))
		return pnm_check_huge_zero();	/* huge_memory.c owns it */
	if (is_zero_folio(folio)) {
		if (!PageReserved(&folio->page) || em || atomic_read(&folio->page._mapcount))
			return pnm_check_fail("zero page %#lx: reserved %d mapcount %d",
					      pfn, PageReserved(&folio->page),
					      atomic_read(&folio->page._mapcount));
		return true;
	}
	/* Lazily freed (MADV_FREE) anon folios lose PG_swapbacked, and are
	 * on the file LRU list or isolated by reclaim (swap.c). */
	if (anon && !folio_test_swapbacked(folio) &&
	    (folio_test_swapcache(folio) || folio_test_active(folio)))
		ok = pnm_check_fail("anon folio %#lx without PG_swapbacked: swapcache %d active %d",
				    pfn, folio_test_swapcache(folio), folio_test_active(folio));
	/* The swap cache holds exactly its PG_swapcache folios (swap_state.c). */
	if (folio_test_swapcache(folio) && !swap_cache_holds(folio))
		ok = pnm_check_fail("folio %#lx: PG_swapcache (entry %#lx) but not in the swap cache",
				    pfn, folio_swap_entry(folio).val);

	t = tally_alloc(nr);
	if (!t)
		return pnm_check_nomem("pnm_check_folio");
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
	/* Partly mapped large anon folios wait on the deferred split queue. */
	if (!pnm_check_folio_deferred(folio))
		ok = false;
	return ok;
}
