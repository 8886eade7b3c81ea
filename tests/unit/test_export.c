#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "diag.h"
#include "export.h"
#include "fixture.h"
#include "plan.h"
#include "schedule.h"

static const char *config_yaml =
	"organization: { name: Test Org, postal_address: \"Street 1, Berlin\", site_url: https://status.example.com, timezone: Europe/Berlin }\n"
	"unsubscribe: { address: unsubscribe@example.com }\n"
	"departments: [ { id: d1, name: Dept } ]\n"
	"people:\n"
	"  - { id: ann, name: Ann Example, email: ann@example.com, department: d1, role: sales_manager }\n"
	"accounts:\n"
	"  - { id: ann-a, owner: ann, from: \"Ann <ann@example.com>\", smtp: \"smtp://127.0.0.1:2525\", daily_limit: 100 }\n";

struct fx {
	char *root;
	struct plan *plan;
	struct diag_list diags;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	f->root = fixture_tmpdir();
	fixture_write(f->root, "mailout.yaml", config_yaml);
	fixture_write(f->root, "templates/t1.md", "---\nsubject: Hello\n---\nHi {{first_name}}\n");
	fixture_write(f->root, "recipients/contacts/a.yaml",
		      "- { id: c-1, email: One@Example.net, first_name: A, owner: ann }\n"
		      "- { id: c-2, email: two@example.net, first_name: B, owner: ann }\n"
		      "- { id: c-3, email: three@example.net, first_name: C, owner: ann }\n"
		      "- { id: c-4, email: four@example.net, first_name: D, owner: ann }\n");
	fixture_write(f->root, "recipients/suppressions.tsv",
		      "address\treason\ttime\tsource\nfour@example.net\tunsubscribed\t2026-11-01T00:00:00Z\tmanual\n");
	fixture_write(f->root, "campaigns/c1/campaign.yaml",
		      "name: One\ntemplate: t1\nrecipient_type: contacts\nowner: ann\nstart: 2026-12-01\n");
	fixture_write(f->root, "campaigns/c1/log/ann-a.tsv",
		      "#mailout-log v1\n"
		      "2026-12-01T08:00:00Z\tclaim\tc-1\tone@example.net\t<1@example.com>\n"
		      "2026-12-01T08:00:02Z\tsent\tc-1\t250\t2.0.0\tOK\n"
		      "2026-12-01T08:10:00Z\tclaim\tc-2\ttwo@example.net\t<2@example.com>\n"
		      "2026-12-01T08:10:01Z\tfailed\tc-2\t550\t5.7.1\tRejected, \"policy\"\n");
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	plan_close(f->plan);
	diag_release(&f->diags);
	fixture_remove(f->root);
	free(f->root);
	free(f);
	tz_cache_release();
	return 0;
}

static void test_export_rows(void **state)
{
	struct fx *f = *state;
	char *text = NULL;
	size_t len = 0;
	FILE *out;

	if (plan_open(&f->plan, f->root, NULL, 0, &f->diags) < 0) {
		diag_print(stderr, &f->diags);
		fail_msg("plan_open: %s", error_last());
	}
	out = open_memstream(&text, &len);
	assert_non_null(out);
	assert_int_equal(export_campaign_csv(out, f->plan, "c1", NULL), 0);
	assert_int_equal(fclose(out), 0);
	assert_string_equal(text,
			    EXPORT_CSV_HEADER "\r\n"
			    "c-1,One@Example.net,sent,ann-a,2026-12-01T08:00:02Z,1,250,2.0.0,OK\r\n"
			    "c-2,two@example.net,failed,ann-a,2026-12-01T08:10:00Z,1,550,5.7.1,\"Rejected, \"\"policy\"\"\"\r\n"
			    "c-3,three@example.net,pending,ann-a,,0,,,\r\n"
			    "c-4,four@example.net,suppressed,ann-a,,0,,,\r\n");
	free(text);

	text = NULL;
	out = open_memstream(&text, &len);
	assert_non_null(out);
	assert_int_equal(export_campaign_csv(out, f->plan, "c2", NULL), -1);
	assert_string_equal(error_last(), "unknown campaign 'c2'");
	assert_int_equal(fclose(out), 0);
	assert_int_equal(len, 0);
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_export_rows, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
