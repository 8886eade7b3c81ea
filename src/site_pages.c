/*
 * The pages of the status site but the campaign pages: the campaign lists
 * (index.html for everybody, departments/<id>/index.html for a
 * department's people), accounts/index.html and the public
 * unsubscribe/index.html.
 */
#include "site_private.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "recipients.h"
#include "schedule.h"
#include "xalloc.h"

/* ---- campaign tables: the top page and the departments ---- */

static void put_stars(struct buf *b, const struct campaign_summary *cs)
{
	size_t j;

	if (!cs->naccounts) {
		buf_adds(b, "<span class=\"state-bad\">none</span>");
		return;
	}
	buf_adds(b, "<ul class=\"stars\">");
	for (j = 0; j < cs->naccounts; j++) {
		buf_adds(b, "<li>");
		site_put_star(b, &cs->accounts[j]);
		buf_adds(b, "</li>");
	}
	buf_adds(b, "</ul>");
}

static void put_notes_cell(struct buf *b, const struct site *s, const struct campaign_summary *cs)
{
	const struct notification *latest = cs->nnotifications ? &cs->notifications[0] : NULL;
	size_t j;

	/* the critical error first; it stands for the latest when it is that */
	if (cs->critical.time)
		site_put_critical(b, s, cs);
	if (!latest) {
		if (!cs->critical.time)
			buf_adds(b, "<span class=\"muted\">none</span>");
		return;
	}
	if (!cs->critical.time || latest->time != cs->critical.time ||
	    strcmp(latest->message, cs->critical.message))
		site_put_note(b, s, latest);
	if (cs->total_notifications <= 1)
		return;
	buf_adds(b, "<details><summary>");
	site_put_count(b, cs->total_notifications - 1);
	buf_adds(b, cs->total_notifications == 2 ? " earlier notification" : " earlier notifications");
	buf_adds(b, "</summary><div class=\"note-scroll\" tabindex=\"0\" role=\"group\" "
		    "aria-label=\"Earlier notifications of ");
	site_put(b, cs->campaign->id);
	buf_adds(b, "\">");
	for (j = 1; j < cs->nnotifications; j++)
		site_put_note(b, s, &cs->notifications[j]);
	if (cs->total_notifications > (long)cs->nnotifications)
		buf_addf(b, "<p class=\"note muted\">The campaign page lists the latest %zu.</p>",
			 cs->nnotifications);
	buf_adds(b, "</div></details>");
}

static int owner_cmp(const void *a, const void *b)
{
	const char *const *x = a, *const *y = b;

	return strcmp(x[1], y[1]);
}

static void put_option(struct buf *b, const char *value, const char *label)
{
	buf_adds(b, "<option value=\"");
	site_put(b, value);
	buf_adds(b, "\">");
	site_put(b, label);
	buf_adds(b, "</option>");
}

/* The sortable columns: key (as in the URL), label, numeric. */
static const struct sort_column {
	const char *key, *label;
	int numeric;
} sort_columns[] = {
	{ "name", "Name", 0 },
	{ "recipient_type", "Type", 0 },
	{ "status", "Status", 0 },
	{ "completion", "Completion", 0 },
	{ "owner", "Owner", 0 },
	{ "sent_today", "Sent today", 1 },
	{ "recipients", "Recipients", 1 },
};

/* Where the column headers do not show (the card layout on narrow
 * screens), the same sorting as a select. */
static void put_sort_select(struct buf *b)
{
	size_t i;

	buf_adds(b, "<div class=\"field field-sort\"><label for=\"sort-by\">Sort by</label>"
		    "<select id=\"sort-by\" name=\"sort-by\"><option value=\"\">List order</option>");
	for (i = 0; i < sizeof(sort_columns) / sizeof(sort_columns[0]); i++) {
		const struct sort_column *c = &sort_columns[i];
		buf_addf(b, "<option value=\"%s:asc\">%s, %s</option><option value=\"%s:desc\">%s, %s</option>",
			 c->key, c->label, c->numeric ? "lowest first" : "ascending", c->key, c->label,
			 c->numeric ? "highest first" : "descending");
	}
	buf_adds(b, "</select></div>\n");
}

static void put_controls(struct buf *b, struct site *s, const size_t *rows, size_t nrows,
			 const char *department)
{
	const char **owners = NULL; /* pairs: id, name */
	struct strmap seen = STRMAP_INIT;
	size_t i, nowners = 0, cap = 0;
	int st, added;

	buf_adds(b, "<form class=\"controls\" id=\"controls\" role=\"search\" aria-label=\"Find campaigns\" hidden>\n"
		    "<div class=\"field search\"><label for=\"search\">Search name or id</label>"
		    "<div class=\"search-row\"><input type=\"search\" id=\"search\" name=\"q\" autocomplete=\"off\" "
		    "spellcheck=\"false\"><button type=\"submit\" id=\"search-submit\" class=\"button small\">Search"
		    "</button></div></div>\n"
		    "<div class=\"field\"><label for=\"filter-department\">Department</label>"
		    "<select id=\"filter-department\" name=\"department\"><option value=\"\">All departments</option>");
	for (i = 0; i < s->cfg->ndepartments; i++) {
		const struct department *d = &s->cfg->departments[i];
		if (d->id && (!department || !strcmp(department, d->id)))
			put_option(b, d->id, d->name ? d->name : d->id);
	}
	buf_adds(b, "</select></div>\n<div class=\"field\"><label for=\"filter-owner\">Owner</label>"
		    "<select id=\"filter-owner\" name=\"owner\"><option value=\"\">All owners</option>");
	for (i = 0; i < nrows; i++) {
		const char *owner = s->summaries[rows[i]].campaign->owner;
		strmap_put(&seen, owner, &added);
		if (!added)
			continue;
		XGROW(owners, cap, 2 * nowners + 2);
		owners[2 * nowners] = owner;
		owners[2 * nowners + 1] = site_person_name(s, owner);
		nowners++;
	}
	if (nowners)
		qsort(owners, nowners, 2 * sizeof(*owners), owner_cmp);
	for (i = 0; i < nowners; i++)
		put_option(b, owners[2 * i], owners[2 * i + 1]);
	buf_adds(b, "</select></div>\n<div class=\"field\"><label for=\"filter-vip\">VIP</label>"
		    "<select id=\"filter-vip\" name=\"vip\"><option value=\"\">All campaigns</option>"
		    "<option value=\"yes\">VIP recipients only</option>"
		    "<option value=\"no\">Not limited to VIPs</option></select></div>\n"
		    "<div class=\"field\"><label for=\"filter-status\">Status</label>"
		    "<select id=\"filter-status\" name=\"status\"><option value=\"\">All statuses</option>");
	for (st = STATUS_ACTIVE; st <= STATUS_MERGED; st++)
		put_option(b, campaign_state_name((enum campaign_state)st),
			   campaign_state_label((enum campaign_state)st));
	buf_adds(b, "</select></div>\n");
	put_sort_select(b);
	buf_adds(b, "<div class=\"field field-button\"><button type=\"button\" id=\"reset\" "
		    "class=\"button secondary small\">Clear</button></div>\n</form>\n");
	free(owners);
	strmap_release(&seen, NULL);
}

static void put_sort_header(struct buf *b, const char *key, const char *label, int numeric)
{
	buf_addf(b, "<th scope=\"col\" data-sort=\"%s\"%s><button type=\"button\">%s</button></th>",
		 key, numeric ? " class=\"num\"" : "", label);
}

static void put_campaign_json(struct buf *b, struct site *s, const struct campaign_summary *cs)
{
	const struct campaign *c = cs->campaign;

	buf_adds(b, "{\"id\":");
	site_put_json(b, c->id);
	buf_adds(b, ",\"name\":");
	site_put_json(b, c->name);
	buf_adds(b, ",\"recipient_type\":");
	site_put_json(b, c->type >= 0 && c->type < RTYPE_COUNT ?
		 recipient_type_name((enum recipient_type)c->type) : "");
	buf_addf(b, ",\"status\":%d,\"status_name\":\"%s\",\"completion\":%d,\"owner\":",
		 (int)cs->status, campaign_state_name(cs->status), cs->completion);
	site_put_json(b, c->owner);
	buf_adds(b, ",\"owner_name\":");
	site_put_json(b, site_person_name(s, c->owner));
	buf_adds(b, ",\"department\":");
	site_put_json(b, cs->department);
	buf_addf(b, ",\"vip\":%s,\"sent_today\":%ld,\"recipients\":%ld}", c->vip_only ? "true" : "false",
		 cs->sent_today, cs->recipients);
}

static void put_campaign_row(struct buf *b, struct site *s, const char *root,
			     const struct campaign_summary *cs)
{
	const struct campaign *c = cs->campaign;

	buf_adds(b, "<tr data-id=\"");
	site_put(b, c->id);
	buf_adds(b, "\">\n<td class=\"name\" data-label=\"Name\"><a href=\"");
	buf_addf(b, "%scampaigns/", root);
	site_put(b, c->id);
	buf_adds(b, "/index.html\">");
	site_put(b, c->name);
	buf_adds(b, "</a><span class=\"sub\"><code class=\"id\">");
	site_put(b, c->id);
	buf_adds(b, "</code>");
	if (c->vip_only)
		buf_adds(b, "<span class=\"tag\">VIP only</span>");
	buf_addf(b, "<a class=\"preview-link\" href=\"%scampaigns/", root);
	site_put(b, c->id);
	buf_adds(b, "/index.html#preview\">Preview<span class=\"sr-only\"> of ");
	site_put(b, c->name);
	buf_adds(b, "</span></a></span></td>\n<td data-label=\"Type\">");
	site_put_type(b, c->type);
	buf_adds(b, "</td>\n<td data-label=\"Status\">");
	site_put_badge(b, cs->status);
	buf_adds(b, "</td>\n<td data-label=\"Completion\">");
	site_put_bar(b, cs->completion, 0);
	buf_adds(b, "</td>\n<td data-label=\"Owner\">");
	site_put(b, site_person_name(s, c->owner));
	buf_adds(b, "</td>\n<td class=\"num\" data-label=\"Sent today\">");
	site_put_count(b, cs->sent_today);
	buf_adds(b, "</td>\n<td class=\"num\" data-label=\"Recipients\">");
	site_put_count(b, cs->recipients);
	buf_adds(b, "</td>\n<td data-label=\"Accounts\">");
	put_stars(b, cs);
	buf_adds(b, "</td>\n<td class=\"notes\" data-label=\"Notifications\">");
	put_notes_cell(b, s, cs);
	buf_adds(b, "</td>\n</tr>\n");
}

static int needs_attention(const struct campaign_summary *cs)
{
	return cs->status == STATUS_ACTIVE_ERROR || cs->status == STATUS_INTERRUPTED ||
	       cs->count[STATE_UNCONFIRMED] > 0;
}

/* The heading, the totals and the controls: the same on every page of a
 * list. */
static void put_list_head(struct buf *b, struct site *s, const size_t *rows, size_t nrows,
			  const char *department)
{
	long recipients = 0, today = 0, attention = 0;
	size_t i;

	for (i = 0; i < nrows; i++) {
		recipients += s->summaries[rows[i]].recipients;
		today += s->summaries[rows[i]].sent_today;
		attention += needs_attention(&s->summaries[rows[i]]);
	}
	buf_adds(b, "<div class=\"page-head\"><div><h1>");
	if (department) {
		site_put(b, site_department_name(s, department));
		buf_adds(b, "</h1><p class=\"lead\">Campaigns of the department's people");
	} else {
		buf_adds(b, "Campaigns</h1><p class=\"lead\">Every department");
	}
	buf_addf(b, " · updated <time datetime=\"%s\">%s</time></p></div>\n<ul class=\"totals\">",
		 s->updated_iso, s->updated);
	buf_adds(b, "<li><strong>");
	site_put_count(b, (long)nrows);
	buf_adds(b, nrows == 1 ? "</strong> campaign</li><li><strong>" : "</strong> campaigns</li><li><strong>");
	site_put_count(b, recipients);
	buf_adds(b, "</strong> recipients</li><li><strong>");
	site_put_count(b, today);
	buf_adds(b, "</strong> sent today</li>");
	if (attention) {
		buf_adds(b, "<li><strong>");
		site_put_count(b, attention);
		buf_adds(b, "</strong> need attention</li>");
	}
	buf_adds(b, "</ul></div>\n");
	put_controls(b, s, rows, nrows, department);
}

/* "Showing all 12 campaigns", "Showing 51–100 of 10,000 campaigns", as
 * site/app.js says it for the unfiltered list. */
static void put_result_count(struct buf *b, size_t from, size_t to, size_t nrows)
{
	buf_adds(b, "<p id=\"result-count\" class=\"count\" aria-live=\"polite\">");
	if (nrows <= SITE_PAGE_ROWS) {
		buf_adds(b, "Showing all ");
		site_put_count(b, (long)nrows);
	} else {
		buf_adds(b, "Showing ");
		site_put_count(b, (long)from + 1);
		buf_adds(b, "–");
		site_put_count(b, (long)to);
		buf_adds(b, " of ");
		site_put_count(b, (long)nrows);
	}
	buf_adds(b, nrows == 1 ? " campaign</p>\n" : " campaigns</p>\n");
}

/* One static page of a list: rows [from, to) of rows. */
static void put_list_page(struct buf *b, struct site *s, const char *root, const size_t *rows,
			  size_t nrows, size_t page)
{
	size_t from = (page - 1) * SITE_PAGE_ROWS, i;
	size_t to = from + SITE_PAGE_ROWS < nrows ? from + SITE_PAGE_ROWS : nrows;

	put_result_count(b, from, to, nrows);
	buf_addf(b, "<div class=\"table-wrap\">\n<table id=\"campaigns\" class=\"cards\" tabindex=\"-1\" "
		 "data-page=\"%zu\" data-pages=\"%zu\" data-page-rows=\"%d\" data-rows=\"%zu\" "
		 "data-chunks=\"%zu\" data-root=\"%s\">\n<caption class=\"sr-only\">Campaigns; the column headers "
		 "sort</caption>\n<thead><tr>", page, SITE_LIST_PAGES(nrows), SITE_PAGE_ROWS, nrows,
		 SITE_LIST_CHUNKS(nrows), root);
	for (i = 0; i < sizeof(sort_columns) / sizeof(sort_columns[0]); i++)
		put_sort_header(b, sort_columns[i].key, sort_columns[i].label, sort_columns[i].numeric);
	buf_adds(b, "<th scope=\"col\">Accounts</th><th scope=\"col\">Notifications</th></tr></thead>\n<tbody>\n");
	for (i = from; i < to; i++)
		put_campaign_row(b, s, root, &s->summaries[rows[i]]);
	buf_addf(b, "</tbody>\n</table>\n<p id=\"no-match\" class=\"no-match\"%s>%s</p>\n</div>\n",
		 nrows ? " hidden" : "", nrows ? "No campaign matches the search and filters." :
		 "No campaigns yet.");
	site_put_pager(b, page, SITE_LIST_PAGES(nrows));
	/* this page's rows, for scripts of the site's readers */
	buf_adds(b, "<script type=\"application/json\" id=\"campaign-data\">[");
	for (i = from; i < to; i++) {
		if (i > from)
			buf_adds(b, ",\n");
		put_campaign_json(b, s, &s->summaries[rows[i]]);
	}
	buf_adds(b, "]</script>\n");
}

/* The campaigns of one department (NULL: all) with search, filters and
 * sorting, in pages of SITE_PAGE_ROWS. */
int site_write_campaign_list(struct site *s, const char *dir, int depth, const char *department)
{
	struct buf head = BUF_INIT, b = BUF_INIT, rel = BUF_INIT, title = BUF_INIT;
	const char *root = site_up(depth);
	const char *name = department ? site_department_name(s, department) : "Campaigns";
	size_t *rows = xcalloc(s->n + 1, sizeof(*rows));
	size_t nrows = 0, i, page, pages;
	int ret = -1;

	for (i = 0; i < s->n; i++) {
		const char *d = s->summaries[i].department;
		if (!department || (d && !strcmp(d, department)))
			rows[nrows++] = i;
	}
	put_list_head(&head, s, rows, nrows, department);
	pages = SITE_LIST_PAGES(nrows);
	for (page = 1; page <= pages; page++) {
		buf_reset(&b);
		buf_add(&b, head.ptr, head.len);
		put_list_page(&b, s, root, rows, nrows, page);
		buf_reset(&rel);
		buf_reset(&title);
		if (page == 1) {
			buf_addf(&rel, "%sindex.html", dir);
			buf_adds(&title, name);
		} else {
			buf_addf(&rel, "%sindex-%zu.html", dir, page);
			buf_addf(&title, "%s, page %zu of %zu", name, page, pages);
		}
		if (site_write_page(s, rel.ptr, depth, title.ptr, &b) < 0)
			goto done;
	}
	ret = site_write_list_data(s, dir, rows, nrows);
done:
	free(rows);
	buf_release(&head);
	buf_release(&b);
	buf_release(&rel);
	buf_release(&title);
	return ret;
}

/* ---- the accounts page ---- */

struct day_count {
	struct site *s;
	const char *account;
};

static int attempts_on(int yyyymmdd, void *payload)
{
	struct day_count *dc = payload;
	long n;

	if (plan_account_attempts(dc->s->p, dc->account, yyyymmdd, &n) < 0) {
		dc->s->query_failed = 1;
		return INT_MAX; /* nothing is due; the page fails with the error */
	}
	return (int)n;
}

static int sending(const struct campaign_summary *cs, time_t now)
{
	return (cs->status == STATUS_ACTIVE || cs->status == STATUS_ACTIVE_ERROR) &&
	       (!cs->campaign->end || cs->campaign->end > now);
}

/* When the account may send next, or why it will not. */
static void put_next_due(struct buf *b, struct site *s, const struct account_summary *as,
			 time_t last_attempt, time_t rest_until)
{
	const struct account *a = as->account;
	const char *id = site_intern(s, a->id);
	struct day_count dc = { s, a->id };
	time_t from = 0, due;
	long waiting = 0, held = 0;
	size_t i, j;

	if (!a->enabled) {
		buf_adds(b, "<span class=\"muted\">disabled</span>");
		return;
	}
	if (strstr(as->reason, "critical error")) {
		buf_adds(b, "stopped until <code>mailout resume</code>");
		return;
	}
	for (i = 0; i < s->n; i++) {
		const struct campaign_page *pg = &s->pages[i];
		time_t start;

		for (j = 0; j < pg->naccounts; j++) {
			long n = pg->accounts[j].count[STATE_PENDING] + pg->accounts[j].count[STATE_RETRYING];
			if (pg->accounts[j].account != id || !n)
				continue;
			if (!sending(pg->summary, s->now)) {
				held += pg->summary->status == STATUS_PAUSED ||
					pg->summary->status == STATUS_INTERRUPTED ? n : 0;
				continue;
			}
			waiting += n;
			start = pg->summary->campaign->start > s->now ? pg->summary->campaign->start : s->now;
			if (!from || start < from)
				from = start;
		}
	}
	if (!waiting) {
		if (held) {
			buf_adds(b, "<span class=\"muted\">nothing to send; ");
			site_put_count(b, held);
			buf_adds(b, " held by paused or interrupted campaigns</span>");
		} else {
			buf_adds(b, "<span class=\"muted\">nothing to send</span>");
		}
		return;
	}
	if (rest_until > from)
		from = rest_until;
	due = schedule_next_due(&a->schedule, (int)a->daily_limit, from, last_attempt, attempts_on, &dc);
	if (due == (time_t)-1)
		buf_adds(b, "<span class=\"muted\">no open sending window</span>");
	else
		site_put_time(b, s, due);
	buf_adds(b, " <span class=\"muted\">(");
	site_put_count(b, waiting);
	buf_adds(b, " waiting)</span>");
}

int site_write_accounts_page(struct site *s)
{
	struct buf b = BUF_INIT;
	struct plan_account_state state;
	size_t i;
	int ret = -1;

	buf_adds(&b, "<div class=\"page-head\"><div><h1>Accounts</h1><p class=\"lead\">Every sending "
		     "account, its daily limit and when it sends next</p></div></div>\n"
		     "<div class=\"table-wrap\" tabindex=\"0\" role=\"group\" aria-label=\"Sending accounts\">"
		     "<table id=\"accounts\" class=\"cards\"><caption class=\"sr-only\">"
		     "Sending accounts</caption><thead><tr><th scope=\"col\">Account</th><th scope=\"col\">Owner</th>"
		     "<th scope=\"col\">Department</th><th scope=\"col\" class=\"num\">Daily limit</th>"
		     "<th scope=\"col\" class=\"num\">Sent today</th><th scope=\"col\" class=\"num\">Attempts today</th>"
		     "<th scope=\"col\">State</th><th scope=\"col\">Next send</th></tr></thead><tbody>\n");
	for (i = 0; i < s->cfg->naccounts; i++) {
		const struct account_summary *as = &s->accounts[i];
		const struct account *a = as->account;
		const struct person *owner = a->owner ? config_person(s->cfg, a->owner) : NULL;

		if (plan_account_state(s->p, a->id, &state) < 0)
			goto done;
		buf_adds(&b, "<tr data-id=\"");
		site_put(&b, a->id);
		buf_adds(&b, "\"><td data-label=\"Account\"><strong>");
		site_put(&b, a->id);
		buf_addf(&b, "</strong>%s</td><td data-label=\"Owner\">",
			 a->main ? " <span class=\"muted\">(main: VIPs only)</span>" : "");
		site_put(&b, site_person_name(s, a->owner));
		buf_adds(&b, "</td><td data-label=\"Department\">");
		site_put(&b, owner && owner->department ? site_department_name(s, owner->department) : "");
		buf_adds(&b, "</td><td class=\"num\" data-label=\"Daily limit\">");
		site_put_count(&b, a->daily_limit);
		buf_adds(&b, "</td><td class=\"num\" data-label=\"Sent today\">");
		site_put_count(&b, as->sent_today);
		buf_adds(&b, "</td><td class=\"num\" data-label=\"Attempts today\">");
		site_put_count(&b, as->attempts_today);
		buf_adds(&b, "</td><td data-label=\"State\">");
		site_put_star_mark(&b, as);
		if (as->usable)
			buf_adds(&b, " <span class=\"state-ok\">usable</span>");
		else {
			buf_adds(&b, " <span class=\"state-bad\">not usable:</span> ");
			site_put(&b, as->reason);
		}
		buf_adds(&b, "</td><td data-label=\"Next send\">");
		put_next_due(&b, s, as, state.last_attempt, state.rest_until);
		buf_adds(&b, "</td></tr>\n");
	}
	buf_adds(&b, "</tbody></table></div>\n<p class=\"muted\">Attempts count every message handed to the "
		     "server on the account's calendar day, in its time zone; the daily limit caps them.</p>\n");
	if (s->query_failed)
		goto done;
	ret = site_write_page(s, "accounts/index.html", 1, "Accounts", &b);
done:
	buf_release(&b);
	return ret;
}

/* ---- the unsubscribe page ---- */

/* "https://unsub.example.com/u?x" -> "https://unsub.example.com"; 0 when
 * url is not a plain http(s) URL that can stand in a policy. */
static int url_origin(char *out, size_t size, const char *url)
{
	const char *host, *end;
	size_t i;

	if (!strncmp(url, "https://", 8))
		host = url + 8;
	else if (!strncmp(url, "http://", 7))
		host = url + 7;
	else
		return 0;
	end = host + strcspn(host, "/?#");
	if (end == host || (size_t)(end - url) >= size)
		return 0;
	for (i = 0; url + i < end; i++) {
		unsigned char c = (unsigned char)url[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      strchr(".-:/[]", c)))
			return 0;
	}
	for (i = (size_t)(end - url); url[i]; i++) {
		if ((unsigned char)url[i] <= ' ' || strchr("\"'<>\\`;,", url[i]))
			return 0;
	}
	memcpy(out, url, (size_t)(end - url));
	out[end - url] = '\0';
	return 1;
}

int site_write_unsubscribe_page(struct site *s)
{
	const struct config *cfg = s->cfg;
	struct tvalue *ctx = tvalue_map();
	struct buf out = BUF_INIT, csp = BUF_INIT, href = BUF_INIT;
	char origin[512];
	int one_click = cfg->one_click_url && url_origin(origin, sizeof(origin), cfg->one_click_url);
	int ret;

	buf_addf(&csp, "default-src 'none'; script-src 'self'; style-src 'self'; img-src data:; base-uri 'none'; "
		 "form-action %s", one_click ? origin : "'none'");
	tvalue_map_set(ctx, "lang", tvalue_string(cfg->language ? cfg->language : "en"));
	tvalue_map_set(ctx, "csp", tvalue_string(csp.ptr));
	buf_addf(&href, "../%s", s->theme.css_href);
	tvalue_map_set(ctx, "css", tvalue_string(href.ptr));
	buf_reset(&href);
	buf_addf(&href, "../%s", s->theme.js_href);
	tvalue_map_set(ctx, "js", tvalue_string(href.ptr));
	tvalue_map_set(ctx, "organization", site_masked_value(cfg->org_name));
	tvalue_map_set(ctx, "postal_address", site_masked_value(cfg->postal_address));
	tvalue_map_set(ctx, "address", tvalue_string(cfg->unsubscribe_address ? cfg->unsubscribe_address : ""));
	tvalue_map_set(ctx, "one_click_url", tvalue_string(one_click ? cfg->one_click_url : ""));
	tvalue_map_set(ctx, "one_click_host", tvalue_string(one_click ? strstr(origin, "//") + 2 : ""));
	template_render(&out, s->theme.unsubscribe, ctx, TEMPLATE_HTML);
	ret = site_write(s, "unsubscribe/index.html", out.ptr, out.len);
	tvalue_free(ctx);
	buf_release(&out);
	buf_release(&csp);
	buf_release(&href);
	return ret;
}

