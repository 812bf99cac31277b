/* SPDX-License-Identifier: MIT */
/*
 * fuzz_scn.c - seeded mutation fuzzing of the scenario parser and runner.
 *
 *   fuzz_scn DIR [SEED [ITERATIONS [EXECUTIONS]]]
 *
 * Reads every *.scn in DIR, then ITERATIONS times picks one, applies a few
 * random mutations (byte flips, deletions, truncation, line swaps, inserted
 * tokens such as quotes, huge numbers, NUL bytes, invalid UTF-8 and
 * over-long lines) and parses the result.  A parse must either succeed or
 * fail with one well-formed message "fuzz.scn:LINE:COL: error: ..." whose
 * line exists in the input.  The first EXECUTIONS mutants that parse (and
 * ask for at most 128M of memory) are also run in a fresh model: no step
 * may break an invariant and no frame may leak.  Crashes are caught by the
 * sanitizer builds.  Failing inputs are written to fuzz-fail-N.scn.
 */
#include <dirent.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include "scn.h"
#include "../fuzz/scn_check.h"

static uint64_t rng;

static uint64_t rnd(void)
{
	uint64_t x = rng;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	rng = x;
	return x * 0x2545F4914F6CDD1DULL;
}

static size_t rndn(size_t n) { return n ? (size_t)(rnd() % n) : 0; }

struct input {
	char *buf;
	size_t len;
};

static struct input inputs[256];
static int ninputs;

static const char *const dict[] = {
	"\"", "\\", "\\x", "\\q", "+", "-", "=", "==", "!=", ">=", "#", "\n", "\r", "\t", " ",
	"\xff", "\xc3\xa9", "\xe2\x82", "\xed\xa0\x80", "\xc0\xaf", "\x01", "\x7f",
	"99999999999999999999999", "0x", "0xffffffffffffffff", "18446744073709551616",
	"18446744073709551615", "0xfffffffffffffffffK", "16777216T", "1T", "4K", "2M", "0",
	"expect ", "expect fail EFAULT ", "expect fail EBUSY ", "expect page A buf ",
	"fork A B\n", "exit A\n", "exit B\n", "process Z\n", "mmap A q 4K\n", "pattern ",
	"pattern 0x100 4K", "not ", "zone ", "memory normal=8M\n", "hold A buf\n",
	"release A buf\n", "buf+", "buf-", "A ", "B ", "order=", "at=", "align=", "flags=",
	"\"unterminated", "expect counter pgfault ", "expect counter nr_free_pages >= ",
	"write A buf pattern 0xaa 8M\n", "migrate A buf zone Normal\n", "compact Movable\n",
	"munmap A buf 4K\n", "madvise A buf 4K dontneed\n", "mprotect A buf 4K r\n",
	"stats\n", "maps A\n", "pages A buf 8K\n", "read A buf 16\n",
};

static void load_dir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	if (!d) {
		perror(dir);
		exit(2);
	}
	while ((e = readdir(d)) && ninputs < (int)ARRAY_SIZE(inputs)) {
		size_t n = strlen(e->d_name);
		char path[4096];
		FILE *f;
		long sz;

		if (n < 5 || strcmp(e->d_name + n - 4, ".scn"))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		f = fopen(path, "rb");
		if (!f)
			continue;
		fseek(f, 0, SEEK_END);
		sz = ftell(f);
		fseek(f, 0, SEEK_SET);
		inputs[ninputs].buf = malloc((size_t)sz + 1);
		inputs[ninputs].len = fread(inputs[ninputs].buf, 1, (size_t)sz, f);
		fclose(f);
		ninputs++;
	}
	closedir(d);
	/* Keep the order independent of the file system. */
	for (int i = 0; i < ninputs; i++)
		for (int j = i + 1; j < ninputs; j++)
			if (inputs[j].len < inputs[i].len ||
			    (inputs[j].len == inputs[i].len &&
			     memcmp(inputs[j].buf, inputs[i].buf, inputs[i].len) < 0)) {
				struct input t = inputs[i];

				inputs[i] = inputs[j];
				inputs[j] = t;
			}
}

/* Grow-able byte buffer for the mutant. */
struct mut {
	char *b;
	size_t len, cap;
};

static void mut_reserve(struct mut *m, size_t extra)
{
	if (m->len + extra + 1 > m->cap) {
		m->cap = (m->len + extra + 1) * 2;
		m->b = realloc(m->b, m->cap);
		if (!m->b)
			abort();
	}
}

static void mut_insert(struct mut *m, size_t at, const char *s, size_t n)
{
	mut_reserve(m, n);
	memmove(m->b + at + n, m->b + at, m->len - at);
	memcpy(m->b + at, s, n);
	m->len += n;
}

static void mut_delete(struct mut *m, size_t at, size_t n)
{
	if (at + n > m->len)
		n = m->len - at;
	memmove(m->b + at, m->b + at + n, m->len - at - n);
	m->len -= n;
}

/* Start of the line containing @at, and of the next one. */
static void line_bounds(const struct mut *m, size_t at, size_t *s, size_t *e)
{
	*s = at;
	while (*s > 0 && m->b[*s - 1] != '\n')
		(*s)--;
	*e = at;
	while (*e < m->len && m->b[*e] != '\n')
		(*e)++;
	if (*e < m->len)
		(*e)++;
}

static void mutate(struct mut *m)
{
	size_t at = rndn(m->len + 1), s, e;

	switch (rndn(9)) {
	case 0:		/* flip a byte */
		if (m->len)
			m->b[rndn(m->len)] = (char)rndn(256);
		break;
	case 1:		/* delete a few bytes */
		if (at < m->len)
			mut_delete(m, at, 1 + rndn(20));
		break;
	case 2:
	case 3:
	case 4: {	/* insert a token */
		const char *t = dict[rndn(ARRAY_SIZE(dict))];

		mut_insert(m, at, t, strlen(t));
		break;
	}
	case 5:		/* truncate */
		m->len = at;
		break;
	case 6:		/* duplicate a line */
		if (m->len) {
			line_bounds(m, rndn(m->len), &s, &e);
			{
				size_t n = e - s;
				char *tmp = malloc(n + 1);

				memcpy(tmp, m->b + s, n);
				mut_insert(m, rndn(m->len + 1), tmp, n);
				free(tmp);
			}
		}
		break;
	case 7:		/* delete a line */
		if (m->len) {
			line_bounds(m, rndn(m->len), &s, &e);
			mut_delete(m, s, e - s);
		}
		break;
	case 8:		/* an over-long line or a NUL byte */
		if (rndn(2)) {
			size_t n = SCN_MAX_LINE - 8 + rndn(16);
			char *tmp = malloc(n);

			memset(tmp, 'a' + (int)rndn(26), n);
			mut_insert(m, at, tmp, n);
			free(tmp);
		} else {
			mut_insert(m, at, "\0", 1);
		}
		break;
	}
}

static void save_failure(const struct mut *m, int n)
{
	char path[64];
	FILE *f;

	snprintf(path, sizeof(path), "fuzz-fail-%d.scn", n);
	f = fopen(path, "wb");
	if (f) {
		fwrite(m->b, 1, m->len, f);
		fclose(f);
		fprintf(stderr, "fuzz: input saved to %s\n", path);
	}
}

int main(int argc, char **argv)
{
	uint64_t seed = argc > 2 ? strtoull(argv[2], NULL, 0) : 1;
	long iters = argc > 3 ? strtol(argv[3], NULL, 0) : 3000;
	long max_exec = argc > 4 ? strtol(argv[4], NULL, 0) : 200;
	long parsed = 0, rejected = 0, executed = 0;
	int failures = 0;
	struct mut m = { 0 };
	char why[1024];

	if (argc < 2) {
		fprintf(stderr, "usage: fuzz_scn DIR [SEED [ITERATIONS [EXECUTIONS]]]\n");
		return 2;
	}
	load_dir(argv[1]);
	if (!ninputs) {
		fprintf(stderr, "fuzz: no .scn files in %s\n", argv[1]);
		return 2;
	}
	rng = seed * 0x9E3779B97F4A7C15ULL + 1;
	for (long it = 0; it < iters; it++) {
		const struct input *in = &inputs[rndn((size_t)ninputs)];
		struct scn_check_limits lim = {
			/* Run the first EXECUTIONS mutants that parse and ask
			 * for at most 128M of model memory. */
			.run = executed < max_exec,
			.max_mem = 128u << 20,
		};
		size_t nmut = 1 + rndn(4);

		m.len = 0;
		mut_reserve(&m, in->len);
		memcpy(m.b, in->buf, in->len);
		m.len = in->len;
		for (size_t k = 0; k < nmut; k++)
			mutate(&m);

		switch (scn_check_one(m.b, m.len, &lim, why, sizeof(why))) {
		case SCN_CHECK_REJECTED:
			rejected++;
			break;
		case SCN_CHECK_RAN:
			executed++;
			/* fall through */
		case SCN_CHECK_PARSED:
			parsed++;
			break;
		case SCN_CHECK_BAD_MESSAGE:
			rejected++;
			fprintf(stderr, "fuzz: iteration %ld: %s\n", it, why);
			save_failure(&m, ++failures);
			break;
		case SCN_CHECK_BROKE_MODEL:
			parsed++;
			executed++;
			fprintf(stderr, "fuzz: iteration %ld %s\n", it, why);
			save_failure(&m, ++failures);
			break;
		}
	}
	free(m.b);
	for (int i = 0; i < ninputs; i++)
		free(inputs[i].buf);
	printf("fuzz: seed %" PRIu64 ", %ld inputs: %ld parsed (%ld executed), %ld rejected, "
	       "%d failures\n", seed, iters, parsed, executed, rejected, failures);
	return failures ? 1 : 0;
}
