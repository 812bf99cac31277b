/* SPDX-License-Identifier: MIT */
/*
 * host_expect.c - the host counterparts of the expectations.
 *
 *   expect read            CPU loads in the agent, compared in the runner
 *   expect page ... PROP   /proc/PID/pagemap (present, swapped, the PFN for
 *                          same-frame / not-same-frame), /proc/kpageflags
 *                          (zero page, anon, THP/compound for order,
 *                          hugetlb, dirty, uptodate, writeback) and
 *                          /proc/kpagecount (mapcount); the runner is root,
 *                          so pagemap shows PFNs
 *   expect counter nr_foll_pin_acquired|released +N [since CP]
 *                          the host-wide /proc/vmstat counters around the
 *                          last acting step (host.c keeps the window);
 *                          other activity on the host may add pins, which
 *                          the detail says
 *   expect rss             /proc/PID/smaps over the VMAs the scenario made
 *                          (the agent's own are left out)
 *   expect file, expect size
 *                          pread(2) and fstat(2) of the host file
 * What the host cannot see (PageAnonExclusive, refcounts, pincounts, the
 * model's zones) is skipped with the reason.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include "host.h"


/* /proc/kpageflags bits (Documentation/admin-guide/mm/pagemap.rst). */
enum {
	KPF_UPTODATE = 3, KPF_DIRTY = 4, KPF_WRITEBACK = 8, KPF_ANON = 12,
	KPF_COMPOUND_HEAD = 15, KPF_COMPOUND_TAIL = 16, KPF_HUGE = 17, KPF_THP = 22,
	KPF_ZERO_PAGE = 24,
};
#define PM_PRESENT	(1ULL << 63)
#define PM_SWAP		(1ULL << 62)
#define PM_FILE		(1ULL << 61)
#define PM_PFN_MASK	((1ULL << 55) - 1)

static int proc_arg(struct host_run *h, const struct scn_value *v, int *rc)
{
	int idx = host_proc(h, v);

	if (idx < 0)
		*rc = idx == -2 ? HOST_SKIP : SCN_FAILED;
	return idx;
}

static bool read_u64(const char *path, uint64_t index, uint64_t *out)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return false;
	n = pread(fd, out, sizeof(*out), (off_t)(index * sizeof(*out)));
	close(fd);
	return n == sizeof(*out);
}

/* What the host shows of the page process @idx maps at @addr. */
struct host_page {
	uint64_t pm;		/* the pagemap entry */
	bool present, swapped;
	uint64_t pfn;
	uint64_t kflags;	/* kpageflags, if present */
	bool have_kflags;
};

static int page_info(struct host_run *h, int idx, uint64_t addr, struct host_page *pg)
{
	char path[64];

	memset(pg, 0, sizeof(*pg));
	snprintf(path, sizeof(path), "/proc/%d/pagemap", (int)host_proc_at(h, idx)->pid);
	if (!read_u64(path, addr / 4096, &pg->pm))
		return host_fail(h, "host: reading %s: %s", path, host_errno_name(errno));
	pg->present = pg->pm & PM_PRESENT;
	pg->swapped = pg->pm & PM_SWAP;
	if (pg->present) {
		pg->pfn = pg->pm & PM_PFN_MASK;
		if (!pg->pfn)
			return host_skip(h, "pagemap hides PFNs (the runner needs CAP_SYS_ADMIN)");
		pg->have_kflags = read_u64("/proc/kpageflags", pg->pfn, &pg->kflags);
	}
	return 0;
}

static bool kf(const struct host_page *pg, int bit)
{
	return pg->have_kflags && (pg->kflags & (1ULL << bit));
}

/* The order of the folio @pfn lies in, from the compound bits of its
 * neighbours (a head, then tails). */
static int folio_order(uint64_t pfn, uint64_t flags)
{
	uint64_t buf[1024], head;
	int fd, order = 0;
	ssize_t n;

	if (!(flags & ((1ULL << KPF_COMPOUND_HEAD) | (1ULL << KPF_COMPOUND_TAIL))))
		return 0;
	fd = open("/proc/kpageflags", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	head = pfn;
	if (flags & (1ULL << KPF_COMPOUND_TAIL)) {
		uint64_t from = pfn >= 1023 ? pfn - 1023 : 0;

		n = pread(fd, buf, (size_t)(pfn - from + 1) * 8, (off_t)(from * 8));
		if (n <= 0) {
			close(fd);
			return -1;
		}
		while (head > from && !(buf[head - from] & (1ULL << KPF_COMPOUND_HEAD)))
			head--;
	}
	n = pread(fd, buf, sizeof(buf), (off_t)(head * 8));
	close(fd);
	if (n <= 0)
		return -1;
	{
		size_t nr = 1;

		while (nr < (size_t)n / 8 && (buf[nr] & (1ULL << KPF_COMPOUND_TAIL)) &&
		       !(buf[nr] & (1ULL << KPF_COMPOUND_HEAD)))
			nr++;
		while ((1UL << order) < nr)
			order++;
	}
	return order;
}

static const char *desc(const struct host_page *pg, char *buf, size_t size)
{
	if (!pg->present)
		snprintf(buf, size, "%s", pg->swapped ? "swapped out" : "nothing mapped");
	else
		snprintf(buf, size, "pfn 0x%llx%s", (unsigned long long)pg->pfn,
			 kf(pg, KPF_ZERO_PAGE) ? " (zero page)" : "");
	return buf;
}

/* One property: 0 holds, SCN_FAILED does not, -ENOENT cannot tell,
 * HOST_SKIP not expressible. */
static int prop(struct host_run *h, const char *name, const struct host_page *pg,
		const struct scn_value *a)
{
	if (!strcmp(name, "anon-exclusive"))
		return host_skip(h, "not expressible on the host: PageAnonExclusive is not visible "
				 "from user space (pagemap's exclusive bit means mapcount 1)");
	if (!strcmp(name, "writable"))
		return host_skip(h, "not expressible on the host: pagemap does not show the PTE's "
				 "write permission");
	if (!strcmp(name, "present"))
		return pg->present ? 0 : SCN_FAILED;
	if (!strcmp(name, "swapped"))
		return pg->swapped ? 0 : SCN_FAILED;
	if (!strcmp(name, "same-frame") || !strcmp(name, "not-same-frame")) {
		int rc = 0, other = proc_arg(h, &a[0], &rc);
		struct host_page pg2;
		uint64_t addr2;
		bool same;

		if (other < 0 || (rc = host_addr(h, other, &a[1], &addr2)))
			return rc;
		if ((rc = page_info(h, other, addr2, &pg2)))
			return rc;
		if (!pg->present || !pg2.present)
			return -ENOENT;
		same = pg->pfn == pg2.pfn;
		host_detail(h, "pfn 0x%llx, %s maps pfn 0x%llx", (unsigned long long)pg->pfn,
			    a[0].word, (unsigned long long)pg2.pfn);
		return same == !strcmp(name, "same-frame") ? 0 : SCN_FAILED;
	}
	if (!pg->present)
		return -ENOENT;
	if (!pg->have_kflags)
		return host_skip(h, "/proc/kpageflags is not readable");
	if (!strcmp(name, "zero-page"))
		return kf(pg, KPF_ZERO_PAGE) && !kf(pg, KPF_THP) ? 0 : SCN_FAILED;
	if (!strcmp(name, "huge-zero-page"))
		return kf(pg, KPF_ZERO_PAGE) && kf(pg, KPF_THP) ? 0 : SCN_FAILED;
	if (!strcmp(name, "anon"))
		return kf(pg, KPF_ANON) ? 0 : SCN_FAILED;
	if (!strcmp(name, "hugetlb"))
		return kf(pg, KPF_HUGE) ? 0 : SCN_FAILED;
	if (!strcmp(name, "dirty"))
		return kf(pg, KPF_DIRTY) ? 0 : SCN_FAILED;
	if (!strcmp(name, "uptodate"))
		return kf(pg, KPF_UPTODATE) ? 0 : SCN_FAILED;
	if (!strcmp(name, "writeback"))
		return kf(pg, KPF_WRITEBACK) ? 0 : SCN_FAILED;
	if (!strcmp(name, "clean"))
		return !kf(pg, KPF_DIRTY) && !kf(pg, KPF_WRITEBACK) ? 0 : SCN_FAILED;
	if (!strcmp(name, "order")) {
		int order = kf(pg, KPF_ZERO_PAGE) ? -1 : folio_order(pg->pfn, pg->kflags);

		if (order < 0)
			return -ENOENT;
		host_detail(h, "pfn 0x%llx is in a folio of order %d", (unsigned long long)pg->pfn,
			    order);
		return (uint64_t)order == a[0].num ? 0 : SCN_FAILED;
	}
	if (!strcmp(name, "mapcount")) {
		uint64_t mc;
		char want[48];

		if (!read_u64("/proc/kpagecount", pg->pfn, &mc))
			return host_skip(h, "/proc/kpagecount is not readable");
		scn_format_cmp(want, sizeof(want), &a[0]);
		host_detail(h, "pfn 0x%llx mapcount %llu (expected %s)",
			    (unsigned long long)pg->pfn, (unsigned long long)mc, want);
		return scn_compare(&a[0], (long)mc) ? 0 : SCN_FAILED;
	}
	return host_skip(h, "not expressible on the host: '%s' is the model's own page state "
			 "(refcounts, pincounts, zones, cache state are not exposed)", name);
}

static int expect_page_run(struct host_run *h, const struct scn_step *st,
			   const struct scn_value *a)
{
	int rc = 0, idx = proc_arg(h, &a[0], &rc);
	const char *name = a[3].variant->name;
	bool negate = a[2].present;
	struct host_page pg;
	uint64_t addr;
	char d[96];

	if (idx < 0 || (rc = host_addr(h, idx, &a[1], &addr)))
		return idx < 0 ? rc : rc;
	if ((rc = page_info(h, idx, addr, &pg)))
		return rc;
	rc = prop(h, name, &pg, &a[4]);
	if (rc == HOST_SKIP)
		return rc;
	if (rc == -ENOENT)
		return host_fail(h, "cannot tell: %s at 0x%llx", desc(&pg, d, sizeof(d)),
				 (unsigned long long)addr);
	if (rc != 0 && rc != SCN_FAILED)
		return rc;
	if (!negate) {
		if (rc && !host_has_detail(h))
			return host_fail(h, "%s is not %s", desc(&pg, d, sizeof(d)), name);
		if (!rc && !host_has_detail(h))
			host_detail(h, "%s: %s", name, desc(&pg, d, sizeof(d)));
		return rc;
	}
	if (!rc)
		return host_fail(h, "%s is %s", desc(&pg, d, sizeof(d)), name);
	host_detail(h, "not %s: %s", name, desc(&pg, d, sizeof(d)));
	return 0;
}

/* --- reads ------------------------------------------------------------------------------------ */

static int compare_bytes(struct host_run *h, const unsigned char *got,
			 const struct scn_value *data, size_t len, const char *what)
{
	unsigned char *want = malloc(len ? len : 1);
	char qg[200], qw[200];
	size_t i = 0;

	if (!want)
		return -ENOMEM;
	scn_data_get(data, 0, want, len);
	if (!memcmp(got, want, len)) {
		free(want);
		return 0;
	}
	while (got[i] == want[i])
		i++;
	scn_quote(qg, sizeof(qg), got + i, len - i, 32);
	scn_quote(qw, sizeof(qw), want + i, len - i, 32);
	free(want);
	return host_fail(h, "%s %s at +%zu; expected %s", what, qg, i, qw);
}

static int expect_read_run(struct host_run *h, const struct scn_step *st,
			   const struct scn_value *a)
{
	size_t len = scn_data_len(&a[2]);
	int rc = 0, idx = proc_arg(h, &a[0], &rc);
	unsigned char *got;
	uint64_t addr;

	if (idx < 0 || (rc = host_addr(h, idx, &a[1], &addr)))
		return idx < 0 ? rc : rc;
	got = malloc(len ? len : 1);
	if (!got)
		return -ENOMEM;
	rc = host_user_read(h, idx, addr, got, len);
	if (!rc)
		rc = compare_bytes(h, got, &a[2], len, "read");
	free(got);
	return rc;
}

static int expect_file_run(struct host_run *h, const struct scn_step *st,
			   const struct scn_value *a)
{
	int rc = 0;
	struct host_obj *o = host_file(h, &a[0], &rc);
	size_t len = scn_data_len(&a[2]);
	unsigned char *got;
	ssize_t n;

	if (!o)
		return rc;
	got = malloc(len ? len : 1);
	if (!got)
		return -ENOMEM;
	n = pread(o->fd, got, len, (off_t)a[1].num);
	if (n < 0) {
		rc = host_fail(h, "read(2) at %llu failed with %s", (unsigned long long)a[1].num,
			       host_errno_name(errno));
	} else if ((size_t)n < len) {
		rc = host_fail(h, "the file ends at %lld; expected %zu bytes at offset %llu",
			       (long long)(a[1].num + (uint64_t)n), len,
			       (unsigned long long)a[1].num);
	} else {
		rc = compare_bytes(h, got, &a[2], len, "the file holds");
	}
	free(got);
	return rc;
}

static int expect_size_run(struct host_run *h, const struct scn_step *st,
			   const struct scn_value *a)
{
	int rc = 0;
	struct host_obj *o = host_file(h, &a[0], &rc);
	struct stat sb;
	char want[48];

	if (!o)
		return rc;
	if (fstat(o->fd, &sb))
		return host_fail(h, "host: fstat: %s", host_errno_name(errno));
	scn_format_cmp(want, sizeof(want), &a[1]);
	if (!scn_compare(&a[1], (long)sb.st_size))
		return host_fail(h, "size %lld; expected %s", (long long)sb.st_size, want);
	host_detail(h, "size %lld", (long long)sb.st_size);
	return 0;
}

/* --- counters ------------------------------------------------------------------------------------ */

#define NS_CHECKPOINT	"checkpoint"
#define HOST_NOISE	"host-wide counter: other activity on the host may add to it"

static int which_counter(const char *name)
{
	if (!strcmp(name, "nr_foll_pin_acquired"))
		return 0;
	if (!strcmp(name, "nr_foll_pin_released"))
		return 1;
	return -1;
}

static int checkpoint_run(struct host_run *h, const struct scn_step *st,
			  const struct scn_value *a)
{
	struct host_obj *o = host_obj_add(h, NS_CHECKPOINT, a[0].word);
	long v[2];

	if (!o)
		return -ENOMEM;
	if (host_pin_counters(v)) {
		o->addr = (uint64_t)v[0];
		o->len = (uint64_t)v[1];
		o->done = true;
	}
	return 0;
}

static int expect_counter_run(struct host_run *h, const struct scn_step *st,
			      const struct scn_value *a)
{
	int which = which_counter(a[0].word);
	char want[48];
	long have;

	if (which < 0)
		return host_skip(h, "not expressible on the host: %s is the model's own count or a "
				 "host-wide one that other activity moves", a[0].word);
	scn_format_cmp(want, sizeof(want), &a[1]);
	if (a[3].present) {
		int rc = 0;
		struct host_obj *o = host_obj_get(h, NS_CHECKPOINT, &a[3], &rc);
		long now[2];

		if (!o)
			return rc;
		if (!o->done || !host_pin_counters(now))
			return host_skip(h, "/proc/vmstat has no pin counters");
		have = now[which] - (long)(which ? o->len : o->addr);
		if (!scn_compare(&a[1], have))
			return host_fail(h, "%s changed by %+ld since %s; expected %s (%s)", a[0].word,
					 have, a[3].word, want, HOST_NOISE);
		host_detail(h, "%s changed by %+ld since %s", a[0].word, have, a[3].word);
		return 0;
	}
	if (a[1].index != SCN_OP_DELTA)
		return host_skip(h, "not expressible on the host: the host's %s counts since boot",
				 a[0].word);
	if (host_window_skipped(h))
		return host_skip(h, "the counters would measure line %u, which the host skipped",
				 host_window_skipped(h));
	if (!host_pin_window(h, which, &have))
		return host_skip(h, "/proc/vmstat has no pin counters");
	if (!scn_compare(&a[1], have))
		return host_fail(h, "%s changed by %+ld; expected %s (%s)", a[0].word, have, want,
				 HOST_NOISE);
	host_detail(h, "%s changed by %+ld", a[0].word, have);
	return 0;
}

/* --- require ------------------------------------------------------------------------------------ */

/*
 * require zero-page|huge-zero-page: does a read fault of fresh anonymous
 * memory map the (huge) zero page on this kernel?  Probed in the runner:
 * a private mapping (2M-aligned with MADV_HUGEPAGE for the huge one) is
 * read once and its frame looked up in pagemap and kpageflags.  Some
 * kernels never map it (a boot option, an architecture that forbids it):
 * then the rest of the scenario is skipped.
 */
static int require_run(struct host_run *h, const struct scn_step *st, const struct scn_value *a)
{
	bool huge = a[0].index == 1;
	size_t len = huge ? (4u << 20) : 4096;
	uint64_t pm = 0, kf = 0;
	volatile const char *p;
	char *map, *addr;
	bool mapped;

	(void)st;
	map = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (map == MAP_FAILED)
		return host_fail(h, "host: mmap of the probe: %s", host_errno_name(errno));
	addr = huge ? (char *)(((uintptr_t)map + (2u << 20) - 1) & ~(uintptr_t)((2u << 20) - 1))
		    : map;
	if (huge)
		madvise(addr, 2u << 20, MADV_HUGEPAGE);
	p = addr;
	(void)*p;
	mapped = read_u64("/proc/self/pagemap", (uintptr_t)addr / 4096, &pm) && (pm & PM_PRESENT) &&
		 (pm & PM_PFN_MASK) &&
		 read_u64("/proc/kpageflags", pm & PM_PFN_MASK, &kf);
	munmap(map, len);
	if (!mapped)
		return host_env_skip(h, "cannot tell: the probe's frame is not visible in pagemap and "
				 "kpageflags");
	if (!(kf & (1ULL << KPF_ZERO_PAGE)) || (huge && !(kf & (1ULL << KPF_THP))))
		return host_env_skip(h, "a read fault of fresh anonymous memory maps a new %s frame "
				     "on this host, not the %szero page", huge ? "2M" : "4K",
				     huge ? "huge " : "");
	host_detail(h, "a read fault maps the %szero page (pfn %#llx)", huge ? "huge " : "",
		    (unsigned long long)(pm & PM_PFN_MASK));
	return 0;
}

/* --- rss ------------------------------------------------------------------------------------------ */

/* Is @base (the agent's own VMAs) holding [s, e)? */
static bool own_vma(const struct host_proc *p, unsigned long s, unsigned long e)
{
	for (size_t i = 0; i < p->nbase; i++)
		if (s < p->base[2 * i + 1] && e > p->base[2 * i])
			return true;
	return false;
}

static int expect_rss_run(struct host_run *h, const struct scn_step *st,
			  const struct scn_value *a)
{
	int rc = 0, idx = proc_arg(h, &a[0], &rc);
	long anon = 0, file = 0, shmem = 0, swap = 0, have, vrss = 0, vanon = 0;
	bool skip_vma = true, shm_vma = false;
	const struct host_proc *p;
	char path[64], line[512], want[48];
	FILE *f;

	if (idx < 0)
		return rc;
	p = host_proc_at(h, idx);
	snprintf(path, sizeof(path), "/proc/%d/smaps", (int)p->pid);
	f = fopen(path, "re");
	if (!f)
		return host_fail(h, "host: open %s: %s", path, host_errno_name(errno));
	while (fgets(line, sizeof(line), f)) {
		unsigned long s, e, kb;
		char name[256] = "";

		if (sscanf(line, "%lx-%lx %*s %*s %*s %*s %255[^\n]", &s, &e, name) >= 2 &&
		    strchr(line, '-') < strchr(line, ' ')) {
			/* a new VMA: account the one before */
			if (!skip_vma) {
				if (shm_vma)
					shmem += vrss - vanon;
				else
					file += vrss - vanon;
				anon += vanon;
			}
			vrss = vanon = 0;
			skip_vma = own_vma(p, s, e) || strstr(name, "io_uring");
			shm_vma = !strncmp(name, "/dev/shm/", 9) || !strncmp(name, "/memfd:", 7) ||
				  !strncmp(name, "/dev/zero", 9) || !strncmp(name, "/SYSV", 5);
			continue;
		}
		if (sscanf(line, "Rss: %lu kB", &kb) == 1)
			vrss = (long)kb;
		else if (sscanf(line, "Anonymous: %lu kB", &kb) == 1)
			vanon = (long)kb;
		else if (!skip_vma && sscanf(line, "Swap: %lu kB", &kb) == 1)
			swap += (long)kb;
	}
	if (!skip_vma) {
		if (shm_vma)
			shmem += vrss - vanon;
		else
			file += vrss - vanon;
		anon += vanon;
	}
	fclose(f);
	switch (a[1].index) {
	case 0: have = anon; break;
	case 1: have = file; break;
	case 2: have = shmem; break;
	default: have = swap; break;
	}
	have /= 4;
	scn_format_cmp(want, sizeof(want), &a[2]);
	if (!scn_compare(&a[2], have))
		return host_fail(h, "%s rss %s is %ld pages; expected %s", a[0].word, a[1].word,
				 have, want);
	host_detail(h, "%ld pages", have);
	return 0;
}

/* The table host.c looks commands up in. */
const struct host_cmd host_expect_cmds[] = {
	{ "expect read", expect_read_run, NULL },
	{ "expect page", expect_page_run, NULL },
	{ "expect file", expect_file_run, NULL },
	{ "expect size", expect_size_run, NULL },
	{ "checkpoint", checkpoint_run, NULL },
	{ "expect counter", expect_counter_run, NULL },
	{ "expect rss", expect_rss_run, NULL },
	{ "expect disk", NULL, "the host's disk cannot be read behind its page cache (O_DIRECT "
	  "reads write dirty cache back first)" },
	{ "expect disk-size", NULL, "the host's disk cannot be read behind its page cache" },
	{ "expect file-page", NULL, "the page cache of a file is not visible page by page" },
	{ "expect cached", NULL, "the page cache of a file is not visible page by page" },
	{ "expect vmas", NULL, "the agent's own VMAs would be counted too" },
	{ "expect zone", NULL, "the model's zones" },
	{ "expect rlimit", NULL, "RLIMIT_MEMLOCK: the runner is root" },
	{ "expect cap", NULL, "capabilities: the runner is root" },
	{ "expect sysctl", NULL, "the run never changes global settings" },
	{ "expect swap", NULL, "the model's swap device counters (the host's device is shared "
	  "with everything else on it)" },
	{ "require", require_run, NULL },
	{ "show", NULL, "a presentation of the model's values (pinmm demo)" },
	{ "show-outcome", NULL, "a presentation of the model's values (pinmm demo)" },
	{ NULL, NULL, NULL },
};
