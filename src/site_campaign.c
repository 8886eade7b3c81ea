/*
 * The campaign page, campaigns/<id>/index.html: progress, configuration,
 * what to do next, the chart, the accounts, the failed, retrying and
 * unconfirmed recipients, the notifications, and the newsletter preview
 * written beside it (campaigns/<id>/preview.html).
 */
#include "site_private.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "recipients.h"
#include "render.h"
#include "status.h"

/* The newsletter preview: its own inline styles, no script, no remote images. */
static const char preview_csp[] =
	"default-src 'none'; style-src 'unsafe-inline'; img-src data:; font-src data:; "
	"base-uri 'none'; form-action 'none'";

static void put_stat(struct buf *b, const char *label, long n, const char *tone)
{
	buf_addf(b, "<div%s%s%s><dt>%s</dt><dd>", tone ? " class=\"" : "", tone ? tone : "",
		 tone ? "\"" : "", label);
	site_put_count(b, n);
	buf_adds(b, "</dd></div>");
}

/* "mailout VERB CAMPAIGN EXTRA" to copy. */
static void put_verb_command(struct buf *b, const char *verb, const char *campaign,
			     const char *extra)
{
	buf_addf(b, "<pre class=\"command\"><code>mailout %s ", verb);
	site_put(b, campaign);
	buf_adds(b, extra);
	buf_adds(b, "</code></pre>");
}

static void put_command(struct buf *b, const char *campaign, const char *extra)
{
	put_verb_command(b, "retry", campaign, extra);
}

/* Paused or interrupted: how to resume, with the account that stopped it. */
static void put_resume_item(struct buf *b, const struct campaign_summary *cs)
{
	const char *id = cs->campaign->id;

	if (cs->status == STATUS_INTERRUPTED) {
		buf_adds(b, "<li>A critical error on ");
		if (cs->critical.account && cs->critical.account[0]) {
			buf_adds(b, "account <code>");
			site_put(b, cs->critical.account);
			buf_adds(b, "</code>");
		} else {
			buf_adds(b, "one of the owner's accounts");
		}
		buf_adds(b, " stopped the sending (see Accounts and Notifications below). Fix the cause, "
			    "then run:");
		put_verb_command(b, "resume", id, "");
		buf_adds(b, "</li>");
	}
	if (cs->status == STATUS_PAUSED) {
		buf_adds(b, "<li>The campaign is paused: nothing is sent until it is resumed (or "
			    "<code>status: active</code> is set in its campaign.yaml). To resume it, run:");
		put_verb_command(b, "resume", id, "");
		buf_adds(b, "</li>");
	}
}


/* The unconfirmed claims, account by account, with the command that
 * resolves them; those older than an hour are an alert (status --check). */
static void put_unconfirmed(struct buf *b, const struct site *s, const struct campaign_summary *cs)
{
	long unconfirmed = cs->count[STATE_UNCONFIRMED];
	struct buf command = BUF_INIT;
	size_t j;

	buf_adds(b, "<li><strong>");
	site_put_count(b, unconfirmed);
	buf_adds(b, unconfirmed == 1 ? " message is" : " messages are");
	buf_adds(b, " unconfirmed</strong>: the sender stopped between handing them to the server "
		    "and recording the reply, so they may have arrived. They are not sent again "
		    "on their own.<ul class=\"unconfirmed-accounts\">");
	for (j = 0; j < cs->nby_account; j++) {
		const struct plan_account_counts *ac = &cs->by_account[j];

		if (!ac->account || !ac->count[STATE_UNCONFIRMED])
			continue;
		buf_adds(b, ac->unconfirmed_overdue ? "<li class=\"overdue\" data-account=\"" :
						      "<li data-account=\"");
		site_put(b, ac->account);
		buf_adds(b, "\">");
		site_put_count(b, ac->count[STATE_UNCONFIRMED]);
		buf_adds(b, " on <code>");
		site_put(b, ac->account);
		buf_adds(b, "</code>, the oldest claimed ");
		site_put_time(b, s, ac->oldest_unconfirmed);
		if (ac->unconfirmed_overdue) {
			buf_adds(b, " (<strong>");
			site_put_count(b, ac->unconfirmed_overdue);
			buf_adds(b, " for more than an hour</strong>)");
		}
		buf_reset(&command);
		status_unconfirmed_command(&command, s->cfg, cs->campaign->id, ac->account);
		if (status_confirm_applies(s->cfg, ac->account)) {
			buf_adds(b, ". Look them up in the account's Sent folder: what is there counts as "
				    "sent, what the provider never accepted is sent again, the rest stays "
				    "unconfirmed (<code>mailout retry ");
			site_put(b, cs->campaign->id);
			buf_adds(b, " --unconfirmed</code> sends those again):");
		} else {
			buf_adds(b, ". Check the account's Sent folder; to send them again (a recipient "
				    "may get the message twice), run:");
		}
		buf_adds(b, "<pre class=\"command\"><code>");
		site_put(b, command.ptr);
		buf_adds(b, "</code></pre></li>");
	}
	buf_adds(b, "</ul></li>");
	buf_release(&command);
}

static void put_next_steps(struct buf *b, const struct site *s, const struct campaign_summary *cs)
{
	const struct campaign *c = cs->campaign;
	long failed = cs->count[STATE_FAILED], retrying = cs->count[STATE_RETRYING],
	     unconfirmed = cs->count[STATE_UNCONFIRMED];
	int calm = !failed && !unconfirmed && cs->status != STATUS_INTERRUPTED &&
		   cs->status != STATUS_PAUSED;

	buf_addf(b, "<section class=\"panel next%s\" id=\"next\" aria-labelledby=\"next-h\">"
		 "<h2 id=\"next-h\">What to do next</h2><ul>", calm ? " calm" : "");
	if (cs->status == STATUS_MERGED) {
		buf_adds(b, "<li>Nothing: this campaign was merged");
		if (c->merged_into) {
			buf_adds(b, " into <a href=\"../");
			site_put(b, c->merged_into);
			buf_adds(b, "/index.html\">");
			site_put(b, c->merged_into);
			buf_adds(b, "</a>");
		}
		buf_adds(b, " and sends nothing more.</li>");
	}
	put_resume_item(b, cs);
	if (failed) {
		buf_adds(b, "<li><strong>");
		site_put_count(b, failed);
		buf_adds(b, failed == 1 ? " recipient" : " recipients");
		buf_adds(b, " failed</strong> (listed below). Addresses that bounced hard stay suppressed; "
			    "to send to the others again once the cause is fixed, run:");
		put_command(b, c->id, "");
		buf_adds(b, "</li>");
	}
	if (retrying) {
		buf_adds(b, "<li>");
		site_put_count(b, retrying);
		buf_adds(b, retrying == 1 ? " recipient is" : " recipients are");
		buf_adds(b, " retried automatically after a temporary failure; nothing to do unless "
			    "they keep failing.</li>");
	}
	if (unconfirmed)
		put_unconfirmed(b, s, cs);
	if (calm && cs->status != STATUS_MERGED) {
		if (cs->status == STATUS_DONE)
			buf_adds(b, "<li>Nothing: every recipient has been handled.</li>");
		else
			buf_adds(b, "<li>Nothing: sending goes on by itself on working days.</li>");
	}
	buf_adds(b, "</ul>");
	if (failed || unconfirmed || cs->status == STATUS_INTERRUPTED || cs->status == STATUS_PAUSED)
		buf_adds(b, "<p class=\"muted\">Run commands in a clone of the content repository and "
			    "commit the result (a pull request); the next scheduled send picks it up.</p>");
	buf_adds(b, "</section>\n");
}

static void put_filter(struct buf *b, const struct filter *f)
{
	size_t i, j;

	for (i = 0; i < f->count; i++) {
		if (i)
			buf_adds(b, "; ");
		site_put(b, f->terms[i].field);
		buf_adds(b, ": ");
		for (j = 0; j < f->terms[i].nvalues; j++) {
			if (j)
				buf_adds(b, ", ");
			site_put(b, f->terms[i].values[j]);
		}
	}
}

static void put_config(struct buf *b, struct site *s, const struct campaign_summary *cs)
{
	const struct campaign *c = cs->campaign;

	buf_adds(b, "<section class=\"panel\" id=\"configuration\" aria-labelledby=\"config-h\">"
		    "<h2 id=\"config-h\">Configuration</h2><dl class=\"config\"><dt>Template</dt><dd><code>templates/");
	site_put(b, c->template);
	buf_adds(b, ".md</code></dd><dt>Recipient type</dt><dd>");
	site_put_type(b, c->type);
	buf_adds(b, "</dd><dt>Selection</dt><dd>");
	if (c->segment) {
		buf_adds(b, "segment <code>");
		site_put(b, c->segment);
		buf_adds(b, "</code>");
		if (c->has_filter) {
			buf_adds(b, " (");
			put_filter(b, &c->filter);
			buf_adds(b, ")");
		}
	} else if (c->has_filter) {
		buf_adds(b, "filter ");
		put_filter(b, &c->filter);
	} else {
		buf_adds(b, "all of the owner's ");
		site_put(b, c->type >= 0 && c->type < RTYPE_COUNT ?
		    recipient_type_name((enum recipient_type)c->type) : "records");
	}
	buf_addf(b, "%s</dd><dt>Owner</dt><dd>", c->vip_only ? ", VIP recipients only" : "");
	site_put(b, site_person_name(s, c->owner));
	buf_adds(b, " <span class=\"muted\">(");
	site_put(b, c->owner);
	buf_adds(b, ")</span></dd><dt>Department</dt><dd>");
	if (cs->department) {
		buf_adds(b, "<a href=\"../../departments/");
		site_put(b, cs->department);
		buf_adds(b, "/index.html\">");
		site_put(b, site_department_name(s, cs->department));
		buf_adds(b, "</a>");
	} else {
		buf_adds(b, "none");
	}
	buf_adds(b, "</dd><dt>Start</dt><dd>");
	if (c->start_text)
		site_put(b, c->start_text);
	else
		site_put_time(b, s, c->start);
	buf_adds(b, "</dd><dt>End</dt><dd>");
	if (c->end_text)
		site_put(b, c->end_text);
	else if (c->end)
		site_put_time(b, s, c->end);
	else
		buf_adds(b, "none");
	buf_adds(b, "</dd><dt>In campaign.yaml</dt><dd><code>status: ");
	site_put(b, campaign_status_name(c->status));
	buf_adds(b, "</code></dd>");
	if (c->merged_into) {
		buf_adds(b, "<dt>Merged into</dt><dd><a href=\"../");
		site_put(b, c->merged_into);
		buf_adds(b, "/index.html\">");
		site_put(b, c->merged_into);
		buf_adds(b, "</a></dd>");
	}
	buf_adds(b, "</dl></section>\n");
}

static const struct account_summary *account_state(const struct site *s, const char *id)
{
	size_t i;

	for (i = 0; id && i < s->cfg->naccounts; i++) {
		if (!strcmp(s->accounts[i].account->id, id))
			return &s->accounts[i];
	}
	return NULL;
}

static int counts_cmp(const void *a, const void *b)
{
	const struct account_counts *x = a, *y = b;

	if (!x->account || !y->account)
		return !x->account - !y->account;
	return strcmp(x->account, y->account);
}

static void put_breakdown(struct buf *b, struct site *s, struct campaign_page *pg)
{
	const struct campaign_summary *cs = pg->summary;
	static const int cols[] = { STATE_SENT, STATE_FAILED, STATE_RETRYING, STATE_UNCONFIRMED,
				    STATE_PENDING };
	size_t j, k;

	/* every account of the owner shows, with or without deliveries */
	for (j = 0; j < cs->naccounts; j++)
		site_counts_for(pg, site_intern(s, cs->accounts[j].account->id));
	qsort(pg->accounts, pg->naccounts, sizeof(*pg->accounts), counts_cmp);
	buf_adds(b, "<section class=\"panel\" id=\"accounts\" aria-labelledby=\"accounts-h\">"
		    "<h2 id=\"accounts-h\">Accounts</h2><div class=\"table-wrap\" tabindex=\"0\" "
		    "role=\"group\" aria-labelledby=\"accounts-h\"><table class=\"data\" id=\"account-breakdown\">"
		    "<thead><tr><th scope=\"col\">Account</th><th scope=\"col\">State</th>"
		    "<th scope=\"col\" class=\"num\">Sent</th><th scope=\"col\" class=\"num\">Sent today</th>"
		    "<th scope=\"col\" class=\"num\">Failed</th><th scope=\"col\" class=\"num\">Retrying</th>"
		    "<th scope=\"col\" class=\"num\">Unconfirmed</th><th scope=\"col\" class=\"num\">Pending</th>"
		    "</tr></thead><tbody>");
	for (j = 0; j < pg->naccounts; j++) {
		const struct account_counts *ac = &pg->accounts[j];
		const struct account_summary *as = account_state(s, ac->account);
		long any = ac->sent_today;

		for (k = 0; k < sizeof(cols) / sizeof(cols[0]); k++)
			any += ac->count[cols[k]];
		if (!ac->account && !any)
			continue;
		buf_adds(b, "<tr data-account=\"");
		site_put(b, ac->account ? ac->account : "");
		buf_adds(b, "\"><th scope=\"row\">");
		if (ac->account)
			site_put(b, ac->account);
		else
			buf_adds(b, "<em>no account</em>");
		if (as && as->account->main)
			buf_adds(b, " <span class=\"muted\">(main)</span>");
		buf_adds(b, "</th><td>");
		if (as) {
			site_put_star_mark(b, as);
			buf_adds(b, as->usable ? " <span class=\"state-ok\">usable</span>" :
				    " <span class=\"state-bad\">not usable:</span> ");
			if (!as->usable)
				site_put(b, as->reason);
		} else if (ac->account) {
			buf_adds(b, "<span class=\"muted\">not in mailout.yaml</span>");
		} else {
			buf_adds(b, "<span class=\"state-bad\">no usable account of the owner for these recipients</span>");
		}
		buf_adds(b, "</td>");
		for (k = 0; k < sizeof(cols) / sizeof(cols[0]); k++) {
			buf_adds(b, "<td class=\"num\">");
			site_put_count(b, ac->count[cols[k]]);
			buf_adds(b, "</td>");
			if (k == 0) {
				buf_adds(b, "<td class=\"num\">");
				site_put_count(b, ac->sent_today);
				buf_adds(b, "</td>");
			}
		}
		buf_adds(b, "</tr>");
	}
	buf_adds(b, "</tbody></table></div></section>\n");
}

enum list_kind { LIST_FAILED, LIST_RETRYING, LIST_UNCONFIRMED };

/* A list's panel up to its table's head: the title with the total, the
 * text for an empty list (then the panel is closed: 0), or a note when
 * only SITE_LIST_MAX of them are listed, which (e.g. "newest"): 1. */
static int put_list_start(struct buf *b, const char *id, const char *title, long total,
			  const char *empty, const char *which)
{
	buf_addf(b, "<section class=\"panel\" id=\"%s\" aria-labelledby=\"%s-h\"><h2 id=\"%s-h\">%s "
		 "<span class=\"muted\">(", id, id, id, title);
	site_put_count(b, total);
	buf_adds(b, ")</span></h2>");
	if (!total) {
		buf_addf(b, "<p class=\"muted\">%s</p></section>\n", empty);
		return 0;
	}
	if (total > SITE_LIST_MAX) {
		buf_addf(b, "<p class=\"capped\">The %d %s of ", SITE_LIST_MAX, which);
		site_put_count(b, total);
		buf_adds(b, " are listed.</p>");
	}
	buf_addf(b, "<div class=\"table-wrap\" tabindex=\"0\" role=\"group\" aria-labelledby=\"%s-h\">"
		 "<table class=\"data\" id=\"%s-list\"><thead><tr>", id, id);
	return 1;
}

/* One row of a list: the recipient's id, the address masked, the account,
 * the server's reply and when it came. */
static void put_listed_row(struct buf *b, const struct site *s, enum list_kind kind,
			   const struct plan_listed *row, struct buf *masked)
{
	buf_adds(b, "<tr><td>");
	site_put(b, row->recipient);
	buf_adds(b, "</td><td>");
	buf_reset(masked);
	site_mask_address(masked, row->address ? row->address : "");
	buf_add_html(b, masked->ptr, masked->len);
	buf_adds(b, "</td><td>");
	site_put(b, row->account);
	buf_adds(b, "</td><td class=\"reply\">");
	if (kind == LIST_UNCONFIRMED) {
		buf_adds(b, "no reply recorded");
	} else {
		if (row->code)
			buf_addf(b, "%d ", row->code);
		if (row->enhanced && row->enhanced[0]) {
			site_put(b, row->enhanced);
			buf_addc(b, ' ');
		}
		site_put(b, row->reply);
	}
	buf_adds(b, "</td><td>");
	site_put_time(b, s, kind == LIST_UNCONFIRMED ? row->claimed_at : row->last_event);
	buf_adds(b, "</td>");
	if (kind == LIST_RETRYING) {
		buf_adds(b, "<td>");
		site_put_time(b, s, row->next_at);
		buf_adds(b, "</td>");
	}
	buf_adds(b, "</tr>");
}

/* The newest SITE_LIST_MAX recipients of a campaign in one state. */
static int put_recipient_list(struct buf *b, struct site *s, const struct campaign_summary *cs,
			      enum list_kind kind)
{
	static const char *const ids[] = { "failed", "retrying", "unconfirmed" };
	static const char *const titles[] = { "Failed", "Retrying", "Unconfirmed" };
	static const char *const empty[] = { "No recipient failed.", "Nobody is waiting for a retry.",
					     "No unconfirmed message." };
	static const int states[] = { STATE_FAILED, STATE_RETRYING, STATE_UNCONFIRMED };
	long total = cs->count[states[kind]];
	struct buf masked = BUF_INIT;
	struct plan_iter *it = NULL;
	struct plan_listed row;
	int rc, ret = -1;

	if (!put_list_start(b, ids[kind], titles[kind], total, empty[kind], "newest")) {
		ret = 0;
		goto done;
	}
	buf_addf(b, "<th scope=\"col\">Recipient</th><th scope=\"col\">Address</th><th scope=\"col\">Account</th>"
		 "<th scope=\"col\">%s</th><th scope=\"col\">%s</th>%s</tr></thead><tbody>",
		 kind == LIST_UNCONFIRMED ? "Message" : "Reply",
		 kind == LIST_UNCONFIRMED ? "Claimed" : "Time",
		 kind == LIST_RETRYING ? "<th scope=\"col\">Next attempt</th>" : "");
	if (plan_listed_open(&it, s->p, cs->campaign->id, ids[kind],
			     kind == LIST_UNCONFIRMED ? "claimed" : ids[kind], SITE_LIST_MAX) < 0)
		goto done;
	while ((rc = plan_listed_next(it, &row)) == PLAN_ROW)
		put_listed_row(b, s, kind, &row, &masked);
	if (rc < 0) {
		site_plan_failed(s, "deliveries");
		goto done;
	}
	buf_adds(b, "</tbody></table></div></section>\n");
	ret = 0;
done:
	plan_iter_free(it);
	buf_release(&masked);
	return ret;
}

/* The first SITE_LIST_MAX suppressed deliveries and why: the address that
 * bounced hard (and where), or its line in recipients/suppressions.tsv. */
static int put_suppressed_list(struct buf *b, struct site *s, const struct campaign_summary *cs)
{
	long total = cs->count[STATE_SUPPRESSED];
	struct buf why = BUF_INIT;
	struct plan_iter *it = NULL;
	struct plan_suppressed row;
	int rc = PLAN_DONE, shown = 0, ret = -1;

	if (!put_list_start(b, "suppressed", "Suppressed", total, "Nobody is suppressed.", "first")) {
		ret = 0;
		goto done;
	}
	buf_adds(b, "<th scope=\"col\">Recipient</th><th scope=\"col\">Address</th><th scope=\"col\">Why</th>"
		 "</tr></thead><tbody>");
	if (plan_suppressed_open(&it, s->p, cs->campaign->id) < 0)
		goto done;
	while (shown < SITE_LIST_MAX && (rc = plan_suppressed_next(it, &row)) == PLAN_ROW) {
		buf_reset(&why);
		plan_suppressed_describe(&why, &row);
		buf_adds(b, "<tr><td>");
		site_put(b, row.recipient);
		buf_adds(b, "</td><td>");
		site_put(b, row.address);
		buf_adds(b, "</td><td class=\"reply\">");
		site_put(b, why.ptr);
		buf_adds(b, "</td></tr>");
		shown++;
	}
	if (shown < SITE_LIST_MAX && rc < 0) {
		site_plan_failed(s, "suppressed deliveries");
		goto done;
	}
	buf_adds(b, "</tbody></table></div></section>\n");
	ret = 0;
done:
	plan_iter_free(it);
	buf_release(&why);
	return ret;
}

static void put_notifications(struct buf *b, struct site *s, const struct campaign_summary *cs)
{
	size_t j;

	buf_adds(b, "<section class=\"panel\" id=\"notifications\" aria-labelledby=\"notes-h\">"
		    "<h2 id=\"notes-h\">Notifications <span class=\"muted\">(");
	site_put_count(b, cs->total_notifications);
	buf_adds(b, ")</span></h2>");
	if (cs->critical.time)
		site_put_critical(b, s, cs);
	if (!cs->nnotifications && cs->critical.time) {
		buf_adds(b, "<p class=\"muted\">This campaign recorded no error itself.</p></section>\n");
		return;
	}
	if (!cs->nnotifications) {
		buf_adds(b, "<p class=\"muted\">No errors recorded.</p></section>\n");
		return;
	}
	if (cs->total_notifications > (long)cs->nnotifications)
		buf_addf(b, "<p class=\"capped\">The %zu latest are listed.</p>", cs->nnotifications);
	buf_adds(b, "<ul class=\"note-list\">");
	for (j = 0; j < cs->nnotifications; j++) {
		buf_adds(b, "<li>");
		site_put_note(b, s, &cs->notifications[j]);
		buf_adds(b, "</li>");
	}
	buf_adds(b, "</ul></section>\n");
}

static void put_progress(struct buf *b, const struct campaign_summary *cs)
{
	buf_adds(b, "<section class=\"panel\" id=\"progress\" aria-labelledby=\"progress-h\">"
		    "<h2 id=\"progress-h\">Progress</h2>");
	site_put_bar(b, cs->completion, 1);
	buf_adds(b, "<dl class=\"stats\">");
	put_stat(b, "Recipients", cs->recipients, NULL);
	put_stat(b, "Sent", cs->count[STATE_SENT], NULL);
	put_stat(b, "Sent today", cs->sent_today, NULL);
	put_stat(b, "Pending", cs->count[STATE_PENDING], NULL);
	put_stat(b, "Retrying", cs->count[STATE_RETRYING], cs->count[STATE_RETRYING] ? "warn" : NULL);
	put_stat(b, "Unconfirmed", cs->count[STATE_UNCONFIRMED],
		 cs->count[STATE_UNCONFIRMED] ? "warn" : NULL);
	put_stat(b, "Failed", cs->count[STATE_FAILED], cs->count[STATE_FAILED] ? "bad" : NULL);
	put_stat(b, "Suppressed", cs->count[STATE_SUPPRESSED], NULL);
	put_stat(b, "Skipped", cs->count[STATE_SKIPPED], NULL);
	buf_adds(b, "</dl><p class=\"muted\">Completion counts sent, failed, suppressed and skipped "
		    "recipients. Skipped: the same newsletter already reached the address in another "
		    "campaign.</p></section>\n");
}

/* The message's HTML as it is, but for control characters (other than tab
 * and line ends), which no HTML holds: U+FFFD, as in escaped text. */
static void add_without_controls(struct buf *out, const char *s, size_t len)
{
	size_t i, start = 0;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if ((c >= 0x20 && c != 0x7f) || c == '\t' || c == '\n' || c == '\r')
			continue;
		buf_add(out, s + start, i - start);
		buf_adds(out, "\xef\xbf\xbd");
		start = i + 1;
	}
	buf_add(out, s + start, len - start);
}

/* Inserts the preview's own Content-Security-Policy at the start of its head. */
static void preview_document(struct buf *out, const char *html)
{
	const char *head = NULL, *p, *gt;
	char csp[sizeof(preview_csp) + 80];

	snprintf(csp, sizeof(csp), "<meta http-equiv=\"Content-Security-Policy\" content=\"%s\">",
		 preview_csp);
	for (p = html; *p && !head; p++) {
		if (*p == '<' && !strncasecmp(p + 1, "head", 4) &&
		    (p[5] == '>' || p[5] == ' ' || p[5] == '\t' || p[5] == '\n' || p[5] == '\r'))
			head = p;
	}
	gt = head ? strchr(head, '>') : NULL;
	if (gt) {
		add_without_controls(out, html, (size_t)(gt + 1 - html));
		buf_adds(out, csp);
		add_without_controls(out, gt + 1, strlen(gt + 1));
	} else {
		buf_adds(out, csp);
		add_without_controls(out, html, strlen(html));
	}
}

/* The text part escaped, its spaces before a line end (the signature's
 * "-- ") as character references, which no editor or linter strips. */
static void put_text_part(struct buf *b, const char *text)
{
	const char *line = text, *end, *e;

	for (; *line; line = *end ? end + 1 : end) {
		end = line + strcspn(line, "\n");
		for (e = end; e > line && e[-1] == ' '; e--)
			;
		buf_add_html(b, line, (size_t)(e - line));
		for (; e < end; e++)
			buf_adds(b, "&#32;");
		if (*end)
			buf_addc(b, '\n');
	}
}

static int put_preview(struct buf *b, struct site *s, const struct campaign_summary *cs,
		       const char *rel)
{
	struct render *r = NULL;
	struct rendered m;
	struct buf doc = BUF_INIT;
	int ret = -1;

	memset(&m, 0, sizeof(m));
	if (render_open(&r, plan_root(s->p), s->cfg, cs->campaign, s->diags) < 0 ||
	    render_sample(&m, r) < 0)
		goto done;
	preview_document(&doc, m.html ? m.html : "");
	if (site_write(s, rel, doc.ptr, doc.len) < 0)
		goto done;
	buf_adds(b, "<section class=\"panel\" id=\"preview\" aria-labelledby=\"preview-h\">"
		    "<h2 id=\"preview-h\">Newsletter preview</h2><dl class=\"config preview-meta\"><dt>Subject</dt><dd>");
	buf_add_html(b, m.subject ? m.subject : "", m.subject ? strlen(m.subject) : 0);
	buf_adds(b, "</dd><dt>Preheader</dt><dd>");
	if (m.preheader && m.preheader[0])
		buf_add_html(b, m.preheader, strlen(m.preheader));
	else
		buf_adds(b, "<span class=\"muted\">none</span>");
	buf_adds(b, "</dd></dl><p class=\"muted\">Rendered for a made-up sample recipient; the "
		    "unsubscribe link carries a placeholder token.</p><iframe class=\"preview-frame\" "
		    "src=\"preview.html\" sandbox=\"\" referrerpolicy=\"no-referrer\" title=\"Preview of the newsletter of ");
	site_put(b, cs->campaign->name);
	buf_adds(b, "\"></iframe><details class=\"as-table\"><summary>Text part</summary>"
		    "<pre class=\"text-part\" tabindex=\"0\">");
	put_text_part(b, m.text ? m.text : "");
	buf_adds(b, "</pre></details></section>\n");
	ret = 0;
done:
	rendered_release(&m);
	render_free(r);
	buf_release(&doc);
	return ret;
}

/* The page but for its preview and its frame: everything the plan says
 * about the campaign, made again at every build (it is cheap) to tell
 * whether the page changed. */
static int put_page_body(struct buf *b, struct site *s, struct campaign_page *pg)
{
	const struct campaign_summary *cs = pg->summary;
	const struct campaign *c = cs->campaign;

	buf_adds(b, "<nav class=\"crumbs\" aria-label=\"Breadcrumb\"><a href=\"../../index.html\">All campaigns</a>");
	if (cs->department) {
		buf_adds(b, " › <a href=\"../../departments/");
		site_put(b, cs->department);
		buf_adds(b, "/index.html\">");
		site_put(b, site_department_name(s, cs->department));
		buf_adds(b, "</a>");
	}
	buf_adds(b, "</nav>\n<div class=\"page-head\"><div><h1 id=\"campaign-name\">");
	site_put(b, c->name);
	buf_adds(b, "</h1><p class=\"lead chips\">");
	site_put_badge(b, cs->status);
	buf_adds(b, "<code>");
	site_put(b, c->id);
	buf_adds(b, "</code><span>");
	site_put_type(b, c->type);
	buf_adds(b, " of ");
	site_put(b, site_person_name(s, c->owner));
	buf_adds(b, "</span></p></div></div>\n<div class=\"grid top\">");
	put_progress(b, cs);
	put_config(b, s, cs);
	buf_adds(b, "</div>\n");
	put_next_steps(b, s, cs);
	buf_adds(b, "<section class=\"panel\" id=\"chart\" aria-labelledby=\"chart-h\">"
		    "<h2 id=\"chart-h\">Sent per day</h2>");
	site_put_chart(b, pg);
	buf_adds(b, "</section>\n");
	put_breakdown(b, s, pg);
	if (put_recipient_list(b, s, cs, LIST_FAILED) < 0 ||
	    put_recipient_list(b, s, cs, LIST_RETRYING) < 0 ||
	    put_recipient_list(b, s, cs, LIST_UNCONFIRMED) < 0 ||
	    put_suppressed_list(b, s, cs) < 0)
		return -1;
	put_notifications(b, s, cs);
	return 0;
}

int site_write_campaign_page(struct site *s, struct campaign_page *pg)
{
	const struct campaign *c = pg->summary->campaign;
	struct buf b = BUF_INIT, rel = BUF_INIT, preview = BUF_INIT;
	const char *rels[2];
	uint64_t inputs;
	int kept, ret = -1;

	buf_addf(&preview, "campaigns/%s/preview.html", c->id);
	buf_addf(&rel, "campaigns/%s/index.html", c->id);
	if (put_page_body(&b, s, pg) < 0)
		goto done;
	/* made from what the old site's page was made from: it is that page */
	inputs = site_page_inputs(s, c, &b);
	rels[0] = preview.ptr;
	rels[1] = rel.ptr;
	if ((kept = site_keep_files(s, rels, 2, inputs)) != 0) {
		ret = kept < 0 ? -1 : 0;
		goto done;
	}
	s->inputs = inputs;
	if (put_preview(&b, s, pg->summary, preview.ptr) < 0)
		goto done;
	ret = site_write_page(s, rel.ptr, 2, c->name, &b);
done:
	s->inputs = 0;
	buf_release(&b);
	buf_release(&rel);
	buf_release(&preview);
	return ret;
}
