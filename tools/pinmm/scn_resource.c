/* SPDX-License-Identifier: MIT */
/*
 * scn_resource.c - the scenario commands of what a process may lock and
 * pin, and of the system's knobs (<pinmm/resource.h>, <pinmm/sysctl.h>).
 *
 *   rlimit PROCESS memlock SOFT [HARD]   prlimit(RLIMIT_MEMLOCK): bytes or
 *                                        unlimited each (HARD defaults to
 *                                        the current hard limit)
 *   cap PROCESS ipc_lock|sys_resource on|off   give or take a capability
 *   sysctl NAME VALUE                    write a knob (vm.max_map_count,
 *                                        vm.nr_hugepages,
 *                                        transparent_hugepage.enabled,
 *                                        ...hugepages-64kB.enabled,
 *                                        ...khugepaged.max_ptes_swap ...)
 *   expect rlimit PROCESS memlock SOFT [HARD]   the limits are exactly that
 *   expect cap PROCESS CAP on|off        the process has (not) the
 *                                        capability
 *   expect sysctl NAME VALUE             the knob reads that (for
 *                                        the enabled knobs: the mode in
 *                                        brackets)
 *
 * A knob's name is checked at parse time against the library's table
 * (pnm_sysctl_name()), so a misspelt one is a parse error with a hint;
 * its value is checked when written (EINVAL).  What the pin budget makes
 * of RLIMIT_MEMLOCK is shown by `expect budget PROCESS rlimit|locked-vm`
 * (scn_budget.c).  Calls go through the public API only.
 */
#include <stdlib.h>
#include <string.h>
#include "scn.h"

#define INF	PNM_RLIM_INFINITY

/* --- limits ------------------------------------------------------------------------------ */

static const char *const resource_words[] = { "memlock", NULL };
static const char *const unlimited_word[] = { "unlimited", NULL };

/*
 * The one or two limits given as `unlimited` or a number, from the four
 * optional slots @v (keyword, number, keyword, number), in the order they
 * were written: 1 or 2 of them (0 at parse time is an error).
 */
static int limit_values(const struct scn_value *v, unsigned long out[2])
{
	int n = 0;

	for (int i = 0; i < 4; i++) {
		if (!v[i].present)
			continue;
		if (n < 2)
			out[n] = (i & 1) ? (unsigned long)v[i].num : INF;
		n++;
	}
	return n;
}

static int limits_check(struct scn_parser *p, const struct scn_step *st,
			const struct scn_value *a)
{
	unsigned long lim[2];
	int n = limit_values(&a[2], lim);

	/* (A soft limit above the hard one is prlimit's EINVAL to give.) */
	if (n < 1 || n > 2)
		return scn_parse_error(p, &a[1].pos, "give the soft limit and perhaps the hard one: "
				       "bytes or 'unlimited' each");
	return 0;
}

static void limit_text(char *buf, size_t size, unsigned long v)
{
	if (v == INF)
		snprintf(buf, size, "unlimited");
	else
		snprintf(buf, size, "%lu", v);
}

static int rlimit_run(struct scn_run *r, const struct scn_step *st, const struct scn_value *a)
{
	struct task_struct *t = scn_task(r, &a[0]);
	struct pnm_rlimit old, rl;
	unsigned long lim[2];
	char s[32], h[32];
	int n = limit_values(&a[2], lim), ret;

	if (!t)
		return SCN_FAILED;
	ret = pnm_prlimit(t, PNM_RLIMIT_MEMLOCK, NULL, &old);
	if (ret)
		return ret;
	rl.rlim_cur = lim[0];
	rl.rlim_max = n == 2 ? lim[1] : old.rlim_max;
	ret = pnm_prlimit(t, PNM_RLIMIT_MEMLOCK, &rl, NULL);
	if (ret)
		return ret;
	limit_text(s, sizeof(s), rl.rlim_cur);
	limit_text(h, sizeof(h), rl.rlim_max);
	scn_detail(r, "RLIMIT_MEMLOCK soft %s, hard %s", s, h);
	return 0;
}

static int expect_rlimit_run(struct scn_run *r, const struct scn_step *st,
			     const struct scn_value *a)
{
	struct task_struct *t = scn_task(r, &a[0]);
	unsigned long lim[2];
	struct pnm_rlimit rl;
	char s[32], h[32];
	int n = limit_values(&a[2], lim), ret;

	if (!t)
		return SCN_FAILED;
	ret = pnm_prlimit(t, PNM_RLIMIT_MEMLOCK, NULL, &rl);
	if (ret)
		return ret;
	limit_text(s, sizeof(s), rl.rlim_cur);
	limit_text(h, sizeof(h), rl.rlim_max);
	return scn_prop_result(r, rl.rlim_cur == lim[0] && (n < 2 || rl.rlim_max == lim[1]),
			       "RLIMIT_MEMLOCK soft %s, hard %s", s, h);
}

/* --- capabilities ------------------------------------------------------------------------ */

static const char *const cap_words[] = { "ipc_lock", "sys_resource", NULL };
static const int cap_values[] = { PNM_CAP_IPC_LOCK, PNM_CAP_SYS_RESOURCE };
static const char *const on_off_words[] = { "on", "off", NULL };

static int cap_run(struct scn_run *r, const struct scn_step *st, const struct scn_value *a)
{
	struct task_struct *t = scn_task(r, &a[0]);

	if (!t)
		return SCN_FAILED;
	return pnm_task_set_capability(t, cap_values[a[1].index], a[2].index == 0);
}

static int expect_cap_run(struct scn_run *r, const struct scn_step *st, const struct scn_value *a)
{
	struct task_struct *t = scn_task(r, &a[0]);
	int has;

	if (!t)
		return SCN_FAILED;
	has = pnm_task_capable(t, cap_values[a[1].index]);
	if (has < 0)
		return has;
	return scn_prop_result(r, has == (a[2].index == 0), "%s %s CAP_%s", a[0].word,
			       has ? "has" : "has no", a[1].index ? "SYS_RESOURCE" : "IPC_LOCK");
}

/* --- sysctl -------------------------------------------------------------------------------- */

static bool knob_known(const char *name)
{
	for (int i = 0; pnm_sysctl_name(i); i++)
		if (!strcmp(pnm_sysctl_name(i), name))
			return true;
	return false;
}

static int sysctl_check(struct scn_parser *p, const struct scn_step *st,
			const struct scn_value *a)
{
	const char *best = NULL;
	unsigned int d, bd = ~0U;

	if (a[1].present == a[2].present)
		return scn_parse_error(p, &a[1].pos, "give one value: a number or a word");
	if (knob_known(a[0].word))
		return 0;
	for (int i = 0; pnm_sysctl_name(i); i++) {
		d = scn_edit_distance(a[0].word, pnm_sysctl_name(i));
		if (d < bd) {
			bd = d;
			best = pnm_sysctl_name(i);
		}
	}
	if (best && bd <= 4)
		return scn_parse_error(p, &a[0].pos, "unknown knob '%s' (did you mean '%s'?)",
				       a[0].word, best);
	return scn_parse_error(p, &a[0].pos, "unknown knob '%s'", a[0].word);
}

/* The value slots as the text written to the knob. */
static void knob_value(const struct scn_value *a, char *buf, size_t size)
{
	if (a[1].present)
		snprintf(buf, size, "%s", a[1].word);
	else
		snprintf(buf, size, "%llu", (unsigned long long)a[2].num);
}

static int sysctl_run(struct scn_run *r, const struct scn_step *st, const struct scn_value *a)
{
	char val[64], now[64];
	int ret;

	knob_value(a, val, sizeof(val));
	ret = pnm_sysctl_write(a[0].word, val);
	if (ret)
		return ret;
	if (pnm_sysctl_read(a[0].word, now, sizeof(now)) >= 0)
		scn_detail(r, "%s = %s", a[0].word, now);
	return 0;
}

static int expect_sysctl_run(struct scn_run *r, const struct scn_step *st,
			     const struct scn_value *a)
{
	char want[64], now[64], cur[64];
	const char *lb, *rb;
	int ret;

	knob_value(a, want, sizeof(want));
	ret = pnm_sysctl_read(a[0].word, now, sizeof(now));
	if (ret < 0)
		return ret;
	/* A choice knob shows every choice, the current one in brackets. */
	lb = strchr(now, '[');
	rb = lb ? strchr(lb, ']') : NULL;
	if (lb && rb)
		snprintf(cur, sizeof(cur), "%.*s", (int)(rb - lb - 1), lb + 1);
	else
		snprintf(cur, sizeof(cur), "%s", now);
	return scn_prop_result(r, !strcmp(cur, want), "%s = %s (expected %s)", a[0].word, now,
			       want);
}

/* --- the tables ----------------------------------------------------------------------------- */

#define END		{ .type = SCN_ARG_END }
#define TASK(n)		{ .type = SCN_ARG_REF, .name = n, .ns = SCN_NS_PROCESS }
#define LIMIT_SLOTS(n)	{ .type = SCN_ARG_KEYWORD, .name = n, .choices = unlimited_word, \
			  .flags = SCN_OPTIONAL },					\
			{ .type = SCN_ARG_LEN, .name = n, .flags = SCN_OPTIONAL }

static const struct scn_arg rlimit_args[] = {
	TASK("process"), { .type = SCN_ARG_KEYWORD, .name = "resource", .choices = resource_words },
	LIMIT_SLOTS("soft"), LIMIT_SLOTS("hard"), END };
static const struct scn_arg cap_args[] = {
	TASK("process"), { .type = SCN_ARG_KEYWORD, .name = "capability", .choices = cap_words },
	{ .type = SCN_ARG_KEYWORD, .name = "state", .choices = on_off_words }, END };
static const struct scn_arg sysctl_args[] = {
	{ .type = SCN_ARG_WORD, .name = "knob" },
	{ .type = SCN_ARG_WORD, .name = "value", .flags = SCN_OPTIONAL },
	{ .type = SCN_ARG_INT, .name = "value", .flags = SCN_OPTIONAL }, END };

#define EXPECT_LOOK	(SCN_EXPECT | SCN_OBSERVE)

static const struct scn_cmd resource_cmds[] = {
	{ .name = "rlimit", .section = "budget", .args = rlimit_args, .run = rlimit_run,
	  .check = limits_check,
	  .help = "prlimit(RLIMIT_MEMLOCK) of a process: the soft limit and perhaps the hard "
		  "one, bytes or unlimited (EPERM raising the hard one without sys_resource); "
		  "mlock, secretmem mmap and long-term pins weigh against it",
	  .example = "rlimit A memlock 64K" },
	{ .name = "cap", .section = "budget", .args = cap_args, .run = cap_run,
	  .help = "give (on) or take (off) a capability: ipc_lock lifts RLIMIT_MEMLOCK, "
		  "sys_resource lets the hard limit rise",
	  .example = "cap A ipc_lock on" },
	{ .name = "sysctl", .section = "setup", .args = sysctl_args, .run = sysctl_run,
	  .check = sysctl_check,
	  .help = "write a knob: vm.max_map_count, vm.memfd_noexec, "
		  "transparent_hugepage.enabled (always|madvise|never), "
		  "transparent_hugepage.use_zero_page",
	  .example = "sysctl vm.max_map_count 64" },
	{ .name = "expect rlimit", .section = "expect", .args = rlimit_args,
	  .run = expect_rlimit_run, .check = limits_check, .flags = EXPECT_LOOK,
	  .help = "the process's RLIMIT_MEMLOCK is this soft limit (and hard one)",
	  .example = "expect rlimit A memlock 64K unlimited" },
	{ .name = "expect cap", .section = "expect", .args = cap_args, .run = expect_cap_run,
	  .flags = EXPECT_LOOK,
	  .help = "the process has (on) or has not (off) the capability",
	  .example = "expect cap A ipc_lock off" },
	{ .name = "expect sysctl", .section = "expect", .args = sysctl_args,
	  .run = expect_sysctl_run, .check = sysctl_check, .flags = EXPECT_LOOK,
	  .help = "a knob reads this value (a choice knob: the one in brackets)",
	  .example = "expect sysctl transparent_hugepage.enabled madvise" },
};
SCN_REGISTER(resource_cmds)
