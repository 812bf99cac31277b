/* SPDX-License-Identifier: MIT */
/*
 * scn_mem.c - the scenario commands of the memory core.
 *
 *   memory [normal=] [movable=] [cma=] [thp=]   size and zone split (first),
 *          [use_zero_page=] [accounting=] [legacy=]     THP, pin settings
 *          [registry=] [debug=]
 *   process, fork, exit                          processes
 *   mmap, munmap, mremap, mprotect, madvise      address-space system calls
 *   write, read                                  CPU stores and loads
 *   migrate, compact                             moving pages
 *   hold, release                                extra folio references
 *   stats, maps, pages                           looking at the model
 *
 * Each command is a table entry (schema + handler); the handlers call the
 * model's public API exactly as a program or the kernel would and return
 * its -errno unchanged so that "expect fail EINVAL mmap ..." can test it.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include "scn.h"

#define CHUNK	65536		/* bytes moved per CPU access */

static const char *const prot_words[] = { "r", "rw", "rx", "rwx", "none", NULL };
static const unsigned long prot_values[] = {
	PROT_READ, PROT_READ | PROT_WRITE, PROT_READ | PROT_EXEC,
	PROT_READ | PROT_WRITE | PROT_EXEC, PROT_NONE,
};

static const char *prot_name(unsigned long prot)
{
	for (size_t i = 0; i < ARRAY_SIZE(prot_values); i++)
		if (prot_values[i] == prot)
			return prot_words[i];
	return "?";
}

/* --- memory ------------------------------------------------------------------------ */

static const char *const thp_modes[] = { "never", "madvise", "always", NULL };
static const char *const accounting_modes[] = { "linux", "exact", NULL };
static const char *const on_off[] = { "off", "on", NULL };
static const struct scn_option memory_opts[] = {
	{ "normal", SCN_ARG_LEN, NULL, NULL },
	{ "movable", SCN_ARG_LEN, NULL, NULL },
	{ "cma", SCN_ARG_LEN, NULL, NULL },
	{ "thp", SCN_ARG_KEYWORD, thp_modes, NULL },
	/* pins (struct pnm_config): value index = enum / bool */
	{ "accounting", SCN_ARG_KEYWORD, accounting_modes, NULL },
	{ "legacy", SCN_ARG_KEYWORD, on_off, NULL },
	{ "registry", SCN_ARG_KEYWORD, on_off, NULL },
	{ "debug", SCN_ARG_KEYWORD, on_off, NULL },
	/* transparent_hugepage/use_zero_page */
	{ "use_zero_page", SCN_ARG_KEYWORD, on_off, NULL },
	{ NULL, 0, NULL, NULL },
};

static int memory_check(struct scn_parser *p, const struct scn_step *st,
			const struct scn_value *args)
{
	struct scn_script *s = scn_parser_script(p);
	static const enum pnm_zone_type zones[] = { PNM_ZONE_NORMAL, PNM_ZONE_MOVABLE,
						    PNM_ZONE_CMA };
	uint64_t total = 0;

	for (int i = 0; i < 3; i++) {
		const struct scn_value *v = &args[1 + i];
		uint64_t bytes;

		if (!v->present)
			bytes = (uint64_t)s->cfg.zone_frames[zones[i]] << PAGE_SHIFT;
		else
			bytes = v->num;
		if (bytes > SCN_MAX_MEMORY)
			return scn_parse_error(p, &v->pos,
					       "%s= is larger than the model supports (1G in all)",
					       memory_opts[i].key);
		bytes = ALIGN(bytes, (uint64_t)HPAGE_PMD_SIZE);
		if (zones[i] == PNM_ZONE_NORMAL && !bytes)
			return scn_parse_error(p, &v->pos, "normal= must not be 0");
		s->cfg.zone_frames[zones[i]] = (unsigned long)(bytes >> PAGE_SHIFT);
		total += bytes;
	}
	if (total > SCN_MAX_MEMORY)
		return scn_parse_error(p, &st->pos, "the zones add up to more than 1G");
	if (args[4].present)
		s->cfg.thp = (enum pnm_thp_mode)args[4].index;
	if (args[5].present)
		s->cfg.pin_accounting = args[5].index ? PNM_PIN_ACCOUNTING_EXACT :
							PNM_PIN_ACCOUNTING_LINUX;
	if (args[6].present)
		s->cfg.legacy_gup = args[6].index;
	if (args[7].present)
		s->cfg.pin_registry = args[7].index;
	if (args[8].present) {
		s->cfg.pin_debug = args[8].index;
		s->pin_debug_set = true;
	}
	if (args[9].present)
		s->cfg.thp_use_zero_page = args[9].index;
	return 0;
}

/* --- processes ----------------------------------------------------------------------- */

static int process_run(struct scn_run *r, const struct scn_step *st, const struct scn_value *a)
{
	struct task_struct *t;
	int err = pnm_task_create(a[0].word, &t);

	if (err)
		return err;
	scn_task_add(r, a[0].word, t);
	scn_detail(r, "pid %d", pnm_task_pid(t));
	return 0;
}

static int fork_run(struct scn_run *r, const struct scn_step *st, const struct scn_value *a)
{
	struct task_struct *parent = scn_task(r, &a[0]), *child = NULL;
	int ret;

	if (!parent)
		return SCN_FAILED;
	ret = pnm_task_fork(parent, a[1].word, &child);
	if (ret)
		return ret;
	scn_task_add(r, a[1].word, child);
	scn_detail(r, "pid %d", pnm_task_pid(child));
	return 0;
}

static int exit_run(struct scn_run *r, const struct scn_step *st, const struct scn_value *a)
{
	struct task_struct *t = scn_task(r, &a[0]);

	if (!t)
		return SCN_FAILED;
	pnm_task_exit(t);
	return 0;
}

/* --- mmap and friends ----------------------------------------------------------------- */

enum {
	MF_PRIVATE, MF_SHARED, MF_ANON, MF_R, MF_RW, MF_RX, MF_RWX, MF_NONE,
	MF_HUGEPAGE, MF_NOHUGEPAGE, MF_POPULATE, MF_NORESERVE, MF_DONTFORK,
	MF_FIXED, MF_FIXED_NOREPLACE, MF_IO, MF_PFNMAP, MF_HUGETLB,
};
static const char *const mmap_words[] = {
	"private", "shared", "anon", "r", "rw", "rx", "rwx", "none",
	"hugepage", "nohugepage", "populate", "noreserve", "dontfork",
	"fixed", "fixed-noreplace", "io", "pfnmap", "hugetlb", NULL,
};
enum { MO_AT = 1, MO_ALIGN, MO_PROT, MO_FLAGS, MO_HUGE };	/* value slots after the bits */
static const struct scn_option mmap_opts[] = {
	{ "at", SCN_ARG_ADDR, NULL, NULL },
	{ "align", SCN_ARG_LEN, NULL, NULL },
	{ "prot", SCN_ARG_INT, NULL, NULL },
	{ "flags", SCN_ARG_INT, NULL, NULL },
	{ "huge", SCN_ARG_LEN, NULL, NULL },
	{ NULL, 0, NULL, NULL },
};


static int mmap_check(struct scn_parser *p, const struct scn_step *st, const struct scn_value *a)
{
	const struct scn_value *f = &a[3];
	uint64_t prots = f->num & (BIT(MF_R) | BIT(MF_RW) | BIT(MF_RX) | BIT(MF_RWX) | BIT(MF_NONE));
	const struct scn_value *align = &f[MO_ALIGN];

	if (prots & (prots - 1))
		return scn_parse_error(p, &f->pos, "give one protection (r, rw, rx, rwx or none)");
	if ((f->num & BIT(MF_HUGEPAGE)) && (f->num & BIT(MF_NOHUGEPAGE)))
		return scn_parse_error(p, &f->pos, "hugepage and nohugepage exclude each other");
	if ((f->num & BIT(MF_FIXED)) && (f->num & BIT(MF_FIXED_NOREPLACE)))
		return scn_parse_error(p, &f->pos, "fixed and fixed-noreplace exclude each other");
	if ((f->num & (BIT(MF_FIXED) | BIT(MF_FIXED_NOREPLACE))) && !f[MO_AT].present)
		return scn_parse_error(p, &f->pos, "fixed mappings need at=<address>");
	if (align->present) {
		if (align->num < PAGE_SIZE || (align->num & (align->num - 1)))
			return scn_parse_error(p, &align->pos,
					       "align= must be a power of two of at least 4K");
		if (f->num & (BIT(MF_FIXED) | BIT(MF_FIXED_NOREPLACE)))
			return scn_parse_error(p, &align->pos, "align= cannot be combined with fixed");
	}
	if (f[MO_PROT].present && f[MO_PROT].num > 0xffffffffULL)
		return scn_parse_error(p, &f[MO_PROT].pos, "prot= is a 32-bit value");
	if (f[MO_HUGE].present) {
		if (!(f->num & BIT(MF_HUGETLB)))
			return scn_parse_error(p, &f[MO_HUGE].pos, "huge= is the page size of a "
					       "hugetlb mapping: give hugetlb too");
		if (f[MO_HUGE].num != PNM_HUGETLB_2M && f[MO_HUGE].num != PNM_HUGETLB_1G)
			return scn_parse_error(p, &f[MO_HUGE].pos,
					       "hugetlb page sizes are 2M and 1G");
	}
	/* Device mappings (pnm_mmap_pfnmap) take a length and a protection. */
	if ((f->num & (BIT(MF_IO) | BIT(MF_PFNMAP))) &&
	    ((f->num & ~(BIT(MF_IO) | BIT(MF_PFNMAP) | BIT(MF_SHARED) | BIT(MF_DONTFORK) |
			 BIT(MF_R) | BIT(MF_RW) | BIT(MF_RX) | BIT(MF_RWX) | BIT(MF_NONE))) ||
	     f[MO_AT].present || align->present || f[MO_FLAGS].present))
		return scn_parse_error(p, &f->pos,
				       "io/pfnmap device mappings take only a protection, shared "
				       "and dontfork");
	return 0;
}

static int mmap_run(struct scn_run *r, const struct scn_step *st, const struct scn_value *a)
{
	struct task_struct *t = scn_task(r, &a[0]);
	const struct scn_value *f = &a[3];
	uint64_t bits = f->num;
	unsigned long len = (unsigned long)a[2].num, hint = 0, prot = PROT_READ | PROT_WRITE;
	unsigned long flags = MAP_ANONYMOUS, maplen = len, align = 0;
	long addr;
	int ret;

	if (!t)
		return SCN_FAILED;
	for (int i = MF_R; i <= MF_NONE; i++)
		if (bits & BIT(i))
			prot = prot_values[i - MF_R];
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
	if (bits & BIT(MF_HUGETLB))	/* MAP_HUGETLB: 2M unless huge=1G */
		flags |= PNM_MAP_HUGETLB | (f[MO_HUGE].present && f[MO_HUGE].num == PNM_HUGETLB_1G ?
					    PNM_MAP_HUGE_1GB : 0);
	if (f[MO_PROT].present)
		prot = (unsigned long)f[MO_PROT].num;
	if (f[MO_FLAGS].present)
		flags = (unsigned long)f[MO_FLAGS].num;
	if (f[MO_AT].present && scn_addr(r, &f[MO_AT], &hint))
		return SCN_FAILED;
	if (f[MO_ALIGN].present && len) {	/* len 0: let mmap say EINVAL */
		align = (unsigned long)f[MO_ALIGN].num;
		maplen = len + align;	/* both < 2^48: no overflow */
	}

	if (bits & (BIT(MF_IO) | BIT(MF_PFNMAP)))	/* a device mapping */
		addr = pnm_mmap_pfnmap(t, len, prot,
				       ((bits & BIT(MF_IO)) ? PNM_VM_IO : 0) |
				       ((bits & BIT(MF_PFNMAP)) ? PNM_VM_PFNMAP : 0));
	else
		addr = pnm_mmap(t, hint, maplen, prot, flags, NULL, 0);
	if (addr < 0 && addr >= -PNM_MAX_ERRNO)
		return (int)addr;
	if (align) {
		unsigned long start = ALIGN((unsigned long)addr, align);
		unsigned long end = (unsigned long)addr + maplen;

		if (start > (unsigned long)addr)
			ret = pnm_munmap(t, (unsigned long)addr, start - (unsigned long)addr);
		else
			ret = 0;
		if (!ret && end > start + len)
			ret = pnm_munmap(t, start + len, end - (start + len));
		if (ret) {
			pnm_munmap(t, (unsigned long)addr, maplen);
			return ret;
		}
		addr = (long)start;
	}
	if (bits & (BIT(MF_HUGEPAGE) | BIT(MF_NOHUGEPAGE) | BIT(MF_DONTFORK))) {
		ret = 0;
		if (bits & BIT(MF_HUGEPAGE))
			ret = pnm_madvise(t, (unsigned long)addr, len, MADV_HUGEPAGE);
		if (!ret && (bits & BIT(MF_NOHUGEPAGE)))
			ret = pnm_madvise(t, (unsigned long)addr, len, MADV_NOHUGEPAGE);
		if (!ret && (bits & BIT(MF_DONTFORK)))
			ret = pnm_madvise(t, (unsigned long)addr, len, MADV_DONTFORK);
		if (ret) {
			pnm_munmap(t, (unsigned long)addr, len);
			return ret;
		}
	}
	if (flags & PNM_MAP_HUGETLB) {		/* rounded up to huge pages */
		unsigned long hsize = (flags & PNM_MAP_HUGE_1GB) ? PNM_HUGETLB_1G : PNM_HUGETLB_2M;

		len = ALIGN(len, hsize);
	}
	scn_region_set(r, a[1].word, (unsigned long)addr, len);
	scn_detail(r, "0x%lx-0x%lx %s %s%s", (unsigned long)addr, (unsigned long)addr + len,
		   prot_name(prot), (bits & (BIT(MF_IO) | BIT(MF_PFNMAP))) ? "device (VM_IO/VM_PFNMAP)" :
		   (flags & MAP_SHARED) ? "shared" : "private",
		   (flags & PNM_MAP_HUGETLB) ? " hugetlb" : "");
	return 0;
}

static int munmap_run(struct scn_run *r, const struct scn_step *st, const struct scn_value *a)
{
	struct task_struct *t = scn_task(r, &a[0]);
	unsigned long addr;

	if (!t || scn_addr(r, &a[1], &addr))
		return SCN_FAILED;
	return pnm_munmap(t, addr, (unsigned long)a[2].num);
}

/*
 * mremap PROCESS ADDRESS OLDLEN NEWLEN [maymove] [dontunmap] [fixed=ADDR]
 * [hint=ADDR] [flags=N] [as REGION]: the flags are passed as given (so
 * that their errors can be tested); fixed= adds MREMAP_FIXED with the
 * target, hint= passes a target without it (MREMAP_DONTUNMAP's hint).
 * On success REGION (or, without `as`, a region the address names with
 * no offset) becomes the new range.
 */
enum { RF_MAYMOVE, RF_DONTUNMAP };
static const char *const mremap_words[] = { "maymove", "dontunmap", NULL };
enum { RO_FIXED = 1, RO_HINT, RO_FLAGS };	/* value slots after the bits */
static const struct scn_option mremap_opts[] = {
	{ "fixed", SCN_ARG_ADDR, NULL, NULL },
	{ "hint", SCN_ARG_ADDR, NULL, NULL },
	{ "flags", SCN_ARG_INT, NULL, NULL },
	{ NULL, 0, NULL, NULL },
};

static int mremap_check(struct scn_parser *p, const struct scn_step *st,
			const struct scn_value *a)
{
	const struct scn_value *f = &a[4];

	if (f[RO_FIXED].present && f[RO_HINT].present)
		return scn_parse_error(p, &f[RO_HINT].pos,
				       "fixed= and hint= both give the new address: use one");
	if (f[RO_FLAGS].present && (f->num || f[RO_FIXED].present))
		return scn_parse_error(p, &f[RO_FLAGS].pos,
				       "flags= gives the raw flags: no maymove, dontunmap or fixed= with it");
	return 0;
}

static int mremap_run(struct scn_run *r, const struct scn_step *st, const struct scn_value *a)
{
	struct task_struct *t = scn_task(r, &a[0]);
	/* Slots: process, address, lengths, the flag bits, one per option
	 * (the terminator's slot is `as`), then the region. */
	const struct scn_value *f = &a[4], *as = &a[4 + ARRAY_SIZE(mremap_opts)];
	unsigned long addr, new_addr = 0, flags = 0;
	unsigned long old_len = (unsigned long)a[2].num, new_len = (unsigned long)a[3].num;
	const char *region = NULL;
	long ret;

	if (!t || scn_addr(r, &a[1], &addr))
		return SCN_FAILED;
	if (f->num & BIT(RF_MAYMOVE))
		flags |= PNM_MREMAP_MAYMOVE;
	if (f->num & BIT(RF_DONTUNMAP))
		flags |= PNM_MREMAP_DONTUNMAP;
	if (f[RO_FIXED].present) {
		if (scn_addr(r, &f[RO_FIXED], &new_addr))
			return SCN_FAILED;
		flags |= PNM_MREMAP_FIXED;
	}
	if (f[RO_HINT].present && scn_addr(r, &f[RO_HINT], &new_addr))
		return SCN_FAILED;
	if (f[RO_FLAGS].present)
		flags = (unsigned long)f[RO_FLAGS].num;
	ret = pnm_mremap(t, addr, old_len, new_len, flags, new_addr);
	if (ret < 0 && ret >= -PNM_MAX_ERRNO)
		return (int)ret;
	if (as->present)
		region = as[1].word;
	else if (a[1].word && !a[1].num)
		region = a[1].word;
	if (region)
		scn_region_set(r, region, (unsigned long)ret, ALIGN(new_len, PAGE_SIZE));
	scn_detail(r, "0x%lx-0x%lx %s%s%s", (unsigned long)ret,
		   (unsigned long)ret + ALIGN(new_len, PAGE_SIZE),
		   (unsigned long)ret == addr ? "in place" : "moved",
		   region ? ", region " : "", region ? region : "");
	return 0;
}

static int mprotect_run(struct scn_run *r, const struct scn_step *st, const struct scn_value *a)
{
	struct task_struct *t = scn_task(r, &a[0]);
	unsigned long addr;

	if (!t || scn_addr(r, &a[1], &addr))
		return SCN_FAILED;
	return pnm_mprotect(t, addr, (unsigned long)a[2].num, prot_values[a[3].index]);
}

static const char *const advice_words[] = {
	"dontneed", "dontfork", "dofork", "hugepage", "nohugepage", "normal",
	"populate_read", "populate_write", "cold", "pageout", "free", "collapse", NULL,
};
static const int advice_values[] = {
	MADV_DONTNEED, MADV_DONTFORK, MADV_DOFORK, MADV_HUGEPAGE, MADV_NOHUGEPAGE, MADV_NORMAL,
	MADV_POPULATE_READ, MADV_POPULATE_WRITE, MADV_COLD, MADV_PAGEOUT, MADV_FREE,
	PNM_MADV_COLLAPSE,
};

static int madvise_run(struct scn_run *r, const struct scn_step *st, const struct scn_value *a)
{
	struct task_struct *t = scn_task(r, &a[0]);
	int advice = advice_values[a[3].index];
	int out_item = scn_stat("pswpout"), skip_item = scn_stat("pnm_swap_skip_pinned");
	int lazy_item = scn_stat("pglazyfree");
	long out = pnm_stat_read(out_item), skip = pnm_stat_read(skip_item);
	long lazy = pnm_stat_read(lazy_item);
	unsigned long addr;
	int ret;

	if (!t || scn_addr(r, &a[1], &addr))
		return SCN_FAILED;
	ret = pnm_madvise(t, addr, (unsigned long)a[2].num, advice);
	/* What reclaim made of it, from the counters. */
	if (advice == MADV_PAGEOUT)
		scn_detail(r, "%ld page%s written to swap%s", pnm_stat_read(out_item) - out,
			   pnm_stat_read(out_item) - out == 1 ? "" : "s",
			   pnm_stat_read(skip_item) != skip ? "; kept maybe-pinned pages" : "");
	else if (advice == MADV_FREE)
		scn_detail(r, "%ld page%s lazily freed", pnm_stat_read(lazy_item) - lazy,
			   pnm_stat_read(lazy_item) - lazy == 1 ? "" : "s");
	return ret;
}

static int mlock_run(struct scn_run *r, const struct scn_step *st, const struct scn_value *a)
{
	struct task_struct *t = scn_task(r, &a[0]);
	unsigned long addr;

	if (!t || scn_addr(r, &a[1], &addr))
		return SCN_FAILED;
	return pnm_mlock(t, addr, (size_t)a[2].num);
}

static int munlock_run(struct scn_run *r, const struct scn_step *st, const struct scn_value *a)
{
	struct task_struct *t = scn_task(r, &a[0]);
	unsigned long addr;

	if (!t || scn_addr(r, &a[1], &addr))
		return SCN_FAILED;
	return pnm_munlock(t, addr, (size_t)a[2].num);
}

/* --- CPU accesses ------------------------------------------------------------------------ */

static int write_run(struct scn_run *r, const struct scn_step *st, const struct scn_value *a)
{
	struct task_struct *t = scn_task(r, &a[0]);
	size_t len = scn_data_len(&a[2]);
	unsigned char *buf;
	unsigned long addr;
	int ret = 0;

	if (!t || scn_addr(r, &a[1], &addr))
		return SCN_FAILED;
	buf = malloc(CHUNK);
	if (!buf)
		return -ENOMEM;
	for (size_t off = 0; off < len && !ret; off += CHUNK) {
		size_t n = min_t(size_t, CHUNK, len - off);

		scn_data_get(&a[2], off, buf, n);
		ret = pnm_user_write(t, addr + off, buf, n);
		if (ret)
			scn_detail(r, "at 0x%lx", addr + off);
	}
	free(buf);
	return ret;
}

static int read_run(struct scn_run *r, const struct scn_step *st, const struct scn_value *a)
{
	struct task_struct *t = scn_task(r, &a[0]);
	size_t len = (size_t)a[2].num;
	unsigned char *buf;
	unsigned long addr;
	char q[300];
	int ret = 0;

	if (!t || scn_addr(r, &a[1], &addr))
		return SCN_FAILED;
	buf = malloc(CHUNK);
	if (!buf)
		return -ENOMEM;
	for (size_t off = 0; off < len && !ret; off += CHUNK) {
		size_t n = min_t(size_t, CHUNK, len - off);

		ret = pnm_user_read(t, addr + off, buf, n);
		if (!ret && off == 0) {
			scn_quote(q, sizeof(q), buf, n, 64);
			scn_detail(r, "%s", q);
		}
	}
	free(buf);
	return ret;
}

/* --- migration and compaction ------------------------------------------------------------- */

/* SCN_FAILED with the detail set if the zone of @v has no memory. */
static int zone_arg(struct scn_run *r, const struct scn_value *v)
{
	struct pnm_zone_info zi = { .size = sizeof(zi) };

	if (pnm_get_zone_info((enum pnm_zone_type)v->index, &zi) || !zi.frames)
		return scn_fail(r, "zone %s has no memory in this model", v->word);
	return 0;
}

static int migrate_run(struct scn_run *r, const struct scn_step *st, const struct scn_value *a)
{
	struct task_struct *t = scn_task(r, &a[0]);
	unsigned long addr, len = a[2].present ? (unsigned long)a[2].num : PAGE_SIZE;
	long moved;

	if (!t || scn_addr(r, &a[1], &addr) || zone_arg(r, &a[4]))
		return SCN_FAILED;
	moved = pnm_migrate_range(t, addr, len, (enum pnm_zone_type)a[4].index);
	if (moved < 0)
		return (int)moved;
	scn_detail(r, "%ld page%s moved to %s", moved, moved == 1 ? "" : "s", a[4].word);
	return 0;
}

static const struct scn_option compact_opts[] = {
	{ "order", SCN_ARG_INT, NULL, NULL },
	{ NULL, 0, NULL, NULL },
};

static int compact_check(struct scn_parser *p, const struct scn_step *st,
			 const struct scn_value *a)
{
	if (a[2].present && a[2].num > HPAGE_PMD_ORDER)
		return scn_parse_error(p, &a[2].pos, "order= must be 0..%d", HPAGE_PMD_ORDER);
	return 0;
}

static int compact_run(struct scn_run *r, const struct scn_step *st, const struct scn_value *a)
{
	struct pnm_compact_result res = { 0 };
	unsigned int order = a[2].present ? (unsigned int)a[2].num : HPAGE_PMD_ORDER;
	int ret;

	if (zone_arg(r, &a[0]))
		return SCN_FAILED;
	ret = pnm_compact_zone((enum pnm_zone_type)a[0].index, order, &res);
	scn_detail(r, "migrated %lu, failed %lu, scanned %lu+%lu, largest free order %u",
		   res.migrated, res.failed, res.migrate_scanned, res.free_scanned,
		   res.largest_free_order);
	if (ret == -EAGAIN && !a[2].present)
		return 0;
	return ret;
}

/* --- hold / release ------------------------------------------------------------------------ */

struct hold {
	struct folio *folio;
	unsigned long pfn;
	int count;			/* references held */
};

static void hold_release(struct scn_run *r, void *obj)
{
	struct hold *h = obj;

	folio_put_refs(h->folio, h->count);
	free(h);
}

#define HOLD_MAX_COUNT	(1 << 30)	/* count= limit; refcounts stay < 2^31 */
static const char *const hold_words[] = { "write", NULL };
static const struct scn_option hold_opts[] = {
	{ "count", SCN_ARG_INT, NULL, NULL },
	{ NULL, 0, NULL, NULL },
};

static int hold_check(struct scn_parser *p, const struct scn_step *st, const struct scn_value *a)
{
	if (a[3].present && (a[3].num < 1 || a[3].num > HOLD_MAX_COUNT))
		return scn_parse_error(p, &a[3].pos, "count= must be 1..%d", HOLD_MAX_COUNT);
	return 0;
}

static void hold_key(char *buf, size_t size, const char *task, unsigned long addr)
{
	snprintf(buf, size, "%s@%lx", task, addr & PAGE_MASK);
}

static int hold_run(struct scn_run *r, const struct scn_step *st, const struct scn_value *a)
{
	struct task_struct *t = scn_task(r, &a[0]);
	bool write = a[2].num & 1;
	int count = a[3].present ? (int)a[3].num : 1;
	struct scn_page_info pi;
	unsigned long addr;
	struct hold *h;
	char key[80];
	int ret;

	if (!t || scn_addr(r, &a[1], &addr))
		return SCN_FAILED;
	hold_key(key, sizeof(key), a[0].word, addr);
	if (scn_obj_find(r, "hold", key))
		return scn_fail(r, "%s already holds the page at 0x%lx", a[0].word, addr & PAGE_MASK);
	scn_page_info(t, addr, &pi);
	if (!pi.present || (write && !pi.writable)) {
		unsigned char b;

		/* Fault it in as get_user_pages would: a write re-stores the byte. */
		ret = pnm_user_read(t, addr, &b, 1);
		if (!ret && write)
			ret = pnm_user_write(t, addr, &b, 1);
		if (ret)
			return ret;
		scn_page_info(t, addr, &pi);
	}
	if (!pi.present)
		return scn_fail(r, "nothing mapped at 0x%lx after faulting", addr);
	if (pi.frame.flags & PNM_PAGE_ZERO)
		return scn_fail(r, "the zero page is mapped at 0x%lx (use: hold ... write)", addr);
	if (pi.frame.refcount > INT_MAX - count)
		return scn_fail(r, "refcount %d + count=%d would overflow", pi.frame.refcount,
				count);
	h = malloc(sizeof(*h));
	if (!h)
		return -ENOMEM;
	/* Mapped, so referenced: nothing else runs while a step does. */
	if (pi.frame.refcount <= 0) {
		free(h);
		return -EAGAIN;
	}
	h->folio = page_folio(pi.frame.page);
	folio_ref_add(h->folio, count);
	h->pfn = pi.pfn;
	h->count = count;
	if (scn_obj_add(r, "hold", key, h, hold_release)) {
		hold_release(r, h);
		return -ENOMEM;
	}
	scn_detail(r, "pfn 0x%lx refcount %d", pi.pfn, pi.frame.refcount + count);
	return 0;
}

static int release_run(struct scn_run *r, const struct scn_step *st, const struct scn_value *a)
{
	unsigned long addr;
	char key[80];

	if (scn_addr(r, &a[1], &addr))
		return SCN_FAILED;
	hold_key(key, sizeof(key), a[0].word, addr);
	if (!scn_obj_remove(r, "hold", key))
		return scn_fail(r, "%s holds no page at 0x%lx", a[0].word, addr & PAGE_MASK);
	return 0;
}

/* --- looking ---------------------------------------------------------------------------------- */

static int stats_run(struct scn_run *r, const struct scn_step *st, const struct scn_value *a)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	if (!f)
		return -ENOMEM;
	pnm_stat_print(f);
	fclose(f);
	scn_output(r, "%s", text ? text : "");
	free(text);
	return 0;
}

static int maps_run(struct scn_run *r, const struct scn_step *st, const struct scn_value *a)
{
	struct task_struct *t = scn_task(r, &a[0]);
	struct pnm_mm_info mi = { .size = sizeof(mi) };
	struct pnm_vma_info v = { .size = sizeof(v) };
	unsigned long addr = 0;
	int err;

	if (!t)
		return SCN_FAILED;
	while (!(err = pnm_task_vma_next(t, addr, &v))) {
		unsigned long f = v.vm_flags;

		scn_output(r, "%012lx-%012lx %c%c%c%c %s%s%s\n", v.start, v.end,
			   f & PNM_VM_READ ? 'r' : '-', f & PNM_VM_WRITE ? 'w' : '-',
			   f & PNM_VM_EXEC ? 'x' : '-', f & PNM_VM_SHARED ? 's' : 'p',
			   v.kind == PNM_VMA_DEVICE ? "device" :
			   v.kind == PNM_VMA_ANON ? "anon" : "shmem",
			   f & PNM_VM_HUGEPAGE ? " hugepage" : f & PNM_VM_NOHUGEPAGE ? " nohugepage" : "",
			   f & PNM_VM_DONTCOPY ? " dontfork" : "");
		addr = v.end;
	}
	if (err != -ENOENT)
		return err;
	err = pnm_task_mm_info(t, &mi);
	if (err)
		return err;
	scn_detail(r, "%d vma%s, rss anon %ld file %ld shmem %ld, swap %ld", mi.vmas,
		   mi.vmas == 1 ? "" : "s", mi.rss_anon, mi.rss_file, mi.rss_shmem,
		   mi.swapents);
	return 0;
}

static int pages_run(struct scn_run *r, const struct scn_step *st, const struct scn_value *a)
{
	struct task_struct *t = scn_task(r, &a[0]);
	unsigned long addr, len = (unsigned long)a[2].num, shown = 0;

	if (!t || scn_addr(r, &a[1], &addr))
		return SCN_FAILED;
	for (unsigned long off = 0; off < len; off += PAGE_SIZE) {
		struct scn_page_info pi;
		const struct pnm_page_info *fr = &pi.frame;

		if (shown++ == 64) {
			scn_output(r, "... (first 64 pages shown)\n");
			break;
		}
		scn_page_info(t, addr + off, &pi);
		if (!pi.present) {
			struct pnm_swap_entry_info se = { .size = sizeof(se) };

			if (!pnm_task_swap_entry(t, addr + off, &se))
				scn_output(r, "%012lx  swapped: slot %lu count %d%s%s\n",
					   (addr + off) & PAGE_MASK, se.slot, se.count,
					   se.exclusive ? " exclusive" : "",
					   se.cached ? " cached" : "");
			else
				scn_output(r, "%012lx  -\n", (addr + off) & PAGE_MASK);
			continue;
		}
		if (fr->flags & PNM_PAGE_ZERO) {
			scn_output(r, "%012lx  pfn 0x%lx zero page\n", (addr + off) & PAGE_MASK, pi.pfn);
			continue;
		}
		if (fr->flags & PNM_PAGE_HUGE_ZERO) {
			scn_output(r, "%012lx  pfn 0x%lx huge zero page ref %d pin %d\n",
				   (addr + off) & PAGE_MASK, pi.pfn, fr->refcount,
				   fr->folio_pincount);
			continue;
		}
		scn_output(r, "%012lx  pfn 0x%lx %s order %u map %d ref %d%s%s%s\n",
			   (addr + off) & PAGE_MASK, pi.pfn, pnm_zone_name(fr->zone),
			   fr->order, fr->mapcount, fr->refcount,
			   pi.writable ? " writable" : "",
			   (fr->flags & PNM_PAGE_ANON_EXCLUSIVE) ? " anon-exclusive" : "",
			   (fr->flags & PNM_PAGE_SWAPCACHE) ? " swapcache" : "");
	}
	return 0;
}

/* --- the table -------------------------------------------------------------------------------- */

#define TASK(n)		{ .type = SCN_ARG_REF, .name = n, .ns = SCN_NS_PROCESS }
#define ADDR(n)		{ .type = SCN_ARG_ADDR, .name = n }
#define LEN(n)		{ .type = SCN_ARG_LEN, .name = n }
#define END		{ .type = SCN_ARG_END }

static const struct scn_arg memory_args[] = {
	{ .type = SCN_ARG_FLAGS, .name = "option", .options = memory_opts }, END };
static const struct scn_arg process_args[] = {
	{ .type = SCN_ARG_DEF, .name = "name", .ns = SCN_NS_PROCESS }, END };
static const struct scn_arg fork_args[] = {
	TASK("parent"), { .type = SCN_ARG_DEF, .name = "child", .ns = SCN_NS_PROCESS }, END };
static const struct scn_arg task_args[] = { TASK("process"), END };
static const struct scn_arg mmap_args[] = {
	TASK("process"),
	{ .type = SCN_ARG_DEF, .name = "region", .ns = SCN_NS_REGION, .flags = SCN_REDEFINE },
	LEN("length"),
	{ .type = SCN_ARG_FLAGS, .name = "flag", .choices = mmap_words, .options = mmap_opts },
	END };
static const struct scn_arg range_args[] = { TASK("process"), ADDR("address"), LEN("length"), END };
static const struct scn_arg mremap_args[] = {
	TASK("process"), ADDR("address"), LEN("old length"), LEN("new length"),
	{ .type = SCN_ARG_FLAGS, .name = "flag", .choices = mremap_words, .options = mremap_opts },
	{ .type = SCN_ARG_LITERAL, .name = "as", .flags = SCN_OPTIONAL },
	{ .type = SCN_ARG_DEF, .name = "region", .ns = SCN_NS_REGION,
	  .flags = SCN_OPTIONAL | SCN_REDEFINE },
	END };
static const struct scn_arg mprotect_args[] = {
	TASK("process"), ADDR("address"), LEN("length"),
	{ .type = SCN_ARG_KEYWORD, .name = "protection", .choices = prot_words }, END };
static const struct scn_arg madvise_args[] = {
	TASK("process"), ADDR("address"), LEN("length"),
	{ .type = SCN_ARG_KEYWORD, .name = "advice", .choices = advice_words }, END };
static const struct scn_arg write_args[] = {
	TASK("process"), ADDR("address"), { .type = SCN_ARG_DATA, .name = "data" }, END };
static const struct scn_arg read_args[] = {
	TASK("process"), ADDR("address"), { .type = SCN_ARG_SIZE, .name = "size" }, END };
static const struct scn_arg migrate_args[] = {
	TASK("process"), ADDR("address"),
	{ .type = SCN_ARG_LEN, .name = "length", .flags = SCN_OPTIONAL },
	{ .type = SCN_ARG_LITERAL, .name = "zone" },
	{ .type = SCN_ARG_ZONE, .name = "zone" }, END };
static const struct scn_arg compact_args[] = {
	{ .type = SCN_ARG_ZONE, .name = "zone" },
	{ .type = SCN_ARG_FLAGS, .name = "option", .options = compact_opts }, END };
static const struct scn_arg hold_args[] = {
	TASK("process"), ADDR("address"),
	{ .type = SCN_ARG_FLAGS, .name = "flag", .choices = hold_words, .options = hold_opts },
	END };
static const struct scn_arg release_args[] = { TASK("process"), ADDR("address"), END };
static const struct scn_arg no_args[] = { END };
static const struct scn_arg pages_args[] = {
	TASK("process"), ADDR("address"), { .type = SCN_ARG_LEN, .name = "length" }, END };

/* --- require ------------------------------------------------------------------------ */

/*
 * require zero-page|huge-zero-page: a premise of the scenario about the
 * machine it runs on.  The model has both (the huge zero page unless
 * transparent_hugepage.use_zero_page is 0: then the step fails saying so);
 * the host executor checks its kernel and, lacking the feature, skips the
 * rest of the scenario, since what follows assumes it.
 */
static const char *const require_words[] = { "zero-page", "huge-zero-page", NULL };
static const struct scn_arg require_args[] = {
	{ .type = SCN_ARG_KEYWORD, .name = "feature", .choices = require_words },
	{ .type = SCN_ARG_END } };

static int require_run(struct scn_run *r, const struct scn_step *st, const struct scn_value *a)
{
	char v[16] = "";
	int err;

	(void)st;
	if (a[0].index == 0) {
		scn_detail(r, "the model maps the shared zero page on read faults");
		return 0;
	}
	err = pnm_sysctl_read("transparent_hugepage.use_zero_page", v, sizeof(v));
	if (err < 0)
		return err;
	if (v[0] != '1')
		return scn_fail(r, "the model's huge zero page is off "
				"(transparent_hugepage.use_zero_page is %c)", v[0]);
	scn_detail(r, "the model maps the huge zero page on read faults of THP-eligible memory");
	return 0;
}

static const struct scn_cmd mem_cmds[] = {
	{ .name = "memory", .section = "setup", .args = memory_args, .flags = SCN_CONFIG,
	  .check = memory_check,
	  .help = "size the zones (rounded up to 2M; default normal=64M movable=32M cma=16M), "
		  "the THP mode (default madvise) and the huge zero page (use_zero_page=on), "
		  "and the pin settings (accounting=linux, legacy=off, registry=on, "
		  "debug=on); must come first",
	  .example = "memory normal=64M movable=32M cma=16M thp=madvise" },
	{ .name = "require", .section = "setup", .args = require_args, .run = require_run,
	  .help = "a premise about the machine (zero-page: read faults map the shared zero "
		  "page; huge-zero-page: the huge one); a host without it skips the rest",
	  .example = "require zero-page" },
	{ .name = "process", .section = "setup", .args = process_args, .run = process_run,
	  .help = "create a process with an empty address space", .example = "process A" },
	{ .name = "fork", .section = "setup", .args = fork_args, .run = fork_run,
	  .help = "fork(2): the child gets a copy-on-write copy of the parent's memory",
	  .example = "fork A B" },
	{ .name = "exit", .section = "setup", .args = task_args, .run = exit_run,
	  .help = "exit(2): release the process's address space", .example = "exit B" },

	{ .name = "mmap", .section = "memory", .args = mmap_args, .run = mmap_run,
	  .check = mmap_check,
	  .help = "mmap(2) anonymous memory and name the region (default: private anon rw); "
		  "hugepage/nohugepage/dontfork also madvise it; io/pfnmap: a device "
		  "mapping (VM_IO/VM_PFNMAP, no pages) that GUP refuses; hugetlb: "
		  "MAP_HUGETLB, of huge=2M (default) or 1G pages from the hugetlb pool",
	  .example = "mmap A buf 4M anon private rw hugepage align=2M" },
	{ .name = "munmap", .section = "memory", .args = range_args, .run = munmap_run,
	  .help = "munmap(2) a range", .example = "munmap A buf+4K 4K" },
	{ .name = "mremap", .section = "memory", .args = mremap_args, .run = mremap_run,
	  .check = mremap_check,
	  .help = "mremap(2): shrink, grow or move a mapping (flags maymove, dontunmap; "
		  "fixed=ADDRESS moves it exactly there, hint=ADDRESS suggests; flags=N raw); "
		  "the page-table entries move, the pages and their pins stay; the region "
		  "named (as REGION, else the one the address names) becomes the new range",
	  .example = "mremap A buf 4M 4M maymove fixed=dst as moved" },
	{ .name = "mprotect", .section = "memory", .args = mprotect_args, .run = mprotect_run,
	  .help = "mprotect(2) a range", .example = "mprotect A buf 8K r" },
	{ .name = "madvise", .section = "memory", .args = madvise_args, .run = madvise_run,
	  .help = "madvise(2) a range", .example = "madvise A buf 4K dontneed" },
	{ .name = "mlock", .section = "memory", .args = range_args, .run = mlock_run,
	  .help = "mlock(2) a range: VM_LOCKED, every page faulted in, no reference kept",
	  .example = "mlock A buf 8K" },
	{ .name = "munlock", .section = "memory", .args = range_args, .run = munlock_run,
	  .help = "munlock(2) a range", .example = "munlock A buf 8K" },
	{ .name = "write", .section = "memory", .args = write_args, .run = write_run,
	  .help = "store bytes as the process's CPU would (faults as needed)",
	  .example = "write A buf+4K \"hello\"" },
	{ .name = "read", .section = "memory", .args = read_args, .run = read_run,
	  .help = "load bytes as the process's CPU would and show them",
	  .example = "read A buf 16" },
	{ .name = "migrate", .section = "memory", .args = migrate_args, .run = migrate_run,
	  .help = "move the pages mapped in a range to another zone (default length 4K)",
	  .example = "migrate A buf 8K zone Normal" },
	{ .name = "compact", .section = "memory", .args = compact_args, .run = compact_run,
	  .check = compact_check,
	  .help = "compact a zone; with order=N the step fails (EAGAIN) unless a free "
		  "block of that order results",
	  .example = "compact Movable order=9" },
	{ .name = "hold", .section = "memory", .args = hold_args, .run = hold_run,
	  .check = hold_check,
	  .help = "take an extra reference (count=N: N of them) on the folio mapped at an "
		  "address; 'write' faults it in for writing first",
	  .example = "hold A buf count=1023" },
	{ .name = "release", .section = "memory", .args = release_args, .run = release_run,
	  .help = "drop a reference taken by hold", .example = "release A buf" },

	{ .name = "stats", .section = "inspect", .args = no_args, .run = stats_run,
	  .flags = SCN_OBSERVE, .help = "print every counter (/proc/vmstat naming)",
	  .example = "stats" },
	{ .name = "maps", .section = "inspect", .args = task_args, .run = maps_run,
	  .flags = SCN_OBSERVE, .help = "print a process's VMAs and RSS", .example = "maps A" },
	{ .name = "pages", .section = "inspect", .args = pages_args, .run = pages_run,
	  .flags = SCN_OBSERVE, .help = "print what each page of a range maps (no faulting)",
	  .example = "pages A buf 16K" },
};
SCN_REGISTER(mem_cmds)
