#include "bounce.h"

#include <string.h>

#include "mailsync.h"

int bounce_parse(struct dsn *out, const char *raw, size_t len)
{
	struct mail_part msg;
	int ret;

	mail_parse(&msg, raw, len);
	ret = dsn_parse(out, &msg);
	mail_part_release(&msg);
	return ret;
}

int bounce_block_is_for(const struct dsn_recipient *r, const char *address)
{
	return (r->final_recipient && !strcmp(r->final_recipient, address)) ||
	       (r->original_recipient && !strcmp(r->original_recipient, address));
}

static int fails(const struct dsn_recipient *r)
{
	return mailsync_bounce_kind(r->action, r->status) != BOUNCE_NONE;
}

const struct dsn_recipient *bounce_first_failure(const struct dsn *d)
{
	size_t i;

	for (i = 0; i < d->count; i++) {
		if (fails(&d->recipients[i]))
			return &d->recipients[i];
	}
	return NULL;
}

const struct dsn_recipient *bounce_pick_recipient(const struct dsn *d, const char *address,
						  int strict)
{
	const struct dsn_recipient *only = NULL;
	size_t i, failing = 0;

	for (i = 0; i < d->count; i++) {
		if (!fails(&d->recipients[i]))
			continue;
		if (bounce_block_is_for(&d->recipients[i], address))
			return &d->recipients[i];
		failing++;
		only = &d->recipients[i];
	}
	return !strict && failing == 1 ? only : NULL;
}
