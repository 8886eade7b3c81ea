#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>

#include "buf.h"
#include "fixture.h"
#include "plan.h"
#include "schedule.h"
#include "site.h"

static const char *config_yaml =
	"organization: { name: Test & Co, postal_address: \"Street 1, Berlin\", site_url: https://status.example.com, timezone: Europe/Berlin }\n"
	"unsubscribe: { address: unsubscribe@example.com, one_click_url: \"https://unsub.example.com/u\" }\n"
	"departments: [ { id: d1, name: Dept One }, { id: d2, name: Dept Two } ]\n"
	"people:\n"
	"  - { id: ann, name: Ann Example, email: ann@example.com, department: d1, role: sales_manager }\n"
	"  - { id: bob, name: Bob Example, email: bob@example.com, department: d2, role: sales_manager }\n"
	"accounts:\n"
	"  - { id: ann-a, owner: ann, from: \"Ann <ann@example.com>\", smtp: \"smtp://127.0.0.1:2525\", daily_limit: 100 }\n"
	"  - { id: bob-a, owner: bob, from: \"Bob <bob@example.com>\", smtp: \"smtp://127.0.0.1:2525\", daily_limit: 100 }\n";

/* A small theme: the frame shows every value the site passes. */
static const char *page_html =
	"<html><head><meta http-equiv=\"Content-Security-Policy\" content=\"{{csp}}\">"
	"<title>{{title}}</title><link href=\"{{css}}\"><script src=\"{{js}}\"></script></head><body>"
	"{{#nav}}<a href=\"{{href}}\"{{#current}} aria-current=\"page\"{{/current}}>{{label}}</a>{{/nav}}"
	"<main>{{{content}}}</main><footer>{{updated}} {{#commit}}{{commit}}{{/commit}}</footer></body></html>\n";
static const char *unsubscribe_html =
	"<meta content=\"{{csp}}\"><p data-address=\"{{address}}\" data-one-click=\"{{one_click_url}}\">"
	"{{organization}} {{one_click_host}}</p>\n";

#define NOW "2026-12-03T15:00:00Z"

struct fx {
	char *root;
	struct plan *plan;
	struct diag_list diags;
	time_t now;
};

static void write_contacts(const char *root, int n)
{
	struct buf b = BUF_INIT;
	int i;

	for (i = 1; i <= n; i++)
		buf_addf(&b, "- { id: c-%d, email: person%d@example.net, first_name: P%d, owner: ann }\n", i, i, i);
	buf_adds(&b, "- { id: b-1, email: bob.customer@example.org, first_name: B, owner: bob }\n");
	assert_int_equal(fixture_write(root, "recipients/contacts/all.yaml", b.ptr), 0);
	buf_release(&b);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	f->root = fixture_tmpdir();
	fixture_write(f->root, "mailout.yaml", config_yaml);
	fixture_write(f->root, "templates/t1.md", "---\nsubject: Hello {{first_name}}\npreheader: Short\n---\nHi {{first_name}}\n");
	write_contacts(f->root, 5);
	fixture_write(f->root, "campaigns/c1/campaign.yaml",
		      "name: \"<script>alert(1)</script> & news\"\ntemplate: t1\nrecipient_type: contacts\nowner: ann\nstart: 2026-12-01\n");
	fixture_write(f->root, "campaigns/c2/campaign.yaml",
		      "name: Bob's campaign\ntemplate: t1\nrecipient_type: contacts\nowner: bob\nstart: 2026-12-01\n");
	fixture_write(f->root, "site/page.html", page_html);
	fixture_write(f->root, "site/unsubscribe.html", unsubscribe_html);
	fixture_write(f->root, "site/style.css", "body { color: black }\n");
	fixture_write(f->root, "site/app.js", "'use strict';\n");
	assert_int_equal(time_parse_rfc3339(NOW, &f->now), 0);
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

/* Opens the plan and builds the site with scan (NULL: none) as what the
 * old site holds; returns site_build()'s result. */
static int build_scanned(struct fx *f, struct site_scan *scan)
{
	plan_close(f->plan);
	f->plan = NULL;
	diag_release(&f->diags);
	if (plan_open(&f->plan, f->root, NULL, 0, &f->diags) < 0) {
		diag_print(stderr, &f->diags);
		fail_msg("plan_open: %s", error_last());
	}
	return site_build(f->plan, plan_build_dir(f->plan), f->now, scan, &f->diags);
}

static int build(struct fx *f)
{
	return build_scanned(f, NULL);
}

static char *read_site(struct fx *f, const char *rel)
{
	struct buf path = BUF_INIT, text = BUF_INIT;

	buf_addf(&path, "%s/build/site/%s", f->root, rel);
	if (buf_read_file(&text, path.ptr, 1u << 24) < 0)
		fail_msg("cannot read %s", path.ptr);
	buf_release(&path);
	return buf_detach(&text, NULL);
}

static int exists(struct fx *f, const char *rel)
{
	struct buf path = BUF_INIT;
	struct stat st;
	int r;

	buf_addf(&path, "%s/build/%s", f->root, rel);
	r = stat(path.ptr, &st) == 0;
	buf_release(&path);
	return r;
}

static int count(const char *text, const char *needle)
{
	int n = 0;

	for (text = strstr(text, needle); text; text = strstr(text + 1, needle))
		n++;
	return n;
}

static void add_log(struct fx *f, const char *rel, const char *lines)
{
	struct buf text = BUF_INIT;

	buf_addf(&text, "#mailout-log v1\n%s", lines);
	assert_int_equal(fixture_write(f->root, rel, text.ptr), 0);
	buf_release(&text);
}

static void assert_mask(const char *in, const char *expected, int text)
{
	struct buf b = BUF_INIT;

	if (text)
		site_mask_text(&b, in);
	else
		site_mask_address(&b, in);
	assert_string_equal(b.ptr, expected);
	buf_release(&b);
}

/* Addresses with the at-sign percent-encoded or quoted-printable, quoted
 * local parts, RFC 2047 encoded-words: text in, masked text out. */
static const char *const encoded[][2] = {
	{ "550 5.1.1 https://mx.example.com/x?rcpt=jana.novak%40example.net: unknown",
	  "550 5.1.1 https://mx.example.com/x?rcpt=j•••@example.net: unknown" },
	{ "rcpt jana.novak%40Example.NET%3E rejected", "rcpt j•••@Example.NET%3E rejected" },
	{ "Subject: =?utf-8?q?Undeliverable:_jana.novak=40example.net?=",
	  "Subject: Undeliverable: j•••@example.net" },
	{ "=?UTF-8?B?amFuYS5ub3Zha0BleGFtcGxlLm5ldA==?= unknown", "j•••@example.net unknown" },
	{ "qp: jana.novak=40example.net.", "qp: j•••@example.net." },
	{ "user 'jana.novak@example.net' unknown", "user '•••@example.net' unknown" },
	{ "user jana\\.novak@example.net unknown", "user j•••@example.net unknown" },
	{ "size=40 ratio=40.5 limit%40 x=40-y.test", "size=40 ratio=40.5 limit%40 x=40-y.test" },
};

static void test_mask(void **state)
{
	size_t i;

	(void)state;
	assert_mask("jana.novak@example.net", "j•••@example.net", 0);
	assert_mask("émilie@example.test", "é•••@example.test", 0);
	assert_mask("@example.net", "•••@example.net", 0);
	assert_mask("no address", "•••", 0);
	assert_mask("550 5.1.1 <jana.novak@example.net>: Recipient address rejected",
		    "550 5.1.1 <j•••@example.net>: Recipient address rejected", 1);
	assert_mask("to a@b.test and Bob.Smith+x@mail.example.com.", "to a•••@b.test and B•••@mail.example.com.", 1);
	assert_mask("<\"john doe\"@example.net>", "<\"•••@example.net>", 1);
	assert_mask("say \"hi\"@example.net", "say \"•••@example.net", 1);
	assert_mask("nothing here", "nothing here", 1);
	assert_mask("a @ b, user@, @host", "a @ b, user@, @host", 1);
	assert_mask("", "", 1);
	/* encoded at-signs, quoting and encoded-words */
	for (i = 0; i < sizeof(encoded) / sizeof(*encoded); i++)
		assert_mask(encoded[i][0], encoded[i][1], 1);
}

static void test_pages_and_escaping(void **state)
{
	struct fx *f = *state;
	char *index, *page, *dept, *other, *preview, *unsub, *accounts;

	if (build(f) < 0) {
		diag_print(stderr, &f->diags);
		fail_msg("site_build: %s", error_last());
	}
	assert_int_equal(f->diags.errors, 0);
	index = read_site(f, "index.html");
	page = read_site(f, "campaigns/c1/index.html");
	dept = read_site(f, "departments/d1/index.html");
	other = read_site(f, "departments/d2/index.html");
	preview = read_site(f, "campaigns/c1/preview.html");
	unsub = read_site(f, "unsubscribe/index.html");
	accounts = read_site(f, "accounts/index.html");
	assert_true(exists(f, "site/assets/style.css") && exists(f, "site/assets/app.js"));
	assert_true(exists(f, "site/campaigns/c2/index.html"));

	/* one row per campaign; the evil name is text everywhere */
	assert_non_null(strstr(index, "<table id=\"campaigns\""));
	assert_int_equal(count(index, "<tr data-id=\"c1\">"), 1);
	assert_int_equal(count(index, "<tr data-id=\"c2\">"), 1);
	assert_int_equal(count(index, "<script>alert"), 0);
	assert_int_equal(count(page, "<script>alert"), 0);
	assert_non_null(strstr(index, "&lt;script&gt;alert(1)&lt;/script&gt; &amp; news</a>"));
	assert_non_null(strstr(index, "\"name\":\"\\u003cscript\\u003ealert(1)\\u003c/script\\u003e \\u0026 news\""));
	assert_non_null(strstr(page, "<title>&lt;script&gt;alert(1)&lt;/script&gt; &amp; news</title>"));
	assert_non_null(strstr(index, "<script type=\"application/json\" id=\"campaign-data\">"));
	assert_non_null(strstr(index, "Bob&#39;s campaign"));
	/* every sortable column and filter */
	assert_non_null(strstr(index, "data-sort=\"name\""));
	assert_non_null(strstr(index, "data-sort=\"recipient_type\""));
	assert_non_null(strstr(index, "data-sort=\"status\""));
	assert_non_null(strstr(index, "data-sort=\"completion\""));
	assert_non_null(strstr(index, "data-sort=\"owner\""));
	assert_non_null(strstr(index, "data-sort=\"sent_today\""));
	assert_non_null(strstr(index, "data-sort=\"recipients\""));
	assert_non_null(strstr(index, "id=\"search\""));
	assert_non_null(strstr(index, "<select id=\"filter-department\" name=\"department\"><option value=\"\">"));
	assert_non_null(strstr(index, "<select id=\"filter-owner\" name=\"owner\"><option value=\"\">"));
	assert_non_null(strstr(index, "<select id=\"filter-vip\" name=\"vip\"><option value=\"\">"));
	assert_non_null(strstr(index, "<select id=\"filter-status\" name=\"status\"><option value=\"\">"));
	/* the frame: policy, assets, navigation, links relative to the page */
	assert_non_null(strstr(index, "content=\"default-src &#39;none&#39;; script-src &#39;self&#39;;"));
	assert_non_null(strstr(index, "<link href=\"assets/style.css?v="));
	assert_non_null(strstr(page, "<script src=\"../../assets/app.js?v="));
	assert_non_null(strstr(index, "<a href=\"index.html\" aria-current=\"page\">All campaigns</a>"));
	assert_non_null(strstr(dept, "<a href=\"../../departments/d1/index.html\" aria-current=\"page\">Dept One</a>"));
	assert_non_null(strstr(dept, "<a href=\"../../campaigns/c1/index.html\">"));
	assert_non_null(strstr(index, "2026-12-03 16:00 CET"));
	/* departments: only their own campaigns */
	assert_int_equal(count(dept, "<tr data-id="), 1);
	assert_int_equal(count(dept, "<tr data-id=\"c1\">"), 1);
	assert_int_equal(count(other, "<tr data-id="), 1);
	assert_int_equal(count(other, "<tr data-id=\"c2\">"), 1);
	/* the preview: its own policy first in the head, the sample recipient */
	assert_non_null(strstr(preview, "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline';"));
	assert_true(strstr(preview, "Content-Security-Policy") < strstr(preview, "</head>"));
	assert_non_null(strstr(page, "<iframe class=\"preview-frame\" src=\"preview.html\" sandbox=\"\""));
	assert_non_null(strstr(page, "Hello Jane"));
	/* unsubscribe: the address, the one-click endpoint allowed as a form target only */
	assert_non_null(strstr(unsub, "data-address=\"unsubscribe@example.com\""));
	assert_non_null(strstr(unsub, "data-one-click=\"https://unsub.example.com/u\""));
	assert_non_null(strstr(unsub, "form-action https://unsub.example.com\">"));
	assert_non_null(strstr(unsub, "Test &amp; Co unsub.example.com"));
	/* accounts */
	assert_non_null(strstr(accounts, "<tr data-id=\"ann-a\">"));
	assert_non_null(strstr(accounts, "<tr data-id=\"bob-a\">"));
	/* no recipient address anywhere */
	assert_null(strstr(index, "@example.net"));
	assert_null(strstr(page, "@example.net"));
	assert_null(strstr(preview, "person1@"));
	free(index);
	free(page);
	free(dept);
	free(other);
	free(preview);
	free(unsub);
	free(accounts);
}

/* No raw control character from content in any page: escaped text and the
 * preview's HTML carry U+FFFD instead. */
static void assert_no_controls(const char *page)
{
	const unsigned char *p;

	for (p = (const unsigned char *)page; *p; p++) {
		if ((*p < 0x20 && *p != '\t' && *p != '\n' && *p != '\r') || *p == 0x7f)
			fail_msg("control character 0x%02x at offset %ld", *p, (long)(p - (const unsigned char *)page));
	}
}

static void test_control_characters(void **state)
{
	struct fx *f = *state;
	const char *pages[] = { "index.html", "campaigns/c1/index.html", "campaigns/c1/preview.html",
				"departments/d1/index.html" };
	char *page;
	size_t i;

	fixture_write(f->root, "campaigns/c1/campaign.yaml",
		      "name: \"News \\e[2J\\x7f\\a\"\ntemplate: t1\nrecipient_type: contacts\nowner: ann\nstart: 2026-12-01\n");
	fixture_write(f->root, "templates/t1.md",
		      "---\nsubject: \"Hello \\e]0;x\\a{{first_name}}\"\n---\nHi <b>raw\x1b[31m</b>\x7f {{first_name}}\n");
	if (build(f) < 0) {
		diag_print(stderr, &f->diags);
		fail_msg("site_build: %s", error_last());
	}
	for (i = 0; i < sizeof(pages) / sizeof(*pages); i++) {
		page = read_site(f, pages[i]);
		assert_no_controls(page);
		if (i == 0)
			assert_non_null(strstr(page, ">News \xef\xbf\xbd[2J\xef\xbf\xbd\xef\xbf\xbd</a>"));
		if (i == 1)
			assert_non_null(strstr(page, "<title>News \xef\xbf\xbd[2J\xef\xbf\xbd\xef\xbf\xbd</title>"));
		if (i == 2)
			assert_non_null(strstr(page, "<b>raw\xef\xbf\xbd[31m</b>\xef\xbf\xbd Jane"));
		free(page);
	}
}

static void test_outcomes_masked_and_listed(void **state)
{
	struct fx *f = *state;
	char *page, *index;

	add_log(f, "campaigns/c1/log/ann-a.tsv",
		"2026-12-02T08:30:00Z\tclaim\tc-1\tperson1@example.net\t<m1@example.com>\n"
		"2026-12-02T08:30:01Z\tsent\tc-1\t250\t2.0.0\tOK\n"
		"2026-12-03T08:30:00Z\tclaim\tc-2\tperson2@example.net\t<m2@example.com>\n"
		"2026-12-03T08:30:01Z\tsent\tc-2\t250\t2.0.0\tOK\n"
		"2026-12-03T09:00:00Z\tclaim\tc-3\tperson3@example.net\t<m3@example.com>\n"
		"2026-12-03T09:00:01Z\tfailed\tc-3\t550\t5.1.1\t<person3@example.net>: no such user\n"
		"2026-12-03T09:30:00Z\tclaim\tc-4\tperson4@example.net\t<m4@example.com>\n"
		"2026-12-03T09:30:01Z\tretry\tc-4\t451\t4.2.0\tperson4@example.net is over quota\t2026-12-03T16:00:00Z\n"
		"2026-12-03T10:00:00Z\tclaim\tc-5\tperson5@example.net\t<m5@example.com>\n");
	assert_int_equal(build(f), 0);
	page = read_site(f, "campaigns/c1/index.html");
	index = read_site(f, "index.html");
	assert_null(strstr(page, "person"));
	assert_null(strstr(index, "person"));
	/* lists: recipient id, masked address, masked reply */
	assert_non_null(strstr(page, "<table class=\"data\" id=\"failed-list\">"));
	assert_non_null(strstr(page, "<tr><td>c-3</td><td>p•••@example.net</td><td>ann-a</td><td class=\"reply\">550 5.1.1 &lt;p•••@example.net&gt;: no such user</td>"));
	assert_non_null(strstr(page, "<tr><td>c-4</td><td>p•••@example.net</td><td>ann-a</td><td class=\"reply\">451 4.2.0 p•••@example.net is over quota</td>"));
	assert_non_null(strstr(page, "<tr><td>c-5</td><td>p•••@example.net</td><td>ann-a</td><td class=\"reply\">no reply recorded</td>"));
	/* what to do next */
	assert_int_equal(count(page, "<pre class=\"command\"><code>mailout retry c1</code></pre>"), 1);
	assert_int_equal(count(page, "<pre class=\"command\"><code>mailout retry c1 --unconfirmed</code></pre>"), 1);
	/* c-5's claim is 5 hours old: an alert; ann-a has no imap:, so retry */
	assert_non_null(strstr(page, "<ul class=\"unconfirmed-accounts\"><li class=\"overdue\" data-account=\"ann-a\">"
		"1 on <code>ann-a</code>, the oldest claimed <time datetime=\"2026-12-03T10:00:00Z\">2026-12-03 11:00 CET</time> "
		"(<strong>1 for more than an hour</strong>). Check the account's Sent folder; to send them again "
		"(a recipient may get the message twice), run:<pre class=\"command\"><code>mailout retry c1 --unconfirmed</code></pre></li></ul>"));
	/* the chart: one bar a day, the sends of today among the counts */
	assert_int_equal(count(page, "<rect class=\"s0\""), 2);
	assert_non_null(strstr(page, "<title>Dec 2, ann-a: 1 sent</title>"));
	assert_non_null(strstr(page, "<title>Dec 3, ann-a: 1 sent</title>"));
	assert_non_null(strstr(page, "<tr data-account=\"ann-a\"><th scope=\"row\">ann-a</th>"));
	assert_non_null(strstr(index, "<span class=\"badge badge-active_error\">Active but error</span>"));
	assert_non_null(strstr(index, "\"status_name\":\"active_error\",\"completion\":60,"));
	free(page);
	free(index);
}

/* The chart covers the last 366 days up to the latest send; older sends
 * count on the page but not in the chart. */
static void test_chart_covers_a_year(void **state)
{
	struct fx *f = *state;
	char *page;

	add_log(f, "campaigns/c1/log/ann-a.tsv",
		"2025-06-01T08:30:00Z\tclaim\tc-1\tperson1@example.net\t<m1@example.com>\n"
		"2025-06-01T08:30:01Z\tsent\tc-1\t250\t2.0.0\tOK\n"
		"2025-12-02T08:30:00Z\tclaim\tc-2\tperson2@example.net\t<m2@example.com>\n"
		"2025-12-02T08:30:01Z\tsent\tc-2\t250\t2.0.0\tOK\n"
		"2026-12-02T08:30:00Z\tclaim\tc-3\tperson3@example.net\t<m3@example.com>\n"
		"2026-12-02T08:30:01Z\tsent\tc-3\t250\t2.0.0\tOK\n");
	assert_int_equal(build(f), 0);
	page = read_site(f, "campaigns/c1/index.html");
	assert_non_null(strstr(page, "aria-label=\"Messages sent per day by account: 2 over 366 days, "
				     "at most 1 a day\""));
	/* the axis: 0 and 1 */
	assert_int_equal(count(page, "<line class=\"axis\""), 1);
	assert_int_equal(count(page, "<line class=\"grid-line\""), 1);
	assert_non_null(strstr(page, "<text x=\"42.0\" y=\"234.0\" text-anchor=\"end\">0</text>"));
	assert_non_null(strstr(page, "<text x=\"42.0\" y=\"16.0\" text-anchor=\"end\">1</text>"));
	/* a full-height bar on the first and the last day, a date under every 46th */
	assert_int_equal(count(page, "<rect class=\"s0\""), 2);
	assert_non_null(strstr(page, "<rect class=\"s0\" x=\"48.29\" y=\"12.00\" width=\"1.34\" "
				     "height=\"218.00\"><title>Dec 2, ann-a: 1 sent</title></rect>"));
	assert_null(strstr(page, "Jun 1"));
	assert_int_equal(count(page, "text-anchor=\"middle\">"), 8);
	assert_non_null(strstr(page, "text-anchor=\"middle\">Jan 17</text>"));
	/* the table: the days with a send */
	assert_int_equal(count(page, "<tr><th scope=\"row\">"), 2);
	assert_non_null(strstr(page, "<tr><th scope=\"row\">2025-12-02</th><td class=\"num\">1</td>"
				     "<td class=\"num\">1</td></tr>"));
	assert_non_null(strstr(page, "<tr><th scope=\"row\">2026-12-02</th>"));
	free(page);
}

static void test_lists_are_capped(void **state)
{
	struct fx *f = *state;
	struct buf lines = BUF_INIT;
	char *page;
	int i;

	write_contacts(f->root, SITE_LIST_MAX + 50);
	for (i = 1; i <= SITE_LIST_MAX + 50; i++)
		buf_addf(&lines, "2026-12-02T%02d:%02d:00Z\tclaim\tc-%d\tperson%d@example.net\t<m%d@example.com>\n"
			 "2026-12-02T%02d:%02d:01Z\tfailed\tc-%d\t550\t5.1.1\tno such user\n",
			 8 + i / 60, i % 60, i, i, i, 8 + i / 60, i % 60, i);
	add_log(f, "campaigns/c1/log/ann-a.tsv", lines.ptr);
	assert_int_equal(build(f), 0);
	page = read_site(f, "campaigns/c1/index.html");
	assert_non_null(strstr(page, "<p class=\"capped\">The 200 newest of 250 are listed.</p>"));
	assert_int_equal(count(page, "no such user</td>"), SITE_LIST_MAX);
	/* the newest first */
	assert_non_null(strstr(page, "<tr><td>c-250</td>"));
	assert_null(strstr(page, "<tr><td>c-50</td>"));
	assert_true(strstr(page, "<tr><td>c-250</td>") < strstr(page, "<tr><td>c-249</td>"));
	free(page);
	buf_release(&lines);
}

static void test_replaced_whole_or_not_at_all(void **state)
{
	struct fx *f = *state;
	struct buf path = BUF_INIT;
	DIR *d;
	struct dirent *e;
	char *index;
	int leftovers = 0;

	assert_int_equal(build(f), 0);
	fixture_write(f->root, "build/site/stale.html", "old");
	/* a rebuild replaces the whole folder */
	assert_int_equal(build(f), 0);
	assert_false(exists(f, "site/stale.html"));
	assert_true(exists(f, "site/index.html"));
	/* a broken theme: nothing changes, the problem is reported */
	fixture_write(f->root, "build/site/stale.html", "old");
	/* (a file the theme lacks comes from the built-in theme) */
	buf_addf(&path, "%s/site/app.js", f->root);
	assert_int_equal(unlink(path.ptr), 0);
	fixture_write(f->root, "site/page.html", "<title>{{#title}}</title>\n");
	assert_int_equal(build(f), -1);
	assert_int_equal(f->diags.errors, 1);
	assert_string_equal(f->diags.items[0].path, "site/page.html");
	assert_int_equal(f->diags.items[0].line, 1);
	assert_true(exists(f, "site/stale.html"));
	index = read_site(f, "index.html");
	assert_non_null(strstr(index, "<tr data-id=\"c1\">"));
	buf_reset(&path);
	buf_addf(&path, "%s/build", f->root);
	d = opendir(path.ptr);
	assert_non_null(d);
	while ((e = readdir(d)))
		leftovers += !strncmp(e->d_name, ".site-", 6);
	closedir(d);
	assert_int_equal(leftovers, 0);
	free(index);
	buf_release(&path);
}

static int exists_in_site(struct fx *f, const char *rel)
{
	struct buf path = BUF_INIT;
	int r;

	buf_addf(&path, "site/%s", rel);
	r = exists(f, path.ptr);
	buf_release(&path);
	return r;
}

/* The lstat of the site's rel. */
static struct stat stat_of(struct fx *f, const char *rel)
{
	struct buf path = BUF_INIT;
	struct stat st;

	buf_addf(&path, "%s/build/site/%s", f->root, rel);
	if (lstat(path.ptr, &st) < 0)
		fail_msg("cannot stat %s", path.ptr);
	buf_release(&path);
	return st;
}

static ino_t inode_of(struct fx *f, const char *rel)
{
	return stat_of(f, rel).st_ino;
}

/* A rebuild links the files whose content did not change (time stamps
 * aside) from the old site and writes the others. */
static void test_unchanged_pages_kept(void **state)
{
	struct fx *f = *state;
	ino_t c1, c2, index, css;
	char *page, *first, *second, *line, *nl;
	int files = 0;

	/* the footer names the commit: a new one alone changes no page */
	assert_int_equal(fixture_run("cd '%s' && git init -q && git add -A && git -c user.name=T -c "
				     "user.email=t@example.com commit -q -m one && git rev-parse --short=7 HEAD > "
				     ".git/first-commit", f->root), 0);
	assert_int_equal(build(f), 0);
	c1 = inode_of(f, "campaigns/c1/index.html");
	c2 = inode_of(f, "campaigns/c2/index.html");
	index = inode_of(f, "index.html");
	css = inode_of(f, "assets/style.css");
	/* an hour later, with a message sent by c2 */
	f->now += 3600;
	add_log(f, "campaigns/c2/log/bob-a.tsv",
		"2026-12-03T15:10:00Z\tclaim\tb-1\tbob.customer@example.org\t<m1@example.com>\n"
		"2026-12-03T15:10:01Z\tsent\tb-1\t250\t2.0.0\tOK\n");
	assert_int_equal(fixture_run("cd '%s' && git add -A && git -c user.name=T -c user.email=t@example.com "
				     "commit -q -m two && git rev-parse --short=7 HEAD > .git/second-commit", f->root), 0);
	first = read_site(f, "../../.git/first-commit");
	second = read_site(f, "../../.git/second-commit");
	first[7] = second[7] = '\0';
	assert_int_equal(build(f), 0);
	assert_true(inode_of(f, "campaigns/c1/index.html") == c1);
	assert_true(inode_of(f, "assets/style.css") == css);
	assert_true(inode_of(f, "campaigns/c2/index.html") != c2);
	assert_true(inode_of(f, "index.html") != index);
	/* the kept page says when its content was made, the new one now */
	page = read_site(f, "campaigns/c1/index.html");
	assert_non_null(strstr(page, "<footer>2026-12-03 16:00 CET"));
	assert_non_null(strstr(page, first));
	free(page);
	page = read_site(f, "campaigns/c2/index.html");
	assert_non_null(strstr(page, "<footer>2026-12-03 17:00 CET"));
	assert_non_null(strstr(page, second));
	free(page);
	free(first);
	free(second);
	/* a file changed in the old site since is written again */
	fixture_write(f->root, "build/site/campaigns/c1/index.html", "changed by hand");
	c1 = inode_of(f, "campaigns/c1/index.html");
	assert_int_equal(build(f), 0);
	assert_true(inode_of(f, "campaigns/c1/index.html") != c1);
	page = read_site(f, "campaigns/c1/index.html");
	assert_non_null(strstr(page, "<footer>2026-12-03 17:00 CET"));
	free(page);
	page = read_site(f, ".manifest");
	assert_int_equal(strncmp(page, "#mailout-site-manifest v2\n", 26), 0);
	assert_non_null(strstr(page, " campaigns/c1/index.html\n"));
	free(page);
	/* nothing changed: the very same folder stays, nothing is written */
	index = inode_of(f, ".");
	c1 = inode_of(f, "campaigns/c1/index.html");
	assert_int_equal(build(f), 0);
	assert_true(inode_of(f, ".") == index);
	assert_true(inode_of(f, "campaigns/c1/index.html") == c1);
	/* but a file put there since goes */
	fixture_write(f->root, "build/site/campaigns/c1/extra.html", "x");
	assert_int_equal(build(f), 0);
	assert_true(inode_of(f, ".") != index);
	assert_false(exists(f, "site/campaigns/c1/extra.html"));
	assert_true(inode_of(f, "campaigns/c1/index.html") == c1);
	/* every file of the site is there, the last one written too */
	page = read_site(f, ".manifest");
	for (line = page + 26; (nl = strchr(line, '\n')); line = nl + 1) {
		*nl = '\0';
		assert_non_null(strrchr(line, ' '));
		assert_true(exists_in_site(f, strrchr(line, ' ') + 1));
		files++;
	}
	assert_true(files > 10);
	assert_true(exists(f, "site/unsubscribe/index.html"));
	free(page);
}

/* What the old site holds is looked at on a thread while the plan loads
 * (mailout build); the build takes that scan, or looks itself when it is
 * of another folder, and anything but the manifest's files in the old
 * site has the site written again. */
static void test_old_site_scanned(void **state)
{
	struct fx *f = *state;
	struct buf dir = BUF_INIT, path = BUF_INIT;
	ino_t site, c1, c2;

	buf_addf(&dir, "%s/build", f->root);
	assert_int_equal(build(f), 0);
	site = inode_of(f, ".");
	c1 = inode_of(f, "campaigns/c1/index.html");
	/* nothing changed: the scan started before the plan's refresh finds
	 * every file as made, and nothing is written */
	assert_int_equal(build_scanned(f, site_scan_start(dir.ptr)), 0);
	assert_true(inode_of(f, ".") == site);
	/* a scan of another folder is not taken for this one's */
	buf_addf(&path, "%s/elsewhere", f->root);
	assert_int_equal(mkdir(path.ptr, 0755), 0);
	assert_int_equal(build_scanned(f, site_scan_start(path.ptr)), 0);
	assert_true(inode_of(f, ".") == site);
	/* a link put in the old site: the site is made again, without it */
	buf_reset(&path);
	buf_addf(&path, "%s/build/site/campaigns/c1/link.html", f->root);
	assert_int_equal(symlink("index.html", path.ptr), 0);
	assert_int_equal(build_scanned(f, site_scan_start(dir.ptr)), 0);
	assert_true(inode_of(f, ".") != site);
	assert_false(exists(f, "site/campaigns/c1/link.html"));
	assert_true(inode_of(f, "campaigns/c1/index.html") == c1);
	/* a page replaced by a link of the same size is written again */
	site = inode_of(f, ".");
	buf_reset(&path);
	buf_addf(&path, "%s/build/site/campaigns/c1/preview.html", f->root);
	assert_int_equal(unlink(path.ptr), 0);
	assert_int_equal(symlink("../../campaigns/c2/preview.html", path.ptr), 0);
	assert_int_equal(build_scanned(f, site_scan_start(dir.ptr)), 0);
	assert_true(inode_of(f, ".") != site);
	assert_true(S_ISREG(stat_of(f, "campaigns/c1/preview.html").st_mode));
	/* a manifest line that is not one as written: that file is written
	 * again, the others kept */
	c1 = inode_of(f, "campaigns/c1/index.html");
	c2 = inode_of(f, "campaigns/c2/index.html");
	assert_int_equal(fixture_run("cd '%s/build/site' && sed -i 's/^\\([0-9a-f]*\\) \\([0-9]*\\) \\(.* campaigns\\/c1\\/index.html\\)$/\\1 +\\2 \\3/' .manifest && grep -q ' +[0-9]* .* campaigns/c1/index.html$' .manifest", f->root), 0);
	assert_int_equal(build(f), 0);
	assert_true(inode_of(f, "campaigns/c1/index.html") != c1);
	assert_true(inode_of(f, "campaigns/c2/index.html") == c2);
	/* a scan no build took is freed */
	site_scan_free(site_scan_start(dir.ptr));
	site_scan_free(NULL);
	buf_release(&dir);
	buf_release(&path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mask),
		cmocka_unit_test_setup_teardown(test_pages_and_escaping, setup, teardown),
		cmocka_unit_test_setup_teardown(test_control_characters, setup, teardown),
		cmocka_unit_test_setup_teardown(test_outcomes_masked_and_listed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_chart_covers_a_year, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lists_are_capped, setup, teardown),
		cmocka_unit_test_setup_teardown(test_replaced_whole_or_not_at_all, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unchanged_pages_kept, setup, teardown),
		cmocka_unit_test_setup_teardown(test_old_site_scanned, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
