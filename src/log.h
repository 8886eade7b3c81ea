/*
 * The append-only result files of a campaign.
 *
 *   campaigns/<id>/log/<account>.tsv   written by `mailout send` (and the
 *                                      bounce sync) for one account
 *   campaigns/<id>/commands.tsv        people's commands: retry, resume, merge
 *
 * Each file starts with a header line, "#mailout-log v2" (or v1 in files
 * made before version 2; a file keeps the version of its header), then one
 * event per line, tab-separated, the first two fields the RFC 3339 UTC time and
 * the event name.  Fields never hold tabs, line breaks or other control
 * characters (they are replaced by spaces when written).  Files are replayed in file order, never sorted
 * by time.  A last line without its newline (a process killed mid-write) is
 * ignored with a warning, and the next append starts on a new line.
 *
 * Events (after TIME and EVENT):
 *   claim     RECIPIENT ADDRESS MESSAGE_ID    about to hand the message to SMTP;
 *                                             ADDRESS is the address's hash
 *                                             (addr_hash()) in v2, the address
 *                                             in v1 (or the hash that replaced
 *                                             it: the same person)
 *   sent      RECIPIENT CODE ENHANCED TEXT    accepted by the server
 *   failed    RECIPIENT CODE ENHANCED TEXT    permanent for the recipient, or
 *                                             refused at RCPT for it (the third
 *                                             refusal in a row: right after a
 *                                             critical line for it); a hard
 *                                             bounce when ENHANCED is 5.1.x or 5.2.1
 *   retry     RECIPIENT CODE ENHANCED TEXT NEXT   temporary; try again at NEXT
 *   deferred  RECIPIENT CODE ENHANCED TEXT UNTIL  the account rests until UNTIL;
 *                                             the recipient is pending again
 *   critical  RECIPIENT CODE ENHANCED TEXT    the account is red until resume;
 *                                             the recipient is pending again
 *   bounce    RECIPIENT CODE ENHANCED TEXT    a delivery report read later; the
 *                                             delivery fails when TEXT starts with
 *                                             "delivery report: failed" (bounce.h)
 *   release   RECIPIENT                       a claim withdrawn before the message
 *                                             reached SMTP (the account stopped
 *                                             mid-batch): pending again, no attempt
 *   confirmed RECIPIENT MAILBOX MESSAGE_ID    `mailout confirm` found the message of
 *                                             an unconfirmed claim (MESSAGE_ID, its
 *                                             claim's) in the account's Sent
 *                                             folder MAILBOX: the delivery is sent
 *   not-sent  RECIPIENT MAILBOX MESSAGE_ID    that folder receives copies and lacks
 *                                             it, 15 minutes after the claim: the
 *                                             server never accepted it; pending again
 *                                             (both apply only to the claim with
 *                                             MESSAGE_ID, with nothing after it)
 *   retry-cmd RECIPIENT                       (commands.tsv) pending again
 *   resume                                    (commands.tsv) clears interrupted
 *                                             and the owner's red accounts
 *   merged    CAMPAIGN                        (commands.tsv) CAMPAIGN was merged
 *                                             into this one: its history counts here
 */
#ifndef MAILOUT_LOG_H
#define MAILOUT_LOG_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "buf.h"
#include "diag.h"

#define LOG_HEADER "#mailout-log v2" /* of new files */
#define LOG_HEADER_V1 "#mailout-log v1"
#define LOG_VERSION 2
#define LOG_MAX_FIELDS 8

enum log_event {
	LOG_CLAIM,
	LOG_SENT,
	LOG_FAILED,
	LOG_RETRY,
	LOG_DEFERRED,
	LOG_CRITICAL,
	LOG_BOUNCE,
	LOG_RETRY_CMD,
	LOG_RESUME,
	LOG_MERGED,
	LOG_RELEASE,
	LOG_CONFIRMED,
	LOG_NOT_SENT,
	LOG_EVENT_COUNT
};

struct log_entry {
	time_t time;
	enum log_event event;
	const char *field[LOG_MAX_FIELDS]; /* after time and event */
	size_t nfields;
	int line;
	int version; /* of the file: 1 or 2 */
};

const char *log_event_name(enum log_event e);
/* The version of the header line at s (len bytes, without its newline):
 * 1 or 2, or 0 when it is no header mailout knows. */
int log_header_version(const char *s, size_t len);

typedef int (*log_entry_fn)(const struct log_entry *e, void *payload);

/*
 * Reads the complete lines of the content file root/rel (see safefile.h)
 * from byte offset on, calling fn for each event.  *consumed_out gets the
 * offset after the last complete line.
 * A bad line is a diagnostic and is skipped; a missing
 * last newline is a warning.  Returns 0, or -1 when the file cannot be read
 * or fn returned non-zero.
 */
int log_read(const char *root, const char *rel, size_t offset, log_entry_fn fn, void *payload,
	     size_t *consumed_out, struct diag_list *diags);

/* A line for an event, appended to b; in fields, control characters (C0,
 * tabs and line breaks among them, and DEL) become spaces. */
void log_format(struct buf *b, time_t t, enum log_event e, const char *const *fields,
		size_t nfields);
/* The same for a file of version (1 or 2): a claim's address becomes its
 * hash in version 2. */
void log_format_version(struct buf *b, int version, time_t t, enum log_event e,
			const char *const *fields, size_t nfields);

/*
 * Appends text (whole lines) to root/rel with one write(2), creating the
 * file and its directory with the header when missing, and starting on a
 * new line when the file does not end with one.  fsync when sync is set.
 * Nothing on the way is a link (see safefile.h).
 */
int log_append(const char *root, const char *rel, const char *text, size_t len, int sync);

/*
 * A log kept open for appending by one run: offset and fnv (FNV-1a of the
 * whole file from FNV1A_INIT) follow every append, so the plan can record
 * how far it has applied the file without reading it again.
 */
struct log_writer {
	char *path; /* relative to the repository root */
	int fd;
	size_t offset;
	size_t start; /* the offset when opened (after a header or ending newline) */
	uint64_t fnv;
	int dirty; /* appended since the last sync */
	int version; /* of its header: what log_format_version() writes to it */
};
/* Opens root/rel for appending, creating it (and its directory) with the
 * header, and ending an incomplete last line first. */
int log_writer_open(struct log_writer **out, const char *root, const char *rel);
int log_writer_append(struct log_writer *w, const char *text, size_t len);
int log_writer_sync(struct log_writer *w);
void log_writer_close(struct log_writer *w);

/* Ends an incomplete last line of root/rel with a newline; 1 when it did,
 * 0 also when the file is absent. */
int log_terminate(const char *root, const char *rel);

/* "campaigns/CAMPAIGN/log/ACCOUNT.tsv", the log of one campaign and one
 * account, allocated. */
char *log_path(const char *campaign, const char *account);

#endif
