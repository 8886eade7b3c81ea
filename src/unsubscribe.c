#include "unsubscribe.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "diag.h"
#include "mailparse.h"
#include "mailsync.h"
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

static void verdict(struct unsubscribe_outcome *out, enum unsubscribe_verdict v, char *detail)
{
	out->verdict = v;
	out->detail = detail;
}

/* A request with a verified token: the recipient's address, from the plan. */
static int classify_token(struct unsubscribe_outcome *out, struct plan *p,
			  const struct unsubscribe_request *u)
{
	char *address = NULL;

	if (plan_recipient_address(p, u->campaign, u->recipient, &address) < 0)
		return -1;
	if (!address) {
		verdict(out, UNSUBSCRIBE_VERDICT_UNKNOWN_RECIPIENT,
			xasprintf("ignored: a valid token for recipient %s of %s, but the plan has no such recipient",
				  u->recipient, u->campaign));
		return 0;
	}
	verdict(out, UNSUBSCRIBE_VERDICT_UNSUBSCRIBE,
		xasprintf("recipient %s of %s", u->recipient, u->campaign));
	out->address = address;
	out->source = xstrdup(u->campaign);
	return 0;
}

/* A request without a token: a known recipient who says so. */
static int classify_mail(struct unsubscribe_outcome *out, struct plan *p,
			 struct unsubscribe_request *u)
{
	char *id = NULL;

	if (u->from && plan_recipient_by_address(p, u->from, &id) < 0)
		return -1;
	if (id && u->asks) {
		verdict(out, UNSUBSCRIBE_VERDICT_UNSUBSCRIBE,
			xasprintf("recipient %s, by a mail from the address", id));
		out->address = u->from;
		u->from = NULL;
		out->source = xstrdup("mail");
	} else {
		verdict(out, UNSUBSCRIBE_VERDICT_NO_TOKEN,
			xstrdup(id ? "ignored: no token, and the message does not ask to unsubscribe" :
				     "ignored: no token, and the sender is not a known recipient"));
	}
	free(id);
	return 0;
}

int unsubscribe_classify(struct unsubscribe_outcome *out, struct plan *p,
			 const struct token_keys *keys, const char *raw, size_t len, int damaged)
{
	struct unsubscribe_request u;
	int ret = 0;

	memset(out, 0, sizeof(*out));
	unsubscribe_parse(&u, keys, raw, len);
	switch (u.kind) {
	case UNSUBSCRIBE_TOKEN:
		ret = classify_token(out, p, &u);
		break;
	case UNSUBSCRIBE_FORGED:
		verdict(out, UNSUBSCRIBE_VERDICT_FORGED, xasprintf("ignored: forged token (%s)", u.why));
		break;
	case UNSUBSCRIBE_UNKNOWN_KEY:
		verdict(out, UNSUBSCRIBE_VERDICT_UNKNOWN_KEY, xasprintf("ignored: %s", u.why));
		break;
	case UNSUBSCRIBE_MALFORMED:
		verdict(out, UNSUBSCRIBE_VERDICT_MALFORMED, xasprintf("ignored: %s", u.why));
		break;
	case UNSUBSCRIBE_MANGLED:
		verdict(out, UNSUBSCRIBE_VERDICT_MALFORMED, xstrdup("ignored: malformed unsubscribe token"));
		break;
	case UNSUBSCRIBE_NO_TOKEN:
		if (damaged)
			verdict(out, UNSUBSCRIBE_VERDICT_MALFORMED,
				xstrdup("ignored: the message arrived damaged and holds no token"));
		else
			ret = classify_mail(out, p, &u);
		break;
	}
	if (ret < 0)
		unsubscribe_outcome_release(out);
	unsubscribe_request_release(&u);
	return ret;
}

void unsubscribe_outcome_release(struct unsubscribe_outcome *o)
{
	if (!o)
		return;
	free(o->address);
	free(o->source);
	free(o->detail);
	memset(o, 0, sizeof(*o));
}

int unsubscribe_suppress(const char *root, struct unsubscribe_outcome *o, size_t n, time_t now,
			 int hash, size_t *added_out)
{
	struct mailsync_suppression *lines = xcalloc(n + 1, sizeof(*lines));
	size_t *of = xcalloc(n + 1, sizeof(*of));
	size_t i, nlines = 0, added = 0;
	int ret = 0;

	for (i = 0; i < n; i++) {
		o[i].added = 0;
		if (o[i].verdict != UNSUBSCRIBE_VERDICT_UNSUBSCRIBE)
			continue;
		of[nlines] = i;
		lines[nlines].address = o[i].address;
		lines[nlines].reason = "unsubscribed";
		lines[nlines].time = now;
		lines[nlines].source = o[i].source;
		nlines++;
	}
	if (nlines)
		ret = mailsync_suppress(root, lines, nlines, hash, &added);
	for (i = 0; !ret && i < nlines; i++)
		o[of[i]].added = lines[i].added;
	if (added_out)
		*added_out = ret ? 0 : added;
	free(lines);
	free(of);
	return ret;
}
