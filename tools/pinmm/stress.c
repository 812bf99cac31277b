/* SPDX-License-Identifier: MIT */
/*
 * stress.c - `pinmm stress`: a concurrent random workload with a data oracle.
 *
 *   pinmm stress [--seconds N] [--threads T] [--seed S] [--check-every K]
 *                [--ops N] [--progress | --quiet]
 *
 * T worker threads each run one process of their own with an anonymous
 * private buffer (THP-advised) and a disk file of their own mapped shared,
 * and do random operations on them: CPU writes and reads, fork (the child
 * checks what it inherited, writes its own copy, exits; the parent's data
 * must not change), munmap and re-mmap, mprotect, mremap, buffered file
 * writes, writes through the shared mapping, truncate, hole punching,
 * fsync, Direct IO in both directions, an RDMA memory region written and
 * read by its device, io_uring-style fixed buffers read and written
 * against the file, vmsplice into a pipe read back later, and a long-term
 * pin owner on the file under a layout lease that a truncate breaks (its
 * holder releases in time, or is revoked by force).  One more thread acts
 * on everyone's memory at once: migration, compaction, reclaim and
 * MADV_PAGEOUT to swap, writeback, now and then swapoff + swapon.
 *
 * A shadow copy (the oracle) says what every buffer and file must hold:
 * each worker owns its objects, so its oracle does not depend on how the
 * threads interleave, and what the other thread does must never change a
 * byte.  Every read is compared with it; at the end each file is fsynced
 * and its backing file on the host compared byte for byte.  The invariant
 * checkers run every K operations (all threads quiesced for them).  The
 * same seed gives each thread the same stream of operations.
 *
 * Output: a progress line a second (on a terminal, or --progress), then
 * the operations by kind and every violation.  Exit 0 when nothing was
 * lost or broken, 1 otherwise, 2 for usage errors and setup failures.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/falloc.h>
#include <sys/mman.h>

#include <pinmm/pinmm.h>
#include <pinmm/dio.h>
#include <pinmm/file.h>
#include <pinmm/gup.h>
#include <pinmm/io_uring.h>
#include <pinmm/mman.h>
#include <pinmm/pipe.h>
#include <pinmm/rdma.h>
#include <pinmm/swap.h>
#include <pinmm/task.h>
#include <pinmm/vaddr_pin.h>

#include "cli.h"

#define PG		4096UL
#define BUF_PAGES	64		/* the anonymous buffer: 256 KiB */
#define FILE_PAGES	32		/* the file: 128 KiB */
#define MAX_THREADS	8
#define MAX_VIOLATIONS	32

enum op_kind {
	OP_WRITE, OP_READ, OP_FORK, OP_REMAP, OP_MPROTECT, OP_MREMAP, OP_FWRITE, OP_MWRITE,
	OP_TRUNCATE, OP_PUNCH, OP_FSYNC, OP_DIO_WRITE, OP_DIO_READ, OP_RDMA, OP_FIXED,
	OP_VMSPLICE, OP_LEASE,
	/* the chaos thread's */
	OP_MIGRATE, OP_COMPACT, OP_RECLAIM, OP_PAGEOUT, OP_WRITEBACK, OP_SWAPCYCLE,
	OP_CHECK, NR_OPS
};

static const char *const op_names[NR_OPS] = {
	"cpu-write", "cpu-read", "fork", "munmap+mmap", "mprotect", "mremap", "file-write",
	"mapped-write", "truncate", "punch-hole", "fsync", "dio-write", "dio-read", "rdma",
	"fixed-buffer", "vmsplice", "lease", "migrate", "compact", "reclaim", "pageout",
	"writeback", "swapoff+on", "check",
};

struct worker {
	unsigned int id;
	uint64_t rng;
	pthread_t thread;
	struct task_struct *task;
	unsigned long buf;		/* BUF_PAGES, anonymous private */
	unsigned long map;		/* FILE_PAGES, the file shared */
	struct file *file;
	struct pnm_io_ring *ring;
	struct pnm_ib_pd *pd;
	unsigned char *obuf;		/* oracle of the buffer */
	unsigned char *ofile;		/* oracle of the file (FILE_PAGES long) */
	int64_t fsize;			/* oracle of the file size */
	struct vaddr_pin *owner;	/* the lease op's, while it runs */
	bool owner_released;
};

static struct {
	unsigned int nr_threads;
	unsigned long seconds, check_every, max_ops;
	uint64_t seed;
	bool progress;
	bool quiet;
	struct worker w[MAX_THREADS];
	struct pnm_dio_dev *dio;
	struct pnm_ib_device *ib;
	/* Workers hold it for reading around each operation; the checkers
	 * run with it held for writing (pnm_check_system()'s rule). */
	pthread_rwlock_t quiesce;
	atomic_bool stop;
	atomic_uint workers_done;
	atomic_ulong ops[NR_OPS];
	atomic_ulong total;
	atomic_uint nr_violations;
	char violations[MAX_VIOLATIONS][256];
} st;

static uint64_t rnd(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545F4914F6CDD1DULL;
}

static void violation(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void violation(const char *fmt, ...)
{
	unsigned int n = atomic_fetch_add(&st.nr_violations, 1);
	va_list ap;

	if (n >= MAX_VIOLATIONS)
		return;
	va_start(ap, fmt);
	vsnprintf(st.violations[n], sizeof(st.violations[n]), fmt, ap);
	va_end(ap);
}

/* Compare @len bytes at user address @addr of @t with @want. */
static void verify_user(struct worker *w, struct task_struct *t, unsigned long addr,
			const unsigned char *want, size_t len, const char *what)
{
	unsigned char *got = malloc(len);
	int ret;

	if (!got)
		return;
	ret = pnm_user_read(t, addr, got, len);
	if (ret)
		violation("thread %u: %s: read failed: %s", w->id, what, pnm_strerror(ret));
	else if (memcmp(got, want, len)) {
		size_t i = 0;

		while (got[i] == want[i])
			i++;
		violation("thread %u: %s: byte %zu is %#x, the oracle says %#x", w->id, what, i,
			  got[i], want[i]);
	}
	free(got);
}

static void fill(unsigned char *p, size_t len, uint64_t r)
{
	for (size_t i = 0; i < len; i++)
		p[i] = (unsigned char)(r >> ((i % 8) * 8)) ^ (unsigned char)(i / 8);
}

/* The file's oracle after a size change to @size (bytes past it zero). */
static void oracle_resize(struct worker *w, int64_t size)
{
	if (size < (int64_t)(FILE_PAGES * PG))
		memset(w->ofile + size, 0, FILE_PAGES * PG - (size_t)size);
	w->fsize = size;
}

/* --- the workers' operations ---------------------------------------------- */

static void op_write(struct worker *w, uint64_t a, uint64_t b)
{
	size_t off = a % (BUF_PAGES * PG), len = 1 + b % (3 * PG);

	if (len > BUF_PAGES * PG - off)
		len = BUF_PAGES * PG - off;
	fill(w->obuf + off, len, a ^ b);
	if (pnm_user_write(w->task, w->buf + off, w->obuf + off, len))
		violation("thread %u: cpu write at +%zu failed", w->id, off);
}

static void op_read(struct worker *w, uint64_t a)
{
	size_t off = (a % BUF_PAGES) * PG;

	verify_user(w, w->task, w->buf + off, w->obuf + off, 4 * PG > BUF_PAGES * PG - off ?
		    BUF_PAGES * PG - off : 4 * PG, "buffer");
}

static void op_fork(struct worker *w, uint64_t a)
{
	struct task_struct *child;
	unsigned char scribble[PG];
	size_t off = (a % BUF_PAGES) * PG;

	if (pnm_task_fork(w->task, "stress-child", &child))
		return;
	verify_user(w, child, w->buf, w->obuf, BUF_PAGES * PG, "the child's inherited buffer");
	memset(scribble, 0xc5, sizeof(scribble));
	if (pnm_user_write(child, w->buf + off, scribble, PG))
		violation("thread %u: the child's write failed", w->id);
	verify_user(w, child, w->buf + off, scribble, PG, "the child's own write");
	verify_user(w, w->task, w->buf + off, w->obuf + off, PG, "the parent after the child wrote");
	pnm_task_exit(child);
	pnm_task_put(child);
}

static void op_remap(struct worker *w, uint64_t a, uint64_t b)
{
	size_t first = a % BUF_PAGES, n = 1 + b % (BUF_PAGES - first);
	long addr;

	if (pnm_munmap(w->task, w->buf + first * PG, n * PG))
		return;
	addr = pnm_mmap(w->task, w->buf + first * PG, n * PG, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, NULL, 0);
	if (addr != (long)(w->buf + first * PG)) {
		violation("thread %u: mmap back over the hole: %s", w->id,
			  addr < 0 ? pnm_strerror((int)addr) : "elsewhere");
		return;
	}
	memset(w->obuf + first * PG, 0, n * PG);
}

static void op_mprotect(struct worker *w, uint64_t a)
{
	size_t off = (a % BUF_PAGES) * PG;
	unsigned char byte = 0x5a;

	if (pnm_mprotect(w->task, w->buf + off, PG, PROT_READ))
		return;
	if (pnm_user_write(w->task, w->buf + off, &byte, 1) != -EFAULT)
		violation("thread %u: a write to a read-only page did not fault", w->id);
	verify_user(w, w->task, w->buf + off, w->obuf + off, PG, "a read-only page");
	if (pnm_mprotect(w->task, w->buf + off, PG, PROT_READ | PROT_WRITE))
		violation("thread %u: mprotect back to read-write failed", w->id);
}

static void op_mremap(struct worker *w)
{
	long to = pnm_mremap(w->task, w->buf, BUF_PAGES * PG, BUF_PAGES * PG,
			     PNM_MREMAP_MAYMOVE | PNM_MREMAP_DONTUNMAP, 0);

	if (to < 0)
		return;
	/* DONTUNMAP left the old range mapped and empty: drop it. */
	pnm_munmap(w->task, w->buf, BUF_PAGES * PG);
	/* Relaxed: pairs with the chaos thread's relaxed load (any value
	 * it sees is an address, old or new). */
	__atomic_store_n(&w->buf, (unsigned long)to, __ATOMIC_RELAXED);
	verify_user(w, w->task, w->buf, w->obuf, BUF_PAGES * PG, "the buffer after mremap");
}

static void op_fwrite(struct worker *w, uint64_t a, uint64_t b)
{
	size_t off = a % (FILE_PAGES * PG), len = 1 + b % (2 * PG);
	ssize_t n;

	if (len > FILE_PAGES * PG - off)
		len = FILE_PAGES * PG - off;
	fill(w->ofile + off, len, a + b);
	n = pnm_file_write(w->file, w->ofile + off, len, (int64_t)off);
	if (n != (ssize_t)len)
		violation("thread %u: file write: %zd", w->id, n);
	if ((int64_t)(off + len) > w->fsize)
		w->fsize = (int64_t)(off + len);
}

static void op_mwrite(struct worker *w, uint64_t a, uint64_t b)
{
	size_t off = a % (size_t)w->fsize, len = 1 + b % PG;

	if (!w->fsize)
		return;
	if (len > (size_t)w->fsize - off)
		len = (size_t)w->fsize - off;
	fill(w->ofile + off, len, a * 3 + b);
	if (pnm_user_write(w->task, w->map + off, w->ofile + off, len))
		violation("thread %u: write through the shared mapping failed", w->id);
}

/* Truncate down (bytes past the cut are gone), then back to full size. */
static void op_truncate(struct worker *w, uint64_t a)
{
	int64_t cut = (int64_t)(a % (FILE_PAGES * PG));

	if (pnm_file_truncate(w->file, cut) || pnm_file_truncate(w->file, FILE_PAGES * PG)) {
		violation("thread %u: truncate failed", w->id);
		return;
	}
	oracle_resize(w, cut);
	w->fsize = FILE_PAGES * PG;
}

static void op_punch(struct worker *w, uint64_t a, uint64_t b)
{
	size_t off = a % (FILE_PAGES * PG), len = 1 + b % (4 * PG);

	if (len > FILE_PAGES * PG - off)
		len = FILE_PAGES * PG - off;
	if (pnm_file_fallocate(w->file, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
			       (int64_t)off, (int64_t)len)) {
		violation("thread %u: punch hole failed", w->id);
		return;
	}
	if ((int64_t)off < w->fsize)
		memset(w->ofile + off, 0, (int64_t)(off + len) > w->fsize ?
		       (size_t)w->fsize - off : len);
}

static void op_dio(struct worker *w, bool write, uint64_t a, uint64_t b)
{
	size_t boff = (a % (BUF_PAGES - 4)) * PG, foff = (b % (FILE_PAGES - 4)) * PG;
	size_t len = (1 + (a >> 32) % 4) * PG;
	ssize_t n = pnm_dio_rw(st.dio, w->file, write ? PNM_DIO_WRITE : PNM_DIO_READ,
			       w->buf + boff, len, (int64_t)foff);

	if (n < 0)
		return;		/* refused (e.g. no memory to pin): nothing moved */
	if (write) {
		memcpy(w->ofile + foff, w->obuf + boff, (size_t)n);
		if ((int64_t)(foff + (size_t)n) > w->fsize)
			w->fsize = (int64_t)(foff + (size_t)n);
	} else {
		memcpy(w->obuf + boff, w->ofile + foff, (size_t)n);
	}
}

static void op_rdma(struct worker *w, uint64_t a)
{
	size_t off = (a % (BUF_PAGES - 8)) * PG, len = 8 * PG;
	struct pnm_ib_mr_attr attr = {
		.size = sizeof(attr), .addr = w->buf + off, .length = len, .iova = w->buf + off,
		.access = PNM_IB_ACCESS_LOCAL_WRITE | PNM_IB_ACCESS_REMOTE_WRITE |
			  PNM_IB_ACCESS_REMOTE_READ,
	};
	unsigned char data[2 * PG], back[2 * PG];
	size_t at = ((a >> 24) % 6) * PG;
	struct pnm_ib_mr *mr;

	if (pnm_ib_reg_mr(w->pd, &attr, &mr))
		return;
	fill(data, sizeof(data), a ^ 0xd3);
	if (pnm_ib_remote_write(st.ib, pnm_ib_mr_rkey(mr), w->buf + off + at, data, sizeof(data)))
		violation("thread %u: remote write into a live region failed", w->id);
	else
		memcpy(w->obuf + off + at, data, sizeof(data));
	if (pnm_ib_remote_read(st.ib, pnm_ib_mr_rkey(mr), w->buf + off, back, sizeof(back)) ||
	    memcmp(back, w->obuf + off, sizeof(back)))
		violation("thread %u: remote read differs from the oracle", w->id);
	if (pnm_ib_dereg_mr(mr))
		violation("thread %u: dereg_mr failed", w->id);
	verify_user(w, w->task, w->buf + off, w->obuf + off, len, "an RDMA region's memory");
}

static void op_fixed(struct worker *w, uint64_t a, uint64_t b)
{
	size_t off = (a % (BUF_PAGES - 4)) * PG, foff = (b % (FILE_PAGES - 2)) * PG;
	struct iovec iov = { .iov_base = (void *)(w->buf + off), .iov_len = 4 * PG };
	ssize_t n;

	if (pnm_io_ring_register_buffers(w->ring, &iov, 1))
		return;
	if (a & (1ULL << 40)) {
		n = pnm_io_ring_read_fixed(w->ring, w->file, 0, w->buf + off, 2 * PG,
					   (int64_t)foff);
		if (n > 0)
			memcpy(w->obuf + off, w->ofile + foff, (size_t)n);
	} else {
		n = pnm_io_ring_write_fixed(w->ring, w->file, 0, w->buf + off, 2 * PG,
					    (int64_t)foff);
		if (n > 0) {
			memcpy(w->ofile + foff, w->obuf + off, (size_t)n);
			if ((int64_t)(foff + (size_t)n) > w->fsize)
				w->fsize = (int64_t)(foff + (size_t)n);
		}
	}
	if (n < 0)
		violation("thread %u: fixed %s: %s", w->id, (a & (1ULL << 40)) ? "read" : "write",
			  pnm_strerror((int)n));
	if (pnm_io_ring_unregister_buffers(w->ring))
		violation("thread %u: unregister failed", w->id);
}

/* vmsplice a page of the buffer into a pipe, then read it out into the
 * next page: the pipe holds plain references to the page, and gives what
 * the page holds when it is read (nothing wrote it in between). */
static void op_vmsplice(struct worker *w, uint64_t a)
{
	size_t off = (a % (BUF_PAGES - 1)) * PG;
	struct pnm_pipe *pipe;
	ssize_t n;

	if (pnm_pipe_create(&pipe))
		return;
	n = pnm_vmsplice(w->task, pipe, w->buf + off, PG, 0);
	if (n == (ssize_t)PG) {
		n = pnm_pipe_read(pipe, w->task, w->buf + off + PG, PG);
		if (n == (ssize_t)PG)
			memcpy(w->obuf + off + PG, w->obuf + off, PG);
		else
			violation("thread %u: reading a vmspliced page back: %zd", w->id, n);
		verify_user(w, w->task, w->buf + off + PG, w->obuf + off + PG, PG,
			    "a page read out of a pipe");
	}
	pnm_pipe_destroy(pipe);
}

static void lease_revoke(struct vaddr_pin *vp, void *arg)
{
	struct worker *w = arg;

	if (!w->owner_released && !vaddr_unpin_pages(vp, w->map, true))
		w->owner_released = true;
}

static const struct vaddr_pin_ops lease_ops = { .revoke = lease_revoke };

/* A long-term owner pins the shared mapping of the file under a layout
 * lease; its device writes a page; a truncate breaks the lease.  The
 * holder releases in time (its callback), or not and is revoked by force
 * at the deadline; the file holds the device's write up to the cut. */
static void op_lease(struct worker *w, uint64_t a)
{
	struct vaddr_pin_params p = {
		.size = sizeof(p), .task = w->task, .f_owner = w->file,
		.flags = VADDR_PIN_WRITE | VADDR_PIN_LONGTERM, .name = "stress-lease",
		.ops = (a & 1) ? &lease_ops : NULL, .ops_arg = w,
	};
	size_t at = ((a >> 8) % (FILE_PAGES / 2)) * PG;
	int64_t cut = (int64_t)(FILE_PAGES / 2 * PG + ((a >> 16) % (FILE_PAGES / 2)) * PG);
	unsigned char data[PG];

	if (pnm_file_set_layout_lease(w->file, 5))
		return;
	w->owner_released = false;
	if (vaddr_pin_create(&p, &w->owner))
		goto out_lease;
	if (vaddr_pin_user_pages(w->owner, w->map, FILE_PAGES, NULL) != FILE_PAGES) {
		w->owner_released = true;	/* nothing (or part) pinned */
		vaddr_unpin_pages(w->owner, w->map, false);
		goto out_owner;
	}
	fill(data, PG, a);
	if (pnm_vaddr_pin_dma_write(w->owner, w->map + at, data, PG) == 0)
		memcpy(w->ofile + at, data, PG);
	else
		violation("thread %u: device write through a live lease failed", w->id);
	if (pnm_file_truncate(w->file, cut))
		violation("thread %u: the breaking truncate failed", w->id);
	oracle_resize(w, cut);
	if (!w->owner_released && vaddr_unpin_pages(w->owner, w->map, true))
		violation("thread %u: late unpin of a revoked owner failed", w->id);
	w->owner_released = true;
	if (pnm_file_truncate(w->file, FILE_PAGES * PG))
		violation("thread %u: growing the file back failed", w->id);
	w->fsize = FILE_PAGES * PG;
out_owner:
	if (vaddr_pin_destroy(w->owner))
		violation("thread %u: an owner without pins could not be destroyed", w->id);
	w->owner = NULL;
out_lease:
	pnm_file_release_layout_lease(w->file);
}

static void maybe_check(void)
{
	unsigned long n = atomic_fetch_add(&st.total, 1) + 1;

	if (!st.check_every || n % st.check_every)
		return;
	pthread_rwlock_wrlock(&st.quiesce);
	if (!pnm_check_system())
		violation("invariant violated after %lu operations: %s", n, pnm_check_error());
	pthread_rwlock_unlock(&st.quiesce);
	atomic_fetch_add(&st.ops[OP_CHECK], 1);
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct task_struct *prev = pnm_task_enter(w->task);

	for (unsigned long done = 0; !atomic_load(&st.stop) && (!st.max_ops || done < st.max_ops);
	     done++) {
		/* Every random number of an operation is drawn before it runs:
		 * the stream does not depend on outcomes. */
		uint64_t k = rnd(&w->rng) % 100, a = rnd(&w->rng), b = rnd(&w->rng);
		enum op_kind op = k < 22 ? OP_WRITE : k < 34 ? OP_READ : k < 38 ? OP_FORK :
				  k < 41 ? OP_REMAP : k < 44 ? OP_MPROTECT : k < 46 ? OP_MREMAP :
				  k < 54 ? OP_FWRITE : k < 60 ? OP_MWRITE : k < 63 ? OP_TRUNCATE :
				  k < 66 ? OP_PUNCH : k < 70 ? OP_FSYNC : k < 75 ? OP_DIO_WRITE :
				  k < 80 ? OP_DIO_READ : k < 86 ? OP_RDMA : k < 92 ? OP_FIXED :
				  k < 96 ? OP_VMSPLICE : OP_LEASE;

		pthread_rwlock_rdlock(&st.quiesce);
		switch (op) {
		case OP_WRITE: op_write(w, a, b); break;
		case OP_READ: op_read(w, a); break;
		case OP_FORK: op_fork(w, a); break;
		case OP_REMAP: op_remap(w, a, b); break;
		case OP_MPROTECT: op_mprotect(w, a); break;
		case OP_MREMAP: op_mremap(w); break;
		case OP_FWRITE: op_fwrite(w, a, b); break;
		case OP_MWRITE: op_mwrite(w, a, b); break;
		case OP_TRUNCATE: op_truncate(w, a); break;
		case OP_PUNCH: op_punch(w, a, b); break;
		case OP_FSYNC:
			if (pnm_file_fsync(w->file, 0, INT64_MAX, a & 1))
				violation("thread %u: fsync failed", w->id);
			break;
		case OP_DIO_WRITE: op_dio(w, true, a, b); break;
		case OP_DIO_READ: op_dio(w, false, a, b); break;
		case OP_RDMA: op_rdma(w, a); break;
		case OP_FIXED: op_fixed(w, a, b); break;
		case OP_VMSPLICE: op_vmsplice(w, a); break;
		default: op_lease(w, a); break;
		}
		pthread_rwlock_unlock(&st.quiesce);
		atomic_fetch_add(&st.ops[op], 1);
		maybe_check();
	}
	pnm_task_leave(prev);
	atomic_fetch_add(&st.workers_done, 1);
	return NULL;
}

/* The other thread: it acts on everyone's memory, and must change no byte. */
static void *chaos_main(void *arg)
{
	uint64_t rng = st.seed ^ 0xc4a05ULL;

	(void)arg;
	while (!atomic_load(&st.stop)) {
		uint64_t k = rnd(&rng) % 100, a = rnd(&rng);
		struct worker *w = &st.w[a % st.nr_threads];
		/* Relaxed: the worker may move its buffer meanwhile (mremap);
		 * an old address finds nothing, which is not a finding. */
		unsigned long buf = __atomic_load_n(&w->buf, __ATOMIC_RELAXED);
		size_t off = ((a >> 8) % BUF_PAGES) * PG;
		enum op_kind op = k < 30 ? OP_MIGRATE : k < 45 ? OP_COMPACT : k < 60 ? OP_RECLAIM :
				  k < 85 ? OP_PAGEOUT : k < 99 ? OP_WRITEBACK : OP_SWAPCYCLE;

		pthread_rwlock_rdlock(&st.quiesce);
		switch (op) {
		case OP_MIGRATE:
			/* The worker may have moved its buffer: then this
			 * finds nothing there (an error, not a finding). */
			pnm_migrate_range(w->task, buf + off, 8 * PG,
					  (a & 1) ? PNM_ZONE_MOVABLE : PNM_ZONE_NORMAL);
			break;
		case OP_COMPACT:
			pnm_compact_zone((a & 1) ? PNM_ZONE_MOVABLE : PNM_ZONE_NORMAL, 0, NULL);
			break;
		case OP_RECLAIM:
			pnm_reclaim_pages(256, true);
			break;
		case OP_PAGEOUT:
			pnm_madvise(w->task, buf + off, 16 * PG, MADV_PAGEOUT);
			break;
		case OP_WRITEBACK:
			pnm_writeback_run(false);
			break;
		default:
			if (pnm_swapoff() == 0 && pnm_swapon(NULL, 4096))
				violation("swapon after swapoff failed");
			break;
		}
		pthread_rwlock_unlock(&st.quiesce);
		atomic_fetch_add(&st.ops[op], 1);
		maybe_check();
	}
	return NULL;
}

/* --- setup, the end, the report ------------------------------------------------ */

static int worker_setup(struct worker *w, unsigned int id)
{
	char name[32];
	long addr;
	int ret;

	w->id = id;
	w->rng = (st.seed + 1) * 0x9E3779B97F4A7C15ULL ^ ((uint64_t)id << 32 | 0x5157);
	w->obuf = calloc(BUF_PAGES, PG);
	w->ofile = calloc(FILE_PAGES, PG);
	if (!w->obuf || !w->ofile)
		return -ENOMEM;
	snprintf(name, sizeof(name), "stress%u", id);
	if ((ret = pnm_task_create(name, &w->task)))
		return ret;
	addr = pnm_mmap(w->task, 0, BUF_PAGES * PG, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS, NULL, 0);
	if (addr < 0)
		return (int)addr;
	w->buf = (unsigned long)addr;
	pnm_madvise(w->task, w->buf, BUF_PAGES * PG, MADV_HUGEPAGE);
	if ((ret = pnm_file_open(PNM_FS_DISK, name, O_RDWR | O_CREAT | O_TRUNC, &w->file)) ||
	    (ret = pnm_file_truncate(w->file, FILE_PAGES * PG)))
		return ret;
	w->fsize = FILE_PAGES * PG;
	addr = pnm_mmap(w->task, 0, FILE_PAGES * PG, PROT_READ | PROT_WRITE, MAP_SHARED,
			w->file, 0);
	if (addr < 0)
		return (int)addr;
	w->map = (unsigned long)addr;
	if ((ret = pnm_io_ring_create(w->task, &w->ring)) ||
	    (ret = pnm_ib_alloc_pd(st.ib, w->task, &w->pd)))
		return ret;
	return 0;
}

/* Compare the file's backing store on the host with the oracle. */
static void worker_final(struct worker *w)
{
	unsigned char *got = malloc(FILE_PAGES * PG);
	char path[4096];
	ssize_t n = -1;
	int fd;

	verify_user(w, w->task, w->buf, w->obuf, BUF_PAGES * PG, "the buffer at the end");
	if (pnm_file_fsync(w->file, 0, INT64_MAX, false))
		violation("thread %u: the final fsync failed", w->id);
	if (!got || pnm_fs_backing_path(w->file, path, sizeof(path))) {
		violation("thread %u: no backing path", w->id);
		free(got);
		return;
	}
	fd = open(path, O_RDONLY);
	if (fd >= 0) {
		n = pread(fd, got, FILE_PAGES * PG, 0);
		close(fd);
	}
	if (n != w->fsize || pnm_file_size(w->file) != w->fsize)
		violation("thread %u: the backing file has %zd bytes, the model %" PRId64
			  ", the oracle %" PRId64, w->id, n, pnm_file_size(w->file), w->fsize);
	else if (memcmp(got, w->ofile, (size_t)n)) {
		ssize_t i = 0;

		while (got[i] == w->ofile[i])
			i++;
		violation("thread %u: backing file byte %zd is %#x, the oracle says %#x",
			  w->id, i, got[i], w->ofile[i]);
	}
	free(got);
}

static void worker_teardown(struct worker *w)
{
	pnm_ib_dealloc_pd(w->pd);
	pnm_io_ring_destroy(w->ring);
	if (w->task) {
		pnm_task_exit(w->task);
		pnm_task_put(w->task);
	}
	if (w->file)
		pnm_file_close(w->file);
	free(w->obuf);
	free(w->ofile);
}

void cmd_stress_help(FILE *out)
{
	fputs("usage: pinmm stress [--seconds N] [--threads T] [--seed S] [--check-every K]\n"
	      "                    [--ops N] [--progress | --quiet]\n"
	      "A concurrent random workload (T worker threads, default 2, each with a process,\n"
	      "an anonymous buffer and a disk file; one more thread migrating, compacting,\n"
	      "reclaiming, swapping and writing back) checked against a shadow copy of every\n"
	      "buffer and file; the invariant checkers run every K operations (default 1000).\n"
	      "Default 10 seconds; --ops N ends each worker after N operations (sooner if the\n"
	      "time is up).  The same seed gives each worker the same operations.\n"
	      "Exit 0: nothing lost or broken; 1: a violation; 2: usage or setup.\n",
	      out);
}

static int parse_ulong(const char *s, unsigned long *v)
{
	char *end;

	errno = 0;
	*v = strtoul(s, &end, 0);
	return errno || end == s || *end || *s == '-' ? -1 : 0;
}

int cmd_stress(int argc, char **argv)
{
	struct pnm_config cfg;
	struct timespec t0, now;
	pthread_t chaos;
	unsigned long v, last = 0;
	int ret, rc = 0;

	st.nr_threads = 2;
	st.seconds = 10;
	st.check_every = 1000;
	st.seed = 1;
	st.progress = isatty(2);
	for (int i = 1; i < argc; i++) {
		const char *o = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(o, "--progress")) {
			st.progress = true;
		} else if (!strcmp(o, "--quiet")) {
			st.quiet = true;
			st.progress = false;
		} else if (!strcmp(o, "-h") || !strcmp(o, "--help")) {
			cmd_stress_help(stdout);
			return 0;
		} else if (val && !parse_ulong(val, &v) &&
			   (!strcmp(o, "--seconds") || !strcmp(o, "--threads") ||
			    !strcmp(o, "--seed") || !strcmp(o, "--check-every") ||
			    !strcmp(o, "--ops"))) {
			i++;
			if (!strcmp(o, "--seconds"))
				st.seconds = v;
			else if (!strcmp(o, "--ops"))
				st.max_ops = v;
			else if (!strcmp(o, "--seed"))
				st.seed = v;
			else if (!strcmp(o, "--check-every"))
				st.check_every = v;
			else if (v < 1 || v > MAX_THREADS) {
				fprintf(stderr, "pinmm stress: --threads: 1 to %d\n", MAX_THREADS);
				return 2;
			} else {
				st.nr_threads = (unsigned int)v;
			}
		} else {
			fprintf(stderr, "pinmm stress: bad argument '%s'%s\n", o,
				val ? "" : " (or a missing value)");
			cmd_stress_help(stderr);
			return 2;
		}
	}

	pnm_config_default(&cfg);
	cfg.zone_frames[PNM_ZONE_NORMAL] = 24576;	/* 96 MiB */
	cfg.zone_frames[PNM_ZONE_MOVABLE] = 16384;	/* 64 MiB */
	cfg.swap_pages = 4096;
	/* No flusher thread: the checkers need every thread that changes the
	 * model quiesced, and the chaos thread writes back in its place. */
	cfg.writeback_thread = false;
	cfg.pin_debug = false;	/* the forced revocations are meant */
	if ((ret = pnm_init(&cfg))) {
		fprintf(stderr, "pinmm stress: pnm_init: %s\n", pnm_strerror(ret));
		return 2;
	}
	pthread_rwlock_init(&st.quiesce, NULL);
	ret = pnm_dio_dev_create(2, &st.dio);
	if (!ret) {
		struct pnm_ib_device_params ib = { .size = sizeof(ib), .name = "stress-ib" };

		ret = pnm_ib_device_create(&ib, &st.ib);
	}
	for (unsigned int i = 0; !ret && i < st.nr_threads; i++)
		ret = worker_setup(&st.w[i], i);
	if (ret) {
		fprintf(stderr, "pinmm stress: setup: %s\n", pnm_strerror(ret));
		rc = 2;
		goto out;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (unsigned int i = 0; i < st.nr_threads; i++)
		pthread_create(&st.w[i].thread, NULL, worker_main, &st.w[i]);
	pthread_create(&chaos, NULL, chaos_main, NULL);
	for (;;) {
		unsigned long el;

		usleep(100 * 1000);
		clock_gettime(CLOCK_MONOTONIC, &now);
		el = (unsigned long)(now.tv_sec - t0.tv_sec);
		if (st.progress && el != last) {
			last = el;
			fprintf(stderr, "\rpinmm stress: %lu/%lu s, %lu operations, %u violations ",
				el, st.seconds, atomic_load(&st.total),
				atomic_load(&st.nr_violations));
		}
		if (el >= st.seconds || atomic_load(&st.nr_violations) ||
		    atomic_load(&st.workers_done) == st.nr_threads)
			break;
	}
	atomic_store(&st.stop, true);
	for (unsigned int i = 0; i < st.nr_threads; i++)
		pthread_join(st.w[i].thread, NULL);
	pthread_join(chaos, NULL);
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (st.progress)
		fputc('\n', stderr);
	for (unsigned int i = 0; i < st.nr_threads; i++)
		worker_final(&st.w[i]);
	if (!pnm_check_system())
		violation("invariant violated at the end: %s", pnm_check_error());
	atomic_fetch_add(&st.ops[OP_CHECK], 1);

	if (!st.quiet) {
		printf("pinmm stress: seed %" PRIu64 ", %u threads + 1, %.1f s: %lu operations\n",
		       st.seed, st.nr_threads, (double)(now.tv_sec - t0.tv_sec) +
		       (double)(now.tv_nsec - t0.tv_nsec) / 1e9, atomic_load(&st.total));
		for (int k = 0; k < NR_OPS; k++)
			printf("  %-14s %10lu\n", op_names[k], atomic_load(&st.ops[k]));
	}
	{
		unsigned int nv = atomic_load(&st.nr_violations);

		for (unsigned int i = 0; i < nv && i < MAX_VIOLATIONS; i++)
			printf("VIOLATION: %s\n", st.violations[i]);
		if (nv > MAX_VIOLATIONS)
			printf("... and %u more\n", nv - MAX_VIOLATIONS);
		printf("%u violations\n", nv);
		rc = nv ? 1 : 0;
	}
out:
	for (unsigned int i = 0; i < st.nr_threads; i++)
		worker_teardown(&st.w[i]);
	pnm_ib_device_destroy(st.ib);
	pnm_dio_dev_destroy(st.dio);
	ret = pnm_fini();
	if (ret && !rc) {
		printf("VIOLATION: pnm_fini: %s\n", pnm_strerror(ret));
		rc = 1;
	}
	if (fflush(stdout) || ferror(stdout)) {
		fprintf(stderr, "pinmm stress: writing the report: %s\n", strerror(errno));
		rc = rc ? rc : 1;
	}
	return rc;
}
