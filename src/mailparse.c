#include "mailparse.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "xalloc.h"

static int is_space(int c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static char lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

static char *lower_dup(const char *s, size_t n)
{
	char *d = xstrndup(s, n);
	size_t i;

	for (i = 0; d[i]; i++)
		d[i] = lower(d[i]);
	return d;
}

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* s[0..*n) without leading and trailing whitespace. */
static const char *trim(const char *s, size_t *n)
{
	while (*n && is_space((unsigned char)*s)) {
		s++;
		(*n)--;
	}
	while (*n && is_space((unsigned char)s[*n - 1]))
		(*n)--;
	return s;
}

/* ---- transfer encodings and charsets ---- */

void mail_decode_qp(struct buf *out, const char *s, size_t len)
{
	size_t i = 0, j;
	int h, l;

	while (i < len) {
		if (s[i] != '=') {
			buf_addc(out, s[i++]);
			continue;
		}
		/* a soft line break: '=', optional whitespace, the line end */
		for (j = i + 1; j < len && (s[j] == ' ' || s[j] == '\t'); j++)
			;
		if (j == len) {
			i = len;
			continue;
		}
		if (s[j] == '\n') {
			i = j + 1;
			continue;
		}
		if (s[j] == '\r' && j + 1 < len && s[j + 1] == '\n') {
			i = j + 2;
			continue;
		}
		if (i + 2 < len && (h = hex_value(s[i + 1])) >= 0 && (l = hex_value(s[i + 2])) >= 0) {
			buf_addc(out, (char)(h << 4 | l));
			i += 3;
			continue;
		}
		buf_addc(out, s[i++]);
	}
}

static int base64_value(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

void mail_decode_base64(struct buf *out, const char *s, size_t len)
{
	unsigned long acc = 0;
	int bits = 0, v;
	size_t i;

	for (i = 0; i < len; i++) {
		if (s[i] == '=')
			break;
		v = base64_value(s[i]);
		if (v < 0)
			continue;
		acc = (acc << 6 | (unsigned long)v) & 0xffffff;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			buf_addc(out, (char)(acc >> bits & 0xff));
		}
	}
}

/* Single-byte charsets converted to UTF-8; anything else is copied. */
static int latin1_like(const char *charset)
{
	return charset && (!strcasecmp(charset, "iso-8859-1") || !strcasecmp(charset, "latin1") ||
			   !strcasecmp(charset, "iso_8859-1") || !strcasecmp(charset, "l1") ||
			   !strcasecmp(charset, "windows-1252") || !strcasecmp(charset, "cp1252"));
}

static void add_converted(struct buf *out, const char *s, size_t len, const char *charset)
{
	size_t i;

	if (!latin1_like(charset)) {
		buf_add(out, s, len);
		return;
	}
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x80) {
			buf_addc(out, (char)c);
		} else {
			buf_addc(out, (char)(0xc0 | c >> 6));
			buf_addc(out, (char)(0x80 | (c & 0x3f)));
		}
	}
}

/* ---- encoded-words ---- */

/* Decodes the encoded-word at s (starting "=?") into out; returns its
 * length, or 0 when s does not start a well-formed encoded-word. */
static size_t encoded_word(struct buf *out, const char *s)
{
	struct buf raw = BUF_INIT;
	const char *q1, *q2, *end, *p;
	char *charset = NULL, *star;
	char enc;
	size_t n = 0;

	q1 = strchr(s + 2, '?');
	if (!q1 || q1 == s + 2 || !q1[1] || q1[2] != '?')
		goto done;
	enc = lower(q1[1]);
	if (enc != 'q' && enc != 'b')
		goto done;
	q2 = q1 + 2;
	end = strstr(q2 + 1, "?=");
	if (!end)
		goto done;
	for (p = q2 + 1; p < end; p++) {
		if (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
			goto done;
	}
	charset = xstrndup(s + 2, (size_t)(q1 - s - 2));
	star = strchr(charset, '*'); /* RFC 2231 language suffix */
	if (star)
		*star = '\0';
	if (enc == 'b') {
		mail_decode_base64(&raw, q2 + 1, (size_t)(end - q2 - 1));
	} else {
		for (p = q2 + 1; p < end; p++) {
			int h, l;

			if (*p == '_') {
				buf_addc(&raw, ' ');
			} else if (*p == '=' && p + 2 < end && (h = hex_value(p[1])) >= 0 &&
				   (l = hex_value(p[2])) >= 0) {
				buf_addc(&raw, (char)(h << 4 | l));
				p += 2;
			} else {
				buf_addc(&raw, *p);
			}
		}
	}
	add_converted(out, raw.ptr, raw.len, charset);
	n = (size_t)(end + 2 - s);
done:
	free(charset);
	buf_release(&raw);
	return n;
}

char *mail_decode_words(const char *value)
{
	struct buf out = BUF_INIT, word = BUF_INIT;
	size_t after_word = (size_t)-1; /* out.len after the last encoded-word */
	size_t i = 0, n;

	while (value[i]) {
		if (value[i] == '=' && value[i + 1] == '?') {
			buf_reset(&word);
			n = encoded_word(&word, value + i);
			if (n) {
				/* whitespace between two encoded-words is dropped */
				if (after_word != (size_t)-1)
					buf_truncate(&out, after_word);
				buf_add(&out, word.ptr, word.len);
				after_word = out.len;
				i += n;
				continue;
			}
		}
		if (!is_space((unsigned char)value[i]))
			after_word = (size_t)-1;
		buf_addc(&out, is_space((unsigned char)value[i]) ? ' ' : value[i]);
		i++;
	}
	buf_release(&word);
	return buf_detach(&out, NULL);
}

/* ---- addresses and message ids ---- */

/* Skips a quoted string or a (nested) comment starting at s[i]; returns
 * the index after it. */
static size_t skip_quoted(const char *s, size_t i)
{
	int depth = 0;
	char open = s[i];

	if (open == '"') {
		for (i++; s[i] && s[i] != '"'; i++) {
			if (s[i] == '\\' && s[i + 1])
				i++;
		}
		return s[i] ? i + 1 : i;
	}
	for (; s[i]; i++) {
		if (s[i] == '\\' && s[i + 1])
			i++;
		else if (s[i] == '(')
			depth++;
		else if (s[i] == ')' && --depth == 0)
			return i + 1;
	}
	return i;
}

static char *address_of(const char *s, size_t n)
{
	const char *at;
	size_t i;

	s = trim(s, &n);
	at = memchr(s, '@', n);
	if (!at || at == s || at == s + n - 1)
		return NULL;
	for (i = 0; i < n; i++) {
		if (is_space((unsigned char)s[i]) || s[i] == '<' || s[i] == '>' || s[i] == ',' ||
		    s[i] == '"' || s[i] == '(' || s[i] == ')' || (unsigned char)s[i] < 32)
			return NULL;
	}
	return lower_dup(s, n);
}

char *mail_address(const char *value)
{
	size_t i = 0, start;
	const char *close;

	/* the first '<' outside quotes and comments */
	while (value[i]) {
		if (value[i] == '"' || value[i] == '(') {
			i = skip_quoted(value, i);
			continue;
		}
		if (value[i] == '<') {
			close = strchr(value + i, '>');
			return close ? address_of(value + i + 1, (size_t)(close - value - i - 1)) : NULL;
		}
		if (value[i] == ',')
			break;
		i++;
	}
	/* no angle brackets: the first word holding an '@' */
	i = 0;
	while (value[i]) {
		if (value[i] == '"' || value[i] == '(') {
			i = skip_quoted(value, i);
			continue;
		}
		if (is_space((unsigned char)value[i]) || value[i] == ',' || value[i] == ':' ||
		    value[i] == ';') {
			i++;
			continue;
		}
		start = i;
		while (value[i] && !is_space((unsigned char)value[i]) && value[i] != ',' &&
		       value[i] != '(' && value[i] != '"' && value[i] != ';')
			i++;
		if (memchr(value + start, '@', i - start))
			return address_of(value + start, i - start);
	}
	return NULL;
}

char *mail_message_id(const char *value)
{
	const char *open = strchr(value, '<'), *close;
	size_t n;

	if (open && (close = strchr(open, '>')) && close > open + 1)
		return xstrndup(open, (size_t)(close - open + 1));
	n = strlen(value);
	value = trim(value, &n);
	if (!n)
		return NULL;
	for (close = value; close < value + n && !is_space((unsigned char)*close); close++)
		;
	return xasprintf("<%.*s>", (int)(close - value), value);
}

/* ---- headers ---- */

const char *mail_header(const struct mail_part *p, const char *name)
{
	size_t i;

	for (i = 0; i < p->nheaders; i++) {
		if (!strcasecmp(p->headers[i].name, name))
			return p->headers[i].value;
	}
	return NULL;
}

static void header_add(struct mail_part *p, const char *name, size_t nlen, const struct buf *value)
{
	const char *v = value->ptr;
	size_t vlen = value->len;

	if (p->nheaders >= MAIL_MAX_HEADERS)
		return;
	while (nlen && (name[nlen - 1] == ' ' || name[nlen - 1] == '\t'))
		nlen--;
	v = trim(v, &vlen);
	XGROW(p->headers, p->headers_cap, p->nheaders + 1);
	p->headers[p->nheaders].name = xstrndup(name, nlen);
	p->headers[p->nheaders].value = xstrndup(v, vlen);
	p->nheaders++;
}

static int name_ok(const char *s, size_t n)
{
	size_t i;

	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	if (!n)
		return 0;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c <= 32 || c >= 127)
			return 0;
	}
	return 1;
}

/* Reads the header section of text into p; returns the offset of the body
 * (after the blank line, or len when there is none). */
static size_t parse_headers(struct mail_part *p, const char *text, size_t len)
{
	struct buf value = BUF_INIT;
	const char *name = NULL, *line, *nl, *colon;
	size_t nlen = 0, pos = 0, n, next;

	while (pos < len) {
		line = text + pos;
		nl = memchr(line, '\n', len - pos);
		n = nl ? (size_t)(nl - line) : len - pos;
		next = pos + n + (nl ? 1 : 0);
		if (n && line[n - 1] == '\r')
			n--;
		if (n == 0) {
			pos = next;
			break;
		}
		if (line[0] == ' ' || line[0] == '\t') {
			if (name)
				buf_add(&value, line, n); /* unfolding keeps the whitespace */
		} else {
			if (name)
				header_add(p, name, nlen, &value);
			name = NULL;
			buf_reset(&value);
			colon = memchr(line, ':', n);
			if (colon && name_ok(line, (size_t)(colon - line))) {
				name = line;
				nlen = (size_t)(colon - line);
				buf_add(&value, colon + 1, n - nlen - 1);
			}
			/* anything else (an mbox "From " line, garbage) is skipped */
		}
		pos = next;
	}
	if (name)
		header_add(p, name, nlen, &value);
	buf_release(&value);
	return pos;
}

/* ---- Content-Type ---- */

/* The lower-cased "type/subtype" of a Content-Type value, or NULL. */
static char *media_type(const char *value)
{
	size_t n = strcspn(value, ";(");
	const char *s = trim(value, &n), *slash = memchr(s, '/', n);
	size_t i;

	if (!slash || slash == s || slash == s + n - 1)
		return NULL;
	for (i = 0; i < n; i++) {
		if (is_space((unsigned char)s[i]) || (unsigned char)s[i] < 32)
			return NULL;
	}
	return lower_dup(s, n);
}

/* The value of parameter name in a Content-Type value, or NULL. */
static char *param(const char *value, const char *name)
{
	const char *p = strchr(value, ';');
	size_t nlen = strlen(name);

	while (p && *p) {
		const char *attr, *eq;
		size_t alen;
		struct buf v = BUF_INIT;

		while (*p == ';' || is_space((unsigned char)*p))
			p++;
		attr = p;
		while (*p && *p != '=' && *p != ';')
			p++;
		if (*p != '=')
			continue;
		eq = p;
		alen = (size_t)(eq - attr);
		attr = trim(attr, &alen);
		p = eq + 1;
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '"') {
			for (p++; *p && *p != '"'; p++) {
				if (*p == '\\' && p[1])
					p++;
				buf_addc(&v, *p);
			}
			if (*p == '"')
				p++;
		} else {
			while (*p && *p != ';' && !is_space((unsigned char)*p))
				buf_addc(&v, *p++);
		}
		if (alen == nlen && !strncasecmp(attr, name, nlen))
			return buf_detach(&v, NULL);
		buf_release(&v);
		p = strchr(p, ';');
	}
	return NULL;
}

static char *lower_param(const char *value, const char *name)
{
	char *v = param(value, name);
	size_t i;

	for (i = 0; v && v[i]; i++)
		v[i] = lower(v[i]);
	return v;
}

/* ---- parts ---- */

static int is_enclosure(const char *type)
{
	return !strcmp(type, "message/rfc822") || !strcmp(type, "message/global");
}

static int is_enclosed_headers(const char *type)
{
	return !strcmp(type, "text/rfc822-headers") || !strcmp(type, "message/global-headers");
}

static void parse_part(struct mail_part *p, const char *text, size_t len, int depth,
		       const char *default_type, size_t *budget, int headers_only);

static void add_child(struct mail_part *p, const char *text, size_t len, int depth,
		      const char *default_type, size_t *budget, int headers_only)
{
	if (*budget == 0)
		return;
	(*budget)--;
	p->parts = xrealloc(p->parts, (p->nparts + 1) * sizeof(*p->parts));
	parse_part(&p->parts[p->nparts++], text, len, depth + 1, default_type, budget,
		   headers_only);
}

static void split_multipart(struct mail_part *p, const char *body, size_t len,
			    const char *boundary, int depth, size_t *budget)
{
	const char *child_type = !strcmp(p->type, "multipart/digest") ? "message/rfc822" : "text/plain";
	size_t blen = strlen(boundary), pos = 0, start = 0, n, next, end, i;
	int in_part = 0, closing;
	const char *line, *nl, *rest;

	while (pos < len) {
		line = body + pos;
		nl = memchr(line, '\n', len - pos);
		n = nl ? (size_t)(nl - line) : len - pos;
		next = pos + n + (nl ? 1 : 0);
		if (n && line[n - 1] == '\r')
			n--;
		if (n >= 2 + blen && line[0] == '-' && line[1] == '-' &&
		    !memcmp(line + 2, boundary, blen)) {
			rest = line + 2 + blen;
			closing = n - 2 - blen >= 2 && rest[0] == '-' && rest[1] == '-';
			for (i = closing ? 2 : 0; i < n - 2 - blen; i++) {
				if (rest[i] != ' ' && rest[i] != '\t')
					break;
			}
			if (i == n - 2 - blen) {
				if (in_part) {
					/* the line break before a delimiter belongs to it */
					end = pos;
					if (end > start && body[end - 1] == '\n')
						end--;
					if (end > start && body[end - 1] == '\r')
						end--;
					add_child(p, body + start, end - start, depth, child_type, budget, 0);
				}
				if (closing)
					return;
				in_part = 1;
				start = next;
			}
		}
		pos = next;
	}
	if (in_part && start < len) /* never closed: take what there is */
		add_child(p, body + start, len - start, depth, child_type, budget, 0);
}

static void parse_part(struct mail_part *p, const char *text, size_t len, int depth,
		       const char *default_type, size_t *budget, int headers_only)
{
	struct buf body = BUF_INIT;
	const char *ct, *cte, *raw;
	char *boundary = NULL;
	size_t at, raw_len;

	memset(p, 0, sizeof(*p));
	at = parse_headers(p, text, len);
	if (headers_only)
		at = len;
	raw = text + at;
	raw_len = len - at;
	ct = mail_header(p, "Content-Type");
	if (ct)
		p->type = media_type(ct);
	if (!p->type)
		p->type = xstrdup(default_type);
	if (ct)
		p->charset = lower_param(ct, "charset");
	if (!strncmp(p->type, "multipart/", 10)) {
		boundary = ct ? param(ct, "boundary") : NULL;
		p->report_type = ct ? lower_param(ct, "report-type") : NULL;
		p->body = xstrdup("");
		if (boundary && *boundary && depth < MAIL_MAX_DEPTH)
			split_multipart(p, raw, raw_len, boundary, depth, budget);
		free(boundary);
		return;
	}
	cte = mail_header(p, "Content-Transfer-Encoding");
	if (cte && !strncasecmp(cte, "quoted-printable", 16))
		mail_decode_qp(&body, raw, raw_len);
	else if (cte && !strncasecmp(cte, "base64", 6))
		mail_decode_base64(&body, raw, raw_len);
	else
		buf_add(&body, raw, raw_len);
	p->body = buf_detach(&body, &p->body_len);
	if (depth < MAIL_MAX_DEPTH && is_enclosure(p->type))
		add_child(p, p->body, p->body_len, depth, "text/plain", budget, 0);
	else if (depth < MAIL_MAX_DEPTH && is_enclosed_headers(p->type))
		add_child(p, p->body, p->body_len, depth, "text/plain", budget, 1);
}

void mail_parse(struct mail_part *out, const char *text, size_t len)
{
	size_t budget = MAIL_MAX_PARTS - 1;

	parse_part(out, text, len, 0, "text/plain", &budget, 0);
}

void mail_part_release(struct mail_part *p)
{
	size_t i;

	if (!p)
		return;
	for (i = 0; i < p->nheaders; i++) {
		free(p->headers[i].name);
		free(p->headers[i].value);
	}
	free(p->headers);
	for (i = 0; i < p->nparts; i++)
		mail_part_release(&p->parts[i]);
	free(p->parts);
	free(p->type);
	free(p->charset);
	free(p->report_type);
	free(p->body);
	memset(p, 0, sizeof(*p));
}

/* ---- text ---- */

static const struct {
	const char *name;
	const char *text;
} entities[] = {
	{ "amp;", "&" }, { "lt;", "<" }, { "gt;", ">" }, { "quot;", "\"" },
	{ "apos;", "'" }, { "#39;", "'" }, { "nbsp;", " " },
};

/* Tags that end a line of text. */
static int breaks_line(const char *tag, size_t n)
{
	static const char *const names[] = { "br", "p", "div", "tr", "li", "h1", "h2", "h3",
					     "h4", "h5", "h6", "table", "blockquote", NULL };
	size_t i;

	for (i = 0; names[i]; i++) {
		if (strlen(names[i]) == n && !strncasecmp(names[i], tag, n))
			return 1;
	}
	return 0;
}

static void add_html_text(struct buf *out, const char *s, size_t len)
{
	size_t i = 0, j, k, n;

	while (i < len) {
		if (s[i] == '<') {
			j = i + 1;
			if (j < len && s[j] == '/')
				j++;
			for (k = j; k < len && ((s[k] >= 'a' && s[k] <= 'z') ||
						(s[k] >= 'A' && s[k] <= 'Z') ||
						(s[k] >= '0' && s[k] <= '9')); k++)
				;
			if (breaks_line(s + j, k - j))
				buf_addc(out, '\n');
			while (k < len && s[k] != '>')
				k++;
			i = k + 1;
			continue;
		}
		if (s[i] == '&') {
			for (k = 0; k < sizeof(entities) / sizeof(entities[0]); k++) {
				n = strlen(entities[k].name);
				if (i + 1 + n <= len && !strncasecmp(s + i + 1, entities[k].name, n)) {
					buf_adds(out, entities[k].text);
					i += 1 + n;
					break;
				}
			}
			if (k < sizeof(entities) / sizeof(entities[0]))
				continue;
		}
		buf_addc(out, s[i++]);
	}
}

static void collect_text(struct buf *out, const struct mail_part *p, const char *type, int *found)
{
	size_t i;

	if (!strncmp(p->type, "multipart/", 10)) {
		for (i = 0; i < p->nparts; i++)
			collect_text(out, &p->parts[i], type, found);
		return;
	}
	if (strcmp(p->type, type))
		return;
	if (*found)
		buf_addc(out, '\n');
	*found = 1;
	if (!strcmp(type, "text/html")) {
		struct buf utf8 = BUF_INIT;

		add_converted(&utf8, p->body, p->body_len, p->charset);
		add_html_text(out, utf8.ptr, utf8.len);
		buf_release(&utf8);
	} else {
		add_converted(out, p->body, p->body_len, p->charset);
	}
}

void mail_text(struct buf *out, const struct mail_part *p)
{
	int found = 0;

	collect_text(out, p, "text/plain", &found);
	if (!found)
		collect_text(out, p, "text/html", &found);
}

const char *mail_first_line(const char *text, size_t *len_out)
{
	const char *line = text, *nl;
	size_t n;

	while (*line) {
		nl = strchr(line, '\n');
		n = nl ? (size_t)(nl - line) : strlen(line);
		line = trim(line, &n);
		if (n) {
			*len_out = n;
			return line;
		}
		if (!nl)
			break;
		line = nl + 1;
	}
	*len_out = 0;
	return "";
}

/* ---- delivery status notifications ---- */

static const struct mail_part *find_report(const struct mail_part *p)
{
	const struct mail_part *r;
	size_t i;

	if (!strcmp(p->type, "multipart/report") && p->report_type &&
	    (!strcmp(p->report_type, "delivery-status") ||
	     !strcmp(p->report_type, "global-delivery-status")))
		return p;
	if (strncmp(p->type, "multipart/", 10))
		return NULL;
	for (i = 0; i < p->nparts; i++) {
		r = find_report(&p->parts[i]);
		if (r)
			return r;
	}
	return NULL;
}

/* "rfc822; Jana@Example.NET" -> "jana@example.net" */
static char *typed_address(const char *value)
{
	const char *semi;
	char *a;

	if (!value)
		return NULL;
	semi = strchr(value, ';');
	a = mail_address(semi ? semi + 1 : value);
	return a;
}

/* A status code "c.s.d" at the start of value: class 2, 4 or 5, subject
 * and detail of one to three digits. */
static char *status_code(const char *value)
{
	size_t i = 0, digits;
	int part;

	if (!value)
		return NULL;
	while (value[i] == ' ' || value[i] == '\t')
		i++;
	value += i;
	if (value[0] != '2' && value[0] != '4' && value[0] != '5')
		return NULL;
	i = 1;
	for (part = 0; part < 2; part++) {
		if (value[i] != '.')
			return NULL;
		for (i++, digits = 0; value[i] >= '0' && value[i] <= '9'; i++)
			digits++;
		if (digits < 1 || digits > 3)
			return NULL;
	}
	if (value[i] && !is_space((unsigned char)value[i]) && value[i] != '(')
		return NULL;
	return xstrndup(value, i);
}

static char *after_type(const char *value)
{
	const char *semi;
	size_t n;

	if (!value)
		return NULL;
	semi = strchr(value, ';');
	if (semi)
		value = semi + 1;
	n = strlen(value);
	value = trim(value, &n);
	return n ? xstrndup(value, n) : NULL;
}

static void dsn_fields(struct dsn *d, const char *text, size_t len)
{
	size_t pos = 0, used;
	int first = 1;

	while (pos < len) {
		struct mail_part block;
		const char *action;

		memset(&block, 0, sizeof(block));
		used = parse_headers(&block, text + pos, len - pos);
		pos += used ? used : len - pos;
		if (!block.nheaders) {
			mail_part_release(&block);
			continue;
		}
		if (first && !mail_header(&block, "Final-Recipient")) {
			const char *mta = mail_header(&block, "Reporting-MTA");

			if (mta && !d->reporting_mta)
				d->reporting_mta = after_type(mta);
		} else if (mail_header(&block, "Final-Recipient") || mail_header(&block, "Action")) {
			struct dsn_recipient *r;

			XGROW(d->recipients, d->cap, d->count + 1);
			r = &d->recipients[d->count++];
			memset(r, 0, sizeof(*r));
			r->final_recipient = typed_address(mail_header(&block, "Final-Recipient"));
			r->original_recipient = typed_address(mail_header(&block, "Original-Recipient"));
			action = mail_header(&block, "Action");
			if (action)
				r->action = lower_dup(action, strcspn(action, " \t("));
			r->status = status_code(mail_header(&block, "Status"));
			r->diagnostic = after_type(mail_header(&block, "Diagnostic-Code"));
		}
		first = 0;
		mail_part_release(&block);
	}
}

/*
 * How well an enclosed message identifies the delivery it returns: 2 with a
 * Message-ID (what a report is matched by first) other than the report's
 * own, 1 with X-Mailout headers only, 0 with neither.
 */
static int returned_rank(const struct mail_part *orig, const char *report_id)
{
	const char *v = mail_header(orig, "Message-ID");
	char *id = v ? mail_message_id(v) : NULL;
	int rank = 0;

	if (id && (!report_id || strcmp(id, report_id)))
		rank = 2;
	else if (((v = mail_header(orig, "X-Mailout-Campaign")) && *v) ||
		 ((v = mail_header(orig, "X-Mailout-Recipient")) && *v))
		rank = 1;
	free(id);
	return rank;
}

int dsn_parse(struct dsn *out, const struct mail_part *msg)
{
	const struct mail_part *report = find_report(msg), *c, *orig = NULL;
	const char *v;
	char *report_id = NULL;
	size_t i;
	int rank, best = 0;

	memset(out, 0, sizeof(*out));
	if (!report)
		return -1;
	v = mail_header(msg, "Message-ID");
	report_id = v ? mail_message_id(v) : NULL;
	for (i = 0; i < report->nparts; i++) {
		c = &report->parts[i];
		if (!strcmp(c->type, "message/delivery-status") ||
		    !strcmp(c->type, "message/global-delivery-status")) {
			if (!out->count)
				dsn_fields(out, c->body, c->body_len);
		} else if ((is_enclosure(c->type) || is_enclosed_headers(c->type)) && c->nparts) {
			/* the first best returned message: its fields all come from it */
			rank = returned_rank(&c->parts[0], report_id);
			if (rank > best) {
				best = rank;
				orig = &c->parts[0];
			}
		}
	}
	if (orig) {
		v = mail_header(orig, "Message-ID");
		out->message_id = best == 2 ? mail_message_id(v) : NULL;
		v = mail_header(orig, "X-Mailout-Campaign");
		out->campaign = v && *v ? xstrdup(v) : NULL;
		v = mail_header(orig, "X-Mailout-Recipient");
		out->recipient = v && *v ? xstrdup(v) : NULL;
	}
	free(report_id);
	if (!out->count) {
		dsn_release(out);
		return -1;
	}
	return 0;
}

void dsn_release(struct dsn *d)
{
	size_t i;

	if (!d)
		return;
	for (i = 0; i < d->count; i++) {
		free(d->recipients[i].final_recipient);
		free(d->recipients[i].original_recipient);
		free(d->recipients[i].action);
		free(d->recipients[i].status);
		free(d->recipients[i].diagnostic);
	}
	free(d->recipients);
	free(d->reporting_mta);
	free(d->message_id);
	free(d->campaign);
	free(d->recipient);
	memset(d, 0, sizeof(*d));
}
