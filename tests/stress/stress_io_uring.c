// SPDX-License-Identifier: MIT
/*
 * stress_io_uring.c - fixed reads and writes through registered buffers
 * while the process faults, forks, unmaps, migrates and writes back.
 *
 * A process P registers two fixed buffers: sixteen small anonymous pages,
 * and a THP (coalesced: one pin for its 512 pages).  The buffers are cut
 * into 512-byte slots, each owned by one thread.  Per round,
 * concurrently:
 *
 *   readers (2)   READ_FIXED of a slot from a shmem file whose content is
 *                 a known function of the offset, then P's CPU reads the
 *                 slot back: it must hold those bytes at once (FOLL_PIN:
 *                 a fork cannot move P's pages away from the buffer)
 *   writer        P's CPU fills a slot (naming slot and sequence),
 *                 WRITE_FIXED sends it to a disk file, a plain read of
 *                 the file must return it
 *   forker        forks P; the child reads and overwrites its copy of a
 *                 buffer page and exits (P must not notice)
 *   churner       maps, faults and unmaps a scratch area, asks to migrate
 *                 the buffers' pages (pinned: nothing may move) and
 *                 compacts MOVABLE
 *   flusher       fsync and writeback passes of the disk file
 *
 * Between rounds, everything quiet: every slot still holds what its
 * owner last put there, the disk file what the writer last wrote, the
 * ring's and the model's checkers hold, and the buffers are unregistered
 * and registered again.  At the end, after unregistering and fsync, the
 * host file holds exactly the writer's last data.
 *
 * Usage: stress_io_uring [seed [rounds]].  Seeded and bounded (a fixed
 * number of operations per thread and round); failures are counted
 * (test_util.h) and asserted by the main thread after joining.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "test_util.h"
#include "pinmm_test_internal.h"

#define PG		PAGE_SIZE
#define RW		(PROT_READ | PROT_WRITE)
#define PRIV		(MAP_PRIVATE | MAP_ANONYMOUS)
#define SLOT		512
#define SMALL_PAGES	16
#define SMALL_SLOTS	(SMALL_PAGES * PAGE_SIZE / SLOT)
#define HUGE_SLOTS	(HPAGE_PMD_SIZE / SLOT)
#define NR_SLOTS	(SMALL_SLOTS + HUGE_SLOTS)
#define NR_OWNERS	3			/* two readers, one writer */
#define SRC_SIZE	(64 * PAGE_SIZE)	/* the shmem source */
#define SLOT_WORDS	(SLOT / sizeof(uint64_t))

#ifdef PNM_TSAN
#define DEFAULT_ROUNDS	3
#define OPS		100
#else
#define DEFAULT_ROUNDS	8
#define OPS		600
#endif

static uint64_t seed = 0x5eed10c0;
static unsigned long nr_rounds = DEFAULT_ROUNDS;

struct shared {
	struct task_struct *p;
	struct pnm_io_ring *ring;
	struct file *src, *dst;
	unsigned long small, huge, scratch;
	struct iovec iov[2];
	/* oracles, each entry written by the slot's owner only */
	int64_t read_from[NR_SLOTS];		/* reader slots: source offset + 1 */
	uint64_t wrote[NR_SLOTS];		/* writer slots: last sequence */
	struct stress_failures failures;
};

/* Slot @s: its buffer index and user address. */
static unsigned int slot_where(struct shared *sh, unsigned long s, unsigned long *addr)
{
	if (s < SMALL_SLOTS) {
		*addr = sh->small + s * SLOT;
		return 0;
	}
	*addr = sh->huge + (s - SMALL_SLOTS) * SLOT;
	return 1;
}

/* The source file's byte at @off. */
static unsigned char src_byte(int64_t off)
{
	return (unsigned char)((off * 7) ^ (off >> 9));
}

static void src_bytes(unsigned char *buf, int64_t off, size_t n)
{
	for (size_t i = 0; i < n; i++)
		buf[i] = src_byte(off + (int64_t)i);
}

static uint64_t wr_word(unsigned long s, uint64_t seq)
{
	return 0xf1ULL << 56 | (uint64_t)s << 32 | seq;
}

struct worker {
	struct shared *sh;
	int id;
	uint64_t rng, seq;
	pthread_t thread;
};

static unsigned long worker_slot(struct worker *w)
{
	return (unsigned long)(test_rand(&w->rng) % (NR_SLOTS / NR_OWNERS)) * NR_OWNERS +
	       (unsigned long)w->id;
}

static void *reader_main(void *arg)
{
	struct worker *w = arg;
	struct shared *sh = w->sh;
	unsigned char want[SLOT], got[SLOT];

	for (int n = 0; n < OPS; n++) {
		unsigned long s = worker_slot(w), addr;
		unsigned int idx = slot_where(sh, s, &addr);
		int64_t off = (int64_t)(test_rand(&w->rng) % (SRC_SIZE - SLOT));
		ssize_t ret = pnm_io_ring_read_fixed(sh->ring, sh->src, idx, addr, SLOT, off);

		if (ret != SLOT) {
			stress_fail(&sh->failures, 100 - (int)ret);
			break;
		}
		sh->read_from[s] = off + 1;
		src_bytes(want, off, SLOT);
		if (pnm_user_read(sh->p, addr, got, SLOT) || memcmp(want, got, SLOT)) {
			stress_fail(&sh->failures, 2);
			break;
		}
	}
	return NULL;
}

static void *writer_main(void *arg)
{
	struct worker *w = arg;
	struct shared *sh = w->sh;
	uint64_t buf[SLOT_WORDS], back[SLOT_WORDS];

	for (int n = 0; n < OPS; n++) {
		unsigned long s = worker_slot(w), addr;
		unsigned int idx = slot_where(sh, s, &addr);
		ssize_t ret;

		stress_fill_words(buf, SLOT_WORDS, wr_word(s, w->seq + 1));
		if (pnm_user_write(sh->p, addr, buf, SLOT)) {
			stress_fail(&sh->failures, 3);
			break;
		}
		ret = pnm_io_ring_write_fixed(sh->ring, sh->dst, idx, addr, SLOT,
					      (int64_t)(s * SLOT));
		if (ret != SLOT) {
			stress_fail(&sh->failures, 400 - (int)ret);
			break;
		}
		sh->wrote[s] = ++w->seq;
		if (pnm_file_read(sh->dst, back, SLOT, (int64_t)(s * SLOT)) != SLOT ||
		    !stress_all_are(back, SLOT_WORDS, wr_word(s, w->seq))) {
			stress_fail(&sh->failures, 5);
			break;
		}
	}
	return NULL;
}

static void *forker_main(void *arg)
{
	struct shared *sh = arg;
	uint64_t rng = seed ^ 0xf0f0;

	for (int n = 0; n < OPS / 20; n++) {
		unsigned long s = test_rand(&rng) % NR_SLOTS, addr;

		slot_where(sh, s, &addr);
		if (!stress_fork_touch(&sh->failures, 600, sh->p, addr, addr,
				       "the child's own copy", 20))
			break;
	}
	return NULL;
}

#define SCRATCH_PAGES	8

static void *churner_main(void *arg)
{
	struct shared *sh = arg;

	for (int n = 0; n < OPS / 10; n++) {
		long a = pnm_mmap(sh->p, sh->scratch, SCRATCH_PAGES * PG, RW, PRIV | MAP_FIXED,
				  NULL, 0);

		if (a != (long)sh->scratch || pnm_user_write(sh->p, sh->scratch + PG, "f", 1)) {
			stress_fail(&sh->failures, 8);
			break;
		}
		if (pnm_migrate_range(sh->p, sh->small, SMALL_PAGES * PG, PNM_ZONE_MOVABLE) > 0 ||
		    pnm_migrate_range(sh->p, sh->huge, HPAGE_PMD_SIZE, PNM_ZONE_MOVABLE) > 0)
			stress_fail(&sh->failures, 9);		/* a pinned page moved */
		pnm_compact_zone(PNM_ZONE_MOVABLE, 4, NULL);
		if (pnm_munmap(sh->p, sh->scratch + 2 * PG, 3 * PG)) {
			stress_fail(&sh->failures, 10);
			break;
		}
	}
	return NULL;
}

/* Every slot holds what its owner last put there; the file too. */
static void check_slots(struct shared *sh, const char *when)
{
	unsigned char want[SLOT], got[SLOT];

	for (unsigned long s = 0; s < NR_SLOTS; s++) {
		unsigned long addr;

		slot_where(sh, s, &addr);
		assert_int_equal(pnm_user_read(sh->p, addr, got, SLOT), 0);
		if (sh->read_from[s]) {
			src_bytes(want, sh->read_from[s] - 1, SLOT);
			if (memcmp(want, got, SLOT))
				fail_msg("%s: slot %lu lost its fixed read", when, s);
		}
		if (sh->wrote[s]) {
			if (!stress_all_are((const uint64_t *)got, SLOT_WORDS, wr_word(s, sh->wrote[s])))
				fail_msg("%s: slot %lu lost the process's write", when, s);
			assert_int_equal(pnm_file_read(sh->dst, got, SLOT, (int64_t)(s * SLOT)),
					 SLOT);
			if (!stress_all_are((const uint64_t *)got, SLOT_WORDS, wr_word(s, sh->wrote[s])))
				fail_msg("%s: the file lost slot %lu's fixed write", when, s);
		}
	}
}

static void register_buffers(struct shared *sh)
{
	struct pnm_io_buf_info bi = { .size = sizeof(bi) };

	assert_int_equal(pnm_io_ring_register_buffers(sh->ring, sh->iov, 2), 0);
	assert_int_equal(pnm_io_ring_buf_info(sh->ring, 1, &bi), 0);
	assert_true(bi.coalesced);
	assert_int_equal(bi.pins, 1);
}

static void stress_io_uring(void **state)
{
	struct shared *sh = calloc(1, sizeof(*sh));
	static unsigned char src[SRC_SIZE];
	unsigned long a;

	(void)state;
	assert_non_null(sh);
	sh->failures.test = "stress_io_uring";
	sh->p = test_task_create("P");
	sh->small = test_mmap(sh->p, SMALL_PAGES * PG, RW, PRIV);
	a = test_mmap(sh->p, 3 * HPAGE_PMD_SIZE, RW, PRIV);
	sh->huge = ALIGN(a, HPAGE_PMD_SIZE);
	assert_int_equal(pnm_madvise(sh->p, sh->huge, HPAGE_PMD_SIZE, MADV_HUGEPAGE), 0);
	assert_int_equal(pnm_user_write(sh->p, sh->huge, "thp", 3), 0);
	assert_int_equal(folio_order(test_folio(sh->p, sh->huge)), HPAGE_PMD_ORDER);
	assert_int_equal(pnm_user_write(sh->p, sh->small, "small", 5), 0);
	/* The churner's place; nobody else maps anything while it runs. */
	sh->scratch = test_mmap(sh->p, SCRATCH_PAGES * PG, RW, PRIV);
	sh->src = test_open(PNM_FS_SHMEM, "src");
	src_bytes(src, 0, SRC_SIZE);
	assert_int_equal(pnm_file_write(sh->src, src, SRC_SIZE, 0), (ssize_t)SRC_SIZE);
	sh->dst = test_open(PNM_FS_DISK, "dst");
	assert_int_equal(pnm_file_truncate(sh->dst, NR_SLOTS * SLOT), 0);
	assert_int_equal(pnm_io_ring_create(sh->p, &sh->ring), 0);
	sh->iov[0] = (struct iovec){ (void *)sh->small, SMALL_PAGES * PG };
	sh->iov[1] = (struct iovec){ (void *)sh->huge, HPAGE_PMD_SIZE };
	register_buffers(sh);
	CHECK_OBJ(pnm_io_ring_check, sh->ring);

	for (unsigned long round = 0; round < nr_rounds; round++) {
		struct worker w[NR_OWNERS];
		struct stress_flusher fl = { .f = sh->dst, .rounds = OPS / 10,
					     .failures = &sh->failures, .code = 1100 };
		pthread_t forker, churner;
		char when[32];

		for (int i = 0; i < NR_OWNERS; i++) {
			void *(*fn)(void *) = i < NR_OWNERS - 1 ? reader_main : writer_main;

			w[i] = (struct worker){ .sh = sh, .id = i,
						.rng = seed ^ (round << 16 | (uint64_t)i << 4),
						.seq = round * 100000 };
			stress_thread_start(&w[i].thread, fn, &w[i]);
		}
		stress_thread_start(&forker, forker_main, sh);
		stress_thread_start(&churner, churner_main, sh);
		stress_thread_start(&fl.thread, stress_flusher_main, &fl);
		for (int i = 0; i < NR_OWNERS; i++)
			assert_int_equal(pthread_join(w[i].thread, NULL), 0);
		assert_int_equal(pthread_join(forker, NULL), 0);
		assert_int_equal(pthread_join(churner, NULL), 0);
		assert_int_equal(pthread_join(fl.thread, NULL), 0);
		snprintf(when, sizeof(when), "round %lu", round);
		stress_assert_none(&sh->failures, when);
		check_slots(sh, when);
		CHECK_OBJ(pnm_io_ring_check, sh->ring);
		/* Unregister and register again, quietly. */
		assert_int_equal(pnm_io_ring_unregister_buffers(sh->ring), 0);
		assert_int_equal(pnm_pin_registry_count(-1), 0);
		register_buffers(sh);
		CHECK_OBJ(pnm_io_ring_check, sh->ring);
	}

	pnm_io_ring_destroy(sh->ring);
	assert_int_equal(pnm_pin_registry_count(-1), 0);
	assert_int_equal(pnm_file_fsync(sh->dst, 0, INT64_MAX, false), 0);
	for (unsigned long s = 0; s < NR_SLOTS; s++) {
		uint64_t got[SLOT_WORDS];

		if (!sh->wrote[s])
			continue;
		assert_int_equal(test_host_pread(sh->dst, got, SLOT, (off_t)(s * SLOT)), SLOT);
		if (!stress_all_are(got, SLOT_WORDS, wr_word(s, sh->wrote[s])))
			fail_msg("the disk lacks slot %lu's last write", s);
	}
	pnm_file_close(sh->src);
	pnm_file_close(sh->dst);
	pnm_task_exit(sh->p);
	CHECK_ALL();
	free(sh);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(stress_io_uring, pnm_test_setup, pnm_test_teardown),
	};

	test_stress_params("stress_io_uring", argc, argv, &seed, &nr_rounds);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
