#include "sender_private.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "log.h"
#include "mime.h"
#include "oauth.h"
#include "render.h"
#include "schedule.h"
#include "smtp.h"
#include "token.h"
#include "util.h"
#include "xalloc.h"

/* ---- the plan's transaction ---- */

static int tx_begin(struct run *r)
{
	if (r->in_tx)
		return 0;
	if (plan_transaction_begin(r->p) < 0)
		return -1;
	r->in_tx = 1;
	clock_gettime(CLOCK_MONOTONIC, &r->last_commit);
	return 0;
}

/* Ends a batch: logs synced, aggregates stored, the plan committed. */
static int tx_commit(struct run *r)
{
	size_t i;

	if (!r->in_tx)
		return 0;
	for (i = 0; i < r->npairs; i++) {
		if (r->pairs[i].log && log_writer_sync(r->pairs[i].log) < 0)
			return -1;
	}
	if (r->applier && plan_applier_flush(r->applier) < 0)
		return -1;
	if (r->o->dry_run)
		return 0; /* rolled back at the end */
	if (plan_transaction_commit(r->p) < 0)
		return -1;
	r->in_tx = 0;
	r->since_commit = 0;
	return 0;
}

static long elapsed_ms(const struct timespec *since)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - since->tv_sec) * 1000 + (now.tv_nsec - since->tv_nsec) / 1000000;
}

/* ---- loading the run's state from the plan ---- */

static int selected_account(const struct sender_options *o, const char *id)
{
	size_t i;

	if (!o->accounts)
		return 1;
	for (i = 0; i < o->naccounts; i++) {
		if (!strcmp(o->accounts[i], id))
			return 1;
	}
	return 0;
}

static struct scamp *find_camp(struct run *r, const char *id)
{
	size_t i;

	for (i = 0; i < r->ncamps; i++) {
		if (!strcmp(r->camps[i].c->id, id))
			return &r->camps[i];
	}
	return NULL;
}

static struct sacct *find_acct(struct run *r, const char *id)
{
	size_t i;

	for (i = 0; i < r->naccts; i++) {
		if (!strcmp(r->accts[i].a->id, id))
			return &r->accts[i];
	}
	return NULL;
}

static int cmp_pairs(const void *x, const void *y)
{
	const struct spair *a = *(struct spair *const *)x, *b = *(struct spair *const *)y;

	if (a->camp->c->start != b->camp->c->start)
		return a->camp->c->start < b->camp->c->start ? -1 : 1;
	return strcmp(a->camp->c->id, b->camp->c->id);
}

/* Whether an attempt ended as a refusal at RCPT for its recipient (not a
 * delivery report that failed an accepted message later). */
static int attempt_rejected(const struct plan_attempt *at)
{
	struct smtp_reply reply = SMTP_REPLY_INIT;

	if (strcmp(at->state, "failed") != 0 || at->accepted)
		return 0;
	reply.code = at->code;
	snprintf(reply.enhanced, sizeof(reply.enhanced), "%s", at->enhanced);
	snprintf(reply.command, sizeof(reply.command), "RCPT");
	reply.text = (char *)at->reply;
	return smtp_classify(&reply, 0) == SMTP_RECIPIENT_REJECTED;
}

/* The refusals in a row at RCPT that the account's latest attempts ended
 * with, in earlier runs too: the count goes on where they left it. */
static int load_rejections(struct run *r, struct sacct *a)
{
	struct plan_iter *it = NULL;
	struct plan_attempt at;
	char code[16];
	int rc;

	a->rejected_in_row = 0;
	if (plan_account_latest_open(&it, r->p, a->a->id, REJECTED_IN_ROW - 1) < 0)
		return -1;
	while ((rc = plan_account_latest_next(it, &at)) == PLAN_ROW && attempt_rejected(&at)) {
		if (at.enhanced[0])
			snprintf(code, sizeof(code), "%s", at.enhanced);
		else
			snprintf(code, sizeof(code), "%d", at.code);
		if (a->rejected_in_row && strcmp(code, a->rejected_code) != 0)
			break;
		memcpy(a->rejected_code, code, sizeof(code));
		a->rejected_in_row++;
	}
	plan_iter_free(it);
	return rc < 0 ? -1 : 0;
}

static int restore_pace(struct run *r, struct sacct *a);

static int load_state(struct run *r)
{
	struct plan *p = r->p;
	const struct config *cfg = plan_config(p);
	const struct campaigns *campaigns = plan_campaigns(p);
	struct account_summary *accounts = NULL;
	struct plan_account_state state;
	struct plan_iter *work = NULL;
	struct plan_work w;
	struct mime_address addr;
	size_t i;
	int rc, ret = -1;

	r->camps = xcalloc(campaigns->count + 1, sizeof(*r->camps));
	for (i = 0; i < campaigns->count; i++) {
		const struct campaign *c = &campaigns->items[i];
		if (!c->valid)
			continue;
		r->camps[r->ncamps].c = c;
		r->camps[r->ncamps].eligible = c->status == CAMPAIGN_ACTIVE;
		r->ncamps++;
	}
	if (plan_accounts(p, r->now, &accounts) < 0)
		goto done;
	r->accts = xcalloc(cfg->naccounts + 1, sizeof(*r->accts));
	for (i = 0; i < cfg->naccounts; i++) {
		struct sacct *a = &r->accts[r->naccts++];
		a->a = &cfg->accounts[i];
		a->selected = selected_account(r->o, a->a->id) && a->a->enabled;
		if (mime_parse_address(&addr, a->a->from) < 0)
			goto done;
		a->from_address = xstrdup(addr.address);
		mime_address_release(&addr);
		if (plan_account_state(p, a->a->id, &state) < 0)
			goto done;
		a->red = state.red;
		a->rest_until = state.rest_until;
		a->last_attempt = state.last_attempt;
		if (restore_pace(r, a) < 0 || load_rejections(r, a) < 0)
			goto done;
	}
	/* pending work per campaign and account; interrupted campaigns */
	if (plan_work_open(&work, p) < 0)
		goto done;
	while ((rc = plan_work_next(work, &w)) == PLAN_ROW) {
		struct scamp *c = find_camp(r, w.campaign);
		struct sacct *a = find_acct(r, w.account);
		struct spair *pair;

		if (!c || !a)
			continue;
		if (a->red)
			c->eligible = 0; /* interrupted until resume */
		r->pairs = xrealloc(r->pairs, (r->npairs + 1) * sizeof(*r->pairs));
		pair = &r->pairs[r->npairs++];
		memset(pair, 0, sizeof(*pair));
		pair->camp = c;
		pair->acct = a;
		pair->pending = w.pending;
		pair->min_retry = w.min_retry;
		pair->rel = log_path(c->c->id, a->a->id);
	}
	if (rc < 0)
		goto done;
	/* pairs by account, in round-robin order (pointers are stable now) */
	for (i = 0; i < r->npairs; i++) {
		struct sacct *a = r->pairs[i].acct;
		a->pairs = xrealloc(a->pairs, (a->npairs + 1) * sizeof(*a->pairs));
		a->pairs[a->npairs++] = &r->pairs[i];
	}
	for (i = 0; i < r->naccts; i++) {
		if (r->accts[i].npairs > 1)
			qsort(r->accts[i].pairs, r->accts[i].npairs, sizeof(struct spair *), cmp_pairs);
	}
	ret = 0;
done:
	plan_iter_free(work);
	free(accounts);
	return ret;
}

/* ---- the clock rules ---- */

/*
 * The bucket of the day of the account's last attempt, replayed from the
 * moments of that day's attempts when the plan has each of them; else as
 * the last attempt alone tells (empty right after it), which never allows
 * more than the bucket does.  A run that drains the bucket thus leaves its
 * part of a token to the next run.
 */
static int restore_pace(struct run *r, struct sacct *a)
{
	const struct schedule *s = &a->a->schedule;
	int limit = (int)a->a->daily_limit, ymd;
	struct schedule_pace pace;
	time_t from, to, *times;
	size_t n, i;
	long k = 0;

	schedule_pace_init(&a->pace, s, limit, a->last_attempt);
	if (!a->last_attempt)
		return 0;
	ymd = schedule_day(s, a->last_attempt);
	if (plan_account_attempts(r->p, a->a->id, ymd, &k) < 0)
		return -1;
	if (k < 1 || k > limit)
		return 0;
	from = tz_from_local(s->zone, ymd / 10000, ymd / 100 % 100, ymd % 100, 0, 0, 0);
	to = tz_from_local(s->zone, ymd / 10000, ymd / 100 % 100, ymd % 100 + 1, 0, 0, 0);
	times = xcalloc((size_t)k + 1, sizeof(*times));
	n = plan_account_times(r->p, a->a->id, from, to, times, (size_t)k + 1);
	if (n == (size_t)k) {
		schedule_pace_init(&pace, s, limit, 0);
		for (i = 0; i < n; i++)
			schedule_pace_take(&pace, s, limit, times[i]);
		if (a->last_attempt > pace.last)
			pace.last = a->last_attempt;
		a->pace = pace;
	}
	free(times);
	return n == (size_t)-1 ? -1 : 0;
}

static int count_attempts(int day, void *payload)
{
	struct run_acct {
		struct run *r;
		struct sacct *a;
	} *ra = payload;
	struct sacct *a = ra->a;
	size_t i;
	long n = 0;

	for (i = 0; i < a->ndays; i++) {
		if (a->days[i].day == day)
			return (int)a->days[i].attempts;
	}
	if (plan_account_attempts(ra->r->p, a->a->id, day, &n) < 0) {
		ra->r->query_failed = 1;
		return INT_MAX; /* nothing is due; the run stops with the error */
	}
	if (a->ndays == 8) {
		memmove(a->days, a->days + 1, 7 * sizeof(*a->days));
		a->ndays = 7;
	}
	a->days[a->ndays].day = day;
	a->days[a->ndays].attempts = n;
	a->ndays++;
	return (int)n;
}

static void add_attempt(struct sacct *a, int day)
{
	size_t i;

	for (i = 0; i < a->ndays; i++) {
		if (a->days[i].day == day) {
			a->days[i].attempts++;
			return;
		}
	}
}

static int pair_open(const struct spair *pair, time_t t)
{
	const struct campaign *c = pair->camp->c;

	return pair->camp->eligible && (!c->end || t < c->end);
}

/* The earliest moment >= t when the account has something to send. */
static time_t work_at(const struct sacct *a, time_t t)
{
	time_t best = -1, cand;
	size_t i;

	for (i = 0; i < a->npairs; i++) {
		const struct spair *pair = a->pairs[i];
		time_t start = pair->camp->c->start > t ? pair->camp->c->start : t;

		if (!pair_open(pair, start))
			continue;
		if (pair->pending > 0 && (best < 0 || start < best))
			best = start;
		if (pair->min_retry) {
			cand = pair->min_retry > start ? pair->min_retry : start;
			if (pair_open(pair, cand) && (best < 0 || cand < best))
				best = cand;
		}
	}
	return best;
}

static time_t account_due(struct run *r, struct sacct *a, time_t t)
{
	struct {
		struct run *r;
		struct sacct *a;
	} ra = { r, a };
	time_t d, w;
	int i, wait;

	if (!a->selected || a->red || a->broken || !a->npairs)
		return -1;
	if (a->rest_until > t)
		t = a->rest_until;
	for (i = 0; i < 16; i++) {
		d = schedule_pace_due(&a->a->schedule, (int)a->a->daily_limit, &a->pace, t,
				      count_attempts, &ra, &wait);
		if (d == (time_t)-1)
			return -1;
		/* --drain: what is due now and the rest of the current burst */
		if (r->o->drain && d > r->now && (i > 0 || wait != SCHEDULE_WAIT_BURST))
			return -1;
		w = work_at(a, d);
		if (w < 0)
			return -1;
		if (w == d)
			return d;
		t = w;
	}
	return -1;
}

/* ---- one message ---- */

static void delivery_release(struct delivery *d)
{
	free(d->campaign);
	free(d->recipient);
	free(d->address);
	memset(d, 0, sizeof(*d));
}

/* The pair's next delivery due at `at`: 1, 0 when none, -1 on error. */
static int fetch_delivery(struct run *r, struct spair *pair, struct delivery *d, time_t at)
{
	struct plan_pending next;
	int found;

	memset(d, 0, sizeof(*d));
	if (pair->min_retry && pair->min_retry <= at) {
		found = plan_next_retry(r->p, pair->camp->c->id, pair->acct->a->id, at, &next);
		d->retrying = 1;
	} else if (pair->pending > 0) {
		found = plan_next_pending(r->p, pair->camp->c->id, pair->acct->a->id, &next);
	} else {
		return 0;
	}
	if (found < 0)
		return -1;
	if (found) {
		d->campaign = xstrdup(pair->camp->c->id);
		d->recipient = next.recipient;
		d->address = next.address;
		d->first_at = next.first_at;
		d->attempts = next.attempts;
	}
	if (!found) {
		/* the counts were stale (a suppression settled meanwhile) */
		if (d->retrying)
			pair->min_retry = 0;
		else
			pair->pending = 0;
	}
	return found;
}

static int refresh_min_retry(struct run *r, struct spair *pair)
{
	return plan_min_retry(r->p, pair->camp->c->id, pair->acct->a->id, &pair->min_retry);
}

/* Picks the account's next delivery due at `at`, campaigns in turn, into
 * *out: 0 with *out NULL when there is none, -1 on error. */
static int pick(struct spair **out, struct run *r, struct sacct *a, struct delivery *d, time_t at)
{
	size_t i;
	int found;

	*out = NULL;
	for (i = 0; i < a->npairs; i++) {
		struct spair *pair = a->pairs[(a->cursor + i) % a->npairs];

		if (!pair_open(pair, at) || pair->camp->c->start > at)
			continue;
		found = fetch_delivery(r, pair, d, at);
		if (found < 0)
			return -1;
		if (found) {
			a->cursor = (a->cursor + i + 1) % a->npairs;
			*out = pair;
			return 0;
		}
	}
	return 0;
}

int sender_account_options(struct smtp_options *so, const struct account *a, char **bearer_out)
{
	const char *password;

	memset(so, 0, sizeof(*so));
	*bearer_out = NULL;
	so->url = a->smtp;
	so->username = a->username;
	so->tls = a->tls.mode;
	so->ca_pem = a->tls.ca_pem;
	so->ca_pem_len = a->tls.ca_pem_len;
	so->ca_file = a->tls.ca_pem ? NULL : a->tls.ca_file;
	so->helo = a->helo;
	so->final_timeout_ms = a->smtp_timeout * 1000;
	if (a->auth == AUTH_OAUTH2) {
		if (oauth_account_token(bearer_out, a) < 0)
			return -1;
		so->bearer = *bearer_out;
	} else if (a->password_env) {
		password = getenv(a->password_env);
		if (!password || !*password)
			return error_set("account '%s': %s is not set", a->id, a->password_env);
		so->password = password;
	}
	return 0;
}

static int open_transport(struct run *r, struct sacct *a)
{
	struct smtp_options so;
	char *bearer = NULL;
	int ret;

	if (r->o->sink) {
		/* the sink stands in for the account's server, at its pace */
		memset(&so, 0, sizeof(so));
		so.url = r->o->sink;
		so.final_timeout_ms = a->a->smtp_timeout * 1000;
	} else if (sender_account_options(&so, a->a, &bearer) < 0) {
		return -1;
	}
	ret = smtp_open(&a->smtp, &so);
	secret_free(bearer);
	return ret;
}

static void sub_attempt(struct sacct *a, int day)
{
	size_t i;

	for (i = 0; i < a->ndays; i++) {
		if (a->days[i].day == day && a->days[i].attempts > 0)
			a->days[i].attempts--;
	}
}

/* The claim: appended before anything goes to SMTP. */
static int claim_item(struct run *r, struct spair *pair, struct delivery *d, time_t due,
		      struct item *it)
{
	struct sacct *a = pair->acct;
	const char *fields[3];

	memset(it, 0, sizeof(*it));
	it->pair = pair;
	it->d = *d;
	it->due = due;
	it->message_id = r->o->dry_run ? NULL : mime_message_id(a->from_address);
	fields[0] = d->recipient;
	fields[1] = d->address;
	fields[2] = it->message_id ? it->message_id : "-";
	if (sender_record(r, pair, LOG_CLAIM, fields, 3) < 0)
		return -1;
	add_attempt(a, schedule_day(&a->a->schedule, due));
	if (due > a->last_attempt)
		a->last_attempt = due;
	schedule_pace_take(&a->pace, &a->a->schedule, (int)a->a->daily_limit, due);
	if (d->retrying) {
		if (refresh_min_retry(r, pair) < 0)
			return -1;
	} else {
		pair->pending--;
	}
	return 0;
}

/* A claim withdrawn: the message never reached SMTP. */
static int release_item(struct run *r, struct item *it)
{
	const char *fields[1] = { it->d.recipient };

	it->done = 1;
	sub_attempt(it->pair->acct, schedule_day(&it->pair->acct->a->schedule, it->due));
	it->pair->pending++;
	return sender_record(r, it->pair, LOG_RELEASE, fields, 1);
}

static void item_release(struct item *it)
{
	delivery_release(&it->d);
	free(it->message_id);
	it->message_id = NULL;
}

static int ensure_render(struct run *r, struct scamp *camp)
{
	struct diag_list diags = DIAG_LIST_INIT;
	int ret = 0;

	if (camp->render)
		return 0;
	if (render_open(&camp->render, plan_root(r->p), plan_config(r->p), camp->c, &diags) < 0)
		ret = error_set("campaign '%s': cannot render its messages (%s)", camp->c->id,
				diags.count ? diags.items[0].message : error_last());
	diag_release(&diags);
	return ret;
}

/* A dry run records what would be sent as sent, and sends nothing. */
static int deliver_dry(struct run *r, struct item *it)
{
	const char *fields[4] = { it->d.recipient, "250", "2.0.0", "dry run" };
	int ret = sender_record(r, it->pair, LOG_SENT, fields, 4);

	sender_emit(r, SENDER_WOULD_SEND, it->pair, it->d.recipient, NULL, "");
	it->pair->camp->sent++;
	r->report->sent++;
	return ret;
}

/*
 * The message of a claimed item rendered into r->msg, and the address to
 * send it to in *to (valid until the next recipient is read): 0; 1 when
 * the account cannot send in this run (the item is withdrawn, the run goes
 * on) or when the message cannot be built (the delivery failed); -1 on
 * error (the item is withdrawn).
 */
static int compose(struct run *r, struct item *it, const char **to)
{
	struct spair *pair = it->pair;
	struct delivery *d = &it->d;
	struct sacct *a = pair->acct;
	struct recipient rec;
	char *token = NULL;
	int rc, ret = -1;

	if (ensure_render(r, pair->camp) < 0)
		goto withdraw;
	if (!a->smtp && open_transport(r, a) < 0) {
		/* no secret or no token: this account cannot send in this run */
		a->broken = 1;
		r->report->accounts_unavailable++;
		sender_emit(r, SENDER_WARNING, pair, NULL, NULL, error_last());
		ret = release_item(r, it) < 0 ? -1 : 1;
		goto done;
	}
	rc = plan_recipient(r->p, pair->camp->c->type, d->recipient, &rec, &r->holder);
	if (rc > 0)
		error_set("recipient '%s' of campaign '%s' is missing from the plan", d->recipient,
			  d->campaign);
	if (rc != 0)
		goto withdraw;
	token = token_make(r->keys, d->campaign, d->recipient);
	if (!token)
		goto withdraw;
	buf_reset(&r->msg);
	if (render_mime(&r->msg, pair->camp->render, &rec, a->a, token, r->now, it->message_id,
			NULL) < 0) {
		ret = sender_record_unbuilt(r, it) < 0 ? -1 : 1;
		goto done;
	}
	*to = rec.email;
	ret = 0;
	goto done;
withdraw:
	release_item(r, it);
done:
	free(token);
	return ret;
}

/* Hands a claimed message to SMTP and records the outcome. */
static int deliver_item(struct run *r, struct item *it)
{
	struct sacct *a = it->pair->acct;
	struct smtp_reply reply = SMTP_REPLY_INIT;
	const char *to = NULL;
	int curl_code = 0, rc;

	it->done = 1;
	a->last_attempt = r->now;
	if (r->o->dry_run)
		return deliver_dry(r, it);
	rc = compose(r, it, &to);
	if (rc != 0)
		return rc < 0 ? -1 : 0;
	smtp_send(a->smtp, a->from_address, to, r->msg.ptr, r->msg.len, &reply, &curl_code);
	rc = sender_record_outcome(r, it, &reply, smtp_classify(&reply, curl_code));
	smtp_reply_release(&reply);
	return rc;
}

/* ---- the run ---- */

static void sleep_until(struct run *r, time_t t)
{
	while (!(r->o->stop && *r->o->stop)) {
		time_t now = time(NULL);
		struct timespec ts = { 0, 200 * 1000000L };

		if (now >= t)
			break;
		if (t - now < 1)
			ts.tv_nsec = 100 * 1000000L;
		nanosleep(&ts, NULL);
	}
}

/* Campaigns paused (or otherwise changed) while the run goes on. */
static void check_paused(struct run *r)
{
	struct diag_list diags = DIAG_LIST_INIT;
	struct campaigns now;
	size_t i;

	if (campaigns_load(&now, plan_root(r->p), plan_config(r->p), plan_segments(r->p), &diags) == 0) {
		for (i = 0; i < r->ncamps; i++) {
			const struct campaign *c = campaigns_find(&now, r->camps[i].c->id);
			if (!c || c->status != CAMPAIGN_ACTIVE || !c->valid)
				r->camps[i].eligible = 0;
		}
		campaigns_release(&now);
	}
	diag_release(&diags);
}

/* Every secret an account of the run logs in with is in the environment
 * (an OAuth2 access token itself is fetched when the account first sends). */
static int check_secrets(const struct run *r)
{
	const struct config *cfg = plan_config(r->p);
	const struct account *a;
	const char *names[2], *value;
	size_t i, k;

	for (i = 0; i < cfg->naccounts; i++) {
		a = &cfg->accounts[i];
		if (!a->enabled || !selected_account(r->o, a->id))
			continue;
		names[0] = a->auth == AUTH_OAUTH2 ? a->refresh_token_env : a->password_env;
		names[1] = a->auth == AUTH_OAUTH2 ? a->client_secret_env : NULL;
		for (k = 0; k < 2; k++) {
			value = names[k] ? getenv(names[k]) : "-";
			if (!value || !*value)
				return error_set("account '%s': %s is not set", a->id, names[k]);
		}
	}
	return 0;
}

/* What a run needs before it touches a log: the token key, the secrets. */
static int prepare(struct run *r)
{
	if (r->o->dry_run)
		return 0;
	if (token_keys_from_env(&r->keys) < 0)
		return -1;
	return r->o->sink ? 0 : check_secrets(r);
}

int sender_check(struct plan *p, const struct sender_options *o)
{
	struct run r;
	int ret;

	memset(&r, 0, sizeof(r));
	r.p = p;
	r.o = o;
	ret = prepare(&r);
	token_keys_free(r.keys);
	return ret;
}

/* What load_state() made. */
static void state_release(struct run *r)
{
	size_t i;

	for (i = 0; i < r->npairs; i++) {
		log_writer_close(r->pairs[i].log);
		free(r->pairs[i].rel);
	}
	free(r->pairs);
	for (i = 0; i < r->naccts; i++) {
		free(r->accts[i].pairs);
		free(r->accts[i].from_address);
		smtp_close(r->accts[i].smtp);
	}
	free(r->accts);
	for (i = 0; i < r->ncamps; i++)
		render_free(r->camps[i].render);
	free(r->camps);
	r->pairs = NULL;
	r->accts = NULL;
	r->camps = NULL;
	r->npairs = r->naccts = r->ncamps = 0;
}

static void release(struct run *r)
{
	state_release(r);
	strmap_release(&r->written, NULL);
	plan_applier_free(r->applier);
	token_keys_free(r->keys);
	buf_release(&r->msg);
	buf_release(&r->line);
	plan_recipient_holder_release(&r->holder);
	diag_release(&r->own_diags);
}

/* Ends incomplete lines an earlier killed run left in the logs this run
 * writes, and lets the plan replay them. */
size_t sender_own_logs(char ***out, struct plan *p, const struct sender_options *o)
{
	const struct config *cfg = plan_config(p);
	const struct campaigns *campaigns = plan_campaigns(p);
	size_t i, j, n = 0;

	*out = xcalloc(campaigns->count * cfg->naccounts + 1, sizeof(char *));
	for (i = 0; i < campaigns->count; i++) {
		for (j = 0; j < cfg->naccounts; j++) {
			if (selected_account(o, cfg->accounts[j].id))
				(*out)[n++] = log_path(campaigns->items[i].id, cfg->accounts[j].id);
		}
	}
	return n;
}

static int take_over_logs(struct plan *p, const struct sender_options *o, struct diag_list *diags)
{
	char **own = NULL;
	size_t i, n = sender_own_logs(&own, p, o);
	int changed = 0, ret = 0;

	for (i = 0; i < n && ret == 0; i++) {
		switch (log_terminate(plan_root(p), own[i])) {
		case 1:
			changed = 1;
			break;
		case -1:
			ret = -1;
			break;
		}
	}
	free_list(own, n);
	if (ret == 0 && changed)
		ret = plan_refresh(p, diags);
	return ret;
}

/* Waits (real clock) or jumps (virtual clock) to moment t; 1 when the run
 * was asked to stop meanwhile. */
static int advance(struct run *r, time_t t)
{
	if (t <= r->now)
		return 0;
	if (r->o->now) {
		r->now = t;
		return 0;
	}
	if (tx_commit(r) < 0)
		return -1;
	sleep_until(r, t);
	check_paused(r);
	if (tx_begin(r) < 0)
		return -1;
	r->now = time(NULL) > t ? time(NULL) : t;
	return r->o->stop && *r->o->stop ? 1 : 0;
}

/* The files this run has written, relative to the root. */
static size_t written_files(struct run *r, const char ***out)
{
	size_t i, n = 0;

	*out = xcalloc(r->written.count + 1, sizeof(char *));
	for (i = 0; i < r->written.cap; i++) {
		if (r->written.slots[i].key)
			(*out)[n++] = r->written.slots[i].key;
	}
	return n;
}

/* The remote moved: the batch's claims were not published.  Withdraw them
 * from the files, put our published lines on the new tip, and plan again. */
static int replan(struct run *r)
{
	const struct sender_publisher *pub = r->o->publisher;
	const char **files = NULL;
	struct stat st;
	size_t i, n;
	int ret = -1;

	for (i = 0; i < r->npairs; i++) {
		struct spair *pair = &r->pairs[i];
		size_t keep;

		if (!pair->log)
			continue;
		keep = pair->mark_valid ? pair->mark : pair->log->start;
		if (fstat(pair->log->fd, &st) < 0 || (size_t)st.st_size != pair->log->offset) {
			error_set("'%s' was written by another process during the run: not withdrawing the batch",
				  pair->rel);
			goto done;
		}
		if (ftruncate(pair->log->fd, (off_t)keep) < 0) {
			error_set("cannot truncate '%s': %s", pair->rel, strerror(errno));
			goto done;
		}
		log_writer_close(pair->log);
		pair->log = NULL;
	}
	n = written_files(r, &files);
	if (pub->catch_up(pub->payload, files, n) < 0)
		goto done;
	state_release(r);
	if (plan_refresh(r->p, r->diags) < 0 || tx_begin(r) < 0 || load_state(r) < 0)
		goto done;
	plan_applier_free(r->applier);
	r->applier = NULL;
	if (plan_applier_open(&r->applier, r->p, r->diags) < 0)
		goto done;
	ret = 0;
done:
	free(files);
	return ret;
}

/* Waits a little, more after each rejection, with jitter, so that runners
 * pushing to one branch do not keep colliding. */
static void back_off(int attempt)
{
	struct timespec ts;
	long ms = (50L << (attempt < 6 ? attempt : 6)) + (long)(rand() % 200);

	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (ms % 1000) * 1000000L;
	nanosleep(&ts, NULL);
}

/* Commits and pushes what the run wrote: after a batch's claims (before its
 * messages go out) and at the end. */
static int publish(struct run *r, int final)
{
	const struct sender_publisher *pub = r->o->publisher;
	const char **files = NULL;
	size_t n;
	int rc;

	if (!pub)
		return 0;
	if (tx_commit(r) < 0)
		return -1;
	n = written_files(r, &files);
	rc = pub->publish(pub->payload, files, n, final, r->report);
	free(files);
	if (rc < 0)
		return -1;
	return rc == SENDER_REJECTED ? SENDER_REJECTED : 0;
}

/* Plans the next batch: the messages due within the publisher's batch
 * window (one at a time without a publisher), claimed now. */
static int plan_batch(struct run *r, struct item **items, size_t *nitems, size_t *cap)
{
	const struct sender_publisher *pub = r->o->publisher;
	long window = pub ? pub->batch : 0;
	time_t until = 0;
	size_t i;

	*nitems = 0;
	if (!r->o->now && time(NULL) > r->now)
		r->now = time(NULL);
	for (i = 0; i < r->npairs; i++) {
		r->pairs[i].mark_valid = r->pairs[i].log != NULL;
		r->pairs[i].mark = r->pairs[i].log ? r->pairs[i].log->offset : 0;
	}
	for (;;) {
		struct sacct *best = NULL;
		struct spair *pair;
		struct delivery d;
		time_t best_due = 0, due;
		int rc;

		if (r->o->stop && *r->o->stop)
			break;
		for (i = 0; i < r->naccts; i++) {
			due = account_due(r, &r->accts[i], r->now);
			if (due >= 0 && (!best || due < best_due)) {
				best = &r->accts[i];
				best_due = due;
			}
		}
		if (r->query_failed)
			return -1;
		if (!best || best_due > r->end || (*nitems && best_due > until))
			break;
		/* a batch stays within one day of the account: attempts count by day */
		if (*nitems && schedule_day(&best->a->schedule, best_due) !=
				       schedule_day(&best->a->schedule, (*items)[0].due))
			break;
		if (!*nitems)
			until = best_due + window;
		/* claims are made when the batch's first message is due, not earlier */
		if (!window || !*nitems) {
			rc = advance(r, best_due);
			if (rc < 0)
				return -1;
			if (rc > 0)
				break;
			if (best_due < r->now)
				continue; /* slept past it: the state may have changed */
		}
		if (pick(&pair, r, best, &d, best_due) < 0)
			return -1;
		if (!pair)
			continue;
		XGROW(*items, *cap, *nitems + 1);
		if (claim_item(r, pair, &d, best_due, &(*items)[*nitems]) < 0) {
			delivery_release(&d);
			return -1;
		}
		if (!r->o->dry_run)
			strmap_put(&r->written, pair->rel, NULL);
		(*nitems)++;
		if (!window || *nitems >= BATCH_MAX_ITEMS)
			break;
	}
	return 0;
}

static int deliver_batch(struct run *r, struct item *items, size_t n)
{
	size_t i;
	int rc, ret = 0;

	for (i = 0; i < n; i++) {
		struct item *it = &items[i];
		struct sacct *a = it->pair->acct;

		if (ret < 0 || (r->o->stop && *r->o->stop) || a->red || a->broken ||
		    a->rest_until > it->due || !it->pair->camp->eligible ||
		    (it->pair->camp->c->end && it->due >= it->pair->camp->c->end)) {
			if (release_item(r, it) < 0)
				ret = -1;
			continue;
		}
		rc = advance(r, it->due);
		if (rc != 0 || !schedule_is_open(&a->a->schedule, r->now)) {
			/* stopped, failed, or late past the working hours: not sent */
			if (rc < 0)
				ret = -1;
			if (release_item(r, it) < 0)
				ret = -1;
			continue;
		}
		if (deliver_item(r, it) < 0) {
			ret = -1;
			continue;
		}
		if (!r->o->publisher &&
		    (++r->since_commit >= BATCH_MESSAGES || elapsed_ms(&r->last_commit) > 2000) &&
		    (tx_commit(r) < 0 || tx_begin(r) < 0))
			ret = -1;
	}
	return ret;
}

/* The outcomes of a run that failed part-way, published: a refused push
 * fetches and replays them (nothing is withdrawn any more), for up to
 * SENDER_REFUSAL_GRACE of refusals. */
static int publish_outcomes(struct run *r)
{
	const struct sender_publisher *pub = r->o->publisher;
	const char **files = NULL;
	time_t since = time(NULL);
	size_t i, n;
	int rc, attempt = 0;

	while ((rc = publish(r, 1)) == SENDER_REJECTED &&
	       time(NULL) - since <= SENDER_REFUSAL_GRACE) {
		back_off(++attempt);
		/* the replay rewrites the logs: nothing appends to them any more */
		for (i = 0; i < r->npairs; i++) {
			log_writer_close(r->pairs[i].log);
			r->pairs[i].log = NULL;
		}
		n = written_files(r, &files);
		rc = pub->catch_up(pub->payload, files, n);
		free(files);
		if (rc < 0)
			return -1;
	}
	return rc;
}

/* A run that fails part-way: claims that never reached SMTP are withdrawn,
 * and what did go out is recorded and published as well as it can be. */
static void salvage(struct run *r, struct item *items, size_t n)
{
	char *why = xstrdup(error_last());
	size_t i;

	if (tx_begin(r) == 0) {
		for (i = 0; i < n; i++) {
			if (!items[i].done)
				release_item(r, &items[i]);
		}
		tx_commit(r);
	}
	if (r->o->publisher && publish_outcomes(r) != 0) {
		const struct sender_publisher *pub = r->o->publisher;
		const char **files = NULL;
		size_t nfiles = written_files(r, &files);
		char *text;

		if (pub->name_unpublished)
			pub->name_unpublished(pub->payload, files, nfiles);
		text = xasprintf("could not publish the results: %s", error_last());
		sender_emit(r, SENDER_WARNING, NULL, NULL, NULL, text);
		free(text);
		free(files);
	}
	error_set("%s", why);
	free(why);
}

static void items_release(struct item *items, size_t *n)
{
	size_t i;

	for (i = 0; i < *n; i++)
		item_release(&items[i]);
	*n = 0;
}

/* After a push the remote refused: wait, then withdraw the claims of
 * messages not yet sent and plan again, unless the remote has refused
 * every push for SENDER_REFUSAL_GRACE (wall-clock time, also on the
 * virtual clock).  *rejected counts the refusals in a row, *since holds
 * when the first of them came. */
static int after_rejection(struct run *r, int *rejected, time_t *since)
{
	if (!(*rejected)++)
		*since = time(NULL);
	else if (time(NULL) - *since > SENDER_REFUSAL_GRACE)
		return error_set("the remote refused %d pushes in a row over %d minutes: it keeps moving",
				 *rejected, SENDER_REFUSAL_GRACE / 60);
	back_off(*rejected);
	return replan(r);
}

/* The run's clock and its view of the plan, logs taken over. */
static int start_run(struct run *r)
{
	const struct sender_options *o = r->o;
	time_t latest;

	if (!o->dry_run && take_over_logs(r->p, o, r->diags) < 0)
		return -1;
	if (o->now) {
		if (plan_latest_event(r->p, &latest) < 0)
			return -1;
		r->now = o->now > latest ? o->now : latest; /* time never runs backwards */
	} else {
		r->now = clock_now();
	}
	r->report->started = r->now;
	if (o->duration == SENDER_UNTIL_DONE)
		r->end = LONG_MAX;
	else
		r->end = r->now + o->duration;
	if (o->drain && r->end < r->now + 86400)
		r->end = r->now + 86400; /* a burst ends long before; the bucket decides */
	if (load_state(r) < 0)
		return -1;
	if (tx_begin(r) < 0 || plan_applier_open(&r->applier, r->p, r->diags) < 0)
		return -1;
	return 0;
}

/* Batch after batch until nothing more is due: claimed, published (when
 * there is a publisher), delivered.  A batch that fails before it goes out
 * stays in *items for salvage(). */
static int run_batches(struct run *r, struct item **items, size_t *nitems, size_t *cap)
{
	time_t since = 0;
	int rejected = 0, rc;

	for (;;) {
		if (plan_batch(r, items, nitems, cap) < 0)
			return -1;
		if (!*nitems)
			return 0;
		if (r->o->publisher) {
			rc = publish(r, 0);
			if (rc == SENDER_REJECTED) {
				items_release(*items, nitems);
				if (after_rejection(r, &rejected, &since) < 0)
					return -1;
				continue;
			}
			rejected = 0;
			if (rc < 0 || tx_begin(r) < 0)
				return -1; /* nothing of the batch went out */
		}
		rc = deliver_batch(r, *items, *nitems);
		items_release(*items, nitems);
		if (rc < 0)
			return -1;
	}
}

/* The plan committed, the report completed, the last outcomes published
 * (a moved remote gets our lines replayed on its tip). */
static int finish_run(struct run *r)
{
	time_t since = 0;
	int rejected = 0, rc;
	size_t i;

	if (r->o->dry_run) {
		plan_transaction_rollback(r->p);
		r->in_tx = 0;
	} else if (tx_commit(r) < 0) {
		return -1;
	}
	for (i = 0; i < r->ncamps; i++)
		r->report->campaigns += r->camps[i].sent > 0;
	r->report->ended = r->now;
	while ((rc = publish(r, 1)) == SENDER_REJECTED) {
		if (after_rejection(r, &rejected, &since) < 0)
			return -1;
	}
	return rc < 0 ? -1 : 0;
}

int sender_run(struct plan *p, const struct sender_options *o, struct sender_report *report)
{
	struct run r;
	struct item *items = NULL;
	size_t nitems = 0, cap = 0;
	int ret = -1;

	memset(&r, 0, sizeof(r));
	memset(report, 0, sizeof(*report));
	srand((unsigned)getpid());
	r.p = p;
	r.o = o;
	r.report = report;
	r.diags = o->diags ? o->diags : &r.own_diags;
	/* what stops a run stops it before any log is touched */
	if (prepare(&r) < 0)
		goto done;
	if (start_run(&r) < 0 || run_batches(&r, &items, &nitems, &cap) < 0 || finish_run(&r) < 0)
		goto done;
	ret = 0;
done:
	if (ret < 0 && !o->dry_run && r.applier)
		salvage(&r, items, nitems); /* only a run that has begun has claims to withdraw */
	items_release(items, &nitems);
	free(items);
	if (ret < 0 && r.in_tx) {
		/* keep what was recorded; if even that fails, the plan replays the logs */
		if (o->dry_run || tx_commit(&r) < 0)
			plan_transaction_rollback(p);
	}
	release(&r);
	return ret;
}
