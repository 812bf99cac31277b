// SPDX-License-Identifier: MIT
/*
 * test_page_alloc.c - the arena, zones and buddy allocator (page_alloc.c),
 * the zero page, folio_put (swap.c) and the model's init/fini (pnm.c).
 *
 * The fixture model (test_util.c) lays the zones out in pfn order:
 *
 *   pfn 0          4096          6144        7168
 *       | NORMAL    | MOVABLE     | CMA       |
 *       | 8 x 2 MiB | 4 x 2 MiB   | 2 x 2 MiB |
 *
 * and pnm_init() takes the zero page from the first NORMAL block, so a
 * fresh NORMAL zone holds one free block of each order 0..8 (the rest of
 * block 0: pfns 1, 2, 4, ... 256) plus seven order-9 blocks.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "test_util.h"
#include "pinmm_test_internal.h"

#define NORMAL_FRAMES	4096UL
#define MOVABLE_FRAMES	2048UL
#define CMA_FRAMES	1024UL
#define TOTAL_FRAMES	(NORMAL_FRAMES + MOVABLE_FRAMES + CMA_FRAMES)

static unsigned long nr_free(enum zone_type zt, unsigned int order)
{
	struct zone *zone = pnm_zone(zt);
	unsigned long n;

	spin_lock(&zone->lock);
	n = zone->free_area[order].nr_free;
	spin_unlock(&zone->lock);
	return n;
}

static unsigned long zone_free(enum zone_type zt)
{
	return zone_page_state(pnm_zone(zt), NR_ZONE_FREE_PAGES);
}

/* Free-list shape of a fresh NORMAL zone (see the file comment). */
static void assert_fresh_normal(void)
{
	unsigned int o;

	for (o = 0; o < MAX_PAGE_ORDER; o++)
		assert_int_equal(nr_free(ZONE_NORMAL, o), 1);
	assert_int_equal(nr_free(ZONE_NORMAL, MAX_PAGE_ORDER), 7);
	assert_int_equal(zone_free(ZONE_NORMAL), NORMAL_FRAMES - 1);
}

static void test_layout_and_zero_page(void **state)
{
	struct zone *normal = pnm_zone(ZONE_NORMAL);
	struct zone *movable = pnm_zone(ZONE_MOVABLE);
	struct zone *cma = pnm_zone(ZONE_CMA);
	struct page *zero = ZERO_PAGE(0);
	unsigned char *data;
	unsigned long i;

	(void)state;
	assert_non_null(normal);
	assert_non_null(movable);
	assert_non_null(cma);
	assert_null(pnm_zone(MAX_NR_ZONES));
	assert_int_equal(pnm_mem.nr_frames, TOTAL_FRAMES);
	assert_int_equal(normal->zone_start_pfn, 0);
	assert_int_equal(normal->spanned_pages, NORMAL_FRAMES);
	assert_int_equal(movable->zone_start_pfn, NORMAL_FRAMES);
	assert_int_equal(movable->spanned_pages, MOVABLE_FRAMES);
	assert_int_equal(cma->zone_start_pfn, NORMAL_FRAMES + MOVABLE_FRAMES);
	assert_int_equal(cma->spanned_pages, CMA_FRAMES);
	assert_string_equal(zone_type_name(ZONE_NORMAL), "Normal");
	assert_string_equal(zone_type_name(ZONE_MOVABLE), "Movable");
	assert_string_equal(zone_type_name(ZONE_CMA), "CMA");
	assert_string_equal(zone_type_name(MAX_NR_ZONES), "?");
	assert_string_equal(movable->name, "Movable");

	/* Zone ids live in the top bits of flags, at every boundary. */
	assert_int_equal(page_zonenum(pfn_to_page(0)), ZONE_NORMAL);
	assert_int_equal(page_zonenum(pfn_to_page(NORMAL_FRAMES - 1)), ZONE_NORMAL);
	assert_int_equal(page_zonenum(pfn_to_page(NORMAL_FRAMES)), ZONE_MOVABLE);
	assert_int_equal(page_zonenum(pfn_to_page(NORMAL_FRAMES + MOVABLE_FRAMES - 1)),
			 ZONE_MOVABLE);
	assert_int_equal(page_zonenum(pfn_to_page(TOTAL_FRAMES - 1)), ZONE_CMA);
	assert_ptr_equal(page_zone(pfn_to_page(TOTAL_FRAMES - 1)), cma);

	/* The zero page: NORMAL, reserved, one reference, all zeroes. */
	assert_true(is_zero_pfn(page_to_pfn(zero)));
	assert_true(is_zero_folio(page_folio(zero)));
	assert_int_equal(page_zonenum(zero), ZONE_NORMAL);
	assert_true(PageReserved(zero));
	assert_false(PageBuddy(zero));
	assert_false(PageHead(zero));
	assert_int_equal(page_ref_count(zero), 1);
	assert_int_equal(atomic_read(&zero->_mapcount), 0);
	data = page_address(zero);
	for (i = 0; i < PAGE_SIZE; i++)
		assert_int_equal(data[i], 0);

	/* Only the zero page is allocated. */
	assert_int_equal(pnm_nr_allocated_frames(), 1);
	assert_int_equal(pnm_nr_free_frames(), TOTAL_FRAMES - 1);
	assert_int_equal(global_stat(NR_FREE_PAGES), TOTAL_FRAMES - 1);
	assert_int_equal(zone_free(ZONE_MOVABLE), MOVABLE_FRAMES);
	assert_int_equal(nr_free(ZONE_MOVABLE, MAX_PAGE_ORDER), 4);
	assert_int_equal(nr_free(ZONE_CMA, MAX_PAGE_ORDER), 2);
	assert_fresh_normal();
	assert_int_equal(zone_largest_free_order(normal), MAX_PAGE_ORDER);
	/* Events start from zero after init. */
	assert_int_equal(global_stat(PGALLOC_NORMAL), 0);
	assert_int_equal(global_stat(PGFREE), 0);
	CHECK_ALL();
}

/* Exact split and merge on the known fresh NORMAL free lists. */
static void test_buddy_split_merge(void **state)
{
	struct page *a, *b, *c, *d;
	unsigned int o;

	(void)state;
	assert_fresh_normal();

	/* The only order-0 block is pfn 1. */
	a = alloc_page(GFP_KERNEL);
	assert_non_null(a);
	assert_int_equal(page_to_pfn(a), 1);
	assert_int_equal(nr_free(ZONE_NORMAL, 0), 0);
	CHECK_ALL();

	/* Next order 0 splits the order-1 block at pfn 2: gets 2, frees 3. */
	b = alloc_page(GFP_KERNEL);
	assert_non_null(b);
	assert_int_equal(page_to_pfn(b), 2);
	assert_int_equal(nr_free(ZONE_NORMAL, 0), 1);
	assert_int_equal(nr_free(ZONE_NORMAL, 1), 0);
	assert_true(PageBuddy(pfn_to_page(3)));
	assert_int_equal(pfn_to_page(3)->private, 0);
	CHECK_ALL();

	/* Order 2 comes from the order-2 block at pfn 4. */
	c = alloc_pages(GFP_KERNEL, 2);
	assert_non_null(c);
	assert_int_equal(page_to_pfn(c), 4);
	assert_false(PageHead(c));		/* no __GFP_COMP */
	assert_int_equal(page_ref_count(c), 1);
	/* Order 1 now must split order 3 (pfn 8): gets 8, frees 10 (o1), 12 (o2). */
	d = alloc_pages(GFP_KERNEL, 1);
	assert_non_null(d);
	assert_int_equal(page_to_pfn(d), 8);
	assert_int_equal(nr_free(ZONE_NORMAL, 1), 1);
	assert_int_equal(nr_free(ZONE_NORMAL, 2), 1);
	assert_int_equal(nr_free(ZONE_NORMAL, 3), 0);
	assert_true(PageBuddy(pfn_to_page(10)));
	assert_true(PageBuddy(pfn_to_page(12)));
	assert_int_equal(zone_free(ZONE_NORMAL), NORMAL_FRAMES - 1 - 1 - 1 - 4 - 2);
	CHECK_ALL();

	/* Free in an order that merges step by step back to the start. */
	atomic_set(&b->_refcount, 0);
	__free_pages(b, 0);		/* 2+3 -> order-1 block at 2 */
	assert_true(PageBuddy(pfn_to_page(2)));
	assert_int_equal(pfn_to_page(2)->private, 1);
	assert_false(PageBuddy(pfn_to_page(3)));
	CHECK_ALL();
	atomic_set(&d->_refcount, 0);
	__free_pages(d, 1);		/* 8..11 -> 8..15 order 3 */
	assert_true(PageBuddy(pfn_to_page(8)));
	assert_int_equal(pfn_to_page(8)->private, 3);
	atomic_set(&c->_refcount, 0);
	__free_pages(c, 2);		/* 4..7 stays order 2: buddy 0..3 busy */
	assert_int_equal(pfn_to_page(4)->private, 2);
	CHECK_ALL();
	put_page(a);			/* refcount 1 -> 0: frees pfn 1 */
	for (o = 0; o <= MAX_PAGE_ORDER; o++)
		assert_true(nr_free(ZONE_NORMAL, o) == (o < MAX_PAGE_ORDER ? 1 : 7));
	assert_fresh_normal();
	assert_int_equal(global_stat(PGALLOC_NORMAL), 1 + 1 + 4 + 2);
	assert_int_equal(global_stat(PGFREE), 1 + 1 + 4 + 2);
	CHECK_ALL();
}

/* Allocate a whole zone page by page, free randomly, get 2 MiB blocks back. */
static void test_exhaust_and_merge_back(void **state)
{
	unsigned long n = 0, i, fails;
	struct page **pages;
	uint64_t seed = 0x5eed1234;
	bool *seen;

	(void)state;
	pages = calloc(CMA_FRAMES, sizeof(*pages));
	seen = calloc(CMA_FRAMES, sizeof(*seen));
	assert_non_null(pages);
	assert_non_null(seen);
	fails = zone_page_state(pnm_zone(ZONE_CMA), NR_ZONE_ALLOC_FAIL);

	for (;;) {
		struct folio *f = folio_alloc_zone(GFP_KERNEL, 0, ZONE_CMA);
		unsigned long idx;

		if (!f)
			break;
		assert_true(n < CMA_FRAMES);
		idx = folio_pfn(f) - pnm_zone(ZONE_CMA)->zone_start_pfn;
		assert_true(idx < CMA_FRAMES);
		assert_false(seen[idx]);	/* no frame handed out twice */
		seen[idx] = true;
		pages[n++] = &f->page;
	}
	assert_int_equal(n, CMA_FRAMES);
	assert_int_equal(zone_free(ZONE_CMA), 0);
	assert_int_equal(zone_largest_free_order(pnm_zone(ZONE_CMA)), -1);
	assert_int_equal(zone_page_state(pnm_zone(ZONE_CMA), NR_ZONE_ALLOC_FAIL),
			 fails + 1);
	CHECK_ALL();

	/* Fisher-Yates, then free. */
	for (i = n - 1; i > 0; i--) {
		unsigned long j = test_rand(&seed) % (i + 1);
		struct page *t = pages[i];

		pages[i] = pages[j];
		pages[j] = t;
	}
	for (i = 0; i < n; i++) {
		put_page(pages[i]);
		if (i % 97 == 0)
			CHECK_ALL();
	}
	assert_int_equal(zone_free(ZONE_CMA), CMA_FRAMES);
	assert_int_equal(nr_free(ZONE_CMA, MAX_PAGE_ORDER), 2);
	for (i = 0; i < MAX_PAGE_ORDER; i++)
		assert_int_equal(nr_free(ZONE_CMA, i), 0);
	assert_int_equal(global_stat(PGALLOC_CMA), CMA_FRAMES);
	free(pages);
	free(seen);
	CHECK_ALL();
}

/* Allocate every order-9 block of a zone; return them. */
static int grab_all_order9(gfp_t gfp, struct folio **out, int max)
{
	int n = 0;
	struct folio *f;

	while (n < max && (f = folio_alloc(gfp, MAX_PAGE_ORDER)))
		out[n++] = f;
	return n;
}

static void test_zone_fallback(void **state)
{
	struct folio *mov[8], *norm[8], *cma[8], *f;
	int nm, nn, nc, i;

	(void)state;
	/* Movable allocations: MOVABLE first ... */
	f = folio_alloc(GFP_HIGHUSER_MOVABLE, 0);
	assert_non_null(f);
	assert_int_equal(folio_zone(f)->idx, ZONE_MOVABLE);
	folio_put(f);
	/* ... kernel allocations only ever from NORMAL. */
	f = folio_alloc(GFP_KERNEL, 0);
	assert_non_null(f);
	assert_int_equal(folio_zone(f)->idx, ZONE_NORMAL);
	folio_put(f);

	/* Fill MOVABLE with 2 MiB folios: movable spills into NORMAL. */
	nm = grab_all_order9(GFP_HIGHUSER_MOVABLE | __GFP_NOWARN, mov, 4);
	assert_int_equal(nm, 4);
	for (i = 0; i < nm; i++)
		assert_int_equal(folio_zone(mov[i])->idx, ZONE_MOVABLE);
	nn = grab_all_order9(GFP_HIGHUSER_MOVABLE | __GFP_NOWARN, norm, 7);
	assert_int_equal(nn, 7);
	for (i = 0; i < nn; i++)
		assert_int_equal(folio_zone(norm[i])->idx, ZONE_NORMAL);
	CHECK_ALL();

	/* NORMAL has no order-9 block left: a kernel THP-sized request
	 * fails although CMA has two, and __GFP_MOVABLE alone may not use
	 * CMA either. */
	assert_null(folio_alloc(GFP_KERNEL, MAX_PAGE_ORDER));
	assert_null(folio_alloc(__GFP_MOVABLE, MAX_PAGE_ORDER));
	assert_int_equal(zone_page_state(pnm_zone(ZONE_NORMAL), NR_ZONE_ALLOC_FAIL), 1);
	assert_int_equal(zone_page_state(pnm_zone(ZONE_MOVABLE), NR_ZONE_ALLOC_FAIL), 1);

	/* Movable + CMA ends in CMA. */
	nc = grab_all_order9(GFP_HIGHUSER_MOVABLE | __GFP_NOWARN, cma, 8);
	assert_int_equal(nc, 2);
	for (i = 0; i < nc; i++)
		assert_int_equal(folio_zone(cma[i])->idx, ZONE_CMA);
	/* __GFP_NOWARN failures are not counted. */
	assert_int_equal(zone_page_state(pnm_zone(ZONE_MOVABLE), NR_ZONE_ALLOC_FAIL), 1);
	assert_int_equal(global_stat(PGALLOC_MOVABLE), 1 + 4 * 512);
	assert_int_equal(global_stat(PGALLOC_NORMAL), 1 + 7 * 512);
	assert_int_equal(global_stat(PGALLOC_CMA), 2 * 512);
	CHECK_ALL();

	for (i = 0; i < nm; i++)
		folio_put(mov[i]);
	for (i = 0; i < nn; i++)
		folio_put(norm[i]);
	for (i = 0; i < nc; i++)
		folio_put(cma[i]);
	assert_int_equal(global_stat(PGFREE), 2 + (4 + 7 + 2) * 512);
	assert_fresh_normal();
	CHECK_ALL();
}

static void test_folio_alloc_zone(void **state)
{
	struct folio *f;
	int z;

	(void)state;
	for (z = 0; z < MAX_NR_ZONES; z++) {
		/* Even a kernel gfp obeys the explicit zone. */
		f = folio_alloc_zone(GFP_KERNEL, 3, z);
		assert_non_null(f);
		assert_int_equal(folio_zone(f)->idx, z);
		assert_int_equal(folio_order(f), 3);
		assert_true(PageHead(&f->page));
		assert_true(IS_ALIGNED(folio_pfn(f), 8));
		assert_int_equal(global_stat(PGALLOC_NORMAL + z), 8);
		folio_put(f);
	}
	assert_null(folio_alloc_zone(GFP_KERNEL, 0, MAX_NR_ZONES));
	assert_null(folio_alloc_zone(GFP_KERNEL, MAX_PAGE_ORDER + 1, ZONE_NORMAL));
	assert_null(alloc_pages(GFP_KERNEL, MAX_PAGE_ORDER + 1));
	CHECK_ALL();
}

static void test_gfp_zero(void **state)
{
	struct folio *f, *g;
	unsigned char *p;
	unsigned long pfn, i;

	(void)state;
	f = folio_alloc(GFP_HIGHUSER_MOVABLE, 4);
	assert_non_null(f);
	pfn = folio_pfn(f);
	memset(folio_address(f), 0xa5, folio_size(f));
	folio_put(f);

	/* Without __GFP_ZERO the frames come back dirty (LIFO free lists
	 * hand the same block out again). */
	g = folio_alloc(GFP_HIGHUSER_MOVABLE, 4);
	assert_non_null(g);
	assert_int_equal(folio_pfn(g), pfn);
	assert_int_equal(((unsigned char *)folio_address(g))[100], 0xa5);
	folio_put(g);

	g = folio_alloc(GFP_HIGHUSER_MOVABLE | __GFP_ZERO, 4);
	assert_non_null(g);
	assert_int_equal(folio_pfn(g), pfn);
	p = folio_address(g);
	for (i = 0; i < folio_size(g); i++)
		assert_int_equal(p[i], 0);
	folio_put(g);
	CHECK_ALL();
}

static void test_large_folio_wiring(void **state)
{
	static const unsigned int orders[] = { 1, 3, MAX_PAGE_ORDER };
	unsigned long free_before = global_stat(NR_FREE_PAGES);
	unsigned int k;

	(void)state;
	for (k = 0; k < ARRAY_SIZE(orders); k++) {
		unsigned int order = orders[k];
		struct folio *f = folio_alloc(GFP_HIGHUSER_MOVABLE, order);
		unsigned long i;

		assert_non_null(f);
		assert_true(IS_ALIGNED(folio_pfn(f), 1UL << order));
		assert_true(folio_test_large(f));
		assert_int_equal(folio_order(f), order);
		assert_int_equal(folio_nr_pages(f), 1UL << order);
		assert_int_equal(folio_size(f), PAGE_SIZE << order);
		assert_true(PageHead(&f->page));
		assert_false(PageTail(&f->page));
		assert_int_equal(folio_ref_count(f), 1);
		assert_int_equal(folio_entire_mapcount(f), 0);
		assert_int_equal(atomic_read(&f->_pincount), 0);
		assert_null(f->mapping);
		for (i = 1; i < folio_nr_pages(f); i++) {
			struct page *p = folio_page(f, i);

			assert_true(PageTail(p));
			assert_false(PageHead(p));
			assert_int_equal(p->compound_head, (unsigned long)f | 1);
			assert_ptr_equal(page_folio(p), f);
			assert_ptr_equal(pfn_folio(folio_pfn(f) + i), f);
			assert_int_equal(folio_page_idx(f, p), i);
			assert_int_equal(atomic_read(&p->_refcount), 0);
			assert_int_equal(page_ref_count(p), 1);
		}
		assert_int_equal(global_stat(NR_FREE_PAGES),
				 free_before - (1UL << order));
		CHECK_ALL();

		/* Extra references keep it; the last put frees all of it. */
		get_page(folio_page(f, 1));
		assert_int_equal(folio_ref_count(f), 2);
		folio_put_refs(f, 1);
		assert_int_equal(global_stat(NR_FREE_PAGES),
				 free_before - (1UL << order));
		folio_put(f);
		assert_int_equal(global_stat(NR_FREE_PAGES), free_before);
		/* Every descriptor was reset on free: no tail is left, and a
		 * frame's lru (the word of compound_head) is an empty list
		 * unless it heads a free block. */
		for (i = 0; i < (1UL << order); i++) {
			struct page *p = pfn_to_page(folio_pfn(f) + i);

			assert_false(PageTail(p));
			assert_true(PageBuddy(p) || list_empty(&p->lru));
		}
		CHECK_ALL();
	}
}

/* Fill NORMAL, fail, free one block, succeed again. */
static void test_exhaustion_recovers(void **state)
{
	struct page **pages;
	unsigned long n = 0, i;
	struct page *p;

	(void)state;
	pages = calloc(NORMAL_FRAMES, sizeof(*pages));
	assert_non_null(pages);
	while ((p = alloc_page(GFP_KERNEL)))
		pages[n++] = p;
	assert_int_equal(n, NORMAL_FRAMES - 1);		/* all but the zero page */
	assert_null(alloc_page(GFP_KERNEL));
	assert_null(alloc_pages(GFP_KERNEL | __GFP_NOWARN, 2));
	/* Movable still finds room elsewhere. */
	p = alloc_page(GFP_HIGHUSER_MOVABLE);
	assert_non_null(p);
	assert_int_equal(page_zonenum(p), ZONE_MOVABLE);
	put_page(p);
	CHECK_ALL();

	/* Freeing four aligned buddies makes an order-2 block. */
	for (i = 0; i < n; i++) {
		if (page_to_pfn(pages[i]) >= 1024 && page_to_pfn(pages[i]) < 1028) {
			put_page(pages[i]);
			pages[i] = NULL;
		}
	}
	p = alloc_pages(GFP_KERNEL, 2);
	assert_non_null(p);
	assert_int_equal(page_to_pfn(p), 1024);
	assert_null(alloc_page(GFP_KERNEL));
	atomic_set(&p->_refcount, 0);
	__free_pages(p, 2);
	CHECK_ALL();

	for (i = 0; i < n; i++)
		if (pages[i])
			put_page(pages[i]);
	free(pages);
	assert_fresh_normal();
	CHECK_ALL();
}

struct inject_arg {
	int iters;
	atomic_t failures;
	atomic_t bad;
};

static void *inject_worker(void *p)
{
	struct inject_arg *arg = p;
	int i;

	for (i = 0; i < arg->iters; i++) {
		struct page *page = alloc_page(GFP_HIGHUSER_MOVABLE);

		if (!page) {
			atomic_inc(&arg->failures);
			continue;
		}
		if (page_ref_count(page) != 1)
			atomic_inc(&arg->bad);
		put_page(page);
	}
	return NULL;
}

static void test_fault_injection(void **state)
{
	struct inject_arg arg = { .iters = 200 };
	unsigned long fails = zone_page_state(pnm_zone(ZONE_NORMAL), NR_ZONE_ALLOC_FAIL);
	pthread_t t[4];
	struct page *p[4];
	int i;

	(void)state;
	pnm_fail_nth_alloc(3);
	p[0] = alloc_page(GFP_KERNEL);
	p[1] = alloc_page(GFP_KERNEL);
	p[2] = alloc_page(GFP_KERNEL);
	p[3] = alloc_page(GFP_KERNEL);
	assert_non_null(p[0]);
	assert_non_null(p[1]);
	assert_null(p[2]);
	assert_non_null(p[3]);
	/* The injected failure is counted like a real one. */
	assert_int_equal(zone_page_state(pnm_zone(ZONE_NORMAL), NR_ZONE_ALLOC_FAIL),
			 fails + 1);
	put_page(p[0]);
	put_page(p[1]);
	put_page(p[3]);

	pnm_fail_nth_alloc(1);
	assert_null(folio_alloc(GFP_TRANSHUGE, MAX_PAGE_ORDER));
	assert_int_equal(zone_page_state(pnm_zone(ZONE_MOVABLE), NR_ZONE_ALLOC_FAIL), 0);
	assert_non_null(p[0] = alloc_page(GFP_KERNEL));
	put_page(p[0]);
	pnm_fail_nth_alloc(2);
	pnm_fail_nth_alloc(0);		/* disarmed */
	for (i = 0; i < 4; i++) {
		p[i] = alloc_page(GFP_KERNEL);
		assert_non_null(p[i]);
	}
	for (i = 0; i < 4; i++)
		put_page(p[i]);
	CHECK_ALL();

	/* Concurrent allocators: exactly one of them sees the failure. */
	pnm_fail_nth_alloc(301);
	for (i = 0; i < 4; i++)
		assert_int_equal(pthread_create(&t[i], NULL, inject_worker, &arg), 0);
	for (i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	assert_int_equal(atomic_read(&arg.failures), 1);
	assert_int_equal(atomic_read(&arg.bad), 0);
	CHECK_ALL();
}

static void test_isolate_free_range(void **state)
{
	struct zone *zone = pnm_zone(ZONE_MOVABLE);
	unsigned long start = zone->zone_start_pfn, block = start + 512;
	unsigned long free_before = zone_free(ZONE_MOVABLE);
	struct page *p, *q, *big;
	unsigned int o;

	(void)state;
	/* One frame from the middle of a free 2 MiB block. */
	p = pnm_isolate_free_range(zone, block + 5, 0);
	assert_non_null(p);
	assert_int_equal(page_to_pfn(p), block + 5);
	assert_int_equal(page_ref_count(p), 1);
	assert_false(PageBuddy(p));
	assert_int_equal(zone_free(ZONE_MOVABLE), free_before - 1);
	/* The rest of the block went back as one block of each order. */
	for (o = 0; o < MAX_PAGE_ORDER; o++)
		assert_int_equal(nr_free(ZONE_MOVABLE, o), 1);
	assert_int_equal(nr_free(ZONE_MOVABLE, MAX_PAGE_ORDER), 3);
	assert_true(PageBuddy(pfn_to_page(block + 4)));	/* order-0 buddy */
	assert_int_equal(pfn_to_page(block + 4)->private, 0);
	assert_true(PageBuddy(pfn_to_page(block + 6)));	/* order-1 */
	assert_int_equal(pfn_to_page(block + 6)->private, 1);
	assert_true(PageBuddy(pfn_to_page(block + 256)));
	assert_int_equal(pfn_to_page(block + 256)->private, 8);
	/* PGALLOC is not counted for compaction targets. */
	assert_int_equal(global_stat(PGALLOC_MOVABLE), 0);
	CHECK_ALL();

	/* Not free any more; ranges overlapping it neither. */
	assert_null(pnm_isolate_free_range(zone, block + 5, 0));
	assert_null(pnm_isolate_free_range(zone, block + 4, 1));
	assert_null(pnm_isolate_free_range(zone, block, MAX_PAGE_ORDER));
	/* Misaligned, outside the zone, or too big. */
	assert_null(pnm_isolate_free_range(zone, block + 7, 1));
	assert_null(pnm_isolate_free_range(zone, start - 1, 0));
	assert_null(pnm_isolate_free_range(zone, zone_end_pfn(zone), 0));
	assert_null(pnm_isolate_free_range(zone, block, MAX_PAGE_ORDER + 1));
	assert_null(pnm_isolate_free_range(NULL, block, 0));

	/* An aligned order-2 range from a smaller free block. */
	q = pnm_isolate_free_range(zone, block + 8, 2);
	assert_non_null(q);
	assert_int_equal(page_to_pfn(q), block + 8);
	assert_true(PageHead(q));
	assert_int_equal(folio_order(page_folio(q)), 2);
	assert_ptr_equal(page_folio(q + 3), page_folio(q));
	CHECK_ALL();

	/* A whole free 2 MiB block as a large folio. */
	big = pnm_isolate_free_range(zone, start, MAX_PAGE_ORDER);
	assert_non_null(big);
	assert_int_equal(folio_nr_pages(page_folio(big)), 512);
	CHECK_ALL();

	put_page(p);
	put_page(q);
	put_page(big);
	assert_int_equal(zone_free(ZONE_MOVABLE), MOVABLE_FRAMES);
	assert_int_equal(nr_free(ZONE_MOVABLE, MAX_PAGE_ORDER), 4);
	for (o = 0; o < MAX_PAGE_ORDER; o++)
		assert_int_equal(nr_free(ZONE_MOVABLE, o), 0);
	assert_int_equal(global_stat(PGFREE), 1 + 4 + 512);
	CHECK_ALL();
}

static void test_counters(void **state)
{
	struct zone *cma = pnm_zone(ZONE_CMA);
	unsigned long free0 = global_stat(NR_FREE_PAGES);
	struct folio *f;
	struct page *p;

	(void)state;
	f = folio_alloc_zone(GFP_KERNEL, 5, ZONE_CMA);
	p = alloc_pages(GFP_KERNEL, 1);
	assert_non_null(f);
	assert_non_null(p);
	assert_int_equal(global_stat(NR_FREE_PAGES), free0 - 32 - 2);
	assert_int_equal(global_stat(PGALLOC_CMA), 32);
	assert_int_equal(global_stat(PGALLOC_NORMAL), 2);
	assert_int_equal(global_stat(PGALLOC_MOVABLE), 0);
	assert_int_equal(zone_page_state(cma, NR_ZONE_ALLOC), 32);
	assert_int_equal(zone_page_state(cma, NR_ZONE_FREED), 0);
	assert_int_equal(zone_page_state(cma, NR_ZONE_FREE_PAGES), CMA_FRAMES - 32);
	assert_int_equal(pnm_nr_allocated_frames(), 1 + 32 + 2);
	CHECK_ALL();
	folio_put(f);
	atomic_set(&p->_refcount, 0);
	__free_pages(p, 1);
	assert_int_equal(global_stat(PGFREE), 34);
	assert_int_equal(zone_page_state(cma, NR_ZONE_FREED), 32);
	assert_int_equal(global_stat(NR_FREE_PAGES), free0);
	assert_int_equal(pnm_nr_allocated_frames(), 1);

	/* pnm_stat_reset() clears events only. */
	pnm_stat_reset();
	assert_int_equal(global_stat(PGFREE), 0);
	assert_int_equal(global_stat(PGALLOC_CMA), 0);
	assert_int_equal(global_stat(NR_FREE_PAGES), free0);
	CHECK_ALL();
}

/* The checker must notice corruption, and pass again once repaired. */
static void test_check_zone_catches_corruption(void **state)
{
	struct zone *zone = pnm_zone(ZONE_MOVABLE);
	struct page *head = pfn_to_page(zone->zone_start_pfn);
	struct page *inside = pfn_to_page(zone->zone_start_pfn + 17);
	unsigned long saved;

	(void)state;
	assert_true(pnm_check_zone(zone));
	assert_true(PageBuddy(head));

	/* A listed block head that lost PG_buddy. */
	ClearPageBuddy(head);
	assert_false(pnm_check_zone(zone));
	assert_non_null(strstr(pnm_check_error(), "not PG_buddy"));
	SetPageBuddy(head);
	assert_true(pnm_check_zone(zone));

	/* A head whose order does not match its list. */
	head->private = 3;
	assert_false(pnm_check_zone(zone));
	head->private = MAX_PAGE_ORDER;
	assert_true(pnm_check_zone(zone));

	/* nr_free out of step with the list. */
	spin_lock(&zone->lock);
	zone->free_area[MAX_PAGE_ORDER].nr_free++;
	spin_unlock(&zone->lock);
	assert_false(pnm_check_zone(zone));
	assert_non_null(strstr(pnm_check_error(), "nr_free"));
	spin_lock(&zone->lock);
	zone->free_area[MAX_PAGE_ORDER].nr_free--;
	spin_unlock(&zone->lock);
	assert_true(pnm_check_zone(zone));

	/* The free-page counter out of step with the lists. */
	atomic_long_inc(&zone->vm_stat[NR_ZONE_FREE_PAGES]);
	assert_false(pnm_check_zone(zone));
	assert_non_null(strstr(pnm_check_error(), "NR_ZONE_FREE_PAGES"));
	atomic_long_dec(&zone->vm_stat[NR_ZONE_FREE_PAGES]);
	assert_true(pnm_check_zone(zone));

	/* A reference on a free frame. */
	atomic_set(&inside->_refcount, 1);
	assert_false(pnm_check_zone(zone));
	assert_non_null(strstr(pnm_check_error(), "refcount"));
	atomic_set(&inside->_refcount, 0);
	assert_true(pnm_check_zone(zone));

	/* A stray PG_buddy inside a free block. */
	SetPageBuddy(inside);
	assert_false(pnm_check_zone(zone));
	ClearPageBuddy(inside);
	assert_true(pnm_check_zone(zone));

	/* A broken list link. */
	saved = (unsigned long)head->lru.prev;
	head->lru.prev = &inside->lru;
	assert_false(pnm_check_zone(zone));
	assert_non_null(strstr(pnm_check_error(), "links"));
	head->lru.prev = (struct list_head *)saved;
	assert_true(pnm_check_zone(zone));

	/* pnm_check_system() reports the same through the zone check. */
	ClearPageBuddy(head);
	assert_false(pnm_check_system());
	SetPageBuddy(head);
	CHECK_ALL();
}

static void test_dump_page_any_state(void **state)
{
	struct folio *f = folio_alloc(GFP_HIGHUSER_MOVABLE, 2);

	(void)state;
	assert_non_null(f);
	/* Must not crash on any descriptor state; output goes to stderr. */
	dump_page(&f->page, "test: head");
	dump_page(folio_page(f, 3), "test: tail");
	dump_page(ZERO_PAGE(0), "test: zero page");
	dump_page(pfn_to_page(pnm_zone(ZONE_CMA)->zone_start_pfn), "test: free");
	dump_page(NULL, "test: NULL");
	folio_put(f);
	CHECK_ALL();
}

static void test_init_busy(void **state)
{
	struct pnm_config cfg;

	(void)state;
	pnm_test_config(&cfg);
	assert_int_equal(pnm_init(&cfg), -EBUSY);
	assert_int_equal(pnm_get_config()->zone_frames[ZONE_NORMAL], NORMAL_FRAMES);
	CHECK_ALL();
}

/* Runs without the fixture: builds and tears down models itself. */
static void test_init_fini_cycles(void **state)
{
	struct pnm_config cfg;
	struct page *p;
	int i;

	(void)state;
	assert_int_equal(pnm_fini(), -EINVAL);		/* not initialised */
	assert_false(pnm_check_system());
	assert_null(alloc_page(GFP_KERNEL));
	assert_null(pnm_zone(ZONE_NORMAL));

	/* Bad configurations change nothing. */
	pnm_test_config(&cfg);
	cfg.zone_frames[ZONE_NORMAL] = 0;
	assert_int_equal(pnm_init(&cfg), -EINVAL);
	pnm_test_config(&cfg);
	cfg.zone_frames[ZONE_MOVABLE] = PNM_MAX_FRAMES;	/* sum too big */
	assert_int_equal(pnm_init(&cfg), -EINVAL);
	pnm_test_config(&cfg);
	cfg.zone_frames[ZONE_CMA] = ~0UL;		/* would wrap when rounded */
	assert_int_equal(pnm_init(&cfg), -EINVAL);
	pnm_test_config(&cfg);
	cfg.thp = (enum pnm_thp_mode)7;
	assert_int_equal(pnm_init(&cfg), -EINVAL);
	pnm_test_config(&cfg);
	cfg.pin_accounting = (enum pnm_pin_accounting)9;
	assert_int_equal(pnm_init(&cfg), -EINVAL);
	assert_false(pnm_initialised);

	/* Rounding up to 512 frames; empty MOVABLE and CMA are fine. */
	pnm_test_config(&cfg);
	cfg.zone_frames[ZONE_NORMAL] = 1;
	cfg.zone_frames[ZONE_MOVABLE] = 0;
	cfg.zone_frames[ZONE_CMA] = 513;
	assert_int_equal(pnm_init(&cfg), 0);
	assert_int_equal(pnm_zone(ZONE_NORMAL)->spanned_pages, 512);
	assert_null(pnm_zone(ZONE_MOVABLE));
	assert_int_equal(pnm_zone(ZONE_CMA)->zone_start_pfn, 512);
	assert_int_equal(pnm_zone(ZONE_CMA)->spanned_pages, 1024);
	assert_int_equal(pnm_mem.nr_frames, 1536);
	/* Movable requests skip the empty zone. */
	p = alloc_page(GFP_HIGHUSER_MOVABLE);
	assert_non_null(p);
	assert_int_equal(page_zonenum(p), ZONE_NORMAL);
	assert_null(folio_alloc_zone(GFP_HIGHUSER_MOVABLE, 0, ZONE_MOVABLE));
	CHECK_ALL();

	/* A leak is reported and the model still goes away. */
	assert_int_equal(pnm_fini(), -EBUSY);
	assert_false(pnm_initialised);

	/* Defaults, several cycles. */
	for (i = 0; i < 3; i++) {
		assert_int_equal(pnm_init(NULL), 0);
		assert_int_equal(pnm_mem.nr_frames, 16384 + 8192 + 4096);
		assert_int_equal(pnm_get_config()->thp, PNM_THP_MADVISE);
		assert_int_equal(pnm_get_config()->pin_accounting,
				 PNM_PIN_ACCOUNTING_LINUX);
		assert_int_equal(global_stat(NR_FREE_PAGES), 16384 + 8192 + 4096 - 1);
		p = alloc_pages(GFP_KERNEL, i);
		assert_non_null(p);
		atomic_set(&p->_refcount, 0);
		__free_pages(p, i);
		CHECK_ALL();
		assert_int_equal(pnm_fini(), 0);
	}
	pnm_config_default(&cfg);
	assert_int_equal(cfg.zone_frames[ZONE_NORMAL], 16384);
	assert_int_equal(cfg.zone_frames[ZONE_MOVABLE], 8192);
	assert_int_equal(cfg.zone_frames[ZONE_CMA], 4096);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_layout_and_zero_page,
						pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_buddy_split_merge,
						pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_exhaust_and_merge_back,
						pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_zone_fallback,
						pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_folio_alloc_zone,
						pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_gfp_zero,
						pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_large_folio_wiring,
						pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_exhaustion_recovers,
						pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_fault_injection,
						pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_isolate_free_range,
						pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_counters,
						pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_check_zone_catches_corruption,
						pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_dump_page_any_state,
						pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_init_busy,
						pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test(test_init_fini_cycles),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
