/* SPDX-License-Identifier: MIT */
/*
 * audit_classify.c - the analysis of `pinmm audit` (docs/audit.md, "How it
 * works"): for each call site the facts of the rules in audit/ are tied
 * together by file and function -- the call's shape, the FOLL_* flags it
 * passes, what releases its pages (in the function, or through a struct
 * field in another function), the case of Linux's pin_user_pages
 * documentation and the group of the 2019 mail with the reason and a
 * confidence -- and the findings, each with its evidence lines.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include "audit.h"

/* --- the family and what the facts say ------------------------------------------------- */

static bool nonzero_number(const char *e);

/*
 * Where a call's flags and pages are, by name and number of arguments
 * (the shapes of Linux 6.1, of later kernels and of pinmm; older ones
 * where they are unambiguous).  -1: not an argument / not known.  For the
 * calls before 4.9, which took `int write, int force` instead of the
 * flags, *@flags is the write argument and *@force the force one
 * (otherwise -1):
 *   4.6-4.8  get_user_pages(start, nr, write, force, pages, vmas)
 *            get_user_pages_unlocked(start, nr, write, force, pages)
 *   < 4.6    get_user_pages(tsk, mm, start, nr, write, force, pages, vmas)
 *            get_user_pages_unlocked(tsk, mm, start, nr, write, force, pages)
 *   < 4.9    get_user_pages_remote(tsk, mm, start, nr, write, force, pages,
 *            vmas): told from 4.10's (..., gup_flags, pages, vmas, locked)
 *            by a 0 or 1 where 4.10 has the pages
 */
static void call_shape(const struct fact *c, enum fam_kind *kind, int *flags, int *pages,
		       int *owner, int *force)
{
	const char *fn = c->name;
	int nargs = c->nargs;
	bool remote = strstr(fn, "_remote") != NULL;

	*flags = *pages = *owner = *force = -1;
	if (!strncmp(fn, "vaddr_pin_", 10)) {
		*kind = FAM_VADDR;
		*owner = 0;
		if (remote && nargs == 6)
			*pages = 4;
		else if (!remote && nargs == 4)
			*pages = 3;
		return;
	}
	*kind = !strncmp(fn, "pin_", 4) ? FAM_PIN : FAM_GET;
	if (remote) {
		if (nargs == 6 || nargs == 7) {		/* mm, start, nr, flags, pages[, vmas], locked */
			*flags = 3;
			*pages = 4;
		} else if (nargs == 8 && (!strcmp(c->args[5], "0") || !strcmp(c->args[5], "1"))) {
			*flags = 4;			/* tsk, mm, start, nr, write, force, pages, vmas */
			*force = 5;
			*pages = 6;
		} else if (nargs == 8) {		/* tsk, mm, start, nr, flags, pages, vmas, locked */
			*flags = 4;
			*pages = 5;
		}
	} else if (strstr(fn, "_unlocked")) {
		if (nargs == 4) {			/* start, nr, pages, flags */
			*flags = 3;
			*pages = 2;
		} else if (nargs == 5 || nargs == 7) {	/* [tsk, mm,] start, nr, write, force, pages */
			*flags = nargs - 3;
			*force = nargs - 2;
			*pages = nargs - 1;
		}
	} else if (nargs == 4 || nargs == 5) {		/* start, nr, flags, pages[, vmas|locked] */
		*flags = 2;
		*pages = 3;
	} else if (!strstr(fn, "_fast") && (nargs == 6 || nargs == 8)) {
		*flags = nargs - 4;			/* [tsk, mm,] start, nr, write, force, pages, vmas */
		*force = nargs - 3;
		*pages = nargs - 2;
	}
}

/*
 * The flags an old call's `write` and `force` arguments stand for, as an
 * expression resolve_flags() reads: "FOLL_WRITE|FOLL_FORCE", "0", or
 * "((w) ? FOLL_WRITE : 0)" for a write decided at run time.
 */
static char *old_flags(const char *write, const char *force)
{
	struct strbuf b = { 0 };

	if (!strcmp(write, "0"))
		;
	else if (nonzero_number(write))
		sb_puts(&b, "FOLL_WRITE");
	else {
		sb_puts(&b, "((");
		sb_puts(&b, write);
		sb_puts(&b, ") ? FOLL_WRITE : 0)");
	}
	if (strcmp(force, "0")) {
		if (b.len)
			sb_puts(&b, "|");
		if (nonzero_number(force)) {
			sb_puts(&b, "FOLL_FORCE");
		} else {
			sb_puts(&b, "((");
			sb_puts(&b, force);
			sb_puts(&b, ") ? FOLL_FORCE : 0)");
		}
	}
	if (!b.len)
		sb_puts(&b, "0");
	return b.s;
}

/*
 * The array (or page) an argument names: "&page" -> "page",
 * "pages+i" -> "pages", "&kw->pages[0]" -> "kw->pages",
 * "page_folio(pages[i])" -> "pages".
 */
static char *base_of(const char *arg)
{
	static const char *const wrappers[] = { "page_folio(", "&page_folio(", "compound_head(" };
	char *s = xstrdup(arg), *r;
	size_t n;
	int depth = 0;

	for (size_t i = 0; i < ARRAY_SIZE(wrappers); i++) {
		size_t wl = strlen(wrappers[i]);

		n = strlen(s);
		if (!strncmp(s, wrappers[i], wl) && n > wl && s[n - 1] == ')') {
			memmove(s, s + wl, n - wl - 1);
			s[n - wl - 1] = '\0';
		}
	}
	r = s;
	while (*r == '&' || *r == '*')
		r++;
	/* Cut at a top-level + or -: an offset into the array. */
	for (char *p = r; *p; p++) {
		if (*p == '(' || *p == '[')
			depth++;
		else if (*p == ')' || *p == ']')
			depth--;
		else if (depth == 0 && (*p == '+' || (*p == '-' && p[1] != '>'))) {
			*p = '\0';
			break;
		}
	}
	/* Strip one trailing index. */
	n = strlen(r);
	if (n && r[n - 1] == ']') {
		depth = 0;
		for (size_t i = n; i-- > 0;) {
			if (r[i] == ']')
				depth++;
			else if (r[i] == '[' && --depth == 0) {
				r[i] = '\0';
				break;
			}
		}
	}
	/* A parenthesised whole: (pages) -> pages. */
	n = strlen(r);
	if (n > 2 && r[0] == '(' && r[n - 1] == ')' && !strchr(r + 1, '(')) {
		r[n - 1] = '\0';
		r++;
	}
	r = xstrdup(r);
	free(s);
	return r;
}

/* See audit.h: how a release call releases, by name. */
enum rel_kind audit_rel_kind(const char *fn)
{
	static const struct { const char *name; enum rel_kind kind; } tab[] = {
		{ "put_page", REL_PUT }, { "folio_put", REL_PUT }, { "folio_put_refs", REL_PUT },
		{ "release_pages", REL_PUT },
		{ "unpin_user_page", REL_UNPIN }, { "unpin_user_pages", REL_UNPIN },
		{ "unpin_user_pages_dirty_lock", REL_UNPIN },
		{ "unpin_user_page_range_dirty_lock", REL_UNPIN }, { "unpin_folio", REL_UNPIN },
		{ "unpin_folios", REL_UNPIN }, { "unpin_user_folio", REL_UNPIN },
		/* The 2019 names of the unpin calls. */
		{ "put_user_page", REL_UNPIN }, { "put_user_pages", REL_UNPIN },
		{ "put_user_pages_dirty", REL_UNPIN }, { "put_user_pages_dirty_lock", REL_UNPIN },
		{ "vaddr_unpin_user_pages", REL_VADDR }, { "vaddr_unpin_pages", REL_VADDR },
		{ "set_page_dirty", REL_DIRTY }, { "folio_mark_dirty", REL_DIRTY },
		{ "set_page_dirty_lock", REL_DIRTY_LOCK },
		{ "lock_page", REL_LOCK }, { "trylock_page", REL_LOCK }, { "folio_lock", REL_LOCK },
		{ "folio_trylock", REL_LOCK },
	};

	for (size_t i = 0; i < ARRAY_SIZE(tab); i++)
		if (!strcmp(fn, tab[i].name))
			return tab[i].kind;
	return REL_NONE;
}

/* Which argument of a data-access call names the page; -1 for a notifier. */
static int access_arg(const char *fn, bool *device)
{
	*device = false;
	if (strstr(fn, "mmu_notifier") || strstr(fn, "mmu_interval_notifier"))
		return -1;
	if (!strncmp(fn, "dma_map_page", 12) || !strcmp(fn, "sg_set_page") ||
	    !strcmp(fn, "sg_alloc_table_from_pages") || strstr(fn, "bio_add_page")) {
		*device = true;
		return 1;
	}
	return 0;
}

struct audit_site_list audit_sites;
struct audit_finding_list audit_findings;

const char *const audit_finding_names[FIND__NR] = {
	[FIND_PIN_PUT] = "pin-put",
	[FIND_GET_UNPIN] = "get-unpin",
	[FIND_GET_LONGTERM] = "get-longterm",
	[FIND_FOLL_PIN] = "foll-pin-by-caller",
	[FIND_GET_DATA] = "get-data-access",
	[FIND_DIRTY_UNLOCKED] = "dirty-unlocked",
	[FIND_FLAGS_BOOLEAN] = "flags-boolean",
	[FIND_NOT_RELEASED] = "not-released",
};

static bool same_func(const struct fact *a, const struct fact *b)
{
	return !strcmp(a->file, b->file) && !strcmp(a->func, b->func);
}

/* See audit.h. */
bool audit_has_flag(const struct site *s, const char *flag, bool *direct)
{
	for (unsigned int i = 0; i < s->nflags; i++)
		if (!strcmp(s->flag[i], flag)) {
			if (direct)
				*direct = s->flag_direct[i];
			return true;
		}
	return false;
}

static void add_flag(struct site *s, const char *flag, bool direct)
{
	for (unsigned int i = 0; i < s->nflags; i++)
		if (!strcmp(s->flag[i], flag)) {
			s->flag_direct[i] |= direct;
			return;
		}
	if (s->nflags < ARRAY_SIZE(s->flag)) {
		s->flag[s->nflags] = flag;
		s->flag_direct[s->nflags++] = direct;
	}
}

/* The interned name of a FOLL_* token (the facts outlive every site). */
static const char *intern(const char *name, size_t n)
{
	static VEC(char *) names;
	char *d;

	for (size_t i = 0; i < names.n; i++)
		if (strlen(names.v[i]) == n && !strncmp(names.v[i], name, n))
			return names.v[i];
	d = xrealloc(NULL, n + 1);
	memcpy(d, name, n);
	d[n] = '\0';
	VEC_PUSH(names, d);
	return d;
}

static bool is_ident_char(char c)
{
	return isalnum((unsigned char)c) || c == '_';
}

/*
 * The flags of @s: the FOLL_* tokens of its argument, and for each operand
 * of a top-level | that is a variable or a field, the FOLL_* the function
 * assigns to it (F facts).  What is neither is "not visible".
 */
static void resolve_flags(struct site *s)
{
	const char *e = s->flags_expr;
	int depth = 0;
	const char *op = e;

	if (!*e) {
		s->flags_unresolved = s->kind != FAM_VADDR;
		return;
	}
	for (const char *p = e; *p; p++) {
		if (!strncmp(p, "FOLL_", 5) && (p == e || !is_ident_char(p[-1]))) {
			size_t n = 5;

			while (is_ident_char(p[n]))
				n++;
			add_flag(s, intern(p, n), true);
			p += n - 1;
		}
	}
	for (const char *p = e;; p++) {
		if (*p == '(' || *p == '[')
			depth++;
		else if (*p == ')' || *p == ']')
			depth--;
		if (!*p || (depth == 0 && *p == '|' && p[1] != '|' && (p == e || p[-1] != '|'))) {
			size_t n = (size_t)(p - op);
			char *o = xrealloc(NULL, n + 1);
			bool lvalue = n > 0, found = false;

			memcpy(o, op, n);
			o[n] = '\0';
			for (size_t i = 0; i < n; i++)
				if (!is_ident_char(o[i]) && o[i] != '.' && o[i] != '-' && o[i] != '>')
					lvalue = false;
			if (lvalue && (isdigit((unsigned char)o[0]) || !strncmp(o, "FOLL_", 5)))
				lvalue = false;
			if (lvalue) {
				for (size_t i = 0; i < audit_facts.n; i++) {
					const struct fact *f = &audit_facts.v[i];

					if (f->type == 'F' && same_func(f, s->call) && !strcmp(f->name, o)) {
						add_flag(s, intern(f->text, strlen(f->text)), false);
						VEC_PUSH(s->flag_lines, f);
						found = true;
					}
				}
				if (!found)
					s->flags_unresolved = true;
			} else if (!isdigit((unsigned char)o[0]) && strncmp(o, "FOLL_", 5) &&
				   !strstr(o, "FOLL_")) {
				s->flags_unresolved = true;	/* a call, or an expression */
			}
			free(o);
			op = p + 1;
		}
		if (!*p)
			break;
	}
}

static const char *const flag_order[] = {
	"FOLL_WRITE", "FOLL_LONGTERM", "FOLL_FORCE", "FOLL_PIN", "FOLL_GET",
};

/* See audit.h: the flags as one word ("FOLL_WRITE|FOLL_LONGTERM", "0", "?", "FOLL_WRITE|?"). */
void audit_flags_text(const struct site *s, char *buf, size_t len)
{
	size_t o = 0;
	bool done[16] = { false };

	buf[0] = '\0';
	if (s->kind == FAM_VADDR) {
		snprintf(buf, len, "(owner's)");
		return;
	}
	for (size_t k = 0; k < ARRAY_SIZE(flag_order) + 1; k++) {
		for (unsigned int i = 0; i < s->nflags; i++) {
			bool in_order = false;

			for (size_t j = 0; j < ARRAY_SIZE(flag_order); j++)
				in_order |= !strcmp(s->flag[i], flag_order[j]);
			if (done[i] || (k < ARRAY_SIZE(flag_order) ?
					strcmp(s->flag[i], flag_order[k]) : in_order))
				continue;
			done[i] = true;
			o += (size_t)snprintf(buf + o, o < len ? len - o : 0, "%s%s",
					      o ? "|" : "", s->flag[i]);
		}
	}
	if (s->flags_unresolved)
		snprintf(buf + o, o < len ? len - o : 0, "%s?", o ? "|" : "");
	else if (!o)
		snprintf(buf, len, "%s", nonzero_number(s->flags_expr) ? s->flags_expr : "0");
}

static void add_finding(struct site *s, enum finding_kind kind, const char *confidence,
			const char *msg)
{
	struct finding f = { .kind = kind, .site = s, .confidence = confidence };

	snprintf(f.msg, sizeof(f.msg), "%s", msg);
	VEC_PUSH(audit_findings, f);
}

static void finding_evidence(const struct fact *fa)
{
	VEC_PUSH(audit_findings.v[audit_findings.n - 1].evidence, fa);
}

/* The lines that put @flag into the site's flags, as the last finding's
 * evidence. */
static void flag_evidence(const struct site *s, const char *flag)
{
	for (size_t i = 0; i < s->flag_lines.n; i++)
		if (!strcmp(s->flag_lines.v[i]->text, flag))
			finding_evidence(s->flag_lines.v[i]);
}

static void set_class(struct site *s, const char *cas, char group, const char *conf,
		      const char *reason)
{
	snprintf(s->cas, sizeof(s->cas), "%s", cas);
	s->group = group;
	s->confidence = conf;
	snprintf(s->reason, sizeof(s->reason), "%s", reason);
}

/* Names for the release text of s->xrel: @name into @names, @func() into
 * @funcs (96 bytes each), each once, "or" between a put and an unpin. */
static void xrel_names(const struct site *s, const char *name, const char *func, char *names,
		       char *funcs)
{
	const size_t cap = 96;

	if (!strstr(names, name) && strlen(names) + strlen(name) + 5 < cap)
		snprintf(names + strlen(names), cap - strlen(names), "%s%s",
			 names[0] ? (s->xput && s->xunpin ? " or " : " + ") : "", name);
	if (!strstr(funcs, func) && strlen(funcs) + strlen(func) + 5 < cap)
		snprintf(funcs + strlen(funcs), cap - strlen(funcs), "%s%s()",
			 funcs[0] ? ", " : "", func);
}

/*
 * Releases in other functions of the file, for pages kept in a struct
 * field (x->pages, x.pages): the R facts whose pages are written the same
 * (x->pages), or else, if there are none, the same field of anything
 * (y->pages), or else the same field in one other file of the audited tree
 * (of those the prefilter kept; releases through a helper count, see
 * audit_expand_helpers()); that one classifies but makes no finding.  One kind (puts, or unpins) is taken as the release, "likely";
 * both kinds (a release function that asks a flag how the pages were
 * taken) are named and decide nothing.  The release then reads
 * "put_page in f() (->pages)".
 */
static void field_releases(struct site *s)
{
	const char *b = s->pages_base, *arrow = NULL, *dot = strrchr(b, '.');
	char field[64], funcs[96] = "", names[96] = "";
	size_t fl;

	for (const char *p = b; (p = strstr(p, "->")); p += 2)
		arrow = p;
	if (arrow && (!dot || arrow > dot))
		snprintf(field, sizeof(field), "->%.60s", arrow + 2);
	else if (dot)
		snprintf(field, sizeof(field), ".%.60s", dot + 1);
	else
		return;
	fl = strlen(field);
	for (int pass = 0; pass < 3 && !s->xrel.n; pass++)
	for (size_t i = 0; i < audit_facts.n; i++) {
		const struct fact *f = &audit_facts.v[i];
		enum rel_kind rk;
		char *fb;
		size_t n;

		if (f->type != 'R' || !f->nargs || (pass < 2) != !strcmp(f->file, s->call->file) ||
		    (pass < 2 && !strcmp(f->func, s->call->func)))
			continue;
		rk = audit_rel_kind(f->name);
		if (rk != REL_PUT && rk != REL_UNPIN)
			continue;
		fb = base_of(f->args[0]);
		n = strlen(fb);
		/* The same expression first, then the same field of anything, then the
		 * same field in the tree's other files. */
		if (pass == 0 ? !strcmp(fb, b) : n >= fl && !strcmp(fb + n - fl, field)) {
			VEC_PUSH(s->xrel, f);
			s->xput |= rk == REL_PUT;
			s->xunpin |= rk == REL_UNPIN;
			s->xtree = pass == 2;
			xrel_names(s, f->name, f->func, names, funcs);
		}
		free(fb);
	}
	/* Another file counts only if it is one file: a field name common in the tree
	 * (->pages) says nothing. */
	for (size_t i = 1; s->xtree && i < s->xrel.n; i++)
		if (strcmp(s->xrel.v[i]->file, s->xrel.v[0]->file)) {
			s->xrel.n = 0;
			s->xput = s->xunpin = s->xtree = false;
			return;
		}
	if (s->xrel.n)
		snprintf(s->release, sizeof(s->release), "%s in %s (%s%s%s)", names, funcs, field,
			 s->xtree ? ", " : "", s->xtree ? s->xrel.v[0]->file : "");
}

/* REL_PUT or REL_UNPIN if R fact @r (not made of a helper call) puts or unpins the
 * parameter of D fact @d in its function, else REL_NONE. */
static enum rel_kind param_release(const struct fact *r, const struct fact *d)
{
	enum rel_kind rk;
	char *b;

	if (r->type != 'R' || r->via || !r->nargs || strcmp(r->file, d->file) ||
	    strcmp(r->func, d->func))
		return REL_NONE;
	rk = audit_rel_kind(r->name);
	if (rk != REL_PUT && rk != REL_UNPIN)
		return REL_NONE;
	b = base_of(r->args[0]);
	if (strcmp(b, d->name))
		rk = REL_NONE;
	free(b);
	return rk;
}

/* How the helper of D fact @d releases its parameter: 1 puts, 2 unpins, 3 both. */
static int helper_kinds(const struct fact *d)
{
	int kinds = 0;

	for (size_t j = 0; j < audit_facts.n; j++) {
		enum rel_kind rk = param_release(&audit_facts.v[j], d);

		if (rk != REL_NONE)
			kinds |= rk == REL_PUT ? 1 : 2;
	}
	return kinds;
}

/* See audit.h. */
void audit_expand_helpers(void)
{
	VEC(struct fact) add = { 0 };

	for (size_t i = 0; i < audit_facts.n; i++) {
		const struct fact *call = &audit_facts.v[i];

		if (call->type != 'C')
			continue;
		for (size_t k = 0; k < audit_facts.n; k++) {
			const struct fact *d = &audit_facts.v[k];
			int idx;

			if (d->type != 'D' || strcmp(d->file, call->file) || strcmp(d->func, call->name))
				continue;
			idx = atoi(d->text);
			if (idx < 0 || idx >= call->nargs || helper_kinds(d) == 3)
				continue;	/* puts and unpins: a flag decides (no verdict) */
			for (size_t j = 0; j < audit_facts.n; j++) {
				const struct fact *r = &audit_facts.v[j];
				struct fact nf;
				bool dup = false;

				if (param_release(r, d) == REL_NONE)
					continue;
				for (size_t m = 0; m < add.n; m++)
					dup |= add.v[m].line == call->line && !strcmp(add.v[m].file, call->file) &&
					       !strcmp(add.v[m].name, r->name) &&
					       !strcmp(add.v[m].args[0], call->args[idx]);
				if (dup)
					continue;
				nf = *call;
				nf.type = 'R';
				nf.name = r->name;
				nf.text = call->args[idx];
				nf.nargs = 1;
				nf.args = xrealloc(NULL, sizeof(char *));
				nf.args[0] = call->args[idx];
				nf.via = call->name;
				VEC_PUSH(add, nf);
			}
		}
	}
	for (size_t i = 0; i < add.n; i++)
		VEC_PUSH(audit_facts, add.v[i]);
	free(add.v);
}

/*
 * The pages handed one call deep (handoff.cocci): for each call of the
 * function that passes the pages (H fact), the callee's parameter at that
 * index (D fact, a definition in the same file), and what the callee does
 * with it -- data access or a device (A facts: s->cuse) and, if @releases,
 * puts or unpins (R facts: s->xrel, as for a struct field, shown as
 * "unpin_user_pages in drop() (callee)").
 */
static void callee_uses(struct site *s, bool releases)
{
	const struct fact *c = s->call;
	char names[96] = "", funcs[96] = "";

	for (size_t i = 0; i < audit_facts.n; i++) {
		const struct fact *h = &audit_facts.v[i];
		const char *arg;
		char *hb;
		int idx;
		bool used = false;

		if (h->type != 'H' || !same_func(h, c) || !*s->pages_base)
			continue;
		idx = atoi(h->text);
		arg = strchr(h->text, ' ');
		if (!arg)
			continue;
		hb = base_of(arg + 1);
		if (strcmp(hb, s->pages_base)) {
			free(hb);
			continue;
		}
		free(hb);
		for (size_t k = 0; k < audit_facts.n; k++) {
			const struct fact *d = &audit_facts.v[k];

			if (d->type != 'D' || strcmp(d->file, c->file) || strcmp(d->func, h->name) ||
			    atoi(d->text) != idx)
				continue;
			for (size_t j = 0; j < audit_facts.n; j++) {
				const struct fact *f = &audit_facts.v[j];
				bool dev;
				int ai;
				char *b;

				if ((f->type != 'A' && f->type != 'R') || strcmp(f->file, c->file) ||
				    strcmp(f->func, h->name) || !f->nargs)
					continue;
				ai = f->type == 'A' ? access_arg(f->name, &dev) : 0;
				if (ai < 0 || ai >= f->nargs)
					continue;
				b = base_of(f->args[ai]);
				if (!strcmp(b, d->name)) {
					enum rel_kind rk = audit_rel_kind(f->name);

					if (f->type == 'A') {
						VEC_PUSH(s->cuse, f);
						s->caccess |= !dev;
						s->cdevice |= dev;
						used = true;
					} else if (releases && (rk == REL_PUT || rk == REL_UNPIN)) {
						VEC_PUSH(s->xrel, f);
						s->xput |= rk == REL_PUT;
						s->xunpin |= rk == REL_UNPIN;
						s->xcallee = true;
						used = true;
						xrel_names(s, f->name, f->func, names, funcs);
					}
				}
				free(b);
			}
		}
		if (used)
			VEC_PUSH(s->handoff, h);
	}
	if (s->xcallee)
		snprintf(s->release, sizeof(s->release), "%s in %s (callee)", names, funcs);
}

/*
 * Pages that are a parameter of the site's function (the caller's array,
 * as privcmd.c's lock_pages()): the releases of the argument in the
 * file's callers of the function (U facts; R facts of the caller, helpers
 * included), into s->xrel, shown as "unpin_user_pages in f() (caller)".
 * They classify; they make no finding (another caller may do otherwise).
 */
static void caller_releases(struct site *s)
{
	const struct fact *c = s->call;
	char names[96] = "", funcs[96] = "";

	for (size_t k = 0; k < audit_facts.n; k++) {
		const struct fact *d = &audit_facts.v[k];
		int idx;

		if (d->type != 'D' || strcmp(d->file, c->file) || strcmp(d->func, c->func) ||
		    strcmp(d->name, s->pages_base))
			continue;
		idx = atoi(d->text);
		for (size_t i = 0; i < audit_facts.n; i++) {
			const struct fact *u = &audit_facts.v[i];
			char *ub;

			if (u->type != 'U' || strcmp(u->file, c->file) || strcmp(u->name, c->func) ||
			    idx >= u->nargs)
				continue;
			ub = base_of(u->args[idx]);
			for (size_t j = 0; j < audit_facts.n; j++) {
				const struct fact *r = &audit_facts.v[j];
				enum rel_kind rk;
				char *rb;

				if (r->type != 'R' || !r->nargs || !same_func(r, u))
					continue;
				rk = audit_rel_kind(r->name);
				if (rk != REL_PUT && rk != REL_UNPIN)
					continue;
				rb = base_of(r->args[0]);
				if (!strcmp(rb, ub)) {
					VEC_PUSH(s->xrel, r);
					s->xput |= rk == REL_PUT;
					s->xunpin |= rk == REL_UNPIN;
					s->xcaller = true;
					xrel_names(s, r->name, r->func, names, funcs);
				}
				free(rb);
			}
			free(ub);
		}
	}
	if (s->xcaller)
		snprintf(s->release, sizeof(s->release), "%s in %s (caller)", names, funcs);
}

/*
 * True if @func of @file is GUP's own code: a function of the family
 * itself, the single-page helpers around it, or GUP's internals (gup_*,
 * __gup_* of a file named gup.c or gup_fast.c: gup_test.c's callers are
 * callers).
 * Calls there build the family (pin_user_pages_unlocked() setting FOLL_PIN
 * for get_user_pages_unlocked() is how pinning is implemented); they are
 * listed but neither classified nor checked.
 */
static bool gup_internal(const char *file, const char *func)
{
	const char *base = strrchr(file, '/') ? strrchr(file, '/') + 1 : file;
	static const char *const names[] = {
		"get_user_pages", "get_user_pages_fast", "get_user_pages_fast_only",
		"get_user_pages_remote", "get_user_pages_unlocked", "get_user_pages_locked",
		"pin_user_pages", "pin_user_pages_fast", "pin_user_pages_fast_only",
		"pin_user_pages_remote", "pin_user_pages_unlocked", "pin_user_pages_locked",
		"get_user_page_fast_only", "get_user_page_vma_remote",
		"vaddr_pin_user_pages", "vaddr_pin_pages", "vaddr_pin_pages_remote",
	};

	if ((!strcmp(base, "gup.c") || !strcmp(base, "gup_fast.c")) &&
	    (!strncmp(func, "gup_", 4) || !strncmp(func, "__gup_", 6)))
		return true;
	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		if (!strcmp(func, names[i]))
			return true;
	return false;
}

/* True if @e is a number other than 0 ("1", "0x1"). */
static bool nonzero_number(const char *e)
{
	char *end;

	return isdigit((unsigned char)e[0]) && strtoul(e, &end, 0) != 0 && !*end;
}

/*
 * True if a flags argument is a truth value (a comparison, a logical
 * operator) or a number: the `write` argument of the GUP calls before 4.9,
 * which works only because FOLL_WRITE happens to be 1.
 */
static bool flags_boolean(const char *e)
{
	int depth = 0;

	if (nonzero_number(e))
		return true;
	for (const char *p = e; *p; p++) {
		if (*p == '(' || *p == '[')
			depth++;
		else if (*p == ')' || *p == ']')
			depth--;
		else if (depth == 0 && *p == '?')
			return false;	/* cond ? FOLL_WRITE : 0 is right */
	}
	if (e[0] == '!' && e[1] != '=')
		return true;
	depth = 0;
	for (const char *p = e; *p; p++) {
		if (*p == '(' || *p == '[')
			depth++;
		else if (*p == ')' || *p == ']')
			depth--;
		else if (depth == 0 && (!strncmp(p, "==", 2) || !strncmp(p, "!=", 2) ||
					!strncmp(p, "&&", 2) || !strncmp(p, "||", 2) ||
					!strncmp(p, "<=", 2) || !strncmp(p, ">=", 2) ||
					(*p == '<' && p[1] != '<' && (p == e || p[-1] != '<')) ||
					(*p == '>' && p[1] != '>' && (p == e || (p[-1] != '>' &&
									    p[-1] != '-')))))
			return true;
	}
	return false;
}

static bool is_word_in(const char *word, const char *text)
{
	size_t n = strlen(word);

	for (const char *p = text; (p = strstr(p, word)); p += n)
		if ((p == text || !is_ident_char(p[-1])) && !is_ident_char(p[n]))
			return true;
	return false;
}

/*
 * The not-released finding: the paths leak.cocci found from @s to a return
 * (L facts), less those whose pages are the function's parameter (the
 * caller's array), those whose return names the pages, those whose pages
 * are named in a loop between the call and the return (M facts: the path
 * that runs the loop zero times is no leak, nothing was taken), and those
 * whose pages point into another array (X facts: an alias).
 */
static void not_released(struct site *s)
{
	const struct fact *c = s->call;
	bool found = false;

	for (size_t i = 0; i < audit_facts.n; i++) {
		const struct fact *l = &audit_facts.v[i];
		int ret;
		bool drop = false;

		if (l->type != 'L' || l->line != c->line || !same_func(l, c) ||
		    strcmp(l->name, s->pages_base))
			continue;	/* (an old call's count is no pages) */
		ret = atoi(l->text);
		for (size_t k = 0; k < audit_facts.n && !drop; k++) {
			const struct fact *f = &audit_facts.v[k];

			if (f->type == 'P' && !strcmp(f->file, c->file) && !strcmp(f->func, c->func) &&
			    !strcmp(f->name, l->name))
				drop = true;
		}
		for (size_t k = 0; k < audit_facts.n && !drop; k++) {
			const struct fact *o = &audit_facts.v[k];

			if (!same_func(o, c) || strcmp(o->name, l->name))
				continue;
			drop = (o->type == 'M' && o->line > c->line && o->line < ret) ||
			       o->type == 'X';
		}
		if (drop || is_word_in(l->name, audit_source_line(c->file, ret)))
			continue;
		if (!found) {
			char msg[400];

			snprintf(msg, sizeof(msg), "%s of %s() not released on a path to a return: "
				 "the %s leaks (the path is in the evidence)",
				 s->kind == FAM_GET ? "references" : "pins", c->name,
				 s->kind == FAM_GET ? "page reference" : "pin");
			add_finding(s, FIND_NOT_RELEASED, "likely", msg);
			found = true;
		}
		/* The evidence is the return the path reaches. */
		struct fact *ev = xrealloc(NULL, sizeof(*ev));

		*ev = *l;
		ev->line = ret;
		finding_evidence(ev);
	}
}

/* See audit.h: everything about one site (flags, release, findings, case and group). */
void audit_analyse(struct site *s)
{
	const struct fact *c = s->call;
	int fi, pi, oi, fo;
	bool put = false, unpin = false, vaddr = false, dirty = false, access = false,
	     put_direct = false, unpin_direct = false,
	     device = false, longterm, lt_direct = false, foll_pin, fp_direct = false, write;
	char msg[400];

	call_shape(c, &s->kind, &fi, &pi, &oi, &fo);
	s->old_shape = fo >= 0;
	s->flags_expr = fo >= 0 ? old_flags(c->args[fi], c->args[fo]) :
		       xstrdup(fi >= 0 ? c->args[fi] : "");
	s->pages_expr = xstrdup(pi >= 0 ? c->args[pi] : "?");
	s->pages_base = pi < 0 || !strcmp(c->args[pi], "NULL") || !strcmp(c->args[pi], "0") ?
			xstrdup("") : base_of(c->args[pi]);
	s->owner_base = xstrdup(oi >= 0 ? c->args[oi] : "");
	if (fi < 0 && s->kind != FAM_VADDR)
		s->flags_expr[0] = '\0';
	resolve_flags(s);

	for (size_t i = 0; i < audit_facts.n; i++) {
		const struct fact *f = &audit_facts.v[i];
		enum rel_kind rk;
		bool dev;
		int ai;
		char *b;

		if (f->type == 'A' && !strcmp(f->file, c->file) && access_arg(f->name, &dev) < 0)
			s->notifier_in_file = true;
		if ((f->type != 'R' && f->type != 'A') || !same_func(f, c))
			continue;
		if (f->type == 'A') {
			ai = access_arg(f->name, &dev);
			if (ai < 0 || ai >= f->nargs || !*s->pages_base)
				continue;
			b = base_of(f->args[ai]);
			if (!strcmp(b, s->pages_base)) {
				VEC_PUSH(s->use, f);
				access |= !dev;
				device |= dev;
			}
			free(b);
			continue;
		}
		rk = audit_rel_kind(f->name);
		if (rk == REL_LOCK) {
			s->lock_seen = true;
			continue;
		}
		if (!f->nargs)
			continue;
		b = base_of(f->args[0]);
		if ((rk == REL_VADDR && *s->owner_base && !strcmp(b, s->owner_base)) ||
		    (rk != REL_VADDR && *s->pages_base && !strcmp(b, s->pages_base))) {
			VEC_PUSH(s->rel, f);
			put |= rk == REL_PUT;
			unpin |= rk == REL_UNPIN;
			vaddr |= rk == REL_VADDR;
			dirty |= rk == REL_DIRTY;
		}
		free(b);
	}

	/* The release, as names in order of first appearance. */
	s->release[0] = '\0';
	for (size_t i = 0; i < s->rel.n; i++) {
		const char *nm = s->rel.v[i]->name;
		bool named = false;
		size_t l;

		for (size_t k = 0; k < i; k++)
			named |= !strcmp(s->rel.v[k]->name, nm);
		if (named)
			continue;
		l = strlen(s->release);
		snprintf(s->release + l, sizeof(s->release) - l, "%s%s%s%s%s", l ? " + " : "", nm,
			 s->rel.v[i]->via ? " via " : "", s->rel.v[i]->via ? s->rel.v[i]->via : "",
			 s->rel.v[i]->via ? "()" : "");
	}
	callee_uses(s, !s->rel.n && s->kind != FAM_VADDR);
	if (!s->rel.n && !s->xrel.n && s->kind != FAM_VADDR && *s->pages_base)
		field_releases(s);
	if (!s->rel.n && !s->xrel.n && s->kind != FAM_VADDR && *s->pages_base)
		caller_releases(s);
	if (!s->release[0])
		snprintf(s->release, sizeof(s->release), "%s",
			 !*s->pages_base && s->kind != FAM_VADDR ? "no reference" : "elsewhere");

	longterm = audit_has_flag(s, "FOLL_LONGTERM", &lt_direct);
	foll_pin = audit_has_flag(s, "FOLL_PIN", &fp_direct);
	write = audit_has_flag(s, "FOLL_WRITE", NULL);

	if (gup_internal(c->file, c->func)) {
		set_class(s, "-", '-', "certain", "inside GUP's own implementation (a function of "
			  "the family or a GUP internal): not a call site");
		return;
	}

	/* Findings. */
	if (*s->flags_expr && !s->old_shape && flags_boolean(s->flags_expr)) {
		snprintf(msg, sizeof(msg), "a truth value or a number passed as the flags of %s(): the old "
			 "`write` argument, right only because FOLL_WRITE is 1; write "
			 "`cond ? FOLL_WRITE : 0`", c->name);
		add_finding(s, FIND_FLAGS_BOOLEAN, "certain", msg);
	}
	if (foll_pin) {
		snprintf(msg, sizeof(msg), "FOLL_PIN passed to %s() by its caller: FOLL_PIN is "
			 "internal to GUP, set by the pin_user_pages*() calls", c->name);
		add_finding(s, FIND_FOLL_PIN, fp_direct ? "certain" : "likely", msg);
		flag_evidence(s, "FOLL_PIN");
	}
	if (s->kind == FAM_GET && longterm) {
		snprintf(msg, sizeof(msg), "FOLL_LONGTERM passed to %s(): a long-term reference "
			 "must be a pin (pin_user_pages*() with FOLL_LONGTERM)", c->name);
		add_finding(s, FIND_GET_LONGTERM, lt_direct ? "certain" : "likely", msg);
		flag_evidence(s, "FOLL_LONGTERM");
	}
	/*
	 * A put only through a helper beside an unpin (or the reverse for a
	 * get): the helper serves the other way of taking the pages, chosen by
	 * a flag as the call is (tee_shm.c's kernel pages): no verdict.
	 */
	for (size_t i = 0; i < s->rel.n; i++) {
		enum rel_kind rk = audit_rel_kind(s->rel.v[i]->name);

		put_direct |= rk == REL_PUT && !s->rel.v[i]->via;
		unpin_direct |= rk == REL_UNPIN && !s->rel.v[i]->via;
	}
	if (put && unpin && !put_direct)
		put = false;
	else if (put && unpin && !unpin_direct)
		unpin = false;
	if (s->kind != FAM_GET && put) {
		snprintf(msg, sizeof(msg), "pages pinned by %s() released with a put: a pin is "
			 "released with unpin_user_page*() (a put leaves the pin counted forever)",
			 c->name);
		add_finding(s, FIND_PIN_PUT, "certain", msg);
		for (size_t i = 0; i < s->rel.n; i++)
			if (audit_rel_kind(s->rel.v[i]->name) == REL_PUT)
				finding_evidence(s->rel.v[i]);
	}
	if (s->kind == FAM_GET && (unpin || vaddr)) {
		snprintf(msg, sizeof(msg), "pages from %s() (FOLL_GET references) released with an "
			 "unpin: an unpin takes away a pin that was never taken", c->name);
		add_finding(s, FIND_GET_UNPIN, "certain", msg);
		for (size_t i = 0; i < s->rel.n; i++) {
			enum rel_kind rk = audit_rel_kind(s->rel.v[i]->name);

			if (rk == REL_UNPIN || rk == REL_VADDR)
				finding_evidence(s->rel.v[i]);
		}
	}
	/*
	 * The kernel's own mapping counts when the call asked for a writable
	 * page (or the flags cannot be seen): a read through it is no case 5.
	 * A device counts either way: Direct IO pins for both directions.
	 */
	/* Releases found through a struct field of the file (or a callee), of one kind
	 * only; a field of the same name in another file classifies but proves nothing. */
	if (s->xrel.n && !s->xtree && !s->xcaller && !(s->xput && s->xunpin) &&
	    ((s->kind == FAM_PIN && s->xput) || (s->kind == FAM_GET && s->xunpin))) {
		bool pin = s->kind == FAM_PIN;

		snprintf(msg, sizeof(msg), pin ?
			 "pages pinned by %s() %s and released with a put in "
			 "another function: a pin is released with unpin_user_page*()" :
			 "pages from %s() (FOLL_GET references) %s and released "
			 "with an unpin in another function: an unpin takes away a pin that was "
			 "never taken", c->name,
			 s->xcallee ? "handed to a callee" : "kept in a struct field");
		add_finding(s, pin ? FIND_PIN_PUT : FIND_GET_UNPIN, "likely", msg);
		for (size_t i = 0; i < s->handoff.n; i++)
			finding_evidence(s->handoff.v[i]);
		for (size_t i = 0; i < s->xrel.n; i++)
			finding_evidence(s->xrel.v[i]);
	}
	if (s->kind == FAM_GET && (device || (access && (write || s->flags_unresolved)))) {
		snprintf(msg, sizeof(msg), "pages from %s() (FOLL_GET) have their data %s in the "
			 "same function: case %s, they must be pinned (pin_user_pages*(), released "
			 "with unpin_user_page*())", c->name,
			 device ? "handed to a device" : "written through the kernel's mapping",
			 device ? "1" : "5");
		add_finding(s, FIND_GET_DATA, device || write ? "likely" : "unknown", msg);
		for (size_t i = 0; i < s->use.n; i++)
			finding_evidence(s->use.v[i]);
	}
	/* The same one call deep: the pages handed to a helper of the file. */
	if (s->kind == FAM_GET && !device && !access &&
	    (s->cdevice || (s->caccess && (write || s->flags_unresolved)))) {
		snprintf(msg, sizeof(msg), "pages from %s() (FOLL_GET) are handed to %s(), which %s: "
			 "case %s, they must be pinned (pin_user_pages*(), released with "
			 "unpin_user_page*())", c->name, s->cuse.v[0]->func,
			 s->cdevice ? "hands them to a device" :
				      "writes their data through the kernel's mapping",
			 s->cdevice ? "1" : "5");
		add_finding(s, FIND_GET_DATA, s->cdevice || write ? "likely" : "unknown", msg);
		for (size_t i = 0; i < s->handoff.n; i++)
			finding_evidence(s->handoff.v[i]);
		for (size_t i = 0; i < s->cuse.n; i++)
			finding_evidence(s->cuse.v[i]);
	}
	if (dirty && !s->lock_seen) {
		snprintf(msg, sizeof(msg), "pages from %s() dirtied without the page lock: use "
			 "set_page_dirty_lock() (or unpin_user_pages_dirty_lock())", c->name);
		add_finding(s, FIND_DIRTY_UNLOCKED, "likely", msg);
		for (size_t i = 0; i < s->rel.n; i++)
			if (audit_rel_kind(s->rel.v[i]->name) == REL_DIRTY)
				finding_evidence(s->rel.v[i]);
	}

	not_released(s);

	/* Case and group. */
	/* A release through a field of one kind counts as seen, "likely" at best. */
	bool xseen = s->xrel.n && !(s->xput && s->xunpin);
	bool seen = s->rel.n > 0;
	const char *vis = s->flags_unresolved || !seen ? "likely" : "certain";

	if (!seen && xseen)
		seen = true;
	unpin |= xseen && s->xunpin;

	if (s->kind == FAM_VADDR) {
		set_class(s, "2", 'b', "likely", "the vaddr_pin wrapper: a pin owner, long-term "
			  "or tied to a file as its flags say (not visible at the call)");
	} else if (s->kind == FAM_PIN) {
		if (longterm)
			set_class(s, "2", 'b', seen ? vis : "unknown",
				  "FOLL_PIN|FOLL_LONGTERM: a long-term DMA pin (RDMA-like)");
		else if (access)
			set_class(s, "5", 'a', seen ? vis : "likely",
				  "pinned, then the page data is accessed through the kernel's mapping");
		else if (device)
			set_class(s, "1", 'a', seen ? vis : "likely",
				  "pinned short-term for device I/O (bio, scatterlist or DMA mapping)");
		else if (s->caccess)
			set_class(s, "5", 'a', "likely", "pinned, then handed to a helper of the "
				  "file that accesses the page data through the kernel's mapping");
		else if (s->cdevice)
			set_class(s, "1", 'a', "likely", "pinned, then handed to a helper of the "
				  "file that gives the pages to a device (bio, scatterlist, DMA)");
		else
			set_class(s, "1", 'a', seen ? "likely" : "unknown",
				  s->rel.n ? "pinned short-term and unpinned in the same function, "
					     "no data access seen: Direct-IO-like (or case 5)" :
				  seen ? "pinned short-term and unpinned in another function (a "
					 "callee, the caller or through a struct field), no data "
					 "access seen: Direct-IO-like (or case 5)" :
					 "pinned short-term, released elsewhere: Direct-IO-like "
					 "(or case 5)");
	} else if (!*s->pages_base) {
		set_class(s, "-", 'd', s->flags_unresolved && fi < 0 ? "likely" : "certain",
			  "no pages array: faults the range in, takes no reference (populate, mlock)");
	} else if (longterm) {
		set_class(s, "2", 'b', "likely",
			  "FOLL_LONGTERM on a get: must become pin_user_pages*(FOLL_LONGTERM)");
	} else if (unpin || vaddr) {
		set_class(s, access ? "5" : "1", 'c', "likely",
			  "the release was converted to unpin, but the call does not pin yet");
	} else if (access && !write && !s->flags_unresolved) {
		set_class(s, "5", 'a', "likely", "a get whose page data is read through the "
			  "kernel's mapping (no FOLL_WRITE): a candidate for pin_user_pages*(), "
			  "not a write");
	} else if (access) {
		set_class(s, "5", 'a', "likely", "a get whose page data is written through the "
			  "kernel's mapping: convert to pin_user_pages*()");
	} else if (device) {
		set_class(s, "1", 'a', "likely", "a get whose pages go to a device: convert to "
			  "pin_user_pages*()");
	} else if (s->caccess && !write && !s->flags_unresolved) {
		set_class(s, "5", 'a', "likely", "a get whose pages are handed to a helper that "
			  "reads their data through the kernel's mapping (no FOLL_WRITE)");
	} else if (s->caccess) {
		set_class(s, "5", 'a', "likely", "a get whose pages are handed to a helper that "
			  "writes their data through the kernel's mapping: convert to "
			  "pin_user_pages*()");
	} else if (s->cdevice) {
		set_class(s, "1", 'a', "likely", "a get whose pages are handed to a helper that "
			  "gives them to a device: convert to pin_user_pages*()");
	} else if (s->notifier_in_file) {
		set_class(s, "3", 'd', seen ? "likely" : "unknown", "a get in a file that "
			  "registers an MMU notifier: mirrored pages, dropped on invalidation");
	} else if (seen) {
		set_class(s, "4", 'd', "likely", s->rel.n ?
			  "a get released with a put in the same function, no data access seen: "
			  "struct page only" :
			  "a get released with a put in another function (a callee or through a "
			  "struct field), no data access seen: struct page only");
	} else {
		set_class(s, "4", 'd', "unknown", "a get whose pages leave the function: "
			  "struct page only assumed, the release is out of reach");
	}
}
