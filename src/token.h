/*
 * Signed unsubscribe tokens.
 *
 *   v1.KEYID.CAMPAIGN.RECIPIENT.MAC
 *
 * MAC is the full HMAC-SHA256 (256 bits) of "v1.KEYID.CAMPAIGN.RECIPIENT",
 * written in base64url without padding (43 characters).  The key is the
 * value of MAILOUT_SECRET, used as raw bytes (at least 32 of them, e.g. the
 * output of `openssl rand -base64 48`).  MAILOUT_SECRET_PREVIOUS, when set,
 * still verifies tokens made before a rotation; new tokens always use the
 * current key.
 *
 * KEYID names the key without revealing it: the first 6 base64url
 * characters of SHA-256("mailout-keyid" + key).  Verification uses it to
 * pick the key.
 *
 * Campaign ids match [a-z0-9][a-z0-9-]*, recipient ids match
 * [A-Za-z0-9][A-Za-z0-9._-]*, each at most TOKEN_ID_MAX bytes.  A recipient
 * id may contain dots: a token is read as "v1", KEYID, CAMPAIGN, then
 * RECIPIENT up to the last '.', then MAC.  Every character of a token is one
 * of [A-Za-z0-9._-], so it survives URLs, mailto subjects and line-wrapping
 * mail clients unescaped.
 */
#ifndef MAILOUT_TOKEN_H
#define MAILOUT_TOKEN_H

#include <stddef.h>

#define TOKEN_ID_MAX 200
#define TOKEN_KEYID_LEN 6
#define TOKEN_MAC_LEN 43
#define TOKEN_SECRET_MIN 32
#define TOKEN_SECRET_MAX 1024
/* "v1." KEYID "." CAMPAIGN "." RECIPIENT "." MAC */
#define TOKEN_MAX_LEN (3 + TOKEN_KEYID_LEN + 1 + TOKEN_ID_MAX + 1 + TOKEN_ID_MAX + 1 + TOKEN_MAC_LEN)

/* The current key and an optional previous one. */
struct token_keys;

/*
 * Reads MAILOUT_SECRET (required) and MAILOUT_SECRET_PREVIOUS (optional; an
 * empty value counts as unset).  Each must hold TOKEN_SECRET_MIN to
 * TOKEN_SECRET_MAX bytes.  Returns 0 and a new key set in *out (free with
 * token_keys_free), or -1 after error_set() naming the variable; the
 * message never contains the secret.
 */
int token_keys_from_env(struct token_keys **out);
/* The same from strings (previous may be NULL or empty). */
int token_keys_from_secret(struct token_keys **out, const char *secret, const char *previous);
/* Wipes and frees the keys; NULL is fine. */
void token_keys_free(struct token_keys *k);

/*
 * A token for this campaign and recipient, signed with the current key.
 * The caller frees it.  NULL after error_set() when an id is empty, too
 * long or has characters outside its pattern.
 */
char *token_make(const struct token_keys *k, const char *campaign, const char *recipient);

enum token_result {
	TOKEN_OK = 0,
	TOKEN_MALFORMED = -1,   /* not shaped like a token (also: too long, NUL inside) */
	TOKEN_UNKNOWN_KEY = -2, /* KEYID is neither the current nor the previous key */
	TOKEN_BAD_MAC = -3      /* the signature does not match */
};

/*
 * Checks the len bytes at token (not NUL-terminated necessarily).  Returns
 * an enum token_result; on anything but TOKEN_OK error_set() describes the
 * problem.  On TOKEN_OK only, *campaign_out and *recipient_out (each may be
 * NULL to skip it) receive newly allocated ids that the caller frees.
 * MACs are compared in constant time.
 */
int token_verify(const struct token_keys *k, const char *token, size_t len,
		 char **campaign_out, char **recipient_out);

/*
 * Finds the first thing in text shaped like a token: "v1." at the start of
 * a word (or after "%20"), then token characters forming
 * v1.KEYID.CAMPAIGN.RECIPIENT.MAC with a MAC of the right length.  Trailing
 * dots and text glued on after a dot ("...MAC.Thanks") are left out.  The
 * shape only is checked; pass the result to token_verify.  Returns 0 and
 * the offset and length of the token, or -1 when there is none (nothing is
 * recorded).
 */
int token_find(const char *text, size_t len, size_t *start_out, size_t *len_out);

/*
 * Whether text holds something shaped roughly like a token, as token_find()
 * looks for one: "v1." at a word start, then token characters with at
 * least four dots, 20 or more characters in all (a version number is
 * not).  For telling a mangled token from no token at all.
 */
int token_looks_like(const char *text, size_t len);

#endif
