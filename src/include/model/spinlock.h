/* SPDX-License-Identifier: MIT */
/*
 * spinlock.h - the kernel's lock types built on POSIX threads.
 *
 * Host threads act as CPUs, so the model needs real locks.  Each kernel lock
 * type maps onto a pthread primitive ThreadSanitizer understands:
 *
 *   spinlock_t           pthread mutex (short critical sections, no sleeping
 *                        allowed by convention, as in Linux)
 *   struct mutex         pthread mutex
 *   struct rw_semaphore  pthread rwlock (mmap_lock)
 *   seqcount_t           a counter written under the writer's own lock and
 *                        read locklessly (odd = write in progress)
 *
 * Every lock records its holder so that lockdep_assert_held() can check the
 * "must be called with X held" contracts written above functions.  A failing
 * pthread call is not recoverable and goes to pnm_die().
 */
#ifndef PNM_MODEL_SPINLOCK_H
#define PNM_MODEL_SPINLOCK_H

#include <pthread.h>
#include <model/atomic.h>

/* Report "file:func:line: what: strerror(err)" through pnm_fatal() (the
 * embedder's fatal hook, else stderr) and abort. */
void pnm_die(const char *file, const char *func, int line, const char *what,
	     int err) __attribute__((noreturn));
#define PNM_DIE(what, err) pnm_die(__FILE__, __func__, __LINE__, (what), (err))

/* A small non-zero number naming the calling host thread (never reused). */
unsigned long pnm_thread_id(void);

typedef struct {
	pthread_mutex_t m;
	unsigned long owner;		/* pnm_thread_id() of holder; relaxed */
} spinlock_t;

static inline void spin_lock_init(spinlock_t *l)
{
	int err = pthread_mutex_init(&l->m, NULL);

	if (err)
		PNM_DIE("pthread_mutex_init", err);
	l->owner = 0;
}
static inline void spin_lock_destroy(spinlock_t *l) { pthread_mutex_destroy(&l->m); }
static inline void spin_lock(spinlock_t *l)
{
	int err = pthread_mutex_lock(&l->m);

	if (err)
		PNM_DIE("pthread_mutex_lock", err);
	WRITE_ONCE(l->owner, pnm_thread_id());
}
static inline bool spin_trylock(spinlock_t *l)
{
	if (pthread_mutex_trylock(&l->m))
		return false;
	WRITE_ONCE(l->owner, pnm_thread_id());
	return true;
}
static inline void spin_unlock(spinlock_t *l)
{
	WRITE_ONCE(l->owner, 0);
	pthread_mutex_unlock(&l->m);
}
/* True if the calling thread holds @l.  For assertions only. */
static inline bool spin_is_held(spinlock_t *l)
{ return READ_ONCE(l->owner) == pnm_thread_id(); }

struct mutex { spinlock_t s; };
static inline void mutex_init(struct mutex *m) { spin_lock_init(&m->s); }
static inline void mutex_destroy(struct mutex *m) { spin_lock_destroy(&m->s); }
static inline void mutex_lock(struct mutex *m) { spin_lock(&m->s); }
static inline bool mutex_trylock(struct mutex *m) { return spin_trylock(&m->s); }
static inline void mutex_unlock(struct mutex *m) { spin_unlock(&m->s); }
static inline bool mutex_is_held(struct mutex *m) { return spin_is_held(&m->s); }

struct rw_semaphore {
	pthread_rwlock_t rw;
	unsigned long writer;		/* pnm_thread_id() of writer; relaxed */
	atomic_t readers;		/* number of read holders */
};

void init_rwsem(struct rw_semaphore *s);
void rwsem_destroy(struct rw_semaphore *s);
void down_read(struct rw_semaphore *s);
bool down_read_trylock(struct rw_semaphore *s);
void up_read(struct rw_semaphore *s);
void down_write(struct rw_semaphore *s);
bool down_write_trylock(struct rw_semaphore *s);
void up_write(struct rw_semaphore *s);
/* Downgrade a held write lock to a read lock (not atomic in this model). */
void downgrade_write(struct rw_semaphore *s);
static inline bool rwsem_is_write_held(struct rw_semaphore *s)
{ return READ_ONCE(s->writer) == pnm_thread_id(); }
/* Read- or write-held by *someone*; used in assertions only. */
static inline bool rwsem_is_locked(struct rw_semaphore *s)
{ return atomic_read(&s->readers) > 0 || READ_ONCE(s->writer) != 0; }

/*
 * seqcount_t: writers (serialised by their own lock) make the count odd for
 * the duration of an update; lockless readers sample it and retry or back
 * off if it was odd or changed.  write_begin/end are release-ordered so a
 * reader that sees the final even value sees the update; read_begin is an
 * acquire.  See gup_fast.c and fork.c for the pairing they document.
 */
typedef struct { unsigned int sequence; } seqcount_t;

static inline void seqcount_init(seqcount_t *s) { s->sequence = 0; }
static inline unsigned int raw_read_seqcount(const seqcount_t *s)
{ return __atomic_load_n(&s->sequence, __ATOMIC_ACQUIRE); }
static inline bool read_seqcount_retry(const seqcount_t *s, unsigned int start)
{
	/* Full barrier (smp_mb(), atomic.h): order the reader's preceding
	 * accesses before the re-check; pairs with the writer's seq_cst
	 * raw_write_seqcount_begin(). */
	smp_mb();
	return __atomic_load_n(&s->sequence, __ATOMIC_ACQUIRE) != start;
}
static inline void raw_write_seqcount_begin(seqcount_t *s)
{
	/* seq_cst RMW: the odd value is visible before any following store. */
	__atomic_add_fetch(&s->sequence, 1, __ATOMIC_SEQ_CST);
}
static inline void raw_write_seqcount_end(seqcount_t *s)
{
	/* Release: the writer's stores are visible before the even value. */
	__atomic_add_fetch(&s->sequence, 1, __ATOMIC_RELEASE);
}

/* Assertion that a lock is held by the caller; no-op in release builds. */
#ifdef NDEBUG
#define lockdep_assert_held(l)		((void)(l))
#define lockdep_assert_held_write(s)	((void)(s))
#define lockdep_assert_held_rwsem(s)	((void)(s))
#else
#define lockdep_assert_held(l) \
	do { if (!spin_is_held(l)) PNM_DIE("lock not held: " #l, 0); } while (0)
#define lockdep_assert_held_write(s) \
	do { if (!rwsem_is_write_held(s)) PNM_DIE("rwsem not write-held: " #s, 0); } while (0)
#define lockdep_assert_held_rwsem(s) \
	do { if (!rwsem_is_locked(s)) PNM_DIE("rwsem not held: " #s, 0); } while (0)
#endif

#endif /* PNM_MODEL_SPINLOCK_H */
