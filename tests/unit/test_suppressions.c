#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "diag.h"
#include "suppressions.h"

/* printf '%s' ADDRESS | sha256sum */
#define JANA "sha256:60c64e4aaf9b023a9ee18b8190e194a931f558736dafb419ffb2a62346e73aa5"
#define LEA "sha256:837b55a6524924b0b94fcc98d0f47bdf734037eabfc6102aa3e05bc9a442dfa1"
#define LUKAS "sha256:850faa8cd9401f10524b8bbaed2b86dce107502ecec0d3a36bba22d9966d2f63"

static const char both_forms[] =
	"address\treason\ttime\tsource\r\n"
	"# people write here too\r\n"
	"Jana.Novak@Example.NET\tunsubscribed\t2026-12-07T08:20:00Z\tdecember-update\r\n"
	LEA "\tbounced\t2026-12-08T08:20:00Z\tc-2\n"
	"\n"
	"lukas@example.com\terased\t2026-12-09T08:20:00Z\tmanual";

static void test_both_forms_one_lookup(void **state)
{
	struct diag_list diags = DIAG_LIST_INIT;
	struct suppressions s;
	const struct suppression *x;

	(void)state;
	suppressions_parse(&s, both_forms, strlen(both_forms), &diags);
	assert_int_equal(diags.errors + diags.warnings, 0);
	assert_int_equal(s.by_hash.count, 3);
	assert_int_equal(s.plain, 2);
	assert_int_equal(s.first_plain, 3);
	/* an address in any case, or its hash, finds the line */
	x = suppressions_find(&s, "jana.novak@example.net");
	assert_non_null(x);
	assert_string_equal(x->reason, "unsubscribed");
	assert_int_equal(x->line, 3);
	assert_int_equal(x->hashed, 0);
	assert_ptr_equal(suppressions_find(&s, JANA), x);
	x = suppressions_find(&s, "Lea@Example.com");
	assert_non_null(x);
	assert_string_equal(x->reason, "bounced");
	assert_int_equal(x->line, 4);
	assert_int_equal(x->hashed, 1);
	assert_ptr_equal(suppressions_find(&s, LEA), x);
	assert_string_equal(suppressions_find(&s, LUKAS)->reason, "erased");
	assert_null(suppressions_find(&s, "max@example.com"));
	suppressions_release(&s);
	diag_release(&diags);
}

/* Each bad hash is an error at its line and the column of the first
 * character that spoils it; the line suppresses nothing. */
static void test_malformed_hashes(void **state)
{
	static const char text[] =
		"address\treason\ttime\tsource\n"
		"sha256:60c64e4aaf9b023a9ee18b8190e194a931f558736dafb419ffb2a62346e73aa\tmanual\t2026-12-07T08:20:00Z\tm\n"
		"sha256:60c64e4aaf9b023a9ee18b8190e194a931f558736dafb419ffb2a62346e73aa55\tmanual\t2026-12-07T08:20:00Z\tm\n"
		"SHA256:60c64e4aaf9b023a9ee18b8190e194a931f558736dafb419ffb2a62346e73aa5\tmanual\t2026-12-07T08:20:00Z\tm\n"
		"sha256:60c64e4aaf9b023a9ee18b8190e194a931f558736dafb419ffb2a62346e73Aa5\tmanual\t2026-12-07T08:20:00Z\tm\n"
		"sha256:\tmanual\t2026-12-07T08:20:00Z\tm\n";
	struct diag_list diags = DIAG_LIST_INIT;
	struct suppressions s;
	static const int cols[] = { 71, 72, 1, 69, 8 };
	size_t i;

	(void)state;
	suppressions_parse(&s, text, strlen(text), &diags);
	assert_int_equal(diags.errors, 5);
	assert_int_equal(s.by_hash.count, 0);
	for (i = 0; i < 5; i++) {
		assert_string_equal(diags.items[i].path, "recipients/suppressions.tsv");
		assert_int_equal(diags.items[i].line, (int)i + 2);
		assert_int_equal(diags.items[i].col, cols[i]);
	}
	assert_string_equal(diags.items[4].message,
			    "invalid hash 'sha256:': expected sha256: and 64 lower-case hex digits");
	suppressions_release(&s);
	diag_release(&diags);
}

static void test_hash_text(void **state)
{
	struct buf out = BUF_INIT, again = BUF_INIT;
	size_t converted = 99;

	(void)state;
	suppressions_hash_text(&out, both_forms, strlen(both_forms), &converted);
	assert_int_equal(converted, 2);
	/* the same lines in the same order, every byte but the addresses kept */
	assert_string_equal(out.ptr, "address\treason\ttime\tsource\r\n"
				     "# people write here too\r\n"
				     JANA "\tunsubscribed\t2026-12-07T08:20:00Z\tdecember-update\r\n"
				     LEA "\tbounced\t2026-12-08T08:20:00Z\tc-2\n"
				     "\n"
				     LUKAS "\terased\t2026-12-09T08:20:00Z\tmanual");
	/* a second run changes nothing */
	suppressions_hash_text(&again, out.ptr, out.len, &converted);
	assert_int_equal(converted, 0);
	assert_string_equal(again.ptr, out.ptr);
	buf_release(&out);
	buf_release(&again);
}

static void test_field(void **state)
{
	char *f;

	(void)state;
	f = suppression_field("Jana.Novak@Example.NET", 0);
	assert_string_equal(f, "jana.novak@example.net");
	free(f);
	f = suppression_field("Jana.Novak@Example.NET", 1);
	assert_string_equal(f, JANA);
	free(f);
	f = suppression_field(JANA, 0); /* a hash stays one */
	assert_string_equal(f, JANA);
	free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_both_forms_one_lookup),
		cmocka_unit_test(test_malformed_hashes),
		cmocka_unit_test(test_hash_text),
		cmocka_unit_test(test_field),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
