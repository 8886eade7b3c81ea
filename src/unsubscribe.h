/*
 * What a message in the unsubscribe mailbox asks, read from its bytes
 * alone (no plan, no output): the mailbox's sync then maps a token to an
 * address, or the sender's address to a recipient.
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

/* Whether s[0..len) holds "unsubscribe" or "abmelden", in any case. */
int unsubscribe_says(const char *s, size_t len);

#endif
