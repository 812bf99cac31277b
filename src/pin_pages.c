// SPDX-License-Identifier: MIT
/*
 * pin_pages.c - the pin registry's work on pages rather than records: the
 * runs of consecutive frames in a page array that its records and
 * releases are made of (vector compares, chosen for the CPU at
 * pnm_init()), the exact per-page shadow pin counts, the check that a
 * put did not release a pin's reference, the fast walk's span hint, and
 * the report of pins left at pnm_fini().  The records themselves:
 * pin_registry.c.
 *
 * Locking: nothing here takes a lock but through pin_registry.c
 * (pnm_pin_report_range(), the registry listing); the shadow counts are
 * atomics whose ordering rule internal.h states.
 */
#include <stdio.h>

#include "internal.h"

#define CONFIRM_SNAPSHOTS 4	/* see pnm_pin_check_put() */

/* pnm_pin_shadow_count() (internal.h): set by pnm_pin_registry_init()
 * from pnm_config, read-only afterwards. */
bool pnm_pin_shadow;

/* --- runs of consecutive frames ------------------------------------------- */

/*
 * The number of entries of @pages from @i (whose frame is @pfn, not the
 * zero page) that are consecutive frames of @pfn's block, none of them
 * the zero page: a run whose pins one word of bits holds.
 */
static inline __attribute__((always_inline))
unsigned long __run_len(struct page *const *pages, unsigned long i, unsigned long nr,
			unsigned long pfn)
{
	unsigned long room = min_t(unsigned long, PNM_PIN_BLOCK_PAGES - (pfn & (PNM_PIN_BLOCK_PAGES - 1)),
				   nr - i);
	unsigned long zero = pnm_mem.zero_pfn - pfn, len = 1;

	/* Four entries at a time as integers (the compiler does not vectorise
	 * loads of pointers): the whole run is checked without a branch per
	 * entry -- the common case -- else the scalar loop finds the break. */
	typedef unsigned long v4 __attribute__((vector_size(32)));
	const unsigned long step = sizeof(struct page);
	unsigned long e0 = (unsigned long)pages[i], j, bad;
	v4 want = { e0, e0 + step, e0 + 2 * step, e0 + 3 * step };
	v4 inc = { 4 * step, 4 * step, 4 * step, 4 * step }, diff = { 0, 0, 0, 0 };

	if (zero < room)
		room = zero;
	for (j = 0; j + 4 <= room; j += 4) {
		v4 got;

		__builtin_memcpy(&got, pages + i + j, sizeof(got));
		diff |= got ^ want;
		want += inc;
	}
	bad = diff[0] | diff[1] | diff[2] | diff[3];
	for (; !bad && j < room; j++)
		bad = pages[i + j] != pages[i] + j;
	if (!bad)
		return room;
	while (len < room && pages[i + len] == pages[i] + len)
		len++;
	return len;
}

/*
 * Are @pages[0..@nr) the consecutive descriptors from pages[0] (so none is
 * NULL)?  One pass of vector compares, sixteen entries per step, without
 * a branch per entry: what a call over one THP, or over frames handed out
 * in order, looks like.
 */
static inline __attribute__((always_inline))
bool __span_consecutive(struct page *const *pages, unsigned long nr)
{
	typedef unsigned long v4 __attribute__((vector_size(32)));
	const unsigned long step = sizeof(struct page);
	unsigned long e0 = (unsigned long)pages[0], j;
	/* Entry j + 4q + l of a step of 16 should be w + off[q] + l * step:
	 * one changing vector, four constant offsets. */
	v4 w = { e0, e0 + step, e0 + 2 * step, e0 + 3 * step };
	v4 inc = { 16 * step, 16 * step, 16 * step, 16 * step };
	v4 o1 = { 4 * step, 4 * step, 4 * step, 4 * step };
	v4 o2 = o1 + o1, o3 = o2 + o1;
	v4 d0 = { 0, 0, 0, 0 }, d1 = d0, d2 = d0, d3 = d0;

	for (j = 0; j + 16 <= nr; j += 16) {
		v4 a, b, c, d;

		__builtin_memcpy(&a, pages + j, sizeof(a));
		__builtin_memcpy(&b, pages + j + 4, sizeof(b));
		__builtin_memcpy(&c, pages + j + 8, sizeof(c));
		__builtin_memcpy(&d, pages + j + 12, sizeof(d));
		d0 |= a ^ w;
		d1 |= (b - o1) ^ w;
		d2 |= (c - o2) ^ w;
		d3 |= (d - o3) ^ w;
		w += inc;
	}
	d0 |= d1 | d2 | d3;
	if (d0[0] | d0[1] | d0[2] | d0[3])
		return false;
	for (; j < nr; j++)
		if (pages[j] != pages[0] + j)
			return false;
	return true;
}

typedef bool span_fn(struct page *const *pages, unsigned long nr);

static bool span_consecutive_generic(struct page *const *pages, unsigned long nr)
{
	return __span_consecutive(pages, nr);
}

#if defined(__x86_64__)
__attribute__((target("avx2")))
static bool span_consecutive_avx2(struct page *const *pages, unsigned long nr)
{
	return __span_consecutive(pages, nr);
}
#endif

/* Set by pnm_pin_runs_select(), read-only afterwards. */
static span_fn *span_consecutive_fn = span_consecutive_generic;

/*
 * The frame of @pages[0] in *@pfn if @pages[0..@nr) are consecutive
 * frames, none of them the zero page: true.  @nr > 0.
 */
bool pnm_pin_span_of(struct page *const *pages, unsigned long nr, unsigned long *pfn)
{
	if (!pages[0])
		return false;
	*pfn = page_to_pfn(pages[0]);
	if (pnm_mem.zero_pfn - *pfn < nr)
		return false;
	return nr == 1 || span_consecutive_fn(pages, nr);
}

/* The fast walk's span hint (internal.h); this thread's only. */
_Thread_local struct pnm_pin_span_hint pnm_pin_span_hint;

/*
 * pnm_pin_span_hint_take - is there a hint for exactly @pages[0..@nr)?
 * True with pages[0]'s frame in *@pfn.  The hint is cleared either way,
 * so it serves one record at most.  Its first and last entries are
 * checked against the array as well: a cheap guard, not the proof (the
 * hint's rule in internal.h is that).
 */
bool pnm_pin_span_hint_take(struct page *const *pages, unsigned long nr, unsigned long *pfn)
{
	struct pnm_pin_span_hint h = pnm_pin_span_hint;

	pnm_pin_span_hint.pages = NULL;
	if (h.pages != pages || h.nr != nr || !nr || pages[0] != h.first ||
	    pages[nr - 1] != h.first + (nr - 1))
		return false;
	*pfn = page_to_pfn(h.first);
	return true;
}

static unsigned long run_len_generic(struct page *const *pages, unsigned long i,
				     unsigned long nr, unsigned long pfn)
{
	return __run_len(pages, i, nr, pfn);
}

#if defined(__x86_64__)
/* The same compiled for AVX2 (four entries per compare), chosen at
 * pnm_init() when the CPU has it.  Not an ifunc: resolvers run before a
 * sanitizer's runtime is up. */
__attribute__((target("avx2")))
static unsigned long run_len_avx2(struct page *const *pages, unsigned long i,
				  unsigned long nr, unsigned long pfn)
{
	return __run_len(pages, i, nr, pfn);
}
#endif

/* Set by pnm_pin_runs_select(), read-only afterwards (internal.h). */
pnm_pin_run_len_fn *pnm_pin_run_len = run_len_generic;

/*
 * Choose the run finders for this CPU (AVX2 where it has it); called by
 * pnm_pin_registry_init(), from pnm_init().  Not thread safe.
 */
void pnm_pin_runs_select(void)
{
	pnm_pin_run_len = run_len_generic;
	span_consecutive_fn = span_consecutive_generic;
#if defined(__x86_64__)
	__builtin_cpu_init();
	if (__builtin_cpu_supports("avx2")) {
		pnm_pin_run_len = run_len_avx2;
		span_consecutive_fn = span_consecutive_avx2;
	}
#endif
}

/*
 * The next run of @pages at or after entry *@i, skipping NULL entries and
 * the zero page: its first entry in *@i, frame in *@pfn and length in
 * *@len.  False when none is left.
 */
bool pnm_pin_next_run(struct page *const *pages, unsigned long nr, unsigned long *i,
		      unsigned long *pfn, unsigned long *len)
{
	for (; *i < nr; (*i)++) {
		if (!pages[*i])
			continue;
		*pfn = page_to_pfn(pages[*i]);
		if (is_zero_pfn(*pfn))
			continue;
		*len = pnm_pin_run_len(pages, *i, nr, *pfn);
		return true;
	}
	return false;
}


/*
 * Take one shadow pin of @page away if it has one: a cmpxchg loop that
 * never takes pnm_pincount below 0, so the check and the release are one
 * step (two unpins racing for the last pin cannot both pass).  Fully
 * ordered: the pin count drops before the caller's refcount decrement
 * (ordering rule, pairs with pnm_pin_check_put()'s snapshots).
 */
static bool shadow_put(struct page *page)
{
	int c = atomic_read(&page->pnm_pincount);

	do {
		if (c <= 0)
			return false;
	} while (!atomic_try_cmpxchg(&page->pnm_pincount, &c, c - 1));
	return true;
}

/*
 * pnm_pin_shadow_take - take up to @nr shadow pins (page->pnm_pincount)
 * of @folio away, from @via (may be NULL) first, then from the first
 * pinned pages from the head on (internal.h).  Never takes a count below
 * 0; each page's step is one cmpxchg (shadow_put()), so concurrent
 * releases of one folio cannot take the same pin.  Returns the number
 * taken.  Lock free.
 */
unsigned long pnm_pin_shadow_take(struct folio *folio, struct page *via, unsigned long nr)
{
	unsigned long k, done = 0, end = folio_nr_pages(folio);

	while (via && done < nr && shadow_put(via))
		done++;
	for (k = 0; k < end && done < nr; k++) {
		struct page *p = folio_page(folio, k);

		while (p != via && done < nr && shadow_put(p))
			done++;
	}
	return done;
}


/* --- put check ----------------------------------------------------------- */

/*
 * What the pins of @folio hold of its refcount, read now.  Acquire: keeps
 * the refcount load that follows in a snapshot after this one (a pin
 * raised the refcount, fully ordered, before its pin counts).
 */
static long pin_floor(struct folio *folio, bool large)
{
	long pins;

	if (large)
		return atomic_read_acquire(&folio->_pincount);
	pins = atomic_read_acquire(&folio->page.pnm_pincount);
	if (pnm_config.pin_accounting == PNM_PIN_ACCOUNTING_LINUX)
		return pins * GUP_PIN_COUNTING_BIAS;
	return pins;
}

/*
 * folio_put_refs() hook (called when pnm_pin_check_wanted() says the
 * folio may hold pins): @after is the refcount its decrement produced.
 * The folio's pins hold pins * GUP_PIN_COUNTING_BIAS of it (small folio,
 * linux accounting) or pins (large folio: _pincount; exact accounting:
 * the page's pnm_pincount).  A count below that means some put released a
 * reference that belonged to a pin: PUT_ON_PIN is reported, naming the
 * pin.  Only with pin_debug, never in legacy mode.  Lock free unless it
 * reports (pin_lock).
 *
 * Why this has no false positives.  The refcount and the pin counts are
 * separate atomics, so a reader cannot see them at one instant; what
 * makes two reads comparable is gup.c's ordering rule (internal.h): a pin
 * raises _refcount before the pin counts, an unpin lowers the pin counts
 * before _refcount.  Hence at every instant refcount >= floor(pin
 * counts), and:
 *
 *   - `after` (read at the decrement) against pins read later can only be
 *     fooled by a pin that raced in between (its refcount part missed by
 *     `after`, its pin part seen): an unpin whose refcount part `after`
 *     already lacks had lowered the pin counts before, so the later read
 *     lacks it too;
 *   - a snapshot that reads the pins first and the refcount second can
 *     only be fooled by an unpin completing between the two loads: a pin
 *     seen by the first load raised the refcount before it, so the second
 *     load includes it.
 *
 * A report therefore needs `after` below the floor *and* CONFIRM_SNAPSHOTS
 * consecutive pins-then-refcount snapshots below it, i.e. a real deficit
 * rather than one race of each kind.  The caller's put may have let the
 * folio be freed and its frames reused, so the caller looks only under a
 * new reference of its own (@held references it holds now, left out of
 * the snapshots): a frame freed meanwhile is never read, and snapshots
 * give up when the frame is no longer that folio's head, so a report is
 * always about a real deficit on this frame.
 */
void pnm_pin_check_put(struct folio *folio, int after, int held)
{
	unsigned int order = folio_order(folio);
	bool large = order > 0;
	char detail[192];
	long floor = 0;
	int i;

	if (!pnm_config.pin_debug || pnm_config.legacy_gup)
		return;
	if (after >= pin_floor(folio, large))
		return;
	for (i = 0; i < CONFIRM_SNAPSHOTS; i++) {
		long refs;

		floor = pin_floor(folio, large);
		refs = folio_ref_count(folio) - held;
		if (PageTail(&folio->page) || folio_order(folio) != order ||
		    refs >= floor || refs <= 0)
			return;
	}
	snprintf(detail, sizeof(detail),
		 "refcount %d after a put, below the %ld its pins hold: put_page() released a pin's reference",
		 after, floor);
	pnm_pin_report_range(PNM_MISUSE_PUT_ON_PIN, folio_pfn(folio), 1UL << order, detail);
}

/* --- leaks --------------------------------------------------------------- */

/*
 * pnm_fini(), before the frames go: print the pins still held, which
 * explain frames that are still allocated (pins outlive the processes
 * that took them).  With the registry off, pages with a non-zero
 * pnm_pincount are listed instead (a few; none without shadow counts).  Returns the number of pinned
 * pages found.  Not thread safe.
 */
unsigned long pnm_pin_registry_report_leaks(FILE *out)
{
	unsigned long nr = 0, pfn, shown = 0;

	if (pnm_config.pin_registry) {
		nr = pnm_pin_registry_count(-1);
		if (nr) {
			fprintf(out, "pinmm: pnm_fini: %lu page%s still pinned (unpin before pnm_fini):\n",
				nr, nr == 1 ? "" : "s");
			pnm_pin_registry_print(out, -1);
		}
		return nr;
	}
	for (pfn = 0; pfn < pnm_mem.nr_frames; pfn++) {
		int pins = atomic_read(&pfn_to_page(pfn)->pnm_pincount);

		if (pins <= 0)
			continue;
		if (!nr++)
			fprintf(out, "pinmm: pnm_fini: pages still pinned (unpin before pnm_fini):\n");
		if (shown++ < 8)
			fprintf(out, "  pfn %#lx: %d pin%s\n", pfn, pins, pins == 1 ? "" : "s");
	}
	return nr;
}
