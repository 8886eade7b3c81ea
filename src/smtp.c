#include "smtp.h"

#include <curl/curl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "buf.h"
#include "diag.h"
#include "tls.h"
#include "util.h"
#include "xalloc.h"

#define REPLY_MAX 8192 /* longer replies are cut */
#define REPLY_WAIT_MS (5 * 60 * 1000L) /* RFC 5321 4.5.3.2: replies other than the final one */
#define FINAL_WAIT_MS (10 * 60 * 1000L) /* RFC 5321 4.5.3.2.6: the reply to the final '.' */

/* The server's replies as libcurl's debug callback shows them. */
struct capture {
	struct buf text; /* the last reply, complete or being read */
	int code; /* its code, once complete */
	int done; /* text holds a complete reply: the next line starts a new one */
	int last_code; /* code of the last complete reply (334: SASL goes on) */
	char command[12]; /* the last command sent */
	char reply_command[12]; /* the command the reply in text answers */
	int authenticated; /* AUTH was answered with 235 */
};

struct reader {
	const char *data;
	size_t len, pos;
};

/*
 * How long the server may stay silent.  libcurl's CURLOPT_TIMEOUT_MS bounds
 * the whole transaction (a slow final reply after a large message would
 * count the upload too), CURLOPT_SERVER_RESPONSE_TIMEOUT is one wait for
 * every reply, and CURLOPT_LOW_SPEED_TIME would also end the final wait
 * (the blocking wait for it checks the speed).  RFC 5321 wants 10 minutes
 * for the reply to the final '.' and 5 for the others, so the wait is
 * measured here: every byte either way (the debug and read callbacks)
 * restarts the clock, and the progress callback, which libcurl calls at
 * least once a second also while it waits for a reply, ends the transfer
 * when the silence outlasts the wait of the phase.  libcurl's own
 * response timeout is set just beyond both, as a backstop.  The
 * connection phase (TCP, TLS, greeting, EHLO, AUTH) stays bounded by the
 * connect timeout: nothing has been sent then.
 */
struct wait {
	long reply_ms, final_ms;
	struct timespec last; /* the last byte sent or received */
	int expired; /* the progress callback ended the transfer */
	int final; /* ... while waiting for the final reply */
};

struct smtp {
	CURL *curl;
	char *host;
	int has_login; /* credentials given: AUTH is expected */
	struct curl_slist *connect_to;
	struct capture cap;
	struct reader rd;
	struct wait wait;
	char errbuf[CURL_ERROR_SIZE];
};

/* ---- classification ---- */

struct smtp_rule {
	const char *enhanced; /* "x.y." a prefix, "x.y.z" exact; NULL: any */
	int code_min, code_max;
	const char *word; /* in the text, at a word start; NULL: any */
	enum smtp_class cls; /* the class of a reply to anything but RCPT */
	enum smtp_class rcpt; /* the class of a reply to RCPT */
};

#define TEMPORARY SMTP_RECIPIENT_TEMPORARY
#define PERMANENT SMTP_RECIPIENT_PERMANENT
#define REJECTED SMTP_RECIPIENT_REJECTED
#define LIMIT SMTP_ACCOUNT_LIMIT
#define CRITICAL SMTP_CRITICAL

/* The table of src/smtp.h, row by row. */
static const struct smtp_rule smtp_rules[] = {
	/* the recipient's own mailbox: full, or receiving too fast */
	{ "5.2.2", 500, 599, NULL, TEMPORARY, TEMPORARY },
	{ "4.2.", 400, 499, NULL, TEMPORARY, TEMPORARY },
	/* the sender's address is at fault, not the recipient's */
	{ "5.1.7", 500, 599, NULL, CRITICAL, CRITICAL },
	{ "5.1.8", 500, 599, NULL, CRITICAL, CRITICAL },
	/* hard bounces */
	{ "5.1.", 500, 599, NULL, PERMANENT, PERMANENT },
	{ "5.2.1", 500, 599, NULL, PERMANENT, PERMANENT },
	/* the message itself: too big, bad content, protocol; at RCPT the
	 * message has not been sent, so the refusal is about this recipient */
	{ "5.2.3", 500, 599, NULL, CRITICAL, REJECTED },
	{ "5.3.", 500, 599, NULL, CRITICAL, REJECTED },
	{ "5.6.", 500, 599, NULL, CRITICAL, REJECTED },
	{ "5.5.", 500, 599, NULL, CRITICAL, REJECTED },
	/* the account's sending limits */
	{ "5.4.5", 500, 599, NULL, LIMIT, LIMIT },
	{ "4.3.2", 400, 499, NULL, LIMIT, LIMIT },
	{ NULL, 400, 599, "quotaexceeded", LIMIT, LIMIT },
	{ NULL, 400, 599, "sending quota", LIMIT, LIMIT },
	{ NULL, 400, 599, "sending limit", LIMIT, LIMIT },
	{ NULL, 400, 499, "rate", LIMIT, LIMIT },
	{ NULL, 400, 499, "throttl", LIMIT, LIMIT },
	/* authentication, TLS, policy; at RCPT a policy about this recipient
	 * ("Recipient address rejected: Access denied") */
	{ "5.7.", 500, 599, NULL, CRITICAL, REJECTED },
	/* basic codes */
	{ NULL, 421, 421, NULL, LIMIT, LIMIT },
	{ NULL, 432, 432, NULL, LIMIT, LIMIT },
	{ NULL, 454, 454, NULL, LIMIT, LIMIT },
	{ NULL, 530, 530, NULL, CRITICAL, REJECTED },
	{ NULL, 534, 535, NULL, CRITICAL, REJECTED },
	{ NULL, 538, 538, NULL, CRITICAL, REJECTED },
	{ NULL, 552, 552, NULL, TEMPORARY, TEMPORARY },
	{ NULL, 550, 553, "user unknown", PERMANENT, PERMANENT },
	{ NULL, 550, 553, "unknown user", PERMANENT, PERMANENT },
	{ NULL, 550, 553, "no such user", PERMANENT, PERMANENT },
	{ NULL, 550, 553, "no such recipient", PERMANENT, PERMANENT },
	{ NULL, 550, 553, "unknown recipient", PERMANENT, PERMANENT },
	{ NULL, 550, 553, "recipient unknown", PERMANENT, PERMANENT },
	{ NULL, 550, 553, "does not exist", PERMANENT, PERMANENT },
	{ NULL, 550, 553, "no mailbox", PERMANENT, PERMANENT },
	{ NULL, 400, 499, NULL, TEMPORARY, TEMPORARY },
	{ NULL, 500, 599, NULL, CRITICAL, REJECTED },
};

#undef TEMPORARY
#undef PERMANENT
#undef REJECTED
#undef LIMIT
#undef CRITICAL

/* libcurl codes that no retry will cure. */
static const int curl_critical[] = {
	CURLE_UNSUPPORTED_PROTOCOL, CURLE_URL_MALFORMAT, CURLE_NOT_BUILT_IN,
	CURLE_REMOTE_ACCESS_DENIED, CURLE_BAD_FUNCTION_ARGUMENT,
	CURLE_SSL_CONNECT_ERROR, CURLE_UNKNOWN_OPTION, CURLE_PEER_FAILED_VERIFICATION,
	CURLE_SSL_ENGINE_NOTFOUND, CURLE_SSL_ENGINE_SETFAILED, CURLE_SSL_CERTPROBLEM,
	CURLE_SSL_CIPHER, CURLE_FILESIZE_EXCEEDED, CURLE_USE_SSL_FAILED,
	CURLE_SSL_ENGINE_INITFAILED, CURLE_LOGIN_DENIED, CURLE_SSL_CACERT_BADFILE,
	CURLE_SSL_SHUTDOWN_FAILED, CURLE_SSL_CRL_BADFILE, CURLE_SSL_ISSUER_ERROR,
	CURLE_SSL_PINNEDPUBKEYNOTMATCH, CURLE_SSL_INVALIDCERTSTATUS, CURLE_AUTH_ERROR,
	CURLE_SSL_CLIENTCERT,
};

static int is_alnum(int c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int to_lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

/* Whether text has word (lower case) starting at a word start. */
static int has_word(const char *text, const char *word)
{
	size_t n = strlen(word), i, k;

	for (i = 0; text[i]; i++) {
		int prev = i ? (unsigned char)text[i - 1] : ' ';
		int cur = (unsigned char)text[i];
		int start = !is_alnum(prev) ||
			    (prev >= 'a' && prev <= 'z' && cur >= 'A' && cur <= 'Z');

		if (!start)
			continue;
		for (k = 0; k < n && text[i + k]; k++)
			if (to_lower((unsigned char)text[i + k]) != word[k])
				break;
		if (k == n)
			return 1;
	}
	return 0;
}

static int enhanced_matches(const char *pattern, const char *enhanced)
{
	size_t n = strlen(pattern);

	if (pattern[n - 1] == '.')
		return strncmp(enhanced, pattern, n) == 0;
	return strcmp(enhanced, pattern) == 0;
}

static enum smtp_class classify_reply(const struct smtp_reply *r, int at_rcpt)
{
	const char *text = r->text ? r->text : "";
	size_t i;

	for (i = 0; i < sizeof(smtp_rules) / sizeof(smtp_rules[0]); i++) {
		const struct smtp_rule *rule = &smtp_rules[i];

		if (r->code < rule->code_min || r->code > rule->code_max)
			continue;
		if (rule->enhanced && !enhanced_matches(rule->enhanced, r->enhanced))
			continue;
		if (rule->word && !has_word(text, rule->word))
			continue;
		return at_rcpt ? rule->rcpt : rule->cls;
	}
	return SMTP_CRITICAL;
}

enum smtp_class smtp_classify(const struct smtp_reply *r, int curl_code)
{
	enum smtp_class c;
	size_t i;

	if (r->code >= 400) {
		c = classify_reply(r, strcmp(r->command, "RCPT") == 0);
		/* outside RCPT and DATA, nothing is about the recipient */
		if (r->command[0] && strcmp(r->command, "RCPT") != 0 &&
		    strcmp(r->command, "DATA") != 0) {
			if (c == SMTP_RECIPIENT_TEMPORARY)
				c = SMTP_ACCOUNT_LIMIT;
			else if (c == SMTP_RECIPIENT_PERMANENT)
				c = SMTP_CRITICAL;
		}
		return c;
	}
	if (curl_code == CURLE_OK)
		return SMTP_OK;
	for (i = 0; i < sizeof(curl_critical) / sizeof(curl_critical[0]); i++)
		if (curl_critical[i] == curl_code)
			return SMTP_CRITICAL;
	return SMTP_NETWORK;
}

const char *smtp_class_name(enum smtp_class c)
{
	switch (c) {
	case SMTP_OK:
		return "ok";
	case SMTP_RECIPIENT_TEMPORARY:
		return "recipient_temporary";
	case SMTP_RECIPIENT_PERMANENT:
		return "recipient_permanent";
	case SMTP_RECIPIENT_REJECTED:
		return "recipient_rejected";
	case SMTP_ACCOUNT_LIMIT:
		return "account_limit";
	case SMTP_CRITICAL:
		return "critical";
	case SMTP_NETWORK:
		return "network";
	}
	return "unknown";
}

void smtp_reply_release(struct smtp_reply *r)
{
	free(r->text);
	memset(r, 0, sizeof(*r));
}

/* ---- reply capture ---- */

static const char *const smtp_commands[] = {
	"EHLO", "HELO", "STARTTLS", "AUTH", "MAIL", "RCPT", "DATA", "QUIT",
	"RSET", "NOOP", "VRFY", "EXPN", "HELP", NULL,
};

static void capture_reset(struct capture *cap)
{
	buf_reset(&cap->text);
	cap->code = 0;
	cap->done = 1;
	cap->last_code = 0;
	cap->authenticated = 0;
	snprintf(cap->command, sizeof(cap->command), "CONNECT");
	cap->reply_command[0] = '\0';
}

/* Notes the verb of a command sent; never keeps its arguments (AUTH
 * carries credentials). */
static void capture_command(struct capture *cap, const char *data, size_t size)
{
	size_t n = 0, i;

	if (cap->last_code == 334)
		return; /* a SASL response: still AUTH */
	while (n < size && n < 9 && data[n] >= 'A' && data[n] <= 'Z')
		n++;
	if (n < size && data[n] != ' ' && data[n] != '\r' && data[n] != '\n')
		return;
	for (i = 0; smtp_commands[i]; i++)
		if (strlen(smtp_commands[i]) == n && memcmp(smtp_commands[i], data, n) == 0)
			snprintf(cap->command, sizeof(cap->command), "%s", smtp_commands[i]);
}

static void capture_line(struct capture *cap, const char *line, size_t len)
{
	size_t i;

	while (len && (line[len - 1] == '\r' || line[len - 1] == '\n'))
		len--;
	if (strcmp(cap->command, "QUIT") == 0) {
		/* the goodbye never hides the reply that mattered; anything
		 * else is the greeting of a new connection (libcurl closes an
		 * old one with QUIT before it opens the next) */
		if (len >= 3 && memcmp(line, "221", 3) == 0)
			return;
		snprintf(cap->command, sizeof(cap->command), "CONNECT");
		cap->done = 1;
	}
	if (cap->done) {
		buf_reset(&cap->text);
		cap->done = 0;
		cap->code = 0;
		memcpy(cap->reply_command, cap->command, sizeof(cap->command));
	}
	if (cap->text.len + len + 1 <= REPLY_MAX) {
		if (cap->text.len)
			buf_addc(&cap->text, '\n');
		for (i = 0; i < len; i++) {
			unsigned char c = (unsigned char)line[i];

			buf_addc(&cap->text, c < 0x20 || c == 0x7f ? ' ' : (char)c);
		}
	}
	if (len >= 3 && line[0] >= '1' && line[0] <= '5' && line[1] >= '0' &&
	    line[1] <= '9' && line[2] >= '0' && line[2] <= '9' &&
	    (len == 3 || line[3] == ' ')) {
		cap->done = 1;
		cap->code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
		cap->last_code = cap->code;
		if (cap->code == 235 && strcmp(cap->reply_command, "AUTH") == 0)
			cap->authenticated = 1;
	}
}

static void wait_restart(struct wait *w)
{
	clock_gettime(CLOCK_MONOTONIC, &w->last);
}

/* What the server sent (HEADER_IN) or the command sent (HEADER_OUT). */
static void capture_bytes(struct capture *cap, curl_infotype type, const char *data, size_t size)
{
	size_t start = 0, i;

	if (type == CURLINFO_HEADER_OUT) {
		capture_command(cap, data, size);
	} else if (type == CURLINFO_HEADER_IN) {
		for (i = 0; i < size; i++) {
			if (data[i] == '\n') {
				capture_line(cap, data + start, i + 1 - start);
				start = i + 1;
			}
		}
		if (start < size)
			capture_line(cap, data + start, size - start);
	}
}

static int on_debug(CURL *curl, curl_infotype type, char *data, size_t size, void *arg)
{
	struct smtp *s = arg;

	(void)curl;
	if (type == CURLINFO_HEADER_OUT || type == CURLINFO_HEADER_IN ||
	    type == CURLINFO_DATA_OUT || type == CURLINFO_DATA_IN)
		wait_restart(&s->wait);
	capture_bytes(&s->cap, type, data, size);
	return 0;
}

static size_t count_digits(const char *p)
{
	size_t n = 0;

	while (n < 4 && p[n] >= '0' && p[n] <= '9')
		n++;
	return n;
}

/* The enhanced status code ("5.1.1") after "NNN " or "NNN-" on the last
 * line, when its class is the reply code's. */
static void parse_enhanced(char out[16], const char *text, int code)
{
	const char *line = strrchr(text, '\n');
	const char *p;
	size_t n;

	out[0] = '\0';
	line = line ? line + 1 : text;
	if (strlen(line) < 9 || line[4] != '0' + code / 100 || line[5] != '.')
		return;
	p = line + 6;
	n = count_digits(p);
	if (n < 1 || n > 3 || p[n] != '.')
		return;
	p += n + 1;
	n = count_digits(p);
	if (n < 1 || n > 3 || (p[n] && p[n] != ' '))
		return;
	p += n;
	n = (size_t)(p - (line + 4));
	memcpy(out, line + 4, n);
	out[n] = '\0';
}

static void reply_set(struct smtp_reply *r, int code, const char *text, const char *command)
{
	memset(r, 0, sizeof(*r));
	r->code = code;
	r->text = xstrdup(text);
	snprintf(r->command, sizeof(r->command), "%s", command);
	if (code)
		parse_enhanced(r->enhanced, r->text, code);
}

int smtp_reply_parse(struct smtp_reply *out, const char *command, const char *text, size_t len)
{
	struct capture cap;
	int ret = -1;

	memset(&cap, 0, sizeof(cap));
	buf_init(&cap.text, 256);
	capture_reset(&cap);
	if (command)
		capture_command(&cap, command, strlen(command));
	capture_bytes(&cap, CURLINFO_HEADER_IN, text, len);
	if (cap.done && cap.code) {
		reply_set(out, cap.code, cap.text.ptr, cap.reply_command);
		ret = 0;
	} else {
		reply_set(out, 0, "", cap.command);
	}
	buf_release(&cap.text);
	return ret;
}

/* The whole message has been handed over: what is left is the reply to
 * the final '.'. */
static int wait_for_final(const struct smtp *s)
{
	return strcmp(s->cap.command, "DATA") == 0 && s->rd.len && s->rd.pos == s->rd.len;
}

/* libcurl's progress callback: ends the transfer when the server has been
 * silent for longer than the phase allows (see struct wait). */
static int on_progress(void *arg, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
		       curl_off_t ulnow)
{
	struct smtp *s = arg;
	struct timespec now;
	long silent, allowed;

	(void)dltotal;
	(void)dlnow;
	(void)ultotal;
	(void)ulnow;
	clock_gettime(CLOCK_MONOTONIC, &now);
	silent = (now.tv_sec - s->wait.last.tv_sec) * 1000 +
		 (now.tv_nsec - s->wait.last.tv_nsec) / 1000000;
	s->wait.final = wait_for_final(s);
	allowed = s->wait.final ? s->wait.final_ms : s->wait.reply_ms;
	if (silent <= allowed)
		return 0;
	s->wait.expired = 1;
	return 1;
}

/* Fills r after a transfer that ended with res. */
static void reply_fill(struct smtp_reply *r, struct smtp *s, CURLcode res)
{
	struct capture *cap = &s->cap;
	long code = 0;

	if (cap->done && cap->code && (res == CURLE_OK || cap->code >= 400)) {
		reply_set(r, cap->code, cap->text.ptr, cap->reply_command);
		return;
	}
	curl_easy_getinfo(s->curl, CURLINFO_RESPONSE_CODE, &code);
	if (res == CURLE_OK || code >= 400) {
		reply_set(r, (int)code, s->errbuf[0] ? s->errbuf : "", cap->command);
		return;
	}
	if (s->wait.expired) {
		struct buf why = BUF_INIT;
		long ms = s->wait.final ? s->wait.final_ms : s->wait.reply_ms;

		if (ms % 1000)
			buf_addf(&why, "no reply within %ld ms", ms);
		else
			buf_addf(&why, "no reply within %ld s", ms / 1000);
		buf_adds(&why, s->wait.final ? " after the message (the final '.')" : "");
		reply_set(r, 0, why.ptr, cap->command);
		buf_release(&why);
	} else {
		reply_set(r, 0, s->errbuf[0] ? s->errbuf : curl_easy_strerror(res), cap->command);
	}
	r->uncertain = wait_for_final(s);
}

/* ---- transport ---- */

static size_t on_read(char *out, size_t size, size_t nitems, void *arg)
{
	struct smtp *s = arg;
	struct reader *rd = &s->rd;
	size_t n = size * nitems;

	wait_restart(&s->wait);

	if (n > rd->len - rd->pos)
		n = rd->len - rd->pos;
	memcpy(out, rd->data + rd->pos, n);
	rd->pos += n;
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

/* A host name or an address literal: what EHLO may say. */
static int helo_valid(const char *helo)
{
	const char *p;

	if (!*helo || strlen(helo) > 255)
		return 0;
	for (p = helo; *p; p++) {
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		      strchr(".-[]:", *p)))
			return 0;
	}
	return 1;
}

/* libcurl says EHLO with the URL's path: *out is url with its path helo. */
static int url_with_helo(char **out, const char *url, const char *helo)
{
	CURLU *u = curl_url();
	char *path = NULL, *full = NULL;
	int ret = -1;

	*out = NULL;
	if (!helo_valid(helo)) {
		error_set("invalid EHLO name '%s': expected a host name such as example.com", helo);
		goto done;
	}
	path = xasprintf("/%s", helo);
	if (!u || curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_set(u, CURLUPART_PATH, path, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_URL, &full, 0) != CURLUE_OK) {
		error_set("invalid SMTP URL '%s'", url);
		goto done;
	}
	*out = xstrdup(full);
	ret = 0;
done:
	curl_free(full);
	free(path);
	curl_url_cleanup(u);
	return ret;
}

/* The waits of struct wait, measured by the progress callback: NULL, or
 * the option libcurl refused. */
static const char *wait_setup(struct smtp *s, const struct smtp_options *o)
{
	long longest;
	const char *failed = NULL;

	s->wait.reply_ms = o->reply_timeout_ms > 0 ? o->reply_timeout_ms : REPLY_WAIT_MS;
	s->wait.final_ms = o->final_timeout_ms > 0 ? o->final_timeout_ms : FINAL_WAIT_MS;
	longest = s->wait.reply_ms > s->wait.final_ms ? s->wait.reply_ms : s->wait.final_ms;
	SETOPT(s->curl, CURLOPT_SERVER_RESPONSE_TIMEOUT, longest / 1000 + 5);
	SETOPT(s->curl, CURLOPT_NOPROGRESS, 0L);
	SETOPT(s->curl, CURLOPT_XFERINFOFUNCTION, on_progress);
	SETOPT(s->curl, CURLOPT_XFERINFODATA, s);
	return failed;
}

int smtp_open(struct smtp **out, const struct smtp_options *o)
{
	struct smtp *s = NULL;
	char *scheme = NULL, *host = NULL, *url = NULL;
	const char *failed = NULL, *tls_failed;
	int plain, has_user = 0, ret = -1;

	*out = NULL;
	if (!o->url) {
		error_set("no SMTP URL");
		goto done;
	}
	if (url_scheme_host(&scheme, &host, &has_user, o->url) < 0) {
		error_set("invalid SMTP URL: %s", error_last());
		goto done;
	}
	if (strcmp(scheme, "smtp") != 0 && strcmp(scheme, "smtps") != 0) {
		error_set("SMTP URL for '%s' is %s://, not smtp:// or smtps://", host, scheme);
		goto done;
	}
	if (tls_plain(&plain, "smtp", scheme, host, o->tls, o->connect_to != NULL) < 0) {
		error_set("SMTP URL '%s': %s", o->url, error_last());
		goto done;
	}
	if (o->helo && url_with_helo(&url, o->url, o->helo) < 0)
		goto done;

	s = xcalloc(1, sizeof(*s));
	s->host = host;
	host = NULL;
	s->has_login = o->username || has_user;
	capture_reset(&s->cap);
	s->curl = curl_easy_init();
	if (!s->curl) {
		error_set("cannot create a libcurl handle");
		goto done;
	}
	SETOPT(s->curl, CURLOPT_URL, url ? url : o->url);
	SETOPT(s->curl, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
	SETOPT(s->curl, CURLOPT_NOSIGNAL, 1L);
	SETOPT(s->curl, CURLOPT_TCP_KEEPALIVE, 1L);
	SETOPT(s->curl, CURLOPT_CONNECTTIMEOUT_MS,
	       o->connect_timeout_ms > 0 ? o->connect_timeout_ms : 15000L);
	if (!failed)
		failed = wait_setup(s, o);
	SETOPT(s->curl, CURLOPT_ERRORBUFFER, s->errbuf);
	SETOPT(s->curl, CURLOPT_VERBOSE, 1L); /* the debug callback sees the replies */
	SETOPT(s->curl, CURLOPT_DEBUGFUNCTION, on_debug);
	SETOPT(s->curl, CURLOPT_DEBUGDATA, s);
	SETOPT(s->curl, CURLOPT_UPLOAD, 1L);
	SETOPT(s->curl, CURLOPT_READFUNCTION, on_read);
	SETOPT(s->curl, CURLOPT_READDATA, s);
	SETOPT(s->curl, CURLOPT_WRITEFUNCTION, on_discard);
	tls_failed = tls_curl_setup(s->curl, plain, o->ca_pem, o->ca_pem_len, o->ca_file);
	if (tls_failed)
		failed = tls_failed;
	if (o->username)
		SETOPT(s->curl, CURLOPT_USERNAME, o->username);
	if (o->password)
		SETOPT(s->curl, CURLOPT_PASSWORD, o->password);
	if (o->bearer) {
		SETOPT(s->curl, CURLOPT_XOAUTH2_BEARER, o->bearer);
		SETOPT(s->curl, CURLOPT_LOGIN_OPTIONS, "AUTH=XOAUTH2");
	}
	if (o->connect_to) {
		s->connect_to = curl_slist_append(NULL, o->connect_to);
		SETOPT(s->curl, CURLOPT_CONNECT_TO, s->connect_to);
	}
	if (failed) {
		error_set("libcurl refused %s", failed);
		goto done;
	}
	*out = s;
	s = NULL;
	ret = 0;
done:
	smtp_close(s);
	free(scheme);
	free(host);
	free(url);
	return ret;
}

void smtp_close(struct smtp *s)
{
	if (!s)
		return;
	if (s->curl)
		curl_easy_cleanup(s->curl); /* says QUIT on an open connection */
	curl_slist_free_all(s->connect_to);
	buf_release(&s->cap.text);
	free(s->host);
	free(s);
}

/* Nothing that could end or inject an SMTP command line. */
static int address_ok(const char *a)
{
	for (; *a; a++)
		if ((unsigned char)*a < 0x20 || *a == 0x7f || *a == '<' || *a == '>')
			return 0;
	return 1;
}

static CURLcode transfer(struct smtp *s, const char *message, size_t len)
{
	CURLcode res;

	s->rd.data = message;
	s->rd.len = len;
	s->rd.pos = 0;
	s->errbuf[0] = '\0';
	s->wait.expired = s->wait.final = 0;
	wait_restart(&s->wait);
	capture_reset(&s->cap);
	res = curl_easy_perform(s->curl);
	/* a wait that ran out is a timeout, whoever noticed it */
	return res == CURLE_ABORTED_BY_CALLBACK && s->wait.expired ? CURLE_OPERATION_TIMEDOUT : res;
}

int smtp_send(struct smtp *s, const char *mail_from, const char *rcpt,
	      const char *message, size_t len, struct smtp_reply *reply,
	      int *curl_code_out)
{
	struct curl_slist *rcpts = NULL;
	const char *failed = NULL;
	CURLcode res;
	long connects = 1;
	int ret = -1;

	if (!mail_from || !rcpt || !*rcpt || !address_ok(mail_from) || !address_ok(rcpt)) {
		error_set("invalid envelope address");
		reply_set(reply, 0, error_last(), "");
		*curl_code_out = CURLE_BAD_FUNCTION_ARGUMENT;
		goto done;
	}
	rcpts = curl_slist_append(NULL, rcpt);
	SETOPT(s->curl, CURLOPT_MAIL_FROM, mail_from);
	SETOPT(s->curl, CURLOPT_MAIL_RCPT, rcpts);
	SETOPT(s->curl, CURLOPT_INFILESIZE_LARGE, (curl_off_t)len);
	if (failed || !rcpts) {
		error_set("libcurl refused %s", failed ? failed : "CURLOPT_MAIL_RCPT");
		reply_set(reply, 0, error_last(), "");
		*curl_code_out = CURLE_BAD_FUNCTION_ARGUMENT;
		goto done;
	}
	res = transfer(s, message, len);
	curl_easy_getinfo(s->curl, CURLINFO_NUM_CONNECTS, &connects);
	if ((res == CURLE_SEND_ERROR || res == CURLE_RECV_ERROR || res == CURLE_GOT_NOTHING) &&
	    connects == 0 && s->rd.pos == 0 && !(s->cap.done && s->cap.code >= 400)) {
		/* a reused connection was dead and nothing was sent: once more */
		curl_easy_setopt(s->curl, CURLOPT_FRESH_CONNECT, 1L);
		res = transfer(s, message, len);
		curl_easy_setopt(s->curl, CURLOPT_FRESH_CONNECT, 0L);
	}
	reply_fill(reply, s, res);
	*curl_code_out = (int)res;
	ret = 0;
done:
	curl_easy_setopt(s->curl, CURLOPT_MAIL_RCPT, (struct curl_slist *)NULL);
	curl_slist_free_all(rcpts);
	return ret;
}

/* libcurl closes a connect-only connection without a word: say goodbye
 * and give the server a moment to answer. */
static void say_quit(CURL *curl)
{
	curl_socket_t fd = CURL_SOCKET_BAD;
	struct pollfd pfd;
	size_t n = 0;
	char answer[256];

	if (curl_easy_send(curl, "QUIT\r\n", 6, &n) != CURLE_OK || n != 6)
		return;
	if (curl_easy_getinfo(curl, CURLINFO_ACTIVESOCKET, &fd) != CURLE_OK ||
	    fd == CURL_SOCKET_BAD)
		return;
	pfd.fd = fd;
	pfd.events = POLLIN;
	if (poll(&pfd, 1, 1000) == 1)
		curl_easy_recv(curl, answer, sizeof(answer), &n);
}

/* The step of the login a failed transfer stopped at: "connect", "TLS",
 * "EHLO", "STARTTLS" or "AUTH". */
static const char *login_step(const struct smtp_reply *r, CURLcode res)
{
	switch (res) {
	case CURLE_USE_SSL_FAILED:
		return "STARTTLS";
	case CURLE_LOGIN_DENIED: case CURLE_AUTH_ERROR:
		return "AUTH";
	case CURLE_SSL_CONNECT_ERROR: case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CERTPROBLEM: case CURLE_SSL_CIPHER: case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_ISSUER_ERROR: case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
	case CURLE_SSL_INVALIDCERTSTATUS: case CURLE_SSL_CLIENTCERT: case CURLE_SSL_CRL_BADFILE:
	case CURLE_SSL_ENGINE_NOTFOUND: case CURLE_SSL_ENGINE_SETFAILED: case CURLE_SSL_ENGINE_INITFAILED:
		return "TLS";
	default:
		break;
	}
	if (!strcmp(r->command, "EHLO") || !strcmp(r->command, "HELO"))
		return "EHLO";
	if (!strcmp(r->command, "STARTTLS") || !strcmp(r->command, "AUTH"))
		return r->command;
	return "connect";
}

/* The last line of a reply: what the server said last, never an EHLO list. */
static const char *last_line(const char *text)
{
	const char *nl = strrchr(text, '\n');

	return nl ? nl + 1 : text;
}

int smtp_check_login(const struct smtp_options *o, struct smtp_reply *reply)
{
	struct smtp *s = NULL;
	CURLcode res;
	int ret = -1;

	if (smtp_open(&s, o) < 0) {
		reply_set(reply, 0, error_last(), "");
		error_set("connect: %s", reply->text);
		goto done;
	}
	/* stop after the connection phase: greeting, EHLO, STARTTLS, AUTH */
	curl_easy_setopt(s->curl, CURLOPT_UPLOAD, 0L);
	if (curl_easy_setopt(s->curl, CURLOPT_CONNECT_ONLY, 1L) != CURLE_OK) {
		error_set("libcurl refused CURLOPT_CONNECT_ONLY");
		reply_set(reply, 0, error_last(), "");
		goto done;
	}
	res = transfer(s, "", 0);
	reply_fill(reply, s, res);
	if (res != CURLE_OK) {
		error_set("%s: %s", login_step(reply, res), last_line(reply->text));
		goto done;
	}
	say_quit(s->curl);
	if (s->has_login && !s->cap.authenticated) {
		error_set("AUTH: the server offered no authentication after EHLO (%s)",
			  last_line(reply->text));
		goto done;
	}
	ret = 0;
done:
	smtp_close(s);
	return ret;
}
