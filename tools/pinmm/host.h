/* SPDX-License-Identifier: MIT */
/*
 * host.h - running scenarios on the host's Linux kernel (`pinmm run --host`,
 * `pinmm diff`).
 *
 * The model executes a scenario against libpinmm; the host executor executes
 * the same parsed script (scn_parse.c) with real system calls, so that every
 * disagreement between the two is found by a command.  Pieces:
 *
 *   host.c         the executor: one run per script, the handler lookup,
 *                  SKIP handling, the counter window, cleanup on every path
 *                  (normal end, a failing step, a runner error, SIGINT /
 *                  SIGTERM), hugetlb pool raising and restoring
 *   host_agent.c   the agents: each scenario process is a real process
 *                  (exec'ed pinmm in agent mode, or a fork of one) serving
 *                  requests over a socketpair; and the runner's side of the
 *                  protocol (send a request, wait a bounded time for the
 *                  reply, pass descriptors with SCM_RIGHTS)
 *   host_mem.c     processes, mappings, CPU accesses, files, memfd, seals
 *   host_io.c      io_uring fixed buffers and the pins expressed by them,
 *                  vmsplice, process_vm_readv/writev, O_DIRECT
 *   host_expect.c  expectations: reads, errnos, pagemap/kpageflags page
 *                  properties, the pin counters of /proc/vmstat, RSS
 *   host_diff.c    `pinmm diff`: model and host side by side
 *
 * Handlers are found by the step's command path ("mmap", "io uring
 * register", "expect io dio result"); a step without a handler, or with a
 * table entry that names a reason instead of a handler, is reported SKIP
 * with the reason: nothing the host cannot do is faked.
 *
 * Single-threaded: the runner serves one step at a time; each agent is a
 * single-threaded process.
 */
#ifndef PINMM_HOST_H
#define PINMM_HOST_H

#include <stdint.h>
#include <sys/types.h>
#include "scn.h"

/* A handler's result besides 0, -errno and SCN_FAILED: not expressible on
 * the host (the detail holds the reason). */
#define HOST_SKIP	2

/* host_call()'s result when the runner got no answer (the process has
 * exited, timed out or lost its channel; the detail says which).  Apart
 * from every value an agent returns -- -errno, or a count, a slot or an
 * address that may well be 1 or 2 -- so it cannot be SCN_FAILED. */
#define HOST_FAILED	INT64_MIN

/* Time an agent has to answer one request (then it is killed). */
#define HOST_REPLY_TIMEOUT_MS	10000

/* Bytes of data one request or reply carries at most. */
#define HOST_MAX_DATA	(256u << 10)

/* The argument of the hidden subcommand that turns pinmm into an agent. */
#define HOST_AGENT_ARG	"__host-agent"

/* --- the agent protocol ------------------------------------------------------- */
enum host_op {
	HOP_PING = 1,		/* -> 0 */
	HOP_MMAP,		/* hint len prot flags off align (+fd) -> address */
	HOP_MUNMAP,		/* addr len */
	HOP_MPROTECT,		/* addr len prot */
	HOP_MADVISE,		/* addr len advice */
	HOP_MREMAP,		/* addr oldlen newlen flags newaddr -> address */
	HOP_MLOCK,		/* addr len */
	HOP_MUNLOCK,		/* addr len */
	HOP_WRITE,		/* addr, data -> 0 | -EFAULT (v[0]: the address) */
	HOP_READ,		/* addr len -> data | -EFAULT */
	HOP_FORK,		/* -> child pid, and its channel as a descriptor */
	HOP_EXIT,		/* answers, then exits */
	HOP_RING_CREATE,	/* -> ring slot */
	HOP_RING_REGISTER,	/* slot addr len count stride empty */
	HOP_RING_UNREGISTER,	/* slot */
	HOP_RING_CLOSE,		/* slot */
	HOP_RING_FIXED,		/* slot write buf addr len off (+fd) -> cqe res */
	HOP_DMA,		/* slot write addr len (+data) -> bytes (+data) */
	HOP_VMSPLICE,		/* addr len (+fd) -> bytes */
	HOP_FD_READ,		/* addr len (+fd): read(2) into memory -> bytes */
	HOP_PVM,		/* pid write nlocal nremote flags, data = iovecs */
	HOP_DIO,		/* write addr len off (+fd) -> bytes */
};

struct host_req {
	uint32_t op;		/* enum host_op */
	uint32_t len;		/* data bytes following */
	uint64_t a[6];
};

struct host_rep {
	int64_t ret;		/* >= 0 result, or -errno */
	uint32_t len;		/* data bytes following */
	uint32_t pad;
	uint64_t v[2];		/* extra results (fault address ...) */
};

/* Entry of an exec'ed agent (main.c's hidden subcommand): serves fd 3. */
int host_agent_main(int argc, char **argv);

/* --- the runner ----------------------------------------------------------------- */
struct host_run;

struct host_proc {
	const char *name;	/* the script's process name */
	pid_t pid;
	int fd;			/* the runner's end of the channel, -1 once gone */
	bool exited;
	bool direct;		/* a child of the runner (else of another agent) */
	unsigned long *base;	/* the agent's own VMAs: start, end pairs */
	size_t nbase;
};

/* Objects the handlers keep by name (files, rings, pins ...). */
struct host_obj {
	char ns[16];
	char name[SCN_MAX_NAME * 2 + 2];
	int proc;		/* owning process index, or -1 */
	int slot;		/* agent ring slot */
	int fd, fd2;		/* descriptors the runner holds, or -1 */
	char path[256];		/* a file's host path ("" for memfd) */
	bool unlink_path;	/* created by the run: removed at the end */
	int kind;		/* handler-defined */
	long val;		/* a result (bytes, -errno) */
	bool done;
	uint64_t addr, len;
	uint64_t *iov;		/* address, length pairs (pvm vectors) */
	size_t niov;
};

/*
 * A host handler: 0 (done / held), -errno (the system call failed: the
 * step's errno), SCN_FAILED (did not hold / could not run; detail set) or
 * HOST_SKIP (not expressible; detail holds the reason).  @a are the values
 * of the command itself, or for `io` / `expect io` those of the verb.
 */
typedef int host_handler_fn(struct host_run *h, const struct scn_step *st,
			    const struct scn_value *a);

struct host_cmd {
	const char *path;	/* "mmap", "io uring register", "expect io pvm result" */
	host_handler_fn *run;	/* NULL: always skipped with @skip */
	const char *skip;	/* why the host cannot express it */
};

/* The tables of the handler files (NULL-path terminated). */
extern const struct host_cmd host_mem_cmds[];
extern const struct host_cmd host_io_cmds[];
extern const struct host_cmd host_expect_cmds[];

/*
 * Execute @script on the host kernel, reporting each step to @sink as
 * scn_run_script does (SKIP for what the host cannot express).  Adds the
 * passed/failed expectation counts.  Returns 0, or -errno if the run could
 * not even start (reported as a FAIL step too).  Every process it created
 * is killed and reaped before it returns.
 */
int scn_run_script_host(const struct scn_script *script, const struct scn_run_opts *opts,
			struct scn_sink *sink, unsigned int *passed, unsigned int *failed);

/* Can the host run scenarios at all?  0, or -errno with @why set. */
int host_available(char *why, size_t size);

/* --- helpers for the handlers (host.c) --------------------------------------------- */
void host_detail(struct host_run *h, const char *fmt, ...) __printf(2, 3);
int host_fail(struct host_run *h, const char *fmt, ...) __printf(2, 3);
int host_skip(struct host_run *h, const char *fmt, ...) __printf(2, 3);
/* Like host_skip, for a step that sets up the scenario's environment (a
 * THP size, the hugetlb pool, swap, the zero page) which the host cannot
 * match: every later step of the run is skipped too, naming this one. */
int host_env_skip(struct host_run *h, const char *fmt, ...) __printf(2, 3);
void host_output(struct host_run *h, const char *fmt, ...) __printf(2, 3);
/* Has the step's detail been set already? */
bool host_has_detail(struct host_run *h);
/* The live process a SCN_NS_PROCESS value names: its index, or -1 with the
 * detail set (HOST_SKIP-worthy if skipped: see host_ref_skipped). */
int host_proc(struct host_run *h, const struct scn_value *v);
struct host_proc *host_proc_at(struct host_run *h, int idx);
/* Add a process; returns its index. */
int host_proc_add(struct host_run *h, const char *name, pid_t pid, int fd, bool direct,
		  int parent);
/* Resolve an address value (region + offset) in process @idx: a region's
 * address is per process (fork children start with their parent's).  0,
 * or SCN_FAILED / HOST_SKIP with the detail set. */
int host_addr(struct host_run *h, int idx, const struct scn_value *v, uint64_t *addr);
/* Record region @name = [addr, addr + len) in process @idx. */
void host_region_set(struct host_run *h, int idx, const char *name, uint64_t addr, uint64_t len);
/* Objects: add (a zeroed object with fds -1 is returned), find, remove
 * (closing its fds and unlinking a created path). */
struct host_obj *host_obj_add(struct host_run *h, const char *ns, const char *name);
struct host_obj *host_obj_find(struct host_run *h, const char *ns, const char *name);
void host_obj_remove(struct host_run *h, struct host_obj *o);
/* The object @v names in @ns, or NULL with the detail set; *@rc is the
 * handler's result then (SCN_FAILED, or HOST_SKIP if a skipped step
 * defined the name). */
struct host_obj *host_obj_get(struct host_run *h, const char *ns, const struct scn_value *v,
			      int *rc);
/* The private directories of the run: on the disk filesystem, on tmpfs. */
const char *host_disk_dir(struct host_run *h);
const char *host_shm_dir(struct host_run *h);

/*
 * Send request @op with args to process @idx, with @data (@len bytes) and
 * descriptor @fd (or -1); wait up to HOST_REPLY_TIMEOUT_MS for the reply.
 * The reply's data (up to @outlen bytes) goes to @out and its descriptor,
 * if any, to *@rfd.  Returns the reply's ret (>= 0 or -errno), or
 * HOST_FAILED with the detail set if the agent died or timed out (it is
 * killed then).  Compare with HOST_FAILED, never SCN_FAILED: a reply's
 * count or slot may be 1.
 */
int64_t host_call(struct host_run *h, int idx, enum host_op op, const uint64_t a[6],
		  const void *data, size_t len, int fd, void *out, size_t outlen,
		  struct host_rep *rep, int *rfd);
/* The counter window: the change of nr_foll_pin_acquired (0) / released
 * (1) over the last acting step into *@delta; false if it could not be
 * read. */
bool host_pin_window(struct host_run *h, int which, long *delta);
/* The line of the acting step the counter window measured if the host
 * skipped it (the window then measures nothing), else 0. */
unsigned int host_window_skipped(struct host_run *h);
/* Their values now (after stat_refresh); false if unreadable. */
bool host_pin_counters(long out[2]);
/* The name of errno @err ("EFAULT"), or "errno N". */
const char *host_errno_name(int err);
/* Record a path the run created (removed on a fatal signal too). */
void host_track_path(const char *path);
/* Raise the host's 2M hugetlb pool by @pages over its size at the start
 * of the run (restored at the end): 0, or HOST_SKIP with the reason. */
int host_hugetlb_set(struct host_run *h, unsigned long pages);
/* Set the sysfs THP switch @path from @have to @want for the run
 * (restored at the end, on a signal too): 0 or HOST_SKIP. */
int host_thp_set(struct host_run *h, const char *path, const char *have, const char *want);
/* A swap device of @bytes for the run (a file on the disk filesystem,
 * off and removed at the end, on a signal too): 0 or HOST_SKIP (an
 * environment skip).  host_swap_off: 0, -errno or SCN_FAILED. */
int host_swap_on(struct host_run *h, uint64_t bytes);
int host_swap_off(struct host_run *h);
/* CPU loads of process @idx (host_mem.c): 0, -EFAULT or SCN_FAILED. */
int host_user_read(struct host_run *h, int idx, uint64_t addr, void *buf, size_t len);
/* The open file a SCN_NS_FILE value names (host_mem.c), or NULL with
 * *@rc the handler's result. */
struct host_obj *host_file(struct host_run *h, const struct scn_value *v, int *rc);
/* Why every verb of io site @site is skipped, or NULL (host_io.c). */
const char *host_io_site_skip(const char *site);

/* --- the agent side and the runner's channel (host_agent.c) --------------------- */
/* Start an agent process (exec'ed pinmm).  0 + pid and channel, or -errno
 * with @why naming the failing system call. */
int host_agent_spawn(pid_t *pid, int *fd, char *why, size_t size);
/* One request/response exchange on @fd (contract of host_call); returns
 * 0, -ETIMEDOUT, -EPIPE (the agent is gone) or another -errno. */
int host_exchange(int fd, const struct host_req *req, const void *data, int sfd,
		  struct host_rep *rep, void *out, size_t outlen, int *rfd, int timeout_ms);
/* The VMAs of process @pid: a malloc'ed array of start, end pairs. */
int host_read_vmas(pid_t pid, unsigned long **out, size_t *n);

#endif /* PINMM_HOST_H */
