// SPDX-License-Identifier: MIT
/*
 * stress_rdma.c - remote peers write into registered memory regions while
 * the process faults, forks, unmaps, migrates and writes back.
 *
 * A process P has an anonymous area and a shared mapping of a disk file F
 * under a layout lease; each is one RDMA memory region of a device with
 * two engine threads.  Every page is split in two: its first half is
 * eight 256-byte slots that only remote peers write (through the device),
 * its second half belongs to P's CPU.  Per round, concurrently:
 *
 *   peers (2)     synchronous RDMA WRITEs of whole slots, each slot owned
 *                 by one peer, every write naming (slot, sequence); the
 *                 last successful write of each slot is the oracle
 *   poster        the same through posted work and completions (one write
 *                 in flight per slot), carried out by the device threads
 *   cpu writers   P writes the CPU halves (anonymous and file pages)
 *   forker        forks P; the child reads, writes its own copy of an
 *                 anonymous page and exits (the parent must not notice)
 *   churner       faults, maps and unmaps a scratch area with a region
 *                 of its own on it (the device keeps the frames after the
 *                 munmap), tries to migrate the registered pages (pinned:
 *                 they must not move) and compacts MOVABLE
 *   flusher       fsync and writeback passes of F
 *
 * After each round, with everything quiet: P's CPU view of every device
 * slot is the peers' last write, the device's view of every CPU half is
 * P's last write, and the device's and the model's checkers hold.  At
 * the end the file region is deregistered (dirty) and fsync'ed: the host
 * file holds exactly the last data of both halves.  Then a lease break
 * under traffic: the truncate invalidates the file region (the driver
 * releases it from the revoke callback), no write that starts after the
 * truncate returned succeeds, and what was written before reaches the
 * disk.
 *
 * Usage: stress_rdma [seed [rounds]].  Seeded and bounded: each thread
 * does a fixed number of operations per round.  Failures are counted
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
#define SLOT		256
#define SLOTS_PER_PAGE	8			/* the first half of a page */
#define HALF		(PAGE_SIZE / 2)
#define ANON_PAGES	16
#define FILE_PAGES	8
#define NR_SLOTS	((ANON_PAGES + FILE_PAGES) * SLOTS_PER_PAGE)
#define NR_PEERS	3			/* two synchronous, one posting */
#define SLOT_WORDS	(SLOT / sizeof(uint64_t))
#define HALF_WORDS	(HALF / sizeof(uint64_t))

#ifdef PNM_TSAN
#define DEFAULT_ROUNDS	3
#define OPS		80
#else
#define DEFAULT_ROUNDS	8
#define OPS		1000
#endif

static uint64_t seed = 0x5eedd7aa;
static unsigned long nr_rounds = DEFAULT_ROUNDS;

struct shared {
	struct task_struct *p;
	struct file *f;
	unsigned long anon, map, scratch;	/* P's areas */
	struct pnm_ib_device *dev;
	struct pnm_ib_pd *pd;
	struct pnm_ib_mr *mr_anon, *mr_file;
	uint32_t rkey_anon, rkey_file;
	/* oracles: each slot's last successful write, each page's CPU half */
	uint64_t slot_seq[NR_SLOTS];		/* written by the slot's peer only */
	uint64_t cpu_seq[ANON_PAGES + FILE_PAGES];	/* by the CPU writers only */
	struct stress_failures failures;
	atomic_t broken;			/* the lease break returned */
	atomic_long_t writes, refused;
};

/* Slot @s: its region, rkey and device address (iova == user address). */
static uint32_t slot_where(struct shared *sh, unsigned long s, uint64_t *iova)
{
	unsigned long page = s / SLOTS_PER_PAGE, off = (s % SLOTS_PER_PAGE) * SLOT;

	if (page < ANON_PAGES) {
		*iova = sh->anon + page * PG + off;
		return sh->rkey_anon;
	}
	*iova = sh->map + (page - ANON_PAGES) * PG + off;
	return sh->rkey_file;
}

static unsigned long page_user_addr(struct shared *sh, unsigned long page)
{
	return page < ANON_PAGES ? sh->anon + page * PG : sh->map + (page - ANON_PAGES) * PG;
}

static uint64_t slot_word(unsigned long s, uint64_t seq)
{
	return 0xd0ULL << 56 | (uint64_t)s << 32 | seq;
}

static uint64_t cpu_word(unsigned long page, uint64_t seq)
{
	return 0xc0ULL << 56 | (uint64_t)page << 32 | seq;
}

/* --- peers ------------------------------------------------------------------ */

struct peer {
	struct shared *sh;
	int id;
	uint64_t rng;
	uint64_t seq;
	pthread_t thread;
};

static unsigned long peer_slot(struct peer *pe)
{
	return (unsigned long)(test_rand(&pe->rng) % (NR_SLOTS / NR_PEERS)) * NR_PEERS +
	       (unsigned long)pe->id;
}

/* Synchronous RDMA WRITEs of the peer's slots. */
static void *peer_main(void *arg)
{
	struct peer *pe = arg;
	struct shared *sh = pe->sh;
	uint64_t buf[SLOT_WORDS];

	for (int n = 0; n < OPS; n++) {
		unsigned long s = peer_slot(pe);
		uint64_t iova;
		uint32_t rkey = slot_where(sh, s, &iova);
		int ret;

		stress_fill_words(buf, SLOT_WORDS, slot_word(s, ++pe->seq));
		ret = pnm_ib_remote_write(sh->dev, rkey, iova, buf, SLOT);
		if (ret) {
			stress_fail(&sh->failures, 100 - ret);
			break;
		}
		sh->slot_seq[s] = pe->seq;
		atomic_long_inc(&sh->writes);
		/* Now and then read it back through the device. */
		if (!(n % 16)) {
			uint64_t back[SLOT_WORDS];

			if (pnm_ib_remote_read(sh->dev, rkey, iova, back, SLOT) ||
			    !stress_all_are(back, SLOT_WORDS, slot_word(s, pe->seq)))
				stress_fail(&sh->failures, 2);
		}
	}
	return NULL;
}

#define POST_DEPTH	16

/* Posted RDMA WRITEs: one in flight per slot, the oracle set on completion. */
static void *poster_main(void *arg)
{
	struct peer *pe = arg;
	struct shared *sh = pe->sh;
	static uint64_t bufs[POST_DEPTH][SLOT_WORDS];
	bool busy[NR_SLOTS] = { false };
	int posted = 0, done = 0, inflight = 0;

	while (done < OPS) {
		struct pnm_ib_wc wc[POST_DEPTH];
		int n;

		while (posted < OPS && inflight < POST_DEPTH) {
			unsigned long s = peer_slot(pe);
			struct pnm_ib_work wr = { .size = sizeof(wr),
						  .opcode = PNM_IB_WR_RDMA_WRITE };
			uint64_t *buf = bufs[posted % POST_DEPTH];
			int ret;

			if (busy[s])
				continue;
			wr.rkey = slot_where(sh, s, &wr.iova);
			wr.wr_id = (uint64_t)s << 32 | ++pe->seq;
			stress_fill_words(buf, SLOT_WORDS, slot_word(s, pe->seq));
			wr.buf = buf;
			wr.len = SLOT;
			ret = pnm_ib_post_remote(sh->dev, &wr);
			if (ret) {
				stress_fail(&sh->failures, 300 - ret);
				return NULL;
			}
			busy[s] = true;
			posted++;
			inflight++;
		}
		n = pnm_ib_poll_cq(sh->dev, wc, POST_DEPTH);
		if (n < 0) {
			stress_fail(&sh->failures, 4);
			return NULL;
		}
		if (!n) {
			sched_yield();
			continue;
		}
		for (int i = 0; i < n; i++) {
			unsigned long s = (unsigned long)(wc[i].wr_id >> 32);

			if (wc[i].status || wc[i].byte_len != SLOT)
				stress_fail(&sh->failures, 500 - wc[i].status);
			else
				sh->slot_seq[s] = wc[i].wr_id & 0xffffffffULL;
			busy[s] = false;
			inflight--;
			done++;
			atomic_long_inc(&sh->writes);
		}
	}
	return NULL;
}

/* --- the process ------------------------------------------------------------- */

struct cpu {
	struct shared *sh;
	unsigned long first, nr;	/* pages it writes the halves of */
	uint64_t rng;
	pthread_t thread;
};

static void *cpu_main(void *arg)
{
	struct cpu *c = arg;
	struct shared *sh = c->sh;
	static _Thread_local uint64_t buf[HALF_WORDS];

	for (int n = 0; n < OPS; n++) {
		unsigned long page = c->first + test_rand(&c->rng) % c->nr;
		uint64_t seq = sh->cpu_seq[page] + 1;
		int ret;

		stress_fill_words(buf, HALF_WORDS, cpu_word(page, seq));
		ret = pnm_user_write(sh->p, page_user_addr(sh, page) + HALF, buf, HALF);
		if (ret) {
			stress_fail(&sh->failures, 600 - ret);
			break;
		}
		sh->cpu_seq[page] = seq;
	}
	return NULL;
}

static void *forker_main(void *arg)
{
	struct shared *sh = arg;
	uint64_t rng = seed ^ 0xf0f0;

	for (int n = 0; n < OPS / 20; n++) {
		unsigned long page = test_rand(&rng) % ANON_PAGES;

		/* The child's own copy: its writes stay in it. */
		if (!stress_fork_touch(&sh->failures, 700, sh->p, sh->anon + page * PG,
				       sh->anon + page * PG + HALF, "child-copy", 10))
			break;
	}
	return NULL;
}

#define SCRATCH_PAGES	8

static void *churner_main(void *arg)
{
	struct shared *sh = arg;
	struct pnm_ib_mr_attr a = { .size = sizeof(a), .access = PNM_IB_ACCESS_LOCAL_WRITE |
				    PNM_IB_ACCESS_REMOTE_WRITE | PNM_IB_ACCESS_REMOTE_READ };
	uint64_t rng = seed ^ 0xc4c4;

	for (int n = 0; n < OPS / 10; n++) {
		unsigned long len = SCRATCH_PAGES * PG, at;
		struct pnm_ib_mr *mr;
		char back[8];
		long addr;
		int ret;

		addr = pnm_mmap(sh->p, sh->scratch, len, RW, PRIV | MAP_FIXED, NULL, 0);
		if (addr != (long)sh->scratch) {
			stress_fail(&sh->failures, 9);
			break;
		}
		if (pnm_user_write(sh->p, sh->scratch, "fault", 5) ||
		    pnm_user_write(sh->p, sh->scratch + len - PG, "fault", 5)) {
			stress_fail(&sh->failures, 10);
			break;
		}
		a.addr = a.iova = sh->scratch;
		a.length = len;
		ret = pnm_ib_reg_mr(sh->pd, &a, &mr);
		if (ret) {
			stress_fail(&sh->failures, 1100 - ret);
			break;
		}
		/* Unmap part of it: the device still has the frames. */
		at = sh->scratch + (test_rand(&rng) % SCRATCH_PAGES) * PG;
		if (pnm_munmap(sh->p, at, PG) ||
		    pnm_ib_remote_write(sh->dev, pnm_ib_mr_rkey(mr), at, "orphan", 6) ||
		    pnm_ib_remote_read(sh->dev, pnm_ib_mr_rkey(mr), at, back, 6) ||
		    memcmp(back, "orphan", 6))
			stress_fail(&sh->failures, 12);
		/* Pinned pages never move, whatever is asked. */
		ret = (int)pnm_migrate_range(sh->p, sh->anon, ANON_PAGES * PG, PNM_ZONE_MOVABLE);
		if (ret > 0)
			stress_fail(&sh->failures, 13);
		pnm_compact_zone(PNM_ZONE_MOVABLE, 4, NULL);
		if (pnm_ib_dereg_mr(mr))
			stress_fail(&sh->failures, 14);
		if (pnm_munmap(sh->p, sh->scratch, len))
			stress_fail(&sh->failures, 15);
	}
	return NULL;
}

/* --- checking ---------------------------------------------------------------- */

/* Everything quiet: both views of both halves of every page. */
static void check_views(struct shared *sh, const char *when)
{
	static uint64_t buf[PAGE_SIZE / sizeof(uint64_t)];

	for (unsigned long page = 0; page < ANON_PAGES + FILE_PAGES; page++) {
		unsigned long addr = page_user_addr(sh, page);
		uint32_t rkey = page < ANON_PAGES ? sh->rkey_anon : sh->rkey_file;

		assert_int_equal(pnm_user_read(sh->p, addr, buf, PG), 0);
		for (unsigned long i = 0; i < SLOTS_PER_PAGE; i++) {
			unsigned long s = page * SLOTS_PER_PAGE + i;

			if (sh->slot_seq[s] && !stress_all_are(buf + i * SLOT_WORDS, SLOT_WORDS,
							slot_word(s, sh->slot_seq[s])))
				fail_msg("%s: the process sees slot %lu without its write %llu",
					 when, s, (unsigned long long)sh->slot_seq[s]);
		}
		if (sh->cpu_seq[page] && !stress_all_are(buf + HALF_WORDS, HALF_WORDS,
						  cpu_word(page, sh->cpu_seq[page])))
			fail_msg("%s: page %lu lost the process's write %llu", when, page,
				 (unsigned long long)sh->cpu_seq[page]);
		/* The device sees what the process wrote. */
		assert_int_equal(pnm_ib_remote_read(sh->dev, rkey, addr + HALF, buf, HALF), 0);
		if (sh->cpu_seq[page] &&
		    !stress_all_are(buf, HALF_WORDS, cpu_word(page, sh->cpu_seq[page])))
			fail_msg("%s: the device does not see page %lu's write %llu", when, page,
				 (unsigned long long)sh->cpu_seq[page]);
	}
}

/* The host file holds both halves' last data of file pages [0, @pages). */
static void check_host(struct shared *sh, unsigned long pages, const char *when)
{
	static uint64_t buf[PAGE_SIZE / sizeof(uint64_t)];

	for (unsigned long fp = 0; fp < pages; fp++) {
		unsigned long page = ANON_PAGES + fp;

		assert_int_equal(test_host_pread(sh->f, buf, PG, (off_t)(fp * PG)), PG);
		for (unsigned long i = 0; i < SLOTS_PER_PAGE; i++) {
			unsigned long s = page * SLOTS_PER_PAGE + i;

			if (sh->slot_seq[s] && !stress_all_are(buf + i * SLOT_WORDS, SLOT_WORDS,
							slot_word(s, sh->slot_seq[s])))
				fail_msg("%s: the disk lacks slot %lu's write %llu", when, s,
					 (unsigned long long)sh->slot_seq[s]);
		}
		if (sh->cpu_seq[page] && !stress_all_are(buf + HALF_WORDS, HALF_WORDS,
						  cpu_word(page, sh->cpu_seq[page])))
			fail_msg("%s: the disk lacks page %lu's write %llu", when, page,
				 (unsigned long long)sh->cpu_seq[page]);
	}
}

static struct pnm_ib_mr *reg(struct shared *sh, unsigned long addr, unsigned long len,
			     struct file *lease)
{
	struct pnm_ib_mr_attr a = {
		.size = sizeof(a), .addr = addr, .length = len, .iova = addr,
		.access = PNM_IB_ACCESS_LOCAL_WRITE | PNM_IB_ACCESS_REMOTE_WRITE |
			  PNM_IB_ACCESS_REMOTE_READ,
		.lease_file = lease,
	};
	struct pnm_ib_mr *mr = NULL;

	assert_int_equal(pnm_ib_reg_mr(sh->pd, &a, &mr), 0);
	return mr;
}

/* --- the lease break under traffic ------------------------------------------------ */

/* A peer writing file slots while the main thread truncates: a write that
 * starts after the truncate returned must fail. */
static void *break_peer_main(void *arg)
{
	struct peer *pe = arg;
	struct shared *sh = pe->sh;
	uint64_t buf[SLOT_WORDS];

	/* Until it sees the break (a bound keeps a bug from hanging it). */
	for (long n = 0;; n++) {
		unsigned long half = FILE_PAGES * SLOTS_PER_PAGE / 2;
		unsigned long s = ANON_PAGES * SLOTS_PER_PAGE +
				  (unsigned long)(test_rand(&pe->rng) % half) * 2 +
				  (unsigned long)pe->id;
		bool broken = atomic_read_acquire(&sh->broken);
		uint64_t iova;
		uint32_t rkey = slot_where(sh, s, &iova);
		int ret;

		stress_fill_words(buf, SLOT_WORDS, slot_word(s, ++pe->seq));
		ret = pnm_ib_remote_write(sh->dev, rkey, iova, buf, SLOT);
		if (!ret && broken)
			stress_fail(&sh->failures, 17);	/* a write after the break went through */
		else if (!ret) {
			sh->slot_seq[s] = pe->seq;
			atomic_long_inc(&sh->writes);
		} else if (ret == -EIO)
			atomic_long_inc(&sh->refused);
		else
			stress_fail(&sh->failures, 1800 - ret);
		if (broken && ret)
			break;
		if (n > 1000000L * OPS) {
			stress_fail(&sh->failures, 19);
			break;
		}
	}
	return NULL;
}

static void lease_break_under_traffic(struct shared *sh)
{
	struct peer pe[2];
	struct pnm_ib_mr_info mi = { .size = sizeof(mi) };

	assert_int_equal(pnm_file_set_layout_lease(sh->f, 5000), 0);
	sh->mr_file = reg(sh, sh->map, FILE_PAGES * PG, sh->f);
	atomic_long_set(&sh->writes, 0);
	sh->rkey_file = pnm_ib_mr_rkey(sh->mr_file);
	for (int i = 0; i < 2; i++) {
		pe[i] = (struct peer){ .sh = sh, .id = i, .rng = seed ^ (0xb0 + (uint64_t)i),
				       .seq = 1000000 };
		stress_thread_start(&pe[i].thread, break_peer_main, &pe[i]);
	}
	/* Let them write a little, then break the lease. */
	while (atomic_long_read(&sh->writes) < 20)
		sched_yield();
	assert_int_equal(pnm_file_truncate(sh->f, FILE_PAGES / 2 * PG), 0);
	atomic_set_release(&sh->broken, 1);
	for (int i = 0; i < 2; i++)
		assert_int_equal(pthread_join(pe[i].thread, NULL), 0);
	stress_assert_none(&sh->failures, "the lease break");
	assert_int_equal(pnm_ib_mr_get_info(sh->mr_file, &mi), 0);
	assert_int_equal(mi.state, PNM_IB_MR_INVALID);
	assert_int_equal(mi.pages, 0);
	assert_int_equal(mi.breaks, 1);
	assert_int_equal(pnm_misuse_count(PNM_MISUSE_REVOKED), 0);
	CHECK_OBJ(pnm_ib_device_check, sh->dev);
	CHECK_ALL();
	/* The writes before the break reach the disk; the file is shorter. */
	assert_int_equal(pnm_file_fsync(sh->f, 0, INT64_MAX, false), 0);
	check_host(sh, FILE_PAGES / 2, "after the break");
	assert_int_equal(pnm_ib_dereg_mr(sh->mr_file), 0);
	sh->mr_file = NULL;
}

/* --- the test ------------------------------------------------------------------- */

static void stress_rdma(void **state)
{
	struct shared *sh = calloc(1, sizeof(*sh));
	struct pnm_ib_device_params dp = { .size = sizeof(dp), .name = "stress", .nr_threads = 2,
					   .queue_depth = 64 };

	(void)state;
	assert_non_null(sh);
	sh->failures.test = "stress_rdma";
	sh->p = test_task_create("P");
	sh->anon = test_mmap(sh->p, ANON_PAGES * PG, RW, PRIV);
	/* The churner's place; nobody else maps anything while it runs. */
	sh->scratch = test_mmap(sh->p, SCRATCH_PAGES * PG, RW, PRIV);
	sh->f = test_open(PNM_FS_DISK, "rdmafile");
	assert_int_equal(pnm_file_truncate(sh->f, FILE_PAGES * PG), 0);
	sh->map = test_mmap_file(sh->p, sh->f, FILE_PAGES * PG, 0);
	/* Some of P's anonymous pages start in MOVABLE: they move first. */
	assert_int_equal(pnm_user_write(sh->p, sh->anon, "x", 1), 0);
	assert_true(pnm_migrate_range(sh->p, sh->anon, PG, PNM_ZONE_MOVABLE) >= 0);

	assert_int_equal(pnm_ib_device_create(&dp, &sh->dev), 0);
	assert_int_equal(pnm_ib_alloc_pd(sh->dev, sh->p, &sh->pd), 0);
	assert_int_equal(pnm_file_set_layout_lease(sh->f, 60000), 0);
	sh->mr_anon = reg(sh, sh->anon, ANON_PAGES * PG, NULL);
	sh->mr_file = reg(sh, sh->map, FILE_PAGES * PG, sh->f);
	sh->rkey_anon = pnm_ib_mr_rkey(sh->mr_anon);
	sh->rkey_file = pnm_ib_mr_rkey(sh->mr_file);
	CHECK_OBJ(pnm_ib_device_check, sh->dev);

	for (unsigned long round = 0; round < nr_rounds; round++) {
		struct peer pe[NR_PEERS];
		struct cpu cpus[2] = {
			{ .sh = sh, .first = 0, .nr = ANON_PAGES, .rng = seed ^ (round << 8 | 1) },
			{ .sh = sh, .first = ANON_PAGES, .nr = FILE_PAGES,
			  .rng = seed ^ (round << 8 | 2) },
		};
		struct stress_flusher fl = { .f = sh->f, .rounds = OPS / 10,
					     .failures = &sh->failures, .code = 1600 };
		pthread_t forker, churner;
		char when[32];

		for (int i = 0; i < NR_PEERS; i++) {
			pe[i] = (struct peer){ .sh = sh, .id = i,
					       .rng = seed ^ (round << 16 | (uint64_t)i << 4),
					       .seq = round * 100000 };
			stress_thread_start(&pe[i].thread,
					    i < NR_PEERS - 1 ? peer_main : poster_main, &pe[i]);
		}
		for (int i = 0; i < 2; i++)
			stress_thread_start(&cpus[i].thread, cpu_main, &cpus[i]);
		stress_thread_start(&forker, forker_main, sh);
		stress_thread_start(&churner, churner_main, sh);
		stress_thread_start(&fl.thread, stress_flusher_main, &fl);
		for (int i = 0; i < NR_PEERS; i++)
			assert_int_equal(pthread_join(pe[i].thread, NULL), 0);
		for (int i = 0; i < 2; i++)
			assert_int_equal(pthread_join(cpus[i].thread, NULL), 0);
		assert_int_equal(pthread_join(forker, NULL), 0);
		assert_int_equal(pthread_join(churner, NULL), 0);
		assert_int_equal(pthread_join(fl.thread, NULL), 0);
		snprintf(when, sizeof(when), "round %lu", round);
		stress_assert_none(&sh->failures, when);
		check_views(sh, when);
		CHECK_OBJ(pnm_ib_device_check, sh->dev);
		CHECK_ALL();
	}

	/* The file region's data reaches the disk: dereg (dirty), fsync. */
	assert_int_equal(pnm_ib_dereg_mr(sh->mr_file), 0);
	assert_int_equal(pnm_file_release_layout_lease(sh->f), 0);
	assert_int_equal(pnm_file_fsync(sh->f, 0, INT64_MAX, false), 0);
	check_host(sh, FILE_PAGES, "after dereg and fsync");
	CHECK_ALL();

	lease_break_under_traffic(sh);
	assert_true(atomic_long_read(&sh->refused) > 0);

	assert_int_equal(pnm_ib_dereg_mr(sh->mr_anon), 0);
	assert_int_equal(pnm_ib_dealloc_pd(sh->pd), 0);
	assert_int_equal(pnm_ib_device_destroy(sh->dev), 0);
	assert_int_equal(pnm_pin_registry_count(-1), 0);
	assert_int_equal(pnm_munmap(sh->p, sh->map, FILE_PAGES * PG), 0);
	pnm_file_close(sh->f);
	pnm_task_exit(sh->p);
	CHECK_ALL();
	free(sh);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(stress_rdma, pnm_test_setup, pnm_test_teardown),
	};

	test_stress_params("stress_rdma", argc, argv, &seed, &nr_rounds);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
