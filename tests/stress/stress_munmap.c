// SPDX-License-Identifier: MIT
/*
 * stress_munmap.c - faults racing with the address space changing.
 *
 * Threads running as one process keep reading and writing random pages of
 * a range while another thread keeps reshaping that same range: munmap of
 * all or part of it, MAP_FIXED re-mmaps with random protection and type
 * (private, shared, populated), MAP_FIXED_NOREPLACE, mprotect,
 * MADV_DONTNEED (under the read lock, concurrently with the faults) and
 * MADV_HUGEPAGE.  An access may fail with -EFAULT (nothing mapped, or not
 * permitted) but must not crash, deadlock, leak or break an invariant;
 * every system call must return one of its documented results.
 *
 * Usage: stress_munmap [seed [iterations]].  Seeded and bounded: the
 * faulting threads stop when the reshaping thread is done.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "test_util.h"
#include "pinmm_test_internal.h"

#define PG		PAGE_SIZE
#define NR_FAULTERS	3
#define RANGE		(2 * PMD_SIZE)		/* PMD aligned: THP possible */

#ifdef PNM_TSAN
#define DEFAULT_ITERS	3000
#else
#define DEFAULT_ITERS	15000
#endif

static uint64_t seed = 0x0dd5eed;
static unsigned long nr_iters = DEFAULT_ITERS;

struct shared {
	struct task_struct *task;
	unsigned long base;
	atomic_t done;
	atomic_t failures;
	atomic_t first_error;
	atomic_long_t ok, efault;
};

static void record_failure(struct shared *sh, int code)
{
	atomic_inc(&sh->failures);
	atomic_cmpxchg(&sh->first_error, 0, code);
}

struct faulter {
	struct shared *sh;
	uint64_t rng;
	pthread_t thread;
};

static void *faulter_main(void *arg)
{
	struct faulter *f = arg;
	struct shared *sh = f->sh;
	unsigned char buf[256];

	while (!atomic_read_acquire(&sh->done)) {
		uint64_t r = test_rand(&f->rng);
		unsigned long off = (r >> 8) % (RANGE - sizeof(buf));
		size_t len = 1 + (r >> 40) % sizeof(buf);
		int err;

		if (r & 1) {
			memset(buf, (int)(r >> 16), len);
			err = pnm_user_write(sh->task, sh->base + off, buf, len);
		} else {
			err = pnm_user_read(sh->task, sh->base + off, buf, len);
		}
		if (err == 0)
			atomic_long_inc(&sh->ok);
		else if (err == -EFAULT)
			atomic_long_inc(&sh->efault);
		else
			record_failure(sh, 100 - err);
	}
	return NULL;
}

/* A random page-aligned subrange [*start, *start + *len) of the range. */
static void subrange(uint64_t *rng, unsigned long base, unsigned long *start,
		     unsigned long *len)
{
	unsigned long pages = RANGE / PG;
	unsigned long first = test_rand(rng) % pages;
	unsigned long n = 1 + test_rand(rng) % (pages - first);

	if (test_rand(rng) % 4 == 0)
		n = 1 + n % 8;		/* small pieces split VMAs a lot */
	*start = base + first * PG;
	*len = n * PG;
}

static void *mapper_main(void *arg)
{
	struct shared *sh = arg;
	struct mm_struct *mm = sh->task->mm;
	uint64_t rng = seed ^ 0x3a99e7ULL;
	static const unsigned long prots[] = {
		PROT_READ | PROT_WRITE, PROT_READ, PROT_NONE, PROT_READ | PROT_WRITE,
	};

	for (unsigned long n = 0; n < nr_iters; n++) {
		unsigned long op = test_rand(&rng) % 9, start, len;
		unsigned long prot = prots[test_rand(&rng) % ARRAY_SIZE(prots)];
		unsigned long type = (test_rand(&rng) % 3 == 0) ? MAP_SHARED : MAP_PRIVATE;
		long ret;

		subrange(&rng, sh->base, &start, &len);
		switch (op) {
		case 0:		/* everything away */
			ret = pnm_mm_munmap(mm, sh->base, RANGE);
			if (ret)
				record_failure(sh, 200 - (int)ret);
			break;
		case 1:		/* part away */
			ret = pnm_mm_munmap(mm, start, len);
			if (ret)
				record_failure(sh, 300 - (int)ret);
			break;
		case 2:		/* the whole range anew */
			ret = pnm_mm_mmap(mm, sh->base, RANGE, prot,
				       type | MAP_ANONYMOUS | MAP_FIXED, NULL, 0);
			if (ret != (long)sh->base)
				record_failure(sh, 400 - (int)ret);
			break;
		case 3:		/* part anew, maybe populated */
			ret = pnm_mm_mmap(mm, start, len, prot,
				       type | MAP_ANONYMOUS | MAP_FIXED |
				       ((n & 1) ? MAP_POPULATE : 0), NULL, 0);
			if (ret != (long)start)
				record_failure(sh, 500 - (int)ret);
			break;
		case 4:
			ret = pnm_mm_mmap(mm, start, len, prot,
				       type | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, NULL, 0);
			if (ret != (long)start && ret != -EEXIST)
				record_failure(sh, 600 - (int)ret);
			break;
		case 5:
			ret = pnm_mm_mprotect(mm, start, len, prot);
			if (ret && ret != -ENOMEM)
				record_failure(sh, 700 - (int)ret);
			break;
		case 6:
		case 7:
			ret = pnm_mm_madvise(mm, start, len, MADV_DONTNEED);
			if (ret && ret != -ENOMEM)
				record_failure(sh, 800 - (int)ret);
			break;
		case 8:
			ret = pnm_mm_madvise(mm, start, len,
					  (n & 2) ? MADV_HUGEPAGE : MADV_NOHUGEPAGE);
			if (ret && ret != -ENOMEM)
				record_failure(sh, 900 - (int)ret);
			break;
		}
	}
	/* Release: pairs with the faulters' acquire of done. */
	atomic_set_release(&sh->done, 1);
	return NULL;
}

static void stress_munmap(void **state)
{
	struct shared sh;
	struct faulter f[NR_FAULTERS];
	pthread_t mapper;

	(void)state;
	memset(&sh, 0, sizeof(sh));
	sh.task = test_task_create("victim");
	assert_non_null(sh.task);
	sh.base = test_mmap(sh.task, RANGE, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS);
	assert_true(IS_ALIGNED(sh.base, PMD_SIZE));
	assert_int_equal(pnm_mm_madvise(sh.task->mm, sh.base, RANGE, MADV_HUGEPAGE), 0);

	for (int i = 0; i < NR_FAULTERS; i++) {
		f[i].sh = &sh;
		f[i].rng = seed * (2 * i + 5) + 7;
		assert_int_equal(pthread_create(&f[i].thread, NULL, faulter_main, &f[i]), 0);
	}
	assert_int_equal(pthread_create(&mapper, NULL, mapper_main, &sh), 0);
	pthread_join(mapper, NULL);
	for (int i = 0; i < NR_FAULTERS; i++)
		pthread_join(f[i].thread, NULL);

	print_message("stress_munmap: seed %#llx, %lu iterations, %ld ok, %ld efault, "
		      "%d failures (first %d)\n", (unsigned long long)seed, nr_iters,
		      atomic_long_read(&sh.ok), atomic_long_read(&sh.efault),
		      atomic_read(&sh.failures), atomic_read(&sh.first_error));
	assert_int_equal(atomic_read(&sh.failures), 0);
	CHECK_ALL();
	/* Still usable afterwards. */
	assert_int_equal(pnm_mm_mmap(sh.task->mm, sh.base, RANGE, PROT_READ | PROT_WRITE,
				  MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, NULL, 0),
			 (long)sh.base);
	test_write_byte(sh.task, sh.base + 12345, 0x42);
	assert_int_equal(test_read_byte(sh.task, sh.base + 12345), 0x42);
	pnm_task_exit(sh.task);
	CHECK_ALL();
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(stress_munmap, pnm_test_setup, pnm_test_teardown),
	};

	if (argc > 1)
		seed = strtoull(argv[1], NULL, 0);
	if (argc > 2)
		nr_iters = strtoul(argv[2], NULL, 0);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
