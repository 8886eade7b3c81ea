#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "token.h"
#include "unsubscribe.h"
#include "xalloc.h"

#define SECRET "alpha-secret-0123456789-abcdefghij-XYZ"
#define OTHER "bravo-secret-0123456789-abcdefghij-XYZ"

static struct token_keys *keys(const char *secret)
{
	struct token_keys *k = NULL;

	assert_int_equal(token_keys_from_secret(&k, secret, NULL), 0);
	return k;
}

static void parse(struct unsubscribe_request *u, const struct token_keys *k, const char *mail)
{
	unsubscribe_parse(u, k, mail, strlen(mail));
}

static void test_token_in_subject(void **state)
{
	struct token_keys *k = keys(SECRET);
	struct unsubscribe_request u;
	char *t = token_make(k, "december-update", "c-1001"), *mail;

	(void)state;
	mail = xasprintf("From: Jana <Jana@Example.NET>\r\nSubject: unsubscribe%%20%s\r\n\r\nThanks\r\n", t);
	parse(&u, k, mail);
	assert_int_equal(u.kind, UNSUBSCRIBE_TOKEN);
	assert_string_equal(u.campaign, "december-update");
	assert_string_equal(u.recipient, "c-1001");
	assert_null(u.why);
	assert_string_equal(u.from, "jana@example.net");
	assert_int_equal(u.asks, 1);
	unsubscribe_request_release(&u);
	assert_null(u.campaign);
	free(mail);
	free(t);
	token_keys_free(k);
}

static void test_token_in_quoted_printable_body(void **state)
{
	struct token_keys *k = keys(SECRET);
	struct unsubscribe_request u;
	char *t = token_make(k, "news", "c-7.x"), *mail;

	(void)state;
	/* a soft line break in the middle of the token, and a bad token first */
	mail = xasprintf("From: c7@example.com\r\nSubject: Re: News\r\n"
			 "Content-Type: text/plain; charset=utf-8\r\n"
			 "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
			 "> v1.abcdef.news.c-7.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\r\n"
			 "> https://status.example.com/unsubscribe/#%.20s=\r\n%s.\r\n",
			 t, t + 20);
	parse(&u, k, mail);
	assert_int_equal(u.kind, UNSUBSCRIBE_TOKEN);
	assert_string_equal(u.campaign, "news");
	assert_string_equal(u.recipient, "c-7.x");
	assert_int_equal(u.asks, 0);
	unsubscribe_request_release(&u);
	free(mail);
	free(t);
	token_keys_free(k);
}

static void test_forged_and_unknown_key(void **state)
{
	struct token_keys *k = keys(SECRET), *other = keys(OTHER);
	struct unsubscribe_request u;
	char *t = token_make(k, "news", "c-1"), *t2 = token_make(other, "news", "c-1"), *mail;

	(void)state;
	t[strlen(t) - 1] = t[strlen(t) - 1] == 'A' ? 'B' : 'A';
	mail = xasprintf("Subject: %s\r\n\r\n%s\r\n", t, t2);
	parse(&u, k, mail);
	/* the first failure counts */
	assert_int_equal(u.kind, UNSUBSCRIBE_FORGED);
	assert_non_null(u.why);
	assert_null(u.campaign);
	assert_null(u.from);
	unsubscribe_request_release(&u);
	free(mail);

	mail = xasprintf("Subject: unsubscribe\r\n\r\n%s\r\n", t2);
	parse(&u, k, mail);
	assert_int_equal(u.kind, UNSUBSCRIBE_UNKNOWN_KEY);
	assert_non_null(u.why);
	assert_int_equal(u.asks, 1);
	unsubscribe_request_release(&u);
	free(mail);
	free(t);
	free(t2);
	token_keys_free(k);
	token_keys_free(other);
}

static void test_mangled_token(void **state)
{
	struct token_keys *k = keys(SECRET);
	struct unsubscribe_request u;
	char *t = token_make(k, "news", "c-1"), *mail;

	(void)state;
	t[strlen(t) - 1] = '\0'; /* one character short: not a token's shape */
	mail = xasprintf("From: a@example.com\r\nSubject: unsubscribe %s\r\n\r\n", t);
	parse(&u, k, mail);
	assert_int_equal(u.kind, UNSUBSCRIBE_MANGLED);
	assert_null(u.why);
	unsubscribe_request_release(&u);
	free(mail);

	/* a version number is no token */
	parse(&u, k, "From: a@example.com\r\nSubject: about v1.2.3\r\n\r\n");
	assert_int_equal(u.kind, UNSUBSCRIBE_NO_TOKEN);
	unsubscribe_request_release(&u);
	free(t);
	token_keys_free(k);
}

static void test_no_token(void **state)
{
	struct token_keys *k = keys(SECRET);
	struct unsubscribe_request u;

	(void)state;
	parse(&u, k, "From: \"Doe, Jane\" <JANE@example.net>\r\nSubject: =?UTF-8?Q?Bitte_ABMELDEN?=\r\n\r\nhi\r\n");
	assert_int_equal(u.kind, UNSUBSCRIBE_NO_TOKEN);
	assert_string_equal(u.from, "jane@example.net");
	assert_int_equal(u.asks, 1);
	unsubscribe_request_release(&u);

	/* the first line of text asks; a later line does not count */
	parse(&u, k, "From: jane@example.net\r\nSubject: Re: News\r\n\r\n\r\n  Unsubscribe me  \r\n");
	assert_int_equal(u.asks, 1);
	unsubscribe_request_release(&u);
	parse(&u, k, "From: jane@example.net\r\nSubject: Re: News\r\n\r\nThanks\r\nunsubscribe\r\n");
	assert_int_equal(u.kind, UNSUBSCRIBE_NO_TOKEN);
	assert_int_equal(u.asks, 0);
	unsubscribe_request_release(&u);

	/* any bytes */
	unsubscribe_parse(&u, k, "", 0);
	assert_int_equal(u.kind, UNSUBSCRIBE_NO_TOKEN);
	assert_null(u.from);
	assert_int_equal(u.asks, 0);
	unsubscribe_request_release(&u);
	token_keys_free(k);
}

static void test_says(void **state)
{
	(void)state;
	assert_int_equal(unsubscribe_says("please UnSubscribe", 18), 1);
	assert_int_equal(unsubscribe_says("please UnSubscrib", 17), 0);
	assert_int_equal(unsubscribe_says("abmelden", 8), 1);
	assert_int_equal(unsubscribe_says("abmelden", 7), 0);
	assert_int_equal(unsubscribe_says("", 0), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_token_in_subject),
		cmocka_unit_test(test_token_in_quoted_printable_body),
		cmocka_unit_test(test_forged_and_unknown_key),
		cmocka_unit_test(test_mangled_token),
		cmocka_unit_test(test_no_token),
		cmocka_unit_test(test_says),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
