/* SPDX-License-Identifier: MIT */
/*
 * host_agent.c - the processes of a scenario run on the host, and the
 * channel the runner drives them through (host.h has the protocol).
 *
 * An agent is pinmm exec'ed with the hidden subcommand __host-agent and its
 * end of a socketpair as descriptor 3: a fresh, single-threaded process whose
 * own memory (the binary, its static buffers, its stack) is touched once at
 * start-up, so that what the scenario maps and touches is all that changes
 * afterwards.  It serves one request at a time and exits when the runner's
 * end of the channel closes (the runner exited or was killed): an agent
 * never outlives its runner.  A direct child of the runner also has
 * PR_SET_PDEATHSIG; `fork A B` forks agent A, and the copy serves a fresh
 * socketpair whose other end travels to the runner with SCM_RIGHTS.
 *
 * CPU accesses (HOP_WRITE, HOP_READ) copy byte by byte under a SIGSEGV /
 * SIGBUS handler: a fault ends the copy with -EFAULT and the faulting
 * address, as the model's user access does.
 *
 * io_uring: an agent holds up to AGENT_RINGS rings (liburing); fixed
 * buffers registered on one stay pinned (FOLL_PIN | FOLL_LONGTERM) until
 * they are unregistered.  Device DMA through a registered buffer is a
 * READ_FIXED (the device writes memory) or WRITE_FIXED (it reads memory)
 * against a memfd staging file of the agent.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/wait.h>
#ifdef PINMM_HAVE_LIBURING
#include <liburing.h>
#endif
#include "host.h"

#define AGENT_FD	3
#define AGENT_RINGS	16
#define AGENT_GUARD	(1UL << 30)
#define AGENT_HOLE	(1UL << 30)	/* unmapped, between guard and scenario */
#define AGENT_IOVS	4096

/* --- the channel ------------------------------------------------------------------ */

/* Write all of @len bytes (a stream socket may take them in parts). */
static int write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EPIPE;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Send @hdr (@hlen bytes) with descriptor @fd (>= 0) attached, then @data. */
static int send_msg(int sock, const void *hdr, size_t hlen, int fd, const void *data,
		    size_t len)
{
	struct iovec iov = { (void *)hdr, hlen };
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	ssize_t n;

	if (fd >= 0) {
		struct cmsghdr *c;

		memset(&u, 0, sizeof(u));
		msg.msg_control = u.buf;
		msg.msg_controllen = sizeof(u.buf);
		c = CMSG_FIRSTHDR(&msg);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof(int));
	}
	do
		n = sendmsg(sock, &msg, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	if ((size_t)n < hlen && write_all(sock, (const char *)hdr + n, hlen - (size_t)n))
		return -EPIPE;
	return len ? write_all(sock, data, len) : 0;
}

/* Wait until @fd is readable; -ETIMEDOUT after @timeout_ms (< 0: forever). */
static int wait_readable(int fd, int timeout_ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	int n;

	do
		n = poll(&p, 1, timeout_ms);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	return n ? 0 : -ETIMEDOUT;
}

/* Read exactly @len bytes (the first part may carry a descriptor: *@rfd). */
static int recv_all(int sock, void *buf, size_t len, int *rfd, int timeout_ms)
{
	char *p = buf;

	while (len) {
		union {
			char buf[CMSG_SPACE(sizeof(int))];
			struct cmsghdr align;
		} u;
		struct iovec iov = { p, len };
		struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
				      .msg_control = u.buf, .msg_controllen = sizeof(u.buf) };
		struct cmsghdr *c;
		ssize_t n;
		int err = wait_readable(sock, timeout_ms);

		if (err)
			return err;
		n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EPIPE;
		for (c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
			if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
				int fd;

				memcpy(&fd, CMSG_DATA(c), sizeof(int));
				if (rfd && *rfd < 0)
					*rfd = fd;
				else
					close(fd);
			}
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* host_exchange - one request and its reply; see host.h. */
int host_exchange(int fd, const struct host_req *req, const void *data, int sfd,
		  struct host_rep *rep, void *out, size_t outlen, int *rfd, int timeout_ms)
{
	static char sink[4096];
	size_t left;
	int err;

	if (rfd)
		*rfd = -1;
	err = send_msg(fd, req, sizeof(*req), sfd, data, req->len);
	if (err)
		return err;
	err = recv_all(fd, rep, sizeof(*rep), rfd, timeout_ms);
	if (err)
		return err;
	left = rep->len;
	if (out && outlen) {
		size_t n = left < outlen ? left : outlen;

		err = recv_all(fd, out, n, NULL, timeout_ms);
		if (err)
			return err;
		left -= n;
	}
	while (left) {		/* more than the caller wanted: drop it */
		size_t n = left < sizeof(sink) ? left : sizeof(sink);

		err = recv_all(fd, sink, n, NULL, timeout_ms);
		if (err)
			return err;
		left -= n;
	}
	return 0;
}

/*
 * Keep an agent (and the agents forked from it, which inherit the mask) on
 * one CPU.  A folio the agent just faulted in waits in the per-CPU batch of
 * the CPU that faulted it before it reaches the LRU, and MADV_PAGEOUT and
 * MADV_COLD drain only their own CPU's batch: an agent that moved between
 * a write and a pageout would see its page kept, at random.  The lowest CPU
 * the runner may use; nothing is changed if the mask cannot be read.
 */
static void bind_to_one_cpu(void)
{
	cpu_set_t set, one;

	if (sched_getaffinity(0, sizeof(set), &set))
		return;
	for (int cpu = 0; cpu < CPU_SETSIZE; cpu++) {
		if (!CPU_ISSET(cpu, &set))
			continue;
		CPU_ZERO(&one);
		CPU_SET(cpu, &one);
		sched_setaffinity(0, sizeof(one), &one);
		return;
	}
}

/* host_agent_spawn - start an agent (exec'ed pinmm); see host.h. */
int host_agent_spawn(pid_t *pid, int *fd, char *why, size_t size)
{
	static const char agent_arg[] = HOST_AGENT_ARG;
	pid_t parent = getpid();
	char exe[4096];
	ssize_t n;
	int sv[2];
	pid_t p;

	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0) {
		snprintf(why, size, "readlink(/proc/self/exe): %s", strerror(errno));
		return -errno;
	}
	exe[n] = '\0';
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv)) {
		snprintf(why, size, "socketpair: %s", strerror(errno));
		return -errno;
	}
	p = fork();
	if (p < 0) {
		int err = errno;

		close(sv[0]);
		close(sv[1]);
		snprintf(why, size, "fork: %s", strerror(err));
		return -err;
	}
	if (p == 0) {
		char *argv[] = { exe, (char *)agent_arg, NULL };

		/* The child: die with the runner, serve the channel as fd 3,
		 * without address randomisation (equal histories of mappings
		 * give equal addresses in every agent, as in the model). */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		personality(ADDR_NO_RANDOMIZE);
		bind_to_one_cpu();
		if (getppid() != parent)
			_exit(127);
		if (dup2(sv[1], AGENT_FD) < 0)
			_exit(127);
		/* Not the runner's output: a reader of it (a pipe) must see
		 * its end when the runner ends.  stderr stays for crashes. */
		{
			int null = open("/dev/null", O_RDWR | O_CLOEXEC);

			if (null >= 0) {
				dup2(null, 0);
				dup2(null, 1);
			}
		}
		close_range(AGENT_FD + 1, ~0U, 0);
		execv(exe, argv);
		_exit(127);
	}
	close(sv[1]);
	*pid = p;
	*fd = sv[0];
	return 0;
}

/* host_read_vmas - start/end pairs of /proc/PID/maps; see host.h. */
int host_read_vmas(pid_t pid, unsigned long **out, size_t *n)
{
	char path[64], line[512];
	unsigned long *v = NULL;
	size_t nr = 0, cap = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		unsigned long s, e;

		if (sscanf(line, "%lx-%lx", &s, &e) != 2)
			continue;
		if (nr + 2 > cap) {
			unsigned long *nv;

			cap = cap ? cap * 2 : 64;
			nv = realloc(v, cap * sizeof(*v));
			if (!nv) {
				free(v);
				fclose(f);
				return -ENOMEM;
			}
			v = nv;
		}
		v[nr++] = s;
		v[nr++] = e;
	}
	fclose(f);
	*out = v;
	*n = nr / 2;
	return 0;
}

/* --- the agent --------------------------------------------------------------------- */

static int chan = AGENT_FD;
static unsigned char agent_buf[HOST_MAX_DATA];	/* request data, reply data */
static sigjmp_buf fault_jmp;
static volatile sig_atomic_t in_access;
static void *volatile fault_addr;
static int dma_fd = -1;			/* memfd staging of device DMA */
static struct iovec reg_iov[AGENT_IOVS];	/* IORING_REGISTER_BUFFERS' vector */
static char maps_buf[256 << 10];		/* /proc/self/maps, for place() */
static uintptr_t ceiling;			/* scenario mappings go below */

/* read(2) until end of file or @size bytes. */
static ssize_t read_whole(int fd, char *buf, size_t size)
{
	size_t got = 0;

	while (got < size) {
		ssize_t n = read(fd, buf + got, size - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	return (ssize_t)got;
}
#ifdef PINMM_HAVE_LIBURING
static struct io_uring rings[AGENT_RINGS];
static bool ring_used[AGENT_RINGS];
#endif

static void fault_handler(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	if (!in_access) {
		signal(sig, SIG_DFL);
		raise(sig);
		return;
	}
	fault_addr = si->si_addr;
	siglongjmp(fault_jmp, 1);
}

/* Copy @len bytes between user memory and the agent's buffer as CPU loads
 * and stores: 0, or -EFAULT with *@where the faulting address. */
static int cpu_copy(volatile unsigned char *dst, const volatile unsigned char *src, size_t len,
		    uint64_t *where)
{
	if (sigsetjmp(fault_jmp, 1)) {
		in_access = 0;
		*where = (uint64_t)(uintptr_t)fault_addr;
		return -EFAULT;
	}
	in_access = 1;
	for (size_t i = 0; i < len; i++)
		dst[i] = src[i];
	in_access = 0;
	return 0;
}

static int reply(int64_t ret, const void *data, size_t len, int fd, uint64_t v0)
{
	struct host_rep rep = { .ret = ret, .len = (uint32_t)len, .v = { v0, 0 } };

	return send_msg(chan, &rep, sizeof(rep), fd, data, len);
}

static int64_t sys_ret(long r)
{
	return r < 0 ? -errno : r;
}

/*
 * Where the kernel would put a mapping of @len bytes if the agent's own
 * memory were not there: the highest gap that fits below the ceiling (the
 * guard's bottom less AGENT_HOLE), as the kernel's top-down search does;
 * 2M-aligned for lengths that are multiples of 2M (the kernel aligns
 * those for THP and hugetlb).  0 if none (the kernel chooses then).
 */
static uintptr_t place(uint64_t len)
{
	uintptr_t prev_end = 1UL << 16, best = 0, align = 4096;
	char *p, *end;
	ssize_t n;
	int fd;

	if (!ceiling || !len)
		return 0;
	if (len >= (2UL << 20) && !(len & ((2UL << 20) - 1)))
		align = 2UL << 20;
	fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read_whole(fd, maps_buf, sizeof(maps_buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	maps_buf[n] = '\0';
	for (p = maps_buf; *p; p = end + 1) {
		uintptr_t s = strtoul(p, &end, 16), e = strtoul(end + 1, NULL, 16);
		uintptr_t top = s < ceiling ? s : ceiling;

		if (top > prev_end && top - prev_end >= len) {
			uintptr_t cand = (top - len) & ~(align - 1);

			if (cand >= prev_end)
				best = cand;
		}
		if (e > prev_end)
			prev_end = e;
		end = strchr(p, '\n');
		if (!end || s >= ceiling)
			break;
	}
	return best;
}

static int64_t do_mmap(const struct host_req *q, int fd)
{
	uint64_t len = q->a[1], align = q->a[5], maplen = len + align;
	uintptr_t hint = (uintptr_t)q->a[0];
	void *p;

	if (!hint && !(q->a[3] & (MAP_FIXED | MAP_FIXED_NOREPLACE)))
		hint = place(maplen);
	p = mmap((void *)hint, maplen, (int)q->a[2], (int)q->a[3], fd, (off_t)q->a[4]);
	uintptr_t start, end;

	if (p == MAP_FAILED)
		return -errno;
	if (!align)
		return (int64_t)(uintptr_t)p;
	start = ((uintptr_t)p + align - 1) & ~(uintptr_t)(align - 1);
	end = (uintptr_t)p + maplen;
	if (start > (uintptr_t)p)
		munmap(p, start - (uintptr_t)p);
	if (end > start + len)
		munmap((void *)(start + len), end - (start + len));
	return (int64_t)start;
}

/* fork A B: the copy serves a new channel; the parent hands its other end
 * to the runner. */
static void do_fork(void)
{
	int sv[2];
	pid_t p;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv)) {
		reply(-errno, NULL, 0, -1, 0);
		return;
	}
	p = fork();
	if (p < 0) {
		reply(-errno, NULL, 0, -1, 0);
		close(sv[0]);
		close(sv[1]);
		return;
	}
	if (p == 0) {
		close(sv[0]);
		close(chan);
		chan = sv[1];
		return;		/* the child serves its own channel from here */
	}
	close(sv[1]);
	reply(p, NULL, 0, sv[0], 0);
	close(sv[0]);
}

#ifdef PINMM_HAVE_LIBURING
/* Submit one fixed-buffer operation and wait for it: the cqe's result. */
static int64_t ring_fixed(int slot, bool write, int fd, uint64_t buf, uint64_t addr, uint64_t len,
			  uint64_t off)
{
	struct io_uring *r = &rings[slot];
	struct io_uring_sqe *sqe = io_uring_get_sqe(r);
	struct io_uring_cqe *cqe;
	int ret;

	if (!sqe)
		return -EBUSY;
	if (write)
		io_uring_prep_write_fixed(sqe, fd, (void *)(uintptr_t)addr, (unsigned int)len,
					  off, (int)buf);
	else
		io_uring_prep_read_fixed(sqe, fd, (void *)(uintptr_t)addr, (unsigned int)len,
					 off, (int)buf);
	ret = io_uring_submit(r);
	if (ret < 0)
		return ret;
	ret = io_uring_wait_cqe(r, &cqe);
	if (ret < 0)
		return ret;
	ret = cqe->res;
	io_uring_cqe_seen(r, cqe);
	return ret;
}

static int64_t ring_register(const struct host_req *q)
{
	uint64_t count = q->a[3], empty = q->a[5], stride = q->a[4];
	struct iovec *iov = reg_iov;

	if (count + empty > AGENT_IOVS)
		return -EINVAL;
	memset(iov, 0, (count + empty) * sizeof(*iov));
	for (uint64_t i = 0; i < count; i++) {
		iov[i].iov_base = (void *)(uintptr_t)(q->a[1] + i * (stride ? stride : q->a[2]));
		iov[i].iov_len = q->a[2];
	}
	return io_uring_register_buffers(&rings[q->a[0]], iov, (unsigned int)(count + empty));
}
#endif

static bool slot_ok(uint64_t slot)
{
#ifdef PINMM_HAVE_LIBURING
	return slot < AGENT_RINGS && ring_used[slot];
#else
	(void)slot;
	return false;
#endif
}

/* Serve one request; false when the agent is to exit. */
static bool serve(const struct host_req *q, int fd)
{
	uint64_t where = 0;
	int64_t ret = -ENOSYS;
	size_t outlen = 0;

	switch (q->op) {
	case HOP_PING:
		ret = 0;
		break;
	case HOP_MMAP:
		ret = do_mmap(q, fd);
		break;
	case HOP_MUNMAP:
		ret = sys_ret(munmap((void *)(uintptr_t)q->a[0], q->a[1]));
		break;
	case HOP_MPROTECT:
		ret = sys_ret(mprotect((void *)(uintptr_t)q->a[0], q->a[1], (int)q->a[2]));
		break;
	case HOP_MADVISE:
		ret = sys_ret(madvise((void *)(uintptr_t)q->a[0], q->a[1], (int)q->a[2]));
		break;
	case HOP_MREMAP: {
		void *p = mremap((void *)(uintptr_t)q->a[0], q->a[1], q->a[2], (int)q->a[3],
				 (void *)(uintptr_t)q->a[4]);

		ret = p == MAP_FAILED ? -errno : (int64_t)(uintptr_t)p;
		break;
	}
	case HOP_MLOCK:
		ret = sys_ret(mlock((void *)(uintptr_t)q->a[0], q->a[1]));
		break;
	case HOP_MUNLOCK:
		ret = sys_ret(munlock((void *)(uintptr_t)q->a[0], q->a[1]));
		break;
	case HOP_WRITE:
		ret = cpu_copy((unsigned char *)(uintptr_t)q->a[0], agent_buf, q->len, &where);
		break;
	case HOP_READ:
		if (q->a[1] > sizeof(agent_buf)) {
			ret = -E2BIG;
			break;
		}
		ret = cpu_copy(agent_buf, (unsigned char *)(uintptr_t)q->a[0], q->a[1], &where);
		if (!ret)
			outlen = q->a[1];
		break;
	case HOP_FORK:
		do_fork();
		return true;
	case HOP_EXIT:
		reply(0, NULL, 0, -1, 0);
		return false;
#ifdef PINMM_HAVE_LIBURING
	case HOP_RING_CREATE:
		ret = -EMFILE;
		for (int i = 0; i < AGENT_RINGS; i++) {
			if (ring_used[i])
				continue;
			ret = io_uring_queue_init(8, &rings[i], 0);
			if (!ret) {
				ring_used[i] = true;
				ret = i;
			}
			break;
		}
		break;
	case HOP_RING_REGISTER:
		ret = slot_ok(q->a[0]) ? ring_register(q) : -EBADF;
		break;
	case HOP_RING_UNREGISTER:
		ret = slot_ok(q->a[0]) ? io_uring_unregister_buffers(&rings[q->a[0]]) : -EBADF;
		break;
	case HOP_RING_CLOSE:
		if (slot_ok(q->a[0])) {
			io_uring_queue_exit(&rings[q->a[0]]);
			ring_used[q->a[0]] = false;
			ret = 0;
		} else {
			ret = -EBADF;
		}
		break;
	case HOP_RING_FIXED:
		ret = slot_ok(q->a[0]) ? ring_fixed((int)q->a[0], q->a[1], fd, q->a[2], q->a[3],
						     q->a[4], q->a[5]) : -EBADF;
		break;
	case HOP_DMA:
		/* a1: 0 the device writes memory (READ_FIXED from the staging
		 * file), 1 it reads memory (WRITE_FIXED into it). */
		if (!slot_ok(q->a[0]) || q->a[3] > sizeof(agent_buf)) {
			ret = slot_ok(q->a[0]) ? -E2BIG : -EBADF;
			break;
		}
		if (dma_fd < 0)
			dma_fd = memfd_create("pinmm-dma", MFD_CLOEXEC);
		if (dma_fd < 0) {
			ret = -errno;
			break;
		}
		if (!q->a[1] && pwrite(dma_fd, agent_buf, q->len, 0) != (ssize_t)q->len) {
			ret = -errno;
			break;
		}
		ret = ring_fixed((int)q->a[0], q->a[1], dma_fd, 0, q->a[2], q->a[3], 0);
		if (q->a[1] && ret > 0) {
			ret = pread(dma_fd, agent_buf, (size_t)ret, 0);
			if (ret < 0)
				ret = -errno;
			else
				outlen = (size_t)ret;
		}
		break;
#endif
	case HOP_VMSPLICE: {
		struct iovec iov = { (void *)(uintptr_t)q->a[0], q->a[1] };

		ret = sys_ret(vmsplice(fd, &iov, 1, SPLICE_F_NONBLOCK));
		break;
	}
	case HOP_FD_READ:
		ret = sys_ret(read(fd, (void *)(uintptr_t)q->a[0], q->a[1]));
		break;
	case HOP_PVM: {
		/* data: nlocal then nremote address, length pairs */
		const uint64_t *v = (const uint64_t *)agent_buf;
		uint64_t nl = q->a[2], nr = q->a[3];
		struct iovec liov[64], riov[64];

		if (nl > 64 || nr > 64 || q->len != (nl + nr) * 16) {
			ret = -EINVAL;
			break;
		}
		for (uint64_t i = 0; i < nl; i++)
			liov[i] = (struct iovec){ (void *)(uintptr_t)v[2 * i], v[2 * i + 1] };
		for (uint64_t i = 0; i < nr; i++)
			riov[i] = (struct iovec){ (void *)(uintptr_t)v[2 * (nl + i)],
						  v[2 * (nl + i) + 1] };
		if (q->a[1])
			ret = sys_ret(process_vm_writev((pid_t)q->a[0], liov, nl, riov, nr,
							q->a[4]));
		else
			ret = sys_ret(process_vm_readv((pid_t)q->a[0], liov, nl, riov, nr,
						       q->a[4]));
		break;
	}
	case HOP_DIO:
		if (q->a[0])
			ret = sys_ret(pwrite(fd, (void *)(uintptr_t)q->a[1], q->a[2],
					     (off_t)q->a[3]));
		else
			ret = sys_ret(pread(fd, (void *)(uintptr_t)q->a[1], q->a[2],
					    (off_t)q->a[3]));
		break;
	default:
		break;
	}
	reply(ret, agent_buf, outlen, -1, where);
	return true;
}

/* Touch the agent's own memory once, so that serving requests later does
 * not change what the process has resident. */
static void __attribute__((noinline)) touch_stack(void)
{
	volatile unsigned char pad[128 << 10];

	for (size_t i = 0; i < sizeof(pad); i += 4096)
		pad[i] = 0;
}

/*
 * Keep the scenario's mappings apart from the agent's own: a PROT_NONE
 * guard below the agent's mappings, and every hole between them above it
 * filled with PROT_NONE too, so that the kernel places the scenario's
 * mappings below the guard (a store past the end of one faults, as in
 * the model's otherwise empty address space) and none merges with the
 * agent's.  Reads /proc/self/maps with read(2): no stdio in an agent.
 */
static void guard_own_memory(void)
{
	char *g = mmap(NULL, AGENT_GUARD, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
		       -1, 0);
	unsigned long prev_end = 0, lo = (unsigned long)g;
	char *p, *end;
	ssize_t n;
	int fd;

	if (g == MAP_FAILED)
		return;
	ceiling = lo - AGENT_HOLE;
	fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	n = read_whole(fd, (char *)agent_buf, sizeof(agent_buf) - 1);
	close(fd);
	if (n <= 0)
		return;
	agent_buf[n] = '\0';
	for (p = (char *)agent_buf; *p; p = end + 1) {
		unsigned long s = strtoul(p, &end, 16), e = strtoul(end + 1, NULL, 16);

		end = strchr(p, '\n');
		if (!end)
			break;
		*end = '\0';
		if (strstr(p, "[stack]"))
			break;
		if (prev_end >= lo && s > prev_end)
			mmap((void *)prev_end, s - prev_end, PROT_NONE,
			     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED_NOREPLACE, -1, 0);
		prev_end = e;
	}
	memset(agent_buf, 0, sizeof(agent_buf));
}

/* host_agent_main - the agent's request loop; see host.h. */
int host_agent_main(int argc, char **argv)
{
	struct sigaction sa = { .sa_sigaction = fault_handler, .sa_flags = SA_SIGINFO | SA_NODEFER };

	(void)argc;
	(void)argv;
	if (fcntl(chan, F_GETFD) < 0)
		return 2;
	fcntl(chan, F_SETFD, FD_CLOEXEC);
	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGBUS, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGCHLD, SIG_IGN);	/* forked agents are reaped by the kernel */
	prctl(PR_SET_NAME, "pinmm-agent");
	memset(agent_buf, 0, sizeof(agent_buf));
	memset(reg_iov, 0, sizeof(reg_iov));
	memset(maps_buf, 0, sizeof(maps_buf));
	touch_stack();
	/* A guard below the agent's own mappings: the scenario's mappings
	 * land below it, so a store past the end of one faults (as in the
	 * model's empty address space) instead of reaching the agent's
	 * memory, and no scenario VMA merges with one of the agent's. */
	guard_own_memory();
	for (;;) {
		struct host_req q;
		int fd = -1;

		if (recv_all(chan, &q, sizeof(q), &fd, -1))
			break;		/* the runner is gone */
		if (q.len > sizeof(agent_buf) ||
		    (q.len && recv_all(chan, agent_buf, q.len, NULL, -1))) {
			if (fd >= 0)
				close(fd);
			break;
		}
		if (!serve(&q, fd)) {
			if (fd >= 0)
				close(fd);
			break;
		}
		if (fd >= 0)
			close(fd);
	}
	_exit(0);
}
