// SPDX-License-Identifier: MIT
/*
 * stress_process_vm.c - process_vm_readv/writev (src/drivers/process_vm.c)
 * under concurrency: processes copying into and out of a target while the
 * target stores into the same pages, forks, maps and unmaps, and its
 * shared file mapping is written back.
 *
 * The target T has two areas of NR_PAGES pages: private anonymous memory
 * and a MAP_SHARED mapping of a disk file.  Every page is cut into
 * NR_SLOTS slots with one owner each, interleaved so that every page has
 * several owners; each owner keeps the last bytes it put in its slots
 * (the oracle):
 *
 *   copiers (2)   each in a process of its own: writev a fresh pattern
 *                 into one or two of its slots (two remote ranges from
 *                 one local), then readv them back and compare; now and
 *                 then a readv whose local side is split in two;
 *   target CPU    pnm_user_write() into its own slots, read back;
 *   forker        forks T (the child stores into its copies, exits):
 *                 pages pinned by a copy in flight stay T's;
 *   mapper        maps, faults and unmaps scratch memory in T;
 *   syncer        fsync of the file, msync of T's mapping, background
 *                 writeback, sync().
 *
 * Invariants: every copy moves exactly what was asked; every read-back
 * matches the oracle; at the end T's memory holds every owner's last
 * bytes, the host file (after fsync) holds those of the file area, no pin
 * is left, nothing was dirtied behind the filesystem's back, the checkers
 * pass.
 *
 * Usage: stress_process_vm [seed [iterations]] or PINMM_STRESS_SEED /
 * PINMM_STRESS_ITERS.  Seeded and bounded.
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_util.h"
#include "pinmm_test_internal.h"

#define PG		PAGE_SIZE
#define RW		(PROT_READ | PROT_WRITE)
#define PRIV		(MAP_PRIVATE | MAP_ANONYMOUS)
#define NR_PAGES	16
#define NR_SLOTS	4			/* per page */
#define SLOT		(PG / NR_SLOTS)
#define NR_COPIERS	2
#define NR_OWNERS	(NR_COPIERS + 1)	/* the last is T's CPU */
#define TOTAL_SLOTS	(2 * NR_PAGES * NR_SLOTS)	/* anon area, then file */

#ifdef PNM_TSAN
#define DEFAULT_ITERS	400
#else
#define DEFAULT_ITERS	3000
#endif

static uint64_t seed = 0x9f0c55;
static unsigned long nr_iters = DEFAULT_ITERS;

struct shared {
	struct task_struct *t;
	struct file *f;
	unsigned long area[2];		/* T's anonymous and file areas */
	unsigned long iters;
	/* The last bytes each slot's owner put there; written by the owner
	 * only, read by others after the join. */
	unsigned char oracle[TOTAL_SLOTS][SLOT];
	atomic_t workers_left;
	struct stress_failures failures;
	atomic_long_t copies, forks;
};

static unsigned long slot_addr(struct shared *sh, unsigned long s)
{
	unsigned long per_area = NR_PAGES * NR_SLOTS;

	return sh->area[s / per_area] + (s % per_area) * SLOT;
}

/* A random slot of @owner. */
static unsigned long pick_slot(uint64_t r, int owner)
{
	return (unsigned long)(r % (TOTAL_SLOTS / NR_OWNERS)) * NR_OWNERS + (unsigned long)owner;
}

static void make_bytes(unsigned char *b, uint64_t *rng)
{
	for (size_t i = 0; i < SLOT; i += 8) {
		uint64_t v = test_rand(rng);

		memcpy(b + i, &v, 8);
	}
}

/* --- copiers ---------------------------------------------------------------------- */

struct copier {
	struct shared *sh;
	int id;
	uint64_t rng;
	struct task_struct *self;
	unsigned long local;		/* 4 slots of local memory */
	pthread_t thread;
	unsigned char buf[2 * SLOT];
};

static void copier_round(struct copier *c)
{
	struct shared *sh = c->sh;
	int pid = pnm_task_pid(sh->t);
	uint64_t r = test_rand(&c->rng);
	int n = 1 + (int)(r & 1);
	unsigned long s[2];
	struct pnm_iovec l[2], rv[2];
	ssize_t ret;

	s[0] = pick_slot(r >> 8, c->id);
	s[1] = pick_slot(r >> 32, c->id);
	if (n == 2 && s[1] == s[0])
		n = 1;
	for (int i = 0; i < n; i++)
		make_bytes(c->buf + i * SLOT, &c->rng);
	if (pnm_user_write(c->self, c->local, c->buf, (size_t)n * SLOT)) {
		stress_fail(&sh->failures, 1);
		return;
	}
	l[0] = (struct pnm_iovec){ c->local, (size_t)n * SLOT };
	for (int i = 0; i < n; i++)
		rv[i] = (struct pnm_iovec){ slot_addr(sh, s[i]), SLOT };
	ret = pnm_process_vm_writev(pid, l, 1, rv, (unsigned long)n, 0);
	if (ret != (ssize_t)(n * SLOT)) {
		stress_fail(&sh->failures, 2000 + (int)(ret < 0 ? -ret : 0));
		return;
	}
	for (int i = 0; i < n; i++)
		memcpy(sh->oracle[s[i]], c->buf + i * SLOT, SLOT);

	/* Read back into the other half of the local memory, the local
	 * side split in two when (r >> 60) & 1. */
	if ((r >> 60) & 1) {
		l[0] = (struct pnm_iovec){ c->local + 2 * SLOT, 100 };
		l[1] = (struct pnm_iovec){ c->local + 2 * SLOT + 100, (size_t)n * SLOT - 100 };
	} else {
		l[0] = (struct pnm_iovec){ c->local + 2 * SLOT, (size_t)n * SLOT };
	}
	ret = pnm_process_vm_readv(pid, l, ((r >> 60) & 1) ? 2 : 1, rv, (unsigned long)n, 0);
	if (ret != (ssize_t)(n * SLOT)) {
		stress_fail(&sh->failures, 3000 + (int)(ret < 0 ? -ret : 0));
		return;
	}
	if (pnm_user_read(c->self, c->local + 2 * SLOT, c->buf, (size_t)n * SLOT)) {
		stress_fail(&sh->failures, 4);
		return;
	}
	for (int i = 0; i < n; i++)
		if (memcmp(c->buf + i * SLOT, sh->oracle[s[i]], SLOT))
			stress_fail(&sh->failures, 5);
	atomic_long_inc(&sh->copies);
}

static void *copier_main(void *arg)
{
	struct copier *c = arg;
	struct task_struct *prev = pnm_task_enter(c->self);

	for (unsigned long it = 0; it < c->sh->iters; it++)
		copier_round(c);
	pnm_task_leave(prev);
	stress_worker_done(&c->sh->workers_left);
	return NULL;
}

/* --- the target and the helpers ------------------------------------------------------- */

static void *target_cpu_main(void *arg)
{
	struct stress_helper *h = arg;
	struct shared *sh = h->sh;
	unsigned char buf[SLOT], back[SLOT];

	for (unsigned long it = 0; it < h->bound; it++) {
		unsigned long s = pick_slot(test_rand(&h->rng), NR_OWNERS - 1);

		make_bytes(buf, &h->rng);
		if (pnm_user_write(sh->t, slot_addr(sh, s), buf, SLOT)) {
			stress_fail(&sh->failures, 10);
			continue;
		}
		memcpy(sh->oracle[s], buf, SLOT);
		if (pnm_user_read(sh->t, slot_addr(sh, s), back, SLOT) || memcmp(back, buf, SLOT))
			stress_fail(&sh->failures, 11);
	}
	stress_worker_done(&sh->workers_left);
	return NULL;
}

static void *forker_main(void *arg)
{
	struct stress_helper *h = arg;
	struct shared *sh = h->sh;

	for (unsigned long n = 0; n < h->bound && stress_running(&sh->workers_left); n++) {
		unsigned char b = 0xcc;
		/* Into the child's copy of a private page only. */
		unsigned long at = sh->area[0] + test_rand(&h->rng) % (NR_PAGES * PG);

		if (stress_fork_touch(&sh->failures, 20000, sh->t, 0, at, &b, 1))
			atomic_long_inc(&sh->forks);
	}
	return NULL;
}

static void *mapper_main(void *arg)
{
	struct stress_helper *h = arg;
	struct shared *sh = h->sh;

	for (unsigned long n = 0; n < h->bound && stress_running(&sh->workers_left); n++) {
		unsigned long at = PG * (test_rand(&h->rng) % 8);

		stress_map_touch_unmap(&sh->failures, 22000, sh->t, 8 * PG, at, 8 * PG);
	}
	return NULL;
}

static void *syncer_main(void *arg)
{
	struct stress_helper *h = arg;
	struct shared *sh = h->sh;

	for (unsigned long n = 0; n < h->bound && stress_running(&sh->workers_left); n++) {
		int err = 0;

		switch (test_rand(&h->rng) % 4) {
		case 0:
			err = pnm_file_fsync(sh->f, 0, INT64_MAX, false);
			break;
		case 1:
			err = pnm_msync(sh->t, sh->area[1], NR_PAGES * PG, MS_SYNC);
			break;
		case 2:
			(void)pnm_writeback_run(false);
			break;
		default:
			pnm_sync();
			break;
		}
		if (err)
			stress_fail(&sh->failures, 25000 - err);
	}
	return NULL;
}

/* --- the test ------------------------------------------------------------------------- */

static void test_stress_process_vm(void **state)
{
	static struct copier cs[NR_COPIERS];
	void *(*const fns[])(void *) = { target_cpu_main, forker_main, mapper_main, syncer_main };
	const unsigned long bounds[] = { 1, 1, 1, 1 };	/* times the iterations */
	struct stress_helper hs[ARRAY_SIZE(fns)];
	long nob = global_stat(PNM_FS_DIRTY_NO_BLOCKS);
	struct shared *sh = calloc(1, sizeof(*sh));
	unsigned char *chk = malloc(SLOT);
	uint64_t rng = seed;

	(void)state;
	assert_non_null(sh);
	assert_non_null(chk);
	sh->failures.test = "stress_process_vm";
	sh->iters = nr_iters;
	sh->t = test_task_create("target");
	sh->f = test_open(PNM_FS_DISK, "pvmF");
	assert_int_equal(pnm_file_truncate(sh->f, NR_PAGES * PG), 0);
	sh->area[0] = test_mmap(sh->t, NR_PAGES * PG, RW, PRIV);
	sh->area[1] = test_mmap_file(sh->t, sh->f, NR_PAGES * PG, 0);
	for (unsigned long s = 0; s < TOTAL_SLOTS; s++) {
		make_bytes(sh->oracle[s], &rng);
		assert_int_equal(pnm_user_write(sh->t, slot_addr(sh, s), sh->oracle[s], SLOT), 0);
	}
	for (int i = 0; i < NR_COPIERS; i++) {
		cs[i].sh = sh;
		cs[i].id = i;
		cs[i].rng = seed * (2 * (uint64_t)i + 3) + 1;
		cs[i].self = test_task_create(i ? "copier1" : "copier0");
		cs[i].local = test_mmap(cs[i].self, 4 * SLOT, RW, PRIV);
	}
	CHECK_ALL();

	atomic_set(&sh->workers_left, NR_COPIERS + 1);
	stress_helpers_start(hs, fns, bounds, ARRAY_SIZE(fns), sh, seed, nr_iters);
	for (int i = 0; i < NR_COPIERS; i++)
		stress_thread_start(&cs[i].thread, copier_main, &cs[i]);
	for (int i = 0; i < NR_COPIERS; i++)
		pthread_join(cs[i].thread, NULL);
	stress_helpers_join(hs, ARRAY_SIZE(fns));

	print_message("stress_process_vm: %ld copies, %ld forks\n",
		      atomic_long_read(&sh->copies), atomic_long_read(&sh->forks));
	stress_assert_none(&sh->failures, NULL);
	assert_true(atomic_long_read(&sh->copies) > 0);
	assert_int_equal(pnm_pin_registry_count(-1), 0);
	CHECK_ALL();

	for (unsigned long s = 0; s < TOTAL_SLOTS; s++) {
		assert_int_equal(pnm_user_read(sh->t, slot_addr(sh, s), chk, SLOT), 0);
		assert_memory_equal(chk, sh->oracle[s], SLOT);
	}
	assert_int_equal(pnm_file_fsync(sh->f, 0, INT64_MAX, false), 0);
	for (unsigned long s = NR_PAGES * NR_SLOTS; s < TOTAL_SLOTS; s++) {
		off_t off = (off_t)((s - NR_PAGES * NR_SLOTS) * SLOT);

		assert_int_equal(test_host_pread(sh->f, chk, SLOT, off), SLOT);
		assert_memory_equal(chk, sh->oracle[s], SLOT);
	}
	assert_int_equal(global_stat(PNM_FS_DIRTY_NO_BLOCKS), nob);
	assert_int_equal(pnm_munmap(sh->t, sh->area[1], NR_PAGES * PG), 0);
	pnm_file_close(sh->f);
	free(chk);
	free(sh);
	CHECK_ALL();
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_stress_process_vm, pnm_test_setup,
						pnm_test_teardown),
	};

	test_stress_params("stress_process_vm", argc, argv, &seed, &nr_iters);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
