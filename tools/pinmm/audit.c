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
 *     functions holding them (P), the loops naming their pages (M), the
 *     pages that point into another array (X), the pages handed to another
 *     function (H), the parameters of callees, release helpers and the
 *     functions holding a call (D), the calls of release helpers (C) and of
 *     the functions holding a call (U);
 *   - audit_classify.c ties the facts together by file and function: the
 *     flags a call passes, what its pages array is released with, the case
 *     of Linux's pin_user_pages documentation and the group of the 2019
 *     mail, and the findings, each with its evidence lines.
 * This file is the command: the prefilter, spatch, the records, the table,
 * JSON and summary.  --fix (the conversions of audit/fix/, to the pin API
 * or the vaddr_pin wrapper) is audit_convert.c's; audit.h is what they
 * share.
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
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>
#include "audit.h"
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

/* --- the facts spatch reports ------------------------------------------------------------ */
struct audit_fact_list audit_facts;

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
	char *f[8] = { 0 };
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
	if (n < 2 || strlen(f[0]) != 1 || !strchr("SFRALPMXHDCU", f[0][0]))
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
	if (strchr("SRACU", fa.type))
		fa.nargs = split_args(fa.text, &fa.args);
	VEC_PUSH(audit_facts, fa);
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

/* Free what parse_record() allocated for @fa (split_args() makes each
 * argument its own string). */
static void fact_free(struct fact *fa)
{
	for (int i = 0; i < fa->nargs; i++)
		free(fa->args[i]);
	free(fa->args);
	free(fa->file);
	free(fa->func);
	free(fa->name);
	free(fa->text);
}

/* Sort the facts and drop the duplicates (rules that overlap report twice). */
static void facts_sort(void)
{
	size_t o = 0;

	if (!audit_facts.n)
		return;
	qsort(audit_facts.v, audit_facts.n, sizeof(audit_facts.v[0]), fact_cmp);
	for (size_t i = 0; i < audit_facts.n; i++) {
		if (o && !fact_cmp(&audit_facts.v[o - 1], &audit_facts.v[i])) {
			fact_free(&audit_facts.v[i]);
			continue;
		}
		audit_facts.v[o++] = audit_facts.v[i];
	}
	audit_facts.n = o;
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

/* See audit.h: the .cocci files of a directory or those compiled in. */
int audit_load_rules(const char *dir, const char *only, const struct demo_file *embedded,
		     unsigned int nr, struct strbuf *b)
{
	if (!dir) {
		for (unsigned int i = 0; i < nr; i++) {
			const char *base = strrchr(embedded[i].name, '/');

			base = base ? base + 1 : embedded[i].name;
			if (only && strcmp(base, only))
				continue;
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

		if (l > 6 && !strcmp(nm + l - 6, ".cocci") && (!only || !strcmp(nm, only))) {
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
int audit_write_temp(char *tmpl, int suffixlen, const char *data, size_t len)
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
 * stdout, its "+++" lines naming the file as "---" does (patch -p0), and
 * the "#pinmm-" lines of the conversions go to @notes; --in-place has spatch
 * write the files too.
 * spatch's own messages go to a temporary file, shown when it fails (or
 * with -v).
 */
int audit_run_spatch(const struct audit_opts *o, const struct strbuf *rules, char **list,
		     size_t n, const char *fix_list, struct strbuf *notes)
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
	if (audit_write_temp(cocci.s, 6, rules->s, rules->len) ||
	    audit_write_temp(grp.s, 7, groups.s, groups.len) || audit_write_temp(log.s, 4, "", 0)) {
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
			fix_list ? NULL : "--no-show-diff", NULL, NULL,
		};

		if (fix_list && o->in_place)
			argv[11] = "--in-place";

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
		} else if (!strncmp(line, "#pinmm-", 7)) {
			if (notes)
				sb_puts(notes, line);
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

/* --- output -------------------------------------------------------------------------------- */

/* The text of line @line of @file, trimmed (static buffer). */
const char *audit_source_line(const char *file, int line)
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
		fprintf(out, "Call sites (%zu)\n", audit_sites.n);
		for (size_t i = 0; i < audit_sites.n; i++) {
			const struct site *s = &audit_sites.v[i];

			audit_flags_text(s, flags, sizeof(flags));
			fprintf(out, "%s:%d  %s()  %s  flags=%s  release=%s  case %s  group %c  %s\n"
				"    %s\n", s->call->file, s->call->line, s->call->func,
				s->call->name, flags, s->release, s->cas, s->group, s->confidence,
				s->reason);
		}
		fprintf(out, "\nFindings (%zu)\n", audit_findings.n);
		for (size_t i = 0; i < audit_findings.n; i++) {
			const struct finding *f = &audit_findings.v[i];
			const struct fact *c = f->site->call;

			fprintf(out, "%s:%d  %s  %s  in %s()\n    %s\n", c->file, c->line,
				audit_finding_names[f->kind], f->confidence, c->func, f->msg);
			fprintf(out, "    %s:%d: %s\n", c->file, c->line, audit_source_line(c->file, c->line));
			for (size_t k = 0; k < f->evidence.n; k++) {
				const struct fact *e = f->evidence.v[k];

				fprintf(out, "    %s:%d: %s\n", e->file, e->line,
					audit_source_line(e->file, e->line));
			}
		}
		fputc('\n', out);
	}
	fprintf(out, "Summary: %lu files, %zu naming the family, %zu call sites, %zu findings\n",
		files_seen, files.n, audit_sites.n, audit_findings.n);
	fprintf(out, "  by case: ");
	for (size_t k = 0; k < ARRAY_SIZE(case_names); k++) {
		size_t n = 0;

		for (size_t i = 0; i < audit_sites.n; i++)
			n += !strcmp(audit_sites.v[i].cas, case_names[k]);
		fprintf(out, "%s%s=%zu", k ? " " : "", case_names[k], n);
	}
	fprintf(out, "\n  by group: ");
	for (const char *g = "abcd-"; *g; g++) {
		size_t n = 0;

		for (size_t i = 0; i < audit_sites.n; i++)
			n += audit_sites.v[i].group == *g;
		fprintf(out, "%s%c=%zu", *g != 'a' ? " " : "", *g, n);
	}
	fprintf(out, "\n  by confidence: ");
	static const char *const confs[] = { "certain", "likely", "unknown" };
	for (size_t k = 0; k < ARRAY_SIZE(confs); k++) {
		size_t n = 0;

		for (size_t i = 0; i < audit_sites.n; i++)
			n += !strcmp(audit_sites.v[i].confidence, confs[k]);
		fprintf(out, "%s%s=%zu", k ? " " : "", confs[k], n);
	}
	fprintf(out, "\n  findings: ");
	for (int k = 0; k < FIND__NR; k++) {
		size_t n = 0;

		for (size_t i = 0; i < audit_findings.n; i++)
			n += audit_findings.v[i].kind == (enum finding_kind)k;
		fprintf(out, "%s%s=%zu", k ? " " : "", audit_finding_names[k], n);
	}
	fputc('\n', out);
}

static void json_fact_line(FILE *out, const struct fact *e)
{
	fputs("{\"file\": ", out);
	scn_json_str(out, e->file);
	fprintf(out, ", \"line\": %d, \"text\": ", e->line);
	scn_json_str(out, audit_source_line(e->file, e->line));
	fputc('}', out);
}

static void print_json(FILE *out)
{
	static const char *const kinds[] = { "get", "pin", "vaddr_pin" };
	char flags[256];

	fprintf(out, "{\"files_scanned\": %lu, \"files_matched\": %zu,\n \"sites\": [",
		files_seen, files.n);
	for (size_t i = 0; i < audit_sites.n; i++) {
		const struct site *s = &audit_sites.v[i];

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
		audit_flags_text(s, flags, sizeof(flags));
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
	for (size_t i = 0; i < audit_findings.n; i++) {
		const struct finding *f = &audit_findings.v[i];
		const struct fact *c = f->site->call;

		fprintf(out, "%s\n  {\"kind\": \"%s\", \"confidence\": \"%s\", \"file\": ",
			i ? "," : "", audit_finding_names[f->kind], f->confidence);
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
	fprintf(out, "%zu, \"findings\": %zu, \"by_case\": {", audit_sites.n, audit_findings.n);
	for (size_t k = 0; k < ARRAY_SIZE(case_names); k++) {
		size_t n = 0;

		for (size_t i = 0; i < audit_sites.n; i++)
			n += !strcmp(audit_sites.v[i].cas, case_names[k]);
		fprintf(out, "%s\"%s\": %zu", k ? ", " : "", case_names[k], n);
	}
	fputs("}, \"by_group\": {", out);
	for (const char *g = "abcd-"; *g; g++) {
		size_t n = 0;

		for (size_t i = 0; i < audit_sites.n; i++)
			n += audit_sites.v[i].group == *g;
		fprintf(out, "%s\"%c\": %zu", *g != 'a' ? ", " : "", *g, n);
	}
	fputs("}, \"by_finding\": {", out);
	for (int k = 0; k < FIND__NR; k++) {
		size_t n = 0;

		for (size_t i = 0; i < audit_findings.n; i++)
			n += audit_findings.v[i].kind == (enum finding_kind)k;
		fprintf(out, "%s\"%s\": %zu", k ? ", " : "", audit_finding_names[k], n);
	}
	fputs("}}}\n", out);
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
		"  --fix[=pin]     print a unified diff converting the group a and c gets\n"
		"                  whose pages are released in the same function to the pin\n"
		"                  API (and the puts of pins to unpins); nothing is written\n"
		"  --fix=vaddr     the same to the vaddr_pin wrapper: an owner created for\n"
		"                  the current task, vaddr_pin_user_pages()/vaddr_pin_pages(),\n"
		"                  vaddr_unpin_pages() of the extent (short-term sites whose\n"
		"                  flags are FOLL_WRITE at most and whose release is whole)\n"
		"  --in-place      with --fix: write the conversions into the files too\n"
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
		{ "fix", optional_argument, NULL, 'F' },
		{ "in-place", no_argument, NULL, 'I' },
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
			if (!optarg || !strcmp(optarg, "pin")) {
				o.fix_target = AUDIT_FIX_PIN;
			} else if (!strcmp(optarg, "vaddr")) {
				o.fix_target = AUDIT_FIX_VADDR;
			} else {
				fprintf(stderr, "pinmm audit: --fix=%s: the targets are pin and vaddr\n",
					optarg);
				return 2;
			}
			break;
		case 'I':
			o.in_place = true;
			break;
		case 'v':
			o.verbose = true;
			break;
		default:
			cmd_audit_help(stderr);
			return 2;
		}
	}
	if (o.in_place && !o.fix) {
		fprintf(stderr, "pinmm audit: --in-place goes with --fix\n");
		return 2;
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
		int err = audit_load_rules(o.rules_dir, NULL, audit_rule_files,
					   audit_rule_nr_files, &rules);

		if (!err)
			err = audit_run_spatch(&o, &rules, files.v, files.n, NULL, NULL);
		free(rules.s);
		if (err)
			return 2;
	}
	facts_sort();
	audit_expand_helpers();
	for (size_t i = 0; i < audit_facts.n; i++) {
		if (audit_facts.v[i].type == 'S') {
			struct site s = { .call = &audit_facts.v[i] };

			VEC_PUSH(audit_sites, s);
		}
	}
	for (size_t i = 0; i < audit_sites.n; i++)
		audit_analyse(&audit_sites.v[i]);
	if (o.fix)
		return audit_fix(&o);
	if (o.json)
		print_json(stdout);
	else
		print_table(stdout, &o);
	return audit_findings.n ? 1 : 0;
}
