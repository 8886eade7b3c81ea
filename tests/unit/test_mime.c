#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "diag.h"
#include "mime.h"
#include "xalloc.h"

/* clang says so by __has_feature, GCC by __SANITIZE_ADDRESS__ */
#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif

#define CHECKER "/usr/bin/python3 tests/tools/check_mime.py"
#define DEC_3_2026 ((time_t)1796290205) /* Thu, 03 Dec 2026 09:30:05 UTC */

static struct mime_message sample(void)
{
	struct mime_message m;

	memset(&m, 0, sizeof(m));
	m.from = "Alice Adams <alice@example.com>";
	m.to_name = "Jana Novak";
	m.to_address = "jana.novak@example.net";
	m.subject = "December update";
	m.text = "Hello Jana,\n\nnews from Example.\n";
	m.html = "<p>Hello Jana,</p>\n<p>news from Example.</p>\n";
	m.date = DEC_3_2026;
	m.message_id = "<0123456789abcdef0123456789abcdef@example.com>";
	m.unsubscribe_https = "https://status.example.com/unsubscribe/#TOKEN";
	m.unsubscribe_mailto = "mailto:unsubscribe@example.com?subject=unsubscribe%20TOKEN";
	m.list_id = "December update <december-update.example.com>";
	m.campaign = "december-update";
	m.recipient = "c-1001";
	return m;
}

static char *build(const struct mime_message *m)
{
	struct buf b = BUF_INIT;

	if (mime_build(&b, m, NULL) != 0)
		fail_msg("mime_build: %s", error_last());
	return buf_detach(&b, NULL);
}

/* The header's lines (folded as written) without the final CRLF. */
static char *header(const char *msg, const char *name)
{
	struct buf want = BUF_INIT;
	const char *p, *end;
	char *ret = NULL;

	buf_addf(&want, "\r\n%s: ", name);
	if (strncmp(msg, want.ptr + 2, want.len - 2) == 0)
		p = msg;
	else if ((p = strstr(msg, want.ptr)))
		p += 2;
	if (p) {
		for (end = strstr(p, "\r\n"); end && (end[2] == ' ' || end[2] == '\t'); end = strstr(end + 2, "\r\n"))
			;
		ret = xstrndup(p, (size_t)(end - p));
	}
	buf_release(&want);
	return ret;
}

static void assert_lines_crlf(const char *s, size_t len, size_t max)
{
	size_t i, col = 0;

	for (i = 0; i < len; i++) {
		if (s[i] == '\n') {
			assert_true(i > 0 && s[i - 1] == '\r');
			col = 0;
		} else if (s[i] == '\r') {
			assert_true(i + 1 < len && s[i + 1] == '\n');
		} else {
			col++;
			if (col > max)
				fail_msg("line longer than %zu at offset %zu", max, i);
		}
	}
}

static void expect_qp(const char *in, const char *want)
{
	struct buf b = BUF_INIT;

	buf_adds(&b, "x");
	mime_encode_qp(&b, in, strlen(in));
	assert_string_equal(b.ptr + 1, want);
	assert_int_equal(b.len, strlen(b.ptr));
	buf_release(&b);
}

static void test_qp(void **state)
{
	struct buf in = BUF_INIT, out = BUF_INIT, want = BUF_INIT;
	unsigned int seed = 12345;
	size_t i;

	(void)state;
	expect_qp("", "");
	expect_qp("a=b\n", "a=3Db\r\n");
	expect_qp("x  \ny\t\r\nz ", "x =20\r\ny=09\r\nz=20");
	expect_qp(".hidden\n..two\n.\nmid.dot\n", "=2Ehidden\r\n=2E.two\r\n=2E\r\nmid.dot\r\n");
	expect_qp("From me\nFrom\n", "=46rom me\r\nFrom\r\n");
	expect_qp("Gr\xc3\xbc\xc3\x9f" "e", "Gr=C3=BC=C3=9Fe");
	expect_qp("a\rb\r", "a=0Db=0D");
	expect_qp("tab\tinside", "tab\tinside");
	expect_qp("\n\n", "\r\n\r\n");

	/* 200 characters: two soft breaks, lines of 75 + '=' */
	for (i = 0; i < 200; i++)
		buf_addc(&in, 'a');
	buf_adds(&in, "  \n");
	mime_encode_qp(&out, in.ptr, in.len);
	for (i = 0; i < 150; i++) {
		buf_addc(&want, 'a');
		if (i % 75 == 74)
			buf_adds(&want, "=\r\n");
	}
	for (i = 0; i < 50; i++)
		buf_addc(&want, 'a');
	buf_adds(&want, " =20\r\n");
	assert_string_equal(out.ptr, want.ptr);

	/* a soft break never leaves a '.' or whitespace at a line edge */
	buf_reset(&in);
	buf_reset(&out);
	for (i = 0; i < 75; i++)
		buf_addc(&in, 'b');
	buf_adds(&in, ".dot");
	mime_encode_qp(&out, in.ptr, in.len);
	assert_non_null(strstr(out.ptr, "=\r\n=2Edot"));

	/* any bytes: CRLF only, lines of at most 76, never "=_" (the boundary) */
	buf_reset(&in);
	buf_reset(&out);
	for (i = 0; i < 100000; i++) {
		seed = seed * 1103515245u + 12345u;
		buf_addc(&in, (char)(seed >> 16 & 0xff));
	}
	mime_encode_qp(&out, in.ptr, in.len);
	assert_lines_crlf(out.ptr, out.len, 76);
	assert_null(strstr(out.ptr, "=_"));
	assert_null(memchr(out.ptr, '\0', out.len));
	buf_release(&in);
	buf_release(&out);
	buf_release(&want);
}

static void expect_words(const char *in, size_t col, const char *want)
{
	struct buf b = BUF_INIT;

	mime_encode_header_words(&b, in, col);
	assert_string_equal(b.ptr, want);
	buf_release(&b);
}

static void test_header_words(void **state)
{
	struct buf b = BUF_INIT, s = BUF_INIT;
	const char *p, *q;
	int i;

	(void)state;
	expect_words("December update", 9, "December update");
	expect_words("Gr\xc3\xbc\xc3\x9f" "e aus M\xc3\xbc" "nchen", 9,
		     "=?UTF-8?Q?Gr=C3=BC=C3=9Fe_aus_M=C3=BCnchen?=");
	/* CJK is shorter in base64 */
	expect_words("\xe6\x9d\xb1\xe4\xba\xac", 9, "=?UTF-8?B?5p2x5Lqs?=");
	/* something that looks like an encoded-word is encoded itself */
	expect_words("=?x?", 9, "=?UTF-8?Q?=3D=3Fx=3F?=");
	/* plain ASCII folds at spaces by column 78 */
	for (i = 0; i < 20; i++)
		buf_adds(&s, "word ");
	buf_adds(&s, "end");
	mime_encode_header_words(&b, s.ptr, 9);
	assert_string_equal(b.ptr, "word word word word word word word word word word word word word word\r\n"
				   " word word word word word word end");

	/* long non-ASCII text: words of at most 75, lines of at most 78 */
	buf_reset(&s);
	buf_reset(&b);
	for (i = 0; i < 60; i++)
		buf_adds(&s, "\xc3\xa4\xe6\x9d\xb1 x");
	mime_encode_header_words(&b, s.ptr, 9);
	assert_lines_crlf(b.ptr, b.len, 78);
	assert_true(strstr(b.ptr, "\r\n") - b.ptr <= 78 - 9);
	for (p = b.ptr; (p = strstr(p, "=?UTF-8?")); p = q + 2) {
		q = strstr(p + 10, "?=");
		assert_non_null(q);
		assert_true(q + 2 - p <= 75);
	}
	buf_release(&b);
	buf_release(&s);
}

static void expect_address(const char *value, const char *name, const char *address)
{
	struct mime_address a = { NULL, NULL };

	if (mime_parse_address(&a, value) != 0)
		fail_msg("'%s' refused: %s", value, error_last());
	if (name)
		assert_string_equal(a.name, name);
	else
		assert_null(a.name);
	assert_string_equal(a.address, address);
	mime_address_release(&a);
	assert_null(a.address);
}

static void expect_bad_address(const char *value, const char *message)
{
	struct mime_address a = { NULL, NULL };

	assert_int_equal(mime_parse_address(&a, value), -1);
	assert_null(a.name);
	assert_null(a.address);
	assert_string_equal(error_last(), message);
}

static void test_parse_address(void **state)
{
	(void)state;
	expect_address("Alice Adams <alice@example.com>", "Alice Adams", "alice@example.com");
	expect_address("  \"Adams, Alice\"   <alice@example.com> ", "Adams, Alice", "alice@example.com");
	expect_address("\"Al \\\"Boss\\\" \\\\ Adams\" <a@example.com>", "Al \"Boss\" \\ Adams", "a@example.com");
	expect_address("J\xc3\xbcrgen M\xc3\xbcller <j@example.com>", "J\xc3\xbcrgen M\xc3\xbcller", "j@example.com");
	expect_address("<a@example.com>", NULL, "a@example.com");
	expect_address("a@example.com", NULL, "a@example.com");
	expect_address("\"\" <a@example.com>", NULL, "a@example.com");

	expect_bad_address("alice", "address header: invalid address 'alice': expected local@domain");
	expect_bad_address("Alice <alice>", "address header: invalid address 'alice': expected local@domain");
	expect_bad_address("@example.com", "address header: invalid address '@example.com': expected local@domain");
	expect_bad_address("a@", "address header: invalid address 'a@': expected local@domain");
	expect_bad_address("a@b@example.com", "address header: invalid address 'a@b@example.com': more than one '@'");
	expect_bad_address("alice adams@example.com",
			   "address header: invalid address 'alice adams@example.com': spaces, angle brackets, "
			   "specials and non-ASCII characters are not allowed");
	expect_bad_address("Alice <a>b@example.com>",
			   "address header: invalid address 'a>b@example.com': spaces, angle brackets, "
			   "specials and non-ASCII characters are not allowed");
	expect_bad_address("Alice <>", "address header: empty address");
	expect_bad_address("Alice a@example.com>", "address header: '>' without '<' in 'Alice a@example.com>'");
	expect_bad_address("j\xc3\xbc@example.com",
			   "address header: invalid address 'j\xc3\xbc@example.com': spaces, angle brackets, "
			   "specials and non-ASCII characters are not allowed");
	expect_bad_address("Alice\r\nBcc: x@example.com <a@example.com>",
			   "address header: line break or control character refused");
	expect_bad_address("\"A \" B\" <a@example.com>",
			   "address header: unbalanced quotes in the name of '\"A \" B\" <a@example.com>'");
	expect_bad_address("\xff <a@example.com>", "address header: invalid UTF-8 in the name");
	expect_bad_address(NULL, "address header: missing address");
}

static void test_date_and_headers(void **state)
{
	static const char want[] =
		"Date: Thu, 03 Dec 2026 09:30:05 +0000\r\n"
		"From: Alice Adams <alice@example.com>\r\n"
		"To: Jana Novak <jana.novak@example.net>\r\n"
		"Subject: December update\r\n"
		"Message-ID: <0123456789abcdef0123456789abcdef@example.com>\r\n"
		"MIME-Version: 1.0\r\n"
		"List-Unsubscribe: <https://status.example.com/unsubscribe/#TOKEN>,\r\n"
		" <mailto:unsubscribe@example.com?subject=unsubscribe%20TOKEN>\r\n"
		"List-Id: December update <december-update.example.com>\r\n"
		"Precedence: bulk\r\n"
		"X-Mailout-Campaign: december-update\r\n"
		"X-Mailout-Recipient: c-1001\r\n"
		"Content-Type: multipart/alternative; boundary=\"=_mailout_";
	struct mime_message m = sample();
	struct buf b = BUF_INIT;
	char *msg, *h;

	(void)state;
	assert_int_equal(mime_date(&b, DEC_3_2026), 0);
	assert_string_equal(b.ptr, "Thu, 03 Dec 2026 09:30:05 +0000");
	buf_reset(&b);
	assert_int_equal(mime_date(&b, (time_t)951782400), 0);
	assert_string_equal(b.ptr, "Tue, 29 Feb 2000 00:00:00 +0000");
	buf_release(&b);

	msg = build(&m);
	assert_memory_equal(msg, want, sizeof(want) - 1);
	assert_non_null(strstr(msg, "\r\n\r\n--=_mailout_"));
	assert_null(strstr(msg, "List-Unsubscribe-Post"));
	assert_lines_crlf(msg, strlen(msg), 78);

	/* the brief's header, once unfolded */
	h = header(msg, "List-Unsubscribe");
	assert_string_equal(h, "List-Unsubscribe: <https://status.example.com/unsubscribe/#TOKEN>,\r\n"
			       " <mailto:unsubscribe@example.com?subject=unsubscribe%20TOKEN>");
	memmove(h + 66, h + 68, strlen(h + 68) + 1);
	assert_string_equal(h, "List-Unsubscribe: <https://status.example.com/unsubscribe/#TOKEN>, "
			       "<mailto:unsubscribe@example.com?subject=unsubscribe%20TOKEN>");
	free(h);
	free(msg);

	/* short enough for one line */
	m.unsubscribe_https = "https://a.test/#T";
	m.unsubscribe_mailto = "mailto:u@a.test";
	m.one_click = 1;
	m.list_id = NULL;
	m.campaign = NULL;
	m.recipient = NULL;
	m.to_name = NULL;
	msg = build(&m);
	h = header(msg, "List-Unsubscribe");
	assert_string_equal(h, "List-Unsubscribe: <https://a.test/#T>, <mailto:u@a.test>");
	free(h);
	h = header(msg, "List-Unsubscribe-Post");
	assert_string_equal(h, "List-Unsubscribe-Post: List-Unsubscribe=One-Click");
	free(h);
	h = header(msg, "To");
	assert_string_equal(h, "To: jana.novak@example.net");
	free(h);
	assert_null(header(msg, "List-Id"));
	assert_null(header(msg, "X-Mailout-Campaign"));
	free(msg);

	/* mailto only; one-click needs the https URL */
	m.unsubscribe_https = NULL;
	m.one_click = 0;
	msg = build(&m);
	h = header(msg, "List-Unsubscribe");
	assert_string_equal(h, "List-Unsubscribe: <mailto:u@a.test>");
	free(h);
	assert_null(strstr(msg, "List-Unsubscribe-Post"));
	free(msg);
	m.one_click = 1;
	assert_int_equal(mime_build(&b, &m, NULL), -1);
	assert_string_equal(error_last(), "List-Unsubscribe-Post header: one-click needs an https URL");

	/* names with specials are quoted, non-ASCII ones encoded */
	m = sample();
	m.from = "\"Adams, Alice (Sales)\" <alice@example.com>";
	m.to_name = "Dr. J. \"Jay\" Novak";
	m.list_id = "December update (DACH) <december-update.example.com>";
	msg = build(&m);
	h = header(msg, "From");
	assert_string_equal(h, "From: \"Adams, Alice (Sales)\" <alice@example.com>");
	free(h);
	h = header(msg, "To");
	assert_string_equal(h, "To: \"Dr. J. \\\"Jay\\\" Novak\" <jana.novak@example.net>");
	free(h);
	h = header(msg, "List-Id");
	assert_string_equal(h, "List-Id: \"December update (DACH)\" <december-update.example.com>");
	free(h);
	free(msg);
	m.from = "J\xc3\xbcrgen M\xc3\xbcller <j@example.com>";
	msg = build(&m);
	h = header(msg, "From");
	assert_string_equal(h, "From: =?UTF-8?Q?J=C3=BCrgen_M=C3=BCller?= <j@example.com>");
	free(h);
	free(msg);
	m.from = "j@example.com";
	msg = build(&m);
	h = header(msg, "From");
	assert_string_equal(h, "From: j@example.com");
	free(h);
	free(msg);
}

static void expect_refused(const struct mime_message *m, const char *message)
{
	struct buf b = BUF_INIT;

	buf_adds(&b, "kept");
	assert_int_equal(mime_build(&b, m, NULL), -1);
	assert_string_equal(b.ptr, "kept");
	assert_string_equal(error_last(), message);
	buf_release(&b);
}

static void test_refuses_injection(void **state)
{
	static const char *const breaks[] = { "\r", "\n", "\r\n", "\x01", "\x7f" };
	struct mime_message m;
	struct buf v = BUF_INIT;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(breaks) / sizeof(breaks[0]); i++) {
		buf_reset(&v);
		buf_addf(&v, "Hello%sBcc: victim@example.net", breaks[i]);

		m = sample();
		m.subject = v.ptr;
		expect_refused(&m, "Subject header: line break or control character refused");

		m = sample();
		m.to_name = v.ptr;
		expect_refused(&m, "To header: line break or control character refused");

		m = sample();
		buf_reset(&v);
		buf_addf(&v, "Alice%sBcc: victim@example.net <alice@example.com>", breaks[i]);
		m.from = v.ptr;
		expect_refused(&m, "From header: line break or control character refused");

		m = sample();
		buf_reset(&v);
		buf_addf(&v, "https://status.example.com/u%sBcc: victim@example.net", breaks[i]);
		m.unsubscribe_https = v.ptr;
		expect_refused(&m, "List-Unsubscribe header: line break or control character refused");

		m = sample();
		buf_reset(&v);
		buf_addf(&v, "mailto:u@example.com%sBcc: victim@example.net", breaks[i]);
		m.unsubscribe_mailto = v.ptr;
		expect_refused(&m, "List-Unsubscribe header: line break or control character refused");

		m = sample();
		buf_reset(&v);
		buf_addf(&v, "jana@example.net%sBcc: victim@example.net", breaks[i]);
		m.to_address = v.ptr;
		expect_refused(&m, "To header: line break or control character refused");

		m = sample();
		buf_reset(&v);
		buf_addf(&v, "<a@example.com>%sBcc: victim@example.net", breaks[i]);
		m.message_id = v.ptr;
		expect_refused(&m, "Message-ID header: line break or control character refused");

		m = sample();
		m.list_id = v.ptr;
		expect_refused(&m, "List-Id header: line break or control character refused");

		m = sample();
		buf_reset(&v);
		buf_addf(&v, "c-1%sBcc: victim@example.net", breaks[i]);
		m.recipient = v.ptr;
		expect_refused(&m, "X-Mailout-Recipient header: line break or control character refused");
		m = sample();
		m.campaign = v.ptr;
		expect_refused(&m, "X-Mailout-Campaign header: line break or control character refused");
	}

	m = sample();
	m.to_address = "jana";
	expect_refused(&m, "To header: invalid address 'jana': expected local@domain");
	m.to_address = "jana novak@example.net";
	expect_refused(&m, "To header: invalid address 'jana novak@example.net': spaces, angle brackets, "
			   "specials and non-ASCII characters are not allowed");
	m.to_address = "<jana@example.net>";
	expect_refused(&m, "To header: invalid address '<jana@example.net>': spaces, angle brackets, "
			   "specials and non-ASCII characters are not allowed");
	m = sample();
	m.from = "Alice <alice example.com>";
	expect_refused(&m, "From header: invalid address 'alice example.com': spaces, angle brackets, "
			   "specials and non-ASCII characters are not allowed");
	m = sample();
	m.unsubscribe_https = "http://status.example.com/u";
	expect_refused(&m, "List-Unsubscribe header: 'http://status.example.com/u' does not start with https://");
	m.unsubscribe_https = "https://status.example.com/u u";
	expect_refused(&m, "List-Unsubscribe header: invalid URL 'https://status.example.com/u u'");
	m = sample();
	m.unsubscribe_mailto = NULL;
	expect_refused(&m, "List-Unsubscribe header: the mailto URL is required");
	m = sample();
	m.message_id = "no-brackets@example.com";
	expect_refused(&m, "Message-ID header: expected <local@domain>, not 'no-brackets@example.com'");
	m = sample();
	m.subject = "bad \xc3\x28 utf-8";
	expect_refused(&m, "Subject header: invalid UTF-8");
	buf_release(&v);
}

static void test_message_id(void **state)
{
	struct mime_message m = sample();
	struct buf a = BUF_INIT, b = BUF_INIT;
	char *id1 = NULL, *id2 = NULL, *msg;
	size_t i;

	(void)state;
	/* same Message-ID, same bytes */
	assert_int_equal(mime_build(&a, &m, &id1), 0);
	assert_int_equal(mime_build(&b, &m, NULL), 0);
	assert_int_equal(a.len, b.len);
	assert_memory_equal(a.ptr, b.ptr, a.len);
	assert_string_equal(id1, m.message_id);
	free(id1);

	/* another Message-ID, another boundary */
	m.message_id = "<another@example.com>";
	buf_reset(&b);
	assert_int_equal(mime_build(&b, &m, NULL), 0);
	assert_string_not_equal(strstr(a.ptr, "boundary="), strstr(b.ptr, "boundary="));

	/* generated: 128 random bits in hex at the sender's domain */
	m.message_id = NULL;
	buf_reset(&a);
	buf_reset(&b);
	assert_int_equal(mime_build(&a, &m, &id1), 0);
	assert_int_equal(mime_build(&b, &m, &id2), 0);
	assert_int_equal(strlen(id1), 1 + 32 + 1 + 11 + 1);
	assert_int_equal(strspn(id1 + 1, "0123456789abcdef"), 32);
	assert_string_equal(id1 + 33, "@example.com>");
	assert_string_not_equal(id1, id2);
	msg = header(a.ptr, "Message-ID");
	assert_memory_equal(msg + 12, id1, strlen(id1) + 1);
	free(msg);
	free(id1);
	free(id2);

	id1 = mime_message_id("Jana <jana@mail.example.net>");
	assert_non_null(id1);
	assert_string_equal(id1 + 33, "@mail.example.net>");
	free(id1);
	assert_null(mime_message_id("nodomain"));
	assert_null(mime_message_id("a@exa mple.com"));
	for (i = 0; i < 10; i++) {
		id1 = mime_message_id("a@example.com");
		assert_int_equal(strlen(id1), 46);
		free(id1);
	}
	buf_release(&a);
	buf_release(&b);
}

/* json.dumps(s, ensure_ascii=False) */
static void add_json(struct buf *b, const char *s)
{
	const unsigned char *p;

	if (!s) {
		buf_adds(b, "null");
		return;
	}
	buf_addc(b, '"');
	for (p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '"': buf_adds(b, "\\\""); break;
		case '\\': buf_adds(b, "\\\\"); break;
		case '\n': buf_adds(b, "\\n"); break;
		case '\r': buf_adds(b, "\\r"); break;
		case '\t': buf_adds(b, "\\t"); break;
		case '\b': buf_adds(b, "\\b"); break;
		case '\f': buf_adds(b, "\\f"); break;
		default:
			if (*p < 0x20)
				buf_addf(b, "\\u%04x", *p);
			else
				buf_addc(b, (char)*p);
		}
	}
	buf_addc(b, '"');
}

struct sample_case {
	struct mime_message m;
	const char *subject, *from_name, *to_name, *text, *html; /* as decoded */
};

static void write_file(const char *path, const char *data, size_t len)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

static int run_checker(const char *dir, const char *files, struct buf *out, struct buf *err)
{
	struct buf cmd = BUF_INIT, errpath = BUF_INIT;
	char chunk[4096];
	FILE *p;
	size_t n;
	int status;

	buf_addf(&errpath, "%s/stderr", dir);
	buf_addf(&cmd, CHECKER "%s 2>%s", files, errpath.ptr);
	p = popen(cmd.ptr, "r");
	assert_non_null(p);
	while ((n = fread(chunk, 1, sizeof(chunk), p)) > 0)
		buf_add(out, chunk, n);
	status = pclose(p);
	assert_int_equal(buf_read_file(err, errpath.ptr, 1 << 20), 0);
	unlink(errpath.ptr);
	buf_release(&cmd);
	buf_release(&errpath);
	assert_true(WIFEXITED(status));
	return WEXITSTATUS(status);
}

/* A scratch directory for the messages, removed with whatever it holds. */
static int make_dir(void **state)
{
	char *dir = xstrdup("/tmp/mailout-mime-XXXXXX");

	if (!mkdtemp(dir)) {
		free(dir);
		return -1;
	}
	*state = dir;
	return 0;
}

static int remove_dir(void **state)
{
	char *dir = *state;
	struct dirent *e;
	DIR *d = opendir(dir);
	char *path;

	while (d && (e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		path = xasprintf("%s/%s", dir, e->d_name);
		unlink(path);
		free(path);
	}
	if (d)
		closedir(d);
	rmdir(dir);
	free(dir);
	return 0;
}

static void test_python_reads_it_back(void **state)
{
	const char *dir = *state;
	struct buf subject300 = BUF_INIT, long_text = BUF_INIT, long_subject = BUF_INIT;
	struct buf files = BUF_INIT, expected = BUF_INIT, out = BUF_INIT, err = BUF_INIT;
	struct buf path = BUF_INIT;
	struct sample_case cases[12];
	const char *pattern = "Angebot f\xc3\xbcr Sie \xe2\x80\x93 20 % auf Gr\xc3\xb6\xc3\x9f" "en, "
			      "\xe6\x9d\xb1\xe4\xba\xac\xe3\x81\xae\xe7\x9a\x86\xe6\xa7\x98 \xf0\x9f\x8e\x89 ";
	size_t ncases = 0, i, chars;
	const unsigned char *p;
	char *msg;

	/* 300 characters mixing ASCII, Latin, CJK and a 4-byte emoji */
	for (chars = 0, p = (const unsigned char *)pattern; chars < 300; chars++) {
		do {
			buf_addc(&subject300, (char)*p++);
			if (!*p)
				p = (const unsigned char *)pattern;
		} while ((*p & 0xc0) == 0x80);
	}
	for (i = 0; i < 200; i++)
		buf_addc(&long_text, (char)('a' + i % 26));
	buf_adds(&long_text, "   \n\tindented line with a tab at the end\t\n"
			     "From the start\n-- \nAlice\nno newline at the end  ");
	for (i = 0; i < 12; i++)
		buf_adds(&long_subject, "Quarterly report ");
	buf_adds(&long_subject, "https://status.example.com/a-very-long-unbreakable-link-that-goes-on-and-on-past-78");

	memset(cases, 0, sizeof(cases));
	cases[ncases].m = sample();
	cases[ncases].m.subject = "Gr\xc3\xbc\xc3\x9f" "e aus M\xc3\xbc" "nchen";
	cases[ncases].m.from = "J\xc3\xbcrgen M\xc3\xbcller <j@example.com>";
	cases[ncases].m.to_name = "Jana Nov\xc3\xa1k";
	cases[ncases].m.text = "Hallo Jana,\n\nsch\xc3\xb6ne Gr\xc3\xbc\xc3\x9f" "e.\n";
	cases[ncases].from_name = "J\xc3\xbcrgen M\xc3\xbcller";
	cases[ncases].to_name = "Jana Nov\xc3\xa1k";
	ncases++;

	cases[ncases].m = sample();
	cases[ncases].m.subject = "\xe6\x9d\xb1\xe4\xba\xac\xe3\x82\xaa\xe3\x83\x95\xe3\x82\xa3\xe3\x82\xb9"
				  "\xe3\x81\x8b\xe3\x82\x89\xe3\x81\xae\xe3\x81\x8a\xe7\x9f\xa5\xe3\x82\x89"
				  "\xe3\x81\x9b";
	cases[ncases].m.to_name = "\xe5\xb1\xb1\xe7\x94\xb0 \xe5\xa4\xaa\xe9\x83\x8e";
	cases[ncases].from_name = "Alice Adams";
	cases[ncases].to_name = "\xe5\xb1\xb1\xe7\x94\xb0 \xe5\xa4\xaa\xe9\x83\x8e";
	ncases++;

	cases[ncases].m = sample();
	cases[ncases].m.subject = subject300.ptr;
	cases[ncases].m.list_id = "Gr\xc3\xb6\xc3\x9f" "ere Kampagne <big.example.com>";
	cases[ncases].from_name = "Alice Adams";
	cases[ncases].to_name = "Jana Novak";
	ncases++;

	cases[ncases].m = sample();
	cases[ncases].m.from = "\"Adams, Alice \\\"Al\\\"\" <alice@example.com>";
	cases[ncases].m.to_name = "Novak, Jana (Acme \"Intl.\") \\ Sales";
	cases[ncases].from_name = "Adams, Alice \"Al\"";
	cases[ncases].to_name = "Novak, Jana (Acme \"Intl.\") \\ Sales";
	ncases++;

	cases[ncases].m = sample();
	cases[ncases].m.text = ".hidden line\n..two dots\n.\nnormal. line\n.";
	cases[ncases].m.html = ".<p>dot</p>\r\n.\r\n";
	cases[ncases].html = ".<p>dot</p>\n.\n";
	cases[ncases].from_name = "Alice Adams";
	cases[ncases].to_name = "Jana Novak";
	ncases++;

	cases[ncases].m = sample();
	cases[ncases].m.text = long_text.ptr;
	cases[ncases].m.subject = long_subject.ptr;
	cases[ncases].from_name = "Alice Adams";
	cases[ncases].to_name = "Jana Novak";
	ncases++;

	cases[ncases].m = sample();
	cases[ncases].m.html = "<p>&lt;b&gt;Evil &amp; Co&lt;/b&gt; =?UTF-8?Q?x?= =_mailout_</p>\n";
	cases[ncases].m.text = "<b>Evil & Co</b> =?UTF-8?Q?x?= =_mailout_\n";
	cases[ncases].from_name = "Alice Adams";
	cases[ncases].to_name = "Jana Novak";
	ncases++;

	cases[ncases].m = sample();
	cases[ncases].m.text = "line one\r\nline two\r\n\r\nend\r\n";
	cases[ncases].text = "line one\nline two\n\nend\n";
	cases[ncases].m.unsubscribe_https = "https://unsub.example.com/u?t=v1.lkn_ys.december-update.c-1001."
					    "RD7t0y5hT2Myoyg_IgrSaQ_xwJ_SA8xaBdKJURjt5Dg";
	cases[ncases].m.unsubscribe_mailto = "mailto:unsubscribe@example.com?subject=unsubscribe%20"
					     "v1.lkn_ys.december-update.c-1001."
					     "RD7t0y5hT2Myoyg_IgrSaQ_xwJ_SA8xaBdKJURjt5Dg";
	cases[ncases].m.one_click = 1;
	cases[ncases].m.to_name = NULL;
	cases[ncases].from_name = "Alice Adams";
	cases[ncases].to_name = "";
	ncases++;

	cases[ncases].m = sample();
	cases[ncases].m.to_name = "Prof. Dr. Hans-J\xc3\xbcrgen M\xc3\xbcller-L\xc3\xbc" "denscheidt, "
				  "Gesch\xc3\xa4" "ftsf\xc3\xbchrung der Gro\xc3\x9f" "handelsgesellschaft S\xc3\xbc" "d";
	cases[ncases].m.from = "Alice Adams of the Example Company Sales Department EMEA <"
			       "alice.adams.sales.department@example.com>";
	cases[ncases].from_name = "Alice Adams of the Example Company Sales Department EMEA";
	cases[ncases].to_name = cases[ncases].m.to_name;
	ncases++;

	cases[ncases].m = sample();
	cases[ncases].m.html = NULL;
	cases[ncases].m.text = "Plain only, no newline at the end";
	cases[ncases].m.from = "alice@example.com";
	cases[ncases].from_name = "";
	cases[ncases].to_name = "Jana Novak";
	ncases++;

	for (i = 0; i < ncases; i++) {
		struct sample_case *c = &cases[i];

		msg = build(&c->m);
		buf_reset(&path);
		buf_addf(&path, "%s/%zu.eml", dir, i);
		write_file(path.ptr, msg, strlen(msg));
		free(msg);
		buf_addf(&files, " %s", path.ptr);

		buf_adds(&expected, "{\"file\": ");
		add_json(&expected, path.ptr);
		buf_adds(&expected, ", \"subject\": ");
		add_json(&expected, c->subject ? c->subject : c->m.subject);
		buf_adds(&expected, ", \"from_name\": ");
		add_json(&expected, c->from_name);
		buf_adds(&expected, ", \"to_name\": ");
		add_json(&expected, c->to_name);
		buf_adds(&expected, ", \"text\": ");
		add_json(&expected, c->text ? c->text : c->m.text);
		buf_adds(&expected, ", \"html\": ");
		add_json(&expected, c->html ? c->html : c->m.html);
		buf_adds(&expected, "}\n");
	}
	if (run_checker(dir, files.ptr, &out, &err) != 0)
		fail_msg("check_mime.py found defects:\n%s", err.ptr);
	assert_string_equal(err.ptr, "");
	assert_string_equal(out.ptr, expected.ptr);

	/* the checker itself fails on broken messages */
	buf_reset(&path);
	buf_addf(&path, "%s/broken.eml", dir);
	write_file(path.ptr, "Subject: x\nFrom: a@example.com\n\nbody\n", 37);
	buf_reset(&files);
	buf_addf(&files, " %s", path.ptr);
	buf_reset(&path);
	buf_addf(&path, "%s/split.eml", dir);
	write_file(path.ptr, "Subject: =?UTF-8?Q?=E5=B1?= =?UTF-8?Q?=B1?=\r\n\r\nbody\r\n", 53);
	buf_addf(&files, " %s", path.ptr);
	buf_reset(&out);
	buf_reset(&err);
	assert_int_equal(run_checker(dir, files.ptr, &out, &err), 1);
	assert_non_null(strstr(err.ptr, "broken.eml: line 1: bare CR or LF"));
	assert_non_null(strstr(err.ptr, "split.eml: encoded-word does not decode on its own"));
	buf_release(&subject300);
	buf_release(&long_text);
	buf_release(&long_subject);
	buf_release(&files);
	buf_release(&expected);
	buf_release(&out);
	buf_release(&err);
	buf_release(&path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_qp),
		cmocka_unit_test(test_header_words),
		cmocka_unit_test(test_parse_address),
		cmocka_unit_test(test_date_and_headers),
		cmocka_unit_test(test_refuses_injection),
		cmocka_unit_test(test_message_id),
		cmocka_unit_test_setup_teardown(test_python_reads_it_back, make_dir, remove_dir),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
