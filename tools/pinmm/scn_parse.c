/* SPDX-License-Identifier: MIT */
/*
 * scn_parse.c - the command registry and the schema-driven parser.
 *
 * The grammar of a line is fixed and tiny: a command name (one or two
 * words, e.g. "fork", "expect read") followed by arguments.  What the
 * arguments are is not known to the parser: each command declares a schema
 * (struct scn_arg[]) and the parser interprets it, producing typed values
 * (numbers range-checked, names resolved against the namespaces defined so
 * far, keywords matched, nested commands parsed).  A command's optional
 * check hook then validates what the schema cannot express.
 *
 * The whole file is parsed before anything runs; the first error stops the
 * parse and is reported as "file:line:col: error: expected ..., found ...".
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "scn.h"

/* --- the registry ------------------------------------------------------------------ */

/* Registered entries, in registration order; written only at start-up. */
static const struct scn_cmd **registry;
static size_t registry_nr, registry_cap;

static bool same_family(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcmp(a, b));
}

static void bad_schema(const struct scn_cmd *c, const char *why)
{
	fprintf(stderr, "pinmm: scenario command '%s': %s\n", c->name ? c->name : "?", why);
	abort();
}

/* Catch table mistakes at start-up rather than in some user's scenario. */
static void validate(const struct scn_cmd *c)
{
	const char *sp;

	if (!c->name || !*c->name)
		bad_schema(c, "no name");
	sp = strchr(c->name, ' ');
	if (sp && (c->family || strchr(sp + 1, ' ')))
		bad_schema(c, "names have one word, or two for commands");
	if (c->family ? !c->test : (!c->run && !(c->flags & SCN_CONFIG)))
		bad_schema(c, "no handler");
	if (scn_lookup(c->family, c->name))
		bad_schema(c, "registered twice");
	for (const struct scn_arg *a = c->args; a && a->type != SCN_ARG_END; a++) {
		int n = 0;

		while (a->choices && a->choices[n])
			n++;
		if (a->type == SCN_ARG_FLAGS && n > 64)
			bad_schema(c, "more than 64 flags");
		if ((a->type == SCN_ARG_KEYWORD || a->type == SCN_ARG_FLAGS) && !n && !a->options)
			bad_schema(c, "keyword argument without choices");
		if ((a->type == SCN_ARG_DEF || a->type == SCN_ARG_REF) && !a->ns)
			bad_schema(c, "name argument without a namespace");
		if (a->type == SCN_ARG_VARIANT && (!a->family || a[1].type != SCN_ARG_END))
			bad_schema(c, "a variant must name its family and come last");
		if (a->type == SCN_ARG_COMMAND && a[1].type != SCN_ARG_END)
			bad_schema(c, "a nested command must come last");
		if (!a->name)
			bad_schema(c, "argument without a name");
	}
}

/*
 * Test hook: PINMM_SCN_FAIL_REGISTER=N makes the Nth allocation of the
 * registrations (scn_register, scn_io_register) fail, as host
 * out-of-memory in a constructor would.
 */
bool scn_test_fail_alloc(void)
{
	static long fail_at = -1, count;

	if (fail_at < 0) {
		const char *e = getenv("PINMM_SCN_FAIL_REGISTER");

		fail_at = e ? atol(e) : 0;
	}
	return fail_at > 0 && ++count == fail_at;
}

/* Set when a registration could not allocate: the language is incomplete. */
static bool registry_nomem;

/* Record that a registration ran out of host memory (see scn.h). */
void scn_register_nomem(void)
{
	registry_nomem = true;
}

/*
 * Add commands (or family members) to the registry.  Runs from
 * constructors, before main(); a malformed entry or a duplicate is a
 * programming error and aborts with a message.  Out of host memory, the
 * rest is dropped and the failure recorded: every parse then fails with
 * a message (scn_parse_buffer) instead of the constructor aborting.
 */
void scn_register(const struct scn_cmd *cmds, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		validate(&cmds[i]);
		if (registry_nr == registry_cap) {
			size_t cap = registry_cap ? registry_cap * 2 : 64;
			const struct scn_cmd **r = NULL;

			if (!scn_test_fail_alloc())
				r = realloc(registry, cap * sizeof(*r));
			if (!r) {
				scn_register_nomem();
				return;
			}
			registry = r;
			registry_cap = cap;
		}
		registry[registry_nr++] = &cmds[i];
	}
}

/* Find the entry @name of @family (NULL: top-level commands). */
const struct scn_cmd *scn_lookup(const char *family, const char *name)
{
	for (size_t i = 0; i < registry_nr; i++)
		if (same_family(registry[i]->family, family) && !strcmp(registry[i]->name, name))
			return registry[i];
	return NULL;
}

/* Levenshtein distance between two short strings (capped at 64 chars). */
unsigned int scn_edit_distance(const char *a, const char *b)
{
	unsigned int row[65], la = (unsigned int)strnlen(a, 64), lb = (unsigned int)strnlen(b, 64);

	for (unsigned int j = 0; j <= lb; j++)
		row[j] = j;
	for (unsigned int i = 1; i <= la; i++) {
		unsigned int diag = row[0];

		row[0] = i;
		for (unsigned int j = 1; j <= lb; j++) {
			unsigned int up = row[j];
			unsigned int cost = tolower((unsigned char)a[i - 1]) !=
					    tolower((unsigned char)b[j - 1]);
			unsigned int best = diag + cost;

			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			if (up + 1 < best)
				best = up + 1;
			row[j] = best;
			diag = up;
		}
	}
	return row[lb];
}

/* Keep the closest of the candidates offered so far. */
struct suggest {
	const char *word;
	const char *best;
	unsigned int dist;
};

static void suggest_offer(struct suggest *sg, const char *cand)
{
	unsigned int d = scn_edit_distance(sg->word, cand);
	unsigned int limit = (unsigned int)strlen(cand) / 3 + 1;

	/* One-letter names are all one edit apart: listing them helps more. */
	if (strlen(cand) <= 2 && strlen(sg->word) <= 2)
		return;
	if (d <= limit && d < 3 && (!sg->best || d < sg->dist)) {
		sg->best = cand;
		sg->dist = d;
	}
}

/* --- usage strings ----------------------------------------------------------------------- */

static size_t add(char *buf, size_t size, size_t n, const char *fmt, ...) __printf(4, 5);

static size_t add(char *buf, size_t size, size_t n, const char *fmt, ...)
{
	va_list ap;
	int k;

	if (n >= size)
		return n;
	va_start(ap, fmt);
	k = vsnprintf(buf + n, size - n, fmt, ap);
	va_end(ap);
	return k < 0 ? n : n + (size_t)k;
}

static size_t add_choices(char *buf, size_t size, size_t n, const char *const *c,
			  const char *sep)
{
	for (int i = 0; c && c[i]; i++)
		n = add(buf, size, n, "%s%s", i ? sep : "", c[i]);
	return n;
}

static size_t option_usage(char *buf, size_t size, size_t n, const struct scn_option *o)
{
	n = add(buf, size, n, "%s=", o->key);
	if (o->type == SCN_ARG_KEYWORD)
		return add_choices(buf, size, n, o->choices, "|");
	return add(buf, size, n, "%s", o->type == SCN_ARG_ADDR ? "<address>" : "<n>");
}

static size_t usage_args(const struct scn_arg *args, char *buf, size_t size, size_t n)
{
	for (const struct scn_arg *a = args; a && a->type != SCN_ARG_END; a++) {
		bool opt = a->flags & SCN_OPTIONAL;
		/* "[since <checkpoint>]": an optional word introducing an optional arg */
		bool pair = opt && a->type == SCN_ARG_LITERAL && a[1].type != SCN_ARG_END &&
			    (a[1].flags & SCN_OPTIONAL);

		n = add(buf, size, n, " %s", opt ? "[" : "");
		switch (a->type) {
		case SCN_ARG_LITERAL:
			n = add(buf, size, n, "%s", a->name);
			break;
		case SCN_ARG_KEYWORD:
			n = add_choices(buf, size, n, a->choices, "|");
			break;
		case SCN_ARG_ZONE:
			n = add(buf, size, n, "Normal|Movable|CMA");
			break;
		case SCN_ARG_STRING:
			n = add(buf, size, n, "\"%s\"", a->name);
			break;
		case SCN_ARG_DATA:
			n = add(buf, size, n, "\"text\"|pattern <byte> <size>");
			break;
		case SCN_ARG_CHANGE:
			n = add(buf, size, n, "+N|-N|<op> N");
			break;
		case SCN_ARG_CMP:
			n = add(buf, size, n, "[<op>] N");
			break;
		case SCN_ARG_FLAGS:
			n = add(buf, size, n, "[<%s>...]", a->name);
			break;
		case SCN_ARG_VARIANT:
			n = add(buf, size, n, "<%s> ...", a->name);
			break;
		case SCN_ARG_ADDR:
			n = add(buf, size, n, "<%s>", a->name);
			if (a->choices) {	/* "<address>|rollup" */
				n = add(buf, size, n, "|");
				n = add_choices(buf, size, n, a->choices, "|");
			}
			break;
		case SCN_ARG_COMMAND:
			n = add(buf, size, n, "<command> ...");
			break;
		default:
			n = add(buf, size, n, "<%s>", a->name);
			break;
		}
		if (pair) {
			a++;
			n = add(buf, size, n, " <%s>", a->name);
		}
		if (opt)
			n = add(buf, size, n, "]");
	}
	return n;
}

/* "<name> <arg> [arg]..." for @cmd. */
void scn_format_usage(const struct scn_cmd *cmd, char *buf, size_t size)
{
	size_t n = add(buf, size, 0, "%s", cmd->name);

	usage_args(cmd->args, buf, size, n);
}

/*
 * The members of @family, one per line at @depth, each followed by the
 * members of the family its own variant argument names (the call sites'
 * `io SITE VERB`: a site, then its verbs).
 */
static void print_family(FILE *out, const char *family, const char *indent, int depth)
{
	for (size_t i = 0; i < registry_nr; i++) {
		const struct scn_cmd *m = registry[i];
		char sub[512];

		if (!same_family(m->family, family))
			continue;
		scn_format_usage(m, sub, sizeof(sub));
		fprintf(out, "%s    %*s%-*s %s\n", indent, 2 * depth, "", 30 - 2 * depth, sub,
			m->help);
		for (const struct scn_arg *a = m->args; a && a->type != SCN_ARG_END; a++)
			if (a->type == SCN_ARG_VARIANT && depth < 4)
				print_family(out, a->family, indent, depth + 1);
	}
}

static void print_entry(FILE *out, const struct scn_cmd *c, const char *indent)
{
	char usage[512];

	scn_format_usage(c, usage, sizeof(usage));
	fprintf(out, "%s%s\n%s    %s\n", indent, usage, indent, c->help ? c->help : "");
	if (c->example)
		fprintf(out, "%s    e.g. %s\n", indent, c->example);
	for (const struct scn_arg *a = c->args; a && a->type != SCN_ARG_END; a++) {
		if (a->type == SCN_ARG_FLAGS) {
			char list[512];
			size_t n = add_choices(list, sizeof(list), 0, a->choices, " ");

			for (const struct scn_option *o = a->options; o && o->key; o++) {
				n = add(list, sizeof(list), n, "%s", n ? " " : "");
				n = option_usage(list, sizeof(list), n, o);
			}
			fprintf(out, "%s    %ss: %s\n", indent, a->name, list);
		}
		if (a->type != SCN_ARG_VARIANT)
			continue;
		fprintf(out, "%s    %s is one of:\n", indent, a->name);
		print_family(out, a->family, indent, 1);
	}
}

/*
 * Print every command grouped by section: setup and memory first, then any
 * section later files add (in registration order), then inspect and expect.
 */
void scn_print_reference(FILE *out)
{
	const char *sections[32] = { "setup", "memory" };
	size_t nsec = 2;

	if (registry_nomem)
		fputs("(out of memory at start-up: the commands below are not all of them)\n\n",
		      out);

	for (size_t i = 0; i < registry_nr; i++) {
		const char *sec = registry[i]->section ? registry[i]->section : "other";
		size_t j;

		if (registry[i]->family)
			continue;
		for (j = 0; j < nsec; j++)
			if (!strcmp(sections[j], sec))
				break;
		if (j == nsec && nsec < ARRAY_SIZE(sections) - 2 && strcmp(sec, "inspect") &&
		    strcmp(sec, "expect"))
			sections[nsec++] = sec;
	}
	sections[nsec++] = "inspect";
	sections[nsec++] = "expect";
	for (size_t j = 0; j < nsec; j++) {
		bool header = false;

		for (size_t i = 0; i < registry_nr; i++) {
			const struct scn_cmd *c = registry[i];

			if (c->family || strcmp(c->section ? c->section : "other", sections[j]))
				continue;
			if (!header)
				fprintf(out, "%s:\n", sections[j]);
			header = true;
			print_entry(out, c, "  ");
		}
		if (header)
			fputc('\n', out);
	}
}

/* --- the parser ---------------------------------------------------------------------------- */

struct scn_name {
	const char *ns;
	const char *name;
	unsigned int line;
	unsigned int hash;		/* name_hash(name) */
};

struct scn_parser {
	struct scn_lexer lx;
	struct scn_script *script;
	struct scn_token *toks;
	unsigned int ntoks;
	unsigned int cur;
	struct scn_name *names;		/* every name defined so far */
	size_t nnames, names_cap;
	bool seen_step;			/* a non-config command was parsed */
	int depth;			/* nested commands (expect fail ...) */
	const struct scn_cmd *cmd;	/* the command being parsed (usage) */
};

/* Report an error at @pos with the current line shown; returns -1. */
int scn_parse_error(struct scn_parser *p, const struct scn_pos *pos, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	scn_format_error(p->lx.err, p->lx.errlen, pos, p->lx.line_text, p->lx.line_len,
			 fmt, ap);
	va_end(ap);
	return -1;
}

/* The script being parsed (config commands fill in its cfg). */
struct scn_script *scn_parser_script(struct scn_parser *p)
{
	return p->script;
}

static struct scn_token *peek(struct scn_parser *p) { return &p->toks[p->cur]; }
static struct scn_token *peek2(struct scn_parser *p)
{
	return p->toks[p->cur].kind == SCN_TK_EOL ? &p->toks[p->cur] : &p->toks[p->cur + 1];
}
static struct scn_token *next(struct scn_parser *p)
{
	struct scn_token *t = &p->toks[p->cur];

	if (t->kind != SCN_TK_EOL)
		p->cur++;
	return t;
}
static const char *tword(const struct scn_token *t) { return (const char *)t->str; }

/* Is @b written right after @a, with no space between them? */
static bool adjacent(const struct scn_token *a, const struct scn_token *b)
{
	return a->text + a->tlen == b->text;
}

/* A '+' or '-' with a space before it: the tail of a sum written with
 * spaces (sums are one argument, written without them). */
static bool spaced_operator(struct scn_parser *p, const struct scn_token *t)
{
	return (t->kind == SCN_TK_PLUS || t->kind == SCN_TK_MINUS) && t > p->toks &&
	       !adjacent(t - 1, t);
}

#define SPACED_SUM_HINT	"an address or a length is written without spaces, as buf+4K or 2M-4K"

static int expected(struct scn_parser *p, const struct scn_token *t, const char *what,
		    const char *ctx)
{
	char found[64];

	scn_describe_token(t, found, sizeof(found));
	if (spaced_operator(p, t))
		return scn_parse_error(p, &t->pos, "expected %s, found %s (%s)", what, found,
				       SPACED_SUM_HINT);
	if (ctx)
		return scn_parse_error(p, &t->pos, "expected %s after '%s', found %s", what, ctx,
				       found);
	return scn_parse_error(p, &t->pos, "expected %s, found %s", what, found);
}

/* FNV-1a of @s: compared before the strings, so a lookup among many names
 * costs an integer compare per name, not a strcmp(). */
static unsigned int name_hash(const char *s)
{
	unsigned int h = 2166136261u;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 16777619u;
	return h;
}

static const struct scn_name *name_find(struct scn_parser *p, const char *ns, const char *name)
{
	unsigned int h = name_hash(name);

	for (size_t i = p->nnames; i-- > 0;)
		if (p->names[i].hash == h && !strcmp(p->names[i].ns, ns) &&
		    !strcmp(p->names[i].name, name))
			return &p->names[i];
	return NULL;
}

static void name_define(struct scn_parser *p, const char *ns, const char *name)
{
	if (p->nnames == p->names_cap) {
		size_t cap = p->names_cap ? p->names_cap * 2 : 16;
		struct scn_name *n = realloc(p->names, cap * sizeof(*n));

		if (!n) {
			fputs("pinmm: out of memory\n", stderr);
			exit(2);
		}
		p->names = n;
		p->names_cap = cap;
	}
	p->names[p->nnames++] = (struct scn_name){ ns, name, p->lx.line, name_hash(name) };
}

static int choice_index(const char *const *choices, const char *w)
{
	for (int i = 0; choices && choices[i]; i++)
		if (!strcasecmp(choices[i], w))
			return i;
	return -1;
}

static int error_choices(struct scn_parser *p, const struct scn_token *t,
			 const char *what, const char *const *choices)
{
	char list[512], found[64];
	struct suggest sg = { t->kind == SCN_TK_WORD ? tword(t) : "", NULL, 0 };

	add_choices(list, sizeof(list), 0, choices, ", ");
	for (int i = 0; choices && choices[i]; i++)
		suggest_offer(&sg, choices[i]);
	scn_describe_token(t, found, sizeof(found));
	if (sg.best)
		return scn_parse_error(p, &t->pos, "expected %s (%s), found %s; did you mean '%s'?",
				       what, list, found, sg.best);
	if (spaced_operator(p, t))
		return scn_parse_error(p, &t->pos, "expected %s (%s), found %s (%s)", what, list,
				       found, SPACED_SUM_HINT);
	return scn_parse_error(p, &t->pos, "expected %s (%s), found %s", what, list, found);
}

/*
 * A number argument @a was expected at @t, which is something else: name
 * the argument and, where it is clear, why @t is not one.
 */
static int expected_number(struct scn_parser *p, const struct scn_arg *a,
			   enum scn_arg_type type, struct scn_token *t)
{
	char what[160];
	struct scn_token *n = peek2(p);

	snprintf(what, sizeof(what), "%s (%s)", a->name,
		 type == SCN_ARG_INT ? "a number" : "a number of bytes, as 4096, 4K or 2M-4K");
	if (t->kind == SCN_TK_MINUS && n->kind == SCN_TK_NUMBER && adjacent(t, n))
		return scn_parse_error(p, &t->pos, "expected %s, found '-%.*s', a negative number",
				       what, (int)n->tlen, n->text);
	if (t->kind == SCN_TK_WORD && name_find(p, SCN_NS_REGION, tword(t)))
		return scn_parse_error(p, &t->pos,
				       "expected %s, found region '%s' (a region is an address, not a %s)",
				       what, tword(t), a->name);
	return expected(p, t, what, NULL);
}

/*
 * number = term { ("+" | "-") term }, for sizes and lengths (addresses have
 * their own, parse_addr): the terms are summed left to right, written
 * without spaces ("2M-4K"; a "+" or "-" after a space ends the argument),
 * and the sum must not go below 0 or past the type's limit.  Plain
 * integers (counts) take one term.
 */
static int parse_number(struct scn_parser *p, const struct scn_arg *a, enum scn_arg_type type,
			struct scn_value *v)
{
	struct scn_token *t = peek(p), *last = t;
	uint64_t max, sum;
	const char *what;

	if (t->kind != SCN_TK_NUMBER)
		return expected_number(p, a, type, t);
	sum = t->num;
	next(p);
	while (type != SCN_ARG_INT &&
	       (peek(p)->kind == SCN_TK_PLUS || peek(p)->kind == SCN_TK_MINUS) &&
	       adjacent(last, peek(p))) {
		struct scn_token *op = next(p), *o = peek(p);
		bool plus = op->kind == SCN_TK_PLUS;

		if (o->kind != SCN_TK_NUMBER || !adjacent(op, o))
			return scn_parse_error(p, &o->pos,
					       "expected a number right after '%c' (%s)",
					       plus ? '+' : '-', SPACED_SUM_HINT);
		if (!plus && o->num > sum)
			return scn_parse_error(p, &o->pos, "%s %.*s is negative", a->name,
					       (int)(o->text + o->tlen - t->text), t->text);
		if (plus && sum + o->num < sum)
			return scn_parse_error(p, &o->pos,
					       "%s %.*s does not fit in 64 bits", a->name,
					       (int)(o->text + o->tlen - t->text), t->text);
		sum = plus ? sum + o->num : sum - o->num;
		last = o;
		next(p);
	}
	switch (type) {
	case SCN_ARG_SIZE:
		max = p->script->mem_bytes;
		what = "the model's memory size";
		break;
	case SCN_ARG_LEN:
		max = SCN_MAX_LEN;
		what = "the address space (256T)";
		break;
	default:
		max = INT64_MAX;
		what = "2^63-1";
		break;
	}
	if (sum > max) {
		int len = (int)(last->text + last->tlen - t->text);

		if (type == SCN_ARG_SIZE)
			return scn_parse_error(p, &t->pos,
					       "%s %.*s exceeds %s (%lluM)", a->name,
					       len, t->text, what,
					       (unsigned long long)(max >> 20));
		return scn_parse_error(p, &t->pos, "%s %.*s exceeds %s", a->name,
				       len, t->text, what);
	}
	v->num = sum;
	return 0;
}

static bool valid_name(const char *w)
{
	size_t n = strlen(w);

	if (!n || n > SCN_MAX_NAME)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)w[i]) && w[i] != '_')
			return false;
	return true;
}

static int parse_ref(struct scn_parser *p, const char *ns, const char *what,
		     struct scn_token *t)
{
	struct suggest sg = { tword(t), NULL, 0 };
	char known[256];
	size_t n = 0, count = 0;

	if (name_find(p, ns, tword(t)))
		return 0;
	for (size_t i = 0; i < p->nnames; i++) {
		if (strcmp(p->names[i].ns, ns))
			continue;
		suggest_offer(&sg, p->names[i].name);
		if (count++ < 8)
			n = add(known, sizeof(known), n, "%s%s", n ? ", " : "", p->names[i].name);
	}
	if (sg.best)
		return scn_parse_error(p, &t->pos, "unknown %s '%s'; did you mean '%s'?", what,
				       tword(t), sg.best);
	if (count)
		return scn_parse_error(p, &t->pos, "unknown %s '%s' (known: %s)", what, tword(t),
				       known);
	if (!strcmp(ns, SCN_NS_PROCESS))
		return scn_parse_error(p, &t->pos,
				       "unknown process '%s' (create it first: process %s)",
				       tword(t), tword(t));
	if (!strcmp(ns, SCN_NS_REGION))
		return scn_parse_error(p, &t->pos,
				       "unknown region '%s' (name it first: mmap <process> %s <length>)",
				       tword(t), tword(t));
	return scn_parse_error(p, &t->pos, "unknown %s '%s'", what, tword(t));
}

/*
 * address = ( region | number ) { ("+" | "-") number }
 * The offset terms are summed left to right and must stay within
 * [0, SCN_MAX_LEN].
 */
static int parse_addr(struct scn_parser *p, const struct scn_arg *a, struct scn_value *v)
{
	struct scn_token *t = peek(p), *first = t, *last = t;
	uint64_t off = 0;

	if (t->kind == SCN_TK_NUMBER) {
		off = t->num;
		if (off > SCN_MAX_LEN)
			return scn_parse_error(p, &t->pos, "address %.*s is beyond the address space",
					       (int)t->tlen, t->text);
	} else if (t->kind == SCN_TK_WORD && a->choices &&
		   choice_index(a->choices, tword(t)) >= 0) {
		/* A word the command takes instead of an address. */
		v->index = 1 + choice_index(a->choices, tword(t));
		v->word = tword(t);
		next(p);
		return 0;
	} else if (t->kind == SCN_TK_WORD) {
		if (!name_find(p, SCN_NS_REGION, tword(t)) && strchr(tword(t), '-'))
			return scn_parse_error(p, &t->pos,
					       "unknown region '%s' (write offsets as region+N or region+N-M)",
					       tword(t));
		if (parse_ref(p, SCN_NS_REGION, "region", t))
			return -1;
		v->word = tword(t);
	} else {
		struct scn_token *n = peek2(p);

		if (t->kind == SCN_TK_MINUS && n->kind == SCN_TK_NUMBER && adjacent(t, n))
			return scn_parse_error(p, &t->pos,
					       "expected %s (a region, region+offset or a number), found '-%.*s', a negative number",
					       a->name, (int)n->tlen, n->text);
		return expected(p, t, "an address (region, region+offset or a number)", NULL);
	}
	next(p);
	while ((peek(p)->kind == SCN_TK_PLUS || peek(p)->kind == SCN_TK_MINUS) &&
	       adjacent(last, peek(p))) {
		bool plus = peek(p)->kind == SCN_TK_PLUS;
		struct scn_token *op = next(p), *o = peek(p);
		int len;

		if (o->kind != SCN_TK_NUMBER || !adjacent(op, o))
			return scn_parse_error(p, &o->pos, "expected an offset right after '%c' (%s)",
					       plus ? '+' : '-', SPACED_SUM_HINT);
		len = (int)(o->text + o->tlen - first->text);
		if (o->num > SCN_MAX_LEN || (plus && off + o->num > SCN_MAX_LEN))
			return scn_parse_error(p, &o->pos, "address %.*s is beyond the address space (256T)",
					       len, first->text);
		if (!plus && o->num > off) {
			if (v->word)
				return scn_parse_error(p, &o->pos,
						       "address %.*s lies before the start of region '%s' (an offset from a region cannot be negative)",
						       len, first->text, v->word);
			return scn_parse_error(p, &o->pos, "address %.*s is negative", len,
					       first->text);
		}
		off = plus ? off + o->num : off - o->num;
		last = o;
		next(p);
	}
	v->num = off;
	return 0;
}

static int parse_cmp(struct scn_parser *p, enum scn_arg_type type, struct scn_value *v)
{
	struct scn_token *t = peek(p);

	if (type == SCN_ARG_CHANGE && (t->kind == SCN_TK_PLUS || t->kind == SCN_TK_MINUS)) {
		struct scn_token *n = peek2(p);

		if (n->kind != SCN_TK_NUMBER)
			return expected(p, n, "a number", t->kind == SCN_TK_PLUS ? "+" : "-");
		if (n->num > INT64_MAX)
			return scn_parse_error(p, &n->pos, "change %.*s is too large",
					       (int)n->tlen, n->text);
		v->index = SCN_OP_DELTA;
		v->delta = t->kind == SCN_TK_PLUS ? (int64_t)n->num : -(int64_t)n->num;
		next(p);
		next(p);
		return 0;
	}
	if (t->kind == SCN_TK_OP) {
		struct scn_token *n = peek2(p);

		if (n->kind != SCN_TK_NUMBER)
			return expected(p, n, "a number", "comparison");
		t = n;
		v->index = (int)p->toks[p->cur].op;
		next(p);
	} else if (type == SCN_ARG_CMP && t->kind == SCN_TK_NUMBER) {
		v->index = SCN_OP_EQ;
	} else if (t->kind == SCN_TK_NUMBER) {
		return scn_parse_error(p, &t->pos,
				       "expected a change (+N or -N) or a comparison (== != < <= > >= N), found number %.*s (write +%.*s for a change by %.*s, == %.*s for the value)",
				       (int)t->tlen, t->text, (int)t->tlen, t->text, (int)t->tlen,
				       t->text, (int)t->tlen, t->text);
	} else {
		return expected(p, t, type == SCN_ARG_CHANGE ?
				"a change (+N or -N) or a comparison (== != < <= > >= N)" :
				"a number or a comparison (== != < <= > >= N)", NULL);
	}
	if (t->num > INT64_MAX)
		return scn_parse_error(p, &t->pos, "number %.*s is too large", (int)t->tlen, t->text);
	v->num = t->num;
	next(p);
	return 0;
}

static int parse_command(struct scn_parser *p, struct scn_step **stepp);

/* "child (a new process name)" for messages about a missing argument. */
static const char *arg_what(const struct scn_arg *a, char *buf, size_t size)
{
	switch (a->type) {
	case SCN_ARG_LITERAL:
		snprintf(buf, size, "'%s'", a->name);
		break;
	case SCN_ARG_DEF:
		snprintf(buf, size, "%s (a new %s name)", a->name, a->ns);
		break;
	case SCN_ARG_REF:
		if (!strcmp(a->name, a->ns))
			snprintf(buf, size, "a %s name", a->ns);
		else
			snprintf(buf, size, "%s (a %s name)", a->name, a->ns);
		break;
	default:
		snprintf(buf, size, "%s", a->name);
		break;
	}
	return buf;
}

/* Parse one value of a simple (single-slot) type. */
static int parse_simple(struct scn_parser *p, const struct scn_arg *a, enum scn_arg_type type,
			const char *const *choices, struct scn_value *v)
{
	struct scn_token *t = peek(p);
	char what[96];
	int idx;

	v->type = type;
	v->pos = t->pos;
	v->present = true;
	v->fill = -1;
	switch (type) {
	case SCN_ARG_LITERAL:
		if (t->kind != SCN_TK_WORD || strcmp(tword(t), a->name)) {
			char found[64], usage[512];

			/* A keyword of the syntax: show where it goes. */
			if (!p->cmd || spaced_operator(p, t))
				return expected(p, t, arg_what(a, what, sizeof(what)), NULL);
			scn_describe_token(t, found, sizeof(found));
			scn_format_usage(p->cmd, usage, sizeof(usage));
			return scn_parse_error(p, &t->pos, "expected '%s', found %s (usage: %s)",
					       a->name, found, usage);
		}
		next(p);
		return 0;
	case SCN_ARG_WORD:
		if (t->kind != SCN_TK_WORD)
			return expected(p, t, arg_what(a, what, sizeof(what)), NULL);
		v->word = tword(t);
		next(p);
		return 0;
	case SCN_ARG_KEYWORD:
		if (t->kind != SCN_TK_WORD || (idx = choice_index(choices, tword(t))) < 0)
			return error_choices(p, t, a->name, choices);
		v->index = idx;
		v->word = choices[idx];
		next(p);
		return 0;
	case SCN_ARG_DEF: {
		const struct scn_name *old;

		if (t->kind != SCN_TK_WORD)
			return expected(p, t, arg_what(a, what, sizeof(what)), NULL);
		if (!valid_name(tword(t)))
			return scn_parse_error(p, &t->pos,
					       "invalid %s name '%s' (letters, digits and '_', at most %d)",
					       a->ns, tword(t), SCN_MAX_NAME);
		old = name_find(p, a->ns, tword(t));
		if (old && !(a->flags & SCN_REDEFINE))
			return scn_parse_error(p, &t->pos, "%s '%s' already defined at line %u",
					       a->ns, tword(t), old->line);
		name_define(p, a->ns, tword(t));
		v->word = tword(t);
		next(p);
		return 0;
	}
	case SCN_ARG_REF:
		if (t->kind != SCN_TK_WORD)
			return expected(p, t, arg_what(a, what, sizeof(what)), NULL);
		if (parse_ref(p, a->ns, a->ns, t))
			return -1;
		v->word = tword(t);
		next(p);
		return 0;
	case SCN_ARG_INT:
	case SCN_ARG_SIZE:
	case SCN_ARG_LEN:
		return parse_number(p, a, type, v);
	case SCN_ARG_ADDR:
		return parse_addr(p, a, v);
	case SCN_ARG_STRING:
		if (t->kind != SCN_TK_STRING)
			return expected(p, t, "a \"string\"", NULL);
		v->data = t->str;
		v->len = t->slen;
		next(p);
		return 0;
	case SCN_ARG_DATA:
		if (t->kind == SCN_TK_STRING) {
			v->data = t->str;
			v->len = t->slen;
			next(p);
			return 0;
		}
		if (t->kind != SCN_TK_WORD || strcmp(tword(t), "pattern"))
			return expected(p, t, "data: a \"string\" or pattern <byte> <size>", NULL);
		next(p);
		t = peek(p);
		if (t->kind != SCN_TK_NUMBER)
			return expected(p, t, "a byte value", "pattern");
		if (t->num > 0xff)
			return scn_parse_error(p, &t->pos, "pattern byte %.*s is not in 0..255",
					       (int)t->tlen, t->text);
		v->fill = (int)t->num;
		next(p);
		{
			struct scn_arg sz = { .type = SCN_ARG_SIZE, .name = "pattern size" };
			struct scn_value tmp = { 0 };

			if (peek(p)->kind != SCN_TK_NUMBER)
				return expected(p, peek(p), "a size", "pattern <byte>");
			if (parse_number(p, &sz, SCN_ARG_SIZE, &tmp))
				return -1;
			v->len = (size_t)tmp.num;
		}
		return 0;
	case SCN_ARG_ERRNO:
		if (t->kind == SCN_TK_NUMBER && t->num >= 1 && t->num <= PNM_MAX_ERRNO) {
			v->index = (int)t->num;
		} else if (t->kind != SCN_TK_WORD ||
			   (v->index = pnm_errno_parse(tword(t))) <= 0) {
			if (t->kind == SCN_TK_WORD)
				return scn_parse_error(p, &t->pos,
						       "unknown error name '%s' (expected e.g. EFAULT, ENOMEM, EBUSY)",
						       tword(t));
			return expected(p, t, "an error name (e.g. EFAULT)", NULL);
		}
		v->word = t->kind == SCN_TK_WORD ? tword(t) : NULL;
		next(p);
		return 0;
	case SCN_ARG_ZONE:
		for (idx = 0; idx < PNM_NR_ZONES; idx++)
			if (t->kind == SCN_TK_WORD &&
			    !strcasecmp(tword(t), pnm_zone_name((enum pnm_zone_type)idx)))
				break;
		if (idx == PNM_NR_ZONES) {
			static const char *const zones[] = { "Normal", "Movable", "CMA", NULL };

			return error_choices(p, t, "a zone", zones);
		}
		v->index = idx;
		v->word = pnm_zone_name((enum pnm_zone_type)idx);
		next(p);
		return 0;
	case SCN_ARG_COUNTER:
		if (t->kind != SCN_TK_WORD)
			return expected(p, t, "a counter name (see pinmm stats)", NULL);
		v->index = pnm_stat_lookup(tword(t));
		if (v->index < 0) {
			struct suggest sg = { tword(t), NULL, 0 };

			for (int i = 0; i < pnm_stat_count(); i++)
				suggest_offer(&sg, pnm_stat_name(i));
			if (sg.best)
				return scn_parse_error(p, &t->pos,
						       "unknown counter '%s'; did you mean '%s'?",
						       tword(t), sg.best);
			return scn_parse_error(p, &t->pos,
					       "unknown counter '%s' (pinmm stats lists them)",
					       tword(t));
		}
		v->word = tword(t);
		next(p);
		return 0;
	case SCN_ARG_CHANGE:
	case SCN_ARG_CMP:
		return parse_cmp(p, type, v);
	case SCN_ARG_COMMAND:
		if (p->depth >= 2)
			return scn_parse_error(p, &t->pos, "commands nest too deeply");
		if (t->kind != SCN_TK_WORD)
			return expected(p, t, "a command", NULL);
		return parse_command(p, &v->inner);
	default:
		return scn_parse_error(p, &t->pos, "internal error: bad schema for '%s'", a->name);
	}
}

/* Is the next token the start of the optional argument @a? */
static bool optional_matches(struct scn_parser *p, const struct scn_arg *a)
{
	struct scn_token *t = peek(p);

	switch (a->type) {
	case SCN_ARG_LITERAL:
		return t->kind == SCN_TK_WORD && !strcmp(tword(t), a->name);
	case SCN_ARG_KEYWORD:
		return t->kind == SCN_TK_WORD && choice_index(a->choices, tword(t)) >= 0;
	case SCN_ARG_INT:
	case SCN_ARG_SIZE:
	case SCN_ARG_LEN:
		return t->kind == SCN_TK_NUMBER;
	case SCN_ARG_STRING:
		return t->kind == SCN_TK_STRING;
	case SCN_ARG_WORD:
	case SCN_ARG_DEF:
	case SCN_ARG_REF:
		return t->kind == SCN_TK_WORD;	/* names are words */
	case SCN_ARG_CHANGE:
	case SCN_ARG_CMP:
		return t->kind == SCN_TK_OP || t->kind == SCN_TK_PLUS ||
		       t->kind == SCN_TK_MINUS || t->kind == SCN_TK_NUMBER;
	default:
		return t->kind != SCN_TK_EOL;
	}
}

struct valbuf {
	struct scn_value v[SCN_MAX_VALUES];
	unsigned int n;
};

static struct scn_value *valbuf_add(struct scn_parser *p, struct valbuf *vb)
{
	if (vb->n >= SCN_MAX_VALUES) {
		scn_parse_error(p, &peek(p)->pos, "too many arguments");
		return NULL;
	}
	memset(&vb->v[vb->n], 0, sizeof(vb->v[0]));
	vb->v[vb->n].fill = -1;
	return &vb->v[vb->n++];
}

static int parse_flags(struct scn_parser *p, const struct scn_arg *a, struct valbuf *vb)
{
	struct scn_value *bits = valbuf_add(p, vb);
	unsigned int first_opt = vb->n;

	if (!bits)
		return -1;
	bits->type = SCN_ARG_FLAGS;
	bits->pos = peek(p)->pos;
	bits->present = true;
	for (const struct scn_option *o = a->options; o && o->key; o++)
		if (!valbuf_add(p, vb))
			return -1;
	while (peek(p)->kind == SCN_TK_WORD) {
		struct scn_token *t = peek(p);
		int idx;

		if (peek2(p)->kind == SCN_TK_ASSIGN) {
			const struct scn_option *o = a->options;
			struct scn_arg oa = { 0 };
			struct scn_value *v;

			for (idx = 0; o && o[idx].key; idx++)
				if (!strcmp(o[idx].key, tword(t)))
					break;
			if (!o || !o[idx].key) {
				char list[256];
				size_t n = 0;

				for (int i = 0; o && o[i].key; i++)
					n = add(list, sizeof(list), n, "%s%s=", i ? ", " : "", o[i].key);
				return scn_parse_error(p, &t->pos, "unknown option '%s=' (%s%s)",
						       tword(t), n ? "expected one of " : "this command takes none",
						       n ? list : "");
			}
			v = &vb->v[first_opt + (unsigned int)idx];
			if (v->present)
				return scn_parse_error(p, &t->pos, "option '%s=' given twice", tword(t));
			next(p);
			next(p);
			oa.type = o[idx].type;
			oa.name = o[idx].key;
			oa.choices = o[idx].choices;
			oa.ns = o[idx].ns;
			if (parse_simple(p, &oa, o[idx].type, o[idx].choices, v))
				return -1;
			continue;
		}
		idx = choice_index(a->choices, tword(t));
		if (idx < 0 && a[1].type == SCN_ARG_END) {
			/* Nothing else may follow: this was meant as a flag. */
			char keys[256];
			size_t n = add(keys, sizeof(keys), 0, "key=value (");

			if (a->choices)
				return error_choices(p, t, a->name, a->choices);
			for (const struct scn_option *o = a->options; o && o->key; o++)
				n = add(keys, sizeof(keys), n, "%s%s=", o == a->options ? "" : ", ",
					o->key);
			add(keys, sizeof(keys), n, ")");
			return expected(p, t, keys, NULL);
		}
		if (idx < 0)
			break;
		if (bits->num & (1ULL << idx))
			return scn_parse_error(p, &t->pos, "'%s' given twice", tword(t));
		bits->num |= 1ULL << idx;
		next(p);
	}
	return 0;
}

static int parse_args(struct scn_parser *p, const struct scn_cmd *cmd, const struct scn_arg *args,
		      struct valbuf *vb)
{
	bool skip_next = false, need_next = false;

	for (const struct scn_arg *a = args; a && a->type != SCN_ARG_END; a++) {
		bool skip = skip_next, need = need_next;
		struct scn_value *v;

		/* "[since <checkpoint>]": without the word, no argument follows;
		 * with it, one must. */
		skip_next = false;
		need_next = a->type == SCN_ARG_LITERAL && a[1].type != SCN_ARG_END &&
			    (a[1].flags & SCN_OPTIONAL);

		if (a->type == SCN_ARG_FLAGS) {
			if (parse_flags(p, a, vb))
				return -1;
			continue;
		}
		v = valbuf_add(p, vb);
		if (!v)
			return -1;
		if ((a->flags & SCN_OPTIONAL) && (skip || (!need && !optional_matches(p, a)))) {
			v->type = a->type;
			v->pos = peek(p)->pos;
			skip_next = need_next;
			need_next = false;
			continue;
		}
		if (a->type == SCN_ARG_VARIANT) {
			struct scn_token *t = peek(p);
			const struct scn_cmd *m = NULL;
			const char *list[64];
			int nl = 0;

			if (t->kind == SCN_TK_WORD)
				m = scn_lookup(a->family, tword(t));
			if (!m) {
				for (size_t i = 0; i < registry_nr && nl < 63; i++)
					if (same_family(registry[i]->family, a->family))
						list[nl++] = registry[i]->name;
				list[nl] = NULL;
				return error_choices(p, t, a->name, list);
			}
			v->type = SCN_ARG_VARIANT;
			v->pos = t->pos;
			v->present = true;
			v->variant = m;
			v->word = m->name;
			next(p);
			if (parse_args(p, m, m->args, vb))
				return -1;
			continue;
		}
		if (parse_simple(p, a, a->type, a->choices, v))
			return -1;
	}
	return 0;
}

static int unknown_command(struct scn_parser *p, struct scn_token *t)
{
	struct suggest sg = { tword(t), NULL, 0 };
	char subs[512], first[64];
	size_t n = 0, wl = strlen(tword(t));
	struct scn_token *t2 = peek2(p);

	/* "expect" alone, or "expect bogus": list what may follow. */
	for (size_t i = 0; i < registry_nr; i++) {
		const char *name = registry[i]->name;

		if (registry[i]->family)
			continue;
		if (!strncmp(name, tword(t), wl) && name[wl] == ' ') {
			n = add(subs, sizeof(subs), n, "%s%s", n ? ", " : "", name + wl + 1);
		}
	}
	if (n) {
		struct suggest sg2 = { t2->kind == SCN_TK_WORD ? tword(t2) : "", NULL, 0 };
		char found[64];

		for (size_t i = 0; i < registry_nr; i++) {
			const char *name = registry[i]->name;

			if (!registry[i]->family && !strncmp(name, tword(t), wl) && name[wl] == ' ')
				suggest_offer(&sg2, name + wl + 1);
		}
		scn_describe_token(t2, found, sizeof(found));
		if (sg2.best)
			return scn_parse_error(p, &t2->pos,
					       "expected one of %s after '%s', found %s; did you mean '%s'?",
					       subs, tword(t), found, sg2.best);
		return scn_parse_error(p, &t2->pos, "expected one of %s after '%s', found %s",
				       subs, tword(t), found);
	}
	for (size_t i = 0; i < registry_nr; i++) {
		const char *name = registry[i]->name;
		const char *sp = strchr(name, ' ');

		if (registry[i]->family)
			continue;
		if (sp) {
			snprintf(first, sizeof(first), "%.*s", (int)(sp - name), name);
			suggest_offer(&sg, first);
		} else {
			suggest_offer(&sg, name);
		}
	}
	if (sg.best)
		return scn_parse_error(p, &t->pos, "unknown command '%s'; did you mean '%s'?",
				       tword(t), sg.best);
	return scn_parse_error(p, &t->pos, "unknown command '%s' (pinmm run --help lists them)",
			       tword(t));
}

static int parse_command(struct scn_parser *p, struct scn_step **stepp)
{
	struct scn_token *t = peek(p), *t2;
	const struct scn_cmd *cmd = NULL, *outer;
	struct valbuf *vb;
	struct scn_step *st;
	const char *start;
	int ret = -1;

	if (t->kind != SCN_TK_WORD)
		return expected(p, t, "a command name", NULL);
	start = t->text;
	t2 = peek2(p);
	if (t2->kind == SCN_TK_WORD) {
		char two[2 * SCN_MAX_LINE + 2];

		snprintf(two, sizeof(two), "%s %s", tword(t), tword(t2));
		cmd = scn_lookup(NULL, two);
		if (cmd) {
			next(p);
			next(p);
		}
	}
	if (!cmd) {
		cmd = scn_lookup(NULL, tword(t));
		if (!cmd)
			return unknown_command(p, t);
		next(p);
	}
	if (cmd->flags & SCN_CONFIG) {
		if (p->depth)
			return scn_parse_error(p, &t->pos, "'%s' cannot be nested", cmd->name);
		if (p->seen_step)
			return scn_parse_error(p, &t->pos,
					       "'%s' configures the model and must come before every other step",
					       cmd->name);
	} else if (!p->depth) {
		p->seen_step = true;
	}
	/* Only a top-level wrapper (host-differs) may hold an expectation. */
	if (p->depth && (cmd->flags & SCN_EXPECT) &&
	    !(p->depth == 1 && p->cmd && (p->cmd->flags & SCN_WRAPPER)))
		return scn_parse_error(p, &t->pos, "an expectation cannot be nested ('%s')",
				       cmd->name);

	vb = malloc(sizeof(*vb));
	if (!vb) {
		fputs("pinmm: out of memory\n", stderr);
		exit(2);
	}
	vb->n = 0;
	p->depth++;
	outer = p->cmd;
	p->cmd = cmd;
	if (parse_args(p, cmd, cmd->args, vb))
		goto out_free_vb;
	if (p->depth == 1) {
		struct scn_token *e = peek(p);

		if (e->kind != SCN_TK_EOL) {
			char found[64], usage[512];

			scn_describe_token(e, found, sizeof(found));
			scn_format_usage(cmd, usage, sizeof(usage));
			if (spaced_operator(p, e))
				scn_parse_error(p, &e->pos,
						"expected end of line, found %s (%s; usage: %s)",
						found, SPACED_SUM_HINT, usage);
			else
				scn_parse_error(p, &e->pos,
						"expected end of line, found %s (usage: %s)",
						found, usage);
			goto out_free_vb;
		}
	}
	st = scn_arena_alloc(p->lx.arena, sizeof(*st));
	st->cmd = cmd;
	st->pos = t->pos;
	{
		/* Source text of this command: up to the comment, trimmed. */
		const char *end = peek(p)->text;

		while (end > start && (end[-1] == ' ' || end[-1] == '\t'))
			end--;
		st->text = scn_arena_strndup(p->lx.arena, start, (size_t)(end - start));
	}
	st->nargs = vb->n;
	st->args = scn_arena_alloc(p->lx.arena, sizeof(struct scn_value) * (vb->n ? vb->n : 1));
	memcpy(st->args, vb->v, sizeof(struct scn_value) * vb->n);
	if (cmd->check && cmd->check(p, st, st->args))
		goto out_free_vb;
	for (unsigned int i = 0; i < st->nargs; i++) {
		const struct scn_value *v = &st->args[i];

		if (v->type == SCN_ARG_VARIANT && v->variant->check &&
		    v->variant->check(p, st, st->args + i + 1))
			goto out_free_vb;
	}
	*stepp = st;
	ret = 0;
out_free_vb:
	p->cmd = outer;
	p->depth--;
	free(vb);
	return ret;
}

static void steps_push(struct scn_script *s, struct scn_step *st, unsigned int *cap)
{
	if (s->nsteps == *cap) {
		unsigned int ncap = *cap ? *cap * 2 : 64;
		struct scn_step **n = scn_arena_alloc(s->arena, ncap * sizeof(*n));

		if (s->nsteps)
			memcpy(n, s->steps, s->nsteps * sizeof(*n));
		s->steps = n;
		*cap = ncap;
	}
	s->steps[s->nsteps++] = st;
}

static uint64_t config_bytes(const struct pnm_config *cfg)
{
	uint64_t total = 0;

	for (int z = 0; z < PNM_NR_ZONES; z++)
		total += (uint64_t)ALIGN(cfg->zone_frames[z], 512UL) << PAGE_SHIFT;
	return total;
}

/*
 * Parse a whole buffer.  Every path that fails frees what it built; the
 * returned script owns its arena.
 */
struct scn_script *scn_parse_buffer(const char *name, const char *buf, size_t len,
				    char *err, size_t errlen)
{
	struct scn_parser p = { 0 };
	struct scn_script *s;
	struct scn_arena *arena;
	unsigned int cap = 0;
	int n;

	if (err && errlen)
		err[0] = '\0';
	if (registry_nomem) {
		snprintf(err, errlen, "%s: error: out of memory at start-up: "
			 "the scenario commands could not all be registered", name);
		return NULL;
	}
	arena = scn_arena_new();
	s = scn_arena_alloc(arena, sizeof(*s));
	s->arena = arena;
	s->name = scn_arena_strndup(arena, name, strlen(name));
	pnm_config_default(&s->cfg);
	s->mem_bytes = config_bytes(&s->cfg);
	p.script = s;
	p.lx = (struct scn_lexer){ .name = s->name, .buf = buf, .len = len, .arena = arena,
				   .err = err, .errlen = errlen };
	if (scn_lex_validate(&p.lx))
		goto out_free;
	p.toks = malloc(sizeof(*p.toks) * (SCN_MAX_LINE + 2));
	if (!p.toks) {
		fputs("pinmm: out of memory\n", stderr);
		exit(2);
	}
	while ((n = scn_lex_line(&p.lx, p.toks, SCN_MAX_LINE + 2)) > 0) {
		struct scn_step *st;

		p.ntoks = (unsigned int)n;
		p.cur = 0;
		if (p.toks[0].kind == SCN_TK_EOL)
			continue;
		if (parse_command(&p, &st))
			goto out_free;
		if (st->cmd->flags & SCN_CONFIG)
			s->mem_bytes = config_bytes(&s->cfg);
		steps_push(s, st, &cap);
	}
	if (n < 0)
		goto out_free;
	s->nlines = p.lx.line;
	free(p.toks);
	free(p.names);
	return s;
out_free:
	free(p.toks);
	free(p.names);
	scn_arena_free(arena);
	return NULL;
}

/*
 * Read @path whole and parse it; "-" is standard input, named "<stdin>"
 * in messages and results.  A file over SCN_MAX_FILE is an error giving
 * its size (a regular file's) or saying it is over the limit.
 */
struct scn_script *scn_parse_file(const char *path, char *err, size_t errlen)
{
	bool is_stdin = !strcmp(path, "-");
	const char *name = is_stdin ? "<stdin>" : path;
	FILE *f = is_stdin ? stdin : fopen(path, "rb");
	struct scn_script *s;
	struct stat st;
	char *buf;
	size_t n;

	if (!f) {
		snprintf(err, errlen, "%s: error: cannot open: %s", path, strerror(errno));
		return NULL;
	}
	buf = malloc(SCN_MAX_FILE + 1);
	if (!buf) {
		snprintf(err, errlen, "%s: error: out of memory", name);
		goto out_close;
	}
	n = fread(buf, 1, SCN_MAX_FILE + 1, f);
	if (ferror(f)) {
		snprintf(err, errlen, "%s: error: read failed: %s", name, strerror(errno));
		goto out_free;
	}
	if (n > SCN_MAX_FILE) {
		/* Only SCN_MAX_FILE + 1 bytes were read: the size is the file's. */
		if (!fstat(fileno(f), &st) && S_ISREG(st.st_mode))
			snprintf(err, errlen,
				 "%s:1:1: error: file too large (%lld bytes; the limit is %u)",
				 name, (long long)st.st_size, SCN_MAX_FILE);
		else
			snprintf(err, errlen,
				 "%s:1:1: error: file too large (more than %u bytes, the limit)",
				 name, SCN_MAX_FILE);
		goto out_free;
	}
	if (!is_stdin)
		fclose(f);
	s = scn_parse_buffer(name, buf, n, err, errlen);
	free(buf);
	return s;
out_free:
	free(buf);
out_close:
	if (!is_stdin)
		fclose(f);
	return NULL;
}

/* Free a parsed script (NULL is fine). */
void scn_script_free(struct scn_script *s)
{
	if (s)
		scn_arena_free(s->arena);
}
