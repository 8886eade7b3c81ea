/*
 * What the campaign lists need beyond their first page: the links between
 * the static pages of a list (index.html, index-2.html, ...) and the
 * compact data of the whole list, in script files next to them
 * (index-data-1.js, ...) that site/app.js loads when a person searches,
 * filters, sorts or pages.  Script files, not JSON, because browsers refuse
 * fetch() of a file:// URL and the site must work from disk.
 */
#include "site_private.h"

#include <stdio.h>
#include <string.h>

#include "recipients.h"

/* ---- the pager ---- */

static void put_page_link(struct buf *b, size_t page, size_t at, const char *rel, const char *label)
{
	buf_adds(b, "<li><a href=\"");
	if (page == 1)
		buf_adds(b, "index.html");
	else
		buf_addf(b, "index-%zu.html", page);
	buf_adds(b, "\"");
	if (rel)
		buf_addf(b, " rel=\"%s\"", rel);
	else if (page == at)
		buf_adds(b, " aria-current=\"page\"");
	buf_adds(b, ">");
	if (label)
		buf_adds(b, label);
	else
		buf_addf(b, "<span class=\"sr-only\">Page </span>%zu", page);
	buf_adds(b, "</a></li>");
}

void site_put_pager(struct buf *b, size_t at, size_t pages)
{
	size_t p, last = 0;

	buf_adds(b, "<nav class=\"pager\" id=\"pager\" aria-label=\"Pages of the list\"");
	if (pages <= 1) {
		buf_adds(b, " hidden></nav>\n");
		return;
	}
	buf_addf(b, "><p class=\"pager-at\">Page %zu of %zu</p><ul>", at, pages);
	if (at > 1)
		put_page_link(b, at - 1, at, "prev", "Previous");
	for (p = 1; p <= pages; p++) {
		if (p != 1 && p != pages && (p + 2 < at || p > at + 2))
			continue;
		if (last && p > last + 1)
			buf_adds(b, "<li class=\"gap\" aria-hidden=\"true\">…</li>");
		put_page_link(b, p, at, NULL, NULL);
		last = p;
	}
	if (at < pages)
		put_page_link(b, at + 1, at, "next", "Next");
	buf_adds(b, "</ul></nav>\n");
}

/* ---- the list's data ---- */

static void put_accounts(struct buf *b, const struct campaign_summary *cs)
{
	size_t j;

	buf_addc(b, '[');
	for (j = 0; j < cs->naccounts; j++) {
		const struct account_summary *a = &cs->accounts[j];

		buf_adds(b, j ? ",[" : "[");
		site_put_json(b, a->account->id);
		if (!a->usable) {
			buf_addc(b, ',');
			site_put_json(b, a->reason);
		}
		buf_addc(b, ']');
	}
	buf_addc(b, ']');
}

/* [iso time, local time, account, recipient, message] of a notification,
 * its times in the organisation's zone as the pages write them. */
static void put_note(struct buf *b, const struct site *s, const struct notification *nt)
{
	char iso[32] = "", local[48] = "";
	struct buf message = BUF_INIT;

	if (nt->time) {
		time_format_rfc3339(iso, nt->time);
		site_format_local(s, nt->time, local);
	}
	site_local_times(&message, s, nt->message ? nt->message : "");
	buf_addf(b, "[\"%s\",", iso);
	site_put_json(b, local);
	buf_addc(b, ',');
	site_put_json(b, nt->account);
	buf_addc(b, ',');
	site_put_json(b, nt->recipient);
	buf_addc(b, ',');
	site_put_json(b, message.ptr);
	buf_addc(b, ']');
	buf_release(&message);
}

static void put_notes(struct buf *b, const struct site *s, const struct campaign_summary *cs)
{
	size_t j;

	if (!cs->nnotifications) {
		buf_adds(b, "[]");
		return;
	}
	buf_addf(b, "[%ld", cs->total_notifications);
	for (j = 0; j < cs->nnotifications; j++) {
		buf_addc(b, ',');
		put_note(b, s, &cs->notifications[j]);
	}
	buf_addc(b, ']');
}

/* The critical notification that interrupted the campaign, with the
 * campaign that recorded it when another did ("" otherwise), or []. */
static void put_critical(struct buf *b, const struct site *s, const struct campaign_summary *cs)
{
	const char *by = cs->critical.campaign;

	if (!cs->critical.time) {
		buf_adds(b, "[]");
		return;
	}
	buf_addc(b, '[');
	put_note(b, s, &cs->critical);
	buf_addc(b, ',');
	site_put_json(b, by && strcmp(by, cs->campaign->id) ? by : "");
	buf_addc(b, ']');
}

/* [id, name, type, status, completion, owner, department, vip, sent today,
 * recipients, [[account] or [account, why not usable]], [total,
 * [iso time, local time, account, recipient, message]...] or [],
 * [[the critical notification], recorded by] or []] */
static void put_row(struct buf *b, const struct site *s, const struct campaign_summary *cs)
{
	const struct campaign *c = cs->campaign;

	buf_addc(b, '[');
	site_put_json(b, c->id);
	buf_addc(b, ',');
	site_put_json(b, c->name);
	buf_addf(b, ",%d,%d,%d,", c->type >= 0 && c->type < RTYPE_COUNT ? c->type : -1, (int)cs->status,
		 cs->completion);
	site_put_json(b, c->owner);
	buf_addc(b, ',');
	site_put_json(b, cs->department);
	buf_addf(b, ",%d,%ld,%ld,", c->vip_only ? 1 : 0, cs->sent_today, cs->recipients);
	put_accounts(b, cs);
	buf_addc(b, ',');
	put_notes(b, s, cs);
	buf_addc(b, ',');
	put_critical(b, s, cs);
	buf_addc(b, ']');
}

/* The words the rows refer to: people's names, type and status names. */
static void put_tables(struct buf *b, const struct site *s)
{
	size_t i;
	int st;

	buf_adds(b, "\"people\":{");
	for (i = 0; i < s->cfg->npeople; i++) {
		if (i)
			buf_addc(b, ',');
		site_put_json(b, s->cfg->people[i].id);
		buf_addc(b, ':');
		site_put_json(b, site_person_name(s, s->cfg->people[i].id));
	}
	buf_adds(b, "},\"types\":[");
	for (i = 0; i < RTYPE_COUNT; i++)
		buf_addf(b, "%s\"%s\"", i ? "," : "", recipient_type_name((enum recipient_type)i));
	buf_adds(b, "],\"statuses\":[");
	for (st = STATUS_ACTIVE; st <= STATUS_MERGED; st++)
		buf_addf(b, "%s[\"%s\",\"%s\"]", st ? "," : "", campaign_state_name((enum campaign_state)st),
			 campaign_state_label((enum campaign_state)st));
	buf_adds(b, "]");
}

int site_write_list_data(struct site *s, const char *dir, const size_t *rows, size_t nrows)
{
	size_t chunks = SITE_LIST_CHUNKS(nrows), k, i;
	struct buf b = BUF_INIT, rel = BUF_INIT;
	int ret = -1;

	for (k = 0; k < chunks; k++) {
		buf_reset(&b);
		buf_addf(&b, "/* mailout status site: campaigns %zu to %zu of %zu */\nmailoutList({\"chunk\":%zu,"
			 "\"chunks\":%zu,\"first\":%zu,", k * SITE_DATA_ROWS + 1,
			 k * SITE_DATA_ROWS + SITE_DATA_ROWS < nrows ? k * SITE_DATA_ROWS + SITE_DATA_ROWS : nrows,
			 nrows, k + 1, chunks, k * SITE_DATA_ROWS);
		put_tables(&b, s);
		buf_adds(&b, ",\"rows\":[\n");
		for (i = k * SITE_DATA_ROWS; i < nrows && i < (k + 1) * SITE_DATA_ROWS; i++) {
			if (i > k * SITE_DATA_ROWS)
				buf_adds(&b, ",\n");
			put_row(&b, s, &s->summaries[rows[i]]);
		}
		buf_adds(&b, "]});\n");
		buf_reset(&rel);
		buf_addf(&rel, "%sindex-data-%zu.js", dir, k + 1);
		if (site_write(s, rel.ptr, b.ptr, b.len) < 0)
			goto done;
	}
	ret = 0;
done:
	buf_release(&b);
	buf_release(&rel);
	return ret;
}
