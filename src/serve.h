/*
 * The one-click unsubscribe endpoint (RFC 8058), `mailout serve`: an
 * HTTP/1.1 server (GNU libmicrohttpd) that needs no repository, only the
 * organisation's name, the path it answers on, the keys that sign the
 * tokens and the unsubscribe mailbox.
 *
 *   POST PATH?t=TOKEN   body "List-Unsubscribe=One-Click" (or t=TOKEN in
 *                       the form body): a verified token is appended to
 *                       the journal SPOOL/journal and fsync'd before the
 *                       answer 200; the same token again is recorded once.
 *   GET/HEAD PATH?t=... a page with a plain form button that POSTs; a GET
 *                       never records (link scanners follow links).
 *   GET /healthz        JSON: whether the mailbox was reachable at the last
 *                       try and how many entries wait.
 * A token that does not verify gets 400 and a page with the mailto
 * fallback.  Limits: bodies over SERVE_BODY_MAX 413, request headers over
 * SERVE_HEADERS_MAX 431, methods other than GET, HEAD and POST 405,
 * connections idle for SERVE_IDLE_SECONDS closed, at most
 * connection_max connections, rate_limit requests per client address and
 * minute (429), at most journal_max waiting entries (503).
 *
 * A worker thread delivers each journal entry to the unsubscribe mailbox
 * by IMAP APPEND, as a message `unsubscribes sync` reads (subject
 * "unsubscribe TOKEN", header X-Mailout-One-Click: yes), and records it
 * in SPOOL/delivered (fsync'd) once the server confirmed; the journal is
 * then rewritten without it (when it is empty, else every 1,000
 * deliveries).  While the mailbox cannot be reached the entries wait and
 * are tried again every retry_ms.  A delivered token is remembered (the
 * same token again is not delivered again) for delivered_keep seconds,
 * delivered_max tokens at most; older ones are pruned from
 * SPOOL/delivered, so the spool stays bounded.  Both files hold lines
 * "TOKEN<TAB>UNIX-TIME".
 *
 * At start both files are read back (entries already in SPOOL/delivered
 * are left out of the journal), so a restart loses nothing that was
 * answered 200; a last line without its newline (a crash or a full disk
 * mid-write: never answered) and damaged lines are left out, counted in
 * serve_recovered(), and both files are written anew.  A write to the
 * journal that fails is cut off again and answered 503.
 */
#ifndef MAILOUT_SERVE_H
#define MAILOUT_SERVE_H

#include <stddef.h>

#include "buf.h"
#include "tls.h"

#define SERVE_BODY_MAX 4096
#define SERVE_HEADERS_MAX 8192
#define SERVE_IDLE_SECONDS 10
#define SERVE_CONNECTIONS_DEFAULT 1024
#define SERVE_RATE_LIMIT_DEFAULT 60
#define SERVE_JOURNAL_DEFAULT 100000
#define SERVE_JOURNAL_FILE "journal"
#define SERVE_DELIVERED_FILE "delivered"
#define SERVE_DELIVERED_KEEP_DEFAULT (7 * 24 * 3600)
#define SERVE_DELIVERED_MAX_DEFAULT 100000

struct token_keys;
struct serve_pages;

struct serve_options {
	const char *listen;        /* "ADDR:PORT" ("[::1]:8080" for IPv6) */
	const char *spool;         /* the directory of the journal (made when missing) */
	const char *path;          /* the path answered on, "/unsubscribe" say */
	const char *org_name;      /* shown on the pages */
	const char *language;      /* of the pages (organization.language); NULL: en */
	const struct serve_pages *pages; /* borrowed (src/serve_page.h); outlives the server */
	const char *mailto;        /* the unsubscribe address, for the fallback */
	const struct token_keys *keys; /* borrowed; outlives the server */
	/* the unsubscribe mailbox (imap:// or imaps:// URL), its login and TLS */
	const char *mailbox, *username, *password;
	enum tls_mode tls;
	const char *ca_pem, *ca_file;
	size_t ca_pem_len;
	const char *trusted_proxy; /* peer whose X-Forwarded-For is believed; NULL: none */
	long rate_limit;           /* per client address and minute; 0: off */
	unsigned connection_max;   /* 0: SERVE_CONNECTIONS_DEFAULT */
	size_t journal_max;        /* 0: SERVE_JOURNAL_DEFAULT */
	long retry_ms;             /* 0: 5000 */
	long long delivered_keep;  /* seconds; 0: SERVE_DELIVERED_KEEP_DEFAULT */
	size_t delivered_max;      /* 0: SERVE_DELIVERED_MAX_DEFAULT */
};

/* What the start found in the spool. */
struct serve_recovery {
	size_t waiting;   /* entries of the journal not delivered yet */
	size_t delivered; /* delivered tokens still remembered */
	size_t cut_bytes; /* of a last journal line without its newline */
	size_t bad_lines; /* damaged lines of either file, left out */
};

struct serve;

/*
 * Reads the journal back, starts the delivery worker and listens.  The
 * strings of o are copied (keys are borrowed).  Returns 0 and the server
 * in *out, or -1 after error_set() (the address cannot be bound, the
 * spool cannot be written, the mailbox URL is not imap:// or imaps://).
 * The program calls curl_global_init() first.
 */
int serve_start(struct serve **out, const struct serve_options *o);
/* Stops listening and the worker (an APPEND under way is finished) and
 * frees the server; NULL is fine.  Waiting entries stay in the journal. */
void serve_stop(struct serve *s);
/* The port listened on (for --listen ADDR:0). */
unsigned serve_port(const struct serve *s);
/* What serve_start() read back from the spool. */
const struct serve_recovery *serve_recovered(const struct serve *s);

/*
 * The value of the first field name in the form-encoded text[0..len)
 * ("a=1&t=v1.x"), '+' and %XX decoded, into out (reset first).  1 when
 * found, 0 when not; any bytes are safe.  A value is cut at max bytes
 * (returns -1 then, out holding the first max).
 */
int serve_form_value(struct buf *out, const char *text, size_t len, const char *name, size_t max);

#endif
