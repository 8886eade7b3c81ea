#include <stdio.h>

#include "buf.h"
#include "campaign.h"
#include "cmd.h"
#include "log.h"
#include "plan.h"
#include "schedule.h"

static const struct opt_spec opts[] = { OPT_ARG("CAMPAIGN", 0, NULL), OPT_END };

static int run(struct cmd_ctx *ctx)
{
	struct buf line = BUF_INIT;
	const struct campaign *c = ctx->campaign;
	int code = 1;

	if (c->status == CAMPAIGN_MERGED) {
		cmd_error("campaign '%s' was merged into '%s'; resume that one", c->id, c->merged_into);
		goto done;
	}
	if (c->status == CAMPAIGN_PAUSED && campaign_set_status(ctx->repo, c->id, "active") < 0) {
		cmd_error("%s", error_last());
		goto done;
	}
	/* clears an interruption and the owner's red accounts */
	log_format(&line, clock_now(), LOG_RESUME, NULL, 0);
	if (campaign_command(ctx->repo, c->id, line.ptr, line.len) < 0) {
		cmd_error("%s", error_last());
		goto done;
	}
	cmd_printf("resume: '%s' is active; errors and red accounts of '%s' are cleared\n", c->id,
	       c->owner);
	code = 0;
done:
	buf_release(&line);
	return code;
}

const struct command cmd_resume_entry = {
	.name = "resume",
	.summary = "resume a paused or interrupted campaign",
	.description = "Sets status: active in campaigns/CAMPAIGN/campaign.yaml and clears, by a\n"
		       "line in its commands.tsv, an interruption and the red accounts of the\n"
		       "campaign's owner.\n",
	.opts = opts,
	.flags = NEEDS_REPO | NEEDS_PLAN | CAMPAIGN_ARG,
	.check = cmd_check_campaign_arg,
	.run = run,
};
