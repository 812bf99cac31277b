/* SPDX-License-Identifier: MIT */
/*
 * scn_datadir.c - the model of a running script, built and torn down so
 * that its private data directory never outlives the process.
 *
 * A script runs with pnm_config.data_dir NULL: pnm_init() makes a private
 * directory under $TMPDIR (or /tmp) for the backing files of disk and dax
 * files and swap, and pnm_fini() removes it.  A process that ends between
 * the two - exit(2) on host out-of-memory, SIGTERM, SIGINT, SIGHUP,
 * SIGPIPE from a reader that went away, an abort - would leave it behind.
 * scn_model_init() records the directory; an atexit() handler and handlers
 * of those signals remove it and its files if it is still recorded.  The
 * signal handler does only async-signal-safe work (open, getdents64,
 * unlinkat, rmdir, close: no allocation) on the recorded path, then dies
 * of the signal with the default action, as it would have without it.
 * A signal whose disposition was SIG_IGN when the first model was built
 * stays ignored.  SIGSEGV and SIGBUS are left alone (sanitizers and
 * debuggers own them).
 *
 * The signals are blocked while pnm_init() creates the directory and while
 * pnm_fini() removes it, so the record and the directory agree whenever a
 * handler can run.  Single-threaded, as the runner (scn.h).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "scn.h"

static const int fatal_signals[] = { SIGHUP, SIGINT, SIGTERM, SIGPIPE, SIGABRT };

/* The directory to remove; written with the signals blocked. */
static char dir_path[PATH_MAX];
static volatile sig_atomic_t dir_recorded;
static pid_t dir_owner;			/* a forked child leaves it alone */
static bool handlers_installed;

/* Remove @dir and the files in it (flat: the model makes no
 * subdirectories).  Async-signal-safe; keeps errno. */
static void remove_dir_raw(const char *dir)
{
	/* A buffer on the stack: opendir() allocates. */
	char buf[2048] __attribute__((aligned(8)));
	int saved = errno;

	/* Unlinking while reading can make a pass miss entries: repeat. */
	for (int pass = 0; pass < 8; pass++) {
		int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		ssize_t n;

		if (fd < 0)
			break;
		while ((n = getdents64(fd, buf, sizeof(buf))) > 0) {
			for (ssize_t off = 0; off < n;) {
				struct dirent64 *de = (struct dirent64 *)(buf + off);

				off += de->d_reclen;
				if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
					unlinkat(fd, de->d_name, 0);
			}
		}
		close(fd);
		if (!rmdir(dir) || errno != ENOTEMPTY)
			break;
	}
	errno = saved;
}

static void remove_recorded(void)
{
	if (dir_recorded && getpid() == dir_owner) {
		remove_dir_raw(dir_path);
		dir_recorded = 0;
	}
}

static void fatal_signal(int sig)
{
	remove_recorded();
	signal(sig, SIG_DFL);
	raise(sig);
}

/* The atexit() handler: exit() in the middle of a run. */
static void at_exit(void)
{
	remove_recorded();
}

static void install_handlers(void)
{
	struct sigaction sa = { .sa_handler = fatal_signal };

	if (handlers_installed)
		return;
	handlers_installed = true;
	atexit(at_exit);
	/* Block the others while one removes the directory. */
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < ARRAY_SIZE(fatal_signals); i++)
		sigaddset(&sa.sa_mask, fatal_signals[i]);
	for (size_t i = 0; i < ARRAY_SIZE(fatal_signals); i++) {
		struct sigaction old;

		if (sigaction(fatal_signals[i], NULL, &old) || old.sa_handler == SIG_IGN)
			continue;
		sigaction(fatal_signals[i], &sa, NULL);
	}
}

static void block_fatal(sigset_t *old)
{
	sigset_t set;

	sigemptyset(&set);
	for (size_t i = 0; i < ARRAY_SIZE(fatal_signals); i++)
		sigaddset(&set, fatal_signals[i]);
	pthread_sigmask(SIG_BLOCK, &set, old);
}

/*
 * scn_model_init - pnm_init(@cfg) for a script run, recording the private
 * data directory it makes (when @cfg->data_dir is NULL) for removal on
 * exit() or a fatal signal.  Returns pnm_init()'s result.
 */
int scn_model_init(const struct pnm_config *cfg)
{
	sigset_t old;
	int ret;

	install_handlers();
	block_fatal(&old);
	ret = pnm_init(cfg);
	if (!ret && !cfg->data_dir) {
		const char *dir = pnm_fs_data_dir();

		if (dir && strlen(dir) < sizeof(dir_path)) {
			strcpy(dir_path, dir);
			dir_owner = getpid();
			dir_recorded = 1;
		}
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return ret;
}

/*
 * scn_model_fini - pnm_fini() for a script run (it removes the private
 * data directory); the directory is no longer recorded.  Returns
 * pnm_fini()'s result.
 */
int scn_model_fini(void)
{
	sigset_t old;
	int ret;

	block_fatal(&old);
	ret = pnm_fini();
	dir_recorded = 0;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return ret;
}
