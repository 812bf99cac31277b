// SPDX-License-Identifier: MIT
/*
 * fault_inject.c - host fault injection (pinmm/fault.h; Linux's
 * lib/fault-inject.c plays the same part for the kernel's own failslab
 * and fail_page_alloc): the model's host allocations and backing-file I/O
 * can be made to fail, the Nth call of a kind or every Nth.
 *
 * The sites.  Every injectable call goes through pnm_should_fail(kind)
 * (internal.h), directly or through the wrappers there: pnm_malloc(),
 * pnm_calloc(), pnm_realloc() for host memory, pnm_ftruncate() and
 * pnm_fallocate() for host file sizes; pread, pwrite and fdatasync of
 * backing files are asked in pnm_host_pread(), pnm_host_pwrite() and
 * pnm_host_sync() (fs/namei.c) and the swap device's I/O (page_io.c);
 * page frames in alloc_pages (page_alloc.c).  docs/faults.md has the
 * table of kinds, sites and the errno each one surfaces as.
 *
 * The fast path.  While nothing is armed and nobody counts, pnm_fault_on
 * is 0 and a site costs one relaxed load and a branch predicted not
 * taken.  Otherwise each site calls pnm_fault_tick(), which numbers its
 * call (an atomic increment, so that concurrent callers get distinct
 * numbers) and compares the number with the kind's arming.
 *
 * Arming.  The numbers a kind's arming names are absolute call numbers:
 * fail_nth(N) arms "call calls+N", fail_every(E, O) "calls after base
 * where (n - base - O) is a positive multiple of E".  Only the caller
 * that drew the Nth number fails, whatever the interleaving; a concurrent
 * re-arm may or may not apply to calls already in flight (tests arm from
 * one thread while quiet).
 *
 * Memory ordering: everything here is a relaxed atomic.  A thread that
 * arms and then calls into the model sees its own stores; another thread
 * may see the arming a few calls late, which only shifts which call fails.
 * Nothing else is published through these fields.
 */
#define _GNU_SOURCE		/* fallocate() on the host */
#include <fcntl.h>
#include <string.h>

#include "internal.h"

/* 0: no kind armed and not counting (the fast path); relaxed atomic. */
int pnm_fault_on;

/* Whether pnm_fault_count(true) asked for counting; relaxed atomic. */
static bool count_on;

/* Per kind: all fields relaxed atomics (see the top of the file). */
struct fault_kind {
	unsigned long calls;	/* calls numbered since the last reset */
	unsigned long injected;	/* failed on purpose */
	unsigned long nth_at;	/* absolute call number to fail, or 0 */
	unsigned long every;	/* 0, or fail every Nth from every_base */
	unsigned long every_base; /* call number at arming + offset */
};

static struct fault_kind kinds[PNM_FAULT_NR_KINDS];

static const char *const kind_names[PNM_FAULT_NR_KINDS] = {
	[PNM_FAULT_VMA]		= "vma",
	[PNM_FAULT_RMAP]	= "rmap",
	[PNM_FAULT_PIN_RECORD]	= "pin-record",
	[PNM_FAULT_XA_NODE]	= "xa-node",
	[PNM_FAULT_PAGE]	= "page",
	[PNM_FAULT_ALLOC]	= "alloc",
	[PNM_FAULT_PREAD]	= "pread",
	[PNM_FAULT_PWRITE]	= "pwrite",
	[PNM_FAULT_FDATASYNC]	= "fdatasync",
	[PNM_FAULT_FTRUNCATE]	= "ftruncate",
	[PNM_FAULT_FALLOCATE]	= "fallocate",
};

static unsigned long load(const unsigned long *p)
{
	return __atomic_load_n(p, __ATOMIC_RELAXED);
}

static void store(unsigned long *p, unsigned long v)
{
	__atomic_store_n(p, v, __ATOMIC_RELAXED);
}

static bool kind_valid(enum pnm_fault_kind kind)
{
	return (unsigned int)kind < PNM_FAULT_NR_KINDS;
}

/* Recompute pnm_fault_on from the arming of every kind and count_on. */
static void fault_update_on(void)
{
	int on = __atomic_load_n(&count_on, __ATOMIC_RELAXED);

	for (int k = 0; k < PNM_FAULT_NR_KINDS && !on; k++)
		on = load(&kinds[k].nth_at) || load(&kinds[k].every);
	__atomic_store_n(&pnm_fault_on, on, __ATOMIC_RELAXED);
}

/*
 * pnm_fault_tick - the slow half of pnm_should_fail() (internal.h): count
 * one call of @kind and say whether it must fail.  Callable from any
 * thread, in any context the site is in (it takes no lock).
 */
bool pnm_fault_tick(enum pnm_fault_kind kind)
{
	struct fault_kind *k = &kinds[kind];
	/* The call's own number; the increment makes it unique. */
	unsigned long n = __atomic_add_fetch(&k->calls, 1, __ATOMIC_RELAXED);
	unsigned long at = load(&k->nth_at), every = load(&k->every);
	bool fail = false;

	if (at && n == at) {
		/* Only the caller that drew @at gets here: disarm. */
		store(&k->nth_at, 0);
		fault_update_on();
		fail = true;
	} else if (every) {
		unsigned long base = load(&k->every_base);

		fail = n > base && (n - base) % every == 0;
	}
	if (fail)
		__atomic_add_fetch(&k->injected, 1, __ATOMIC_RELAXED);
	return fail;
}

/* Fail the @nth call of @kind from now (pinmm/fault.h). */
int pnm_fault_fail_nth(enum pnm_fault_kind kind, unsigned long nth)
{
	if (!kind_valid(kind))
		return -EINVAL;
	store(&kinds[kind].nth_at, nth ? load(&kinds[kind].calls) + nth : 0);
	fault_update_on();
	return 0;
}

/* Fail every @every-th call of @kind from now, phase @offset (pinmm/fault.h). */
int pnm_fault_fail_every(enum pnm_fault_kind kind, unsigned long every, unsigned long offset)
{
	if (!kind_valid(kind) || (every && offset >= every))
		return -EINVAL;
	/* The base before the period, so that a racing tick never sees the
	 * new period with the old base. */
	store(&kinds[kind].every_base, load(&kinds[kind].calls) + offset);
	store(&kinds[kind].every, every);
	fault_update_on();
	return 0;
}

/* Count calls without failing them (pinmm/fault.h). */
void pnm_fault_count(bool on)
{
	__atomic_store_n(&count_on, on, __ATOMIC_RELAXED);
	fault_update_on();
}

/* Disarm every kind, stop counting (pinmm/fault.h). */
void pnm_fault_off(void)
{
	for (int k = 0; k < PNM_FAULT_NR_KINDS; k++) {
		store(&kinds[k].nth_at, 0);
		store(&kinds[k].every, 0);
	}
	pnm_fault_count(false);
}

/* pnm_fault_off() and zero counters (pinmm/fault.h). */
void pnm_fault_reset(void)
{
	pnm_fault_off();
	for (int k = 0; k < PNM_FAULT_NR_KINDS; k++) {
		store(&kinds[k].calls, 0);
		store(&kinds[k].injected, 0);
		store(&kinds[k].every_base, 0);
	}
}

/* The counters of @kind (pinmm/fault.h). */
int pnm_fault_stat(enum pnm_fault_kind kind, struct pnm_fault_stats *st)
{
	const struct fault_kind *k;
	unsigned long at;

	if (!kind_valid(kind) || !st)
		return -EINVAL;
	k = &kinds[kind];
	at = load(&k->nth_at);
	st->calls = load(&k->calls);
	st->injected = load(&k->injected);
	st->nth = at && at > st->calls ? at - st->calls : 0;
	st->every = load(&k->every);
	return 0;
}

/* The short name of @kind, or NULL (pinmm/fault.h). */
const char *pnm_fault_kind_name(enum pnm_fault_kind kind)
{
	return kind_valid(kind) ? kind_names[kind] : NULL;
}

/* The kind named @name, or -EINVAL (pinmm/fault.h). */
int pnm_fault_kind_lookup(const char *name)
{
	for (int k = 0; name && k < PNM_FAULT_NR_KINDS; k++)
		if (!strcmp(name, kind_names[k]))
			return k;
	return -EINVAL;
}

/*
 * pnm_fallocate - fallocate() of a backing file, injectable as
 * PNM_FAULT_FALLOCATE (internal.h): as the host call, -1 with errno EIO
 * when injected.
 */
int pnm_fallocate(int fd, int mode, off_t off, off_t len)
{
	if (pnm_should_fail(PNM_FAULT_FALLOCATE)) {
		errno = EIO;
		return -1;
	}
	return fallocate(fd, mode, off, len);
}
