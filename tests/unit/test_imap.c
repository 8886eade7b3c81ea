/*
 * The IMAP client against a scripted server in a child process: literals
 * in odd places, a message that imitates the end of a response, a NO for
 * one message, a connection the server drops, a UIDVALIDITY that changes
 * on reconnection, search windows.  (End-to-end tests run it against
 * Dovecot.)
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "buf.h"
#include "diag.h"
#include "imap.h"
#include "xalloc.h"
#include "fixture.h"

/* What the scripted server does. */
struct script {
	unsigned long uids[8]; /* the mailbox, 0-terminated */
	unsigned long uidnext;
	int new_uidvalidity;   /* connections after the first report another UIDVALIDITY */
	int drop_after_fetch;  /* close the first connection after its first FETCH */
};

static struct script script;
static int conn_no;

struct server {
	pid_t pid;
	int port;
	char *dir, *log;
};

static void say(int fd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(int fd, const char *fmt, ...)
{
	char out[4096];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(out, sizeof(out), fmt, ap);
	va_end(ap);
	if (n > 0 && write(fd, out, (size_t)n) < 0)
		_exit(3);
}

/* Answers one UID FETCH; returns 1 when the connection is to be dropped. */
static int fetch(int fd, const char *tag, unsigned long uid)
{
	static const char body[] = "Subject: hi\r\n\r\nhello\r\n";

	switch (uid) {
	case 1: /* plain */
		say(fd, "* 1 FETCH (UID 1 BODY[]<0> {%zu}\r\n%s)\r\n%s OK done\r\n", strlen(body), body, tag);
		return script.drop_after_fetch && conn_no == 1;
	case 2: /* an unsolicited flag update first; the UID after the literal */
		say(fd, "* 1 FETCH (FLAGS (\\Seen))\r\n* 2 FETCH (BODY[]<0> {5}\r\nhello UID 2 FLAGS ())\r\n%s OK done\r\n",
		    tag);
		return 0;
	case 3: /* a quoted string */
		say(fd, "* 3 FETCH (UID 3 BODY[] \"quoted \\\"text\\\"\")\r\n%s OK done\r\n", tag);
		return 0;
	case 4: /* the content imitates the end of the response */
		say(fd, "* 4 FETCH (UID 4 BODY[]<0> {%zu}\r\nSubject: trick\r\n\r\n%s OK fooled\r\nthe rest of it\r\n",
		    18 + strlen(tag) + 12 + 16 + 6, tag);
		usleep(100000);
		say(fd, "xxxxxx)\r\n%s OK done\r\n", tag);
		return 0;
	case 5: /* refused */
		say(fd, "%s NO [SERVERBUG] cannot read this one\r\n", tag);
		return 0;
	default: /* gone */
		say(fd, "%s OK nothing\r\n", tag);
		return 0;
	}
}

static void serve(int fd, FILE *log)
{
	char line[2048], tag[64];
	const char *cmd;
	unsigned long lo, hi, uid;
	int examined = 0, i;
	FILE *in = fdopen(dup(fd), "r");

	say(fd, "* OK fake server ready\r\n");
	while (in && fgets(line, sizeof(line), in)) {
		line[strcspn(line, "\r\n")] = '\0';
		fprintf(log, "%d %s\n", conn_no, line);
		fflush(log);
		if (sscanf(line, "%63s", tag) != 1)
			break;
		cmd = line + strlen(tag) + 1;
		if (!strncasecmp(cmd, "CAPABILITY", 10)) {
			say(fd, "* CAPABILITY IMAP4rev1\r\n%s OK done\r\n", tag);
		} else if (!strncasecmp(cmd, "LOGIN ", 6)) {
			if (strstr(cmd, " right"))
				say(fd, "%s OK logged in\r\n", tag);
			else
				say(fd, "%s NO [AUTHENTICATIONFAILED] wrong\r\n", tag);
		} else if (!strncasecmp(cmd, "LIST (", 6)) {
			say(fd, "%s BAD unknown LIST option\r\n", tag); /* no LIST-EXTENDED */
		} else if (!strncasecmp(cmd, "LIST ", 5)) {
			say(fd, "* LIST (\\HasNoChildren) \"/\" INBOX\r\n"
				"* LIST (\\HasNoChildren \\Sent) \"/\" \"Sent Items\"\r\n%s OK done\r\n", tag);
		} else if (!strncasecmp(cmd, "EXAMINE ", 8)) {
			if (strcmp(cmd + 8, "\"INBOX\"") && strcmp(cmd + 8, "\"Bounces \\\"x\\\"\"") &&
			    strcmp(cmd + 8, "\"Sent Items\"")) {
				say(fd, "%s NO [NONEXISTENT] no such mailbox\r\n", tag);
				continue;
			}
			examined = 1;
			say(fd, "* 7 EXISTS\r\n* OK [UIDVALIDITY %d] ok\r\n", script.new_uidvalidity && conn_no > 1 ? 99 : 42);
			if (script.uidnext)
				say(fd, "* OK [UIDNEXT %lu] ok\r\n", script.uidnext);
			say(fd, "%s OK [READ-ONLY] done\r\n", tag);
		} else if (!examined) {
			say(fd, "%s BAD no mailbox selected\r\n", tag);
		} else if (sscanf(cmd, "UID SEARCH UID %lu:%lu", &lo, &hi) == 2 ||
			   (sscanf(cmd, "UID SEARCH UID %lu:*", &lo) == 1 && (hi = 0xfffffffful))) {
			say(fd, "* SEARCH");
			for (i = 0; script.uids[i]; i++) {
				if (script.uids[i] >= lo && script.uids[i] <= hi)
					say(fd, " %lu", script.uids[i]);
			}
			say(fd, "\r\n%s OK done\r\n", tag);
		} else if (!strncasecmp(cmd, "UID SEARCH HEADER Message-ID ", 29)) {
			say(fd, "* SEARCH%s\r\n%s OK done\r\n",
			    strcmp(cmd + 29, "\"<1@example.com>\"") ? "" : " 3", tag);
		} else if (sscanf(cmd, "UID FETCH %lu (BODY.PEEK[]<0.", &uid) == 1) {
			if (fetch(fd, tag, uid))
				break;
		} else if (!strncasecmp(cmd, "LOGOUT", 6)) {
			say(fd, "* BYE\r\n%s OK bye\r\n", tag);
			break;
		} else {
			say(fd, "%s BAD what\r\n", tag);
		}
	}
	if (in)
		fclose(in);
}

static void server_start(struct server *s)
{
	struct sockaddr_in a;
	socklen_t len = sizeof(a);
	int lfd = socket(AF_INET, SOCK_STREAM, 0), one = 1;

	memset(s, 0, sizeof(*s));
	s->dir = fixture_tmpdir();
	assert_non_null(s->dir);
	s->log = xasprintf("%s/commands", s->dir);
	assert_true(lfd >= 0);
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(lfd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(lfd, 8), 0);
	assert_int_equal(getsockname(lfd, (struct sockaddr *)&a, &len), 0);
	s->port = ntohs(a.sin_port);
	s->pid = fork();
	assert_true(s->pid >= 0);
	if (s->pid == 0) {
		FILE *log = fopen(s->log, "w");

		/* never outlive the test */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		alarm(30);
		for (;;) {
			int c = accept(lfd, NULL, NULL);

			if (c < 0)
				continue;
			conn_no++;
			serve(c, log);
			close(c);
		}
	}
	close(lfd);
}

static void server_stop(struct server *s)
{
	kill(s->pid, SIGKILL);
	waitpid(s->pid, NULL, 0);
	fixture_remove(s->dir);
	free(s->dir);
	free(s->log);
}

static char *commands(const struct server *s)
{
	struct buf b = BUF_INIT;

	assert_int_equal(buf_read_file(&b, s->log, 1 << 20), 0);
	return buf_detach(&b, NULL);
}

static int count(const char *text, const char *what)
{
	int n = 0;

	while ((text = strstr(text, what))) {
		n++;
		text += strlen(what);
	}
	return n;
}

static int open_box(struct imap **out, const struct server *s, const char *mailbox,
		    const char *password)
{
	char url[128];
	struct imap_options o;

	snprintf(url, sizeof(url), "imap://127.0.0.1:%d/%s", s->port, mailbox);
	memset(&o, 0, sizeof(o));
	o.url = url;
	o.username = "tester";
	o.password = password;
	o.timeout_ms = 5000;
	return imap_open(out, &o);
}

static void test_open(void **state)
{
	struct server s;
	struct imap *m = NULL;
	char *log;

	(void)state;
	memset(&script, 0, sizeof(script));
	script.uidnext = 8;
	server_start(&s);
	assert_int_equal(open_box(&m, &s, "Bounces%20%22x%22;UIDVALIDITY=5", "right"), 0);
	assert_string_equal(imap_mailbox(m), "Bounces \"x\"");
	assert_int_equal(imap_uidvalidity(m), 42);
	assert_int_equal(imap_uidnext(m), 8);
	assert_int_equal(imap_exists(m), 7);
	imap_close(m);
	log = commands(&s);
	assert_non_null(strstr(log, " LOGIN tester right\n"));
	assert_non_null(strstr(log, " EXAMINE \"Bounces \\\"x\\\"\"\n"));
	assert_null(strstr(log, "SELECT"));
	free(log);

	assert_int_equal(open_box(&m, &s, "", "wrong"), -1);
	assert_null(m);
	assert_non_null(strstr(error_last(), "the server refused the login of 'tester'"));
	assert_int_equal(open_box(&m, &s, "Missing", "right"), -1);
	assert_non_null(strstr(error_last(), "cannot open the mailbox 'Missing': the server answered: NO [NONEXISTENT] no such mailbox"));
	server_stop(&s);
}

static void test_bad_urls(void **state)
{
	struct imap_options o;
	struct imap *m = NULL;

	(void)state;
	memset(&o, 0, sizeof(o));
	o.url = "https://imap.example.com/INBOX";
	assert_int_equal(imap_open(&m, &o), -1);
	assert_string_equal(error_last(), "'https://imap.example.com/INBOX' is https://, not imap:// or imaps://");
	o.url = "imaps://someone@imap.example.com/INBOX";
	assert_int_equal(imap_open(&m, &o), -1);
	assert_non_null(strstr(error_last(), "holds a user name"));
	o.url = "imap://127.0.0.1:1/Caf%C3%A9";
	assert_int_equal(imap_open(&m, &o), -1);
	assert_non_null(strstr(error_last(), "the mailbox name must be printable ASCII"));
	o.url = "not a url";
	assert_int_equal(imap_open(&m, &o), -1);
	o.url = NULL;
	assert_int_equal(imap_open(&m, &o), -1);
	assert_null(m);
}

/* tls: none only to loopback; tls: starttls to loopback never logs in
 * without STARTTLS (this server offers none). */
static void test_tls_modes(void **state)
{
	struct imap_options o;
	struct server s;
	struct imap *m = NULL;
	char url[128], *log;

	(void)state;
	memset(&o, 0, sizeof(o));
	o.url = "imap://imap.example.com/INBOX";
	o.username = "tester";
	o.password = "right";
	o.tls = TLS_NONE;
	assert_int_equal(imap_open(&m, &o), -1);
	assert_string_equal(error_last(),
			    "'imap://imap.example.com/INBOX': tls: none is allowed only to a loopback address, not to 'imap.example.com'");
	assert_null(m);

	memset(&script, 0, sizeof(script));
	script.uidnext = 8;
	server_start(&s);
	snprintf(url, sizeof(url), "imap://127.0.0.1:%d/INBOX", s.port);
	o.url = url;
	o.timeout_ms = 5000;
	o.tls = TLS_STARTTLS;
	assert_int_equal(imap_open(&m, &o), -1);
	assert_null(m);
	o.tls = TLS_NONE;
	assert_int_equal(imap_open(&m, &o), 0);
	imap_close(m);
	log = commands(&s);
	assert_int_equal(count(log, " LOGIN tester right\n"), 1);
	free(log);
	server_stop(&s);
}

static void test_search_windows(void **state)
{
	struct server s;
	struct imap *m = NULL;
	unsigned long *uids = NULL, last = 0;
	size_t n = 0;
	char *log;

	(void)state;
	memset(&script, 0, sizeof(script));
	script.uids[0] = 3;
	script.uids[1] = 5;
	script.uids[2] = 25000;
	script.uids[3] = 45001;
	script.uidnext = 45002;
	server_start(&s);
	assert_int_equal(open_box(&m, &s, "INBOX", "right"), 0);
	assert_int_equal(imap_search(m, 3, NULL, &uids, &n, &last), 0);
	assert_int_equal(n, 3);
	assert_int_equal(uids[0], 5);
	assert_int_equal(uids[1], 25000);
	assert_int_equal(uids[2], 45001);
	assert_int_equal(last, 45001);
	free(uids);
	assert_int_equal(imap_search(m, 45001, "HEADER Content-Type report", &uids, &n, &last), 0);
	assert_int_equal(n, 0);
	assert_null(uids);
	assert_int_equal(last, 45001);
	assert_int_equal(imap_search(m, 0, "X\r\nY", &uids, &n, &last), -1);
	imap_close(m);
	log = commands(&s);
	assert_non_null(strstr(log, " UID SEARCH UID 4:20003\n"));
	assert_non_null(strstr(log, " UID SEARCH UID 20004:40003\n"));
	assert_non_null(strstr(log, " UID SEARCH UID 40004:45001\n"));
	assert_null(strstr(log, " UID SEARCH UID 45002"));
	free(log);
	server_stop(&s);

	/* without UIDNEXT: one open search, the highest UID found is the last */
	script.uidnext = 0;
	server_start(&s);
	assert_int_equal(open_box(&m, &s, "INBOX", "right"), 0);
	assert_int_equal(imap_search(m, 4, "HEADER Content-Type report", &uids, &n, &last), 0);
	assert_int_equal(n, 3);
	assert_int_equal(last, 45001);
	free(uids);
	imap_close(m);
	log = commands(&s);
	assert_non_null(strstr(log, " UID SEARCH UID 5:* HEADER Content-Type report\n"));
	free(log);
	server_stop(&s);
}

static void test_fetch(void **state)
{
	struct server s;
	struct imap *m = NULL;
	struct buf b = BUF_INIT;
	char *log, *second;

	(void)state;
	memset(&script, 0, sizeof(script));
	script.uidnext = 8;
	server_start(&s);
	assert_int_equal(open_box(&m, &s, "INBOX", "right"), 0);
	assert_int_equal(imap_fetch(m, 1, &b), IMAP_FETCHED);
	assert_string_equal(b.ptr, "Subject: hi\r\n\r\nhello\r\n");
	assert_int_equal(imap_fetch(m, 2, &b), IMAP_FETCHED);
	assert_string_equal(b.ptr, "hello");
	assert_int_equal(imap_fetch(m, 3, &b), IMAP_FETCHED);
	assert_string_equal(b.ptr, "quoted \"text\"");
	assert_int_equal(imap_fetch(m, 5, &b), IMAP_REFUSED);
	assert_string_equal(error_last(), "the server answered: NO [SERVERBUG] cannot read this one");
	assert_int_equal(imap_fetch(m, 6, &b), IMAP_GONE);
	/* cut short by a line that looks like the end: damaged, then a new connection */
	assert_int_equal(imap_fetch(m, 4, &b), IMAP_DAMAGED);
	assert_memory_equal(b.ptr, "Subject: trick\r\n\r\n", 18);
	assert_int_equal(imap_fetch(m, 1, &b), IMAP_FETCHED);
	assert_string_equal(b.ptr, "Subject: hi\r\n\r\nhello\r\n");
	imap_close(m);
	log = commands(&s);
	assert_non_null(strstr(log, " UID FETCH 1 (BODY.PEEK[]<0.10485760>)\n"));
	assert_null(strstr(log, "BODY[]"));
	assert_null(strstr(log, "SELECT"));
	/* the refusal and the damage each cost a connection, and each new
	 * connection examined the mailbox before anything else */
	assert_int_equal(count(log, " EXAMINE \"INBOX\"\n"), 3);
	second = strstr(log, "\n3 ");
	assert_non_null(second);
	assert_non_null(strstr(second, " EXAMINE \"INBOX\"\n3 "));
	free(log);
	buf_release(&b);
	server_stop(&s);
}

static void test_reconnect(void **state)
{
	struct server s;
	struct imap *m = NULL;
	struct buf b = BUF_INIT;
	char *log, *second, *examine, *fetched;

	(void)state;
	/* the server drops the connection: examined again, the command retried */
	memset(&script, 0, sizeof(script));
	script.uidnext = 8;
	script.drop_after_fetch = 1;
	server_start(&s);
	assert_int_equal(open_box(&m, &s, "INBOX", "right"), 0);
	assert_int_equal(imap_fetch(m, 1, &b), IMAP_FETCHED);
	assert_int_equal(imap_fetch(m, 2, &b), IMAP_FETCHED);
	assert_string_equal(b.ptr, "hello");
	imap_close(m);
	/* libcurl either notices the closed connection (the command meets a
	 * new, unexamined one) or fails on it (the command is tried again):
	 * either way the second connection examines before it fetches */
	log = commands(&s);
	assert_int_equal(count(log, " EXAMINE \"INBOX\"\n"), 2);
	second = strstr(log, "\n2 ");
	assert_non_null(second);
	examine = strstr(second, " EXAMINE \"INBOX\"\n");
	fetched = second;
	while (strstr(fetched + 1, " UID FETCH 2 "))
		fetched = strstr(fetched + 1, " UID FETCH 2 ");
	assert_non_null(examine);
	assert_true(examine < fetched);
	free(log);
	server_stop(&s);

	/* ... and a changed UIDVALIDITY on the new connection is an error */
	script.new_uidvalidity = 1;
	server_start(&s);
	assert_int_equal(open_box(&m, &s, "INBOX", "right"), 0);
	assert_int_equal(imap_fetch(m, 1, &b), IMAP_FETCHED);
	assert_int_equal(imap_fetch(m, 2, &b), -1);
	assert_non_null(strstr(error_last(), "the mailbox's UIDVALIDITY changed during the sync (42, now 99)"));
	imap_close(m);
	buf_release(&b);
	server_stop(&s);
}

static void test_parse_responses(void **state)
{
	static const char examine[] =
		"* 3 EXISTS\r\n* OK [UIDVALIDITY 1733560000] UIDs valid\r\n"
		"* OK [UIDNEXT 12] next\r\nA003 OK [READ-ONLY] done\r\n";
	static const char search[] =
		"* SEARCH 9 2 4294967296 100 5\r\n* 1 FETCH (X {6}\r\n* SEARCH 3\r\n)\r\nA1 OK\r\n";
	static const char fetch[] =
		"* 3 FETCH (UID 7 BODY[]<0> {25}\r\nSubject: hi\r\nA9 OK fake\r\n)\r\nA5 OK done\r\n";
	unsigned long v, next, exists, *uids = NULL;
	size_t n = 0, cap = 0;
	struct buf b = BUF_INIT;
	char reply[64];

	(void)state;
	imap_parse_examine(&v, &next, &exists, examine, strlen(examine));
	assert_int_equal(v, 1733560000);
	assert_int_equal(next, 12);
	assert_int_equal(exists, 3);
	imap_parse_examine(&v, &next, &exists, "", 0);
	assert_int_equal(v + next + exists, 0);

	/* 4294967296 is no UID, and a literal's bytes are no response line */
	assert_int_equal(imap_parse_search(&uids, &n, &cap, search, strlen(search), 1, 0), 0);
	assert_int_equal(n, 2);
	assert_int_equal(uids[0], 9);
	assert_int_equal(uids[1], 2);
	n = 0;
	assert_int_equal(imap_parse_search(&uids, &n, &cap, search, strlen(search), 5, 9), 0);
	assert_int_equal(n, 1);
	assert_int_equal(uids[0], 9);
	assert_int_equal(imap_parse_search(&uids, &n, &cap, "* SEARCH 1 {99}\r\n", 17, 1, 0), -1);
	free(uids);

	assert_int_equal(imap_parse_fetch(&b, fetch, strlen(fetch), 7), IMAP_FETCHED);
	assert_string_equal(b.ptr, "Subject: hi\r\nA9 OK fake\r\n");
	buf_reset(&b);
	assert_int_equal(imap_parse_fetch(&b, fetch, strlen(fetch), 8), IMAP_GONE);
	assert_int_equal(b.len, 0);
	assert_int_equal(imap_parse_fetch(&b, fetch, 44, 7), IMAP_DAMAGED);
	assert_string_equal(b.ptr, "Subject: hi");
	buf_release(&b);

	imap_parse_tagged(reply, sizeof(reply), "* BYE\r\nA6 NO [NONEXISTENT] No\x01 box\r\n", 35);
	assert_string_equal(reply, "NO [NONEXISTENT] No? box");
	imap_parse_tagged(reply, sizeof(reply), "", 0);
	assert_string_equal(reply, "(no answer)");
}

/* The Sent folder found by a plain LIST when LIST (SPECIAL-USE) is
 * refused, examined, and searched by Message-ID. */
static void test_sent_folder(void **state)
{
	struct server s;
	struct imap *m = NULL;
	char *mailbox = NULL, *log;

	(void)state;
	memset(&script, 0, sizeof(script));
	script.uidnext = 9;
	server_start(&s);
	assert_int_equal(open_box(&m, &s, "INBOX", "right"), 0);
	assert_int_equal(imap_find_sent(m, &mailbox), 1);
	assert_string_equal(mailbox, "Sent Items");
	assert_int_equal(imap_examine_mailbox(m, mailbox), 0);
	assert_string_equal(imap_mailbox(m), "Sent Items");
	assert_int_equal(imap_has_message_id(m, "<1@example.com>"), 1);
	assert_int_equal(imap_has_message_id(m, "<2@example.com>"), 0);
	assert_int_equal(imap_has_message_id(m, "<1@example.com>\r\nA1 LOGOUT"), -1);
	assert_int_equal(imap_examine_mailbox(m, "Nowhere"), -1);
	assert_non_null(strstr(error_last(), "cannot open the mailbox 'Nowhere'"));
	imap_close(m);
	log = commands(&s);
	assert_non_null(strstr(log, " LIST (SPECIAL-USE) \"\" \"*\"\n"));
	assert_non_null(strstr(log, " LIST \"\" \"*\"\n"));
	assert_non_null(strstr(log, " EXAMINE \"Sent Items\"\n"));
	assert_non_null(strstr(log, " UID SEARCH HEADER Message-ID \"<1@example.com>\"\n"));
	assert_null(strstr(log, "LOGOUT\"\n"));
	free(log);
	free(mailbox);
	server_stop(&s);
}

static char *list_sent(const char *resp)
{
	return imap_parse_list_sent(resp, strlen(resp));
}

/* The Sent folder from LIST: quoted, atom and literal names, the flag
 * anywhere in the attributes, never a look-alike. */
static void test_parse_list_sent(void **state)
{
	static const char quoted[] =
		"* LIST (\\HasNoChildren) \".\" INBOX\r\n"
		"* LIST (\\HasNoChildren \\Drafts) \".\" Drafts\r\n"
		"* LIST (\\HasNoChildren \\Sent) \".\" \"Sent \\\"Items\\\"\"\r\n"
		"* LIST (\\Sent) \".\" Second\r\n"
		"A5 OK List completed\r\n";
	static const char literal[] =
		"* LIST (\\Sentinel) \"/\" NotThis\r\n"
		"* LIST () \"/\" {4}\r\nSent\r\n"
		"* LIST (\\Marked \\sent) NIL {10}\r\nGesendet/x\r\n"
		"A5 OK done\r\n";
	char *name;

	(void)state;
	name = imap_parse_list_sent(quoted, strlen(quoted));
	assert_string_equal(name, "Sent \"Items\"");
	free(name);
	name = imap_parse_list_sent(literal, strlen(literal));
	assert_string_equal(name, "Gesendet/x");
	free(name);
	name = list_sent("* LIST (\\Sent) \"/\" Sent");
	assert_string_equal(name, "Sent");
	free(name);
	/* no \Sent; an unterminated quote; a literal longer than what follows */
	assert_null(imap_parse_list_sent(quoted, 80));
	assert_null(list_sent("* LIST (\\Sent) \"/\" \"Sent\r\n"));
	assert_null(list_sent("* LIST (\\Sent) \"/\" {40}\r\nSent\r\n"));
	assert_null(list_sent("* LIST (\\Sent \"/\" Sent\r\n"));
	assert_null(imap_parse_list_sent("", 0));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_responses),
		cmocka_unit_test(test_parse_list_sent),
		cmocka_unit_test(test_sent_folder),
		cmocka_unit_test(test_open),
		cmocka_unit_test(test_bad_urls),
		cmocka_unit_test(test_tls_modes),
		cmocka_unit_test(test_search_windows),
		cmocka_unit_test(test_fetch),
		cmocka_unit_test(test_reconnect),
	};
	int r;

	curl_global_init(CURL_GLOBAL_DEFAULT);
	r = cmocka_run_group_tests(tests, NULL, NULL);
	curl_global_cleanup();
	return r;
}
