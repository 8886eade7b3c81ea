/*
 * One run of the throttled sender: pick what is due, claim it, send it,
 * record the outcome.
 *
 * Each account sends on its own clock (schedule.h): inside working hours,
 * at least window/daily_limit apart, never more than daily_limit attempts a
 * day; the owner's active campaigns share an account in turn, oldest start
 * first.  Before a message goes to SMTP its claim is appended to the
 * campaign's log (write(2): a killed process loses nothing); the outcome is
 * appended right after, and the plan follows in the same step through the
 * code that replays logs.  A claim without an outcome is unconfirmed and is
 * never sent again unless a person asks.
 *
 * Replies are classified by smtp_classify():
 *   recipient temporary  -> retry, backoff from 30 minutes, give up after 4 days
 *   recipient permanent  -> failed (a hard bounce for 5.1.x / 5.2.1)
 *   recipient rejected   -> failed, not suppressed; the account goes on, but
 *                           when 3 RCPT in a row on the account are refused
 *                           with the same code (the enhanced one, else the
 *                           reply code) the third also makes it critical;
 *                           any other outcome starts the count again, a run
 *                           goes on with the count the plan shows, and
 *                           resume starts it at zero
 *   account limit        -> the account rests (a day for 5.x.x, 30 minutes
 *                           for 4.x.x); the recipient waits
 *   critical             -> the account is red until `mailout resume`;
 *                           campaigns with deliveries on it are interrupted
 *   network              -> the account pauses 5 minutes (a deferred line);
 *                           the recipient waits.  When the whole message had
 *                           been handed over (no final reply in time: the
 *                           account's smtp_timeout, default 10 minutes) the
 *                           claim stays unconfirmed and the pause's deferred
 *                           line names no recipient
 *
 * A message that cannot be built for its recipient (a header refuses one of
 * the recipient's fields) fails that delivery alone, with the reason naming
 * the field; nothing goes to SMTP and the account goes on.
 */
#ifndef MAILOUT_SENDER_H
#define MAILOUT_SENDER_H

#include <stdio.h>
#include <time.h>

#include "plan.h"

#define SENDER_UNTIL_DONE (-1L)

/* SENDER_WARNING is not about a delivery: text says what the run could not
 * do, for a person to read (an account that cannot send in this run, its
 * secret missing; results that could not be published after a failure);
 * recipient is NULL, and so are campaign and account when not about one. */
enum sender_event_kind { SENDER_SENT, SENDER_FAILED, SENDER_RETRY, SENDER_DEFERRED,
			 SENDER_CRITICAL, SENDER_UNCONFIRMED, SENDER_WOULD_SEND,
			 SENDER_WARNING };

struct sender_event {
	enum sender_event_kind kind;
	time_t time;
	const char *campaign, *account, *recipient;
	int code;
	const char *enhanced, *text; /* the server's reply, or what happened */
};

typedef void (*sender_event_fn)(const struct sender_event *e, void *payload);

struct sender_report {
	long sent, failed, retrying, deferred, critical, unconfirmed;
	size_t campaigns; /* that sent at least once */
	time_t started, ended; /* the clock at start and end */
	int accounts_unavailable; /* accounts that could not be used (missing secrets) */
};

#define SENDER_REJECTED 1

/* How a run publishes what it writes (the git layer). */
struct sender_publisher {
	/* Commits, and pushes when configured, the files the run wrote
	 * (relative to the root): after a batch's claims, before its messages
	 * go out, and with final set at the end.  0, SENDER_REJECTED when the
	 * remote moved in the run's files (the batch is withdrawn and planned
	 * again; the run tries for up to 15 minutes of refusals in a row), -1
	 * on error, a remote that refuses without moving among them (trying
	 * again cannot help: the run stops). */
	int (*publish)(void *payload, const char *const *files, size_t n, int final,
		       const struct sender_report *report);
	/* After a rejection: fetch, and put the lines this run has written
	 * since its last publication on the remote's new tip.  -1 on error,
	 * as for publish. */
	int (*catch_up)(void *payload, const char *const *files, size_t n);
	/* Optional: after a failed final publication, adds to error_last()
	 * which of the files' lines the remote does not have. */
	void (*name_unpublished)(void *payload, const char *const *files, size_t n);
	void *payload;
	long batch; /* seconds of sends claimed and published at once */
};

struct sender_options {
	time_t now; /* the virtual clock's start; 0: the real clock */
	long duration; /* seconds to run; 0: what is due now; SENDER_UNTIL_DONE (virtual only) */
	const char *const *accounts; /* only these accounts (NULL: all) */
	size_t naccounts;
	int dry_run; /* decide and report, change nothing */
	int drain; /* send what is due now and the current bursts, then stop
		    * when the next attempt of every account needs a new token */
	const char *sink; /* every message to this SMTP URL */
	sender_event_fn on_event; /* may be NULL */
	void *payload;
	volatile int *stop; /* set by a signal handler: finish the message and stop */
	const struct sender_publisher *publisher; /* NULL: nothing is committed */
	/* Content diagnostics found when the run reads the repository again
	 * (taking over logs, after a rejected push) are added here, for the
	 * caller to sort and print; NULL: dropped. */
	struct diag_list *diags;
};


/* Runs the sender on an open plan.  Returns 0 when the run did its job
 * (whatever the deliveries did), -1 with error_set otherwise.  It never
 * prints: deliveries and warnings are events, diagnostics go to o->diags. */
int sender_run(struct plan *p, const struct sender_options *o, struct sender_report *report);

/* The logs a run with these options writes (its own files, for --commit
 * and --push): every campaign's log of every account it sends through.
 * Sets *out to an allocated list (free_list) and returns its length. */
size_t sender_own_logs(char ***out, struct plan *p, const struct sender_options *o);

/* What a run needs before it changes anything: the token key from
 * MAILOUT_SECRET (and MAILOUT_SECRET_PREVIOUS when set) and, unless o->sink
 * or o->dry_run, the secrets of the enabled accounts it sends through.
 * 0, or -1 with error_set.  sender_run() checks the same first. */
int sender_check(struct plan *p, const struct sender_options *o);

struct smtp_options;
/* SMTP options of an account (URL, tls, ca_file, helo, smtp_timeout), its secret from
 * the environment (password_env, or an OAuth2 access token from
 * oauth_account_token()); *bearer_out is the token to free with
 * secret_free() after use.  -1 with error_set when a secret is missing. */
int sender_account_options(struct smtp_options *so, const struct account *a, char **bearer_out);

#endif
