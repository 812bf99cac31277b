/* SPDX-License-Identifier: MIT */
/*
 * vmstat.h - global counters (like /proc/vmstat) and trace events.
 *
 * One table of counters, named as Linux names them where Linux has the
 * counter, with a "pnm_" prefix where it is the model's own.  Counters are
 * atomic longs updated with relaxed atomics: they order nothing.
 * Later issues append items before NR_VM_STAT_ITEMS and a name to
 * vmstat_text[] (vmstat.c); the build checks the two stay the same length.
 */
#ifndef PNM_MODEL_VMSTAT_H
#define PNM_MODEL_VMSTAT_H

#include <stdio.h>
#include <model/atomic.h>

/*
 * The per-size counters of multi-size THP (mthp.c), Linux's
 * hugepages-<size>kB/stats/<name>: one block of MTHP_NR_STATS items for
 * each anonymous order PNM_THP_MIN_ORDER..HPAGE_PMD_ORDER (16 KiB..2 MiB),
 * printed as "mthp_<size>kb_<name>".
 */
enum mthp_stat_item {
	MTHP_STAT_ANON_FAULT_ALLOC,	/* faults that got a folio of this size */
	MTHP_STAT_ANON_FAULT_FALLBACK,	/* ... that found no free block of it */
	MTHP_STAT_SPLIT,		/* folios of this size split */
	MTHP_STAT_SPLIT_FAILED,		/* ... splits refused (references) */
	MTHP_STAT_SPLIT_DEFERRED,	/* ... queued for a deferred split */
	MTHP_NR_STATS
};
#define MTHP_NR_ORDERS		(9 - 2 + 1)	/* orders 2..9 (HPAGE_PMD_ORDER) */

enum pnm_stat_item {
	/* state (gauges) */
	NR_FREE_PAGES,
	NR_ANON_MAPPED,		/* nr_anon_pages: anon pages mapped (base pages) */
	NR_FILE_MAPPED,		/* nr_mapped: file/shmem pages mapped */
	NR_FILE_PAGES,		/* page-cache pages (incl. shmem) */
	NR_SHMEM,
	NR_SECRETMEM,		/* secretmem pages (out of the direct map) */
	NR_FILE_DIRTY,
	NR_WRITEBACK,
	NR_ANON_THPS,		/* nr_anon_transparent_hugepages */
	NR_PAGETABLE,		/* nr_page_table_pages */
	NR_FOLL_PIN_ACQUIRED,
	NR_FOLL_PIN_RELEASED,
	PNM_NR_DAX_PAGES,	/* frames that are dax file storage */
	PNM_NR_TRUNCATED_LIVE,	/* truncated folios still referenced */
	PNM_NR_QUARANTINED,	/* pages of revoked owners, until unpinned */
	PNM_PIN_BUDGET_TASK_PAGES, /* pages charged to process pin budgets */
	PNM_PIN_BUDGET_USER_PAGES, /* pages charged to user pin budgets */
	/* swap (issue 13) */
	NR_SWAPCACHE,		/* nr_swapcached: pages in the swap cache */
	NR_INACTIVE_ANON,	/* pages on the inactive anon LRU list */
	NR_ACTIVE_ANON,		/* pages on the active anon LRU list */
	PNM_NR_DEFERRED_SPLIT,	/* large folios on the deferred split queue */
	/* events */
	PGALLOC_NORMAL,
	PGALLOC_MOVABLE,
	PGALLOC_CMA,
	PGFREE,
	PGFAULT,
	PGMAJFAULT,
	PGMIGRATE_SUCCESS,
	PGMIGRATE_FAIL,
	COMPACTMIGRATE_SCANNED,
	COMPACTFREE_SCANNED,
	COMPACTISOLATED,
	COMPACTSTALL,
	COMPACTFAIL,
	COMPACTSUCCESS,
	THP_FAULT_ALLOC,
	THP_FAULT_FALLBACK,
	THP_SPLIT_PAGE,
	THP_SPLIT_PAGE_FAILED,
	THP_SPLIT_PMD,
	THP_MIGRATION_SUCCESS,
	THP_MIGRATION_FAIL,
	THP_ZERO_PAGE_ALLOC,	/* huge zero page allocated (once per model) */
	THP_ZERO_PAGE_ALLOC_FAILED, /* ... and attempts that found no 2 MiB */
	/* the model's own */
	PNM_ZERO_PAGE_MAPPED,	/* read faults served by the zero page */
	PNM_HUGE_ZERO_PAGE_MAPPED, /* read faults served by the huge zero page */
	PNM_COW_COPY,		/* write faults that copied a shared page */
	PNM_COW_REUSE,		/* write faults that reused the page in place */
	PNM_UNSHARE_COPY,	/* FAULT_FLAG_UNSHARE copies */
	PNM_FORK_COPY_PINNED,	/* pages copied at fork because maybe pinned */
	PNM_MIGRATE_REFUSED_REFS, /* migrations refused: extra references */
	PNM_PGTABLE_ALLOC,	/* page-table frames allocated */
	PNM_PGTABLE_FREE,	/* page-table frames freed */
	THP_MIGRATION_SPLIT,	/* THPs split because no 2 MiB target existed */
	PNM_DMA_WRITE_BYTES,	/* bytes devices wrote through page arrays */
	PNM_DMA_READ_BYTES,	/* bytes devices read through page arrays */
	PNM_PIN_MISUSE,		/* pin misuse reports (pin_registry.c) */
	/* files (issue 5) */
	PGPGIN,			/* pages read from backing files (Linux: KiB) */
	PGPGOUT,		/* pages written to backing files (Linux: KiB) */
	NR_DIRTIED,		/* pages dirtied (Linux keeps it as a node stat) */
	NR_WRITTEN,		/* pages whose writeback completed */
	PGSCAN_FILE,		/* cache folios looked at by reclaim */
	PGSTEAL_FILE,		/* cache pages reclaimed */
	PNM_RECLAIM_SKIP_PINNED, /* cache folios reclaim kept: maybe pinned */
	PNM_PAGE_MKCLEAN,	/* PTEs write-protected for writeback */
	PNM_WB_BOUNCED,		/* pinned pages written from a bounce copy */
	PNM_WB_SKIP_PINNED,	/* background writeback skipped: maybe pinned */
	PNM_WB_PINNED_INPLACE,	/* pinned pages written in place (linux) */
	PNM_WB_UNSTABLE,	/* pages whose data changed while written */
	PNM_WB_IO_ERRORS,	/* backing write errors recorded (errseq) */
	PNM_FS_DIRTY_NO_BLOCKS,	/* folios dirtied behind the fs's back */
	PNM_WB_LOST,		/* dirty pages the fs could not write */
	PNM_TRUNCATE_PINNED,	/* pages truncated while maybe pinned */
	PNM_DMA_WRITE_TRUNCATED, /* bytes devices wrote into truncated pages */
	/* pin owners and layout leases (issue 11) */
	PNM_LEASE_BROKEN,	/* inodes whose layout leases were broken */
	PNM_LEASE_REVOKE_ASKED,	/* owners asked to release tied pins */
	PNM_LEASE_REVOKED,	/* owners revoked by force (deadline missed) */
	PNM_DMA_REVOKED,	/* device transfers refused: owner revoked */
	PNM_WB_SKIP_QUARANTINED, /* dirty pages writeback left: quarantined */
	/* pin budget (issue 11) */
	PNM_PIN_BUDGET_REFUSED,	/* long-term pin calls refused by a budget */
	PNM_PIN_RLIMIT_REFUSED,	/* ... of them by RLIMIT_MEMLOCK (issue 13) */
	/* Direct IO below the page cache (issue 12, fs/direct-io.c) */
	PNM_DIO_READ_BYTES,	/* bytes read from storage by direct reads */
	PNM_DIO_WRITE_BYTES,	/* bytes written to storage by direct writes */
	PNM_DIO_STALE_CACHE,	/* direct writes whose cached range could not
				 * be invalidated afterwards (stale cache) */
	/* MMU notifiers (issue 12) */
	PNM_MMU_NOTIFIER_INVALIDATE, /* ranges sent to subscribers (starts) */
	PNM_MMU_NOTIFIER_RELEASE, /* ->release() calls (exit, unregister) */
	/* mremap (issue 13, mremap.c) */
	PNM_MREMAP_MOVE,	/* mremap calls that moved a mapping */
	PNM_MREMAP_EXPAND,	/* mremap calls that grew a mapping in place */
	PNM_MREMAP_PTE,		/* page-table entries moved one by one */
	PNM_MREMAP_PMD,		/* huge PMDs moved whole (THP, huge zero
				 * page, PMD migration entry) and hugetlb
				 * PMD/PUD leaves moved */
	PNM_MREMAP_PTE_TABLE,	/* PTE tables moved whole by their PMD entry */
	/* swap (issue 13) */
	PSWPIN,			/* pages read from the swap device */
	PSWPOUT,		/* pages written to the swap device */
	PGSCAN_ANON,		/* anon pages reclaim looked at */
	PGSTEAL_ANON,		/* anon pages reclaimed (swapped out, freed) */
	PGACTIVATE,		/* pages moved to the active anon list */
	PGDEACTIVATE,		/* pages moved to the inactive anon list */
	PGLAZYFREE,		/* pages MADV_FREE made lazily freed */
	PGLAZYFREED,		/* lazily freed pages reclaim dropped */
	PNM_SWAP_SKIP_PINNED,	/* anon pages reclaim kept: maybe pinned */
	PNM_SWAPIN_CACHE_HIT,	/* swap-in faults served by the swap cache */
	PNM_SWAP_FULL,		/* swap-outs given up: no free slot */
	PNM_SWAP_IO_ERROR,	/* device reads and writes that failed */
	/* hugetlb (issue 13) */
	HTLB_BUDDY_PGALLOC,	/* htlb_buddy_alloc_success: 2 MiB hugetlb
				 * pages taken from the buddy allocator */
	HTLB_BUDDY_PGALLOC_FAIL, /* htlb_buddy_alloc_fail: ... attempts failed */
	PNM_HUGETLB_FAULT_SIGBUS, /* hugetlb faults the pool had no page for */
	PNM_HUGETLB_UNMAP_REF_PRIVATE, /* mappings a private owner took its
				 * page back from to COW it (SIGBUS there) */
	/* multi-size THP, deferred split, collapse (issue 13) */
	THP_COLLAPSE_ALLOC,	/* 2 MiB folios allocated to collapse into */
	THP_COLLAPSE_ALLOC_FAILED, /* ... and collapses that found none */
	THP_DEFERRED_SPLIT_PAGE, /* large folios queued for a deferred split */
	THP_SCAN_EXCEED_SWAP_PTE, /* khugepaged skipped a block: too many
				   * swap entries (max_ptes_swap) */
	PNM_THP_COLLAPSED,	/* 2 MiB blocks collapsed into a THP */
	PNM_THP_COLLAPSE_REFUSED_PINNED, /* collapses refused: a maybe-pinned page */
	PNM_MTHP_STAT_FIRST,	/* MTHP_NR_ORDERS blocks of enum mthp_stat_item */
	PNM_MTHP_STAT_LAST = PNM_MTHP_STAT_FIRST + MTHP_NR_ORDERS * MTHP_NR_STATS - 1,
	NR_VM_STAT_ITEMS
};

extern const char *const vmstat_text[];
extern atomic_long_t vm_stat[NR_VM_STAT_ITEMS];

/*
 * NR_FOLL_PIN_ACQUIRED and NR_FOLL_PIN_RELEASED change on every pin and
 * unpin call, from every pinning thread: as shared atomics they would be a
 * locked instruction per call on one cache line all those threads bounce.
 * They are kept per thread instead, as Linux keeps per-CPU differentials:
 * a thread adds to its own slot (a relaxed load and store: only the owner
 * writes it), and a read sums vm_stat[] and every registered thread's
 * slot under stat_hot_lock (vmstat.c).  A thread registers at its first
 * change and, at its exit, folds its slots into vm_stat[] and leaves.
 */
enum { PNM_STAT_HOT_ACQUIRED, PNM_STAT_HOT_RELEASED, PNM_NR_STAT_HOT };

struct pnm_stat_hot {
	/* the thread's own counts: written by it alone, read by any thread
	 * under stat_hot_lock (relaxed; a reader ordered after a change by
	 * other means, a lock or a join, sees it) */
	atomic_long_t v[PNM_NR_STAT_HOT];
	struct pnm_stat_hot *next;	/* stat_hot_threads; stat_hot_lock */
	bool registered;		/* the owner's own flag */
};

extern _Thread_local struct pnm_stat_hot pnm_stat_hot
	__attribute__((tls_model("initial-exec")));
/* Link the calling thread's slots into the readers' list (first change). */
void pnm_stat_hot_register(void);
/* vm_stat[@item] plus every thread's slot @slot. */
long pnm_stat_hot_read(enum pnm_stat_item item, int slot);

/* The per-thread slot of @i, or -1 for a counter kept in vm_stat[] only. */
static inline int stat_hot_slot(enum pnm_stat_item i)
{
	return i == NR_FOLL_PIN_ACQUIRED ? PNM_STAT_HOT_ACQUIRED :
	       i == NR_FOLL_PIN_RELEASED ? PNM_STAT_HOT_RELEASED : -1;
}

static inline void mod_vm_stat(enum pnm_stat_item i, long delta)
{
	int s = stat_hot_slot(i);

	if (s >= 0) {
		struct pnm_stat_hot *h = &pnm_stat_hot;

		if (__builtin_expect(!h->registered, 0))
			pnm_stat_hot_register();
		/* Only this thread writes the slot: no RMW needed.  Relaxed:
		 * readers order themselves after the change by other means. */
		atomic_long_set(&h->v[s], atomic_long_read(&h->v[s]) + delta);
		return;
	}
	atomic_long_add(delta, &vm_stat[i]);
}
static inline void count_vm_event(enum pnm_stat_item i) { mod_vm_stat(i, 1); }
static inline void count_vm_events(enum pnm_stat_item i, long n) { mod_vm_stat(i, n); }
static inline long global_stat(enum pnm_stat_item i)
{
	int s = stat_hot_slot(i);

	return s >= 0 ? pnm_stat_hot_read(i, s) : atomic_long_read(&vm_stat[i]);
}
/* pnm_init()'s reset: every counter 0, the per-thread ones included. */
void pnm_stat_zero_all(void);
/* pnm_stat_lookup/reset/print and friends: pinmm/stat.h. */

/* The counter of @item for anonymous folios of @order (2..9). */
#define MTHP_STAT(order, item)	\
	((enum pnm_stat_item)(PNM_MTHP_STAT_FIRST + ((order) - 2) * MTHP_NR_STATS + (item)))
/* Count one @item for a folio of @order; nothing for orders 0 and 1. */
static inline void count_mthp_stat(unsigned int order, enum mthp_stat_item item)
{
	if (order >= 2 && order <= 9)
		count_vm_event(MTHP_STAT(order, item));
}

/* --- trace events (scenario --trace, demo narration) -------------------- */
/* The events and struct pnm_trace_rec are public (pinmm/stat.h). */

extern pnm_trace_fn *pnm_trace_hook;
void __pnm_trace(enum pnm_trace_event ev, int pid, unsigned long a,
		 unsigned long b, unsigned long c, long d);
/* Cheap when no consumer is installed (one relaxed load). */
#define pnm_trace(ev, pid, a, b, c, d)					\
	do {								\
		if (unlikely(READ_ONCE(pnm_trace_hook)))		\
			__pnm_trace((ev), (pid), (a), (b), (c), (d));	\
	} while (0)
extern const char *const pnm_trace_names[PNM_NR_TRACE_EVENTS];

#endif /* PNM_MODEL_VMSTAT_H */
