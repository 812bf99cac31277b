/* SPDX-License-Identifier: MIT */
/*
 * pinmm.h - the model's umbrella header (internal).
 *
 * pinmm is a userspace model of the Linux memory manager and its page
 * pinning (FOLL_PIN) system.  One model instance exists per process:
 * pnm_init() builds the arena, zones and zero page; pnm_fini() tears it
 * down after every modelled process has exited.
 */
#ifndef PNM_MODEL_PINMM_H
#define PNM_MODEL_PINMM_H

#include <model/mm.h>
#include <model/rmap.h>
#include <model/huge_mm.h>
#include <model/hugetlb.h>
#include <model/migrate.h>
#include <model/vmstat.h>
#include <model/sched.h>
#include <model/uaccess.h>
#include <model/gup.h>
#include <model/pagemap.h>
#include <model/writeback.h>
#include <model/fs.h>
#include <model/mmu_notifier.h>
#include <model/swap.h>

/* Configuration, lifetime, checks and errno helpers are public
 * (pinmm/pinmm.h). */

/* Record a check failure (used by the checkers); always returns false. */
bool pnm_check_fail(const char *fmt, ...) __printf(1, 2);

/*
 * A checker cannot run: its host allocation failed.  Records "@what: out of
 * host memory" as pnm_check_error() and marks the calling thread's current
 * check as stopped by the host (pnm_check_host_error() returns -ENOMEM),
 * logging it once per pnm_check_system() however often it is called.
 * Always returns false, like pnm_check_fail().
 */
bool pnm_check_nomem(const char *what);

/*
 * The number of the pnm_check_system() pass the calling thread is running,
 * or 0 outside one (a checker called on its own).  Unique across threads
 * and passes; checkers use it to check an object shared by many others once
 * per pass (pnm_check_itree_once()).
 */
unsigned long pnm_check_pass(void);


#endif /* PNM_MODEL_PINMM_H */
