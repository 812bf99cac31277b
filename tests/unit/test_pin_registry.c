// SPDX-License-Identifier: MIT
/*
 * test_pin_registry.c - the pin registry and misuse detection
 * (pin_registry.c): records with owner, tag, call site, range, flags and
 * time; per-process and global listing and printing; partial unpins;
 * records freed; the registry switched off; every misuse kind reported
 * with the pin's owner and call site in its text; and no false positives
 * while real threads pin, unpin, get, put, write and zap the same pages.
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
#define SHARED	(MAP_SHARED | MAP_ANONYMOUS)

/* --- helpers ---------------------------------------------------------------- */

#define MAX_RECS	8

struct rec_copy {
	struct pnm_pin_record r;
	char tag[32];
	char func[64];
};

struct recs {
	int nr;
	struct rec_copy c[MAX_RECS];
};

static void collect_rec(const struct pnm_pin_record *rec, void *arg)
{
	struct recs *rs = arg;
	struct rec_copy *c;

	if (rs->nr >= MAX_RECS)
		return;
	c = &rs->c[rs->nr++];
	c->r = *rec;
	snprintf(c->tag, sizeof(c->tag), "%s", rec->tag ? rec->tag : "");
	snprintf(c->func, sizeof(c->func), "%s", rec->func ? rec->func : "");
}

static struct recs list_recs(int pid)
{
	struct recs rs;

	memset(&rs, 0, sizeof(rs));
	pnm_pin_registry_foreach(pid, collect_rec, &rs);
	return rs;
}

#define MAX_REPORTS	16

struct reports {
	int nr;
	enum pnm_misuse_kind kind[MAX_REPORTS];
	unsigned long pfn[MAX_REPORTS];
	bool has_pin[MAX_REPORTS];
	unsigned long pin_id[MAX_REPORTS];
	char text[MAX_REPORTS][256];
};

static void collect_report(const struct pnm_misuse_report *r, void *arg)
{
	struct reports *rs = arg;

	if (rs->nr >= MAX_REPORTS)
		return;
	rs->kind[rs->nr] = r->kind;
	rs->pfn[rs->nr] = r->pfn;
	rs->has_pin[rs->nr] = r->pin != NULL;
	rs->pin_id[rs->nr] = r->pin ? r->pin->id : 0;
	memcpy(rs->text[rs->nr], r->text, sizeof(r->text));
	rs->nr++;
}

static struct reports list_reports(void)
{
	struct reports rs;

	memset(&rs, 0, sizeof(rs));
	pnm_misuse_foreach(collect_report, &rs);
	return rs;
}

static unsigned long all_misuse(void)
{
	unsigned long n = 0;
	int k;

	for (k = 0; k < PNM_NR_MISUSE; k++)
		n += pnm_misuse_count(k);
	return n;
}

/* "test_pin_registry.c:<line>" appears in @text. */
static bool has_site(const char *text, int line)
{
	char want[64];

	snprintf(want, sizeof(want), "test_pin_registry.c:%d", line);
	return strstr(text, want) != NULL;
}

static bool has_pid(const char *text, int pid)
{
	char want[32];

	snprintf(want, sizeof(want), "pid %d", pid);
	return strstr(text, want) != NULL;
}

/* pin_user_pages_remote with the mmap_lock taken around it. */
static long pin_remote(struct task_struct *t, unsigned long addr,
		       unsigned long nr, unsigned int flags, struct page **pages)
{
	long ret;

	mmap_read_lock(t->mm);
	ret = pin_user_pages_remote(t->mm, addr, nr, flags, pages, NULL);
	mmap_read_unlock(t->mm);
	return ret;
}

static long get_remote(struct task_struct *t, unsigned long addr,
		       unsigned long nr, unsigned int flags, struct page **pages)
{
	long ret;

	mmap_read_lock(t->mm);
	ret = get_user_pages_remote(t->mm, addr, nr, flags, pages, NULL);
	mmap_read_unlock(t->mm);
	return ret;
}

/* Fill @nr pages at @a with distinct bytes (exclusive anon pages). */
static void touch(struct task_struct *t, unsigned long a, int nr)
{
	int i;

	for (i = 0; i < nr; i++)
		test_write_byte(t, a + i * PG, (unsigned char)(i + 1));
}

/* Print the registry into a string (caller frees). */
static char *print_registry(int pid)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);

	assert_non_null(out);
	pnm_pin_registry_print(out, pid);
	fclose(out);
	return buf;
}

/* --- records ----------------------------------------------------------------- */

static void test_record_fields(void **state)
{
	struct task_struct *p = test_task_create("p");
	unsigned long a = test_mmap(p, 4 * PG, RW, PRIV);
	struct page *pages[3];
	struct recs rs;
	int line;
	long ret;

	(void)state;
	touch(p, a, 4);
	pnm_pin_set_tag("dio");
	mmap_read_lock(p->mm);
	line = __LINE__; ret = pin_user_pages_remote(p->mm, a + PG, 3, FOLL_WRITE, pages, NULL);
	mmap_read_unlock(p->mm);
	pnm_pin_set_tag(NULL);
	assert_int_equal(ret, 3);
	CHECK_ALL();

	rs = list_recs(-1);
	assert_int_equal(rs.nr, 1);
	assert_int_equal(rs.c[0].r.id, 1);
	assert_int_equal(rs.c[0].r.pid, p->pid);
	assert_string_equal(rs.c[0].tag, "dio");
	assert_non_null(strstr(rs.c[0].r.file, "test_pin_registry.c"));
	assert_int_equal(rs.c[0].r.line, line);
	assert_string_equal(rs.c[0].func, "test_record_fields");
	assert_int_equal(rs.c[0].r.start, a + PG);
	assert_int_equal(rs.c[0].r.nr_pages, 3);
	assert_int_equal(rs.c[0].r.nr_live, 3);
	assert_int_equal(rs.c[0].r.gup_flags, FOLL_PIN | FOLL_WRITE);
	assert_true(rs.c[0].r.seq > 0);
	assert_int_equal(pnm_pin_registry_count(p->pid), 3);
	assert_int_equal(pnm_pin_registry_count(-1), 3);
	assert_int_equal(pnm_pin_registry_count(p->pid + 1), 0);

	/* The call site is consumed: a pin without the macro has none. */
	mmap_read_lock(p->mm);
	ret = (pin_user_pages_remote)(p->mm, a, 1, 0, pages + 0, NULL);
	mmap_read_unlock(p->mm);
	assert_int_equal(ret, 1);
	rs = list_recs(-1);
	assert_int_equal(rs.nr, 2);
	assert_null(rs.c[1].r.file);
	assert_non_null(rs.c[1].r.caller);	/* its return address instead */
	assert_null(rs.c[1].r.tag);
	assert_int_equal(rs.c[1].r.gup_flags, FOLL_PIN);
	assert_true(rs.c[1].r.id > rs.c[0].r.id);
	assert_true(rs.c[1].r.seq > rs.c[0].r.seq);
	unpin_user_page(pages[0]);
	assert_int_equal(list_recs(-1).nr, 1);

	/* Re-fetch the first record's pages to release them. */
	assert_int_equal(pnm_pin_registry_count(-1), 3);
	for (int i = 0; i < 3; i++)
		pages[i] = pfn_to_page(test_pfn(p, a + (i + 1) * PG));
	unpin_user_pages(pages, 3);
	assert_int_equal(pnm_pin_registry_count(-1), 0);
	assert_int_equal(all_misuse(), 0);
	CHECK_ALL();
}

static void test_listing_per_process(void **state)
{
	struct task_struct *p1 = test_task_create("p1"), *p2 = test_task_create("p2");
	unsigned long a1 = test_mmap(p1, 4 * PG, RW, PRIV);
	unsigned long a2 = test_mmap(p2, 4 * PG, RW, PRIV);
	struct page *x[2], *y[4], *z[1];
	struct recs rs;
	char *text;

	(void)state;
	touch(p1, a1, 4);
	touch(p2, a2, 4);
	pnm_pin_set_tag("rdma:mr3");
	assert_int_equal(pin_remote(p1, a1, 2, FOLL_WRITE | FOLL_LONGTERM, x), 2);
	pnm_pin_set_tag("dio");
	assert_int_equal(pin_remote(p2, a2, 4, 0, y), 4);
	pnm_pin_set_tag(NULL);
	assert_int_equal(pin_remote(p1, a1 + 3 * PG, 1, FOLL_WRITE, z), 1);
	CHECK_ALL();

	/* Global: oldest first. */
	rs = list_recs(-1);
	assert_int_equal(rs.nr, 3);
	assert_int_equal(rs.c[0].r.pid, p1->pid);
	assert_int_equal(rs.c[1].r.pid, p2->pid);
	assert_int_equal(rs.c[2].r.pid, p1->pid);
	assert_int_equal(rs.c[0].r.gup_flags, FOLL_PIN | FOLL_WRITE | FOLL_LONGTERM);
	assert_true(rs.c[0].r.seq < rs.c[1].r.seq && rs.c[1].r.seq < rs.c[2].r.seq);
	/* Per process. */
	rs = list_recs(p1->pid);
	assert_int_equal(rs.nr, 2);
	assert_string_equal(rs.c[0].tag, "rdma:mr3");
	assert_int_equal(rs.c[1].r.nr_pages, 1);
	rs = list_recs(p2->pid);
	assert_int_equal(rs.nr, 1);
	assert_string_equal(rs.c[0].tag, "dio");
	assert_int_equal(pnm_pin_registry_count(p1->pid), 3);
	assert_int_equal(pnm_pin_registry_count(p2->pid), 4);
	assert_int_equal(pnm_pin_registry_count(-1), 7);

	text = print_registry(-1);
	assert_non_null(strstr(text, "tag rdma:mr3"));
	assert_non_null(strstr(text, "pages 2/2 FOLL_PIN|FOLL_WRITE|FOLL_LONGTERM seq"));
	assert_non_null(strstr(text, "pages 4/4 FOLL_PIN seq"));
	assert_non_null(strstr(text, "pin_remote()"));
	assert_null(strstr(text, "legacy"));
	free(text);
	text = print_registry(p2->pid);
	assert_null(strstr(text, "rdma"));
	assert_non_null(strstr(text, "tag dio"));
	free(text);

	unpin_user_pages(x, 2);
	unpin_user_pages(y, 4);
	unpin_user_pages(z, 1);
	text = print_registry(-1);
	assert_string_equal(text, "no pins\n");
	free(text);
	assert_int_equal(all_misuse(), 0);
	CHECK_ALL();
}

static void test_partial_unpin(void **state)
{
	struct task_struct *p = test_task_create("p");
	unsigned long a = test_mmap(p, 4 * PG, RW, PRIV);
	long acq = global_stat(NR_FOLL_PIN_ACQUIRED);
	struct page *pages[4];
	struct recs rs;
	char *text;

	(void)state;
	touch(p, a, 4);
	assert_int_equal(pin_remote(p, a, 4, FOLL_WRITE, pages), 4);
	assert_int_equal(global_stat(NR_FOLL_PIN_ACQUIRED), acq + 4);

	unpin_user_page(pages[1]);
	rs = list_recs(-1);
	assert_int_equal(rs.nr, 1);
	assert_int_equal(rs.c[0].r.nr_live, 3);
	assert_int_equal(rs.c[0].r.nr_pages, 4);
	text = print_registry(p->pid);
	assert_non_null(strstr(text, "pages 3/4"));
	free(text);
	CHECK_ALL();

	unpin_user_pages(pages + 2, 2);
	rs = list_recs(-1);
	assert_int_equal(rs.c[0].r.nr_live, 1);
	assert_int_equal(pnm_pin_registry_count(p->pid), 1);
	/* The last unpin frees the record. */
	unpin_user_pages_dirty_lock(pages, 1, true);
	assert_int_equal(list_recs(-1).nr, 0);
	assert_int_equal(pnm_pin_registry_count(-1), 0);
	assert_int_equal(global_stat(NR_FOLL_PIN_RELEASED),
			 global_stat(NR_FOLL_PIN_ACQUIRED));
	assert_int_equal(all_misuse(), 0);
	CHECK_ALL();
}

/* Two pins of one page: each unpin retires one record's page. */
static void test_same_page_twice(void **state)
{
	struct task_struct *p = test_task_create("p");
	unsigned long a = test_mmap(p, PG, RW, PRIV);
	struct page *x, *y;
	struct recs rs;

	(void)state;
	touch(p, a, 1);
	pnm_pin_set_tag("first");
	assert_int_equal(pin_remote(p, a, 1, 0, &x), 1);
	pnm_pin_set_tag("second");
	assert_int_equal(pin_remote(p, a, 1, FOLL_WRITE, &y), 1);
	pnm_pin_set_tag(NULL);
	assert_ptr_equal(x, y);
	assert_int_equal(atomic_read(&x->pnm_pincount), 2);
	assert_int_equal(pnm_pin_registry_count(-1), 2);
	unpin_user_page(x);
	rs = list_recs(-1);
	assert_int_equal(rs.nr, 1);
	assert_int_equal(pnm_pin_registry_count(-1), 1);
	unpin_user_page(y);
	assert_int_equal(list_recs(-1).nr, 0);
	assert_int_equal(all_misuse(), 0);
	CHECK_ALL();
}

/*
 * A record whose allocation fails (host ENOMEM): the call fails with
 * -ENOMEM and nothing stays pinned -- through the slow path and the
 * lockless one -- and the next call works.
 */
static void test_record_enomem(void **state)
{
	struct task_struct *p = test_task_create("p");
	unsigned long a = test_mmap(p, 4 * PG, RW, PRIV);
	struct page *pages[4];
	int refs[4], i;

	(void)state;
	touch(p, a, 4);
	assert_int_equal(pin_remote(p, a, 4, FOLL_WRITE, pages), 4);
	unpin_user_pages(pages, 4);
	for (i = 0; i < 4; i++)
		refs[i] = page_ref_count(pages[i]);

	pnm_pin_registry_fail_nth(1);
	assert_int_equal(pin_remote(p, a, 4, FOLL_WRITE, pages), -ENOMEM);
	pnm_task_enter(p);
	pnm_pin_registry_fail_nth(1);
	assert_int_equal(pin_user_pages_fast(a, 4, FOLL_WRITE, pages), -ENOMEM);
	pnm_pin_registry_fail_nth(2);		/* the second record fails */
	assert_int_equal(pin_user_pages_fast(a, 1, FOLL_WRITE, pages), 1);
	assert_int_equal(pin_user_pages_fast(a + PG, 1, FOLL_WRITE, pages + 1), -ENOMEM);
	pnm_task_enter(NULL);
	unpin_user_page(pages[0]);
	for (i = 0; i < 4; i++) {
		struct page *q;

		assert_int_equal(pin_remote(p, a + i * PG, 1, 0, &q), 1);
		assert_int_equal(page_ref_count(q), refs[i] + (int)GUP_PIN_COUNTING_BIAS);
		unpin_user_page(q);
		assert_int_equal(page_ref_count(q), refs[i]);
		assert_false(folio_maybe_dma_pinned(page_folio(q)));
	}
	assert_int_equal(pnm_pin_registry_count(-1), 0);
	assert_int_equal(global_stat(NR_FOLL_PIN_RELEASED), global_stat(NR_FOLL_PIN_ACQUIRED));
	assert_int_equal(all_misuse(), 0);
	CHECK_ALL();
}

/*
 * Frames in no order (faulted in backwards, so no run of consecutive
 * frames) across several blocks of 64 frames: every page is recorded and
 * every unpin, in any order, retires exactly one -- then one more is a
 * misuse.
 */
static void test_scattered_frames(void **state)
{
	enum { N = 150 };
	struct task_struct *p = test_task_create("p");
	unsigned long a = test_mmap(p, N * PG, RW, PRIV);
	static struct page *pages[N];
	unsigned int seed = 7;
	int i, order[N];

	(void)state;
	for (i = N - 1; i >= 0; i--)
		test_write_byte(p, a + (unsigned long)i * PG, (unsigned char)i);
	assert_int_equal(pin_remote(p, a, N, FOLL_WRITE, pages), N);
	assert_int_equal(pnm_pin_registry_count(-1), N);
	for (i = 0; i < N; i++)
		order[i] = i;
	for (i = N - 1; i > 0; i--) {
		int j = (int)(rand_r(&seed) % (unsigned int)(i + 1)), t = order[i];

		order[i] = order[j];
		order[j] = t;
	}
	for (i = 0; i < N; i++) {
		unpin_user_page(pages[order[i]]);
		assert_int_equal(pnm_pin_registry_count(-1), N - 1 - i);
		if (i % 37 == 0)
			CHECK_ALL();
	}
	assert_int_equal(list_recs(-1).nr, 0);
	assert_int_equal(all_misuse(), 0);
	unpin_user_page(pages[0]);
	assert_int_equal(pnm_misuse_count(PNM_MISUSE_OVER_UNPIN), 1);
	CHECK_ALL();
}

/*
 * One frame twice in one call (a shared file page mapped at two adjacent
 * addresses): two pins of one record on one frame; releasing the array
 * retires both, and a third unpin is a misuse.
 */
static void test_frame_twice_in_one_call(void **state)
{
	struct task_struct *p = test_task_create("p");
	struct page *pages[3];
	struct file *f;
	long a, b;

	(void)state;
	assert_int_equal(pnm_shmem_file_create("twice", PG, &f), 0);
	a = pnm_mmap(p, 0, 3 * PG, RW, SHARED, NULL, 0);
	assert_true(a > 0);
	b = pnm_mmap(p, (unsigned long)a, PG, RW, MAP_SHARED | MAP_FIXED, f, 0);
	assert_int_equal(b, a);
	b = pnm_mmap(p, (unsigned long)a + PG, PG, RW, MAP_SHARED | MAP_FIXED, f, 0);
	assert_int_equal(b, a + PG);
	test_write_byte(p, (unsigned long)a, 1);
	test_write_byte(p, (unsigned long)a + 2 * PG, 2);
	assert_int_equal(pin_remote(p, (unsigned long)a, 3, FOLL_WRITE, pages), 3);
	assert_ptr_equal(pages[0], pages[1]);
	assert_int_equal(pnm_pin_registry_count(-1), 3);
	assert_int_equal(list_recs(-1).nr, 1);
	CHECK_ALL();
	unpin_user_pages(pages, 3);
	assert_int_equal(pnm_pin_registry_count(-1), 0);
	assert_int_equal(all_misuse(), 0);
	unpin_user_page(pages[1]);
	assert_int_equal(pnm_misuse_count(PNM_MISUSE_OVER_UNPIN), 1);
	pnm_file_close(f);
	CHECK_ALL();
}

/*
 * With the registry on and misuse detection off no shadow count is kept
 * (the registry alone knows each pin's frame), yet a stray unpin is still
 * caught and nothing is released by it.
 */
static void test_registry_without_shadow(void **state)
{
	struct task_struct *p = test_task_create("p");
	unsigned long a = test_mmap(p, 2 * PG, RW, PRIV);
	struct page *pages[2];
	int ref;

	(void)state;
	assert_false(pnm_pin_shadow_count());
	touch(p, a, 2);
	assert_int_equal(pin_remote(p, a, 2, FOLL_WRITE, pages), 2);
	assert_int_equal(atomic_read(&pages[0]->pnm_pincount), 0);
	unpin_user_page(pages[0]);
	ref = page_ref_count(pages[0]);
	unpin_user_page(pages[0]);
	assert_int_equal(page_ref_count(pages[0]), ref);
	assert_int_equal(pnm_misuse_count(PNM_MISUSE_OVER_UNPIN), 1);
	assert_int_equal(pnm_pin_registry_count(-1), 1);
	unpin_user_page(pages[1]);
	assert_int_equal(pnm_pin_registry_count(-1), 0);
	CHECK_ALL();
}

static int setup_registry_no_debug(void **state)
{
	struct pnm_config cfg;

	(void)state;
	pnm_test_config(&cfg);
	cfg.pin_accounting = PNM_PIN_ACCOUNTING_LINUX;
	cfg.pin_registry = true;
	cfg.pin_debug = false;
	pnm_test_init_with(&cfg);
	return 0;
}

/*
 * Pins taken through an owner name it (the record's owner id, the
 * listing), and so does the report when its process exits holding them.
 */
static void test_owner_recorded(void **state)
{
	struct task_struct *p = test_task_create("p");
	unsigned long a = test_mmap(p, 2 * PG, RW, PRIV);
	struct vaddr_pin_params vpp = { .size = sizeof(vpp) };
	struct pnm_vaddr_pin_info info = { .size = sizeof(info) };
	struct page *pages[2], *raw;
	struct reports reps;
	struct vaddr_pin *vp;
	struct recs rs;
	char want[32], *text;

	(void)state;
	touch(p, a, 2);
	vpp.task = p;
	vpp.flags = VADDR_PIN_WRITE;
	vpp.name = "nic";
	assert_int_equal(vaddr_pin_create(&vpp, &vp), 0);
	assert_int_equal(pnm_vaddr_pin_get_info(vp, &info), 0);
	assert_int_equal(vaddr_pin_user_pages(vp, a, 2, pages), 2);
	assert_int_equal(pin_remote(p, a, 1, 0, &raw), 1);
	rs = list_recs(-1);
	assert_int_equal(rs.nr, 2);
	assert_int_equal(rs.c[0].r.owner, info.id);
	assert_string_equal(rs.c[0].tag, "nic");
	assert_int_equal(rs.c[1].r.owner, 0);
	snprintf(want, sizeof(want), "owner %lu", info.id);
	text = print_registry(-1);
	assert_non_null(strstr(text, want));
	free(text);

	unpin_user_page(raw);
	pnm_task_exit(p);
	reps = list_reports();
	assert_int_equal(reps.nr, 1);
	assert_int_equal(reps.kind[0], PNM_MISUSE_PIN_AT_EXIT);
	assert_non_null(strstr(reps.text[0], want));
	assert_int_equal(vaddr_unpin_user_pages(vp, a, false), 0);
	assert_int_equal(vaddr_pin_destroy(vp), 0);
	assert_int_equal(pnm_pin_registry_count(-1), 0);
	CHECK_ALL();
}

/* Zero-page pins are not counted, so they are not recorded either. */
static void test_zero_page_not_recorded(void **state)
{
	struct task_struct *p = test_task_create("p");
	unsigned long a = test_mmap(p, 2 * PG, RW, PRIV);
	struct page *pages[2];
	struct recs rs;

	(void)state;
	test_write_byte(p, a, 7);
	assert_int_equal(test_read_byte(p, a + PG), 0);	/* zero page */
	assert_int_equal(pin_remote(p, a, 2, 0, pages), 2);
	assert_int_equal(page_to_pfn(pages[1]), pnm_mem.zero_pfn);
	rs = list_recs(-1);
	assert_int_equal(rs.nr, 1);
	assert_int_equal(rs.c[0].r.nr_pages, 2);
	assert_int_equal(rs.c[0].r.nr_live, 1);
	unpin_user_pages(pages, 2);
	assert_int_equal(list_recs(-1).nr, 0);
	assert_int_equal(all_misuse(), 0);
	CHECK_ALL();
}

/* --- the registry switched off ------------------------------------------- */

static int setup_registry_off(void **state)
{
	struct pnm_config cfg;

	(void)state;
	pnm_test_config(&cfg);
	cfg.pin_registry = false;
	cfg.pin_debug = true;		/* keeps the shadow counts the test relies on */
	pnm_test_init_with(&cfg);
	return 0;
}

static void test_registry_off(void **state)
{
	struct task_struct *p = test_task_create("p");
	unsigned long a = test_mmap(p, 2 * PG, RW, PRIV);
	struct page *pages[2], *got;
	struct reports rs;
	char *text;
	int refs, line;

	(void)state;
	assert_false(pnm_get_config()->pin_registry);
	touch(p, a, 2);
	pnm_pin_set_tag("off");
	assert_int_equal(pin_remote(p, a, 2, FOLL_WRITE, pages), 2);
	pnm_pin_set_tag(NULL);
	assert_true(page_maybe_dma_pinned(pages[0]));
	assert_int_equal(list_recs(-1).nr, 0);
	assert_int_equal(pnm_pin_registry_count(-1), 0);
	text = print_registry(-1);
	assert_string_equal(text, "pin registry off\n");
	free(text);
	unpin_user_pages(pages, 2);
	assert_false(page_maybe_dma_pinned(pages[0]));
	assert_int_equal(all_misuse(), 0);
	CHECK_ALL();

	/* The exact shadow count still catches an unpin of a FOLL_GET page. */
	assert_int_equal(get_remote(p, a, 1, 0, &got), 1);
	refs = page_ref_count(got);
	line = __LINE__; unpin_user_page(got);
	assert_int_equal(pnm_misuse_count(PNM_MISUSE_UNPIN_UNPINNED), 1);
	assert_int_equal(page_ref_count(got), refs);	/* nothing released */
	rs = list_reports();
	assert_int_equal(rs.nr, 1);
	assert_int_equal(rs.kind[0], PNM_MISUSE_UNPIN_UNPINNED);
	assert_int_equal(rs.pfn[0], page_to_pfn(got));
	assert_true(has_site(rs.text[0], line));
	put_page(got);
	CHECK_ALL();
}

/*
 * The production configuration (linux accounting, registry and pin_debug
 * off): no per-page shadow count is kept, pin and unpin still balance.
 */
static int setup_production(void **state)
{
	struct pnm_config cfg;

	(void)state;
	pnm_test_config(&cfg);
	cfg.pin_accounting = PNM_PIN_ACCOUNTING_LINUX;
	cfg.pin_registry = false;
	cfg.pin_debug = false;
	pnm_test_init_with(&cfg);
	return 0;
}

static void test_production_no_shadow(void **state)
{
	struct task_struct *p = test_task_create("p");
	unsigned long a = test_mmap(p, 4 * PG, RW, PRIV);
	long acq = global_stat(NR_FOLL_PIN_ACQUIRED), rel = global_stat(NR_FOLL_PIN_RELEASED);
	struct page *pages[4];
	int refs, i;

	(void)state;
	assert_false(pnm_pin_shadow_count());
	touch(p, a, 4);
	refs = 1;		/* one mapping, nothing else */
	assert_int_equal(pin_remote(p, a, 4, FOLL_WRITE, pages), 4);
	for (i = 0; i < 4; i++) {
		assert_int_equal(atomic_read(&pages[i]->pnm_pincount), 0);
		assert_int_equal(page_ref_count(pages[i]), refs + (int)GUP_PIN_COUNTING_BIAS);
		assert_true(page_maybe_dma_pinned(pages[i]));
	}
	assert_int_equal(global_stat(NR_FOLL_PIN_ACQUIRED), acq + 4);
	CHECK_ALL();
	unpin_user_pages(pages, 4);
	for (i = 0; i < 4; i++) {
		assert_int_equal(atomic_read(&pages[i]->pnm_pincount), 0);
		assert_int_equal(page_ref_count(pages[i]), refs);
		assert_false(page_maybe_dma_pinned(pages[i]));
	}
	assert_int_equal(global_stat(NR_FOLL_PIN_RELEASED), rel + 4);
	assert_int_equal(all_misuse(), 0);
	CHECK_ALL();
}

/* The batched unpin checks entries in order: a page listed twice in one
 * unpin_user_pages() call with one pin is released once and reported once. */
static void test_batched_unpin_duplicate(void **state)
{
	struct task_struct *p = test_task_create("p");
	unsigned long a = test_mmap(p, 2 * PG, RW, PRIV);
	struct page *pages[2], *twice[3];
	int refs;

	(void)state;
	touch(p, a, 2);
	refs = 1;		/* one mapping, nothing else */
	assert_int_equal(pin_remote(p, a, 2, FOLL_WRITE, pages), 2);
	twice[0] = pages[0];
	twice[1] = pages[1];
	twice[2] = pages[0];
	unpin_user_pages(twice, 3);
	assert_int_equal(all_misuse(), 1);
	assert_int_equal(page_ref_count(pages[0]), refs);
	assert_int_equal(page_ref_count(pages[1]), refs);
	assert_int_equal(atomic_read(&pages[0]->pnm_pincount), 0);
	assert_int_equal(pnm_pin_registry_count(-1), 0);
	CHECK_ALL();
}

/* --- misuse ---------------------------------------------------------------- */

static void test_misuse_unpin_unpinned(void **state)
{
	struct task_struct *p = test_task_create("p");
	unsigned long a = test_mmap(p, PG, RW, PRIV);
	struct page *page;
	struct reports rs;
	int refs, line;

	(void)state;
	touch(p, a, 1);
	assert_int_equal(get_remote(p, a, 1, FOLL_WRITE, &page), 1);
	refs = page_ref_count(page);
	line = __LINE__; unpin_user_page(page);
	assert_int_equal(page_ref_count(page), refs);
	assert_int_equal(pnm_misuse_count(PNM_MISUSE_UNPIN_UNPINNED), 1);
	assert_int_equal(global_stat(PNM_PIN_MISUSE), 1);
	rs = list_reports();
	assert_int_equal(rs.nr, 1);
	assert_int_equal(rs.kind[0], PNM_MISUSE_UNPIN_UNPINNED);
	assert_int_equal(rs.pfn[0], page_to_pfn(page));
	assert_false(rs.has_pin[0]);
	assert_non_null(strstr(rs.text[0], "unpin_unpinned"));
	assert_true(has_site(rs.text[0], line));
	assert_non_null(strstr(rs.text[0], "test_misuse_unpin_unpinned()"));
	put_page(page);
	assert_int_equal(all_misuse(), 1);
	CHECK_ALL();
}

static void test_misuse_over_unpin(void **state)
{
	struct task_struct *p = test_task_create("p");
	unsigned long a = test_mmap(p, 2 * PG, RW, PRIV);
	struct page *pages[2];
	struct reports rs;
	int refs, pin_line, unpin_line;

	(void)state;
	touch(p, a, 2);
	pnm_pin_set_tag("rdma");
	mmap_read_lock(p->mm);
	pin_line = __LINE__; assert_int_equal(pin_user_pages_remote(p->mm, a, 2, FOLL_WRITE, pages, NULL), 2);
	mmap_read_unlock(p->mm);
	pnm_pin_set_tag(NULL);
	unpin_user_pages(pages, 2);
	refs = page_ref_count(pages[1]);
	assert_int_equal(refs, 1);
	unpin_line = __LINE__; unpin_user_page(pages[1]);
	assert_int_equal(page_ref_count(pages[1]), refs);
	assert_int_equal(pnm_misuse_count(PNM_MISUSE_OVER_UNPIN), 1);
	assert_int_equal(pnm_misuse_count(PNM_MISUSE_UNPIN_UNPINNED), 0);
	rs = list_reports();
	assert_int_equal(rs.nr, 1);
	assert_int_equal(rs.kind[0], PNM_MISUSE_OVER_UNPIN);
	assert_int_equal(rs.pfn[0], page_to_pfn(pages[1]));
	assert_true(rs.has_pin[0]);
	assert_int_equal(rs.pin_id[0], 1);
	/* Owner and call site of the pin, and where the extra unpin was. */
	assert_true(has_pid(rs.text[0], p->pid));
	assert_non_null(strstr(rs.text[0], "tag \"rdma\""));
	assert_true(has_site(rs.text[0], pin_line));
	assert_true(has_site(rs.text[0], unpin_line));
	assert_int_equal(test_read_byte(p, a + PG), 2);
	CHECK_ALL();
}

/* put_page() on a pinned small page (linux accounting). */
static void test_misuse_put_on_pin(void **state)
{
	struct task_struct *p = test_task_create("p");
	unsigned long a = test_mmap(p, PG, RW, PRIV);
	struct page *page;
	struct reports rs;
	int line;

	(void)state;
	touch(p, a, 1);
	pnm_pin_set_tag("dio");
	mmap_read_lock(p->mm);
	line = __LINE__; assert_int_equal(pin_user_pages_remote(p->mm, a, 1, FOLL_WRITE, &page, NULL), 1);
	mmap_read_unlock(p->mm);
	pnm_pin_set_tag(NULL);
	assert_int_equal(page_ref_count(page), 1 + GUP_PIN_COUNTING_BIAS);
	/* munmap drops the mapping's reference: the pin still covers it. */
	assert_int_equal(pnm_mm_munmap(p->mm, a, PG), 0);
	assert_int_equal(all_misuse(), 0);
	assert_int_equal(page_ref_count(page), GUP_PIN_COUNTING_BIAS);
	/* The caller "releases" its pin with put_page(). */
	put_page(page);
	assert_int_equal(pnm_misuse_count(PNM_MISUSE_PUT_ON_PIN), 1);
	rs = list_reports();
	assert_int_equal(rs.nr, 1);
	assert_int_equal(rs.kind[0], PNM_MISUSE_PUT_ON_PIN);
	assert_int_equal(rs.pfn[0], page_to_pfn(page));
	assert_true(rs.has_pin[0]);
	assert_true(has_pid(rs.text[0], p->pid));
	assert_non_null(strstr(rs.text[0], "tag \"dio\""));
	assert_true(has_site(rs.text[0], line));
	assert_non_null(strstr(rs.text[0], "test_misuse_put_on_pin()"));
	/* Undo the damage so that the real unpin balances. */
	get_page(page);
	unpin_user_page(page);
	assert_int_equal(all_misuse(), 1);
	CHECK_ALL();
}

/* On a THP the exact _pincount is the floor. */
static void test_misuse_put_on_pin_thp(void **state)
{
	struct task_struct *p = test_task_create("p");
	unsigned long a = test_mmap(p, 2 * HPAGE_PMD_SIZE, RW, PRIV);
	unsigned long h = ALIGN(a, HPAGE_PMD_SIZE);
	struct page *pages[2];
	struct folio *folio;

	(void)state;
	assert_int_equal(pnm_mm_madvise(p->mm, h, HPAGE_PMD_SIZE, MADV_HUGEPAGE), 0);
	test_write_byte(p, h, 1);
	folio = page_folio(pfn_to_page(test_pfn(p, h)));
	assert_int_equal(folio_order(folio), HPAGE_PMD_ORDER);
	pnm_pin_set_tag("thp");
	assert_int_equal(pin_remote(p, h + 5 * PG, 2, FOLL_WRITE, pages), 2);
	pnm_pin_set_tag(NULL);
	assert_int_equal(atomic_read(&folio->_pincount), 2);
	assert_int_equal(pnm_mm_munmap(p->mm, h, HPAGE_PMD_SIZE), 0);
	assert_int_equal(folio_ref_count(folio), 2);
	assert_int_equal(all_misuse(), 0);
	put_page(pages[1]);
	assert_int_equal(pnm_misuse_count(PNM_MISUSE_PUT_ON_PIN), 1);
	{
		struct reports rs = list_reports();

		assert_int_equal(rs.nr, 1);
		assert_int_equal(rs.pfn[0], folio_pfn(folio));
		assert_true(rs.has_pin[0]);
		assert_non_null(strstr(rs.text[0], "tag \"thp\""));
	}
	folio_get(folio);
	unpin_user_pages(pages, 2);
	CHECK_ALL();
}

static int setup_exact(void **state)
{
	struct pnm_config cfg;

	(void)state;
	pnm_test_config(&cfg);
	cfg.pin_accounting = PNM_PIN_ACCOUNTING_EXACT;
	pnm_test_init_with(&cfg);
	return 0;
}

/* Exact accounting: each pin holds one reference; two pins, one put. */
static void test_misuse_put_on_pin_exact(void **state)
{
	struct task_struct *p = test_task_create("p");
	unsigned long a = test_mmap(p, PG, RW, PRIV);
	struct page *x, *y;
	int line;

	(void)state;
	touch(p, a, 1);
	mmap_read_lock(p->mm);
	line = __LINE__; assert_int_equal(pin_user_pages_remote(p->mm, a, 1, 0, &x, NULL), 1);
	mmap_read_unlock(p->mm);
	assert_int_equal(pin_remote(p, a, 1, 0, &y), 1);
	assert_int_equal(page_ref_count(x), 3);
	assert_int_equal(pnm_mm_munmap(p->mm, a, PG), 0);
	put_page(x);
	assert_int_equal(pnm_misuse_count(PNM_MISUSE_PUT_ON_PIN), 1);
	{
		struct reports rs = list_reports();

		assert_int_equal(rs.nr, 1);
		assert_true(has_site(rs.text[0], line) || strstr(rs.text[0], "pin_remote()"));
		assert_true(has_pid(rs.text[0], p->pid));
	}
	get_page(x);
	unpin_user_page(x);
	unpin_user_page(y);
	assert_int_equal(all_misuse(), 1);
	CHECK_ALL();
}

static void test_misuse_pin_at_exit(void **state)
{
	struct task_struct *p = test_task_create("p"), *c;
	unsigned long a = test_mmap(p, 3 * PG, RW, PRIV);
	struct page *pages[2], *other;
	struct reports rs;
	struct recs recs;
	char *text, back[2];
	int line;

	(void)state;
	touch(p, a, 3);
	pnm_pin_set_tag("leaky");
	mmap_read_lock(p->mm);
	line = __LINE__; assert_int_equal(pin_user_pages_remote(p->mm, a, 2, FOLL_WRITE, pages, NULL), 2);
	mmap_read_unlock(p->mm);
	pnm_pin_set_tag(NULL);
	assert_int_equal(pin_remote(p, a + 2 * PG, 1, 0, &other), 1);
	unpin_user_page(other);		/* released in time: not reported */

	/* A child sharing nothing pinned exits without a report. */
	assert_int_equal(pnm_task_fork(p, "c", &c), 0);
	pnm_task_exit(c);
	assert_int_equal(all_misuse(), 0);

	pnm_task_exit(p);
	assert_int_equal(pnm_misuse_count(PNM_MISUSE_PIN_AT_EXIT), 1);
	rs = list_reports();
	assert_int_equal(rs.nr, 1);
	assert_int_equal(rs.kind[0], PNM_MISUSE_PIN_AT_EXIT);
	assert_int_equal(rs.pfn[0], page_to_pfn(pages[0]));
	assert_true(has_pid(rs.text[0], p->pid));
	assert_non_null(strstr(rs.text[0], "holding 2 pinned pages"));
	assert_non_null(strstr(rs.text[0], "tag \"leaky\""));
	assert_true(has_site(rs.text[0], line));
	/* Exit is idempotent: reported once. */
	pnm_task_exit(p);
	assert_int_equal(pnm_misuse_count(PNM_MISUSE_PIN_AT_EXIT), 1);

	/* The pins (and the frames and their data) outlive the process. */
	recs = list_recs(p->pid);
	assert_int_equal(recs.nr, 1);
	assert_int_equal(recs.c[0].r.nr_live, 2);
	text = print_registry(-1);
	assert_non_null(strstr(text, "owner-exited"));
	free(text);
	assert_true(page_maybe_dma_pinned(pages[0]));
	assert_int_equal(page_ref_count(pages[0]), GUP_PIN_COUNTING_BIAS);
	assert_int_equal(pnm_dma_read(pages, 2, PG, back, 1), 0);
	assert_int_equal(back[0], 2);
	CHECK_ALL();
	unpin_user_pages(pages, 2);
	assert_int_equal(pnm_pin_registry_count(-1), 0);
	assert_int_equal(all_misuse(), 1);
	CHECK_ALL();
}

static void test_misuse_dma_to_freed(void **state)
{
	struct task_struct *p = test_task_create("p");
	unsigned long a = test_mmap(p, PG, RW, PRIV);
	struct page *page;
	struct reports rs;
	int line;

	(void)state;
	touch(p, a, 1);
	pnm_pin_set_tag("nic");
	mmap_read_lock(p->mm);
	line = __LINE__; assert_int_equal(pin_user_pages_remote(p->mm, a, 1, FOLL_WRITE, &page, NULL), 1);
	mmap_read_unlock(p->mm);
	pnm_pin_set_tag(NULL);
	unpin_user_page(page);
	assert_int_equal(pnm_mm_munmap(p->mm, a, PG), 0);	/* frame freed */
	CHECK_ALL();
	/* The device still uses the stale array. */
	assert_int_equal(pnm_dma_write(&page, 1, 0, "stale", 5), 0);
	assert_int_equal(pnm_misuse_count(PNM_MISUSE_DMA_TO_FREED), 1);
	rs = list_reports();
	assert_int_equal(rs.nr, 1);
	assert_int_equal(rs.kind[0], PNM_MISUSE_DMA_TO_FREED);
	assert_true(rs.has_pin[0]);
	assert_non_null(strstr(rs.text[0], "last pin 1"));
	assert_true(has_pid(rs.text[0], p->pid));
	assert_non_null(strstr(rs.text[0], "tag \"nic\""));
	assert_true(has_site(rs.text[0], line));
	CHECK_ALL();
}

/*
 * A frame that was pinned, unpinned, freed and reused by another page is
 * not "over-unpinned" by a stray unpin: that is an unpin of a page that
 * never had a pin.
 */
static void test_misuse_reused_frame(void **state)
{
	struct task_struct *p = test_task_create("p");
	unsigned long a = test_mmap(p, PG, RW, PRIV), b, pfn;
	struct page *page, *got;
	struct reports rs;

	(void)state;
	touch(p, a, 1);
	assert_int_equal(pin_remote(p, a, 1, FOLL_WRITE, &page), 1);
	pfn = page_to_pfn(page);
	unpin_user_page(page);
	assert_int_equal(pnm_mm_munmap(p->mm, a, PG), 0);	/* frame freed */
	b = test_mmap(p, PG, RW, PRIV);
	test_write_byte(p, b, 9);
	assert_int_equal(test_pfn(p, b), pfn);		/* reused (LIFO) */
	assert_int_equal(get_remote(p, b, 1, 0, &got), 1);
	unpin_user_page(got);
	assert_int_equal(pnm_misuse_count(PNM_MISUSE_UNPIN_UNPINNED), 1);
	assert_int_equal(pnm_misuse_count(PNM_MISUSE_OVER_UNPIN), 0);
	rs = list_reports();
	assert_int_equal(rs.nr, 1);
	assert_false(rs.has_pin[0]);
	put_page(got);
	CHECK_ALL();
}

static void test_flags_str(void **state)
{
	char buf[128];

	(void)state;
	assert_int_equal(pnm_gup_flags_str(0, buf, sizeof(buf)), 1);
	assert_string_equal(buf, "0");
	pnm_gup_flags_str(FOLL_LONGTERM | FOLL_WRITE | FOLL_PIN, buf, sizeof(buf));
	assert_string_equal(buf, "FOLL_PIN|FOLL_WRITE|FOLL_LONGTERM");
	pnm_gup_flags_str(FOLL_PIN | FOLL_GET | FOLL_FORCE, buf, sizeof(buf));
	assert_string_equal(buf, "FOLL_GET|FOLL_PIN|FOLL_FORCE");
	pnm_gup_flags_str(FOLL_REMOTE | (1U << 13) | (1U << 30), buf, sizeof(buf));
	assert_string_equal(buf, "FOLL_REMOTE|0x40002000");
	/* Truncation: snprintf-style length, always terminated. */
	assert_int_equal(pnm_gup_flags_str(FOLL_PIN | FOLL_WRITE, buf, 6), 19);
	assert_string_equal(buf, "FOLL_");
	assert_string_equal(pnm_misuse_name(PNM_MISUSE_OVER_UNPIN), "over_unpin");
	assert_string_equal(pnm_misuse_name(PNM_NR_MISUSE), "?");
}

/* What pnm_fini() prints when frames leak because pins are still held. */
static void test_leak_report(void **state)
{
	struct task_struct *p = test_task_create("p");
	unsigned long a = test_mmap(p, 2 * PG, RW, PRIV);
	struct page *pages[2];
	char *text = NULL;
	size_t len = 0;
	FILE *out;

	(void)state;
	touch(p, a, 2);
	pnm_pin_set_tag("forgotten");
	assert_int_equal(pin_remote(p, a, 2, 0, pages), 2);
	pnm_pin_set_tag(NULL);
	out = open_memstream(&text, &len);
	assert_non_null(out);
	assert_int_equal(pnm_pin_registry_report_leaks(out), 2);
	fclose(out);
	assert_non_null(strstr(text, "2 pages still pinned"));
	assert_non_null(strstr(text, "tag forgotten"));
	free(text);
	unpin_user_pages(pages, 2);
	out = open_memstream(&text, &len);
	assert_non_null(out);
	assert_int_equal(pnm_pin_registry_report_leaks(out), 0);
	fclose(out);
	assert_string_equal(text, "");
	free(text);
	CHECK_ALL();
}

/* The kept list is bounded, oldest first; counts keep going. */
struct ring_walk {
	unsigned long nr;
	unsigned long first_line, last_line;
};

static void walk_ring(const struct pnm_misuse_report *r, void *arg)
{
	struct ring_walk *w = arg;
	const char *at = strstr(r->text, "test_pin_registry.c:");
	unsigned long line = at ? strtoul(at + strlen("test_pin_registry.c:"), NULL, 10) : 0;

	if (!w->nr++)
		w->first_line = line;
	w->last_line = line;
}

static void test_misuse_list_bounded(void **state)
{
	struct task_struct *p = test_task_create("p");
	unsigned long a = test_mmap(p, PG, RW, PRIV);
	struct ring_walk w = { 0, 0, 0 };
	struct page *page;
	int i, early, late;

	(void)state;
	touch(p, a, 1);
	assert_int_equal(get_remote(p, a, 1, 0, &page), 1);
	pnm_config.pin_debug = false;		/* counted and kept, not printed */
	early = __LINE__; unpin_user_page(page);
	for (i = 0; i < 198; i++)
		unpin_user_page(page);
	late = __LINE__; unpin_user_page(page);
	pnm_config.pin_debug = true;
	assert_int_equal(pnm_misuse_count(PNM_MISUSE_UNPIN_UNPINNED), 200);
	assert_int_equal(global_stat(PNM_PIN_MISUSE), 200);
	pnm_misuse_foreach(walk_ring, &w);
	assert_true(w.nr >= 16 && w.nr < 200);
	/* The oldest were dropped; the newest is last. */
	assert_int_not_equal(w.first_line, early);
	assert_int_equal(w.last_line, late);
	assert_int_equal(page_ref_count(page), 2);
	put_page(page);
	CHECK_ALL();
}

/* --- no false positives under concurrency -------------------------------- */

#define STRESS_THREADS	4
#define STRESS_ITERS	20000
#define STRESS_SMALL	5	/* small pages */
#define STRESS_HELD	6	/* pin sets a thread may hold */
#define STRESS_MAXN	4

struct stress {
	struct task_struct *task;
	unsigned long small;		/* STRESS_SMALL pages */
	unsigned long huge;		/* one PMD-aligned 2 MiB area */
	uint64_t seed;
	pthread_barrier_t *start;
	atomic_t failures;
	atomic_t pins, gets, zaps;
};

struct held {
	struct page *pages[STRESS_MAXN];
	int nr;
};

static unsigned long stress_addr(struct stress *st, uint64_t *rnd, int *nr)
{
	uint64_t r = test_rand(rnd);

	*nr = 1 + (int)(r % STRESS_MAXN);
	if ((r >> 8) % 4 == 0)		/* a quarter in the THP */
		return st->huge + ((r >> 16) % 500) * PG;
	return st->small + ((r >> 16) % (STRESS_SMALL - STRESS_MAXN + 1)) * PG;
}

static void *stress_worker(void *arg)
{
	struct stress *st = arg;
	struct held held[STRESS_HELD];
	uint64_t rnd = st->seed;
	struct task_struct *prev;
	int i, h, nheld = 0;

	memset(held, 0, sizeof(held));
	prev = pnm_task_enter(st->task);
	pthread_barrier_wait(st->start);
	for (i = 0; i < STRESS_ITERS; i++) {
		uint64_t op = test_rand(&rnd) % 16;
		struct page *pages[STRESS_MAXN];
		unsigned long addr;
		int nr, got, k;

		if (op < 5 && nheld < STRESS_HELD) {
			/* pin, fast or slow, read or write */
			addr = stress_addr(st, &rnd, &nr);
			if (op & 1) {
				got = pin_user_pages_fast(addr, nr, op & 2 ? FOLL_WRITE : 0, pages);
			} else {
				mmap_read_lock(current->mm);
				got = (int)pin_user_pages(addr, nr, op & 2 ? FOLL_WRITE : 0, pages);
				mmap_read_unlock(current->mm);
			}
			if (got <= 0 || got > nr) {
				atomic_inc(&st->failures);
				continue;
			}
			memcpy(held[nheld].pages, pages, sizeof(pages));
			held[nheld++].nr = got;
			atomic_inc(&st->pins);
		} else if (op < 9 && nheld) {
			/* unpin a held set */
			h = (int)(test_rand(&rnd) % (uint64_t)nheld);
			if (op & 1)
				unpin_user_pages_dirty_lock(held[h].pages, held[h].nr, true);
			else
				unpin_user_pages(held[h].pages, held[h].nr);
			held[h] = held[--nheld];
		} else if (op < 12) {
			/* FOLL_GET references, released with put_page */
			addr = stress_addr(st, &rnd, &nr);
			got = get_user_pages_fast(addr, nr, op & 1 ? FOLL_WRITE : 0, pages);
			if (got <= 0 || got > nr) {
				atomic_inc(&st->failures);
				continue;
			}
			for (k = 0; k < got; k++)
				put_page(pages[k]);
			atomic_inc(&st->gets);
		} else if (op < 14 && nheld) {
			/* extra speculative references on pinned folios */
			struct folio *folio = page_folio(held[0].pages[0]);

			if (folio_try_get(folio))
				folio_put(folio);
			else
				atomic_inc(&st->failures);
		} else if (op < 15) {
			/* CPU writes */
			addr = stress_addr(st, &rnd, &nr);
			if (pnm_user_write(st->task, addr, &op, 1))
				atomic_inc(&st->failures);
		} else {
			/* zap a small page: the mapping's put races with pins */
			addr = st->small + (test_rand(&rnd) % STRESS_SMALL) * PG;
			if (pnm_mm_madvise(current->mm, addr, PG, MADV_DONTNEED))
				atomic_inc(&st->failures);
			atomic_inc(&st->zaps);
		}
	}
	while (nheld) {
		nheld--;
		unpin_user_pages(held[nheld].pages, held[nheld].nr);
	}
	pnm_task_leave(prev);
	return NULL;
}

static void run_stress(uint64_t seed)
{
	struct task_struct *p = test_task_create("stress");
	pthread_t th[STRESS_THREADS];
	pthread_barrier_t start;
	struct stress st[STRESS_THREADS];
	unsigned long small, huge, big;
	int i, failures = 0, pins = 0, gets = 0, zaps = 0;

	small = test_mmap(p, STRESS_SMALL * PG, RW, PRIV);
	big = test_mmap(p, 2 * HPAGE_PMD_SIZE, RW, PRIV);
	huge = ALIGN(big, HPAGE_PMD_SIZE);
	assert_int_equal(pnm_mm_madvise(p->mm, huge, HPAGE_PMD_SIZE, MADV_HUGEPAGE), 0);
	touch(p, small, STRESS_SMALL);
	test_write_byte(p, huge, 1);
	CHECK_ALL();

	assert_int_equal(pthread_barrier_init(&start, NULL, STRESS_THREADS), 0);
	for (i = 0; i < STRESS_THREADS; i++) {
		st[i].start = &start;
		st[i].task = p;
		st[i].small = small;
		st[i].huge = huge;
		st[i].seed = seed * 0x9E3779B97F4A7C15ULL + (uint64_t)i + 1;
		atomic_set(&st[i].failures, 0);
		atomic_set(&st[i].pins, 0);
		atomic_set(&st[i].gets, 0);
		atomic_set(&st[i].zaps, 0);
		assert_int_equal(pthread_create(&th[i], NULL, stress_worker, &st[i]), 0);
	}
	for (i = 0; i < STRESS_THREADS; i++) {
		assert_int_equal(pthread_join(th[i], NULL), 0);
		failures += atomic_read(&st[i].failures);
		pins += atomic_read(&st[i].pins);
		gets += atomic_read(&st[i].gets);
		zaps += atomic_read(&st[i].zaps);
	}
	print_message("stress: %d pin calls, %d get calls, %d zaps, %ld pages pinned\n",
		      pins, gets, zaps, global_stat(NR_FOLL_PIN_ACQUIRED));
	pthread_barrier_destroy(&start);
	assert_int_equal(failures, 0);
	assert_true(pins > STRESS_THREADS * 100);
	assert_true(gets > STRESS_THREADS * 50);
	/* Nothing reported, everything balanced. */
	assert_int_equal(all_misuse(), 0);
	assert_int_equal(global_stat(PNM_PIN_MISUSE), 0);
	assert_int_equal(pnm_pin_registry_count(-1), 0);
	assert_int_equal(list_recs(-1).nr, 0);
	assert_int_equal(global_stat(NR_FOLL_PIN_ACQUIRED),
			 global_stat(NR_FOLL_PIN_RELEASED));
	CHECK_ALL();
}

static void test_stress_no_false_positives(void **state)
{
	(void)state;
	run_stress(1);
}

static void test_stress_no_false_positives_exact(void **state)
{
	(void)state;
	run_stress(2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_record_fields, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_listing_per_process, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_partial_unpin, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_same_page_twice, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_record_enomem, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_record_enomem, setup_registry_no_debug,
						pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_scattered_frames, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_scattered_frames, setup_registry_no_debug,
						pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_frame_twice_in_one_call, pnm_test_setup,
						pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_registry_without_shadow, setup_registry_no_debug,
						pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_owner_recorded, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_zero_page_not_recorded, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_registry_off, setup_registry_off, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_production_no_shadow, setup_production, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_batched_unpin_duplicate, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_batched_unpin_duplicate, setup_registry_off, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_misuse_unpin_unpinned, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_misuse_over_unpin, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_misuse_put_on_pin, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_misuse_put_on_pin_thp, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_misuse_put_on_pin_exact, setup_exact, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_misuse_pin_at_exit, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_misuse_dma_to_freed, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_misuse_reused_frame, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_misuse_list_bounded, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_flags_str, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_leak_report, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_stress_no_false_positives, pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_stress_no_false_positives_exact, setup_exact, pnm_test_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
