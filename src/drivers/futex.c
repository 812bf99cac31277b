// SPDX-License-Identifier: MIT
/*
 * futex.c - the futex key (pinmm/futex.h): Linux's get_futex_key()
 * (kernel/futex/core.c), the classic case-4 user of get_user_pages: it
 * needs a page only to read its struct page -- anonymous or file-backed,
 * which file, which offset -- and puts it back at once.
 *
 *   get_user_pages_fast(uaddr, 1, FOLL_WRITE)    (read-only retry for a
 *                                                 read-only operation)
 *   look at the folio: anonymous -> key (mm, address)
 *                      a file's   -> key (inode, offset)
 *   put_page()
 *
 * The struct page is read through pnm_pfn_info() (pinmm/inspect.h)
 * while the reference keeps the folio from being freed.  A folio that a
 * truncate took out of its file between the get and the look has no file
 * any more: Linux starts again, and so does this, a bounded number of
 * times (-EAGAIN after that).  Built against the public headers only.
 */
#include <errno.h>
#include <stdint.h>

#include <pinmm/pinmm.h>
#include <pinmm/futex.h>

#define FUTEX_KEY_RETRIES	16

/* The address space of @task as a key word (the mm's identity). */
static int mm_word(struct task_struct *task, unsigned long *word)
{
	struct mm_struct *mm = get_task_mm(task);

	if (!mm)
		return -ESRCH;
	*word = (unsigned long)(uintptr_t)mm;
	mmput(mm);
	return 0;
}

/* pnm_futex_key - pinmm/futex.h. */
int pnm_get_futex_key(struct task_struct *task, unsigned long uaddr, unsigned int flags,
		  struct pnm_futex_key *key)
{
	unsigned long base = uaddr & ~(PNM_PAGE_SIZE - 1);

	if (!task || !key || (uaddr & 3) || (flags & ~(PNM_FUTEX_PRIVATE | PNM_FUTEX_READ)))
		return -EINVAL;
	if (flags & PNM_FUTEX_PRIVATE) {
		/* No page needed: the word's address in this address space. */
		key->type = PNM_FUTEX_KEY_PRIVATE;
		key->offset = uaddr;
		return mm_word(task, &key->word);
	}
	for (int tries = 0; tries < FUTEX_KEY_RETRIES; tries++) {
		struct pnm_page_info pi = { .size = sizeof(pi) };
		struct task_struct *prev = pnm_task_enter(task);
		struct page *page;
		bool ro = false;
		int n, err;

		n = get_user_pages_fast(base, 1, FOLL_WRITE, &page);
		if (n != 1 && (flags & PNM_FUTEX_READ)) {
			n = get_user_pages_fast(base, 1, 0, &page);
			ro = true;
		}
		pnm_task_leave(prev);
		if (n != 1)
			return pnm_task_exited(task) ? -ESRCH : (n == -ENOMEM ? -ENOMEM : -EFAULT);

		/* Look at the struct page, and only at it. */
		err = pnm_pfn_info(page_to_pfn(page), &pi);
		put_page(page);
		if (err)
			return -EFAULT;
		if (pi.flags & PNM_PAGE_ANON) {
			/* A read-only anonymous page never changes: no futex
			 * there makes sense (Linux's -EFAULT). */
			if (ro)
				return -EFAULT;
			key->type = PNM_FUTEX_KEY_PRIVATE;
			key->offset = uaddr;
			return mm_word(task, &key->word);
		}
		if ((pi.flags & PNM_PAGE_CACHED) && pi.ino) {
			key->type = PNM_FUTEX_KEY_SHARED;
			key->word = pi.ino;
			key->offset = pi.index * PNM_PAGE_SIZE + (uaddr & (PNM_PAGE_SIZE - 1));
			return 0;
		}
		if (pi.flags & (PNM_PAGE_ZERO | PNM_PAGE_HUGE_ZERO))
			return -EFAULT;		/* only a read-only get lands here */
		/* Neither: truncated from its file after the get.  Again. */
	}
	return -EAGAIN;
}

/* pnm_futex_key_equal - pinmm/futex.h. */
bool pnm_futex_key_equal(const struct pnm_futex_key *a, const struct pnm_futex_key *b)
{
	return a && b && a->type == b->type && a->word == b->word && a->offset == b->offset;
}
