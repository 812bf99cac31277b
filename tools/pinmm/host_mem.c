/* SPDX-License-Identifier: MIT */
/*
 * host_mem.c - the host counterparts of the memory and file commands:
 * processes (real processes: host_agent.c), mmap and friends in them, CPU
 * loads and stores, files on the host's disk filesystem and on tmpfs,
 * memfd_create and its seals, the hugetlb pool and the THP settings.
 *
 * Mapping (docs/fidelity.md has the full table):
 *   process / fork / exit      an exec'ed agent / fork(2) of the agent /
 *                              its exit
 *   mmap ... hugepage          mmap(2), then MADV_HUGEPAGE (align= by
 *                              over-mapping and trimming, as the model)
 *   mmap ... hugetlb           MAP_HUGETLB from the host pool (hugepages)
 *   file NAME disk|shmem       a file in the run's directory on the disk
 *                              filesystem (/var/tmp) or on /dev/shm
 *   memfd, seal                memfd_create(2), F_ADD_SEALS
 *   memory, thp                checked against the host's THP settings,
 *                              which the run never changes: SKIP unless
 *                              they already match
 * The model's own machinery (zones, migrate, compact, hold, budgets,
 * listings) has no host counterpart: those entries name the reason.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include "host.h"

#define CHUNK	(64u << 10)

/* --- processes ------------------------------------------------------------------ */

static int process_run(struct host_run *h, const struct scn_step *st, const struct scn_value *a)
{
	char why[256];
	pid_t pid;
	int fd, err, idx;

	err = host_agent_spawn(&pid, &fd, why, sizeof(why));
	if (err)
		return host_fail(h, "host: %s", why);
	idx = host_proc_add(h, a[0].word, pid, fd, true, -1);
	if (idx < 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		close(fd);
		return host_fail(h, "host: too many processes");
	}
	if (host_call(h, idx, HOP_PING, NULL, NULL, 0, -1, NULL, 0, NULL, NULL))
		return SCN_FAILED;
	/* Its own VMAs, now that it is serving (rss leaves them out). */
	free(host_proc_at(h, idx)->base);
	host_proc_at(h, idx)->base = NULL;
	host_read_vmas(pid, &host_proc_at(h, idx)->base, &host_proc_at(h, idx)->nbase);
	host_detail(h, "pid %d", (int)pid);
	return 0;
}

static int fork_run(struct host_run *h, const struct scn_step *st, const struct scn_value *a)
{
	int parent = host_proc(h, &a[0]);
	int64_t ret;
	int fd = -1, idx;

	if (parent < 0)
		return parent == -2 ? HOST_SKIP : SCN_FAILED;
	ret = host_call(h, parent, HOP_FORK, NULL, NULL, 0, -1, NULL, 0, NULL, &fd);
	if (ret == HOST_FAILED)
		return SCN_FAILED;
	if (ret < 0)
		return (int)ret;
	if (fd < 0)
		return host_fail(h, "host: fork: the child's channel did not arrive");
	idx = host_proc_add(h, a[1].word, (pid_t)ret, fd, false, parent);
	if (idx < 0) {
		kill((pid_t)ret, SIGKILL);
		close(fd);
		return host_fail(h, "host: too many processes");
	}
	host_detail(h, "pid %d", (int)ret);
	return 0;
}

static int exit_run(struct host_run *h, const struct scn_step *st, const struct scn_value *a)
{
	int idx = host_proc(h, &a[0]);
	struct host_proc *p;
	int64_t ret;

	if (idx < 0)
		return idx == -2 ? HOST_SKIP : SCN_FAILED;
	p = host_proc_at(h, idx);
	ret = host_call(h, idx, HOP_EXIT, NULL, NULL, 0, -1, NULL, 0, NULL, NULL);
	if (ret == HOST_FAILED)
		return SCN_FAILED;
	close(p->fd);
	p->fd = -1;
	p->exited = true;
	/* Wait for the exit to finish (its memory is gone then): a direct
	 * child is reaped here, a forked one by its parent agent. */
	if (p->direct)
		waitpid(p->pid, NULL, 0);
	else
		while (kill(p->pid, 0) == 0) {
			char path[64], state = 0;
			FILE *f;

			snprintf(path, sizeof(path), "/proc/%d/stat", (int)p->pid);
			f = fopen(path, "re");
			if (!f)
				break;
			if (fscanf(f, "%*d %*s %c", &state) != 1)
				state = 0;
			fclose(f);
			if (state == 'Z' || state == 'X')
				break;
			usleep(1000);
		}
	return 0;
}

/* --- mmap and friends ----------------------------------------------------------------- */

static const int prot_values[] = {
	PROT_READ, PROT_READ | PROT_WRITE, PROT_READ | PROT_EXEC,
	PROT_READ | PROT_WRITE | PROT_EXEC, PROT_NONE,
};

/* The scenario's mmap flag words, in their schema order (scn_mem.c). */
enum {
	MF_PRIVATE, MF_SHARED, MF_ANON, MF_R, MF_RW, MF_RX, MF_RWX, MF_NONE,
	MF_HUGEPAGE, MF_NOHUGEPAGE, MF_POPULATE, MF_NORESERVE, MF_DONTFORK,
	MF_FIXED, MF_FIXED_NOREPLACE, MF_IO, MF_PFNMAP, MF_HUGETLB,
};
enum { MO_AT = 1, MO_ALIGN, MO_PROT, MO_FLAGS, MO_HUGE };

/* A process value: its index, or the handler's result in *@rc. */
static int proc_arg(struct host_run *h, const struct scn_value *v, int *rc)
{
	int idx = host_proc(h, v);

	if (idx < 0)
		*rc = idx == -2 ? HOST_SKIP : SCN_FAILED;
	return idx;
}

/* madvise after mmap, as the model's mmap flags do. */
static int64_t advise(struct host_run *h, int idx, uint64_t addr, uint64_t len, int advice)
{
	uint64_t a[6] = { addr, len, (uint64_t)advice };

	return host_call(h, idx, HOP_MADVISE, a, NULL, 0, -1, NULL, 0, NULL, NULL);
}

static int mmap_run(struct host_run *h, const struct scn_step *st, const struct scn_value *a)
{
	const struct scn_value *f = &a[3];
	uint64_t bits = f->num, len = a[2].num, hint = 0, align = 0;
	int prot = PROT_READ | PROT_WRITE, flags = MAP_ANONYMOUS, rc = 0;
	int idx = proc_arg(h, &a[0], &rc);
	int64_t addr, ret = 0;

	if (idx < 0)
		return rc;
	if (bits & (BIT(MF_IO) | BIT(MF_PFNMAP)))
		return host_skip(h, "not expressible on the host: a VM_IO/VM_PFNMAP device "
				 "mapping needs a device driver");
	if (f[MO_HUGE].present && f[MO_HUGE].num != (2u << 20))
		return host_skip(h, "not expressible on the host: only 2M hugetlb pages are "
				 "reserved for runs");
	for (int i = MF_R; i <= MF_NONE; i++)
		if (bits & BIT(i))
			prot = prot_values[i - MF_R];
	/* As given: both private and shared make MAP_SHARED_VALIDATE. */
	if (bits & BIT(MF_SHARED))
		flags |= MAP_SHARED;
	if ((bits & BIT(MF_PRIVATE)) || !(bits & BIT(MF_SHARED)))
		flags |= MAP_PRIVATE;
	if (bits & BIT(MF_POPULATE))
		flags |= MAP_POPULATE;
	if (bits & BIT(MF_NORESERVE))
		flags |= MAP_NORESERVE;
	if (bits & BIT(MF_FIXED))
		flags |= MAP_FIXED;
	if (bits & BIT(MF_FIXED_NOREPLACE))
		flags |= MAP_FIXED_NOREPLACE;
	if (bits & BIT(MF_HUGETLB))
		flags |= MAP_HUGETLB;
	if (f[MO_PROT].present)
		prot = (int)f[MO_PROT].num;
	if (f[MO_FLAGS].present)
		flags = (int)f[MO_FLAGS].num;
	if (f[MO_AT].present && (rc = host_addr(h, idx, &f[MO_AT], &hint)))
		return rc;
	if (f[MO_ALIGN].present && len)
		align = f[MO_ALIGN].num;
	{
		uint64_t args[6] = { hint, len, (uint64_t)prot, (uint64_t)(unsigned int)flags, 0,
				     align };

		addr = host_call(h, idx, HOP_MMAP, args, NULL, 0, -1, NULL, 0, NULL, NULL);
	}
	if (addr < 0 || addr == HOST_FAILED)
		return addr == HOST_FAILED ? SCN_FAILED : (int)addr;
	if (bits & BIT(MF_HUGEPAGE))
		ret = advise(h, idx, (uint64_t)addr, len, MADV_HUGEPAGE);
	if (!ret && (bits & BIT(MF_NOHUGEPAGE)))
		ret = advise(h, idx, (uint64_t)addr, len, MADV_NOHUGEPAGE);
	if (!ret && (bits & BIT(MF_DONTFORK)))
		ret = advise(h, idx, (uint64_t)addr, len, MADV_DONTFORK);
	if (ret)
		return ret == HOST_FAILED ? SCN_FAILED : (int)ret;
	if (flags & MAP_HUGETLB)
		len = (len + (2u << 20) - 1) & ~(uint64_t)((2u << 20) - 1);
	host_region_set(h, idx, a[1].word, (uint64_t)addr, len);
	host_detail(h, "0x%llx-0x%llx", (unsigned long long)addr,
		    (unsigned long long)((uint64_t)addr + len));
	return 0;
}

/* A call of @op on PROCESS ADDRESS LENGTH [@extra]. */
static int range_call(struct host_run *h, const struct scn_value *a, enum host_op op,
		      uint64_t extra)
{
	uint64_t addr, args[6];
	int rc = 0, idx = proc_arg(h, &a[0], &rc);
	int64_t ret;

	if (idx < 0)
		return rc;
	if ((rc = host_addr(h, idx, &a[1], &addr)))
		return rc;
	args[0] = addr;
	args[1] = a[2].num;
	args[2] = extra;
	ret = host_call(h, idx, op, args, NULL, 0, -1, NULL, 0, NULL, NULL);
	return ret == HOST_FAILED ? SCN_FAILED : ret < 0 ? (int)ret : 0;
}

static int munmap_run(struct host_run *h, const struct scn_step *st, const struct scn_value *a)
{
	return range_call(h, a, HOP_MUNMAP, 0);
}

static int mprotect_run(struct host_run *h, const struct scn_step *st, const struct scn_value *a)
{
	return range_call(h, a, HOP_MPROTECT, (uint64_t)prot_values[a[3].index]);
}

/* The scenario's advice words, in their schema order (scn_mem.c). */
static const int advice_values[] = {
	MADV_DONTNEED, MADV_DONTFORK, MADV_DOFORK, MADV_HUGEPAGE, MADV_NOHUGEPAGE, MADV_NORMAL,
	MADV_POPULATE_READ, MADV_POPULATE_WRITE, MADV_COLD, MADV_PAGEOUT, MADV_FREE,
	25 /* MADV_COLLAPSE */,
};

static int madvise_run(struct host_run *h, const struct scn_step *st, const struct scn_value *a)
{
	return range_call(h, a, HOP_MADVISE, (uint64_t)advice_values[a[3].index]);
}

static int mlock_run(struct host_run *h, const struct scn_step *st, const struct scn_value *a)
{
	return range_call(h, a, HOP_MLOCK, 0);
}

static int munlock_run(struct host_run *h, const struct scn_step *st, const struct scn_value *a)
{
	return range_call(h, a, HOP_MUNLOCK, 0);
}

enum { RF_MAYMOVE, RF_DONTUNMAP };
enum { RO_FIXED = 1, RO_HINT, RO_FLAGS };

static int mremap_run(struct host_run *h, const struct scn_step *st, const struct scn_value *a)
{
	const struct scn_value *f = &a[4], *as = &a[4 + 4];
	uint64_t addr, new_addr = 0, flags = 0;
	int rc = 0, idx = proc_arg(h, &a[0], &rc);
	const char *region = NULL;
	int64_t ret;

	if (idx < 0 || (rc = host_addr(h, idx, &a[1], &addr)))
		return idx < 0 ? rc : rc;
	if (f->num & BIT(RF_MAYMOVE))
		flags |= MREMAP_MAYMOVE;
	if (f->num & BIT(RF_DONTUNMAP))
		flags |= MREMAP_DONTUNMAP;
	if (f[RO_FIXED].present) {
		if ((rc = host_addr(h, idx, &f[RO_FIXED], &new_addr)))
			return rc;
		flags |= MREMAP_FIXED;
	}
	if (f[RO_HINT].present && (rc = host_addr(h, idx, &f[RO_HINT], &new_addr)))
		return rc;
	if (f[RO_FLAGS].present)
		flags = f[RO_FLAGS].num;
	{
		uint64_t args[6] = { addr, a[2].num, a[3].num, flags, new_addr };

		ret = host_call(h, idx, HOP_MREMAP, args, NULL, 0, -1, NULL, 0, NULL, NULL);
	}
	if (ret == HOST_FAILED)
		return SCN_FAILED;
	if (ret < 0)
		return (int)ret;
	if (as->present)
		region = as[1].word;
	else if (a[1].word && !a[1].num)
		region = a[1].word;
	if (region)
		host_region_set(h, idx, region, (uint64_t)ret, (a[3].num + 4095) & ~4095ULL);
	host_detail(h, "0x%llx %s", (unsigned long long)ret,
		    (uint64_t)ret == addr ? "in place" : "moved");
	return 0;
}

/* --- CPU accesses --------------------------------------------------------------------- */

static int write_run(struct host_run *h, const struct scn_step *st, const struct scn_value *a)
{
	size_t len = scn_data_len(&a[2]);
	int rc = 0, idx = proc_arg(h, &a[0], &rc);
	unsigned char *buf;
	struct host_rep rep;
	uint64_t addr;
	int64_t ret = 0;

	if (idx < 0 || (rc = host_addr(h, idx, &a[1], &addr)))
		return idx < 0 ? rc : rc;
	buf = malloc(CHUNK);
	if (!buf)
		return -ENOMEM;
	for (size_t off = 0; off < len && !ret; off += CHUNK) {
		size_t n = len - off < CHUNK ? len - off : CHUNK;
		uint64_t args[6] = { addr + off };

		scn_data_get(&a[2], off, buf, n);
		ret = host_call(h, idx, HOP_WRITE, args, buf, n, -1, NULL, 0, &rep, NULL);
		if (ret < 0 && ret != HOST_FAILED)
			host_detail(h, "at 0x%llx", (unsigned long long)rep.v[0]);
	}
	free(buf);
	return ret == HOST_FAILED ? SCN_FAILED : (int)ret;
}

/* Read @len bytes of process @idx at @addr into @buf (CPU loads).  0,
 * -EFAULT, or SCN_FAILED. */
int host_user_read(struct host_run *h, int idx, uint64_t addr, void *buf, size_t len)
{
	for (size_t off = 0; off < len; off += CHUNK) {
		size_t n = len - off < CHUNK ? len - off : CHUNK;
		uint64_t args[6] = { addr + off, n };
		struct host_rep rep;
		int64_t ret = host_call(h, idx, HOP_READ, args, NULL, 0, -1,
					(char *)buf + off, n, &rep, NULL);

		if (ret) {
			if (ret != HOST_FAILED)
				host_detail(h, "reading 0x%llx", (unsigned long long)rep.v[0]);
			return (int)ret;
		}
	}
	return 0;
}

static int read_run(struct host_run *h, const struct scn_step *st, const struct scn_value *a)
{
	size_t len = a[2].num, show = len < 64 ? len : 64;
	int rc = 0, idx = proc_arg(h, &a[0], &rc);
	unsigned char *buf;
	uint64_t addr;
	char q[300];

	if (idx < 0 || (rc = host_addr(h, idx, &a[1], &addr)))
		return idx < 0 ? rc : rc;
	buf = malloc(len ? len : 1);
	if (!buf)
		return -ENOMEM;
	rc = host_user_read(h, idx, addr, buf, len);
	if (!rc) {
		scn_quote(q, sizeof(q), buf, len, 64);
		host_detail(h, "%s", q);
	}
	(void)show;
	free(buf);
	return rc;
}

/* --- files ------------------------------------------------------------------------------ */

#define NS_FILE	"file"
enum { FS_DISK, FS_SHMEM, FS_DAX, FS_HUGETLBFS, FS_HUGETLBFS_1G };
enum { FF_R, FF_W, FF_RW, FF_EXCL, FF_TRUNC };
enum { FFO_SIZE = 1, FFO_NAME };

static int access_mode(uint64_t bits)
{
	return (bits & BIT(FF_R)) ? O_RDONLY : (bits & BIT(FF_W)) ? O_WRONLY : O_RDWR;
}

/* The file a value names: its object, or NULL with *@rc set. */
struct host_obj *host_file(struct host_run *h, const struct scn_value *v, int *rc)
{
	return host_obj_get(h, NS_FILE, v, rc);
}


static int file_run(struct host_run *h, const struct scn_step *st, const struct scn_value *a)
{
	const struct scn_value *f = &a[2];
	const char *name = f[FFO_NAME].present ? (const char *)f[FFO_NAME].data : a[0].word;
	int flags = access_mode(f->num) | O_CREAT | O_CLOEXEC, fd;
	const char *dir;
	struct host_obj *o;
	char path[256];

	if (a[1].index == FS_DAX)
		return host_skip(h, "not expressible on the host: no FS-DAX filesystem");
	if (a[1].index == FS_HUGETLBFS || a[1].index == FS_HUGETLBFS_1G)
		return host_skip(h, "not expressible on the host: no hugetlbfs mount for runs "
				 "(use memfd hugetlb)");
	if (strchr(name, '/'))
		return -ENOENT;
	dir = a[1].index == FS_DISK ? host_disk_dir(h) : host_shm_dir(h);
	if (f->num & BIT(FF_EXCL))
		flags |= O_EXCL;
	if (f->num & BIT(FF_TRUNC))
		flags |= O_TRUNC;
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, flags, 0600);
	if (fd < 0)
		return -errno;
	host_track_path(path);
	if (f[FFO_SIZE].present && ftruncate(fd, (off_t)f[FFO_SIZE].num)) {
		int err = errno;

		close(fd);
		host_detail(h, "ftruncate to size= %llu", (unsigned long long)f[FFO_SIZE].num);
		return -err;
	}
	o = host_obj_add(h, NS_FILE, a[0].word);
	if (!o) {
		close(fd);
		return -ENOMEM;
	}
	o->fd = fd;
	o->kind = flags & O_ACCMODE;
	o->unlink_path = true;
	snprintf(o->path, sizeof(o->path), "%s", path);
	host_detail(h, "opened %s", path);
	return 0;
}

static int open_run(struct host_run *h, const struct scn_step *st, const struct scn_value *a)
{
	int rc = 0, flags = access_mode(a[2].num) | O_CLOEXEC, fd;
	struct host_obj *of = host_file(h, &a[1], &rc), *o;

	if (!of)
		return rc;
	if (a[2].num & BIT(FF_EXCL))	/* the trunc word sits where excl is */
		flags |= O_TRUNC;
	if (of->path[0])
		fd = open(of->path, flags);
	else {
		char p[64];

		snprintf(p, sizeof(p), "/proc/self/fd/%d", of->fd);
		fd = open(p, flags);
	}
	if (fd < 0)
		return -errno;
	o = host_obj_add(h, NS_FILE, a[0].word);
	if (!o) {
		close(fd);
		return -ENOMEM;
	}
	o->fd = fd;
	o->kind = flags & O_ACCMODE;
	snprintf(o->path, sizeof(o->path), "%s", of->path);
	return 0;
}

static int close_run(struct host_run *h, const struct scn_step *st, const struct scn_value *a)
{
	int rc = 0;
	struct host_obj *o = host_file(h, &a[0], &rc);

	if (!o)
		return rc;
	host_obj_remove(h, o);
	return 0;
}

enum { MMF_SHARED, MMF_PRIVATE, MMF_R, MMF_RW, MMF_RX, MMF_RWX, MMF_NONE, MMF_POPULATE,
       MMF_FIXED };
enum { MFO_OFFSET = 1, MFO_AT, MFO_PROT, MFO_FLAGS };

static int mmap_file_run(struct host_run *h, const struct scn_step *st, const struct scn_value *a)
{
	const struct scn_value *f = &a[4];
	int rc = 0, idx = proc_arg(h, &a[0], &rc), prot, flags = 0;
	struct host_obj *o = idx >= 0 ? host_file(h, &a[2], &rc) : NULL;
	uint64_t hint = 0, len = a[3].num;
	int64_t addr;

	if (idx < 0 || !o)
		return rc;
	prot = PROT_READ | (o->kind == O_RDWR ? PROT_WRITE : 0);
	for (int i = MMF_R; i <= MMF_NONE; i++)
		if (f->num & BIT(i))
			prot = prot_values[i - MMF_R];
	if (f[MFO_PROT].present)
		prot = (int)f[MFO_PROT].num;
	if (f->num & BIT(MMF_SHARED))
		flags |= MAP_SHARED;
	if (f->num & BIT(MMF_PRIVATE))
		flags |= MAP_PRIVATE;
	if (f->num & BIT(MMF_POPULATE))
		flags |= MAP_POPULATE;
	if (f->num & BIT(MMF_FIXED))
		flags |= MAP_FIXED;
	if (f[MFO_FLAGS].present)
		flags = (int)f[MFO_FLAGS].num;
	if (f[MFO_AT].present && (rc = host_addr(h, idx, &f[MFO_AT], &hint)))
		return rc;
	{
		uint64_t args[6] = { hint, len, (uint64_t)prot, (uint64_t)(unsigned int)flags,
				     f[MFO_OFFSET].present ? f[MFO_OFFSET].num : 0, 0 };

		addr = host_call(h, idx, HOP_MMAP, args, NULL, 0, o->fd, NULL, 0, NULL, NULL);
	}
	if (addr == HOST_FAILED)
		return SCN_FAILED;
	if (addr < 0)
		return (int)addr;
	host_region_set(h, idx, a[1].word, (uint64_t)addr, len);
	host_detail(h, "0x%llx-0x%llx", (unsigned long long)addr,
		    (unsigned long long)((uint64_t)addr + len));
	return 0;
}

static int pwrite_run(struct host_run *h, const struct scn_step *st, const struct scn_value *a)
{
	int rc = 0;
	struct host_obj *o = host_file(h, &a[0], &rc);
	size_t len = scn_data_len(&a[2]);
	unsigned char *buf;
	ssize_t n;

	if (!o)
		return rc;
	buf = malloc(len ? len : 1);
	if (!buf)
		return -ENOMEM;
	scn_data_get(&a[2], 0, buf, len);
	n = pwrite(o->fd, buf, len, (off_t)a[1].num);
	free(buf);
	if (n < 0)
		return -errno;
	host_detail(h, "%zd bytes written", n);
	return 0;
}

/* pread as the model shows it: "N bytes[ (end of file)]: "first 64"". */
static int pread_run(struct host_run *h, const struct scn_step *st, const struct scn_value *a)
{
	int rc = 0;
	struct host_obj *o = host_file(h, &a[0], &rc);
	size_t len = a[2].num, total = 0;
	unsigned char *buf;
	char q[300] = "\"\"";

	if (!o)
		return rc;
	buf = malloc(len ? len : 1);
	if (!buf)
		return -ENOMEM;
	while (total < len) {
		ssize_t n = pread(o->fd, buf + total, len - total, (off_t)(a[1].num + total));

		if (n < 0) {
			int err = errno;

			free(buf);
			return -err;
		}
		if (!n)
			break;
		total += (size_t)n;
	}
	if (total)
		scn_quote(q, sizeof(q), buf, total, 64);
	free(buf);
	host_detail(h, "%zu byte%s%s: %s", total, total == 1 ? "" : "s",
		    total < len ? " (end of file)" : "", q);
	return 0;
}

static int fsync_run(struct host_run *h, const struct scn_step *st, const struct scn_value *a)
{
	int rc = 0;
	struct host_obj *o = host_file(h, &a[0], &rc);

	if (!o)
		return rc;
	if (a[2].present || a[3].present)
		return host_skip(h, "not expressible on the host: fsync of a range "
				 "(sync_file_range does not report writeback errors alike)");
	if ((a[1].num & 1) ? fdatasync(o->fd) : fsync(o->fd))
		return -errno;
	return 0;
}

static int truncate_run(struct host_run *h, const struct scn_step *st, const struct scn_value *a)
{
	int rc = 0;
	struct host_obj *o = host_file(h, &a[0], &rc);

	if (!o)
		return rc;
	return ftruncate(o->fd, (off_t)a[1].num) ? -errno : 0;
}

static int punch_run(struct host_run *h, const struct scn_step *st, const struct scn_value *a)
{
	int rc = 0;
	struct host_obj *o = host_file(h, &a[0], &rc);

	if (!o)
		return rc;
	return fallocate(o->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)a[1].num,
			 (off_t)a[2].num) ? -errno : 0;
}

static int fallocate_run(struct host_run *h, const struct scn_step *st, const struct scn_value *a)
{
	int rc = 0;
	struct host_obj *o = host_file(h, &a[0], &rc);

	if (!o)
		return rc;
	return fallocate(o->fd, 0, (off_t)a[1].num, (off_t)a[2].num) ? -errno : 0;
}

static int sync_run(struct host_run *h, const struct scn_step *st, const struct scn_value *a)
{
	sync();
	return 0;
}

/* --- memfd and seals --------------------------------------------------------------------- */

static const unsigned int memfd_values[] = {
	MFD_CLOEXEC, MFD_ALLOW_SEALING, 0x10 /* MFD_EXEC */, 0x8 /* MFD_NOEXEC_SEAL */, MFD_HUGETLB,
};
enum { MDO_SIZE = 1, MDO_NAME, MDO_FLAGS };

static int memfd_run(struct host_run *h, const struct scn_step *st, const struct scn_value *a)
{
	const struct scn_value *f = &a[1];
	const char *name = f[MDO_NAME].present ? (const char *)f[MDO_NAME].data : a[0].word;
	unsigned int flags = 0;
	struct host_obj *o;
	int fd;

	for (size_t i = 0; i < ARRAY_SIZE(memfd_values); i++)
		if (f->num & BIT(i))
			flags |= memfd_values[i];
	if (f[MDO_FLAGS].present)
		flags |= (unsigned int)f[MDO_FLAGS].num;
	fd = memfd_create(name, flags | MFD_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (f[MDO_SIZE].present && ftruncate(fd, (off_t)f[MDO_SIZE].num)) {
		int err = errno;

		close(fd);
		return -err;
	}
	o = host_obj_add(h, NS_FILE, a[0].word);
	if (!o) {
		close(fd);
		return -ENOMEM;
	}
	o->fd = fd;
	o->kind = O_RDWR;
	host_detail(h, "memfd %d", fd);
	return 0;
}

static const unsigned int seal_values[] = {
	F_SEAL_SEAL, F_SEAL_SHRINK, F_SEAL_GROW, F_SEAL_WRITE, F_SEAL_FUTURE_WRITE,
	0x20 /* F_SEAL_EXEC */,
};

static unsigned int seal_bits(uint64_t bits)
{
	unsigned int s = 0;

	for (size_t i = 0; i < ARRAY_SIZE(seal_values); i++)
		if (bits & BIT(i))
			s |= seal_values[i];
	return s;
}

static int seal_run(struct host_run *h, const struct scn_step *st, const struct scn_value *a)
{
	int rc = 0;
	struct host_obj *o = host_file(h, &a[0], &rc);
	unsigned int s = seal_bits(a[1].num);

	if (!o)
		return rc;
	if (a[2].present)
		s |= (unsigned int)a[2].num;
	if (fcntl(o->fd, F_ADD_SEALS, s))
		return -errno;
	host_detail(h, "seals now 0x%x", (unsigned int)fcntl(o->fd, F_GET_SEALS));
	return 0;
}

static int expect_seals_run(struct host_run *h, const struct scn_step *st,
			    const struct scn_value *a)
{
	int rc = 0, have;
	struct host_obj *o = host_file(h, &a[0], &rc);
	unsigned int want = seal_bits(a[2].num);

	if (!o)
		return rc;
	have = fcntl(o->fd, F_GET_SEALS);
	if (have < 0)
		return host_fail(h, "F_GET_SEALS failed with %s (no seals on this file)",
				 host_errno_name(errno));
	if ((unsigned int)have != want)
		return host_fail(h, "seals 0x%x (expected 0x%x)", (unsigned int)have, want);
	host_detail(h, "seals 0x%x", (unsigned int)have);
	return 0;
}

/* --- configuration the host must already have -------------------------------------------- */

/* The bracketed word of a sysfs choice file ("always [madvise] never"). */
static bool sysfs_choice(const char *path, char *out, size_t size)
{
	char buf[256], *l, *r;
	FILE *f = fopen(path, "re");

	if (!f)
		return false;
	if (!fgets(buf, sizeof(buf), f)) {
		fclose(f);
		return false;
	}
	fclose(f);
	l = strchr(buf, '[');
	r = l ? strchr(l, ']') : NULL;
	if (!l || !r) {
		buf[strcspn(buf, "\n")] = '\0';
		l = buf;
	} else {
		*r = '\0';
		l++;
	}
	/* A value longer than @out is cut (sysfs choices are short words). */
	if (strlen(l) >= size)
		l[size - 1] = '\0';
	memcpy(out, l, strlen(l) + 1);
	return true;
}

static const char thp_dir[] = "/sys/kernel/mm/transparent_hugepage";

static int memory_run(struct host_run *h, const struct scn_step *st, const struct scn_value *a)
{
	static const char *const thp_modes[] = { "never", "madvise", "always" };
	const struct scn_value *f = &a[0];
	char have[32], path[128];
	/* options: normal movable cma thp accounting legacy registry debug
	 * use_zero_page (slots 1..9 after the bits) */
	const char *want = f[4].present ? thp_modes[f[4].index] : "madvise";

	if (f[6].present && f[6].index == 1)
		return host_env_skip(h, "the scenario asks for the model's legacy (pre-FOLL_PIN) "
				 "kernel; the host runs its own");
	snprintf(path, sizeof(path), "%s/enabled", thp_dir);
	if (!sysfs_choice(path, have, sizeof(have)))
		return host_env_skip(h, "cannot read %s", path);
	if (strcmp(have, want))
		return host_env_skip(h, "the host's THP mode is %s, the scenario's %s (the run never "
				 "changes global settings)", have, want);
	if (f[9].present) {
		char z[8] = "";
		FILE *zf;

		snprintf(path, sizeof(path), "%s/use_zero_page", thp_dir);
		zf = fopen(path, "re");
		if (zf) {
			if (!fgets(z, sizeof(z), zf))
				z[0] = '\0';
			fclose(zf);
		}
		if ((z[0] == '1') != (f[9].index == 1))
			return host_env_skip(h, "the host's use_zero_page is %c, the scenario asks %s",
					 z[0] ? z[0] : '?', f[9].index ? "on" : "off");
	}
	host_detail(h, "host THP mode %s (zone sizes and pin settings are the model's own)",
		    have);
	return 0;
}

/* thp [deferred-split] [size=N] [enabled=MODE]: the size's switch set for the run
 * (restored at the end, host.c). */
static int thp_run(struct host_run *h, const struct scn_step *st, const struct scn_value *a)
{
	static const char *const modes[] = { "never", "madvise", "always", "inherit" };
	const struct scn_value *f = &a[0];
	char path[160], have[32];

	if (f->num & 1)
		return host_skip(h, "not expressible on the host: the deferred split queue runs "
				 "when the kernel decides");
	if (!f[1].present || !f[2].present)
		return host_skip(h, "not expressible on the host: nothing to compare");
	snprintf(path, sizeof(path), "%s/hugepages-%llukB/enabled", thp_dir,
		 (unsigned long long)(f[1].num >> 10));
	if (!sysfs_choice(path, have, sizeof(have)))
		return host_env_skip(h, "the host has no %lluK THP size", (unsigned long long)(f[1].num >> 10));
	if (strcmp(have, modes[f[2].index]))
		return host_thp_set(h, path, have, modes[f[2].index]);
	host_detail(h, "host %lluK THP is %s", (unsigned long long)(f[1].num >> 10), have);
	return 0;
}


static int hugepages_run(struct host_run *h, const struct scn_step *st, const struct scn_value *a)
{
	if (a[0].num != (2u << 20))
		return host_skip(h, "not expressible on the host: only the 2M pool is raised for "
				 "runs");
	if (a[3].present)
		return host_skip(h, "not expressible on the host: surplus (overcommit) pages would "
				 "change a global setting");
	return host_hugetlb_set(h, (unsigned long)a[1].num);
}

/* swap on SIZE: a swap file of SIZE for the run (host.c); swap off. */
static int swap_on_run(struct host_run *h, const struct scn_step *st, const struct scn_value *a)
{
	(void)st;
	return host_swap_on(h, a[0].num);
}

static int swap_off_run(struct host_run *h, const struct scn_step *st, const struct scn_value *a)
{
	(void)st;
	(void)a;
	return host_swap_off(h);
}

#define MODEL_ONLY	"the model's own machinery, which the host does not expose"

/* The table host.c looks commands up in. */
const struct host_cmd host_mem_cmds[] = {
	{ "process", process_run, NULL },
	{ "fork", fork_run, NULL },
	{ "exit", exit_run, NULL },
	{ "mmap", mmap_run, NULL },
	{ "munmap", munmap_run, NULL },
	{ "mprotect", mprotect_run, NULL },
	{ "madvise", madvise_run, NULL },
	{ "mremap", mremap_run, NULL },
	{ "mlock", mlock_run, NULL },
	{ "munlock", munlock_run, NULL },
	{ "write", write_run, NULL },
	{ "read", read_run, NULL },
	{ "file", file_run, NULL },
	{ "open", open_run, NULL },
	{ "close", close_run, NULL },
	{ "mmap-file", mmap_file_run, NULL },
	{ "pwrite", pwrite_run, NULL },
	{ "pread", pread_run, NULL },
	{ "fsync", fsync_run, NULL },
	{ "truncate", truncate_run, NULL },
	{ "punch", punch_run, NULL },
	{ "fallocate", fallocate_run, NULL },
	{ "sync", sync_run, NULL },
	{ "memfd", memfd_run, NULL },
	{ "seal", seal_run, NULL },
	{ "expect seals", expect_seals_run, NULL },
	{ "memory", memory_run, NULL },
	{ "thp", thp_run, NULL },
	{ "hugepages", hugepages_run, NULL },
	{ "sysctl", NULL, "the run never changes global settings" },
	{ "files", NULL, "writeback thresholds of the model's page cache" },
	{ "migrate", NULL, "moving pages between the model's zones (" MODEL_ONLY ")" },
	{ "compact", NULL, "compaction of the model's zones (" MODEL_ONLY ")" },
	{ "hold", NULL, "an extra folio reference without a pin (" MODEL_ONLY ")" },
	{ "release", NULL, "an extra folio reference without a pin (" MODEL_ONLY ")" },
	{ "khugepaged", NULL, "khugepaged runs when the kernel decides (use madvise collapse)" },
	{ "stats", NULL, "the model's counters" },
	{ "maps", NULL, "the model's VMA listing" },
	{ "pages", NULL, "the model's page listing" },
	{ "writeback", NULL, "a writeback pass of the model's flusher" },
	{ "reclaim", NULL, "reclaim of the model's page cache" },
	{ "inject", NULL, "I/O error injection into the model's disk" },
	{ "msync", NULL, "not mapped yet" },
	{ "secretmem", NULL, "memfd_secret is not enabled for runs" },
	{ "cloexec", NULL, "FD_CLOEXEC of the runner's descriptors says nothing about memory" },
	{ "expect cloexec", NULL, "FD_CLOEXEC of the runner's descriptors" },
	{ "user", NULL, "pin budgets (" MODEL_ONLY ")" },
	{ "budget", NULL, "pin budgets (" MODEL_ONLY ")" },
	{ "user-budget", NULL, "pin budgets (" MODEL_ONLY ")" },
	{ "budgets", NULL, "pin budgets (" MODEL_ONLY ")" },
	{ "expect budget", NULL, "pin budgets (" MODEL_ONLY ")" },
	{ "expect user-budget", NULL, "pin budgets (" MODEL_ONLY ")" },
	{ "rlimit", NULL, "RLIMIT_MEMLOCK: the runner is root with CAP_IPC_LOCK" },
	{ "cap", NULL, "capabilities: the runner is root" },
	{ "swap on", swap_on_run, NULL },
	{ "swap off", swap_off_run, NULL },
	{ "swap inject", NULL, "I/O error injection into the model's swap device" },
	{ "fail", NULL, "host fault injection into the model (" MODEL_ONLY ")" },
	{ "expect fault", NULL, "host fault injection into the model (" MODEL_ONLY ")" },
	{ "meminfo", NULL, "the model's hugetlb pool listing" },
	{ "expect hugepages", NULL, "the host pool is shared with everything else on it" },
	{ NULL, NULL, NULL },
};
