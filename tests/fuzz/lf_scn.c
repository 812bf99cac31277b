/* SPDX-License-Identifier: MIT */
/*
 * lf_scn.c - libFuzzer target: the scenario parser and runner.
 *
 * Each input is a scenario file.  It must either parse or be rejected
 * with one well-formed "fuzz.scn:LINE:COL: error: ..." message; one that
 * parses, asks for at most 64 MiB of model memory and has at most 96
 * steps is run in a fresh model, where no step may break an invariant and
 * no frame may be left allocated at the end (scn_check.c).  The scenario's
 * own expectations may fail: a mutant expects whatever it expects.
 * Built only with -DPINMM_FUZZ=ON (the fuzz preset).
 */
#include <stdio.h>
#include <stdlib.h>
#include "scn_check.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	static const struct scn_check_limits lim = {
		.run = true, .max_mem = 64u << 20, .max_steps = 96,
	};
	char why[1024];

	switch (scn_check_one((const char *)data, size, &lim, why, sizeof(why))) {
	case SCN_CHECK_BAD_MESSAGE:
	case SCN_CHECK_BROKE_MODEL:
		fprintf(stderr, "lf_scn: %s\n", why);
		abort();
	default:
		return 0;
	}
}
