// SPDX-License-Identifier: MIT
/*
 * pin_tcache.c - each thread's recent pins, recorded without a lock.
 *
 * The pin registry (pin_registry.c) records every pin call: who, where,
 * what.  Its structures are shared by all threads under one lock, which
 * costs a pin call of one page and its release two lock round trips and
 * several hundred instructions -- most of the cost of such a call with the
 * registry on -- and makes every pinning thread write the same lines
 * (docs/performance.md).  Most pins are released by the thread that took
 * them, the way they were taken.  So a thread keeps the records of its own
 * pin calls of one page, and of its calls over up to 512 consecutive frames
 * (a THP, pages handed out in order), in a cache of its own:
 *
 *   pin     pnm_pin_tcache_add() makes an entry: the first frame and the
 *           number of frames, the user address, the record id and clock tick (from a range the thread
 *           reserved, TC_CHUNK at a time) and the call's context -- owner,
 *           process, tag, call site, flags -- which consecutive calls of a
 *           thread nearly always share, so it is kept once (struct tc_ctx,
 *           compared, not rewritten) and the entry names it.  The entry
 *           is the cache's newest; the one before it goes into the
 *           cache's hash by first frame, newest first (a pin released
 *           before the thread's next one never enters the hash).  An
 *           entry is 56 bytes where a registry record is about 240: gup_test's
 *           pattern (a whole range pinned one page per call, then
 *           released) touches a sixth of the memory.  A call of one page
 *           in the steady state (pnm_pin_tcache_add_one()) checks one
 *           count of room left (tc_refill() sees to the hash, the ids and
 *           the free entries ahead, TC_CHUNK calls at a time), reads the
 *           thread's context inline (struct pnm_pin_thread) and compares
 *           it with the last call's.
 *   unpin   pnm_pin_tcache_del() looks for the frame (the newest entry,
 *           then the hash) and, if the newest entry of it is one page's
 *           and the caller's own (same pin owner, same process, as the
 *           registry's release prefers), retires it -- unpin_user_pages()
 *           of one page asks it first; pnm_pin_tcache_del_pages() does the
 *           same along a released array, an entry of n frames serving n
 *           entries of the array that are its frames in order.
 *           The entry becomes one of the cache's last TC_GRAVES released
 *           ones (its graves, for OVER_UNPIN reports; the one that leaves
 *           the ring goes back to the free entries, a stack of indices),
 *           and the frames' grave bits are set if they are not yet
 *           (pnm_pin_grave_mark()).
 *           Any other release (part of a span, a page of a THP through
 *           another) goes to the registry, which takes the entries over.
 *
 * Neither takes a lock or issues a locked instruction in the steady state.
 * Everything else goes to the registry, which first takes over what the
 * caches hold where it matters (pin_registry.h):
 *   - its own release and record paths take over the calling thread's
 *     cached live records first (pnm_pin_tcache_own_locked()), so its
 *     "own pins first" rule sees them;
 *   - before it reports a release it could not match, and before listing,
 *     counting or reporting, it takes over every thread's cached records
 *     and buries their released ones (pnm_pin_tcache_sync_locked()).
 * The hash and the entries grow with the live pins (a thread may hold
 * thousands: gup_test pins a whole range one page per call before it
 * releases any); a cache of TC_LIVE live entries hands them to the
 * registry, which makes them records (pnm_pin_rec_span_locked()).
 *
 * Taking over another thread's cache (steal) is asymmetric, so that the
 * owner's side needs no locked instruction:
 *
 *   owner (fast path)                     stealer (pin_lock held)
 *   busy = 1              (relaxed)       steal = 1              (relaxed)
 *   compiler barrier                      membarrier(PRIVATE_EXPEDITED)
 *   if (steal) give up    (acquire)       wait while busy        (acquire)
 *   ... work on the cache ...             ... take the cache over ...
 *   busy = 0              (release)       steal = 0              (release)
 *
 * membarrier() makes every running thread of the process execute a full
 * barrier, so either the owner's busy = 1 is visible to the stealer's
 * load, or the stealer's steal = 1 is visible to the owner's load (the
 * store-load pairing a lock's atomic would otherwise give).  The owner
 * that gives up goes to the registry, which waits for pin_lock, held by
 * the stealer throughout.  busy's release store and its acquire load order
 * the owner's work on the cache before the stealer's; steal's release
 * store and acquire load order the stealer's before the owner's next.
 * ThreadSanitizer sees those two pairs directly: the only order it cannot
 * see is the membarrier's, and no access relies on it alone.  The owner
 * never blocks while busy, so the stealer's wait is short (it yields if
 * the owner was preempted) and pin_lock stays a leaf.  Without membarrier()
 * the caches are off and the registry records everything itself.
 *
 * Graves and freed frames: a cached grave describes the page that was
 * pinned; if its frame is freed (and perhaps reused) before the grave
 * reaches the registry, the grave must be marked freed, as the registry's
 * own are.  pnm_pin_registry_forget() calls pnm_pin_tcache_forget_locked(),
 * which keeps the last FORGET_KEEP freed ranges with a count; a cached
 * grave notes the count when it is made, and when it is buried it is freed
 * if a range freed since covers its frame (or too many were freed since to
 * tell).
 *
 * What the order of records means: a cached record's id and tick come
 * from its thread's reserved range.  Within a thread, records are in the
 * order of the calls (the registry's own paths drop the thread's unused
 * range, pnm_pin_tcache_own_locked()); between threads, within the reserved
 * ranges.  The registry lists adopted records by tick (oldest first).
 *
 * Locking: a cache's fields belong to its thread, to a stealer while
 * steal is set (under pin_lock), or to whoever holds pin_lock while its
 * thread is not in a fast section (the owner's own slow paths, thread exit,
 * reset).  tcaches (the list of caches) and forgotten[] are protected by
 * pin_lock.
 */
#include <errno.h>
#include <limits.h>
#include <linux/membarrier.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "pin_registry.h"

#define TC_HASH_MIN	256	/* buckets of live entries, by frame, at first */
#define TC_ENTS_MIN	256	/* entries, at first */
#define TC_LIVE		65536	/* live entries before the registry takes them */
#define TC_GRAVES	64	/* released entries kept */
#define TC_CTXS		8	/* call contexts */
#define TC_CHUNK	64	/* ids and ticks reserved at a time */
#define FORGET_KEEP	256	/* freed ranges remembered */
#define TC_NIL		UINT_MAX

/* What a thread's consecutive pin calls share: all of a record but the
 * frame, the range, the id and the tick. */
struct tc_ctx {
	const struct mm_struct *mm;	/* identity only, as pin_rec's */
	int pid;
	unsigned int gup_flags;		/* as recorded */
	/* The flags as the last call of this context passed them, whose
	 * gup_flags these are (UINT_MAX: none; a new model may record
	 * others): the steady state's compare. */
	unsigned int call_flags;
	unsigned long owner;
	struct pnm_call_site site;
	bool tagged;
	char tag[PIN_TAG_LEN];
	unsigned int refs;		/* entries naming it, live or graves */
};

/* One pin call of one page or of consecutive frames: live (in the hash,
 * by its first frame), a grave, or free. */
struct tc_ent {
	unsigned long pfn;		/* the first frame */
	unsigned long nr;		/* frames */
	unsigned long start;
	unsigned long id;
	unsigned long long seq;
	unsigned long gen;		/* a grave: nr_forgotten at its release */
	unsigned int next;		/* hash chain; TC_NIL ends */
	unsigned int ctx;		/* its context, an index of ctx[] */
};

struct pin_tcache {
	int busy;			/* owner in a fast section; see above */
	int steal;			/* a stealer holds the cache; see above */
	/* Pins the owner may cache before it looks at anything but the
	 * call's context (tc_refill()); the owner's, zeroed by pin_lock
	 * holders that take its ids or empty the cache. */
	unsigned int room;
	unsigned int nr_live;		/* entries in hash[] and newest */
	unsigned int nr_free;		/* entries on the free list */
	/* The newest live entry, kept out of hash[] until the next one
	 * comes (a chain of one ahead of the hash: a call released before
	 * the thread's next pin, the common pattern, never enters the
	 * hash); TC_NIL: none. */
	unsigned int newest;
	unsigned long newest_pfn;	/* its first frame, if there is one */
	unsigned int *hash;		/* older live entries by frame, newest first */
	unsigned long hash_mask;	/* buckets - 1 */
	struct tc_ent *ents;		/* every entry, by index */
	unsigned int nr_ents;		/* ents[] allocated */
	/* The free entries' indices, nr_free of them, the last freed on top:
	 * freeing an entry does not touch it. */
	unsigned int *free;
	unsigned int graves[TC_GRAVES];	/* ring of released entries, by nr_graves */
	unsigned char grave_ctx[TC_GRAVES];	/* their contexts */
	unsigned long nr_graves;	/* entries ever released */
	unsigned long nr_buried;	/* of those, handed to the registry */
	struct tc_ctx ctx[TC_CTXS];
	unsigned int cur;		/* the context of the last call */
	unsigned long id, id_end;	/* reserved ids left: [id, id_end) */
	unsigned long long seq, seq_end;	/* reserved ticks left */
	struct list_head link;		/* tcaches; pin_lock */
	bool linked;			/* on tcaches; pin_lock */
};

static _Thread_local struct pin_tcache tc_self __attribute__((tls_model("initial-exec")));
static LIST_HEAD(tcaches);			/* pin_lock */
static bool tc_on;				/* set by pnm_pin_tcache_init() */
static pthread_key_t tc_key;
static pthread_once_t tc_once = PTHREAD_ONCE_INIT;
static bool tc_key_ok;

/* Frames freed while graves may be cached (pnm_pin_tcache_forget_locked()). */
static struct { unsigned long pfn, nr; } forgotten[FORGET_KEEP];	/* pin_lock */
/*
 * Ranges ever put in forgotten[].  Written under pin_lock; read without it
 * by a releasing owner (relaxed): the release of a pin comes before the
 * refcount decrement that may free its frame, so a range freed after the
 * release is counted after the value the release read.
 */
static unsigned long nr_forgotten;


/*
 * nr_live, nr_graves and nr_buried are read by stealers without holding
 * the cache (tc_has_any(), a hint) while its owner writes them, and
 * nr_live and nr_free by the owner outside a fast section (tc_refill())
 * while a stealer may write them: relaxed atomics, which are plain moves.
 * Holders of the cache write them with these too.
 */
static inline unsigned int count(const unsigned int *p)
{
	return __atomic_load_n(p, __ATOMIC_RELAXED);
}

static inline void set_count(unsigned int *p, unsigned int v)
{
	__atomic_store_n(p, v, __ATOMIC_RELAXED);
}

static inline unsigned long lcount(const unsigned long *p)
{
	return __atomic_load_n(p, __ATOMIC_RELAXED);
}

static inline void set_lcount(unsigned long *p, unsigned long v)
{
	__atomic_store_n(p, v, __ATOMIC_RELAXED);
}


/*
 * The hash of a first frame: neighbouring frames (one-page calls over
 * memory handed out in order) land in neighbouring buckets, and the first
 * frames of THPs, all multiples of 512, do not all land in one.
 */
static inline unsigned long tc_hash(unsigned long pfn)
{
	return pfn ^ (pfn >> 9);
}

static inline unsigned int *tc_bucket(struct pin_tcache *tc, unsigned long pfn)
{
	return &tc->hash[tc_hash(pfn) & tc->hash_mask];
}

/* --- the owner's side ----------------------------------------------------- */

/*
 * The calling thread's cache, as an address in a register: its fields are
 * then reached from it, and an element of ctx[] or graves[] costs one
 * address computation, not one from the thread pointer each time.
 */
static inline struct pin_tcache *tc_this(void)
{
	struct pin_tcache *tc = &tc_self;

	__asm__("" : "+r"(tc));
	return tc;
}

/* Enter a fast section: false if a stealer holds the cache (give up). */
static inline bool tc_enter(struct pin_tcache *tc)
{
	__atomic_store_n(&tc->busy, 1, __ATOMIC_RELAXED);
	/* No fence: the stealer's membarrier() supplies the store-load
	 * order between busy above and steal below (see the top). */
	__asm__ __volatile__("" ::: "memory");
	/* Acquire: pairs with the stealer's release of steal, so what it
	 * did to the cache is seen here. */
	if (unlikely(__atomic_load_n(&tc->steal, __ATOMIC_ACQUIRE))) {
		__atomic_store_n(&tc->busy, 0, __ATOMIC_RELEASE);
		return false;
	}
	return true;
}

/* Leave a fast section.  Release: pairs with the stealer's acquire load of
 * busy, which then sees this section's work. */
static inline void tc_exit(struct pin_tcache *tc)
{
	__atomic_store_n(&tc->busy, 0, __ATOMIC_RELEASE);
}


static void tc_free_all(struct pin_tcache *tc);
static void tc_bury(struct pin_tcache *tc);

/* Thread exit: the registry takes over the live entries and the graves. */
static void tc_thread_exit(void *arg)
{
	struct pin_tcache *tc = arg;

	pnm_pin_lock();
	if (tc->linked) {
		pnm_pin_tcache_own_locked();
		tc_bury(tc);
		list_del(&tc->link);
		tc->linked = false;
	}
	tc_free_all(tc);
	pnm_pin_unlock();
}

static void tc_key_create(void)
{
	tc_key_ok = pthread_key_create(&tc_key, tc_thread_exit) == 0;
}

/* Link entry @i (live, of frame ents[i].pfn) into @tc's hash, newest
 * first.  The cache is held. */
static inline void tc_hash_add(struct pin_tcache *tc, unsigned int i)
{
	unsigned int *b = tc_bucket(tc, tc->ents[i].pfn);

	tc->ents[i].next = *b;
	*b = i;
}

/* Entry @i (live) is the newest: the one before it goes into the hash.
 * The cache is held. */
static inline void tc_link_newest(struct pin_tcache *tc, unsigned int i)
{
	if (tc->newest != TC_NIL) {
		unsigned int *b = tc_bucket(tc, tc->newest_pfn);

		tc->ents[tc->newest].next = *b;
		*b = tc->newest;
	}
	tc->ents[i].next = TC_NIL;
	tc->newest = i;
	tc->newest_pfn = tc->ents[i].pfn;
}

/* A live entry of the current context for @nr frames from @pfn, mapped
 * at @start, the newest.  The cache is held and has room. */
static inline void tc_new_entry(struct pin_tcache *tc, unsigned long pfn, unsigned long nr,
				unsigned long start)
{
	unsigned int i = tc->free[tc->nr_free - 1];
	struct tc_ent *e = &tc->ents[i];

	tc->ctx[tc->cur].refs++;
	tc->room--;
	set_count(&tc->nr_free, tc->nr_free - 1);
	e->pfn = pfn;
	e->nr = nr;
	e->start = start;
	e->id = tc->id++;
	e->seq = tc->seq++;
	e->ctx = tc->cur;
	tc_link_newest(tc, i);
	set_count(&tc->nr_live, tc->nr_live + 1);
}

/* Every live entry into the hash, for a walk of it.  The cache is held. */
static inline void tc_flush_newest(struct pin_tcache *tc)
{
	if (tc->newest != TC_NIL) {
		tc_hash_add(tc, tc->newest);
		tc->newest = TC_NIL;
	}
}

/*
 * Double the hash of the calling thread's cache (or make its first):
 * allocated outside the section, filled inside it.  False if there is no
 * memory or a stealer holds the cache.
 */
static bool tc_grow_hash(struct pin_tcache *tc)
{
	unsigned long mask = tc->hash ? 2 * tc->hash_mask + 1 : TC_HASH_MIN - 1, b;
	unsigned int *old = tc->hash, *new = malloc((mask + 1) * sizeof(*new));
	unsigned long old_mask = tc->hash_mask;

	if (!new)
		return false;
	memset(new, 0xff, (mask + 1) * sizeof(*new));	/* TC_NIL */
	if (!tc_enter(tc)) {
		free(new);
		return false;
	}
	tc->hash = new;
	tc->hash_mask = mask;
	/* Each old chain, newest first, is split between two new chains:
	 * append to keep each newest first. */
	for (b = 0; old && b <= old_mask; b++) {
		unsigned int i, next, tail[2] = { TC_NIL, TC_NIL };

		for (i = old[b]; i != TC_NIL; i = next) {
			unsigned int *head = tc_bucket(tc, tc->ents[i].pfn);
			int half = (tc_hash(tc->ents[i].pfn) & mask) != b;

			next = tc->ents[i].next;
			tc->ents[i].next = TC_NIL;
			if (tail[half] == TC_NIL)
				*head = i;
			else
				tc->ents[tail[half]].next = i;
			tail[half] = i;
		}
	}
	tc_exit(tc);
	free(old);
	return true;
}

/*
 * Double the entries of the calling thread's cache (or make the first):
 * moved inside a section, as stealers read them.  False if there is no
 * memory or a stealer holds the cache.
 */
static bool tc_grow_ents(struct pin_tcache *tc)
{
	unsigned int n = tc->nr_ents ? 2 * tc->nr_ents : TC_ENTS_MIN, i, nr_free;
	struct tc_ent *new = malloc(n * sizeof(*new));
	unsigned int *new_free = malloc(n * sizeof(*new_free));

	if (!new || !new_free || !tc_enter(tc)) {
		free(new);
		free(new_free);
		return false;
	}
	if (tc->nr_ents)
		memcpy(new, tc->ents, tc->nr_ents * sizeof(*new));
	nr_free = tc->nr_free;
	if (nr_free)
		memcpy(new_free, tc->free, nr_free * sizeof(*new_free));
	/* The new entries go on top, the lowest first out. */
	for (i = n; i-- > tc->nr_ents;)
		new_free[nr_free++] = i;
	free(tc->ents);
	free(tc->free);
	tc->ents = new;
	tc->free = new_free;
	set_count(&tc->nr_free, nr_free);
	tc->nr_ents = n;
	tc_exit(tc);
	return true;
}

/* A full cache: the registry takes its live entries. */
static void tc_hand_over(void)
{
	pnm_pin_lock();
	pnm_pin_tcache_own_locked();
	pnm_pin_unlock();
}

/*
 * Make the calling thread's cache ready for the next pins, outside a
 * section: a full cache handed to the registry; on tcaches, with room in
 * the hash, ids left and a free entry (stealers only ever add to the free
 * list and take from the live entries, so what is seen here stays true).
 * Takes pin_lock when it must (the first pin, then once per TC_CHUNK
 * pins).  Sets tc->room to how many pins may then be cached before the
 * next call here, and returns false if none may.
 */
static __attribute__((noinline)) bool tc_refill(struct pin_tcache *tc)
{
	unsigned long live, room;

	if (unlikely(count(&tc->nr_live) >= TC_LIVE))
		tc_hand_over();
	if (unlikely(!tc->linked)) {
		pthread_once(&tc_once, tc_key_create);
		if (!tc_key_ok || pthread_setspecific(tc_key, tc))
			return false;
		pnm_pin_lock();
		tc->newest = TC_NIL;
		tc->newest_pfn = ULONG_MAX;
		for (unsigned int k = 0; k < TC_CTXS; k++)
			tc->ctx[k].call_flags = UINT_MAX;
		set_count(&tc->nr_free, 0);
		for (unsigned int k = 0; k < TC_GRAVES; k++)
			tc->graves[k] = TC_NIL;
		list_add(&tc->link, &tcaches);
		tc->linked = true;
		pnm_pin_unlock();
	}
	if ((!tc->hash || count(&tc->nr_live) > tc->hash_mask) && !tc_grow_hash(tc))
		return false;
	if (tc->id == tc->id_end) {
		pnm_pin_lock();
		pnm_pin_reserve_locked(TC_CHUNK, &tc->id, &tc->seq);
		tc->id_end = tc->id + TC_CHUNK;
		tc->seq_end = tc->seq + TC_CHUNK;
		pnm_pin_unlock();
	}
	if (!count(&tc->nr_free) && !tc_grow_ents(tc))
		return false;
	/* Each pin cached takes an id, a free entry and a place in the hash
	 * (which grows past one live entry per bucket).  A cache the
	 * registry could not take over (host ENOMEM) still caches one pin
	 * per call, trying again each time. */
	live = count(&tc->nr_live);
	room = min_t(unsigned long, tc->id_end - tc->id, count(&tc->nr_free));
	room = min_t(unsigned long, room, tc->hash_mask + 1 - live);
	room = min_t(unsigned long, room, live < TC_LIVE ? TC_LIVE - live : 1);
	tc->room = (unsigned int)room;
	return room != 0;
}

/* The process @mm belongs to, as a context records it.  A context's mm
 * pointer alone could name a new mm allocated where a freed one was. */
static inline int tc_mm_pid(const struct mm_struct *mm)
{
	return mm ? mm->owner_pid : 0;
}

/* Is context @c the call's (@mm, @flags as recorded, @site, @tag, @owner)? */
static inline bool tc_ctx_is(const struct tc_ctx *c, const struct mm_struct *mm,
			     unsigned int flags, const struct pnm_call_site *site,
			     const char *tag, unsigned long owner)
{
	return c->mm == mm && c->pid == tc_mm_pid(mm) && c->gup_flags == flags &&
	       c->owner == owner && c->site.file == site->file && c->site.line == site->line &&
	       c->site.func == site->func && c->site.caller == site->caller &&
	       (tag ? c->tagged && !strncmp(c->tag, tag, PIN_TAG_LEN - 1) : !c->tagged);
}

/*
 * Is context @c the one of an untagged call of @mm with @flags as passed,
 * by the thread's owner from its current site?  The steady state's
 * compare: the flags as passed, the same as the last call's of @c, record
 * the same gup_flags (tc_ctx_is() compares those).
 */
static inline bool tc_ctx_same(const struct tc_ctx *c, const struct mm_struct *mm,
			       unsigned int flags)
{
	const struct pnm_pin_thread *t = &pnm_pin_thread;

	return c->mm == mm && c->pid == tc_mm_pid(mm) && c->call_flags == flags &&
	       c->owner == t->owner &&
	       c->site.file == t->site.file && c->site.line == t->site.line &&
	       c->site.func == t->site.func && c->site.caller == t->site.caller &&
	       !c->tagged;
}

/*
 * The context of a call whose context is not the last call's, an index
 * of tc->ctx[], made the current one: one that matches, else one no entry
 * names, filled in; -1 if every one is named.  The cache is held.
 */
static __attribute__((noinline)) int tc_ctx_for(struct pin_tcache *tc, struct mm_struct *mm,
						unsigned int flags,
						const struct pnm_call_site *site,
						const char *tag, unsigned long owner,
						unsigned int call_flags)
{
	struct tc_ctx *c;
	unsigned int k;

	for (k = 0; k < TC_CTXS; k++) {
		c = &tc->ctx[k];
		if (c->refs && !tc_ctx_is(c, mm, flags, site, tag, owner))
			continue;
		if (!c->refs) {
			*c = (struct tc_ctx){
				.mm = mm, .pid = tc_mm_pid(mm), .gup_flags = flags,
				.owner = owner, .site = *site, .tagged = tag != NULL,
			};
			if (tag) {
				size_t len = strnlen(tag, PIN_TAG_LEN - 1);

				memcpy(c->tag, tag, len);
				c->tag[len] = '\0';
			}
		}
		c->call_flags = call_flags;
		tc->cur = k;
		return (int)k;
	}
	return -1;
}

/*
 * The body of pnm_pin_tcache_add() and _add_one(): an entry for the @nr
 * frames from @pfn in the calling thread's cache, of the context (@mm,
 * @flags as the caller passed them, @site, @tag and the thread's owner).
 * Returns as pnm_pin_tcache_add().  In the steady state: a check of the
 * room left, fault injection's two loads, the section, one compare with
 * the last call's context and the entry.
 */
static inline __attribute__((always_inline))
int tc_add(struct mm_struct *mm, unsigned long start, unsigned long pfn, unsigned long nr,
	   unsigned int flags, const struct pnm_call_site *site, const char *tag)
{
	struct pin_tcache *tc = &tc_self;
	unsigned int gup_flags = (flags & ~INTERNAL_GUP_FLAGS) | FOLL_PIN |
				 (pnm_config.legacy_gup ? FOLL_GET : 0);
	unsigned long owner = pnm_pin_thread.owner;

	/* A page of a large folio too: a release through another page of
	 * the folio (the folio rule) misses in the cache, and the registry
	 * takes the entry over before it looks.  Room implies the caches
	 * are on (tc_on). */
	if (likely(tc->room)) {
		if (unlikely(pnm_pin_record_should_fail()))
			return -ENOMEM;
	} else {
		if (!tc_on)
			return 0;
		if (unlikely(pnm_pin_record_should_fail()))
			return -ENOMEM;
		if (!tc_refill(tc))
			return 0;
	}
	if (unlikely(!tc_enter(tc)))
		return 0;
	if (unlikely(!tc_ctx_is(&tc->ctx[tc->cur], mm, gup_flags, site, tag, owner)) &&
	    tc_ctx_for(tc, mm, gup_flags, site, tag, owner, flags) < 0) {
		tc_exit(tc);
		return 0;
	}
	tc->ctx[tc->cur].call_flags = flags;
	tc_new_entry(tc, pfn, nr, start);
	tc_exit(tc);
	return 1;
}

/*
 * pnm_pin_tcache_add - see pin_registry.h.  Called by
 * pnm_pin_registry_add_slow() for a call of consecutive frames with the
 * registry on, after the pins are counted; @site is the call's site
 * (already taken from the thread), @tag the thread's tag (copied).
 */
int pnm_pin_tcache_add(struct mm_struct *mm, unsigned long start, struct page *page,
		       unsigned long nr, unsigned int flags, const struct pnm_call_site *site,
		       const char *tag)
{
	return tc_add(mm, start, page_to_pfn(page), nr, flags, site, tag);
}

/* The call site's record consumes it, as pnm_gup_site_take() does. */
static inline void tc_site_consume(void)
{
	pnm_pin_thread.site = (struct pnm_call_site){ NULL, 0, NULL, NULL };
}

/* pnm_pin_tcache_add_one() off its steady state: tc_add(), else the
 * registry. */
static __attribute__((noinline)) int tc_add_one_slow(struct mm_struct *mm, unsigned long start,
						     struct page **pages, unsigned int flags)
{
	int ret = tc_add(mm, start, page_to_pfn(pages[0]), 1, flags, &pnm_pin_thread.site,
			 pnm_pin_thread.tag);

	if (!ret)
		return pnm_pin_registry_add_slow(mm, start, pages, 1, flags);
	tc_site_consume();
	return ret < 0 ? ret : 0;
}

/*
 * pnm_pin_tcache_add_one - see pin_registry.h.  tc_add() for one page in
 * the steady state (room left, no fault injection armed, the last call's
 * context), with no call; anything else goes to tc_add_one_slow(), which
 * does it all again the general way.
 */
int pnm_pin_tcache_add_one(struct mm_struct *mm, unsigned long start, struct page **pages,
			   unsigned int flags)
{
	struct pin_tcache *tc = tc_this();
	struct tc_ctx *c;

	/* No room: the caches may be off, or need the lock (tc_refill()).
	 * A tag: its text is compared there. */
	if (unlikely(!tc->room || pnm_pin_record_fail_armed() || pnm_pin_thread.tag))
		return tc_add_one_slow(mm, start, pages, flags);
	if (unlikely(!tc_enter(tc)))
		return pnm_pin_registry_add_slow(mm, start, pages, 1, flags);
	c = &tc->ctx[tc->cur];
	if (unlikely(!tc_ctx_same(c, mm, flags))) {
		tc_exit(tc);
		return tc_add_one_slow(mm, start, pages, flags);
	}
	tc_new_entry(tc, page_to_pfn(pages[0]), 1, start);
	tc_exit(tc);
	tc_site_consume();
	return 0;
}

/* Entry @i (out of the hash, of context @k) is no longer needed: back to
 * the free entries, its context's reference dropped.  The cache is held. */
static inline void tc_release_ent(struct pin_tcache *tc, unsigned int i, unsigned int k)
{
	tc->ctx[k].refs--;
	tc->free[tc->nr_free] = i;
	set_count(&tc->nr_free, tc->nr_free + 1);
}

/*
 * The newest live entry whose first frame is @pfn, and the link to it in
 * *@pp (&tc->newest, or in a chain of the hash); TC_NIL if there is none.
 * The cache is held.
 */
static inline unsigned int tc_find(struct pin_tcache *tc, unsigned long pfn, unsigned int **pp)
{
	unsigned int *p, i;

	if (tc->newest_pfn == pfn && tc->newest != TC_NIL) {
		*pp = &tc->newest;
		return tc->newest;
	}
	p = tc_bucket(tc, pfn);
	for (i = *p; i != TC_NIL && tc->ents[i].pfn != pfn; i = tc->ents[i].next)
		p = &tc->ents[i].next;
	*pp = p;
	return i;
}

/* Is context @c the caller's own (@owner, @pid: as the registry's release
 * prefers, its rec_is_mine())? */
static inline bool tc_ctx_mine(const struct tc_ctx *c, unsigned long owner, int pid)
{
	return c->owner == owner && (pid < 0 || c->pid == pid);
}

/*
 * What releases change of the cache besides the entries, the hash and the
 * graves ring, kept in locals (registers) across a run of releases in one
 * fast section: tc_rel_begin(), tc_retire_at()..., tc_rel_end().
 */
struct tc_rel {
	struct tc_ent *ents;
	unsigned int *free;
	unsigned int nr_live, nr_free;
	unsigned long nr_graves;
	unsigned long *bits;		/* pnm_pin_grave_bits */
	bool shadow;			/* drop the shadow counts */
};

static inline void tc_rel_begin(const struct pin_tcache *tc, struct tc_rel *r, bool shadow)
{
	*r = (struct tc_rel){
		.ents = tc->ents, .free = tc->free, .nr_live = tc->nr_live,
		.nr_free = tc->nr_free, .nr_graves = tc->nr_graves,
		.bits = pnm_pin_grave_bits, .shadow = shadow,
	};
}

static inline void tc_rel_end(struct pin_tcache *tc, const struct tc_rel *r)
{
	set_count(&tc->nr_live, r->nr_live);
	set_count(&tc->nr_free, r->nr_free);
	set_lcount(&tc->nr_graves, r->nr_graves);
}

/*
 * Retire live entry @i, the caller's own, of @nr frames, at the link *@p
 * (tc_find()): it becomes the newest grave (the oldest one goes back to
 * the free entries), its frames' grave bits set and shadow counts dropped
 * if @r->shadow (kept, and not legacy mode).  The cache is held (a fast
 * section).  A page of one page's pin cannot have become part of a large
 * folio since: the pin held it.
 */
static inline void tc_retire_at(struct pin_tcache *tc, struct tc_rel *r, unsigned int i,
				unsigned int *p, unsigned long nr)
{
	struct tc_ent *e = &r->ents[i];
	unsigned long pfn = e->pfn, slot = r->nr_graves % TC_GRAVES;
	unsigned int old = tc->graves[slot];

	*p = e->next;
	r->nr_live--;
	e->gen = __atomic_load_n(&nr_forgotten, __ATOMIC_RELAXED);
	if (old != TC_NIL) {
		tc->ctx[tc->grave_ctx[slot]].refs--;
		r->free[r->nr_free++] = old;
	}
	tc->graves[slot] = i;
	tc->grave_ctx[slot] = (unsigned char)e->ctx;
	r->nr_graves++;
	if (likely(nr == 1)) {
		/* pnm_pin_grave_mark() of one frame; relaxed, as its: the
		 * unpin's fully ordered refcount decrement, which follows,
		 * publishes the bit to whoever frees the frame. */
		if (r->bits) {
			unsigned long *w = &r->bits[pfn >> PIN_BLOCK_SHIFT];
			unsigned long bit = 1UL << (pfn & (PIN_BLOCK_PAGES - 1));

			if (!(__atomic_load_n(w, __ATOMIC_RELAXED) & bit))
				__atomic_fetch_or(w, bit, __ATOMIC_RELAXED);
		}
	} else {
		pnm_pin_grave_mark(pfn, nr);
	}
	/* A live pin implies its shadow pin, as in the registry's release:
	 * after the record, before the caller's refcount decrement. */
	if (r->shadow)
		for (unsigned long k = 0; k < nr; k++)
			atomic_dec(&pfn_to_page(pfn + k)->pnm_pincount);
}

/* The shadow counts a release drops (tc_retire_at()). */
static inline bool tc_shadow(void)
{
	return pnm_pin_shadow && !pnm_config.legacy_gup;
}

/*
 * pnm_pin_tcache_del - see pin_registry.h.  Called by the registry's
 * release of one page before it takes pin_lock.
 */
bool pnm_pin_tcache_del(struct page *page)
{
	struct pin_tcache *tc = tc_this();
	struct tc_rel r;
	unsigned int *p, i;
	bool done = false;

	if (!count(&tc->nr_live) || !tc_enter(tc))
		return false;
	i = tc_find(tc, page_to_pfn(page), &p);
	if (i != TC_NIL && tc->ents[i].nr == 1 &&
	    tc_ctx_mine(&tc->ctx[tc->ents[i].ctx], pnm_pin_thread.owner,
			current ? current->pid : -1)) {
		tc_rel_begin(tc, &r, tc_shadow());
		tc_retire_at(tc, &r, i, p, 1);
		tc_rel_end(tc, &r);
		done = true;
	}
	tc_exit(tc);
	return done;
}

/*
 * pnm_pin_tcache_del_pages - see pin_registry.h.  One fast section for
 * the whole prefix.  An entry of @nr > 1 frames serves the next @nr array
 * entries if they are its frames in order (known if @span, else checked).
 */
unsigned long pnm_pin_tcache_del_pages(struct page *const *pages, unsigned long n, bool span)
{
	struct pin_tcache *tc = tc_this();
	const struct page *mem_map = pnm_mem.mem_map, *zero;
	unsigned long owner, i = 0;
	unsigned int mine = 0, k;
	bool shadow = tc_shadow();
	struct tc_rel r;
	int pid;

	if (!count(&tc->nr_live) || !tc_enter(tc))
		return 0;
	tc_rel_begin(tc, &r, shadow);
	/* Which contexts are the caller's own, once for the array (only
	 * this thread changes them, and not meanwhile). */
	owner = pnm_pin_thread.owner;
	pid = current ? current->pid : -1;
	for (k = 0; k < TC_CTXS; k++)
		mine |= (unsigned int)tc_ctx_mine(&tc->ctx[k], owner, pid) << k;
	zero = &mem_map[pnm_mem.zero_pfn];
	while (i < n) {
		const struct page *page = pages[i];
		unsigned long pfn, nr, first;
		unsigned int *p;

		if (!page || page == zero) {
			i++;
			continue;
		}
		pfn = (unsigned long)(page - mem_map);
		k = tc_find(tc, pfn, &p);
		if (k == TC_NIL || !(mine & (1U << tc->ents[k].ctx)))
			break;
		/* One page: the next entry's index does not wait for this
		 * entry's load (the loop's iterations overlap). */
		if (likely(tc->ents[k].nr == 1)) {
			tc_retire_at(tc, &r, k, p, 1);
			i++;
			continue;
		}
		nr = tc->ents[k].nr;
		if (nr > n - i || (!span &&
				   (!pnm_pin_span_of(pages + i, nr, &first) || first != pfn)))
			break;
		tc_retire_at(tc, &r, k, p, nr);
		i += nr;
	}
	tc_rel_end(tc, &r);
	tc_exit(tc);
	return i;
}

/* --- the registry's side (pin_lock held) ------------------------------------ */

/* The record entry @e of @tc stands for, with @nr_live. */
static void tc_record(const struct pin_tcache *tc, const struct tc_ent *e, unsigned long nr_live,
		      struct pnm_pin_record *pub)
{
	const struct tc_ctx *c = &tc->ctx[e->ctx];

	*pub = (struct pnm_pin_record){
		.id = e->id,
		.pid = c->pid,
		.file = c->site.file,
		.line = c->site.line,
		.func = c->site.func,
		.caller = c->site.file ? NULL : c->site.caller,
		.start = e->start,
		.nr_pages = e->nr,
		.nr_live = nr_live,
		.gup_flags = c->gup_flags,
		.seq = e->seq,
		.owner = c->owner,
	};
}

/* Hand live entry @i of @tc to the registry as a record: false if the
 * registry has no memory for it.  @tc is held. */
static bool tc_adopt(struct pin_tcache *tc, unsigned int i)
{
	const struct tc_ent *e = &tc->ents[i];
	const struct tc_ctx *c = &tc->ctx[e->ctx];
	struct pin_rec *rec = pnm_pin_rec_span_locked(e->pfn, e->nr);
	unsigned int *p;

	if (!rec)
		return false;
	tc_record(tc, e, e->nr, &rec->pub);
	rec->pub.tag = c->tagged ? rec->tag : NULL;
	memcpy(rec->tag, c->tag, sizeof(rec->tag));
	rec->mm = c->mm;
	rec->exit_reported = false;
	pnm_pin_rec_adopt_locked(rec);
	for (p = tc_bucket(tc, e->pfn); *p != i; p = &tc->ents[*p].next)
		;
	*p = e->next;
	set_count(&tc->nr_live, tc->nr_live - 1);
	tc_release_ent(tc, i, e->ctx);
	return true;
}

struct tc_by_seq {
	unsigned long long seq;
	unsigned int i;
};

static int tc_seq_cmp(const void *a, const void *b)
{
	const struct tc_by_seq *x = a, *y = b;

	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/*
 * Hand @tc's live entries to the registry as records, oldest first, so
 * that each goes in at the end of the registry's list (ordered by tick)
 * rather than after a walk back through it.  @tc is held.  An entry the
 * registry has no memory for stays (host ENOMEM: the registry then misses
 * that pin until it can take it).
 */
static void tc_adopt_live(struct pin_tcache *tc)
{
	unsigned long b, n = 0, k;
	struct tc_by_seq *v;

	if (!tc->hash || !tc->nr_live)
		return;
	tc_flush_newest(tc);
	v = malloc(tc->nr_live * sizeof(*v));
	for (b = 0; b <= tc->hash_mask; b++) {
		unsigned int i, next;

		for (i = tc->hash[b]; i != TC_NIL; i = next) {
			next = tc->ents[i].next;
			if (v)
				v[n++] = (struct tc_by_seq){ tc->ents[i].seq, i };
			else
				tc_adopt(tc, i);	/* no memory to sort: as found */
		}
	}
	if (!v)
		return;
	qsort(v, n, sizeof(*v), tc_seq_cmp);
	for (k = 0; k < n; k++)
		tc_adopt(tc, v[k].i);
	free(v);
}

/* Of the frames @mask of @block, those freed after forget count @gen (all
 * if that can no longer be told). */
static unsigned long tc_freed_since(unsigned long block, unsigned long mask, unsigned long gen)
{
	unsigned long i, freed = 0;

	if (nr_forgotten - gen > FORGET_KEEP)
		return mask;
	for (i = gen; i < nr_forgotten; i++) {
		const typeof(forgotten[0]) *f = &forgotten[i % FORGET_KEEP];

		freed |= block_range_mask(block, f->pfn, f->nr);
	}
	return freed & mask;
}

/* Bury @tc's released entries the registry has not seen, oldest first.
 * @tc is held. */
static void tc_bury(struct pin_tcache *tc)
{
	unsigned long i = tc->nr_buried;

	if (tc->nr_graves - i > TC_GRAVES)
		i = tc->nr_graves - TC_GRAVES;
	for (; i < tc->nr_graves; i++) {
		const struct tc_ent *e = &tc->ents[tc->graves[i % TC_GRAVES]];
		const struct tc_ctx *c = &tc->ctx[e->ctx];
		struct pnm_pin_record pub;

		unsigned long b;

		tc_record(tc, e, 0, &pub);
		pub.tag = c->tagged ? c->tag : NULL;
		for (b = e->pfn >> PIN_BLOCK_SHIFT; b <= (e->pfn + e->nr - 1) >> PIN_BLOCK_SHIFT; b++) {
			unsigned long mask = block_range_mask(b, e->pfn, e->nr);

			pnm_pin_bury_block_locked(&pub, c->tag, b, mask,
						  tc_freed_since(b, mask, e->gen));
		}
	}
	set_lcount(&tc->nr_buried, tc->nr_graves);
}

/* pnm_pin_tcache_own_locked - see pin_registry.h. */
void pnm_pin_tcache_own_locked(void)
{
	struct pin_tcache *tc = &tc_self;

	if (!tc->linked)
		return;
	if (tc->nr_live)
		tc_adopt_live(tc);
	pnm_pin_unreserve_locked(tc->id, tc->id_end, tc->seq, tc->seq_end);
	tc->id = tc->id_end;
	tc->seq = tc->seq_end;
	tc->room = 0;		/* the ids went */
}

/* membarrier(), falling back to the global command if this process could
 * not register for the private one (a forked child, say). */
static void tc_membarrier(void)
{
	if (!syscall(__NR_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0))
		return;
	if (syscall(__NR_membarrier, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0, 0) ||
	    syscall(__NR_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0))
		(void)syscall(__NR_membarrier, MEMBARRIER_CMD_GLOBAL, 0, 0);
}

/* Does @tc hold anything the registry has not seen?  A relaxed look: a
 * pin whose page reached the caller through any synchronisation is seen. */
static bool tc_has_any(struct pin_tcache *tc)
{
	return count(&tc->nr_live) || lcount(&tc->nr_graves) != lcount(&tc->nr_buried);
}

/* pnm_pin_tcache_sync_locked - see pin_registry.h. */
bool pnm_pin_tcache_sync_locked(void)
{
	struct pin_tcache *tc, *self = &tc_self;
	bool others = false, any = false;

	list_for_each_entry(tc, &tcaches, link) {
		if (tc == self || !tc_has_any(tc))
			continue;
		/* Relaxed: membarrier() below orders it (see the top). */
		__atomic_store_n(&tc->steal, 1, __ATOMIC_RELAXED);
		others = true;
	}
	if (others)
		tc_membarrier();
	list_for_each_entry(tc, &tcaches, link) {
		if (tc != self && !__atomic_load_n(&tc->steal, __ATOMIC_RELAXED))
			continue;
		if (tc != self) {
			unsigned int spins = 0;

			/* Acquire: pairs with the owner's release of busy. */
			while (__atomic_load_n(&tc->busy, __ATOMIC_ACQUIRE))
				if (++spins % 64 == 0)
					sched_yield();
		}
		if (tc_has_any(tc)) {
			tc_adopt_live(tc);
			tc_bury(tc);
			any = true;
		}
		if (tc != self)
			/* Release: pairs with the owner's acquire in tc_enter(). */
			__atomic_store_n(&tc->steal, 0, __ATOMIC_RELEASE);
	}
	return any;
}

/* pnm_pin_tcache_forget_locked - see pin_registry.h. */
void pnm_pin_tcache_forget_locked(unsigned long pfn, unsigned long nr)
{
	if (!tc_on)
		return;
	forgotten[nr_forgotten % FORGET_KEEP].pfn = pfn;
	forgotten[nr_forgotten % FORGET_KEEP].nr = nr;
	/* Relaxed: read by releasing owners, see nr_forgotten. */
	__atomic_store_n(&nr_forgotten, nr_forgotten + 1, __ATOMIC_RELAXED);
}

/* Free @tc's entries and hash and empty it.  The cache is held and out of
 * use. */
static void tc_free_all(struct pin_tcache *tc)
{
	unsigned int k;

	free(tc->hash);
	tc->hash = NULL;
	tc->hash_mask = 0;
	free(tc->ents);
	tc->ents = NULL;
	tc->nr_ents = 0;
	free(tc->free);
	tc->free = NULL;
	tc->newest = TC_NIL;
	tc->newest_pfn = ULONG_MAX;
	set_count(&tc->nr_free, 0);
	tc->room = 0;
	set_count(&tc->nr_live, 0);
	for (k = 0; k < TC_GRAVES; k++)
		tc->graves[k] = TC_NIL;
	set_lcount(&tc->nr_graves, 0);
	set_lcount(&tc->nr_buried, 0);
	for (k = 0; k < TC_CTXS; k++) {
		tc->ctx[k].refs = 0;
		tc->ctx[k].call_flags = UINT_MAX;	/* a new model */
	}
	tc->id = tc->id_end = 0;
	tc->seq = tc->seq_end = 0;
}

/* pnm_pin_tcache_reset_locked - see pin_registry.h. */
void pnm_pin_tcache_reset_locked(void)
{
	struct pin_tcache *tc;

	list_for_each_entry(tc, &tcaches, link)
		tc_free_all(tc);
	nr_forgotten = 0;
}

/*
 * pnm_pin_tcache_init - see pin_registry.h.  The caches need the private
 * expedited membarrier(); registering for it is idempotent.
 */
void pnm_pin_tcache_init(void)
{
	long cmds = syscall(__NR_membarrier, MEMBARRIER_CMD_QUERY, 0, 0);

	tc_on = cmds > 0 && (cmds & MEMBARRIER_CMD_PRIVATE_EXPEDITED) &&
		!syscall(__NR_membarrier, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0, 0);
}

