#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "diag.h"
#include "token.h"
#include "xalloc.h"

#define SECRET_A "alpha-secret-0123456789-abcdefghij-XYZ"
#define SECRET_B "bravo-secret-0123456789-abcdefghij-XYZ"
#define SECRET_C "charlie-secret-0123456789-abcdefghij-Q"

static struct token_keys *keys(const char *secret, const char *previous)
{
	struct token_keys *k = NULL;

	assert_int_equal(token_keys_from_secret(&k, secret, previous), 0);
	assert_non_null(k);
	return k;
}

static int verify(const struct token_keys *k, const char *t)
{
	return token_verify(k, t, strlen(t), NULL, NULL);
}

static void test_round_trip(void **state)
{
	struct token_keys *k = keys(SECRET_A, NULL);
	char *t, *campaign = NULL, *recipient = NULL;
	const char *last_dot;

	(void)state;
	t = token_make(k, "december-update", "c-1001.jana_n");
	assert_non_null(t);
	assert_memory_equal(t, "v1.", 3);
	assert_int_equal(strlen(t), 3 + 6 + 1 + 15 + 1 + 13 + 1 + 43);
	assert_memory_equal(t + 9, ".december-update.c-1001.jana_n.", 31);
	last_dot = strrchr(t, '.');
	assert_int_equal(strspn(last_dot + 1, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"), 43);
	assert_int_equal(token_verify(k, t, strlen(t), &campaign, &recipient), TOKEN_OK);
	assert_string_equal(campaign, "december-update");
	assert_string_equal(recipient, "c-1001.jana_n");
	free(campaign);
	free(recipient);

	/* deterministic: same key, same ids, same token */
	{
		char *again = token_make(k, "december-update", "c-1001.jana_n");

		assert_string_equal(again, t);
		free(again);
	}
	free(t);
	token_keys_free(k);
}

static void test_known_value(void **state)
{
	/* computed independently with Python hmac, hashlib and base64 */
	struct token_keys *k = keys("0123456789abcdef0123456789abcdef", NULL);
	char *t;

	(void)state;
	t = token_make(k, "c", "r");
	assert_non_null(t);
	assert_string_equal(t, "v1.lkn_ys.c.r.RD7t0y5hT2Myoyg_IgrSaQ_xwJ_SA8xaBdKJURjt5Dg");
	free(t);
	token_keys_free(k);
}

static void test_every_changed_character_is_rejected(void **state)
{
	static const char replacements[] = "AaZz09-_.%+/= \n";
	struct token_keys *k = keys(SECRET_A, NULL);
	char *t, *copy;
	size_t i, len, r;
	char *campaign = NULL, *recipient = NULL;
	int res;

	(void)state;
	t = token_make(k, "spring-sale", "lead-42.x");
	len = strlen(t);
	copy = xmalloc(len + 1);
	for (i = 0; i < len; i++) {
		for (r = 0; r < sizeof(replacements) - 1; r++) {
			if (replacements[r] == t[i])
				continue;
			memcpy(copy, t, len + 1);
			copy[i] = replacements[r];
			res = token_verify(k, copy, len, &campaign, &recipient);
			if (res == TOKEN_OK)
				fail_msg("accepted with position %zu changed to '%c': %s", i, replacements[r], copy);
			assert_true(res == TOKEN_MALFORMED || res == TOKEN_UNKNOWN_KEY || res == TOKEN_BAD_MAC);
			assert_null(campaign);
			assert_null(recipient);
		}
	}
	/* changes in the key id make the key unknown, in the MAC a bad MAC */
	memcpy(copy, t, len + 1);
	copy[3] = copy[3] == 'A' ? 'B' : 'A';
	assert_int_equal(verify(k, copy), TOKEN_UNKNOWN_KEY);
	memcpy(copy, t, len + 1);
	copy[len - 5] = copy[len - 5] == 'A' ? 'B' : 'A';
	assert_int_equal(verify(k, copy), TOKEN_BAD_MAC);
	/* the last character carries 2 unused bits: a different spelling of the
	 * same bytes is still refused */
	memcpy(copy, t, len + 1);
	copy[len - 1] = (char)(copy[len - 1] ^ 1);
	assert_int_not_equal(verify(k, copy), TOKEN_OK);
	free(copy);
	free(t);
	token_keys_free(k);
}

static void test_swapped_ids_are_rejected(void **state)
{
	struct token_keys *k = keys(SECRET_A, NULL);
	char *t1, *t2;
	struct buf b = BUF_INIT;

	(void)state;
	t1 = token_make(k, "december-update", "c-1001");
	t2 = token_make(k, "spring-sale", "c-1001");
	/* December's MAC on the spring campaign's id */
	buf_add(&b, t1, 10);
	buf_adds(&b, "spring-sale.c-1001");
	buf_adds(&b, strrchr(t1, '.'));
	assert_int_equal(verify(k, b.ptr), TOKEN_BAD_MAC);
	assert_string_equal(error_last(), "unsubscribe token signature does not match");
	/* another recipient's id */
	buf_reset(&b);
	buf_add(&b, t1, 10);
	buf_adds(&b, "december-update.c-1002");
	buf_adds(&b, strrchr(t1, '.'));
	assert_int_equal(verify(k, b.ptr), TOKEN_BAD_MAC);
	/* moving a dot between campaign and recipient */
	buf_reset(&b);
	buf_add(&b, t2, 10);
	buf_adds(&b, "spring.sale-c-1001");
	buf_adds(&b, strrchr(t2, '.'));
	assert_int_not_equal(verify(k, b.ptr), TOKEN_OK);
	assert_int_equal(verify(k, t2), TOKEN_OK);
	buf_release(&b);
	free(t1);
	free(t2);
	token_keys_free(k);
}

static void test_other_key_and_rotation(void **state)
{
	struct token_keys *a = keys(SECRET_A, NULL);
	struct token_keys *b = keys(SECRET_B, NULL);
	struct token_keys *rotated = keys(SECRET_B, SECRET_A);
	struct token_keys *c = keys(SECRET_C, SECRET_B);
	char *ta, *tb, *tr, *campaign = NULL, *recipient = NULL;

	(void)state;
	ta = token_make(a, "december-update", "c-1001");
	tb = token_make(b, "december-update", "c-1001");
	assert_string_not_equal(ta, tb);
	assert_memory_not_equal(ta + 3, tb + 3, 6);

	assert_int_equal(verify(b, ta), TOKEN_UNKNOWN_KEY);
	assert_int_equal(verify(a, tb), TOKEN_UNKNOWN_KEY);

	/* after rotation, old tokens still verify, new ones use the new key */
	assert_int_equal(token_verify(rotated, ta, strlen(ta), &campaign, &recipient), TOKEN_OK);
	assert_string_equal(campaign, "december-update");
	assert_string_equal(recipient, "c-1001");
	free(campaign);
	free(recipient);
	assert_int_equal(verify(rotated, tb), TOKEN_OK);
	tr = token_make(rotated, "december-update", "c-1001");
	assert_string_equal(tr, tb);

	/* two rotations later the first key is gone */
	assert_int_equal(verify(c, ta), TOKEN_UNKNOWN_KEY);
	assert_int_equal(verify(c, tb), TOKEN_OK);

	free(ta);
	free(tb);
	free(tr);
	token_keys_free(a);
	token_keys_free(b);
	token_keys_free(rotated);
	token_keys_free(c);
}

static void test_malformed(void **state)
{
	struct token_keys *k = keys(SECRET_A, NULL);
	struct buf b = BUF_INIT;
	char *t, *with_nul;
	char *campaign = NULL, *recipient = NULL;
	size_t len, i;
	static const char *bad[] = {
		"", "v1", "v1.", "v1..", "v2.AAAAAA.c.r.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
		"v1.AAAAAA", "v1.AAAAAA.c", "v1.AAAAAA.c.r", "v1.AAAAA.c.r.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
		"v1.AAAAAA..r.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
		"v1.AAAAAA.c..AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
		"v1.AAAAAA.C.r.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
		"v1.AAAAAA.-c.r.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
		"v1.AAAAAA.c._r.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
		"v1.AAAAAA.c.r.", "v1.AAAAAA.c.r.AAAA",
		"v1.AAAAAA.c.r.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
		"v1.AAAAAA.c.r.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA+A",
		"v1.AAAAAA.c.r.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA/A",
		"v1.AAAAAA.c.r.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
		"v1.AAAAAA.c.r.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\xc3",
		" v1.AAAAAA.c.r.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
	};

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (token_verify(k, bad[i], strlen(bad[i]), &campaign, &recipient) != TOKEN_MALFORMED)
			fail_msg("not refused as malformed: '%s'", bad[i]);
		assert_null(campaign);
		assert_null(recipient);
	}
	/* well-shaped but unsigned: the key is unknown */
	assert_int_equal(verify(k, "v1.AAAAAA.c.r.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"), TOKEN_UNKNOWN_KEY);

	t = token_make(k, "c", "r");
	len = strlen(t);
	/* NUL inside: the length says more than the string */
	with_nul = xmalloc(len + 2);
	memcpy(with_nul, t, len + 1);
	with_nul[len + 1] = 'A';
	assert_int_equal(token_verify(k, with_nul, len + 1, NULL, NULL), TOKEN_MALFORMED);
	with_nul[5] = '\0';
	assert_int_equal(token_verify(k, with_nul, len, NULL, NULL), TOKEN_MALFORMED);
	/* a prefix is not a token */
	assert_int_equal(token_verify(k, t, len - 1, NULL, NULL), TOKEN_MALFORMED);
	assert_string_equal(error_last(), "malformed unsubscribe token: bad signature length");
	free(with_nul);
	free(t);

	/* overlong: ids at the limit work, anything longer is refused */
	for (i = 0; i < TOKEN_ID_MAX; i++)
		buf_addc(&b, 'a');
	t = token_make(k, b.ptr, b.ptr);
	assert_non_null(t);
	assert_int_equal(strlen(t), TOKEN_MAX_LEN);
	assert_int_equal(verify(k, t), TOKEN_OK);
	free(t);
	buf_addc(&b, 'a');
	assert_null(token_make(k, b.ptr, "r"));
	assert_null(token_make(k, "c", b.ptr));
	buf_reset(&b);
	buf_adds(&b, "v1.AAAAAA.c.");
	for (i = 0; i < 100000; i++)
		buf_addc(&b, 'r');
	buf_adds(&b, ".AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
	assert_int_equal(verify(k, b.ptr), TOKEN_MALFORMED);
	assert_string_equal(error_last(), "malformed unsubscribe token: too long");

	/* ids outside their patterns cannot be signed */
	assert_null(token_make(k, "December", "r"));
	assert_string_equal(error_last(), "cannot make an unsubscribe token: invalid campaign id 'December'");
	assert_null(token_make(k, "", "r"));
	assert_null(token_make(k, "c", ""));
	assert_null(token_make(k, "c", ".r"));
	assert_null(token_make(k, "c", "r@example.com"));
	assert_null(token_make(k, "c.d", "r"));
	buf_release(&b);
	token_keys_free(k);
}

static void test_secret_errors(void **state)
{
	struct token_keys *k = (struct token_keys *)&k; /* not NULL: failures must clear it */
	char big[TOKEN_SECRET_MAX + 2];

	(void)state;
	unsetenv("MAILOUT_SECRET");
	unsetenv("MAILOUT_SECRET_PREVIOUS");
	assert_int_equal(token_keys_from_env(&k), -1);
	assert_null(k);
	assert_string_equal(error_last(),
			    "MAILOUT_SECRET is not set (it needs at least 32 bytes, e.g. from 'openssl rand -base64 48')");

	setenv("MAILOUT_SECRET", "", 1);
	assert_int_equal(token_keys_from_env(&k), -1);
	assert_non_null(strstr(error_last(), "MAILOUT_SECRET is not set"));

	setenv("MAILOUT_SECRET", "0123456789012345678901234567890", 1);
	assert_int_equal(token_keys_from_env(&k), -1);
	assert_string_equal(error_last(), "MAILOUT_SECRET is too short: 31 bytes, at least 32 needed");

	setenv("MAILOUT_SECRET", SECRET_A, 1);
	setenv("MAILOUT_SECRET_PREVIOUS", "short", 1);
	assert_int_equal(token_keys_from_env(&k), -1);
	assert_null(k);
	assert_string_equal(error_last(), "MAILOUT_SECRET_PREVIOUS is too short: 5 bytes, at least 32 needed");

	setenv("MAILOUT_SECRET_PREVIOUS", "", 1);
	assert_int_equal(token_keys_from_env(&k), 0);
	assert_non_null(k);
	token_keys_free(k);

	setenv("MAILOUT_SECRET_PREVIOUS", SECRET_B, 1);
	assert_int_equal(token_keys_from_env(&k), 0);
	{
		struct token_keys *old = keys(SECRET_B, NULL);
		char *t = token_make(old, "c", "r");

		assert_int_equal(verify(k, t), TOKEN_OK);
		free(t);
		token_keys_free(old);
	}
	token_keys_free(k);

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(token_keys_from_secret(&k, big, NULL), -1);
	assert_string_equal(error_last(), "MAILOUT_SECRET is too long: 1025 bytes, at most 1024 allowed");
	assert_int_equal(token_keys_from_secret(&k, NULL, NULL), -1);
	assert_int_equal(token_keys_from_secret(&k, SECRET_A, "0123456789"), -1);
	assert_non_null(strstr(error_last(), "MAILOUT_SECRET_PREVIOUS"));
	assert_null(strstr(error_last(), "0123456789"));
	unsetenv("MAILOUT_SECRET");
	unsetenv("MAILOUT_SECRET_PREVIOUS");
	token_keys_free(NULL);
}

static void expect_found(const char *text, const char *token)
{
	size_t start = 0, len = 0;

	assert_int_equal(token_find(text, strlen(text), &start, &len), 0);
	assert_int_equal(len, strlen(token));
	assert_memory_equal(text + start, token, len);
}

static void test_find(void **state)
{
	struct token_keys *k = keys(SECRET_A, NULL);
	struct buf b = BUF_INIT;
	char *t, *dotted;
	size_t start = 0, len = 0;

	(void)state;
	t = token_make(k, "december-update", "c-1001");
	dotted = token_make(k, "december-update", "jana.novak.");

	buf_addf(&b, "unsubscribe %s", t);
	expect_found(b.ptr, t);
	buf_reset(&b);
	buf_addf(&b, "Re: unsubscribe%%20%s", t);
	expect_found(b.ptr, t);

	buf_reset(&b);
	buf_addf(&b, "Hello,\r\n\r\nplease remove me (version v1.2.3).\r\n"
		 "Token: %s.\r\nThanks,\r\nJana\r\n", t);
	expect_found(b.ptr, t);
	assert_int_equal(token_verify(k, b.ptr + (strstr(b.ptr, t) - b.ptr), strlen(t), NULL, NULL), TOKEN_OK);

	buf_reset(&b);
	buf_addf(&b, "<a href=\"https://status.example.com/unsubscribe/#%s\">x</a>", dotted);
	expect_found(b.ptr, dotted);

	buf_reset(&b);
	buf_addf(&b, "> %s..Thanks", dotted);
	expect_found(b.ptr, dotted);

	buf_reset(&b);
	buf_addf(&b, "%s.Thanks", t);
	expect_found(b.ptr, t);

	/* glued to a preceding word: not a token start */
	buf_reset(&b);
	buf_addf(&b, "xv1.%s", t + 3);
	assert_int_equal(token_find(b.ptr, b.len, &start, &len), -1);

	assert_int_equal(token_find("", 0, &start, &len), -1);
	assert_int_equal(token_find("v1.", 3, &start, &len), -1);
	assert_int_equal(token_find("version v1.2.3 and v1.a.b.c.d", 29, &start, &len), -1);
	/* the length bounds the search */
	buf_reset(&b);
	buf_addf(&b, "unsubscribe %s", t);
	assert_int_equal(token_find(b.ptr, b.len - 1, &start, &len), -1);

	buf_release(&b);
	free(t);
	free(dotted);
	token_keys_free(k);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_known_value),
		cmocka_unit_test(test_every_changed_character_is_rejected),
		cmocka_unit_test(test_swapped_ids_are_rejected),
		cmocka_unit_test(test_other_key_and_rotation),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_secret_errors),
		cmocka_unit_test(test_find),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
