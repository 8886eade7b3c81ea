/*
 * The OAuth2 token server's JSON reply, read for its access_token or its
 * error and error_description.
 */
#include <stdlib.h>

#include "buf.h"
#include "fuzz.h"
#include "oauth.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct oauth_token t = OAUTH_TOKEN_INIT;
	struct buf err = BUF_INIT;
	const char *p;

	if (oauth_parse_token_reply(&t, (const char *)data, size, &err) == 0) {
		if (!t.access_token || !*t.access_token || err.len)
			abort();
		for (p = t.access_token; *p; p++)
			if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f)
				abort();
	} else if (t.access_token || !err.len) {
		abort();
	}
	oauth_token_release(&t);
	buf_release(&err);
	return 0;
}
