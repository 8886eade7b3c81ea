/*
 * The campaigns' status as `mailout status` gives it to scripts: the JSON
 * document of --json (its field names are a contract: extend, never
 * rename) and what --check exits 1 for.
 */
#ifndef MAILOUT_STATUS_H
#define MAILOUT_STATUS_H

#include <stddef.h>

#include "buf.h"
#include "plan.h"

/*
 * Appends the JSON document of the n summaries to out:
 *   {"plan": {"commit": ..., "dirty": ..., "built_at": ...}, "campaigns": [
 *     {"id": ..., "name": ..., ..., "notifications": [...]},
 *   ...]}
 * one campaign a line, ending in a newline.
 */
void status_json(struct buf *out, struct plan *p, const struct campaign_summary *list, size_t n);

/* The same document for one campaign in detail (`status CAMPAIGN --json`):
 * its object also says why each suppressed delivery is suppressed,
 *   "suppressed_deliveries": [{"recipient": ..., "address": ...,
 *     "bounce": {"campaign", "recipient", "time", "code", "enhanced",
 *     "reply"} | null, "listed": "unsubscribed" | "bounced" | "manual" | null}]
 * Returns -1 when the plan fails (error_set()). */
int status_json_detail(struct buf *out, struct plan *p, const struct campaign_summary *s);

/*
 * Appends `accounts list --json`: the n accounts (plan_accounts()) as
 *   [{"id": ..., "owner": ..., "enabled": true|false, "usable": true|false,
 *     "reason": why not usable | null},
 *    ...]
 * one account a line, ending in a newline.
 */
void status_accounts_json(struct buf *out, const struct account_summary *list, size_t n);

/* Whether one of the n campaigns is interrupted, has an account with a
 * critical error, or a claim unconfirmed for more than
 * PLAN_UNCONFIRMED_ALERT. */
int status_needs_attention(const struct campaign_summary *list, size_t n);

/* Whether `mailout confirm` resolves account's unconfirmed claims: the
 * account has `imap:`, where its Sent folder is searched. */
int status_confirm_applies(const struct config *cfg, const char *account);

/* Appends the command that resolves the unconfirmed claims of campaign on
 * account: "mailout confirm" when the account has `imap:` (its Sent
 * folder shows what the server accepted), else "mailout retry CAMPAIGN
 * --unconfirmed" (which sends them again). */
void status_unconfirmed_command(struct buf *out, const struct config *cfg, const char *campaign,
				const char *account);

/*
 * Appends one line (with its newline) per campaign and account of the n
 * summaries with claims unconfirmed for more than PLAN_UNCONFIRMED_ALERT:
 *   campaign 'one', account 'ann-a': 2 claims unconfirmed for more than
 *   an hour (the oldest since 2026-12-07T07:30:00Z): run mailout retry one
 *   --unconfirmed
 * (one line; "1 claim").  Returns the number of lines.
 */
size_t status_unconfirmed_alerts(struct buf *out, const struct config *cfg,
				 const struct campaign_summary *list, size_t n);

#endif
