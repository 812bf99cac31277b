// SPDX-License-Identifier: MIT
/*
 * scn_io_rdma.c - the RDMA call site in the scenario language
 * (<pinmm/rdma.h>, src/drivers/rdma.c): `io rdma VERB ...` and
 * `expect io rdma PROPERTY ...`.
 *
 *   io rdma device [threads=N] [depth=N] as DEV      an adapter
 *   io rdma pd DEV PROCESS as PD                     a protection domain
 *   io rdma reg PD ADDRESS LENGTH [local-write] [remote-write]
 *       [remote-read] [ignore-break] [iova=N] [lease=FILE] as MR
 *   io rdma dereg MR
 *   io rdma write DEV MR OFFSET DATA [key=N]         a peer's RDMA WRITE
 *   io rdma read DEV MR OFFSET SIZE [key=N]          a peer's RDMA READ
 *   io rdma post-write DEV MR OFFSET DATA [id=N]     the same, posted to
 *   io rdma post-read DEV MR OFFSET SIZE [id=N]      the device's threads
 *   io rdma poll DEV                                 take the completions
 *   io rdma freeze DEV / io rdma thaw DEV
 *
 * A region's name is also its pin owner's (the SCN_NS_OWNER namespace),
 * so `owners`, `expect owner MR ...` and the owner commands that only
 * look work on it; deregistration (or the end of the scenario) destroys
 * the owner through the driver.  OFFSET is a byte offset from the
 * region's iova; key= replaces the region's rkey (a stale or made-up
 * key).  Steps that post work wait for the device at their end unless it
 * is frozen, so the invariant checks after each step see it quiet.
 */
#include <stdlib.h>
#include <string.h>
#include "scn_io.h"

#define NS_DEV		"rdma-device"
#define NS_PD		"rdma-pd"
#define NS_MR		"rdma-mr"		/* objects; names are SCN_NS_OWNER's */
#define MAX_WRITE	(1UL << 20)		/* bytes one scenario RDMA op moves */

/* A posted RDMA READ's destination, kept until its completion is polled. */
struct rd_buf {
	struct rd_buf *next;
	uint64_t wr_id;
	size_t len;
	unsigned char data[];
};

struct rdma_dev {
	struct pnm_ib_device *dev;
	struct rd_buf *reads;		/* posted reads not yet polled */
	uint64_t next_id;		/* automatic wr_ids */
	unsigned long polled_ok, polled_failed;
};

struct rdma_pd {
	struct pnm_ib_pd *pd;
	struct task_struct *task;	/* the PD holds a reference */
	const char *process;		/* its scenario name (script arena) */
};

struct rdma_mr {
	struct pnm_ib_mr *mr;
	char name[SCN_MAX_NAME + 8];	/* its owner's scenario name */
	uint32_t rkey;
	uint64_t iova;
	size_t length;
	bool gone;			/* deregistered */
};

/* --- objects ------------------------------------------------------------------ */

static void dev_release(struct scn_run *r, void *obj)
{
	struct rdma_dev *d = obj;
	int ret = pnm_ib_device_destroy(d->dev);

	if (ret)
		scn_output(r, "note: an RDMA device could not be destroyed (%s)\n",
			   pnm_errno_name(-ret));
	while (d->reads) {
		struct rd_buf *b = d->reads;

		d->reads = b->next;
		free(b);
	}
	free(d);
}

static void pd_release(struct scn_run *r, void *obj)
{
	struct rdma_pd *p = obj;

	(void)r;
	pnm_ib_dealloc_pd(p->pd);
	free(p);
}

static void mr_release(struct scn_run *r, void *obj)
{
	struct rdma_mr *m = obj;

	if (!m->gone) {
		scn_owner_forget(r, m->name);
		pnm_ib_dereg_mr(m->mr);
	}
	free(m);
}

static struct rdma_dev *dev_get(struct scn_run *r, const struct scn_value *v)
{
	struct rdma_dev *d = scn_obj_find(r, NS_DEV, v->word);

	if (!d)
		scn_fail(r, "RDMA device %s does not exist (its step failed)", v->word);
	return d;
}

static struct rdma_mr *mr_get(struct scn_run *r, const struct scn_value *v)
{
	struct rdma_mr *m = scn_obj_find(r, NS_MR, v->word);

	if (!m)
		scn_fail(r, "%s is not a memory region (or its registration failed)", v->word);
	return m;
}

/* Wait for the device's work unless the scenario froze it. */
static void dev_quiet(struct rdma_dev *d)
{
	pnm_ib_drain(d->dev);
}

static const char *plural(unsigned long n)
{
	return n == 1 ? "" : "s";
}

/* "ENOMEM" for -ENOMEM, "an error" if unknown. */
static const char *err_name(int err)
{
	const char *e = pnm_errno_name(-err);

	return e ? e : "an error";
}

/* --- device, pd, reg, dereg ------------------------------------------------------ */

static const struct scn_option dev_opts[] = {
	{ "threads", SCN_ARG_INT, NULL, NULL },
	{ "depth", SCN_ARG_INT, NULL, NULL },
	{ NULL, 0, NULL, NULL },
};
/* device's slots: flags threads depth as name */
enum { DV_FLAGS, DV_THREADS, DV_DEPTH, DV_AS, DV_NAME };

static int device_check(struct scn_parser *p, const struct scn_step *st,
			const struct scn_value *a)
{
	(void)st;
	if (a[DV_THREADS].present && (!a[DV_THREADS].num || a[DV_THREADS].num > PNM_IB_MAX_THREADS))
		return scn_parse_error(p, &a[DV_THREADS].pos, "threads= is 1..%u",
				       PNM_IB_MAX_THREADS);
	if (a[DV_DEPTH].present && (!a[DV_DEPTH].num || a[DV_DEPTH].num > PNM_IB_MAX_QUEUE_DEPTH))
		return scn_parse_error(p, &a[DV_DEPTH].pos, "depth= is 1..%u",
				       PNM_IB_MAX_QUEUE_DEPTH);
	return 0;
}

static int device_run(struct scn_run *r, void *subject, const struct scn_value *a)
{
	struct pnm_ib_device_params p = { .size = sizeof(p) };
	struct pnm_ib_device_info info = { .size = sizeof(info) };
	struct rdma_dev *d = calloc(1, sizeof(*d));
	int ret;

	(void)subject;
	if (!d)
		return -ENOMEM;
	p.name = a[DV_NAME].present ? a[DV_NAME].word : "rdma:dev";
	p.nr_threads = a[DV_THREADS].present ? (unsigned int)a[DV_THREADS].num : 0;
	p.queue_depth = a[DV_DEPTH].present ? (unsigned int)a[DV_DEPTH].num : 0;
	ret = pnm_ib_device_create(&p, &d->dev);
	if (ret) {
		free(d);
		return ret;
	}
	pnm_ib_device_get_info(d->dev, &info);
	ret = scn_obj_add(r, NS_DEV, p.name, d, dev_release);
	if (ret) {
		pnm_ib_device_destroy(d->dev);
		free(d);
		return ret;
	}
	scn_detail(r, "device %s: %u engine thread%s, at most %u operations outstanding",
		   info.name, info.nr_threads, plural(info.nr_threads), info.queue_depth);
	return 0;
}

/* pd's slots: DEV PROCESS as name */
static int pd_run(struct scn_run *r, void *subject, const struct scn_value *a)
{
	struct rdma_dev *d = dev_get(r, &a[0]);
	struct task_struct *t = scn_task(r, &a[1]);
	struct rdma_pd *p;
	int ret;

	(void)subject;
	if (!d || !t)
		return SCN_FAILED;
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	ret = pnm_ib_alloc_pd(d->dev, t, &p->pd);
	if (ret) {
		free(p);
		return ret;
	}
	p->task = t;
	p->process = a[1].word;
	ret = scn_obj_add(r, NS_PD, a[3].present ? a[3].word : "rdma:pd", p, pd_release);
	if (ret) {
		pnm_ib_dealloc_pd(p->pd);
		free(p);
		return ret;
	}
	scn_detail(r, "protection domain of %s (pid %d)", a[1].word, pnm_task_pid(t));
	return 0;
}

enum { RF_LOCAL_WRITE, RF_REMOTE_WRITE, RF_REMOTE_READ, RF_IGNORE_BREAK };
static const char *const reg_words[] = {
	"local-write", "remote-write", "remote-read", "ignore-break", NULL };
static const struct scn_option reg_opts[] = {
	{ "iova", SCN_ARG_INT, NULL, NULL },
	{ "lease", SCN_ARG_REF, NULL, SCN_NS_FILE },
	{ NULL, 0, NULL, NULL },
};
/* reg's slots: PD ADDRESS LENGTH flags iova lease as name */
enum { RG_PD, RG_ADDR, RG_LEN, RG_FLAGS, RG_IOVA, RG_LEASE, RG_AS, RG_NAME };

/* "local-write|remote-read" for access flags. */
static void access_words(char *buf, size_t size, unsigned int access)
{
	snprintf(buf, size, "%s%s%s%s", access & PNM_IB_ACCESS_LOCAL_WRITE ? "|local-write" : "",
		 access & PNM_IB_ACCESS_REMOTE_WRITE ? "|remote-write" : "",
		 access & PNM_IB_ACCESS_REMOTE_READ ? "|remote-read" : "", access ? "" : "|none");
	memmove(buf, buf + 1, strlen(buf));
}

static int reg_run(struct scn_run *r, void *subject, const struct scn_value *a)
{
	struct pnm_ib_mr_attr attr = { .size = sizeof(attr) };
	struct pnm_ib_mr_info info = { .size = sizeof(info) };
	struct rdma_pd *p = scn_obj_find(r, NS_PD, a[RG_PD].word);
	struct file *lease = NULL;
	static unsigned int unnamed;
	struct rdma_mr *m;
	char acc[64];
	int ret;

	(void)subject;
	if (!p)
		return scn_fail(r, "protection domain %s does not exist", a[RG_PD].word);
	if (scn_addr(r, &a[RG_ADDR], &attr.addr))
		return SCN_FAILED;
	if (a[RG_LEASE].present && !(lease = scn_file(r, &a[RG_LEASE])))
		return SCN_FAILED;
	attr.length = (size_t)a[RG_LEN].num;
	attr.iova = a[RG_IOVA].present ? a[RG_IOVA].num : attr.addr;
	attr.access = ((a[RG_FLAGS].num & BIT(RF_LOCAL_WRITE)) ? PNM_IB_ACCESS_LOCAL_WRITE : 0) |
		      ((a[RG_FLAGS].num & BIT(RF_REMOTE_WRITE)) ? PNM_IB_ACCESS_REMOTE_WRITE : 0) |
		      ((a[RG_FLAGS].num & BIT(RF_REMOTE_READ)) ? PNM_IB_ACCESS_REMOTE_READ : 0);
	attr.flags = (a[RG_FLAGS].num & BIT(RF_IGNORE_BREAK)) ? PNM_IB_MR_IGNORE_BREAK : 0;
	attr.lease_file = lease;
	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	if (a[RG_NAME].present)
		snprintf(m->name, sizeof(m->name), "%s", a[RG_NAME].word);
	else
		snprintf(m->name, sizeof(m->name), "rdma:mr%u", ++unnamed);
	attr.name = m->name;
	/* The driver names its own line as the pins' call site, as a kernel
	 * call site would be named; the owner carries the region's name. */
	ret = pnm_ib_reg_mr(p->pd, &attr, &m->mr);
	if (ret) {
		free(m);
		return ret;
	}
	pnm_ib_mr_get_info(m->mr, &info);
	m->rkey = info.rkey;
	m->iova = info.iova;
	m->length = info.length;
	/* The owner first: objects are released in reverse order, so the
	 * region's release (forget the owner, deregister) runs before the
	 * owner's, which then has nothing left to do. */
	ret = scn_owner_add(r, m->name, pnm_ib_mr_owner(m->mr), p->task, p->process, lease);
	if (!ret)
		ret = scn_obj_add(r, NS_MR, m->name, m, mr_release);
	if (ret) {
		scn_owner_forget(r, m->name);
		pnm_ib_dereg_mr(m->mr);
		free(m);
		return ret;
	}
	access_words(acc, sizeof(acc), info.access);
	scn_detail(r, "%s: key 0x%x, iova 0x%llx+%zu, %s, %lu page%s pinned long-term%s", m->name,
		   info.rkey, (unsigned long long)info.iova, info.length, acc, info.pages,
		   plural(info.pages), lease ? " under the lease" : "");
	return 0;
}

static int dereg_run(struct scn_run *r, void *subject, const struct scn_value *a)
{
	struct rdma_mr *m = mr_get(r, &a[0]);
	struct pnm_ib_mr_info info = { .size = sizeof(info) };

	(void)subject;
	if (!m)
		return SCN_FAILED;
	if (m->gone)
		return scn_fail(r, "%s is deregistered already", m->name);
	pnm_ib_mr_get_info(m->mr, &info);
	scn_owner_forget(r, m->name);
	pnm_ib_dereg_mr(m->mr);
	m->mr = NULL;
	m->gone = true;
	scn_detail(r, "%s deregistered (%s): %lu page%s released%s", m->name,
		   pnm_ib_mr_state_name(info.state), info.pages, plural(info.pages),
		   info.pages && (info.access & (PNM_IB_ACCESS_LOCAL_WRITE |
						 PNM_IB_ACCESS_REMOTE_WRITE)) &&
		   info.state == PNM_IB_MR_VALID ? " dirty" : "");
	return 0;
}

/* --- the wire -------------------------------------------------------------------- */

/* The rkey and iova an operation on @m at @off uses (@key: key=). */
static void wire_target(const struct rdma_mr *m, const struct scn_value *off,
			const struct scn_value *key, uint32_t *rkey, uint64_t *iova)
{
	*rkey = key->present ? (uint32_t)key->num : m->rkey;
	*iova = m->iova + off->num;
}

static int wire_check(struct scn_parser *p, const struct scn_step *st, const struct scn_value *a)
{
	size_t len = a[3].type == SCN_ARG_DATA ? scn_data_len(&a[3]) : (size_t)a[3].num;

	(void)st;
	if (len > MAX_WRITE)
		return scn_parse_error(p, &a[3].pos, "at most %lu bytes per operation", MAX_WRITE);
	if (a[5].present && a[5].num > UINT32_MAX)
		return scn_parse_error(p, &a[5].pos, "keys are 32 bits");
	return 0;
}

/* write's and read's slots: DEV MR OFFSET DATA|SIZE flags key */
static int write_run(struct scn_run *r, void *subject, const struct scn_value *a)
{
	struct rdma_dev *d = dev_get(r, &a[0]);
	struct rdma_mr *m = mr_get(r, &a[1]);
	size_t len = scn_data_len(&a[3]);
	unsigned char *buf;
	uint64_t iova;
	uint32_t rkey;
	int ret;

	(void)subject;
	if (!d || !m)
		return SCN_FAILED;
	buf = malloc(len ? len : 1);
	if (!buf)
		return -ENOMEM;
	scn_data_get(&a[3], 0, buf, len);
	wire_target(m, &a[2], &a[5], &rkey, &iova);
	ret = pnm_ib_remote_write(d->dev, rkey, iova, buf, len);
	free(buf);
	scn_detail(r, "RDMA WRITE of %zu byte%s to key 0x%x at iova 0x%llx", len, plural(len),
		   rkey, (unsigned long long)iova);
	return ret;
}

static int read_run(struct scn_run *r, void *subject, const struct scn_value *a)
{
	struct rdma_dev *d = dev_get(r, &a[0]);
	struct rdma_mr *m = mr_get(r, &a[1]);
	size_t len = (size_t)a[3].num, shown = len < 64 ? len : 64;
	unsigned char *buf;
	char q[300];
	uint64_t iova;
	uint32_t rkey;
	int ret;

	(void)subject;
	if (!d || !m)
		return SCN_FAILED;
	buf = malloc(len ? len : 1);
	if (!buf)
		return -ENOMEM;
	wire_target(m, &a[2], &a[5], &rkey, &iova);
	ret = pnm_ib_remote_read(d->dev, rkey, iova, buf, len);
	if (ret) {
		scn_detail(r, "RDMA READ of %zu byte%s from key 0x%x at iova 0x%llx", len,
			   plural(len), rkey, (unsigned long long)iova);
	} else {
		scn_quote(q, sizeof(q), buf, shown, 64);
		scn_detail(r, "RDMA READ of %zu byte%s at iova 0x%llx: %s%s", len, plural(len),
			   (unsigned long long)iova, q, len > shown ? "..." : "");
	}
	free(buf);
	return ret;
}

/* post-write's and post-read's slots: DEV MR OFFSET DATA|SIZE flags id */
static int post_run(struct scn_run *r, const struct scn_value *a, bool write)
{
	struct rdma_dev *d = dev_get(r, &a[0]);
	struct rdma_mr *m = mr_get(r, &a[1]);
	struct pnm_ib_work wr = { .size = sizeof(wr) };
	struct rd_buf *b = NULL;
	unsigned char *data = NULL;
	int ret;

	if (!d || !m)
		return SCN_FAILED;
	wr.opcode = write ? PNM_IB_WR_RDMA_WRITE : PNM_IB_WR_RDMA_READ;
	wr.rkey = m->rkey;
	wr.iova = m->iova + a[2].num;
	wr.wr_id = a[5].present ? a[5].num : ++d->next_id;
	wr.len = write ? scn_data_len(&a[3]) : (size_t)a[3].num;
	if (write) {
		data = malloc(wr.len ? wr.len : 1);
		if (!data)
			return -ENOMEM;
		scn_data_get(&a[3], 0, data, wr.len);
		wr.buf = data;
	} else {
		b = calloc(1, sizeof(*b) + (wr.len ? wr.len : 1));
		if (!b)
			return -ENOMEM;
		b->wr_id = wr.wr_id;
		b->len = wr.len;
		wr.buf = b->data;
	}
	ret = pnm_ib_post_remote(d->dev, &wr);
	free(data);		/* the device copied it */
	if (ret) {
		free(b);
		return ret;
	}
	if (b) {
		b->next = d->reads;
		d->reads = b;
	}
	dev_quiet(d);
	scn_detail(r, "posted RDMA %s %llu of %zu byte%s at iova 0x%llx", write ? "WRITE" : "READ",
		   (unsigned long long)wr.wr_id, wr.len, plural(wr.len),
		   (unsigned long long)wr.iova);
	return 0;
}

static int post_write_run(struct scn_run *r, void *subject, const struct scn_value *a)
{
	(void)subject;
	return post_run(r, a, true);
}

static int post_read_run(struct scn_run *r, void *subject, const struct scn_value *a)
{
	(void)subject;
	return post_run(r, a, false);
}

/* Take the read buffer of completion @wr_id off the list (NULL if none). */
static struct rd_buf *take_read(struct rdma_dev *d, uint64_t wr_id)
{
	for (struct rd_buf **pp = &d->reads; *pp; pp = &(*pp)->next) {
		if ((*pp)->wr_id == wr_id) {
			struct rd_buf *b = *pp;

			*pp = b->next;
			return b;
		}
	}
	return NULL;
}

static int poll_run(struct scn_run *r, void *subject, const struct scn_value *a)
{
	struct rdma_dev *d = dev_get(r, &a[0]);
	unsigned long ok = 0, failed = 0;
	struct pnm_ib_wc wc[16];
	int n;

	(void)subject;
	if (!d)
		return SCN_FAILED;
	while ((n = pnm_ib_poll_cq(d->dev, wc, 16)) > 0) {
		for (int i = 0; i < n; i++) {
			bool rd = wc[i].opcode == PNM_IB_WR_RDMA_READ;
			struct rd_buf *b = rd ? take_read(d, wc[i].wr_id) : NULL;
			char q[300] = "";

			if (wc[i].status) {
				failed++;
				scn_output(r, "completion %llu: RDMA %s failed with %s\n",
					   (unsigned long long)wc[i].wr_id, rd ? "READ" : "WRITE",
					   err_name(wc[i].status));
			} else {
				ok++;
				if (b)
					scn_quote(q, sizeof(q), b->data,
						  b->len < 64 ? b->len : 64, 64);
				scn_output(r, "completion %llu: RDMA %s of %zu byte%s%s%s\n",
					   (unsigned long long)wc[i].wr_id, rd ? "READ" : "WRITE",
					   wc[i].byte_len, plural(wc[i].byte_len),
					   b ? ": " : "", q);
			}
			free(b);
		}
	}
	d->polled_ok += ok;
	d->polled_failed += failed;
	scn_detail(r, "%lu completion%s, %lu failed", ok + failed, plural(ok + failed), failed);
	return n < 0 ? n : 0;
}

static int freeze_run(struct scn_run *r, void *subject, const struct scn_value *a)
{
	struct rdma_dev *d = dev_get(r, &a[0]);

	(void)subject;
	if (!d)
		return SCN_FAILED;
	pnm_ib_device_freeze(d->dev, true);
	scn_detail(r, "device frozen: posted work waits");
	return 0;
}

static int thaw_run(struct scn_run *r, void *subject, const struct scn_value *a)
{
	struct rdma_dev *d = dev_get(r, &a[0]);
	struct pnm_ib_device_info info = { .size = sizeof(info) };

	(void)subject;
	if (!d)
		return SCN_FAILED;
	pnm_ib_device_get_info(d->dev, &info);
	pnm_ib_device_freeze(d->dev, false);
	dev_quiet(d);
	scn_detail(r, "device thawed: %lu queued operation%s ran", info.queued,
		   plural(info.queued));
	return 0;
}

/* --- properties ------------------------------------------------------------------- */

static struct pnm_ib_mr_info mr_info(struct rdma_mr *m)
{
	struct pnm_ib_mr_info info = { .size = sizeof(info) };

	if (m->gone || pnm_ib_mr_get_info(m->mr, &info))
		memset(&info, 0, sizeof(info));
	return info;
}

static const char *const state_words[] = { "valid", "invalid", "revoked", NULL };

static int prop_state(struct scn_run *r, void *subject, const struct scn_value *a)
{
	struct rdma_mr *m = mr_get(r, &a[0]);
	struct pnm_ib_mr_info info;

	(void)subject;
	if (!m)
		return SCN_FAILED;
	if (m->gone)
		return scn_fail(r, "%s is deregistered", m->name);
	info = mr_info(m);
	return scn_prop_result(r, info.state == (unsigned int)a[1].index,
			       "%s is %s (%lu page%s pinned, %lu remote operation%s refused, %lu "
			       "lease break%s)", m->name, pnm_ib_mr_state_name(info.state),
			       info.pages, plural(info.pages),
			       info.refused_writes + info.refused_reads,
			       plural(info.refused_writes + info.refused_reads), info.breaks,
			       plural(info.breaks));
}

/* The count properties of a region; each entry is its property's .data. */
enum { MC_PAGES, MC_WRITES, MC_READS, MC_REFUSED, MC_BREAKS };
static const struct mr_count {
	int which;
	const char *what;
} mr_counts[] = {
	{ MC_PAGES, "pages pinned" },
	{ MC_WRITES, "remote writes done" },
	{ MC_READS, "remote reads done" },
	{ MC_REFUSED, "remote operations refused after a lease break" },
	{ MC_BREAKS, "lease breaks asked of it" },
};

/* MR CMP: the property's count (its .data, a struct mr_count) of region
 * @a[0] compared with CMP @a[1]. */
static int prop_mr_count(struct scn_run *r, void *subject, const struct scn_value *a)
{
	const struct mr_count *c = scn_io_member(subject)->data;
	struct rdma_mr *m = mr_get(r, &a[0]);
	struct pnm_ib_mr_info info;
	unsigned long have;
	char want[48];

	if (!m)
		return SCN_FAILED;
	info = mr_info(m);
	switch (c->which) {
	case MC_PAGES: have = info.pages; break;
	case MC_WRITES: have = info.remote_writes; break;
	case MC_READS: have = info.remote_reads; break;
	case MC_REFUSED: have = info.refused_writes + info.refused_reads; break;
	default: have = info.breaks; break;
	}
	scn_format_cmp(want, sizeof(want), &a[1]);
	return scn_prop_result(r, scn_compare(&a[1], (long)have), "%s: %lu %s (expected %s)",
			       m->name, have, c->what, want);
}

/* data DEV MR OFFSET DATA: a peer's RDMA READ returns DATA. */
static int prop_data(struct scn_run *r, void *subject, const struct scn_value *a)
{
	struct rdma_dev *d = dev_get(r, &a[0]);
	struct rdma_mr *m = mr_get(r, &a[1]);
	size_t len = scn_data_len(&a[3]), i;
	unsigned char *got, *want;
	char qg[200], qw[200];
	int ret;

	(void)subject;
	if (!d || !m)
		return SCN_FAILED;
	got = malloc(len ? len : 1);
	want = malloc(len ? len : 1);
	if (!got || !want) {
		free(got);
		free(want);
		return -ENOMEM;
	}
	scn_data_get(&a[3], 0, want, len);
	ret = pnm_ib_remote_read(d->dev, m->rkey, m->iova + a[2].num, got, len);
	for (i = 0; !ret && i < len && got[i] == want[i]; i++)
		;
	if (ret) {
		scn_fail(r, "the RDMA READ of %s failed with %s", m->name, err_name(ret));
		ret = SCN_FAILED;
	} else if (i < len) {
		size_t from = i > 8 ? i - 8 : 0;

		scn_quote(qg, sizeof(qg), got + from, len - from, 24);
		scn_quote(qw, sizeof(qw), want + from, len - from, 24);
		ret = scn_fail(r, "%s differs at offset %zu: a peer reads %s, expected %s", m->name,
			       (size_t)a[2].num + i, qg, qw);
	} else {
		scn_quote(qg, sizeof(qg), got, len < 64 ? len : 64, 64);
		ret = scn_prop_result(r, true, "a peer reads %s%s from %s", qg,
				      len > 64 ? "..." : "", m->name);
	}
	free(got);
	free(want);
	return ret;
}

/* The count properties of a device; each entry is its property's .data. */
enum { DC_COMPLETIONS, DC_FAILED, DC_ACCESS_ERRORS, DC_QUEUED, DC_INVALIDATED, DC_REVOKED };
static const struct dev_count {
	int which;
	const char *what;
} dev_counts[] = {
	{ DC_COMPLETIONS, "completions polled" },
	{ DC_FAILED, "failed completions polled" },
	{ DC_ACCESS_ERRORS, "remote access errors" },
	{ DC_QUEUED, "operations queued" },
	{ DC_INVALIDATED, "regions invalidated on a lease break" },
	{ DC_REVOKED, "regions revoked by force" },
};

/* DEV CMP: the property's count (its .data, a struct dev_count) of device
 * @a[0] compared with CMP @a[1]. */
static int prop_dev_count(struct scn_run *r, void *subject, const struct scn_value *a)
{
	const struct dev_count *c = scn_io_member(subject)->data;
	struct rdma_dev *d = dev_get(r, &a[0]);
	struct pnm_ib_device_info info = { .size = sizeof(info) };
	unsigned long have;
	char want[48];

	if (!d)
		return SCN_FAILED;
	pnm_ib_device_get_info(d->dev, &info);
	switch (c->which) {
	case DC_COMPLETIONS: have = d->polled_ok + d->polled_failed; break;
	case DC_FAILED: have = d->polled_failed; break;
	case DC_ACCESS_ERRORS: have = info.access_errors; break;
	case DC_QUEUED: have = info.queued; break;
	case DC_INVALIDATED: have = info.regions_invalidated; break;
	default: have = info.regions_revoked; break;
	}
	scn_format_cmp(want, sizeof(want), &a[1]);
	return scn_prop_result(r, scn_compare(&a[1], (long)have), "device %s: %lu %s (expected %s)",
			       info.name, have, c->what, want);
}

/* --- tables --------------------------------------------------------------------------- */

#define DEV_REF		{ .type = SCN_ARG_REF, .name = "device", .ns = NS_DEV }
#define MR_REF		{ .type = SCN_ARG_REF, .name = "region", .ns = SCN_NS_OWNER }
#define OFFSET		{ .type = SCN_ARG_LEN, .name = "offset" }
#define DATA		{ .type = SCN_ARG_DATA, .name = "data" }
#define SIZE		{ .type = SCN_ARG_SIZE, .name = "size" }
#define CMP		{ .type = SCN_ARG_CMP, .name = "count" }
#define END		{ .type = SCN_ARG_END }

static const struct scn_option key_opts[] = {
	{ "key", SCN_ARG_INT, NULL, NULL }, { NULL, 0, NULL, NULL } };
static const struct scn_option id_opts[] = {
	{ "id", SCN_ARG_INT, NULL, NULL }, { NULL, 0, NULL, NULL } };

static const struct scn_arg device_args[] = {
	{ .type = SCN_ARG_FLAGS, .name = "option", .options = dev_opts }, SCN_IO_AS(NS_DEV), END };
static const struct scn_arg pd_args[] = {
	DEV_REF, { .type = SCN_ARG_REF, .name = "process", .ns = SCN_NS_PROCESS },
	SCN_IO_AS(NS_PD), END };
static const struct scn_arg reg_args[] = {
	{ .type = SCN_ARG_REF, .name = "pd", .ns = NS_PD },
	{ .type = SCN_ARG_ADDR, .name = "address" }, { .type = SCN_ARG_LEN, .name = "length" },
	{ .type = SCN_ARG_FLAGS, .name = "access", .choices = reg_words, .options = reg_opts },
	SCN_IO_AS(SCN_NS_OWNER), END };
static const struct scn_arg mr_args[] = { MR_REF, END };
static const struct scn_arg write_args[] = {
	DEV_REF, MR_REF, OFFSET, DATA,
	{ .type = SCN_ARG_FLAGS, .name = "option", .options = key_opts }, END };
static const struct scn_arg read_args[] = {
	DEV_REF, MR_REF, OFFSET, SIZE,
	{ .type = SCN_ARG_FLAGS, .name = "option", .options = key_opts }, END };
static const struct scn_arg post_write_args[] = {
	DEV_REF, MR_REF, OFFSET, DATA,
	{ .type = SCN_ARG_FLAGS, .name = "option", .options = id_opts }, END };
static const struct scn_arg post_read_args[] = {
	DEV_REF, MR_REF, OFFSET, SIZE,
	{ .type = SCN_ARG_FLAGS, .name = "option", .options = id_opts }, END };
static const struct scn_arg dev_args[] = { DEV_REF, END };
static const struct scn_arg state_args[] = {
	MR_REF, { .type = SCN_ARG_KEYWORD, .name = "state", .choices = state_words }, END };
static const struct scn_arg mr_cmp_args[] = { MR_REF, CMP, END };
static const struct scn_arg data_args[] = { DEV_REF, MR_REF, OFFSET, DATA, END };
static const struct scn_arg dev_cmp_args[] = { DEV_REF, CMP, END };

static const struct scn_cmd rdma_verbs[] = {
	{ .name = "device", .args = device_args, .test = device_run, .check = device_check,
	  .help = "an RDMA adapter with engine threads (threads=, default 2) that carry out "
		  "peers' operations; depth= bounds the work outstanding",
	  .example = "io rdma device as NIC" },
	{ .name = "pd", .args = pd_args, .test = pd_run,
	  .help = "a protection domain of the process (ibv_alloc_pd)",
	  .example = "io rdma pd NIC A as PD" },
	{ .name = "reg", .args = reg_args, .test = reg_run,
	  .help = "register a memory region (ibv_reg_mr): pin its pages FOLL_PIN|FOLL_LONGTERM "
		  "through an owner named like the region; access local-write, remote-write, "
		  "remote-read; iova= (default the address); lease=FILE for a shared file "
		  "mapping under that opener's layout lease; ignore-break: the holder does not "
		  "answer lease breaks",
	  .example = "io rdma reg PD buf 64K local-write remote-write as MR" },
	{ .name = "dereg", .args = mr_args, .test = dereg_run,
	  .help = "deregister: keys off, running operations finish, pins released (dirty if "
		  "writable)",
	  .example = "io rdma dereg MR" },
	{ .name = "write", .args = write_args, .test = write_run, .check = wire_check,
	  .help = "a peer's RDMA WRITE of DATA at OFFSET of the region (key= another rkey); "
		  "EACCES: remote access error, EIO: the region was invalidated or revoked",
	  .example = "io rdma write NIC MR 0 \"from the wire\"" },
	{ .name = "read", .args = read_args, .test = read_run, .check = wire_check,
	  .help = "a peer's RDMA READ of SIZE bytes at OFFSET (shows the first 64)",
	  .example = "io rdma read NIC MR 0 16" },
	{ .name = "post-write", .args = post_write_args, .test = post_write_run,
	  .check = wire_check,
	  .help = "post an RDMA WRITE for the device's threads (id= its wr_id); waits for them "
		  "unless the device is frozen",
	  .example = "io rdma post-write NIC MR 4K pattern 0x5a 4K" },
	{ .name = "post-read", .args = post_read_args, .test = post_read_run,
	  .check = wire_check,
	  .help = "post an RDMA READ of SIZE bytes (its data shows when polled)",
	  .example = "io rdma post-read NIC MR 0 16 id=7" },
	{ .name = "poll", .args = dev_args, .test = poll_run,
	  .help = "take every completion and show each (wr_id, status, bytes, data read)",
	  .example = "io rdma poll NIC" },
	{ .name = "freeze", .args = dev_args, .test = freeze_run,
	  .help = "stop the engines: posted work waits in the queue",
	  .example = "io rdma freeze NIC" },
	{ .name = "thaw", .args = dev_args, .test = thaw_run,
	  .help = "let the engines run what waits, and wait for them",
	  .example = "io rdma thaw NIC" },
};

static const struct scn_cmd rdma_props[] = {
	{ .name = "state", .args = state_args, .test = prop_state,
	  .help = "a region is valid, invalid (released on a lease break) or revoked (by force)",
	  .example = "expect io rdma state MR invalid" },
	{ .name = "pages", .args = mr_cmp_args, .test = prop_mr_count,
	  .data = &mr_counts[MC_PAGES],
	  .help = "pages the region holds pinned", .example = "expect io rdma pages MR == 16" },
	{ .name = "writes", .args = mr_cmp_args, .test = prop_mr_count,
	  .data = &mr_counts[MC_WRITES],
	  .help = "remote writes done on the region", .example = "expect io rdma writes MR == 2" },
	{ .name = "reads", .args = mr_cmp_args, .test = prop_mr_count,
	  .data = &mr_counts[MC_READS],
	  .help = "remote reads done on the region", .example = "expect io rdma reads MR == 1" },
	{ .name = "refused", .args = mr_cmp_args, .test = prop_mr_count,
	  .data = &mr_counts[MC_REFUSED],
	  .help = "remote operations refused after the region was invalidated or revoked",
	  .example = "expect io rdma refused MR == 1" },
	{ .name = "breaks", .args = mr_cmp_args, .test = prop_mr_count,
	  .data = &mr_counts[MC_BREAKS],
	  .help = "lease breaks the region was asked to answer",
	  .example = "expect io rdma breaks MR == 1" },
	{ .name = "data", .args = data_args, .test = prop_data,
	  .help = "a peer's RDMA READ at OFFSET returns DATA",
	  .example = "expect io rdma data NIC MR 0 \"from the wire\"" },
	{ .name = "completions", .args = dev_cmp_args, .test = prop_dev_count,
	  .data = &dev_counts[DC_COMPLETIONS],
	  .help = "completions polled from the device",
	  .example = "expect io rdma completions NIC == 3" },
	{ .name = "failed", .args = dev_cmp_args, .test = prop_dev_count,
	  .data = &dev_counts[DC_FAILED],
	  .help = "completions polled with an error", .example = "expect io rdma failed NIC == 0" },
	{ .name = "access-errors", .args = dev_cmp_args, .test = prop_dev_count,
	  .data = &dev_counts[DC_ACCESS_ERRORS],
	  .help = "remote access errors (key, access, range)",
	  .example = "expect io rdma access-errors NIC == 1" },
	{ .name = "queued", .args = dev_cmp_args, .test = prop_dev_count,
	  .data = &dev_counts[DC_QUEUED],
	  .help = "operations posted and not started (a frozen device)",
	  .example = "expect io rdma queued NIC == 2" },
	{ .name = "invalidated", .args = dev_cmp_args, .test = prop_dev_count,
	  .data = &dev_counts[DC_INVALIDATED],
	  .help = "regions the driver invalidated on a lease break",
	  .example = "expect io rdma invalidated NIC == 1" },
	{ .name = "revoked", .args = dev_cmp_args, .test = prop_dev_count,
	  .data = &dev_counts[DC_REVOKED],
	  .help = "regions the core revoked by force",
	  .example = "expect io rdma revoked NIC == 1" },
};

SCN_IO_SITE(rdma, "rdma", "RDMA memory regions: long-term pins through owners, device "
	    "threads writing at any time (src/drivers/rdma.c)", rdma_verbs, rdma_props)
