/* SPDX-License-Identifier: MIT */
/*
 * audit_convert.c - `pinmm audit --fix[=pin|vaddr] [--in-place]`: convert
 * the call sites the audit chose (docs/audit.md, "--fix").
 *
 * The sites are chosen here, from what audit_classify.c found; the
 * rewriting is the semantic patch of the target (audit/fix/pin.cocci or
 * audit/fix/vaddr.cocci, compiled in as audit_fix.c), run by spatch over
 * the files holding them.  The rule reads the chosen sites from the file
 * $PINMM_AUDIT_FIX names ("file<TAB>line[<TAB>owner flags]" a line) and
 * touches nothing else.  spatch's unified diff goes to stdout (the files
 * are written only with --in-place); stderr says, per site, converted or
 * left with the reason.
 *
 * Targets:
 *   pin    the get becomes the pin of the same shape, its releases in the
 *          function become unpins; pins released with a put get unpins.
 *   vaddr  the 2019 wrapper (pinmm/vaddr_pin.h): the call becomes
 *          vaddr_pin_user_pages() / vaddr_pin_pages() through an owner the
 *          function creates for the current task with the flags the call
 *          passed (VADDR_PIN_WRITE for FOLL_WRITE), and each release of its
 *          pages becomes vaddr_unpin_pages() of the extent (dirtying it
 *          when the release dirtied the page) and vaddr_pin_destroy().
 *          Only what the wrapper can say is converted: short-term sites
 *          (group a and c; group b needs an owner tied to the subsystem's
 *          struct file), flags made of FOLL_WRITE only, the whole extent
 *          released at once, a start address that stays put.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <unistd.h>
#include "audit.h"

/* A site --fix looks at, and what it decided. */
struct fix_choice {
	const struct site *site;
	char why[240];			/* "": converted (or asked of the rule) */
	char owner_flags[32];		/* vaddr: VADDR_PIN_WRITE or 0 */
};

static bool has_finding(const struct site *s, enum finding_kind kind)
{
	for (size_t i = 0; i < audit_findings.n; i++)
		if (audit_findings.v[i].site == s && audit_findings.v[i].kind == kind)
			return true;
	return false;
}

/* True if the function of call fact @u puts or unpins its argument at @idx. */
static bool arg_released_in(const struct fact *u, int idx)
{
	bool found = false;

	if (idx < 0 || idx >= u->nargs)
		return false;
	for (size_t j = 0; j < audit_facts.n && !found; j++) {
		const struct fact *r = &audit_facts.v[j];
		enum rel_kind rk = r->type == 'R' ? audit_rel_kind(r->name) : REL_NONE;

		found = (rk == REL_PUT || rk == REL_UNPIN) && r->nargs && !strcmp(r->file, u->file) &&
			!strcmp(r->func, u->func) && !strncmp(r->args[0], u->args[idx],
							      strcspn(u->args[idx], "[+ "));
	}
	return found;
}

/*
 * Why the pages of @s may outlive its function (NULL: they are taken and
 * dropped here): a struct field, or, with @params, the caller's array
 * (a parameter, D facts of the site's function) that a caller in the file
 * releases itself (U facts).  Their release on the success path is then
 * elsewhere even when an error path releases them here.
 */
static const char *pages_escape(const struct site *s, bool params)
{
	const char *b = s->pages_base;

	if (strstr(b, "->") || strchr(b, '.'))
		return "its pages are a struct field: released elsewhere too, most likely (the "
		       "function's own releases are its error paths); by hand";
	for (size_t i = 0; params && i < audit_facts.n; i++) {
		const struct fact *d = &audit_facts.v[i];

		if (d->type != 'D' || strcmp(d->file, s->call->file) ||
		    strcmp(d->func, s->call->func) || strcmp(d->name, b))
			continue;
		for (size_t k = 0; k < audit_facts.n; k++) {
			const struct fact *u = &audit_facts.v[k];

			if (u->type == 'U' && !strcmp(u->file, d->file) && !strcmp(u->name, d->func) &&
			    arg_released_in(u, atoi(d->text)))
				return "its pages are the caller's array, which a caller releases: "
				       "the owner would have to live as long as the caller keeps "
				       "them; by hand";
		}
	}
	return NULL;
}

/* Why a site released through a helper of the file is left (NULL: it is not). */
static const char *released_by_helper(const struct site *s)
{
	static char why[200];

	for (size_t i = 0; i < s->rel.n; i++)
		if (s->rel.v[i]->via) {
			snprintf(why, sizeof(why), "its pages are released by %s() (line %d), which "
				 "other callers may share: convert that helper by hand",
				 s->rel.v[i]->via, s->rel.v[i]->line);
			return why;
		}
	return NULL;
}

/*
 * Why @s is not converted to the raw pin API (NULL: it is).  Converted:
 * gets of group a or c whose pages are released in the function, and pins
 * released with a put in the function (their releases only).
 */
static const char *pin_refusal(const struct site *s, bool *considered)
{
	bool pin_put = has_finding(s, FIND_PIN_PUT);
	const char *helper = released_by_helper(s);

	*considered = pin_put || (s->kind == FAM_GET && (s->group == 'a' || s->group == 'c'));
	if (!*considered)
		return NULL;
	if (s->old_shape)
		return "a call before 4.9 (int write, int force): give it FOLL_* flags first";
	if (helper)
		return helper;
	if (!pin_put && pages_escape(s, false))
		return pages_escape(s, false);
	if (pin_put)
		return s->rel.n ? NULL : "its puts are in another function: convert them by hand";
	if (audit_has_flag(s, "FOLL_GET", NULL) || audit_has_flag(s, "FOLL_PIN", NULL))
		return "FOLL_GET or FOLL_PIN in its flags: take it out first";
	if (strstr(s->call->name, "_fast_only"))
		return "no pin variant of the _fast_only call";
	if (!s->rel.n)
		return "its pages are released in another function: convert that release too, "
		       "by hand";
	return NULL;
}

/* True if @e is a name or a field path (x, x->y, x.y): an lvalue that can be read again. */
static bool plain_lvalue(const char *e)
{
	if (!*e || isdigit((unsigned char)e[0]))
		return false;
	for (const char *p = e; *p; p++)
		if (!(isalnum((unsigned char)*p) || *p == '_' || *p == '.' ||
		      (p[0] == '-' && p[1] == '>') || (p[0] == '>' && p > e && p[-1] == '-')))
			return false;
	return true;
}

/*
 * Why @s is not converted to the vaddr_pin wrapper (NULL: it is asked of
 * the rule), the owner's flags in @c->owner_flags.
 */
static const char *vaddr_refusal(const struct site *s, bool *considered, struct fix_choice *c)
{
	char *why = c->why;
	const struct fact *call = s->call;
	const char *fn = call->name;
	bool one = s->pages_expr[0] == '&';

	*considered = has_finding(s, FIND_PIN_PUT) ||
		      (s->kind == FAM_GET && (s->group == 'a' || s->group == 'c')) ||
		      (s->kind == FAM_PIN && s->group == 'a');
	if (!*considered)
		return NULL;
	if (s->old_shape)
		return "a call before 4.9 (int write, int force): give it FOLL_* flags first";
	if (audit_has_flag(s, "FOLL_GET", NULL) || audit_has_flag(s, "FOLL_PIN", NULL))
		return "FOLL_GET or FOLL_PIN in its flags: take it out first";
	if (strstr(fn, "_remote"))
		return "a remote call: the owner is made for the task whose mm it is, which the "
		       "call does not name (vaddr_pin_pages_remote(), by hand)";
	if (!strstr(fn, "_fast") && !strstr(fn, "_unlocked") &&
	    strcmp(fn, "get_user_pages") && strcmp(fn, "pin_user_pages"))
		return "no vaddr_pin form of this call";
	if (strstr(fn, "_fast_only"))
		return "no vaddr_pin form of the _fast_only call";
	if (call->nargs != 4 && !(call->nargs == 5 && !strcmp(call->args[4], "NULL")))
		return "a call with vmas or locked: no vaddr_pin form";
	if (s->flags_unresolved)
		return "its flags are not all visible: the owner's VADDR_PIN_* cannot be chosen";
	if (strchr(s->flags_expr, '?'))
		return "FOLL_WRITE chosen at run time (cond ? FOLL_WRITE : 0): an owner's "
		       "VADDR_PIN_WRITE is fixed at its creation; by hand";
	for (unsigned int i = 0; i < s->nflags; i++)
		if (strcmp(s->flag[i], "FOLL_WRITE")) {
			snprintf(why, sizeof(c->why), "%s has no VADDR_PIN_* counterpart (an owner "
				 "stands for FOLL_WRITE and FOLL_LONGTERM only): --fix=pin keeps it",
				 s->flag[i]);
			return why;
		}
	if (!plain_lvalue(call->args[0]))
		return "its start address is an expression: the release names the extent by it; "
		       "put it in a variable first";
	if (!s->rel.n)
		return "its pages are released in another function: convert that release too, "
		       "by hand";
	if (released_by_helper(s))
		return released_by_helper(s);
	if (pages_escape(s, true))
		return pages_escape(s, true);
	snprintf(c->owner_flags, sizeof(c->owner_flags), "%s",
		 audit_has_flag(s, "FOLL_WRITE", NULL) ? "VADDR_PIN_WRITE" : "0");
	for (size_t i = 0; i < s->rel.n; i++) {
		const struct fact *r = s->rel.v[i];
		enum rel_kind rk = audit_rel_kind(r->name);
		bool whole = !strcmp(r->name, "release_pages") ||
			     !strcmp(r->name, "unpin_user_pages") ||
			     !strcmp(r->name, "unpin_user_pages_dirty_lock") ||
			     !strcmp(r->name, "put_user_pages") ||
			     !strcmp(r->name, "put_user_pages_dirty_lock");
		bool single = !strcmp(r->name, "put_page") || !strcmp(r->name, "unpin_user_page") ||
			      !strcmp(r->name, "put_user_page") ||
			      !strcmp(r->name, "set_page_dirty_lock");

		if ((rk == REL_DIRTY || rk == REL_DIRTY_LOCK || strstr(r->name, "dirty")) &&
		    !audit_has_flag(s, "FOLL_WRITE", NULL))
			return "it dirties pages taken without FOLL_WRITE: an owner without "
			       "VADDR_PIN_WRITE does not dirty them";
		if (one ? !single || strcmp(r->args[0], s->pages_base) :
			  !whole || strcmp(r->args[0], s->pages_expr)) {
			snprintf(why, sizeof(c->why), "%s(%s) at line %d: the wrapper releases the whole "
				 "extent at once (vaddr_unpin_pages()); by hand, or --fix=pin",
				 r->name, r->nargs ? r->args[0] : "", r->line);
			return why;
		}
	}
	return NULL;
}

/* True if @a and @b are sites of the same function. */
static bool same_function(const struct site *a, const struct site *b)
{
	return !strcmp(a->call->file, b->call->file) && !strcmp(a->call->func, b->call->func);
}

/* True if @notes has the line "#pinmm-converted<TAB>file<TAB>line". */
static bool noted(const struct strbuf *notes, const struct fact *c, const char *kind,
		  const char **rest)
{
	char head[64];
	struct strbuf key = { 0 };
	const char *p;
	bool found = false;

	snprintf(head, sizeof(head), "#pinmm-%s\t", kind);
	sb_puts(&key, head);
	sb_puts(&key, c->file);
	snprintf(head, sizeof(head), "\t%d", c->line);
	sb_puts(&key, head);
	for (p = notes->s; p && (p = strstr(p, key.s)); p += key.len) {
		if ((p == notes->s || p[-1] == '\n') && (p[key.len] == '\n' || p[key.len] == '\t')) {
			found = true;
			if (rest)
				*rest = p[key.len] == '\t' ? p + key.len + 1 : "";
			break;
		}
	}
	free(key.s);
	return found;
}

/* See audit.h. */
int audit_fix(const struct audit_opts *o)
{
	const char *tmpdir = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	bool vaddr = o->fix_target == AUDIT_FIX_VADDR;
	struct strbuf list = { 0 }, path = { 0 }, rules = { 0 }, dir = { 0 }, notes = { 0 };
	VEC(char *) tfiles = { 0 };
	VEC(struct fix_choice) chosen = { 0 };
	size_t converted = 0, left = 0;
	int ret = audit_findings.n ? 1 : 0;

	for (size_t i = 0; i < audit_sites.n; i++) {
		struct fix_choice c = { .site = &audit_sites.v[i] };
		const struct fact *call = c.site->call;
		bool considered, seen = false;
		const char *why = vaddr ? vaddr_refusal(c.site, &considered, &c) :
					  pin_refusal(c.site, &considered);
		char line[64];

		if (!considered)
			continue;
		for (size_t k = 0; vaddr && !why && k < chosen.n; k++)
			if (!chosen.v[k].why[0] && same_function(chosen.v[k].site, c.site))
				why = "another site of the function is converted: one owner per "
				      "function; by hand";
		if (why && why != c.why)
			snprintf(c.why, sizeof(c.why), "%s", why);
		VEC_PUSH(chosen, c);
		if (why)
			continue;
		snprintf(line, sizeof(line), "\t%d%s%s\n", call->line, vaddr ? "\t" : "",
			 vaddr ? c.owner_flags : "");
		sb_puts(&list, call->file);
		sb_puts(&list, line);
		for (size_t k = 0; k < tfiles.n; k++)
			seen |= !strcmp(tfiles.v[k], call->file);
		if (!seen)
			VEC_PUSH(tfiles, call->file);
	}
	if (tfiles.n) {
		sb_puts(&path, tmpdir);
		sb_puts(&path, "/pinmm-audit-XXXXXX.fix");
		if (o->rules_dir) {
			sb_puts(&dir, o->rules_dir);
			sb_puts(&dir, "/fix");
		}
		if (audit_load_rules(dir.s, vaddr ? "vaddr.cocci" : "pin.cocci", audit_fix_files,
				     audit_fix_nr_files, &rules) ||
		    audit_write_temp(path.s, 4, list.s, list.len)) {
			if (errno)
				fprintf(stderr, "pinmm audit: temporary file in %s: %s\n", tmpdir,
					strerror(errno));
			ret = 2;
		} else {
			fflush(stdout);
			if (audit_run_spatch(o, &rules, tfiles.v, tfiles.n, path.s, &notes))
				ret = 2;
			unlink(path.s);
		}
	}
	for (size_t i = 0; i < chosen.n; i++) {
		const struct fact *c = chosen.v[i].site->call;
		const char *why = chosen.v[i].why[0] ? chosen.v[i].why : NULL, *rest = NULL;

		/* The vaddr rule says which sites it rewrote, and why it left others. */
		if (!why && vaddr && ret != 2 && !noted(&notes, c, "converted", NULL))
			why = noted(&notes, c, "left", &rest) ? rest :
			      "its call is not a statement `x = call(...);` (a declaration, a "
			      "condition): the owner needs statements of its own; by hand";
		if (why) {
			int n = (int)strcspn(why, "\n");

			fprintf(stderr, "pinmm audit --fix: left %s:%d %s(): %.*s\n", c->file,
				c->line, c->name, n, why);
			left++;
		} else {
			fprintf(stderr, "pinmm audit --fix: converting %s:%d %s()\n", c->file,
				c->line, c->name);
			converted++;
		}
	}
	fprintf(stderr, "pinmm audit --fix: %zu sites converted, %zu left%s\n", converted, left,
		o->in_place && converted ? " (written in place)" : "");
	free(list.s);
	free(path.s);
	free(rules.s);
	free(dir.s);
	free(notes.s);
	free(tfiles.v);
	free(chosen.v);
	return ret;
}
