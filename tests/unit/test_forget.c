#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "addrhash.h"
#include "buf.h"
#include "diag.h"
#include "fixture.h"
#include "forget.h"
#include "safefile.h"

static const char *const jana[] = { "jana.novak@example.net" };

/* Removes jana's records from text; the result (NUL-terminated) in out. */
static int remove_jana(struct buf *out, size_t *removed, const char *text, struct diag_list *d)
{
	buf_reset(out);
	return forget_remove_records(out, removed, "recipients/contacts/x.yaml", text, strlen(text),
				     jana, 1, d);
}

static void test_remove_flow_records(void **state)
{
	struct buf out = BUF_INIT;
	struct diag_list d = DIAG_LIST_INIT;
	size_t removed;
	const char *text =
		"# Contacts, exported from the CRM.\n"
		"- { id: c-1, email: anna@example.com, owner: alice }   # a note on anna\n"
		"- { id: c-2, email: Jana.Novak@Example.NET, owner: alice, tags: [a, b] }  # a note on jana\n"
		"# the next one came from a fair\n"
		"\n"
		"- { id: c-3, email: carl@example.com, owner: alice }\n";

	(void)state;
	assert_int_equal(remove_jana(&out, &removed, text, &d), 0);
	assert_int_equal(removed, 1);
	assert_string_equal(out.ptr,
			    "# Contacts, exported from the CRM.\n"
			    "- { id: c-1, email: anna@example.com, owner: alice }   # a note on anna\n"
			    "# the next one came from a fair\n"
			    "\n"
			    "- { id: c-3, email: carl@example.com, owner: alice }\n");
	assert_int_equal(d.count, 0);
	buf_release(&out);
}

static void test_remove_block_records(void **state)
{
	struct buf out = BUF_INIT;
	struct diag_list d = DIAG_LIST_INIT;
	size_t removed;
	const char *text =
		"  - id: c-1\n"
		"    email: jana.novak@example.net\n"
		"    # her second address is in the CRM\n"
		"    tags:\n"
		"      - newsletter\n"
		"  -\n"
		"    id: c-2\n"
		"    email: \"anna@example.com\"\n"
		"  - id: c-3\n"
		"    email: 'JANA.NOVAK@example.net'\n";

	(void)state;
	assert_int_equal(remove_jana(&out, &removed, text, &d), 0);
	assert_int_equal(removed, 2);
	assert_string_equal(out.ptr, "  -\n"
				     "    id: c-2\n"
				     "    email: \"anna@example.com\"\n");
	buf_release(&out);
}

static void test_remove_last_record(void **state)
{
	struct buf out = BUF_INIT;
	struct diag_list d = DIAG_LIST_INIT;
	size_t removed;

	(void)state;
	/* the last record, without a final newline; a comment after it stays */
	assert_int_equal(remove_jana(&out, &removed,
				     "- { id: c-1, email: anna@example.com }\n"
				     "- { id: c-2, email: jana.novak@example.net }",
				     &d), 0);
	assert_int_equal(removed, 1);
	assert_string_equal(out.ptr, "- { id: c-1, email: anna@example.com }\n");
	assert_int_equal(remove_jana(&out, &removed,
				     "- { id: c-2, email: jana.novak@example.net }\r\n"
				     "# end of the export\r\n",
				     &d), 0);
	assert_int_equal(removed, 1);
	assert_string_equal(out.ptr, "# end of the export\r\n");
	/* a byte-order mark and a multi-byte name before the record */
	assert_int_equal(remove_jana(&out, &removed,
				     "\xef\xbb\xbf- { id: c-9, email: jörg@example.com }\n"
				     "- { id: c-2, name: Jürgen Weiß, email: jana.novak@example.net }\n"
				     "- { id: c-3, email: carl@example.com }\n",
				     &d), 0);
	assert_int_equal(removed, 1);
	assert_string_equal(out.ptr, "\xef\xbb\xbf- { id: c-9, email: jörg@example.com }\n"
				     "- { id: c-3, email: carl@example.com }\n");
	assert_int_equal(d.count, 0);
	buf_release(&out);
}

static void test_nothing_to_remove(void **state)
{
	struct buf out = BUF_INIT;
	struct diag_list d = DIAG_LIST_INIT;
	size_t removed;
	const char *text = "# only a comment\n- { id: c-1, email: xjana.novak@example.net }\n";

	(void)state;
	assert_int_equal(remove_jana(&out, &removed, text, &d), 0);
	assert_int_equal(removed, 0);
	assert_string_equal(out.ptr, text);
	assert_int_equal(remove_jana(&out, &removed, "# no records at all\n", &d), 0);
	assert_int_equal(removed, 0);
	assert_string_equal(out.ptr, "# no records at all\n");
	buf_release(&out);
}

static void test_refusals(void **state)
{
	struct buf out = BUF_INIT;
	struct diag_list d = DIAG_LIST_INIT;
	size_t removed;

	(void)state;
	assert_int_equal(remove_jana(&out, &removed,
				     "[{ id: c-1, email: jana.novak@example.net }, { id: c-2, email: a@example.com }]\n",
				     &d), -1);
	assert_int_equal(d.errors, 1);
	assert_string_equal(d.items[0].path, "recipients/contacts/x.yaml");
	assert_int_equal(d.items[0].line, 1);
	assert_int_equal(d.items[0].col, 1);
	assert_non_null(strstr(d.items[0].message, "one flow sequence"));
	diag_release(&d);
	assert_int_equal(remove_jana(&out, &removed, "- { id: c-1, email: [\n", &d), -1);
	assert_true(d.errors >= 1);
	assert_int_equal(d.items[0].line, 2);
	diag_release(&d);
	buf_release(&out);
}

static void test_find_whole_address(void **state)
{
	const char *t = "to <JANA.novak@example.net>, xjana.novak@example.net, jana.novak@example.network";
	const char *p;

	(void)state;
	p = forget_find(t, strlen(t), "jana.novak@example.net");
	assert_ptr_equal(p, t + 4);
	p = forget_find(t + 5, strlen(t + 5), "jana.novak@example.net");
	assert_null(p);
	p = forget_find("mail jana.novak@example.net.", 28, "jana.novak@example.net");
	assert_non_null(p);
	assert_null(forget_find("jana.novak@example.net.de", 25, "jana.novak@example.net"));
	assert_null(forget_find("jana.novak@example.net-x", 24, "jana.novak@example.net"));
}

static void test_replace(void **state)
{
	struct buf out = BUF_INIT;
	const char *const both[] = { "jana.novak@example.net", "anna@example.com" };
	const char *line = "2026-12-07T08:30:00Z\tclaim\tc-1\tJana.Novak@example.net\t<1@x>\t<anna@example.com>\n";
	char hj[ADDR_HASH_LEN + 1], ha[ADDR_HASH_LEN + 1], want[512];

	(void)state;
	addr_hash("jana.novak@example.net", hj);
	addr_hash("anna@example.com", ha);
	assert_int_equal(forget_replace(&out, line, strlen(line), both, 2), 2);
	snprintf(want, sizeof(want), "2026-12-07T08:30:00Z\tclaim\tc-1\t%s\t<1@x>\t<%s>\n", hj, ha);
	assert_string_equal(out.ptr, want);
	buf_reset(&out);
	assert_int_equal(forget_replace(&out, want, strlen(want), both, 2), 0);
	assert_string_equal(out.ptr, want);
	buf_release(&out);
}

/* A whole run on a scratch repository, twice. */
static void test_prepare_apply_idempotent(void **state)
{
	struct forget_result r;
	struct diag_list d = DIAG_LIST_INIT;
	struct buf text = BUF_INIT, want = BUF_INIT;
	struct erasures e;
	char *root = fixture_tmpdir(), hash[ADDR_HASH_LEN + 1];
	const char *const who[] = { "jana.novak@example.net" };

	(void)state;
	assert_non_null(root);
	addr_hash(who[0], hash);
	assert_int_equal(fixture_write(root, "recipients/contacts/a.yaml",
				       "# people\n- { id: c-1, email: jana.novak@example.net, owner: alice }\n"
				       "- { id: c-2, email: anna@example.com, owner: alice }\n"), 0);
	assert_int_equal(fixture_write(root, "recipients/leads/b.yaml",
				       "- { id: l-1, email: anna@example.com, owner: alice }\n"), 0);
	assert_int_equal(fixture_write(root, "recipients/suppressions.tsv",
				       "address\treason\ttime\tsource\n"
				       "JANA.NOVAK@example.net\tunsubscribed\t2026-11-02T09:14:00Z\tx\n"), 0);
	assert_int_equal(fixture_write(root, "campaigns/x/log/a.tsv",
				       "#mailout-log v1\n2026-12-07T08:30:00Z\tclaim\tc-1\tjana.novak@example.net\t<1@x>\n"
				       "2026-12-07T08:30:01Z\tsent\tc-1\t250\t-\tok\n"), 0);

	assert_int_equal(forget_prepare(&r, root, who, 1, 1796000000, &d), 0);
	assert_int_equal(r.nfiles, 3);
	assert_string_equal(r.files[0].path, "recipients/contacts/a.yaml");
	assert_int_equal(r.files[0].records, 1);
	assert_string_equal(r.files[1].path, "campaigns/x/log/a.tsv");
	assert_int_equal(r.files[1].replaced, 1);
	assert_string_equal(r.files[2].path, "recipients/suppressions.tsv");
	assert_int_equal(r.files[2].hashed, 1);
	assert_int_equal(r.files[2].added, 1);
	assert_int_equal(forget_apply(&r, root), 0);
	forget_result_release(&r);

	assert_int_equal(content_read(&text, root, "recipients/suppressions.tsv", 1 << 20, NULL), 0);
	buf_addf(&want, "address\treason\ttime\tsource\n%s\tunsubscribed\t2026-11-02T09:14:00Z\tx\n"
			"%s\terased\t2026-11-30T00:53:20Z\tforget\n", hash, hash);
	assert_string_equal(text.ptr, want.ptr);
	buf_reset(&text);
	assert_int_equal(content_read(&text, root, "recipients/contacts/a.yaml", 1 << 20, NULL), 0);
	assert_string_equal(text.ptr, "# people\n- { id: c-2, email: anna@example.com, owner: alice }\n");
	assert_int_equal(erasures_load(&e, root), 0);
	assert_int_equal(erasures_line(&e, "Jana.Novak@example.net"), 3);
	assert_int_equal(erasures_line(&e, hash), 3);
	assert_int_equal(erasures_line(&e, "anna@example.com"), 0);
	erasures_release(&e);

	/* the second run finds nothing to change */
	assert_int_equal(forget_prepare(&r, root, who, 1, 1796000600, &d), 0);
	assert_int_equal(r.nfiles, 0);
	forget_result_release(&r);
	assert_int_equal(d.count, 0);
	assert_int_equal(fixture_run("rm -rf '%s'", root), 0);
	buf_release(&text);
	buf_release(&want);
	free(root);
}

/* A record file that does not parse: nothing is prepared. */
static void test_prepare_bad_file(void **state)
{
	struct forget_result r;
	struct diag_list d = DIAG_LIST_INIT;
	char *root = fixture_tmpdir();
	const char *const who[] = { "jana.novak@example.net" };

	(void)state;
	assert_int_equal(fixture_write(root, "recipients/contacts/a.yaml",
				       "- { id: c-1, email: jana.novak@example.net }\n"), 0);
	assert_int_equal(fixture_write(root, "recipients/contacts/b.yaml", "- { id: c-2, email: [\n"), 0);
	assert_int_equal(forget_prepare(&r, root, who, 1, 1796000000, &d), -1);
	assert_true(d.errors >= 1);
	assert_string_equal(d.items[0].path, "recipients/contacts/b.yaml");
	forget_result_release(&r);
	diag_release(&d);
	assert_int_equal(fixture_run("rm -rf '%s'", root), 0);
	free(root);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_remove_flow_records),
		cmocka_unit_test(test_remove_block_records),
		cmocka_unit_test(test_remove_last_record),
		cmocka_unit_test(test_nothing_to_remove),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_find_whole_address),
		cmocka_unit_test(test_replace),
		cmocka_unit_test(test_prepare_apply_idempotent),
		cmocka_unit_test(test_prepare_bad_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
