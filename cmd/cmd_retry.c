#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "campaign.h"
#include "cmd.h"
#include "log.h"
#include "plan.h"
#include "schedule.h"

static int unconfirmed;

static const struct opt_spec opts[] = {
	OPT_ARG("CAMPAIGN", 0, NULL),
	OPT_SWITCH("unconfirmed", &unconfirmed,
		   "also the recipients whose message may or may not have gone out"),
	OPT_END
};

static int run(struct cmd_ctx *ctx)
{
	const char *id = ctx->args[0]; /* the campaign's, and outlives the plan */
	struct buf lines = BUF_INIT;
	struct plan_iter *it = NULL;
	const char *rec;
	int r;
	long n = 0;
	time_t now;
	int code = 1;

	now = clock_now();
	if (plan_retry_candidates_open(&it, ctx->plan, id, unconfirmed) < 0) {
		cmd_error("%s", error_last());
		goto done;
	}
	while ((r = plan_retry_candidates_next(it, &rec)) == PLAN_ROW) {
		log_format(&lines, now, LOG_RETRY_CMD, &rec, 1);
		n++;
	}
	plan_iter_free(it);
	it = NULL;
	if (r < 0) {
		cmd_error("%s", error_last());
		goto done;
	}
	if (n && campaign_command(ctx->repo, id, lines.ptr, lines.len) < 0) {
		cmd_error("%s", error_last());
		goto done;
	}
	plan_close(ctx->plan);
	ctx->plan = cmd_open_plan(ctx, NULL, 0);
	if (!ctx->plan)
		goto done;
	cmd_printf("retry: %ld recipient%s of '%s' pending again%s\n", n, n == 1 ? "" : "s", id,
	       unconfirmed ? " (unconfirmed included)" : "");
	code = 0;
done:
	plan_iter_free(it);
	buf_release(&lines);
	return code;
}

const struct command cmd_retry_entry = {
	.name = "retry",
	.summary = "make a campaign's unsuccessful recipients pending again",
	.description = "Makes the failed and retrying recipients of CAMPAIGN pending again, by a line\n"
		       "in campaigns/CAMPAIGN/commands.tsv.  Suppressed addresses stay suppressed; a\n"
		       "recipient whose address was corrected in the recipient file gets the new one.\n",
	.opts = opts,
	.help_column = 20,
	.flags = NEEDS_REPO | NEEDS_PLAN | CAMPAIGN_ARG,
	.check = cmd_check_campaign_arg,
	.run = run,
};
