/* SPDX-License-Identifier: MIT */
/*
 * pinmm/kwrite.h - a writer to page data under a pin (case 5 of
 * docs/pinning.md): the kernel writing into a process's memory through
 * its own mapping of the pages -- a completion record, a ptrace poke, an
 * argument page -- rather than through the process's page tables.
 *
 * The pattern Linux requires:
 *
 *	pin_user_pages_remote(mm, addr, n, FOLL_WRITE, pages, NULL);
 *	... write to the pages' data (kmap) ...
 *	set_page_dirty_lock(page);	for each page
 *	unpin_user_pages(pages, n);
 *
 * The pin tells the rest of the memory manager that the data is being
 * written behind its back: writeback takes a stable copy instead of
 * cleaning the page under the writer, fork keeps the page the process's,
 * and set_page_dirty_lock() afterwards tells the filesystem the data
 * changed, with the page locked.  The same with get_user_pages() and
 * put_page() -- what these sites did before 2019, and what Linux's
 * documentation calls INCORRECT -- "works" but is invisible to all of
 * that: writeback can clean the page (dropping a disk file's block state)
 * while the write is in flight, and the later dirtying lands behind the
 * filesystem's back.  PNM_KWRITE_GET does exactly that, so the difference
 * can be shown; PNM_KWRITE_NODIRTY leaves out the dirtying, whose loss
 * shows when a clean page cache page is dropped with the data.
 *
 * A write is begun (pages pinned for writing, COW broken), written
 * (any number of copies into the pinned range) and ended (dirtied,
 * unpinned); pnm_kwrite() does all three.  The copies are word-atomic
 * against concurrent readers of the page (writeback's copy), like a
 * device's; a CPU store by the process to the same bytes at the same time
 * is a data race, as in Linux.
 */
#ifndef PINMM_KWRITE_H
#define PINMM_KWRITE_H

#include <pinmm/types.h>

PNM_BEGIN_DECLS

struct pnm_kwrite_req;

/* The largest range one write covers. */
#define PNM_KWRITE_MAX_PAGES	64
/* The INCORRECT pattern: get_user_pages_remote() + write + put_page(). */
#define PNM_KWRITE_GET		0x1u
/* Leave out set_page_dirty_lock() (a bug, for showing what it is for). */
#define PNM_KWRITE_NODIRTY	0x2u

/*
 * Pin (PNM_KWRITE_GET: get) the pages of [@addr, @addr + @len) of @task
 * for writing (FOLL_WRITE: COW broken, shared file pages made writable
 * through ->page_mkwrite).  All or nothing.  0 with *@kwp set; -EINVAL
 * (@len 0 or more than PNM_KWRITE_MAX_PAGES pages, unknown flags, NULL);
 * -EFAULT (a page is not writable by the process); -ESRCH (@task has
 * exited); -ENOMEM.
 */
PNM_API int pnm_kwrite_begin(struct task_struct *task, unsigned long addr, size_t len,
			     unsigned int flags, struct pnm_kwrite_req **kwp);
/* Write @len bytes at byte @off of the begun range (through the pages,
 * not the page tables).  0, -EINVAL (outside the range). */
PNM_API int pnm_kwrite_copy(struct pnm_kwrite_req *kw, size_t off, const void *buf, size_t len);
/* Dirty each page (set_page_dirty_lock(), unless PNM_KWRITE_NODIRTY) and
 * unpin it (PNM_KWRITE_GET: put_page()); free @kw.  NULL accepted. */
PNM_API void pnm_kwrite_end(struct pnm_kwrite_req *kw);
/* Begin, copy @buf over the whole range, end.  0 or begin's error. */
PNM_API int pnm_kwrite(struct task_struct *task, unsigned long addr, const void *buf,
		       size_t len, unsigned int flags);

PNM_END_DECLS

#endif /* PINMM_KWRITE_H */
