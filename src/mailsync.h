/*
 * What the two IMAP syncs share (`mailout unsubscribes sync` and
 * `mailout bounces sync`): their state files, the writer of
 * recipients/suppressions.tsv, logging in to a mailbox with the secrets
 * from the environment, and the reading of delivery reports.
 *
 * A state file is small and committed, tab-separated with a header:
 *
 *   key          mailbox                          uidvalidity  last_uid
 *   unsubscribe  imaps://imap.example.com/INBOX   1795668939   42
 *
 * one line per mailbox read (key "unsubscribe", or an account id): every
 * message up to last_uid under that UIDVALIDITY was processed.  A changed
 * mailbox URL or UIDVALIDITY starts that mailbox over from its first
 * message.  The syncs write it only after their results.
 */
#ifndef MAILOUT_MAILSYNC_H
#define MAILOUT_MAILSYNC_H

#include <stddef.h>
#include <time.h>

#include "buf.h"
#include "config.h"
#include "imap.h"
#include "mailparse.h"

#define UNSUBSCRIBE_STATE_FILE "recipients/unsubscribes-sync.tsv"
#define BOUNCE_STATE_FILE "recipients/bounces-sync.tsv"
#define MAILSYNC_STATE_HEADER "key\tmailbox\tuidvalidity\tlast_uid"

struct mailsync_mark {
	char *key, *mailbox;
	unsigned long uidvalidity, last_uid;
};

struct mailsync_state {
	struct mailsync_mark *items;
	size_t count, cap;
};

/* Reads <root>/<rel>; a missing file is an empty state.  Returns 0, or -1
 * after error_set() naming rel and the line at fault.  Release in every
 * case. */
int mailsync_state_load(struct mailsync_state *out, const char *root, const char *rel);
/* The mark of key, or NULL. */
const struct mailsync_mark *mailsync_state_get(const struct mailsync_state *s, const char *key);
/* The UID to read after: last_uid when key's mailbox and UIDVALIDITY are
 * these, else 0. */
unsigned long mailsync_state_after(const struct mailsync_state *s, const char *key,
				   const char *mailbox, unsigned long uidvalidity);
/* Sets (or adds) the mark of key. */
void mailsync_state_set(struct mailsync_state *s, const char *key, const char *mailbox,
			unsigned long uidvalidity, unsigned long last_uid);
/* Writes the state atomically (keys sorted).  Returns 0 or -1 (error_set). */
int mailsync_state_save(const struct mailsync_state *s, const char *root, const char *rel);
void mailsync_state_release(struct mailsync_state *s);
/* Sets the mark of key and saves the state to <root>/<rel>, unless the
 * mark was that already: 1 when written, 0 when not, -1 after error_set(). */
int mailsync_state_advance(struct mailsync_state *s, const char *root, const char *rel,
			   const char *key, const char *mailbox, unsigned long uidvalidity,
			   unsigned long last_uid);

/* One line for recipients/suppressions.tsv. */
struct mailsync_suppression {
	const char *address; /* or its hash; compared by the hash, written lower-cased */
	const char *reason;  /* "unsubscribed" or "bounced" */
	time_t time;
	const char *source;  /* a campaign id, or "mail" */
	int added;           /* out: 1 when written, 0 when the address was there already */
};

/*
 * Adds a line to <root>/recipients/suppressions.tsv for each address that
 * has none yet (nor an earlier entry of lines), in either form, creating
 * the file with its header when missing.  The line holds the address's
 * hash when hash is set (`privacy.hash_suppressions`) or the address is
 * given as a hash.  The file is written whole through
 * content_write_atomic(), every existing byte kept as it was, so a reader or
 * a killed run never sees half a line.  *added_out (may be NULL) gets the
 * number of lines written.  Returns 0, or -1 after error_set() with the
 * file unchanged.
 */
int mailsync_suppress(const char *root, struct mailsync_suppression *lines, size_t n, int hash,
		      size_t *added_out);

/* Sets the TLS mode and CA of *o from tls (NULL: leaves *o as it is). */
void mailsync_tls_options(struct imap_options *o, const struct tls_config *tls);

/*
 * Opens a mailbox: the password from the environment variable
 * password_env, TLS as tls says (NULL: the defaults).  -1 after
 * error_set() when the variable is unset or empty, or imap_open() failed.
 */
int mailsync_open(struct imap **out, const char *url, const char *username,
		  const char *password_env, const struct tls_config *tls);
/* The same for a sending account's imap URL: its password, or for an
 * oauth2 account an access token from its refresh token. */
int mailsync_open_account(struct imap **out, const struct account *a);

/* What a delivery report's status says; with Action: failed any of them
 * fails the delivery, only BOUNCE_HARD suppresses (bounce.h). */
enum bounce_kind {
	BOUNCE_NONE,      /* delivered, relayed, expanded: nothing to record */
	BOUNCE_HARD,      /* failed with 5.1.x or 5.2.1: the delivery fails, the address is suppressed */
	BOUNCE_TEMPORARY, /* delayed, 4.x.x, 5.2.2 (mailbox full): never suppressed */
	BOUNCE_POLICY,    /* 5.7.x: never a reason to suppress */
	BOUNCE_OTHER      /* another failure */
};

enum bounce_kind mailsync_bounce_kind(const char *action, const char *status);
const char *mailsync_bounce_kind_name(enum bounce_kind k); /* "hard bounce", "temporary", ... */

/*
 * The fields of the `bounce` log event for one recipient block:
 * CODE (the reply code at the start of the diagnostic, or "-"), ENHANCED
 * (the status, or "-" when it would read as a hard bounce but the report
 * is not one) and TEXT ("delivery report: failed: 550 5.1.1 ...", printable,
 * at most 300 bytes).
 */
struct mailsync_bounce {
	enum bounce_kind kind;
	char code[4];
	char enhanced[16];
	char *text;
};
void mailsync_bounce_describe(struct mailsync_bounce *out, const struct dsn_recipient *r);
void mailsync_bounce_release(struct mailsync_bounce *b);

#endif
