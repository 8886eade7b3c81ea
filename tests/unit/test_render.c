#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "campaign.h"
#include "config.h"
#include "diag.h"
#include "fixture.h"
#include "recipients.h"
#include "render.h"
#include "schedule.h"
#include "xalloc.h"
#include "yamlfile.h"

#define DEC_3_2026 ((time_t)1796290205) /* Thu, 03 Dec 2026 09:30:05 UTC */
#define TOKEN "v1.AbCdEf.news.c-1.mac_-"
#define PAGE "https://status.example.com/unsubscribe/#"

static const char *config_yaml =
	"organization: { name: \"M\xc3\xbcller & S\xc3\xb6hne GmbH\", postal_address: \"Beispielstrasse 1, 10115 Berlin\", site_url: https://status.example.com, timezone: Europe/Berlin }\n"
	"unsubscribe: { address: unsubscribe@example.com }\n"
	"departments: [ { id: d1, name: Dept } ]\n"
	"people:\n"
	"  - { id: ann, name: Ann Example, email: ann@example.com, department: d1, role: sales_manager }\n"
	"  - { id: bob, name: Bob Example, email: bob@example.com, department: d1, role: sales_manager }\n"
	"accounts:\n"
	"  - { id: ann-a, owner: ann, from: \"Ann Example <ann@example.com>\", smtp: \"smtp://127.0.0.1:2525\", daily_limit: 100 }\n"
	"  - { id: bob-a, owner: bob, from: \"Bob Example <bob@example.com>\", smtp: \"smtp://127.0.0.1:2525\", daily_limit: 100 }\n";

static const char *news_md =
	"---\n"
	"subject: \"News for {{first_name}}\"\n"
	"preheader: \"Hello {{company}}\"\n"
	"---\n"
	"Hello {{first_name}},\n"
	"\n"
	"we thank {{company}}.\\\n"
	"Second line.\n"
	"\n"
	"{{#vip}}\n"
	"VIP only: [book a seat](https://www.example.com/book?who={{id}})\n"
	"{{/vip}}\n"
	"{{^vip}}\n"
	"Not VIP.\n"
	"{{/vip}}\n"
	".A line starting with a dot\n";

static const char *ann_signature = "**Ann Example**\\\nSales\n";

static const char *campaigns[][2] = {
	{ "news", "name: News\ntemplate: news\nrecipient_type: contacts\nowner: ann\n" },
	{ "bob-news", "name: Bob's \"news\"\ntemplate: news\nrecipient_type: contacts\nowner: bob\n" },
	{ "firms", "name: Firms\ntemplate: news\nrecipient_type: companies\nowner: ann\n" },
	{ "vips", "name: VIPs\ntemplate: news\nrecipient_type: leads\nowner: ann\nvip_only: true\n" },
};

struct fx {
	char *root;
	struct config cfg;
	struct segments segments;
	struct campaigns campaigns;
	struct diag_list diags;
	struct render *render;
	struct ydoc *doc;
	struct recipient rec;
	struct rendered m;
	struct buf msg;
};

static int setup(void **state)
{
	struct fx *f = xcalloc(1, sizeof(*f));
	size_t i;

	f->root = fixture_tmpdir();
	assert_non_null(f->root);
	assert_int_equal(fixture_write(f->root, "mailout.yaml", config_yaml), 0);
	assert_int_equal(fixture_write(f->root, "templates/news.md", news_md), 0);
	assert_int_equal(fixture_write(f->root, "templates/signatures/ann.md", ann_signature), 0);
	assert_int_equal(fixture_write(f->root, "recipients/segments.yaml", "german: { country: DE }\n"), 0);
	for (i = 0; i < sizeof(campaigns) / sizeof(*campaigns); i++) {
		char rel[128];

		snprintf(rel, sizeof(rel), "campaigns/%s/campaign.yaml", campaigns[i][0]);
		assert_int_equal(fixture_write(f->root, rel, campaigns[i][1]), 0);
	}
	buf_init(&f->msg, 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	rendered_release(&f->m);
	buf_release(&f->msg);
	render_free(f->render);
	ydoc_free(f->doc);
	campaigns_release(&f->campaigns);
	segments_release(&f->segments);
	config_release(&f->cfg);
	diag_release(&f->diags);
	fixture_remove(f->root);
	free(f->root);
	free(f);
	tz_cache_release();
	return 0;
}

static void load(struct fx *f)
{
	assert_int_equal(config_load(&f->cfg, f->root, &f->diags), 0);
	assert_int_equal(segments_load(&f->segments, f->root, &f->diags), 0);
	assert_int_equal(campaigns_load(&f->campaigns, f->root, &f->cfg, &f->segments, &f->diags), 0);
	if (f->diags.errors)
		diag_print(stderr, &f->diags);
	assert_int_equal(f->diags.errors, 0);
}

static const struct campaign *campaign(struct fx *f, const char *id)
{
	const struct campaign *c = campaigns_find(&f->campaigns, id);

	assert_non_null(c);
	return c;
}

static void open_render(struct fx *f, const char *id)
{
	render_free(f->render);
	f->render = NULL;
	if (render_open(&f->render, f->root, &f->cfg, campaign(f, id), &f->diags) < 0) {
		diag_print(stderr, &f->diags);
		fail_msg("render_open: %s", error_last());
	}
}

/* A record of the given type from a YAML mapping of its fields. */
static void set_recipient(struct fx *f, enum recipient_type type, const char *id,
			  const char *email, int vip, const char *fields)
{
	ydoc_free(f->doc);
	f->doc = NULL;
	assert_int_equal(ydoc_parse(&f->doc, "test.yaml", fields, strlen(fields), 1, &f->diags), 0);
	memset(&f->rec, 0, sizeof(f->rec));
	f->rec.type = type;
	f->rec.id = id;
	f->rec.email = email;
	f->rec.address = email;
	f->rec.owner = "ann";
	f->rec.vip = vip;
	f->rec.node = f->doc->root;
}

static void render_one(struct fx *f, const char *token)
{
	rendered_release(&f->m);
	if (render_recipient(&f->m, f->render, &f->rec, token) < 0)
		fail_msg("render_recipient: %s", error_last());
}

static void assert_contains(const char *haystack, const char *needle)
{
	if (!strstr(haystack, needle))
		fail_msg("expected to find\n%s\nin\n%s", needle, haystack);
}

static void assert_lacks(const char *haystack, const char *needle)
{
	if (strstr(haystack, needle))
		fail_msg("did not expect\n%s\nin\n%s", needle, haystack);
}

static void markdown(struct buf *out, const char *src, int styled)
{
	buf_reset(out);
	render_markdown_html(out, src, strlen(src), styled);
}

/* ---- Markdown to HTML ---- */

static void test_markdown_keeps_tags(void **state)
{
	struct buf b = BUF_INIT;

	(void)state;
	/* link targets and titles, images, code spans, raw HTML, triple tags */
	markdown(&b,
		 "Hello {{first_name}}, see [the page]({{unsubscribe_url}} \"{{title}}\") or ![logo]({{ img }}).\n"
		 "Raw <span class=\"x\">{{{owner.name}}}</span>, `{{code}}`, {{& amp}}, {{! note }}.\n",
		 0);
	assert_string_equal(b.ptr,
			    "<p>Hello {{first_name}}, see <a href=\"{{unsubscribe_url}}\" title=\"{{title}}\">the page</a> or <img src=\"{{ img }}\" alt=\"logo\">.\n"
			    "Raw <span class=\"x\">{{{owner.name}}}</span>, <code>{{code}}</code>, {{& amp}}, {{! note }}.</p>\n");

	/* sections alone on a line leave no paragraph behind, even inside one */
	markdown(&b, "Intro\n{{#vip}}\n### For {{company}}\nVIP text\n{{/vip}}\n  {{^vip}}\nOther\n{{/vip}}\nEnd\n", 0);
	assert_string_equal(b.ptr,
			    "<p>Intro</p>\n{{#vip}}\n<h3>For {{company}}</h3>\n<p>VIP text</p>\n{{/vip}}\n"
			    "  {{^vip}}\n<p>Other</p>\n{{/vip}}\n<p>End</p>\n");

	/* inside code blocks the tags stay as written */
	markdown(&b, "```\n{{#vip}}\ncode {{x}}\n{{/vip}}\n```\n", 0);
	assert_string_equal(b.ptr, "<pre><code>{{#vip}}\ncode {{x}}\n{{/vip}}\n</code></pre>\n");

	/* text that looks like a placeholder is left alone */
	markdown(&b, "mailoutph0x and {{a}} and mailoutphq1x\n", 0);
	assert_string_equal(b.ptr, "<p>mailoutph0x and {{a}} and mailoutphq1x</p>\n");

	/* no tags, no braces: plain cmark output; raw HTML kept */
	markdown(&b, "# Title\n\n<div align=\"center\">kept</div>\n\n{ not a tag }\n", 0);
	assert_string_equal(b.ptr,
			    "<h1>Title</h1>\n<div align=\"center\">kept</div>\n<p>{ not a tag }</p>\n");
	buf_release(&b);
}

static void test_markdown_styles(void **state)
{
	struct buf b = BUF_INIT;

	(void)state;
	markdown(&b, "## Head\n\nText [link]({{url}}).\n\n- item\n", 1);
	assert_string_equal(b.ptr,
			    "<h2 style=\"margin:24px 0 12px;font-size:21px;line-height:1.3;\">Head</h2>\n"
			    "<p style=\"margin:0 0 16px;\">Text <a style=\"color:#1a56db;text-decoration:underline;\" href=\"{{url}}\">link</a>.</p>\n"
			    "<ul style=\"margin:0 0 16px;padding-left:24px;\">\n"
			    "<li style=\"margin:0 0 6px;\">item</li>\n</ul>\n");
	buf_release(&b);
}

/* ---- one recipient's message ---- */

static void test_render_contact(void **state)
{
	struct fx *f = *state;

	load(f);
	open_render(f, "news");
	set_recipient(f, RTYPE_CONTACTS, "c-1", "jana@example.net", 1,
		      "{ first_name: Jana, last_name: \"Nov\xc3\xa1k\", company: \"<b>Evil & Co</b>\" }");
	render_one(f, TOKEN);
	assert_string_equal(f->m.subject, "News for Jana");
	assert_string_equal(f->m.preheader, "Hello <b>Evil & Co</b>");
	/* text: the Markdown (no hard-break backslash), signature, footer */
	assert_string_equal(f->m.text,
			    "Hello Jana,\n"
			    "\n"
			    "we thank <b>Evil & Co</b>.\n"
			    "Second line.\n"
			    "\n"
			    "VIP only: [book a seat](https://www.example.com/book?who=c-1)\n"
			    ".A line starting with a dot\n"
			    "\n"
			    "-- \n"
			    "**Ann Example**\n"
			    "Sales\n"
			    "\n"
			    "You receive this because you are a contact of Ann Example at M\xc3\xbcller & S\xc3\xb6hne GmbH.\n"
			    "Unsubscribe: " PAGE TOKEN "\n"
			    "M\xc3\xbcller & S\xc3\xb6hne GmbH, Beispielstrasse 1, 10115 Berlin\n");
	/* html: recipient data escaped, the VIP section only, no empty paragraphs */
	assert_contains(f->m.html, "<html lang=\"en\">\n<head>\n");
	assert_contains(f->m.html, "<title>News for Jana</title>");
	assert_contains(f->m.html, ">Hello &lt;b&gt;Evil &amp; Co&lt;/b&gt;&#8199;");
	/* the preheader hidden without the tiny font and background-coloured
	 * text that spam filters score as hidden text */
	assert_contains(f->m.html, "\n<div style=\"display:none;max-height:0;max-width:0;overflow:hidden;mso-hide:all;\">Hello &lt;b&gt;");
	assert_lacks(f->m.html, "font-size:1px");
	assert_lacks(f->m.html, "opacity:0");
	assert_contains(f->m.html, "<p style=\"margin:0 0 16px;\">we thank &lt;b&gt;Evil &amp; Co&lt;/b&gt;.<br>\nSecond line.</p>\n");
	assert_contains(f->m.html, "href=\"https://www.example.com/book?who=c-1\">book a seat</a>");
	assert_contains(f->m.html, "<p style=\"margin:0 0 16px;\">.A line starting with a dot</p>\n");
	assert_contains(f->m.html, "<div class=\"mailout-signature\" style=\"margin:24px 0 0;\">\n"
				   "<p style=\"margin:0 0 16px;\"><strong>Ann Example</strong><br>\nSales</p>\n</div>\n");
	assert_contains(f->m.html, "You receive this because you are a contact of Ann Example at M\xc3\xbcller &amp; S\xc3\xb6hne GmbH.<br>\n"
				   "<a style=\"display:inline-block;min-height:44px;line-height:44px;font-size:14px;color:#4b5563;text-decoration:underline;\" href=\"" PAGE TOKEN "\">Unsubscribe</a><br>\n"
				   "M\xc3\xbcller &amp; S\xc3\xb6hne GmbH, Beispielstrasse 1, 10115 Berlin</p>\n");
	assert_lacks(f->m.html, "<b>Evil");
	assert_lacks(f->m.html, "Not VIP");
	assert_lacks(f->m.html, "<p></p>");
	assert_lacks(f->m.html, "<p style=\"margin:0 0 16px;\"></p>");
	assert_lacks(f->m.html, "{{");

	/* the same renderer, another recipient: nothing of the first one stays */
	set_recipient(f, RTYPE_CONTACTS, "c-2", "max@example.net", 0, "{ first_name: Max }");
	render_one(f, "v1.AbCdEf.news.c-2.mac");
	assert_string_equal(f->m.subject, "News for Max");
	assert_string_equal(f->m.preheader, "Hello ");
	assert_contains(f->m.text, "we thank .\nSecond line.\n\nNot VIP.\n.A line starting with a dot\n");
	assert_contains(f->m.html, "<p style=\"margin:0 0 16px;\">Not VIP.</p>\n");
	assert_lacks(f->m.html, "VIP only");
	assert_lacks(f->m.html, "Evil");
	assert_lacks(f->m.html, "<p style=\"margin:0 0 16px;\"></p>");
}

static void test_render_refuses_bad_token(void **state)
{
	struct fx *f = *state;
	struct rendered m;

	load(f);
	open_render(f, "news");
	set_recipient(f, RTYPE_CONTACTS, "c-1", "jana@example.net", 0, "{ first_name: Jana }");
	assert_int_equal(render_recipient(&m, f->render, &f->rec, "bad token\r\nX: y"), -1);
	assert_string_equal(error_last(), "invalid unsubscribe token for recipient 'c-1'");
	assert_null(m.html);
	assert_int_equal(render_recipient(&m, f->render, &f->rec, ""), -1);
}

/* A template without a preheader renders an empty one, and the HTML part
 * has no hidden preheader block. */
static void test_render_without_preheader(void **state)
{
	struct fx *f = *state;

	assert_int_equal(fixture_write(f->root, "templates/plain.md",
				       "---\nsubject: Plain\n---\nHello {{first_name}}.\n"), 0);
	assert_int_equal(fixture_write(f->root, "campaigns/plain/campaign.yaml",
				       "name: Plain\ntemplate: plain\nrecipient_type: contacts\nowner: ann\n"), 0);
	load(f);
	open_render(f, "plain");
	set_recipient(f, RTYPE_CONTACTS, "c-1", "jana@example.net", 0, "{ first_name: Jana }");
	render_one(f, TOKEN);
	assert_string_equal(f->m.subject, "Plain");
	assert_string_equal(f->m.preheader, "");
	assert_contains(f->m.text, "Hello Jana.\n");
	assert_lacks(f->m.html, "opacity:0");
}

static void test_render_without_signature(void **state)
{
	struct fx *f = *state;

	load(f);
	open_render(f, "bob-news");
	set_recipient(f, RTYPE_CONTACTS, "c-3", "eva@example.net", 0, "{ first_name: Eva }");
	render_one(f, TOKEN);
	assert_contains(f->m.text, ".A line starting with a dot\n\nYou receive this because you are a contact of Bob Example at ");
	assert_lacks(f->m.text, "-- \n");
	assert_lacks(f->m.html, "mailout-signature");
}

/* ---- the whole message ---- */

static void mime(struct fx *f, const struct account *a, const char *token)
{
	buf_reset(&f->msg);
	if (render_mime(&f->msg, f->render, &f->rec, a, token, DEC_3_2026,
			"<fixed.1@example.com>", NULL) < 0)
		fail_msg("render_mime: %s", error_last());
}

static void test_mime_message(void **state)
{
	struct fx *f = *state;
	const struct account *a;
	struct buf first = BUF_INIT;
	char *id = NULL;

	load(f);
	a = config_account(&f->cfg, "ann-a");
	open_render(f, "news");
	set_recipient(f, RTYPE_CONTACTS, "c-1", "Jana@Example.net", 1,
		      "{ first_name: Jana, last_name: \"Nov\xc3\xa1k\", company: Acme }");
	mime(f, a, TOKEN);
	assert_memory_equal(f->msg.ptr,
			    "Date: Thu, 03 Dec 2026 09:30:05 +0000\r\n"
			    "From: Ann Example <ann@example.com>\r\n"
			    "To: =?UTF-8?Q?Jana_Nov=C3=A1k?= <Jana@Example.net>\r\n"
			    "Subject: News for Jana\r\n"
			    "Message-ID: <fixed.1@example.com>\r\n"
			    "MIME-Version: 1.0\r\n"
			    "List-Unsubscribe: <" PAGE TOKEN ">,\r\n"
			    " <mailto:unsubscribe@example.com?subject=unsubscribe%20" TOKEN ">\r\n"
			    "List-Id: News <news.status.example.com>\r\n"
			    "Precedence: bulk\r\n"
			    "X-Mailout-Campaign: news\r\n"
			    "X-Mailout-Recipient: c-1\r\n"
			    "Content-Type: multipart/alternative; boundary=\"=_mailout_",
			    strlen("Date: Thu, 03 Dec 2026 09:30:05 +0000\r\n"
				   "From: Ann Example <ann@example.com>\r\n"
				   "To: =?UTF-8?Q?Jana_Nov=C3=A1k?= <Jana@Example.net>\r\n"
				   "Subject: News for Jana\r\n"
				   "Message-ID: <fixed.1@example.com>\r\n"
				   "MIME-Version: 1.0\r\n"
				   "List-Unsubscribe: <" PAGE TOKEN ">,\r\n"
				   " <mailto:unsubscribe@example.com?subject=unsubscribe%20" TOKEN ">\r\n"
				   "List-Id: News <news.status.example.com>\r\n"
				   "Precedence: bulk\r\n"
				   "X-Mailout-Campaign: news\r\n"
				   "X-Mailout-Recipient: c-1\r\n"
				   "Content-Type: multipart/alternative; boundary=\"=_mailout_"));
	assert_lacks(f->msg.ptr, "List-Unsubscribe-Post");
	/* a leading dot is encoded, lines end in CRLF */
	assert_contains(f->msg.ptr, "\r\n=2EA line starting with a dot\r\n");
	assert_contains(f->msg.ptr, "\r\nUnsubscribe: https://status.example.com/unsubscribe/#v1.AbCdEf.news.c-1.mac=\r\n_-\r\n");

	/* the same Message-ID gives the same bytes */
	buf_add(&first, f->msg.ptr, f->msg.len);
	mime(f, a, TOKEN);
	assert_int_equal(first.len, f->msg.len);
	assert_memory_equal(first.ptr, f->msg.ptr, first.len);

	/* a new Message-ID at the From domain when none is given */
	buf_reset(&f->msg);
	assert_int_equal(render_mime(&f->msg, f->render, &f->rec, a, TOKEN, DEC_3_2026, NULL, &id), 0);
	assert_non_null(id);
	assert_int_equal(strlen(id), 46);
	assert_string_equal(id + 33, "@example.com>");
	free(id);

	/* campaign names with quotes become a quoted List-Id phrase */
	open_render(f, "bob-news");
	mime(f, config_account(&f->cfg, "bob-a"), TOKEN);
	assert_contains(f->msg.ptr, "\r\nList-Id: \"Bob's \\\"news\\\"\" <bob-news.status.example.com>\r\n");
	buf_release(&first);
}

static void test_mime_one_click(void **state)
{
	struct fx *f = *state;

	load(f);
	f->cfg.one_click_url = xstrdup("https://unsub.example.com/u");
	open_render(f, "news");
	set_recipient(f, RTYPE_CONTACTS, "c-1", "jana@example.net", 0, "{ first_name: Jana }");
	mime(f, config_account(&f->cfg, "ann-a"), TOKEN);
	assert_contains(f->msg.ptr, "\r\nList-Unsubscribe: <https://unsub.example.com/u?t=" TOKEN ">,\r\n"
				    " <mailto:unsubscribe@example.com?subject=unsubscribe%20" TOKEN ">\r\n"
				    "List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n");
	/* the footer still links to the site's page */
	render_one(f, TOKEN);
	assert_contains(f->m.text, "\nUnsubscribe: " PAGE TOKEN "\n");
	assert_contains(f->m.html, "href=\"" PAGE TOKEN "\">Unsubscribe</a>");

	free(f->cfg.one_click_url);
	f->cfg.one_click_url = xstrdup("https://unsub.example.com/u?list=7");
	open_render(f, "news");
	mime(f, config_account(&f->cfg, "ann-a"), TOKEN);
	assert_contains(f->msg.ptr, "\r\nList-Unsubscribe: <https://unsub.example.com/u?list=7&t=" TOKEN ">,\r\n");
}

static void test_mime_http_site(void **state)
{
	struct fx *f = *state;

	load(f);
	free(f->cfg.site_url);
	f->cfg.site_url = xstrdup("http://localhost:8000");
	open_render(f, "news");
	set_recipient(f, RTYPE_CONTACTS, "c-1", "jana@example.net", 0, "{ first_name: Jana }");
	mime(f, config_account(&f->cfg, "ann-a"), TOKEN);
	/* List-Unsubscribe takes https only: the mailto entry alone */
	assert_contains(f->msg.ptr, "\r\nList-Unsubscribe: <mailto:unsubscribe@example.com?subject=unsubscribe%20" TOKEN ">\r\n");
	assert_contains(f->msg.ptr, "\r\nList-Id: News <news.mailout.invalid>\r\n");
	assert_contains(f->msg.ptr, "Unsubscribe: http://localhost:8000/unsubscribe/#");
}

static void test_display_names(void **state)
{
	struct fx *f = *state;
	const struct account *a;

	load(f);
	a = config_account(&f->cfg, "ann-a");
	open_render(f, "firms");
	set_recipient(f, RTYPE_COMPANIES, "co-1", "office@acme.test", 0,
		      "{ full_name: \"\xe6\xa0\xaa\xe5\xbc\x8f\xe4\xbc\x9a\xe7\xa4\xbe Acme\", first_name: Ignored }");
	mime(f, a, TOKEN);
	assert_contains(f->msg.ptr, "\r\nTo: =?UTF-8?B?5qCq5byP5Lya56S+IEFjbWU=?= <office@acme.test>\r\n");
	set_recipient(f, RTYPE_COMPANIES, "co-2", "info@acme.test", 0, "{ city: Berlin }");
	mime(f, a, TOKEN);
	assert_contains(f->msg.ptr, "\r\nTo: info@acme.test\r\n");

	open_render(f, "vips");
	set_recipient(f, RTYPE_LEADS, "l-1", "lee@example.org", 1, "{ last_name: \"O'Neil, Jr.\" }");
	mime(f, a, TOKEN);
	assert_contains(f->msg.ptr, "\r\nTo: \"O'Neil, Jr.\" <lee@example.org>\r\n");
	/* a line break in a field never reaches a header */
	set_recipient(f, RTYPE_LEADS, "l-2", "x@example.org", 1, "{ first_name: \"A\\r\\nBcc: y@example.org\" }");
	buf_reset(&f->msg);
	assert_int_equal(render_mime(&f->msg, f->render, &f->rec, a, TOKEN, DEC_3_2026, NULL, NULL), -1);
	assert_int_equal(f->msg.len, 0);
	assert_string_equal(error_last(), "field 'first_name' of recipient 'l-2': To header: "
					  "line break or control character refused");
	/* a company's To name is its full_name */
	open_render(f, "firms");
	set_recipient(f, RTYPE_COMPANIES, "co-3", "office@acme.test", 0,
		      "{ full_name: \"Acme\\x7f\", first_name: Ignored }");
	buf_reset(&f->msg);
	assert_int_equal(render_mime(&f->msg, f->render, &f->rec, a, TOKEN, DEC_3_2026, NULL, NULL), -1);
	assert_string_equal(error_last(), "field 'full_name' of recipient 'co-3': To header: "
					  "line break or control character refused");
}

static void test_mime_proof(void **state)
{
	struct fx *f = *state;
	char *id = NULL;

	load(f);
	open_render(f, "news");
	set_recipient(f, RTYPE_CONTACTS, "c-1", "jana@example.net", 1, "{ first_name: Jana }");
	assert_int_equal(render_mime_proof(&f->msg, f->render, &f->rec, config_account(&f->cfg, "ann-a"),
					   TOKEN, DEC_3_2026, "tester@example.org", &id), 0);
	assert_contains(f->msg.ptr, "\r\nTo: tester@example.org\r\nSubject: [Proof] News for Jana\r\n");
	assert_lacks(f->msg.ptr, "X-Mailout-");
	assert_contains(f->msg.ptr, "VIP only");
	assert_non_null(id);
	free(id);
	assert_true(strlen(RENDER_PROOF_RECIPIENT) > 64);
	assert_int_equal(render_mime_proof(&f->msg, f->render, &f->rec, NULL, TOKEN, DEC_3_2026,
					   "tester@example.org", NULL), -1);
}

static void test_sample(void **state)
{
	struct fx *f = *state;

	load(f);
	open_render(f, "news");
	assert_int_equal(render_sample(&f->m, f->render), 0);
	assert_string_equal(f->m.subject, "News for Jane");
	assert_string_equal(f->m.preheader, "Hello Example Ltd");
	assert_contains(f->m.text, "we thank Example Ltd.\n");
	assert_contains(f->m.text, "Not VIP.\n");
	assert_contains(f->m.text, "Unsubscribe: " PAGE RENDER_SAMPLE_TOKEN "\n");
	rendered_release(&f->m);

	/* a VIP-only campaign shows the VIP version; unknown fields are named */
	assert_int_equal(fixture_write(f->root, "templates/signatures/ann.md", "{{region}} office\n"), 0);
	open_render(f, "vips");
	assert_int_equal(render_sample(&f->m, f->render), 0);
	assert_contains(f->m.text, "VIP only: [book a seat](https://www.example.com/book?who=sample)\n");
	assert_contains(f->m.text, "-- \n[region] office\n");
}

/* ---- the footer's reason, by recipient type ---- */

/* The first line of the footer of campaign id's message, as text. */
static void assert_why(struct fx *f, const char *id, enum recipient_type type, const char *expected)
{
	const char *line;

	open_render(f, id);
	set_recipient(f, type, "r-1", "r@example.net", 1, "{ first_name: Jana, full_name: Acme }");
	render_one(f, TOKEN);
	line = strstr(f->m.text, "\n\n");
	while (line && strncmp(line + 2, "You ", 4) && strncmp(line + 2, "Sie ", 4) && strncmp(line + 2, "Why ", 4))
		line = strstr(line + 1, "\n\n");
	assert_non_null(line);
	assert_true(!strncmp(line + 2, expected, strlen(expected)) && line[2 + strlen(expected)] == '\n');
}

static void test_footer_reasons(void **state)
{
	struct fx *f = *state;
	const char *de = "organization: { name: \"Acme & Co\", postal_address: \"Beispielstrasse 1\", "
			 "site_url: https://status.example.com, timezone: Europe/Berlin, language: de-AT }\n";
	struct buf yaml = BUF_INIT;

	load(f);
	assert_why(f, "news", RTYPE_CONTACTS,
		   "You receive this because you are a contact of Ann Example at M\xc3\xbcller & S\xc3\xb6hne GmbH.");
	assert_why(f, "firms", RTYPE_COMPANIES,
		   "You receive this because your company is a customer of M\xc3\xbcller & S\xc3\xb6hne GmbH (your contact: Ann Example).");
	assert_why(f, "vips", RTYPE_LEADS,
		   "You receive this because you asked Ann Example at M\xc3\xbcller & S\xc3\xb6hne GmbH about our products.");
	/* HTML-escaped in the HTML part, with the link as a 44 px tap target */
	assert_contains(f->m.html, "about our products.<br>\n<a style=\"display:inline-block;min-height:44px;line-height:44px;");

	/* in the organisation's language */
	config_release(&f->cfg);
	campaigns_release(&f->campaigns);
	segments_release(&f->segments);
	buf_adds(&yaml, de);
	buf_adds(&yaml, strchr(config_yaml, '\n') + 1);
	assert_int_equal(fixture_write(f->root, "mailout.yaml", yaml.ptr), 0);
	load(f);
	assert_why(f, "firms", RTYPE_COMPANIES,
		   "Sie erhalten diese Nachricht, weil Ihr Unternehmen Kunde von Acme & Co ist (Ihr Kontakt: Ann Example).");
	assert_contains(f->m.text, "\nAbmelden: " PAGE TOKEN "\n");
	assert_contains(f->m.html, "<html lang=\"de-AT\">");
	assert_contains(f->m.html, "\">Abmelden</a>");

	/* overridden in templates/footer.yaml, per type */
	assert_int_equal(fixture_write(f->root, FOOTER_FILE,
				       "leads: \"Why this? You met {{owner.name}} of {{organization.name}} at our stand.\"\n"), 0);
	assert_why(f, "vips", RTYPE_LEADS, "Why this? You met Ann Example of Acme & Co at our stand.");
	assert_why(f, "news", RTYPE_CONTACTS,
		   "Sie erhalten diese Nachricht, weil Sie ein Kontakt von Ann Example bei Acme & Co sind.");
	buf_release(&yaml);
}

static void expect_footer_error(struct fx *f, const char *yaml, const char *expected)
{
	struct template *why[RTYPE_COUNT];
	struct buf got = BUF_INIT;
	size_t i;

	assert_int_equal(fixture_write(f->root, FOOTER_FILE, yaml), 0);
	diag_release(&f->diags);
	assert_int_equal(footer_load(why, f->root, "en", &f->diags), -1);
	for (i = 0; i < RTYPE_COUNT; i++)
		assert_null(why[i]);
	for (i = 0; i < f->diags.count; i++)
		buf_addf(&got, "%s:%d:%d: %s\n", f->diags.items[i].path, f->diags.items[i].line,
			 f->diags.items[i].col, f->diags.items[i].message);
	assert_string_equal(got.ptr, expected);
	buf_release(&got);
}

static void test_footer_errors(void **state)
{
	struct fx *f = *state;

	expect_footer_error(f, "contacts: \"Hi {{first_name}}\"\n",
			    "templates/footer.yaml:1:15: unknown name 'first_name' in the footer's reason: it may use owner.*, organization.* and campaign.*\n");
	expect_footer_error(f, "contacts: ok\nfirms: x\n",
			    "templates/footer.yaml:2:1: unknown key 'firms' in footer\n");
	expect_footer_error(f, "leads: [a]\n",
			    "templates/footer.yaml:1:8: a footer's reason must be a value, not a list\n");
}

/* ---- the frame ---- */

static void test_layout(void **state)
{
	struct fx *f = *state;

	assert_int_equal(fixture_write(f->root, LAYOUT_FILE,
				       "<html><head><title>{{subject}}</title></head><body>\n"
				       "{{#preheader}}<span class=\"pre\">{{preheader}}</span>{{/preheader}}\n"
				       "<div>{{{content}}}</div>\n"
				       "<p>{{organization.name}} / {{campaign.name}} / {{#owner}}{{name}}{{/owner}}</p>\n"
				       "</body></html>\n"),
			 0);
	load(f);
	open_render(f, "news");
	set_recipient(f, RTYPE_CONTACTS, "c-1", "jana@example.net", 0,
		      "{ first_name: \"<i>Jana</i>\", company: \"<b>Evil & Co</b>\" }");
	render_one(f, TOKEN);
	assert_string_equal(f->m.html,
			    "<html><head><title>News for &lt;i&gt;Jana&lt;/i&gt;</title></head><body>\n"
			    "<span class=\"pre\">Hello &lt;b&gt;Evil &amp; Co&lt;/b&gt;</span>\n"
			    "<div><p>Hello &lt;i&gt;Jana&lt;/i&gt;,</p>\n"
			    "<p>we thank &lt;b&gt;Evil &amp; Co&lt;/b&gt;.<br>\nSecond line.</p>\n"
			    "<p>Not VIP.</p>\n"
			    "<p>.A line starting with a dot</p>\n"
			    "<div class=\"mailout-signature\" style=\"margin:24px 0 0;\">\n"
			    "<p><strong>Ann Example</strong><br>\nSales</p>\n</div>\n"
			    "<p class=\"mailout-footer\" style=\"margin:32px 0 0;padding:16px 0 0;border-top:1px solid #e5e7eb;font-size:12px;line-height:1.5;color:#6b7280;\">"
			    "You receive this because you are a contact of Ann Example at M\xc3\xbcller &amp; S\xc3\xb6hne GmbH.<br>\n"
			    "<a style=\"display:inline-block;min-height:44px;line-height:44px;font-size:14px;color:#4b5563;text-decoration:underline;\" href=\"" PAGE TOKEN "\">Unsubscribe</a><br>\n"
			    "M\xc3\xbcller &amp; S\xc3\xb6hne GmbH, Beispielstrasse 1, 10115 Berlin</p>\n"
			    "</div>\n"
			    "<p>M\xc3\xbcller &amp; S\xc3\xb6hne GmbH / News / Ann Example</p>\n"
			    "</body></html>\n");
}

static void expect_layout_error(struct fx *f, const char *layout, const char *expected)
{
	struct template *t = NULL;
	struct buf got = BUF_INIT;
	size_t i;

	diag_release(&f->diags);
	assert_int_equal(fixture_write(f->root, LAYOUT_FILE, layout), 0);
	assert_int_equal(layout_load(&t, f->root, &f->diags), -1);
	assert_null(t);
	for (i = 0; i < f->diags.count; i++)
		buf_addf(&got, "%d:%d: %s\n", f->diags.items[i].line, f->diags.items[i].col,
			 f->diags.items[i].message);
	assert_string_equal(got.ptr, expected);
	buf_release(&got);
}

static void test_layout_errors(void **state)
{
	struct fx *f = *state;
	struct template *t = (struct template *)1;

	assert_int_equal(layout_load(&t, f->root, &f->diags), 0);
	assert_null(t);
	expect_layout_error(f, "<p>{{subject}}</p>\n",
			    "0:0: the layout has no {{{content}}}: the messages would have no body, signature or unsubscribe link\n");
	expect_layout_error(f, "<title>{{{subject}}}</title>\n{{content}}\n{{{content}}}{{& content}}\n",
			    "1:8: 'subject' carries recipient data, which is always escaped in HTML: write {{subject}}\n"
			    "2:1: write {{{content}}}: the message is HTML and {{content}} would show it as text\n"
			    "3:14: {{{content}}} appears more than once: the message would be repeated\n");
	expect_layout_error(f, "{{{content}}} {{first_name}} {{owner.phone}} {{organization}}\n",
			    "1:15: unknown variable 'first_name' in the layout: it can use content, subject, preheader, unsubscribe_url, owner.id/name/email, organization.name/postal_address/site_url and campaign.id/name\n"
			    "1:30: unknown variable 'owner.phone' in the layout: it can use content, subject, preheader, unsubscribe_url, owner.id/name/email, organization.name/postal_address/site_url and campaign.id/name\n"
			    "1:46: unknown variable 'organization' in the layout: it can use content, subject, preheader, unsubscribe_url, owner.id/name/email, organization.name/postal_address/site_url and campaign.id/name\n");
	expect_layout_error(f, "{{{content}}} {{#x}}\n", "1:15: unclosed section 'x' (no '{{/x}}')\n");

	/* render_open reports it too */
	diag_release(&f->diags);
	load(f);
	assert_int_equal(render_open(&f->render, f->root, &f->cfg, campaign(f, "news"), &f->diags), -1);
	assert_null(f->render);
	assert_true(f->diags.errors > 0);
	assert_string_equal(error_last(),
			    "the templates of campaign 'news' have errors ('mailout validate' shows them)");
}

static void test_newsletter_tags_must_pair_in_html(void **state)
{
	struct fx *f = *state;
	struct newsletter *nl = NULL;

	/* a link reference definition swallows its tag: the section cannot close */
	assert_int_equal(fixture_write(f->root, "templates/broken.md",
				       "---\nsubject: Hi\n---\nText\n\n[site]: https://example.com/{{#vip}}\n\n{{/vip}}\n"),
			 0);
	assert_int_equal(newsletter_load(&nl, f->root, "broken", &f->diags), -1);
	assert_null(nl);
	assert_int_equal(f->diags.count, 1);
	assert_string_equal(f->diags.items[0].path, "templates/broken.md");
	assert_int_equal(f->diags.items[0].line, 4);
	assert_string_equal(f->diags.items[0].message,
			    "the mustache tags do not pair up in the HTML made from this Markdown ('{{/vip}}' closes no open section); put section tags on lines of their own");

	diag_release(&f->diags);
	assert_int_equal(newsletter_load(&nl, f->root, "news", &f->diags), 0);
	assert_int_equal(nl->subject_line, 2);
	assert_int_equal(nl->subject_col, 10);
	assert_non_null(nl->html);
	newsletter_free(nl);
}

/* Checks src with render_markdown_check() from line 10 of t.md: "ok", or
 * the diagnostic as "line:col: message". */
static void assert_markdown_check(const char *src, size_t len, const char *expected)
{
	struct diag_list diags = DIAG_LIST_INIT;
	struct buf got = BUF_INIT;
	int ret = render_markdown_check(src, len, "t.md", 10, &diags);

	if (!ret && !diags.count)
		buf_adds(&got, "ok");
	else if (ret < 0 && diags.count == 1 && diags.errors == 1 &&
		 !strcmp(diags.items[0].path, "t.md"))
		buf_addf(&got, "%d:%d: %s", diags.items[0].line, diags.items[0].col,
			 diags.items[0].message);
	else
		buf_addf(&got, "ret %d with %zu diagnostics", ret, diags.count);
	assert_string_equal(got.ptr, expected);
	buf_release(&got);
	diag_release(&diags);
}

/* prefix, unit n times, then suffix. */
static char *repeated(const char *prefix, const char *unit, int n, const char *suffix)
{
	struct buf b = BUF_INIT;
	int i;

	buf_adds(&b, prefix);
	for (i = 0; i < n; i++)
		buf_adds(&b, unit);
	buf_adds(&b, suffix);
	return buf_detach(&b, NULL);
}

static void check_repeated(const char *prefix, const char *unit, int n, const char *suffix,
			   const char *expected)
{
	char *src = repeated(prefix, unit, n, suffix);

	assert_markdown_check(src, strlen(src), expected);
	free(src);
}

#define TOO_DEEP "block quotes and lists nested deeper than 32 levels"

static void test_markdown_nesting_limit(void **state)
{
	struct buf html = BUF_INIT;
	char *src;
	const char *p;
	int n;

	(void)state;
	assert_int_equal(RENDER_MARKDOWN_MAX_DEPTH, 32);
	/* exactly at the limit: cmark nests 32 block quotes */
	src = repeated("Intro\n\n", ">", 32, " deep\n");
	assert_markdown_check(src, strlen(src), "ok");
	render_markdown_html(&html, src, strlen(src), 0);
	for (n = 0, p = html.ptr; (p = strstr(p, "<blockquote>")); p++)
		n++;
	assert_int_equal(n, 32);
	free(src);
	buf_release(&html);
	/* one more: the position of the marker too many */
	check_repeated("Intro\n\n", ">", 33, " deep\n", "12:33: " TOO_DEEP);
	check_repeated("", "> ", 32, "x", "ok");
	check_repeated("", "> ", 33, "x", "10:65: " TOO_DEEP);
	check_repeated("a\n", "> ", 1000000, "x", "11:65: " TOO_DEEP);
	/* list markers of every kind, blanks and tabs between them */
	check_repeated("", "- 1. + 2) * >\t", 5, "x", "ok");
	check_repeated("", "- 1. + 2) * >\t", 6, "x", "10:76: " TOO_DEEP);
	check_repeated("", "123456789. ", 33, "x", "10:353: " TOO_DEEP);
	check_repeated("", "-\t", 33, "x", "10:65: " TOO_DEEP);
	/* indented: still counted */
	check_repeated("      ", ">", 33, "", "10:39: " TOO_DEEP);
	/* a lone CR ends a line; the column counts from the last LF */
	check_repeated("a\nb\r", ">", 33, "", "11:35: " TOO_DEEP);
	/* not containers: thematic breaks, text, tags, long numbers */
	check_repeated("", "- ", 40, "\n", "ok");
	check_repeated("> > ", "* ", 40, "", "ok");
	check_repeated("", "_ ", 40, "\n", "ok");
	check_repeated("", "- ", 40, "x", "10:65: " TOO_DEEP);
	check_repeated("", "-", 40, "\n", "ok");
	check_repeated("", "-x ", 40, "\n", "ok");
	check_repeated("{{#a}}", ">", 40, "\n", "ok");
	check_repeated("x ", ">", 40, "\n", "ok");
	check_repeated("", "1234567890. ", 40, "\n", "ok");
	check_repeated("", "1.x ", 40, "\n", "ok");
	assert_markdown_check("", 0, "ok");
}

/* A newsletter or signature nested too deep fails where validate and
 * build load it. */
static void test_newsletter_markdown_too_deep(void **state)
{
	struct fx *f = *state;
	struct newsletter *nl = NULL;
	struct template *sig = NULL;
	char *body = repeated("---\nsubject: Hi\n---\nText\n\n", "> ", 100000, "x\n");
	char *source = NULL;

	assert_int_equal(fixture_write(f->root, "templates/deep.md", body), 0);
	assert_int_equal(newsletter_load(&nl, f->root, "deep", &f->diags), -1);
	assert_null(nl);
	assert_int_equal(f->diags.count, 1);
	assert_string_equal(f->diags.items[0].path, "templates/deep.md");
	assert_int_equal(f->diags.items[0].line, 6);
	assert_int_equal(f->diags.items[0].col, 65);
	assert_string_equal(f->diags.items[0].message, TOO_DEEP);
	diag_release(&f->diags);
	free(body);

	body = repeated("**Ann**\n", "- ", 33, "Sales\n");
	assert_int_equal(fixture_write(f->root, "templates/signatures/ann.md", body), 0);
	assert_int_equal(signature_load(&sig, &source, f->root, "ann", &f->diags), -1);
	assert_null(sig);
	assert_null(source);
	assert_int_equal(f->diags.count, 1);
	assert_string_equal(f->diags.items[0].path, "templates/signatures/ann.md");
	assert_int_equal(f->diags.items[0].line, 2);
	assert_int_equal(f->diags.items[0].col, 65);
	assert_string_equal(f->diags.items[0].message, TOO_DEEP);
	free(body);
}

/* text as a Windows editor saves it: a byte-order mark, CRLF line ends */
static char *windows_text(const char *text)
{
	struct buf b = BUF_INIT;

	buf_adds(&b, "\xef\xbb\xbf");
	for (; *text; text++) {
		if (*text == '\n')
			buf_addc(&b, '\r');
		buf_addc(&b, *text);
	}
	return buf_detach(&b, NULL);
}

/* The same message from a template, signature and layout saved with a
 * byte-order mark and CRLF line ends; diagnostics keep their places. */
static void test_windows_files(void **state)
{
	struct fx *f = *state;
	struct newsletter *nl = NULL;
	struct rendered plain;
	struct template *sig = NULL;
	const char *layout = "<html><body><p>{{preheader}}</p>\n{{{content}}}\n</body></html>\n";
	char *text;

	load(f);
	assert_int_equal(fixture_write(f->root, "templates/layout.html", layout), 0);
	open_render(f, "news");
	set_recipient(f, RTYPE_CONTACTS, "c-1", "jana@example.net", 1, "{ first_name: Jana, company: Acme }");
	render_one(f, TOKEN);
	plain = f->m;
	memset(&f->m, 0, sizeof(f->m));

	text = windows_text(news_md);
	assert_int_equal(fixture_write(f->root, "templates/news.md", text), 0);
	free(text);
	text = windows_text(ann_signature);
	assert_int_equal(fixture_write(f->root, "templates/signatures/ann.md", text), 0);
	free(text);
	text = windows_text(layout);
	assert_int_equal(fixture_write(f->root, "templates/layout.html", text), 0);
	free(text);
	open_render(f, "news");
	render_one(f, TOKEN);
	assert_string_equal(f->m.subject, plain.subject);
	assert_string_equal(f->m.preheader, plain.preheader);
	assert_string_equal(f->m.text, plain.text);
	assert_string_equal(f->m.html, plain.html);
	assert_null(strchr(f->m.text, '\r'));
	rendered_release(&plain);

	assert_int_equal(newsletter_load(&nl, f->root, "news", &f->diags), 0);
	assert_int_equal(nl->subject_line, 2);
	assert_int_equal(nl->subject_col, 10);
	assert_int_equal(nl->body_line, 5);
	newsletter_free(nl);
	/* an error in the subject and one in the body, where they are */
	text = windows_text("---\nsubject: \"Hi {{#vip}}\"\n---\nText {{/nope}}\n");
	assert_int_equal(fixture_write(f->root, "templates/broken.md", text), 0);
	free(text);
	assert_int_equal(newsletter_load(&nl, f->root, "broken", &f->diags), -1);
	assert_int_equal(f->diags.count, 2);
	diag_sort(&f->diags);
	assert_int_equal(f->diags.items[0].line, 2);
	assert_int_equal(f->diags.items[0].col, 14);
	assert_int_equal(f->diags.items[1].line, 4);
	assert_int_equal(f->diags.items[1].col, 6);
	/* a body on line 1 right after the mark: column 1 is its first character */
	diag_release(&f->diags);
	text = windows_text("{{/nope}}\n");
	assert_int_equal(fixture_write(f->root, "templates/signatures/ann.md", text), 0);
	free(text);
	assert_int_equal(signature_load(&sig, &text, f->root, "ann", &f->diags), -1);
	assert_null(sig);
	assert_int_equal(f->diags.count, 1);
	assert_int_equal(f->diags.items[0].line, 1);
	assert_int_equal(f->diags.items[0].col, 1);
}

static void test_render_open_errors(void **state)
{
	struct fx *f = *state;
	struct campaign c;

	load(f);
	memset(&c, 0, sizeof(c));
	c.id = "ghost";
	c.type = RTYPE_CONTACTS;
	c.owner = "ann";
	c.template = "missing";
	assert_int_equal(render_open(&f->render, f->root, &f->cfg, &c, &f->diags), -1);
	assert_int_equal(f->diags.count, 1);
	assert_string_equal(f->diags.items[0].message, "cannot read: No such file or directory");
	c.owner = "nobody";
	assert_int_equal(render_open(&f->render, f->root, &f->cfg, &c, &f->diags), -1);
	assert_string_equal(error_last(), "campaign 'ghost': unknown owner 'nobody'");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_markdown_keeps_tags),
		cmocka_unit_test(test_markdown_styles),
		cmocka_unit_test_setup_teardown(test_render_contact, setup, teardown),
		cmocka_unit_test_setup_teardown(test_render_refuses_bad_token, setup, teardown),
		cmocka_unit_test_setup_teardown(test_render_without_preheader, setup, teardown),
		cmocka_unit_test_setup_teardown(test_render_without_signature, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mime_message, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mime_one_click, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mime_http_site, setup, teardown),
		cmocka_unit_test_setup_teardown(test_display_names, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mime_proof, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sample, setup, teardown),
		cmocka_unit_test_setup_teardown(test_footer_reasons, setup, teardown),
		cmocka_unit_test_setup_teardown(test_footer_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_layout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_layout_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_newsletter_tags_must_pair_in_html, setup, teardown),
		cmocka_unit_test_setup_teardown(test_render_open_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_windows_files, setup, teardown),
		cmocka_unit_test(test_markdown_nesting_limit),
		cmocka_unit_test_setup_teardown(test_newsletter_markdown_too_deep, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
