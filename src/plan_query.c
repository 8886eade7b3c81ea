/*
 * The plan's named queries: what the sender, the site, the export and the
 * commands ask of the plan, so that none of them sees SQL.
 */
#include "plan_private.h"

#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "diag.h"
#include "schedule.h"
#include "xalloc.h"

/* ---- the helpers every query goes through ---- */

int plan_sql_error(struct plan *p, const char *what)
{
	snprintf(p->error, sizeof(p->error), "plan database (%s): %s", what,
		 p->db ? sqlite3_errmsg(p->db) : "not open");
	return error_set("%s", p->error);
}

int plan_step(struct plan *p, sqlite3_stmt *st)
{
	switch (sqlite3_step(st)) {
	case SQLITE_ROW:
		return PLAN_ROW;
	case SQLITE_DONE:
		return PLAN_DONE;
	default:
		return plan_sql_error(p, "query");
	}
}

const char *plan_column_text(sqlite3_stmt *st, int i)
{
	return (const char *)sqlite3_column_text(st, i);
}

/* Column i as text, "" for NULL. */
static const char *text_or_empty(sqlite3_stmt *st, int i)
{
	const char *s = plan_column_text(st, i);

	return s ? s : "";
}

const char *plan_error(const struct plan *p)
{
	return p->error;
}

/* ---- what the plan was built from ---- */

const struct config *plan_config(const struct plan *p)
{
	return &p->cfg;
}

const struct campaigns *plan_campaigns(const struct plan *p)
{
	return &p->campaigns;
}

const struct segments *plan_segments(const struct plan *p)
{
	return &p->segments;
}

const char *plan_root(const struct plan *p)
{
	return p->root;
}

const char *plan_build_dir(const struct plan *p)
{
	return p->dir;
}

const char *plan_path(const struct plan *p)
{
	return p->path;
}

const char *plan_commit(const struct plan *p)
{
	return p->commit;
}

int plan_dirty(const struct plan *p)
{
	return p->dirty;
}

time_t plan_built_at(const struct plan *p)
{
	return p->built_at;
}

struct plan_refresh_stats plan_refresh_stats(const struct plan *p)
{
	struct plan_refresh_stats s;

	s.files_read = p->files_read;
	s.files_parsed = p->files_parsed;
	s.log_lines = p->log_lines;
	s.rederived = p->rederived;
	s.rederived_deliveries = p->rederived_deliveries;
	return s;
}

/* ---- the named single-row queries: prepared once per plan ---- */

enum query {
	Q_ACCOUNT_ATTEMPTS,
	Q_ACCOUNT_STATE,
	Q_ACCOUNT_TIMES,
	Q_NEXT_PENDING,
	Q_NEXT_RETRY,
	Q_MIN_RETRY,
	Q_NOTIFICATION_EXISTS,
	Q_DELIVERY_ADDRESS,
	Q_RECIPIENT_ADDRESSES,
	Q_RECIPIENT_BY_ADDRESS,
	Q_COUNT
};

static const char *const query_sql[Q_COUNT] = {
	[Q_ACCOUNT_ATTEMPTS] = "SELECT attempts FROM daily WHERE account = ?1 AND day = ?2",
	[Q_ACCOUNT_STATE] =
		"SELECT red_since > resumed_at, rest_until, last_attempt FROM accounts WHERE id = ?1",
	[Q_ACCOUNT_TIMES] =
		"SELECT t FROM (SELECT COALESCE(sent_at, NULLIF(last_event, 0), claimed_at) AS t "
		"FROM deliveries WHERE account = ?1 AND attempts > 0) WHERE t >= ?2 AND t < ?3 "
		"ORDER BY t LIMIT ?4",
	[Q_NEXT_PENDING] =
		"SELECT recipient, address, first_at, attempts FROM deliveries "
		"WHERE campaign = ?1 AND account = ?2 AND state = 'pending' ORDER BY ord, recipient LIMIT 1",
	[Q_NEXT_RETRY] =
		"SELECT recipient, address, first_at, attempts FROM deliveries "
		"WHERE campaign = ?1 AND account = ?2 AND state = 'retrying' AND next_at <= ?3 "
		"ORDER BY next_at, ord, recipient LIMIT 1",
	[Q_MIN_RETRY] =
		"SELECT MIN(next_at) FROM deliveries WHERE campaign = ?1 AND account = ?2 AND state = 'retrying'",
	[Q_NOTIFICATION_EXISTS] =
		"SELECT 1 FROM notifications WHERE campaign = ?1 AND recipient = ?2 AND message = ?3 LIMIT 1",
	[Q_DELIVERY_ADDRESS] = "SELECT address FROM deliveries WHERE campaign = ?1 AND recipient = ?2",
	[Q_RECIPIENT_ADDRESSES] =
		"SELECT DISTINCT address FROM recipients WHERE id = ?1 AND (?2 < 0 OR type = ?2)",
	[Q_RECIPIENT_BY_ADDRESS] =
		"SELECT id FROM recipients WHERE address = ?1 ORDER BY type, id LIMIT 1",
};

/* The statement of query q, reset and unbound; NULL after error_set(). */
static sqlite3_stmt *query(struct plan *p, enum query q)
{
	if (!p->queries)
		p->queries = xcalloc(Q_COUNT, sizeof(*p->queries));
	if (!p->queries[q] && plan_prepare(p, &p->queries[q], query_sql[q]) < 0)
		return NULL;
	return p->queries[q];
}

/* Ends a use of a named query's statement; passes rc on. */
static int query_done(sqlite3_stmt *st, int rc)
{
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc;
}

void plan_queries_release(struct plan *p)
{
	size_t i;

	for (i = 0; i < p->ncached; i++)
		sqlite3_finalize(p->cached[i].st);
	p->ncached = 0;
	if (!p->queries)
		return;
	for (i = 0; i < Q_COUNT; i++)
		sqlite3_finalize(p->queries[i]);
	free(p->queries);
	p->queries = NULL;
}

/* Binds text that stays valid until the statement is reset (no copy). */
static void bind(sqlite3_stmt *st, int i, const char *s)
{
	if (s)
		sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, i);
}

/* ---- iterators ---- */

struct plan_iter {
	struct plan *p;
	sqlite3_stmt *st;
	struct plan_cached *cached; /* where st is kept, or NULL: finalized with it */
};

/* An iterator over sql (a string that stays, as the literals do): the
 * statement of an earlier iterator of the same SQL when one is free, else
 * a new one, kept for the next while there is room. */
static int iter_open(struct plan_iter **out, struct plan *p, const char *sql)
{
	struct plan_iter *it = xcalloc(1, sizeof(*it));
	struct plan_cached *c;
	size_t i;

	*out = NULL;
	it->p = p;
	for (i = 0; i < p->ncached; i++) {
		c = &p->cached[i];
		if (!c->busy && c->sql == sql && !strcmp(sqlite3_sql(c->st), sql)) {
			c->busy = 1;
			it->st = c->st;
			it->cached = c;
			*out = it;
			return 0;
		}
	}
	if (plan_prepare(p, &it->st, sql) < 0) {
		free(it);
		return -1;
	}
	if (p->ncached < sizeof(p->cached) / sizeof(*p->cached)) {
		c = &p->cached[p->ncached++];
		c->sql = sql;
		c->st = it->st;
		c->busy = 1;
		it->cached = c;
	}
	*out = it;
	return 0;
}

void plan_iter_free(struct plan_iter *it)
{
	if (!it)
		return;
	if (it->cached) {
		sqlite3_reset(it->st);
		sqlite3_clear_bindings(it->st);
		it->cached->busy = 0;
	} else {
		sqlite3_finalize(it->st);
	}
	free(it);
}

/* ---- transactions ---- */

int plan_transaction_begin(struct plan *p)
{
	return plan_exec(p, "BEGIN IMMEDIATE");
}

int plan_transaction_commit(struct plan *p)
{
	return plan_exec(p, "COMMIT");
}

int plan_transaction_rollback(struct plan *p)
{
	return plan_exec(p, "ROLLBACK");
}

/* Nested calls share the outermost transaction, and inside a write
 * transaction (the sender's) there is nothing to begin. */
int plan_read_begin(struct plan *p)
{
	if (p->reading++ || !sqlite3_get_autocommit(p->db))
		return 0;
	if (plan_exec(p, "BEGIN DEFERRED") < 0) {
		p->reading--;
		return -1;
	}
	p->read_began = 1;
	return 0;
}

int plan_read_end(struct plan *p)
{
	if (!p->reading || --p->reading || !p->read_began)
		return 0;
	p->read_began = 0;
	return plan_exec(p, "COMMIT");
}

/* ---- counts ---- */

/* Adds a row of the counts table, (account, state, n), to *out; a
 * campaign's rows come in account order. */
static void counts_add(struct plan_campaign_counts *out, size_t *cap, const char *account,
		       const char *state, long n)
{
	struct plan_account_counts *ac = out->naccounts ? &out->accounts[out->naccounts - 1] : NULL;
	int st;

	if (!ac || (ac->account ? !account || strcmp(ac->account, account) : account != NULL)) {
		XGROW(out->accounts, *cap, out->naccounts + 1);
		ac = &out->accounts[out->naccounts++];
		memset(ac, 0, sizeof(*ac));
		ac->account = account ? xstrdup(account) : NULL;
	}
	st = delivery_state_parse(state);
	if (st == STATE_CLAIMED)
		st = STATE_UNCONFIRMED;
	if (st >= 0) {
		out->count[st] += n;
		ac->count[st] += n;
	}
	out->recipients += n;
}

int plan_campaign_counts(struct plan *p, const char *campaign, struct plan_campaign_counts *out)
{
	struct plan_iter *it = NULL;
	size_t cap = 0;
	int rc;

	memset(out, 0, sizeof(*out));
	/* the counts table, in key order: '' (no account) first */
	if (iter_open(&it, p,
		      "SELECT NULLIF(account, ''), state, n FROM counts WHERE campaign = ?1 AND n > 0 "
		      "ORDER BY account, state") < 0)
		return -1;
	bind(it->st, 1, campaign);
	while ((rc = plan_step(p, it->st)) == PLAN_ROW)
		counts_add(out, &cap, plan_column_text(it->st, 0), text_or_empty(it->st, 1),
			   (long)sqlite3_column_int64(it->st, 2));
	plan_iter_free(it);
	if (rc < 0) {
		plan_campaign_counts_release(out);
		return -1;
	}
	return 0;
}

void plan_campaign_counts_release(struct plan_campaign_counts *c)
{
	size_t i;

	for (i = 0; i < c->naccounts; i++)
		free(c->accounts[i].account);
	free(c->accounts);
	memset(c, 0, sizeof(*c));
}

/* The integer of a one-row aggregate query with campaign as ?1 (or none). */
static int count_query(struct plan *p, const char *sql, const char *campaign, long *out)
{
	struct plan_iter *it = NULL;
	int rc;

	*out = 0;
	if (iter_open(&it, p, sql) < 0)
		return -1;
	if (campaign)
		bind(it->st, 1, campaign);
	rc = plan_step(p, it->st);
	if (rc == PLAN_ROW)
		*out = (long)sqlite3_column_int64(it->st, 0);
	plan_iter_free(it);
	return rc < 0 ? -1 : 0;
}

int plan_campaign_vips(struct plan *p, const char *campaign, long *out)
{
	return count_query(p,
			   "SELECT COALESCE(SUM(vip AND state NOT IN ('suppressed', 'skipped')), 0) "
			   "FROM deliveries WHERE campaign = ?1",
			   campaign, out);
}

int plan_waiting_deliveries(struct plan *p, long *out)
{
	return count_query(p,
			   "SELECT COALESCE(SUM(n.n), 0) FROM counts n JOIN campaigns c ON c.id = n.campaign "
			   "WHERE c.status = 'active' AND n.state IN ('pending', 'retrying')",
			   NULL, out);
}

/* ---- accounts ---- */

int plan_account_attempts(struct plan *p, const char *account, int day, long *out)
{
	sqlite3_stmt *st = query(p, Q_ACCOUNT_ATTEMPTS);
	int rc;

	*out = 0;
	if (!st)
		return -1;
	bind(st, 1, account);
	sqlite3_bind_int(st, 2, day);
	rc = plan_step(p, st);
	if (rc == PLAN_ROW)
		*out = (long)sqlite3_column_int64(st, 0);
	return query_done(st, rc < 0 ? -1 : 0);
}

size_t plan_account_times(struct plan *p, const char *account, time_t from, time_t to,
			  time_t *out, size_t max)
{
	sqlite3_stmt *st = query(p, Q_ACCOUNT_TIMES);
	size_t n = 0;
	int rc;

	if (!st)
		return (size_t)-1;
	bind(st, 1, account);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)from);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)to);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)max);
	while ((rc = plan_step(p, st)) == PLAN_ROW)
		out[n++] = (time_t)sqlite3_column_int64(st, 0);
	return query_done(st, rc) < 0 ? (size_t)-1 : n;
}

int plan_account_state(struct plan *p, const char *account, struct plan_account_state *out)
{
	sqlite3_stmt *st = query(p, Q_ACCOUNT_STATE);
	int rc;

	memset(out, 0, sizeof(*out));
	if (!st)
		return -1;
	bind(st, 1, account);
	rc = plan_step(p, st);
	if (rc == PLAN_ROW) {
		out->red = sqlite3_column_int(st, 0);
		out->rest_until = (time_t)sqlite3_column_int64(st, 1);
		out->last_attempt = (time_t)sqlite3_column_int64(st, 2);
	}
	return query_done(st, rc);
}

int plan_latest_event(struct plan *p, time_t *out)
{
	long t = 0;
	int rc = count_query(p,
			     "SELECT MAX(t) FROM (SELECT MAX(last_event) AS t FROM deliveries "
			     "UNION ALL SELECT MAX(time) FROM notifications "
			     "UNION ALL SELECT MAX(last_attempt) FROM accounts)",
			     NULL, &t);

	*out = (time_t)t;
	return rc;
}

/* ---- the sender's work ---- */

int plan_work_open(struct plan_iter **out, struct plan *p)
{
	return iter_open(out, p,
			 "SELECT campaign, account, SUM(state = 'pending'), "
			 "MIN(CASE WHEN state = 'retrying' THEN next_at END) FROM deliveries "
			 "WHERE state IN ('pending', 'retrying') AND account IS NOT NULL "
			 "GROUP BY campaign, account");
}

int plan_work_next(struct plan_iter *it, struct plan_work *out)
{
	int rc = plan_step(it->p, it->st);

	memset(out, 0, sizeof(*out));
	if (rc == PLAN_ROW) {
		out->campaign = text_or_empty(it->st, 0);
		out->account = text_or_empty(it->st, 1);
		out->pending = (long)sqlite3_column_int64(it->st, 2);
		out->min_retry = (time_t)sqlite3_column_int64(it->st, 3);
	}
	return rc;
}

/* The row of Q_NEXT_PENDING or Q_NEXT_RETRY, copied. */
static int next_delivery(struct plan *p, sqlite3_stmt *st, const char *campaign,
			 const char *account, struct plan_pending *out)
{
	int rc;

	memset(out, 0, sizeof(*out));
	bind(st, 1, campaign);
	bind(st, 2, account);
	rc = plan_step(p, st);
	if (rc == PLAN_ROW) {
		out->recipient = xstrdup(text_or_empty(st, 0));
		out->address = xstrdup(text_or_empty(st, 1));
		out->first_at = (time_t)sqlite3_column_int64(st, 2);
		out->attempts = (long)sqlite3_column_int64(st, 3);
	}
	return query_done(st, rc);
}

int plan_next_pending(struct plan *p, const char *campaign, const char *account,
		      struct plan_pending *out)
{
	sqlite3_stmt *st = query(p, Q_NEXT_PENDING);

	if (!st) {
		memset(out, 0, sizeof(*out));
		return -1;
	}
	return next_delivery(p, st, campaign, account, out);
}

int plan_next_retry(struct plan *p, const char *campaign, const char *account, time_t retry_due,
		    struct plan_pending *out)
{
	sqlite3_stmt *st = query(p, Q_NEXT_RETRY);

	if (!st) {
		memset(out, 0, sizeof(*out));
		return -1;
	}
	sqlite3_bind_int64(st, 3, (sqlite3_int64)retry_due);
	return next_delivery(p, st, campaign, account, out);
}

int plan_min_retry(struct plan *p, const char *campaign, const char *account, time_t *out)
{
	sqlite3_stmt *st = query(p, Q_MIN_RETRY);
	int rc;

	*out = 0;
	if (!st)
		return -1;
	bind(st, 1, campaign);
	bind(st, 2, account);
	rc = plan_step(p, st);
	if (rc == PLAN_ROW)
		*out = (time_t)sqlite3_column_int64(st, 0);
	return query_done(st, rc < 0 ? -1 : 0);
}

int plan_account_latest_open(struct plan_iter **out, struct plan *p, const char *account,
			     int limit)
{
	if (iter_open(out, p,
		      "SELECT state, code, enhanced, reply, sent_at IS NOT NULL FROM deliveries WHERE account = ?1 "
		      "AND last_event > COALESCE((SELECT resumed_at FROM accounts WHERE id = ?1), 0) "
		      "ORDER BY last_event DESC LIMIT ?2") < 0)
		return -1;
	sqlite3_bind_text((*out)->st, 1, account, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int((*out)->st, 2, limit);
	return 0;
}

int plan_account_latest_next(struct plan_iter *it, struct plan_attempt *out)
{
	int rc = plan_step(it->p, it->st);

	memset(out, 0, sizeof(*out));
	if (rc == PLAN_ROW) {
		out->state = text_or_empty(it->st, 0);
		out->code = sqlite3_column_int(it->st, 1);
		out->enhanced = text_or_empty(it->st, 2);
		if (!strcmp(out->enhanced, "-"))
			out->enhanced = "";
		out->reply = text_or_empty(it->st, 3);
		out->accepted = sqlite3_column_int(it->st, 4);
	}
	return rc;
}

/* ---- deliveries for bounces and unsubscribes ---- */

static void read_delivery(sqlite3_stmt *st, struct plan_delivery *out)
{
	out->campaign = text_or_empty(st, 0);
	out->recipient = text_or_empty(st, 1);
	out->address = text_or_empty(st, 2);
	out->account = plan_column_text(st, 3);
	out->hash = text_or_empty(st, 4);
}

int plan_delivery_by_message_id_open(struct plan_iter **out, struct plan *p,
				     const char *message_id)
{
	size_t len = strlen(message_id);

	if (iter_open(out, p,
		      "SELECT campaign, recipient, address, account, COALESCE(claim_hash, address_hash) "
		      "FROM deliveries WHERE message_id IN (?1, ?2) ORDER BY campaign, recipient") < 0)
		return -1;
	sqlite3_bind_text((*out)->st, 1, message_id, -1, SQLITE_TRANSIENT);
	if (len >= 2 && message_id[0] == '<' && message_id[len - 1] == '>')
		sqlite3_bind_text((*out)->st, 2, message_id + 1, (int)(len - 2), SQLITE_TRANSIENT);
	else
		sqlite3_bind_text((*out)->st, 2, message_id, -1, SQLITE_TRANSIENT);
	return 0;
}

int plan_delivery_next(struct plan_iter *it, struct plan_delivery *out)
{
	int rc = plan_step(it->p, it->st);

	memset(out, 0, sizeof(*out));
	if (rc == PLAN_ROW)
		read_delivery(it->st, out);
	return rc;
}

int plan_delivery_sent_open(struct plan_iter **out, struct plan *p, const char *campaign,
			    const char *recipient)
{
	if (iter_open(out, p,
		      "SELECT campaign, recipient, address, account, COALESCE(claim_hash, address_hash) "
		      "FROM deliveries WHERE campaign = ?1 AND recipient = ?2 AND message_id IS NOT NULL") < 0)
		return -1;
	sqlite3_bind_text((*out)->st, 1, campaign, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text((*out)->st, 2, recipient, -1, SQLITE_TRANSIENT);
	return 0;
}

int plan_notification_exists(struct plan *p, const char *campaign, const char *recipient,
			     const char *message)
{
	sqlite3_stmt *st = query(p, Q_NOTIFICATION_EXISTS);

	if (!st)
		return -1;
	bind(st, 1, campaign);
	bind(st, 2, recipient);
	bind(st, 3, message);
	return query_done(st, plan_step(p, st));
}

int plan_recipient_address(struct plan *p, const char *campaign, const char *recipient,
			   char **out)
{
	const struct campaign *c = campaigns_find(&p->campaigns, campaign);
	sqlite3_stmt *st = query(p, Q_DELIVERY_ADDRESS);
	int rc, rows = 0;

	*out = NULL;
	if (!st)
		return -1;
	bind(st, 1, campaign);
	bind(st, 2, recipient);
	rc = plan_step(p, st);
	if (rc == PLAN_ROW)
		*out = xstrdup(text_or_empty(st, 0));
	query_done(st, 0);
	if (rc != PLAN_DONE)
		return rc;
	st = query(p, Q_RECIPIENT_ADDRESSES);
	if (!st)
		return -1;
	bind(st, 1, recipient);
	sqlite3_bind_int(st, 2, c && c->type >= 0 ? c->type : -1);
	while ((rc = plan_step(p, st)) == PLAN_ROW) {
		if (!rows++)
			*out = xstrdup(text_or_empty(st, 0));
		else if (strcmp(*out, text_or_empty(st, 0)))
			rows = -1000;
	}
	query_done(st, 0);
	if (rc < 0 || rows < 0) {
		free(*out);
		*out = NULL;
		return rc < 0 ? -1 : 0;
	}
	return *out ? 1 : 0;
}

int plan_recipient_by_address(struct plan *p, const char *address, char **out)
{
	sqlite3_stmt *st = query(p, Q_RECIPIENT_BY_ADDRESS);
	int rc;

	*out = NULL;
	if (!st)
		return -1;
	bind(st, 1, address);
	rc = plan_step(p, st);
	if (rc == PLAN_ROW)
		*out = xstrdup(text_or_empty(st, 0));
	return query_done(st, rc);
}

/* ---- the commands' lists ---- */

int plan_retry_candidates_open(struct plan_iter **out, struct plan *p, const char *campaign,
			       int unconfirmed)
{
	if (iter_open(out, p,
		      "SELECT recipient FROM deliveries WHERE campaign = ?1 AND "
		      "(state IN ('failed', 'retrying') OR (?2 AND state IN ('unconfirmed', 'claimed'))) "
		      "ORDER BY ord, recipient") < 0)
		return -1;
	sqlite3_bind_text((*out)->st, 1, campaign, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int((*out)->st, 2, unconfirmed);
	return 0;
}

int plan_retry_candidates_next(struct plan_iter *it, const char **recipient)
{
	int rc = plan_step(it->p, it->st);

	*recipient = rc == PLAN_ROW ? text_or_empty(it->st, 0) : NULL;
	return rc;
}

int plan_preview_delivery(struct plan *p, const char *campaign, const char *recipient,
			  char **recipient_out, char **account_out)
{
	struct plan_iter *it = NULL;
	int rc;

	*recipient_out = *account_out = NULL;
	if (iter_open(&it, p,
		      "SELECT recipient, account FROM deliveries WHERE campaign = ?1 "
		      "AND (?2 IS NULL OR recipient = ?2) ORDER BY state <> 'pending', ord, recipient LIMIT 1") < 0)
		return -1;
	bind(it->st, 1, campaign);
	bind(it->st, 2, recipient);
	rc = plan_step(p, it->st);
	if (rc == PLAN_ROW) {
		*recipient_out = xstrdup(text_or_empty(it->st, 0));
		if (plan_column_text(it->st, 1))
			*account_out = xstrdup(plan_column_text(it->st, 1));
	}
	plan_iter_free(it);
	return rc;
}

/* ---- the status site ---- */

/* The WHERE term of the partial index deliveries_listed, as schema.sql has
 * it: a query that holds it can use the index (and says INDEXED BY). */
#define LISTED_TERM "state IN ('failed', 'retrying', 'claimed', 'unconfirmed', 'suppressed') "

int plan_listed_open(struct plan_iter **out, struct plan *p, const char *campaign,
		     const char *state, const char *other_state, int limit)
{
	/* found in deliveries_listed, not by reading every delivery of the
	 * campaign */
	if (iter_open(out, p,
		      "SELECT recipient, address, account, code, enhanced, reply, last_event, next_at, "
		      "COALESCE(claimed_at, last_event) FROM deliveries INDEXED BY deliveries_listed "
		      "WHERE campaign = ?1 AND state IN (?2, ?3) "
		      "AND " LISTED_TERM
		      "ORDER BY last_event DESC, recipient LIMIT ?4") < 0)
		return -1;
	sqlite3_bind_text((*out)->st, 1, campaign, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text((*out)->st, 2, state, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text((*out)->st, 3, other_state, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int((*out)->st, 4, limit);
	return 0;
}

int plan_listed_next(struct plan_iter *it, struct plan_listed *out)
{
	int rc = plan_step(it->p, it->st);

	memset(out, 0, sizeof(*out));
	if (rc == PLAN_ROW) {
		out->recipient = plan_column_text(it->st, 0);
		out->address = plan_column_text(it->st, 1);
		out->account = plan_column_text(it->st, 2);
		out->code = sqlite3_column_int(it->st, 3);
		out->enhanced = plan_column_text(it->st, 4);
		out->reply = plan_column_text(it->st, 5);
		out->last_event = (time_t)sqlite3_column_int64(it->st, 6);
		out->next_at = (time_t)sqlite3_column_int64(it->st, 7);
		out->claimed_at = (time_t)sqlite3_column_int64(it->st, 8);
	}
	return rc;
}

int plan_suppressed_open(struct plan_iter **out, struct plan *p, const char *campaign)
{
	if (iter_open(out, p,
		      "SELECT d.recipient, d.address, b.campaign, b.recipient, b.time, b.code, "
		      "b.enhanced, b.reply, d.address_hash FROM deliveries d INDEXED BY deliveries_listed "
		      "LEFT JOIN bounces b ON b.hash = d.address_hash "
		      "WHERE d.campaign = ?1 AND d.state = 'suppressed' "
		      "AND " LISTED_TERM
		      "ORDER BY d.ord, d.recipient") < 0)
		return -1;
	sqlite3_bind_text((*out)->st, 1, campaign, -1, SQLITE_TRANSIENT);
	return 0;
}

int plan_suppressed_next(struct plan_iter *it, struct plan_suppressed *out)
{
	int rc = plan_step(it->p, it->st);
	const struct suppression *listed;

	memset(out, 0, sizeof(*out));
	if (rc != PLAN_ROW)
		return rc;
	out->recipient = text_or_empty(it->st, 0);
	out->address = text_or_empty(it->st, 1);
	out->bounced_in = plan_column_text(it->st, 2);
	if (out->bounced_in) {
		out->bounced_recipient = text_or_empty(it->st, 3);
		out->bounced_at = (time_t)sqlite3_column_int64(it->st, 4);
		out->code = sqlite3_column_int(it->st, 5);
		out->enhanced = plan_column_text(it->st, 6);
		out->reply = plan_column_text(it->st, 7);
	}
	listed = suppressions_find(&it->p->suppressions, text_or_empty(it->st, 8));
	out->listed = listed ? listed->reason : NULL;
	return rc;
}

void plan_suppressed_describe(struct buf *b, const struct plan_suppressed *s)
{
	char when[32], code[16];

	if (s->bounced_in) {
		time_format_rfc3339(when, s->bounced_at);
		snprintf(code, sizeof(code), "%d", s->code);
		buf_addf(b, "hard bounce %s in %s (%s): ", when, s->bounced_in, s->bounced_recipient);
		/* server replies usually carry their codes already; a report
		 * may have no code (0) or no enhanced code ("-") */
		if (!s->reply || !s->code || strncmp(s->reply, code, strlen(code))) {
			if (s->code)
				buf_addf(b, "%s ", code);
			if (s->enhanced && strcmp(s->enhanced, "-"))
				buf_addf(b, "%s ", s->enhanced);
		}
		buf_adds(b, s->reply ? s->reply : "");
	}
	if (s->listed)
		buf_addf(b, "%slisted in recipients/suppressions.tsv (%s)", s->bounced_in ? "; " : "",
			 s->listed);
}

int plan_progress_open(struct plan_iter **out, struct plan *p)
{
	return iter_open(out, p,
			 "SELECT campaign, account, day, sent FROM progress WHERE sent > 0 "
			 "ORDER BY campaign, day, account");
}

int plan_progress_next(struct plan_iter *it, struct plan_progress *out)
{
	int rc = plan_step(it->p, it->st);

	memset(out, 0, sizeof(*out));
	if (rc == PLAN_ROW) {
		out->campaign = text_or_empty(it->st, 0);
		out->account = plan_column_text(it->st, 1);
		out->day = sqlite3_column_int(it->st, 2);
		out->sent = (long)sqlite3_column_int64(it->st, 3);
	}
	return rc;
}

/* ---- the export ---- */

int plan_export_open(struct plan_iter **out, struct plan *p, const struct campaign *c)
{
	if (iter_open(out, p,
		      "SELECT d.recipient, COALESCE(r.email, d.address), d.state, d.account, "
		      "COALESCE(d.sent_at, d.claimed_at, NULLIF(d.last_event, 0)), d.attempts, "
		      "d.code, d.enhanced, d.reply "
		      "FROM deliveries d LEFT JOIN recipients r ON r.type = ?2 AND r.id = d.recipient "
		      "WHERE d.campaign = ?1 ORDER BY d.ord, d.recipient") < 0)
		return -1;
	sqlite3_bind_text((*out)->st, 1, c->id, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int((*out)->st, 2, c->type);
	return 0;
}

int plan_export_next(struct plan_iter *it, struct plan_export_row *out)
{
	int rc = plan_step(it->p, it->st);

	memset(out, 0, sizeof(*out));
	if (rc == PLAN_ROW) {
		out->recipient = text_or_empty(it->st, 0);
		out->email = text_or_empty(it->st, 1);
		out->state = text_or_empty(it->st, 2);
		out->account = text_or_empty(it->st, 3);
		out->has_time = sqlite3_column_type(it->st, 4) != SQLITE_NULL;
		out->time = (time_t)sqlite3_column_int64(it->st, 4);
		out->attempts = text_or_empty(it->st, 5);
		out->code = text_or_empty(it->st, 6);
		out->enhanced = text_or_empty(it->st, 7);
		out->reply = text_or_empty(it->st, 8);
	}
	return rc;
}

/* ---- counts and statuses: the one place they are computed ---- */

static void describe_time(char out[32], long long t)
{
	time_format_rfc3339(out, (time_t)t);
}

int plan_accounts(struct plan *p, time_t now, struct account_summary **out)
{
	struct account_summary *list = xcalloc(p->cfg.naccounts + 1, sizeof(*list));
	sqlite3_stmt *acc = NULL, *sent = NULL;
	int orgday = schedule_day(&p->cfg.schedule, now);
	size_t i;
	int rc, ret = -1;

	*out = NULL;
	if (plan_prepare(p, &acc,
			 "SELECT red_since, resumed_at, red_reason, rest_until, rest_reason FROM accounts WHERE id = ?") < 0 ||
	    plan_prepare(p, &sent,
			 "SELECT COALESCE(SUM(sent), 0) FROM progress WHERE account = ? AND day = ?") < 0)
		goto done;
	for (i = 0; i < p->cfg.naccounts; i++) {
		const struct account *a = &p->cfg.accounts[i];
		struct account_summary *s = &list[i];
		long long red_since = 0, resumed_at = 0, rest_until = 0;
		char when[32];

		s->account = a;
		bind(acc, 1, a->id);
		rc = plan_step(p, acc);
		if (rc < 0)
			goto done;
		if (rc == PLAN_ROW) {
			red_since = sqlite3_column_int64(acc, 0);
			resumed_at = sqlite3_column_int64(acc, 1);
			rest_until = sqlite3_column_int64(acc, 3);
			if (!a->enabled) {
				snprintf(s->reason, sizeof(s->reason), "disabled in mailout.yaml");
			} else if (red_since > resumed_at) {
				s->red = 1;
				describe_time(when, red_since);
				snprintf(s->reason, sizeof(s->reason),
					 "critical error at %s: %s (until 'mailout resume')", when,
					 text_or_empty(acc, 2));
			} else if (rest_until > (long long)now) {
				describe_time(when, rest_until);
				snprintf(s->reason, sizeof(s->reason), "resting until %s: %s", when,
					 text_or_empty(acc, 4));
			}
		} else if (!a->enabled) {
			snprintf(s->reason, sizeof(s->reason), "disabled in mailout.yaml");
		}
		sqlite3_reset(acc);
		if (plan_account_attempts(p, a->id, schedule_day(&a->schedule, now),
					  &s->attempts_today) < 0)
			goto done;
		bind(sent, 1, a->id);
		sqlite3_bind_int(sent, 2, orgday);
		rc = plan_step(p, sent);
		if (rc < 0)
			goto done;
		if (rc == PLAN_ROW)
			s->sent_today = (long)sqlite3_column_int64(sent, 0);
		sqlite3_reset(sent);
		if (!s->reason[0] && s->attempts_today >= a->daily_limit)
			snprintf(s->reason, sizeof(s->reason), "daily limit reached (%ld of %ld today)",
				 s->attempts_today, a->daily_limit);
		s->usable = !s->reason[0];
	}
	*out = list;
	list = NULL;
	ret = 0;
done:
	free(list);
	sqlite3_finalize(acc);
	sqlite3_finalize(sent);
	return ret;
}

static enum campaign_state campaign_state_of(const struct campaign *c, const long *count,
					     int interrupted, int errors)
{
	if (c->status == CAMPAIGN_MERGED)
		return STATUS_MERGED;
	if (!count[STATE_PENDING] && !count[STATE_RETRYING] && !count[STATE_UNCONFIRMED])
		return STATUS_DONE;
	if (c->status == CAMPAIGN_PAUSED)
		return STATUS_PAUSED;
	if (interrupted)
		return STATUS_INTERRUPTED;
	if (errors)
		return STATUS_ACTIVE_ERROR;
	return STATUS_ACTIVE;
}

/*
 * What the summaries read once for every campaign instead of once per
 * campaign (at 10,000 campaigns, 50,000 fewer queries): each query's rows
 * go to the summary of their campaign, found by id in at (index + 1).
 */
static struct campaign_summary *summary_of(const struct strmap *at, struct campaign_summary *list,
					   const char *campaign)
{
	const struct strmap_entry *e = campaign ? strmap_get(at, campaign) : NULL;

	return e ? &list[(intptr_t)e->value - 1] : NULL;
}

/* The value of each campaign's row of sql, (campaign, value) with ?1 the
 * day when sql has it, into values[] by summary; 0 without a row. */
static int campaign_values(struct plan *p, const char *sql, int day, const struct strmap *at,
			   struct campaign_summary *list, long *values)
{
	struct plan_iter *it = NULL;
	struct campaign_summary *s;
	int rc;

	if (iter_open(&it, p, sql) < 0)
		return -1;
	if (sqlite3_bind_parameter_count(it->st))
		sqlite3_bind_int(it->st, 1, day);
	while ((rc = plan_step(p, it->st)) == PLAN_ROW) {
		if ((s = summary_of(at, list, plan_column_text(it->st, 0))))
			values[s - list] = (long)sqlite3_column_int64(it->st, 1);
	}
	plan_iter_free(it);
	return rc < 0 ? -1 : 0;
}

/* Hands the counts gathered in *c to s. */
static void counts_to_summary(struct campaign_summary *s, struct plan_campaign_counts *c)
{
	s->recipients = c->recipients;
	memcpy(s->count, c->count, sizeof(s->count));
	s->by_account = c->accounts;
	s->nby_account = c->naccounts;
	memset(c, 0, sizeof(*c));
}

/* Every campaign's counts, from one walk of the counts table in key order
 * (a campaign's rows together). */
static int all_counts(struct plan *p, const struct strmap *at, struct campaign_summary *list)
{
	struct plan_iter *it = NULL;
	struct plan_campaign_counts c;
	struct campaign_summary *s, *cur = NULL;
	size_t cap = 0;
	int rc;

	memset(&c, 0, sizeof(c));
	if (iter_open(&it, p,
		      "SELECT campaign, NULLIF(account, ''), state, n FROM counts WHERE n > 0 "
		      "ORDER BY campaign, account, state") < 0)
		return -1;
	while ((rc = plan_step(p, it->st)) == PLAN_ROW) {
		if (!(s = summary_of(at, list, plan_column_text(it->st, 0))))
			continue;
		if (s != cur) {
			if (cur)
				counts_to_summary(cur, &c);
			cur = s;
			/* room for a few accounts from the start */
			cap = 4;
			c.accounts = xmalloc(cap * sizeof(*c.accounts));
		}
		counts_add(&c, &cap, plan_column_text(it->st, 1), text_or_empty(it->st, 2),
			   (long)sqlite3_column_int64(it->st, 3));
	}
	if (cur)
		counts_to_summary(cur, &c);
	plan_iter_free(it);
	return rc < 0 ? -1 : 0;
}

/* The ages of the unconfirmed claims of s's accounts at now (few: read
 * from the index on (campaign, account, state) only where there are some). */
static int unconfirmed_ages(struct plan *p, sqlite3_stmt *st, struct campaign_summary *s,
			    time_t now)
{
	size_t j;
	int rc;

	for (j = 0; j < s->nby_account; j++) {
		struct plan_account_counts *ac = &s->by_account[j];

		if (!ac->account || !ac->count[STATE_UNCONFIRMED])
			continue;
		bind(st, 1, s->campaign->id);
		bind(st, 2, ac->account);
		sqlite3_bind_int64(st, 3, (sqlite3_int64)(now - PLAN_UNCONFIRMED_ALERT));
		rc = plan_step(p, st);
		if (rc == PLAN_ROW) {
			ac->oldest_unconfirmed = (time_t)sqlite3_column_int64(st, 0);
			ac->unconfirmed_overdue = (long)sqlite3_column_int64(st, 1);
		}
		sqlite3_reset(st);
		if (rc < 0)
			return -1;
	}
	return 0;
}

/* The critical notification behind an interrupted campaign: the newest
 * one that turned red an account holding its pending deliveries. */
static int critical_note(struct plan *p, sqlite3_stmt *st, struct campaign_summary *s)
{
	struct notification *nt = &s->critical;
	int rc;

	bind(st, 1, s->campaign->id);
	rc = plan_step(p, st);
	if (rc == PLAN_ROW) {
		nt->time = (time_t)sqlite3_column_int64(st, 0);
		nt->account = xstrdup(text_or_empty(st, 1));
		nt->recipient = xstrdup(text_or_empty(st, 2));
		nt->message = xstrdup(text_or_empty(st, 3));
		nt->campaign = xstrdup(text_or_empty(st, 4));
	}
	sqlite3_reset(st);
	return rc < 0 ? -1 : 0;
}

static int owns(const struct account_summary *a, const char *owner)
{
	return a->account->owner && !strcmp(a->account->owner, owner);
}

int plan_summaries(struct plan *p, time_t now, struct campaign_summary **out, size_t *n)
{
	struct campaign_summary *list = NULL;
	struct account_summary *accounts = NULL;
	struct strmap at = STRMAP_INIT, owners = STRMAP_INIT;
	struct strmap_entry *e;
	sqlite3_stmt *notes = NULL, *ages = NULL, *critical = NULL;
	long *today = NULL, *red = NULL, *errs = NULL, *total = NULL;
	int orgday = schedule_day(&p->cfg.schedule, now);
	size_t i, j, k = 0, owned;
	int rc = 0, ret = -1, added;

	*out = NULL;
	*n = 0;
	if (plan_read_begin(p) < 0)
		return -1;
	list = xcalloc(p->campaigns.count + 1, sizeof(*list));
	for (i = 0; i < p->campaigns.count; i++) {
		const struct campaign *c = &p->campaigns.items[i];
		const struct person *owner = config_person(&p->cfg, c->owner);

		if (!c->valid)
			continue;
		list[k].campaign = c;
		list[k].department = owner ? owner->department : NULL;
		strmap_put(&at, c->id, NULL)->value = (void *)(intptr_t)(++k);
	}
	today = xcalloc(k + 1, sizeof(*today));
	red = xcalloc(k + 1, sizeof(*red));
	errs = xcalloc(k + 1, sizeof(*errs));
	total = xcalloc(k + 1, sizeof(*total));
	if (plan_accounts(p, now, &accounts) < 0 || all_counts(p, &at, list) < 0 ||
	    campaign_values(p, "SELECT campaign, SUM(sent) FROM progress WHERE day = ?1 GROUP BY campaign",
			    orgday, &at, list, today) < 0 ||
	    /* what red accounts hold is read from the counts, not the deliveries */
	    campaign_values(p,
			    "SELECT n.campaign, SUM(n.n) FROM accounts a CROSS JOIN counts n "
			    "WHERE a.red_since > a.resumed_at AND n.account = a.id "
			    "AND n.state IN ('pending', 'retrying') GROUP BY n.campaign",
			    0, &at, list, red) < 0 ||
	    campaign_values(p, "SELECT id, last_error > last_reset FROM campaigns", 0, &at, list, errs) < 0 ||
	    campaign_values(p, "SELECT campaign, COUNT(*) FROM notifications GROUP BY campaign", 0, &at,
			    list, total) < 0)
		goto done;
	if (plan_prepare(p, &notes,
			 "SELECT time, account, recipient, message FROM notifications WHERE campaign = ?1 ORDER BY time DESC, id DESC LIMIT 20") < 0 ||
	    plan_prepare(p, &ages,
			 "SELECT COALESCE(MIN(claimed_at), 0), COALESCE(SUM(claimed_at < ?3), 0) "
			 "FROM deliveries WHERE campaign = ?1 AND account = ?2 "
			 "AND state IN ('claimed', 'unconfirmed')") < 0 ||
	    plan_prepare(p, &critical,
			 "SELECT n.time, n.account, n.recipient, n.message, n.campaign FROM accounts a "
			 "JOIN notifications n ON n.account = a.id AND n.time = a.red_since "
			 "WHERE a.red_since > a.resumed_at AND EXISTS (SELECT 1 FROM counts c "
			 "WHERE c.campaign = ?1 AND c.account = a.id AND c.state IN ('pending', 'retrying') "
			 "AND c.n > 0) "
			 "ORDER BY n.time DESC, n.id DESC LIMIT 1") < 0)
		goto done;
	for (i = 0; i < k; i++) {
		struct campaign_summary *s = &list[i];
		const struct campaign *c = s->campaign;
		long done_count;

		if (unconfirmed_ages(p, ages, s, now) < 0)
			goto done;
		s->sent_today = today[i];
		done_count = s->count[STATE_SENT] + s->count[STATE_FAILED] +
			     s->count[STATE_SUPPRESSED] + s->count[STATE_SKIPPED];
		s->completion = s->recipients ? (int)(done_count * 100 / s->recipients) : 100;
		s->status = campaign_state_of(c, s->count, red[i] > 0, errs[i] != 0);
		if (s->status == STATUS_INTERRUPTED && critical_note(p, critical, s) < 0)
			goto done;
		/* the owner's few accounts, of all the organisation's: made for
		 * the owner's first campaign, shared by the others */
		e = strmap_put(&owners, c->owner, &added);
		if (!added) {
			const struct campaign_summary *first = &list[(intptr_t)e->value];

			s->accounts = first->accounts;
			s->naccounts = first->naccounts;
		} else {
			e->value = (void *)(intptr_t)i;
			s->accounts_owner = 1;
			for (j = owned = 0; j < p->cfg.naccounts; j++)
				owned += owns(&accounts[j], c->owner);
			s->accounts = xcalloc(owned + 1, sizeof(*s->accounts));
			for (j = 0; j < p->cfg.naccounts; j++) {
				if (owns(&accounts[j], c->owner))
					s->accounts[s->naccounts++] = accounts[j];
			}
		}
		s->total_notifications = total[i];
		if (!s->total_notifications)
			continue;
		s->notifications = xcalloc(21, sizeof(*s->notifications));
		bind(notes, 1, c->id);
		while (s->nnotifications < 20 && (rc = plan_step(p, notes)) == PLAN_ROW) {
			struct notification *nt = &s->notifications[s->nnotifications++];
			nt->time = (time_t)sqlite3_column_int64(notes, 0);
			nt->account = xstrdup(text_or_empty(notes, 1));
			nt->recipient = xstrdup(text_or_empty(notes, 2));
			nt->message = xstrdup(text_or_empty(notes, 3));
		}
		sqlite3_reset(notes);
		if (rc < 0)
			goto done;
	}
	*out = list;
	*n = k;
	list = NULL;
	ret = 0;
done:
	plan_summaries_free(list, k);
	free(accounts);
	free(today);
	free(red);
	free(errs);
	free(total);
	strmap_release(&at, NULL);
	strmap_release(&owners, NULL);
	sqlite3_finalize(notes);
	sqlite3_finalize(ages);
	sqlite3_finalize(critical);
	if (plan_read_end(p) < 0)
		ret = -1;
	return ret;
}

void plan_summaries_free(struct campaign_summary *s, size_t n)
{
	struct plan_campaign_counts counts;
	size_t i, j;

	if (!s)
		return;
	for (i = 0; i < n; i++) {
		for (j = 0; j < s[i].nnotifications; j++) {
			free(s[i].notifications[j].account);
			free(s[i].notifications[j].recipient);
			free(s[i].notifications[j].message);
		}
		free(s[i].notifications);
		free(s[i].critical.account);
		free(s[i].critical.recipient);
		free(s[i].critical.message);
		free(s[i].critical.campaign);
		if (s[i].accounts_owner)
			free(s[i].accounts);
		memset(&counts, 0, sizeof(counts));
		counts.accounts = s[i].by_account;
		counts.naccounts = s[i].nby_account;
		plan_campaign_counts_release(&counts);
	}
	free(s);
}

int plan_recipient(struct plan *p, int type, const char *id, struct recipient *out,
		   struct plan_recipient_holder *h)
{
	sqlite3_stmt *st = NULL;
	int rc;

	memset(out, 0, sizeof(*out));
	if (plan_prepare(p, &st,
			 "SELECT id, email, address, owner, vip, fields, line FROM recipients WHERE type = ?1 AND id = ?2") < 0)
		return -1;
	sqlite3_bind_int(st, 1, type);
	bind(st, 2, id);
	rc = plan_step(p, st);
	if (rc == PLAN_ROW) {
		plan_recipient_holder_release(h);
		h->id = xstrdup(text_or_empty(st, 0));
		h->email = xstrdup(text_or_empty(st, 1));
		h->address = xstrdup(text_or_empty(st, 2));
		h->owner = xstrdup(text_or_empty(st, 3));
		h->blob_len = (size_t)sqlite3_column_bytes(st, 5);
		h->blob = xmalloc(h->blob_len + 1);
		memcpy(h->blob, sqlite3_column_blob(st, 5), h->blob_len);
		out->type = (enum recipient_type)type;
		out->id = h->id;
		out->email = h->email;
		out->address = h->address;
		out->owner = h->owner;
		out->vip = sqlite3_column_int(st, 4);
		out->line = sqlite3_column_int(st, 6);
		out->node = recipient_decode_fields(&h->fields, h->blob, h->blob_len);
	}
	sqlite3_finalize(st);
	return rc < 0 ? -1 : rc == PLAN_ROW ? 0 : 1;
}

void plan_recipient_holder_release(struct plan_recipient_holder *h)
{
	free(h->id);
	free(h->email);
	free(h->address);
	free(h->owner);
	free(h->blob);
	h->id = h->email = h->address = h->owner = NULL;
	h->blob = NULL;
	h->blob_len = 0;
	recipient_fields_release(&h->fields);
}

/* ---- claims for `mailout confirm` ---- */

int plan_open_claims_open(struct plan_iter **out, struct plan *p)
{
	return iter_open(out, p,
			 "SELECT campaign, recipient, account, message_id, claimed_at FROM deliveries "
			 "WHERE state IN ('unconfirmed', 'claimed') AND account IS NOT NULL "
			 "AND message_id IS NOT NULL AND message_id != '-' AND last_event = claimed_at "
			 "ORDER BY account, claimed_at, campaign, recipient");
}

int plan_open_claims_next(struct plan_iter *it, struct plan_claim *out)
{
	int rc = plan_step(it->p, it->st);

	memset(out, 0, sizeof(*out));
	if (rc == PLAN_ROW) {
		out->campaign = text_or_empty(it->st, 0);
		out->recipient = text_or_empty(it->st, 1);
		out->account = text_or_empty(it->st, 2);
		out->message_id = text_or_empty(it->st, 3);
		out->claimed_at = (time_t)sqlite3_column_int64(it->st, 4);
	}
	return rc;
}

int plan_account_accepted_open(struct plan_iter **out, struct plan *p, const char *account,
			       int limit)
{
	if (iter_open(out, p,
		      "SELECT message_id FROM deliveries WHERE account = ?1 AND state = 'sent' "
		      "AND sent_at IS NOT NULL AND message_id IS NOT NULL AND message_id != '-' "
		      "ORDER BY sent_at DESC, campaign, recipient LIMIT ?2") < 0)
		return -1;
	sqlite3_bind_text((*out)->st, 1, account, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int((*out)->st, 2, limit);
	return 0;
}

int plan_account_accepted_next(struct plan_iter *it, const char **message_id)
{
	int rc = plan_step(it->p, it->st);

	*message_id = rc == PLAN_ROW ? text_or_empty(it->st, 0) : NULL;
	return rc;
}
