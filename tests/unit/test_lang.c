#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "lang.h"

static void test_match_primary_subtag(void **state)
{
	(void)state;
	assert_string_equal(lang_text("de", "lang.name"), "Deutsch");
	assert_string_equal(lang_text("de-AT", "lang.name"), "Deutsch");
	assert_string_equal(lang_text("DE-ch", "lang.name"), "Deutsch");
	assert_string_equal(lang_text("en-GB", "lang.name"), "English");
	assert_string_equal(lang_text(NULL, "lang.name"), "English");
}

static void test_fallback(void **state)
{
	(void)state;
	assert_string_equal(lang_text("fi", "lang.name"), "English");
	assert_string_equal(lang_text("d", "lang.name"), "English");
	assert_string_equal(lang_text("deu", "lang.name"), "English");
	assert_null(lang_text("de", "no.such.key"));
	assert_true(lang_supported("de-DE"));
	assert_true(lang_supported("en"));
	assert_false(lang_supported("fi"));
	assert_false(lang_supported(NULL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_match_primary_subtag),
		cmocka_unit_test(test_fallback),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
