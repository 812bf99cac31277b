/* SPDX-License-Identifier: MIT */
/*
 * scn_lex.c - the scenario language's lexer and its memory arena.
 *
 * Input is untrusted: a scenario file may be truncated, binary, enormous or
 * deliberately hostile.  The lexer therefore works in two passes.  First
 * scn_lex_validate() checks the whole buffer (size, NUL bytes, strict UTF-8,
 * control characters, line length) so that every later stage may assume a
 * well-formed text of bounded lines.  Then scn_lex_line() turns one line at
 * a time into tokens: words, numbers (decimal or hex, with K/M/G/T binary
 * suffixes, overflow-checked), double-quoted strings with C-like escapes,
 * and the punctuation + - = == != < <= > >=.  '#' starts a comment.
 *
 * Columns are counted in characters (UTF-8 code points), starting at 1, so
 * an editor's column matches the error message.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include "scn.h"

/* --- arena -------------------------------------------------------------------- */

struct scn_chunk {
	struct scn_chunk *next;
	size_t used;
	size_t size;
	max_align_t data[];
};

struct scn_arena {
	struct scn_chunk *head;
};

static void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (!p) {
		fputs("pinmm: out of memory\n", stderr);
		exit(2);
	}
	return p;
}

/* An empty arena; pair with scn_arena_free(). */
struct scn_arena *scn_arena_new(void)
{
	return xcalloc(1, sizeof(struct scn_arena));
}

/* Free the arena and everything allocated from it. */
void scn_arena_free(struct scn_arena *a)
{
	struct scn_chunk *c, *next;

	if (!a)
		return;
	for (c = a->head; c; c = next) {
		next = c->next;
		free(c);
	}
	free(a);
}

/*
 * Allocate @n zeroed bytes, 16-byte aligned, that live as long as the arena.
 * Host out-of-memory is not recoverable for the command line tool: it exits
 * with status 2.
 */
void *scn_arena_alloc(struct scn_arena *a, size_t n)
{
	struct scn_chunk *c = a->head;
	size_t need = ALIGN(n ? n : 1, (size_t)16);
	void *p;

	if (!c || c->size - c->used < need) {
		size_t size = need > 65536 ? need : 65536;

		c = xcalloc(1, sizeof(*c) + size);
		c->size = size;
		c->next = a->head;
		a->head = c;
	}
	p = (char *)c->data + c->used;
	c->used += need;
	return p;
}

/* Copy @n bytes of @s and add a terminating NUL. */
char *scn_arena_strndup(struct scn_arena *a, const char *s, size_t n)
{
	char *p = scn_arena_alloc(a, n + 1);

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

/* --- error formatting ----------------------------------------------------------- */

/* Number of characters in the first @n bytes of valid UTF-8 @s. */
static unsigned int utf8_chars(const char *s, size_t n)
{
	unsigned int chars = 0;

	for (size_t i = 0; i < n; i++)
		if (((unsigned char)s[i] & 0xc0) != 0x80)
			chars++;
	return chars;
}

/*
 * Format the first error of a parse.  With @line (the validated source
 * line) it adds the line and a caret under @pos->col, as compilers do.
 */
void scn_format_error(char *err, size_t errlen, const struct scn_pos *pos,
		      const char *line, size_t line_len, const char *fmt, va_list ap)
{
	size_t n;
	int k;

	if (!err || !errlen)
		return;
	k = snprintf(err, errlen, "%s:%u:%u: error: ", pos->file, pos->line, pos->col);
	n = k < 0 ? 0 : (size_t)k;
	if (n >= errlen)
		return;
	k = vsnprintf(err + n, errlen - n, fmt, ap);
	n += k < 0 ? 0 : (size_t)k;
	if (!line || n >= errlen)
		return;
	while (line_len && (line[line_len - 1] == '\r' || line[line_len - 1] == '\n'))
		line_len--;
	k = snprintf(err + n, errlen - n, "\n  %.*s\n  ", (int)line_len, line);
	n += k < 0 ? 0 : (size_t)k;
	/* Reproduce tabs so the caret lines up in a terminal. */
	for (size_t i = 0, col = 1; i < line_len && col < pos->col && n + 2 < errlen; i++) {
		if (((unsigned char)line[i] & 0xc0) == 0x80)
			continue;
		err[n++] = line[i] == '\t' ? '\t' : ' ';
		col++;
	}
	if (n + 2 < errlen) {
		err[n++] = '^';
		err[n] = '\0';
	}
}

static int lex_error(struct scn_lexer *lx, unsigned int line, unsigned int col,
		     bool show_line, const char *fmt, ...) __printf(5, 6);

static int lex_error(struct scn_lexer *lx, unsigned int line, unsigned int col,
		     bool show_line, const char *fmt, ...)
{
	struct scn_pos pos = { lx->name, line, col };
	va_list ap;

	va_start(ap, fmt);
	scn_format_error(lx->err, lx->errlen, &pos, show_line ? lx->line_text : NULL,
			 lx->line_len, fmt, ap);
	va_end(ap);
	return -1;
}

/* --- validation --------------------------------------------------------------------- */

/* Length of the UTF-8 sequence at @s (at most @n bytes), or 0 if invalid. */
size_t scn_utf8_seq(const unsigned char *s, size_t n)
{
	unsigned char c = s[0];
	size_t len, i;
	unsigned char lo = 0x80, hi = 0xbf;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		len = 2;
	else if (c >= 0xe0 && c <= 0xef)
		len = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		len = 4;
	else
		return 0;
	/* Reject overlong forms, surrogates and code points past U+10FFFF. */
	if (c == 0xe0)
		lo = 0xa0;
	else if (c == 0xed)
		hi = 0x9f;
	else if (c == 0xf0)
		lo = 0x90;
	else if (c == 0xf4)
		hi = 0x8f;
	if (n < len)
		return 0;
	if (s[1] < lo || s[1] > hi)
		return 0;
	for (i = 2; i < len; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	return len;
}

/*
 * Validate the whole input.  Accepts an optional UTF-8 byte-order mark and
 * CRLF line ends; rejects everything a text scenario cannot contain.
 */
int scn_lex_validate(struct scn_lexer *lx)
{
	const unsigned char *s = (const unsigned char *)lx->buf;
	size_t i = 0, line_start = 0;
	unsigned int line = 1, col = 1;

	lx->line_text = NULL;
	if (lx->len > SCN_MAX_FILE)
		return lex_error(lx, 1, 1, false, "file too large (%zu bytes; the limit is %u)",
				 lx->len, SCN_MAX_FILE);
	if (lx->len >= 3 && s[0] == 0xef && s[1] == 0xbb && s[2] == 0xbf) {
		i = 3;
		lx->off = 3;
		line_start = 3;
	}
	while (i < lx->len) {
		unsigned char c = s[i];
		size_t n;

		if (c == '\n') {
			line++;
			col = 1;
			line_start = ++i;
			continue;
		}
		if (i - line_start >= SCN_MAX_LINE)
			return lex_error(lx, line, col, false,
					 "line too long (more than %d bytes)", SCN_MAX_LINE);
		if (c == '\0')
			return lex_error(lx, line, col, false, "NUL byte in input (not a text file?)");
		if (c == '\r') {
			if (i + 1 < lx->len && s[i + 1] == '\n') {
				i++;
				continue;
			}
			return lex_error(lx, line, col, false,
					 "carriage return not followed by a line feed");
		}
		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return lex_error(lx, line, col, false,
					 "control character 0x%02x in input", c);
		n = scn_utf8_seq(s + i, lx->len - i);
		if (!n)
			return lex_error(lx, line, col, false,
					 "invalid UTF-8 (byte 0x%02x)", c);
		i += n;
		col++;
	}
	return 0;
}

/* --- tokens ---------------------------------------------------------------------------- */

static bool is_word_start(int c) { return isalpha(c) || c == '_'; }
static bool is_word_char(int c) { return isalnum(c) || c == '_' || c == '.' || c == '-'; }

/* Describe a token for "expected X, found Y" messages. */
void scn_describe_token(const struct scn_token *t, char *buf, size_t size)
{
	switch (t->kind) {
	case SCN_TK_EOL:
		snprintf(buf, size, "end of line");
		break;
	case SCN_TK_WORD:
		snprintf(buf, size, "'%.*s'", (int)min_t(size_t, t->tlen, 40), t->text);
		break;
	case SCN_TK_NUMBER:
		snprintf(buf, size, "number %.*s", (int)min_t(size_t, t->tlen, 40), t->text);
		break;
	case SCN_TK_STRING:
		snprintf(buf, size, "a string");
		break;
	default:
		snprintf(buf, size, "'%.*s'", (int)t->tlen, t->text);
		break;
	}
}

static int lex_number(struct scn_lexer *lx, const char *s, size_t n, size_t *i,
		      struct scn_token *t)
{
	size_t start = *i, p = *i;
	uint64_t v = 0;
	unsigned int shift = 0;
	bool hex = false;

	if (s[p] == '0' && p + 1 < n && (s[p + 1] == 'x' || s[p + 1] == 'X')) {
		hex = true;
		p += 2;
		if (p >= n || !isxdigit((unsigned char)s[p]))
			return lex_error(lx, lx->line, t->pos.col, true,
					 "expected hexadecimal digits after '0x'");
	}
	for (; p < n; p++) {
		int c = (unsigned char)s[p], d;

		if (hex && isxdigit(c))
			d = isdigit(c) ? c - '0' : tolower(c) - 'a' + 10;
		else if (!hex && isdigit(c))
			d = c - '0';
		else
			break;
		if (hex ? v > (UINT64_MAX >> 4) : v > (UINT64_MAX - (uint64_t)d) / 10)
			return lex_error(lx, lx->line, t->pos.col, true,
					 "number too large (does not fit in 64 bits)");
		v = hex ? (v << 4) | (uint64_t)d : v * 10 + (uint64_t)d;
	}
	if (p < n) {
		switch (s[p]) {
		case 'K': case 'k': shift = 10; break;
		case 'M': case 'm': shift = 20; break;
		case 'G': case 'g': shift = 30; break;
		case 'T': case 't': shift = 40; break;
		}
		if (shift) {
			p++;
			if (v > (UINT64_MAX >> shift))
				return lex_error(lx, lx->line, t->pos.col, true,
						 "number too large (does not fit in 64 bits)");
			v <<= shift;
		}
	}
	if (p < n && s[p] != '-' && is_word_char((unsigned char)s[p])) {
		size_t e = p;

		while (e < n && is_word_char((unsigned char)s[e]))
			e++;
		if (shift || isalpha((unsigned char)s[p]))
			return lex_error(lx, lx->line, t->pos.col, true,
					 "invalid number '%.*s' (sizes take one suffix: K, M, G or T)",
					 (int)min_t(size_t, e - start, 40), s + start);
		return lex_error(lx, lx->line, t->pos.col, true, "invalid number '%.*s'",
				 (int)min_t(size_t, e - start, 40), s + start);
	}
	t->kind = SCN_TK_NUMBER;
	t->num = v;
	*i = p;
	return 0;
}

static int hexval(int c)
{
	if (isdigit(c))
		return c - '0';
	if (isxdigit(c))
		return tolower(c) - 'a' + 10;
	return -1;
}

static int lex_string(struct scn_lexer *lx, const char *s, size_t n, size_t *i,
		      struct scn_token *t)
{
	unsigned char *out = scn_arena_alloc(lx->arena, n - *i + 1);
	size_t p = *i + 1, o = 0;

	while (p < n && s[p] != '"') {
		unsigned char c = (unsigned char)s[p];
		int h, l;

		if (c != '\\') {
			out[o++] = c;
			p++;
			continue;
		}
		if (p + 1 >= n)
			break;		/* unterminated, reported below */
		switch (s[p + 1]) {
		case 'n': out[o++] = '\n'; p += 2; break;
		case 't': out[o++] = '\t'; p += 2; break;
		case 'r': out[o++] = '\r'; p += 2; break;
		case '0': out[o++] = '\0'; p += 2; break;
		case '\\': out[o++] = '\\'; p += 2; break;
		case '"': out[o++] = '"'; p += 2; break;
		case 'x':
			h = p + 2 < n ? hexval((unsigned char)s[p + 2]) : -1;
			l = p + 3 < n ? hexval((unsigned char)s[p + 3]) : -1;
			if (h < 0 || l < 0)
				return lex_error(lx, lx->line,
						 t->pos.col + utf8_chars(s + *i, p - *i), true,
						 "expected two hexadecimal digits after '\\x'");
			out[o++] = (unsigned char)(h << 4 | l);
			p += 4;
			break;
		default:
			return lex_error(lx, lx->line, t->pos.col + utf8_chars(s + *i, p - *i), true,
					 "unknown escape sequence (use \\n \\t \\r \\0 \\\\ \\\" or \\xHH)");
		}
	}
	if (p >= n)
		return lex_error(lx, lx->line, t->pos.col, true,
				 "unterminated string (missing closing '\"')");
	p++;
	if (p < n && s[p] != ' ' && s[p] != '\t' && s[p] != '#')
		return lex_error(lx, lx->line, t->pos.col + utf8_chars(s + *i, p - *i), true,
				 "expected a space after the closing '\"'");
	out[o] = '\0';
	t->kind = SCN_TK_STRING;
	t->str = out;
	t->slen = o;
	*i = p;
	return 0;
}

static int lex_punct(struct scn_lexer *lx, const char *s, size_t n, size_t *i,
		     struct scn_token *t)
{
	char c = s[*i], d = *i + 1 < n ? s[*i + 1] : '\0';
	size_t len = 1;

	switch (c) {
	case '+': t->kind = SCN_TK_PLUS; break;
	case '-': t->kind = SCN_TK_MINUS; break;
	case '=':
		if (d == '=') {
			t->kind = SCN_TK_OP;
			t->op = SCN_OP_EQ;
			len = 2;
		} else {
			t->kind = SCN_TK_ASSIGN;
		}
		break;
	case '!':
		if (d != '=')
			return lex_error(lx, lx->line, t->pos.col, true,
					 "unexpected '!' (did you mean '!='?)");
		t->kind = SCN_TK_OP;
		t->op = SCN_OP_NE;
		len = 2;
		break;
	case '<':
	case '>':
		t->kind = SCN_TK_OP;
		t->op = c == '<' ? (d == '=' ? SCN_OP_LE : SCN_OP_LT) :
				   (d == '=' ? SCN_OP_GE : SCN_OP_GT);
		len = d == '=' ? 2 : 1;
		break;
	default: {
		unsigned char u = (unsigned char)c;
		size_t cl = u < 0x80 ? 1 : scn_utf8_seq((const unsigned char *)s + *i, n - *i);

		if (u < 0x80 && isprint(u))
			return lex_error(lx, lx->line, t->pos.col, true,
					 "unexpected character '%c'", c);
		return lex_error(lx, lx->line, t->pos.col, true,
				 "unexpected character '%.*s' (non-ASCII text belongs in a \"string\" or a # comment)",
				 (int)(cl ? cl : 1), s + *i);
	}
	}
	*i += len;
	return 0;
}

/*
 * Tokenise the next line.  The buffer has passed scn_lex_validate(), so
 * lines are bounded and valid UTF-8.
 */
int scn_lex_line(struct scn_lexer *lx, struct scn_token *toks, unsigned int max)
{
	const char *s, *nl;
	size_t n, i = 0;
	unsigned int nt = 0;

	if (lx->off >= lx->len)
		return 0;
	s = lx->buf + lx->off;
	nl = memchr(s, '\n', lx->len - lx->off);
	n = nl ? (size_t)(nl - s) : lx->len - lx->off;
	lx->off += n + (nl ? 1 : 0);
	if (n && s[n - 1] == '\r')
		n--;
	lx->line++;
	lx->line_text = s;
	lx->line_len = n;

	for (;;) {
		struct scn_token *t = &toks[nt];
		int c;

		while (i < n && (s[i] == ' ' || s[i] == '\t'))
			i++;
		if (nt + 1 >= max)
			return lex_error(lx, lx->line, utf8_chars(s, i) + 1, true, "too many words on one line");
		memset(t, 0, sizeof(*t));
		t->pos = (struct scn_pos){ lx->name, lx->line, utf8_chars(s, i) + 1 };
		t->text = s + i;
		if (i >= n || s[i] == '#') {
			t->kind = SCN_TK_EOL;
			return (int)nt + 1;
		}
		c = (unsigned char)s[i];
		if (is_word_start(c)) {
			size_t e = i;

			while (e < n && is_word_char((unsigned char)s[e]))
				e++;
			t->kind = SCN_TK_WORD;
			t->str = (const unsigned char *)scn_arena_strndup(lx->arena, s + i, e - i);
			t->slen = e - i;
			i = e;
		} else if (isdigit(c)) {
			if (lex_number(lx, s, n, &i, t))
				return -1;
		} else if (c == '"') {
			if (lex_string(lx, s, n, &i, t))
				return -1;
		} else if (lex_punct(lx, s, n, &i, t)) {
			return -1;
		}
		t->tlen = (size_t)(s + i - t->text);
		nt++;
	}
}
