#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "buf.h"
#include "fixture.h"
#include "diag.h"
#include "serve.h"
#include "token.h"

#define FORM(out, s, name) serve_form_value((out), (s), sizeof(s) - 1, (name), 64)

static void test_form_value(void **state)
{
	struct buf v = BUF_INIT;

	(void)state;
	assert_int_equal(FORM(&v, "List-Unsubscribe=One-Click", "List-Unsubscribe"), 1);
	assert_string_equal(v.ptr, "One-Click");
	assert_int_equal(FORM(&v, "a=1&t=v1.abc&t=second", "t"), 1);
	assert_string_equal(v.ptr, "v1.abc");
	assert_int_equal(FORM(&v, "tt=1&xt=2&t=%41+b%2", "t"), 1);
	assert_string_equal(v.ptr, "A b%2"); /* a % without two hex digits stays */
	assert_int_equal(FORM(&v, "t", "t"), 1);
	assert_string_equal(v.ptr, "");
	assert_int_equal(FORM(&v, "t=", "t"), 1);
	assert_string_equal(v.ptr, "");
	assert_int_equal(FORM(&v, "", "t"), 0);
	assert_int_equal(FORM(&v, "&&=&T=1", "t"), 0);
	assert_int_equal(v.len, 0);
	assert_int_equal(FORM(&v, "t=%00x", "t"), 1);
	assert_int_equal(v.len, 2);
	assert_int_equal(v.ptr[0], '\0');
	assert_int_equal(serve_form_value(&v, "t=abcdef", 8, "t", 3), -1);
	assert_string_equal(v.ptr, "abc");
	buf_release(&v);
}

static char *spool; /* of the test running */

static void write_file(const char *name, const char *text)
{
	assert_int_equal(fixture_write(spool, name, text), 0);
}

static char *read_spool(const char *name)
{
	char path[256];
	struct buf b = BUF_INIT;

	snprintf(path, sizeof(path), "%s/%s", spool, name);
	assert_int_equal(buf_read_file(&b, path, 1 << 20), 0);
	return buf_detach(&b, NULL);
}

static void options(struct serve_options *o, const struct token_keys *keys)
{
	memset(o, 0, sizeof(*o));
	o->listen = "127.0.0.1:0";
	o->spool = spool;
	o->path = "/u";
	o->org_name = "Example";
	o->mailto = "unsubscribe@example.com";
	o->keys = keys;
	o->mailbox = "imap://127.0.0.1:1/INBOX"; /* nobody listens: entries wait */
	o->username = "u";
	o->password = "p";
	o->retry_ms = 60000;
}

#define SECRET "unit-secret-0123456789-0123456789-abc"

static void spool_make(void)
{
	spool = fixture_tmpdir();
	assert_non_null(spool);
}

static void spool_remove(void)
{
	fixture_remove(spool);
	free(spool);
	spool = NULL;
}

/* Starts a server on the spool, stops it and returns what it found. */
static struct serve_recovery restart(const struct serve_options *o)
{
	struct serve *s = NULL;
	struct serve_recovery r;

	assert_int_equal(serve_start(&s, o), 0);
	assert_true(serve_port(s) > 0);
	r = *serve_recovered(s);
	serve_stop(s);
	return r;
}

/* A restart reads the journal back: delivered entries, damaged lines and
 * a line a crash cut short are left out and counted, and both files are
 * rewritten without them. */
static void test_journal_restart(void **state)
{
	struct token_keys *keys = NULL;
	struct serve_options o;
	struct serve *s = NULL;
	struct serve_recovery r;
	char *a, *b, *c, *d, *text, journal[2048], delivered[512], want[1024];

	(void)state;
	spool_make();
	assert_int_equal(token_keys_from_secret(&keys, SECRET, NULL), 0);
	a = token_make(keys, "news", "r-1");
	b = token_make(keys, "news", "r-2");
	c = token_make(keys, "news", "r-3");
	d = token_make(keys, "news", "r-4");
	snprintf(journal, sizeof(journal), "%s\t100\n%s\t101\n%s\t102\nnot-a-token\t5\n%s\t103\n%.30s", a, b, a, c, d);
	write_file(SERVE_JOURNAL_FILE, journal);
	snprintf(delivered, sizeof(delivered), "%s\n", b); /* a file of before: no time */
	write_file(SERVE_DELIVERED_FILE, delivered);
	options(&o, keys);
	r = restart(&o);
	assert_int_equal(r.waiting, 2);
	assert_int_equal(r.delivered, 1);
	assert_int_equal(r.cut_bytes, 30);
	assert_int_equal(r.bad_lines, 1);
	text = read_spool(SERVE_JOURNAL_FILE);
	snprintf(want, sizeof(want), "%s\t100\n%s\t103\n", a, c);
	assert_string_equal(text, want);
	free(text);
	text = read_spool(SERVE_DELIVERED_FILE);
	assert_int_equal(strncmp(text, b, strlen(b)), 0);
	assert_int_equal(text[strlen(b)], '\t');
	free(text);
	/* again: nothing more to report, nothing lost, nothing twice */
	r = restart(&o);
	assert_int_equal(r.waiting, 2);
	assert_int_equal(r.delivered, 1);
	assert_int_equal(r.cut_bytes + r.bad_lines, 0);
	text = read_spool(SERVE_JOURNAL_FILE);
	assert_string_equal(text, want);
	free(text);

	/* what is wrong with the options */
	o.listen = "127.0.0.1";
	assert_int_equal(serve_start(&s, &o), -1);
	assert_null(s);
	assert_non_null(strstr(error_last(), "is not ADDR:PORT"));
	o.listen = "127.0.0.1:0";
	o.mailbox = "https://imap.example.com/INBOX";
	assert_int_equal(serve_start(&s, &o), -1);
	assert_non_null(strstr(error_last(), "not imap:// or imaps://"));
	free(a);
	free(b);
	free(c);
	free(d);
	token_keys_free(keys);
	spool_remove();
}

/* The journal cut at every byte (a crash or a full disk mid-write): the
 * whole lines before the cut wait, once each, and the rest is reported. */
static void test_journal_cut_anywhere(void **state)
{
	struct token_keys *keys = NULL;
	struct serve_options o;
	struct serve_recovery r;
	struct buf journal = BUF_INIT;
	char *tokens[3], *text;
	size_t cut, i, lines, last_nl;

	(void)state;
	spool_make();
	assert_int_equal(token_keys_from_secret(&keys, SECRET, NULL), 0);
	for (i = 0; i < 3; i++) {
		char id[8];
		snprintf(id, sizeof(id), "r-%zu", i);
		tokens[i] = token_make(keys, "news", id);
		buf_addf(&journal, "%s\t%zu\n", tokens[i], 1000 + i);
	}
	options(&o, keys);
	for (cut = 0; cut <= journal.len; cut++) {
		char *part = strndup(journal.ptr, cut);
		write_file(SERVE_JOURNAL_FILE, part);
		free(part);
		for (i = 0, lines = 0, last_nl = 0; i < cut; i++)
			if (journal.ptr[i] == '\n') {
				lines++;
				last_nl = i + 1;
			}
		r = restart(&o);
		assert_int_equal(r.waiting, lines);
		assert_int_equal(r.cut_bytes, cut - last_nl);
		assert_int_equal(r.bad_lines, 0);
		text = read_spool(SERVE_JOURNAL_FILE);
		assert_int_equal(strlen(text), last_nl);
		assert_memory_equal(text, journal.ptr, last_nl);
		free(text);
	}
	for (i = 0; i < 3; i++)
		free(tokens[i]);
	buf_release(&journal);
	token_keys_free(keys);
	spool_remove();
}

/* Delivered tokens are forgotten after delivered_keep seconds and beyond
 * delivered_max, so SPOOL/delivered does not grow without bound. */
static void test_delivered_pruned(void **state)
{
	struct token_keys *keys = NULL;
	struct serve_options o;
	struct serve_recovery r;
	struct buf delivered = BUF_INIT, want = BUF_INIT;
	long long now = (long long)time(NULL);
	char *token, *text, id[8];
	size_t i;

	(void)state;
	spool_make();
	assert_int_equal(token_keys_from_secret(&keys, SECRET, NULL), 0);
	for (i = 0; i < 6; i++) {
		/* r-0, r-1, r-2 delivered 8 days ago; r-3, r-4, r-5 an hour ago */
		long long at = i < 3 ? now - 8 * 24 * 3600 : now - 3600 + (long long)i;
		snprintf(id, sizeof(id), "r-%zu", i);
		token = token_make(keys, "news", id);
		buf_addf(&delivered, "%s\t%lld\n", token, at);
		if (i >= 4)
			buf_addf(&want, "%s\t%lld\n", token, at);
		free(token);
	}
	write_file(SERVE_DELIVERED_FILE, delivered.ptr);
	options(&o, keys);
	o.delivered_max = 2;
	r = restart(&o);
	assert_int_equal(r.delivered, 2);
	text = read_spool(SERVE_DELIVERED_FILE);
	assert_string_equal(text, want.ptr);
	free(text);
	o.delivered_max = 0;
	o.delivered_keep = 1800; /* half an hour: none is that young */
	r = restart(&o);
	assert_int_equal(r.delivered, 0);
	text = read_spool(SERVE_DELIVERED_FILE);
	assert_string_equal(text, "");
	free(text);
	buf_release(&delivered);
	buf_release(&want);
	token_keys_free(keys);
	spool_remove();
}

static size_t discard(char *ptr, size_t size, size_t nmemb, void *arg)
{
	(void)ptr;
	(void)arg;
	return size * nmemb;
}

/* POSTs token to the server: the status code. */
static long post(unsigned port, const char *token)
{
	CURL *c = curl_easy_init();
	char url[600];
	long code = 0;

	snprintf(url, sizeof(url), "http://127.0.0.1:%u/u?t=%s", port, token);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, "List-Unsubscribe=One-Click");
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
	assert_int_equal(curl_easy_perform(c), CURLE_OK);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	curl_easy_cleanup(c);
	return code;
}

/* A journal write that fails (here: the file size limit, as a full disk
 * would) is answered 503 and leaves no partial line; the next request,
 * with room again, is recorded whole. */
static void test_write_fails(void **state)
{
	struct token_keys *keys = NULL;
	struct serve_options o;
	struct serve *s = NULL;
	struct rlimit was, small;
	char *a, *b, *text, want[1024];

	(void)state;
	spool_make();
	assert_int_equal(token_keys_from_secret(&keys, SECRET, NULL), 0);
	a = token_make(keys, "news", "r-1");
	b = token_make(keys, "news", "r-2");
	options(&o, keys);
	assert_int_equal(serve_start(&s, &o), 0);
	signal(SIGXFSZ, SIG_IGN);
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &was), 0);
	small = was;
	small.rlim_cur = 20; /* a line is about 90 bytes */
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &small), 0);
	assert_int_equal(post(serve_port(s), a), 503);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &was), 0);
	text = read_spool(SERVE_JOURNAL_FILE);
	assert_string_equal(text, "");
	free(text);
	assert_int_equal(post(serve_port(s), b), 200);
	assert_int_equal(post(serve_port(s), a), 200);
	serve_stop(s);
	text = read_spool(SERVE_JOURNAL_FILE);
	assert_int_equal(strncmp(text, b, strlen(b)), 0);
	snprintf(want, sizeof(want), "\n%s\t", a);
	assert_non_null(strstr(text, want));
	assert_int_equal(text[strlen(text) - 1], '\n');
	free(text);
	free(a);
	free(b);
	token_keys_free(keys);
	spool_remove();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_form_value),
		cmocka_unit_test(test_journal_restart),
		cmocka_unit_test(test_journal_cut_anywhere),
		cmocka_unit_test(test_delivered_pruned),
		cmocka_unit_test(test_write_fails),
	};
	int r;

	curl_global_init(CURL_GLOBAL_DEFAULT);
	r = cmocka_run_group_tests(tests, NULL, NULL);
	curl_global_cleanup();
	return r;
}
