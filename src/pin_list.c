// SPDX-License-Identifier: MIT
/*
 * pin_list.c - what the pin registry tells: its listings (visit, count and
 * print the live records that pin_registry.c keeps) and its misuse reports
 * (kept in a bounded ring, the last MISUSE_KEEP, counted per kind and in
 * vmstat's pnm_pin_misuse, printed to stderr with pin_debug on; the kinds
 * are described at the top of pin_registry.c).  Each listing takes pin_lock
 * and first has the threads' caches hand over what they hold
 * (pnm_pin_tcache_sync_locked()), so it sees every live pin recorded
 * before it began.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "pin_registry.h"

#define MISUSE_KEEP	128	/* reports kept for pnm_misuse_foreach */

/* A kept misuse report; r.pin points at pin when the owner is known. */
struct misuse_ent {
	struct pnm_misuse_report r;
	struct pnm_pin_record pin;
	char tag[PIN_TAG_LEN];
};

static struct misuse_ent misuse_ring[MISUSE_KEEP];	/* pin_lock */
static unsigned long nr_misuse_kept;			/* pin_lock */
static atomic_long_t misuse_counts[PNM_NR_MISUSE];

static const char *const misuse_names[PNM_NR_MISUSE] = {
	[PNM_MISUSE_PUT_ON_PIN]		= "put_on_pin",
	[PNM_MISUSE_REVOKED]		= "revoked",
	[PNM_MISUSE_UNPIN_UNPINNED]	= "unpin_unpinned",
	[PNM_MISUSE_OVER_UNPIN]		= "over_unpin",
	[PNM_MISUSE_PIN_AT_EXIT]	= "pin_at_exit",
	[PNM_MISUSE_DMA_TO_FREED]	= "dma_to_freed",
};

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
	char site[128], owner[32] = "";

	if (rec->owner)
		snprintf(owner, sizeof(owner), " owner %lu", rec->owner);
	snprintf(buf, size, "pin %lu pid %d%s tag %s%s%s at %s",
		 rec->id, rec->pid, owner, rec->tag ? "\"" : "",
		 rec->tag ? rec->tag : "-", rec->tag ? "\"" : "",
		 pnm_format_site(site, sizeof(site), rec->file, rec->line, rec->func, rec->caller));
}

/*
 * Keep, count and print one report.  @owner (may be NULL) is the pin the
 * misuse concerns; @last says it was already released.  pin_lock held
 * (pin_registry.h).
 */
void pnm_pin_report_locked(enum pnm_misuse_kind kind, unsigned long pfn,
			  const struct pnm_pin_record *owner, bool last,
			  const char *detail)
{
	struct misuse_ent *e = &misuse_ring[nr_misuse_kept % MISUSE_KEEP];
	char who[160] = "";

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
	pnm_pin_report_range(kind, page ? page_to_pfn(page) : 0, page ? 1 : 0, detail);
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

	pnm_pin_lock();
	first = nr_misuse_kept > MISUSE_KEEP ? nr_misuse_kept - MISUSE_KEEP : 0;
	for (i = first; i < nr_misuse_kept; i++)
		fn(&misuse_ring[i % MISUSE_KEEP].r, arg);
	pnm_pin_unlock();
}

/* pnm_pin_report_reset_locked - pin_registry.h. */
void pnm_pin_report_reset_locked(void)
{
	int k;

	nr_misuse_kept = 0;
	memset(misuse_ring, 0, sizeof(misuse_ring));
	for (k = 0; k < PNM_NR_MISUSE; k++)
		atomic_long_set(&misuse_counts[k], 0);
}

/* --- listings ------------------------------------------------------------ */

static bool rec_is_legacy(const struct pnm_pin_record *rec)
{
	return (rec->gup_flags & (FOLL_GET | FOLL_PIN)) == (FOLL_GET | FOLL_PIN);
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
	pnm_pin_lock();
	pnm_pin_tcache_sync_locked();
	list_for_each_entry(rec, pnm_pin_records_locked(), list)
		if (pid < 0 || rec->pub.pid == pid)
			fn(&rec->pub, arg);
	pnm_pin_unlock();
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
	pnm_pin_lock();
	pnm_pin_tcache_sync_locked();
	list_for_each_entry(rec, pnm_pin_records_locked(), list) {
		for (i = 0; i < rec->nr_nodes; i++) {
			if (rec->nodes[i].live) {
				*pfn = node_first_pfn(&rec->nodes[i]);
				pnm_pin_unlock();
				return true;
			}
		}
	}
	pnm_pin_unlock();
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
	pnm_pin_lock();
	pnm_pin_tcache_sync_locked();
	list_for_each_entry(rec, pnm_pin_records_locked(), list)
		if (pid < 0 || rec->pub.pid == pid)
			nr += rec->pub.nr_live;
	pnm_pin_unlock();
	return nr;
}

/* One registry line; see pnm_pin_registry_print(). */
static void print_rec(FILE *out, const struct pin_rec *rec)
{
	const struct pnm_pin_record *r = &rec->pub;
	char flags[256], site[128];

	char owner[32] = "";

	pnm_gup_flags_str(r->gup_flags, flags, sizeof(flags));
	if (r->owner)
		snprintf(owner, sizeof(owner), " owner %lu", r->owner);
	fprintf(out, "pin %lu pid %d%s tag %s at %s range %#lx-%#lx pages %lu/%lu %s%s%s seq %llu\n",
		r->id, r->pid, owner, r->tag ? r->tag : "-",
		pnm_format_site(site, sizeof(site), r->file, r->line, r->func, r->caller), r->start,
		r->start + r->nr_pages * PAGE_SIZE, r->nr_live, r->nr_pages,
		flags, rec_is_legacy(r) ? " legacy" : "",
		rec->exit_reported ? " owner-exited" : "", r->seq);
}

/*
 * Print the records of @pid (all if @pid < 0), oldest first, one line
 * each:
 *   pin <id> pid <pid> [owner <id>] tag <tag|-> at <site> range
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
	pnm_pin_lock();
	pnm_pin_tcache_sync_locked();
	list_for_each_entry(rec, pnm_pin_records_locked(), list) {
		if (pid >= 0 && rec->pub.pid != pid)
			continue;
		print_rec(out, rec);
		any = true;
	}
	pnm_pin_unlock();
	if (!any)
		fprintf(out, "no pins\n");
}
