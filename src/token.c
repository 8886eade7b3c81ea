#include "token.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "buf.h"
#include "diag.h"
#include "util.h"
#include "xalloc.h"

#define KEYID_SALT "mailout-keyid"

struct token_key {
	unsigned char *secret;
	size_t len;
	char keyid[TOKEN_KEYID_LEN + 1];
};

struct token_keys {
	struct token_key current;
	struct token_key previous; /* secret NULL when there is none */
};

/* The pieces of a token, pointing into it. */
struct token_parts {
	const char *keyid;
	const char *campaign, *recipient, *mac;
	size_t campaign_len, recipient_len;
	size_t signed_len; /* "v1.KEYID.CAMPAIGN.RECIPIENT" */
};

static const char b64url_chars[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* Writes (n * 4 + 2) / 3 characters, no padding, no NUL. */
static void b64url_encode(char *out, const unsigned char *in, size_t n)
{
	size_t i;
	unsigned long v;

	for (i = 0; i + 3 <= n; i += 3) {
		v = (unsigned long)in[i] << 16 | (unsigned long)in[i + 1] << 8 | in[i + 2];
		*out++ = b64url_chars[v >> 18 & 63];
		*out++ = b64url_chars[v >> 12 & 63];
		*out++ = b64url_chars[v >> 6 & 63];
		*out++ = b64url_chars[v & 63];
	}
	if (n - i == 1) {
		v = (unsigned long)in[i] << 16;
		*out++ = b64url_chars[v >> 18 & 63];
		*out++ = b64url_chars[v >> 12 & 63];
	} else if (n - i == 2) {
		v = (unsigned long)in[i] << 16 | (unsigned long)in[i + 1] << 8;
		*out++ = b64url_chars[v >> 18 & 63];
		*out++ = b64url_chars[v >> 12 & 63];
		*out++ = b64url_chars[v >> 6 & 63];
	}
}

static int is_alnum(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static int is_b64url(unsigned char c)
{
	return is_alnum(c) || c == '-' || c == '_';
}

static int is_token_char(unsigned char c)
{
	return is_b64url(c) || c == '.';
}

static int campaign_id_ok(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || n > TOKEN_ID_MAX || s[0] == '-')
		return 0;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'))
			return 0;
	}
	return 1;
}

static int recipient_id_ok(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || n > TOKEN_ID_MAX || !is_alnum((unsigned char)s[0]))
		return 0;
	for (i = 0; i < n; i++)
		if (!is_token_char((unsigned char)s[i]))
			return 0;
	return 1;
}

static int key_init(struct token_key *key, const char *secret, const char *name)
{
	unsigned char digest[EVP_MAX_MD_SIZE];
	unsigned int digest_len = 0;
	char keyid[12];
	EVP_MD_CTX *ctx = NULL;
	size_t len;
	int ret = -1;

	if (!secret || !*secret) {
		error_set("%s is not set (it needs at least %d bytes, e.g. from 'openssl rand -base64 48')",
			  name, TOKEN_SECRET_MIN);
		goto done;
	}
	len = strlen(secret);
	if (len < TOKEN_SECRET_MIN) {
		error_set("%s is too short: %zu bytes, at least %d needed", name, len, TOKEN_SECRET_MIN);
		goto done;
	}
	if (len > TOKEN_SECRET_MAX) {
		error_set("%s is too long: %zu bytes, at most %d allowed", name, len, TOKEN_SECRET_MAX);
		goto done;
	}
	ctx = EVP_MD_CTX_new();
	if (!ctx || !EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) ||
	    !EVP_DigestUpdate(ctx, KEYID_SALT, strlen(KEYID_SALT)) ||
	    !EVP_DigestUpdate(ctx, secret, len) ||
	    !EVP_DigestFinal_ex(ctx, digest, &digest_len) || digest_len < 6) {
		error_set("cannot derive the key id of %s: SHA-256 failed", name);
		goto done;
	}
	/* 6 bytes give 8 characters; the first 6 are the key id */
	b64url_encode(keyid, digest, 6);
	memcpy(key->keyid, keyid, TOKEN_KEYID_LEN);
	key->keyid[TOKEN_KEYID_LEN] = '\0';
	key->secret = xmalloc(len);
	memcpy(key->secret, secret, len);
	key->len = len;
	ret = 0;
done:
	EVP_MD_CTX_free(ctx);
	secret_wipe(digest, sizeof(digest));
	return ret;
}

static void key_release(struct token_key *key)
{
	if (key->secret) {
		secret_wipe(key->secret, key->len);
		free(key->secret);
	}
	memset(key, 0, sizeof(*key));
}

int token_keys_from_secret(struct token_keys **out, const char *secret, const char *previous)
{
	struct token_keys *k = xcalloc(1, sizeof(*k));
	int ret = -1;

	*out = NULL;
	if (key_init(&k->current, secret, "MAILOUT_SECRET") < 0)
		goto done;
	if (previous && *previous &&
	    key_init(&k->previous, previous, "MAILOUT_SECRET_PREVIOUS") < 0)
		goto done;
	*out = k;
	k = NULL;
	ret = 0;
done:
	token_keys_free(k);
	return ret;
}

int token_keys_from_env(struct token_keys **out)
{
	return token_keys_from_secret(out, getenv("MAILOUT_SECRET"),
				      getenv("MAILOUT_SECRET_PREVIOUS"));
}

void token_keys_free(struct token_keys *k)
{
	if (!k)
		return;
	key_release(&k->current);
	key_release(&k->previous);
	free(k);
}

/* mac_out receives TOKEN_MAC_LEN characters (no NUL). */
static int mac_compute(const struct token_key *key, const char *data, size_t len, char *mac_out)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int md_len = 0;

	if (!HMAC(EVP_sha256(), key->secret, (int)key->len,
		  (const unsigned char *)data, len, md, &md_len) || md_len != 32)
		return error_set("cannot compute the unsubscribe token signature: HMAC-SHA256 failed");
	b64url_encode(mac_out, md, md_len);
	secret_wipe(md, sizeof(md));
	return 0;
}

char *token_make(const struct token_keys *k, const char *campaign, const char *recipient)
{
	struct buf b = BUF_INIT;
	char mac[TOKEN_MAC_LEN];
	char *ret = NULL;

	if (!campaign_id_ok(campaign, strlen(campaign))) {
		error_set("cannot make an unsubscribe token: invalid campaign id '%.*s'",
			  TOKEN_ID_MAX, campaign);
		goto done;
	}
	if (!recipient_id_ok(recipient, strlen(recipient))) {
		error_set("cannot make an unsubscribe token: invalid recipient id '%.*s'",
			  TOKEN_ID_MAX, recipient);
		goto done;
	}
	buf_grow(&b, TOKEN_MAX_LEN);
	buf_addf(&b, "v1.%s.%s.%s", k->current.keyid, campaign, recipient);
	if (mac_compute(&k->current, b.ptr, b.len, mac) < 0)
		goto done;
	buf_addc(&b, '.');
	buf_add(&b, mac, TOKEN_MAC_LEN);
	ret = buf_detach(&b, NULL);
done:
	buf_release(&b);
	return ret;
}

/* Checks the shape only; *why (may be NULL) says what is wrong. */
static int token_parse(const char *t, size_t len, struct token_parts *p, const char **why)
{
	const char *reason = NULL;
	size_t i, pos, dot, last;

	if (len == 0) {
		reason = "empty";
		goto done;
	}
	if (len > TOKEN_MAX_LEN) {
		reason = "too long";
		goto done;
	}
	for (i = 0; i < len; i++) {
		if (!is_token_char((unsigned char)t[i])) {
			reason = "unexpected character";
			goto done;
		}
	}
	if (len < 3 || memcmp(t, "v1.", 3) != 0) {
		reason = "not a v1 token";
		goto done;
	}
	pos = 3;
	if (len < pos + TOKEN_KEYID_LEN + 1 || t[pos + TOKEN_KEYID_LEN] != '.' ||
	    memchr(t + pos, '.', TOKEN_KEYID_LEN)) {
		reason = "bad key id";
		goto done;
	}
	p->keyid = t + pos;
	pos += TOKEN_KEYID_LEN + 1;
	for (dot = pos; dot < len && t[dot] != '.'; dot++)
		;
	for (last = len; last > dot && t[last - 1] != '.'; last--)
		;
	if (dot >= len || last <= dot + 1) {
		reason = "missing parts";
		goto done;
	}
	last--; /* the last '.' */
	p->campaign = t + pos;
	p->campaign_len = dot - pos;
	p->recipient = t + dot + 1;
	p->recipient_len = last - dot - 1;
	p->mac = t + last + 1;
	p->signed_len = last;
	if (!campaign_id_ok(p->campaign, p->campaign_len)) {
		reason = "bad campaign id";
		goto done;
	}
	if (!recipient_id_ok(p->recipient, p->recipient_len)) {
		reason = "bad recipient id";
		goto done;
	}
	if (len - last - 1 != TOKEN_MAC_LEN) {
		reason = "bad signature length";
		goto done;
	}
done:
	if (why)
		*why = reason;
	return reason ? TOKEN_MALFORMED : TOKEN_OK;
}

static int key_check(const struct token_key *key, const struct token_parts *p,
		     const char *token, int *matched)
{
	char mac[TOKEN_MAC_LEN];

	if (!key->secret || memcmp(key->keyid, p->keyid, TOKEN_KEYID_LEN) != 0)
		return 0;
	*matched = 1;
	if (mac_compute(key, token, p->signed_len, mac) < 0)
		return 0;
	return CRYPTO_memcmp(mac, p->mac, TOKEN_MAC_LEN) == 0;
}

int token_verify(const struct token_keys *k, const char *token, size_t len,
		 char **campaign_out, char **recipient_out)
{
	struct token_parts p;
	const char *why = NULL;
	int matched = 0;
	int ret;

	ret = token_parse(token, len, &p, &why);
	if (ret != TOKEN_OK) {
		error_set("malformed unsubscribe token: %s", why);
		goto done;
	}
	if (key_check(&k->current, &p, token, &matched) ||
	    key_check(&k->previous, &p, token, &matched)) {
		if (campaign_out)
			*campaign_out = xstrndup(p.campaign, p.campaign_len);
		if (recipient_out)
			*recipient_out = xstrndup(p.recipient, p.recipient_len);
		ret = TOKEN_OK;
		goto done;
	}
	if (matched) {
		error_set("unsubscribe token signature does not match");
		ret = TOKEN_BAD_MAC;
	} else {
		error_set("unsubscribe token signed with an unknown key '%.*s'",
			  TOKEN_KEYID_LEN, p.keyid);
		ret = TOKEN_UNKNOWN_KEY;
	}
done:
	return ret;
}

/* Whether a token may start at text[i]: "v1." at a word start, where
 * "%20" is the space of a mailto subject left encoded. */
static int token_start(const char *text, size_t len, size_t i)
{
	if (i + 3 > len || text[i] != 'v' || text[i + 1] != '1' || text[i + 2] != '.')
		return 0;
	return i == 0 || !is_token_char((unsigned char)text[i - 1]) ||
	       (i >= 3 && memcmp(text + i - 3, "%20", 3) == 0);
}

int token_find(const char *text, size_t len, size_t *start_out, size_t *len_out)
{
	struct token_parts p;
	size_t i, end, n;

	for (i = 0; i + 3 <= len; i++) {
		if (!token_start(text, len, i))
			continue;
		for (end = i; end < len && end - i <= TOKEN_MAX_LEN &&
			      is_token_char((unsigned char)text[end]); end++)
			;
		n = end - i;
		/* the whole run, then cut back at each dot: "...MAC.Thanks" */
		for (;;) {
			while (n > 3 && text[i + n - 1] == '.')
				n--;
			if (token_parse(text + i, n, &p, NULL) == TOKEN_OK) {
				*start_out = i;
				*len_out = n;
				return 0;
			}
			while (n > 3 && text[i + n - 1] != '.')
				n--;
			if (n <= 3)
				break;
		}
	}
	return -1;
}

int token_looks_like(const char *text, size_t len)
{
	size_t i, n, dots;

	for (i = 0; i + 3 <= len; i++) {
		if (!token_start(text, len, i))
			continue;
		for (n = 3, dots = 1; i + n < len && is_token_char((unsigned char)text[i + n]); n++)
			dots += text[i + n] == '.';
		if (n >= 20 && dots >= 4)
			return 1;
	}
	return 0;
}
