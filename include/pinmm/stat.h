/* SPDX-License-Identifier: MIT */
/*
 * pinmm/stat.h - the model's counters (like /proc/vmstat) and its trace
 * events.
 *
 * Counters are named as Linux names them where Linux has the counter
 * ("nr_foll_pin_acquired", "pgfault", "thp_split_pmd" ...), with a "pnm_"
 * prefix where the counter is the model's own.  Look one up by name and
 * read it; reads are relaxed (a counter orders nothing).
 */
#ifndef PINMM_STAT_H
#define PINMM_STAT_H

#include <pinmm/types.h>

PNM_BEGIN_DECLS

/* The number of counters; the index of a counter by its name (-1 if
 * unknown); the name of index @item (NULL if out of range); its value
 * (0 if out of range). */
PNM_API int pnm_stat_count(void);
PNM_API int pnm_stat_lookup(const char *name);
PNM_API const char *pnm_stat_name(int item);
PNM_API long pnm_stat_read(int item);
/* Reset the event counters (not the gauges such as nr_free_pages). */
PNM_API void pnm_stat_reset(void);
/* Print "name value" lines, /proc/vmstat style, then per-zone lines. */
PNM_API void pnm_stat_print(FILE *out);

/* --- trace events ------------------------------------------------------------ */
enum pnm_trace_event {
	PNM_TRACE_FAULT,	/* a = addr, b = fault flags, c = result */
	PNM_TRACE_ZERO_PAGE,	/* a = addr, b = order (9: the huge zero page) */
	PNM_TRACE_ANON_ALLOC,	/* a = addr, b = pfn, c = order */
	PNM_TRACE_COW_COPY,	/* a = addr, b = old pfn, c = new pfn */
	PNM_TRACE_COW_REUSE,	/* a = addr, b = pfn */
	PNM_TRACE_UNSHARE_COPY,	/* a = addr, b = old pfn, c = new pfn */
	PNM_TRACE_THP_FALLBACK,	/* a = addr */
	PNM_TRACE_SPLIT_PMD,	/* a = addr, b = pfn */
	PNM_TRACE_SPLIT_FOLIO,	/* b = pfn, c = old order */
	PNM_TRACE_MIGRATE,	/* b = old pfn, c = new pfn, d = result */
	PNM_TRACE_FORK,		/* a = parent pid, b = child pid */
	PNM_TRACE_FORK_COPY,	/* a = addr, b = parent pfn, c = child pfn */
	PNM_TRACE_COMPACT,	/* b = zone, c = migrated, d = result */
	PNM_TRACE_MUNMAP,	/* a = addr, b = len */
	PNM_TRACE_EXIT,		/* a = pid */
	PNM_TRACE_WRITEBACK,	/* a = ino, b = pfn, c = index, d = result */
	PNM_TRACE_WB_BOUNCE,	/* a = ino, b = pfn, c = index */
	PNM_TRACE_FS_VIOLATION,	/* a = ino, b = pfn, c = index, d = kind */
	PNM_TRACE_TRUNCATE,	/* a = ino, b = new size, c = pages dropped,
				 * d = of those, still referenced */
	PNM_TRACE_RECLAIM,	/* a = ino, b = pfn, c = index */
	PNM_TRACE_MMU_NOTIFY,	/* a = start, b = end, c = event (an
				 * invalidation an MMU notifier was sent) */
	PNM_TRACE_MREMAP,	/* a = old addr, b = old len, c = new addr,
				 * d = new len */
	PNM_TRACE_SWAPOUT,	/* b = pfn, c = slot (a page written out and
				 * freed by reclaim) */
	PNM_TRACE_SWAPIN,	/* a = addr, b = slot, c = pfn, d = 1 if read
				 * from the device, 0 from the swap cache */
	PNM_NR_TRACE_EVENTS
};
/* PNM_TRACE_FS_VIOLATION's kind (d): what a disk file saw go wrong. */
enum pnm_fs_violation {
	PNM_FS_VIOL_DIRTY_NO_BLOCKS = 1,	/* dirtied without block state */
	PNM_FS_VIOL_WB_LOST = 2,		/* writeback could not write it */
};

/* PNM_TRACE_FAULT's fault flags (b) and result (c): Linux's FAULT_FLAG_*
 * and VM_FAULT_* values; a result of 0 is success. */
#define PNM_FAULT_FLAG_WRITE	0x01u	/* the access is a write */
#define PNM_FAULT_FLAG_USER	0x40u	/* a CPU access of the process */
#define PNM_FAULT_FLAG_REMOTE	0x80u	/* on behalf of another mm (GUP) */
#define PNM_FAULT_FLAG_UNSHARE	0x400u	/* unshare a page for a R/O pin */
#define PNM_VM_FAULT_OOM	0x0001u
#define PNM_VM_FAULT_SIGBUS	0x0002u
#define PNM_VM_FAULT_MAJOR	0x0004u	/* success, after device I/O (swap-in) */
#define PNM_VM_FAULT_SIGSEGV	0x0040u
#define PNM_VM_FAULT_RETRY	0x0400u

struct pnm_trace_rec {
	enum pnm_trace_event ev;
	int pid;		/* the mm's owner, or 0 */
	unsigned long a, b, c;
	long d;
};
/*
 * Install (or with NULL remove) the single trace consumer.  @fn runs in
 * the thread that caused the event, possibly with model locks held: it
 * must not call back into pinmm.  Install it while no other thread runs
 * in the model.
 */
typedef void pnm_trace_fn(const struct pnm_trace_rec *rec, void *arg);
PNM_API void pnm_trace_set(pnm_trace_fn *fn, void *arg);
/* The event's name ("fault", "cow_copy" ...), NULL if out of range. */
PNM_API const char *pnm_trace_name(enum pnm_trace_event ev);

PNM_END_DECLS

#endif /* PINMM_STAT_H */
