/* SPDX-License-Identifier: MIT */
/*
 * scn_io.h - the scenario commands of the call sites (src/drivers/): one
 * generic command family that each call site plugs its verbs into.
 *
 *   io SITE VERB ARGS...            act:  io dio read A F 0 buf 8K as R
 *   expect io SITE PROPERTY ARGS... look: expect io dio result R == 8192
 *
 * A call site's scenario glue is one small file, tools/pinmm/scn_io_<site>.c,
 * holding two tables of struct scn_cmd (its verbs and its expectation
 * properties) and one SCN_IO_SITE() line.  The verbs are ordinary family
 * members of the registry: each has a schema (struct scn_arg[]) the parser
 * interprets, an optional parse-time @check and a handler in @test, called
 * with the step as its subject:
 *
 *	static int dio_read(struct scn_run *r, void *subject,
 *			    const struct scn_value *args)
 *	{
 *		const struct scn_step *st = scn_io_step(subject);
 *		...
 *	}
 *
 * @args are the verb's own values (schema order), after the site and verb
 * words.  Handlers return what command handlers return: 0, -errno (the
 * modelled call failed, which `expect fail ERRNO io ...` expects) or
 * SCN_FAILED with a detail.  Property handlers
 * run under `expect io`, an expectation that only looks (SCN_EXPECT |
 * SCN_OBSERVE): they return scn_prop_result().
 *
 * Naming what a verb creates: a verb that makes an object the scenario
 * refers to later ends its schema with SCN_IO_AS(ns): "[as NAME]", a name
 * in the site's own namespace (e.g. "dio-req"); the object is kept with
 * scn_obj_add() under that namespace and released at teardown.  An absent
 * name gets none (the object is released at teardown, or when done).
 *
 * Nothing here knows a site: scn_io.c registers `io` and `expect io` and
 * dispatches to the verb the parser chose; the reference (`pinmm run
 * --help`) lists every site with its verbs.
 */
#ifndef PINMM_SCN_IO_H
#define PINMM_SCN_IO_H

#include "scn.h"

/* One call site's scenario glue (static tables; see SCN_IO_SITE). */
struct scn_io_site {
	const char *name;		/* the word after io: "dio", "pvm" */
	const char *help;		/* one line: what the site is */
	const struct scn_cmd *verbs;	/* names, schemas, .test handlers */
	size_t nverbs;
	const struct scn_cmd *props;	/* expect io SITE PROPERTY; may be NULL */
	size_t nprops;
};

/*
 * Register @site: its verbs become members of family "io-<name>", its
 * properties of "expect-io-<name>" (the tables are copied with the family
 * set; leave .family NULL in them), and the site itself a member of "io"
 * (and "expect-io" if it has properties).  Called from a constructor
 * (SCN_IO_SITE) before any parsing; a malformed table aborts.
 */
void scn_io_register(const struct scn_io_site *site);

#define SCN_IO_SITE(id, sname, shelp, verbs_, props_)			\
	static const struct scn_io_site scn_io_site_##id = {		\
		.name = sname, .help = shelp,				\
		.verbs = verbs_, .nverbs = ARRAY_SIZE(verbs_),		\
		.props = props_, .nprops = ARRAY_SIZE(props_) };	\
	static void __attribute__((constructor)) scn_io_register_##id(void) \
	{ scn_io_register(&scn_io_site_##id); }

/*
 * A call site's object with an invariant checker of its own (a VM's
 * shadow page table, a pipe), kept by name for the run:
 * scn_io_keep_checked() keeps @obj under @name (a word of the script or
 * a literal: it must last as long as the run) in namespace @ns and
 * registers @check(@obj, why, size) with pnm_check_register(), so every
 * step's system check (pnm_check_system()) runs it too and a failure
 * reads "<@kind> <@name>: <why>".  When the run ends or scn_obj_remove()
 * drops the name, the checker is unregistered and @destroy(@obj) called.
 * Returns 0, or -errno (-ENOMEM, pnm_check_register()'s) with @obj
 * destroyed and nothing kept.  scn_io_find_checked() gives the object
 * kept under @name, or NULL.
 */
typedef int scn_io_check_fn(void *obj, char *why, size_t size);
typedef void scn_io_destroy_fn(void *obj);
int scn_io_keep_checked(struct scn_run *r, const char *ns, const char *name, void *obj,
			const char *kind, scn_io_check_fn *check, scn_io_destroy_fn *destroy);
void *scn_io_find_checked(struct scn_run *r, const char *ns, const char *name);

/* The step a verb or property handler runs for (its @subject). */
static inline const struct scn_step *scn_io_step(void *subject)
{
	return subject;
}

/*
 * The table entry (verb or property) the step runs, as registered: a
 * handler shared by several entries tells them apart by its .data.  The
 * step's values are the site's variant, then the entry's.
 */
static inline const struct scn_cmd *scn_io_member(void *subject)
{
	return scn_io_step(subject)->args[1].variant;
}

/* The last two schema entries of a verb that names what it creates. */
#define SCN_IO_AS(ns_)							\
	{ .type = SCN_ARG_LITERAL, .name = "as", .flags = SCN_OPTIONAL }, \
	{ .type = SCN_ARG_DEF, .name = "name", .ns = ns_, .flags = SCN_OPTIONAL }

#endif /* PINMM_SCN_IO_H */
