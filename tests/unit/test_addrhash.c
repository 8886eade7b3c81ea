#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "addrhash.h"

/* printf '%s' jana.novak@example.net | sha256sum */
static const char jana[] =
	"sha256:60c64e4aaf9b023a9ee18b8190e194a931f558736dafb419ffb2a62346e73aa5";

static void test_hash_of_lower_case_address(void **state)
{
	char h[ADDR_HASH_LEN + 1];

	(void)state;
	addr_hash("Jana.Novak@Example.NET", h);
	assert_string_equal(h, jana);
	addr_hash("jana.novak@example.net", h);
	assert_string_equal(h, jana);
}

static void test_is_hash(void **state)
{
	(void)state;
	assert_true(addr_is_hash(jana));
	assert_false(addr_is_hash("jana.novak@example.net"));
	assert_false(addr_is_hash("sha256:60C64E4AAF9B023A9EE18B8190E194A931F558736DAFB419FFB2A62346E73AA5"));
	assert_false(addr_is_hash("sha256:60c64e4aaf9b023a9ee18b8190e194a931f558736dafb419ffb2a62346e73aa"));
	assert_false(addr_is_hash("sha256:60c64e4aaf9b023a9ee18b8190e194a931f558736dafb419ffb2a62346e73aa50"));
	assert_false(addr_is_hash("sha1:60c64e4aaf9b023a9ee18b8190e194a931f55873"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hash_of_lower_case_address),
		cmocka_unit_test(test_is_hash),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
