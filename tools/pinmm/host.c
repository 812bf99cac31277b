/* SPDX-License-Identifier: MIT */
/*
 * host.c - the host executor: a parsed scenario run with real system calls
 * on the host's kernel (host.h has the overview).
 *
 * A run: check that the host can run scenarios at all (host_available),
 * make the private directories (one on the disk filesystem, one on tmpfs),
 * then execute each step by the host handler its command path names,
 * reporting it to the sink as the model's runner does; steps that cannot
 * be expressed are reported SKIP with the reason, and so is every later
 * step that names something a skipped step defined.  At the end, on a
 * failure, or on SIGINT / SIGTERM: every agent is killed and reaped, every
 * descriptor closed, every file and directory the run created removed, and
 * the hugetlb pool put back to the size it had.
 *
 * The counter window of `expect counter nr_foll_pin_acquired|released`: the
 * host-wide /proc/vmstat values (exact after a write to
 * /proc/sys/vm/stat_refresh) just before and just after the most recent
 * step that acts, read only when the script has such an expectation.
 *
 * Single-threaded; the signal handler only kills, writes and unlinks
 * (async-signal-safe calls on data set up before the handler can run).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/swap.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include "host.h"

#define MAX_PROCS	64
#define MAX_OBJS	256
#define MAX_REGIONS	256
#define MAX_SKIPPED	256
#define MAX_TAINTED	64

struct host_region {
	const char *name;
	int proc;			/* the process it is mapped in */
	uint64_t addr, len;
};

struct host_run {
	const struct scn_script *script;
	struct scn_sink *sink;
	struct host_proc procs[MAX_PROCS];
	int nprocs;
	struct host_region regions[MAX_REGIONS];
	int nregions;
	struct host_obj *objs[MAX_OBJS];
	int nobjs;
	char skipped[MAX_SKIPPED][SCN_MAX_NAME + 16];	/* "ns:name" defined by skipped steps */
	unsigned int skipped_line[MAX_SKIPPED];
	int nskipped;
	char disk_dir[256], shm_dir[256];

	/* The host's environment stopped matching the scenario's at this line
	 * (a THP size, the hugetlb pool, swap, the zero page): every later
	 * step is skipped, with @env_why.  0 while it matches. */
	unsigned int env_line;
	char env_why[512];

	/* Regions whose frames a skipped acting step changed in the model
	 * (a read-only long-term pin unshares, a migration moves ...): page
	 * expectations on them are skipped.  A name redefined by a step that
	 * ran is clean again. */
	char tainted[MAX_TAINTED][SCN_MAX_NAME + 1];
	unsigned int tainted_line[MAX_TAINTED];
	int ntainted;

	/* the pin counter window */
	bool watch_pins;
	long before[2], after[2];
	bool window_ok;
	unsigned int window_skipped;	/* the window's step was skipped: its line */

	/* per step */
	unsigned int cur_line;
	char detail[1024];
	char *out;
	size_t out_len, out_cap;

	unsigned int passed, failed;
	bool stop;			/* a runner error: the rest is not run */
};

/* --- state the signal handler reads (set before it is installed) ---------- */
static pid_t sig_pids[MAX_PROCS];
static volatile sig_atomic_t sig_npids;
static char sig_paths[MAX_OBJS + 2][256];	/* created files, then the dirs */
static volatile sig_atomic_t sig_npaths;
static char sig_pool[32];			/* nr_hugepages to restore, "" if none */
static char sig_swap[256];			/* the run's swap file while on, "" if none */
/* THP switches the run changed: the sysfs file and the value to restore. */
#define MAX_THP_SWITCHES	16
static struct { char path[128]; char value[16]; } sig_thp[MAX_THP_SWITCHES];
static volatile sig_atomic_t sig_nthp;
static struct sigaction old_int, old_term;

static const char nr_hugepages_path[] = "/proc/sys/vm/nr_hugepages";

static void restore_pool_raw(void)
{
	int fd;

	if (!sig_pool[0])
		return;
	fd = open(nr_hugepages_path, O_WRONLY | O_CLOEXEC);
	if (fd >= 0) {
		if (write(fd, sig_pool, strlen(sig_pool)) < 0) {
			/* nothing more a dying runner can do */
		}
		close(fd);
	}
}

/* Turn the run's swap device off and remove its file (signal-safe). */
static void swap_off_raw(void)
{
	if (!sig_swap[0])
		return;
	if (swapoff(sig_swap)) {
		/* EINVAL: not on (any more); anything else: the file stays
		 * on the device list, and removing it could not help */
	}
	unlink(sig_swap);
	sig_swap[0] = '\0';
}

/* Put every THP switch the run changed back (signal-safe). */
static void restore_thp_raw(void)
{
	for (int i = sig_nthp; i-- > 0;) {
		int fd = open(sig_thp[i].path, O_WRONLY | O_CLOEXEC);

		if (fd >= 0) {
			if (write(fd, sig_thp[i].value, strlen(sig_thp[i].value)) < 0) {
				/* nothing more a dying runner can do */
			}
			close(fd);
		}
	}
	sig_nthp = 0;
}

static void fatal_signal(int sig)
{
	for (int i = 0; i < sig_npids; i++)
		if (sig_pids[i] > 0)
			kill(sig_pids[i], SIGKILL);
	swap_off_raw();
	for (int i = 0; i < sig_npaths; i++)
		if (unlink(sig_paths[i]) && errno == EISDIR)
			rmdir(sig_paths[i]);
	for (int i = sig_npaths; i-- > 0;)
		rmdir(sig_paths[i]);
	restore_pool_raw();
	restore_thp_raw();
	signal(sig, SIG_DFL);
	raise(sig);
}

static void sig_track_pid(pid_t pid)
{
	if (sig_npids < MAX_PROCS)
		sig_pids[sig_npids++] = pid;
}

static void sig_track_path(const char *path)
{
	if (sig_npaths < (int)ARRAY_SIZE(sig_paths)) {
		snprintf(sig_paths[sig_npaths], sizeof(sig_paths[0]), "%s", path);
		sig_npaths++;
	}
}

/* --- details ------------------------------------------------------------------------ */

void host_detail(struct host_run *h, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(h->detail, sizeof(h->detail), fmt, ap);
	va_end(ap);
}

int host_fail(struct host_run *h, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(h->detail, sizeof(h->detail), fmt, ap);
	va_end(ap);
	return SCN_FAILED;
}

int host_skip(struct host_run *h, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(h->detail, sizeof(h->detail), fmt, ap);
	va_end(ap);
	return HOST_SKIP;
}

int host_env_skip(struct host_run *h, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(h->detail, sizeof(h->detail), fmt, ap);
	va_end(ap);
	if (!h->env_line) {
		h->env_line = h->cur_line;
		snprintf(h->env_why, sizeof(h->env_why), "%.500s", h->detail);
	}
	return HOST_SKIP;
}

void host_output(struct host_run *h, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n <= 0)
		return;
	if (h->out_len + (size_t)n + 1 > h->out_cap) {
		h->out_cap = (h->out_len + (size_t)n + 1) * 2;
		h->out = realloc(h->out, h->out_cap);
		if (!h->out) {
			fputs("pinmm: out of memory\n", stderr);
			exit(2);
		}
	}
	va_start(ap, fmt);
	vsnprintf(h->out + h->out_len, h->out_cap - h->out_len, fmt, ap);
	va_end(ap);
	h->out_len += (size_t)n;
}

bool host_has_detail(struct host_run *h)
{
	return h->detail[0] != '\0';
}

static void append_detail(struct host_run *h, const char *fmt, ...) __printf(2, 3);

static void append_detail(struct host_run *h, const char *fmt, ...)
{
	size_t n = strlen(h->detail);
	va_list ap;

	if (n && n + 2 < sizeof(h->detail)) {
		h->detail[n++] = ';';
		h->detail[n++] = ' ';
		h->detail[n] = '\0';
	}
	va_start(ap, fmt);
	vsnprintf(h->detail + n, sizeof(h->detail) - n, fmt, ap);
	va_end(ap);
}

/* The errno's name (EFAULT), or its number. */
const char *host_errno_name(int err)
{
	/* Two buffers: a message may name two unknown errnos. */
	static char buf[2][32];
	static unsigned int next;
	const char *n = pnm_errno_name(err);
	char *b;

	if (n)
		return n;
	b = buf[next++ & 1];
	snprintf(b, sizeof(buf[0]), "errno %d", err);
	return b;
}

/* --- names defined by skipped steps ----------------------------------------------- */

static void mark_skipped(struct host_run *h, const char *ns, const char *name, unsigned int line)
{
	if (h->nskipped == MAX_SKIPPED)
		return;
	snprintf(h->skipped[h->nskipped], sizeof(h->skipped[0]), "%s:%s", ns, name);
	h->skipped_line[h->nskipped++] = line;
}

/* Did a skipped step define @name in @ns?  Its line, or 0. */
static unsigned int skipped_at(struct host_run *h, const char *ns, const char *name)
{
	char key[SCN_MAX_NAME + 16];

	snprintf(key, sizeof(key), "%s:%s", ns, name);
	for (int i = h->nskipped; i-- > 0;)
		if (!strcmp(h->skipped[i], key))
			return h->skipped_line[i];
	return 0;
}

/* Remember every name a skipped step defines (its SCN_ARG_DEF values,
 * and the region of an `as` clause), so later steps skip too. */
static void mark_step_skipped(struct host_run *h, const struct scn_step *st)
{
	for (unsigned int i = 0; i < st->nargs; i++) {
		const struct scn_value *v = &st->args[i];

		if (v->type == SCN_ARG_DEF && v->present && v->word) {
			/* The namespace is not kept in the value: mark the name
			 * in every namespace a later reference may use. */
			mark_skipped(h, "*", v->word, st->pos.line);
		}
		if (v->type == SCN_ARG_COMMAND && v->inner)
			mark_step_skipped(h, v->inner);
	}
}

/* If a value names something a skipped step defined: HOST_SKIP with the
 * detail set, else 0. */
static int ref_skipped(struct host_run *h, const char *name)
{
	unsigned int line = skipped_at(h, "*", name);

	if (!line)
		return 0;
	return host_skip(h, "depends on %s, defined by the skipped step at line %u", name, line);
}

/* --- regions a skipped step acted on ------------------------------------------------ */

/* The line of the skipped step that tainted region @name, or 0. */
static unsigned int tainted_at(struct host_run *h, const char *name)
{
	for (int i = h->ntainted; i-- > 0;)
		if (!strcmp(h->tainted[i], name))
			return h->tainted_line[i];
	return 0;
}

/* Taint (or, @clean, clear) every region @st names in an address, through
 * wrapped commands too.  A region defined by a step that ran is clean. */
static void taint_step(struct host_run *h, const struct scn_step *st, bool clean)
{
	for (unsigned int i = 0; i < st->nargs; i++) {
		const struct scn_value *v = &st->args[i];

		if (v->type == SCN_ARG_COMMAND && v->inner) {
			taint_step(h, v->inner, clean);
			continue;
		}
		if (!v->present || !v->word)
			continue;
		if (clean && v->type == SCN_ARG_DEF) {
			for (int j = 0; j < h->ntainted; j++)
				if (!strcmp(h->tainted[j], v->word))
					h->tainted_line[j] = 0;
		} else if (!clean && v->type == SCN_ARG_ADDR && !tainted_at(h, v->word) &&
			   h->ntainted < MAX_TAINTED) {
			snprintf(h->tainted[h->ntainted], sizeof(h->tainted[0]), "%s", v->word);
			h->tainted_line[h->ntainted++] = st->pos.line;
		}
	}
}

/* A page expectation about a tainted region: HOST_SKIP with the reason,
 * else 0. */
static int page_tainted(struct host_run *h, const struct scn_step *st)
{
	if (!strcmp(st->cmd->name, "host-differs"))
		return page_tainted(h, st->args[1].inner);
	if (strcmp(st->cmd->name, "expect page"))
		return 0;
	for (unsigned int i = 0; i < st->nargs; i++) {
		const struct scn_value *v = &st->args[i];
		unsigned int line;

		if (v->type == SCN_ARG_ADDR && v->present && v->word &&
		    (line = tainted_at(h, v->word)))
			return host_skip(h, "the frames of %s depend on line %u, which the host "
					 "skipped (the model acted on them there)", v->word, line);
	}
	return 0;
}

/* --- processes ------------------------------------------------------------------- */

static void regions_inherit(struct host_run *h, int parent, int child);

struct host_proc *host_proc_at(struct host_run *h, int idx)
{
	return &h->procs[idx];
}

int host_proc_add(struct host_run *h, const char *name, pid_t pid, int fd, bool direct,
		  int parent)
{
	struct host_proc *p;

	if (h->nprocs == MAX_PROCS)
		return -1;
	p = &h->procs[h->nprocs];
	*p = (struct host_proc){ .name = name, .pid = pid, .fd = fd, .direct = direct };
	sig_track_pid(pid);
	if (parent >= 0)
		regions_inherit(h, parent, h->nprocs);
	if (parent >= 0 && h->procs[parent].nbase) {
		size_t n = h->procs[parent].nbase * 2 * sizeof(unsigned long);

		p->base = malloc(n);
		if (p->base) {
			memcpy(p->base, h->procs[parent].base, n);
			p->nbase = h->procs[parent].nbase;
		}
	} else if (parent < 0) {
		host_read_vmas(pid, &p->base, &p->nbase);
	}
	return h->nprocs++;
}

int host_proc(struct host_run *h, const struct scn_value *v)
{
	for (int i = h->nprocs; i-- > 0;) {
		if (strcmp(h->procs[i].name, v->word))
			continue;
		if (h->procs[i].exited) {
			host_detail(h, "process %s has exited", v->word);
			return -1;
		}
		return i;
	}
	if (ref_skipped(h, v->word))
		return -2;
	host_detail(h, "process %s does not exist (creating it failed)", v->word);
	return -1;
}

/* Kill process @idx now (a timeout or a broken channel), and reap it if
 * it is the runner's own child. */
static void proc_kill(struct host_run *h, int idx)
{
	struct host_proc *p = &h->procs[idx];

	if (p->exited)
		return;
	kill(p->pid, SIGKILL);
	if (p->fd >= 0)
		close(p->fd);
	p->fd = -1;
	if (p->direct)
		waitpid(p->pid, NULL, 0);
	p->exited = true;
}

/* The system call behind each request, for failure details. */
static const char *const op_calls[] = {
	[HOP_MMAP] = "mmap", [HOP_MUNMAP] = "munmap", [HOP_MPROTECT] = "mprotect",
	[HOP_MADVISE] = "madvise", [HOP_MREMAP] = "mremap", [HOP_MLOCK] = "mlock",
	[HOP_MUNLOCK] = "munlock", [HOP_WRITE] = "a CPU store", [HOP_READ] = "a CPU load",
	[HOP_FORK] = "fork", [HOP_RING_CREATE] = "io_uring_setup",
	[HOP_RING_REGISTER] = "IORING_REGISTER_BUFFERS",
	[HOP_RING_UNREGISTER] = "IORING_UNREGISTER_BUFFERS", [HOP_RING_CLOSE] = "close",
	[HOP_RING_FIXED] = "io_uring READ_FIXED/WRITE_FIXED",
	[HOP_DMA] = "io_uring READ_FIXED/WRITE_FIXED (device DMA)",
	[HOP_VMSPLICE] = "vmsplice", [HOP_FD_READ] = "read", [HOP_PVM] = "process_vm_readv/writev",
	[HOP_DIO] = "O_DIRECT pread/pwrite",
};

int64_t host_call(struct host_run *h, int idx, enum host_op op, const uint64_t a[6],
		  const void *data, size_t len, int fd, void *out, size_t outlen,
		  struct host_rep *rep, int *rfd)
{
	struct host_req q = { .op = op, .len = (uint32_t)len };
	struct host_rep local;
	struct host_proc *p = &h->procs[idx];
	int err;

	if (!rep)
		rep = &local;
	if (a)
		memcpy(q.a, a, sizeof(q.a));
	if (p->exited || p->fd < 0)
		{
		host_fail(h, "process %s has exited", p->name);
		return HOST_FAILED;
	}
	if (len > HOST_MAX_DATA)
		{
		host_fail(h, "internal: request of %zu bytes", len);
		return HOST_FAILED;
	}
	err = host_exchange(p->fd, &q, data, fd, rep, out, outlen, rfd, HOST_REPLY_TIMEOUT_MS);
	if (err == -ETIMEDOUT) {
		proc_kill(h, idx);
		host_fail(h, "process %s (pid %d) did not answer within %d s: killed",
			  p->name, (int)p->pid, HOST_REPLY_TIMEOUT_MS / 1000);
		return HOST_FAILED;
	}
	if (err) {
		proc_kill(h, idx);
		host_fail(h, "process %s (pid %d) is gone (channel: %s)", p->name,
			  (int)p->pid, host_errno_name(-err));
		return HOST_FAILED;
	}
	/* Name the system call that failed (the step adds "failed with"). */
	if (rep->ret < 0 && !h->detail[0] && op < ARRAY_SIZE(op_calls) && op_calls[op])
		host_detail(h, "%s in %s", op_calls[op], p->name);
	return rep->ret;
}

/* --- regions and objects ------------------------------------------------------------ */

void host_region_set(struct host_run *h, int idx, const char *name, uint64_t addr, uint64_t len)
{
	for (int i = 0; i < h->nregions; i++) {
		if (!strcmp(h->regions[i].name, name) && h->regions[i].proc == idx) {
			h->regions[i].addr = addr;
			h->regions[i].len = len;
			return;
		}
	}
	if (h->nregions < MAX_REGIONS)
		h->regions[h->nregions++] = (struct host_region){ name, idx, addr, len };
}

/* A fork child starts with its parent's regions. */
static void regions_inherit(struct host_run *h, int parent, int child)
{
	int n = h->nregions;

	for (int i = 0; i < n; i++)
		if (h->regions[i].proc == parent)
			host_region_set(h, child, h->regions[i].name, h->regions[i].addr,
					h->regions[i].len);
}

int host_addr(struct host_run *h, int idx, const struct scn_value *v, uint64_t *addr)
{
	int other = -1;

	if (!v->word) {
		*addr = v->num;
		return 0;
	}
	for (int i = 0; i < h->nregions; i++) {
		if (strcmp(h->regions[i].name, v->word))
			continue;
		if (h->regions[i].proc == idx) {
			*addr = h->regions[i].addr + v->num;
			return 0;
		}
		other = i;
	}
	/* Mapped in another process only: the scenario means the address
	 * the name has there (agents run without address randomisation, so
	 * equal histories give equal addresses, as in the model). */
	if (other >= 0) {
		*addr = h->regions[other].addr + v->num;
		return 0;
	}
	if (ref_skipped(h, v->word))
		return HOST_SKIP;
	return host_fail(h, "region %s was never mapped (its mmap failed)", v->word);
}

struct host_obj *host_obj_add(struct host_run *h, const char *ns, const char *name)
{
	struct host_obj *o = host_obj_find(h, ns, name);

	if (o)
		host_obj_remove(h, o);
	if (h->nobjs == MAX_OBJS)
		return NULL;
	o = calloc(1, sizeof(*o));
	if (!o)
		return NULL;
	snprintf(o->ns, sizeof(o->ns), "%s", ns);
	snprintf(o->name, sizeof(o->name), "%s", name);
	o->fd = o->fd2 = o->proc = o->slot = -1;
	h->objs[h->nobjs++] = o;
	return o;
}

struct host_obj *host_obj_find(struct host_run *h, const char *ns, const char *name)
{
	for (int i = 0; i < h->nobjs; i++)
		if (!strcmp(h->objs[i]->ns, ns) && !strcmp(h->objs[i]->name, name))
			return h->objs[i];
	return NULL;
}

struct host_obj *host_obj_get(struct host_run *h, const char *ns, const struct scn_value *v,
			      int *rc)
{
	struct host_obj *o = host_obj_find(h, ns, v->word);

	if (o)
		return o;
	*rc = ref_skipped(h, v->word);
	if (!*rc)
		*rc = host_fail(h, "%s %s does not exist (its step failed, or it was closed)", ns,
				v->word);
	return NULL;
}

void host_obj_remove(struct host_run *h, struct host_obj *o)
{
	for (int i = 0; i < h->nobjs; i++) {
		if (h->objs[i] != o)
			continue;
		memmove(&h->objs[i], &h->objs[i + 1], (size_t)(h->nobjs - i - 1) * sizeof(o));
		h->nobjs--;
		break;
	}
	if (o->fd >= 0)
		close(o->fd);
	if (o->fd2 >= 0)
		close(o->fd2);
	free(o->iov);
	free(o);
}

const char *host_disk_dir(struct host_run *h)
{
	return h->disk_dir;
}

const char *host_shm_dir(struct host_run *h)
{
	return h->shm_dir;
}

/* Record a path the run created, for removal on a fatal signal. */
void host_track_path(const char *path)
{
	sig_track_path(path);
}

/* --- the hugetlb pool ------------------------------------------------------------------ */

/* Set the 2M pool to @pages (above what it had when the run began); 0,
 * or -errno / -ENOSPC with the detail set. */
int host_hugetlb_set(struct host_run *h, unsigned long pages)
{
	static long orig = -1;
	char buf[32];
	long now;
	FILE *f;

	if (!sig_pool[0]) {
		f = fopen(nr_hugepages_path, "re");
		if (!f || fscanf(f, "%ld", &orig) != 1) {
			if (f)
				fclose(f);
			return host_env_skip(h, "cannot read %s", nr_hugepages_path);
		}
		fclose(f);
		snprintf(sig_pool, sizeof(sig_pool), "%ld\n", orig);
	} else {
		orig = strtol(sig_pool, NULL, 10);
	}
	f = fopen(nr_hugepages_path, "we");
	if (!f)
		return host_env_skip(h, "cannot raise the hugetlb pool: open %s: %s", nr_hugepages_path,
				 strerror(errno));
	fprintf(f, "%lu\n", (unsigned long)orig + pages);
	if (fclose(f))
		return host_env_skip(h, "cannot raise the hugetlb pool: write %s: %s",
				 nr_hugepages_path, strerror(errno));
	f = fopen(nr_hugepages_path, "re");
	if (!f || fscanf(f, "%ld", &now) != 1)
		now = -1;
	if (f)
		fclose(f);
	snprintf(buf, sizeof(buf), "%ld", now);
	if (now != orig + (long)pages)
		return host_env_skip(h, "the host's hugetlb pool could not grow to %lu pages (it has %s)",
				 (unsigned long)orig + pages, buf);
	host_detail(h, "host pool nr_hugepages %ld -> %ld (restored at the end)", orig, now);
	return 0;
}

/* --- THP switches ---------------------------------------------------------------------- */

/* host_thp_set - set the sysfs THP switch @path (whose value is @have now)
 * to @want for the run; restored at the end and on a signal.  0, or
 * HOST_SKIP (an environment skip) if it cannot be written. */
int host_thp_set(struct host_run *h, const char *path, const char *have, const char *want)
{
	int fd, i;

	for (i = 0; i < sig_nthp; i++)
		if (!strcmp(sig_thp[i].path, path))
			break;
	if (i == sig_nthp) {
		if (i == MAX_THP_SWITCHES)
			return host_env_skip(h, "the run changed too many THP switches");
		snprintf(sig_thp[i].path, sizeof(sig_thp[i].path), "%s", path);
		snprintf(sig_thp[i].value, sizeof(sig_thp[i].value), "%s", have);
		/* Recorded before the write, so a signal restores it. */
		sig_nthp = i + 1;
	}
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, want, strlen(want)) < 0) {
		int err = errno;

		if (fd >= 0)
			close(fd);
		return host_env_skip(h, "%s is %s, the scenario's %s, and cannot be set: %s", path,
				     have, want, strerror(err));
	}
	close(fd);
	host_detail(h, "host %s: %s -> %s (restored at the end)", path, have, want);
	return 0;
}

/* --- swap ------------------------------------------------------------------------------ */

/* The fields of a swap area's first page that swapon(2) reads (version 1):
 * after 1024 bytes of boot block, the version, the last usable page and
 * the bad-page count; the signature ends the page. */
struct swap_area_info {
	uint32_t version;
	uint32_t last_page;
	uint32_t nr_badpages;
};
#define SWAP_INFO_OFFSET	1024
#define SWAP_SIGNATURE		"SWAPSPACE2"

/* Write a swap area of @bytes to @fd: zeros with the header page. */
static int write_swap_area(int fd, uint64_t bytes)
{
	long psize = sysconf(_SC_PAGESIZE);
	struct swap_area_info info = { 1, (uint32_t)(bytes / (uint64_t)psize - 1), 0 };
	char *page = calloc(1, (size_t)psize);
	int ret = 0;

	if (!page)
		return -ENOMEM;
	for (uint64_t off = 0; off < bytes && !ret; off += (uint64_t)psize) {
		if (off == 0) {
			memcpy(page + SWAP_INFO_OFFSET, &info, sizeof(info));
			memcpy(page + psize - strlen(SWAP_SIGNATURE), SWAP_SIGNATURE,
			       strlen(SWAP_SIGNATURE));
		}
		if (pwrite(fd, page, (size_t)psize, (off_t)off) != psize)
			ret = errno ? -errno : -EIO;
		if (off == 0)
			memset(page, 0, (size_t)psize);
	}
	if (!ret && fsync(fd))
		ret = -errno;
	free(page);
	return ret;
}

/* host_swap_on - give the host a swap device of @bytes for the run: a file
 * in the run's directory on the disk filesystem, preferred over any other
 * device, turned off and removed at the end.  0, or HOST_SKIP (the host's
 * environment then differs: no swap file could be made or turned on). */
int host_swap_on(struct host_run *h, uint64_t bytes)
{
	char path[sizeof(sig_swap)];
	int fd, ret;

	if (sig_swap[0])
		return host_env_skip(h, "the run has a swap device already");
	snprintf(path, sizeof(path), "%.200s/swapfile", h->disk_dir);
	fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return host_env_skip(h, "no swap device: open(%s): %s", path, strerror(errno));
	ret = write_swap_area(fd, bytes);
	close(fd);
	if (ret) {
		unlink(path);
		return host_env_skip(h, "no swap device: writing %s: %s", path, strerror(-ret));
	}
	/* Tracked before swapon, so a signal in between still removes it. */
	snprintf(sig_swap, sizeof(sig_swap), "%s", path);
	if (swapon(path, SWAP_FLAG_PREFER | (32767 & SWAP_FLAG_PRIO_MASK))) {
		ret = errno;
		unlink(path);
		sig_swap[0] = '\0';
		return host_env_skip(h, "no swap device: swapon(%s): %s", path, strerror(ret));
	}
	host_detail(h, "host swap file of %llu KiB on (off and removed at the end)",
		    (unsigned long long)(bytes >> 10));
	return 0;
}

/* host_swap_off - turn the run's swap device off (its pages come back in)
 * and remove it: 0, -errno of swapoff(2), or SCN_FAILED with the detail
 * set when the run has none. */
int host_swap_off(struct host_run *h)
{
	if (!sig_swap[0])
		return host_fail(h, "the run has no swap device");
	if (swapoff(sig_swap))
		return -errno;
	unlink(sig_swap);
	sig_swap[0] = '\0';
	return 0;
}

/* --- counters ------------------------------------------------------------------------- */

bool host_pin_counters(long out[2])
{
	char line[128];
	int found = 0;
	FILE *f;
	int fd = open("/proc/sys/vm/stat_refresh", O_WRONLY | O_CLOEXEC);

	if (fd >= 0) {
		if (write(fd, "1", 1) < 0) {
			/* the values are then only approximate */
		}
		close(fd);
	}
	f = fopen("/proc/vmstat", "re");
	if (!f)
		return false;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "nr_foll_pin_acquired %ld", &out[0]) == 1)
			found |= 1;
		else if (sscanf(line, "nr_foll_pin_released %ld", &out[1]) == 1)
			found |= 2;
	}
	fclose(f);
	return found == 3;
}

unsigned int host_window_skipped(struct host_run *h)
{
	return h->window_skipped;
}

bool host_pin_window(struct host_run *h, int which, long *delta)
{
	if (!h->watch_pins || !h->window_ok)
		return false;
	*delta = h->after[which] - h->before[which];
	return true;
}

/* --- dispatch --------------------------------------------------------------------------- */

static const struct host_cmd *const tables[] = { host_mem_cmds, host_io_cmds, host_expect_cmds };

static const struct host_cmd *lookup(const char *path)
{
	for (size_t t = 0; t < ARRAY_SIZE(tables); t++)
		for (const struct host_cmd *c = tables[t]; c->path; c++)
			if (!strcmp(c->path, path))
				return c;
	return NULL;
}

/* The command path of @st ("io uring register") and the values its
 * handler takes. */
static const struct scn_value *step_path(const struct scn_step *st, char *path, size_t size)
{
	const char *name = st->cmd->name;

	if (!strcmp(name, "io") || !strcmp(name, "expect io")) {
		snprintf(path, size, "%s %s %s", name, st->args[0].variant->name,
			 st->args[1].variant->name);
		return st->args + 2;
	}
	snprintf(path, size, "%s", name);
	return st->args;
}

static int run_inner(struct host_run *h, const struct scn_step *st);

/* expect fail ERRNO COMMAND: the command's real errno. */
static int expect_fail(struct host_run *h, const struct scn_step *st)
{
	int want = st->args[0].index;
	int ret = run_inner(h, st->args[1].inner);

	if (ret == SCN_FAILED || ret == HOST_SKIP)
		return ret;
	if (ret == 0)
		return host_fail(h, "succeeded; expected %s", host_errno_name(want));
	if (-ret != want)
		return host_fail(h, "failed with %s; expected %s", host_errno_name(-ret),
				 host_errno_name(want));
	host_detail(h, "failed with %s as expected", host_errno_name(-ret));
	return 0;
}

static int run_inner(struct host_run *h, const struct scn_step *st)
{
	const struct host_cmd *c;
	const struct scn_value *a;
	char path[128];

	if (!strcmp(st->cmd->name, "expect fail"))
		return expect_fail(h, st);
	if (!strcmp(st->cmd->name, "host-differs"))
		return run_inner(h, st->args[1].inner);
	a = step_path(st, path, sizeof(path));
	c = lookup(path);
	if (!c && (!strcmp(st->cmd->name, "io") || !strcmp(st->cmd->name, "expect io")) &&
	    host_io_site_skip(st->args[0].variant->name))
		return host_skip(h, "not expressible on the host: %s",
				 host_io_site_skip(st->args[0].variant->name));
	if (!c)
		return host_skip(h, "not expressible on the host: '%s' has no host counterpart",
				 path);
	if (!c->run)
		return host_skip(h, "not expressible on the host: %s", c->skip);
	return c->run(h, st, a);
}

static void report(struct host_run *h, const struct scn_step *st, unsigned int line,
		   const char *command, enum scn_status status)
{
	struct scn_result res = {
		.step = st,
		.file = h->script->name,
		.line = line,
		.command = command,
		.status = status,
		.detail = h->detail,
		.output = h->out_len ? h->out : "",
		.data = "",
	};

	if (status == SCN_ST_PASS)
		h->passed++;
	else if (status == SCN_ST_FAIL)
		h->failed++;
	h->sink->step(h->sink, &res);
	h->detail[0] = '\0';
	h->out_len = 0;
	if (h->out)
		h->out[0] = '\0';
}

/* The flags that decide a step's status: a wrapper's are its command's. */
static unsigned int step_flags(const struct scn_step *st)
{
	if (!strcmp(st->cmd->name, "host-differs"))
		return step_flags(st->args[1].inner);
	return st->cmd->flags;
}

static void run_step(struct host_run *h, const struct scn_step *st)
{
	unsigned int flags = step_flags(st);
	bool observe = flags & SCN_OBSERVE;
	enum scn_status status;
	int ret;

	h->cur_line = st->pos.line;
	if (h->env_line) {
		host_skip(h, "the host's environment differs from the scenario's since line %u: "
			  "%.400s", h->env_line, h->env_why);
		report(h, st, st->pos.line, st->text, SCN_ST_SKIP);
		return;
	}
	if (h->watch_pins && !observe)
		h->window_ok = host_pin_counters(h->before);
	ret = run_inner(h, st);
	/* A page expectation about frames the model changed in a step the
	 * host skipped compares nothing (the handler's own reason first). */
	if (observe && ret != HOST_SKIP && page_tainted(h, st))
		ret = HOST_SKIP;
	if (h->watch_pins && !observe)
		h->window_ok = h->window_ok && host_pin_counters(h->after);
	if (!observe) {
		/* What a skipped acting step did in the model, the host did not:
		 * the counter window measures nothing, and the frames of the
		 * regions it names may differ from here on. */
		h->window_skipped = ret == HOST_SKIP ? st->pos.line : 0;
		if (ret == HOST_SKIP)
			taint_step(h, st, false);
		else if (ret == 0)
			taint_step(h, st, true);
	}
	if (ret == 0) {
		status = (flags & SCN_EXPECT) ? SCN_ST_PASS : SCN_ST_OK;
	} else if (ret == HOST_SKIP) {
		status = SCN_ST_SKIP;
		mark_step_skipped(h, st);
	} else if (ret == SCN_FAILED) {
		status = SCN_ST_FAIL;
	} else {
		status = SCN_ST_FAIL;
		append_detail(h, "failed with %s", host_errno_name(-ret));
	}
	if (!strcmp(st->cmd->name, "host-differs"))
		append_detail(h, "known difference: %s", (const char *)st->args[0].data);
	report(h, st, st->pos.line, st->text, status);
}

/* Does the script expect one of the host-visible pin counters? */
static bool wants_pin_counters(const struct scn_step *st)
{
	if (!strcmp(st->cmd->name, "expect counter") &&
	    (!strcmp(st->args[0].word, "nr_foll_pin_acquired") ||
	     !strcmp(st->args[0].word, "nr_foll_pin_released")))
		return true;
	for (unsigned int i = 0; i < st->nargs; i++)
		if (st->args[i].type == SCN_ARG_COMMAND && st->args[i].inner &&
		    wants_pin_counters(st->args[i].inner))
			return true;
	return false;
}

/* --- availability, set-up and teardown -------------------------------------------------- */

/* host_available - can scenarios run on this host?  See host.h. */
int host_available(char *why, size_t size)
{
	char buf[16] = "";
	FILE *f;

	if (access("/proc/self/pagemap", R_OK)) {
		snprintf(why, size, "/proc/self/pagemap is not readable");
		return -ENOSYS;
	}
	f = fopen("/proc/sys/kernel/io_uring_disabled", "re");
	if (f) {
		if (!fgets(buf, sizeof(buf), f))
			buf[0] = '\0';
		fclose(f);
		if (buf[0] && buf[0] != '0') {
			snprintf(why, size, "io_uring is disabled (kernel.io_uring_disabled=%c)",
				 buf[0]);
			return -ENOSYS;
		}
	}
#ifndef PINMM_HAVE_LIBURING
	snprintf(why, size, "pinmm was built without liburing");
	return -ENOSYS;
#endif
	return 0;
}

/* Make a private directory under @parent; @want_tmpfs says which kind of
 * filesystem it must be on. */
static int make_dir(char *out, size_t size, const char *parent, bool want_tmpfs, char *why,
		    size_t wsize)
{
	struct statfs sf;

	snprintf(out, size, "%s/pinmm-host-XXXXXX", parent);
	if (!mkdtemp(out)) {
		snprintf(why, wsize, "mkdtemp(%s): %s", out, strerror(errno));
		out[0] = '\0';
		return -errno;
	}
	sig_track_path(out);
	if (statfs(out, &sf) == 0 && (sf.f_type == 0x01021994 /* TMPFS_MAGIC */) != want_tmpfs) {
		snprintf(why, wsize, "%s is %son tmpfs", parent, want_tmpfs ? "not " : "");
		return -ENOTSUP;
	}
	return 0;
}

static void empty_dir(const char *dir);

static void teardown(struct host_run *h)
{
	bool reap = false;

	/* Agents: ask none, kill all; the runner's end of each channel closes. */
	for (int i = 0; i < h->nprocs; i++) {
		struct host_proc *p = &h->procs[i];

		if (!p->exited)
			kill(p->pid, SIGKILL);
		if (p->fd >= 0)
			close(p->fd);
		p->fd = -1;
		p->exited = true;
		reap = true;
		free(p->base);
		p->base = NULL;
	}
	/* Direct children and, through PR_SET_CHILD_SUBREAPER, orphaned
	 * forks come back to the runner: reap until none is left. */
	while (reap && waitpid(-1, NULL, 0) > 0)
		;
	swap_off_raw();
	while (h->nobjs) {
		struct host_obj *o = h->objs[h->nobjs - 1];

		if (o->unlink_path && o->path[0])
			unlink(o->path);
		host_obj_remove(h, o);
	}
	empty_dir(h->disk_dir);
	empty_dir(h->shm_dir);
	if (h->disk_dir[0])
		rmdir(h->disk_dir);
	if (h->shm_dir[0])
		rmdir(h->shm_dir);
	restore_pool_raw();
	sig_pool[0] = '\0';
	restore_thp_raw();
	sig_npids = 0;
	sig_npaths = 0;
}

/* Remove every file left in a private directory of the run (it holds
 * only files the run created; a closed file's object is gone already). */
static void empty_dir(const char *dir)
{
	struct dirent *e;
	DIR *d;

	if (!dir[0] || !(d = opendir(dir)))
		return;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		unlinkat(dirfd(d), e->d_name, 0);
	}
	closedir(d);
}

/* scn_run_script_host - run @script on the host; see host.h. */
int scn_run_script_host(const struct scn_script *script, const struct scn_run_opts *opts,
			struct scn_sink *sink, unsigned int *passed, unsigned int *failed)
{
	struct host_run *h = calloc(1, sizeof(*h));
	unsigned int last_line = script->nlines ? script->nlines : 1;
	struct sigaction sa = { .sa_handler = fatal_signal };
	char why[512];
	int ret;

	(void)opts;
	if (!h) {
		fputs("pinmm: out of memory\n", stderr);
		exit(2);
	}
	h->script = script;
	h->sink = sink;
	sink->begin_file(sink, script->name);
	ret = host_available(why, sizeof(why));
	if (ret) {
		host_detail(h, "the host cannot run scenarios: %s", why);
		report(h, NULL, 1, "host", SCN_ST_SKIP);
		goto out;
	}
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	if (make_dir(h->disk_dir, sizeof(h->disk_dir), "/var/tmp", false, why, sizeof(why)) ||
	    make_dir(h->shm_dir, sizeof(h->shm_dir), "/dev/shm", true, why, sizeof(why))) {
		host_detail(h, "host set-up: %s", why);
		report(h, NULL, 1, "host", SCN_ST_FAIL);
		ret = -EIO;
		goto out_teardown;
	}
	for (unsigned int i = 0; i < script->nsteps; i++)
		if (wants_pin_counters(script->steps[i]))
			h->watch_pins = true;
	for (unsigned int i = 0; i < script->nsteps && !h->stop; i++) {
		const char *self = getenv("PINMM_HOST_SELFKILL");

		/* Test hook: the runner is "interrupted" before this line. */
		if (self && (unsigned int)atoi(self) == script->steps[i]->pos.line)
			raise(SIGTERM);
		run_step(h, script->steps[i]);
	}
	ret = 0;
out_teardown:
	teardown(h);
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	(void)last_line;
out:
	sink->end_file(sink, script->name, h->passed, h->failed, NULL, "");
	*passed += h->passed;
	*failed += h->failed;
	free(h->out);
	free(h);
	return ret;
}
