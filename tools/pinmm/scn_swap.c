// SPDX-License-Identifier: MIT
/*
 * scn_swap.c - the scenario language's swap commands (<pinmm/swap.h>):
 *
 *   swap on SIZE                            swapon: a device of SIZE bytes
 *                                           (its file in the data directory)
 *   swap off                                swapoff: every page back in
 *   swap inject read|write eio|enospc [count=N]
 *                                           I/O faults on the device's file
 *   expect swap total|used|free|cached|read-errors|write-errors CMP
 *                                           the device's numbers
 *
 * and the page properties of swapped-out addresses (family
 * "page-property", so `expect page` and `expect pin` have them):
 *
 *   swapped            a swap entry is there (the page is swapped out)
 *   swap-count CMP     page-table entries naming that slot, all processes
 *   swap-exclusive     the entry remembers the page was anon-exclusive
 *   swapcache          the page there (or, for a swap entry, its slot's
 *                      page) is in the swap cache
 *
 * `madvise ... pageout|cold|free` (scn_mem.c), `reclaim` (scn_file.c) and
 * `expect rss PROCESS swap` (scn_expect.c) complete the set.  A client of
 * the public API only.
 */
#include <limits.h>
#include <string.h>
#include "scn.h"

#define END		{ .type = SCN_ARG_END }
#define CMP(n)		{ .type = SCN_ARG_CMP, .name = n }

/* --- the device --------------------------------------------------------------------- */

/* The device takes SIZE bytes: whole pages, at least the header and one
 * slot, at most PNM_SWAP_MAX_SLOTS pages. */
static int swap_on_check(struct scn_parser *p, const struct scn_step *st, const struct scn_value *a)
{
	(void)st;
	if (a[0].num < 2 * PNM_PAGE_SIZE || a[0].num % PNM_PAGE_SIZE ||
	    a[0].num / PNM_PAGE_SIZE > PNM_SWAP_MAX_SLOTS)
		return scn_parse_error(p, &a[0].pos, "a swap device takes 8K..%luG in whole pages "
				       "(the first page is its header)",
				       (PNM_SWAP_MAX_SLOTS * PNM_PAGE_SIZE) >> 30);
	return 0;
}

static int swap_on_run(struct scn_run *r, const struct scn_step *st, const struct scn_value *a)
{
	unsigned long pages = (unsigned long)(a[0].num / PNM_PAGE_SIZE);
	int err;

	(void)st;
	err = pnm_swapon(NULL, pages);
	if (!err)
		scn_detail(r, "%lu slots of 4K", pages - 1);
	return err;
}

static int swap_off_run(struct scn_run *r, const struct scn_step *st, const struct scn_value *a)
{
	int in = scn_stat("pswpin");
	long before = pnm_stat_read(in);
	int err;

	(void)st;
	(void)a;
	err = pnm_swapoff();
	if (!err)
		scn_detail(r, "%ld page%s read back", pnm_stat_read(in) - before,
			   pnm_stat_read(in) - before == 1 ? "" : "s");
	return err;
}

static const char *const io_op_words[] = { "read", "write", NULL };
static const char *const io_err_words[] = { "eio", "enospc", NULL };
static const struct scn_option inject_opts[] = {
	{ "count", SCN_ARG_INT, NULL, NULL },
	{ NULL, 0, NULL, NULL },
};

static int swap_inject_check(struct scn_parser *p, const struct scn_step *st,
			     const struct scn_value *a)
{
	(void)st;
	if (a[0].index == 0 && a[1].index == 1)
		return scn_parse_error(p, &a[1].pos, "enospc goes with write (a read cannot "
				       "run out of space)");
	if (a[3].present && a[3].num > INT_MAX)	/* a[2]: the flag bits (none) */
		return scn_parse_error(p, &a[3].pos, "count= must be 0..%d", INT_MAX);
	return 0;
}

static int swap_inject_run(struct scn_run *r, const struct scn_step *st, const struct scn_value *a)
{
	unsigned int count = a[3].present ? (unsigned int)a[3].num : 1;
	int err;

	(void)st;
	err = pnm_swap_inject_error(a[0].index ? PNM_IO_WRITE : PNM_IO_READ,
				    a[1].index ? -ENOSPC : -EIO, count);
	if (!err)
		scn_detail(r, "the next %u %s%s fail%s", count, a[0].word, count == 1 ? "" : "s",
			   count == 1 ? "s" : "");
	return err;
}

static const char *const swap_keys[] = {
	"total", "used", "free", "cached", "read-errors", "write-errors", NULL,
};

static int expect_swap_run(struct scn_run *r, const struct scn_step *st, const struct scn_value *a)
{
	struct pnm_swap_info si = { .size = sizeof(si) };
	char want[48];
	long have;
	int err;

	(void)st;
	err = pnm_get_swap_info(&si);
	if (err)
		return err;
	switch (a[0].index) {
	case 0: have = (long)si.total; break;
	case 1: have = (long)si.used; break;
	case 2: have = (long)si.free; break;
	case 3: have = (long)si.cached; break;
	case 4: have = (long)si.read_errors; break;
	default: have = (long)si.write_errors; break;
	}
	scn_format_cmp(want, sizeof(want), &a[1]);
	if (!scn_compare(&a[1], have))
		return scn_fail(r, "swap %s is %ld%s; expected %s", a[0].word, have,
				si.active ? "" : " (no swap device)", want);
	scn_detail(r, "%ld", have);
	return 0;
}

/* --- page properties ------------------------------------------------------------------ */

/* The swap entry at the subject's address: 0, or -ENOENT (none there, or
 * no process to ask: a cached file page). */
static int subject_swap_entry(const struct scn_page_info *pi, struct pnm_swap_entry_info *e)
{
	if (!pi->task)
		return -ENOENT;
	e->size = sizeof(*e);
	return pnm_task_swap_entry(pi->task, pi->addr, e);
}

static int prop_swapped(struct scn_run *r, void *subject, const struct scn_value *a)
{
	struct scn_page_info *pi = subject;
	struct pnm_swap_entry_info e;

	(void)a;
	if (!pi->task)
		return -ENOENT;
	if (subject_swap_entry(pi, &e))
		return scn_prop_result(r, false, "no swap entry at 0x%lx (%s)", pi->addr,
				       pi->present ? "present" : "nothing mapped");
	return scn_prop_result(r, true, "swapped out to slot %lu (count %d%s%s)", e.slot,
			       e.count, e.exclusive ? ", exclusive" : "",
			       e.cached ? ", cached" : "");
}

static int prop_swap_count(struct scn_run *r, void *subject, const struct scn_value *a)
{
	struct pnm_swap_entry_info e;
	char want[48];

	if (subject_swap_entry(subject, &e))
		return -ENOENT;
	scn_format_cmp(want, sizeof(want), &a[0]);
	return scn_prop_result(r, scn_compare(&a[0], e.count),
			       "slot %lu is named by %d entr%s (expected %s)", e.slot, e.count,
			       e.count == 1 ? "y" : "ies", want);
}

static int prop_swap_exclusive(struct scn_run *r, void *subject, const struct scn_value *a)
{
	struct pnm_swap_entry_info e;

	(void)a;
	if (subject_swap_entry(subject, &e))
		return -ENOENT;
	return scn_prop_result(r, e.exclusive, "the entry for slot %lu is %sexclusive", e.slot,
			       e.exclusive ? "" : "not ");
}

static int prop_swapcache(struct scn_run *r, void *subject, const struct scn_value *a)
{
	struct scn_page_info *pi = subject;
	struct pnm_swap_entry_info e;

	(void)a;
	if (pi->present && !(pi->frame.flags & (PNM_PAGE_ZERO | PNM_PAGE_HUGE_ZERO)))
		return scn_prop_result(r, pi->frame.flags & PNM_PAGE_SWAPCACHE,
				       "pfn 0x%lx is %sin the swap cache", pi->pfn,
				       (pi->frame.flags & PNM_PAGE_SWAPCACHE) ? "" : "not ");
	if (subject_swap_entry(pi, &e))
		return -ENOENT;
	return scn_prop_result(r, e.cached, "slot %lu's page is %sin the swap cache", e.slot,
			       e.cached ? "" : "not ");
}

/* --- the tables --------------------------------------------------------------------- */

static const struct scn_arg swap_on_args[] = {
	{ .type = SCN_ARG_LEN, .name = "size" }, END };
static const struct scn_arg none_args[] = { END };
static const struct scn_arg swap_inject_args[] = {
	{ .type = SCN_ARG_KEYWORD, .name = "op", .choices = io_op_words },
	{ .type = SCN_ARG_KEYWORD, .name = "error", .choices = io_err_words },
	{ .type = SCN_ARG_FLAGS, .name = "options", .options = inject_opts }, END };
static const struct scn_arg expect_swap_args[] = {
	{ .type = SCN_ARG_KEYWORD, .name = "key", .choices = swap_keys }, CMP("value"), END };
static const struct scn_arg cmp_args[] = { CMP("count"), END };

static const struct scn_cmd swap_cmds[] = {
	{ .name = "swap on", .section = "swap", .args = swap_on_args, .check = swap_on_check,
	  .run = swap_on_run,
	  .help = "swapon: a swap device of SIZE (whole pages; the first is its header), its "
		  "file in the data directory; reclaim and madvise pageout swap anon pages out",
	  .example = "swap on 4M" },
	{ .name = "swap off", .section = "swap", .args = none_args, .run = swap_off_run,
	  .help = "swapoff: every swapped-out page back into its processes, the device down",
	  .example = "swap off" },
	{ .name = "swap inject", .section = "swap", .args = swap_inject_args,
	  .check = swap_inject_check, .run = swap_inject_run,
	  .help = "the next N (count=, default 1; 0 clears) reads or writes of the device fail "
		  "with EIO or (writes) ENOSPC: nothing is lost",
	  .example = "swap inject write eio" },
	{ .name = "expect swap", .section = "expect", .args = expect_swap_args,
	  .flags = SCN_EXPECT | SCN_OBSERVE, .run = expect_swap_run,
	  .help = "the swap device: slots (total, used, free), pages in the swap cache, I/O "
		  "errors", .example = "expect swap used == 4" },
};
SCN_REGISTER(swap_cmds)

#define PAGE_PROP(n, a, fn, h)	\
	{ .name = n, .family = "page-property", .args = a, .test = fn, .help = h }

static const struct scn_cmd swap_page_props[] = {
	PAGE_PROP("swapped", none_args, prop_swapped,
		  "a swap entry is there: the page is swapped out"),
	PAGE_PROP("swap-count", cmp_args, prop_swap_count,
		  "page-table entries (all processes) naming the slot of the swap entry there"),
	PAGE_PROP("swap-exclusive", none_args, prop_swap_exclusive,
		  "the swap entry there remembers an anon-exclusive page"),
	PAGE_PROP("swapcache", none_args, prop_swapcache,
		  "the page there, or the swap entry's page, is in the swap cache"),
};
SCN_REGISTER(swap_page_props)
