#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>

#include "buf.h"
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

static char spool[] = "/tmp/mailout-serve-test.XXXXXX";

static void write_file(const char *name, const char *text)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", spool, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
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

/* A restart reads the journal back: delivered entries and a line a crash
 * cut short are left out, and the journal is rewritten without them. */
static void test_journal_restart(void **state)
{
	struct token_keys *keys = NULL;
	struct serve_options o;
	struct serve *s = NULL;
	char *text, rm[300];

	(void)state;
	assert_non_null(mkdtemp(spool));
	assert_int_equal(token_keys_from_secret(&keys, "unit-secret-0123456789-0123456789-abc", NULL), 0);
	write_file(SERVE_JOURNAL_FILE, "v1.aaa\t100\nv1.bbb\t101\nv1.aaa\t102\nv1.ccc\t103\nv1.cut");
	write_file(SERVE_DELIVERED_FILE, "v1.bbb\n");
	options(&o, keys);
	assert_int_equal(serve_start(&s, &o), 0);
	assert_true(serve_port(s) > 0);
	serve_stop(s);
	text = read_spool(SERVE_JOURNAL_FILE);
	assert_string_equal(text, "v1.aaa\t100\nv1.ccc\t103\n");
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
	token_keys_free(keys);
	snprintf(rm, sizeof(rm), "rm -rf '%s'", spool);
	assert_int_equal(system(rm), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_form_value),
		cmocka_unit_test(test_journal_restart),
	};
	int r;

	curl_global_init(CURL_GLOBAL_DEFAULT);
	r = cmocka_run_group_tests(tests, NULL, NULL);
	curl_global_cleanup();
	return r;
}
