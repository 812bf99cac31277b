/* SPDX-License-Identifier: MIT */
/*
 * cli.h - the pinmm command line: one function per subcommand.
 *
 * main.c dispatches `pinmm <subcommand> args...` to these.  Each returns the
 * process exit status (0 success, 1 a failed expectation or run, 2 usage or
 * input error) and prints its own --help.  main.c then flushes and closes
 * standard output: a failed write there turns 0 into 1, with a message.
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

/* A scenario file compiled into the binary (demo_scenarios.c, generated
 * from scenarios/demo/ by cmake/embed_scenarios.cmake). */
struct demo_file {
	const char *name;		/* "1-dio-fork.scn" */
	const char *data;
	unsigned long len;		/* bytes, without the NUL after them */
};
extern const struct demo_file demo_files[];
extern const unsigned int demo_nr_files;

int cmd_demo(int argc, char **argv);		/* demo.c */
void cmd_demo_help(FILE *out);
int cmd_run(int argc, char **argv);		/* scn_cli.c: run scenario files */
void cmd_run_help(FILE *out);
int cmd_stats(int argc, char **argv);		/* scn_cli.c: counters of a run */
void cmd_stats_help(FILE *out);
int cmd_diff(int argc, char **argv);		/* host_diff.c: model vs host kernel */
void cmd_diff_help(FILE *out);
int cmd_bench(int argc, char **argv);		/* bench.c: gup_test's benchmarks */
void cmd_bench_help(FILE *out);

/* True if argv[1..] contains -h or --help. */
int cli_wants_help(int argc, char **argv);

#endif /* PINMM_CLI_H */
