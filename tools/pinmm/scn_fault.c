// SPDX-License-Identifier: MIT
/*
 * scn_fault.c - the scenario commands of host fault injection
 * (<pinmm/fault.h>; docs/faults.md):
 *
 *   fail KIND nth=N                 the Nth call of KIND from now fails
 *   fail KIND every=N [offset=O]    calls O+N, O+2N, ... from now fail
 *   fail KIND nth=0 | every=0       disarm KIND
 *   fail count                      count the calls of every kind
 *   fail off                        disarm every kind, stop counting
 *   expect fault KIND calls|injected CMP
 *                                   the kind's counters (calls counted
 *                                   since the run started)
 *
 * KIND is one of pnm_fault_kind_name()'s names: vma, rmap, pin-record,
 * xa-node, page, alloc, pread, pwrite, fdatasync, ftruncate, fallocate.
 * A failed allocation surfaces as ENOMEM at the step that made it, a
 * failed backing-file call as EIO (a writeback write or sync through the
 * next fsync of each opener); `expect fail ERRNO COMMAND` checks that.
 *
 * The injection state is process-wide: the first `fail` of a run resets
 * the counters, and the run's teardown disarms every kind (before the
 * processes exit) so that neither the teardown nor the next file is hit.
 * Calls go through the public API only.
 */
#include <stdlib.h>
#include <string.h>
#include "scn.h"

#define NS_FAULT_STATE	"fault-state"

/* The keyword's choices: every kind, then the two verbs. */
static const char *const fail_words[] = {
	"vma", "rmap", "pin-record", "xa-node", "page", "alloc", "pread", "pwrite",
	"fdatasync", "ftruncate", "fallocate", "count", "off", NULL };
_Static_assert(ARRAY_SIZE(fail_words) == PNM_FAULT_NR_KINDS + 3,
	       "fail_words: one word per kind, in pnm_fault_kind order, then the verbs");
#define W_COUNT		PNM_FAULT_NR_KINDS
#define W_OFF		(PNM_FAULT_NR_KINDS + 1)

static const struct scn_option fail_opts[] = {
	{ "nth", SCN_ARG_INT, NULL, NULL },
	{ "every", SCN_ARG_INT, NULL, NULL },
	{ "offset", SCN_ARG_INT, NULL, NULL },
	{ NULL, 0, NULL, NULL },
};
/* Slots after the kind: a[1] the flag bits, a[2] nth=, a[3] every=, a[4] offset=. */
enum { A_KIND, A_FLAGS, A_NTH, A_EVERY, A_OFFSET };

static const char *const stat_words[] = { "calls", "injected", NULL };

/* Teardown: nothing stays armed beyond the run. */
static void fault_state_release(struct scn_run *r, void *obj)
{
	(void)r;
	(void)obj;
	pnm_fault_off();
}

/*
 * The run's first `fail`: zero the counters and register the teardown
 * hook.  0 or -ENOMEM.
 */
static int fault_state(struct scn_run *r)
{
	static char token;

	if (scn_obj_find(r, NS_FAULT_STATE, "state"))
		return 0;
	if (scn_obj_add(r, NS_FAULT_STATE, "state", &token, fault_state_release))
		return -ENOMEM;
	pnm_fault_reset();
	return 0;
}

static int fail_check(struct scn_parser *p, const struct scn_step *st, const struct scn_value *a)
{
	bool nth = a[A_NTH].present, every = a[A_EVERY].present, off = a[A_OFFSET].present;

	(void)st;
	if (a[A_KIND].index >= PNM_FAULT_NR_KINDS) {
		if (nth || every || off)
			return scn_parse_error(p, &a[A_KIND].pos, "fail %s takes no nth=, every= "
					       "or offset=", a[A_KIND].word);
		return 0;
	}
	if (nth == every)
		return scn_parse_error(p, &a[A_KIND].pos, "fail %s takes one of nth=N or every=N",
				       a[A_KIND].word);
	if (off && !every)
		return scn_parse_error(p, &a[A_OFFSET].pos, "offset= goes with every=");
	if (off && a[A_OFFSET].num >= a[A_EVERY].num)
		return scn_parse_error(p, &a[A_OFFSET].pos, "offset= must be below every=");
	return 0;
}

static const char *nth_suffix(unsigned long n)
{
	if (n % 100 >= 11 && n % 100 <= 13)
		return "th";
	return n % 10 == 1 ? "st" : n % 10 == 2 ? "nd" : n % 10 == 3 ? "rd" : "th";
}

static int fail_run(struct scn_run *r, const struct scn_step *st, const struct scn_value *a)
{
	int kind = a[A_KIND].index, ret = fault_state(r);
	const char *name = a[A_KIND].word;

	(void)st;
	if (ret)
		return ret;
	if (kind == W_OFF) {
		pnm_fault_off();
		scn_detail(r, "no host call fails any more");
		return 0;
	}
	if (kind == W_COUNT) {
		pnm_fault_count(true);
		scn_detail(r, "counting the host calls of every kind");
		return 0;
	}
	if (a[A_NTH].present) {
		unsigned long n = (unsigned long)a[A_NTH].num;

		ret = pnm_fault_fail_nth(kind, n);
		if (!ret && n)
			scn_detail(r, "the %lu%s %s call from now fails", n, nth_suffix(n), name);
		else if (!ret)
			scn_detail(r, "%s calls no longer fail", name);
	} else {
		unsigned long e = (unsigned long)a[A_EVERY].num;
		unsigned long o = a[A_OFFSET].present ? (unsigned long)a[A_OFFSET].num : 0;

		ret = pnm_fault_fail_every(kind, e, o);
		if (!ret && e)
			scn_detail(r, "every %lu%s %s call from now fails (offset %lu)", e,
				   nth_suffix(e), name, o);
		else if (!ret)
			scn_detail(r, "%s calls no longer fail", name);
	}
	return ret;
}

static int expect_fault_check(struct scn_parser *p, const struct scn_step *st,
			      const struct scn_value *a)
{
	(void)st;
	if (a[0].index >= PNM_FAULT_NR_KINDS)
		return scn_parse_error(p, &a[0].pos, "expect fault takes a kind, not %s",
				       a[0].word);
	return 0;
}

static int expect_fault_run(struct scn_run *r, const struct scn_step *st,
			    const struct scn_value *a)
{
	struct pnm_fault_stats fs;
	unsigned long have;
	char want[48];

	(void)st;
	if (pnm_fault_stat(a[0].index, &fs))
		return scn_fail(r, "no such kind");
	have = a[1].index ? fs.injected : fs.calls;
	scn_format_cmp(want, sizeof(want), &a[2]);
	return scn_prop_result(r, scn_compare(&a[2], (long)have), "%s %s %lu, expected %s",
			       a[0].word, a[1].word, have, want);
}

#define END	{ .type = SCN_ARG_END }

static const struct scn_arg fail_args[] = {
	{ .type = SCN_ARG_KEYWORD, .name = "kind", .choices = fail_words },
	{ .type = SCN_ARG_FLAGS, .name = "option", .options = fail_opts }, END };
static const struct scn_arg expect_fault_args[] = {
	{ .type = SCN_ARG_KEYWORD, .name = "kind", .choices = fail_words },
	{ .type = SCN_ARG_KEYWORD, .name = "counter", .choices = stat_words },
	{ .type = SCN_ARG_CMP, .name = "count" }, END };

static const struct scn_cmd fault_cmds[] = {
	{ .name = "fail", .section = "faults", .args = fail_args, .run = fail_run,
	  .check = fail_check,
	  .help = "host fault injection (docs/faults.md): fail the nth=N call of a kind from "
		  "now, or every=N [offset=O]; 0 disarms; count: count calls; off: disarm all",
	  .example = "fail pwrite nth=1" },
	{ .name = "expect fault", .section = "expect", .args = expect_fault_args,
	  .run = expect_fault_run, .check = expect_fault_check,
	  .flags = SCN_EXPECT | SCN_OBSERVE,
	  .help = "a fault-injection counter of a kind since the run's first fail: calls "
		  "(counted while injection is on) or injected CMP",
	  .example = "expect fault pwrite injected == 1" },
};
SCN_REGISTER(fault_cmds)
