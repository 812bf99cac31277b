/* SPDX-License-Identifier: MIT */
/*
 * scn_owner.c - the scenario commands of pin owners (struct vaddr_pin,
 * <pinmm/vaddr_pin.h>) and layout leases: one command family that every
 * pinning call site shares, since each of them is a thin consumer of an
 * owner.
 *
 *   owner NAME PROCESS [write] [longterm] [file=F] [revoke=release|ignore|later]
 *                                   create an owner (vaddr_pin_create) and
 *                                   say what its revoke callback does
 *   owner-pin OWNER ADDR NPAGES [api=...]    one extent (vaddr_pin_*)
 *   owner-unpin OWNER ADDR [dirty] [api=...] release one extent
 *   owner-release OWNER [all] [dirty]        release what a lease break asked
 *                                   for (extents tied or quarantined)
 *   owner-dma write OWNER ADDR DATA          the device, by user address
 *   owner-dma read OWNER ADDR SIZE           through the owner
 *   owner-destroy OWNER                      vaddr_pin_destroy
 *   lease F [deadline=MS], unlease F         layout leases
 *   owners [PROCESS]                         per owner and per file, like
 *                                   the proposed /proc/<pid>/file_pins
 *   expect owner OWNER [not] PROPERTY        state, pages, extents, tied,
 *                                   quarantined, refused, revoke-calls, reads
 *   expect lease F held|none|tied CMP
 *
 * Owners live in the SCN_NS_OWNER namespace; another capability that
 * creates one (a call site's registration command) hands it over with
 * scn_owner_add() and every command here works on it.  Each run keeps
 * its owners in creation order (a scenario object) for the listing.
 *
 * Revoke callbacks run inside the step that breaks the lease (truncate,
 * punch), in the scenario's own thread: "release" unpins the tied
 * extents there and then, "ignore" does nothing (the deadline passes and
 * the owner is revoked by force), "later" notes the request for a later
 * owner-release (which, in a single-threaded scenario, also comes after
 * the deadline).  What a callback did is shown under the breaking step.
 *
 * Calls go through the public API only; every pin and unpin records the
 * scenario line as its call site, so listings and misuse reports name it.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include "scn.h"

#define NS_OWNER_STATE	"owner-state"
#define PIN_MAX_PAGES	(1UL << 18)	/* 1G of 4K pages: all the model has */
#define DMA_ONE_CALL	(1UL << 20)	/* transfers up to this are one call */
#define CHUNK		65536		/* bytes per call beyond that */

enum revoke_mode { REVOKE_RELEASE, REVOKE_IGNORE, REVOKE_LATER, REVOKE_FOREIGN };
static const char *const revoke_words[] = { "release", "ignore", "later", NULL };

/* One owner under a scenario name.  Owned by the run (SCN_NS_OWNER). */
struct scn_owner {
	struct scn_run *r;		/* for the revoke callback's output */
	char name[SCN_MAX_NAME + 1];
	struct vaddr_pin *vp;		/* NULL once destroyed */
	struct task_struct *task;	/* referenced */
	const char *process;		/* its name (script arena) */
	struct file *file;		/* f_owner: the owner holds a reference */
	enum revoke_mode revoke;	/* REVOKE_FOREIGN: not our callback */
	const char *site_file;		/* where it was created: the callback's */
	unsigned int site_line;		/* unpins name that line */
	unsigned long revoke_calls;	/* revoke callbacks run */
	bool release_pending;		/* "later": asked, not yet released */
};

/* This run's owners in creation order (the listing's order). */
struct owner_state {
	struct scn_owner **v;
	size_t n, cap;
};

static void owner_state_free(struct scn_run *r, void *obj)
{
	struct owner_state *s = obj;

	free(s->v);
	free(s);
}

static struct owner_state *owner_state(struct scn_run *r)
{
	struct owner_state *s = scn_obj_find(r, NS_OWNER_STATE, "state");

	if (s)
		return s;
	s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	if (scn_obj_add(r, NS_OWNER_STATE, "state", s, owner_state_free)) {
		free(s);
		return NULL;
	}
	return s;
}

/* --- releasing extents ------------------------------------------------------------ */

#define REL_TIED	0x1	/* tied to a layout lease */
#define REL_QUARANTINED	0x2	/* revoked by force */
#define REL_ALL		0x4

/*
 * Release the extents of @o that @which selects (vaddr_unpin_user_pages),
 * naming @file:@line @func as the call site; adds what it released to *@n
 * and *@pages.  Returns 0 or the first unpin's error.
 */
static int owner_unpin_where(struct scn_owner *o, unsigned int which, bool dirty,
			     const char *file, unsigned int line, const char *func,
			     unsigned long *n, unsigned long *pages)
{
	struct pnm_vaddr_pin_extent ext = { .size = sizeof(ext) };
	unsigned long addr = 0;
	int ret;

	while (!pnm_vaddr_pin_extent_next(o->vp, addr, &ext)) {
		addr = ext.start + ext.pages * PAGE_SIZE;
		if (!(which & REL_ALL) &&
		    !((which & REL_TIED) && (ext.flags & PNM_VADDR_PIN_EXTENT_LEASED)) &&
		    !((which & REL_QUARANTINED) && (ext.flags & PNM_VADDR_PIN_EXTENT_QUARANTINED)))
			continue;
		pnm_gup_set_call_site(file, (int)line, func);
		ret = vaddr_unpin_user_pages(o->vp, ext.start, dirty);
		if (ret)
			return ret;
		(*n)++;
		*pages += ext.pages;
	}
	return 0;
}

static const char *plural(unsigned long n)
{
	return n == 1 ? "" : "s";
}

/* The revoke callback of the owners made by `owner` (vaddr_pin_ops). */
static void owner_revoke(struct vaddr_pin *vp, void *arg)
{
	struct scn_owner *o = arg;
	unsigned long n = 0, pages = 0;
	int ret;

	(void)vp;
	o->revoke_calls++;
	switch (o->revoke) {
	case REVOKE_RELEASE:
		ret = owner_unpin_where(o, REL_TIED, true, o->site_file, o->site_line, "revoke",
					&n, &pages);
		scn_output(o->r, "revoke: owner %s released %lu extent%s of %lu page%s tied to "
			   "the lease%s\n", o->name, n, plural(n), pages, plural(pages),
			   ret ? " (an unpin failed)" : "");
		break;
	case REVOKE_IGNORE:
		scn_output(o->r, "revoke: owner %s ignores the lease break\n", o->name);
		break;
	case REVOKE_LATER:
	default:
		o->release_pending = true;
		scn_output(o->r, "revoke: owner %s will release later (owner-release)\n", o->name);
		break;
	}
}

static const struct vaddr_pin_ops owner_ops = { .revoke = owner_revoke };

/* Teardown (or owner-destroy, with o->vp NULL): release what is left. */
static void owner_release(struct scn_run *r, void *obj)
{
	struct scn_owner *o = obj;
	struct owner_state *s = scn_obj_find(r, NS_OWNER_STATE, "state");

	if (o->vp) {
		unsigned long n = 0, pages = 0;

		owner_unpin_where(o, REL_ALL, false, o->site_file, 0, "end of scenario", &n,
				  &pages);
		if (n)
			scn_output(r, "note: the runner released %lu pin%s of %lu page%s that "
				   "owner %s still held\n", n, plural(n), pages, plural(pages),
				   o->name);
		vaddr_pin_destroy(o->vp);
	}
	for (size_t i = 0; s && i < s->n; i++) {
		if (s->v[i] == o) {
			memmove(&s->v[i], &s->v[i + 1], (s->n - i - 1) * sizeof(*s->v));
			s->n--;
			break;
		}
	}
	pnm_task_put(o->task);
	free(o);
}

/* Register @o as @name: 0, -EEXIST, -ENOMEM (nothing registered). */
static int owner_register(struct scn_run *r, struct scn_owner *o)
{
	struct owner_state *s = owner_state(r);

	if (!s)
		return -ENOMEM;
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 8;
		struct scn_owner **v = realloc(s->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		s->v = v;
		s->cap = cap;
	}
	if (scn_obj_add(r, SCN_NS_OWNER, o->name, o, owner_release))
		return scn_obj_find(r, SCN_NS_OWNER, o->name) ? -EEXIST : -ENOMEM;
	s->v[s->n++] = o;
	return 0;
}

/* Hand an owner created elsewhere over to the scenario (scn.h). */
int scn_owner_add(struct scn_run *r, const char *name, struct vaddr_pin *vp,
		  struct task_struct *task, const char *process, struct file *file)
{
	struct scn_owner *o = calloc(1, sizeof(*o));
	int ret;

	if (!o)
		return -ENOMEM;
	o->r = r;
	snprintf(o->name, sizeof(o->name), "%s", name);
	o->vp = vp;
	o->task = task;
	o->process = process;
	o->file = file;
	o->revoke = REVOKE_FOREIGN;
	ret = owner_register(r, o);
	if (ret) {
		free(o);
		return ret;
	}
	pnm_task_get(task);
	return 0;
}

static struct scn_owner *owner_get(struct scn_run *r, const struct scn_value *v)
{
	struct scn_owner *o = scn_obj_find(r, SCN_NS_OWNER, v->word);

	if (!o || !o->vp) {
		scn_fail(r, "owner %s does not exist (destroyed, or its step failed)", v->word);
		return NULL;
	}
	return o;
}

/* A call site destroyed the owner it handed over (scn.h). */
void scn_owner_forget(struct scn_run *r, const char *name)
{
	struct scn_owner *o = scn_obj_find(r, SCN_NS_OWNER, name);

	if (o && o->revoke == REVOKE_FOREIGN)
		o->vp = NULL;
}

/* The owner a SCN_NS_OWNER value names (scn.h). */
struct vaddr_pin *scn_owner(struct scn_run *r, const struct scn_value *v)
{
	struct scn_owner *o = owner_get(r, v);

	return o ? o->vp : NULL;
}

/* --- describing owners and extents -------------------------------------------------- */

static const char *mode_words(unsigned int flags)
{
	static const char *const m[] = { "read", "write", "read longterm", "write longterm" };

	return m[flags & (VADDR_PIN_WRITE | VADDR_PIN_LONGTERM)];
}

static const char *state_word(unsigned int state)
{
	if (state & PNM_VADDR_PIN_REVOKED)
		return "revoked";
	if (state & PNM_VADDR_PIN_REVOKE_ASKED)
		return "asked";
	return "active";
}

static struct pnm_vaddr_pin_info owner_info(const struct scn_owner *o)
{
	struct pnm_vaddr_pin_info info = { .size = sizeof(info) };

	if (pnm_vaddr_pin_get_info(o->vp, &info))
		memset(&info, 0, sizeof(info));
	return info;
}

/* ", leased", ", quarantined", ", truncated", ", coalesced" for an
 * extent's flags. */
static void extent_flags(char *buf, size_t size, unsigned int flags)
{
	snprintf(buf, size, "%s%s%s%s", (flags & PNM_VADDR_PIN_EXTENT_LEASED) ? ", leased" : "",
		 (flags & PNM_VADDR_PIN_EXTENT_QUARANTINED) ? ", quarantined" : "",
		 (flags & PNM_VADDR_PIN_EXTENT_TRUNCATED) ? ", truncated" : "",
		 (flags & PNM_VADDR_PIN_EXTENT_COALESCED) ? ", coalesced" : "");
}

/* "disk:F +0x1000" (the pages' file and offset) or "anonymous", then
 * the flags. */
static void extent_where(char *buf, size_t size, const struct pnm_vaddr_pin_extent *e)
{
	char fl[48];

	extent_flags(fl, sizeof(fl), e->flags);
	if (!e->file[0])
		snprintf(buf, size, "anonymous%s", fl);
	else if (e->file_pages != e->pages)
		snprintf(buf, size, "%s +0x%llx (%lu page%s of it)%s", e->file, e->file_offset,
			 e->file_pages, plural(e->file_pages), fl);
	else
		snprintf(buf, size, "%s +0x%llx%s", e->file, e->file_offset, fl);
}

/* The extent of @o starting at @start: 0, or -ENOENT. */
static int extent_at(const struct scn_owner *o, unsigned long start,
		     struct pnm_vaddr_pin_extent *e)
{
	e->size = sizeof(*e);
	if (pnm_vaddr_pin_extent_next(o->vp, start, e) || e->start != start)
		return -ENOENT;
	return 0;
}

/* --- owner ------------------------------------------------------------------------------ */

enum { OF_WRITE, OF_LONGTERM };
static const char *const owner_words[] = { "write", "longterm", NULL };
enum { OO_FILE = 1, OO_REVOKE };		/* slots after the bits */
static const struct scn_option owner_opts[] = {
	{ "file", SCN_ARG_REF, NULL, SCN_NS_FILE },
	{ "revoke", SCN_ARG_KEYWORD, revoke_words, NULL },
	{ NULL, 0, NULL, NULL },
};

static int owner_run(struct scn_run *r, const struct scn_step *st, const struct scn_value *a)
{
	struct task_struct *t = scn_task(r, &a[1]);
	const struct scn_value *f = &a[2];
	struct vaddr_pin_params p = { .size = sizeof(p), .ops = &owner_ops };
	struct pnm_vaddr_pin_info info;
	struct scn_owner *o;
	int ret;

	if (!t)
		return SCN_FAILED;
	o = calloc(1, sizeof(*o));
	if (!o)
		return -ENOMEM;
	if (f[OO_FILE].present && !(o->file = scn_file(r, &f[OO_FILE]))) {
		free(o);
		return SCN_FAILED;
	}
	o->r = r;
	snprintf(o->name, sizeof(o->name), "%s", a[0].word);
	o->task = t;
	o->process = a[1].word;
	o->revoke = f[OO_REVOKE].present ? (enum revoke_mode)f[OO_REVOKE].index : REVOKE_RELEASE;
	o->site_file = st->pos.file;
	o->site_line = st->pos.line;
	p.task = t;
	p.f_owner = o->file;
	p.flags = ((f->num & BIT(OF_WRITE)) ? VADDR_PIN_WRITE : 0) |
		  ((f->num & BIT(OF_LONGTERM)) ? VADDR_PIN_LONGTERM : 0);
	p.name = o->name;
	p.ops_arg = o;
	ret = vaddr_pin_create(&p, &o->vp);
	if (ret) {
		free(o);
		return ret;
	}
	ret = owner_register(r, o);
	if (ret) {
		vaddr_pin_destroy(o->vp);
		free(o);
		return ret;
	}
	pnm_task_get(t);
	info = owner_info(o);
	scn_detail(r, "owner %lu of pid %d: %s, %s%s, revoke=%s", info.id, info.pid,
		   mode_words(info.flags), info.file[0] ? "f_owner " : "no file",
		   info.file, revoke_words[o->revoke]);
	return 0;
}

/* --- owner-pin, owner-unpin, owner-release, owner-destroy ---------------------------------- */

static const char *const pin_api_words[] = { "vaddr_pin_user_pages", "vaddr_pin_pages", NULL };
static const char *const unpin_api_words[] = {
	"vaddr_unpin_user_pages", "vaddr_unpin_pages", NULL };
static const struct scn_option pin_opts[] = {
	{ "api", SCN_ARG_KEYWORD, pin_api_words, NULL },
	{ NULL, 0, NULL, NULL },
};
static const struct scn_option unpin_opts[] = {
	{ "api", SCN_ARG_KEYWORD, unpin_api_words, NULL },
	{ NULL, 0, NULL, NULL },
};

static int owner_pin_check(struct scn_parser *p, const struct scn_step *st,
			   const struct scn_value *a)
{
	if (a[2].num > PIN_MAX_PAGES)
		return scn_parse_error(p, &a[2].pos, "at most %lu pages per call", PIN_MAX_PAGES);
	return 0;
}

static int owner_pin_run(struct scn_run *r, const struct scn_step *st, const struct scn_value *a)
{
	struct scn_owner *o = owner_get(r, &a[0]);
	bool locked_api = a[4].present && a[4].index == 1;
	unsigned long addr, nr = (unsigned long)a[2].num;
	struct pnm_vaddr_pin_extent e;
	struct mm_struct *mm = NULL;
	char where[160];
	long ret;

	if (!o || scn_addr(r, &a[1], &addr))
		return SCN_FAILED;
	pnm_gup_set_call_site(st->pos.file, (int)st->pos.line, "owner-pin");
	if (locked_api) {
		/* The caller holds the owner's mmap_lock (none left once the
		 * process has exited: then there is nothing to hold). */
		if (!pnm_task_exited(o->task))
			mm = get_task_mm(o->task);
		if (mm)
			mmap_read_lock(mm);
		ret = vaddr_pin_pages(o->vp, addr, nr, NULL);
		if (mm) {
			mmap_read_unlock(mm);
			mmput(mm);
		}
	} else {
		ret = vaddr_pin_user_pages(o->vp, addr, nr, NULL);
	}
	if (ret < 0)
		return (int)ret;
	if (!ret || extent_at(o, addr, &e)) {
		scn_detail(r, "pinned %ld of %lu page%s (%s)", ret, nr, plural(nr),
			   pin_api_words[locked_api]);
		return 0;
	}
	extent_where(where, sizeof(where), &e);
	scn_detail(r, "pinned %ld of %lu page%s (%s): 0x%lx-0x%lx, %s", ret, nr, plural(nr),
		   pin_api_words[locked_api], e.start, e.start + e.pages * PAGE_SIZE, where);
	return 0;
}

static int owner_unpin_run(struct scn_run *r, const struct scn_step *st,
			   const struct scn_value *a)
{
	struct scn_owner *o = owner_get(r, &a[0]);
	bool dirty = a[2].num & 1, quarantined;
	struct pnm_vaddr_pin_extent e;
	unsigned long addr;
	int ret;

	if (!o || scn_addr(r, &a[1], &addr))
		return SCN_FAILED;
	if (extent_at(o, addr, &e))
		memset(&e, 0, sizeof(e));
	pnm_gup_set_call_site(st->pos.file, (int)st->pos.line, "owner-unpin");
	if (a[3].present && a[3].index == 1)
		ret = vaddr_unpin_pages(o->vp, addr, dirty);
	else
		ret = vaddr_unpin_user_pages(o->vp, addr, dirty);
	if (ret) {
		scn_detail(r, "owner %s has no extent starting at 0x%lx", o->name, addr);
		return ret;
	}
	/* The library dirties only for a writing owner that was not cut off. */
	quarantined = e.flags & PNM_VADDR_PIN_EXTENT_QUARANTINED;
	scn_detail(r, "released 0x%lx-0x%lx (%lu page%s)%s%s", e.start,
		   e.start + e.pages * PAGE_SIZE, e.pages, plural(e.pages),
		   dirty && !quarantined && (owner_info(o).flags & VADDR_PIN_WRITE) ? ", dirtied" : "",
		   quarantined ? "; its quarantine ends (not dirtied: the device was cut off)" : "");
	return 0;
}

enum { RF_ALL, RF_DIRTY };
static const char *const release_words[] = { "all", "dirty", NULL };

static int owner_release_run(struct scn_run *r, const struct scn_step *st,
			     const struct scn_value *a)
{
	struct scn_owner *o = owner_get(r, &a[0]);
	unsigned int which = (a[1].num & BIT(RF_ALL)) ? REL_ALL : REL_TIED | REL_QUARANTINED;
	unsigned long n = 0, pages = 0;
	int ret;

	if (!o)
		return SCN_FAILED;
	ret = owner_unpin_where(o, which, a[1].num & BIT(RF_DIRTY), st->pos.file, st->pos.line,
				"owner-release", &n, &pages);
	if (ret)
		return ret;
	if (!n)
		return scn_fail(r, "owner %s holds no %sextent", o->name,
				which == REL_ALL ? "" : "leased or quarantined ");
	o->release_pending = false;
	scn_detail(r, "released %lu extent%s of %lu page%s", n, plural(n), pages, plural(pages));
	return 0;
}

static int owner_destroy_run(struct scn_run *r, const struct scn_step *st,
			     const struct scn_value *a)
{
	struct scn_owner *o = owner_get(r, &a[0]);
	struct pnm_vaddr_pin_info info;
	int ret;

	if (!o)
		return SCN_FAILED;
	if (o->revoke == REVOKE_FOREIGN)
		return scn_fail(r, "owner %s belongs to a call site, which destroys it (io ...)",
				o->name);
	info = owner_info(o);
	ret = vaddr_pin_destroy(o->vp);
	if (ret) {
		scn_detail(r, "owner %s holds %lu extent%s of %lu page%s", o->name, info.extents,
			   plural(info.extents), info.pages, plural(info.pages));
		return ret;
	}
	o->vp = NULL;
	scn_obj_remove(r, SCN_NS_OWNER, o->name);
	scn_detail(r, "owner %lu destroyed", info.id);
	return 0;
}

/* --- the device through an owner ------------------------------------------------------------- */

/* Does [addr, addr + len) lie inside one extent of @o? */
static bool inside_one_extent(const struct scn_owner *o, unsigned long addr, size_t len)
{
	struct pnm_vaddr_pin_extent e = { .size = sizeof(e) };
	unsigned long at = 0;

	while (!pnm_vaddr_pin_extent_next(o->vp, at, &e)) {
		unsigned long end = e.start + e.pages * PAGE_SIZE;

		if (addr >= e.start && addr < end)
			return len <= end - addr;
		at = end;
	}
	return false;
}

/*
 * Bytes [@done, @done + @n) of a transfer: a write fills @buf before the
 * call, a read looks at it after.  Returns 0 to go on, or a handler
 * result to stop with.
 */
typedef int dma_chunk_fn(void *arg, size_t done, unsigned char *buf, size_t n);

/*
 * One device transfer of @len bytes at @addr through @o (@write or read),
 * @fn handling the bytes.  Up to DMA_ONE_CALL bytes it is one library
 * call; beyond, the range is checked to lie in one extent (as one call
 * would) and moved in chunks, so no transfer needs more host memory than
 * that.  0, the library's -errno, or what @fn returned.
 */
static int owner_dma(const struct scn_owner *o, unsigned long addr, size_t len, bool write,
		     dma_chunk_fn *fn, void *arg)
{
	size_t step = len <= DMA_ONE_CALL ? (len ? len : 1) : CHUNK;
	unsigned char *buf = malloc(step);
	int ret = 0;

	if (!buf)
		return -ENOMEM;
	if (len > DMA_ONE_CALL && !inside_one_extent(o, addr, len)) {
		/* The library's own answer (-EIO when revoked), else what one
		 * call would say. */
		ret = write ? pnm_vaddr_pin_dma_write(o->vp, addr, buf, 0) :
			      pnm_vaddr_pin_dma_read(o->vp, addr, buf, 0);
		free(buf);
		return ret ? ret : -EFAULT;
	}
	for (size_t done = 0; done < len || (!len && !done); done += step) {
		size_t n = min_t(size_t, step, len - done);

		if (write) {
			fn(arg, done, buf, n);
			ret = pnm_vaddr_pin_dma_write(o->vp, addr + done, buf, n);
		} else {
			ret = pnm_vaddr_pin_dma_read(o->vp, addr + done, buf, n);
			if (!ret)
				ret = fn(arg, done, buf, n);
		}
		if (ret || !len)
			break;
	}
	free(buf);
	return ret;
}

/* A write's bytes: the DATA value. */
static int dma_fill(void *arg, size_t done, unsigned char *buf, size_t n)
{
	scn_data_get(arg, done, buf, n);
	return 0;
}

static int owner_dma_write_run(struct scn_run *r, const struct scn_step *st,
			       const struct scn_value *a)
{
	struct scn_owner *o = owner_get(r, &a[0]);
	size_t len = scn_data_len(&a[2]);
	unsigned long addr;
	int ret;

	if (!o || scn_addr(r, &a[1], &addr))
		return SCN_FAILED;
	ret = owner_dma(o, addr, len, true, dma_fill, (void *)&a[2]);
	if (ret) {
		scn_detail(r, "%zu byte%s at 0x%lx through owner %s", len, plural(len), addr,
			   o->name);
		return ret;
	}
	scn_detail(r, "device wrote %zu byte%s at 0x%lx", len, plural(len), addr);
	return 0;
}

/* A read's first 64 bytes, to show. */
static int dma_head(void *arg, size_t done, unsigned char *buf, size_t n)
{
	if (done < 64)
		memcpy((unsigned char *)arg + done, buf, min_t(size_t, n, 64 - done));
	return 0;
}

static int owner_dma_read_run(struct scn_run *r, const struct scn_step *st,
			      const struct scn_value *a)
{
	struct scn_owner *o = owner_get(r, &a[0]);
	size_t len = (size_t)a[2].num, shown = min_t(size_t, len, 64);
	unsigned char head[64];
	unsigned long addr;
	char q[300];
	int ret;

	if (!o || scn_addr(r, &a[1], &addr))
		return SCN_FAILED;
	ret = owner_dma(o, addr, len, false, dma_head, head);
	if (ret) {
		scn_detail(r, "%zu byte%s at 0x%lx through owner %s", len, plural(len), addr,
			   o->name);
		return ret;
	}
	scn_quote(q, sizeof(q), head, shown, 64);
	scn_detail(r, "device read %zu byte%s at 0x%lx: %s%s", len, plural(len), addr, q,
		   len > shown ? "..." : "");
	return 0;
}

/* --- leases ---------------------------------------------------------------------------------- */

static const struct scn_option lease_opts[] = {
	{ "deadline", SCN_ARG_INT, NULL, NULL },
	{ NULL, 0, NULL, NULL },
};

static int lease_check(struct scn_parser *p, const struct scn_step *st, const struct scn_value *a)
{
	if (a[2].present && a[2].num > UINT_MAX)
		return scn_parse_error(p, &a[2].pos, "deadline= is in milliseconds (32 bits)");
	return 0;
}

static int lease_run(struct scn_run *r, const struct scn_step *st, const struct scn_value *a)
{
	struct pnm_layout_lease_info li = { .size = sizeof(li) };
	struct file *f = scn_file(r, &a[0]);
	int ret;

	if (!f)
		return SCN_FAILED;
	ret = pnm_file_set_layout_lease(f, a[2].present ? (unsigned int)a[2].num : 0);
	if (ret)
		return ret;
	if (!pnm_file_get_layout_lease(f, &li))
		scn_detail(r, "layout lease held by %s, deadline %u ms", a[0].word, li.break_ms);
	return 0;
}

static int unlease_run(struct scn_run *r, const struct scn_step *st, const struct scn_value *a)
{
	struct pnm_layout_lease_info li = { .size = sizeof(li) };
	struct file *f = scn_file(r, &a[0]);
	int ret;

	if (!f)
		return SCN_FAILED;
	ret = pnm_file_release_layout_lease(f);
	if (ret == -EBUSY && !pnm_file_get_layout_lease(f, &li))
		scn_detail(r, "%lu extent%s still tied to it", li.tied, plural(li.tied));
	else if (ret == -ENOENT)
		scn_detail(r, "%s holds no layout lease", a[0].word);
	return ret;
}

/* "lease held, deadline 50 ms, 1 extent tied" or "no lease" for @f. */
static void lease_words(char *buf, size_t size, struct file *f, bool *held,
			struct pnm_layout_lease_info *li)
{
	li->size = sizeof(*li);
	*held = f && !pnm_file_get_layout_lease(f, li);
	if (!*held)
		snprintf(buf, size, "no lease");
	else
		snprintf(buf, size, "lease held, deadline %u ms, %lu extent%s tied%s", li->break_ms,
			 li->tied, plural(li->tied), li->breaking ? ", breaking" : "");
}

/* --- the listing --------------------------------------------------------------------------------- */

/* One extent as the listing collects it. */
struct listed {
	const struct scn_owner *o;	/* NULL: an owner the scenario does not name */
	struct pnm_vaddr_pin_info info;
	struct pnm_vaddr_pin_extent e;
};

struct listing {
	struct scn_run *r;
	FILE *json;			/* the step's data, being written */
	struct listed *ext;		/* every extent listed, owner by owner */
	size_t n, cap;
	unsigned long owners, pins, pages;
	unsigned long long now;
	bool first_owner;
};

static void listing_add(struct listing *l, const struct listed *x)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		struct listed *v = realloc(l->ext, cap * sizeof(*v));

		if (!v)
			return;		/* only the per-file part misses it */
		l->ext = v;
		l->cap = cap;
	}
	l->ext[l->n++] = *x;
}

static void json_extent(FILE *j, const struct pnm_vaddr_pin_extent *e)
{
	fprintf(j, "\"start\": %lu, \"end\": %lu, \"pages\": %lu, \"file\": ", e->start,
		e->start + e->pages * PAGE_SIZE, e->pages);
	scn_json_str(j, e->file);
	fprintf(j, ", \"offset\": %llu, \"file_pages\": %lu, \"leased\": %s, \"quarantined\": %s, "
		"\"truncated\": %s, \"coalesced\": %s, \"age\": %llu, \"site\": ", e->file_offset,
		e->file_pages, (e->flags & PNM_VADDR_PIN_EXTENT_LEASED) ? "true" : "false",
		(e->flags & PNM_VADDR_PIN_EXTENT_QUARANTINED) ? "true" : "false",
		(e->flags & PNM_VADDR_PIN_EXTENT_TRUNCATED) ? "true" : "false",
		(e->flags & PNM_VADDR_PIN_EXTENT_COALESCED) ? "true" : "false", e->age);
	scn_json_str(j, e->site);
}

/* One owner: a line, then one line per extent; and its JSON object. */
static void list_owner(struct listing *l, const struct scn_owner *o,
		       const struct pnm_vaddr_pin_info *info)
{
	struct pnm_layout_lease_info li;
	char lease[96], who[64], where[160];
	const char *proc = scn_task_name(l->r, info->pid);
	struct listed x = { .o = o, .info = *info };
	unsigned long at = 0;
	bool held = false, first = true;

	if (o)
		lease_words(lease, sizeof(lease), o->file, &held, &li);
	else
		snprintf(lease, sizeof(lease), "lease unknown");
	snprintf(who, sizeof(who), "%s%s%s", proc ? " (" : "", proc ? proc : "", proc ? ")" : "");
	scn_output(l->r, "owner %lu %s of pid %d%s: %s, %lu pin%s of %lu page%s, %s%s%s%s, age %llu\n",
		   info->id, o ? o->name : info->name, info->pid, who, mode_words(info->flags),
		   info->extents, plural(info->extents), info->pages, plural(info->pages),
		   state_word(info->state), o && o->revoke != REVOKE_FOREIGN ? ", revoke=" : "",
		   o && o->revoke != REVOKE_FOREIGN ? revoke_words[o->revoke] : "",
		   o ? (o->release_pending ? ", release pending" : "") : ", not named by the scenario",
		   l->now - info->created);
	if (info->file[0])
		scn_output(l->r, "  f_owner %s: %s\n", info->file, lease);

	fprintf(l->json, "%s\n    {\"id\": %lu, \"name\": ", l->first_owner ? "" : ",", info->id);
	l->first_owner = false;
	scn_json_str(l->json, o ? o->name : info->name);
	fprintf(l->json, ", \"pid\": %d, \"process\": ", info->pid);
	scn_json_str(l->json, proc ? proc : "");
	fprintf(l->json, ", \"write\": %s, \"longterm\": %s, \"file\": ",
		(info->flags & VADDR_PIN_WRITE) ? "true" : "false",
		(info->flags & VADDR_PIN_LONGTERM) ? "true" : "false");
	scn_json_str(l->json, info->file);
	if (held)
		fprintf(l->json, ", \"lease\": {\"deadline_ms\": %u, \"tied\": %lu, \"breaking\": %s}",
			li.break_ms, li.tied, li.breaking ? "true" : "false");
	else
		fputs(", \"lease\": null", l->json);
	fprintf(l->json, ", \"state\": \"%s\", \"revoke\": ", state_word(info->state));
	scn_json_str(l->json, o && o->revoke != REVOKE_FOREIGN ? revoke_words[o->revoke] : "");
	fprintf(l->json, ", \"revoke_calls\": %lu, \"release_pending\": %s, \"extents\": %lu, "
		"\"pages\": %lu, \"age\": %llu, \"dma_write_bytes\": %llu, \"dma_read_bytes\": %llu, "
		"\"dma_refused\": %lu, \"pins\": [", o ? o->revoke_calls : 0,
		o && o->release_pending ? "true" : "false", info->extents, info->pages,
		l->now - info->created, info->dma_write_bytes, info->dma_read_bytes,
		info->dma_refused);
	l->owners++;
	l->pins += info->extents;
	l->pages += info->pages;
	if (!o) {
		fputs("]}", l->json);
		return;
	}
	x.e.size = sizeof(x.e);
	while (!pnm_vaddr_pin_extent_next(o->vp, at, &x.e)) {
		at = x.e.start + x.e.pages * PAGE_SIZE;
		extent_where(where, sizeof(where), &x.e);
		scn_output(l->r, "  pin 0x%lx-0x%lx (%lu page%s): %s, age %llu, at %s\n", x.e.start, at,
			   x.e.pages, plural(x.e.pages), where, x.e.age, x.e.site);
		fprintf(l->json, "%s{", first ? "" : ", ");
		first = false;
		json_extent(l->json, &x.e);
		fputc('}', l->json);
		listing_add(l, &x);
	}
	fputs("]}", l->json);
}

/* Per file: the pins held on it, like /proc/<pid>/file_pins. */
static void list_files(struct listing *l)
{
	bool first_file = true;

	fputs("], \"files\": [", l->json);
	for (size_t i = 0; i < l->n; i++) {
		const char *file = l->ext[i].e.file;
		bool seen = false, first = true;

		if (!file[0])
			continue;
		for (size_t k = 0; k < i && !seen; k++)
			seen = !strcmp(l->ext[k].e.file, file);
		if (seen)
			continue;
		scn_output(l->r, "file %s:\n", file);
		fprintf(l->json, "%s\n    {\"file\": ", first_file ? "" : ",");
		first_file = false;
		scn_json_str(l->json, file);
		fputs(", \"pins\": [", l->json);
		for (size_t k = i; k < l->n; k++) {
			const struct listed *x = &l->ext[k];
			const char *proc;
			char fl[48];

			if (strcmp(x->e.file, file))
				continue;
			proc = scn_task_name(l->r, x->info.pid);
			extent_flags(fl, sizeof(fl), x->e.flags);
			scn_output(l->r, "  +0x%llx-0x%llx (%lu page%s): owner %lu %s of pid %d%s%s%s, "
				   "%s, %s%s, age %llu, at %s\n", x->e.file_offset,
				   x->e.file_offset + (unsigned long long)x->e.file_pages * PAGE_SIZE,
				   x->e.file_pages, plural(x->e.file_pages), x->info.id, x->o->name,
				   x->info.pid, proc ? " (" : "", proc ? proc : "", proc ? ")" : "",
				   mode_words(x->info.flags), state_word(x->info.state), fl, x->e.age,
				   x->e.site);
			fprintf(l->json, "%s{\"owner\": %lu, \"name\": ", first ? "" : ", ", x->info.id);
			first = false;
			scn_json_str(l->json, x->o->name);
			fprintf(l->json, ", \"pid\": %d, \"write\": %s, \"longterm\": %s, \"state\": "
				"\"%s\", ", x->info.pid,
				(x->info.flags & VADDR_PIN_WRITE) ? "true" : "false",
				(x->info.flags & VADDR_PIN_LONGTERM) ? "true" : "false",
				state_word(x->info.state));
			json_extent(l->json, &x->e);
			fputc('}', l->json);
		}
		fputs("]}", l->json);
	}
	fputs("]}", l->json);
}

struct foreign {
	const struct owner_state *s;
	struct pnm_vaddr_pin_info *v;
	size_t n, cap;
};

/* Owners the library has that the scenario does not name.  Runs under
 * the owner list lock: only copies. */
static void note_foreign(const struct pnm_vaddr_pin_info *info, void *arg)
{
	struct foreign *f = arg;

	for (size_t i = 0; f->s && i < f->s->n; i++)
		if (f->s->v[i]->vp && owner_info(f->s->v[i]).id == info->id)
			return;
	if (f->n == f->cap) {
		size_t cap = f->cap ? f->cap * 2 : 4;
		struct pnm_vaddr_pin_info *v = realloc(f->v, cap * sizeof(*v));

		if (!v)
			return;
		f->v = v;
		f->cap = cap;
	}
	f->v[f->n++] = *info;
}

/* The pid of the process @v names: live, or exited with owners on its
 * memory (owners outlive it).  false with the detail set otherwise. */
static bool owners_pid(struct scn_run *r, const struct owner_state *s,
		       const struct scn_value *v, int *pid)
{
	struct task_struct *t;

	for (size_t i = 0; s && i < s->n; i++) {
		if (s->v[i]->process && !strcmp(s->v[i]->process, v->word)) {
			*pid = pnm_task_pid(s->v[i]->task);
			return true;
		}
	}
	t = scn_task(r, v);
	if (!t)
		return false;
	*pid = pnm_task_pid(t);
	return true;
}

static int owners_run(struct scn_run *r, const struct scn_step *st, const struct scn_value *a)
{
	struct owner_state *s = scn_obj_find(r, NS_OWNER_STATE, "state");
	struct listing l = { .r = r, .now = pnm_vaddr_pin_clock(), .first_owner = true };
	struct foreign fo = { .s = s };
	char *json = NULL;
	size_t json_len = 0;
	int pid = -1;

	if (a[0].present && !owners_pid(r, s, &a[0], &pid))
		return SCN_FAILED;
	l.json = open_memstream(&json, &json_len);
	if (!l.json)
		return -ENOMEM;
	fputs("{\"owners\": [", l.json);
	for (size_t i = 0; s && i < s->n; i++) {
		struct pnm_vaddr_pin_info info;

		if (!s->v[i]->vp)
			continue;
		info = owner_info(s->v[i]);
		if (pid < 0 || info.pid == pid)
			list_owner(&l, s->v[i], &info);
	}
	pnm_vaddr_pin_foreach(pid, note_foreign, &fo);
	for (size_t i = 0; i < fo.n; i++)
		list_owner(&l, NULL, &fo.v[i]);
	list_files(&l);
	fclose(l.json);
	scn_data(r, json ? json : "{}");
	if (!l.owners)
		scn_output(r, "no pin owners\n");
	scn_detail(r, "%lu owner%s hold%s %lu pin%s of %lu page%s%s%s", l.owners,
		   plural(l.owners), l.owners == 1 ? "s" : "", l.pins, plural(l.pins), l.pages,
		   plural(l.pages), a[0].present ? " of " : "", a[0].present ? a[0].word : "");
	free(json);
	free(l.ext);
	free(fo.v);
	return 0;
}

/* --- expect owner, expect lease --------------------------------------------------------------- */

/* What `expect owner` hands to its "owner-property" members. */
struct owner_view {
	struct scn_owner *o;
	struct pnm_vaddr_pin_info info;
	unsigned long tied;		/* extents tied to a lease */
	unsigned long quarantined;	/* pages of quarantined extents */
};

static int expect_owner_run(struct scn_run *r, const struct scn_step *st,
			    const struct scn_value *a)
{
	struct pnm_vaddr_pin_extent e = { .size = sizeof(e) };
	struct owner_view ov = { .o = owner_get(r, &a[0]) };
	const struct scn_cmd *prop = a[2].variant;
	unsigned long at = 0;
	int ret;

	if (!ov.o)
		return SCN_FAILED;
	ov.info = owner_info(ov.o);
	while (!pnm_vaddr_pin_extent_next(ov.o->vp, at, &e)) {
		at = e.start + e.pages * PAGE_SIZE;
		ov.tied += !!(e.flags & PNM_VADDR_PIN_EXTENT_LEASED);
		if (e.flags & PNM_VADDR_PIN_EXTENT_QUARANTINED)
			ov.quarantined += e.pages;
	}
	ret = prop->test(r, &ov, &a[3]);
	if (ret < 0) {
		const char *err = pnm_errno_name(-ret);

		return scn_fail(r, "%s of owner %s: cannot tell (%s)", prop->name, ov.o->name,
				err ? err : "error");
	}
	if (!a[1].present)
		return ret;
	/* not: the member's detail says what is. */
	return ret == 0 ? SCN_FAILED : 0;
}

static int prop_state(struct scn_run *r, void *subject, const struct scn_value *a)
{
	struct owner_view *ov = subject;
	const char *have = state_word(ov->info.state);

	static const char *const says[] = {
		"is active", "was asked to release its tied pins", "was revoked by force" };
	unsigned int i = ov->info.state & PNM_VADDR_PIN_REVOKED ? 2 :
			 ov->info.state & PNM_VADDR_PIN_REVOKE_ASKED ? 1 : 0;

	return scn_prop_result(r, !strcmp(have, a[0].word), "owner %s %s (state %s; %lu device "
			       "transfer%s refused)", ov->o->name, says[i], have,
			       ov->info.dma_refused, plural(ov->info.dma_refused));
}

/* A count of @ov compared with CMP @a[0]: "owner R: 2 @noun%s@what". */
static int prop_count(struct scn_run *r, const struct owner_view *ov, const struct scn_value *a,
		      unsigned long have, const char *noun, const char *what)
{
	char want[48];

	scn_format_cmp(want, sizeof(want), &a[0]);
	return scn_prop_result(r, scn_compare(&a[0], (long)have), "owner %s: %lu %s%s%s "
			       "(expected %s)", ov->o->name, have, noun, plural(have), what, want);
}

static int prop_pages(struct scn_run *r, void *subject, const struct scn_value *a)
{
	struct owner_view *ov = subject;

	return prop_count(r, ov, a, ov->info.pages, "page", " pinned");
}

static int prop_extents(struct scn_run *r, void *subject, const struct scn_value *a)
{
	struct owner_view *ov = subject;

	return prop_count(r, ov, a, ov->info.extents, "extent", "");
}

static int prop_tied(struct scn_run *r, void *subject, const struct scn_value *a)
{
	struct owner_view *ov = subject;

	return prop_count(r, ov, a, ov->tied, "extent", " tied to a lease");
}

static int prop_quarantined(struct scn_run *r, void *subject, const struct scn_value *a)
{
	struct owner_view *ov = subject;

	return prop_count(r, ov, a, ov->quarantined, "page", " quarantined");
}

static int prop_refused(struct scn_run *r, void *subject, const struct scn_value *a)
{
	struct owner_view *ov = subject;

	return prop_count(r, ov, a, ov->info.dma_refused, "device transfer", " refused");
}

static int prop_revoke_calls(struct scn_run *r, void *subject, const struct scn_value *a)
{
	struct owner_view *ov = subject;

	if (ov->o->revoke == REVOKE_FOREIGN)
		return -ENOENT;		/* its callback is not ours to count */
	return prop_count(r, ov, a, ov->o->revoke_calls, "revoke callback", " run");
}

/* `reads`: compare what the device reads with the DATA value. */
struct dma_compare {
	struct scn_run *r;
	const struct scn_value *want;
	unsigned long addr;
	unsigned char head[64];		/* the first bytes read, to show */
};

static int dma_compare(void *arg, size_t done, unsigned char *buf, size_t n)
{
	struct dma_compare *c = arg;
	unsigned char want[CHUNK];
	char qg[200], qw[200];

	dma_head(c->head, done, buf, n);
	for (size_t off = 0; off < n; off += sizeof(want)) {
		size_t k = min_t(size_t, sizeof(want), n - off), i, from;

		scn_data_get(c->want, done + off, want, k);
		for (i = 0; i < k && buf[off + i] == want[i]; i++)
			;
		if (i == k)
			continue;
		from = i > 8 ? i - 8 : 0;
		scn_quote(qg, sizeof(qg), buf + off + from, k - from, 24);
		scn_quote(qw, sizeof(qw), want + from, k - from, 24);
		return scn_fail(c->r, "differs at 0x%lx: the device read %s, expected %s",
				c->addr + done + off + i, qg, qw);
	}
	return 0;
}

/* The device reads DATA at ADDRESS through the owner. */
static int prop_reads(struct scn_run *r, void *subject, const struct scn_value *a)
{
	struct owner_view *ov = subject;
	struct dma_compare c = { .r = r, .want = &a[1] };
	size_t len = scn_data_len(&a[1]);
	const char *err;
	char q[300];
	int ret;

	if (scn_addr(r, &a[0], &c.addr))
		return SCN_FAILED;
	ret = owner_dma(ov->o, c.addr, len, false, dma_compare, &c);
	if (ret == SCN_FAILED)
		return ret;
	if (ret) {
		err = pnm_errno_name(-ret);
		return scn_fail(r, "the device read at 0x%lx through owner %s failed with %s",
				c.addr, ov->o->name, err ? err : "an error");
	}
	scn_quote(q, sizeof(q), c.head, min_t(size_t, len, 64), 64);
	return scn_prop_result(r, true, "the device read %s%s at 0x%lx", q, len > 64 ? "..." : "",
			       c.addr);
}

enum { LEASE_HELD, LEASE_NONE, LEASE_TIED };
static const char *const lease_state_words[] = { "held", "none", "tied", NULL };

static int expect_lease_check(struct scn_parser *p, const struct scn_step *st,
			      const struct scn_value *a)
{
	if ((a[1].index == LEASE_TIED) != a[2].present)
		return scn_parse_error(p, &a[1].pos, a[2].present ?
				       "only 'tied' takes a count" : "'tied' takes a count (tied == 1)");
	return 0;
}

static int expect_lease_run(struct scn_run *r, const struct scn_step *st,
			    const struct scn_value *a)
{
	struct pnm_layout_lease_info li;
	struct file *f = scn_file(r, &a[0]);
	char words[96], want[48];
	bool held;

	if (!f)
		return SCN_FAILED;
	lease_words(words, sizeof(words), f, &held, &li);
	switch (a[1].index) {
	case LEASE_HELD:
		return scn_prop_result(r, held, "%s: %s", a[0].word, words);
	case LEASE_NONE:
		return scn_prop_result(r, !held, "%s: %s", a[0].word, words);
	default:
		scn_format_cmp(want, sizeof(want), &a[2]);
		return scn_prop_result(r, scn_compare(&a[2], held ? (long)li.tied : 0),
				       "%s: %s (expected %s tied)", a[0].word, words, want);
	}
}

/* --- tables ------------------------------------------------------------------------------------ */

#define OWNER_REF	{ .type = SCN_ARG_REF, .name = "owner", .ns = SCN_NS_OWNER }
#define FILE_REF	{ .type = SCN_ARG_REF, .name = "file", .ns = SCN_NS_FILE }
#define ADDRESS		{ .type = SCN_ARG_ADDR, .name = "address" }
#define END		{ .type = SCN_ARG_END }

static const char *const state_words[] = { "active", "asked", "revoked", NULL };

static const struct scn_arg owner_args[] = {
	{ .type = SCN_ARG_DEF, .name = "name", .ns = SCN_NS_OWNER },
	{ .type = SCN_ARG_REF, .name = "process", .ns = SCN_NS_PROCESS },
	{ .type = SCN_ARG_FLAGS, .name = "flag", .choices = owner_words, .options = owner_opts },
	END };
static const struct scn_arg owner_pin_args[] = {
	OWNER_REF, ADDRESS, { .type = SCN_ARG_INT, .name = "pages" },
	{ .type = SCN_ARG_FLAGS, .name = "option", .options = pin_opts }, END };
static const char *const dirty_word[] = { "dirty", NULL };
static const struct scn_arg owner_unpin_args[] = {
	OWNER_REF, ADDRESS,
	{ .type = SCN_ARG_FLAGS, .name = "flag", .choices = dirty_word, .options = unpin_opts },
	END };
static const struct scn_arg owner_release_args[] = {
	OWNER_REF, { .type = SCN_ARG_FLAGS, .name = "flag", .choices = release_words }, END };
static const struct scn_arg owner_only_args[] = { OWNER_REF, END };
static const struct scn_arg owner_dma_write_args[] = {
	OWNER_REF, ADDRESS, { .type = SCN_ARG_DATA, .name = "data" }, END };
static const struct scn_arg owner_dma_read_args[] = {
	OWNER_REF, ADDRESS, { .type = SCN_ARG_SIZE, .name = "size" }, END };
static const struct scn_arg lease_args[] = {
	FILE_REF, { .type = SCN_ARG_FLAGS, .name = "option", .options = lease_opts }, END };
static const struct scn_arg file_only_args[] = { FILE_REF, END };
static const struct scn_arg owners_args[] = {
	{ .type = SCN_ARG_REF, .name = "process", .ns = SCN_NS_PROCESS, .flags = SCN_OPTIONAL },
	END };
static const struct scn_arg expect_owner_args[] = {
	OWNER_REF, { .type = SCN_ARG_LITERAL, .name = "not", .flags = SCN_OPTIONAL },
	{ .type = SCN_ARG_VARIANT, .name = "property", .family = "owner-property" }, END };
static const struct scn_arg expect_lease_args[] = {
	FILE_REF, { .type = SCN_ARG_KEYWORD, .name = "state", .choices = lease_state_words },
	{ .type = SCN_ARG_CMP, .name = "count", .flags = SCN_OPTIONAL }, END };
static const struct scn_arg state_args[] = {
	{ .type = SCN_ARG_KEYWORD, .name = "state", .choices = state_words }, END };
static const struct scn_arg cmp_args[] = { { .type = SCN_ARG_CMP, .name = "count" }, END };
static const struct scn_arg reads_args[] = {
	ADDRESS, { .type = SCN_ARG_DATA, .name = "data" }, END };

#define EXPECT_LOOK	(SCN_EXPECT | SCN_OBSERVE)

static const struct scn_cmd owner_cmds[] = {
	{ .name = "owner", .section = "owners", .args = owner_args, .run = owner_run,
	  .help = "create a pin owner (vaddr_pin_create) on the process's memory: what its "
		  "pins are for (write, longterm), its f_owner file (file=) and what its revoke "
		  "callback does when a lease breaks (revoke=release: unpin the tied extents; "
		  "ignore; later: note it for owner-release)",
	  .example = "owner R A write longterm file=F revoke=ignore" },
	{ .name = "owner-pin", .section = "owners", .args = owner_pin_args,
	  .run = owner_pin_run, .check = owner_pin_check,
	  .help = "pin NPAGES pages from the address through the owner: one extent "
		  "(vaddr_pin_user_pages; api=vaddr_pin_pages under the process's mmap_lock)",
	  .example = "owner-pin R map 2" },
	{ .name = "owner-unpin", .section = "owners", .args = owner_unpin_args,
	  .run = owner_unpin_run,
	  .help = "release the extent that starts at the address (vaddr_unpin_user_pages; "
		  "dirty: the device wrote it; api=vaddr_unpin_pages)",
	  .example = "owner-unpin R map dirty" },
	{ .name = "owner-release", .section = "owners", .args = owner_release_args,
	  .run = owner_release_run,
	  .help = "release what a lease break asks for: every extent tied to a lease or "
		  "quarantined (all: every extent; dirty)",
	  .example = "owner-release R" },
	{ .name = "owner-dma write", .section = "owners", .args = owner_dma_write_args,
	  .run = owner_dma_write_run,
	  .help = "the device writes through the owner at a user address inside one of its "
		  "extents (pnm_vaddr_pin_dma_write; EIO once the owner is revoked)",
	  .example = "owner-dma write R map+100 \"from the NIC\"" },
	{ .name = "owner-dma read", .section = "owners", .args = owner_dma_read_args,
	  .run = owner_dma_read_run,
	  .help = "the device reads SIZE bytes through the owner (pnm_vaddr_pin_dma_read; EIO "
		  "once revoked) and shows the first 64",
	  .example = "owner-dma read R map 16" },
	{ .name = "owner-destroy", .section = "owners", .args = owner_only_args,
	  .run = owner_destroy_run,
	  .help = "destroy the owner (vaddr_pin_destroy; EBUSY while it holds pins)",
	  .example = "owner-destroy R" },
	{ .name = "lease", .section = "owners", .args = lease_args, .run = lease_run,
	  .check = lease_check,
	  .help = "take a layout lease on the file's inode through this opener "
		  "(pnm_file_set_layout_lease; deadline= in ms for a break, default 1000)",
	  .example = "lease F deadline=50" },
	{ .name = "unlease", .section = "owners", .args = file_only_args, .run = unlease_run,
	  .help = "give the lease back (pnm_file_release_layout_lease; EBUSY while extents are "
		  "tied to it, ENOENT if none is held)",
	  .example = "unlease F" },
	{ .name = "owners", .section = "inspect", .args = owners_args, .run = owners_run,
	  .flags = SCN_OBSERVE,
	  .help = "list the pin owners (of one process, also after it exited): id, pid, mode, "
		  "f_owner and its lease, extents, state, age; each extent with its file, "
		  "flags and call site; then per file the pins held on it",
	  .example = "owners A" },
	{ .name = "expect owner", .section = "expect", .args = expect_owner_args,
	  .run = expect_owner_run, .flags = EXPECT_LOOK,
	  .help = "a property of the owner (not negates): state active|asked|revoked, pages, "
		  "extents, tied, quarantined, refused, revoke-calls CMP, reads ADDRESS DATA",
	  .example = "expect owner R state revoked" },
	{ .name = "expect lease", .section = "expect", .args = expect_lease_args,
	  .run = expect_lease_run, .check = expect_lease_check, .flags = EXPECT_LOOK,
	  .help = "the opener's layout lease: held, none, or tied CMP (extents tied to it)",
	  .example = "expect lease F tied == 1" },
};
SCN_REGISTER(owner_cmds)

#define OWNER_PROP(n, a, fn, h)	\
	{ .name = n, .family = "owner-property", .args = a, .test = fn, .help = h }

static const struct scn_cmd owner_props[] = {
	OWNER_PROP("state", state_args, prop_state,
		   "active, asked (its revoke callback ran) or revoked (by force)"),
	OWNER_PROP("pages", cmp_args, prop_pages, "pages it holds pinned"),
	OWNER_PROP("extents", cmp_args, prop_extents, "extents (pin calls) it holds"),
	OWNER_PROP("tied", cmp_args, prop_tied, "extents tied to a layout lease"),
	OWNER_PROP("quarantined", cmp_args, prop_quarantined, "pages of its quarantined extents"),
	OWNER_PROP("refused", cmp_args, prop_refused, "device transfers refused after revocation"),
	OWNER_PROP("revoke-calls", cmp_args, prop_revoke_calls, "times its revoke callback ran"),
	OWNER_PROP("reads", reads_args, prop_reads,
		   "the device reads DATA at the address through the owner"),
};
SCN_REGISTER(owner_props)
