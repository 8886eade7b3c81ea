#include "status.h"

#include "recipients.h"
#include "schedule.h"

static void json_time(struct buf *b, time_t t)
{
	char when[32];

	if (!t) {
		buf_adds(b, "null");
		return;
	}
	time_format_rfc3339(when, t);
	buf_add_json_string(b, when);
}

static void json_opt_string(struct buf *b, const char *s)
{
	if (s)
		buf_add_json_string(b, s);
	else
		buf_adds(b, "null");
}

/* ", \"unconfirmed_claims\": [...]": the accounts with unconfirmed claims. */
static void add_unconfirmed(struct buf *out, const struct config *cfg,
			    const struct campaign_summary *s)
{
	struct buf command = BUF_INIT;
	size_t j;
	int n = 0;

	buf_adds(out, ", \"unconfirmed_claims\": [");
	for (j = 0; j < s->nby_account; j++) {
		const struct plan_account_counts *ac = &s->by_account[j];

		if (!ac->account || !ac->count[STATE_UNCONFIRMED])
			continue;
		buf_adds(out, n++ ? ", {\"account\": " : "{\"account\": ");
		buf_add_json_string(out, ac->account);
		buf_addf(out, ", \"unconfirmed\": %ld, \"overdue\": %ld, \"oldest_claim\": ",
			 ac->count[STATE_UNCONFIRMED], ac->unconfirmed_overdue);
		json_time(out, ac->oldest_unconfirmed);
		buf_adds(out, ", \"command\": ");
		buf_reset(&command);
		status_unconfirmed_command(&command, cfg, s->campaign->id, ac->account);
		buf_add_json_string(out, command.ptr);
		buf_addc(out, '}');
	}
	buf_addc(out, ']');
	buf_release(&command);
}

/* A campaign's object, from "{" to before its "}". */
static void add_campaign(struct buf *out, const struct config *cfg, const struct campaign_summary *s)
{
	const struct campaign *c = s->campaign;
	size_t j;
	int st;

	buf_adds(out, "{\"id\": ");
	buf_add_json_string(out, c->id);
	buf_adds(out, ", \"name\": ");
	buf_add_json_string(out, c->name);
	buf_adds(out, ", \"recipient_type\": ");
	buf_add_json_string(out, recipient_type_name((enum recipient_type)c->type));
	buf_addf(out, ", \"status\": \"%s\", \"owner\": ", campaign_state_name(s->status));
	buf_add_json_string(out, c->owner);
	buf_adds(out, ", \"department\": ");
	json_opt_string(out, s->department);
	buf_addf(out, ", \"vip_only\": %s, \"template\": ", c->vip_only ? "true" : "false");
	buf_add_json_string(out, c->template);
	buf_adds(out, ", \"merged_into\": ");
	json_opt_string(out, c->merged_into);
	buf_addf(out, ", \"recipients\": %ld", s->recipients);
	for (st = 0; st < STATE_COUNT; st++) {
		if (st != STATE_CLAIMED)
			buf_addf(out, ", \"%s\": %ld", delivery_state_name((enum delivery_state)st),
				 s->count[st]);
	}
	buf_addf(out, ", \"completion\": %d, \"sent_today\": %ld, \"accounts\": [",
		 s->completion, s->sent_today);
	for (j = 0; j < s->naccounts; j++) {
		const struct account_summary *a = &s->accounts[j];
		buf_adds(out, j ? ", {\"id\": " : "{\"id\": ");
		buf_add_json_string(out, a->account->id);
		buf_addf(out, ", \"main\": %s, \"usable\": %s, \"reason\": ",
			 a->account->main ? "true" : "false", a->usable ? "true" : "false");
		json_opt_string(out, a->usable ? NULL : a->reason);
		buf_addc(out, '}');
	}
	buf_addc(out, ']');
	add_unconfirmed(out, cfg, s);
	buf_addf(out, ", \"notifications_total\": %ld, \"notifications\": [",
		 s->total_notifications);
	for (j = 0; j < s->nnotifications; j++) {
		const struct notification *nt = &s->notifications[j];
		buf_adds(out, j ? ", {\"time\": " : "{\"time\": ");
		json_time(out, nt->time);
		buf_adds(out, ", \"account\": ");
		buf_add_json_string(out, nt->account);
		buf_adds(out, ", \"recipient\": ");
		buf_add_json_string(out, nt->recipient);
		buf_adds(out, ", \"message\": ");
		buf_add_json_string(out, nt->message);
		buf_addc(out, '}');
	}
	buf_addc(out, ']');
}

static void add_suppressed(struct buf *b, const struct plan_suppressed *s)
{
	buf_adds(b, "{\"recipient\": ");
	buf_add_json_string(b, s->recipient);
	buf_adds(b, ", \"address\": ");
	buf_add_json_string(b, s->address);
	buf_adds(b, ", \"bounce\": ");
	if (s->bounced_in) {
		buf_adds(b, "{\"campaign\": ");
		buf_add_json_string(b, s->bounced_in);
		buf_adds(b, ", \"recipient\": ");
		buf_add_json_string(b, s->bounced_recipient);
		buf_adds(b, ", \"time\": ");
		json_time(b, s->bounced_at);
		buf_addf(b, ", \"code\": %d, \"enhanced\": ", s->code);
		json_opt_string(b, s->enhanced);
		buf_adds(b, ", \"reply\": ");
		json_opt_string(b, s->reply);
		buf_addc(b, '}');
	} else {
		buf_adds(b, "null");
	}
	buf_adds(b, ", \"listed\": ");
	json_opt_string(b, s->listed);
	buf_addc(b, '}');
}

/* ", \"suppressed_deliveries\": [...]" of campaign. */
static int add_suppressed_deliveries(struct buf *out, struct plan *p, const char *campaign)
{
	struct plan_iter *it = NULL;
	struct plan_suppressed s;
	int rc, n = 0;

	if (plan_suppressed_open(&it, p, campaign) < 0)
		return -1;
	buf_adds(out, ", \"suppressed_deliveries\": [");
	while ((rc = plan_suppressed_next(it, &s)) == PLAN_ROW) {
		buf_adds(out, n++ ? ", " : "");
		add_suppressed(out, &s);
	}
	buf_addc(out, ']');
	plan_iter_free(it);
	return rc < 0 ? -1 : 0;
}

static void add_plan(struct buf *out, struct plan *p)
{
	buf_adds(out, "{\"plan\": {\"commit\": ");
	json_opt_string(out, plan_commit(p)[0] ? plan_commit(p) : NULL);
	buf_addf(out, ", \"dirty\": %s, \"built_at\": ", plan_dirty(p) ? "true" : "false");
	json_time(out, plan_built_at(p));
	buf_adds(out, "}, \"campaigns\": [");
}

void status_json(struct buf *out, struct plan *p, const struct campaign_summary *list, size_t n)
{
	size_t i;

	add_plan(out, p);
	for (i = 0; i < n; i++) {
		buf_adds(out, i ? ",\n  " : "\n  ");
		add_campaign(out, plan_config(p), &list[i]);
		buf_addc(out, '}');
	}
	buf_adds(out, n ? "\n]}\n" : "]}\n");
}

int status_json_detail(struct buf *out, struct plan *p, const struct campaign_summary *s)
{
	add_plan(out, p);
	buf_adds(out, "\n  ");
	add_campaign(out, plan_config(p), s);
	if (add_suppressed_deliveries(out, p, s->campaign->id) < 0)
		return -1;
	buf_adds(out, "}\n]}\n");
	return 0;
}

int status_needs_attention(const struct campaign_summary *list, size_t n)
{
	size_t i, j;
	int problems = 0;

	for (i = 0; i < n; i++) {
		problems |= list[i].status == STATUS_INTERRUPTED;
		for (j = 0; j < list[i].naccounts; j++)
			problems |= list[i].accounts[j].red;
		for (j = 0; j < list[i].nby_account; j++)
			problems |= list[i].by_account[j].unconfirmed_overdue > 0;
	}
	return problems;
}

int status_confirm_applies(const struct config *cfg, const char *account)
{
	const struct account *a = config_account(cfg, account);

	return a && a->imap;
}

void status_unconfirmed_command(struct buf *out, const struct config *cfg, const char *campaign,
				const char *account)
{
	if (status_confirm_applies(cfg, account))
		buf_adds(out, "mailout confirm");
	else
		buf_addf(out, "mailout retry %s --unconfirmed", campaign);
}

size_t status_unconfirmed_alerts(struct buf *out, const struct config *cfg,
				 const struct campaign_summary *list, size_t n)
{
	char when[32];
	size_t i, j, lines = 0;

	for (i = 0; i < n; i++) {
		for (j = 0; j < list[i].nby_account; j++) {
			const struct plan_account_counts *ac = &list[i].by_account[j];

			if (ac->unconfirmed_overdue <= 0)
				continue;
			time_format_rfc3339(when, ac->oldest_unconfirmed);
			buf_addf(out, "campaign '%s', account '%s': %ld claim%s unconfirmed for more than an hour (the oldest since %s): run ",
				 list[i].campaign->id, ac->account, ac->unconfirmed_overdue,
				 ac->unconfirmed_overdue == 1 ? "" : "s", when);
			status_unconfirmed_command(out, cfg, list[i].campaign->id, ac->account);
			buf_addc(out, '\n');
			lines++;
		}
	}
	return lines;
}

void status_accounts_json(struct buf *out, const struct account_summary *list, size_t n)
{
	size_t i;

	buf_addc(out, '[');
	for (i = 0; i < n; i++) {
		const struct account_summary *a = &list[i];

		buf_adds(out, i ? ",\n {\"id\": " : "{\"id\": ");
		buf_add_json_string(out, a->account->id);
		buf_adds(out, ", \"owner\": ");
		buf_add_json_string(out, a->account->owner);
		buf_addf(out, ", \"enabled\": %s, \"usable\": %s, \"reason\": ",
			 a->account->enabled ? "true" : "false", a->usable ? "true" : "false");
		json_opt_string(out, a->usable ? NULL : a->reason);
		buf_addc(out, '}');
	}
	buf_adds(out, "]\n");
}
