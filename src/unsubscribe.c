#include "unsubscribe.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "diag.h"
#include "mailparse.h"
#include "xalloc.h"

int unsubscribe_says(const char *s, size_t len)
{
	static const char *const words[] = { "unsubscribe", "abmelden", NULL };
	size_t i, k, n;

	for (k = 0; words[k]; k++) {
		n = strlen(words[k]);
		for (i = 0; i + n <= len; i++) {
			if (!strncasecmp(s + i, words[k], n))
				return 1;
		}
	}
	return 0;
}

/*
 * Looks for a verified token in text.  Returns 1 with out->campaign and
 * out->recipient set, 0 when there is none; *failure keeps the first
 * verification failure (a token_result) and out->why its message.
 */
static int find_token(struct unsubscribe_request *out, const struct token_keys *keys,
		      const char *text, size_t len, int *failure)
{
	size_t off = 0, start, n;
	int tries, r;

	for (tries = 0; tries < UNSUBSCRIBE_TOKENS_MAX && off < len; tries++) {
		if (token_find(text + off, len - off, &start, &n) < 0)
			break;
		r = token_verify(keys, text + off + start, n, &out->campaign, &out->recipient);
		if (r == TOKEN_OK)
			return 1;
		if (!*failure) {
			*failure = r;
			out->why = xstrdup(error_last());
		}
		off += start + n;
	}
	return 0;
}

void unsubscribe_parse(struct unsubscribe_request *out, const struct token_keys *keys,
		       const char *raw, size_t len)
{
	struct mail_part msg;
	struct buf text = BUF_INIT;
	const char *v, *first;
	char *subject = NULL;
	size_t first_len;
	int failure = 0;

	memset(out, 0, sizeof(*out));
	mail_parse(&msg, raw, len);
	v = mail_header(&msg, "Subject");
	subject = mail_decode_words(v ? v : "");
	mail_text(&text, &msg);
	if (find_token(out, keys, subject, strlen(subject), &failure) ||
	    find_token(out, keys, text.ptr, text.len, &failure)) {
		free(out->why);
		out->why = NULL;
		out->kind = UNSUBSCRIBE_TOKEN;
	} else if (failure == TOKEN_BAD_MAC) {
		out->kind = UNSUBSCRIBE_FORGED;
	} else if (failure == TOKEN_UNKNOWN_KEY) {
		out->kind = UNSUBSCRIBE_UNKNOWN_KEY;
	} else if (failure) {
		out->kind = UNSUBSCRIBE_MALFORMED;
	} else if (token_looks_like(subject, strlen(subject)) ||
		   token_looks_like(text.ptr, text.len)) {
		out->kind = UNSUBSCRIBE_MANGLED;
	} else {
		out->kind = UNSUBSCRIBE_NO_TOKEN;
	}
	v = mail_header(&msg, "From");
	out->from = v ? mail_address(v) : NULL;
	first = mail_first_line(text.ptr, &first_len);
	out->asks = unsubscribe_says(subject, strlen(subject)) || unsubscribe_says(first, first_len);
	mail_part_release(&msg);
	buf_release(&text);
	free(subject);
}

void unsubscribe_request_release(struct unsubscribe_request *r)
{
	free(r->campaign);
	free(r->recipient);
	free(r->why);
	free(r->from);
	memset(r, 0, sizeof(*r));
}
