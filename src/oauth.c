#include "oauth.h"

#include <curl/curl.h>
#include <json-c/json.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "config.h"
#include "diag.h"
#include "util.h"
#include "xalloc.h"

#define TOKEN_ANSWER_MAX 65536
/* Levels of containers json-c may open: the top-level object and 32 more,
 * where the deepest may only be empty. */
#define JSON_LEVELS_MAX 33

/* ---- the token reply ---- */

/* The string member key of the top-level object obj, copied; NULL when
 * absent, not a string or holding a NUL. */
static char *member_string(struct json_object *obj, const char *key)
{
	struct json_object *v;
	const char *s;
	int len;

	if (!json_object_object_get_ex(obj, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	s = json_object_get_string(v);
	len = json_object_get_string_len(v);
	if (!s || len < 0 || strlen(s) != (size_t)len)
		return NULL;
	return xstrndup(s, (size_t)len);
}

int oauth_parse_token_reply(struct oauth_token *out, const char *json, size_t len,
			    struct buf *err)
{
	struct json_tokener *tok = NULL;
	struct json_object *obj = NULL, *v;
	const char *p;
	int ret = -1;

	out->access_token = out->error = out->error_description = NULL;
	out->expires_in = -1;
	if (len > INT_MAX)
		goto missing;
	tok = json_tokener_new_ex(JSON_LEVELS_MAX);
	if (!tok)
		goto missing;
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_ALLOW_TRAILING_CHARS);
	obj = json_tokener_parse_ex(tok, json, (int)len);
	if (!obj || !json_object_is_type(obj, json_type_object))
		goto missing;
	out->error = member_string(obj, "error");
	out->error_description = member_string(obj, "error_description");
	if (json_object_object_get_ex(obj, "expires_in", &v) &&
	    json_object_is_type(v, json_type_int) && json_object_get_int64(v) >= 0 &&
	    json_object_get_int64(v) <= LONG_MAX)
		out->expires_in = (long)json_object_get_int64(v);
	out->access_token = member_string(obj, "access_token");
	if (!out->access_token || !*out->access_token)
		goto missing;
	for (p = out->access_token; *p; p++) {
		if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f) {
			buf_adds(err, "has an access_token with a character that cannot go into AUTH");
			goto done;
		}
	}
	ret = 0;
	goto done;
missing:
	buf_adds(err, "has no access_token");
done:
	if (ret < 0) {
		secret_free(out->access_token);
		out->access_token = NULL;
	}
	json_object_put(obj);
	if (tok)
		json_tokener_free(tok);
	return ret;
}

void oauth_token_release(struct oauth_token *t)
{
	secret_free(t->access_token);
	free(t->error);
	free(t->error_description);
	t->access_token = t->error = t->error_description = NULL;
	t->expires_in = -1;
}

/* ---- the request ---- */

static size_t on_answer(char *data, size_t size, size_t nitems, void *arg)
{
	struct buf *b = arg;
	size_t n = size * nitems;

	if (b->len + n > TOKEN_ANSWER_MAX)
		return 0; /* libcurl stops with CURLE_WRITE_ERROR */
	buf_add(b, data, n);
	return n;
}

static int form_plain(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       c == '-' || c == '.' || c == '_' || c == '~';
}

/* name=value, percent-encoded (application/x-www-form-urlencoded). */
static void form_add(struct buf *form, const char *name, const char *value)
{
	const char *p;

	if (form->len)
		buf_addc(form, '&');
	buf_adds(form, name);
	buf_addc(form, '=');
	for (p = value; *p; p++) {
		unsigned char c = (unsigned char)*p;

		if (form_plain(c))
			buf_addc(form, (char)c);
		else
			buf_addf(form, "%%%02X", c);
	}
}

#define SETOPT(curl, opt, val) \
	do { \
		if (curl_easy_setopt((curl), (opt), (val)) != CURLE_OK) \
			failed = #opt; \
	} while (0)

int oauth_refresh_token(char **access_token_out, const char *token_url, const char *client_id,
			const char *client_secret, const char *refresh_token)
{
	CURL *curl = NULL;
	struct curl_slist *headers = NULL;
	struct buf form = BUF_INIT, answer = BUF_INIT, why = BUF_INIT;
	struct oauth_token t = OAUTH_TOKEN_INIT;
	char *scheme = NULL, *host = NULL;
	char errbuf[CURL_ERROR_SIZE] = "";
	const char *failed = NULL;
	long status = 0;
	CURLcode res;
	int loopback, parsed, ret = -1;

	*access_token_out = NULL;
	if (url_scheme_host(&scheme, &host, NULL, token_url) < 0) {
		error_set("invalid OAuth2 token URL: %s", error_last());
		goto done;
	}
	loopback = host_is_loopback(host);
	if (strcmp(scheme, "https") != 0 && !(strcmp(scheme, "http") == 0 && loopback)) {
		error_set("OAuth2 token URL '%s' must be https://", token_url);
		goto done;
	}
	curl = curl_easy_init();
	if (!curl) {
		error_set("cannot create a libcurl handle");
		goto done;
	}
	/* sized once, so that no copy of the secrets is left behind by growth */
	buf_grow(&form, 3 * (strlen(refresh_token) + strlen(client_id) +
			     (client_secret ? strlen(client_secret) : 0)) + 80);
	form_add(&form, "grant_type", "refresh_token");
	form_add(&form, "refresh_token", refresh_token);
	form_add(&form, "client_id", client_id);
	if (client_secret)
		form_add(&form, "client_secret", client_secret);
	buf_grow(&answer, TOKEN_ANSWER_MAX);
	headers = curl_slist_append(NULL, "Accept: application/json");
	SETOPT(curl, CURLOPT_URL, token_url);
	SETOPT(curl, CURLOPT_PROTOCOLS_STR, loopback ? "http,https" : "https");
	SETOPT(curl, CURLOPT_NOSIGNAL, 1L);
	SETOPT(curl, CURLOPT_CONNECTTIMEOUT_MS, 15000L);
	SETOPT(curl, CURLOPT_TIMEOUT_MS, 60000L);
	SETOPT(curl, CURLOPT_ERRORBUFFER, errbuf);
	SETOPT(curl, CURLOPT_HTTPHEADER, headers);
	SETOPT(curl, CURLOPT_POSTFIELDS, form.ptr);
	SETOPT(curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)form.len);
	SETOPT(curl, CURLOPT_WRITEFUNCTION, on_answer);
	SETOPT(curl, CURLOPT_WRITEDATA, &answer);
	if (loopback)
		SETOPT(curl, CURLOPT_PROXY, "");
	if (failed || !headers) {
		error_set("libcurl refused %s", failed ? failed : "CURLOPT_HTTPHEADER");
		goto done;
	}
	res = curl_easy_perform(curl);
	if (res != CURLE_OK) {
		error_set("OAuth2 token request to '%s' failed: %s", token_url,
			  errbuf[0] ? errbuf : curl_easy_strerror(res));
		goto done;
	}
	curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
	parsed = oauth_parse_token_reply(&t, answer.ptr, answer.len, &why);
	if (status != 200) {
		error_set("OAuth2 token request to '%s' refused (HTTP %ld): '%.200s'%s%.200s%s",
			  token_url, status, t.error ? t.error : "no error given",
			  t.error_description ? " (" : "", t.error_description ? t.error_description : "",
			  t.error_description ? ")" : "");
		goto done;
	}
	if (parsed < 0) {
		error_set("OAuth2 answer from '%s' %s", token_url, why.ptr);
		goto done;
	}
	*access_token_out = t.access_token;
	t.access_token = NULL;
	ret = 0;
done:
	if (curl)
		curl_easy_cleanup(curl);
	curl_slist_free_all(headers);
	secret_wipe(form.ptr, form.len);
	buf_release(&form);
	secret_wipe(answer.ptr, answer.len);
	buf_release(&answer);
	buf_release(&why);
	oauth_token_release(&t);
	free(scheme);
	free(host);
	return ret;
}

/* ---- accounts ---- */

static int env_value(const char **out, const struct account *a, const char *name)
{
	*out = getenv(name);
	if (!*out || !**out)
		return error_set("account '%s': %s is not set", a->id, name);
	return 0;
}

int oauth_account_token(char **access_token_out, const struct account *a)
{
	const char *secret = NULL, *refresh;

	*access_token_out = NULL;
	if (env_value(&refresh, a, a->refresh_token_env) < 0)
		return -1;
	if (a->client_secret_env && env_value(&secret, a, a->client_secret_env) < 0)
		return -1;
	return oauth_refresh_token(access_token_out, a->token_url, a->client_id, secret, refresh);
}
