// SPDX-License-Identifier: MIT
/*
 * stress_kvm.c - the secondary MMU user (pinmm/kvm.h) under notifier
 * storms: vCPU threads fault and access guest memory while the VMM
 * process faults, forks, munmaps, mprotects, migrates, compacts and writes
 * back, and another VM is created and destroyed on the same process over
 * and over (registration racing with invalidations).
 *
 * The VMM maps four regions, each a memory slot of the VM:
 *   0  anon, 96 pages                 data (checked)
 *   1  a 2 MiB THP (MADV_HUGEPAGE)    data (checked); splits under mprotect
 *   2  anon, 32 pages                 churn: MADV_DONTNEED, munmap + mmap
 *                                     MAP_FIXED; only coherence checked
 *   3  a shared disk file, 16 pages   data (checked); written back
 * Every page has one 8-byte slot per writer: vCPU i writes only its slot
 * (through the guest), the VMM's CPU thread only its own (through its page
 * tables), each remembering what it wrote; offset 2048 holds a value
 * written once before the race, which the second VM reads.
 *
 * Per round the threads run a bounded, seeded number of operations, are
 * joined, and the main thread checks, in the quiet model: every invariant
 * (pnm_check_system), the VM's shadow page table against the process's
 * (pnm_kvm_check: each entry maps the frame the process maps, writable
 * only where the process's is), and every slot of the data regions read
 * both by the guest and by the process against the writer's memory -- a
 * guest store that went to a stale page (a missed or late invalidation)
 * shows up there as a lost write.  The last round ends with the VMM's
 * exit while the vCPUs run: they must end with -ESRCH, the VM empty.
 *
 *   stress_kvm [seed [operations-per-thread-per-round [rounds]]]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>

#include "test_util.h"
#include "pinmm_test_internal.h"
#include "rcu.h"
#include <pinmm/kvm.h>

#define PG		PAGE_SIZE
#define NR_VCPUS	3
#define CPU_SLOT	NR_VCPUS		/* the VMM's own slot */
#define CONST_OFF	2048
#define NR_REGIONS	4
#define R_ANON		0
#define R_THP		1
#define R_CHURN		2
#define R_FILE		3
#define ANON_PAGES	96
#define THP_PAGES	512
#define CHURN_PAGES	32
#define FILE_PAGES	16
#define MAX_PAGES	THP_PAGES

#ifdef PNM_TSAN
#define DEFAULT_OPS	400
#else
#define DEFAULT_OPS	1500
#endif

static uint64_t opt_seed = 0x6b766d;
static unsigned long opt_ops = DEFAULT_OPS;
static unsigned long opt_rounds = 4;

static const unsigned long region_pages[NR_REGIONS] = {
	ANON_PAGES, THP_PAGES, CHURN_PAGES, FILE_PAGES
};

struct stress {
	struct task_struct *vmm;
	struct file *file;
	struct pnm_kvm *kvm;
	unsigned long base[NR_REGIONS];		/* user addresses */
	unsigned long gfn[NR_REGIONS];		/* first guest frames */
	/* The last value each writer stored in each page of each data region:
	 * written by that writer only, read after join. */
	uint64_t oracle[NR_VCPUS + 1][NR_REGIONS][MAX_PAGES];
	bool final_round;			/* the storm ends with exit */
	atomic_t stop;				/* the storm is over */
	struct stress_failures failures;
	atomic_long_t guest_ops, guest_efault, storms, second_vms;
};

struct worker {
	struct stress *s;
	int id;
	uint64_t seed;
};

static unsigned long gpa_of(struct stress *s, int r, unsigned long page, int slot)
{
	return (s->gfn[r] + page) * PG + (unsigned long)slot * 64;
}

static unsigned long hva_of(struct stress *s, int r, unsigned long page, int slot)
{
	return s->base[r] + page * PG + (unsigned long)slot * 64;
}

static bool data_region(int r)
{
	return r != R_CHURN;
}

/* An error a guest access may see while the storm runs. */
static bool guest_err_ok(struct stress *s, int r, int err, bool write)
{
	if (err == -EAGAIN)
		return true;
	if (s->final_round && (err == -ESRCH || err == -EFAULT))
		return true;	/* the VMM exited: its memory is gone */
	/* -EFAULT: the churn region unmapped, or mprotect took the data
	 * regions' write permission for a moment. */
	return err == -EFAULT && (r == R_CHURN || write);
}

static void *vcpu_fn(void *arg)
{
	struct worker *w = arg;
	struct stress *s = w->s;

	for (unsigned long i = 0; i < opt_ops; i++) {
		uint64_t rnd = test_rand(&w->seed);
		int r = (int)(rnd % NR_REGIONS);
		unsigned long page = (rnd >> 8) % region_pages[r];
		unsigned long gpa = gpa_of(s, r, page, w->id);
		uint64_t v;
		int err;

		if (atomic_read_acquire(&s->stop) && s->final_round)
			break;
		atomic_long_inc(&s->guest_ops);
		if (rnd & (1ULL << 40)) {
			v = test_rand(&w->seed) | 1;
			err = pnm_kvm_guest_write(s->kvm, gpa, &v, sizeof(v));
			if (!err)
				s->oracle[w->id][r][page] = v;
		} else {
			err = pnm_kvm_guest_read(s->kvm, gpa, &v, sizeof(v));
			if (!err && data_region(r) && v != s->oracle[w->id][r][page])
				stress_failf(&s->failures, "vcpu %d: read %#llx at region %d page %lu, "
					       "wrote %#llx", w->id, (unsigned long long)v, r, page,
					       (unsigned long long)s->oracle[w->id][r][page]);
		}
		if (err == -EFAULT)
			atomic_long_inc(&s->guest_efault);
		if (err && !guest_err_ok(s, r, err, rnd & (1ULL << 40)))
			stress_failf(&s->failures, "vcpu %d: region %d page %lu: %d", w->id, r, page, err);
	}
	return NULL;
}

/* The VMM's own CPU: stores and loads in its slot through its tables. */
static void *vmm_cpu_fn(void *arg)
{
	struct worker *w = arg;
	struct stress *s = w->s;

	for (unsigned long i = 0; i < opt_ops && !(s->final_round && atomic_read_acquire(&s->stop));
	     i++) {
		uint64_t rnd = test_rand(&w->seed), v;
		int r = (int)(rnd % NR_REGIONS);
		unsigned long page = (rnd >> 8) % region_pages[r];
		unsigned long hva = hva_of(s, r, page, CPU_SLOT);
		int err;

		if (rnd & (1ULL << 40)) {
			v = test_rand(&w->seed) | 1;
			err = pnm_user_write(s->vmm, hva, &v, sizeof(v));
			if (!err)
				s->oracle[CPU_SLOT][r][page] = v;
		} else {
			err = pnm_user_read(s->vmm, hva, &v, sizeof(v));
			if (!err && data_region(r) && v != s->oracle[CPU_SLOT][r][page])
				stress_failf(&s->failures, "vmm: read %#llx at region %d page %lu, wrote %#llx",
					       (unsigned long long)v, r, page,
					       (unsigned long long)s->oracle[CPU_SLOT][r][page]);
		}
		if (err && !(err == -EFAULT && (r == R_CHURN || (rnd & (1ULL << 40)) ||
						s->final_round)))
			stress_failf(&s->failures, "vmm: region %d page %lu: %d", r, page, err);
	}
	return NULL;
}

/* A second VM comes and goes: registration against the storm. */
static void *second_vm_fn(void *arg)
{
	struct worker *w = arg;
	struct stress *s = w->s;

	while (!atomic_read_acquire(&s->stop)) {
		struct pnm_kvm *kvm;
		unsigned long page = test_rand(&w->seed) % ANON_PAGES;
		uint64_t v = 0;
		int err = pnm_kvm_create(s->vmm, &kvm);

		if (err) {
			if (!(err == -ESRCH && s->final_round))
				stress_failf(&s->failures, "second VM: create %d", err);
			break;
		}
		err = pnm_kvm_set_memslot(kvm, 0, 0x1000, ANON_PAGES, s->base[R_ANON], 0);
		if (!err)
			err = pnm_kvm_guest_read(kvm, 0x1000 * PG + page * PG + CONST_OFF, &v,
						 sizeof(v));
		if (!err && v != page + 0xc0de)
			stress_failf(&s->failures, "second VM: page %lu reads %#llx", page,
				       (unsigned long long)v);
		if (err && err != -EAGAIN && !(s->final_round && (err == -ESRCH || err == -EFAULT)))
			stress_failf(&s->failures, "second VM: %d", err);
		pnm_kvm_destroy(kvm);
		atomic_long_inc(&s->second_vms);
	}
	return NULL;
}

static bool storm_ok(long ret)
{
	return ret >= 0 || ret == -EBUSY || ret == -EAGAIN || ret == -ENOMEM;
}

/* The VMM changes its address space under the VM. */
static void *storm_fn(void *arg)
{
	struct worker *w = arg;
	struct stress *s = w->s;
	unsigned long n = opt_ops / 8 + 1;

	for (unsigned long i = 0; i < n; i++) {
		uint64_t rnd = test_rand(&w->seed);
		/* inside the churn region, with room for two pages */
		unsigned long page = (rnd >> 16) % (CHURN_PAGES - 1);
		struct task_struct *child;
		long ret = 0;

		switch (rnd % 10) {
		case 0:		/* fork: write protection, then COW both ways */
			ret = pnm_task_fork(s->vmm, "child", &child);
			if (!ret) {
				uint64_t v = rnd;

				ret = pnm_user_write(child, hva_of(s, R_ANON, page, 7), &v, sizeof(v));
				pnm_task_exit(child);
				pnm_task_put(child);
			}
			break;
		case 1:
		case 2:		/* migration, back and forth */
			ret = pnm_migrate_range(s->vmm, s->base[rnd & 4 ? R_ANON : R_THP],
						(rnd & 4 ? ANON_PAGES : THP_PAGES) * PG,
						rnd & 8 ? PNM_ZONE_NORMAL : PNM_ZONE_MOVABLE);
			break;
		case 3:		/* mprotect a part read-only and back (splits the THP) */
			ret = pnm_mprotect(s->vmm, s->base[R_THP] + page * PG, 4 * PG, PROT_READ);
			if (!ret)
				ret = pnm_mprotect(s->vmm, s->base[R_THP] + page * PG, 4 * PG,
						   PROT_READ | PROT_WRITE);
			break;
		case 4:
			ret = pnm_madvise(s->vmm, s->base[R_CHURN] + page * PG, 2 * PG,
					  MADV_DONTNEED);
			break;
		case 5:		/* munmap and map again */
			ret = pnm_munmap(s->vmm, s->base[R_CHURN], CHURN_PAGES * PG);
			if (!ret)
				ret = pnm_mmap(s->vmm, s->base[R_CHURN], CHURN_PAGES * PG,
					       PROT_READ | PROT_WRITE,
					       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, NULL, 0);
			break;
		case 6:		/* writeback write-protects the file's pages */
			ret = pnm_file_fsync(s->file, 0, INT64_MAX, false);
			break;
		case 7:
			ret = pnm_compact_zone(rnd & 16 ? PNM_ZONE_MOVABLE : PNM_ZONE_NORMAL, 0, NULL);
			if (ret == -EAGAIN)
				ret = 0;
			break;
		case 8:		/* the file's cache pages move too */
			ret = pnm_migrate_range(s->vmm, s->base[R_FILE], FILE_PAGES * PG,
						rnd & 8 ? PNM_ZONE_NORMAL : PNM_ZONE_MOVABLE);
			break;
		default:	/* the shadow's references must not block this */
			ret = pnm_madvise(s->vmm, s->base[R_CHURN], CHURN_PAGES * PG,
					  MADV_DONTNEED);
			break;
		}
		if (!storm_ok(ret))
			stress_failf(&s->failures, "storm op %d: %ld", (int)(rnd % 10), ret);
		atomic_long_inc(&s->storms);
	}
	if (s->final_round)
		pnm_task_exit(s->vmm);	/* the VM loses its memory now */
	atomic_set_release(&s->stop, 1);
	return NULL;
}

static void run_round(struct stress *s, unsigned long round)
{
	pthread_t th[NR_VCPUS + 3];
	struct worker w[NR_VCPUS + 3];
	char when[32];

	atomic_set(&s->stop, 0);
	for (int n = 0; n < NR_VCPUS + 3; n++) {
		void *(*fn)(void *) = n < NR_VCPUS ? vcpu_fn : n == NR_VCPUS ? vmm_cpu_fn :
				      n == NR_VCPUS + 1 ? storm_fn : second_vm_fn;

		w[n].s = s;
		w[n].id = n;
		w[n].seed = opt_seed * 0x100000001b3ULL + round * 131 + (uint64_t)n + 1;
		assert_int_equal(pthread_create(&th[n], NULL, fn, &w[n]), 0);
	}
	for (int n = 0; n < NR_VCPUS + 3; n++)
		assert_int_equal(pthread_join(th[n], NULL), 0);
	pnm_rcu_barrier();
	snprintf(when, sizeof(when), "round %lu", round);
	stress_assert_none(&s->failures, when);
}

/* The quiet model: invariants, coherence, and every write kept. */
static void check_round(struct stress *s)
{
	CHECK_OBJ(pnm_kvm_check, s->kvm);
	for (int r = 0; r < NR_REGIONS; r++) {
		if (!data_region(r))
			continue;
		for (unsigned long page = 0; page < region_pages[r]; page++) {
			for (int id = 0; id <= CPU_SLOT; id++) {
				uint64_t g = 0, c = 0;

				assert_int_equal(pnm_kvm_guest_read(s->kvm, gpa_of(s, r, page, id), &g,
								    sizeof(g)), 0);
				assert_int_equal(pnm_user_read(s->vmm, hva_of(s, r, page, id), &c,
							       sizeof(c)), 0);
				if (g != s->oracle[id][r][page] || c != g)
					fail_msg("region %d page %lu slot %d: guest %#llx, process %#llx,"
						 " written %#llx", r, page, id, (unsigned long long)g,
						 (unsigned long long)c,
						 (unsigned long long)s->oracle[id][r][page]);
			}
		}
	}
	CHECK_OBJ(pnm_kvm_check, s->kvm);
}

static void setup(struct stress *s)
{
	char page[PG];
	long m;

	s->vmm = test_task_create("vmm");
	s->base[R_ANON] = test_mmap(s->vmm, ANON_PAGES * PG, PROT_READ | PROT_WRITE,
				    MAP_PRIVATE | MAP_ANONYMOUS);
	m = pnm_mmap(s->vmm, 0, 2 * PNM_HPAGE_PMD_SIZE, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, NULL, 0);
	assert_true(m > 0);
	s->base[R_THP] = ALIGN((unsigned long)m, PNM_HPAGE_PMD_SIZE);
	assert_int_equal(pnm_madvise(s->vmm, s->base[R_THP], PNM_HPAGE_PMD_SIZE, MADV_HUGEPAGE), 0);
	s->base[R_CHURN] = test_mmap(s->vmm, CHURN_PAGES * PG, PROT_READ | PROT_WRITE,
				     MAP_PRIVATE | MAP_ANONYMOUS);
	s->file = test_open(PNM_FS_DISK, "stress-kvm");
	memset(page, 0, sizeof(page));
	for (unsigned long i = 0; i < FILE_PAGES; i++)
		assert_int_equal(pnm_file_write(s->file, page, PG, (int64_t)(i * PG)), PG);
	m = pnm_mmap(s->vmm, 0, FILE_PAGES * PG, PROT_READ | PROT_WRITE, MAP_SHARED, s->file, 0);
	assert_true(m > 0);
	s->base[R_FILE] = (unsigned long)m;
	/* The constant the second VM reads; every data page faulted in. */
	for (unsigned long i = 0; i < ANON_PAGES; i++) {
		uint64_t v = i + 0xc0de;

		assert_int_equal(pnm_user_write(s->vmm, s->base[R_ANON] + i * PG + CONST_OFF, &v,
						sizeof(v)), 0);
	}
	test_write_byte(s->vmm, s->base[R_THP], 1);
	assert_true(pmd_trans_huge(test_pmd_val(s->vmm, s->base[R_THP])));
	test_write_byte(s->vmm, s->base[R_THP], 0);

	assert_int_equal(pnm_kvm_create(s->vmm, &s->kvm), 0);
	s->gfn[R_ANON] = 0;
	s->gfn[R_THP] = 0x200;
	s->gfn[R_CHURN] = 0x800;
	s->gfn[R_FILE] = 0x900;
	for (int r = 0; r < NR_REGIONS; r++)
		assert_int_equal(pnm_kvm_set_memslot(s->kvm, (unsigned int)r, s->gfn[r],
						     region_pages[r], s->base[r], 0), 0);
	check_round(s);
}

static void stress_kvm(void **state)
{
	struct stress *s = calloc(1, sizeof(*s));
	struct pnm_kvm_info ki = { .size = sizeof(ki) };
	long inval = global_stat(PNM_MMU_NOTIFIER_INVALIDATE);

	(void)state;
	assert_non_null(s);
	s->failures.test = "stress_kvm";
	setup(s);
	for (unsigned long round = 0; round < opt_rounds; round++) {
		run_round(s, round);
		check_round(s);
	}
	assert_int_equal(pnm_kvm_get_info(s->kvm, &ki), 0);
	print_message("stress_kvm: %lu rounds, guest ops %ld (EFAULT %ld), storm ops %ld, "
		      "second VMs %ld; faults %lu retries %lu invalidations %lu zapped %lu, "
		      "notifier ranges %ld\n", opt_rounds, atomic_long_read(&s->guest_ops),
		      atomic_long_read(&s->guest_efault), atomic_long_read(&s->storms),
		      atomic_long_read(&s->second_vms), ki.faults, ki.retries, ki.invalidations,
		      ki.zapped, global_stat(PNM_MMU_NOTIFIER_INVALIDATE) - inval);
	assert_true(ki.invalidations > 0 && ki.zapped > 0 && ki.faults > 0);

	/* The last round: the VMM exits while its vCPUs run. */
	s->final_round = true;
	run_round(s, opt_rounds);
	assert_int_equal(pnm_kvm_get_info(s->kvm, &ki), 0);
	assert_true(ki.released);
	assert_int_equal(ki.mapped, 0);
	assert_int_equal(pnm_kvm_map_gfn(s->kvm, 0, false), -ESRCH);
	CHECK_OBJ(pnm_kvm_check, s->kvm);
	pnm_kvm_destroy(s->kvm);
	pnm_file_close(s->file);
	CHECK_ALL();
	free(s);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(stress_kvm, pnm_test_setup, pnm_test_teardown),
	};

	test_stress_params("stress_kvm", argc > 2 ? 3 : argc, argv, &opt_seed, &opt_ops);
	if (argc > 3)
		opt_rounds = strtoul(argv[3], NULL, 0);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
