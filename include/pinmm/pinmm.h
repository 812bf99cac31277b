/* SPDX-License-Identifier: MIT */
/*
 * pinmm/pinmm.h - the public API: system lifetime, configuration, the
 * embedder's hooks, invariant checks and errno helpers; includes every
 * other public header.
 *
 * pinmm is a userspace model of the Linux memory manager and its page
 * pinning (FOLL_PIN) system.  One model instance exists per process:
 * pnm_init() builds the arena, zones and zero page; pnm_fini() (everything
 * released first) or pnm_teardown() (whatever is left is cleaned up and
 * reported) ends it.  docs/api.md lists every call with its contract.
 */
#ifndef PINMM_PINMM_H
#define PINMM_PINMM_H

#include <pinmm/types.h>
#include <pinmm/task.h>
#include <pinmm/mman.h>
#include <pinmm/file.h>
#include <pinmm/gup.h>
#include <pinmm/dma.h>
#include <pinmm/stat.h>
#include <pinmm/vaddr_pin.h>
#include <pinmm/budget.h>
#include <pinmm/hugetlb.h>
#include <pinmm/resource.h>
#include <pinmm/sysctl.h>
#include <pinmm/memfd.h>
#include <pinmm/inspect.h>
#include <pinmm/dio.h>
#include <pinmm/process_vm.h>
#include <pinmm/mmu_notifier.h>
#include <pinmm/kvm.h>
#include <pinmm/pipe.h>
#include <pinmm/futex.h>
#include <pinmm/kwrite.h>
#include <pinmm/rdma.h>
#include <pinmm/io_uring.h>
#include <pinmm/swap.h>
#include <pinmm/thp.h>
#include <pinmm/fault.h>

PNM_BEGIN_DECLS

#define PINMM_VERSION		"0.2.0"
#define PINMM_VERSION_MAJOR	0
#define PINMM_VERSION_MINOR	2

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

/* How pins are counted. */
enum pnm_pin_accounting {
	PNM_PIN_ACCOUNTING_LINUX,	/* GUP_PIN_COUNTING_BIAS, as Linux */
	PNM_PIN_ACCOUNTING_EXACT,	/* per-page exact pin counts */
};

/* Severity of a message handed to the log hook. */
enum pnm_log_level {
	PNM_LOG_ERR,		/* a misuse report, a leak, a failed check */
	PNM_LOG_WARN,		/* a warning (WARN_ON-style), bad arguments */
	PNM_LOG_INFO,		/* informational */
};

/*
 * The log hook receives every line the library would print: misuse
 * reports, warnings, leak and teardown reports, failed invariant checks.
 * @msg is one line without the trailing newline, valid only during the
 * call.  It may be called from any thread, with model locks held: it
 * must not call back into pinmm.  NULL (the default) writes the line and
 * a newline to stderr.
 */
typedef void pnm_log_fn(void *arg, enum pnm_log_level level, const char *msg);
/*
 * The fatal hook runs when the model finds its own state corrupt (a
 * VM_BUG_ON) and cannot go on: @msg says what and where.  It may log,
 * flush or exit(); if it returns, the library calls abort().  NULL (the
 * default) prints @msg to stderr and aborts.
 */
typedef void pnm_fatal_fn(void *arg, const char *msg);

/*
 * Configuration.  Fill it with pnm_config_default() (which records the
 * size this header gives the struct), change what you need, pass it to
 * pnm_init().  Fields are only ever appended: a program built against an
 * older header passes a smaller @size and gets the defaults for the
 * fields it does not know.
 */
struct pnm_config {
	/* sizeof(struct pnm_config) as the caller compiled it; set by
	 * pnm_config_default(). */
	size_t size;
	/* Frames per zone; each is rounded up to a multiple of 512 (2 MiB).
	 * PNM_ZONE_NORMAL must be non-empty; the others may be 0. */
	unsigned long zone_frames[PNM_NR_ZONES];
	enum pnm_thp_mode thp;			/* default PNM_THP_MADVISE */
	/* Read faults in THP-suitable VMAs map the huge zero page (Linux's
	 * transparent_hugepage/use_zero_page); default true. */
	bool thp_use_zero_page;
	enum pnm_pin_accounting pin_accounting;	/* default LINUX */
	/* Pre-2019 pins: FOLL_PIN takes plain references (the bugs FOLL_PIN
	 * exists to prevent); default false. */
	bool legacy_gup;
	/* Record every pin's provenance (the pin registry); default true. */
	bool pin_registry;
	/* Misuse detection: the put-on-pin check and its reports; default
	 * true (in every build type). */
	bool pin_debug;
	/* --- files (pinmm/file.h) --- */
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
	/* --- the embedder's hooks (default NULL: stderr, abort) --- */
	pnm_log_fn *log;
	void *log_arg;
	pnm_fatal_fn *fatal;
	void *fatal_arg;
	/* --- swap (pinmm/swap.h), since 0.3 --- */
	/* Pages of a swap device pnm_init() sets up (a swapon at boot, with
	 * a file of its own in data_dir; the first page is the header).
	 * 0 (the default): no swap until pnm_swapon(). */
	unsigned long swap_pages;
	/* --- hugetlb (pinmm/hugetlb.h; since 0.3) --- */
	/* Offer 1 GiB hugetlb pages besides 2 MiB ones (Linux's PUD-sized
	 * hstate, present where the CPU maps 1 GiB pages); default true.
	 * Off, MAP_HUGE_1GB and the hugetlbfs1G filesystem give -EINVAL. */
	bool hugetlb_gigantic;
	/* --- multi-size THP (pinmm/thp.h) --- */
	/* The switch of each anonymous folio size, indexed by order (the size
	 * is PNM_PAGE_SIZE << order): orders PNM_THP_MIN_ORDER (16 KiB) to
	 * PNM_HPAGE_PMD_ORDER (2 MiB) take PNM_THP_NEVER, _MADVISE, _ALWAYS
	 * or _INHERIT; the entries below PNM_THP_MIN_ORDER must be
	 * PNM_THP_NEVER.  Default: PNM_THP_INHERIT for 2 MiB, PNM_THP_NEVER
	 * for the rest (Linux's defaults). */
	enum pnm_thp_mode thp_size_enabled[PNM_HPAGE_PMD_ORDER + 1];
};

/* Defaults: 64 MiB NORMAL, 32 MiB MOVABLE, 16 MiB CMA, THP on madvise,
 * linux pin accounting, registry and misuse detection on, 2 MiB and
 * 1 GiB hugetlb pools (empty). */
#define pnm_config_default(cfg)	pnm_config_init((cfg), sizeof(*(cfg)))
/* pnm_config_default()'s function: fill the first @size bytes of @cfg
 * with the defaults and set cfg->size = @size.  Bytes beyond the fields
 * this library knows (a caller built against a newer header) are zeroed
 * and kept in the size, so that pnm_init() refuses a field set there
 * (-E2BIG) rather than ignore it; a @size above 4096 is capped at the
 * library's own size. */
PNM_API void pnm_config_init(struct pnm_config *cfg, size_t size);
/*
 * Build the model from @cfg (NULL: the defaults).  Returns 0, -EINVAL (bad
 * config: no NORMAL frames, too many frames, an unknown THP (global or
 * per size) or accounting mode, a size smaller than the first release's
 * struct, swap_pages 1 or above PNM_SWAP_MAX_SLOTS), -E2BIG (cfg->size is
 * larger than this library knows and the unknown tail is not all zero),
 * -ENOMEM (host memory), -EBUSY (already initialised), or the host's
 * error creating the data directory or the swap file.
 */
PNM_API int pnm_init(const struct pnm_config *cfg);
/*
 * Tear the model down.  Tasks still alive are exited; every pin should
 * have been released and every file closed.  Returns 0, -EBUSY if frames
 * or files were still in use (what is reported through the log hook, and
 * the model is torn down anyway), -EINVAL if not initialised.
 */
PNM_API int pnm_fini(void);

/* What pnm_teardown() found and cleaned up. */
struct pnm_teardown_report {
	size_t size;			/* set by the caller: sizeof(*report) */
	unsigned long tasks;		/* live tasks it exited (children too) */
	unsigned long files;		/* files left open that it closed */
	unsigned long pins;		/* pins still held that it released */
	unsigned long pinned_pages;	/* pages those pins covered */
	unsigned long leaked_frames;	/* frames still in use at the end */
};
/*
 * The embedder's one-call error path: exit every live task (fork children
 * included), release the pins the registry still records, close files
 * left open, stop the flusher, then pnm_fini().  Each thing cleaned up is
 * reported through the log hook and counted in @report (may be NULL; its
 * size field must be set).  Must be called with no other thread inside
 * the model; the calling thread's current task, if any, is left first.
 * Returns 0 if nothing was left over, -EBUSY if something was (and was
 * cleaned up), -EINVAL if the model is not initialised.
 */
PNM_API int pnm_teardown(struct pnm_teardown_report *report);

/* The active configuration (valid between init and fini). */
PNM_API const struct pnm_config *pnm_get_config(void);

/*
 * Invariant checks.  pnm_check_system() checks every zone, every
 * allocated folio, every live mm and file, and that the frame accounting
 * adds up; it returns true when all is consistent, otherwise records the
 * first problem (pnm_check_error()) and logs it.  Call it when no other
 * thread is changing the model.
 */
PNM_API bool pnm_check_system(void);
PNM_API const char *pnm_check_error(void);
/*
 * Why the calling thread's last pnm_check_system() returned false: 0 for a
 * broken invariant of the model, -ENOMEM when a checker could not run for
 * want of host memory (pnm_check_error() says which; the model was not
 * found inconsistent, and the message was logged once).
 */
PNM_API int pnm_check_host_error(void);
/*
 * Checkers of objects outside the core -- the call sites' devices and
 * rings (src/drivers/), an embedder's own -- which pnm_check_system()
 * runs after its own checks, oldest first: @fn(@arg, @why, @size) returns
 * 0, or a negative errno with the problem described in @why (at most
 * @size bytes, NUL-terminated), which becomes pnm_check_error();
 * -ENOMEM says the checker could not run for want of host memory
 * (pnm_check_host_error()), not that its object is broken.  It runs
 * under pnm_check_system()'s rule (no other thread changing the model)
 * and must not register or unregister checkers.
 * register: 0, -EINVAL (NULL @fn, no model), -EEXIST (this @fn with this
 * @arg already), -ENOMEM.  unregister: 0, -ENOENT.  pnm_fini() drops the
 * checkers still registered, with a warning.
 */
typedef int pnm_check_fn(void *arg, char *why, size_t size);
PNM_API int pnm_check_register(pnm_check_fn *fn, void *arg);
PNM_API int pnm_check_unregister(pnm_check_fn *fn, void *arg);

/* Text for a negative errno ("-ENOMEM" -> "ENOMEM: Cannot allocate memory"). */
PNM_API const char *pnm_strerror(int err);
/* Symbolic name ("ENOMEM") for a positive errno, or NULL. */
PNM_API const char *pnm_errno_name(int err);
/* Parse "ENOMEM" (or a number) to a positive errno; -1 if unknown. */
PNM_API int pnm_errno_parse(const char *name);

PNM_END_DECLS

#endif /* PINMM_PINMM_H */
