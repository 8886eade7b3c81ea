/*
 * OAuth2 access tokens for accounts with auth: oauth2, fetched with the
 * refresh-token grant (RFC 6749 section 6) and used as the XOAUTH2 bearer
 * for SMTP and IMAP.
 *
 *   char *token;
 *
 *   if (oauth_account_token(&token, account) < 0) ...error_last()...
 *   ... smtp_options.bearer = token ...
 *   secret_free(token);
 *
 * The program calls curl_global_init() once before using this module.
 */
#ifndef MAILOUT_OAUTH_H
#define MAILOUT_OAUTH_H

#include <stddef.h>

struct account;
struct buf;

/*
 * What a token endpoint's JSON reply (RFC 6749 sections 5.1 and 5.2)
 * says.  The strings are allocated; oauth_token_release() wipes and frees
 * them.
 */
struct oauth_token {
	char *access_token; /* NULL when the reply holds none */
	long expires_in; /* seconds, as given; -1 when not a whole number >= 0 */
	char *error; /* "error" of an error reply, or NULL */
	char *error_description; /* "error_description", or NULL */
};

#define OAUTH_TOKEN_INIT { NULL, -1, NULL, NULL }

/*
 * Reads the len bytes at json (not NUL-terminated; network input) as a
 * token reply.  The reply must be a JSON object nested at most 32 deep
 * (an empty object or array may open a 33rd level); what follows the
 * object is ignored.  Only its top-level members count, and only string
 * ones for access_token, error and error_description (any other type is
 * as absent; a string holding a NUL too).  *out is overwritten: error and
 * error_description are filled whenever the reply is such an object,
 * also when the call fails.
 *
 * Returns 0 when the reply holds a non-empty access_token of printable
 * ASCII without spaces (what can go into AUTH).  Otherwise -1, with err
 * (appended to) saying what the reply has, to follow "the answer ":
 * "has no access_token" (also when the reply is not such an object) or
 * "has an access_token with a character that cannot go into AUTH"; then
 * out->access_token is NULL.
 */
int oauth_parse_token_reply(struct oauth_token *out, const char *json, size_t len,
			    struct buf *err);

/* Wipes and frees the strings of t (which is OAUTH_TOKEN_INIT again). */
void oauth_token_release(struct oauth_token *t);

/*
 * The refresh-token grant: POSTs grant_type, refresh_token, client_id and
 * client_secret (form-encoded) to token_url (https://, or http:// to a
 * loopback host) and returns in *access_token_out the access token of the
 * answer (free it with secret_free()).  -1 with error_set() for a network
 * error, an HTTP error (quoting the answer's "error" and
 * "error_description") or an answer without a usable access token (see
 * oauth_parse_token_reply).  client_secret may be NULL (public client).
 */
int oauth_refresh_token(char **access_token_out, const char *token_url, const char *client_id,
			const char *client_secret, const char *refresh_token);

/*
 * The access token of an account with auth: oauth2, for SMTP and IMAP
 * alike: its refresh token from the environment variable
 * refresh_token_env, its client secret from client_secret_env when the
 * account names one, then oauth_refresh_token() with its token_url and
 * client_id.  *access_token_out is freed with secret_free().  -1 with
 * error_set(), "account 'ID': VARIABLE is not set" when a named variable
 * is unset or empty, else the message of oauth_refresh_token().
 */
int oauth_account_token(char **access_token_out, const struct account *a);

#endif
