// SPDX-License-Identifier: MIT
/*
 * scn_views.c - the scenario commands of the per-process views Linux
 * gives in /proc/PID (<pinmm/inspect.h>: pnm_task_smaps,
 * pnm_task_smaps_rollup, pnm_task_pagemap, pnm_task_clear_refs):
 *
 *   smaps PROCESS [REGION|ADDRESS|rollup]
 *                          print the smaps of every mapping, of the one
 *                          at the address, or the rollup, as Linux does
 *   expect smaps PROCESS REGION|ADDRESS|rollup KEY CMP
 *                          a field of that smaps, KEY spelt as Linux
 *                          (Rss, AnonHugePages, THPeligible ...), in bytes
 *                          (numbers take the K/M/G suffixes)
 *   expect pagemap PROCESS ADDRESS [not] PROPERTY
 *                          a bit of the page's pagemap entry: present,
 *                          swapped, exclusive, soft-dirty, file
 *   clear-refs PROCESS soft-dirty|referenced|anon|mapped
 *                          write 4 (soft-dirty), 1, 2 or 3 to clear_refs
 *
 * Names and units are Linux's, so the same expectations can run against
 * a real kernel's /proc/self/smaps and pagemap.  A client of the public
 * API only.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "scn.h"

#define END		{ .type = SCN_ARG_END }

static const char *const rollup_word[] = { "rollup", NULL };

/* --- VmFlags --------------------------------------------------------------------- */

/* Linux's two-letter names of VM_* bits (Linux's values, as pinmm's). */
static const struct { unsigned long bit; const char *name; } vm_flag_names[] = {
	{ 0x00000001UL, "rd" }, { 0x00000002UL, "wr" }, { 0x00000004UL, "ex" },
	{ 0x00000008UL, "sh" }, { 0x00000010UL, "mr" }, { 0x00000020UL, "mw" },
	{ 0x00000040UL, "me" }, { 0x00000080UL, "ms" }, { 0x00000100UL, "gd" },
	{ 0x00000400UL, "pf" }, { 0x00002000UL, "lo" }, { 0x00004000UL, "io" },
	{ 0x00020000UL, "dc" }, { 0x00040000UL, "de" }, { 0x00100000UL, "ac" },
	{ 0x00200000UL, "nr" }, { 0x00400000UL, "ht" }, { 0x08000000UL, "sd" },
	{ 0x10000000UL, "mm" }, { 0x20000000UL, "hg" }, { 0x40000000UL, "nh" },
};

static void vm_flags_words(unsigned long flags, char *buf, size_t size)
{
	size_t n = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < ARRAY_SIZE(vm_flag_names) && n < size; i++)
		if (flags & vm_flag_names[i].bit)
			n += (size_t)snprintf(buf + n, size - n, "%s%s", n ? " " : "",
					      vm_flag_names[i].name);
}

/* --- smaps ------------------------------------------------------------------------- */

/*
 * The smaps view a target value names (a[1]-style: an address, or
 * "rollup"), into @si.  0, SCN_FAILED (detail set), or -errno.
 */
static int smaps_target(struct scn_run *r, struct task_struct *t, const struct scn_value *v,
			struct pnm_smaps_info *si)
{
	unsigned long addr;
	int err;

	si->size = sizeof(*si);
	if (v->index == 1)
		return pnm_task_smaps_rollup(t, si);
	if (scn_addr(r, v, &addr))
		return SCN_FAILED;
	err = pnm_task_smaps(t, addr, si);
	if (err == -ENOENT || (!err && si->start > addr))
		return scn_fail(r, "no mapping at 0x%lx", addr);
	return err;
}

/* Print one view as Linux's smaps text, and as JSON to @json. */
static void smaps_print(struct scn_run *r, struct task_struct *t, const struct pnm_smaps_info *si,
			FILE *json)
{
	struct pnm_vma_info vi = { .size = sizeof(vi) };
	unsigned long f = si->vm_flags;
	const char *name;
	bool vma_too, rollup_too;
	char words[128];

	if (si->rollup) {
		scn_output(r, "%012lx-%012lx ---p 00000000 00:00 0 [rollup]\n", si->start, si->end);
	} else {
		bool named = !pnm_task_vma_next(t, si->start, &vi) && vi.start == si->start;

		scn_output(r, "%012lx-%012lx %c%c%c%c %08llx 00:00 0%s%s\n", si->start, si->end,
			   f & PNM_VM_READ ? 'r' : '-', f & PNM_VM_WRITE ? 'w' : '-',
			   f & PNM_VM_EXEC ? 'x' : '-', f & PNM_VM_SHARED ? 's' : 'p',
			   named ? (unsigned long long)vi.offset : 0ULL,
			   named && vi.file_name[0] ? " " : "",
			   named && vi.file_name[0] ? vi.file_name : "");
	}
	fprintf(json, "{\"start\": %lu, \"end\": %lu, \"rollup\": %s", si->start, si->end,
		si->rollup ? "true" : "false");
	for (unsigned int i = 0; (name = pnm_smaps_field_name(i, &vma_too, &rollup_too)); i++) {
		uint64_t val;

		if (!(si->rollup ? rollup_too : vma_too) || pnm_smaps_field(si, name, &val))
			continue;
		if (!strcmp(name, "VmFlags")) {
			vm_flags_words(f, words, sizeof(words));
			scn_output(r, "VmFlags: %s\n", words);
			fprintf(json, ", \"VmFlags\": ");
			scn_json_str(json, words);
		} else if (!strcmp(name, "THPeligible")) {
			scn_output(r, "%-16s%8llu\n", "THPeligible:", (unsigned long long)val);
			fprintf(json, ", \"THPeligible\": %llu", (unsigned long long)val);
		} else {
			char label[32];

			snprintf(label, sizeof(label), "%s:", name);
			scn_output(r, "%-16s%8llu kB\n", label, (unsigned long long)(val >> 10));
			fprintf(json, ", \"%s\": %llu", name, (unsigned long long)val);
		}
	}
	fputc('}', json);
}

static int smaps_run(struct scn_run *r, const struct scn_step *st, const struct scn_value *a)
{
	struct task_struct *t = scn_task(r, &a[0]);
	struct pnm_smaps_info si;
	char *json = NULL;
	size_t json_len = 0;
	unsigned long addr = 0, n = 0;
	FILE *js;
	int err = 0;

	(void)st;
	if (!t)
		return SCN_FAILED;
	js = open_memstream(&json, &json_len);
	if (!js)
		return -ENOMEM;
	fputs("{\"smaps\": [", js);
	if (a[1].present) {
		err = smaps_target(r, t, &a[1], &si);
		if (!err) {
			smaps_print(r, t, &si, js);
			n = 1;
		}
	} else {
		si.size = sizeof(si);
		while (!(err = pnm_task_smaps(t, addr, &si))) {
			if (n++)
				fputs(", ", js);
			smaps_print(r, t, &si, js);
			addr = si.end;
			si.size = sizeof(si);
		}
		if (err == -ENOENT)
			err = 0;
	}
	fputs("]}", js);
	fclose(js);
	if (!err) {
		scn_data(r, json ? json : "{}");
		if (!a[1].present)
			scn_detail(r, "%lu mapping%s", n, n == 1 ? "" : "s");
	}
	free(json);
	return err;
}

/* KEY must be a field of the view it names (the rollup lacks Size ...). */
static int expect_smaps_check(struct scn_parser *p, const struct scn_step *st,
			      const struct scn_value *a)
{
	bool rollup = a[1].index == 1, vma_too, rollup_too;
	const char *name, *best = NULL;
	unsigned int best_d = ~0u;

	(void)st;
	for (unsigned int i = 0; (name = pnm_smaps_field_name(i, &vma_too, &rollup_too)); i++) {
		unsigned int d;

		if (!strcmp(name, a[2].word)) {
			if (!strcmp(name, "VmFlags"))
				return scn_parse_error(p, &a[2].pos, "VmFlags is not a number "
						       "(print it with 'smaps')");
			if (rollup ? !rollup_too : !vma_too)
				return scn_parse_error(p, &a[2].pos, "%s has no field %s "
						       "(Linux shows it only in %s)",
						       rollup ? "smaps_rollup" : "a mapping's smaps",
						       name, rollup ? "smaps" : "smaps_rollup");
			return 0;
		}
		d = scn_edit_distance(name, a[2].word);
		if (d < best_d) {
			best_d = d;
			best = name;
		}
	}
	if (best && best_d <= 3)
		return scn_parse_error(p, &a[2].pos, "unknown smaps field '%s' (did you mean %s? "
				       "fields are spelt as in Linux's smaps)", a[2].word, best);
	return scn_parse_error(p, &a[2].pos, "unknown smaps field '%s' (Rss, Pss, "
			       "AnonHugePages, Swap ...: spelt as in Linux's smaps)", a[2].word);
}

static int expect_smaps_run(struct scn_run *r, const struct scn_step *st,
			    const struct scn_value *a)
{
	struct task_struct *t = scn_task(r, &a[0]);
	struct pnm_smaps_info si;
	uint64_t val;
	char want[48];
	int err;

	(void)st;
	if (!t)
		return SCN_FAILED;
	err = smaps_target(r, t, &a[1], &si);
	if (err)
		return err;
	err = pnm_smaps_field(&si, a[2].word, &val);
	if (err)
		return scn_fail(r, "no field %s here", a[2].word);
	scn_format_cmp(want, sizeof(want), &a[3]);
	if (!strcmp(a[2].word, "THPeligible")) {
		if (!scn_compare(&a[3], (long)val))
			return scn_fail(r, "THPeligible is %llu; expected %s",
					(unsigned long long)val, want);
		scn_detail(r, "THPeligible is %llu", (unsigned long long)val);
		return 0;
	}
	if (!scn_compare(&a[3], (long)val))
		return scn_fail(r, "%s is %llu (%llu kB); expected %s", a[2].word,
				(unsigned long long)val, (unsigned long long)(val >> 10), want);
	scn_detail(r, "%s is %llu (%llu kB)", a[2].word, (unsigned long long)val,
		   (unsigned long long)(val >> 10));
	return 0;
}

/* --- pagemap ----------------------------------------------------------------------- */

static const char *const pm_words[] = { "present", "swapped", "exclusive", "soft-dirty",
					"file", NULL };
static const uint64_t pm_bits[] = { PNM_PM_PRESENT, PNM_PM_SWAP, PNM_PM_MMAP_EXCLUSIVE,
				    PNM_PM_SOFT_DIRTY, PNM_PM_FILE };

/* The entry in words: "present pfn 0x123 exclusive soft-dirty". */
static void pm_describe(uint64_t e, char *buf, size_t size)
{
	size_t n;

	if (e & PNM_PM_PRESENT)
		n = (size_t)snprintf(buf, size, "present pfn 0x%llx",
				     (unsigned long long)(e & PNM_PM_PFN_MASK));
	else if (e & PNM_PM_SWAP)
		n = (size_t)snprintf(buf, size, "swapped type %llu offset 0x%llx",
				     (unsigned long long)(e & PNM_PM_SWAP_TYPE_MASK),
				     (unsigned long long)((e & PNM_PM_PFN_MASK) >>
							  PNM_PM_SWAP_OFFSET_SHIFT));
	else
		n = (size_t)snprintf(buf, size, "not present");
	for (size_t i = 2; i < ARRAY_SIZE(pm_bits) && n < size; i++)
		if (e & pm_bits[i])
			n += (size_t)snprintf(buf + n, size - n, " %s", pm_words[i]);
	if (n < size)
		snprintf(buf + n, size - n, " (0x%016llx)", (unsigned long long)e);
}

static int expect_pagemap_run(struct scn_run *r, const struct scn_step *st,
			      const struct scn_value *a)
{
	struct task_struct *t = scn_task(r, &a[0]);
	bool negate = a[2].present, set;
	unsigned long addr;
	uint64_t e;
	char desc[160];
	int err;

	(void)st;
	if (!t || scn_addr(r, &a[1], &addr))
		return SCN_FAILED;
	err = pnm_task_pagemap(t, addr, &e, 1);
	if (err)
		return err;
	set = e & pm_bits[a[3].index];
	pm_describe(e, desc, sizeof(desc));
	if (set == negate)
		return scn_fail(r, "page 0x%lx is %s%s: %s", addr & ~(PNM_PAGE_SIZE - 1),
				set ? "" : "not ", pm_words[a[3].index], desc);
	scn_detail(r, "%s", desc);
	return 0;
}

/* --- clear_refs ---------------------------------------------------------------------- */

static const char *const clear_refs_words[] = { "soft-dirty", "referenced", "anon", "mapped",
						NULL };
static const enum pnm_clear_refs clear_refs_types[] = {
	PNM_CLEAR_REFS_SOFT_DIRTY, PNM_CLEAR_REFS_ALL, PNM_CLEAR_REFS_ANON,
	PNM_CLEAR_REFS_MAPPED,
};

static int clear_refs_run(struct scn_run *r, const struct scn_step *st, const struct scn_value *a)
{
	struct task_struct *t = scn_task(r, &a[0]);
	enum pnm_clear_refs type;
	int err;

	(void)st;
	if (!t)
		return SCN_FAILED;
	type = clear_refs_types[a[1].index];
	err = pnm_task_clear_refs(t, type);
	if (!err)
		scn_detail(r, "echo %d > clear_refs", (int)type);
	return err;
}

/* --- tables ----------------------------------------------------------------------------- */

#define TASK(n)		{ .type = SCN_ARG_REF, .name = n, .ns = SCN_NS_PROCESS }

static const struct scn_arg smaps_args[] = {
	TASK("process"),
	{ .type = SCN_ARG_ADDR, .name = "address", .flags = SCN_OPTIONAL,
	  .choices = rollup_word },
	END };
static const struct scn_arg expect_smaps_args[] = {
	TASK("process"),
	{ .type = SCN_ARG_ADDR, .name = "address", .choices = rollup_word },
	{ .type = SCN_ARG_WORD, .name = "field" },
	{ .type = SCN_ARG_CMP, .name = "bytes" },
	END };
static const struct scn_arg expect_pagemap_args[] = {
	TASK("process"), { .type = SCN_ARG_ADDR, .name = "address" },
	{ .type = SCN_ARG_LITERAL, .name = "not", .flags = SCN_OPTIONAL },
	{ .type = SCN_ARG_KEYWORD, .name = "property", .choices = pm_words },
	END };
static const struct scn_arg clear_refs_args[] = {
	TASK("process"), { .type = SCN_ARG_KEYWORD, .name = "what", .choices = clear_refs_words },
	END };

static const struct scn_cmd views_cmds[] = {
	{ .name = "smaps", .section = "inspect", .args = smaps_args, .run = smaps_run,
	  .flags = SCN_OBSERVE,
	  .help = "print a process's smaps as Linux's /proc/PID/smaps: every mapping, the "
		  "one at an address, or the rollup (smaps_rollup)",
	  .example = "smaps A buf" },
	{ .name = "expect smaps", .section = "expect", .args = expect_smaps_args,
	  .flags = SCN_EXPECT | SCN_OBSERVE, .run = expect_smaps_run,
	  .check = expect_smaps_check,
	  .help = "a field of the smaps of the mapping at the address (or of the rollup), "
		  "named as in Linux, in bytes (THPeligible: 0 or 1)",
	  .example = "expect smaps A buf AnonHugePages == 2M" },
	{ .name = "expect pagemap", .section = "expect", .args = expect_pagemap_args,
	  .flags = SCN_EXPECT | SCN_OBSERVE, .run = expect_pagemap_run,
	  .help = "a bit of the page's /proc/PID/pagemap entry: present (63), swapped (62), "
		  "file (61: a file page or shared anon), exclusive (56: mapped once), "
		  "soft-dirty (55); 'not' negates",
	  .example = "expect pagemap A buf soft-dirty" },
	{ .name = "clear-refs", .section = "memory", .args = clear_refs_args,
	  .run = clear_refs_run,
	  .help = "write to the process's clear_refs: soft-dirty (4: clear the soft-dirty "
		  "bits and write-protect), referenced (1), anon (2), mapped (3)",
	  .example = "clear-refs A soft-dirty" },
};
SCN_REGISTER(views_cmds)
