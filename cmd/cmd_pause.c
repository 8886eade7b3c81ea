#include <stdio.h>

#include "campaign.h"
#include "cmd.h"
#include "plan.h"

/* The campaign named by the one argument, from the refreshed plan. */
int cmd_campaign_arg(struct cmd_ctx *ctx, int argc, char **argv, struct plan **plan_out,
		     const struct campaign **out)
{
	struct opt opts[] = { { NULL, 0, 0, NULL, NULL, 0 } };
	char **args = NULL;
	size_t nargs = 0;
	int r, code = 1;

	*plan_out = NULL;
	*out = NULL;
	r = opts_parse(ctx, argc, argv, opts, &args, &nargs);
	if (r) {
		code = r > 0 ? -1 : EXIT_USAGE;
		goto done;
	}
	if (nargs != 1) {
		cmd_usage_error(ctx, nargs ? "unexpected argument '%s'" : "which campaign?%s",
				nargs ? args[1] : "");
		code = EXIT_USAGE;
		goto done;
	}
	*plan_out = cmd_open_plan(ctx, NULL, 0);
	if (!*plan_out)
		goto done;
	*out = campaigns_find(&(*plan_out)->campaigns, args[0]);
	if (!*out) {
		cmd_error("unknown campaign '%s'", args[0]);
		goto done;
	}
	code = 0;
done:
	opts_release(opts, args);
	return code;
}

int cmd_pause(struct cmd_ctx *ctx, int argc, char **argv)
{
	const struct campaign *c;
	struct plan *p = NULL;
	int code = cmd_campaign_arg(ctx, argc, argv, &p, &c);

	if (code)
		goto done;
	code = 1;
	if (c->status == CAMPAIGN_MERGED) {
		cmd_error("campaign '%s' was merged into '%s'; it sends nothing anyway", c->id,
			  c->merged_into);
		goto done;
	}
	if (c->status == CAMPAIGN_PAUSED) {
		cmd_printf("pause: '%s' is already paused\n", c->id);
		code = 0;
		goto done;
	}
	if (campaign_set_status(ctx->repo, c->id, "paused") < 0) {
		cmd_error("%s", error_last());
		goto done;
	}
	cmd_printf("pause: '%s' is paused (campaigns/%s/campaign.yaml)\n", c->id, c->id);
	code = 0;
done:
	plan_close(p);
	return code < 0 ? 0 : code;
}
