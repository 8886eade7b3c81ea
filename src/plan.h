/*
 * The send plan: build/plan.db, a SQLite database derived from the
 * repository (schema.sql).  plan_open() refreshes it incrementally:
 *
 *  - a source file whose size and mtime are unchanged is trusted unread;
 *    one whose git blob id is unchanged is not parsed again;
 *  - a changed recipient file replaces only its own records, and when
 *    nothing else changed only the deliveries of the addresses it touched
 *    are derived again (plan_rederive.c);
 *  - when other content changed, the deliveries are derived again from the
 *    recipients and every log is replayed;
 *  - when logs were only appended to, just the new lines are replayed.
 *
 * A refresh runs in one transaction and a full build writes a new file
 * that replaces the old one by rename(), so a failed or killed build
 * leaves the previous plan as it was.  Counts and statuses are computed in
 * one place, plan_summaries() (the counts by plan_campaign_counts()), for
 * the status command, its JSON, the site and `new`, from the counts
 * table that triggers keep in step with the deliveries.
 */
#ifndef MAILOUT_PLAN_H
#define MAILOUT_PLAN_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "campaign.h"
#include "config.h"
#include "diag.h"
#include "log.h"
#include "recipients.h"

#define PLAN_SCHEMA_VERSION 6
#define PLAN_REBUILD 1u

/* The plan is opaque: callers read it through the functions below. */
struct plan;

/*
 * Opens and refreshes the plan of the repository at root; build_dir NULL
 * means <root>/build.  Content problems are added to diags; with any error
 * the plan is left as it was and -1 is returned.
 */
int plan_open(struct plan **out, const char *root, const char *build_dir, unsigned flags,
	      struct diag_list *diags);
void plan_close(struct plan *p);

enum delivery_state {
	STATE_PENDING,
	STATE_CLAIMED,
	STATE_SENT,
	STATE_FAILED,
	STATE_RETRYING,
	STATE_SUPPRESSED,
	STATE_SKIPPED,
	STATE_UNCONFIRMED,
	STATE_COUNT
};
const char *delivery_state_name(enum delivery_state s);
int delivery_state_parse(const char *s);

enum campaign_state {
	STATUS_ACTIVE,
	STATUS_ACTIVE_ERROR,
	STATUS_PAUSED,
	STATUS_INTERRUPTED,
	STATUS_DONE,
	STATUS_MERGED
};
const char *campaign_state_name(enum campaign_state s); /* "active_error", ... */
const char *campaign_state_label(enum campaign_state s); /* "Active but error", ... */

struct account_summary {
	const struct account *account;
	int usable;
	int red; /* a critical error, until resume */
	char reason[256]; /* why not usable; "" when usable */
	long attempts_today; /* in the account's zone */
	long sent_today; /* in the organisation's zone */
};

struct notification {
	time_t time;
	char *account, *recipient, *message;
	char *campaign; /* the campaign that recorded it: set for critical only */
};

struct plan_account_counts {
	char *account; /* NULL for deliveries without an account */
	long count[STATE_COUNT]; /* claimed is counted as unconfirmed */
	/* By plan_summaries() only: the unconfirmed claims older than
	 * PLAN_UNCONFIRMED_ALERT at its time, and the time of the oldest
	 * unconfirmed claim (0 when there is none). */
	long unconfirmed_overdue;
	time_t oldest_unconfirmed;
};

/* Seconds after which an unconfirmed claim is an alert (status --check). */
#define PLAN_UNCONFIRMED_ALERT 3600

struct campaign_summary {
	const struct campaign *campaign;
	const char *department; /* the owner's, may be NULL */
	enum campaign_state status;
	long recipients;
	long count[STATE_COUNT]; /* claimed is counted as unconfirmed */
	int completion; /* 0-100 */
	long sent_today;
	/* the owner's accounts: one array for all the owner's campaigns,
	 * freed with the first (accounts_owner) */
	struct account_summary *accounts;
	size_t naccounts;
	int accounts_owner;
	struct notification *notifications; /* newest first, at most 20 */
	size_t nnotifications;
	long total_notifications;
	/* interrupted: the critical error that stopped one of its accounts,
	 * from whichever campaign recorded it (a shared account); time 0
	 * otherwise */
	struct notification critical;
	struct plan_account_counts *by_account; /* the deliveries by account */
	size_t nby_account;
};

/* Summaries of every campaign in id order, at time now. */
int plan_summaries(struct plan *p, time_t now, struct campaign_summary **out, size_t *n);
void plan_summaries_free(struct campaign_summary *s, size_t n);
/* Usability of every account at time now (same order as cfg.accounts). */
int plan_accounts(struct plan *p, time_t now, struct account_summary **out);

/*
 * A recipient of the plan by type and id, decoded into *out; its strings
 * and nodes live in holder and fields until the next call with them.
 * Returns 0, 1 when there is no such recipient, -1 on error.
 */
struct plan_recipient_holder {
	char *id, *email, *address, *owner;
	void *blob;
	size_t blob_len;
	struct recipient_fields fields;
};
int plan_recipient(struct plan *p, int type, const char *id, struct recipient *out,
		   struct plan_recipient_holder *holder);
void plan_recipient_holder_release(struct plan_recipient_holder *h);

/*
 * Records that the log rel (relative to the root) has been applied to the
 * plan up to offset, whose content hashes to fnv (FNV-1a from FNV1A_INIT):
 * the sender calls it in the transaction that applies its own lines.
 */
int plan_log_advance(struct plan *p, const char *rel, size_t offset, uint64_t fnv);

/* Refreshes an open plan again (after logs were appended by this process
 * or files changed under it): the content is loaded again, so pointers
 * into cfg, campaigns, segments and suppressions are invalid afterwards. */
int plan_refresh(struct plan *p, struct diag_list *diags);

/*
 * Applies log events to the plan as they are written, through the same
 * code that replays logs, so a sender's view and a rebuilt plan agree.
 * flush stores the aggregates (daily counts, account states) and settles
 * suppressions; call it before committing.
 */
struct plan_applier;
int plan_applier_open(struct plan_applier **out, struct plan *p, struct diag_list *diags);
int plan_applier_apply(struct plan_applier *a, const char *campaign, const char *account,
		       const struct log_entry *e);
int plan_applier_flush(struct plan_applier *a);
void plan_applier_free(struct plan_applier *a);

/* ---- what the plan was built from (plan_query.c) ---- */

/* The content loaded with the plan; plan_refresh() loads it again. */
const struct config *plan_config(const struct plan *p);
const struct campaigns *plan_campaigns(const struct plan *p);
const struct segments *plan_segments(const struct plan *p);
const char *plan_root(const struct plan *p);
const char *plan_build_dir(const struct plan *p);
/* The folder plan_open(root, build_dir) works in (free it). */
char *plan_dir_for(const char *root, const char *build_dir);
const char *plan_path(const struct plan *p); /* <build dir>/plan.db */
const char *plan_commit(const struct plan *p); /* the HEAD commit id, "" when none */
int plan_dirty(const struct plan *p);
time_t plan_built_at(const struct plan *p);

/* What the last refresh did. */
struct plan_refresh_stats {
	size_t files_read, files_parsed, log_lines;
	int rederived; /* the deliveries were derived again */
	size_t rederived_deliveries; /* or only these, for changed recipient files */
};
struct plan_refresh_stats plan_refresh_stats(const struct plan *p);

/* ---- queries (plan_query.c) ----
 *
 * A query that returns one row returns 1 with the row in *out, 0 when
 * there is none; a query of a value returns 0.  Iterators' _next return
 * PLAN_ROW with the row in *out, PLAN_DONE at the end.  Every one returns
 * -1 when the database fails, after error_set(); plan_error() keeps the
 * message.  Strings of a row stay valid until the next call with it.
 */
enum { PLAN_DONE = 0, PLAN_ROW = 1 };

/* The message of the plan's last failed query, "" when none failed. */
const char *plan_error(const struct plan *p);

/* The plan's write transaction (BEGIN IMMEDIATE), for the sender. */
int plan_transaction_begin(struct plan *p);
int plan_transaction_commit(struct plan *p);
int plan_transaction_rollback(struct plan *p);
/* A read transaction, for a reader of many queries (the status site,
 * the summaries): one snapshot of the plan, and one lock for all of them
 * instead of one per query.  Calls nest; inside a write transaction they
 * do nothing. */
int plan_read_begin(struct plan *p);
int plan_read_end(struct plan *p);

/* An iterator over the rows of one query; _free accepts NULL. */
struct plan_iter;
void plan_iter_free(struct plan_iter *it);

/* Deliveries of campaign by account and state; the one place deliveries
 * are counted (plan_summaries() reports these counts). */
struct plan_campaign_counts {
	long recipients; /* every delivery */
	long count[STATE_COUNT]; /* claimed is counted as unconfirmed */
	struct plan_account_counts *accounts; /* in account order */
	size_t naccounts;
};
int plan_campaign_counts(struct plan *p, const char *campaign, struct plan_campaign_counts *out);
void plan_campaign_counts_release(struct plan_campaign_counts *c);
/* VIP deliveries of campaign that are neither suppressed nor skipped. */
int plan_campaign_vips(struct plan *p, const char *campaign, long *out);
/* Deliveries of active campaigns still pending or retrying. */
int plan_waiting_deliveries(struct plan *p, long *out);

/* Attempts of account on day (YYYYMMDD in the account's zone); 0 when none. */
int plan_account_attempts(struct plan *p, const char *account, int day, long *out);

/*
 * The latest attempt of each delivery the account attempted within
 * [from, to), ascending, at most max of them, into out; their number, or
 * (size_t)-1 after error_set().  A delivery attempted twice in the span
 * counts once: compare with plan_account_attempts() to know it is all.
 */
size_t plan_account_times(struct plan *p, const char *account, time_t from, time_t to,
			  time_t *out, size_t max);

/* The sending state of an account; 0 when the plan has no row for it. */
struct plan_account_state {
	int red; /* a critical error since the last resume */
	time_t rest_until, last_attempt;
};
int plan_account_state(struct plan *p, const char *account, struct plan_account_state *out);

/* The deliveries the account attempted since its last resume, by the
 * time of their last event, newest first, at most limit: the sender
 * counts the refusals in a row at RCPT with them. */
struct plan_attempt {
	const char *state, *enhanced, *reply; /* enhanced "" when none */
	int code;
	int accepted; /* the server once accepted it (a report may have failed it since) */
};
int plan_account_latest_open(struct plan_iter **out, struct plan *p, const char *account,
			     int limit);
int plan_account_latest_next(struct plan_iter *it, struct plan_attempt *out);

/* The time of the newest event of the plan (0 when there is none). */
int plan_latest_event(struct plan *p, time_t *out);

/* Work per campaign and account: deliveries pending, and the earliest
 * retry (0 when none), for each pair with an account and either. */
struct plan_work {
	const char *campaign, *account;
	long pending;
	time_t min_retry;
};
int plan_work_open(struct plan_iter **out, struct plan *p);
int plan_work_next(struct plan_iter *it, struct plan_work *out);

/* The next delivery of campaign by account to send: the pending one first
 * in order, or with retry_due set the retrying one due earliest at or
 * before retry_due. */
struct plan_pending {
	char *recipient, *address; /* malloc'd: the caller frees them */
	time_t first_at;
	long attempts;
};
int plan_next_pending(struct plan *p, const char *campaign, const char *account,
		      struct plan_pending *out);
int plan_next_retry(struct plan *p, const char *campaign, const char *account, time_t retry_due,
		    struct plan_pending *out);
/* The earliest retry of campaign by account; 0 when none waits. */
int plan_min_retry(struct plan *p, const char *campaign, const char *account, time_t *out);

/* A delivery as bounces and unsubscribes find it: address is the
 * recipient's address now, hash (addr_hash()) that of the address its
 * message went to (its latest claim's), which may differ from it. */
struct plan_delivery {
	const char *campaign, *recipient, *address, *hash;
	const char *account; /* NULL when none was assigned */
};
/* Deliveries whose Message-ID is message_id, with or without its angle
 * brackets, by campaign and recipient. */
int plan_delivery_by_message_id_open(struct plan_iter **out, struct plan *p,
				     const char *message_id);
/* The delivery of recipient in campaign, when a message went out for it. */
int plan_delivery_sent_open(struct plan_iter **out, struct plan *p, const char *campaign,
			    const char *recipient);
/* The rows of either. */
int plan_delivery_next(struct plan_iter *it, struct plan_delivery *out);
/* Whether campaign has the notification message about recipient: 1 or 0. */
int plan_notification_exists(struct plan *p, const char *campaign, const char *recipient,
			     const char *message);

/*
 * The address of recipient in campaign (a malloc'd string in *out): its
 * delivery's, or when the plan has none (a campaign removed or merged
 * since) that of the recipient records with that id (and the campaign's
 * recipient type, when the campaign is known), when they agree on one.
 */
int plan_recipient_address(struct plan *p, const char *campaign, const char *recipient,
			   char **out);
/* The id of a recipient with address (the first by type and id), malloc'd. */
int plan_recipient_by_address(struct plan *p, const char *address, char **out);

/* The deliveries of campaign to send again: failed and retrying ones, with
 * unconfirmed set also the unconfirmed ones, in order; rows are recipient ids. */
int plan_retry_candidates_open(struct plan_iter **out, struct plan *p, const char *campaign,
			       int unconfirmed);
int plan_retry_candidates_next(struct plan_iter *it, const char **recipient);

/* The delivery to preview: of recipient (NULL: the first pending, else the
 * first) in campaign; *recipient_out and *account_out malloc'd, the account
 * NULL when none was assigned. */
int plan_preview_delivery(struct plan *p, const char *campaign, const char *recipient,
			  char **recipient_out, char **account_out);

/* The deliveries of campaign in one of two states, newest event first, at
 * most limit, for the status site's lists. */
struct plan_listed {
	const char *recipient, *address, *account, *enhanced, *reply;
	int code;
	time_t last_event, next_at, claimed_at; /* claimed_at: or the last event */
};
int plan_listed_open(struct plan_iter **out, struct plan *p, const char *campaign,
		     const char *state, const char *other_state, int limit);
int plan_listed_next(struct plan_iter *it, struct plan_listed *out);

/*
 * Why the suppressed deliveries of campaign are suppressed, in send order,
 * for `status CAMPAIGN` and the site.  A hard bounce suppresses the
 * address that bounced (the one its message went to), never a recipient:
 * bounced_in is the campaign of the first hard bounce of address (NULL
 * when it never bounced), with the recipient it was mailed for, when, and
 * the reply.  listed is the reason of the address's line in
 * recipients/suppressions.tsv ("unsubscribed", "bounced", "manual"), NULL
 * when it has none.  Strings stay valid until the next call.
 */
struct plan_suppressed {
	const char *recipient, *address;
	const char *bounced_in, *bounced_recipient, *enhanced, *reply;
	int code;
	time_t bounced_at;
	const char *listed;
};
int plan_suppressed_open(struct plan_iter **out, struct plan *p, const char *campaign);
int plan_suppressed_next(struct plan_iter *it, struct plan_suppressed *out);
/* Why, in words, as status and the site show it: "hard bounce TIME in
 * CAMPAIGN (RECIPIENT): REPLY", "listed in recipients/suppressions.tsv
 * (REASON)", or both, separated by "; ". */
void plan_suppressed_describe(struct buf *b, const struct plan_suppressed *s);

/* Claims without an outcome (unconfirmed, or claimed by a run still
 * going or killed) that name a Message-ID, by account, then time of the
 * claim.  Strings stay valid until the next call. */
struct plan_claim {
	const char *campaign, *recipient, *account, *message_id;
	time_t claimed_at;
};
int plan_open_claims_open(struct plan_iter **out, struct plan *p);
int plan_open_claims_next(struct plan_iter *it, struct plan_claim *out);
/* The Message-IDs of the account's latest messages the server accepted
 * (deliveries sent, or confirmed, by it), newest first, at most limit. */
int plan_account_accepted_open(struct plan_iter **out, struct plan *p, const char *account,
			       int limit);
int plan_account_accepted_next(struct plan_iter *it, const char **message_id);

/* Messages sent per campaign, account and day, by campaign, day, account. */
struct plan_progress {
	const char *campaign, *account;
	int day;
	long sent;
};
int plan_progress_open(struct plan_iter **out, struct plan *p);
int plan_progress_next(struct plan_iter *it, struct plan_progress *out);

/* The deliveries of campaign in order, as the CSV export shows them:
 * empty strings for NULL; has_time unset when there is no time. */
struct plan_export_row {
	const char *recipient, *email, *state, *account, *attempts, *code, *enhanced, *reply;
	int has_time;
	time_t time;
};
int plan_export_open(struct plan_iter **out, struct plan *p, const struct campaign *c);
int plan_export_next(struct plan_iter *it, struct plan_export_row *out);

/* One delivery of one person, for an access request (export --person). */
struct plan_person_delivery {
	const char *campaign, *recipient, *address, *state;
	const char *account, *claim_hash, *message_id, *enhanced, *reply; /* NULL: none */
	long attempts;
	int code; /* 0: none */
	time_t first_at, claimed_at, sent_at, next_at, last_event; /* 0: none */
};
typedef int (*plan_person_fn)(const struct plan_person_delivery *d, void *payload);
/* Calls fn for every delivery to address (lower-cased) or, by hash (its
 * hash), to it in any case or whose latest claim mailed it, by campaign
 * and recipient.  0, -1 on failure, or what fn returned when not
 * 0 (which stops the walk). */
int plan_person_deliveries(struct plan *p, const char *address, const char *hash,
			   plan_person_fn fn, void *payload);

#endif
