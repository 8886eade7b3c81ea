#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "plan_fixture.h"
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

/* ---- what the sync makes of a message, with the plan ---- */

static int classify(struct plan_fx *f, struct unsubscribe_outcome *o, const struct token_keys *k,
		    const char *mail, int damaged)
{
	return unsubscribe_classify(o, f->plan, k, mail, strlen(mail), damaged);
}

static void expect_outcome(const struct unsubscribe_outcome *o, enum unsubscribe_verdict v,
			   const char *address, const char *source, const char *detail)
{
	assert_int_equal(o->verdict, v);
	if (address) {
		assert_string_equal(o->address, address);
		assert_string_equal(o->source, source);
	} else {
		assert_null(o->address);
		assert_null(o->source);
	}
	assert_string_equal(o->detail, detail);
}

static void test_classify_tokens(void **state)
{
	struct plan_fx *f = *state;
	struct token_keys *k = keys(SECRET), *other = keys(OTHER);
	struct unsubscribe_outcome o;
	char *t = token_make(k, "c1", "c-4"), *t2 = token_make(other, "c1", "c-4");
	char *t3 = token_make(k, "c1", "c-99"), *mail;

	/* a token gives the plan's address of its recipient, whoever sends it */
	mail = xasprintf("From: stranger@example.org\r\nSubject: unsubscribe %s\r\n\r\n", t);
	assert_int_equal(classify(f, &o, k, mail, 0), 0);
	expect_outcome(&o, UNSUBSCRIBE_VERDICT_UNSUBSCRIBE, "person4@example.net", "c1",
		       "recipient c-4 of c1");
	unsubscribe_outcome_release(&o);
	assert_null(o.detail);
	free(mail);

	mail = xasprintf("Subject: %s\r\n\r\n", t3);
	assert_int_equal(classify(f, &o, k, mail, 0), 0);
	expect_outcome(&o, UNSUBSCRIBE_VERDICT_UNKNOWN_RECIPIENT, NULL, NULL,
		       "ignored: a valid token for recipient c-99 of c1, but the plan has no such recipient");
	unsubscribe_outcome_release(&o);
	free(mail);

	mail = xasprintf("From: person4@example.net\r\nSubject: unsubscribe %s\r\n\r\n", t2);
	assert_int_equal(classify(f, &o, k, mail, 0), 0);
	assert_int_equal(o.verdict, UNSUBSCRIBE_VERDICT_UNKNOWN_KEY);
	assert_null(o.address);
	assert_true(!strncmp(o.detail, "ignored: ", 9) && strlen(o.detail) > 9);
	unsubscribe_outcome_release(&o);
	free(mail);

	t[strlen(t) - 1] = t[strlen(t) - 1] == 'A' ? 'B' : 'A';
	mail = xasprintf("From: person4@example.net\r\nSubject: unsubscribe %s\r\n\r\n", t);
	assert_int_equal(classify(f, &o, k, mail, 0), 0);
	assert_int_equal(o.verdict, UNSUBSCRIBE_VERDICT_FORGED);
	assert_null(o.address);
	assert_true(!strncmp(o.detail, "ignored: forged token (", 23));
	unsubscribe_outcome_release(&o);
	free(mail);

	t[strlen(t) - 1] = '\0';
	mail = xasprintf("From: person4@example.net\r\nSubject: unsubscribe %s\r\n\r\n", t);
	assert_int_equal(classify(f, &o, k, mail, 0), 0);
	expect_outcome(&o, UNSUBSCRIBE_VERDICT_MALFORMED, NULL, NULL,
		       "ignored: malformed unsubscribe token");
	unsubscribe_outcome_release(&o);
	free(mail);
	free(t);
	free(t2);
	free(t3);
	token_keys_free(k);
	token_keys_free(other);
}

static void test_classify_mail(void **state)
{
	struct plan_fx *f = *state;
	struct token_keys *k = keys(SECRET);
	struct unsubscribe_outcome o;

	/* a known recipient who asks: the sender's address, as written */
	assert_int_equal(classify(f, &o, k, "From: P4 <PERSON4@example.NET>\r\nSubject: Abmelden\r\n\r\n", 0), 0);
	expect_outcome(&o, UNSUBSCRIBE_VERDICT_UNSUBSCRIBE, "person4@example.net", "mail",
		       "recipient c-4, by a mail from the address");
	unsubscribe_outcome_release(&o);

	assert_int_equal(classify(f, &o, k, "From: person4@example.net\r\nSubject: Re: news\r\n\r\nThanks\r\n", 0), 0);
	expect_outcome(&o, UNSUBSCRIBE_VERDICT_NO_TOKEN, NULL, NULL,
		       "ignored: no token, and the message does not ask to unsubscribe");
	unsubscribe_outcome_release(&o);

	assert_int_equal(classify(f, &o, k, "From: stranger@example.org\r\nSubject: unsubscribe\r\n\r\n", 0), 0);
	expect_outcome(&o, UNSUBSCRIBE_VERDICT_NO_TOKEN, NULL, NULL,
		       "ignored: no token, and the sender is not a known recipient");
	unsubscribe_outcome_release(&o);

	assert_int_equal(classify(f, &o, k, "Subject: unsubscribe\r\n\r\n", 0), 0);
	expect_outcome(&o, UNSUBSCRIBE_VERDICT_NO_TOKEN, NULL, NULL,
		       "ignored: no token, and the sender is not a known recipient");
	unsubscribe_outcome_release(&o);

	/* damaged on the way: not taken for a request, whoever sent it */
	assert_int_equal(classify(f, &o, k, "From: person4@example.net\r\nSubject: unsubscribe\r\n\r\n", 1), 0);
	expect_outcome(&o, UNSUBSCRIBE_VERDICT_MALFORMED, NULL, NULL,
		       "ignored: the message arrived damaged and holds no token");
	unsubscribe_outcome_release(&o);
	token_keys_free(k);
}

static void test_classify_plan_error(void **state)
{
	static const char msg[] = "plan database (query): database disk image is malformed";
	struct plan_fx *f = *state;
	struct token_keys *k = keys(SECRET);
	struct unsubscribe_outcome o;
	char *t = token_make(k, "c1", "c-4"), *mail = xasprintf("Subject: %s\r\n\r\n", t);

	plan_fx_corrupt(f);
	/* an error is not an unknown recipient: the message is not judged */
	assert_int_equal(classify(f, &o, k, mail, 0), -1);
	assert_string_equal(error_last(), msg);
	assert_null(o.detail);
	assert_null(o.address);
	error_clear();
	assert_int_equal(classify(f, &o, k, "From: person4@example.net\r\nSubject: unsubscribe\r\n\r\n", 0), -1);
	assert_string_equal(error_last(), msg);
	assert_null(o.detail);
	/* what needs no plan is still judged */
	assert_int_equal(classify(f, &o, k, "From: person4@example.net\r\nSubject: unsubscribe\r\n\r\n", 1), 0);
	assert_int_equal(o.verdict, UNSUBSCRIBE_VERDICT_MALFORMED);
	unsubscribe_outcome_release(&o);
	free(mail);
	free(t);
	token_keys_free(k);
}

static void test_suppress(void **state)
{
	struct plan_fx *f = *state;
	struct unsubscribe_outcome o[4];
	size_t added = 99;
	char *text;

	memset(o, 0, sizeof(o));
	o[0].verdict = UNSUBSCRIBE_VERDICT_UNSUBSCRIBE;
	o[0].address = xstrdup("person4@example.net");
	o[0].source = xstrdup("c1");
	o[1].verdict = UNSUBSCRIBE_VERDICT_NO_TOKEN;
	o[1].added = 1;
	o[2].verdict = UNSUBSCRIBE_VERDICT_UNSUBSCRIBE;
	o[2].address = xstrdup("Person4@Example.net");
	o[2].source = xstrdup("mail");
	o[3].verdict = UNSUBSCRIBE_VERDICT_UNSUBSCRIBE;
	o[3].address = xstrdup("person1@example.net");
	o[3].source = xstrdup("mail");
	assert_int_equal(unsubscribe_suppress(f->root, o, 4, 1796637600, 0, &added), 0);
	assert_int_equal(added, 2);
	assert_int_equal(o[0].added, 1);
	assert_int_equal(o[1].added, 0);
	assert_int_equal(o[2].added, 0); /* the same address, once */
	assert_int_equal(o[3].added, 1);
	text = plan_fx_read(f, "recipients/suppressions.tsv");
	assert_string_equal(text, "address\treason\ttime\tsource\n"
				  "person4@example.net\tunsubscribed\t2026-12-07T10:00:00Z\tc1\n"
				  "person1@example.net\tunsubscribed\t2026-12-07T10:00:00Z\tmail\n");
	free(text);
	/* again: nothing added */
	assert_int_equal(unsubscribe_suppress(f->root, o, 4, 1796641200, 0, &added), 0);
	assert_int_equal(added, 0);
	assert_int_equal(o[0].added + o[3].added, 0);
	/* nothing to write: no file is touched */
	assert_int_equal(unsubscribe_suppress(f->root, o + 1, 1, 1796641200, 0, NULL), 0);
	for (added = 0; added < 4; added++)
		unsubscribe_outcome_release(&o[added]);
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
		cmocka_unit_test_setup_teardown(test_classify_tokens, plan_fx_setup, plan_fx_teardown),
		cmocka_unit_test_setup_teardown(test_classify_mail, plan_fx_setup, plan_fx_teardown),
		cmocka_unit_test_setup_teardown(test_classify_plan_error, plan_fx_setup, plan_fx_teardown),
		cmocka_unit_test_setup_teardown(test_suppress, plan_fx_setup, plan_fx_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
