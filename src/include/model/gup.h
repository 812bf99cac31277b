/* SPDX-License-Identifier: MIT */
/*
 * gup.h - the internal side of get_user_pages/pin_user_pages (gup.c,
 * gup_fast.c).  The entry points, FOLL_* flags, release calls, registry
 * and device calls are public: pinmm/gup.h and pinmm/dma.h.
 */
#ifndef PNM_MODEL_GUP_H
#define PNM_MODEL_GUP_H

#include <model/mm.h>

#define INTERNAL_GUP_FLAGS	(FOLL_TOUCH | FOLL_TRIED | FOLL_REMOTE | FOLL_PIN | \
				 FOLL_FAST_ONLY | FOLL_UNLOCKABLE | FOLL_MADV_POPULATE)

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

#endif /* PNM_MODEL_GUP_H */
