// SPDX-License-Identifier: MIT
/*
 * devq.c - a device's work queue and its threads (devq.h has the
 * contract).
 *
 * The queue is a singly linked FIFO under q->lock; idle threads sleep on
 * q->work_cv, drainers on q->idle_cv.  An item is unlinked, counted in
 * q->running, and run with the lock dropped; when the last running item
 * finishes and nothing runnable is left, drainers are woken.
 *
 * Lock order: q->lock is a leaf.  Item functions run without it and may
 * take any model lock (and queue more work).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "devq.h"

struct pnm_devq {
	pthread_mutex_t lock;		/* a leaf; protects everything below */
	pthread_cond_t work_cv;		/* threads: an item is runnable, or stop */
	pthread_cond_t idle_cv;		/* drainers: running fell, or nothing runnable */
	struct pnm_devq_work *head, *tail;	/* queued, oldest first */
	unsigned long queued;		/* items on the list */
	unsigned long running;		/* items whose fn is running */
	bool frozen;			/* queued items may not start */
	bool stopping;			/* destroy: threads exit once the list is empty */
	unsigned int nr_threads;
	pthread_t threads[PNM_DEVQ_MAX_THREADS];
	char name[32];
};

static void devq_lock(struct pnm_devq *q)
{
	if (pthread_mutex_lock(&q->lock))
		abort();
}

static void devq_unlock(struct pnm_devq *q)
{
	if (pthread_mutex_unlock(&q->lock))
		abort();
}

/* Can a thread start an item now?  Under q->lock. */
static bool runnable(const struct pnm_devq *q)
{
	return q->head && !q->frozen;
}

/* Is the queue idle for a drainer?  Under q->lock. */
static bool drained(const struct pnm_devq *q)
{
	return !q->running && !runnable(q);
}

static void *devq_thread(void *arg)
{
	struct pnm_devq *q = arg;

	devq_lock(q);
	for (;;) {
		struct pnm_devq_work *w;

		while (!runnable(q) && !(q->stopping && !q->head))
			pthread_cond_wait(&q->work_cv, &q->lock);
		if (!q->head)		/* stopping, and nothing left */
			break;
		w = q->head;
		q->head = w->next;
		if (!q->head)
			q->tail = NULL;
		q->queued--;
		q->running++;
		devq_unlock(q);
		/* The item may free @w (it is the caller's request). */
		w->fn(w);
		devq_lock(q);
		q->running--;
		if (drained(q))
			pthread_cond_broadcast(&q->idle_cv);
	}
	devq_unlock(q);
	return NULL;
}

/*
 * pnm_devq_create - a queue with @nr_threads device threads; see devq.h.
 * The threads are started last, so a failure frees everything.
 */
int pnm_devq_create(const char *name, unsigned int nr_threads, struct pnm_devq **qp)
{
	struct pnm_devq *q;

	if (!name || !qp || !nr_threads || nr_threads > PNM_DEVQ_MAX_THREADS)
		return -EINVAL;
	q = calloc(1, sizeof(*q));
	if (!q)
		return -ENOMEM;
	snprintf(q->name, sizeof(q->name), "%s", name);
	if (pthread_mutex_init(&q->lock, NULL) || pthread_cond_init(&q->work_cv, NULL) ||
	    pthread_cond_init(&q->idle_cv, NULL))
		abort();
	for (unsigned int i = 0; i < nr_threads; i++) {
		if (pthread_create(&q->threads[i], NULL, devq_thread, q)) {
			q->nr_threads = i;
			pnm_devq_destroy(q);
			return -EAGAIN;
		}
		/* A name for debuggers; at most 15 characters, failure harmless. */
		{
			char tname[16];

			snprintf(tname, sizeof(tname), "%.10s/%u", q->name, i);
			pthread_setname_np(q->threads[i], tname);
		}
	}
	q->nr_threads = nr_threads;
	*qp = q;
	return 0;
}

/* pnm_devq_destroy - run what is queued, stop the threads, free; see devq.h. */
void pnm_devq_destroy(struct pnm_devq *q)
{
	if (!q)
		return;
	devq_lock(q);
	q->frozen = false;
	q->stopping = true;
	pthread_cond_broadcast(&q->work_cv);
	devq_unlock(q);
	for (unsigned int i = 0; i < q->nr_threads; i++)
		if (pthread_join(q->threads[i], NULL))
			abort();
	pthread_cond_destroy(&q->idle_cv);
	pthread_cond_destroy(&q->work_cv);
	pthread_mutex_destroy(&q->lock);
	free(q);
}

/* pnm_devq_queue - append @work; see devq.h. */
void pnm_devq_queue(struct pnm_devq *q, struct pnm_devq_work *work)
{
	work->next = NULL;
	devq_lock(q);
	if (q->tail)
		q->tail->next = work;
	else
		q->head = work;
	q->tail = work;
	q->queued++;
	if (!q->frozen)
		pthread_cond_signal(&q->work_cv);
	devq_unlock(q);
}

/* pnm_devq_freeze - hold queued items back; see devq.h. */
void pnm_devq_freeze(struct pnm_devq *q)
{
	devq_lock(q);
	q->frozen = true;
	/* A drainer waiting for the queued items is done waiting for them. */
	if (drained(q))
		pthread_cond_broadcast(&q->idle_cv);
	devq_unlock(q);
}

/* pnm_devq_thaw - let queued items start; see devq.h. */
void pnm_devq_thaw(struct pnm_devq *q)
{
	devq_lock(q);
	q->frozen = false;
	if (q->head)
		pthread_cond_broadcast(&q->work_cv);
	devq_unlock(q);
}

/* pnm_devq_frozen - is @q frozen now; see devq.h. */
bool pnm_devq_frozen(struct pnm_devq *q)
{
	bool ret;

	devq_lock(q);
	ret = q->frozen;
	devq_unlock(q);
	return ret;
}

/* pnm_devq_drain - wait for the running and the runnable items; see devq.h. */
void pnm_devq_drain(struct pnm_devq *q)
{
	devq_lock(q);
	while (!drained(q))
		pthread_cond_wait(&q->idle_cv, &q->lock);
	devq_unlock(q);
}

/* pnm_devq_queued - items queued and not started; see devq.h. */
unsigned long pnm_devq_queued(struct pnm_devq *q)
{
	unsigned long n;

	devq_lock(q);
	n = q->queued;
	devq_unlock(q);
	return n;
}

/* pnm_devq_running - items running; see devq.h. */
unsigned long pnm_devq_running(struct pnm_devq *q)
{
	unsigned long n;

	devq_lock(q);
	n = q->running;
	devq_unlock(q);
	return n;
}
