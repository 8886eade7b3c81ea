/*
 * What came of an attempt: the log line, the plan, the report and the
 * events for a reply to a message (sent, failed, retried, the account
 * resting, critical or its refusals in a row) and for a message that could
 * not be built.
 */
#include "sender_private.h"

#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

/* Appends an event line to the pair's log and applies it to the plan. */
int sender_record(struct run *r, struct spair *pair, enum log_event ev, const char *const *fields,
		  size_t nfields)
{
	struct log_entry e;
	size_t i;
	int ret = -1;

	memset(&e, 0, sizeof(e));
	e.time = r->now;
	e.event = ev;
	e.nfields = nfields;
	for (i = 0; i < nfields; i++)
		e.field[i] = fields[i] && *fields[i] ? fields[i] : "-";
	if (!r->o->dry_run) {
		if (!pair->log && log_writer_open(&pair->log, plan_root(r->p), pair->rel) < 0)
			goto done;
		buf_reset(&r->line);
		log_format_version(&r->line, pair->log->version, r->now, ev, fields, nfields);
		if (log_writer_append(pair->log, r->line.ptr, r->line.len) < 0)
			goto done;
	}
	if (plan_applier_apply(r->applier, pair->camp->c->id, pair->acct->a->id, &e) < 0)
		goto done;
	if (!r->o->dry_run &&
	    plan_log_advance(r->p, pair->rel, pair->log->offset, pair->log->fnv) < 0)
		goto done;
	ret = 0;
done:
	return ret;
}

void sender_emit(struct run *r, enum sender_event_kind kind, struct spair *pair,
		 const char *recipient, const struct smtp_reply *reply, const char *text)
{
	struct sender_event ev;

	if (!r->o->on_event)
		return;
	memset(&ev, 0, sizeof(ev));
	ev.kind = kind;
	ev.time = r->now;
	ev.campaign = pair ? pair->camp->c->id : NULL;
	ev.account = pair ? pair->acct->a->id : NULL;
	ev.recipient = recipient;
	ev.code = reply ? reply->code : 0;
	ev.enhanced = reply ? reply->enhanced : "";
	ev.text = text ? text : reply && reply->text ? reply->text : "";
	r->o->on_event(&ev, r->o->payload);
}

/* The moment an account resting for quota may send again: its next day. */
static time_t next_day_open(const struct sacct *a, time_t now)
{
	struct tm tm;

	tz_to_local(a->a->schedule.zone, now, &tm);
	return schedule_next_open(&a->a->schedule,
				  tz_from_local(a->a->schedule.zone, tm.tm_year + 1900, tm.tm_mon + 1,
						tm.tm_mday + 1, 0, 0, 0));
}

static void interrupt_campaigns(struct run *r, struct sacct *a)
{
	size_t i;

	for (i = 0; i < a->npairs; i++) {
		if (a->pairs[i]->pending > 0 || a->pairs[i]->min_retry)
			a->pairs[i]->camp->eligible = 0;
	}
	for (i = 0; i < r->npairs; i++) {
		if (r->pairs[i].acct == a)
			r->pairs[i].camp->eligible = 0;
	}
}

static int record_failed(struct run *r, struct spair *pair, const char *const *fields,
			 const struct smtp_reply *reply);

/* The message for this recipient cannot be built (a header refuses one of
 * its fields, error_last() says which): the delivery fails alone, nothing
 * went to SMTP, and the account goes on with the next recipient. */
int sender_record_unbuilt(struct run *r, struct item *it)
{
	struct smtp_reply reply = SMTP_REPLY_INIT;
	const char *fields[4];
	int ret;

	reply.text = xasprintf("the message cannot be built: %s", error_last());
	fields[0] = it->d.recipient;
	fields[1] = "0";
	fields[2] = NULL;
	fields[3] = reply.text;
	ret = record_failed(r, it->pair, fields, &reply);
	smtp_reply_release(&reply);
	return ret;
}

/* The account is red until resume; its campaigns are interrupted. */
static void account_critical(struct run *r, struct sacct *a)
{
	a->red = 1;
	interrupt_campaigns(r, a);
	r->report->critical++;
}

static int record_failed(struct run *r, struct spair *pair, const char *const *fields,
			 const struct smtp_reply *reply)
{
	int ret = sender_record(r, pair, LOG_FAILED, fields, 4);

	r->report->failed++;
	sender_emit(r, SENDER_FAILED, pair, fields[0], reply, NULL);
	return ret;
}

/* Temporary for the recipient: a retry after a backoff that doubles, or
 * failed once the first attempt is too long ago. */
static int record_retry(struct run *r, struct item *it, const char **fields,
			const struct smtp_reply *reply)
{
	struct spair *pair = it->pair;
	time_t first = it->d.first_at ? it->d.first_at : r->now;
	long delay = RETRY_FIRST, n;
	char when[32];
	int ret;

	for (n = 1; n < it->d.attempts + 1 && delay < RETRY_MAX_DELAY; n++)
		delay *= 2;
	if (delay > RETRY_MAX_DELAY)
		delay = RETRY_MAX_DELAY;
	if (r->now + delay - first > RETRY_GIVE_UP)
		return record_failed(r, pair, fields, reply);
	time_format_rfc3339(when, r->now + delay);
	fields[4] = when;
	ret = sender_record(r, pair, LOG_RETRY, fields, 5);
	if (!pair->min_retry || r->now + delay < pair->min_retry)
		pair->min_retry = r->now + delay;
	r->report->retrying++;
	sender_emit(r, SENDER_RETRY, pair, fields[0], reply, NULL);
	return ret;
}

/* A limit of the account or the network: the account rests, the recipient
 * waits. */
static int record_rest(struct run *r, struct spair *pair, enum smtp_class cls, const char **fields,
		       const struct smtp_reply *reply)
{
	struct sacct *a = pair->acct;
	char when[32];
	int ret;

	a->rest_until = cls == SMTP_NETWORK ? r->now + NETWORK_PAUSE :
			reply->code >= 500 ? next_day_open(a, r->now) : r->now + THROTTLE_PAUSE;
	time_format_rfc3339(when, a->rest_until);
	fields[4] = when;
	ret = sender_record(r, pair, LOG_DEFERRED, fields, 5);
	pair->pending++;
	r->report->deferred++;
	sender_emit(r, SENDER_DEFERRED, pair, fields[0], reply, NULL);
	return ret;
}

static int record_critical(struct run *r, struct spair *pair, const char *const *fields,
			   const struct smtp_reply *reply)
{
	int ret = sender_record(r, pair, LOG_CRITICAL, fields, 4);

	pair->pending++; /* the recipient is pending again */
	account_critical(r, pair->acct);
	sender_emit(r, SENDER_CRITICAL, pair, fields[0], reply, NULL);
	return ret;
}

/*
 * Refused at RCPT for this recipient: failed, not suppressed, and the
 * account goes on; the same refusal for REJECTED_IN_ROW recipients in a
 * row is about the account, which is then red too.  The critical line
 * comes first, so that the delivery ends failed and is not first in line
 * after resume.
 */
static int record_rejected(struct run *r, struct spair *pair, const char *const *fields,
			   const struct smtp_reply *reply)
{
	struct sacct *a = pair->acct;
	const char *code = reply->enhanced[0] ? reply->enhanced : fields[1];
	const char *critical[4];
	struct buf why = BUF_INIT;
	int ret = 0;

	if (a->rejected_in_row && !strcmp(a->rejected_code, code)) {
		a->rejected_in_row++;
	} else {
		a->rejected_in_row = 1;
		snprintf(a->rejected_code, sizeof(a->rejected_code), "%s", code);
	}
	if (a->rejected_in_row >= REJECTED_IN_ROW) {
		buf_addf(&why, "%s; %d recipients in a row refused with %s", fields[3],
			 a->rejected_in_row, code);
		memcpy(critical, fields, sizeof(critical));
		critical[3] = why.ptr;
		ret = sender_record(r, pair, LOG_CRITICAL, critical, 4);
		account_critical(r, a);
		sender_emit(r, SENDER_CRITICAL, pair, fields[0], reply, why.ptr);
		a->rejected_in_row = 0;
	}
	if (ret == 0)
		ret = record_failed(r, pair, fields, reply);
	buf_release(&why);
	return ret;
}

/*
 * The connection failed while the server had the whole message: it may
 * have been delivered, so the claim stays unconfirmed, and the account
 * pauses.  The pause is a deferred line that names no recipient (a
 * recipient's deferred line would make the delivery pending again), so
 * the next run honours it too.
 */
static int record_uncertain(struct run *r, struct item *it, const struct smtp_reply *reply)
{
	struct spair *pair = it->pair;
	const char *fields[5];
	struct buf why = BUF_INIT;
	char code[8], when[32];
	int ret;

	pair->acct->rest_until = r->now + NETWORK_PAUSE;
	snprintf(code, sizeof(code), "%d", reply->code);
	time_format_rfc3339(when, pair->acct->rest_until);
	buf_addf(&why, "%s; the message to %s is unconfirmed", reply->text ? reply->text : "",
		 it->d.recipient);
	fields[0] = NULL; /* "-" */
	fields[1] = code;
	fields[2] = NULL;
	fields[3] = why.ptr;
	fields[4] = when;
	ret = sender_record(r, pair, LOG_DEFERRED, fields, 5);
	r->report->unconfirmed++;
	sender_emit(r, SENDER_UNCONFIRMED, pair, it->d.recipient, reply, NULL);
	buf_release(&why);
	return ret;
}

/* Records what the server's reply (classified as cls) means for the item. */
int sender_record_outcome(struct run *r, struct item *it, const struct smtp_reply *reply,
			  enum smtp_class cls)
{
	struct spair *pair = it->pair;
	const char *fields[5];
	char code[8];

	if (cls != SMTP_RECIPIENT_REJECTED)
		pair->acct->rejected_in_row = 0;
	if (cls == SMTP_NETWORK && reply->uncertain)
		return record_uncertain(r, it, reply);
	snprintf(code, sizeof(code), "%d", reply->code);
	fields[0] = it->d.recipient;
	fields[1] = code;
	fields[2] = reply->enhanced[0] ? reply->enhanced : "-";
	fields[3] = reply->text ? reply->text : "";
	fields[4] = NULL;
	switch (cls) {
	case SMTP_OK: {
		int ret = sender_record(r, pair, LOG_SENT, fields, 4);

		pair->camp->sent++;
		r->report->sent++;
		sender_emit(r, SENDER_SENT, pair, it->d.recipient, reply, NULL);
		return ret;
	}
	case SMTP_RECIPIENT_PERMANENT:
		return record_failed(r, pair, fields, reply);
	case SMTP_RECIPIENT_REJECTED:
		return record_rejected(r, pair, fields, reply);
	case SMTP_RECIPIENT_TEMPORARY:
		return record_retry(r, it, fields, reply);
	case SMTP_ACCOUNT_LIMIT:
	case SMTP_NETWORK:
		return record_rest(r, pair, cls, fields, reply);
	case SMTP_CRITICAL:
		return record_critical(r, pair, fields, reply);
	}
	return 0;
}
