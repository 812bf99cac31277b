// SPDX-License-Identifier: MIT
/*
 * vmstat.c - the global counters (/proc/vmstat) and the trace hook.
 *
 * vm_stat[] holds one relaxed atomic per enum pnm_stat_item; the code that
 * observes an event bumps its counter with count_vm_event()/mod_vm_stat()
 * (vmstat.h).  The first items are gauges (current state, e.g.
 * nr_free_pages), the rest are events (cumulative).  pnm_stat_reset()
 * clears only the events: a gauge describes memory that still exists.
 * Names are Linux's where Linux has the counter, so that output can be
 * compared with /proc/vmstat; the model's own counters start with "pnm_".
 *
 * Trace events go to at most one consumer, installed with pnm_trace_set().
 * The pnm_trace() macro tests the hook with one relaxed load so that
 * tracing costs nothing when off; __pnm_trace() then calls the consumer
 * under trace_lock, so consumers are serialised (their output does not
 * interleave) and never see a half-installed (fn, arg) pair.  trace_lock
 * is taken with arbitrary model locks held, so it is innermost: a consumer
 * must not call back into the model.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

atomic_long_t vm_stat[NR_VM_STAT_ITEMS];

/* --- the per-thread counters (vmstat.h) ------------------------------------
 *
 * stat_hot_lock protects stat_hot_threads (the registered threads' slots)
 * and, for the per-thread items, the vm_stat[] word the slots add to: a
 * read sums it and the slots, an exiting thread folds its slots into it
 * and unlinks, pnm_init()'s reset sets it to minus the slots' sum.  A leaf
 * lock: nothing is taken under it.
 */
_Thread_local struct pnm_stat_hot pnm_stat_hot __attribute__((tls_model("initial-exec")));
static pthread_mutex_t stat_hot_lock = PTHREAD_MUTEX_INITIALIZER;
static struct pnm_stat_hot *stat_hot_threads;	/* stat_hot_lock */
static pthread_key_t stat_hot_key;
static pthread_once_t stat_hot_once = PTHREAD_ONCE_INIT;

static const enum pnm_stat_item stat_hot_item[PNM_NR_STAT_HOT] = {
	[PNM_STAT_HOT_ACQUIRED] = NR_FOLL_PIN_ACQUIRED,
	[PNM_STAT_HOT_RELEASED] = NR_FOLL_PIN_RELEASED,
};

/* A registered thread's exit (its key's destructor): fold its counts
 * into vm_stat[] and unlink its slots before its TLS goes away. */
static void stat_hot_exit(void *arg)
{
	struct pnm_stat_hot *h = arg, **pp;
	int s;

	pthread_mutex_lock(&stat_hot_lock);
	for (s = 0; s < PNM_NR_STAT_HOT; s++)
		atomic_long_add(atomic_long_read(&h->v[s]), &vm_stat[stat_hot_item[s]]);
	for (pp = &stat_hot_threads; *pp; pp = &(*pp)->next)
		if (*pp == h) {
			*pp = h->next;
			break;
		}
	pthread_mutex_unlock(&stat_hot_lock);
}

static void stat_hot_key_create(void)
{
	if (pthread_key_create(&stat_hot_key, stat_hot_exit))
		pnm_fatal("pinmm: no thread-specific key for the per-thread counters");
}

/*
 * pnm_stat_hot_register - vmstat.h.  The thread's slots start at 0 and
 * join the list readers sum; the key's destructor takes them out at the
 * thread's exit.
 */
void pnm_stat_hot_register(void)
{
	struct pnm_stat_hot *h = &pnm_stat_hot;

	pthread_once(&stat_hot_once, stat_hot_key_create);
	if (pthread_setspecific(stat_hot_key, h))
		pnm_fatal("pinmm: cannot register a thread's counters");
	pthread_mutex_lock(&stat_hot_lock);
	h->next = stat_hot_threads;
	stat_hot_threads = h;
	h->registered = true;
	pthread_mutex_unlock(&stat_hot_lock);
}

/* pnm_stat_hot_read - vmstat.h.  Takes stat_hot_lock. */
long pnm_stat_hot_read(enum pnm_stat_item item, int slot)
{
	struct pnm_stat_hot *h;
	long sum;

	pthread_mutex_lock(&stat_hot_lock);
	sum = atomic_long_read(&vm_stat[item]);
	for (h = stat_hot_threads; h; h = h->next)
		sum += atomic_long_read(&h->v[slot]);
	pthread_mutex_unlock(&stat_hot_lock);
	return sum;
}

/*
 * pnm_stat_zero_all - vmstat.h: every vm_stat[] word 0, but a per-thread
 * item's word minus its threads' slots, which only their owners write.
 * Call it while the model is quiet.  Takes stat_hot_lock.
 */
void pnm_stat_zero_all(void)
{
	struct pnm_stat_hot *h;
	int i, s;

	pthread_mutex_lock(&stat_hot_lock);
	for (i = 0; i < NR_VM_STAT_ITEMS; i++)
		atomic_long_set(&vm_stat[i], 0);
	for (h = stat_hot_threads; h; h = h->next)
		for (s = 0; s < PNM_NR_STAT_HOT; s++)
			atomic_long_sub(atomic_long_read(&h->v[s]), &vm_stat[stat_hot_item[s]]);
	pthread_mutex_unlock(&stat_hot_lock);
}

/*
 * First event counter: items before it are gauges.  Items appended to the
 * enum later (before NR_VM_STAT_ITEMS) are events; a new gauge must be
 * inserted before PGALLOC_NORMAL instead.
 */
#define FIRST_EVENT	PGALLOC_NORMAL

/* The names of one size's block of mTHP counters (vmstat.h). */
#define MTHP_TEXT(order, kb)							\
	[MTHP_STAT(order, MTHP_STAT_ANON_FAULT_ALLOC)] = "mthp_" kb "kb_anon_fault_alloc",	\
	[MTHP_STAT(order, MTHP_STAT_ANON_FAULT_FALLBACK)] = "mthp_" kb "kb_anon_fault_fallback", \
	[MTHP_STAT(order, MTHP_STAT_SPLIT)] = "mthp_" kb "kb_split",			\
	[MTHP_STAT(order, MTHP_STAT_SPLIT_FAILED)] = "mthp_" kb "kb_split_failed",	\
	[MTHP_STAT(order, MTHP_STAT_SPLIT_DEFERRED)] = "mthp_" kb "kb_split_deferred"

const char *const vmstat_text[] = {
	[NR_FREE_PAGES]			= "nr_free_pages",
	[NR_ANON_MAPPED]		= "nr_anon_pages",
	[NR_FILE_MAPPED]		= "nr_mapped",
	[NR_FILE_PAGES]			= "nr_file_pages",
	[NR_SHMEM]			= "nr_shmem",
	[NR_SECRETMEM]			= "nr_secretmem",
	[NR_FILE_DIRTY]			= "nr_dirty",
	[NR_WRITEBACK]			= "nr_writeback",
	[NR_ANON_THPS]			= "nr_anon_transparent_hugepages",
	[NR_PAGETABLE]			= "nr_page_table_pages",
	[NR_FOLL_PIN_ACQUIRED]		= "nr_foll_pin_acquired",
	[NR_FOLL_PIN_RELEASED]		= "nr_foll_pin_released",
	[PNM_NR_DAX_PAGES]		= "pnm_nr_dax_pages",
	[PNM_NR_TRUNCATED_LIVE]		= "pnm_nr_truncated_live",
	[PNM_NR_QUARANTINED]		= "pnm_nr_quarantined",
	[PNM_PIN_BUDGET_TASK_PAGES]	= "pnm_pin_budget_task_pages",
	[PNM_PIN_BUDGET_USER_PAGES]	= "pnm_pin_budget_user_pages",
	[NR_SWAPCACHE]			= "nr_swapcached",
	[NR_INACTIVE_ANON]		= "nr_inactive_anon",
	[NR_ACTIVE_ANON]		= "nr_active_anon",
	[PNM_NR_DEFERRED_SPLIT]		= "pnm_nr_deferred_split",
	[PGALLOC_NORMAL]		= "pgalloc_normal",
	[PGALLOC_MOVABLE]		= "pgalloc_movable",
	[PGALLOC_CMA]			= "pgalloc_cma",
	[PGFREE]			= "pgfree",
	[PGFAULT]			= "pgfault",
	[PGMAJFAULT]			= "pgmajfault",
	[PGMIGRATE_SUCCESS]		= "pgmigrate_success",
	[PGMIGRATE_FAIL]		= "pgmigrate_fail",
	[COMPACTMIGRATE_SCANNED]	= "compact_migrate_scanned",
	[COMPACTFREE_SCANNED]		= "compact_free_scanned",
	[COMPACTISOLATED]		= "compact_isolated",
	[COMPACTSTALL]			= "compact_stall",
	[COMPACTFAIL]			= "compact_fail",
	[COMPACTSUCCESS]		= "compact_success",
	[THP_FAULT_ALLOC]		= "thp_fault_alloc",
	[THP_FAULT_FALLBACK]		= "thp_fault_fallback",
	[THP_SPLIT_PAGE]		= "thp_split_page",
	[THP_SPLIT_PAGE_FAILED]		= "thp_split_page_failed",
	[THP_SPLIT_PMD]			= "thp_split_pmd",
	[THP_MIGRATION_SUCCESS]		= "thp_migration_success",
	[THP_MIGRATION_FAIL]		= "thp_migration_fail",
	[THP_ZERO_PAGE_ALLOC]		= "thp_zero_page_alloc",
	[THP_ZERO_PAGE_ALLOC_FAILED]	= "thp_zero_page_alloc_failed",
	[PNM_ZERO_PAGE_MAPPED]		= "pnm_zero_page_mapped",
	[PNM_HUGE_ZERO_PAGE_MAPPED]	= "pnm_huge_zero_page_mapped",
	[PNM_COW_COPY]			= "pnm_cow_copy",
	[PNM_COW_REUSE]			= "pnm_cow_reuse",
	[PNM_UNSHARE_COPY]		= "pnm_unshare_copy",
	[PNM_FORK_COPY_PINNED]		= "pnm_fork_copy_pinned",
	[PNM_MIGRATE_REFUSED_REFS]	= "pnm_migrate_refused_refs",
	[PNM_PGTABLE_ALLOC]		= "pnm_pgtable_alloc",
	[PNM_PGTABLE_FREE]		= "pnm_pgtable_free",
	[THP_MIGRATION_SPLIT]		= "thp_migration_split",
	[PNM_DMA_WRITE_BYTES]		= "pnm_dma_write_bytes",
	[PNM_DMA_READ_BYTES]		= "pnm_dma_read_bytes",
	[PNM_PIN_MISUSE]		= "pnm_pin_misuse",
	[PGPGIN]			= "pgpgin",
	[PGPGOUT]			= "pgpgout",
	[NR_DIRTIED]			= "nr_dirtied",
	[NR_WRITTEN]			= "nr_written",
	[PGSCAN_FILE]			= "pgscan_file",
	[PGSTEAL_FILE]			= "pgsteal_file",
	[PNM_RECLAIM_SKIP_PINNED]	= "pnm_reclaim_skip_pinned",
	[PNM_PAGE_MKCLEAN]		= "pnm_page_mkclean",
	[PNM_WB_BOUNCED]		= "pnm_wb_bounced",
	[PNM_WB_SKIP_PINNED]		= "pnm_wb_skip_pinned",
	[PNM_WB_PINNED_INPLACE]		= "pnm_wb_pinned_inplace",
	[PNM_WB_UNSTABLE]		= "pnm_wb_unstable",
	[PNM_WB_IO_ERRORS]		= "pnm_wb_io_errors",
	[PNM_FS_DIRTY_NO_BLOCKS]	= "pnm_fs_dirty_no_blocks",
	[PNM_WB_LOST]			= "pnm_wb_lost",
	[PNM_TRUNCATE_PINNED]		= "pnm_truncate_pinned",
	[PNM_DMA_WRITE_TRUNCATED]	= "pnm_dma_write_truncated",
	[PNM_LEASE_BROKEN]		= "pnm_lease_broken",
	[PNM_LEASE_REVOKE_ASKED]	= "pnm_lease_revoke_asked",
	[PNM_LEASE_REVOKED]		= "pnm_lease_revoked",
	[PNM_DMA_REVOKED]		= "pnm_dma_revoked",
	[PNM_WB_SKIP_QUARANTINED]	= "pnm_wb_skip_quarantined",
	[PNM_PIN_BUDGET_REFUSED]	= "pnm_pin_budget_refused",
	[PNM_PIN_RLIMIT_REFUSED]	= "pnm_pin_rlimit_refused",
	[PNM_DIO_READ_BYTES]		= "pnm_dio_read_bytes",
	[PNM_DIO_WRITE_BYTES]		= "pnm_dio_write_bytes",
	[PNM_DIO_STALE_CACHE]		= "pnm_dio_stale_cache",
	[PNM_MMU_NOTIFIER_INVALIDATE]	= "pnm_mmu_notifier_invalidate",
	[PNM_MMU_NOTIFIER_RELEASE]	= "pnm_mmu_notifier_release",
	[PNM_MREMAP_MOVE]		= "pnm_mremap_move",
	[PNM_MREMAP_EXPAND]		= "pnm_mremap_expand",
	[PNM_MREMAP_PTE]		= "pnm_mremap_pte",
	[PNM_MREMAP_PMD]		= "pnm_mremap_pmd",
	[PNM_MREMAP_PTE_TABLE]		= "pnm_mremap_pte_table",
	[PSWPIN]			= "pswpin",
	[PSWPOUT]			= "pswpout",
	[PGSCAN_ANON]			= "pgscan_anon",
	[PGSTEAL_ANON]			= "pgsteal_anon",
	[PGACTIVATE]			= "pgactivate",
	[PGDEACTIVATE]			= "pgdeactivate",
	[PGLAZYFREE]			= "pglazyfree",
	[PGLAZYFREED]			= "pglazyfreed",
	[PNM_SWAP_SKIP_PINNED]		= "pnm_swap_skip_pinned",
	[PNM_SWAPIN_CACHE_HIT]		= "pnm_swapin_cache_hit",
	[PNM_SWAP_FULL]			= "pnm_swap_full",
	[PNM_SWAP_IO_ERROR]		= "pnm_swap_io_error",
	[HTLB_BUDDY_PGALLOC]		= "htlb_buddy_alloc_success",
	[HTLB_BUDDY_PGALLOC_FAIL]	= "htlb_buddy_alloc_fail",
	[PNM_HUGETLB_FAULT_SIGBUS]	= "pnm_hugetlb_fault_sigbus",
	[PNM_HUGETLB_UNMAP_REF_PRIVATE]	= "pnm_hugetlb_unmap_ref_private",
	[THP_COLLAPSE_ALLOC]		= "thp_collapse_alloc",
	[THP_COLLAPSE_ALLOC_FAILED]	= "thp_collapse_alloc_failed",
	[THP_DEFERRED_SPLIT_PAGE]	= "thp_deferred_split_page",
	[THP_SCAN_EXCEED_SWAP_PTE]	= "thp_scan_exceed_swap_pte",
	[PNM_THP_COLLAPSED]		= "pnm_thp_collapsed",
	[PNM_THP_COLLAPSE_REFUSED_PINNED] = "pnm_thp_collapse_refused_pinned",
	MTHP_TEXT(2, "16"), MTHP_TEXT(3, "32"), MTHP_TEXT(4, "64"), MTHP_TEXT(5, "128"),
	MTHP_TEXT(6, "256"), MTHP_TEXT(7, "512"), MTHP_TEXT(8, "1024"), MTHP_TEXT(9, "2048"),
};

/*
 * Designated initialisers would silently leave a hole for a forgotten
 * name; the length check catches a name missing at the end, and
 * pnm_stat_lookup()'s tests catch holes.
 */
_Static_assert(sizeof(vmstat_text) / sizeof(vmstat_text[0]) == NR_VM_STAT_ITEMS,
	       "vmstat_text[] must name every enum pnm_stat_item");

/*
 * Index of the counter printed as @name, or -1 if there is none.  Exact,
 * case-sensitive match.  Lock free.
 */
int pnm_stat_lookup(const char *name)
{
	int i;

	if (!name)
		return -1;
	for (i = 0; i < NR_VM_STAT_ITEMS; i++)
		if (vmstat_text[i] && strcmp(vmstat_text[i], name) == 0)
			return i;
	return -1;
}

/* The number of counters (NR_VM_STAT_ITEMS); constant, also before
 * pnm_init(). */
int pnm_stat_count(void)
{
	return NR_VM_STAT_ITEMS;
}

/* The name of counter @item ("pgfault"), NULL if out of range.  The
 * string is static. */
const char *pnm_stat_name(int item)
{
	if ((unsigned int)item >= NR_VM_STAT_ITEMS)
		return NULL;
	return vmstat_text[item];
}

/* The value of counter @item (a relaxed load: it orders nothing), 0 if
 * out of range. */
long pnm_stat_read(int item)
{
	if ((unsigned int)item >= NR_VM_STAT_ITEMS)
		return 0;
	return global_stat((enum pnm_stat_item)item);
}

/*
 * Zero every event counter; gauges (nr_free_pages ... pnm_nr_deferred_split)
 * keep their values.  Relaxed stores: a concurrent event may or may not be
 * lost, so call it while the model is quiet.
 */
void pnm_stat_reset(void)
{
	int i;

	for (i = FIRST_EVENT; i < NR_VM_STAT_ITEMS; i++)
		atomic_long_set(&vm_stat[i], 0);
}

static void print_zone(FILE *out, struct zone *zone)
{
	unsigned long nr_free[NR_PAGE_ORDERS];
	unsigned int o;

	/* Snapshot the free lists consistently. */
	spin_lock(&zone->lock);
	for (o = 0; o <= MAX_PAGE_ORDER; o++)
		nr_free[o] = zone->free_area[o].nr_free;
	spin_unlock(&zone->lock);

	fprintf(out, "zone %s free %lu alloc %lu freed %lu alloc_fail %lu start_pfn %lu spanned %lu\n",
		zone->name, zone_page_state(zone, NR_ZONE_FREE_PAGES),
		zone_page_state(zone, NR_ZONE_ALLOC),
		zone_page_state(zone, NR_ZONE_FREED),
		zone_page_state(zone, NR_ZONE_ALLOC_FAIL),
		zone->zone_start_pfn, zone->spanned_pages);
	fprintf(out, "Node 0, zone %8s", zone->name);
	for (o = 0; o <= MAX_PAGE_ORDER; o++)
		fprintf(out, " %6lu", nr_free[o]);
	fputc('\n', out);
}

/*
 * Print every counter as a "name value" line, in enum order, then for each
 * populated zone a "zone <Name> free <n> alloc <n> freed <n> alloc_fail <n>
 * start_pfn <n> spanned <n>" line followed by a /proc/buddyinfo-style line
 * ("Node 0, zone <Name>" and the number of free blocks of each order 0..9).
 * Takes each zone->lock briefly; the counters are a relaxed snapshot.
 */
void pnm_stat_print(FILE *out)
{
	const struct pnm_config *cfg = pnm_get_config();
	int i;

	/* How pins are counted is part of what the numbers mean: say it first
	 * (a '#' line, so "name value" readers can skip it). */
	if (cfg)
		fprintf(out, "# pin accounting: %s, legacy gup: %s, pin registry: %s\n",
			cfg->pin_accounting == PNM_PIN_ACCOUNTING_EXACT ?
			"exact (per-page pin counts)" :
			"linux (GUP_PIN_COUNTING_BIAS 1024 on small folios, _pincount on large)",
			cfg->legacy_gup ? "on" : "off", cfg->pin_registry ? "on" : "off");
	for (i = 0; i < NR_VM_STAT_ITEMS; i++)
		fprintf(out, "%s %ld\n", vmstat_text[i], global_stat(i));
	for (i = 0; i < MAX_NR_ZONES; i++) {
		struct zone *zone = pnm_zone(i);

		if (zone)
			print_zone(out, zone);
	}
}

/* --- trace ----------------------------------------------------------------- */

const char *const pnm_trace_names[PNM_NR_TRACE_EVENTS] = {
	[PNM_TRACE_FAULT]		= "fault",
	[PNM_TRACE_ZERO_PAGE]	= "zero_page",
	[PNM_TRACE_ANON_ALLOC]	= "anon_alloc",
	[PNM_TRACE_COW_COPY]	= "cow_copy",
	[PNM_TRACE_COW_REUSE]	= "cow_reuse",
	[PNM_TRACE_UNSHARE_COPY]	= "unshare_copy",
	[PNM_TRACE_THP_FALLBACK]	= "thp_fallback",
	[PNM_TRACE_SPLIT_PMD]	= "split_pmd",
	[PNM_TRACE_SPLIT_FOLIO]	= "split_folio",
	[PNM_TRACE_MIGRATE]		= "migrate",
	[PNM_TRACE_FORK]		= "fork",
	[PNM_TRACE_FORK_COPY]	= "fork_copy",
	[PNM_TRACE_COMPACT]		= "compact",
	[PNM_TRACE_MUNMAP]		= "munmap",
	[PNM_TRACE_EXIT]		= "exit",
	[PNM_TRACE_WRITEBACK]	= "writeback",
	[PNM_TRACE_WB_BOUNCE]	= "wb-bounce",
	[PNM_TRACE_FS_VIOLATION]	= "fs-violation",
	[PNM_TRACE_TRUNCATE]	= "truncate",
	[PNM_TRACE_RECLAIM]		= "reclaim",
	[PNM_TRACE_MMU_NOTIFY]	= "mmu_notify",
	[PNM_TRACE_MREMAP]		= "mremap",
	[PNM_TRACE_SWAPOUT]	= "swapout",
	[PNM_TRACE_SWAPIN]	= "swapin",
};

/* The name of trace event @ev ("fault", "cow_copy" ...), NULL if out of
 * range.  The string is static. */
const char *pnm_trace_name(enum pnm_trace_event ev)
{
	if ((unsigned int)ev >= PNM_NR_TRACE_EVENTS)
		return NULL;
	return pnm_trace_names[ev];
}

/*
 * The consumer.  pnm_trace_hook is written under trace_lock and read
 * without it (relaxed) by the pnm_trace() fast-path test; the consumer is
 * only ever called with trace_lock held, after re-reading the hook.
 */
pnm_trace_fn *pnm_trace_hook;
static void *pnm_trace_arg;		/* trace_lock */
static pthread_mutex_t trace_lock = PTHREAD_MUTEX_INITIALIZER;

/*
 * Install @fn (called with @arg for every event) as the trace consumer,
 * replacing any previous one; NULL removes it.  Once this returns, the
 * previous consumer is not running and will not be called again.
 */
void pnm_trace_set(pnm_trace_fn *fn, void *arg)
{
	pthread_mutex_lock(&trace_lock);
	pnm_trace_arg = arg;
	WRITE_ONCE(pnm_trace_hook, fn);
	pthread_mutex_unlock(&trace_lock);
}

/*
 * Deliver one event to the consumer, if one is installed (the pnm_trace()
 * macro calls this only when the hook looked set).  Takes trace_lock, so
 * it may be called with any model lock held; the consumer must not call
 * back into the model.
 */
void __pnm_trace(enum pnm_trace_event ev, int pid, unsigned long a,
		 unsigned long b, unsigned long c, long d)
{
	struct pnm_trace_rec rec = {
		.ev = ev, .pid = pid, .a = a, .b = b, .c = c, .d = d,
	};
	pnm_trace_fn *fn;

	pthread_mutex_lock(&trace_lock);
	fn = pnm_trace_hook;
	if (fn)
		fn(&rec, pnm_trace_arg);
	pthread_mutex_unlock(&trace_lock);
}
