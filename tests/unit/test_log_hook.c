// SPDX-License-Identifier: MIT
/*
 * test_log_hook.c - the embedder's hooks (debug.c): with a log hook every
 * message -- a warning, a misuse report, a failed check, a page dump, the
 * leak report of pnm_fini() -- reaches the hook as single lines with the
 * right level, names source files relative to the tree (never the build
 * machine's absolute source directory, PINMM_SOURCE_DIR), and nothing is
 * written to stderr; without a hook the same lines go to stderr with a
 * newline each; outside pnm_init()..pnm_fini() stderr is used whatever
 * the last configuration said.  The fatal hook is tested in forked host
 * processes (death tests): a model BUG reaches the hook with a message
 * that says what failed and where; a hook that returns, and a fatal error
 * inside the hook, end in abort(); with no hook the message goes to
 * stderr and the process dies by SIGABRT.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "test_util.h"
#include "pinmm_test_internal.h"

#ifndef PINMM_SOURCE_DIR
#error "tests/CMakeLists.txt passes the absolute source directory as PINMM_SOURCE_DIR"
#endif

#define PG	PAGE_SIZE
#define RW	(PROT_READ | PROT_WRITE)
#define PRIV	(MAP_PRIVATE | MAP_ANONYMOUS)

/* --- a log hook that keeps what it is given --------------------------------- */

static struct test_log_capture cap = TEST_LOG_CAPTURE_INIT;

static void capture_reset(void)
{
	test_log_reset(&cap);
}

/* Index of the first captured line containing @needle (from @from), or -1. */
static int find_line(const char *needle, int from)
{
	int i;

	for (i = from; i < cap.nr && i < TEST_LOG_LINES; i++)
		if (strstr(cap.line[i], needle))
			return i;
	return -1;
}

/* Every captured line: one line (no newline), no absolute source path. */
static void assert_lines_clean(void)
{
	int i;

	assert_true(cap.nr <= TEST_LOG_LINES);
	for (i = 0; i < cap.nr; i++) {
		if (strchr(cap.line[i], '\n') || strstr(cap.line[i], PINMM_SOURCE_DIR))
			fail_msg("bad line %d: '%s'", i, cap.line[i]);
	}
}

static void init_with_hook(bool registry)
{
	struct pnm_config cfg;

	pnm_test_config(&cfg);
	cfg.pin_registry = registry;
	cfg.log = test_log_capture;
	cfg.log_arg = &cap;
	capture_reset();
	pnm_test_init_with(&cfg);
}

/* --- the log hook ---------------------------------------------------------------- */

/*
 * A warning (pin_user_pages() with FOLL_GET, refused with a warning as
 * Linux does), a misuse report (unpin of a page that was never pinned), a
 * failed check (a counter bumped behind the checker's back) and a page
 * dump all reach the hook, at their levels, as clean single lines; fd 2
 * stays empty.
 */
static void test_hook_gets_every_message(void **state)
{
	struct test_stderr err;
	struct task_struct *t;
	struct page *pages[1];
	unsigned long addr;
	long warnings, ret;
	struct folio *folio;
	int w, m, c, d;

	(void)state;
	init_with_hook(true);
	t = test_task_create("hooked");
	addr = test_mmap(t, 2 * PG, RW, PRIV);
	test_write_byte(t, addr, 1);
	folio = test_folio(t, addr);
	warnings = atomic_long_read(&pnm_nr_warnings);

	test_stderr_begin(&err);
	pnm_task_enter(t);
	mmap_read_lock(t->mm);
	ret = pin_user_pages(addr, 1, FOLL_GET | FOLL_WRITE, pages);
	mmap_read_unlock(t->mm);
	pnm_task_enter(NULL);
	unpin_user_page(&folio->page);
	mod_vm_stat(NR_FREE_PAGES, 1);
	w = pnm_check_system();
	mod_vm_stat(NR_FREE_PAGES, -1);
	dump_page(&folio->page, "test_hook_gets_every_message");
	test_stderr_end(&err);

	assert_int_equal(ret, 0);
	assert_int_equal(w, false);
	assert_int_equal(atomic_long_read(&pnm_nr_warnings), warnings + 1);
	assert_int_equal(pnm_misuse_count(PNM_MISUSE_UNPIN_UNPINNED), 1);
	if (err.len)
		fail_msg("stderr got %zd bytes: %s", err.len, err.text);
	assert_lines_clean();

	w = find_line("pinmm: WARNING at src/gup.c:", 0);
	m = find_line("pinmm: pin misuse: unpin_unpinned pfn", 0);
	c = find_line("pinmm: check failed: nr_free_pages", 0);
	d = find_line("pinmm: dump_page: test_hook_gets_every_message", 0);
	assert_true(w >= 0 && m > w && c > m && d > c);
	assert_int_equal(cap.level[w], PNM_LOG_WARN);
	assert_int_equal(cap.level[m], PNM_LOG_ERR);
	assert_int_equal(cap.level[c], PNM_LOG_ERR);
	assert_int_equal(cap.level[d], PNM_LOG_ERR);
	/* The check's message is also what pnm_check_error() returns. */
	assert_non_null(strstr(cap.line[c], pnm_check_error()));
	/* The dump is several lines, each its own call. */
	assert_true(cap.nr >= d + 3);
	assert_non_null(strstr(cap.line[d + 1], "  page pfn"));
	assert_non_null(strstr(cap.line[d + 2], "  refcount"));
	assert_lines_clean();

	pnm_task_exit(t);
	pnm_task_put(t);
	CHECK_ALL();
	assert_int_equal(pnm_fini(), 0);
}

/*
 * pnm_fini()'s leak report (the registry's list of pins still held, the
 * frames still allocated, their dumps) reaches the hook line by line, and
 * the record line names the call site by file name only.
 */
static void test_fini_leak_report_goes_to_hook(void **state)
{
	struct test_stderr err;
	struct task_struct *t;
	struct page *pages[2];
	unsigned long addr;
	int h, r, f;

	(void)state;
	init_with_hook(true);
	t = test_task_create("leaker");
	addr = test_mmap(t, 2 * PG, RW, PRIV);
	test_write_byte(t, addr, 1);
	test_write_byte(t, addr + PG, 2);
	pnm_task_enter(t);
	assert_int_equal(pin_user_pages_fast(addr, 2, FOLL_WRITE, pages), 2);
	pnm_task_enter(NULL);
	pnm_task_exit(t);
	capture_reset();

	test_stderr_begin(&err);
	assert_int_equal(pnm_fini(), -EBUSY);
	test_stderr_end(&err);
	if (err.len)
		fail_msg("stderr got %zd bytes: %s", err.len, err.text);

	h = find_line("pinmm: pnm_fini: 2 pages still pinned (unpin before pnm_fini):", 0);
	r = find_line("test_log_hook.c:", h + 1);
	f = find_line("pinmm: pnm_fini: 2 frames still allocated", 0);
	assert_true(h >= 0 && r == h + 1 && f > r);
	assert_non_null(strstr(cap.line[r], "pages 2/2"));
	assert_int_equal(cap.level[h], PNM_LOG_ERR);
	assert_int_equal(cap.level[r], PNM_LOG_ERR);
	assert_int_equal(cap.level[f], PNM_LOG_ERR);
	assert_lines_clean();
}

/* pnm_misuse_foreach() callback: keep the last report's text. */
static void keep_report(const struct pnm_misuse_report *r, void *arg)
{
	snprintf(arg, 256, "%s", r->text);
}

/*
 * Without a hook each line goes to stderr with a newline: exactly the
 * misuse report's text.  After pnm_fini() the library is back to stderr
 * even though the last configuration had a hook.
 */
static void test_no_hook_and_after_fini_use_stderr(void **state)
{
	struct test_stderr err;
	struct pnm_config cfg;
	struct task_struct *t;
	char want[512], report[256] = "";
	unsigned long addr;

	(void)state;
	pnm_test_config(&cfg);
	pnm_test_init_with(&cfg);
	t = test_task_create("plain");
	addr = test_mmap(t, PG, RW, PRIV);
	test_write_byte(t, addr, 1);
	test_stderr_begin(&err);
	unpin_user_page(&test_folio(t, addr)->page);
	test_stderr_end(&err);
	pnm_misuse_foreach(keep_report, report);
	pnm_task_exit(t);
	pnm_task_put(t);
	CHECK_ALL();
	assert_int_equal(pnm_fini(), 0);
	assert_non_null(strstr(report, "unpin_unpinned pfn"));
	snprintf(want, sizeof(want), "pinmm: pin misuse: %s\n", report);
	assert_string_equal(err.text, want);
	assert_int_equal(err.len, (ssize_t)strlen(want));

	/* A model with a hook came and went: stderr again. */
	init_with_hook(true);
	assert_int_equal(pnm_fini(), 0);
	capture_reset();
	test_stderr_begin(&err);
	assert_false(pnm_check_system());
	test_stderr_end(&err);
	snprintf(want, sizeof(want), "pinmm: check failed: %s\n", pnm_check_error());
	assert_string_equal(err.text, want);
	assert_int_equal(cap.nr, 0);
}

/* A log hook that logs (calls back into the library, which it must not):
 * the inner line goes to stderr instead of recursing. */
static void reentering_log(void *arg, enum pnm_log_level level, const char *msg)
{
	test_log_capture(arg, level, msg);
	pnm_log(PNM_LOG_INFO, "pinmm: nested %d", (int)level);
}

/* Lines longer than the stack buffer arrive whole; a hook that logs from
 * inside itself does not recurse. */
static void test_long_lines_and_reentry(void **state)
{
	struct test_stderr err;
	struct pnm_config cfg;
	char *big = malloc(3001);

	(void)state;
	assert_non_null(big);
	memset(big, 'x', 3000);
	big[3000] = '\0';
	init_with_hook(true);
	test_stderr_begin(&err);
	pnm_log(PNM_LOG_INFO, "pinmm: %s.", big);
	test_stderr_end(&err);
	assert_int_equal(err.len, 0);
	assert_int_equal(cap.nr, 1);
	assert_int_equal(cap.len[0], 3000 + 8);
	assert_int_equal(cap.level[0], PNM_LOG_INFO);
	assert_int_equal(pnm_fini(), 0);
	free(big);

	pnm_test_config(&cfg);
	cfg.log = reentering_log;
	cfg.log_arg = &cap;
	capture_reset();
	pnm_test_init_with(&cfg);
	test_stderr_begin(&err);
	pnm_log(PNM_LOG_WARN, "pinmm: outer");
	test_stderr_end(&err);
	assert_int_equal(cap.nr, 1);
	assert_string_equal(cap.line[0], "pinmm: outer");
	assert_string_equal(err.text, "pinmm: nested 1\n");
	assert_int_equal(pnm_fini(), 0);
}

/* --- the fatal hook: death tests in forked host processes ------------------------ */

#define FATAL_EXIT	42

/* The fatal hook's pipe (in the child). */
static int fatal_fd = -1;

static void write_all(int fd, const char *s)
{
	size_t n = strlen(s);

	while (n) {
		ssize_t w = write(fd, s, n);

		if (w <= 0)
			return;
		s += w;
		n -= (size_t)w;
	}
}

static void discard_log(void *arg, enum pnm_log_level level, const char *msg)
{
	(void)arg;
	(void)level;
	(void)msg;
}

/*
 * A model BUG reachable from a test: folio_put_refs() of a tail page,
 * which VM_BUG_ON_PAGE(PageTail) catches in src/swap.c.
 */
static void trigger_bug(void)
{
	struct folio *folio = folio_alloc(GFP_KERNEL, 2);

	if (!folio)
		_exit(3);
	folio_put((struct folio *)folio_page(folio, 1));
}

enum fatal_mode {
	FATAL_HOOK_EXITS,	/* writes the message, _exit(FATAL_EXIT) */
	FATAL_HOOK_RETURNS,	/* writes the message, returns */
	FATAL_HOOK_RECURSES,	/* writes the message, hits the BUG again */
	FATAL_NO_HOOK,		/* no hook: stderr is the pipe */
};

static void fatal_hook(void *arg, const char *msg)
{
	enum fatal_mode mode = (enum fatal_mode)(intptr_t)arg;

	write_all(fatal_fd, msg);
	write_all(fatal_fd, "|");
	if (mode == FATAL_HOOK_EXITS)
		_exit(FATAL_EXIT);
	if (mode == FATAL_HOOK_RECURSES)
		trigger_bug();
}

/* Child process body: never returns. */
static void fatal_child(enum fatal_mode mode, int wfd)
{
	struct rlimit no_core = { 0, 0 };
	struct pnm_config cfg;

	setrlimit(RLIMIT_CORE, &no_core);
	signal(SIGABRT, SIG_DFL);
	fatal_fd = wfd;
	pnm_config_default(&cfg);
	cfg.zone_frames[ZONE_NORMAL] = 1024;
	cfg.zone_frames[ZONE_MOVABLE] = 0;
	cfg.zone_frames[ZONE_CMA] = 0;
	if (mode == FATAL_NO_HOOK) {
		/* Both the page dump and the fatal message go to stderr. */
		if (dup2(wfd, 2) != 2)
			_exit(4);
	} else {
		cfg.log = discard_log;
		cfg.fatal = fatal_hook;
		cfg.fatal_arg = (void *)(intptr_t)mode;
		/* The recursion's inner message goes to stderr: the pipe
		 * too, after the hook's "|", so the parent sees it came. */
		if (dup2(wfd, 2) != 2)
			_exit(4);
	}
	if (pnm_init(&cfg))
		_exit(5);
	trigger_bug();
	_exit(6);		/* not reached */
}

/* Run fatal_child(@mode) in a forked process; its pipe output in @out,
 * its wait status returned. */
static int run_fatal_child(enum fatal_mode mode, char *out, size_t size)
{
	size_t len = 0;
	int fds[2], status;
	pid_t pid;

	assert_int_equal(pipe(fds), 0);
	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(fds[0]);
		fatal_child(mode, fds[1]);
	}
	close(fds[1]);
	for (;;) {
		ssize_t n = read(fds[0], out + len, size - 1 - len);

		if (n <= 0)
			break;
		len += (size_t)n;
		if (len == size - 1)
			break;
	}
	out[len] = '\0';
	close(fds[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return status;
}

/* What every fatal message for trigger_bug() must say. */
static void assert_bug_message(const char *msg)
{
	assert_non_null(strstr(msg, "pinmm: src/swap.c:folio_put_refs:"));
	assert_non_null(strstr(msg, "VM_BUG_ON_PAGE(PageTail(&folio->page))"));
	assert_null(strstr(msg, PINMM_SOURCE_DIR));
}

static void test_fatal_hook_gets_the_bug(void **state)
{
	char out[4096];
	int status;

	(void)state;
	status = run_fatal_child(FATAL_HOOK_EXITS, out, sizeof(out));
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), FATAL_EXIT);
	/* Exactly one message, one line, from the hook (the dump went to
	 * the discarding log hook, not to stderr = the pipe). */
	assert_int_equal(strncmp(out, "pinmm: src/swap.c:folio_put_refs:", 33), 0);
	assert_int_equal(strchr(out, '|') - out, (long)strlen(out) - 1);
	assert_null(strchr(out, '\n'));
	assert_bug_message(out);
}

static void test_fatal_hook_returning_aborts(void **state)
{
	char out[4096];
	int status;

	(void)state;
	status = run_fatal_child(FATAL_HOOK_RETURNS, out, sizeof(out));
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGABRT);
	assert_int_equal(strchr(out, '|') - out, (long)strlen(out) - 1);
	assert_bug_message(out);
}

/* A BUG inside the fatal hook: the hook ran once, the inner message went
 * to stderr, and the process aborted instead of looping. */
static void test_fatal_inside_hook_aborts(void **state)
{
	char out[4096];
	char *bar, *inner;
	int status;

	(void)state;
	status = run_fatal_child(FATAL_HOOK_RECURSES, out, sizeof(out));
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGABRT);
	bar = strchr(out, '|');
	assert_non_null(bar);
	assert_null(strchr(bar + 1, '|'));	/* the hook ran once */
	*bar = '\0';
	assert_bug_message(out);
	inner = bar + 1;
	assert_int_equal(strncmp(inner, "pinmm: src/swap.c:folio_put_refs:", 33), 0);
	assert_bug_message(inner);
	assert_int_equal(strchr(inner, '\n') - inner, (long)strlen(inner) - 1);
}

/* No hook: the page dump and the message on stderr, then SIGABRT. */
static void test_no_fatal_hook_aborts(void **state)
{
	char out[8192];
	const char *last;
	int status;

	(void)state;
	status = run_fatal_child(FATAL_NO_HOOK, out, sizeof(out));
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGABRT);
	assert_int_equal(strncmp(out, "pinmm: dump_page: VM_BUG_ON_PAGE(PageTail(&folio->page))\n",
				 57), 0);
	assert_true(strlen(out) > 0 && out[strlen(out) - 1] == '\n');
	out[strlen(out) - 1] = '\0';
	last = strrchr(out, '\n');
	assert_non_null(last);
	assert_int_equal(strncmp(last + 1, "pinmm: src/swap.c:folio_put_refs:", 33), 0);
	assert_bug_message(last + 1);
	assert_null(strstr(out, PINMM_SOURCE_DIR));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_hook_gets_every_message, test_cleanup_stderr_and_model),
		cmocka_unit_test_teardown(test_fini_leak_report_goes_to_hook, test_cleanup_stderr_and_model),
		cmocka_unit_test_teardown(test_no_hook_and_after_fini_use_stderr, test_cleanup_stderr_and_model),
		cmocka_unit_test_teardown(test_long_lines_and_reentry, test_cleanup_stderr_and_model),
		cmocka_unit_test_teardown(test_fatal_hook_gets_the_bug, test_cleanup_stderr_and_model),
		cmocka_unit_test_teardown(test_fatal_hook_returning_aborts, test_cleanup_stderr_and_model),
		cmocka_unit_test_teardown(test_fatal_inside_hook_aborts, test_cleanup_stderr_and_model),
		cmocka_unit_test_teardown(test_no_fatal_hook_aborts, test_cleanup_stderr_and_model),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
