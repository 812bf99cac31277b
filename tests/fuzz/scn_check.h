/* SPDX-License-Identifier: MIT */
/*
 * scn_check.h - one scenario input through the parser and (optionally) the
 * runner, and what it says about pinmm: shared by the seeded mutation
 * fuzzer (tests/cli/fuzz_scn.c) and the libFuzzer target (lf_scn.c).
 */
#ifndef PINMM_TESTS_SCN_CHECK_H
#define PINMM_TESTS_SCN_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum scn_check_verdict {
	SCN_CHECK_REJECTED,	/* did not parse, with a well-formed message */
	SCN_CHECK_PARSED,	/* parsed; not run (not asked, or too big) */
	SCN_CHECK_RAN,		/* parsed and ran; the model held */
	SCN_CHECK_BAD_MESSAGE,	/* a parse error without file:line:col: error: */
	SCN_CHECK_BROKE_MODEL,	/* a run broke an invariant or leaked frames */
};

struct scn_check_limits {
	bool run;		/* run inputs that parse */
	uint64_t max_mem;	/* ... asking for at most this much model memory */
	unsigned int max_steps;	/* ... and at most this many steps (0: any) */
};

/*
 * scn_check_one - parse @len bytes of @buf as "fuzz.scn"; a rejection must
 * carry "fuzz.scn:LINE:COL: error: TEXT" with LINE inside the input.  An
 * input that parses is run in a fresh model when @lim allows: no step may
 * be reported as breaking the model (scn_result.broken invariant or leak;
 * a scenario's own failed expectations are fine).  @why (may be NULL) gets
 * the problem of a BAD_MESSAGE or BROKE_MODEL verdict.
 */
enum scn_check_verdict scn_check_one(const char *buf, size_t len,
				     const struct scn_check_limits *lim,
				     char *why, size_t size);

#endif /* PINMM_TESTS_SCN_CHECK_H */
