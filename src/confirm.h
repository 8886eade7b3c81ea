/*
 * Unconfirmed claims resolved from the accounts' Sent folders (`mailout
 * confirm`, and `mailout send` at its start).
 *
 * A claim without an outcome (the run was killed, or the connection died
 * before the server's reply) may or may not have been delivered.  Providers
 * such as Gmail and Microsoft 365 file every message they accept over SMTP
 * in the account's Sent folder, so for each such claim of an account with
 * `imap:`, the Sent folder (`sent_mailbox:`, else the mailbox the server
 * marks \Sent, RFC 6154) is EXAMINEd read-only and searched for the
 * claim's Message-ID:
 *
 *   found                                   -> `confirmed`: the delivery is sent
 *   not found, the claim at least
 *   CONFIRM_MIN_AGE old, and the folder
 *   receives copies                         -> `not-sent`: pending again
 *   otherwise                               -> left unconfirmed
 *
 * The folder receives copies when it holds each of the account's
 * CONFIRM_EVIDENCE latest messages the server accepted (sent or confirmed
 * deliveries, newest first, across campaigns); an account with fewer
 * accepted messages shows nothing either way.  `not-sent` is the one case
 * where mailout sends a claimed message again without a person asking.
 */
#ifndef MAILOUT_CONFIRM_H
#define MAILOUT_CONFIRM_H

#include <stddef.h>
#include <time.h>

#include "buf.h"
#include "config.h"
#include "plan.h"

#define CONFIRM_MIN_AGE (15 * 60)
#define CONFIRM_EVIDENCE 3

enum confirm_verdict {
	CONFIRM_FOUND,      /* in the Sent folder: confirmed */
	CONFIRM_NOT_SENT,   /* provably never accepted: pending again */
	CONFIRM_TOO_RECENT, /* not found, but claimed less than CONFIRM_MIN_AGE ago */
	CONFIRM_UNPROVEN    /* not found, and the folder does not show it receives copies */
};

/* The decision for one claim: found in the Sent folder or not, claimed at
 * claimed_at, the clock at now, and whether the folder receives copies. */
enum confirm_verdict confirm_decide(int found, time_t claimed_at, time_t now, int receives_copies);

/* What happened to one account's claims. */
struct confirm_account {
	char *id;
	const struct account *account; /* the configuration's; NULL when it has none */
	long claims;                   /* unconfirmed claims of the account */
	long count[4];                 /* by enum confirm_verdict */
	char *mailbox;                 /* the Sent folder examined, or NULL */
	/* of the account's latest accepted messages: how many the plan has
	 * (at most CONFIRM_EVIDENCE) and how many of them the folder holds;
	 * both -1 when they were not needed */
	int evidence_known, evidence_found;
	/* why the claims could not be checked (no `imap:`, IMAP unreachable,
	 * no Sent folder), or NULL */
	char *why;
};

/* The log lines to append, one buffer per file. */
struct confirm_log {
	char *path; /* campaigns/<campaign>/log/<account>.tsv */
	struct buf text;
};

struct confirm_result {
	struct confirm_account *accounts; /* with at least one claim, by id */
	size_t naccounts;
	struct confirm_log *logs;
	size_t nlogs;
	time_t now;
};

/*
 * Looks at every unconfirmed claim of the plan's accounts (only those of
 * accounts[0..naccounts) when accounts is not NULL) at the clock now, and
 * collects the `confirmed` and `not-sent` lines in out (nothing is written
 * yet).  An account whose mailbox cannot be read has why set; the others
 * go on.  Returns 0, or -1 after error_set() when the plan could not be
 * read.  Release out with confirm_result_release() in every case.
 */
int confirm_claims(struct confirm_result *out, struct plan *p, time_t now,
		   const char *const *accounts, size_t naccounts);

/* Appends the collected lines to their logs under root (fsync'd).  *written
 * gets the number of files written.  0, or -1 after error_set(). */
int confirm_write(const struct confirm_result *r, const char *root, size_t *written);

void confirm_result_release(struct confirm_result *r);

#endif
