/* SPDX-License-Identifier: MIT */
/*
 * scn_memfd.c - the scenario commands of memfds, their seals, pinning
 * them by file offset, and secretmem (<pinmm/memfd.h>, memfd_pin_folios()
 * of <pinmm/gup.h>).
 *
 *   memfd F [cloexec] [allow-sealing] [exec] [noexec-seal] [hugetlb]
 *           [huge=2M|1G] [size=N] [name="TEXT"] [flags=N]
 *                                   memfd_create(2), named F in the file
 *                                   namespace (every file command takes
 *                                   it); size= ftruncates it
 *   secretmem F [cloexec] [size=N] [flags=N]
 *                                   memfd_secret(2), likewise
 *   seal F SEAL... [raw=N]          fcntl(F_ADD_SEALS): seal, shrink,
 *                                   grow, write, future-write, exec
 *   cloexec F on|off                fcntl(F_SETFD)
 *   memfd-pin F START END [max=N] [as NAME]
 *                                   memfd_pin_folios() of the bytes
 *                                   [START, END] (END inclusive): a pin
 *                                   the pin commands take (unpin with
 *                                   api=unpin_folios, dma, expect pin,
 *                                   expect pinned)
 *   expect seals F SEAL...|none     F_GET_SEALS is exactly that set
 *   expect cloexec F on|off         fcntl(F_GETFD)
 *   expect memfd-offset PIN CMP     memfd_pin_folios()'s *offset
 *   page property: secret           out of the direct map (secretmem)
 *
 * Calls go through the public API only.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include "scn.h"

#define NS_FILE		SCN_NS_FILE
#define NS_MEMFD_PIN	"memfd-pin"
#define PIN_MAX_FOLIOS	(1UL << 18)	/* all the model's pages */

/* --- memfd and secretmem --------------------------------------------------------------- */

enum { MF_CLOEXEC, MF_ALLOW_SEALING, MF_EXEC, MF_NOEXEC_SEAL, MF_HUGETLB };
static const char *const memfd_words[] = {
	"cloexec", "allow-sealing", "exec", "noexec-seal", "hugetlb", NULL,
};
static const unsigned int memfd_values[] = {
	PNM_MFD_CLOEXEC, PNM_MFD_ALLOW_SEALING, PNM_MFD_EXEC, PNM_MFD_NOEXEC_SEAL,
	PNM_MFD_HUGETLB,
};
enum { MO_SIZE = 1, MO_NAME, MO_FLAGS, MO_HUGE };	/* value slots after the bits */
static const struct scn_option memfd_opts[] = {
	{ "size", SCN_ARG_LEN, NULL, NULL },
	{ "name", SCN_ARG_STRING, NULL, NULL },
	{ "flags", SCN_ARG_INT, NULL, NULL },
	{ "huge", SCN_ARG_LEN, NULL, NULL },
	{ NULL, 0, NULL, NULL },
};
static const char *const secret_words[] = { "cloexec", NULL };
static const struct scn_option secret_opts[] = {
	{ "size", SCN_ARG_LEN, NULL, NULL },
	{ "flags", SCN_ARG_INT, NULL, NULL },
	{ NULL, 0, NULL, NULL },
};
enum { SO_SIZE = 1, SO_FLAGS };

static int memfd_check(struct scn_parser *p, const struct scn_step *st, const struct scn_value *a)
{
	const struct scn_value *f = &a[1];
	bool memfd = !strcmp(st->cmd->name, "memfd");
	int flags_slot = memfd ? MO_FLAGS : SO_FLAGS, size_slot = memfd ? MO_SIZE : SO_SIZE;

	if (f[flags_slot].present && f[flags_slot].num > UINT32_MAX)
		return scn_parse_error(p, &f[flags_slot].pos, "flags= is a 32-bit value");
	if (f[size_slot].present && f[size_slot].num > (uint64_t)PNM_MAX_FILE_SIZE)
		return scn_parse_error(p, &f[size_slot].pos,
				       "size= exceeds the largest file the model accepts (1T)");
	if (memfd && f[MO_NAME].present && memchr(f[MO_NAME].data, '\0', f[MO_NAME].len))
		return scn_parse_error(p, &f[MO_NAME].pos, "a name cannot contain a NUL byte");
	if (memfd && f[MO_HUGE].present) {
		if (!(f->num & BIT(MF_HUGETLB)))
			return scn_parse_error(p, &f[MO_HUGE].pos, "huge= is the page size of a "
					       "hugetlb memfd: give hugetlb too");
		if (f[MO_HUGE].num != PNM_HUGETLB_2M && f[MO_HUGE].num != PNM_HUGETLB_1G)
			return scn_parse_error(p, &f[MO_HUGE].pos,
					       "hugetlb page sizes are 2M and 1G");
	}
	return 0;
}

/* Register @file as @name and size it; the detail says what it is. */
static int memfd_register(struct scn_run *r, const char *name, struct file *file,
			  const struct scn_value *size, const char *what)
{
	int ret, seals;

	if (scn_file_add(r, name, file)) {
		pnm_file_close(file);
		return -ENOMEM;
	}
	if (size->present) {
		ret = pnm_file_truncate(file, (int64_t)size->num);
		if (ret) {
			scn_detail(r, "ftruncate to size= %llu", (unsigned long long)size->num);
			return ret;
		}
	}
	seals = pnm_file_fcntl(file, PNM_F_GET_SEALS, 0);
	scn_detail(r, "%s, size %lld, seals %#x%s", what, (long long)pnm_file_size(file),
		   seals < 0 ? 0 : seals,
		   pnm_file_fcntl(file, PNM_F_GETFD, 0) == PNM_FD_CLOEXEC ? ", FD_CLOEXEC" : "");
	return 0;
}

static int memfd_run(struct scn_run *r, const struct scn_step *st, const struct scn_value *a)
{
	const struct scn_value *f = &a[1];
	const char *name = f[MO_NAME].present ? (const char *)f[MO_NAME].data : a[0].word;
	unsigned int flags = 0;
	struct file *file;
	int ret;

	for (size_t i = 0; i < ARRAY_SIZE(memfd_values); i++)
		if (f->num & BIT(i))
			flags |= memfd_values[i];
	if (f[MO_FLAGS].present)
		flags |= (unsigned int)f[MO_FLAGS].num;
	/* MFD_HUGE_1GB (the MAP_HUGE_* encoding); 2M is the default. */
	if (f[MO_HUGE].present && f[MO_HUGE].num == PNM_HUGETLB_1G)
		flags |= PNM_MFD_HUGE_1GB;
	ret = pnm_memfd_create(name, flags, &file);
	if (ret)
		return ret;
	return memfd_register(r, a[0].word, file, &f[MO_SIZE],
			      (flags & PNM_MFD_HUGETLB) ? "hugetlb memfd" : "memfd");
}

static int secretmem_run(struct scn_run *r, const struct scn_step *st, const struct scn_value *a)
{
	const struct scn_value *f = &a[1];
	unsigned int flags = (f->num & 1) ? O_CLOEXEC : 0;
	struct file *file;
	int ret;

	if (f[SO_FLAGS].present)
		flags |= (unsigned int)f[SO_FLAGS].num;
	ret = pnm_memfd_secret(flags, &file);
	if (ret)
		return ret;
	return memfd_register(r, a[0].word, file, &f[SO_SIZE], "secretmem");
}

/* --- seals ---------------------------------------------------------------------------- */

static const char *const seal_words[] = {
	"seal", "shrink", "grow", "write", "future-write", "exec", NULL,
};
static const unsigned int seal_values[] = {
	PNM_F_SEAL_SEAL, PNM_F_SEAL_SHRINK, PNM_F_SEAL_GROW, PNM_F_SEAL_WRITE,
	PNM_F_SEAL_FUTURE_WRITE, PNM_F_SEAL_EXEC,
};
static const struct scn_option seal_opts[] = {
	{ "raw", SCN_ARG_INT, NULL, NULL },
	{ NULL, 0, NULL, NULL },
};

static unsigned int seal_bits(const struct scn_value *f)
{
	unsigned int s = 0;

	for (size_t i = 0; i < ARRAY_SIZE(seal_values); i++)
		if (f->num & BIT(i))
			s |= seal_values[i];
	return s;
}

/* "shrink|write" for details ("none" for 0). */
static void seal_names(char *buf, size_t size, unsigned int s)
{
	size_t o = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < ARRAY_SIZE(seal_values) && o < size; i++)
		if (s & seal_values[i])
			o += (size_t)snprintf(buf + o, size - o, "%s%s", o ? "|" : "", seal_words[i]);
	if (s & ~(PNM_F_SEAL_SEAL | PNM_F_SEAL_SHRINK | PNM_F_SEAL_GROW | PNM_F_SEAL_WRITE |
		  PNM_F_SEAL_FUTURE_WRITE | PNM_F_SEAL_EXEC) && o < size)
		snprintf(buf + o, size - o, "%s%#x", o ? "|" : "", s);
	else if (!s)
		snprintf(buf, size, "none");
}

static int seal_check(struct scn_parser *p, const struct scn_step *st, const struct scn_value *a)
{
	const struct scn_value *f = &a[1];

	if (!f->num && !f[1].present)
		return scn_parse_error(p, &f->pos, "give the seals to add (%s), or raw=N",
				       "seal, shrink, grow, write, future-write, exec");
	return 0;
}

static int seal_run(struct scn_run *r, const struct scn_step *st, const struct scn_value *a)
{
	struct file *file = scn_file(r, &a[0]);
	unsigned long s = seal_bits(&a[1]);
	char names[96];
	int ret;

	if (!file)
		return SCN_FAILED;
	if (a[2].present)
		s |= (unsigned long)a[2].num;
	ret = pnm_file_fcntl(file, PNM_F_ADD_SEALS, s);
	if (ret)
		return ret;
	ret = pnm_file_fcntl(file, PNM_F_GET_SEALS, 0);
	seal_names(names, sizeof(names), ret < 0 ? 0 : (unsigned int)ret);
	scn_detail(r, "seals now %s", names);
	return 0;
}

static int expect_seals_check(struct scn_parser *p, const struct scn_step *st,
			      const struct scn_value *a)
{
	if (a[1].present && a[2].num)
		return scn_parse_error(p, &a[1].pos, "'none' with seals");
	if (!a[1].present && !a[2].num)
		return scn_parse_error(p, &a[2].pos, "give the seals expected, or none");
	return 0;
}

static int expect_seals_run(struct scn_run *r, const struct scn_step *st,
			    const struct scn_value *a)
{
	struct file *file = scn_file(r, &a[0]);
	unsigned int want = seal_bits(&a[2]);
	char have_s[96], want_s[96];
	int have;

	if (!file)
		return SCN_FAILED;
	have = pnm_file_fcntl(file, PNM_F_GET_SEALS, 0);
	if (have < 0) {
		const char *e = pnm_errno_name(-have);

		return scn_fail(r, "F_GET_SEALS failed with %s (no seals on this file)",
				e ? e : "?");
	}
	seal_names(have_s, sizeof(have_s), (unsigned int)have);
	seal_names(want_s, sizeof(want_s), want);
	return scn_prop_result(r, (unsigned int)have == want, "seals %s (expected %s)", have_s,
			       want_s);
}

/* --- FD_CLOEXEC ------------------------------------------------------------------------ */

static const char *const on_off_words[] = { "on", "off", NULL };

static int cloexec_run(struct scn_run *r, const struct scn_step *st, const struct scn_value *a)
{
	struct file *file = scn_file(r, &a[0]);

	if (!file)
		return SCN_FAILED;
	return pnm_file_fcntl(file, PNM_F_SETFD, a[1].index == 0 ? PNM_FD_CLOEXEC : 0);
}

static int expect_cloexec_run(struct scn_run *r, const struct scn_step *st,
			      const struct scn_value *a)
{
	struct file *file = scn_file(r, &a[0]);
	int fl;

	if (!file)
		return SCN_FAILED;
	fl = pnm_file_fcntl(file, PNM_F_GETFD, 0);
	return scn_prop_result(r, (fl == PNM_FD_CLOEXEC) == (a[1].index == 0), "FD_CLOEXEC %s",
			       fl == PNM_FD_CLOEXEC ? "set" : "clear");
}

/* --- memfd-pin -------------------------------------------------------------------------- */

/* What a memfd-pin step returned beside its folios (NS_MEMFD_PIN). */
struct memfd_pin_note {
	unsigned long offset;
	long ret;
};

static void note_release(struct scn_run *r, void *obj)
{
	free(obj);
}

static const struct scn_option mpin_opts[] = {
	{ "max", SCN_ARG_INT, NULL, NULL },
	{ NULL, 0, NULL, NULL },
};
/* Value slots: file, start, end, the options' bits, max=, "as", name. */
enum { MP_MAX = 4, MP_NAME = 6 };

static int mpin_check(struct scn_parser *p, const struct scn_step *st, const struct scn_value *a)
{
	const struct scn_value *max = &a[MP_MAX];

	if (max->present && max->num > PIN_MAX_FOLIOS)
		return scn_parse_error(p, &max->pos, "at most %lu folios per call",
				       PIN_MAX_FOLIOS);
	return 0;
}

static int mpin_run(struct scn_run *r, const struct scn_step *st, const struct scn_value *a)
{
	struct file *file = scn_file(r, &a[0]);
	int64_t start = (int64_t)a[1].num, end = (int64_t)a[2].num;
	unsigned long max, off = 0, i;
	struct memfd_pin_note *note;
	char name[SCN_MAX_NAME + 16];
	struct folio **folios;
	struct page **heads;
	long ret;
	int err;

	if (!file)
		return SCN_FAILED;
	/* Default: room for every page of the range (at most the model's). */
	max = a[MP_MAX].present ? (unsigned long)a[MP_MAX].num :
	      (unsigned long)((end >> PNM_PAGE_SHIFT) - (start >> PNM_PAGE_SHIFT) + 1);
	if (end < start)
		max = 1;
	if (max > PIN_MAX_FOLIOS)
		max = PIN_MAX_FOLIOS;
	if (a[MP_NAME].present)
		snprintf(name, sizeof(name), "%s", a[MP_NAME].word);
	else
		snprintf(name, sizeof(name), "@%u", st->pos.line);	/* not a valid name */
	folios = calloc(max ? max : 1, sizeof(*folios));
	heads = calloc(max ? max : 1, sizeof(*heads));
	note = calloc(1, sizeof(*note));
	if (!folios || !heads || !note) {
		free(folios);
		free(heads);
		free(note);
		return -ENOMEM;
	}
	pnm_gup_set_call_site(st->pos.file, (int)st->pos.line, "memfd-pin");
	ret = (memfd_pin_folios)(file, start, end, folios, (unsigned int)max, &off);
	for (i = 0; ret > 0 && i < (unsigned long)ret; i++)
		heads[i] = folio_page(folios[i], 0);
	err = scn_pin_adopt(r, name, a[0].word, "memfd_pin_folios", (unsigned long)start, heads,
			    max, ret);
	if (err) {
		if (ret > 0)
			unpin_folios(folios, (unsigned long)ret);
		free(folios);
		free(heads);
		free(note);
		return err == -EEXIST ? scn_fail(r, "pin %s exists already", name) : err;
	}
	note->offset = off;
	note->ret = ret;
	if (scn_obj_add(r, NS_MEMFD_PIN, name, note, note_release))
		free(note);
	free(folios);
	free(heads);
	if (ret < 0)
		return (int)ret;
	scn_detail(r, "pinned %ld folio%s of %s from offset %lld (offset in the first %lu)%s",
		   ret, ret == 1 ? "" : "s", a[0].word, (long long)start, off,
		   ret ? "" : ": none");
	return 0;
}

static int expect_offset_run(struct scn_run *r, const struct scn_step *st,
			     const struct scn_value *a)
{
	struct memfd_pin_note *note = scn_obj_find(r, NS_MEMFD_PIN, a[0].word);
	char want[48];

	if (!note)
		return scn_fail(r, "%s was not taken by memfd-pin", a[0].word);
	if (note->ret <= 0)
		return scn_fail(r, "memfd_pin_folios returned %ld: no offset", note->ret);
	scn_format_cmp(want, sizeof(want), &a[1]);
	return scn_prop_result(r, scn_compare(&a[1], (long)note->offset),
			       "offset %lu in the first folio (expected %s)", note->offset, want);
}

/* --- the page property ------------------------------------------------------------------ */

static int prop_secret(struct scn_run *r, void *subject, const struct scn_value *a)
{
	struct scn_page_info *pi = subject;
	bool s;

	if (!pi->present)
		return -ENOENT;
	s = pi->frame.flags & PNM_PAGE_SECRET;
	return scn_prop_result(r, s, "pfn 0x%lx %s", pi->pfn,
			       s ? "is out of the direct map (secretmem)" : "is in the direct map");
}

/* --- the tables --------------------------------------------------------------------------- */

#define END		{ .type = SCN_ARG_END }
#define FILE_REF(n)	{ .type = SCN_ARG_REF, .name = n, .ns = NS_FILE }

static const struct scn_arg memfd_args[] = {
	{ .type = SCN_ARG_DEF, .name = "name", .ns = NS_FILE },
	{ .type = SCN_ARG_FLAGS, .name = "flag", .choices = memfd_words, .options = memfd_opts },
	END };
static const struct scn_arg secret_args[] = {
	{ .type = SCN_ARG_DEF, .name = "name", .ns = NS_FILE },
	{ .type = SCN_ARG_FLAGS, .name = "flag", .choices = secret_words, .options = secret_opts },
	END };
static const struct scn_arg seal_args[] = {
	FILE_REF("file"),
	{ .type = SCN_ARG_FLAGS, .name = "seal", .choices = seal_words, .options = seal_opts },
	END };
static const char *const none_word[] = { "none", NULL };
static const struct scn_arg expect_seals_args[] = {
	FILE_REF("file"),
	{ .type = SCN_ARG_KEYWORD, .name = "none", .choices = none_word, .flags = SCN_OPTIONAL },
	{ .type = SCN_ARG_FLAGS, .name = "seal", .choices = seal_words }, END };
static const struct scn_arg cloexec_args[] = {
	FILE_REF("file"), { .type = SCN_ARG_KEYWORD, .name = "state", .choices = on_off_words },
	END };
static const struct scn_arg mpin_args[] = {
	FILE_REF("file"), { .type = SCN_ARG_LEN, .name = "start" },
	{ .type = SCN_ARG_LEN, .name = "end" },
	{ .type = SCN_ARG_FLAGS, .name = "option", .options = mpin_opts },
	{ .type = SCN_ARG_LITERAL, .name = "as", .flags = SCN_OPTIONAL },
	{ .type = SCN_ARG_DEF, .name = "name", .ns = SCN_NS_PIN, .flags = SCN_OPTIONAL },
	END };
static const struct scn_arg expect_offset_args[] = {
	{ .type = SCN_ARG_REF, .name = "pin", .ns = SCN_NS_PIN },
	{ .type = SCN_ARG_CMP, .name = "offset" }, END };
static const struct scn_arg none_args[] = { END };

#define EXPECT_LOOK	(SCN_EXPECT | SCN_OBSERVE)

static const struct scn_cmd memfd_cmds[] = {
	{ .name = "memfd", .section = "files", .args = memfd_args, .run = memfd_run,
	  .check = memfd_check,
	  .help = "memfd_create(2): a shmem file named in the file namespace (cloexec, "
		  "allow-sealing, exec, noexec-seal, hugetlb: MFD_*; flags= raw bits); hugetlb: "
		  "a hugetlbfs file of huge=2M (default) or 1G pages; size= ftruncates it, name= "
		  "is its label",
	  .example = "memfd M allow-sealing size=16K" },
	{ .name = "secretmem", .section = "files", .args = secret_args, .run = secretmem_run,
	  .check = memfd_check,
	  .help = "memfd_secret(2): a file whose pages leave the direct map; MAP_SHARED only, "
		  "locked, refused by GUP; size= sets its size (once)",
	  .example = "secretmem S size=8K" },
	{ .name = "seal", .section = "files", .args = seal_args, .run = seal_run,
	  .check = seal_check,
	  .help = "fcntl(F_ADD_SEALS): seal, shrink, grow, write, future-write, exec (raw=N: "
		  "bits OR-ed in); EBUSY for write while a shared writable mapping or a pin "
		  "exists, EPERM once sealed or without write access",
	  .example = "seal M shrink grow" },
	{ .name = "cloexec", .section = "files", .args = cloexec_args, .run = cloexec_run,
	  .help = "fcntl(F_SETFD): FD_CLOEXEC on or off", .example = "cloexec M off" },
	{ .name = "memfd-pin", .section = "pins", .args = mpin_args, .run = mpin_run,
	  .check = mpin_check,
	  .help = "memfd_pin_folios() of the bytes [start, end] of a shmem file (end "
		  "inclusive; max= folios, default the range's pages): one long-term pin per "
		  "folio, allocating missing pages, moving movable ones; a pin for unpin "
		  "(api=unpin_folios), dma and expect pin",
	  .example = "memfd-pin M 0 16K-1 as P" },
	{ .name = "expect seals", .section = "expect", .args = expect_seals_args,
	  .run = expect_seals_run, .check = expect_seals_check, .flags = EXPECT_LOOK,
	  .help = "F_GET_SEALS gives exactly these seals (or none)",
	  .example = "expect seals M shrink grow" },
	{ .name = "expect cloexec", .section = "expect", .args = cloexec_args,
	  .run = expect_cloexec_run, .flags = EXPECT_LOOK,
	  .help = "FD_CLOEXEC of the file (fcntl F_GETFD)", .example = "expect cloexec M on" },
	{ .name = "expect memfd-offset", .section = "expect", .args = expect_offset_args,
	  .run = expect_offset_run, .flags = EXPECT_LOOK,
	  .help = "memfd_pin_folios()'s *offset: the start's offset in the first folio",
	  .example = "expect memfd-offset P == 100" },
};
SCN_REGISTER(memfd_cmds)

static const struct scn_cmd memfd_page_props[] = {
	{ .name = "secret", .family = "page-property", .args = none_args, .test = prop_secret,
	  .help = "the frame is out of the kernel's direct map (a secretmem page)" },
};
SCN_REGISTER(memfd_page_props)
