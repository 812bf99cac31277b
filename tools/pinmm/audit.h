/* SPDX-License-Identifier: MIT */
/*
 * audit.h - what the files of `pinmm audit` share (docs/audit.md):
 *   audit.c           the command: prefilter, spatch, the facts it prints,
 *                     the table, JSON and summary
 *   audit_classify.c  the analysis: flags, releases, case, group, findings
 *   audit_convert.c   --fix: the conversions to the pin API and to the
 *                     vaddr_pin wrapper
 * Single-threaded: the lists below are filled once, then read.
 */
#ifndef PINMM_CLI_AUDIT_H
#define PINMM_CLI_AUDIT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "util.h"
#include "cli.h"

/* --- growable arrays and strings ------------------------------------------------------ */

static inline void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p) {
		fprintf(stderr, "pinmm audit: out of memory\n");
		exit(2);
	}
	return p;
}

static inline char *xstrdup(const char *s)
{
	char *d = strdup(s ? s : "");

	if (!d) {
		fprintf(stderr, "pinmm audit: out of memory\n");
		exit(2);
	}
	return d;
}

#define VEC(type) struct { type *v; size_t n, cap; }
#define VEC_PUSH(vec, item) do {						\
	if ((vec).n == (vec).cap) {						\
		(vec).cap = (vec).cap ? 2 * (vec).cap : 16;			\
		(vec).v = xrealloc((vec).v, (vec).cap * sizeof(*(vec).v));	\
	}									\
	(vec).v[(vec).n++] = (item);						\
} while (0)

struct strbuf {
	char *s;
	size_t len, cap;
};

static inline void sb_putn(struct strbuf *b, const char *s, size_t n)
{
	if (n > (SIZE_MAX >> 2) - b->len) {
		fprintf(stderr, "pinmm audit: out of memory\n");
		exit(2);
	}
	if (b->len + n + 1 > b->cap) {
		b->cap = (b->len + n + 1) * 2;
		b->s = xrealloc(b->s, b->cap);
	}
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

static inline void sb_puts(struct strbuf *b, const char *s)
{
	sb_putn(b, s, strlen(s));
}

/* --- facts, sites, findings -------------------------------------------------------------- */

/* A record of the rules: S, F, R, A, L, P, M or X (the .cocci files of audit/ say
 * which fields). */
struct fact {
	char type;
	char *file;
	int line, col;
	char *func;		/* the enclosing function ("something_else" outside one) */
	char *name;		/* callee; the assigned lvalue (F); the pages or parameter (L, P, M, X) */
	char *text;		/* arguments (S, R, A); the flag named (F); the return's line (L) */
	int nargs;
	char **args;		/* compacted arguments (S, R, A, C) */
	const char *via;	/* an R made of a C: the release helper's name */
};

/* Every record spatch printed, sorted by file, line, column (audit.c). */
extern struct audit_fact_list { struct fact *v; size_t n, cap; } audit_facts;

struct audit_opts {
	bool json;
	bool fix;
	bool in_place;			/* --in-place: apply the conversions (with --fix) */
	enum audit_fix_target { AUDIT_FIX_PIN, AUDIT_FIX_VADDR } fix_target;
	bool summary_only;
	int jobs;
	int timeout;
	const char *spatch;
	const char *rules_dir;
	bool verbose;
};

enum fam_kind { FAM_GET, FAM_PIN, FAM_VADDR };

/* How a release call releases: by name. */
enum rel_kind { REL_NONE, REL_PUT, REL_UNPIN, REL_VADDR, REL_DIRTY, REL_DIRTY_LOCK, REL_LOCK };

/* A site and what was found about it. */
struct site {
	const struct fact *call;
	enum fam_kind kind;
	char *flags_expr;		/* as written, "" when not an argument; for a call
					 * before 4.9, made of its write and force */
	bool old_shape;			/* `int write, int force` instead of the flags */
	char *pages_expr;
	char *pages_base;		/* "" for none (NULL) */
	char *owner_base;		/* vaddr_pin: the owner */
	unsigned int nflags;
	const char *flag[16];		/* FOLL_* (and VADDR_PIN_*) seen */
	bool flag_direct[16];		/* in the call's own argument */
	bool flags_unresolved;		/* some part not visible */
	VEC(const struct fact *) flag_lines;	/* F facts used */
	VEC(const struct fact *) rel;	/* R facts on the pages */
	VEC(const struct fact *) xrel;	/* R facts on the same field, other functions */
	bool xput, xunpin;		/* their kinds: both is a release a flag decides */
	bool xcallee;			/* xrel found in a callee (H, D facts), not a field */
	bool xtree;			/* xrel: the same field in another file (no finding) */
	bool xcaller;			/* xrel: the caller's, of its array (no finding) */
	VEC(const struct fact *) handoff;	/* H facts: the pages passed to a callee */
	VEC(const struct fact *) cuse;	/* A facts on the pages in those callees */
	bool caccess, cdevice;		/* their kinds */
	VEC(const struct fact *) use;	/* A facts on the pages */
	bool lock_seen;			/* lock_page & co. in the function */
	bool notifier_in_file;
	char release[320];
	char cas[8];
	char group;
	const char *confidence;
	char reason[320];
};



enum finding_kind {
	FIND_PIN_PUT, FIND_GET_UNPIN, FIND_GET_LONGTERM, FIND_FOLL_PIN, FIND_GET_DATA,
	FIND_DIRTY_UNLOCKED, FIND_FLAGS_BOOLEAN, FIND_NOT_RELEASED, FIND__NR,
};

extern const char *const audit_finding_names[FIND__NR];

struct finding {
	enum finding_kind kind;
	const struct site *site;
	const char *confidence;
	char msg[400];
	VEC(const struct fact *) evidence;	/* besides the site's own line */
};

/* The call sites, in the order of the facts, and their findings (audit_classify.c). */
extern struct audit_site_list { struct site *v; size_t n, cap; } audit_sites;
extern struct audit_finding_list { struct finding *v; size_t n, cap; } audit_findings;

/* --- audit.c ------------------------------------------------------------------------------ */

/* The text of line @line of @file, trimmed; "" past its end (a static buffer: the next call
 * overwrites it). */
const char *audit_source_line(const char *file, int line);
/* Append the .cocci files of @dir (all of them, or only @only if not NULL), or without
 * @dir the @nr compiled in (those named @only), to @b: 0, or -1 with a message. */
int audit_load_rules(const char *dir, const char *only, const struct demo_file *embedded,
		     unsigned int nr, struct strbuf *b);
/* Write @len bytes of @data to a new temporary file from the template @tmpl (mkstemps,
 * @suffixlen characters of suffix): 0, or -1 with errno set. */
int audit_write_temp(char *tmpl, int suffixlen, const char *data, size_t len);
/* Run the semantic patch @rules with spatch over @list (@n files).  Without @fix_list the
 * records it prints become audit_facts; with it, $PINMM_AUDIT_FIX names @fix_list, the
 * unified diff goes to stdout and the "#pinmm-" lines the conversions print are appended
 * to @notes (if not NULL).  0, or -1 when spatch could not run or failed. */
int audit_run_spatch(const struct audit_opts *o, const struct strbuf *rules, char **list,
		     size_t n, const char *fix_list, struct strbuf *notes);

/* --- audit_classify.c --------------------------------------------------------------------- */

/* Everything about @s (its call fact set): flags, release, case, group, confidence, and the
 * findings, appended to audit_findings.  Reads audit_facts (sorted). */
void audit_analyse(struct site *s);
/* Add to audit_facts, for each call of a release helper (C fact: a function of the file
 * that puts or unpins the pages of a parameter, D fact), an R fact of the helper's release
 * on the argument at that index, in the calling function, with ->via the helper.  Call
 * once, after the facts are sorted and before any pointer into them is taken. */
void audit_expand_helpers(void);
/* True if @s passes FOLL flag @flag; *@direct (if not NULL): in the call's own argument. */
bool audit_has_flag(const struct site *s, const char *flag, bool *direct);
/* The flags of @s as one word into @buf (@len bytes): "FOLL_WRITE|FOLL_LONGTERM", "0",
 * "?" (not visible), "FOLL_WRITE|?", "(owner's)" for the vaddr_pin wrapper. */
void audit_flags_text(const struct site *s, char *buf, size_t len);
/* The kind of release call @fn is (REL_NONE: not one). */
enum rel_kind audit_rel_kind(const char *fn);

/* --- audit_convert.c ---------------------------------------------------------------------- */

/* `pinmm audit --fix[=pin|vaddr]` over the analysed sites: the diff on stdout, per site
 * converted or left with the reason on stderr.  Returns the exit status (1 findings,
 * 0 none, 2 spatch failed). */
int audit_fix(const struct audit_opts *o);

#endif
