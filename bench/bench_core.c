// SPDX-License-Identifier: MIT
/*
 * bench_core.c - the benchmarks' areas and their limit (bench_core.h).
 *
 * The shadow: page tables as the library lays them out (x86-64, 48-bit
 * addresses): four levels of 512 eight-byte entries; an entry holds the
 * frame number of the next table (or, in a leaf, of the data) shifted by
 * the page shift, with a present bit, and a PMD leaf a huge bit.  Tables
 * live in one arena of 4 KiB frames, reached as the library reaches its
 * own: base + (entry & ~0xfff).  Descriptors: one per frame number, laid
 * out as the library's struct page is today (120 bytes; the reference
 * count at byte 92, then the compound_head word: 0 for a head, head | 1
 * for a tail).
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>
#include "bench_core.h"

#define PG		PNM_PAGE_SIZE
#define PMD_SIZE	PNM_HPAGE_PMD_SIZE
#define HPAGE_PMD_NR	(1UL << PNM_HPAGE_PMD_ORDER)
#define ALIGN_UP(x, a)	(((x) + ((a) - 1)) & ~((a) - 1))

#define E_PRESENT	0x1UL
#define E_HUGE		0x80UL
#define E_ADDR_MASK	0x000ffffffffff000UL
#define NR_TABLES	4096

/*
 * The part of a shadow descriptor the limit touches.  Descriptors are
 * desc_stride bytes apart, the library's size (pnm_page_desc_size()), and
 * this part sits desc_off bytes in: in the last 16 bytes but 8 of the
 * descriptor (bytes 52 and 56 of a 64-byte one).  The library keeps the
 * reference count at byte 52 and a tail's compound head at byte 8: the
 * same cache line, so the limit touches what the library touches.
 */
struct desc {
	int unused;
	int refcount;
	unsigned long compound_head;
};

static unsigned char *tables;		/* NR_TABLES frames of 512 entries */
static unsigned long nr_tables;
static unsigned long pgd_entry;		/* the root table's entry */
static unsigned char *descs;		/* one per frame */
static unsigned long nr_descs;
static size_t desc_stride, desc_off;	/* set by bench_shadow_init() */

double bench_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

double bench_median(double *v, unsigned int n)
{
	if (!n)
		return 0;
	qsort(v, n, sizeof(v[0]), cmp_double);
	return v[n / 2];
}

/* --- areas ----------------------------------------------------------------------- */

int bench_mmap_area(struct task_struct *t, unsigned long bytes, enum area_kind kind,
		    unsigned long *addr)
{
	bool thp = kind == AREA_THP;
	long x = pnm_mmap(t, 0, bytes + (thp ? PMD_SIZE : 0), PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS |
			  (kind == AREA_HUGETLB ? PNM_MAP_HUGETLB : 0), NULL, 0);
	unsigned long a;
	int err;

	if (x < 0)
		return (int)x;
	a = thp ? ALIGN_UP((unsigned long)x, PMD_SIZE) : (unsigned long)x;
	/* A hugetlb mapping is aligned by pnm_mmap() and takes no advice. */
	if (kind != AREA_HUGETLB) {
		err = pnm_madvise(t, a, bytes, thp ? MADV_HUGEPAGE : MADV_NOHUGEPAGE);
		if (err)
			return err;
	}
	*addr = a;
	return 0;
}

int bench_touch_area(struct task_struct *t, unsigned long addr, unsigned long bytes)
{
	for (unsigned long off = 0; off < bytes; off += PG) {
		unsigned char v = 1;
		int err = pnm_user_write(t, addr + off, &v, 1);

		if (err)
			return err;
	}
	return 0;
}

int bench_map_area(struct task_struct *t, unsigned long bytes, enum area_kind kind,
		   unsigned long *addr)
{
	unsigned long a;
	int err = bench_mmap_area(t, bytes, kind, &a);

	if (!err)
		err = bench_touch_area(t, a, bytes);
	if (err)
		return err;
	for (unsigned long off = 0; kind != AREA_SMALL && off < bytes; off += PMD_SIZE) {
		struct pnm_page_info pi = { .size = sizeof(pi) };

		if (pnm_task_page_info(t, a + off, &pi) || pi.order != PNM_HPAGE_PMD_ORDER ||
		    !(pi.flags & (kind == AREA_THP ? PNM_PAGE_MAP_PMD : PNM_PAGE_HUGETLB)))
			return -EFBIG;
	}
	*addr = a;
	return 0;
}

/* --- the shadow ----------------------------------------------------------------- */

static unsigned long *table_at(unsigned long e)
{
	return (unsigned long *)(tables + (e & E_ADDR_MASK));
}

static struct desc *desc_of(unsigned long pfn)
{
	return (struct desc *)(descs + pfn * desc_stride + desc_off);
}

static unsigned long desc_pfn(const void *d)
{
	return (unsigned long)((const unsigned char *)d - desc_off - descs) / desc_stride;
}

/*
 * The folio of @d.  The compound_head word is written before any limit
 * pass starts (bench_shadow_map(), ordered by the thread creation that
 * follows); relaxed: it pairs with no store made meanwhile.
 */
static struct desc *desc_head(struct desc *d)
{
	unsigned long h = __atomic_load_n(&d->compound_head, __ATOMIC_RELAXED);

	return (h & 1) ? (struct desc *)(h - 1) : d;
}

static unsigned long new_table(void)
{
	if (nr_tables == NR_TABLES)
		return 0;
	return (nr_tables++ << 12) | E_PRESENT;
}

/* The entry slot for @addr at @level (4: PGD .. 1: PTE), creating tables;
 * NULL when the tables are full. */
static unsigned long *shadow_slot(unsigned long addr, int level)
{
	unsigned long *e = &pgd_entry;

	for (int l = 4; l >= level; l--) {
		unsigned long *t;

		if (!*e && !(*e = new_table()))
			return NULL;
		t = table_at(*e);
		e = &t[(addr >> (12 + 9 * (l - 1))) & 511];
	}
	return e;
}

int bench_shadow_init(unsigned long frames)
{
	if (tables)
		return -EBUSY;
	desc_stride = pnm_page_desc_size(NULL);
	if (desc_stride < 24)
		desc_stride = 24;
	desc_off = desc_stride >= 120 ? 88 : ((desc_stride - 16) & ~7UL);
	tables = mmap(NULL, NR_TABLES << 12, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	descs = mmap(NULL, frames * desc_stride, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (tables == MAP_FAILED || descs == MAP_FAILED) {
		if (tables != MAP_FAILED)
			munmap(tables, NR_TABLES << 12);
		if (descs != MAP_FAILED)
			munmap(descs, frames * desc_stride);
		tables = NULL;
		descs = NULL;
		return -ENOMEM;
	}
	nr_descs = frames;
	nr_tables = 0;
	pgd_entry = 0;
	return 0;
}

int bench_shadow_map(struct task_struct *t, unsigned long addr, unsigned long bytes, bool pmd)
{
	unsigned long step = pmd ? PMD_SIZE : PG;

	for (unsigned long off = 0; off < bytes; off += step) {
		unsigned long pfn, *e;
		bool w;
		int err = pnm_translate(t, addr + off, &pfn, &w);

		if (err)
			return err;
		if (pfn + (pmd ? HPAGE_PMD_NR : 1) > nr_descs)
			return -ERANGE;
		e = shadow_slot(addr + off, pmd ? 2 : 1);
		if (!e)
			return -ENOSPC;
		*e = (pfn << 12) | E_PRESENT | (pmd ? E_HUGE : 0);
		if (pmd)
			for (unsigned long i = 1; i < HPAGE_PMD_NR; i++)
				desc_of(pfn + i)->compound_head = (unsigned long)desc_of(pfn) | 1;
	}
	return 0;
}

void bench_shadow_fini(void)
{
	if (!tables)
		return;
	munmap(tables, NR_TABLES << 12);
	munmap(descs, nr_descs * desc_stride);
	tables = NULL;
	descs = NULL;
}

/* --- the limit ------------------------------------------------------------------- */

/*
 * The PMD entry slot of @addr.  The acquire loads stand for the lockless
 * walk's ordered reads; the entries were all written before the passes
 * started, so they pair with no concurrent store.
 */
static unsigned long *walk_pmd(unsigned long addr)
{
	unsigned long *pgd = table_at(pgd_entry);
	unsigned long pgde = __atomic_load_n(&pgd[(addr >> 39) & 511], __ATOMIC_ACQUIRE);
	unsigned long *pud = table_at(pgde);
	unsigned long pude = __atomic_load_n(&pud[(addr >> 30) & 511], __ATOMIC_ACQUIRE);

	return &table_at(pude)[(addr >> 21) & 511];
}

void bench_limit_get(unsigned long addr, unsigned long n, void **slots)
{
	while (n) {
		/* Acquire: as the walk above. */
		unsigned long pmd = __atomic_load_n(walk_pmd(addr), __ATOMIC_ACQUIRE);
		unsigned long first = (addr >> 12) & 511;
		unsigned long k = n < 512 - first ? n : 512 - first;

		if (pmd & E_HUGE) {
			struct desc *folio = desc_of((pmd & E_ADDR_MASK) >> 12);

			/* The one reference a folio's pages of one call take;
			 * a full barrier as the library's atomic RMWs; pairs
			 * with the decrement in bench_limit_put(). */
			__atomic_fetch_add(&folio->refcount, 1, __ATOMIC_SEQ_CST);
			for (unsigned long i = 0; i < k; i++)
				slots[i] = (unsigned char *)folio + (first + i) * desc_stride;
		} else {
			unsigned long *ptep = &table_at(pmd)[first];

			for (unsigned long i = 0; i < k; i++) {
				/* Acquire: as the walk above. */
				unsigned long pte = __atomic_load_n(ptep + i, __ATOMIC_ACQUIRE);
				struct desc *page = desc_of(pte >> 12);

				/* A page's reference: pairs with bench_limit_put()'s
				 * decrement. */
				__atomic_fetch_add(&desc_head(page)->refcount, 1, __ATOMIC_SEQ_CST);
				slots[i] = page;
			}
		}
		addr += k * PG;
		slots += k;
		n -= k;
	}
}

void bench_limit_put(void **slots, unsigned long n, unsigned long folio_pages)
{
	if (folio_pages == 1) {
		for (unsigned long i = 0; i < n; i++)
			/* Pairs with bench_limit_get()'s increment of the page. */
			__atomic_fetch_sub(&desc_head(slots[i])->refcount, 1, __ATOMIC_SEQ_CST);
		return;
	}
	for (unsigned long i = 0; i < n;) {
		unsigned long pfn = desc_pfn(slots[i]);

		/* Pairs with bench_limit_get()'s increment of the folio. */
		__atomic_fetch_sub(&desc_of(pfn & ~(folio_pages - 1))->refcount, 1,
				   __ATOMIC_SEQ_CST);
		i += folio_pages - (pfn & (folio_pages - 1));
	}
}

void bench_config(struct pnm_config *cfg, unsigned long normal, unsigned long movable,
		  bool registry)
{
	pnm_config_default(cfg);
	cfg->zone_frames[PNM_ZONE_NORMAL] = normal;
	cfg->zone_frames[PNM_ZONE_MOVABLE] = movable;
	cfg->zone_frames[PNM_ZONE_CMA] = 0;
	cfg->pin_registry = registry;
	cfg->pin_debug = false;
}
