// SPDX-License-Identifier: MIT
/*
 * kwrite.c - a writer to page data under a pin (pinmm/kwrite.h): the
 * "pin, write data, set_page_dirty_lock, unpin" pattern of case 5, which
 * Linux's documentation requires of any code that writes page data it
 * got from user space outside of DMA -- and, for comparison, the
 * get_user_pages()/put_page() form it replaced (PNM_KWRITE_GET).
 *
 *   begin   mmap_read_lock; pin_user_pages_remote(FOLL_WRITE) (or
 *           get_user_pages_remote); mmap_read_unlock -- all pages or none
 *   copy    into page_address() of the pages, word-atomic stores
 *   end     set_page_dirty_lock() per page; unpin_user_pages() (or
 *           put_page() per page)
 *
 * The pages are pinned between begin and end, so everything that asks
 * folio_maybe_dma_pinned() treats them as being written: writeback bounces
 * them (stable policy) instead of cleaning them under the writer, fork
 * gives the child a copy, migration leaves them alone.  The final
 * set_page_dirty_lock() is what makes the data the filesystem's: for a
 * file page it marks the folio dirty with its lock held, so the data is
 * written back; without it (PNM_KWRITE_NODIRTY) a clean cache page may be
 * dropped with the new bytes.
 *
 * Locking: no lock of its own; the write holds its pins (or references)
 * from begin to end.  Built against the public headers only.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <pinmm/pinmm.h>
#include <pinmm/kwrite.h>

struct pnm_kwrite_req {
	unsigned int flags;
	unsigned long nr;		/* pages */
	size_t start;			/* byte offset of the range in pages[0] */
	size_t len;			/* bytes of the range */
	struct page *pages[];
};

/*
 * Store @n bytes into page data with relaxed atomic accesses (words where
 * aligned), so a concurrent reader of the page that copies the same way
 * (writeback's bounce copy) is a defined race.  Orders nothing: the
 * reader's view is fixed by the dirtying and unpinning that follow.
 */
static void copy_to_page_relaxed(unsigned char *dst, const unsigned char *src, size_t n)
{
	while (n && ((uintptr_t)dst % sizeof(unsigned long))) {
		__atomic_store_n(dst++, *src++, __ATOMIC_RELAXED);
		n--;
	}
	for (; n >= sizeof(unsigned long); n -= sizeof(unsigned long)) {
		unsigned long w;

		memcpy(&w, src, sizeof(w));
		__atomic_store_n((unsigned long *)(void *)dst, w, __ATOMIC_RELAXED);
		dst += sizeof(w);
		src += sizeof(w);
	}
	while (n--)
		__atomic_store_n(dst++, *src++, __ATOMIC_RELAXED);
}

/* Release @kw's pages as it acquired them (no dirtying). */
static void kwrite_release(struct pnm_kwrite_req *kw, unsigned long nr)
{
	if (kw->flags & PNM_KWRITE_GET) {
		for (unsigned long i = 0; i < nr; i++)
			put_page(kw->pages[i]);
	} else {
		unpin_user_pages(kw->pages, nr);
	}
}

/* pnm_kwrite_begin - pinmm/kwrite.h. */
int pnm_kwrite_begin(struct task_struct *task, unsigned long addr, size_t len,
		     unsigned int flags, struct pnm_kwrite_req **kwp)
{
	unsigned long first = addr & ~(PNM_PAGE_SIZE - 1), nr;
	struct pnm_kwrite_req *kw;
	struct mm_struct *mm;
	long got;

	if (!task || !kwp || !len || (flags & ~(PNM_KWRITE_GET | PNM_KWRITE_NODIRTY)) ||
	    addr + len < addr)
		return -EINVAL;
	nr = (addr - first + len + PNM_PAGE_SIZE - 1) / PNM_PAGE_SIZE;
	if (nr > PNM_KWRITE_MAX_PAGES)
		return -EINVAL;
	kw = calloc(1, sizeof(*kw) + nr * sizeof(kw->pages[0]));
	if (!kw)
		return -ENOMEM;
	kw->flags = flags;
	kw->nr = nr;
	kw->start = addr - first;
	kw->len = len;
	mm = get_task_mm(task);
	if (!mm) {
		free(kw);
		return -ESRCH;
	}
	mmap_read_lock(mm);
	if (flags & PNM_KWRITE_GET)
		got = get_user_pages_remote(mm, first, nr, FOLL_WRITE, kw->pages, NULL);
	else
		got = pin_user_pages_remote(mm, first, nr, FOLL_WRITE, kw->pages, NULL);
	mmap_read_unlock(mm);
	mmput(mm);
	if (got != (long)nr) {
		if (got > 0)
			kwrite_release(kw, (unsigned long)got);
		free(kw);
		return got == -ENOMEM ? -ENOMEM : -EFAULT;
	}
	*kwp = kw;
	return 0;
}

/* pnm_kwrite_copy - pinmm/kwrite.h. */
int pnm_kwrite_copy(struct pnm_kwrite_req *kw, size_t off, const void *buf, size_t len)
{
	const unsigned char *src = buf;
	size_t pos;

	if (!kw || (len && !buf) || off > kw->len || len > kw->len - off)
		return -EINVAL;
	pos = kw->start + off;
	while (len) {
		size_t in = pos % PNM_PAGE_SIZE, n = PNM_PAGE_SIZE - in;

		if (n > len)
			n = len;
		/* The kernel's own mapping of the pinned page (kmap). */
		copy_to_page_relaxed((unsigned char *)page_address(kw->pages[pos / PNM_PAGE_SIZE]) + in,
				     src, n);
		pos += n;
		src += n;
		len -= n;
	}
	return 0;
}

/* pnm_kwrite_end - pinmm/kwrite.h. */
void pnm_kwrite_end(struct pnm_kwrite_req *kw)
{
	if (!kw)
		return;
	if (!(kw->flags & PNM_KWRITE_NODIRTY))
		for (unsigned long i = 0; i < kw->nr; i++)
			set_page_dirty_lock(kw->pages[i]);
	kwrite_release(kw, kw->nr);
	free(kw);
}

/* pnm_kwrite - pinmm/kwrite.h. */
int pnm_kwrite(struct task_struct *task, unsigned long addr, const void *buf, size_t len,
	       unsigned int flags)
{
	struct pnm_kwrite_req *kw;
	int err;

	if (!buf)
		return -EINVAL;
	err = pnm_kwrite_begin(task, addr, len, flags, &kw);
	if (err)
		return err;
	err = pnm_kwrite_copy(kw, 0, buf, len);
	pnm_kwrite_end(kw);
	return err;
}
