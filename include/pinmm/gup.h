/* SPDX-License-Identifier: MIT */
/*
 * gup.h - get_user_pages (FOLL_GET) and pin_user_pages (FOLL_PIN).
 *
 * The kernel's split, with the kernel's names, flag values and return
 * conventions:
 *
 *   get_user_pages*()  take ordinary references: the caller may look at
 *                      struct page, and releases with put_page().
 *   pin_user_pages*()  take pins: the caller (a device, DMA) may read or
 *                      write the page *data*; release with unpin_user_page*().
 *                      FOLL_LONGTERM marks pins held indefinitely (RDMA,
 *                      io_uring fixed buffers, vfio).
 *
 * Pins are counted so that the rest of mm can ask folio_maybe_dma_pinned():
 * in "linux" accounting a small folio's refcount grows by
 * GUP_PIN_COUNTING_BIAS per pin and a large folio keeps an exact _pincount;
 * in "exact" accounting every page keeps an exact pin count (no false
 * positives).  Each pin is also recorded in the pin registry (owner,
 * caller tag, call site, range, flags, time), and misuse is reported.
 * The per-page count is kept only with exact accounting, the registry or
 * pnm_config.pin_debug on: with linux accounting and both off (the
 * production configuration) an unpin of a page that has no pin cannot be
 * detected (docs/pinning.md).
 *
 * Return conventions (Documentation/core-api/pin_user_pages.rst, mm/gup.c):
 *   - nr_pages == 0 -> 0;
 *   - some pages done -> how many (may be fewer than asked: partial);
 *   - none done -> -errno;
 *   - invalid arguments -> -EINVAL from get_user_pages*, get_user_pages_fast*
 *     and pin_user_pages_fast; but 0 from pin_user_pages, _remote and
 *     _unlocked (with a warning), exactly as Linux.
 *
 * Every entry point below is also a function-like macro of the same name
 * that records the caller's file:line (pnm_gup_set_call_site) before
 * calling the function, so the registry knows each pin's call site
 * without changing the kernel signatures.
 */
#ifndef PINMM_GUP_H
#define PINMM_GUP_H

#include <pinmm/mm.h>

/* Caller-visible flags (include/linux/mm_types.h values). */
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
/* Internal flags (mm/internal.h values): callers passing them are refused. */
#define FOLL_TOUCH		(1U << 16)
#define FOLL_TRIED		(1U << 17)
#define FOLL_REMOTE		(1U << 18)
#define FOLL_PIN		(1U << 19)
#define FOLL_FAST_ONLY		(1U << 20)
#define FOLL_UNLOCKABLE		(1U << 21)
#define FOLL_MADV_POPULATE	(1U << 22)
#define INTERNAL_GUP_FLAGS	(FOLL_TOUCH | FOLL_TRIED | FOLL_REMOTE | FOLL_PIN | \
				 FOLL_FAST_ONLY | FOLL_UNLOCKABLE | FOLL_MADV_POPULATE)

/* --- acquire (gup.c; the _fast variants in gup_fast.c) -------------------
 * The variants without an mm act on current->mm.  Lock rules as Linux:
 * get_user_pages/pin_user_pages: the caller holds mmap_lock (read) and it
 * is never dropped.  _remote: the caller holds @mm's mmap_lock; if @locked
 * is non-NULL (and *locked == 1) it may be dropped, and *locked says
 * whether it is held on return.  _unlocked and _fast: take it themselves.
 */
long get_user_pages(unsigned long start, unsigned long nr_pages,
		    unsigned int gup_flags, struct page **pages);
long get_user_pages_remote(struct mm_struct *mm, unsigned long start,
			   unsigned long nr_pages, unsigned int gup_flags,
			   struct page **pages, int *locked);
long get_user_pages_unlocked(unsigned long start, unsigned long nr_pages,
			     struct page **pages, unsigned int gup_flags);
int get_user_pages_fast(unsigned long start, int nr_pages,
			unsigned int gup_flags, struct page **pages);
int get_user_pages_fast_only(unsigned long start, int nr_pages,
			     unsigned int gup_flags, struct page **pages);
long pin_user_pages(unsigned long start, unsigned long nr_pages,
		    unsigned int gup_flags, struct page **pages);
long pin_user_pages_remote(struct mm_struct *mm, unsigned long start,
			   unsigned long nr_pages, unsigned int gup_flags,
			   struct page **pages, int *locked);
long pin_user_pages_unlocked(unsigned long start, unsigned long nr_pages,
			     struct page **pages, unsigned int gup_flags);
int pin_user_pages_fast(unsigned long start, int nr_pages,
			unsigned int gup_flags, struct page **pages);

/* --- release (gup.c) ------------------------------------------------------
 * Pins belong to the folio, as in Linux: a pin taken through any page of a
 * folio may be released through any page of it (or the folio itself), and
 * only a folio with no pin left makes an unpin a misuse.  The exact
 * per-page counts follow: the count that drops is the named page's if it
 * has a pin, else the first pinned page's from the head on
 * (docs/pinning.md).
 */
void unpin_user_page(struct page *page);
/* n that looks like an error value -> warning, nothing done; NULL entries
 * skipped; consecutive pages of one folio released with one operation. */
void unpin_user_pages(struct page **pages, unsigned long npages);
/* As unpin_user_pages(), first marking each folio dirty (folio lock held
 * while dirtying) if @make_dirty. */
void unpin_user_pages_dirty_lock(struct page **pages, unsigned long npages,
				 bool make_dirty);
/* Physically contiguous range starting at @page. */
void unpin_user_page_range_dirty_lock(struct page *page, unsigned long npages,
				      bool make_dirty);
/* One pin of @folio; one per entry (NULL skipped, -errno count refused
 * with a warning); @npages pins of @folio at once (0: nothing). */
void unpin_folio(struct folio *folio);
void unpin_folios(struct folio **folios, unsigned long nfolios);
void unpin_user_folio(struct folio *folio, unsigned long npages);
/* Mark a page's folio dirty with its folio lock held (for FOLL_GET users). */
void set_page_dirty_lock(struct page *page);
bool folio_mark_dirty(struct folio *folio);

/* --- internal building blocks shared by gup.c and gup_fast.c ---------------
 * try_grab_folio: the caller holds a stable reference or the ptl.  Adds
 * @refs references (FOLL_GET) or pins (FOLL_PIN), per the accounting mode;
 * the zero page is never counted for pins.  Returns 0, -ENOMEM (refcount
 * <= 0: overflow guard), -EREMOTEIO (P2PDMA without FOLL_PCI_P2PDMA).
 * gup_put_folio undoes it.
 */
int try_grab_folio(struct folio *folio, int refs, unsigned int flags);
void gup_put_folio(struct folio *folio, int refs, unsigned int flags);
/* Is a long-term pin of this folio allowed where it is (not MOVABLE/CMA,
 * not the zero page's special case)? */
bool folio_is_longterm_pinnable(struct folio *folio);
/* True if a R/O FOLL_PIN of @page must first give the mm an exclusive copy
 * (Linux's gup_must_unshare()); @vma NULL on the fast path. */
bool gup_must_unshare(struct vm_area_struct *vma, unsigned int flags,
		      struct page *page);

/* --- pin registry and misuse detection (pin_registry.c) ------------------ */

/* Label the pins the calling thread takes next ("dio", "rdma:mr3"...);
 * NULL clears.  The string must outlive the pins. */
void pnm_pin_set_tag(const char *tag);
/* Record the call site of the next GUP call on this thread (the macros
 * below do this). */
void pnm_gup_set_call_site(const char *file, int line, const char *func);

struct pnm_pin_record {
	unsigned long id;		/* unique, increasing */
	int pid;			/* owner process (mm->owner_pid) */
	const char *tag;		/* caller tag or NULL */
	const char *file;		/* call site */
	int line;
	const char *func;
	unsigned long start;		/* user address of the first page */
	unsigned long nr_pages;		/* pages pinned by the call */
	unsigned long nr_live;		/* of those, not yet unpinned */
	unsigned int gup_flags;		/* as passed plus FOLL_PIN/FOLL_GET */
	unsigned long long seq;		/* logical time of the pin */
};
/* Visit live records (owner @pid, or all if pid < 0), oldest first.  The
 * registry lock is held during the walk: @fn must not call GUP. */
void pnm_pin_registry_foreach(int pid,
			      void (*fn)(const struct pnm_pin_record *rec, void *arg),
			      void *arg);
/* Number of live pinned pages owned by @pid (all if pid < 0). */
unsigned long pnm_pin_registry_count(int pid);
/* Print the registry (pinmm pins / scenario `pins`). */
void pnm_pin_registry_print(FILE *out, int pid);

enum pnm_misuse_kind {
	PNM_MISUSE_PUT_ON_PIN,		/* put_page() released a pin's reference */
	PNM_MISUSE_UNPIN_UNPINNED,	/* unpin of a page with no pin */
	PNM_MISUSE_OVER_UNPIN,		/* more unpins than pins on a page */
	PNM_MISUSE_PIN_AT_EXIT,		/* pins still held when the owner exited */
	PNM_MISUSE_DMA_TO_FREED,	/* device access to a freed/reused frame */
	NR_PNM_MISUSE
};
struct pnm_misuse_report {
	enum pnm_misuse_kind kind;
	unsigned long pfn;
	const struct pnm_pin_record *pin;	/* owning pin if known (copy) */
	char text[256];				/* one-line description */
};
/* Misuse reports so far (since pnm_init); a report is also printed to
 * stderr when detection is on (pnm_config.pin_debug, default on). */
unsigned long pnm_misuse_count(enum pnm_misuse_kind kind);
void pnm_misuse_foreach(void (*fn)(const struct pnm_misuse_report *r, void *arg),
			void *arg);

/* --- the device side (dma.c) ---------------------------------------------
 * A DMA engine reads and writes page data through a page array it was
 * given (by a pin), never through page tables: writes land in whatever
 * frames the array names, whether or not any process still maps them.
 * Returns 0, or -EINVAL for a range outside the array.  Access to a frame
 * that has been freed is reported (PNM_MISUSE_DMA_TO_FREED) and skipped.
 */
int pnm_dma_write(struct page **pages, unsigned long npages, size_t offset,
		  const void *buf, size_t len);
int pnm_dma_read(struct page **pages, unsigned long npages, size_t offset,
		 void *buf, size_t len);

/* --- call-site capture ----------------------------------------------------- */
#ifndef PNM_GUP_NO_CALL_SITE_MACROS
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
#define unpin_user_page(...)		(PNM_GUP_SITE(), unpin_user_page(__VA_ARGS__))
#define unpin_user_pages(...)		(PNM_GUP_SITE(), unpin_user_pages(__VA_ARGS__))
#define unpin_user_pages_dirty_lock(...) (PNM_GUP_SITE(), unpin_user_pages_dirty_lock(__VA_ARGS__))
#endif

#endif /* PINMM_GUP_H */
