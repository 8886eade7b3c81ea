/*
 * Mail as it arrives in the unsubscribe mailbox and the accounts' inboxes:
 * mail_parse() and what the syncs read from the tree (headers, encoded
 * words, addresses, the readable text), delivery status notifications
 * and the bounce matching of `mailout bounces sync`, and the unsubscribe
 * request of `mailout unsubscribes sync`.
 */
#include <stdlib.h>
#include <string.h>

#include "bounce.h"
#include "buf.h"
#include "fuzz.h"
#include "mailparse.h"
#include "mailsync.h"
#include "token.h"
#include "unsubscribe.h"

static struct token_keys *keys;

static void keys_free(void)
{
	token_keys_free(keys);
}

static void walk(const struct mail_part *p)
{
	static const char *const names[] = { "Subject", "From", "Message-ID", "To", NULL };
	char *s;
	size_t i;

	for (i = 0; names[i]; i++) {
		const char *v = mail_header(p, names[i]);

		s = mail_decode_words(v ? v : "");
		free(s);
		free(v ? mail_address(v) : NULL);
		free(v ? mail_message_id(v) : NULL);
	}
	if (strlen(p->body) > p->body_len)
		abort();
	for (i = 0; i < p->nparts; i++)
		walk(&p->parts[i]);
}

static void bounce(const char *raw, size_t len)
{
	struct mailsync_bounce b;
	struct dsn d;
	size_t i;

	if (bounce_parse(&d, raw, len) < 0) {
		if (d.count || d.recipients)
			abort();
		return;
	}
	if (!d.count)
		abort();
	bounce_first_failure(&d);
	bounce_pick_recipient(&d, FUZZ_ADDRESS, 0);
	bounce_pick_recipient(&d, FUZZ_ADDRESS, 1);
	for (i = 0; i < d.count; i++) {
		memset(&b, 0, sizeof(b));
		mailsync_bounce_describe(&b, &d.recipients[i]);
		mailsync_bounce_kind_name(b.kind);
		mailsync_bounce_release(&b);
	}
	dsn_release(&d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *raw = (const char *)data;
	struct unsubscribe_request u;
	struct mail_part msg;
	struct buf text = BUF_INIT;
	const char *first;
	size_t first_len;

	if (!keys) {
		if (token_keys_from_secret(&keys, FUZZ_SECRET, NULL) < 0)
			abort();
		atexit(keys_free);
	}
	mail_parse(&msg, raw, size);
	walk(&msg);
	mail_text(&text, &msg);
	first = mail_first_line(text.ptr, &first_len);
	if (first_len && (first < text.ptr || first + first_len > text.ptr + text.len))
		abort();
	mail_part_release(&msg);
	buf_release(&text);

	bounce(raw, size);

	unsubscribe_parse(&u, keys, raw, size);
	if ((u.kind == UNSUBSCRIBE_TOKEN) != (u.campaign && u.recipient))
		abort();
	unsubscribe_request_release(&u);
	return 0;
}
