// SPDX-License-Identifier: MIT
/*
 * scn_io_kwrite.c - the scenario glue of the writer to page data under a
 * pin (pinmm/kwrite.h): the `kwrite` site of the io family (scn_io.h).
 *
 *   io kwrite begin PROCESS ADDRESS LENGTH [get] [nodirty] as W
 *                              pin (get: get_user_pages) the pages for
 *                              writing; the write stays open
 *   io kwrite copy W OFFSET DATA
 *                              store through the pages (not the page tables)
 *   io kwrite end W            set_page_dirty_lock() (not with nodirty),
 *                              unpin (get: put_page)
 *   io kwrite write PROCESS ADDRESS DATA [get] [nodirty]
 *                              the three at once
 *   expect io kwrite open W [not]
 *
 * Writes still open at the end are ended.  What the pins do is seen with
 * `expect page ... pinned`, the counters and `expect disk`.
 */
#include <stdlib.h>
#include "scn_io.h"

#define NS_KWRITE	"kwrite"

static void kwrite_release(struct scn_run *r, void *obj)
{
	(void)r;
	pnm_kwrite_end(obj);
}

static const char *const kw_words[] = { "get", "nodirty", NULL };

static unsigned int kw_flags(const struct scn_value *v)
{
	return ((v->num & 1) ? PNM_KWRITE_GET : 0) | ((v->num & 2) ? PNM_KWRITE_NODIRTY : 0);
}

/* io kwrite begin: a[0] process, a[1] address, a[2] length, a[3] flags,
 * a[4] "as", a[5] name. */
static int kw_begin(struct scn_run *r, void *subject, const struct scn_value *a)
{
	struct task_struct *t = scn_task(r, &a[0]);
	struct pnm_kwrite_req *kw;
	unsigned long addr;
	int err;

	if (!t || scn_addr(r, &a[1], &addr))
		return SCN_FAILED;
	if (scn_obj_find(r, NS_KWRITE, a[5].word))
		return scn_fail(r, "write %s is open", a[5].word);
	err = pnm_kwrite_begin(t, addr, (size_t)a[2].num, kw_flags(&a[3]), &kw);
	if (err)
		return err;
	if (scn_obj_add(r, NS_KWRITE, a[5].word, kw, kwrite_release)) {
		pnm_kwrite_end(kw);
		return scn_fail(r, "out of memory");
	}
	scn_detail(r, "%s: pages %s for writing", a[5].word,
		   (a[3].num & 1) ? "got (FOLL_GET)" : "pinned (FOLL_PIN)");
	return 0;
}

static int kw_copy(struct scn_run *r, void *subject, const struct scn_value *a)
{
	struct pnm_kwrite_req *kw = scn_obj_find(r, NS_KWRITE, a[0].word);
	size_t len = scn_data_len(&a[2]);
	char *buf;
	int err;

	if (!kw)
		return scn_fail(r, "write %s is not open", a[0].word);
	buf = malloc(len ? len : 1);
	if (!buf)
		return -ENOMEM;
	scn_data_get(&a[2], 0, buf, len);
	err = pnm_kwrite_copy(kw, (size_t)a[1].num, buf, len);
	free(buf);
	return err;
}

static int kw_end(struct scn_run *r, void *subject, const struct scn_value *a)
{
	if (!scn_obj_remove(r, NS_KWRITE, a[0].word))
		return scn_fail(r, "write %s is not open", a[0].word);
	return 0;
}

/* io kwrite write: a[0] process, a[1] address, a[2] data, a[3] flags. */
static int kw_write(struct scn_run *r, void *subject, const struct scn_value *a)
{
	struct task_struct *t = scn_task(r, &a[0]);
	size_t len = scn_data_len(&a[2]);
	unsigned long addr;
	char *buf;
	int err;

	if (!t || scn_addr(r, &a[1], &addr))
		return SCN_FAILED;
	buf = malloc(len ? len : 1);
	if (!buf)
		return -ENOMEM;
	scn_data_get(&a[2], 0, buf, len);
	err = pnm_kwrite(t, addr, buf, len, kw_flags(&a[3]));
	free(buf);
	return err;
}

/* expect io kwrite open W [not]: a[0] the name, a[1] "not". */
static int prop_open(struct scn_run *r, void *subject, const struct scn_value *a)
{
	bool open = scn_obj_find(r, NS_KWRITE, a[0].word) != NULL;

	return scn_prop_result(r, open != a[1].present, "write %s is %s", a[0].word,
			       open ? "open" : "ended");
}

#define W_REF	{ .type = SCN_ARG_REF, .name = "write", .ns = NS_KWRITE }
#define PROC	{ .type = SCN_ARG_REF, .name = "process", .ns = SCN_NS_PROCESS }
#define END	{ .type = SCN_ARG_END }

static const struct scn_arg begin_args[] = {
	PROC, { .type = SCN_ARG_ADDR, .name = "address" }, { .type = SCN_ARG_SIZE, .name = "length" },
	{ .type = SCN_ARG_FLAGS, .name = "flag", .choices = kw_words },
	{ .type = SCN_ARG_LITERAL, .name = "as" },
	{ .type = SCN_ARG_DEF, .name = "name", .ns = NS_KWRITE, .flags = SCN_REDEFINE }, END };
static const struct scn_arg copy_args[] = {
	W_REF, { .type = SCN_ARG_SIZE, .name = "offset" }, { .type = SCN_ARG_DATA, .name = "data" },
	END };
static const struct scn_arg end_args[] = { W_REF, END };
static const struct scn_arg open_args[] = {
	W_REF, { .type = SCN_ARG_LITERAL, .name = "not", .flags = SCN_OPTIONAL }, END };
static const struct scn_arg write_args[] = {
	PROC, { .type = SCN_ARG_ADDR, .name = "address" }, { .type = SCN_ARG_DATA, .name = "data" },
	{ .type = SCN_ARG_FLAGS, .name = "flag", .choices = kw_words }, END };

static const struct scn_cmd kwrite_verbs[] = {
	{ .name = "begin", .args = begin_args, .test = kw_begin,
	  .help = "pin the pages for a write to their data (get: the incorrect "
		  "get_user_pages form; nodirty: end without set_page_dirty_lock)",
	  .example = "io kwrite begin A m 4K as W" },
	{ .name = "copy", .args = copy_args, .test = kw_copy,
	  .help = "store DATA at OFFSET of the open write, through the pages",
	  .example = "io kwrite copy W 0 \"kernel\"" },
	{ .name = "end", .args = end_args, .test = kw_end,
	  .help = "set_page_dirty_lock() each page, unpin", .example = "io kwrite end W" },
	{ .name = "write", .args = write_args, .test = kw_write,
	  .help = "begin, copy DATA, end", .example = "io kwrite write A m \"kernel\"" },
};

static const struct scn_cmd kwrite_props[] = {
	{ .name = "open", .args = open_args, .test = prop_open,
	  .help = "the write is begun and not yet ended (its pages held)" },
};

SCN_IO_SITE(kwrite, "kwrite", "a writer to page data under a pin (case 5)", kwrite_verbs,
	    kwrite_props)
