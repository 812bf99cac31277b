// SPDX-License-Identifier: MIT
/*
 * pnm.c - the model's lifetime, configuration, system-wide checks and
 * error texts.
 *
 * One model instance exists per process.  pnm_init() builds it in this
 * order: the arena and zones (page_alloc.c, which also allocates the zero
 * page), the folio wait queues (filemap.c), the counters (all zeroed, then
 * nr_free_pages set from the zones), the pin registry and misuse state
 * (pin_registry.c), and the global task and mm lists.
 * pnm_fini() exits every task (task.c), reports frames that are still
 * allocated as leaks and tears everything down; a new pnm_init() may follow
 * (the tests build a fresh model for every test).  pnm_teardown() is the
 * embedder's error path: it first cleans up what the caller left behind
 * (live tasks, pins, open files, the flusher), reporting and counting each
 * thing, then runs the same teardown.  Every report goes through pnm_log()
 * (debug.c): the embedder's log hook, or stderr.
 *
 * Configuration: struct pnm_config carries its size, so a caller compiled
 * against an older header (smaller struct: the fields it does not know
 * take their defaults) or a newer one (larger struct: accepted if the
 * fields this library does not know are zero) works; pnm_config_import().
 *
 * The checkers (pnm_check_*) report through pnm_check_fail(), which keeps
 * the last message in a mutex-protected buffer and logs it;
 * pnm_check_error() hands a thread-private copy of it back.  Objects
 * outside the core (the call sites' devices and rings) register their
 * own checkers (pnm_check_register()), which pnm_check_system() runs last.
 *
 * Error texts: one X-macro table (PNM_ERRNO_MAP) lists every errno the
 * model can return, with its name and message; pnm_strerror(),
 * pnm_errno_name() and pnm_errno_parse() are generated from it.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "internal.h"
#include "rcu.h"

/* Longest message of a failed check (pnm_check_fail()). */
#define CHECK_MSG_LEN	512

/* Set by pnm_init(), read-only until pnm_fini(). */
struct pnm_config pnm_config;
bool pnm_initialised;

/*
 * Default configuration: 64 MiB NORMAL, 32 MiB MOVABLE, 16 MiB CMA, THP
 * on madvise with the huge zero page, Linux pin accounting, current (not
 * legacy) GUP, the pin registry and misuse detection on -- the same in
 * every build type (docs/pinning.md, "Misuse detection", says why).
 */
void pnm_config_init(struct pnm_config *cfg, size_t size)
{
	struct pnm_config def;

	memset(&def, 0, sizeof(def));
	def.zone_frames[ZONE_NORMAL] = 16384;
	def.zone_frames[ZONE_MOVABLE] = 8192;
	def.zone_frames[ZONE_CMA] = 4096;
	def.thp = PNM_THP_MADVISE;
	def.thp_use_zero_page = true;
	def.pin_accounting = PNM_PIN_ACCOUNTING_LINUX;
	def.legacy_gup = false;
	def.pin_registry = true;
	def.pin_debug = true;
	def.data_dir = NULL;
	def.wb_policy = PNM_WB_STABLE;
	def.writeback_thread = false;
	def.hugetlb_gigantic = true;
	/* Multi-size THP: 2 MiB follows def.thp, the smaller sizes are off. */
	def.thp_size_enabled[HPAGE_PMD_ORDER] = PNM_THP_INHERIT;
	/* A caller built against a newer header has fields this library
	 * does not know: zero them and keep its size, so that setting one
	 * makes pnm_init() fail with -E2BIG instead of ignoring it. */
	if (size > sizeof(def) && size <= PNM_STRUCT_SIZE_MAX) {
		memset((char *)cfg + sizeof(def), 0, size - sizeof(def));
		def.size = size;
		memcpy(cfg, &def, sizeof(def));
		return;
	}
	if (size > sizeof(def))
		size = sizeof(def);
	def.size = size;
	memcpy(cfg, &def, size);
}

/*
 * Import the caller's configuration of cfg->size bytes into @out (contract
 * in internal.h): fields beyond cfg->size take their defaults, whatever
 * the caller's memory holds there; fields this library does not know must
 * be zero (-E2BIG otherwise, as Linux's copy_struct_from_user()).  A size
 * below @min_size (pnm_init(): PNM_CONFIG_SIZE_0_2) is -EINVAL; one above
 * PNM_STRUCT_SIZE_MAX is -E2BIG without reading the tail.  @out is only
 * written on success.
 */
int pnm_config_import(const struct pnm_config *cfg, size_t min_size,
		      struct pnm_config *out)
{
	size_t size = cfg->size;

	if (size < min_size || size < sizeof(cfg->size))
		return -EINVAL;
	if (size > PNM_STRUCT_SIZE_MAX)
		return -E2BIG;
	if (size > sizeof(*out)) {
		const unsigned char *tail = (const unsigned char *)cfg + sizeof(*out);
		size_t i;

		for (i = 0; i < size - sizeof(*out); i++)
			if (tail[i])
				return -E2BIG;
		size = sizeof(*out);
	}
	pnm_config_init(out, sizeof(*out));
	memcpy(out, cfg, size);
	out->size = sizeof(*out);
	return 0;
}

static int validate_config(const struct pnm_config *cfg)
{
	unsigned long total = 0;
	int z;

	if (!cfg->zone_frames[ZONE_NORMAL])
		return -EINVAL;
	for (z = 0; z < MAX_NR_ZONES; z++) {
		if (cfg->zone_frames[z] > PNM_MAX_FRAMES)
			return -EINVAL;
		total += ALIGN(cfg->zone_frames[z], 1UL << MAX_PAGE_ORDER);
	}
	if (total > PNM_MAX_FRAMES)
		return -EINVAL;
	if ((unsigned int)cfg->thp > PNM_THP_ALWAYS)
		return -EINVAL;
	if ((unsigned int)cfg->pin_accounting > PNM_PIN_ACCOUNTING_EXACT)
		return -EINVAL;
	if ((unsigned int)cfg->wb_policy > PNM_WB_LINUX)
		return -EINVAL;
	if (cfg->swap_pages == 1 || cfg->swap_pages > PNM_SWAP_MAX_PAGES)
		return -EINVAL;
	return pnm_mthp_check_config(cfg);
}

/*
 * Build the model from @cfg (NULL: pnm_config_default()), imported by
 * its size field (pnm_config_import()).  Not thread safe: call it before
 * starting any thread that uses the model.  From here until the end of
 * pnm_fini() the library's messages and fatal errors go to @cfg's hooks.
 * Returns 0; -EBUSY if already initialised; -EINVAL for a bad
 * configuration (a size below the first release's struct, no NORMAL
 * frames, more than PNM_MAX_FRAMES frames after rounding each zone up to
 * 512, an unknown THP, accounting or writeback mode, swap_pages 1 or
 * above PNM_SWAP_MAX_PAGES); -E2BIG for a larger struct whose fields
 * unknown here are not zero; -ENOMEM if the host cannot map the arena;
 * the host's error creating the swap file.  On error nothing is left
 * initialised.
 */
int pnm_init(const struct pnm_config *cfg)
{
	struct pnm_config def;
	int err;

	if (pnm_initialised)
		return -EBUSY;
	if (!cfg) {
		pnm_config_default(&def);
	} else {
		err = pnm_config_import(cfg, PNM_CONFIG_SIZE_0_2, &def);
		if (err)
			return err;
	}
	cfg = &def;
	err = validate_config(cfg);
	if (err)
		return err;
	pnm_config = *cfg;
	pnm_hooks_set(cfg);

	err = pnm_page_alloc_init(cfg);
	if (err)
		goto out_hooks;
	err = pnm_mthp_init(cfg);
	if (err)
		goto out_page_alloc_only;
	pnm_folio_lock_init();
	hugetlb_init(cfg);		/* empty pools */

	/* A fresh model starts from zero; the gauge of free frames is the
	 * only one that is not zero at this point. */
	pnm_stat_zero_all();
	mod_vm_stat(NR_FREE_PAGES, pnm_nr_free_frames());
	atomic_long_set(&pnm_nr_warnings, 0);
	/* No pins, records or misuse reports yet. */
	pnm_pin_registry_init();
	/* The knobs of pinmm/sysctl.h at their defaults (the THP ones are
	 * pnm_config's, just set). */
	pnm_sysctl_init();

	/* The list locks are statically initialised by their owners
	 * (fork.c, task.c); the lists start empty for every model. */
	INIT_LIST_HEAD(&pnm_mm_list);
	INIT_LIST_HEAD(&pnm_task_list);

	/* Files: the data directory and inode table, then the flusher. */
	err = pnm_fs_init(cfg);
	if (err)
		goto out_page_alloc;
	err = pnm_writeback_init(cfg);
	if (err)
		goto out_fs;
	/* Swap: the swap cache, and the device of cfg->swap_pages (its file
	 * lives in the data directory). */
	err = pnm_swap_init(cfg);
	if (err)
		goto out_writeback;

	pnm_initialised = true;
	return 0;

out_writeback:
	pnm_writeback_fini();
out_fs:
	pnm_fs_fini(NULL);
out_page_alloc:
	pnm_pin_registry_fini();
	pnm_mthp_fini();
out_page_alloc_only:
	pnm_page_alloc_fini();
out_hooks:
	pnm_hooks_clear();
	return err;
}

/* Log up to a few leaked folios so that a failing test says what leaked. */
static void report_leaks(unsigned long leaked)
{
	unsigned long pfn, shown = 0;

	pnm_log(PNM_LOG_ERR, "pinmm: pnm_fini: %lu frame%s still allocated", leaked,
		leaked == 1 ? "" : "s");
	for (pfn = 0; pfn < pnm_mem.nr_frames && shown < 4; pfn++) {
		struct page *page = pfn_to_page(pfn);

		if (PageBuddy(page)) {
			pfn += (1UL << page->private) - 1;
			continue;
		}
		if (is_zero_pfn(pfn) || PageTail(page) ||
		    !atomic_read(&page->_refcount))
			continue;
		dump_page(page, "leaked at pnm_fini");
		shown++;
	}
}

/* What model_fini() found left over. */
struct fini_leftovers {
	unsigned long files;		/* files left open, closed */
	unsigned long leaked;		/* frames still allocated at the end */
};

/* --- checkers of objects outside the core ------------------------------------- */

/* One registered checker (pnm_check_register()). */
struct pnm_checker {
	struct list_head list;		/* checkers; checkers_lock */
	pnm_check_fn *fn;
	void *arg;
};

/*
 * checkers_lock: the list of registered checkers.  Held while they run
 * (pnm_check_system()), so a checker is never unregistered under its own
 * run; it nests outside whatever locks the checkers take, and register
 * and unregister are called with none of those held.
 */
static pthread_mutex_t checkers_lock = PTHREAD_MUTEX_INITIALIZER;
static LIST_HEAD(checkers);

/* pnm_check_register - run @fn(@arg) in pnm_check_system() (pinmm.h). */
int pnm_check_register(pnm_check_fn *fn, void *arg)
{
	struct pnm_checker *c, *new;
	int err = 0;

	if (!fn || !pnm_initialised)
		return -EINVAL;
	new = pnm_calloc(PNM_FAULT_ALLOC, 1, sizeof(*new));
	if (!new)
		return -ENOMEM;
	new->fn = fn;
	new->arg = arg;
	pthread_mutex_lock(&checkers_lock);
	list_for_each_entry(c, &checkers, list) {
		if (c->fn == fn && c->arg == arg) {
			err = -EEXIST;
			break;
		}
	}
	if (!err)
		list_add_tail(&new->list, &checkers);
	pthread_mutex_unlock(&checkers_lock);
	if (err)
		free(new);
	return err;
}

/* pnm_check_unregister - forget a checker (pinmm.h). */
int pnm_check_unregister(pnm_check_fn *fn, void *arg)
{
	struct pnm_checker *c, *found = NULL;

	pthread_mutex_lock(&checkers_lock);
	list_for_each_entry(c, &checkers, list) {
		if (c->fn == fn && c->arg == arg) {
			found = c;
			list_del(&c->list);
			break;
		}
	}
	pthread_mutex_unlock(&checkers_lock);
	free(found);
	return found ? 0 : -ENOENT;
}

/* pnm_check_system()'s last part: every registered checker, oldest first. */
static bool check_registered(void)
{
	struct pnm_checker *c;
	char why[CHECK_MSG_LEN];
	bool ok = true;

	pthread_mutex_lock(&checkers_lock);
	list_for_each_entry(c, &checkers, list) {
		why[0] = '\0';
		int err = c->fn(c->arg, why, sizeof(why));

		if (err) {
			why[sizeof(why) - 1] = '\0';
			if (err == -ENOMEM)
				ok = pnm_check_nomem(why[0] ? why : "a registered checker");
			else
				ok = pnm_check_fail("%s", why[0] ? why : "a registered checker failed");
			break;
		}
	}
	pthread_mutex_unlock(&checkers_lock);
	return ok;
}

/* pnm_fini(): checkers still registered belong to objects nobody
 * destroyed; say so and drop them. */
static void checkers_fini(void)
{
	struct pnm_checker *c, *next;
	unsigned long n = 0;

	pthread_mutex_lock(&checkers_lock);
	list_for_each_entry_safe(c, next, &checkers, list) {
		list_del(&c->list);
		free(c);
		n++;
	}
	pthread_mutex_unlock(&checkers_lock);
	if (n)
		pnm_log(PNM_LOG_WARN, "pinmm: pnm_fini: %lu invariant checker%s still registered "
			"(objects of call sites not destroyed): dropped", n, n == 1 ? "" : "s");
}

/*
 * pnm_fini()'s work, minus the hooks (pnm_teardown() reports after it):
 * exit every remaining task (pnm_tasks_fini()), stop the flusher, close
 * the files left open and evict every inode, wait for page-table frees
 * deferred past an RCU grace period (pnm_rcu_barrier), free the huge zero
 * page (pnm_huge_zero_fini), then check that every frame except the zero
 * page came back and unmap the arena.  Each leftover is logged; *@left
 * counts them.  Returns 0, or -EBUSY if something was left.
 */
static int model_fini(struct fini_leftovers *left)
{
	struct pnm_log_stream ls;
	unsigned long leaked;
	int ret = 0;

	left->files = 0;
	left->leaked = 0;
	pnm_tasks_fini();
	/* Pin owners hold their mm and file: drop them (their pins stay and
	 * are reported with the leaked frames below). */
	if (pnm_vaddr_pin_fini())
		ret = -EBUSY;
	/* No process has a swap entry any more: drop the swap cache left
	 * and take the device down (its file may be in the data directory). */
	pnm_swap_fini();
	/* No process maps a file any more: stop the flusher, then close
	 * what callers left open (reported) and evict every inode. */
	pnm_writeback_fini();
	if (pnm_fs_fini(&left->files))
		ret = -EBUSY;
	/* Inodes wait for a grace period (fs/namei.c): their callbacks
	 * must have run before the frames are counted. */
	pnm_rcu_barrier();
	/* No mapping is left: the huge zero page goes back too, and the
	 * hugetlb pools (their free pages: in-use ones leak, logged). */
	if (!pnm_huge_zero_fini())
		ret = -EBUSY;
	hugetlb_fini();

	spin_lock(&pnm_mm_list_lock);
	if (!list_empty(&pnm_mm_list)) {
		pnm_log(PNM_LOG_ERR, "pinmm: pnm_fini: mm_structs still alive");
		ret = -EBUSY;
	} else {
		long chains, anon_vmas = pnm_nr_anon_vmas(&chains);

		/* Every VMA is gone, so every anon_vma and link must be. */
		if (anon_vmas || chains) {
			pnm_log(PNM_LOG_ERR, "pinmm: pnm_fini: %ld anon_vmas and %ld anon_vma "
				"links leaked", anon_vmas, chains);
			ret = -EBUSY;
		}
	}
	spin_unlock(&pnm_mm_list_lock);

	leaked = pnm_nr_allocated_frames() - 1;		/* the zero page */
	if (leaked) {
		/* Pins outlive their processes: name them as the reason. */
		pnm_pin_registry_report_leaks(pnm_log_stream_begin(&ls));
		pnm_log_stream_end(&ls, PNM_LOG_ERR);
		report_leaks(leaked);
		left->leaked = leaked;
		ret = -EBUSY;
	}
	if (folio_ref_count(pfn_folio(pnm_mem.zero_pfn)) != 1) {
		pnm_log(PNM_LOG_ERR, "pinmm: pnm_fini: zero page refcount %d",
			folio_ref_count(pfn_folio(pnm_mem.zero_pfn)));
		ret = -EBUSY;
	}

	checkers_fini();
	pnm_pin_budget_fini();
	pnm_pin_registry_fini();
	pnm_mthp_fini();
	pnm_page_alloc_fini();
	/* Leaked structures are abandoned; the next model starts clean. */
	INIT_LIST_HEAD(&pnm_mm_list);
	INIT_LIST_HEAD(&pnm_task_list);
	pnm_initialised = false;
	return ret;
}

/*
 * Tear the model down (model_fini()): every task is exited, the flusher
 * stopped, files left open closed, and every frame except the zero page
 * must have come back.  Not thread safe: no other thread may be using the
 * model.  Returns 0, -EINVAL if the model is not initialised, or -EBUSY
 * if files, frames or mms were leaked; leaks are logged (pnm_log(): the
 * log hook or stderr; pins still held, which keep their frames allocated,
 * are listed first as the reason) and the model is torn down anyway, so
 * pnm_init() can be called again.  Messages go to stderr afterwards.
 */
int pnm_fini(void)
{
	struct fini_leftovers left;
	int ret;

	if (!pnm_initialised)
		return -EINVAL;
	ret = model_fini(&left);
	pnm_hooks_clear();
	return ret;
}

/* --- teardown ------------------------------------------------------------------ */

static const char *plural(unsigned long n)
{
	return n == 1 ? "" : "s";
}

/* pnm_for_each_task() callback: exit @t if it still runs, counting it. */
static void teardown_task(struct task_struct *t, void *arg)
{
	unsigned long *tasks = arg;

	if (pnm_task_exited(t))
		return;
	pnm_log(PNM_LOG_ERR, "pinmm: pnm_teardown: task %d '%s' still running: exited",
		t->pid, t->comm);
	pnm_task_exit(t);
	(*tasks)++;
}

/* pnm_pin_registry_foreach() callback: count a live record and its pages. */
static void count_pin(const struct pnm_pin_record *rec, void *arg)
{
	struct pnm_teardown_report *r = arg;

	r->pins++;
	r->pinned_pages += rec->nr_live;
}

/*
 * Release every pin the registry records (a no-op with the registry off:
 * nothing says which frames are pinned, and pnm_fini() reports them as
 * leaked).  The pins are listed first, then released page by page
 * through the frames the registry still records
 * (pnm_pin_registry_any_live()), whether or not their owner has exited
 * and their folio is still mapped or cached, legacy-mode pins (which
 * keep no pin counts) included.
 */
static void teardown_pins(struct pnm_teardown_report *r)
{
	struct pnm_teardown_report left;
	struct pnm_log_stream ls;
	unsigned long pfn, budget;

	if (!pnm_config.pin_registry)
		return;
	pnm_pin_registry_foreach(-1, count_pin, r);
	if (!r->pins)
		return;
	pnm_log(PNM_LOG_ERR, "pinmm: pnm_teardown: releasing %lu pin%s of %lu page%s still held:",
		r->pins, plural(r->pins), r->pinned_pages, plural(r->pinned_pages));
	pnm_pin_registry_print(pnm_log_stream_begin(&ls), -1);
	pnm_log_stream_end(&ls, PNM_LOG_ERR);

	/* Release what the registry still records one recorded page at a
	 * time, each unpin retiring one of its pins.  Bounded by the pages
	 * counted above, so a refused unpin (reported) cannot loop. */
	for (budget = r->pinned_pages; budget && pnm_pin_registry_any_live(&pfn); budget--)
		unpin_user_page(pfn_to_page(pfn));
	/* What is still recorded was not released: not counted as such
	 * (its frames are counted as leaked instead). */
	memset(&left, 0, sizeof(left));
	pnm_pin_registry_foreach(-1, count_pin, &left);
	if (left.pins) {
		pnm_log(PNM_LOG_ERR, "pinmm: pnm_teardown: %lu pin%s of %lu page%s could not be "
			"released", left.pins,
			plural(left.pins), left.pinned_pages, plural(left.pinned_pages));
		r->pins -= left.pins;
		r->pinned_pages -= left.pinned_pages;
	}
}

/*
 * The embedder's one-call error path (pinmm.h): with no other thread
 * inside the model, leave the calling thread's task, exit every task
 * still running (fork children included), release the pins the registry
 * records (teardown_pins(): also those whose owner has exited and whose
 * pages are detached), stop the flusher, then pnm_fini()'s teardown,
 * which closes the files left open and counts the frames still allocated.
 * Each thing is logged (PNM_LOG_ERR) and counted in @report, then a
 * summary line (PNM_LOG_INFO) if anything was left.  @report may be NULL;
 * its size must be at least the 0.2 struct's (else -EINVAL, nothing
 * done); a larger struct gets its unknown tail zeroed.  Returns 0 if
 * nothing was left over, -EBUSY if something was (cleaned up; leaked
 * frames are abandoned with the arena), -EINVAL if the model is not
 * initialised.  pnm_init() may follow in the same process.
 */
int pnm_teardown(struct pnm_teardown_report *report)
{
	struct pnm_teardown_report r;
	struct fini_leftovers left;
	int ret;

	unsigned long owner_pins = 0, owner_pages = 0;

	if (!pnm_initialised)
		return -EINVAL;
	if (report && (report->size < PNM_TEARDOWN_REPORT_SIZE_0_2 ||
		       report->size > PNM_STRUCT_SIZE_MAX))
		return -EINVAL;
	memset(&r, 0, sizeof(r));
	r.size = sizeof(r);

	pnm_task_enter(NULL);
	pnm_for_each_task(teardown_task, &r.tasks);
	/* Pin owners first: their extents are pins the registry records. */
	pnm_vaddr_pin_teardown(&owner_pins, &owner_pages);
	teardown_pins(&r);
	r.pins += owner_pins;
	r.pinned_pages += owner_pages;
	pnm_writeback_stop();
	ret = model_fini(&left);
	r.files = left.files;
	r.leaked_frames = left.leaked;
	if (r.tasks || r.files || r.pins || r.leaked_frames) {
		pnm_log(PNM_LOG_INFO, "pinmm: pnm_teardown: %lu task%s exited, %lu file%s closed, "
			"%lu pin%s of %lu page%s released, %lu frame%s leaked",
			r.tasks, plural(r.tasks), r.files, plural(r.files), r.pins,
			plural(r.pins), r.pinned_pages, plural(r.pinned_pages),
			r.leaked_frames, plural(r.leaked_frames));
		ret = -EBUSY;
	}
	pnm_hooks_clear();

	if (report) {
		size_t size = report->size;

		memcpy((char *)report + sizeof(report->size), (char *)&r + sizeof(r.size),
		       (size < sizeof(r) ? size : sizeof(r)) - sizeof(r.size));
		if (size > sizeof(r))
			memset((char *)report + sizeof(r), 0, size - sizeof(r));
	}
	return ret;
}

/* The configuration pnm_init() was given; valid until pnm_fini(). */
const struct pnm_config *pnm_get_config(void)
{
	return &pnm_config;
}

/* --- checking ---------------------------------------------------------------- */


static pthread_mutex_t check_lock = PTHREAD_MUTEX_INITIALIZER;
static char check_msg[CHECK_MSG_LEN];		/* check_lock */
static _Thread_local char check_msg_copy[CHECK_MSG_LEN];
/* The calling thread's pnm_check_system(): its pass number (0 outside one)
 * and whether a checker of it ran out of host memory. */
static _Thread_local unsigned long check_pass_cur;
static _Thread_local bool check_nomem;
/* pnm_check_host_error(): how the thread's last pnm_check_system() ended */
static _Thread_local int check_host_err;

/*
 * Record a checker failure: format the message, keep it as the last error
 * (pnm_check_error()) and log it (PNM_LOG_ERR).  Thread safe; takes an
 * internal mutex that nests inside every model lock.  Always returns false
 * so that checkers can "return pnm_check_fail(...)".
 */
bool pnm_check_fail(const char *fmt, ...)
{
	char buf[CHECK_MSG_LEN];
	va_list ap;

	if (check_nomem)	/* the pass stopped for want of host memory */
		return false;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);

	pthread_mutex_lock(&check_lock);
	memcpy(check_msg, buf, sizeof(check_msg));
	pthread_mutex_unlock(&check_lock);
	pnm_log(PNM_LOG_ERR, "pinmm: check failed: %s", buf);
	return false;
}

/* The last pass number handed out (check_pass_begin); atomic. */
static unsigned long check_pass_last;

/* pnm_check_nomem - see model/pinmm.h. */
bool pnm_check_nomem(const char *what)
{
	char buf[CHECK_MSG_LEN];

	if (check_nomem)		/* said once already in this pass */
		return false;
	/* Inside a pass, what fails after this is its consequence:
	 * pnm_check_fail() stays quiet until the pass ends. */
	check_nomem = check_pass_cur != 0;
	snprintf(buf, sizeof(buf), "%s: out of host memory (the checker cannot run)", what);
	pthread_mutex_lock(&check_lock);
	memcpy(check_msg, buf, sizeof(check_msg));
	pthread_mutex_unlock(&check_lock);
	pnm_log(PNM_LOG_ERR, "pinmm: check stopped: %s", buf);
	return false;
}

/* pnm_check_pass - see model/pinmm.h. */
unsigned long pnm_check_pass(void)
{
	return check_pass_cur;
}

/* pnm_check_host_error - see pinmm.h. */
int pnm_check_host_error(void)
{
	return check_host_err;
}

/*
 * The last message recorded by pnm_check_fail() (by any thread), or "" if
 * none.  The string is a copy private to the calling thread, valid until
 * its next call.
 */
const char *pnm_check_error(void)
{
	pthread_mutex_lock(&check_lock);
	memcpy(check_msg_copy, check_msg, sizeof(check_msg_copy));
	pthread_mutex_unlock(&check_lock);
	return check_msg_copy;
}

/*
 * Walk mem_map[] and check every allocated, ordinary folio, including
 * detached ones (a truncated folio still pinned: mapping NULL, not anon;
 * pnm_check_folio() accepts it).  Also checks the PNM_NR_TRUNCATED_LIVE
 * gauge against the PG_pnm_truncated folios found.
 */
static bool check_folios(void)
{
	unsigned long pfn = 0, truncated = 0;

	while (pfn < pnm_mem.nr_frames) {
		struct page *page = pfn_to_page(pfn);
		struct folio *folio;

		if (PageBuddy(page)) {
			pfn += 1UL << page->private;
			continue;
		}
		/* hugetlb folios, free in their pool too (hugetlb_fault.c) */
		if (PageHead(page) && folio_test_hugetlb((struct folio *)page)) {
			folio = (struct folio *)page;
			if (!hugetlb_check_folio(folio))
				return false;
			if (test_bit(PG_pnm_truncated, &folio->flags))
				truncated += folio_nr_pages(folio);
			pfn += folio_nr_pages(folio);
			continue;
		}
		if (PageTail(page) || is_zero_pfn(pfn) || PageTable(page) ||
		    !atomic_read(&page->_refcount)) {
			pfn++;
			continue;
		}
		if (is_huge_zero_pfn(pfn)) {	/* pnm_check_huge_zero() */
			pfn += HPAGE_PMD_NR;
			continue;
		}
		folio = (struct folio *)page;
		if (!pnm_check_folio(folio))
			return false;
		if (test_bit(PG_pnm_truncated, &folio->flags))
			truncated += folio_nr_pages(folio);
		pfn += folio_nr_pages(folio);
	}
	if ((long)truncated != global_stat(PNM_NR_TRUNCATED_LIVE))
		return pnm_check_fail("%lu pages of truncated folios alive but pnm_nr_truncated_live %ld",
				      truncated, global_stat(PNM_NR_TRUNCATED_LIVE));
	return true;
}

/* Check every live mm, without holding pnm_mm_list_lock while doing so. */
static bool check_mms(void)
{
	struct mm_struct **mms, *mm;
	int nr = 0, i;
	bool ok = true;

	spin_lock(&pnm_mm_list_lock);
	list_for_each_entry(mm, &pnm_mm_list, mmlist)
		nr++;
	mms = malloc((nr ? nr : 1) * sizeof(*mms));
	if (!mms) {
		spin_unlock(&pnm_mm_list_lock);
		return pnm_check_nomem("pnm_check_system: the list of mms");
	}
	nr = 0;
	list_for_each_entry(mm, &pnm_mm_list, mmlist) {
		/* Not mmgrab(): an mm whose last mmdrop() is running but
		 * has not yet taken it off the list must not be revived. */
		if (atomic_add_unless(&mm->mm_count, 1, 0))
			mms[nr++] = mm;
	}
	spin_unlock(&pnm_mm_list_lock);

	for (i = 0; i < nr; i++) {
		if (ok)
			ok = pnm_check_mm(mms[i]);
		mmdrop(mms[i]);
	}
	free(mms);
	return ok;
}

/*
 * Check the whole model: every zone's buddy state, every allocated folio
 * (except the zero pages and page tables, which their owners check), the
 * deferred split queue, every
 * live mm, the zero page, the huge zero page, the pin budgets
 * (pnm_pin_budget_check), the pin owners' extents (pnm_vaddr_pin_check),
 * and the frame accounting (free + allocated ==
 * total, and nr_free_pages == the zones' free frames).  Call it while no
 * other thread changes the model.  Returns true if everything holds;
 * otherwise the first problem is in pnm_check_error().
 */
static bool check_system(void)
{
	unsigned long free_frames = 0, allocated;
	struct folio *zero;
	int z;

	if (!pnm_initialised)
		return pnm_check_fail("pnm_check_system: model not initialised");
	for (z = 0; z < MAX_NR_ZONES; z++) {
		struct zone *zone = pnm_zone(z);

		if (!zone)
			continue;
		if (!pnm_check_zone(zone))
			return false;
		free_frames += zone_page_state(zone, NR_ZONE_FREE_PAGES);
	}
	allocated = pnm_nr_allocated_frames();
	if (free_frames + allocated != pnm_mem.nr_frames)
		return pnm_check_fail("frame accounting: %lu free + %lu allocated != %lu frames",
				      free_frames, allocated, pnm_mem.nr_frames);
	if ((unsigned long)global_stat(NR_FREE_PAGES) != free_frames)
		return pnm_check_fail("nr_free_pages %ld, zones have %lu free frames",
				      global_stat(NR_FREE_PAGES), free_frames);

	zero = pfn_folio(pnm_mem.zero_pfn);
	/* refcount 1, plus any FOLL_GET references get_user_pages*() took on
	 * it (as Linux, they count; pins do not). */
	if (!folio_test_reserved(zero) || folio_ref_count(zero) < 1 ||
	    folio_test_large(zero) || atomic_read(&zero->_mapcount))
		return pnm_check_fail("zero page pfn %#lx: reserved %d refcount %d mapcount %d",
				      pnm_mem.zero_pfn, folio_test_reserved(zero),
				      folio_ref_count(zero),
				      atomic_read(&zero->_mapcount));

	if (!pnm_check_huge_zero())
		return false;
	if (!check_folios())
		return false;
	if (!hugetlb_check())
		return false;
	if (!pnm_check_deferred_split())
		return false;
	if (!pnm_check_inodes())
		return false;
	if (!pnm_secretmem_check())
		return false;
	if (!pnm_check_lru())
		return false;
	if (!pnm_check_swap())
		return false;
	if (!pnm_pin_budget_check())
		return false;
	if (!pnm_vaddr_pin_check())
		return false;
	if (!check_mms())
		return false;
	return check_registered();
}

/* pnm_check_system - see pinmm.h: check_system() as one checker pass. */
bool pnm_check_system(void)
{
	unsigned long saved_pass = check_pass_cur;
	bool ok;

	check_nomem = false;
	/* A fresh pass number; relaxed: it only has to be unique. */
	check_pass_cur = __atomic_add_fetch(&check_pass_last, 1, __ATOMIC_RELAXED);
	/* liburcu's callback thread frees deferred page tables, inodes and
	 * anon_vmas: the model's own "other thread" (rcu.h). */
	pnm_rcu_callbacks_hold();
	ok = check_system();
	pnm_rcu_callbacks_release();
	check_host_err = !ok && check_nomem ? -ENOMEM : 0;
	check_nomem = false;
	check_pass_cur = saved_pass;
	return ok;
}

/* --- errno texts ---------------------------------------------------------------- */

#define PNM_ERRNO_MAP(X)						\
	X(EPERM, "Operation not permitted")				\
	X(ENOENT, "No such file or directory")				\
	X(ESRCH, "No such process")					\
	X(EINTR, "Interrupted system call")				\
	X(EIO, "Input/output error")					\
	X(ENXIO, "No such device or address")				\
	X(E2BIG, "Argument list too long")				\
	X(ENOEXEC, "Exec format error")					\
	X(EBADF, "Bad file descriptor")					\
	X(ECHILD, "No child processes")					\
	X(EAGAIN, "Resource temporarily unavailable")			\
	X(ENOMEM, "Cannot allocate memory")				\
	X(EACCES, "Permission denied")					\
	X(EFAULT, "Bad address")					\
	X(EBUSY, "Device or resource busy")				\
	X(EEXIST, "File exists")					\
	X(EXDEV, "Invalid cross-device link")				\
	X(ENODEV, "No such device")					\
	X(ENOTDIR, "Not a directory")					\
	X(EISDIR, "Is a directory")					\
	X(EINVAL, "Invalid argument")					\
	X(ENFILE, "Too many open files in system")			\
	X(EMFILE, "Too many open files")				\
	X(ENOTTY, "Inappropriate ioctl for device")			\
	X(ETXTBSY, "Text file busy")					\
	X(EFBIG, "File too large")					\
	X(ENOSPC, "No space left on device")				\
	X(ESPIPE, "Illegal seek")					\
	X(EROFS, "Read-only file system")				\
	X(EMLINK, "Too many links")					\
	X(EPIPE, "Broken pipe")						\
	X(EDOM, "Numerical argument out of domain")			\
	X(ERANGE, "Numerical result out of range")			\
	X(EDEADLK, "Resource deadlock avoided")				\
	X(ENAMETOOLONG, "File name too long")				\
	X(ENOLCK, "No locks available")					\
	X(ENOSYS, "Function not implemented")				\
	X(ENOTEMPTY, "Directory not empty")				\
	X(ELOOP, "Too many levels of symbolic links")			\
	X(ENODATA, "No data available")					\
	X(EOVERFLOW, "Value too large for defined data type")		\
	X(EOPNOTSUPP, "Operation not supported")			\
	X(ENOBUFS, "No buffer space available")				\
	X(ETIMEDOUT, "Connection timed out")				\
	X(EALREADY, "Operation already in progress")			\
	X(EINPROGRESS, "Operation now in progress")			\
	X(ECANCELED, "Operation canceled")				\
	X(EUCLEAN, "Structure needs cleaning")				\
	X(EREMOTEIO, "Remote I/O error")				\
	X(EHWPOISON, "Memory page has hardware error")

struct errno_entry {
	int err;
	const char *name;
	const char *text;	/* "NAME: message" */
};

#define ERRNO_ENTRY(e, msg)	{ e, #e, #e ": " msg },
static const struct errno_entry errno_table[] = {
	PNM_ERRNO_MAP(ERRNO_ENTRY)
};
#undef ERRNO_ENTRY

static const struct errno_entry *errno_find(int err)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(errno_table); i++)
		if (errno_table[i].err == err)
			return &errno_table[i];
	return NULL;
}

/*
 * Text for an errno, given negated as the model returns it (-ENOMEM ->
 * "ENOMEM: Cannot allocate memory"); a positive value is accepted too.
 * 0 gives "0: Success"; an errno outside the table gives "E<n>: Unknown
 * error" in a buffer private to the calling thread.  Never NULL.
 */
const char *pnm_strerror(int err)
{
	static _Thread_local char unknown[48];
	const struct errno_entry *e;

	if (err == 0)
		return "0: Success";
	if (err < 0 && err != INT32_MIN)
		err = -err;
	e = errno_find(err);
	if (e)
		return e->text;
	snprintf(unknown, sizeof(unknown), "E%d: Unknown error", err);
	return unknown;
}

/* The symbolic name ("ENOMEM") of positive errno @err, or NULL. */
const char *pnm_errno_name(int err)
{
	const struct errno_entry *e = errno_find(err);

	return e ? e->name : NULL;
}

/*
 * Parse an errno given by name ("ENOMEM", case-insensitive, optionally
 * with a leading '-') or by number ("12" or "-12").  Returns the positive
 * errno, or -1 if @name is NULL, not a known name, or not a positive
 * number that fits an int.
 */
int pnm_errno_parse(const char *name)
{
	const char *s = name;
	size_t i;

	if (!s)
		return -1;
	if (*s == '-')
		s++;
	if (isdigit((unsigned char)*s)) {
		char *end;
		long v = strtol(s, &end, 10);

		if (*end || v <= 0 || v > INT32_MAX)
			return -1;
		return (int)v;
	}
	for (i = 0; i < ARRAY_SIZE(errno_table); i++)
		if (strcasecmp(errno_table[i].name, s) == 0)
			return errno_table[i].err;
	return -1;
}
