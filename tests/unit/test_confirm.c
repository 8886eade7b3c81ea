/*
 * Unconfirmed claims and the Sent folder: the decision, the replay of
 * `confirmed` and `not-sent` (only for the claim they name, with nothing
 * after it), the plan's queries behind them, and accounts whose mailbox
 * cannot be read.  (tests/e2e/t0875-confirm.sh runs it against Dovecot.)
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "confirm.h"
#include "plan_fixture.h"
#include "schedule.h"

static time_t at(const char *rfc3339)
{
	time_t t;

	assert_int_equal(time_parse_rfc3339(rfc3339, &t), 0);
	return t;
}

/* A loopback port nobody listens on. */
static int closed_port(void)
{
	struct sockaddr_in a;
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port;

	assert_true(fd >= 0);
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	port = ntohs(a.sin_port);
	close(fd);
	return port;
}

static void test_decide(void **state)
{
	time_t claimed = at("2026-12-01T08:00:00Z");

	(void)state;
	/* found: confirmed, however recent and whatever the folder shows */
	assert_int_equal(confirm_decide(1, claimed, claimed, 0), CONFIRM_FOUND);
	assert_int_equal(confirm_decide(1, claimed, claimed + 86400, 1), CONFIRM_FOUND);
	/* not found: 15 minutes first, then only with evidence */
	assert_int_equal(confirm_decide(0, claimed, claimed + CONFIRM_MIN_AGE - 1, 1), CONFIRM_TOO_RECENT);
	assert_int_equal(confirm_decide(0, claimed, claimed + CONFIRM_MIN_AGE - 1, 0), CONFIRM_TOO_RECENT);
	assert_int_equal(confirm_decide(0, claimed, claimed + CONFIRM_MIN_AGE, 1), CONFIRM_NOT_SENT);
	assert_int_equal(confirm_decide(0, claimed, claimed + CONFIRM_MIN_AGE, 0), CONFIRM_UNPROVEN);
	assert_int_equal(confirm_decide(0, claimed, claimed + 7 * 86400, 0), CONFIRM_UNPROVEN);
	/* a claim from the future (a clock behind) is recent */
	assert_int_equal(confirm_decide(0, claimed, claimed - 3600, 1), CONFIRM_TOO_RECENT);
}

static void expect_counts(struct plan *p, long sent, long pending, long unconfirmed)
{
	struct plan_campaign_counts c;

	assert_int_equal(plan_campaign_counts(p, "c1", &c), 0);
	assert_int_equal(c.count[STATE_SENT], sent);
	assert_int_equal(c.count[STATE_PENDING], pending);
	assert_int_equal(c.count[STATE_UNCONFIRMED] + c.count[STATE_CLAIMED], unconfirmed);
	plan_campaign_counts_release(&c);
}

/* The plan's open claims, "RECIPIENT MESSAGE_ID CLAIMED_AT|" each, all of
 * account ann-a. */
static void expect_claims(struct plan *p, const char *expected)
{
	struct plan_iter *it = NULL;
	struct plan_claim claim;
	struct buf got = BUF_INIT;
	char when[32];
	int rc;

	assert_int_equal(plan_open_claims_open(&it, p), 0);
	while ((rc = plan_open_claims_next(it, &claim)) == PLAN_ROW) {
		assert_string_equal(claim.account, "ann-a");
		time_format_rfc3339(when, claim.claimed_at);
		buf_addf(&got, "%s %s %s|", claim.recipient, claim.message_id, when);
	}
	assert_int_equal(rc, PLAN_DONE);
	assert_string_equal(got.len ? got.ptr : "", expected);
	buf_release(&got);
	plan_iter_free(it);
}

static void test_replay(void **state)
{
	struct plan_fx *f = *state;
	struct plan_iter *it = NULL;
	const char *id;

	assert_int_equal(fixture_append(f->root, PLAN_FX_LOG,
		"2026-12-01T08:00:00Z\tclaim\tc-3\tperson3@example.net\t<3@example.com>\n"
		"2026-12-01T08:01:00Z\tclaim\tc-4\tperson4@example.net\t<4@example.com>\n"), 0);
	plan_fx_open(f);
	expect_counts(f->plan, 2, 0, 2);
	expect_claims(f->plan, "c-3 <3@example.com> 2026-12-01T08:00:00Z|c-4 <4@example.com> 2026-12-01T08:01:00Z|");

	/* another claim's Message-ID changes nothing; the right one does */
	assert_int_equal(fixture_append(f->root, PLAN_FX_LOG,
		"2026-12-01T08:20:00Z\tconfirmed\tc-3\tSent\t<9@example.com>\n"
		"2026-12-01T08:20:00Z\tnot-sent\tc-3\tSent\t<9@example.com>\n"
		"2026-12-01T08:20:00Z\tconfirmed\tc-3\tSent\t<3@example.com>\n"
		"2026-12-01T08:20:00Z\tnot-sent\tc-4\tSent\t<4@example.com>\n"), 0);
	plan_fx_open(f);
	expect_counts(f->plan, 3, 1, 0);
	/* a second runner's late not-sent for the old claim leaves the new one */
	assert_int_equal(fixture_append(f->root, PLAN_FX_LOG,
		"2026-12-01T08:30:00Z\tclaim\tc-4\tperson4@example.net\t<5@example.com>\n"
		"2026-12-01T08:40:00Z\tnot-sent\tc-4\tSent\t<4@example.com>\n"
		"2026-12-01T08:40:00Z\tconfirmed\tc-3\tSent\t<3@example.com>\n"), 0);
	plan_fx_open(f);
	expect_counts(f->plan, 3, 0, 1);
	expect_claims(f->plan, "c-4 <5@example.com> 2026-12-01T08:30:00Z|");

	/* accepted messages, newest first: a confirmed one at its claim's time */
	assert_int_equal(plan_account_accepted_open(&it, f->plan, "ann-a", 2), 0);
	assert_int_equal(plan_account_accepted_next(it, &id), PLAN_ROW);
	assert_string_equal(id, "<3@example.com>");
	assert_int_equal(plan_account_accepted_next(it, &id), PLAN_ROW);
	assert_string_equal(id, "<2@example.com>");
	assert_int_equal(plan_account_accepted_next(it, &id), PLAN_DONE);
	plan_iter_free(it);
}

static void test_unreadable(void **state)
{
	struct plan_fx *f = *state;
	struct confirm_result r;

	assert_int_equal(fixture_append(f->root, PLAN_FX_LOG,
		"2026-12-01T08:00:00Z\tclaim\tc-3\tperson3@example.net\t<3@example.com>\n"), 0);
	plan_fx_open(f);
	/* no imap: nothing to search */
	assert_int_equal(confirm_claims(&r, f->plan, at("2026-12-01T09:00:00Z"), NULL, 0), 0);
	assert_int_equal(r.naccounts, 1);
	assert_string_equal(r.accounts[0].id, "ann-a");
	assert_int_equal(r.accounts[0].claims, 1);
	assert_string_equal(r.accounts[0].why, "no 'imap' in mailout.yaml: its Sent folder cannot be searched");
	assert_int_equal(r.nlogs, 0);
	confirm_result_release(&r);
	/* only other accounts asked for: nothing */
	{
		const char *other[] = { "ann-b" };

		assert_int_equal(confirm_claims(&r, f->plan, at("2026-12-01T09:00:00Z"), other, 1), 0);
		assert_int_equal(r.naccounts, 0);
		confirm_result_release(&r);
	}
	/* an IMAP server that does not answer */
	{
		struct buf yaml = BUF_INIT, url = BUF_INIT;
		int port = closed_port();

		buf_addf(&url, "imap://127.0.0.1:%d/INBOX", port);
		buf_addf(&yaml,
			 "organization: { name: Test Org, postal_address: \"Street 1, Berlin\", site_url: https://status.example.com, timezone: Europe/Berlin }\n"
			 "unsubscribe: { address: unsubscribe@example.com }\n"
			 "departments: [ { id: d1, name: Dept } ]\n"
			 "people:\n"
			 "  - { id: ann, name: Ann Example, email: ann@example.com, department: d1, role: sales_manager }\n"
			 "accounts:\n"
			 "  - { id: ann-a, owner: ann, from: \"Ann <ann@example.com>\", smtp: \"smtp://127.0.0.1:2525\", daily_limit: 100, imap: \"%s\", username: ann@example.com, password_env: TEST_CONFIRM_PASSWORD, sent_mailbox: Sent }\n",
			 url.ptr);
		assert_int_equal(fixture_write(f->root, "mailout.yaml", yaml.ptr), 0);
		setenv("TEST_CONFIRM_PASSWORD", "secret", 1);
		plan_fx_open(f);
		assert_string_equal(config_account(plan_config(f->plan), "ann-a")->sent_mailbox, "Sent");
		assert_int_equal(confirm_claims(&r, f->plan, at("2026-12-01T09:00:00Z"), NULL, 0), 0);
		assert_int_equal(r.naccounts, 1);
		assert_non_null(r.accounts[0].why);
		assert_int_equal(strncmp(r.accounts[0].why, url.ptr, url.len), 0);
		assert_null(r.accounts[0].mailbox);
		assert_int_equal(r.nlogs, 0);
		confirm_result_release(&r);
		buf_release(&yaml);
		buf_release(&url);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decide),
		cmocka_unit_test_setup_teardown(test_replay, plan_fx_setup, plan_fx_teardown),
		cmocka_unit_test_setup_teardown(test_unreadable, plan_fx_setup, plan_fx_teardown),
	};

	int failed;

	curl_global_init(CURL_GLOBAL_DEFAULT);
	failed = cmocka_run_group_tests(tests, NULL, NULL);
	curl_global_cleanup();
	return failed;
}
