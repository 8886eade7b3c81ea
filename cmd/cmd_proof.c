#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "cmd.h"
#include "config.h"
#include "mime.h"
#include "preview.h"
#include "render.h"
#include "schedule.h"
#include "sender.h"
#include "smtp.h"
#include "token.h"
#include "util.h"

/*
 * A proof is the recipient's message sent to a test address: marked in the
 * subject, with a token for no recipient, through the recipient's assigned
 * account (or --sink), and recorded nowhere.
 */
static const char *to, *recipient_arg, *sink;

static const struct opt_spec opts[] = {
	OPT_ARG("CAMPAIGN", 0, NULL),
	OPT_VALUE_USAGE("to", &to, "ADDRESS", USAGE_REQUIRED, NULL,
			"the test address (envelope and To)"),
	OPT_VALUE("recipient", &recipient_arg, "ID", "the message of this recipient (default: as preview)"),
	OPT_VALUE("sink", &sink, "URL",
		  "send through this SMTP server instead of the recipient's account"),
	OPT_END
};

static int check_args(struct cmd_ctx *ctx)
{
	const char *why;
	int code = cmd_check_campaign_arg(ctx);

	if (code)
		return code;
	if (!to) {
		cmd_usage_error(ctx, "a proof needs a test address: --to ADDRESS");
		return EXIT_USAGE;
	}
	if (address_check(to, &why) < 0) {
		cmd_usage_error(ctx, "invalid test address '%s': %s", to, why);
		return EXIT_USAGE;
	}
	return preview_check_secret("proof") < 0 ? 1 : 0;
}

static int run(struct cmd_ctx *ctx)
{
	struct preview_target t;
	struct mime_address from = { NULL, NULL };
	struct smtp_reply reply = SMTP_REPLY_INIT;
	struct smtp_options so;
	struct smtp *s = NULL;
	struct buf msg = BUF_INIT;
	char *token = NULL, *bearer = NULL;
	time_t now;
	int code, curl_code = 0;

	code = preview_target_open(&t, ctx, recipient_arg, "proof");
	if (code)
		goto done;
	code = 1;
	if (!t.account) {
		cmd_error("no sending account is assigned to recipient '%s' of campaign '%s' (does owner '%s' have a usable account for it?)",
			  t.recipient.id, t.campaign->id, t.campaign->owner);
		goto done;
	}
	token = token_make(t.keys, t.campaign->id, RENDER_PROOF_RECIPIENT);
	now = clock_now();
	if (!token || now == (time_t)-1) {
		cmd_error("%s", error_last());
		goto done;
	}
	if (render_mime_proof(&msg, t.render, &t.recipient, t.account, token, now, to, NULL) < 0 ||
	    mime_parse_address(&from, t.account->from) < 0) {
		cmd_error("cannot make the proof of recipient '%s': %s", t.recipient.id,
			  error_last());
		goto done;
	}
	if (sink) {
		memset(&so, 0, sizeof(so));
		so.url = sink;
	} else if (sender_account_options(&so, t.account, &bearer) < 0) {
		cmd_error("%s", error_last());
		goto done;
	}
	if (smtp_open(&s, &so) < 0) {
		cmd_error("%s", error_last());
		goto done;
	}
	if (smtp_send(s, from.address, to, msg.ptr, msg.len, &reply, &curl_code) < 0 ||
	    smtp_classify(&reply, curl_code) != SMTP_OK) {
		cmd_error("the proof was not sent: %s", reply.text ? reply.text : error_last());
		goto done;
	}
	cmd_printf("sent a proof of campaign '%s' (the message of recipient '%s') to %s through %s\n",
	       t.campaign->id, t.recipient.id, to,
	       sink ? "the sink" : t.account->id);
	cmd_printf("server: %s\n", reply.text ? reply.text : "");
	code = 0;
done:
	smtp_close(s);
	smtp_reply_release(&reply);
	mime_address_release(&from);
	buf_release(&msg);
	free(token);
	secret_free(bearer);
	preview_target_release(&t);
	return code;
}

const struct command cmd_proof_entry = {
	.name = "proof",
	.summary = "send a proof of a campaign's message to a test address",
	.description = "Sends the message of one recipient of CAMPAIGN, as preview chooses it, to a\n"
		       "test address through the account that would send it.  The subject starts\n"
		       "with \"[Proof] \"; the proof carries no X-Mailout headers, its unsubscribe\n"
		       "link is signed for no recipient, and it counts against no limit.\n",
	.opts = opts,
	.help_column = 21,
	.notes = "Needs MAILOUT_SECRET and the account's secret; nothing is recorded.\n",
	.exit_status = "0 the server accepted the proof\n"
		       "1 it did not, or failure\n"
		       "2 usage: an unknown option, a missing or extra argument\n",
	.flags = NEEDS_REPO | NEEDS_PLAN | CAMPAIGN_ARG,
	.check = check_args,
	.run = run,
};
