#include "imap.h"

#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "diag.h"
#include "tls.h"
#include "text.h"
#include "util.h"
#include "xalloc.h"

/* libcurl keeps a response line whole up to about half its buffer. */
#define LINE_BUFFER (512L * 1024)
/* A response larger than this is not one we asked for. */
#define RESPONSE_MAX ((size_t)IMAP_FETCH_MAX + 4 * 1024 * 1024)
#define REPLY_SHOWN 200

struct imap {
	CURL *curl;
	char *url;     /* the server without the mailbox: "imaps://host:port/" */
	char *shown;   /* the mailbox URL, for messages */
	char *mailbox; /* decoded */
	char *username, *password, *bearer, *ca_file, *ca_pem;
	size_t ca_pem_len;
	long connect_timeout_ms, timeout_ms;
	int plain;
	struct buf resp; /* every response line of the last command */
	int overflow;
	char errbuf[CURL_ERROR_SIZE];
	unsigned long uidvalidity, uidnext, exists;
	int examined;
	int new_connection; /* the last command needed a new connection */
	int broken;         /* out of step: replace the connection first */
	CURLcode last_rc;   /* how the last command ended */
};

/* ---- response lines ---- */

struct cursor {
	const char *p, *end;
};

/*
 * The next line of a response, without its line break, and the size of
 * the literal it announces ("... {123}"), or -1.  Returns 0 at the end.
 */
static int next_line(struct cursor *c, const char **line, size_t *n, long long *literal)
{
	const char *nl, *open;
	size_t len;
	long long v = 0;

	if (c->p >= c->end)
		return 0;
	*line = c->p;
	nl = memchr(c->p, '\n', (size_t)(c->end - c->p));
	len = nl ? (size_t)(nl - c->p) : (size_t)(c->end - c->p);
	c->p = nl ? nl + 1 : c->end;
	if (len && (*line)[len - 1] == '\r')
		len--;
	*n = len;
	*literal = -1;
	if (len < 3 || (*line)[len - 1] != '}')
		return 1;
	for (open = *line + len - 2; open > *line && *open >= '0' && *open <= '9'; open--)
		;
	if (*open != '{' || open == *line + len - 2 || *line + len - 2 - open > 10)
		return 1;
	for (open++; *open != '}'; open++)
		v = v * 10 + (*open - '0');
	*literal = v;
	return 1;
}

/* The text after "prefix" at the start of line (case-insensitive), or NULL. */
static const char *after_prefix(const char *line, size_t n, const char *prefix)
{
	size_t k = strlen(prefix);

	return n >= k && !strncasecmp(line, prefix, k) ? line + k : NULL;
}

static unsigned long parse_number(const char *s, const char *end, const char **next)
{
	unsigned long long v = 0;
	const char *p = s;

	while (p < end && *p >= '0' && *p <= '9' && v <= 0xffffffffull)
		v = v * 10 + (unsigned long long)(*p++ - '0');
	if (next)
		*next = p;
	return p == s || v > 0xffffffffull ? 0 : (unsigned long)v;
}

/* Whether line is a tagged NO or BAD answer: "A004 NO ...". */
static const char *tagged_failure(const char *line, size_t n)
{
	const char *sp = memchr(line, ' ', n), *rest;

	if (!sp || sp == line || line[0] == '*' || line[0] == '+')
		return NULL;
	rest = sp + 1;
	n -= (size_t)(rest - line);
	return after_prefix(rest, n, "NO ") || after_prefix(rest, n, "BAD ") ? rest : NULL;
}

/* The server's NO or BAD answer to the last command, tag left out, made
 * printable and cut short: "NO [NONEXISTENT] Mailbox doesn't exist".
 * libcurl closes the connection after it, so the answer to LOGOUT may
 * follow in the response. */
void imap_parse_tagged(char *out, size_t size, const char *resp, size_t len)
{
	struct cursor c = { resp, resp + len };
	const char *line, *found = NULL;
	long long literal;
	size_t n, found_len = 0, i, o = 0;

	while (next_line(&c, &line, &n, &literal)) {
		const char *t = tagged_failure(line, n);

		if (t && !found) {
			found = t;
			found_len = n - (size_t)(t - line);
		}
		if (literal > 0)
			c.p += (size_t)literal < (size_t)(c.end - c.p) ? (size_t)literal : (size_t)(c.end - c.p);
	}
	if (!found) {
		found = "(no answer)";
		found_len = strlen(found);
	}
	for (i = 0; i < found_len && i < REPLY_SHOWN && o + 1 < size; i++) {
		unsigned char ch = (unsigned char)found[i];

		out[o++] = ch >= 32 && ch < 127 ? (char)ch : '?';
	}
	out[o] = '\0';
}

/* ---- the libcurl handle ---- */

static size_t on_header(char *data, size_t size, size_t nitems, void *arg)
{
	struct imap *s = arg;
	size_t n = size * nitems;

	if (s->resp.len + n > RESPONSE_MAX) {
		s->overflow = 1;
		return 0;
	}
	buf_add(&s->resp, data, n);
	return n;
}

static size_t on_discard(char *data, size_t size, size_t nitems, void *arg)
{
	(void)data;
	(void)arg;
	return size * nitems;
}

#define SETOPT(curl, opt, val) \
	do { \
		if (curl_easy_setopt((curl), (opt), (val)) != CURLE_OK) \
			failed = #opt; \
	} while (0)

static int handle_new(struct imap *s)
{
	const char *failed = NULL, *tls_failed;
	CURL *c = curl_easy_init();

	if (!c)
		return error_set("cannot create a libcurl handle");
	SETOPT(c, CURLOPT_URL, s->url);
	SETOPT(c, CURLOPT_PROTOCOLS_STR, "imap,imaps");
	SETOPT(c, CURLOPT_NOSIGNAL, 1L);
	SETOPT(c, CURLOPT_CONNECTTIMEOUT_MS, s->connect_timeout_ms > 0 ? s->connect_timeout_ms : 15000L);
	SETOPT(c, CURLOPT_TIMEOUT_MS, s->timeout_ms > 0 ? s->timeout_ms : 60000L);
	SETOPT(c, CURLOPT_ERRORBUFFER, s->errbuf);
	SETOPT(c, CURLOPT_HEADERFUNCTION, on_header);
	SETOPT(c, CURLOPT_HEADERDATA, s);
	SETOPT(c, CURLOPT_WRITEFUNCTION, on_discard);
	SETOPT(c, CURLOPT_BUFFERSIZE, LINE_BUFFER);
	tls_failed = tls_curl_setup(c, s->plain, s->ca_pem, s->ca_pem_len, s->ca_file);
	if (tls_failed)
		failed = tls_failed;
	if (s->username)
		SETOPT(c, CURLOPT_USERNAME, s->username);
	if (s->password)
		SETOPT(c, CURLOPT_PASSWORD, s->password);
	if (s->bearer) {
		SETOPT(c, CURLOPT_XOAUTH2_BEARER, s->bearer);
		SETOPT(c, CURLOPT_LOGIN_OPTIONS, "AUTH=XOAUTH2");
	}
	if (failed) {
		curl_easy_cleanup(c);
		return error_set("libcurl refused %s", failed);
	}
	s->curl = c;
	return 0;
}

/*
 * Runs one command.  Returns 0 when the server answered OK, 1 when it
 * answered NO or BAD (error_set() quotes it), -1 when the command failed
 * otherwise (error_set() names the URL and why).
 */
static int run(struct imap *s, const char *command)
{
	char reply[REPLY_SHOWN + 1];
	CURLcode rc;
	long connects = 0;

	buf_reset(&s->resp);
	s->overflow = 0;
	s->errbuf[0] = '\0';
	if (curl_easy_setopt(s->curl, CURLOPT_CUSTOMREQUEST, command) != CURLE_OK)
		return error_set("libcurl refused CURLOPT_CUSTOMREQUEST");
	rc = curl_easy_perform(s->curl);
	s->last_rc = rc;
	curl_easy_getinfo(s->curl, CURLINFO_NUM_CONNECTS, &connects);
	s->new_connection = connects > 0;
	if (rc == CURLE_OK)
		return 0;
	if (rc == CURLE_QUOTE_ERROR) {
		s->broken = 1; /* libcurl closed the connection after it */
		imap_parse_tagged(reply, sizeof(reply), s->resp.ptr, s->resp.len);
		error_set("the server answered: %s", reply);
		return 1;
	}
	s->broken = 1;
	if (rc == CURLE_LOGIN_DENIED)
		error_set("%s: the server refused the login%s%s%s", s->shown,
			  s->username ? " of '" : "", s->username ? s->username : "",
			  s->username ? "'" : "");
	else if (s->overflow)
		error_set("%s: the answer to '%.40s' is too large", s->shown, command);
	else
		error_set("%s: %s", s->shown, s->errbuf[0] ? s->errbuf : curl_easy_strerror(rc));
	return -1;
}

static char *quote_mailbox(const char *m)
{
	struct buf b = BUF_INIT;

	buf_addc(&b, '"');
	for (; *m; m++) {
		if (*m == '"' || *m == '\\')
			buf_addc(&b, '\\');
		buf_addc(&b, *m);
	}
	buf_addc(&b, '"');
	return buf_detach(&b, NULL);
}

void imap_parse_examine(unsigned long *uidvalidity, unsigned long *uidnext,
			unsigned long *exists, const char *resp, size_t len)
{
	struct cursor c = { resp, resp + len };
	const char *line, *rest, *end;
	long long literal;
	unsigned long v;
	size_t n;

	*uidvalidity = *uidnext = *exists = 0;
	while (next_line(&c, &line, &n, &literal)) {
		end = line + n;
		if ((rest = after_prefix(line, n, "* OK [UIDVALIDITY ")))
			*uidvalidity = parse_number(rest, end, NULL);
		else if ((rest = after_prefix(line, n, "* OK [UIDNEXT ")))
			*uidnext = parse_number(rest, end, NULL);
		else if ((rest = after_prefix(line, n, "* ")) && (v = parse_number(rest, end, &rest)) &&
			 after_prefix(rest, (size_t)(end - rest), " EXISTS"))
			*exists = v;
		if (literal > 0)
			c.p += (size_t)literal < (size_t)(c.end - c.p) ? (size_t)literal : (size_t)(c.end - c.p);
	}
}

static int examine(struct imap *s)
{
	char *quoted = quote_mailbox(s->mailbox), *command = xasprintf("EXAMINE %s", quoted);
	unsigned long uidvalidity, uidnext, exists;
	char *why = NULL;
	int r, ret = -1;

	r = run(s, command);
	if (r < 0)
		goto done;
	if (r > 0) {
		why = xstrdup(error_last());
		error_set("%s: cannot open the mailbox '%s': %s", s->shown, s->mailbox, why);
		goto done;
	}
	imap_parse_examine(&uidvalidity, &uidnext, &exists, s->resp.ptr, s->resp.len);
	if (!uidvalidity) {
		error_set("%s: the server did not say the mailbox's UIDVALIDITY", s->shown);
		goto done;
	}
	if (s->examined && uidvalidity != s->uidvalidity) {
		error_set("%s: the mailbox's UIDVALIDITY changed during the sync (%lu, now %lu); run the sync again",
			  s->shown, s->uidvalidity, uidvalidity);
		goto done;
	}
	if (!s->examined) {
		s->uidvalidity = uidvalidity;
		s->uidnext = uidnext;
		s->exists = exists;
		s->examined = 1;
	}
	ret = 0;
done:
	free(why);
	free(quoted);
	free(command);
	return ret;
}

static int reconnect(struct imap *s)
{
	if (s->curl)
		curl_easy_cleanup(s->curl);
	s->curl = NULL;
	s->broken = 0;
	if (handle_new(s) < 0)
		return -1;
	return examine(s);
}

/*
 * Runs a command in the examined mailbox: on a fresh connection when the
 * last one got out of step; once more on a new connection when this one
 * died (every command here only reads); examining again when libcurl had
 * to connect anew (a new connection has no mailbox selected).
 */
static int command(struct imap *s, const char *cmd)
{
	int r = -1, attempt;

	for (attempt = 0; attempt < 2; attempt++) {
		if (s->broken && reconnect(s) < 0)
			return -1;
		r = run(s, cmd);
		if (r < 0)
			continue;
		if (s->new_connection) {
			if (examine(s) < 0)
				return -1;
			r = run(s, cmd);
			if (r >= 0 && s->new_connection) {
				s->broken = 1;
				return error_set("%s: the server keeps closing the connection", s->shown);
			}
		}
		return r;
	}
	return r;
}

/* ---- opening ---- */

/* The mailbox of a URL path: "/INBOX;UIDVALIDITY=5" -> "INBOX". */
static char *path_mailbox(const char *path)
{
	struct buf b = BUF_INIT;
	int v;

	while (*path == '/')
		path++;
	for (; *path && *path != ';'; path++) {
		if (*path == '%' && (v = text_hex_byte(path + 1)) >= 0) {
			buf_addc(&b, (char)v);
			path += 2;
		} else {
			buf_addc(&b, *path);
		}
	}
	while (b.len && b.ptr[b.len - 1] == '/')
		buf_truncate(&b, b.len - 1);
	if (!b.len)
		buf_adds(&b, "INBOX");
	return buf_detach(&b, NULL);
}

static int parse_url(struct imap *s, const char *url, enum tls_mode mode)
{
	CURLU *u = curl_url();
	char *scheme = NULL, *host = NULL, *path = NULL, *user = NULL, *base = NULL;
	const char *m;
	int ret = -1;

	if (!u)
		return error_set("cannot parse '%s': out of memory", url);
	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK || !*host) {
		error_set("'%s' is not a mailbox URL such as imaps://imap.example.com/INBOX", url);
		goto done;
	}
	if (strcmp(scheme, "imap") && strcmp(scheme, "imaps")) {
		error_set("'%s' is %s://, not imap:// or imaps://", url, scheme);
		goto done;
	}
	if (curl_url_get(u, CURLUPART_USER, &user, 0) == CURLUE_OK) {
		error_set("'%s' holds a user name: give it as 'username' and the password in the environment",
			  url);
		goto done;
	}
	if (curl_url_get(u, CURLUPART_PATH, &path, 0) != CURLUE_OK)
		path = NULL;
	s->mailbox = path_mailbox(path ? path : "");
	for (m = s->mailbox; *m; m++) {
		if ((unsigned char)*m < 32 || (unsigned char)*m > 126) {
			error_set("'%s': the mailbox name must be printable ASCII", url);
			goto done;
		}
	}
	if (curl_url_set(u, CURLUPART_PATH, "/", 0) != CURLUE_OK ||
	    curl_url_set(u, CURLUPART_QUERY, NULL, 0) != CURLUE_OK ||
	    curl_url_set(u, CURLUPART_FRAGMENT, NULL, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_URL, &base, 0) != CURLUE_OK) {
		error_set("cannot parse '%s'", url);
		goto done;
	}
	if (tls_plain(&s->plain, "imap", scheme, host, mode, 0) < 0) {
		error_set("'%s': %s", url, error_last());
		goto done;
	}
	s->url = xstrdup(base);
	ret = 0;
done:
	curl_free(scheme);
	curl_free(host);
	curl_free(path);
	curl_free(user);
	curl_free(base);
	curl_url_cleanup(u);
	return ret;
}

static char *dup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

/* Fills a new s from o, connects, logs in and examines the mailbox. */
static int open_examined(struct imap *s, const struct imap_options *o)
{
	buf_init(&s->resp, 4096);
	s->shown = xstrdup(o->url ? o->url : "");
	if (!o->url)
		return error_set("no mailbox URL");
	if (parse_url(s, o->url, o->tls) < 0)
		return -1;
	s->username = dup_or_null(o->username);
	s->password = dup_or_null(o->password);
	s->bearer = dup_or_null(o->bearer);
	s->ca_file = dup_or_null(o->ca_file);
	if (o->ca_pem) {
		s->ca_pem = xmalloc(o->ca_pem_len + 1);
		memcpy(s->ca_pem, o->ca_pem, o->ca_pem_len);
		s->ca_pem[o->ca_pem_len] = '\0';
		s->ca_pem_len = o->ca_pem_len;
	}
	s->connect_timeout_ms = o->connect_timeout_ms;
	s->timeout_ms = o->timeout_ms;
	if (handle_new(s) < 0 || examine(s) < 0)
		return -1;
	return 0;
}

int imap_open(struct imap **out, const struct imap_options *o)
{
	struct imap *s = xcalloc(1, sizeof(*s));

	*out = NULL;
	if (open_examined(s, o) < 0) {
		imap_close(s);
		return -1;
	}
	*out = s;
	return 0;
}

/* ---- accounts check ---- */

static int is_tls_error(CURLcode rc)
{
	switch (rc) {
	case CURLE_SSL_CONNECT_ERROR: case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CERTPROBLEM: case CURLE_SSL_CIPHER: case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_ISSUER_ERROR: case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
	case CURLE_SSL_INVALIDCERTSTATUS: case CURLE_SSL_CLIENTCERT: case CURLE_USE_SSL_FAILED:
	case CURLE_SSL_ENGINE_NOTFOUND: case CURLE_SSL_ENGINE_SETFAILED: case CURLE_SSL_ENGINE_INITFAILED:
	case CURLE_SSL_CRL_BADFILE: case CURLE_SSL_SHUTDOWN_FAILED:
		return 1;
	default:
		return 0;
	}
}

/* The step a failed open_examined() stopped at. */
static const char *check_step(const struct imap *s)
{
	if (!s->curl)
		return "connect";
	if (s->last_rc == CURLE_OK || s->last_rc == CURLE_QUOTE_ERROR)
		return "SELECT";
	if (s->last_rc == CURLE_LOGIN_DENIED || s->last_rc == CURLE_AUTH_ERROR)
		return "AUTH";
	return is_tls_error(s->last_rc) ? "TLS" : "connect";
}

int imap_check_login(const struct imap_options *o)
{
	struct imap *s = xcalloc(1, sizeof(*s));
	char answer[REPLY_SHOWN + 1];
	const char *step;
	char *why = NULL;
	int ret = 0;

	if (open_examined(s, o) < 0) {
		step = check_step(s);
		imap_parse_tagged(answer, sizeof(answer), s->resp.ptr, s->resp.len);
		if (!s->curl || s->last_rc == CURLE_OK)
			why = xstrdup(error_last());
		else if (strcmp(answer, "(no answer)"))
			why = xstrdup(answer);
		else
			why = xstrdup(s->errbuf[0] ? s->errbuf : curl_easy_strerror(s->last_rc));
		error_set("%s: %s", step, why);
		ret = -1;
	}
	free(why);
	imap_close(s);
	return ret;
}

void imap_close(struct imap *s)
{
	if (!s)
		return;
	if (s->curl)
		curl_easy_cleanup(s->curl); /* says LOGOUT on an open connection */
	buf_release(&s->resp);
	free(s->url);
	free(s->shown);
	free(s->mailbox);
	free(s->username);
	secret_free(s->password);
	secret_free(s->bearer);
	free(s->ca_file);
	free(s->ca_pem);
	free(s);
}

unsigned long imap_uidvalidity(const struct imap *s)
{
	return s->uidvalidity;
}

unsigned long imap_uidnext(const struct imap *s)
{
	return s->uidnext;
}

unsigned long imap_exists(const struct imap *s)
{
	return s->exists;
}

const char *imap_mailbox(const struct imap *s)
{
	return s->mailbox;
}

/* ---- search ---- */

static int compare_uid(const void *a, const void *b)
{
	unsigned long x = *(const unsigned long *)a, y = *(const unsigned long *)b;

	return x < y ? -1 : x > y;
}

int imap_parse_search(unsigned long **uids, size_t *n, size_t *cap, const char *resp, size_t len,
		      unsigned long lo, unsigned long hi)
{
	struct cursor c = { resp, resp + len };
	const char *line, *rest, *end;
	long long literal;
	unsigned long v;
	size_t k;

	while (next_line(&c, &line, &k, &literal)) {
		if (literal >= 0) {
			if ((size_t)literal > (size_t)(c.end - c.p))
				return -1;
			c.p += literal;
		}
		end = line + k;
		rest = after_prefix(line, k, "* SEARCH");
		while (rest && rest < end) {
			while (rest < end && *rest == ' ')
				rest++;
			v = parse_number(rest, end, &rest);
			if (!v)
				break;
			if (v >= lo && (!hi || v <= hi)) {
				XGROW(*uids, *cap, *n + 1);
				(*uids)[(*n)++] = v;
			}
		}
	}
	return 0;
}

int imap_search(struct imap *s, unsigned long after, const char *criteria,
		unsigned long **uids_out, size_t *n_out, unsigned long *last_out)
{
	unsigned long *uids = NULL, lo, hi, limit = 0, last = after;
	size_t n = 0, cap = 0, i, k;
	char *cmd = NULL, *why = NULL;
	int r, ret = -1;

	*uids_out = NULL;
	*n_out = 0;
	if (criteria && strpbrk(criteria, "\r\n")) {
		error_set("invalid search criteria");
		goto done;
	}
	if (after >= 0xfffffffful)
		goto finished;
	if (s->uidnext) {
		if (s->uidnext <= after + 1)
			goto finished;
		limit = s->uidnext - 1;
	}
	for (lo = after + 1;; lo = hi + 1) {
		hi = limit && limit - lo >= IMAP_SEARCH_WINDOW ? lo + IMAP_SEARCH_WINDOW - 1 : limit;
		free(cmd);
		if (limit)
			cmd = xasprintf("UID SEARCH UID %lu:%lu%s%s", lo, hi,
					criteria && *criteria ? " " : "", criteria ? criteria : "");
		else
			cmd = xasprintf("UID SEARCH UID %lu:*%s%s", lo, criteria && *criteria ? " " : "",
					criteria ? criteria : "");
		r = command(s, cmd);
		if (r < 0)
			goto done;
		if (r > 0) {
			why = xstrdup(error_last());
			error_set("%s: the search for new messages failed: %s", s->shown, why);
			goto done;
		}
		if (imap_parse_search(&uids, &n, &cap, s->resp.ptr, s->resp.len, lo, limit ? hi : 0) < 0) {
			s->broken = 1;
			error_set("%s: the answer to a search did not add up", s->shown);
			goto done;
		}
		if (!limit || hi == limit)
			break;
	}
finished:
	if (n > 1)
		qsort(uids, n, sizeof(*uids), compare_uid);
	for (i = k = 0; i < n; i++) {
		if (!k || uids[k - 1] != uids[i])
			uids[k++] = uids[i];
	}
	n = k;
	if (limit)
		last = limit;
	else if (n && uids[n - 1] > last)
		last = uids[n - 1];
	if (last_out)
		*last_out = last;
	*uids_out = n ? uids : NULL;
	if (!n)
		free(uids);
	uids = NULL;
	*n_out = n;
	ret = 0;
done:
	free(uids);
	free(cmd);
	free(why);
	return ret;
}

/* ---- fetch ---- */

/* Whether the text before a literal names the whole message:
 * "... BODY[] {" or "... BODY[]<0> {". */
static int names_body(const char *line, const char *brace)
{
	const char *p = brace;

	while (p > line && p[-1] == ' ')
		p--;
	if (p - line >= 9 && !strncasecmp(p - 9, "BODY[]<0>", 9))
		return 1;
	return p - line >= 6 && !strncasecmp(p - 6, "BODY[]", 6);
}

/* The last '{' of line[0..n). */
static const char *last_brace(const char *line, size_t n)
{
	while (n > 0 && line[n - 1] != '{')
		n--;
	return n ? line + n - 1 : line;
}

/* A message sent as a quoted string instead of a literal ("BODY[] \"...\""),
 * appended to out; 0 when attrs holds none. */
static int quoted_body(struct buf *out, const char *attrs, size_t n)
{
	const char *end = attrs + n, *p;
	size_t k;

	for (p = attrs; p < end; p++) {
		if (end - p >= 8 && !strncasecmp(p, "BODY[] \"", 8))
			k = 8;
		else if (end - p >= 11 && !strncasecmp(p, "BODY[]<0> \"", 11))
			k = 11;
		else
			continue;
		for (p += k; p < end && *p != '"'; p++) {
			if (*p == '\\' && p + 1 < end)
				p++;
			buf_addc(out, *p);
		}
		return 1;
	}
	return 0;
}

/* The UID in the attributes of a FETCH response, or 0. */
static unsigned long fetch_uid(const char *attrs, size_t n)
{
	const char *end = attrs + n, *p;

	for (p = attrs; p + 4 <= end; p++) {
		if ((p == attrs || p[-1] == ' ' || p[-1] == '(') && !strncasecmp(p, "UID ", 4))
			return parse_number(p + 4, end, NULL);
	}
	return 0;
}

int imap_parse_fetch(struct buf *out, const char *resp, size_t resp_len, unsigned long uid)
{
	struct buf attrs = BUF_INIT;
	struct cursor c = { resp, resp + resp_len };
	const char *line, *rest, *body = NULL;
	size_t len, body_len = 0, avail;
	long long literal;
	int damaged = 0, is_fetch;

	while (next_line(&c, &line, &len, &literal)) {
		const char *cand = NULL;
		size_t cand_len = 0;

		rest = after_prefix(line, len, "* ");
		is_fetch = rest && parse_number(rest, line + len, &rest) &&
			   after_prefix(rest, (size_t)(line + len - rest), " FETCH (");
		buf_reset(&attrs);
		/* one response: a line, then a literal and a continuation line as
		 * long as lines end in a literal */
		for (;;) {
			buf_add(&attrs, line, len);
			if (literal < 0)
				break;
			avail = (size_t)(c.end - c.p);
			if (is_fetch && names_body(line, last_brace(line, len))) {
				cand = c.p;
				cand_len = (size_t)literal < avail ? (size_t)literal : avail;
			}
			if ((size_t)literal > avail) {
				damaged = 1;
				c.p = c.end;
				break;
			}
			c.p += literal;
			if (!next_line(&c, &line, &len, &literal))
				break;
		}
		if (is_fetch && cand && fetch_uid(attrs.ptr, attrs.len) == uid) {
			body = cand;
			body_len = cand_len;
		} else if (is_fetch && !cand && !body && fetch_uid(attrs.ptr, attrs.len) == uid &&
			   quoted_body(out, attrs.ptr, attrs.len)) {
			body = out->ptr;
			body_len = 0; /* already in out */
		} else if (is_fetch && cand && !fetch_uid(attrs.ptr, attrs.len) && damaged) {
			/* cut short before its UID: take it, it is damaged anyway */
			body = cand;
			body_len = cand_len;
		}
	}
	buf_release(&attrs);
	if (!body)
		return damaged ? IMAP_DAMAGED : IMAP_GONE;
	if (body_len)
		buf_add(out, body, body_len);
	return damaged ? IMAP_DAMAGED : IMAP_FETCHED;
}

int imap_fetch(struct imap *s, unsigned long uid, struct buf *out)
{
	char *cmd = NULL;
	int r, ret = -1;

	buf_reset(out);
	cmd = xasprintf("UID FETCH %lu (BODY.PEEK[]<0.%u>)", uid, IMAP_FETCH_MAX);
	r = command(s, cmd);
	if (r != 0) {
		ret = r < 0 ? -1 : IMAP_REFUSED;
		goto done;
	}
	ret = imap_parse_fetch(out, s->resp.ptr, s->resp.len, uid);
	if (ret == IMAP_DAMAGED)
		s->broken = 1; /* whatever libcurl read next would be out of step */
done:
	free(cmd);
	return ret;
}

/* ---- the Sent folder ---- */

/* Skips spaces; the next token of a LIST line: an atom, a quoted string
 * (unescaped into out) or a literal (its bytes after the line).  0, or -1
 * when there is none or it does not add up. */
static int list_string(struct buf *out, const char **p, const char *end, struct cursor *c,
		       long long literal)
{
	const char *q = *p;

	buf_reset(out);
	while (q < end && *q == ' ')
		q++;
	if (q < end && *q == '"') {
		for (q++; q < end && *q != '"'; q++) {
			if (*q == '\\' && q + 1 < end)
				q++;
			buf_addc(out, *q);
		}
		if (q >= end)
			return -1;
		*p = q + 1;
		return 0;
	}
	if (q < end && *q == '{') {
		if (literal < 0 || (size_t)literal > (size_t)(c->end - c->p))
			return -1;
		buf_add(out, c->p, (size_t)literal);
		c->p += literal;
		*p = end;
		return 0;
	}
	while (q < end && *q != ' ' && *q != '(' && *q != ')' && *q != '"')
		buf_addc(out, *q++);
	*p = q;
	return out->len ? 0 : -1;
}

/* Whether the attribute list at the start of s (after "(") holds \Sent. */
static int has_sent_attribute(const char *s, const char *close)
{
	const char *p;

	for (p = s; p + 5 <= close; p++) {
		if (!strncasecmp(p, "\\Sent", 5) && (p + 5 == close || p[5] == ' '))
			return 1;
	}
	return 0;
}

char *imap_parse_list_sent(const char *resp, size_t len)
{
	struct cursor c = { resp, resp + len };
	struct buf name = BUF_INIT;
	const char *line, *rest, *end, *close;
	long long literal;
	char *found = NULL;
	size_t n;

	while (!found && next_line(&c, &line, &n, &literal)) {
		end = line + n;
		rest = after_prefix(line, n, "* LIST (");
		close = rest ? memchr(rest, ')', (size_t)(end - rest)) : NULL;
		if (!close || !has_sent_attribute(rest, close)) {
			if (literal > 0)
				c.p += (size_t)literal < (size_t)(c.end - c.p) ? (size_t)literal
									   : (size_t)(c.end - c.p);
			continue;
		}
		rest = close + 1;
		/* the hierarchy delimiter ("/" or NIL), then the name */
		if (list_string(&name, &rest, end, &c, -1) < 0 ||
		    list_string(&name, &rest, end, &c, literal) < 0)
			break;
		if (name.len && !memchr(name.ptr, '\0', name.len))
			found = xstrdup(name.ptr);
	}
	buf_release(&name);
	return found;
}

int imap_find_sent(struct imap *s, char **mailbox_out)
{
	static const char *const lists[] = { "LIST (SPECIAL-USE) \"\" \"*\"", "LIST \"\" \"*\"" };
	size_t i;
	int r;

	*mailbox_out = NULL;
	for (i = 0; i < 2 && !*mailbox_out; i++) {
		r = command(s, lists[i]);
		if (r < 0)
			return -1;
		if (r == 0)
			*mailbox_out = imap_parse_list_sent(s->resp.ptr, s->resp.len);
	}
	return *mailbox_out ? 1 : 0;
}

static int printable_ascii(const char *s, size_t max)
{
	size_t n = 0;

	for (; *s; s++, n++) {
		if ((unsigned char)*s < 32 || (unsigned char)*s > 126 || n >= max)
			return 0;
	}
	return n > 0;
}

int imap_examine_mailbox(struct imap *s, const char *mailbox)
{
	if (!printable_ascii(mailbox, 1000))
		return error_set("%s: the mailbox name must be printable ASCII", s->shown);
	free(s->mailbox);
	s->mailbox = xstrdup(mailbox);
	s->examined = 0;
	s->uidvalidity = s->uidnext = s->exists = 0;
	if (s->broken)
		return reconnect(s);
	if (examine(s) == 0)
		return 0;
	/* a connection that died under us: once more on a new one */
	return s->broken && s->last_rc != CURLE_OK && s->last_rc != CURLE_QUOTE_ERROR ? reconnect(s)
										     : -1;
}

int imap_has_message_id(struct imap *s, const char *message_id)
{
	unsigned long *uids = NULL;
	size_t n = 0, cap = 0;
	char *quoted = NULL, *cmd = NULL, *why = NULL;
	int r, ret = -1;

	if (!printable_ascii(message_id, 250)) {
		error_set("invalid Message-ID '%.60s'", message_id);
		goto done;
	}
	quoted = quote_mailbox(message_id); /* a quoted string, as a mailbox name is */
	cmd = xasprintf("UID SEARCH HEADER Message-ID %s", quoted);
	r = command(s, cmd);
	if (r < 0)
		goto done;
	if (r > 0) {
		why = xstrdup(error_last());
		error_set("%s: the search for a Message-ID failed: %s", s->shown, why);
		goto done;
	}
	if (imap_parse_search(&uids, &n, &cap, s->resp.ptr, s->resp.len, 1, 0) < 0) {
		s->broken = 1;
		error_set("%s: the answer to a search did not add up", s->shown);
		goto done;
	}
	ret = n > 0;
done:
	free(uids);
	free(quoted);
	free(cmd);
	free(why);
	return ret;
}
