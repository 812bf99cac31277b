/* SPDX-License-Identifier: MIT */
/*
 * audit.c - `pinmm audit PATH...`: find, classify and check the call sites
 * of the GUP/pin family in a C tree (docs/audit.md).
 *
 * The work is split in two:
 *   - the semantic patches of audit/ (compiled in: audit_rules.c, generated
 *     by cmake/embed_scenarios.cmake) run under Coccinelle's spatch over the
 *     files that name the family (the prefilter below) and print facts,
 *     one tab-separated record a line: the call sites and their arguments
 *     (S), the assignments that put FOLL_* flags into a variable (F), the
 *     calls that release, dirty or lock pages (R), the calls that touch page
 *     data or register an MMU notifier (A), the paths from a call to a
 *     return that do not release its pages (L), the parameters of the
 *     functions holding them (P), the loops naming their pages (M) and
 *     the pages that point into another array (X);
 *   - this file ties the facts together by file and function: the flags a
 *     call passes, what its pages array is released with, the case of
 *     Linux's pin_user_pages documentation and the group of the 2019 mail,
 *     and the findings, each with its evidence lines.
 * --fix then runs the conversions of audit/fix/ (audit_fix.c) over the
 * sites it chooses and prints spatch's unified diff.
 *
 * It uses nothing of the library: the model is not started.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>
#include "util.h"
#include "cli.h"
#include "scn.h"

/* The names a file must contain to be handed to spatch at all. */
static const char *const prefilter_names[] = {
	"get_user_pages", "pin_user_pages", "vaddr_pin_",
};

#define INSTALL_HINT \
	"pinmm audit needs Coccinelle's spatch. Install it with\n" \
	"    apt-get install coccinelle        (Debian, Ubuntu)\n" \
	"    dnf install coccinelle            (Fedora)\n" \
	"or see https://coccinelle.gitlabpages.inria.fr/website/ ; --spatch PATH\n" \
	"names another binary. The rest of pinmm works without it.\n"

/* --- growable arrays and strings ------------------------------------------------------ */

static void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p) {
		fprintf(stderr, "pinmm audit: out of memory\n");
		exit(2);
	}
	return p;
}

static char *xstrdup(const char *s)
{
	char *d = strdup(s ? s : "");

	if (!d) {
		fprintf(stderr, "pinmm audit: out of memory\n");
		exit(2);
	}
	return d;
}

#define VEC(type) struct { type *v; size_t n, cap; }
#define VEC_PUSH(vec, item) do {						\
	if ((vec).n == (vec).cap) {						\
		(vec).cap = (vec).cap ? 2 * (vec).cap : 16;			\
		(vec).v = xrealloc((vec).v, (vec).cap * sizeof(*(vec).v));	\
	}									\
	(vec).v[(vec).n++] = (item);						\
} while (0)

struct strbuf {
	char *s;
	size_t len, cap;
};

static void sb_putn(struct strbuf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		b->cap = (b->len + n + 1) * 2;
		b->s = xrealloc(b->s, b->cap);
	}
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

static void sb_puts(struct strbuf *b, const char *s)
{
	sb_putn(b, s, strlen(s));
}

/* --- the facts spatch reports ------------------------------------------------------------ */

/* A record of the rules: S, F, R, A, L, P, M or X (the .cocci files of audit/ say
 * which fields). */
struct fact {
	char type;
	char *file;
	int line, col;
	char *func;		/* the enclosing function ("something_else" outside one) */
	char *name;		/* callee; the assigned lvalue (F); the pages or parameter (L, P, M, X) */
	char *text;		/* arguments (S, R, A); the flag named (F); the return's line (L) */
	int nargs;
	char **args;		/* compacted arguments (S, R, A) */
};

static VEC(struct fact) facts;

/*
 * An expression as spatch prints it ("x -> pages [ i ]") made compact: a
 * space is kept only between two characters of names or numbers.
 */
static char *compact(const char *s)
{
	size_t n = strlen(s), o = 0;
	char *d = xrealloc(NULL, n + 1);

	for (size_t i = 0; i < n; i++) {
		if (isspace((unsigned char)s[i])) {
			bool l = o && (isalnum((unsigned char)d[o - 1]) || d[o - 1] == '_');
			size_t j = i;

			while (j < n && isspace((unsigned char)s[j]))
				j++;
			if (l && j < n && (isalnum((unsigned char)s[j]) || s[j] == '_'))
				d[o++] = ' ';
			i = j - 1;
			continue;
		}
		d[o++] = s[i];
	}
	d[o] = '\0';
	return d;
}

/* Split a compact argument list at its top-level commas. */
static int split_args(const char *s, char ***out)
{
	VEC(char *) v = { 0 };
	int depth = 0;
	char quote = 0;
	const char *start = s;

	if (!*s) {
		*out = NULL;
		return 0;
	}
	for (const char *p = s;; p++) {
		if (quote) {
			if (*p == '\\' && p[1])
				p++;
			else if (*p == quote)
				quote = 0;
			if (*p)
				continue;
		}
		if (*p == '"' || *p == '\'')
			quote = *p;
		else if (*p == '(' || *p == '[' || *p == '{')
			depth++;
		else if (*p == ')' || *p == ']' || *p == '}')
			depth--;
		if ((*p == ',' && depth == 0) || !*p) {
			char *a = xrealloc(NULL, (size_t)(p - start) + 1);

			memcpy(a, start, (size_t)(p - start));
			a[p - start] = '\0';
			VEC_PUSH(v, a);
			start = p + 1;
		}
		if (!*p)
			break;
	}
	*out = v.v;
	return (int)v.n;
}

/* Parse one line of spatch's output; lines that are no record are ignored. */
static void parse_record(char *line)
{
	char *f[8];
	int n = 0;
	struct fact fa = { 0 };

	line[strcspn(line, "\n")] = '\0';
	for (char *p = line; n < 8;) {
		f[n++] = p;
		p = strchr(p, '\t');
		if (!p)
			break;
		*p++ = '\0';
	}
	if (n < 2 || strlen(f[0]) != 1 || !strchr("SFRALPMX", f[0][0]))
		return;
	fa.type = f[0][0];
	if (fa.type == 'S' && n == 7) {
		fa.file = xstrdup(f[1]);
		fa.line = atoi(f[2]);
		fa.col = atoi(f[3]);
		fa.func = xstrdup(f[4]);
		fa.name = xstrdup(f[5]);
		fa.text = compact(f[6]);
	} else if (n == 6) {
		fa.file = xstrdup(f[1]);
		fa.line = atoi(f[2]);
		fa.func = xstrdup(f[3]);
		fa.name = compact(f[4]);
		fa.text = compact(f[5]);
	} else {
		return;
	}
	if (strchr("SRA", fa.type))
		fa.nargs = split_args(fa.text, &fa.args);
	VEC_PUSH(facts, fa);
}

static int fact_cmp(const void *a, const void *b)
{
	const struct fact *x = a, *y = b;
	int c = strcmp(x->file, y->file);

	if (c)
		return c;
	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	if (x->col != y->col)
		return x->col < y->col ? -1 : 1;
	if (x->type != y->type)
		return x->type < y->type ? -1 : 1;
	c = strcmp(x->name, y->name);
	return c ? c : strcmp(x->text, y->text);
}

/* Sort the facts and drop the duplicates (rules that overlap report twice). */
static void facts_sort(void)
{
	size_t o = 0;

	if (!facts.n)
		return;
	qsort(facts.v, facts.n, sizeof(facts.v[0]), fact_cmp);
	for (size_t i = 0; i < facts.n; i++) {
		if (o && !fact_cmp(&facts.v[o - 1], &facts.v[i]))
			continue;	/* leaked: freed at exit */
		facts.v[o++] = facts.v[i];
	}
	facts.n = o;
}

/* --- the prefilter -------------------------------------------------------------------------- */

static VEC(char *) files;
static unsigned long files_seen;

static bool is_c_file(const char *path)
{
	const char *dot = strrchr(path, '.');

	return dot && (!strcmp(dot, ".c") || !strcmp(dot, ".h"));
}

/* True if the file names one of the functions the rules look for. */
static bool file_names_family(const char *path)
{
	FILE *f = fopen(path, "r");
	struct strbuf b = { 0 };
	char buf[65536];
	size_t n;
	bool hit = false;

	if (!f)
		return false;
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		sb_putn(&b, buf, n);
	fclose(f);
	for (size_t i = 0; b.s && i < ARRAY_SIZE(prefilter_names) && !hit; i++)
		hit = memmem(b.s, b.len, prefilter_names[i], strlen(prefilter_names[i])) != NULL;
	free(b.s);
	return hit;
}

/* Walk @path (a file or a directory, recursively; symlinks not followed). */
static int collect(const char *path, bool top)
{
	struct stat st;
	DIR *d;
	struct dirent *e;

	if (lstat(path, &st)) {
		if (top) {
			fprintf(stderr, "pinmm audit: %s: %s\n", path, strerror(errno));
			return -1;
		}
		return 0;
	}
	if (S_ISREG(st.st_mode)) {
		if (!top && !is_c_file(path))
			return 0;
		files_seen++;
		if (file_names_family(path))
			VEC_PUSH(files, xstrdup(path));
		return 0;
	}
	if (!S_ISDIR(st.st_mode))
		return 0;
	d = opendir(path);
	if (!d) {
		fprintf(stderr, "pinmm audit: %s: %s\n", path, strerror(errno));
		return top ? -1 : 0;
	}
	while ((e = readdir(d))) {
		struct strbuf sub = { 0 };

		if (e->d_name[0] == '.')
			continue;	/* ., .., .git and other hidden entries */
		sb_puts(&sub, path);
		if (sub.len && sub.s[sub.len - 1] != '/')
			sb_puts(&sub, "/");
		sb_puts(&sub, e->d_name);
		collect(sub.s, false);
		free(sub.s);
	}
	closedir(d);
	return 0;
}

static int str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* --- running spatch ---------------------------------------------------------------------- */

struct audit_opts {
	bool json;
	bool fix;
	bool summary_only;
	int jobs;
	int timeout;
	const char *spatch;
	const char *rules_dir;
	bool verbose;
};

/* An executable named @name on $PATH (or @name itself if it has a slash). */
static bool find_program(const char *name)
{
	const char *path = getenv("PATH");

	if (strchr(name, '/'))
		return access(name, X_OK) == 0;
	if (!path)
		path = "/usr/bin:/bin";
	while (*path) {
		size_t n = strcspn(path, ":");
		struct strbuf b = { 0 };
		bool ok;

		sb_putn(&b, n ? path : ".", n ? n : 1);
		sb_puts(&b, "/");
		sb_puts(&b, name);
		ok = access(b.s, X_OK) == 0;
		free(b.s);
		if (ok)
			return true;
		path += n + (path[n] == ':');
	}
	return false;
}

/*
 * Append the rule files to @b: the .cocci files of @dir (--rules DIR, or
 * DIR/fix for --fix), or, without @dir, the @n compiled in.
 */
static int load_rules(const char *dir, const struct demo_file *embedded, unsigned int nr,
		      struct strbuf *b)
{
	if (!dir) {
		for (unsigned int i = 0; i < nr; i++) {
			sb_putn(b, embedded[i].data, embedded[i].len);
			sb_puts(b, "\n");
		}
		return 0;
	}
	struct dirent **names;
	int n = scandir(dir, &names, NULL, alphasort), found = 0;

	if (n < 0) {
		fprintf(stderr, "pinmm audit: %s: %s\n", dir, strerror(errno));
		return -1;
	}
	for (int i = 0; i < n; i++) {
		const char *nm = names[i]->d_name;
		size_t l = strlen(nm);

		if (l > 6 && !strcmp(nm + l - 6, ".cocci")) {
			struct strbuf p = { 0 };
			FILE *f;
			char buf[4096];
			size_t k;

			sb_puts(&p, dir);
			sb_puts(&p, "/");
			sb_puts(&p, nm);
			f = fopen(p.s, "r");
			if (!f) {
				fprintf(stderr, "pinmm audit: %s: %s\n", p.s, strerror(errno));
				free(p.s);
				return -1;
			}
			while ((k = fread(buf, 1, sizeof(buf), f)) > 0)
				sb_putn(b, buf, k);
			sb_puts(b, "\n");
			fclose(f);
			free(p.s);
			found++;
		}
		free(names[i]);
	}
	free(names);
	if (!found) {
		fprintf(stderr, "pinmm audit: no .cocci file in %s\n", dir);
		return -1;
	}
	return 0;
}

/* Write @len bytes of @data to a new temporary file named by @tmpl. */
static int write_temp(char *tmpl, int suffixlen, const char *data, size_t len)
{
	int fd = mkstemps(tmpl, suffixlen);

	if (fd < 0)
		return -1;
	while (len) {
		ssize_t w = write(fd, data, len);

		if (w <= 0) {
			close(fd);
			unlink(tmpl);
			return -1;
		}
		data += w;
		len -= (size_t)w;
	}
	close(fd);
	return 0;
}

/*
 * Run the semantic patch @rules with spatch over @list (@n files), one file
 * group per file (spatch --file-groups; --jobs workers).  Without @fix_list
 * the records it prints are parsed (parse_record()); with it, $PINMM_AUDIT_FIX
 * names @fix_list for the rules and the unified diff spatch prints goes to
 * stdout, its "+++" lines naming the file as "---" does (patch -p0).
 * spatch's own messages go to a temporary file, shown when it fails (or
 * with -v).
 */
static int run_spatch(const struct audit_opts *o, const struct strbuf *rules, char **list,
		      size_t n, const char *fix_list)
{
	const char *tmpdir = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	struct strbuf groups = { 0 }, cocci = { 0 }, grp = { 0 }, log = { 0 }, minus = { 0 };
	char jobs[16], timeout[16];
	int pfd[2], status, ret = -1;
	pid_t pid;
	FILE *in;
	char *line = NULL;
	size_t cap = 0;

	for (size_t i = 0; i < n; i++) {
		sb_puts(&groups, list[i]);
		sb_puts(&groups, "\n\n");
	}
	sb_puts(&cocci, tmpdir);
	sb_puts(&cocci, "/pinmm-audit-XXXXXX.cocci");
	sb_puts(&grp, tmpdir);
	sb_puts(&grp, "/pinmm-audit-XXXXXX.groups");
	sb_puts(&log, tmpdir);
	sb_puts(&log, "/pinmm-audit-XXXXXX.log");
	if (write_temp(cocci.s, 6, rules->s, rules->len) ||
	    write_temp(grp.s, 7, groups.s, groups.len) || write_temp(log.s, 4, "", 0)) {
		fprintf(stderr, "pinmm audit: temporary file in %s: %s\n", tmpdir, strerror(errno));
		goto out;
	}
	snprintf(jobs, sizeof(jobs), "%d", o->jobs);
	snprintf(timeout, sizeof(timeout), "%d", o->timeout);
	if (pipe(pfd)) {
		perror("pinmm audit: pipe");
		goto out;
	}
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		perror("pinmm audit: fork");
		close(pfd[0]);
		close(pfd[1]);
		goto out;
	}
	if (pid == 0) {
		int lfd = open(log.s, O_WRONLY | O_TRUNC);
		char *argv[] = {
			(char *)o->spatch, "--sp-file", cocci.s, "--file-groups", grp.s,
			"--very-quiet", "--no-includes", "--jobs", jobs, "--timeout", timeout,
			fix_list ? NULL : "--no-show-diff", NULL,
		};

		if (fix_list)
			setenv("PINMM_AUDIT_FIX", fix_list, 1);
		dup2(pfd[1], 1);
		if (lfd >= 0)
			dup2(lfd, 2);
		close(pfd[0]);
		close(pfd[1]);
		execvp(o->spatch, argv);
		fprintf(stderr, "exec %s: %s\n", o->spatch, strerror(errno));
		_exit(127);
	}
	close(pfd[1]);
	in = fdopen(pfd[0], "r");
	if (!in) {
		close(pfd[0]);
		waitpid(pid, &status, 0);
		goto out;
	}
	while (getline(&line, &cap, in) > 0) {
		if (!fix_list) {
			parse_record(line);
		} else if (!strncmp(line, "--- ", 4)) {
			minus.len = 0;
			sb_puts(&minus, line + 4);
			fputs(line, stdout);
		} else if (!strncmp(line, "+++ ", 4) && minus.s) {
			printf("+++ %s", minus.s);
		} else {
			fputs(line, stdout);
		}
	}
	free(line);
	free(minus.s);
	fclose(in);
	if (waitpid(pid, &status, 0) < 0) {
		perror("pinmm audit: waitpid");
		goto out;
	}
	ret = WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
	if (ret || o->verbose) {
		FILE *lf = fopen(log.s, "r");
		char buf[4096];
		size_t k;

		if (ret)
			fprintf(stderr, "pinmm audit: %s failed (status %d); its messages:\n",
				o->spatch, WIFEXITED(status) ? WEXITSTATUS(status) : -1);
		while (lf && (k = fread(buf, 1, sizeof(buf), lf)) > 0)
			fwrite(buf, 1, k, stderr);
		if (lf)
			fclose(lf);
	}
out:
	unlink(cocci.s);
	unlink(grp.s);
	unlink(log.s);
	free(groups.s);
	free(cocci.s);
	free(grp.s);
	free(log.s);
	return ret;
}

/* --- the family and what the facts say ------------------------------------------------- */

static const char *source_line(const char *file, int line);
static bool nonzero_number(const char *e);

enum fam_kind { FAM_GET, FAM_PIN, FAM_VADDR };

/*
 * Where a call's flags and pages are, by name and number of arguments
 * (the shapes of Linux 6.1, of later kernels and of pinmm; older ones
 * where they are unambiguous).  -1: not an argument / not known.
 */
static void call_shape(const char *fn, int nargs, enum fam_kind *kind, int *flags,
		       int *pages, int *owner)
{
	bool remote = strstr(fn, "_remote") != NULL;

	*flags = *pages = *owner = -1;
	if (!strncmp(fn, "vaddr_pin_", 10)) {
		*kind = FAM_VADDR;
		*owner = 0;
		if (remote && nargs == 6)
			*pages = 4;
		else if (!remote && nargs == 4)
			*pages = 3;
		return;
	}
	*kind = !strncmp(fn, "pin_", 4) ? FAM_PIN : FAM_GET;
	if (remote) {
		if (nargs == 6 || nargs == 7) {		/* mm, start, nr, flags, pages[, vmas], locked */
			*flags = 3;
			*pages = 4;
		} else if (nargs == 8) {		/* tsk, mm, start, nr, flags, pages, vmas, locked */
			*flags = 4;
			*pages = 5;
		}
	} else if (strstr(fn, "_unlocked")) {
		if (nargs == 4) {			/* start, nr, pages, flags */
			*flags = 3;
			*pages = 2;
		}
	} else if (nargs == 4 || nargs == 5) {		/* start, nr, flags, pages[, vmas|locked] */
		*flags = 2;
		*pages = 3;
	}
}

/*
 * The array (or page) an argument names: "&page" -> "page",
 * "pages+i" -> "pages", "&kw->pages[0]" -> "kw->pages",
 * "page_folio(pages[i])" -> "pages".
 */
static char *base_of(const char *arg)
{
	static const char *const wrappers[] = { "page_folio(", "&page_folio(", "compound_head(" };
	char *s = xstrdup(arg), *r;
	size_t n;
	int depth = 0;

	for (size_t i = 0; i < ARRAY_SIZE(wrappers); i++) {
		size_t wl = strlen(wrappers[i]);

		n = strlen(s);
		if (!strncmp(s, wrappers[i], wl) && n > wl && s[n - 1] == ')') {
			memmove(s, s + wl, n - wl - 1);
			s[n - wl - 1] = '\0';
		}
	}
	r = s;
	while (*r == '&' || *r == '*')
		r++;
	/* Cut at a top-level + or -: an offset into the array. */
	for (char *p = r; *p; p++) {
		if (*p == '(' || *p == '[')
			depth++;
		else if (*p == ')' || *p == ']')
			depth--;
		else if (depth == 0 && (*p == '+' || (*p == '-' && p[1] != '>'))) {
			*p = '\0';
			break;
		}
	}
	/* Strip one trailing index. */
	n = strlen(r);
	if (n && r[n - 1] == ']') {
		depth = 0;
		for (size_t i = n; i-- > 0;) {
			if (r[i] == ']')
				depth++;
			else if (r[i] == '[' && --depth == 0) {
				r[i] = '\0';
				break;
			}
		}
	}
	/* A parenthesised whole: (pages) -> pages. */
	n = strlen(r);
	if (n > 2 && r[0] == '(' && r[n - 1] == ')' && !strchr(r + 1, '(')) {
		r[n - 1] = '\0';
		r++;
	}
	r = xstrdup(r);
	free(s);
	return r;
}

/* How a release call releases: by name. */
enum rel_kind { REL_NONE, REL_PUT, REL_UNPIN, REL_VADDR, REL_DIRTY, REL_DIRTY_LOCK, REL_LOCK };

static enum rel_kind rel_kind_of(const char *fn)
{
	static const struct { const char *name; enum rel_kind kind; } tab[] = {
		{ "put_page", REL_PUT }, { "folio_put", REL_PUT }, { "folio_put_refs", REL_PUT },
		{ "release_pages", REL_PUT },
		{ "unpin_user_page", REL_UNPIN }, { "unpin_user_pages", REL_UNPIN },
		{ "unpin_user_pages_dirty_lock", REL_UNPIN },
		{ "unpin_user_page_range_dirty_lock", REL_UNPIN }, { "unpin_folio", REL_UNPIN },
		{ "unpin_folios", REL_UNPIN }, { "unpin_user_folio", REL_UNPIN },
		/* The 2019 names of the unpin calls. */
		{ "put_user_page", REL_UNPIN }, { "put_user_pages", REL_UNPIN },
		{ "put_user_pages_dirty", REL_UNPIN }, { "put_user_pages_dirty_lock", REL_UNPIN },
		{ "vaddr_unpin_user_pages", REL_VADDR }, { "vaddr_unpin_pages", REL_VADDR },
		{ "set_page_dirty", REL_DIRTY }, { "folio_mark_dirty", REL_DIRTY },
		{ "set_page_dirty_lock", REL_DIRTY_LOCK },
		{ "lock_page", REL_LOCK }, { "trylock_page", REL_LOCK }, { "folio_lock", REL_LOCK },
		{ "folio_trylock", REL_LOCK },
	};

	for (size_t i = 0; i < ARRAY_SIZE(tab); i++)
		if (!strcmp(fn, tab[i].name))
			return tab[i].kind;
	return REL_NONE;
}

/* Which argument of a data-access call names the page; -1 for a notifier. */
static int access_arg(const char *fn, bool *device)
{
	*device = false;
	if (strstr(fn, "mmu_notifier") || strstr(fn, "mmu_interval_notifier"))
		return -1;
	if (!strncmp(fn, "dma_map_page", 12) || !strcmp(fn, "sg_set_page") ||
	    !strcmp(fn, "sg_alloc_table_from_pages") || strstr(fn, "bio_add_page")) {
		*device = true;
		return 1;
	}
	return 0;
}

/* A site and what was found about it. */
struct site {
	const struct fact *call;
	enum fam_kind kind;
	char *flags_expr;		/* as written, "" when not an argument */
	char *pages_expr;
	char *pages_base;		/* "" for none (NULL) */
	char *owner_base;		/* vaddr_pin: the owner */
	unsigned int nflags;
	const char *flag[16];		/* FOLL_* (and VADDR_PIN_*) seen */
	bool flag_direct[16];		/* in the call's own argument */
	bool flags_unresolved;		/* some part not visible */
	VEC(const struct fact *) flag_lines;	/* F facts used */
	VEC(const struct fact *) rel;	/* R facts on the pages */
	VEC(const struct fact *) xrel;	/* R facts on the same field, other functions */
	bool xput, xunpin;		/* their kinds: both is a release a flag decides */
	VEC(const struct fact *) use;	/* A facts on the pages */
	bool lock_seen;			/* lock_page & co. in the function */
	bool notifier_in_file;
	char release[320];
	char cas[8];
	char group;
	const char *confidence;
	char reason[320];
};

static VEC(struct site) sites;

enum finding_kind {
	FIND_PIN_PUT, FIND_GET_UNPIN, FIND_GET_LONGTERM, FIND_FOLL_PIN, FIND_GET_DATA,
	FIND_DIRTY_UNLOCKED, FIND_FLAGS_BOOLEAN, FIND_NOT_RELEASED, FIND__NR,
};

static const char *const finding_names[FIND__NR] = {
	[FIND_PIN_PUT] = "pin-put",
	[FIND_GET_UNPIN] = "get-unpin",
	[FIND_GET_LONGTERM] = "get-longterm",
	[FIND_FOLL_PIN] = "foll-pin-by-caller",
	[FIND_GET_DATA] = "get-data-access",
	[FIND_DIRTY_UNLOCKED] = "dirty-unlocked",
	[FIND_FLAGS_BOOLEAN] = "flags-boolean",
	[FIND_NOT_RELEASED] = "not-released",
};

struct finding {
	enum finding_kind kind;
	const struct site *site;
	const char *confidence;
	char msg[400];
	VEC(const struct fact *) evidence;	/* besides the site's own line */
};

static VEC(struct finding) findings;

static bool same_func(const struct fact *a, const struct fact *b)
{
	return !strcmp(a->file, b->file) && !strcmp(a->func, b->func);
}

static bool has_flag(const struct site *s, const char *flag, bool *direct)
{
	for (unsigned int i = 0; i < s->nflags; i++)
		if (!strcmp(s->flag[i], flag)) {
			if (direct)
				*direct = s->flag_direct[i];
			return true;
		}
	return false;
}

static void add_flag(struct site *s, const char *flag, bool direct)
{
	for (unsigned int i = 0; i < s->nflags; i++)
		if (!strcmp(s->flag[i], flag)) {
			s->flag_direct[i] |= direct;
			return;
		}
	if (s->nflags < ARRAY_SIZE(s->flag)) {
		s->flag[s->nflags] = flag;
		s->flag_direct[s->nflags++] = direct;
	}
}

/* The interned name of a FOLL_* token (the facts outlive every site). */
static const char *intern(const char *name, size_t n)
{
	static VEC(char *) names;
	char *d;

	for (size_t i = 0; i < names.n; i++)
		if (strlen(names.v[i]) == n && !strncmp(names.v[i], name, n))
			return names.v[i];
	d = xrealloc(NULL, n + 1);
	memcpy(d, name, n);
	d[n] = '\0';
	VEC_PUSH(names, d);
	return d;
}

static bool is_ident_char(char c)
{
	return isalnum((unsigned char)c) || c == '_';
}

/*
 * The flags of @s: the FOLL_* tokens of its argument, and for each operand
 * of a top-level | that is a variable or a field, the FOLL_* the function
 * assigns to it (F facts).  What is neither is "not visible".
 */
static void resolve_flags(struct site *s)
{
	const char *e = s->flags_expr;
	int depth = 0;
	const char *op = e;

	if (!*e) {
		s->flags_unresolved = s->kind != FAM_VADDR;
		return;
	}
	for (const char *p = e; *p; p++) {
		if (!strncmp(p, "FOLL_", 5) && (p == e || !is_ident_char(p[-1]))) {
			size_t n = 5;

			while (is_ident_char(p[n]))
				n++;
			add_flag(s, intern(p, n), true);
			p += n - 1;
		}
	}
	for (const char *p = e;; p++) {
		if (*p == '(' || *p == '[')
			depth++;
		else if (*p == ')' || *p == ']')
			depth--;
		if (!*p || (depth == 0 && *p == '|' && p[1] != '|' && (p == e || p[-1] != '|'))) {
			size_t n = (size_t)(p - op);
			char *o = xrealloc(NULL, n + 1);
			bool lvalue = n > 0, found = false;

			memcpy(o, op, n);
			o[n] = '\0';
			for (size_t i = 0; i < n; i++)
				if (!is_ident_char(o[i]) && o[i] != '.' && o[i] != '-' && o[i] != '>')
					lvalue = false;
			if (lvalue && (isdigit((unsigned char)o[0]) || !strncmp(o, "FOLL_", 5)))
				lvalue = false;
			if (lvalue) {
				for (size_t i = 0; i < facts.n; i++) {
					const struct fact *f = &facts.v[i];

					if (f->type == 'F' && same_func(f, s->call) && !strcmp(f->name, o)) {
						add_flag(s, intern(f->text, strlen(f->text)), false);
						VEC_PUSH(s->flag_lines, f);
						found = true;
					}
				}
				if (!found)
					s->flags_unresolved = true;
			} else if (!isdigit((unsigned char)o[0]) && strncmp(o, "FOLL_", 5) &&
				   !strstr(o, "FOLL_")) {
				s->flags_unresolved = true;	/* a call, or an expression */
			}
			free(o);
			op = p + 1;
		}
		if (!*p)
			break;
	}
}

static const char *const flag_order[] = {
	"FOLL_WRITE", "FOLL_LONGTERM", "FOLL_FORCE", "FOLL_PIN", "FOLL_GET",
};

/* The flags as one word: "FOLL_WRITE|FOLL_LONGTERM", "0", "?", "FOLL_WRITE|?". */
static void flags_text(const struct site *s, char *buf, size_t len)
{
	size_t o = 0;
	bool done[16] = { false };

	buf[0] = '\0';
	if (s->kind == FAM_VADDR) {
		snprintf(buf, len, "(owner's)");
		return;
	}
	for (size_t k = 0; k < ARRAY_SIZE(flag_order) + 1; k++) {
		for (unsigned int i = 0; i < s->nflags; i++) {
			bool in_order = false;

			for (size_t j = 0; j < ARRAY_SIZE(flag_order); j++)
				in_order |= !strcmp(s->flag[i], flag_order[j]);
			if (done[i] || (k < ARRAY_SIZE(flag_order) ?
					strcmp(s->flag[i], flag_order[k]) : in_order))
				continue;
			done[i] = true;
			o += (size_t)snprintf(buf + o, o < len ? len - o : 0, "%s%s",
					      o ? "|" : "", s->flag[i]);
		}
	}
	if (s->flags_unresolved)
		snprintf(buf + o, o < len ? len - o : 0, "%s?", o ? "|" : "");
	else if (!o)
		snprintf(buf, len, "%s", nonzero_number(s->flags_expr) ? s->flags_expr : "0");
}

static void add_finding(struct site *s, enum finding_kind kind, const char *confidence,
			const char *msg)
{
	struct finding f = { .kind = kind, .site = s, .confidence = confidence };

	snprintf(f.msg, sizeof(f.msg), "%s", msg);
	VEC_PUSH(findings, f);
}

static void finding_evidence(const struct fact *fa)
{
	VEC_PUSH(findings.v[findings.n - 1].evidence, fa);
}

static void set_class(struct site *s, const char *cas, char group, const char *conf,
		      const char *reason)
{
	snprintf(s->cas, sizeof(s->cas), "%s", cas);
	s->group = group;
	s->confidence = conf;
	snprintf(s->reason, sizeof(s->reason), "%s", reason);
}

/*
 * Releases in other functions of the file, for pages kept in a struct
 * field (x->pages, x.pages): the R facts whose pages are written the same
 * (x->pages), or else, if there are none, the same field of anything
 * (y->pages).  One kind (puts, or unpins) is taken as the release, "likely";
 * both kinds (a release function that asks a flag how the pages were
 * taken) are named and decide nothing.  The release then reads
 * "put_page in f() (->pages)".
 */
static void field_releases(struct site *s)
{
	const char *b = s->pages_base, *arrow = NULL, *dot = strrchr(b, '.');
	char field[64], funcs[96] = "", names[96] = "";
	size_t fl;

	for (const char *p = b; (p = strstr(p, "->")); p += 2)
		arrow = p;
	if (arrow && (!dot || arrow > dot))
		snprintf(field, sizeof(field), "->%.60s", arrow + 2);
	else if (dot)
		snprintf(field, sizeof(field), ".%.60s", dot + 1);
	else
		return;
	fl = strlen(field);
	for (int pass = 0; pass < 2 && !s->xrel.n; pass++)
	for (size_t i = 0; i < facts.n; i++) {
		const struct fact *f = &facts.v[i];
		enum rel_kind rk;
		char *fb;
		size_t n;

		if (f->type != 'R' || !f->nargs || strcmp(f->file, s->call->file) ||
		    !strcmp(f->func, s->call->func))
			continue;
		rk = rel_kind_of(f->name);
		if (rk != REL_PUT && rk != REL_UNPIN)
			continue;
		fb = base_of(f->args[0]);
		n = strlen(fb);
		/* The same expression first, then the same field of anything. */
		if (pass == 0 ? !strcmp(fb, b) : n >= fl && !strcmp(fb + n - fl, field)) {
			VEC_PUSH(s->xrel, f);
			s->xput |= rk == REL_PUT;
			s->xunpin |= rk == REL_UNPIN;
			if (!strstr(names, f->name) && strlen(names) + strlen(f->name) + 5 < sizeof(names))
				snprintf(names + strlen(names), sizeof(names) - strlen(names), "%s%s",
					 names[0] ? (s->xput && s->xunpin ? " or " : " + ") : "", f->name);
			if (!strstr(funcs, f->func) && strlen(funcs) + strlen(f->func) + 5 < sizeof(funcs))
				snprintf(funcs + strlen(funcs), sizeof(funcs) - strlen(funcs), "%s%s()",
					 funcs[0] ? ", " : "", f->func);
		}
		free(fb);
	}
	if (s->xrel.n)
		snprintf(s->release, sizeof(s->release), "%s in %s (%s)", names, funcs, field);
}

/*
 * True if @func of @file is GUP's own code: a function of the family
 * itself, the single-page helpers around it, or GUP's internals (gup_*,
 * __gup_* of a file named gup.c or gup_fast.c: gup_test.c's callers are
 * callers).
 * Calls there build the family (pin_user_pages_unlocked() setting FOLL_PIN
 * for get_user_pages_unlocked() is how pinning is implemented); they are
 * listed but neither classified nor checked.
 */
static bool gup_internal(const char *file, const char *func)
{
	const char *base = strrchr(file, '/') ? strrchr(file, '/') + 1 : file;
	static const char *const names[] = {
		"get_user_pages", "get_user_pages_fast", "get_user_pages_fast_only",
		"get_user_pages_remote", "get_user_pages_unlocked", "get_user_pages_locked",
		"pin_user_pages", "pin_user_pages_fast", "pin_user_pages_fast_only",
		"pin_user_pages_remote", "pin_user_pages_unlocked", "pin_user_pages_locked",
		"get_user_page_fast_only", "get_user_page_vma_remote",
		"vaddr_pin_user_pages", "vaddr_pin_pages", "vaddr_pin_pages_remote",
	};

	if ((!strcmp(base, "gup.c") || !strcmp(base, "gup_fast.c")) &&
	    (!strncmp(func, "gup_", 4) || !strncmp(func, "__gup_", 6)))
		return true;
	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		if (!strcmp(func, names[i]))
			return true;
	return false;
}

/* True if @e is a number other than 0 ("1", "0x1"). */
static bool nonzero_number(const char *e)
{
	char *end;

	return isdigit((unsigned char)e[0]) && strtoul(e, &end, 0) != 0 && !*end;
}

/*
 * True if a flags argument is a truth value (a comparison, a logical
 * operator) or a number: the `write` argument of the GUP calls before 4.9,
 * which works only because FOLL_WRITE happens to be 1.
 */
static bool flags_boolean(const char *e)
{
	int depth = 0;

	if (nonzero_number(e))
		return true;
	for (const char *p = e; *p; p++) {
		if (*p == '(' || *p == '[')
			depth++;
		else if (*p == ')' || *p == ']')
			depth--;
		else if (depth == 0 && *p == '?')
			return false;	/* cond ? FOLL_WRITE : 0 is right */
	}
	if (e[0] == '!' && e[1] != '=')
		return true;
	depth = 0;
	for (const char *p = e; *p; p++) {
		if (*p == '(' || *p == '[')
			depth++;
		else if (*p == ')' || *p == ']')
			depth--;
		else if (depth == 0 && (!strncmp(p, "==", 2) || !strncmp(p, "!=", 2) ||
					!strncmp(p, "&&", 2) || !strncmp(p, "||", 2) ||
					!strncmp(p, "<=", 2) || !strncmp(p, ">=", 2) ||
					(*p == '<' && p[1] != '<' && (p == e || p[-1] != '<')) ||
					(*p == '>' && p[1] != '>' && (p == e || (p[-1] != '>' &&
									    p[-1] != '-')))))
			return true;
	}
	return false;
}

static bool is_word_in(const char *word, const char *text)
{
	size_t n = strlen(word);

	for (const char *p = text; (p = strstr(p, word)); p += n)
		if ((p == text || !is_ident_char(p[-1])) && !is_ident_char(p[n]))
			return true;
	return false;
}

/*
 * The not-released finding: the paths leak.cocci found from @s to a return
 * (L facts), less those whose pages are the function's parameter (the
 * caller's array), those whose return names the pages, those whose pages
 * are named in a loop between the call and the return (M facts: the path
 * that runs the loop zero times is no leak, nothing was taken), and those
 * whose pages point into another array (X facts: an alias).
 */
static void not_released(struct site *s)
{
	const struct fact *c = s->call;
	bool found = false;

	for (size_t i = 0; i < facts.n; i++) {
		const struct fact *l = &facts.v[i];
		int ret;
		bool drop = false;

		if (l->type != 'L' || l->line != c->line || !same_func(l, c))
			continue;
		ret = atoi(l->text);
		for (size_t k = 0; k < facts.n && !drop; k++) {
			const struct fact *f = &facts.v[k];

			if (f->type == 'P' && !strcmp(f->file, c->file) && !strcmp(f->func, c->func) &&
			    !strcmp(f->name, l->name))
				drop = true;
		}
		for (size_t k = 0; k < facts.n && !drop; k++) {
			const struct fact *o = &facts.v[k];

			if (!same_func(o, c) || strcmp(o->name, l->name))
				continue;
			drop = (o->type == 'M' && o->line > c->line && o->line < ret) ||
			       o->type == 'X';
		}
		if (drop || is_word_in(l->name, source_line(c->file, ret)))
			continue;
		if (!found) {
			char msg[400];

			snprintf(msg, sizeof(msg), "%s of %s() not released on a path to a return: "
				 "the %s leaks (the path is in the evidence)",
				 s->kind == FAM_GET ? "references" : "pins", c->name,
				 s->kind == FAM_GET ? "page reference" : "pin");
			add_finding(s, FIND_NOT_RELEASED, "likely", msg);
			found = true;
		}
		/* The evidence is the return the path reaches. */
		struct fact *ev = xrealloc(NULL, sizeof(*ev));

		*ev = *l;
		ev->line = ret;
		finding_evidence(ev);
	}
}

/* Everything about one site: flags, release, findings, case and group. */
static void analyse(struct site *s)
{
	const struct fact *c = s->call;
	int fi, pi, oi;
	bool put = false, unpin = false, vaddr = false, dirty = false, access = false,
	     device = false, longterm, lt_direct = false, foll_pin, fp_direct = false, write;
	char msg[400];

	call_shape(c->name, c->nargs, &s->kind, &fi, &pi, &oi);
	s->flags_expr = xstrdup(fi >= 0 ? c->args[fi] : "");
	s->pages_expr = xstrdup(pi >= 0 ? c->args[pi] : "?");
	s->pages_base = pi < 0 || !strcmp(c->args[pi], "NULL") || !strcmp(c->args[pi], "0") ?
			xstrdup("") : base_of(c->args[pi]);
	s->owner_base = xstrdup(oi >= 0 ? c->args[oi] : "");
	if (fi < 0 && s->kind != FAM_VADDR)
		s->flags_expr[0] = '\0';
	resolve_flags(s);

	for (size_t i = 0; i < facts.n; i++) {
		const struct fact *f = &facts.v[i];
		enum rel_kind rk;
		bool dev;
		int ai;
		char *b;

		if (f->type == 'A' && !strcmp(f->file, c->file) && access_arg(f->name, &dev) < 0)
			s->notifier_in_file = true;
		if ((f->type != 'R' && f->type != 'A') || !same_func(f, c))
			continue;
		if (f->type == 'A') {
			ai = access_arg(f->name, &dev);
			if (ai < 0 || ai >= f->nargs || !*s->pages_base)
				continue;
			b = base_of(f->args[ai]);
			if (!strcmp(b, s->pages_base)) {
				VEC_PUSH(s->use, f);
				access |= !dev;
				device |= dev;
			}
			free(b);
			continue;
		}
		rk = rel_kind_of(f->name);
		if (rk == REL_LOCK) {
			s->lock_seen = true;
			continue;
		}
		if (!f->nargs)
			continue;
		b = base_of(f->args[0]);
		if ((rk == REL_VADDR && *s->owner_base && !strcmp(b, s->owner_base)) ||
		    (rk != REL_VADDR && *s->pages_base && !strcmp(b, s->pages_base))) {
			VEC_PUSH(s->rel, f);
			put |= rk == REL_PUT;
			unpin |= rk == REL_UNPIN;
			vaddr |= rk == REL_VADDR;
			dirty |= rk == REL_DIRTY;
		}
		free(b);
	}

	/* The release, as names in order of first appearance. */
	s->release[0] = '\0';
	for (size_t i = 0; i < s->rel.n; i++) {
		const char *nm = s->rel.v[i]->name;
		bool named = false;
		size_t l;

		for (size_t k = 0; k < i; k++)
			named |= !strcmp(s->rel.v[k]->name, nm);
		if (named)
			continue;
		l = strlen(s->release);
		snprintf(s->release + l, sizeof(s->release) - l, "%s%s", l ? " + " : "", nm);
	}
	if (!s->rel.n && s->kind != FAM_VADDR && *s->pages_base)
		field_releases(s);
	if (!s->release[0])
		snprintf(s->release, sizeof(s->release), "%s",
			 !*s->pages_base && s->kind != FAM_VADDR ? "no reference" : "elsewhere");

	longterm = has_flag(s, "FOLL_LONGTERM", &lt_direct);
	foll_pin = has_flag(s, "FOLL_PIN", &fp_direct);
	write = has_flag(s, "FOLL_WRITE", NULL);

	if (gup_internal(c->file, c->func)) {
		set_class(s, "-", '-', "certain", "inside GUP's own implementation (a function of "
			  "the family or a GUP internal): not a call site");
		return;
	}

	/* Findings. */
	if (*s->flags_expr && flags_boolean(s->flags_expr)) {
		snprintf(msg, sizeof(msg), "a truth value or a number passed as the flags of %s(): the old "
			 "`write` argument, right only because FOLL_WRITE is 1; write "
			 "`cond ? FOLL_WRITE : 0`", c->name);
		add_finding(s, FIND_FLAGS_BOOLEAN, "certain", msg);
	}
	if (foll_pin) {
		snprintf(msg, sizeof(msg), "FOLL_PIN passed to %s() by its caller: FOLL_PIN is "
			 "internal to GUP, set by the pin_user_pages*() calls", c->name);
		add_finding(s, FIND_FOLL_PIN, fp_direct ? "certain" : "likely", msg);
		for (size_t i = 0; i < s->flag_lines.n; i++)
			if (!strcmp(s->flag_lines.v[i]->text, "FOLL_PIN"))
				finding_evidence(s->flag_lines.v[i]);
	}
	if (s->kind == FAM_GET && longterm) {
		snprintf(msg, sizeof(msg), "FOLL_LONGTERM passed to %s(): a long-term reference "
			 "must be a pin (pin_user_pages*() with FOLL_LONGTERM)", c->name);
		add_finding(s, FIND_GET_LONGTERM, lt_direct ? "certain" : "likely", msg);
		for (size_t i = 0; i < s->flag_lines.n; i++)
			if (!strcmp(s->flag_lines.v[i]->text, "FOLL_LONGTERM"))
				finding_evidence(s->flag_lines.v[i]);
	}
	if (s->kind != FAM_GET && put) {
		snprintf(msg, sizeof(msg), "pages pinned by %s() released with a put: a pin is "
			 "released with unpin_user_page*() (a put leaves the pin counted forever)",
			 c->name);
		add_finding(s, FIND_PIN_PUT, "certain", msg);
		for (size_t i = 0; i < s->rel.n; i++)
			if (rel_kind_of(s->rel.v[i]->name) == REL_PUT)
				finding_evidence(s->rel.v[i]);
	}
	if (s->kind == FAM_GET && (unpin || vaddr)) {
		snprintf(msg, sizeof(msg), "pages from %s() (FOLL_GET references) released with an "
			 "unpin: an unpin takes away a pin that was never taken", c->name);
		add_finding(s, FIND_GET_UNPIN, "certain", msg);
		for (size_t i = 0; i < s->rel.n; i++) {
			enum rel_kind rk = rel_kind_of(s->rel.v[i]->name);

			if (rk == REL_UNPIN || rk == REL_VADDR)
				finding_evidence(s->rel.v[i]);
		}
	}
	/*
	 * The kernel's own mapping counts when the call asked for a writable
	 * page (or the flags cannot be seen): a read through it is no case 5.
	 * A device counts either way: Direct IO pins for both directions.
	 */
	/* Releases found through a struct field, of one kind only. */
	if (s->xrel.n && !(s->xput && s->xunpin) &&
	    ((s->kind == FAM_PIN && s->xput) || (s->kind == FAM_GET && s->xunpin))) {
		bool pin = s->kind == FAM_PIN;

		snprintf(msg, sizeof(msg), pin ?
			 "pages pinned by %s() kept in a struct field and released with a put in "
			 "another function: a pin is released with unpin_user_page*()" :
			 "pages from %s() (FOLL_GET references) kept in a struct field and released "
			 "with an unpin in another function: an unpin takes away a pin that was "
			 "never taken", c->name);
		add_finding(s, pin ? FIND_PIN_PUT : FIND_GET_UNPIN, "likely", msg);
		for (size_t i = 0; i < s->xrel.n; i++)
			finding_evidence(s->xrel.v[i]);
	}
	if (s->kind == FAM_GET && (device || (access && (write || s->flags_unresolved)))) {
		snprintf(msg, sizeof(msg), "pages from %s() (FOLL_GET) have their data %s in the "
			 "same function: case %s, they must be pinned (pin_user_pages*(), released "
			 "with unpin_user_page*())", c->name,
			 device ? "handed to a device" : "written through the kernel's mapping",
			 device ? "1" : "5");
		add_finding(s, FIND_GET_DATA, device || write ? "likely" : "unknown", msg);
		for (size_t i = 0; i < s->use.n; i++)
			finding_evidence(s->use.v[i]);
	}
	if (dirty && !s->lock_seen) {
		snprintf(msg, sizeof(msg), "pages from %s() dirtied without the page lock: use "
			 "set_page_dirty_lock() (or unpin_user_pages_dirty_lock())", c->name);
		add_finding(s, FIND_DIRTY_UNLOCKED, "likely", msg);
		for (size_t i = 0; i < s->rel.n; i++)
			if (rel_kind_of(s->rel.v[i]->name) == REL_DIRTY)
				finding_evidence(s->rel.v[i]);
	}

	not_released(s);

	/* Case and group. */
	/* A release through a field of one kind counts as seen, "likely" at best. */
	bool xseen = s->xrel.n && !(s->xput && s->xunpin);
	bool seen = s->rel.n > 0;
	const char *vis = s->flags_unresolved || !seen ? "likely" : "certain";

	if (!seen && xseen)
		seen = true;
	unpin |= xseen && s->xunpin;

	if (s->kind == FAM_VADDR) {
		set_class(s, "2", 'b', "likely", "the vaddr_pin wrapper: a pin owner, long-term "
			  "or tied to a file as its flags say (not visible at the call)");
	} else if (s->kind == FAM_PIN) {
		if (longterm)
			set_class(s, "2", 'b', seen ? vis : "unknown",
				  "FOLL_PIN|FOLL_LONGTERM: a long-term DMA pin (RDMA-like)");
		else if (access)
			set_class(s, "5", 'a', seen ? vis : "likely",
				  "pinned, then the page data is accessed through the kernel's mapping");
		else if (device)
			set_class(s, "1", 'a', seen ? vis : "likely",
				  "pinned short-term for device I/O (bio, scatterlist or DMA mapping)");
		else
			set_class(s, "1", 'a', seen ? "likely" : "unknown",
				  seen ? "pinned short-term and unpinned in the same function, no "
					 "data access seen: Direct-IO-like (or case 5)" :
					 "pinned short-term, released elsewhere: Direct-IO-like "
					 "(or case 5)");
	} else if (!*s->pages_base) {
		set_class(s, "-", 'd', s->flags_unresolved && fi < 0 ? "likely" : "certain",
			  "no pages array: faults the range in, takes no reference (populate, mlock)");
	} else if (longterm) {
		set_class(s, "2", 'b', "likely",
			  "FOLL_LONGTERM on a get: must become pin_user_pages*(FOLL_LONGTERM)");
	} else if (unpin || vaddr) {
		set_class(s, access ? "5" : "1", 'c', "likely",
			  "the release was converted to unpin, but the call does not pin yet");
	} else if (access && !write && !s->flags_unresolved) {
		set_class(s, "5", 'a', "likely", "a get whose page data is read through the "
			  "kernel's mapping (no FOLL_WRITE): a candidate for pin_user_pages*(), "
			  "not a write");
	} else if (access) {
		set_class(s, "5", 'a', "likely", "a get whose page data is written through the "
			  "kernel's mapping: convert to pin_user_pages*()");
	} else if (device) {
		set_class(s, "1", 'a', "likely", "a get whose pages go to a device: convert to "
			  "pin_user_pages*()");
	} else if (s->notifier_in_file) {
		set_class(s, "3", 'd', seen ? "likely" : "unknown", "a get in a file that "
			  "registers an MMU notifier: mirrored pages, dropped on invalidation");
	} else if (seen) {
		set_class(s, "4", 'd', "likely", "a get released with a put in the same function, "
			  "no data access seen: struct page only");
	} else {
		set_class(s, "4", 'd', "unknown", "a get whose pages leave the function: "
			  "struct page only assumed, the release is out of reach");
	}
}

/* --- output -------------------------------------------------------------------------------- */

/* The text of line @line of @file, trimmed (static buffer). */
static const char *source_line(const char *file, int line)
{
	static char buf[512];
	FILE *f = fopen(file, "r");
	int n = 0;
	char *p = buf;

	buf[0] = '\0';
	if (!f)
		return buf;
	while (fgets(buf, sizeof(buf), f)) {
		size_t l = strlen(buf);

		if (l && buf[l - 1] != '\n' && !feof(f)) {
			int ch;

			while ((ch = fgetc(f)) != EOF && ch != '\n')
				;
		}
		if (++n == line)
			break;
	}
	fclose(f);
	if (n != line)
		return "";
	buf[strcspn(buf, "\n")] = '\0';
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

static const char *const case_names[] = { "1", "2", "3", "4", "5", "-" };

static void print_table(FILE *out, const struct audit_opts *o)
{
	char flags[256];

	if (!o->summary_only) {
		fprintf(out, "Call sites (%zu)\n", sites.n);
		for (size_t i = 0; i < sites.n; i++) {
			const struct site *s = &sites.v[i];

			flags_text(s, flags, sizeof(flags));
			fprintf(out, "%s:%d  %s()  %s  flags=%s  release=%s  case %s  group %c  %s\n"
				"    %s\n", s->call->file, s->call->line, s->call->func,
				s->call->name, flags, s->release, s->cas, s->group, s->confidence,
				s->reason);
		}
		fprintf(out, "\nFindings (%zu)\n", findings.n);
		for (size_t i = 0; i < findings.n; i++) {
			const struct finding *f = &findings.v[i];
			const struct fact *c = f->site->call;

			fprintf(out, "%s:%d  %s  %s  in %s()\n    %s\n", c->file, c->line,
				finding_names[f->kind], f->confidence, c->func, f->msg);
			fprintf(out, "    %s:%d: %s\n", c->file, c->line, source_line(c->file, c->line));
			for (size_t k = 0; k < f->evidence.n; k++) {
				const struct fact *e = f->evidence.v[k];

				fprintf(out, "    %s:%d: %s\n", e->file, e->line,
					source_line(e->file, e->line));
			}
		}
		fputc('\n', out);
	}
	fprintf(out, "Summary: %lu files, %zu naming the family, %zu call sites, %zu findings\n",
		files_seen, files.n, sites.n, findings.n);
	fprintf(out, "  by case: ");
	for (size_t k = 0; k < ARRAY_SIZE(case_names); k++) {
		size_t n = 0;

		for (size_t i = 0; i < sites.n; i++)
			n += !strcmp(sites.v[i].cas, case_names[k]);
		fprintf(out, "%s%s=%zu", k ? " " : "", case_names[k], n);
	}
	fprintf(out, "\n  by group: ");
	for (const char *g = "abcd-"; *g; g++) {
		size_t n = 0;

		for (size_t i = 0; i < sites.n; i++)
			n += sites.v[i].group == *g;
		fprintf(out, "%s%c=%zu", *g != 'a' ? " " : "", *g, n);
	}
	fprintf(out, "\n  by confidence: ");
	static const char *const confs[] = { "certain", "likely", "unknown" };
	for (size_t k = 0; k < ARRAY_SIZE(confs); k++) {
		size_t n = 0;

		for (size_t i = 0; i < sites.n; i++)
			n += !strcmp(sites.v[i].confidence, confs[k]);
		fprintf(out, "%s%s=%zu", k ? " " : "", confs[k], n);
	}
	fprintf(out, "\n  findings: ");
	for (int k = 0; k < FIND__NR; k++) {
		size_t n = 0;

		for (size_t i = 0; i < findings.n; i++)
			n += findings.v[i].kind == (enum finding_kind)k;
		fprintf(out, "%s%s=%zu", k ? " " : "", finding_names[k], n);
	}
	fputc('\n', out);
}

static void json_fact_line(FILE *out, const struct fact *e)
{
	fputs("{\"file\": ", out);
	scn_json_str(out, e->file);
	fprintf(out, ", \"line\": %d, \"text\": ", e->line);
	scn_json_str(out, source_line(e->file, e->line));
	fputc('}', out);
}

static void print_json(FILE *out)
{
	static const char *const kinds[] = { "get", "pin", "vaddr_pin" };
	char flags[256];

	fprintf(out, "{\"files_scanned\": %lu, \"files_matched\": %zu,\n \"sites\": [",
		files_seen, files.n);
	for (size_t i = 0; i < sites.n; i++) {
		const struct site *s = &sites.v[i];

		fprintf(out, "%s\n  {\"file\": ", i ? "," : "");
		scn_json_str(out, s->call->file);
		fprintf(out, ", \"line\": %d, \"column\": %d, \"function\": ", s->call->line,
			s->call->col);
		scn_json_str(out, s->call->func);
		fputs(", \"call\": ", out);
		scn_json_str(out, s->call->name);
		fprintf(out, ", \"family\": \"%s\", \"flags_expr\": ", kinds[s->kind]);
		scn_json_str(out, s->flags_expr);
		fputs(", \"flags\": [", out);
		for (unsigned int k = 0; k < s->nflags; k++) {
			fputs(k ? ", " : "", out);
			scn_json_str(out, s->flag[k]);
		}
		flags_text(s, flags, sizeof(flags));
		fprintf(out, "], \"flags_visible\": %s, \"flags_text\": ",
			s->flags_unresolved ? "false" : "true");
		scn_json_str(out, flags);
		fputs(", \"pages\": ", out);
		scn_json_str(out, s->pages_expr);
		fputs(", \"release\": ", out);
		scn_json_str(out, s->release);
		fputs(", \"release_lines\": [", out);
		for (size_t k = 0; k < s->rel.n; k++)
			fprintf(out, "%s%d", k ? ", " : "", s->rel.v[k]->line);
		fputs("], \"case\": ", out);
		scn_json_str(out, s->cas);
		fprintf(out, ", \"group\": \"%c\", \"confidence\": \"%s\", \"reason\": ",
			s->group, s->confidence);
		scn_json_str(out, s->reason);
		fputc('}', out);
	}
	fputs("],\n \"findings\": [", out);
	for (size_t i = 0; i < findings.n; i++) {
		const struct finding *f = &findings.v[i];
		const struct fact *c = f->site->call;

		fprintf(out, "%s\n  {\"kind\": \"%s\", \"confidence\": \"%s\", \"file\": ",
			i ? "," : "", finding_names[f->kind], f->confidence);
		scn_json_str(out, c->file);
		fprintf(out, ", \"line\": %d, \"function\": ", c->line);
		scn_json_str(out, c->func);
		fputs(", \"message\": ", out);
		scn_json_str(out, f->msg);
		fputs(", \"evidence\": [", out);
		json_fact_line(out, c);
		for (size_t k = 0; k < f->evidence.n; k++) {
			fputs(", ", out);
			json_fact_line(out, f->evidence.v[k]);
		}
		fputs("]}", out);
	}
	fputs("],\n \"summary\": {\"sites\": ", out);
	fprintf(out, "%zu, \"findings\": %zu, \"by_case\": {", sites.n, findings.n);
	for (size_t k = 0; k < ARRAY_SIZE(case_names); k++) {
		size_t n = 0;

		for (size_t i = 0; i < sites.n; i++)
			n += !strcmp(sites.v[i].cas, case_names[k]);
		fprintf(out, "%s\"%s\": %zu", k ? ", " : "", case_names[k], n);
	}
	fputs("}, \"by_group\": {", out);
	for (const char *g = "abcd-"; *g; g++) {
		size_t n = 0;

		for (size_t i = 0; i < sites.n; i++)
			n += sites.v[i].group == *g;
		fprintf(out, "%s\"%c\": %zu", *g != 'a' ? ", " : "", *g, n);
	}
	fputs("}, \"by_finding\": {", out);
	for (int k = 0; k < FIND__NR; k++) {
		size_t n = 0;

		for (size_t i = 0; i < findings.n; i++)
			n += findings.v[i].kind == (enum finding_kind)k;
		fprintf(out, "%s\"%s\": %zu", k ? ", " : "", finding_names[k], n);
	}
	fputs("}}}\n", out);
}

/* --- --fix ------------------------------------------------------------------------------------- */

/*
 * Why @s is not converted by --fix (NULL: it is).  Converted: gets of
 * group a or c whose pages are released in the function, and pins released
 * with a put in the function (their releases only).
 */
static const char *fix_refusal(const struct site *s, bool *considered)
{
	bool pin_put = false;

	for (size_t i = 0; i < findings.n; i++)
		pin_put |= findings.v[i].site == s && findings.v[i].kind == FIND_PIN_PUT;
	*considered = pin_put || (s->kind == FAM_GET && (s->group == 'a' || s->group == 'c'));
	if (!*considered)
		return NULL;
	if (pin_put)
		return s->rel.n ? NULL : "its puts are in another function: convert them by hand";
	if (has_flag(s, "FOLL_GET", NULL) || has_flag(s, "FOLL_PIN", NULL))
		return "FOLL_GET or FOLL_PIN in its flags: take it out first";
	if (strstr(s->call->name, "_fast_only"))
		return "no pin variant of the _fast_only call";
	if (!s->rel.n)
		return "its pages are released in another function: convert that release too, "
		       "by hand";
	return NULL;
}

/*
 * `pinmm audit --fix`: the unified diff of the conversions (audit/fix/) over the sites
 * fix_refusal() accepts on stdout (nothing is written), what was converted
 * and what was left, with the reason, on stderr.  Exit status as the audit.
 */
static int fix(const struct audit_opts *o)
{
	const char *tmpdir = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	struct strbuf list = { 0 }, path = { 0 }, rules = { 0 }, dir = { 0 };
	VEC(char *) tfiles = { 0 };
	size_t converted = 0, left = 0;
	int ret = findings.n ? 1 : 0;

	for (size_t i = 0; i < sites.n; i++) {
		const struct site *s = &sites.v[i];
		const struct fact *c = s->call;
		bool considered, seen = false;
		const char *why = fix_refusal(s, &considered);
		char line[32];

		if (!considered)
			continue;
		if (why) {
			fprintf(stderr, "pinmm audit --fix: left %s:%d %s(): %s\n", c->file, c->line,
				c->name, why);
			left++;
			continue;
		}
		fprintf(stderr, "pinmm audit --fix: converting %s:%d %s()\n", c->file, c->line,
			c->name);
		converted++;
		snprintf(line, sizeof(line), "\t%d\n", c->line);
		sb_puts(&list, c->file);
		sb_puts(&list, line);
		for (size_t k = 0; k < tfiles.n; k++)
			seen |= !strcmp(tfiles.v[k], c->file);
		if (!seen)
			VEC_PUSH(tfiles, c->file);
	}
	fprintf(stderr, "pinmm audit --fix: %zu sites converted, %zu left\n", converted, left);
	if (!converted)
		return ret;
	sb_puts(&path, tmpdir);
	sb_puts(&path, "/pinmm-audit-XXXXXX.fix");
	if (o->rules_dir) {
		sb_puts(&dir, o->rules_dir);
		sb_puts(&dir, "/fix");
	}
	if (load_rules(dir.s, audit_fix_files, audit_fix_nr_files, &rules) ||
	    write_temp(path.s, 4, list.s, list.len)) {
		if (errno)
			fprintf(stderr, "pinmm audit: temporary file in %s: %s\n", tmpdir,
				strerror(errno));
		ret = 2;
	} else {
		fflush(stdout);
		if (run_spatch(o, &rules, tfiles.v, tfiles.n, path.s))
			ret = 2;
		unlink(path.s);
	}
	free(list.s);
	free(path.s);
	free(rules.s);
	free(dir.s);
	free(tfiles.v);
	return ret;
}

/* --- the subcommand ---------------------------------------------------------------------- */

/* `pinmm audit --help`. */
void cmd_audit_help(FILE *out)
{
	fprintf(out,
		"usage: pinmm audit [options] PATH...\n\n"
		"Find every call of the get_user_pages*/pin_user_pages* family (fast, remote,\n"
		"unlocked) and of the vaddr_pin wrapper in the C files under PATH, with\n"
		"Coccinelle's spatch and the semantic patches of audit/ (compiled in); report\n"
		"per call site its flags, what releases its pages in the same function, its\n"
		"case (1-5 of Linux's pin_user_pages documentation) and group (a-d of the 2019\n"
		"mail) with a reason and a confidence, and the findings with their evidence\n"
		"lines (docs/audit.md).\n\n"
		"options:\n"
		"  --json          one JSON document instead of the table\n"
		"  --summary       only the summary\n"
		"  --jobs N        spatch workers (default 1)\n"
		"  --timeout SEC   spatch's time limit per file (default 120)\n"
		"  --spatch PATH   the spatch binary (default: spatch on $PATH, or $PINMM_SPATCH)\n"
		"  --rules DIR     run DIR/*.cocci (and DIR/fix/*.cocci for --fix) instead of\n"
		"                  the rules compiled in\n"
		"  --fix           print a unified diff converting the group a and c gets\n"
		"                  whose pages are released in the same function to the pin\n"
		"                  API (and the puts of pins to unpins); nothing is written\n"
		"  -v, --verbose   show spatch's own messages\n\n"
		"exit status: 0 no findings, 1 findings, 2 usage error, missing spatch, or\n"
		"spatch failed.\n");
}

/* `pinmm audit`: see cmd_audit_help(); exit status as cli.h says. */
int cmd_audit(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "summary", no_argument, NULL, 's' },
		{ "jobs", required_argument, NULL, 'J' },
		{ "timeout", required_argument, NULL, 'T' },
		{ "spatch", required_argument, NULL, 'S' },
		{ "rules", required_argument, NULL, 'R' },
		{ "fix", no_argument, NULL, 'F' },
		{ "verbose", no_argument, NULL, 'v' },
		{ NULL, 0, NULL, 0 },
	};
	struct audit_opts o = { .jobs = 1, .timeout = 120, .spatch = getenv("PINMM_SPATCH") };
	int c;

	if (!o.spatch || !*o.spatch)
		o.spatch = "spatch";
	optind = 1;
	while ((c = getopt_long(argc, argv, "v", longopts, NULL)) != -1) {
		char *end;

		switch (c) {
		case 'j':
			o.json = true;
			break;
		case 's':
			o.summary_only = true;
			break;
		case 'J':
		case 'T': {
			long v = strtol(optarg, &end, 10);

			if (*end || v < (c == 'J' ? 1 : 0) || v > 4096) {
				fprintf(stderr, "pinmm audit: bad number '%s'\n", optarg);
				return 2;
			}
			if (c == 'J')
				o.jobs = (int)v;
			else
				o.timeout = (int)v;
			break;
		}
		case 'S':
			o.spatch = optarg;
			break;
		case 'R':
			o.rules_dir = optarg;
			break;
		case 'F':
			o.fix = true;
			break;
		case 'v':
			o.verbose = true;
			break;
		default:
			cmd_audit_help(stderr);
			return 2;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "pinmm audit: no PATH given\n\n");
		cmd_audit_help(stderr);
		return 2;
	}
	if (!find_program(o.spatch)) {
		fprintf(stderr, "pinmm audit: '%s' not found.\n" INSTALL_HINT, o.spatch);
		return 2;
	}
	for (int i = optind; i < argc; i++)
		if (collect(argv[i], true))
			return 2;
	if (files.n)
		qsort(files.v, files.n, sizeof(files.v[0]), str_cmp);
	if (files.n) {
		struct strbuf rules = { 0 };
		int err = load_rules(o.rules_dir, audit_rule_files, audit_rule_nr_files, &rules);

		if (!err)
			err = run_spatch(&o, &rules, files.v, files.n, NULL);
		free(rules.s);
		if (err)
			return 2;
	}
	facts_sort();
	for (size_t i = 0; i < facts.n; i++) {
		if (facts.v[i].type == 'S') {
			struct site s = { .call = &facts.v[i] };

			VEC_PUSH(sites, s);
		}
	}
	for (size_t i = 0; i < sites.n; i++)
		analyse(&sites.v[i]);
	if (o.fix)
		return fix(&o);
	if (o.json)
		print_json(stdout);
	else
		print_table(stdout, &o);
	return findings.n ? 1 : 0;
}
