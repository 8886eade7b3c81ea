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

static void unknown_campaign(const struct plan *p, const char *id)
{
	const struct campaigns *campaigns = plan_campaigns(p);
	const char **ids = xcalloc(campaigns->count + 1, sizeof(*ids));
	const char *hint;
	size_t i;

	for (i = 0; i < campaigns->count; i++)
		ids[i] = campaigns->items[i].id;
	hint = suggest_closest(id, ids, campaigns->count);
	if (hint)
		cmd_error("unknown campaign '%s' (did you mean '%s'?)", id, hint);
	else
		cmd_error("unknown campaign '%s'", id);
	free(ids);
}

int preview_target_open(struct preview_target *t, struct cmd_ctx *ctx, const char *campaign,
			const char *recipient, const char *verb)
{
	struct diag_list diags = DIAG_LIST_INIT;
	char *rid = NULL, *aid = NULL;
	int code = 1, r;

	memset(t, 0, sizeof(*t));
	if (read_keys(&t->keys, verb) < 0)
		goto done;
	t->plan = cmd_open_plan(ctx, NULL, 0);
	if (!t->plan)
		goto done;
	t->campaign = campaigns_find(plan_campaigns(t->plan), campaign);
	if (!t->campaign) {
		unknown_campaign(t->plan, campaign);
		goto done;
	}
	if (!t->campaign->valid) {
		cmd_error("campaign '%s' has errors ('mailout validate' shows them)", campaign);
		goto done;
	}
	r = plan_preview_delivery(t->plan, campaign, recipient, &rid, &aid);
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
	r = plan_recipient(t->plan, t->campaign->type, rid, &t->recipient, &t->holder);
	if (r != 0) {
		cmd_error("recipient '%s' of campaign '%s' is missing from the plan%s%s", rid,
			  campaign, r < 0 ? ": " : "", r < 0 ? error_last() : "");
		goto done;
	}
	t->account = aid ? config_account(plan_config(t->plan), aid) : NULL;
	if (render_open(&t->render, plan_root(t->plan), plan_config(t->plan), t->campaign, &diags) < 0) {
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
	plan_close(t->plan);
	token_keys_free(t->keys);
	memset(t, 0, sizeof(*t));
}

int cmd_preview(struct cmd_ctx *ctx, int argc, char **argv)
{
	struct opt opts[] = { { "recipient", 1, 0, NULL, NULL, 0 },
			      { "format", 1, 0, NULL, NULL, 0 },
			      { NULL, 0, 0, NULL, NULL, 0 } };
	struct preview_target t;
	struct rendered m = { NULL, NULL, NULL, NULL };
	struct buf msg = BUF_INIT;
	const char *format = "eml";
	char **args = NULL, *token = NULL;
	size_t nargs = 0;
	time_t now;
	int r, code = 1;

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
	if (opts[1].seen)
		format = opts[1].value;
	if (strcmp(format, "eml") && strcmp(format, "html") && strcmp(format, "text")) {
		cmd_usage_error(ctx, "unknown format '%s': use eml, html or text", format);
		code = EXIT_USAGE;
		goto done;
	}
	code = preview_target_open(&t, ctx, args[0], opts[0].seen ? opts[0].value : NULL,
				   "preview");
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
	opts_release(opts, args);
	return code;
}
