// SPDX-License-Identifier: MIT
/*
 * pin_tcache.c - each thread's recent one-page pins, recorded without a lock.
 *
 * The pin registry (pin_registry.c) records every pin call: who, where,
 * what.  Its structures are shared by all threads under one lock, which
 * costs a pin call of one page and its release two lock round trips and
 * several hundred instructions -- most of the cost of such a call with the
 * registry on (docs/performance.md).  Most such pins are released by the
 * thread that took them, soon after.  So a thread keeps the records of its
 * own one-page calls of order-0 folios in a cache of its own:
 *
 *   pin     pnm_pin_tcache_add() fills a record from the cache's spares
 *           with the same fields the registry would (its id and clock tick
 *           come from a range the thread reserved, TC_CHUNK at a time) and
 *           links it into the cache's hash by frame, newest first.
 *   unpin   pnm_pin_tcache_del() looks for the frame in that hash and, if
 *           the newest record of it is the caller's own (same pin owner,
 *           same process, as the registry's release prefers), retires it:
 *           the record becomes one of the cache's last TC_GRAVES released
 *           records (its graves, for OVER_UNPIN reports), and the frame's
 *           grave bit is set if it is not yet (pnm_pin_grave_mark()).
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
 * The hash grows with the live records (a thread may hold thousands: gup_test
 * pins a whole range one page per call before it releases any); a cache of
 * TC_LIVE live records hands them to the registry.  Released records are
 * kept as spares (up to TC_SPARE) for the next pins.
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
#include <linux/membarrier.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "pin_registry.h"

#define TC_HASH_MIN	256	/* buckets of live records, by frame, at first */
#define TC_LIVE		65536	/* live records before the registry takes them */
#define TC_GRAVES	64	/* released records kept */
#define TC_SPARE	16384	/* free records kept */
#define TC_CHUNK	64	/* ids and ticks reserved at a time */
#define FORGET_KEEP	256	/* freed ranges remembered */

struct pin_tcache {
	int busy;			/* owner in a fast section; see above */
	int steal;			/* a stealer holds the cache; see above */
	unsigned int nr_live;		/* records in hash[] */
	struct pin_node **hash;		/* live records by frame, newest first */
	unsigned long hash_mask;	/* buckets - 1 */
	struct pin_rec *graves[TC_GRAVES];	/* ring, by nr_graves */
	unsigned long nr_graves;	/* released records ever */
	unsigned long nr_buried;	/* of those, handed to the registry */
	struct pin_rec *spare;		/* free records, via next_free */
	unsigned int nr_spare;
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
 * the cache (tc_has_any(), a hint) while its owner writes them: relaxed
 * atomics, which are plain moves.  Holders of the cache write them with
 * these too.
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

static inline struct pin_node **tc_bucket(struct pin_tcache *tc, unsigned long pfn)
{
	return &tc->hash[pfn & tc->hash_mask];
}

static inline unsigned long rec_pfn(const struct pin_rec *rec)
{
	return (rec->nodes[0].block << PIN_BLOCK_SHIFT) +
	       (unsigned long)__builtin_ctzl(rec->nodes[0].live);
}

/* --- the owner's side ----------------------------------------------------- */

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

static void tc_free_recs(struct pin_tcache *tc);
static void tc_bury(struct pin_tcache *tc);

/* Thread exit: the registry takes over the live records and the graves. */
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
	tc_free_recs(tc);
	pnm_pin_unlock();
}

static void tc_key_create(void)
{
	tc_key_ok = pthread_key_create(&tc_key, tc_thread_exit) == 0;
}

/* Link @n (of a live record of frame @pfn) into @tc's hash, newest first.
 * The cache is held. */
static void tc_hash_add(struct pin_tcache *tc, struct pin_node *n, unsigned long pfn)
{
	struct pin_node **b = tc_bucket(tc, pfn);

	n->next = *b;
	if (*b)
		(*b)->pprev = &n->next;
	n->pprev = b;
	*b = n;
}

/*
 * Double the hash of the calling thread's cache (or make its first):
 * allocated outside the section, filled inside it.  False if there is no
 * memory or a stealer holds the cache.
 */
static bool tc_grow(struct pin_tcache *tc)
{
	unsigned long mask = tc->hash ? 2 * tc->hash_mask + 1 : TC_HASH_MIN - 1, i;
	struct pin_node **old = tc->hash, **new = calloc(mask + 1, sizeof(*new));
	unsigned long old_mask = tc->hash_mask;

	if (!new)
		return false;
	if (!tc_enter(tc)) {
		free(new);
		return false;
	}
	tc->hash = new;
	tc->hash_mask = mask;
	/* Oldest first from each old chain's tail, so each new chain stays
	 * newest first. */
	for (i = 0; old && i <= old_mask; i++) {
		struct pin_node *n = old[i], *prev;

		while (n && n->next)
			n = n->next;
		for (; n; n = prev) {
			prev = n->pprev == &old[i] ? NULL :
			       container_of(n->pprev, struct pin_node, next);
			tc_hash_add(tc, n, rec_pfn(n->rec));
		}
	}
	tc_exit(tc);
	free(old);
	return true;
}

/*
 * The calling thread's cache, ready for a pin: on tcaches, with a spare
 * record and ids left.  Takes pin_lock when it must (the first pin, then
 * once per TC_CHUNK records); NULL if it cannot be made ready.
 */
static struct pin_tcache *tc_ready(void)
{
	struct pin_tcache *tc = &tc_self;

	if (unlikely(!tc->linked)) {
		pthread_once(&tc_once, tc_key_create);
		if (!tc_key_ok || pthread_setspecific(tc_key, tc))
			return NULL;
		pnm_pin_lock();
		list_add(&tc->link, &tcaches);
		tc->linked = true;
		pnm_pin_unlock();
	}
	if (unlikely(!tc->hash || count(&tc->nr_live) > tc->hash_mask) && !tc_grow(tc))
		return NULL;
	if (unlikely(tc->id == tc->id_end)) {
		pnm_pin_lock();
		pnm_pin_reserve_locked(TC_CHUNK, &tc->id, &tc->seq);
		tc->id_end = tc->id + TC_CHUNK;
		tc->seq_end = tc->seq + TC_CHUNK;
		pnm_pin_unlock();
	}
	if (unlikely(!tc->spare)) {
		struct pin_rec *rec = pnm_pin_rec_alloc1();

		if (!rec)
			return NULL;
		/* Spares are only ever the owner's (stealers leave them). */
		rec->next_free = NULL;
		tc->spare = rec;
		tc->nr_spare = 1;
	}
	return tc;
}

/* A full cache: the registry takes its live records. */
static void tc_hand_over(void)
{
	pnm_pin_lock();
	pnm_pin_tcache_own_locked();
	pnm_pin_unlock();
}

/*
 * pnm_pin_tcache_add - see pin_registry.h.  Called by
 * pnm_pin_registry_add() for a call of one page with the registry on,
 * after the pin is counted; @site is the call's site (already taken from
 * the thread), @tag the thread's tag (copied).
 */
int pnm_pin_tcache_add(struct mm_struct *mm, unsigned long start, struct page *page,
		       unsigned int flags, const struct pnm_call_site *site, const char *tag)
{
	unsigned long pfn = page_to_pfn(page);
	struct pin_tcache *tc;
	struct pin_rec *rec;

	if (!tc_on || folio_test_large(page_folio(page)))
		return 0;
	if (unlikely(pnm_pin_record_should_fail()))
		return -ENOMEM;
	if (unlikely(count(&tc_self.nr_live) >= TC_LIVE))
		tc_hand_over();
	tc = tc_ready();
	if (!tc || !tc_enter(tc))
		return 0;
	rec = tc->spare;
	tc->spare = rec->next_free;
	tc->nr_spare--;
	rec->mm = mm;
	rec->exit_reported = false;
	rec->nr_nodes = 1;
	rec->nodes[0].rec = rec;
	rec->nodes[0].block = pfn >> PIN_BLOCK_SHIFT;
	rec->nodes[0].live = 1UL << (pfn & (PIN_BLOCK_PAGES - 1));
	rec->tag[0] = '\0';
	if (tag) {
		size_t len = strnlen(tag, PIN_TAG_LEN - 1);

		memcpy(rec->tag, tag, len);
		rec->tag[len] = '\0';
	}
	rec->pub = (struct pnm_pin_record){
		.id = tc->id++,
		.pid = mm ? mm->owner_pid : 0,
		.tag = tag ? rec->tag : NULL,
		.file = site->file,
		.line = site->line,
		.func = site->func,
		.caller = site->file ? NULL : site->caller,
		.start = start,
		.nr_pages = 1,
		.nr_live = 1,
		.gup_flags = (flags & ~INTERNAL_GUP_FLAGS) | FOLL_PIN |
			     (pnm_config.legacy_gup ? FOLL_GET : 0),
		.seq = tc->seq++,
		.owner = pnm_pin_get_owner(),
	};
	tc_hash_add(tc, &rec->nodes[0], pfn);
	set_count(&tc->nr_live, tc->nr_live + 1);
	tc_exit(tc);
	return 1;
}

/* Unlink live record @rec from its cache's hash.  The cache is held. */
static void tc_unhash(struct pin_tcache *tc, struct pin_rec *rec)
{
	struct pin_node *n = &rec->nodes[0];

	*n->pprev = n->next;
	if (n->next)
		n->next->pprev = n->pprev;
	set_count(&tc->nr_live, tc->nr_live - 1);
}

/* Give @rec (out of the cache) back to @tc's spares, or to the host. */
static void tc_spare(struct pin_tcache *tc, struct pin_rec *rec)
{
	if (tc->nr_spare >= TC_SPARE) {
		free(rec);
		return;
	}
	rec->next_free = tc->spare;
	tc->spare = rec;
	tc->nr_spare++;
}

/*
 * Retire the newest cached pin of @page's frame if it is the caller's own
 * (@owner, @pid: as the registry's release prefers, its rec_is_mine()):
 * it becomes the newest grave.  The cache is held (a fast section).
 * A folio that became large since its pin cannot be: the pin held it.
 */
static inline bool tc_retire(struct pin_tcache *tc, struct page *page, unsigned long owner,
			     int pid)
{
	unsigned long pfn = page_to_pfn(page), block = pfn >> PIN_BLOCK_SHIFT;
	unsigned long bit = 1UL << (pfn & (PIN_BLOCK_PAGES - 1));
	struct pin_node *n;
	struct pin_rec *rec, *old;

	for (n = *tc_bucket(tc, pfn); n; n = n->next)
		if (n->block == block && n->live == bit)
			break;
	if (!n)
		return false;
	rec = n->rec;
	if (rec->pub.owner != owner || (pid >= 0 && rec->pub.pid != pid))
		return false;
	tc_unhash(tc, rec);
	rec->pub.nr_live = 0;
	rec->gen = __atomic_load_n(&nr_forgotten, __ATOMIC_RELAXED);
	old = tc->graves[tc->nr_graves % TC_GRAVES];
	tc->graves[tc->nr_graves % TC_GRAVES] = rec;
	set_lcount(&tc->nr_graves, tc->nr_graves + 1);
	if (old)
		tc_spare(tc, old);
	pnm_pin_grave_mark(pfn);
	/* A live pin implies its shadow pin, as in the registry's release:
	 * after the record, before the caller's refcount decrement. */
	if (pnm_pin_shadow && !pnm_config.legacy_gup)
		atomic_dec(&page->pnm_pincount);
	return true;
}

/*
 * pnm_pin_tcache_del - see pin_registry.h.  Called by the registry's
 * release of one page before it takes pin_lock.
 */
bool pnm_pin_tcache_del(struct page *page)
{
	struct pin_tcache *tc = &tc_self;
	bool done;

	if (!count(&tc->nr_live) || !tc_enter(tc))
		return false;
	done = tc_retire(tc, page, pnm_pin_get_owner(), current ? current->pid : -1);
	tc_exit(tc);
	return done;
}

/*
 * pnm_pin_tcache_del_pages - see pin_registry.h.  One fast section for
 * the whole prefix.
 */
unsigned long pnm_pin_tcache_del_pages(struct page *const *pages, unsigned long n)
{
	struct pin_tcache *tc = &tc_self;
	unsigned long owner, i;
	int pid;

	if (!count(&tc->nr_live) || !tc_enter(tc))
		return 0;
	owner = pnm_pin_get_owner();
	pid = current ? current->pid : -1;
	for (i = 0; i < n; i++) {
		struct page *page = pages[i];

		if (page && !is_zero_pfn(page_to_pfn(page)) && !tc_retire(tc, page, owner, pid))
			break;
	}
	tc_exit(tc);
	return i;
}

/* --- the registry's side (pin_lock held) ------------------------------------ */

/* Hand @tc's live records to the registry.  @tc is held. */
static void tc_adopt_live(struct pin_tcache *tc)
{
	unsigned long i;

	for (i = 0; tc->hash && i <= tc->hash_mask && tc->nr_live; i++) {
		struct pin_node *n;

		while ((n = tc->hash[i])) {
			tc_unhash(tc, n->rec);
			pnm_pin_rec_adopt_locked(n->rec);
		}
	}
}

/* Was @pfn freed after forget count @gen (or can it no longer be told)? */
static bool tc_freed_since(unsigned long pfn, unsigned long gen)
{
	unsigned long i;

	if (nr_forgotten - gen > FORGET_KEEP)
		return true;
	for (i = gen; i < nr_forgotten; i++) {
		const typeof(forgotten[0]) *f = &forgotten[i % FORGET_KEEP];

		if (pfn - f->pfn < f->nr)
			return true;
	}
	return false;
}

/* Bury @tc's released records the registry has not seen, oldest first.
 * @tc is held. */
static void tc_bury(struct pin_tcache *tc)
{
	unsigned long i = tc->nr_buried;

	if (tc->nr_graves - i > TC_GRAVES)
		i = tc->nr_graves - TC_GRAVES;
	for (; i < tc->nr_graves; i++) {
		const struct pin_rec *rec = tc->graves[i % TC_GRAVES];

		pnm_pin_rec_bury_locked(rec, tc_freed_since(rec_pfn(rec), rec->gen));
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

/* Free @tc's records (live, graves, spares) and empty it.  The cache is
 * held and out of use. */
static void tc_free_recs(struct pin_tcache *tc)
{
	unsigned long i;
	struct pin_rec *rec;

	for (i = 0; tc->hash && i <= tc->hash_mask; i++) {
		struct pin_node *n;

		while ((n = tc->hash[i])) {
			tc_unhash(tc, n->rec);
			free(n->rec);
		}
	}
	free(tc->hash);
	tc->hash = NULL;
	tc->hash_mask = 0;
	for (i = 0; i < TC_GRAVES; i++) {
		free(tc->graves[i]);
		tc->graves[i] = NULL;
	}
	while ((rec = tc->spare)) {
		tc->spare = rec->next_free;
		free(rec);
	}
	tc->nr_spare = 0;
	set_lcount(&tc->nr_graves, 0);
	set_lcount(&tc->nr_buried, 0);
	tc->id = tc->id_end = 0;
	tc->seq = tc->seq_end = 0;
}

/* pnm_pin_tcache_reset_locked - see pin_registry.h. */
void pnm_pin_tcache_reset_locked(void)
{
	struct pin_tcache *tc;

	list_for_each_entry(tc, &tcaches, link)
		tc_free_recs(tc);
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
