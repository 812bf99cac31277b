// SPDX-License-Identifier: MIT
/*
 * pin_registry.c - who holds which pins, and misuse of the pin API.
 *
 * Linux only counts pins; it cannot say who took them.  pinmm also keeps
 * provenance: every successful pin call (gup.c, gup_fast.c) hands its page
 * array to pnm_pin_registry_add(), which makes one record per call: the
 * owner (mm->owner_pid), the caller's tag (pnm_pin_set_tag), the call site
 * (see "Call sites" below), the user range, the FOLL_* flags and a logical
 * time.  Each page of the call gets a node in a
 * hash keyed by pfn; the nodes are allocated in the same block as their
 * record, so a call costs one allocation and one lock round trip.  Every
 * unpin of a page first calls pnm_pin_registry_del(), which finds a live
 * node for that pfn -- or, since pins belong to the folio as in Linux, for
 * another page of the same folio -- and retires it; a record is freed
 * when its last page is unpinned (nr_live reaches 0).  Zero-page entries are not recorded:
 * Linux does not count their pins and unpinning them does nothing.
 *
 * Misuse is detected at four places and reported (never aborting): kept
 * in a bounded ring (the last MISUSE_KEEP reports, pnm_misuse_foreach),
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
 * Call sites.  Every exported GUP and unpin entry point (gup.c,
 * gup_fast.c) brackets its work with pnm_gup_site_enter() and
 * pnm_gup_site_exit().  The site of the call is what the gup.h macros (or
 * a caller, with pnm_gup_set_call_site()) recorded on the thread just
 * before; if nothing was recorded -- a call through a function pointer,
 * as (pin_user_pages)(...), or built with PNM_NO_CALL_SITE_CAPTURE --
 * enter takes the entry function's return address instead.  Exit forgets
 * the site, so no site outlives its call (a get_user_pages() call, which
 * records nothing, does not leave its site to the next pin).  A record
 * keeps file:line:function, or file NULL and the return address in
 * `caller`; reports and pnm_pin_registry_print() show the latter as
 * "symbol+0x1c" when the dynamic loader can name it (dladdr: exported
 * symbols only), else as the address and "(object+offset)", which
 * addr2line resolves.
 *
 * Locking: pin_lock protects the record list, the hash, the graveyard, the
 * report ring and the logical clock.  It is a leaf among the model's
 * locks: folio_put_refs() may report with any model lock held, so no model
 * lock is ever taken under it (the callbacks of the foreach functions run
 * under it and must not pin, unpin or drop page references).  Naming a
 * return address (dladdr()) takes the dynamic loader's lock under it,
 * which calls nothing of the model.  The tag and call site are
 * thread-local.
 */
#define _GNU_SOURCE		/* dladdr() */
#include <dlfcn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define PIN_HASH_BITS	14
#define PIN_HASH_SIZE	(1UL << PIN_HASH_BITS)
#define PIN_TAG_LEN	32	/* tags are copied, truncated to 31 chars */
#define GRAVE_KEEP	256	/* released page pins remembered */
#define MISUSE_KEEP	128	/* reports kept for pnm_misuse_foreach */
#define CONFIRM_SNAPSHOTS 4	/* see pnm_pin_check_put() */

/* One pinned page of a record: a hash-chain entry. */
struct pin_node {
	struct pin_node *next;		/* hash chain; pin_lock */
	unsigned long pfn;
	struct pin_rec *rec;		/* NULL once unpinned; pin_lock */
};

/* One pin call.  Allocated with its nodes in one block. */
struct pin_rec {
	struct list_head list;		/* pin_records, oldest first; pin_lock */
	struct pnm_pin_record pub;	/* pub.nr_live: pin_lock */
	/* the owner, as an identity only: never dereferenced (it may have
	 * been freed while the pins live on) */
	const struct mm_struct *mm;
	bool exit_reported;		/* PIN_AT_EXIT done; pin_lock */
	char tag[PIN_TAG_LEN];		/* pub.tag points here */
	unsigned long nr_nodes;
	struct pin_node nodes[];
};

/* A released page pin, for OVER_UNPIN and DMA_TO_FREED reports. */
struct pin_grave {
	unsigned long pfn;
	bool freed;			/* the frame was freed since */
	struct pnm_pin_record rec;	/* copy; rec.tag fixed up on use */
	char tag[PIN_TAG_LEN];
};

/* A kept misuse report; r.pin points at pin when the owner is known. */
struct misuse_ent {
	struct pnm_misuse_report r;
	struct pnm_pin_record pin;
	char tag[PIN_TAG_LEN];
};

/* The thread's current call site: file:line:func as recorded, or (file
 * NULL) the return address of the entry point running. */
struct call_site {
	const char *file;
	int line;
	const char *func;
	const void *caller;
};

static spinlock_t pin_lock = { .m = PTHREAD_MUTEX_INITIALIZER, .owner = 0 };
static LIST_HEAD(pin_records);				/* pin_lock */
static struct pin_node *pin_hash[PIN_HASH_SIZE];	/* pin_lock */
static unsigned long long pin_clock;			/* pin_lock */
static unsigned long pin_next_id;			/* pin_lock */
/* Pinned pages whose record could not be allocated (host ENOMEM); their
 * unpins are let through on the strength of pnm_pincount.  pin_lock. */
static unsigned long nr_unrecorded;
static struct pin_grave graves[GRAVE_KEEP];		/* pin_lock */
static unsigned long nr_graves;				/* pin_lock */
/*
 * One bit per frame: the frame has a grave not yet marked freed.  Set
 * under pin_lock; tested without it by the free path (atomic bitops), see
 * pnm_pin_registry_forget().  NULL if it could not be allocated (then no
 * graves are kept and every stray unpin is UNPIN_UNPINNED).
 */
static unsigned long *grave_bits;
static struct misuse_ent misuse_ring[MISUSE_KEEP];	/* pin_lock */
static unsigned long nr_misuse_kept;			/* pin_lock */
static atomic_long_t misuse_counts[PNM_NR_MISUSE];

/* pnm_pin_shadow_count() (internal.h): set by pnm_pin_registry_init()
 * from pnm_config, read-only afterwards. */
bool pnm_pin_shadow;

static _Thread_local const char *pin_tag;
static _Thread_local struct call_site gup_site;

static const char *const misuse_names[PNM_NR_MISUSE] = {
	[PNM_MISUSE_PUT_ON_PIN]		= "put_on_pin",
	[PNM_MISUSE_REVOKED]		= "revoked",
	[PNM_MISUSE_UNPIN_UNPINNED]	= "unpin_unpinned",
	[PNM_MISUSE_OVER_UNPIN]		= "over_unpin",
	[PNM_MISUSE_PIN_AT_EXIT]	= "pin_at_exit",
	[PNM_MISUSE_DMA_TO_FREED]	= "dma_to_freed",
};

/* FOLL_* names by bit, for pnm_gup_flags_str(). */
static const char *const foll_names[] = {
	"FOLL_WRITE", "FOLL_GET", "FOLL_DUMP", "FOLL_FORCE", "FOLL_NOWAIT",
	"FOLL_NOFAULT", "FOLL_HWPOISON", "FOLL_ANON", "FOLL_LONGTERM",
	"FOLL_SPLIT_PMD", "FOLL_PCI_P2PDMA", "FOLL_INTERRUPTIBLE",
	"FOLL_HONOR_NUMA_FAULT", NULL, NULL, NULL,
	"FOLL_TOUCH", "FOLL_TRIED", "FOLL_REMOTE", "FOLL_PIN",
	"FOLL_FAST_ONLY", "FOLL_UNLOCKABLE", "FOLL_MADV_POPULATE",
};

static inline struct pin_node **pin_bucket(unsigned long pfn)
{
	return &pin_hash[(pfn * 0x9E3779B97F4A7C15UL) >> (64 - PIN_HASH_BITS)];
}

static bool rec_is_legacy(const struct pnm_pin_record *rec)
{
	return (rec->gup_flags & (FOLL_GET | FOLL_PIN)) == (FOLL_GET | FOLL_PIN);
}

/* The file name without its directories (__FILE__ may be absolute). */
static const char *site_file(const char *file)
{
	const char *slash;

	if (!file)
		return "?";
	slash = strrchr(file, '/');
	return slash ? slash + 1 : file;
}

/* --- caller context ------------------------------------------------------ */

/*
 * Label the pins the calling thread takes from now on with @tag (NULL
 * clears it).  Thread-local; the registry copies the text (up to 31
 * characters) into each record, but callers should still keep it alive for
 * as long as the pins, as the contract says.
 */
void pnm_pin_set_tag(const char *tag)
{
	pin_tag = tag;
}

/* The calling thread's tag (internal.h), so a caller can put it back. */
const char *pnm_pin_get_tag(void)
{
	return pin_tag;
}

/*
 * Remember @file:@line (@func) as the call site of the next GUP or unpin
 * call on this thread.  The gup.h macros call it before every entry
 * point.  That call's pin record and unpin misuse reports name it, and
 * the call forgets it when it returns.  @file NULL records nothing (the
 * next call names its return address).  Thread-local, never fails.
 */
void pnm_gup_set_call_site(const char *file, int line, const char *func)
{
	gup_site = (struct call_site){ file, line, func, NULL };
}

/*
 * pnm_gup_site_enter - an exported GUP or unpin entry point starts;
 * @caller is its return address (__builtin_return_address(0), taken in
 * the entry function itself).  Keeps the site recorded on this thread
 * (pnm_gup_set_call_site(), or an outer call's return address: the
 * vaddr_pin wrapper enters before the GUP call it makes), or, if none
 * is, makes @caller the site.  Thread-local, never fails.
 */
void pnm_gup_site_enter(const void *caller)
{
	if (!gup_site.file && !gup_site.caller)
		gup_site = (struct call_site){ NULL, 0, NULL, caller };
}

/* pnm_gup_site_exit - the entry point returns: forget its site. */
void pnm_gup_site_exit(void)
{
	gup_site = (struct call_site){ NULL, 0, NULL, NULL };
}

/*
 * Where a pin or unpin was called from, into @buf: "file.c:12 func()" for
 * a recorded site (@file set); else, for a return address @caller,
 * "symbol+0x1c" if the dynamic loader can name it, else
 * "0x55d0c4a1b2c4 (program+0x12c4)" or the bare address; "?:0 ?()" if
 * neither is known.  Returns @buf.
 */
static const char *format_site(char *buf, size_t size, const char *file, int line,
			       const char *func, const void *caller)
{
	Dl_info info;

	if (file || !caller) {
		snprintf(buf, size, "%s:%d %s()", site_file(file), line, func ? func : "?");
		return buf;
	}
	memset(&info, 0, sizeof(info));
	if (!dladdr(caller, &info))
		snprintf(buf, size, "%p", caller);
	else if (info.dli_sname && info.dli_saddr)
		snprintf(buf, size, "%s+%#lx", info.dli_sname,
			 (unsigned long)((uintptr_t)caller - (uintptr_t)info.dli_saddr));
	else if (info.dli_fname && info.dli_fname[0] && info.dli_fbase)
		snprintf(buf, size, "%p (%s+%#lx)", caller, site_file(info.dli_fname),
			 (unsigned long)((uintptr_t)caller - (uintptr_t)info.dli_fbase));
	else
		snprintf(buf, size, "%p", caller);
	return buf;
}

/*
 * Spell @flags as "FOLL_PIN|FOLL_WRITE|FOLL_LONGTERM": FOLL_GET and
 * FOLL_PIN first, then the others in bit order, unknown bits in hex, "0"
 * for none.  Writes at most @size bytes (NUL-terminated if @size > 0) and
 * returns the length of the full text, as snprintf() does.
 */
size_t pnm_gup_flags_str(unsigned int flags, char *buf, size_t size)
{
	static const unsigned int first[] = { FOLL_GET, FOLL_PIN };
	size_t len = 0;
	unsigned int rest = flags & ~(FOLL_GET | FOLL_PIN), unknown = 0;
	unsigned int i;

#define EMIT(...)							\
	do {								\
		int n_ = snprintf(buf + (len < size ? len : size),	\
				  len < size ? size - len : 0, __VA_ARGS__); \
		len += n_ > 0 ? (size_t)n_ : 0;				\
	} while (0)

	if (size)
		buf[0] = '\0';
	for (i = 0; i < ARRAY_SIZE(first); i++)
		if (flags & first[i])
			EMIT("%s%s", len ? "|" : "",
			     foll_names[__builtin_ctz(first[i])]);
	for (i = 0; i < 32; i++) {
		if (!(rest & (1U << i)))
			continue;
		if (i < ARRAY_SIZE(foll_names) && foll_names[i])
			EMIT("%s%s", len ? "|" : "", foll_names[i]);
		else
			unknown |= 1U << i;
	}
	if (unknown)
		EMIT("%s%#x", len ? "|" : "", unknown);
	if (!len)
		EMIT("0");
#undef EMIT
	return len;
}

/* pnm_gup_site_get - the calling thread's current call site (internal.h). */
void pnm_gup_site_get(struct pnm_call_site *site)
{
	*site = (struct pnm_call_site){ gup_site.file, gup_site.line, gup_site.func,
					gup_site.caller };
}

/* A kept call site printed as the registry prints one (internal.h). */
void pnm_format_call_site(const struct pnm_call_site *site, char *buf, size_t size)
{
	format_site(buf, size, site->file, site->line, site->func, site->caller);
}

/* The printable name of a misuse kind ("put_on_pin"), or "?" if unknown. */
const char *pnm_misuse_name(enum pnm_misuse_kind kind)
{
	if ((unsigned int)kind >= PNM_NR_MISUSE)
		return "?";
	return misuse_names[kind];
}

/* --- reports ------------------------------------------------------------- */

/* "pin 3 pid 2 tag "dio" at file.c:12 func()" (or "at symbol+0x1c") */
static void format_pin(char *buf, size_t size, const struct pnm_pin_record *rec)
{
	char site[128];

	snprintf(buf, size, "pin %lu pid %d tag %s%s%s at %s",
		 rec->id, rec->pid, rec->tag ? "\"" : "",
		 rec->tag ? rec->tag : "-", rec->tag ? "\"" : "",
		 format_site(site, sizeof(site), rec->file, rec->line, rec->func, rec->caller));
}

/*
 * Keep, count and print one report.  @owner (may be NULL) is the pin the
 * misuse concerns; @last says it was already released.  pin_lock held.
 */
static void report_locked(enum pnm_misuse_kind kind, unsigned long pfn,
			  const struct pnm_pin_record *owner, bool last,
			  const char *detail)
{
	struct misuse_ent *e = &misuse_ring[nr_misuse_kept % MISUSE_KEEP];
	char who[160] = "";

	lockdep_assert_held(&pin_lock);
	memset(e, 0, sizeof(*e));
	e->r.kind = kind;
	e->r.pfn = pfn;
	if (owner) {
		e->pin = *owner;
		if (owner->tag) {
			snprintf(e->tag, sizeof(e->tag), "%s", owner->tag);
			e->pin.tag = e->tag;
		}
		e->r.pin = &e->pin;
		format_pin(who, sizeof(who), &e->pin);
	}
	snprintf(e->r.text, sizeof(e->r.text), "%s pfn %#lx: %s%s%s%s",
		 misuse_names[kind], pfn, detail, owner ? "; " : "",
		 owner && last ? "last " : "", who);
	nr_misuse_kept++;
	atomic_long_inc(&misuse_counts[kind]);
	count_vm_event(PNM_PIN_MISUSE);
	if (pnm_config.pin_debug)
		pnm_log(PNM_LOG_ERR, "pinmm: pin misuse: %s", e->r.text);
}

/* A live node for @pfn, or NULL.  pin_lock held. */
static struct pin_node *find_live(unsigned long pfn)
{
	struct pin_node *n;

	for (n = *pin_bucket(pfn); n; n = n->next)
		if (n->pfn == pfn)
			return n;
	return NULL;
}

/*
 * The most recent released pin of a frame in [@pfn, @pfn + @nr) (the
 * frames of one folio), or NULL; with @same_frame, only if that frame has
 * not been freed since (the page is the one that pin held).  pin_lock
 * held.
 */
static const struct pin_grave *find_grave(unsigned long pfn, unsigned long nr,
					  bool same_frame)
{
	unsigned long i, n = nr_graves < GRAVE_KEEP ? nr_graves : GRAVE_KEEP;

	for (i = 1; i <= n; i++) {
		struct pin_grave *g = &graves[(nr_graves - i) % GRAVE_KEEP];

		if (g->pfn - pfn >= nr)
			continue;
		if (same_frame && g->freed)
			return NULL;
		g->rec.tag = g->tag[0] ? g->tag : NULL;
		return g;
	}
	return NULL;
}

/*
 * Report @detail about the frames [@pfn, @pfn + @nr), naming a live pin
 * of one of them, else the last released pin of @pfn.  Takes pin_lock.
 */
static void report_range(enum pnm_misuse_kind kind, unsigned long pfn,
			 unsigned long nr, const char *detail)
{
	const struct pnm_pin_record *owner = NULL;
	const struct pin_grave *g;
	bool last = false;
	unsigned long i;

	spin_lock(&pin_lock);
	for (i = 0; i < nr && !owner; i++) {
		struct pin_node *n = find_live(pfn + i);

		if (n)
			owner = &n->rec->pub;
	}
	if (!owner && nr && (g = find_grave(pfn, 1, false))) {
		owner = &g->rec;
		last = true;
	}
	report_locked(kind, pfn, owner, last, detail);
	spin_unlock(&pin_lock);
}

/*
 * Record a misuse report of @kind about @page (NULL: none) with the
 * detail text @fmt.  The owning pin is looked up: a live pin of the page,
 * else the last released one (the text then says "last pin").  Counted,
 * kept in the ring and printed to stderr when pnm_config.pin_debug is on.
 * Takes pin_lock (a leaf): callable with any model lock held.  Never fails.
 */
void pnm_misuse_report(enum pnm_misuse_kind kind, struct page *page,
		       const char *fmt, ...)
{
	char detail[192];
	va_list ap;

	if ((unsigned int)kind >= PNM_NR_MISUSE)
		return;
	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	report_range(kind, page ? page_to_pfn(page) : 0, page ? 1 : 0, detail);
}

/*
 * Misuse reports of @kind made since pnm_init() (0 for an unknown kind).
 * Lock free (a relaxed counter).
 */
unsigned long pnm_misuse_count(enum pnm_misuse_kind kind)
{
	if ((unsigned int)kind >= PNM_NR_MISUSE)
		return 0;
	return (unsigned long)atomic_long_read(&misuse_counts[kind]);
}

/*
 * Call @fn for each kept report, oldest first: the last MISUSE_KEEP (128)
 * reports since pnm_init().  r->pin, when set, is a copy of the pin
 * involved.  The registry lock is held across the walk: @fn must not pin,
 * unpin, drop page references or report.
 */
void pnm_misuse_foreach(void (*fn)(const struct pnm_misuse_report *r, void *arg),
			void *arg)
{
	unsigned long i, first;

	spin_lock(&pin_lock);
	first = nr_misuse_kept > MISUSE_KEEP ? nr_misuse_kept - MISUSE_KEEP : 0;
	for (i = first; i < nr_misuse_kept; i++)
		fn(&misuse_ring[i % MISUSE_KEEP].r, arg);
	spin_unlock(&pin_lock);
}

/* --- records ------------------------------------------------------------- */

/*
 * Record a successful pin call: @nr entries of @pages (NULL entries and
 * the zero page are skipped), pinned from user address @start of @mm, with
 * @flags (internal flags other than FOLL_PIN are dropped; FOLL_PIN is
 * added, in legacy mode FOLL_GET|FOLL_PIN, which is how a legacy record is
 * recognised).  Consumes the thread's call site (file:line:func, or
 * file NULL and the entry point's return address) and copies its tag.
 * Call after the pins are counted and before the caller can unpin them.  If the record cannot be allocated the pins are kept
 * anonymously (their unpins are still allowed) and a warning is issued.
 * Takes pin_lock.  No-op when the registry is off.
 */
void pnm_pin_registry_add(struct mm_struct *mm, unsigned long start,
			  struct page **pages, unsigned long nr, unsigned int flags)
{
	struct call_site site = gup_site;
	unsigned long i, tracked = 0;
	struct pin_rec *rec;

	gup_site = (struct call_site){ NULL, 0, NULL, NULL };
	if (!pnm_config.pin_registry || !pages)
		return;
	for (i = 0; i < nr; i++)
		if (pages[i] && !is_zero_pfn(page_to_pfn(pages[i])))
			tracked++;
	if (!tracked)
		return;

	rec = malloc(sizeof(*rec) + tracked * sizeof(rec->nodes[0]));
	if (!rec) {
		spin_lock(&pin_lock);
		nr_unrecorded += tracked;
		spin_unlock(&pin_lock);
		VM_WARN_ON_ONCE(!rec);
		return;
	}
	memset(rec, 0, sizeof(*rec));
	rec->mm = mm;
	rec->pub.pid = mm ? mm->owner_pid : 0;
	if (pin_tag) {
		snprintf(rec->tag, sizeof(rec->tag), "%s", pin_tag);
		rec->pub.tag = rec->tag;
	}
	rec->pub.file = site.file;
	rec->pub.line = site.line;
	rec->pub.func = site.func;
	rec->pub.caller = site.file ? NULL : site.caller;
	rec->pub.start = start;
	rec->pub.nr_pages = nr;
	rec->pub.nr_live = tracked;
	rec->pub.gup_flags = (flags & ~INTERNAL_GUP_FLAGS) | FOLL_PIN;
	if (pnm_config.legacy_gup)
		rec->pub.gup_flags |= FOLL_GET;
	rec->nr_nodes = tracked;
	for (i = 0, tracked = 0; i < nr; i++) {
		if (!pages[i] || is_zero_pfn(page_to_pfn(pages[i])))
			continue;
		rec->nodes[tracked].pfn = page_to_pfn(pages[i]);
		rec->nodes[tracked].rec = rec;
		tracked++;
	}

	spin_lock(&pin_lock);
	rec->pub.id = ++pin_next_id;
	rec->pub.seq = ++pin_clock;
	for (i = 0; i < rec->nr_nodes; i++) {
		struct pin_node **b = pin_bucket(rec->nodes[i].pfn);

		rec->nodes[i].next = *b;
		*b = &rec->nodes[i];
	}
	list_add_tail(&rec->list, &pin_records);
	spin_unlock(&pin_lock);
}

/* Remember the release of @n's pin for later reports.  pin_lock held. */
static void bury(const struct pin_node *n)
{
	struct pin_grave *g;

	if (!grave_bits)
		return;
	g = &graves[nr_graves++ % GRAVE_KEEP];
	g->pfn = n->pfn;
	g->freed = false;
	g->rec = n->rec->pub;
	memcpy(g->tag, n->rec->tag, sizeof(g->tag));
	/* Relaxed: the unpin's fully ordered refcount decrement, which
	 * follows, publishes it to whoever frees the frame. */
	set_bit(n->pfn % BITS_PER_LONG, &grave_bits[n->pfn / BITS_PER_LONG]);
}

/*
 * folio_put_refs(), as the last reference goes: the frames of @folio are
 * about to be freed, so graves of its pfns no longer describe the page
 * there (a later stray unpin of a reused frame is UNPIN_UNPINNED, not
 * OVER_UNPIN; a device access is still attributed to the last pin).
 * Lock free unless one of the frames has a grave (one bit test per
 * frame); takes pin_lock then.
 */
void pnm_pin_registry_forget(struct folio *folio)
{
	unsigned long pfn = folio_pfn(folio), end = pfn + folio_nr_pages(folio);
	unsigned long p, i;

	if (!grave_bits)
		return;
	for (p = pfn; p < end; p++)
		if (test_bit(p % BITS_PER_LONG, &grave_bits[p / BITS_PER_LONG]))
			break;
	if (p == end)
		return;
	spin_lock(&pin_lock);
	for (; p < end; p++) {
		if (!test_bit(p % BITS_PER_LONG, &grave_bits[p / BITS_PER_LONG]))
			continue;
		clear_bit(p % BITS_PER_LONG, &grave_bits[p / BITS_PER_LONG]);
		for (i = 0; i < GRAVE_KEEP; i++)
			if (graves[i].pfn == p)
				graves[i].freed = true;
	}
	spin_unlock(&pin_lock);
}

/*
 * Unlink and retire one live node for @pfn: with @any, the oldest one;
 * else only one owned by process @pid (the most recent).  Frees the record
 * when it was its last live page.  Returns false if no such node exists.
 * pin_lock held.
 */
static bool release_node(unsigned long pfn, int pid, bool any)
{
	struct pin_node **link, **pick = NULL, *n;
	struct pin_rec *rec;

	for (link = pin_bucket(pfn); (n = *link); link = &n->next) {
		if (n->pfn != pfn)
			continue;
		if (any) {
			pick = link;	/* head insertion: later is older */
		} else if (n->rec->pub.pid == pid) {
			pick = link;
			break;
		}
	}
	if (!pick)
		return false;
	n = *pick;
	*pick = n->next;
	rec = n->rec;
	bury(n);
	n->rec = NULL;
	n->next = NULL;
	pin_clock++;
	if (--rec->pub.nr_live == 0) {
		list_del(&rec->list);
		free(rec);
	}
	return true;
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
 * The pages of @folio in the order a release through @via looks for a pin
 * to release (the folio rule, see pnm_pin_registry_del()): @via itself,
 * then every page from the head on, @via skipped.  @k runs from 0 to
 * folio_pages_to_visit(); NULL for the skipped slot.
 */
static inline unsigned long folio_pages_to_visit(struct folio *folio)
{
	return folio_nr_pages(folio) + 1;
}

static inline struct page *folio_visit(struct folio *folio, struct page *via,
				       unsigned long k)
{
	struct page *p;

	if (k == 0)
		return via;
	p = folio_page(folio, k - 1);
	return p == via ? NULL : p;
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
	unsigned long k, done = 0, end = folio_pages_to_visit(folio);

	for (k = 0; k < end && done < nr; k++) {
		struct page *p = folio_visit(folio, via, k);

		while (p && done < nr && shadow_put(p))
			done++;
	}
	return done;
}

/*
 * Retire up to @nr live registry nodes of @folio's pages (the folio rule):
 * nodes of the calling task's process first, @via's before the others',
 * then anybody's, again @via's first.  The shadow count of each page
 * whose node goes is decremented with it if @shadow.  Returns the number
 * retired.  pin_lock held.
 */
static unsigned long take_nodes_locked(struct folio *folio, struct page *via,
				       unsigned long nr, bool shadow)
{
	unsigned long k, done = 0, end = folio_pages_to_visit(folio);
	int pid = current ? current->pid : -1;
	int pass;

	for (pass = pid < 0 ? 1 : 0; pass < 2 && done < nr; pass++) {
		for (k = 0; k < end && done < nr; k++) {
			struct page *p = folio_visit(folio, via, k);

			while (p && done < nr && release_node(page_to_pfn(p), pid, pass == 1)) {
				/* A live node implies the shadow pin; after the
				 * registry, before the caller's refcount
				 * decrement. */
				if (shadow)
					atomic_dec(&p->pnm_pincount);
				done++;
			}
		}
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
	const struct pin_grave *g = NULL;
	char detail[192], count[48] = "", site[128];
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
	if ((gup_site.file || gup_site.caller) && n > 0 && (size_t)n < sizeof(detail))
		snprintf(detail + n, sizeof(detail) - (size_t)n, "; unpin at %s",
			 format_site(site, sizeof(site), gup_site.file, gup_site.line,
				     gup_site.func, gup_site.caller));
	report_locked(g ? PNM_MISUSE_OVER_UNPIN : PNM_MISUSE_UNPIN_UNPINNED,
		      pfn, g ? &g->rec : NULL, g != NULL, detail);
}

/*
 * The check of @nr unpins of @folio through @via (NULL: through the folio
 * itself, as unpin_folio() and unpin_user_folio() name it); see
 * pnm_pin_registry_del()'s contract.  Takes pin_lock if it needs it and
 * *@locked is false, setting *@locked; the caller unlocks.  @shadow:
 * shadow counts kept and not legacy mode.  Returns how many of the @nr
 * may be released; the rest were reported (one report).
 */
static unsigned long del_pins(struct folio *folio, struct page *via, unsigned long nr,
			      bool shadow, bool *locked)
{
	unsigned long done;

	if (is_zero_folio(folio) || !nr)
		return nr;
	if (!pnm_config.pin_registry) {
		/* Without shadow counts (or in legacy mode, which keeps no
		 * pin counts) nothing can tell a stray unpin. */
		if (!shadow)
			return nr;
		done = pnm_pin_shadow_take(folio, via, nr);
	} else {
		if (!*locked) {
			spin_lock(&pin_lock);
			*locked = true;
		}
		done = take_nodes_locked(folio, via, nr, shadow);
		/* Pins whose record could not be allocated. */
		if (done < nr && shadow && nr_unrecorded) {
			unsigned long more = pnm_pin_shadow_take(folio, via,
								 min_t(unsigned long, nr - done,
								       nr_unrecorded));

			nr_unrecorded -= more;
			done += more;
		}
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

/*
 * Before gup.c releases one pin through @page: is there a pin to release?
 * Pins belong to the folio (as in Linux, where any page of a folio
 * releases one of the folio's pins): a release through @page retires a
 * pin of @page itself if it has one, else one of another page of its
 * folio, from the head on -- with the registry on, the calling task's
 * process's pins first (see take_nodes_locked()).  Only a folio with no
 * pin left at all makes it a misuse.  The zero page always passes (its
 * pins are not counted).  With the registry on, the pin's node is
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
	unsigned long ok;

	ok = del_pins(page_folio(page), page, 1, pnm_pin_shadow && !pnm_config.legacy_gup,
		      &locked);
	if (locked)
		spin_unlock(&pin_lock);
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
	unsigned long ok;

	ok = del_pins(folio, NULL, nr, pnm_pin_shadow && !pnm_config.legacy_gup, &locked);
	if (locked)
		spin_unlock(&pin_lock);
	return ok;
}

/*
 * pnm_pin_registry_del() for each non-NULL entry of @pages[0..n), in
 * order, with pin_lock taken at most once for all of them (registry on,
 * or at the first report).  ok[i]: pages[i] may be released (false for
 * NULL entries).  Returns the number of non-NULL entries refused.
 */
unsigned long pnm_pin_registry_del_pages(struct page *const *pages, unsigned long n,
					 bool *ok)
{
	bool shadow = pnm_pin_shadow && !pnm_config.legacy_gup, locked = false;
	unsigned long i, refused = 0;

	for (i = 0; i < n; i++) {
		ok[i] = pages[i] && del_pins(page_folio(pages[i]), pages[i], 1, shadow, &locked);
		refused += pages[i] && !ok[i];
	}
	if (locked)
		spin_unlock(&pin_lock);
	return refused;
}

/*
 * Visit the live records owned by @pid (all if @pid < 0), oldest first.
 * pin_lock is held across the walk: @fn must not pin, unpin, drop page
 * references or report.  No-op with the registry off.
 */
void pnm_pin_registry_foreach(int pid,
			      void (*fn)(const struct pnm_pin_record *rec, void *arg),
			      void *arg)
{
	struct pin_rec *rec;

	if (!pnm_config.pin_registry)
		return;
	spin_lock(&pin_lock);
	list_for_each_entry(rec, &pin_records, list)
		if (pid < 0 || rec->pub.pid == pid)
			fn(&rec->pub, arg);
	spin_unlock(&pin_lock);
}

/*
 * The frame of some pinned page the registry still records (the oldest
 * record's first live page) in *@pfn: true, or false if there is none or
 * the registry is off.  pnm_teardown() releases what is left with it,
 * legacy pins included (they keep no per-page count).  Takes pin_lock.
 */
bool pnm_pin_registry_any_live(unsigned long *pfn)
{
	struct pin_rec *rec;
	unsigned long i;

	if (!pnm_config.pin_registry)
		return false;
	spin_lock(&pin_lock);
	list_for_each_entry(rec, &pin_records, list) {
		for (i = 0; i < rec->nr_nodes; i++) {
			if (rec->nodes[i].rec) {
				*pfn = rec->nodes[i].pfn;
				spin_unlock(&pin_lock);
				return true;
			}
		}
	}
	spin_unlock(&pin_lock);
	return false;
}

/*
 * Number of pinned pages still live in the records of @pid (all if
 * @pid < 0).  Zero-page pins are not included.  0 with the registry off.
 * Takes pin_lock.
 */
unsigned long pnm_pin_registry_count(int pid)
{
	unsigned long nr = 0;
	struct pin_rec *rec;

	if (!pnm_config.pin_registry)
		return 0;
	spin_lock(&pin_lock);
	list_for_each_entry(rec, &pin_records, list)
		if (pid < 0 || rec->pub.pid == pid)
			nr += rec->pub.nr_live;
	spin_unlock(&pin_lock);
	return nr;
}

/* One registry line; see pnm_pin_registry_print(). */
static void print_rec(FILE *out, const struct pin_rec *rec)
{
	const struct pnm_pin_record *r = &rec->pub;
	char flags[256], site[128];

	pnm_gup_flags_str(r->gup_flags, flags, sizeof(flags));
	fprintf(out, "pin %lu pid %d tag %s at %s range %#lx-%#lx pages %lu/%lu %s%s%s seq %llu\n",
		r->id, r->pid, r->tag ? r->tag : "-",
		format_site(site, sizeof(site), r->file, r->line, r->func, r->caller), r->start,
		r->start + r->nr_pages * PAGE_SIZE, r->nr_live, r->nr_pages,
		flags, rec_is_legacy(r) ? " legacy" : "",
		rec->exit_reported ? " owner-exited" : "", r->seq);
}

/*
 * Print the records of @pid (all if @pid < 0), oldest first, one line
 * each:
 *   pin <id> pid <pid> tag <tag|-> at <site> range
 *   <start>-<end> pages <live>/<total> <FOLL_...|...>[ legacy]
 *   [ owner-exited] seq <time>
 * where <site> is <file>:<line> <func>(), or for a call that recorded no
 * site its return address: <symbol>+<offset>, or <address>
 * (<object>+<offset>); or "no pins" if there is none ("pin registry off"
 * when disabled).
 * Takes pin_lock while printing.
 */
void pnm_pin_registry_print(FILE *out, int pid)
{
	struct pin_rec *rec;
	bool any = false;

	if (!pnm_config.pin_registry) {
		fprintf(out, "pin registry off\n");
		return;
	}
	spin_lock(&pin_lock);
	list_for_each_entry(rec, &pin_records, list) {
		if (pid >= 0 && rec->pub.pid != pid)
			continue;
		print_rec(out, rec);
		any = true;
	}
	spin_unlock(&pin_lock);
	if (!any)
		fprintf(out, "no pins\n");
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
	list_for_each_entry(rec, &pin_records, list) {
		if (rec->mm != mm || rec->exit_reported)
			continue;
		rec->exit_reported = true;
		for (i = 0; i < rec->nr_nodes; i++)
			if (rec->nodes[i].rec)
				break;
		snprintf(detail, sizeof(detail),
			 "pid %d exited holding %lu pinned page%s of %#lx-%#lx",
			 rec->pub.pid, rec->pub.nr_live,
			 rec->pub.nr_live == 1 ? "" : "s", rec->pub.start,
			 rec->pub.start + rec->pub.nr_pages * PAGE_SIZE);
		report_locked(PNM_MISUSE_PIN_AT_EXIT, rec->nodes[i].pfn,
			      &rec->pub, false, detail);
	}
	spin_unlock(&pin_lock);
}

/* --- put check ---------------------------------------------------------- */

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
 * rather than one race of each kind.  The folio may have been freed and
 * reused meanwhile (the caller no longer holds a reference): snapshots
 * give up when the frame is no longer that folio's head, so a report is
 * always about a real deficit on this frame.
 */
void pnm_pin_check_put(struct folio *folio, int after)
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
		refs = folio_ref_count(folio);
		if (PageTail(&folio->page) || folio_order(folio) != order ||
		    refs >= floor || refs <= 0)
			return;
	}
	snprintf(detail, sizeof(detail),
		 "refcount %d after a put, below the %ld its pins hold: put_page() released a pin's reference",
		 after, floor);
	report_range(PNM_MISUSE_PUT_ON_PIN, folio_pfn(folio), 1UL << order, detail);
}

/* --- lifetime ------------------------------------------------------------ */

/* Drop every record, grave and report; zero the counters. */
static void registry_reset(bool for_new_model)
{
	struct pin_rec *rec, *tmp;
	int k;

	spin_lock(&pin_lock);
	list_for_each_entry_safe(rec, tmp, &pin_records, list) {
		list_del(&rec->list);
		free(rec);
	}
	memset(pin_hash, 0, sizeof(pin_hash));
	pin_clock = 0;
	pin_next_id = 0;
	nr_unrecorded = 0;
	nr_graves = 0;
	memset(graves, 0, sizeof(graves));
	free(grave_bits);
	grave_bits = NULL;
	if (for_new_model)
		grave_bits = calloc((pnm_mem.nr_frames + BITS_PER_LONG - 1) / BITS_PER_LONG,
				    sizeof(*grave_bits));
	nr_misuse_kept = 0;
	memset(misuse_ring, 0, sizeof(misuse_ring));
	for (k = 0; k < PNM_NR_MISUSE; k++)
		atomic_long_set(&misuse_counts[k], 0);
	spin_unlock(&pin_lock);
	pin_tag = NULL;
	gup_site = (struct call_site){ NULL, 0, NULL, NULL };
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
			 pnm_config.pin_registry || pnm_config.pin_debug;
	registry_reset(true);
}

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

/*
 * Free every record and the grave bitmap (pins leaked past pnm_fini() are
 * abandoned with their frames).  Not thread safe.
 */
void pnm_pin_registry_fini(void)
{
	registry_reset(false);
}
