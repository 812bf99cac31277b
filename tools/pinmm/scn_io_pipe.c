// SPDX-License-Identifier: MIT
/*
 * scn_io_pipe.c - the scenario glue of vmsplice into a pipe (pinmm/pipe.h):
 * the `pipe` site of the io family (scn_io.h).
 *
 *   io pipe create [as PIPE]               a new empty pipe ("pipe")
 *   io pipe vmsplice PROCESS PIPE ADDRESS LENGTH
 *                                          the process's pages become pipe
 *                                          buffers (references, no copy)
 *   io pipe read PIPE PROCESS ADDRESS LENGTH
 *                                          read(2) into the process: copied
 *                                          from the pages as they are now
 *   io pipe destroy PIPE
 *   expect io pipe bytes|buffers PIPE CMP
 *   expect io pipe frame PIPE N [not] PROCESS ADDRESS
 *                                          buffer N (0: the next to read)
 *                                          holds the frame the process maps
 *                                          at ADDRESS
 *
 * Every pipe's checker (pnm_pipe_check) is registered with
 * pnm_check_register() (scn_io_keep_checked()), so it runs after every
 * step; pipes left at the end are destroyed (their pages put).
 */
#include <stdlib.h>
#include <string.h>
#include "scn_io.h"

#define NS_PIPE		"pipe"

/* A pipe's checker and destructor, as scn_io_keep_checked() calls them. */
static int pipe_check(void *obj, char *why, size_t size)
{
	return pnm_pipe_check(obj, why, size);
}

static void pipe_destroy_obj(void *obj)
{
	pnm_pipe_destroy(obj);
}

static struct pnm_pipe *pipe_get(struct scn_run *r, const struct scn_value *v)
{
	struct pnm_pipe *p = scn_io_find_checked(r, NS_PIPE, v->word);

	if (!p)
		scn_fail(r, "pipe %s does not exist", v->word);
	return p;
}

static struct pnm_pipe_info pipe_info(struct pnm_pipe *p)
{
	struct pnm_pipe_info pi = { .size = sizeof(pi) };

	pnm_pipe_get_info(p, &pi);
	return pi;
}

/* io pipe create: a[0] "as", a[1] name. */
static int pipe_create(struct scn_run *r, void *subject, const struct scn_value *a)
{
	const char *name = a[1].present ? a[1].word : "pipe";
	struct pnm_pipe *p;
	int err;

	if (scn_obj_find(r, NS_PIPE, name))
		return scn_fail(r, "pipe %s exists", name);
	err = pnm_pipe_create(&p);
	if (err)
		return err;
	if (scn_io_keep_checked(r, NS_PIPE, name, p, "pipe", pipe_check, pipe_destroy_obj))
		return scn_fail(r, "out of memory");
	return 0;
}

/* io pipe vmsplice: a[0] process, a[1] pipe, a[2] address, a[3] length. */
static int pipe_vmsplice(struct scn_run *r, void *subject, const struct scn_value *a)
{
	struct task_struct *t = scn_task(r, &a[0]);
	struct pnm_pipe *p = pipe_get(r, &a[1]);
	unsigned long addr;
	ssize_t n;

	if (!t || !p || scn_addr(r, &a[2], &addr))
		return SCN_FAILED;
	n = pnm_vmsplice(t, p, addr, (size_t)a[3].num, 0);
	if (n < 0)
		return (int)n;
	scn_detail(r, "%zd bytes spliced, %u buffers queued", n, pipe_info(p).buffers);
	return 0;
}

/* io pipe read: a[0] pipe, a[1] process, a[2] address, a[3] length. */
static int pipe_read(struct scn_run *r, void *subject, const struct scn_value *a)
{
	struct pnm_pipe *p = pipe_get(r, &a[0]);
	struct task_struct *t = scn_task(r, &a[1]);
	unsigned long addr;
	ssize_t n;

	if (!t || !p || scn_addr(r, &a[2], &addr))
		return SCN_FAILED;
	n = pnm_pipe_read(p, t, addr, (size_t)a[3].num);
	if (n < 0)
		return (int)n;
	scn_detail(r, "%zd bytes read, %lu left", n, pipe_info(p).bytes);
	return 0;
}

static int pipe_destroy(struct scn_run *r, void *subject, const struct scn_value *a)
{
	if (!scn_obj_remove(r, NS_PIPE, a[0].word))
		return scn_fail(r, "pipe %s does not exist", a[0].word);
	return 0;
}

/* The count properties of a pipe; each entry is its property's .data. */
enum { PC_BYTES, PC_BUFFERS };
static const struct pipe_count {
	int which;
	const char *what;
} pipe_counts[] = {
	{ PC_BYTES, "bytes queued" },
	{ PC_BUFFERS, "buffers" },
};

/* PIPE CMP: the property's count (its .data) of pipe @a[0] against @a[1]. */
static int prop_count(struct scn_run *r, void *subject, const struct scn_value *a)
{
	const struct pipe_count *c = scn_io_member(subject)->data;
	struct pnm_pipe *p = pipe_get(r, &a[0]);
	struct pnm_pipe_info pi;
	unsigned long have;
	char want[48];

	if (!p)
		return SCN_FAILED;
	pi = pipe_info(p);
	have = c->which == PC_BYTES ? pi.bytes : pi.buffers;
	scn_format_cmp(want, sizeof(want), &a[1]);
	return scn_prop_result(r, scn_compare(&a[1], (long)have), "%lu %s (expected %s)", have,
			       c->what, want);
}

/* expect io pipe frame: a[0] pipe, a[1] N, a[2] "not", a[3] process, a[4] address. */
static int prop_frame(struct scn_run *r, void *s, const struct scn_value *a)
{
	struct pnm_pipe *p = pipe_get(r, &a[0]);
	struct task_struct *t = scn_task(r, &a[3]);
	unsigned long pfn, ppfn, addr;
	unsigned int off;

	if (!p || !t || scn_addr(r, &a[4], &addr))
		return SCN_FAILED;
	if (pnm_pipe_buffer(p, (unsigned int)a[1].num, &pfn, &off))
		return scn_fail(r, "the pipe has no buffer %lu", (unsigned long)a[1].num);
	if (pnm_translate(t, addr, &ppfn, NULL))
		return scn_prop_result(r, a[2].present, "buffer %lu holds pfn %#lx; %s maps "
				       "nothing there", (unsigned long)a[1].num, pfn, a[3].word);
	return scn_prop_result(r, (pfn == ppfn) != a[2].present,
			       "buffer %lu holds pfn %#lx; %s maps pfn %#lx there",
			       (unsigned long)a[1].num, pfn, a[3].word, ppfn);
}

#define PIPE_REF	{ .type = SCN_ARG_REF, .name = "pipe", .ns = NS_PIPE }
#define PROC		{ .type = SCN_ARG_REF, .name = "process", .ns = SCN_NS_PROCESS }
#define END		{ .type = SCN_ARG_END }

static const struct scn_arg create_args[] = { SCN_IO_AS(NS_PIPE), END };
static const struct scn_arg vmsplice_args[] = {
	PROC, PIPE_REF, { .type = SCN_ARG_ADDR, .name = "address" },
	{ .type = SCN_ARG_SIZE, .name = "length" }, END };
static const struct scn_arg read_args[] = {
	PIPE_REF, PROC, { .type = SCN_ARG_ADDR, .name = "address" },
	{ .type = SCN_ARG_SIZE, .name = "length" }, END };
static const struct scn_arg pipe_args[] = { PIPE_REF, END };
static const struct scn_arg pipe_cmp_args[] = {
	PIPE_REF, { .type = SCN_ARG_CMP, .name = "count" }, END };
static const struct scn_arg frame_args[] = {
	PIPE_REF, { .type = SCN_ARG_INT, .name = "buffer" },
	{ .type = SCN_ARG_LITERAL, .name = "not", .flags = SCN_OPTIONAL }, PROC,
	{ .type = SCN_ARG_ADDR, .name = "address" }, END };

static const struct scn_cmd pipe_verbs[] = {
	{ .name = "create", .args = create_args, .test = pipe_create,
	  .help = "a new empty pipe (16 buffers)", .example = "io pipe create as P" },
	{ .name = "vmsplice", .args = vmsplice_args, .test = pipe_vmsplice,
	  .help = "vmsplice(2): the pages become pipe buffers holding references "
		  "(get_user_pages, FOLL_GET, read-only); nothing is copied",
	  .example = "io pipe vmsplice B P buf 4K" },
	{ .name = "read", .args = read_args, .test = pipe_read,
	  .help = "read(2) from the pipe into the process: copied from the pages now",
	  .example = "io pipe read P C out 4K" },
	{ .name = "destroy", .args = pipe_args, .test = pipe_destroy,
	  .help = "close the pipe: its buffers' pages are put", .example = "io pipe destroy P" },
};

static const struct scn_cmd pipe_props[] = {
	{ .name = "bytes", .args = pipe_cmp_args, .test = prop_count,
	  .data = &pipe_counts[PC_BYTES],
	  .help = "bytes queued, not yet read" },
	{ .name = "buffers", .args = pipe_cmp_args, .test = prop_count,
	  .data = &pipe_counts[PC_BUFFERS],
	  .help = "buffers in use (a page reference each)" },
	{ .name = "frame", .args = frame_args, .test = prop_frame,
	  .help = "buffer N holds (not) the frame the process maps at ADDRESS" },
};

SCN_IO_SITE(pipe, "pipe", "vmsplice into a pipe: pages held by plain references",
	    pipe_verbs, pipe_props)
