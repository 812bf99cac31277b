// SPDX-License-Identifier: MIT
/*
 * test_pin_tcache.c - each thread's cache of its one-page pins
 * (src/pin_tcache.c): the registry must see every cached pin whenever it
 * answers -- listings and counts from another thread, a release by a
 * thread that did not pin, a thread that exits holding pins, a second
 * release of a pin the cache already released -- and records keep the
 * order of the calls that made them.  The last test races pinning
 * threads against a thread that lists and counts (takes the caches over)
 * and a thread that releases pins it did not take.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_util.h"
#include "pinmm_test_internal.h"

#define PG	PAGE_SIZE
#define RW	(PROT_READ | PROT_WRITE)
#define PRIV	(MAP_PRIVATE | MAP_ANONYMOUS)
#define K	96		/* pins a worker holds */

/* --- helpers ---------------------------------------------------------------- */

struct seen {
	int nr;
	unsigned long id[K * 2];
	unsigned long long seq[K * 2];
	unsigned long nr_pages[K * 2];
	int pid[K * 2];
	char tag[K * 2][32];
};

static void collect(const struct pnm_pin_record *rec, void *arg)
{
	struct seen *s = arg;

	if (s->nr >= K * 2)
		return;
	s->id[s->nr] = rec->id;
	s->seq[s->nr] = rec->seq;
	s->nr_pages[s->nr] = rec->nr_pages;
	s->pid[s->nr] = rec->pid;
	snprintf(s->tag[s->nr], sizeof(s->tag[0]), "%s", rec->tag ? rec->tag : "-");
	s->nr++;
}

static unsigned long all_misuse(void)
{
	unsigned long n = 0;

	for (int k = 0; k < PNM_NR_MISUSE; k++)
		n += pnm_misuse_count(k);
	return n;
}

static long pin_remote(struct task_struct *t, unsigned long addr, unsigned long nr,
		       struct page **pages)
{
	long ret;

	mmap_read_lock(t->mm);
	ret = pin_user_pages_remote(t->mm, addr, nr, FOLL_WRITE, pages, NULL);
	mmap_read_unlock(t->mm);
	return ret;
}

/* A worker that pins @nr pages of @t from @addr one call each, then waits
 * at @held until told to go on, then exits (with its pins if @keep). */
struct worker {
	struct task_struct *t;
	unsigned long addr;
	int nr;
	struct page **pages;
	pthread_barrier_t *held, *go;
	bool keep;
};

static void *pin_worker(void *arg)
{
	struct worker *w = arg;

	for (int i = 0; i < w->nr; i++)
		if (pin_remote(w->t, w->addr + (unsigned long)i * PG, 1, w->pages + i) != 1)
			return (void *)1;
	if (w->held)
		pthread_barrier_wait(w->held);
	if (w->go)
		pthread_barrier_wait(w->go);
	if (!w->keep)
		unpin_user_pages(w->pages, (unsigned long)w->nr);
	return NULL;
}

static struct task_struct *task_with_pages(unsigned long *addr, int nr)
{
	struct task_struct *t = test_task_create("t");

	*addr = test_mmap(t, (unsigned long)nr * PG, RW, PRIV);
	for (int i = 0; i < nr; i++)
		test_write_byte(t, *addr + (unsigned long)i * PG, (unsigned char)i);
	return t;
}

/* Barriers of a worker that holds its pins until told to go on. */
struct held_worker {
	struct worker w;
	pthread_barrier_t held, go;
	pthread_t th;
};

/* Start @hw pinning K pages of a new task one call each; returns when
 * they are pinned (the worker waits, alive, holding them). */
static void held_worker_start(struct held_worker *hw, struct page **pages)
{
	unsigned long a;

	hw->w = (struct worker){ .t = task_with_pages(&a, K), .addr = a, .nr = K,
				 .pages = pages, .held = &hw->held, .go = &hw->go,
				 .keep = true };
	assert_int_equal(pthread_barrier_init(&hw->held, NULL, 2), 0);
	assert_int_equal(pthread_barrier_init(&hw->go, NULL, 2), 0);
	assert_int_equal(pthread_create(&hw->th, NULL, pin_worker, &hw->w), 0);
	pthread_barrier_wait(&hw->held);
}

/* Let @hw's worker exit; it must have pinned all K pages. */
static void held_worker_finish(struct held_worker *hw)
{
	void *ret;

	pthread_barrier_wait(&hw->go);
	assert_int_equal(pthread_join(hw->th, &ret), 0);
	assert_null(ret);
	pthread_barrier_destroy(&hw->held);
	pthread_barrier_destroy(&hw->go);
}

/* --- tests ------------------------------------------------------------------- */

/*
 * A live thread's cached pins are listed and counted by another thread,
 * and that thread's release of them (one call each, then the rest as one
 * array) is no misuse.
 */
static void test_other_thread_sees_and_releases(void **state)
{
	struct page *pages[K];
	struct held_worker hw;
	struct seen s = { 0 };

	(void)state;
	held_worker_start(&hw, pages);
	/* The worker is alive and holds its pins in its cache. */
	assert_int_equal(pnm_pin_registry_count(-1), K);
	pnm_pin_registry_foreach(-1, collect, &s);
	assert_int_equal(s.nr, K);
	for (int i = 1; i < s.nr; i++)
		assert_true(s.id[i] > s.id[i - 1] && s.seq[i] > s.seq[i - 1]);
	/* Released here, by a thread that took none of them. */
	for (int i = 0; i < K / 2; i++)
		unpin_user_page(pages[i]);
	assert_int_equal(pnm_pin_registry_count(-1), K - K / 2);
	unpin_user_pages(pages + K / 2, K - K / 2);
	held_worker_finish(&hw);
	assert_int_equal(pnm_pin_registry_count(-1), 0);
	assert_int_equal(all_misuse(), 0);
	CHECK_ALL();
}

/*
 * The same without a listing first: the release by another thread finds
 * nothing in the registry's own structures and must look in the
 * pinning thread's cache before it calls the unpin a misuse.
 */
static void test_release_without_listing(void **state)
{
	struct page *pages[K];
	struct held_worker hw;

	(void)state;
	held_worker_start(&hw, pages);
	for (int i = K - 1; i >= 0; i--)
		unpin_user_page(pages[i]);
	assert_int_equal(all_misuse(), 0);
	held_worker_finish(&hw);
	assert_int_equal(pnm_pin_registry_count(-1), 0);
	CHECK_ALL();
}

/* A thread that exits holding cached pins hands them to the registry. */
static void test_thread_exit_hands_over(void **state)
{
	struct page *pages[K];
	struct worker w;
	struct seen s = { 0 };
	unsigned long a;
	pthread_t th;

	(void)state;
	w = (struct worker){ .t = task_with_pages(&a, K), .addr = a, .nr = K, .pages = pages,
			     .keep = true };
	pnm_pin_set_tag("worker");
	assert_int_equal(pthread_create(&th, NULL, pin_worker, &w), 0);
	assert_int_equal(pthread_join(th, NULL), 0);
	pnm_pin_set_tag(NULL);
	assert_int_equal(pnm_pin_registry_count(-1), K);
	pnm_pin_registry_foreach(-1, collect, &s);
	assert_int_equal(s.nr, K);
	unpin_user_pages(pages, K);
	assert_int_equal(pnm_pin_registry_count(-1), 0);
	assert_int_equal(all_misuse(), 0);
	CHECK_ALL();
}

/*
 * Records keep the order of the calls, whether the cache or the registry
 * made them, and ids stay consecutive in a program with one pinning
 * thread; listing between the calls changes neither.
 */
static void test_order_of_records(void **state)
{
	unsigned long a;
	struct task_struct *t = task_with_pages(&a, 8);
	struct page *one[1], *three[3], *again[1], *last[1];
	struct seen s = { 0 };

	(void)state;
	assert_int_equal(pin_remote(t, a, 1, one), 1);
	assert_int_equal(pin_remote(t, a + PG, 3, three), 3);
	assert_int_equal(pnm_pin_registry_count(-1), 4);
	assert_int_equal(pin_remote(t, a + 4 * PG, 1, again), 1);
	assert_int_equal(pin_remote(t, a + 5 * PG, 1, last), 1);
	pnm_pin_registry_foreach(-1, collect, &s);
	assert_int_equal(s.nr, 4);
	assert_int_equal(s.nr_pages[0], 1);
	assert_int_equal(s.nr_pages[1], 3);
	for (int i = 0; i < 4; i++)
		assert_int_equal(s.id[i], i + 1);
	for (int i = 1; i < 4; i++)
		assert_true(s.seq[i] > s.seq[i - 1]);
	unpin_user_page(again[0]);
	unpin_user_pages(three, 3);
	unpin_user_page(one[0]);
	unpin_user_page(last[0]);
	assert_int_equal(pnm_pin_registry_count(-1), 0);
	assert_int_equal(all_misuse(), 0);
	CHECK_ALL();
}

/* Find the report of @kind; its text in @buf. */
struct find_report {
	enum pnm_misuse_kind kind;
	char text[256];
	bool found;
};

static void find_report(const struct pnm_misuse_report *r, void *arg)
{
	struct find_report *f = arg;

	if (r->kind == f->kind) {
		snprintf(f->text, sizeof(f->text), "%s", r->text);
		f->found = true;
	}
}

/*
 * A second release of a pin the cache released is OVER_UNPIN and names
 * that pin (its grave came from the cache), and releases nothing.
 */
static void test_over_unpin_names_cached_pin(void **state)
{
	unsigned long a;
	struct task_struct *t = task_with_pages(&a, 2);
	struct find_report f = { .kind = PNM_MISUSE_OVER_UNPIN };
	struct page *page;
	int refs;

	(void)state;
	pnm_pin_set_tag("cached");
	assert_int_equal(pin_remote(t, a, 1, &page), 1);
	pnm_pin_set_tag(NULL);
	unpin_user_page(page);
	refs = page_ref_count(page);
	unpin_user_page(page);
	assert_int_equal(page_ref_count(page), refs);
	assert_int_equal(pnm_misuse_count(PNM_MISUSE_OVER_UNPIN), 1);
	assert_int_equal(pnm_misuse_count(PNM_MISUSE_UNPIN_UNPINNED), 0);
	pnm_misuse_foreach(find_report, &f);
	assert_true(f.found);
	assert_non_null(strstr(f.text, "tag \"cached\""));
	CHECK_ALL();
}

/*
 * One page per call, released through unpin_user_pages() of one page (the
 * release the thread's cache serves without the batch loop): the same
 * page pinned twice is two pins, released newest first; a third release
 * is OVER_UNPIN naming the last pin released and releases nothing.  Pins
 * held across many calls whose context changes every few calls (a tag)
 * are listed in the order and with the tags of their calls, and released
 * one call each and then as one array, after a listing took the cache
 * over.
 */
static void test_one_page_calls(void **state)
{
	unsigned long a;
	struct task_struct *t = task_with_pages(&a, K);
	struct find_report f = { .kind = PNM_MISUSE_OVER_UNPIN };
	struct page *pages[K], *twice[2];
	struct seen s = { 0 };
	int refs[K];

	(void)state;
	pnm_task_enter(t);
	assert_int_equal(pin_user_pages_fast(a, 1, FOLL_WRITE, twice), 1);
	refs[0] = page_ref_count(twice[0]) - (int)GUP_PIN_COUNTING_BIAS;
	pnm_pin_set_tag("second");
	assert_int_equal(pin_user_pages_fast(a, 1, FOLL_WRITE, twice + 1), 1);
	pnm_pin_set_tag(NULL);
	assert_ptr_equal(twice[0], twice[1]);
	unpin_user_pages(twice + 1, 1);
	assert_int_equal(pnm_pin_registry_count(-1), 1);
	pnm_pin_registry_foreach(-1, collect, &s);
	assert_int_equal(s.nr, 1);
	assert_string_equal(s.tag[0], "-");	/* the newest ("second") went first */
	unpin_user_pages(twice, 1);
	assert_int_equal(page_ref_count(twice[0]), refs[0]);
	assert_int_equal(all_misuse(), 0);
	unpin_user_pages(twice, 1);
	assert_int_equal(page_ref_count(twice[0]), refs[0]);
	assert_int_equal(pnm_misuse_count(PNM_MISUSE_OVER_UNPIN), 1);
	pnm_misuse_foreach(find_report, &f);
	assert_true(f.found);
	assert_null(strstr(f.text, "second"));

	for (int i = 0; i < K; i++) {
		char tag[16];

		snprintf(tag, sizeof(tag), "t%d", i / 8);
		pnm_pin_set_tag(i % 16 < 8 ? tag : NULL);
		refs[i] = page_ref_count(pfn_to_page(test_pfn(t, a + (unsigned long)i * PG)));
		assert_int_equal(pin_user_pages_fast(a + (unsigned long)i * PG, 1, FOLL_WRITE,
						     pages + i), 1);
	}
	pnm_pin_set_tag(NULL);
	memset(&s, 0, sizeof(s));
	pnm_pin_registry_foreach(-1, collect, &s);
	assert_int_equal(s.nr, K);
	for (int i = 0; i < K; i++) {
		char tag[16];

		snprintf(tag, sizeof(tag), "t%d", i / 8);
		assert_string_equal(s.tag[i], i % 16 < 8 ? tag : "-");
		if (i)
			assert_true(s.id[i] > s.id[i - 1] && s.seq[i] > s.seq[i - 1]);
	}
	for (int i = K / 2 - 1; i >= 0; i--)
		unpin_user_pages(pages + i, 1);
	unpin_user_pages(pages + K / 2, K - K / 2);
	for (int i = 0; i < K; i++)
		assert_int_equal(page_ref_count(pages[i]), refs[i]);
	assert_int_equal(pnm_pin_registry_count(-1), 0);
	assert_int_equal(pnm_misuse_count(PNM_MISUSE_OVER_UNPIN), 1);
	assert_int_equal(all_misuse(), 1);
	pnm_task_enter(NULL);
	CHECK_ALL();
}

/* A THP of @t, faulted in at a 2 MiB boundary: its address in *@h. */
static void fault_thp(struct task_struct *t, unsigned long *h)
{
	unsigned long a = test_mmap(t, 2 * HPAGE_PMD_SIZE, RW, PRIV);

	*h = ALIGN(a, HPAGE_PMD_SIZE);
	assert_int_equal(pnm_mm_madvise(t->mm, *h, HPAGE_PMD_SIZE, MADV_HUGEPAGE), 0);
	test_write_byte(t, *h, 1);
	assert_int_equal(folio_order(page_folio(pfn_to_page(test_pfn(t, *h)))), HPAGE_PMD_ORDER);
}

struct span_release {
	struct page **pages;
	unsigned long n;
};

static void *release_span(void *arg)
{
	struct span_release *r = arg;

	unpin_user_pages(r->pages, r->n);
	return NULL;
}

/*
 * A call over consecutive frames (a THP's 512 pages) is cached as one
 * entry: listed as one record of 512 pages; released whole by its thread;
 * released whole by another thread (which must find it in the pinning
 * thread's cache); released one page first through the folio, then the
 * rest (the registry takes the entry over as a record of 8 nodes); 256
 * calls of 2 pages released as one array, whole and around one page
 * released first.
 * Nothing is reported and the folio's pins come out exact each time.
 */
static void test_span_entries(void **state)
{
	struct task_struct *t = test_task_create("t");
	struct page **pages = calloc(HPAGE_PMD_NR, sizeof(*pages));
	struct span_release r = { .pages = pages, .n = HPAGE_PMD_NR };
	struct seen s = { 0 };
	struct folio *folio;
	unsigned long h;
	pthread_t th;

	(void)state;
	assert_non_null(pages);
	fault_thp(t, &h);
	folio = page_folio(pfn_to_page(test_pfn(t, h)));

	assert_int_equal(pin_remote(t, h, HPAGE_PMD_NR, pages), HPAGE_PMD_NR);
	assert_int_equal(atomic_read(&folio->_pincount), HPAGE_PMD_NR);
	pnm_pin_registry_foreach(-1, collect, &s);
	assert_int_equal(s.nr, 1);
	assert_int_equal(s.nr_pages[0], HPAGE_PMD_NR);
	assert_int_equal(pnm_pin_registry_count(-1), HPAGE_PMD_NR);
	unpin_user_pages(pages, HPAGE_PMD_NR);
	assert_int_equal(atomic_read(&folio->_pincount), 0);
	assert_int_equal(pnm_pin_registry_count(-1), 0);

	assert_int_equal(pin_remote(t, h, HPAGE_PMD_NR, pages), HPAGE_PMD_NR);
	assert_int_equal(pthread_create(&th, NULL, release_span, &r), 0);
	assert_int_equal(pthread_join(th, NULL), 0);
	assert_int_equal(atomic_read(&folio->_pincount), 0);
	assert_int_equal(pnm_pin_registry_count(-1), 0);

	assert_int_equal(pin_remote(t, h, HPAGE_PMD_NR, pages), HPAGE_PMD_NR);
	unpin_user_page(pages[100]);
	assert_int_equal(atomic_read(&folio->_pincount), HPAGE_PMD_NR - 1);
	assert_int_equal(pnm_pin_registry_count(-1), HPAGE_PMD_NR - 1);
	unpin_user_pages(pages + 1, HPAGE_PMD_NR - 1);
	assert_int_equal(atomic_read(&folio->_pincount), 0);
	assert_int_equal(pnm_pin_registry_count(-1), 0);
	assert_int_equal(all_misuse(), 0);

	/* 256 calls of 2 pages each, released as one array: one entry
	 * per two array entries; then again with one page released first
	 * through the folio (the registry takes the rest over). */
	for (unsigned long i = 0; i < HPAGE_PMD_NR; i += 2)
		assert_int_equal(pin_remote(t, h + i * PG, 2, pages + i), 2);
	assert_int_equal(atomic_read(&folio->_pincount), HPAGE_PMD_NR);
	unpin_user_pages(pages, HPAGE_PMD_NR);
	assert_int_equal(atomic_read(&folio->_pincount), 0);
	assert_int_equal(pnm_pin_registry_count(-1), 0);
	for (unsigned long i = 0; i < HPAGE_PMD_NR; i += 2)
		assert_int_equal(pin_remote(t, h + i * PG, 2, pages + i), 2);
	unpin_user_page(pages[301]);
	unpin_user_pages(pages, 301);
	unpin_user_pages(pages + 302, HPAGE_PMD_NR - 302);
	assert_int_equal(atomic_read(&folio->_pincount), 0);
	assert_int_equal(pnm_pin_registry_count(-1), 0);
	assert_int_equal(all_misuse(), 0);

	/* A second release of a cached span's pins: refused, reported. */
	assert_int_equal(pin_remote(t, h, HPAGE_PMD_NR, pages), HPAGE_PMD_NR);
	unpin_user_pages(pages, HPAGE_PMD_NR);
	unpin_user_page(pages[7]);
	assert_int_equal(atomic_read(&folio->_pincount), 0);
	assert_int_equal(pnm_misuse_count(PNM_MISUSE_OVER_UNPIN), 1);
	free(pages);
	CHECK_ALL();
}

/* --- stress ------------------------------------------------------------------ */

#define STRESS_PINNERS	2
#define STRESS_PAGES	64
#define STRESS_ROUNDS	400

/* Pages a pinner passes to the releaser: a one-slot mailbox. */
struct mailbox {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct page *page;
	bool closed;
};

struct pinner {
	struct task_struct *t;
	unsigned long addr;
	unsigned int seed;
	struct mailbox *box;
	long failures;
};

static void mailbox_put(struct mailbox *m, struct page *page)
{
	pthread_mutex_lock(&m->lock);
	while (m->page)
		pthread_cond_wait(&m->cond, &m->lock);
	m->page = page;
	pthread_cond_broadcast(&m->cond);
	pthread_mutex_unlock(&m->lock);
}

/*
 * Each round: pin a random number of random pages one call each (a page
 * may be pinned twice), release them in a random order, some through the
 * releaser thread.
 */
static void *stress_pinner(void *arg)
{
	struct pinner *p = arg;
	struct page *held[8];

	for (int r = 0; r < STRESS_ROUNDS; r++) {
		int n = 1 + (int)(rand_r(&p->seed) % 8);

		for (int i = 0; i < n; i++) {
			unsigned long off = rand_r(&p->seed) % STRESS_PAGES;

			if (pin_remote(p->t, p->addr + off * PG, 1, held + i) != 1) {
				p->failures++;
				n = i;
				break;
			}
		}
		/* Now and then a call of 4 pages (consecutive frames or not:
		 * a span entry or a registry record), released whole. */
		if (rand_r(&p->seed) % 4 == 0) {
			unsigned long off = rand_r(&p->seed) % (STRESS_PAGES - 4);
			struct page *four[4];

			if (pin_remote(p->t, p->addr + off * PG, 4, four) == 4)
				unpin_user_pages(four, 4);
			else
				p->failures++;
		}
		while (n) {
			int i = (int)(rand_r(&p->seed) % (unsigned int)n);

			if (rand_r(&p->seed) % 4 == 0)
				mailbox_put(p->box, held[i]);
			else
				unpin_user_page(held[i]);
			held[i] = held[--n];
		}
	}
	return NULL;
}

static void *stress_releaser(void *arg)
{
	struct mailbox *m = arg;

	pthread_mutex_lock(&m->lock);
	for (;;) {
		while (!m->page && !m->closed)
			pthread_cond_wait(&m->cond, &m->lock);
		if (!m->page)
			break;
		unpin_user_page(m->page);
		m->page = NULL;
		pthread_cond_broadcast(&m->cond);
	}
	pthread_mutex_unlock(&m->lock);
	return NULL;
}

struct lister {
	volatile bool stop;
	unsigned long max_seen, rounds;
};

static void *stress_lister(void *arg)
{
	struct lister *l = arg;

	while (!__atomic_load_n(&l->stop, __ATOMIC_ACQUIRE)) {
		unsigned long n = pnm_pin_registry_count(-1);
		struct seen s = { 0 };

		if (n > l->max_seen)
			l->max_seen = n;
		pnm_pin_registry_foreach(-1, collect, &s);
		l->rounds++;
	}
	return NULL;
}

/*
 * Seeded, bounded: STRESS_PINNERS threads pin and release one page per
 * call over their own ranges (and now and then 4 pages in one call),
 * handing a quarter of their one-page pins to a releaser thread, while a lister takes every cache over again and again.
 * Nothing may be reported, at most every pinner's 12 pins can be live at
 * a time, and at the end nothing is left and every checker passes.
 */
static void test_stress_steal(void **state)
{
	struct pinner p[STRESS_PINNERS];
	struct mailbox box = { .lock = PTHREAD_MUTEX_INITIALIZER,
			       .cond = PTHREAD_COND_INITIALIZER };
	struct lister l = { 0 };
	pthread_t tp[STRESS_PINNERS], tr, tl;

	(void)state;
	for (int i = 0; i < STRESS_PINNERS; i++) {
		p[i] = (struct pinner){ .seed = 1234u + (unsigned int)i, .box = &box };
		p[i].t = task_with_pages(&p[i].addr, STRESS_PAGES);
	}
	assert_int_equal(pthread_create(&tr, NULL, stress_releaser, &box), 0);
	assert_int_equal(pthread_create(&tl, NULL, stress_lister, &l), 0);
	for (int i = 0; i < STRESS_PINNERS; i++)
		assert_int_equal(pthread_create(&tp[i], NULL, stress_pinner, &p[i]), 0);
	for (int i = 0; i < STRESS_PINNERS; i++)
		assert_int_equal(pthread_join(tp[i], NULL), 0);
	pthread_mutex_lock(&box.lock);
	box.closed = true;
	pthread_cond_broadcast(&box.cond);
	pthread_mutex_unlock(&box.lock);
	assert_int_equal(pthread_join(tr, NULL), 0);
	__atomic_store_n(&l.stop, true, __ATOMIC_RELEASE);
	assert_int_equal(pthread_join(tl, NULL), 0);

	for (int i = 0; i < STRESS_PINNERS; i++)
		assert_int_equal(p[i].failures, 0);
	assert_true(l.rounds > 0);
	assert_true(l.max_seen <= STRESS_PINNERS * (8 + 4) + 1);
	assert_int_equal(pnm_pin_registry_count(-1), 0);
	assert_int_equal(all_misuse(), 0);
	CHECK_ALL();
}

/*
 * A call's context names its process, not only its mm: a process that
 * exited leaves the thread's last context behind (its graves named it),
 * and a new process's mm may be allocated where the old one was -- its
 * one-page pins must still be recorded with its own pid.  Several rounds,
 * so that the allocator reuses the address in at least one (reported).
 */
static __attribute__((noinline)) void pin_one_here(unsigned long addr, struct page **page)
{
	/* One call site for both processes' pins. */
	assert_int_equal(pin_user_pages_fast(addr, 1, FOLL_WRITE, page), 1);
}

static void test_ctx_new_mm(void **state)
{
	int reused = 0;

	(void)state;
	for (int round = 0; round < 4; round++) {
		unsigned long a, b;
		struct task_struct *t1 = task_with_pages(&a, 1), *t2;
		struct page *page;
		struct seen s = { 0 };
		uintptr_t old_mm;

		pnm_task_enter(t1);
		pin_one_here(a, &page);
		unpin_user_pages(&page, 1);
		pnm_task_enter(NULL);
		old_mm = (uintptr_t)t1->mm;
		pnm_task_exit(t1);
		pnm_task_put(t1);

		t2 = task_with_pages(&b, 1);
		reused += (uintptr_t)t2->mm == old_mm;
		pnm_task_enter(t2);
		pin_one_here(b, &page);
		pnm_pin_registry_foreach(-1, collect, &s);
		assert_int_equal(s.nr, 1);
		assert_int_equal(s.pid[0], t2->pid);
		unpin_user_pages(&page, 1);
		pnm_task_enter(NULL);
		pnm_task_exit(t2);
		pnm_task_put(t2);
		CHECK_ALL();
	}
	if (!reused)
		print_message("no mm address was reused: the stale-context case did not arise\n");
	assert_int_equal(all_misuse(), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		PNM_TEST(test_other_thread_sees_and_releases),
		PNM_TEST(test_release_without_listing),
		PNM_TEST(test_thread_exit_hands_over),
		PNM_TEST(test_order_of_records),
		PNM_TEST(test_over_unpin_names_cached_pin),
		PNM_TEST(test_one_page_calls),
		PNM_TEST(test_ctx_new_mm),
		PNM_TEST(test_span_entries),
		PNM_TEST(test_stress_steal),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
