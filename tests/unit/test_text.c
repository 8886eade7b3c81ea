#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "text.h"

#define VALID(s) text_utf8_valid((s), sizeof(s) - 1)

static void test_utf8_valid(void **state)
{
	(void)state;
	assert_true(VALID(""));
	assert_true(VALID("plain ASCII"));
	assert_true(VALID("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"));
	assert_true(VALID("a\0b")); /* NUL is a character */
	assert_true(VALID("\xc2\x80"));       /* U+0080, the first two-byte one */
	assert_true(VALID("\xe0\xa0\x80"));   /* U+0800 */
	assert_true(VALID("\xed\x9f\xbf"));   /* U+D7FF */
	assert_true(VALID("\xee\x80\x80"));   /* U+E000 */
	assert_true(VALID("\xef\xbf\xbf"));   /* U+FFFF */
	assert_true(VALID("\xf0\x90\x80\x80")); /* U+10000 */
	assert_true(VALID("\xf4\x8f\xbf\xbf")); /* U+10FFFF */

	assert_false(VALID("\x80"));             /* a continuation byte alone */
	assert_false(VALID("\xc3"));             /* cut short */
	assert_false(VALID("\xe2\x82"));
	assert_false(VALID("\xc3\x28"));         /* not a continuation byte */
	assert_false(VALID("\xc0\xaf"));         /* overlong '/' */
	assert_false(VALID("\xc1\xbf"));
	assert_false(VALID("\xe0\x9f\xbf"));     /* overlong U+07FF */
	assert_false(VALID("\xf0\x8f\xbf\xbf")); /* overlong U+FFFF */
	assert_false(VALID("\xed\xa0\x80"));     /* U+D800, a surrogate */
	assert_false(VALID("\xed\xbf\xbf"));     /* U+DFFF */
	assert_false(VALID("\xf4\x90\x80\x80")); /* U+110000 */
	assert_false(VALID("\xf5\x80\x80\x80"));
	assert_false(VALID("\xff"));
	/* only len bytes count */
	assert_true(text_utf8_valid("ab\xc3\xa9", 2));
	assert_false(text_utf8_valid("ab\xc3\xa9", 3));
}

static void test_utf8_next(void **state)
{
	const char *s = "a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80";
	const char *cut = "\xe2\x82";

	(void)state;
	assert_int_equal(text_utf8_next(&s), 'a');
	assert_int_equal(text_utf8_next(&s), 0xe9);
	assert_int_equal(text_utf8_next(&s), 0x20ac);
	assert_int_equal(text_utf8_next(&s), 0x1f600);
	assert_int_equal(*s, '\0');
	/* a cut sequence stops at the NUL */
	text_utf8_next(&cut);
	assert_int_equal(*cut, '\0');
}

static void test_utf8_lengths(void **state)
{
	static const char s[] = "a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80";

	(void)state;
	assert_int_equal(text_utf8_seq_len(s, 10), 1);
	assert_int_equal(text_utf8_seq_len(s + 1, 9), 2);
	assert_int_equal(text_utf8_seq_len(s + 3, 7), 3);
	assert_int_equal(text_utf8_seq_len(s + 6, 4), 4);
	assert_int_equal(text_utf8_seq_len(s + 6, 2), 2); /* at most left */
	assert_int_equal(text_utf8_seq_len(s + 2, 8), 1); /* a continuation byte */
	assert_int_equal(text_utf8_length(s, sizeof(s) - 1), 4);
	assert_int_equal(text_utf8_length(s, 2), 2);
	assert_int_equal(text_utf8_length("", 0), 0);
}

static void test_hex(void **state)
{
	(void)state;
	assert_int_equal(text_hex_digit('0'), 0);
	assert_int_equal(text_hex_digit('9'), 9);
	assert_int_equal(text_hex_digit('a'), 10);
	assert_int_equal(text_hex_digit('F'), 15);
	assert_int_equal(text_hex_digit('g'), -1);
	assert_int_equal(text_hex_digit('G'), -1);
	assert_int_equal(text_hex_digit('/'), -1);
	assert_int_equal(text_hex_digit('\0'), -1);
	assert_int_equal(text_hex_byte("3D"), 0x3d);
	assert_int_equal(text_hex_byte("e9x"), 0xe9);
	assert_int_equal(text_hex_byte("ff"), 255);
	assert_int_equal(text_hex_byte("00"), 0);
	assert_int_equal(text_hex_byte("3"), -1);
	assert_int_equal(text_hex_byte(""), -1);
	assert_int_equal(text_hex_byte("x1"), -1);
	assert_int_equal(text_hex_byte("1 "), -1);
}

static void test_trim(void **state)
{
	const char *s = " \t a b \t\r\n";
	size_t n = strlen(s);
	const char *t;

	(void)state;
	t = text_trim(s, &n, TEXT_BLANKS);
	assert_int_equal(n, 7);
	assert_memory_equal(t, "a b \t\r\n", 7);
	n = strlen(s);
	t = text_trim(s, &n, TEXT_SPACES);
	assert_int_equal(n, 3);
	assert_memory_equal(t, "a b", 3);
	n = 4;
	t = text_trim(" \t\r\n", &n, TEXT_SPACES);
	assert_int_equal(n, 0);
	/* a NUL inside the span is kept */
	n = 5;
	t = text_trim(" a\0b ", &n, TEXT_BLANKS);
	assert_int_equal(n, 3);
	assert_memory_equal(t, "a\0b", 3);
	n = 0;
	t = text_trim("", &n, TEXT_BLANKS);
	assert_int_equal(n, 0);
}

static void test_snake_case(void **state)
{
	(void)state;
	assert_true(text_is_snake_case("first_name"));
	assert_true(text_is_snake_case("a"));
	assert_true(text_is_snake_case("zip_code_2"));
	assert_true(text_is_snake_case("a__b_"));
	assert_false(text_is_snake_case(""));
	assert_false(text_is_snake_case("_name"));
	assert_false(text_is_snake_case("2nd"));
	assert_false(text_is_snake_case("First_name"));
	assert_false(text_is_snake_case("first-name"));
	assert_false(text_is_snake_case("first name"));
	assert_false(text_is_snake_case("caf\xc3\xa9"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_utf8_valid),
		cmocka_unit_test(test_utf8_next),
		cmocka_unit_test(test_utf8_lengths),
		cmocka_unit_test(test_hex),
		cmocka_unit_test(test_trim),
		cmocka_unit_test(test_snake_case),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
