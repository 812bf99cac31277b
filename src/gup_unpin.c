// SPDX-License-Identifier: MIT
/*
 * gup_unpin.c - the unpin family: unpin_user_page(), unpin_user_pages(),
 * unpin_user_pages_dirty_lock(), unpin_user_page_range_dirty_lock(),
 * unpin_folio(), unpin_user_folio(), unpin_folios() and
 * set_page_dirty_lock() (Linux's mm/gup.c, the release half; gup.c holds
 * the acquire half and the accounting rules both follow).
 *
 * Every unpin first asks the pin registry whether there is a pin to
 * release (pnm_pin_registry_del*(), pin_registry.c: it retires the pin's
 * record, or reports a misuse and refuses), then releases the pins of each
 * run of one folio with one folio operation: _pincount before _refcount
 * (internal.h's ordering rule).  A page array is checked and released in
 * batches of a THP's worth (UNPIN_BATCH), with one pass per batch that
 * finds whether its entries are consecutive frames, shared by the
 * registry and the release.  In the production configuration (registry
 * and pin_debug off, linux accounting) nothing is checked per entry and
 * the release loop reads each order-0 folio's descriptor once.
 * NR_FOLL_PIN_RELEASED is added once per call.
 *
 * Locking: the folio lock in the dirtying unpins (set_page_dirty_lock());
 * nothing else here sleeps.  The registry's lock is a leaf.
 */
#include "internal.h"
#include "pin_registry.h"	/* pnm_pin_tcache_del(): a one-page release */

/* --- dirtying ----------------------------------------------------------------- */

/* folio_mark_dirty() itself lives in page-writeback.c. */

/*
 * set_page_dirty_lock - folio_mark_dirty() under the folio lock, for
 * FOLL_GET users that wrote to a page before put_page().  Sleeps on the
 * folio lock: the caller must not hold it (mmap_lock is fine).
 */
void set_page_dirty_lock(struct page *page)
{
	struct folio *folio = page_folio(page);

	folio_lock(folio);
	folio_mark_dirty(folio);
	folio_unlock(folio);
}

/* The dirtying step of the *_dirty_lock unpins (the zero pages are never
 * dirtied: they are nobody's data). */
static void gup_dirty_folio(struct folio *folio)
{
	if (is_zero_folio(folio) || is_huge_zero_folio(folio) || folio_test_dirty(folio))
		return;
	folio_lock(folio);
	folio_mark_dirty(folio);
	folio_unlock(folio);
}

/* --- unpinning ------------------------------------------------------------------- */

/*
 * Release @n pins of @folio (already checked: their registry nodes and
 * shadow counts are gone) with one folio operation, _pincount before the
 * references.  Returns the pins released for NR_FOLL_PIN_RELEASED, which
 * the caller adds once per call (0 in legacy mode and for the zero page).
 */
unsigned long pnm_unpin_folio_pins(struct folio *folio, unsigned long n)
{
	if (!n)
		return 0;
	if (pnm_config.legacy_gup) {
		/* Legacy pins are plain references, the zero page's too. */
		folio_put_refs(folio, (int)n);
		return 0;
	}
	if (is_zero_folio(folio))
		return 0;
	if (folio_has_pincount(folio))
		atomic_sub((int)n, &folio->_pincount);
	/* Fully ordered: the pin counts drop before the references. */
	folio_put_refs(folio, pnm_pin_refcount_units(folio, (int)n));
	return n;
}

/*
 * Release the pins of @nr pages of one @folio: list[0..nr) if @list, else
 * the consecutive pages from @first.  @ok (indexed like the pages) says
 * which ones pnm_pin_registry_del_pages() let through: it already retired
 * their pins' registry nodes and shadow counts (an entry whose folio had
 * no pin left was reported there and is skipped).  @ok NULL: check each
 * page with pnm_pin_registry_del() here if pnm_unpin_needs_check(), else
 * release all.  Pins belong to the folio, so any page of it may release
 * any of its pins.  Returns the pins released (pnm_unpin_folio_pins()).
 */
static unsigned long unpin_run(struct folio *folio, struct page *const *list,
			       struct page *first, unsigned long nr, const bool *ok)
{
	unsigned long i, n = nr;

	if (ok) {
		for (i = 0, n = 0; i < nr; i++)
			n += ok[i];
	} else if (pnm_unpin_needs_check()) {
		if (list)
			for (i = 0, n = 0; i < nr; i++)
				n += pnm_pin_registry_del(list[i]);
		else
			n = pnm_pin_registry_del_range(first, nr);
	}
	return pnm_unpin_folio_pins(folio, n);
}

/*
 * How many entries of @list, from the first and at most @max (>= 1), are
 * the consecutive descriptors from list[0] on.  All @max in one vector
 * pass when they are (pnm_pin_span_of()); else eight entries at a time
 * with no early exit, then one at a time from the first block that
 * differs.  Compares addresses only: no descriptor is read.
 */
static unsigned long consecutive_entries(struct page *const *list, unsigned long max)
{
	const uintptr_t first = (uintptr_t)list[0];
	unsigned long j = 1, pfn;

	/* The common case, a whole THP's entries: one pass of the
	 * registry's vector compare (sixteen entries a step, AVX2 where the
	 * CPU has it), about one instruction per entry. */
	if (max >= 16 && pnm_pin_span_of(list, max, &pfn))
		return max;

	while (j + 8 <= max) {
		uintptr_t diff = 0;

		for (unsigned long k = j; k < j + 8; k++)
			diff |= (uintptr_t)list[k] ^ (first + k * sizeof(struct page));
		if (diff)
			break;
		j += 8;
	}
	while (j < max && (uintptr_t)list[j] == first + j * sizeof(struct page))
		j++;
	return j;
}

/* Consecutive entries of @pages from @i that belong to one folio. */
struct folio *pnm_gup_folio_next(struct page **pages, unsigned long npages,
				    unsigned long i, unsigned long *nr)
{
	struct folio *folio = page_folio(pages[i]);
	unsigned long j = i + 1, end = j;

	/*
	 * A large folio's pages are consecutive descriptors: an entry that
	 * is the next descriptor, within the pages the folio has left, is
	 * in it without reading its descriptor (a 2 MiB folio costs one
	 * read, not 512).  Other entries are asked for their folio.
	 */
	if (folio_test_large(folio))
		end = min_t(unsigned long, npages,
			    i + folio_nr_pages(folio) - folio_page_idx(folio, pages[i]));
	if (end > j)
		j = i + consecutive_entries(pages + i, end - i);
	for (; j < npages; j++)
		if (!pages[j] || page_folio(pages[j]) != folio)
			break;
	*nr = j - i;
	return folio;
}

/*
 * The folio of @page, the first of @max (>= 1) physically consecutive
 * pages (entries a span pass found consecutive, none the zero page), and
 * in *@nr how many of them from @page are in it: no entry is read.
 */
static inline struct folio *gup_span_folio(struct page *page, unsigned long max,
					   unsigned long *nr)
{
	struct folio *folio = page_folio(page);

	*nr = folio_test_large(folio) ?
	      min_t(unsigned long, max, folio_nr_pages(folio) - folio_page_idx(folio, page)) : 1;
	return folio;
}

/* Physically consecutive pages from @start + @i that belong to one folio. */
static struct folio *gup_folio_range_next(struct page *start, unsigned long npages,
					  unsigned long i, unsigned long *nr)
{
	struct page *next = start + i;
	struct folio *folio = page_folio(next);
	unsigned long n = 1;

	if (folio_test_large(folio))
		n = min_t(unsigned long, npages - i,
			  folio_nr_pages(folio) - folio_page_idx(folio, next));
	*nr = n;
	return folio;
}

/*
 * unpin_user_page - release one pin of @page's folio taken by a
 * pin_user_pages*() call through any page of that folio (a THP pinned
 * through its sixth page may be released through its head).  A folio
 * with no pin left to release is reported (pin registry) and left alone.
 * Never sleeps; may free the folio.
 */
void unpin_user_page(struct page *page)
{
	unsigned long released;

	pnm_gup_site_enter(__builtin_return_address(0));
	released = unpin_run(page_folio(page), NULL, page, 1, NULL);
	if (released)
		mod_vm_stat(NR_FOLL_PIN_RELEASED, (long)released);
	pnm_gup_site_exit();
}

/*
 * folio_put_refs() of an order-0 folio's pin references with the
 * decrement inline (the production unpin loop's one atomic per page);
 * the rest -- freeing at zero, an underflow, pin_debug's check -- out of
 * line, only when it has something to do.
 */
static inline void unpin_put_refs(struct folio *folio, int nr)
{
	/* Fully ordered, as folio_put_refs()'s (swap.c). */
	int refs = atomic_sub_return(nr, &folio->_refcount);

	if (unlikely(refs <= 0 || pnm_config.pin_debug))
		__folio_put_refs_done(folio, refs);
}

/*
 * The release loop of unpin_pages() when there is nothing to check per
 * entry (pnm_unpin_needs_check() false, or the registry let every entry
 * of a batch through), outside legacy mode and in linux accounting: the
 * production configuration, and unpin_pages_batched() once checked.  An order-0 folio's
 * run is the entries equal to its page (no other page belongs to it), so
 * its descriptor is read once, and its pins are GUP_PIN_COUNTING_BIAS
 * references each; large folios go through pnm_gup_folio_next() -- or, when
 * @span says the entries are consecutive frames (a pass already made),
 * gup_span_folio(), which reads no entry -- and pnm_unpin_folio_pins() as in
 * the general loop.  Returns the pins released.
 */
static inline __attribute__((always_inline))
unsigned long __unpin_pages_unchecked(struct page **pages, unsigned long n, bool span)
{
	const struct page *zero = pfn_to_page(pnm_mem.zero_pfn);
	unsigned long i = 0, nr, released = 0;

	while (i < n) {
		struct page *page = pages[i];
		struct folio *folio;

		if (!page) {
			i++;
			continue;
		}
		if (!(READ_ONCE(page->compound_head) & 1) && !folio_order((struct folio *)page)) {
			/* (In a span no entry repeats.) */
			for (nr = 1; !span && i + nr < n && pages[i + nr] == page; nr++)
				;
			i += nr;
			if (page == zero)
				continue;	/* the zero page's pins are not counted */
			unpin_put_refs((struct folio *)page, (int)(nr * GUP_PIN_COUNTING_BIAS));
			released += nr;
			continue;
		}
		folio = span ? gup_span_folio(page, n - i, &nr) : pnm_gup_folio_next(pages, n, i, &nr);
		released += pnm_unpin_folio_pins(folio, nr);
		i += nr;
	}
	return released;
}

/* __unpin_pages_unchecked() of any array (one copy each, so that the
 * production loop stays as compact as it was). */
static __attribute__((noinline)) unsigned long unpin_pages_unchecked(struct page **pages,
								     unsigned long n)
{
	return __unpin_pages_unchecked(pages, n, false);
}

/*
 * __unpin_pages_unchecked() of a one-entry array, inline: an order-0
 * folio's page (the common one-page release) released here, anything else
 * by unpin_pages_unchecked().
 */
static inline unsigned long unpin_one_unchecked(struct page **pages)
{
	struct page *page = pages[0];

	if (!page || (READ_ONCE(page->compound_head) & 1) || folio_order((struct folio *)page))
		return unpin_pages_unchecked(pages, 1);
	if (page == pfn_to_page(pnm_mem.zero_pfn))
		return 0;	/* the zero page's pins are not counted */
	unpin_put_refs((struct folio *)page, GUP_PIN_COUNTING_BIAS);
	return 1;
}

/* __unpin_pages_unchecked() of entries a pass found consecutive. */
static __attribute__((noinline)) unsigned long unpin_span_unchecked(struct page **pages,
								    unsigned long n)
{
	return __unpin_pages_unchecked(pages, n, true);
}

/* Entries of @pages checked against the registry per pin_lock round trip
 * (the ok[] array lives on the stack): one 2 MiB folio's worth. */
#define UNPIN_BATCH	HPAGE_PMD_NR

/*
 * The general body of unpin_user_pages*(), per batch of up to UNPIN_BATCH
 * entries: dirty the folios (if asked), check and retire every entry in
 * one registry call (one lock round trip), then release each run of one
 * folio with one refcount atomic (and one _pincount atomic for a large
 * folio).  A batch of consecutive frames (a THP's entries) is found with
 * one pass, pnm_pin_span_of(), which the dirtying, the registry
 * (pnm_pin_registry_del_span()) and the release share: its folios then
 * follow from its first page without reading an entry.
 * NR_FOLL_PIN_RELEASED is added once per call.
 */
static __attribute__((noinline)) void unpin_pages_batched(struct page **pages,
							 unsigned long npages, bool make_dirty)
{
	bool check = pnm_unpin_needs_check(), refused;
	/* Nothing refused, pins as Linux counts them: the release itself is
	 * the production loop's (the registry and shadow counts are done). */
	bool plain = !pnm_config.legacy_gup &&
		     pnm_config.pin_accounting == PNM_PIN_ACCOUNTING_LINUX;
	unsigned long base, i, nr, released = 0;
	bool ok[UNPIN_BATCH];

	for (base = 0; base < npages; base += UNPIN_BATCH, pages += UNPIN_BATCH) {
		unsigned long n = min_t(unsigned long, npages - base, UNPIN_BATCH), pfn = 0;
		/* One pass tells a batch of consecutive frames (a THP's
		 * entries), for the dirtying, the registry and the release
		 * alike.  One page is left to pnm_pin_registry_del_pages(). */
		bool span = n > 1 && pnm_pin_span_of(pages, n, &pfn);

		if (make_dirty) {
			for (i = 0; i < n; i += nr) {
				if (span) {
					gup_dirty_folio(gup_span_folio(pages[0] + i, n - i, &nr));
					continue;
				}
				if (!pages[i]) {
					nr = 1;
					continue;
				}
				gup_dirty_folio(pnm_gup_folio_next(pages, n, i, &nr));
			}
		}
		/* With nothing refused every entry is released as is. */
		if (!check)
			refused = false;
		else if (n > 1)
			refused = pnm_pin_registry_del_span(pages, n, ok, span ? &pfn : NULL);
		else
			refused = pnm_pin_registry_del_pages(pages, n, ok);
		if (!refused && plain) {
			released += span ? unpin_span_unchecked(pages, n) :
					   unpin_pages_unchecked(pages, n);
			continue;
		}
		for (i = 0; i < n; i += nr) {
			struct folio *folio;

			if (!pages[i]) {
				nr = 1;
				continue;
			}
			folio = span ? gup_span_folio(pages[i], n - i, &nr) :
				       pnm_gup_folio_next(pages, n, i, &nr);
			if (check && !refused)
				released += pnm_unpin_folio_pins(folio, nr);
			else
				released += unpin_run(folio, pages + i, NULL, nr,
						      check ? ok + i : NULL);
		}
	}
	if (released)
		mod_vm_stat(NR_FOLL_PIN_RELEASED, (long)released);
}

/*
 * unpin_pages_batched() or, when nothing is checked or dirtied in the
 * production configuration, unpin_pages_unchecked(): without the batch
 * loop's stack frame, which a one-page unpin would pay for.  With the
 * registry on, a one-page release whose pin the calling thread's cache
 * holds is retired there (pin_tcache.c) and then released as the
 * production loop releases it -- what unpin_pages_batched() would do for
 * it, without its set-up; any other goes through unpin_pages_batched().
 */
static inline void unpin_pages(struct page **pages, unsigned long npages, bool make_dirty)
{
	unsigned long released;

	/* An error value passed as a count: most likely a caller that
	 * forwarded a failed pin's -errno.  Do nothing. */
	if (VM_WARN_ON_ONCE(IS_ERR_VALUE(npages)))
		return;
	if (make_dirty || pnm_config.legacy_gup ||
	    pnm_config.pin_accounting != PNM_PIN_ACCOUNTING_LINUX ||
	    (pnm_unpin_needs_check() &&
	     !(npages == 1 && pnm_config.pin_registry && pages[0] &&
	       pnm_pin_tcache_del(pages[0])))) {
		unpin_pages_batched(pages, npages, make_dirty);
		return;
	}
	released = npages == 1 ? unpin_one_unchecked(pages) : unpin_pages_unchecked(pages, npages);
	if (released)
		mod_vm_stat(NR_FOLL_PIN_RELEASED, (long)released);
}

/*
 * unpin_user_pages - release the pins of @npages entries of @pages.  An
 * @npages that looks like an -errno warns and does nothing; NULL entries
 * are skipped; consecutive entries of one folio are released together.
 * Never sleeps.
 */
void unpin_user_pages(struct page **pages, unsigned long npages)
{
	pnm_gup_site_enter(__builtin_return_address(0));
	unpin_pages(pages, npages, false);
	pnm_gup_site_exit();
}

/*
 * unpin_user_pages_dirty_lock - as unpin_user_pages(), first marking each
 * folio dirty under its folio lock if @make_dirty and it is not dirty
 * already (a racing writeback cleaning it is harmless: the data goes out
 * either way).  Sleeps on folio locks when dirtying.
 */
void unpin_user_pages_dirty_lock(struct page **pages, unsigned long npages,
				 bool make_dirty)
{
	pnm_gup_site_enter(__builtin_return_address(0));
	unpin_pages(pages, npages, make_dirty);
	pnm_gup_site_exit();
}

/*
 * unpin_user_page_range_dirty_lock - release one pin on each of the
 * @npages physically consecutive pages from @page (dirtying each folio
 * first if @make_dirty), one operation per folio.
 */
void unpin_user_page_range_dirty_lock(struct page *page, unsigned long npages,
				      bool make_dirty)
{
	unsigned long i, nr, released = 0;

	pnm_gup_site_enter(__builtin_return_address(0));
	for (i = 0; i < npages; i += nr) {
		struct folio *folio = gup_folio_range_next(page, npages, i, &nr);

		if (make_dirty)
			gup_dirty_folio(folio);
		released += unpin_run(folio, NULL, page + i, nr, NULL);
	}
	if (released)
		mod_vm_stat(NR_FOLL_PIN_RELEASED, (long)released);
	pnm_gup_site_exit();
}

/* unpin_user_folio()'s work, for the entry points of this section (which
 * must not call each other: see pnm_gup_site_enter()). */
static void unpin_folio_checked(struct folio *folio, unsigned long npages)
{
	unsigned long n = npages, released;

	if (!npages)
		return;
	if (pnm_unpin_needs_check())
		n = pnm_pin_registry_del_folio(folio, npages);
	released = pnm_unpin_folio_pins(folio, n);
	if (released)
		mod_vm_stat(NR_FOLL_PIN_RELEASED, (long)released);
}

/*
 * unpin_user_folio - release @npages pins of @folio at once, whichever
 * pages they were taken through (the io_uring pattern: pin a THP's pages
 * one by one, give them back as one folio).  The exact per-page counts
 * and registry nodes that go are the head's first, then those of the
 * following pages (pnm_pin_registry_del_folio()); if the folio has fewer
 * pins left, the shortfall is reported once and only the pins it has are
 * released.  @npages 0 does nothing.  Never sleeps; may free the folio.
 */
void unpin_user_folio(struct folio *folio, unsigned long npages)
{
	pnm_gup_site_enter(__builtin_return_address(0));
	unpin_folio_checked(folio, npages);
	pnm_gup_site_exit();
}

/*
 * unpin_folio - release one pin of @folio, whichever of its pages it was
 * taken through: unpin_user_folio(@folio, 1).  Pins taken with
 * try_grab_folio() are charged to the head, others to their page; the
 * head's go first.
 */
void unpin_folio(struct folio *folio)
{
	pnm_gup_site_enter(__builtin_return_address(0));
	unpin_folio_checked(folio, 1);
	pnm_gup_site_exit();
}

/*
 * unpin_folios - release one pin per entry of @folios (unpin_folio());
 * NULL entries are skipped; an -errno count warns and does nothing.
 */
void unpin_folios(struct folio **folios, unsigned long nfolios)
{
	unsigned long i;

	pnm_gup_site_enter(__builtin_return_address(0));
	if (!VM_WARN_ON_ONCE(IS_ERR_VALUE(nfolios))) {
		for (i = 0; i < nfolios; i++)
			if (folios[i])
				unpin_folio_checked(folios[i], 1);
	}
	pnm_gup_site_exit();
}
