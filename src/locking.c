// SPDX-License-Identifier: MIT
/*
 * locking.c - the out-of-line parts of the lock layer (spinlock.h).
 *
 * The model's host threads play the part of CPUs, so the kernel's lock
 * types are real pthread primitives.  spinlock_t and struct mutex are
 * inline wrappers around a pthread mutex; what lives here is the
 * rw_semaphore (mmap_lock, invalidate_lock) on top of pthread_rwlock, the
 * thread identity used by the "is this lock held by me" assertions, the
 * fatal-error exit every unrecoverable host failure goes to, and the
 * once-per-site warning used by VM_WARN_ON_ONCE().
 *
 * rw_semaphore bookkeeping: besides the pthread lock itself each rwsem
 * records who holds it, for lockdep_assert_held_write() and
 * lockdep_assert_held_rwsem():
 *
 *   writer   pnm_thread_id() of the write holder, 0 when not write-held.
 *            Stored right after the write lock is acquired and cleared right
 *            before it is released, so only the holder ever writes it; other
 *            threads read it with READ_ONCE() (assertions and debugging only).
 *   readers  number of read holders, an atomic counter incremented after
 *            the read lock is acquired and decremented before release.
 *
 * The pthread rwlock is created writer-preferring, like the kernel's
 * rwsem: once a writer queues, new readers wait behind it.  This keeps
 * mmap_lock writers (munmap, fork) from being starved by a stream of
 * faults, and it makes recursive read locking deadlock exactly where it
 * would deadlock in Linux, which is the point of modelling it.
 */
#define _GNU_SOURCE		/* pthread_rwlockattr_setkind_np() */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/*
 * Report where an unrecoverable failure happened and abort (pnm_fatal():
 * the embedder's fatal hook, else stderr).
 *
 * @what names the failed operation or the violated assertion; @err, if
 * non-zero, is a positive errno (a pthread return value) that is printed
 * with its description.  Never returns; safe to call with any lock held.
 */
void pnm_die(const char *file, const char *func, int line, const char *what,
	     int err)
{
	if (err)
		pnm_fatal("pinmm: %s:%s:%d: %s: %s", file, func, line, what, strerror(err));
	pnm_fatal("pinmm: %s:%s:%d: %s", file, func, line, what);
}

/* Next thread id to hand out; ids start at 1 so that 0 means "nobody". */
static atomic_long_t next_thread_id = { 1 };
static _Thread_local unsigned long this_thread_id;

/*
 * A small non-zero number naming the calling host thread.  Assigned on the
 * thread's first call from a global counter and never reused, so a lock's
 * recorded owner can never be mistaken for a later thread.  Lock free.
 */
unsigned long pnm_thread_id(void)
{
	unsigned long id = this_thread_id;

	if (unlikely(!id)) {
		/* Only uniqueness matters: a relaxed RMW would do, the
		 * value-returning form is simply the one atomic.h offers. */
		id = (unsigned long)atomic_long_add_return(1, &next_thread_id) - 1;
		this_thread_id = id;
	}
	return id;
}

/* --- rw_semaphore --------------------------------------------------------- */

/*
 * Initialise @s unlocked.  Pair with rwsem_destroy().  A pthread failure
 * (out of host resources) is fatal.
 */
void init_rwsem(struct rw_semaphore *s)
{
	pthread_rwlockattr_t attr;
	int err;

	err = pthread_rwlockattr_init(&attr);
	if (err)
		PNM_DIE("pthread_rwlockattr_init", err);
	err = pthread_rwlockattr_setkind_np(&attr,
				PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	if (err)
		PNM_DIE("pthread_rwlockattr_setkind_np", err);
	err = pthread_rwlock_init(&s->rw, &attr);
	if (err)
		PNM_DIE("pthread_rwlock_init", err);
	pthread_rwlockattr_destroy(&attr);
	s->writer = 0;
	atomic_set(&s->readers, 0);
}

/*
 * Destroy an unlocked rw_semaphore.  Destroying a held one is a caller bug
 * and is fatal.
 */
void rwsem_destroy(struct rw_semaphore *s)
{
	int err;

	if (READ_ONCE(s->writer) || atomic_read(&s->readers))
		PNM_DIE("rwsem_destroy of a held rwsem", 0);
	err = pthread_rwlock_destroy(&s->rw);
	if (err)
		PNM_DIE("pthread_rwlock_destroy", err);
}

/*
 * Take @s for read, sleeping while a writer holds it or waits for it.
 * The caller must not already hold it (in either mode).
 */
void down_read(struct rw_semaphore *s)
{
	int err = pthread_rwlock_rdlock(&s->rw);

	if (err)
		PNM_DIE("pthread_rwlock_rdlock", err);
	atomic_inc(&s->readers);
}

/*
 * Try to take @s for read without sleeping.  Returns true if it was taken.
 * Fails when a writer holds it or (writer preference) is queued for it.
 */
bool down_read_trylock(struct rw_semaphore *s)
{
	int err = pthread_rwlock_tryrdlock(&s->rw);

	if (err == EBUSY || err == EAGAIN)
		return false;
	if (err)
		PNM_DIE("pthread_rwlock_tryrdlock", err);
	atomic_inc(&s->readers);
	return true;
}

/* Release a read hold taken by down_read()/down_read_trylock(). */
void up_read(struct rw_semaphore *s)
{
	int err;

	if (unlikely(atomic_read(&s->readers) <= 0))
		PNM_DIE("up_read of an rwsem not read-held", 0);
	atomic_dec(&s->readers);
	err = pthread_rwlock_unlock(&s->rw);
	if (err)
		PNM_DIE("pthread_rwlock_unlock", err);
}

/* Take @s for write, sleeping until every holder has released it. */
void down_write(struct rw_semaphore *s)
{
	int err = pthread_rwlock_wrlock(&s->rw);

	if (err)
		PNM_DIE("pthread_rwlock_wrlock", err);
	WRITE_ONCE(s->writer, pnm_thread_id());
}

/* Try to take @s for write without sleeping; true if it was taken. */
bool down_write_trylock(struct rw_semaphore *s)
{
	int err = pthread_rwlock_trywrlock(&s->rw);

	if (err == EBUSY)
		return false;
	if (err)
		PNM_DIE("pthread_rwlock_trywrlock", err);
	WRITE_ONCE(s->writer, pnm_thread_id());
	return true;
}

/* Release a write hold.  Fatal if the caller is not the writer. */
void up_write(struct rw_semaphore *s)
{
	int err;

	if (unlikely(READ_ONCE(s->writer) != pnm_thread_id()))
		PNM_DIE("up_write by a thread that is not the writer", 0);
	WRITE_ONCE(s->writer, 0);
	err = pthread_rwlock_unlock(&s->rw);
	if (err)
		PNM_DIE("pthread_rwlock_unlock", err);
}

/*
 * Turn the caller's write hold into a read hold.  pthread has no atomic
 * downgrade, so the model releases and re-acquires: another writer may run
 * in between.  Callers must therefore revalidate anything they looked up
 * under the write lock, which no current caller needs to do.
 */
void downgrade_write(struct rw_semaphore *s)
{
	up_write(s);
	down_read(s);
}

/* --- warnings ------------------------------------------------------------- */

atomic_long_t pnm_nr_warnings;

/*
 * Call sites that have already printed.  A site is (file, line); the table
 * is small and searched linearly, which is fine for warnings.  Protected by
 * warn_lock.  When it is full, further new sites still count but print
 * every time.
 */
#define WARN_SITES	64
static struct { const char *file; int line; } warned[WARN_SITES];
static int nr_warned;
static pthread_mutex_t warn_lock = PTHREAD_MUTEX_INITIALIZER;

/*
 * VM_WARN_ON_ONCE() backend.  If @cond is true, counts the warning in
 * pnm_nr_warnings and, the first time a given file:line fires, logs
 * "@what" with its location (pnm_log(), PNM_LOG_WARN).  Returns @cond so
 * that it can be used in an if ().  Never fails; takes an internal mutex only when @cond.
 */
bool pnm_warn_on_once(bool cond, const char *what, const char *file, int line)
{
	bool print = true;
	int i;

	if (likely(!cond))
		return false;
	atomic_long_inc(&pnm_nr_warnings);
	pthread_mutex_lock(&warn_lock);
	for (i = 0; i < nr_warned; i++) {
		if (warned[i].line == line && strcmp(warned[i].file, file) == 0) {
			print = false;
			break;
		}
	}
	if (print && nr_warned < WARN_SITES) {
		warned[nr_warned].file = file;
		warned[nr_warned].line = line;
		nr_warned++;
	}
	pthread_mutex_unlock(&warn_lock);
	if (print)
		pnm_log(PNM_LOG_WARN, "pinmm: WARNING at %s:%d: %s", file, line, what);
	return true;
}

#ifdef __SANITIZE_THREAD__
/* The word smp_mb() updates in ThreadSanitizer builds (atomic.h). */
unsigned long pnm_tsan_fence_word;
#endif
