/*
 * Delivery reports as `mailout bounces sync` matches them, from the bytes
 * alone (no plan, no output): which recipient block of a report is about
 * the delivery the plan found for it.
 */
#ifndef MAILOUT_BOUNCE_H
#define MAILOUT_BOUNCE_H

#include <stddef.h>

#include "mailparse.h"

/* Parses the message raw[0..len) (any bytes) and its delivery status
 * notification: dsn_parse() of mail_parse().  Returns 0 with *out filled
 * (release with dsn_release), or -1 when it is no report (*out empty). */
int bounce_parse(struct dsn *out, const char *raw, size_t len);

/* Whether block r names address as its final or original recipient. */
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

#endif
