/*
 * mailout serve: the one-click unsubscribe endpoint (see serve.h).  Three
 * parts: the journal (pending entries in memory and in SPOOL/journal, the
 * tokens already delivered in SPOOL/delivered), the worker that APPENDs
 * them to the unsubscribe mailbox, and the HTTP requests.  One lock
 * guards the journal, the rate counters and the mailbox state.
 */
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <netdb.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "diag.h"
#include "serve.h"
#include "text.h"
#include "token.h"
#include "util.h"
#include "xalloc.h"

#define SERVE_THREADS 4 /* answering requests: while some wait for the disk */
#define COMPACT_EVERY 1000 /* deliveries between rewrites of the journal */
#define MEMORY_LIMIT (32 * 1024) /* per connection: headers and the answer */
#define DISCARD_MAX (16 * SERVE_BODY_MAX) /* a body too large read before the 413 */

struct entry {
	char *token;
	long long at; /* when it was answered 200, seconds since 1970 */
};

struct rate {
	long count;
};

struct serve {
	struct MHD_Daemon *daemon;
	char *spool, *path, *org_name, *mailto, *mailbox, *username, *password;
	char *ca_pem, *ca_file, *trusted_proxy;
	size_t ca_pem_len;
	int plain;
	const struct token_keys *keys;
	long rate_limit, retry_ms;
	size_t journal_max;
	unsigned port;

	pthread_mutex_t lock;
	pthread_cond_t wake;
	/* group commit: requests append under the lock, then one of them
	 * syncs the journal for all written so far while the others wait */
	pthread_cond_t synced;
	unsigned long long written, durable; /* lines written, lines on disk */
	int syncing;
	int lock_made, worker_started, stopping;
	pthread_t worker;
	int journal_fd, delivered_fd;
	struct entry *pending; /* pending[head..npending) wait */
	size_t head, npending, pending_cap, since_compact;
	struct strmap seen; /* every token waiting or delivered */
	int reachable; /* -1 not tried yet, 0 no, 1 yes */
	struct strmap rates; /* client address -> struct rate, this minute */
	long long rate_minute;
	CURL *curl; /* the worker's */
};

/* One request being read. */
struct request {
	struct buf body;
	size_t received; /* bytes of body, kept or not */
	int answered;
};

static char *dup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

static char *spool_path(const struct serve *s, const char *name)
{
	return xasprintf("%s/%s", s->spool, name);
}

/* ---- form fields ---- */

int serve_form_value(struct buf *out, const char *text, size_t len, const char *name, size_t max)
{
	size_t i = 0, nlen = strlen(name), end;
	int ret = 0, h;

	buf_reset(out);
	while (i <= len && !ret) {
		for (end = i; end < len && text[end] != '&'; end++)
			;
		if (end - i > nlen && !memcmp(text + i, name, nlen) && text[i + nlen] == '=') {
			ret = 1;
			for (i += nlen + 1; i < end; i++) {
				if (out->len >= max) {
					ret = -1;
					break;
				}
				if (text[i] == '+') {
					buf_addc(out, ' ');
				} else if (text[i] == '%' && end - i >= 3 &&
					   (h = text_hex_byte(text + i + 1)) >= 0) {
					buf_addc(out, (char)h);
					i += 2;
				} else {
					buf_addc(out, text[i]);
				}
			}
		} else if (end - i == nlen && !memcmp(text + i, name, nlen)) {
			ret = 1; /* "name" alone: an empty value */
		}
		i = end + 1;
	}
	return ret;
}

/* ---- the journal ---- */

static int fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), ret = 0;

	if (fd < 0 || fsync(fd) < 0)
		ret = error_set("cannot sync '%s': %s", dir, strerror(errno));
	if (fd >= 0)
		close(fd);
	return ret;
}

static void pending_add(struct serve *s, const char *token, long long at)
{
	XGROW(s->pending, s->pending_cap, s->npending + 1);
	s->pending[s->npending].token = xstrdup(token);
	s->pending[s->npending].at = at;
	s->npending++;
}

/* Writes the waiting entries to a new journal and puts it in place of
 * the old one (under the lock, or before the threads start). */
static int journal_rewrite(struct serve *s)
{
	char *path = spool_path(s, SERVE_JOURNAL_FILE), *tmp = spool_path(s, SERVE_JOURNAL_FILE ".new");
	struct buf b = BUF_INIT;
	size_t i;
	int fd = -1, ret = -1;

	for (i = s->head; i < s->npending; i++)
		buf_addf(&b, "%s\t%lld\n", s->pending[i].token, s->pending[i].at);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || fd_write_all(fd, b.ptr, b.len) < 0 || fsync(fd) < 0 || close(fd) < 0) {
		error_set("cannot write '%s': %s", tmp, strerror(errno));
		goto done;
	}
	fd = -1;
	if (rename(tmp, path) < 0) {
		error_set("cannot rename '%s': %s", tmp, strerror(errno));
		goto done;
	}
	if (fsync_dir(s->spool) < 0)
		goto done;
	while (s->syncing)
		pthread_cond_wait(&s->synced, &s->lock);
	if (s->journal_fd >= 0)
		close(s->journal_fd);
	s->journal_fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC);
	if (s->journal_fd < 0) {
		error_set("cannot open '%s': %s", path, strerror(errno));
		goto done;
	}
	/* the delivered entries before head are gone from the file now */
	for (i = s->head; i < s->npending; i++)
		s->pending[i - s->head] = s->pending[i];
	for (i = s->npending - s->head; i < s->npending; i++)
		s->pending[i].token = NULL;
	s->npending -= s->head;
	s->head = 0;
	s->since_compact = 0;
	s->durable = s->written; /* the new file holds them all, synced */
	pthread_cond_broadcast(&s->synced);
	ret = 0;
done:
	if (fd >= 0)
		close(fd);
	free(path);
	free(tmp);
	buf_release(&b);
	return ret;
}

/* Reads SPOOL/delivered and SPOOL/journal back; a last line cut short by
 * a crash was never answered and is left out. */
static int journal_load(struct serve *s)
{
	char *delivered = spool_path(s, SERVE_DELIVERED_FILE), *journal = spool_path(s, SERVE_JOURNAL_FILE);
	struct buf b = BUF_INIT;
	char *line, *nl, *tab;
	int ret = -1, added;

	if (buf_read_file(&b, delivered, (size_t)1 << 30) < 0 && errno != ENOENT)
		goto done;
	for (line = b.ptr; (nl = strchr(line, '\n')); line = nl + 1) {
		*nl = '\0';
		if (*line)
			strmap_put(&s->seen, line, &added);
	}
	buf_reset(&b);
	if (buf_read_file(&b, journal, (size_t)1 << 30) < 0 && errno != ENOENT)
		goto done;
	for (line = b.ptr; (nl = strchr(line, '\n')); line = nl + 1) {
		*nl = '\0';
		tab = strchr(line, '\t');
		if (!tab || tab == line)
			continue;
		*tab = '\0';
		strmap_put(&s->seen, line, &added);
		if (added)
			pending_add(s, line, strtoll(tab + 1, NULL, 10));
	}
	s->delivered_fd = open(delivered, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (s->delivered_fd < 0) {
		error_set("cannot open '%s': %s", delivered, strerror(errno));
		goto done;
	}
	ret = journal_rewrite(s);
done:
	free(delivered);
	free(journal);
	buf_release(&b);
	return ret;
}

enum record_result { RECORDED, RECORDED_BEFORE, JOURNAL_FULL, JOURNAL_FAILED };

/* Under the lock: waits until line number seq of the journal is on
 * disk, syncing it (for every request waiting) when nobody else is. */
static int journal_wait_durable(struct serve *s, unsigned long long seq)
{
	unsigned long long upto;
	int fd, r;

	while (s->durable < seq) {
		if (s->syncing) {
			pthread_cond_wait(&s->synced, &s->lock);
			continue;
		}
		s->syncing = 1;
		upto = s->written;
		fd = s->journal_fd;
		pthread_mutex_unlock(&s->lock);
		r = fdatasync(fd);
		pthread_mutex_lock(&s->lock);
		s->syncing = 0;
		if (r == 0 && upto > s->durable)
			s->durable = upto;
		pthread_cond_broadcast(&s->synced);
		if (r < 0)
			return -1;
	}
	return 0;
}

/* Makes token durable: appended to the journal and synced to disk. */
static enum record_result journal_record(struct serve *s, const char *token)
{
	enum record_result r = RECORDED;
	struct buf line = BUF_INIT;
	long long now = (long long)time(NULL);
	struct strmap_entry *e;
	int added = 0;

	pthread_mutex_lock(&s->lock);
	e = strmap_get(&s->seen, token);
	if (e) {
		/* answered like the first time: once its line is on disk */
		r = RECORDED_BEFORE;
		if (journal_wait_durable(s, (unsigned long long)(uintptr_t)e->value) < 0)
			r = JOURNAL_FAILED;
		goto done;
	}
	if (s->npending - s->head >= s->journal_max) {
		r = JOURNAL_FULL;
		goto done;
	}
	buf_addf(&line, "%s\t%lld\n", token, now);
	if (fd_write_all(s->journal_fd, line.ptr, line.len) < 0) {
		r = JOURNAL_FAILED;
		goto done;
	}
	e = strmap_put(&s->seen, token, &added);
	e->value = (void *)(uintptr_t)++s->written; /* its line (0: on disk before) */
	pending_add(s, token, now);
	pthread_cond_signal(&s->wake);
	if (journal_wait_durable(s, s->written) < 0)
		r = JOURNAL_FAILED; /* written, maybe delivered: the client may try again */
done:
	pthread_mutex_unlock(&s->lock);
	buf_release(&line);
	return r;
}

/* ---- delivery by IMAP APPEND ---- */

struct upload {
	const char *data;
	size_t len, off;
};

static size_t on_read(char *ptr, size_t size, size_t nitems, void *arg)
{
	struct upload *u = arg;
	size_t n = size * nitems;

	if (n > u->len - u->off)
		n = u->len - u->off;
	memcpy(ptr, u->data + u->off, n);
	u->off += n;
	return n;
}

static void add_date(struct buf *b, long long at)
{
	time_t t = (time_t)at;
	struct tm tm;
	char date[64];

	if (!gmtime_r(&t, &tm) || !strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000", &tm))
		date[0] = '\0';
	buf_adds(b, date);
}

/* The message `unsubscribes sync` reads: the token in the subject. */
static void entry_message(struct buf *b, const struct serve *s, const struct entry *e)
{
	buf_adds(b, "Date: ");
	add_date(b, e->at);
	buf_addf(b, "\r\nFrom: mailout serve <%s>\r\nTo: <%s>\r\n", s->mailto, s->mailto);
	buf_addf(b, "Subject: unsubscribe %s\r\n", e->token);
	buf_addf(b, "Message-ID: <one-click.%016llx.%lld@mailout.invalid>\r\n",
		 (unsigned long long)hash_bytes(e->token, strlen(e->token)), e->at);
	buf_adds(b, "X-Mailout-One-Click: yes\r\nMIME-Version: 1.0\r\n"
		    "Content-Type: text/plain; charset=utf-8\r\n\r\n");
	buf_addf(b, "unsubscribe %s\r\n\r\nA one-click unsubscribe (RFC 8058), answered at ", e->token);
	add_date(b, e->at);
	buf_adds(b, " by mailout serve.\r\n");
}

#define SETOPT(opt, val) \
	do { \
		if (curl_easy_setopt(c, (opt), (val)) != CURLE_OK) \
			failed = #opt; \
	} while (0)

/* APPENDs one entry: 0 when the server confirmed, else -1 (error_set). */
static int entry_append(struct serve *s, const struct entry *e)
{
	struct buf msg = BUF_INIT;
	struct upload up;
	char errbuf[CURL_ERROR_SIZE] = "";
	const char *failed = NULL, *tls_failed;
	CURLcode rc;
	CURL *c;
	int ret = -1;

	if (!s->curl)
		s->curl = curl_easy_init();
	c = s->curl;
	if (!c)
		return error_set("cannot create a libcurl handle");
	entry_message(&msg, s, e);
	up.data = msg.ptr;
	up.len = msg.len;
	up.off = 0;
	SETOPT(CURLOPT_URL, s->mailbox);
	SETOPT(CURLOPT_PROTOCOLS_STR, "imap,imaps");
	SETOPT(CURLOPT_NOSIGNAL, 1L);
	SETOPT(CURLOPT_CONNECTTIMEOUT_MS, 10000L);
	SETOPT(CURLOPT_TIMEOUT_MS, 30000L);
	SETOPT(CURLOPT_ERRORBUFFER, errbuf);
	SETOPT(CURLOPT_UPLOAD, 1L);
	SETOPT(CURLOPT_READFUNCTION, on_read);
	SETOPT(CURLOPT_READDATA, &up);
	SETOPT(CURLOPT_INFILESIZE_LARGE, (curl_off_t)msg.len);
	SETOPT(CURLOPT_USERNAME, s->username);
	SETOPT(CURLOPT_PASSWORD, s->password);
	tls_failed = tls_curl_setup(c, s->plain, s->ca_pem, s->ca_pem_len, s->ca_file);
	if (tls_failed)
		failed = tls_failed;
	if (failed) {
		error_set("libcurl refused %s", failed);
		goto done;
	}
	rc = curl_easy_perform(c);
	if (rc != CURLE_OK) {
		error_set("%s: APPEND failed: %s", s->mailbox, *errbuf ? errbuf : curl_easy_strerror(rc));
		goto done;
	}
	ret = 0;
done:
	if (ret < 0 && s->curl) {
		curl_easy_cleanup(s->curl); /* a fresh connection next time */
		s->curl = NULL;
	}
	buf_release(&msg);
	return ret;
}

/* Under the lock: the entry at head was delivered. */
static void entry_delivered(struct serve *s)
{
	struct entry *e = &s->pending[s->head];
	struct buf line = BUF_INIT;

	buf_addf(&line, "%s\n", e->token);
	/* a failed write only means the token may be APPENDed again after a
	 * restart, which `unsubscribes sync` takes as the same request */
	if (fd_write_all(s->delivered_fd, line.ptr, line.len) == 0)
		(void)fdatasync(s->delivered_fd);
	free(e->token);
	e->token = NULL;
	s->head++;
	s->since_compact++;
	if (s->head == s->npending || s->since_compact >= COMPACT_EVERY)
		(void)journal_rewrite(s); /* on failure the next one tries again */
	buf_release(&line);
}

static void wait_ms(struct serve *s, long ms)
{
	struct timespec until;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += ms / 1000;
	until.tv_nsec += (ms % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	(void)pthread_cond_timedwait(&s->wake, &s->lock, &until);
}

static void *worker_main(void *arg)
{
	struct serve *s = arg;
	struct entry e;

	pthread_mutex_lock(&s->lock);
	while (!s->stopping) {
		if (s->head == s->npending) {
			pthread_cond_wait(&s->wake, &s->lock);
			continue;
		}
		e.token = xstrdup(s->pending[s->head].token);
		e.at = s->pending[s->head].at;
		pthread_mutex_unlock(&s->lock);
		if (entry_append(s, &e) == 0) {
			pthread_mutex_lock(&s->lock);
			s->reachable = 1;
			entry_delivered(s);
		} else {
			pthread_mutex_lock(&s->lock);
			s->reachable = 0;
			if (!s->stopping)
				wait_ms(s, s->retry_ms);
		}
		free(e.token);
	}
	pthread_mutex_unlock(&s->lock);
	if (s->curl)
		curl_easy_cleanup(s->curl);
	s->curl = NULL;
	error_clear();
	return NULL;
}

/* ---- pages ---- */

static void page_start(struct buf *b, const char *title)
{
	buf_adds(b, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
		    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>");
	buf_add_html(b, title, strlen(title));
	buf_adds(b, "</title><style>body{font-family:sans-serif;max-width:34em;margin:3em auto;"
		    "padding:0 1em;line-height:1.5}button{font-size:1.1em;padding:.5em 1.5em}</style>"
		    "</head><body><h1>");
	buf_add_html(b, title, strlen(title));
	buf_adds(b, "</h1>\n");
}

static void page_end(struct buf *b)
{
	buf_adds(b, "</body></html>\n");
}

static void page_confirm(struct buf *b, const struct serve *s, const char *token)
{
	page_start(b, "Unsubscribe?");
	buf_adds(b, "<p>Press the button and you will get no more newsletters from ");
	buf_add_html(b, s->org_name, strlen(s->org_name));
	buf_adds(b, ".</p>\n<form method=\"post\" action=\"");
	buf_add_html(b, s->path, strlen(s->path));
	buf_adds(b, "\"><input type=\"hidden\" name=\"t\" value=\"");
	buf_add_html(b, token, strlen(token));
	buf_adds(b, "\"><input type=\"hidden\" name=\"List-Unsubscribe\" value=\"One-Click\">"
		    "<button type=\"submit\" id=\"unsubscribe\">Unsubscribe</button></form>\n");
	page_end(b);
}

static void page_done(struct buf *b, const struct serve *s)
{
	page_start(b, "You are unsubscribed");
	buf_adds(b, "<p id=\"done\">You will get no more newsletters from ");
	buf_add_html(b, s->org_name, strlen(s->org_name));
	buf_adds(b, ".</p>\n");
	page_end(b);
}

static void page_invalid(struct buf *b, const struct serve *s)
{
	page_start(b, "This unsubscribe link does not work");
	buf_adds(b, "<p>The link is incomplete or was changed on its way, so nothing has happened.</p>\n"
		    "<p>To unsubscribe, send an e-mail with the subject \"unsubscribe\" to <a href=\"mailto:");
	buf_add_html(b, s->mailto, strlen(s->mailto));
	buf_adds(b, "?subject=unsubscribe\">");
	buf_add_html(b, s->mailto, strlen(s->mailto));
	buf_adds(b, "</a> from the address that gets the newsletters.</p>\n");
	page_end(b);
}

static void page_status(struct buf *b, const char *title, const char *text)
{
	page_start(b, title);
	buf_adds(b, "<p>");
	buf_add_html(b, text, strlen(text));
	buf_adds(b, "</p>\n");
	page_end(b);
}

/* ---- requests ---- */

static enum MHD_Result respond(struct MHD_Connection *conn, unsigned status, const char *type,
			       struct buf *body)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	r = MHD_create_response_from_buffer(body->len, body->ptr, MHD_RESPMEM_MUST_COPY);
	buf_release(body);
	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
	MHD_add_response_header(r, "Content-Security-Policy",
				"default-src 'none'; style-src 'unsafe-inline'; form-action 'self'");
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD, POST");
	if (status == MHD_HTTP_TOO_MANY_REQUESTS || status == MHD_HTTP_SERVICE_UNAVAILABLE)
		MHD_add_response_header(r, MHD_HTTP_HEADER_RETRY_AFTER, "60");
	ret = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result respond_page(struct MHD_Connection *conn, unsigned status, const char *title,
				    const char *text)
{
	struct buf b = BUF_INIT;

	page_status(&b, title, text);
	return respond(conn, status, "text/html; charset=utf-8", &b);
}

static enum MHD_Result count_header(void *cls, enum MHD_ValueKind kind, const char *key,
				    const char *value)
{
	size_t *total = cls;

	(void)kind;
	*total += strlen(key) + (value ? strlen(value) : 0) + 4;
	return MHD_YES;
}

/* The client's address: the peer, or the last X-Forwarded-For hop when
 * the peer is the trusted proxy. */
static void client_address(char *out, size_t size, const struct serve *s, struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	const struct sockaddr *sa = ci ? ci->client_addr : NULL;
	const char *xff, *last;
	size_t len;

	out[0] = '\0';
	if (!sa || getnameinfo(sa, sa->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6)
							      : sizeof(struct sockaddr_in),
			       out, (socklen_t)size, NULL, 0, NI_NUMERICHOST) != 0)
		snprintf(out, size, "unknown");
	if (!s->trusted_proxy || strcmp(out, s->trusted_proxy))
		return;
	xff = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-Forwarded-For");
	if (!xff)
		return;
	last = strrchr(xff, ',');
	last = last ? last + 1 : xff;
	len = strlen(last);
	last = text_trim(last, &len, " \t");
	if (len > 0 && len < size) {
		memcpy(out, last, len);
		out[len] = '\0';
	}
}

/* 1 when the client may make one more request this minute. */
static int rate_allows(struct serve *s, struct MHD_Connection *conn)
{
	char addr[NI_MAXHOST];
	long long minute = (long long)time(NULL) / 60;
	struct strmap_entry *e;
	struct rate *r;
	int added, ok;

	if (s->rate_limit <= 0)
		return 1;
	client_address(addr, sizeof(addr), s, conn);
	pthread_mutex_lock(&s->lock);
	if (minute != s->rate_minute) {
		strmap_release(&s->rates, free);
		s->rate_minute = minute;
	}
	e = strmap_put(&s->rates, addr, &added);
	if (added)
		e->value = xcalloc(1, sizeof(struct rate));
	r = e->value;
	ok = r->count < s->rate_limit;
	if (ok)
		r->count++;
	pthread_mutex_unlock(&s->lock);
	return ok;
}

static enum MHD_Result answer_health(struct serve *s, struct MHD_Connection *conn)
{
	struct buf b = BUF_INIT;
	size_t waiting;
	int reachable;

	pthread_mutex_lock(&s->lock);
	waiting = s->npending - s->head;
	reachable = s->reachable;
	pthread_mutex_unlock(&s->lock);
	buf_addf(&b, "{\"mailbox\":\"%s\",\"waiting\":%zu}\n",
		 reachable < 0 ? "untried" : reachable ? "reachable" : "unreachable", waiting);
	return respond(conn, MHD_HTTP_OK, "application/json", &b);
}

/* The token of the request: ?t=, else t= in the form body. */
static char *request_token(struct MHD_Connection *conn, const struct request *rq)
{
	const char *t = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "t");
	struct buf v = BUF_INIT;

	if (t && *t)
		return xstrdup(t);
	if (rq && serve_form_value(&v, rq->body.ptr, rq->body.len, "t", TOKEN_MAX_LEN + 1) == 1 && v.len)
		return buf_detach(&v, NULL);
	buf_release(&v);
	return NULL;
}

static enum MHD_Result answer_unsubscribe(struct serve *s, struct MHD_Connection *conn, int post,
					  const struct request *rq)
{
	char *token = request_token(conn, rq);
	struct buf b = BUF_INIT;
	enum MHD_Result ret;

	if (!token || token_verify(s->keys, token, strlen(token), NULL, NULL) != TOKEN_OK) {
		page_invalid(&b, s);
		ret = respond(conn, MHD_HTTP_BAD_REQUEST, "text/html; charset=utf-8", &b);
		goto done;
	}
	if (!post) {
		page_confirm(&b, s, token);
		ret = respond(conn, MHD_HTTP_OK, "text/html; charset=utf-8", &b);
		goto done;
	}
	switch (journal_record(s, token)) {
	case RECORDED:
	case RECORDED_BEFORE:
		page_done(&b, s);
		ret = respond(conn, MHD_HTTP_OK, "text/html; charset=utf-8", &b);
		break;
	case JOURNAL_FULL:
		ret = respond_page(conn, MHD_HTTP_SERVICE_UNAVAILABLE, "Please try again later",
				   "Too many requests are waiting; nothing has happened yet.");
		break;
	default:
		ret = respond_page(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "Please try again later",
				   "Your request could not be recorded; nothing has happened yet.");
		break;
	}
done:
	free(token);
	return ret;
}

/* The first call for a request: what can be answered before the body. */
static enum MHD_Result request_start(struct serve *s, struct MHD_Connection *conn, const char *url,
				     const char *method, void **con_cls)
{
	const char *cl;
	size_t headers = 0;
	struct request *rq;

	if (strcmp(method, "GET") && strcmp(method, "HEAD") && strcmp(method, "POST"))
		return respond_page(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "Not allowed",
				    "This address takes GET, HEAD and POST only.");
	MHD_get_connection_values(conn, MHD_HEADER_KIND, count_header, &headers);
	if (headers > SERVE_HEADERS_MAX)
		return respond_page(conn, MHD_HTTP_REQUEST_HEADER_FIELDS_TOO_LARGE, "Too large",
				    "The request's headers are too large.");
	cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
	if (cl && strtoull(cl, NULL, 10) > SERVE_BODY_MAX)
		return respond_page(conn, MHD_HTTP_CONTENT_TOO_LARGE, "Too large", "The request is too large.");
	if (strcmp(url, "/healthz") && !rate_allows(s, conn))
		return respond_page(conn, MHD_HTTP_TOO_MANY_REQUESTS, "Too many requests",
				    "Please wait a minute and try again.");
	rq = xcalloc(1, sizeof(*rq));
	buf_init(&rq->body, 0);
	*con_cls = rq;
	return MHD_YES;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version, const char *upload_data,
				  size_t *upload_data_size, void **con_cls)
{
	struct serve *s = cls;
	struct request *rq = *con_cls;
	int post = !strcmp(method, "POST");

	(void)version;
	if (!rq)
		return request_start(s, conn, url, method, con_cls);
	if (rq->answered)
		return MHD_YES;
	if (*upload_data_size) {
		/* a body too large is read on (up to DISCARD_MAX), so that the
		 * client, still sending, gets to read the 413 */
		rq->received += *upload_data_size;
		if (rq->received <= SERVE_BODY_MAX)
			buf_add(&rq->body, upload_data, *upload_data_size);
		*upload_data_size = 0;
		if (rq->received <= DISCARD_MAX)
			return MHD_YES;
	}
	if (rq->received > SERVE_BODY_MAX) {
		rq->answered = 1;
		return respond_page(conn, MHD_HTTP_CONTENT_TOO_LARGE, "Too large", "The request is too large.");
	}
	if (!strcmp(url, "/healthz") && !post)
		return answer_health(s, conn);
	if (!strcmp(url, s->path))
		return answer_unsubscribe(s, conn, post, rq);
	return respond_page(conn, MHD_HTTP_NOT_FOUND, "Not found", "There is nothing here.");
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct request *rq = *con_cls;

	(void)cls;
	(void)conn;
	(void)toe;
	if (rq) {
		buf_release(&rq->body);
		free(rq);
		*con_cls = NULL;
	}
}

/* ---- starting and stopping ---- */

static int parse_listen(struct addrinfo **out, const char *listen)
{
	const char *colon = strrchr(listen, ':');
	char *host = NULL;
	struct addrinfo hints;
	int ret = -1;

	*out = NULL;
	if (!colon || !colon[1]) {
		error_set("'%s' is not ADDR:PORT (127.0.0.1:8080, [::1]:8080)", listen);
		goto done;
	}
	if (listen[0] == '[' && colon > listen && colon[-1] == ']')
		host = xstrndup(listen + 1, (size_t)(colon - listen - 2));
	else
		host = xstrndup(listen, (size_t)(colon - listen));
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE;
	if (getaddrinfo(*host ? host : NULL, colon + 1, &hints, out) != 0) {
		error_set("'%s' is not ADDR:PORT with a numeric address and port", listen);
		goto done;
	}
	ret = 0;
done:
	free(host);
	return ret;
}

/* The mailbox URL with a mailbox (INBOX when none is named), and whether
 * it goes in plain text. */
static int mailbox_setup(struct serve *s, const char *url, enum tls_mode mode)
{
	char *scheme = NULL, *host = NULL;
	const char *p;
	int has_user = 0, ret = -1;

	if (url_scheme_host(&scheme, &host, &has_user, url) < 0)
		goto done;
	if (strcmp(scheme, "imap") && strcmp(scheme, "imaps")) {
		error_set("'%s' is %s://, not imap:// or imaps://", url, scheme);
		goto done;
	}
	if (has_user) {
		error_set("'%s' holds a user name: give it as 'username'", url);
		goto done;
	}
	if (tls_plain(&s->plain, "imap", scheme, host, mode, 0) < 0) {
		error_set("'%s': %s", url, error_last());
		goto done;
	}
	p = strstr(url, "://");
	p = p ? strchr(p + 3, '/') : NULL;
	s->mailbox = (!p || !p[1]) ? xasprintf("%s%sINBOX", url, p ? "" : "/") : xstrdup(url);
	ret = 0;
done:
	free(scheme);
	free(host);
	return ret;
}

static int daemon_start(struct serve *s, const struct serve_options *o)
{
	struct addrinfo *ai = NULL;
	const union MHD_DaemonInfo *di;
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL;
	int ret = -1;

	if (parse_listen(&ai, o->listen) < 0)
		goto done;
	if (ai->ai_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	s->daemon = MHD_start_daemon(flags, 0, NULL, NULL, on_request, s,
				     MHD_OPTION_SOCK_ADDR, ai->ai_addr,
				     MHD_OPTION_THREAD_POOL_SIZE, (unsigned)SERVE_THREADS,
				     MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)SERVE_IDLE_SECONDS,
				     MHD_OPTION_CONNECTION_LIMIT,
				     o->connection_max ? o->connection_max : SERVE_CONNECTIONS_DEFAULT,
				     MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)MEMORY_LIMIT,
				     MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
				     MHD_OPTION_LISTENING_ADDRESS_REUSE, 1u, MHD_OPTION_END);
	if (!s->daemon) {
		error_set("cannot listen on '%s': %s", o->listen,
			  errno ? strerror(errno) : "the HTTP server did not start");
		goto done;
	}
	di = MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_BIND_PORT);
	s->port = di ? di->port : 0;
	ret = 0;
done:
	if (ai)
		freeaddrinfo(ai);
	return ret;
}

int serve_start(struct serve **out, const struct serve_options *o)
{
	struct serve *s = xcalloc(1, sizeof(*s));
	int ret = -1;

	*out = NULL;
	s->journal_fd = s->delivered_fd = -1;
	s->reachable = -1;
	s->spool = xstrdup(o->spool);
	s->path = xstrdup(o->path);
	s->org_name = xstrdup(o->org_name ? o->org_name : "us");
	s->mailto = xstrdup(o->mailto ? o->mailto : "");
	s->username = dup_or_null(o->username);
	s->password = dup_or_null(o->password);
	s->ca_pem = o->ca_pem ? xstrndup(o->ca_pem, o->ca_pem_len) : NULL;
	s->ca_pem_len = o->ca_pem_len;
	s->ca_file = dup_or_null(o->ca_file);
	s->trusted_proxy = dup_or_null(o->trusted_proxy);
	s->keys = o->keys;
	s->rate_limit = o->rate_limit;
	s->retry_ms = o->retry_ms > 0 ? o->retry_ms : 5000;
	s->journal_max = o->journal_max ? o->journal_max : SERVE_JOURNAL_DEFAULT;
	if (mailbox_setup(s, o->mailbox, o->tls) < 0)
		goto done;
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->wake, NULL);
	pthread_cond_init(&s->synced, NULL);
	s->lock_made = 1;
	if (mkdir_p(s->spool) < 0 || journal_load(s) < 0)
		goto done;
	if (pthread_create(&s->worker, NULL, worker_main, s) != 0) {
		error_set("cannot start the delivery thread");
		goto done;
	}
	s->worker_started = 1;
	if (daemon_start(s, o) < 0)
		goto done;
	*out = s;
	ret = 0;
done:
	if (ret < 0)
		serve_stop(s);
	return ret;
}

unsigned serve_port(const struct serve *s)
{
	return s->port;
}

void serve_stop(struct serve *s)
{
	size_t i;

	if (!s)
		return;
	if (s->daemon)
		MHD_stop_daemon(s->daemon);
	if (s->worker_started) {
		pthread_mutex_lock(&s->lock);
		s->stopping = 1;
		pthread_cond_signal(&s->wake);
		pthread_mutex_unlock(&s->lock);
		pthread_join(s->worker, NULL);
	}
	if (s->lock_made) {
		pthread_mutex_destroy(&s->lock);
		pthread_cond_destroy(&s->wake);
		pthread_cond_destroy(&s->synced);
	}
	if (s->journal_fd >= 0)
		close(s->journal_fd);
	if (s->delivered_fd >= 0)
		close(s->delivered_fd);
	for (i = 0; i < s->npending; i++)
		free(s->pending[i].token);
	free(s->pending);
	strmap_release(&s->seen, NULL);
	strmap_release(&s->rates, free);
	free(s->spool);
	free(s->path);
	free(s->org_name);
	free(s->mailto);
	free(s->mailbox);
	free(s->username);
	secret_free(s->password);
	free(s->ca_pem);
	free(s->ca_file);
	free(s->trusted_proxy);
	free(s);
}
