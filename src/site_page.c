/*
 * The frame of every status page (site/page.html) and the output helpers
 * the pages share: every string from content goes out through site_put()
 * and its kin, escaped for where it goes and with addresses masked.
 */
#include "site_private.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mailparse.h"
#include "recipients.h"
#include "schedule.h"
#include "text.h"

/* Pages may load their own folder's assets and the preview frame; nothing
 * else, from nowhere else. */
static const char page_csp[] =
	"default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
	"frame-src 'self'; base-uri 'none'; form-action 'none'";

/* ---- masking addresses ---- */

static int local_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c >= 0x80 || strchr("!#$%&'*+-/=?^_`{|}~.", c) != NULL;
}

static int domain_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c >= 0x80 || c == '.' || c == '-';
}

static void mask_span(struct buf *out, const char *local, size_t local_len, const char *domain,
		      size_t domain_len)
{
	if (local_len)
		buf_add(out, local, text_utf8_seq_len(local, local_len));
	buf_adds(out, "•••@");
	buf_add(out, domain, domain_len);
}

void site_mask_address(struct buf *out, const char *address)
{
	const char *at = strrchr(address, '@');

	if (!at) {
		buf_adds(out, "•••");
		return;
	}
	mask_span(out, address, (size_t)(at - address), at + 1, strlen(at + 1));
}

/* The length of an at-sign at s: '@', or percent-encoded (%40, in a URL)
 * or quoted-printable (=40, in a Q-encoded word or a QP body); 0 if none. */
static size_t at_sign(const char *s)
{
	if (*s == '@')
		return 1;
	if ((*s == '%' || *s == '=') && s[1] == '4' && s[2] == '0')
		return 3;
	return 0;
}

/* Where the address around the at-sign at text[i] (at bytes) starts and
 * ends; 0 when there is none. */
static int address_span(const char *text, size_t len, size_t copied, size_t i, size_t at,
			size_t *start_out, size_t *end_out)
{
	size_t start = i, end = i + at;

	if (start > copied + 1 && text[start - 1] == '"') {
		/* a quoted local part: "john doe"@example.net */
		for (start -= 2; start > copied && text[start] != '"'; start--)
			;
		if (text[start] != '"')
			start = i;
	} else {
		/* a backslash quotes the next character (jana\.novak@...); the
		 * local part before an encoded at-sign ends at a URL's or an
		 * encoded-word's delimiter */
		while (start > copied && (local_char((unsigned char)text[start - 1]) || text[start - 1] == '\\') &&
		       !(at > 1 && strchr("/?=&", text[start - 1])))
			start--;
	}
	while (end < len && domain_char((unsigned char)text[end]))
		end++;
	while (end > i + at && (text[end - 1] == '.' || text[end - 1] == '-'))
		end--;
	if (start == i || end == i + at)
		return 0;
	/* an encoded at-sign only before a domain with a dot: not "size=40" */
	if (at > 1 && (!memchr(text + i + at, '.', end - i - at) ||
		       !domain_char((unsigned char)text[i + at]) || text[i + at] == '.' || text[i + at] == '-'))
		return 0;
	*start_out = start;
	*end_out = end;
	return 1;
}

static void mask_plain(struct buf *out, const char *text)
{
	size_t len = strlen(text), i, at, start, end, copied = 0;

	for (i = 0; i < len; i++) {
		if (!(at = at_sign(text + i)) || !address_span(text, len, copied, i, at, &start, &end))
			continue;
		buf_add(out, text + copied, start - copied);
		mask_span(out, text + start, i - start, text + i + at, end - i - at);
		copied = end;
		i = end - 1;
	}
	buf_add(out, text + copied, len - copied);
}

void site_mask_text(struct buf *out, const char *text)
{
	char *decoded;

	/* an address may hide in an encoded-word: =?utf-8?b?...?= */
	if (!strstr(text, "=?") || !strstr(text, "?=")) {
		mask_plain(out, text);
		return;
	}
	/* decoded, so that no address stays hidden in one (a charset mailout
	 * does not convert leaves its bytes as they are) */
	decoded = mail_decode_words(text);
	mask_plain(out, decoded);
	free(decoded);
}

/* ---- output helpers: every string from content goes through these ---- */

/* HTML text or attribute value, addresses masked. */
void site_put(struct buf *b, const char *s)
{
	struct buf m = BUF_INIT;

	if (!s)
		return;
	if (!strchr(s, '@') && !strstr(s, "40") && !strstr(s, "=?")) {
		buf_add_html(b, s, strlen(s));
		return;
	}
	site_mask_text(&m, s);
	buf_add_html(b, m.ptr, m.len);
	buf_release(&m);
}

/* A JSON string for a script element, addresses masked. */
void site_put_json(struct buf *b, const char *s)
{
	struct buf m = BUF_INIT;

	if (!s) {
		buf_adds(b, "\"\"");
		return;
	}
	site_mask_text(&m, s);
	buf_add_json_string(b, m.ptr);
	buf_release(&m);
}

/* A template value, addresses masked (the template escapes it). */
struct tvalue *site_masked_value(const char *s)
{
	struct buf m = BUF_INIT;
	struct tvalue *v;

	site_mask_text(&m, s ? s : "");
	v = tvalue_string(m.ptr);
	buf_release(&m);
	return v;
}

void site_put_count(struct buf *b, long n)
{
	char digits[32];
	size_t len, i;

	if (n < 0) {
		buf_addc(b, '-');
		n = -n;
	}
	len = (size_t)snprintf(digits, sizeof(digits), "%ld", n);
	for (i = 0; i < len; i++) {
		if (i && (len - i) % 3 == 0)
			buf_addc(b, ',');
		buf_addc(b, digits[i]);
	}
}

void site_format_local(const struct site *s, time_t t, char out[48])
{
	struct tm tm;

	tz_to_local(s->cfg->zone, t, &tm);
	snprintf(out, 48, "%04d-%02d-%02d %02d:%02d %s", tm.tm_year + 1900, tm.tm_mon + 1,
		 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_zone ? tm.tm_zone : "UTC");
}

void site_put_time(struct buf *b, const struct site *s, time_t t)
{
	char iso[32], local[48];

	if (!t) {
		buf_adds(b, "—");
		return;
	}
	time_format_rfc3339(iso, t);
	site_format_local(s, t, local);
	buf_addf(b, "<time datetime=\"%s\">%s</time>", iso, local);
}

const char *site_person_name(const struct site *s, const char *id)
{
	const struct person *person = id ? config_person(s->cfg, id) : NULL;

	return person && person->name ? person->name : id ? id : "";
}

const char *site_department_name(const struct site *s, const char *id)
{
	const struct department *d = id ? config_department(s->cfg, id) : NULL;

	return d && d->name ? d->name : id ? id : "";
}

void site_put_type(struct buf *b, int type)
{
	const char *name = type >= 0 && type < RTYPE_COUNT ?
		recipient_type_name((enum recipient_type)type) : "unknown";

	buf_addc(b, (char)(name[0] >= 'a' && name[0] <= 'z' ? name[0] - 'a' + 'A' : name[0]));
	buf_adds(b, name + 1);
}

/* ---- the page frame ---- */

const char *site_up(int depth)
{
	static const char *const up[] = { "", "../", "../../" };

	return up[depth];
}

static void nav_item(struct tvalue *nav, const char *href, const char *label, int current)
{
	struct tvalue *item = tvalue_map();

	tvalue_map_set(item, "href", tvalue_string(href));
	tvalue_map_set(item, "label", site_masked_value(label));
	tvalue_map_set(item, "current", tvalue_bool(current));
	tvalue_list_push(nav, item);
}

/* Whether name is that of a page of a campaign list: index.html,
 * index-2.html, ... */
static int list_page(const char *name)
{
	const char *rel = name;

	if (!strcmp(rel, "index.html"))
		return 1;
	if (strncmp(rel, "index-", 6) || rel[6] < '1' || rel[6] > '9')
		return 0;
	rel += 6 + strspn(rel + 6, "0123456789");
	return !strcmp(rel, ".html");
}

/* The page's own part of its <title>: cut with an ellipsis so that it, " · "
 * and the organisation's name stay within SITE_TITLE_MAX characters (at
 * least 24 of its own), the length a tab, a bookmark or a search result
 * shows. */
static struct tvalue *page_title(const struct site *s, const char *title)
{
	struct buf m = BUF_INIT;
	const char *p, *org = s->cfg->org_name ? s->cfg->org_name : "";
	size_t room = SITE_TITLE_MAX - 3, used, n;
	struct tvalue *v;

	used = text_utf8_length(org, strlen(org));
	room = used + 24 < room ? room - used : 24;
	site_mask_text(&m, title ? title : "");
	if (text_utf8_length(m.ptr, m.len) > room) {
		for (p = m.ptr, n = 0; n + 1 < room; n++)
			p += text_utf8_seq_len(p, m.len - (size_t)(p - m.ptr));
		buf_truncate(&m, (size_t)(p - m.ptr));
		buf_adds(&m, "…");
	}
	v = tvalue_string(m.ptr);
	buf_release(&m);
	return v;
}

int site_write_page(struct site *s, const char *rel, int depth, const char *title,
		    const struct buf *content)
{
	struct tvalue *ctx = tvalue_map(), *nav = tvalue_list();
	struct buf out = BUF_INIT, href = BUF_INIT;
	const char *root = site_up(depth);
	char commit[8];
	size_t i;
	int ret;

	tvalue_map_set(ctx, "title", page_title(s, title));
	tvalue_map_set(ctx, "lang", tvalue_string(s->cfg->language ? s->cfg->language : "en"));
	tvalue_map_set(ctx, "csp", tvalue_string(page_csp));
	tvalue_map_set(ctx, "root", tvalue_string(root));
	buf_addf(&href, "%s%s", root, s->theme.css_href);
	tvalue_map_set(ctx, "css", tvalue_string(href.ptr));
	buf_reset(&href);
	buf_addf(&href, "%s%s", root, s->theme.js_href);
	tvalue_map_set(ctx, "js", tvalue_string(href.ptr));
	tvalue_map_set(ctx, "organization", site_masked_value(s->cfg->org_name));
	buf_reset(&href);
	buf_addf(&href, "%sindex.html", root);
	nav_item(nav, href.ptr, "All campaigns", list_page(rel));
	for (i = 0; i < s->cfg->ndepartments; i++) {
		const struct department *d = &s->cfg->departments[i];
		if (!d->id || id_check(d->id) < 0)
			continue;
		buf_reset(&href);
		buf_addf(&href, "%sdepartments/%s/index.html", root, d->id);
		nav_item(nav, href.ptr, d->name ? d->name : d->id,
			 !strncmp(rel, "departments/", 12) && !strncmp(rel + 12, d->id, strlen(d->id)) &&
			 rel[12 + strlen(d->id)] == '/' && list_page(rel + 13 + strlen(d->id)));
	}
	buf_reset(&href);
	buf_addf(&href, "%saccounts/index.html", root);
	nav_item(nav, href.ptr, "Accounts", !strcmp(rel, "accounts/index.html"));
	tvalue_map_set(ctx, "nav", nav);
	tvalue_map_set(ctx, "content", tvalue_stringn(content->ptr, content->len));
	tvalue_map_set(ctx, "updated", tvalue_string(s->updated));
	tvalue_map_set(ctx, "updated_iso", tvalue_string(s->updated_iso));
	if (plan_commit(s->p)[0]) {
		memcpy(commit, plan_commit(s->p), 7);
		commit[7] = '\0';
		tvalue_map_set(ctx, "commit", tvalue_string(commit));
		tvalue_map_set(ctx, "commit_full", tvalue_string(plan_commit(s->p)));
	} else {
		tvalue_map_set(ctx, "commit", tvalue_bool(0));
	}
	tvalue_map_set(ctx, "dirty", tvalue_bool(plan_dirty(s->p)));
	template_render(&out, s->theme.page, ctx, TEMPLATE_HTML);
	ret = site_write(s, rel, out.ptr, out.len);
	tvalue_free(ctx);
	buf_release(&out);
	buf_release(&href);
	return ret;
}

/* ---- pieces shared by the pages ---- */

void site_put_badge(struct buf *b, enum campaign_state st)
{
	buf_addf(b, "<span class=\"badge badge-%s\">%s</span>", campaign_state_name(st),
		 campaign_state_label(st));
}

void site_put_bar(struct buf *b, int percent, int large)
{
	buf_addf(b, "<div class=\"completion%s\"><svg class=\"bar%s\" viewBox=\"0 0 100 8\" "
		 "preserveAspectRatio=\"none\" aria-hidden=\"true\" focusable=\"false\">"
		 "<rect class=\"bar-track\" width=\"100\" height=\"8\" rx=\"2\"/>"
		 "<rect class=\"bar-fill\" width=\"%d\" height=\"8\" rx=\"2\"/></svg>"
		 "<span>%d%%</span></div>",
		 large ? " large" : "", percent >= 100 ? " done" : "", percent, percent);
}

void site_put_star(struct buf *b, const struct account_summary *a)
{
	buf_addf(b, "<span class=\"star %s\" title=\"", a->usable ? "ok" : "bad");
	site_put(b, a->account->id);
	buf_adds(b, ": ");
	site_put(b, a->usable ? "usable" : a->reason);
	buf_adds(b, "\" aria-hidden=\"true\">★</span><span class=\"sr-only\">");
	site_put(b, a->account->id);
	buf_adds(b, a->usable ? ": usable" : ": not usable, ");
	if (!a->usable)
		site_put(b, a->reason);
	buf_adds(b, "</span>");
}

/* Whether s starts with a UTC time as mailout writes it, 2026-12-03T14:00:02Z. */
static int utc_time_at(const char *s)
{
	static const char shape[] = "dddd-dd-ddTdd:dd:ddZ";
	size_t i;

	for (i = 0; shape[i]; i++) {
		if (shape[i] == 'd' ? s[i] < '0' || s[i] > '9' : s[i] != shape[i])
			return 0;
	}
	return 1;
}

void site_local_times(struct buf *out, const struct site *s, const char *text)
{
	const char *p = text, *from = text;
	char time[21], local[48];
	time_t t;

	for (; *p; p++) {
		if (*p < '0' || *p > '9' || !utc_time_at(p))
			continue;
		memcpy(time, p, 20);
		time[20] = '\0';
		if (time_parse_rfc3339(time, &t) < 0)
			continue;
		site_format_local(s, t, local);
		buf_add(out, from, (size_t)(p - from));
		buf_adds(out, local);
		from = p + 20;
		p += 19;
	}
	buf_adds(out, from);
}

void site_put_reason(struct buf *b, const struct site *s, const char *reason)
{
	struct buf local = BUF_INIT;

	site_local_times(&local, s, reason ? reason : "");
	site_put(b, local.ptr);
	buf_release(&local);
}

void site_put_star_mark(struct buf *b, const struct account_summary *a)
{
	buf_addf(b, "<span class=\"star %s\" title=\"", a->usable ? "ok" : "bad");
	site_put(b, a->account->id);
	buf_adds(b, ": ");
	site_put(b, a->usable ? "usable" : a->reason);
	buf_adds(b, "\" aria-hidden=\"true\">★</span>");
}

static void localize_reason(struct buf *scratch, const struct site *s, struct account_summary *a)
{
	buf_reset(scratch);
	site_local_times(scratch, s, a->reason);
	snprintf(a->reason, sizeof(a->reason), "%s", scratch->ptr);
}

void site_localize_reasons(struct site *s)
{
	struct buf scratch = BUF_INIT;
	size_t i, j;

	for (i = 0; i < s->cfg->naccounts; i++)
		localize_reason(&scratch, s, &s->accounts[i]);
	for (i = 0; i < s->n; i++)
		for (j = 0; s->summaries[i].accounts_owner && j < s->summaries[i].naccounts; j++)
			localize_reason(&scratch, s, &s->summaries[i].accounts[j]);
	buf_release(&scratch);
}

/* A notification: when, the account and recipient, then the message;
 * critical ones start with "Interrupted by" and name the campaign that
 * recorded them when it is not this one (other: NULL). */
static void put_note(struct buf *b, const struct site *s, const struct notification *nt,
		     int critical, const char *other)
{
	buf_adds(b, critical ? "<p class=\"note critical\"><strong>Interrupted by</strong> " :
		    "<p class=\"note\">");
	site_put_time(b, s, nt->time);
	buf_adds(b, " <span class=\"who\">");
	site_put(b, nt->account);
	if (nt->recipient && nt->recipient[0]) {
		buf_adds(b, " · ");
		site_put(b, nt->recipient);
	}
	buf_adds(b, "</span>");
	if (other) {
		buf_adds(b, " <span class=\"muted\">(recorded by campaign <code>");
		site_put(b, other);
		buf_adds(b, "</code>)</span>");
	}
	buf_adds(b, "<br>");
	site_put_reason(b, s, nt->message);
	buf_adds(b, "</p>");
}

void site_put_critical(struct buf *b, const struct site *s, const struct campaign_summary *cs)
{
	const char *by = cs->critical.campaign;

	put_note(b, s, &cs->critical, 1, by && strcmp(by, cs->campaign->id) ? by : NULL);
}

void site_put_note(struct buf *b, const struct site *s, const struct notification *nt)
{
	put_note(b, s, nt, 0, NULL);
}
