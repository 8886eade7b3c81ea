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

/*
 * A proof is the recipient's message sent to a test address: marked in the
 * subject, with a token for no recipient, through the recipient's assigned
 * account (or --sink), and recorded nowhere.
 */
int cmd_proof(struct cmd_ctx *ctx, int argc, char **argv)
{
	struct opt opts[] = { { "to", 1, 0, NULL, NULL, 0 },
			      { "recipient", 1, 0, NULL, NULL, 0 },
			      { "sink", 1, 0, NULL, NULL, 0 },
			      { NULL, 0, 0, NULL, NULL, 0 } };
	struct preview_target t;
	struct mime_address from = { NULL, NULL };
	struct smtp_reply reply = SMTP_REPLY_INIT;
	struct smtp_options so;
	struct smtp *s = NULL;
	struct buf msg = BUF_INIT;
	const char *to, *why;
	char **args = NULL, *token = NULL, *bearer = NULL;
	size_t nargs = 0;
	time_t now;
	int r, code = 1, curl_code = 0;

	memset(&t, 0, sizeof(t));
	r = opts_parse(ctx, argc, argv, opts, &args, &nargs);
	if (r)
		return r > 0 ? 0 : EXIT_USAGE;
	if (nargs != 1) {
		cmd_usage_error(ctx, nargs ? "unexpected argument '%s'" : "which campaign?%s",
				nargs ? args[1] : "");
		code = EXIT_USAGE;
		goto done;
	}
	if (!opts[0].seen) {
		cmd_usage_error(ctx, "a proof needs a test address: --to ADDRESS");
		code = EXIT_USAGE;
		goto done;
	}
	to = opts[0].value;
	if (address_check(to, &why) < 0) {
		cmd_usage_error(ctx, "invalid test address '%s': %s", to, why);
		code = EXIT_USAGE;
		goto done;
	}
	code = preview_target_open(&t, ctx, args[0], opts[1].seen ? opts[1].value : NULL, "proof");
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
	if (opts[2].seen) {
		memset(&so, 0, sizeof(so));
		so.url = opts[2].value;
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
	       opts[2].seen ? "the sink" : t.account->id);
	cmd_printf("server: %s\n", reply.text ? reply.text : "");
	code = 0;
done:
	smtp_close(s);
	smtp_reply_release(&reply);
	mime_address_release(&from);
	buf_release(&msg);
	free(token);
	free(bearer);
	preview_target_release(&t);
	opts_release(opts, args);
	return code;
}
