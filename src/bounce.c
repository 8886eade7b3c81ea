#include "bounce.h"

#include <stdlib.h>
#include <string.h>

#include "addrhash.h"
#include "campaign.h"
#include "config.h"
#include "log.h"
#include "mailsync.h"
#include "safefile.h"
#include "xalloc.h"

int bounce_parse(struct dsn *out, const char *raw, size_t len)
{
	struct mail_part msg;
	int ret;

	mail_parse(&msg, raw, len);
	ret = dsn_parse(out, &msg);
	mail_part_release(&msg);
	return ret;
}

/* Whether the block's address (NULL: none) is address, or has that hash. */
static int names(const char *block_address, const char *address)
{
	char hash[ADDR_HASH_LEN + 1];

	if (!block_address)
		return 0;
	if (!addr_is_hash(address))
		return !strcmp(block_address, address);
	addr_hash(block_address, hash);
	return !strcmp(hash, address);
}

int bounce_block_is_for(const struct dsn_recipient *r, const char *address)
{
	return names(r->final_recipient, address) || names(r->original_recipient, address);
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

/* ---- the delivery a report is about ---- */

/*
 * Copies the delivery of row into out.  The address to suppress is the
 * one the message went to: as the report names it when it does (a v2 claim
 * keeps only its hash), else the recipient's when that is the same person,
 * else the claim's hash.
 */
static void take_delivery(struct bounce_decision *out, const struct plan_delivery *row)
{
	char hash[ADDR_HASH_LEN + 1];
	const struct dsn_recipient *b = out->block;

	out->campaign = xstrdup(row->campaign);
	out->recipient = xstrdup(row->recipient);
	addr_hash(row->address, hash);
	if (names(b->final_recipient, row->hash))
		out->address = xstrdup(b->final_recipient);
	else if (names(b->original_recipient, row->hash))
		out->address = xstrdup(b->original_recipient);
	else if (!strcmp(hash, row->hash))
		out->address = xstrdup(row->address);
	else
		out->address = xstrdup(row->hash);
	out->account = row->account ? xstrdup(row->account) : NULL;
}

static void forget_delivery(struct bounce_decision *out)
{
	free(out->campaign);
	free(out->recipient);
	free(out->address);
	free(out->account);
	out->campaign = out->recipient = out->address = out->account = NULL;
}

/* The first delivery of it whose block d has (strict as for
 * bounce_pick_recipient()), at most the first row when only_first:
 * 0 with out->block set or NULL, -1 when the plan could not be read. */
static int match_rows(struct bounce_decision *out, struct plan_iter *it, const struct dsn *d,
		      int strict, int only_first)
{
	struct plan_delivery row;
	int rc;

	while ((rc = plan_delivery_next(it, &row)) == PLAN_ROW) {
		out->block = bounce_pick_recipient(d, row.hash, strict);
		if (out->block) {
			take_delivery(out, &row);
			return 0;
		}
		if (only_first)
			break;
	}
	return rc < 0 ? -1 : 0;
}

/* The delivery d is about, by its Message-ID, else by its X-Mailout
 * headers: 0 with out->block set when found, -1 on a plan error. */
static int match(struct bounce_decision *out, struct plan *p, const struct dsn *d)
{
	struct plan_iter *it = NULL;
	int rc = 0;

	if (d->message_id) {
		rc = plan_delivery_by_message_id_open(&it, p, d->message_id);
		if (!rc)
			rc = match_rows(out, it, d, 0, 0);
		plan_iter_free(it);
		it = NULL;
	}
	if (!rc && !out->block && d->campaign && d->recipient) {
		rc = plan_delivery_sent_open(&it, p, d->campaign, d->recipient);
		if (!rc)
			rc = match_rows(out, it, d, 1, 1);
		plan_iter_free(it);
	}
	return rc;
}

int bounce_decide(struct bounce_decision *out, struct plan *p, const struct dsn *d,
		  const char *synced)
{
	memset(out, 0, sizeof(*out));
	if (!bounce_first_failure(d)) {
		out->outcome = BOUNCE_NO_FAILURE;
		return 0;
	}
	if (match(out, p, d) < 0) {
		bounce_decision_release(out);
		return -1;
	}
	if (!out->block || campaign_id_check(out->campaign) != 0) {
		forget_delivery(out);
		out->block = NULL;
		out->outcome = BOUNCE_UNMATCHED;
		return 0;
	}
	/* the log of the account that sent it */
	if (!out->account || id_check(out->account) != 0) {
		free(out->account);
		out->account = xstrdup(synced);
	}
	mailsync_bounce_describe(&out->event, out->block);
	/* Action: failed is final whatever the status; a block without one
	 * reads as failed, as its text says */
	if (out->event.kind == BOUNCE_HARD)
		out->outcome = BOUNCE_SUPPRESSED;
	else if (out->block->action && !strcmp(out->block->action, "delayed"))
		out->outcome = BOUNCE_NOTED;
	else
		out->outcome = BOUNCE_FAILED;
	return 0;
}

void bounce_decision_release(struct bounce_decision *d)
{
	if (!d)
		return;
	forget_delivery(d);
	mailsync_bounce_release(&d->event);
	memset(d, 0, sizeof(*d));
}

/* ---- what a sync records ---- */

void bounce_sync_init(struct bounce_sync *s, struct plan *p, time_t now)
{
	memset(s, 0, sizeof(*s));
	s->p = p;
	s->now = now;
}

static struct buf *log_for(struct bounce_sync *s, const char *campaign, const char *account)
{
	char *path = log_path(campaign, account);
	size_t i;

	for (i = 0; i < s->nlogs; i++) {
		if (!strcmp(s->logs[i].path, path)) {
			free(path);
			return &s->logs[i].text;
		}
	}
	XGROW(s->logs, s->logs_cap, s->nlogs + 1);
	s->logs[s->nlogs].path = path;
	buf_init(&s->logs[s->nlogs].text, 256);
	return &s->logs[s->nlogs++].text;
}

static const char *keep(struct bounce_sync *s, const char *str)
{
	XGROW(s->strings, s->strings_cap, s->nstrings + 1);
	s->strings[s->nstrings] = xstrdup(str);
	return s->strings[s->nstrings++];
}

/* The notification the plan's replay makes of a bounce line: the code and
 * the enhanced code are left out when the text starts with them or they
 * are "-" (as for every event with a server reply). */
static char *notification_of(const struct mailsync_bounce *b)
{
	if (!strncmp(b->text, b->code, strlen(b->code)))
		return xasprintf("bounce: %s", b->text);
	if (!strcmp(b->enhanced, "-"))
		return xasprintf("bounce: %s %s", b->code, b->text);
	return xasprintf("bounce: %s %s %s", b->code, b->enhanced, b->text);
}

/* Whether the plan, or this sync, has the line of decision dc already: 1
 * or 0, -1 when the plan could not be read. */
static int already_recorded(struct bounce_sync *s, const struct bounce_decision *dc)
{
	char *notification = notification_of(&dc->event);
	char *key = xasprintf("%s\t%s\t%s", dc->campaign, dc->recipient, notification);
	int added, ret = 1;

	strmap_put(&s->recorded, key, &added);
	if (added)
		ret = plan_notification_exists(s->p, dc->campaign, dc->recipient, notification);
	free(key);
	free(notification);
	return ret;
}

int bounce_sync_add(struct bounce_sync *s, struct bounce_decision *out, const struct dsn *d,
		    const char *synced)
{
	struct mailsync_suppression *line;
	const char *fields[4];
	int found;

	if (bounce_decide(out, s->p, d, synced) < 0)
		return -1;
	found = out->outcome != BOUNCE_NO_FAILURE && out->outcome != BOUNCE_UNMATCHED ?
			already_recorded(s, out) : 0;
	if (found < 0)
		return -1;
	if (found)
		out->outcome = BOUNCE_RECORDED_BEFORE;
	s->outcomes[out->outcome]++;
	if (found || out->outcome == BOUNCE_NO_FAILURE || out->outcome == BOUNCE_UNMATCHED)
		return 0;
	s->kinds[out->event.kind]++;
	fields[0] = out->recipient;
	fields[1] = out->event.code;
	fields[2] = out->event.enhanced;
	fields[3] = out->event.text;
	log_format(log_for(s, out->campaign, out->account), s->now, LOG_BOUNCE, fields, 4);
	if (out->outcome == BOUNCE_SUPPRESSED) {
		XGROW(s->suppress, s->suppress_cap, s->nsuppress + 1);
		line = &s->suppress[s->nsuppress++];
		memset(line, 0, sizeof(*line));
		line->address = keep(s, out->address);
		line->reason = "bounced";
		line->time = s->now;
		line->source = keep(s, out->campaign);
	}
	return 0;
}

int bounce_sync_write(struct bounce_sync *s, const char *root, size_t *logs_written,
		      size_t *suppressed)
{
	size_t i;

	*logs_written = 0;
	*suppressed = 0;
	for (i = 0; i < s->nlogs; i++) {
		if (log_append(root, s->logs[i].path, s->logs[i].text.ptr, s->logs[i].text.len, 1) < 0)
			return -1;
		(*logs_written)++;
	}
	if (s->nsuppress &&
	    mailsync_suppress(root, s->suppress, s->nsuppress, s->hash_suppressions, suppressed) < 0)
		return -1;
	return 0;
}

void bounce_sync_clear(struct bounce_sync *s)
{
	size_t i;

	for (i = 0; i < s->nlogs; i++) {
		free(s->logs[i].path);
		buf_release(&s->logs[i].text);
	}
	s->nlogs = 0;
	for (i = 0; i < s->nstrings; i++)
		free(s->strings[i]);
	s->nstrings = 0;
	s->nsuppress = 0;
	memset(s->outcomes, 0, sizeof(s->outcomes));
	memset(s->kinds, 0, sizeof(s->kinds));
}

void bounce_sync_release(struct bounce_sync *s)
{
	if (!s)
		return;
	bounce_sync_clear(s);
	free(s->logs);
	free(s->suppress);
	free(s->strings);
	strmap_release(&s->recorded, NULL);
	memset(s, 0, sizeof(*s));
}

char **bounce_sync_files(const char *root, const struct config *cfg, size_t *n)
{
	char **names = NULL, **files;
	int ncampaigns = content_list(&names, root, "campaigns", NULL, 1);
	size_t i, j, k = 0, nc = ncampaigns > 0 ? (size_t)ncampaigns : 0;

	files = xcalloc(nc * cfg->naccounts + 3, sizeof(char *));
	files[k++] = xstrdup(SUPPRESSIONS_FILE);
	files[k++] = xstrdup(BOUNCE_STATE_FILE);
	for (i = 0; i < nc; i++) {
		for (j = 0; j < cfg->naccounts; j++)
			files[k++] = log_path(names[i], cfg->accounts[j].id);
	}
	free_list(names, nc);
	*n = k;
	return files;
}

const struct account *bounce_mailbox_read_before(const struct config *cfg, size_t k)
{
	const struct account *a = &cfg->accounts[k], *b;
	size_t i;

	for (i = 0; i < k; i++) {
		b = &cfg->accounts[i];
		if (b->imap && !strcmp(b->imap, a->imap) &&
		    !strcmp(b->username ? b->username : "", a->username ? a->username : ""))
			return b;
	}
	return NULL;
}
