// SPDX-License-Identifier: MIT
/*
 * stress_memfd_pin.c - memfd_pin_folios() racing truncate, ftruncate,
 * hole punches, seals, writes and mappings of the same memfd.
 *
 * The test runs EPOCHS epochs, each on a fresh memfd of up to MAXP pages
 * created with MFD_ALLOW_SEALING (seals only accumulate, so every epoch
 * starts unsealed).  Threads of an epoch:
 *
 *   pinners (2)  memfd_pin_folios() of a random byte range [start, end]
 *                with a random max_folios; on success check the folios
 *                (contiguous indices from start's page, *offset, one pin
 *                each, in ZONE_NORMAL: long-term), let the device write a
 *                stamp into each through pnm_dma_write() at the pinner's
 *                own bytes and read it back, and release them with
 *                unpin_folios(), or one by one with unpin_folio();
 *                -EINVAL is allowed only if the range reached past the
 *                size at some point (a shrink raced the call), -ENOMEM
 *                only as a migration meeting a transient reference
 *                (counted);
 *   truncator    ftruncate to a random size (2 KiB multiples), punch a
 *                random hole, fallocate: -EPERM only when a seal says so
 *                (SHRINK / GROW / WRITE / FUTURE_WRITE, checked against
 *                the seals read before and after the call);
 *   sealer       F_ADD_SEALS of a random seal SEAL_ATTEMPTS times per
 *                epoch, paced by the first pinner's progress (F_SEAL_WRITE
 *                may be -EBUSY: a mapping or a pin stands in the way);
 *                F_GET_SEALS never loses a seal; while it tries
 *                F_SEAL_WRITE, an mmap that may write is -EPERM even if
 *                the seal then fails, as in Linux;
 *   mapper       mmap MAP_SHARED read-write (-EPERM once write-sealed:
 *                then read-only), writes and reads its own 8 bytes of a
 *                random page (-EFAULT past the end of the file), and
 *                pins a page through the mapping now and then
 *                (pin_user_pages_fast, FOLL_WRITE | FOLL_LONGTERM:
 *                allowed on shmem), munmap;
 *   writer       pwrite of a stamp into its own bytes (-EPERM under the
 *                write seals, or GROW past the end).
 *
 * Every thread writes only its own bytes of a page (pinner k: 64 + 8k,
 * mapper: 128, writer: 192), below 2 KiB, so sizes and holes of 2 KiB
 * multiples never zero bytes a thread wrote and is about to read back
 * (holes end on page boundaries: one ending inside a page would zero
 * its first half):
 * a read-back is the stamp or zero (truncated or punched meanwhile, for
 * the CPU and write(2) paths; never for a pinned folio, which the device
 * reads through the pin even when truncated).
 * After each epoch, quiescent: no pin left, acquired == released, no
 * misuse report, no truncated folio alive, the checkers pass, and a
 * scripted check: whole-file pins make F_SEAL_WRITE -EBUSY until they are
 * released.
 *
 * Usage: stress_memfd_pin [seed [iterations]], or PINMM_STRESS_SEED and
 * PINMM_STRESS_ITERS (the arguments win).  Seeded and bounded: per epoch
 * each thread has iterations / EPOCHS as its quota (the truncator 1/8 of
 * it; the sealer paces itself); a thread that is done keeps going until
 * all are.
 */
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_util.h"
#include "pinmm_test_internal.h"

#define PG		PAGE_SIZE
#define HALF		(PAGE_SIZE / 2)
#define RW		(PROT_READ | PROT_WRITE)
#define MAXP		32		/* pages */
#define EPOCHS		8
#define NR_PINNERS	2
#define NR_THREADS	(NR_PINNERS + 4)
#define MAX_FOLIOS	MAXP
#define SEAL_ATTEMPTS	12		/* per epoch */

#ifdef PNM_TSAN
#define DEFAULT_ITERS	16000
#else
#define DEFAULT_ITERS	80000
#endif

static uint64_t seed = 0x3e3f0d1e;
static unsigned long nr_iters = DEFAULT_ITERS;

struct shared {
	struct task_struct *app;
	struct file *f;
	unsigned long quota;		/* per thread, this epoch */
	atomic_t pending;		/* threads short of their quota */
	atomic_t failures;
	atomic_t first_error;
	atomic_long_t pins, folios, einval, enomem, eperm, ebusy, efault, seals_added;
	/* Odd while the sealer tries F_SEAL_WRITE: writable mappings are
	 * denied for that while (-EPERM for an mmap), even if it fails. */
	atomic_t write_seal_seq;
	/* Odd while the truncator changes the size; each change adds 2. */
	atomic_t size_seq;
	atomic_long_t progress;		/* the first pinner's iterations */
	pthread_barrier_t start;
};

static void record_failure(struct shared *sh, int code)
{
	if (atomic_inc_return(&sh->failures) == 1)
		fprintf(stderr, "stress_memfd_pin: first failure %d\n", code);
	atomic_cmpxchg(&sh->first_error, 0, code);
}

/* As stress_truncate: run iteration @iter of @quota? */
static bool keep_going(struct shared *sh, unsigned long iter, unsigned long quota)
{
	/* Release: pairs with the acquire read of the others. */
	if (iter == quota + 1)
		atomic_sub_return(1, &sh->pending);
	return iter <= quota || atomic_read_acquire(&sh->pending) > 0;
}

static unsigned int get_seals(struct shared *sh)
{
	int s = pnm_file_fcntl(sh->f, PNM_F_GET_SEALS, 0);

	if (s < 0)
		record_failure(sh, 10);
	return s < 0 ? 0 : (unsigned int)s;
}

static uint64_t stamp(int who, unsigned long iter)
{
	return ((uint64_t)(0xb0 + who) << 56) | iter;
}

struct worker {
	struct shared *sh;
	int id;
	uint64_t rng;
	pthread_t thread;
};

/* --- pinners -------------------------------------------------------------------- */

static void check_pinned(struct shared *sh, struct worker *w, struct folio **folios, long n,
			 int64_t start, unsigned long off, unsigned long iter)
{
	size_t at = 64 + 8 * (size_t)w->id;
	struct page *pages[MAX_FOLIOS];
	uint64_t v = stamp(w->id, iter), seen;

	if (off != (unsigned long)(start & (int64_t)(PG - 1)))
		record_failure(sh, 100);
	for (long i = 0; i < n; i++) {
		struct folio *folio = folios[i];

		pages[i] = &folio->page;
		if (folio->index != (unsigned long)(start >> PAGE_SHIFT) + (unsigned long)i)
			record_failure(sh, 101);
		if (!folio_maybe_dma_pinned(folio))
			record_failure(sh, 102);
		if (page_zonenum(&folio->page) != ZONE_NORMAL)
			record_failure(sh, 103);
	}
	/* The device: a stamp into every folio (its own bytes), read back
	 * through the pin -- also from a folio truncated meanwhile. */
	for (long i = 0; i < n; i++) {
		if (pnm_dma_write(pages + i, 1, at, &v, sizeof(v)))
			record_failure(sh, 104);
		seen = 0;
		if (pnm_dma_read(pages + i, 1, at, &seen, sizeof(seen)) || seen != v)
			record_failure(sh, 105);
	}
}

static void *pinner_main(void *arg)
{
	struct worker *w = arg;
	struct shared *sh = w->sh;
	struct folio *folios[MAX_FOLIOS];

	pthread_barrier_wait(&sh->start);
	for (unsigned long iter = 1; keep_going(sh, iter, sh->quota); iter++) {
		uint64_t r = test_rand(&w->rng);
		int64_t start = (int64_t)((r >> 8) % (MAXP * PG));
		int64_t end = start + (int64_t)((r >> 24) % (8 * PG));
		unsigned int max = 1 + (unsigned int)((r >> 40) % MAX_FOLIOS);
		int seq = atomic_read(&sh->size_seq);
		int64_t size_before = pnm_file_size(sh->f), size_after;
		unsigned long off = ~0UL;
		long n;

		if (!w->id)
			atomic_long_inc(&sh->progress);
		n = memfd_pin_folios(sh->f, start, end, folios, max, &off);
		size_after = pnm_file_size(sh->f);
		if (n == -EINVAL) {
			atomic_long_inc(&sh->einval);
			/* Only a range past the end, before or during the
			 * call: a size that changed and came back (shrunk
			 * and regrown meanwhile) may have been it. */
			if (end < size_before && end < size_after && !(seq & 1) &&
			    atomic_read(&sh->size_seq) == seq)
				record_failure(sh, 110);
			continue;
		}
		if (n == -ENOMEM) {
			atomic_long_inc(&sh->enomem);
			continue;
		}
		if (n <= 0 || n > max || n > (end >> PAGE_SHIFT) - (start >> PAGE_SHIFT) + 1) {
			record_failure(sh, 111 + (int)(n < 0 ? -n * 10 : 0));
			continue;
		}
		atomic_long_inc(&sh->pins);
		atomic_long_add(n, &sh->folios);
		check_pinned(sh, w, folios, n, start, off, iter);
		if (r & 1) {
			unpin_folios(folios, (unsigned long)n);
		} else {
			for (long i = 0; i < n; i++)
				unpin_folio(folios[i]);
		}
	}
	return NULL;
}

/* --- the truncator ---------------------------------------------------------- */

static void *truncator_main(void *arg)
{
	struct worker *w = arg;
	struct shared *sh = w->sh;
	unsigned long quota = sh->quota / 8 ? sh->quota / 8 : 1;

	pthread_barrier_wait(&sh->start);
	for (unsigned long iter = 1; keep_going(sh, iter, quota); iter++) {
		uint64_t r = test_rand(&w->rng);
		int64_t a = (int64_t)((r >> 8) % (2 * MAXP + 1)) * (int64_t)HALF;
		int64_t len = (int64_t)(1 + (r >> 24) % 16) * (int64_t)HALF;
		unsigned int s0 = get_seals(sh), s1;
		int err = 0, what = (int)(r % 4);
		bool may_eperm;

		if (a + len > (int64_t)(MAXP * PG))
			len = (int64_t)(MAXP * PG) - a;
		switch (what) {
		case 0:
		case 1:
			/* Odd while the size may change (the pinners' test). */
			atomic_inc_return(&sh->size_seq);
			err = pnm_file_truncate(sh->f, a);
			atomic_inc_return(&sh->size_seq);
			break;
		case 2:
			/* A hole ending inside a page zeroes that page's
			 * first bytes, where the threads keep theirs: end it
			 * on a page boundary (a start inside a page zeroes
			 * only the page's upper half). */
			len = (int64_t)ALIGN((unsigned long)(a + len), PG) - a;
			if (a + len > (int64_t)(MAXP * PG))
				len = (int64_t)(MAXP * PG) - a;
			if (len <= 0)
				continue;
			err = pnm_file_fallocate(sh->f, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
						 a, len);
			break;
		default:
			if (len <= 0)
				continue;
			atomic_inc_return(&sh->size_seq);
			err = pnm_file_fallocate(sh->f, 0, a, len);
			atomic_inc_return(&sh->size_seq);
			break;
		}
		s1 = get_seals(sh);
		if ((s0 & ~s1) != 0)
			record_failure(sh, 200);	/* a seal went away */
		if (!err)
			continue;
		if (err != -EPERM) {
			record_failure(sh, 210 - err);
			continue;
		}
		atomic_long_inc(&sh->eperm);
		/* -EPERM needs a seal that forbids it (seen by the end). */
		if (what < 2)
			may_eperm = (s1 & (PNM_F_SEAL_SHRINK | PNM_F_SEAL_GROW)) != 0;
		else if (what == 2)
			may_eperm = (s1 & (PNM_F_SEAL_WRITE | PNM_F_SEAL_FUTURE_WRITE)) != 0;
		else	/* past the end, as it was at some point */
			may_eperm = (s1 & PNM_F_SEAL_GROW) != 0;
		if (!may_eperm)
			record_failure(sh, 220 + what);
	}
	return NULL;
}

/* --- the sealer ------------------------------------------------------------------ */

static void *sealer_main(void *arg)
{
	static const unsigned int pick[] = {
		PNM_F_SEAL_SHRINK, PNM_F_SEAL_GROW, PNM_F_SEAL_WRITE, PNM_F_SEAL_WRITE,
		PNM_F_SEAL_FUTURE_WRITE,
	};
	struct worker *w = arg;
	struct shared *sh = w->sh;
	long step = (long)(sh->quota / SEAL_ATTEMPTS) + 1, next = step;

	pthread_barrier_wait(&sh->start);
	/* Paced by the first pinner's progress: about SEAL_ATTEMPTS tries
	 * spread over the epoch; no quota of its own. */
	while (atomic_read_acquire(&sh->pending) > 0) {
		uint64_t r;
		unsigned int s, before;
		int err;

		if (atomic_long_read(&sh->progress) < next) {
			sched_yield();
			continue;
		}
		next += step;
		r = test_rand(&w->rng);
		s = pick[(r >> 8) % ARRAY_SIZE(pick)];
		before = get_seals(sh);
		if (s == PNM_F_SEAL_WRITE)
			atomic_inc_return(&sh->write_seal_seq);	/* odd */
		err = pnm_file_fcntl(sh->f, PNM_F_ADD_SEALS, s);
		if (s == PNM_F_SEAL_WRITE)
			atomic_inc_return(&sh->write_seal_seq);	/* even */
		if (err == -EBUSY) {
			atomic_long_inc(&sh->ebusy);
			if (s != PNM_F_SEAL_WRITE || (before & PNM_F_SEAL_WRITE))
				record_failure(sh, 300);
		} else if (err) {
			record_failure(sh, 310 - err);
		} else {
			atomic_long_inc(&sh->seals_added);
			if (!(get_seals(sh) & s))
				record_failure(sh, 320);
		}
	}
	return NULL;
}

/* --- the mapper -------------------------------------------------------------------- */

static void *mapper_main(void *arg)
{
	struct worker *w = arg;
	struct shared *sh = w->sh;
	struct page *page;

	pnm_task_enter(sh->app);
	pthread_barrier_wait(&sh->start);
	for (unsigned long iter = 1; keep_going(sh, iter, sh->quota); iter++) {
		uint64_t r = test_rand(&w->rng);
		unsigned long pg = (r >> 8) % MAXP;
		uint64_t v = stamp(8, iter), seen = 0;
		bool writable = true;
		int seq = atomic_read(&sh->write_seal_seq);
		long m;
		int err;

		m = pnm_mmap(sh->app, 0, MAXP * PG, RW, MAP_SHARED, sh->f, 0);
		if (m == -EPERM) {
			/* A write seal, or an attempt at F_SEAL_WRITE meanwhile. */
			if (!(get_seals(sh) & (PNM_F_SEAL_WRITE | PNM_F_SEAL_FUTURE_WRITE)) &&
			    !(seq & 1) && seq == atomic_read(&sh->write_seal_seq))
				record_failure(sh, 400);
			writable = false;
			m = pnm_mmap(sh->app, 0, MAXP * PG, PROT_READ, MAP_SHARED, sh->f, 0);
			/* Without a seal yet, a read-only shared mapping of a
			 * file open for writing may write later: it too is
			 * denied while F_SEAL_WRITE is tried. */
			if (m == -EPERM && ((seq & 1) || seq != atomic_read(&sh->write_seal_seq)))
				continue;
		}
		if (m <= 0) {
			record_failure(sh, 401 - (int)m);
			continue;
		}
		if (writable) {
			err = pnm_user_write(sh->app, (unsigned long)m + pg * PG + 128, &v, sizeof(v));
			if (err == -EFAULT) {
				atomic_long_inc(&sh->efault);
			} else if (err) {
				record_failure(sh, 402 - err);
			} else {
				err = pnm_user_read(sh->app, (unsigned long)m + pg * PG + 128, &seen,
						    sizeof(seen));
				if (!err && seen != v && seen != 0)
					record_failure(sh, 403);
			}
			/* A long-term write pin through the mapping: shmem allows it. */
			if ((r & 7) == 0) {
				int n = pin_user_pages_fast((unsigned long)m + pg * PG, 1,
							    FOLL_WRITE | FOLL_LONGTERM, &page);

				if (n == 1)
					unpin_user_page(page);
				else if (n != -EFAULT && n != -ENOMEM)
					record_failure(sh, 404 - n);
			}
		} else {
			err = pnm_user_read(sh->app, (unsigned long)m + pg * PG + 128, &seen, 8);
			if (err && err != -EFAULT)
				record_failure(sh, 405 - err);
		}
		if (pnm_munmap(sh->app, (unsigned long)m, MAXP * PG))
			record_failure(sh, 406);
	}
	pnm_task_leave(NULL);
	return NULL;
}

/* --- the writer ------------------------------------------------------------------- */

static void *writer_main(void *arg)
{
	struct worker *w = arg;
	struct shared *sh = w->sh;

	pthread_barrier_wait(&sh->start);
	for (unsigned long iter = 1; keep_going(sh, iter, sh->quota); iter++) {
		uint64_t r = test_rand(&w->rng);
		int64_t off = (int64_t)(((r >> 8) % MAXP) * PG + 192);
		uint64_t v = stamp(9, iter), seen = 0;
		ssize_t ret = pnm_file_write(sh->f, &v, sizeof(v), off);

		if (ret == -EPERM) {
			atomic_long_inc(&sh->eperm);
			if (!(get_seals(sh) & (PNM_F_SEAL_WRITE | PNM_F_SEAL_FUTURE_WRITE |
					       PNM_F_SEAL_GROW)))
				record_failure(sh, 500);
			continue;
		}
		if (ret != (ssize_t)sizeof(v)) {
			record_failure(sh, 510 - (int)ret);
			continue;
		}
		ret = pnm_file_read(sh->f, &seen, sizeof(seen), off);
		if (ret < 0 || (ret == (ssize_t)sizeof(v) && seen != v && seen != 0))
			record_failure(sh, 520 - (int)ret);
	}
	return NULL;
}

/* --- an epoch ------------------------------------------------------------------------ */

/* Quiescent: pinned folios make F_SEAL_WRITE -EBUSY until released. */
static void scripted_check(struct shared *sh)
{
	struct folio *folios[MAXP];
	unsigned long off;
	int64_t size = pnm_file_size(sh->f);
	unsigned int s = get_seals(sh);
	long n;

	if (!size || (s & PNM_F_SEAL_WRITE))
		return;
	n = memfd_pin_folios(sh->f, 0, size - 1, folios, MAXP, &off);
	assert_true(n > 0);
	if (s & PNM_F_SEAL_SEAL) {
		unpin_folios(folios, (unsigned long)n);
		return;
	}
	assert_int_equal(pnm_file_fcntl(sh->f, PNM_F_ADD_SEALS, PNM_F_SEAL_WRITE), -EBUSY);
	CHECK_ALL();
	unpin_folios(folios, (unsigned long)n);
	assert_int_equal(pnm_file_fcntl(sh->f, PNM_F_ADD_SEALS, PNM_F_SEAL_WRITE), 0);
	assert_int_equal(pnm_file_write(sh->f, "x", 1, 0), -EPERM);
	CHECK_ALL();
}

static void run_epoch(struct shared *sh, int epoch)
{
	struct worker wk[NR_THREADS];
	void *(*fns[NR_THREADS])(void *) = { truncator_main, sealer_main, mapper_main,
					     writer_main, pinner_main, pinner_main };
	long live = global_stat(PNM_NR_TRUNCATED_LIVE);

	assert_int_equal(pnm_memfd_create("stress", PNM_MFD_ALLOW_SEALING, &sh->f), 0);
	assert_int_equal(pnm_file_truncate(sh->f, (int64_t)(MAXP * PG)), 0);
	atomic_set(&sh->pending, NR_THREADS - 1);	/* not the sealer */
	atomic_long_set(&sh->progress, 0);
	assert_int_equal(pthread_barrier_init(&sh->start, NULL, NR_THREADS), 0);
	for (int i = 0; i < NR_THREADS; i++) {
		wk[i].sh = sh;
		/* Pinners are 0 and 1 (their bytes), the rest 2.. */
		wk[i].id = i < 4 ? i + NR_PINNERS : i - 4;
		wk[i].rng = seed * (2 * (uint64_t)i + 3) + 11 * (uint64_t)epoch + 7;
		assert_int_equal(pthread_create(&wk[i].thread, NULL, fns[i], &wk[i]), 0);
	}
	for (int i = 0; i < NR_THREADS; i++)
		pthread_join(wk[i].thread, NULL);
	pthread_barrier_destroy(&sh->start);

	assert_int_equal(atomic_read(&sh->failures), 0);
	assert_int_equal(global_stat(NR_FOLL_PIN_ACQUIRED), global_stat(NR_FOLL_PIN_RELEASED));
	assert_int_equal(pnm_pin_registry_count(-1), 0);
	for (int k = 0; k < PNM_NR_MISUSE; k++)
		assert_int_equal(pnm_misuse_count(k), 0);
	assert_int_equal(global_stat(PNM_NR_TRUNCATED_LIVE), live);
	CHECK_ALL();
	scripted_check(sh);
	pnm_file_close(sh->f);
	sh->f = NULL;
	CHECK_ALL();
}

static void stress_memfd_pin(void **state)
{
	struct pnm_config cfg;
	struct shared *sh;

	(void)state;
	pnm_test_config(&cfg);
	pnm_test_init_with(&cfg);
	sh = calloc(1, sizeof(*sh));
	assert_non_null(sh);
	sh->app = test_task_create("app");
	sh->quota = nr_iters / EPOCHS ? nr_iters / EPOCHS : 1;
	for (int e = 0; e < EPOCHS; e++)
		run_epoch(sh, e);
	print_message("stress_memfd_pin: seed %#llx, %lu iterations: %ld pin calls (%ld folios), "
		      "%ld -EINVAL, %ld -ENOMEM, %ld -EPERM, %ld -EBUSY seals, %ld seals added, "
		      "%ld -EFAULT; %d failures (first %d)\n",
		      (unsigned long long)seed, nr_iters, atomic_long_read(&sh->pins),
		      atomic_long_read(&sh->folios), atomic_long_read(&sh->einval),
		      atomic_long_read(&sh->enomem), atomic_long_read(&sh->eperm),
		      atomic_long_read(&sh->ebusy), atomic_long_read(&sh->seals_added),
		      atomic_long_read(&sh->efault), atomic_read(&sh->failures),
		      atomic_read(&sh->first_error));
	assert_true(atomic_long_read(&sh->pins) > 0);
	pnm_task_exit(sh->app);
	put_task_struct(sh->app);
	CHECK_ALL();
	free(sh);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(stress_memfd_pin, pnm_test_teardown),
	};
	test_stress_params("stress_memfd_pin", argc, argv, &seed, &nr_iters);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
