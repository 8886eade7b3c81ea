#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "diag.h"
#include "fixture.h"
#include "log.h"

/* printf '%s' jana.novak@example.net | sha256sum */
#define JANA "sha256:60c64e4aaf9b023a9ee18b8190e194a931f558736dafb419ffb2a62346e73aa5"

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

/* A new file is version 2 and its claims hold the hash; a version 1 file
 * keeps its version, and its claims the address. */
static void test_versions_written(void **state)
{
	const char *claim[] = { "c-1", "Jana.Novak@example.net", "<1@example.com>" };
	struct log_writer *w = NULL;
	struct buf b = BUF_INIT;
	char *dir = fixture_tmpdir();

	(void)state;
	log_format_version(&b, 2, 1796631600, LOG_CLAIM, claim, 3);
	assert_string_equal(b.ptr, "2026-12-07T08:20:00Z\tclaim\tc-1\t" JANA "\t<1@example.com>\n");
	buf_reset(&b);
	log_format_version(&b, 1, 1796631600, LOG_CLAIM, claim, 3);
	assert_string_equal(b.ptr, "2026-12-07T08:20:00Z\tclaim\tc-1\tJana.Novak@example.net\t<1@example.com>\n");
	buf_release(&b);

	assert_int_equal(log_writer_open(&w, dir, "campaigns/x/log/new.tsv"), 0);
	assert_int_equal(w->version, 2);
	log_writer_close(w);
	assert_int_equal(fixture_write(dir, "campaigns/x/log/old.tsv", "#mailout-log v1\r\n"), 0);
	assert_int_equal(log_writer_open(&w, dir, "campaigns/x/log/old.tsv"), 0);
	assert_int_equal(w->version, 1);
	log_writer_close(w);
	assert_int_equal(log_append(dir, "campaigns/x/commands.tsv", "", 0, 0), 0);
	assert_int_equal(log_writer_open(&w, dir, "campaigns/x/commands.tsv"), 0);
	assert_int_equal(w->version, 2);
	log_writer_close(w);
	fixture_remove(dir);
	free(dir);
}

struct seen {
	struct buf b;
};

static int collect(const struct log_entry *e, void *payload)
{
	struct seen *s = payload;

	buf_addf(&s->b, "%d %d %s %s\n", e->line, e->version, log_event_name(e->event),
		 e->nfields > 1 ? e->field[1] : "");
	return 0;
}

/* Both versions are read; a v1 claim may hold a hash (an erased person);
 * a v2 claim holding an address is replayed with a warning. */
static void test_versions_read(void **state)
{
	struct diag_list diags = DIAG_LIST_INIT;
	struct seen s = { BUF_INIT };
	char *dir = fixture_tmpdir();
	size_t consumed;

	(void)state;
	assert_int_equal(fixture_write(dir, "v1.tsv",
				       "#mailout-log v1\n"
				       "2026-12-07T08:20:00Z\tclaim\tc-1\tjana.novak@example.net\t<1@example.com>\n"
				       "2026-12-07T08:21:00Z\tclaim\tc-2\t" JANA "\t<2@example.com>\n"), 0);
	assert_int_equal(fixture_write(dir, "v2.tsv",
				       "#mailout-log v2\n"
				       "2026-12-07T08:20:00Z\tclaim\tc-1\t" JANA "\t<1@example.com>\n"
				       "2026-12-07T08:21:00Z\tclaim\tc-2\tjana.novak@example.net\t<2@example.com>\n"), 0);
	assert_int_equal(fixture_write(dir, "v3.tsv", "#mailout-log v3\n"), 0);
	assert_int_equal(log_read(dir, "v1.tsv", 0, collect, &s, &consumed, &diags), 0);
	assert_int_equal(log_read(dir, "v2.tsv", 0, collect, &s, &consumed, &diags), 0);
	/* read from an offset, the version is still the header's */
	assert_int_equal(log_read(dir, "v2.tsv", 16, collect, &s, &consumed, &diags), 0);
	assert_int_equal(log_read(dir, "v3.tsv", 0, collect, &s, &consumed, &diags), 0);
	assert_string_equal(s.b.ptr, "2 1 claim jana.novak@example.net\n"
				     "3 1 claim " JANA "\n"
				     "2 2 claim " JANA "\n"
				     "3 2 claim jana.novak@example.net\n"
				     "2 2 claim " JANA "\n"
				     "3 2 claim jana.novak@example.net\n");
	assert_int_equal(diags.errors, 1);
	assert_int_equal(diags.warnings, 2);
	assert_string_equal(diags.items[0].path, "v2.tsv");
	assert_int_equal(diags.items[0].line, 3);
	assert_int_equal(diags.items[0].col, 32);
	assert_string_equal(diags.items[0].message, "a claim of a version 2 log holds an address, not its hash");
	assert_string_equal(diags.items[2].message,
			    "unknown log format '#mailout-log v3' (expected '#mailout-log v2' or '#mailout-log v1')");
	assert_int_equal(log_header_version("#mailout-log v1", 15), 1);
	assert_int_equal(log_header_version("#mailout-log v2\r", 16), 2);
	assert_int_equal(log_header_version("#mailout-log v2x", 16), 0);
	assert_int_equal(log_header_version("#mailout-log v", 14), 0);
	buf_release(&s.b);
	diag_release(&diags);
	fixture_remove(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_format_cleans_controls),
		cmocka_unit_test(test_versions_written),
		cmocka_unit_test(test_versions_read),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
