/* SPDX-License-Identifier: MIT */
/*
 * scn_budget.c - the scenario commands of the pin budget (<pinmm/budget.h>):
 * how many pages long-term pin owners may hold, per process and per user
 * (a group of processes), each page charged once per domain however many
 * owners pin it.
 *
 *   user PROCESS UID                     put the process in user UID
 *                                        (pnm_task_set_user)
 *   budget PROCESS PAGES|unlimited       the process's limit
 *   user-budget UID PAGES|unlimited      the user's limit
 *   budgets [PROCESS]                    every process's and user's budget
 *                                        (limit, charged, remaining,
 *                                        refused, what a new owner may pin)
 *   expect budget PROCESS KEY [CMP]      limit, charged, remaining, refused,
 *                                        available, user, rlimit (the
 *                                        RLIMIT_MEMLOCK bound in pages),
 *                                        locked-vm CMP; unlimited
 *   expect user-budget UID KEY [CMP]     limit, charged, remaining, refused
 *                                        CMP; unlimited
 *
 * Charges come from the owner commands of scn_owner.c (owner ... longterm,
 * owner-pin, owner-unpin); a pin call a budget refuses fails with ENOMEM
 * and pins nothing, and the step that saw the refusal says so (a step
 * hook on pnm_pin_budget_refused).
 *
 * The run remembers every user a step named (a `user` or `user-budget`
 * command), so that `budgets` lists them with the users of its processes.
 * Calls go through the public API only.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include "scn.h"

#define NS_BUDGET_STATE	"budget-state"
#define MAX_UID		INT_MAX
#define UNLIM		PNM_PIN_BUDGET_UNLIMITED

/* The users this run's steps named, in the order first named. */
struct budget_state {
	int *uid;
	size_t n, cap;
};

static void budget_state_free(struct scn_run *r, void *obj)
{
	struct budget_state *s = obj;

	(void)r;
	free(s->uid);
	free(s);
}

static struct budget_state *budget_state(struct scn_run *r)
{
	struct budget_state *s = scn_obj_find(r, NS_BUDGET_STATE, "state");

	if (s)
		return s;
	s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	if (scn_obj_add(r, NS_BUDGET_STATE, "state", s, budget_state_free)) {
		free(s);
		return NULL;
	}
	return s;
}

/* Remember @uid (for the listing); a failure only shortens the listing. */
static void note_user(struct budget_state *s, int uid)
{
	for (size_t i = 0; s && i < s->n; i++)
		if (s->uid[i] == uid)
			return;
	if (!s)
		return;
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 8;
		int *v = realloc(s->uid, cap * sizeof(*v));

		if (!v)
			return;
		s->uid = v;
		s->cap = cap;
	}
	s->uid[s->n++] = uid;
}

static const char *plural(unsigned long n)
{
	return n == 1 ? "" : "s";
}

/* "limit 8 pages, 3 charged, 5 remaining, 1 refused" or "no limit, ...". */
static void budget_words(char *buf, size_t size, const struct pnm_pin_budget_info *b)
{
	if (b->limit == UNLIM)
		snprintf(buf, size, "no limit, %lu charged, %lu refused", b->charged, b->refused);
	else
		snprintf(buf, size, "limit %lu page%s, %lu charged, %lu remaining, %lu refused",
			 b->limit, plural(b->limit), b->charged, b->remaining, b->refused);
}

/* "2 more pages" or "any number of pages" (pnm_pin_budget_remaining). */
static void available_words(char *buf, size_t size, unsigned long avail)
{
	if (avail == UNLIM)
		snprintf(buf, size, "any number of pages");
	else
		snprintf(buf, size, "%lu more page%s", avail, plural(avail));
}

/* A limit argument: the `unlimited` keyword (@word) or a number of pages
 * (@pages); exactly one is given (limit_check() at parse time). */
static unsigned long limit_arg(const struct scn_value *word, const struct scn_value *pages)
{
	return word->present ? UNLIM : (unsigned long)pages->num;
}

static int limit_check(struct scn_parser *p, const struct scn_value *word,
		       const struct scn_value *pages)
{
	if (word->present == pages->present)
		return scn_parse_error(p, &word->pos, word->present ?
				       "give a number of pages or 'unlimited', not both" :
				       "expected a number of pages or 'unlimited'");
	if (pages->present && pages->num >= UNLIM)
		return scn_parse_error(p, &pages->pos, "a limit is below 2^64 - 1 pages");
	return 0;
}

static int uid_check(struct scn_parser *p, const struct scn_value *v)
{
	if (v->num > MAX_UID)
		return scn_parse_error(p, &v->pos, "a user is a number from 0 to %d", MAX_UID);
	return 0;
}

/* --- user, budget, user-budget ------------------------------------------------------ */

static int user_check(struct scn_parser *p, const struct scn_step *st, const struct scn_value *a)
{
	(void)st;
	return uid_check(p, &a[1]);
}

static int user_run(struct scn_run *r, const struct scn_step *st, const struct scn_value *a)
{
	struct task_struct *t = scn_task(r, &a[0]);
	int uid = (int)a[1].num, old, ret;

	(void)st;
	if (!t)
		return SCN_FAILED;
	old = pnm_task_user(t);
	ret = pnm_task_set_user(t, uid);
	if (ret)
		return ret;
	note_user(budget_state(r), uid);
	if (old == uid)
		scn_detail(r, "process %s (pid %d) is in user %d already", a[0].word,
			   pnm_task_pid(t), uid);
	else
		scn_detail(r, "process %s (pid %d) is in user %d (was %d): owners created from "
			   "now on charge it", a[0].word, pnm_task_pid(t), uid, old);
	return 0;
}

static int budget_check(struct scn_parser *p, const struct scn_step *st,
			const struct scn_value *a)
{
	(void)st;
	return limit_check(p, &a[1], &a[2]);
}

static int budget_run(struct scn_run *r, const struct scn_step *st, const struct scn_value *a)
{
	struct pnm_pin_budget_info b = { .size = sizeof(b) };
	struct task_struct *t = scn_task(r, &a[0]);
	char words[128];
	int ret;

	(void)st;
	if (!t)
		return SCN_FAILED;
	ret = pnm_pin_budget_set_task_limit(t, limit_arg(&a[1], &a[2]));
	if (ret)
		return ret;
	ret = pnm_pin_budget_get_task(t, &b);
	if (ret)
		return ret;
	budget_words(words, sizeof(words), &b);
	scn_detail(r, "process %s (pid %d): %s", a[0].word, pnm_task_pid(t), words);
	return 0;
}

static int user_budget_check(struct scn_parser *p, const struct scn_step *st,
			     const struct scn_value *a)
{
	(void)st;
	return uid_check(p, &a[0]) ? -1 : limit_check(p, &a[1], &a[2]);
}

static int user_budget_run(struct scn_run *r, const struct scn_step *st,
			   const struct scn_value *a)
{
	struct pnm_pin_budget_info b = { .size = sizeof(b) };
	int uid = (int)a[0].num, ret;
	char words[128];

	(void)st;
	ret = pnm_pin_budget_set_user_limit(uid, limit_arg(&a[1], &a[2]));
	if (ret)
		return ret;
	note_user(budget_state(r), uid);
	ret = pnm_pin_budget_get_user(uid, &b);
	if (ret)
		return ret;
	budget_words(words, sizeof(words), &b);
	scn_detail(r, "user %d: %s", uid, words);
	return 0;
}

/* --- budgets ------------------------------------------------------------------------------ */

struct budget_listing {
	struct scn_run *r;
	FILE *json;
	const char *only;		/* the one process to list, or NULL */
	int *uid;			/* the users to list after the processes */
	size_t nuid, capuid;
	unsigned long procs;
	bool first;
};

static void listing_add_user(struct budget_listing *l, int uid)
{
	for (size_t i = 0; i < l->nuid; i++)
		if (l->uid[i] == uid)
			return;
	if (l->nuid == l->capuid) {
		size_t cap = l->capuid ? l->capuid * 2 : 8;
		int *v = realloc(l->uid, cap * sizeof(*v));

		if (!v)
			return;		/* the listing misses that user */
		l->uid = v;
		l->capuid = cap;
	}
	l->uid[l->nuid++] = uid;
}

/* JSON: a page count, null for "no limit". */
static void json_pages(FILE *j, const char *key, unsigned long v)
{
	if (v == UNLIM)
		fprintf(j, ", \"%s\": null", key);
	else
		fprintf(j, ", \"%s\": %lu", key, v);
}

static void json_budget(FILE *j, const struct pnm_pin_budget_info *b)
{
	json_pages(j, "limit", b->limit);
	fprintf(j, ", \"charged\": %lu", b->charged);
	json_pages(j, "remaining", b->remaining);
	fprintf(j, ", \"refused\": %lu", b->refused);
}

/* One process: its domain, its user and what a new owner may pin. */
static void list_process(const char *name, struct task_struct *t, void *arg)
{
	struct budget_listing *l = arg;
	struct pnm_pin_budget_info b = { .size = sizeof(b) };
	unsigned long avail = 0;
	char words[128], more[48];
	int uid = pnm_task_user(t);

	if (l->only && strcmp(l->only, name))
		return;
	fprintf(l->json, "%s\n    {\"name\": ", l->first ? "" : ",");
	l->first = false;
	scn_json_str(l->json, name);
	fprintf(l->json, ", \"pid\": %d, \"user\": %d", pnm_task_pid(t), uid);
	l->procs++;
	listing_add_user(l, uid);
	if (pnm_pin_budget_get_task(t, &b) || pnm_pin_budget_remaining(t, &avail)) {
		/* An exited task's domain lives on with its owners' charge,
		 * but the API reaches it only through a live task. */
		scn_output(l->r, "process %s (pid %d), user %d: exited\n", name, pnm_task_pid(t),
			   uid);
		fputs(", \"exited\": true}", l->json);
		return;
	}
	budget_words(words, sizeof(words), &b);
	available_words(more, sizeof(more), avail);
	scn_output(l->r, "process %s (pid %d), user %d: %s; a new owner may pin %s\n", name,
		   pnm_task_pid(t), uid, words, more);
	fputs(", \"exited\": false", l->json);
	json_budget(l->json, &b);
	json_pages(l->json, "available", avail);
	fputc('}', l->json);
}

static int cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	return (x > y) - (x < y);
}

static int budgets_run(struct scn_run *r, const struct scn_step *st, const struct scn_value *a)
{
	struct budget_listing l = { .r = r, .first = true };
	struct budget_state *s = scn_obj_find(r, NS_BUDGET_STATE, "state");
	char *json = NULL, words[128];
	size_t json_len = 0;
	int ret = 0;

	(void)st;
	if (a[0].present)
		l.only = a[0].word;
	l.json = open_memstream(&json, &json_len);
	if (!l.json)
		return -ENOMEM;
	fputs("{\"processes\": [", l.json);
	scn_task_foreach(r, list_process, &l);
	/* Every user named so far too, unless one process was asked for. */
	for (size_t i = 0; !l.only && s && i < s->n; i++)
		listing_add_user(&l, s->uid[i]);
	if (l.nuid)		/* qsort must not be given NULL, even for 0 */
		qsort(l.uid, l.nuid, sizeof(*l.uid), cmp_int);
	fputs("], \"users\": [", l.json);
	for (size_t i = 0; i < l.nuid; i++) {
		struct pnm_pin_budget_info b = { .size = sizeof(b) };

		ret = pnm_pin_budget_get_user(l.uid[i], &b);
		if (ret)
			break;
		budget_words(words, sizeof(words), &b);
		scn_output(r, "user %d: %s\n", l.uid[i], words);
		fprintf(l.json, "%s\n    {\"user\": %d", i ? "," : "", l.uid[i]);
		json_budget(l.json, &b);
		fputc('}', l.json);
	}
	fputs("]}", l.json);
	fclose(l.json);
	if (!ret) {
		scn_data(r, json ? json : "{}");
		scn_detail(r, "%lu process%s, %zu user%s", l.procs, l.procs == 1 ? "" : "es",
			   l.nuid, plural(l.nuid));
	}
	free(json);
	free(l.uid);
	return ret;
}

/* --- expect budget, expect user-budget --------------------------------------------------- */

enum { K_LIMIT, K_CHARGED, K_REMAINING, K_REFUSED, K_UNLIMITED, K_AVAILABLE, K_USER,
       K_RLIMIT, K_LOCKED_VM };
static const char *const task_keys[] = {
	"limit", "charged", "remaining", "refused", "unlimited", "available", "user",
	"rlimit", "locked-vm", NULL };
static const char *const user_keys[] = {
	"limit", "charged", "remaining", "refused", "unlimited", NULL };

/* Every key but `unlimited` takes a comparison; `unlimited` none. */
static int key_check(struct scn_parser *p, const struct scn_value *key,
		     const struct scn_value *cmp)
{
	if ((key->index == K_UNLIMITED) == cmp->present)
		return scn_parse_error(p, &key->pos, cmp->present ?
				       "'unlimited' takes no count" :
				       "'%s' takes a count (%s == 1)", task_keys[key->index],
				       task_keys[key->index]);
	return 0;
}

/*
 * Compare key @key of domain @b (named @who) with @cmp.  @avail is what a
 * new owner may pin (process domains), @uid the process's user.  A page
 * count of an unlimited domain (its limit, its remaining pages) cannot be
 * compared: FAIL, saying so.
 */
static int budget_expect(struct scn_run *r, const char *who, const struct pnm_pin_budget_info *b,
			 int key, const struct scn_value *cmp, unsigned long avail, int uid)
{
	unsigned long have;
	char words[128], want[48], what[80];

	budget_words(words, sizeof(words), b);
	if (key == K_UNLIMITED)
		return scn_prop_result(r, b->limit == UNLIM, "%s: %s", who, words);
	switch (key) {
	case K_LIMIT:
		have = b->limit;
		snprintf(what, sizeof(what), "limit %lu page%s", have, plural(have));
		break;
	case K_CHARGED:
		have = b->charged;
		snprintf(what, sizeof(what), "%lu page%s charged", have, plural(have));
		break;
	case K_REMAINING:
		have = b->remaining;
		snprintf(what, sizeof(what), "%lu page%s remaining", have, plural(have));
		break;
	case K_REFUSED:
		have = b->refused;
		snprintf(what, sizeof(what), "%lu pin call%s refused", have, plural(have));
		break;
	case K_AVAILABLE:
		have = avail;
		snprintf(what, sizeof(what), "a new owner may pin %lu more page%s", have,
			 plural(have));
		break;
	case K_RLIMIT:
		have = b->rlimit;
		snprintf(what, sizeof(what), "RLIMIT_MEMLOCK bounds it at %lu page%s", have,
			 plural(have));
		break;
	case K_LOCKED_VM:
		have = b->locked_vm;
		snprintf(what, sizeof(what), "%lu page%s mlocked (locked_vm)", have, plural(have));
		break;
	default:
		have = (unsigned long)uid;
		snprintf(what, sizeof(what), "in user %lu", have);
		break;
	}
	scn_format_cmp(want, sizeof(want), cmp);
	if (have == UNLIM)
		return scn_fail(r, "%s: %s: no limit, so no count to compare (expected %s %s)",
				who, words, task_keys[key], want);
	return scn_prop_result(r, scn_compare(cmp, (long)have), "%s: %s (expected %s %s); %s",
			       who, what, task_keys[key], want, words);
}

static int expect_budget_check(struct scn_parser *p, const struct scn_step *st,
			       const struct scn_value *a)
{
	(void)st;
	return key_check(p, &a[1], &a[2]);
}

static int expect_budget_run(struct scn_run *r, const struct scn_step *st,
			     const struct scn_value *a)
{
	struct pnm_pin_budget_info b = { .size = sizeof(b) };
	struct task_struct *t = scn_task(r, &a[0]);
	unsigned long avail;
	char who[SCN_MAX_NAME + 16];
	int ret;

	(void)st;
	if (!t)
		return SCN_FAILED;
	ret = pnm_pin_budget_get_task(t, &b);
	if (!ret)
		ret = pnm_pin_budget_remaining(t, &avail);
	if (ret) {
		const char *err = pnm_errno_name(-ret);

		return scn_fail(r, "the budget of process %s: cannot tell (%s)", a[0].word,
				err ? err : "error");
	}
	snprintf(who, sizeof(who), "process %s", a[0].word);
	return budget_expect(r, who, &b, a[1].index, &a[2], avail, pnm_task_user(t));
}

static int expect_user_budget_check(struct scn_parser *p, const struct scn_step *st,
				    const struct scn_value *a)
{
	(void)st;
	return uid_check(p, &a[0]) ? -1 : key_check(p, &a[1], &a[2]);
}

static int expect_user_budget_run(struct scn_run *r, const struct scn_step *st,
				  const struct scn_value *a)
{
	struct pnm_pin_budget_info b = { .size = sizeof(b) };
	int uid = (int)a[0].num, ret;
	char who[32];

	(void)st;
	ret = pnm_pin_budget_get_user(uid, &b);
	if (ret) {
		const char *err = pnm_errno_name(-ret);

		return scn_fail(r, "the budget of user %d: cannot tell (%s)", uid,
				err ? err : "error");
	}
	snprintf(who, sizeof(who), "user %d", uid);
	return budget_expect(r, who, &b, a[1].index, &a[2], 0, uid);
}

/* --- the refusal note ------------------------------------------------------------------- */

/*
 * Around every acting step: if a pin budget refused a pin call during it,
 * say so under the step (the call itself only says ENOMEM, which GUP
 * also returns for other reasons).  The scenario machinery is
 * single-threaded, so the value before the step can be a static.
 */
static void budget_step_hook(struct scn_run *r, bool after)
{
	static int item = -1;
	static long before;
	long now;

	if (item < 0)
		item = scn_stat("pnm_pin_budget_refused");
	now = pnm_stat_read(item);
	if (!after) {
		before = now;
		return;
	}
	if (now > before)
		scn_output(r, "budget: %ld long-term pin call%s refused by a pin budget "
			   "(ENOMEM, nothing pinned)\n", now - before, now - before == 1 ? "" : "s");
}

static void __attribute__((constructor)) budget_register_step_hook(void)
{
	scn_register_step_hook(budget_step_hook);
}

/* --- tables ------------------------------------------------------------------------------- */

#define PROCESS_REF	{ .type = SCN_ARG_REF, .name = "process", .ns = SCN_NS_PROCESS }
#define UID		{ .type = SCN_ARG_INT, .name = "user" }
#define LIMIT		{ .type = SCN_ARG_KEYWORD, .name = "unlimited", .flags = SCN_OPTIONAL, \
			  .choices = unlimited_word },				\
			{ .type = SCN_ARG_INT, .name = "pages", .flags = SCN_OPTIONAL }
#define END		{ .type = SCN_ARG_END }

static const char *const unlimited_word[] = { "unlimited", NULL };

static const struct scn_arg user_args[] = { PROCESS_REF, UID, END };
static const struct scn_arg budget_args[] = { PROCESS_REF, LIMIT, END };
static const struct scn_arg user_budget_args[] = { UID, LIMIT, END };
static const struct scn_arg budgets_args[] = {
	{ .type = SCN_ARG_REF, .name = "process", .ns = SCN_NS_PROCESS, .flags = SCN_OPTIONAL },
	END };
static const struct scn_arg expect_budget_args[] = {
	PROCESS_REF, { .type = SCN_ARG_KEYWORD, .name = "key", .choices = task_keys },
	{ .type = SCN_ARG_CMP, .name = "count", .flags = SCN_OPTIONAL }, END };
static const struct scn_arg expect_user_budget_args[] = {
	UID, { .type = SCN_ARG_KEYWORD, .name = "key", .choices = user_keys },
	{ .type = SCN_ARG_CMP, .name = "count", .flags = SCN_OPTIONAL }, END };

#define EXPECT_LOOK	(SCN_EXPECT | SCN_OBSERVE)

static const struct scn_cmd budget_cmds[] = {
	{ .name = "user", .section = "budget", .args = user_args, .run = user_run,
	  .check = user_check,
	  .help = "put the process in user UID (pnm_task_set_user): long-term owners created "
		  "for it from now on charge that user's pin budget; fork children inherit it",
	  .example = "user A 7" },
	{ .name = "budget", .section = "budget", .args = budget_args, .run = budget_run,
	  .check = budget_check,
	  .help = "set the process's pin budget in pages, or unlimited "
		  "(pnm_pin_budget_set_task_limit)",
	  .example = "budget A 16" },
	{ .name = "user-budget", .section = "budget", .args = user_budget_args,
	  .run = user_budget_run, .check = user_budget_check,
	  .help = "set user UID's pin budget in pages, or unlimited "
		  "(pnm_pin_budget_set_user_limit)",
	  .example = "user-budget 7 unlimited" },
	{ .name = "budgets", .section = "inspect", .args = budgets_args, .run = budgets_run,
	  .flags = SCN_OBSERVE,
	  .help = "list the pin budgets of every process (or one) and user: limit, pages "
		  "charged, remaining, refused pin calls, what a new owner may pin",
	  .example = "budgets A" },
	{ .name = "expect budget", .section = "expect", .args = expect_budget_args,
	  .run = expect_budget_run, .check = expect_budget_check, .flags = EXPECT_LOOK,
	  .help = "the process's pin budget: limit, charged, remaining, refused, available (what "
		  "a new owner may pin: the smaller of the process's and its user's remainder), "
		  "user, rlimit (RLIMIT_MEMLOCK's bound in pages), locked-vm (mlocked pages) "
		  "CMP; or unlimited",
	  .example = "expect budget A remaining == 2" },
	{ .name = "expect user-budget", .section = "expect", .args = expect_user_budget_args,
	  .run = expect_user_budget_run, .check = expect_user_budget_check,
	  .flags = EXPECT_LOOK,
	  .help = "user UID's pin budget: limit, charged, remaining, refused CMP; or unlimited",
	  .example = "expect user-budget 7 charged == 3" },
};
SCN_REGISTER(budget_cmds)
