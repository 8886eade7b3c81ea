/*
 * What `mailout preview` and `mailout proof` share: a campaign's message
 * for one of its recipients, made by the same code as the sender's.
 */
#ifndef MAILOUT_CMD_PREVIEW_H
#define MAILOUT_CMD_PREVIEW_H

#include "cmd.h"
#include "plan.h"
#include "recipients.h"
#include "render.h"
#include "token.h"

struct preview_target {
	const struct campaign *campaign; /* the command's (CAMPAIGN_ARG) */
	struct recipient recipient; /* strings in holder */
	struct plan_recipient_holder holder;
	const struct account *account; /* the plan's assignment; NULL when none */
	struct render *render;
	struct token_keys *keys;
};

/*
 * Whether MAILOUT_SECRET makes token keys: 0, or -1 after printing what is
 * wrong.  verb ("preview", "proof") goes into the message about a missing
 * secret.
 */
int preview_check_secret(const char *verb);

/*
 * Reads the token keys (MAILOUT_SECRET), finds the recipient of the plan's
 * campaign ctx->campaign (recipient NULL: the first pending delivery in
 * send order, else the first delivery) with its assigned account, and
 * compiles the campaign's messages.  Returns 0, or an exit code after
 * printing what is wrong; release *t with preview_target_release() in
 * every case.
 */
int preview_target_open(struct preview_target *t, struct cmd_ctx *ctx, const char *recipient,
			const char *verb);
void preview_target_release(struct preview_target *t);

#endif
