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
	sqlite3_stmt *st = NULL;
	long n = 0;
	time_t now;
	int code = 1;

	now = clock_now();
	if (plan_prepare(ctx->plan, &st,
			 "SELECT recipient FROM deliveries WHERE campaign = ? AND "
			 "(state IN ('failed', 'retrying') OR (?2 AND state IN ('unconfirmed', 'claimed'))) ORDER BY ord") < 0) {
		cmd_error("%s", error_last());
		goto done;
	}
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, unconfirmed);
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *rec = (const char *)sqlite3_column_text(st, 0);
		log_format(&lines, now, LOG_RETRY_CMD, &rec, 1);
		n++;
	}
	sqlite3_finalize(st);
	st = NULL;
	if (n && campaign_command(ctx->repo, id, lines.ptr, lines.len) < 0) {
		cmd_error("%s", error_last());
		goto done;
	}
	plan_close(ctx->plan);
	ctx->plan = cmd_open_plan(ctx, NULL, 0);
	if (!ctx->plan)
		goto done;
	printf("retry: %ld recipient%s of '%s' pending again%s\n", n, n == 1 ? "" : "s", id,
	       unconfirmed ? " (unconfirmed included)" : "");
	code = 0;
done:
	sqlite3_finalize(st);
	buf_release(&lines);
	return code;
}

const struct command cmd_retry_entry = {
	.name = "retry",
	.summary = "make a campaign's unsuccessful recipients pending again",
	.opts = opts,
	.help_column = 20,
	.flags = NEEDS_REPO | NEEDS_PLAN | CAMPAIGN_ARG,
	.check = cmd_check_campaign_arg,
	.run = run,
};
