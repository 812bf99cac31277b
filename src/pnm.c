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
 * (the tests build a fresh model for every test).
 *
 * The checkers (pnm_check_*) report through pnm_check_fail(), which keeps
 * the last message in a mutex-protected buffer and prints it to stderr;
 * pnm_check_error() hands a thread-private copy of it back.
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
	if (size > sizeof(def))
		size = sizeof(def);
	def.size = size;
	memcpy(cfg, &def, size);
}

/*
 * The smallest struct pnm_config a caller may pass: the first release
 * with a size field (0.2.0) had every field up to fatal_arg.  Later
 * releases only append.
 */
#define PNM_CONFIG_SIZE_0_2	(offsetof(struct pnm_config, fatal_arg) + sizeof(void *))

/*
 * Copy the caller's configuration of cfg->size bytes into @out: fields it
 * does not know take their defaults; fields this library does not know
 * must be zero (-E2BIG otherwise, as Linux's copy_struct_from_user()).
 */
static int config_import(const struct pnm_config *cfg, struct pnm_config *out)
{
	size_t size = cfg->size;

	if (size < PNM_CONFIG_SIZE_0_2)
		return -EINVAL;
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
	return 0;
}

/*
 * Build the model from @cfg (NULL: pnm_config_default()), imported by
 * its size field (config_import()).  Not thread
 * safe: call it before starting any thread that uses the model.  Returns
 * 0; -EBUSY if already initialised; -EINVAL for a bad configuration (no
 * NORMAL frames, more than PNM_MAX_FRAMES frames after rounding each zone
 * up to 512, an unknown THP or accounting mode); -ENOMEM if the host
 * cannot map the arena.  On error nothing is left initialised.
 */
int pnm_init(const struct pnm_config *cfg)
{
	struct pnm_config def;
	int i, err;

	if (pnm_initialised)
		return -EBUSY;
	if (!cfg) {
		pnm_config_default(&def);
	} else {
		err = config_import(cfg, &def);
		if (err)
			return err;
	}
	cfg = &def;
	err = validate_config(cfg);
	if (err)
		return err;
	pnm_config = *cfg;

	err = pnm_page_alloc_init(cfg);
	if (err)
		return err;
	pnm_folio_lock_init();

	/* A fresh model starts from zero; the gauge of free frames is the
	 * only one that is not zero at this point. */
	for (i = 0; i < NR_VM_STAT_ITEMS; i++)
		atomic_long_set(&vm_stat[i], 0);
	mod_vm_stat(NR_FREE_PAGES, pnm_nr_free_frames());
	atomic_long_set(&pnm_nr_warnings, 0);
	/* No pins, records or misuse reports yet. */
	pnm_pin_registry_init();

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

	pnm_initialised = true;
	return 0;

out_fs:
	pnm_fs_fini();
out_page_alloc:
	pnm_pin_registry_fini();
	pnm_page_alloc_fini();
	return err;
}

/* Print up to a few leaked folios so that a failing test says what leaked. */
static void report_leaks(unsigned long leaked)
{
	unsigned long pfn, shown = 0;

	fprintf(stderr, "pinmm: pnm_fini: %lu frame%s still allocated\n", leaked,
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

/*
 * Tear the model down: exit every remaining task (pnm_tasks_fini()), wait
 * for page-table frees deferred past an RCU grace period (pnm_rcu_barrier),
 * free the huge zero page (pnm_huge_zero_fini), then check that every
 * frame except the zero page came back and unmap the
 * arena.  Not thread safe: no other thread may be using the model.
 * Returns 0, -EINVAL if the model is not initialised, or -EBUSY if frames
 * (or mms) were leaked; leaks are reported on stderr (pins still held,
 * which keep their frames allocated, are listed first as the reason) and
 * the model is torn down anyway, so pnm_init() can be called again.
 */
int pnm_fini(void)
{
	unsigned long leaked;
	int ret = 0;

	if (!pnm_initialised)
		return -EINVAL;
	pnm_tasks_fini();
	/* No process maps a file any more: stop the flusher, then close
	 * what callers left open (reported) and evict every inode. */
	pnm_writeback_fini();
	if (pnm_fs_fini())
		ret = -EBUSY;
	/* Table frames whose release waits for a grace period (pgtable.c)
	 * must be back before the frames are counted. */
	pnm_rcu_barrier();
	/* No mapping is left: the huge zero page goes back too. */
	if (!pnm_huge_zero_fini())
		ret = -EBUSY;

	spin_lock(&pnm_mm_list_lock);
	if (!list_empty(&pnm_mm_list)) {
		fprintf(stderr, "pinmm: pnm_fini: mm_structs still alive\n");
		ret = -EBUSY;
	} else {
		long chains, anon_vmas = pnm_nr_anon_vmas(&chains);

		/* Every VMA is gone, so every anon_vma and link must be. */
		if (anon_vmas || chains) {
			fprintf(stderr, "pinmm: pnm_fini: %ld anon_vmas and %ld anon_vma "
				"links leaked\n", anon_vmas, chains);
			ret = -EBUSY;
		}
	}
	spin_unlock(&pnm_mm_list_lock);

	leaked = pnm_nr_allocated_frames() - 1;		/* the zero page */
	if (leaked) {
		/* Pins outlive their processes: name them as the reason. */
		pnm_pin_registry_report_leaks(stderr);
		report_leaks(leaked);
		ret = -EBUSY;
	}
	if (folio_ref_count(pfn_folio(pnm_mem.zero_pfn)) != 1) {
		fprintf(stderr, "pinmm: pnm_fini: zero page refcount %d\n",
			folio_ref_count(pfn_folio(pnm_mem.zero_pfn)));
		ret = -EBUSY;
	}

	pnm_pin_registry_fini();
	pnm_page_alloc_fini();
	/* Leaked structures are abandoned; the next model starts clean. */
	INIT_LIST_HEAD(&pnm_mm_list);
	INIT_LIST_HEAD(&pnm_task_list);
	pnm_initialised = false;
	return ret;
}

/* The configuration pnm_init() was given; valid until pnm_fini(). */
const struct pnm_config *pnm_get_config(void)
{
	return &pnm_config;
}

/* --- checking ---------------------------------------------------------------- */

#define CHECK_MSG_LEN	512

static pthread_mutex_t check_lock = PTHREAD_MUTEX_INITIALIZER;
static char check_msg[CHECK_MSG_LEN];		/* check_lock */
static _Thread_local char check_msg_copy[CHECK_MSG_LEN];

/*
 * Record a checker failure: format the message, keep it as the last error
 * (pnm_check_error()) and print it to stderr.  Thread safe; takes an
 * internal mutex that nests inside every model lock.  Always returns false
 * so that checkers can "return pnm_check_fail(...)".
 */
bool pnm_check_fail(const char *fmt, ...)
{
	char buf[CHECK_MSG_LEN];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);

	pthread_mutex_lock(&check_lock);
	memcpy(check_msg, buf, sizeof(check_msg));
	pthread_mutex_unlock(&check_lock);
	fprintf(stderr, "pinmm: check failed: %s\n", buf);
	return false;
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
		return pnm_check_fail("pnm_check_system: out of host memory");
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
 * (except the zero pages and page tables, which their owners check), every
 * live mm, the zero page, the huge zero page, and the frame accounting (free + allocated ==
 * total, and nr_free_pages == the zones' free frames).  Call it while no
 * other thread changes the model.  Returns true if everything holds;
 * otherwise the first problem is in pnm_check_error().
 */
bool pnm_check_system(void)
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
	if (!pnm_check_inodes())
		return false;
	if (!pnm_check_lru())
		return false;
	return check_mms();
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
