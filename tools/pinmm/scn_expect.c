/* SPDX-License-Identifier: MIT */
/*
 * scn_expect.c - expectations: what a scenario asserts about the model.
 *
 *   expect read PROCESS ADDR DATA         what the process's CPU reads
 *   expect fail ERRNO COMMAND...          that a step fails with that errno
 *   checkpoint NAME                       remember the counters
 *   expect counter NAME +N|-N|OP N [since CHECKPOINT]
 *                                         counter change over the last step
 *                                         (or since a checkpoint), or its
 *                                         current value
 *   expect page PROCESS ADDR [not] PROP   page properties (family
 *                                         "page-property", extensible)
 *   expect rss PROCESS anon|file|shmem|swap [OP] N
 *   expect vmas PROCESS [OP] N
 *   expect zone ZONE PROP                 zone properties (family
 *                                         "zone-property")
 *
 * Expectations report PASS or FAIL.  Those that only look (all but
 * "expect fail", which runs a command) keep the counter window of the step
 * before them, so several counter expectations can follow one step.
 */
#include <stdlib.h>
#include <string.h>
#include "scn.h"

#define CHUNK	65536

/* --- expect read ------------------------------------------------------------------- */

static int expect_read_run(struct scn_run *r, const struct scn_step *st,
			   const struct scn_value *a)
{
	struct task_struct *t = scn_task(r, &a[0]);
	size_t len = scn_data_len(&a[2]);
	unsigned char *got, *want;
	unsigned long addr;
	int ret = 0;

	if (!t || scn_addr(r, &a[1], &addr))
		return SCN_FAILED;
	got = malloc(CHUNK);
	want = malloc(CHUNK);
	if (!got || !want) {
		ret = -ENOMEM;
		goto out_free;
	}
	for (size_t off = 0; off < len; off += CHUNK) {
		size_t n = min_t(size_t, CHUNK, len - off), i;
		char qg[200], qw[200];

		ret = pnm_user_read(t, addr + off, got, n);
		if (ret) {
			scn_detail(r, "reading 0x%lx", addr + off);
			goto out_free;
		}
		scn_data_get(&a[2], off, want, n);
		if (!memcmp(got, want, n))
			continue;
		for (i = 0; got[i] == want[i]; i++)
			;
		/* Show a window that starts a little before the first difference. */
		{
			size_t from = i > 8 ? i - 8 : 0;

			scn_quote(qg, sizeof(qg), got + from, n - from, 24);
			scn_quote(qw, sizeof(qw), want + from, n - from, 24);
			ret = scn_fail(r, "differs at +0x%zx: read %s, expected %s", off + i, qg, qw);
		}
		goto out_free;
	}
	if (len <= 64) {
		char q[300];

		scn_data_get(&a[2], 0, want, len);
		scn_quote(q, sizeof(q), want, len, 64);
		scn_detail(r, "read %s", q);
	} else {
		scn_detail(r, "%zu bytes match", len);
	}
out_free:
	free(got);
	free(want);
	return ret;
}

/* --- expect fail -------------------------------------------------------------------- */

static int expect_fail_run(struct scn_run *r, const struct scn_step *st,
			   const struct scn_value *a)
{
	const struct scn_step *inner = a[1].inner;
	const char *want = pnm_errno_name(a[0].index);
	const char *got;
	int ret;

	ret = inner->cmd->run ? inner->cmd->run(r, inner, inner->args) : 0;
	if (ret == SCN_FAILED)
		return SCN_FAILED;	/* could not even run: detail says why */
	if (ret == 0)
		return scn_fail(r, "succeeded; expected %s", want ? want : "an error");
	got = pnm_errno_name(-ret);
	if (-ret != a[0].index)
		return scn_fail(r, "failed with %s; expected %s", got ? got : "?", want ? want : "?");
	scn_detail(r, "failed with %s as expected", got ? got : "?");
	return 0;
}

static int expect_fail_check(struct scn_parser *p, const struct scn_step *st,
			     const struct scn_value *a)
{
	const struct scn_cmd *c = a[1].inner->cmd;

	if (c->flags & (SCN_EXPECT | SCN_OBSERVE | SCN_CONFIG))
		return scn_parse_error(p, &a[1].pos, "'%s' cannot fail with an errno; "
				       "expect fail takes a command that acts on the model", c->name);
	return 0;
}

/* --- host-differs ---------------------------------------------------------------------- */

/*
 * host-differs "REASON" COMMAND...: a known, documented difference between
 * the model and the host kernel.  The model runs COMMAND as usual (the
 * step reports as COMMAND would: SCN_WRAPPER); `pinmm run --host` runs it
 * too, and `pinmm diff` lists a disagreement on this step as known, with
 * REASON, instead of failing.
 */
static int host_differs_run(struct scn_run *r, const struct scn_step *st,
			    const struct scn_value *a)
{
	const struct scn_step *inner = a[1].inner;

	return inner->cmd->run ? inner->cmd->run(r, inner, inner->args) : 0;
}

static int host_differs_check(struct scn_parser *p, const struct scn_step *st,
			      const struct scn_value *a)
{
	if (!a[0].len)
		return scn_parse_error(p, &a[0].pos, "give the reason the host differs");
	if (a[1].inner->cmd->flags & SCN_CONFIG)
		return scn_parse_error(p, &a[1].pos, "'%s' configures the model before any step; "
				       "host-differs wraps a step", a[1].inner->cmd->name);
	return 0;
}

/* --- expect counter ------------------------------------------------------------------ */

#define NS_CHECKPOINT	"checkpoint"

static void checkpoint_free(struct scn_run *r, void *obj)
{
	free(obj);
}

static int checkpoint_run(struct scn_run *r, const struct scn_step *st,
			  const struct scn_value *a)
{
	long *vals = malloc(sizeof(long) * (size_t)pnm_stat_count());

	if (!vals)
		return -ENOMEM;
	for (int i = 0; i < pnm_stat_count(); i++)
		vals[i] = pnm_stat_read(i);
	scn_obj_remove(r, NS_CHECKPOINT, a[0].word);
	if (scn_obj_add(r, NS_CHECKPOINT, a[0].word, vals, checkpoint_free)) {
		free(vals);
		return -ENOMEM;
	}
	return 0;
}

static int expect_counter_check(struct scn_parser *p, const struct scn_step *st,
				const struct scn_value *a)
{
	if (a[2].present && !a[3].present)
		return scn_parse_error(p, &a[3].pos, "expected a checkpoint name after 'since'");
	if (a[2].present && a[1].index != SCN_OP_DELTA)
		return scn_parse_error(p, &a[2].pos,
				       "'since' goes with a change (+N or -N), not a comparison");
	return 0;
}

static int expect_counter_run(struct scn_run *r, const struct scn_step *st,
			      const struct scn_value *a)
{
	int item = a[0].index;
	char want[48];
	long have;

	scn_format_cmp(want, sizeof(want), &a[1]);
	if (a[3].present) {
		const long *mark = scn_obj_find(r, NS_CHECKPOINT, a[3].word);

		if (!mark)
			return scn_fail(r, "checkpoint %s was not taken", a[3].word);
		have = pnm_stat_read(item) - mark[item];
		if (!scn_compare(&a[1], have))
			return scn_fail(r, "%s changed by %+ld since %s; expected %s", a[0].word,
					have, a[3].word, want);
		scn_detail(r, "%s changed by %+ld since %s (now %ld)", a[0].word, have,
			   a[3].word, pnm_stat_read(item));
		return 0;
	}
	if (a[1].index == SCN_OP_DELTA) {
		have = scn_counter_delta(r, item);
		if (!scn_compare(&a[1], have))
			return scn_fail(r, "%s changed by %+ld over the last step; expected %s",
					a[0].word, have, want);
		scn_detail(r, "%s changed by %+ld (now %ld)", a[0].word, have, pnm_stat_read(item));
		return 0;
	}
	have = pnm_stat_read(item);
	if (!scn_compare(&a[1], have))
		return scn_fail(r, "%s is %ld; expected %s", a[0].word, have, want);
	scn_detail(r, "%s is %ld", a[0].word, have);
	return 0;
}

/* --- expect page ----------------------------------------------------------------------- */

static const char *page_desc(const struct scn_page_info *pi, char *buf, size_t size)
{
	if (!pi->present)
		snprintf(buf, size, "nothing mapped");
	else if (pi->frame.flags & PNM_PAGE_ZERO)
		snprintf(buf, size, "pfn 0x%lx (zero page)", pi->pfn);
	else if (pi->frame.flags & PNM_PAGE_HUGE_ZERO)
		snprintf(buf, size, "pfn 0x%lx (huge zero page)", pi->pfn);
	else
		snprintf(buf, size, "pfn 0x%lx %s order %u", pi->pfn,
			 pnm_zone_name(pi->frame.zone), pi->frame.order);
	return buf;
}

static int expect_page_run(struct scn_run *r, const struct scn_step *st,
			   const struct scn_value *a)
{
	struct task_struct *t = scn_task(r, &a[0]);
	const struct scn_cmd *prop = a[3].variant;
	bool negate = a[2].present;
	struct scn_page_info pi;
	unsigned long addr;
	char desc[96];
	int ret;

	if (!t || scn_addr(r, &a[1], &addr))
		return SCN_FAILED;
	scn_page_info(t, addr, &pi);
	ret = prop->test(r, &pi, &a[4]);
	if (ret == -ESRCH)
		return SCN_FAILED;	/* a process or region argument: detail set */
	if (ret < 0)
		return scn_fail(r, "cannot tell: %s at 0x%lx", page_desc(&pi, desc, sizeof(desc)), addr);
	if (!negate)
		return ret;
	if (ret == 0)
		return scn_fail(r, "%s is %s", page_desc(&pi, desc, sizeof(desc)), prop->name);
	scn_detail(r, "not %s: %s", prop->name, page_desc(&pi, desc, sizeof(desc)));
	return 0;
}

/* Helpers for the property tests: need a mapped (non-zero) page. */
#define NEED_PRESENT(pi)	do { if (!(pi)->present) return -ENOENT; } while (0)
#define NEED_STRUCT_PAGE(pi)						\
	do {								\
		if (!(pi)->present || ((pi)->frame.flags & PNM_PAGE_ZERO))	\
			return -ENOENT;					\
	} while (0)

/* scn_prop_result - contract in scn.h. */
int scn_prop_result(struct scn_run *r, bool holds, const char *fmt, ...)
{
	char buf[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	scn_detail(r, "%s", buf);
	return holds ? 0 : SCN_FAILED;
}

static int prop_present(struct scn_run *r, void *subject, const struct scn_value *a)
{
	struct scn_page_info *pi = subject;
	char d[96];

	return scn_prop_result(r, pi->present, "%s", page_desc(pi, d, sizeof(d)));
}

static int prop_zero_page(struct scn_run *r, void *subject, const struct scn_value *a)
{
	struct scn_page_info *pi = subject;
	char d[96];

	NEED_PRESENT(pi);
	return scn_prop_result(r, pi->frame.flags & PNM_PAGE_ZERO, "%s",
			       page_desc(pi, d, sizeof(d)));
}

static int prop_huge_zero_page(struct scn_run *r, void *subject, const struct scn_value *a)
{
	struct scn_page_info *pi = subject;
	char d[96];

	NEED_PRESENT(pi);
	return scn_prop_result(r, pi->frame.flags & PNM_PAGE_HUGE_ZERO, "%s",
			       page_desc(pi, d, sizeof(d)));
}

static int frame_compare(struct scn_run *r, void *subject, const struct scn_value *a,
			 bool want_same)
{
	struct scn_page_info *pi = subject, other;
	struct task_struct *t2 = scn_task(r, &a[0]);
	unsigned long addr2;

	NEED_PRESENT(pi);
	if (!t2 || scn_addr(r, &a[1], &addr2))
		return -ESRCH;
	scn_page_info(t2, addr2, &other);
	if (!other.present)
		return scn_prop_result(r, false, "nothing mapped at %s 0x%lx", a[0].word, addr2);
	if ((pi->pfn == other.pfn) == want_same)
		return scn_prop_result(r, true, "pfn 0x%lx %s pfn 0x%lx", pi->pfn,
				   want_same ? "==" : "!=", other.pfn);
	return scn_prop_result(r, false, "pfn 0x%lx %s pfn 0x%lx", pi->pfn,
			   want_same ? "!=" : "==", other.pfn);
}

static int prop_same_frame(struct scn_run *r, void *subject, const struct scn_value *a)
{
	return frame_compare(r, subject, a, true);
}

static int prop_not_same_frame(struct scn_run *r, void *subject, const struct scn_value *a)
{
	return frame_compare(r, subject, a, false);
}

static int prop_anon_exclusive(struct scn_run *r, void *subject, const struct scn_value *a)
{
	struct scn_page_info *pi = subject;
	bool excl;

	NEED_STRUCT_PAGE(pi);
	excl = pi->frame.flags & PNM_PAGE_ANON_EXCLUSIVE;
	return scn_prop_result(r, excl, "pfn 0x%lx is %sanon-exclusive", pi->pfn,
			       excl ? "" : "not ");
}

static int prop_anon(struct scn_run *r, void *subject, const struct scn_value *a)
{
	struct scn_page_info *pi = subject;
	bool anon;

	NEED_STRUCT_PAGE(pi);
	anon = pi->frame.flags & PNM_PAGE_ANON;
	return scn_prop_result(r, anon, "pfn 0x%lx is %s", pi->pfn,
			       anon ? "anonymous" : "a file/shmem page");
}

static int prop_writable(struct scn_run *r, void *subject, const struct scn_value *a)
{
	struct scn_page_info *pi = subject;

	NEED_PRESENT(pi);
	return scn_prop_result(r, pi->writable, "pfn 0x%lx mapped %s", pi->pfn,
			   pi->writable ? "writable" : "read-only");
}

static int prop_zone(struct scn_run *r, void *subject, const struct scn_value *a)
{
	struct scn_page_info *pi = subject;
	enum pnm_zone_type z;

	NEED_STRUCT_PAGE(pi);
	z = pi->frame.zone;
	return scn_prop_result(r, (int)z == a[0].index, "pfn 0x%lx is in zone %s", pi->pfn,
			       pnm_zone_name(z));
}

static int prop_order(struct scn_run *r, void *subject, const struct scn_value *a)
{
	struct scn_page_info *pi = subject;
	unsigned int order;

	NEED_STRUCT_PAGE(pi);
	order = pi->frame.order;
	return scn_prop_result(r, order == a[0].num, "pfn 0x%lx is in a folio of order %u", pi->pfn,
			   order);
}

static int prop_mapcount(struct scn_run *r, void *subject, const struct scn_value *a)
{
	struct scn_page_info *pi = subject;
	char want[48];
	int mc;

	NEED_STRUCT_PAGE(pi);
	mc = pi->frame.mapcount;
	scn_format_cmp(want, sizeof(want), &a[0]);
	return scn_prop_result(r, scn_compare(&a[0], mc), "pfn 0x%lx mapcount %d (expected %s)",
			   pi->pfn, mc, want);
}

static int prop_refcount(struct scn_run *r, void *subject, const struct scn_value *a)
{
	struct scn_page_info *pi = subject;
	char want[48];
	int rc;

	NEED_STRUCT_PAGE(pi);
	rc = pi->frame.refcount;
	scn_format_cmp(want, sizeof(want), &a[0]);
	return scn_prop_result(r, scn_compare(&a[0], rc), "folio 0x%lx refcount %d (expected %s)",
			       pi->frame.head_pfn, rc, want);
}

/* --- expect rss / vmas / zone ------------------------------------------------------------- */

static const char *const rss_words[] = { "anon", "file", "shmem", "swap", NULL };

static int expect_rss_run(struct scn_run *r, const struct scn_step *st, const struct scn_value *a)
{
	struct task_struct *t = scn_task(r, &a[0]);
	struct pnm_mm_info mi = { .size = sizeof(mi) };
	char want[48];
	long have;
	int err;

	if (!t)
		return SCN_FAILED;
	err = pnm_task_mm_info(t, &mi);
	if (err)
		return err;
	switch (a[1].index) {
	case 0: have = mi.rss_anon; break;
	case 1: have = mi.rss_file; break;
	case 2: have = mi.rss_shmem; break;
	default: have = mi.swapents; break;	/* swapped out, not resident */
	}
	scn_format_cmp(want, sizeof(want), &a[2]);
	if (!scn_compare(&a[2], have))
		return scn_fail(r, "%s rss %s is %ld pages; expected %s", a[0].word, a[1].word,
				have, want);
	scn_detail(r, "%ld pages", have);
	return 0;
}

static int expect_vmas_run(struct scn_run *r, const struct scn_step *st, const struct scn_value *a)
{
	struct task_struct *t = scn_task(r, &a[0]);
	struct pnm_mm_info mi = { .size = sizeof(mi) };
	char want[48];
	int have, err;

	if (!t)
		return SCN_FAILED;
	err = pnm_task_mm_info(t, &mi);
	if (err)
		return err;
	have = mi.vmas;
	scn_format_cmp(want, sizeof(want), &a[1]);
	if (!scn_compare(&a[1], have))
		return scn_fail(r, "%s has %d VMAs; expected %s", a[0].word, have, want);
	scn_detail(r, "%d VMAs", have);
	return 0;
}

static int expect_zone_run(struct scn_run *r, const struct scn_step *st, const struct scn_value *a)
{
	struct pnm_zone_info zi = { .size = sizeof(zi) };

	if (pnm_get_zone_info((enum pnm_zone_type)a[0].index, &zi) || !zi.frames)
		return scn_fail(r, "zone %s has no memory in this model", a[0].word);
	return a[1].variant->test(r, &zi, &a[2]);
}

static int zprop_largest(struct scn_run *r, void *subject, const struct scn_value *a)
{
	int order = ((const struct pnm_zone_info *)subject)->largest_free_order;
	char want[48];

	scn_format_cmp(want, sizeof(want), &a[0]);
	return scn_prop_result(r, scn_compare(&a[0], order), "largest free block has order %d "
			   "(expected %s)", order, want);
}

static int zprop_free(struct scn_run *r, void *subject, const struct scn_value *a)
{
	long nr = (long)((const struct pnm_zone_info *)subject)->free_pages;
	char want[48];

	scn_format_cmp(want, sizeof(want), &a[0]);
	return scn_prop_result(r, scn_compare(&a[0], nr), "%ld free pages (expected %s)", nr, want);
}

/* --- tables ------------------------------------------------------------------------------- */

#define TASK(n)		{ .type = SCN_ARG_REF, .name = n, .ns = SCN_NS_PROCESS }
#define ADDR(n)		{ .type = SCN_ARG_ADDR, .name = n }
#define CMP(n)		{ .type = SCN_ARG_CMP, .name = n }
#define END		{ .type = SCN_ARG_END }

static const struct scn_arg read_args[] = {
	TASK("process"), ADDR("address"), { .type = SCN_ARG_DATA, .name = "data" }, END };
static const struct scn_arg fail_args[] = {
	{ .type = SCN_ARG_ERRNO, .name = "errno" }, { .type = SCN_ARG_COMMAND, .name = "command" },
	END };
static const struct scn_arg differs_args[] = {
	{ .type = SCN_ARG_STRING, .name = "reason" }, { .type = SCN_ARG_COMMAND, .name = "command" },
	END };
static const struct scn_arg counter_args[] = {
	{ .type = SCN_ARG_COUNTER, .name = "counter" }, { .type = SCN_ARG_CHANGE, .name = "change" },
	{ .type = SCN_ARG_LITERAL, .name = "since", .flags = SCN_OPTIONAL },
	{ .type = SCN_ARG_REF, .name = "checkpoint", .ns = NS_CHECKPOINT, .flags = SCN_OPTIONAL },
	END };
static const struct scn_arg checkpoint_args[] = {
	{ .type = SCN_ARG_DEF, .name = "name", .ns = NS_CHECKPOINT, .flags = SCN_REDEFINE }, END };
static const struct scn_arg page_args[] = {
	TASK("process"), ADDR("address"),
	{ .type = SCN_ARG_LITERAL, .name = "not", .flags = SCN_OPTIONAL },
	{ .type = SCN_ARG_VARIANT, .name = "property", .family = "page-property" }, END };
static const struct scn_arg rss_args[] = {
	TASK("process"), { .type = SCN_ARG_KEYWORD, .name = "kind", .choices = rss_words },
	CMP("pages"), END };
static const struct scn_arg vmas_args[] = { TASK("process"), CMP("count"), END };
static const struct scn_arg zone_args[] = {
	{ .type = SCN_ARG_ZONE, .name = "zone" },
	{ .type = SCN_ARG_VARIANT, .name = "property", .family = "zone-property" }, END };
static const struct scn_arg other_page_args[] = { TASK("process"), ADDR("address"), END };
static const struct scn_arg zone_prop_args[] = { { .type = SCN_ARG_ZONE, .name = "zone" }, END };
static const struct scn_arg order_args[] = { { .type = SCN_ARG_INT, .name = "order" }, END };
static const struct scn_arg cmp_args[] = { CMP("count"), END };
static const struct scn_arg none_args[] = { END };

#define EXPECT_LOOK	(SCN_EXPECT | SCN_OBSERVE)

static const struct scn_cmd expect_cmds[] = {
	{ .name = "expect read", .section = "expect", .args = read_args, .flags = EXPECT_LOOK,
	  .run = expect_read_run,
	  .help = "the process reads these bytes at the address (faults like a CPU load)",
	  .example = "expect read B buf+4K \"hello\"" },
	{ .name = "expect fail", .section = "expect", .args = fail_args, .flags = SCN_EXPECT,
	  .run = expect_fail_run, .check = expect_fail_check,
	  .help = "the command fails with this errno",
	  .example = "expect fail EFAULT write A buf+100M \"x\"" },
	{ .name = "host-differs", .section = "expect", .args = differs_args, .flags = SCN_WRAPPER,
	  .run = host_differs_run, .check = host_differs_check,
	  .help = "a known difference from the host kernel, with its reason: the model runs the "
		  "command as usual; pinmm diff reports a disagreement here as known",
	  .example = "host-differs \"the host pins per page\" expect counter nr_foll_pin_acquired +1" },
	{ .name = "checkpoint", .section = "expect", .args = checkpoint_args,
	  .flags = SCN_OBSERVE, .run = checkpoint_run,
	  .help = "remember every counter now, for 'expect counter ... since NAME'",
	  .example = "checkpoint before_fork" },
	{ .name = "expect counter", .section = "expect", .args = counter_args,
	  .flags = EXPECT_LOOK, .run = expect_counter_run, .check = expect_counter_check,
	  .help = "+N/-N: the counter changed by N over the last step that acted on the "
		  "model (or since a checkpoint); OP N: its current value compares so",
	  .example = "expect counter pnm_cow_copy +1" },
	{ .name = "expect page", .section = "expect", .args = page_args, .flags = EXPECT_LOOK,
	  .run = expect_page_run,
	  .help = "a property of the page mapped at the address (no faulting); 'not' negates",
	  .example = "expect page A buf not-same-frame B buf" },
	{ .name = "expect rss", .section = "expect", .args = rss_args, .flags = EXPECT_LOOK,
	  .run = expect_rss_run, .help = "the process's resident pages of that kind",
	  .example = "expect rss A anon == 512" },
	{ .name = "expect vmas", .section = "expect", .args = vmas_args, .flags = EXPECT_LOOK,
	  .run = expect_vmas_run, .help = "the number of VMAs of the process",
	  .example = "expect vmas A 3" },
	{ .name = "expect zone", .section = "expect", .args = zone_args, .flags = EXPECT_LOOK,
	  .run = expect_zone_run, .help = "a property of a zone's free memory",
	  .example = "expect zone Movable largest-free-order >= 9" },
};
SCN_REGISTER(expect_cmds)

#define PAGE_PROP(n, a, fn, h)	\
	{ .name = n, .family = "page-property", .args = a, .test = fn, .help = h }

static const struct scn_cmd page_props[] = {
	PAGE_PROP("present", none_args, prop_present, "something is mapped"),
	PAGE_PROP("zero-page", none_args, prop_zero_page, "the shared zero page is mapped"),
	PAGE_PROP("huge-zero-page", none_args, prop_huge_zero_page,
		  "the huge zero page is mapped (a read fault in a THP area)"),
	PAGE_PROP("same-frame", other_page_args, prop_same_frame,
		  "the same frame is mapped there in the other process"),
	PAGE_PROP("not-same-frame", other_page_args, prop_not_same_frame,
		  "a different frame is mapped there (both must be mapped)"),
	PAGE_PROP("anon-exclusive", none_args, prop_anon_exclusive, "PG_anon_exclusive is set"),
	PAGE_PROP("anon", none_args, prop_anon, "an anonymous page"),
	PAGE_PROP("writable", none_args, prop_writable, "mapped writable (no COW pending)"),
	PAGE_PROP("zone", zone_prop_args, prop_zone, "the frame lies in this zone"),
	PAGE_PROP("order", order_args, prop_order, "the folio has this order (9 = 2M THP)"),
	PAGE_PROP("mapcount", cmp_args, prop_mapcount, "mappings of this page"),
	PAGE_PROP("refcount", cmp_args, prop_refcount, "references to the folio"),
};
SCN_REGISTER(page_props)

static const struct scn_cmd zone_props[] = {
	{ .name = "largest-free-order", .family = "zone-property", .args = cmp_args,
	  .test = zprop_largest, .help = "order of the largest free block (-1: none)" },
	{ .name = "free-pages", .family = "zone-property", .args = cmp_args,
	  .test = zprop_free, .help = "free pages in the zone" },
};
SCN_REGISTER(zone_props)
