/* SPDX-License-Identifier: MIT */
/*
 * pinmm/rdma.h - an RDMA adapter and its memory regions: the long-term
 * pin call site (case 2 of Linux's pin_user_pages documentation,
 * FOLL_PIN | FOLL_LONGTERM), built on pin owners (pinmm/vaddr_pin.h) as
 * the 2019 proposal converted ib_umem.
 *
 * Objects, after the verbs (model-only names):
 *   struct pnm_ib_device  an adapter: its memory keys and its engines,
 *                         device threads that carry out the remote
 *                         operations arriving from the network (RDMA
 *                         WRITE into a region, RDMA READ from one) at any
 *                         time, and the completions they produce.
 *   struct pnm_ib_pd      a protection domain: one process's (the task
 *                         whose memory its regions pin).
 *   struct pnm_ib_mr      a memory region (ibv_reg_mr()): [addr, addr +
 *                         length) of the PD's task, pinned long-term
 *                         through a pin owner of its own, named by an
 *                         lkey and an rkey and addressed by the device at
 *                         [iova, iova + length).
 *
 * Registration pins every page of the range with FOLL_PIN |
 * FOLL_LONGTERM (and FOLL_WRITE when the access flags let anything write
 * it), so the core first migrates the pages out of MOVABLE and CMA, and
 * charges them to the task's pin budget (pinmm/budget.h: -ENOMEM past
 * it, as Linux's RLIMIT_MEMLOCK check).  The device then reaches the
 * pages through the owner, never through page tables: the process may
 * fork, unmap or exit and the device keeps writing the same frames.
 *
 * File-backed regions: a shared mapping of a disk or dax file can only be
 * registered by giving the struct file that holds a layout lease on it
 * (pnm_file_set_layout_lease()); Linux refuses such pins (-EFAULT, dax
 * -EOPNOTSUPP), and so does this call without the lease.  A truncate or
 * hole punch of the file breaks the lease: the driver answers by
 * invalidating the region and releasing its pins from the owner's revoke
 * callback (state PNM_IB_MR_INVALID), unless the region was registered
 * with PNM_IB_MR_IGNORE_BREAK, a holder that does not answer: the core
 * then revokes it by force at the lease's deadline (PNM_IB_MR_REVOKED,
 * its pages quarantined until the late dereg).  Either way every later
 * remote operation on the region fails with -EIO and is counted; no
 * write reaches the file after the break.
 *
 * Thread rules: every call may be made from any thread at any time, but
 * an object's destroy call (pnm_ib_dereg_mr(), pnm_ib_dealloc_pd(),
 * pnm_ib_device_destroy()) must not race with other calls on that object.
 * Remote operations and deregistration may race: an operation either
 * completes before the region's pins go or fails.  Devices are the
 * caller's to destroy before pnm_fini() or pnm_teardown() (which release
 * the regions' owners under them and leave their threads running).
 */
#ifndef PINMM_RDMA_H
#define PINMM_RDMA_H

#include <pinmm/types.h>
#include <pinmm/vaddr_pin.h>

PNM_BEGIN_DECLS

struct pnm_ib_device;
struct pnm_ib_pd;
struct pnm_ib_mr;

/* Access flags of a region (Linux's IB_ACCESS_* values).  A region that
 * remote peers may write must be locally writable too. */
#define PNM_IB_ACCESS_LOCAL_WRITE	0x1u
#define PNM_IB_ACCESS_REMOTE_WRITE	0x2u
#define PNM_IB_ACCESS_REMOTE_READ	0x4u

/* Largest remote operation (InfiniBand's 2 GiB message limit). */
#define PNM_IB_MAX_MSG_SIZE		(1UL << 31)
/* Device threads and outstanding work, at most. */
#define PNM_IB_MAX_THREADS		16u
#define PNM_IB_MAX_QUEUE_DEPTH		65536u

/* How to create a device. */
struct pnm_ib_device_params {
	size_t size;			/* sizeof(struct pnm_ib_device_params) */
	const char *name;		/* label (copied); NULL: "ib0", "ib1" ... */
	unsigned int nr_threads;	/* device threads: 1..16, 0 means 2 */
	/* work posted and not yet polled, at most: 1..65536, 0 means 256 */
	unsigned int queue_depth;
};

/*
 * Create a device and start its threads.  0 with *@devp set, or -EINVAL
 * (NULL argument, a size below this release's, out-of-range counts, no
 * model), -ENOMEM, -EAGAIN (a thread could not be started).
 */
PNM_API int pnm_ib_device_create(const struct pnm_ib_device_params *params,
				 struct pnm_ib_device **devp);
/*
 * Finish the work still queued (its completions are dropped), stop the
 * threads and free the device: 0, or -EBUSY while protection domains
 * exist (nothing changed).  NULL is accepted.
 */
PNM_API int pnm_ib_device_destroy(struct pnm_ib_device *dev);

/*
 * Allocate a protection domain for @task's memory (ibv_alloc_pd()): 0
 * with *@pdp set, -EINVAL (NULL argument), -ESRCH (the task has exited),
 * -ENOMEM.  The PD holds a reference on the task.
 */
PNM_API int pnm_ib_alloc_pd(struct pnm_ib_device *dev, struct task_struct *task,
			    struct pnm_ib_pd **pdp);
/* Free a PD without regions: 0, -EBUSY (regions remain).  NULL: 0. */
PNM_API int pnm_ib_dealloc_pd(struct pnm_ib_pd *pd);

/* Model options of a region (pnm_ib_mr_attr.flags). */
/* The holder ignores lease breaks: the core revokes the region by force
 * at the deadline (the misbehaving peer of the 2019 discussion). */
#define PNM_IB_MR_IGNORE_BREAK		0x1u

/* What to register (ibv_reg_mr_iova2()'s arguments). */
struct pnm_ib_mr_attr {
	size_t size;			/* sizeof(struct pnm_ib_mr_attr) */
	unsigned long addr;		/* user address of the first byte */
	size_t length;			/* bytes, > 0 */
	/* the device's address of the first byte: iova and addr must have
	 * the same offset in their page (ibv_reg_mr() passes addr) */
	uint64_t iova;
	unsigned int access;		/* PNM_IB_ACCESS_* */
	/* for a shared mapping of a disk or dax file: the struct file holding
	 * the layout lease on it (it becomes the owner's f_owner); NULL
	 * otherwise */
	struct file *lease_file;
	unsigned int flags;		/* PNM_IB_MR_* */
	const char *name;		/* label in listings (copied), or NULL */
};

/*
 * Register a memory region (ib_umem_get() and the driver's reg_user_mr):
 * pin every page of [addr & PAGE_MASK, PAGE_ALIGN(addr + length)) of the
 * PD's task long-term through a new pin owner (named @attr->name, or
 * "mr<lkey>").  0 with *@mrp set, or -errno with nothing pinned:
 * -EINVAL (NULL argument, a size below this release's, length 0, a range
 * that wraps, unknown access or flags, REMOTE_WRITE without LOCAL_WRITE,
 * iova and addr at different page offsets), -ESRCH (the task exited),
 * -ENOMEM (host memory, or the pin budget), -EFAULT (a page that cannot
 * be pinned: unmapped, not permitted, a shared file mapping without its
 * lease, the task's memory gone), -EOPNOTSUPP (dax without a lease), and
 * the other refusals of vaddr_pin_user_pages().
 */
PNM_API int pnm_ib_reg_mr(struct pnm_ib_pd *pd, const struct pnm_ib_mr_attr *attr,
			  struct pnm_ib_mr **mrp);
/*
 * Deregister: the keys stop working at once, operations still running
 * on the region finish first, then its pins are released (marking the
 * pages dirty if the region is writable, as ib_umem_release()) and the
 * owner destroyed.  0; NULL is accepted.  After a forced revocation this
 * is the late unpin that ends the pages' quarantine.
 */
PNM_API int pnm_ib_dereg_mr(struct pnm_ib_mr *mr);
/* The region's keys (the device model uses one value for both, as mlx5
 * does for user regions). */
PNM_API uint32_t pnm_ib_mr_lkey(const struct pnm_ib_mr *mr);
PNM_API uint32_t pnm_ib_mr_rkey(const struct pnm_ib_mr *mr);
/* The region's pin owner (for the owner listings and queries), kept
 * until the region is deregistered (holding nothing once the region was
 * invalidated on a lease break). */
PNM_API struct vaddr_pin *pnm_ib_mr_owner(struct pnm_ib_mr *mr);

/* Region states (pnm_ib_mr_info.state). */
#define PNM_IB_MR_VALID		0u	/* registered, pinned, usable */
#define PNM_IB_MR_INVALID	1u	/* released on a lease break: unpinned */
#define PNM_IB_MR_REVOKED	2u	/* revoked by force: pinned, quarantined */
/* "valid", "invalid", "revoked" ("?" otherwise). */
PNM_API const char *pnm_ib_mr_state_name(unsigned int state);

/* What a region is (pnm_ib_mr_get_info). */
struct pnm_ib_mr_info {
	size_t size;			/* set by the caller: sizeof(*info) */
	uint32_t lkey, rkey;
	unsigned long addr;		/* as registered */
	size_t length;
	uint64_t iova;
	unsigned int access;		/* PNM_IB_ACCESS_* */
	unsigned int flags;		/* PNM_IB_MR_* */
	unsigned int state;		/* PNM_IB_MR_* state */
	int pid;			/* whose memory */
	unsigned long pages;		/* pages pinned now (0 once released) */
	char name[32];
	/* remote operations that reached the region, and their bytes */
	unsigned long remote_writes, remote_reads;
	unsigned long long remote_write_bytes, remote_read_bytes;
	/* remote operations refused because the region was invalidated or
	 * revoked */
	unsigned long refused_writes, refused_reads;
	unsigned long breaks;		/* lease breaks it was asked to answer */
};
/* Fill @info: 0, -EINVAL (NULL, a size below this release's). */
PNM_API int pnm_ib_mr_get_info(struct pnm_ib_mr *mr, struct pnm_ib_mr_info *info);

/* --- the wire: remote operations carried out by the device --------------- */

/* Operation codes (Linux's IB_WR_RDMA_WRITE / IB_WR_RDMA_READ values). */
#define PNM_IB_WR_RDMA_WRITE	0u
#define PNM_IB_WR_RDMA_READ	4u

/*
 * A remote peer's RDMA WRITE of @len bytes of @buf at device address
 * @iova of the region named by @rkey, or its RDMA READ of them into @buf,
 * carried out synchronously by the calling thread acting as the device.
 * 0, or -EINVAL (NULL device or buffer with @len > 0, @len above
 * PNM_IB_MAX_MSG_SIZE), -EACCES (a remote access error: no region has
 * @rkey, the region lacks REMOTE_WRITE / REMOTE_READ, or the range is not
 * inside it), -EIO (the region was invalidated or revoked on a lease
 * break).  Every refusal is counted (pnm_ib_device_info).
 */
PNM_API int pnm_ib_remote_write(struct pnm_ib_device *dev, uint32_t rkey, uint64_t iova,
				const void *buf, size_t len);
PNM_API int pnm_ib_remote_read(struct pnm_ib_device *dev, uint32_t rkey, uint64_t iova,
			       void *buf, size_t len);

/* A remote operation handed to the device's threads (pnm_ib_post_remote). */
struct pnm_ib_work {
	size_t size;			/* sizeof(struct pnm_ib_work) */
	uint64_t wr_id;			/* returned in its completion */
	unsigned int opcode;		/* PNM_IB_WR_* */
	uint32_t rkey;
	uint64_t iova;
	/* RDMA WRITE: the data (copied when posted); RDMA READ: where the
	 * data goes, valid until the completion is polled */
	void *buf;
	size_t len;
};
/* A completion (pnm_ib_poll_cq). */
struct pnm_ib_wc {
	uint64_t wr_id;
	unsigned int opcode;
	int status;			/* 0 or the -errno of pnm_ib_remote_*() */
	size_t byte_len;		/* bytes moved (0 on error) */
};
/*
 * Queue @wr for the device's threads, which carry it out at some later
 * time as pnm_ib_remote_write()/_read() and queue its completion.  0, or
 * -EINVAL (as the synchronous calls, an unknown opcode, a size below
 * this release's), -ENOMEM (queue_depth operations are outstanding --
 * posted and not yet polled -- or host memory).
 */
PNM_API int pnm_ib_post_remote(struct pnm_ib_device *dev, const struct pnm_ib_work *wr);
/* Take up to @nr completions, oldest first: how many (0: none yet), or
 * -EINVAL (NULL argument). */
PNM_API int pnm_ib_poll_cq(struct pnm_ib_device *dev, struct pnm_ib_wc *wc, int nr);
/* Wait until every operation posted so far has completed (not frozen). */
PNM_API void pnm_ib_drain(struct pnm_ib_device *dev);
/*
 * Freeze (@frozen) or thaw the device's engines: while frozen, posted
 * operations wait in the queue (a scenario forks or writes back "while
 * the device has work"); thawing lets them run.
 */
PNM_API void pnm_ib_device_freeze(struct pnm_ib_device *dev, bool frozen);

/* What a device did (pnm_ib_device_get_info). */
struct pnm_ib_device_info {
	size_t size;			/* set by the caller: sizeof(*info) */
	char name[32];
	unsigned int nr_threads;
	unsigned int queue_depth;
	unsigned long pds, mrs;		/* live protection domains, regions */
	unsigned long outstanding;	/* posted, not yet polled */
	unsigned long queued;		/* posted, not yet started */
	bool frozen;
	/* remote operations done, and their bytes */
	unsigned long remote_writes, remote_reads;
	unsigned long long remote_write_bytes, remote_read_bytes;
	/* refused: remote access errors (key, access, range) */
	unsigned long access_errors;
	/* refused: the region was invalidated or revoked (writes, reads) */
	unsigned long refused_writes, refused_reads;
	/* lease breaks the driver answered by releasing a region, and
	 * regions the core revoked by force */
	unsigned long regions_invalidated, regions_revoked;
};
/* Fill @info: 0, -EINVAL (NULL, a size below this release's). */
PNM_API int pnm_ib_device_get_info(struct pnm_ib_device *dev, struct pnm_ib_device_info *info);

/*
 * Call @fn for each live region of @dev, oldest first (the device's
 * region list is locked: @fn must not register, deregister or post).
 */
PNM_API void pnm_ib_mr_foreach(struct pnm_ib_device *dev,
			       void (*fn)(struct pnm_ib_mr *mr, void *arg), void *arg);

/*
 * Check @dev's invariants: its counts add up, keys are unique, every
 * region's state agrees with its pin owner (a valid or revoked region
 * holds exactly its one extent of its pages, each maybe-pinned; an
 * invalidated one holds nothing; a revoked one's owner says so).  0, or
 * -EUCLEAN with the first problem described in @why (cut at @size; may
 * be NULL).  Call it when no other thread uses the device.
 */
PNM_API int pnm_ib_device_check(struct pnm_ib_device *dev, char *why, size_t size);

PNM_END_DECLS

#endif /* PINMM_RDMA_H */
