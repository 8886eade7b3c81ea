#include "diag.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "xalloc.h"

void diag_vadd(struct diag_list *l, enum diag_severity sev, const char *path,
	       int line, int col, const char *fmt, va_list ap)
{
	struct buf msg = BUF_INIT;
	struct diag *d;

	buf_vaddf(&msg, fmt, ap);
	XGROW(l->items, l->cap, l->count + 1);
	d = &l->items[l->count++];
	d->path = xstrdup(path ? path : "");
	d->line = line;
	d->col = col;
	d->severity = sev;
	d->message = buf_detach(&msg, NULL);
	d->changed = 0;
	if (sev == DIAG_ERROR)
		l->errors++;
	else
		l->warnings++;
}

void diag_add(struct diag_list *l, enum diag_severity sev, const char *path,
	      int line, int col, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	diag_vadd(l, sev, path, line, col, fmt, ap);
	va_end(ap);
}

void diag_move(struct diag_list *l, struct diag_list *from, size_t begin, size_t end)
{
	size_t i;

	XGROW(l->items, l->cap, l->count + (end - begin));
	for (i = begin; i < end; i++) {
		struct diag *d = &from->items[i];

		l->items[l->count++] = *d;
		if (d->severity == DIAG_ERROR)
			l->errors++;
		else
			l->warnings++;
		d->path = d->message = NULL;
	}
}

static int diag_cmp(const void *a, const void *b)
{
	const struct diag *x = a, *y = b;
	int c = strcmp(x->path, y->path);

	if (c)
		return c;
	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	if (x->col != y->col)
		return x->col < y->col ? -1 : 1;
	if (x->severity != y->severity)
		return x->severity == DIAG_ERROR ? -1 : 1;
	return strcmp(x->message, y->message);
}

void diag_sort(struct diag_list *l)
{
	size_t i, n = 0;

	if (l->count > 1)
		qsort(l->items, l->count, sizeof(*l->items), diag_cmp);
	for (i = 0; i < l->count; i++) {
		if (n && !diag_cmp(&l->items[n - 1], &l->items[i])) {
			if (l->items[i].severity == DIAG_ERROR)
				l->errors--;
			else
				l->warnings--;
			free(l->items[i].path);
			free(l->items[i].message);
			continue;
		}
		l->items[n++] = l->items[i];
	}
	l->count = n;
}

/* Paths and messages quote content: its control characters made visible. */
void diag_print(FILE *out, const struct diag_list *l)
{
	struct buf line = BUF_INIT;
	size_t i;

	for (i = 0; i < l->count; i++) {
		const struct diag *d = &l->items[i];
		const char *sev = d->severity == DIAG_ERROR ? "error" : "warning";

		buf_reset(&line);
		buf_add_visible(&line, d->path, strlen(d->path));
		if (d->line)
			buf_addf(&line, ":%d:%d", d->line, d->col);
		buf_addf(&line, ": %s: ", sev);
		buf_add_visible(&line, d->message, strlen(d->message));
		buf_addc(&line, '\n');
		fwrite(line.ptr, 1, line.len, out);
	}
	buf_release(&line);
}

void diag_release(struct diag_list *l)
{
	size_t i;

	for (i = 0; i < l->count; i++) {
		free(l->items[i].path);
		free(l->items[i].message);
	}
	free(l->items);
	memset(l, 0, sizeof(*l));
}

/* per thread: mailout serve delivers from a thread of its own */
static _Thread_local char *last_error;

int error_set(const char *fmt, ...)
{
	struct buf b = BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	buf_vaddf(&b, fmt, ap);
	va_end(ap);
	free(last_error);
	last_error = buf_detach(&b, NULL);
	return -1;
}

const char *error_last(void)
{
	return last_error ? last_error : "unknown error";
}

void error_clear(void)
{
	free(last_error);
	last_error = NULL;
}
