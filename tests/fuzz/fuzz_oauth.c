/*
 * The OAuth2 token server's JSON answer, read for its access_token (HTTP
 * 200) or its error and error_description (any other status).
 */
#include <stdlib.h>

#include "fuzz.h"
#include "smtp.h"

#define TOKEN_URL "https://oauth.example.com/token"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *answer = (const char *)data;
	char *token = NULL;
	const char *p;

	if (smtp_oauth2_answer(&token, TOKEN_URL, 200, answer, size) == 0) {
		if (!token || !*token)
			abort();
		for (p = token; *p; p++)
			if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f)
				abort();
	} else if (token) {
		abort();
	}
	free(token);
	if (smtp_oauth2_answer(&token, TOKEN_URL, 400, answer, size) == 0 || token)
		abort();
	return 0;
}
