/*
 * Reading a mailbox over IMAP with libcurl, without changing it: the
 * unsubscribe mailbox and the sending accounts' inboxes, where delivery
 * reports arrive among the managers' own mail.
 *
 * The mailbox is opened with EXAMINE (read-only: the server changes no
 * flag) and messages are fetched with UID FETCH n (BODY.PEEK[]<0.N>), so
 * nothing is marked read.  Commands go through CURLOPT_CUSTOMREQUEST and
 * their responses, literals included, are read from libcurl's header
 * callback, which sees every response line.
 *
 * URLs: imaps://host[:port]/MAILBOX, or imap://host[:port]/MAILBOX where
 * plain text is allowed only to a loopback address and STARTTLS is
 * required for any other host (and to loopback too with TLS_STARTTLS;
 * src/tls.h).  The certificate and its host name are always verified.  The mailbox (URL-decoded, default INBOX)
 * must be printable ASCII.  Credentials never come from the URL's
 * options: username and password (or an XOAUTH2 bearer token) are given
 * separately.
 *
 * A message whose content looks like a response line could make libcurl
 * end a command early; every response is therefore checked against the
 * literal sizes the server announced, and a response that does not add up
 * marks the message damaged and replaces the connection before the next
 * command.  A connection that libcurl had to replace (the server closed
 * it) is examined again, and a changed UIDVALIDITY is an error.
 */
#ifndef MAILOUT_IMAP_H
#define MAILOUT_IMAP_H

#include <stddef.h>

#include "buf.h"
#include "tls.h"

/* Messages are read up to this many bytes; the rest is left out. */
#define IMAP_FETCH_MAX (10u * 1024 * 1024)
/* UID SEARCH runs over windows of this many UIDs, which keeps every
 * response line well below libcurl's line limit. */
#define IMAP_SEARCH_WINDOW 20000ul

struct imap_options {
	const char *url;
	const char *username;
	const char *password; /* or: */
	const char *bearer;   /* XOAUTH2 access token */
	long connect_timeout_ms, timeout_ms; /* 0: 15 s and 60 s */
	enum tls_mode tls;    /* TLS_DEFAULT, TLS_STARTTLS, TLS_NONE (loopback only) */
	/* CA certificates (PEM) in memory, else a CA bundle file, else
	 * $CURL_CA_BUNDLE, $SSL_CERT_FILE, the system's (src/tls.h) */
	const char *ca_pem;
	size_t ca_pem_len;
	const char *ca_file;
};

struct imap;

/*
 * Connects, logs in and EXAMINEs the mailbox.  The strings of o are
 * copied.  Returns 0, or -1 after error_set() naming the URL and why (a
 * refused login, an unknown mailbox, a network or TLS error, a URL that
 * is not imap:// or imaps://, TLS_NONE to a host that is not loopback) and *out NULL.  Free *out with imap_close()
 * (which says LOGOUT).  The program calls curl_global_init() first.
 */
int imap_open(struct imap **out, const struct imap_options *o);
void imap_close(struct imap *s);

/*
 * Logs in, EXAMINEs the mailbox and says LOGOUT (`mailout accounts
 * check`).  Returns 0 when all of it worked, else -1 after error_set()
 * with "STEP: WHY", STEP the step that failed ("connect", "TLS", "AUTH"
 * or "SELECT") and WHY the server's tagged answer without its tag (e.g.
 * "NO [AUTHENTICATIONFAILED] Authentication failed.") or libcurl's
 * message when the server gave none.
 */
int imap_check_login(const struct imap_options *o);

/* What EXAMINE said: UIDVALIDITY, UIDNEXT (0 when the server did not say)
 * and the number of messages. */
unsigned long imap_uidvalidity(const struct imap *s);
unsigned long imap_uidnext(const struct imap *s);
unsigned long imap_exists(const struct imap *s);
/* The mailbox name read from the URL. */
const char *imap_mailbox(const struct imap *s);

/*
 * The UIDs greater than after and below UIDNEXT as EXAMINE reported it
 * (without UIDNEXT: every one), ascending, that match the search key
 * criteria (NULL or "" for all; e.g. "HEADER Content-Type report").
 * *uids_out is malloc'd (free it; NULL when *n_out is 0).  *last_out (may
 * be NULL) receives the highest UID the search covered: UIDNEXT - 1, or
 * the highest UID found, or after.  Returns 0, or -1 after error_set().
 */
int imap_search(struct imap *s, unsigned long after, const char *criteria,
		unsigned long **uids_out, size_t *n_out, unsigned long *last_out);

enum imap_fetch_result {
	IMAP_FETCHED = 0,  /* the whole message, or its first IMAP_FETCH_MAX bytes */
	IMAP_DAMAGED = 1,  /* the response did not add up: *out holds what arrived */
	IMAP_GONE = 2,     /* no such message (expunged meanwhile) */
	IMAP_REFUSED = 3   /* the server answered NO for it; error_last() says why */
};

/*
 * Fetches message uid with BODY.PEEK[] into out (reset first).  Returns an
 * enum imap_fetch_result, or -1 after error_set() when the connection
 * failed (network, login, a changed UIDVALIDITY).
 */
int imap_fetch(struct imap *s, unsigned long uid, struct buf *out);

/*
 * The account's Sent folder (RFC 6154): the first mailbox that LIST
 * (SPECIAL-USE) or, when the server knows no such option or names none,
 * a plain LIST marks \Sent, into *mailbox_out (malloc'd).  1 when found,
 * 0 when no mailbox is marked (*mailbox_out NULL), -1 after error_set()
 * when the connection failed.
 */
int imap_find_sent(struct imap *s, char **mailbox_out);

/* EXAMINEs another mailbox of the same server (read-only) instead of the
 * URL's; what imap_uidvalidity() and the rest say is then about it.  0, or
 * -1 after error_set() (an unknown mailbox, a name that is not printable
 * ASCII, the connection). */
int imap_examine_mailbox(struct imap *s, const char *mailbox);

/* Whether a message of the examined mailbox has the header Message-ID
 * message_id (UID SEARCH HEADER, with the value quoted): 1 or 0, or -1
 * after error_set() (the connection, the server's NO, an id that is not
 * printable ASCII of at most 250 bytes). */
int imap_has_message_id(struct imap *s, const char *message_id);

/*
 * The parsers of the server's responses, used by the functions above and
 * open to tests.  resp[0..len) is every response line of one command as
 * the server sent it, literals ("{123}" and the bytes after) included;
 * any bytes are safe.
 */
/* EXAMINE's UIDVALIDITY, UIDNEXT and EXISTS, each 0 when not said. */
void imap_parse_examine(unsigned long *uidvalidity, unsigned long *uidnext,
			unsigned long *exists, const char *resp, size_t len);
/* Appends the UIDs of "* SEARCH" lines that lie in lo..hi (hi 0: no
 * upper bound) to (*uids)[0..*n), grown as XGROW does with *cap.  -1 when
 * a literal is longer than what follows it (the response does not add
 * up), else 0. */
int imap_parse_search(unsigned long **uids, size_t *n, size_t *cap, const char *resp, size_t len,
		      unsigned long lo, unsigned long hi);
/* Appends the message uid of a UID FETCH response to out: IMAP_FETCHED,
 * IMAP_DAMAGED (out holds what arrived, possibly nothing) or IMAP_GONE. */
int imap_parse_fetch(struct buf *out, const char *resp, size_t len, unsigned long uid);
/* The tagged NO or BAD answer in resp, tag left out, made printable and
 * cut short, into out[0..size); "(no answer)" when there is none. */
void imap_parse_tagged(char *out, size_t size, const char *resp, size_t len);
/* The name of the first mailbox of "* LIST" lines whose attributes hold
 * \Sent (quoted, atom or literal; unquoted), malloc'd; NULL when none
 * does or the line does not add up. */
char *imap_parse_list_sent(const char *resp, size_t len);

#endif
