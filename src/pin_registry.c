// SPDX-License-Identifier: MIT
/*
 * pin_registry.c - who holds which pins, and misuse of the pin API.
 *
 * Linux only counts pins; it cannot say who took them.  pinmm also keeps
 * provenance: every successful pin call (gup.c, gup_fast.c) hands its page
 * array to pnm_pin_registry_add_slow(), which makes one record per call: the
 * owner (mm->owner_pid), the caller's tag (pnm_pin_set_tag), the call site
 * (see "Call sites" below), the user range, the FOLL_* flags and a logical
 * time.  The pages of the call become nodes of 64 frames (struct
 * pin_node), linked into a hash by block -- or, for a node of one frame
 * (a call of one page), by frame; the nodes share one block with their
 * record, and records are kept for reuse once freed, so a call costs one
 * lock round trip and, in the steady state, no host allocation.  Every
 * unpin of a page first calls pnm_pin_registry_del(), which finds a live
 * node for that pfn -- or, since pins belong to the folio as in Linux, for
 * another page of the same folio -- and retires it; a record is freed
 * when its last page is unpinned (nr_live reaches 0).  Zero-page entries
 * are not recorded: Linux does not count their pins and unpinning them
 * does nothing.
 *
 * The cheap cases (issue 15, docs/performance.md): a call over
 * consecutive frames (one page, a THP) is recognised with one vector pass
 * over its array -- none for a THP the fast walk pinned through its PMD,
 * which says so (the span hint, internal.h) -- and its nodes follow from
 * its first frame; the release of such an array, whose one pass
 * unpin_user_pages() shares with its own release
 * (pnm_pin_registry_del_span()), finds the first frame's node and retires
 * the rest from the record's following nodes, a whole middle block with
 * one compare and one grave (take_continued_span()).  A THP is still 8
 * nodes, each linked, retired and buried: one node per span was not
 * done (docs/performance.md, "Where a target is missed").
 *
 * Misuse is detected at four places and reported (never aborting): kept
 * in a bounded ring (the last MISUSE_KEEP reports, pnm_misuse_foreach: pin_list.c),
 * counted per kind and in vmstat's pnm_pin_misuse, and printed to stderr
 * when pnm_config.pin_debug is on.
 *
 *   PUT_ON_PIN       folio_put_refs() took the refcount below what the
 *                    folio's pins account for (pnm_pin_check_put(); only
 *                    with pin_debug, not in legacy mode).
 *   UNPIN_UNPINNED   an unpin of a page whose folio holds no pin at all.
 *   OVER_UNPIN       the same, for a page whose pin was recently released
 *                    (the registry remembers the last GRAVE_KEEP releases,
 *                    "graves", so the report can name the pin that was
 *                    already gone; folio_put_refs() marks a frame's graves
 *                    when it frees the frame, so a reused frame is not
 *                    mistaken for the pinned page it used to be).
 *   PIN_AT_EXIT      an mm's last user went away while it still owned
 *                    pins (once per record; the pins stay: a device may
 *                    still be writing to the pages).
 *   DMA_TO_FREED     reported by dma.c.
 *
 * With pnm_config.pin_registry off, add/del/foreach do nothing and the
 * unpin check relies on the exact per-page shadow count page->pnm_pincount
 * alone, so an unpin through a folio with no pin at all is still caught -- if
 * shadow counts are kept (pnm_pin_shadow_count(): exact accounting or
 * pin_debug on).  In the production configuration (linux accounting,
 * registry and pin_debug off) nothing keeps them and such an unpin goes
 * unnoticed, releasing a pin that is not there; the PUT_ON_PIN check is
 * off too.  In legacy mode pins are plain references with no pin counts:
 * only the registry can tell.
 *
 * The unpin_user_pages*() family checks a whole page array with one
 * pnm_pin_registry_del_pages() call: one pin_lock round trip per call
 * rather than per page.
 *
 * Call sites, tags and owners: gup_site.c.
 *
 * Locking: pin_lock protects the record list, both hashes, the kept
 * records, the graveyard, the report ring and the logical clock.  A
 * record's host allocation may happen under it (malloc() calls nothing
 * of the model).  It is a leaf among the model's
 * locks: folio_put_refs() may report with any model lock held, so no model
 * lock is ever taken under it (the callbacks of the foreach functions run
 * under it and must not pin, unpin or drop page references).  Naming a
 * return address (dladdr()) takes the dynamic loader's lock under it,
 * which calls nothing of the model.  The tag and call site are
 * thread-local.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "pin_registry.h"

#define PIN_HASH_BITS	14	/* buckets of blocks */
#define PIN_HASH_SIZE	(1UL << PIN_HASH_BITS)
#define GRAVE_KEEP	256	/* batches of released pins remembered */

/*
 * Released pins of one record in one block (a batch of releases through
 * one node), for OVER_UNPIN and DMA_TO_FREED reports.  The record is
 * kept once per batch of graves in grave_recs[] (@ri: its number there;
 * a grave in the ring always has its record in that ring: each record
 * kept comes with a grave).
 */
struct pin_grave {
	unsigned long block;
	unsigned long mask;		/* frames whose pin was released */
	unsigned long freed;		/* of those, frames freed since */
	unsigned long ri;		/* grave_recs[ri % GRAVE_KEEP] */
};

/* A released record's copy, for the graves. */
struct grave_rec {
	struct pnm_pin_record rec;	/* rec.tag fixed up on use */
	char tag[PIN_TAG_LEN];
};

/*
 * Records of up to 1, 2, 4, 8 and 16 nodes are kept for reuse when freed
 * (a call of one page, of up to 64..., of one THP's 8 blocks): at most
 * REC_CACHE_BYTES in all.  Larger ones are freed.
 */
#define REC_CLASSES	5
#define REC_CACHE_BYTES	(8UL << 20)

static spinlock_t pin_lock = { .m = PTHREAD_MUTEX_INITIALIZER, .owner = 0 };
static LIST_HEAD(pin_records);				/* pin_lock */
static struct pin_node *pin_hash[PIN_HASH_SIZE];	/* by block; pin_lock */
static struct pin_node *pin_fhash[PIN_HASH_SIZE];	/* single nodes by pfn; pin_lock */
static struct pin_rec *rec_cache[REC_CLASSES];		/* free records; pin_lock */
static unsigned long rec_cache_bytes;			/* pin_lock */
static unsigned long long pin_clock;			/* pin_lock */
static unsigned long pin_next_id;			/* pin_lock */
static struct pin_grave graves[GRAVE_KEEP];		/* pin_lock */
static struct grave_rec grave_recs[GRAVE_KEEP];		/* pin_lock */
static unsigned long nr_grave_recs;			/* pin_lock */
static unsigned long nr_graves;				/* pin_lock */
/* One bit per frame: the frame has a grave not yet marked freed (see
 * pin_registry.h). */
unsigned long *pnm_pin_grave_bits;

/* pnm_pin_registry_fail_nth(): the record allocation that fails, counted
 * down; 0: none (pin_registry.h). */
atomic_t pnm_pin_fail_nth;
_Static_assert(PIN_BLOCK_PAGES == BITS_PER_LONG, "a node's bits are one word");
_Static_assert(PIN_BLOCK_PAGES == PNM_PIN_BLOCK_PAGES, "pin_pages.c finds runs in blocks");

/*
 * The buckets are the low bits of the block or frame number: calls over
 * neighbouring frames, which pin and release in turn, use neighbouring
 * buckets (eight to a cache line) rather than a new line each.
 */
static inline struct pin_node **pin_bucket(unsigned long block)
{
	return &pin_hash[block & (PIN_HASH_SIZE - 1)];
}

static inline struct pin_node **pin_fbucket(unsigned long pfn)
{
	return &pin_fhash[pfn & (PIN_HASH_SIZE - 1)];
}

static inline unsigned long pfn_block(unsigned long pfn)
{
	return pfn >> PIN_BLOCK_SHIFT;
}

static inline unsigned long pfn_bit(unsigned long pfn)
{
	return 1UL << (pfn & (PIN_BLOCK_PAGES - 1));
}

/* The bits of the @len frames from @pfn (one run: pnm_pin_run_len()). */
static inline unsigned long run_mask(unsigned long pfn, unsigned long len)
{
	return (len == PIN_BLOCK_PAGES ? ~0UL : (1UL << len) - 1) << (pfn & (PIN_BLOCK_PAGES - 1));
}

/*
 * Consume one tick of pnm_pin_registry_fail_nth(); true if this record
 * allocation must fail.  The compare-and-swap loop makes exactly one of
 * several concurrent pinners see the count go from 1 to 0.
 */
static bool should_fail_record(void)
{
	int n = atomic_read(&pnm_pin_fail_nth);

	while (n > 0) {
		if (atomic_try_cmpxchg(&pnm_pin_fail_nth, &n, n - 1))
			return n == 1;
	}
	return false;
}

/*
 * Test hook (internal.h): make the @nth record allocation from now fail
 * as host ENOMEM (1 = the next pin call that has pages to record); 0
 * disables.  Values beyond INT_MAX are clamped.
 */
void pnm_pin_registry_fail_nth(unsigned long nth)
{
	atomic_set(&pnm_pin_fail_nth, nth > INT32_MAX ? INT32_MAX : (int)nth);
}

/* --- for the threads' caches (pin_registry.h) ---------------------------- */

/* pnm_pin_lock, pnm_pin_unlock - pin_registry.h. */
void pnm_pin_lock(void)
{
	spin_lock(&pin_lock);
}

void pnm_pin_unlock(void)
{
	spin_unlock(&pin_lock);
}

/* pnm_pin_record_should_fail_slow - pin_registry.h. */
bool pnm_pin_record_should_fail_slow(void)
{
	return should_fail_record() || pnm_should_fail(PNM_FAULT_PIN_RECORD);
}

/* pnm_pin_reserve_locked - pin_registry.h. */
void pnm_pin_reserve_locked(unsigned long n, unsigned long *id, unsigned long long *seq)
{
	*id = pin_next_id + 1;
	*seq = pin_clock + 1;
	pin_next_id += n;
	pin_clock += n;
}

/* pnm_pin_unreserve_locked - pin_registry.h. */
void pnm_pin_unreserve_locked(unsigned long id, unsigned long id_end,
			      unsigned long long seq, unsigned long long seq_end)
{
	if (id < id_end && pin_next_id == id_end - 1)
		pin_next_id = id - 1;
	if (seq < seq_end && pin_clock == seq_end - 1)
		pin_clock = seq - 1;
}

/* --- reports ------------------------------------------------------------- */

struct del_ctx;
static struct pin_node *pick_node(const struct del_ctx *c, unsigned long block,
				  unsigned long mask, bool oldest);

/* The most recent node with @pfn live, or NULL.  pin_lock held. */
static struct pin_node *find_live(unsigned long pfn)
{
	return pick_node(NULL, pfn_block(pfn), pfn_bit(pfn), false);
}

/*
 * The most recent batch of released pins that covers a frame of [@pfn,
 * @pfn + @nr) (the frames of one folio), or NULL; with @same_frame, only
 * if one of those frames has not been freed since (the page is the one
 * that pin held).  pin_lock held.
 */
static const struct pnm_pin_record *find_grave(unsigned long pfn, unsigned long nr,
						bool same_frame)
{
	unsigned long i, n = nr_graves < GRAVE_KEEP ? nr_graves : GRAVE_KEEP;

	for (i = 1; i <= n; i++) {
		struct pin_grave *g = &graves[(nr_graves - i) % GRAVE_KEEP];
		unsigned long hit = g->mask & block_range_mask(g->block, pfn, nr);
		struct grave_rec *gr;

		if (!hit)
			continue;
		if (same_frame && !(hit & ~g->freed))
			return NULL;
		gr = &grave_recs[g->ri % GRAVE_KEEP];
		gr->rec.tag = gr->tag[0] ? gr->tag : NULL;
		return &gr->rec;
	}
	return NULL;
}

/*
 * Report @detail about the frames [@pfn, @pfn + @nr), naming a live pin
 * of one of them, else the last released pin of @pfn.  Takes pin_lock.
 */
void pnm_pin_report_range(enum pnm_misuse_kind kind, unsigned long pfn, unsigned long nr,
			  const char *detail)
{
	const struct pnm_pin_record *owner = NULL, *g;
	bool last = false;
	unsigned long i;

	spin_lock(&pin_lock);
	pnm_pin_tcache_sync_locked();
	for (i = 0; i < nr && !owner; i++) {
		struct pin_node *n = find_live(pfn + i);

		if (n)
			owner = &n->rec->pub;
	}
	if (!owner && nr && (g = find_grave(pfn, 1, false))) {
		owner = g;
		last = true;
	}
	pnm_pin_report_locked(kind, pfn, owner, last, detail);
	spin_unlock(&pin_lock);
}

/* --- records ------------------------------------------------------------- */

/* A run of pnm_pin_registry_add_slow()'s pages: its first frame and its bits. */
struct add_run {
	unsigned long pfn;
	unsigned long mask;
};
#define ADD_RUNS	32	/* runs kept on the stack between the passes */

/* Add the run @mask (of @pfn's block) to the record's current node *@np,
 * or to a new one.  Second pass of pnm_pin_registry_add_slow(). */
static void add_node_run(struct pin_rec *rec, struct pin_node **np, unsigned long pfn,
			 unsigned long mask)
{
	struct pin_node *n = *np;

	if (!n || pfn_block(pfn) != n->block || (n->live & mask)) {
		n = n ? n + 1 : rec->nodes;
		n->block = pfn_block(pfn);
		n->live = 0;
		*np = n;
	}
	n->live |= mask;
}

/*
 * Link node @n of @rec (its block and live bits set, some live) into its
 * hash: pin_fhash by its frame if it has one frame, else pin_hash by its
 * block.  pin_lock held.
 */
static void node_link(struct pin_rec *rec, struct pin_node *n)
{
	struct pin_node **b;

	n->rec = rec;
	b = n->live & (n->live - 1) ? pin_bucket(n->block) : pin_fbucket(node_first_pfn(n));
	n->next = *b;
	if (n->next)
		n->next->pprev = &n->next;
	n->pprev = b;
	*b = n;
}

/* Unlink @n from its hash.  pin_lock held. */
static void node_unlink(struct pin_node *n)
{
	*n->pprev = n->next;
	if (n->next)
		n->next->pprev = n->pprev;
}

/* The size class of a record of @nodes nodes (room for 1 << class), -1
 * for one too large to keep. */
static int rec_class(unsigned long nodes)
{
	int cls = 0;

	while (cls < REC_CLASSES && (1UL << cls) < nodes)
		cls++;
	return cls < REC_CLASSES ? cls : -1;
}

static size_t rec_size(unsigned long nodes)
{
	return sizeof(struct pin_rec) + nodes * sizeof(struct pin_node);
}

/* A new record with room for @nodes nodes from the host (sized to its
 * class), or NULL.  Any context: takes no lock. */
static struct pin_rec *rec_alloc(unsigned long nodes)
{
	int cls = rec_class(nodes);
	struct pin_rec *rec = malloc(rec_size(cls >= 0 ? 1UL << cls : nodes));

	if (rec)
		rec->cls = cls;
	return rec;
}

/* A record with room for @nodes nodes: a kept one of its class, else a
 * new one (NULL if the host has none).  pin_lock held. */
static struct pin_rec *rec_get_locked(unsigned long nodes)
{
	int cls = rec_class(nodes);
	struct pin_rec *rec;

	if (cls >= 0 && (rec = rec_cache[cls])) {
		rec_cache[cls] = rec->next_free;
		rec_cache_bytes -= rec_size(1UL << cls);
		return rec;
	}
	return rec_alloc(nodes);
}

/* @rec (unlinked) is no longer used: keep it for reuse, or free it.
 * pin_lock held. */
static void rec_put_locked(struct pin_rec *rec)
{
	if (rec->cls >= 0 && rec_cache_bytes + rec_size(1UL << rec->cls) <= REC_CACHE_BYTES) {
		rec->next_free = rec_cache[rec->cls];
		rec_cache[rec->cls] = rec;
		rec_cache_bytes += rec_size(1UL << rec->cls);
		return;
	}
	free(rec);
}


/*
 * pnm_pin_rec_adopt_locked - pin_registry.h.  A cached record is recent:
 * its place by seq is found from the newest end of the list.
 */
void pnm_pin_rec_adopt_locked(struct pin_rec *rec)
{
	struct list_head *pos = pin_records.prev;

	while (pos != &pin_records && list_entry(pos, struct pin_rec, list)->pub.seq > rec->pub.seq)
		pos = pos->prev;
	list_add(&rec->list, pos);
	for (unsigned long i = 0; i < rec->nr_nodes; i++)
		node_link(rec, &rec->nodes[i]);
}

/* The @nodes nodes of @rec for the @nr consecutive frames from @pfn: whole
 * blocks but the first and the last. */
static void span_nodes(struct pin_rec *rec, unsigned long pfn, unsigned long nr,
		       unsigned long nodes)
{
	unsigned long i;

	for (i = 0; i < nodes; i++) {
		rec->nodes[i].block = pfn_block(pfn) + i;
		rec->nodes[i].live = ~0UL;
	}
	rec->nodes[0].live = ~0UL << (pfn & (PIN_BLOCK_PAGES - 1));
	rec->nodes[nodes - 1].live &= ~0UL >> ((-(pfn + nr)) & (PIN_BLOCK_PAGES - 1));
}

/* pnm_pin_rec_span_locked - pin_registry.h: a record with add_record()'s
 * span nodes. */
struct pin_rec *pnm_pin_rec_span_locked(unsigned long pfn, unsigned long nr)
{
	unsigned long nodes = pfn_block(pfn + nr - 1) - pfn_block(pfn) + 1;
	struct pin_rec *rec = rec_get_locked(nodes);

	if (!rec)
		return NULL;
	span_nodes(rec, pfn, nr, nodes);
	rec->nr_nodes = nodes;
	return rec;
}

/* pnm_pin_registry_add_slow() under the registry's lock, for everything the
 * thread's cache does not take: its own frame (the runs kept on the stack),
 * off the cache's path. */
static __attribute__((noinline)) int add_record(struct mm_struct *mm, unsigned long start,
						struct page **pages, unsigned long nr,
						unsigned int flags, const char *tag,
						const struct pnm_call_site *call, bool known,
						const unsigned long *span_pfn)
{
	const struct pnm_call_site site = *call;
	unsigned long i, pfn = 0, len, tracked = 0, nodes = 0, block = ULONG_MAX, bits = 0;
	struct add_run runs[ADD_RUNS];
	unsigned long nr_runs = 0;
	struct pin_node *n = NULL;
	struct pin_rec *rec = NULL;
	bool span;

	/* The common call, consecutive frames (one page, a THP, memory the
	 * buddy allocator handed out in order): its nodes follow from its
	 * first frame and its length. */
	if (known) {
		/* The caller looked already (pnm_pin_registry_add_slow()). */
		span = span_pfn != NULL;
		if (span)
			pfn = *span_pfn;
	} else {
		span = pnm_pin_span_of(pages, nr, &pfn);
	}
	if (span) {
		tracked = nr;
		nodes = pfn_block(pfn + nr - 1) - pfn_block(pfn) + 1;
	} else {
		/* A new node where the block changes, or where a frame
		 * repeats in the same node (two user pages mapping one
		 * frame).  The first ADD_RUNS runs are kept for the second
		 * pass. */
		for (i = 0; pnm_pin_next_run(pages, nr, &i, &pfn, &len); i += len) {
			unsigned long mask = run_mask(pfn, len);

			if (nr_runs < ADD_RUNS)
				runs[nr_runs] = (struct add_run){ pfn, mask };
			nr_runs++;
			if (pfn_block(pfn) != block || (bits & mask)) {
				nodes++;
				block = pfn_block(pfn);
				bits = 0;
			}
			bits |= mask;
			tracked += len;
		}
		if (!tracked)
			return 0;
	}
	if (pnm_pin_record_should_fail())
		return -ENOMEM;
	if (nr_runs > ADD_RUNS) {
		/* Too many runs to have kept: find them again, before taking
		 * the lock. */
		rec = rec_alloc(nodes);
		if (!rec)
			return -ENOMEM;
		for (i = 0; pnm_pin_next_run(pages, nr, &i, &pfn, &len); i += len)
			add_node_run(rec, &n, pfn, run_mask(pfn, len));
	}

	spin_lock(&pin_lock);
	/* The thread's cached records come first (pin_tcache.c). */
	pnm_pin_tcache_own_locked();
	if (!rec) {
		rec = rec_get_locked(nodes);
		if (!rec) {
			spin_unlock(&pin_lock);
			return -ENOMEM;
		}
		if (span) {
			span_nodes(rec, pfn, nr, nodes);
		} else {
			for (i = 0; i < nr_runs; i++)
				add_node_run(rec, &n, runs[i].pfn, runs[i].mask);
		}
	}
	rec->mm = mm;
	rec->exit_reported = false;
	rec->tag[0] = '\0';
	if (tag) {
		len = strnlen(tag, PIN_TAG_LEN - 1);
		memcpy(rec->tag, tag, len);
		rec->tag[len] = '\0';
	}
	rec->pub = (struct pnm_pin_record){
		.id = ++pin_next_id,
		.pid = mm ? mm->owner_pid : 0,
		.tag = tag ? rec->tag : NULL,
		.file = site.file,
		.line = site.line,
		.func = site.func,
		.caller = site.file ? NULL : site.caller,
		.start = start,
		.nr_pages = nr,
		.nr_live = tracked,
		.gup_flags = (flags & ~INTERNAL_GUP_FLAGS) | FOLL_PIN |
			     (pnm_config.legacy_gup ? FOLL_GET : 0),
		.seq = ++pin_clock,
		.owner = pnm_pin_thread.owner,
	};
	rec->nr_nodes = nodes;
	for (i = 0; i < nodes; i++)
		node_link(rec, &rec->nodes[i]);
	list_add_tail(&rec->list, &pin_records);
	spin_unlock(&pin_lock);
	return 0;
}

/*
 * pnm_pin_registry_add_slow - record a successful pin call
 * (pnm_gup_record_pins() sends every call here but one of one page, which
 * goes to the thread's cache's short path, pnm_pin_tcache_add_one(),
 * first): @nr entries of @pages (NULL entries and the zero page are
 * skipped), pinned from user address @start of @mm, with
 * @flags (internal flags other than FOLL_PIN are dropped; FOLL_PIN is
 * added, in legacy mode FOLL_GET|FOLL_PIN, which is how a legacy record is
 * recognised).  Consumes the thread's call site (file:line:func, or
 * file NULL and the entry point's return address) and copies its tag and
 * owner.  Call after the pins are counted and before the caller can unpin
 * them.  A call of one page, or of up to 512 consecutive frames, is
 * recorded in the calling thread's cache when it can be (pin_tcache.c:
 * no lock).  Else
 * one pin_lock round trip per call; the record comes from the
 * registry's kept records when one of its size is there (a record counts
 * as an allocation for fault injection either way).  The pages become
 * nodes of 64 frames each (see struct pin_node), so a call over
 * consecutive frames links one node per 64 pages.  Returns 0 (also when
 * the registry is off or there is nothing to record), or -ENOMEM if the
 * record cannot be allocated: nothing is recorded and the caller must
 * release the pins and fail the call (gup.c: pnm_gup_record_pins()).
 */
__attribute__((noinline))
int pnm_pin_registry_add_slow(struct mm_struct *mm, unsigned long start,
			      struct page **pages, unsigned long nr, unsigned int flags)
{
	const char *tag = pnm_pin_thread.tag;
	struct pnm_call_site site;
	int ret;

	pnm_gup_site_take(&site);
	if (!pnm_config.pin_registry || !pages || !nr)
		return 0;
	/* Consecutive frames (a THP, pages handed out in order): the
	 * thread's cache records them too, if it can. */
	if (nr > 1) {
		unsigned long pfn;

		if (!pnm_pin_span_hint_take(pages, nr, &pfn) && !pnm_pin_span_of(pages, nr, &pfn))
			return add_record(mm, start, pages, nr, flags, tag, &site, true, NULL);
		/* Up to a THP's worth: the unpin functions check and release
		 * arrays in batches of that many (gup_unpin.c), and a cached call is
		 * released whole, else by the registry. */
		if (nr <= HPAGE_PMD_NR) {
			ret = pnm_pin_tcache_add(mm, start, pfn_to_page(pfn), nr, flags, &site, tag);
			if (ret)
				return ret < 0 ? ret : 0;
		}
		return add_record(mm, start, pages, nr, flags, tag, &site, true, &pfn);
	}
	return add_record(mm, start, pages, nr, flags, tag, &site, false, NULL);
}

/*
 * The index in grave_recs[] of the copy of the record @pub (tag text @tag)
 * for a grave about to be made: the last copy if it is that record's
 * (consecutive graves of one record share one), else a new one.  pin_lock
 * held.
 */
static unsigned long grave_rec_of(const struct pnm_pin_record *pub, const char *tag)
{
	if (!nr_grave_recs || grave_recs[(nr_grave_recs - 1) % GRAVE_KEEP].rec.id != pub->id) {
		struct grave_rec *gr = &grave_recs[nr_grave_recs++ % GRAVE_KEEP];

		gr->rec = *pub;
		memcpy(gr->tag, tag, sizeof(gr->tag));
	}
	return nr_grave_recs - 1;
}

/*
 * Remember the release of the pins @mask (not 0) of @block, of which
 * @freed were freed since, by the record whose copy is grave_recs[@ri]
 * (grave_rec_of(), no other record's grave made since).  pin_lock held,
 * pnm_pin_grave_bits allocated.
 */
static inline void bury_block(unsigned long block, unsigned long mask, unsigned long freed,
			      unsigned long ri)
{
	struct pin_grave *g = &graves[nr_graves++ % GRAVE_KEEP];

	g->block = block;
	g->mask = mask;
	g->freed = freed;
	g->ri = ri;
	/* One word, the block's 64 frames.  A thread's cache sets bits
	 * without pin_lock (pnm_pin_grave_mark()), so this is an atomic OR,
	 * skipped when the bits are set already; relaxed: the unpin's fully
	 * ordered refcount decrement, which follows, publishes it to whoever
	 * frees a frame. */
	if ((__atomic_load_n(&pnm_pin_grave_bits[block], __ATOMIC_RELAXED) & mask) != mask)
		__atomic_fetch_or(&pnm_pin_grave_bits[block], mask, __ATOMIC_RELAXED);
}

/*
 * Remember the release of the pins @mask of @n's block for later reports.
 * pin_lock held.
 */
static void bury(const struct pin_node *n, unsigned long mask)
{
	if (!pnm_pin_grave_bits || !mask)
		return;
	bury_block(n->block, mask, 0, grave_rec_of(&n->rec->pub, n->rec->tag));
}

/* pnm_pin_bury_block_locked - pin_registry.h. */
void pnm_pin_bury_block_locked(const struct pnm_pin_record *pub, const char *tag,
			       unsigned long block, unsigned long mask, unsigned long freed)
{
	if (!pnm_pin_grave_bits || !mask)
		return;
	bury_block(block, mask, freed & mask, grave_rec_of(pub, tag));
}

/* pnm_pin_grave_mark - pin_registry.h.  Relaxed, as bury_block()'s. */
void pnm_pin_grave_mark(unsigned long pfn, unsigned long nr)
{
	unsigned long b;

	if (!pnm_pin_grave_bits)
		return;
	if (nr == 1) {
		unsigned long *w = &pnm_pin_grave_bits[pfn_block(pfn)], bit = pfn_bit(pfn);

		if (!(__atomic_load_n(w, __ATOMIC_RELAXED) & bit))
			__atomic_fetch_or(w, bit, __ATOMIC_RELAXED);
		return;
	}
	for (b = pfn_block(pfn); b <= pfn_block(pfn + nr - 1); b++) {
		unsigned long *w = &pnm_pin_grave_bits[b], mask = block_range_mask(b, pfn, nr);

		if ((__atomic_load_n(w, __ATOMIC_RELAXED) & mask) != mask)
			__atomic_fetch_or(w, mask, __ATOMIC_RELAXED);
	}
}

/*
 * folio_put_refs(), as the last reference goes: the frames of @folio are
 * about to be freed, so graves of its pfns no longer describe the page
 * there (a later stray unpin of a reused frame is UNPIN_UNPINNED, not
 * OVER_UNPIN; a device access is still attributed to the last pin).
 * Lock free unless one of the frames has a grave (one word load per 64
 * frames); takes pin_lock then.
 */
void pnm_pin_registry_forget(struct folio *folio)
{
	unsigned long pfn = folio_pfn(folio), nr = folio_nr_pages(folio);
	unsigned long b, first = pfn_block(pfn), last = pfn_block(pfn + nr - 1), i;

	if (!pnm_pin_grave_bits)
		return;
	for (b = first; b <= last; b++)
		if (__atomic_load_n(&pnm_pin_grave_bits[b], __ATOMIC_RELAXED) &
		    block_range_mask(b, pfn, nr))
			break;
	if (b > last)
		return;
	spin_lock(&pin_lock);
	for (; b <= last; b++) {
		unsigned long bits = __atomic_load_n(&pnm_pin_grave_bits[b], __ATOMIC_RELAXED) &
				     block_range_mask(b, pfn, nr);

		if (!bits)
			continue;
		/* Atomic: threads' caches set bits without pin_lock (see
		 * bury_freed()); the lock-free test above may see a stale
		 * bit, which just takes the lock. */
		__atomic_fetch_and(&pnm_pin_grave_bits[b], ~bits, __ATOMIC_RELAXED);
		for (i = 0; i < GRAVE_KEEP; i++)
			if (graves[i].block == b)
				graves[i].freed |= graves[i].mask & bits;
	}
	pnm_pin_tcache_forget_locked(pfn, nr);
	spin_unlock(&pin_lock);
}

/*
 * State of one release call (pnm_pin_registry_del*()) under pin_lock:
 * the node it last retired pins from -- tried first for the next entry,
 * so unpinning the array a call pinned retires that call's own nodes in
 * order, one bit each -- and the releases of that node not yet buried.
 */
struct del_ctx {
	struct pin_rec *rec;		/* NULL: none yet, or freed */
	unsigned long k;		/* its node index */
	unsigned long pending;		/* bits of nodes[k] released, not buried */
	bool shadow;			/* decrement shadow counts too */
	int pid;			/* the caller's process, -1 if none */
	unsigned long owner;		/* the caller's pin owner, 0 if none */
};

static void del_flush(struct del_ctx *c)
{
	if (c->rec && c->pending)
		bury(&c->rec->nodes[c->k], c->pending);
	c->pending = 0;
}

/* Unlink every node of @rec from its hash and the record from the list;
 * keep or free it.  pin_lock held. */
static void rec_free(struct pin_rec *rec)
{
	unsigned long i;

	for (i = 0; i < rec->nr_nodes; i++)
		node_unlink(&rec->nodes[i]);
	list_del(&rec->list);
	rec_put_locked(rec);
}

/* The pins @bits of @n were retired: drop their frames' shadow counts. */
static void shadow_drop(const struct pin_node *n, unsigned long bits)
{
	unsigned long base = n->block << PIN_BLOCK_SHIFT;

	/* A live pin implies its shadow pin: after the registry, before
	 * the caller's refcount decrement. */
	while (bits) {
		atomic_dec(&pfn_to_page(base + (unsigned long)__builtin_ctzl(bits))->pnm_pincount);
		bits &= bits - 1;
	}
}

/*
 * Retire the @nr pins @bits (live, one pin each) of node @k of @rec, decrementing
 * their frames' shadow counts if kept; frees the record when they were its
 * last.  pin_lock held.
 */
static void retire(struct del_ctx *c, struct pin_rec *rec, unsigned long k, unsigned long bits,
		   unsigned long nr)
{
	struct pin_node *n = &rec->nodes[k];

	if (c->rec != rec || c->k != k) {
		del_flush(c);
		c->rec = rec;
		c->k = k;
	}
	n->live &= ~bits;
	c->pending |= bits;
	if (c->shadow)
		shadow_drop(n, bits);
	pin_clock += nr;
	rec->pub.nr_live -= nr;
	if (!rec->pub.nr_live) {
		del_flush(c);
		c->rec = NULL;
		rec_free(rec);
	}
}

/*
 * Is @rec the releasing caller's own (@c): taken by the same owner (pin
 * owner id, 0 for raw API calls: pnm_pin_set_owner()) in the same process
 * (any process if the thread runs no task)?
 */
static inline bool rec_is_mine(const struct pin_rec *rec, const struct del_ctx *c)
{
	return rec->pub.owner == c->owner && (c->pid < 0 || rec->pub.pid == c->pid);
}

/*
 * Is @n, whose lowest frame of interest is @low, a better pick than @pick
 * (@best)?  The lower frame wins; for the same frame the older node if
 * @oldest, else the more recent one.  Records are ordered by their seq;
 * within a record a later node is the more recent (it was linked later).
 */
static inline bool node_better(const struct pin_node *n, unsigned long low,
			       const struct pin_node *pick, unsigned long best, bool oldest)
{
	bool newer;

	if (!pick || low < best)
		return true;
	if (low > best)
		return false;
	newer = n->rec->pub.seq > pick->rec->pub.seq || (n->rec == pick->rec && n > pick);
	return newer != oldest;
}

/*
 * A node of @block with one of @mask live, the lowest such frame first:
 * among nodes with that frame live, the oldest if @oldest, else the most
 * recent; only the caller's own (rec_is_mine(@c)) unless @c is NULL.
 * Looks in the block's chain, then in the chains of the single nodes of
 * the frames of @mask from the lowest up, stopping above the best frame
 * found.  pin_lock held.
 */
static struct pin_node *pick_node(const struct del_ctx *c, unsigned long block,
				  unsigned long mask, bool oldest)
{
	struct pin_node *n, *pick = NULL;
	unsigned long best = 0, m;

	for (n = *pin_bucket(block); n; n = n->next) {
		unsigned long low = n->live & mask;

		if (n->block != block || !low || (c && !rec_is_mine(n->rec, c)))
			continue;
		low &= -low;
		if (node_better(n, low, pick, best, oldest)) {
			pick = n;
			best = low;
		}
	}
	for (m = mask; m; m &= m - 1) {
		unsigned long bit = m & -m;

		if (pick && bit > best)
			break;
		n = *pin_fbucket((block << PIN_BLOCK_SHIFT) + (unsigned long)__builtin_ctzl(bit));
		for (; n; n = n->next) {
			if (n->block != block || !(n->live & bit) || (c && !rec_is_mine(n->rec, c)))
				continue;
			if (node_better(n, bit, pick, best, oldest)) {
				pick = n;
				best = bit;
			}
		}
	}
	return pick;
}

/*
 * pick_node() of the oldest node of anybody if @any, else of the caller's
 * most recent: its record, and its index there in *@k.  pin_lock held.
 */
static struct pin_rec *find_node(const struct del_ctx *c, unsigned long block,
				 unsigned long mask, bool any, unsigned long *k)
{
	struct pin_node *pick = pick_node(any ? NULL : c, block, mask, any);

	if (!pick)
		return NULL;
	*k = (unsigned long)(pick - pick->rec->nodes);
	return pick->rec;
}

/*
 * Retire up to @want pins of the frames [@pfn, @pfn + @nr), lowest frame
 * first, from nodes chosen as find_node() does.  Returns the number
 * retired.  pin_lock held.
 */
static unsigned long take_range(struct del_ctx *c, unsigned long pfn, unsigned long nr,
				unsigned long want, bool any)
{
	unsigned long b, last = pfn_block(pfn + nr - 1), done = 0;

	for (b = pfn_block(pfn); b <= last && done < want; b++) {
		unsigned long mask = block_range_mask(b, pfn, nr), k;
		struct pin_rec *rec;

		while (done < want && (rec = find_node(c, b, mask, any, &k))) {
			unsigned long bits = rec->nodes[k].live & mask, take = 0, nr_take = 0;

			while (bits && done + nr_take < want) {
				take |= bits & -bits;
				bits &= bits - 1;
				nr_take++;
			}
			retire(c, rec, k, take, nr_take);
			done += nr_take;
		}
	}
	return done;
}

/*
 * Retire the pins of the consecutive frames [@pfn, @pfn + @nr), one
 * block's part at a time, for as long as each part is held whole by the
 * node the last release retired from or by the record's next one, and
 * the record is one of the caller's own (rec_is_mine()): the release of
 * an array one call pinned over consecutive frames (a THP: 8 nodes) in
 * one loop, or of one run in a block.  Returns the number of frames
 * retired (the first ones), 0 if the first part could not be.  pin_lock
 * held (the context has a record only under it).
 */
static unsigned long take_continued_span(struct del_ctx *c, unsigned long pfn, unsigned long nr)
{
	struct pin_rec *rec = c->rec;
	unsigned long done = 0, ri = ULONG_MAX;
	struct pin_node *n;

	if (!rec || !rec_is_mine(rec, c))
		return 0;
	n = &rec->nodes[c->k];
	while (done < nr) {
		unsigned long p = pfn + done, block = pfn_block(p);
		unsigned long len = min_t(unsigned long, nr - done,
					  PIN_BLOCK_PAGES - (p & (PIN_BLOCK_PAGES - 1)));
		unsigned long mask = run_mask(p, len);

		if (n->block != block || (n->live & mask) != mask) {
			if (c->k + 1 >= rec->nr_nodes || n[1].block != block ||
			    (n[1].live & mask) != mask)
				break;
			/* del_flush() of node k, the record's copy made once
			 * for all the nodes of the loop. */
			if (c->pending && pnm_pin_grave_bits) {
				if (ri == ULONG_MAX)
					ri = grave_rec_of(&rec->pub, rec->tag);
				bury_block(n->block, c->pending, 0, ri);
			}
			c->pending = 0;
			c->k++;
			n++;
		}
		n->live &= ~mask;
		c->pending |= mask;
		if (c->shadow)
			shadow_drop(n, mask);
		done += len;
		/* Whole blocks held whole by the record's next nodes (a
		 * THP's middle): one compare and one grave each. */
		while (nr - done >= PIN_BLOCK_PAGES && c->k + 1 < rec->nr_nodes &&
		       n[1].block == pfn_block(pfn + done) && n[1].live == ~0UL) {
			if (pnm_pin_grave_bits) {
				if (ri == ULONG_MAX)
					ri = grave_rec_of(&rec->pub, rec->tag);
				bury_block(n->block, c->pending, 0, ri);
			}
			c->k++;
			n++;
			n->live = 0;
			c->pending = ~0UL;
			if (c->shadow)
				shadow_drop(n, ~0UL);
			done += PIN_BLOCK_PAGES;
		}
	}
	pin_clock += done;
	rec->pub.nr_live -= done;
	if (!rec->pub.nr_live) {
		del_flush(c);
		c->rec = NULL;
		rec_free(rec);
	}
	return done;
}

/*
 * Retire up to @nr live pins of @folio's pages (the folio rule): the
 * caller's own first (rec_is_mine(): same owner, same process) -- @via's
 * (the node the previous entry of the same call retired from first),
 * then the folio's from the head on -- then anybody's, again @via's
 * first.  Returns the number retired.
 * pin_lock held.
 */
static unsigned long take_pins_locked(struct del_ctx *c, struct folio *folio, struct page *via,
				      unsigned long nr)
{
	unsigned long done = 0, vpfn = via ? page_to_pfn(via) : 0;
	int pass;

	if (via && nr == 1) {
		struct pin_node *n;

		if (take_continued_span(c, vpfn, 1))
			return 1;
		/* The common release: a pin of @via's own, the caller's. */
		n = pick_node(c, pfn_block(vpfn), pfn_bit(vpfn), false);
		if (n) {
			retire(c, n->rec, (unsigned long)(n - n->rec->nodes), pfn_bit(vpfn), 1);
			return 1;
		}
	}
	for (pass = 0; pass < 2 && done < nr; pass++) {
		if (via)
			done += take_range(c, vpfn, 1, nr - done, pass == 1);
		if (done < nr)
			done += take_range(c, folio_pfn(folio), folio_nr_pages(folio), nr - done,
					   pass == 1);
	}
	return done;
}

/*
 * Report a release of @missing pins through @page (of @folio) that has
 * none left to release.  OVER_UNPIN if a page of the folio had a pin
 * released recently (naming that pin), else UNPIN_UNPINNED.  pin_lock held.
 */
static void report_stray_locked(struct folio *folio, struct page *page,
				unsigned long missing)
{
	unsigned long pfn = page_to_pfn(page);
	bool large = folio_test_large(folio);
	const struct pnm_pin_record *g = NULL;
	char detail[192], count[48] = "", site[128];
	struct pnm_call_site cur;
	int n;

	if (pnm_config.pin_registry)
		g = find_grave(folio_pfn(folio), folio_nr_pages(folio), true);
	if (missing > 1)
		snprintf(count, sizeof(count), "%lu unpins: ", missing);
	if (large)
		n = snprintf(detail, sizeof(detail), "%s%s (refcount %d, folio pins %d)", count,
			     g ? "more unpins than pins on the folio" :
				 "unpin of a page whose folio has no pin left",
			     folio_ref_count(folio), atomic_read(&folio->_pincount));
	else
		n = snprintf(detail, sizeof(detail), "%s%s (refcount %d, page pins %d)", count,
			     g ? "more unpins than pins" : "unpin of a page with no pin",
			     page_ref_count(page), atomic_read(&page->pnm_pincount));
	pnm_gup_site_get(&cur);
	if ((cur.file || cur.caller) && n > 0 && (size_t)n < sizeof(detail))
		snprintf(detail + n, sizeof(detail) - (size_t)n, "; unpin at %s",
			 pnm_format_site(site, sizeof(site), cur.file, cur.line, cur.func,
					 cur.caller));
	pnm_pin_report_locked(g ? PNM_MISUSE_OVER_UNPIN : PNM_MISUSE_UNPIN_UNPINNED,
		      pfn, g, g != NULL, detail);
}

/*
 * The check of @nr unpins of @folio through @via (NULL: through the folio
 * itself, as unpin_folio() and unpin_user_folio() name it); see
 * pnm_pin_registry_del()'s contract.  With the registry on, takes pin_lock
 * if *@locked is false, setting it (the caller unlocks after flushing @c);
 * else only to report.  Returns how many of the @nr may be released; the
 * rest were reported (one report).
 */
static unsigned long del_pins(struct del_ctx *c, struct folio *folio, struct page *via,
			      unsigned long nr, bool *locked)
{
	unsigned long done;

	if (is_zero_folio(folio) || !nr)
		return nr;
	if (!pnm_config.pin_registry) {
		/* Without shadow counts (or in legacy mode, which keeps no
		 * pin counts) nothing can tell a stray unpin. */
		if (!c->shadow)
			return nr;
		done = pnm_pin_shadow_take(folio, via, nr);
	} else {
		if (!*locked) {
			spin_lock(&pin_lock);
			*locked = true;
			/* The caller's cached pins are its own (pin_tcache.c). */
			pnm_pin_tcache_own_locked();
		}
		done = take_pins_locked(c, folio, via, nr);
		/* Another thread's cache may hold the pin. */
		if (done < nr && pnm_pin_tcache_sync_locked())
			done += take_pins_locked(c, folio, via, nr - done);
	}
	if (done == nr)
		return done;
	if (!*locked) {
		spin_lock(&pin_lock);
		*locked = true;
	}
	report_stray_locked(folio, via ? via : &folio->page, nr - done);
	return done;
}

static void del_begin(struct del_ctx *c)
{
	*c = (struct del_ctx){
		.shadow = pnm_pin_shadow && !pnm_config.legacy_gup,
		.pid = current ? current->pid : -1,
		.owner = pnm_pin_thread.owner,
	};
}

static void del_end(struct del_ctx *c, bool locked)
{
	if (!locked)
		return;
	del_flush(c);
	spin_unlock(&pin_lock);
}

/*
 * Before gup_unpin.c releases one pin through @page: is there a pin to
 * release?  Pins belong to the folio (as in Linux, where any page of a folio
 * releases one of the folio's pins): a release through @page retires a
 * pin of @page itself if it has one, else one of another page of its
 * folio, from the head on -- with the registry on, the caller's own pins
 * first: the same pin owner's in the same process (see take_pins_locked()).  Only a folio with no
 * pin left at all makes it a misuse.  The zero page always passes (its
 * pins are not counted).  With the registry on, the pin's record bit is
 * retired; otherwise the exact shadow counts decide if they are kept
 * (pnm_pin_shadow_count()); without them, or in legacy mode (no pin
 * counts), every unpin passes.  On true the shadow count of the page
 * whose pin was taken, if kept, has been decremented.  On a misuse the
 * report (UNPIN_UNPINNED, or OVER_UNPIN if a page of the folio had a pin
 * released recently) names the pin and the unpin's call site, and false
 * tells the caller not to release anything.  Takes pin_lock (registry
 * on, or to report).
 */
bool pnm_pin_registry_del(struct page *page)
{
	bool locked = false;
	struct del_ctx c;
	unsigned long ok;

	if (pnm_config.pin_registry && pnm_pin_tcache_del(page))
		return true;
	del_begin(&c);
	ok = del_pins(&c, page_folio(page), page, 1, &locked);
	del_end(&c, locked);
	return ok;
}

/*
 * pnm_pin_registry_del() for @nr pins of @folio named by the folio alone
 * (unpin_folio(), unpin_user_folio()): the pins of the head first, then
 * those of the following pages.  Returns how many may be released; a
 * shortfall is reported once.  Takes pin_lock as pnm_pin_registry_del().
 */
unsigned long pnm_pin_registry_del_folio(struct folio *folio, unsigned long nr)
{
	bool locked = false;
	struct del_ctx c;
	unsigned long ok;

	del_begin(&c);
	ok = del_pins(&c, folio, NULL, nr, &locked);
	del_end(&c, locked);
	return ok;
}

/*
 * The body of pnm_pin_registry_del_pages() and _del_span(): @span says
 * @pages[0..@n) are the consecutive frames from @first, none the zero
 * page.  Each entry first tries the node the previous entry's pin came
 * from (and the record's next one), so releasing the array a call pinned
 * costs one word operation per run of consecutive frames in a block; a
 * span whose first frame is the caller's own pin starts there without a
 * per-entry step.
 */
static unsigned long del_pages(struct page *const *pages, unsigned long n, bool *ok,
			       bool span, unsigned long first)
{
	unsigned long i, j, len, refused = 0, skip = 0;
	bool locked = false, done;
	struct del_ctx c;

	/* First the entries whose pins the calling thread's cache holds
	 * (pin_tcache.c); the rest from the first it does not.  Those are
	 * all released: if a later one is refused, ok[] says so below. */
	if (pnm_config.pin_registry) {
		skip = pnm_pin_tcache_del_pages(pages, n, span);
		if (skip == n)
			return 0;
	}
	del_begin(&c);
	span = span && pnm_config.pin_registry && !skip;
	if (span) {
		/* The caller's own most recent pin of the first frame: the
		 * call that pinned this array, whose following nodes then
		 * hold the rest (take_continued_span()). */
		struct pin_node *nd;

		spin_lock(&pin_lock);
		locked = true;
		/* The caller's cached pins are its own (pin_tcache.c). */
		pnm_pin_tcache_own_locked();
		nd = pick_node(&c, pfn_block(first), pfn_bit(first), false);
		if (nd) {
			c.rec = nd->rec;
			c.k = (unsigned long)(nd - nd->rec->nodes);
		}
	}
	for (i = skip; i < n; i += len) {
		len = 1;
		if (!pages[i]) {
			if (refused)
				ok[i] = false;
			continue;
		}
		/* A run of consecutive frames all still pinned by the node
		 * the previous entries retired from: one word operation (the
		 * rest of a span: one per block). */
		if (pnm_config.pin_registry && c.rec &&
		    (span || !is_zero_pfn(page_to_pfn(pages[i])))) {
			unsigned long pfn = span ? first + i : page_to_pfn(pages[i]);

			len = take_continued_span(&c, pfn, span ? n - i :
						  pnm_pin_run_len(pages, i, n, pfn));
			if (len) {
				if (refused)
					memset(ok + i, true, len);
				continue;
			}
			len = 1;
		}
		done = del_pins(&c, page_folio(pages[i]), pages[i], 1, &locked);
		if (!done && !refused) {
			/* The first refusal: every entry before it passed. */
			for (j = 0; j < i; j++)
				ok[j] = pages[j] != NULL;
		}
		refused += !done;
		if (refused)
			ok[i] = done;
	}
	del_end(&c, locked);
	return refused;
}

/*
 * pnm_pin_registry_del() for each non-NULL entry of @pages[0..n), in
 * order, with pin_lock taken at most once for all of them (registry on,
 * or at the first report).  Returns the number of non-NULL entries
 * refused; only if it is not 0, ok[i] says whether pages[i] may be
 * released (false for NULL entries), for every i (ok[] is not written
 * when nothing is refused: every non-NULL entry may be released).  An
 * array of consecutive frames (one THP, or the pages of one call handed
 * out in order) is recognised with one vector pass and retired block by
 * block (see del_pages()).
 */
unsigned long pnm_pin_registry_del_pages(struct page *const *pages, unsigned long n,
					 bool *ok)
{
	unsigned long first = 0;
	bool span = pnm_config.pin_registry && n && pnm_pin_span_of(pages, n, &first);

	return del_pages(pages, n, ok, span, first);
}

/*
 * pnm_pin_registry_del_pages() for @n (> 1) entries of @pages over which
 * the caller already made pnm_pin_span_of()'s pass (unpin_user_pages()
 * shares its one pass between this check and its release): @span_pfn
 * points at the first frame if they are consecutive frames, none the
 * zero page, and is NULL if they are not.  Same effects and result.
 */
unsigned long pnm_pin_registry_del_span(struct page *const *pages, unsigned long n,
					bool *ok, const unsigned long *span_pfn)
{
	return del_pages(pages, n, ok, span_pfn != NULL, span_pfn ? *span_pfn : 0);
}

/*
 * pnm_pin_registry_del() for the @n physically consecutive pages from
 * @page, all of one folio (unpin_user_page_range_dirty_lock()), under one
 * pin_lock round trip.  Returns how many may be released.
 */
unsigned long pnm_pin_registry_del_range(struct page *page, unsigned long n)
{
	struct folio *folio = page_folio(page);
	unsigned long i, done = 0;
	bool locked = false;
	struct del_ctx c;

	del_begin(&c);
	for (i = 0; i < n; i++)
		done += del_pins(&c, folio, page + i, 1, &locked);
	del_end(&c, locked);
	return done;
}

/* pnm_pin_records_locked - pin_registry.h. */
struct list_head *pnm_pin_records_locked(void)
{
	return &pin_records;
}

/*
 * The last user of @mm is gone (mmput(), before exit_mmap()): report each
 * live record it owns that has not been reported yet (PIN_AT_EXIT).  The
 * pins and records stay: the pages remain pinned until the holder of the
 * page array unpins them.  Takes pin_lock.  No-op with the registry off.
 */
void pnm_pin_registry_mm_exit(struct mm_struct *mm)
{
	struct pin_rec *rec;
	char detail[192];
	unsigned long i;

	if (!pnm_config.pin_registry)
		return;
	spin_lock(&pin_lock);
	pnm_pin_tcache_sync_locked();
	list_for_each_entry(rec, &pin_records, list) {
		if (rec->mm != mm || rec->exit_reported)
			continue;
		rec->exit_reported = true;
		for (i = 0; i < rec->nr_nodes; i++)
			if (rec->nodes[i].live)
				break;
		snprintf(detail, sizeof(detail),
			 "pid %d exited holding %lu pinned page%s of %#lx-%#lx",
			 rec->pub.pid, rec->pub.nr_live,
			 rec->pub.nr_live == 1 ? "" : "s", rec->pub.start,
			 rec->pub.start + rec->pub.nr_pages * PAGE_SIZE);
		pnm_pin_report_locked(PNM_MISUSE_PIN_AT_EXIT, node_first_pfn(&rec->nodes[i]),
			      &rec->pub, false, detail);
	}
	spin_unlock(&pin_lock);
}

/* --- lifetime ------------------------------------------------------------ */

/* Drop every record, grave and report; zero the counters. */
static void registry_reset(bool for_new_model)
{
	struct pin_rec *rec, *tmp;
	int k;

	spin_lock(&pin_lock);
	pnm_pin_tcache_reset_locked();
	list_for_each_entry_safe(rec, tmp, &pin_records, list) {
		list_del(&rec->list);
		free(rec);
	}
	for (k = 0; k < REC_CLASSES; k++) {
		while ((rec = rec_cache[k])) {
			rec_cache[k] = rec->next_free;
			free(rec);
		}
	}
	rec_cache_bytes = 0;
	memset(pin_hash, 0, sizeof(pin_hash));
	memset(pin_fhash, 0, sizeof(pin_fhash));
	pin_clock = 0;
	pin_next_id = 0;
	atomic_set(&pnm_pin_fail_nth, 0);
	nr_graves = 0;
	memset(graves, 0, sizeof(graves));
	nr_grave_recs = 0;
	memset(grave_recs, 0, sizeof(grave_recs));
	free(pnm_pin_grave_bits);
	pnm_pin_grave_bits = NULL;
	if (for_new_model)
		pnm_pin_grave_bits = calloc((pnm_mem.nr_frames + BITS_PER_LONG - 1) /
					    BITS_PER_LONG, sizeof(*pnm_pin_grave_bits));
	pnm_pin_report_reset_locked();
	spin_unlock(&pin_lock);
	pnm_gup_site_reset();
}

/*
 * Reset the registry and the misuse state for a new model (pnm_init(),
 * after the arena and the configuration are set up): no records, no
 * reports, counters 0.  Not thread safe.  Cannot fail: without memory for
 * the grave bitmap, stray unpins are all classed UNPIN_UNPINNED.
 */
void pnm_pin_registry_init(void)
{
	pnm_pin_shadow = pnm_config.pin_accounting == PNM_PIN_ACCOUNTING_EXACT ||
			 pnm_config.pin_debug;
	pnm_pin_runs_select();
	pnm_pin_tcache_init();
	registry_reset(true);
}

/*
 * Free every record and the grave bitmap (pins leaked past pnm_fini() are
 * abandoned with their frames).  Not thread safe.
 */
void pnm_pin_registry_fini(void)
{
	registry_reset(false);
}
