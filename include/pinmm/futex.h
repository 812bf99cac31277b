/* SPDX-License-Identifier: MIT */
/*
 * pinmm/futex.h - a struct-page-only user (case 4 of docs/pinning.md):
 * the futex key, as Linux's get_futex_key() computes it.
 *
 * A futex is named by the user address of its 32-bit word, but threads of
 * different processes that map the same file or shared memory at
 * different addresses must agree on one name.  So for a shared futex the
 * kernel takes the page with get_user_pages_fast() (FOLL_WRITE, or read-
 * only for a read-only operation), looks at its struct page -- anonymous
 * or file-backed, which file, which page of it -- and drops the reference
 * again (put_page()).  It never reads or writes the page's data through
 * that reference: neither FOLL_PIN nor FOLL_LONGTERM is wanted, and the
 * site was never converted (group d of the 2019 mail).
 *
 * Keys: an anonymous page (private memory) gives a key private to the
 * address space (its mm and the address); a file or shmem page gives a
 * shared key (the inode and the byte offset in the file), the same from
 * every process that maps it.  A private futex (FUTEX_PRIVATE_FLAG) needs
 * no page at all: (mm, address).
 */
#ifndef PINMM_FUTEX_H
#define PINMM_FUTEX_H

#include <pinmm/types.h>

PNM_BEGIN_DECLS

enum pnm_futex_key_type {
	PNM_FUTEX_KEY_PRIVATE,		/* (address space, address) */
	PNM_FUTEX_KEY_SHARED,		/* (inode, byte offset in the file) */
};

struct pnm_futex_key {
	enum pnm_futex_key_type type;
	/* PRIVATE: the address space (its mm, as an opaque number);
	 * SHARED: the inode's number (pnm_file_info.ino). */
	unsigned long word;
	/* PRIVATE: the user address; SHARED: the byte offset in the file. */
	unsigned long offset;
};

/* pnm_get_futex_key() flags (Linux's FUTEX_PRIVATE_FLAG value, and whether
 * the operation only reads the word). */
#define PNM_FUTEX_PRIVATE	0x80u
#define PNM_FUTEX_READ		0x1u

/*
 * The key of the futex word at @uaddr of @task (Linux's get_futex_key()).
 * Shared (no PNM_FUTEX_PRIVATE): the page is got writable, so a COW page
 * is broken first (or read-only with PNM_FUTEX_READ when writable fails),
 * its struct page looked at and put back; no reference is kept.  0 with
 * *@key set; -EINVAL (@uaddr not 4-byte aligned, unknown flags, NULL);
 * -EFAULT (nothing accessible there, or a read-only anonymous page);
 * -ESRCH (@task has exited); -EAGAIN (the page kept leaving its file
 * between the get and the look: truncate racing, 16 times).
 */
PNM_API int pnm_get_futex_key(struct task_struct *task, unsigned long uaddr, unsigned int flags,
			  struct pnm_futex_key *key);
/* Do two keys name the same futex? */
PNM_API bool pnm_futex_key_equal(const struct pnm_futex_key *a, const struct pnm_futex_key *b);

PNM_END_DECLS

#endif /* PINMM_FUTEX_H */
