// SPDX-License-Identifier: MIT
/*
 * scn_io_pvm.c - the scenario glue of process_vm_readv/writev
 * (pinmm/process_vm.h): the `pvm` site of the io family (scn_io.h).
 *
 *   io pvm iov NAME ADDRESS LENGTH [repeat=N]
 *                         append a range (N times) to the vector NAME
 *                         (created by its first iov step)
 *   io pvm readv PROCESS TARGET LOCAL REMOTE [flags=N] [as NAME]
 *   io pvm writev PROCESS TARGET LOCAL REMOTE [flags=N] [as NAME]
 *                         PROCESS copies from / to TARGET (by pid, so an
 *                         exited TARGET gives ESRCH) between the vectors
 *                         LOCAL (its own memory) and REMOTE (TARGET's);
 *                         the bytes copied are the detail, an error the
 *                         step's errno
 *   expect io pvm result NAME CMP
 *
 * Addresses of a vector are resolved when the copy runs, so a vector
 * naming regions may be built before they are mapped.
 */
#include <stdlib.h>
#include <string.h>
#include "scn_io.h"

#define NS_PVM_IOV	"pvm-iov"
#define NS_PVM_RES	"pvm-result"
#define IOV_CAP		(PNM_IOV_MAX + 64)	/* room to test the limit */

/* A vector under construction: its ranges as scenario addresses. */
struct pvm_iov {
	size_t n;
	struct scn_value addr[IOV_CAP];	/* SCN_ARG_ADDR values, copied */
	size_t len[IOV_CAP];
};

struct pvm_res {
	ssize_t result;
};

static void free_obj(struct scn_run *r, void *obj)
{
	free(obj);
}

/* io pvm iov: a[0] name, a[1] address, a[2] length, a[3] flags, a[4] repeat. */
static int pvm_iov(struct scn_run *r, void *subject, const struct scn_value *a)
{
	struct pvm_iov *v = scn_obj_find(r, NS_PVM_IOV, a[0].word);
	unsigned long repeat = a[4].present ? (unsigned long)a[4].num : 1;

	if (!v) {
		v = calloc(1, sizeof(*v));
		if (!v || scn_obj_add(r, NS_PVM_IOV, a[0].word, v, free_obj)) {
			free(v);
			return scn_fail(r, "out of memory");
		}
	}
	if (repeat > IOV_CAP - v->n)
		return scn_fail(r, "vector %s would have more than %d ranges", a[0].word, IOV_CAP);
	for (unsigned long i = 0; i < repeat; i++) {
		v->addr[v->n] = a[1];
		v->len[v->n] = (size_t)a[2].num;
		v->n++;
	}
	scn_detail(r, "%s: %zu range%s", a[0].word, v->n, v->n == 1 ? "" : "s");
	return 0;
}

/* The pnm_iovec array of vector @name (malloc'ed), or NULL + detail. */
static struct pnm_iovec *pvm_vec(struct scn_run *r, const char *name, size_t *n)
{
	struct pvm_iov *v = scn_obj_find(r, NS_PVM_IOV, name);
	struct pnm_iovec *iov;

	if (!v) {
		scn_fail(r, "vector %s has no ranges", name);
		return NULL;
	}
	iov = calloc(v->n ? v->n : 1, sizeof(*iov));
	if (!iov) {
		scn_fail(r, "out of memory");
		return NULL;
	}
	for (size_t i = 0; i < v->n; i++) {
		if (scn_addr(r, &v->addr[i], &iov[i].iov_base)) {
			free(iov);
			return NULL;
		}
		iov[i].iov_len = v->len[i];
	}
	*n = v->n;
	return iov;
}

/* readv/writev: a[0] process, a[1] target, a[2] local, a[3] remote,
 * a[4] options (a[5] flags=), a[6] "as", a[7] name. */
static int pvm_copy(struct scn_run *r, const struct scn_value *a, bool write)
{
	struct task_struct *t = scn_task(r, &a[0]), *prev;
	int pid = scn_task_pid(r, &a[1]);
	struct pnm_iovec *l = NULL, *rv = NULL;
	size_t nl = 0, nr = 0;
	ssize_t ret;

	if (!t || pid < 0)
		return SCN_FAILED;
	l = pvm_vec(r, a[2].word, &nl);
	rv = l ? pvm_vec(r, a[3].word, &nr) : NULL;
	if (!l || !rv) {
		free(l);
		return SCN_FAILED;
	}
	prev = pnm_task_enter(t);
	ret = write ? pnm_process_vm_writev(pid, l, nl, rv, nr, a[5].present ? a[5].num : 0)
		    : pnm_process_vm_readv(pid, l, nl, rv, nr, a[5].present ? a[5].num : 0);
	pnm_task_leave(prev);
	free(l);
	free(rv);
	if (a[7].present) {
		struct pvm_res *res = scn_obj_find(r, NS_PVM_RES, a[7].word);

		if (!res) {
			res = calloc(1, sizeof(*res));
			if (!res || scn_obj_add(r, NS_PVM_RES, a[7].word, res, free_obj)) {
				free(res);
				return scn_fail(r, "out of memory");
			}
		}
		res->result = ret;
	}
	if (ret < 0) {
		const char *e = pnm_errno_name((int)-ret);

		scn_detail(r, "%s", e ? e : "?");
		return (int)ret;
	}
	scn_detail(r, "%zd byte%s copied", ret, ret == 1 ? "" : "s");
	return 0;
}

static int pvm_readv(struct scn_run *r, void *subject, const struct scn_value *a)
{
	return pvm_copy(r, a, false);
}

static int pvm_writev(struct scn_run *r, void *subject, const struct scn_value *a)
{
	return pvm_copy(r, a, true);
}

static int prop_result(struct scn_run *r, void *subject, const struct scn_value *a)
{
	struct pvm_res *res = scn_obj_find(r, NS_PVM_RES, a[0].word);
	char want[48];

	if (!res)
		return scn_fail(r, "copy %s never ran", a[0].word);
	scn_format_cmp(want, sizeof(want), &a[1]);
	if (res->result < 0) {
		const char *e = pnm_errno_name((int)-res->result);

		return scn_fail(r, "%s failed with %s (expected %s bytes)", a[0].word, e ? e : "?",
				want);
	}
	return scn_prop_result(r, scn_compare(&a[1], (long)res->result),
			       "%s copied %zd bytes (expected %s)", a[0].word, res->result, want);
}

/* --- tables -------------------------------------------------------------------- */

#define END	{ .type = SCN_ARG_END }

static const struct scn_option iov_opts[] = {
	{ .key = "repeat", .type = SCN_ARG_INT }, { .key = NULL } };
static const struct scn_option copy_opts[] = {
	{ .key = "flags", .type = SCN_ARG_INT }, { .key = NULL } };

static const struct scn_arg iov_args[] = {
	{ .type = SCN_ARG_DEF, .name = "vector", .ns = NS_PVM_IOV, .flags = SCN_REDEFINE },
	{ .type = SCN_ARG_ADDR, .name = "address" },
	{ .type = SCN_ARG_LEN, .name = "length" },
	{ .type = SCN_ARG_FLAGS, .name = "option", .options = iov_opts }, END };
static const struct scn_arg copy_args[] = {
	{ .type = SCN_ARG_REF, .name = "process", .ns = SCN_NS_PROCESS },
	{ .type = SCN_ARG_REF, .name = "target", .ns = SCN_NS_PROCESS },
	{ .type = SCN_ARG_REF, .name = "local", .ns = NS_PVM_IOV },
	{ .type = SCN_ARG_REF, .name = "remote", .ns = NS_PVM_IOV },
	{ .type = SCN_ARG_FLAGS, .name = "option", .options = copy_opts },
	SCN_IO_AS(NS_PVM_RES), END };
static const struct scn_arg result_args[] = {
	{ .type = SCN_ARG_REF, .name = "copy", .ns = NS_PVM_RES },
	{ .type = SCN_ARG_CMP, .name = "bytes" }, END };

static const struct scn_cmd pvm_verbs[] = {
	{ .name = "iov", .args = iov_args, .test = pvm_iov,
	  .help = "append a range (repeat=N: N times) to a vector of ranges",
	  .example = "io pvm iov L buf 4K" },
	{ .name = "readv", .args = copy_args, .test = pvm_readv,
	  .help = "process_vm_readv: the process copies TARGET's REMOTE ranges into its LOCAL "
		  "ones (pinned with pin_user_pages_remote; flags=N must be 0)",
	  .example = "io pvm readv A B L R as C" },
	{ .name = "writev", .args = copy_args, .test = pvm_writev,
	  .help = "process_vm_writev: the process copies its LOCAL ranges into TARGET's REMOTE "
		  "ones (FOLL_WRITE pins; the pages are dirtied)",
	  .example = "io pvm writev A B L R" },
};

static const struct scn_cmd pvm_props[] = {
	{ .name = "result", .args = result_args, .test = prop_result,
	  .help = "the named copy copied CMP bytes" },
};

SCN_IO_SITE(pvm, "pvm", "process_vm_readv/writev (pinmm/process_vm.h): copies between processes",
	    pvm_verbs, pvm_props)
