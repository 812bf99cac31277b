// SPDX-License-Identifier: MIT
/*
 * gup_fast.c - get_user_pages_fast(), get_user_pages_fast_only() and
 * pin_user_pages_fast(): the lockless page-table walk, and the fallback to
 * the slow path (gup.c) for whatever it could not do (mm/gup.c's
 * gup_fast_fallback() and gup_fast_*_range()).
 *
 * The walk takes no lock at all, not even mmap_lock: it is what I/O paths
 * pay per request, so it must not serialise against faults or munmap.  It
 * can be that cheap because of a protocol every page-table change follows:
 *
 *   gup-fast                               anyone changing an entry
 *   --------                               ------------------------
 *   1. read the entry (seq_cst load)       1. clear or replace the entry
 *   2. speculatively grab the folio           (seq_cst exchange under its
 *      (folio_try_get-style: fails on a       ptl: ptep_get_and_clear,
 *      free or frozen folio), add the         pmdp_huge_get_and_clear,
 *      pin units with seq_cst RMWs            pmdp_establish, the
 *   3. re-read the PMD and the entry          write-protects of fork and
 *      (seq_cst loads); if either changed,    mprotect)
 *      drop what was grabbed and stop      2. then look at the refcount /
 *                                             pin counts (migration's
 *                                             freeze cmpxchg,
 *                                             folio_try_share_anon_rmap_*)
 *
 * All four steps are seq_cst operations, so they are in one total order:
 * either the re-read in step 3 sees the change and backs out, or the
 * changer's step 2 sees the new reference or pin (so migration refuses,
 * compaction skips, try_to_migrate keeps the page exclusive).  The
 * speculative grab never resurrects a freed folio (refcount 0 fails) and
 * never adds to a frozen one (migration and split freeze at 0).  After the
 * grab the page is checked to still belong to the folio, all of the
 * batch: a split that raced the walk makes the tail pages folios of their
 * own.  The pin count RMW followed by the seq_cst re-read is Linux's
 * smp_mb__after_atomic() in try_grab_folio_fast(), pairing with the
 * barrier in folio_try_share_anon_rmap_*() (rmap.c): a page whose entry
 * survived the re-read is still PageAnonExclusive when we test it.
 *
 * Page-table frames: the walk runs between pnm_lockless_walk_begin() and
 * _end() (rcu.h): a mark in the thread's walker slot (plain stores; the
 * freer pays for the ordering with a membarrier).  pnm_pgtable_free()
 * releases a table frame only once no walker that may have reached it is
 * still inside its walk (it waits), so a table the walk reached stays
 * allocated (and full of none or stale entries, never of foreign data)
 * until the walk ends.  Linux disables interrupts for the same effect, and
 * its freer's IPI waits the same way.  The walk must not block.
 *
 * Fork (FOLL_PIN only, reference §5.3): dup_mmap() keeps the parent's
 * write_protect_seq odd while it write-protects PTEs for COW, after
 * checking each anon page with folio_needs_cow_for_dma().  A lockless pin
 * landing between that check and the write-protect would leave a pinned
 * page COW-shared, and the parent's next write would move away from the
 * DMA target.  So gup_fast() samples the count before the walk and returns
 * 0 pages if it is odd (everything goes to the slow path, which takes
 * mmap_lock and so waits for fork); after the walk it re-reads the count
 * (seq_cst, after the seq_cst pin RMWs) and, if it changed, unpins
 * everything the walk took and returns 0.  Either fork's seqcount
 * increment precedes our re-read (we see it and back out), or our pins
 * precede fork's check (fork copies the pinned pages for the child).
 *
 * What the walk leaves to the slow path (it stops at the first such
 * entry; the slow path continues from there): none, migration entries,
 * PROT_NONE (protnone), special entries (the zero page, PFN maps: Linux
 * bails on pte_special too, and the slow path returns the zero page
 * uncounted for pins), FOLL_WRITE on a read-only entry, R/O FOLL_PIN where
 * gup_must_unshare(NULL, ...) says the mm needs its own copy first,
 * FOLL_LONGTERM on folios that must migrate first or are dax storage,
 * writable long-term pins of files that track dirtying (anything but
 * anonymous memory and shmem), secretmem folios (any grab), and folios
 * whose refcount has overflowed.
 *
 * Huge leaves: a PMD leaf (a THP, or a 2 MiB hugetlb page: same format)
 * or a PUD leaf (a 1 GiB hugetlb page) is one grab; the walk needs no
 * VMA to tell them apart.
 *
 * Batching: a huge PMD is grabbed once for all the subpages in range
 * (refs = their number), and consecutive PTEs mapping consecutive pages of
 * one large folio with identical bits are grabbed together too, so a
 * 2 MiB folio costs one refcount atomic (plus one _pincount atomic for
 * pins) however many pages are taken.  Pages of small folios cost one
 * atomic each for FOLL_GET and, for Linux-accounted short-term pins, one
 * cmpxchg that adds GUP_PIN_COUNTING_BIAS at once.  The exact per-page
 * shadow count (pnm_pincount) adds one atomic per pinned page, but only
 * where it is kept (pnm_pin_shadow_count(), internal.h: exact accounting
 * or pin_debug on); the configuration, including that answer,
 * is read once per walk (struct gup_fast_walk), not per page.
 * NR_FOLL_PIN_ACQUIRED is added once per call.  An order-0 folio whose
 * grab needs no more than that one RMW (FOLL_GET, legacy pins, and
 * short-term pins in linux accounting without shadow counts: the
 * production configuration) takes a short path, gup_fast_small(): the
 * same steps without the batch and large-folio cases.  The walk goes
 * down from the PGD once per PMD (or PUD leaf) rather than in four
 * nested loops.
 *
 * Legacy mode (pnm_config.legacy_gup): FOLL_PIN acquires are plain
 * references as before 2019: no pin counts, no MMF_HAS_PINNED, no
 * write_protect_seq handshake (it came with the pin counts, in 5.11) and
 * no unsharing; the registry still records them.
 */
#include <string.h>

#include "internal.h"
#include "rcu.h"

atomic_long_t pnm_gup_fast_seq_retries;

/* Flags gup_fast_fallback() accepts (anything else: WARN, -EINVAL). */
#define GUP_FAST_FLAGS	(FOLL_WRITE | FOLL_LONGTERM | FOLL_FORCE | FOLL_PIN | \
			 FOLL_GET | FOLL_FAST_ONLY | FOLL_NOFAULT | \
			 FOLL_PCI_P2PDMA | FOLL_HONOR_NUMA_FAULT)

/*
 * Entry reads of the walk.  seq_cst loads (plain loads on x86).  What
 * each protocol needs of them:
 *   - installation: acquire, pairing with the release stores that install
 *     entries (set_pte_at, set_pmd_at, set_pgd/set_pud in pgtable.c), so
 *     the walker sees initialised tables and folios;
 *   - table freeing (rcu.h, W3): acquire and after the walker's mark in
 *     its slot, which the compiler barrier in pnm_lockless_walk_begin()
 *     and the freer's membarrier give; seq_cst in the fallback protocol
 *     (seq_cst RMW mark), to be in one total order with the freer's;
 *   - the re-reads of step 3 above: seq_cst, after the grab's seq_cst
 *     RMWs, whatever the freeing protocol.
 * One seq_cst load serves all three; it costs nothing over an acquire
 * load on x86.
 */
static inline pgd_t gup_pgdp_get(pgd_t *p) { return __pgd(__atomic_load_n(&p->pgd, __ATOMIC_SEQ_CST)); }
static inline pud_t gup_pudp_get(pud_t *p) { return __pud(__atomic_load_n(&p->pud, __ATOMIC_SEQ_CST)); }
static inline pmd_t gup_pmdp_get(pmd_t *p) { return __pmd(__atomic_load_n(&p->pmd, __ATOMIC_SEQ_CST)); }
static inline pte_t gup_ptep_get(pte_t *p) { return __pte(__atomic_load_n(&p->pte, __ATOMIC_SEQ_CST)); }

/* The entries of the table in frame @pfn: page_address(pfn_to_page(pfn)),
 * without the round trip through the descriptor's address. */
static inline void *gup_table(unsigned long pfn)
{
	return pnm_mem.base + (pfn << PAGE_SHIFT);
}

/* Per-call state of one walk. */
struct gup_fast_walk {
	unsigned int flags;
	bool pin;			/* FOLL_PIN, not legacy: pin counts */
	bool bias;			/* pins of small folios are GUP_PIN_COUNTING_BIAS */
	bool shadow;			/* keep pnm_pincount (pnm_pin_shadow_count()) */
	/* Refcount units one grab of an order-0 folio takes on the short
	 * path (gup_fast_small()): 1 for a reference (FOLL_GET, legacy
	 * pins), GUP_PIN_COUNTING_BIAS for a short-term pin in linux
	 * accounting without shadow counts; 0: no short path (FOLL_LONGTERM,
	 * exact accounting, shadow counts kept). */
	int small_delta;
	struct page **pages;
	unsigned long nr;		/* pages recorded so far */
	long acquired;			/* pins taken (NR_FOLL_PIN_ACQUIRED) */
};

/* The configuration a walk with @flags needs, read once (it is fixed at
 * pnm_init(); the walk's atomics would otherwise force a re-read per
 * page). */
static inline void gup_fast_walk_init(struct gup_fast_walk *w, unsigned int flags,
				      struct page **pages)
{
	w->flags = flags;
	w->pin = (flags & FOLL_PIN) && !gup_pin_is_legacy(flags);
	w->bias = pnm_config.pin_accounting == PNM_PIN_ACCOUNTING_LINUX;
	w->shadow = pnm_pin_shadow_count();
	if (!w->pin)
		w->small_delta = 1;
	else if (w->bias && !(flags & FOLL_LONGTERM) && !w->shadow)
		w->small_delta = (int)GUP_PIN_COUNTING_BIAS;
	else
		w->small_delta = 0;
	w->pages = pages;
	w->nr = 0;
	w->acquired = 0;
}

/*
 * Race hook for tests, in every build: called at the two points where a
 * racing page-table change matters, so a test can make the change happen
 * exactly there.  Read with a relaxed load (the installer runs while no
 * walk does: pnm_gup_fast_set_race_hook()); when none is installed the
 * cost is that load and a predicted-not-taken branch per grab.
 */
static pnm_gup_fast_race_fn *gup_fast_race_hook;

static inline void gup_fast_race(enum pnm_gup_fast_race where, struct page *page, int nr)
{
	pnm_gup_fast_race_fn *fn = READ_ONCE(gup_fast_race_hook);

	if (unlikely(fn))
		fn(where, page, nr);
}

/*
 * pnm_gup_fast_set_race_hook - install (or with NULL remove) the test
 * hook (internal.h).  Not thread safe against running walks: set it while
 * none runs.
 */
void pnm_gup_fast_set_race_hook(pnm_gup_fast_race_fn *fn)
{
	WRITE_ONCE(gup_fast_race_hook, fn);
}

/* --- grabbing without a stable reference ---------------------------------- */

/*
 * Add @delta references to @folio unless its refcount is 0 (free, being
 * freed, or frozen by migration/split) or negative (overflowed: Linux's
 * try_get_folio() refuses and gup-fast falls back).  Fully ordered on
 * success (seq_cst cmpxchg): pairs with the freeze cmpxchg and with the
 * entry clearing of the protocol above.  The sum is computed unsigned: an
 * add that crosses 2^31 leaves a negative count that the next grab and the
 * slow path's overflow guard refuse, as in Linux.
 */
static bool folio_try_get_refs(struct folio *folio, int delta)
{
	int c = atomic_read(&folio->_refcount);

	do {
		if (unlikely(c <= 0))
			return false;
	} while (!atomic_try_cmpxchg(&folio->_refcount, &c,
				     (int)((unsigned int)c + (unsigned int)delta)));
	return true;
}

/*
 * The grab of gup-fast (contract in internal.h, pnm_grab_pages_fast()),
 * for walk @w (its flags and configuration); pins are added to
 * w->acquired instead of NR_FOLL_PIN_ACQUIRED so that a walk updates the
 * counter once.
 */
static inline struct folio *grab_pages_fast(struct gup_fast_walk *w, struct page *page,
					    int nr)
{
	unsigned int flags = w->flags;
	bool pin = w->pin;
	struct folio *folio;
	int delta = nr;

	if (VM_WARN_ON_ONCE(!(flags & (FOLL_GET | FOLL_PIN))))
		return NULL;
	/* Never the zero page: the walk leaves special entries to the slow
	 * path and pnm_grab_pages_fast() handles it before calling us. */
	folio = page_folio(page);
	/*
	 * A short-term pin of a small folio in Linux accounting is all
	 * refcount: take the whole GUP_PIN_COUNTING_BIAS in the one cmpxchg.
	 * FOLL_LONGTERM must look at the folio (its zone) before pinning, so
	 * it takes plain references first, as Linux's try_grab_folio_fast().
	 */
	if (pin && w->bias && !(flags & FOLL_LONGTERM) && !folio_has_pincount(folio))
		delta = nr * (int)GUP_PIN_COUNTING_BIAS;
	gup_fast_race(PNM_GUP_FAST_BEFORE_GRAB, page, nr);
	if (!folio_try_get_refs(folio, delta))
		return NULL;
	/*
	 * We hold a reference now, so the folio can no longer be split (a
	 * split freezes the refcount).  If it was split before we got it,
	 * @page (or part of the batch) belongs to another folio: let go.
	 * The acquire side of our cmpxchg pairs with the release store of
	 * compound_head (clear_compound_head()) in split_folio_struct().
	 */
	if (unlikely(page_folio(page) != folio ||
		     folio_page_idx(folio, page) + (unsigned long)nr > folio_nr_pages(folio))) {
		folio_put_refs(folio, delta);
		return NULL;
	}
	if (!pin)
		return folio;		/* FOLL_GET, or a legacy-mode pin */

	if ((flags & FOLL_LONGTERM) && !folio_is_longterm_pinnable(folio)) {
		/* The slow path migrates it first (gup.c). */
		folio_put_refs(folio, nr);
		return NULL;
	}
	/*
	 * The rest of the pin units, refcount before pin counts (internal.h
	 * ordering rule).  Value-returning RMWs: seq_cst, so the caller's
	 * seq_cst re-read of the entry is ordered after the pin is visible
	 * (Linux's smp_mb__after_atomic(); pairs with the RMWs in
	 * maybe_pinned_after_barrier() of folio_try_share_anon_rmap_*()).
	 */
	if (folio_has_pincount(folio)) {
		atomic_add_return(nr, &folio->_pincount);
	} else if (w->bias && (flags & FOLL_LONGTERM)) {
		atomic_add_return(nr * (int)(GUP_PIN_COUNTING_BIAS - 1), &folio->_refcount);
	}
	/*
	 * The exact shadow count, per page, where it is kept; it is the pin
	 * itself for a small folio in exact accounting (folio_maybe_dma_pinned
	 * reads it), and then this seq_cst RMW is the one the caller's re-read
	 * is ordered after.  Without it (linux accounting) a small folio's
	 * pin is the bias cmpxchg above, a large one's the _pincount RMW:
	 * either is a seq_cst RMW before the re-read, as the protocol needs.
	 */
	if (w->shadow)
		for (int i = 0; i < nr; i++)
			atomic_add_return(1, &page[i].pnm_pincount);
	w->acquired += nr;
	return folio;
}

/*
 * pnm_grab_pages_fast - gup-fast's grab of @nr consecutive pages @page..
 * of one folio without a stable reference (contract in internal.h: Linux's
 * try_grab_folio_fast() made page-precise).  Returns the folio with the
 * references/pins taken and NR_FOLL_PIN_ACQUIRED counted, or NULL with
 * nothing held (free, frozen, split or overflowed folio; FOLL_LONGTERM on
 * an unpinnable folio).  The zero page is returned uncounted for FOLL_PIN.
 * The caller re-checks its page-table entry and undoes a grab it does not
 * keep with pnm_put_pages().  Lockless; any context.
 */
struct folio *pnm_grab_pages_fast(struct page *page, int nr, unsigned int flags)
{
	struct gup_fast_walk w;
	struct folio *folio;

	if (is_zero_pfn(page_to_pfn(page))) {
		/* Pins of the zero page are not counted (Linux); a plain
		 * reference would move its refcount off 1: slow path. */
		if ((flags & FOLL_PIN) && !gup_pin_is_legacy(flags))
			return page_folio(page);
		return NULL;
	}
	gup_fast_walk_init(&w, flags, NULL);
	folio = grab_pages_fast(&w, page, nr);
	if (w.acquired)
		mod_vm_stat(NR_FOLL_PIN_ACQUIRED, w.acquired);
	return folio;
}

/*
 * May gup-fast keep a grab of @folio?  Any grab of an order-0 folio looks
 * at its mapping, for secretmem (whose folios are order 0): its pages are
 * out of the direct map, the slow path refuses them (-EFAULT); an order-0
 * file folio truncated meanwhile (mapping NULL) is left to the slow path
 * too, as Linux does.  Otherwise only FOLL_LONGTERM grabs are restricted
 * (reference §6.3, §6.4):
 *   - dax storage never: the slow path refuses it (-EOPNOTSUPP), also in
 *     legacy mode;
 *   - writable long-term pins (FOLL_PIN | FOLL_WRITE) only of anonymous
 *     memory and of mappings that do not track dirtying (no
 *     a_ops->dirty_folio: shmem), because a filesystem must see every
 *     write to its pages; a folio truncated meanwhile (mapping NULL) is
 *     left to the slow path too.
 * We hold a reference, so the folio's fields are stable enough to read;
 * the mapping is read once.  Its address_space lives in an inode that
 * fs/namei.c frees only after the walks inside at that moment have ended
 * (pnm_lockless_walkers_sync(); Linux relies on its RCU-freed inodes and
 * the walk's interrupts-off section for gup_fast_folio_allowed()), so
 * reading mapping->host and ->a_ops of a folio that left its file
 * meanwhile is safe.
 *
 * In two parts for the per-folio cost of the common grabs: the inline
 * gup_fast_folio_allowed() answers for a large folio without
 * FOLL_LONGTERM and for anonymous memory (one load of ->mapping);
 * gup_fast_file_folio_allowed(), out of line, the rest, given the mapping
 * the inline part read.
 */

/* gup_fast_folio_allowed() for a folio that is not anonymous (@mapping,
 * read once there, has no PAGE_MAPPING_ANON bit): secretmem and truncated
 * order-0 folios, then the FOLL_LONGTERM rules. */
static __attribute__((noinline)) bool
gup_fast_file_folio_allowed(struct folio *folio, unsigned int flags,
			    struct address_space *mapping)
{
	const struct address_space_operations *a_ops;
	struct inode *host;

	if (!folio_test_large(folio) && (!mapping || secretmem_mapping(mapping)))
		return false;
	if (!(flags & FOLL_LONGTERM))
		return true;
	host = mapping ? READ_ONCE(mapping->host) : NULL;
	if (host && IS_DAX(host))
		return false;
	if ((flags & (FOLL_PIN | FOLL_WRITE)) != (FOLL_PIN | FOLL_WRITE))
		return true;
	if (!mapping)
		return false;		/* truncated meanwhile: let the slow path decide */
	a_ops = READ_ONCE(mapping->a_ops);
	return !a_ops || !a_ops->dirty_folio;
}

static inline bool gup_fast_folio_allowed(struct folio *folio, unsigned int flags)
{
	struct address_space *mapping;

	if (!(flags & FOLL_LONGTERM) && folio_test_large(folio))
		return true;
	mapping = READ_ONCE(folio->mapping);
	if ((unsigned long)mapping & PAGE_MAPPING_ANON)
		return true;
	return gup_fast_file_folio_allowed(folio, flags, mapping);
}

/* Index of the first of @nr pages from @page that a R/O pin may not take
 * without unsharing first (gup_must_unshare, no VMA), or @nr. */
static int first_must_unshare(struct page *page, int nr, unsigned int flags)
{
	int i;

	if (gup_pin_is_legacy(flags))
		return nr;	/* legacy pins never unshare */
	for (i = 0; i < nr; i++)
		if (gup_must_unshare(NULL, flags, page + i))
			break;
	return i;
}

/* Record @nr grabbed pages from @page and mark the folio referenced (test
 * first: after the first access it already is, and a set_bit is an
 * atomic). */
static void gup_fast_record(struct gup_fast_walk *w, struct folio *folio,
			    struct page *page, int nr)
{
	struct page **dst = w->pages + w->nr;
	int i = 0;

	if (!PageReferenced(&folio->page))
		SetPageReferenced(&folio->page);
	if (nr >= 4) {
		/* Two entries per 16-byte store (a 2 MiB folio fills 512):
		 * the compiler does not vectorise the plain loop by itself. */
		typedef uintptr_t two_ptrs __attribute__((vector_size(16)));
		const two_ptrs step = { 2 * sizeof(struct page), 2 * sizeof(struct page) };
		two_ptrs v = { (uintptr_t)page, (uintptr_t)(page + 1) };

		for (; i + 2 <= nr; i += 2, v += step)
			memcpy(&dst[i], &v, sizeof(v));
	}
	for (; i < nr; i++)
		dst[i] = page + i;
	w->nr += nr;
}

/*
 * The short path of gup_fast_pte_range() for the common case: a present,
 * writable PTE @pte (read from @ptep, in the table @pmd read from @pmdp
 * points to) mapping @page, an order-0 folio, grabbed with
 * w->small_delta refcount units in one cmpxchg.  The same steps as the
 * general path (grab_pages_fast() with nr = 1, the PMD and PTE re-reads,
 * gup_fast_folio_allowed(), gup_fast_record()), without its batch and
 * large-folio cases and without re-reading the walk's configuration.
 * Returns 1 (page recorded), 0 (not an order-0 folio: nothing done, the
 * caller takes the general path) or -1 (left to the slow path, nothing
 * held).
 */
static inline int gup_fast_small(struct gup_fast_walk *w, pte_t pte, pte_t *ptep,
				 pmd_t pmd, pmd_t *pmdp, struct page *page)
{
	struct folio *folio = (struct folio *)page;
	struct address_space *mapping;

	/* A head or order-0 page (bit 0 clear) of order 0.  Stale reads are
	 * re-checked after the grab. */
	if ((READ_ONCE(page->compound_head) & 1) || folio_order(folio))
		return 0;
	gup_fast_race(PNM_GUP_FAST_BEFORE_GRAB, page, 1);
	if (!folio_try_get_refs(folio, w->small_delta))
		return -1;
	/*
	 * We hold a reference: the folio can no longer be split, freed or
	 * made part of a large folio.  If that happened before the grab
	 * (freed and reused), the units taken are not what the new folio's
	 * accounting expects: give them back exactly.  The acquire side of
	 * the cmpxchg pairs with the release store of compound_head in
	 * clear_compound_head(), as in grab_pages_fast().
	 */
	if (unlikely((READ_ONCE(page->compound_head) & 1) || folio_order(folio)))
		goto undo;
	gup_fast_race(PNM_GUP_FAST_BEFORE_RECHECK, page, 1);
	/* Re-read (protocol step 3), after the seq_cst cmpxchg. */
	if (pmd_val(gup_pmdp_get(pmdp)) != pmd_val(pmd) ||
	    pte_val(gup_ptep_get(ptep)) != pte_val(pte))
		goto undo;
	/* gup_fast_folio_allowed() of an order-0 folio: anonymous, or the
	 * file rules. */
	mapping = READ_ONCE(folio->mapping);
	if (!((unsigned long)mapping & PAGE_MAPPING_ANON) &&
	    !gup_fast_file_folio_allowed(folio, w->flags, mapping))
		goto undo;
	if (!pte_write(pte) && !first_must_unshare(page, 1, w->flags))
		goto undo;
	if (w->pin)
		w->acquired++;
	/* gup_fast_record() of one page */
	if (!PageReferenced(page))
		SetPageReferenced(page);
	w->pages[w->nr++] = page;
	return 1;
undo:
	/* Exactly what the grab added; not counted acquired, so not
	 * released either (no pin count or shadow count was touched). */
	folio_put_refs(folio, w->small_delta);
	return -1;
}

/* --- the walk --------------------------------------------------------------- */

/* End of the range covered by the entry of size @size holding @addr,
 * clamped to @end (Linux's pXd_addr_end). */
static inline unsigned long entry_end(unsigned long addr, unsigned long end,
				      unsigned long size)
{
	unsigned long next = (addr + size) & ~(size - 1);

	return next - 1 < end - 1 ? next : end;
}

/*
 * PTEs of the table @pmd points to, for [addr, end) inside one PMD.
 * Returns false at the first page left to the slow path.
 */
static bool gup_fast_pte_range(struct gup_fast_walk *w, pmd_t pmd, pmd_t *pmdp,
			       unsigned long addr, unsigned long end)
{
	pte_t *ptep = (pte_t *)gup_table(pmd_pfn(pmd)) + pte_index(addr);
	unsigned int flags = w->flags;
	/* The bits a PTE the walk takes has and lacks, tested as one: present
	 * and not protnone (_PAGE_USER), not special, writable for
	 * FOLL_WRITE. */
	const unsigned long must = _PAGE_PRESENT | _PAGE_USER | ((flags & FOLL_WRITE) ? _PAGE_RW : 0);
	const unsigned long test = must | _PAGE_SPECIAL;

	while (addr < end) {
		pte_t pte = gup_ptep_get(ptep);
		unsigned long max = (end - addr) >> PAGE_SHIFT;
		struct folio *folio;
		struct page *page;
		int nr = 1, keep, i;

		/* !pte_present() || pte_protnone() || pte_special() ||
		 * (FOLL_WRITE && !pte_write()) */
		if ((pte_val(pte) & test) != must)
			return false;
		page = pfn_to_page(pte_pfn(pte));
		if (likely(w->small_delta)) {
			int r = gup_fast_small(w, pte, ptep, pmd, pmdp, page);

			if (r < 0)
				return false;
			if (r) {
				addr += PAGE_SIZE;
				ptep++;
				continue;
			}
		}
		folio = page_folio(page);
		/*
		 * Batch the following PTEs that map the following pages of the
		 * same large folio with the same bits.  The folio may be stale
		 * here; the grab re-checks that every page of the batch is in
		 * it, and the re-read below that every PTE is unchanged.
		 */
		if (max > 1 && folio_test_large(folio)) {
			unsigned long idx = folio_page_idx(folio, page);
			unsigned long left = folio_nr_pages(folio);

			left = idx < left ? left - idx : 1;
			if (max > left)
				max = left;
			while ((unsigned long)nr < max &&
			       pte_val(gup_ptep_get(ptep + nr)) ==
			       pte_val(pte) + ((unsigned long)nr << PAGE_SHIFT))
				nr++;
		}

		folio = grab_pages_fast(w, page, nr);
		if (!folio)
			return false;
		gup_fast_race(PNM_GUP_FAST_BEFORE_RECHECK, page, nr);
		/* Re-read (protocol step 3): the PMD, for a table replaced
		 * under us, and every PTE of the batch. */
		if (pmd_val(gup_pmdp_get(pmdp)) != pmd_val(pmd))
			goto undo;
		for (i = 0; i < nr; i++)
			if (pte_val(gup_ptep_get(ptep + i)) !=
			    pte_val(pte) + ((unsigned long)i << PAGE_SHIFT))
				goto undo;
		if (!gup_fast_folio_allowed(folio, flags))
			goto undo;
		keep = nr;
		if (!pte_write(pte))
			keep = first_must_unshare(page, nr, flags);
		if (keep < nr) {
			pnm_put_pages(page + keep, nr - keep, flags);
			if (keep)
				gup_fast_record(w, folio, page, keep);
			return false;
		}
		gup_fast_record(w, folio, page, nr);
		addr += (unsigned long)nr << PAGE_SHIFT;
		ptep += nr;
		continue;
undo:
		pnm_put_pages(page, nr, flags);
		return false;
	}
	return true;
}

/*
 * A huge PMD @pmd mapping [addr, end): one grab of every subpage in range
 * (Linux's gup_fast_pmd_leaf()).  False if left to the slow path.
 */
static bool gup_fast_pmd_leaf(struct gup_fast_walk *w, pmd_t pmd, pmd_t *pmdp,
			      unsigned long addr, unsigned long end)
{
	unsigned int flags = w->flags;
	int nr = (int)((end - addr) >> PAGE_SHIFT);
	struct folio *folio;
	struct page *page;

	if (!(pmd_val(pmd) & _PAGE_USER))
		return false;		/* PROT_NONE */
	if ((flags & FOLL_WRITE) && !pmd_write(pmd))
		return false;
	if (pmd_special(pmd))
		return false;		/* the huge zero page: slow path, as Linux */
	page = pfn_to_page(pmd_pfn(pmd) + ((addr & ~PMD_MASK) >> PAGE_SHIFT));
	folio = grab_pages_fast(w, page, nr);
	if (!folio)
		return false;
	gup_fast_race(PNM_GUP_FAST_BEFORE_RECHECK, page, nr);
	if (pmd_val(gup_pmdp_get(pmdp)) != pmd_val(pmd) ||
	    !gup_fast_folio_allowed(folio, flags) ||
	    (!pmd_write(pmd) && !gup_pin_is_legacy(flags) &&
	     gup_must_unshare(NULL, flags, &folio->page))) {
		pnm_put_pages(page, nr, flags);
		return false;
	}
	/* The walk's first pages, consecutive: the record of this pin call
	 * needs no pass to know it (internal.h, pnm_pin_span_hint). */
	if (!w->nr && (flags & FOLL_PIN) && pnm_config.pin_registry)
		pnm_pin_span_hint_set(w->pages, page, (unsigned long)nr);
	gup_fast_record(w, folio, page, nr);
	return true;
}

/*
 * A 1 GiB hugetlb PUD leaf @pud mapping [addr, end): one grab of every
 * subpage in range, as gup_fast_pmd_leaf() (Linux's gup_fast_pud_leaf()).
 * False if left to the slow path.  (2 MiB hugetlb leaves have the THP
 * PMD's format and go through gup_fast_pmd_leaf().)
 */
static bool gup_fast_pud_leaf(struct gup_fast_walk *w, pud_t pud, pud_t *pudp,
			      unsigned long addr, unsigned long end)
{
	unsigned int flags = w->flags;
	int nr = (int)((end - addr) >> PAGE_SHIFT);
	struct folio *folio;
	struct page *page;

	if (!(pud_val(pud) & _PAGE_USER))
		return false;		/* PROT_NONE */
	if ((flags & FOLL_WRITE) && !pud_write(pud))
		return false;
	page = pfn_to_page(pud_pfn(pud) + ((addr & ~PUD_MASK) >> PAGE_SHIFT));
	folio = grab_pages_fast(w, page, nr);
	if (!folio)
		return false;
	gup_fast_race(PNM_GUP_FAST_BEFORE_RECHECK, page, nr);
	if (pud_val(gup_pudp_get(pudp)) != pud_val(pud) ||
	    !gup_fast_folio_allowed(folio, flags) ||
	    (!pud_write(pud) && !gup_pin_is_legacy(flags) &&
	     gup_must_unshare(NULL, flags, &folio->page))) {
		pnm_put_pages(page, nr, flags);
		return false;
	}
	gup_fast_record(w, folio, page, nr);
	return true;
}

/*
 * Walk [addr, end) of @mm one PMD (or PUD leaf) at a time, each from the
 * PGD down: Linux's nested gup_fast_pgd_range() .. gup_fast_pmd_range()
 * loops made one, so that a call within one PMD (most I/O requests) pays
 * for one loop, not four.  Re-reading the PGD and PUD entries for every
 * PMD is no weaker than reading them once: each read is a snapshot that
 * the tables, kept allocated by the walk's section, make safe to follow,
 * and every grab re-checks its own PMD or PUD entry.
 */
static void gup_fast_pgd_range(struct gup_fast_walk *w, struct mm_struct *mm,
			       unsigned long addr, unsigned long end)
{
	unsigned long next;

	for (; addr < end; addr = next) {
		pgd_t pgd = gup_pgdp_get((pgd_t *)mm->pgd + pgd_index(addr));
		pud_t *pudp, pud;
		pmd_t *pmdp, pmd;

		if (!pgd_present(pgd))
			return;
		pudp = (pud_t *)gup_table(pgd_pfn(pgd)) + pud_index(addr);
		pud = gup_pudp_get(pudp);
		/* none, or a hugetlb migration entry */
		if (!pud_present(pud))
			return;
		if (pud_leaf(pud)) {
			next = entry_end(addr, end, PUD_SIZE);
			if (!gup_fast_pud_leaf(w, pud, pudp, addr, next))
				return;
			continue;
		}
		pmdp = (pmd_t *)gup_table(pud_pfn(pud)) + pmd_index(addr);
		pmd = gup_pmdp_get(pmdp);
		next = entry_end(addr, end, PMD_SIZE);
		/* none, or a PMD migration entry */
		if (!pmd_present(pmd))
			return;
		if (pmd_trans_huge(pmd)) {
			if (!gup_fast_pmd_leaf(w, pmd, pmdp, addr, next))
				return;
		} else if (!gup_fast_pte_range(w, pmd, pmdp, addr, next)) {
			return;
		}
	}
}

/*
 * Undo the grabs of a walk (Linux's gup_fast_unpin_user_pages()): runs of
 * consecutive pages of one folio are released together, exactly as they
 * may have been grabbed.  No sanity checks: after a fork the pages may be
 * shared.
 */
static void gup_fast_undo(struct page **pages, unsigned long nr, unsigned int flags)
{
	unsigned long i = 0;

	while (i < nr) {
		struct folio *folio = page_folio(pages[i]);
		unsigned long n = 1;

		while (i + n < nr && pages[i + n] == pages[i] + n &&
		       page_folio(pages[i + n]) == folio)
			n++;
		pnm_put_pages(pages[i], (int)n, flags);
		i += n;
	}
}

/*
 * The lockless part: walk [start, end) of @mm, grabbing pages until the
 * first one left to the slow path.  Returns the number of pages taken
 * (stored in @pages).
 */
static unsigned long gup_fast(struct mm_struct *mm, unsigned long start,
			      unsigned long end, unsigned int flags, struct page **pages)
{
	struct gup_fast_walk w;
	bool handshake;
	unsigned int seq = 0;

	if (start >= end)
		return 0;
	gup_fast_walk_init(&w, flags, pages);
	handshake = w.pin;
	if (handshake) {
		/* Acquire; odd: fork is write-protecting, use the slow path. */
		seq = raw_read_seqcount(&mm->write_protect_seq);
		if (seq & 1)
			return 0;
	}

	pnm_lockless_walk_begin();
	gup_fast_pgd_range(&w, mm, start, end);
	pnm_lockless_walk_end();

	/*
	 * seq_cst re-read, after the seq_cst pin RMWs: pairs with the seq_cst
	 * increment in raw_write_seqcount_begin() (fork.c), which precedes
	 * fork's folio_needs_cow_for_dma() checks.
	 */
	if (handshake &&
	    __atomic_load_n(&mm->write_protect_seq.sequence, __ATOMIC_SEQ_CST) != seq) {
		gup_fast_undo(pages, w.nr, flags);
		w.nr = 0;
		atomic_long_inc(&pnm_gup_fast_seq_retries);
	}
	/* Pins backed out above were counted released by pnm_put_pages(). */
	if (w.acquired)
		mod_vm_stat(NR_FOLL_PIN_ACQUIRED, w.acquired);
	return w.nr;
}

/* --- entry points ------------------------------------------------------------ */

/*
 * Linux's is_valid_gup_args() for the _fast entry points (no @locked):
 * internal flags refused, FOLL_GET and FOLL_PIN exclusive, FOLL_LONGTERM
 * only with FOLL_PIN, a page array for GET/PIN, no LONGTERM with P2PDMA.
 * Each refusal warns once.  On success *@gup_flags has @to_set added.
 */
static bool gup_fast_valid_args(struct page **pages, unsigned int *gup_flags,
				unsigned int to_set)
{
	unsigned int flags = *gup_flags;

	if (VM_WARN_ON_ONCE(flags & INTERNAL_GUP_FLAGS))
		return false;
	flags |= to_set;
	if (VM_WARN_ON_ONCE((flags & (FOLL_PIN | FOLL_GET)) == (FOLL_PIN | FOLL_GET)))
		return false;
	if (VM_WARN_ON_ONCE(!(flags & FOLL_PIN) && (flags & FOLL_LONGTERM)))
		return false;
	if (VM_WARN_ON_ONCE((flags & (FOLL_GET | FOLL_PIN)) && !pages))
		return false;
	if (VM_WARN_ON_ONCE((flags & FOLL_LONGTERM) && (flags & FOLL_PCI_P2PDMA)))
		return false;
	*gup_flags = flags;
	return true;
}

/*
 * Linux's gup_fast_fallback() on @mm: the checks, the lockless walk, and
 * the slow path for the rest.  Returns pages taken (fast + slow, or the
 * fast count if the slow part failed after the fast part took some), 0
 * for 0 pages, or -errno.  Records FOLL_PIN calls in the pin registry
 * once.  The caller keeps @mm's address space alive (a user reference).
 */
static long gup_fast_fallback_mm(struct mm_struct *mm, unsigned long start,
				 unsigned long nr_pages, unsigned int gup_flags,
				 struct page **pages)
{
	unsigned long len, end, nr_pinned;
	long ret;

	if (VM_WARN_ON_ONCE(gup_flags & ~GUP_FAST_FLAGS))
		return -EINVAL;
	if (!mm)
		return -EFAULT;		/* no process, or it exited: nothing to walk */
	mm_set_has_pinned_flag(mm, gup_flags);

	start &= PAGE_MASK;
	len = nr_pages << PAGE_SHIFT;
	if (__builtin_add_overflow(start, len, &end))
		return -EOVERFLOW;
	if (end > TASK_SIZE)
		return -EFAULT;

	nr_pinned = gup_fast(mm, start, end, gup_flags, pages);
	if (nr_pinned == nr_pages || (gup_flags & FOLL_FAST_ONLY)) {
		ret = (long)nr_pinned;
		goto out_record;
	}
	/* The slow path takes mmap_lock itself (FOLL_UNLOCKABLE, *locked 0). */
	ret = pnm_gup_slow(mm, start + (nr_pinned << PAGE_SHIFT), nr_pages - nr_pinned,
			   gup_flags, pages + nr_pinned);
	if (ret < 0) {
		/* The caller must release what the fast part took, so a
		 * partial result beats an error. */
		if (!nr_pinned)
			return ret;
		ret = 0;
	}
	ret += (long)nr_pinned;
out_record:
	if (gup_flags & FOLL_PIN)
		ret = pnm_gup_record_pins(mm, start, pages, ret, gup_flags);
	return ret;
}

/* gup_fast_fallback_mm() on current's mm: the thread's own user reference
 * keeps it alive for the whole call, whoever exits the task meanwhile
 * (task.c). */
static long gup_fast_fallback(unsigned long start, unsigned long nr_pages,
			      unsigned int gup_flags, struct page **pages)
{
	return gup_fast_fallback_mm(pnm_thread_mm, start, nr_pages, gup_flags, pages);
}

/*
 * get_user_pages_fast - take references (FOLL_GET) on @nr_pages pages of
 * current's mm from @start, lockless where possible, faulting the rest in
 * through the slow path (which takes mmap_lock for read: the caller must
 * not hold it).  @gup_flags: FOLL_WRITE, FOLL_FORCE, FOLL_NOFAULT... (not
 * FOLL_LONGTERM, not internal flags).  Returns the number of pages taken
 * (possibly fewer), 0 for @nr_pages 0, or -errno: -EINVAL (bad flags or
 * no @pages), -EOVERFLOW (range wraps), -EFAULT (beyond TASK_SIZE, no
 * mapping, not permitted), -ENOMEM.  Release with put_page().
 */
int get_user_pages_fast(unsigned long start, int nr_pages,
			unsigned int gup_flags, struct page **pages)
{
	long ret = -EINVAL;

	pnm_gup_site_enter(__builtin_return_address(0));
	if (gup_fast_valid_args(pages, &gup_flags, FOLL_GET))
		ret = gup_fast_fallback(start, (unsigned long)(long)nr_pages, gup_flags, pages);
	pnm_gup_site_exit();
	return (int)ret;
}

/*
 * get_user_pages_fast_only - as get_user_pages_fast() but never falls back
 * (FOLL_FAST_ONLY): never takes mmap_lock, never faults, never sleeps; may
 * be called with mmap_lock held by anyone.  Returns the pages it could
 * take lockless from @start on (0 if the first one needs a fault), or
 * -EINVAL/-EOVERFLOW/-EFAULT for bad arguments.
 */
int get_user_pages_fast_only(unsigned long start, int nr_pages,
			     unsigned int gup_flags, struct page **pages)
{
	long ret = -EINVAL;

	pnm_gup_site_enter(__builtin_return_address(0));
	if (gup_fast_valid_args(pages, &gup_flags, FOLL_GET | FOLL_FAST_ONLY))
		ret = gup_fast_fallback(start, (unsigned long)(long)nr_pages, gup_flags, pages);
	pnm_gup_site_exit();
	return (int)ret;
}

/*
 * pin_user_pages_fast - pin (FOLL_PIN) @nr_pages pages of current's mm
 * from @start for DMA, lockless where possible, the rest through the slow
 * path (faults, COW break for FOLL_WRITE, unsharing for R/O pins,
 * FOLL_LONGTERM migration out of MOVABLE/CMA); the caller must not hold
 * mmap_lock.  Sets MMF_HAS_PINNED.  Records the call in the pin registry.
 * Returns pages pinned (possibly fewer), 0 for @nr_pages 0, or -errno:
 * unlike pin_user_pages(), invalid arguments give -EINVAL (as Linux);
 * -EOVERFLOW, -EFAULT, -ENOMEM as get_user_pages_fast().  Release with
 * unpin_user_page(s)().
 */
int pin_user_pages_fast(unsigned long start, int nr_pages,
			unsigned int gup_flags, struct page **pages)
{
	long ret = -EINVAL;

	pnm_gup_site_enter(__builtin_return_address(0));
	if (gup_fast_valid_args(pages, &gup_flags, FOLL_PIN))
		ret = gup_fast_fallback(start, (unsigned long)(long)nr_pages, gup_flags, pages);
	pnm_gup_site_exit();
	return (int)ret;
}

/*
 * pnm_pin_user_pages_fast_mm - pin_user_pages_fast() on @mm (contract in
 * internal.h).  The caller holds a user reference on @mm and no
 * mmap_lock.
 */
long pnm_pin_user_pages_fast_mm(struct mm_struct *mm, unsigned long start,
				unsigned long nr_pages, unsigned int gup_flags,
				struct page **pages)
{
	if (!gup_fast_valid_args(pages, &gup_flags, FOLL_PIN))
		return -EINVAL;
	return gup_fast_fallback_mm(mm, start, nr_pages, gup_flags, pages);
}

/*
 * pnm_pin_user_pages_fast_only - pin_user_pages_fast() that never falls
 * back (contract in internal.h).  May be called with mmap_lock held.
 */
int pnm_pin_user_pages_fast_only(unsigned long start, int nr_pages,
				 unsigned int gup_flags, struct page **pages)
{
	if (!gup_fast_valid_args(pages, &gup_flags, FOLL_PIN | FOLL_FAST_ONLY))
		return -EINVAL;
	return (int)gup_fast_fallback(start, (unsigned long)(long)nr_pages, gup_flags, pages);
}
