#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "diag.h"

static void test_buf_grows_and_formats(void **state)
{
	struct buf b = BUF_INIT;
	char *s;
	size_t len;
	int i;

	(void)state;
	assert_string_equal(b.ptr, "");
	for (i = 0; i < 1000; i++)
		buf_addf(&b, "%d,", i);
	assert_int_equal(b.len, strlen(b.ptr));
	assert_memory_equal(b.ptr, "0,1,2,", 6);
	buf_truncate(&b, 2);
	assert_string_equal(b.ptr, "0,");
	s = buf_detach(&b, &len);
	assert_string_equal(s, "0,");
	assert_int_equal(len, 2);
	assert_string_equal(b.ptr, "");
	free(s);
}

static void test_buf_escapes(void **state)
{
	struct buf b = BUF_INIT;

	(void)state;
	buf_add_html(&b, "<b>Evil & \"Co\"</b>'", 20);
	assert_string_equal(b.ptr, "&lt;b&gt;Evil &amp; &quot;Co&quot;&lt;/b&gt;&#39;");
	buf_reset(&b);
	buf_add_json_string(&b, "</script>\n\"x\\");
	assert_string_equal(b.ptr, "\"\\u003c/script\\u003e\\n\\\"x\\\\\"");
	buf_release(&b);
}

static void test_diag_sorts_and_counts(void **state)
{
	struct diag_list l = DIAG_LIST_INIT;

	(void)state;
	diag_add(&l, DIAG_WARNING, "b.yaml", 2, 1, "second");
	diag_add(&l, DIAG_ERROR, "a.yaml", 9, 3, "first '%s'", "x");
	diag_add(&l, DIAG_ERROR, "a.yaml", 9, 3, "first '%s'", "x");
	diag_sort(&l);
	assert_int_equal(l.count, 2);
	assert_int_equal(l.errors, 1);
	assert_int_equal(l.warnings, 1);
	assert_string_equal(l.items[0].path, "a.yaml");
	assert_string_equal(l.items[0].message, "first 'x'");
	diag_release(&l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_buf_grows_and_formats),
		cmocka_unit_test(test_buf_escapes),
		cmocka_unit_test(test_diag_sorts_and_counts),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
