#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "buf.h"
#include "csv.h"
#include "diag.h"

struct reading {
	struct csv_reader r;
	struct csv_record rec;
};

static void start(struct reading *rd, const char *text, size_t len)
{
	struct csv_record empty = CSV_RECORD_INIT;

	rd->rec = empty;
	csv_reader_init(&rd->r, text, len);
}

/* Reads one record and checks its line and fields ("|"-separated). */
static void expect_record(struct reading *rd, int line, const char *fields)
{
	struct buf joined = BUF_INIT;
	size_t i;

	assert_int_equal(csv_read(&rd->r, &rd->rec), 1);
	assert_int_equal(rd->rec.line, line);
	for (i = 0; i < rd->rec.count; i++) {
		if (i)
			buf_addc(&joined, '|');
		buf_adds(&joined, rd->rec.fields[i]);
	}
	assert_string_equal(joined.ptr, fields);
	buf_release(&joined);
}

static void expect_end(struct reading *rd)
{
	assert_int_equal(csv_read(&rd->r, &rd->rec), 0);
	assert_int_equal(csv_read(&rd->r, &rd->rec), 0);
	csv_record_release(&rd->rec);
}

static void test_plain_lf(void **state)
{
	struct reading rd;
	const char *text = "id,email\nc-1,a@example.com\nc-2,b@example.com\n";

	(void)state;
	start(&rd, text, strlen(text));
	expect_record(&rd, 1, "id|email");
	assert_int_equal(rd.rec.count, 2);
	assert_string_equal(rd.rec.error, "");
	expect_record(&rd, 2, "c-1|a@example.com");
	expect_record(&rd, 3, "c-2|b@example.com");
	expect_end(&rd);
}

static void test_crlf_bom_no_final_newline(void **state)
{
	struct reading rd;
	const char *text = "\xef\xbb\xbfid,name\r\nc-1,Anna\r\nc-2,Ben";

	(void)state;
	start(&rd, text, strlen(text));
	expect_record(&rd, 1, "id|name");
	assert_string_equal(rd.rec.fields[0], "id");
	expect_record(&rd, 2, "c-1|Anna");
	expect_record(&rd, 3, "c-2|Ben");
	assert_int_equal(rd.rec.count, 2);
	expect_end(&rd);
}

static void test_quoted_fields(void **state)
{
	struct reading rd;
	const char *text = "a,b,c\n"
			   "\"Berg, Sons\",\"say \"\"hi\"\"\",\"two\nlines\"\n"
			   "x,\"crlf\r\ninside\",\"\"\n"
			   "\"\"\"\",\",\",last\n";

	(void)state;
	start(&rd, text, strlen(text));
	expect_record(&rd, 1, "a|b|c");
	expect_record(&rd, 2, "Berg, Sons|say \"hi\"|two\nlines");
	/* the quoted line break makes the record span lines 2-3 */
	expect_record(&rd, 4, "x|crlf\r\ninside|");
	assert_int_equal(rd.rec.count, 3);
	assert_string_equal(rd.rec.fields[2], "");
	expect_record(&rd, 6, "\"|,|last");
	expect_end(&rd);
}

static void test_empty_fields_and_lines(void **state)
{
	struct reading rd;
	const char *text = "a,b,c\n\n,,\r\n\r\nx,,\n\n";

	(void)state;
	start(&rd, text, strlen(text));
	expect_record(&rd, 1, "a|b|c");
	expect_record(&rd, 3, "||");
	assert_int_equal(rd.rec.count, 3);
	expect_record(&rd, 5, "x||");
	assert_int_equal(rd.rec.count, 3);
	expect_end(&rd);
}

static void test_lone_cr(void **state)
{
	struct reading rd;
	const char *text = "a,b\rc-1,\"x\ry\"\rc-2,z";

	(void)state;
	start(&rd, text, strlen(text));
	expect_record(&rd, 1, "a|b");
	expect_record(&rd, 2, "c-1|x\ry");
	expect_record(&rd, 4, "c-2|z");
	expect_end(&rd);
}

static void test_field_counts_differ(void **state)
{
	struct reading rd;
	const char *text = "a,b,c\n1,2\n1,2,3,4\n1,2,3,\n";

	(void)state;
	start(&rd, text, strlen(text));
	expect_record(&rd, 1, "a|b|c");
	expect_record(&rd, 2, "1|2");
	assert_int_equal(rd.rec.count, 2);
	expect_record(&rd, 3, "1|2|3|4");
	assert_int_equal(rd.rec.count, 4);
	expect_record(&rd, 4, "1|2|3|");
	assert_int_equal(rd.rec.count, 4);
	expect_end(&rd);
}

static void test_text_after_quote(void **state)
{
	struct reading rd;
	const char *text = "a,b\n\"x\"y,z\nok,fine\n";

	(void)state;
	start(&rd, text, strlen(text));
	expect_record(&rd, 1, "a|b");
	expect_record(&rd, 2, "xy|z");
	assert_string_equal(rd.rec.error, "field 1: text after the closing quote");
	expect_record(&rd, 3, "ok|fine");
	assert_string_equal(rd.rec.error, "");
	expect_end(&rd);
}

static void test_quote_inside_unquoted_field(void **state)
{
	struct reading rd;
	const char *text = "a,b\n5\" screen,x\n";

	(void)state;
	start(&rd, text, strlen(text));
	expect_record(&rd, 1, "a|b");
	expect_record(&rd, 2, "5\" screen|x");
	assert_string_equal(rd.rec.error, "");
	expect_end(&rd);
}

static void test_nul_byte(void **state)
{
	struct reading rd;
	const char text[] = "a,b\nx,y\0z\nok,fine\n";

	(void)state;
	start(&rd, text, sizeof(text) - 1);
	expect_record(&rd, 1, "a|b");
	expect_record(&rd, 2, "x|y");
	assert_string_equal(rd.rec.error, "field 2: a NUL byte");
	expect_record(&rd, 3, "ok|fine");
	expect_end(&rd);
}

/* A record keeps CSV_MAX_FIELDS fields; more make it malformed, and the
 * reading goes on at the next record, quoted line breaks included. */
static void test_fields_limit(void **state)
{
	struct buf text = BUF_INIT, first = BUF_INIT;
	struct reading rd;
	int i;

	(void)state;
	assert_int_equal(CSV_MAX_FIELDS, 1000);
	for (i = 0; i < CSV_MAX_FIELDS; i++)
		buf_addf(&text, "%s%d", i ? "," : "", i);
	buf_add(&first, text.ptr, text.len);
	buf_adds(&text, "\n");
	buf_add(&text, first.ptr, first.len);
	buf_adds(&text, ",\"x\ny\",1001,1002\nok,fine\n");
	start(&rd, text.ptr, text.len);
	assert_int_equal(csv_read(&rd.r, &rd.rec), 1);
	assert_int_equal(rd.rec.line, 1);
	assert_int_equal(rd.rec.count, CSV_MAX_FIELDS);
	assert_string_equal(rd.rec.fields[CSV_MAX_FIELDS - 1], "999");
	assert_string_equal(rd.rec.error, "");
	assert_int_equal(csv_read(&rd.r, &rd.rec), 1);
	assert_int_equal(rd.rec.line, 2);
	assert_int_equal(rd.rec.count, CSV_MAX_FIELDS);
	assert_string_equal(rd.rec.fields[CSV_MAX_FIELDS - 1], "999");
	assert_string_equal(rd.rec.error, "field 1001: a record holds at most 1000 fields");
	expect_record(&rd, 4, "ok|fine");
	assert_string_equal(rd.rec.error, "");
	expect_end(&rd);
	buf_release(&text);
	buf_release(&first);
}

static void test_unterminated_quote(void **state)
{
	struct reading rd;
	const char *text = "a,b,c\nok,1,2\nx,\"open\nmore\n\nend";

	(void)state;
	start(&rd, text, strlen(text));
	expect_record(&rd, 1, "a|b|c");
	expect_record(&rd, 2, "ok|1|2");
	assert_int_equal(csv_read(&rd.r, &rd.rec), -1);
	assert_int_equal(rd.rec.line, 3);
	assert_string_equal(rd.rec.error, "field 2: the quote opened on line 3 is never closed");
	assert_string_equal(error_last(), "field 2: the quote opened on line 3 is never closed");
	expect_end(&rd);
}

static void test_empty_input(void **state)
{
	struct reading rd;

	(void)state;
	start(&rd, "", 0);
	expect_end(&rd);
	start(&rd, "\xef\xbb\xbf", 3);
	expect_end(&rd);
	start(&rd, "\n\r\n", 3);
	expect_end(&rd);
}

static void test_write_fields(void **state)
{
	struct buf b = BUF_INIT;

	(void)state;
	csv_add_field(&b, "plain");
	buf_addc(&b, ',');
	csv_add_field(&b, "");
	buf_addc(&b, ',');
	csv_add_field(&b, "a,b");
	buf_addc(&b, ',');
	csv_add_field(&b, "say \"hi\"");
	buf_addc(&b, ',');
	csv_add_field(&b, "two\r\nlines");
	buf_addc(&b, ',');
	csv_add_field(&b, " padded ");
	buf_addc(&b, ',');
	csv_add_field(&b, "550 5.1.1 <x@example.com>: unknown");
	assert_string_equal(b.ptr, "plain,,\"a,b\",\"say \"\"hi\"\"\",\"two\r\nlines\",\" padded \","
				   "550 5.1.1 <x@example.com>: unknown");
	buf_release(&b);
}

/* Cells for spreadsheets: formulas and dates neutralised, the delimiter
 * quoted. */
static void test_write_cells(void **state)
{
	static const char *const cells[] = {
		"=HYPERLINK(\"http://example.com\")", "+1", "-2+3", "@SUM(A1)", "\tx", "\rx",
		"a;b", "a,b", "x=1", "", "5.1.1", "4.7.", "1/2/2026", "550", "1.2.3.4", "v5.1.1", "5..1",
	};
	struct buf b = BUF_INIT;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cells) / sizeof(*cells); i++) {
		if (i)
			buf_addc(&b, ';');
		csv_add_cell(&b, cells[i], ';');
	}
	assert_string_equal(b.ptr, "\"'=HYPERLINK(\"\"http://example.com\"\")\";'+1;'-2+3;'@SUM(A1);"
				   "'\tx;\"'\rx\";\"a;b\";a,b;x=1;;'5.1.1;'4.7.;'1/2/2026;550;1.2.3.4;v5.1.1;5..1");
	buf_reset(&b);
	csv_add_cell(&b, "\tx", '\t');
	buf_addc(&b, '\t');
	csv_add_cell(&b, "a,b", ',');
	buf_addc(&b, ',');
	csv_add_cell(&b, "5.1.1", ',');
	assert_string_equal(b.ptr, "\"'\tx\"\t\"a,b\",5.1.1");
	buf_release(&b);
}

/* What csv_add_field writes, csv_read reads back unchanged. */
static void test_round_trip(void **state)
{
	static const char *const values[] = { "", "x", "a,b", "\"", "\"\"", "line\nbreak",
					      "cr\rlf\r\n", " lead", "trail ", "ünïcödé, \"q\"" };
	const size_t n = sizeof(values) / sizeof(*values);
	struct reading rd;
	struct buf b = BUF_INIT;
	size_t i;

	(void)state;
	for (i = 0; i < n; i++) {
		if (i)
			buf_addc(&b, ',');
		csv_add_field(&b, values[i]);
	}
	buf_adds(&b, "\r\nnext\r\n");
	start(&rd, b.ptr, b.len);
	assert_int_equal(csv_read(&rd.r, &rd.rec), 1);
	assert_int_equal(rd.rec.count, n);
	for (i = 0; i < n; i++)
		assert_string_equal(rd.rec.fields[i], values[i]);
	assert_string_equal(rd.rec.error, "");
	expect_record(&rd, 5, "next");
	expect_end(&rd);
	buf_release(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain_lf),
		cmocka_unit_test(test_crlf_bom_no_final_newline),
		cmocka_unit_test(test_quoted_fields),
		cmocka_unit_test(test_empty_fields_and_lines),
		cmocka_unit_test(test_lone_cr),
		cmocka_unit_test(test_field_counts_differ),
		cmocka_unit_test(test_text_after_quote),
		cmocka_unit_test(test_quote_inside_unquoted_field),
		cmocka_unit_test(test_nul_byte),
		cmocka_unit_test(test_fields_limit),
		cmocka_unit_test(test_unterminated_quote),
		cmocka_unit_test(test_empty_input),
		cmocka_unit_test(test_write_fields),
		cmocka_unit_test(test_write_cells),
		cmocka_unit_test(test_round_trip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
