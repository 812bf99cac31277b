// SPDX-License-Identifier: MIT
/*
 * scn_io_uring.c - io_uring-style fixed buffers in the scenario language
 * (<pinmm/io_uring.h>, src/drivers/io_uring.c): `io uring VERB ...` and
 * `expect io uring PROPERTY ...`.
 *
 *   io uring ring PROCESS as RING                  an io_uring instance
 *   io uring register RING ADDRESS LENGTH [count=N] [stride=N] [empty=N]
 *                                  IORING_REGISTER_BUFFERS: COUNT buffers
 *                                  of LENGTH, STRIDE apart from ADDRESS,
 *                                  then EMPTY empty slots
 *   io uring unregister RING
 *   io uring read RING FILE BUF ADDRESS LENGTH OFFSET     READ_FIXED
 *   io uring write RING FILE BUF ADDRESS LENGTH OFFSET    WRITE_FIXED
 *
 * Each buffer is pinned through a pin owner of its own, which `owners`
 * lists (named io_uring<ring>:buf<index>).  The bytes a fixed read or
 * write did are the step's detail and `expect io uring result`.
 */
#include <stdlib.h>
#include <string.h>
#include "scn_io.h"

#define NS_RING		"uring-ring"

struct uring {
	struct pnm_io_ring *ring;
	long long last;			/* the last fixed operation's result */
};

static void ring_release(struct scn_run *r, void *obj)
{
	struct uring *u = obj;

	(void)r;
	pnm_io_ring_destroy(u->ring);
	free(u);
}

static struct uring *ring_get(struct scn_run *r, const struct scn_value *v)
{
	struct uring *u = scn_obj_find(r, NS_RING, v->word);

	if (!u)
		scn_fail(r, "ring %s does not exist (its step failed)", v->word);
	return u;
}

static const char *plural(unsigned long n)
{
	return n == 1 ? "" : "s";
}

/* ring's slots: PROCESS as name */
static int ring_run(struct scn_run *r, void *subject, const struct scn_value *a)
{
	struct task_struct *t = scn_task(r, &a[0]);
	struct uring *u;
	int ret;

	(void)subject;
	if (!t)
		return SCN_FAILED;
	u = calloc(1, sizeof(*u));
	if (!u)
		return -ENOMEM;
	ret = pnm_io_ring_create(t, &u->ring);
	if (ret) {
		free(u);
		return ret;
	}
	ret = scn_obj_add(r, NS_RING, a[2].present ? a[2].word : "uring:ring", u, ring_release);
	if (ret) {
		pnm_io_ring_destroy(u->ring);
		free(u);
		return ret;
	}
	scn_detail(r, "io_uring instance of %s (pid %d)", a[0].word, pnm_task_pid(t));
	return 0;
}

static const struct scn_option reg_opts[] = {
	{ "count", SCN_ARG_INT, NULL, NULL },
	{ "stride", SCN_ARG_LEN, NULL, NULL },
	{ "empty", SCN_ARG_INT, NULL, NULL },
	{ NULL, 0, NULL, NULL },
};
/* register's slots: RING ADDRESS LENGTH flags count stride empty */
enum { RG_RING, RG_ADDR, RG_LEN, RG_FLAGS, RG_COUNT, RG_STRIDE, RG_EMPTY };

static int register_check(struct scn_parser *p, const struct scn_step *st,
			  const struct scn_value *a)
{
	(void)st;
	/* Room for one past Linux's limit, to see it refused. */
	if (a[RG_COUNT].present && a[RG_COUNT].num > 2 * PNM_IORING_MAX_REG_BUFFERS)
		return scn_parse_error(p, &a[RG_COUNT].pos, "count= is at most %u",
				       2 * PNM_IORING_MAX_REG_BUFFERS);
	if (a[RG_EMPTY].present && a[RG_EMPTY].num > 2 * PNM_IORING_MAX_REG_BUFFERS)
		return scn_parse_error(p, &a[RG_EMPTY].pos, "empty= is at most %u",
				       2 * PNM_IORING_MAX_REG_BUFFERS);
	return 0;
}

static int register_run(struct scn_run *r, void *subject, const struct scn_value *a)
{
	struct uring *u = ring_get(r, &a[RG_RING]);
	struct pnm_io_ring_info info = { .size = sizeof(info) };
	unsigned long addr, count, empty, stride, coalesced = 0;
	struct iovec *iov;
	int ret;

	(void)subject;
	if (!u || scn_addr(r, &a[RG_ADDR], &addr))
		return SCN_FAILED;
	count = a[RG_COUNT].present ? (unsigned long)a[RG_COUNT].num : 1;
	empty = a[RG_EMPTY].present ? (unsigned long)a[RG_EMPTY].num : 0;
	stride = a[RG_STRIDE].present ? (unsigned long)a[RG_STRIDE].num
				      : (unsigned long)a[RG_LEN].num;
	iov = calloc(count + empty ? count + empty : 1, sizeof(*iov));
	if (!iov)
		return -ENOMEM;
	for (unsigned long i = 0; i < count; i++) {
		iov[i].iov_base = (void *)(addr + i * stride);
		iov[i].iov_len = (size_t)a[RG_LEN].num;
	}
	ret = pnm_io_ring_register_buffers(u->ring, iov, (unsigned int)(count + empty));
	free(iov);
	if (ret)
		return ret;
	pnm_io_ring_get_info(u->ring, &info);
	for (unsigned int i = 0; i < info.nr_bufs && i < count; i++) {
		struct pnm_io_buf_info bi = { .size = sizeof(bi) };

		if (!pnm_io_ring_buf_info(u->ring, i, &bi) && bi.coalesced)
			coalesced++;
	}
	scn_detail(r, "%u buffer%s: %lu page%s pinned long-term with %lu pin%s, %lu coalesced",
		   info.nr_bufs, plural(info.nr_bufs), info.pages, plural(info.pages), info.pins,
		   plural(info.pins), coalesced);
	return 0;
}

static int unregister_run(struct scn_run *r, void *subject, const struct scn_value *a)
{
	struct uring *u = ring_get(r, &a[0]);
	struct pnm_io_ring_info info = { .size = sizeof(info) };
	int ret;

	(void)subject;
	if (!u)
		return SCN_FAILED;
	pnm_io_ring_get_info(u->ring, &info);
	ret = pnm_io_ring_unregister_buffers(u->ring);
	if (!ret)
		scn_detail(r, "%u buffer%s released: %lu pin%s of %lu page%s", info.nr_bufs,
			   plural(info.nr_bufs), info.pins, plural(info.pins), info.pages,
			   plural(info.pages));
	return ret;
}

/* read's and write's slots: RING FILE BUF ADDRESS LENGTH OFFSET */
static int fixed_run(struct scn_run *r, const struct scn_value *a, bool write)
{
	struct uring *u = ring_get(r, &a[0]);
	struct file *f = u ? scn_file(r, &a[1]) : NULL;
	unsigned long addr;
	ssize_t ret;

	if (!u || !f || scn_addr(r, &a[3], &addr))
		return SCN_FAILED;
	if (a[2].num > UINT32_MAX || a[5].num > (uint64_t)INT64_MAX)
		return -EINVAL;
	ret = write ? pnm_io_ring_write_fixed(u->ring, f, (unsigned int)a[2].num, addr,
					      (size_t)a[4].num, (int64_t)a[5].num)
		    : pnm_io_ring_read_fixed(u->ring, f, (unsigned int)a[2].num, addr,
					     (size_t)a[4].num, (int64_t)a[5].num);
	u->last = ret;
	if (ret < 0)
		return (int)ret;
	scn_detail(r, "%s %zd byte%s %s buffer %llu at 0x%lx", write ? "wrote" : "read", ret,
		   plural((unsigned long)ret), write ? "from" : "into",
		   (unsigned long long)a[2].num, addr);
	return 0;
}

static int read_run(struct scn_run *r, void *subject, const struct scn_value *a)
{
	(void)subject;
	return fixed_run(r, a, false);
}

static int write_run(struct scn_run *r, void *subject, const struct scn_value *a)
{
	(void)subject;
	return fixed_run(r, a, true);
}

/* --- properties ---------------------------------------------------------------- */

static int cmp_result(struct scn_run *r, const struct scn_value *cmp, long have,
		      const char *fmt_what, const char *name)
{
	char want[48];

	scn_format_cmp(want, sizeof(want), cmp);
	return scn_prop_result(r, scn_compare(cmp, have), "%s: %ld %s (expected %s)", name, have,
			       fmt_what, want);
}

static int prop_result(struct scn_run *r, void *subject, const struct scn_value *a)
{
	struct uring *u = ring_get(r, &a[0]);

	(void)subject;
	if (!u)
		return SCN_FAILED;
	return cmp_result(r, &a[1], (long)u->last, "bytes done by the last fixed operation",
			  a[0].word);
}

/* The count properties of a ring; each entry is its property's .data. */
enum { RC_BUFFERS, RC_PAGES, RC_PINS };
static const struct ring_count {
	int which;
	const char *what;
} ring_counts[] = {
	{ RC_BUFFERS, "buffers registered" },
	{ RC_PAGES, "pages pinned" },
	{ RC_PINS, "pins held" },
};

/* RING CMP: the property's count (its .data) of ring @a[0] against @a[1]. */
static int prop_ring_count(struct scn_run *r, void *subject, const struct scn_value *a)
{
	const struct ring_count *c = scn_io_member(subject)->data;
	struct uring *u = ring_get(r, &a[0]);
	struct pnm_io_ring_info info = { .size = sizeof(info) };
	long have;

	if (!u)
		return SCN_FAILED;
	pnm_io_ring_get_info(u->ring, &info);
	have = c->which == RC_BUFFERS ? (long)info.nr_bufs :
	       c->which == RC_PAGES ? (long)info.pages : (long)info.pins;
	return cmp_result(r, &a[1], have, c->what, a[0].word);
}

enum { BP_PINS, BP_SEGMENTS, BP_COALESCED, BP_NOT_COALESCED };
static const char *const buf_prop_words[] = { "pins", "segments", "coalesced", "not-coalesced",
					      NULL };

/* buffer RING INDEX pins|segments CMP, or coalesced|not-coalesced */
static int buffer_check(struct scn_parser *p, const struct scn_step *st,
			const struct scn_value *a)
{
	bool counted = a[2].index == BP_PINS || a[2].index == BP_SEGMENTS;

	(void)st;
	if (counted != a[3].present)
		return scn_parse_error(p, &a[2].pos, counted ? "'%s' takes a count (== 1)" :
				       "'%s' takes no count", buf_prop_words[a[2].index]);
	return 0;
}

static int prop_buffer(struct scn_run *r, void *subject, const struct scn_value *a)
{
	struct uring *u = ring_get(r, &a[0]);
	struct pnm_io_buf_info bi = { .size = sizeof(bi) };
	char name[64];
	int ret;

	(void)subject;
	if (!u)
		return SCN_FAILED;
	if (a[1].num > UINT32_MAX)
		return -EINVAL;
	ret = pnm_io_ring_buf_info(u->ring, (unsigned int)a[1].num, &bi);
	if (ret)
		return scn_fail(r, "%s has no buffer %llu (%s)", a[0].word,
				(unsigned long long)a[1].num, pnm_errno_name(-ret));
	snprintf(name, sizeof(name), "%s buffer %llu", a[0].word, (unsigned long long)a[1].num);
	switch (a[2].index) {
	case BP_PINS:
		return cmp_result(r, &a[3], (long)bi.pins, "pins held", name);
	case BP_SEGMENTS:
		return cmp_result(r, &a[3], (long)bi.segments, "segments (bio_vecs)", name);
	default:
		return scn_prop_result(r, bi.coalesced == (a[2].index == BP_COALESCED),
				       "%s: %lu page%s, %s (%lu pin%s, %lu segment%s of "
				       "2^%u bytes)",
				       name, bi.pages, plural(bi.pages),
				       bi.coalesced ? "coalesced" : "not coalesced", bi.pins,
				       plural(bi.pins), bi.segments, plural(bi.segments),
				       bi.folio_shift);
	}
}

/* --- tables ----------------------------------------------------------------------- */

#define RING_REF	{ .type = SCN_ARG_REF, .name = "ring", .ns = NS_RING }
#define CMP		{ .type = SCN_ARG_CMP, .name = "count" }
#define END		{ .type = SCN_ARG_END }

static const struct scn_arg ring_args[] = {
	{ .type = SCN_ARG_REF, .name = "process", .ns = SCN_NS_PROCESS }, SCN_IO_AS(NS_RING),
	END };
static const struct scn_arg register_args[] = {
	RING_REF, { .type = SCN_ARG_ADDR, .name = "address" },
	{ .type = SCN_ARG_LEN, .name = "length" },
	{ .type = SCN_ARG_FLAGS, .name = "option", .options = reg_opts }, END };
static const struct scn_arg ring_only_args[] = { RING_REF, END };
static const struct scn_arg fixed_args[] = {
	RING_REF, { .type = SCN_ARG_REF, .name = "file", .ns = SCN_NS_FILE },
	{ .type = SCN_ARG_INT, .name = "buffer" }, { .type = SCN_ARG_ADDR, .name = "address" },
	{ .type = SCN_ARG_SIZE, .name = "length" }, { .type = SCN_ARG_LEN, .name = "offset" },
	END };
static const struct scn_arg ring_cmp_args[] = { RING_REF, CMP, END };
static const struct scn_arg buffer_args[] = {
	RING_REF, { .type = SCN_ARG_INT, .name = "index" },
	{ .type = SCN_ARG_KEYWORD, .name = "what", .choices = buf_prop_words },
	{ .type = SCN_ARG_CMP, .name = "count", .flags = SCN_OPTIONAL }, END };

static const struct scn_cmd uring_verbs[] = {
	{ .name = "ring", .args = ring_args, .test = ring_run,
	  .help = "an io_uring instance of the process", .example = "io uring ring A as RING" },
	{ .name = "register", .args = register_args, .test = register_run,
	  .check = register_check,
	  .help = "IORING_REGISTER_BUFFERS: count= buffers (default 1) of LENGTH, stride= apart "
		  "(default LENGTH), then empty= empty slots; each pinned FOLL_PIN|FOLL_LONGTERM|"
		  "FOLL_WRITE through an owner, a buffer of large folios coalesced to one pin per "
		  "folio; EBUSY, EINVAL, EFAULT, EOVERFLOW, ENOMEM as Linux",
	  .example = "io uring register RING buf 64K count=4 stride=128K" },
	{ .name = "unregister", .args = ring_only_args, .test = unregister_run,
	  .help = "IORING_UNREGISTER_BUFFERS (ENXIO if none)",
	  .example = "io uring unregister RING" },
	{ .name = "read", .args = fixed_args, .test = read_run,
	  .help = "READ_FIXED: LENGTH bytes of FILE at OFFSET into buffer BUF at ADDRESS, "
		  "through the page cache",
	  .example = "io uring read RING F 0 buf 4K 0" },
	{ .name = "write", .args = fixed_args, .test = write_run,
	  .help = "WRITE_FIXED: LENGTH bytes from buffer BUF at ADDRESS to FILE at OFFSET",
	  .example = "io uring write RING F 0 buf 4K 8K" },
};

static const struct scn_cmd uring_props[] = {
	{ .name = "result", .args = ring_cmp_args, .test = prop_result,
	  .help = "bytes the last fixed read or write did (or its -errno)",
	  .example = "expect io uring result RING == 4096" },
	{ .name = "buffers", .args = ring_cmp_args, .test = prop_ring_count,
	  .data = &ring_counts[RC_BUFFERS],
	  .help = "buffer slots registered", .example = "expect io uring buffers RING == 4" },
	{ .name = "pages", .args = ring_cmp_args, .test = prop_ring_count,
	  .data = &ring_counts[RC_PAGES],
	  .help = "pages the buffers pin", .example = "expect io uring pages RING == 512" },
	{ .name = "pins", .args = ring_cmp_args, .test = prop_ring_count,
	  .data = &ring_counts[RC_PINS],
	  .help = "pins the buffers hold (one per folio when coalesced)",
	  .example = "expect io uring pins RING == 1" },
	{ .name = "buffer", .args = buffer_args, .test = prop_buffer, .check = buffer_check,
	  .help = "one buffer: pins CMP, segments CMP, coalesced or not-coalesced",
	  .example = "expect io uring buffer RING 0 coalesced" },
};

SCN_IO_SITE(uring, "uring", "io_uring-style fixed buffers: long-term pins registered once, "
	    "coalesced per folio (src/drivers/io_uring.c)", uring_verbs, uring_props)
