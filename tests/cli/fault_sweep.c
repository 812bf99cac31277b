/* SPDX-License-Identifier: MIT */
/*
 * fault_sweep.c - sweep host fault injection over every site a scenario
 * reaches (pinmm/fault.h, docs/faults.md).
 *
 *   fault_sweep [--max N] FILE.scn...
 *
 * For each scenario and each kind of injectable host call, one run counts
 * the calls of that kind the scenario makes (C); then for N = 1..C (at
 * most --max, spread evenly over 1..C when C is larger) a fresh run fails
 * exactly the Nth call.  Each run must end normally (a crash ends the
 * test; the sanitizer builds also catch leaks of host memory), must have
 * failed exactly that one call (the runs are deterministic), and must
 * report neither a broken invariant nor leaked frames: steps may fail --
 * an injected ENOMEM or EIO makes the step that met it fail, and the
 * expectations after it may no longer hold -- but the model must stay
 * consistent and give back every frame.  The runner checks every
 * invariant after every step.
 *
 * Prints one line per scenario and kind ("file kind: C calls, N runs"),
 * and each broken run; exit 0 if none, 1 otherwise, 2 on usage errors.
 * A scenario that uses `fail` itself is refused (its first `fail` would
 * reset the sweep's arming).
 */
#include <stdlib.h>
#include <string.h>
#include "scn.h"

/* --- a sink that records what a broken model looks like ---------------------- */

static unsigned int broken;
static char first_broken[512];

static void sink_begin(struct scn_sink *s, const char *file) { (void)s; (void)file; }

/* The runner's own verdict (scn_result.broken): a checker that failed, a
 * checker that could not run, frames left after teardown. */
static void sink_step(struct scn_sink *s, const struct scn_result *res)
{
	(void)s;
	if (res->broken != SCN_BROKEN_NONE && !broken++)
		snprintf(first_broken, sizeof(first_broken), "line %u: %s: %s", res->line,
			 res->command, res->detail ? res->detail : "");
}

static void sink_end(struct scn_sink *s, const char *file, unsigned int p, unsigned int f,
		     const long *c, const char *t)
{
	(void)s; (void)file; (void)p; (void)f; (void)c; (void)t;
}

static void sink_finish(struct scn_sink *s, unsigned int p, unsigned int f)
{
	(void)s; (void)p; (void)f;
}

static struct scn_sink sink = { sink_begin, sink_step, sink_end, sink_finish, NULL };

/* Run @script once; the broken count of that run, or -1 if the model
 * could not be built for a reason other than the injection. */
static int run_once(const struct scn_script *script)
{
	struct scn_run_opts opts = { .trace = false };
	unsigned int p = 0, f = 0;

	broken = 0;
	first_broken[0] = '\0';
	(void)scn_run_script(script, &opts, &sink, &p, &f);
	return (int)broken;
}

static unsigned long calls_of(enum pnm_fault_kind kind)
{
	struct pnm_fault_stats st;

	return pnm_fault_stat(kind, &st) ? 0 : st.calls;
}

static unsigned long injected_of(enum pnm_fault_kind kind)
{
	struct pnm_fault_stats st;

	return pnm_fault_stat(kind, &st) ? 0 : st.injected;
}

/* Sweep @kind over @script: the number of broken runs. */
static unsigned int sweep_kind(const char *file, const struct scn_script *script,
			       enum pnm_fault_kind kind, unsigned long max)
{
	unsigned long count, runs, n;
	unsigned int bad = 0;

	pnm_fault_reset();
	pnm_fault_count(true);
	if (run_once(script)) {
		fprintf(stderr, "%s: broken without injection: %s\n", file, first_broken);
		return 1;
	}
	pnm_fault_off();
	count = calls_of(kind);
	runs = count < max ? count : max;
	for (unsigned long i = 1; i <= runs; i++) {
		/* 1..count, evenly, when there are more calls than runs. */
		n = runs == count ? i : 1 + (i - 1) * (count - 1) / (runs - 1 ? runs - 1 : 1);
		pnm_fault_reset();
		pnm_fault_fail_nth(kind, n);
		if (getenv("FAULT_SWEEP_VERBOSE"))
			fprintf(stderr, "%s: %s nth=%lu\n", file, pnm_fault_kind_name(kind), n);
		run_once(script);
		pnm_fault_off();
		if (broken || injected_of(kind) != 1) {
			bad++;
			fprintf(stderr, "%s: %s nth=%lu: %s\n", file, pnm_fault_kind_name(kind), n,
				broken ? first_broken : "the call was not reached (not deterministic?)");
		}
	}
	printf("%s %s: %lu calls, %lu runs%s\n", file, pnm_fault_kind_name(kind), count, runs,
	       bad ? ", BROKEN" : "");
	fflush(stdout);
	return bad;
}

int main(int argc, char **argv)
{
	unsigned long max = 100;
	unsigned int bad = 0;
	int i = 1;

	if (argc > 2 && !strcmp(argv[1], "--max")) {
		max = strtoul(argv[2], NULL, 0);
		i = 3;
	}
	if (i >= argc || !max) {
		fprintf(stderr, "usage: fault_sweep [--max N] FILE.scn...\n");
		return 2;
	}
	for (; i < argc; i++) {
		char err[1024];
		struct scn_script *s = scn_parse_file(argv[i], err, sizeof(err));

		if (!s) {
			fprintf(stderr, "%s\n", err);
			return 2;
		}
		for (unsigned int k = 0; k < s->nsteps; k++)
			if (!strcmp(s->steps[k]->cmd->name, "fail")) {
				fprintf(stderr, "%s: uses `fail` itself\n", argv[i]);
				return 2;
			}
		for (int kind = 0; kind < PNM_FAULT_NR_KINDS; kind++)
			bad += sweep_kind(argv[i], s, kind, max);
		scn_script_free(s);
	}
	pnm_fault_reset();
	if (bad)
		printf("%u broken run%s\n", bad, bad == 1 ? "" : "s");
	return bad ? 1 : 0;
}
