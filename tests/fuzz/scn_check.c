/* SPDX-License-Identifier: MIT */
/*
 * scn_check.c - one scenario input through the parser and the runner
 * (scn_check.h).  The runner's results are read through their structured
 * field (scn_result.broken), never by matching the detail text: an input
 * may well expect the string "frames leaked" of some buffer.
 */
#include <stdio.h>
#include <string.h>
#include "scn.h"
#include "scn_check.h"

struct watch {
	bool broken;
	char why[512];
};

static void w_begin(struct scn_sink *s, const char *file) { (void)s; (void)file; }

static void w_step(struct scn_sink *s, const struct scn_result *res)
{
	struct watch *w = s->priv;

	if (res->broken != SCN_BROKEN_INVARIANT && res->broken != SCN_BROKEN_LEAK)
		return;
	if (!w->broken)
		snprintf(w->why, sizeof(w->why), "line %u: %s", res->line,
			 res->detail ? res->detail : "");
	w->broken = true;
}

static void w_end(struct scn_sink *s, const char *file, unsigned int p, unsigned int f,
		  const long *c, const char *t)
{
	(void)s; (void)file; (void)p; (void)f; (void)c; (void)t;
}

static void w_finish(struct scn_sink *s, unsigned int p, unsigned int f)
{
	(void)s; (void)p; (void)f;
}

/* "fuzz.scn:LINE:COL: error: TEXT" with non-empty TEXT and LINE <= @lines. */
static bool message_ok(const char *err, size_t lines)
{
	unsigned int line, col;
	int used = 0;

	if (sscanf(err, "fuzz.scn:%u:%u: error: %n", &line, &col, &used) != 2 || !used)
		return false;
	return err[used] && line && col && line <= lines;
}

enum scn_check_verdict scn_check_one(const char *buf, size_t len,
				     const struct scn_check_limits *lim,
				     char *why, size_t size)
{
	static char err[16384];
	struct watch w = { .broken = false };
	struct scn_sink sink = { w_begin, w_step, w_end, w_finish, &w };
	struct scn_run_opts opts = { .trace = true };
	enum scn_check_verdict v = SCN_CHECK_PARSED;
	struct scn_script *s;
	unsigned int passed = 0, failed = 0;
	size_t lines = 1;

	for (size_t i = 0; i < len; i++)
		lines += buf[i] == '\n';
	s = scn_parse_buffer("fuzz.scn", buf, len, err, sizeof(err));
	if (!s) {
		if (message_ok(err, lines))
			return SCN_CHECK_REJECTED;
		if (why)
			snprintf(why, size, "bad error message: %.200s", err);
		return SCN_CHECK_BAD_MESSAGE;
	}
	if (lim && lim->run && s->mem_bytes <= lim->max_mem &&
	    (!lim->max_steps || s->nsteps <= lim->max_steps)) {
		scn_run_script(s, &opts, &sink, &passed, &failed);
		v = SCN_CHECK_RAN;
		if (w.broken) {
			v = SCN_CHECK_BROKE_MODEL;
			if (why)
				snprintf(why, size, "broke the model: %s", w.why);
		}
	}
	scn_script_free(s);
	return v;
}
