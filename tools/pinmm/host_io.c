/* SPDX-License-Identifier: MIT */
/*
 * host_io.c - the host counterparts of the pins and call sites:
 *
 *   pin P ADDR N write longterm   IORING_REGISTER_BUFFERS of the range on a
 *                                 ring of its own in the process: the
 *                                 kernel pins it FOLL_PIN | FOLL_LONGTERM |
 *                                 FOLL_WRITE until unpin unregisters it
 *   dma write PIN [+OFF] DATA     READ_FIXED from a staging file holding
 *                                 DATA into the registered buffer
 *   dma read PIN [+OFF] expect D  WRITE_FIXED from the buffer into the
 *                                 staging file, compared with D
 *   io uring ring/register/unregister/read/write
 *                                 the same, with the scenario's own ring
 *   io dio read/write             pread/pwrite with O_DIRECT in the
 *                                 process (short-term pins, synchronous)
 *   io pvm iov/readv/writev       process_vm_readv/writev between agents
 *   io pipe create/vmsplice/read/destroy
 *                                 a pipe of the runner; vmsplice (page
 *                                 references, SPLICE_F_NONBLOCK) and read
 *                                 in the agents, the descriptors passed
 *                                 with SCM_RIGHTS
 *
 * What the host cannot express is skipped with the reason: short-term pins
 * that must outlive a step, read-only long-term pins (an io_uring buffer is
 * always pinned writable), get_* references, FOLL_* flag games, the model's
 * devices (RDMA, KVM, futex keys, kernel writers) and owners and leases.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include "host.h"

#define NS_RING		"ring"
#define NS_PIN		"pin"
#define NS_PIPE		"pipe"
#define NS_IOV		"pvm-iov"
#define NS_PVM		"pvm-copy"
#define NS_DIO		"dio-req"


static int proc_arg(struct host_run *h, const struct scn_value *v, int *rc)
{
	int idx = host_proc(h, v);

	if (idx < 0)
		*rc = idx == -2 ? HOST_SKIP : SCN_FAILED;
	return idx;
}

/* The name an `as NAME` pair gives, or "#LINE" for an unnamed object. */
static const char *obj_name(const struct scn_step *st, const struct scn_value *as, char *buf,
			    size_t size)
{
	if (as[0].present && as[1].present)
		return as[1].word;
	snprintf(buf, size, "#%u", st->pos.line);
	return buf;
}

static int ret_of(int64_t ret)
{
	return ret == HOST_FAILED ? SCN_FAILED : ret < 0 ? (int)ret : 0;
}

/* --- pins as fixed buffers --------------------------------------------------------------- */

enum { PF_WRITE, PF_LONGTERM, PF_FORCE, PF_NOFAULT, PF_NOWAIT, PF_ANON, PF_SPLIT_PMD,
       PF_P2PDMA, PF_FOLL_GET, PF_FOLL_PIN };
enum { API_PUP, API_PUP_FAST, API_PUP_REMOTE, API_PUP_UNLOCKED };

static int pin_run(struct host_run *h, const struct scn_step *st, const struct scn_value *a)
{
	const struct scn_value *f = &a[3];
	int rc = 0, idx = proc_arg(h, &a[0], &rc);
	uint64_t addr, bits = f->num;
	struct host_obj *o;
	char nb[16];
	int64_t slot, ret;

	if (idx < 0)
		return rc;
	if (f[1].present && f[1].index > API_PUP_UNLOCKED)
		return host_skip(h, "not expressible on the host: get_user_pages references "
				 "have no user-space trigger that keeps them across steps");
	if (!(bits & BIT(PF_LONGTERM)))
		return host_skip(h, "not expressible on the host: a short-term pin that outlives "
				 "its step (O_DIRECT and process_vm_* pins end with the call)");
	if (!(bits & BIT(PF_WRITE)))
		return host_skip(h, "not expressible on the host: a read-only long-term pin "
				 "(io_uring fixed buffers are always pinned writable)");
	if (bits & ~(BIT(PF_WRITE) | BIT(PF_LONGTERM)) || f[3].present || f[4].present ||
	    f[5].present)
		return host_skip(h, "not expressible on the host: FOLL_* flags or call options "
				 "beyond write|longterm");
	if ((rc = host_addr(h, idx, &a[1], &addr)))
		return rc;
	slot = host_call(h, idx, HOP_RING_CREATE, NULL, NULL, 0, -1, NULL, 0, NULL, NULL);
	if (slot < 0 || slot == HOST_FAILED) {
		if (slot != HOST_FAILED)
			host_detail(h, "io_uring_queue_init: %s", host_errno_name((int)-slot));
		return ret_of(slot);
	}
	{
		uint64_t args[6] = { (uint64_t)slot, addr, a[2].num * 4096, 1, 0, 0 };

		ret = host_call(h, idx, HOP_RING_REGISTER, args, NULL, 0, -1, NULL, 0, NULL, NULL);
	}
	if (ret) {
		uint64_t args[6] = { (uint64_t)slot };

		if (ret != HOST_FAILED) {
			host_detail(h, "IORING_REGISTER_BUFFERS: %s", host_errno_name((int)-ret));
			host_call(h, idx, HOP_RING_CLOSE, args, NULL, 0, -1, NULL, 0, NULL, NULL);
		}
		return ret_of(ret);
	}
	o = host_obj_add(h, NS_PIN, obj_name(st, &a[9], nb, sizeof(nb)));
	if (!o)
		return -ENOMEM;
	o->proc = idx;
	o->slot = (int)slot;
	o->addr = addr;
	o->len = a[2].num * 4096;
	host_detail(h, "io_uring fixed buffer 0x%llx+%llu (FOLL_PIN|FOLL_LONGTERM|FOLL_WRITE)",
		    (unsigned long long)addr, (unsigned long long)o->len);
	return 0;
}

/* Unregister and close a pin's or ring's io_uring (synchronously: the pins
 * are released when the call returns). */
static int ring_release(struct host_run *h, struct host_obj *o)
{
	uint64_t args[6] = { (uint64_t)o->slot };
	int64_t ret = 0;

	if (!host_proc_at(h, o->proc)->exited) {
		ret = host_call(h, o->proc, HOP_RING_UNREGISTER, args, NULL, 0, -1, NULL, 0,
				NULL, NULL);
		host_call(h, o->proc, HOP_RING_CLOSE, args, NULL, 0, -1, NULL, 0, NULL, NULL);
	}
	return ret_of(ret);
}

static int unpin_run(struct host_run *h, const struct scn_step *st, const struct scn_value *a)
{
	int rc = 0;
	struct host_obj *o = host_obj_get(h, NS_PIN, &a[0], &rc);

	if (!o)
		return rc;
	if (a[2].present || a[4].present)
		return host_skip(h, "not expressible on the host: a fixed buffer is unregistered "
				 "as a whole");
	rc = ring_release(h, o);
	host_obj_remove(h, o);
	return rc;
}

/* dma write|read PIN [+OFF] DATA: a fixed-buffer transfer at the offset. */
static int dma(struct host_run *h, const struct scn_value *pin, const struct scn_value *offv,
	       const struct scn_value *data, bool device_reads)
{
	int rc = 0;
	struct host_obj *o = host_obj_get(h, NS_PIN, pin, &rc);
	size_t len = scn_data_len(data);
	uint64_t off = offv->present ? (uint64_t)offv->delta : 0;
	unsigned char *want, *got;
	int64_t ret;

	if (!o)
		return rc;
	if (len > HOST_MAX_DATA)
		return host_skip(h, "a transfer above %u bytes", HOST_MAX_DATA);
	if (off + len > o->len)
		return host_fail(h, "the transfer leaves the pinned range");
	want = malloc(len ? len : 1);
	got = malloc(len ? len : 1);
	if (!want || !got) {
		free(want);
		free(got);
		return -ENOMEM;
	}
	scn_data_get(data, 0, want, len);
	{
		uint64_t args[6] = { (uint64_t)o->slot, device_reads, o->addr + off, len };

		ret = host_call(h, o->proc, HOP_DMA, args, device_reads ? NULL : want,
				device_reads ? 0 : len, -1, got, len, NULL, NULL);
	}
	if (ret == HOST_FAILED || ret < 0) {
		if (ret != HOST_FAILED)
			host_detail(h, "%s: %s", device_reads ? "WRITE_FIXED" : "READ_FIXED",
				    host_errno_name((int)-ret));
		free(want);
		free(got);
		return ret_of(ret);
	}
	if ((size_t)ret != len) {
		free(want);
		free(got);
		return host_fail(h, "the transfer moved %lld of %zu bytes", (long long)ret, len);
	}
	if (device_reads && memcmp(got, want, len)) {
		char qg[200], qw[200];
		size_t i = 0;

		while (got[i] == want[i])
			i++;
		scn_quote(qg, sizeof(qg), got + i, len - i, 32);
		scn_quote(qw, sizeof(qw), want + i, len - i, 32);
		free(want);
		free(got);
		return host_fail(h, "the device read %s at +%zu; expected %s", qg, i, qw);
	}
	host_detail(h, "%zu bytes %s", len, device_reads ? "read as expected" : "written");
	free(want);
	free(got);
	return 0;
}

static int dma_write_run(struct host_run *h, const struct scn_step *st, const struct scn_value *a)
{
	return dma(h, &a[0], &a[1], &a[2], false);
}

static int dma_read_run(struct host_run *h, const struct scn_step *st, const struct scn_value *a)
{
	return dma(h, &a[0], &a[1], &a[3], true);
}

/* --- io uring ---------------------------------------------------------------------------- */

static int ring_run(struct host_run *h, const struct scn_step *st, const struct scn_value *a)
{
	int rc = 0, idx = proc_arg(h, &a[0], &rc);
	struct host_obj *o;
	char nb[16];
	int64_t slot;

	if (idx < 0)
		return rc;
	slot = host_call(h, idx, HOP_RING_CREATE, NULL, NULL, 0, -1, NULL, 0, NULL, NULL);
	if (slot < 0 || slot == HOST_FAILED)
		return ret_of(slot);
	o = host_obj_add(h, NS_RING, obj_name(st, &a[1], nb, sizeof(nb)));
	if (!o)
		return -ENOMEM;
	o->proc = idx;
	o->slot = (int)slot;
	host_detail(h, "ring %lld of pid %d", (long long)slot, (int)host_proc_at(h, idx)->pid);
	return 0;
}

static int register_run(struct host_run *h, const struct scn_step *st, const struct scn_value *a)
{
	int rc = 0;
	struct host_obj *o = host_obj_get(h, NS_RING, &a[0], &rc);
	uint64_t addr;

	if (!o)
		return rc;
	if ((rc = host_addr(h, o->proc, &a[1], &addr)))
		return rc;
	{
		uint64_t args[6] = { (uint64_t)o->slot, addr, a[2].num,
				     a[4].present ? a[4].num : 1, a[5].present ? a[5].num : 0,
				     a[6].present ? a[6].num : 0 };

		return ret_of(host_call(h, o->proc, HOP_RING_REGISTER, args, NULL, 0, -1, NULL, 0,
					NULL, NULL));
	}
}

static int unregister_run(struct host_run *h, const struct scn_step *st,
			  const struct scn_value *a)
{
	int rc = 0;
	struct host_obj *o = host_obj_get(h, NS_RING, &a[0], &rc);
	uint64_t args[6];

	if (!o)
		return rc;
	args[0] = (uint64_t)o->slot;
	return ret_of(host_call(h, o->proc, HOP_RING_UNREGISTER, args, NULL, 0, -1, NULL, 0,
				NULL, NULL));
}

/* RING FILE BUF ADDRESS LENGTH OFFSET */
static int fixed(struct host_run *h, const struct scn_value *a, bool write)
{
	int rc = 0;
	struct host_obj *o = host_obj_get(h, NS_RING, &a[0], &rc);
	struct host_obj *f = o ? host_file(h, &a[1], &rc) : NULL;
	uint64_t addr;
	int64_t ret;

	if (!o || !f)
		return rc;
	if ((rc = host_addr(h, o->proc, &a[3], &addr)))
		return rc;
	{
		uint64_t args[6] = { (uint64_t)o->slot, write, a[2].num, addr, a[4].num, a[5].num };

		ret = host_call(h, o->proc, HOP_RING_FIXED, args, NULL, 0, f->fd, NULL, 0, NULL,
				NULL);
	}
	if (ret == HOST_FAILED)
		return SCN_FAILED;
	o->val = (long)ret;
	o->done = true;
	if (ret < 0)
		return (int)ret;
	host_detail(h, "%s %lld bytes", write ? "wrote" : "read", (long long)ret);
	return 0;
}

static int uring_read_run(struct host_run *h, const struct scn_step *st,
			  const struct scn_value *a)
{
	return fixed(h, a, false);
}

static int uring_write_run(struct host_run *h, const struct scn_step *st,
			   const struct scn_value *a)
{
	return fixed(h, a, true);
}

static int cmp_result(struct host_run *h, const struct scn_value *cmp, long have,
		      const char *what, const char *name)
{
	char want[48];

	scn_format_cmp(want, sizeof(want), cmp);
	if (!scn_compare(cmp, have))
		return host_fail(h, "%s: %ld %s (expected %s)", name, have, what, want);
	host_detail(h, "%s: %ld %s", name, have, what);
	return 0;
}

static int uring_result_run(struct host_run *h, const struct scn_step *st,
			    const struct scn_value *a)
{
	int rc = 0;
	struct host_obj *o = host_obj_get(h, NS_RING, &a[0], &rc);

	if (!o)
		return rc;
	return cmp_result(h, &a[1], o->val, "bytes done by the last fixed operation", a[0].word);
}

/* --- pipes and vmsplice --------------------------------------------------------------------- */

static int pipe_create_run(struct host_run *h, const struct scn_step *st,
			   const struct scn_value *a)
{
	struct host_obj *o;
	char nb[16];
	int fds[2];

	if (pipe2(fds, O_CLOEXEC))
		return -errno;
	fcntl(fds[1], F_SETFL, O_NONBLOCK);
	o = host_obj_add(h, NS_PIPE, obj_name(st, &a[0], nb, sizeof(nb)));
	if (!o) {
		close(fds[0]);
		close(fds[1]);
		return -ENOMEM;
	}
	o->fd = fds[0];
	o->fd2 = fds[1];
	return 0;
}

static int vmsplice_run(struct host_run *h, const struct scn_step *st, const struct scn_value *a)
{
	int rc = 0, idx = proc_arg(h, &a[0], &rc);
	struct host_obj *o = idx >= 0 ? host_obj_get(h, NS_PIPE, &a[1], &rc) : NULL;
	uint64_t addr;
	int64_t ret;

	if (idx < 0 || !o)
		return rc;
	if ((rc = host_addr(h, idx, &a[2], &addr)))
		return rc;
	{
		uint64_t args[6] = { addr, a[3].num };

		ret = host_call(h, idx, HOP_VMSPLICE, args, NULL, 0, o->fd2, NULL, 0, NULL, NULL);
	}
	if (ret >= 0)
		host_detail(h, "%lld bytes spliced", (long long)ret);
	return ret_of(ret);
}

static int pipe_read_run(struct host_run *h, const struct scn_step *st, const struct scn_value *a)
{
	int rc = 0;
	struct host_obj *o = host_obj_get(h, NS_PIPE, &a[0], &rc);
	int idx = o ? proc_arg(h, &a[1], &rc) : -1;
	uint64_t addr;
	int64_t ret;
	int avail = 0;

	if (!o || idx < 0)
		return rc;
	if ((rc = host_addr(h, idx, &a[2], &addr)))
		return rc;
	/* An empty pipe would block the agent: the model's read returns 0. */
	if (ioctl(o->fd, FIONREAD, &avail) == 0 && avail == 0) {
		host_detail(h, "0 bytes read");
		return 0;
	}
	{
		uint64_t args[6] = { addr, a[3].num };

		ret = host_call(h, idx, HOP_FD_READ, args, NULL, 0, o->fd, NULL, 0, NULL, NULL);
	}
	if (ret >= 0)
		host_detail(h, "%lld bytes read", (long long)ret);
	return ret_of(ret);
}

static int pipe_destroy_run(struct host_run *h, const struct scn_step *st,
			    const struct scn_value *a)
{
	int rc = 0;
	struct host_obj *o = host_obj_get(h, NS_PIPE, &a[0], &rc);

	if (!o)
		return rc;
	host_obj_remove(h, o);
	return 0;
}

static int pipe_bytes_run(struct host_run *h, const struct scn_step *st,
			  const struct scn_value *a)
{
	int rc = 0, avail = 0;
	struct host_obj *o = host_obj_get(h, NS_PIPE, &a[0], &rc);

	if (!o)
		return rc;
	if (ioctl(o->fd, FIONREAD, &avail))
		return host_fail(h, "host: ioctl(FIONREAD): %s", host_errno_name(errno));
	return cmp_result(h, &a[1], avail, "bytes queued", a[0].word);
}

/* --- process_vm_readv/writev ------------------------------------------------------------------ */

/* A vector keeps its address values: they are resolved in the process
 * that uses them (the caller's for local ranges, the target's for remote
 * ones), since a region's address is per process. */
static int iov_run(struct host_run *h, const struct scn_step *st, const struct scn_value *a)
{
	struct host_obj *o = host_obj_find(h, NS_IOV, a[0].word);
	uint64_t n = a[4].present ? a[4].num : 1;

	if (!o && !(o = host_obj_add(h, NS_IOV, a[0].word)))
		return -ENOMEM;
	if (o->niov + n > 64)
		return host_skip(h, "not expressible on the host runner: more than 64 ranges");
	o->iov = realloc(o->iov, (o->niov + n) * 2 * sizeof(uint64_t));
	if (!o->iov)
		return -ENOMEM;
	for (uint64_t i = 0; i < n; i++) {
		o->iov[2 * o->niov] = (uint64_t)(uintptr_t)&a[1];
		o->iov[2 * o->niov + 1] = a[2].num;
		o->niov++;
	}
	return 0;
}

/* Resolve vector @o's ranges in process @idx into @out pairs. */
static int iov_resolve(struct host_run *h, int idx, const struct host_obj *o, uint64_t *out)
{
	for (size_t i = 0; i < o->niov; i++) {
		const struct scn_value *v = (const struct scn_value *)(uintptr_t)o->iov[2 * i];
		int rc = host_addr(h, idx, v, &out[2 * i]);

		if (rc)
			return rc;
		out[2 * i + 1] = o->iov[2 * i + 1];
	}
	return 0;
}

static int pvm(struct host_run *h, const struct scn_step *st, const struct scn_value *a,
	       bool write)
{
	int rc = 0, idx = proc_arg(h, &a[0], &rc);
	int target = idx >= 0 ? proc_arg(h, &a[1], &rc) : -1;
	struct host_obj *l = target >= 0 ? host_obj_get(h, NS_IOV, &a[2], &rc) : NULL;
	struct host_obj *r = l ? host_obj_get(h, NS_IOV, &a[3], &rc) : NULL;
	uint64_t buf[256];
	struct host_obj *res;
	char nb[16];
	int64_t ret;

	if (!r)
		return rc;
	if ((rc = iov_resolve(h, idx, l, buf)) || (rc = iov_resolve(h, target, r, buf + 2 * l->niov)))
		return rc;
	{
		uint64_t args[6] = { (uint64_t)host_proc_at(h, target)->pid, write, l->niov,
				     r->niov, a[5].present ? a[5].num : 0 };

		ret = host_call(h, idx, HOP_PVM, args, buf, (l->niov + r->niov) * 16, -1, NULL, 0,
				NULL, NULL);
	}
	if (ret == HOST_FAILED)
		return SCN_FAILED;
	res = host_obj_add(h, NS_PVM, obj_name(st, &a[6], nb, sizeof(nb)));
	if (res)
		res->val = (long)ret;
	if (ret < 0)
		return (int)ret;
	host_detail(h, "%lld bytes copied", (long long)ret);
	return 0;
}

static int readv_run(struct host_run *h, const struct scn_step *st, const struct scn_value *a)
{
	return pvm(h, st, a, false);
}

static int writev_run(struct host_run *h, const struct scn_step *st, const struct scn_value *a)
{
	return pvm(h, st, a, true);
}

static int pvm_result_run(struct host_run *h, const struct scn_step *st,
			  const struct scn_value *a)
{
	int rc = 0;
	struct host_obj *o = host_obj_get(h, NS_PVM, &a[0], &rc);

	if (!o)
		return rc;
	return cmp_result(h, &a[1], o->val, "bytes copied", a[0].word);
}

/* --- O_DIRECT --------------------------------------------------------------------------------- */

static int dio(struct host_run *h, const struct scn_step *st, const struct scn_value *a,
	       bool write)
{
	int rc = 0, idx = proc_arg(h, &a[0], &rc);
	struct host_obj *f = idx >= 0 ? host_file(h, &a[1], &rc) : NULL;
	struct host_obj *req;
	char path[300];
	uint64_t addr;
	int64_t ret;
	int fd;

	if (!f)
		return rc;
	if ((rc = host_addr(h, idx, &a[3], &addr)))
		return rc;
	if (f->path[0])
		snprintf(path, sizeof(path), "%s", f->path);
	else
		snprintf(path, sizeof(path), "/proc/self/fd/%d", f->fd);
	fd = open(path, (write ? O_WRONLY : O_RDONLY) | O_DIRECT | O_CLOEXEC);
	if (fd < 0)
		return host_fail(h, "host: open(%s, O_DIRECT): %s", path, host_errno_name(errno));
	{
		uint64_t args[6] = { write, addr, a[4].num, a[2].num };

		ret = host_call(h, idx, HOP_DIO, args, NULL, 0, fd, NULL, 0, NULL, NULL);
	}
	close(fd);
	if (ret == HOST_FAILED)
		return SCN_FAILED;
	if (!a[5].present) {		/* unnamed: the step carries the result */
		if (ret < 0) {
			host_detail(h, "completed with %s", host_errno_name((int)-ret));
			return (int)ret;
		}
		host_detail(h, "%lld byte%s %s", (long long)ret, ret == 1 ? "" : "s",
			    write ? "written" : "read");
		return 0;
	}
	req = host_obj_add(h, NS_DIO, a[6].word);
	if (!req)
		return -ENOMEM;
	req->val = (long)ret;
	if (ret < 0)
		host_detail(h, "%s completed with %s", a[6].word, host_errno_name((int)-ret));
	else
		host_detail(h, "%s completed: %lld byte%s", a[6].word, (long long)ret,
			    ret == 1 ? "" : "s");
	return 0;
}

static int dio_read_run(struct host_run *h, const struct scn_step *st, const struct scn_value *a)
{
	return dio(h, st, a, false);
}

static int dio_write_run(struct host_run *h, const struct scn_step *st, const struct scn_value *a)
{
	return dio(h, st, a, true);
}

static int dio_wait_run(struct host_run *h, const struct scn_step *st, const struct scn_value *a)
{
	int rc = 0;
	struct host_obj *o = host_obj_get(h, NS_DIO, &a[0], &rc);

	if (!o)
		return rc;
	if (o->done)
		return host_fail(h, "request %s was reaped already", a[0].word);
	o->done = true;
	if (o->val < 0)
		return (int)o->val;
	host_detail(h, "%s: %ld bytes", a[0].word, o->val);
	return 0;
}

static int dio_result_run(struct host_run *h, const struct scn_step *st,
			  const struct scn_value *a)
{
	int rc = 0;
	struct host_obj *o = host_obj_get(h, NS_DIO, &a[0], &rc);

	if (!o)
		return rc;
	if (o->val < 0)
		return host_fail(h, "%s failed with %s", a[0].word, host_errno_name((int)-o->val));
	return cmp_result(h, &a[1], o->val, "bytes", a[0].word);
}

static int dio_error_run(struct host_run *h, const struct scn_step *st, const struct scn_value *a)
{
	int rc = 0;
	struct host_obj *o = host_obj_get(h, NS_DIO, &a[0], &rc);

	if (!o)
		return rc;
	if (o->val != -a[1].index)
		return host_fail(h, "%s completed with %s (expected %s)", a[0].word,
				 o->val < 0 ? host_errno_name((int)-o->val) : "success",
				 host_errno_name(a[1].index));
	host_detail(h, "%s completed with %s", a[0].word, host_errno_name(a[1].index));
	return 0;
}

#define DEVICE	"the model's own device, with no host counterpart"
#define INSIDE	"the model's internal bookkeeping, which the host does not expose"

/* The table host.c looks commands up in. */
const struct host_cmd host_io_cmds[] = {
	{ "pin", pin_run, NULL },
	{ "unpin", unpin_run, NULL },
	{ "dma write", dma_write_run, NULL },
	{ "dma read", dma_read_run, NULL },
	{ "put", NULL, "get_user_pages references have no user-space trigger" },
	{ "memfd-pin", NULL, "memfd_pin_folios is a kernel-internal call (udmabuf needs a device)" },
	{ "expect memfd-offset", NULL, "memfd_pin_folios is a kernel-internal call" },
	{ "io uring ring", ring_run, NULL },
	{ "io uring register", register_run, NULL },
	{ "io uring unregister", unregister_run, NULL },
	{ "io uring read", uring_read_run, NULL },
	{ "io uring write", uring_write_run, NULL },
	{ "expect io uring result", uring_result_run, NULL },
	{ "expect io uring buffers", NULL, INSIDE },
	{ "expect io uring pages", NULL, INSIDE },
	{ "expect io uring pins", NULL, INSIDE },
	{ "expect io uring buffer", NULL, INSIDE },
	{ "io pipe create", pipe_create_run, NULL },
	{ "io pipe vmsplice", vmsplice_run, NULL },
	{ "io pipe read", pipe_read_run, NULL },
	{ "io pipe destroy", pipe_destroy_run, NULL },
	{ "expect io pipe bytes", pipe_bytes_run, NULL },
	{ "expect io pipe buffers", NULL, INSIDE },
	{ "expect io pipe frame", NULL, INSIDE },
	{ "io pvm iov", iov_run, NULL },
	{ "io pvm readv", readv_run, NULL },
	{ "io pvm writev", writev_run, NULL },
	{ "expect io pvm result", pvm_result_run, NULL },
	{ "io dio read", dio_read_run, NULL },
	{ "io dio write", dio_write_run, NULL },
	{ "io dio wait", dio_wait_run, NULL },
	{ "io dio freeze", NULL, "a block device cannot be frozen from user space" },
	{ "io dio thaw", NULL, "a block device cannot be frozen from user space" },
	{ "expect io dio result", dio_result_run, NULL },
	{ "expect io dio error", dio_error_run, NULL },
	{ "expect io dio pending", NULL, "host O_DIRECT requests complete within their step" },
	{ "expect io dio pinned", NULL, INSIDE },
	{ "expect io dio queued", NULL, INSIDE },
	{ "expect io dio fallbacks", NULL, INSIDE },
	{ "expect io dio errors", NULL, INSIDE },
	{ "owner", NULL, "vaddr_pin owners are the model's proposal, not in Linux" },
	{ "owner-pin", NULL, "vaddr_pin owners are the model's proposal, not in Linux" },
	{ "owner-unpin", NULL, "vaddr_pin owners are the model's proposal, not in Linux" },
	{ "owner-release", NULL, "vaddr_pin owners are the model's proposal, not in Linux" },
	{ "owner-dma write", NULL, "vaddr_pin owners are the model's proposal, not in Linux" },
	{ "owner-dma read", NULL, "vaddr_pin owners are the model's proposal, not in Linux" },
	{ "owner-destroy", NULL, "vaddr_pin owners are the model's proposal, not in Linux" },
	{ "owners", NULL, "vaddr_pin owners are the model's proposal, not in Linux" },
	{ "expect owner", NULL, "vaddr_pin owners are the model's proposal, not in Linux" },
	{ "lease", NULL, "layout leases are the model's proposal, not in Linux" },
	{ "unlease", NULL, "layout leases are the model's proposal, not in Linux" },
	{ "expect lease", NULL, "layout leases are the model's proposal, not in Linux" },
	{ "pins", NULL, "the model's pin registry" },
	{ "expect pins", NULL, "the model's pin registry" },
	{ "expect pinned", NULL, "the pin counts of the model's page array" },
	{ "expect pin", NULL, "the pages of the model's pin array" },
	{ "expect misuse", NULL, "the model's misuse detector" },
	{ NULL, NULL, NULL },
};

/* Sites without a host counterpart: every verb and property is skipped
 * (host.c falls back to these by site name). */
const char *host_io_site_skip(const char *site)
{
	if (!strcmp(site, "rdma"))
		return "RDMA memory regions need an RDMA device (" DEVICE ")";
	if (!strcmp(site, "kvm"))
		return "a KVM secondary MMU (" DEVICE ")";
	if (!strcmp(site, "futex"))
		return "futex keys are kernel-internal";
	if (!strcmp(site, "kwrite"))
		return "a kernel writer to pinned pages (" DEVICE ")";
	return NULL;
}
