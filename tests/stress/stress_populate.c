// SPDX-License-Identifier: MIT
/*
 * stress_populate.c - the call sites that fault memory in and keep
 * nothing (mlock / munlock, MAP_POPULATE, MADV_POPULATE_READ/WRITE:
 * group d, never converted to FOLL_PIN) while the process forks,
 * mprotects, munmaps, truncates, reclaims, migrates, compacts and writes
 * back under them.
 *
 * Process P maps
 *   A  private anon, 64 pages
 *   H  private anon, one 2 MiB THP (MADV_HUGEPAGE): populating it faults
 *      a huge page in; mlock or mprotect of a part splits it
 *   F  a disk file, 32 pages, MAP_SHARED
 *   S  shared anon (shmem), 16 pages
 *   C  private anon, 16 pages: churn, unmapped and mapped again
 * and each of the two populater threads owns one half of A, H, F and S:
 *
 *   populaters (2)  mlock / munlock / MADV_POPULATE_READ / _WRITE of a
 *                   random part of their halves, then look: every page
 *                   present (and after _WRITE or mlock of private
 *                   writable memory, writable and not the zero page), the
 *                   VMAs VM_LOCKED exactly where they locked; CPU stores
 *                   of tagged values into their pages of A, H and S, read
 *                   back; mmap(MAP_POPULATE) of a fresh region (private or
 *                   shared anon, F shared or private), present at once,
 *                   kept until the next one; the same calls on C, where
 *                   only the errors are checked;
 *   storm           fork (the child sees P's data or zero, never another
 *                   page's; its stores stay its own; it inherits no
 *                   VM_LOCKED), mprotect a part of A or H read-only and
 *                   back, munmap + mmap C, MADV_DONTNEED (refused on
 *                   locked VMAs), F truncated and grown back, reclaim,
 *                   migration, compaction, fsync and writeback passes.
 *
 * The storm's changes that may undo a population or fail a call are
 * made inside windows, generation numbers odd while open; a check only
 * counts when no window of its kind was crossed.  The storm is paced by
 * the populaters' progress (a condition variable, no sleeps).
 *
 * After each round the threads join and, in the quiet model: every
 * invariant (pnm_check_system()); no reference kept -- each folio's
 * refcount is exactly its mappings plus its cache's (stress_refs.h) --
 * and no pin ever taken (nr_foll_pin_acquired unchanged, the registry
 * empty); each owned page's VM_LOCKED as its owner last set it, and
 * every locked page of A, H and S present; every stored value in place;
 * the invariants again.
 *
 *   stress_populate [seed [operations-per-populater-per-round [rounds]]]
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
#include <pinmm/stat.h>

#define PG		PNM_PAGE_SIZE
#define RW		(PROT_READ | PROT_WRITE)
#define PRIV		(MAP_PRIVATE | MAP_ANONYMOUS)
#define HPAGE		PNM_HPAGE_PMD_SIZE
#define NR_POP		2
#define OPS_PER_STORM	3	/* populater operations per storm operation */
#define MAX_EXTRA	8	/* pages of a MAP_POPULATE region */

enum { R_A, R_H, R_F, R_S, R_C, NR_REGIONS };
static const unsigned long region_pages[NR_REGIONS] = { 64, HPAGE / PG, 32, 16, 16 };
static const char *const region_name[NR_REGIONS] = { "A", "H", "F", "S", "C" };
#define NR_OWNED	R_C		/* A, H, F, S are split between the populaters */
#define MAX_HALF	(HPAGE / PG / 2)

/* Windows: W_PROT (A/H read-only), W_FORK (P's private memory
 * write-protected), W_MIGRATE (migration, compaction, and reclaim's split
 * of a partly mapped THP: entries not present for a moment), W_ZAP (F
 * truncated, clean cache reclaimed, DONTNEED of F, S and C), W_CHURN (C
 * unmapped). */
enum { W_PROT, W_FORK, W_MIGRATE, W_ZAP, W_CHURN, NR_WINDOWS };

#ifdef PNM_TSAN
#define DEFAULT_OPS	250
#else
#define DEFAULT_OPS	1000
#endif

static uint64_t opt_seed = 0x706f70;
static unsigned long opt_ops = DEFAULT_OPS;
static unsigned long opt_rounds = 3;

struct stress;

struct populater {
	struct stress *s;
	int id;
	uint64_t seed, seq;
	/* Per owned page (index within the half): the value stored at its
	 * start (A, H, S) and whether it is VM_LOCKED.  The owner's only;
	 * the main thread reads them between rounds. */
	uint64_t val[NR_OWNED][MAX_HALF];
	bool locked[NR_OWNED][MAX_HALF];
	/* The MAP_POPULATE region (0: none), always at @resv: a range kept
	 * free for it, so that no mapping of the round is placed by the
	 * kernel -- C's hole while the storm has it unmapped must stay
	 * free. */
	unsigned long resv, extra, extra_len;
	long ops, populated, locks, extras, errors_in_windows;
};

struct stress {
	struct task_struct *p;
	struct file *f;
	unsigned long base[NR_REGIONS];
	unsigned long window[NR_WINDOWS];	/* generations; __atomic */
	struct populater pop[NR_POP];
	/* The pace: storm operations done this round, and whether the
	 * storm is over. */
	pthread_mutex_t pace_lock;
	pthread_cond_t pace_cond;
	unsigned long pace_done;		/* pace_lock */
	bool storm_over;			/* pace_lock */
	int failures;				/* __atomic */
	char what[256];
	long storms, forks;			/* storm thread's; read after join */
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

/* --- windows and pace --------------------------------------------------------- */

/* Sequentially consistent: a call that saw a change made inside a window
 * reads, afterwards, a generation past the window's opening. */
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

/*
 * The pace.  The storm's operations are the slow ones: it has a quota of
 * opt_ops / OPS_PER_STORM per round and never waits; a populater's i-th
 * operation waits until the storm has done i / OPS_PER_STORM of them (or
 * is over), so the populaters' quota of opt_ops is spread over the whole
 * storm however the threads are scheduled.  A condition variable, no
 * sleeps.
 */
static void pace_wait(struct stress *s, unsigned long need)
{
	pthread_mutex_lock(&s->pace_lock);
	while (!s->storm_over && s->pace_done < need)
		pthread_cond_wait(&s->pace_cond, &s->pace_lock);
	pthread_mutex_unlock(&s->pace_lock);
}

/* The storm did an operation (@over: its last). */
static void pace_tick(struct stress *s, bool over)
{
	pthread_mutex_lock(&s->pace_lock);
	s->pace_done++;
	s->storm_over = over;
	pthread_cond_broadcast(&s->pace_cond);
	pthread_mutex_unlock(&s->pace_lock);
}

/* --- looking ---------------------------------------------------------------------- */

/* vm_flags of P's VMA containing @addr (0 if none). */
static unsigned long flags_at(struct task_struct *t, unsigned long addr)
{
	struct pnm_vma_info vi = { .size = sizeof(vi) };

	if (pnm_task_vma_next(t, addr, &vi) || vi.start > addr)
		return 0;
	return vi.vm_flags;
}

/* Is @addr present in @t (writable, not a zero page, when @write)? */
static bool present(struct task_struct *t, unsigned long addr, bool write)
{
	struct pnm_page_info pi = { .size = sizeof(pi) };

	if (pnm_task_page_info(t, addr, &pi))
		return false;
	return !write || ((pi.flags & PNM_PAGE_MAP_WRITE) &&
			  !(pi.flags & (PNM_PAGE_ZERO | PNM_PAGE_HUGE_ZERO)));
}

/*
 * After a population of @n pages at @addr that began with windows @a:
 * every page present -- writable and not a zero page if @write -- unless
 * a window that may undo that was crossed by the end of the look
 * (@zappable: pages of F or S, which truncation, reclaim and DONTNEED
 * take).  The first page that is not, or -1.
 */
static long look_populated(struct stress *s, unsigned long addr, unsigned long n, bool write,
			   bool zappable, const struct windows *a)
{
	long missing = -1, readonly = -1;
	struct windows b;

	for (unsigned long i = 0; i < n && missing < 0; i++) {
		if (!present(s->p, addr + i * PG, false))
			missing = (long)i;
		else if (write && readonly < 0 && !present(s->p, addr + i * PG, true))
			readonly = (long)i;
	}
	windows_read(s, &b);
	if (crossed(a, &b, W_MIGRATE) || (zappable && crossed(a, &b, W_ZAP)))
		return -1;
	if (missing >= 0)
		return missing;
	return crossed(a, &b, W_FORK) || crossed(a, &b, W_PROT) ? -1 : readonly;
}

/* First page of @p's half of owned region @r, and its length. */
static unsigned long half_first(const struct populater *p, int r)
{
	return (unsigned long)p->id * (region_pages[r] / NR_POP);
}

static unsigned long half_pages(int r)
{
	return region_pages[r] / NR_POP;
}

/* A tagged value for page @page of region @r: never zero. */
static uint64_t make_value(struct populater *p, int r, unsigned long page)
{
	return (++p->seq << 24) | ((uint64_t)(p->id + 1) << 20) | ((uint64_t)r << 16) | page;
}

static bool tagged_for(uint64_t v, int r, unsigned long page)
{
	return !v || (v & 0xfffff) == (((uint64_t)r << 16) | page);
}

/* --- the populaters ---------------------------------------------------------------- */

/* May @err come from @op on region @r, given the windows? */
static bool pop_error_ok(int op, int r, int err, const struct windows *a, const struct windows *b)
{
	switch (r) {
	case R_A:
	case R_H:	/* read-only for a moment: POPULATE_WRITE refuses the VMA */
		return op == MADV_POPULATE_WRITE && err == -EINVAL && crossed(a, b, W_PROT);
	case R_F:	/* beyond EOF for a moment: SIGBUS (mlock: -EAGAIN) */
		return crossed(a, b, W_ZAP) &&
		       (op == 0 ? err == -EAGAIN : op != 1 && err == -EFAULT);
	default:
		return false;
	}
}

/* mlock (op 0), munlock (op 1) or MADV_POPULATE_* (op = the advice) of
 * @n pages of @p's half of @r from page @first, and look. */
static void pop_range(struct populater *p, int op, int r, unsigned long first, unsigned long n)
{
	struct stress *s = p->s;
	unsigned long addr = s->base[r] + first * PG, h = half_first(p, r);
	bool write = (r == R_A || r == R_H) && (op == 0 || op == MADV_POPULATE_WRITE);
	struct windows a, b;
	long bad;
	int err;

	windows_read(s, &a);
	if (op == 0)
		err = pnm_mlock(s->p, addr, n * PG);
	else if (op == 1)
		err = pnm_munlock(s->p, addr, n * PG);
	else
		err = pnm_madvise(s->p, addr, n * PG, op);
	windows_read(s, &b);
	if (err && !pop_error_ok(op, r, err, &a, &b)) {
		record_failure(s, "populater %d: op %d on %s pages %lu+%lu: %d", p->id, op,
			       region_name[r], first, n, err);
		return;
	}
	if (err)
		p->errors_in_windows++;
	/* mlock's -EAGAIN (a fault failed) leaves the flags set, as Linux. */
	if (op == 0 || op == 1) {
		for (unsigned long i = 0; i < n; i++)
			p->locked[r][first - h + i] = op == 0;
		p->locks++;
		for (unsigned long i = 0; i < n; i++) {
			unsigned long f = flags_at(s->p, addr + i * PG);

			if (!!(f & PNM_VM_LOCKED) != (op == 0))
				record_failure(s, "populater %d: %s page %lu: vm_flags %#lx after %s",
					       p->id, region_name[r], first + i, f,
					       op ? "munlock" : "mlock");
		}
		if (op == 1)
			return;
	}
	if (err)
		return;
	p->populated += (long)n;
	/* Private writable memory is populated with write faults. */
	bad = look_populated(s, addr, n, write, r == R_F || r == R_S, &a);
	if (bad >= 0)
		record_failure(s, "populater %d: %s page %lu not %s after op %d", p->id,
				region_name[r], first + (unsigned long)bad,
				write ? "present and writable" : "present", op);
}

/* A CPU store of a new value into one of @p's pages of A, H or S, and a
 * load of another. */
static void pop_store(struct populater *p, uint64_t rnd)
{
	static const int regions[] = { R_A, R_H, R_S };
	struct stress *s = p->s;
	int r = regions[rnd % 3];
	unsigned long i = (rnd >> 8) % half_pages(r), j = (rnd >> 24) % half_pages(r);
	unsigned long page = half_first(p, r) + i;
	uint64_t v = make_value(p, r, page), got;
	struct windows a, b;
	int err;

	windows_read(s, &a);
	err = pnm_user_write(s->p, s->base[r] + page * PG, &v, sizeof(v));
	windows_read(s, &b);
	if (!err)
		p->val[r][i] = v;
	else if (err != -EFAULT || r == R_S || !crossed(&a, &b, W_PROT))
		record_failure(s, "populater %d: store to %s page %lu: %d", p->id, region_name[r],
			       page, err);
	page = half_first(p, r) + j;
	if (pnm_user_read(s->p, s->base[r] + page * PG, &got, sizeof(got)) || got != p->val[r][j])
		record_failure(s, "populater %d: %s page %lu reads %#llx, stored %#llx", p->id,
			       region_name[r], page, (unsigned long long)got,
			       (unsigned long long)p->val[r][j]);
}

/* mmap(MAP_POPULATE) of a fresh region; the previous one goes. */
static void pop_extra(struct populater *p, uint64_t rnd)
{
	struct stress *s = p->s;
	unsigned long n = 1 + (rnd >> 8) % MAX_EXTRA, off = 0, flags;
	int kind = (int)(rnd % 4);
	struct file *file = NULL;
	struct windows a;
	long m, bad;

	if (p->extra && pnm_munmap(s->p, p->extra, p->extra_len))
		record_failure(s, "populater %d: munmap of its MAP_POPULATE region", p->id);
	p->extra = 0;
	switch (kind) {
	case 0:
		flags = PRIV;
		break;
	case 1:
		flags = MAP_SHARED | MAP_ANONYMOUS;
		break;
	default:	/* F, shared or private */
		file = s->f;
		flags = kind == 2 ? MAP_SHARED : MAP_PRIVATE;
		off = ((rnd >> 16) % (region_pages[R_F] - n + 1)) * PG;
		break;
	}
	windows_read(s, &a);
	m = pnm_mmap(s->p, p->resv, n * PG, RW, flags | MAP_POPULATE | MAP_FIXED_NOREPLACE, file,
		     off);
	if (m != (long)p->resv) {
		record_failure(s, "populater %d: mmap(MAP_POPULATE) kind %d: %ld", p->id, kind, m);
		return;
	}
	p->extra = (unsigned long)m;
	p->extra_len = n * PG;
	p->extras++;
	/* Private writable memory is populated with write faults. */
	bad = look_populated(s, p->extra, n, flags & MAP_PRIVATE, file != NULL, &a);
	if (bad >= 0)
		record_failure(s, "populater %d: MAP_POPULATE kind %d page %ld not populated",
			       p->id, kind, bad);
}

/* The same calls on C: only the errors are checked (-ENOMEM while it is
 * unmapped). */
static void pop_churn(struct populater *p, uint64_t rnd)
{
	static const int ops[] = { 0, 1, MADV_POPULATE_READ, MADV_POPULATE_WRITE };
	struct stress *s = p->s;
	int op = ops[rnd % 4];
	struct windows a, b;
	int err;

	windows_read(s, &a);
	if (op == 0)
		err = pnm_mlock(s->p, s->base[R_C], region_pages[R_C] * PG);
	else if (op == 1)
		err = pnm_munlock(s->p, s->base[R_C], region_pages[R_C] * PG);
	else
		err = pnm_madvise(s->p, s->base[R_C], region_pages[R_C] * PG, op);
	windows_read(s, &b);
	if (err && !(err == -ENOMEM && crossed(&a, &b, W_CHURN)))
		record_failure(s, "populater %d: op %d on C: %d", p->id, op, err);
}

static void *populater_fn(void *arg)
{
	static const int range_ops[] = { 0, 0, 1, MADV_POPULATE_READ, MADV_POPULATE_WRITE,
					 MADV_POPULATE_WRITE };
	struct populater *p = arg;
	struct stress *s = p->s;

	for (unsigned long i = 0; i < opt_ops; i++) {
		uint64_t rnd = test_rand(&p->seed);

		pace_wait(s, i / OPS_PER_STORM);
		switch ((rnd >> 56) % 8) {
		case 0:
		case 1:
		case 2:
		case 3: {
			int r = (int)(rnd % NR_OWNED);
			unsigned long max = r == R_H ? 64 : half_pages(r);
			unsigned long n = 1 + (rnd >> 8) % max;
			unsigned long first = half_first(p, r) + (rnd >> 20) % (half_pages(r) - n + 1);

			pop_range(p, range_ops[(rnd >> 32) % 6], r, first, n);
			break;
		}
		case 4:
		case 5:
			pop_store(p, rnd);
			break;
		case 6:
			pop_extra(p, rnd);
			break;
		default:
			pop_churn(p, rnd);
			break;
		}
		p->ops++;
	}
	return NULL;
}

/* --- the storm ------------------------------------------------------------------- */

/* A fork child: P's data or zero in A and H, its own stores, no lock. */
static void child_visit(struct stress *s, struct task_struct *c, uint64_t rnd)
{
	int r = rnd & 1 ? R_A : R_H;
	unsigned long page = (rnd >> 8) % region_pages[r];
	unsigned long addr = s->base[r] + page * PG;
	uint64_t got, mine = 0xc41d000000000000ULL;
	struct pnm_vma_info vi = { .size = sizeof(vi) };

	if (pnm_user_read(c, addr, &got, sizeof(got)) || !tagged_for(got, r, page))
		record_failure(s, "child: %s page %lu reads %#llx", region_name[r], page,
			       (unsigned long long)got);
	if (pnm_user_write(c, addr + 2048, &mine, sizeof(mine)))
		record_failure(s, "child: store to %s page %lu", region_name[r], page);
	for (unsigned long at = 0; !pnm_task_vma_next(c, at, &vi); at = vi.end)
		if (vi.vm_flags & PNM_VM_LOCKED)
			record_failure(s, "child: inherited VM_LOCKED at %#lx", vi.start);
}

static bool storm_ok(long ret)
{
	return ret >= 0 || ret == -EBUSY || ret == -EAGAIN || ret == -ENOMEM;
}

struct storm {
	struct stress *s;
	uint64_t seed;
};

static void *storm_fn(void *arg)
{
	struct storm *st = arg;
	struct stress *s = st->s;
	unsigned long quota = opt_ops / OPS_PER_STORM + 1;

	for (unsigned long i = 0; i < quota; i++) {
		uint64_t rnd = test_rand(&st->seed);
		int op = (int)(rnd % 12), r = (rnd >> 8) & 1 ? R_A : R_H;
		unsigned long page = (rnd >> 16) % (region_pages[r] - 8);
		struct task_struct *c;
		long ret = 0;

		switch (op) {
		case 0:
		case 1:		/* fork: P's private memory write-protected */
			window_step(s, W_FORK);
			ret = pnm_task_fork(s->p, "child", &c);
			window_step(s, W_FORK);
			if (!ret) {
				child_visit(s, c, rnd >> 8);
				pnm_task_exit(c);
				pnm_task_put(c);
				s->forks++;
			}
			break;
		case 2:		/* part of A or H read-only and back (splits H) */
			window_step(s, W_PROT);
			ret = pnm_mprotect(s->p, s->base[r] + page * PG, 8 * PG, PROT_READ);
			if (!ret)
				ret = pnm_mprotect(s->p, s->base[r] + page * PG, 8 * PG, RW);
			window_step(s, W_PROT);
			break;
		case 3:		/* C unmapped and mapped again */
			window_step(s, W_CHURN);
			ret = pnm_munmap(s->p, s->base[R_C], region_pages[R_C] * PG);
			if (!ret) {
				ret = pnm_mmap(s->p, s->base[R_C], region_pages[R_C] * PG, RW,
					       PRIV | MAP_FIXED, NULL, 0);
				ret = ret == (long)s->base[R_C] ? 0 : ret ? ret : -EINVAL;
			}
			window_step(s, W_CHURN);
			break;
		case 4: {	/* zap: refused where locked */
			static const int zr[] = { R_F, R_S, R_C };
			int z = zr[(rnd >> 8) % 3];

			window_step(s, W_ZAP);
			ret = pnm_madvise(s->p, s->base[z], region_pages[z] * PG, MADV_DONTNEED);
			window_step(s, W_ZAP);
			if (ret == -EINVAL || (z == R_C && ret == -ENOMEM))
				ret = 0;	/* a locked VMA in the range; C unmapped */
			break;
		}
		case 5:		/* F shrinks and grows back */
			window_step(s, W_ZAP);
			ret = pnm_file_truncate(s->f, (int64_t)((rnd >> 8) % region_pages[R_F]) * PG);
			if (!ret)
				ret = pnm_file_truncate(s->f, (int64_t)region_pages[R_F] * PG);
			window_step(s, W_ZAP);
			break;
		case 6:		/* clean cache dropped: unmapped first, unless locked;
				 * then the deferred split queue: a THP partly
				 * mapped since P's COW copies (H) is split, its
				 * entries migration entries for a moment */
			window_step(s, W_ZAP);
			window_step(s, W_MIGRATE);
			(void)pnm_reclaim_pages(1 + (rnd >> 8) % 32, true);
			window_step(s, W_MIGRATE);
			window_step(s, W_ZAP);
			break;
		case 7:
		case 8:		/* migration: entries not present for a moment */
			window_step(s, W_MIGRATE);
			if (op == 7)
				ret = pnm_migrate_range(s->p, s->base[(rnd >> 8) % 4],
							region_pages[R_F] * PG,
							(rnd >> 12) & 1 ? PNM_ZONE_MOVABLE :
							PNM_ZONE_NORMAL);
			else if (pnm_compact_zone((rnd >> 8) & 1 ? PNM_ZONE_MOVABLE : PNM_ZONE_NORMAL,
						  0, NULL) == -EINVAL)
				ret = -EINVAL;
			window_step(s, W_MIGRATE);
			break;
		case 9:
			ret = pnm_file_fsync(s->f, 0, INT64_MAX, false);
			break;
		default:
			ret = pnm_writeback_run(false);
			break;
		}
		if (!storm_ok(ret))
			record_failure(s, "storm op %d: %ld", op, ret);
		s->storms++;
		pace_tick(s, i + 1 == quota);
	}
	return NULL;
}

/* --- rounds ------------------------------------------------------------------------- */

static void run_round(struct stress *s, unsigned long round)
{
	pthread_t th[NR_POP + 1];
	struct storm st = { .s = s, .seed = opt_seed * 0x100000001b3ULL + round * 131 };

	s->pace_done = 0;
	s->storm_over = false;
	for (int n = 0; n < NR_POP; n++) {
		s->pop[n].seed = opt_seed * 0x100000001b3ULL + round * 131 + (uint64_t)n + 1;
		assert_int_equal(pthread_create(&th[n], NULL, populater_fn, &s->pop[n]), 0);
	}
	assert_int_equal(pthread_create(&th[NR_POP], NULL, storm_fn, &st), 0);
	for (int n = 0; n <= NR_POP; n++)
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

/* The quiet model: nothing kept, nothing pinned, locks and data as their
 * owners left them. */
static void check_round(struct stress *s, long pins)
{
	char why[256] = "";

	CHECK_ALL();
	if (refs_check_all(&s->f, 1, (int64_t)region_pages[R_F] * PG, why, sizeof(why)))
		fail_msg("references: %s", why);
	assert_int_equal(stat_of("nr_foll_pin_acquired"), pins);
	assert_int_equal(pnm_pin_registry_count(-1), 0);
	for (int n = 0; n < NR_POP; n++) {
		struct populater *p = &s->pop[n];

		for (int r = 0; r < NR_OWNED; r++) {
			for (unsigned long i = 0; i < half_pages(r); i++) {
				unsigned long page = half_first(p, r) + i;
				unsigned long addr = s->base[r] + page * PG;
				bool locked = flags_at(s->p, addr) & PNM_VM_LOCKED;
				uint64_t got;

				if (locked != p->locked[r][i])
					fail_msg("%s page %lu: VM_LOCKED %d, populater %d left %d",
						 region_name[r], page, locked, n, p->locked[r][i]);
				/* Locked memory stays: reclaim and DONTNEED leave it
				 * (F's may be truncated away). */
				if (locked && r != R_F && !present(s->p, addr, false))
					fail_msg("%s page %lu: locked but not present", region_name[r],
						 page);
				if (r == R_F)
					continue;
				assert_int_equal(pnm_user_read(s->p, addr, &got, sizeof(got)), 0);
				if (got != p->val[r][i])
					fail_msg("%s page %lu: %#llx, populater %d stored %#llx",
						 region_name[r], page, (unsigned long long)got, n,
						 (unsigned long long)p->val[r][i]);
			}
		}
	}
	CHECK_ALL();
}

static void setup(struct stress *s)
{
	static char zero[32 * PG];
	long m;

	s->p = test_task_create("P");
	s->f = test_open(PNM_FS_DISK, "stress-populate");
	assert_int_equal(pnm_file_write(s->f, zero, region_pages[R_F] * PG, 0),
			 (ssize_t)(region_pages[R_F] * PG));
	s->base[R_A] = test_mmap(s->p, region_pages[R_A] * PG, RW, PRIV);
	m = pnm_mmap(s->p, 0, 2 * HPAGE, RW, PRIV, NULL, 0);
	assert_true(m > 0);
	s->base[R_H] = ALIGN((unsigned long)m, HPAGE);
	assert_int_equal(pnm_madvise(s->p, s->base[R_H], HPAGE, MADV_HUGEPAGE), 0);
	m = pnm_mmap(s->p, 0, region_pages[R_F] * PG, RW, MAP_SHARED, s->f, 0);
	assert_true(m > 0);
	s->base[R_F] = (unsigned long)m;
	s->base[R_S] = test_mmap(s->p, region_pages[R_S] * PG, RW, MAP_SHARED | MAP_ANONYMOUS);
	s->base[R_C] = test_mmap(s->p, region_pages[R_C] * PG, RW, PRIV);
	pthread_mutex_init(&s->pace_lock, NULL);
	pthread_cond_init(&s->pace_cond, NULL);
	for (int n = 0; n < NR_POP; n++) {
		s->pop[n].s = s;
		s->pop[n].id = n;
		s->pop[n].resv = test_mmap(s->p, MAX_EXTRA * PG, RW, PRIV);
	}
	for (int n = 0; n < NR_POP; n++)
		assert_int_equal(pnm_munmap(s->p, s->pop[n].resv, MAX_EXTRA * PG), 0);
	/* The THP is there to be populated whole. */
	assert_int_equal(pnm_madvise(s->p, s->base[R_H], PG, MADV_POPULATE_WRITE), 0);
	{
		struct pnm_page_info pi = { .size = sizeof(pi) };

		assert_int_equal(pnm_task_page_info(s->p, s->base[R_H], &pi), 0);
		assert_true(pi.flags & PNM_PAGE_MAP_PMD);
	}
	CHECK_ALL();
}

static void stress_populate(void **state)
{
	struct stress *s = calloc(1, sizeof(*s));
	long pins = stat_of("nr_foll_pin_acquired"), ops = 0, populated = 0, locks = 0,
	     extras = 0, errs = 0;

	(void)state;
	assert_non_null(s);
	setup(s);
	for (unsigned long round = 0; round < opt_rounds; round++) {
		run_round(s, round);
		check_round(s, pins);
	}
	for (int n = 0; n < NR_POP; n++) {
		ops += s->pop[n].ops;
		populated += s->pop[n].populated;
		locks += s->pop[n].locks;
		extras += s->pop[n].extras;
		errs += s->pop[n].errors_in_windows;
	}
	print_message("stress_populate: %lu rounds, %ld populater ops (%ld pages populated, "
		      "%ld mlock/munlock, %ld MAP_POPULATE regions, %ld errors inside a window), "
		      "%ld storm ops (%ld forks)\n", opt_rounds, ops, populated, locks, extras, errs,
		      s->storms, s->forks);
	assert_int_equal(ops, (long)(NR_POP * opt_ops * opt_rounds));
	assert_int_equal(s->storms, (long)((opt_ops / OPS_PER_STORM + 1) * opt_rounds));
	assert_true(populated > 0 && locks > 0 && extras > 0 && s->forks > 0);
	pnm_file_close(s->f);
	pthread_cond_destroy(&s->pace_cond);
	pthread_mutex_destroy(&s->pace_lock);
	free(s);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(stress_populate, pnm_test_setup, pnm_test_teardown),
	};

	test_stress_params("stress_populate", argc > 2 ? 3 : argc, argv, &opt_seed, &opt_ops);
	if (argc > 3)
		opt_rounds = strtoul(argv[3], NULL, 0);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
