#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <sys/stat.h>

#include "buf.h"
#include "campaign_new.h"
#include "config.h"
#include "fixture.h"
#include "plan.h"
#include "schedule.h"
#include "xalloc.h"

static const char *config_yaml =
	"organization: { name: Test Org, postal_address: \"Street 1, Berlin\", site_url: https://status.example.com, timezone: Europe/Berlin }\n"
	"unsubscribe: { address: unsubscribe@example.com }\n"
	"departments: [ { id: d1, name: Dept } ]\n"
	"people:\n"
	"  - { id: ann, name: Ann Example, email: ann@example.com, department: d1, role: sales_manager }\n"
	"  - { id: bob, name: Bob Example, email: bob@example.com, department: d1, role: sales_manager }\n"
	"accounts:\n"
	"  - { id: ann-a, owner: ann, from: \"Ann <ann@example.com>\", smtp: \"smtp://127.0.0.1:2525\", daily_limit: 4 }\n";

struct fx {
	char *root;
	struct config cfg;
	struct diag_list diags;
	struct campaign_new req;
	struct campaign_new_result result;
};

/* 10 contacts of ann (c-1 and c-6 VIPs, c-3 suppressed) and 2 leads. */
static int setup(void **state)
{
	struct fx *f = xcalloc(1, sizeof(*f));
	struct buf b = BUF_INIT;
	int i;

	f->root = fixture_tmpdir();
	assert_non_null(f->root);
	assert_int_equal(fixture_write(f->root, "mailout.yaml", config_yaml), 0);
	assert_int_equal(fixture_write(f->root, "templates/winter-news.md",
				       "---\nsubject: Winter news\n---\nHi {{first_name}}\n"),
			 0);
	assert_int_equal(fixture_write(f->root, "templates/signatures/ann.md", "Ann\n"), 0);
	for (i = 1; i <= 10; i++)
		buf_addf(&b, "- { id: c-%d, email: person%d@example.net, first_name: P%d, owner: ann, vip: %s }\n",
			 i, i, i, i % 5 == 1 ? "true" : "false");
	assert_int_equal(fixture_write(f->root, "recipients/contacts/ann.yaml", b.ptr), 0);
	assert_int_equal(fixture_write(f->root, "recipients/leads/ann.yaml",
				       "- { id: l-1, email: lead1@example.net, first_name: L, owner: ann }\n"
				       "- { id: l-2, email: lead2@example.net, first_name: M, owner: ann }\n"),
			 0);
	assert_int_equal(fixture_write(f->root, "recipients/suppressions.tsv",
				       "address\treason\ttime\tsource\n"
				       "person3@example.net\tunsubscribed\t2026-11-02T09:14:00Z\tc1\n"),
			 0);
	assert_int_equal(fixture_write(f->root, "campaigns/old/campaign.yaml",
				       "name: Old\ntemplate: winter-news\nrecipient_type: leads\nowner: ann\nstatus: paused\n"),
			 0);
	buf_release(&b);
	assert_int_equal(config_load(&f->cfg, f->root, &f->diags), 0);
	assert_int_equal(setenv("MAILOUT_NOW", "2026-12-07T09:00", 1), 0);
	clock_set_zone(f->cfg.zone);
	f->req.template = "winter-news";
	f->req.owner = "ann";
	f->req.start = "2026-12-07";
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	campaign_new_result_release(&f->result);
	campaign_new_release(&f->req);
	config_release(&f->cfg);
	diag_release(&f->diags);
	fixture_remove(f->root);
	free(f->root);
	free(f);
	unsetenv("MAILOUT_NOW");
	tz_cache_release();
	return 0;
}

/* Every file outside build/, "path\n" sorted. */
static char *list_files(const char *root)
{
	struct buf b = BUF_INIT;
	char *cmd = xasprintf("cd '%s' && find . -type f ! -path './build/*' | LC_ALL=C sort", root);
	char line[4096];
	FILE *p = popen(cmd, "r");

	assert_non_null(p);
	while (fgets(line, sizeof(line), p))
		buf_adds(&b, line);
	assert_int_equal(pclose(p), 0);
	free(cmd);
	return buf_detach(&b, NULL);
}

static char *read_text(const char *root, const char *rel)
{
	struct buf b = BUF_INIT;
	char *path = xasprintf("%s/%s", root, rel);

	assert_int_equal(buf_read_file(&b, path, 1 << 20), 0);
	free(path);
	return buf_detach(&b, NULL);
}

static void test_types(void **state)
{
	struct campaign_new req = CAMPAIGN_NEW_INIT;

	(void)state;
	assert_int_equal(campaign_new_add_types(&req, "leads,contacts"), 0);
	assert_int_equal(req.count, 2);
	assert_int_equal(req.items[0].type, RTYPE_LEADS);
	assert_int_equal(req.items[1].type, RTYPE_CONTACTS);
	campaign_new_release(&req);

	assert_int_equal(campaign_new_add_types(&req, "contacts,contcts"), -1);
	assert_string_equal(error_last(), "unknown recipient type 'contcts' (did you mean 'contacts'?)");
	campaign_new_release(&req);
	assert_int_equal(campaign_new_add_types(&req, "contacts,prospects"), -1);
	assert_string_equal(error_last(), "unknown recipient type 'prospects': contacts, companies or leads");
	campaign_new_release(&req);
	assert_int_equal(campaign_new_add_types(&req, "leads,contacts,leads"), -1);
	assert_string_equal(error_last(), "recipient type 'leads' is given twice");
	campaign_new_release(&req);
}

/* The id: the template's name made an id, the start's date, the type when
 * there are several; the name says whose and from when. */
static void test_ids_and_names(void **state)
{
	struct fx *f = *state;

	f->req.template = "Winter News!";
	f->req.start = "2026-12-07T09:30";
	assert_int_equal(campaign_new_add_types(&f->req, "contacts"), 0);
	assert_int_equal(campaign_new_names(&f->req, &f->cfg, NULL, NULL), 0);
	assert_string_equal(f->req.items[0].id, "winter-news-2026-12-07");
	assert_string_equal(f->req.items[0].name, "Winter News! (contacts of Ann Example, from 2026-12-07)");

	assert_int_equal(campaign_new_add_types(&f->req, "leads"), 0);
	assert_int_equal(campaign_new_names(&f->req, &f->cfg, NULL, NULL), 0);
	assert_string_equal(f->req.items[0].id, "winter-news-2026-12-07-contacts");
	assert_string_equal(f->req.items[1].id, "winter-news-2026-12-07-leads");
	assert_string_equal(f->req.items[1].name, "Winter News! (leads of Ann Example, from 2026-12-07)");

	assert_int_equal(campaign_new_names(&f->req, &f->cfg, "dach", "DACH news"), 0);
	assert_string_equal(f->req.items[0].id, "dach-contacts");
	assert_string_equal(f->req.items[0].name, "DACH news (contacts)");
	assert_string_equal(f->req.items[1].id, "dach-leads");
	assert_string_equal(f->req.items[1].name, "DACH news (leads)");

	/* an owner who is not a person of mailout.yaml is named by the id */
	f->req.owner = "erin";
	f->req.template = "--x--y";
	assert_int_equal(campaign_new_names(&f->req, &f->cfg, NULL, NULL), 0);
	assert_string_equal(f->req.items[0].id, "x-y-2026-12-07-contacts");
	assert_string_equal(f->req.items[0].name, "--x--y (contacts of erin, from 2026-12-07)");

	assert_int_equal(campaign_new_names(&f->req, &f->cfg, "Dach", NULL), -1);
	assert_string_equal(error_last(),
			    "invalid campaign id 'Dach-contacts': use lower-case letters, digits and '-', starting with a letter or digit");
	f->req.template = "!!!";
	assert_int_equal(campaign_new_names(&f->req, &f->cfg, NULL, NULL), -1);
	assert_string_equal(error_last(), "cannot make a campaign id from template '!!!': give one with --id");
}

static void test_item_of(void **state)
{
	struct fx *f = *state;

	assert_int_equal(campaign_new_add_types(&f->req, "contacts,leads"), 0);
	assert_int_equal(campaign_new_names(&f->req, &f->cfg, "news", NULL), 0);
	assert_int_equal(campaign_new_item_of(&f->req, "campaigns/news-leads/campaign.yaml"), 1);
	assert_int_equal(campaign_new_item_of(&f->req, "campaigns/news-contacts/log/a.tsv"), 0);
	assert_int_equal(campaign_new_item_of(&f->req, "campaigns/news-contacts"), -1);
	assert_int_equal(campaign_new_item_of(&f->req, "campaigns/news-contactsx/campaign.yaml"), -1);
	assert_int_equal(campaign_new_item_of(&f->req, "templates/news-leads/campaign.yaml"), -1);
}

/* An error only one of two campaigns brings: neither is made, the
 * diagnostics are the new ones, and every file is as it was. */
static void test_refusal_writes_nothing(void **state)
{
	struct fx *f = *state;
	char *before = list_files(f->root), *after;

	f->req.segment = "dach";
	assert_int_equal(campaign_new_add_types(&f->req, "contacts,leads"), 0);
	assert_int_equal(campaign_new_names(&f->req, &f->cfg, "news", NULL), 0);
	assert_int_equal(campaign_new_create(&f->result, &f->req, f->root), -1);
	assert_int_equal(f->result.outcome, CAMPAIGN_NEW_INVALID);
	assert_null(f->result.plan);
	assert_null(f->result.undo_error);
	assert_int_equal(f->result.diags.count, 2);
	assert_int_equal(f->result.diags.errors, 2);
	assert_string_equal(f->result.diags.items[0].path, "campaigns/news-contacts/campaign.yaml");
	assert_string_equal(f->result.diags.items[0].message,
			    "unknown segment 'dach' (not in recipients/segments.yaml)");
	assert_string_equal(f->result.diags.items[1].path, "campaigns/news-leads/campaign.yaml");
	assert_string_equal(error_last(), "the new campaigns would not validate; nothing was created");
	after = list_files(f->root);
	assert_string_equal(after, before);
	free(after);

	/* a campaign folder that exists: refused before anything is written */
	campaign_new_result_release(&f->result);
	f->req.segment = NULL;
	assert_int_equal(campaign_new_names(&f->req, &f->cfg, "old", NULL), 0);
	assert_int_equal(fixture_write(f->root, "campaigns/old-leads/notes.txt", "kept\n"), 0);
	free(before);
	before = list_files(f->root);
	assert_int_equal(campaign_new_create(&f->result, &f->req, f->root), -1);
	assert_int_equal(f->result.outcome, CAMPAIGN_NEW_FAILED);
	assert_string_equal(f->result.error,
			    "campaign 'old-leads' already exists (campaigns/old-leads); choose another id with --id");
	after = list_files(f->root);
	assert_string_equal(after, before);
	free(after);
	free(before);
}

/* Content with an error already: nothing is created. */
static void test_broken_content_refused(void **state)
{
	struct fx *f = *state;
	struct stat st;
	char *dir = xasprintf("%s/campaigns/winter-news-2026-12-07", f->root);

	assert_int_equal(fixture_write(f->root, "campaigns/broken/campaign.yaml",
				       "name: Broken\ntemplate: winter-news\nrecipient_type: contacts\nowner: ann\nstatus: sleeping\n"),
			 0);
	assert_int_equal(campaign_new_add_types(&f->req, "contacts"), 0);
	assert_int_equal(campaign_new_names(&f->req, &f->cfg, NULL, NULL), 0);
	assert_int_equal(campaign_new_create(&f->result, &f->req, f->root), -1);
	assert_int_equal(f->result.outcome, CAMPAIGN_NEW_FAILED);
	assert_string_equal(f->result.error,
			    "the content has 1 error already ('mailout validate' shows them); nothing was created");
	assert_int_equal(f->result.diags.count, 0);
	assert_int_equal(stat(dir, &st), -1);
	free(dir);
}

static const char *contacts_yaml =
	"name: winter-news (contacts of Ann Example, from 2026-12-07)  # shown in status and on the site\n"
	"template: winter-news                    # templates/winter-news.md\n"
	"recipient_type: contacts                 # contacts | companies | leads\n"
	"filter: { vip: \"true\" }                  # records matching every field\n"
	"owner: ann                               # only ann's contacts are selected\n"
	"status: active                           # active | paused | merged\n"
	"start: 2026-12-07                        # nothing is sent before\n"
	"vip_only: false                          # true: VIP recipients only\n";

/* Two campaigns: exactly their two files are written, the plan reaches
 * whom they select, and the forecast places each message. */
static void test_creation_writes_exactly(void **state)
{
	struct fx *f = *state;
	struct diag_list diags = DIAG_LIST_INIT;
	char *files, *text;

	assert_int_equal(campaign_new_add_types(&f->req, "contacts,leads"), 0);
	assert_int_equal(campaign_new_set_filter(&f->req, "{country: [DE}", &diags), -1);
	assert_int_equal(diags.errors, 1);
	assert_string_equal(diags.items[0].path, "--filter");
	diag_release(&diags);
	assert_int_equal(campaign_new_set_filter(&f->req, "{vip: true}", &diags), 0);
	assert_int_equal(diags.count, 0);
	assert_int_equal(campaign_new_names(&f->req, &f->cfg, NULL, NULL), 0);
	assert_int_equal(campaign_new_create(&f->result, &f->req, f->root), 0);
	assert_int_equal(f->result.outcome, CAMPAIGN_NEW_CREATED);
	assert_non_null(f->result.plan);
	/* the warnings they brought */
	assert_int_equal(f->result.diags.count, 1);
	assert_int_equal(f->result.diags.errors, 0);
	assert_string_equal(f->result.diags.items[0].path,
			    "campaigns/winter-news-2026-12-07-leads/campaign.yaml");
	assert_string_equal(f->result.diags.items[0].message,
			    "the campaign selects no recipients (leads of 'ann' matching the filter)");
	files = list_files(f->root);
	assert_string_equal(files,
			    "./campaigns/old/campaign.yaml\n"
			    "./campaigns/winter-news-2026-12-07-contacts/campaign.yaml\n"
			    "./campaigns/winter-news-2026-12-07-leads/campaign.yaml\n"
			    "./mailout.yaml\n"
			    "./recipients/contacts/ann.yaml\n"
			    "./recipients/leads/ann.yaml\n"
			    "./recipients/suppressions.tsv\n"
			    "./templates/signatures/ann.md\n"
			    "./templates/winter-news.md\n");
	free(files);
	text = read_text(f->root, "campaigns/winter-news-2026-12-07-contacts/campaign.yaml");
	assert_string_equal(text, contacts_yaml);
	free(text);

	/* c-1 and c-6 are VIPs; the leads have no vip field */
	assert_int_equal(campaign_new_count(f->result.plan, &f->req.items[0]), 0);
	assert_int_equal(f->req.items[0].recipients, 2);
	assert_int_equal(f->req.items[0].vip, 2);
	assert_int_equal(f->req.items[0].suppressed, 0);
	assert_int_equal(f->req.items[0].pending, 2);
	assert_int_equal(campaign_new_count(f->result.plan, &f->req.items[1]), 0);
	assert_int_equal(f->req.items[1].recipients, 0);
	assert_int_equal(campaign_new_forecast(f->result.plan, &f->req), 0);
	assert_int_equal(f->req.items[0].would_send, 2);
	assert_true(f->req.items[0].last_send >= clock_now());
	assert_int_equal(f->req.items[1].would_send, 0);
}

/* Without a filter every contact of the owner; the suppressed one is not
 * counted, and four a day on one account take three days. */
static void test_counts_and_forecast(void **state)
{
	struct fx *f = *state;
	char date[32];

	assert_int_equal(campaign_new_add_types(&f->req, "contacts"), 0);
	assert_int_equal(campaign_new_names(&f->req, &f->cfg, NULL, NULL), 0);
	assert_int_equal(campaign_new_create(&f->result, &f->req, f->root), 0);
	assert_int_equal(campaign_new_count(f->result.plan, &f->req.items[0]), 0);
	assert_int_equal(f->req.items[0].recipients, 9);
	assert_int_equal(f->req.items[0].vip, 2);
	assert_int_equal(f->req.items[0].suppressed, 1);
	assert_int_equal(f->req.items[0].skipped, 0);
	assert_int_equal(f->req.items[0].pending, 9);
	assert_int_equal(campaign_new_forecast(f->result.plan, &f->req), 0);
	assert_int_equal(f->req.items[0].would_send, 9);
	campaign_new_local_date(date, f->cfg.zone, f->req.items[0].last_send);
	assert_string_equal(date, "2026-12-09");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_types),
		cmocka_unit_test_setup_teardown(test_ids_and_names, setup, teardown),
		cmocka_unit_test_setup_teardown(test_item_of, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refusal_writes_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_broken_content_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_creation_writes_exactly, setup, teardown),
		cmocka_unit_test_setup_teardown(test_counts_and_forecast, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
