/* SPDX-License-Identifier: MIT */
/*
 * bench_host.c - `pinmm bench`'s host kernel row: io_uring register and
 * unregister of one buffer.
 *
 * IORING_REGISTER_BUFFERS pins the buffer's pages in the host kernel
 * (FOLL_PIN | FOLL_LONGTERM | FOLL_WRITE, one pin per folio where the
 * kernel coalesces) and IORING_UNREGISTER_BUFFERS unpins them: the host's
 * own get and put of the same size and backing as the model's rows.  The
 * buffer is private anonymous memory faulted in by writing every page:
 * 4 KiB pages (MADV_NOHUGEPAGE), THPs (MADV_HUGEPAGE, 2 MiB aligned; the
 * share the host backed with THPs is read from /proc/self/smaps) or
 * hugetlb pages (MAP_HUGETLB, from the host's pool).  Where io_uring, the
 * backing or the registration is not available, the reason is recorded
 * instead of figures.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/uio.h>
#ifdef PINMM_HAVE_LIBURING
#include <liburing.h>
#endif
#include "util.h"
#include "bench_core.h"
#include "bench.h"

#ifdef PINMM_HAVE_LIBURING
/* AnonHugePages of the mapping holding @addr, in KiB; -1 if not found. */
static long anon_huge_kib(unsigned long addr)
{
	FILE *f = fopen("/proc/self/smaps", "r");
	char line[256];
	bool in = false;
	long kib = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		unsigned long lo, hi;

		if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2) {
			if (in)
				break;
			in = addr >= lo && addr < hi;
		} else if (in && sscanf(line, "AnonHugePages: %ld kB", &kib) == 1) {
			break;
		}
	}
	fclose(f);
	return kib;
}

/* Map the buffer (the mapping: *@base, *@maplen bytes) and fault it in;
 * returns the buffer, or NULL with @h->reason set. */
static char *map_buffer(enum bench_backing b, size_t bytes, char **base, size_t *maplen,
			struct bench_host *h)
{
	int flags = MAP_PRIVATE | MAP_ANONYMOUS | (b == BK_HUGETLB ? MAP_HUGETLB : 0);
	size_t len = bytes + (b == BK_THP ? HPAGE_PMD_SIZE : 0);
	char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, flags, -1, 0), *a;
	long kib;

	if (p == MAP_FAILED) {
		int e = errno;

		snprintf(h->reason, sizeof(h->reason), "mmap%s: %s%s",
			 b == BK_HUGETLB ? "(MAP_HUGETLB)" : "", strerror(e),
			 b == BK_HUGETLB && e == ENOMEM ?
			 " (the host's 2 MiB pool, /proc/sys/vm/nr_hugepages, is too small)" : "");
		return NULL;
	}
	*base = p;
	*maplen = len;
	a = b == BK_THP ? (char *)ALIGN((unsigned long)p, HPAGE_PMD_SIZE) : p;
	if (b != BK_HUGETLB && madvise(a, bytes, b == BK_THP ? MADV_HUGEPAGE : MADV_NOHUGEPAGE)) {
		snprintf(h->reason, sizeof(h->reason), "madvise: %s", strerror(errno));
		munmap(p, len);
		return NULL;
	}
	for (size_t off = 0; off < bytes; off += PAGE_SIZE)
		a[off] = 1;
	if (b == BK_THP) {
		kib = anon_huge_kib((unsigned long)a);
		if (kib <= 0) {
			snprintf(h->reason, sizeof(h->reason),
				 "no THP backing (AnonHugePages %ld kB; "
				 "/sys/kernel/mm/transparent_hugepage/enabled)", kib);
			munmap(p, len);
			return NULL;
		}
		if ((unsigned long)kib < bytes >> 10)
			snprintf(h->reason, sizeof(h->reason), "only %ld of %zu KiB in THPs", kib,
				 bytes >> 10);
	}
	return a;
}
#endif

#ifdef PINMM_HAVE_LIBURING
/*
 * The host's cost per page at @n pages per call: each @n-page piece of
 * the buffer @buf (o->mib MiB) registered and unregistered in turn, one
 * untimed round and o->repeats timed ones; the median ns per page into
 * *@ns.  0, or -1 if a registration failed (*@ns left 0).
 */
static int host_batch(const struct bench_opts *o, struct io_uring *ring, char *buf,
		      unsigned long n, double *ns)
{
	unsigned long pages = (o->mib << 20) / PAGE_SIZE;
	double a[BENCH_MAX_REPEATS];

	for (unsigned int k = 0; k <= o->repeats; k++) {
		double t0 = bench_now_ns();

		for (unsigned long off = 0; off < pages; off += n) {
			struct iovec iov = {
				.iov_base = buf + off * PAGE_SIZE,
				.iov_len = min_t(unsigned long, n, pages - off) * PAGE_SIZE,
			};

			if (io_uring_register_buffers(ring, &iov, 1) < 0)
				return -1;
			if (io_uring_unregister_buffers(ring) < 0)
				return -1;
		}
		if (k)
			a[k - 1] = (bench_now_ns() - t0) / (double)pages;
	}
	*ns = bench_median(a, o->repeats);
	return 0;
}
#endif

void bench_host_run(const struct bench_opts *o, enum bench_backing backing,
		    struct bench_host *h)
{
	memset(h, 0, sizeof(*h));
#ifndef PINMM_HAVE_LIBURING
	snprintf(h->reason, sizeof(h->reason), "pinmm was built without liburing");
#else
	size_t bytes = o->mib << 20, maplen = 0;
	struct io_uring ring;
	struct iovec iov;
	double a[BENCH_MAX_REPEATS];
	char *buf, *base = NULL;
	int ret;

	ret = io_uring_queue_init(4, &ring, 0);
	if (ret < 0) {
		snprintf(h->reason, sizeof(h->reason), "io_uring unavailable: io_uring_queue_init: %s",
			 strerror(-ret));
		return;
	}
	buf = map_buffer(backing, bytes, &base, &maplen, h);
	if (!buf)
		goto out_ring;
	iov.iov_base = buf;
	iov.iov_len = bytes;
	for (unsigned int k = 0; k <= o->repeats; k++) {
		double t0 = bench_now_ns(), t1, t2;

		ret = io_uring_register_buffers(&ring, &iov, 1);
		t1 = bench_now_ns();
		if (ret < 0) {
			snprintf(h->reason, sizeof(h->reason), "IORING_REGISTER_BUFFERS: %s",
				 strerror(-ret));
			goto out_buf;
		}
		ret = io_uring_unregister_buffers(&ring);
		t2 = bench_now_ns();
		if (ret < 0) {
			snprintf(h->reason, sizeof(h->reason), "IORING_UNREGISTER_BUFFERS: %s",
				 strerror(-ret));
			goto out_buf;
		}
		if (!k)		/* the untimed round */
			continue;
		h->get_us[k - 1] = (t1 - t0) / 1e3;
		h->put_us[k - 1] = (t2 - t1) / 1e3;
		a[k - 1] = (t2 - t0) / (double)(bytes / PAGE_SIZE);
	}
	h->ns_page = bench_median(a, o->repeats);
	h->measured = true;
	for (unsigned int i = 0; i < o->nr_batches; i++)
		if (host_batch(o, &ring, buf, o->batches[i], &h->batch_ns[i]))
			break;
out_buf:
	munmap(base, maplen);
out_ring:
	io_uring_queue_exit(&ring);
#endif
}
