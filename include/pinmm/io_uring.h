/* SPDX-License-Identifier: MIT */
/*
 * pinmm/io_uring.h - io_uring-style fixed buffers: a process registers
 * buffers once (IORING_REGISTER_BUFFERS), they stay pinned long-term, and
 * later reads and writes of files go to and from them with no pin per
 * I/O (IORING_OP_READ_FIXED / WRITE_FIXED).  Case 2 of Linux's
 * pin_user_pages documentation (FOLL_PIN | FOLL_LONGTERM, always
 * FOLL_WRITE), built on pin owners (pinmm/vaddr_pin.h).
 *
 * A ring (struct pnm_io_ring, model-only) stands for one io_uring
 * instance of a task.  Each registered buffer is pinned through a pin
 * owner of its own (VADDR_PIN_LONGTERM | VADDR_PIN_WRITE, so buffers may
 * share pages, as Linux allows), which charges the task's pin budget
 * (pinmm/budget.h; -ENOMEM past it, Linux's RLIMIT_MEMLOCK).  A buffer
 * whose pages come from large folios of one size is coalesced as io_uring
 * does: one pin is kept per folio, not per page, and the buffer is
 * described by one segment (bio_vec) per folio.
 *
 * Limits and errors are Linux's: at most PNM_IORING_MAX_REG_BUFFERS
 * buffers, each at most PNM_IORING_MAX_BUF_SIZE bytes; a shared mapping
 * of a disk file cannot be registered (the core's long-term refusal,
 * -EFAULT), shmem and private mappings can.
 *
 * Thread rules: every call may be made from any thread at any time;
 * fixed reads and writes run concurrently, registration and
 * unregistration wait for them.  pnm_io_ring_destroy() must not race
 * with other calls on the ring, and rings are the caller's to destroy
 * before pnm_fini() or pnm_teardown().
 */
#ifndef PINMM_IO_URING_H
#define PINMM_IO_URING_H

#include <sys/uio.h>

#include <pinmm/types.h>
#include <pinmm/vaddr_pin.h>

PNM_BEGIN_DECLS

struct pnm_io_ring;

/* Linux's IORING_MAX_REG_BUFFERS, and its per-buffer cap (SZ_1G). */
#define PNM_IORING_MAX_REG_BUFFERS	(1u << 14)
#define PNM_IORING_MAX_BUF_SIZE		(1UL << 30)

/*
 * An io_uring instance for @task's memory: 0 with *@ringp set, -EINVAL
 * (NULL argument, no model), -ESRCH (the task has exited), -ENOMEM.
 * The ring holds a reference on the task.
 */
PNM_API int pnm_io_ring_create(struct task_struct *task, struct pnm_io_ring **ringp);
/* Close the ring: its buffers are unregistered, then it is freed.  NULL
 * is accepted. */
PNM_API void pnm_io_ring_destroy(struct pnm_io_ring *ring);

/*
 * io_uring_register(IORING_REGISTER_BUFFERS): pin the @nr buffers of
 * @iov (user addresses of the ring's task in iov_base) long-term, all or
 * nothing.  An entry with a NULL iov_base and iov_len 0 is an empty slot.
 * 0, or -errno with nothing registered: -EBUSY (buffers are registered
 * already), -EINVAL (@nr is 0 or above PNM_IORING_MAX_REG_BUFFERS, NULL
 * ring), -EFAULT (NULL @iov; an entry with NULL base and a length, with
 * length 0, longer than PNM_IORING_MAX_BUF_SIZE, or a page that cannot be
 * pinned: unmapped, not writable, a shared disk mapping), -EOVERFLOW (an
 * entry that wraps), -ENOMEM (host memory, or the pin budget), -ESRCH
 * (the task exited), and the core's other refusals (-EOPNOTSUPP: dax).
 */
PNM_API int pnm_io_ring_register_buffers(struct pnm_io_ring *ring, const struct iovec *iov,
					 unsigned int nr);
/*
 * io_uring_register(IORING_UNREGISTER_BUFFERS): release every buffer's
 * pins (dirtying the pages a fixed read wrote) after the fixed operations
 * running on them: 0, -ENXIO (none registered), -EINVAL (NULL ring).
 */
PNM_API int pnm_io_ring_unregister_buffers(struct pnm_io_ring *ring);

/*
 * IORING_OP_READ_FIXED / WRITE_FIXED: read @len bytes of @file at @off
 * into the registered buffer @buf_index at user address @addr, or write
 * them from there, through the page cache (pnm_file_read() /
 * pnm_file_write()).  [@addr, @addr + @len) must lie inside the buffer.
 * Returns the bytes done (a read stops at end of file; a later failure
 * after some bytes returns those), or -EFAULT (no such buffer, an empty
 * slot, a range outside the buffer), -EINVAL (NULL ring), -ENOMEM, or
 * the file call's error (-EBADF, -EINVAL, -EIO ...).
 */
PNM_API ssize_t pnm_io_ring_read_fixed(struct pnm_io_ring *ring, struct file *file,
				       unsigned int buf_index, unsigned long addr, size_t len,
				       int64_t off);
PNM_API ssize_t pnm_io_ring_write_fixed(struct pnm_io_ring *ring, struct file *file,
					unsigned int buf_index, unsigned long addr, size_t len,
					int64_t off);

/* What a registered buffer is (pnm_io_ring_buf_info). */
struct pnm_io_buf_info {
	size_t size;			/* set by the caller: sizeof(*info) */
	unsigned long addr;		/* iov_base (0: an empty slot) */
	size_t len;			/* iov_len */
	unsigned long pages;		/* pages its range spans, all pinned */
	unsigned long pins;		/* pins it holds: per page, or per folio */
	unsigned long segments;		/* its bio_vecs: per page, or per folio */
	unsigned int folio_shift;	/* log2 of a segment's size (12: pages) */
	bool coalesced;			/* one pin per folio */
	unsigned long long read_bytes;	/* fixed reads into it */
	unsigned long long write_bytes;	/* fixed writes from it */
};
/*
 * Fill @info for buffer @index: 0, -ENXIO (no buffers registered),
 * -EINVAL (NULL argument, a size below this release's, @index beyond the
 * registered count).
 */
PNM_API int pnm_io_ring_buf_info(struct pnm_io_ring *ring, unsigned int index,
				 struct pnm_io_buf_info *info);
/* Buffer @index's pin owner (NULL for an empty slot or no such buffer);
 * valid until the buffers are unregistered. */
PNM_API struct vaddr_pin *pnm_io_ring_buf_owner(struct pnm_io_ring *ring, unsigned int index);

/* What a ring is (pnm_io_ring_get_info). */
struct pnm_io_ring_info {
	size_t size;			/* set by the caller: sizeof(*info) */
	int pid;			/* whose memory */
	unsigned int nr_bufs;		/* registered slots (empty ones too) */
	unsigned long pages;		/* pages the buffers pin */
	unsigned long pins;		/* pins they hold (coalescing counted) */
	unsigned long fixed_reads, fixed_writes;	/* operations done */
	unsigned long long read_bytes, write_bytes;
	unsigned long registrations;	/* successful register calls */
};
/* Fill @info: 0, -EINVAL (NULL, a size below this release's). */
PNM_API int pnm_io_ring_get_info(struct pnm_io_ring *ring, struct pnm_io_ring_info *info);

/*
 * Check @ring's invariants: each registered buffer's owner holds exactly
 * one extent, of the buffer's pages, coalesced exactly when the buffer
 * is; each page is maybe-pinned; the segments match the folios.  0, or
 * -EUCLEAN with the first problem in @why (cut at @size; may be NULL).
 * Call it when no other thread uses the ring.
 */
PNM_API int pnm_io_ring_check(struct pnm_io_ring *ring, char *why, size_t size);

PNM_END_DECLS

#endif /* PINMM_IO_URING_H */
