#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "diag.h"

#define LIT(s) s, sizeof(s) - 1

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
	buf_add_html(&b, "<b>Evil & \"Co\"</b>'", 19);
	assert_string_equal(b.ptr, "&lt;b&gt;Evil &amp; &quot;Co&quot;&lt;/b&gt;&#39;");
	buf_reset(&b);
	/* no raw control characters in HTML: U+FFFD, but for tab and line ends */
	buf_add_html(&b, LIT("a\x1b[31mb\x00" "c\x7f\t\r\nM\xc3\xbcller"));
	assert_string_equal(b.ptr, "a\xef\xbf\xbd[31mb\xef\xbf\xbd" "c\xef\xbf\xbd\t\r\nM\xc3\xbcller");
	assert_int_equal(b.len, 26);
	buf_reset(&b);
	buf_add_json_string(&b, "</script>\n\"x\\");
	assert_string_equal(b.ptr, "\"\\u003c/script\\u003e\\n\\\"x\\\\\"");
	buf_reset(&b);
	buf_add_json_string(&b, "\x1b\x7f");
	assert_string_equal(b.ptr, "\"\\u001b\\u007f\"");
	buf_release(&b);
}

static void test_buf_visible(void **state)
{
	struct buf b = BUF_INIT;

	(void)state;
	/* UTF-8 text as it is; controls, C1 controls and non-UTF-8 bytes shown */
	buf_add_visible(&b, LIT("M\xc3\xbcller \xe2\x80\x93 \xe5\xa4\xaa\xe9\x83\x8e \xf0\x9f\x93\xa8"));
	assert_string_equal(b.ptr, "M\xc3\xbcller \xe2\x80\x93 \xe5\xa4\xaa\xe9\x83\x8e \xf0\x9f\x93\xa8");
	buf_reset(&b);
	buf_add_visible(&b, LIT("a\x1b[2Jb\tc\nd\re\x7f\x00" "f\\x"));
	assert_string_equal(b.ptr, "a\\x1b[2Jb\\tc\\nd\\re\\x7f\\x00" "f\\x");
	buf_reset(&b);
	buf_add_visible(&b, LIT("\xc2\x9b" "1m \xff \xc3( \xe2\x80 \xed\xa0\x80 \xc0\xaf \xf4\x90\x80\x80 \xc3"));
	assert_string_equal(b.ptr, "\\xc2\\x9b" "1m \\xff \\xc3( \\xe2\\x80 \\xed\\xa0\\x80 \\xc0\\xaf "
				   "\\xf4\\x90\\x80\\x80 \\xc3");
	buf_reset(&b);
	/* only the arguments are made visible, not the format's own text */
	buf_addf_visible(&b, "%s:%d: '%-6s|%5s|%.3s|%.*s' %zu %ld %c%%\n", "f\x1b.yaml", 3, "a\tb", "\x1b",
			 "ab\x1b", 2, "\x1bxyz", (size_t)7, -5L, 'x');
	assert_string_equal(b.ptr, "f\\x1b.yaml:3: 'a\\tb  | \\x1b|ab\\x1b|\\x1bx' 7 -5 x%\n");
	buf_release(&b);
}

/* Diagnostics quote content: file names and messages shown visibly. */
static void test_diag_print_visible(void **state)
{
	struct diag_list l = DIAG_LIST_INIT;
	char *out = NULL;
	size_t len = 0;
	FILE *f;

	(void)state;
	diag_add(&l, DIAG_ERROR, "recipients/contacts/x\x1b[2J.yaml", 4, 10,
		 "unknown key '%s'", "na\x1b]0;pwned\x07me\tx\ny");
	diag_add(&l, DIAG_WARNING, "campaigns/\xc3\xa9t\xc3\xa9/campaign.yaml", 0, 0, "name '%s'",
		 "\xe2\x80\x9cM\xc3\xbcller\xe2\x80\x9d");
	f = open_memstream(&out, &len);
	assert_non_null(f);
	diag_print(f, &l);
	fclose(f);
	assert_string_equal(out,
			    "recipients/contacts/x\\x1b[2J.yaml:4:10: error: unknown key 'na\\x1b]0;pwned\\x07me\\tx\\ny'\n"
			    "campaigns/\xc3\xa9t\xc3\xa9/campaign.yaml: warning: name '\xe2\x80\x9cM\xc3\xbcller\xe2\x80\x9d'\n");
	assert_null(memchr(out, 0x1b, len));
	free(out);
	diag_release(&l);
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

/* A file read with the size a stat gave: whole when it is that size, when
 * it grew since (the stat was smaller) and when it shrank; a pipe (size 0)
 * to its end; and the size limit. */
static void test_read_sized(void **state)
{
	char path[] = "/tmp/mailout-test-buf-XXXXXX";
	struct buf b = BUF_INIT;
	int fd = mkstemp(path), p[2];
	size_t i;

	(void)state;
	assert_true(fd >= 0);
	for (i = 0; i < 10000; i++)
		assert_int_equal(write(fd, "0123456789", 10), 10);
	buf_adds(&b, "kept:");
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	assert_int_equal(buf_read_fd_sized(&b, fd, 1 << 20, 100000), 0);
	assert_int_equal(b.len, 100005);
	assert_memory_equal(b.ptr, "kept:0123", 9);
	assert_memory_equal(b.ptr + b.len - 4, "6789", 4);
	buf_reset(&b);
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	assert_int_equal(buf_read_fd_sized(&b, fd, 1 << 20, 50), 0);
	assert_int_equal(b.len, 100000);
	buf_reset(&b);
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	assert_int_equal(buf_read_fd_sized(&b, fd, 1 << 20, 200000), 0);
	assert_int_equal(b.len, 100000);
	buf_reset(&b);
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	assert_int_equal(buf_read_fd_sized(&b, fd, 99999, 50), -1);
	close(fd);
	unlink(path);
	assert_int_equal(pipe(p), 0);
	assert_int_equal(write(p[1], "abc", 3), 3);
	close(p[1]);
	buf_reset(&b);
	assert_int_equal(buf_read_fd(&b, p[0], 100), 0);
	assert_string_equal(b.ptr, "abc");
	close(p[0]);
	buf_release(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_buf_grows_and_formats),
		cmocka_unit_test(test_buf_escapes),
		cmocka_unit_test(test_buf_visible),
		cmocka_unit_test(test_diag_print_visible),
		cmocka_unit_test(test_diag_sorts_and_counts),
		cmocka_unit_test(test_read_sized),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
