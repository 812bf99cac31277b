/* SPDX-License-Identifier: MIT */
/*
 * scn_file.c - the scenario commands of files: the three filesystems, the
 * page cache, buffered I/O, writeback, truncation, reclaim, I/O errors,
 * and expectations that read the real backing file on the host.
 *
 *   files [wb=stable|linux] [dirty-background=SIZE] [dirty-limit=SIZE]
 *                                   file settings of struct pnm_config
 *                                   (a configuration line, like memory)
 *   file F disk|shmem|dax [r|w|rw] [excl] [trunc] [size=] [name=]
 *                                   create and open a file, named F
 *   open G F [r|w|rw] [trunc]       a second opener of F's file (its own
 *                                   errseq sample)
 *   close F                         drop the opener
 *   mmap-file PROC REGION F LEN shared|private [prot] [offset=] ...
 *                                   mmap(2) a file into a process
 *   pwrite F OFF DATA, pread F OFF SIZE     buffered I/O
 *   fsync F [datasync] [offset= length=], msync PROC ADDR LEN [...], sync
 *   writeback [sync|background] [F]         one writeback pass
 *   truncate F SIZE, punch F OFF LEN, fallocate F OFF LEN
 *   reclaim N [keep-mapped]                 reclaim clean cache pages
 *   inject F read|write eio|enospc|short [count=N]   backing I/O errors
 *   expect disk F OFF DATA          the host's backing file holds DATA
 *   expect disk-size F CMP          the host's backing file size
 *   expect file F OFF DATA          read(2) through the page cache
 *   expect file-page F OFF [not] PROP   a page property of the cached page
 *   expect size F CMP, expect cached F CMP   i_size, cached pages
 *   page properties: cached, not-cached, truncated, blocks, no-blocks,
 *   nofs-dirty, writeback, uptodate, clean
 *
 * Files live in the "file" namespace.  A file object is one struct file
 * (one opener): "open" makes another one for the same inode, which is
 * what errseq needs (each opener sees a writeback error once).  Files a
 * scenario leaves open are closed by the runner at the end; mappings keep
 * their own reference, so an inode lives until its last mapping goes.
 *
 * Each script runs with a fresh private data directory (pnm_config's
 * data_dir stays NULL): the host files of disk and dax files are created
 * there and removed at pnm_fini().  "expect disk" opens the host file
 * itself and pread()s it, never asking the model: it shows what a crash
 * right now would leave on the disk.
 *
 * Handlers call the model's calls exactly as a program would and return
 * their -errno unchanged, so "expect fail EIO fsync F" works.
 */
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "scn.h"

/* fallocate(2) modes (Linux's values; <fcntl.h> has them with _GNU_SOURCE). */
#ifndef FALLOC_FL_KEEP_SIZE
#define FALLOC_FL_KEEP_SIZE	0x01
#define FALLOC_FL_PUNCH_HOLE	0x02
#endif

#define NS_FILE		SCN_NS_FILE
#define CHUNK		65536		/* bytes moved per call */

/* --- the files configuration line ------------------------------------------------- */

static const char *const wb_words[] = { "stable", "linux", NULL };
enum { FO_WB = 1, FO_BACKGROUND, FO_LIMIT };	/* value slots after the bits */
static const struct scn_option files_opts[] = {
	{ "wb", SCN_ARG_KEYWORD, wb_words, NULL },
	{ "dirty-background", SCN_ARG_SIZE, NULL, NULL },
	{ "dirty-limit", SCN_ARG_SIZE, NULL, NULL },
	{ NULL, 0, NULL, NULL },
};

static int files_check(struct scn_parser *p, const struct scn_step *st, const struct scn_value *a)
{
	struct scn_script *s = scn_parser_script(p);
	const struct scn_value *f = &a[0];

	for (int i = FO_BACKGROUND; i <= FO_LIMIT; i++)
		if (f[i].present && f[i].num < PAGE_SIZE)
			return scn_parse_error(p, &f[i].pos, "%s= must be at least one page (4K)",
					       files_opts[i - 1].key);
	if (f[FO_BACKGROUND].present && f[FO_LIMIT].present &&
	    f[FO_BACKGROUND].num > f[FO_LIMIT].num)
		return scn_parse_error(p, &f[FO_BACKGROUND].pos,
				       "dirty-background= is above dirty-limit=");
	if (f[FO_WB].present)
		s->cfg.wb_policy = f[FO_WB].index ? PNM_WB_LINUX : PNM_WB_STABLE;
	if (f[FO_BACKGROUND].present)
		s->cfg.dirty_background_pages = (unsigned long)((f[FO_BACKGROUND].num +
								    PAGE_SIZE - 1) >> PAGE_SHIFT);
	if (f[FO_LIMIT].present)
		s->cfg.dirty_limit_pages = (unsigned long)((f[FO_LIMIT].num + PAGE_SIZE - 1) >>
							    PAGE_SHIFT);
	/* Deterministic runs: writeback happens when a step asks for it (or a
	 * writer crosses the dirty limit), never from the flusher thread. */
	s->cfg.writeback_thread = false;
	return 0;
}

/* Configuration lines are not executed; this only describes the settings. */
static int files_run(struct scn_run *r, const struct scn_step *st, const struct scn_value *a)
{
	const struct pnm_config *c = pnm_get_config();
	char bg[48] = "10% of memory", lim[48] = "20% of memory";

	if (c->dirty_background_pages)
		snprintf(bg, sizeof(bg), "%lu page%s", c->dirty_background_pages,
			 c->dirty_background_pages == 1 ? "" : "s");
	if (c->dirty_limit_pages)
		snprintf(lim, sizeof(lim), "%lu page%s", c->dirty_limit_pages,
			 c->dirty_limit_pages == 1 ? "" : "s");
	scn_detail(r, "wb=%s, dirty background %s, limit %s, no flusher thread",
		   c->wb_policy == PNM_WB_LINUX ? "linux" : "stable", bg, lim);
	return 0;
}

/* --- file objects ----------------------------------------------------------------- */

/* One opener.  Owned by the run (scenario object NS_FILE). */
struct scn_file {
	struct file *file;		/* one reference */
	enum pnm_fs_type fs;
	char name[PNM_FS_NAME_MAX + 1];	/* the filesystem's name of the file */
};

static void file_release(struct scn_run *r, void *obj)
{
	struct scn_file *sf = obj;

	pnm_file_close(sf->file);
	free(sf);
}

/* The open file named by @v, or NULL with the detail set. */
static struct scn_file *file_get(struct scn_run *r, const struct scn_value *v)
{
	struct scn_file *sf = scn_obj_find(r, NS_FILE, v->word);

	if (!sf)
		scn_fail(r, "file %s is not open (closed, or its open step failed)", v->word);
	return sf;
}

/* The open struct file @v names, for other capabilities (scn.h). */
struct file *scn_file(struct scn_run *r, const struct scn_value *v)
{
	struct scn_file *sf = file_get(r, v);

	return sf ? sf->file : NULL;
}

/* scn_file_add - a file another capability opened becomes @name (scn.h). */
int scn_file_add(struct scn_run *r, const char *name, struct file *file)
{
	struct scn_file *sf = calloc(1, sizeof(*sf));

	if (!sf)
		return -ENOMEM;
	sf->file = file;
	sf->fs = pnm_file_fs(file);
	snprintf(sf->name, sizeof(sf->name), "%s", pnm_file_name(file));
	if (scn_obj_add(r, NS_FILE, name, sf, file_release)) {
		free(sf);
		return -ENOMEM;
	}
	return 0;
}

static const char *const fs_words[] = { "disk", "shmem", "dax", "hugetlbfs", "hugetlbfs1G",
					 NULL };
static const enum pnm_fs_type fs_values[] = { PNM_FS_DISK, PNM_FS_SHMEM, PNM_FS_DAX,
					      PNM_FS_HUGETLBFS, PNM_FS_HUGETLBFS_1G };

enum { FF_R, FF_W, FF_RW, FF_EXCL, FF_TRUNC };
static const char *const file_words[] = { "r", "w", "rw", "excl", "trunc", NULL };
enum { FFO_SIZE = 1, FFO_NAME };		/* value slots after the bits */
static const struct scn_option file_opts[] = {
	{ "size", SCN_ARG_LEN, NULL, NULL },
	{ "name", SCN_ARG_STRING, NULL, NULL },
	{ NULL, 0, NULL, NULL },
};
/* open's flags: r/w/rw at the same bits as FF_R/FF_W/FF_RW, then trunc. */
enum { OF_TRUNC = FF_EXCL };
static const char *const open_words[] = { "r", "w", "rw", "trunc", NULL };

/* O_RDONLY/O_WRONLY/O_RDWR from the r/w/rw bits (default rw). */
static int access_mode(uint64_t bits)
{
	if (bits & BIT(FF_R))
		return O_RDONLY;
	if (bits & BIT(FF_W))
		return O_WRONLY;
	return O_RDWR;
}

static int one_access_mode(struct scn_parser *p, const struct scn_value *f)
{
	uint64_t m = f->num & (BIT(FF_R) | BIT(FF_W) | BIT(FF_RW));

	if (m & (m - 1))
		return scn_parse_error(p, &f->pos, "give one access mode (r, w or rw)");
	return 0;
}

static int file_check(struct scn_parser *p, const struct scn_step *st, const struct scn_value *a)
{
	const struct scn_value *f = &a[2];

	if (one_access_mode(p, f))
		return -1;
	if (f[FFO_SIZE].present) {
		if (f[FFO_SIZE].num > (uint64_t)PNM_MAX_FILE_SIZE)
			return scn_parse_error(p, &f[FFO_SIZE].pos,
					       "size= exceeds the largest file the model accepts (1T)");
		if (access_mode(f->num) == O_RDONLY)
			return scn_parse_error(p, &f[FFO_SIZE].pos,
					       "size= sets the size with ftruncate: the file must be "
					       "opened for writing (w or rw)");
	}
	if (f[FFO_NAME].present && memchr(f[FFO_NAME].data, '\0', f[FFO_NAME].len))
		return scn_parse_error(p, &f[FFO_NAME].pos, "a file name cannot contain a NUL byte");
	return 0;
}

static int open_check(struct scn_parser *p, const struct scn_step *st, const struct scn_value *a)
{
	return one_access_mode(p, &a[2]);
}

/* Open @name on @fs with @flags and register it as @sname. */
static int file_open_as(struct scn_run *r, const char *sname, enum pnm_fs_type fs,
			const char *name, int flags, struct scn_file **sfp)
{
	struct scn_file *sf;
	struct file *file;
	int err;

	if (strlen(name) > PNM_FS_NAME_MAX)
		return -ENAMETOOLONG;
	err = pnm_file_open(fs, name, flags, &file);
	if (err)
		return err;
	sf = calloc(1, sizeof(*sf));
	if (!sf) {
		pnm_file_close(file);
		return -ENOMEM;
	}
	sf->file = file;
	sf->fs = fs;
	snprintf(sf->name, sizeof(sf->name), "%s", name);
	if (scn_obj_add(r, NS_FILE, sname, sf, file_release)) {
		file_release(r, sf);
		return -ENOMEM;
	}
	*sfp = sf;
	return 0;
}

static void describe_open(struct scn_run *r, const struct scn_file *sf, const char *what)
{
	struct pnm_file_info fi = { .size = sizeof(fi) };

	pnm_get_file_info(sf->file, &fi);
	scn_detail(r, "%s %s file \"%s\", inode %lu, size %lld%s", what, pnm_fs_name(sf->fs),
		   sf->name, fi.ino, (long long)fi.file_size,
		   (fi.flags & PNM_FILE_DAX) ? ", S_DAX" : "");
}

static int file_run(struct scn_run *r, const struct scn_step *st, const struct scn_value *a)
{
	const struct scn_value *f = &a[2];
	enum pnm_fs_type fs = fs_values[a[1].index];
	const char *name = f[FFO_NAME].present ? (const char *)f[FFO_NAME].data : a[0].word;
	int flags = access_mode(f->num) | O_CREAT;
	struct scn_file *sf;
	int ret;

	if (f->num & BIT(FF_EXCL))
		flags |= O_EXCL;
	if (f->num & BIT(FF_TRUNC))
		flags |= O_TRUNC;
	ret = file_open_as(r, a[0].word, fs, name, flags, &sf);
	if (ret)
		return ret;
	if (f[FFO_SIZE].present) {
		ret = pnm_file_truncate(sf->file, (int64_t)f[FFO_SIZE].num);
		if (ret) {
			scn_obj_remove(r, NS_FILE, a[0].word);
			scn_detail(r, "ftruncate to size= %llu", (unsigned long long)f[FFO_SIZE].num);
			return ret;
		}
	}
	describe_open(r, sf, "opened");
	return 0;
}

static int open_run(struct scn_run *r, const struct scn_step *st, const struct scn_value *a)
{
	struct scn_file *of = file_get(r, &a[1]), *sf;
	int flags = access_mode(a[2].num);
	int ret;

	if (!of)
		return SCN_FAILED;
	if (a[2].num & BIT(OF_TRUNC))
		flags |= O_TRUNC;
	ret = file_open_as(r, a[0].word, of->fs, of->name, flags, &sf);
	if (ret)
		return ret;
	describe_open(r, sf, "opened again:");
	return 0;
}

static int close_run(struct scn_run *r, const struct scn_step *st, const struct scn_value *a)
{
	if (!scn_obj_remove(r, NS_FILE, a[0].word))
		return scn_fail(r, "file %s is not open", a[0].word);
	return 0;
}

/* --- mmap-file ---------------------------------------------------------------------- */

static const unsigned long prot_values[] = {
	PROT_READ, PROT_READ | PROT_WRITE, PROT_READ | PROT_EXEC,
	PROT_READ | PROT_WRITE | PROT_EXEC, PROT_NONE,
};
enum { MF_SHARED, MF_PRIVATE, MF_R, MF_RW, MF_RX, MF_RWX, MF_NONE, MF_POPULATE, MF_FIXED };
static const char *const mmapf_words[] = {
	"shared", "private", "r", "rw", "rx", "rwx", "none", "populate", "fixed", NULL,
};
enum { MFO_OFFSET = 1, MFO_AT, MFO_PROT, MFO_FLAGS };	/* slots after the bits */
static const struct scn_option mmapf_opts[] = {
	{ "offset", SCN_ARG_LEN, NULL, NULL },
	{ "at", SCN_ARG_ADDR, NULL, NULL },
	{ "prot", SCN_ARG_INT, NULL, NULL },
	{ "flags", SCN_ARG_INT, NULL, NULL },
	{ NULL, 0, NULL, NULL },
};
#define MF_PROTS	(BIT(MF_R) | BIT(MF_RW) | BIT(MF_RX) | BIT(MF_RWX) | BIT(MF_NONE))

static int mmapf_check(struct scn_parser *p, const struct scn_step *st, const struct scn_value *a)
{
	const struct scn_value *f = &a[4];
	uint64_t prots = f->num & MF_PROTS;
	uint64_t kind = f->num & (BIT(MF_SHARED) | BIT(MF_PRIVATE));

	if (prots & (prots - 1))
		return scn_parse_error(p, &f->pos, "give one protection (r, rw, rx, rwx or none)");
	if (kind == (BIT(MF_SHARED) | BIT(MF_PRIVATE)))
		return scn_parse_error(p, &f->pos, "shared and private exclude each other");
	if (!kind && !f[MFO_FLAGS].present)
		return scn_parse_error(p, &f->pos,
				       "say how the file is mapped: shared (writes reach the file) "
				       "or private (copy on write)");
	if ((f->num & BIT(MF_FIXED)) && !f[MFO_AT].present)
		return scn_parse_error(p, &f->pos, "fixed mappings need at=<address>");
	if (f[MFO_PROT].present && f[MFO_PROT].num > 0xffffffffULL)
		return scn_parse_error(p, &f[MFO_PROT].pos, "prot= is a 32-bit value");
	if (f[MFO_FLAGS].present && f[MFO_FLAGS].num > 0xffffffffULL)
		return scn_parse_error(p, &f[MFO_FLAGS].pos, "flags= is a 32-bit value");
	return 0;
}

static int mmapf_run(struct scn_run *r, const struct scn_step *st, const struct scn_value *a)
{
	struct task_struct *t = scn_task(r, &a[0]);
	struct scn_file *sf = t ? file_get(r, &a[2]) : NULL;
	const struct scn_value *f = &a[4];
	unsigned long len = (unsigned long)a[3].num, hint = 0, prot, flags = 0;
	unsigned long off = f[MFO_OFFSET].present ? (unsigned long)f[MFO_OFFSET].num : 0;
	struct pnm_file_info fi = { .size = sizeof(fi) };
	long addr;

	if (!t || !sf)
		return SCN_FAILED;
	/* Default protection: what the file was opened for. */
	prot = PROT_READ;
	if (!pnm_get_file_info(sf->file, &fi) && (fi.flags & PNM_FILE_WRITE) &&
	    (fi.flags & PNM_FILE_READ))
		prot |= PROT_WRITE;
	for (int i = MF_R; i <= MF_NONE; i++)
		if (f->num & BIT(i))
			prot = prot_values[i - MF_R];
	if (f[MFO_PROT].present)
		prot = (unsigned long)f[MFO_PROT].num;
	flags = (f->num & BIT(MF_SHARED)) ? MAP_SHARED : MAP_PRIVATE;
	if (f->num & BIT(MF_POPULATE))
		flags |= MAP_POPULATE;
	if (f->num & BIT(MF_FIXED))
		flags |= MAP_FIXED;
	if (f[MFO_FLAGS].present)
		flags = (unsigned long)f[MFO_FLAGS].num;
	if (f[MFO_AT].present && scn_addr(r, &f[MFO_AT], &hint))
		return SCN_FAILED;
	addr = pnm_mmap(t, hint, len, prot, flags, sf->file, off);
	if (addr < 0 && addr >= -PNM_MAX_ERRNO)
		return (int)addr;
	/* hugetlbfs rounds the length up to its huge page size. */
	if (sf->fs == PNM_FS_HUGETLBFS || sf->fs == PNM_FS_HUGETLBFS_1G)
		len = ALIGN(len, sf->fs == PNM_FS_HUGETLBFS ? PNM_HUGETLB_2M : PNM_HUGETLB_1G);
	scn_region_set(r, a[1].word, (unsigned long)addr, len);
	scn_detail(r, "0x%lx-0x%lx %s%s%s %s of %s file \"%s\" at offset %lu",
		   (unsigned long)addr, (unsigned long)addr + len,
		   prot & PROT_READ ? "r" : "", prot & PROT_WRITE ? "w" : "",
		   prot & PROT_EXEC ? "x" : prot ? "" : "none",
		   (flags & MAP_SHARED) ? "shared" : "private", pnm_fs_name(sf->fs), sf->name, off);
	return 0;
}

/* --- writeback summaries ----------------------------------------------------------- */

/* What a step that writes back did, from counter deltas. */
static const char *const wb_items[] = {
	"pgpgout", "pnm_wb_bounced", "pnm_wb_skip_pinned", "pnm_wb_pinned_inplace",
	"pnm_wb_unstable", "pnm_wb_lost", "pnm_wb_io_errors",
};
static const char *const wb_labels[] = {	/* "%ld pages %s", or "%ld %s" */
	"written", "bounced (pinned)", "skipped (pinned)", "written in place while pinned",
	"changed while written", "LOST", "write error",
};

struct wb_mark {
	long v[ARRAY_SIZE(wb_items)];
};

static void wb_mark(struct wb_mark *m)
{
	for (size_t i = 0; i < ARRAY_SIZE(wb_items); i++)
		m->v[i] = pnm_stat_read(scn_stat(wb_items[i]));
}

/* Append "N pages written, N bounced (pinned), ..." to @buf. */
static void wb_summary(const struct wb_mark *m, char *buf, size_t size)
{
	size_t o = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < ARRAY_SIZE(wb_items) && o < size; i++) {
		long d = pnm_stat_read(scn_stat(wb_items[i])) - m->v[i];

		if (!d && i)
			continue;
		o += (size_t)snprintf(buf + o, size - o, "%s%ld%s %s%s", i ? ", " : "", d,
				      i ? "" : (d == 1 ? " page" : " pages"), wb_labels[i],
				      i == ARRAY_SIZE(wb_items) - 1 && d != 1 ? "s" : "");
	}
}

/* --- buffered I/O --------------------------------------------------------------------- */

static int pwrite_run(struct scn_run *r, const struct scn_step *st, const struct scn_value *a)
{
	struct scn_file *sf = file_get(r, &a[0]);
	size_t len = scn_data_len(&a[2]), done = 0;
	int64_t pos = (int64_t)a[1].num;
	unsigned char *buf;
	int ret = 0;

	if (!sf)
		return SCN_FAILED;
	buf = malloc(CHUNK);
	if (!buf)
		return -ENOMEM;
	/* As a careful program does: write the rest after a short write; the
	 * call after it reports the error. */
	while (done < len || (!len && !done)) {
		size_t n = min_t(size_t, CHUNK, len - done);
		ssize_t w;

		scn_data_get(&a[2], done, buf, n);
		w = pnm_file_write(sf->file, buf, n, pos);
		if (w < 0) {
			ret = (int)w;
			break;
		}
		if (!n)
			break;
		if (!w) {
			ret = -EIO;	/* no progress and no error: say so */
			break;
		}
		done += (size_t)w;
		pos += w;
	}
	free(buf);
	if (ret && done)
		scn_detail(r, "wrote %zu of %zu bytes before the error", done, len);
	else if (!ret)
		scn_detail(r, "wrote %zu byte%s at %llu, size now %lld", len, len == 1 ? "" : "s",
			   (unsigned long long)a[1].num, (long long)pnm_file_size(sf->file));
	return ret;
}

/* Read up to @len bytes at @off into @buf; returns bytes read or -errno. */
static ssize_t file_read_all(struct file *file, int64_t off, void *buf, size_t len)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = pnm_file_read(file, (char *)buf + done, len - done, off);

		if (n < 0)
			return done ? (ssize_t)done : n;
		if (!n)
			break;
		done += (size_t)n;
		off += n;
	}
	return (ssize_t)done;
}

static int pread_run(struct scn_run *r, const struct scn_step *st, const struct scn_value *a)
{
	struct scn_file *sf = file_get(r, &a[0]);
	size_t len = (size_t)a[2].num, total = 0;
	unsigned char *buf;
	char q[300] = "\"\"";

	if (!sf)
		return SCN_FAILED;
	buf = malloc(CHUNK);
	if (!buf)
		return -ENOMEM;
	for (size_t off = 0; off < len; off += CHUNK) {
		size_t n = min_t(size_t, CHUNK, len - off);
		ssize_t got = file_read_all(sf->file, (int64_t)(a[1].num + off), buf, n);

		if (got < 0) {
			free(buf);
			return (int)got;
		}
		if (!off)
			scn_quote(q, sizeof(q), buf, (size_t)got, 64);
		total += (size_t)got;
		if ((size_t)got < n)
			break;		/* end of file */
	}
	free(buf);
	scn_detail(r, "%zu byte%s%s: %s", total, total == 1 ? "" : "s",
		   total < len ? " (end of file)" : "", q);
	return 0;
}

/* --- fsync, msync, sync, writeback ------------------------------------------------------ */

static const char *const fsync_words[] = { "datasync", NULL };
enum { FSO_OFFSET = 1, FSO_LENGTH };
static const struct scn_option fsync_opts[] = {
	{ "offset", SCN_ARG_LEN, NULL, NULL },
	{ "length", SCN_ARG_LEN, NULL, NULL },
	{ NULL, 0, NULL, NULL },
};

static int fsync_check(struct scn_parser *p, const struct scn_step *st, const struct scn_value *a)
{
	const struct scn_value *f = &a[1];

	if (f[FSO_LENGTH].present && !f[FSO_LENGTH].num)
		return scn_parse_error(p, &f[FSO_LENGTH].pos, "length= must not be 0");
	return 0;
}

static int fsync_run(struct scn_run *r, const struct scn_step *st, const struct scn_value *a)
{
	struct scn_file *sf = file_get(r, &a[0]);
	const struct scn_value *f = &a[1];
	bool datasync = f->num & 1;
	struct wb_mark m;
	char sum[256];
	int ret;

	if (!sf)
		return SCN_FAILED;
	wb_mark(&m);
	if (f[FSO_OFFSET].present || f[FSO_LENGTH].present) {
		int64_t start = f[FSO_OFFSET].present ? (int64_t)f[FSO_OFFSET].num : 0;
		int64_t end = f[FSO_LENGTH].present ? start + (int64_t)f[FSO_LENGTH].num - 1 :
			      INT64_MAX;

		ret = pnm_file_fsync(sf->file, start, end, datasync);
	} else {
		ret = pnm_file_fsync(sf->file, 0, INT64_MAX, datasync);
	}
	wb_summary(&m, sum, sizeof(sum));
	scn_detail(r, "%s", sum);
	return ret;
}

static const char *const msync_words[] = { "sync", "async", "invalidate", NULL };
static const int msync_values[] = { MS_SYNC, MS_ASYNC, MS_INVALIDATE };
static const struct scn_option msync_opts[] = {
	{ "flags", SCN_ARG_INT, NULL, NULL },
	{ NULL, 0, NULL, NULL },
};

static int msync_check(struct scn_parser *p, const struct scn_step *st, const struct scn_value *a)
{
	if (a[4].present && a[4].num > INT_MAX)
		return scn_parse_error(p, &a[4].pos, "flags= is an int");
	return 0;
}

static int msync_run(struct scn_run *r, const struct scn_step *st, const struct scn_value *a)
{
	struct task_struct *t = scn_task(r, &a[0]);
	const struct scn_value *f = &a[3];
	unsigned long addr;
	struct wb_mark m;
	char sum[256];
	int flags = 0, ret;

	if (!t || scn_addr(r, &a[1], &addr))
		return SCN_FAILED;
	for (size_t i = 0; i < ARRAY_SIZE(msync_values); i++)
		if (f->num & BIT(i))
			flags |= msync_values[i];
	if (!f->num)
		flags = MS_SYNC;
	if (f[1].present)
		flags = (int)f[1].num;
	wb_mark(&m);
	ret = pnm_msync(t, addr, (size_t)a[2].num, flags);
	wb_summary(&m, sum, sizeof(sum));
	scn_detail(r, "%s", sum);
	return ret;
}

static int sync_run(struct scn_run *r, const struct scn_step *st, const struct scn_value *a)
{
	struct wb_mark m;
	char sum[256];

	wb_mark(&m);
	pnm_sync();
	wb_summary(&m, sum, sizeof(sum));
	scn_detail(r, "%s", sum);
	return 0;
}

static const char *const wb_mode_words[] = { "sync", "background", NULL };

static int writeback_check(struct scn_parser *p, const struct scn_step *st,
			   const struct scn_value *a)
{
	if (a[0].present && a[0].index == 1 && a[1].present)
		return scn_parse_error(p, &a[1].pos,
				       "background writeback is the flusher's pass over every file");
	return 0;
}

/*
 * writeback              one flusher pass: WB_SYNC_NONE over every inode
 * writeback background   the same, only while above the background threshold
 * writeback sync         WB_SYNC_ALL over every inode (returns the first error)
 * writeback [sync] F     one pass of that mode over F only (filemap_flush /
 *                        filemap_fdatawrite), returning its error
 */
static int writeback_run(struct scn_run *r, const struct scn_step *st, const struct scn_value *a)
{
	bool sync = a[0].present && a[0].index == 0;
	struct scn_file *sf = NULL;
	struct wb_mark m;
	char sum[256];
	int ret = 0;

	if (a[1].present && !(sf = file_get(r, &a[1])))
		return SCN_FAILED;
	wb_mark(&m);
	if (sf || sync)		/* one file, or WB_SYNC_ALL over every file */
		ret = pnm_writeback_range(sf ? sf->file : NULL, 0, INT64_MAX,
					  sync ? PNM_WB_SYNC_ALL : PNM_WB_SYNC_NONE);
	else
		pnm_writeback_run(a[0].present);
	wb_summary(&m, sum, sizeof(sum));
	scn_detail(r, "%s (%s)", sum, sync ? "WB_SYNC_ALL" : "WB_SYNC_NONE");
	return ret;
}

/* --- truncate, punch, fallocate -------------------------------------------------------- */

static int truncate_run(struct scn_run *r, const struct scn_step *st, const struct scn_value *a)
{
	struct scn_file *sf = file_get(r, &a[0]);
	int live_item = scn_stat("pnm_nr_truncated_live");
	int pinned_item = scn_stat("pnm_truncate_pinned");
	long live = pnm_stat_read(live_item);
	long pinned = pnm_stat_read(pinned_item);
	int ret;

	if (!sf)
		return SCN_FAILED;
	ret = pnm_file_truncate(sf->file, (int64_t)a[1].num);
	if (ret)
		return ret;
	live = pnm_stat_read(live_item) - live;
	pinned = pnm_stat_read(pinned_item) - pinned;
	scn_detail(r, "size now %lld%s", (long long)pnm_file_size(sf->file),
		   live || pinned ? "; pages still referenced live on, detached" : "");
	return 0;
}

static int fallocate_common(struct scn_run *r, const struct scn_value *a, int mode)
{
	struct scn_file *sf = file_get(r, &a[0]);
	int ret;

	if (!sf)
		return SCN_FAILED;
	ret = pnm_file_fallocate(sf->file, mode, (int64_t)a[1].num, (int64_t)a[2].num);
	if (!ret)
		scn_detail(r, "size %lld", (long long)pnm_file_size(sf->file));
	return ret;
}

static int punch_run(struct scn_run *r, const struct scn_step *st, const struct scn_value *a)
{
	return fallocate_common(r, a, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE);
}

static int fallocate_run(struct scn_run *r, const struct scn_step *st, const struct scn_value *a)
{
	return fallocate_common(r, a, 0);
}

/* --- reclaim and fault injection -------------------------------------------------------- */

#define RECLAIM_MAX	(1UL << 30)

static const char *const reclaim_words[] = { "keep-mapped", NULL };

static int reclaim_check(struct scn_parser *p, const struct scn_step *st, const struct scn_value *a)
{
	if (!a[0].num || a[0].num > RECLAIM_MAX)
		return scn_parse_error(p, &a[0].pos, "reclaim takes 1..%lu pages", RECLAIM_MAX);
	return 0;
}

static int reclaim_run(struct scn_run *r, const struct scn_step *st, const struct scn_value *a)
{
	bool may_unmap = !(a[1].num & 1);
	int skip_item = scn_stat("pnm_reclaim_skip_pinned");
	int swap_skip_item = scn_stat("pnm_swap_skip_pinned"), out_item = scn_stat("pswpout");
	long skipped = pnm_stat_read(skip_item) + pnm_stat_read(swap_skip_item);
	long out = pnm_stat_read(out_item);
	unsigned long got;
	char swapped[48] = "";

	got = pnm_reclaim_pages((unsigned long)a[0].num, may_unmap);
	skipped = pnm_stat_read(skip_item) + pnm_stat_read(swap_skip_item) - skipped;
	out = pnm_stat_read(out_item) - out;
	if (out)
		snprintf(swapped, sizeof(swapped), ", %ld written to swap", out);
	scn_detail(r, "reclaimed %lu of %llu page%s%s%s%s", got, (unsigned long long)a[0].num,
		   a[0].num == 1 ? "" : "s", swapped, may_unmap ? "" : " (mapped pages kept)",
		   skipped ? "; kept maybe-pinned folios" : "");
	return 0;
}

static const char *const io_op_words[] = { "read", "write", NULL };
static const char *const io_err_words[] = { "eio", "enospc", "short", NULL };
static const struct scn_option inject_opts[] = {
	{ "count", SCN_ARG_INT, NULL, NULL },
	{ NULL, 0, NULL, NULL },
};

static int inject_check(struct scn_parser *p, const struct scn_step *st, const struct scn_value *a)
{
	if (a[1].index == 0 && a[2].index == 2)
		return scn_parse_error(p, &a[2].pos, "short goes with write (a host write that "
				       "stores only part of the data)");
	if (a[4].present && a[4].num > INT_MAX)	/* a[3]: the flag bits (none) */
		return scn_parse_error(p, &a[4].pos, "count= must be 0..%d", INT_MAX);
	return 0;
}

static int inject_run(struct scn_run *r, const struct scn_step *st, const struct scn_value *a)
{
	static const int errs[] = { -EIO, -ENOSPC, PNM_IO_SHORT };
	struct scn_file *sf = file_get(r, &a[0]);
	unsigned int count = a[4].present ? (unsigned int)a[4].num : 1;
	int ret;

	if (!sf)
		return SCN_FAILED;
	ret = pnm_fs_inject_error(sf->file, a[1].index ? PNM_IO_WRITE : PNM_IO_READ,
				  errs[a[2].index], count);
	if (ret)
		return ret;
	if (count)
		scn_detail(r, "the next %u backing %s%s of \"%s\" fail%s (%s)", count, a[1].word,
			   count == 1 ? "" : "s", sf->name, count == 1 ? "s" : "",
			   a[2].index == 2 ? "a prefix is stored, then EIO" : a[2].index ? "ENOSPC" :
			   "EIO");
	else
		scn_detail(r, "%s errors of \"%s\" cleared", a[1].word, sf->name);
	return 0;
}

/* --- expectations: bytes ------------------------------------------------------------------ */

/*
 * Compare @got with the expected bytes [@done, @done + n) of @want_v.
 * Returns 0 when equal, SCN_FAILED with a detail naming the first
 * difference (as "expect read" does).
 */
static int compare_chunk(struct scn_run *r, const char *what, unsigned long long off,
			 const unsigned char *got, const struct scn_value *want_v, size_t done,
			 size_t n, unsigned char *want)
{
	char qg[200], qw[200];
	size_t i, from;

	scn_data_get(want_v, done, want, n);
	if (!memcmp(got, want, n))
		return 0;
	for (i = 0; got[i] == want[i]; i++)
		;
	from = i > 8 ? i - 8 : 0;
	scn_quote(qg, sizeof(qg), got + from, n - from, 24);
	scn_quote(qw, sizeof(qw), want + from, n - from, 24);
	return scn_fail(r, "differs at offset %llu: %s %s, expected %s", off + done + i, what, qg,
			qw);
}

static void matched(struct scn_run *r, const char *what, const struct scn_value *v)
{
	size_t len = scn_data_len(v);

	if (len <= 64) {
		unsigned char b[64];
		char q[300];

		scn_data_get(v, 0, b, len);
		scn_quote(q, sizeof(q), b, len, 64);
		scn_detail(r, "%s %s", what, q);
	} else {
		scn_detail(r, "%zu bytes match (%s)", len, what);
	}
}

/* Open the host file behind @sf for reading: the fd, or -1 with the detail set. */
static int host_open(struct scn_run *r, const struct scn_file *sf, char *path, size_t size)
{
	int ret = pnm_fs_backing_path(sf->file, path, size);
	int fd;

	if (ret) {
		scn_fail(r, "%s file \"%s\" has no backing file on the host (%s)",
			 pnm_fs_name(sf->fs), sf->name,
			 pnm_errno_name(-ret) ? pnm_errno_name(-ret) : "error");
		return -1;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		scn_fail(r, "cannot open the backing file %s: %s", path, strerror(errno));
	return fd;
}

static int expect_disk_run(struct scn_run *r, const struct scn_step *st,
			   const struct scn_value *a)
{
	struct scn_file *sf = file_get(r, &a[0]);
	size_t len = scn_data_len(&a[2]);
	unsigned long long off = a[1].num;
	unsigned char *got = NULL, *want = NULL;
	char path[4096];
	int fd, ret = 0;

	if (!sf)
		return SCN_FAILED;
	fd = host_open(r, sf, path, sizeof(path));
	if (fd < 0)
		return SCN_FAILED;
	got = malloc(CHUNK);
	want = malloc(CHUNK);
	if (!got || !want) {
		ret = -ENOMEM;
		goto out;
	}
	for (size_t done = 0; done < len && !ret; done += CHUNK) {
		size_t n = min_t(size_t, CHUNK, len - done), have = 0;

		while (have < n) {
			ssize_t k = pread(fd, got + have, n - have, (off_t)(off + done + have));

			if (k < 0 && errno == EINTR)
				continue;
			if (k < 0) {
				ret = scn_fail(r, "reading the backing file: %s", strerror(errno));
				goto out;
			}
			if (!k)
				break;
			have += (size_t)k;
		}
		if (have < n) {
			struct stat sb;

			ret = scn_fail(r, "the backing file on the host ends at %lld; expected %zu "
				       "bytes at offset %llu",
				       fstat(fd, &sb) ? -1LL : (long long)sb.st_size, len, off);
			goto out;
		}
		ret = compare_chunk(r, "the disk has", off, got, &a[2], done, n, want);
	}
	if (!ret)
		matched(r, "the disk has", &a[2]);
out:
	close(fd);
	free(got);
	free(want);
	return ret;
}

/* show "LABEL" disk FILE OFF LEN: the host file's bytes, as text. */
static int shown_disk(struct scn_run *r, void *subject, const struct scn_value *a)
{
	struct scn_file *sf = file_get(r, &a[0]);
	unsigned char buf[256];
	size_t len = min_t(size_t, a[2].num, sizeof(buf)), have = 0;
	char path[4096];
	int fd;

	if (!sf)
		return SCN_FAILED;
	fd = host_open(r, sf, path, sizeof(path));
	if (fd < 0)
		return SCN_FAILED;
	while (have < len) {
		ssize_t k = pread(fd, buf + have, len - have, (off_t)(a[1].num + have));

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			break;
		have += (size_t)k;
	}
	close(fd);
	scn_shown_text(subject, buf, have);
	return 0;
}

static int expect_disk_size_run(struct scn_run *r, const struct scn_step *st,
				const struct scn_value *a)
{
	struct scn_file *sf = file_get(r, &a[0]);
	char path[4096], want[48];
	struct stat sb;
	int fd, ret;

	if (!sf)
		return SCN_FAILED;
	fd = host_open(r, sf, path, sizeof(path));
	if (fd < 0)
		return SCN_FAILED;
	ret = fstat(fd, &sb);
	close(fd);
	if (ret)
		return scn_fail(r, "cannot stat the backing file: %s", strerror(errno));
	scn_format_cmp(want, sizeof(want), &a[1]);
	if (!scn_compare(&a[1], (long)sb.st_size))
		return scn_fail(r, "the backing file has %lld bytes; expected %s",
				(long long)sb.st_size, want);
	scn_detail(r, "the backing file has %lld bytes", (long long)sb.st_size);
	return 0;
}

static int expect_file_run(struct scn_run *r, const struct scn_step *st,
			   const struct scn_value *a)
{
	struct scn_file *sf = file_get(r, &a[0]);
	size_t len = scn_data_len(&a[2]);
	unsigned long long off = a[1].num;
	unsigned char *got, *want;
	int ret = 0;

	if (!sf)
		return SCN_FAILED;
	got = malloc(CHUNK);
	want = malloc(CHUNK);
	if (!got || !want) {
		ret = -ENOMEM;
		goto out;
	}
	for (size_t done = 0; done < len && !ret; done += CHUNK) {
		size_t n = min_t(size_t, CHUNK, len - done);
		ssize_t k = file_read_all(sf->file, (int64_t)(off + done), got, n);

		if (k < 0) {
			const char *e = pnm_errno_name((int)-k);

			ret = scn_fail(r, "read(2) at %llu failed with %s", off + done,
				       e ? e : "an error");
			goto out;
		}
		if ((size_t)k < n) {
			ret = scn_fail(r, "the file ends at %lld (size %lld); expected %zu bytes at "
				       "offset %llu", (long long)(off + done + (size_t)k),
				       (long long)pnm_file_size(sf->file), len, off);
			goto out;
		}
		ret = compare_chunk(r, "read", off, got, &a[2], done, n, want);
	}
	if (!ret)
		matched(r, "read", &a[2]);
out:
	free(got);
	free(want);
	return ret;
}

static int expect_size_run(struct scn_run *r, const struct scn_step *st,
			   const struct scn_value *a)
{
	struct scn_file *sf = file_get(r, &a[0]);
	char want[48];
	int64_t size;

	if (!sf)
		return SCN_FAILED;
	size = pnm_file_size(sf->file);
	scn_format_cmp(want, sizeof(want), &a[1]);
	if (!scn_compare(&a[1], (long)size))
		return scn_fail(r, "i_size is %lld; expected %s", (long long)size, want);
	scn_detail(r, "i_size is %lld", (long long)size);
	return 0;
}

static int expect_cached_run(struct scn_run *r, const struct scn_step *st,
			     const struct scn_value *a)
{
	struct scn_file *sf = file_get(r, &a[0]);
	struct pnm_file_info fi = { .size = sizeof(fi) };
	char want[48];
	long nr;

	if (!sf)
		return SCN_FAILED;
	pnm_get_file_info(sf->file, &fi);
	nr = (long)fi.cached_pages;
	scn_format_cmp(want, sizeof(want), &a[1]);
	if (!scn_compare(&a[1], nr))
		return scn_fail(r, "%ld page%s of \"%s\" cached; expected %s", nr,
				nr == 1 ? "" : "s", sf->name, want);
	scn_detail(r, "%ld page%s cached", nr, nr == 1 ? "" : "s");
	return 0;
}

/* --- expect file-page: page properties of the cached page ------------------------------- */

static int expect_file_page_run(struct scn_run *r, const struct scn_step *st,
				const struct scn_value *a)
{
	struct scn_file *sf = file_get(r, &a[0]);
	const struct scn_cmd *prop = a[3].variant;
	bool negate = a[2].present;
	unsigned long index = (unsigned long)(a[1].num >> PAGE_SHIFT);
	struct scn_page_info pi;
	int ret;

	if (!sf)
		return SCN_FAILED;
	memset(&pi, 0, sizeof(pi));
	pi.addr = (unsigned long)a[1].num;
	/*
	 * The snapshot is taken without the lookup's reference, so that
	 * refcounts read as the cache and its users hold them: the cache's
	 * own references keep the folio, and nothing else runs while a
	 * scenario step does (no flusher thread in scenarios).
	 */
	pi.frame.size = sizeof(pi.frame);
	if (!pnm_file_page_info(sf->file, (int64_t)a[1].num, &pi.frame)) {
		pi.present = true;
		pi.pfn = pi.frame.pfn;
	}
	if (!pi.present) {
		/* Nothing cached: only present / cached / not-cached can tell. */
		if (!strcmp(prop->name, "cached") || !strcmp(prop->name, "not-cached") ||
		    !strcmp(prop->name, "present")) {
			bool holds = !strcmp(prop->name, "not-cached") != negate;

			if (holds)
				scn_detail(r, "nothing of \"%s\" cached at index %lu", sf->name,
					   (unsigned long)index);
			else
				scn_fail(r, "nothing of \"%s\" is cached at index %lu", sf->name,
					 (unsigned long)index);
			return holds ? 0 : SCN_FAILED;
		}
		return scn_fail(r, "cannot tell: nothing of \"%s\" is cached at index %lu",
				sf->name, (unsigned long)index);
	}
	ret = prop->test(r, &pi, &a[4]);
	if (ret == -ESRCH)
		return SCN_FAILED;
	if (ret < 0)
		return scn_fail(r, "cannot tell for pfn 0x%lx", pi.pfn);
	if (!negate)
		return ret;
	if (ret == 0)
		return scn_fail(r, "the cached page at index %lu (pfn 0x%lx) is %s",
				(unsigned long)index, pi.pfn, prop->name);
	scn_detail(r, "not %s: the cached page at index %lu is pfn 0x%lx", prop->name,
		   (unsigned long)index, pi.pfn);
	return 0;
}

/* Properties of a process's mapping say nothing about a cached page. */
static int expect_file_page_check(struct scn_parser *p, const struct scn_step *st,
				  const struct scn_value *a)
{
	const char *name = a[3].variant->name;

	if (!strcmp(name, "writable") || !strcmp(name, "zero-page") ||
	    !strcmp(name, "huge-zero-page") || !strcmp(name, "anon-exclusive") ||
	    !strcmp(name, "swapped") || !strcmp(name, "swap-count") ||
	    !strcmp(name, "swap-exclusive"))
		return scn_parse_error(p, &a[3].pos, "'%s' describes a process's mapping, not a "
				       "cached page (use: expect page <process> <address> %s)",
				       name, name);
	return 0;
}

/* --- page properties of file pages ----------------------------------------------------------- */

/* The frame of @subject, or NULL when nothing (or the zero page) is there. */
static const struct pnm_page_info *subject_frame(void *subject)
{
	struct scn_page_info *pi = subject;

	if (!pi->present || (pi->frame.flags & PNM_PAGE_ZERO))
		return NULL;
	return &pi->frame;
}

static bool frame_has(const struct pnm_page_info *f, unsigned int flag)
{
	return f->flags & flag;
}

static int prop_cached(struct scn_run *r, void *subject, const struct scn_value *a)
{
	const struct pnm_page_info *f = subject_frame(subject);

	if (!f)
		return -ENOENT;
	return scn_prop_result(r, frame_has(f, PNM_PAGE_CACHED), "folio 0x%lx is %s", f->head_pfn,
			  frame_has(f, PNM_PAGE_CACHED) ? "in a page cache" :
			  frame_has(f, PNM_PAGE_ANON) ? "anonymous" : "in no page cache");
}

static int prop_not_cached(struct scn_run *r, void *subject, const struct scn_value *a)
{
	const struct pnm_page_info *f = subject_frame(subject);

	if (!f)
		return -ENOENT;
	return scn_prop_result(r, !frame_has(f, PNM_PAGE_CACHED), "folio 0x%lx is %s",
			  f->head_pfn,
			  frame_has(f, PNM_PAGE_CACHED) ? "in a page cache" : "in no page cache");
}

static int prop_truncated(struct scn_run *r, void *subject, const struct scn_value *a)
{
	const struct pnm_page_info *f = subject_frame(subject);
	bool t;

	if (!f)
		return -ENOENT;
	t = frame_has(f, PNM_PAGE_TRUNCATED);
	return scn_prop_result(r, t, "folio 0x%lx %s (refcount %d)", f->head_pfn,
			  t ? "left its file's cache while referenced (PG_pnm_truncated)" :
			  "is not a truncated page", f->refcount);
}

static int prop_blocks(struct scn_run *r, void *subject, const struct scn_value *a)
{
	const struct pnm_page_info *f = subject_frame(subject);
	bool b;

	if (!f)
		return -ENOENT;
	b = frame_has(f, PNM_PAGE_PRIVATE);
	return scn_prop_result(r, b, "folio 0x%lx %s block state", f->head_pfn, b ? "has" : "has no");
}

static int prop_no_blocks(struct scn_run *r, void *subject, const struct scn_value *a)
{
	const struct pnm_page_info *f = subject_frame(subject);
	bool b;

	if (!f)
		return -ENOENT;
	b = frame_has(f, PNM_PAGE_PRIVATE);
	return scn_prop_result(r, !b, "folio 0x%lx %s block state%s", f->head_pfn,
			  b ? "has" : "has no",
			  !b && frame_has(f, PNM_PAGE_DIRTY) ? " but is dirty" : "");
}

static int prop_nofs_dirty(struct scn_run *r, void *subject, const struct scn_value *a)
{
	const struct pnm_page_info *f = subject_frame(subject);
	bool b;

	if (!f)
		return -ENOENT;
	b = frame_has(f, PNM_PAGE_NOFS_DIRTY);
	return scn_prop_result(r, b, "folio 0x%lx %s", f->head_pfn,
			  b ? "was dirtied behind the filesystem's back (PG_pnm_nofs_dirty)" :
			  "was not dirtied behind the filesystem's back");
}

static int prop_writeback(struct scn_run *r, void *subject, const struct scn_value *a)
{
	const struct pnm_page_info *f = subject_frame(subject);
	bool wb;

	if (!f)
		return -ENOENT;
	wb = frame_has(f, PNM_PAGE_WRITEBACK);
	return scn_prop_result(r, wb, "folio 0x%lx is %sunder writeback", f->head_pfn,
			  wb ? "" : "not ");
}

static int prop_uptodate(struct scn_run *r, void *subject, const struct scn_value *a)
{
	const struct pnm_page_info *f = subject_frame(subject);
	bool u;

	if (!f)
		return -ENOENT;
	u = frame_has(f, PNM_PAGE_UPTODATE);
	return scn_prop_result(r, u, "folio 0x%lx is %suptodate", f->head_pfn, u ? "" : "not ");
}

static int prop_clean(struct scn_run *r, void *subject, const struct scn_value *a)
{
	const struct pnm_page_info *f = subject_frame(subject);
	bool dirty, wb;

	if (!f)
		return -ENOENT;
	dirty = frame_has(f, PNM_PAGE_DIRTY);
	wb = frame_has(f, PNM_PAGE_WRITEBACK);
	return scn_prop_result(r, !dirty && !wb, "folio 0x%lx is %s", f->head_pfn,
			  dirty ? "dirty" : wb ? "under writeback" : "clean");
}

/* --- tables ------------------------------------------------------------------------------ */

#define TASK(n)		{ .type = SCN_ARG_REF, .name = n, .ns = SCN_NS_PROCESS }
#define FILE_REF(n)	{ .type = SCN_ARG_REF, .name = n, .ns = NS_FILE }
#define OFF(n)		{ .type = SCN_ARG_LEN, .name = n }
#define CMP(n)		{ .type = SCN_ARG_CMP, .name = n }
#define DATA		{ .type = SCN_ARG_DATA, .name = "data" }
#define END		{ .type = SCN_ARG_END }

static const struct scn_arg files_args[] = {
	{ .type = SCN_ARG_FLAGS, .name = "option", .options = files_opts }, END };
static const struct scn_arg file_args[] = {
	{ .type = SCN_ARG_DEF, .name = "name", .ns = NS_FILE },
	{ .type = SCN_ARG_KEYWORD, .name = "filesystem", .choices = fs_words },
	{ .type = SCN_ARG_FLAGS, .name = "flag", .choices = file_words, .options = file_opts },
	END };
static const struct scn_arg open_args[] = {
	{ .type = SCN_ARG_DEF, .name = "name", .ns = NS_FILE },
	FILE_REF("file"),
	{ .type = SCN_ARG_FLAGS, .name = "flag", .choices = open_words }, END };
static const struct scn_arg file_only_args[] = { FILE_REF("file"), END };
static const struct scn_arg mmapf_args[] = {
	TASK("process"),
	{ .type = SCN_ARG_DEF, .name = "region", .ns = SCN_NS_REGION, .flags = SCN_REDEFINE },
	FILE_REF("file"),
	{ .type = SCN_ARG_LEN, .name = "length" },
	{ .type = SCN_ARG_FLAGS, .name = "flag", .choices = mmapf_words, .options = mmapf_opts },
	END };
static const struct scn_arg pwrite_args[] = { FILE_REF("file"), OFF("offset"), DATA, END };
static const struct scn_arg pread_args[] = {
	FILE_REF("file"), OFF("offset"), { .type = SCN_ARG_SIZE, .name = "size" }, END };
static const struct scn_arg fsync_args[] = {
	FILE_REF("file"),
	{ .type = SCN_ARG_FLAGS, .name = "flag", .choices = fsync_words, .options = fsync_opts },
	END };
static const struct scn_arg msync_args[] = {
	TASK("process"), { .type = SCN_ARG_ADDR, .name = "address" },
	{ .type = SCN_ARG_LEN, .name = "length" },
	{ .type = SCN_ARG_FLAGS, .name = "flag", .choices = msync_words, .options = msync_opts },
	END };
static const struct scn_arg none_args[] = { END };
static const struct scn_arg writeback_args[] = {
	{ .type = SCN_ARG_KEYWORD, .name = "mode", .choices = wb_mode_words,
	  .flags = SCN_OPTIONAL },
	{ .type = SCN_ARG_REF, .name = "file", .ns = NS_FILE, .flags = SCN_OPTIONAL },
	END };
static const struct scn_arg truncate_args[] = { FILE_REF("file"), OFF("size"), END };
static const struct scn_arg range_args[] = { FILE_REF("file"), OFF("offset"), OFF("length"), END };
static const struct scn_arg reclaim_args[] = {
	{ .type = SCN_ARG_INT, .name = "pages" },
	{ .type = SCN_ARG_FLAGS, .name = "flag", .choices = reclaim_words }, END };
static const struct scn_arg inject_args[] = {
	FILE_REF("file"),
	{ .type = SCN_ARG_KEYWORD, .name = "operation", .choices = io_op_words },
	{ .type = SCN_ARG_KEYWORD, .name = "error", .choices = io_err_words },
	{ .type = SCN_ARG_FLAGS, .name = "option", .options = inject_opts }, END };
static const struct scn_arg expect_bytes_args[] = { FILE_REF("file"), OFF("offset"), DATA, END };
static const struct scn_arg expect_cmp_args[] = { FILE_REF("file"), CMP("value"), END };
static const struct scn_arg expect_file_page_args[] = {
	FILE_REF("file"), OFF("offset"),
	{ .type = SCN_ARG_LITERAL, .name = "not", .flags = SCN_OPTIONAL },
	{ .type = SCN_ARG_VARIANT, .name = "property", .family = "page-property" }, END };

#define EXPECT_LOOK	(SCN_EXPECT | SCN_OBSERVE)

static const struct scn_cmd file_cmds[] = {
	{ .name = "files", .section = "setup", .args = files_args, .flags = SCN_CONFIG,
	  .check = files_check, .run = files_run,
	  .help = "file settings: the writeback policy for maybe-pinned pages (wb=stable, the "
		  "default: bounce and keep dirty; wb=linux: in place) and the dirty "
		  "thresholds (default 10% and 20% of memory); must come first, like memory",
	  .example = "files wb=linux dirty-limit=64K" },
	{ .name = "file", .section = "files", .args = file_args, .run = file_run,
	  .check = file_check,
	  .help = "create (O_CREAT) and open a file on a filesystem (disk: a real host file "
		  "in the script's data directory; shmem; dax; hugetlbfs, hugetlbfs1G: huge "
		  "pages of the hugetlb pool) and name the opener; "
		  "size= ftruncates it, name= gives the filesystem another name",
	  .example = "file F disk size=16K" },
	{ .name = "open", .section = "files", .args = open_args, .run = open_run,
	  .check = open_check,
	  .help = "open the file again: another opener, with its own writeback-error sample",
	  .example = "open G F" },
	{ .name = "close", .section = "files", .args = file_only_args, .run = close_run,
	  .help = "close an opener (mappings keep the file alive)", .example = "close G" },
	{ .name = "mmap-file", .section = "files", .args = mmapf_args, .run = mmapf_run,
	  .check = mmapf_check,
	  .help = "mmap(2) a file into a process and name the region; shared or private is "
		  "required; protection defaults to the file's access mode",
	  .example = "mmap-file A map F 16K shared offset=4K" },
	{ .name = "pwrite", .section = "files", .args = pwrite_args, .run = pwrite_run,
	  .help = "buffered write(2) at an offset (through the page cache)",
	  .example = "pwrite F 0 \"hello\"" },
	{ .name = "pread", .section = "files", .args = pread_args, .run = pread_run,
	  .help = "buffered read(2) at an offset; shows the first 64 bytes",
	  .example = "pread F 0 16" },
	{ .name = "fsync", .section = "files", .args = fsync_args, .run = fsync_run,
	  .check = fsync_check,
	  .help = "fsync(2) (datasync: fdatasync; offset=/length=: a range): write back and "
		  "wait; fails with a writeback error this opener has not seen yet",
	  .example = "fsync F" },
	{ .name = "msync", .section = "files", .args = msync_args, .run = msync_run,
	  .check = msync_check,
	  .help = "msync(2) a range of a process (default sync)",
	  .example = "msync A map 16K sync" },
	{ .name = "sync", .section = "files", .args = none_args, .run = sync_run,
	  .help = "sync(2): write back every file (errors are recorded, not returned)",
	  .example = "sync" },
	{ .name = "writeback", .section = "files", .args = writeback_args, .run = writeback_run,
	  .check = writeback_check,
	  .help = "one writeback pass: WB_SYNC_NONE over every file (the flusher), "
		  "background: only above the background threshold, sync: WB_SYNC_ALL; with a "
		  "file, only that file (returns its error)",
	  .example = "writeback sync F" },
	{ .name = "truncate", .section = "files", .args = truncate_args, .run = truncate_run,
	  .help = "ftruncate(2): shrink (unmaps and drops the cache beyond) or grow",
	  .example = "truncate F 4K" },
	{ .name = "punch", .section = "files", .args = range_args, .run = punch_run,
	  .help = "fallocate(2) PUNCH_HOLE|KEEP_SIZE: drop a range, which then reads as zeroes",
	  .example = "punch F 4K 8K" },
	{ .name = "fallocate", .section = "files", .args = range_args, .run = fallocate_run,
	  .help = "fallocate(2) mode 0: allocate a range (extends the size)",
	  .example = "fallocate F 0 64K" },
	{ .name = "reclaim", .section = "files", .args = reclaim_args, .run = reclaim_run,
	  .check = reclaim_check,
	  .help = "reclaim up to N clean page-cache pages, oldest first, unmapping them "
		  "(keep-mapped: only unmapped ones, as the page allocator does)",
	  .example = "reclaim 16" },
	{ .name = "inject", .section = "files", .args = inject_args, .run = inject_run,
	  .check = inject_check,
	  .help = "make the next count= (default 1; 0 clears) backing reads or writes of a disk "
		  "or dax file fail: eio, enospc, or short (a prefix is stored, then EIO)",
	  .example = "inject F write eio count=1" },

	{ .name = "expect disk", .section = "expect", .args = expect_bytes_args,
	  .run = expect_disk_run, .flags = EXPECT_LOOK,
	  .help = "the real backing file on the host holds these bytes at the offset (read "
		  "with pread(2), not through the model)",
	  .example = "expect disk F 0 \"hello\"" },
	{ .name = "expect disk-size", .section = "expect", .args = expect_cmp_args,
	  .run = expect_disk_size_run, .flags = EXPECT_LOOK,
	  .help = "the size of the backing file on the host",
	  .example = "expect disk-size F == 4096" },
	{ .name = "expect file", .section = "expect", .args = expect_bytes_args,
	  .run = expect_file_run, .flags = EXPECT_LOOK,
	  .help = "read(2) through the page cache returns these bytes at the offset (may fill "
		  "the cache)",
	  .example = "expect file F 0 \"hello\"" },
	{ .name = "expect file-page", .section = "expect", .args = expect_file_page_args,
	  .run = expect_file_page_run, .check = expect_file_page_check, .flags = EXPECT_LOOK,
	  .help = "a page property of the page cached at the offset (no faulting, no reading); "
		  "'not' negates",
	  .example = "expect file-page F 0 dirty" },
	{ .name = "expect size", .section = "expect", .args = expect_cmp_args,
	  .run = expect_size_run, .flags = EXPECT_LOOK,
	  .help = "the file's size (i_size)", .example = "expect size F == 8192" },
	{ .name = "expect cached", .section = "expect", .args = expect_cmp_args,
	  .run = expect_cached_run, .flags = EXPECT_LOOK,
	  .help = "pages of the file in the page cache (mapping->nrpages)",
	  .example = "expect cached F == 2" },
};
SCN_REGISTER(file_cmds)

static const struct scn_arg shown_disk_args[] = {
	FILE_REF("file"), OFF("offset"), { .type = SCN_ARG_LEN, .name = "length" }, END };

static const struct scn_cmd file_shown[] = {
	{ .name = "disk", .family = "shown", .args = shown_disk_args, .test = shown_disk,
	  .help = "the bytes of the host's backing file there (up to the first NUL), as text" },
};
SCN_REGISTER(file_shown)

#define PAGE_PROP(n, fn, h)	\
	{ .name = n, .family = "page-property", .args = none_args, .test = fn, .help = h }

static const struct scn_cmd file_page_props[] = {
	PAGE_PROP("cached", prop_cached, "the folio is in a file's page cache"),
	PAGE_PROP("not-cached", prop_not_cached,
		  "the folio is in no page cache (anonymous, or truncated)"),
	PAGE_PROP("truncated", prop_truncated,
		  "the folio left its file's cache while still referenced (PG_pnm_truncated)"),
	PAGE_PROP("blocks", prop_blocks, "the folio has disk block state (PG_private)"),
	PAGE_PROP("no-blocks", prop_no_blocks, "the folio has no disk block state"),
	PAGE_PROP("nofs-dirty", prop_nofs_dirty,
		  "the folio was dirtied behind the filesystem's back (PG_pnm_nofs_dirty)"),
	PAGE_PROP("writeback", prop_writeback, "the folio is under writeback (PG_writeback)"),
	PAGE_PROP("uptodate", prop_uptodate, "the folio's data is valid (PG_uptodate)"),
	PAGE_PROP("clean", prop_clean, "neither dirty nor under writeback"),
};
SCN_REGISTER(file_page_props)
