#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "buf.h"
#include "log.h"

/* Fields lose every control character, not only tabs and line breaks. */
static void test_format_cleans_controls(void **state)
{
	const char *fields[] = { "c-1001", "550", "5.1.1",
				 "user\tunknown\r\n\x1b[2J\x1b]0;title\x07 M\xc3\xbcller\x7f." };
	const char *empty[] = { NULL, "" };
	struct buf b = BUF_INIT;

	(void)state;
	log_format(&b, 1796631600, LOG_BOUNCE, fields, 4);
	assert_string_equal(b.ptr, "2026-12-07T08:20:00Z\tbounce\tc-1001\t550\t5.1.1\t"
				   "user unknown   [2J ]0;title  M\xc3\xbcller .\n");
	buf_reset(&b);
	log_format(&b, 1796631600, LOG_RETRY_CMD, empty, 2);
	assert_string_equal(b.ptr, "2026-12-07T08:20:00Z\tretry-cmd\t-\t-\n");
	buf_release(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_format_cleans_controls),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
