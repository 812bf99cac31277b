/* SPDX-License-Identifier: MIT */
/*
 * pinmm/process_vm.h - process_vm_readv(2) and process_vm_writev(2): one
 * process copying to or from another's memory (the call site
 * src/drivers/process_vm.c; docs/call-sites.md, docs/api.md).
 *
 * The calling thread's current task is the local process; @pid names the
 * remote one.  The remote pages are pinned short-term with
 * pin_user_pages_remote() (FOLL_WRITE for a write), copied, and released
 * with unpin_user_pages_dirty_lock(), dirtying them for a write -- case 5
 * of Linux's pin_user_pages documentation (the page data is written, or
 * read, under a pin).  Errors and partial transfers follow Linux.
 */
#ifndef PINMM_PROCESS_VM_H
#define PINMM_PROCESS_VM_H

#include <pinmm/types.h>

PNM_BEGIN_DECLS

/* One range of a process's memory (Linux's struct iovec, by address). */
struct pnm_iovec {
	unsigned long iov_base;
	size_t iov_len;
};

/* At most this many entries in each vector (Linux's IOV_MAX, UIO_MAXIOV). */
#define PNM_IOV_MAX	1024

/*
 * Copy from the remote process @pid's ranges @remote_iov (@riovcnt) into
 * the calling task's ranges @local_iov (@liovcnt), in order, until either
 * list ends; or the other way round (writev).  Returns the bytes copied,
 * which may be fewer than asked: the copy stops at the first remote page
 * that cannot be pinned or local page that cannot be reached (page
 * granularity, as Linux's code does; its manual speaks of whole iovec
 * elements).  -errno when nothing was copied: -EINVAL (@flags not 0, a
 * count above PNM_IOV_MAX, a length above SSIZE_MAX), -EFAULT (a NULL
 * vector with a count, no current task, or the first page fails), -ESRCH
 * (no such process, or it has exited), -EPERM (the caller's user is
 * neither root, 0, nor the target's: pnm_task_user()).  Nothing
 * to copy (all local or all remote lengths 0) is 0.  Local lengths are
 * summed and capped at Linux's MAX_RW_COUNT.  The caller holds no
 * mmap_lock.
 */
PNM_API ssize_t pnm_process_vm_readv(int pid, const struct pnm_iovec *local_iov,
				     unsigned long liovcnt, const struct pnm_iovec *remote_iov,
				     unsigned long riovcnt, unsigned long flags);
PNM_API ssize_t pnm_process_vm_writev(int pid, const struct pnm_iovec *local_iov,
				      unsigned long liovcnt, const struct pnm_iovec *remote_iov,
				      unsigned long riovcnt, unsigned long flags);

PNM_END_DECLS

#endif /* PINMM_PROCESS_VM_H */
