// SPDX-License-Identifier: MIT
/*
 * test_hugetlb_gigantic.c - 1 GiB hugetlb pages, with an arena large
 * enough for them (ZONE_NORMAL of 3 GiB: two naturally aligned free
 * 1 GiB ranges, the first one holds the zero page): pool pages taken as
 * 512 free 2 MiB blocks at once, and given back the same way; a PUD leaf
 * mapped by a fault, read and written across the whole page, seen by
 * pnm_translate() and pnm_task_page_info() (PNM_PAGE_MAP_PUD); pins
 * through gup-fast's PUD leaf and the slow path, one _pincount for the
 * folio; mremap moving the PUD leaf with its pin; fork COW copying the
 * whole 1 GiB; munmap in the middle of it refused; hugetlbfs1G files; no surplus pages of this size; and the
 * size switched off by pnm_config.hugetlb_gigantic.
 */
#include <fcntl.h>
#include <string.h>

#include "test_util.h"
#include "pinmm_test_internal.h"

#define PROT_RW		(PROT_READ | PROT_WRITE)
#define GSZ		PNM_HUGETLB_1G
#define GNR		(GSZ / PAGE_SIZE)

static int gigantic_setup(void **state)
{
	struct pnm_config cfg;

	(void)state;
	pnm_test_config(&cfg);
	cfg.zone_frames[ZONE_NORMAL] = 3 * GNR;
	cfg.zone_frames[ZONE_MOVABLE] = 2048;
	cfg.zone_frames[ZONE_CMA] = 0;
	pnm_test_init_with(&cfg);
	return 0;
}

static struct pnm_hugetlb_info ginfo(void)
{
	struct pnm_hugetlb_info hi = { .size = sizeof(hi) };

	assert_int_equal(pnm_hugetlb_get_info(GSZ, &hi), 0);
	return hi;
}

static unsigned long gmap(struct task_struct *t, unsigned long flags)
{
	long a = pnm_mmap(t, 0, GSZ, PROT_RW,
			  flags | MAP_ANONYMOUS | PNM_MAP_HUGETLB | PNM_MAP_HUGE_1GB, NULL, 0);

	assert_true(a > 0);
	assert_true(IS_ALIGNED((unsigned long)a, GSZ));
	CHECK_ALL();
	return (unsigned long)a;
}

static void test_pool(void **state)
{
	unsigned long frames = pnm_nr_allocated_frames();
	struct pnm_hugetlb_info hi;

	(void)state;
	assert_int_equal(pnm_hugetlb_set_pages(GSZ, 5), 2);
	hi = ginfo();
	assert_int_equal(hi.total, 2);
	assert_int_equal(hi.free, 2);
	assert_int_equal(hi.page_size, GSZ);
	/* Only ZONE_NORMAL: never movable. */
	assert_int_equal(hi.free_movable, 0);
	assert_int_equal(pnm_nr_allocated_frames(), frames + 2 * GNR);
	/* No surplus pages of this size. */
	assert_int_equal(pnm_hugetlb_set_overcommit(GSZ, 1), -EINVAL);
	CHECK_ALL();
	assert_int_equal(pnm_hugetlb_set_pages(GSZ, 1), 1);
	assert_int_equal(pnm_hugetlb_set_pages(GSZ, 0), 0);
	assert_int_equal(pnm_nr_allocated_frames(), frames);
	/* The frames went back as free 2 MiB blocks. */
	assert_int_equal(pnm_hugetlb_set_pages(PNM_HUGETLB_2M, 1), 1);
	assert_int_equal(pnm_hugetlb_set_pages(PNM_HUGETLB_2M, 0), 0);
	CHECK_ALL();
}

static void test_map_access_pin(void **state)
{
	struct task_struct *t = test_task_create("a"), *prev;
	struct pnm_page_info pi = { .size = sizeof(pi) };
	struct page *pages[4];
	unsigned long a, pfn;
	bool w;

	(void)state;
	assert_int_equal(pnm_hugetlb_set_pages(GSZ, 1), 1);
	a = gmap(t, MAP_PRIVATE);
	assert_int_equal(ginfo().resv, 1);
	assert_int_equal(pnm_user_write(t, a + GSZ - 3, "end", 3), 0);
	assert_int_equal(pnm_user_write(t, a, "start", 5), 0);
	assert_int_equal(ginfo().free, 0);
	assert_int_equal(ginfo().resv, 0);
	CHECK_ALL();
	assert_int_equal(pnm_mm_translate(t->mm, a + 5 * PAGE_SIZE, &pfn, &w), 0);
	assert_true(w);
	assert_int_equal(pnm_task_page_info(t, a + 5 * PAGE_SIZE, &pi), 0);
	assert_int_equal(pi.pfn, pfn);
	assert_int_equal(pi.order, 18);
	assert_true(pi.flags & PNM_PAGE_MAP_PUD);
	assert_true(pi.flags & PNM_PAGE_HUGETLB);
	assert_int_equal(pi.head_pfn + 5, pfn);
	assert_int_equal(atomic_long_read(&t->mm->hugetlb_usage), GNR);

	/* gup-fast through the PUD leaf; the slow path; one _pincount. */
	prev = pnm_task_enter(t);
	assert_int_equal(pnm_pin_user_pages_fast_only(a + GSZ - 2 * PAGE_SIZE, 2, FOLL_WRITE,
						      pages), 2);
	mmap_read_lock(t->mm);
	assert_int_equal(pin_user_pages(a, 2, FOLL_WRITE | FOLL_LONGTERM, pages + 2), 2);
	mmap_read_unlock(t->mm);
	pnm_task_leave(prev);
	assert_ptr_equal(page_folio(pages[0]), page_folio(pages[3]));
	assert_int_equal(atomic_read(&page_folio(pages[0])->_pincount), 4);
	assert_true(page_maybe_dma_pinned(pages[1]));
	assert_memory_equal((char *)page_address(pages[1]) + PAGE_SIZE - 3, "end", 3);
	assert_memory_equal(page_address(pages[2]), "start", 5);
	/* Already in ZONE_NORMAL: nothing migrated. */
	assert_int_equal(global_stat(PGMIGRATE_SUCCESS), 0);
	CHECK_ALL();
	unpin_user_pages(pages, 4);
	assert_int_equal(atomic_read(&page_folio(pages[0])->_pincount), 0);

	/* No split inside the page. */
	assert_int_equal(pnm_munmap(t, a + PNM_HUGETLB_2M, PNM_HUGETLB_2M), -EINVAL);
	assert_int_equal(pnm_munmap(t, a, GSZ), 0);
	assert_int_equal(ginfo().free, 1);
	assert_int_equal(atomic_long_read(&t->mm->hugetlb_usage), 0);
	CHECK_ALL();
	pnm_task_exit(t);
	pnm_task_put(t);
}

/* mremap moves the PUD leaf: the page, its data and its pin stay; the
 * reservation of the page not faulted yet moves with the mapping. */
static void test_mremap_pud(void **state)
{
	struct task_struct *t = test_task_create("a"), *prev;
	struct page *page;
	unsigned long a, to;
	long pmds = global_stat(PNM_MREMAP_PMD);

	(void)state;
	assert_int_equal(pnm_hugetlb_set_pages(GSZ, 2), 2);
	a = (unsigned long)pnm_mmap(t, 0, 2 * GSZ, PROT_RW,
				    MAP_PRIVATE | MAP_ANONYMOUS | PNM_MAP_HUGETLB | PNM_MAP_HUGE_1GB,
				    NULL, 0);
	assert_true(IS_ALIGNED(a, GSZ));
	assert_int_equal(pnm_user_write(t, a + 7, "gigantic", 8), 0);
	assert_int_equal(ginfo().resv, 1);
	prev = pnm_task_enter(t);
	assert_int_equal(pin_user_pages_fast(a + PAGE_SIZE, 1, FOLL_WRITE | FOLL_LONGTERM, &page), 1);
	pnm_task_leave(prev);
	/* A free 1 GiB aligned range; the first page moves there, the
	 * second is unmapped (a shrink while moving). */
	to = gmap(t, MAP_PRIVATE | MAP_NORESERVE);
	assert_int_equal(pnm_munmap(t, to, GSZ), 0);
	assert_int_equal(pnm_mremap(t, a, 2 * GSZ, GSZ, PNM_MREMAP_MAYMOVE | PNM_MREMAP_FIXED, to),
			 (long)to);
	CHECK_ALL();
	assert_int_equal(global_stat(PNM_MREMAP_PMD), pmds + 1);
	assert_ptr_equal(test_folio(t, to), page_folio(page));
	assert_true(folio_maybe_dma_pinned(page_folio(page)));
	memcpy(page_address(page), "pin", 3);
	{
		char buf[8];

		assert_int_equal(pnm_user_read(t, to + PAGE_SIZE, buf, 3), 0);
		assert_memory_equal(buf, "pin", 3);
		assert_int_equal(pnm_user_read(t, to + 7, buf, 8), 0);
		assert_memory_equal(buf, "gigantic", 8);
	}
	/* The shrink gave the unfaulted second page's reservation back. */
	assert_int_equal(ginfo().resv, 0);
	assert_int_equal(ginfo().free, 1);
	unpin_user_page(page);
	assert_int_equal(pnm_munmap(t, to, GSZ), 0);
	assert_int_equal(ginfo().free, 2);
	CHECK_ALL();
	pnm_task_exit(t);
	pnm_task_put(t);
}

static void test_fork_cow(void **state)
{
	struct task_struct *p = test_task_create("p"), *c;
	unsigned long a, ppfn;
	char buf[8] = { 0 };

	(void)state;
	assert_int_equal(pnm_hugetlb_set_pages(GSZ, 2), 2);
	a = gmap(p, MAP_PRIVATE);
	assert_int_equal(pnm_user_write(p, a + GSZ / 2, "parent", 6), 0);
	ppfn = test_pfn(p, a);
	c = test_fork(p);
	CHECK_ALL();
	assert_int_equal(test_pfn(c, a), ppfn);
	/* The child's write copies the whole gigabyte. */
	assert_int_equal(pnm_user_write(c, a + GSZ - 5, "child", 5), 0);
	assert_int_not_equal(test_pfn(c, a), ppfn);
	assert_int_equal(pnm_user_read(c, a + GSZ / 2, buf, 6), 0);
	assert_memory_equal(buf, "parent", 6);
	assert_int_equal(pnm_user_read(p, a + GSZ - 5, buf, 5), 0);
	assert_memory_equal(buf, "\0\0\0\0\0", 5);
	assert_int_equal(global_stat(PNM_COW_COPY), 1);
	assert_int_equal(ginfo().free, 0);
	CHECK_ALL();
	pnm_task_exit(c);
	pnm_task_put(c);
	pnm_task_exit(p);
	pnm_task_put(p);
	assert_int_equal(ginfo().free, 2);
}

static void test_hugetlbfs_1g(void **state)
{
	struct task_struct *t = test_task_create("a");
	struct file *f = NULL;
	char buf[4] = { 0 };
	long a;

	(void)state;
	assert_int_equal(pnm_hugetlb_set_pages(GSZ, 1), 1);
	assert_int_equal(pnm_file_open(PNM_FS_HUGETLBFS_1G, "g", O_RDWR | O_CREAT, &f), 0);
	assert_int_equal(pnm_file_truncate(f, PNM_HUGETLB_2M), -EINVAL);
	a = pnm_mmap(t, 0, 4096, PROT_RW, MAP_SHARED, f, 0);	/* rounded up */
	assert_true(a > 0);
	assert_int_equal(pnm_file_size(f), GSZ);
	assert_int_equal(ginfo().resv, 1);
	assert_int_equal(pnm_user_write(t, (unsigned long)a + 12345, "1G", 2), 0);
	assert_int_equal(pnm_file_read(f, buf, 2, 12345), 2);
	assert_memory_equal(buf, "1G", 2);
	CHECK_ALL();
	pnm_task_exit(t);
	pnm_task_put(t);
	pnm_file_close(f);
	assert_int_equal(ginfo().free, 1);
	assert_int_equal(ginfo().resv, 0);
}

/* pnm_config.hugetlb_gigantic off: no 1 GiB size anywhere. */
static void test_switched_off(void **state)
{
	struct pnm_hugetlb_info hi = { .size = sizeof(hi) };
	struct task_struct *t;
	struct pnm_config cfg;
	struct file *f = NULL;

	(void)state;
	pnm_test_config(&cfg);
	cfg.hugetlb_gigantic = false;
	pnm_test_init_with(&cfg);
	t = test_task_create("a");
	assert_int_equal(pnm_hugetlb_get_info(GSZ, &hi), -EINVAL);
	assert_int_equal(pnm_hugetlb_set_pages(GSZ, 1), -EINVAL);
	assert_int_equal(pnm_mmap(t, 0, GSZ, PROT_RW, MAP_PRIVATE | MAP_ANONYMOUS |
				  PNM_MAP_HUGETLB | PNM_MAP_HUGE_1GB, NULL, 0), -EINVAL);
	assert_int_equal(pnm_file_open(PNM_FS_HUGETLBFS_1G, "g", O_RDWR | O_CREAT, &f), -EINVAL);
	assert_int_equal(pnm_hugetlb_file_create("m", 0, GSZ, &f), -EINVAL);
	assert_int_equal(pnm_hugetlb_get_info(PNM_HUGETLB_2M, &hi), 0);
	CHECK_ALL();
	pnm_task_exit(t);
	pnm_task_put(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_pool, gigantic_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_map_access_pin, gigantic_setup,
						pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_fork_cow, gigantic_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_mremap_pud, gigantic_setup,
						pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_hugetlbfs_1g, gigantic_setup,
						pnm_test_teardown),
		cmocka_unit_test_teardown(test_switched_off, pnm_test_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
