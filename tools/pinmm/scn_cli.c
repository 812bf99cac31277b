/* SPDX-License-Identifier: MIT */
/*
 * scn_cli.c - `pinmm run` and `pinmm stats`: the command-line face of the
 * scenario language.
 *
 * Both parse every file first ("-" is standard input; a parse error
 * anywhere runs nothing and exits 2), then run each file in a fresh model.
 * A file with no steps passes with a warning on stderr.  Exit status: 0
 * when every expectation held and every step worked, 1 when something
 * failed (main.c: also when the output could not be written), 2 for
 * usage, input or parse errors.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"
#include "host.h"
#include "scn.h"

struct run_args {
	bool json;
	bool trace;
	bool quiet;
	bool check_only;
	bool host;			/* --host: on the host kernel (host.c) */
	enum scn_switch pin_debug;	/* --pin-debug / --no-pin-debug */
	unsigned long check_every;	/* --check-every N, --check-at-end */
	int nfiles;
	char **files;
};

static int parse_args(int argc, char **argv, struct run_args *ra, bool stats,
		      void (*help)(FILE *))
{
	int i;

	memset(ra, 0, sizeof(*ra));
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "--")) {
			i++;
			break;
		}
		if (a[0] != '-' || !a[1])
			break;
		if (!strcmp(a, "--json"))
			ra->json = true;
		else if (!stats && !strcmp(a, "--trace"))
			ra->trace = true;
		else if (!stats && (!strcmp(a, "-q") || !strcmp(a, "--quiet")))
			ra->quiet = true;
		else if (!stats && !strcmp(a, "--check"))
			ra->check_only = true;
		else if (!strcmp(a, "--check-at-end"))
			ra->check_every = SCN_CHECK_AT_END;
		else if (!strcmp(a, "--check-every")) {
			char *end;

			errno = 0;
			ra->check_every = i + 1 < argc && argv[i + 1][0] >= '1' &&
					  argv[i + 1][0] <= '9' ?
					  strtoul(argv[i + 1], &end, 10) : 0;
			if (!ra->check_every || errno || *end ||
			    ra->check_every == SCN_CHECK_AT_END) {
				fprintf(stderr, "pinmm %s: --check-every needs a number of steps, 1 or more\n\n",
					argv[0]);
				help(stderr);
				return -1;
			}
			i++;
		} else if (!stats && !strcmp(a, "--host"))
			ra->host = true;
		else if (!strcmp(a, "--pin-debug"))
			ra->pin_debug = SCN_SWITCH_ON;
		else if (!strcmp(a, "--no-pin-debug"))
			ra->pin_debug = SCN_SWITCH_OFF;
		else {
			fprintf(stderr, "pinmm %s: unknown option '%s'\n\n", argv[0], a);
			help(stderr);
			return -1;
		}
	}
	ra->files = argv + i;
	ra->nfiles = argc - i;
	if (!ra->nfiles) {
		fprintf(stderr, "pinmm %s: no scenario files given\n\n", argv[0]);
		help(stderr);
		return -1;
	}
	/* "-" is standard input (scn_parse_file), which can be read once. */
	for (int j = 0, seen = 0; j < ra->nfiles; j++) {
		if (strcmp(ra->files[j], "-") || !seen++)
			continue;
		fprintf(stderr, "pinmm %s: standard input ('-') given more than once\n\n",
			argv[0]);
		help(stderr);
		return -1;
	}
	return 0;
}

/* Report a parse error: stderr, and a JSON document on stdout with --json. */
static void parse_failed(const struct run_args *ra, const char *err)
{
	fprintf(stderr, "%s\n", err);
	if (ra->json) {
		printf("{\"version\": 1, \"error\": \"");
		for (const unsigned char *p = (const unsigned char *)err; *p; p++) {
			if (*p == '"' || *p == '\\')
				printf("\\%c", *p);
			else if (*p < 0x20 || *p >= 0x7f)
				printf("\\u%04x", *p);
			else
				putchar(*p);
		}
		printf("\", \"passed\": 0, \"failed\": 0, \"ok\": false}\n");
	}
}

static int run_files(const struct run_args *ra, struct scn_sink *sink)
{
	struct scn_script **scripts = calloc((size_t)ra->nfiles, sizeof(*scripts));
	struct scn_run_opts opts = { .trace = ra->trace, .pin_debug = ra->pin_debug,
				     .check_every = ra->check_every };
	unsigned int passed = 0, failed = 0;
	char err[8192];
	int status = 0, i;

	if (!scripts) {
		fputs("pinmm: out of memory\n", stderr);
		return 2;
	}
	for (i = 0; i < ra->nfiles; i++) {
		scripts[i] = scn_parse_file(ra->files[i], err, sizeof(err));
		if (!scripts[i]) {
			parse_failed(ra, err);
			status = 2;
			goto out_free;
		}
	}
	/* An empty scenario is valid and passes, but checks nothing: say so. */
	for (i = 0; i < ra->nfiles; i++)
		if (!scripts[i]->nsteps)
			fprintf(stderr, "%s: warning: no steps (the file is empty or only "
				"comments); it checks nothing\n", scripts[i]->name);
	if (ra->check_only) {
		for (i = 0; i < ra->nfiles; i++)
			printf("%s: %u steps, syntax ok\n", scripts[i]->name, scripts[i]->nsteps);
		goto out_free;
	}
	if (ra->host) {
		char why[256];

		if (host_available(why, sizeof(why))) {
			fprintf(stderr, "pinmm run --host: skipped: the host cannot run scenarios: %s\n",
				why);
			status = 77;
			goto out_free;
		}
	}
	for (i = 0; i < ra->nfiles; i++) {
		if (ra->host)
			scn_run_script_host(scripts[i], &opts, sink, &passed, &failed);
		else
			scn_run_script(scripts[i], &opts, sink, &passed, &failed);
	}
	sink->finish(sink, passed, failed);
	status = failed ? 1 : 0;
out_free:
	for (i = 0; i < ra->nfiles; i++)
		scn_script_free(scripts[i]);
	free(scripts);
	return status;
}

/*
 * `pinmm run [--json] [--trace] [-q] [--check] [--check-every N | --check-at-end]
 * [--[no-]pin-debug] FILE...`:
 * execute scenarios.
 * Returns the exit status (0 all held, 1 failures, 2 usage/parse error).
 */
int cmd_run(int argc, char **argv)
{
	struct run_args ra;
	struct scn_sink *sink;
	int status;

	if (parse_args(argc, argv, &ra, false, cmd_run_help))
		return 2;
	sink = ra.json ? scn_sink_json(stdout) : scn_sink_human(stdout, ra.quiet);
	status = run_files(&ra, sink);
	scn_sink_free(sink);
	return status;
}

/* Full help of `pinmm run`, including the language reference. */
void cmd_run_help(FILE *out)
{
	fprintf(out,
		"usage: pinmm run [options] FILE...\n"
		"\n"
		"Execute scenario files (docs/scenarios.md); FILE '-' is standard input.\n"
		"Every file is parsed first; then each runs in a fresh model, every step\n"
		"is followed by the model's invariant checks, and the model must be\n"
		"empty at the end.  A file with no steps passes with a warning.\n"
		"\n"
		"options:\n"
		"  --json      one JSON document: every step and the final counters\n"
		"  --trace     show the model's events (faults, zero page, COW, splits,\n"
		"              migrations) under the step that caused them\n"
		"  -q, --quiet print only failures and the summary\n"
		"  --check     parse only; report syntax errors\n"
		"  --check-every N\n"
		"              run the invariant checkers after every Nth step (and at\n"
		"              the end) instead of after every step\n"
		"  --check-at-end\n"
		"              run them only once the steps are done (and after every\n"
		"              process exited, as always)\n"
		"  --host      run on the host's Linux kernel instead of the model: real\n"
		"              processes, mappings, io_uring fixed buffers, O_DIRECT,\n"
		"              vmsplice, process_vm_*; steps it cannot express are SKIP\n"
		"              with the reason (docs/fidelity.md); exit 77 if the host\n"
		"              cannot run scenarios at all\n"
		"  --pin-debug, --no-pin-debug\n"
		"              misuse detection on/off (default on) for files that do\n"
		"              not set `memory debug=` themselves\n"
		"  -h, --help  this text\n"
		"\n"
		"output: one line per step, FILE:LINE: ok|PASS|FAIL COMMAND [detail],\n"
		"then 'N passed, N failed'.\n"
		"exit status: 0 every expectation held, 1 something failed (a step, an\n"
		"             expectation, or writing the output: pinmm: error writing\n"
		"             the output: ...), 2 usage, input or parse error\n"
		"             (FILE:LINE:COL: error: ...).\n"
		"\n"
		"The language: one command per line, '#' starts a comment, numbers take\n"
		"K/M/G/T suffixes or 0x, addresses are region+offset, strings are \"quoted\".\n"
		"\n");
	scn_print_reference(out);
}

/*
 * `pinmm stats [--json] [--[no-]pin-debug] FILE...`: run scenarios, print
 * their counters.
 * Returns the exit status as cmd_run().
 */
int cmd_stats(int argc, char **argv)
{
	struct run_args ra;
	struct scn_sink *sink;
	int status;

	if (parse_args(argc, argv, &ra, true, cmd_stats_help))
		return 2;
	sink = scn_sink_stats(stdout, ra.json);
	status = run_files(&ra, sink);
	scn_sink_free(sink);
	return status;
}

/* Full help of `pinmm stats`. */
void cmd_stats_help(FILE *out)
{
	fprintf(out,
		"usage: pinmm stats [--json] [--pin-debug|--no-pin-debug] FILE...\n"
		"\n"
		"Run scenario files ('-' is standard input) and print, for each, the\n"
		"counters at the end of the run in Linux's /proc/vmstat naming\n"
		"(nr_free_pages, pgfault, thp_fault_alloc, ...; the model's own\n"
		"counters start with pnm_), followed by per-zone lines.  Counters are\n"
		"taken when the last step has run, before the scenario's processes\n"
		"exit.  Failing steps are reported on stderr.\n"
		"\n"
		"options:\n"
		"  --json      one JSON document with the counters of each file\n"
		"  --pin-debug, --no-pin-debug\n"
		"              misuse detection on/off, as pinmm run\n"
		"  -h, --help  this text\n"
		"\n"
		"exit status: as pinmm run (0 ok, 1 a step failed or the output could not\n"
		"be written, 2 usage/parse error).\n");
}
