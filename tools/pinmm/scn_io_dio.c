// SPDX-License-Identifier: MIT
/*
 * scn_io_dio.c - the scenario glue of Direct IO (pinmm/dio.h): the `dio`
 * site of the io family (scn_io.h).
 *
 *   io dio read PROCESS FILE OFFSET ADDRESS LENGTH [as NAME]
 *   io dio write PROCESS FILE OFFSET ADDRESS LENGTH [as NAME]
 *                         submit as the process (its pages are pinned
 *                         now); unless the device is frozen the step
 *                         waits for the transfer, so every later step
 *                         sees it complete
 *   io dio freeze         requests submitted from now on wait, pinned
 *   io dio thaw           let them run; the step waits for them
 *   io dio wait NAME      reap the request: its result (an error result
 *                         is the step's errno, for `expect fail`)
 *   expect io dio result NAME CMP | error NAME ERRNO | pending NAME
 *   expect io dio pinned CMP | queued CMP | fallbacks CMP | errors CMP
 *
 * One device per run, with two threads, made at the first `io dio` step
 * and destroyed at the end (after the requests, which are reaped then:
 * the device is thawed first).  An unnamed request is reaped within its
 * step when it completes there.
 */
#include <stdlib.h>
#include <string.h>
#include "scn_io.h"

#define NS_DIO_DEV	"dio-dev"
#define NS_DIO_REQ	"dio-req"
#define DIO_THREADS	2

/* A named request; the run owns it (NS_DIO_REQ). */
struct dio_req {
	struct pnm_dio_dev *dev;
	struct pnm_dio_req *req;	/* NULL once reaped */
	ssize_t result;			/* valid once reaped */
};

/* The run's device (NS_DIO_DEV). */
struct dio_state {
	struct pnm_dio_dev *dev;
	unsigned int anon;		/* unnamed requests kept: "#1", "#2" ... */
};

static void dio_dev_release(struct scn_run *r, void *obj)
{
	struct dio_state *s = obj;

	pnm_dio_dev_thaw(s->dev);
	pnm_dio_dev_drain(s->dev);
	if (pnm_dio_dev_destroy(s->dev))
		fputs("pinmm: dio: device destroyed with requests unreaped\n", stderr);
	free(s);
}

/* This run's device state, made on first use; NULL + detail on failure. */
static struct dio_state *dio_state(struct scn_run *r)
{
	struct dio_state *s = scn_obj_find(r, NS_DIO_DEV, "dev");
	int err;

	if (s)
		return s;
	s = calloc(1, sizeof(*s));
	if (!s) {
		scn_fail(r, "out of memory");
		return NULL;
	}
	err = pnm_dio_dev_create(DIO_THREADS, &s->dev);
	if (err) {
		free(s);
		scn_fail(r, "cannot create the Direct IO device: %s", pnm_strerror(err));
		return NULL;
	}
	if (scn_obj_add(r, NS_DIO_DEV, "dev", s, dio_dev_release)) {
		pnm_dio_dev_destroy(s->dev);
		free(s);
		scn_fail(r, "out of memory");
		return NULL;
	}
	return s;
}

static struct pnm_dio_dev *dio_dev(struct scn_run *r)
{
	struct dio_state *s = dio_state(r);

	return s ? s->dev : NULL;
}

static void dio_req_release(struct scn_run *r, void *obj)
{
	struct dio_req *q = obj;

	if (q->req) {
		pnm_dio_dev_thaw(q->dev);
		pnm_dio_wait(q->req);
	}
	free(q);
}

static const char *errname(long err)
{
	const char *n = pnm_errno_name((int)-err);

	return n ? n : "?";
}

/*
 * Keep the submitted @req of @dev under @name until it is reaped (or the
 * end); 0, or SCN_FAILED with the request reaped (thawing the device).
 */
static int dio_req_keep(struct scn_run *r, struct pnm_dio_dev *dev, struct pnm_dio_req *req,
			const char *name)
{
	struct dio_req *q = calloc(1, sizeof(*q));

	if (!q) {
		pnm_dio_dev_thaw(dev);
		pnm_dio_wait(req);
		return scn_fail(r, "out of memory");
	}
	q->dev = dev;
	q->req = req;
	if (scn_obj_add(r, NS_DIO_REQ, name, q, dio_req_release)) {
		dio_req_release(r, q);
		return scn_fail(r, "out of memory");
	}
	return 0;
}

/* io dio read|write: a[0] process, a[1] file, a[2] offset, a[3] address,
 * a[4] length, a[5] "as", a[6] name. */
static int dio_submit_verb(struct scn_run *r, const struct scn_value *a, unsigned int op)
{
	struct task_struct *t = scn_task(r, &a[0]), *prev;
	struct file *f = scn_file(r, &a[1]);
	struct pnm_dio_dev *dev;
	struct pnm_dio_req *req;
	unsigned long addr;
	ssize_t res;
	int err;

	if (!t || !f || scn_addr(r, &a[3], &addr))
		return SCN_FAILED;
	dev = dio_dev(r);
	if (!dev)
		return SCN_FAILED;
	prev = pnm_task_enter(t);
	err = pnm_dio_submit(dev, f, op, addr, (size_t)a[4].num, (int64_t)a[2].num, &req);
	pnm_task_leave(prev);
	if (err) {
		scn_detail(r, "submit: %s", errname(err));
		return err;
	}
	/* The device runs while the step does: wait for it to be quiet. */
	pnm_dio_dev_drain(dev);
	if (!a[6].present) {
		if (pnm_dio_poll(req, &res) == -EINPROGRESS) {
			/* Frozen and unnamed: kept under "#N" (no scenario
			 * name starts with '#') until the end. */
			struct dio_state *s = dio_state(r);
			char name[16];

			snprintf(name, sizeof(name), "#%u", ++s->anon);
			if (dio_req_keep(r, dev, req, name))
				return SCN_FAILED;
			scn_detail(r, "queued: the device is frozen");
			return 0;
		}
		res = pnm_dio_wait(req);
		if (res < 0) {
			scn_detail(r, "completed with %s", errname(res));
			return (int)res;
		}
		scn_detail(r, "%zd byte%s %s", res, res == 1 ? "" : "s",
			   op == PNM_DIO_READ ? "read" : "written");
		return 0;
	}
	if (dio_req_keep(r, dev, req, a[6].word))
		return SCN_FAILED;
	if (pnm_dio_poll(req, &res) == -EINPROGRESS)
		scn_detail(r, "%s queued: the device is frozen", a[6].word);
	else if (res < 0)
		scn_detail(r, "%s completed with %s", a[6].word, errname(res));
	else
		scn_detail(r, "%s completed: %zd byte%s", a[6].word, res, res == 1 ? "" : "s");
	return 0;
}

static int dio_read(struct scn_run *r, void *subject, const struct scn_value *a)
{
	return dio_submit_verb(r, a, PNM_DIO_READ);
}

static int dio_write(struct scn_run *r, void *subject, const struct scn_value *a)
{
	return dio_submit_verb(r, a, PNM_DIO_WRITE);
}

static int dio_freeze(struct scn_run *r, void *subject, const struct scn_value *a)
{
	struct pnm_dio_dev *dev = dio_dev(r);

	if (!dev)
		return SCN_FAILED;
	pnm_dio_dev_freeze(dev);
	return 0;
}

static int dio_thaw(struct scn_run *r, void *subject, const struct scn_value *a)
{
	struct pnm_dio_dev *dev = dio_dev(r);
	struct pnm_dio_info i = { .size = sizeof(i) };

	if (!dev)
		return SCN_FAILED;
	pnm_dio_dev_get_info(dev, &i);
	pnm_dio_dev_thaw(dev);
	pnm_dio_dev_drain(dev);
	scn_detail(r, "%lu transfer%s ran", i.queued, i.queued == 1 ? "" : "s");
	return 0;
}

/* The named request of @v, or NULL with the detail set. */
static struct dio_req *dio_req_get(struct scn_run *r, const struct scn_value *v)
{
	struct dio_req *q = scn_obj_find(r, NS_DIO_REQ, v->word);

	if (!q)
		scn_fail(r, "request %s was never submitted", v->word);
	return q;
}

static int dio_wait(struct scn_run *r, void *subject, const struct scn_value *a)
{
	struct dio_req *q = dio_req_get(r, &a[0]);

	if (!q)
		return SCN_FAILED;
	if (!q->req)
		return scn_fail(r, "request %s was reaped already", a[0].word);
	if (pnm_dio_poll(q->req, NULL) == -EINPROGRESS) {
		struct pnm_dio_info i = { .size = sizeof(i) };

		pnm_dio_dev_get_info(q->dev, &i);
		if (i.frozen)
			return scn_fail(r, "request %s waits for the frozen device (io dio thaw)",
					a[0].word);
	}
	q->result = pnm_dio_wait(q->req);
	q->req = NULL;
	if (q->result < 0) {
		scn_detail(r, "%s: %s", a[0].word, errname(q->result));
		return (int)q->result;
	}
	scn_detail(r, "%s: %zd byte%s", a[0].word, q->result, q->result == 1 ? "" : "s");
	return 0;
}

/* The result of request @v if complete: true with *@res. */
static bool dio_req_result(struct dio_req *q, ssize_t *res)
{
	if (!q->req) {
		*res = q->result;
		return true;
	}
	return pnm_dio_poll(q->req, res) == 0;
}

static int prop_result(struct scn_run *r, void *subject, const struct scn_value *a)
{
	struct dio_req *q = dio_req_get(r, &a[0]);
	char want[48];
	ssize_t res;

	if (!q)
		return SCN_FAILED;
	scn_format_cmp(want, sizeof(want), &a[1]);
	if (!dio_req_result(q, &res))
		return scn_fail(r, "%s is still in flight (expected %s bytes)", a[0].word, want);
	if (res < 0)
		return scn_fail(r, "%s failed with %s (expected %s bytes)", a[0].word, errname(res),
				want);
	return scn_prop_result(r, scn_compare(&a[1], (long)res), "%s: %zd bytes (expected %s)",
			       a[0].word, res, want);
}

static int prop_error(struct scn_run *r, void *subject, const struct scn_value *a)
{
	struct dio_req *q = dio_req_get(r, &a[0]);
	const char *want = pnm_errno_name(a[1].index);
	ssize_t res;

	if (!q)
		return SCN_FAILED;
	if (!dio_req_result(q, &res))
		return scn_fail(r, "%s is still in flight (expected %s)", a[0].word, want);
	if (res >= 0)
		return scn_fail(r, "%s moved %zd bytes (expected %s)", a[0].word, res, want);
	return scn_prop_result(r, -res == a[1].index, "%s failed with %s (expected %s)",
			       a[0].word, errname(res), want);
}

static int prop_pending(struct scn_run *r, void *subject, const struct scn_value *a)
{
	struct dio_req *q = dio_req_get(r, &a[0]);
	ssize_t res;

	if (!q)
		return SCN_FAILED;
	return scn_prop_result(r, !dio_req_result(q, &res), "%s is %s", a[0].word,
			       dio_req_result(q, &res) ? "complete" : "in flight");
}

/* The device counters: pinned, queued, fallbacks, errors. */
static int prop_count(struct scn_run *r, const struct scn_value *a, const char *what,
		      unsigned long (*get)(const struct pnm_dio_info *i))
{
	struct pnm_dio_dev *dev = dio_dev(r);
	struct pnm_dio_info i = { .size = sizeof(i) };
	char want[48];

	if (!dev)
		return SCN_FAILED;
	pnm_dio_dev_get_info(dev, &i);
	scn_format_cmp(want, sizeof(want), &a[0]);
	return scn_prop_result(r, scn_compare(&a[0], (long)get(&i)), "%lu %s (expected %s)",
			       get(&i), what, want);
}

static unsigned long get_pinned(const struct pnm_dio_info *i) { return i->pinned_pages; }
static unsigned long get_queued(const struct pnm_dio_info *i) { return i->queued; }
static unsigned long get_fallbacks(const struct pnm_dio_info *i) { return i->fallbacks; }
static unsigned long get_errors(const struct pnm_dio_info *i) { return i->errors; }

static int prop_pinned(struct scn_run *r, void *s, const struct scn_value *a)
{
	return prop_count(r, a, "pages pinned by requests in flight", get_pinned);
}

static int prop_queued(struct scn_run *r, void *s, const struct scn_value *a)
{
	return prop_count(r, a, "transfers queued", get_queued);
}

static int prop_fallbacks(struct scn_run *r, void *s, const struct scn_value *a)
{
	return prop_count(r, a, "writes done buffered", get_fallbacks);
}

static int prop_errors(struct scn_run *r, void *s, const struct scn_value *a)
{
	return prop_count(r, a, "requests failed", get_errors);
}

/* --- tables ------------------------------------------------------------------------ */

#define REQ_REF	{ .type = SCN_ARG_REF, .name = "request", .ns = NS_DIO_REQ }
#define END	{ .type = SCN_ARG_END }

static const struct scn_arg submit_args[] = {
	{ .type = SCN_ARG_REF, .name = "process", .ns = SCN_NS_PROCESS },
	{ .type = SCN_ARG_REF, .name = "file", .ns = SCN_NS_FILE },
	{ .type = SCN_ARG_LEN, .name = "offset" },
	{ .type = SCN_ARG_ADDR, .name = "address" },
	{ .type = SCN_ARG_SIZE, .name = "length" },
	SCN_IO_AS(NS_DIO_REQ), END };
static const struct scn_arg none_args[] = { END };
static const struct scn_arg req_args[] = { REQ_REF, END };
static const struct scn_arg req_cmp_args[] = {
	REQ_REF, { .type = SCN_ARG_CMP, .name = "bytes" }, END };
static const struct scn_arg req_errno_args[] = {
	REQ_REF, { .type = SCN_ARG_ERRNO, .name = "errno" }, END };
static const struct scn_arg cmp_args[] = { { .type = SCN_ARG_CMP, .name = "count" }, END };

static const struct scn_cmd dio_verbs[] = {
	{ .name = "read", .args = submit_args, .test = dio_read,
	  .help = "O_DIRECT read of LENGTH bytes at OFFSET of the disk file into the "
		  "process's memory (pinned now, FOLL_PIN|FOLL_WRITE; EINVAL unless all are "
		  "512-aligned)",
	  .example = "io dio read A F 0 buf 8K as R" },
	{ .name = "write", .args = submit_args, .test = dio_write,
	  .help = "O_DIRECT write of LENGTH bytes of the process's memory to the file",
	  .example = "io dio write A F 4K buf 4K" },
	{ .name = "freeze", .args = none_args, .test = dio_freeze,
	  .help = "hold the device: requests submitted now wait in its queue, pinned" },
	{ .name = "thaw", .args = none_args, .test = dio_thaw,
	  .help = "let the device run what waits; the step waits for it" },
	{ .name = "wait", .args = req_args, .test = dio_wait,
	  .help = "reap the request: its byte count, or its error as the step's errno" },
};

static const struct scn_cmd dio_props[] = {
	{ .name = "result", .args = req_cmp_args, .test = prop_result,
	  .help = "the request completed, moving CMP bytes" },
	{ .name = "error", .args = req_errno_args, .test = prop_error,
	  .help = "the request completed with this errno" },
	{ .name = "pending", .args = req_args, .test = prop_pending,
	  .help = "the request is still in flight (the device is frozen)" },
	{ .name = "pinned", .args = cmp_args, .test = prop_pinned,
	  .help = "pages the device's requests in flight hold pinned" },
	{ .name = "queued", .args = cmp_args, .test = prop_queued,
	  .help = "transfers waiting in the device's queue" },
	{ .name = "fallbacks", .args = cmp_args, .test = prop_fallbacks,
	  .help = "writes done buffered: cached pages could not be invalidated" },
	{ .name = "errors", .args = cmp_args, .test = prop_errors,
	  .help = "requests completed with an error" },
};

SCN_IO_SITE(dio, "dio", "Direct IO (pinmm/dio.h): asynchronous O_DIRECT reads and writes",
	    dio_verbs, dio_props)
