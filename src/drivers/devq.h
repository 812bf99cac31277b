/* SPDX-License-Identifier: MIT */
/*
 * devq.h - a device's work queue and the host threads that run it, shared
 * by the call sites under src/drivers/ (not installed, not exported).
 *
 * A call site's "device" (a disk controller doing Direct IO, an RDMA NIC)
 * works asynchronously from the processes that submit to it: a submitter
 * queues a work item and returns; one of the queue's threads runs the
 * item later (the transfer, then the completion: unpinning, waking the
 * waiter).  This is what Linux gets from a block device's hardware queue
 * plus its completion interrupt, or from a workqueue; the model uses
 * plain host threads, which act as the device's engines.
 *
 * Device threads run no task: pnm_current_task() is NULL in them, so they
 * reach memory only through what the submitter pinned (pnm_dma_*() on a
 * page array, an owner's pnm_vaddr_pin_dma_*()), as hardware does.
 *
 * Freezing (pnm_devq_freeze) is the model's switch for deterministic
 * stories: items queued while frozen wait, with whatever they pinned,
 * until pnm_devq_thaw(); a scenario can fork or write back "while the
 * device works".  Items already running finish.
 *
 * Locking: q->lock is a leaf (no model lock is taken under it, and an
 * item's function runs without it).  Every call may be made from any
 * thread except that pnm_devq_destroy() must not race with any other use,
 * and no call may be made from inside an item of the same queue except
 * pnm_devq_queue() (an item may queue follow-up work).
 */
#ifndef PINMM_DRIVERS_DEVQ_H
#define PINMM_DRIVERS_DEVQ_H

#include <stdbool.h>

#define PNM_DEVQ_MAX_THREADS	64

struct pnm_devq;

/* One unit of device work, embedded in the call site's own request. */
struct pnm_devq_work {
	struct pnm_devq_work *next;	/* queue link; protected by q->lock */
	void (*fn)(struct pnm_devq_work *work);
};

/*
 * Create a queue named @name (for thread names and messages) with
 * @nr_threads device threads.  0 with *@qp set, -EINVAL (@nr_threads 0 or
 * above PNM_DEVQ_MAX_THREADS, NULL arguments), -ENOMEM, or -EAGAIN (a
 * thread could not be started; nothing is left behind).
 */
int pnm_devq_create(const char *name, unsigned int nr_threads, struct pnm_devq **qp);

/*
 * Thaw @q, run every item still queued, wait for them, stop the threads
 * and free the queue.  NULL is accepted.  Must not race with any other
 * call on @q, and must run before pnm_fini()/pnm_teardown() when items
 * hold pins.
 */
void pnm_devq_destroy(struct pnm_devq *q);

/*
 * Queue @work (its fn set) for one of @q's threads, behind everything
 * queued before it (FIFO; with more than one thread, items run
 * concurrently and may finish in any order).  Never fails and never
 * blocks on the device.  @work must stay valid until its fn has started;
 * it must not be queued again before then.
 */
void pnm_devq_queue(struct pnm_devq *q, struct pnm_devq_work *work);

/*
 * pnm_devq_freeze: from now on no queued item starts (running ones
 * finish).  pnm_devq_thaw: let them start again.  Nesting is not counted:
 * one thaw undoes any number of freezes.
 */
void pnm_devq_freeze(struct pnm_devq *q);
void pnm_devq_thaw(struct pnm_devq *q);
bool pnm_devq_frozen(struct pnm_devq *q);

/*
 * Wait until no item of @q runs and, unless @q is frozen, none is queued
 * (with the queue frozen, queued items stay where they are).  Items queued
 * by other threads meanwhile are waited for too.
 */
void pnm_devq_drain(struct pnm_devq *q);

/* Items queued and not started, and items running, right now. */
unsigned long pnm_devq_queued(struct pnm_devq *q);
unsigned long pnm_devq_running(struct pnm_devq *q);

#endif /* PINMM_DRIVERS_DEVQ_H */
