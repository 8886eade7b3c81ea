#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <curl/curl.h>
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "diag.h"
#include "oauth.h"
#include "smtp.h"
#include "tls.h"
#include "xalloc.h"

#include "server.h"

/* Run from the repository root (make does). */
#define SMTPD "tests/tools/fault_smtpd.py"
#define OAUTHD "tests/tools/oauth_server.py"
#define MAX_SERVERS 3
#define FROM "alice@example.com"

struct server {
	pid_t pid;
	int port;
	char spool[256];
};

struct fixture {
	char dir[64];
	struct server servers[MAX_SERVERS];
	int count;
};

/* ---- servers ---- */

/* Starts python3 args[0] args[1] ... as the fixture's next server. */
static struct server *server_start(struct fixture *fx, const char *const *args)
{
	struct server *srv;

	assert_true(fx->count < MAX_SERVERS);
	srv = &fx->servers[fx->count];
	srv->pid = test_server_start(args[0], args + 1, &srv->port);
	fx->count++;
	return srv;
}

/* fault_smtpd.py with --port 0, a spool of its own and the given options. */
static struct server *smtpd_start(struct fixture *fx, const char *const *opts)
{
	const char *args[40];
	struct server *srv;
	char spool[256];
	size_t n = 0;
	int i;

	snprintf(spool, sizeof(spool), "%s/s%d", fx->dir, fx->count);
	args[n++] = SMTPD;
	args[n++] = "--port";
	args[n++] = "0";
	args[n++] = "--quiet";
	args[n++] = "--spool";
	args[n++] = spool;
	for (i = 0; opts && opts[i]; i++)
		args[n++] = opts[i];
	args[n] = NULL;
	srv = server_start(fx, args);
	snprintf(srv->spool, sizeof(srv->spool), "%s", spool);
	return srv;
}

static void server_stop(struct server *srv)
{
	int status, i;

	if (srv->pid <= 0)
		return;
	kill(srv->pid, SIGTERM);
	for (i = 0; i < 200; i++) {
		struct timespec ts = { 0, 50 * 1000 * 1000 };

		if (waitpid(srv->pid, &status, WNOHANG) == srv->pid)
			break;
		nanosleep(&ts, NULL);
	}
	if (i == 200) {
		kill(srv->pid, SIGKILL);
		waitpid(srv->pid, &status, 0);
	}
	srv->pid = 0;
}

static void remove_tree(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;
	struct stat st;
	char sub[512];

	if (d) {
		while ((e = readdir(d))) {
			if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
				continue;
			snprintf(sub, sizeof(sub), "%s/%s", path, e->d_name);
			if (lstat(sub, &st) == 0 && S_ISDIR(st.st_mode))
				remove_tree(sub);
			else
				unlink(sub);
		}
		closedir(d);
	}
	rmdir(path);
}

static int fixture_setup(void **state)
{
	struct fixture *fx = xcalloc(1, sizeof(*fx));

	snprintf(fx->dir, sizeof(fx->dir), "/tmp/mailout-smtp-XXXXXX");
	if (!mkdtemp(fx->dir)) {
		free(fx);
		return -1;
	}
	*state = fx;
	return 0;
}

static int fixture_teardown(void **state)
{
	struct fixture *fx = *state;
	int i;

	for (i = 0; i < fx->count; i++)
		server_stop(&fx->servers[i]);
	remove_tree(fx->dir);
	free(fx);
	return 0;
}

/* ---- helpers ---- */

static char *message_for(const char *rcpt, int n, const char *extra_header)
{
	return xasprintf("From: " FROM "\r\nTo: %s\r\nSubject: Test %d\r\n%s\r\n"
			 "Hello %d.\r\n.A line that starts with a dot.\r\n",
			 rcpt, n, extra_header ? extra_header : "", n);
}

static char *url_for(const char *scheme, const char *host, int port)
{
	return xasprintf("%s://%s:%d", scheme, host, port);
}

/* Sends one test message; returns the curl code, the reply in *r. */
static int send_one(struct smtp *s, const char *rcpt, int n, const char *extra_header,
		    struct smtp_reply *r)
{
	char *msg = message_for(rcpt, n, extra_header);
	int cc = -1;

	smtp_reply_release(r);
	assert_int_equal(smtp_send(s, FROM, rcpt, msg, strlen(msg), r, &cc), 0);
	free(msg);
	return cc;
}

static void assert_delivered(const struct smtp_reply *r, int cc)
{
	assert_int_equal(cc, 0);
	assert_int_equal(r->code, 250);
	assert_string_equal(r->enhanced, "");
	assert_string_equal(r->text, "250 Message accepted for delivery");
	assert_string_equal(r->command, "DATA");
	assert_int_equal(r->uncertain, 0);
	assert_int_equal(smtp_classify(r, cc), SMTP_OK);
}

/* log.tsv: the number of messages, the distinct connection ids, and
 * column col (0-based) of line line (1-based) into out. */
static int spool_log(const struct server *srv, int *conns, int line, int col,
		     char *out, size_t outsz)
{
	struct buf b = BUF_INIT;
	char path[300];
	char *p, *next;
	long ids[64];
	int nids = 0, lines = 0, i, c;

	snprintf(path, sizeof(path), "%s/log.tsv", srv->spool);
	if (out)
		out[0] = '\0';
	if (buf_read_file(&b, path, 1 << 20) < 0) {
		*conns = 0;
		return 0;
	}
	for (p = b.ptr; *p; p = next) {
		long id = strtol(p, NULL, 10);

		next = strchr(p, '\n');
		next = next ? next + 1 : p + strlen(p);
		lines++;
		for (i = 0; i < nids && ids[i] != id; i++)
			;
		if (i == nids && nids < 64)
			ids[nids++] = id;
		if (lines == line && out) {
			const char *f = p;
			size_t k = 0;

			for (c = 0; c < col; c++)
				f = strchr(f, '\t') + 1;
			while (f[k] && f[k] != '\t' && f[k] != '\n' && k + 1 < outsz) {
				out[k] = f[k];
				k++;
			}
			out[k] = '\0';
		}
	}
	buf_release(&b);
	*conns = nids;
	return lines;
}

/* The number of lines of a file in the server's spool. */
static int spool_lines(const struct server *srv, const char *name)
{
	struct buf b = BUF_INIT;
	char path[300];
	size_t i;
	int n = 0;

	snprintf(path, sizeof(path), "%s/%s", srv->spool, name);
	if (buf_read_file(&b, path, 1 << 20) == 0)
		for (i = 0; i < b.len; i++)
			n += b.ptr[i] == '\n';
	buf_release(&b);
	return n;
}

/* ---- classification ---- */

struct classify_case {
	int code;
	const char *enhanced, *text, *command;
	int curl;
	enum smtp_class want;
};

static void test_classify_table(void **state)
{
	static const struct classify_case cases[] = {
		{ 250, "", "250 Message accepted for delivery", "DATA", 0, SMTP_OK },
		{ 250, "2.0.0", "250 2.0.0 OK 1700000000 x1si", "DATA", 0, SMTP_OK },
		{ 550, "5.1.1", "550 5.1.1 No such user", "RCPT", 55, SMTP_RECIPIENT_PERMANENT },
		{ 550, "5.1.10", "550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found",
		  "RCPT", 55, SMTP_RECIPIENT_PERMANENT },
		{ 553, "5.1.3", "553 5.1.3 Bad recipient address syntax", "RCPT", 55,
		  SMTP_RECIPIENT_PERMANENT },
		{ 550, "5.2.1", "550 5.2.1 The email account that you tried to reach is disabled.",
		  "RCPT", 55, SMTP_RECIPIENT_PERMANENT },
		{ 550, "5.1.1", "550 5.1.1 User unknown", "DATA", 8, SMTP_RECIPIENT_PERMANENT },
		{ 552, "5.2.2", "552 5.2.2 Mailbox full", "RCPT", 55, SMTP_RECIPIENT_TEMPORARY },
		{ 552, "5.2.2", "552 5.2.2 The email account is over quota. Quota exceeded", "DATA", 8,
		  SMTP_RECIPIENT_TEMPORARY },
		{ 452, "4.2.2", "452 4.2.2 The email account that you tried to reach is over quota.",
		  "RCPT", 55, SMTP_RECIPIENT_TEMPORARY },
		{ 450, "4.2.1", "450 4.2.1 The user you are trying to contact is receiving mail at a "
		  "rate that prevents additional messages from being delivered.", "RCPT", 55,
		  SMTP_RECIPIENT_TEMPORARY },
		{ 451, "4.3.0", "451 4.3.0 Try again later", "RCPT", 55, SMTP_RECIPIENT_TEMPORARY },
		{ 450, "4.7.1", "450 4.7.1 Greylisted, please try again later", "RCPT", 55,
		  SMTP_RECIPIENT_TEMPORARY },
		{ 451, "", "451 Moderate delay expected", "RCPT", 55, SMTP_RECIPIENT_TEMPORARY },
		{ 450, "", "450 Requested mail action not taken", "RCPT", 55,
		  SMTP_RECIPIENT_TEMPORARY },
		{ 552, "", "552 Requested mail action aborted: exceeded storage allocation", "RCPT", 55,
		  SMTP_RECIPIENT_TEMPORARY },
		{ 550, "5.4.5", "550 5.4.5 Daily user sending quota exceeded", "RCPT", 55,
		  SMTP_ACCOUNT_LIMIT },
		{ 550, "5.4.5", "550-5.4.5 Daily user sending limit exceeded.\n550 5.4.5 Learn more",
		  "MAIL", 55, SMTP_ACCOUNT_LIMIT },
		{ 554, "5.2.0", "554 5.2.0 STOREDRV.Submission.Exception:"
		  "SubmissionQuotaExceededException; Failed to process message", "DATA", 8,
		  SMTP_ACCOUNT_LIMIT },
		{ 550, "5.7.1", "550 5.7.1 Daily sending quota reached for this account", "MAIL", 55,
		  SMTP_ACCOUNT_LIMIT },
		{ 432, "4.3.2", "432 4.3.2 STOREDRV.ClientSubmit; sender thread limit exceeded",
		  "DATA", 8, SMTP_ACCOUNT_LIMIT },
		{ 451, "4.7.0", "451 4.7.0 Temporary rate limit reached", "RCPT", 55,
		  SMTP_ACCOUNT_LIMIT },
		{ 450, "4.7.0", "450 4.7.0 Sending throttled, try later", "RCPT", 55,
		  SMTP_ACCOUNT_LIMIT },
		{ 421, "4.7.0", "421 4.7.0 Try again later, closing connection.", "RCPT", 55,
		  SMTP_ACCOUNT_LIMIT },
		{ 421, "", "421 Service not available", "CONNECT", 8, SMTP_ACCOUNT_LIMIT },
		{ 454, "4.7.0", "454 4.7.0 Temporary authentication failure", "AUTH", 67,
		  SMTP_ACCOUNT_LIMIT },
		{ 451, "4.3.0", "451 4.3.0 Temporary lookup failure", "MAIL", 55,
		  SMTP_ACCOUNT_LIMIT },
		{ 535, "5.7.8", "535 5.7.8 Username and Password not accepted.", "AUTH", 67,
		  SMTP_CRITICAL },
		{ 534, "5.7.9", "534 5.7.9 Application-specific password required.", "AUTH", 67,
		  SMTP_CRITICAL },
		{ 535, "", "535 Authentication failed", "AUTH", 67, SMTP_CRITICAL },
		{ 530, "5.7.0", "530 5.7.0 Must issue a STARTTLS command first.", "MAIL", 55,
		  SMTP_CRITICAL },
		{ 538, "5.7.11", "538 5.7.11 Encryption required for requested authentication "
		  "mechanism", "AUTH", 67, SMTP_CRITICAL },
		{ 554, "5.6.0", "554 5.6.0 Content rejected", "DATA", 8, SMTP_CRITICAL },
		{ 552, "5.3.4", "552 5.3.4 Message size exceeds fixed limit", "DATA", 8,
		  SMTP_CRITICAL },
		{ 550, "5.7.1", "550 5.7.1 Message rejected as spam", "DATA", 8, SMTP_CRITICAL },
		{ 550, "5.7.1", "550 5.7.1 Unusual rate of unsolicited mail", "DATA", 8,
		  SMTP_CRITICAL },
		{ 550, "5.7.26", "550 5.7.26 Unauthenticated email from example.com is not accepted",
		  "DATA", 8, SMTP_CRITICAL },
		{ 553, "5.1.8", "553 5.1.8 Sender address rejected: Domain not found", "MAIL", 55,
		  SMTP_CRITICAL },
		{ 550, "5.1.0", "550 5.1.0 Sender rejected", "MAIL", 55, SMTP_CRITICAL },
		{ 500, "5.5.2", "500 5.5.2 Syntax error", "RCPT", 55, SMTP_RECIPIENT_REJECTED },
		{ 550, "", "550 User unknown", "RCPT", 55, SMTP_RECIPIENT_PERMANENT },
		{ 550, "", "550 Requested action not taken: mailbox unavailable", "RCPT", 55,
		  SMTP_RECIPIENT_REJECTED },
		{ 554, "5.7.1", "554 5.7.1 <jana@example.net>: Recipient address rejected: Access denied",
		  "RCPT", 55, SMTP_RECIPIENT_REJECTED },
		{ 554, "5.7.1", "554 5.7.1 <jana@example.net>: Relay access denied", "MAIL", 55,
		  SMTP_CRITICAL },
		{ 554, "", "554 Transaction failed", "DATA", 8, SMTP_CRITICAL },
		{ 550, "", "550 No such user here", "", 55, SMTP_RECIPIENT_PERMANENT },
		{ 554, "", "554 No SMTP service here", "CONNECT", 8, SMTP_CRITICAL },
		{ 0, "", "Failed to connect to mail.example.com port 465", "CONNECT", 7, SMTP_NETWORK },
		{ 0, "", "Could not resolve host: mail.example.com", "CONNECT", 6, SMTP_NETWORK },
		{ 0, "", "Operation timed out", "DATA", 28, SMTP_NETWORK },
		{ 0, "", "Failure when receiving data from the peer", "MAIL", 56, SMTP_NETWORK },
		{ 0, "", "Failed sending data to the peer", "MAIL", 55, SMTP_NETWORK },
		{ 0, "", "Server returned nothing", "CONNECT", 52, SMTP_NETWORK },
		{ 250, "", "250 OK", "MAIL", 28, SMTP_NETWORK },
		{ 0, "", "Login denied", "AUTH", 67, SMTP_CRITICAL },
		{ 0, "", "STARTTLS not supported.", "EHLO", 64, SMTP_CRITICAL },
		{ 0, "", "SSL certificate problem: self-signed certificate", "CONNECT", 60,
		  SMTP_CRITICAL },
		{ 0, "", "TLS connect error", "CONNECT", 35, SMTP_CRITICAL },
		{ 0, "", "URL rejected: Malformed input to a URL function", "", 3, SMTP_CRITICAL },
	};
	struct smtp_reply r;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(&r, 0, sizeof(r));
		r.code = cases[i].code;
		snprintf(r.enhanced, sizeof(r.enhanced), "%s", cases[i].enhanced);
		snprintf(r.command, sizeof(r.command), "%s", cases[i].command);
		r.text = (char *)cases[i].text;
		if (smtp_classify(&r, cases[i].curl) != cases[i].want)
			fail_msg("case %zu '%s': %s, want %s", i, cases[i].text,
				 smtp_class_name(smtp_classify(&r, cases[i].curl)),
				 smtp_class_name(cases[i].want));
	}
	assert_string_equal(smtp_class_name(SMTP_OK), "ok");
	assert_string_equal(smtp_class_name(SMTP_RECIPIENT_TEMPORARY), "recipient_temporary");
	assert_string_equal(smtp_class_name(SMTP_RECIPIENT_PERMANENT), "recipient_permanent");
	assert_string_equal(smtp_class_name(SMTP_ACCOUNT_LIMIT), "account_limit");
	assert_string_equal(smtp_class_name(SMTP_CRITICAL), "critical");
	assert_string_equal(smtp_class_name(SMTP_NETWORK), "network");
	assert_string_equal(smtp_class_name(SMTP_RECIPIENT_REJECTED), "recipient_rejected");
}

/* Every row of the table in src/smtp.h, answered to every command: at
 * RCPT, at DATA (and to an unknown command), and to the greeting, EHLO,
 * STARTTLS, AUTH and MAIL, where nothing is about the recipient. */
struct phase_case {
	int code;
	const char *enhanced, *text;
	enum smtp_class rcpt, data, account;
};

#define T SMTP_RECIPIENT_TEMPORARY
#define P SMTP_RECIPIENT_PERMANENT
#define R SMTP_RECIPIENT_REJECTED
#define L SMTP_ACCOUNT_LIMIT
#define C SMTP_CRITICAL

static const struct phase_case phase_cases[] = {
	/* 5.2.2, 4.2.x: the recipient's mailbox */
	{ 552, "5.2.2", "552 5.2.2 Mailbox full", T, T, L },
	{ 452, "4.2.2", "452 4.2.2 The email account is over quota", T, T, L },
	/* 5.1.7, 5.1.8: the sender's address */
	{ 550, "5.1.7", "550 5.1.7 Invalid sender address", C, C, C },
	{ 553, "5.1.8", "553 5.1.8 <ann@example.com>: Sender address rejected: Domain not found",
	  C, C, C },
	/* 5.1.x, 5.2.1: hard bounces */
	{ 550, "5.1.1", "550 5.1.1 <jana@example.net>: Recipient address rejected: User unknown",
	  P, P, C },
	{ 550, "5.2.1", "550 5.2.1 The email account that you tried to reach is disabled", P, P, C },
	/* 5.2.3, 5.3.x, 5.6.x, 5.5.x: the message, the protocol */
	{ 552, "5.2.3", "552 5.2.3 Message length exceeds administrative limit", R, C, C },
	{ 552, "5.3.4", "552 5.3.4 Message size exceeds fixed limit", R, C, C },
	{ 554, "5.6.0", "554 5.6.0 Content rejected", R, C, C },
	{ 501, "5.5.4", "501 5.5.4 Syntax: RCPT TO:<address>", R, C, C },
	/* the account's limits */
	{ 550, "5.4.5", "550 5.4.5 Daily user sending quota exceeded", L, L, L },
	{ 432, "4.3.2", "432 4.3.2 STOREDRV.ClientSubmit; sender thread limit exceeded", L, L, L },
	{ 554, "5.2.0", "554 5.2.0 STOREDRV.Submission.Exception:SubmissionQuotaExceededException",
	  L, L, L },
	{ 550, "5.7.1", "550 5.7.1 Daily sending quota reached for this account", L, L, L },
	{ 554, "", "554 Sending limit exceeded", L, L, L },
	{ 451, "4.7.0", "451 4.7.0 Temporary rate limit reached", L, L, L },
	{ 450, "4.7.0", "450 4.7.0 Sending throttled, try later", L, L, L },
	/* 5.7.x: authentication, TLS, policy */
	{ 554, "5.7.1", "554 5.7.1 <jana@example.net>: Recipient address rejected: Access denied",
	  R, C, C },
	{ 554, "5.7.1", "554 5.7.1 <jana@example.net>: Relay access denied", R, C, C },
	{ 550, "5.7.26", "550 5.7.26 Unauthenticated email from example.com is not accepted",
	  R, C, C },
	{ 535, "5.7.8", "535 5.7.8 Authentication credentials invalid", R, C, C },
	/* basic codes */
	{ 421, "", "421 Service not available, closing transmission channel", L, L, L },
	{ 432, "", "432 A password transition is needed", L, L, L },
	{ 454, "", "454 TLS not available due to temporary reason", L, L, L },
	{ 530, "", "530 Authentication required", R, C, C },
	{ 534, "", "534 Authentication mechanism is too weak", R, C, C },
	{ 535, "", "535 Authentication failed", R, C, C },
	{ 538, "", "538 Encryption required for requested authentication mechanism", R, C, C },
	{ 552, "", "552 Requested mail action aborted: exceeded storage allocation", T, T, L },
	{ 550, "", "550 User unknown", P, P, C },
	{ 550, "", "550 Unknown user jana", P, P, C },
	{ 551, "", "551 No such user here", P, P, C },
	{ 550, "", "550 No such recipient", P, P, C },
	{ 553, "", "553 Unknown recipient", P, P, C },
	{ 550, "", "550 Recipient unknown", P, P, C },
	{ 550, "", "550 Mailbox does not exist", P, P, C },
	{ 550, "", "550 No mailbox here by that name", P, P, C },
	{ 451, "", "451 Requested action aborted: local error in processing", T, T, L },
	{ 451, "4.3.0", "451 4.3.0 Try again later", T, T, L },
	{ 554, "", "554 Transaction failed", R, C, C },
	{ 550, "", "550 Requested action not taken: mailbox unavailable", R, C, C },
};

#undef T
#undef P
#undef R
#undef L
#undef C

static void test_classify_phases(void **state)
{
	static const char *const account_commands[] = { "CONNECT", "EHLO", "STARTTLS", "AUTH",
							"MAIL" };
	struct smtp_reply r;
	enum smtp_class got;
	size_t i, k;

	(void)state;
	for (i = 0; i < sizeof(phase_cases) / sizeof(phase_cases[0]); i++) {
		const struct phase_case *c = &phase_cases[i];

		memset(&r, 0, sizeof(r));
		r.code = c->code;
		snprintf(r.enhanced, sizeof(r.enhanced), "%s", c->enhanced);
		r.text = (char *)c->text;
		snprintf(r.command, sizeof(r.command), "RCPT");
		if ((got = smtp_classify(&r, 55)) != c->rcpt)
			fail_msg("'%s' at RCPT: %s, want %s", c->text, smtp_class_name(got),
				 smtp_class_name(c->rcpt));
		snprintf(r.command, sizeof(r.command), "DATA");
		if ((got = smtp_classify(&r, 8)) != c->data)
			fail_msg("'%s' at DATA: %s, want %s", c->text, smtp_class_name(got),
				 smtp_class_name(c->data));
		r.command[0] = '\0';
		if ((got = smtp_classify(&r, 8)) != c->data)
			fail_msg("'%s' to an unknown command: %s, want %s", c->text,
				 smtp_class_name(got), smtp_class_name(c->data));
		for (k = 0; k < sizeof(account_commands) / sizeof(account_commands[0]); k++) {
			snprintf(r.command, sizeof(r.command), "%s", account_commands[k]);
			if ((got = smtp_classify(&r, 8)) != c->account)
				fail_msg("'%s' at %s: %s, want %s", c->text, account_commands[k],
					 smtp_class_name(got), smtp_class_name(c->account));
		}
	}
}

/* ---- handles ---- */

static void test_open_checks_url(void **state)
{
	static const char *const good[] = {
		"smtp://mail.example.com:587", "smtps://mail.example.com", "smtp://127.0.0.1:2525",
		"smtp://127.1.2.3:25/sender.example.com", "smtp://[::1]:2525",
		"smtp://localhost:25", "smtps://user:pw@mail.example.com:465",
	};
	struct smtp_options o;
	struct smtp_reply r = SMTP_REPLY_INIT;
	struct smtp *s = NULL;
	size_t i;
	int cc = 0;

	(void)state;
	memset(&o, 0, sizeof(o));
	assert_int_equal(smtp_open(&s, &o), -1);
	assert_null(s);
	assert_string_equal(error_last(), "no SMTP URL");
	o.url = "http://mail.example.com/";
	assert_int_equal(smtp_open(&s, &o), -1);
	assert_string_equal(error_last(),
			    "SMTP URL for 'mail.example.com' is http://, not smtp:// or smtps://");
	o.url = "mail.example.com";
	assert_int_equal(smtp_open(&s, &o), -1);
	assert_non_null(strstr(error_last(), "invalid SMTP URL: "));
	o.url = "smtp://";
	assert_int_equal(smtp_open(&s, &o), -1);
	assert_non_null(strstr(error_last(), "invalid SMTP URL: "));
	o.url = "smtp://mail.example.com:99999";
	assert_int_equal(smtp_open(&s, &o), -1);
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		o.url = good[i];
		assert_int_equal(smtp_open(&s, &o), 0);
		assert_non_null(s);
		smtp_close(s);
		s = NULL;
	}
	smtp_close(NULL);

	/* envelope addresses that could inject commands: refused before any network */
	o.url = "smtp://127.0.0.1:1";
	assert_int_equal(smtp_open(&s, &o), 0);
	assert_int_equal(smtp_send(s, FROM, "x@example.net\r\nRCPT TO:<y@example.net>",
				   "x\r\n", 3, &r, &cc), -1);
	assert_string_equal(error_last(), "invalid envelope address");
	assert_int_equal(r.code, 0);
	assert_string_equal(r.text, "invalid envelope address");
	assert_int_equal(cc, CURLE_BAD_FUNCTION_ARGUMENT);
	assert_int_equal(smtp_classify(&r, cc), SMTP_CRITICAL);
	smtp_reply_release(&r);
	assert_int_equal(smtp_send(s, "<a@example.com>", "b@example.net", "x\r\n", 3, &r, &cc), -1);
	smtp_reply_release(&r);
	assert_int_equal(smtp_send(s, FROM, "", "x\r\n", 3, &r, &cc), -1);
	smtp_reply_release(&r);
	assert_null(r.text);
	smtp_close(s);
}

/* ---- real server ---- */

static void test_twenty_messages_one_connection(void **state)
{
	struct fixture *fx = *state;
	static const char *const opts[] = { "--auth", "user@example.com:pass", NULL };
	struct server *srv = smtpd_start(fx, opts);
	struct smtp_options o;
	struct smtp_reply r = SMTP_REPLY_INIT;
	struct smtp *s;
	struct buf eml = BUF_INIT;
	char *url = url_for("smtp", "127.0.0.1", srv->port);
	char rcpt[64], field[128], path[300];
	char *msg;
	int i, cc, conns;

	memset(&o, 0, sizeof(o));
	o.url = url;
	o.username = "user@example.com";
	o.password = "pass";
	assert_int_equal(smtp_open(&s, &o), 0);
	for (i = 1; i <= 20; i++) {
		snprintf(rcpt, sizeof(rcpt), "r%d@example.net", i);
		cc = send_one(s, rcpt, i, NULL, &r);
		assert_delivered(&r, cc);
	}
	smtp_reply_release(&r);
	assert_int_equal(spool_lines(srv, "quit.tsv"), 0);
	smtp_close(s);
	assert_int_equal(spool_lines(srv, "quit.tsv"), 1); /* closed with QUIT */

	assert_int_equal(spool_log(srv, &conns, 20, 3, field, sizeof(field)), 20);
	assert_int_equal(conns, 1);
	assert_string_equal(field, "r20@example.net");
	spool_log(srv, &conns, 1, 5, field, sizeof(field));
	assert_string_equal(field, "user@example.com/PLAIN");
	spool_log(srv, &conns, 1, 2, field, sizeof(field));
	assert_string_equal(field, FROM);

	/* the server got the message byte for byte (dot-stuffing undone) */
	snprintf(path, sizeof(path), "%s/1.eml", srv->spool);
	assert_int_equal(buf_read_file(&eml, path, 1 << 20), 0);
	msg = message_for("r1@example.net", 1, NULL);
	assert_string_equal(eml.ptr, msg);
	free(msg);
	buf_release(&eml);
	free(url);
}

static void test_reply_faults(void **state)
{
	struct fixture *fx = *state;
	static const char *const opts[] = {
		"--auth", "user@example.com:pass",
		"--fault", "bad@example.net=550 5.1.1 No such user",
		"--fault", "busy@example.net=451 4.3.0 Try again later",
		"--fault", "full@example.net=552 5.2.2 Mailbox full",
		"--fault", "quota@example.net=550 5.4.5 Daily user sending quota exceeded",
		"--fault", "multi@example.net=550-5.1.1 The email account that you tried to reach "
			   "does not exist.\r\n550 5.1.1 See https://help.example.com/nosuchuser",
		"--data-fault", "X-Fail-Data=554 5.6.0 Content rejected",
		NULL,
	};
	struct server *srv = smtpd_start(fx, opts);
	struct smtp_options o;
	struct smtp_reply r = SMTP_REPLY_INIT;
	struct smtp *s;
	char *url = url_for("smtp", "127.0.0.1", srv->port);
	char field[128];
	int cc, conns;

	memset(&o, 0, sizeof(o));
	o.url = url;
	o.username = "user@example.com";
	o.password = "pass";
	assert_int_equal(smtp_open(&s, &o), 0);

	assert_delivered(&r, send_one(s, "ok1@example.net", 1, NULL, &r));

	cc = send_one(s, "bad@example.net", 2, NULL, &r);
	assert_int_equal(cc, CURLE_SEND_ERROR);
	assert_int_equal(r.code, 550);
	assert_string_equal(r.enhanced, "5.1.1");
	assert_string_equal(r.text, "550 5.1.1 No such user");
	assert_string_equal(r.command, "RCPT");
	assert_int_equal(r.uncertain, 0);
	assert_int_equal(smtp_classify(&r, cc), SMTP_RECIPIENT_PERMANENT);

	/* libcurl dropped the connection: the next message opens a new one */
	assert_delivered(&r, send_one(s, "ok2@example.net", 3, NULL, &r));

	cc = send_one(s, "busy@example.net", 4, NULL, &r);
	assert_int_equal(r.code, 451);
	assert_string_equal(r.enhanced, "4.3.0");
	assert_string_equal(r.text, "451 4.3.0 Try again later");
	assert_int_equal(smtp_classify(&r, cc), SMTP_RECIPIENT_TEMPORARY);

	cc = send_one(s, "full@example.net", 5, NULL, &r);
	assert_int_equal(r.code, 552);
	assert_string_equal(r.enhanced, "5.2.2");
	assert_string_equal(r.text, "552 5.2.2 Mailbox full");
	assert_int_equal(smtp_classify(&r, cc), SMTP_RECIPIENT_TEMPORARY);

	cc = send_one(s, "quota@example.net", 6, NULL, &r);
	assert_int_equal(r.code, 550);
	assert_string_equal(r.enhanced, "5.4.5");
	assert_string_equal(r.text, "550 5.4.5 Daily user sending quota exceeded");
	assert_int_equal(smtp_classify(&r, cc), SMTP_ACCOUNT_LIMIT);

	cc = send_one(s, "multi@example.net", 7, NULL, &r);
	assert_int_equal(r.code, 550);
	assert_string_equal(r.enhanced, "5.1.1");
	assert_string_equal(r.text, "550-5.1.1 The email account that you tried to reach does "
			    "not exist.\n550 5.1.1 See https://help.example.com/nosuchuser");
	assert_int_equal(smtp_classify(&r, cc), SMTP_RECIPIENT_PERMANENT);

	cc = send_one(s, "content@example.net", 8, "X-Fail-Data: yes\r\n", &r);
	assert_int_equal(cc, CURLE_WEIRD_SERVER_REPLY);
	assert_int_equal(r.code, 554);
	assert_string_equal(r.enhanced, "5.6.0");
	assert_string_equal(r.text, "554 5.6.0 Content rejected");
	assert_string_equal(r.command, "DATA");
	assert_int_equal(r.uncertain, 0);
	assert_int_equal(smtp_classify(&r, cc), SMTP_CRITICAL);

	assert_delivered(&r, send_one(s, "ok3@example.net", 9, NULL, &r));
	smtp_reply_release(&r);
	smtp_close(s);

	assert_int_equal(spool_log(srv, &conns, 3, 3, field, sizeof(field)), 3);
	assert_string_equal(field, "ok3@example.net");
	free(url);
}

/* A kept connection that died unnoticed costs nothing: a new one is made. */
static void test_dead_connection_replaced(void **state)
{
	struct fixture *fx = *state;
	static const char *const opts[] = { "--drop-after", "1", NULL };
	struct server *srv = smtpd_start(fx, opts);
	struct smtp_options o;
	struct smtp_reply r = SMTP_REPLY_INIT;
	struct smtp *s;
	char *url = url_for("smtp", "127.0.0.1", srv->port);
	char field[128];
	int conns;

	memset(&o, 0, sizeof(o));
	o.url = url;
	assert_int_equal(smtp_open(&s, &o), 0);
	assert_delivered(&r, send_one(s, "r1@example.net", 1, NULL, &r));
	assert_delivered(&r, send_one(s, "r2@example.net", 2, NULL, &r));
	assert_delivered(&r, send_one(s, "r3@example.net", 3, NULL, &r));
	smtp_reply_release(&r);
	smtp_close(s);
	assert_int_equal(spool_log(srv, &conns, 3, 3, field, sizeof(field)), 3);
	assert_int_equal(conns, 3);
	assert_string_equal(field, "r3@example.net");
	free(url);
}

static void test_authentication(void **state)
{
	struct fixture *fx = *state;
	static const char *const opts[] = { "--auth", "user@example.com:pass", NULL };
	static const char *const no_auth[] = { NULL };
	static const char *const required[] = {
		"--auth", "user@example.com:pass", "--auth-required", "--host", "127.0.0.2", NULL,
	};
	struct server *srv = smtpd_start(fx, opts);
	struct server *plain = smtpd_start(fx, no_auth);
	struct server *strict = smtpd_start(fx, required);
	struct smtp_options o;
	struct smtp_reply r = SMTP_REPLY_INIT;
	struct smtp *s;
	char *url = url_for("smtp", "127.0.0.1", srv->port);
	char *url2 = url_for("smtp", "localhost", plain->port);
	char *url3 = url_for("smtp", "127.0.0.2", strict->port);
	char expect[300];
	int cc, conns, quits;

	memset(&o, 0, sizeof(o));
	o.url = url;
	o.username = "user@example.com";
	o.password = "wrong";
	assert_int_equal(smtp_open(&s, &o), 0);
	cc = send_one(s, "r@example.net", 1, NULL, &r);
	assert_int_equal(cc, CURLE_LOGIN_DENIED);
	assert_int_equal(r.code, 535);
	assert_string_equal(r.enhanced, "5.7.8");
	assert_string_equal(r.text, "535 5.7.8 Authentication credentials invalid");
	assert_string_equal(r.command, "AUTH");
	assert_int_equal(smtp_classify(&r, cc), SMTP_CRITICAL);
	smtp_reply_release(&r);
	smtp_close(s);

	assert_int_equal(smtp_check_login(&o, &r), -1);
	assert_int_equal(r.code, 535);
	assert_string_equal(r.command, "AUTH");
	snprintf(expect, sizeof(expect), "AUTH: 535 5.7.8 Authentication credentials invalid");
	assert_string_equal(error_last(), expect);
	smtp_reply_release(&r);

	o.password = "pass";
	quits = spool_lines(srv, "quit.tsv");
	assert_int_equal(smtp_check_login(&o, &r), 0);
	assert_int_equal(spool_lines(srv, "quit.tsv"), quits + 1);
	assert_int_equal(r.code, 235);
	assert_string_equal(r.enhanced, "2.7.0");
	assert_string_equal(r.text, "235 2.7.0 Authentication successful");
	assert_string_equal(r.command, "AUTH");
	smtp_reply_release(&r);

	/* credentials, but the server offers no AUTH: not a working login */
	o.url = url2;
	assert_int_equal(smtp_check_login(&o, &r), -1);
	assert_string_equal(error_last(),
			    "AUTH: the server offered no authentication after EHLO (250 HELP)");
	smtp_reply_release(&r);
	o.username = o.password = NULL;
	assert_int_equal(smtp_check_login(&o, &r), 0);
	assert_int_equal(r.code, 250);
	assert_string_equal(r.command, "EHLO");
	assert_non_null(strstr(r.text, "\n250 HELP"));
	smtp_reply_release(&r);

	/* no credentials for a server that wants them: MAIL is refused */
	o.url = url3;
	assert_int_equal(smtp_open(&s, &o), 0);
	cc = send_one(s, "r@example.net", 2, NULL, &r);
	assert_int_equal(r.code, 530);
	assert_string_equal(r.enhanced, "5.7.0");
	assert_string_equal(r.text, "530 5.7.0 Authentication required");
	assert_string_equal(r.command, "MAIL");
	assert_int_equal(smtp_classify(&r, cc), SMTP_CRITICAL);
	smtp_reply_release(&r);
	smtp_close(s);
	assert_int_equal(spool_log(srv, &conns, 0, 0, NULL, 0), 0);
	assert_int_equal(spool_log(plain, &conns, 0, 0, NULL, 0), 0);
	assert_int_equal(spool_log(strict, &conns, 0, 0, NULL, 0), 0);
	free(url);
	free(url2);
	free(url3);
}

static void test_xoauth2(void **state)
{
	struct fixture *fx = *state;
	static const char *const opts[] = {
		"--auth", "user@example.com:pass", "--xoauth2", "user@example.com:ya29.test", NULL,
	};
	struct server *srv = smtpd_start(fx, opts);
	struct server *oauth;
	const char *oauth_args[] = {
		OAUTHD, "--port", "0", "--client-id", "mailout-test", "--client-secret", "s3cret",
		"--grant", "rt-good=ya29.test", NULL,
	};
	struct smtp_options o;
	struct smtp_reply r = SMTP_REPLY_INIT;
	struct smtp *s;
	char *url = url_for("smtp", "127.0.0.1", srv->port);
	char *token_url, *token = NULL;
	char field[128];
	int cc, conns;

	oauth = server_start(fx, oauth_args);
	token_url = xasprintf("http://127.0.0.1:%d/token", oauth->port);
	assert_int_equal(oauth_refresh_token(&token, token_url, "mailout-test", "s3cret", "rt-good"), 0);
	assert_string_equal(token, "ya29.test");

	memset(&o, 0, sizeof(o));
	o.url = url;
	o.username = "user@example.com";
	o.bearer = token;
	assert_int_equal(smtp_open(&s, &o), 0);
	assert_delivered(&r, send_one(s, "r1@example.net", 1, NULL, &r));
	assert_delivered(&r, send_one(s, "r2@example.net", 2, NULL, &r));
	smtp_close(s);
	assert_int_equal(spool_log(srv, &conns, 2, 5, field, sizeof(field)), 2);
	assert_int_equal(conns, 1);
	assert_string_equal(field, "user@example.com/XOAUTH2");

	o.bearer = "ya29.expired";
	assert_int_equal(smtp_open(&s, &o), 0);
	cc = send_one(s, "r3@example.net", 3, NULL, &r);
	assert_int_equal(cc, CURLE_LOGIN_DENIED);
	assert_int_equal(r.code, 535);
	assert_string_equal(r.enhanced, "5.7.8");
	assert_int_equal(smtp_classify(&r, cc), SMTP_CRITICAL);
	smtp_reply_release(&r);
	smtp_close(s);

	o.bearer = token;
	assert_int_equal(smtp_check_login(&o, &r), 0);
	assert_int_equal(r.code, 235);
	smtp_reply_release(&r);
	free(token);
	free(token_url);
	free(url);
}

static void test_tls(void **state)
{
	struct fixture *fx = *state;
	static const char *const starttls[] = {
		"--auth", "user@example.com:pass", "--tls", "starttls", "--tls-name",
		"mail.example.com", NULL,
	};
	static const char *const implicit[] = {
		"--auth", "user@example.com:pass", "--tls", "implicit", "--tls-name",
		"mail.example.com", NULL,
	};
	struct server *srv = smtpd_start(fx, starttls);
	struct server *srv2 = smtpd_start(fx, implicit);
	struct smtp_options o;
	struct smtp_reply r = SMTP_REPLY_INIT;
	struct smtp *s;
	char *url = url_for("smtp", "mail.example.com", srv->port);
	char *url2 = url_for("smtps", "mail.example.com", srv2->port);
	char *to = xasprintf("mail.example.com:%d:127.0.0.1:%d", srv->port, srv->port);
	char *to2 = xasprintf("mail.example.com:%d:127.0.0.1:%d", srv2->port, srv2->port);
	char *ca = xasprintf("%s/cert.pem", srv->spool);
	char *ca2 = xasprintf("%s/cert.pem", srv2->spool);
	char field[128];
	int cc, conns;

	memset(&o, 0, sizeof(o));
	o.url = url;
	o.username = "user@example.com";
	o.password = "pass";
	o.connect_to = to;
	o.ca_file = ca;
	assert_int_equal(smtp_open(&s, &o), 0);
	assert_delivered(&r, send_one(s, "r1@example.net", 1, NULL, &r));
	assert_delivered(&r, send_one(s, "r2@example.net", 2, NULL, &r));
	smtp_reply_release(&r);
	smtp_close(s);
	assert_int_equal(spool_log(srv, &conns, 2, 5, field, sizeof(field)), 2);
	assert_int_equal(conns, 1);
	assert_string_equal(field, "user@example.com/PLAIN");
	assert_int_equal(smtp_check_login(&o, &r), 0);
	smtp_reply_release(&r);

	/* a certificate nobody vouches for: critical, nothing sent */
	o.ca_file = NULL;
	assert_int_equal(smtp_open(&s, &o), 0);
	cc = send_one(s, "r3@example.net", 3, NULL, &r);
	assert_int_equal(cc, CURLE_PEER_FAILED_VERIFICATION);
	assert_int_equal(r.code, 0);
	assert_string_equal(r.enhanced, "");
	assert_non_null(strstr(r.text, "certificate"));
	assert_int_equal(smtp_classify(&r, cc), SMTP_CRITICAL);
	smtp_reply_release(&r);
	smtp_close(s);
	assert_int_equal(smtp_check_login(&o, &r), -1);
	assert_int_equal(strncmp(error_last(), "TLS: ", 5), 0);
	smtp_reply_release(&r);

	/* smtps:// */
	o.url = url2;
	o.connect_to = to2;
	o.ca_file = ca2;
	assert_int_equal(smtp_open(&s, &o), 0);
	assert_delivered(&r, send_one(s, "r4@example.net", 4, NULL, &r));
	smtp_reply_release(&r);
	smtp_close(s);
	assert_int_equal(spool_log(srv2, &conns, 1, 3, field, sizeof(field)), 1);
	assert_string_equal(field, "r4@example.net");
	assert_int_equal(spool_log(srv, &conns, 0, 0, NULL, 0), 2);
	free(url);
	free(url2);
	free(to);
	free(to2);
	free(ca);
	free(ca2);
}

/* smtp:// to a host that is not loopback never goes out in plain text. */
static void test_starttls_required(void **state)
{
	struct fixture *fx = *state;
	static const char *const opts[] = { "--auth", "user@example.com:pass", NULL };
	struct server *srv = smtpd_start(fx, opts);
	struct smtp_options o;
	struct smtp_reply r = SMTP_REPLY_INIT;
	struct smtp *s;
	char *url = url_for("smtp", "mail.example.com", srv->port);
	char *to = xasprintf("mail.example.com:%d:127.0.0.1:%d", srv->port, srv->port);
	char *local = url_for("smtp", "127.0.0.1", srv->port);
	int cc, conns;

	memset(&o, 0, sizeof(o));
	o.url = url;
	o.username = "user@example.com";
	o.password = "pass";
	o.connect_to = to;
	assert_int_equal(smtp_open(&s, &o), 0);
	cc = send_one(s, "r1@example.net", 1, NULL, &r);
	assert_int_equal(cc, CURLE_USE_SSL_FAILED);
	assert_int_equal(r.code, 0);
	assert_int_equal(smtp_classify(&r, cc), SMTP_CRITICAL);
	smtp_reply_release(&r);
	smtp_close(s);
	assert_int_equal(smtp_check_login(&o, &r), -1);
	assert_int_equal(strncmp(error_last(), "STARTTLS: ", 10), 0);
	smtp_reply_release(&r);

	/* a loopback URL redirected elsewhere is not loopback any more */
	o.url = local;
	assert_int_equal(smtp_open(&s, &o), 0);
	cc = send_one(s, "r2@example.net", 2, NULL, &r);
	assert_int_equal(cc, CURLE_USE_SSL_FAILED);
	smtp_reply_release(&r);
	smtp_close(s);
	assert_int_equal(spool_log(srv, &conns, 0, 0, NULL, 0), 0);
	free(url);
	free(to);
	free(local);
}

/* The rules of src/tls.h, without a server. */
static void test_tls_rules(void **state)
{
	static const struct {
		const char *scheme, *host;
		enum tls_mode mode;
		int redirected, ret, plain;
	} cases[] = {
		{ "smtps", "smtp.example.com", TLS_DEFAULT, 0, 0, 0 },
		{ "smtps", "smtp.example.com", TLS_NONE, 0, 0, 0 }, /* implicit whatever tls says */
		{ "smtps", "127.0.0.1", TLS_NONE, 0, 0, 0 },
		{ "smtp", "smtp.example.com", TLS_DEFAULT, 0, 0, 0 },
		{ "smtp", "smtp.example.com", TLS_STARTTLS, 0, 0, 0 },
		{ "smtp", "smtp.example.com", TLS_NONE, 0, -1, 0 },
		{ "smtp", "127.0.0.1", TLS_DEFAULT, 0, 0, 1 },
		{ "smtp", "localhost", TLS_DEFAULT, 0, 0, 1 },
		{ "smtp", "[::1]", TLS_DEFAULT, 0, 0, 1 },
		{ "smtp", "127.0.0.1", TLS_STARTTLS, 0, 0, 0 },
		{ "smtp", "127.0.0.1", TLS_NONE, 0, 0, 1 },
		{ "smtp", "127.0.0.1", TLS_DEFAULT, 1, 0, 0 }, /* redirected: not loopback */
		{ "smtp", "127.0.0.1", TLS_NONE, 1, -1, 0 },
	};
	size_t i;
	int plain;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		plain = -1;
		assert_int_equal(tls_plain(&plain, "smtp", cases[i].scheme, cases[i].host,
					   cases[i].mode, cases[i].redirected),
				 cases[i].ret);
		assert_int_equal(plain, cases[i].plain);
	}
	assert_int_equal(tls_plain(&plain, "smtp", "smtp", "mail.example.com", TLS_NONE, 0), -1);
	assert_string_equal(error_last(),
			    "tls: none is allowed only to a loopback address, not to 'mail.example.com'");
	{
		const char *pem, *file;
		size_t len;

		setenv("CURL_CA_BUNDLE", "/a.pem", 1);
		setenv("SSL_CERT_FILE", "/b.pem", 1);
		tls_ca_source(&pem, &len, &file, "PEM", 3, "/c.pem");
		assert_string_equal(pem, "PEM");
		assert_int_equal(len, 3);
		assert_null(file);
		tls_ca_source(&pem, &len, &file, NULL, 0, "/c.pem");
		assert_null(pem);
		assert_string_equal(file, "/c.pem");
		tls_ca_source(&pem, &len, &file, NULL, 0, NULL);
		assert_string_equal(file, "/a.pem");
		unsetenv("CURL_CA_BUNDLE");
		tls_ca_source(&pem, &len, &file, NULL, 0, NULL);
		assert_string_equal(file, "/b.pem");
		unsetenv("SSL_CERT_FILE");
		tls_ca_source(&pem, &len, &file, NULL, 0, NULL);
		assert_null(file);
		assert_null(pem);
	}
}

/* tls and helo options as smtp_open() checks them. */
static void test_open_checks_tls(void **state)
{
	struct smtp_options o;
	struct smtp *s = NULL;

	(void)state;
	memset(&o, 0, sizeof(o));
	o.url = "smtp://smtp.example.com:587";
	o.tls = TLS_NONE;
	assert_int_equal(smtp_open(&s, &o), -1);
	assert_null(s);
	assert_string_equal(error_last(),
			    "SMTP URL 'smtp://smtp.example.com:587': tls: none is allowed only to a loopback address, not to 'smtp.example.com'");
	o.tls = TLS_DEFAULT;
	o.helo = "bad name";
	assert_int_equal(smtp_open(&s, &o), -1);
	assert_string_equal(error_last(),
			    "invalid EHLO name 'bad name': expected a host name such as example.com");
	o.helo = "example.com";
	assert_int_equal(smtp_open(&s, &o), 0);
	smtp_close(s);
}

static char *read_all(const char *path)
{
	struct buf b = BUF_INIT;
	FILE *f = fopen(path, "rb");
	char chunk[4096];
	size_t n;

	assert_non_null(f);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		buf_add(&b, chunk, n);
	fclose(f);
	return buf_detach(&b, NULL);
}

/* tls: starttls to loopback, and the CA in memory or from the standard
 * variables. */
static void test_starttls_loopback(void **state)
{
	struct fixture *fx = *state;
	static const char *const starttls[] = {
		"--auth", "user@example.com:pass", "--tls", "starttls", "--tls-name", "localhost", NULL,
	};
	struct server *srv = smtpd_start(fx, starttls);
	struct smtp_options o;
	struct smtp_reply r = SMTP_REPLY_INIT;
	struct smtp *s;
	char *url = url_for("smtp", "localhost", srv->port);
	char *ca = xasprintf("%s/cert.pem", srv->spool);
	char *pem = read_all(ca);
	char field[128];
	int cc, conns;

	unsetenv("CURL_CA_BUNDLE");
	unsetenv("SSL_CERT_FILE");
	memset(&o, 0, sizeof(o));
	o.url = url;
	o.username = "user@example.com";
	o.password = "pass";
	o.helo = "example.com";
	/* the default to loopback is plain text, which this server refuses */
	assert_int_equal(smtp_open(&s, &o), 0);
	cc = send_one(s, "r1@example.net", 1, NULL, &r);
	assert_int_not_equal(cc, 0);
	smtp_reply_release(&r);
	smtp_close(s);
	assert_int_equal(spool_log(srv, &conns, 0, 0, NULL, 0), 0);

	/* tls: starttls, the CA given in memory (a ca_file of the repository) */
	o.tls = TLS_STARTTLS;
	o.ca_pem = pem;
	o.ca_pem_len = strlen(pem);
	assert_int_equal(smtp_open(&s, &o), 0);
	assert_delivered(&r, send_one(s, "r2@example.net", 2, NULL, &r));
	smtp_reply_release(&r);
	smtp_close(s);
	assert_int_equal(spool_log(srv, &conns, 1, 3, field, sizeof(field)), 1);
	assert_string_equal(field, "r2@example.net");
	assert_int_equal(smtp_check_login(&o, &r), 0);
	smtp_reply_release(&r);

	/* no CA: the certificate is not trusted */
	o.ca_pem = NULL;
	o.ca_pem_len = 0;
	assert_int_equal(smtp_open(&s, &o), 0);
	cc = send_one(s, "r3@example.net", 3, NULL, &r);
	assert_int_equal(cc, CURLE_PEER_FAILED_VERIFICATION);
	assert_int_equal(smtp_classify(&r, cc), SMTP_CRITICAL);
	smtp_reply_release(&r);
	smtp_close(s);

	/* SSL_CERT_FILE and CURL_CA_BUNDLE name it */
	setenv("SSL_CERT_FILE", ca, 1);
	assert_int_equal(smtp_check_login(&o, &r), 0);
	smtp_reply_release(&r);
	unsetenv("SSL_CERT_FILE");
	setenv("CURL_CA_BUNDLE", ca, 1);
	assert_int_equal(smtp_check_login(&o, &r), 0);
	smtp_reply_release(&r);
	unsetenv("CURL_CA_BUNDLE");
	assert_int_equal(smtp_check_login(&o, &r), -1);
	smtp_reply_release(&r);
	assert_int_equal(spool_log(srv, &conns, 0, 0, NULL, 0), 1);
	free(url);
	free(ca);
	free(pem);
}

static void test_network_errors(void **state)
{
	struct fixture *fx = *state;
	static const char *const slow[] = { "--delay", "2", NULL };
	struct server *srv = smtpd_start(fx, slow);
	struct smtp_options o;
	struct smtp_reply r = SMTP_REPLY_INIT;
	struct smtp *s;
	char *url = url_for("smtp", "127.0.0.1", test_closed_port());
	char *url2 = url_for("smtp", "127.0.0.1", srv->port);
	int cc, conns, i;

	memset(&o, 0, sizeof(o));
	o.url = url;
	assert_int_equal(smtp_open(&s, &o), 0);
	cc = send_one(s, "r1@example.net", 1, NULL, &r);
	assert_int_equal(cc, CURLE_COULDNT_CONNECT);
	assert_int_equal(r.code, 0);
	assert_string_equal(r.enhanced, "");
	assert_string_equal(r.command, "CONNECT");
	assert_non_null(strstr(r.text, "Failed to connect to 127.0.0.1 port"));
	assert_int_equal(r.uncertain, 0);
	assert_int_equal(smtp_classify(&r, cc), SMTP_NETWORK);
	smtp_reply_release(&r);
	smtp_close(s);
	assert_int_equal(smtp_check_login(&o, &r), -1);
	assert_int_equal(strncmp(error_last(), "connect: Failed to connect to 127.0.0.1 port", 44), 0);
	assert_int_equal(r.code, 0);
	smtp_reply_release(&r);

	/* the server takes the whole message, then is too slow to answer */
	o.url = url2;
	o.final_timeout_ms = 700;
	assert_int_equal(smtp_open(&s, &o), 0);
	cc = send_one(s, "r2@example.net", 2, NULL, &r);
	assert_int_equal(cc, CURLE_OPERATION_TIMEDOUT);
	assert_int_equal(r.code, 0);
	assert_string_equal(r.text, "no reply within 700 ms after the message (the final '.')");
	assert_string_equal(r.command, "DATA");
	assert_int_equal(r.uncertain, 1);
	assert_int_equal(smtp_classify(&r, cc), SMTP_NETWORK);
	smtp_reply_release(&r);
	smtp_close(s);
	/* ... and did accept it */
	for (i = 0; i < 100 && spool_log(srv, &conns, 0, 0, NULL, 0) == 0; i++) {
		struct timespec ts = { 0, 50 * 1000 * 1000 };

		nanosleep(&ts, NULL);
	}
	assert_int_equal(spool_log(srv, &conns, 0, 0, NULL, 0), 1);

	/* the final reply may take longer than any other (RFC 5321 4.5.3.2):
	 * a 2 s wait for it is not cut by the 1.5 s wait for the others */
	o.reply_timeout_ms = 1500;
	o.final_timeout_ms = 5000;
	assert_int_equal(smtp_open(&s, &o), 0);
	assert_delivered(&r, send_one(s, "r3@example.net", 3, NULL, &r));
	smtp_reply_release(&r);
	smtp_close(s);
	assert_int_equal(spool_log(srv, &conns, 0, 0, NULL, 0), 2);
	free(url);
	free(url2);
}

/* Replies other than the final one have their own wait: a server silent
 * after RCPT TO for longer ends the transaction there, before any of the
 * message went out (not uncertain). */
static void test_reply_wait(void **state)
{
	struct fixture *fx = *state;
	static const char *const slow[] = { "--rcpt-delay", "slow@example.net=3", NULL };
	struct server *srv = smtpd_start(fx, slow);
	struct smtp_options o;
	struct smtp_reply r = SMTP_REPLY_INIT;
	struct smtp *s;
	char *url = url_for("smtp", "127.0.0.1", srv->port);
	int cc, conns;

	memset(&o, 0, sizeof(o));
	o.url = url;
	o.reply_timeout_ms = 1000;
	assert_int_equal(smtp_open(&s, &o), 0);
	cc = send_one(s, "slow@example.net", 1, NULL, &r);
	assert_int_equal(cc, CURLE_OPERATION_TIMEDOUT);
	assert_int_equal(r.code, 0);
	assert_string_equal(r.text, "no reply within 1 s");
	assert_string_equal(r.command, "RCPT");
	assert_int_equal(r.uncertain, 0);
	assert_int_equal(smtp_classify(&r, cc), SMTP_NETWORK);
	/* the handle goes on with the next message */
	assert_delivered(&r, send_one(s, "fast@example.net", 2, NULL, &r));
	smtp_reply_release(&r);
	smtp_close(s);
	assert_int_equal(spool_log(srv, &conns, 0, 0, NULL, 0), 1);
	free(url);
}

static void test_reply_parse(void **state)
{
	static const char multi[] = "550-5.1.1 The account does not exist.\r\n"
				    "550 5.1.1 https://support.example.com/\tNoSuchUser\r\n";
	struct smtp_reply r = SMTP_REPLY_INIT;

	(void)state;
	assert_int_equal(smtp_reply_parse(&r, "RCPT TO:<jana@example.net>", multi, strlen(multi)), 0);
	assert_int_equal(r.code, 550);
	assert_string_equal(r.enhanced, "5.1.1");
	assert_string_equal(r.command, "RCPT");
	assert_string_equal(r.text, "550-5.1.1 The account does not exist.\n"
				    "550 5.1.1 https://support.example.com/ NoSuchUser");
	assert_int_equal(smtp_classify(&r, 0), SMTP_RECIPIENT_PERMANENT);
	smtp_reply_release(&r);

	/* the same reply to MAIL is about the account */
	assert_int_equal(smtp_reply_parse(&r, "MAIL FROM:<a@example.com>", multi, strlen(multi)), 0);
	assert_int_equal(smtp_classify(&r, 0), SMTP_CRITICAL);
	smtp_reply_release(&r);

	/* the last complete reply counts; no enhanced code of another class */
	assert_int_equal(smtp_reply_parse(&r, "DATA", "354 go\r\n451 5.3.0 later\r\n", 25), 0);
	assert_int_equal(r.code, 451);
	assert_string_equal(r.enhanced, "");
	assert_string_equal(r.command, "DATA");
	smtp_reply_release(&r);

	assert_int_equal(smtp_reply_parse(&r, NULL, "220-mx.example.com\r\n", 20), -1);
	assert_int_equal(r.code, 0);
	assert_string_equal(r.text, "");
	assert_string_equal(r.command, "CONNECT");
	smtp_reply_release(&r);
}

#define LIVE(f) cmocka_unit_test_setup_teardown(f, fixture_setup, fixture_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_classify_table),
		cmocka_unit_test(test_classify_phases),
		cmocka_unit_test(test_open_checks_url),
		cmocka_unit_test(test_reply_parse),
		LIVE(test_twenty_messages_one_connection),
		LIVE(test_reply_faults),
		LIVE(test_dead_connection_replaced),
		LIVE(test_authentication),
		LIVE(test_xoauth2),
		LIVE(test_tls),
		LIVE(test_starttls_required),
		LIVE(test_network_errors),
		LIVE(test_reply_wait),
		cmocka_unit_test(test_tls_rules),
		cmocka_unit_test(test_open_checks_tls),
		LIVE(test_starttls_loopback),
	};

	return cmocka_run_group_tests(tests, test_curl_setup, test_curl_teardown);
}
