/*
 * The sender's run (src/sender.c) against the real capture server
 * (tests/tools/fault_smtpd.py), on the virtual clock: what a run records
 * when one recipient's message cannot be built.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "buf.h"
#include "diag.h"
#include "fixture.h"
#include "plan.h"
#include "schedule.h"
#include "sender.h"
#include "util.h"
#include "xalloc.h"

#include "server.h"

/* Run from the repository root (make does). */
#define SMTPD "tests/tools/fault_smtpd.py"
#define LOG "campaigns/one/log/ann-a.tsv"

struct fx {
	char *root, *spool, *sink;
	pid_t server;
	struct plan *plan;
	struct diag_list diags;
	struct buf events; /* one line per event: kind recipient text */
};

static int setup(void **state)
{
	struct fx *f = xcalloc(1, sizeof(*f));
	const char *args[6];
	int port;

	f->root = fixture_tmpdir();
	assert_non_null(f->root);
	f->spool = xasprintf("%s/spool", f->root);
	args[0] = "--port";
	args[1] = "0";
	args[2] = "--quiet";
	args[3] = "--spool";
	args[4] = f->spool;
	args[5] = NULL;
	f->server = test_server_start(SMTPD, args, &port);
	f->sink = xasprintf("smtp://127.0.0.1:%d", port);
	/* one account sending once a minute (540 in 9 working hours) */
	assert_int_equal(fixture_write(f->root, "repo/mailout.yaml",
		"organization: { name: Test Org, postal_address: \"Street 1, Berlin\", site_url: https://status.example.com, timezone: Europe/Berlin }\n"
		"schedule: { working_hours: \"08:30-17:30\" }\n"
		"unsubscribe: { address: unsubscribe@example.com }\n"
		"departments: [ { id: d1, name: Dept } ]\n"
		"people:\n"
		"  - { id: ann, name: Ann Example, email: ann@example.com, department: d1, role: sales_manager }\n"
		"accounts:\n"
		"  - { id: ann-a, owner: ann, from: \"Ann <ann@example.com>\", smtp: \"smtps://smtp.example.com:465\", daily_limit: 540 }\n"),
		0);
	assert_int_equal(fixture_write(f->root, "repo/templates/news.md",
				       "---\nsubject: \"News for {{first_name}}\"\n---\nHello {{first_name}}\n"),
			 0);
	assert_int_equal(fixture_write(f->root, "repo/templates/signatures/ann.md", "Ann\n"), 0);
	assert_int_equal(fixture_write(f->root, "repo/campaigns/one/campaign.yaml",
		"name: One\ntemplate: news\nrecipient_type: contacts\nowner: ann\nstart: 2026-12-07\n"), 0);
	setenv("MAILOUT_SECRET", "unit-secret-0123456789-0123456789-abcdef", 1);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	int status;

	plan_close(f->plan);
	diag_release(&f->diags);
	buf_release(&f->events);
	kill(f->server, SIGTERM);
	waitpid(f->server, &status, 0);
	fixture_remove(f->root);
	free(f->root);
	free(f->spool);
	free(f->sink);
	free(f);
	error_clear();
	return 0;
}

static void on_event(const struct sender_event *e, void *payload)
{
	static const char *const kinds[] = { "sent", "failed", "retry", "deferred", "critical",
					     "unconfirmed", "would-send", "warning" };
	struct fx *f = payload;
	char when[32];

	time_format_rfc3339(when, e->time);
	buf_addf(&f->events, "%s %s %s %s\n", when, kinds[e->kind],
		 e->recipient ? e->recipient : "-", e->text);
}

/* A run on the virtual clock from Monday 08:30 for minutes. */
static void run_sender(struct fx *f, long minutes, struct sender_report *report)
{
	struct sender_options o;
	char *repo = xasprintf("%s/repo", f->root);
	time_t start;

	assert_int_equal(time_parse_rfc3339("2026-12-07T07:30:00Z", &start), 0);
	if (!f->plan && plan_open(&f->plan, repo, NULL, 0, &f->diags) < 0) {
		diag_print(stderr, &f->diags);
		fail_msg("plan_open: %s", error_last());
	}
	memset(&o, 0, sizeof(o));
	o.now = start;
	o.duration = minutes * 60;
	o.sink = f->sink;
	o.on_event = on_event;
	o.payload = f;
	o.diags = &f->diags;
	if (sender_run(f->plan, &o, report) < 0)
		fail_msg("sender_run: %s", error_last());
	free(repo);
}

/* The recipients of the spool's messages, in order, comma-separated. */
static char *spool_recipients(const struct fx *f)
{
	struct buf out = BUF_INIT;
	char path[4096], line[1024];
	FILE *in;

	snprintf(path, sizeof(path), "%s/log.tsv", f->spool);
	in = fopen(path, "r");
	while (in && fgets(line, sizeof(line), in)) {
		char *p = line;
		int col;

		for (col = 0; col < 3 && p; col++) {
			p = strchr(p, '\t');
			p = p ? p + 1 : NULL;
		}
		if (p) {
			buf_add(&out, p, strcspn(p, "\t"));
			buf_addc(&out, ' ');
		}
	}
	if (in)
		fclose(in);
	return buf_detach(&out, NULL);
}

/* The log without its Message-IDs (the claim's last field). */
static char *log_lines(const struct fx *f)
{
	struct buf out = BUF_INIT;
	char path[4096], line[1024];
	FILE *in;

	snprintf(path, sizeof(path), "%s/repo/%s", f->root, LOG);
	in = fopen(path, "r");
	assert_non_null(in);
	while (fgets(line, sizeof(line), in)) {
		if (strstr(line, "\tclaim\t"))
			*strrchr(line, '\t') = '\0';
		buf_adds(&out, line);
		if (out.len && out.ptr[out.len - 1] != '\n')
			buf_addc(&out, '\n');
	}
	fclose(in);
	return buf_detach(&out, NULL);
}

/*
 * A recipient whose To name holds DEL (which import and validate let
 * through) reached the plan: its delivery fails alone, with a notification
 * naming the field; nothing of it goes to SMTP, and the account sends the
 * next recipient at its next moment.
 */
static void test_unbuildable_message_fails_alone(void **state)
{
	struct fx *f = *state;
	struct sender_report report;
	struct campaign_summary *list = NULL;
	size_t n = 0;
	time_t later;
	char *got;

	assert_int_equal(fixture_write(f->root, "repo/recipients/contacts/all.yaml",
		"- { id: c-1, email: c1@example.net, first_name: Cai, owner: ann }\n"
		"- { id: c-2, email: c2@example.net, first_name: \"Do\\x7fra\", owner: ann }\n"
		"- { id: c-3, email: c3@example.net, first_name: Eli, owner: ann }\n"), 0);
	run_sender(f, 10, &report);
	assert_int_equal(report.sent, 2);
	assert_int_equal(report.failed, 1);
	assert_int_equal(report.unconfirmed, 0);
	assert_string_equal(f->events.ptr,
		"2026-12-07T07:30:00Z sent c-1 250 Message accepted for delivery\n"
		"2026-12-07T07:31:00Z failed c-2 the message cannot be built: field 'first_name' of "
		"recipient 'c-2': To header: line break or control character refused\n"
		"2026-12-07T07:32:00Z sent c-3 250 Message accepted for delivery\n");
	got = spool_recipients(f);
	assert_string_equal(got, "c1@example.net c3@example.net ");
	free(got);
	got = log_lines(f);
	assert_string_equal(got,
		"#mailout-log v2\n"
		"2026-12-07T07:30:00Z\tclaim\tc-1\tsha256:b09e77ae5d78ed94c494b26d4c64b70730f77e04e223fbaa82ec58a2fc817252\n"
		"2026-12-07T07:30:00Z\tsent\tc-1\t250\t-\t250 Message accepted for delivery\n"
		"2026-12-07T07:31:00Z\tclaim\tc-2\tsha256:11a6d643a9a47476718e32aca11392bd99342611c2f297463b36ec49ee17bbc9\n"
		"2026-12-07T07:31:00Z\tfailed\tc-2\t0\t-\tthe message cannot be built: field 'first_name' "
		"of recipient 'c-2': To header: line break or control character refused\n"
		"2026-12-07T07:32:00Z\tclaim\tc-3\tsha256:178bf262e72e2b9f9b6982280162ca1d000905e92078753d8072f12b8ee6a871\n"
		"2026-12-07T07:32:00Z\tsent\tc-3\t250\t-\t250 Message accepted for delivery\n");
	free(got);

	/* the plan: c-2 failed (not suppressed), one notification naming the field */
	assert_int_equal(time_parse_rfc3339("2026-12-07T08:00:00Z", &later), 0);
	assert_int_equal(plan_summaries(f->plan, later, &list, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(list[0].count[STATE_SENT], 2);
	assert_int_equal(list[0].count[STATE_FAILED], 1);
	assert_int_equal(list[0].count[STATE_SUPPRESSED], 0);
	assert_int_equal(list[0].count[STATE_UNCONFIRMED], 0);
	assert_int_equal(list[0].nnotifications, 1);
	assert_string_equal(list[0].notifications[0].recipient, "c-2");
	assert_string_equal(list[0].notifications[0].message,
		"failed: 0 the message cannot be built: field 'first_name' of recipient 'c-2': "
		"To header: line break or control character refused");
	plan_summaries_free(list, n);

	/* the next run has nothing left: c-2 is not tried again on its own */
	buf_reset(&f->events);
	run_sender(f, 10, &report);
	assert_int_equal(report.sent + report.failed, 0);
	assert_int_equal(f->events.len, 0);
}

/* The subject's fields count too: a company's full_name is its To name. */
static void test_subject_field_named(void **state)
{
	struct fx *f = *state;
	struct sender_report report;

	assert_int_equal(fixture_write(f->root, "repo/templates/news.md",
		"---\nsubject: \"News for {{company}}\"\n---\nHello {{first_name}}\n"), 0);
	assert_int_equal(fixture_write(f->root, "repo/recipients/contacts/all.yaml",
		"- { id: c-1, email: c1@example.net, first_name: Cai, company: \"Acme\\x7f\", owner: ann }\n"
		"- { id: c-2, email: c2@example.net, first_name: Dora, company: Acme, owner: ann }\n"), 0);
	run_sender(f, 10, &report);
	assert_int_equal(report.sent, 1);
	assert_int_equal(report.failed, 1);
	assert_string_equal(f->events.ptr,
		"2026-12-07T07:30:00Z failed c-1 the message cannot be built: field 'company' of "
		"recipient 'c-1': Subject header: line break or control character refused\n"
		"2026-12-07T07:31:00Z sent c-2 250 Message accepted for delivery\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_unbuildable_message_fails_alone, setup, teardown),
		cmocka_unit_test_setup_teardown(test_subject_field_named, setup, teardown),
	};

	return cmocka_run_group_tests(tests, test_curl_setup, test_curl_teardown);
}
