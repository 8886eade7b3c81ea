/*
 * Unsubscribe tokens as they arrive in mail and links: token_find(),
 * token_looks_like() and token_verify() on any bytes.  A token found has
 * the shape token_verify() wants; a token made from ids cut from the input
 * (CAMPAIGN\nRECIPIENT) verifies back to them.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "token.h"
#include "xalloc.h"

static struct token_keys *keys;

static void keys_free(void)
{
	token_keys_free(keys);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data, *nl;
	char *campaign = NULL, *recipient = NULL, *token, *c2 = NULL, *r2 = NULL;
	size_t start, len;

	if (!keys) {
		if (token_keys_from_secret(&keys, FUZZ_SECRET, NULL) < 0)
			abort();
		atexit(keys_free);
	}
	if (token_verify(keys, text, size, &campaign, &recipient) == TOKEN_OK &&
	    (!campaign || !recipient))
		abort();
	free(campaign);
	free(recipient);
	campaign = recipient = NULL;
	if (token_find(text, size, &start, &len) == 0) {
		if (start + len > size || token_verify(keys, text + start, len, NULL, NULL) == TOKEN_MALFORMED)
			abort();
		if (!token_looks_like(text, size) && len >= 20)
			abort();
	}
	nl = memchr(text, '\n', size);
	if (nl) {
		campaign = xstrndup(text, (size_t)(nl - text));
		recipient = xstrndup(nl + 1, size - (size_t)(nl - text) - 1);
		token = token_make(keys, campaign, recipient);
		if (token) {
			if (token_verify(keys, token, strlen(token), &c2, &r2) != TOKEN_OK ||
			    strcmp(c2, campaign) || strcmp(r2, recipient))
				abort();
			if (token_find(token, strlen(token), &start, &len) < 0 || start ||
			    len != strlen(token))
				abort();
		}
		free(token);
		free(c2);
		free(r2);
		free(campaign);
		free(recipient);
	}
	return 0;
}
