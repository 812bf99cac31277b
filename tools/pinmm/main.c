/* SPDX-License-Identifier: MIT */
/*
 * main.c - `pinmm`, the command line front end of the model.
 *
 *   pinmm demo            narrated tour of the memory manager at work
 *   pinmm run FILE...     execute scenario files (docs/scenarios.md)
 *   pinmm stats FILE...   run scenarios and print the counters they produced
 *   pinmm diff FILE...    run scenarios in the model and on the host kernel
 *                         and compare them (host_diff.c)
 *   pinmm bench [opts]    gup_test's benchmarks beside the limit and the
 *                         host kernel (bench*.c)
 *   pinmm audit PATH...   find and check the GUP/pin call sites of a C tree
 *                         with Coccinelle (audit.c, docs/audit.md)
 *   pinmm stress [opts]   a concurrent soak with a data oracle (stress.c)
 *
 * The table below is the single list of subcommands; `pinmm --help` and
 * `pinmm <subcommand> --help` are generated from it.  Standard output is
 * flushed and closed here: a write that failed makes the exit status 1.
 */
#include <stdbool.h>
#include <string.h>
#include "util.h"
#include "cli.h"
#include "host.h"
#include "scn.h"

static const struct pnm_subcommand subcommands[] = {
	{ "demo", "show the memory manager at work, with real numbers",
	  cmd_demo, cmd_demo_help },
	{ "run", "execute scenario files and check their expectations",
	  cmd_run, cmd_run_help },
	{ "stats", "run scenario files and print the counters they produced",
	  cmd_stats, cmd_stats_help },
	{ "diff", "run scenario files in the model and on the host kernel, and compare",
	  cmd_diff, cmd_diff_help },
	{ "bench", "measure pinning as Linux's gup_test does, beside the limit and the host",
	  cmd_bench, cmd_bench_help },
	{ "audit", "find, classify and check the GUP/pin call sites of a C tree (Coccinelle)",
	  cmd_audit, cmd_audit_help },
	{ "stress", "a concurrent random workload checked against a shadow copy of the data",
	  cmd_stress, cmd_stress_help },
};

static void usage(FILE *out)
{
	fprintf(out,
		"pinmm %s - a userspace model of the Linux memory manager and its\n"
		"page-pinning (FOLL_PIN) system.\n\n"
		"usage: pinmm <subcommand> [options] [args]\n"
		"       pinmm <subcommand> --help\n"
		"       pinmm --version\n\nsubcommands:\n", PINMM_VERSION);
	for (size_t i = 0; i < ARRAY_SIZE(subcommands); i++)
		fprintf(out, "  %-8s %s\n", subcommands[i].name, subcommands[i].summary);
}

/* True if an argument before "--" is -h or --help. */
int cli_wants_help(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--"))
			return 0;
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help"))
			return 1;
	}
	return 0;
}

/*
 * Flush and close standard output, where the subcommands write their
 * results, and return the exit status: @status, or 1 with a message on
 * stderr if any write to it failed (a full disk; a closed pipe when
 * SIGPIPE is ignored) - stdio keeps the error, so the last check sees
 * every write.
 */
static int close_stdout(int status)
{
	int err = 0;
	bool failed;

	if (fflush(stdout))
		err = errno;
	failed = ferror(stdout) || err;
	if (failed && !err)
		err = scn_out_error();	/* a sink's flush failed before */
	if (fclose(stdout) && !failed) {
		err = errno;
		failed = true;
	}
	if (!failed)
		return status;
	if (err)
		fprintf(stderr, "pinmm: error writing the output: %s\n", strerror(err));
	else
		fputs("pinmm: error writing the output\n", stderr);
	return status ? status : 1;
}

/* Dispatch to the subcommand named by argv[1]; exit status as cli.h says. */
int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	/* A process of a host run (host_agent.c), not a user's subcommand. */
	if (!strcmp(argv[1], HOST_AGENT_ARG))
		return host_agent_main(argc - 1, argv + 1);
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return close_stdout(0);
	}
	if (!strcmp(argv[1], "--version")) {
		printf("pinmm %s\n", PINMM_VERSION);
		return close_stdout(0);
	}
	for (size_t i = 0; i < ARRAY_SIZE(subcommands); i++) {
		const struct pnm_subcommand *sc = &subcommands[i];

		if (strcmp(argv[1], sc->name))
			continue;
		if (cli_wants_help(argc - 1, argv + 1)) {
			sc->help(stdout);
			return close_stdout(0);
		}
		return close_stdout(sc->main(argc - 1, argv + 1));
	}
	fprintf(stderr, "pinmm: unknown subcommand '%s'\n\n", argv[1]);
	usage(stderr);
	return 2;
}
