/*
 * What a message in the unsubscribe mailbox asks, and what
 * `mailout unsubscribes sync` makes of it (no output).
 *
 * unsubscribe_parse() reads the bytes alone; unsubscribe_classify() then
 * asks the plan: a token names a campaign and a recipient, whose address
 * the plan gives; a message without a token counts when its sender is a
 * known recipient who says so.  unsubscribe_suppress() writes the lines
 * of recipients/suppressions.tsv for those that count.
 *
 * A request carries a signed token (the List-Unsubscribe mailto puts it in
 * the subject; a reply quotes the footer link), looked for first in the
 * decoded Subject, then in the readable text (mail_text()); up to
 * UNSUBSCRIBE_TOKENS_MAX candidates are verified in each.  A message
 * without a token still asks when its subject or its first line of text
 * says "unsubscribe" (or "abmelden"), in any case.
 */
#ifndef MAILOUT_UNSUBSCRIBE_H
#define MAILOUT_UNSUBSCRIBE_H

#include <stddef.h>
#include <time.h>

#include "plan.h"
#include "token.h"

#define UNSUBSCRIBE_TOKENS_MAX 100

enum unsubscribe_kind {
	UNSUBSCRIBE_TOKEN,       /* a verified token: campaign and recipient */
	UNSUBSCRIBE_FORGED,      /* a token whose signature does not match */
	UNSUBSCRIBE_UNKNOWN_KEY, /* a token signed with a key not known */
	UNSUBSCRIBE_MALFORMED,   /* a token that token_verify() calls malformed */
	UNSUBSCRIBE_MANGLED,     /* no token, but something shaped like one */
	UNSUBSCRIBE_NO_TOKEN     /* nothing like a token: see from and asks */
};

struct unsubscribe_request {
	enum unsubscribe_kind kind;
	/* UNSUBSCRIBE_TOKEN: the ids the token names */
	char *campaign, *recipient;
	/* FORGED, UNKNOWN_KEY, MALFORMED: what token_verify() said of the
	 * first token that failed */
	char *why;
	char *from; /* the lower-cased address of From, or NULL */
	int asks;   /* the subject or the first line says unsubscribe */
};

/*
 * Reads the message raw[0..len) (any bytes) and fills *out; release it
 * with unsubscribe_request_release().  keys verify the tokens.
 */
void unsubscribe_parse(struct unsubscribe_request *out, const struct token_keys *keys,
		       const char *raw, size_t len);
void unsubscribe_request_release(struct unsubscribe_request *r);

/* What one message came to. */
enum unsubscribe_verdict {
	UNSUBSCRIBE_VERDICT_UNSUBSCRIBE,   /* suppress address (unless it is already) */
	UNSUBSCRIBE_VERDICT_FORGED,        /* ignored: a token with a wrong signature */
	UNSUBSCRIBE_VERDICT_UNKNOWN_KEY,   /* ignored: signed with a key not known */
	UNSUBSCRIBE_VERDICT_MALFORMED,     /* ignored: a broken token, or a damaged message */
	UNSUBSCRIBE_VERDICT_NO_TOKEN,      /* ignored: no token, and no request by a recipient */
	UNSUBSCRIBE_VERDICT_UNKNOWN_RECIPIENT, /* ignored: a valid token, a recipient not in the plan */
	UNSUBSCRIBE_VERDICTS
};

struct unsubscribe_outcome {
	enum unsubscribe_verdict verdict;
	char *address; /* UNSUBSCRIBE_VERDICT_UNSUBSCRIBE: the address, else NULL */
	char *source;  /* likewise: the campaign, or "mail" (a request without a token) */
	char *detail;  /* for the report: "recipient c-1 of news", "ignored: ..."; never an address */
	int added;     /* set by unsubscribe_suppress(): 1 when its line was written */
};

/*
 * Judges the message raw[0..len) with keys and the plan p, filling *out
 * (release it with unsubscribe_outcome_release(); it is empty after an
 * error).  damaged says the mailbox returned the message damaged (then a
 * message without a token is malformed, whoever sent it).  Returns 0, or
 * -1 after error_set() when a query of the plan failed: the message is
 * then not judged (the sync stops and reads it again next time).
 */
int unsubscribe_classify(struct unsubscribe_outcome *out, struct plan *p,
			 const struct token_keys *keys, const char *raw, size_t len, int damaged);
void unsubscribe_outcome_release(struct unsubscribe_outcome *o);

/*
 * Adds a line to <root>/recipients/suppressions.tsv (reason
 * "unsubscribed", time now, source) for each outcome of the n in o that
 * is UNSUBSCRIBE_VERDICT_UNSUBSCRIBE and whose address has none yet
 * (mailsync_suppress()), setting their added.  *added_out (may be NULL)
 * gets the number of lines written; hash: the lines hold the addresses'
 * hashes (`privacy.hash_suppressions`).  Returns 0, or -1 after
 * error_set() with the file unchanged.
 */
int unsubscribe_suppress(const char *root, struct unsubscribe_outcome *o, size_t n, time_t now,
			 int hash, size_t *added_out);

/* Whether s[0..len) holds "unsubscribe" or "abmelden", in any case. */
int unsubscribe_says(const char *s, size_t len);

#endif
