/* SPDX-License-Identifier: MIT */
/*
 * scn_thp.c - the scenario commands of transparent huge pages of every
 * size (<pinmm/thp.h>):
 *
 *   thp size=SIZE enabled=MODE     one folio size's switch (16K .. 2M;
 *                                  never, madvise, always, inherit), as
 *                                  writing hugepages-<size>kB/enabled
 *   thp deferred-split             run the deferred split queue: split
 *                                  the partly mapped large folios that
 *                                  can be (pinned ones stay queued)
 *   khugepaged PROCESS [max=N]     one khugepaged pass over the process
 *                                  (at most N 2M blocks looked at)
 *
 * MADV_COLLAPSE is an advice of the `madvise` command (scn_mem.c):
 * "madvise A buf 2M collapse".  The per-size counters are ordinary
 * counters ("expect counter mthp_64kb_anon_fault_alloc +1").  Calls go
 * through the public API only.
 */
#include "scn.h"

static const char *const thp_mode_words[] = { "never", "madvise", "always", "inherit", NULL };
static const enum pnm_thp_mode thp_mode_values[] = {
	PNM_THP_NEVER, PNM_THP_MADVISE, PNM_THP_ALWAYS, PNM_THP_INHERIT,
};

enum { TF_DEFERRED_SPLIT };		/* flag bits of `thp` */
static const char *const thp_words[] = { "deferred-split", NULL };
enum { TO_SIZE = 1, TO_ENABLED };	/* value slots after the bits */
static const struct scn_option thp_opts[] = {
	{ "size", SCN_ARG_LEN, NULL, NULL },
	{ "enabled", SCN_ARG_KEYWORD, thp_mode_words, NULL },
	{ NULL, 0, NULL, NULL },
};

static int thp_check(struct scn_parser *p, const struct scn_step *st, const struct scn_value *a)
{
	const struct scn_value *f = &a[0];
	bool split = f->num & BIT(TF_DEFERRED_SPLIT);
	uint64_t size = f[TO_SIZE].num;

	if (split) {
		if (f[TO_SIZE].present || f[TO_ENABLED].present)
			return scn_parse_error(p, &f->pos,
					       "deferred-split takes no size= or enabled=");
		return 0;
	}
	if (!f[TO_SIZE].present || !f[TO_ENABLED].present)
		return scn_parse_error(p, &f->pos, "give size= and enabled= (or deferred-split)");
	if (size < (PAGE_SIZE << PNM_THP_MIN_ORDER) || size > HPAGE_PMD_SIZE ||
	    (size & (size - 1)))
		return scn_parse_error(p, &f[TO_SIZE].pos,
				       "size= must be a power of two from 16K to 2M");
	return 0;
}

static int thp_run(struct scn_run *r, const struct scn_step *st, const struct scn_value *a)
{
	const struct scn_value *f = &a[0];
	int ret;

	if (f->num & BIT(TF_DEFERRED_SPLIT)) {
		long split = pnm_thp_deferred_split_scan(~0UL);

		scn_detail(r, "%ld folio%s split", split, split == 1 ? "" : "s");
		return 0;
	}
	ret = pnm_thp_set_enabled((unsigned long)f[TO_SIZE].num,
				  thp_mode_values[f[TO_ENABLED].index]);
	if (ret)
		return ret;
	scn_detail(r, "hugepages-%lukB: %s", (unsigned long)(f[TO_SIZE].num >> 10),
		   thp_mode_words[f[TO_ENABLED].index]);
	return 0;
}

static const struct scn_option khugepaged_opts[] = {
	{ "max", SCN_ARG_INT, NULL, NULL },
	{ NULL, 0, NULL, NULL },
};

static int khugepaged_run(struct scn_run *r, const struct scn_step *st,
			  const struct scn_value *a)
{
	struct task_struct *t = scn_task(r, &a[0]);
	unsigned long max = a[2].present ? (unsigned long)a[2].num : ~0UL;
	long made;

	if (!t)
		return SCN_FAILED;
	made = pnm_khugepaged_scan(t, max);
	if (made < 0)
		return (int)made;
	scn_detail(r, "%ld THP%s collapsed", made, made == 1 ? "" : "s");
	return 0;
}

static const struct scn_arg thp_args[] = {
	{ .type = SCN_ARG_FLAGS, .name = "option", .choices = thp_words, .options = thp_opts },
	{ .type = SCN_ARG_END } };
static const struct scn_arg khugepaged_args[] = {
	{ .type = SCN_ARG_REF, .name = "process", .ns = SCN_NS_PROCESS },
	{ .type = SCN_ARG_FLAGS, .name = "option", .options = khugepaged_opts },
	{ .type = SCN_ARG_END } };

static const struct scn_cmd thp_cmds[] = {
	{ .name = "thp", .section = "memory", .args = thp_args, .run = thp_run,
	  .check = thp_check,
	  .help = "set one folio size's THP switch (size=16K..2M, enabled=never|madvise|"
		  "always|inherit; default: 2M inherit, the rest never), or run the "
		  "deferred split queue (deferred-split)",
	  .example = "thp size=64K enabled=always" },
	{ .name = "khugepaged", .section = "memory", .args = khugepaged_args,
	  .run = khugepaged_run,
	  .help = "one khugepaged pass over a process: collapse its 2M blocks mapped by "
		  "4K entries into THPs where khugepaged would (max=N blocks)",
	  .example = "khugepaged A" },
};
SCN_REGISTER(thp_cmds)
