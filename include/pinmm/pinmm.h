/* SPDX-License-Identifier: MIT */
/*
 * pinmm.h - umbrella header and system lifetime.
 *
 * pinmm is a userspace model of the Linux memory manager and its page
 * pinning (FOLL_PIN) system.  One model instance exists per process:
 * pnm_init() builds the arena, zones and zero page; pnm_fini() tears it
 * down after every modelled process has exited.
 */
#ifndef PINMM_PINMM_H
#define PINMM_PINMM_H

#include <pinmm/mm.h>
#include <pinmm/rmap.h>
#include <pinmm/huge_mm.h>
#include <pinmm/migrate.h>
#include <pinmm/vmstat.h>
#include <pinmm/sched.h>
#include <pinmm/uaccess.h>
#include <pinmm/gup.h>
#include <pinmm/pagemap.h>
#include <pinmm/writeback.h>
#include <pinmm/fs.h>

#define PINMM_VERSION "0.1.0"

/*
 * How writeback treats a page that may be pinned (folio_maybe_dma_pinned):
 * a device may be writing it while it is written out.
 */
enum pnm_wb_policy {
	/* Beyond Linux (default): write a maybe-pinned page from a bounce
	 * copy and leave it dirty, with its block state, until unpinned;
	 * background writeback skips it.  The file always gets a stable
	 * snapshot and the device's later writes are never lost. */
	PNM_WB_STABLE,
	/* What Linux does today: write it in place and clean it like any
	 * other page (the data may change under the I/O; a device write
	 * after cleaning is only kept if the pin is released dirty). */
	PNM_WB_LINUX,
};

/* How pins are counted (used from the GUP issue on). */
enum pnm_pin_accounting {
	PNM_PIN_ACCOUNTING_LINUX,	/* GUP_PIN_COUNTING_BIAS, as Linux */
	PNM_PIN_ACCOUNTING_EXACT,	/* per-page exact pin counts */
};

struct pnm_config {
	/* Frames per zone; each is rounded up to a multiple of 512 (2 MiB).
	 * ZONE_NORMAL must be non-empty; the others may be 0. */
	unsigned long zone_frames[MAX_NR_ZONES];
	enum pnm_thp_mode thp;			/* default PNM_THP_MADVISE */
	/* Read faults in THP-suitable VMAs map the huge zero page (Linux's
	 * transparent_hugepage/use_zero_page); default true. */
	bool thp_use_zero_page;
	enum pnm_pin_accounting pin_accounting;	/* default LINUX */
	bool legacy_gup;			/* pre-2019 pins (GUP issue) */
	/* Record every pin's provenance (pin_registry.c); default true. */
	bool pin_registry;
	/* Misuse detection: the put-on-pin check and stderr reports;
	 * default true (in every build type). */
	bool pin_debug;
	/* --- files (fs.h, writeback.h) --- */
	/* Host directory holding the backing files of disk and dax files.
	 * NULL: a private directory is created under $TMPDIR (or /tmp) at
	 * pnm_init() and removed with its contents at pnm_fini(). */
	const char *data_dir;
	enum pnm_wb_policy wb_policy;		/* default PNM_WB_STABLE */
	/* Dirty page-cache pages above which background writeback starts,
	 * and above which a writer must write back itself (Linux's
	 * dirty_background_bytes / dirty_bytes, in pages).  0 picks the
	 * default: 10% and 20% of all frames. */
	unsigned long dirty_background_pages;
	unsigned long dirty_limit_pages;
	/* Run the background writeback thread (the flusher), waking every
	 * @writeback_interval_ms (0: 500) and when the background threshold
	 * is crossed.  Default false: writeback then runs only when asked
	 * (fsync, sync, pnm_writeback_run) or when a writer crosses the
	 * dirty limit, which keeps single-threaded runs deterministic. */
	bool writeback_thread;
	unsigned int writeback_interval_ms;
};

/* Defaults: 64 MiB NORMAL, 32 MiB MOVABLE, 16 MiB CMA, THP on madvise. */
void pnm_config_default(struct pnm_config *cfg);
/*
 * Build the model.  Returns 0, -EINVAL (bad config: no NORMAL frames, too
 * many frames), -ENOMEM (host memory), -EBUSY (already initialised).
 */
int pnm_init(const struct pnm_config *cfg);
/*
 * Tear the model down.  Every task must have exited; returns 0, or
 * -EBUSY if frames are still in use (leaks are reported on stderr and the
 * model is torn down anyway).
 */
int pnm_fini(void);
/* The active configuration (valid between init and fini). */
const struct pnm_config *pnm_get_config(void);

/*
 * Invariant checkers.  Each returns true when the object is consistent;
 * otherwise it records a message (pnm_check_error()) and prints it to
 * stderr.  pnm_check_system() checks every zone, every allocated folio and
 * every live mm, and that the frame accounting adds up (free + allocated
 * == total).  Call them when no other thread is changing the model.
 */
bool pnm_check_system(void);
const char *pnm_check_error(void);
/* Record a check failure (used by the checkers); always returns false. */
bool pnm_check_fail(const char *fmt, ...) __printf(1, 2);

/* Text for a negative errno ("-ENOMEM" -> "ENOMEM: Cannot allocate memory"). */
const char *pnm_strerror(int err);
/* Symbolic name ("ENOMEM") for a positive errno, or NULL. */
const char *pnm_errno_name(int err);
/* Parse "ENOMEM" (or a number) to a positive errno; -1 if unknown. */
int pnm_errno_parse(const char *name);

#endif /* PINMM_PINMM_H */
