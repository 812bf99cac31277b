/* SPDX-License-Identifier: MIT */
/*
 * cli.h - the pinmm command line: one function per subcommand.
 *
 * main.c dispatches `pinmm <subcommand> args...` to these.  Each returns the
 * process exit status (0 success, 1 a failed expectation or run, 2 usage or
 * input error) and prints its own --help.
 */
#ifndef PINMM_CLI_H
#define PINMM_CLI_H

#include <stdio.h>

struct pnm_subcommand {
	const char *name;
	const char *summary;		/* one line for `pinmm --help` */
	int (*main)(int argc, char **argv);	/* argv[0] is the subcommand */
	void (*help)(FILE *out);	/* full help text */
};

int cmd_demo(int argc, char **argv);		/* demo.c */
void cmd_demo_help(FILE *out);
int cmd_run(int argc, char **argv);		/* scn_cli.c: run scenario files */
void cmd_run_help(FILE *out);
int cmd_stats(int argc, char **argv);		/* scn_cli.c: counters of a run */
void cmd_stats_help(FILE *out);

/* True if argv[1..] contains -h or --help. */
int cli_wants_help(int argc, char **argv);

#endif /* PINMM_CLI_H */
