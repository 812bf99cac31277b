/* SPDX-License-Identifier: MIT */
/*
 * scn_run.c - the scenario runner.
 *
 * Executes a parsed script in a fresh model: pnm_init() with the script's
 * configuration, every step in order with pnm_check_system() after each, then
 * teardown (release named objects, exit every process, check, pnm_fini()).
 * --check-every N / --check-at-end (scn_run_opts.check_every) run the
 * checkers after every Nth step only, or after the last, instead.
 * A frame still allocated at the end is a failure.  pnm_init() and
 * pnm_fini() go through scn_model_init()/scn_model_fini() (scn_datadir.c),
 * which remove the model's private data directory on every exit path.
 *
 * The runner owns the two namespaces every command speaks in: processes
 * (name -> task) and regions (name -> address range), plus a generic list of
 * named objects with release hooks for commands that create state.  It
 * captures trace events per step (pnm_trace_set) and keeps the counter
 * window used by "expect counter NAME +N": the values just before and just
 * after the most recent step that acts on the model (not SCN_OBSERVE).
 *
 * Single-threaded: nothing else may call into the model while a script runs.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "scn.h"

struct scn_task_ent {
	const char *name;		/* arena/registry string, outlives run */
	struct task_struct *task;
	unsigned int hash;		/* name_hash(name) */
};

struct scn_region_ent {
	const char *name;
	unsigned long addr;
	unsigned long len;
	unsigned int hash;		/* name_hash(name) */
};

struct scn_obj_ent {
	const char *ns;
	char name[SCN_MAX_NAME * 2 + 2];
	void *obj;
	scn_release_fn *release;
};

struct scn_run {
	const struct scn_script *script;
	const struct scn_run_opts *opts;
	struct pnm_config cfg;		/* the script's, with the options applied */
	struct scn_sink *sink;

	struct scn_task_ent *tasks;
	size_t ntasks, tasks_cap;
	struct scn_region_ent *regions;
	size_t nregions, regions_cap;
	struct scn_obj_ent *objs;
	size_t nobjs, objs_cap;

	/* per step */
	char detail[1024];
	char *out;
	size_t out_len, out_cap;
	char *data;			/* scn_data(); NULL if none */
	struct scn_trace_line *trace;
	unsigned int ntrace, trace_cap;
	bool trace_overflow;

	/* the counter window: around the last acting step (pnm_stat_count()
	 * values each) */
	long *before;
	long *after;

	unsigned int passed, failed;
	bool stop;			/* the model is inconsistent */
	bool host_enomem;		/* a checker could not run: no host memory */
	enum scn_broken broken;		/* of the step being reported */
	unsigned long acted;		/* acting steps so far (check_due) */
};

static void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p) {
		fputs("pinmm: out of memory\n", stderr);
		exit(2);
	}
	return p;
}

#define GROW(arr, nr, cap)						\
	do {								\
		if ((nr) == (cap)) {					\
			(cap) = (cap) ? (cap) * 2 : 16;			\
			(arr) = xrealloc((arr), (cap) * sizeof(*(arr)));	\
		}							\
	} while (0)

/* --- details and output -------------------------------------------------------- */

/* Set the step's detail text. */
void scn_detail(struct scn_run *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r->detail, sizeof(r->detail), fmt, ap);
	va_end(ap);
}

/* Set the step's detail text and report the step as not holding. */
int scn_fail(struct scn_run *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r->detail, sizeof(r->detail), fmt, ap);
	va_end(ap);
	return SCN_FAILED;
}

/* Append text to the step's output block. */
void scn_output(struct scn_run *r, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n <= 0)
		return;
	if (r->out_len + (size_t)n + 1 > r->out_cap) {
		r->out_cap = (r->out_len + (size_t)n + 1) * 2;
		r->out = xrealloc(r->out, r->out_cap);
	}
	va_start(ap, fmt);
	vsnprintf(r->out + r->out_len, r->out_cap - r->out_len, fmt, ap);
	va_end(ap);
	r->out_len += (size_t)n;
}

/* Set the step's structured data (a JSON value, copied). */
void scn_data(struct scn_run *r, const char *json)
{
	free(r->data);
	r->data = strdup(json ? json : "");
	if (!r->data) {
		fputs("pinmm: out of memory\n", stderr);
		exit(2);
	}
}

/*
 * Quote @len bytes as a C string literal, at most @max of them, then "..."
 * if more.  The result is plain ASCII.
 */
void scn_quote(char *out, size_t size, const unsigned char *buf, size_t len, size_t max)
{
	size_t o = 0;

	if (size < 8)
		return;
	out[o++] = '"';
	for (size_t i = 0; i < len && i < max && o + 8 < size; i++) {
		unsigned char c = buf[i];

		switch (c) {
		case '\n': o += (size_t)snprintf(out + o, size - o, "\\n"); break;
		case '\t': o += (size_t)snprintf(out + o, size - o, "\\t"); break;
		case '\r': o += (size_t)snprintf(out + o, size - o, "\\r"); break;
		case '\0': o += (size_t)snprintf(out + o, size - o, "\\0"); break;
		case '"': o += (size_t)snprintf(out + o, size - o, "\\\""); break;
		case '\\': o += (size_t)snprintf(out + o, size - o, "\\\\"); break;
		default:
			if (c >= 0x20 && c < 0x7f)
				out[o++] = (char)c;
			else
				o += (size_t)snprintf(out + o, size - o, "\\x%02x", c);
		}
	}
	out[o++] = '"';
	out[o] = '\0';
	if (len > max && o + 4 < size)
		snprintf(out + o, size - o, "...");
}

/* --- processes, regions, objects ---------------------------------------------- */

/* FNV-1a of @s: compared before the strings, so a lookup among many names
 * costs an integer compare per name, not a strcmp(). */
static unsigned int name_hash(const char *s)
{
	unsigned int h = 2166136261u;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 16777619u;
	return h;
}

static struct scn_task_ent *task_find(struct scn_run *r, const char *name)
{
	unsigned int h = name_hash(name);

	for (size_t i = r->ntasks; i-- > 0;)
		if (r->tasks[i].hash == h && !strcmp(r->tasks[i].name, name))
			return &r->tasks[i];
	return NULL;
}

/* Register @t as process @name; the runner exits it at teardown. */
int scn_task_add(struct scn_run *r, const char *name, struct task_struct *t)
{
	GROW(r->tasks, r->ntasks, r->tasks_cap);
	r->tasks[r->ntasks++] = (struct scn_task_ent){ name, t, name_hash(name) };
	return 0;
}

/* The live task a process value names, or NULL with the detail set. */
struct task_struct *scn_task(struct scn_run *r, const struct scn_value *v)
{
	struct scn_task_ent *e = task_find(r, v->word);

	if (!e) {
		scn_detail(r, "process %s does not exist (creating it failed)", v->word);
		return NULL;
	}
	if (pnm_task_exited(e->task)) {
		scn_detail(r, "process %s has exited", v->word);
		return NULL;
	}
	return e->task;
}

/*
 * The pid of the process a SCN_NS_PROCESS value names, also after it
 * exited (a call that takes a pid must see -ESRCH then); -1 with the
 * detail set if it was never created.
 */
int scn_task_pid(struct scn_run *r, const struct scn_value *v)
{
	struct scn_task_ent *e = task_find(r, v->word);

	if (!e) {
		scn_detail(r, "process %s does not exist (creating it failed)", v->word);
		return -1;
	}
	return pnm_task_pid(e->task);
}

/* Name of the process with @pid, or NULL. */
const char *scn_task_name(struct scn_run *r, int pid)
{
	for (size_t i = 0; i < r->ntasks; i++)
		if (pnm_task_pid(r->tasks[i].task) == pid)
			return r->tasks[i].name;
	return NULL;
}

/* Call @fn for every process of the run, in creation order (scn.h). */
void scn_task_foreach(struct scn_run *r,
		      void (*fn)(const char *name, struct task_struct *t, void *arg), void *arg)
{
	for (size_t i = 0; i < r->ntasks; i++)
		fn(r->tasks[i].name, r->tasks[i].task, arg);
}

/* Record (or move) region @name. */
int scn_region_set(struct scn_run *r, const char *name, unsigned long addr, unsigned long len)
{
	unsigned int h = name_hash(name);

	for (size_t i = 0; i < r->nregions; i++) {
		if (r->regions[i].hash == h && !strcmp(r->regions[i].name, name)) {
			r->regions[i].addr = addr;
			r->regions[i].len = len;
			return 0;
		}
	}
	GROW(r->regions, r->nregions, r->regions_cap);
	r->regions[r->nregions++] = (struct scn_region_ent){ name, addr, len, h };
	return 0;
}

/* Resolve an address value to a user address. */
int scn_addr(struct scn_run *r, const struct scn_value *v, unsigned long *addr)
{
	unsigned int h;

	if (!v->word) {
		*addr = (unsigned long)v->num;
		return 0;
	}
	h = name_hash(v->word);
	for (size_t i = 0; i < r->nregions; i++) {
		if (r->regions[i].hash == h && !strcmp(r->regions[i].name, v->word)) {
			*addr = r->regions[i].addr + (unsigned long)v->num;
			return 0;
		}
	}
	return scn_fail(r, "region %s was never mapped (its mmap failed)", v->word);
}

/* Add a named object; -EEXIST if the name is taken in @ns. */
int scn_obj_add(struct scn_run *r, const char *ns, const char *name, void *obj,
		scn_release_fn *release)
{
	if (scn_obj_find(r, ns, name))
		return -EEXIST;
	GROW(r->objs, r->nobjs, r->objs_cap);
	r->objs[r->nobjs] = (struct scn_obj_ent){ .ns = ns, .obj = obj, .release = release };
	snprintf(r->objs[r->nobjs].name, sizeof(r->objs[0].name), "%s", name);
	r->nobjs++;
	return 0;
}

/* The object named @name in @ns, or NULL. */
void *scn_obj_find(struct scn_run *r, const char *ns, const char *name)
{
	for (size_t i = 0; i < r->nobjs; i++)
		if (!strcmp(r->objs[i].ns, ns) && !strcmp(r->objs[i].name, name))
			return r->objs[i].obj;
	return NULL;
}

/* Remove and release an object; false if there is none of that name. */
bool scn_obj_remove(struct scn_run *r, const char *ns, const char *name)
{
	for (size_t i = 0; i < r->nobjs; i++) {
		struct scn_obj_ent e = r->objs[i];

		if (strcmp(e.ns, ns) || strcmp(e.name, name))
			continue;
		memmove(&r->objs[i], &r->objs[i + 1], (r->nobjs - i - 1) * sizeof(e));
		r->nobjs--;
		if (e.release)
			e.release(r, e.obj);
		return true;
	}
	return false;
}

/* --- counters ---------------------------------------------------------------------- */

/* Change of @item over the most recent acting step. */
long scn_counter_delta(struct scn_run *r, int item)
{
	return r->after[item] - r->before[item];
}

/* Does @have satisfy the comparison or change in @v? */
bool scn_compare(const struct scn_value *v, long have)
{
	long n = (long)v->num;

	switch (v->index) {
	case SCN_OP_EQ: return have == n;
	case SCN_OP_NE: return have != n;
	case SCN_OP_LT: return have < n;
	case SCN_OP_LE: return have <= n;
	case SCN_OP_GT: return have > n;
	case SCN_OP_GE: return have >= n;
	case SCN_OP_DELTA: return have == (long)v->delta;
	}
	return false;
}

/* Format the comparison in @v ("== 3", "+1"). */
void scn_format_cmp(char *buf, size_t size, const struct scn_value *v)
{
	static const char *const ops[] = { "==", "!=", "<", "<=", ">", ">=" };

	if (v->index == SCN_OP_DELTA)
		snprintf(buf, size, "%+lld", (long long)v->delta);
	else
		snprintf(buf, size, "%s %llu", ops[v->index], (unsigned long long)v->num);
}

/* Step hooks (scn_register_step_hook); written only at start-up. */
static scn_step_hook_fn *step_hooks[8];
static unsigned int nr_step_hooks;

/* Add a hook called around every acting step (see scn.h). */
void scn_register_step_hook(scn_step_hook_fn *fn)
{
	if (nr_step_hooks == ARRAY_SIZE(step_hooks)) {
		fputs("pinmm: too many scenario step hooks\n", stderr);
		abort();
	}
	step_hooks[nr_step_hooks++] = fn;
}

static void call_step_hooks(struct scn_run *r, bool after)
{
	for (unsigned int i = 0; i < nr_step_hooks; i++)
		step_hooks[i](r, after);
}

/* The model's invariants, with the checkers registered with it
 * (pnm_check_register(): the call sites' objects): 0 if all hold, else
 * SCN_FAILED with the first problem in @why, or -ENOMEM when a checker
 * could not run for want of host memory (@why says which). */
static int check_all(char *why, size_t size)
{
	if (!pnm_check_system()) {
		const char *msg = pnm_check_error();

		snprintf(why, size, "%s", msg && *msg ? msg : "(no message)");
		return pnm_check_host_error() == -ENOMEM ? -ENOMEM : SCN_FAILED;
	}
	return 0;
}

static void append_detail(struct scn_run *r, const char *fmt, ...) __printf(2, 3);

/* Report a check that ended with @err (check_all()) after step @what: the
 * remaining steps are skipped; a host ENOMEM is said once, on stderr too. */
static void check_failed(struct scn_run *r, int err, const char *what, const char *why)
{
	if (err == -ENOMEM) {
		append_detail(r, "the invariant checkers could not run %s: host out of memory "
			      "(ENOMEM: %s); the remaining steps are skipped", what, why);
		fprintf(stderr, "pinmm: host out of memory (ENOMEM): the invariant checkers "
			"could not run: %s\n", why);
		r->host_enomem = true;
		r->broken = SCN_BROKEN_HOST_ENOMEM;
	} else {
		append_detail(r, "invariant violated %s: %s; the remaining steps are skipped",
			      what, why);
		r->broken = SCN_BROKEN_INVARIANT;
	}
	r->stop = true;
}

/* Do the checkers run after this step (--check-every)?  By default after
 * every step; otherwise after every Nth step that acts on the model
 * (@observe: one that only looks does not count). */
static bool check_due(struct scn_run *r, bool observe)
{
	unsigned long every = r->opts ? r->opts->check_every : 0;

	if (every <= 1)
		return true;
	if (observe)
		return false;
	r->acted++;
	return every != SCN_CHECK_AT_END && r->acted % every == 0;
}

static void snapshot(long *vals)
{
	for (int i = 0; i < pnm_stat_count(); i++)
		vals[i] = pnm_stat_read(i);
}

/* A zeroed array of one long per counter; exits on host out-of-memory. */
static long *counter_array(void)
{
	long *vals = calloc((size_t)pnm_stat_count(), sizeof(long));

	if (!vals) {
		fputs("pinmm: out of memory\n", stderr);
		exit(2);
	}
	return vals;
}

/* The index of counter @name; the names the command line uses are the
 * library's, so a miss is a build mismatch. */
int scn_stat(const char *name)
{
	int i = pnm_stat_lookup(name);

	if (i < 0) {
		fprintf(stderr, "pinmm: the library has no counter %s\n", name);
		abort();
	}
	return i;
}

/* --- data values ---------------------------------------------------------------------- */

/* Copy bytes [off, off + n) of a DATA (or STRING) value into @buf. */
void scn_data_get(const struct scn_value *v, size_t off, void *buf, size_t n)
{
	if (v->fill >= 0 || !v->data)
		memset(buf, v->fill >= 0 ? v->fill : 0, n);
	else
		memcpy(buf, v->data + off, n);
}

/* --- page inspection ------------------------------------------------------------------- */

/* Describe what @t has mapped at @addr, without faulting anything in. */
int scn_page_info(struct task_struct *t, unsigned long addr, struct scn_page_info *pi)
{
	memset(pi, 0, sizeof(*pi));
	pi->task = t;
	pi->addr = addr;
	pi->frame.size = sizeof(pi->frame);
	if (pnm_task_page_info(t, addr, &pi->frame))
		return 0;
	pi->present = true;
	pi->pfn = pi->frame.pfn;
	pi->writable = pi->frame.flags & PNM_PAGE_MAP_WRITE;
	return 0;
}

/* Describe frame @pfn as a present page (contract in scn.h). */
int scn_frame_info(unsigned long pfn, struct scn_page_info *pi)
{
	int err;

	pi->frame.size = sizeof(pi->frame);
	err = pnm_pfn_info(pfn, &pi->frame);
	if (err)
		return err;
	pi->present = true;
	pi->pfn = pfn;
	return 0;
}

/* --- trace ----------------------------------------------------------------------------- */

static void trace_hook(const struct pnm_trace_rec *rec, void *arg)
{
	struct scn_run *r = arg;

	if (r->ntrace >= 100000) {
		r->trace_overflow = true;
		return;
	}
	if (r->ntrace == r->trace_cap) {
		r->trace_cap = r->trace_cap ? r->trace_cap * 2 : 64;
		r->trace = xrealloc(r->trace, r->trace_cap * sizeof(*r->trace));
	}
	r->trace[r->ntrace].rec = *rec;
	r->trace[r->ntrace].text[0] = '\0';
	r->ntrace++;
}

static const char *who(struct scn_run *r, int pid, char *buf, size_t size)
{
	const char *n = scn_task_name(r, pid);

	if (n)
		return n;
	snprintf(buf, size, "pid %d", pid);
	return buf;
}

static void fault_flags(unsigned long flags, char *buf, size_t size)
{
	snprintf(buf, size, "%s%s%s", flags & PNM_FAULT_FLAG_WRITE ? "write" : "read",
		 flags & PNM_FAULT_FLAG_UNSHARE ? "|unshare" : "",
		 flags & PNM_FAULT_FLAG_REMOTE ? "|remote" : "");
}

static void fault_result(unsigned long res, char *buf, size_t size)
{
	if (!res)
		snprintf(buf, size, "ok");
	else if (res == PNM_VM_FAULT_MAJOR)
		snprintf(buf, size, "ok (major)");
	else if (res & PNM_VM_FAULT_OOM)
		snprintf(buf, size, "OOM");
	else if (res & PNM_VM_FAULT_SIGSEGV)
		snprintf(buf, size, "SIGSEGV");
	else if (res & PNM_VM_FAULT_SIGBUS)
		snprintf(buf, size, "SIGBUS");
	else if (res & PNM_VM_FAULT_RETRY)
		snprintf(buf, size, "retry");
	else
		snprintf(buf, size, "0x%lx", res);
}

static void format_trace(struct scn_run *r, struct scn_trace_line *tl)
{
	const struct pnm_trace_rec *e = &tl->rec;
	char w[32], w2[32], f[48], res[32];
	const char *name = pnm_trace_name(e->ev) ? pnm_trace_name(e->ev) : "?";
	const char *p = who(r, e->pid, w, sizeof(w));
	char *t = tl->text;
	size_t sz = sizeof(tl->text);

	switch (e->ev) {
	case PNM_TRACE_FAULT:
		fault_flags(e->b, f, sizeof(f));
		fault_result(e->c, res, sizeof(res));
		snprintf(t, sz, "%s %s 0x%lx %s -> %s", name, p, e->a, f, res);
		break;
	case PNM_TRACE_ZERO_PAGE:
		if (e->b)	/* the huge zero page */
			snprintf(t, sz, "%s %s 0x%lx order %lu", name, p, e->a, e->b);
		else
			snprintf(t, sz, "%s %s 0x%lx", name, p, e->a);
		break;
	case PNM_TRACE_THP_FALLBACK:
		snprintf(t, sz, "%s %s 0x%lx", name, p, e->a);
		break;
	case PNM_TRACE_ANON_ALLOC:
		snprintf(t, sz, "%s %s 0x%lx pfn 0x%lx order %lu", name, p, e->a, e->b, e->c);
		break;
	case PNM_TRACE_COW_COPY:
	case PNM_TRACE_UNSHARE_COPY:
	case PNM_TRACE_FORK_COPY:
		snprintf(t, sz, "%s %s 0x%lx pfn 0x%lx -> 0x%lx", name, p, e->a, e->b, e->c);
		break;
	case PNM_TRACE_COW_REUSE:
	case PNM_TRACE_SPLIT_PMD:
		snprintf(t, sz, "%s %s 0x%lx pfn 0x%lx", name, p, e->a, e->b);
		break;
	case PNM_TRACE_SPLIT_FOLIO:
		snprintf(t, sz, "%s pfn 0x%lx order %lu -> 0", name, e->b, e->c);
		break;
	case PNM_TRACE_MIGRATE: {
		static const char *const reasons[] = { "compaction", "longterm pin", "syscall",
						       "numa" };
		const char *why = e->a < ARRAY_SIZE(reasons) ? reasons[e->a] : "?";
		const char *err = pnm_errno_name((int)-e->d);

		if (e->d)
			snprintf(t, sz, "%s pfn 0x%lx failed: %s (%s)", name, e->b,
				 err ? err : "error", why);
		else
			snprintf(t, sz, "%s pfn 0x%lx -> 0x%lx (%s)", name, e->b, e->c, why);
		break;
	}
	case PNM_TRACE_FORK:
		snprintf(t, sz, "%s %s -> %s", name, who(r, (int)e->a, w, sizeof(w)),
			 who(r, (int)e->b, w2, sizeof(w2)));
		break;
	case PNM_TRACE_COMPACT:
		snprintf(t, sz, "%s %s migrated %lu -> %s", name,
			 e->b < PNM_NR_ZONES ? pnm_zone_name((enum pnm_zone_type)e->b) : "?", e->c,
			 e->d ? pnm_errno_name((int)-e->d) ? pnm_errno_name((int)-e->d) : "error" : "ok");
		break;
	case PNM_TRACE_MUNMAP:
		snprintf(t, sz, "%s %s 0x%lx len 0x%lx", name, p, e->a, e->b);
		break;
	case PNM_TRACE_MREMAP:
		snprintf(t, sz, "%s %s 0x%lx len 0x%lx -> 0x%lx len 0x%lx", name, p, e->a, e->b,
			 e->c, (unsigned long)e->d);
		break;
	case PNM_TRACE_EXIT:
		snprintf(t, sz, "%s %s", name, who(r, (int)e->a, w, sizeof(w)));
		break;
	case PNM_TRACE_SWAPOUT:
		snprintf(t, sz, "%s pfn 0x%lx -> slot %lu", name, e->b, e->c);
		break;
	case PNM_TRACE_SWAPIN:
		snprintf(t, sz, "%s %s 0x%lx slot %lu -> pfn 0x%lx (%s)", name, p, e->a, e->b,
			 e->c, e->d ? "read" : "swap cache");
		break;
	default:
		snprintf(t, sz, "%s %s a=0x%lx b=0x%lx c=0x%lx d=%ld", name, p, e->a, e->b,
			 e->c, e->d);
		break;
	}
}

/* --- executing ---------------------------------------------------------------------------- */

static void report(struct scn_run *r, const struct scn_step *st, unsigned int line,
		   const char *command, enum scn_status status)
{
	struct scn_result res = {
		.step = st,
		.file = r->script->name,
		.line = line,
		.command = command,
		.status = status,
		.broken = r->broken,
		.detail = r->detail,
		.output = r->out_len ? r->out : "",
		.data = r->data ? r->data : "",
		.trace = r->trace,
		.ntrace = r->ntrace,
	};

	for (unsigned int i = 0; i < r->ntrace; i++)
		format_trace(r, &r->trace[i]);
	if (status == SCN_ST_PASS)
		r->passed++;
	else if (status == SCN_ST_FAIL)
		r->failed++;
	r->sink->step(r->sink, &res);
	r->broken = SCN_BROKEN_NONE;
	r->detail[0] = '\0';
	free(r->data);
	r->data = NULL;
	r->out_len = 0;
	if (r->out)
		r->out[0] = '\0';
	r->ntrace = 0;
	r->trace_overflow = false;
}

static void append_detail(struct scn_run *r, const char *fmt, ...) __printf(2, 3);

static void append_detail(struct scn_run *r, const char *fmt, ...)
{
	size_t n = strlen(r->detail);
	va_list ap;

	if (n && n + 2 < sizeof(r->detail)) {
		r->detail[n++] = ';';
		r->detail[n++] = ' ';
		r->detail[n] = '\0';
	}
	va_start(ap, fmt);
	vsnprintf(r->detail + n, sizeof(r->detail) - n, fmt, ap);
	va_end(ap);
}

static void run_step(struct scn_run *r, const struct scn_step *st)
{
	const struct scn_cmd *cmd = st->cmd;
	/* A wrapper (host-differs) reports as the command it wraps. */
	const struct scn_cmd *eff = (cmd->flags & SCN_WRAPPER) ? st->args[1].inner->cmd : cmd;
	bool observe = eff->flags & SCN_OBSERVE;
	enum scn_status status;
	char why[512];
	int ret;

	if (!observe) {
		snapshot(r->before);
		call_step_hooks(r, false);
	}
	if (r->opts && r->opts->trace)
		pnm_trace_set(trace_hook, r);
	ret = cmd->run ? cmd->run(r, st, st->args) : 0;
	pnm_trace_set(NULL, NULL);
	if (!observe) {
		snapshot(r->after);
		call_step_hooks(r, true);
	}

	if (ret == 0) {
		status = (eff->flags & SCN_EXPECT) ? SCN_ST_PASS : SCN_ST_OK;
	} else if (ret == SCN_FAILED) {
		status = SCN_ST_FAIL;
	} else {
		const char *e = pnm_errno_name(-ret);

		status = SCN_ST_FAIL;
		append_detail(r, "failed with %s", e ? e : "an unknown error");
	}
	if (r->trace_overflow)
		append_detail(r, "trace truncated");
	if (check_due(r, observe)) {
		int err = check_all(why, sizeof(why));

		if (err) {
			status = SCN_ST_FAIL;
			check_failed(r, err, "after this step", why);
		}
	}
	report(r, st, st->pos.line, st->text, status);
}

static void config_detail(struct scn_run *r)
{
	const struct pnm_config *c = &r->cfg;
	static const char *const thp[] = { "never", "madvise", "always" };
	struct pnm_config def;
	char pins[96] = "";

	/* Pin settings are shown where they differ from the defaults. */
	pnm_config_default(&def);
	if (c->pin_accounting != def.pin_accounting)
		strcat(pins, c->pin_accounting == PNM_PIN_ACCOUNTING_EXACT ?
		       ", accounting=exact" : ", accounting=linux");
	if (c->legacy_gup != def.legacy_gup)
		strcat(pins, c->legacy_gup ? ", legacy=on" : ", legacy=off");
	if (c->pin_registry != def.pin_registry)
		strcat(pins, c->pin_registry ? ", registry=on" : ", registry=off");
	if (c->pin_debug != def.pin_debug)
		strcat(pins, c->pin_debug ? ", debug=on" : ", debug=off");
	if (c->thp_use_zero_page != def.thp_use_zero_page)
		strcat(pins, c->thp_use_zero_page ? ", use_zero_page=on" : ", use_zero_page=off");
	scn_detail(r, "Normal %luM, Movable %luM, CMA %luM, thp=%s%s",
		   (unsigned long)(ALIGN(c->zone_frames[PNM_ZONE_NORMAL], 512UL) >> 8),
		   (unsigned long)(ALIGN(c->zone_frames[PNM_ZONE_MOVABLE], 512UL) >> 8),
		   (unsigned long)(ALIGN(c->zone_frames[PNM_ZONE_CMA], 512UL) >> 8),
		   (unsigned int)c->thp < 3 ? thp[c->thp] : "?", pins);
}

static void teardown(struct scn_run *r)
{
	/* Objects first (holds, later pins): they reference the tasks' memory. */
	while (r->nobjs) {
		struct scn_obj_ent e = r->objs[--r->nobjs];

		if (e.release)
			e.release(r, e.obj);
	}
	for (size_t i = r->ntasks; i-- > 0;)
		pnm_task_exit(r->tasks[i].task);
}

/*
 * Run one script in a fresh model.  See scn.h for the contract.
 */
int scn_run_script(const struct scn_script *script, const struct scn_run_opts *opts,
		   struct scn_sink *sink, unsigned int *passed, unsigned int *failed)
{
	struct scn_run r = { .script = script, .opts = opts, .sink = sink };
	long *counters = counter_array();
	unsigned int last_line = script->nlines ? script->nlines : 1;
	char *stat_text = NULL, why[512];
	const char *exit_at;
	size_t stat_len = 0;
	FILE *mf;
	int ret;

	r.before = counter_array();
	r.after = counter_array();
	sink->begin_file(sink, script->name);
	r.cfg = script->cfg;
	if (opts && opts->pin_debug != SCN_SWITCH_DEFAULT && !script->pin_debug_set)
		r.cfg.pin_debug = opts->pin_debug == SCN_SWITCH_ON;
	ret = scn_model_init(&r.cfg);
	if (ret) {
		scn_detail(&r, "cannot build the model: %s", pnm_strerror(ret));
		report(&r, NULL, 1, "memory", SCN_ST_FAIL);
		sink->end_file(sink, script->name, r.passed, r.failed, counters, "");
		goto out;
	}
	exit_at = getenv("PINMM_SCN_EXIT_AT");
	for (unsigned int i = 0; i < script->nsteps && !r.stop; i++) {
		const struct scn_step *st = script->steps[i];

		/* Test hook: the run ends before this line as on host
		 * out-of-memory (the data directory must still go). */
		if (exit_at && (unsigned int)atoi(exit_at) == st->pos.line) {
			fputs("pinmm: out of memory (PINMM_SCN_EXIT_AT)\n", stderr);
			exit(2);
		}

		if (st->cmd->flags & SCN_CONFIG) {
			/* Applied at parse time; a run hook only describes it. */
			if (st->cmd->run)
				st->cmd->run(&r, st, st->args);
			else
				config_detail(&r);
			report(&r, st, st->pos.line, st->text, SCN_ST_OK);
			continue;
		}
		run_step(&r, st);
	}

	/* The checks --check-every / --check-at-end left out, before the
	 * processes exit (the state the steps left). */
	if (!r.stop && opts && opts->check_every > 1 && r.acted &&
	    (opts->check_every == SCN_CHECK_AT_END || r.acted % opts->check_every)) {
		int err = check_all(why, sizeof(why));

		if (err) {
			r.detail[0] = '\0';
			check_failed(&r, err, "at the end of the steps", why);
			report(&r, NULL, last_line, "end of steps", SCN_ST_FAIL);
		}
	}

	/* The counters as the scenario left them, before its processes exit. */
	snapshot(counters);
	mf = open_memstream(&stat_text, &stat_len);
	if (mf) {
		pnm_stat_print(mf);
		fclose(mf);
	}
	if (r.opts && r.opts->trace)
		pnm_trace_set(trace_hook, &r);
	teardown(&r);
	pnm_trace_set(NULL, NULL);
	/* While the tasks still exist (names the trace events); release
	 * hooks may have left notes in the output (pins the runner unpinned). */
	if (r.ntrace || r.out_len)
		report(&r, NULL, last_line, "end of scenario", SCN_ST_OK);
	if (!r.stop) {
		int err = check_all(why, sizeof(why));

		if (err == -ENOMEM) {
			r.detail[0] = '\0';
			check_failed(&r, err, "after every process exited", why);
			report(&r, NULL, last_line, "end of scenario", SCN_ST_FAIL);
		} else if (err) {
			scn_detail(&r, "invariant violated after every process exited: %s", why);
			r.broken = SCN_BROKEN_INVARIANT;
			report(&r, NULL, last_line, "end of scenario", SCN_ST_FAIL);
		}
	}
	{
		struct pnm_mem_info mi = { .size = sizeof(mi) };
		unsigned long in_use = pnm_get_mem_info(&mi) ? 0 : mi.allocated_frames;

		ret = scn_model_fini();
		if (ret) {
			scn_detail(&r, "frames leaked: %lu still allocated after every process exited (%s)",
				   in_use, pnm_strerror(ret));
			r.broken = SCN_BROKEN_LEAK;
			report(&r, NULL, last_line, "end of scenario", SCN_ST_FAIL);
		}
	}
	sink->end_file(sink, script->name, r.passed, r.failed, counters,
		       stat_text ? stat_text : "");
	ret = r.host_enomem ? -ENOMEM : 0;
out:
	*passed += r.passed;
	*failed += r.failed;
	free(stat_text);
	free(counters);
	free(r.before);
	free(r.after);
	free(r.tasks);
	free(r.regions);
	free(r.objs);
	free(r.out);
	free(r.data);
	free(r.trace);
	return ret;
}
