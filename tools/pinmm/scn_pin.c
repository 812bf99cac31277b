/* SPDX-License-Identifier: MIT */
/*
 * scn_pin.c - the scenario commands of pinning: get_user_pages and
 * pin_user_pages, the device that uses the pages, the pin registry and
 * misuse detection.
 *
 *   pin PROCESS ADDR NPAGES [flags] [api=] [tag=] [as NAME]
 *                                   any GUP entry point, any FOLL_* flags;
 *                                   the result is a named pin (or, for the
 *                                   get_user_pages* entry points, a named
 *                                   set of references)
 *   unpin PIN [dirty] [pages=N] [api=] [via=head]
 *                                   unpin_user_page* (all or N pages; via=head:
 *                                   through the head page of each one's folio)
 *   put PIN [dirty] [pages=N]            put_page() each page
 *   dma write PIN [+OFF] DATA            the device writes through the page
 *   dma read PIN [+OFF] expect DATA      array (never the page tables)
 *   pins [PROCESS]                       print the pin registry
 *   expect pinned PIN CMP                what the GUP call returned
 *   expect pin PIN [page N] [not] PROP   a page property of a pinned page
 *   expect pins PROCESS|all CMP          pinned pages in the registry
 *   expect misuse KIND CHANGE            misuse reports of a kind
 *   page properties: pinned, pincount CMP, dirty
 *
 * The entry points are called as the kernel's callers call them: the plain
 * variants run as the process (current) with its mmap_lock held for read,
 * _remote with the target mm's lock held by the caller (another process
 * with by=, else no task), _unlocked and _fast take what they need.  Every
 * call records the scenario line as its call site, so the registry and
 * the misuse reports name the line of the scenario.
 *
 * Deliberate misuse is part of the language (put_page on a pin, unpinning
 * twice, unpinning references, DMA after unpin), but a scenario can never
 * corrupt the model: a misuse is handed to the library only where the
 * library's own checks make it harmless (an unpin without a pin is refused
 * by pnm_pin_registry_del(); a put on a pin is undone right after the
 * report; a device write into a frame that now holds page tables is
 * refused), otherwise the step FAILs and says why.  Pins and references a
 * scenario leaves are released by the runner at the end of the file,
 * before the leak check, with a note in the output.
 *
 * Misuse reports have per-kind counts outside vmstat; a step hook samples
 * them around every acting step (the counter window of "expect counter")
 * and shows the reports a step caused under it.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include "scn.h"

#define NS_PIN		"pin"
#define NS_PIN_STATE	"pin-state"
#define PIN_MAX_PAGES	(1UL << 18)	/* 1G of 4K pages: all the model has */
#define CHUNK		65536		/* bytes moved per device transfer */

/* --- frames ---------------------------------------------------------------------
 * What the command line needs to know about a pinned page's frame, from
 * the library's snapshot (the frame exists whatever became of the page).
 */

static struct pnm_page_info frame_of(struct page *page)
{
	struct pnm_page_info fi = { .size = sizeof(fi) };

	if (pnm_pfn_info(page_to_pfn(page), &fi))
		memset(&fi, 0, sizeof(fi));
	return fi;
}

static bool is_zero_page(struct page *page)
{
	return frame_of(page).flags & PNM_PAGE_ZERO;
}

/* Does the model keep exact per-page pin counts (fixed at pnm_init)? */
static bool page_pins_kept(void)
{
	struct pnm_mem_info mi = { .size = sizeof(mi) };

	return !pnm_get_mem_info(&mi) && mi.page_pins_kept;
}

/* --- per-run state -------------------------------------------------------------
 * Kept as a scenario object so it lives exactly as long as one file's run.
 */

struct pin_owner {
	const char *name;		/* process name (script arena) */
	int pid;
};

struct pin_state {
	unsigned long before[PNM_NR_MISUSE];	/* misuse counts around the */
	unsigned long after[PNM_NR_MISUSE];	/* last acting step */
	struct pin_owner *owners;	/* processes that pinned: pids survive exit */
	size_t nowners, owners_cap;
};

static void pin_state_free(struct scn_run *r, void *obj)
{
	struct pin_state *s = obj;

	free(s->owners);
	free(s);
}

/* This run's state, created on first use; NULL on host out-of-memory. */
static struct pin_state *pin_state(struct scn_run *r)
{
	struct pin_state *s = scn_obj_find(r, NS_PIN_STATE, "state");

	if (s)
		return s;
	s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	for (int k = 0; k < PNM_NR_MISUSE; k++)
		s->before[k] = s->after[k] = pnm_misuse_count((enum pnm_misuse_kind)k);
	if (scn_obj_add(r, NS_PIN_STATE, "state", s, pin_state_free)) {
		free(s);
		return NULL;
	}
	return s;
}

/* Remember that process @name has pid @pid (to name it after it exits). */
static void owner_note(struct pin_state *s, const char *name, int pid)
{
	for (size_t i = 0; i < s->nowners; i++)
		if (!strcmp(s->owners[i].name, name)) {
			s->owners[i].pid = pid;
			return;
		}
	if (s->nowners == s->owners_cap) {
		size_t cap = s->owners_cap ? s->owners_cap * 2 : 8;
		struct pin_owner *o = realloc(s->owners, cap * sizeof(*o));

		if (!o)
			return;		/* only costs a name in a later message */
		s->owners = o;
		s->owners_cap = cap;
	}
	s->owners[s->nowners++] = (struct pin_owner){ name, pid };
}

/*
 * The pid of the process named by @v, live or exited.  Returns true with
 * *pid set; false if it has exited without ever pinning (it owns nothing).
 */
static bool owner_pid(struct scn_run *r, const struct scn_value *v, int *pid)
{
	struct pin_state *s = scn_obj_find(r, NS_PIN_STATE, "state");
	struct task_struct *t;

	for (size_t i = 0; s && i < s->nowners; i++)
		if (!strcmp(s->owners[i].name, v->word)) {
			*pid = s->owners[i].pid;
			return true;
		}
	t = scn_task(r, v);
	scn_detail(r, "%s", "");
	if (!t)
		return false;
	*pid = pnm_task_pid(t);
	return true;
}

/* --- the misuse window -------------------------------------------------------------- */

static const char *const misuse_words[] = {
	[PNM_MISUSE_PUT_ON_PIN] = "put-on-pin",
	[PNM_MISUSE_UNPIN_UNPINNED] = "unpin-unpinned",
	[PNM_MISUSE_OVER_UNPIN] = "over-unpin",
	[PNM_MISUSE_PIN_AT_EXIT] = "pin-at-exit",
	[PNM_MISUSE_DMA_TO_FREED] = "dma-to-freed",
	[PNM_MISUSE_REVOKED] = "revoked",
	[PNM_NR_MISUSE] = "any",
	NULL,
};

static unsigned long misuse_sum(const unsigned long *v)
{
	unsigned long n = 0;

	for (int k = 0; k < PNM_NR_MISUSE; k++)
		n += v[k];
	return n;
}

struct report_walk {
	struct scn_run *r;
	unsigned long seen;		/* reports visited so far */
	unsigned long from;		/* show those from this index on */
};

static void count_report(const struct pnm_misuse_report *rep, void *arg)
{
	((struct report_walk *)arg)->seen++;
}

/* Runs under the registry lock: only formats text. */
static void show_report(const struct pnm_misuse_report *rep, void *arg)
{
	struct report_walk *w = arg;

	if (w->seen++ >= w->from)
		scn_output(w->r, "misuse: %s\n", rep->text);
}

/*
 * Around every acting step: sample the misuse counts (the window of
 * "expect misuse KIND +N") and, after the step, show the reports it
 * caused (the registry keeps the most recent ones).
 */
static void pin_step_hook(struct scn_run *r, bool after)
{
	struct pin_state *s = pin_state(r);
	struct report_walk w = { r, 0, 0 };
	unsigned long fresh;

	if (!s)
		return;
	for (int k = 0; k < PNM_NR_MISUSE; k++)
		(after ? s->after : s->before)[k] = pnm_misuse_count((enum pnm_misuse_kind)k);
	if (!after) {
		memcpy(s->after, s->before, sizeof(s->after));
		return;
	}
	fresh = misuse_sum(s->after) - misuse_sum(s->before);
	if (!fresh)
		return;
	pnm_misuse_foreach(count_report, &w);
	w.from = w.seen > fresh ? w.seen - fresh : 0;
	w.seen = 0;
	pnm_misuse_foreach(show_report, &w);
}

static void __attribute__((constructor)) pin_register_step_hook(void)
{
	scn_register_step_hook(pin_step_hook);
}

/* --- pins ------------------------------------------------------------------------------ */

enum pin_api {
	API_PIN_USER_PAGES,
	API_PIN_USER_PAGES_FAST,
	API_PIN_USER_PAGES_REMOTE,
	API_PIN_USER_PAGES_UNLOCKED,
	API_GET_USER_PAGES,
	API_GET_USER_PAGES_FAST,
	API_GET_USER_PAGES_FAST_ONLY,
	API_GET_USER_PAGES_REMOTE,
	API_GET_USER_PAGES_UNLOCKED,
};
static const char *const api_words[] = {
	"pin_user_pages", "pin_user_pages_fast", "pin_user_pages_remote",
	"pin_user_pages_unlocked", "get_user_pages", "get_user_pages_fast",
	"get_user_pages_fast_only", "get_user_pages_remote", "get_user_pages_unlocked",
	NULL,
};

static bool api_is_get(enum pin_api api) { return api >= API_GET_USER_PAGES; }
static bool api_is_remote(enum pin_api api)
{
	return api == API_PIN_USER_PAGES_REMOTE || api == API_GET_USER_PAGES_REMOTE;
}

/* Flag words, in FOLL_* order of the table below. */
static const char *const foll_words[] = {
	"write", "longterm", "force", "nofault", "nowait", "anon", "split-pmd", "p2pdma",
	"foll-get", "foll-pin", NULL,
};
static const unsigned int foll_values[] = {
	FOLL_WRITE, FOLL_LONGTERM, FOLL_FORCE, FOLL_NOFAULT, FOLL_NOWAIT, FOLL_ANON,
	FOLL_SPLIT_PMD, FOLL_PCI_P2PDMA, FOLL_GET, FOLL_PIN,
};

enum { PO_API = 1, PO_TAG, PO_FLAGS, PO_LOCKED, PO_BY };	/* slots after the bits */
static const struct scn_option pin_opts[] = {
	{ "api", SCN_ARG_KEYWORD, api_words, NULL },
	{ "tag", SCN_ARG_STRING, NULL, NULL },
	{ "flags", SCN_ARG_INT, NULL, NULL },
	{ "locked", SCN_ARG_INT, NULL, NULL },
	{ "by", SCN_ARG_REF, NULL, SCN_NS_PROCESS },
	{ NULL, 0, NULL, NULL },
};

/* What a pin command took.  Owned by the run (scenario object NS_PIN). */
struct scn_pin {
	const char *owner;		/* process name (script arena) */
	struct task_struct *task;	/* the owner, referenced; may have exited */
	const char *file;		/* scenario file, for call sites */
	unsigned long start;		/* address passed */
	unsigned long nr_req;		/* pages asked for */
	long ret;			/* what the call returned */
	unsigned long nr;		/* pages it returned (ret > 0) */
	unsigned int gup_flags;		/* as passed */
	enum pin_api api;
	const char *what;		/* the call's name if not api's (adopted) */
	bool get;			/* FOLL_GET references: released by put */
	bool legacy;			/* taken in legacy mode */
	struct page **pages;		/* nr_req entries */
	bool *held;			/* per page: not released by the scenario */
	unsigned long nr_held;
};

/* The name of the call that took @pin. */
static const char *pin_what(const struct scn_pin *pin)
{
	return pin->what ? pin->what : api_words[pin->api];
}

static void pin_free(struct scn_pin *pin)
{
	if (pin->task)
		pnm_task_put(pin->task);
	free(pin->pages);
	free(pin->held);
	free(pin);
}

/*
 * Is @page of a (non-legacy) pin still counted as pinned at all?  Pins
 * belong to the folio (an unpin through another page of it may have taken
 * this page's count, legitimately): a page of a large folio is counted
 * while the folio has pins left.
 */
static bool pin_counted(const struct scn_pin *pin, struct page *page)
{
	struct pnm_page_info fi = frame_of(page);

	if (pin->get || pin->legacy || (fi.flags & PNM_PAGE_ZERO))
		return true;
	if (fi.order > 0)
		return fi.folio_pincount > 0;
	if (!page_pins_kept())
		return true;	/* no per-page counts kept: cannot tell */
	return fi.page_pins > 0;
}

/*
 * Release the held pages @idx[0..n) the way their owner should: unpin
 * (pins, in one unpin_user_pages call) or put_page (references).  Runs as
 * the owning process so the registry retires that process's pin.  Pages
 * whose pin a misuse already released elsewhere are skipped and counted
 * in *stolen.  Returns the number released.
 */
static unsigned long pin_release_pages(struct scn_pin *pin, const unsigned long *idx,
				       unsigned long n, const char *func, unsigned int line,
				       unsigned long *stolen)
{
	struct task_struct *prev = pnm_task_enter(pin->task);
	struct page **batch = malloc(sizeof(*batch) * (n ? n : 1));
	unsigned long nb = 0, done = 0;

	for (unsigned long i = 0; i < n; i++) {
		struct page *page = pin->pages[idx[i]];

		if (!pin->held[idx[i]])
			continue;
		pin->held[idx[i]] = false;
		pin->nr_held--;
		if (!pin_counted(pin, page)) {
			(*stolen)++;
			continue;
		}
		done++;
		if (pin->get) {
			put_page(page);
		} else if (batch) {
			batch[nb++] = page;
		} else {
			pnm_gup_set_call_site(pin->file, (int)line, func);
			(unpin_user_page)(page);
		}
	}
	if (nb) {
		pnm_gup_set_call_site(pin->file, (int)line, func);
		(unpin_user_pages)(batch, nb);
	}
	free(batch);
	pnm_task_leave(prev);
	return done;
}

/* Teardown: release what the scenario left, with a note. */
static void pin_release(struct scn_run *r, void *obj)
{
	struct scn_pin *pin = obj;
	unsigned long *idx, n = 0, stolen = 0, done;

	if (!pin->nr_held) {
		pin_free(pin);
		return;
	}
	idx = malloc(sizeof(*idx) * pin->nr);
	if (idx) {
		for (unsigned long i = 0; i < pin->nr; i++)
			if (pin->held[i])
				idx[n++] = i;
		done = pin_release_pages(pin, idx, n, "end of scenario", 0, &stolen);
		scn_output(r, "note: the runner %s %lu page%s that %s's %s left %s%s\n",
			   pin->get ? "put" : "unpinned", done, done == 1 ? "" : "s", pin->owner,
			   pin_what(pin), pin->get ? "referenced" : "pinned",
			   stolen ? " (others were released by a misuse)" : "");
		free(idx);
	}
	pin_free(pin);
}

static unsigned int foll_flags(const struct scn_value *f)
{
	unsigned int flags = 0;

	for (size_t i = 0; i < ARRAY_SIZE(foll_values); i++)
		if (f->num & BIT(i))
			flags |= foll_values[i];
	if (f[PO_FLAGS].present)
		flags |= (unsigned int)f[PO_FLAGS].num;
	return flags;
}

static int pin_check(struct scn_parser *p, const struct scn_step *st, const struct scn_value *a)
{
	const struct scn_value *f = &a[3];
	bool remote = f[PO_API].present && api_is_remote((enum pin_api)f[PO_API].index);

	if (a[2].num > PIN_MAX_PAGES)
		return scn_parse_error(p, &a[2].pos, "at most %lu pages per call", PIN_MAX_PAGES);
	if (f[PO_FLAGS].present && f[PO_FLAGS].num > UINT_MAX)
		return scn_parse_error(p, &f[PO_FLAGS].pos, "flags= is a 32-bit value");
	if (f[PO_LOCKED].present && !remote)
		return scn_parse_error(p, &f[PO_LOCKED].pos,
				       "locked= goes with api=pin_user_pages_remote or get_user_pages_remote");
	if (f[PO_LOCKED].present && f[PO_LOCKED].num > INT_MAX)
		return scn_parse_error(p, &f[PO_LOCKED].pos, "locked= is an int");
	if (f[PO_BY].present && !remote)
		return scn_parse_error(p, &f[PO_BY].pos,
				       "by= goes with api=pin_user_pages_remote or get_user_pages_remote");
	return 0;
}

/*
 * Call the entry point @api as its kernel callers do.  Sets the scenario
 * line as the call site and the tag for the registry.
 */
static long call_gup(const struct scn_step *st, enum pin_api api, struct task_struct *t,
		     struct task_struct *by, const struct scn_value *f, unsigned long start,
		     unsigned long nr, unsigned int flags, struct page **pages)
{
	const char *tag = f[PO_TAG].present ? (const char *)f[PO_TAG].data : NULL;
	struct mm_struct *mm = get_task_mm(t);	/* t is live: never NULL */
	struct task_struct *prev;
	int locked = 1, *lockedp = NULL;
	long ret;

	if (f[PO_LOCKED].present) {
		locked = (int)f[PO_LOCKED].num;
		lockedp = &locked;
	}
	/* Remote callers are some other context: the by= process or none. */
	prev = pnm_task_enter(api_is_remote(api) ? by : t);
	pnm_pin_set_tag(tag);
	/* The registry names the scenario line as the pin's call site. */
	pnm_gup_set_call_site(st->pos.file, (int)st->pos.line, "pin");
	switch (api) {
	case API_PIN_USER_PAGES:
	case API_GET_USER_PAGES:
		/* The caller holds current->mm's mmap_lock; GUP never drops it. */
		mmap_read_lock(mm);
		if (api == API_PIN_USER_PAGES)
			ret = (pin_user_pages)(start, nr, flags, pages);
		else
			ret = (get_user_pages)(start, nr, flags, pages);
		mmap_read_unlock(mm);
		break;
	case API_PIN_USER_PAGES_REMOTE:
	case API_GET_USER_PAGES_REMOTE:
		/* The caller holds @mm's lock; with locked=1 GUP may drop it and
		 * then says so by clearing *locked. */
		mmap_read_lock(mm);
		if (api == API_PIN_USER_PAGES_REMOTE)
			ret = (pin_user_pages_remote)(mm, start, nr, flags, pages, lockedp);
		else
			ret = (get_user_pages_remote)(mm, start, nr, flags, pages, lockedp);
		if (!lockedp || !(f[PO_LOCKED].num == 1 && locked == 0))
			mmap_read_unlock(mm);
		break;
	case API_PIN_USER_PAGES_UNLOCKED:
		ret = (pin_user_pages_unlocked)(start, nr, pages, flags);
		break;
	case API_GET_USER_PAGES_UNLOCKED:
		ret = (get_user_pages_unlocked)(start, nr, pages, flags);
		break;
	case API_PIN_USER_PAGES_FAST:
		ret = (pin_user_pages_fast)(start, (int)nr, flags, pages);
		break;
	case API_GET_USER_PAGES_FAST:
		ret = (get_user_pages_fast)(start, (int)nr, flags, pages);
		break;
	case API_GET_USER_PAGES_FAST_ONLY:
	default:
		ret = (get_user_pages_fast_only)(start, (int)nr, flags, pages);
		break;
	}
	pnm_pin_set_tag(NULL);
	pnm_task_leave(prev);
	mmput(mm);
	return ret;
}

/* "pfn 0x2000 0x2001 ..." for details. */
static void format_pfns(char *buf, size_t size, struct page **pages, unsigned long n)
{
	size_t o = 0;

	buf[0] = '\0';
	for (unsigned long i = 0; i < n && i < 4 && o < size; i++)
		o += (size_t)snprintf(buf + o, size - o, "%s0x%lx", i ? " " : "pfn ",
				      page_to_pfn(pages[i]));
	if (n > 4 && o < size)
		snprintf(buf + o, size - o, " ...");
}

static int pin_run(struct scn_run *r, const struct scn_step *st, const struct scn_value *a)
{
	struct task_struct *t = scn_task(r, &a[0]), *by = NULL;
	const struct scn_value *f = &a[3];
	enum pin_api api = f[PO_API].present ? (enum pin_api)f[PO_API].index :
			   API_PIN_USER_PAGES_FAST;
	unsigned long addr, nr = (unsigned long)a[2].num;
	unsigned int flags = foll_flags(f);
	char name[SCN_MAX_NAME + 16], fl[160], pfns[96];
	struct pin_state *s;
	struct scn_pin *pin;
	long ret;

	if (!t || scn_addr(r, &a[1], &addr))
		return SCN_FAILED;
	if (f[PO_BY].present && !(by = scn_task(r, &f[PO_BY])))
		return SCN_FAILED;
	if (a[10].present)
		snprintf(name, sizeof(name), "%s", a[10].word);
	else
		snprintf(name, sizeof(name), "@%u", st->pos.line);	/* not a valid name */
	if (scn_obj_find(r, NS_PIN, name))
		return scn_fail(r, "pin %s exists already", name);
	s = pin_state(r);
	pin = calloc(1, sizeof(*pin));
	if (!s || !pin) {
		free(pin);
		return -ENOMEM;
	}
	pin->pages = calloc(nr ? nr : 1, sizeof(*pin->pages));
	pin->held = calloc(nr ? nr : 1, sizeof(*pin->held));
	if (!pin->pages || !pin->held) {
		pin_free(pin);
		return -ENOMEM;
	}
	owner_note(s, a[0].word, pnm_task_pid(t));
	pnm_task_get(t);
	pin->task = t;
	pin->owner = a[0].word;
	pin->file = st->pos.file;
	pin->start = addr;
	pin->nr_req = nr;
	pin->gup_flags = flags;
	pin->api = api;
	pin->get = api_is_get(api);
	pin->legacy = pnm_get_config()->legacy_gup;

	ret = call_gup(st, api, t, by, f, addr, nr, flags, pin->pages);
	pin->ret = ret;
	if (ret > 0) {
		pin->nr = (unsigned long)ret > nr ? nr : (unsigned long)ret;
		for (unsigned long i = 0; i < pin->nr; i++)
			pin->held[i] = pin->pages[i] != NULL;
		for (unsigned long i = 0; i < pin->nr; i++)
			pin->nr_held += pin->held[i];
	}
	if (scn_obj_add(r, NS_PIN, name, pin, pin_release)) {
		pin_release(r, pin);
		return -ENOMEM;
	}
	if (ret < 0)
		return (int)ret;
	if ((unsigned long)ret > nr)
		return scn_fail(r, "%s returned %ld for %lu pages", api_words[api], ret, nr);
	fl[0] = ' ';
	pnm_gup_flags_str(flags, fl + 1, sizeof(fl) - 1);
	format_pfns(pfns, sizeof(pfns), pin->pages, pin->nr);
	scn_detail(r, "%s %ld of %lu page%s (%s%s)%s%s", pin->get ? "got" : "pinned", ret, nr,
		   nr == 1 ? "" : "s", api_words[api], flags ? fl : "", ret ? ": " : "", pfns);
	return 0;
}

/*
 * scn_pin_adopt - pins another capability's command took (scn.h): the
 * pin @name of no process, so that unpin, put, dma and the expectations
 * work on it.
 */
int scn_pin_adopt(struct scn_run *r, const char *name, const char *owner, const char *what,
		  unsigned long start, struct page **pages, unsigned long nr_req, long ret)
{
	struct scn_pin *pin;

	if (scn_obj_find(r, NS_PIN, name))
		return -EEXIST;
	pin = calloc(1, sizeof(*pin));
	if (!pin)
		return -ENOMEM;
	pin->pages = calloc(nr_req ? nr_req : 1, sizeof(*pin->pages));
	pin->held = calloc(nr_req ? nr_req : 1, sizeof(*pin->held));
	if (!pin->pages || !pin->held) {
		pin_free(pin);
		return -ENOMEM;
	}
	pin->owner = owner;
	pin->what = what;
	pin->start = start;
	pin->nr_req = nr_req;
	pin->ret = ret;
	pin->legacy = pnm_get_config()->legacy_gup;
	if (ret > 0) {
		pin->nr = (unsigned long)ret > nr_req ? nr_req : (unsigned long)ret;
		memcpy(pin->pages, pages, pin->nr * sizeof(*pages));
		for (unsigned long i = 0; i < pin->nr; i++)
			pin->held[i] = pin->pages[i] != NULL;
		for (unsigned long i = 0; i < pin->nr; i++)
			pin->nr_held += pin->held[i];
	}
	if (scn_obj_add(r, NS_PIN, name, pin, pin_release)) {
		pin->nr_held = 0;	/* the caller keeps them */
		pin_free(pin);
		return -ENOMEM;
	}
	return 0;
}

/* The pin named by @v, or NULL with the detail set (its pin step failed). */
static struct scn_pin *pin_get(struct scn_run *r, const struct scn_value *v)
{
	struct scn_pin *pin = scn_obj_find(r, NS_PIN, v->word);

	if (!pin)
		scn_fail(r, "pin %s was never taken (its step could not run)", v->word);
	return pin;
}

/* --- unpin and put --------------------------------------------------------------------- */

enum unpin_api {
	UNPIN_USER_PAGE, UNPIN_USER_PAGES, UNPIN_USER_PAGES_DIRTY_LOCK,
	UNPIN_USER_PAGE_RANGE_DIRTY_LOCK, UNPIN_FOLIO, UNPIN_FOLIOS, UNPIN_USER_FOLIO,
};
static const char *const unpin_api_words[] = {
	"unpin_user_page", "unpin_user_pages", "unpin_user_pages_dirty_lock",
	"unpin_user_page_range_dirty_lock", "unpin_folio", "unpin_folios",
	"unpin_user_folio", NULL,
};
static const char *const dirty_words[] = { "dirty", NULL };
static const char *const via_words[] = { "head", NULL };
enum { UO_PAGES = 1, UO_API, UO_VIA };	/* slots after the bits */
static const struct scn_option unpin_opts[] = {
	{ "pages", SCN_ARG_INT, NULL, NULL },
	{ "api", SCN_ARG_KEYWORD, unpin_api_words, NULL },
	{ "via", SCN_ARG_KEYWORD, via_words, NULL },
	{ NULL, 0, NULL, NULL },
};
static const struct scn_option put_opts[] = {
	{ "pages", SCN_ARG_INT, NULL, NULL },
	{ NULL, 0, NULL, NULL },
};

static int unpin_check(struct scn_parser *p, const struct scn_step *st, const struct scn_value *a)
{
	const struct scn_value *f = &a[1];

	if (f[UO_PAGES].present && (f[UO_PAGES].num < 1 || f[UO_PAGES].num > PIN_MAX_PAGES))
		return scn_parse_error(p, &f[UO_PAGES].pos, "pages= must be 1..%lu", PIN_MAX_PAGES);
	if (!strcmp(st->cmd->name, "unpin") && (f->num & 1) && f[UO_API].present &&
	    f[UO_API].index != UNPIN_USER_PAGES_DIRTY_LOCK &&
	    f[UO_API].index != UNPIN_USER_PAGE_RANGE_DIRTY_LOCK)
		return scn_parse_error(p, &f->pos, "dirty goes with the _dirty_lock variants");
	return 0;
}

/* Call @api on @pages[0..n) (physically contiguous runs for the range one). */
static void call_unpin(enum unpin_api api, struct page **pages, unsigned long n, bool dirty)
{
	unsigned long i, j;

	switch (api) {
	case UNPIN_USER_PAGE:
		for (i = 0; i < n; i++)
			(unpin_user_page)(pages[i]);
		break;
	case UNPIN_USER_PAGES:
		(unpin_user_pages)(pages, n);
		break;
	case UNPIN_USER_PAGES_DIRTY_LOCK:
		(unpin_user_pages_dirty_lock)(pages, n, dirty);
		break;
	case UNPIN_USER_PAGE_RANGE_DIRTY_LOCK:
		for (i = 0; i < n; i = j) {
			for (j = i + 1; j < n && page_to_pfn(pages[j]) ==
			     page_to_pfn(pages[j - 1]) + 1; j++)
				;
			unpin_user_page_range_dirty_lock(pages[i], j - i, dirty);
		}
		break;
	case UNPIN_FOLIO:
		for (i = 0; i < n; i++)
			unpin_folio(page_folio(pages[i]));
		break;
	case UNPIN_USER_FOLIO:
		/* One call per run of entries of one folio, for all their pins. */
		for (i = 0; i < n; i = j) {
			for (j = i + 1; j < n && page_folio(pages[j]) == page_folio(pages[i]); j++)
				;
			unpin_user_folio(page_folio(pages[i]), j - i);
		}
		break;
	case UNPIN_FOLIOS: {
		struct folio **folios = malloc(sizeof(*folios) * (n ? n : 1));

		for (i = 0; i < n; i++) {
			if (folios)
				folios[i] = page_folio(pages[i]);
			else
				unpin_folio(page_folio(pages[i]));
		}
		if (folios)
			unpin_folios(folios, n);
		free(folios);
		break;
	}
	}
}

/*
 * May a misuse unpin of @page (no pin of ours behind it) go to the
 * library?  Only where pnm_pin_registry_del() refuses it: it does unless
 * legacy mode runs without the registry (then every unpin is a put_page),
 * or the registry is off and no shadow counts are kept.
 * A dirtying variant would also touch a freed frame's flags first.
 */
static const char *misuse_unpin_refused(struct page *page, bool dirty)
{
	const struct pnm_config *c = pnm_get_config();

	if (c->legacy_gup && !c->pin_registry)
		return "legacy mode without the registry cannot tell an unpin without a pin";
	if (!c->pin_registry && !page_pins_kept())
		return "without the registry, debug or exact accounting no per-page pin count is kept: an unpin without a pin cannot be told";
	if (dirty && frame_of(page).kind == PNM_FRAME_FREE)
		return "the page has been freed (dirtying it would change a free frame)";
	if (frame_of(page).kind == PNM_FRAME_PAGE_TABLE)
		return "the frame now holds page tables";
	return NULL;
}

static int unpin_run(struct scn_run *r, const struct scn_step *st, const struct scn_value *a)
{
	struct scn_pin *pin = pin_get(r, &a[0]);
	const struct scn_value *f = &a[1];
	bool dirty = f->num & 1;
	enum unpin_api api = f[UO_API].present ? (enum unpin_api)f[UO_API].index :
			     dirty ? UNPIN_USER_PAGES_DIRTY_LOCK : UNPIN_USER_PAGES;
	bool via_head = f[UO_VIA].present;
	unsigned long want, n = 0, stolen = 0, zero = 0;
	struct task_struct *prev;
	struct page **batch;
	bool misuse;

	if (!pin)
		return SCN_FAILED;
	if (!pin->nr)
		return scn_fail(r, "%s has no pages (the call returned %ld)", a[0].word, pin->ret);
	/* Our own pins while any are held; otherwise a deliberate misuse. */
	misuse = pin->get || !pin->nr_held;
	want = f[UO_PAGES].present ? (unsigned long)f[UO_PAGES].num :
	       misuse ? pin->nr : pin->nr_held;
	if (!misuse && want > pin->nr_held)
		return scn_fail(r, "%s holds %lu pinned page%s, not %lu", a[0].word, pin->nr_held,
				pin->nr_held == 1 ? "" : "s", want);
	if (misuse && want > pin->nr)
		return scn_fail(r, "%s has %lu page%s, not %lu", a[0].word, pin->nr,
				pin->nr == 1 ? "" : "s", want);
	batch = malloc(sizeof(*batch) * want);
	if (!batch)
		return -ENOMEM;
	for (unsigned long i = 0; i < pin->nr && n < want; i++) {
		const char *why;

		if (!misuse && !pin->held[i])
			continue;
		if (misuse || !pin_counted(pin, pin->pages[i])) {
			why = misuse_unpin_refused(pin->pages[i], dirty);
			if (why) {
				free(batch);
				return scn_fail(r, "not unpinning page %lu of %s again: %s", i,
						a[0].word, why);
			}
		}
		/* Pins belong to the folio: any page of it may release them. */
		batch[n++] = via_head ? folio_page(page_folio(pin->pages[i]), 0) : pin->pages[i];
		zero += is_zero_page(pin->pages[i]);
		if (!misuse) {
			if (!pin_counted(pin, pin->pages[i]))
				stolen++;
			pin->held[i] = false;
			pin->nr_held--;
		}
	}
	prev = pnm_task_enter(pin->task);
	pnm_gup_set_call_site(st->pos.file, (int)st->pos.line, "unpin");
	call_unpin(api, batch, n, dirty);
	pnm_task_leave(prev);
	free(batch);
	if (misuse && zero == n)
		scn_detail(r, "%s on the zero page again: nothing to release (its pins are not "
			   "counted)", unpin_api_words[api]);
	else if (misuse)
		scn_detail(r, "%s on %lu page%s %s: a misuse", unpin_api_words[api], n,
			   n == 1 ? "" : "s", pin->get ? "that hold references, not pins" :
			   "already unpinned");
	else
		scn_detail(r, "%s on %lu page%s%s, %lu still pinned%s", unpin_api_words[api], n,
			   n == 1 ? "" : "s", via_head ? " (through their folios' heads)" : "",
			   pin->nr_held, stolen ? " (some had lost their pin to a misuse)" : "");
	return 0;
}

static int put_run(struct scn_run *r, const struct scn_step *st, const struct scn_value *a)
{
	struct scn_pin *pin = pin_get(r, &a[0]);
	const struct scn_value *f = &a[1];
	bool dirty = f->num & 1;
	unsigned long want, n = 0, zero = 0;
	struct task_struct *prev;

	if (!pin)
		return SCN_FAILED;
	if (!pin->nr_held)
		return scn_fail(r, "%s holds no pages (put_page on pages it does not hold would "
				"free someone else's)", a[0].word);
	if (!pin->get && pin->legacy)
		return scn_fail(r, "%s holds legacy pins: release them with unpin", a[0].word);
	want = f[UO_PAGES].present ? (unsigned long)f[UO_PAGES].num : pin->nr_held;
	if (want > pin->nr_held)
		return scn_fail(r, "%s holds %lu page%s, not %lu", a[0].word, pin->nr_held,
				pin->nr_held == 1 ? "" : "s", want);
	if (!pin->get) {
		/* put_page() on a pin: the misuse happens, then the reference is
		 * given back so the pin stays intact.  Never on the last reference. */
		for (unsigned long i = 0, k = 0; i < pin->nr && k < want; i++) {
			if (!pin->held[i])
				continue;
			k++;
			if (is_zero_page(pin->pages[i]))
				continue;	/* the zero page: pins hold nothing */
			if (frame_of(pin->pages[i]).refcount <= 1)
				return scn_fail(r, "put_page on page %lu of %s would free it under "
						"its pin", i, a[0].word);
		}
	}
	prev = pnm_task_enter(pin->task);
	for (unsigned long i = 0; i < pin->nr && n < want; i++) {
		struct page *page = pin->pages[i];

		if (!pin->held[i])
			continue;
		n++;
		if (!pin->get) {
			if (is_zero_page(page)) {
				zero++;
				continue;
			}
			put_page(page);
			get_page(page);		/* undo: the pin keeps its reference */
			continue;
		}
		if (dirty)
			set_page_dirty_lock(page);
		put_page(page);
		pin->held[i] = false;
		pin->nr_held--;
	}
	pnm_task_leave(prev);
	if (!pin->get && zero == n)
		scn_detail(r, "%s pins only the zero page, which holds no reference for it: "
			   "nothing put", a[0].word);
	else if (!pin->get)
		scn_detail(r, "put_page on %lu pinned page%s: a misuse (the reference was given "
			   "back; %s still holds its pins)", n - zero, n - zero == 1 ? "" : "s",
			   a[0].word);
	else
		scn_detail(r, "put_page on %lu page%s%s, %lu still held", n, n == 1 ? "" : "s",
			   dirty ? " (set_page_dirty_lock first)" : "", pin->nr_held);
	return 0;
}

/* --- the device --------------------------------------------------------------------------- */

static int offset_check(struct scn_parser *p, const struct scn_step *st, const struct scn_value *a)
{
	if (a[1].present && (a[1].index != SCN_OP_DELTA || a[1].delta < 0))
		return scn_parse_error(p, &a[1].pos, "give the offset as +N (bytes into the "
				       "first page of the pin)");
	return 0;
}

/*
 * Refuse device access that would corrupt the model rather than a
 * process's data: a write, through a released pin, into a frame that now
 * holds page tables or is reserved.  (Freed frames are the library's to
 * report; the zero page it refuses itself.)
 */
static int dma_guard(struct scn_run *r, const struct scn_pin *pin, const char *name,
		     size_t off, size_t len, bool write)
{
	if (!write || !len || off >= pin->nr * PAGE_SIZE || len > pin->nr * PAGE_SIZE - off)
		return 0;	/* reads are harmless; a bad range is -EINVAL */
	for (size_t i = off >> PAGE_SHIFT; i <= (off + len - 1) >> PAGE_SHIFT; i++) {
		struct pnm_page_info fi = frame_of(pin->pages[i]);

		if (pin->held[i] || (fi.flags & PNM_PAGE_ZERO))
			continue;
		if (fi.kind == PNM_FRAME_PAGE_TABLE || fi.kind == PNM_FRAME_RESERVED)
			return scn_fail(r, "page %zu of %s was released and its frame now holds %s: "
					"not letting the device write there", i, name,
					fi.kind == PNM_FRAME_PAGE_TABLE ? "page tables" :
					"reserved memory");
	}
	return 0;
}

/* What the step should say about a transfer touching released pages. */
static void dma_note(char *buf, size_t size, const struct scn_pin *pin, size_t off, size_t len,
		     bool write)
{
	unsigned long released = 0, zero = 0;

	buf[0] = '\0';
	if (!len || off >= pin->nr * PAGE_SIZE || len > pin->nr * PAGE_SIZE - off)
		return;		/* -EINVAL: nothing to say */
	for (size_t i = off >> PAGE_SHIFT; i <= (off + len - 1) >> PAGE_SHIFT; i++) {
		if (!pin->held[i])
			released++;
		else if (is_zero_page(pin->pages[i]))
			zero++;
	}
	if (released)
		snprintf(buf, size, "; %lu page%s already released (stale page array)", released,
			 released == 1 ? "" : "s");
	else if (zero && write)
		snprintf(buf, size, "; the zero page is never written");
}

static int dma_write_run(struct scn_run *r, const struct scn_step *st, const struct scn_value *a)
{
	struct scn_pin *pin = pin_get(r, &a[0]);
	size_t off = a[1].present ? (size_t)a[1].delta : 0, len = scn_data_len(&a[2]);
	long wrote = pnm_stat_read(scn_stat("pnm_dma_write_bytes"));
	unsigned char *buf;
	char note[96];
	int ret = 0;

	if (!pin)
		return SCN_FAILED;
	if (dma_guard(r, pin, a[0].word, off, len, true))
		return SCN_FAILED;
	buf = malloc(CHUNK);
	if (!buf)
		return -ENOMEM;
	for (size_t done = 0; done < len && !ret; done += CHUNK) {
		size_t n = min_t(size_t, CHUNK, len - done);

		scn_data_get(&a[2], done, buf, n);
		ret = pnm_dma_write(pin->pages, pin->nr, off + done, buf, n);
	}
	if (!len)
		ret = pnm_dma_write(pin->pages, pin->nr, off, buf, 0);
	free(buf);
	if (ret) {
		scn_detail(r, "bytes %zu..%zu of %s's %lu page%s", off, off + len, a[0].word,
			   pin->nr, pin->nr == 1 ? "" : "s");
		return ret;
	}
	/* Freed frames (reported) and the zero page are skipped by the device. */
	wrote = pnm_stat_read(scn_stat("pnm_dma_write_bytes")) - wrote;
	dma_note(note, sizeof(note), pin, off, len, true);
	if ((size_t)wrote == len)
		scn_detail(r, "device wrote %zu byte%s at +%zu%s", len, len == 1 ? "" : "s", off,
			   note);
	else
		scn_detail(r, "device wrote %ld of %zu bytes at +%zu%s", wrote, len, off, note);
	return 0;
}

static int dma_read_run(struct scn_run *r, const struct scn_step *st, const struct scn_value *a)
{
	struct scn_pin *pin = pin_get(r, &a[0]);
	size_t off = a[1].present ? (size_t)a[1].delta : 0, len = scn_data_len(&a[3]);
	unsigned char *got, *want;
	char note[96];
	int ret = 0;

	if (!pin)
		return SCN_FAILED;
	got = malloc(CHUNK);
	want = malloc(CHUNK);
	if (!got || !want) {
		ret = -ENOMEM;
		goto out_free;
	}
	dma_note(note, sizeof(note), pin, off, len, false);
	for (size_t done = 0; done < len || (!len && !done); done += CHUNK) {
		size_t n = min_t(size_t, CHUNK, len - done), i;
		char qg[200], qw[200];

		ret = pnm_dma_read(pin->pages, pin->nr, off + done, got, n);
		if (ret) {
			scn_detail(r, "bytes %zu..%zu of %s's %lu page%s", off, off + len, a[0].word,
				   pin->nr, pin->nr == 1 ? "" : "s");
			goto out_free;
		}
		if (!n)
			break;
		scn_data_get(&a[3], done, want, n);
		if (!memcmp(got, want, n))
			continue;
		for (i = 0; got[i] == want[i]; i++)
			;
		{
			size_t from = i > 8 ? i - 8 : 0;

			scn_quote(qg, sizeof(qg), got + from, n - from, 24);
			scn_quote(qw, sizeof(qw), want + from, n - from, 24);
			ret = scn_fail(r, "differs at +0x%zx: device read %s, expected %s%s",
				       off + done + i, qg, qw, note);
		}
		goto out_free;
	}
	if (len <= 64) {
		char q[300];

		scn_data_get(&a[3], 0, want, len);
		scn_quote(q, sizeof(q), want, len, 64);
		scn_detail(r, "device read %s%s", q, note);
	} else {
		scn_detail(r, "%zu bytes match%s", len, note);
	}
out_free:
	free(got);
	free(want);
	return ret;
}

/* --- the registry ------------------------------------------------------------------------- */

static int pins_run(struct scn_run *r, const struct scn_step *st, const struct scn_value *a)
{
	char *text = NULL;
	size_t len = 0;
	int pid = -1;
	FILE *mf;

	if (a[0].present && !owner_pid(r, &a[0], &pid)) {
		scn_output(r, "no pins\n");
		scn_detail(r, "%s never pinned", a[0].word);
		return 0;
	}
	mf = open_memstream(&text, &len);
	if (!mf)
		return -ENOMEM;
	pnm_pin_registry_print(mf, pid);
	fclose(mf);
	scn_output(r, "%s", text ? text : "");
	free(text);
	scn_detail(r, "%lu pinned page%s%s%s", pnm_pin_registry_count(pid),
		   pnm_pin_registry_count(pid) == 1 ? "" : "s", a[0].present ? " owned by " : "",
		   a[0].present ? a[0].word : "");
	return 0;
}

static int expect_pins_check(struct scn_parser *p, const struct scn_step *st,
			     const struct scn_value *a)
{
	if (a[0].present == a[1].present)
		return scn_parse_error(p, &a[0].pos, "give a process or 'all'");
	return 0;
}

static int expect_pins_run(struct scn_run *r, const struct scn_step *st, const struct scn_value *a)
{
	const char *who = a[0].present ? "all processes" : a[1].word;
	unsigned long have = 0;
	char want[48];
	int pid = -1;

	if (a[1].present && !owner_pid(r, &a[1], &pid))
		pid = INT_MIN;		/* exited without pinning: owns nothing */
	if (pid != INT_MIN)
		have = pnm_pin_registry_count(pid);
	scn_format_cmp(want, sizeof(want), &a[2]);
	if (!scn_compare(&a[2], (long)have))
		return scn_fail(r, "%s own %lu pinned page%s in the registry; expected %s", who,
				have, have == 1 ? "" : "s", want);
	scn_detail(r, "%s own %lu pinned page%s%s", who, have, have == 1 ? "" : "s",
		   pnm_get_config()->pin_registry ? "" : " (the registry is off)");
	return 0;
}

static int expect_pinned_run(struct scn_run *r, const struct scn_step *st,
			     const struct scn_value *a)
{
	struct scn_pin *pin = pin_get(r, &a[0]);
	char want[48];

	if (!pin)
		return SCN_FAILED;
	scn_format_cmp(want, sizeof(want), &a[1]);
	if (pin->ret < 0) {
		const char *e = pnm_errno_name((int)-pin->ret);

		return scn_fail(r, "%s failed with %s; expected %s", pin_what(pin),
				e ? e : "an error", want);
	}
	if (!scn_compare(&a[1], pin->ret))
		return scn_fail(r, "%s returned %ld; expected %s", pin_what(pin), pin->ret,
				want);
	scn_detail(r, "%s returned %ld (%lu still held)", pin_what(pin), pin->ret,
		   pin->nr_held);
	return 0;
}

static int expect_misuse_run(struct scn_run *r, const struct scn_step *st,
			     const struct scn_value *a)
{
	struct pin_state *s = scn_obj_find(r, NS_PIN_STATE, "state");
	int k = a[0].index;
	long have, delta;
	char want[48];

	if (k == PNM_NR_MISUSE) {
		have = 0;
		for (int i = 0; i < PNM_NR_MISUSE; i++)
			have += (long)pnm_misuse_count((enum pnm_misuse_kind)i);
		delta = s ? (long)(misuse_sum(s->after) - misuse_sum(s->before)) : 0;
	} else {
		have = (long)pnm_misuse_count((enum pnm_misuse_kind)k);
		delta = s ? (long)(s->after[k] - s->before[k]) : 0;
	}
	scn_format_cmp(want, sizeof(want), &a[1]);
	if (a[1].index == SCN_OP_DELTA) {
		if (!scn_compare(&a[1], delta))
			return scn_fail(r, "%s reports changed by %+ld over the last step; "
					"expected %s", a[0].word, delta, want);
		scn_detail(r, "%s reports changed by %+ld (now %ld)", a[0].word, delta, have);
		return 0;
	}
	if (!scn_compare(&a[1], have))
		return scn_fail(r, "%ld misuse report%s (%s); expected %s", have,
				have == 1 ? "" : "s", a[0].word, want);
	scn_detail(r, "%ld misuse report%s (%s)", have, have == 1 ? "" : "s", a[0].word);
	return 0;
}

/* --- show misuse / show report ---------------------------------------------------------- */

/* Misuse reports of kind @k so far (PNM_NR_MISUSE: of every kind). */
static long misuse_total(int k)
{
	long n = 0;

	for (int i = 0; i < PNM_NR_MISUSE; i++)
		if (k == PNM_NR_MISUSE || k == i)
			n += (long)pnm_misuse_count((enum pnm_misuse_kind)i);
	return n;
}

static int shown_misuse(struct scn_run *r, void *subject, const struct scn_value *a)
{
	scn_shown_number(subject, misuse_total(a[0].index));
	return 0;
}

struct last_report {
	int kind;			/* PNM_NR_MISUSE: any */
	char text[sizeof(((struct pnm_misuse_report *)0)->text)];
};

static void find_last_report(const struct pnm_misuse_report *rep, void *arg)
{
	struct last_report *last = arg;

	if (last->kind == PNM_NR_MISUSE || (int)rep->kind == last->kind)
		snprintf(last->text, sizeof(last->text), "%s", rep->text);
}

static int shown_report(struct scn_run *r, void *subject, const struct scn_value *a)
{
	struct last_report last = { .kind = a[0].index, .text = "none" };
	struct scn_shown *out = subject;

	pnm_misuse_foreach(find_last_report, &last);
	snprintf(out->text, sizeof(out->text), "%s", last.text);
	return 0;
}

/* --- expect pin: page properties of a pin's pages ------------------------------------------- */

static int expect_pin_run(struct scn_run *r, const struct scn_step *st, const struct scn_value *a)
{
	struct scn_pin *pin = pin_get(r, &a[0]);
	unsigned long i = a[2].present ? (unsigned long)a[2].num : 0;
	const struct scn_cmd *prop = a[4].variant;
	bool negate = a[3].present;
	struct scn_page_info pi;
	unsigned long pfn = 0;
	bool w = false;
	int ret;

	if (!pin)
		return SCN_FAILED;
	if (i >= pin->nr)
		return scn_fail(r, "%s has %lu page%s (the call returned %ld)", a[0].word, pin->nr,
				pin->nr == 1 ? "" : "s", pin->ret);
	if (!pin->held[i])
		return scn_fail(r, "page %lu of %s was released: its frame may belong to anyone "
				"now", i, a[0].word);
	/* The page as the device sees it; "writable" says whether the owner
	 * still maps this very frame writable at the pinned address. */
	memset(&pi, 0, sizeof(pi));
	pi.task = pin->task;
	pi.addr = (pin->start & PAGE_MASK) + i * PAGE_SIZE;
	ret = scn_frame_info(page_to_pfn(pin->pages[i]), &pi);
	if (ret)
		return ret;
	if (pin->task && !pnm_translate(pin->task, pi.addr, &pfn, &w) && pfn == pi.pfn)
		pi.writable = w;
	ret = prop->test(r, &pi, &a[5]);
	if (ret == -ESRCH)
		return SCN_FAILED;
	if (ret < 0)
		return scn_fail(r, "cannot tell for pfn 0x%lx%s", pi.pfn,
				(pi.frame.flags & PNM_PAGE_ZERO) ? " (the zero page)" : "");
	if (!negate)
		return ret;
	if (ret == 0)
		return scn_fail(r, "page %lu of %s (pfn 0x%lx) is %s", i, a[0].word, pi.pfn,
				prop->name);
	scn_detail(r, "not %s: page %lu of %s is pfn 0x%lx", prop->name, i, a[0].word, pi.pfn);
	return 0;
}

/* --- page properties ------------------------------------------------------------------------ */

static int prop_pinned(struct scn_run *r, void *subject, const struct scn_value *a)
{
	struct scn_page_info *pi = subject;
	const struct pnm_config *c = pnm_get_config();
	bool pinned;

	if (!pi->present)
		return -ENOENT;
	pinned = pi->frame.flags & PNM_PAGE_MAYBE_PINNED;
	scn_detail(r, "pfn 0x%lx: page_maybe_dma_pinned() is %s (%s accounting; refcount %d, "
		   "exact pins %d)", pi->pfn, pinned ? "true" : "false",
		   c->pin_accounting == PNM_PIN_ACCOUNTING_EXACT ? "exact" : "linux",
		   pi->frame.refcount, pi->frame.page_pins);
	return pinned ? 0 : SCN_FAILED;
}

static int prop_pincount(struct scn_run *r, void *subject, const struct scn_value *a)
{
	struct scn_page_info *pi = subject;
	char want[48];
	int n;

	if (!pi->present)
		return -ENOENT;
	n = pi->frame.page_pins;
	scn_format_cmp(want, sizeof(want), &a[0]);
	scn_detail(r, "pfn 0x%lx has %d pin%s (expected %s)", pi->pfn, n, n == 1 ? "" : "s", want);
	return scn_compare(&a[0], n) ? 0 : SCN_FAILED;
}

static int prop_dirty(struct scn_run *r, void *subject, const struct scn_value *a)
{
	struct scn_page_info *pi = subject;
	bool dirty;

	if (!pi->present || (pi->frame.flags & PNM_PAGE_ZERO))
		return -ENOENT;
	dirty = pi->frame.flags & PNM_PAGE_DIRTY;
	scn_detail(r, "folio 0x%lx is %sdirty", pi->frame.head_pfn, dirty ? "" : "not ");
	return dirty ? 0 : SCN_FAILED;
}

/* --- tables ------------------------------------------------------------------------------------ */

#define TASK(n)		{ .type = SCN_ARG_REF, .name = n, .ns = SCN_NS_PROCESS }
#define PIN(n)		{ .type = SCN_ARG_REF, .name = n, .ns = NS_PIN }
#define OFFSET		{ .type = SCN_ARG_CHANGE, .name = "+offset", .flags = SCN_OPTIONAL }
#define CMP(n)		{ .type = SCN_ARG_CMP, .name = n }
#define END		{ .type = SCN_ARG_END }

static const struct scn_arg pin_args[] = {
	TASK("process"),
	{ .type = SCN_ARG_ADDR, .name = "address" },
	{ .type = SCN_ARG_INT, .name = "pages" },
	{ .type = SCN_ARG_FLAGS, .name = "flag", .choices = foll_words, .options = pin_opts },
	{ .type = SCN_ARG_LITERAL, .name = "as", .flags = SCN_OPTIONAL },
	{ .type = SCN_ARG_DEF, .name = "name", .ns = NS_PIN, .flags = SCN_OPTIONAL },
	END };
static const struct scn_arg unpin_args[] = {
	PIN("pin"),
	{ .type = SCN_ARG_FLAGS, .name = "flag", .choices = dirty_words, .options = unpin_opts },
	END };
static const struct scn_arg put_args[] = {
	PIN("pin"),
	{ .type = SCN_ARG_FLAGS, .name = "flag", .choices = dirty_words, .options = put_opts },
	END };
static const struct scn_arg dma_write_args[] = {
	PIN("pin"), OFFSET, { .type = SCN_ARG_DATA, .name = "data" }, END };
static const struct scn_arg dma_read_args[] = {
	PIN("pin"), OFFSET, { .type = SCN_ARG_LITERAL, .name = "expect" },
	{ .type = SCN_ARG_DATA, .name = "data" }, END };
static const struct scn_arg pins_args[] = {
	{ .type = SCN_ARG_REF, .name = "process", .ns = SCN_NS_PROCESS, .flags = SCN_OPTIONAL },
	END };
static const char *const all_word[] = { "all", NULL };
static const struct scn_arg expect_pins_args[] = {
	{ .type = SCN_ARG_KEYWORD, .name = "all", .choices = all_word, .flags = SCN_OPTIONAL },
	{ .type = SCN_ARG_REF, .name = "process", .ns = SCN_NS_PROCESS, .flags = SCN_OPTIONAL },
	CMP("pages"), END };
static const struct scn_arg expect_pinned_args[] = { PIN("pin"), CMP("count"), END };
static const struct scn_arg expect_misuse_args[] = {
	{ .type = SCN_ARG_KEYWORD, .name = "kind", .choices = misuse_words },
	{ .type = SCN_ARG_CHANGE, .name = "change" }, END };
static const struct scn_arg expect_pin_args[] = {
	PIN("pin"),
	{ .type = SCN_ARG_LITERAL, .name = "page", .flags = SCN_OPTIONAL },
	{ .type = SCN_ARG_INT, .name = "index", .flags = SCN_OPTIONAL },
	{ .type = SCN_ARG_LITERAL, .name = "not", .flags = SCN_OPTIONAL },
	{ .type = SCN_ARG_VARIANT, .name = "property", .family = "page-property" }, END };
static const struct scn_arg none_args[] = { END };
static const struct scn_arg cmp_args[] = { CMP("count"), END };

#define EXPECT_LOOK	(SCN_EXPECT | SCN_OBSERVE)

static const struct scn_cmd pin_cmds[] = {
	{ .name = "pin", .section = "pins", .args = pin_args, .run = pin_run, .check = pin_check,
	  .help = "GUP through any entry point (api=, default pin_user_pages_fast) with FOLL_* "
		  "flags and name the result; get_* entry points take references (release: put)",
	  .example = "pin A buf+4K 4 write longterm tag=\"rdma\" as P1" },
	{ .name = "unpin", .section = "pins", .args = unpin_args, .run = unpin_run,
	  .check = unpin_check,
	  .help = "unpin_user_pages the pin's pages (pages=N: the next N; dirty: the "
		  "_dirty_lock variant; api= another unpin function; via=head: name each "
		  "folio's head page instead); unpinning again or unpinning references is a misuse",
	  .example = "unpin P1 dirty" },
	{ .name = "put", .section = "pins", .args = put_args, .run = put_run, .check = unpin_check,
	  .help = "put_page each page of a get_* result (dirty: set_page_dirty_lock first); "
		  "on a pin it is a misuse, reported, and the reference is given back",
	  .example = "put G1" },
	{ .name = "dma write", .section = "pins", .args = dma_write_args, .run = dma_write_run,
	  .check = offset_check,
	  .help = "the device writes through the pin's page array (not the page tables), "
		  "+offset bytes into its first page",
	  .example = "dma write P1 +100 \"from the NIC\"" },
	{ .name = "dma read", .section = "pins", .args = dma_read_args, .run = dma_read_run,
	  .check = offset_check, .flags = EXPECT_LOOK,
	  .help = "the device reads these bytes through the pin's page array",
	  .example = "dma read P1 +100 expect \"from the NIC\"" },
	{ .name = "pins", .section = "inspect", .args = pins_args, .run = pins_run,
	  .flags = SCN_OBSERVE,
	  .help = "print the pin registry: every live pin call (owner, tag, call site, range, "
		  "flags), of one process or all",
	  .example = "pins A" },
	{ .name = "expect pinned", .section = "expect", .args = expect_pinned_args,
	  .run = expect_pinned_run, .flags = EXPECT_LOOK,
	  .help = "what the pin's GUP call returned (pages done; 0 for pin_user_pages' "
		  "invalid arguments)",
	  .example = "expect pinned P1 == 4" },
	{ .name = "expect pin", .section = "expect", .args = expect_pin_args,
	  .run = expect_pin_run, .flags = EXPECT_LOOK,
	  .help = "a page property of page N (default 0) of the pin, as the device sees it "
		  "(no page tables involved)",
	  .example = "expect pin P1 page 1 zone Normal" },
	{ .name = "expect pins", .section = "expect", .args = expect_pins_args,
	  .run = expect_pins_run, .check = expect_pins_check, .flags = EXPECT_LOOK,
	  .help = "live pinned pages the registry holds for a process (or all)",
	  .example = "expect pins A == 4" },
	{ .name = "expect misuse", .section = "expect", .args = expect_misuse_args,
	  .run = expect_misuse_run, .flags = EXPECT_LOOK,
	  .help = "+N/-N: misuse reports of that kind over the last acting step; OP N: since "
		  "the start",
	  .example = "expect misuse put-on-pin +1" },
};
SCN_REGISTER(pin_cmds)

static const struct scn_arg shown_misuse_args[] = {
	{ .type = SCN_ARG_KEYWORD, .name = "kind", .choices = misuse_words }, END };

static const struct scn_cmd pin_shown[] = {
	{ .name = "misuse", .family = "shown", .args = shown_misuse_args, .test = shown_misuse,
	  .help = "misuse reports of that kind (or any) since the start" },
	{ .name = "report", .family = "shown", .args = shown_misuse_args, .test = shown_report,
	  .help = "the text of the last misuse report of that kind kept, or \"none\"" },
};
SCN_REGISTER(pin_shown)

#define PAGE_PROP(n, a, fn, h)	\
	{ .name = n, .family = "page-property", .args = a, .test = fn, .help = h }

static const struct scn_cmd pin_page_props[] = {
	PAGE_PROP("pinned", none_args, prop_pinned,
		  "page_maybe_dma_pinned() (linux accounting: false positives possible)"),
	PAGE_PROP("pincount", cmp_args, prop_pincount, "the page's exact pin count"),
	PAGE_PROP("dirty", none_args, prop_dirty, "the folio is marked dirty (PG_dirty)"),
};
SCN_REGISTER(pin_page_props)
