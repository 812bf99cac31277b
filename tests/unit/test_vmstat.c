// SPDX-License-Identifier: MIT
/*
 * test_vmstat.c - counter names, lookup, reset and printing, the
 * per-thread counters (NR_FOLL_PIN_*: exact sums across live and exited
 * threads, pnm_init's reset), and the trace hook (vmstat.c).
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "test_util.h"
#include "pinmm_test_internal.h"

static void test_names_and_lookup(void **state)
{
	int i, j;

	(void)state;
	for (i = 0; i < NR_VM_STAT_ITEMS; i++) {
		assert_non_null(vmstat_text[i]);
		assert_int_equal(pnm_stat_lookup(vmstat_text[i]), i);
		for (j = 0; j < i; j++)
			assert_string_not_equal(vmstat_text[i], vmstat_text[j]);
		for (j = 0; vmstat_text[i][j]; j++)
			assert_false(vmstat_text[i][j] >= 'A' && vmstat_text[i][j] <= 'Z');
	}
	/* Linux's names for Linux's counters. */
	assert_int_equal(pnm_stat_lookup("nr_free_pages"), NR_FREE_PAGES);
	assert_int_equal(pnm_stat_lookup("nr_anon_pages"), NR_ANON_MAPPED);
	assert_int_equal(pnm_stat_lookup("nr_mapped"), NR_FILE_MAPPED);
	assert_int_equal(pnm_stat_lookup("nr_anon_transparent_hugepages"), NR_ANON_THPS);
	assert_int_equal(pnm_stat_lookup("nr_page_table_pages"), NR_PAGETABLE);
	assert_int_equal(pnm_stat_lookup("pgalloc_movable"), PGALLOC_MOVABLE);
	assert_int_equal(pnm_stat_lookup("pgfault"), PGFAULT);
	assert_int_equal(pnm_stat_lookup("compact_migrate_scanned"), COMPACTMIGRATE_SCANNED);
	assert_int_equal(pnm_stat_lookup("thp_split_pmd"), THP_SPLIT_PMD);
	assert_int_equal(pnm_stat_lookup("pnm_cow_reuse"), PNM_COW_REUSE);
	assert_int_equal(pnm_stat_lookup("pnm_pgtable_free"), PNM_PGTABLE_FREE);
	assert_int_equal(pnm_stat_lookup("no_such_counter"), -1);
	assert_int_equal(pnm_stat_lookup("PGFAULT"), -1);
	assert_int_equal(pnm_stat_lookup(""), -1);
	assert_int_equal(pnm_stat_lookup(NULL), -1);

	for (i = 0; i < PNM_NR_TRACE_EVENTS; i++) {
		assert_non_null(pnm_trace_names[i]);
		for (j = 0; j < i; j++)
			assert_string_not_equal(pnm_trace_names[i], pnm_trace_names[j]);
	}
	assert_string_equal(pnm_trace_names[PNM_TRACE_FAULT], "fault");
	assert_string_equal(pnm_trace_names[PNM_TRACE_ZERO_PAGE], "zero_page");
	assert_string_equal(pnm_trace_names[PNM_TRACE_COW_COPY], "cow_copy");
	assert_string_equal(pnm_trace_names[PNM_TRACE_EXIT], "exit");
}

/* The public accessors (pinmm/stat.h): count, names, values, events. */
static void test_public_accessors(void **state)
{
	long before;

	(void)state;
	/* Constant, and usable before pnm_init(). */
	assert_int_equal(pnm_stat_count(), NR_VM_STAT_ITEMS);
	for (int i = 0; i < pnm_stat_count(); i++) {
		assert_ptr_equal(pnm_stat_name(i), vmstat_text[i]);
		assert_int_equal(pnm_stat_lookup(pnm_stat_name(i)), i);
	}
	assert_null(pnm_stat_name(-1));
	assert_null(pnm_stat_name(NR_VM_STAT_ITEMS));
	assert_null(pnm_stat_name(1 << 30));
	for (int i = 0; i < PNM_NR_TRACE_EVENTS; i++)
		assert_ptr_equal(pnm_trace_name((enum pnm_trace_event)i), pnm_trace_names[i]);
	assert_string_equal(pnm_trace_name(PNM_TRACE_MIGRATE), "migrate");
	assert_null(pnm_trace_name(PNM_NR_TRACE_EVENTS));
	assert_null(pnm_trace_name((enum pnm_trace_event)-1));

	/* Values: what the counter holds, 0 out of range. */
	pnm_test_setup(NULL);
	before = pnm_stat_read(PNM_COW_COPY);
	count_vm_events(PNM_COW_COPY, 3);
	assert_int_equal(pnm_stat_read(PNM_COW_COPY), before + 3);
	assert_int_equal(pnm_stat_read(PNM_COW_COPY), global_stat(PNM_COW_COPY));
	assert_int_equal(pnm_stat_read(NR_FREE_PAGES), global_stat(NR_FREE_PAGES));
	assert_true(pnm_stat_read(NR_FREE_PAGES) > 0);
	assert_int_equal(pnm_stat_read(-1), 0);
	assert_int_equal(pnm_stat_read(NR_VM_STAT_ITEMS), 0);
	pnm_test_teardown(NULL);
}

static void test_reset_keeps_gauges(void **state)
{
	long free0 = global_stat(NR_FREE_PAGES);

	(void)state;
	count_vm_event(PGFAULT);
	count_vm_events(PNM_COW_COPY, 5);
	mod_vm_stat(NR_ANON_MAPPED, 7);
	assert_int_equal(global_stat(PGFAULT), 1);
	assert_int_equal(global_stat(PNM_COW_COPY), 5);
	pnm_stat_reset();
	assert_int_equal(global_stat(PGFAULT), 0);
	assert_int_equal(global_stat(PNM_COW_COPY), 0);
	assert_int_equal(global_stat(NR_ANON_MAPPED), 7);
	assert_int_equal(global_stat(NR_FREE_PAGES), free0);
	mod_vm_stat(NR_ANON_MAPPED, -7);
	CHECK_ALL();
}

/* Per-thread counters: each thread changes its own slots; a read sums
 * them exactly while the threads live and after they exit. */
struct hot_arg {
	int id;
	pthread_barrier_t *started, *stop;
	long added;
};

static void *hot_thread(void *p)
{
	struct hot_arg *a = p;

	for (int i = 0; i < 1000 + a->id; i++) {
		mod_vm_stat(NR_FOLL_PIN_ACQUIRED, a->id + 1);
		mod_vm_stat(NR_FOLL_PIN_RELEASED, 1);
		a->added += a->id + 1;
	}
	pthread_barrier_wait(a->started);	/* counted: the reader checks live threads */
	pthread_barrier_wait(a->stop);
	return NULL;
}

static void test_per_thread_counters(void **state)
{
	enum { N = 4 };
	long acq0 = global_stat(NR_FOLL_PIN_ACQUIRED), rel0 = global_stat(NR_FOLL_PIN_RELEASED);
	long want_acq = 0, want_rel = 0;
	pthread_barrier_t started, stop;
	struct hot_arg args[N];
	pthread_t th[N];

	(void)state;
	assert_int_equal(pthread_barrier_init(&started, NULL, N + 1), 0);
	assert_int_equal(pthread_barrier_init(&stop, NULL, N + 1), 0);
	for (int i = 0; i < N; i++) {
		args[i] = (struct hot_arg){ .id = i, .started = &started, .stop = &stop };
		assert_int_equal(pthread_create(&th[i], NULL, hot_thread, &args[i]), 0);
	}
	pthread_barrier_wait(&started);
	for (int i = 0; i < N; i++) {
		want_acq += args[i].added;
		want_rel += 1000 + i;
	}
	/* Live threads: their slots are summed. */
	assert_int_equal(global_stat(NR_FOLL_PIN_ACQUIRED), acq0 + want_acq);
	assert_int_equal(global_stat(NR_FOLL_PIN_RELEASED), rel0 + want_rel);
	assert_int_equal(pnm_stat_read(NR_FOLL_PIN_ACQUIRED), acq0 + want_acq);
	pthread_barrier_wait(&stop);
	for (int i = 0; i < N; i++)
		assert_int_equal(pthread_join(th[i], NULL), 0);
	/* Exited threads: folded into the global word, nothing lost. */
	assert_int_equal(global_stat(NR_FOLL_PIN_ACQUIRED), acq0 + want_acq);
	assert_int_equal(global_stat(NR_FOLL_PIN_RELEASED), rel0 + want_rel);
	/* This thread's own change, then the reset of a new model. */
	mod_vm_stat(NR_FOLL_PIN_ACQUIRED, 3);
	assert_int_equal(global_stat(NR_FOLL_PIN_ACQUIRED), acq0 + want_acq + 3);
	pnm_stat_zero_all();
	assert_int_equal(global_stat(NR_FOLL_PIN_ACQUIRED), 0);
	assert_int_equal(global_stat(NR_FOLL_PIN_RELEASED), 0);
	mod_vm_stat(NR_FOLL_PIN_RELEASED, 2);
	assert_int_equal(global_stat(NR_FOLL_PIN_RELEASED), 2);
	mod_vm_stat(NR_FOLL_PIN_RELEASED, -2);
	pthread_barrier_destroy(&started);
	pthread_barrier_destroy(&stop);
}

static void test_print(void **state)
{
	struct folio *f = folio_alloc_zone(GFP_KERNEL, 3, ZONE_CMA);
	char *buf = NULL, *line, *save = NULL;
	size_t len = 0;
	int seen = 0, zones = 0, buddy = 0, header = 0;
	FILE *out;

	(void)state;
	assert_non_null(f);
	count_vm_events(PGMAJFAULT, 42);
	out = open_memstream(&buf, &len);
	assert_non_null(out);
	pnm_stat_print(out);
	fclose(out);

	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char name[64], zname[16];
		unsigned long c[NR_PAGE_ORDERS], zfree, a, fr, fail, start, span;
		long v;

		if (sscanf(line, "zone %15s free %lu alloc %lu freed %lu alloc_fail %lu start_pfn %lu spanned %lu",
			   zname, &zfree, &a, &fr, &fail, &start, &span) == 7) {
			struct zone *z = NULL;
			int k;

			for (k = 0; k < MAX_NR_ZONES; k++)
				if (pnm_zone(k) && !strcmp(pnm_zone(k)->name, zname))
					z = pnm_zone(k);
			assert_non_null(z);
			assert_int_equal(zfree, zone_page_state(z, NR_ZONE_FREE_PAGES));
			assert_int_equal(start, z->zone_start_pfn);
			assert_int_equal(span, z->spanned_pages);
			zones++;
			continue;
		}
		if (sscanf(line, "Node 0, zone %15s %lu %lu %lu %lu %lu %lu %lu %lu %lu %lu",
			   zname, &c[0], &c[1], &c[2], &c[3], &c[4], &c[5], &c[6],
			   &c[7], &c[8], &c[9]) == 11) {
			if (!strcmp(zname, "CMA")) {
				/* 1024 frames minus an order-3 folio. */
				assert_int_equal(c[3], 1);
				assert_int_equal(c[8], 1);
				assert_int_equal(c[9], 1);
				assert_int_equal(c[0], 0);
			}
			buddy++;
			continue;
		}
		if (line[0] == '#') {
			/* The accounting mode is part of the statistics. */
			assert_non_null(strstr(line, "pin accounting: linux"));
			assert_non_null(strstr(line, "legacy gup: off"));
			header++;
			continue;
		}
		assert_int_equal(sscanf(line, "%63s %ld", name, &v), 2);
		assert_int_equal(pnm_stat_lookup(name), seen);
		assert_int_equal(v, global_stat(seen));
		seen++;
	}
	assert_int_equal(seen, NR_VM_STAT_ITEMS);
	assert_int_equal(header, 1);
	assert_int_equal(zones, 3);
	assert_int_equal(buddy, 3);
	free(buf);
	folio_put(f);
	CHECK_ALL();
}

struct trace_log {
	int calls;
	struct pnm_trace_rec last;
};

static void trace_fn(const struct pnm_trace_rec *rec, void *arg)
{
	struct trace_log *log = arg;

	log->calls++;
	log->last = *rec;
}

static void test_trace_hook(void **state)
{
	struct trace_log log = { 0 };

	(void)state;
	pnm_trace(PNM_TRACE_COW_COPY, 7, 0x1000, 2, 3, -4);	/* no consumer */
	pnm_trace_set(trace_fn, &log);
	pnm_trace(PNM_TRACE_COW_COPY, 7, 0x1000, 2, 3, -4);
	assert_int_equal(log.calls, 1);
	assert_int_equal(log.last.ev, PNM_TRACE_COW_COPY);
	assert_int_equal(log.last.pid, 7);
	assert_int_equal(log.last.a, 0x1000);
	assert_int_equal(log.last.b, 2);
	assert_int_equal(log.last.c, 3);
	assert_int_equal(log.last.d, -4);
	pnm_trace(PNM_TRACE_EXIT, 9, 9, 0, 0, 0);
	assert_int_equal(log.calls, 2);
	assert_int_equal(log.last.ev, PNM_TRACE_EXIT);
	pnm_trace_set(NULL, NULL);
	pnm_trace(PNM_TRACE_EXIT, 9, 9, 0, 0, 0);
	assert_int_equal(log.calls, 2);
}

static bool warn_twice_here(bool cond)
{
	return VM_WARN_ON_ONCE(cond);
}

/* VM_WARN_ON_ONCE counts every hit and returns its condition. */
static void test_warn_on_once(void **state)
{
	long before = atomic_long_read(&pnm_nr_warnings);

	(void)state;
	assert_false(warn_twice_here(false));
	assert_int_equal(atomic_long_read(&pnm_nr_warnings), before);
	assert_true(warn_twice_here(true));	/* printed */
	assert_true(warn_twice_here(true));	/* counted, not printed */
	assert_int_equal(atomic_long_read(&pnm_nr_warnings), before + 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names_and_lookup),
		cmocka_unit_test(test_public_accessors),
		cmocka_unit_test_setup_teardown(test_reset_keeps_gauges,
						pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test_setup_teardown(test_print,
						pnm_test_setup, pnm_test_teardown),
		cmocka_unit_test(test_per_thread_counters),
		cmocka_unit_test(test_trace_hook),
		cmocka_unit_test(test_warn_on_once),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
