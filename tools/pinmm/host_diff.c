/* SPDX-License-Identifier: MIT */
/*
 * host_diff.c - `pinmm diff FILE...`: each scenario in the model and on the
 * host kernel, step by step, and `pinmm run --host` (the host runner's
 * command line; scn_cli.c parses its options).
 *
 * Both runs execute the same parsed script, so their results pair by step.
 * A step agrees when both report the same status (ok, PASS, FAIL), the same
 * errno when it failed with one, and, for steps that show what was read
 * (read, pread), the same bytes.  A step the host skipped is listed with
 * the reason and counts as neither.  A disagreement on a step wrapped in
 * `host-differs "REASON" ...` is a known difference: listed with its
 * reason, it does not fail the diff.  Anything else is a disagreement and
 * makes the exit status 1.
 *
 * Exit status: 0 no unexplained disagreement, 1 one at least (or a model
 * failure the host does not share), 2 usage or parse error, 77 the host
 * cannot run scenarios at all (the reason on stderr; ctest's skip code).
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>
#include "cli.h"
#include "host.h"

/* --- capturing results ----------------------------------------------------------- */

struct cap_ent {
	const struct scn_step *step;
	unsigned int line;
	char *command;
	enum scn_status status;
	char *detail;
};

struct capture {
	struct cap_ent *e;
	size_t n, cap;
};

static char *xstrdup(const char *s)
{
	char *d = strdup(s ? s : "");

	if (!d) {
		fputs("pinmm: out of memory\n", stderr);
		exit(2);
	}
	return d;
}

static void cap_begin(struct scn_sink *s, const char *file)
{
}

static void cap_step(struct scn_sink *s, const struct scn_result *res)
{
	struct capture *c = s->priv;

	if (c->n == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 64;
		c->e = realloc(c->e, c->cap * sizeof(*c->e));
		if (!c->e) {
			fputs("pinmm: out of memory\n", stderr);
			exit(2);
		}
	}
	c->e[c->n++] = (struct cap_ent){ res->step, res->line, xstrdup(res->command),
					 res->status, xstrdup(res->detail) };
}

static void cap_end(struct scn_sink *s, const char *file, unsigned int passed,
		    unsigned int failed, const long *counters, const char *stat_text)
{
}

static void cap_finish(struct scn_sink *s, unsigned int passed, unsigned int failed)
{
}

static void cap_clear(struct capture *c)
{
	for (size_t i = 0; i < c->n; i++) {
		free(c->e[i].command);
		free(c->e[i].detail);
	}
	free(c->e);
	memset(c, 0, sizeof(*c));
}

static const struct cap_ent *cap_find(const struct capture *c, const struct scn_step *st)
{
	for (size_t i = 0; i < c->n; i++)
		if (c->e[i].step == st)
			return &c->e[i];
	return NULL;
}

/* --- comparing ---------------------------------------------------------------------- */

static const char *status_word(enum scn_status st)
{
	return st == SCN_ST_PASS ? "PASS" : st == SCN_ST_FAIL ? "FAIL" :
	       st == SCN_ST_SKIP ? "SKIP" : "ok";
}

/* The errno name a failed step's detail ends with ("failed with EFAULT"),
 * copied into @buf; "" if none. */
static const char *failed_errno(const char *detail, char *buf, size_t size)
{
	const char *p = NULL, *q = detail;

	while ((q = strstr(q, "failed with "))) {
		p = q + 12;
		q = p;
	}
	buf[0] = '\0';
	if (p) {
		size_t n = strcspn(p, " ;)");

		snprintf(buf, size, "%.*s", (int)n, p);
	}
	return buf;
}

/* Commands whose detail is what the process or file showed. */
static bool shows_contents(const struct scn_step *st)
{
	return !strcmp(st->cmd->name, "read") || !strcmp(st->cmd->name, "pread");
}

enum verdict { V_AGREE, V_DIFFER, V_KNOWN, V_SKIP };

/* A step's flags; a wrapper's are those of the command it wraps. */
static unsigned int effective_flags(const struct scn_step *st)
{
	return (st->cmd->flags & SCN_WRAPPER) ? st->args[1].inner->cmd->flags : st->cmd->flags;
}

static enum verdict compare(const struct scn_step *st, const struct cap_ent *m,
			    const struct cap_ent *h, char *why, size_t size)
{
	bool known = !strcmp(st->cmd->name, "host-differs");
	const struct scn_step *inner = known ? st->args[1].inner : st;
	char em[32], eh[32];
	bool same;

	why[0] = '\0';
	if (!h || h->status == SCN_ST_SKIP) {
		snprintf(why, size, "%s", h ? h->detail : "the host did not run this step");
		return V_SKIP;
	}
	if (!m) {
		snprintf(why, size, "the model did not run this step (an earlier invariant "
			 "failure stopped it)");
		return V_DIFFER;
	}
	same = m->status == h->status;
	if (same && m->status == SCN_ST_FAIL &&
	    strcmp(failed_errno(m->detail, em, sizeof(em)), failed_errno(h->detail, eh, sizeof(eh)))) {
		snprintf(why, size, "errno: model %s, host %s", em[0] ? em : "none",
			 eh[0] ? eh : "none");
		same = false;
	} else if (same && shows_contents(inner) && m->status == SCN_ST_OK &&
		   strcmp(m->detail, h->detail)) {
		snprintf(why, size, "contents differ");
		same = false;
	} else if (!same) {
		snprintf(why, size, "model %s, host %s", status_word(m->status),
			 status_word(h->status));
	}
	if (same)
		return V_AGREE;
	if (known) {
		size_t n = strlen(why);

		snprintf(why + n, size - n, "; known: %s", (const char *)st->args[0].data);
		return V_KNOWN;
	}
	return V_DIFFER;
}

/* --- the command ----------------------------------------------------------------------- */

struct diff_totals {
	unsigned int agree, differ, known, skip, files;
};

static void json_side(FILE *out, const char *key, const struct cap_ent *e)
{
	fprintf(out, ", \"%s\": ", key);
	if (!e) {
		fputs("null", out);
		return;
	}
	fprintf(out, "{\"status\": \"%s\", \"detail\": ", status_word(e->status));
	scn_json_str(out, e->detail);
	fputc('}', out);
}

static const char *const verdict_words[] = { "agree", "differ", "known", "skip" };

/* Diff one script: print its steps (human or JSON) and add to @t. */
static void diff_one(const struct scn_script *s, const struct scn_run_opts *opts, bool json,
		     bool verbose, FILE *out, struct diff_totals *t, bool first)
{
	struct capture cm = { 0 }, ch = { 0 };
	struct scn_sink sm = { cap_begin, cap_step, cap_end, cap_finish, &cm };
	struct scn_sink sh = { cap_begin, cap_step, cap_end, cap_finish, &ch };
	unsigned int p = 0, f = 0, nsteps = 0, skipped_act = 0;
	struct diff_totals ft = { 0 };
	char why[1200];

	scn_run_script(s, opts, &sm, &p, &f);
	scn_run_script_host(s, opts, &sh, &p, &f);
	if (json)
		fprintf(out, "%s\n    {\"file\": ", first ? "" : ",");
	if (json) {
		scn_json_str(out, s->name);
		fputs(", \"steps\": [", out);
	}
	for (unsigned int i = 0; i < s->nsteps; i++) {
		const struct scn_step *st = s->steps[i];
		const struct cap_ent *m = cap_find(&cm, st), *h = cap_find(&ch, st);
		enum verdict v = compare(st, m, h, why, sizeof(why));

		/* A step the host skipped may have changed the model's state
		 * (faulted pages, made a THP): name it next to a disagreement
		 * that follows, for the reader to weigh. */
		if (v == V_DIFFER && skipped_act) {
			size_t n = strlen(why);

			snprintf(why + n, sizeof(why) - n, "; after the host skipped line %u, which "
				 "acts on memory", skipped_act);
		}
		if (v == V_SKIP && !(effective_flags(st) & SCN_OBSERVE))
			skipped_act = st->pos.line;
		switch (v) {
		case V_AGREE: ft.agree++; break;
		case V_DIFFER: ft.differ++; break;
		case V_KNOWN: ft.known++; break;
		case V_SKIP: ft.skip++; break;
		}
		if (json) {
			fprintf(out, "%s\n      {\"line\": %u, \"command\": ", nsteps++ ? "," : "",
				st->pos.line);
			scn_json_str(out, st->text);
			fprintf(out, ", \"verdict\": \"%s\", \"why\": ", verdict_words[v]);
			scn_json_str(out, why);
			json_side(out, "model", m);
			json_side(out, "host", h);
			fputc('}', out);
			continue;
		}
		if (v == V_AGREE && !verbose)
			continue;
		fprintf(out, "%s:%u: %s %s", s->name, st->pos.line,
			v == V_AGREE ? "agree" : v == V_DIFFER ? "DIFFER" : v == V_KNOWN ? "known" :
			"skip", st->text);
		if (why[0])
			fprintf(out, "  [%s]", why);
		fputc('\n', out);
		if (v == V_DIFFER || v == V_KNOWN) {
			fprintf(out, "    model: %s  [%s]\n", m ? status_word(m->status) : "-",
				m ? m->detail : "");
			fprintf(out, "    host:  %s  [%s]\n", h ? status_word(h->status) : "-",
				h ? h->detail : "");
		}
	}
	/* Results of no step: the model's teardown checks, the host's set-up. */
	for (size_t i = 0; i < cm.n; i++) {
		if (cm.e[i].step || cm.e[i].status != SCN_ST_FAIL)
			continue;
		ft.differ++;
		if (!json)
			fprintf(out, "%s:%u: DIFFER %s  [model: %s]\n", s->name, cm.e[i].line,
				cm.e[i].command, cm.e[i].detail);
	}
	for (size_t i = 0; i < ch.n; i++) {
		if (ch.e[i].step || ch.e[i].status == SCN_ST_OK)
			continue;
		if (ch.e[i].status == SCN_ST_FAIL)
			ft.differ++;
		if (!json)
			fprintf(out, "%s:%u: %s %s  [host: %s]\n", s->name, ch.e[i].line,
				ch.e[i].status == SCN_ST_FAIL ? "DIFFER" : "skip", ch.e[i].command,
				ch.e[i].detail);
	}
	if (json)
		fprintf(out, "\n    ], \"agree\": %u, \"differ\": %u, \"known\": %u, \"skipped\": %u}",
			ft.agree, ft.differ, ft.known, ft.skip);
	else
		fprintf(out, "%s: %u agree, %u differ, %u known, %u skipped\n", s->name, ft.agree,
			ft.differ, ft.known, ft.skip);
	t->agree += ft.agree;
	t->differ += ft.differ;
	t->known += ft.known;
	t->skip += ft.skip;
	t->files++;
	cap_clear(&cm);
	cap_clear(&ch);
}

static int parse_all(int n, char **files, struct scn_script **scripts, bool json)
{
	char err[8192];

	for (int i = 0; i < n; i++) {
		scripts[i] = scn_parse_file(files[i], err, sizeof(err));
		if (!scripts[i]) {
			fprintf(stderr, "%s\n", err);
			if (json) {
				printf("{\"version\": 1, \"error\": ");
				scn_json_str(stdout, err);
				printf(", \"ok\": false}\n");
			}
			return -1;
		}
	}
	return 0;
}

/*
 * `pinmm diff [--json] [-v] FILE...`: run each file in the model and on the
 * host and compare them step by step.  Exit status in the file comment.
 */
int cmd_diff(int argc, char **argv)
{
	struct scn_run_opts opts = { .pin_debug = SCN_SWITCH_DEFAULT };
	struct diff_totals t = { 0 };
	struct scn_script **scripts;
	bool json = false, verbose = false;
	char why[256];
	int i, status = 0;

	for (i = 1; i < argc && argv[i][0] == '-' && argv[i][1]; i++) {
		if (!strcmp(argv[i], "--")) {
			i++;
			break;
		}
		if (!strcmp(argv[i], "--json")) {
			json = true;
		} else if (!strcmp(argv[i], "-v") || !strcmp(argv[i], "--verbose")) {
			verbose = true;
		} else {
			fprintf(stderr, "pinmm diff: unknown option '%s'\n\n", argv[i]);
			cmd_diff_help(stderr);
			return 2;
		}
	}
	if (i == argc) {
		fprintf(stderr, "pinmm diff: no scenario files given\n\n");
		cmd_diff_help(stderr);
		return 2;
	}
	scripts = calloc((size_t)(argc - i), sizeof(*scripts));
	if (!scripts)
		return 2;
	if (parse_all(argc - i, argv + i, scripts, json)) {
		status = 2;
		goto out;
	}
	if (host_available(why, sizeof(why))) {
		fprintf(stderr, "pinmm diff: skipped: the host cannot run scenarios: %s\n", why);
		status = 77;
		goto out;
	}
	if (json)
		printf("{\n  \"version\": 1,\n  \"files\": [");
	for (int k = 0; k < argc - i; k++)
		diff_one(scripts[k], &opts, json, verbose, stdout, &t, k == 0);
	if (json)
		printf("\n  ],\n  \"agree\": %u,\n  \"differ\": %u,\n  \"known\": %u,\n"
		       "  \"skipped\": %u,\n  \"ok\": %s\n}\n", t.agree, t.differ, t.known, t.skip,
		       t.differ ? "false" : "true");
	else
		printf("%u file%s: %u agree, %u differ, %u known, %u skipped\n", t.files,
		       t.files == 1 ? "" : "s", t.agree, t.differ, t.known, t.skip);
	fflush(stdout);
	status = t.differ ? 1 : 0;
out:
	for (int k = 0; k < argc - i; k++)
		scn_script_free(scripts[k]);
	free(scripts);
	return status;
}

/* Full help of `pinmm diff`. */
void cmd_diff_help(FILE *out)
{
	fprintf(out,
		"usage: pinmm diff [--json] [-v] FILE...\n"
		"\n"
		"Run each scenario in the model and on the host's Linux kernel (as\n"
		"pinmm run --host) and compare them step by step: the status of every\n"
		"step (ok, PASS, FAIL), the errno of every failed step and the bytes\n"
		"read steps show.  Steps the host cannot express are listed as skipped\n"
		"with the reason; a disagreement on a step wrapped in\n"
		"host-differs \"REASON\" ... is listed as known (docs/fidelity.md).\n"
		"\n"
		"options:\n"
		"  --json      one JSON document: every step with both results\n"
		"  -v          list agreeing steps too\n"
		"  -h, --help  this text\n"
		"\n"
		"exit status: 0 no unexplained disagreement, 1 a disagreement,\n"
		"             2 usage or parse error, 77 the host cannot run scenarios\n"
		"             (io_uring disabled, no pagemap; the reason on stderr).\n");
}
