/* SPDX-License-Identifier: MIT */
/*
 * demo.c - `pinmm demo`: six stories of page pinning, each run twice.
 *
 * A story is a pair of scenario files under scenarios/demo/: STEM-legacy.scn
 * runs it as kernels did before FOLL_PIN (pins are plain page references:
 * `memory legacy=on`), STEM.scn runs it with FOLL_PIN.  The files are
 * compiled into the binary (cmake/embed_scenarios.cmake), so the demo runs
 * anywhere; --scenarios DIR reads edited copies instead.
 *
 * The demo is a presenter: every number it prints is a `show` step of a
 * run (scn_show.c), matched by label between the two runs and printed side
 * by side, and every claim it makes is the scenarios' own expectations.
 * A story holds when both of its runs pass every expectation and tear
 * down clean; the exit status is 1 if any story does not.
 *
 * Threading: single-threaded, like the scenario runner it drives.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cli.h"
#include "scn.h"

#define WIDTH		80	/* the terminal the output is laid out for */
#define LABEL_W		33	/* label column of a story's table */
#define VALUE_W		20	/* each value column */
#define MAX_SHOWS	16	/* show steps kept per run */
#define MAX_FAILS	8	/* failed steps kept per run */

struct story {
	const char *stem;		/* scenarios/demo/STEM[-legacy].scn */
	const char *title;		/* at most 60 columns */
	const char *text;		/* what happens, one paragraph */
	const char *summary;		/* the summary's row name, <= 32 columns */
	const char *legacy;		/* what legacy does: verdict line and summary */
	const char *legacy_short;	/* <= 17 columns */
	const char *pin;		/* what FOLL_PIN does */
	const char *pin_short;		/* <= 12 columns */
};

static const struct story stories[] = {
	{ "1-dio-fork", "Direct IO reads into a buffer while the process forks",
	  "A process starts an O_DIRECT read into its buffer. While the device "
	  "holds the page, the process forks and then writes a byte next to the "
	  "buffer, in the same page.",
	  "Direct IO read across fork",
	  "the read succeeds, but its data went to the child", "data to child",
	  "fork copied the pinned page for the child: the data is the parent's",
	  "data kept" },
	{ "2-writeback", "A device writes a pinned file page during writeback",
	  "A process maps a disk file shared and a device pins the page to write "
	  "into it (an O_DIRECT read into the mapping). Writeback runs while the "
	  "device works; the device stores its data, the pin is released dirty, "
	  "fsync.",
	  "device write during writeback",
	  "the 2018 failure: dirtied without blocks, the data never reaches disk",
	  "data lost",
	  "writeback sees the pin: a stable copy is written, the data follows",
	  "on disk" },
	{ "3-rdma-movable", "RDMA regions on MOVABLE memory, then compaction",
	  "Four RDMA memory regions of 64 KiB are registered in memory that lies in "
	  "ZONE_MOVABLE, one in each 2 MiB block. Then the zone is compacted to "
	  "get a free 2 MiB block.",
	  "RDMA region on Movable memory",
	  "the pages are pinned where they are: no 2 MiB block can be freed",
	  "compaction fails",
	  "FOLL_LONGTERM migrates the pages out first: compaction succeeds",
	  "compacts" },
	{ "4-rdma-lease", "An RDMA region on a file: layout leases and revocation",
	  "A region is registered over a shared mapping of a disk file, the device "
	  "writes, the file is truncated, the device writes again, the file grows "
	  "back. With FOLL_PIN a second holder then ignores its lease break.",
	  "RDMA region on a leased file",
	  "no lease exists: a stale remote write reaches the disk",
	  "stale on disk",
	  "the lease breaks, the region is revoked, no stale write lands; a holder "
	  "past its deadline is revoked by force and its pages quarantined",
	  "revoked" },
	{ "5-vmsplice", "vmsplice into a pipe, then fork and a write",
	  "After fork, child B splices a page it shares with its parent A into a "
	  "pipe and unmaps it. A writes a secret into the page; process C reads "
	  "the pipe.",
	  "vmsplice, then the parent writes",
	  "A's page is reused in place: its secret leaks to the reader",
	  "secret leaks",
	  "the pipe's reference makes A copy: the reader gets the old data",
	  "no leak" },
	{ "6-pin-at-exit", "A pin leaked at exit",
	  "A process exits with an RDMA region still registered: the driver's "
	  "long-term pins outlive it, as a device's do, until a late dereg.",
	  "pin leaked at process exit",
	  "plain references: nothing reports the leak, nothing names a holder",
	  "silent",
	  "reported at exit with its owner, range and call site",
	  "reported" },
};

/* What one run of a story produced. */
struct run_result {
	char file[64];
	bool ran;			/* parsed and executed */
	char error[512];		/* why it did not run */
	unsigned int passed, failed;
	unsigned int nshows, nfails;
	struct {
		char label[128];
		char value[600];
	} shows[MAX_SHOWS];
	char fails[MAX_FAILS][400];
	unsigned long log_lines;	/* library log lines (misuse reports ...) */
};

struct demo {
	FILE *out;			/* narration; NULL with --json or --quiet */
	const char *dir;		/* --scenarios DIR, or NULL: built in */
	struct run_result runs[ARRAY_SIZE(stories)][2];	/* [story][legacy?0:1] */
	bool held[ARRAY_SIZE(stories)];
	bool selected[ARRAY_SIZE(stories)];
};

/* --- running one scenario --------------------------------------------------------- */

static void capture_step(struct scn_sink *s, const struct scn_result *res)
{
	struct run_result *rr = s->priv;
	const struct scn_step *st = res->step;

	if (res->status == SCN_ST_FAIL && rr->nfails < MAX_FAILS)
		snprintf(rr->fails[rr->nfails++], sizeof(rr->fails[0]), "%s:%u: %s%s%s%s",
			 res->file, res->line, res->command, *res->detail ? " [" : "",
			 res->detail, *res->detail ? "]" : "");
	if (!st || res->status == SCN_ST_FAIL || rr->nshows >= MAX_SHOWS)
		return;
	if (strcmp(st->cmd->name, "show") && strcmp(st->cmd->name, "show-outcome"))
		return;
	/* A show step's detail is "LABEL: VALUE" (scn_show.c). */
	snprintf(rr->shows[rr->nshows].label, sizeof(rr->shows[0].label), "%.*s",
		 (int)st->args[0].len, (const char *)st->args[0].data);
	if (strncmp(res->detail, rr->shows[rr->nshows].label, st->args[0].len) ||
	    strncmp(res->detail + st->args[0].len, ": ", 2))
		return;
	snprintf(rr->shows[rr->nshows].value, sizeof(rr->shows[0].value), "%s",
		 res->detail + st->args[0].len + 2);
	rr->nshows++;
}

static void capture_begin(struct scn_sink *s, const char *file)
{
}

static void capture_end(struct scn_sink *s, const char *file, unsigned int passed,
			unsigned int failed, const long *counters, const char *stat_text)
{
}

/* The library's log lines (misuse reports, ...) are the runs' business. */
static void demo_log(void *arg, enum pnm_log_level level, const char *msg)
{
	((struct run_result *)arg)->log_lines++;
}

/* Read DIR/NAME into a malloc'd buffer; NULL + @rr->error on failure. */
static char *read_scenario(const char *dir, const char *name, size_t *len,
			   struct run_result *rr)
{
	char path[4096];
	char *buf = NULL;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(rr->error, sizeof(rr->error), "%.400s: %s", path, strerror(errno));
		return NULL;
	}
	buf = malloc(SCN_MAX_FILE + 1);
	n = buf ? read(fd, buf, SCN_MAX_FILE + 1) : -1;
	close(fd);
	if (n < 0 || n > SCN_MAX_FILE) {
		snprintf(rr->error, sizeof(rr->error), "%.400s: %s", path,
			 n < 0 ? strerror(errno) : "larger than a scenario may be");
		free(buf);
		return NULL;
	}
	*len = (size_t)n;
	return buf;
}

/* The built-in copy of scenarios/demo/NAME, or NULL. */
static const struct demo_file *builtin(const char *name)
{
	for (unsigned int i = 0; i < demo_nr_files; i++)
		if (!strcmp(demo_files[i].name, name))
			return &demo_files[i];
	return NULL;
}

/* Parse and run scenario @name (built in, or from @d->dir) into @rr. */
static void run_scenario(struct demo *d, const char *name, struct run_result *rr)
{
	struct scn_sink sink = { .begin_file = capture_begin, .step = capture_step,
				 .end_file = capture_end, .priv = rr };
	struct scn_run_opts opts = { .pin_debug = SCN_SWITCH_DEFAULT };
	const struct demo_file *df = NULL;
	struct scn_script *script;
	char *owned = NULL;
	const char *buf;
	size_t len = 0;

	snprintf(rr->file, sizeof(rr->file), "%s", name);
	if (d->dir) {
		buf = owned = read_scenario(d->dir, name, &len, rr);
	} else {
		df = builtin(name);
		buf = df ? df->data : NULL;
		len = df ? df->len : 0;
		if (!df)
			snprintf(rr->error, sizeof(rr->error), "%s is not built in", name);
	}
	if (!buf)
		return;
	script = scn_parse_buffer(name, buf, len, rr->error, sizeof(rr->error));
	free(owned);
	if (!script)
		return;
	script->cfg.log = demo_log;
	script->cfg.log_arg = rr;
	rr->ran = scn_run_script(script, &opts, &sink, &rr->passed, &rr->failed) == 0;
	if (!rr->ran && !rr->error[0])
		snprintf(rr->error, sizeof(rr->error), "the model could not be built");
	scn_script_free(script);
}

/* Did run @rr do all it claims? */
static bool run_held(const struct run_result *rr)
{
	return rr->ran && !rr->failed && !rr->nfails;
}

/* --- text layout ---------------------------------------------------------------------- */

/* Print @first, then @text wrapped to WIDTH: every line but the first
 * starts at column @indent, and so does the text of the first when @first
 * is shorter. */
static void wrap(FILE *out, const char *first, int indent, const char *text)
{
	int col = fprintf(out, "%s%*s", first, indent > (int)strlen(first) ?
			  indent - (int)strlen(first) : 0, "");
	bool line_start = true;
	const char *p = text;

	while (*p) {
		const char *end = p;
		int n;

		while (*end && *end != ' ')
			end++;
		n = (int)(end - p);
		if (!line_start && col + 1 + n > WIDTH) {
			fprintf(out, "\n%*s", indent, "");
			col = indent;
			line_start = true;
		}
		if (!line_start) {
			fputc(' ', out);
			col++;
		}
		fprintf(out, "%.*s", n, p);
		col += n;
		line_start = false;
		p = end;
		while (*p == ' ')
			p++;
	}
	fputc('\n', out);
}

/* @s cut to @w columns ("..." marks a cut). */
static const char *fit(const char *s, int w, char *buf, size_t size)
{
	if ((int)strlen(s) <= w)
		return s;
	snprintf(buf, size, "%.*s...", w - 3, s);
	return buf;
}

/* The value run @rr showed under @label, or NULL. */
static const char *shown(const struct run_result *rr, const char *label)
{
	for (unsigned int i = 0; i < rr->nshows; i++)
		if (!strcmp(rr->shows[i].label, label))
			return rr->shows[i].value;
	return NULL;
}

/* One row of a story's table: a label and its value in each run. */
static void print_row(FILE *out, const char *label, const char *lv, const char *pv)
{
	char b1[64], b2[64], b3[64];

	lv = lv ? lv : "-";
	pv = pv ? pv : "-";
	if ((int)strlen(lv) <= VALUE_W && (int)strlen(pv) <= VALUE_W) {
		fprintf(out, "   %-*s %-*s %s\n", LABEL_W, fit(label, LABEL_W, b1, sizeof(b1)),
			VALUE_W, fit(lv, VALUE_W, b2, sizeof(b2)), fit(pv, VALUE_W, b3, sizeof(b3)));
		return;
	}
	/* Too long for a column (a report): one line each, wrapped. */
	fprintf(out, "   %s\n", label);
	wrap(out, "     legacy:", 15, lv);
	wrap(out, "     FOLL_PIN:", 15, pv);
}

static void print_failures(FILE *out, const struct run_result *rr)
{
	if (!rr->ran)
		wrap(out, "   !! could not run:", 6, rr->error);
	for (unsigned int i = 0; i < rr->nfails; i++)
		wrap(out, "   !! did not hold:", 6, rr->fails[i]);
	if (rr->ran && rr->failed > rr->nfails)
		fprintf(out, "   !! ... %u expectations of %s failed in all\n", rr->failed, rr->file);
}

static void print_story(struct demo *d, unsigned int i)
{
	const struct story *s = &stories[i];
	const struct run_result *lr = &d->runs[i][0], *pr = &d->runs[i][1];
	FILE *out = d->out;
	char head[16];

	fprintf(out, "\n%u. %s\n", i + 1, s->title);
	wrap(out, "", 3, s->text);
	fprintf(out, "\n   %-*s %-*s %s\n", LABEL_W, "", VALUE_W, "legacy", "FOLL_PIN");
	/* Rows in the FOLL_PIN run's order, then any only legacy showed. */
	for (unsigned int k = 0; k < pr->nshows; k++)
		print_row(out, pr->shows[k].label, shown(lr, pr->shows[k].label),
			  pr->shows[k].value);
	for (unsigned int k = 0; k < lr->nshows; k++)
		if (!shown(pr, lr->shows[k].label))
			print_row(out, lr->shows[k].label, lr->shows[k].value, NULL);
	fputc('\n', out);
	wrap(out, "   legacy:", 13, s->legacy);
	wrap(out, "   FOLL_PIN:", 13, s->pin);
	print_failures(out, lr);
	print_failures(out, pr);
	snprintf(head, sizeof(head), "   %s", d->held[i] ? "ok:" : "!! FAILED:");
	fprintf(out, "%s %u + %u expectations %s (pinmm run scenarios/demo/%s.scn)\n", head,
		lr->passed, pr->passed, d->held[i] ? "held" : "checked", s->stem);
}

static void print_summary(struct demo *d)
{
	FILE *out = d->out;

	fprintf(out, "\nSummary%*s%-17s %-12s %s\n", 35 - 7, "", "legacy", "FOLL_PIN", "claim");
	for (unsigned int i = 0; i < ARRAY_SIZE(stories); i++) {
		if (!d->selected[i])
			continue;
		fprintf(out, "%u %-32s %-17s %-12s %s\n", i + 1, stories[i].summary,
			stories[i].legacy_short, stories[i].pin_short, d->held[i] ? "held" : "FAILED");
	}
	fprintf(out, "\n");
}

/* --- JSON ------------------------------------------------------------------------------ */

/* True if @s is a whole decimal integer (a count): JSON gives a number. */
static bool is_count(const char *s)
{
	if (*s == '-')
		s++;
	if (!isdigit((unsigned char)*s))
		return false;
	while (isdigit((unsigned char)*s))
		s++;
	return !*s;
}

static void json_run(FILE *f, const struct run_result *rr)
{
	fputs("{\"scenario\": ", f);
	scn_json_str(f, rr->file);
	fprintf(f, ", \"ran\": %s, \"passed\": %u, \"failed\": %u, \"held\": %s, \"error\": ",
		rr->ran ? "true" : "false", rr->passed, rr->failed, run_held(rr) ? "true" : "false");
	scn_json_str(f, rr->error);
	fputs(", \"shows\": [", f);
	for (unsigned int i = 0; i < rr->nshows; i++) {
		fputs(i ? ", {\"label\": " : "{\"label\": ", f);
		scn_json_str(f, rr->shows[i].label);
		fputs(", \"value\": ", f);
		if (is_count(rr->shows[i].value))
			fputs(rr->shows[i].value, f);
		else
			scn_json_str(f, rr->shows[i].value);
		fputc('}', f);
	}
	fputs("], \"failures\": [", f);
	for (unsigned int i = 0; i < rr->nfails; i++) {
		if (i)
			fputs(", ", f);
		scn_json_str(f, rr->fails[i]);
	}
	fputs("]}", f);
}

static void print_json(struct demo *d, FILE *f, unsigned int held, unsigned int total)
{
	bool first = true;

	fprintf(f, "{\"version\": \"%s\", \"stories\": [", PINMM_VERSION);
	for (unsigned int i = 0; i < ARRAY_SIZE(stories); i++) {
		const struct story *s = &stories[i];

		if (!d->selected[i])
			continue;
		fprintf(f, "%s\n  {\"story\": %u, \"title\": ", first ? "" : ",", i + 1);
		first = false;
		scn_json_str(f, s->title);
		fputs(", \"claim\": {\"legacy\": ", f);
		scn_json_str(f, s->legacy);
		fputs(", \"foll_pin\": ", f);
		scn_json_str(f, s->pin);
		fprintf(f, "}, \"held\": %s,\n   \"legacy\": ", d->held[i] ? "true" : "false");
		json_run(f, &d->runs[i][0]);
		fputs(",\n   \"foll_pin\": ", f);
		json_run(f, &d->runs[i][1]);
		fputc('}', f);
	}
	fprintf(f, "],\n \"held\": %u, \"failed\": %u}\n", held, total - held);
}

/* --- the command ----------------------------------------------------------------------- */

/* Print the help text of `pinmm demo` to @out. */
void cmd_demo_help(FILE *out)
{
	fprintf(out,
		"usage: pinmm demo [--story N] [--json] [--quiet] [--scenarios DIR]\n\n"
		"Six stories of page pinning, each run twice and shown side by side: as\n"
		"kernels did before FOLL_PIN (legacy: pins are plain page references) and\n"
		"with FOLL_PIN.  (1) Direct IO into a buffer across fork; (2) a device\n"
		"writing a pinned file page during writeback; (3) RDMA regions on MOVABLE\n"
		"memory and compaction; (4) an RDMA region on a file under a layout lease,\n"
		"truncated; (5) vmsplice after fork; (6) a pin leaked at exit.  Every\n"
		"number is measured by the run; every claim is checked by the scenarios'\n"
		"expectations (scenarios/demo/STORY[-legacy].scn, built in).\n\n"
		"  --story N         run story N only (1-%zu)\n"
		"  --json            print the results as one JSON object\n"
		"  --quiet           print only the verdict\n"
		"  --scenarios DIR   read the stories' scenario files from DIR\n\n"
		"Exit status: 0 if every story held, 1 if one did not, 2 for bad usage.\n",
		ARRAY_SIZE(stories));
}

/* Parse the options into @d; returns 0, or 2 after a usage message. */
static int parse_args(struct demo *d, int argc, char **argv, bool *json, bool *quiet)
{
	int story = 0;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		char *end;

		if (!strcmp(a, "--json")) {
			*json = true;
		} else if (!strcmp(a, "--quiet")) {
			*quiet = true;
		} else if (!strcmp(a, "--story") || !strcmp(a, "--scenarios")) {
			if (i + 1 >= argc) {
				fprintf(stderr, "pinmm demo: %s needs a value\n", a);
				return 2;
			}
			if (!strcmp(a, "--scenarios")) {
				d->dir = argv[++i];
				continue;
			}
			errno = 0;
			story = (int)strtol(argv[++i], &end, 10);
			if (errno || *end || story < 1 || story > (int)ARRAY_SIZE(stories)) {
				fprintf(stderr, "pinmm demo: --story takes a number from 1 to %zu, "
					"not '%s'\n", ARRAY_SIZE(stories), argv[i]);
				return 2;
			}
		} else {
			fprintf(stderr, "pinmm demo: unknown argument '%s' (see pinmm demo --help)\n",
				a);
			return 2;
		}
	}
	for (unsigned int i = 0; i < ARRAY_SIZE(stories); i++)
		d->selected[i] = !story || (int)i + 1 == story;
	return 0;
}

/*
 * `pinmm demo [--story N] [--json] [--quiet] [--scenarios DIR]`: run the
 * selected stories, each in legacy mode and with FOLL_PIN, and print them
 * side by side (or as JSON).  Returns 0 when every story held, 1 if one
 * did not, 2 for a usage error.
 */
int cmd_demo(int argc, char **argv)
{
	bool json = false, quiet = false;
	unsigned int held = 0, total = 0;
	struct demo *d = calloc(1, sizeof(*d));
	int ret;

	if (!d) {
		fputs("pinmm demo: out of memory\n", stderr);
		return 1;
	}
	ret = parse_args(d, argc, argv, &json, &quiet);
	if (ret) {
		free(d);
		return ret;
	}
	d->out = json || quiet ? NULL : stdout;
	if (d->out) {
		fprintf(d->out, "pinmm %s demo: six stories of page pinning\n", PINMM_VERSION);
		wrap(d->out, "", 0,
		     "Each story runs twice in a fresh model: \"legacy\" as kernels did "
		     "before FOLL_PIN (a pin was a plain page reference; copy-on-write "
		     "as before 5.8), and \"FOLL_PIN\" as Linux does now, with pinmm's "
		     "layout leases. Every value is measured by the run; every claim is "
		     "checked by the scenarios' own expectations.");
	}
	for (unsigned int i = 0; i < ARRAY_SIZE(stories); i++) {
		char name[64];

		if (!d->selected[i])
			continue;
		snprintf(name, sizeof(name), "%s-legacy.scn", stories[i].stem);
		run_scenario(d, name, &d->runs[i][0]);
		snprintf(name, sizeof(name), "%s.scn", stories[i].stem);
		run_scenario(d, name, &d->runs[i][1]);
		d->held[i] = run_held(&d->runs[i][0]) && run_held(&d->runs[i][1]);
		held += d->held[i];
		total++;
		if (d->out) {
			print_story(d, i);
			fflush(d->out);
		}
	}
	if (d->out)
		print_summary(d);
	if (json)
		print_json(d, stdout, held, total);
	else
		printf("%s: %u of %u stor%s as claimed\n", held == total ? "demo ok" : "demo FAILED",
		       held, total, total == 1 ? "y" : "ies");
	free(d);
	return held == total ? 0 : 1;
}
