#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "fixture.h"
#include "log.h"
#include "plan_private.h"
#include "schedule.h"

/* addr_hash("person2@example.net") */
#define PERSON2_HASH "sha256:84c02239edcd2eb2bb28faa912b01d07c671ab08392d1a5507edb00fae3cbdc7"

static const char *config_yaml =
	"organization: { name: Test Org, postal_address: \"Street 1, Berlin\", site_url: https://status.example.com, timezone: Europe/Berlin }\n"
	"unsubscribe: { address: unsubscribe@example.com }\n"
	"departments: [ { id: d1, name: Dept } ]\n"
	"people:\n"
	"  - { id: ann, name: Ann Example, email: ann@example.com, department: d1, role: sales_manager }\n"
	"  - { id: bob, name: Bob Example, email: bob@example.com, department: d1, role: sales_manager }\n"
	"accounts:\n"
	"  - { id: ann-main, owner: ann, from: \"Ann <ann@example.com>\", smtp: \"smtp://127.0.0.1:2525\", daily_limit: 50, main: true }\n"
	"  - { id: ann-a, owner: ann, from: \"Ann <ann@example.com>\", smtp: \"smtp://127.0.0.1:2525\", daily_limit: 100 }\n"
	"  - { id: ann-b, owner: ann, from: \"Ann <ann@example.com>\", smtp: \"smtp://127.0.0.1:2525\", daily_limit: 100 }\n"
	"  - { id: bob-a, owner: bob, from: \"Bob <bob@example.com>\", smtp: \"smtp://127.0.0.1:2525\", daily_limit: 100 }\n";

static const char *template_md = "---\nsubject: Hello\n---\nHi {{first_name}}\n";

struct fx {
	char *root;
	struct plan *plan;
	struct diag_list diags;
};

static void write_campaign(const char *root, const char *id, const char *body)
{
	char rel[256];

	snprintf(rel, sizeof(rel), "campaigns/%s/campaign.yaml", id);
	assert_int_equal(fixture_write(root, rel, body), 0);
}

/* n contacts of ann (every 10th a VIP, every 3rd in DE) and 5 of bob. */
static void write_contacts(const char *root, const char *rel, int from, int n)
{
	struct buf b = BUF_INIT;
	int i;

	for (i = from; i < from + n; i++)
		buf_addf(&b, "- { id: c-%d, email: person%d@example.net, first_name: P%d, owner: ann, vip: %s, country: %s }\n",
			 i, i, i, i % 10 == 0 ? "true" : "false", i % 3 == 0 ? "DE" : "FR");
	assert_int_equal(fixture_write(root, rel, b.ptr), 0);
	buf_release(&b);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	f->root = fixture_tmpdir();
	fixture_write(f->root, "mailout.yaml", config_yaml);
	fixture_write(f->root, "templates/t1.md", template_md);
	fixture_write(f->root, "templates/t2.md", template_md);
	write_contacts(f->root, "recipients/contacts/a.yaml", 1, 30);
	fixture_write(f->root, "recipients/contacts/bob.yaml",
		      "- { id: b-1, email: b1@example.net, first_name: B, owner: bob }\n"
		      "- { id: b-2, email: B1@Example.net, first_name: B, owner: bob }\n");
	write_campaign(f->root, "c1",
		       "name: One\ntemplate: t1\nrecipient_type: contacts\nowner: ann\nstart: 2026-12-01\n");
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

/* The counts table holds what a scan of the deliveries counts, row for row. */
static void assert_counts_exact(struct fx *f)
{
	static const char *const sql[2] = {
		"SELECT campaign, COALESCE(account, ''), state, COUNT(*) FROM deliveries "
		"GROUP BY 1, 2, 3 ORDER BY 1, 2, 3",
		"SELECT campaign, account, state, n FROM counts WHERE n != 0 ORDER BY 1, 2, 3",
	};
	struct buf text[2] = { BUF_INIT, BUF_INIT };
	sqlite3_stmt *st = NULL;
	int i, c;

	for (i = 0; i < 2; i++) {
		assert_int_equal(plan_prepare(f->plan, &st, sql[i]), 0);
		while (sqlite3_step(st) == SQLITE_ROW) {
			for (c = 0; c < 4; c++)
				buf_addf(&text[i], "%s%s", (const char *)sqlite3_column_text(st, c),
					 c == 3 ? "\n" : "\t");
		}
		sqlite3_finalize(st);
	}
	assert_string_equal(text[1].ptr, text[0].ptr);
	buf_release(&text[0]);
	buf_release(&text[1]);
}

static void open_plan(struct fx *f, unsigned flags)
{
	plan_close(f->plan);
	f->plan = NULL;
	diag_release(&f->diags);
	if (plan_open(&f->plan, f->root, NULL, flags, &f->diags) < 0) {
		diag_print(stderr, &f->diags);
		fail_msg("plan_open: %s", error_last());
	}
	assert_counts_exact(f);
}

static long q(struct fx *f, const char *sql)
{
	sqlite3_stmt *st = NULL;
	long v = -1;

	assert_int_equal(plan_prepare(f->plan, &st, sql), 0);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = (long)sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

static const char *qs(struct fx *f, const char *sql)
{
	static char out[256];
	sqlite3_stmt *st = NULL;

	out[0] = '\0';
	assert_int_equal(plan_prepare(f->plan, &st, sql), 0);
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
		snprintf(out, sizeof(out), "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	return out;
}

static int unlink_rel(const char *root, const char *rel)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	return unlink(path);
}

static int log_append_line(const char *root, const char *rel, const char *text)
{
	return log_append(root, rel, text, strlen(text), 0);
}

static void test_selection_and_dedupe(void **state)
{
	struct fx *f = *state;

	write_campaign(f->root, "c2",
		       "name: Two\ntemplate: t2\nrecipient_type: contacts\nowner: ann\nfilter: { country: DE }\nvip_only: true\n");
	write_campaign(f->root, "c3",
		       "name: Three\ntemplate: t2\nrecipient_type: contacts\nowner: bob\nstart: 2026-12-01\n");
	open_plan(f, 0);
	/* all 30 of ann's contacts; bob's are not ann's */
	assert_int_equal(q(f, "SELECT COUNT(*) FROM deliveries WHERE campaign = 'c1'"), 30);
	/* DE (every 3rd) and VIP (every 10th): 30 */
	assert_int_equal(q(f, "SELECT COUNT(*) FROM deliveries WHERE campaign = 'c2'"), 1);
	assert_int_equal(q(f, "SELECT COUNT(*) FROM deliveries WHERE campaign = 'c2' AND recipient = 'c-30'"), 1);
	/* bob's two records share an address (compared lower-cased): mailed once */
	assert_int_equal(q(f, "SELECT COUNT(*) FROM deliveries WHERE campaign = 'c3'"), 1);
	assert_int_equal(q(f, "SELECT COUNT(*) FROM deliveries WHERE campaign = 'c3' AND recipient = 'b-1'"), 1);
	/* the full build made the big tables' indexes after its inserts */
	assert_string_equal(qs(f, "SELECT group_concat(name, ' ') FROM (SELECT name FROM sqlite_master "
				  "WHERE type = 'index' AND sql IS NOT NULL ORDER BY name)"),
			    "deliveries_by_account deliveries_listed notifications_by_campaign "
			    "recipients_by_address recipients_by_file");
}

static void test_vip_accounts(void **state)
{
	struct fx *f = *state;

	open_plan(f, 0);
	assert_int_equal(q(f, "SELECT COUNT(*) FROM deliveries WHERE vip = 1 AND account = 'ann-main'"), 3);
	assert_int_equal(q(f, "SELECT COUNT(*) FROM deliveries WHERE vip = 0 AND account = 'ann-main'"), 0);
	assert_int_equal(q(f, "SELECT COUNT(*) FROM deliveries WHERE vip = 0 AND account IN ('ann-a', 'ann-b')"), 27);
}

static void test_assignment_stable(void **state)
{
	struct fx *f = *state;
	struct buf cfg = BUF_INIT;
	long moved, to_new;

	write_contacts(f->root, "recipients/contacts/a.yaml", 1, 3000);
	open_plan(f, 0);
	assert_int_equal(plan_exec(f->plan, "CREATE TABLE before AS SELECT recipient, account FROM deliveries"), 0);
	/* deriving again from changed (but equivalent) content gives the same answer */
	buf_addf(&cfg, "# a comment\n%s", config_yaml);
	fixture_write(f->root, "mailout.yaml", cfg.ptr);
	open_plan(f, 0);
	assert_int_equal(f->plan->rederived, 1);
	assert_int_equal(q(f, "SELECT COUNT(*) FROM deliveries d JOIN before b USING (recipient) WHERE d.account IS NOT b.account"), 0);
	/* a third non-main account of the same limit takes about a third */
	buf_addf(&cfg, "  - { id: ann-c, owner: ann, from: \"Ann <ann@example.com>\", smtp: \"smtp://127.0.0.1:2525\", daily_limit: 100 }\n");
	fixture_write(f->root, "mailout.yaml", cfg.ptr);
	open_plan(f, 0);
	moved = q(f, "SELECT COUNT(*) FROM deliveries d JOIN before b USING (recipient) WHERE d.account IS NOT b.account");
	to_new = q(f, "SELECT COUNT(*) FROM deliveries d JOIN before b USING (recipient) WHERE d.account IS NOT b.account AND d.account = 'ann-c'");
	assert_int_equal(moved, to_new);
	assert_true(moved > 2700 * 28 / 100 && moved < 2700 * 39 / 100);
	/* VIP recipients stay on the main account */
	assert_int_equal(q(f, "SELECT COUNT(*) FROM deliveries WHERE vip = 1 AND account != 'ann-main'"), 0);
	buf_release(&cfg);
}

static void test_incremental_refresh(void **state)
{
	struct fx *f = *state;

	write_contacts(f->root, "recipients/contacts/b.yaml", 100, 5);
	open_plan(f, 0);
	assert_int_equal(f->plan->files_parsed, 3);
	assert_int_equal(q(f, "SELECT COUNT(*) FROM deliveries"), 35);
	/* nothing changed: nothing read, nothing parsed */
	open_plan(f, 0);
	assert_int_equal(f->plan->files_read, 0);
	assert_int_equal(f->plan->files_parsed, 0);
	assert_int_equal(f->plan->rederived, 0);
	/* one file changed: only it is parsed */
	write_contacts(f->root, "recipients/contacts/b.yaml", 100, 7);
	open_plan(f, 0);
	assert_int_equal(f->plan->files_parsed, 1);
	assert_int_equal(q(f, "SELECT COUNT(*) FROM deliveries"), 37);
	/* a deleted file drops out */
	assert_int_equal(unlink_rel(f->root, "recipients/contacts/b.yaml"), 0);
	open_plan(f, 0);
	assert_int_equal(q(f, "SELECT COUNT(*) FROM deliveries"), 30);
	assert_int_equal(q(f, "SELECT COUNT(*) FROM recipients WHERE id = 'c-100'"), 0);
	/* an older schema is rebuilt */
	assert_int_equal(plan_exec(f->plan, "PRAGMA user_version = 0"), 0);
	open_plan(f, 0);
	assert_int_equal(q(f, "PRAGMA user_version"), PLAN_SCHEMA_VERSION);
	assert_int_equal(q(f, "SELECT COUNT(*) FROM deliveries"), 30);
}

static void test_invalid_content_keeps_plan(void **state)
{
	struct fx *f = *state;
	struct plan *p = NULL;
	struct diag_list d = DIAG_LIST_INIT;

	open_plan(f, 0);
	plan_close(f->plan);
	f->plan = NULL;
	fixture_write(f->root, "recipients/contacts/bad.yaml", "- { id: c-1, email: x@example.net, owner: ann }\n");
	assert_int_equal(plan_open(&p, f->root, NULL, 0, &d), -1);
	assert_int_equal(d.errors, 1);
	assert_string_equal(d.items[0].message, "duplicate contacts id 'c-1' (first at recipients/contacts/a.yaml:1)");
	diag_release(&d);
	unlink_rel(f->root, "recipients/contacts/bad.yaml");
	open_plan(f, 0);
	assert_int_equal(f->plan->rederived, 0);
	assert_int_equal(q(f, "SELECT COUNT(*) FROM deliveries"), 30);
}

static void test_suppression_and_same_template(void **state)
{
	struct fx *f = *state;

	write_campaign(f->root, "c2",
		       "name: Two\ntemplate: t1\nrecipient_type: contacts\nowner: ann\nfilter: { country: DE }\nstart: 2026-12-05\n");
	fixture_write(f->root, "recipients/suppressions.tsv",
		      "address\treason\ttime\tsource\nPERSON3@example.net\tunsubscribed\t2026-11-02T09:14:00Z\tc1\n");
	open_plan(f, 0);
	assert_string_equal(qs(f, "SELECT state FROM deliveries WHERE campaign = 'c1' AND recipient = 'c-3'"), "suppressed");
	/* c2 starts later: its DE recipients were c1's first */
	assert_int_equal(q(f, "SELECT COUNT(*) FROM deliveries WHERE campaign = 'c2' AND state = 'skipped' AND skipped_by = 'c1'"), 9);
	assert_int_equal(q(f, "SELECT COUNT(*) FROM deliveries WHERE campaign = 'c2'"), 10);
	/* removing the line lifts the suppression */
	fixture_write(f->root, "recipients/suppressions.tsv", "address\treason\ttime\tsource\n");
	open_plan(f, 0);
	assert_string_equal(qs(f, "SELECT state FROM deliveries WHERE campaign = 'c1' AND recipient = 'c-3'"), "pending");
	assert_int_equal(q(f, "SELECT COUNT(*) FROM deliveries WHERE campaign = 'c2' AND state = 'skipped'"), 10);
}

static const struct campaign_summary *summary(struct fx *f, time_t now, struct campaign_summary **list,
					     size_t *n, const char *id)
{
	size_t i;

	plan_summaries_free(*list, *n);
	assert_int_equal(plan_summaries(f->plan, now, list, n), 0);
	for (i = 0; i < *n; i++) {
		if (!strcmp((*list)[i].campaign->id, id))
			return &(*list)[i];
	}
	fail_msg("no summary for %s", id);
	return NULL;
}

static void test_log_replay_and_statuses(void **state)
{
	struct fx *f = *state;
	struct campaign_summary *list = NULL;
	const struct campaign_summary *s;
	size_t n = 0;
	time_t now;
	const char *log = "campaigns/c1/log/ann-a.tsv";

	time_parse_rfc3339("2026-12-01T12:00:00Z", &now);
	write_contacts(f->root, "recipients/contacts/a.yaml", 1, 4);
	open_plan(f, 0);
	s = summary(f, now, &list, &n, "c1");
	assert_int_equal(s->status, STATUS_ACTIVE);
	assert_int_equal(s->count[STATE_PENDING], 4);
	fixture_write(f->root, log,
		      "#mailout-log v1\n"
		      "2026-12-01T07:30:00Z\tclaim\tc-1\tperson1@example.net\t<1@example.com>\n"
		      "2026-12-01T07:30:01Z\tsent\tc-1\t250\t2.0.0\tOK\n"
		      "2026-12-01T07:36:00Z\tclaim\tc-2\tperson2@example.net\t<2@example.com>\n"
		      "2026-12-01T07:36:01Z\tfailed\tc-2\t550\t5.1.1\tNo such user\n"
		      "2026-12-01T07:42:00Z\tclaim\tc-3\tperson3@example.net\t<3@example.com>\n"
		      "2026-12-01T07:42:00Z\tsent\tc-3\t250\t2.0");
	open_plan(f, 0);
	/* the incomplete last line is ignored with a warning: c-3 is unconfirmed */
	assert_int_equal(f->diags.warnings, 1);
	assert_int_equal(f->diags.items[0].line, 7);
	s = summary(f, now, &list, &n, "c1");
	assert_int_equal(s->count[STATE_SENT], 1);
	assert_int_equal(s->count[STATE_FAILED], 1);
	assert_int_equal(s->count[STATE_UNCONFIRMED], 1);
	assert_int_equal(s->count[STATE_PENDING], 1);
	assert_int_equal(s->status, STATUS_ACTIVE_ERROR);
	assert_int_equal(s->completion, 50);
	assert_int_equal(s->sent_today, 1);
	assert_int_equal(s->nnotifications, 1);
	assert_string_equal(s->notifications[0].recipient, "c-2");
	assert_string_equal(s->notifications[0].message, "failed: 550 5.1.1 No such user");
	/* the hard bounce suppresses the address everywhere */
	assert_int_equal(q(f, "SELECT COUNT(*) FROM bounces WHERE hash = '" PERSON2_HASH "'"), 1);
	/* the next append starts on a new line; a critical error interrupts */
	assert_int_equal(log_append_line(f->root, log,
					 "2026-12-01T08:00:00Z\tclaim\tc-4\tperson4@example.net\t<4@example.com>\n"
					 "2026-12-01T08:00:01Z\tcritical\tc-4\t535\t5.7.8\tAuthentication failed\n"), 0);
	open_plan(f, 0);
	assert_int_equal(f->plan->rederived, 0);
	assert_int_equal(f->diags.warnings, 1);
	assert_string_equal(f->diags.items[0].message, "malformed log line ignored");
	s = summary(f, now, &list, &n, "c1");
	assert_int_equal(s->status, STATUS_INTERRUPTED);
	assert_int_equal(s->count[STATE_PENDING], 1);
	/* retry and resume, by people */
	fixture_write(f->root, "campaigns/c1/commands.tsv",
		      "#mailout-log v1\n"
		      "2026-12-01T09:00:00Z\tretry-cmd\tc-2\n"
		      "2026-12-01T09:00:00Z\tretry-cmd\tc-3\n"
		      "2026-12-01T09:00:00Z\tresume\n");
	open_plan(f, 0);
	s = summary(f, now, &list, &n, "c1");
	assert_int_equal(s->status, STATUS_ACTIVE);
	/* c-2 bounced hard: retried, but its address stays suppressed */
	assert_string_equal(qs(f, "SELECT state FROM deliveries WHERE recipient = 'c-2'"), "suppressed");
	assert_string_equal(qs(f, "SELECT state FROM deliveries WHERE recipient = 'c-3'"), "pending");
	/* paused, then done */
	write_campaign(f->root, "c1",
		       "name: One\ntemplate: t1\nrecipient_type: contacts\nowner: ann\nstatus: paused\n");
	open_plan(f, 0);
	s = summary(f, now, &list, &n, "c1");
	assert_int_equal(s->status, STATUS_PAUSED);
	assert_int_equal(log_append_line(f->root, log,
					 "2026-12-01T10:00:00Z\tclaim\tc-3\tperson3@example.net\t<5@example.com>\n"
					 "2026-12-01T10:00:01Z\tsent\tc-3\t250\t2.0.0\tOK\n"
					 "2026-12-01T10:10:00Z\tclaim\tc-4\tperson4@example.net\t<6@example.com>\n"
					 "2026-12-01T10:10:01Z\tsent\tc-4\t250\t2.0.0\tOK\n"), 0);
	open_plan(f, 0);
	s = summary(f, now, &list, &n, "c1");
	assert_int_equal(s->status, STATUS_DONE);
	assert_int_equal(s->completion, 100);
	assert_int_equal(q(f, "SELECT attempts FROM daily WHERE account = 'ann-a' AND day = 20261201"), 6);
	plan_summaries_free(list, n);
}

static void test_merge_carries_history(void **state)
{
	struct fx *f = *state;

	write_campaign(f->root, "c1",
		       "name: One\ntemplate: t1\nrecipient_type: contacts\nowner: ann\nfilter: { country: DE }\n");
	write_campaign(f->root, "c2",
		       "name: Two\ntemplate: t1\nrecipient_type: contacts\nowner: ann\nfilter: { country: FR }\nstart: 2026-12-02\n");
	fixture_write(f->root, "campaigns/c1/log/ann-a.tsv",
		      "#mailout-log v1\n"
		      "2026-12-01T07:30:00Z\tclaim\tc-3\tperson3@example.net\t<1@example.com>\n"
		      "2026-12-01T07:30:01Z\tsent\tc-3\t250\t2.0.0\tOK\n"
		      "2026-12-01T07:40:00Z\tclaim\tc-6\tperson6@example.net\t<2@example.com>\n"
		      "2026-12-01T07:40:01Z\tfailed\tc-6\t550\t-\tNo such user\n"
		      "2026-12-01T07:50:00Z\tclaim\tc-9\tperson9@example.net\t<3@example.com>\n");
	open_plan(f, 0);
	assert_int_equal(q(f, "SELECT COUNT(*) FROM deliveries WHERE campaign = 'c1'"), 10);
	assert_int_equal(q(f, "SELECT COUNT(*) FROM deliveries WHERE campaign = 'c2'"), 20);
	/* merged into c3: the union, with c1's history */
	write_campaign(f->root, "c1",
		       "name: One\ntemplate: t1\nrecipient_type: contacts\nowner: ann\nfilter: { country: DE }\nstatus: merged\nmerged_into: c3\n");
	write_campaign(f->root, "c2",
		       "name: Two\ntemplate: t1\nrecipient_type: contacts\nowner: ann\nfilter: { country: FR }\nstart: 2026-12-02\nstatus: merged\nmerged_into: c3\n");
	write_campaign(f->root, "c3",
		       "name: Three\ntemplate: t1\nrecipient_type: contacts\nowner: ann\nmerged_from: [c1, c2]\n");
	open_plan(f, 0);
	assert_int_equal(q(f, "SELECT COUNT(*) FROM deliveries WHERE campaign = 'c3'"), 30);
	assert_string_equal(qs(f, "SELECT state FROM deliveries WHERE campaign = 'c3' AND recipient = 'c-3'"), "sent");
	assert_string_equal(qs(f, "SELECT state FROM deliveries WHERE campaign = 'c3' AND recipient = 'c-6'"), "failed");
	assert_string_equal(qs(f, "SELECT state FROM deliveries WHERE campaign = 'c3' AND recipient = 'c-9'"), "unconfirmed");
	assert_int_equal(q(f, "SELECT COUNT(*) FROM deliveries WHERE campaign = 'c3' AND state = 'pending'"), 27);
	/* the originals no longer own anything: nothing of c3 is skipped */
	assert_int_equal(q(f, "SELECT COUNT(*) FROM deliveries WHERE state = 'skipped'"), 0);
	/* the account's day is counted once */
	assert_int_equal(q(f, "SELECT attempts FROM daily WHERE account = 'ann-a'"), 3);
}

/* Overwrites every page of the plan's file but the first (the schema) and
 * bumps the change counter, so that the open plan reads garbage next. */
static void corrupt_plan_file(struct fx *f)
{
	long page = q(f, "PRAGMA page_size");
	unsigned char junk[4096], counter[4];
	struct stat st;
	off_t off;
	int fd = open(plan_path(f->plan), O_RDWR);

	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	assert_true(page > 0 && page <= (long)sizeof(junk) && st.st_size > 2 * page);
	memset(junk, 0xa5, sizeof(junk));
	for (off = page; off < st.st_size; off += page)
		assert_int_equal(pwrite(fd, junk, (size_t)page, off), page);
	assert_int_equal(pread(fd, counter, 4, 24), 4);
	counter[3]++;
	assert_int_equal(pwrite(fd, counter, 4, 24), 4);
	close(fd);
}

static void expect_query_error(struct fx *f)
{
	static const char msg[] = "plan database (query): database disk image is malformed";

	assert_string_equal(plan_error(f->plan), msg);
	assert_string_equal(error_last(), msg);
	error_clear();
}

static void test_queries_tell_errors_from_no_row(void **state)
{
	struct fx *f = *state;
	struct plan_campaign_counts counts;
	struct plan_delivery d;
	struct plan_iter *it = NULL;
	struct plan_pending next;
	char *s = NULL;
	long n = -1;
	time_t t = 0;

	write_contacts(f->root, "recipients/contacts/a.yaml", 1, 4);
	fixture_write(f->root, "campaigns/c1/log/ann-a.tsv",
		      "#mailout-log v1\n"
		      "2026-12-01T07:36:00Z\tclaim\tc-2\tperson2@example.net\t<2@example.com>\n"
		      "2026-12-01T07:36:01Z\tfailed\tc-2\t550\t5.1.1\tNo such user\n");
	open_plan(f, 0);
	assert_string_equal(plan_error(f->plan), "");

	/* rows and no rows */
	assert_int_equal(plan_delivery_by_message_id_open(&it, f->plan, "<2@example.com>"), 0);
	assert_int_equal(plan_delivery_next(it, &d), PLAN_ROW);
	assert_string_equal(d.campaign, "c1");
	assert_string_equal(d.recipient, "c-2");
	assert_string_equal(d.address, "person2@example.net");
	assert_string_equal(d.account, "ann-a");
	assert_int_equal(plan_delivery_next(it, &d), PLAN_DONE);
	plan_iter_free(it);
	it = NULL;
	assert_int_equal(plan_recipient_by_address(f->plan, "person3@example.net", &s), 1);
	assert_string_equal(s, "c-3");
	free(s);
	assert_int_equal(plan_recipient_by_address(f->plan, "nobody@example.net", &s), 0);
	assert_null(s);
	assert_int_equal(plan_recipient_address(f->plan, "c1", "c-4", &s), 1);
	assert_string_equal(s, "person4@example.net");
	free(s);
	assert_int_equal(plan_recipient_address(f->plan, "c1", "c-99", &s), 0);
	assert_null(s);
	assert_int_equal(plan_notification_exists(f->plan, "c1", "c-2", "failed: 550 5.1.1 No such user"), 1);
	assert_int_equal(plan_notification_exists(f->plan, "c1", "c-2", "failed: 550 5.1.1 Other"), 0);
	assert_int_equal(plan_account_attempts(f->plan, "ann-a", 20261201, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(plan_account_attempts(f->plan, "ann-a", 20261202, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(plan_campaign_counts(f->plan, "c1", &counts), 0);
	assert_int_equal(counts.recipients, 4);
	assert_int_equal(counts.count[STATE_FAILED], 1);
	assert_int_equal(counts.count[STATE_PENDING], 3);
	plan_campaign_counts_release(&counts);
	assert_int_equal(plan_next_pending(f->plan, "c1", "ann-a", &next), 1);
	assert_string_equal(next.recipient, "c-1");
	free(next.recipient);
	free(next.address);
	assert_int_equal(plan_latest_event(f->plan, &t), 0);
	assert_true(t > 0);

	/* a database that fails is an error, not an empty answer */
	corrupt_plan_file(f);
	assert_int_equal(plan_recipient_by_address(f->plan, "person3@example.net", &s), -1);
	assert_null(s);
	expect_query_error(f);
	assert_int_equal(plan_recipient_address(f->plan, "c1", "c-4", &s), -1);
	assert_null(s);
	expect_query_error(f);
	assert_int_equal(plan_notification_exists(f->plan, "c1", "c-2", "failed: 550 5.1.1 No such user"), -1);
	expect_query_error(f);
	assert_int_equal(plan_delivery_by_message_id_open(&it, f->plan, "<2@example.com>"), 0);
	assert_int_equal(plan_delivery_next(it, &d), -1);
	plan_iter_free(it);
	expect_query_error(f);
	assert_int_equal(plan_account_attempts(f->plan, "ann-a", 20261201, &n), -1);
	expect_query_error(f);
	assert_int_equal(plan_campaign_counts(f->plan, "c1", &counts), -1);
	assert_int_equal(counts.naccounts, 0);
	expect_query_error(f);
	assert_int_equal(plan_next_pending(f->plan, "c1", "ann-a", &next), -1);
	assert_null(next.recipient);
	expect_query_error(f);
	assert_int_equal(plan_latest_event(f->plan, &t), -1);
	expect_query_error(f);
}

/* c-1 to c-4 of ann as write_contacts() writes them, c-2 at address. */
static void write_contacts_c2_at(const char *root, const char *address)
{
	struct buf b = BUF_INIT;

	buf_addf(&b,
		 "- { id: c-1, email: person1@example.net, first_name: P1, owner: ann, vip: false, country: FR }\n"
		 "- { id: c-2, email: %s, first_name: P2, owner: ann, vip: false, country: FR }\n"
		 "- { id: c-3, email: person3@example.net, first_name: P3, owner: ann, vip: false, country: DE }\n"
		 "- { id: c-4, email: person4@example.net, first_name: P4, owner: ann, vip: false, country: FR }\n",
		 address);
	assert_int_equal(fixture_write(root, "recipients/contacts/a.yaml", b.ptr), 0);
	buf_release(&b);
}

/* The suppressed deliveries of campaign, one "recipient address: why" line each. */
static char *suppressed_lines(struct fx *f, const char *campaign)
{
	struct plan_iter *it = NULL;
	struct plan_suppressed s;
	struct buf b = BUF_INIT;
	int rc;

	assert_int_equal(plan_suppressed_open(&it, f->plan, campaign), 0);
	while ((rc = plan_suppressed_next(it, &s)) == PLAN_ROW) {
		buf_addf(&b, "%s %s: ", s.recipient, s.address);
		plan_suppressed_describe(&b, &s);
		buf_addc(&b, '\n');
	}
	assert_int_equal(rc, PLAN_DONE);
	plan_iter_free(it);
	return buf_detach(&b, NULL);
}

/* A hashed line suppresses like the address it stands for; a malformed
 * hash is an error at its line and column, and suppresses nothing. */
static void test_hashed_suppressions(void **state)
{
	struct fx *f = *state;
	char *lines;

	fixture_write(f->root, "recipients/suppressions.tsv",
		      "address\treason\ttime\tsource\n"
		      "PERSON3@example.net\tunsubscribed\t2026-11-02T09:14:00Z\tc1\n"
		      "sha256:4b7b619e24aff51f05fd4823bf9b0179b37a13b449f51ae0a30fc57920a4f33d\tmanual\t2026-11-03T09:14:00Z\tmanual\n");
	open_plan(f, 0);
	assert_int_equal(f->diags.errors, 0);
	assert_string_equal(qs(f, "SELECT group_concat(recipient, ' ') FROM (SELECT recipient FROM deliveries "
				  "WHERE campaign = 'c1' AND state = 'suppressed' ORDER BY ord)"),
			    "c-3 c-4");
	lines = suppressed_lines(f, "c1");
	assert_string_equal(lines, "c-3 person3@example.net: listed in recipients/suppressions.tsv (unsubscribed)\n"
				   "c-4 person4@example.net: listed in recipients/suppressions.tsv (manual)\n");
	free(lines);
	plan_close(f->plan);
	f->plan = NULL;
	/* upper-case hex is no hash: refused at the first such digit (column 9) */
	fixture_write(f->root, "recipients/suppressions.tsv",
		      "address\treason\ttime\tsource\n"
		      "sha256:4B7b619e24aff51f05fd4823bf9b0179b37a13b449f51ae0a30fc57920a4f33d\tmanual\t2026-11-03T09:14:00Z\tmanual\n");
	diag_release(&f->diags);
	assert_int_equal(plan_open(&f->plan, f->root, NULL, 0, &f->diags), -1);
	assert_int_equal(f->diags.errors, 1);
	assert_string_equal(f->diags.items[0].path, "recipients/suppressions.tsv");
	assert_int_equal(f->diags.items[0].line, 2);
	assert_int_equal(f->diags.items[0].col, 9);
	assert_string_equal(f->diags.items[0].message,
			    "invalid hash 'sha256:4B7b619e24aff51f05fd4823bf9b0179b37a13b449f51ae0a30fc57920a4f33d': "
			    "expected sha256: and 64 lower-case hex digits");
}

/* A claim replays alike whether it holds the address (v1), the hash that
 * replaced it (a v1 line after an erasure) or the hash (v2): the same
 * states, the same hard bounce, and `confirmed` still finds its claim. */
static void test_claim_forms_replay_alike(void **state)
{
	struct fx *f = *state;

	write_contacts(f->root, "recipients/contacts/a.yaml", 1, 4);
	fixture_write(f->root, "campaigns/c1/log/ann-a.tsv",
		      "#mailout-log v1\n"
		      "2026-12-01T07:30:00Z\tclaim\tc-1\tperson1@example.net\t<1@example.com>\n"
		      "2026-12-01T07:30:01Z\tsent\tc-1\t250\t2.0.0\tOK\n"
		      "2026-12-01T07:36:00Z\tclaim\tc-2\t" PERSON2_HASH "\t<2@example.com>\n"
		      "2026-12-01T07:36:01Z\tfailed\tc-2\t550\t5.1.1\tNo such user\n");
	fixture_write(f->root, "campaigns/c1/log/ann-b.tsv",
		      "#mailout-log v2\n"
		      "2026-12-01T07:42:00Z\tclaim\tc-3\tsha256:57c50bba42434dd0aefdcb1d79251e6f4f5595b52757645e45a021a625608cbd\t<3@example.com>\n"
		      "2026-12-01T08:10:00Z\tconfirmed\tc-3\tSent\t<3@example.com>\n"
		      "2026-12-01T07:48:00Z\tclaim\tc-4\tsha256:4b7b619e24aff51f05fd4823bf9b0179b37a13b449f51ae0a30fc57920a4f33d\t<4@example.com>\n");
	open_plan(f, 0);
	assert_int_equal(f->diags.errors, 0);
	assert_string_equal(qs(f, "SELECT group_concat(recipient || ' ' || state, ', ') FROM "
				  "(SELECT recipient, state FROM deliveries WHERE campaign = 'c1' ORDER BY ord)"),
			    "c-1 sent, c-2 failed, c-3 sent, c-4 unconfirmed");
	assert_string_equal(qs(f, "SELECT hash || ' ' || recipient FROM bounces"), PERSON2_HASH " c-2");
	/* the v1 claim's address and the v2 claim's hash are stored alike */
	assert_int_equal(q(f, "SELECT COUNT(*) FROM deliveries WHERE campaign = 'c1' AND claim_hash = address_hash"), 4);
	assert_int_equal(q(f, "SELECT COUNT(*) FROM deliveries WHERE claim_hash LIKE '%@%'"), 0);
	/* a rebuild from scratch agrees */
	open_plan(f, PLAN_REBUILD);
	assert_string_equal(qs(f, "SELECT group_concat(recipient || ' ' || state, ', ') FROM "
				  "(SELECT recipient, state FROM deliveries WHERE campaign = 'c1' ORDER BY ord)"),
			    "c-1 sent, c-2 failed, c-3 sent, c-4 unconfirmed");
}

static void test_hard_bounce_suppresses_the_address(void **state)
{
	static const char c3_suppressed[] = "l-1 person2@example.net: hard bounce 2026-12-01T07:36:01Z in c1 (c-2): 550 5.1.1 No such user; listed in recipients/suppressions.tsv (bounced)\n";
	struct fx *f = *state;
	struct plan_iter *it = NULL;
	struct plan_suppressed s;
	char *lines;

	/* a lead at c-2's address, in a campaign of its own */
	fixture_write(f->root, "recipients/leads/fair.yaml",
		      "- { id: l-1, email: person2@example.net, first_name: L, company_name: Example Ltd, owner: ann }\n");
	write_campaign(f->root, "c3",
		       "name: Leads\ntemplate: t2\nrecipient_type: leads\nowner: ann\nstart: 2026-12-01\n");
	write_contacts(f->root, "recipients/contacts/a.yaml", 1, 4);
	fixture_write(f->root, "campaigns/c1/log/ann-a.tsv",
		      "#mailout-log v1\n"
		      "2026-12-01T07:36:00Z\tclaim\tc-2\tperson2@example.net\t<2@example.com>\n"
		      "2026-12-01T07:36:01Z\tfailed\tc-2\t550\t5.1.1\tNo such user\n");
	open_plan(f, 0);
	assert_string_equal(qs(f, "SELECT state FROM deliveries WHERE recipient = 'c-2'"), "failed");
	assert_string_equal(qs(f, "SELECT state FROM deliveries WHERE recipient = 'l-1'"), "suppressed");
	assert_string_equal(qs(f, "SELECT hash || ' ' || campaign || ' ' || recipient || ' ' || code || ' ' || enhanced || ' ' || reply FROM bounces"),
			    PERSON2_HASH " c1 c-2 550 5.1.1 No such user");
	/* why l-1 is suppressed: the address and the reply */
	lines = suppressed_lines(f, "c3");
	assert_string_equal(lines, "l-1 person2@example.net: hard bounce 2026-12-01T07:36:01Z in c1 (c-2): 550 5.1.1 No such user\n");
	free(lines);

	/* the recipient file corrects the address: the bounce stays with the
	 * old one, the corrected delivery is failed until retried */
	write_contacts_c2_at(f->root, "person2.new@example.net");
	open_plan(f, 0);
	/* derived again alone: the bounce came after a claim, which named the address */
	assert_int_equal(f->plan->rederived, 0);
	assert_int_equal(f->plan->rederived_deliveries, 1);
	assert_string_equal(qs(f, "SELECT state || ' ' || address FROM deliveries WHERE recipient = 'c-2'"),
			    "failed person2.new@example.net");
	assert_string_equal(qs(f, "SELECT hash FROM bounces"), PERSON2_HASH);
	assert_int_equal(q(f, "SELECT COUNT(*) FROM bounces"), 1);
	fixture_write(f->root, "campaigns/c1/commands.tsv",
		      "#mailout-log v1\n2026-12-01T09:00:00Z\tretry-cmd\tc-2\n");
	open_plan(f, 0);
	assert_string_equal(qs(f, "SELECT state || ' ' || address FROM deliveries WHERE recipient = 'c-2'"),
			    "pending person2.new@example.net");
	assert_string_equal(qs(f, "SELECT state FROM deliveries WHERE recipient = 'l-1'"), "suppressed");
	lines = suppressed_lines(f, "c1");
	assert_string_equal(lines, "");
	free(lines);

	/* a rebuild from scratch agrees */
	open_plan(f, PLAN_REBUILD);
	assert_string_equal(qs(f, "SELECT state FROM deliveries WHERE recipient = 'c-2'"), "pending");
	assert_string_equal(qs(f, "SELECT state FROM deliveries WHERE recipient = 'l-1'"), "suppressed");

	/* a listed address says so, and a bounced one listed too says both */
	fixture_write(f->root, "recipients/suppressions.tsv",
		      "address\treason\ttime\tsource\n"
		      "person3@example.net\tunsubscribed\t2026-11-02T09:14:00Z\tc1\n"
		      "person2@example.net\tbounced\t2026-12-01T08:00:00Z\tc1\n");
	open_plan(f, 0);
	lines = suppressed_lines(f, "c1");
	assert_string_equal(lines, "c-3 person3@example.net: listed in recipients/suppressions.tsv (unsubscribed)\n");
	free(lines);
	assert_int_equal(plan_suppressed_open(&it, f->plan, "c3"), 0);
	assert_int_equal(plan_suppressed_next(it, &s), PLAN_ROW);
	assert_string_equal(s.recipient, "l-1");
	assert_string_equal(s.bounced_in, "c1");
	assert_string_equal(s.bounced_recipient, "c-2");
	assert_int_equal(s.code, 550);
	assert_string_equal(s.enhanced, "5.1.1");
	assert_string_equal(s.listed, "bounced");
	assert_int_equal(plan_suppressed_next(it, &s), PLAN_DONE);
	plan_iter_free(it);
	lines = suppressed_lines(f, "c3");
	assert_string_equal(lines, c3_suppressed);
	free(lines);
	/* two iterators of one query at once, each on its own statement; the
	 * statement of a freed one serves the next, its bindings cleared */
	assert_int_equal(plan_suppressed_open(&it, f->plan, "c1"), 0);
	assert_int_equal(plan_suppressed_next(it, &s), PLAN_ROW);
	lines = suppressed_lines(f, "c3");
	assert_string_equal(lines, c3_suppressed);
	free(lines);
	assert_string_equal(s.recipient, "c-3");
	assert_int_equal(plan_suppressed_next(it, &s), PLAN_DONE);
	plan_iter_free(it);
	lines = suppressed_lines(f, "c1");
	assert_string_equal(lines, "c-3 person3@example.net: listed in recipients/suppressions.tsv (unsubscribed)\n");
	free(lines);
	lines = suppressed_lines(f, "none");
	assert_string_equal(lines, "");
	free(lines);
}

/* A delivery report read after the address was corrected is about the
 * address the message went to. */
static void test_late_bounce_suppresses_the_mailed_address(void **state)
{
	struct fx *f = *state;
	struct plan_iter *it = NULL;
	struct plan_delivery d;
	const char *log = "campaigns/c1/log/ann-a.tsv";

	write_contacts(f->root, "recipients/contacts/a.yaml", 1, 4);
	fixture_write(f->root, log,
		      "#mailout-log v1\n"
		      "2026-12-01T07:36:00Z\tclaim\tc-2\tperson2@example.net\t<2@example.com>\n"
		      "2026-12-01T07:36:01Z\tsent\tc-2\t250\t2.0.0\tOK\n");
	open_plan(f, 0);
	write_contacts_c2_at(f->root, "person2.new@example.net");
	open_plan(f, 0);
	/* bounces sync matches the report to the address mailed, by its hash */
	assert_int_equal(plan_delivery_by_message_id_open(&it, f->plan, "<2@example.com>"), 0);
	assert_int_equal(plan_delivery_next(it, &d), PLAN_ROW);
	assert_string_equal(d.recipient, "c-2");
	assert_string_equal(d.address, "person2.new@example.net");
	assert_string_equal(d.hash, PERSON2_HASH);
	plan_iter_free(it);
	assert_int_equal(log_append_line(f->root, log,
					 "2026-12-01T10:00:00Z\tbounce\tc-2\t550\t5.1.1\tUser unknown\n"), 0);
	open_plan(f, 0);
	assert_int_equal(f->plan->rederived, 0);
	assert_string_equal(qs(f, "SELECT state FROM deliveries WHERE recipient = 'c-2'"), "failed");
	assert_string_equal(qs(f, "SELECT hash || ' ' || recipient || ' ' || reply FROM bounces"),
			    PERSON2_HASH " c-2 User unknown");
	fixture_write(f->root, "campaigns/c1/commands.tsv",
		      "#mailout-log v1\n2026-12-01T11:00:00Z\tretry-cmd\tc-2\n");
	open_plan(f, 0);
	assert_string_equal(qs(f, "SELECT state FROM deliveries WHERE recipient = 'c-2'"), "pending");
	/* without the correction, a retried hard bounce stays suppressed */
	write_contacts(f->root, "recipients/contacts/a.yaml", 1, 4);
	open_plan(f, 0);
	assert_string_equal(qs(f, "SELECT state FROM deliveries WHERE recipient = 'c-2'"), "suppressed");
}

/* One event through the sender's applier. */
static void apply(struct plan_applier *a, const char *when, enum log_event event, const char *f0,
		  const char *f1, const char *f2, const char *f3, const char *f4)
{
	struct log_entry e;

	memset(&e, 0, sizeof(e));
	assert_int_equal(time_parse_rfc3339(when, &e.time), 0);
	e.event = event;
	e.field[0] = f0;
	e.field[1] = f1;
	e.field[2] = f2;
	e.field[3] = f3;
	e.field[4] = f4;
	e.nfields = f4 ? 5 : f3 ? 4 : f2 ? 3 : 1;
	assert_int_equal(plan_applier_apply(a, "c1", "ann-a", &e), 0);
}

/* The counts follow the sender's outcomes as they are applied, in their
 * transaction, and a rollback takes them back with the deliveries. */
static void test_counts_follow_the_sender(void **state)
{
	struct fx *f = *state;
	struct plan_applier *a = NULL;
	struct plan_campaign_counts c;

	write_contacts(f->root, "recipients/contacts/a.yaml", 1, 4);
	open_plan(f, 0);
	assert_int_equal(plan_transaction_begin(f->plan), 0);
	assert_int_equal(plan_applier_open(&a, f->plan, &f->diags), 0);
	apply(a, "2026-12-01T08:00:00Z", LOG_CLAIM, "c-1", "person1@example.net", "<1@example.com>", NULL, NULL);
	apply(a, "2026-12-01T08:00:01Z", LOG_SENT, "c-1", "250", "2.0.0", "OK", NULL);
	apply(a, "2026-12-01T08:05:00Z", LOG_CLAIM, "c-2", "person2@example.net", "<2@example.com>", NULL, NULL);
	apply(a, "2026-12-01T08:05:01Z", LOG_RETRY, "c-2", "451", "4.3.0", "later", "2026-12-01T08:35:01Z");
	apply(a, "2026-12-01T08:10:00Z", LOG_CLAIM, "c-3", "person3@example.net", "<3@example.com>", NULL, NULL);
	assert_int_equal(plan_applier_flush(a), 0);
	plan_applier_free(a);
	assert_counts_exact(f);
	assert_int_equal(plan_campaign_counts(f->plan, "c1", &c), 0);
	assert_int_equal(c.recipients, 4);
	assert_int_equal(c.count[STATE_SENT], 1);
	assert_int_equal(c.count[STATE_RETRYING], 1);
	assert_int_equal(c.count[STATE_UNCONFIRMED], 1);
	assert_int_equal(c.count[STATE_PENDING], 1);
	plan_campaign_counts_release(&c);
	assert_int_equal(plan_transaction_rollback(f->plan), 0);
	assert_counts_exact(f);
	assert_int_equal(q(f, "SELECT n FROM counts WHERE campaign = 'c1' AND state = 'pending' AND account = 'ann-a'") +
			 q(f, "SELECT COALESCE(SUM(n), 0) FROM counts WHERE campaign = 'c1' AND state = 'pending' AND account != 'ann-a'"), 4);
	/* a rebuild counts the same */
	open_plan(f, PLAN_REBUILD);
	assert_int_equal(q(f, "SELECT SUM(n) FROM counts WHERE campaign = 'c1' AND state = 'pending'"), 4);
}

/* ---- a changed recipient file derives again what it affects, and the
 * result is the plan a full build makes ---- */

/* The plan as rows of text: every table a refresh writes, deliveries with
 * the rank of their order in the campaign instead of the order's value
 * (a new file's records get places between the others'). */
static void dump_plan(struct plan *p, struct buf *out)
{
	static const char *const sql[] = {
		"SELECT campaign, recipient, address, vip, account, state, attempts, next_at, code, "
		"enhanced, reply, first_at, claimed_at, sent_at, message_id, claim_hash, address_hash, skipped_by, "
		"last_event, ROW_NUMBER() OVER (PARTITION BY campaign ORDER BY ord, recipient) "
		"FROM deliveries ORDER BY campaign, recipient",
		"SELECT campaign, account, state, n FROM counts WHERE n != 0 ORDER BY 1, 2, 3",
		"SELECT * FROM bounces ORDER BY hash",
		"SELECT * FROM daily ORDER BY account, day",
		"SELECT * FROM progress ORDER BY campaign, account, day",
		"SELECT campaign, time, account, recipient, message FROM notifications ORDER BY 1, 2, 3, 4, 5",
		"SELECT id, last_error, last_reset FROM campaigns ORDER BY id",
		"SELECT * FROM accounts ORDER BY id",
		"SELECT type, id, email, address, owner, vip, line, fields FROM recipients ORDER BY type, id",
	};
	sqlite3_stmt *st = NULL;
	size_t i;
	int c;

	buf_reset(out);
	for (i = 0; i < sizeof(sql) / sizeof(*sql); i++) {
		assert_int_equal(plan_prepare(p, &st, sql[i]), 0);
		while (sqlite3_step(st) == SQLITE_ROW) {
			for (c = 0; c < sqlite3_column_count(st); c++) {
				const char *v = (const char *)sqlite3_column_text(st, c);
				buf_addf(out, "%s%s", v ? v : "NULL",
					 c + 1 == sqlite3_column_count(st) ? "\n" : "|");
			}
		}
		sqlite3_finalize(st);
		buf_adds(out, "--\n");
	}
}

/* The recipients of the random edits: in files of contacts and leads. */
#define EDIT_RECORDS 80
static const char *const edit_files[] = { "recipients/contacts/a.yaml", "recipients/contacts/b.yaml",
					  "recipients/contacts/bb.yaml", "recipients/contacts/c.yaml",
					  "recipients/leads/l.yaml", "recipients/leads/m.yaml" };
#define EDIT_FILES (sizeof(edit_files) / sizeof(*edit_files))

struct edit_record {
	int present, file, address, vip, de, bob;
	int order; /* place in its file */
};

struct edit_model {
	struct edit_record r[EDIT_RECORDS];
	int count, comments[EDIT_FILES], next_order;
	unsigned long long seed;
};

static int rnd(struct edit_model *m, int n)
{
	m->seed = m->seed * 6364136223846793005ULL + 1442695040888963407ULL;
	return (int)((m->seed >> 33) % (unsigned long long)n);
}

static int is_lead(int file)
{
	return file >= 4;
}

/* Writes every file of the model; a file without records is removed.
 * dup: a record whose id is that of record dup - 1, into another file. */
static void edit_write(struct fx *f, struct edit_model *m, int dup)
{
	struct buf b = BUF_INIT;
	size_t i;
	int j, k, order;

	for (i = 0; i < EDIT_FILES; i++) {
		buf_reset(&b);
		for (j = 0; j < m->comments[i]; j++)
			buf_adds(&b, "# a comment that moves the records down\n");
		for (order = 0; order < m->next_order; order++) {
			for (k = 0; k < m->count; k++) {
				const struct edit_record *r = &m->r[k];
				if (!r->present || r->file != (int)i || r->order != order)
					continue;
				buf_addf(&b, "- { id: %s-%d, email: Person%d@example.net, first_name: P%d, owner: %s, vip: %s, country: %s }\n",
					 is_lead(r->file) ? "l" : "c", k, r->address, k,
					 r->bob && !is_lead(r->file) ? "bob" : "ann",
					 r->vip ? "true" : "false", r->de ? "DE" : "FR");
			}
		}
		if (dup && (int)i == (m->r[dup - 1].file + 1) % 4 && !is_lead(m->r[dup - 1].file))
			buf_addf(&b, "- { id: c-%d, email: dup@example.net, first_name: D, owner: ann }\n", dup - 1);
		if (b.len)
			assert_int_equal(fixture_write(f->root, edit_files[i], b.ptr), 0);
		else
			unlink_rel(f->root, edit_files[i]);
	}
	buf_release(&b);
}

static void edit_setup(struct fx *f, struct edit_model *m)
{
	int i;

	memset(m, 0, sizeof(*m));
	m->seed = 20261201;
	m->count = 60;
	for (i = 0; i < m->count; i++) {
		struct edit_record *r = &m->r[i];
		r->present = 1;
		r->file = i < 48 ? i % 4 : 4 + i % 2;
		r->address = i % 40;
		r->vip = i % 7 == 0;
		r->de = i % 3 == 0;
		r->bob = i % 5 == 0;
		r->order = m->next_order++;
	}
	unlink_rel(f->root, "recipients/contacts/a.yaml");
	unlink_rel(f->root, "recipients/contacts/bob.yaml");
	write_campaign(f->root, "c1", "name: One\ntemplate: t1\nrecipient_type: contacts\nowner: ann\nstart: 2026-12-01\n");
	write_campaign(f->root, "c2", "name: Two\ntemplate: t1\nrecipient_type: contacts\nowner: ann\nfilter: { country: DE }\nstart: 2026-12-05\n");
	write_campaign(f->root, "c3", "name: Three\ntemplate: t2\nrecipient_type: contacts\nowner: bob\nstart: 2026-12-01\n");
	write_campaign(f->root, "c4", "name: Four\ntemplate: t1\nrecipient_type: leads\nowner: ann\nstart: 2026-12-03\n");
	write_campaign(f->root, "c5", "name: Five\ntemplate: t2\nrecipient_type: contacts\nowner: ann\nvip_only: true\nstart: 2026-12-02\n");
	write_campaign(f->root, "m1", "name: M1\ntemplate: t2\nrecipient_type: contacts\nowner: ann\nfilter: { country: FR }\nstatus: merged\nmerged_into: m2\n");
	write_campaign(f->root, "m2", "name: M2\ntemplate: t2\nrecipient_type: contacts\nowner: ann\nmerged_from: [m1]\n");
	fixture_write(f->root, "recipients/suppressions.tsv",
		      "address\treason\ttime\tsource\nperson7@example.net\tunsubscribed\t2026-11-02T09:14:00Z\tc1\n");
	fixture_write(f->root, "campaigns/c1/log/ann-a.tsv",
		      "#mailout-log v1\n"
		      "2026-12-01T07:30:00Z\tclaim\tc-1\tperson1@example.net\t<1@example.com>\n"
		      "2026-12-01T07:30:01Z\tsent\tc-1\t250\t2.0.0\tOK\n"
		      "2026-12-01T07:31:00Z\tclaim\tc-2\tperson2@example.net\t<2@example.com>\n"
		      "2026-12-01T07:31:01Z\tfailed\tc-2\t550\t5.1.1\tNo such user\n"
		      "2026-12-01T07:32:00Z\tclaim\tc-3\tperson3@example.net\t<3@example.com>\n"
		      "2026-12-01T07:32:01Z\tretry\tc-3\t451\t4.3.0\tlater\t2026-12-01T08:02:01Z\n"
		      "2026-12-01T07:33:00Z\tclaim\tc-6\tperson6@example.net\t<6@example.com>\n"
		      "2026-12-01T07:34:00Z\tclaim\tc-9\tperson9@example.net\t<9@example.com>\n"
		      "2026-12-01T07:34:01Z\tsent\tc-9\t250\t2.0.0\tOK\n"
		      "2026-12-01T07:35:00Z\tclaim\tc-10\tperson10@example.net\t<10@example.com>\n"
		      "2026-12-01T07:35:30Z\tclaim\tc-11\tperson11@example.net\t<11@example.com>\n"
		      "2026-12-01T07:36:00Z\tclaim\tc-12\tperson12@example.net\t<12@example.com>\n"
		      "2026-12-01T07:36:01Z\trelease\tc-12\n"
		      "2026-12-01T07:37:00Z\tclaim\tc-13\tperson13@example.net\t<13@example.com>\n"
		      "2026-12-01T09:37:00Z\tconfirmed\tc-13\tSent\t<13@example.com>\n"
		      "2026-12-01T07:38:00Z\tclaim\tc-14\tperson14@example.net\t<14@example.com>\n"
		      "2026-12-01T07:38:01Z\tbounce\tc-14\t550\t5.1.1\tdelivery report: failed\n"
		      "2026-12-01T07:39:00Z\tclaim\tc-16\tperson16@example.net\t<16@example.com>\n"
		      "2026-12-01T07:39:01Z\tretry\tc-16\t451\t4.3.0\tlater\t2026-12-01T08:09:01Z\n");
	fixture_write(f->root, "campaigns/c1/commands.tsv",
		      "#mailout-log v1\n2026-12-01T09:00:00Z\tretry-cmd\tc-3\n");
	fixture_write(f->root, "campaigns/c3/log/bob-a.tsv",
		      "#mailout-log v1\n"
		      "2026-12-01T07:40:00Z\tclaim\tc-5\tperson5@example.net\t<5@example.com>\n"
		      "2026-12-01T07:40:01Z\tsent\tc-5\t250\t2.0.0\tOK\n");
	fixture_write(f->root, "campaigns/m1/log/ann-b.tsv",
		      "#mailout-log v1\n"
		      "2026-12-01T07:50:00Z\tclaim\tc-4\tperson4@example.net\t<4@example.com>\n"
		      "2026-12-01T07:50:01Z\tsent\tc-4\t250\t2.0.0\tOK\n");
}

/* One random edit of the model; returns the record to duplicate + 1 for a
 * duplicate id (an error), else 0. */
static int edit_once(struct edit_model *m)
{
	struct edit_record *r = &m->r[rnd(m, m->count)];
	int what = rnd(m, 10);

	if (what == 9 && r->present && !is_lead(r->file))
		return (int)(r - m->r) + 1;
	if (!r->present && what != 5) {
		r->present = 1; /* back, where it was */
		return 0;
	}
	switch (what) {
	case 0: r->address = rnd(m, 44); break; /* 7 is suppressed, 2 bounced */
	case 1: r->vip = !r->vip; break;
	case 2: r->de = !r->de; break;
	case 3: r->bob = !r->bob; break;
	case 4: r->present = 0; break;
	case 5:
		if (m->count < EDIT_RECORDS) {
			r = &m->r[m->count++];
			r->present = 1;
			r->file = rnd(m, (int)EDIT_FILES);
			r->address = rnd(m, 44);
			r->order = m->next_order++;
		}
		break;
	case 6: /* to another file of its type, at the end */
		r->file = is_lead(r->file) ? 4 + rnd(m, 2) : rnd(m, 4);
		r->order = m->next_order++;
		break;
	case 7: m->comments[r->file]++; break;
	default: r->order = m->next_order++; break; /* to the end of its file */
	}
	return 0;
}

static void test_changed_records_equal_a_full_build(void **state)
{
	struct fx *f = *state;
	struct edit_model m;
	struct plan *full = NULL;
	struct diag_list d = DIAG_LIST_INIT;
	struct buf a = BUF_INIT, b = BUF_INIT;
	char *other = fixture_tmpdir();
	int round, dup, partial = 0, moved = 0;

	edit_setup(f, &m);
	edit_write(f, &m, 0);
	open_plan(f, 0);
	for (round = 0; round < 200; round++) {
		dup = edit_once(&m);
		edit_write(f, &m, dup);
		if (dup) {
			struct plan *p = NULL;
			plan_close(f->plan);
			f->plan = NULL;
			assert_int_equal(plan_open(&p, f->root, NULL, 0, &d), -1);
			assert_true(d.errors >= 1);
			assert_non_null(strstr(d.items[d.count - 1].message, "duplicate contacts id"));
			diag_release(&d);
			edit_write(f, &m, 0);
		}
		open_plan(f, 0);
		partial += !f->plan->rederived;
		moved += f->plan->rederived_deliveries > 0;
		dump_plan(f->plan, &a);
		assert_int_equal(plan_open(&full, f->root, other, PLAN_REBUILD, &d), 0);
		dump_plan(full, &b);
		plan_close(full);
		full = NULL;
		if (strcmp(a.ptr, b.ptr))
			fail_msg("round %d: the plan differs from a full build:\n%s\n---- full ----\n%s", round,
				 a.ptr, b.ptr);
	}
	print_message("%d of 200 rounds partial, %d changed deliveries\n", partial, moved);
	/* most edits took the partial way, and changed deliveries */
	assert_true(partial >= 150);
	assert_true(moved >= 120);
	diag_release(&d);
	buf_release(&a);
	buf_release(&b);
	fixture_remove(other);
	free(other);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_selection_and_dedupe, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vip_accounts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_assignment_stable, setup, teardown),
		cmocka_unit_test_setup_teardown(test_incremental_refresh, setup, teardown),
		cmocka_unit_test_setup_teardown(test_invalid_content_keeps_plan, setup, teardown),
		cmocka_unit_test_setup_teardown(test_suppression_and_same_template, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hashed_suppressions, setup, teardown),
		cmocka_unit_test_setup_teardown(test_claim_forms_replay_alike, setup, teardown),
		cmocka_unit_test_setup_teardown(test_log_replay_and_statuses, setup, teardown),
		cmocka_unit_test_setup_teardown(test_merge_carries_history, setup, teardown),
		cmocka_unit_test_setup_teardown(test_queries_tell_errors_from_no_row, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hard_bounce_suppresses_the_address, setup, teardown),
		cmocka_unit_test_setup_teardown(test_late_bounce_suppresses_the_mailed_address, setup, teardown),
		cmocka_unit_test_setup_teardown(test_counts_follow_the_sender, setup, teardown),
		cmocka_unit_test_setup_teardown(test_changed_records_equal_a_full_build, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
