#include "csv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "xalloc.h"

void csv_reader_init(struct csv_reader *r, const char *text, size_t len)
{
	r->pos = text;
	r->end = text + len;
	r->line = 1;
	r->line_start = text;
	r->delimiter = ',';
	if (len >= 3 && !memcmp(text, "\xef\xbb\xbf", 3))
		r->pos += 3;
}

static int is_break(char c)
{
	return c == '\n' || c == '\r';
}

/* Steps over one line break (CRLF, LF or CR) at *p, counting it. */
static void skip_break(struct csv_reader *r, const char **p)
{
	if (**p == '\r' && *p + 1 < r->end && (*p)[1] == '\n')
		(*p)++;
	(*p)++;
	r->line++;
	r->line_start = *p;
}

/* Notes the control character at p for the field being read, unless one
 * was noted already. */
static void note_control(struct csv_reader *r, struct csv_record *rec, const char *p)
{
	const char *q;
	int col = 1;

	if (rec->pending.c >= 0)
		return;
	for (q = r->line_start; q < p; q++)
		col += ((unsigned char)*q & 0xc0) != 0x80;
	rec->pending.c = (unsigned char)*p;
	rec->pending.line = r->line;
	rec->pending.col = col;
}

static int is_control(char c)
{
	return (unsigned char)c < 0x20 && c != '\t';
}

static void record_error(struct csv_record *rec, size_t field, const char *what)
{
	if (!rec->error[0])
		snprintf(rec->error, sizeof(rec->error), "field %zu: %s", field + 1, what);
}

/* Appends s[0..len) to the current field, noting a NUL byte. */
static void add_span(struct csv_record *rec, const char *s, size_t len)
{
	if (memchr(s, '\0', len))
		record_error(rec, rec->count, "a NUL byte");
	buf_add(&rec->text, s, len);
}

static void end_field(struct csv_record *rec, size_t start)
{
	if (rec->count == CSV_MAX_FIELDS) {
		/* read past, not kept: what follows is bounded whatever the input */
		if (!rec->error[0])
			snprintf(rec->error, sizeof(rec->error),
				 "field %d: a record holds at most %d fields", CSV_MAX_FIELDS + 1,
				 CSV_MAX_FIELDS);
		buf_truncate(&rec->text, start);
		return;
	}
	buf_addc(&rec->text, '\0');
	if (rec->count + 1 > rec->cap) {
		XGROW(rec->offsets, rec->cap, rec->count + 1);
		rec->controls = xrealloc(rec->controls, rec->cap * sizeof(*rec->controls));
	}
	rec->controls[rec->count] = rec->pending;
	rec->pending.c = -1;
	rec->offsets[rec->count++] = start;
}

/* A quoted field from just after its opening quote; p ends after the
 * closing quote.  Returns -1 when the text ends first. */
static int read_quoted(struct csv_reader *r, struct csv_record *rec, const char **pp)
{
	const char *p = *pp, *span = p;
	int open_line = r->line;

	for (;;) {
		if (p >= r->end) {
			*pp = p;
			snprintf(rec->error, sizeof(rec->error),
				 "field %zu: the quote opened on line %d is never closed", rec->count + 1,
				 open_line);
			return error_set("%s", rec->error);
		}
		if (*p == '"') {
			add_span(rec, span, (size_t)(p - span));
			if (p + 1 < r->end && p[1] == '"') {
				buf_addc(&rec->text, '"');
				p += 2;
				span = p;
				continue;
			}
			*pp = p + 1;
			return 0;
		}
		if (is_break(*p)) {
			/* kept as written: CRLF stays CRLF; a lone CR is a control */
			if (*p == '\r' && p + 1 < r->end && p[1] == '\n')
				p++;
			else if (*p == '\r')
				note_control(r, rec, p);
			r->line++;
			r->line_start = p + 1;
		} else if (is_control(*p)) {
			note_control(r, rec, p);
		}
		p++;
	}
}

int csv_read(struct csv_reader *r, struct csv_record *rec)
{
	const char *p = r->pos, *span;
	size_t start, i;

	buf_reset(&rec->text);
	rec->count = 0;
	rec->error[0] = '\0';
	rec->pending.c = -1;
	while (p < r->end && is_break(*p))
		skip_break(r, &p);
	if (p >= r->end) {
		r->pos = p;
		return 0;
	}
	rec->line = r->line;
	for (;;) {
		start = rec->text.len;
		if (p < r->end && *p == '"') {
			p++;
			if (read_quoted(r, rec, &p) < 0) {
				r->pos = r->end;
				return -1;
			}
			if (p < r->end && *p != r->delimiter && !is_break(*p)) {
				record_error(rec, rec->count, "text after the closing quote");
				for (span = p; p < r->end && *p != r->delimiter && !is_break(*p); p++) {
					if (is_control(*p))
						note_control(r, rec, p);
				}
				add_span(rec, span, (size_t)(p - span));
			}
		} else {
			for (span = p; p < r->end && *p != r->delimiter && !is_break(*p); p++) {
				if (is_control(*p))
					note_control(r, rec, p);
			}
			add_span(rec, span, (size_t)(p - span));
		}
		end_field(rec, start);
		if (p < r->end && *p == r->delimiter) {
			p++;
			continue;
		}
		if (p < r->end)
			skip_break(r, &p);
		break;
	}
	r->pos = p;
	rec->fields = xrealloc(rec->fields, rec->count * sizeof(*rec->fields));
	for (i = 0; i < rec->count; i++)
		rec->fields[i] = rec->text.ptr + rec->offsets[i];
	return 1;
}

void csv_record_release(struct csv_record *rec)
{
	free(rec->fields);
	free(rec->offsets);
	free(rec->controls);
	buf_release(&rec->text);
	rec->fields = NULL;
	rec->offsets = NULL;
	rec->controls = NULL;
	rec->count = rec->cap = 0;
	rec->error[0] = '\0';
}

/* Digits in two or three groups separated by '.' or '/' (a trailing '.'
 * allowed): what spreadsheets in some locale read as a date ("5.1.1" is
 * 5 January 2001 in German). */
static int date_like(const char *s)
{
	int groups = 0, digits;

	for (;;) {
		for (digits = 0; *s >= '0' && *s <= '9'; s++)
			digits++;
		if (!digits || digits > 4)
			return 0;
		groups++;
		if (!*s || (s[0] == '.' && !s[1]))
			return groups >= 2;
		if ((*s != '.' && *s != '/') || groups == 3)
			return 0;
		s++;
	}
}

static void add_field(struct buf *b, const char *s, char delimiter, int neutralise)
{
	size_t len = strlen(s);
	const char *q;
	int formula = neutralise && len &&
		      (strchr("=+-@\t\r", s[0]) || (delimiter == ';' && date_like(s)));

	if (!len || (!strpbrk(s, "\"\r\n") && !strchr(s, delimiter) && s[0] != ' ' &&
		     s[len - 1] != ' ')) {
		if (formula)
			buf_addc(b, '\'');
		buf_add(b, s, len);
		return;
	}
	buf_addc(b, '"');
	if (formula)
		buf_addc(b, '\'');
	while ((q = strchr(s, '"'))) {
		buf_add(b, s, (size_t)(q - s + 1));
		buf_addc(b, '"');
		s = q + 1;
	}
	buf_adds(b, s);
	buf_addc(b, '"');
}

char csv_detect_delimiter(const char *text, size_t len)
{
	static const char candidates[] = { ',', ';', '\t' };
	size_t count[3] = { 0, 0, 0 }, i, k, best = 0;
	int quoted = 0;

	for (i = 0; i < len && (quoted || !is_break(text[i])); i++) {
		if (text[i] == '"')
			quoted = !quoted;
		for (k = 0; !quoted && k < 3; k++)
			count[k] += text[i] == candidates[k];
	}
	for (k = 1; k < 3; k++) {
		if (count[k] > count[best])
			best = k;
	}
	return candidates[best];
}

void csv_add_field(struct buf *b, const char *s)
{
	add_field(b, s, ',', 0);
}

void csv_add_cell(struct buf *b, const char *s, char delimiter)
{
	add_field(b, s, delimiter, 1);
}
