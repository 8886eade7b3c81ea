/*
 * Delivery reports as `mailout bounces sync` reads them (no output).
 *
 * From the bytes alone: bounce_parse() reads a report, and
 * bounce_pick_recipient() which of its recipient blocks is about a given
 * address.  With the plan: bounce_decide() finds the delivery a report is
 * about and what it means for it, and a struct bounce_sync collects what
 * one mailbox's reports record (the `bounce` lines of the campaign logs,
 * the lines of recipients/suppressions.tsv) until bounce_sync_write().
 *
 * A report is matched by the returned Message-ID (which only mailout's own
 * message has), else by the X-Mailout-Campaign and X-Mailout-Recipient
 * headers of the returned part when the report also names the delivery's
 * address (those headers are easy to forge).  What it means:
 *
 *   Action: failed, 5.1.x or 5.2.1   BOUNCE_SUPPRESSED: a hard bounce, the
 *                                    delivery fails, the address is suppressed
 *   Action: failed, any other status BOUNCE_FAILED: the server gave up, the
 *   (5.2.2 mailbox full, 5.7.x,      delivery fails, nothing is suppressed
 *   4.4.7 expired, none)
 *   Action: delayed                  BOUNCE_NOTED: a notification, the
 *                                    delivery stays as it is
 *
 * A block without an Action reads as failed (its `bounce` line says so).
 * The plan's replay reads the outcome back
 * from the line: ENHANCED 5.1.x or 5.2.1 is a hard bounce, a TEXT that
 * starts with "delivery report: failed" fails the delivery.
 */
#ifndef MAILOUT_BOUNCE_H
#define MAILOUT_BOUNCE_H

#include <stddef.h>
#include <time.h>

#include "buf.h"
#include "config.h"
#include "mailparse.h"
#include "mailsync.h"
#include "plan.h"
#include "util.h"

/* Parses the message raw[0..len) (any bytes) and its delivery status
 * notification: dsn_parse() of mail_parse().  Returns 0 with *out filled
 * (release with dsn_release), or -1 when it is no report (*out empty). */
int bounce_parse(struct dsn *out, const char *raw, size_t len);

/* Whether block r names address (lower-cased) as its final or original
 * recipient; address may be a hash (addr_hash()), compared with theirs. */
int bounce_block_is_for(const struct dsn_recipient *r, const char *address);

/* The first block of d that reports a failure (mailsync_bounce_kind() is
 * not BOUNCE_NONE), or NULL. */
const struct dsn_recipient *bounce_first_failure(const struct dsn *d);

/*
 * The recipient block of d about address: the failing one naming it, or
 * (strict unset) the only block that reports a failure.  NULL when none.
 */
const struct dsn_recipient *bounce_pick_recipient(const struct dsn *d, const char *address,
						  int strict);

/* What a report comes to. */
enum bounce_outcome {
	BOUNCE_NO_FAILURE,      /* no block reports a failure: nothing to record */
	BOUNCE_UNMATCHED,       /* about no delivery of the plan: left alone */
	BOUNCE_RECORDED_BEFORE, /* the plan (or this sync) has its line already */
	BOUNCE_SUPPRESSED,      /* a hard bounce: the delivery fails, the address is suppressed */
	BOUNCE_FAILED,          /* final otherwise: the delivery fails, nothing is suppressed */
	BOUNCE_NOTED,           /* a delay: a notification, the delivery stays as it is */
	BOUNCE_OUTCOMES
};

/* A report's delivery and what it means for it. */
struct bounce_decision {
	enum bounce_outcome outcome;
	/* the rest is set when the report is about a delivery (not for
	 * BOUNCE_NO_FAILURE and BOUNCE_UNMATCHED): */
	const struct dsn_recipient *block; /* about the delivery: points into the report */
	struct mailsync_bounce event;      /* its kind, and the fields of its `bounce` line */
	char *campaign, *recipient;
	char *address; /* the one mailed, to suppress: as reported, else the recipient's or a hash */
	char *account; /* the log it goes to: the delivery's account, else the one read */
};

/*
 * Decides what report d, read from the mailbox of account synced, means
 * (all but BOUNCE_RECORDED_BEFORE, which bounce_sync_add() tells), filling
 * *out (release it with bounce_decision_release()).  Returns 0, or -1
 * after error_set() when a query of the plan failed (*out is then empty).
 */
int bounce_decide(struct bounce_decision *out, struct plan *p, const struct dsn *d,
		  const char *synced);
void bounce_decision_release(struct bounce_decision *d);

/* The lines to append to one log. */
struct bounce_log {
	char *path; /* "campaigns/<id>/log/<account>.tsv", relative to the root */
	struct buf text;
};

/*
 * What a sync records, one mailbox at a time: bounce_sync_add() each
 * report, bounce_sync_write() the results, bounce_sync_clear() (results
 * and counts) before the next mailbox.  What was added is remembered across mailboxes (a report
 * read in two is recorded once).
 */
struct bounce_sync {
	struct plan *p; /* not owned */
	time_t now;     /* the time of the lines */
	int hash_suppressions; /* suppression lines hold hashes (set after init) */
	struct bounce_log *logs;
	size_t nlogs;
	struct mailsync_suppression *suppress;
	size_t nsuppress;
	/* what bounce_sync_add() decided: the reports by outcome, and those
	 * recorded now by the kind of their status */
	long outcomes[BOUNCE_OUTCOMES];
	long kinds[BOUNCE_OTHER + 1];
	/* private */
	struct strmap recorded;
	char **strings;
	size_t logs_cap, suppress_cap, nstrings, strings_cap;
};

void bounce_sync_init(struct bounce_sync *s, struct plan *p, time_t now);
/*
 * Decides report d (bounce_decide()) and adds what it records: nothing
 * for BOUNCE_NO_FAILURE, BOUNCE_UNMATCHED and BOUNCE_RECORDED_BEFORE, else
 * its `bounce` line, and for BOUNCE_SUPPRESSED its suppression line
 * (reason "bounced", source the campaign).  0, or -1 after error_set()
 * when a query of the plan failed.
 */
int bounce_sync_add(struct bounce_sync *s, struct bounce_decision *out, const struct dsn *d,
		    const char *synced);
/*
 * Appends the log lines (log_append(), synced) and the suppressions
 * (mailsync_suppress()) under root.  *logs_written gets the number of
 * logs appended to (the first ones of logs, also on failure), *suppressed
 * the number of suppression lines written.  0, or -1 after error_set().
 */
int bounce_sync_write(struct bounce_sync *s, const char *root, size_t *logs_written,
		      size_t *suppressed);
void bounce_sync_clear(struct bounce_sync *s);
void bounce_sync_release(struct bounce_sync *s);

/* The files a bounce sync may write: suppressions, its state, and the log
 * of every account of cfg in every campaign under root.  A malloc'd list
 * of *n malloc'd paths relative to root (free with free_list()). */
char **bounce_sync_files(const char *root, const struct config *cfg, size_t *n);

/* An account before cfg->accounts[k] that reads the same mailbox (imap
 * URL and username), or NULL: a mailbox is read once. */
const struct account *bounce_mailbox_read_before(const struct config *cfg, size_t k);

#endif
