/*
 * Reading e-mail that arrives in the unsubscribe mailbox and the sending
 * accounts' inboxes: headers (RFC 5322, unfolded), encoded-words (RFC
 * 2047), MIME parts (RFC 2045/2046) with quoted-printable and base64
 * undone, and delivery status notifications (RFC 3464).
 *
 * The parser is lenient on purpose: mail comes from anyone, and whatever
 * the bytes are, mail_parse() turns them into a tree (a missing blank
 * line, a lost boundary or bad base64 give odd parts, never a failure).
 * Nesting stops at MAIL_MAX_DEPTH and the tree at MAIL_MAX_PARTS parts;
 * what lies beyond stays an undecoded leaf.
 */
#ifndef MAILOUT_MAILPARSE_H
#define MAILOUT_MAILPARSE_H

#include <stddef.h>

#include "buf.h"

#define MAIL_MAX_DEPTH 8
#define MAIL_MAX_PARTS 256
#define MAIL_MAX_HEADERS 1000

struct mail_header {
	char *name;  /* as written */
	char *value; /* unfolded (line breaks removed), trimmed, not decoded */
};

struct mail_part {
	struct mail_header *headers;
	size_t nheaders, headers_cap;
	char *type;        /* "text/plain", lower-cased; the RFC 2045/2046 default when absent */
	char *charset;     /* lower-cased Content-Type charset, or NULL */
	char *report_type; /* lower-cased report-type of multipart/report, or NULL */
	char *body;        /* the content with its transfer encoding undone (NUL-terminated) */
	size_t body_len;
	/* multipart/...: the parts; message/rfc822, message/global,
	 * text/rfc822-headers, message/global-headers: one part, the enclosed
	 * message (headers only for the *-headers types) */
	struct mail_part *parts;
	size_t nparts;
};

/* Parses len bytes of a message into *out (release with mail_part_release). */
void mail_parse(struct mail_part *out, const char *text, size_t len);
void mail_part_release(struct mail_part *p);

/* The first header called name (case-insensitive), or NULL. */
const char *mail_header(const struct mail_part *p, const char *name);

/*
 * An unstructured header value with its RFC 2047 encoded-words decoded:
 * UTF-8 and US-ASCII words as they are, ISO-8859-1 and Windows-1252
 * converted to UTF-8, other charsets kept as raw bytes.  Whitespace
 * between two encoded-words is dropped.  The caller frees the result.
 */
char *mail_decode_words(const char *value);

/*
 * The lower-cased address of the first mailbox in an address header value
 * ("Name <a@b>", "a@b (comment)", "\"x\" <a@b>"), or NULL when there is
 * none.  The caller frees it.
 */
char *mail_address(const char *value);

/* A Message-ID as "<...>" (angle brackets added when missing), or NULL
 * for an empty value.  The caller frees it. */
char *mail_message_id(const char *value);

/* Undo a transfer encoding, appending to out.  Invalid input is decoded
 * as far as it makes sense (quoted-printable keeps a bad "=XY" as it is,
 * base64 skips characters outside its alphabet). */
void mail_decode_qp(struct buf *out, const char *s, size_t len);
void mail_decode_base64(struct buf *out, const char *s, size_t len);

/*
 * The readable text of a message: every text/plain part (converted to
 * UTF-8 as for headers), or when there is none every text/html part with
 * its tags removed, in order, separated by newlines; enclosed messages are
 * left out.  Appended to out.
 */
void mail_text(struct buf *out, const struct mail_part *p);

/* The first line of text that holds more than whitespace, trimmed, or ""
 * (a pointer into text and its length). */
const char *mail_first_line(const char *text, size_t *len_out);

/*
 * Delivery status notifications (RFC 3464): a multipart/report with
 * report-type delivery-status (or global-delivery-status), anywhere in
 * the message tree.
 */
struct dsn_recipient {
	char *final_recipient;    /* lower-cased address, "rfc822;" removed; NULL when absent */
	char *original_recipient; /* likewise */
	char *action;             /* lower-cased: failed, delayed, delivered, relayed, expanded */
	char *status;             /* "5.1.1"; NULL when absent or not of that shape */
	char *diagnostic;         /* Diagnostic-Code with its type ("smtp;") removed, or NULL */
};

struct dsn {
	struct dsn_recipient *recipients;
	size_t count, cap;
	char *reporting_mta; /* NULL when absent */
	/* From the returned message or headers, NULL when absent: */
	char *message_id;    /* "<...>" */
	char *campaign;      /* X-Mailout-Campaign */
	char *recipient;     /* X-Mailout-Recipient */
};

/* Returns 0 and fills *out (release with dsn_release) when msg holds a
 * delivery status notification with at least one recipient block;
 * otherwise -1 and *out is empty. */
int dsn_parse(struct dsn *out, const struct mail_part *msg);
void dsn_release(struct dsn *d);

#endif
