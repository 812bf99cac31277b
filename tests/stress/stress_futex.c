// SPDX-License-Identifier: MIT
/*
 * stress_futex.c - futex keys (pinmm/futex.h, the struct-page-only call
 * site: get a page, look at its struct page, put it back) while the
 * processes fault, fork, munmap, mprotect, truncate, migrate, reclaim and
 * write back under them.
 *
 * Process P maps
 *   A  private anon, 32 pages        key (P's mm, address)
 *   F  a disk file, 16 pages, shared key (F's inode, offset); also mapped
 *                                    by Q at another address
 *   S  shared anon (shmem), 8 pages  key (its inode, offset); shared with
 *                                    P's fork children
 *   M  a shmem file, 8 pages, shared key (M's inode, offset); also Q's
 *   C  private anon, 16 pages        churn: unmapped and mapped again
 * and Q maps F and M at other addresses (after a padding mapping).
 *
 * Keyer threads (3) take keys of random words of every region, through P
 * or Q, with a random flag (none, PNM_FUTEX_READ, PNM_FUTEX_PRIVATE), and
 * compare each with the key the word must have: which key is fixed by
 * the region and the offset alone, whatever happens to the pages, so a
 * wrong inode, offset or address space is caught on the spot.  The storm
 * thread meanwhile forks P (the child takes keys of its own: shared
 * regions equal to P's, private ones not), write-protects part of A and
 * all of Q's view of F for a moment, truncates F and grows it back,
 * unmaps C and maps it again, MADV_DONTNEEDs, migrates, compacts,
 * reclaims and writes back.  The changes that make a key fail are done
 * inside windows counted by a generation number (odd while open): a key
 * may fail (-EFAULT; -EAGAIN for the truncate race) only if a window of
 * its kind opened or was open while it was taken; every other key must
 * succeed and be exact.
 *
 * The storm has a quota per round and the keyers are paced by its
 * progress (their i-th key waits, on a condition variable, for i / 16 of
 * its operations).  After each round the threads join and, in the quiet
 * model: every
 * invariant (pnm_check_system()); every word's key again through P, Q
 * and a fresh fork child -- shared keys equal across the processes,
 * private ones different; nothing pinned and no reference kept
 * (stress_refs.h: each folio's refcount is exactly its mappings plus its
 * cache's); the invariants again.
 *
 *   stress_futex [seed [keys-per-thread-per-round [rounds]]]
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
#include <pinmm/futex.h>

#define PG		PNM_PAGE_SIZE
#define RW		(PROT_READ | PROT_WRITE)
#define NR_KEYERS	3
#define KEYS_PER_STORM	16	/* keys per keyer per storm operation */

enum { R_A, R_F, R_S, R_M, R_C, NR_REGIONS };
static const unsigned long region_pages[NR_REGIONS] = { 32, 16, 8, 8, 16 };
static const char *const region_name[NR_REGIONS] = { "A", "F", "S", "M", "C" };

/* The windows: changes during which a key may fail. */
enum { W_PROT, W_TRUNC, W_CHURN, NR_WINDOWS };

#ifdef PNM_TSAN
#define DEFAULT_OPS	1200
#else
#define DEFAULT_OPS	6000
#endif

static uint64_t opt_seed = 0x667574;
static unsigned long opt_ops = DEFAULT_OPS;
static unsigned long opt_rounds = 4;

struct stress {
	struct task_struct *p, *q;
	struct file *f, *m;
	unsigned long base[NR_REGIONS];		/* P's addresses */
	unsigned long q_f, q_m;			/* Q's views of F and M */
	unsigned long ino[NR_REGIONS];		/* shared regions' inodes */
	unsigned long mm_p, mm_q;		/* the address spaces' key words */
	unsigned long window[NR_WINDOWS];	/* generations; __atomic */
	/* The pace: storm operations done this round, and whether the storm
	 * is over. */
	pthread_mutex_t pace_lock;
	pthread_cond_t pace_cond;
	unsigned long pace_done;		/* pace_lock */
	bool storm_over;			/* pace_lock */
	int failures;				/* __atomic */
	char what[256];				/* by the first failure */
	long keys, keys_failed, storms, forks, child_keys;	/* __atomic */
};

struct worker {
	struct stress *s;
	int id;
	uint64_t seed;
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

/*
 * The pace.  The storm's operations are the slow ones: it has a quota of
 * opt_ops / KEYS_PER_STORM + 1 per round and never waits; a keyer's i-th
 * key waits until the storm has done i / KEYS_PER_STORM operations (or is
 * over), so the keys are spread over the whole storm however the threads
 * are scheduled.  A condition variable, no sleeps.
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

static void count(long *c, long n)
{
	__atomic_add_fetch(c, n, __ATOMIC_RELAXED);
}

/* Sequentially consistent, as the window test needs: a key that saw a
 * change made inside a window reads, afterwards, a generation past the
 * window's opening. */
static unsigned long window_read(struct stress *s, int w)
{
	return __atomic_load_n(&s->window[w], __ATOMIC_SEQ_CST);
}

static void window_step(struct stress *s, int w)
{
	__atomic_add_fetch(&s->window[w], 1, __ATOMIC_SEQ_CST);
}

/* Snapshot of every window around one key. */
struct windows {
	unsigned long g[NR_WINDOWS];
};

static void windows_read(struct stress *s, struct windows *w)
{
	for (int i = 0; i < NR_WINDOWS; i++)
		w->g[i] = window_read(s, i);
}

/* Was window @w open at some time between @a and @b? */
static bool window_crossed(const struct windows *a, const struct windows *b, int w)
{
	return a->g[w] != b->g[w] || (a->g[w] & 1);
}

/* Which task a key is taken through. */
enum { VIA_P, VIA_Q, VIA_CHILD };

/* The address of @r's page @page + @off in the view of @via (NULL: Q
 * does not map @r). */
static bool addr_of(struct stress *s, int via, int r, unsigned long page, unsigned long off,
		    unsigned long *addr)
{
	unsigned long base = s->base[r];

	if (via == VIA_Q) {
		if (r == R_F)
			base = s->q_f;
		else if (r == R_M)
			base = s->q_m;
		else
			return false;
	}
	*addr = base + page * PG + off;
	return true;
}

/* The key the word must have. */
static struct pnm_futex_key expected_key(struct stress *s, unsigned long mm_word, int r,
					 unsigned long addr, unsigned long page,
					 unsigned long off, unsigned int flags)
{
	struct pnm_futex_key k = { .type = PNM_FUTEX_KEY_PRIVATE, .word = mm_word, .offset = addr };

	if (!(flags & PNM_FUTEX_PRIVATE) && (r == R_F || r == R_S || r == R_M)) {
		k.type = PNM_FUTEX_KEY_SHARED;
		k.word = s->ino[r];
		k.offset = page * PG + off;
	}
	return k;
}

/*
 * May a key of region @r taken through @via with @flags fail with @err,
 * given the windows around it?
 */
static bool key_error_ok(int via, int r, unsigned int flags, int err, const struct windows *a,
			 const struct windows *b)
{
	if (flags & PNM_FUTEX_PRIVATE)
		return false;		/* no page: nothing to fail */
	switch (r) {
	case R_A:	/* part of A write-protected: an anon page read-only */
		return err == -EFAULT && window_crossed(a, b, W_PROT);
	case R_F:	/* beyond the end for a moment; Q's view read-only */
		if (window_crossed(a, b, W_TRUNC) && (err == -EFAULT || err == -EAGAIN))
			return true;
		return err == -EFAULT && via == VIA_Q && !(flags & PNM_FUTEX_READ) &&
		       window_crossed(a, b, W_PROT);
	case R_C:	/* unmapped for a moment */
		return err == -EFAULT && window_crossed(a, b, W_CHURN);
	default:
		return false;
	}
}

static const unsigned int flag_choice[] = { 0, 0, PNM_FUTEX_READ, PNM_FUTEX_PRIVATE };

static void *keyer_fn(void *arg)
{
	struct worker *w = arg;
	struct stress *s = w->s;

	for (unsigned long i = 0; i < opt_ops; i++) {
		uint64_t rnd = test_rand(&w->seed);
		int r = (int)(rnd % NR_REGIONS);
		unsigned long page = (rnd >> 8) % region_pages[r];
		unsigned long off = 4 * ((rnd >> 20) % (PG / 4));
		unsigned int flags = flag_choice[(rnd >> 40) % 4];
		int via = (rnd >> 44) & 1 ? VIA_Q : VIA_P;
		struct pnm_futex_key k, want;
		struct windows before, after;
		unsigned long addr;
		int err;

		pace_wait(s, i / KEYS_PER_STORM);
		if (!addr_of(s, via, r, page, off, &addr)) {
			via = VIA_P;
			addr_of(s, via, r, page, off, &addr);
		}
		memset(&k, 0x5a, sizeof(k));
		windows_read(s, &before);
		err = pnm_get_futex_key(via == VIA_P ? s->p : s->q, addr, flags, &k);
		windows_read(s, &after);
		count(&s->keys, 1);
		if (err) {
			count(&s->keys_failed, 1);
			if (!key_error_ok(via, r, flags, err, &before, &after))
				record_failure(s, "keyer %d: %s page %lu+%lu via %s flags %#x: %d", w->id,
					       region_name[r], page, off, via == VIA_P ? "P" : "Q",
					       flags, err);
			continue;
		}
		want = expected_key(s, via == VIA_P ? s->mm_p : s->mm_q, r, addr, page, off, flags);
		if (!pnm_futex_key_equal(&k, &want))
			record_failure(s, "keyer %d: %s page %lu+%lu via %s flags %#x: key (%d, %#lx, "
				       "%#lx), want (%d, %#lx, %#lx)", w->id, region_name[r], page, off,
				       via == VIA_P ? "P" : "Q", flags, (int)k.type, k.word, k.offset,
				       (int)want.type, want.word, want.offset);
	}
	return NULL;
}

/*
 * A fork child of P takes keys of one word of every region: shared ones
 * equal to P's, private ones its own (its address space, not P's).
 * @quiet: nothing else runs, every key must succeed.  Returns keys taken.
 */
static long child_keys(struct stress *s, struct task_struct *c, uint64_t *seed, bool quiet)
{
	struct pnm_futex_key mine, kc, kp;
	long n = 0;

	if (pnm_get_futex_key(c, s->base[R_A], PNM_FUTEX_PRIVATE, &mine)) {
		record_failure(s, "child: private key failed");
		return 0;
	}
	if (mine.word == s->mm_p)
		record_failure(s, "child: its private key names P's address space");
	for (int r = 0; r < NR_REGIONS; r++) {
		unsigned long page = test_rand(seed) % region_pages[r];
		unsigned long addr = s->base[r] + page * PG + 4 * (test_rand(seed) % (PG / 4));
		int ec = pnm_get_futex_key(c, addr, 0, &kc);
		int ep = pnm_get_futex_key(s->p, addr, 0, &kp);

		n += 2;
		if (ec || ep) {
			/* The storm thread opens every window and is here, so
			 * none is open: no key may fail. */
			record_failure(s, "child: %s page %lu: child %d, P %d%s", region_name[r], page,
				       ec, ep, quiet ? " (quiet)" : "");
			continue;
		}
		if (r == R_A || r == R_C) {
			if (kc.type != PNM_FUTEX_KEY_PRIVATE || kc.word != mine.word ||
			    pnm_futex_key_equal(&kc, &kp))
				record_failure(s, "child: private %s page %lu: key (%d, %#lx) equals P's"
					       " or is not the child's", region_name[r], page,
					       (int)kc.type, kc.word);
		} else if (kc.type != PNM_FUTEX_KEY_SHARED || !pnm_futex_key_equal(&kc, &kp)) {
			record_failure(s, "child: shared %s page %lu: child (%d, %#lx, %#lx), P (%d, "
				       "%#lx, %#lx)", region_name[r], page, (int)kc.type, kc.word,
				       kc.offset, (int)kp.type, kp.word, kp.offset);
		}
	}
	return n;
}

static bool storm_ok(long ret)
{
	return ret >= 0 || ret == -EBUSY || ret == -EAGAIN || ret == -ENOMEM;
}

static void *storm_fn(void *arg)
{
	struct worker *w = arg;
	struct stress *s = w->s;
	unsigned long quota = opt_ops / KEYS_PER_STORM + 1;

	for (unsigned long i = 0; i < quota; i++) {
		uint64_t rnd = test_rand(&w->seed);
		unsigned long page = (rnd >> 16) % (region_pages[R_A] - 4);
		struct task_struct *c;
		long ret = 0;
		int op = (int)(rnd % 12);

		switch (op) {
		case 0:
		case 1:		/* fork; the child's keys */
			ret = pnm_task_fork(s->p, "child", &c);
			if (!ret) {
				count(&s->child_keys, child_keys(s, c, &w->seed, false));
				pnm_task_exit(c);
				pnm_task_put(c);
				count(&s->forks, 1);
			}
			break;
		case 2:		/* write-protect: A's anon pages, Q's view of F */
			window_step(s, W_PROT);
			ret = pnm_mprotect(s->p, s->base[R_A] + page * PG, 4 * PG, PROT_READ);
			if (!ret)
				ret = pnm_mprotect(s->q, s->q_f, region_pages[R_F] * PG, PROT_READ);
			if (!ret)
				ret = pnm_mprotect(s->q, s->q_f, region_pages[R_F] * PG, RW);
			if (!ret)
				ret = pnm_mprotect(s->p, s->base[R_A] + page * PG, 4 * PG, RW);
			window_step(s, W_PROT);
			break;
		case 3:		/* F shrinks (its pages leave the cache) and grows back */
			window_step(s, W_TRUNC);
			ret = pnm_file_truncate(s->f, (int64_t)(page % region_pages[R_F]) * PG);
			if (!ret)
				ret = pnm_file_truncate(s->f, (int64_t)region_pages[R_F] * PG);
			window_step(s, W_TRUNC);
			break;
		case 4:		/* C unmapped and mapped again */
			window_step(s, W_CHURN);
			ret = pnm_munmap(s->p, s->base[R_C], region_pages[R_C] * PG);
			if (!ret) {
				ret = pnm_mmap(s->p, s->base[R_C], region_pages[R_C] * PG, RW,
					       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, NULL, 0);
				if (ret == (long)s->base[R_C])
					ret = 0;
				else if (!ret)
					ret = -EINVAL;
			}
			window_step(s, W_CHURN);
			break;
		case 5:		/* zap: the next key faults the page in again */
			ret = pnm_madvise(s->p, s->base[(rnd >> 8) & 1 ? R_A : R_S],
					  region_pages[R_S] * PG, MADV_DONTNEED);
			if (!ret)
				ret = pnm_madvise(s->p, s->base[R_F], region_pages[R_F] * PG,
						  MADV_DONTNEED);
			break;
		case 6:		/* migration: keys name no frame */
			ret = pnm_migrate_range(s->p, s->base[(rnd >> 8) & 1 ? R_A : R_F],
						region_pages[R_F] * PG,
						(rnd >> 9) & 1 ? PNM_ZONE_MOVABLE : PNM_ZONE_NORMAL);
			break;
		case 7:
			ret = pnm_compact_zone((rnd >> 8) & 1 ? PNM_ZONE_MOVABLE : PNM_ZONE_NORMAL, 0,
					       NULL);
			if (ret == -EAGAIN)
				ret = 0;
			break;
		case 8:		/* clean cache pages dropped, unmapped first */
			(void)pnm_reclaim_pages(8, true);
			break;
		case 9:
			ret = pnm_file_fsync(s->f, 0, INT64_MAX, false);
			break;
		case 10:	/* dirty F through the CPU, then a writeback pass */
			ret = pnm_user_write(s->q, s->q_f + page % region_pages[R_F] * PG, &rnd, 8);
			(void)pnm_writeback_run(false);
			break;
		default:	/* P's private keys need no page: M zapped */
			ret = pnm_madvise(s->q, s->q_m, region_pages[R_M] * PG, MADV_DONTNEED);
			break;
		}
		if (!storm_ok(ret))
			record_failure(s, "storm op %d: %ld", op, ret);
		count(&s->storms, 1);
		pace_tick(s, i + 1 == quota);
	}
	return NULL;
}

static void run_round(struct stress *s, unsigned long round)
{
	pthread_t th[NR_KEYERS + 1];
	struct worker w[NR_KEYERS + 1];

	s->pace_done = 0;
	s->storm_over = false;
	for (int n = 0; n <= NR_KEYERS; n++) {
		w[n].s = s;
		w[n].id = n;
		w[n].seed = opt_seed * 0x100000001b3ULL + round * 131 + (uint64_t)n + 1;
		assert_int_equal(pthread_create(&th[n], NULL, n < NR_KEYERS ? keyer_fn : storm_fn,
						&w[n]), 0);
	}
	for (int n = 0; n <= NR_KEYERS; n++)
		assert_int_equal(pthread_join(th[n], NULL), 0);
	/* gup-fast walked tables that munmap freed: let those frees run. */
	pnm_rcu_barrier();
	if (__atomic_load_n(&s->failures, __ATOMIC_SEQ_CST))
		fail_msg("round %lu: %d failures, first: %s", round, s->failures, s->what);
}

/* The quiet model: every key exact, shared keys equal across the
 * processes, private ones not; nothing kept. */
static void check_round(struct stress *s, uint64_t *seed)
{
	struct file *files[] = { s->f, s->m };
	struct task_struct *c;
	char why[256] = "";

	CHECK_ALL();
	c = test_fork(s->p);
	for (int r = 0; r < NR_REGIONS; r++) {
		for (unsigned long page = 0; page < region_pages[r]; page++) {
			unsigned long off = 4 * (test_rand(seed) % (PG / 4)), addr;
			struct pnm_futex_key kp, kq, kc, want;

			assert_true(addr_of(s, VIA_P, r, page, off, &addr));
			assert_int_equal(pnm_get_futex_key(s->p, addr, 0, &kp), 0);
			assert_int_equal(pnm_get_futex_key(c, addr, 0, &kc), 0);
			want = expected_key(s, s->mm_p, r, addr, page, off, 0);
			if (!pnm_futex_key_equal(&kp, &want))
				fail_msg("%s page %lu: P's key (%d, %#lx, %#lx)", region_name[r], page,
					 (int)kp.type, kp.word, kp.offset);
			if (pnm_futex_key_equal(&kp, &kc) != (want.type == PNM_FUTEX_KEY_SHARED))
				fail_msg("%s page %lu: P's and the child's keys %s", region_name[r],
					 page, want.type == PNM_FUTEX_KEY_SHARED ? "differ" : "are equal");
			if (addr_of(s, VIA_Q, r, page, off, &addr)) {
				assert_int_equal(pnm_get_futex_key(s->q, addr, 0, &kq), 0);
				if (!pnm_futex_key_equal(&kp, &kq))
					fail_msg("%s page %lu: P's and Q's keys differ", region_name[r],
						 page);
			}
			/* FUTEX_PRIVATE_FLAG: never equal across processes. */
			assert_int_equal(pnm_get_futex_key(s->p, s->base[r] + page * PG + off,
							   PNM_FUTEX_PRIVATE, &kp), 0);
			assert_int_equal(pnm_get_futex_key(c, s->base[r] + page * PG + off,
							   PNM_FUTEX_PRIVATE, &kc), 0);
			assert_false(pnm_futex_key_equal(&kp, &kc));
		}
	}
	assert_true(child_keys(s, c, seed, true) > 0);
	assert_int_equal(s->failures, 0);
	/* Every key put its page back: no pin, no reference beyond the
	 * mappings and the caches (the child's included). */
	assert_int_equal(pnm_pin_registry_count(-1), 0);
	if (refs_check_all(files, 2, (int64_t)region_pages[R_F] * PG, why, sizeof(why)))
		fail_msg("references: %s", why);
	pnm_task_exit(c);
	pnm_task_put(c);
	CHECK_ALL();
}

static unsigned long map_file(struct task_struct *t, struct file *f, unsigned long pages)
{
	long a = pnm_mmap(t, 0, pages * PG, RW, MAP_SHARED, f, 0);

	assert_true(a > 0);
	return (unsigned long)a;
}

static void setup(struct stress *s)
{
	struct pnm_file_info fi = { .size = sizeof(fi) };
	struct pnm_futex_key k;
	static char zero[16 * PG];

	pthread_mutex_init(&s->pace_lock, NULL);
	pthread_cond_init(&s->pace_cond, NULL);
	s->p = test_task_create("P");
	s->q = test_task_create("Q");
	s->f = test_open(PNM_FS_DISK, "stress-futex");
	assert_int_equal(pnm_file_write(s->f, zero, region_pages[R_F] * PG, 0),
			 (ssize_t)(region_pages[R_F] * PG));
	assert_int_equal(pnm_shmem_file_create("stress-futex-m", (int64_t)region_pages[R_M] * PG,
					       &s->m), 0);
	s->base[R_A] = test_mmap(s->p, region_pages[R_A] * PG, RW, MAP_PRIVATE | MAP_ANONYMOUS);
	s->base[R_F] = map_file(s->p, s->f, region_pages[R_F]);
	s->base[R_S] = test_mmap(s->p, region_pages[R_S] * PG, RW, MAP_SHARED | MAP_ANONYMOUS);
	s->base[R_M] = map_file(s->p, s->m, region_pages[R_M]);
	s->base[R_C] = test_mmap(s->p, region_pages[R_C] * PG, RW, MAP_PRIVATE | MAP_ANONYMOUS);
	/* Q's views sit elsewhere: the shared keys must not depend on it. */
	(void)test_mmap(s->q, 5 * PG, RW, MAP_PRIVATE | MAP_ANONYMOUS);
	s->q_m = map_file(s->q, s->m, region_pages[R_M]);
	s->q_f = map_file(s->q, s->f, region_pages[R_F]);
	assert_true(s->q_f != s->base[R_F] && s->q_m != s->base[R_M]);

	assert_int_equal(pnm_get_file_info(s->f, &fi), 0);
	s->ino[R_F] = fi.ino;
	assert_int_equal(pnm_get_file_info(s->m, &fi), 0);
	s->ino[R_M] = fi.ino;
	assert_int_equal(pnm_get_futex_key(s->p, s->base[R_S], 0, &k), 0);
	assert_int_equal(k.type, PNM_FUTEX_KEY_SHARED);
	s->ino[R_S] = k.word;
	assert_int_equal(pnm_get_futex_key(s->p, s->base[R_A], PNM_FUTEX_PRIVATE, &k), 0);
	s->mm_p = k.word;
	assert_int_equal(pnm_get_futex_key(s->q, s->q_f, PNM_FUTEX_PRIVATE, &k), 0);
	s->mm_q = k.word;
	assert_true(s->mm_p != s->mm_q);
	CHECK_ALL();
}

static void stress_futex(void **state)
{
	struct stress *s = calloc(1, sizeof(*s));
	uint64_t check_seed = opt_seed ^ 0xc0ffee;

	(void)state;
	assert_non_null(s);
	setup(s);
	for (unsigned long round = 0; round < opt_rounds; round++) {
		run_round(s, round);
		check_round(s, &check_seed);
	}
	print_message("stress_futex: %lu rounds, %ld keys (%ld failed inside a window), %ld "
		      "storm ops, %ld forks with %ld child keys\n", opt_rounds, s->keys,
		      s->keys_failed, s->storms, s->forks, s->child_keys);
	assert_int_equal(s->keys, (long)(NR_KEYERS * opt_ops * opt_rounds));
	assert_int_equal(s->storms, (long)((opt_ops / KEYS_PER_STORM + 1) * opt_rounds));
	pnm_file_close(s->f);
	pnm_file_close(s->m);
	pthread_cond_destroy(&s->pace_cond);
	pthread_mutex_destroy(&s->pace_lock);
	free(s);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(stress_futex, pnm_test_setup, pnm_test_teardown),
	};

	test_stress_params("stress_futex", argc > 2 ? 3 : argc, argv, &opt_seed, &opt_ops);
	if (argc > 3)
		opt_rounds = strtoul(argv[3], NULL, 0);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
