// SPDX-License-Identifier: MIT
/*
 * scn_io_futex.c - the scenario glue of the futex key (pinmm/futex.h):
 * the `futex` site of the io family (scn_io.h), a struct-page-only user.
 *
 *   io futex key PROCESS ADDRESS [private] [read] as KEY
 *                                  get the page, look at its struct page,
 *                                  put it back; the key is kept as KEY
 *   expect io futex same KEY KEY   both name one futex
 *   expect io futex differ KEY KEY
 *   expect io futex shared KEY     an (inode, offset) key
 *   expect io futex private KEY    an (address space, address) key
 */
#include <stdlib.h>
#include "scn_io.h"

#define NS_FUTEX	"futex-key"

static void key_free(struct scn_run *r, void *obj)
{
	(void)r;
	free(obj);
}

static const char *const key_words[] = { "private", "read", NULL };

/* io futex key: a[0] process, a[1] address, a[2] flags, a[3] "as", a[4] name. */
static int futex_key(struct scn_run *r, void *subject, const struct scn_value *a)
{
	struct task_struct *t = scn_task(r, &a[0]);
	unsigned int flags = ((a[2].num & 1) ? PNM_FUTEX_PRIVATE : 0) |
			     ((a[2].num & 2) ? PNM_FUTEX_READ : 0);
	struct pnm_futex_key *k;
	unsigned long addr;
	int err;

	if (!t || scn_addr(r, &a[1], &addr))
		return SCN_FAILED;
	k = calloc(1, sizeof(*k));
	if (!k)
		return -ENOMEM;
	err = pnm_get_futex_key(t, addr, flags, k);
	if (err) {
		free(k);
		return err;
	}
	scn_obj_remove(r, NS_FUTEX, a[4].word);
	if (scn_obj_add(r, NS_FUTEX, a[4].word, k, key_free)) {
		free(k);
		return scn_fail(r, "out of memory");
	}
	if (k->type == PNM_FUTEX_KEY_SHARED)
		scn_detail(r, "shared: inode %lu, offset %#lx", k->word, k->offset);
	else
		scn_detail(r, "private: address %#lx of %s's address space", k->offset, a[0].word);
	return 0;
}

static struct pnm_futex_key *key_get(struct scn_run *r, const struct scn_value *v)
{
	struct pnm_futex_key *k = scn_obj_find(r, NS_FUTEX, v->word);

	if (!k)
		scn_fail(r, "key %s was not computed", v->word);
	return k;
}

static int prop_compare(struct scn_run *r, const struct scn_value *a, bool want_same)
{
	struct pnm_futex_key *k1 = key_get(r, &a[0]), *k2 = k1 ? key_get(r, &a[1]) : NULL;
	bool same;

	if (!k1 || !k2)
		return SCN_FAILED;
	same = pnm_futex_key_equal(k1, k2);
	return scn_prop_result(r, same == want_same, "%s and %s name %s", a[0].word, a[1].word,
			       same ? "the same futex" : "different futexes");
}

static int prop_same(struct scn_run *r, void *s, const struct scn_value *a)
{
	return prop_compare(r, a, true);
}

static int prop_differ(struct scn_run *r, void *s, const struct scn_value *a)
{
	return prop_compare(r, a, false);
}

static int prop_type(struct scn_run *r, const struct scn_value *a, enum pnm_futex_key_type type)
{
	struct pnm_futex_key *k = key_get(r, &a[0]);

	if (!k)
		return SCN_FAILED;
	return scn_prop_result(r, k->type == type, "%s is a %s key", a[0].word,
			       k->type == PNM_FUTEX_KEY_SHARED ? "shared (inode, offset)" :
			       "private (address space, address)");
}

static int prop_shared(struct scn_run *r, void *s, const struct scn_value *a)
{
	return prop_type(r, a, PNM_FUTEX_KEY_SHARED);
}

static int prop_private(struct scn_run *r, void *s, const struct scn_value *a)
{
	return prop_type(r, a, PNM_FUTEX_KEY_PRIVATE);
}

#define KEY_REF	{ .type = SCN_ARG_REF, .name = "key", .ns = NS_FUTEX }
#define END	{ .type = SCN_ARG_END }

static const struct scn_arg key_args[] = {
	{ .type = SCN_ARG_REF, .name = "process", .ns = SCN_NS_PROCESS },
	{ .type = SCN_ARG_ADDR, .name = "address" },
	{ .type = SCN_ARG_FLAGS, .name = "flag", .choices = key_words },
	{ .type = SCN_ARG_LITERAL, .name = "as" },
	{ .type = SCN_ARG_DEF, .name = "name", .ns = NS_FUTEX, .flags = SCN_REDEFINE }, END };
static const struct scn_arg two_args[] = { KEY_REF, KEY_REF, END };
static const struct scn_arg one_args[] = { KEY_REF, END };

static const struct scn_cmd futex_verbs[] = {
	{ .name = "key", .args = key_args, .test = futex_key,
	  .help = "the futex key of the word at ADDRESS (get_user_pages, look at the struct "
		  "page, put_page; 'private': no page at all)",
	  .example = "io futex key A shm+64 as K1" },
};

static const struct scn_cmd futex_props[] = {
	{ .name = "same", .args = two_args, .test = prop_same,
	  .help = "the two keys name one futex" },
	{ .name = "differ", .args = two_args, .test = prop_differ,
	  .help = "the two keys name different futexes" },
	{ .name = "shared", .args = one_args, .test = prop_shared,
	  .help = "an (inode, file offset) key: a file or shmem page" },
	{ .name = "private", .args = one_args, .test = prop_private,
	  .help = "an (address space, address) key: anonymous memory or the private flag" },
};

SCN_IO_SITE(futex, "futex", "futex keys: a struct-page-only get_user_pages user (case 4)",
	    futex_verbs, futex_props)
