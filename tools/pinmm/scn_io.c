// SPDX-License-Identifier: MIT
/*
 * scn_io.c - `io SITE VERB ...` and `expect io SITE PROPERTY ...`: the one
 * command family of the call sites (scn_io.h has the contract; each site's
 * verbs are in tools/pinmm/scn_io_<site>.c).
 *
 * The two commands are a word and a variant: the parser picks the site
 * (a member of family "io" or "expect-io"), whose own schema is a variant
 * of the site's verbs ("io-<site>") or properties ("expect-io-<site>"),
 * whose schema is the verb's arguments.  Running a step walks the same
 * chain: each level calls the @test of the member chosen below it, the
 * last one being the verb's handler.  Nothing here knows a site.
 */
#include <stdlib.h>
#include <string.h>
#include "scn_io.h"

/* Zeroed memory for a registration, or NULL with the failure recorded
 * (scn_register_nomem: the language is incomplete, parsing says so). */
static void *io_alloc(size_t n)
{
	void *p = scn_test_fail_alloc() ? NULL : calloc(1, n);

	if (!p)
		scn_register_nomem();
	return p;
}

/*
 * Run the member chosen by the variant value @v with the values after it:
 * a site member dispatches to its verb the same way, a verb handles the
 * step.  @subject is the step.
 */
static int io_dispatch(struct scn_run *r, void *subject, const struct scn_value *v)
{
	return v->variant->test(r, subject, v + 1);
}

/* The @test of a site member: its only argument is the verb's variant. */
static int io_site_test(struct scn_run *r, void *subject, const struct scn_value *args)
{
	return io_dispatch(r, subject, args);
}

static int io_run(struct scn_run *r, const struct scn_step *st, const struct scn_value *args)
{
	/* The handlers take the step as a void * subject; they only read it. */
	return io_dispatch(r, (void *)(uintptr_t)st, args);
}

/* "io-<site>" or "expect-io-<site>", kept for the life of the program. */
static const char *io_family(const char *prefix, const char *site)
{
	size_t n = strlen(prefix) + strlen(site) + 2;
	char *f = io_alloc(n);

	if (f)
		snprintf(f, n, "%s-%s", prefix, site);
	return f;
}

/*
 * Register the member @site of @family ("io" or "expect-io") whose
 * variant picks among @n entries of @table, copied into @member_family.
 */
static void io_register_level(const struct scn_io_site *site, const char *family,
			      const char *member_family, const struct scn_cmd *table,
			      size_t n, const char *what)
{
	struct scn_cmd *copy = io_alloc(n * sizeof(*copy));
	struct scn_cmd *member = io_alloc(sizeof(*member));
	struct scn_arg *args = io_alloc(2 * sizeof(*args));

	if (!member_family || !copy || !member || !args) {
		/* Out of memory: recorded by io_alloc; this site stays out. */
		free((void *)member_family);
		free(copy);
		free(member);
		free(args);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		if (table[i].family) {
			fprintf(stderr, "pinmm: io site '%s': %s '%s' sets its own family\n",
				site->name, what, table[i].name ? table[i].name : "?");
			abort();
		}
		copy[i] = table[i];
		copy[i].family = member_family;
	}
	scn_register(copy, n);
	args[0] = (struct scn_arg){ .type = SCN_ARG_VARIANT, .name = what,
				    .family = member_family };
	args[1] = (struct scn_arg){ .type = SCN_ARG_END };
	*member = (struct scn_cmd){ .name = site->name, .family = family, .args = args,
				    .test = io_site_test, .help = site->help };
	scn_register(member, 1);
}

/*
 * scn_io_register - make @site's verbs and properties reachable from `io`
 * and `expect io`; see scn_io.h.  Runs from constructors, before main().
 */
void scn_io_register(const struct scn_io_site *site)
{
	if (!site->name || !*site->name || strchr(site->name, ' ') || !site->nverbs) {
		fprintf(stderr, "pinmm: io site '%s': a site needs a one-word name and verbs\n",
			site->name ? site->name : "?");
		abort();
	}
	io_register_level(site, "io", io_family("io", site->name), site->verbs,
			  site->nverbs, "verb");
	if (site->props && site->nprops)
		io_register_level(site, "expect-io", io_family("expect-io", site->name),
				  site->props, site->nprops, "property");
}

/* --- objects with checkers ------------------------------------------------- */

/* What scn_io_keep_checked() keeps: the object and how to check and end it. */
struct io_checked {
	void *obj;
	const char *kind;		/* "VM", "pipe": names it in a failure */
	const char *name;		/* the script's (its arena outlives the run) */
	scn_io_check_fn *check;
	scn_io_destroy_fn *destroy;
};

/* The registered checker (pnm_check_fn): the object's own, named. */
static int io_checked_check(void *arg, char *why, size_t size)
{
	struct io_checked *c = arg;
	char what[256] = "";
	int err = c->check(c->obj, what, sizeof(what));

	if (err)
		snprintf(why, size, "%s %s: %s", c->kind, c->name, what);
	return err;
}

static void io_checked_release(struct scn_run *r, void *arg)
{
	struct io_checked *c = arg;

	(void)r;
	pnm_check_unregister(io_checked_check, c);
	c->destroy(c->obj);
	free(c);
}

/*
 * scn_io_keep_checked - keep @obj under @name with its checker registered
 * until the name goes; see scn_io.h.  On failure @obj is destroyed.
 */
int scn_io_keep_checked(struct scn_run *r, const char *ns, const char *name, void *obj,
			const char *kind, scn_io_check_fn *check, scn_io_destroy_fn *destroy)
{
	struct io_checked *c = calloc(1, sizeof(*c));
	int err;

	if (!c) {
		destroy(obj);
		return -ENOMEM;
	}
	*c = (struct io_checked){ .obj = obj, .kind = kind, .name = name, .check = check,
				  .destroy = destroy };
	err = pnm_check_register(io_checked_check, c);
	if (err) {
		destroy(obj);
		free(c);
		return err;
	}
	err = scn_obj_add(r, ns, name, c, io_checked_release);
	if (err)
		io_checked_release(r, c);
	return err;
}

/* scn_io_find_checked - the object scn_io_keep_checked() keeps as @name. */
void *scn_io_find_checked(struct scn_run *r, const char *ns, const char *name)
{
	struct io_checked *c = scn_obj_find(r, ns, name);

	return c ? c->obj : NULL;
}

static const struct scn_arg io_args[] = {
	{ .type = SCN_ARG_VARIANT, .name = "site", .family = "io" },
	{ .type = SCN_ARG_END } };
static const struct scn_arg expect_io_args[] = {
	{ .type = SCN_ARG_VARIANT, .name = "site", .family = "expect-io" },
	{ .type = SCN_ARG_END } };

static const struct scn_cmd io_cmds[] = {
	{ .name = "io", .section = "call sites", .args = io_args, .run = io_run,
	  .help = "act through a call site (src/drivers/): submit Direct IO, read another "
		  "process's memory, register a region ...; each site's verbs follow",
	  .example = "io dio read A F 0 buf 8K as R" },
	{ .name = "expect io", .section = "expect", .args = expect_io_args, .run = io_run,
	  .flags = SCN_EXPECT | SCN_OBSERVE,
	  .help = "a property of a call site's objects (each site's properties follow)",
	  .example = "expect io dio result R == 8192" },
};
SCN_REGISTER(io_cmds)
