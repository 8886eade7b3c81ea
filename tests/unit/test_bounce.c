#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "bounce.h"
#include "buf.h"
#include "plan_fixture.h"
#include "xalloc.h"

/* A report with the given delivery-status blocks after the per-message
 * fields, returning headers of the original. */
static char *report(const char *blocks)
{
	return xasprintf("From: MAILER-DAEMON@mx.example.net\r\n"
			 "Content-Type: multipart/report; report-type=delivery-status; boundary=\"b\"\r\n\r\n"
			 "--b\r\nContent-Type: text/plain\r\n\r\nSorry.\r\n"
			 "--b\r\nContent-Type: message/delivery-status\r\n\r\n"
			 "Reporting-MTA: dns; mx.example.net\r\n\r\n%s"
			 "--b\r\nContent-Type: text/rfc822-headers\r\n\r\n"
			 "Message-ID: <m-1@example.com>\r\nX-Mailout-Campaign: news\r\nX-Mailout-Recipient: c-1\r\n\r\n"
			 "--b--\r\n", blocks);
}

static int parse(struct dsn *d, const char *blocks)
{
	char *mail = report(blocks);
	int r = bounce_parse(d, mail, strlen(mail));

	free(mail);
	return r;
}

static void test_one_failure(void **state)
{
	struct dsn d;

	(void)state;
	assert_int_equal(parse(&d, "Final-Recipient: rfc822; other@example.org\r\nAction: delivered\r\nStatus: 2.0.0\r\n\r\n"
				   "Final-Recipient: rfc822; Jana@Example.net\r\nAction: failed\r\nStatus: 5.1.1\r\n\r\n"), 0);
	assert_int_equal(d.count, 2);
	assert_string_equal(d.message_id, "<m-1@example.com>");
	assert_string_equal(d.campaign, "news");
	assert_string_equal(d.recipient, "c-1");
	assert_ptr_equal(bounce_first_failure(&d), &d.recipients[1]);
	assert_int_equal(bounce_block_is_for(&d.recipients[1], "jana@example.net"), 1);
	assert_int_equal(bounce_block_is_for(&d.recipients[0], "jana@example.net"), 0);
	/* named, or the only failure unless strict */
	assert_ptr_equal(bounce_pick_recipient(&d, "jana@example.net", 1), &d.recipients[1]);
	assert_ptr_equal(bounce_pick_recipient(&d, "max@example.com", 0), &d.recipients[1]);
	assert_null(bounce_pick_recipient(&d, "max@example.com", 1));
	/* a block that delivered is never picked */
	assert_null(bounce_pick_recipient(&d, "other@example.org", 1));
	dsn_release(&d);
}

static void test_several_failures(void **state)
{
	struct dsn d;

	(void)state;
	assert_int_equal(parse(&d, "Final-Recipient: rfc822; a@example.org\r\nAction: failed\r\nStatus: 5.1.1\r\n\r\n"
				   "Final-Recipient: rfc822; b@example.org\r\n"
				   "Original-Recipient: rfc822; jana@example.net\r\nAction: delayed\r\nStatus: 4.2.2\r\n\r\n"), 0);
	assert_ptr_equal(bounce_first_failure(&d), &d.recipients[0]);
	/* by the original recipient */
	assert_ptr_equal(bounce_pick_recipient(&d, "jana@example.net", 1), &d.recipients[1]);
	/* two failures: none is the only one */
	assert_null(bounce_pick_recipient(&d, "max@example.com", 0));
	dsn_release(&d);
}

static void test_no_failure_and_no_report(void **state)
{
	struct dsn d;

	(void)state;
	assert_int_equal(parse(&d, "Final-Recipient: rfc822; a@example.org\r\nAction: delivered\r\nStatus: 2.0.0\r\n\r\n"), 0);
	assert_null(bounce_first_failure(&d));
	assert_null(bounce_pick_recipient(&d, "a@example.org", 0));
	dsn_release(&d);

	assert_int_equal(bounce_parse(&d, "Subject: hello\r\n\r\nbody\r\n", 25), -1);
	assert_int_equal(d.count, 0);
	assert_null(d.recipients);
	assert_int_equal(bounce_parse(&d, "", 0), -1);
	/* a report without recipient blocks is no report */
	assert_int_equal(parse(&d, ""), -1);
}

/* ---- matching and deciding, with the plan ---- */

/* A report with one block about address, returning headers with the
 * given Message-ID and X-Mailout headers (each may be NULL). */
static void report_about(struct dsn *d, const char *message_id, const char *campaign,
			 const char *recipient, const char *address, const char *action,
			 const char *status, const char *diagnostic)
{
	struct buf b = BUF_INIT;

	buf_addf(&b, "From: MAILER-DAEMON@mx.example.net\r\n"
		     "Content-Type: multipart/report; report-type=delivery-status; boundary=\"b\"\r\n\r\n"
		     "--b\r\nContent-Type: message/delivery-status\r\n\r\n"
		     "Reporting-MTA: dns; mx.example.net\r\n\r\n"
		     "Final-Recipient: rfc822; %s\r\nAction: %s\r\nStatus: %s\r\n", address, action, status);
	if (diagnostic)
		buf_addf(&b, "Diagnostic-Code: smtp; %s\r\n", diagnostic);
	buf_adds(&b, "\r\n--b\r\nContent-Type: text/rfc822-headers\r\n\r\n");
	if (message_id)
		buf_addf(&b, "Message-ID: %s\r\n", message_id);
	if (campaign)
		buf_addf(&b, "X-Mailout-Campaign: %s\r\n", campaign);
	if (recipient)
		buf_addf(&b, "X-Mailout-Recipient: %s\r\n", recipient);
	buf_adds(&b, "\r\n--b--\r\n");
	assert_int_equal(bounce_parse(d, b.ptr, b.len), 0);
	buf_release(&b);
}

static void expect_delivery(const struct bounce_decision *dc, enum bounce_outcome outcome,
			    const char *recipient, const char *address)
{
	assert_int_equal(dc->outcome, outcome);
	assert_non_null(dc->block);
	assert_string_equal(dc->campaign, "c1");
	assert_string_equal(dc->recipient, recipient);
	assert_string_equal(dc->address, address);
	assert_string_equal(dc->account, "ann-a");
}

static void expect_nothing(const struct bounce_decision *dc, enum bounce_outcome outcome)
{
	assert_int_equal(dc->outcome, outcome);
	assert_null(dc->block);
	assert_null(dc->campaign);
	assert_null(dc->recipient);
	assert_null(dc->address);
	assert_null(dc->account);
	assert_null(dc->event.text);
}

static void test_decide(void **state)
{
	struct plan_fx *f = *state;
	struct bounce_decision dc;
	struct dsn d;

	/* a hard bounce, by the Message-ID without its brackets' help */
	report_about(&d, "<2@example.com>", NULL, NULL, "person2@example.net", "failed", "5.1.1",
		     "550 5.1.1 User unknown");
	assert_int_equal(bounce_decide(&dc, f->plan, &d, "other"), 0);
	expect_delivery(&dc, BOUNCE_SUPPRESSED, "c-2", "person2@example.net");
	assert_ptr_equal(dc.block, &d.recipients[0]);
	assert_int_equal(dc.event.kind, BOUNCE_HARD);
	assert_string_equal(dc.event.code, "550");
	assert_string_equal(dc.event.enhanced, "5.1.1");
	assert_string_equal(dc.event.text, "delivery report: failed: 550 5.1.1 User unknown");
	bounce_decision_release(&dc);
	assert_null(dc.campaign);
	dsn_release(&d);

	/* a delay, by the X-Mailout headers when the report names the address */
	report_about(&d, NULL, "c1", "c-1", "person1@example.net", "delayed", "4.4.7", NULL);
	assert_int_equal(bounce_decide(&dc, f->plan, &d, "other"), 0);
	expect_delivery(&dc, BOUNCE_NOTED, "c-1", "person1@example.net");
	assert_int_equal(dc.event.kind, BOUNCE_TEMPORARY);
	assert_string_equal(dc.event.code, "-");
	assert_string_equal(dc.event.enhanced, "4.4.7");
	assert_string_equal(dc.event.text, "delivery report: delayed");
	bounce_decision_release(&dc);
	dsn_release(&d);

	/* Action: failed is final whatever the status, but only 5.1.x and
	 * 5.2.1 suppress */
	report_about(&d, "<1@example.com>", NULL, NULL, "person1@example.net", "failed", "5.7.1",
		     "550 5.7.1 Message rejected as spam");
	assert_int_equal(bounce_decide(&dc, f->plan, &d, "other"), 0);
	expect_delivery(&dc, BOUNCE_FAILED, "c-1", "person1@example.net");
	assert_int_equal(dc.event.kind, BOUNCE_POLICY);
	bounce_decision_release(&dc);
	dsn_release(&d);
	report_about(&d, "<1@example.com>", NULL, NULL, "person1@example.net", "failed", "5.2.2",
		     "552 5.2.2 Mailbox full");
	assert_int_equal(bounce_decide(&dc, f->plan, &d, "other"), 0);
	expect_delivery(&dc, BOUNCE_FAILED, "c-1", "person1@example.net");
	assert_int_equal(dc.event.kind, BOUNCE_TEMPORARY);
	assert_string_equal(dc.event.enhanced, "5.2.2");
	assert_string_equal(dc.event.text, "delivery report: failed: 552 5.2.2 Mailbox full");
	bounce_decision_release(&dc);
	dsn_release(&d);
	report_about(&d, "<1@example.com>", NULL, NULL, "person1@example.net", "failed", "4.4.7", NULL);
	assert_int_equal(bounce_decide(&dc, f->plan, &d, "other"), 0);
	expect_delivery(&dc, BOUNCE_FAILED, "c-1", "person1@example.net");
	bounce_decision_release(&dc);
	dsn_release(&d);
	/* a delay is a notification whatever the status */
	report_about(&d, "<1@example.com>", NULL, NULL, "person1@example.net", "delayed", "5.2.2", NULL);
	assert_int_equal(bounce_decide(&dc, f->plan, &d, "other"), 0);
	expect_delivery(&dc, BOUNCE_NOTED, "c-1", "person1@example.net");
	assert_string_equal(dc.event.text, "delivery report: delayed");
	bounce_decision_release(&dc);
	dsn_release(&d);
	report_about(&d, "<1@example.com>", NULL, NULL, "person1@example.net", "delayed", "5.1.1", NULL);
	assert_int_equal(bounce_decide(&dc, f->plan, &d, "other"), 0);
	expect_delivery(&dc, BOUNCE_NOTED, "c-1", "person1@example.net");
	assert_string_equal(dc.event.enhanced, "-");
	bounce_decision_release(&dc);
	dsn_release(&d);
}

/* What the plan makes of each outcome once it has replayed the lines. */
static void test_replayed_outcomes(void **state)
{
	struct plan_fx *f = *state;
	struct plan_campaign_counts counts;
	struct bounce_decision dc;
	struct bounce_sync s;
	struct dsn d;
	size_t logs = 0, added = 0, i;
	char *text;
	static const struct {
		const char *id, *recipient, *address, *action, *status, *diagnostic;
		enum bounce_outcome outcome;
	} reports[] = {
		{ "<1@example.com>", "c-1", "person1@example.net", "failed", "5.2.2", "552 5.2.2 Mailbox full", BOUNCE_FAILED },
		{ "<2@example.com>", "c-2", "person2@example.net", "failed", "5.1.1", "550 5.1.1 User unknown", BOUNCE_SUPPRESSED },
		{ "<3@example.com>", "c-3", "person3@example.net", "delayed", "4.2.2", NULL, BOUNCE_NOTED },
		{ "<4@example.com>", "c-4", "person4@example.net", "failed", "5.7.1", "550 5.7.1 Spam", BOUNCE_FAILED },
	};

	assert_int_equal(fixture_append(f->root, PLAN_FX_LOG,
		"2026-12-01T07:38:00Z\tclaim\tc-3\tperson3@example.net\t<3@example.com>\n"
		"2026-12-01T07:38:01Z\tsent\tc-3\t250\t2.0.0\tOK\n"
		"2026-12-01T07:39:00Z\tclaim\tc-4\tperson4@example.net\t<4@example.com>\n"
		"2026-12-01T07:39:01Z\tsent\tc-4\t250\t2.0.0\tOK\n"), 0);
	assert_int_equal(plan_refresh(f->plan, &f->diags), 0);
	bounce_sync_init(&s, f->plan, 1796637600);
	for (i = 0; i < sizeof(reports) / sizeof(reports[0]); i++) {
		report_about(&d, reports[i].id, NULL, NULL, reports[i].address, reports[i].action,
			     reports[i].status, reports[i].diagnostic);
		assert_int_equal(bounce_sync_add(&s, &dc, &d, "ann-a"), 0);
		expect_delivery(&dc, reports[i].outcome, reports[i].recipient, reports[i].address);
		bounce_decision_release(&dc);
		dsn_release(&d);
	}
	assert_int_equal(s.outcomes[BOUNCE_FAILED], 2);
	assert_int_equal(s.outcomes[BOUNCE_SUPPRESSED], 1);
	assert_int_equal(s.outcomes[BOUNCE_NOTED], 1);
	assert_int_equal(s.kinds[BOUNCE_TEMPORARY], 2);
	assert_int_equal(s.kinds[BOUNCE_HARD], 1);
	assert_int_equal(s.kinds[BOUNCE_POLICY], 1);
	assert_int_equal(bounce_sync_write(&s, f->root, &logs, &added), 0);
	assert_int_equal(logs, 1);
	assert_int_equal(added, 1);
	bounce_sync_release(&s);
	text = plan_fx_read(f, "recipients/suppressions.tsv");
	assert_string_equal(text, "address\treason\ttime\tsource\n"
				  "person2@example.net\tbounced\t2026-12-07T10:00:00Z\tc1\n");
	free(text);

	assert_int_equal(plan_refresh(f->plan, &f->diags), 0);
	assert_int_equal(plan_campaign_counts(f->plan, "c1", &counts), 0);
	/* c-1 (5.2.2), c-2 (5.1.1) and c-4 (5.7.1) failed; the delay leaves c-3 sent */
	assert_int_equal(counts.recipients, 4);
	assert_int_equal(counts.count[STATE_FAILED], 3);
	assert_int_equal(counts.count[STATE_SENT], 1);
	assert_int_equal(counts.count[STATE_SUPPRESSED], 0);
	plan_campaign_counts_release(&counts);
	assert_int_equal(plan_notification_exists(f->plan, "c1", "c-3", "bounce: - 4.2.2 delivery report: delayed"), 1);
	assert_int_equal(plan_notification_exists(f->plan, "c1", "c-1",
						  "bounce: 552 5.2.2 delivery report: failed: 552 5.2.2 Mailbox full"), 1);
	/* the failed ones are sent again by a retry; the bounced address is not */
	assert_int_equal(fixture_write(f->root, "campaigns/c1/commands.tsv",
		"#mailout-log v1\n"
		"2026-12-07T11:00:00Z\tretry-cmd\tc-1\n"
		"2026-12-07T11:00:00Z\tretry-cmd\tc-2\n"), 0);
	assert_int_equal(plan_refresh(f->plan, &f->diags), 0);
	assert_int_equal(plan_campaign_counts(f->plan, "c1", &counts), 0);
	assert_int_equal(counts.count[STATE_PENDING], 1);
	assert_int_equal(counts.count[STATE_FAILED], 1);
	assert_int_equal(counts.count[STATE_SUPPRESSED], 1);
	plan_campaign_counts_release(&counts);
}

static void test_decide_unmatched(void **state)
{
	struct plan_fx *f = *state;
	struct bounce_decision dc;
	struct dsn d;

	/* nothing failed */
	report_about(&d, "<2@example.com>", NULL, NULL, "person2@example.net", "delivered", "2.0.0", NULL);
	assert_int_equal(bounce_decide(&dc, f->plan, &d, "ann-a"), 0);
	expect_nothing(&dc, BOUNCE_NO_FAILURE);
	bounce_decision_release(&dc);
	dsn_release(&d);
	/* a message mailout never sent */
	report_about(&d, "<9@example.com>", NULL, NULL, "person2@example.net", "failed", "5.1.1", NULL);
	assert_int_equal(bounce_decide(&dc, f->plan, &d, "ann-a"), 0);
	expect_nothing(&dc, BOUNCE_UNMATCHED);
	dsn_release(&d);
	/* X-Mailout headers naming a delivery, about another address: forged */
	report_about(&d, NULL, "c1", "c-1", "someone.else@example.org", "failed", "5.1.1", NULL);
	assert_int_equal(bounce_decide(&dc, f->plan, &d, "ann-a"), 0);
	expect_nothing(&dc, BOUNCE_UNMATCHED);
	dsn_release(&d);
	/* ... or a delivery no message went out for */
	report_about(&d, NULL, "c1", "c-3", "person3@example.net", "failed", "5.1.1", NULL);
	assert_int_equal(bounce_decide(&dc, f->plan, &d, "ann-a"), 0);
	expect_nothing(&dc, BOUNCE_UNMATCHED);
	dsn_release(&d);
	/* the Message-ID of another delivery than the address: the only failure counts */
	report_about(&d, "<1@example.com>", NULL, NULL, "forwarded@example.org", "failed", "5.1.1", NULL);
	assert_int_equal(bounce_decide(&dc, f->plan, &d, "ann-a"), 0);
	expect_delivery(&dc, BOUNCE_SUPPRESSED, "c-1", "person1@example.net");
	bounce_decision_release(&dc);
	dsn_release(&d);
}

static void test_sync_records(void **state)
{
	struct plan_fx *f = *state;
	struct bounce_decision dc;
	struct bounce_sync s;
	struct dsn hard, delay;
	size_t logs = 9, added = 9;
	char *text;

	report_about(&hard, "<2@example.com>", NULL, NULL, "person2@example.net", "failed", "5.1.1",
		     "550 5.1.1 User unknown");
	report_about(&delay, "<1@example.com>", NULL, NULL, "person1@example.net", "delayed", "4.4.7", NULL);
	bounce_sync_init(&s, f->plan, 1796637600);
	assert_int_equal(bounce_sync_add(&s, &dc, &hard, "ann-a"), 0);
	assert_int_equal(dc.outcome, BOUNCE_SUPPRESSED);
	bounce_decision_release(&dc);
	assert_int_equal(bounce_sync_add(&s, &dc, &delay, "ann-a"), 0);
	assert_int_equal(dc.outcome, BOUNCE_NOTED);
	bounce_decision_release(&dc);
	/* the same report twice in one sync */
	assert_int_equal(bounce_sync_add(&s, &dc, &hard, "ann-a"), 0);
	assert_int_equal(dc.outcome, BOUNCE_RECORDED_BEFORE);
	assert_string_equal(dc.recipient, "c-2");
	bounce_decision_release(&dc);
	assert_int_equal(s.outcomes[BOUNCE_SUPPRESSED], 1);
	assert_int_equal(s.outcomes[BOUNCE_NOTED], 1);
	assert_int_equal(s.outcomes[BOUNCE_RECORDED_BEFORE], 1);
	assert_int_equal(s.kinds[BOUNCE_HARD], 1);
	assert_int_equal(s.kinds[BOUNCE_TEMPORARY], 1);
	assert_int_equal(s.nlogs, 1);
	assert_string_equal(s.logs[0].path, PLAN_FX_LOG);
	assert_int_equal(s.nsuppress, 1);
	assert_string_equal(s.suppress[0].address, "person2@example.net");
	assert_string_equal(s.suppress[0].reason, "bounced");
	assert_string_equal(s.suppress[0].source, "c1");

	assert_int_equal(bounce_sync_write(&s, f->root, &logs, &added), 0);
	assert_int_equal(logs, 1);
	assert_int_equal(added, 1);
	text = plan_fx_read(f, PLAN_FX_LOG);
	assert_string_equal(text, "#mailout-log v1\n"
		"2026-12-01T07:36:00Z\tclaim\tc-1\tperson1@example.net\t<1@example.com>\n"
		"2026-12-01T07:36:01Z\tsent\tc-1\t250\t2.0.0\tOK\n"
		"2026-12-01T07:37:00Z\tclaim\tc-2\tperson2@example.net\t<2@example.com>\n"
		"2026-12-01T07:37:01Z\tsent\tc-2\t250\t2.0.0\tOK\n"
		"2026-12-07T10:00:00Z\tbounce\tc-2\t550\t5.1.1\tdelivery report: failed: 550 5.1.1 User unknown\n"
		"2026-12-07T10:00:00Z\tbounce\tc-1\t-\t4.4.7\tdelivery report: delayed\n");
	free(text);
	text = plan_fx_read(f, "recipients/suppressions.tsv");
	assert_string_equal(text, "address\treason\ttime\tsource\n"
				  "person2@example.net\tbounced\t2026-12-07T10:00:00Z\tc1\n");
	free(text);
	bounce_sync_clear(&s);
	assert_int_equal(s.nlogs, 0);
	assert_int_equal(s.nsuppress, 0);
	assert_int_equal(s.outcomes[BOUNCE_RECORDED_BEFORE] + s.kinds[BOUNCE_HARD], 0);
	bounce_sync_release(&s);

	/* what the plan has replayed is recorded before, in a later sync */
	assert_int_equal(plan_refresh(f->plan, &f->diags), 0);
	bounce_sync_init(&s, f->plan, 1796641200);
	assert_int_equal(bounce_sync_add(&s, &dc, &delay, "ann-a"), 0);
	assert_int_equal(dc.outcome, BOUNCE_RECORDED_BEFORE);
	bounce_decision_release(&dc);
	assert_int_equal(bounce_sync_add(&s, &dc, &hard, "ann-a"), 0);
	assert_int_equal(dc.outcome, BOUNCE_RECORDED_BEFORE);
	bounce_decision_release(&dc);
	assert_int_equal(s.nlogs, 0);
	assert_int_equal(bounce_sync_write(&s, f->root, &logs, &added), 0);
	assert_int_equal(logs + added, 0);
	bounce_sync_release(&s);
	dsn_release(&hard);
	dsn_release(&delay);
}

/* A line without an enhanced code, or with one the plan must not read as
 * a hard bounce, is found again once the plan has replayed it. */
static void test_recorded_before_without_enhanced_code(void **state)
{
	struct plan_fx *f = *state;
	struct bounce_decision dc;
	struct bounce_sync s;
	struct dsn d[2];
	size_t logs = 0, added = 0, i;
	int round;

	report_about(&d[0], "<1@example.com>", NULL, NULL, "person1@example.net", "delayed", "5.1.1", NULL);
	/* no Status at all */
	report_about(&d[1], "<2@example.com>", NULL, NULL, "person2@example.net", "failed", "x", "550 No such user");
	for (round = 0; round < 2; round++) {
		bounce_sync_init(&s, f->plan, 1796637600 + round);
		for (i = 0; i < 2; i++) {
			assert_int_equal(bounce_sync_add(&s, &dc, &d[i], "ann-a"), 0);
			assert_string_equal(dc.event.enhanced, "-");
			assert_int_equal(dc.outcome, round ? BOUNCE_RECORDED_BEFORE : i ? BOUNCE_FAILED : BOUNCE_NOTED);
			bounce_decision_release(&dc);
		}
		assert_int_equal(bounce_sync_write(&s, f->root, &logs, &added), 0);
		assert_int_equal(logs, round ? 0 : 1);
		bounce_sync_release(&s);
		assert_int_equal(plan_refresh(f->plan, &f->diags), 0);
	}
	dsn_release(&d[0]);
	dsn_release(&d[1]);
}

static void test_plan_error(void **state)
{
	static const char msg[] = "plan database (query): database disk image is malformed";
	struct plan_fx *f = *state;
	struct bounce_decision dc;
	struct bounce_sync s;
	struct dsn d;

	report_about(&d, "<2@example.com>", "c1", "c-2", "person2@example.net", "failed", "5.1.1", NULL);
	plan_fx_corrupt(f);
	/* an error is not an unmatched report */
	assert_int_equal(bounce_decide(&dc, f->plan, &d, "ann-a"), -1);
	assert_string_equal(error_last(), msg);
	expect_nothing(&dc, BOUNCE_NO_FAILURE);
	error_clear();
	bounce_sync_init(&s, f->plan, 1796637600);
	assert_int_equal(bounce_sync_add(&s, &dc, &d, "ann-a"), -1);
	assert_string_equal(error_last(), msg);
	assert_int_equal(s.nlogs, 0);
	assert_int_equal(s.nsuppress, 0);
	bounce_sync_release(&s);
	dsn_release(&d);
}

static void test_sync_files_and_mailboxes(void **state)
{
	struct plan_fx *f = *state;
	const struct config *cfg = plan_config(f->plan);
	size_t n = 0;
	char **files = bounce_sync_files(f->root, cfg, &n);

	assert_int_equal(n, 3);
	assert_string_equal(files[0], "recipients/suppressions.tsv");
	assert_string_equal(files[1], "recipients/bounces-sync.tsv");
	assert_string_equal(files[2], PLAN_FX_LOG);
	free_list(files, n);
	assert_null(bounce_mailbox_read_before(cfg, 0));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_one_failure),
		cmocka_unit_test(test_several_failures),
		cmocka_unit_test(test_no_failure_and_no_report),
		cmocka_unit_test_setup_teardown(test_decide, plan_fx_setup, plan_fx_teardown),
		cmocka_unit_test_setup_teardown(test_decide_unmatched, plan_fx_setup, plan_fx_teardown),
		cmocka_unit_test_setup_teardown(test_sync_records, plan_fx_setup, plan_fx_teardown),
		cmocka_unit_test_setup_teardown(test_replayed_outcomes, plan_fx_setup, plan_fx_teardown),
		cmocka_unit_test_setup_teardown(test_recorded_before_without_enhanced_code, plan_fx_setup, plan_fx_teardown),
		cmocka_unit_test_setup_teardown(test_plan_error, plan_fx_setup, plan_fx_teardown),
		cmocka_unit_test_setup_teardown(test_sync_files_and_mailboxes, plan_fx_setup, plan_fx_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
