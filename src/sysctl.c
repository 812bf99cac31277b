// SPDX-License-Identifier: MIT
/*
 * sysctl.c - the knobs of pinmm/sysctl.h: a table of named integer or
 * keyword values, read and written as text (Linux's kernel/sysctl.c with
 * its proc_dointvec_minmax handler, and the transparent_hugepage files of
 * mm/huge_memory.c's sysfs group).
 *
 * Where each value lives, and who reads it:
 *   vm.max_map_count       sysctl_max_map_count (here): mmap.c, at mmap
 *                          and at munmap's middle split
 *   vm.memfd_noexec        sysctl_memfd_noexec_scope (here): memfd.c, at
 *                          memfd_create()
 *   transparent_hugepage.enabled, .use_zero_page
 *                          pnm_config.thp, pnm_config.thp_use_zero_page
 *                          (pnm.c): huge_memory.c at every anonymous
 *                          fault in a THP-able area, so that
 *                          pnm_get_config() shows the current values
 *   vm.nr_hugepages, vm.nr_overcommit_hugepages
 *                          the 2 MiB hugetlb pool (hugetlb.c), through
 *                          pnm_hugetlb_set_pages()/_set_overcommit() and
 *                          pnm_hugetlb_get_info(), under hugetlb_lock
 *   transparent_hugepage.hugepages-<size>kB.enabled
 *                          the per-size switches (mthp.c), through
 *                          pnm_thp_set_enabled()/pnm_thp_get_enabled()
 *   transparent_hugepage.khugepaged.max_ptes_{none,swap,shared}
 *                          khugepaged_max_ptes_* (khugepaged.c), read by
 *                          each block's scan
 *
 * Every value kept here is one aligned int-sized (or enum, bool) object
 * written with a relaxed atomic store and read with a relaxed atomic load
 * (READ_ONCE): a knob orders nothing else, and a fault or mmap racing with
 * a write sees the old or the new value, as in Linux.  A write checks the
 * new value alone (no knob depends on another), so no lock is needed
 * either side; the hugetlb and per-size THP knobs go through their
 * owners' calls, which take their own locks.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* Linux's default vm.max_map_count (DEFAULT_MAX_MAP_COUNT). */
#define DEFAULT_MAX_MAP_COUNT	65530

int sysctl_max_map_count = DEFAULT_MAX_MAP_COUNT;
int sysctl_memfd_noexec_scope = MEMFD_NOEXEC_SCOPE_EXEC;

enum knob_kind {
	KNOB_INT,		/* an int of this file or khugepaged.c (@var) */
	KNOB_BOOL,		/* pnm_config.thp_use_zero_page */
	KNOB_THP,		/* pnm_config.thp: a mode word */
	KNOB_MTHP,		/* the switch of folio size @size: a mode word */
	KNOB_NR_HUGEPAGES,	/* the 2 MiB pool's persistent size */
	KNOB_OVERCOMMIT_HUGEPAGES, /* the 2 MiB pool's surplus limit */
};

struct knob {
	const char *name;
	enum knob_kind kind;
	long min, max;			/* the range of a number */
	int *var;			/* KNOB_INT */
	unsigned long size;		/* KNOB_MTHP */
};

#define MTHP_KNOB(kb)							\
	{ "transparent_hugepage.hugepages-" #kb "kB.enabled", KNOB_MTHP, 0, 0,	\
	  NULL, (kb) * 1024UL }
#define KHUGEPAGED_KNOB(which)						\
	{ "transparent_hugepage.khugepaged." #which, KNOB_INT, 0,		\
	  HPAGE_PMD_NR - 1, &khugepaged_##which, 0 }

static const struct knob knobs[] = {
	{ "vm.max_map_count", KNOB_INT, 0, INT_MAX, &sysctl_max_map_count, 0 },
	{ "vm.memfd_noexec", KNOB_INT, MEMFD_NOEXEC_SCOPE_EXEC,
	  MEMFD_NOEXEC_SCOPE_NOEXEC_ENFORCED, &sysctl_memfd_noexec_scope, 0 },
	{ "vm.nr_hugepages", KNOB_NR_HUGEPAGES, 0, LONG_MAX, NULL, 0 },
	{ "vm.nr_overcommit_hugepages", KNOB_OVERCOMMIT_HUGEPAGES, 0, LONG_MAX, NULL, 0 },
	{ "transparent_hugepage.enabled", KNOB_THP, 0, 0, NULL, 0 },
	{ "transparent_hugepage.use_zero_page", KNOB_BOOL, 0, 1, NULL, 0 },
	MTHP_KNOB(16), MTHP_KNOB(32), MTHP_KNOB(64), MTHP_KNOB(128),
	MTHP_KNOB(256), MTHP_KNOB(512), MTHP_KNOB(1024), MTHP_KNOB(2048),
	KHUGEPAGED_KNOB(max_ptes_none),
	KHUGEPAGED_KNOB(max_ptes_swap),
	KHUGEPAGED_KNOB(max_ptes_shared),
};

/* The words of the THP switches, by enum pnm_thp_mode, in the order Linux
 * lists them (the global switch has no "inherit"). */
static const char *const thp_words[] = {
	[PNM_THP_NEVER] = "never",
	[PNM_THP_MADVISE] = "madvise",
	[PNM_THP_ALWAYS] = "always",
	[PNM_THP_INHERIT] = "inherit",
};

/* The knob @name names ('/' may stand for '.'), or NULL. */
static const struct knob *knob_find(const char *name)
{
	size_t i, j, n = strlen(name);

	for (i = 0; i < ARRAY_SIZE(knobs); i++) {
		const char *k = knobs[i].name;

		if (strlen(k) != n)
			continue;
		for (j = 0; j < n; j++)
			if (name[j] != k[j] && !(k[j] == '.' && name[j] == '/'))
				break;
		if (j == n)
			return &knobs[i];
	}
	return NULL;
}

/* The 2 MiB hugetlb pool's counters (it always exists). */
static struct pnm_hugetlb_info hugetlb_2m_info(void)
{
	struct pnm_hugetlb_info hi = { .size = sizeof(hi) };

	if (pnm_hugetlb_get_info(PNM_HUGETLB_2M, &hi))
		memset(&hi, 0, sizeof(hi));
	return hi;
}

/* The knob's current value (an int, a mode, the bool, a pool count). */
static long knob_get(const struct knob *k)
{
	switch (k->kind) {
	case KNOB_INT:
		return READ_ONCE(*k->var);
	case KNOB_THP:
		return (long)READ_ONCE(pnm_config.thp);
	case KNOB_MTHP:
		return pnm_thp_get_enabled(k->size);
	case KNOB_NR_HUGEPAGES:
		return (long)hugetlb_2m_info().nr_hugepages;
	case KNOB_OVERCOMMIT_HUGEPAGES:
		return (long)hugetlb_2m_info().nr_overcommit_hugepages;
	case KNOB_BOOL:
		break;
	}
	return READ_ONCE(pnm_config.thp_use_zero_page);
}

/*
 * Store a value already checked against the knob's range.  0, or the
 * owner's error (none expected: the value was checked).  Writing
 * nr_hugepages sets the pool's target; it reads back what memory allowed,
 * as in Linux.
 */
static int knob_set(const struct knob *k, long v)
{
	long ret;

	switch (k->kind) {
	case KNOB_INT:
		WRITE_ONCE(*k->var, (int)v);
		return 0;
	case KNOB_THP:
		WRITE_ONCE(pnm_config.thp, (enum pnm_thp_mode)v);
		return 0;
	case KNOB_MTHP:
		return pnm_thp_set_enabled(k->size, (enum pnm_thp_mode)v);
	case KNOB_NR_HUGEPAGES:
		ret = pnm_hugetlb_set_pages(PNM_HUGETLB_2M, (unsigned long)v);
		return ret < 0 ? (int)ret : 0;
	case KNOB_OVERCOMMIT_HUGEPAGES:
		return pnm_hugetlb_set_overcommit(PNM_HUGETLB_2M, (unsigned long)v);
	case KNOB_BOOL:
		break;
	}
	WRITE_ONCE(pnm_config.thp_use_zero_page, v != 0);
	return 0;
}

/*
 * Parse @value for @k into *@v: a decimal number in the knob's range
 * (optional sign, as proc_dointvec), or a THP mode word; one trailing
 * newline is allowed.  0 or -EINVAL.
 */
static int knob_parse(const struct knob *k, const char *value, long *v)
{
	size_t n = strlen(value);
	char buf[32], *end;
	unsigned int i;

	if (n && value[n - 1] == '\n')
		n--;
	if (!n || n >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, value, n);
	buf[n] = '\0';
	if (k->kind == KNOB_THP || k->kind == KNOB_MTHP) {
		for (i = 0; i < ARRAY_SIZE(thp_words); i++) {
			if (i == PNM_THP_INHERIT && k->kind == KNOB_THP)
				continue;
			if (!strcmp(buf, thp_words[i])) {
				*v = (long)i;
				return 0;
			}
		}
		return -EINVAL;
	}
	errno = 0;
	*v = strtol(buf, &end, 10);
	if (errno || *end || end == buf || *v < k->min || *v > k->max)
		return -EINVAL;
	return 0;
}

/* pnm_sysctl_write - set a knob (pinmm/sysctl.h).  Lockless. */
int pnm_sysctl_write(const char *name, const char *value)
{
	const struct knob *k;
	long v;
	int err;

	if (!pnm_initialised || !name || !value)
		return -EINVAL;
	k = knob_find(name);
	if (!k)
		return -ENOENT;
	err = knob_parse(k, value, &v);
	if (err)
		return err;
	return knob_set(k, v);
}

/* pnm_sysctl_read - a knob's value as text (pinmm/sysctl.h).  Lockless. */
int pnm_sysctl_read(const char *name, char *buf, size_t size)
{
	const struct knob *k;
	long v;

	if (!pnm_initialised || !name || (!buf && size))
		return -EINVAL;
	k = knob_find(name);
	if (!k)
		return -ENOENT;
	v = knob_get(k);
	if (k->kind == KNOB_MTHP)
		/* Linux's per-size file: four modes, inherit among them. */
		return snprintf(buf, size, "%s%s%s %s%s%s %s%s%s %s%s%s",
				v == PNM_THP_ALWAYS ? "[" : "", "always",
				v == PNM_THP_ALWAYS ? "]" : "",
				v == PNM_THP_INHERIT ? "[" : "", "inherit",
				v == PNM_THP_INHERIT ? "]" : "",
				v == PNM_THP_MADVISE ? "[" : "", "madvise",
				v == PNM_THP_MADVISE ? "]" : "",
				v == PNM_THP_NEVER ? "[" : "", "never",
				v == PNM_THP_NEVER ? "]" : "");
	if (k->kind == KNOB_THP)
		/* Every mode, the current one in brackets, as Linux shows it. */
		return snprintf(buf, size, "%s%s%s %s%s%s %s%s%s",
				v == PNM_THP_ALWAYS ? "[" : "", "always",
				v == PNM_THP_ALWAYS ? "]" : "",
				v == PNM_THP_MADVISE ? "[" : "", "madvise",
				v == PNM_THP_MADVISE ? "]" : "",
				v == PNM_THP_NEVER ? "[" : "", "never",
				v == PNM_THP_NEVER ? "]" : "");
	return snprintf(buf, size, "%ld", v);
}

/* pnm_sysctl_name - the @i-th knob's name (pinmm/sysctl.h). */
const char *pnm_sysctl_name(int i)
{
	if (i < 0 || (size_t)i >= ARRAY_SIZE(knobs))
		return NULL;
	return knobs[i].name;
}

/*
 * pnm_sysctl_init - the knobs kept here back at their defaults for a new
 * model (internal.h; pnm_init() calls it before anything can read them;
 * the THP knobs are pnm_config's own, set from the caller's config).
 */
void pnm_sysctl_init(void)
{
	WRITE_ONCE(sysctl_max_map_count, DEFAULT_MAX_MAP_COUNT);
	WRITE_ONCE(sysctl_memfd_noexec_scope, MEMFD_NOEXEC_SCOPE_EXEC);
	WRITE_ONCE(khugepaged_max_ptes_none, HPAGE_PMD_NR - 1);
	WRITE_ONCE(khugepaged_max_ptes_swap, HPAGE_PMD_NR / 8);
	WRITE_ONCE(khugepaged_max_ptes_shared, HPAGE_PMD_NR / 2);
}
