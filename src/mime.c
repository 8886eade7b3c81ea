#include "mime.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

#include "diag.h"
#include "text.h"
#include "xalloc.h"

#define LINE_SOFT 78     /* fold header lines here where possible */
#define WORD_MAX 75      /* the longest encoded-word (RFC 2047) */
#define LONG_WORD 900    /* a word that would not fit on a 998-character line */
#define ADDRESS_MAX 254
#define VALUE_MAX 900    /* ids and URLs that must fit on one header line */
#define QP_LINE 75       /* characters before the soft break '=' */
#define BOUNDARY_SIZE 27 /* "=_mailout_" + 16 hex digits + NUL */

static const char hex_upper[] = "0123456789ABCDEF";
static const char hex_lower[] = "0123456789abcdef";
static const char b64_chars[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* A header being written: where the current physical line stands. */
struct header_line {
	struct buf *out;
	size_t col;
	int words; /* words on the current physical line after the name */
};

static void header_start(struct header_line *h, struct buf *out, const char *name)
{
	h->out = out;
	buf_adds(out, name);
	buf_add(out, ": ", 2);
	h->col = strlen(name) + 2;
	h->words = 0;
}

/*
 * Appends a word, after a space when space is set; the space becomes CRLF +
 * space when the word would pass column 78 and the line already holds a
 * word.  A line of whitespace only is never made.
 */
static void header_word(struct header_line *h, const char *w, size_t n, int space)
{
	if (space) {
		if (h->words && n && h->col + 1 + n > LINE_SOFT) {
			buf_add(h->out, "\r\n", 2);
			h->col = 0;
			h->words = 0;
		}
		buf_addc(h->out, ' ');
		h->col++;
	}
	buf_add(h->out, w, n);
	h->col += n;
	h->words++;
}

static void header_end(struct header_line *h)
{
	buf_add(h->out, "\r\n", 2);
}

/* Characters a Q encoded-word may carry as they are, in any header context. */
static int q_plain(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '!' || c == '*' || c == '+' || c == '-' || c == '/';
}

static size_t q_cost(unsigned char c)
{
	return q_plain(c) || c == ' ' ? 1 : 3;
}

static size_t q_put(char *o, const unsigned char *p, size_t n)
{
	size_t i, k = 0;

	for (i = 0; i < n; i++) {
		if (q_plain(p[i])) {
			o[k++] = (char)p[i];
		} else if (p[i] == ' ') {
			o[k++] = '_';
		} else {
			o[k++] = '=';
			o[k++] = hex_upper[p[i] >> 4];
			o[k++] = hex_upper[p[i] & 15];
		}
	}
	return k;
}

static size_t b64_put(char *o, const unsigned char *p, size_t n)
{
	size_t i, k = 0;
	uint32_t v;

	for (i = 0; i < n; i += 3) {
		v = (uint32_t)p[i] << 16;
		if (i + 1 < n)
			v |= (uint32_t)p[i + 1] << 8;
		if (i + 2 < n)
			v |= p[i + 2];
		o[k++] = b64_chars[v >> 18 & 63];
		o[k++] = b64_chars[v >> 12 & 63];
		o[k++] = i + 1 < n ? b64_chars[v >> 6 & 63] : '=';
		o[k++] = i + 2 < n ? b64_chars[v & 63] : '=';
	}
	return k;
}

/*
 * Appends s as encoded-words: Q unless it would be over 1.5 times as long
 * as B, each word at most 75 characters and cut between UTF-8 sequences.
 * The first word sits at the current column and is sized to end by column
 * 78; the others follow after folding whitespace, which RFC 2047 readers
 * drop between encoded-words.
 */
static void header_encoded(struct header_line *h, const char *str, size_t len)
{
	const unsigned char *s = (const unsigned char *)str;
	char word[WORD_MAX + 1];
	size_t i, q_total = 0, cap, used, take, n, k;
	int use_q, first = 1;

	for (i = 0; i < len; i++)
		q_total += q_cost(s[i]);
	/* Q keeps mostly-Latin text readable; B is shorter for other scripts */
	use_q = q_total * 2 <= (len + 2) / 3 * 4 * 3;

	i = 0;
	while (i < len) {
		cap = WORD_MAX;
		if (first && h->col + WORD_MAX > LINE_SOFT)
			cap = h->col + 32 > LINE_SOFT ? 32 : LINE_SOFT - h->col;
		cap -= 12; /* "=?UTF-8?Q?" and "?=" */
		used = 0;
		take = 0;
		while (i + take < len) {
			n = text_utf8_seq_len(str + i + take, len - i - take);
			if (use_q) {
				size_t c = 0;

				for (k = 0; k < n; k++)
					c += q_cost(s[i + take + k]);
				if (used + c > cap)
					break;
				used += c;
			} else if ((take + n + 2) / 3 * 4 > cap) {
				break;
			}
			take += n;
		}
		if (!take) /* cannot happen with 20 or more characters of room */
			take = text_utf8_seq_len(str + i, len - i);
		memcpy(word, use_q ? "=?UTF-8?Q?" : "=?UTF-8?B?", 10);
		k = 10 + (use_q ? q_put(word + 10, s + i, take) : b64_put(word + 10, s + i, take));
		word[k++] = '?';
		word[k++] = '=';
		header_word(h, word, k, !first);
		i += take;
		first = 0;
	}
}

/* Whether text must become encoded-words rather than stay as it is. */
static int needs_encoding(const char *str, size_t len)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i, word = 0;

	for (i = 0; i < len; i++) {
		if (s[i] < 0x20 || s[i] >= 0x7f)
			return 1;
		if (s[i] == '=' && i + 1 < len && s[i + 1] == '?')
			return 1;
		word = s[i] == ' ' ? 0 : word + 1;
		if (word > LONG_WORD)
			return 1;
	}
	return 0;
}

/* Appends space-separated words with folding; the first has no space before it. */
static void header_words_plain(struct header_line *h, const char *s, size_t len)
{
	size_t i = 0, j;

	for (;;) {
		for (j = i; j < len && s[j] != ' '; j++)
			;
		header_word(h, s + i, j - i, i > 0);
		if (j >= len)
			break;
		i = j + 1;
	}
}

void mime_encode_header_words(struct buf *out, const char *s, size_t start_col)
{
	struct header_line h = { out, start_col, 0 };
	size_t len = strlen(s);

	if (needs_encoding(s, len))
		header_encoded(&h, s, len);
	else
		header_words_plain(&h, s, len);
}

static int is_atext(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c && strchr("!#$%&'*+-/=?^_`{|}~", c));
}

/*
 * A display name (or List-Id phrase) at the current column, without space
 * before it: atoms when it is plain words, a quoted-string with backslash
 * escapes when it has specials, encoded-words (never inside quotes) when
 * it has non-ASCII characters.
 */
static void header_phrase(struct header_line *h, const char *s)
{
	struct buf quoted = BUF_INIT;
	size_t len = strlen(s), i;
	int atoms = len > 0;

	if (needs_encoding(s, len)) {
		header_encoded(h, s, len);
		return;
	}
	for (i = 0; i < len && atoms; i++) {
		if (s[i] == ' ')
			atoms = i > 0 && i + 1 < len && s[i + 1] != ' ';
		else
			atoms = is_atext((unsigned char)s[i]);
	}
	if (atoms) {
		header_words_plain(h, s, len);
		return;
	}
	buf_addc(&quoted, '"');
	for (i = 0; i < len; i++) {
		if (s[i] == '"' || s[i] == '\\')
			buf_addc(&quoted, '\\');
		buf_addc(&quoted, s[i]);
	}
	buf_addc(&quoted, '"');
	if (quoted.len > LONG_WORD)
		header_encoded(h, s, len);
	else
		header_word(h, quoted.ptr, quoted.len, 0);
	buf_release(&quoted);
}

/* CR, LF and every other control character but TAB are refused in headers. */
static int check_controls(const char *s, const char *header)
{
	const unsigned char *p;

	for (p = (const unsigned char *)s; *p; p++)
		if ((*p < 0x20 && *p != '\t') || *p == 0x7f)
			return error_set("%s header: line break or control character refused", header);
	return 0;
}

static int check_text(const char *s, const char *header)
{
	if (check_controls(s, header) < 0)
		return -1;
	if (!text_utf8_valid(s, strlen(s)))
		return error_set("%s header: invalid UTF-8", header);
	return 0;
}

/* printable ASCII without spaces, quotes or angle brackets */
static int check_token_value(const char *s, size_t max, const char *header, const char *what)
{
	const unsigned char *p;

	for (p = (const unsigned char *)s; *p; p++) {
		if (*p > 0x20 && *p < 0x7f && *p != '<' && *p != '>' && *p != '"')
			continue;
		if ((*p < 0x20 && *p != '\t') || *p == 0x7f)
			return error_set("%s header: line break or control character refused", header);
		return error_set("%s header: invalid %s '%s'", header, what, s);
	}
	if (p == (const unsigned char *)s)
		return error_set("%s header: empty %s", header, what);
	if ((size_t)(p - (const unsigned char *)s) > max)
		return error_set("%s header: %s longer than %zu bytes", header, what, max);
	return 0;
}

static int check_address(const char *s, size_t len, const char *header)
{
	const char *at = NULL;
	size_t i;

	if (len == 0)
		return error_set("%s header: empty address", header);
	if (len > ADDRESS_MAX)
		return error_set("%s header: address longer than %d bytes", header, ADDRESS_MAX);
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c <= 0x20 || c >= 0x7f || strchr("<>()[]\\,;:\"", c))
			return error_set("%s header: invalid address '%.*s': spaces, angle brackets, "
					 "specials and non-ASCII characters are not allowed",
					 header, (int)len, s);
		if (c == '@') {
			if (at)
				return error_set("%s header: invalid address '%.*s': more than one '@'",
						 header, (int)len, s);
			at = s + i;
		}
	}
	if (!at || at == s || at == s + len - 1)
		return error_set("%s header: invalid address '%.*s': expected local@domain",
				 header, (int)len, s);
	return 0;
}

/* Narrows [*s, *e) to leave out the spaces and tabs around it. */
static void trim(const char **s, const char **e)
{
	size_t len = (size_t)(*e - *s);

	*s = text_trim(*s, &len, TEXT_BLANKS);
	*e = *s + len;
}

/*
 * Appends the phrase between s and e, trimmed, without its quotes and
 * backslash escapes if it is a quoted-string.  -1 on a stray quote or
 * backslash inside the quotes.
 */
static int unquote(struct buf *out, const char *s, const char *e)
{
	const char *p;

	trim(&s, &e);
	if (e - s < 2 || *s != '"' || e[-1] != '"') {
		buf_add(out, s, (size_t)(e - s));
		return 0;
	}
	for (p = s + 1; p < e - 1; p++) {
		if (*p == '\\' && p + 1 < e - 1)
			p++;
		else if (*p == '"' || *p == '\\')
			return -1;
		buf_addc(out, *p);
	}
	return 0;
}

/* "Name <a@b>" → name (unquoted) and address; header names the error. */
static int parse_address(struct mime_address *out, const char *value, const char *header)
{
	struct buf name = BUF_INIT;
	const char *s, *e, *lt;
	int ret = -1;

	out->name = NULL;
	out->address = NULL;
	if (!value) {
		error_set("%s header: missing address", header);
		goto done;
	}
	if (check_controls(value, header) < 0)
		goto done;
	s = value;
	e = value + strlen(value);
	trim(&s, &e);
	if (e > s && e[-1] == '>') {
		for (lt = e - 1; lt > s && lt[-1] != '<'; lt--)
			;
		if (lt == s) {
			error_set("%s header: '>' without '<' in '%s'", header, value);
			goto done;
		}
		if (check_address(lt, (size_t)(e - 1 - lt), header) < 0)
			goto done;
		if (unquote(&name, s, lt - 1) < 0) {
			error_set("%s header: unbalanced quotes in the name of '%s'", header, value);
			goto done;
		}
		out->address = xstrndup(lt, (size_t)(e - 1 - lt));
	} else {
		if (check_address(s, (size_t)(e - s), header) < 0)
			goto done;
		out->address = xstrndup(s, (size_t)(e - s));
	}
	if (name.len && !text_utf8_valid(name.ptr, name.len)) {
		error_set("%s header: invalid UTF-8 in the name", header);
		goto done;
	}
	if (name.len)
		out->name = buf_detach(&name, NULL);
	ret = 0;
done:
	if (ret < 0)
		mime_address_release(out);
	buf_release(&name);
	return ret;
}

int mime_parse_address(struct mime_address *out, const char *value)
{
	return parse_address(out, value, "address");
}

void mime_address_release(struct mime_address *a)
{
	free(a->name);
	free(a->address);
	a->name = NULL;
	a->address = NULL;
}

char *mime_message_id(const char *from_address)
{
	unsigned char random[16];
	char id[2 * sizeof(random) + 1];
	const char *at, *e;
	size_t i;

	at = from_address ? strrchr(from_address, '@') : NULL;
	if (!at) {
		error_set("cannot make a Message-ID: no domain in '%s'", from_address ? from_address : "");
		return NULL;
	}
	at++;
	for (e = at; (*e >= 'a' && *e <= 'z') || (*e >= 'A' && *e <= 'Z') ||
		     (*e >= '0' && *e <= '9') || *e == '-' || *e == '.'; e++)
		;
	if (e == at || (*e && *e != '>')) {
		error_set("cannot make a Message-ID: invalid domain in '%s'", from_address);
		return NULL;
	}
	if (RAND_bytes(random, sizeof(random)) != 1) {
		error_set("cannot make a Message-ID: no random bytes");
		return NULL;
	}
	for (i = 0; i < sizeof(random); i++) {
		id[2 * i] = hex_lower[random[i] >> 4];
		id[2 * i + 1] = hex_lower[random[i] & 15];
	}
	id[2 * sizeof(random)] = '\0';
	return xasprintf("<%s@%.*s>", id, (int)(e - at), at);
}

static void put2(char *o, int n)
{
	o[0] = (char)('0' + n / 10 % 10);
	o[1] = (char)('0' + n % 10);
}

int mime_date(struct buf *out, time_t t)
{
	static const char days[7][4] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
	static const char months[12][4] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
					    "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	struct tm tm;
	char d[32];
	int year;

	if (!gmtime_r(&t, &tm) || tm.tm_year < 0 || tm.tm_year > 8099)
		return error_set("Date header: time out of range");
	year = tm.tm_year + 1900;
	d[0] = days[tm.tm_wday][0];
	d[1] = days[tm.tm_wday][1];
	d[2] = days[tm.tm_wday][2];
	d[3] = ',';
	d[4] = ' ';
	put2(d + 5, tm.tm_mday);
	d[7] = ' ';
	memcpy(d + 8, months[tm.tm_mon], 3);
	d[11] = ' ';
	put2(d + 12, year / 100);
	put2(d + 14, year % 100);
	d[16] = ' ';
	put2(d + 17, tm.tm_hour);
	d[19] = ':';
	put2(d + 20, tm.tm_min);
	d[22] = ':';
	put2(d + 23, tm.tm_sec);
	memcpy(d + 25, " +0000", 6);
	buf_add(out, d, 31);
	return 0;
}

static size_t qp_bound(size_t len)
{
	/* at most 3 characters per byte; a soft break comes after 73 or more */
	return 3 * len + 3 * (3 * len / (QP_LINE - 3) + 1) + 8;
}

static int qp_line_end(const unsigned char *p, const unsigned char *end)
{
	return p == end || *p == '\n' || (*p == '\r' && p + 1 < end && p[1] == '\n');
}

/* Writes straight into the buffer, grown once: no work per byte but the encoding. */
void mime_encode_qp(struct buf *out, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + len;
	size_t col = 0;
	unsigned char c;
	char *o;
	int plain;

	buf_grow(out, qp_bound(len));
	o = out->ptr + out->len;
	while (p < end) {
		/* fast path: a run of printable characters inside a line */
		if (col > 0 && col < QP_LINE) {
			const unsigned char *q = p, *stop = p + (QP_LINE - col);

			if (stop > end)
				stop = end;
			while (q < stop && (unsigned char)(*q - 33) < 94 && *q != '=')
				*o++ = (char)*q++;
			col += (size_t)(q - p);
			p = q;
			if (p == end)
				break;
		}
		c = *p;
		if (c == '\n' || (c == '\r' && p + 1 < end && p[1] == '\n')) {
			*o++ = '\r';
			*o++ = '\n';
			col = 0;
			p += c == '\r' ? 2 : 1;
			continue;
		}
		if (c == ' ' || c == '\t')
			plain = !qp_line_end(p + 1, end);
		else
			plain = c >= 33 && c <= 126 && c != '=';
		/* a leading '.' survives any SMTP path; "From " any mbox */
		if (plain && col == 0 &&
		    (c == '.' || (c == 'F' && end - p >= 5 && memcmp(p, "From ", 5) == 0)))
			plain = 0;
		if (col + (plain ? 1 : 3) > QP_LINE) {
			*o++ = '=';
			*o++ = '\r';
			*o++ = '\n';
			col = 0;
			continue;
		}
		if (plain) {
			*o++ = (char)c;
			col++;
		} else {
			*o++ = '=';
			*o++ = hex_upper[c >> 4];
			*o++ = hex_upper[c & 15];
			col += 3;
		}
		p++;
	}
	out->len = (size_t)(o - out->ptr);
	out->ptr[out->len] = '\0';
}

/*
 * The boundary is "=_mailout_" and 16 hex digits of a hash of the
 * Message-ID: the same Message-ID gives the same bytes.  It can never occur
 * in a body: both parts are quoted-printable, where '=' is always followed
 * by a hex digit or a line break, so "=_" cannot appear there.  The hash
 * need not be cryptographic.
 */
static void make_boundary(char out[BOUNDARY_SIZE], const char *message_id)
{
	uint64_t h = 0xcbf29ce484222325u;
	const unsigned char *p;
	int i;

	for (p = (const unsigned char *)message_id; *p; p++) {
		h ^= *p;
		h *= 0x100000001b3u;
	}
	memcpy(out, "=_mailout_", 10);
	for (i = 0; i < 16; i++)
		out[10 + i] = hex_lower[h >> (60 - 4 * i) & 15];
	out[26] = '\0';
}

static int check_message_id(const char *id)
{
	const unsigned char *p;
	size_t len;

	if (check_controls(id, "Message-ID") < 0)
		return -1;
	len = strlen(id);
	if (len < 5 || len > VALUE_MAX || id[0] != '<' || id[len - 1] != '>' ||
	    !memchr(id, '@', len))
		return error_set("Message-ID header: expected <local@domain>, not '%s'", id);
	for (p = (const unsigned char *)id + 1; p < (const unsigned char *)id + len - 1; p++)
		if (*p <= 0x20 || *p >= 0x7f || *p == '<' || *p == '>' || *p == '"')
			return error_set("Message-ID header: invalid id '%s'", id);
	return 0;
}

/* An URL that goes between angle brackets. */
static int check_url(const char *url, const char *scheme, const char *header)
{
	if (check_token_value(url, VALUE_MAX, header, "URL") < 0)
		return -1;
	if (strncmp(url, scheme, strlen(scheme)) != 0 || !url[strlen(scheme)])
		return error_set("%s header: '%s' does not start with %s", header, url, scheme);
	return 0;
}

/* "Name <id>" or "id": the phrase (may be empty) and the id. */
static int parse_list_id(const char *value, struct buf *phrase, struct buf *id)
{
	const char *s, *e, *lt;

	if (check_text(value, "List-Id") < 0)
		return -1;
	s = value;
	e = value + strlen(value);
	trim(&s, &e);
	if (e > s && e[-1] == '>') {
		for (lt = e - 1; lt > s && lt[-1] != '<'; lt--)
			;
		if (lt == s)
			return error_set("List-Id header: '>' without '<' in '%s'", value);
		buf_add(id, lt, (size_t)(e - 1 - lt));
		if (unquote(phrase, s, lt - 1) < 0)
			return error_set("List-Id header: unbalanced quotes in '%s'", value);
	} else {
		buf_add(id, s, (size_t)(e - s));
	}
	if (check_token_value(id->ptr, 255, "List-Id", "id") < 0)
		return -1;
	return 0;
}

static void add3(struct buf *out, const char *a, const char *b, const char *c)
{
	buf_adds(out, a);
	buf_adds(out, b);
	buf_adds(out, c);
}

static void add_part_headers(struct buf *out, const char *type)
{
	buf_adds(out, "Content-Type: ");
	buf_adds(out, type);
	buf_adds(out, "; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n");
}

static void add_address_header(struct buf *out, const char *header, const char *name,
			       const char *address, struct buf *scratch)
{
	struct header_line h;

	header_start(&h, out, header);
	if (name && *name) {
		header_phrase(&h, name);
		buf_reset(scratch);
		add3(scratch, "<", address, ">");
		header_word(&h, scratch->ptr, scratch->len, 1);
	} else {
		header_word(&h, address, strlen(address), 0);
	}
	header_end(&h);
}

/* Checks every field of m before anything is written: the From address
 * parsed, the List-Id split, the Message-ID m's or a new one. */
static int check_message(const struct mime_message *m, struct mime_address *from,
			 struct buf *list_phrase, struct buf *list_id, char **message_id)
{
	if (parse_address(from, m->from, "From") < 0)
		return -1;
	if (m->to_name && check_text(m->to_name, "To") < 0)
		return -1;
	if (!m->to_address)
		return error_set("To header: missing address");
	if (check_controls(m->to_address, "To") < 0 ||
	    check_address(m->to_address, strlen(m->to_address), "To") < 0)
		return -1;
	if (!m->subject)
		return error_set("Subject header: missing");
	if (check_text(m->subject, "Subject") < 0)
		return -1;
	if (m->message_id) {
		if (check_message_id(m->message_id) < 0)
			return -1;
		*message_id = xstrdup(m->message_id);
	} else if (!(*message_id = mime_message_id(from->address))) {
		return -1;
	}
	if (!m->unsubscribe_mailto)
		return error_set("List-Unsubscribe header: the mailto URL is required");
	if (check_url(m->unsubscribe_mailto, "mailto:", "List-Unsubscribe") < 0)
		return -1;
	if (m->unsubscribe_https && check_url(m->unsubscribe_https, "https://", "List-Unsubscribe") < 0)
		return -1;
	if (m->one_click && !m->unsubscribe_https)
		return error_set("List-Unsubscribe-Post header: one-click needs an https URL");
	if (m->list_id && parse_list_id(m->list_id, list_phrase, list_id) < 0)
		return -1;
	if (m->campaign && check_token_value(m->campaign, VALUE_MAX, "X-Mailout-Campaign", "id") < 0)
		return -1;
	if (m->recipient && check_token_value(m->recipient, VALUE_MAX, "X-Mailout-Recipient", "id") < 0)
		return -1;
	if (!m->text)
		return error_set("message has no text part");
	return 0;
}

/* List-Unsubscribe (and -Post), List-Id, Precedence and mailout's own. */
static void add_list_headers(struct buf *out, const struct mime_message *m,
			     const struct buf *list_phrase, const struct buf *list_id,
			     struct buf *word)
{
	struct header_line h;

	header_start(&h, out, "List-Unsubscribe");
	buf_reset(word);
	if (m->unsubscribe_https) {
		add3(word, "<", m->unsubscribe_https, ">,");
		header_word(&h, word->ptr, word->len, 0);
		buf_reset(word);
	}
	add3(word, "<", m->unsubscribe_mailto, ">");
	header_word(&h, word->ptr, word->len, m->unsubscribe_https != NULL);
	header_end(&h);
	if (m->one_click)
		buf_adds(out, "List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n");

	if (m->list_id) {
		header_start(&h, out, "List-Id");
		buf_reset(word);
		add3(word, "<", list_id->ptr, ">");
		if (list_phrase->len)
			header_phrase(&h, list_phrase->ptr);
		header_word(&h, word->ptr, word->len, list_phrase->len > 0);
		header_end(&h);
	}
	buf_adds(out, "Precedence: bulk\r\n");
	if (m->campaign)
		add3(out, "X-Mailout-Campaign: ", m->campaign, "\r\n");
	if (m->recipient)
		add3(out, "X-Mailout-Recipient: ", m->recipient, "\r\n");
}

/* The text part alone, or text and HTML as multipart/alternative. */
static void add_body(struct buf *out, const struct mime_message *m, const char *message_id,
		     size_t text_len, size_t html_len)
{
	char boundary[BOUNDARY_SIZE];

	if (!m->html) {
		add_part_headers(out, "text/plain");
		mime_encode_qp(out, m->text, text_len);
		/* a soft break ends the last line without adding a newline */
		if (text_len && m->text[text_len - 1] != '\n')
			buf_add(out, "=\r\n", 3);
		return;
	}
	make_boundary(boundary, message_id);
	add3(out, "Content-Type: multipart/alternative; boundary=\"", boundary, "\"\r\n\r\n");
	add3(out, "--", boundary, "\r\n");
	add_part_headers(out, "text/plain");
	mime_encode_qp(out, m->text, text_len);
	add3(out, "\r\n--", boundary, "\r\n");
	add_part_headers(out, "text/html");
	mime_encode_qp(out, m->html, html_len);
	add3(out, "\r\n--", boundary, "--\r\n");
}

int mime_build(struct buf *out, const struct mime_message *m, char **message_id_out)
{
	struct mime_address from = { NULL, NULL };
	struct buf list_phrase = BUF_INIT, list_id = BUF_INIT, word = BUF_INIT;
	struct header_line h;
	char *message_id = NULL;
	size_t start = out->len, text_len, html_len;
	int ret = -1;

	if (message_id_out)
		*message_id_out = NULL;
	if (check_message(m, &from, &list_phrase, &list_id, &message_id) < 0)
		goto done;
	text_len = strlen(m->text);
	html_len = m->html ? strlen(m->html) : 0;
	buf_grow(out, 2048 + 4 * strlen(m->subject) + qp_bound(text_len) + qp_bound(html_len));

	buf_adds(out, "Date: ");
	if (mime_date(out, m->date) < 0)
		goto done;
	buf_add(out, "\r\n", 2);
	add_address_header(out, "From", from.name, from.address, &word);
	add_address_header(out, "To", m->to_name, m->to_address, &word);

	header_start(&h, out, "Subject");
	mime_encode_header_words(out, m->subject, h.col);
	header_end(&h);

	add3(out, "Message-ID: ", message_id, "\r\nMIME-Version: 1.0\r\n");
	add_list_headers(out, m, &list_phrase, &list_id, &word);
	add_body(out, m, message_id, text_len, html_len);
	ret = 0;
done:
	if (ret < 0)
		buf_truncate(out, start);
	if (ret == 0 && message_id_out) {
		*message_id_out = message_id;
		message_id = NULL;
	}
	free(message_id);
	mime_address_release(&from);
	buf_release(&list_phrase);
	buf_release(&list_id);
	buf_release(&word);
	return ret;
}
