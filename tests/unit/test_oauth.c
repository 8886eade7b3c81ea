#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <curl/curl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "config.h"
#include "diag.h"
#include "oauth.h"
#include "util.h"
#include "xalloc.h"

#include "server.h"

/* Run from the repository root (make does). */
#define OAUTHD "tests/tools/oauth_server.py"

struct server {
	pid_t pid;
	int port;
};

/* ---- the token reply ---- */

/* Parses the NUL-terminated json; returns what oauth_parse_token_reply
 * does, *err_out the message (allocated). */
static int parse(struct oauth_token *t, const char *json, char **err_out)
{
	struct buf err = BUF_INIT;
	int rc = oauth_parse_token_reply(t, json, strlen(json), &err);

	*err_out = buf_detach(&err, NULL);
	return rc;
}

static void expect_refused(const char *json, const char *why)
{
	struct oauth_token t = OAUTH_TOKEN_INIT;
	char *err;

	assert_int_equal(parse(&t, json, &err), -1);
	assert_null(t.access_token);
	assert_string_equal(err, why);
	oauth_token_release(&t);
	free(err);
}

static void expect_token(const char *json, const char *token, long expires_in)
{
	struct oauth_token t = OAUTH_TOKEN_INIT;
	char *err;

	assert_int_equal(parse(&t, json, &err), 0);
	assert_string_equal(t.access_token, token);
	assert_int_equal(t.expires_in, expires_in);
	assert_string_equal(err, "");
	oauth_token_release(&t);
	assert_null(t.access_token);
	free(err);
}

static void test_parse_reply(void **state)
{
	(void)state;
	/* what tests/tools/oauth_server.py answers */
	expect_token("{\"token_type\": \"Bearer\", \"expires_in\": 3600, \"scope\": "
		     "\"https:\\/\\/mail.example.com\\/\", \"extra\": {\"list\": [1, -2.5e3, true, "
		     "null, {\"access_token\": \"decoy\"}], \"s\": \"\\u00e9\\\"\\\\\"}, "
		     "\"access_token\": \"ya29.a\\/b\"}",
		     "ya29.a/b", 3600);
	expect_token(" \r\n\t{\"access_token\":\"t\"}", "t", -1);
	/* what follows the object does not count */
	expect_token("{\"access_token\":\"t\"} trailing {", "t", -1);
	/* expires_in only as a whole number of seconds */
	expect_token("{\"access_token\":\"t\",\"expires_in\":\"3600\"}", "t", -1);
	expect_token("{\"access_token\":\"t\",\"expires_in\":3599.5}", "t", -1);
	expect_token("{\"access_token\":\"t\",\"expires_in\":-1}", "t", -1);
	expect_token("{\"access_token\":\"t\",\"expires_in\":0}", "t", 0);

	expect_refused("", "has no access_token");
	expect_refused("<html>502 Bad Gateway</html>", "has no access_token");
	expect_refused("[{\"access_token\":\"t\"}]", "has no access_token");
	expect_refused("\"access_token\"", "has no access_token");
	expect_refused("{}", "has no access_token");
	expect_refused("{\"access_token\":\"t\"", "has no access_token");
	expect_refused("{\"access_token\":\"t\",}", "has no access_token");
	expect_refused("{'access_token':'t'}", "has no access_token");
	expect_refused("{\"access_token\":\"t\" /* comment */}", "has no access_token");
	expect_refused("{\"access_token\":\"\"}", "has no access_token");
	expect_refused("{\"access_token\":42}", "has no access_token");
	expect_refused("{\"access_token\":[\"t\"]}", "has no access_token");
	expect_refused("{\"access_token\":null}", "has no access_token");
	expect_refused("{\"access_token\":\"a\\u0000b\"}", "has no access_token");
	expect_refused("{\"nested\":{\"access_token\":\"t\"}}", "has no access_token");
	expect_refused("{\"access_token\":\"ya29 x\"}",
		       "has an access_token with a character that cannot go into AUTH");
	expect_refused("{\"access_token\":\"ya29\\r\\nQUIT\"}",
		       "has an access_token with a character that cannot go into AUTH");
	expect_refused("{\"access_token\":\"caf\\u00e9\"}",
		       "has an access_token with a character that cannot go into AUTH");
}

static void test_parse_error_reply(void **state)
{
	struct oauth_token t = OAUTH_TOKEN_INIT;
	char *err;

	(void)state;
	assert_int_equal(parse(&t, "{\"error\":\"invalid_grant\",\"error_description\":"
			       "\"Token has been expired or revoked.\"}", &err), -1);
	assert_string_equal(err, "has no access_token");
	assert_string_equal(t.error, "invalid_grant");
	assert_string_equal(t.error_description, "Token has been expired or revoked.");
	oauth_token_release(&t);
	free(err);

	/* escapes and surrogate pairs are decoded */
	assert_int_equal(parse(&t, "{\"error\":\"a\\tb\\/c\\u20ac\",\"error_description\":"
			       "\"\\ud83d\\ude00\"}", &err), -1);
	assert_string_equal(t.error, "a\tb/c\xe2\x82\xac");
	assert_string_equal(t.error_description, "\xf0\x9f\x98\x80");
	oauth_token_release(&t);
	free(err);

	/* only strings count */
	assert_int_equal(parse(&t, "{\"error\":{\"code\":400},\"error_description\":7}", &err),
			 -1);
	assert_null(t.error);
	assert_null(t.error_description);
	oauth_token_release(&t);
	free(err);

	/* nothing is read from what is not an object */
	assert_int_equal(parse(&t, "{\"error\":\"invalid_grant\",", &err), -1);
	assert_null(t.error);
	oauth_token_release(&t);
	free(err);
}

/* {"a": [[...["x"]...]], "access_token": "t"} with levels arrays in all,
 * the innermost holding inner ("" for an empty one). */
static char *nested(int levels, const char *inner)
{
	struct buf b = BUF_INIT;
	int i;

	buf_adds(&b, "{\"a\": ");
	for (i = 0; i < levels; i++)
		buf_addc(&b, '[');
	buf_adds(&b, inner);
	for (i = 0; i < levels; i++)
		buf_addc(&b, ']');
	buf_adds(&b, ", \"access_token\": \"t\"}");
	return buf_detach(&b, NULL);
}

static void test_parse_depth(void **state)
{
	char *json;

	(void)state;
	/* the top-level object and 31 arrays around a value */
	json = nested(31, "1");
	expect_token(json, "t", -1);
	free(json);
	json = nested(32, "1");
	expect_refused(json, "has no access_token");
	free(json);
	/* an empty array may open the 33rd level */
	json = nested(32, "");
	expect_token(json, "t", -1);
	free(json);
	json = nested(33, "");
	expect_refused(json, "has no access_token");
	free(json);
	json = nested(100000, "");
	expect_refused(json, "has no access_token");
	free(json);
}

static void test_parse_length(void **state)
{
	static const char json[] = "{\"access_token\":\"abc\"}{\"access_token\":\"xyz\"}";
	struct oauth_token t = OAUTH_TOKEN_INIT;
	struct buf err = BUF_INIT;

	(void)state;
	/* the bytes are not NUL-terminated: only len of them are read */
	assert_int_equal(oauth_parse_token_reply(&t, json, 22, &err), 0);
	assert_string_equal(t.access_token, "abc");
	oauth_token_release(&t);
	assert_int_equal(oauth_parse_token_reply(&t, json, 21, &err), -1);
	assert_null(t.access_token);
	assert_string_equal(err.ptr, "has no access_token");
	buf_release(&err);
	/* a NUL byte ends the text */
	assert_int_equal(oauth_parse_token_reply(&t, "{\"access_token\":\"a\0b\"}", 22, &err), -1);
	assert_string_equal(err.ptr, "has no access_token");
	buf_release(&err);
}

/* ---- the token endpoint ---- */

/* oauth_server.py on a free port. */
static void server_start(struct server *srv, const char *const *args)
{
	srv->pid = test_server_start(OAUTHD, args, &srv->port);
}

static int server_setup(void **state)
{
	static const char *const args[] = {
		"--port", "0", "--client-id", "mailout-test", "--client-secret", "s3cret&=+ /",
		"--grant", "rt-good=ya29.test", "--grant", "1//rt+slash=ya29.a/b", NULL,
	};
	struct server *srv = xcalloc(1, sizeof(*srv));

	server_start(srv, args);
	*state = srv;
	return 0;
}

static int server_teardown(void **state)
{
	struct server *srv = *state;
	int status;

	kill(srv->pid, SIGTERM);
	waitpid(srv->pid, &status, 0);
	free(srv);
	return 0;
}

static void test_refresh_token(void **state)
{
	struct server *srv = *state;
	char *url = xasprintf("http://127.0.0.1:%d/token", srv->port);
	char *dead = xasprintf("http://127.0.0.1:%d/token", test_closed_port());
	char *token = NULL;
	char expect[300];

	assert_int_equal(oauth_refresh_token(&token, url, "mailout-test", "s3cret&=+ /",
					     "rt-good"), 0);
	assert_string_equal(token, "ya29.test");
	secret_free(token);
	assert_int_equal(oauth_refresh_token(&token, url, "mailout-test", "s3cret&=+ /",
					     "1//rt+slash"), 0);
	assert_string_equal(token, "ya29.a/b");
	secret_free(token);
	token = NULL;

	assert_int_equal(oauth_refresh_token(&token, url, "mailout-test", "s3cret&=+ /",
					     "rt-revoked"), -1);
	assert_null(token);
	snprintf(expect, sizeof(expect),
		 "OAuth2 token request to '%s' refused (HTTP 400): 'invalid_grant' (Bad Request)",
		 url);
	assert_string_equal(error_last(), expect);

	assert_int_equal(oauth_refresh_token(&token, url, "mailout-test", "wrong", "rt-good"), -1);
	snprintf(expect, sizeof(expect),
		 "OAuth2 token request to '%s' refused (HTTP 401): 'invalid_client' (Unauthorized)",
		 url);
	assert_string_equal(error_last(), expect);

	assert_int_equal(oauth_refresh_token(&token, "http://oauth.example.com/token", "id", "s",
					     "rt"), -1);
	assert_string_equal(error_last(),
			    "OAuth2 token URL 'http://oauth.example.com/token' must be https://");
	assert_int_equal(oauth_refresh_token(&token, "not a url", "id", "s", "rt"), -1);
	assert_non_null(strstr(error_last(), "invalid OAuth2 token URL: "));
	assert_int_equal(oauth_refresh_token(&token, dead, "id", "s", "rt"), -1);
	snprintf(expect, sizeof(expect), "OAuth2 token request to '%s' failed: ", dead);
	assert_memory_equal(error_last(), expect, strlen(expect));
	assert_null(token);
	free(url);
	free(dead);
}

static void test_account_token(void **state)
{
	struct server *srv = *state;
	struct account a;
	char *url = xasprintf("http://127.0.0.1:%d/token", srv->port);
	char *token = NULL;
	char expect[300];

	memset(&a, 0, sizeof(a));
	a.id = "alice-news";
	a.auth = AUTH_OAUTH2;
	a.token_url = url;
	a.client_id = "mailout-test";
	a.client_secret_env = "MAILOUT_TEST_CLIENT_SECRET";
	a.refresh_token_env = "MAILOUT_TEST_REFRESH_TOKEN";
	unsetenv(a.client_secret_env);
	unsetenv(a.refresh_token_env);

	assert_int_equal(oauth_account_token(&token, &a), -1);
	assert_null(token);
	assert_string_equal(error_last(), "account 'alice-news': MAILOUT_TEST_REFRESH_TOKEN is not set");
	setenv(a.refresh_token_env, "", 1);
	assert_int_equal(oauth_account_token(&token, &a), -1);
	assert_string_equal(error_last(), "account 'alice-news': MAILOUT_TEST_REFRESH_TOKEN is not set");
	setenv(a.refresh_token_env, "rt-good", 1);
	/* a client secret named by the account must be there */
	assert_int_equal(oauth_account_token(&token, &a), -1);
	assert_string_equal(error_last(), "account 'alice-news': MAILOUT_TEST_CLIENT_SECRET is not set");
	setenv(a.client_secret_env, "s3cret&=+ /", 1);
	assert_int_equal(oauth_account_token(&token, &a), 0);
	assert_string_equal(token, "ya29.test");
	secret_free(token);
	token = NULL;

	/* a public client sends no secret: this server wants one */
	a.client_secret_env = NULL;
	assert_int_equal(oauth_account_token(&token, &a), -1);
	assert_null(token);
	snprintf(expect, sizeof(expect),
		 "OAuth2 token request to '%s' refused (HTTP 401): 'invalid_client' (Unauthorized)",
		 url);
	assert_string_equal(error_last(), expect);
	unsetenv("MAILOUT_TEST_CLIENT_SECRET");
	unsetenv(a.refresh_token_env);
	free(url);
}

#define LIVE(f) cmocka_unit_test_setup_teardown(f, server_setup, server_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_reply),
		cmocka_unit_test(test_parse_error_reply),
		cmocka_unit_test(test_parse_depth),
		cmocka_unit_test(test_parse_length),
		LIVE(test_refresh_token),
		LIVE(test_account_token),
	};

	return cmocka_run_group_tests(tests, test_curl_setup, test_curl_teardown);
}
