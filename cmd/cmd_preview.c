#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "cmd.h"
#include "diag.h"
#include "plan.h"
#include "preview.h"
#include "render.h"
#include "schedule.h"
#include "token.h"
#include "util.h"
#include "xalloc.h"

static int read_keys(struct token_keys **out, const char *verb)
{
	const char *secret = getenv("MAILOUT_SECRET");

	if (!secret || !*secret) {
		cmd_error("MAILOUT_SECRET is not set: %s signs the unsubscribe link with it (at least %d bytes, e.g. from 'openssl rand -base64 48')",
			  verb, TOKEN_SECRET_MIN);
		return -1;
	}
	if (token_keys_from_env(out) < 0) {
		cmd_error("%s", error_last());
		return -1;
	}
	return 0;
}

int preview_check_secret(const char *verb)
{
	struct token_keys *keys = NULL;
	int ret = read_keys(&keys, verb);

	token_keys_free(keys);
	return ret;
}

int preview_target_open(struct preview_target *t, struct cmd_ctx *ctx, const char *recipient,
			const char *verb)
{
	struct diag_list diags = DIAG_LIST_INIT;
	struct plan *p = ctx->plan;
	const char *campaign = ctx->campaign->id;
	char *rid = NULL, *aid = NULL;
	int code = 1, r;

	memset(t, 0, sizeof(*t));
	if (read_keys(&t->keys, verb) < 0)
		goto done;
	t->campaign = ctx->campaign;
	if (!t->campaign->valid) {
		cmd_error("campaign '%s' has errors ('mailout validate' shows them)", campaign);
		goto done;
	}
	r = plan_preview_delivery(p, campaign, recipient, &rid, &aid);
	if (r < 0) {
		cmd_error("%s", error_last());
		goto done;
	}
	if (!r) {
		if (recipient)
			cmd_error("'%s' is not a recipient of campaign '%s'", recipient, campaign);
		else
			cmd_error("campaign '%s' has no recipients", campaign);
		goto done;
	}
	r = plan_recipient(p, t->campaign->type, rid, &t->recipient, &t->holder);
	if (r != 0) {
		cmd_error("recipient '%s' of campaign '%s' is missing from the plan%s%s", rid,
			  campaign, r < 0 ? ": " : "", r < 0 ? error_last() : "");
		goto done;
	}
	t->account = aid ? config_account(plan_config(p), aid) : NULL;
	if (render_open(&t->render, plan_root(p), plan_config(p), t->campaign, &diags) < 0) {
		diag_sort(&diags);
		diag_print(stderr, &diags);
		cmd_error("%s", error_last());
		goto done;
	}
	code = 0;
done:
	diag_release(&diags);
	free(rid);
	free(aid);
	return code;
}

void preview_target_release(struct preview_target *t)
{
	render_free(t->render);
	plan_recipient_holder_release(&t->holder);
	token_keys_free(t->keys);
	memset(t, 0, sizeof(*t));
}

static const char *recipient_arg, *format_arg;

static const struct opt_spec opts[] = {
	OPT_ARG("CAMPAIGN", 0, NULL),
	OPT_VALUE("recipient", &recipient_arg, "ID",
		  "this recipient (default: the first pending one in send order)"),
	OPT_VALUE_USAGE("format", &format_arg, "FMT", 0, "eml|html|text",
			"eml: the whole message as sent (default); html or text: one part"),
	OPT_END
};

static int check_args(struct cmd_ctx *ctx)
{
	const char *format = format_arg ? format_arg : "eml";
	int code = cmd_check_campaign_arg(ctx);

	if (code)
		return code;
	if (strcmp(format, "eml") && strcmp(format, "html") && strcmp(format, "text")) {
		cmd_usage_error(ctx, "unknown format '%s': use eml, html or text", format);
		return EXIT_USAGE;
	}
	return preview_check_secret("preview") < 0 ? 1 : 0;
}

static int run(struct cmd_ctx *ctx)
{
	struct preview_target t;
	struct rendered m = { NULL, NULL, NULL, NULL };
	struct buf msg = BUF_INIT;
	const char *format = format_arg ? format_arg : "eml";
	char *token = NULL;
	time_t now;
	int code;

	code = preview_target_open(&t, ctx, recipient_arg, "preview");
	if (code)
		goto done;
	code = 1;
	token = token_make(t.keys, t.campaign->id, t.recipient.id);
	if (!token) {
		cmd_error("%s", error_last());
		goto done;
	}
	if (strcmp(format, "eml")) {
		if (render_recipient(&m, t.render, &t.recipient, token) < 0) {
			cmd_error("%s", error_last());
			goto done;
		}
		fputs(!strcmp(format, "html") ? m.html : m.text, stdout);
		code = 0;
		goto done;
	}
	if (!t.account) {
		cmd_error("no sending account is assigned to recipient '%s' of campaign '%s' (does owner '%s' have a usable account for it?)",
			  t.recipient.id, t.campaign->id, t.campaign->owner);
		goto done;
	}
	now = clock_now();
	if (now == (time_t)-1) {
		cmd_error("%s", error_last());
		goto done;
	}
	if (render_mime(&msg, t.render, &t.recipient, t.account, token, now, NULL, NULL) < 0) {
		cmd_error("cannot make the message for recipient '%s': %s", t.recipient.id,
			  error_last());
		goto done;
	}
	fwrite(msg.ptr, 1, msg.len, stdout);
	code = 0;
done:
	rendered_release(&m);
	buf_release(&msg);
	free(token);
	preview_target_release(&t);
	return code;
}

const struct command cmd_preview_entry = {
	.name = "preview",
	.summary = "print the message a recipient would get",
	.description = "Prints exactly what send would hand to the SMTP server for one recipient of\n"
		       "CAMPAIGN, byte for byte but for Date, Message-ID and the MIME boundary.  The\n"
		       "output holds that recipient's real, working unsubscribe link.\n",
	.opts = opts,
	.help_column = 21,
	.notes = "Needs MAILOUT_SECRET (the unsubscribe link is signed).\n",
	.flags = NEEDS_REPO | NEEDS_PLAN | CAMPAIGN_ARG,
	.check = check_args,
	.run = run,
};
