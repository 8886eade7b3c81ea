#include "buf.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "xalloc.h"

char buf_empty[1];

void buf_init(struct buf *b, size_t hint)
{
	b->ptr = buf_empty;
	b->len = 0;
	b->cap = 0;
	if (hint)
		buf_grow(b, hint);
}

void buf_release(struct buf *b)
{
	if (b->cap)
		free(b->ptr);
	buf_init(b, 0);
}

char *buf_detach(struct buf *b, size_t *len_out)
{
	char *s;

	if (len_out)
		*len_out = b->len;
	s = b->cap ? b->ptr : xstrdup("");
	buf_init(b, 0);
	return s;
}

void buf_grow(struct buf *b, size_t extra)
{
	size_t need, cap;

	if (extra >= BUF_MAX || b->len + extra >= BUF_MAX) {
		fprintf(stderr, "mailout: buffer over %zu bytes\n", BUF_MAX);
		abort();
	}
	need = b->len + extra + 1;
	if (need <= b->cap)
		return;
	cap = b->cap ? b->cap : 64;
	while (cap < need)
		cap *= 2;
	if (b->cap) {
		b->ptr = xrealloc(b->ptr, cap);
	} else {
		b->ptr = xmalloc(cap);
		b->ptr[0] = '\0';
	}
	b->cap = cap;
}

void buf_reset(struct buf *b)
{
	buf_truncate(b, 0);
}

void buf_truncate(struct buf *b, size_t len)
{
	if (len > b->len)
		return;
	b->len = len;
	if (b->cap)
		b->ptr[len] = '\0';
}

void buf_add(struct buf *b, const void *data, size_t len)
{
	if (!len)
		return;
	buf_grow(b, len);
	memcpy(b->ptr + b->len, data, len);
	b->len += len;
	b->ptr[b->len] = '\0';
}

void buf_adds(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

void buf_addc(struct buf *b, char c)
{
	buf_grow(b, 1);
	b->ptr[b->len++] = c;
	b->ptr[b->len] = '\0';
}

void buf_vaddf(struct buf *b, const char *fmt, va_list ap)
{
	va_list cp;
	int n;

	va_copy(cp, ap);
	/* no arithmetic on the pointer of a buffer without storage */
	n = vsnprintf(b->cap ? b->ptr + b->len : NULL, b->cap ? b->cap - b->len : 0, fmt, cp);
	va_end(cp);
	if (n < 0)
		return;
	if (!b->cap || (size_t)n >= b->cap - b->len) {
		buf_grow(b, (size_t)n);
		vsnprintf(b->ptr + b->len, b->cap - b->len, fmt, ap);
	}
	b->len += (size_t)n;
}

void buf_addf(struct buf *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	buf_vaddf(b, fmt, ap);
	va_end(ap);
}

void buf_add_html(struct buf *b, const char *s, size_t len)
{
	size_t i, start = 0;
	const char *rep;

	for (i = 0; i < len; i++) {
		switch (s[i]) {
		case '&': rep = "&amp;"; break;
		case '<': rep = "&lt;"; break;
		case '>': rep = "&gt;"; break;
		case '"': rep = "&quot;"; break;
		case '\'': rep = "&#39;"; break;
		case '\t': case '\n': case '\r': continue;
		default:
			if ((unsigned char)s[i] >= 0x20 && s[i] != 0x7f)
				continue;
			rep = "\xef\xbf\xbd";
		}
		buf_add(b, s + start, i - start);
		buf_adds(b, rep);
		start = i + 1;
	}
	buf_add(b, s + start, len - start);
}

void buf_add_json_string(struct buf *b, const char *s)
{
	const unsigned char *p;

	buf_addc(b, '"');
	for (p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '"': buf_adds(b, "\\\""); break;
		case '\\': buf_adds(b, "\\\\"); break;
		case '\n': buf_adds(b, "\\n"); break;
		case '\r': buf_adds(b, "\\r"); break;
		case '\t': buf_adds(b, "\\t"); break;
		/* <, > and & escaped so the string is safe inside <script> */
		case '<': buf_adds(b, "\\u003c"); break;
		case '>': buf_adds(b, "\\u003e"); break;
		case '&': buf_adds(b, "\\u0026"); break;
		default:
			if (*p < 0x20 || *p == 0x7f)
				buf_addf(b, "\\u%04x", *p);
			else
				buf_addc(b, (char)*p);
		}
	}
	buf_addc(b, '"');
}

/* The length of the UTF-8 sequence at s (at most n bytes), 0 when there is
 * none: no overlong forms, surrogates or code points past U+10FFFF. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	size_t len, i;
	unsigned char lo = 0x80, hi = 0xbf;

	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4;
	else
		return 0;
	if (s[0] == 0xe0)
		lo = 0xa0;
	else if (s[0] == 0xed)
		hi = 0x9f;
	else if (s[0] == 0xf0)
		lo = 0x90;
	else if (s[0] == 0xf4)
		hi = 0x8f;
	if (n < len || s[1] < lo || s[1] > hi)
		return 0;
	for (i = 2; i < len; i++) {
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	}
	return len;
}

void buf_add_visible(struct buf *b, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, n, start = 0;

	while (i < len) {
		if (p[i] >= 0x20 && p[i] < 0x7f) {
			i++;
			continue;
		}
		n = p[i] >= 0x80 ? utf8_len(p + i, len - i) : 0;
		/* C1 controls, U+0080 to U+009F, are escapes for some terminals */
		if (n && !(p[i] == 0xc2 && p[i + 1] < 0xa0)) {
			i += n;
			continue;
		}
		buf_add(b, s + start, i - start);
		if (!n)
			n = 1;
		for (; n; n--, i++) {
			if (p[i] == '\t')
				buf_adds(b, "\\t");
			else if (p[i] == '\n')
				buf_adds(b, "\\n");
			else if (p[i] == '\r')
				buf_adds(b, "\\r");
			else
				buf_addf(b, "\\x%02x", p[i]);
		}
		start = i;
	}
	buf_add(b, s + start, len - start);
}

/* A number of printf's width or precision: digits, or '*' from ap. */
static int format_number(const char **p, va_list *ap)
{
	int n = 0;

	if (**p == '*') {
		(*p)++;
		return va_arg(*ap, int);
	}
	for (; **p >= '0' && **p <= '9'; (*p)++) {
		if (n < 100000)
			n = n * 10 + (**p - '0');
	}
	return n;
}

void buf_vaddf_visible(struct buf *out, const char *fmt, va_list ap)
{
	struct buf value = BUF_INIT, spec = BUF_INIT;
	const char *p, *flags, *len, *s;
	size_t nflags, n;
	int width, prec;
	va_list aq;

	va_copy(aq, ap);
	for (p = fmt; *p; p++) {
		if (*p != '%' || p[1] == '%') {
			buf_addc(out, *p);
			p += *p == '%';
			continue;
		}
		flags = ++p;
		while (*p && strchr("-+ #0", *p))
			p++;
		nflags = (size_t)(p - flags);
		width = format_number(&p, &aq);
		prec = -1;
		if (*p == '.') {
			p++;
			prec = format_number(&p, &aq);
		}
		for (len = p; *p == 'l' || *p == 'h' || *p == 'z' || *p == 'j' || *p == 't'; p++)
			;
		if (!*p)
			break;
		buf_reset(&spec);
		buf_addc(&spec, '%');
		buf_add(&spec, flags, nflags);
		buf_addf(&spec, "%d", width);
		if (prec >= 0)
			buf_addf(&spec, ".%d", prec);
		buf_add(&spec, len, (size_t)(p - len + 1));
		switch (*p) {
		case 's':
			s = va_arg(aq, const char *);
			if (!s)
				s = "(null)";
			n = strlen(s);
			if (prec >= 0 && (size_t)prec < n)
				n = (size_t)prec;
			buf_reset(&value);
			buf_add_visible(&value, s, n);
			buf_addf(out, memchr(flags, '-', nflags) ? "%-*s" : "%*s", width, value.ptr);
			break;
		case 'c':
			buf_addf(out, spec.ptr, va_arg(aq, int));
			break;
		case 'd': case 'i': case 'u': case 'x': case 'X': case 'o':
			if (*len == 'z' || *len == 'j' || *len == 't')
				buf_addf(out, spec.ptr, va_arg(aq, size_t));
			else if (*len == 'l' && len[1] == 'l')
				buf_addf(out, spec.ptr, va_arg(aq, long long));
			else if (*len == 'l')
				buf_addf(out, spec.ptr, va_arg(aq, long));
			else
				buf_addf(out, spec.ptr, va_arg(aq, int));
			break;
		case 'f': case 'g': case 'e':
			buf_addf(out, spec.ptr, va_arg(aq, double));
			break;
		case 'p':
			buf_addf(out, spec.ptr, va_arg(aq, void *));
			break;
		default:
			buf_add(out, flags - 1, (size_t)(p - flags + 2));
		}
	}
	va_end(aq);
	buf_release(&spec);
	buf_release(&value);
}

void buf_addf_visible(struct buf *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	buf_vaddf_visible(b, fmt, ap);
	va_end(ap);
}

int buf_read_fd(struct buf *b, int fd, size_t max)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return -1;
	return buf_read_fd_sized(b, fd, max, (size_t)st.st_size);
}

int buf_read_fd_sized(struct buf *b, int fd, size_t max, size_t size)
{
	size_t start = b->len, want;
	ssize_t n;

	if (size > max) {
		errno = EFBIG;
		return -1;
	}
	buf_grow(b, size);
	for (;;) {
		buf_grow(b, 4096);
		want = b->cap - b->len - 1;
		n = read(fd, b->ptr + b->len, want);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		b->len += (size_t)n;
		b->ptr[b->len] = '\0';
		if (b->len > max) {
			errno = EFBIG;
			return -1;
		}
		/* all the stat said, and less than asked for: the end (a file
		 * that grew since is read as it was; one that shrank reads 0) */
		if (n == 0 || (size && b->len - start == size && (size_t)n < want))
			return 0;
	}
}

int buf_read_file(struct buf *b, const char *path, size_t max)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), ret, e;

	if (fd < 0)
		return -1;
	ret = buf_read_fd(b, fd, max);
	e = errno;
	close(fd);
	errno = e;
	return ret;
}
