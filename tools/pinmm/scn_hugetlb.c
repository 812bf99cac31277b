/* SPDX-License-Identifier: MIT */
/*
 * scn_hugetlb.c - the scenario commands of hugetlb (<pinmm/hugetlb.h>):
 * the pools of 2 MiB and 1 GiB pages and their counters.
 *
 *   hugepages SIZE N [overcommit=N]     nr_hugepages (pnm_hugetlb_set_pages)
 *                                       and nr_overcommit_hugepages; the
 *                                       detail shows what the pool became
 *   meminfo                             the HugePages_* lines of
 *                                       /proc/meminfo, per page size
 *   expect hugepages KEY CMP [size=S]   total, free, resv, surplus,
 *                                       nr_hugepages, overcommit,
 *                                       free-movable (default size 2M)
 *   expect page ... hugetlb             page properties: the folio is a
 *   expect page ... folio-pincount CMP  hugetlb page; its _pincount
 *
 * The mappings come from the memory and file commands: `mmap ... hugetlb
 * [huge=1G]` (MAP_HUGETLB, scn_mem.c), `file F hugetlbfs|hugetlbfs1G`
 * and `mmap-file` (scn_file.c).  Calls go through the public API only.
 */
#include <stdlib.h>
#include <string.h>
#include "scn.h"

/* SIZE values the parser accepts: the model's two hugetlb sizes. */
static int size_check(struct scn_parser *p, const struct scn_value *v)
{
	if (v->num != PNM_HUGETLB_2M && v->num != PNM_HUGETLB_1G)
		return scn_parse_error(p, &v->pos, "hugetlb page sizes are 2M and 1G");
	return 0;
}

static const char *size_name(unsigned long size)
{
	return size == PNM_HUGETLB_1G ? "1G" : "2M";
}

/* "2M: nr_hugepages 4, total 4, free 3 (2 movable), resv 1, surplus 0". */
static int describe(char *buf, size_t n, unsigned long size)
{
	struct pnm_hugetlb_info hi = { .size = sizeof(hi) };
	int err = pnm_hugetlb_get_info(size, &hi);

	if (err)
		return err;
	snprintf(buf, n, "%s: nr_hugepages %lu, total %lu, free %lu (%lu movable), resv %lu, "
		 "surplus %lu, overcommit %lu", size_name(size), hi.nr_hugepages, hi.total,
		 hi.free, hi.free_movable, hi.resv, hi.surplus, hi.nr_overcommit_hugepages);
	return 0;
}

/* --- hugepages -------------------------------------------------------------------------- */

enum { HPO_OVERCOMMIT = 1 };		/* value slot after the bits */
static const struct scn_option hugepages_opts[] = {
	{ "overcommit", SCN_ARG_INT, NULL, NULL },
	{ NULL, 0, NULL, NULL },
};

static int hugepages_check(struct scn_parser *p, const struct scn_step *st,
			   const struct scn_value *a)
{
	(void)st;
	return size_check(p, &a[0]);
}

static int hugepages_run(struct scn_run *r, const struct scn_step *st,
			 const struct scn_value *a)
{
	unsigned long size = (unsigned long)a[0].num;
	const struct scn_value *f = &a[2];
	char buf[200];
	long got;
	int err;

	(void)st;
	if (f[HPO_OVERCOMMIT].present) {
		err = pnm_hugetlb_set_overcommit(size, (unsigned long)f[HPO_OVERCOMMIT].num);
		if (err)
			return err;
	}
	got = pnm_hugetlb_set_pages(size, (unsigned long)a[1].num);
	if (got < 0)
		return (int)got;
	err = describe(buf, sizeof(buf), size);
	if (err)
		return err;
	if ((unsigned long)got != a[1].num)
		scn_detail(r, "%s (asked for %lu: memory allowed %ld)", buf,
			   (unsigned long)a[1].num, got);
	else
		scn_detail(r, "%s", buf);
	return 0;
}

/* --- meminfo ---------------------------------------------------------------------------- */

static int meminfo_run(struct scn_run *r, const struct scn_step *st, const struct scn_value *a)
{
	static const unsigned long sizes[] = { PNM_HUGETLB_2M, PNM_HUGETLB_1G };

	(void)st;
	(void)a;
	for (size_t i = 0; i < ARRAY_SIZE(sizes); i++) {
		struct pnm_hugetlb_info hi = { .size = sizeof(hi) };

		if (pnm_hugetlb_get_info(sizes[i], &hi))
			continue;	/* the 1G size switched off */
		scn_output(r, "Hugepagesize:    %8lu kB\n", hi.page_size >> 10);
		scn_output(r, "HugePages_Total: %8lu\n", hi.total);
		scn_output(r, "HugePages_Free:  %8lu\n", hi.free);
		scn_output(r, "HugePages_Rsvd:  %8lu\n", hi.resv);
		scn_output(r, "HugePages_Surp:  %8lu\n", hi.surplus);
		scn_output(r, "Hugetlb:         %8lu kB\n", (hi.total * hi.page_size) >> 10);
	}
	return 0;
}

/* --- expect hugepages ------------------------------------------------------------------- */

enum { K_TOTAL, K_FREE, K_RESV, K_SURPLUS, K_NR, K_OVERCOMMIT, K_FREE_MOVABLE };
static const char *const keys[] = {
	"total", "free", "resv", "surplus", "nr_hugepages", "overcommit", "free-movable", NULL };

enum { EHO_SIZE = 1 };
static const struct scn_option expect_opts[] = {
	{ "size", SCN_ARG_LEN, NULL, NULL },
	{ NULL, 0, NULL, NULL },
};

static int expect_hugepages_check(struct scn_parser *p, const struct scn_step *st,
				  const struct scn_value *a)
{
	(void)st;
	if (a[2 + EHO_SIZE].present)
		return size_check(p, &a[2 + EHO_SIZE]);
	return 0;
}

static int expect_hugepages_run(struct scn_run *r, const struct scn_step *st,
				const struct scn_value *a)
{
	const struct scn_value *f = &a[2];
	unsigned long size = f[EHO_SIZE].present ? (unsigned long)f[EHO_SIZE].num : PNM_HUGETLB_2M;
	struct pnm_hugetlb_info hi = { .size = sizeof(hi) };
	unsigned long have;
	char want[48];
	int err;

	(void)st;
	err = pnm_hugetlb_get_info(size, &hi);
	if (err)
		return scn_fail(r, "no %s hugetlb pool (%s)", size_name(size),
				pnm_errno_name(-err) ? pnm_errno_name(-err) : "error");
	switch (a[0].index) {
	case K_TOTAL: have = hi.total; break;
	case K_FREE: have = hi.free; break;
	case K_RESV: have = hi.resv; break;
	case K_SURPLUS: have = hi.surplus; break;
	case K_NR: have = hi.nr_hugepages; break;
	case K_OVERCOMMIT: have = hi.nr_overcommit_hugepages; break;
	default: have = hi.free_movable; break;
	}
	scn_format_cmp(want, sizeof(want), &a[1]);
	if (!scn_compare(&a[1], (long)have))
		return scn_fail(r, "%s %s is %lu, expected %s", size_name(size), keys[a[0].index],
				have, want);
	scn_detail(r, "%s %s %lu", size_name(size), keys[a[0].index], have);
	return 0;
}

/* --- the page property ------------------------------------------------------------------- */

static int prop_hugetlb(struct scn_run *r, void *subject, const struct scn_value *a)
{
	struct scn_page_info *pi = subject;
	bool huge;

	(void)a;
	if (!pi->present)
		return -ENOENT;
	huge = pi->frame.flags & PNM_PAGE_HUGETLB;
	return scn_prop_result(r, huge, "pfn 0x%lx is %sa hugetlb page (order %u)", pi->pfn,
			       huge ? "" : "not ", pi->frame.order);
}

/* The folio's _pincount (large folios: hugetlb pages, THPs): pins taken
 * through any of its pages. */
static int prop_folio_pincount(struct scn_run *r, void *subject, const struct scn_value *a)
{
	struct scn_page_info *pi = subject;
	char want[48];
	int n;

	if (!pi->present)
		return -ENOENT;
	n = pi->frame.folio_pincount;
	scn_format_cmp(want, sizeof(want), &a[0]);
	return scn_prop_result(r, scn_compare(&a[0], n),
			       "the folio of pfn 0x%lx (order %u) has %d pin%s (expected %s)",
			       pi->pfn, pi->frame.order, n, n == 1 ? "" : "s", want);
}

/* --- the table ----------------------------------------------------------------------------- */

#define END	{ .type = SCN_ARG_END }

static const struct scn_arg hugepages_args[] = {
	{ .type = SCN_ARG_LEN, .name = "size" },
	{ .type = SCN_ARG_INT, .name = "pages" },
	{ .type = SCN_ARG_FLAGS, .name = "option", .options = hugepages_opts }, END };
static const struct scn_arg no_args[] = { END };
static const struct scn_arg expect_hugepages_args[] = {
	{ .type = SCN_ARG_KEYWORD, .name = "key", .choices = keys },
	{ .type = SCN_ARG_CMP, .name = "count" },
	{ .type = SCN_ARG_FLAGS, .name = "option", .options = expect_opts }, END };

static const struct scn_cmd hugetlb_cmds[] = {
	{ .name = "hugepages", .section = "memory", .args = hugepages_args,
	  .run = hugepages_run, .check = hugepages_check,
	  .help = "set the persistent hugetlb pool of page size 2M or 1G (nr_hugepages: grows "
		  "as far as memory allows, shrinks down to what is in use or reserved) and, "
		  "with overcommit=N, the surplus pages it may add on demand",
	  .example = "hugepages 2M 4 overcommit=1" },
	{ .name = "meminfo", .section = "inspect", .args = no_args, .run = meminfo_run,
	  .flags = SCN_OBSERVE,
	  .help = "print the HugePages_* lines of /proc/meminfo for each hugetlb page size",
	  .example = "meminfo" },
	{ .name = "expect hugepages", .section = "expect", .args = expect_hugepages_args,
	  .run = expect_hugepages_run, .check = expect_hugepages_check,
	  .flags = SCN_EXPECT | SCN_OBSERVE,
	  .help = "a hugetlb pool counter: total, free, resv, surplus (HugePages_*), "
		  "nr_hugepages, overcommit, free-movable (free pages a long-term pin cannot "
		  "stay on); size=1G for the 1G pool (default 2M)",
	  .example = "expect hugepages free == 3" },
};
SCN_REGISTER(hugetlb_cmds)

static const struct scn_arg none_args[] = { END };
static const struct scn_arg cmp_args[] = { { .type = SCN_ARG_CMP, .name = "count" }, END };
static const struct scn_cmd hugetlb_props[] = {
	{ .name = "hugetlb", .family = "page-property", .args = none_args, .test = prop_hugetlb,
	  .help = "the page belongs to a hugetlb folio (2M or 1G)" },
	{ .name = "folio-pincount", .family = "page-property", .args = cmp_args,
	  .test = prop_folio_pincount,
	  .help = "the pins of the page's large folio, whichever pages they were taken through "
		  "(_pincount; 0 for a small folio)" },
};
SCN_REGISTER(hugetlb_props)
