#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "fixture.h"
#include "plan.h"
#include "schedule.h"
#include "status.h"

static const char *config_yaml =
	"organization: { name: Test Org, postal_address: \"Street 1, Berlin\", site_url: https://status.example.com, timezone: Europe/Berlin }\n"
	"unsubscribe: { address: unsubscribe@example.com }\n"
	"departments: [ { id: d1, name: Dept } ]\n"
	"people:\n"
	"  - { id: ann, name: Ann Example, email: ann@example.com, department: d1, role: sales_manager }\n"
	"accounts:\n"
	"  - { id: ann-a, owner: ann, from: \"Ann <ann@example.com>\", smtp: \"smtp://127.0.0.1:2525\", daily_limit: 10, main: true }\n";

struct fx {
	char *root;
	struct plan *plan;
	struct diag_list diags;
	struct campaign_summary *list;
	size_t n;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	f->root = fixture_tmpdir();
	assert_non_null(f->root);
	assert_int_equal(fixture_write(f->root, "mailout.yaml", config_yaml), 0);
	assert_int_equal(fixture_write(f->root, "templates/t1.md", "---\nsubject: Hello\n---\nHi {{first_name}}\n"), 0);
	assert_int_equal(fixture_write(f->root, "recipients/contacts/ann.yaml",
				       "- { id: c-1, email: one@example.net, first_name: One, owner: ann, vip: true }\n"
				       "- { id: c-2, email: two@example.net, first_name: Two, owner: ann }\n"
				       "- { id: c-3, email: three@example.net, first_name: Three, owner: ann }\n"),
			 0);
	assert_int_equal(fixture_write(f->root, "recipients/suppressions.tsv",
				       "address\treason\ttime\tsource\n"
				       "three@example.net\tunsubscribed\t2026-11-02T09:14:00Z\tc1\n"),
			 0);
	assert_int_equal(fixture_write(f->root, "campaigns/c1/campaign.yaml",
				       "name: \"Winter \\\"news\\\"\"\ntemplate: t1\nrecipient_type: contacts\nowner: ann\nstart: 2026-12-01\n"),
			 0);
	assert_int_equal(fixture_write(f->root, "campaigns/c2/campaign.yaml",
				       "name: Paused\ntemplate: t1\nrecipient_type: contacts\nowner: ann\nstatus: paused\nvip_only: true\n"),
			 0);
	assert_int_equal(setenv("MAILOUT_NOW", "2026-12-07T09:00", 1), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	plan_summaries_free(f->list, f->n);
	plan_close(f->plan);
	diag_release(&f->diags);
	fixture_remove(f->root);
	free(f->root);
	free(f);
	unsetenv("MAILOUT_NOW");
	tz_cache_release();
	return 0;
}

static void summarise(struct fx *f)
{
	if (plan_open(&f->plan, f->root, NULL, 0, &f->diags) < 0) {
		diag_print(stderr, &f->diags);
		fail_msg("plan_open: %s", error_last());
	}
	clock_set_zone(plan_config(f->plan)->zone);
	assert_int_equal(plan_summaries(f->plan, clock_now(), &f->list, &f->n), 0);
	assert_int_equal(f->n, 2);
}

/* Every field, in order, one campaign a line; a name's quotes escaped.
 * c-1 is c2's too, with the same template, and c2 (without a start)
 * comes first: c-1 is skipped in c1. */
static void test_json(void **state)
{
	struct fx *f = *state;
	struct buf b = BUF_INIT;

	summarise(f);
	status_json(&b, f->plan, f->list, f->n);
	assert_string_equal(b.ptr,
			    "{\"plan\": {\"commit\": null, \"dirty\": false, \"built_at\": \"2026-12-07T08:00:00Z\"}, \"campaigns\": [\n"
			    "  {\"id\": \"c1\", \"name\": \"Winter \\\"news\\\"\", \"recipient_type\": \"contacts\", \"status\": \"active\", \"owner\": \"ann\", \"department\": \"d1\", \"vip_only\": false, \"template\": \"t1\", \"merged_into\": null, \"recipients\": 3, \"pending\": 1, \"sent\": 0, \"failed\": 0, \"retrying\": 0, \"suppressed\": 1, \"skipped\": 1, \"unconfirmed\": 0, \"completion\": 66, \"sent_today\": 0, \"accounts\": [{\"id\": \"ann-a\", \"main\": true, \"usable\": true, \"reason\": null}], \"unconfirmed_claims\": [], \"notifications_total\": 0, \"notifications\": []},\n"
			    "  {\"id\": \"c2\", \"name\": \"Paused\", \"recipient_type\": \"contacts\", \"status\": \"paused\", \"owner\": \"ann\", \"department\": \"d1\", \"vip_only\": true, \"template\": \"t1\", \"merged_into\": null, \"recipients\": 1, \"pending\": 1, \"sent\": 0, \"failed\": 0, \"retrying\": 0, \"suppressed\": 0, \"skipped\": 0, \"unconfirmed\": 0, \"completion\": 0, \"sent_today\": 0, \"accounts\": [{\"id\": \"ann-a\", \"main\": true, \"usable\": true, \"reason\": null}], \"unconfirmed_claims\": [], \"notifications_total\": 0, \"notifications\": []}\n"
			    "]}\n");
	/* none: an empty list on the same line */
	buf_reset(&b);
	status_json(&b, f->plan, f->list, 0);
	assert_string_equal(b.ptr,
			    "{\"plan\": {\"commit\": null, \"dirty\": false, \"built_at\": \"2026-12-07T08:00:00Z\"}, \"campaigns\": []}\n");
	buf_release(&b);
}

/* --check: an interrupted campaign or a red account, in the campaigns
 * asked about only. */
static void test_needs_attention(void **state)
{
	struct fx *f = *state;
	struct account_summary *shared, red;

	summarise(f);
	assert_false(status_needs_attention(f->list, f->n));
	f->list[1].status = STATUS_INTERRUPTED;
	assert_true(status_needs_attention(f->list, f->n));
	assert_false(status_needs_attention(f->list, 1));
	f->list[1].status = STATUS_PAUSED;
	/* one owner: one array of accounts for both campaigns */
	shared = f->list[0].accounts;
	assert_ptr_equal(f->list[1].accounts, shared);
	assert_true(f->list[0].accounts_owner);
	assert_false(f->list[1].accounts_owner);
	red = shared[0];
	red.red = 1;
	f->list[0].accounts = &red;
	assert_true(status_needs_attention(f->list, 1));
	assert_false(status_needs_attention(f->list + 1, 1));
	assert_false(status_needs_attention(f->list, 0));
	f->list[0].accounts = shared;
}

/* accounts list --json: one object a line, reason null when usable,
 * strings escaped. */
static void test_accounts_json(void **state)
{
	char main_id[] = "ann-main", odd_id[] = "ann-\"b\"", owner[] = "ann";
	struct account a[2];
	struct account_summary list[2];
	struct buf b = BUF_INIT;

	(void)state;
	memset(a, 0, sizeof(a));
	memset(list, 0, sizeof(list));
	a[0].id = main_id;
	a[0].owner = owner;
	a[0].enabled = 1;
	a[1].id = odd_id;
	a[1].owner = owner;
	list[0].account = &a[0];
	list[0].usable = 1;
	list[1].account = &a[1];
	snprintf(list[1].reason, sizeof(list[1].reason), "disabled in mailout.yaml");
	status_accounts_json(&b, list, 2);
	assert_string_equal(b.ptr,
			    "[{\"id\": \"ann-main\", \"owner\": \"ann\", \"enabled\": true, \"usable\": true, \"reason\": null},\n"
			    " {\"id\": \"ann-\\\"b\\\"\", \"owner\": \"ann\", \"enabled\": false, \"usable\": false, \"reason\": \"disabled in mailout.yaml\"}]\n");
	buf_reset(&b);
	status_accounts_json(&b, list, 0);
	assert_string_equal(b.ptr, "[]\n");
	buf_release(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_json, setup, teardown),
		cmocka_unit_test_setup_teardown(test_needs_attention, setup, teardown),
		cmocka_unit_test(test_accounts_json),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
