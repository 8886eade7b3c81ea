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
#include "imap.h"
#include "serve.h"
#include "serve_page.h"
#include "text.h"
#include "token.h"
#include "util.h"
#include "xalloc.h"

#define SERVE_THREADS 4 /* answering requests: while some wait for the disk */
#define COMPACT_EVERY 1000 /* deliveries between rewrites of the journal */
#define MEMORY_LIMIT (32 * 1024) /* per connection: headers and the answer */
#define DISCARD_MAX (16 * SERVE_BODY_MAX) /* a body too large read before the 413 */
#define PRUNE_MIN 1000 /* forgotten delivered tokens before SPOOL/delivered is rewritten */
#define SPOOL_FILE_MAX ((size_t)1 << 30)

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
	enum tls_mode tls;
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
	off_t journal_size, delivered_size; /* bytes of whole lines */
	int journal_broken; /* a failed write left a partial line: rewrite first */
	struct entry *pending; /* pending[head..npending) wait */
	size_t head, npending, pending_cap, since_compact;
	/* delivered[dhead..ndelivered) delivered, oldest first, remembered
	 * for delivered_keep seconds, delivered_max at most */
	struct entry *delivered;
	size_t dhead, ndelivered, delivered_cap, delivered_max, delivered_dropped;
	long long delivered_keep;
	struct strmap seen; /* every token waiting or remembered as delivered */
	struct serve_recovery recovery;
	const struct serve_pages *pages;
	struct serve_pages *own_pages; /* when the options gave none */
	char *language;
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

static void entry_push(struct entry **list, size_t *n, size_t *cap, char *token, long long at)
{
	XGROW(*list, *cap, *n + 1);
	(*list)[*n].token = token;
	(*list)[*n].at = at;
	(*n)++;
}

static void pending_add(struct serve *s, const char *token, long long at)
{
	entry_push(&s->pending, &s->npending, &s->pending_cap, xstrdup(token), at);
}

/* Moves list[head..n) to the front. */
static void entries_shift(struct entry *list, size_t *head, size_t *n)
{
	size_t i;

	for (i = *head; i < *n; i++)
		list[i - *head] = list[i];
	*n -= *head;
	*head = 0;
}

/* Writes the lines of list[head..n) ("TOKEN\tTIME") to SPOOL/name.new,
 * syncs it, puts it in place of SPOOL/name and opens it for appending in
 * *fd; *size becomes its length. */
static int spool_replace(struct serve *s, const char *name, const struct entry *list, size_t head, size_t n,
			 int *fd, off_t *size)
{
	char *path = spool_path(s, name), *tmp = xasprintf("%s.new", path);
	struct buf b = BUF_INIT;
	int nfd = -1, ret = -1;
	size_t i;

	for (i = head; i < n; i++)
		buf_addf(&b, "%s\t%lld\n", list[i].token, list[i].at);
	nfd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (nfd < 0 || fd_write_all(nfd, b.ptr, b.len) < 0 || fsync(nfd) < 0 || close(nfd) < 0) {
		error_set("cannot write '%s': %s", tmp, strerror(errno));
		goto done;
	}
	nfd = -1;
	if (rename(tmp, path) < 0) {
		error_set("cannot rename '%s': %s", tmp, strerror(errno));
		goto done;
	}
	if (fsync_dir(s->spool) < 0)
		goto done;
	nfd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC);
	if (nfd < 0) {
		error_set("cannot open '%s': %s", path, strerror(errno));
		goto done;
	}
	if (*fd >= 0)
		close(*fd);
	*fd = nfd;
	nfd = -1;
	*size = (off_t)b.len;
	ret = 0;
done:
	if (nfd >= 0)
		close(nfd);
	free(path);
	free(tmp);
	buf_release(&b);
	return ret;
}

/* seen anew from the waiting and the remembered delivered tokens (all
 * on disk: their durable line is 0). */
static void seen_rebuild(struct serve *s)
{
	size_t i;
	int added;

	strmap_release(&s->seen, NULL);
	for (i = s->head; i < s->npending; i++)
		strmap_put(&s->seen, s->pending[i].token, &added);
	for (i = s->dhead; i < s->ndelivered; i++)
		strmap_put(&s->seen, s->delivered[i].token, &added);
}

/* Forgets delivered tokens older than delivered_keep or beyond
 * delivered_max, and rewrites SPOOL/delivered when enough went (a
 * quarter of those kept, at least PRUNE_MIN) or force says so. */
static int delivered_prune(struct serve *s, int force)
{
	long long oldest = (long long)time(NULL) - s->delivered_keep;
	size_t dropped = 0, kept;

	while (s->dhead < s->ndelivered &&
	       (s->ndelivered - s->dhead > s->delivered_max || s->delivered[s->dhead].at < oldest)) {
		free(s->delivered[s->dhead].token);
		s->delivered[s->dhead++].token = NULL;
		dropped++;
	}
	s->delivered_dropped += dropped;
	kept = s->ndelivered - s->dhead;
	if (!force && (s->delivered_dropped < PRUNE_MIN || s->delivered_dropped < kept / 4))
		return 0;
	if (spool_replace(s, SERVE_DELIVERED_FILE, s->delivered, s->dhead, s->ndelivered, &s->delivered_fd,
			  &s->delivered_size) < 0)
		return -1;
	entries_shift(s->delivered, &s->dhead, &s->ndelivered);
	s->delivered_dropped = 0;
	seen_rebuild(s);
	return 0;
}

/* Writes the waiting entries to a new journal and puts it in place of
 * the old one (under the lock, or before the threads start); then the
 * delivered tokens are pruned. */
static int journal_rewrite(struct serve *s, int force_prune)
{
	while (s->syncing)
		pthread_cond_wait(&s->synced, &s->lock);
	if (spool_replace(s, SERVE_JOURNAL_FILE, s->pending, s->head, s->npending, &s->journal_fd,
			  &s->journal_size) < 0)
		return -1;
	entries_shift(s->pending, &s->head, &s->npending);
	s->journal_broken = 0;
	s->since_compact = 0;
	s->durable = s->written; /* the new file holds them all, synced */
	pthread_cond_broadcast(&s->synced);
	return delivered_prune(s, force_prune);
}

/* A line "TOKEN\tTIME" (TIME optional: delivered files of before) whose
 * token is shaped like one; 0, or -1 for a damaged line. */
static int spool_line(char **token, long long *at, char *line)
{
	char *tab = strchr(line, '\t'), *end = NULL;
	size_t start, len;

	*token = line;
	*at = (long long)time(NULL);
	if (tab) {
		*tab = '\0';
		*at = strtoll(tab + 1, &end, 10);
		if (end == tab + 1 || *end)
			return -1;
	}
	return (token_find(line, strlen(line), &start, &len) == 0 && start == 0 && len == strlen(line)) ? 0 : -1;
}

/* Reads SPOOL/name: each sound line to fn; damaged lines and the bytes
 * of a last line without its newline (a crash mid-write) are counted. */
static int spool_read(struct serve *s, const char *name, void (*fn)(struct serve *, char *, long long),
		      size_t *bad, size_t *cut)
{
	char *path = spool_path(s, name), *line, *nl, *token;
	struct buf b = BUF_INIT;
	long long at;
	int ret = -1;

	if (buf_read_file(&b, path, SPOOL_FILE_MAX) < 0) {
		if (errno == ENOENT)
			ret = 0;
		else
			error_set("cannot read '%s': %s", path, strerror(errno));
		goto done;
	}
	for (line = b.ptr; (nl = memchr(line, '\n', b.len - (size_t)(line - b.ptr))); line = nl + 1) {
		*nl = '\0';
		if (!*line)
			continue;
		if (memchr(line, '\0', (size_t)(nl - line)) || spool_line(&token, &at, line) < 0)
			(*bad)++;
		else
			fn(s, token, at);
	}
	*cut = b.len - (size_t)(line - b.ptr);
	ret = 0;
done:
	free(path);
	buf_release(&b);
	return ret;
}

static void load_delivered(struct serve *s, char *token, long long at)
{
	int added;

	strmap_put(&s->seen, token, &added);
	if (added)
		entry_push(&s->delivered, &s->ndelivered, &s->delivered_cap, xstrdup(token), at);
}

static void load_waiting(struct serve *s, char *token, long long at)
{
	int added;

	strmap_put(&s->seen, token, &added);
	if (added)
		pending_add(s, token, at);
}

/* Reads SPOOL/delivered and SPOOL/journal back and writes both anew, so
 * that a last line cut short by a crash (never answered) is gone before
 * anything is appended; what was found is in s->recovery. */
static int journal_load(struct serve *s)
{
	struct serve_recovery *r = &s->recovery;
	size_t cut_delivered = 0;

	if (spool_read(s, SERVE_DELIVERED_FILE, load_delivered, &r->bad_lines, &cut_delivered) < 0 ||
	    spool_read(s, SERVE_JOURNAL_FILE, load_waiting, &r->bad_lines, &r->cut_bytes) < 0)
		return -1;
	r->waiting = s->npending;
	if (journal_rewrite(s, 1) < 0)
		return -1;
	r->delivered = s->ndelivered - s->dhead;
	return 0;
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

/* Appends line to the file fd of *size bytes; a write that fails (a full
 * disk) is cut off again, so that the next line starts on a line. */
static int spool_append(int fd, off_t *size, const struct buf *line)
{
	if (fd_write_all(fd, line->ptr, line->len) < 0) {
		if (ftruncate(fd, *size) < 0)
			return -2; /* the file ends in a partial line until restarted */
		return -1;
	}
	*size += (off_t)line->len;
	return 0;
}

/* Makes token durable: appended to the journal and synced to disk. */
static enum record_result journal_record(struct serve *s, const char *token)
{
	enum record_result r = RECORDED;
	struct buf line = BUF_INIT;
	long long now = (long long)time(NULL);
	struct strmap_entry *e;
	int added = 0, appended;

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
	/* a journal left with a partial line is written anew first */
	if (s->journal_broken && journal_rewrite(s, 0) < 0) {
		r = JOURNAL_FAILED;
		goto done;
	}
	appended = spool_append(s->journal_fd, &s->journal_size, &line);
	if (appended < 0) {
		s->journal_broken = appended == -2;
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

/* The same for the same entry, so that a second APPEND can be told. */
static void entry_message_id(struct buf *b, const struct entry *e)
{
	buf_addf(b, "<one-click.%016llx.%lld@mailout.invalid>",
		 (unsigned long long)hash_bytes(e->token, strlen(e->token)), e->at);
}

/* The message `unsubscribes sync` reads: the token in the subject. */
static void entry_message(struct buf *b, const struct serve *s, const struct entry *e)
{
	buf_adds(b, "Date: ");
	add_date(b, e->at);
	buf_addf(b, "\r\nFrom: mailout serve <%s>\r\nTo: <%s>\r\n", s->mailto, s->mailto);
	buf_addf(b, "Subject: unsubscribe %s\r\n", e->token);
	buf_adds(b, "Message-ID: ");
	entry_message_id(b, e);
	buf_adds(b, "\r\n");
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
	long long now = (long long)time(NULL);

	buf_addf(&line, "%s\t%lld\n", e->token, now);
	/* a failed write only means the token may be APPENDed again after a
	 * restart, which `unsubscribes sync` takes as the same request */
	if (spool_append(s->delivered_fd, &s->delivered_size, &line) == 0)
		(void)fdatasync(s->delivered_fd);
	entry_push(&s->delivered, &s->ndelivered, &s->delivered_cap, e->token, now);
	e->token = NULL;
	s->head++;
	s->since_compact++;
	if (s->head == s->npending || s->since_compact >= COMPACT_EVERY)
		(void)journal_rewrite(s, 0); /* on failure the next one tries again */
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

/* Whether the mailbox holds e already: 1, 0, or -1 (error_set).  Asked
 * for the first entry after a start only: a crash between the server's
 * confirmation of an APPEND and the line in SPOOL/delivered leaves that
 * one entry delivered but still in the journal. */
static int entry_present(const struct serve *s, const struct entry *e)
{
	struct imap_options o;
	struct imap *m = NULL;
	struct buf message_id = BUF_INIT;
	int ret = -1;

	memset(&o, 0, sizeof(o));
	o.url = s->mailbox;
	o.username = s->username;
	o.password = s->password;
	o.tls = s->tls;
	o.ca_pem = s->ca_pem;
	o.ca_pem_len = s->ca_pem_len;
	o.ca_file = s->ca_file;
	o.connect_timeout_ms = 10000;
	o.timeout_ms = 30000;
	entry_message_id(&message_id, e);
	/* a server that cannot search gets the APPEND: twice rather than never */
	if (imap_open(&m, &o) == 0)
		ret = imap_has_message_id(m, message_id.ptr) > 0;
	imap_close(m);
	buf_release(&message_id);
	return ret;
}

/* Delivers e: 0 once the mailbox holds it, -1 (error_set) when not. */
static int entry_deliver(struct serve *s, const struct entry *e, int *check)
{
	int present = 0;

	if (*check) {
		present = entry_present(s, e);
		if (present < 0)
			return -1;
		*check = 0;
	}
	return present ? 0 : entry_append(s, e);
}

static void *worker_main(void *arg)
{
	struct serve *s = arg;
	struct entry e;
	int check = s->npending > s->head; /* the first entry read back */

	pthread_mutex_lock(&s->lock);
	while (!s->stopping) {
		if (s->head == s->npending) {
			pthread_cond_wait(&s->wake, &s->lock);
			continue;
		}
		e.token = xstrdup(s->pending[s->head].token);
		e.at = s->pending[s->head].at;
		pthread_mutex_unlock(&s->lock);
		if (entry_deliver(s, &e, &check) == 0) {
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

/* The page kind for status, filled from s (and token on the confirm page). */
static void page_render(struct buf *b, const struct serve *s, enum serve_page_kind kind, unsigned status,
			const char *token)
{
	struct serve_page_values v;

	memset(&v, 0, sizeof(v));
	v.language = s->language;
	v.organization = s->org_name;
	v.address = s->mailto;
	v.action = s->path;
	v.token = token;
	v.status = status;
	serve_pages_render(b, s->pages, kind, &v);
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

/* A page of message.html: the texts of keys PREFIX.title and text_key. */
static enum MHD_Result respond_message(const struct serve *s, struct MHD_Connection *conn, unsigned status,
				       const char *title_key, const char *text_key)
{
	struct serve_page_values v;
	struct buf b = BUF_INIT;

	memset(&v, 0, sizeof(v));
	v.language = s->language;
	v.organization = s->org_name;
	v.title_key = title_key;
	v.text_key = text_key;
	v.status = status;
	serve_pages_render(&b, s->pages, SERVE_PAGE_MESSAGE, &v);
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
		page_render(&b, s, SERVE_PAGE_INVALID, MHD_HTTP_BAD_REQUEST, NULL);
		ret = respond(conn, MHD_HTTP_BAD_REQUEST, "text/html; charset=utf-8", &b);
		goto done;
	}
	if (!post) {
		page_render(&b, s, SERVE_PAGE_CONFIRM, MHD_HTTP_OK, token);
		ret = respond(conn, MHD_HTTP_OK, "text/html; charset=utf-8", &b);
		goto done;
	}
	switch (journal_record(s, token)) {
	case RECORDED:
	case RECORDED_BEFORE:
		page_render(&b, s, SERVE_PAGE_DONE, MHD_HTTP_OK, NULL);
		ret = respond(conn, MHD_HTTP_OK, "text/html; charset=utf-8", &b);
		break;
	case JOURNAL_FULL:
		ret = respond_message(s, conn, MHD_HTTP_SERVICE_UNAVAILABLE, "serve.later.title", "serve.full.text");
		break;
	default: /* a full disk, say: not recorded, try again later */
		ret = respond_message(s, conn, MHD_HTTP_SERVICE_UNAVAILABLE, "serve.later.title", "serve.failed.text");
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
		return respond_message(s, conn, MHD_HTTP_METHOD_NOT_ALLOWED, "serve.method.title",
				       "serve.method.text");
	MHD_get_connection_values(conn, MHD_HEADER_KIND, count_header, &headers);
	if (headers > SERVE_HEADERS_MAX)
		return respond_message(s, conn, MHD_HTTP_REQUEST_HEADER_FIELDS_TOO_LARGE, "serve.large.title",
				       "serve.headers.text");
	cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
	if (cl && strtoull(cl, NULL, 10) > SERVE_BODY_MAX)
		return respond_message(s, conn, MHD_HTTP_CONTENT_TOO_LARGE, "serve.large.title", "serve.large.text");
	if (strcmp(url, "/healthz") && !rate_allows(s, conn))
		return respond_message(s, conn, MHD_HTTP_TOO_MANY_REQUESTS, "serve.rate.title", "serve.rate.text");
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
		return respond_message(s, conn, MHD_HTTP_CONTENT_TOO_LARGE, "serve.large.title", "serve.large.text");
	}
	if (!strcmp(url, "/healthz") && !post)
		return answer_health(s, conn);
	if (!strcmp(url, s->path))
		return answer_unsubscribe(s, conn, post, rq);
	return respond_message(s, conn, MHD_HTTP_NOT_FOUND, "serve.missing.title", "serve.missing.text");
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

unsigned serve_port(const struct serve *s)
{
	return s->port;
}

const struct serve_recovery *serve_recovered(const struct serve *s)
{
	return &s->recovery;
}

/* The built-in pages, when the caller gives none. */
static int builtin_pages(struct serve *s)
{
	struct diag_list diags = DIAG_LIST_INIT;
	int ret = serve_pages_load(&s->own_pages, NULL, &diags);

	if (ret < 0)
		error_set("the built-in pages do not parse");
	s->pages = s->own_pages;
	diag_release(&diags);
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
	s->language = xstrdup(o->language ? o->language : "en");
	s->pages = o->pages;
	s->delivered_keep = o->delivered_keep > 0 ? o->delivered_keep : SERVE_DELIVERED_KEEP_DEFAULT;
	s->delivered_max = o->delivered_max ? o->delivered_max : SERVE_DELIVERED_MAX_DEFAULT;
	if (!s->pages && builtin_pages(s) < 0)
		goto done;
	s->rate_limit = o->rate_limit;
	s->retry_ms = o->retry_ms > 0 ? o->retry_ms : 5000;
	s->journal_max = o->journal_max ? o->journal_max : SERVE_JOURNAL_DEFAULT;
	s->tls = o->tls;
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
	for (i = 0; i < s->ndelivered; i++)
		free(s->delivered[i].token);
	free(s->delivered);
	serve_pages_free(s->own_pages);
	free(s->language);
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
