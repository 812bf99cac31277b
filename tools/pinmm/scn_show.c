/* SPDX-License-Identifier: MIT */
/*
 * scn_show.c - `show`: a value a scenario measures, under a label.
 *
 *   show "LABEL" counter NAME              a counter's value (a scenario's
 *                                          model starts at zero)
 *   show "LABEL" read PROCESS ADDR LEN     what the process reads, as text
 *   show "LABEL" largest-free-order ZONE   the order of its largest free block
 *   show "LABEL" misuse KIND               misuse reports of a kind so far
 *   show "LABEL" report KIND               the last such report, or "none"
 *   show "LABEL" disk FILE OFF LEN         the bytes of the host's backing
 *                                          file, as text
 *
 *   show-outcome "LABEL" COMMAND...        run a command and show "ok" or the
 *                                          errno it failed with (an acting
 *                                          step, where show only looks)
 *
 * A show step never fails on what it finds: it reports it.  The human sink
 * prints "LABEL: VALUE" as the step's detail; the JSON sink gives the step
 * the data {"label": ..., "value": ...} (a number for counts, a string
 * otherwise).  `pinmm demo` lays the shows of two runs of a story side by
 * side, matched by label.
 *
 * The measures are family "shown" members: other files add their own
 * (misuse and report live in scn_pin.c, disk in scn_file.c).  Each fills a
 * struct scn_shown from its arguments.
 */
#include <stdlib.h>
#include <string.h>
#include "scn.h"

#define SHOW_MAX_READ	256	/* bytes a `read` measure shows at most */

/* scn_shown_text - contract in scn.h. */
void scn_shown_text(struct scn_shown *out, const unsigned char *buf, size_t len)
{
	size_t n = strnlen((const char *)buf, len);

	out->number = false;
	if (!n && len) {
		size_t i;

		for (i = 0; i < len && !buf[i]; i++)
			;
		if (i == len) {
			snprintf(out->text, sizeof(out->text), "zeroes");
			return;
		}
	}
	scn_quote(out->text, sizeof(out->text), buf, n, SHOW_MAX_READ);
}

/* scn_shown_number - contract in scn.h. */
void scn_shown_number(struct scn_shown *out, long value)
{
	out->number = true;
	out->num = value;
	snprintf(out->text, sizeof(out->text), "%ld", value);
}

/* --- the command ------------------------------------------------------------------ */

/* Report @v under the label @a[0] as the step's detail and data. */
static int show_report(struct scn_run *r, const struct scn_value *a, const struct scn_shown *v)
{
	char label[128], *json;
	size_t jlen;
	FILE *f;

	snprintf(label, sizeof(label), "%.*s", (int)a[0].len, (const char *)a[0].data);
	scn_detail(r, "%s: %s", label, v->text);
	f = open_memstream(&json, &jlen);
	if (!f)
		return -ENOMEM;
	fputs("{\"label\": ", f);
	scn_json_str(f, label);
	if (v->number) {
		fprintf(f, ", \"value\": %ld}", v->num);
	} else {
		fputs(", \"value\": ", f);
		scn_json_str(f, v->text);
		fputc('}', f);
	}
	if (fclose(f))
		return -ENOMEM;
	scn_data(r, json);
	free(json);
	return 0;
}

static int show_run(struct scn_run *r, const struct scn_step *st, const struct scn_value *a)
{
	struct scn_shown v = { 0 };
	int ret;

	ret = a[1].variant->test(r, &v, &a[2]);
	return ret ? ret : show_report(r, a, &v);
}

static int show_check(struct scn_parser *p, const struct scn_step *st, const struct scn_value *a)
{
	if (!a[0].len || memchr(a[0].data, '\0', a[0].len))
		return scn_parse_error(p, &a[0].pos, "a label is a non-empty string without NUL bytes");
	if (a[0].len >= 128)
		return scn_parse_error(p, &a[0].pos, "a label has at most 127 bytes");
	return 0;
}

/* --- the measures ------------------------------------------------------------------- */

static int shown_counter(struct scn_run *r, void *subject, const struct scn_value *a)
{
	scn_shown_number(subject, pnm_stat_read(a[0].index));
	return 0;
}

static int shown_read(struct scn_run *r, void *subject, const struct scn_value *a)
{
	struct task_struct *t = scn_task(r, &a[0]);
	unsigned char buf[SHOW_MAX_READ];
	size_t len = min_t(size_t, a[2].num, sizeof(buf));
	unsigned long addr;
	int ret;

	if (!t || scn_addr(r, &a[1], &addr))
		return SCN_FAILED;
	ret = pnm_user_read(t, addr, buf, len);
	if (ret) {
		snprintf(((struct scn_shown *)subject)->text, sizeof(((struct scn_shown *)subject)->text),
			 "<%s>", pnm_errno_name(-ret) ? pnm_errno_name(-ret) : "error");
		return 0;
	}
	scn_shown_text(subject, buf, len);
	return 0;
}

static int shown_largest(struct scn_run *r, void *subject, const struct scn_value *a)
{
	struct pnm_zone_info zi = { .size = sizeof(zi) };

	if (pnm_get_zone_info((enum pnm_zone_type)a[0].index, &zi) || !zi.frames)
		return scn_fail(r, "zone %s has no memory in this model", a[0].word);
	scn_shown_number(subject, zi.largest_free_order);
	return 0;
}

static int show_outcome_run(struct scn_run *r, const struct scn_step *st,
			    const struct scn_value *a)
{
	const struct scn_step *inner = a[1].inner;
	struct scn_shown v = { 0 };
	const char *name;
	int ret;

	ret = inner->cmd->run ? inner->cmd->run(r, inner, inner->args) : 0;
	if (ret == SCN_FAILED)
		return SCN_FAILED;	/* could not run at all: the detail says why */
	name = ret ? pnm_errno_name(-ret) : NULL;
	snprintf(v.text, sizeof(v.text), "%s", !ret ? "ok" : name ? name : "error");
	return show_report(r, a, &v);
}

static int show_outcome_check(struct scn_parser *p, const struct scn_step *st,
			      const struct scn_value *a)
{
	const struct scn_cmd *c = a[1].inner->cmd;
	int ret = show_check(p, st, a);

	if (ret)
		return ret;
	if (c->flags & (SCN_EXPECT | SCN_OBSERVE | SCN_CONFIG))
		return scn_parse_error(p, &a[1].pos, "'%s' has no outcome to show; show-outcome "
				       "takes a command that acts on the model", c->name);
	return 0;
}

static const struct scn_arg show_args[] = {
	{ .type = SCN_ARG_STRING, .name = "label" },
	{ .type = SCN_ARG_VARIANT, .name = "measure", .family = "shown" },
	{ .type = SCN_ARG_END } };
static const struct scn_arg counter_args[] = {
	{ .type = SCN_ARG_COUNTER, .name = "counter" }, { .type = SCN_ARG_END } };
static const struct scn_arg read_args[] = {
	{ .type = SCN_ARG_REF, .name = "process", .ns = SCN_NS_PROCESS },
	{ .type = SCN_ARG_ADDR, .name = "address" },
	{ .type = SCN_ARG_LEN, .name = "length" }, { .type = SCN_ARG_END } };
static const struct scn_arg zone_args[] = {
	{ .type = SCN_ARG_ZONE, .name = "zone" }, { .type = SCN_ARG_END } };
static const struct scn_arg outcome_args[] = {
	{ .type = SCN_ARG_STRING, .name = "label" },
	{ .type = SCN_ARG_COMMAND, .name = "command" }, { .type = SCN_ARG_END } };

static const struct scn_cmd show_cmds[] = {
	{ .name = "show", .section = "inspect", .args = show_args, .flags = SCN_OBSERVE,
	  .run = show_run, .check = show_check,
	  .help = "measure a value and report it under a label (pinmm demo lays the shows "
		  "of two runs side by side)",
	  .example = "show \"the parent reads\" read A buf 16" },
	{ .name = "show-outcome", .section = "inspect", .args = outcome_args,
	  .run = show_outcome_run, .check = show_outcome_check,
	  .help = "run the command and report \"ok\" or the errno it failed with, under a label",
	  .example = "show-outcome \"a late remote write\" io rdma write NIC MR 0 \"x\"" },
};
SCN_REGISTER(show_cmds)

static const struct scn_cmd shown_members[] = {
	{ .name = "counter", .family = "shown", .args = counter_args, .test = shown_counter,
	  .help = "a counter's value (since the scenario's model was built)" },
	{ .name = "read", .family = "shown", .args = read_args, .test = shown_read,
	  .help = "the bytes the process reads there (up to the first NUL), as text; "
		  "\"zeroes\" if all are zero" },
	{ .name = "largest-free-order", .family = "shown", .args = zone_args,
	  .test = shown_largest, .help = "the order of the zone's largest free block (-1: none)" },
};
SCN_REGISTER(shown_members)
