/* SPDX-License-Identifier: MIT */
/*
 * demo.c - `pinmm demo`: a narrated tour of the model with real numbers.
 *
 * Every number printed here is read back from the model as it runs: frame
 * numbers from the page tables, counters from vmstat, data from the
 * processes' own memory.  Nothing is precomputed.  The demo checks the
 * model's invariants after every act and fails (exit 1) if one breaks or if
 * the model does not behave as the narration says.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <getopt.h>
#include <fcntl.h>
#include <unistd.h>
#include "cli.h"
#include "util.h"

struct demo {
	FILE *out;
	int failures;
	long *mark;			/* counters at the start of an act */
};

static void say(struct demo *d, const char *fmt, ...) __printf(2, 3);
static void say(struct demo *d, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("  ", d->out);
	vfprintf(d->out, fmt, ap);
	fputc('\n', d->out);
	va_end(ap);
}

/* The index of counter @name; a name the library lacks is a build mismatch. */
static int stat_index(const char *name)
{
	int i = pnm_stat_lookup(name);

	if (i < 0) {
		fprintf(stderr, "pinmm demo: the library has no counter %s\n", name);
		abort();
	}
	return i;
}

static long stat_now(const char *name)
{
	return pnm_stat_read(stat_index(name));
}

static void act(struct demo *d, int n, const char *title)
{
	fprintf(d->out, "\n%d. %s\n", n, title);
	for (int i = 0; i < pnm_stat_count(); i++)
		d->mark[i] = pnm_stat_read(i);
}

static long delta(struct demo *d, const char *name)
{
	int i = stat_index(name);

	return pnm_stat_read(i) - d->mark[i];
}

/* Record a claim the narration makes; a false claim fails the demo. */
static void claim(struct demo *d, bool ok, const char *what)
{
	if (!ok) {
		fprintf(d->out, "  !! expected: %s\n", what);
		d->failures++;
	}
}

static void check(struct demo *d)
{
	if (!pnm_check_system()) {
		fprintf(d->out, "  !! invariant violated: %s\n", pnm_check_error());
		d->failures++;
	}
}

static unsigned long pfn_at(struct task_struct *t, unsigned long addr)
{
	unsigned long pfn = 0;
	bool w;

	if (pnm_translate(t, addr, &pfn, &w))
		return 0;
	return pfn;
}

static bool writable_at(struct task_struct *t, unsigned long addr)
{
	unsigned long pfn;
	bool w = false;

	return !pnm_translate(t, addr, &pfn, &w) && w;
}

/* A snapshot of frame @pfn (zeroes if there is no such frame). */
static struct pnm_page_info frame(unsigned long pfn)
{
	struct pnm_page_info fi = { .size = sizeof(fi) };

	if (pnm_pfn_info(pfn, &fi))
		memset(&fi, 0, sizeof(fi));
	return fi;
}

static const char *zone_of(unsigned long pfn)
{
	return pnm_zone_name(frame(pfn).zone);
}

/* The order of the folio frame @pfn belongs to. */
static unsigned int order_of(unsigned long pfn)
{
	return frame(pfn).order;
}

static bool is_zero_pfn(unsigned long pfn)
{
	return frame(pfn).flags & PNM_PAGE_ZERO;
}

static struct pnm_mem_info mem_info(void)
{
	struct pnm_mem_info mi = { .size = sizeof(mi) };

	if (pnm_get_mem_info(&mi))
		memset(&mi, 0, sizeof(mi));
	return mi;
}

static struct pnm_zone_info zone_info(enum pnm_zone_type zone)
{
	struct pnm_zone_info zi = { .size = sizeof(zi) };

	if (pnm_get_zone_info(zone, &zi))
		memset(&zi, 0, sizeof(zi));
	return zi;
}

/* The process's resident pages, all kinds. */
static long rss(struct task_struct *t)
{
	struct pnm_mm_info mi = { .size = sizeof(mi) };

	if (pnm_task_mm_info(t, &mi))
		return 0;
	return mi.rss_anon + mi.rss_file + mi.rss_shmem;
}

static int put_str(struct task_struct *t, unsigned long addr, const char *s)
{
	return pnm_user_write(t, addr, s, strlen(s) + 1);
}

static void get_str(struct task_struct *t, unsigned long addr, char *buf, size_t len)
{
	buf[0] = '\0';
	if (pnm_user_read(t, addr, buf, len))
		snprintf(buf, len, "<fault>");
	buf[len - 1] = '\0';
}

/* Act 1: demand faults and the shared zero page. */
static unsigned long act_faults(struct demo *d, struct task_struct *a)
{
	const unsigned long len = 16 * PAGE_SIZE;
	unsigned long zero_hits = 0, fresh = 0;
	unsigned char byte;
	long addr;

	act(d, 1, "A process, demand faults and the zero page");
	addr = pnm_mmap(a, 0, len, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS, NULL, 0);
	claim(d, addr > 0, "mmap succeeds");
	if (addr <= 0)
		return 0;
	say(d, "pid %d \"%s\" maps 64 KiB anonymous private memory at %#lx: "
	    "rss %ld pages, nothing is allocated until touched", pnm_task_pid(a), pnm_task_comm(a),
	    (unsigned long)addr, rss(a));
	for (unsigned long off = 0; off < len; off += PAGE_SIZE) {
		pnm_user_read(a, addr + off, &byte, 1);
		zero_hits += is_zero_pfn(pfn_at(a, addr + off));
	}
	say(d, "reading all 16 pages: %ld faults, %lu pages now map the shared "
	    "zero page (pfn %lu); frames allocated: %ld, all of them page "
	    "tables (nr_page_table_pages +%ld)", delta(d, "pgfault"),
	    zero_hits, mem_info().zero_pfn,
	    delta(d, "pgalloc_normal") + delta(d, "pgalloc_movable") + delta(d, "pgalloc_cma"),
	    delta(d, "nr_page_table_pages"));
	claim(d, zero_hits == 16, "read faults map the zero page");
	act(d, 1, "(continued) first writes");
	for (unsigned long off = 0; off < len; off += PAGE_SIZE) {
		char msg[32];

		snprintf(msg, sizeof(msg), "page %lu of A", off / PAGE_SIZE);
		put_str(a, addr + off, msg);
		fresh += !is_zero_pfn(pfn_at(a, addr + off));
	}
	say(d, "writing each page: %ld write faults replace the zero page by %lu "
	    "private frames (first at pfn %lu in zone %s)", delta(d, "pgfault"),
	    fresh, pfn_at(a, addr), zone_of(pfn_at(a, addr)));
	say(d, "rss is now %ld pages; nr_anon_pages %ld",
	    rss(a), stat_now("nr_anon_pages"));
	claim(d, fresh == 16, "write faults allocate private frames");
	check(d);
	return (unsigned long)addr;
}

/* Act 2: fork and copy-on-write. */
static struct task_struct *act_fork(struct demo *d, struct task_struct *a,
				    unsigned long addr)
{
	struct task_struct *b = NULL;
	unsigned long before, pa, pb;
	char buf[32];

	act(d, 2, "fork() and copy-on-write");
	before = pfn_at(a, addr);
	if (pnm_task_fork(a, "child", &b)) {
		claim(d, false, "fork succeeds");
		return NULL;
	}
	say(d, "pid %d forks pid %d: the child maps the parent's frames "
	    "(page 0: parent pfn %lu, child pfn %lu), both now read-only "
	    "(parent writable: %s)", pnm_task_pid(a), pnm_task_pid(b), pfn_at(a, addr),
	    pfn_at(b, addr), writable_at(a, addr) ? "yes" : "no");
	claim(d, pfn_at(b, addr) == before, "fork shares frames");
	act(d, 2, "(continued) the child writes");
	put_str(b, addr, "child wrote here");
	pa = pfn_at(a, addr);
	pb = pfn_at(b, addr);
	get_str(a, addr, buf, sizeof(buf));
	say(d, "the child writes page 0: one copy (pnm_cow_copy +%ld), child now "
	    "at pfn %lu, parent keeps pfn %lu and still reads \"%s\"",
	    delta(d, "pnm_cow_copy"), pb, pa, buf);
	claim(d, pa == before && pb != before, "the writer gets the copy");
	claim(d, !strcmp(buf, "page 0 of A"), "parent data unchanged");
	act(d, 2, "(continued) the parent writes");
	put_str(a, addr, "parent wrote here");
	say(d, "the parent writes page 0, which nobody else maps any more: "
	    "reused in place (pnm_cow_reuse +%ld, pnm_cow_copy +%ld), pfn %lu",
	    delta(d, "pnm_cow_reuse"), delta(d, "pnm_cow_copy"), pfn_at(a, addr));
	claim(d, pfn_at(a, addr) == before && delta(d, "pnm_cow_copy") == 0,
	      "the last sharer reuses its page");
	put_str(a, addr + PAGE_SIZE, "parent page 1");
	get_str(b, addr + PAGE_SIZE, buf, sizeof(buf));
	say(d, "the parent writes page 1, still shared: copied (pnm_cow_copy "
	    "+%ld); the child still reads \"%s\"", delta(d, "pnm_cow_copy"), buf);
	claim(d, !strcmp(buf, "page 1 of A"), "child data unchanged");
	check(d);
	return b;
}

/* Act 3: a transparent huge page, and what fork does to it. */
static void act_thp(struct demo *d, struct task_struct *a)
{
	const unsigned long len = 4 * HPAGE_PMD_SIZE;
	struct task_struct *c = NULL;
	unsigned long huge;
	long addr;

	act(d, 3, "Transparent huge pages");
	addr = pnm_mmap(a, 0, len, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS, NULL, 0);
	claim(d, addr > 0, "mmap succeeds");
	if (addr <= 0)
		return;
	pnm_madvise(a, (unsigned long)addr, len, MADV_HUGEPAGE);
	huge = ALIGN((unsigned long)addr, HPAGE_PMD_SIZE);
	put_str(a, huge, "huge");
	say(d, "madvise(MADV_HUGEPAGE) on 8 MiB, one write at %#lx: thp_fault_alloc "
	    "+%ld, a 2 MiB folio (order %u) at pfn %lu mapped by one PMD; "
	    "rss %ld pages", huge, delta(d, "thp_fault_alloc"),
	    order_of(pfn_at(a, huge)), pfn_at(a, huge),
	    rss(a));
	claim(d, order_of(pfn_at(a, huge)) == HPAGE_PMD_ORDER,
	      "a PMD-sized folio backs the huge region");
	act(d, 3, "(continued) fork, then the child writes 4 KiB of it");
	if (pnm_task_fork(a, "thp-child", &c) == 0) {
		put_str(c, huge + PAGE_SIZE, "child");
		say(d, "the child's write splits its PMD mapping (thp_split_pmd +%ld) "
		    "and copies one 4 KiB page (pnm_cow_copy +%ld); the parent "
		    "still maps order-%u folio pfn %lu",
		    delta(d, "thp_split_pmd"), delta(d, "pnm_cow_copy"),
		    order_of(pfn_at(a, huge)), pfn_at(a, huge));
		claim(d, delta(d, "pnm_cow_copy") == 1, "only 4 KiB copied");
		pnm_task_exit(c);
		pnm_task_put(c);
	}
	check(d);
}

/* Act 4: migration, and a reference that refuses it. */
static void act_migrate(struct demo *d, struct task_struct *a, unsigned long addr)
{
	unsigned long from, to;
	struct folio *folio;
	char buf[32];
	long moved;

	act(d, 4, "Migration");
	from = pfn_at(a, addr + 2 * PAGE_SIZE);
	moved = pnm_migrate_range(a, addr + 2 * PAGE_SIZE, PAGE_SIZE, PNM_ZONE_NORMAL);
	to = pfn_at(a, addr + 2 * PAGE_SIZE);
	get_str(a, addr + 2 * PAGE_SIZE, buf, sizeof(buf));
	say(d, "move page 2 to zone Normal: %ld page moved, pfn %lu (%s) -> pfn "
	    "%lu (%s), reads \"%s\", pgmigrate_success +%ld", moved, from,
	    zone_of(from), to, zone_of(to), buf, delta(d, "pgmigrate_success"));
	claim(d, moved == 1 && frame(to).zone == PNM_ZONE_NORMAL,
	      "the page moved to Normal");
	act(d, 4, "(continued) an extra reference refuses migration");
	from = pfn_at(a, addr + 3 * PAGE_SIZE);
	folio = page_folio(frame(from).page);
	folio_get(folio);	/* what a get_user_pages() reference does */
	moved = pnm_migrate_range(a, addr + 3 * PAGE_SIZE, PAGE_SIZE, PNM_ZONE_NORMAL);
	say(d, "hold one extra reference on page 3 (pfn %lu), as a GUP user would: "
	    "migration returns %s, the page stays at pfn %lu "
	    "(pnm_migrate_refused_refs +%ld)", from,
	    moved < 0 ? pnm_errno_name((int)-moved) : "success",
	    pfn_at(a, addr + 3 * PAGE_SIZE), delta(d, "pnm_migrate_refused_refs"));
	claim(d, moved == -EBUSY && pfn_at(a, addr + 3 * PAGE_SIZE) == from,
	      "a referenced page is not migrated");
	folio_put(folio);
	check(d);
}

/* Act 5: compaction of a fragmented zone. */
static void act_compact(struct demo *d, struct task_struct *a)
{
	struct pnm_zone_info zone = zone_info(PNM_ZONE_MOVABLE);
	struct pnm_compact_result res = { 0 };
	unsigned long len, freed = 0;
	int before, ret;
	long addr;

	act(d, 5, "Compaction");
	if (!zone.frames) {
		say(d, "(no Movable zone configured)");
		return;
	}
	/* Fill every free frame of the zone, then free every other page. */
	len = zone.free_pages * PAGE_SIZE;
	addr = pnm_mmap(a, 0, len, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS, NULL, 0);
	if (addr <= 0) {
		say(d, "(could not map %lu KiB)", len >> 10);
		return;
	}
	for (unsigned long off = 0; off < len; off += PAGE_SIZE)
		put_str(a, addr + off, "x");
	for (unsigned long off = 0; off < len; off += 2 * PAGE_SIZE) {
		pnm_madvise(a, addr + off, PAGE_SIZE, MADV_DONTNEED);
		freed++;
	}
	zone = zone_info(PNM_ZONE_MOVABLE);
	before = zone.largest_free_order;
	say(d, "fill zone Movable (%lu pages), then free every other page: %lu "
	    "pages free, largest free block order %d: no 2 MiB block",
	    len / PAGE_SIZE, zone.free_pages, before);
	ret = pnm_compact_zone(PNM_ZONE_MOVABLE, HPAGE_PMD_ORDER, &res);
	say(d, "compact_zone: %lu pages scanned, %lu migrated, %lu refused; "
	    "largest free block now order %u (%s)", res.migrate_scanned,
	    res.migrated, res.failed, res.largest_free_order,
	    ret == 0 ? "a 2 MiB block is available" : "no 2 MiB block");
	claim(d, before < HPAGE_PMD_ORDER, "the zone was fragmented");
	claim(d, ret == 0 && res.largest_free_order >= HPAGE_PMD_ORDER,
	      "compaction made a 2 MiB block");
	pnm_munmap(a, addr, len);
	check(d);
}

static void print_counters(struct demo *d)
{
	static const char *const shown[] = {
		"pgfault", "pnm_zero_page_mapped", "pnm_cow_copy", "pnm_cow_reuse",
		"thp_fault_alloc", "thp_fault_fallback", "thp_split_pmd",
		"pgmigrate_success", "pgmigrate_fail", "pnm_migrate_refused_refs",
		"compact_stall", "compact_success", "compact_fail",
		"pgalloc_normal", "pgalloc_movable", "pgalloc_cma", "pgfree",
		"nr_free_pages", "nr_page_table_pages",
	};

	fprintf(d->out, "\nCounters of this run (Linux /proc/vmstat names; pnm_* are the model's own):\n");
	for (size_t i = 0; i < ARRAY_SIZE(shown); i++)
		fprintf(d->out, "  %-28s %ld\n", shown[i], stat_now(shown[i]));
}

/*
 * Acts 7 and 8: a device pins a buffer for DMA, the process forks and then
 * writes the buffer, and the device completes its write.  Run once with
 * FOLL_PIN and once in legacy mode (pins are plain references, as before
 * 2019, and the old COW rule: the shared page is mapped twice, so the
 * parent's write copies it either way), each in a fresh model.  Returns false if the model could not be
 * set up.
 */
static bool act_pin_fork(struct demo *d, int n, bool legacy)
{
	struct task_struct *p, *c = NULL, *prev;
	char pbuf[32], cbuf[32];
	struct pnm_config cfg;
	struct page *page;
	unsigned long before;
	long addr;
	int ret;

	pnm_config_default(&cfg);
	cfg.legacy_gup = legacy;
	if (pnm_init(&cfg))
		return false;
	act(d, n, legacy ? "The same in legacy mode (pre-2019 pins are plain references; "
			   "pre-5.8 COW reuses a page mapped once)"
			 : "Pinning for DMA, then fork() (FOLL_PIN)");
	if (pnm_task_create("driver-app", &p)) {
		pnm_fini();
		return false;
	}
	addr = pnm_mmap(p, 0, PAGE_SIZE, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS, NULL, 0);
	put_str(p, addr, "app data");
	before = pfn_at(p, addr);
	prev = pnm_task_enter(p);
	ret = pin_user_pages_fast(addr, 1, FOLL_WRITE, &page);
	pnm_task_leave(prev);
	claim(d, ret == 1, "pin_user_pages_fast pins the page");
	if (ret != 1)
		goto out;
	say(d, "pid %d pins its buffer for a device write: pfn %lu, refcount %d, "
	    "page_maybe_dma_pinned %s, nr_foll_pin_acquired +%ld", pnm_task_pid(p),
	    page_to_pfn(page), frame(page_to_pfn(page)).refcount,
	    page_maybe_dma_pinned(page) ? "yes" : "no", delta(d, "nr_foll_pin_acquired"));
	if (pnm_task_fork(p, "child", &c)) {
		claim(d, false, "fork succeeds");
		goto out_unpin;
	}
	say(d, "fork: %s (pnm_fork_copy_pinned +%ld; parent pfn %lu, child pfn %lu)",
	    pfn_at(c, addr) == before ? "the page is COW-shared with the child"
				      : "the child gets its own copy at once",
	    delta(d, "pnm_fork_copy_pinned"), pfn_at(p, addr), pfn_at(c, addr));
	put_str(p, addr, "app data v2");
	say(d, "the parent writes its buffer: it now maps pfn %lu", pfn_at(p, addr));
	pnm_dma_write(&page, 1, 0, "DMA result", 11);
	get_str(p, addr, pbuf, sizeof(pbuf));
	get_str(c, addr, cbuf, sizeof(cbuf));
	say(d, "the device writes \"DMA result\" through the pin (pfn %lu): the "
	    "parent reads \"%s\", the child reads \"%s\"", page_to_pfn(page),
	    pbuf, cbuf);
	if (legacy) {
		say(d, "=> the parent lost the device's data and the child received "
		    "it: the bug FOLL_PIN exists to prevent");
		claim(d, strcmp(pbuf, "DMA result") && !strcmp(cbuf, "DMA result"),
		      "legacy mode shows the GUP-after-fork bug");
	} else {
		say(d, "=> the pinned page stayed with the parent: fork saw the pin "
		    "and copied for the child");
		claim(d, !strcmp(pbuf, "DMA result") && strcmp(cbuf, "DMA result"),
		      "with FOLL_PIN the parent keeps the device's data");
	}
	pnm_task_exit(c);
	pnm_task_put(c);
out_unpin:
	unpin_user_pages_dirty_lock(&page, 1, true);
out:
	pnm_task_exit(p);
	pnm_task_put(p);
	check(d);
	if (pnm_fini()) {
		fprintf(d->out, "  !! frames leaked at teardown\n");
		d->failures++;
	}
	return true;
}

/*
 * Act 9: the 2018 story.  A process writes one page of a disk file through
 * a MAP_SHARED mapping and pins it for a device write (Direct I/O); fsync
 * runs while the pin is held; the device writes; the pin is released
 * dirty; fsync again.  Run three times, each in a fresh model: legacy
 * pins, then FOLL_PIN with the stable and the linux writeback policies.
 * What the disk holds is read from the real backing file.
 */
enum file_pin_mode { FILE_PIN_LEGACY, FILE_PIN_STABLE, FILE_PIN_LINUX };

/* fsync(2) of the whole file. */
static int file_fsync(struct file *f)
{
	return pnm_file_fsync(f, 0, INT64_MAX, false);
}

/* The PNM_PAGE_* state of @page and its folio now. */
static unsigned int page_flags(struct page *page)
{
	return frame(page_to_pfn(page)).flags;
}

/* Read the start of @f's backing file on the host (the "disk"). */
static void disk_str(struct file *f, char *buf, size_t len)
{
	char path[4096];
	ssize_t n = -1;
	int fd;

	snprintf(buf, len, "<unreadable>");
	if (pnm_fs_backing_path(f, path, sizeof(path)))
		return;
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return;
	n = pread(fd, buf, len - 1, 0);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
}

static bool act_file_pin(struct demo *d, int n, enum file_pin_mode mode)
{
	static const char *const titles[] = {
		"Files: a device writing a file page through a pin (pre-2019 pins)",
		"(continued) the same with FOLL_PIN, writeback policy \"stable\"",
		"(continued) the same with FOLL_PIN, writeback policy \"linux\"",
	};
	char disk[32], mem[32], page_buf[PAGE_SIZE];
	struct task_struct *p, *prev;
	struct pnm_config cfg;
	struct page *page;
	struct file *f = NULL;
	long addr, ret;
	bool dirty_after_fsync;

	pnm_config_default(&cfg);
	cfg.legacy_gup = mode == FILE_PIN_LEGACY;
	cfg.wb_policy = mode == FILE_PIN_LINUX ? PNM_WB_LINUX : PNM_WB_STABLE;
	if (pnm_init(&cfg))
		return false;
	act(d, n, titles[mode]);
	if (pnm_task_create("dio-app", &p))
		p = NULL;
	if (!p || pnm_file_open(PNM_FS_DISK, "data.db", O_RDWR | O_CREAT, &f)) {
		if (p) {
			pnm_task_exit(p);
			pnm_task_put(p);
		}
		pnm_fini();
		return false;
	}
	memset(page_buf, 0, sizeof(page_buf));
	strcpy(page_buf, "v1 on disk");
	claim(d, pnm_file_write(f, page_buf, PAGE_SIZE, 0) == PAGE_SIZE &&
	      file_fsync(f) == 0, "the file is written and synced");
	addr = pnm_mmap(p, 0, PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, f, 0);
	claim(d, addr > 0, "mmap of the file succeeds");
	if (addr <= 0)
		goto out;
	put_str(p, addr, "v2 by the CPU");
	prev = pnm_task_enter(p);
	ret = pin_user_pages_fast(addr, 1, FOLL_WRITE, &page);
	pnm_task_leave(prev);
	claim(d, ret == 1, "the page is pinned");
	if (ret != 1)
		goto out;
	file_fsync(f);
	disk_str(f, disk, sizeof(disk));
	dirty_after_fsync = page_flags(page) & PNM_PAGE_DIRTY;
	switch (mode) {
	case FILE_PIN_LEGACY:
		say(d, "the process writes \"v2 by the CPU\" into its shared mapping of "
		    "disk file data.db and pins the page for a device (a plain "
		    "reference: page_maybe_dma_pinned %s)",
		    page_maybe_dma_pinned(page) ? "yes" : "no");
		say(d, "fsync writes \"%s\", cleans the page and drops its block state "
		    "(dirty %s, block state %s)", disk, dirty_after_fsync ? "yes" : "no",
		    (page_flags(page) & PNM_PAGE_PRIVATE) ? "kept" : "dropped");
		claim(d, !dirty_after_fsync && !(page_flags(page) & PNM_PAGE_PRIVATE),
		      "writeback cannot see a legacy pin and cleans the page");
		break;
	case FILE_PIN_STABLE:
		say(d, "same start, a real pin (page_maybe_dma_pinned %s); fsync while "
		    "it is held writes a bounce copy (pnm_wb_bounced +%ld): the disk "
		    "gets \"%s\", the page stays dirty (%s) with its block state",
		    page_maybe_dma_pinned(page) ? "yes" : "no",
		    delta(d, "pnm_wb_bounced"), disk, dirty_after_fsync ? "yes" : "no");
		claim(d, delta(d, "pnm_wb_bounced") == 1 && dirty_after_fsync &&
		      (page_flags(page) & PNM_PAGE_PRIVATE), "a pinned page is bounced and stays dirty");
		break;
	case FILE_PIN_LINUX:
		say(d, "same start, a real pin (page_maybe_dma_pinned %s); fsync while "
		    "it is held writes the page in place (pnm_wb_pinned_inplace +%ld): "
		    "the disk gets \"%s\", the page is clean (dirty %s) but keeps its "
		    "block state while pinned", page_maybe_dma_pinned(page) ? "yes" : "no",
		    delta(d, "pnm_wb_pinned_inplace"), disk, dirty_after_fsync ? "yes" : "no");
		claim(d, delta(d, "pnm_wb_pinned_inplace") == 1 && !dirty_after_fsync &&
		      (page_flags(page) & PNM_PAGE_PRIVATE), "linux writes a pinned page in place");
		break;
	}
	claim(d, !strcmp(disk, "v2 by the CPU"), "the first fsync wrote the CPU's data");

	/* The model reports violations on stderr: keep the story in order. */
	fflush(d->out);
	pnm_dma_write(&page, 1, 0, "v3 by the device", 17);
	unpin_user_pages_dirty_lock(&page, 1, true);
	say(d, "the device writes \"v3 by the device\" through the pin, which is "
	    "released dirty: pnm_fs_dirty_no_blocks +%ld", delta(d, "pnm_fs_dirty_no_blocks"));
	ret = file_fsync(f);
	disk_str(f, disk, sizeof(disk));
	get_str(p, addr, mem, sizeof(mem));
	say(d, "fsync (%s): the disk holds \"%s\", memory \"%s\"; pnm_wb_lost +%ld",
	    ret ? pnm_errno_name((int)-ret) : "ok", disk, mem, delta(d, "pnm_wb_lost"));
	if (mode == FILE_PIN_LEGACY) {
		say(d, "=> the page was dirtied behind the filesystem's back (ext4's "
		    "BUG in 2018; the model reports both events on stderr) and the "
		    "device's data never reaches the disk");
		claim(d, delta(d, "pnm_fs_dirty_no_blocks") == 1 && delta(d, "pnm_wb_lost") == 1 &&
		      !strcmp(disk, "v2 by the CPU"),
		      "legacy pins lose the device's data, reported");
	} else {
		claim(d, delta(d, "pnm_fs_dirty_no_blocks") == 0 && delta(d, "pnm_wb_lost") == 0 &&
		      !strcmp(disk, "v3 by the device"),
		      "with FOLL_PIN the device's data reaches the disk");
	}
	if (mode == FILE_PIN_STABLE) {
		say(d, "=> no violation, nothing lost: the file always got a stable "
		    "snapshot and the device's data after the unpin");
	} else if (mode == FILE_PIN_LINUX) {
		/* The documented risk: an unpin that does not dirty. */
		prev = pnm_task_enter(p);
		ret = pin_user_pages_fast(addr, 1, FOLL_WRITE, &page);
		pnm_task_leave(prev);
		claim(d, ret == 1, "the page is pinned again");
		if (ret == 1) {
			file_fsync(f);
			pnm_dma_write(&page, 1, 0, "v4 by the device", 17);
			unpin_user_pages(&page, 1);
			file_fsync(f);
			disk_str(f, disk, sizeof(disk));
			get_str(p, addr, mem, sizeof(mem));
			say(d, "the risk: pin, fsync (in place, clean), the device writes "
			    "\"v4 by the device\", an unpin that does NOT dirty, fsync: "
			    "memory \"%s\", disk \"%s\"; nothing reported "
			    "(pnm_fs_dirty_no_blocks +%ld): eviction will drop v4",
			    mem, disk, delta(d, "pnm_fs_dirty_no_blocks"));
			claim(d, !strcmp(mem, "v4 by the device") &&
			      !strcmp(disk, "v3 by the device") &&
			      delta(d, "pnm_fs_dirty_no_blocks") == 0,
			      "linux keeps data only if the unpin dirties it");
		}
	}
	pnm_munmap(p, (unsigned long)addr, PAGE_SIZE);
out:
	pnm_file_close(f);
	pnm_task_exit(p);
	pnm_task_put(p);
	check(d);
	if (pnm_fini()) {
		fprintf(d->out, "  !! frames leaked at teardown\n");
		d->failures++;
	}
	return true;
}

/* Print the help text of `pinmm demo` to @out. */
void cmd_demo_help(FILE *out)
{
	fprintf(out,
		"usage: pinmm demo [--quiet]\n\n"
		"A narrated tour of the memory manager at work: demand faults and the\n"
		"zero page, copy-on-write across fork, a transparent huge page split by\n"
		"COW, migration (and its refusal while a reference is held), compaction,\n"
		"the counters the run produced, then a buffer pinned for DMA across\n"
		"fork(), with FOLL_PIN and again with pre-2019 (legacy) pins, and a device\n"
		"writing a pinned page of a disk file while fsync runs: legacy pins\n"
		"(the 2018 data loss), then the \"stable\" and \"linux\" writeback\n"
		"policies, checked against the real backing file.  Every number is read\n"
		"back from the model; the demo checks the model's invariants after each\n"
		"act and exits 1 if any claim it makes does not hold.\n\n"
		"  --quiet   print only the verdict\n");
}

/*
 * `pinmm demo [--quiet]`: build a model with the default configuration, run
 * the six acts, print the counters and tear the model down; then the pinning
 * acts (7, 8) and the file act (9), each part in a fresh model.  Returns 0 when
 * every claim held, every invariant check passed and nothing leaked; 1
 * otherwise; 2 for a bad argument.
 */
int cmd_demo(int argc, char **argv)
{
	struct demo d = { .out = stdout };
	struct task_struct *a, *b;
	struct pnm_config cfg;
	unsigned long addr;
	bool quiet = false;
	int ret;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--quiet")) {
			quiet = true;
		} else {
			fprintf(stderr, "pinmm demo: unknown argument '%s'\n", argv[i]);
			return 2;
		}
	}
	if (quiet)
		d.out = fopen("/dev/null", "w");
	if (!d.out)
		return 2;
	d.mark = calloc((size_t)pnm_stat_count(), sizeof(*d.mark));
	if (!d.mark) {
		fputs("pinmm demo: out of memory\n", stderr);
		return 1;
	}

	pnm_config_default(&cfg);
	ret = pnm_init(&cfg);
	if (ret) {
		fprintf(stderr, "pinmm demo: pnm_init: %s\n", pnm_strerror(ret));
		free(d.mark);
		return 1;
	}
	fprintf(d.out, "pinmm %s demo: the memory core at work\n", PINMM_VERSION);
	fprintf(d.out, "Frames: Normal %lu, Movable %lu, CMA %lu (4 KiB each); "
		"transparent huge pages on madvise\n",
		cfg.zone_frames[PNM_ZONE_NORMAL], cfg.zone_frames[PNM_ZONE_MOVABLE],
		cfg.zone_frames[PNM_ZONE_CMA]);

	if (pnm_task_create("editor", &a)) {
		pnm_fini();
		free(d.mark);
		return 1;
	}
	addr = act_faults(&d, a);
	b = addr ? act_fork(&d, a, addr) : NULL;
	act_thp(&d, a);
	if (addr)
		act_migrate(&d, a, addr);
	act_compact(&d, a);

	act(&d, 6, "Exit");
	if (b) {
		pnm_task_exit(b);
		pnm_task_put(b);
	}
	pnm_task_exit(a);
	pnm_task_put(a);
	say(&d, "both processes exit: pgfree +%ld, %ld frames free of %lu",
	    delta(&d, "pgfree"), stat_now("nr_free_pages"), mem_info().frames);
	check(&d);
	print_counters(&d);
	ret = pnm_fini();
	if (ret) {
		fprintf(d.out, "  !! frames leaked at teardown\n");
		d.failures++;
	}
	if (!act_pin_fork(&d, 7, false) || !act_pin_fork(&d, 8, true)) {
		fprintf(d.out, "  !! could not set up the pinning acts\n");
		d.failures++;
	}
	if (!act_file_pin(&d, 9, FILE_PIN_LEGACY) || !act_file_pin(&d, 9, FILE_PIN_STABLE) ||
	    !act_file_pin(&d, 9, FILE_PIN_LINUX)) {
		fprintf(d.out, "  !! could not set up the file act\n");
		d.failures++;
	}
	if (quiet)
		fclose(d.out);
	free(d.mark);
	printf("%s: %d claim%s failed\n", d.failures ? "demo FAILED" : "demo ok",
	       d.failures, d.failures == 1 ? "" : "s");
	return d.failures ? 1 : 0;
}
