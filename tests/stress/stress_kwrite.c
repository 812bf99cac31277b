// SPDX-License-Identifier: MIT
/*
 * stress_kwrite.c - the writer to page data under a pin (pinmm/kwrite.h,
 * case 5: pin_user_pages_remote(FOLL_WRITE), write through the pages,
 * set_page_dirty_lock(), unpin) racing with writeback, truncation,
 * reclaim, fork, munmap, mprotect and migration, under both writeback
 * policies (PNM_WB_STABLE: a pinned page is written from a bounce copy
 * and stays dirty; PNM_WB_LINUX: it is written in place and cleaned, and
 * only the final dirtying gets the data to the disk).
 *
 * Process P maps a disk file F of NR_FPAGES pages MAP_SHARED and an
 * anonymous region A of NR_APAGES pages; process Q maps F too.  F's first
 * NR_HEAD pages are never truncated, the rest (the tail) are.  Every page
 * has one 8-byte slot per writer, at 64 * writer:
 *
 *   kwriters (2)  pnm_kwrite_begin() over 1-4 pages of F (through P or Q)
 *                 or of A, one pnm_kwrite_copy() into its slot of each
 *                 page (sometimes an fsync between begin and the copies:
 *                 writeback of a page being written), pnm_kwrite_end(),
 *                 then read the slots back through P; or pnm_kwrite() of
 *                 one slot;
 *   CPU writer    pnm_user_write()/pnm_user_read() of its slots through P;
 *   storm         fork P (the child checks what it sees of A and writes
 *                 its own slot of A: never P's), write-protect part of A
 *                 and Q's view of F for a moment, unmap Q's view and map
 *                 it again, migrate, compact;
 *   syncer        fsync, sync, writeback passes (flusher and integrity),
 *                 reclaim of clean cache pages (a page whose dirtying was
 *                 lost is dropped with the new data);
 *   truncator     F shrinks into the tail (cut at any 32-byte boundary:
 *                 partial pages too) and grows back, each cut logged;
 *                 every other time F stays short while the kwriters do a
 *                 write, the truncator stores into its own slot of the
 *                 page holding EOF, beyond EOF, and writes F back short:
 *                 that store is not file data, so its slot must read zero
 *                 then and after F grows (the disk agreeing).
 *
 * The kwriters have a quota of writes per round; every other thread is
 * paced by their progress (its i-th operation waits, on a condition
 * variable, for a number of writes proportional to i) and stops when they
 * are done, so the helpers' operations are spread over the whole round.
 *
 * The oracle: each writer keeps, for each of its slots, the values the
 * slot may hold (a set).  A write that succeeded sets it to the value
 * written; a write raced by a truncate of the tail (a generation number,
 * odd while F is short, is read before and after) may also have been cut:
 * zero too.  A write may fail only inside the windows of the changes that
 * make it fail (Q unmapped or read-only, A read-only, F short).  After
 * each round the threads join and, in the quiet model: the logged cuts
 * made after a slot's last write zero it; every slot, read through P, is
 * in its set, and Q reads what P reads; after fsync the host file holds
 * exactly those bytes (the kernel's data reached the disk unless
 * truncated) and zero in the truncator's slots; no pin is left, no reference beyond the mappings and the
 * cache (stress_refs.h), no page was dirtied behind the filesystem's back
 * or lost in writeback; the invariants hold before and after.
 *
 *   stress_kwrite [seed [writes-per-writer-per-round [rounds]]]
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <sys/mman.h>

#include "test_util.h"
#include "rcu.h"
#include "stress_refs.h"
#include <pinmm/kwrite.h>
#include <pinmm/stat.h>

#define PG		PNM_PAGE_SIZE
#define RW		(PROT_READ | PROT_WRITE)
#define NR_FPAGES	24
#define NR_HEAD		12		/* F's pages [0, NR_HEAD) are never cut */
#define NR_APAGES	16
#define NR_KWRITERS	2
#define CPU_ID		NR_KWRITERS	/* the CPU writer's slot */
#define CHILD_ID	(NR_KWRITERS + 1)	/* fork children's slot of A */
#define TRUNC_ID	(NR_KWRITERS + 1)	/* the truncator's slot of F */
#define NR_SLOTS	(NR_KWRITERS + 1)	/* slots with an oracle */
#define SLOT_OFF(id)	(64UL * (unsigned long)(id))
#define MAX_SPAN	4		/* pages per kwrite */
#define CPU_PER_WRITE	2		/* CPU writer operations per kernel write */
#define WRITES_PER_HELPER 6		/* kernel writes per helper operation */

enum { R_F, R_A, NR_REGIONS };
static const unsigned long region_pages[NR_REGIONS] = { NR_FPAGES, NR_APAGES };

/* Windows: changes during which a write may fail or be cut. */
enum { W_TRUNC, W_QMAP, W_QPROT, W_APROT, NR_WINDOWS };

#ifdef PNM_TSAN
#define DEFAULT_OPS	300
#else
#define DEFAULT_OPS	1200
#endif

static uint64_t opt_seed = 0x6b7772;
static unsigned long opt_ops = DEFAULT_OPS;
static unsigned long opt_rounds = 3;

/* The values a slot may hold, and the truncate generation read after the
 * last write to it.  Written by the slot's writer only; read and reset by
 * the main thread between rounds. */
struct slot {
	uint64_t may[3];
	int n;
	unsigned long trunc_gen;
};

struct cut {
	unsigned long gen;		/* the odd generation of its window */
	int64_t size;			/* F's size while short */
};

struct stress {
	struct task_struct *p, *q;
	struct file *f;
	unsigned long base[NR_REGIONS];		/* P's addresses */
	unsigned long q_f;			/* Q's view of F */
	struct slot slot[NR_SLOTS][NR_REGIONS][NR_FPAGES];
	unsigned long window[NR_WINDOWS];	/* generations; __atomic */
	struct cut *cuts;			/* the truncator's log */
	size_t nr_cuts, cuts_size;
	/* The pace: kernel writes done this round, and kwriters still
	 * running; the other threads wait on @pace_cond for their turn. */
	pthread_mutex_t pace_lock;
	pthread_cond_t pace_cond;
	unsigned long pace_done;		/* pace_lock */
	int kwriters_left;			/* pace_lock */
	int failures;				/* __atomic */
	char what[256];
	long writes, write_fails, spans, cpu_writes, forks, storms, syncs, truncs;	/* __atomic */
};

struct worker {
	struct stress *s;
	int id;
	uint64_t seed;
	uint64_t seq;
};

static __printf(2, 3) void record_failure(struct stress *s, const char *fmt, ...)
{
	va_list ap;

	if (__atomic_add_fetch(&s->failures, 1, __ATOMIC_SEQ_CST) != 1)
		return;
	va_start(ap, fmt);
	vsnprintf(s->what, sizeof(s->what), fmt, ap);
	va_end(ap);
}

static void count(long *c, long n)
{
	__atomic_add_fetch(c, n, __ATOMIC_RELAXED);
}

/*
 * The pace.  The kwriters have a quota of writes per round; every other
 * thread's i-th operation waits until the kwriters have done @need
 * writes between them, and the thread stops when they are done (false).
 * So each thread's operations are spread over the whole round whatever
 * the scheduling, and the round's length is the kwriters'.  Waiting is on
 * a condition variable (no sleeps, no timeouts).
 */
static bool pace_wait(struct stress *s, unsigned long need)
{
	bool go;

	pthread_mutex_lock(&s->pace_lock);
	while (s->kwriters_left && s->pace_done < need)
		pthread_cond_wait(&s->pace_cond, &s->pace_lock);
	go = s->kwriters_left > 0;
	pthread_mutex_unlock(&s->pace_lock);
	return go;
}

/* Kernel writes done so far this round. */
static unsigned long pace_now(struct stress *s)
{
	unsigned long n;

	pthread_mutex_lock(&s->pace_lock);
	n = s->pace_done;
	pthread_mutex_unlock(&s->pace_lock);
	return n;
}

/* A kwriter finished a write (@done: and its quota). */
static void pace_tick(struct stress *s, bool done)
{
	pthread_mutex_lock(&s->pace_lock);
	s->pace_done++;
	if (done)
		s->kwriters_left--;
	pthread_cond_broadcast(&s->pace_cond);
	pthread_mutex_unlock(&s->pace_lock);
}

/* Windows, sequentially consistent: a write that saw a change made inside
 * a window reads, afterwards, a generation past the window's opening. */
static void window_step(struct stress *s, int w)
{
	__atomic_add_fetch(&s->window[w], 1, __ATOMIC_SEQ_CST);
}

struct windows {
	unsigned long g[NR_WINDOWS];
};

static void windows_read(struct stress *s, struct windows *w)
{
	for (int i = 0; i < NR_WINDOWS; i++)
		w->g[i] = __atomic_load_n(&s->window[i], __ATOMIC_SEQ_CST);
}

static bool crossed(const struct windows *a, const struct windows *b, int w)
{
	return a->g[w] != b->g[w] || (a->g[w] & 1);
}

/* A value only writer @id can have written to page @page of region @r:
 * never zero, tagged with the slot. */
static uint64_t make_value(struct worker *w, int id, int r, unsigned long page)
{
	return (++w->seq << 24) | ((uint64_t)id << 20) | ((uint64_t)r << 16) | page;
}

static bool tagged_for(uint64_t v, int id, int r, unsigned long page)
{
	return !v || (v & 0xffffff) == (((uint64_t)id << 20) | ((uint64_t)r << 16) | page);
}

static bool in_tail(int r, unsigned long page)
{
	return r == R_F && page >= NR_HEAD;
}

static bool slot_may(const struct slot *sl, uint64_t v)
{
	for (int i = 0; i < sl->n; i++)
		if (sl->may[i] == v)
			return true;
	return false;
}

static void slot_add(struct slot *sl, uint64_t v)
{
	if (!slot_may(sl, v) && sl->n < 3)
		sl->may[sl->n++] = v;
}

static void slot_set(struct slot *sl, uint64_t v)
{
	sl->may[0] = v;
	sl->n = 1;
}

/*
 * Record the outcome of a write of @v (@ok: it happened) to the slot,
 * with the windows @a before and @b after it.  A truncate that raced with
 * it may have cut the slot: zero is possible too.
 */
static void slot_written(struct stress *s, int id, int r, unsigned long page, uint64_t v,
			 bool ok, const struct windows *a, const struct windows *b)
{
	struct slot *sl = &s->slot[id][r][page];
	bool cut = in_tail(r, page) && crossed(a, b, W_TRUNC);

	if (ok)
		slot_set(sl, v);
	if (cut)
		slot_add(sl, 0);
	sl->trunc_gen = b->g[W_TRUNC];
}

/*
 * Check a value read from a slot by its writer: one of the slot's values,
 * or zero if a truncate came after the last write (it may have cut the
 * slot) or raced with the read.
 */
static void slot_check_read(struct stress *s, const char *who, int id, int r, unsigned long page,
			    uint64_t got, const struct windows *a, const struct windows *b)
{
	const struct slot *sl = &s->slot[id][r][page];

	if (slot_may(sl, got))
		return;
	if (!got && in_tail(r, page) &&
	    (crossed(a, b, W_TRUNC) || a->g[W_TRUNC] != sl->trunc_gen))
		return;
	record_failure(s, "%s: region %d page %lu slot %d reads %#llx, may be %#llx (%d values)",
		       who, r, page, id, (unsigned long long)got, (unsigned long long)sl->may[0],
		       sl->n);
}

/* May a write through @t (P or Q) to region @r fail, given the windows? */
static bool fail_ok(struct stress *s, struct task_struct *t, int r, unsigned long first,
		    unsigned long n, const struct windows *a, const struct windows *b)
{
	if (r == R_A)
		return crossed(a, b, W_APROT);
	if (t == s->q && (crossed(a, b, W_QMAP) || crossed(a, b, W_QPROT)))
		return true;
	return first + n > NR_HEAD && crossed(a, b, W_TRUNC);
}

/* --- the writers ------------------------------------------------------------ */

static void kwrite_span(struct worker *w)
{
	struct stress *s = w->s;
	uint64_t rnd = test_rand(&w->seed);
	int r = (int)(rnd % 3 == 0 ? R_A : R_F);
	unsigned long n = 1 + (rnd >> 8) % MAX_SPAN;
	unsigned long first = (rnd >> 16) % (region_pages[r] - n + 1);
	struct task_struct *t = r == R_F && (rnd >> 24) & 1 ? s->q : s->p;
	unsigned long base = t == s->q ? s->q_f : s->base[r];
	unsigned long addr = base + first * PG + SLOT_OFF(w->id);
	uint64_t v[MAX_SPAN], got;
	struct pnm_kwrite_req *kw;
	struct windows a, b;
	int err;

	for (unsigned long j = 0; j < n; j++)
		v[j] = make_value(w, w->id, r, first + j);
	windows_read(s, &a);
	err = pnm_kwrite_begin(t, addr, (n - 1) * PG + sizeof(uint64_t), 0, &kw);
	if (!err) {
		/* Writeback of the pages while they are being written. */
		if ((rnd >> 28) % 8 == 0 && pnm_file_fsync(s->f, 0, INT64_MAX, false))
			record_failure(s, "kwriter %d: fsync inside a write", w->id);
		/* The copies in a seeded order, each into its own slot. */
		for (unsigned long k = 0; k < n; k++) {
			unsigned long j = (k + (rnd >> 32)) % n;

			if (pnm_kwrite_copy(kw, j * PG, &v[j], sizeof(v[j])))
				record_failure(s, "kwriter %d: copy %lu of %lu", w->id, j, n);
		}
		pnm_kwrite_end(kw);
	}
	windows_read(s, &b);
	count(&s->writes, 1);
	if (err) {
		count(&s->write_fails, 1);
		if (err != -EFAULT || !fail_ok(s, t, r, first, n, &a, &b))
			record_failure(s, "kwriter %d: begin %s page %lu+%lu via %s: %d", w->id,
				       r == R_F ? "F" : "A", first, n, t == s->q ? "Q" : "P", err);
	} else {
		count(&s->spans, (long)n);
	}
	for (unsigned long j = 0; j < n; j++)
		slot_written(s, w->id, r, first + j, v[j], !err, &a, &b);
	if (err)
		return;
	/* Read back through P: the write is in the page P maps. */
	for (unsigned long j = 0; j < n; j++) {
		err = pnm_user_read(s->p, s->base[r] + (first + j) * PG + SLOT_OFF(w->id), &got,
				    sizeof(got));
		windows_read(s, &b);
		if (err && !(err == -EFAULT && in_tail(r, first + j) && crossed(&a, &b, W_TRUNC)))
			record_failure(s, "kwriter %d: read back: %d", w->id, err);
		else if (!err)
			slot_check_read(s, "kwriter", w->id, r, first + j, got, &a, &b);
	}
}

/* pnm_kwrite() of one slot (begin, copy, end). */
static void kwrite_one(struct worker *w)
{
	struct stress *s = w->s;
	uint64_t rnd = test_rand(&w->seed);
	int r = (int)(rnd & 1 ? R_A : R_F);
	unsigned long page = (rnd >> 8) % region_pages[r];
	uint64_t v = make_value(w, w->id, r, page);
	struct windows a, b;
	int err;

	windows_read(s, &a);
	err = pnm_kwrite(s->p, s->base[r] + page * PG + SLOT_OFF(w->id), &v, sizeof(v), 0);
	windows_read(s, &b);
	count(&s->writes, 1);
	if (err) {
		count(&s->write_fails, 1);
		if (err != -EFAULT || !fail_ok(s, s->p, r, page, 1, &a, &b))
			record_failure(s, "kwriter %d: pnm_kwrite %d page %lu: %d", w->id, r, page, err);
	}
	slot_written(s, w->id, r, page, v, !err, &a, &b);
}

static void *kwriter_fn(void *arg)
{
	struct worker *w = arg;

	for (unsigned long i = 0; i < opt_ops; i++) {
		if (test_rand(&w->seed) % 4)
			kwrite_span(w);
		else
			kwrite_one(w);
		pace_tick(w->s, i + 1 == opt_ops);
	}
	return NULL;
}

/* The process's own stores and loads, in its slot. */
static void *cpu_fn(void *arg)
{
	struct worker *w = arg;
	struct stress *s = w->s;

	for (unsigned long i = 0; pace_wait(s, i / CPU_PER_WRITE); i++) {
		uint64_t rnd = test_rand(&w->seed), v, got;
		int r = (int)(rnd & 1 ? R_A : R_F);
		unsigned long page = (rnd >> 8) % region_pages[r];
		unsigned long addr = s->base[r] + page * PG + SLOT_OFF(CPU_ID);
		struct windows a, b;
		int err;

		windows_read(s, &a);
		if ((rnd >> 16) % 3) {
			v = make_value(w, CPU_ID, r, page);
			err = pnm_user_write(s->p, addr, &v, sizeof(v));
			windows_read(s, &b);
			if (err && (err != -EFAULT || !fail_ok(s, s->p, r, page, 1, &a, &b)))
				record_failure(s, "cpu: write region %d page %lu: %d", r, page, err);
			slot_written(s, CPU_ID, r, page, v, !err, &a, &b);
			count(&s->cpu_writes, 1);
		} else {
			err = pnm_user_read(s->p, addr, &got, sizeof(got));
			windows_read(s, &b);
			if (err && !(err == -EFAULT && in_tail(r, page) && crossed(&a, &b, W_TRUNC)))
				record_failure(s, "cpu: read region %d page %lu: %d", r, page, err);
			else if (!err)
				slot_check_read(s, "cpu", CPU_ID, r, page, got, &a, &b);
		}
	}
	return NULL;
}

/* --- the helpers -------------------------------------------------------------- */

static bool helper_ok(long ret)
{
	return ret >= 0 || ret == -EBUSY || ret == -EAGAIN || ret == -ENOMEM;
}

/* A fork child of P: what it sees of A is tagged right; its own stores
 * stay its own. */
static void child_visit(struct stress *s, struct task_struct *c, uint64_t rnd)
{
	unsigned long page = rnd % NR_APAGES;
	uint64_t v = 0xc41d000000000000ULL | page, got;

	for (int id = 0; id < NR_SLOTS; id++) {
		if (pnm_user_read(c, s->base[R_A] + page * PG + SLOT_OFF(id), &got, sizeof(got)))
			record_failure(s, "child: read A page %lu", page);
		else if (!tagged_for(got, id, R_A, page))
			record_failure(s, "child: A page %lu slot %d holds %#llx", page, id,
				       (unsigned long long)got);
	}
	if (pnm_user_write(c, s->base[R_A] + page * PG + SLOT_OFF(CHILD_ID), &v, sizeof(v)))
		record_failure(s, "child: write A page %lu", page);
}

static void *storm_fn(void *arg)
{
	struct worker *w = arg;
	struct stress *s = w->s;

	for (unsigned long i = 0; pace_wait(s, i * WRITES_PER_HELPER); i++) {
		uint64_t rnd = test_rand(&w->seed);
		unsigned long page = (rnd >> 16) % (NR_APAGES - 3);
		struct task_struct *c;
		long ret = 0;
		int op = (int)(rnd % 8);

		switch (op) {
		case 0:
		case 1:		/* fork: pinned pages stay P's */
			ret = pnm_task_fork(s->p, "child", &c);
			if (!ret) {
				child_visit(s, c, rnd >> 8);
				pnm_task_exit(c);
				pnm_task_put(c);
				count(&s->forks, 1);
			}
			break;
		case 2:		/* part of A read-only for a moment */
			window_step(s, W_APROT);
			ret = pnm_mprotect(s->p, s->base[R_A] + page * PG, 3 * PG, PROT_READ);
			if (!ret)
				ret = pnm_mprotect(s->p, s->base[R_A] + page * PG, 3 * PG, RW);
			window_step(s, W_APROT);
			break;
		case 3:		/* Q's view read-only for a moment */
			window_step(s, W_QPROT);
			ret = pnm_mprotect(s->q, s->q_f, NR_FPAGES * PG, PROT_READ);
			if (!ret)
				ret = pnm_mprotect(s->q, s->q_f, NR_FPAGES * PG, RW);
			window_step(s, W_QPROT);
			break;
		case 4:		/* Q's view unmapped and mapped again */
			window_step(s, W_QMAP);
			ret = pnm_munmap(s->q, s->q_f, NR_FPAGES * PG);
			if (!ret) {
				ret = pnm_mmap(s->q, s->q_f, NR_FPAGES * PG, RW, MAP_SHARED | MAP_FIXED,
					       s->f, 0);
				ret = ret == (long)s->q_f ? 0 : ret ? ret : -EINVAL;
			}
			window_step(s, W_QMAP);
			break;
		case 5:		/* migration: pinned pages refuse */
			ret = pnm_migrate_range(s->p, s->base[(rnd >> 8) & 1 ? R_A : R_F],
						NR_APAGES * PG,
						(rnd >> 9) & 1 ? PNM_ZONE_MOVABLE : PNM_ZONE_NORMAL);
			/* A page of F the truncator took out of the cache between
			 * the walk and its move is "not migratable": -EINVAL if
			 * nothing else moved (mm/migrate.c, the model's move_pages). */
			if (ret == -EINVAL && !((rnd >> 8) & 1))
				ret = 0;
			break;
		case 6:
			ret = pnm_compact_zone((rnd >> 8) & 1 ? PNM_ZONE_MOVABLE : PNM_ZONE_NORMAL, 0,
					       NULL);
			if (ret == -EAGAIN)
				ret = 0;
			break;
		default:	/* zap Q's view (mapped: only this thread unmaps it) */
			ret = pnm_madvise(s->q, s->q_f, NR_FPAGES * PG, MADV_DONTNEED);
			if (ret)
				record_failure(s, "storm: MADV_DONTNEED of Q's view: %ld", ret);
			break;
		}
		if (!helper_ok(ret))
			record_failure(s, "storm op %d: %ld", op, ret);
		count(&s->storms, 1);
	}
	return NULL;
}

static void *syncer_fn(void *arg)
{
	struct worker *w = arg;
	struct stress *s = w->s;

	for (unsigned long i = 0; pace_wait(s, i * WRITES_PER_HELPER); i++) {
		uint64_t rnd = test_rand(&w->seed);
		long ret = 0;

		switch (rnd % 6) {
		case 0:
			ret = pnm_file_fsync(s->f, 0, INT64_MAX, (rnd >> 8) & 1);
			break;
		case 1:
			pnm_sync();
			break;
		case 2:		/* the flusher's pass: skips maybe-pinned pages */
			ret = pnm_writeback_range(s->f, 0, INT64_MAX, PNM_WB_SYNC_NONE);
			break;
		case 3:
			ret = pnm_writeback_run(false);
			break;
		default:	/* clean cache pages dropped, unmapped first */
			(void)pnm_reclaim_pages(1 + (rnd >> 8) % 16, true);
			break;
		}
		if (ret < 0)
			record_failure(s, "syncer op %d: %ld", (int)(rnd % 6), ret);
		count(&s->syncs, 1);
	}
	return NULL;
}

/* F shrinks into its tail and grows back, each cut logged. */
static void *truncator_fn(void *arg)
{
	struct worker *w = arg;
	struct stress *s = w->s;

	for (unsigned long i = 0; pace_wait(s, i * WRITES_PER_HELPER); i++) {
		uint64_t rnd = test_rand(&w->seed);
		int64_t size = NR_HEAD * PG + 32 * (int64_t)(rnd % ((NR_FPAGES - NR_HEAD) * PG / 32));
		/* Every other cut leaves F short for a while (below). */
		bool stay = (rnd >> 40) & 1;
		unsigned long eof_slot;
		uint64_t v = 0x7e0f000000000000ULL | i, got = 1;
		int err;

		if (stay)	/* below the truncator's slot of the page: 32-160 */
			size = (size & ~(int64_t)(PG - 1)) + 32 * (int64_t)(1 + (rnd >> 48) % 5);
		eof_slot = s->base[R_F] + (unsigned long)(size & ~(int64_t)(PG - 1)) +
			   SLOT_OFF(TRUNC_ID);

		if (s->nr_cuts == s->cuts_size) {
			size_t n = s->cuts_size ? 2 * s->cuts_size : 64;
			struct cut *c = realloc(s->cuts, n * sizeof(*c));

			if (!c) {
				record_failure(s, "truncator: no memory for the log");
				continue;
			}
			s->cuts = c;
			s->cuts_size = n;
		}
		window_step(s, W_TRUNC);
		s->cuts[s->nr_cuts].gen = __atomic_load_n(&s->window[W_TRUNC], __ATOMIC_RELAXED);
		s->cuts[s->nr_cuts].size = size;
		s->nr_cuts++;
		err = pnm_file_truncate(s->f, size);
		/*
		 * F stays short while the kwriters do a write, with a store
		 * of ours into the page holding EOF, beyond EOF (the page is
		 * mapped whole), and is written back short.  The stores
		 * beyond EOF (ours, the writers') are not file data:
		 * writeback zeroes them in the cache, so ours reads zero
		 * before F grows and after -- and the disk agrees.
		 */
		if (!err && stay) {
			err = pnm_user_write(s->p, eof_slot, &v, sizeof(v));
			(void)pace_wait(s, pace_now(s) + 1);
			if (!err)
				err = pnm_file_fsync(s->f, 0, INT64_MAX, false);
			if (!err)
				err = pnm_user_read(s->p, eof_slot, &got, sizeof(got));
			if (!err && got)
				record_failure(s, "truncator: %#llx beyond EOF %lld after writeback",
					       (unsigned long long)got, (long long)size);
		}
		if (!err)
			err = pnm_file_truncate(s->f, NR_FPAGES * PG);
		if (!err && stay) {
			err = pnm_user_read(s->p, eof_slot, &got, sizeof(got));
			if (!err && got)
				record_failure(s, "truncator: %#llx in the grown file",
					       (unsigned long long)got);
		}
		window_step(s, W_TRUNC);
		if (err)
			record_failure(s, "truncate to %lld: %d", (long long)size, err);
		count(&s->truncs, 1);
	}
	return NULL;
}

/* --- rounds ---------------------------------------------------------------------- */

#define NR_THREADS	(NR_KWRITERS + 4)

static void run_round(struct stress *s, unsigned long round)
{
	void *(*fns[NR_THREADS])(void *) = { kwriter_fn, kwriter_fn, cpu_fn, storm_fn, syncer_fn,
					     truncator_fn };
	static struct worker w[NR_THREADS];
	pthread_t th[NR_THREADS];

	s->nr_cuts = 0;
	s->pace_done = 0;
	s->kwriters_left = NR_KWRITERS;
	for (int n = 0; n < NR_THREADS; n++) {
		w[n].s = s;
		w[n].id = n;
		w[n].seed = opt_seed * 0x100000001b3ULL + round * 131 + (uint64_t)n + 1;
		assert_int_equal(pthread_create(&th[n], NULL, fns[n], &w[n]), 0);
	}
	for (int n = 0; n < NR_THREADS; n++)
		assert_int_equal(pthread_join(th[n], NULL), 0);
	pnm_rcu_barrier();
	if (__atomic_load_n(&s->failures, __ATOMIC_SEQ_CST))
		fail_msg("round %lu: %d failures, first: %s", round, s->failures, s->what);
}

static long stat_of(const char *name)
{
	int item = pnm_stat_lookup(name);

	assert_true(item >= 0);
	return pnm_stat_read(item);
}

/* The quiet model: every slot in its set, the same through Q and on the
 * disk; nothing kept, nothing dirtied behind the filesystem's back. */
static void check_round(struct stress *s, long nob, long lost)
{
	char why[256] = "";
	uint64_t got, q, host;

	CHECK_ALL();
	assert_int_equal(pnm_pin_registry_count(-1), 0);
	if (refs_check_all(&s->f, 1, NR_FPAGES * PG, why, sizeof(why)))
		fail_msg("references: %s", why);
	assert_int_equal(stat_of("pnm_fs_dirty_no_blocks"), nob);
	assert_int_equal(stat_of("pnm_wb_lost"), lost);
	assert_int_equal(pnm_file_size(s->f), NR_FPAGES * PG);
	assert_int_equal(pnm_file_fsync(s->f, 0, INT64_MAX, false), 0);
	for (int r = 0; r < NR_REGIONS; r++) {
		for (unsigned long page = 0; page < region_pages[r]; page++) {
			for (int id = 0; id < NR_SLOTS; id++) {
				struct slot *sl = &s->slot[id][r][page];
				unsigned long off = page * PG + SLOT_OFF(id);

				/* Cut after the slot's last write: zero. */
				for (size_t c = 0; c < s->nr_cuts && in_tail(r, page); c++)
					if (s->cuts[c].gen > sl->trunc_gen &&
					    s->cuts[c].size <= (int64_t)off)
						slot_set(sl, 0);
				assert_int_equal(pnm_user_read(s->p, s->base[r] + off, &got,
							       sizeof(got)), 0);
				if (!slot_may(sl, got))
					fail_msg("region %d page %lu slot %d: %#llx, may be %#llx "
						 "(%d values)", r, page, id, (unsigned long long)got,
						 (unsigned long long)sl->may[0], sl->n);
				if (r == R_F) {
					assert_int_equal(pnm_user_read(s->q, s->q_f + off, &q,
								       sizeof(q)), 0);
					assert_int_equal(test_host_pread(s->f, &host, sizeof(host),
									 (off_t)off),
							 (ssize_t)sizeof(host));
					if (q != got || host != got)
						fail_msg("F page %lu slot %d: P reads %#llx, Q %#llx, "
							 "the disk holds %#llx", page, id,
							 (unsigned long long)got,
							 (unsigned long long)q,
							 (unsigned long long)host);
				}
				/* Known again: the next round starts from it. */
				slot_set(sl, got);
				sl->trunc_gen = s->window[W_TRUNC];
			}
		}
	}
	/* The truncator's stores were beyond EOF: zero, here and on disk. */
	for (unsigned long page = 0; page < NR_FPAGES; page++) {
		unsigned long off = page * PG + SLOT_OFF(TRUNC_ID);

		assert_int_equal(pnm_user_read(s->p, s->base[R_F] + off, &got, sizeof(got)), 0);
		assert_int_equal(test_host_pread(s->f, &host, sizeof(host), (off_t)off),
				 (ssize_t)sizeof(host));
		if (got || host)
			fail_msg("F page %lu, the truncator's slot: %#llx, on disk %#llx", page,
				 (unsigned long long)got, (unsigned long long)host);
	}
	/* The children's stores never reached P. */
	for (unsigned long page = 0; page < NR_APAGES; page++) {
		assert_int_equal(pnm_user_read(s->p, s->base[R_A] + page * PG + SLOT_OFF(CHILD_ID),
					       &got, sizeof(got)), 0);
		assert_int_equal(got, 0);
	}
	CHECK_ALL();
}

static void stress_kwrite(void)
{
	struct stress *s = calloc(1, sizeof(*s));
	static char zero[NR_FPAGES * PG];
	long nob = stat_of("pnm_fs_dirty_no_blocks"), lost = stat_of("pnm_wb_lost");
	long a;

	assert_non_null(s);
	pthread_mutex_init(&s->pace_lock, NULL);
	pthread_cond_init(&s->pace_cond, NULL);
	s->p = test_task_create("P");
	s->q = test_task_create("Q");
	s->f = test_open(PNM_FS_DISK, "stress-kwrite");
	assert_int_equal(pnm_file_write(s->f, zero, sizeof(zero), 0), (ssize_t)sizeof(zero));
	assert_int_equal(pnm_file_fsync(s->f, 0, INT64_MAX, false), 0);
	a = pnm_mmap(s->p, 0, NR_FPAGES * PG, RW, MAP_SHARED, s->f, 0);
	assert_true(a > 0);
	s->base[R_F] = (unsigned long)a;
	s->base[R_A] = test_mmap(s->p, NR_APAGES * PG, RW, MAP_PRIVATE | MAP_ANONYMOUS);
	(void)test_mmap(s->q, 3 * PG, RW, MAP_PRIVATE | MAP_ANONYMOUS);
	a = pnm_mmap(s->q, 0, NR_FPAGES * PG, RW, MAP_SHARED, s->f, 0);
	assert_true(a > 0);
	s->q_f = (unsigned long)a;
	for (int id = 0; id < NR_SLOTS; id++)
		for (int r = 0; r < NR_REGIONS; r++)
			for (unsigned long page = 0; page < NR_FPAGES; page++)
				slot_set(&s->slot[id][r][page], 0);
	CHECK_ALL();

	for (unsigned long round = 0; round < opt_rounds; round++) {
		run_round(s, round);
		check_round(s, nob, lost);
	}
	print_message("stress_kwrite (%s): %lu rounds, %ld kernel writes (%ld failed inside a "
		      "window) of %ld pages, %ld CPU writes, %ld storm ops (%ld forks), %ld syncs, "
		      "%ld truncates; %ld pages written back from a bounce copy\n",
		      pnm_get_config()->wb_policy == PNM_WB_STABLE ? "stable" : "linux", opt_rounds,
		      s->writes, s->write_fails, s->spans, s->cpu_writes, s->storms, s->forks,
		      s->syncs, s->truncs, stat_of("pnm_wb_bounced"));
	assert_int_equal(s->writes, (long)(NR_KWRITERS * opt_ops * opt_rounds));
	/* The helpers ran alongside (paced: at least their first turn of
	 * each round, in practice about writes / WRITES_PER_HELPER). */
	assert_true(s->truncs >= (long)opt_rounds && s->forks > 0 && s->syncs >= (long)opt_rounds);
	pnm_file_close(s->f);
	free(s->cuts);
	pthread_cond_destroy(&s->pace_cond);
	pthread_mutex_destroy(&s->pace_lock);
	free(s);
}

static int setup_policy(enum pnm_wb_policy policy)
{
	struct pnm_config cfg;

	pnm_test_config(&cfg);
	cfg.wb_policy = policy;
	pnm_test_init_with(&cfg);
	return 0;
}

static int setup_stable(void **state)
{
	(void)state;
	return setup_policy(PNM_WB_STABLE);
}

static int setup_linux(void **state)
{
	(void)state;
	return setup_policy(PNM_WB_LINUX);
}

static void stress_kwrite_stable(void **state)
{
	(void)state;
	stress_kwrite();
}

static void stress_kwrite_linux(void **state)
{
	(void)state;
	stress_kwrite();
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(stress_kwrite_stable, setup_stable, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(stress_kwrite_linux, setup_linux, pnm_test_teardown),
	};

	test_stress_params("stress_kwrite", argc > 2 ? 3 : argc, argv, &opt_seed, &opt_ops);
	if (argc > 3)
		opt_rounds = strtoul(argv[3], NULL, 0);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
