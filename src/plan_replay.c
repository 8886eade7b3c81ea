/*
 * Log replay: the events of the sender logs and people's commands applied
 * to the deliveries, in order, and the aggregates they add up to (daily
 * attempts, progress, account states).  The applier runs the same code on
 * the events the sender writes, as it writes them.
 */
#include "plan_private.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "addrhash.h"
#include "buf.h"
#include "log.h"
#include "schedule.h"
#include "util.h"
#include "xalloc.h"

/* ---- log replay ---- */

struct account_run {
	char *id;
	const struct account *account; /* NULL when no longer configured */
	long long red_since, resumed_at, rest_until, last_attempt;
	char *red_reason, *rest_reason;
};

struct replay {
	struct plan *p;
	struct diag_list *diags;
	const char *campaign;
	const char *account;
	long long *last_error, *last_reset; /* per campaign, in campaigns order */
	size_t ci;
	struct account_run *accounts;
	size_t naccounts;
	struct strmap daily, progress; /* "account\tday" / "campaign\taccount\tday" -> count */
	sqlite3_stmt *get, *set_state, *claim, *sent, *note, *bounce;
	size_t lines;
	int failed;
	/* replaying a merged campaign's log for the campaign it was merged
	 * into: only the deliveries' history, never the account's */
	int history;
};

static struct account_run *account_run(struct replay *r, const char *id)
{
	size_t i;

	for (i = 0; i < r->naccounts; i++) {
		if (!strcmp(r->accounts[i].id, id))
			return &r->accounts[i];
	}
	r->accounts = xrealloc(r->accounts, (r->naccounts + 1) * sizeof(*r->accounts));
	memset(&r->accounts[r->naccounts], 0, sizeof(*r->accounts));
	r->accounts[r->naccounts].id = xstrdup(id);
	r->accounts[r->naccounts].account = config_account(&r->p->cfg, id);
	return &r->accounts[r->naccounts++];
}

static void count_add(struct strmap *m, const char *key, long n)
{
	struct strmap_entry *e = strmap_put(m, key, NULL);
	e->value = (void *)((intptr_t)e->value + n);
}

static int parse_code(const char *s)
{
	char *end;
	long v = strtol(s, &end, 10);

	return *end || v < 0 || v > 999 ? 0 : (int)v;
}

static int hard_bounce(const char *enhanced)
{
	return !strncmp(enhanced, "5.1.", 4) || !strcmp(enhanced, "5.2.1");
}

/* A delivery report whose server gave up, whatever the status (bounce.h). */
static int final_report(const struct log_entry *e)
{
	return e->event == LOG_BOUNCE && !strncmp(e->field[3], "delivery report: failed", 23);
}

static void set_max(long long *x, long long v)
{
	if (v > *x)
		*x = v;
}

static void replace_str(char **dst, const char *s)
{
	free(*dst);
	*dst = xstrdup(s);
}

static int add_notification(struct replay *r, const struct log_entry *e, const char *what)
{
	struct buf msg = BUF_INIT;
	int ret;

	if (r->history)
		return 0;
	/* server replies usually carry their codes already */
	if (!strncmp(e->field[3], e->field[1], strlen(e->field[1])))
		buf_addf(&msg, "%s: %s", what, e->field[3]);
	else if (!strcmp(e->field[2], "-"))
		buf_addf(&msg, "%s: %s %s", what, e->field[1], e->field[3]);
	else
		buf_addf(&msg, "%s: %s %s %s", what, e->field[1], e->field[2], e->field[3]);
	plan_bind_text(r->note, 1, r->campaign);
	sqlite3_bind_int64(r->note, 2, (sqlite3_int64)e->time);
	plan_bind_text(r->note, 3, r->account);
	plan_bind_text(r->note, 4, e->field[0]);
	plan_bind_text(r->note, 5, msg.ptr);
	ret = plan_step_done(r->p, r->note);
	buf_release(&msg);
	set_max(&r->last_error[r->ci], (long long)e->time);
	return ret;
}

/* Sets state and reply of a delivery. */
static int set_state(struct replay *r, const char *recipient, const char *state, time_t t,
		     const struct log_entry *e, long long next_at, int reset_attempts)
{
	sqlite3_stmt *st = r->set_state;

	plan_bind_text(st, 1, state);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)t);
	if (e && e->nfields >= 4) {
		sqlite3_bind_int(st, 3, parse_code(e->field[1]));
		plan_bind_text(st, 4, e->field[2]);
		plan_bind_text(st, 5, e->field[3]);
	}
	sqlite3_bind_int64(st, 6, next_at);
	sqlite3_bind_int(st, 7, reset_attempts);
	plan_bind_text(st, 8, r->campaign);
	plan_bind_text(st, 9, recipient);
	return plan_step_done(r->p, st);
}

static int undo_attempt(struct replay *r, const char *recipient)
{
	sqlite3_stmt *st = NULL;
	int ret;

	if (plan_prepare(r->p, &st,
			 "UPDATE deliveries SET attempts = MAX(attempts - 1, 0), "
			 "first_at = CASE WHEN attempts <= 1 THEN NULL ELSE first_at END "
			 "WHERE campaign = ? AND recipient = ?") < 0)
		return -1;
	plan_bind_text(st, 1, r->campaign);
	plan_bind_text(st, 2, recipient);
	ret = plan_step_done(r->p, st);
	sqlite3_finalize(st);
	return ret;
}

/* The delivery a log line is about, as the plan has it before the line. */
struct replay_delivery {
	const char *recipient; /* NULL when the line names none */
	int found;
	char *state;
	char *hash; /* of the address its latest claim mailed, else of its own */
	char *message_id; /* its latest claim's, or NULL */
	long long last_event, claimed_at;
};

/* The day of t in the zone of the account's schedule (or the organisation's). */
static int account_day(struct replay *r, struct account_run *ar, time_t t)
{
	return schedule_day(ar->account ? &ar->account->schedule : &r->p->cfg.schedule, t);
}

static int replay_claim(struct replay *r, const struct log_entry *e,
			const struct replay_delivery *d)
{
	struct buf key = BUF_INIT;
	struct account_run *ar;
	char hash[ADDR_HASH_LEN + 1];

	if (!r->history) {
		ar = account_run(r, r->account);
		set_max(&ar->last_attempt, (long long)e->time);
		buf_addf(&key, "%s\t%d", r->account, account_day(r, ar, e->time));
		count_add(&r->daily, key.ptr, 1);
		buf_release(&key);
	}
	if (!d->found)
		return 0;
	plan_bind_text(r->claim, 1, r->account);
	sqlite3_bind_int64(r->claim, 2, (sqlite3_int64)e->time);
	plan_bind_text(r->claim, 3, e->field[2]);
	plan_bind_text(r->claim, 4, r->campaign);
	plan_bind_text(r->claim, 5, d->recipient);
	/* v2 lines hold the hash; v1 lines the address, or the hash that
	 * replaced it when the person was erased */
	if (addr_is_hash(e->field[1]))
		memcpy(hash, e->field[1], sizeof(hash));
	else
		addr_hash(e->field[1], hash);
	plan_bind_text(r->claim, 6, hash);
	return plan_step_done(r->p, r->claim);
}

/* A message the server accepted at sent_at: counted on that day, and the
 * delivery (when found) sent. */
static int mark_sent(struct replay *r, const struct log_entry *e, const struct replay_delivery *d,
		     time_t sent_at, int found)
{
	struct buf key = BUF_INIT;
	int ret;

	buf_addf(&key, "%s\t%s\t%d", r->campaign, r->account,
		 schedule_day(&r->p->cfg.schedule, sent_at));
	count_add(&r->progress, key.ptr, 1);
	buf_release(&key);
	if (!found)
		return 0;
	ret = set_state(r, d->recipient, "sent", e->time, e, 0, 0);
	if (!ret) {
		sqlite3_bind_int64(r->sent, 1, (sqlite3_int64)sent_at);
		plan_bind_text(r->sent, 2, r->campaign);
		plan_bind_text(r->sent, 3, d->recipient);
		ret = plan_step_done(r->p, r->sent);
	}
	return ret;
}

static int replay_sent(struct replay *r, const struct log_entry *e,
		       const struct replay_delivery *d)
{
	return mark_sent(r, e, d, e->time, d->found);
}

/* A permanent failure, or a bounce: a hard bounce fails the delivery and
 * suppresses the address that bounced, the one its claim mailed (never
 * the recipient: a corrected address is not suppressed by it). */
static int replay_failure(struct replay *r, const struct log_entry *e,
			  const struct replay_delivery *d)
{
	int ret = add_notification(r, e, e->event == LOG_FAILED ? "failed" : "bounce");

	if (!d->found || ret)
		return ret;
	if (e->event == LOG_FAILED || hard_bounce(e->field[2]) || final_report(e))
		ret = set_state(r, d->recipient, "failed", e->time, e, 0, 0);
	if (!ret && hard_bounce(e->field[2])) {
		plan_bind_text(r->bounce, 1, d->hash);
		sqlite3_bind_int64(r->bounce, 2, (sqlite3_int64)e->time);
		plan_bind_text(r->bounce, 3, r->campaign);
		plan_bind_text(r->bounce, 4, d->recipient);
		sqlite3_bind_int(r->bounce, 5, parse_code(e->field[1]));
		plan_bind_text(r->bounce, 6, e->field[2]);
		plan_bind_text(r->bounce, 7, e->field[3]);
		ret = plan_step_done(r->p, r->bounce);
	}
	return ret;
}

static int replay_retry(struct replay *r, const struct log_entry *e,
			const struct replay_delivery *d)
{
	time_t until;
	int ret = add_notification(r, e, "temporary failure, will retry");

	if (d->found && !ret && time_parse_rfc3339(e->field[4], &until) == 0)
		ret = set_state(r, d->recipient, "retrying", e->time, e, (long long)until, 0);
	return ret;
}

/* The account rests (deferred) or stops (critical); the delivery waits. */
static int replay_account_stop(struct replay *r, const struct log_entry *e,
			       const struct replay_delivery *d)
{
	struct account_run *ar;
	time_t until;
	int ret;

	if (r->history)
		return d->found ? set_state(r, d->recipient, "pending", e->time, e, 0, 0) : 0;
	ar = account_run(r, r->account);
	ret = add_notification(r, e, e->event == LOG_DEFERRED ? "account resting" :
		"critical error, account stopped until resume");
	if (e->event == LOG_DEFERRED) {
		if (time_parse_rfc3339(e->field[4], &until) == 0 && (long long)until > ar->rest_until) {
			ar->rest_until = (long long)until;
			replace_str(&ar->rest_reason, e->field[3]);
		}
	} else if ((long long)e->time >= ar->red_since) {
		ar->red_since = (long long)e->time;
		replace_str(&ar->red_reason, e->field[3]);
	}
	if (d->found && !ret)
		ret = set_state(r, d->recipient, "pending", e->time, e, 0, 0);
	return ret;
}

/* `mailout retry`: a failed, retrying or unconfirmed delivery is pending again. */
static int replay_retry_cmd(struct replay *r, const struct log_entry *e,
			    const struct replay_delivery *d)
{
	if (!r->history)
		set_max(&r->last_reset[r->ci], (long long)e->time);
	if (d->found && (long long)e->time >= d->last_event &&
	    (!strcmp(d->state, "failed") || !strcmp(d->state, "retrying") ||
	     !strcmp(d->state, "claimed") || !strcmp(d->state, "unconfirmed")))
		return set_state(r, d->recipient, "pending", e->time, NULL, 0, 1);
	return 0;
}

/* `mailout resume`: the owner's accounts are usable again. */
static int replay_resume(struct replay *r, const struct log_entry *e,
			 const struct replay_delivery *d)
{
	struct plan *p = r->p;
	size_t i;

	(void)d;
	set_max(&r->last_reset[r->ci], (long long)e->time);
	for (i = 0; i < p->cfg.naccounts; i++) {
		const struct account *a = &p->cfg.accounts[i];
		if (a->owner && !strcmp(a->owner, p->campaigns.items[r->ci].owner))
			set_max(&account_run(r, a->id)->resumed_at, (long long)e->time);
	}
	return 0;
}

/* A claim given back unsent: the delivery is pending, its attempt undone. */
static int replay_claim_released(struct replay *r, const struct log_entry *e,
				 const struct replay_delivery *d)
{
	struct buf key = BUF_INIT;
	struct account_run *ar;
	int ret;

	/* the claim, possibly settled as unconfirmed meanwhile, and nothing since */
	if (!d->found || (strcmp(d->state, "claimed") &&
			  (strcmp(d->state, "unconfirmed") || d->last_event != d->claimed_at)))
		return 0;
	if (!r->history) {
		ar = account_run(r, r->account);
		buf_addf(&key, "%s\t%d", r->account, account_day(r, ar, (time_t)d->claimed_at));
		count_add(&r->daily, key.ptr, -1);
		buf_release(&key);
	}
	ret = set_state(r, d->recipient, "pending", e->time, NULL, 0, 0);
	if (!ret)
		ret = undo_attempt(r, d->recipient);
	return ret;
}

/* Whether the line (confirmed, not-sent) names the delivery's latest
 * claim, which has no outcome yet: nothing was recorded after it. */
static int claim_open(const struct replay_delivery *d, const struct log_entry *e)
{
	return d->found && (!strcmp(d->state, "claimed") || !strcmp(d->state, "unconfirmed")) &&
	       d->last_event == d->claimed_at && d->message_id && !strcmp(d->message_id, e->field[2]);
}

/* `mailout confirm` found the message in the Sent folder: sent, at the
 * moment of its claim. */
static int replay_confirmed(struct replay *r, const struct log_entry *e,
			    const struct replay_delivery *d)
{
	return claim_open(d, e) ? mark_sent(r, e, d, (time_t)d->claimed_at, 1) : 0;
}

/* The server provably never accepted the claim's message: pending again
 * (the attempt still counts for the day). */
static int replay_not_sent(struct replay *r, const struct log_entry *e,
			   const struct replay_delivery *d)
{
	return claim_open(d, e) ? set_state(r, d->recipient, "pending", e->time, NULL, 0, 0) : 0;
}

typedef int replay_fn(struct replay *r, const struct log_entry *e,
		      const struct replay_delivery *d);

static replay_fn *const replay_events[LOG_EVENT_COUNT] = {
	[LOG_CLAIM] = replay_claim,
	[LOG_SENT] = replay_sent,
	[LOG_FAILED] = replay_failure,
	[LOG_BOUNCE] = replay_failure,
	[LOG_RETRY] = replay_retry,
	[LOG_DEFERRED] = replay_account_stop,
	[LOG_CRITICAL] = replay_account_stop,
	[LOG_RETRY_CMD] = replay_retry_cmd,
	[LOG_RESUME] = replay_resume,
	[LOG_RELEASE] = replay_claim_released,
	[LOG_MERGED] = NULL,
	[LOG_CONFIRMED] = replay_confirmed,
	[LOG_NOT_SENT] = replay_not_sent,
};

/* Reads the delivery of the line's recipient into d. */
static int replay_lookup(struct replay *r, const struct log_entry *e, struct replay_delivery *d)
{
	int rc;

	plan_bind_text(r->get, 1, r->campaign);
	plan_bind_text(r->get, 2, d->recipient);
	rc = plan_step(r->p, r->get);
	if (rc < 0) {
		sqlite3_reset(r->get);
		return -1;
	}
	if (rc == PLAN_ROW) {
		d->found = 1;
		d->state = xstrdup(plan_column_text(r->get, 0));
		d->last_event = sqlite3_column_int64(r->get, 1);
		d->hash = xstrdup(plan_column_text(r->get, 2));
		d->claimed_at = sqlite3_column_int64(r->get, 3);
		if (plan_column_text(r->get, 4))
			d->message_id = xstrdup(plan_column_text(r->get, 4));
	}
	sqlite3_reset(r->get);
	/* history never overrides what the campaign did itself since */
	if (r->history && d->found && (long long)e->time < d->last_event)
		d->found = 0;
	return 0;
}

static int replay_entry(const struct log_entry *e, void *payload)
{
	struct replay *r = payload;
	struct replay_delivery d;
	int ret = 0;

	memset(&d, 0, sizeof(d));
	r->lines++;
	d.recipient = e->nfields ? e->field[0] : NULL;
	if (d.recipient && e->event != LOG_MERGED && replay_lookup(r, e, &d) < 0) {
		ret = -1;
		goto done;
	}
	if (r->history && (e->event == LOG_RESUME || e->event == LOG_MERGED))
		goto done;
	/* an outcome is the moment the account last used the server (claims
	 * of a batch are written ahead of it) */
	if (!r->history && e->event >= LOG_SENT && e->event <= LOG_CRITICAL && r->account)
		set_max(&account_run(r, r->account)->last_attempt, (long long)e->time);
	if ((unsigned)e->event < LOG_EVENT_COUNT && replay_events[e->event])
		ret = replay_events[e->event](r, e, &d);
done:
	free(d.state);
	free(d.hash);
	free(d.message_id);
	if (ret)
		r->failed = 1;
	return ret;
}

static int replay_prepare(struct replay *r)
{
	struct plan *p = r->p;

	return plan_prepare(p, &r->get,
			    "SELECT state, last_event, COALESCE(claim_hash, address_hash), claimed_at, message_id FROM deliveries WHERE campaign = ? AND recipient = ?") < 0 ||
	       plan_prepare(p, &r->set_state,
			    "UPDATE deliveries SET state = ?1, last_event = ?2, code = COALESCE(?3, code), enhanced = COALESCE(?4, enhanced), reply = COALESCE(?5, reply), next_at = ?6, attempts = CASE WHEN ?7 THEN 0 ELSE attempts END, first_at = CASE WHEN ?7 THEN NULL ELSE first_at END WHERE campaign = ?8 AND recipient = ?9") < 0 ||
	       plan_prepare(p, &r->claim,
			    "UPDATE deliveries SET state = 'claimed', account = ?1, claimed_at = ?2, first_at = COALESCE(first_at, ?2), last_event = ?2, message_id = ?3, claim_hash = ?6, attempts = attempts + 1 WHERE campaign = ?4 AND recipient = ?5") < 0 ||
	       plan_prepare(p, &r->sent,
			    "UPDATE deliveries SET sent_at = ? WHERE campaign = ? AND recipient = ?") < 0 ||
	       plan_prepare(p, &r->note,
			    "INSERT INTO notifications (campaign, time, account, recipient, message) VALUES (?, ?, ?, ?, ?)") < 0 ||
	       plan_prepare(p, &r->bounce,
			    "INSERT INTO bounces (hash, time, campaign, recipient, code, enhanced, reply) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (hash) DO NOTHING") < 0
		       ? -1 : 0;
}

static void replay_release(struct replay *r)
{
	size_t i;

	sqlite3_finalize(r->get);
	sqlite3_finalize(r->set_state);
	sqlite3_finalize(r->claim);
	sqlite3_finalize(r->sent);
	sqlite3_finalize(r->note);
	sqlite3_finalize(r->bounce);
	for (i = 0; i < r->naccounts; i++) {
		free(r->accounts[i].id);
		free(r->accounts[i].red_reason);
		free(r->accounts[i].rest_reason);
	}
	free(r->accounts);
	free(r->last_error);
	free(r->last_reset);
	strmap_release(&r->daily, NULL);
	strmap_release(&r->progress, NULL);
}

/* Loads what earlier replays recorded (for a tail replay). */
static int replay_load(struct replay *r)
{
	struct plan *p = r->p;
	sqlite3_stmt *st = NULL;
	size_t i;
	int rc;

	if (plan_prepare(p, &st,
			 "SELECT id, red_since, resumed_at, rest_until, last_attempt, red_reason, rest_reason FROM accounts") < 0)
		return -1;
	while ((rc = plan_step(p, st)) == PLAN_ROW) {
		struct account_run *ar = account_run(r, plan_column_text(st, 0));
		ar->red_since = sqlite3_column_int64(st, 1);
		ar->resumed_at = sqlite3_column_int64(st, 2);
		ar->rest_until = sqlite3_column_int64(st, 3);
		ar->last_attempt = sqlite3_column_int64(st, 4);
		if (plan_column_text(st, 5))
			ar->red_reason = xstrdup(plan_column_text(st, 5));
		if (plan_column_text(st, 6))
			ar->rest_reason = xstrdup(plan_column_text(st, 6));
	}
	sqlite3_finalize(st);
	if (rc < 0)
		return -1;
	if (plan_prepare(p, &st, "SELECT last_error, last_reset FROM campaigns WHERE id = ?") < 0)
		return -1;
	for (i = 0; i < p->campaigns.count; i++) {
		plan_bind_text(st, 1, p->campaigns.items[i].id);
		rc = plan_step(p, st);
		if (rc < 0)
			break;
		if (rc == PLAN_ROW) {
			r->last_error[i] = sqlite3_column_int64(st, 0);
			r->last_reset[i] = sqlite3_column_int64(st, 1);
		}
		sqlite3_reset(st);
	}
	sqlite3_finalize(st);
	return rc < 0 ? -1 : 0;
}

/* Writes the aggregates of a replay back. */
static int replay_store(struct replay *r)
{
	struct plan *p = r->p;
	sqlite3_stmt *st = NULL;
	size_t i;
	int ret = -1;

	if (plan_prepare(p, &st,
			 "UPDATE accounts SET red_since = ?, resumed_at = ?, rest_until = ?, last_attempt = ?, red_reason = ?, rest_reason = ? WHERE id = ?") < 0)
		goto done;
	for (i = 0; i < r->naccounts; i++) {
		struct account_run *ar = &r->accounts[i];
		sqlite3_bind_int64(st, 1, ar->red_since);
		sqlite3_bind_int64(st, 2, ar->resumed_at);
		sqlite3_bind_int64(st, 3, ar->rest_until);
		sqlite3_bind_int64(st, 4, ar->last_attempt);
		plan_bind_text(st, 5, ar->red_reason);
		plan_bind_text(st, 6, ar->rest_reason);
		plan_bind_text(st, 7, ar->id);
		if (plan_step_done(p, st) < 0)
			goto done;
	}
	sqlite3_finalize(st);
	if (plan_prepare(p, &st, "UPDATE campaigns SET last_error = ?, last_reset = ? WHERE id = ?") < 0)
		goto done;
	for (i = 0; i < p->campaigns.count; i++) {
		sqlite3_bind_int64(st, 1, r->last_error[i]);
		sqlite3_bind_int64(st, 2, r->last_reset[i]);
		plan_bind_text(st, 3, p->campaigns.items[i].id);
		if (plan_step_done(p, st) < 0)
			goto done;
	}
	sqlite3_finalize(st);
	if (plan_prepare(p, &st,
			 "INSERT INTO daily (account, day, attempts) VALUES (?, ?, ?) ON CONFLICT (account, day) DO UPDATE SET attempts = attempts + excluded.attempts") < 0)
		goto done;
	for (i = 0; i < r->daily.cap; i++) {
		char *key = r->daily.slots[i].key, *tab;
		if (!key)
			continue;
		tab = strchr(key, '\t');
		sqlite3_bind_text(st, 1, key, (int)(tab - key), SQLITE_TRANSIENT);
		sqlite3_bind_int64(st, 2, strtoll(tab + 1, NULL, 10));
		sqlite3_bind_int64(st, 3, (intptr_t)r->daily.slots[i].value);
		if (plan_step_done(p, st) < 0)
			goto done;
	}
	sqlite3_finalize(st);
	if (plan_prepare(p, &st,
			 "INSERT INTO progress (campaign, account, day, sent) VALUES (?, ?, ?, ?) ON CONFLICT (campaign, account, day) DO UPDATE SET sent = sent + excluded.sent") < 0)
		goto done;
	for (i = 0; i < r->progress.cap; i++) {
		char *key = r->progress.slots[i].key, *t1, *t2;
		if (!key)
			continue;
		t1 = strchr(key, '\t');
		t2 = strchr(t1 + 1, '\t');
		sqlite3_bind_text(st, 1, key, (int)(t1 - key), SQLITE_TRANSIENT);
		sqlite3_bind_text(st, 2, t1 + 1, (int)(t2 - t1 - 1), SQLITE_TRANSIENT);
		sqlite3_bind_int64(st, 3, strtoll(t2 + 1, NULL, 10));
		sqlite3_bind_int64(st, 4, (intptr_t)r->progress.slots[i].value);
		if (plan_step_done(p, st) < 0)
			goto done;
	}
	ret = 0;
done:
	sqlite3_finalize(st);
	return ret;
}

static int campaign_index(struct plan *p, const char *id)
{
	size_t i;

	for (i = 0; i < p->campaigns.count; i++) {
		if (!strcmp(p->campaigns.items[i].id, id))
			return (int)i;
	}
	return -1;
}

/* A merged campaign's log counts for the campaign it was merged into too:
 * nobody it mailed is mailed again, and failures keep their state. */
static int replay_history(struct plan *p, struct replay *r, const struct source *src,
			  size_t from, struct diag_list *diags)
{
	const struct campaign *c = &p->campaigns.items[r->ci];
	size_t consumed = 0;
	int target, ret;

	if (c->status != CAMPAIGN_MERGED || !c->merged_into)
		return 0;
	target = campaign_index(p, c->merged_into);
	if (target < 0 || !p->campaigns.items[target].valid)
		return 0;
	r->campaign = p->campaigns.items[target].id;
	r->ci = (size_t)target;
	r->history = 1;
	ret = log_read(p->root, src->rel, from, replay_entry, r, &consumed, diags);
	r->history = 0;
	return ret;
}

int plan_replay_logs(struct plan *p, struct sources *s, int full, struct diag_list *diags)
{
	struct replay r;
	size_t i, pass;
	int ret = -1;

	memset(&r, 0, sizeof(r));
	r.p = p;
	r.diags = diags;
	r.last_error = xcalloc(p->campaigns.count + 1, sizeof(long long));
	r.last_reset = xcalloc(p->campaigns.count + 1, sizeof(long long));
	if (replay_prepare(&r) < 0 || replay_load(&r) < 0)
		goto done;
	/* sender logs first, then people's commands: commands apply by time */
	for (pass = 0; pass < 2; pass++) {
		for (i = 0; i < s->count; i++) {
			struct source *src = &s->items[i];
			size_t consumed = 0, from = full ? 0 : (size_t)src->consumed;
			int ci;

			if (src->kind != (pass ? SRC_COMMANDS : SRC_LOG) || !src->exists)
				continue;
			if (!full && !src->appended) {
				continue;
			}
			ci = campaign_index(p, src->campaign);
			if (ci < 0 || !p->campaigns.items[ci].valid) {
				src->consumed = 0;
				continue;
			}
			r.campaign = src->campaign;
			r.account = src->account;
			r.ci = (size_t)ci;
			if (log_read(p->root, src->rel, from, replay_entry, &r, &consumed, diags) < 0) {
				if (!r.failed)
					diag_add(diags, DIAG_ERROR, src->rel, 0, 0, "%s", error_last());
				goto done;
			}
			if (replay_history(p, &r, src, from, diags) < 0)
				goto done;
			src->consumed = (long long)consumed;
			src->appended = 1; /* its files row gets the new prefix */
		}
	}
	if (replay_store(&r) < 0)
		goto done;
	p->log_lines += r.lines;
	ret = 0;
done:
	replay_release(&r);
	return ret;
}


struct plan_applier {
	struct replay r;
};

int plan_applier_open(struct plan_applier **out, struct plan *p, struct diag_list *diags)
{
	struct plan_applier *a = xcalloc(1, sizeof(*a));

	*out = NULL;
	a->r.p = p;
	a->r.diags = diags;
	a->r.last_error = xcalloc(p->campaigns.count + 1, sizeof(long long));
	a->r.last_reset = xcalloc(p->campaigns.count + 1, sizeof(long long));
	if (replay_prepare(&a->r) < 0 || replay_load(&a->r) < 0) {
		plan_applier_free(a);
		return -1;
	}
	*out = a;
	return 0;
}

int plan_applier_apply(struct plan_applier *a, const char *campaign, const char *account,
		       const struct log_entry *e)
{
	int ci = campaign_index(a->r.p, campaign);

	if (ci < 0)
		return error_set("unknown campaign '%s'", campaign);
	a->r.campaign = campaign;
	a->r.account = account;
	a->r.ci = (size_t)ci;
	return replay_entry(e, &a->r) ? -1 : 0;
}

int plan_applier_flush(struct plan_applier *a)
{
	int ret = replay_store(&a->r);

	/* the counts were added to the tables: start again from zero */
	strmap_release(&a->r.daily, NULL);
	strmap_release(&a->r.progress, NULL);
	if (ret == 0)
		ret = plan_settle(a->r.p);
	return ret;
}

void plan_applier_free(struct plan_applier *a)
{
	if (!a)
		return;
	replay_release(&a->r);
	free(a);
}

