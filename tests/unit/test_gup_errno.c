// SPDX-License-Identifier: MIT
/*
 * test_gup_errno.c - the return conventions of every GUP entry point
 * (reference §3.3, §4.3):
 *
 *   - invalid arguments (internal flags, FOLL_GET with FOLL_PIN,
 *     FOLL_LONGTERM without FOLL_PIN, no page array for GET/PIN, *locked
 *     != 1, FOLL_LONGTERM with FOLL_PCI_P2PDMA, flags gup-fast does not
 *     take): -EINVAL from get_user_pages*, get_user_pages_fast* and
 *     pin_user_pages_fast, but 0 from pin_user_pages, _remote and
 *     _unlocked -- each with a warning, and nothing done;
 *   - nr_pages == 0 -> 0; partial success -> the count; nothing -> -errno;
 *   - -EFAULT: no VMA, VM_IO/VM_PFNMAP, FOLL_ANON on a non-anonymous VMA,
 *     writes without permission (FOLL_FORCE only into private mappings),
 *     reads of PROT_NONE without FOLL_FORCE, FOLL_NOFAULT needing a fault,
 *     an address beyond user space;
 *   - -ENOMEM: out of memory in a fault, the refcount overflow guard, a
 *     long-term pin whose migration fails;
 *   - -EEXIST: a raw pfn entry with a page array;
 *   - -EOVERFLOW: a gup-fast range that wraps;
 *   - gup-fast's "fast part pinned k pages, slow part failed" -> k;
 *   - get_user_pages_fast_only: never an errno for a missing page, 0.
 *
 * Errors the model cannot produce (no signals: -EINTR, -EAGAIN; no
 * hwpoison: -EHWPOISON; no FS-DAX/hugetlb: -EOPNOTSUPP; no P2PDMA:
 * -EREMOTEIO; no device-coherent memory: -EBUSY) are not tested.
 */
#include <limits.h>

#include "gup_test.h"

enum entry {
	E_GET, E_GET_REMOTE, E_GET_UNLOCKED, E_GET_FAST, E_GET_FAST_ONLY,
	E_PIN, E_PIN_REMOTE, E_PIN_UNLOCKED, E_PIN_FAST,
	NR_ENTRIES
};

static const char *const entry_name[NR_ENTRIES] = {
	"get_user_pages", "get_user_pages_remote", "get_user_pages_unlocked",
	"get_user_pages_fast", "get_user_pages_fast_only", "pin_user_pages",
	"pin_user_pages_remote", "pin_user_pages_unlocked", "pin_user_pages_fast",
};

static bool entry_pins(enum entry e)
{
	return e >= E_PIN;
}

static bool entry_fast(enum entry e)
{
	return e == E_GET_FAST || e == E_GET_FAST_ONLY || e == E_PIN_FAST;
}

static bool entry_remote(enum entry e)
{
	return e == E_GET_REMOTE || e == E_PIN_REMOTE;
}

/* What an entry point returns for invalid arguments. */
static long invalid_ret(enum entry e)
{
	return (e == E_PIN || e == E_PIN_REMOTE || e == E_PIN_UNLOCKED) ? 0 : -EINVAL;
}

/*
 * Call entry point @e as task @t with its lock protocol.  @locked is only
 * passed to the _remote variants (NULL otherwise).
 */
static long call(enum entry e, struct task_struct *t, unsigned long start, long nr,
		 unsigned int flags, struct page **pages, int *locked)
{
	switch (e) {
	case E_GET:
		return gt_get(t, start, (unsigned long)nr, flags, pages);
	case E_GET_REMOTE:
		return gt_get_remote(t->mm, start, (unsigned long)nr, flags, pages, locked);
	case E_GET_UNLOCKED:
		return gt_get_unlocked(t, start, (unsigned long)nr, flags, pages);
	case E_GET_FAST:
		return gt_get_fast(t, start, (int)nr, flags, pages);
	case E_GET_FAST_ONLY:
		return gt_get_fast_only(t, start, (int)nr, flags, pages);
	case E_PIN:
		return gt_pin(t, start, (unsigned long)nr, flags, pages);
	case E_PIN_REMOTE:
		return gt_pin_remote(t->mm, start, (unsigned long)nr, flags, pages, locked);
	case E_PIN_UNLOCKED:
		return gt_pin_unlocked(t, start, (unsigned long)nr, flags, pages);
	case E_PIN_FAST:
		return gt_pin_fast(t, start, (int)nr, flags, pages);
	default:
		fail();
	}
	return 0;
}

static void release(enum entry e, struct page **pages, long n)
{
	if (n <= 0)
		return;
	if (entry_pins(e))
		unpin_user_pages(pages, (unsigned long)n);
	else
		gt_put_pages(pages, n);
}

/* Expect @want from an invalid call, a warning, and no effect at all. */
static void expect_invalid(enum entry e, struct task_struct *t, unsigned long a,
			   unsigned int flags, struct page **pages, int *locked)
{
	long warns = atomic_long_read(&pnm_nr_warnings);
	long acq = global_stat(NR_FOLL_PIN_ACQUIRED);
	int ref = page_ref_count(pfn_to_page(test_pfn(t, a)));
	long ret;

	print_message("  %s flags %#x\n", entry_name[e], flags);
	ret = call(e, t, a, 1, flags, pages, locked);
	assert_int_equal(ret, invalid_ret(e));
	assert_true(atomic_long_read(&pnm_nr_warnings) > warns);
	assert_int_equal(global_stat(NR_FOLL_PIN_ACQUIRED), acq);
	assert_int_equal(page_ref_count(pfn_to_page(test_pfn(t, a))), ref);
	assert_false(test_bit(MMF_HAS_PINNED, &t->mm->flags));
}

/* Every invalid-argument rule of is_valid_gup_args(), per entry point. */
static void test_invalid_args(void **state)
{
	static const unsigned int internal[] = {
		FOLL_TOUCH, FOLL_TRIED, FOLL_REMOTE, FOLL_PIN, FOLL_FAST_ONLY,
		FOLL_UNLOCKABLE, FOLL_MADV_POPULATE,
	};
	struct task_struct *t = gt_task("errno");
	unsigned long a = test_mmap(t, PG, RW, PRIV);
	struct page *pages[1];

	(void)state;
	gt_write(t, a, 1, 1);
	for (int e = 0; e < NR_ENTRIES; e++) {
		int locked0 = 0;

		/* Internal flags are never the caller's. */
		for (size_t i = 0; i < ARRAY_SIZE(internal); i++)
			expect_invalid((enum entry)e, t, a, internal[i], pages, NULL);
		if (entry_pins((enum entry)e)) {
			/* FOLL_GET and FOLL_PIN are exclusive. */
			expect_invalid((enum entry)e, t, a, FOLL_GET, pages, NULL);
			/* Pins need a page array. */
			expect_invalid((enum entry)e, t, a, 0, NULL, NULL);
			/* LONGTERM pins must be hot-unpluggable: no P2PDMA. */
			expect_invalid((enum entry)e, t, a, FOLL_LONGTERM | FOLL_PCI_P2PDMA,
				       pages, NULL);
		} else {
			/* LONGTERM is for pins only. */
			expect_invalid((enum entry)e, t, a, FOLL_LONGTERM, pages, NULL);
			expect_invalid((enum entry)e, t, a, FOLL_LONGTERM | FOLL_WRITE, pages,
				       NULL);
			/* FOLL_GET needs a page array (the fast ones always GET). */
			expect_invalid((enum entry)e, t, a,
				       entry_fast((enum entry)e) ? 0 : FOLL_GET, NULL, NULL);
		}
		/* The _remote *locked must be 1 on entry (the caller holds
		 * the lock either way: unlock it here). */
		if (entry_remote((enum entry)e)) {
			long warns = atomic_long_read(&pnm_nr_warnings), ret;

			mmap_read_lock(t->mm);
			if (e == E_GET_REMOTE)
				ret = get_user_pages_remote(t->mm, a, 1, 0, pages, &locked0);
			else
				ret = pin_user_pages_remote(t->mm, a, 1, 0, pages, &locked0);
			mmap_read_unlock(t->mm);
			assert_int_equal(ret, invalid_ret((enum entry)e));
			assert_int_equal(locked0, 0);
			assert_true(atomic_long_read(&pnm_nr_warnings) > warns);
		}
		/* gup-fast takes only FOLL_WRITE/LONGTERM/FORCE/NOFAULT/
		 * PCI_P2PDMA/HONOR_NUMA_FAULT from the caller. */
		if (entry_fast((enum entry)e)) {
			expect_invalid((enum entry)e, t, a, FOLL_DUMP, pages, NULL);
			expect_invalid((enum entry)e, t, a, FOLL_ANON, pages, NULL);
			expect_invalid((enum entry)e, t, a, FOLL_NOWAIT, pages, NULL);
			expect_invalid((enum entry)e, t, a, FOLL_SPLIT_PMD, pages, NULL);
		}
	}
	/* The same flags are fine where they are allowed. */
	assert_int_equal(gt_get(t, a, 1, FOLL_GET, pages), 1);
	put_page(pages[0]);
	assert_int_equal(gt_get(t, a, 1, 0, NULL), 1);		/* a prefault */
	assert_int_equal(gt_pin(t, a, 1, FOLL_LONGTERM, pages), 1);
	unpin_user_page(pages[0]);
	CHECK_ALL();
}

/* nr_pages == 0 -> 0 from every entry point, nothing done. */
static void test_zero_pages(void **state)
{
	struct task_struct *t = gt_task("errno");
	unsigned long a = test_mmap(t, PG, RW, PRIV);
	struct page *pages[1] = { NULL };
	int locked = 1;

	(void)state;
	for (int e = 0; e < NR_ENTRIES; e++) {
		assert_int_equal(call((enum entry)e, t, a, 0, 0, pages,
				      entry_remote((enum entry)e) ? &locked : NULL), 0);
		assert_int_equal(locked, 1);
	}
	assert_null(pages[0]);
	/* Nothing was faulted in. */
	assert_int_equal(gt_pfn_or_none(t, a), -1UL);
	CHECK_ALL();
}

/*
 * Per entry point, the -EFAULT rules, partial success and the errno when
 * nothing is done (get_user_pages_fast_only: 0, it never faults).
 */
static void test_efault_rules(void **state)
{
	struct task_struct *t = gt_task("errno");
	unsigned long a = test_mmap(t, 4 * PG, RW, PRIV);
	unsigned long ro = test_mmap(t, PG, PROT_READ, PRIV);
	unsigned long none = test_mmap(t, PG, RW, PRIV);
	unsigned long shm = test_mmap(t, PG, PROT_READ, SHARED);
	long io = pnm_mm_mmap_pfnmap(t->mm, PG, RW, VM_IO | VM_PFNMAP);
	struct page *pages[4];

	(void)state;
	assert_true(io > 0);
	gt_write(t, a, 1, 2 * PG);		/* two present pages, two not */
	gt_write(t, none, 2, 1);
	assert_int_equal(pnm_mm_mprotect(t->mm, none, PG, PROT_NONE), 0);
	(void)test_read_byte(t, ro);		/* zero page, read-only */
	(void)test_read_byte(t, shm);

	for (int e = 0; e < NR_ENTRIES; e++) {
		enum entry en = (enum entry)e;
		bool fo = en == E_GET_FAST_ONLY;
		long fail_ret = fo ? 0 : -EFAULT;
		long ret;

		print_message("  %s\n", entry_name[e]);
		/* No VMA. */
		assert_int_equal(call(en, t, a + 64 * PG, 1, 0, pages, NULL), fail_ret);
		/* Beyond user space: even fast_only says so (access_ok). */
		assert_int_equal(call(en, t, TASK_SIZE + PG, 1, 0, pages, NULL), -EFAULT);
		/* VM_IO | VM_PFNMAP. */
		assert_int_equal(call(en, t, (unsigned long)io, 1, 0, pages, NULL), fail_ret);
		/* Write without permission; FOLL_FORCE never writes a shared mapping. */
		assert_int_equal(call(en, t, ro, 1, FOLL_WRITE, pages, NULL), fail_ret);
		assert_int_equal(call(en, t, shm, 1, FOLL_WRITE | FOLL_FORCE, pages, NULL),
				 fail_ret);
		/* PROT_NONE: no read without FOLL_FORCE; with it, the page. */
		assert_int_equal(call(en, t, none, 1, 0, pages, NULL), fail_ret);
		ret = call(en, t, none, 1, FOLL_FORCE, pages, NULL);
		assert_int_equal(ret, fo ? 0 : 1);
		if (ret == 1)
			assert_int_equal(gt_page_byte(pages[0], 0), 2);
		release(en, pages, ret);
		/* FOLL_NOFAULT: fine where present, -EFAULT where a fault is needed. */
		assert_int_equal(call(en, t, a + 2 * PG, 1, FOLL_NOFAULT, pages, NULL), fail_ret);
		ret = call(en, t, a, 2, FOLL_NOFAULT, pages, NULL);
		assert_int_equal(ret, 2);
		release(en, pages, ret);
		/* Partial: two of four present with NOFAULT. */
		ret = call(en, t, a, 4, FOLL_NOFAULT, pages, NULL);
		assert_int_equal(ret, 2);
		release(en, pages, ret);
		/* Partial: the range runs off the VMA (fast_only stops at the
		 * first page that is not present). */
		ret = call(en, t, a + 2 * PG, 4, 0, pages, NULL);
		assert_int_equal(ret, fo ? 0 : 2);
		release(en, pages, ret);
		CHECK_ALL();
		/* Undo the faults of this round for the next entry point. */
		assert_int_equal(pnm_mm_madvise(t->mm, a + 2 * PG, 2 * PG, MADV_DONTNEED), 0);
	}
	/* FOLL_ANON: anonymous memory only (slow path flags). */
	assert_int_equal(gt_get(t, shm, 1, FOLL_ANON, pages), -EFAULT);
	assert_int_equal(gt_pin(t, shm, 1, FOLL_ANON, pages), -EFAULT);
	assert_int_equal(gt_get(t, a, 1, FOLL_ANON, pages), 1);
	put_page(pages[0]);
	/* FOLL_NOWAIT: the model never waits for I/O, so it just works. */
	assert_int_equal(gt_pin(t, a + 3 * PG, 1, FOLL_NOWAIT | FOLL_WRITE, pages), 1);
	unpin_user_page(pages[0]);
	/* A read of PROT_NONE memory that needs a fault: refused without
	 * FOLL_FORCE; with it (VM_MAYREAD) the zero page, as Linux. */
	assert_int_equal(pnm_mm_mprotect(t->mm, a + 3 * PG, PG, PROT_NONE), 0);
	assert_int_equal(pnm_mm_madvise(t->mm, a + 3 * PG, PG, MADV_DONTNEED), 0);
	assert_int_equal(gt_get(t, a + 3 * PG, 1, 0, pages), -EFAULT);
	assert_int_equal(gt_get(t, a + 3 * PG, 1, FOLL_FORCE, pages), 1);
	assert_int_equal(page_to_pfn(pages[0]), pnm_mem.zero_pfn);
	put_page(pages[0]);
	CHECK_ALL();
}

/* gup-fast wrapping ranges and the fast+slow partial rule. */
static void test_fast_range_rules(void **state)
{
	struct task_struct *t = gt_task("errno");
	unsigned long a = test_mmap(t, 2 * PG, RW, PRIV);
	struct page *pages[4];
	long ret;

	(void)state;
	gt_write(t, a, 1, 1);
	assert_int_equal(gt_get_fast(t, -PG, 2, 0, pages), -EOVERFLOW);
	assert_int_equal(gt_pin_fast(t, -PG, 2, 0, pages), -EOVERFLOW);
	assert_int_equal(gt_get_fast_only(t, -PG, 2, 0, pages), -EOVERFLOW);
	assert_int_equal(gt_pin_fast(t, TASK_SIZE - PG, 2, 0, pages), -EFAULT);
	/* The fast part takes the present page, the slow part the next; a
	 * third page has no VMA: the two are returned, not the error. */
	ret = gt_pin_fast(t, a, 3, 0, pages);
	assert_int_equal(ret, 2);
	unpin_user_pages(pages, 2);
	assert_int_equal(pnm_mm_munmap(t->mm, a + PG, PG), 0);
	ret = gt_pin_fast(t, a, 2, 0, pages);
	assert_int_equal(ret, 1);
	unpin_user_pages(pages, 1);
	ret = gt_get_fast(t, a, 2, 0, pages);
	assert_int_equal(ret, 1);
	gt_put_pages(pages, 1);
	CHECK_ALL();
}

/* -ENOMEM: a fault finds no frame. */
static void test_enomem_oom(void **state)
{
	struct task_struct *t = gt_task("errno");
	unsigned long a = test_mmap(t, PG, RW, PRIV);
	struct page *hog = NULL, *next, *pages[1];
	static const gfp_t gfps[] = { GFP_KERNEL, GFP_HIGHUSER_MOVABLE };

	(void)state;
	(void)test_read_byte(t, a);		/* tables exist; zero page mapped */
	for (size_t i = 0; i < ARRAY_SIZE(gfps); i++) {
		while ((next = alloc_page(gfps[i] | __GFP_NOWARN))) {
			next->private = (unsigned long)hog;
			hog = next;
		}
	}
	for (int e = 0; e < NR_ENTRIES; e++) {
		long want = e == E_GET_FAST_ONLY ? 0 : -ENOMEM;
		int locked = 1;

		assert_int_equal(call((enum entry)e, t, a, 1, FOLL_WRITE, pages,
				      entry_remote((enum entry)e) ? &locked : NULL), want);
		assert_int_equal(test_pfn(t, a), pnm_mem.zero_pfn);
	}
	while (hog) {
		next = (struct page *)hog->private;
		hog->private = 0;
		put_page(hog);
		hog = next;
	}
	CHECK_ALL();
	assert_int_equal(gt_get(t, a, 1, FOLL_WRITE, pages), 1);
	put_page(pages[0]);
	CHECK_ALL();
}

/* -ENOMEM: the refcount overflow guard, every entry point. */
static void test_enomem_overflow(void **state)
{
	struct task_struct *t = gt_task("errno");
	unsigned long a = test_mmap(t, PG, RW, PRIV);
	struct page *pages[1];
	struct folio *folio;
	int saved;

	(void)state;
	gt_write(t, a, 1, 1);
	folio = pfn_folio(test_pfn(t, a));
	saved = folio_ref_count(folio);
	atomic_set(&folio->_refcount, INT_MIN);
	for (int e = 0; e < NR_ENTRIES; e++) {
		long want = e == E_GET_FAST_ONLY ? 0 : -ENOMEM;

		assert_int_equal(call((enum entry)e, t, a, 1, 0, pages, NULL), want);
		assert_int_equal(folio_ref_count(folio), INT_MIN);
	}
	atomic_set(&folio->_refcount, saved);
	CHECK_ALL();
}

/* -ENOMEM: a long-term pin whose migration out of MOVABLE fails. */
static void test_enomem_longterm(void **state)
{
	struct task_struct *t = gt_task("errno");
	unsigned long a = test_mmap(t, PG, RW, PRIV);
	struct page *hog = NULL, *next, *pages[1];
	unsigned long pfn;

	(void)state;
	gt_write(t, a, 1, PG);
	pfn = test_pfn(t, a);
	while ((next = alloc_page(GFP_KERNEL | __GFP_NOWARN))) {
		next->private = (unsigned long)hog;
		hog = next;
	}
	for (int e = E_PIN; e < NR_ENTRIES; e++) {
		assert_int_equal(call((enum entry)e, t, a, 1, FOLL_LONGTERM, pages, NULL),
				 -ENOMEM);
		assert_int_equal(test_pfn(t, a), pfn);
		assert_int_equal(page_ref_count(pfn_to_page(pfn)), 1);
	}
	while (hog) {
		next = (struct page *)hog->private;
		hog->private = 0;
		put_page(hog);
		hog = next;
	}
	CHECK_ALL();
}

/* -EEXIST: a raw pfn entry (no struct page) with a page array. */
static void test_eexist(void **state)
{
	struct task_struct *t = gt_task("errno");
	unsigned long a = test_mmap(t, PG, PROT_READ, PRIV);
	struct page *frame, *pages[1];

	(void)state;
	frame = gt_install_raw_pfn(t, a);
	for (int e = 0; e < NR_ENTRIES; e++)
		assert_int_equal(call((enum entry)e, t, a, 1, 0, pages, NULL),
				 e == E_GET_FAST_ONLY ? 0 : -EEXIST);
	/* Without a page array (a prefault) the entry just counts. */
	assert_int_equal(gt_get(t, a, 1, 0, NULL), 1);
	assert_int_equal(page_ref_count(frame), 1);
	gt_remove_raw_pfn(t, a, frame);
	CHECK_ALL();
}

/* The _remote *locked protocol: held on entry, still held on return. */
static void test_remote_locked(void **state)
{
	struct task_struct *t = gt_task("errno");
	unsigned long a = test_mmap(t, PG, RW, PRIV);
	struct page *pages[1];
	int locked = 1;

	(void)state;
	assert_int_equal(gt_pin_remote(t->mm, a, 1, FOLL_WRITE | FOLL_LONGTERM, pages,
				       &locked), 1);
	assert_int_equal(locked, 1);
	assert_int_equal(page_zonenum(pages[0]), ZONE_NORMAL);
	unpin_user_page(pages[0]);
	assert_int_equal(gt_get_remote(t->mm, a, 1, 0, pages, &locked), 1);
	assert_int_equal(locked, 1);
	put_page(pages[0]);
	assert_int_equal(gt_get_remote(t->mm, a + PG, 1, 0, pages, &locked), -EFAULT);
	assert_int_equal(locked, 1);
	assert_false(rwsem_is_locked(&t->mm->mmap_lock));
	CHECK_ALL();
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, pnm_test_setup, pnm_test_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_invalid_args),
		T(test_zero_pages),
		T(test_efault_rules),
		T(test_fast_range_rules),
		T(test_enomem_oom),
		T(test_enomem_overflow),
		T(test_enomem_longterm),
		T(test_eexist),
		T(test_remote_locked),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
