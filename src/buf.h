/*
 * A growable byte buffer, always NUL-terminated and never NULL: an empty
 * buffer points at a shared empty string.  Used to build HTML, MIME, SQL
 * text and file contents.
 *
 *   struct buf b = BUF_INIT;
 *   buf_addf(&b, "%d sent", n);
 *   use(b.ptr, b.len);
 *   buf_release(&b);            (or: char *s = buf_detach(&b); ... free(s);)
 *
 * A buffer never grows past BUF_MAX bytes: that is a programming error
 * (inputs are capped long before) and aborts.
 */
#ifndef MAILOUT_BUF_H
#define MAILOUT_BUF_H

#include <stdarg.h>
#include <stddef.h>

#define BUF_MAX ((size_t)1 << 31)

struct buf {
	char *ptr;
	size_t len;
	size_t cap; /* 0 while ptr is the shared empty string */
};

extern char buf_empty[];
#define BUF_INIT { buf_empty, 0, 0 }

void buf_init(struct buf *b, size_t hint);
/* Frees the contents; the buffer is empty and usable again. */
void buf_release(struct buf *b);
/* Hands the string to the caller (free() it); the buffer is empty again. */
char *buf_detach(struct buf *b, size_t *len_out);
void buf_grow(struct buf *b, size_t extra);
void buf_reset(struct buf *b);
void buf_truncate(struct buf *b, size_t len);

void buf_add(struct buf *b, const void *data, size_t len);
void buf_adds(struct buf *b, const char *s);
void buf_addc(struct buf *b, char c);
void buf_addf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void buf_vaddf(struct buf *b, const char *fmt, va_list ap);

/* Escaping at the point of output. */
/* Text and attributes; control characters other than tab, line feed and
 * carriage return become U+FFFD. */
void buf_add_html(struct buf *b, const char *s, size_t len);
void buf_add_json_string(struct buf *b, const char *s); /* with quotes; safe in <script> */
/* For a terminal or a log: tab, line feed and carriage return as \t, \n,
 * \r; other C0 controls, DEL, C1 controls and bytes that are not UTF-8 as
 * \xNN (each byte); UTF-8 text as it is. */
void buf_add_visible(struct buf *b, const char *s, size_t len);
/* As buf_addf, but each string argument (%s) made visible so; the
 * format's own text as it is.  Width and precision count bytes. */
void buf_addf_visible(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void buf_vaddf_visible(struct buf *b, const char *fmt, va_list ap);

/* Reads a whole file, refusing files larger than max bytes (-1 with errno);
 * buf_read_fd() reads what is left of an open descriptor (not closed). */
int buf_read_file(struct buf *b, const char *path, size_t max);
int buf_read_fd(struct buf *b, int fd, size_t max);
/* The same when the file's size is known (a stat the caller made): it
 * sizes the buffer, refuses early, and ends without a last read of 0 bytes
 * when a read brings the whole size and less than it asked for; the read
 * still stops at max. */
int buf_read_fd_sized(struct buf *b, int fd, size_t max, size_t size);

#endif
