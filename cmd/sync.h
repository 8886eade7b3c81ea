/*
 * What `unsubscribes sync` and `bounces sync` share around a mailbox:
 * where the reading starts, the fetch loop, and moving the mailbox's mark
 * once the results are written (printed, and published with --commit or
 * --push).
 */
#ifndef MAILOUT_CMD_SYNC_H
#define MAILOUT_CMD_SYNC_H

#include <stddef.h>

#include "buf.h"
#include "imap.h"
#include "mailsync.h"
#include "publish.h"

struct cmd_mailbox {
	const char *label; /* the start of its printed lines: "unsubscribes", an account id */
	const char *key;   /* its key in the state */
	const char *url;
	struct imap *imap; /* open; closed by cmd_mailbox_release() */
	unsigned long done_uid; /* every message up to it is handled */
	char *why;         /* the fetching stopped before done_uid + 1: why, or NULL */
	size_t read;       /* the messages the server returned */
};

/* The UID to read after (mailsync_state_after()); prints a line when the
 * mailbox's URL or UIDVALIDITY changed since the mark. */
unsigned long cmd_mailbox_after(const struct cmd_mailbox *m, const struct mailsync_state *s);

/* What to do with one message returned: r is IMAP_FETCHED, IMAP_DAMAGED or
 * IMAP_REFUSED (error_last() says why).  0, or -1 to stop. */
typedef int (*cmd_message_fn)(void *payload, unsigned long uid, int r, const struct buf *raw);

/*
 * Fetches uids[0..n) in turn and hands each message returned to fn;
 * messages gone meanwhile are skipped.  A failed fetch stops the loop with
 * done_uid before that message and why set; until then done_uid stays as
 * the caller set it (the last UID of the mailbox).  0, or -1 when fn
 * returned -1.
 */
int cmd_mailbox_fetch(struct cmd_mailbox *m, const unsigned long *uids, size_t n, cmd_message_fn fn,
		      void *payload);

/*
 * Moves the mark of m to done_uid and saves the state to <root>/<rel>
 * (printing "updated <rel>"), unless it was there already; with pub, then
 * commits and pushes rel with message.  0, or -1 (printed).
 */
int cmd_mailbox_advance(const struct cmd_mailbox *m, struct mailsync_state *s, const char *root,
			const char *rel, struct publisher *pub, const char *message);

void cmd_mailbox_release(struct cmd_mailbox *m);

#endif
