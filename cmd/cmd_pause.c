#include <stdio.h>

#include "campaign.h"
#include "cmd.h"
#include "plan.h"

static const struct opt_spec opts[] = { OPT_ARG("CAMPAIGN", 0, NULL), OPT_END };

static int run(struct cmd_ctx *ctx)
{
	const struct campaign *c = ctx->campaign;
	int code = 1;

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
	return code;
}

const struct command cmd_pause_entry = {
	.name = "pause",
	.summary = "pause a campaign",
	.description = "Sets status: paused in campaigns/CAMPAIGN/campaign.yaml and changes nothing\n"
		       "else in it: the campaign sends nothing until it is resumed.\n",
	.opts = opts,
	.flags = NEEDS_REPO | NEEDS_PLAN | CAMPAIGN_ARG,
	.check = cmd_check_campaign_arg,
	.run = run,
};
