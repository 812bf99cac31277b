// SPDX-License-Identifier: MIT
/*
 * rdma.c - an RDMA adapter model (pinmm/rdma.h): protection domains,
 * memory regions pinned long-term through pin owners (what ib_umem_get()
 * does for a verbs driver's reg_user_mr), and the device threads that
 * carry out remote peers' RDMA WRITEs and READs on the regions at any
 * time.  Case 2 of Linux's pin_user_pages documentation; group b of the
 * 2019 mail (FOLL_PIN | FOLL_LONGTERM, tied to a struct file when the
 * region is file-backed).
 *
 * A region is one pin owner with one extent: VADDR_PIN_LONGTERM always,
 * VADDR_PIN_WRITE when the access flags let anyone write it (Linux's
 * ib_access_writable()), f_owner the file holding the layout lease for a
 * file-backed region.  The owner turns that into pin_user_pages_remote()
 * with FOLL_PIN | FOLL_LONGTERM [| FOLL_WRITE], so the core migrates the
 * pages out of MOVABLE/CMA first, refuses what Linux refuses and charges
 * the pin budget; the device reaches the pages with the owner's
 * pnm_vaddr_pin_dma_*() at iova - region iova + region addr.
 *
 * Lease breaks: the owner's revoke callback (ib_mr_revoke()) finds the
 * region by its owner in rdma_mrs, invalidates it and releases its pins
 * (dirty: the device wrote them), under the region's lock for write, so
 * that every remote operation either finished before or sees the
 * invalid state and fails.  A region registered PNM_IB_MR_IGNORE_BREAK
 * does nothing there; the core revokes its owner at the deadline, which
 * the driver learns from the -EIO of the owner's transfer calls (or from
 * the owner's state, in the queries).
 *
 * Locks (outermost first):
 *   mr->lock       rwlock, writers first: read across a remote operation
 *                  (state check and transfer), write to pin at
 *                  registration, to invalidate on a break and to release
 *                  at deregistration.  The owner's extents_lock and every
 *                  core lock nest inside it.
 *   dev->lock      mutex: the device's PD and region lists, its key
 *                  counter, its completion queue.  Taken alone, except by
 *                  pnm_ib_device_check(), which looks at owners (their
 *                  extents_lock, for read) under it.
 *   rdma_lock      mutex, a leaf: rdma_mrs (every registered region, for
 *                  the revoke callback's lookup) and the device counter.
 * Lifetimes: a region is referenced by its registration and by each
 * remote operation or revoke callback using it (mr->refs); it holds a
 * reference on its device (dev->refs), so the device's memory outlives
 * every such use; pnm_ib_device_destroy() drops the creator's.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pinmm/pinmm.h>
#include <pinmm/rdma.h>

#include "devq.h"

#define PAGE_SIZE_	PNM_PAGE_SIZE
#define PAGE_MASK_	(~(PNM_PAGE_SIZE - 1))

#define IB_ACCESS_ALL	(PNM_IB_ACCESS_LOCAL_WRITE | PNM_IB_ACCESS_REMOTE_WRITE | \
			 PNM_IB_ACCESS_REMOTE_READ)
#define IB_ACCESS_WRITABLE (PNM_IB_ACCESS_LOCAL_WRITE | PNM_IB_ACCESS_REMOTE_WRITE)
#define IB_MR_FLAGS	PNM_IB_MR_IGNORE_BREAK

/* The first release's structs end with their last field. */
#define IB_DEV_PARAMS_SIZE_0_2	sizeof(struct pnm_ib_device_params)
#define IB_MR_ATTR_SIZE_0_2	sizeof(struct pnm_ib_mr_attr)
#define IB_WORK_SIZE_0_2	sizeof(struct pnm_ib_work)
#define IB_MR_INFO_SIZE_0_2	sizeof(struct pnm_ib_mr_info)
#define IB_DEV_INFO_SIZE_0_2	sizeof(struct pnm_ib_device_info)
#define IB_STRUCT_SIZE_MAX	4096

/* A posted remote operation: queued work, then its completion. */
struct ib_post {
	struct pnm_devq_work work;	/* first: the devq item */
	struct pnm_ib_device *dev;
	struct pnm_ib_work wr;		/* the caller's, buf = data for a write */
	void *data;			/* the write's copy, freed once done */
	struct pnm_ib_wc wc;
	struct ib_post *cq_next;	/* completion queue; dev->lock */
};

struct pnm_ib_device {
	char name[32];			/* set once */
	unsigned int nr_threads;	/* set once */
	unsigned int queue_depth;	/* set once */
	struct pnm_devq *q;		/* the engines; set once */
	pthread_mutex_t lock;
	struct pnm_ib_pd *pds;		/* live PDs, newest first; lock */
	struct pnm_ib_mr *mrs, *mrs_tail;	/* live regions, oldest first; lock */
	unsigned long nr_pds, nr_mrs;	/* lock */
	unsigned long next_index;	/* key index counter; lock */
	struct ib_post *cq_head, *cq_tail;	/* completions; lock */
	unsigned long outstanding;	/* posted, not polled; lock */
	bool frozen;			/* lock */
	atomic_int refs;		/* the creator's, and each region's */
	/* statistics (relaxed) */
	atomic_ulong remote_writes, remote_reads;
	atomic_ullong remote_write_bytes, remote_read_bytes;
	atomic_ulong access_errors, refused_writes, refused_reads;
	atomic_ulong regions_invalidated, regions_revoked;
};

struct pnm_ib_pd {
	struct pnm_ib_device *dev;	/* set once */
	struct task_struct *task;	/* referenced; set once */
	unsigned long nr_mrs;		/* dev->lock */
	struct pnm_ib_pd *next;		/* dev->pds; dev->lock */
};

struct pnm_ib_mr {
	/* set once at registration */
	struct pnm_ib_device *dev;	/* referenced */
	struct pnm_ib_pd *pd;		/* valid while registered */
	uint32_t key;			/* lkey == rkey */
	unsigned long addr;
	size_t length;
	uint64_t iova;
	unsigned int access, flags;
	unsigned long start, npages;	/* the pinned page span */
	int pid;
	char name[32];
	struct vaddr_pin *vp;		/* its owner until dereg */
	struct page **pages;		/* the pinned pages (the owner's copy too) */
	pthread_rwlock_t lock;		/* see the top of the file */
	bool pinned;			/* the extent is held; lock (write to change) */
	/* PNM_IB_MR_*: VALID -> INVALID under lock (write); VALID -> REVOKED
	 * by cmpxchg, by whoever sees the owner revoked */
	atomic_uint state;
	atomic_int refs;
	/* dev->mrs, while the keys work; dev->lock */
	struct pnm_ib_mr *prev, *next;
	/* rdma_mrs, while a revoke callback may look for it; rdma_lock */
	struct pnm_ib_mr *gprev, *gnext;
	/* statistics (relaxed) */
	atomic_ulong remote_writes, remote_reads;
	atomic_ullong remote_write_bytes, remote_read_bytes;
	atomic_ulong refused_writes, refused_reads, breaks;
};

static pthread_mutex_t rdma_lock = PTHREAD_MUTEX_INITIALIZER;
static struct pnm_ib_mr *rdma_mrs;	/* every registered region; rdma_lock */
static unsigned int rdma_next_dev;	/* default device names; rdma_lock */

static void ib_lock(pthread_mutex_t *m)
{
	if (pthread_mutex_lock(m))
		abort();
}

static void ib_unlock(pthread_mutex_t *m)
{
	if (pthread_mutex_unlock(m))
		abort();
}

/* --- devices ------------------------------------------------------------- */

static void ib_dev_put(struct pnm_ib_device *dev)
{
	/* acq_rel: every use of the device happens before its free. */
	if (atomic_fetch_sub_explicit(&dev->refs, 1, memory_order_acq_rel) != 1)
		return;
	pthread_mutex_destroy(&dev->lock);
	free(dev);
}

/* The device's checker, run by pnm_check_system() (pnm_check_register()). */
static int ib_dev_checker(void *arg, char *why, size_t size)
{
	return pnm_ib_device_check(arg, why, size);
}

/* pnm_ib_device_create - a device and its threads (pinmm/rdma.h). */
int pnm_ib_device_create(const struct pnm_ib_device_params *params, struct pnm_ib_device **devp)
{
	struct pnm_mem_info mi = { .size = sizeof(mi) };
	struct pnm_ib_device_params p;
	struct pnm_ib_device *dev;
	int err;

	if (!params || !devp || params->size < IB_DEV_PARAMS_SIZE_0_2 ||
	    params->size > IB_STRUCT_SIZE_MAX || pnm_get_mem_info(&mi))
		return -EINVAL;
	memcpy(&p, params, sizeof(p));
	if (p.nr_threads > PNM_IB_MAX_THREADS || p.queue_depth > PNM_IB_MAX_QUEUE_DEPTH)
		return -EINVAL;
	dev = calloc(1, sizeof(*dev));
	if (!dev)
		return -ENOMEM;
	dev->nr_threads = p.nr_threads ? p.nr_threads : 2;
	dev->queue_depth = p.queue_depth ? p.queue_depth : 256;
	ib_lock(&rdma_lock);
	if (p.name)
		snprintf(dev->name, sizeof(dev->name), "%s", p.name);
	else
		snprintf(dev->name, sizeof(dev->name), "ib%u", rdma_next_dev);
	rdma_next_dev++;
	ib_unlock(&rdma_lock);
	if (pthread_mutex_init(&dev->lock, NULL))
		abort();
	atomic_init(&dev->refs, 1);
	err = pnm_devq_create(dev->name, dev->nr_threads, &dev->q);
	if (!err) {
		err = pnm_check_register(ib_dev_checker, dev);
		if (err)
			pnm_devq_destroy(dev->q);
	}
	if (err) {
		pthread_mutex_destroy(&dev->lock);
		free(dev);
		return err;
	}
	*devp = dev;
	return 0;
}

/* pnm_ib_device_destroy - finish the queue, stop, free (pinmm/rdma.h). */
int pnm_ib_device_destroy(struct pnm_ib_device *dev)
{
	struct ib_post *c, *next;

	if (!dev)
		return 0;
	ib_lock(&dev->lock);
	if (dev->nr_pds) {
		ib_unlock(&dev->lock);
		return -EBUSY;
	}
	ib_unlock(&dev->lock);
	pnm_check_unregister(ib_dev_checker, dev);
	/* Runs what is still queued (every region is gone: they fail). */
	pnm_devq_destroy(dev->q);
	dev->q = NULL;
	for (c = dev->cq_head; c; c = next) {
		next = c->cq_next;
		free(c);
	}
	dev->cq_head = dev->cq_tail = NULL;
	ib_dev_put(dev);
	return 0;
}

/* pnm_ib_device_freeze - hold posted work back, or let it run (pinmm/rdma.h). */
void pnm_ib_device_freeze(struct pnm_ib_device *dev, bool frozen)
{
	if (!dev)
		return;
	ib_lock(&dev->lock);
	dev->frozen = frozen;
	ib_unlock(&dev->lock);
	if (frozen)
		pnm_devq_freeze(dev->q);
	else
		pnm_devq_thaw(dev->q);
}

/* --- protection domains -------------------------------------------------- */

/* pnm_ib_alloc_pd - a PD for @task's memory (pinmm/rdma.h). */
int pnm_ib_alloc_pd(struct pnm_ib_device *dev, struct task_struct *task, struct pnm_ib_pd **pdp)
{
	struct pnm_ib_pd *pd;

	if (!dev || !task || !pdp)
		return -EINVAL;
	if (pnm_task_exited(task))
		return -ESRCH;
	pd = calloc(1, sizeof(*pd));
	if (!pd)
		return -ENOMEM;
	pnm_task_get(task);
	pd->dev = dev;
	pd->task = task;
	ib_lock(&dev->lock);
	pd->next = dev->pds;
	dev->pds = pd;
	dev->nr_pds++;
	ib_unlock(&dev->lock);
	*pdp = pd;
	return 0;
}

/* pnm_ib_dealloc_pd - free a PD without regions (pinmm/rdma.h). */
int pnm_ib_dealloc_pd(struct pnm_ib_pd *pd)
{
	struct pnm_ib_device *dev;
	struct pnm_ib_pd **pp;

	if (!pd)
		return 0;
	dev = pd->dev;
	ib_lock(&dev->lock);
	if (pd->nr_mrs) {
		ib_unlock(&dev->lock);
		return -EBUSY;
	}
	for (pp = &dev->pds; *pp; pp = &(*pp)->next) {
		if (*pp == pd) {
			*pp = pd->next;
			break;
		}
	}
	dev->nr_pds--;
	ib_unlock(&dev->lock);
	pnm_task_put(pd->task);
	free(pd);
	return 0;
}

/* --- memory regions ------------------------------------------------------ */

static bool ib_mr_writable(const struct pnm_ib_mr *mr)
{
	return mr->access & IB_ACCESS_WRITABLE;
}

static void ib_mr_put(struct pnm_ib_mr *mr)
{
	struct pnm_ib_device *dev = mr->dev;

	/* acq_rel: every use of the region happens before its free. */
	if (atomic_fetch_sub_explicit(&mr->refs, 1, memory_order_acq_rel) != 1)
		return;
	pthread_rwlock_destroy(&mr->lock);
	free(mr->pages);
	free(mr);
	ib_dev_put(dev);
}

/* Link into / unlink from rdma_mrs (rdma_lock taken here). */
static void ib_mr_global_add(struct pnm_ib_mr *mr)
{
	ib_lock(&rdma_lock);
	mr->gprev = NULL;
	mr->gnext = rdma_mrs;
	if (rdma_mrs)
		rdma_mrs->gprev = mr;
	rdma_mrs = mr;
	ib_unlock(&rdma_lock);
}

static void ib_mr_global_del(struct pnm_ib_mr *mr)
{
	ib_lock(&rdma_lock);
	if (mr->gprev)
		mr->gprev->gnext = mr->gnext;
	else
		rdma_mrs = mr->gnext;
	if (mr->gnext)
		mr->gnext->gprev = mr->gprev;
	mr->gprev = mr->gnext = NULL;
	ib_unlock(&rdma_lock);
}

/* The registered region whose owner is @vp, with a reference; or NULL. */
static struct pnm_ib_mr *ib_mr_of_owner(struct vaddr_pin *vp)
{
	struct pnm_ib_mr *mr;

	ib_lock(&rdma_lock);
	for (mr = rdma_mrs; mr; mr = mr->gnext)
		if (mr->vp == vp)
			break;
	if (mr)
		atomic_fetch_add_explicit(&mr->refs, 1, memory_order_relaxed);
	ib_unlock(&rdma_lock);
	return mr;
}

/* The core revoked @mr's owner by force: note it once. */
static void ib_mr_note_revoked(struct pnm_ib_mr *mr)
{
	unsigned int valid = PNM_IB_MR_VALID;

	if (atomic_compare_exchange_strong(&mr->state, &valid, PNM_IB_MR_REVOKED))
		atomic_fetch_add_explicit(&mr->dev->regions_revoked, 1, memory_order_relaxed);
}

/* @mr's state, learning a forced revocation from its owner.  Holds a
 * reference or the region is registered. */
static unsigned int ib_mr_state(struct pnm_ib_mr *mr)
{
	unsigned int state = atomic_load(&mr->state);

	if (state == PNM_IB_MR_VALID && mr->vp) {
		struct pnm_vaddr_pin_info info = { .size = sizeof(info) };

		if (!pnm_vaddr_pin_get_info(mr->vp, &info) &&
		    (info.state & PNM_VADDR_PIN_REVOKED)) {
			ib_mr_note_revoked(mr);
			state = atomic_load(&mr->state);
		}
	}
	return state;
}

/*
 * The owner's revoke callback: a layout lease @vp's extent is tied to is
 * being broken (fs/locks.c calls it from the truncating thread with no
 * model lock held).  Unless the region ignores breaks, invalidate it and
 * release its pins now, after the remote operations running on it.
 */
static void ib_mr_revoke(struct vaddr_pin *vp, void *arg)
{
	struct pnm_ib_mr *mr = ib_mr_of_owner(vp);

	(void)arg;
	if (!mr)
		return;		/* being deregistered: it lets go itself */
	atomic_fetch_add_explicit(&mr->breaks, 1, memory_order_relaxed);
	if (!(mr->flags & PNM_IB_MR_IGNORE_BREAK)) {
		pthread_rwlock_wrlock(&mr->lock);
		if (mr->pinned && atomic_load(&mr->state) == PNM_IB_MR_VALID) {
			atomic_store(&mr->state, PNM_IB_MR_INVALID);
			vaddr_unpin_user_pages(vp, mr->start, ib_mr_writable(mr));
			mr->pinned = false;
			atomic_fetch_add_explicit(&mr->dev->regions_invalidated, 1,
						  memory_order_relaxed);
		}
		pthread_rwlock_unlock(&mr->lock);
	}
	ib_mr_put(mr);
}

static const struct vaddr_pin_ops ib_mr_vp_ops = { .revoke = ib_mr_revoke };

/* Check a registration's arguments (ib_check_mr_access(), ib_umem_get()). */
static int ib_mr_attr_check(const struct pnm_ib_mr_attr *a)
{
	unsigned long end;

	if (!a->length || (a->access & ~IB_ACCESS_ALL) || (a->flags & ~IB_MR_FLAGS))
		return -EINVAL;
	if ((a->access & PNM_IB_ACCESS_REMOTE_WRITE) && !(a->access & PNM_IB_ACCESS_LOCAL_WRITE))
		return -EINVAL;
	if (__builtin_add_overflow(a->addr, a->length, &end) || end > PAGE_MASK_)
		return -EINVAL;
	if ((a->addr & ~PAGE_MASK_) != (a->iova & ~PAGE_MASK_))
		return -EINVAL;
	if (a->iova + a->length < a->iova)
		return -EINVAL;
	return 0;
}

/*
 * Pin @mr's pages through its owner, all or nothing: a partial pin is
 * released and the failing page asked again for its error, as
 * ib_umem_get() gets it from its next pin_user_pages_fast() call.  A
 * fresh owner and an aligned start leave -EINVAL only for a range beyond
 * user space, which Linux's access_ok() refuses with -EFAULT.
 */
static int ib_mr_pin(struct pnm_ib_mr *mr)
{
	long ret;

	/* The registry names this line as the pins' call site. */
	pnm_gup_set_call_site(__FILE__, __LINE__, __func__);
	ret = vaddr_pin_user_pages(mr->vp, mr->start, mr->npages, mr->pages);
	if (ret == (long)mr->npages)
		return 0;
	if (ret > 0) {
		unsigned long bad = mr->start + (unsigned long)ret * PAGE_SIZE_;

		vaddr_unpin_user_pages(mr->vp, mr->start, false);
		ret = vaddr_pin_user_pages(mr->vp, bad, 1, NULL);
		if (ret > 0) {		/* it came in meanwhile: still a failure */
			vaddr_unpin_user_pages(mr->vp, bad, false);
			ret = -EFAULT;
		}
	}
	if (ret == 0 || ret == -EINVAL)
		ret = -EFAULT;
	return (int)ret;
}

/* pnm_ib_reg_mr - register and pin a memory region (pinmm/rdma.h). */
int pnm_ib_reg_mr(struct pnm_ib_pd *pd, const struct pnm_ib_mr_attr *attr, struct pnm_ib_mr **mrp)
{
	struct vaddr_pin_params vpp = { .size = sizeof(vpp) };
	struct pnm_ib_device *dev;
	struct pnm_ib_mr_attr a;
	struct pnm_ib_mr *mr;
	unsigned long index;
	int err;

	if (!pd || !attr || !mrp || attr->size < IB_MR_ATTR_SIZE_0_2 ||
	    attr->size > IB_STRUCT_SIZE_MAX)
		return -EINVAL;
	memcpy(&a, attr, sizeof(a));
	err = ib_mr_attr_check(&a);
	if (err)
		return err;
	dev = pd->dev;
	mr = calloc(1, sizeof(*mr));
	if (!mr)
		return -ENOMEM;
	mr->addr = a.addr;
	mr->length = a.length;
	mr->iova = a.iova;
	mr->access = a.access;
	mr->flags = a.flags;
	mr->start = a.addr & PAGE_MASK_;
	mr->npages = ((a.addr + a.length + PAGE_SIZE_ - 1) & PAGE_MASK_) - mr->start;
	mr->npages /= PAGE_SIZE_;
	mr->pid = pnm_task_pid(pd->task);
	mr->pages = malloc(mr->npages * sizeof(*mr->pages));
	if (!mr->pages) {
		free(mr);
		return -ENOMEM;
	}
	ib_lock(&dev->lock);
	index = ++dev->next_index;
	ib_unlock(&dev->lock);
	/* Keys: an index and a variant byte; never reused by a device. */
	mr->key = (uint32_t)(index << 8) | (uint32_t)((index * 37) & 0xff);
	if (a.name)
		snprintf(mr->name, sizeof(mr->name), "%s", a.name);
	else
		snprintf(mr->name, sizeof(mr->name), "mr%lu", index);

	vpp.task = pd->task;
	vpp.f_owner = a.lease_file;
	vpp.flags = VADDR_PIN_LONGTERM | ((a.access & IB_ACCESS_WRITABLE) ? VADDR_PIN_WRITE : 0);
	vpp.name = mr->name;
	vpp.ops = &ib_mr_vp_ops;
	err = vaddr_pin_create(&vpp, &mr->vp);
	if (err) {
		free(mr->pages);
		free(mr);
		return err;
	}
	{
		pthread_rwlockattr_t la;

		/* Writers first: a break or a dereg is not starved by traffic. */
		pthread_rwlockattr_init(&la);
		pthread_rwlockattr_setkind_np(&la, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
		if (pthread_rwlock_init(&mr->lock, &la))
			abort();
		pthread_rwlockattr_destroy(&la);
	}
	atomic_init(&mr->state, PNM_IB_MR_VALID);
	atomic_init(&mr->refs, 1);
	mr->dev = dev;
	atomic_fetch_add_explicit(&dev->refs, 1, memory_order_relaxed);

	/* Findable by the revoke callback before it can be tied to a lease,
	 * and locked until pinned: a break during registration waits here,
	 * then releases what was pinned. */
	pthread_rwlock_wrlock(&mr->lock);
	ib_mr_global_add(mr);
	err = ib_mr_pin(mr);
	if (err) {
		ib_mr_global_del(mr);
		pthread_rwlock_unlock(&mr->lock);
		vaddr_pin_destroy(mr->vp);
		mr->vp = NULL;
		ib_mr_put(mr);
		return err;
	}
	mr->pinned = true;
	pthread_rwlock_unlock(&mr->lock);

	ib_lock(&dev->lock);
	mr->pd = pd;
	pd->nr_mrs++;
	mr->prev = dev->mrs_tail;
	mr->next = NULL;
	if (dev->mrs_tail)
		dev->mrs_tail->next = mr;
	else
		dev->mrs = mr;
	dev->mrs_tail = mr;
	dev->nr_mrs++;
	ib_unlock(&dev->lock);
	*mrp = mr;
	return 0;
}

/* pnm_ib_dereg_mr - keys off, wait for running operations, unpin, free
 * (pinmm/rdma.h). */
int pnm_ib_dereg_mr(struct pnm_ib_mr *mr)
{
	struct pnm_ib_device *dev;
	struct vaddr_pin *vp;

	if (!mr)
		return 0;
	dev = mr->dev;
	ib_lock(&dev->lock);
	if (mr->prev)
		mr->prev->next = mr->next;
	else
		dev->mrs = mr->next;
	if (mr->next)
		mr->next->prev = mr->prev;
	else
		dev->mrs_tail = mr->prev;
	mr->prev = mr->next = NULL;
	dev->nr_mrs--;
	mr->pd->nr_mrs--;
	mr->pd = NULL;
	ib_unlock(&dev->lock);
	ib_mr_global_del(mr);

	pthread_rwlock_wrlock(&mr->lock);
	vp = mr->vp;
	if (mr->pinned) {
		/* A revoked owner's late unpin ends the quarantine (and does
		 * not dirty: the device was cut off). */
		vaddr_unpin_user_pages(vp, mr->start, ib_mr_writable(mr));
		mr->pinned = false;
	}
	mr->vp = NULL;
	pthread_rwlock_unlock(&mr->lock);
	vaddr_pin_destroy(vp);
	ib_mr_put(mr);
	return 0;
}

/* pnm_ib_mr_lkey, pnm_ib_mr_rkey - the region's keys, one value (pinmm/rdma.h). */
uint32_t pnm_ib_mr_lkey(const struct pnm_ib_mr *mr)
{
	return mr ? mr->key : 0;
}

uint32_t pnm_ib_mr_rkey(const struct pnm_ib_mr *mr)
{
	return mr ? mr->key : 0;
}

/* pnm_ib_mr_owner - the region's pin owner, until dereg (pinmm/rdma.h). */
struct vaddr_pin *pnm_ib_mr_owner(struct pnm_ib_mr *mr)
{
	return mr ? mr->vp : NULL;
}

/* pnm_ib_mr_state_name - "valid", "invalid", "revoked" (pinmm/rdma.h). */
const char *pnm_ib_mr_state_name(unsigned int state)
{
	switch (state) {
	case PNM_IB_MR_VALID:
		return "valid";
	case PNM_IB_MR_INVALID:
		return "invalid";
	case PNM_IB_MR_REVOKED:
		return "revoked";
	}
	return "?";
}

/* pnm_ib_mr_get_info - a snapshot of a registered region (pinmm/rdma.h). */
int pnm_ib_mr_get_info(struct pnm_ib_mr *mr, struct pnm_ib_mr_info *info)
{
	struct pnm_ib_mr_info s;
	size_t size;

	if (!mr || !info || info->size < IB_MR_INFO_SIZE_0_2 || info->size > IB_STRUCT_SIZE_MAX)
		return -EINVAL;
	size = info->size;
	memset(&s, 0, sizeof(s));
	s.size = sizeof(s);
	s.lkey = s.rkey = mr->key;
	s.addr = mr->addr;
	s.length = mr->length;
	s.iova = mr->iova;
	s.access = mr->access;
	s.flags = mr->flags;
	s.state = ib_mr_state(mr);
	s.pid = mr->pid;
	pthread_rwlock_rdlock(&mr->lock);
	s.pages = mr->pinned ? mr->npages : 0;
	pthread_rwlock_unlock(&mr->lock);
	snprintf(s.name, sizeof(s.name), "%s", mr->name);
	s.remote_writes = atomic_load_explicit(&mr->remote_writes, memory_order_relaxed);
	s.remote_reads = atomic_load_explicit(&mr->remote_reads, memory_order_relaxed);
	s.remote_write_bytes = atomic_load_explicit(&mr->remote_write_bytes, memory_order_relaxed);
	s.remote_read_bytes = atomic_load_explicit(&mr->remote_read_bytes, memory_order_relaxed);
	s.refused_writes = atomic_load_explicit(&mr->refused_writes, memory_order_relaxed);
	s.refused_reads = atomic_load_explicit(&mr->refused_reads, memory_order_relaxed);
	s.breaks = atomic_load_explicit(&mr->breaks, memory_order_relaxed);
	memcpy(info, &s, sizeof(s));
	memset((char *)info + sizeof(s), 0, size - sizeof(s));
	info->size = size;
	return 0;
}

/* --- the wire ------------------------------------------------------------ */

/* The region of @dev named @key, if the range and access fit, with a
 * reference; NULL for a remote access error. */
static struct pnm_ib_mr *ib_mr_lookup(struct pnm_ib_device *dev, uint32_t key, uint64_t iova,
				      size_t len, unsigned int access)
{
	struct pnm_ib_mr *mr;

	ib_lock(&dev->lock);
	for (mr = dev->mrs; mr; mr = mr->next)
		if (mr->key == key)
			break;
	if (mr && (!(mr->access & access) || iova < mr->iova ||
		   iova - mr->iova > mr->length || len > mr->length - (iova - mr->iova)))
		mr = NULL;
	if (mr)
		atomic_fetch_add_explicit(&mr->refs, 1, memory_order_relaxed);
	ib_unlock(&dev->lock);
	return mr;
}

/*
 * One remote operation, carried out by the calling thread as the device:
 * find the region, then, under its lock for read, check that it is valid
 * and move the bytes through its owner.
 */
static int ib_remote(struct pnm_ib_device *dev, uint32_t rkey, uint64_t iova, void *buf,
		     size_t len, bool write)
{
	struct pnm_ib_mr *mr;
	int ret;

	if (!dev || (!buf && len) || len > PNM_IB_MAX_MSG_SIZE)
		return -EINVAL;
	mr = ib_mr_lookup(dev, rkey, iova, len,
			  write ? PNM_IB_ACCESS_REMOTE_WRITE : PNM_IB_ACCESS_REMOTE_READ);
	if (!mr) {
		atomic_fetch_add_explicit(&dev->access_errors, 1, memory_order_relaxed);
		return -EACCES;
	}
	pthread_rwlock_rdlock(&mr->lock);
	if (!mr->vp) {
		ret = -EACCES;		/* deregistered meanwhile: the key is gone */
	} else if (!mr->pinned || atomic_load(&mr->state) != PNM_IB_MR_VALID) {
		ret = -EIO;
	} else if (!len) {
		ret = 0;
	} else {
		unsigned long uaddr = mr->addr + (unsigned long)(iova - mr->iova);

		ret = write ? pnm_vaddr_pin_dma_write(mr->vp, uaddr, buf, len)
			    : pnm_vaddr_pin_dma_read(mr->vp, uaddr, buf, len);
		if (ret == -EIO)	/* the core cut the owner off */
			ib_mr_note_revoked(mr);
	}
	pthread_rwlock_unlock(&mr->lock);
	if (!ret && write) {
		atomic_fetch_add_explicit(&mr->remote_writes, 1, memory_order_relaxed);
		atomic_fetch_add_explicit(&mr->remote_write_bytes, len, memory_order_relaxed);
		atomic_fetch_add_explicit(&dev->remote_writes, 1, memory_order_relaxed);
		atomic_fetch_add_explicit(&dev->remote_write_bytes, len, memory_order_relaxed);
	} else if (!ret) {
		atomic_fetch_add_explicit(&mr->remote_reads, 1, memory_order_relaxed);
		atomic_fetch_add_explicit(&mr->remote_read_bytes, len, memory_order_relaxed);
		atomic_fetch_add_explicit(&dev->remote_reads, 1, memory_order_relaxed);
		atomic_fetch_add_explicit(&dev->remote_read_bytes, len, memory_order_relaxed);
	} else if (ret == -EACCES) {
		atomic_fetch_add_explicit(&dev->access_errors, 1, memory_order_relaxed);
	} else if (ret == -EIO) {
		atomic_fetch_add_explicit(write ? &mr->refused_writes : &mr->refused_reads, 1,
					  memory_order_relaxed);
		atomic_fetch_add_explicit(write ? &dev->refused_writes : &dev->refused_reads, 1,
					  memory_order_relaxed);
	}
	ib_mr_put(mr);
	return ret;
}

/* pnm_ib_remote_write, pnm_ib_remote_read - a peer's RDMA WRITE and READ,
 * carried out by the calling thread (pinmm/rdma.h): ib_remote(). */
int pnm_ib_remote_write(struct pnm_ib_device *dev, uint32_t rkey, uint64_t iova,
			const void *buf, size_t len)
{
	return ib_remote(dev, rkey, iova, (void *)buf, len, true);
}

int pnm_ib_remote_read(struct pnm_ib_device *dev, uint32_t rkey, uint64_t iova,
		       void *buf, size_t len)
{
	return ib_remote(dev, rkey, iova, buf, len, false);
}

/* A device thread runs a posted operation and queues its completion. */
static void ib_post_run(struct pnm_devq_work *work)
{
	struct ib_post *p = (struct ib_post *)work;
	struct pnm_ib_device *dev = p->dev;
	bool write = p->wr.opcode == PNM_IB_WR_RDMA_WRITE;
	int ret;

	ret = ib_remote(dev, p->wr.rkey, p->wr.iova, write ? p->data : p->wr.buf, p->wr.len,
			write);
	free(p->data);
	p->data = NULL;
	p->wc.wr_id = p->wr.wr_id;
	p->wc.opcode = p->wr.opcode;
	p->wc.status = ret;
	p->wc.byte_len = ret ? 0 : p->wr.len;
	ib_lock(&dev->lock);
	p->cq_next = NULL;
	if (dev->cq_tail)
		dev->cq_tail->cq_next = p;
	else
		dev->cq_head = p;
	dev->cq_tail = p;
	ib_unlock(&dev->lock);
}

/* pnm_ib_post_remote - queue a remote operation (pinmm/rdma.h). */
int pnm_ib_post_remote(struct pnm_ib_device *dev, const struct pnm_ib_work *wr)
{
	struct ib_post *p;
	bool write;

	if (!dev || !wr || wr->size < IB_WORK_SIZE_0_2 || wr->size > IB_STRUCT_SIZE_MAX)
		return -EINVAL;
	if (wr->opcode != PNM_IB_WR_RDMA_WRITE && wr->opcode != PNM_IB_WR_RDMA_READ)
		return -EINVAL;
	if ((!wr->buf && wr->len) || wr->len > PNM_IB_MAX_MSG_SIZE)
		return -EINVAL;
	write = wr->opcode == PNM_IB_WR_RDMA_WRITE;
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	memcpy(&p->wr, wr, sizeof(p->wr));
	p->dev = dev;
	p->work.fn = ib_post_run;
	if (write && wr->len) {
		p->data = malloc(wr->len);
		if (!p->data) {
			free(p);
			return -ENOMEM;
		}
		memcpy(p->data, wr->buf, wr->len);
	}
	ib_lock(&dev->lock);
	if (dev->outstanding >= dev->queue_depth) {
		ib_unlock(&dev->lock);
		free(p->data);
		free(p);
		return -ENOMEM;
	}
	dev->outstanding++;
	ib_unlock(&dev->lock);
	pnm_devq_queue(dev->q, &p->work);
	return 0;
}

/* pnm_ib_poll_cq - take completions (pinmm/rdma.h). */
int pnm_ib_poll_cq(struct pnm_ib_device *dev, struct pnm_ib_wc *wc, int nr)
{
	struct ib_post *done = NULL, **tail = &done, *p;
	int n = 0;

	if (!dev || !wc || nr < 0)
		return -EINVAL;
	ib_lock(&dev->lock);
	while (n < nr && dev->cq_head) {
		p = dev->cq_head;
		dev->cq_head = p->cq_next;
		if (!dev->cq_head)
			dev->cq_tail = NULL;
		dev->outstanding--;
		wc[n++] = p->wc;
		*tail = p;
		tail = &p->cq_next;
	}
	*tail = NULL;
	ib_unlock(&dev->lock);
	while (done) {
		p = done;
		done = p->cq_next;
		free(p);
	}
	return n;
}

/* pnm_ib_drain - wait for the posted work (pinmm/rdma.h). */
void pnm_ib_drain(struct pnm_ib_device *dev)
{
	if (dev)
		pnm_devq_drain(dev->q);
}

/* --- queries and the checker --------------------------------------------- */

/* pnm_ib_device_get_info - what @dev did (pinmm/rdma.h). */
int pnm_ib_device_get_info(struct pnm_ib_device *dev, struct pnm_ib_device_info *info)
{
	struct pnm_ib_device_info s;
	size_t size;

	if (!dev || !info || info->size < IB_DEV_INFO_SIZE_0_2 || info->size > IB_STRUCT_SIZE_MAX)
		return -EINVAL;
	size = info->size;
	memset(&s, 0, sizeof(s));
	s.size = sizeof(s);
	snprintf(s.name, sizeof(s.name), "%s", dev->name);
	s.nr_threads = dev->nr_threads;
	s.queue_depth = dev->queue_depth;
	ib_lock(&dev->lock);
	s.pds = dev->nr_pds;
	s.mrs = dev->nr_mrs;
	s.outstanding = dev->outstanding;
	s.frozen = dev->frozen;
	ib_unlock(&dev->lock);
	s.queued = pnm_devq_queued(dev->q);
	s.remote_writes = atomic_load_explicit(&dev->remote_writes, memory_order_relaxed);
	s.remote_reads = atomic_load_explicit(&dev->remote_reads, memory_order_relaxed);
	s.remote_write_bytes = atomic_load_explicit(&dev->remote_write_bytes, memory_order_relaxed);
	s.remote_read_bytes = atomic_load_explicit(&dev->remote_read_bytes, memory_order_relaxed);
	s.access_errors = atomic_load_explicit(&dev->access_errors, memory_order_relaxed);
	s.refused_writes = atomic_load_explicit(&dev->refused_writes, memory_order_relaxed);
	s.refused_reads = atomic_load_explicit(&dev->refused_reads, memory_order_relaxed);
	s.regions_invalidated = atomic_load_explicit(&dev->regions_invalidated,
						     memory_order_relaxed);
	s.regions_revoked = atomic_load_explicit(&dev->regions_revoked, memory_order_relaxed);
	memcpy(info, &s, sizeof(s));
	memset((char *)info + sizeof(s), 0, size - sizeof(s));
	info->size = size;
	return 0;
}

/* pnm_ib_mr_foreach - each live region, oldest first (pinmm/rdma.h). */
void pnm_ib_mr_foreach(struct pnm_ib_device *dev, void (*fn)(struct pnm_ib_mr *mr, void *arg),
		       void *arg)
{
	struct pnm_ib_mr *mr;

	if (!dev || !fn)
		return;
	ib_lock(&dev->lock);
	for (mr = dev->mrs; mr; mr = mr->next)
		fn(mr, arg);
	ib_unlock(&dev->lock);
}

#define IB_BAD(...)	do { snprintf(why ? why : scratch, why ? size : sizeof(scratch), \
				      __VA_ARGS__); return -EUCLEAN; } while (0)

/* One region against its owner.  dev->lock held. */
static int ib_mr_check(struct pnm_ib_mr *mr, char *why, size_t size)
{
	struct pnm_vaddr_pin_info info = { .size = sizeof(info) };
	struct pnm_vaddr_pin_extent ext = { .size = sizeof(ext) };
	unsigned int state = ib_mr_state(mr);
	char scratch[8];
	unsigned long i;

	if (!mr->vp)
		IB_BAD("rdma: region %s (key 0x%x) is listed without an owner", mr->name, mr->key);
	if (pnm_vaddr_pin_get_info(mr->vp, &info))
		IB_BAD("rdma: region %s: its owner cannot be read", mr->name);
	if (state == PNM_IB_MR_INVALID) {
		if (mr->pinned || info.extents)
			IB_BAD("rdma: region %s is invalid but holds %lu extent(s)", mr->name,
			       info.extents);
		return 0;
	}
	if (state != PNM_IB_MR_VALID && state != PNM_IB_MR_REVOKED)
		IB_BAD("rdma: region %s has state %u", mr->name, state);
	if (state == PNM_IB_MR_REVOKED && !(info.state & PNM_VADDR_PIN_REVOKED))
		IB_BAD("rdma: region %s is revoked but its owner is not", mr->name);
	if (!mr->pinned || info.extents != 1 || info.pages != mr->npages)
		IB_BAD("rdma: region %s (%s) should hold one extent of %lu pages, its owner "
		       "holds %lu of %lu", mr->name, pnm_ib_mr_state_name(state), mr->npages,
		       info.extents, info.pages);
	if (pnm_vaddr_pin_extent_next(mr->vp, 0, &ext) || ext.start != mr->start ||
	    ext.pages != mr->npages)
		IB_BAD("rdma: region %s: its owner's extent is not 0x%lx+%lu pages", mr->name,
		       mr->start, mr->npages);
	/* In legacy mode a pin is a plain reference nothing can see. */
	for (i = 0; i < mr->npages && !pnm_get_config()->legacy_gup; i++)
		if (!folio_maybe_dma_pinned(page_folio(mr->pages[i])))
			IB_BAD("rdma: region %s: page %lu (pfn 0x%lx) is not pinned", mr->name, i,
			       page_to_pfn(mr->pages[i]));
	return 0;
}

/* pnm_ib_device_check - @dev's invariants (pinmm/rdma.h). */
int pnm_ib_device_check(struct pnm_ib_device *dev, char *why, size_t size)
{
	unsigned long nr_pds = 0, nr_mrs = 0, pd_mrs = 0, outstanding = 0;
	struct pnm_ib_mr *mr, *prev = NULL;
	struct ib_post *c;
	struct pnm_ib_pd *pd;
	char scratch[8];
	int err = 0;

	if (!dev)
		return -EINVAL;
	ib_lock(&dev->lock);
	for (pd = dev->pds; pd; pd = pd->next) {
		nr_pds++;
		pd_mrs += pd->nr_mrs;
	}
	for (mr = dev->mrs; mr && !err; prev = mr, mr = mr->next) {
		nr_mrs++;
		if (mr->prev != prev) {
			snprintf(why ? why : scratch, why ? size : sizeof(scratch),
				 "rdma: %s: region list links broken at %s", dev->name, mr->name);
			err = -EUCLEAN;
		} else if (prev && prev->key >= mr->key) {
			snprintf(why ? why : scratch, why ? size : sizeof(scratch),
				 "rdma: %s: keys 0x%x and 0x%x out of order", dev->name, prev->key,
				 mr->key);
			err = -EUCLEAN;
		} else if (!mr->pd || mr->dev != dev) {
			snprintf(why ? why : scratch, why ? size : sizeof(scratch),
				 "rdma: %s: region %s without its PD or device", dev->name,
				 mr->name);
			err = -EUCLEAN;
		} else {
			err = ib_mr_check(mr, why, size);
		}
	}
	for (c = dev->cq_head; c; c = c->cq_next)
		outstanding++;
	if (!err && (nr_pds != dev->nr_pds || nr_mrs != dev->nr_mrs || pd_mrs != nr_mrs ||
		     prev != dev->mrs_tail)) {
		snprintf(why ? why : scratch, why ? size : sizeof(scratch),
			 "rdma: %s: counts %lu PDs %lu regions, lists %lu PDs %lu regions "
			 "(%lu by PD)", dev->name, dev->nr_pds, dev->nr_mrs, nr_pds, nr_mrs,
			 pd_mrs);
		err = -EUCLEAN;
	}
	/* Completions waiting are outstanding; so is work not yet done. */
	if (!err && outstanding > dev->outstanding) {
		snprintf(why ? why : scratch, why ? size : sizeof(scratch),
			 "rdma: %s: %lu completions queued, %lu outstanding", dev->name,
			 outstanding, dev->outstanding);
		err = -EUCLEAN;
	}
	ib_unlock(&dev->lock);
	return err;
}
