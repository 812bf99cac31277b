/* SPDX-License-Identifier: MIT */
/*
 * scn_out.c - where scenario results go: human text, JSON, or counters.
 *
 * Human:  one line per step, "file:line: ok|PASS|FAIL <command> [detail]",
 *         trace events and command output indented under it, then
 *         "N passed, N failed".
 * JSON:   one document written at the end: every step (file, line,
 *         command, status, broken, detail, output, data, trace) and, per file, the final
 *         counters in /proc/vmstat naming.
 * Stats:  the counters of each file's run, as pnm_stat_print() prints them
 *         (or as JSON); failing steps go to stderr.
 */
#include <stdlib.h>
#include <string.h>
#include "scn.h"

static const char *status_word(enum scn_status st)
{
	return st == SCN_ST_PASS ? "PASS" : st == SCN_ST_FAIL ? "FAIL" :
	       st == SCN_ST_SKIP ? "SKIP" : "ok";
}

/* Print @text with every line prefixed by @indent. */
static void print_indented(FILE *out, const char *indent, const char *text)
{
	while (*text) {
		const char *nl = strchr(text, '\n');
		size_t n = nl ? (size_t)(nl - text) : strlen(text);

		fprintf(out, "%s%.*s\n", indent, (int)n, text);
		text += n + (nl ? 1 : 0);
	}
}

/* The error of the first flush of results that failed, 0 if none. */
static int flush_errno;

/* fflush(@f), remembering why it failed for scn_out_error() (scn.h). */
void scn_out_flush(FILE *f)
{
	if (fflush(f) && !flush_errno)
		flush_errno = errno ? errno : EIO;
}

/* The errno of the first failed scn_out_flush(), or 0 (scn.h). */
int scn_out_error(void)
{
	return flush_errno;
}

/* --- human ---------------------------------------------------------------------- */

struct human {
	FILE *out;
	bool quiet;
	unsigned int files;
	unsigned int skipped, file_skipped;	/* SKIP steps: all, this file */
};

static void human_begin(struct scn_sink *s, const char *file)
{
	struct human *h = s->priv;

	h->files++;
}

static void human_step(struct scn_sink *s, const struct scn_result *res)
{
	struct human *h = s->priv;

	if (res->status == SCN_ST_SKIP) {
		h->skipped++;
		h->file_skipped++;
	}
	if (h->quiet && res->status != SCN_ST_FAIL)
		return;
	fprintf(h->out, "%s:%u: %s %s", res->file, res->line, status_word(res->status),
		res->command);
	if (res->detail && *res->detail)
		fprintf(h->out, "  [%s]", res->detail);
	fputc('\n', h->out);
	for (unsigned int i = 0; i < res->ntrace; i++)
		fprintf(h->out, "    trace: %s\n", res->trace[i].text);
	if (res->output && *res->output)
		print_indented(h->out, "    ", res->output);
}

static void human_end_file(struct scn_sink *s, const char *file, unsigned int passed,
			   unsigned int failed, const long *counters, const char *stat_text)
{
	struct human *h = s->priv;

	if (!h->quiet || failed) {
		fprintf(h->out, "%s: %u passed, %u failed", file, passed, failed);
		if (h->file_skipped)
			fprintf(h->out, ", %u skipped", h->file_skipped);
		fputc('\n', h->out);
	}
	h->file_skipped = 0;
}

static void human_finish(struct scn_sink *s, unsigned int passed, unsigned int failed)
{
	struct human *h = s->priv;

	fprintf(h->out, "%u passed, %u failed", passed, failed);
	if (h->skipped)
		fprintf(h->out, ", %u skipped", h->skipped);
	fputc('\n', h->out);
	scn_out_flush(h->out);
}

/* Human-readable results on @out; @quiet prints failures only. */
struct scn_sink *scn_sink_human(FILE *out, bool quiet)
{
	struct scn_sink *s = calloc(1, sizeof(*s));
	struct human *h = calloc(1, sizeof(*h));

	if (!s || !h) {
		fputs("pinmm: out of memory\n", stderr);
		exit(2);
	}
	h->out = out;
	h->quiet = quiet;
	*s = (struct scn_sink){ human_begin, human_step, human_end_file, human_finish, h };
	return s;
}

/* --- JSON ------------------------------------------------------------------------- */

/* Write @str as a JSON string; invalid UTF-8 becomes U+FFFD (scn.h). */
void scn_json_str(FILE *f, const char *str)
{
	const unsigned char *p = (const unsigned char *)(str ? str : "");
	size_t n = strlen((const char *)p);

	fputc('"', f);
	for (size_t i = 0; i < n;) {
		unsigned char c = p[i];
		size_t k;

		if (c == '"' || c == '\\') {
			fprintf(f, "\\%c", c);
			i++;
		} else if (c == '\n') {
			fputs("\\n", f);
			i++;
		} else if (c == '\t') {
			fputs("\\t", f);
			i++;
		} else if (c < 0x20 || c == 0x7f) {
			fprintf(f, "\\u%04x", c);
			i++;
		} else if (c < 0x80) {
			fputc(c, f);
			i++;
		} else if ((k = scn_utf8_seq(p + i, n - i))) {
			fwrite(p + i, 1, k, f);
			i += k;
		} else {
			fputs("\\ufffd", f);
			i++;
		}
	}
	fputc('"', f);
}

static void json_counters(FILE *f, const long *counters)
{
	fputc('{', f);
	for (int i = 0; i < pnm_stat_count(); i++) {
		fprintf(f, "%s", i ? ", " : "");
		scn_json_str(f, pnm_stat_name(i));
		fprintf(f, ": %ld", counters[i]);
	}
	fputc('}', f);
}

struct json {
	FILE *out;
	FILE *steps;			/* memstream of step objects */
	char *steps_buf;
	size_t steps_len;
	FILE *files;			/* memstream of file objects */
	char *files_buf;
	size_t files_len;
	unsigned int nsteps, nfiles;
	unsigned int skipped;		/* SKIP steps */
	bool stats_only;		/* pinmm stats --json */
};

static void json_begin(struct scn_sink *s, const char *file)
{
}

static void json_step(struct scn_sink *s, const struct scn_result *res)
{
	struct json *j = s->priv;
	FILE *f = j->steps;
	static const char *const st[] = { "ok", "pass", "fail", "skip" };

	if (j->stats_only) {
		if (res->status == SCN_ST_FAIL)
			fprintf(stderr, "%s:%u: FAIL %s  [%s]\n", res->file, res->line,
				res->command, res->detail);
		return;
	}
	if (res->status == SCN_ST_SKIP)
		j->skipped++;
	fprintf(f, "%s\n    {\"file\": ", j->nsteps++ ? "," : "");
	scn_json_str(f, res->file);
	fprintf(f, ", \"line\": %u, \"command\": ", res->line);
	scn_json_str(f, res->command);
	fprintf(f, ", \"status\": \"%s\", \"detail\": ", st[res->status]);
	scn_json_str(f, res->detail);
	if (res->broken != SCN_BROKEN_NONE) {
		static const char *const broken[] = {
			[SCN_BROKEN_INVARIANT] = "invariant",
			[SCN_BROKEN_LEAK] = "leak",
			[SCN_BROKEN_HOST_ENOMEM] = "host-enomem",
		};

		fprintf(f, ", \"broken\": \"%s\"", broken[res->broken]);
	}
	if (res->output && *res->output) {
		fputs(", \"output\": ", f);
		scn_json_str(f, res->output);
	}
	if (res->data && *res->data)
		fprintf(f, ", \"data\": %s", res->data);
	if (res->ntrace) {
		fputs(", \"trace\": [", f);
		for (unsigned int i = 0; i < res->ntrace; i++) {
			const struct pnm_trace_rec *e = &res->trace[i].rec;

			fprintf(f, "%s{\"event\": ", i ? ", " : "");
			scn_json_str(f, pnm_trace_name(e->ev) ? pnm_trace_name(e->ev) : "?");
			fprintf(f, ", \"pid\": %d, \"a\": %lu, \"b\": %lu, \"c\": %lu, \"d\": %ld, \"text\": ",
				e->pid, e->a, e->b, e->c, e->d);
			scn_json_str(f, res->trace[i].text);
			fputc('}', f);
		}
		fputc(']', f);
	}
	fputc('}', f);
}

static void json_end_file(struct scn_sink *s, const char *file, unsigned int passed,
			  unsigned int failed, const long *counters, const char *stat_text)
{
	struct json *j = s->priv;
	FILE *f = j->files;

	fprintf(f, "%s\n    {\"file\": ", j->nfiles++ ? "," : "");
	scn_json_str(f, file);
	fprintf(f, ", \"passed\": %u, \"failed\": %u", passed, failed);
	if (counters) {
		fputs(", \"counters\": ", f);
		json_counters(f, counters);
	}
	fputc('}', f);
}

static void json_finish(struct scn_sink *s, unsigned int passed, unsigned int failed)
{
	struct json *j = s->priv;
	bool lost = ferror(j->steps) || ferror(j->files);

	/* The memory streams fail only when the host is out of memory. */
	lost |= fclose(j->steps) != 0;
	lost |= fclose(j->files) != 0;
	j->steps = j->files = NULL;
	if (lost) {
		fputs("pinmm: out of memory (building the JSON document)\n", stderr);
		exit(2);
	}
	fprintf(j->out, "{\n  \"version\": 1,\n  \"files\": [%s\n  ],\n",
		j->files_buf ? j->files_buf : "");
	if (!j->stats_only)
		fprintf(j->out, "  \"steps\": [%s\n  ],\n", j->steps_buf ? j->steps_buf : "");
	fprintf(j->out, "  \"passed\": %u,\n  \"failed\": %u,\n  \"skipped\": %u,\n  \"ok\": %s\n}\n",
		passed, failed, j->skipped, failed ? "false" : "true");
	scn_out_flush(j->out);
}

static struct scn_sink *json_new(FILE *out, bool stats_only)
{
	struct scn_sink *s = calloc(1, sizeof(*s));
	struct json *j = calloc(1, sizeof(*j));

	if (!s || !j)
		goto out_nomem;
	j->out = out;
	j->stats_only = stats_only;
	j->steps = open_memstream(&j->steps_buf, &j->steps_len);
	j->files = open_memstream(&j->files_buf, &j->files_len);
	if (!j->steps || !j->files)
		goto out_nomem;
	*s = (struct scn_sink){ json_begin, json_step, json_end_file, json_finish, j };
	return s;
out_nomem:
	fputs("pinmm: out of memory\n", stderr);
	exit(2);
}

/* One JSON document on @out, written by finish(). */
struct scn_sink *scn_sink_json(FILE *out)
{
	return json_new(out, false);
}

/* --- stats ---------------------------------------------------------------------------- */

static void stats_begin(struct scn_sink *s, const char *file)
{
}

static void stats_step(struct scn_sink *s, const struct scn_result *res)
{
	if (res->status == SCN_ST_FAIL)
		fprintf(stderr, "%s:%u: FAIL %s  [%s]\n", res->file, res->line, res->command,
			res->detail);
}

static void stats_end_file(struct scn_sink *s, const char *file, unsigned int passed,
			   unsigned int failed, const long *counters, const char *stat_text)
{
	FILE *out = s->priv;

	fprintf(out, "# %s (%u passed, %u failed)\n%s", file, passed, failed, stat_text);
}

static void stats_finish(struct scn_sink *s, unsigned int passed, unsigned int failed)
{
	scn_out_flush((FILE *)s->priv);
}

/* Counters of each run on @out (text as /proc/vmstat, or JSON). */
struct scn_sink *scn_sink_stats(FILE *out, bool json)
{
	struct scn_sink *s;

	if (json)
		return json_new(out, true);
	s = calloc(1, sizeof(*s));
	if (!s) {
		fputs("pinmm: out of memory\n", stderr);
		exit(2);
	}
	*s = (struct scn_sink){ stats_begin, stats_step, stats_end_file, stats_finish, out };
	return s;
}

/* Free a sink made by one of the constructors above (after finish()). */
void scn_sink_free(struct scn_sink *s)
{
	if (!s)
		return;
	if (s->step == json_step) {
		struct json *j = s->priv;

		if (j->steps)
			fclose(j->steps);
		if (j->files)
			fclose(j->files);
		free(j->steps_buf);
		free(j->files_buf);
		free(j);
	} else if (s->step == human_step) {
		free(s->priv);
	}
	free(s);
}
