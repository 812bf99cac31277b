/* SPDX-License-Identifier: MIT */
/*
 * main.c - `pinmm`, the command line front end of the model.
 *
 *   pinmm demo            narrated tour of the memory manager at work
 *   pinmm run FILE...     execute scenario files (docs/scenarios.md)
 *   pinmm stats FILE...   run scenarios and print the counters they produced
 *   pinmm diff FILE...    run scenarios in the model and on the host kernel
 *                         and compare them (host_diff.c)
 *   pinmm audit PATH...   find and check the GUP/pin call sites of a C tree
 *                         with Coccinelle (audit.c, docs/audit.md)
 *
 * The table below is the single list of subcommands; `pinmm --help` and
 * `pinmm <subcommand> --help` are generated from it.
 */
#include <string.h>
#include "util.h"
#include "cli.h"
#include "host.h"

static const struct pnm_subcommand subcommands[] = {
	{ "demo", "show the memory manager at work, with real numbers",
	  cmd_demo, cmd_demo_help },
	{ "run", "execute scenario files and check their expectations",
	  cmd_run, cmd_run_help },
	{ "stats", "run scenario files and print the counters they produced",
	  cmd_stats, cmd_stats_help },
	{ "diff", "run scenario files in the model and on the host kernel, and compare",
	  cmd_diff, cmd_diff_help },
	{ "audit", "find, classify and check the GUP/pin call sites of a C tree (Coccinelle)",
	  cmd_audit, cmd_audit_help },
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
		return 0;
	}
	if (!strcmp(argv[1], "--version")) {
		printf("pinmm %s\n", PINMM_VERSION);
		return 0;
	}
	for (size_t i = 0; i < ARRAY_SIZE(subcommands); i++) {
		const struct pnm_subcommand *sc = &subcommands[i];

		if (strcmp(argv[1], sc->name))
			continue;
		if (cli_wants_help(argc - 1, argv + 1)) {
			sc->help(stdout);
			return 0;
		}
		return sc->main(argc - 1, argv + 1);
	}
	fprintf(stderr, "pinmm: unknown subcommand '%s'\n\n", argv[1]);
	usage(stderr);
	return 2;
}
