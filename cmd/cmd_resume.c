#include <stdio.h>

#include "buf.h"
#include "campaign.h"
#include "cmd.h"
#include "log.h"
#include "plan.h"
#include "schedule.h"

int cmd_resume(struct cmd_ctx *ctx, int argc, char **argv)
{
	struct buf line = BUF_INIT;
	const struct campaign *c;
	struct plan *p = NULL;
	int code = cmd_campaign_arg(ctx, argc, argv, &p, &c);

	if (code)
		goto done;
	code = 1;
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
	plan_close(p);
	return code < 0 ? 0 : code;
}
