/* SPDX-License-Identifier: MIT */
/*
 * pinmm/gup.h - get_user_pages (FOLL_GET) and pin_user_pages (FOLL_PIN),
 * with the kernel's names, flag values and return conventions.
 *
 *   get_user_pages*()  take ordinary references: the caller may look at
 *                      struct page, and releases with put_page().
 *   pin_user_pages*()  take pins: the caller (a device, DMA) may read or
 *                      write the page *data*; release with unpin_user_page*().
 *                      FOLL_LONGTERM marks pins held indefinitely (RDMA,
 *                      io_uring fixed buffers, vfio).
 *
 * Pins are counted so that the rest of mm can ask folio_maybe_dma_pinned():
 * in "linux" accounting a small folio's refcount grows by 1024 per pin and
 * a large folio keeps an exact pin count; in "exact" accounting every page
 * keeps an exact pin count (no false positives).  Each pin is also
 * recorded in the pin registry (owner, caller tag, call site, range,
 * flags, time), and misuse is reported (docs/pinning.md).
 *
 * Return conventions (Linux's Documentation/core-api/pin_user_pages.rst):
 *   - nr_pages == 0 -> 0;
 *   - some pages done -> how many (may be fewer than asked: partial);
 *   - none done -> -errno;
 *   - invalid arguments -> -EINVAL from get_user_pages*, get_user_pages_fast*
 *     and pin_user_pages_fast; but 0 from pin_user_pages, _remote and
 *     _unlocked (with a warning), exactly as Linux.
 *
 * Call sites.  Every entry point is a real exported function (its address
 * may be taken).  So that the registry can say where each pin was taken,
 * this header also layers a function-like macro of the same name over
 * each one, which records the caller's file:line:function on the calling
 * thread (pnm_gup_set_call_site()) and then calls the function.  A call
 * that does not go through the macro -- through a pointer, as
 * (pin_user_pages)(...), or with PNM_NO_CALL_SITE_CAPTURE defined before
 * the include -- is recorded with its return address instead.
 */
#ifndef PINMM_GUP_H
#define PINMM_GUP_H

#include <pinmm/types.h>

PNM_BEGIN_DECLS

/* Caller-visible flags (Linux's include/linux/mm_types.h values). */
#define FOLL_WRITE		(1U << 0)
#define FOLL_GET		(1U << 1)
#define FOLL_DUMP		(1U << 2)
#define FOLL_FORCE		(1U << 3)
#define FOLL_NOWAIT		(1U << 4)
#define FOLL_NOFAULT		(1U << 5)
#define FOLL_HWPOISON		(1U << 6)
#define FOLL_ANON		(1U << 7)
#define FOLL_LONGTERM		(1U << 8)
#define FOLL_SPLIT_PMD		(1U << 9)
#define FOLL_PCI_P2PDMA		(1U << 10)
#define FOLL_INTERRUPTIBLE	(1U << 11)
#define FOLL_HONOR_NUMA_FAULT	(1U << 12)
/* Internal flags (Linux's mm/internal.h values): a caller passing them is
 * refused; pin records show FOLL_PIN / FOLL_GET. */
#define FOLL_TOUCH		(1U << 16)
#define FOLL_TRIED		(1U << 17)
#define FOLL_REMOTE		(1U << 18)
#define FOLL_PIN		(1U << 19)
#define FOLL_FAST_ONLY		(1U << 20)
#define FOLL_UNLOCKABLE		(1U << 21)
#define FOLL_MADV_POPULATE	(1U << 22)

/* --- acquire ---------------------------------------------------------------
 * The variants without an mm act on the calling thread's current task
 * (pinmm/task.h).  Lock rules as Linux: get_user_pages/pin_user_pages: the
 * caller holds mmap_lock (read) and it is never dropped.  _remote: the
 * caller holds @mm's mmap_lock; if @locked is non-NULL (and *locked == 1)
 * it may be dropped, and *locked says whether it is held on return.
 * _unlocked and _fast: take it themselves.
 */
PNM_API long get_user_pages(unsigned long start, unsigned long nr_pages,
			    unsigned int gup_flags, struct page **pages);
PNM_API long get_user_pages_remote(struct mm_struct *mm, unsigned long start,
				   unsigned long nr_pages, unsigned int gup_flags,
				   struct page **pages, int *locked);
PNM_API long get_user_pages_unlocked(unsigned long start, unsigned long nr_pages,
				     struct page **pages, unsigned int gup_flags);
PNM_API int get_user_pages_fast(unsigned long start, int nr_pages,
				unsigned int gup_flags, struct page **pages);
PNM_API int get_user_pages_fast_only(unsigned long start, int nr_pages,
				     unsigned int gup_flags, struct page **pages);
PNM_API long pin_user_pages(unsigned long start, unsigned long nr_pages,
			    unsigned int gup_flags, struct page **pages);
PNM_API long pin_user_pages_remote(struct mm_struct *mm, unsigned long start,
				   unsigned long nr_pages, unsigned int gup_flags,
				   struct page **pages, int *locked);
PNM_API long pin_user_pages_unlocked(unsigned long start, unsigned long nr_pages,
				     struct page **pages, unsigned int gup_flags);
PNM_API int pin_user_pages_fast(unsigned long start, int nr_pages,
				unsigned int gup_flags, struct page **pages);
/*
 * Pin the folios of a shmem file (a memfd, pinmm/memfd.h) that hold the
 * bytes [@start, @end] -- @end inclusive -- by file offset, with no
 * address space involved: at most @max_folios of them into @folios[],
 * one pin per folio (release each with unpin_folio(), or all with
 * unpin_folios()), allocating the pages the file does not have yet.
 * The pins are long-term: folios in ZONE_MOVABLE or CMA are moved out
 * first.  Returns the number of folios pinned (fewer than the range holds
 * when @max_folios runs out) with *@offset the offset of @start in the
 * first, or -EINVAL (@start < 0, @start > @end, @max_folios 0, NULL
 * @memfd, @folios or @offset, not a shmem file, @end at or beyond the
 * file's size, the file shrunk meanwhile), -ENOMEM (no memory; a folio
 * that would not move).  Linux's types: loff_t offsets, pgoff_t *offset.
 */
PNM_API long memfd_pin_folios(struct file *memfd, int64_t start, int64_t end,
			      struct folio **folios, unsigned int max_folios,
			      unsigned long *offset);

/* --- release ----------------------------------------------------------------
 * Pins belong to the folio, as in Linux: a pin taken through any page of a
 * folio may be released through any page of it (or the folio itself), and
 * only a folio with no pin left makes an unpin a misuse.
 */
PNM_API void unpin_user_page(struct page *page);
/* @npages that looks like an error value -> warning, nothing done; NULL
 * entries skipped; consecutive pages of one folio released together. */
PNM_API void unpin_user_pages(struct page **pages, unsigned long npages);
/* As unpin_user_pages(), first marking each folio dirty (folio lock held
 * while dirtying) if @make_dirty. */
PNM_API void unpin_user_pages_dirty_lock(struct page **pages, unsigned long npages,
					 bool make_dirty);
/* Physically contiguous range starting at @page. */
PNM_API void unpin_user_page_range_dirty_lock(struct page *page, unsigned long npages,
					      bool make_dirty);
/* One pin of @folio; one per entry (NULL skipped, an error-like count
 * refused with a warning); @npages pins of @folio at once (0: nothing). */
PNM_API void unpin_folio(struct folio *folio);
PNM_API void unpin_folios(struct folio **folios, unsigned long nfolios);
PNM_API void unpin_user_folio(struct folio *folio, unsigned long npages);
/* Mark a page's folio dirty with its folio lock held (for FOLL_GET users
 * that wrote the data), or with the lock already held (folio_mark_dirty). */
PNM_API void set_page_dirty_lock(struct page *page);
PNM_API bool folio_mark_dirty(struct folio *folio);

/* --- pages and folios, as a call site sees them ---------------------------- */
/* References (FOLL_GET pages are released with put_page()). */
PNM_API void get_page(struct page *page);
PNM_API void put_page(struct page *page);
PNM_API void folio_get(struct folio *folio);
PNM_API void folio_put(struct folio *folio);
/* @nr references at once (@nr > 0; the caller already holds one). */
PNM_API void folio_ref_add(struct folio *folio, int nr);
PNM_API void folio_put_refs(struct folio *folio, int nr);
/* The folio a page belongs to, and the @n-th page of a folio. */
PNM_API struct folio *page_folio(const struct page *page);
PNM_API struct page *folio_page(struct folio *folio, unsigned long n);
PNM_API unsigned long folio_nr_pages(const struct folio *folio);
/* Frame numbers and the data (the model's arena, valid while referenced
 * or pinned). */
PNM_API unsigned long page_to_pfn(const struct page *page);
PNM_API unsigned long folio_pfn(const struct folio *folio);
PNM_API void *page_address(const struct page *page);
PNM_API void *folio_address(const struct folio *folio);
/* May a device be accessing it (Linux's answer: false positives in linux
 * accounting for heavily referenced small folios; exact otherwise)? */
PNM_API bool folio_maybe_dma_pinned(struct folio *folio);
PNM_API bool page_maybe_dma_pinned(struct page *page);

/* --- the pin registry and misuse detection ---------------------------------- */

/* Label the pins the calling thread takes next ("dio", "rdma:mr3"...);
 * NULL clears.  The string must outlive the pins. */
PNM_API void pnm_pin_set_tag(const char *tag);
/* Record the call site of the calling thread's next GUP call (the macros
 * below do this); consumed by that call. */
PNM_API void pnm_gup_set_call_site(const char *file, int line, const char *func);

struct pnm_pin_record {
	unsigned long id;		/* unique, increasing */
	int pid;			/* owner process */
	const char *tag;		/* caller tag or NULL */
	const char *file;		/* call site (NULL: see caller) */
	int line;
	const char *func;
	const void *caller;		/* return address when no site was given */
	unsigned long start;		/* user address of the first page */
	unsigned long nr_pages;		/* pages pinned by the call */
	unsigned long nr_live;		/* of those, not yet unpinned */
	unsigned int gup_flags;		/* as passed plus FOLL_PIN/FOLL_GET */
	unsigned long long seq;		/* logical time of the pin */
	unsigned long owner;		/* pin owner (vaddr_pin) id, 0: none */
};
/* Visit live records (owner @pid, or all if pid < 0), oldest first.  The
 * registry lock is held during the walk: @fn must not pin, unpin or drop
 * page references. */
PNM_API void pnm_pin_registry_foreach(int pid,
				      void (*fn)(const struct pnm_pin_record *rec, void *arg),
				      void *arg);
/* Number of live pinned pages owned by @pid (all if pid < 0). */
PNM_API unsigned long pnm_pin_registry_count(int pid);
/* Print the registry, one record per line. */
PNM_API void pnm_pin_registry_print(FILE *out, int pid);
/* Spell FOLL_* flags ("FOLL_PIN|FOLL_WRITE"); snprintf-style return. */
PNM_API size_t pnm_gup_flags_str(unsigned int flags, char *buf, size_t size);

enum pnm_misuse_kind {
	PNM_MISUSE_PUT_ON_PIN,		/* put_page() released a pin's reference */
	PNM_MISUSE_UNPIN_UNPINNED,	/* unpin of a page with no pin */
	PNM_MISUSE_OVER_UNPIN,		/* more unpins than pins on a page */
	PNM_MISUSE_PIN_AT_EXIT,		/* pins still held when the owner exited */
	PNM_MISUSE_DMA_TO_FREED,	/* device access to a freed/reused frame */
	PNM_MISUSE_REVOKED,		/* a pin owner missed its lease break */
	PNM_NR_MISUSE
};
struct pnm_misuse_report {
	enum pnm_misuse_kind kind;
	unsigned long pfn;
	const struct pnm_pin_record *pin;	/* owning pin if known (copy) */
	char text[256];				/* one-line description */
};
/* Misuse reports so far (since pnm_init), by kind; each is also logged
 * while detection is on (pnm_config.pin_debug, default on).  The foreach
 * visits the last 128 reports kept, oldest first, under the registry
 * lock (@fn must not pin, unpin or drop page references). */
PNM_API unsigned long pnm_misuse_count(enum pnm_misuse_kind kind);
PNM_API void pnm_misuse_foreach(void (*fn)(const struct pnm_misuse_report *r, void *arg),
				void *arg);
/* "put_on_pin", "unpin_unpinned", ... ("?" for an unknown kind). */
PNM_API const char *pnm_misuse_name(enum pnm_misuse_kind kind);

PNM_END_DECLS

#endif /* PINMM_GUP_H */

/* --- call-site capture (see the top of this header) ------------------------- */
/* Outside the include guard, so that a file that included this header
 * with the macros off may turn them on later (the tests do). */
#if !defined(PNM_NO_CALL_SITE_CAPTURE) && !defined(PNM_GUP_NO_CALL_SITE_MACROS) && \
    !defined(PNM_GUP_SITE)
#define PNM_GUP_SITE()	pnm_gup_set_call_site(__FILE__, __LINE__, __func__)
#define get_user_pages(...)		(PNM_GUP_SITE(), get_user_pages(__VA_ARGS__))
#define get_user_pages_remote(...)	(PNM_GUP_SITE(), get_user_pages_remote(__VA_ARGS__))
#define get_user_pages_unlocked(...)	(PNM_GUP_SITE(), get_user_pages_unlocked(__VA_ARGS__))
#define get_user_pages_fast(...)	(PNM_GUP_SITE(), get_user_pages_fast(__VA_ARGS__))
#define get_user_pages_fast_only(...)	(PNM_GUP_SITE(), get_user_pages_fast_only(__VA_ARGS__))
#define pin_user_pages(...)		(PNM_GUP_SITE(), pin_user_pages(__VA_ARGS__))
#define pin_user_pages_remote(...)	(PNM_GUP_SITE(), pin_user_pages_remote(__VA_ARGS__))
#define pin_user_pages_unlocked(...)	(PNM_GUP_SITE(), pin_user_pages_unlocked(__VA_ARGS__))
#define pin_user_pages_fast(...)	(PNM_GUP_SITE(), pin_user_pages_fast(__VA_ARGS__))
#define memfd_pin_folios(...)		(PNM_GUP_SITE(), memfd_pin_folios(__VA_ARGS__))
#define unpin_user_page(...)		(PNM_GUP_SITE(), unpin_user_page(__VA_ARGS__))
#define unpin_user_pages(...)		(PNM_GUP_SITE(), unpin_user_pages(__VA_ARGS__))
#define unpin_user_pages_dirty_lock(...) (PNM_GUP_SITE(), unpin_user_pages_dirty_lock(__VA_ARGS__))
#endif
