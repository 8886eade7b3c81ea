/*
 * E-mail message assembly (RFC 5322, 2045, 2047): headers, encoded-words,
 * quoted-printable bodies, Message-ID and List-Unsubscribe headers.
 *
 * Every line of the output ends in CRLF (libcurl dot-stuffs a leading '.'
 * only on CRLF lines).  Header lines are folded at 78 characters where
 * there is a place to fold and never pass 998.  Nothing from content
 * reaches a header unchecked: CR, LF and other control characters (a NUL
 * ends a C string, so it cannot get in) are refused with an error naming
 * the header, whatever validation ran before.
 */
#ifndef MAILOUT_MIME_H
#define MAILOUT_MIME_H

#include <stddef.h>
#include <time.h>

#include "buf.h"

/* "Name <a@b>" after parsing; both owned by the struct. */
struct mime_address {
	char *name;    /* display name, quotes and escapes removed; NULL when none */
	char *address; /* "local@domain" */
};

/*
 * Parses "Name <a@b>", "\"Name, Quoted\" <a@b>", "<a@b>" or "a@b".  The
 * address must have one '@' with text on both sides and no spaces, angle
 * brackets, quotes or other specials, control or non-ASCII characters; at
 * most 254 bytes.  Returns 0, or -1 after error_set() with both fields of
 * *out left NULL.  Release with mime_address_release().
 */
int mime_parse_address(struct mime_address *out, const char *value);
void mime_address_release(struct mime_address *a);

struct mime_message {
	const char *from;               /* as in mailout.yaml: "Alice Adams <alice@example.com>" */
	const char *to_name;            /* may be NULL */
	const char *to_address;
	const char *subject;            /* UTF-8 */
	const char *text;               /* UTF-8 body; LF or CRLF line ends */
	const char *html;               /* NULL: a single text/plain part */
	time_t date;
	const char *message_id;         /* "<...@domain>"; NULL: generate one */
	const char *unsubscribe_https;  /* may be NULL; must start with https:// */
	const char *unsubscribe_mailto; /* required; must start with mailto: */
	int one_click;                  /* adds List-Unsubscribe-Post (needs the https URL) */
	const char *list_id;            /* "Name <id.example.com>" or "id.example.com"; may be NULL */
	const char *campaign, *recipient; /* X-Mailout-Campaign, X-Mailout-Recipient; may be NULL */
};

/*
 * Appends the whole message (headers and body, CRLF line ends) to out.
 * Returns 0, or -1 after error_set() naming the header at fault, with out
 * as it was.  If message_id_out is non-NULL it receives the Message-ID used
 * (the caller frees it).  The MIME boundary derives from the Message-ID, so
 * the same message with the same Message-ID renders byte for byte the same.
 *
 * Headers, in this order: Date, From, To, Subject, Message-ID,
 * MIME-Version, List-Unsubscribe, List-Unsubscribe-Post (one_click only),
 * List-Id (when given), Precedence: bulk, X-Mailout-Campaign and
 * X-Mailout-Recipient (when given), Content-Type.  The parts are
 * multipart/alternative, text/plain first, text/html last, both utf-8 and
 * quoted-printable.
 */
int mime_build(struct buf *out, const struct mime_message *m, char **message_id_out);

/*
 * A new "<32 hex digits@domain>" with 128 random bits from RAND_bytes; the
 * domain is taken from from_address ("a@b" or "Name <a@b>").  The caller
 * frees it.  NULL after error_set() when there is no usable domain or no
 * randomness.
 */
char *mime_message_id(const char *from_address);

/* Appends "Thu, 03 Dec 2026 09:30:00 +0000"; -1 after error_set() if t is out of range. */
int mime_date(struct buf *out, time_t t);

/*
 * Appends len bytes as quoted-printable: lines of at most 76 characters
 * with soft breaks "=", CRLF line ends whether the input has LF or CRLF,
 * '=', control and non-ASCII bytes encoded, whitespace before a line end
 * encoded, a '.' or "From " at the start of a line encoded.  The output
 * ends in CRLF only when the input ends in a line break.  Never produces
 * "=_" (see the boundary in mime.c).
 */
void mime_encode_qp(struct buf *out, const char *s, size_t len);

/*
 * Appends s as the value of an unstructured header (such as Subject) that
 * starts at column start_col (after "Subject: "), folded at 78 characters
 * where possible, without the final CRLF.  Plain ASCII text is kept as it
 * is; text with non-ASCII or control characters, "=?", or a word too long
 * to fold becomes RFC 2047 encoded-words (=?UTF-8?Q?...?=, or ?B? when Q
 * would be over 1.5 times as long, as for CJK), each at most 75 characters
 * and never splitting a UTF-8 sequence.
 */
void mime_encode_header_words(struct buf *out, const char *s, size_t start_col);

#endif
