/*
 * SMTP transport over libcurl: one connection reused for many messages,
 * the server's reply captured whole (code, enhanced status code, text),
 * and the reply classified into what the sender does next.
 *
 *   struct smtp *s;
 *   struct smtp_options o = { .url = "smtps://smtp.example.com:465",
 *                             .username = "alice@example.com", .password = pw };
 *   struct smtp_reply r = SMTP_REPLY_INIT;
 *   int cc;
 *
 *   if (smtp_open(&s, &o) < 0) ...error_last()...
 *   smtp_send(s, "alice@example.com", "jana@example.net", msg, len, &r, &cc);
 *   switch (smtp_classify(&r, cc)) { ... }
 *   smtp_reply_release(&r);
 *   smtp_close(s);
 *
 * The program calls curl_global_init() once before using this module and
 * curl_global_cleanup() once at exit.  A handle is used by one thread.
 *
 * Transport security, decided from the URL and the options' tls mode
 * (src/tls.h):
 *   smtps://HOST[:465]      TLS from the first byte, whatever tls says;
 *   smtp://HOST[:587]       STARTTLS required: no TLS, no mail (never a
 *                           fall-back to plain text);
 *   smtp://LOOPBACK:PORT    plain text, only when HOST is 127.0.0.0/8, ::1
 *                           or "localhost" (a local sink or relay), and
 *                           without any proxy; with TLS_STARTTLS STARTTLS
 *                           is required there too.
 * The certificate and its host name are always verified.  The name given
 * in EHLO is helo, else the URL's path, if any, else libcurl's default
 * (the machine's name); user:password in the URL are used when username
 * is NULL.
 */
#ifndef MAILOUT_SMTP_H
#define MAILOUT_SMTP_H

#include <stddef.h>

#include "tls.h"

/*
 * A server reply.  text is allocated (free with smtp_reply_release) and
 * holds every line of the reply as the server sent it, code included,
 * joined with '\n' without CR or LF, e.g. "550 5.1.1 No such user" (other
 * control characters become spaces; a reply is cut at 8 KiB).  For a
 * failure without a reply (connection refused, timeout, TLS) code is 0,
 * enhanced is "" and text is libcurl's error message.
 */
struct smtp_reply {
	int code; /* 250, 550, ...; 0: no reply */
	char enhanced[16]; /* RFC 3463 "5.1.1", or "" */
	char *text;
	/* The command the reply answers: "CONNECT" (the greeting), "EHLO",
	 * "STARTTLS", "AUTH", "MAIL", "RCPT", "DATA" (also the final reply
	 * after the message); "" when unknown. */
	char command[12];
	/* 1 when the connection failed after the whole message had been
	 * handed over and before the server's final reply: the server may
	 * have accepted the message, so it must not be sent again blindly. */
	int uncertain;
};

#define SMTP_REPLY_INIT { 0, "", NULL, "", 0 }

/* Frees text; the reply is empty (SMTP_REPLY_INIT) again. */
void smtp_reply_release(struct smtp_reply *r);

/*
 * What a reply means for the sender, by what it says and by the command
 * it answers (struct smtp_reply.command).
 *
 * smtp_classify() looks at the reply when its code is 400 or more, else
 * at the libcurl code when that is not 0 (CURLE_OK), else it is SMTP_OK.
 * Replies go through this table, first match wins (an "x.y." code is a
 * prefix, "x.y.z" exact; words match case-insensitively at a word start,
 * where a capital after a small letter starts a word too, so
 * "SubmissionQuotaExceededException" contains the word "QuotaExceeded"):
 *
 *   reply                  at RCPT              otherwise
 *   5.2.2, 4.2.x           recipient_temporary  recipient_temporary   the recipient's
 *                                                                     mailbox (full)
 *   5.1.7, 5.1.8           critical             critical              the sender's
 *                                                                     address is bad
 *   5.1.x, 5.2.1           recipient_permanent  recipient_permanent   bad address,
 *                                                                     disabled mailbox
 *   5.2.3, 5.3.x, 5.6.x    recipient_rejected   critical              the message itself
 *   5.5.x                  recipient_rejected   critical              protocol error
 *   5.4.5, 4.3.2           account_limit        account_limit         daily quota (Gmail),
 *                                               too many concurrent submissions (Microsoft)
 *   4xx/5xx "QuotaExceeded"  account_limit      account_limit         Microsoft 554 5.2.0
 *   4xx/5xx "sending quota", "sending limit"    account_limit (both)
 *   4xx "rate", "throttled" ("throttl...")      account_limit (both)
 *   5.7.x                  recipient_rejected   critical              authentication, TLS,
 *                                                                     policy
 *   421, 432, 454          account_limit        account_limit         closing, throttling,
 *                                               temporary AUTH/TLS trouble
 *   530, 534, 535, 538     recipient_rejected   critical              authentication
 *                                               required, mechanism too weak, invalid
 *                                               credentials, TLS required
 *   552                    recipient_temporary  recipient_temporary   storage exceeded
 *                                               (RFC 5321: a 552 to RCPT is temporary)
 *   550-553 "user unknown", "unknown user", "no such user", "no such
 *     recipient", "unknown recipient", "recipient unknown", "does not
 *     exist", "no mailbox"  recipient_permanent (both)
 *   other 4xx              recipient_temporary  recipient_temporary
 *   other 5xx              recipient_rejected   critical: with no code that
 *                          names the recipient, mailout does not guess; the
 *                          account stops until a person has read the reply,
 *                          and nobody is suppressed on a guess.
 *
 * By phase: a refusal at RCPT that names no mailbox problem is about that
 * one recipient ("554 5.7.1 <x>: Recipient address rejected: Access
 * denied"): recipient_rejected, the delivery fails, nobody is suppressed,
 * and the account goes on (the sender makes the account critical when
 * three RCPT in a row are refused with the same code: then the refusal is
 * about the account, as "Relay access denied" is).  The "otherwise"
 * column holds for DATA (the final reply after the message) and for an
 * unknown command (""); a recipient class for a reply to the greeting,
 * EHLO, STARTTLS, AUTH or MAIL is about the account, not the recipient:
 * recipient_temporary becomes account_limit, recipient_permanent critical.
 * So 5.7.x at the greeting, EHLO, AUTH, MAIL and DATA stays critical.
 *
 * libcurl codes without a reply: login denied (67), STARTTLS refused (64),
 * every TLS and certificate error, a malformed URL, an unsupported
 * protocol, a message over the server's SIZE limit (63): critical;
 * everything else (cannot resolve or connect, timeout, send/receive error,
 * connection closed): network.
 */
enum smtp_class {
	SMTP_OK,
	SMTP_RECIPIENT_TEMPORARY, /* 4.x.x for the recipient, 5.2.2 mailbox full: retry with backoff */
	SMTP_RECIPIENT_PERMANENT, /* 5.1.x bad address, 5.2.1 disabled: failed + hard bounce */
	SMTP_ACCOUNT_LIMIT, /* quota/throttling: the account rests or backs off */
	SMTP_CRITICAL, /* authentication, TLS, message rejected, policy: account red until resume */
	SMTP_NETWORK, /* connection/timeout errors: retry later */
	SMTP_RECIPIENT_REJECTED /* other 5xx at RCPT: failed, not suppressed; the account goes on */
};

enum smtp_class smtp_classify(const struct smtp_reply *r, int curl_code);

/*
 * The reply to command ("RCPT TO:<...>", as sent; NULL: the greeting) in
 * the bytes text[0..len) the server sent, read as the transport reads
 * them: the last complete reply (a "NNN " line ends one), its enhanced
 * code from its last line.  Returns 0 with *out filled, or -1 when text
 * holds no complete reply (*out then has code 0 and empty text); release
 * *out in both cases.
 */
int smtp_reply_parse(struct smtp_reply *out, const char *command, const char *text, size_t len);
/* "ok", "recipient_temporary", "recipient_permanent", "account_limit",
 * "critical", "network", "recipient_rejected". */
const char *smtp_class_name(enum smtp_class c);

struct smtp_options {
	const char *url; /* see the top of this file */
	const char *username; /* NULL: no AUTH (unless the URL has credentials) */
	const char *password; /* for AUTH PLAIN/LOGIN */
	const char *bearer; /* XOAUTH2 access token instead of password */
	/* connect_timeout_ms bounds the connection phase (TCP, TLS, greeting,
	 * EHLO, AUTH; 0: 15 s).  Afterwards the server may be silent for up to
	 * final_timeout_ms before its reply to the final '.' (0: 10 minutes)
	 * and up to reply_timeout_ms before any other reply (0: 5 minutes),
	 * RFC 5321 section 4.5.3.2; a wait that runs out ends the transaction
	 * with CURLE_OPERATION_TIMEDOUT, code 0, and text "no reply within N s"
	 * (with " after the message (the final '.')" for the final wait, which
	 * is then uncertain). */
	long connect_timeout_ms, reply_timeout_ms, final_timeout_ms;
	enum tls_mode tls; /* TLS_DEFAULT, TLS_STARTTLS, TLS_NONE (loopback only) */
	/* CA certificates (PEM) in memory, else a CA bundle file, else
	 * $CURL_CA_BUNDLE, $SSL_CERT_FILE, the system's (src/tls.h) */
	const char *ca_pem;
	size_t ca_pem_len;
	const char *ca_file;
	/* The name given in EHLO (a fully qualified domain name, e.g. the
	 * From address's domain); NULL: the URL's path or libcurl's default.
	 * smtp_open() refuses anything but letters, digits and ".-[]:". */
	const char *helo;
	/* Optional "HOST:PORT:ADDRESS:PORT" (curl's --connect-to): connect
	 * elsewhere than the URL says while TLS still checks the URL's host
	 * name; for tests.  Plain text is then never allowed. */
	const char *connect_to;
};

struct smtp;

/*
 * Creates the handle; the connection is made by the first send.  The
 * strings of o are copied.  -1 with error_set() for a URL that is not
 * smtp:// or smtps:// with a host name, TLS_NONE to a host that is not
 * loopback, or an invalid helo.  *out is freed with smtp_close().
 */
int smtp_open(struct smtp **out, const struct smtp_options *o);

/*
 * Sends one message (already CRLF-terminated lines) to one recipient over
 * the reused connection, opening a new one when needed.  *reply is
 * overwritten (release it before reuse) and always filled: with the
 * server's final reply after the message on success, the reply that
 * refused the transaction on failure, or code 0 and libcurl's error text;
 * *curl_code_out gets the CURLcode (0 on success).  Returns 0 when the
 * transaction ran (look at the reply and smtp_classify), -1 with
 * error_set() when an address holds a control character, '<' or '>' (the
 * reply says so too, with curl code 43, so it classifies as critical).
 * A reused connection that turns out dead before any of the message was
 * sent is replaced once, silently.
 */
int smtp_send(struct smtp *s, const char *mail_from, const char *rcpt,
	      const char *message, size_t len, struct smtp_reply *reply,
	      int *curl_code_out);

/*
 * Logs in without sending (`mailout accounts check`): connects, EHLO,
 * STARTTLS as the URL requires, AUTH, QUIT.  *reply is overwritten and
 * filled as above (on success with the reply to AUTH, or to EHLO when no
 * credentials are given).  Returns 0 when the login worked, -1 with
 * error_set() otherwise, also when credentials were given and the server
 * offered no AUTH at all.  The message is "STEP: WHY": STEP the step that
 * failed ("connect", "TLS", "EHLO", "STARTTLS" or "AUTH"), WHY the last
 * line of the server's reply (e.g. "535 5.7.8 Authentication credentials
 * invalid"; never a whole EHLO list) or libcurl's message.
 */
int smtp_check_login(const struct smtp_options *o, struct smtp_reply *reply);

/* Says QUIT on an open connection and frees s (NULL is fine). */
void smtp_close(struct smtp *s);

#endif
