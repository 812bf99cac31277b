/* SPDX-License-Identifier: MIT */
/*
 * pin_registry.h - what pin_registry.c (the records of who pinned what) and
 * pin_tcache.c (each thread's recent one-page pins, recorded without the
 * registry's lock) share.  Private to those two files; the rest of the core
 * calls the pnm_pin_registry_*() functions of internal.h.
 *
 * A pin call of one page, or of up to a THP's worth of consecutive frames, is
 * first recorded in the calling thread's cache (pin_tcache.c), and usually
 * released there too by the same thread.  The registry's own structures
 * hold every other record.  Whenever the registry must see every record -- a listing,
 * a count, a report, a release it cannot match, an mm's exit -- it takes
 * pin_lock and moves what the threads' caches hold into its own structures
 * first (pnm_pin_tcache_sync_locked()).
 *
 * Lock order: pin_lock is a leaf.  Moving another thread's cache under it
 * issues membarrier() and waits for that thread to leave a section in which
 * it takes no lock at all (pin_tcache.c), so it stays a leaf.
 *
 * Three more files include it for the one-page fast paths: gup_site.c,
 * which keeps the calling thread's pin context (struct pnm_pin_thread);
 * gup.c, whose pnm_gup_record_pins() hands a one-page call to the
 * thread's cache (pnm_pin_tcache_add_one()) and any other to
 * pnm_pin_registry_add_slow(); and gup_unpin.c, whose
 * one-page release asks the thread's cache first (pnm_pin_tcache_del()).
 */
#ifndef PINMM_PIN_REGISTRY_H
#define PINMM_PIN_REGISTRY_H

#include "internal.h"

#define PIN_BLOCK_SHIFT	6	/* frames per node: one word of bits */
#define PIN_BLOCK_PAGES	(1UL << PIN_BLOCK_SHIFT)
#define PIN_TAG_LEN	32	/* tags are copied, truncated to 31 chars */

/*
 * The live pins of one record in one block of PIN_BLOCK_PAGES frames (the
 * frames whose pfn >> PIN_BLOCK_SHIFT is @block): one bit per frame.  A
 * record has one node per run of its pages that stays in one block, so a
 * call over consecutive frames (a THP, or pages the buddy allocator
 * handed out in order) makes one node per 64 pages.  Allocated with the
 * record; linked into a hash until the record is freed (a node whose bits
 * are all gone stays linked, empty, till then): a node made for one frame
 * (a call of one page, the common small call) into pin_fhash by its frame, every other node into pin_hash by its block.  So when many
 * calls pin one frame each of the same block, each release finds its node
 * in a chain of its own frame, not among one node per call of the block.
 */
struct pin_node {
	struct pin_node *next;		/* hash chain; pin_lock */
	struct pin_node **pprev;	/* the link to this node; pin_lock */
	struct pin_rec *rec;		/* set when linked */
	unsigned long block;		/* set when linked */
	unsigned long live;		/* frames still pinned; pin_lock */
};

/*
 * One pin call.  Allocated with room for its nodes in one block whose
 * size is a class of rec_class() (kept for reuse on a free list of its
 * class when its last pin goes: rec_put_locked()).
 */
struct pin_rec {
	struct list_head list;		/* pin_records, oldest first; pin_lock */
	struct pnm_pin_record pub;	/* pub.nr_live: pin_lock */
	/* the owner, as an identity only: never dereferenced (it may have
	 * been freed while the pins live on) */
	const struct mm_struct *mm;
	bool exit_reported;		/* PIN_AT_EXIT done; pin_lock */
	int cls;			/* size class, -1: none (freed, not kept) */
	struct pin_rec *next_free;	/* rec_cache[cls] link; pin_lock */
	char tag[PIN_TAG_LEN];		/* pub.tag points here */
	unsigned long nr_nodes;
	struct pin_node nodes[];
};


/* The frames of [@pfn, @pfn + @nr) that lie in @block, as its bits. */
static inline unsigned long block_range_mask(unsigned long block, unsigned long pfn, unsigned long nr)
{
	unsigned long first = block << PIN_BLOCK_SHIFT, last = first + PIN_BLOCK_PAGES;
	unsigned long lo = max_t(unsigned long, pfn, first);
	unsigned long hi = min_t(unsigned long, pfn + nr, last);

	if (lo >= hi)
		return 0;
	hi -= first;
	lo -= first;
	return (hi == PIN_BLOCK_PAGES ? ~0UL : (1UL << hi) - 1) & ~((1UL << lo) - 1);
}

/* The lowest live frame of @n (which has one). */
static inline unsigned long node_first_pfn(const struct pin_node *n)
{
	return (n->block << PIN_BLOCK_SHIFT) + (unsigned long)__builtin_ctzl(n->live);
}

/* --- gup_site.c: the calling thread's pin context ------------------------ */

/*
 * What a pin call records of its thread besides its pages: the tag
 * (pnm_pin_set_tag()), the pin owner (pnm_pin_set_owner()) and the call
 * site of the entry point running (pnm_gup_site_enter(), the gup.h
 * macros; consumed by the call's record).  One initial-exec block, so that
 * the registry and the threads' caches read it inline.  Written by its
 * own thread only (gup_site.c), read by it only.
 */
struct pnm_pin_thread {
	const char *tag;
	unsigned long owner;
	struct pnm_call_site site;
};
extern _Thread_local struct pnm_pin_thread pnm_pin_thread
	__attribute__((tls_model("initial-exec")));

/* --- pin_registry.c, for pin_tcache.c and pin_list.c -------------------- */

/* The live records, oldest first (by pub.seq).  pin_lock held. */
struct list_head *pnm_pin_records_locked(void);

/* Take and drop pin_lock. */
void pnm_pin_lock(void);
void pnm_pin_unlock(void);
/* A record for the @nr consecutive frames from @pfn: its nodes set (block
 * and live bits), the rest for the caller to fill; one the registry kept,
 * else a new one from the host; NULL if the host has none.  pin_lock
 * held. */
struct pin_rec *pnm_pin_rec_span_locked(unsigned long pfn, unsigned long nr);
/* @n record ids and @n clock ticks for a thread's cache: the first of each
 * in *@id and *@seq; the registry's own records get later ones.  pin_lock
 * held. */
void pnm_pin_reserve_locked(unsigned long n, unsigned long *id, unsigned long long *seq);
/* A thread's cache drops its unused ids [@id, @id_end) and ticks [@seq,
 * @seq_end): if nothing was reserved or recorded after them, the next
 * record gets the first of them (ids stay consecutive in a program with
 * one pinning thread).  pin_lock held. */
void pnm_pin_unreserve_locked(unsigned long id, unsigned long id_end,
			      unsigned long long seq, unsigned long long seq_end);
/* pnm_pin_registry_fail_nth()'s count down: the record allocation that
 * fails; 0 (or less): none.  Atomic. */
extern atomic_t pnm_pin_fail_nth;
/* pnm_pin_record_should_fail() when a count is set or faults are
 * injected. */
bool pnm_pin_record_should_fail_slow(void);
/* May a record allocation fail now (pnm_pin_registry_fail_nth() counts, or
 * host faults are injected)?  Two relaxed loads; false means
 * pnm_pin_record_should_fail() would be false and consume nothing. */
static inline bool pnm_pin_record_fail_armed(void)
{
	return atomic_read(&pnm_pin_fail_nth) > 0 ||
	       __atomic_load_n(&pnm_fault_on, __ATOMIC_RELAXED);
}
/* Is this record allocation one that fault injection fails?  Consumes a
 * tick of pnm_pin_registry_fail_nth() and of PNM_FAULT_PIN_RECORD. */
static inline bool pnm_pin_record_should_fail(void)
{
	return unlikely(pnm_pin_record_fail_armed()) && pnm_pin_record_should_fail_slow();
}
/* The registry's record of a pin call (contract above its definition):
 * every call but one of one page (not NULL, not the zero page, registry
 * on), and such a call the thread's cache's short path did not record
 * (pnm_pin_tcache_add_one(); the thread's call site still to take). */
int pnm_pin_registry_add_slow(struct mm_struct *mm, unsigned long start,
			      struct page **pages, unsigned long nr, unsigned int flags);
/* The registry takes over @rec (from pnm_pin_rec_span_locked(), filled
 * in from a thread's cache entry): its nodes linked into the hashes and
 * the record into the list by pub.seq.  pin_lock held. */
void pnm_pin_rec_adopt_locked(struct pin_rec *rec);
/* Keep a grave for the pins @mask of block @block that @pub records (tag
 * text in @tag, PIN_TAG_LEN bytes), released by a thread's cache (their
 * grave bits are set already); @freed: those of them freed since.
 * pin_lock held. */
void pnm_pin_bury_block_locked(const struct pnm_pin_record *pub, const char *tag,
			       unsigned long block, unsigned long mask, unsigned long freed);
/*
 * One bit per frame: the frame has a grave not yet marked freed.  Set
 * under pin_lock, or by a thread's cache without it (pnm_pin_grave_mark());
 * tested and cleared without it by the free path (atomic bitops), see
 * pnm_pin_registry_forget().  NULL if it could not be allocated (then no
 * graves are kept and every stray unpin is UNPIN_UNPINNED).  The pointer
 * changes only at pnm_pin_registry_init() and _fini() (no pin calls
 * meanwhile).
 */
extern unsigned long *pnm_pin_grave_bits;
/* Set the grave bits of the @nr frames from @pfn that are not set
 * (pnm_pin_registry_forget()).  Lock free (a thread's cache inlines the
 * one-frame case: tc_retire_at()). */
void pnm_pin_grave_mark(unsigned long pfn, unsigned long nr);

/* --- pin_list.c ------------------------------------------------------------ */

/* Keep, count and print one misuse report about frame @pfn: @owner (may
 * be NULL) is the pin it concerns, @last says that pin was already
 * released.  pin_lock held. */
void pnm_pin_report_locked(enum pnm_misuse_kind kind, unsigned long pfn,
			   const struct pnm_pin_record *owner, bool last, const char *detail);
/* Forget every report and zero the counts.  pin_lock held. */
void pnm_pin_report_reset_locked(void);

/* --- pin_tcache.c --------------------------------------------------------- */

/* Choose at pnm_pin_registry_init() whether threads cache their pins
 * (membarrier() is needed).  Not thread safe. */
void pnm_pin_tcache_init(void);
/* Record a pin call of the @nr pages from @page in the calling thread's
 * cache: one page (not the zero page), or @nr > 1 consecutive frames.  1
 * if recorded, 0 if it is for the registry itself (one page of a large
 * folio, no cache), -ENOMEM if fault injection fails the record.  Lock
 * free in the steady state. */
int pnm_pin_tcache_add(struct mm_struct *mm, unsigned long start, struct page *page,
		       unsigned long nr, unsigned int flags, const struct pnm_call_site *site,
		       const char *tag);
/* The record of a pin call of one page, @pages[0] (not NULL, not the zero
 * page), with the registry on: recorded in the calling thread's cache if
 * it can be, with the thread's call site (consumed), tag and owner read
 * here, else by the registry (pnm_pin_registry_add_slow()).  Returns as
 * pnm_pin_registry_add_slow().  Lock free in the steady state: one compare
 * with the last call's context and the entry. */
int pnm_pin_tcache_add_one(struct mm_struct *mm, unsigned long start, struct page **pages,
			   unsigned int flags);
/* Retire the calling thread's most recent cached pin call whose first
 * frame is @page's if it was of that one page and is the caller's own
 * (same pin owner and process): true, or false to leave the release to the
 * registry (nothing done).  Lock free. */
bool pnm_pin_tcache_del(struct page *page);
/* Release the pins of @pages[0..n) in order, as long as the calling
 * thread's cache holds them: at each entry, its newest cached call whose
 * first frame is that page's, if the caller's own and the next entries
 * are that call's frames in order (@span: @pages are consecutive frames,
 * nothing to check); NULL entries and the zero page pass.  Returns the
 * number of entries done.  Lock free. */
unsigned long pnm_pin_tcache_del_pages(struct page *const *pages, unsigned long n, bool span);
/* The registry takes over the calling thread's cached live records, and
 * the thread's unused ids and clock ticks are dropped (so its next cached
 * record comes after what the registry records now).  pin_lock held. */
void pnm_pin_tcache_own_locked(void);
/* The registry takes over every thread's cached live records and buries
 * their released ones; true if there was anything.  pin_lock held. */
bool pnm_pin_tcache_sync_locked(void);
/* The frames [@pfn, @pfn + @nr) are being freed: graves still cached for
 * them no longer describe the page there.  pin_lock held. */
void pnm_pin_tcache_forget_locked(unsigned long pfn, unsigned long nr);
/* Drop every cached record (pnm_init(), pnm_fini()).  pin_lock held; no
 * thread may pin or unpin meanwhile. */
void pnm_pin_tcache_reset_locked(void);

#endif /* PINMM_PIN_REGISTRY_H */
