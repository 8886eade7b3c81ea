#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "campaign.h"
#include "cmd.h"
#include "log.h"
#include "plan.h"
#include "schedule.h"

int cmd_retry(struct cmd_ctx *ctx, int argc, char **argv)
{
	struct opt opts[] = { { "unconfirmed", 0, 0, NULL, NULL, 0 }, { NULL, 0, 0, NULL, NULL, 0 } };
	struct buf lines = BUF_INIT;
	struct plan *p = NULL;
	sqlite3_stmt *st = NULL;
	char **args = NULL;
	size_t nargs = 0;
	long n = 0;
	time_t now;
	int r, code = 1;

	r = opts_parse(ctx, argc, argv, opts, &args, &nargs);
	if (r)
		return r > 0 ? 0 : EXIT_USAGE;
	if (nargs != 1) {
		cmd_usage_error(ctx, nargs ? "unexpected argument '%s'" : "which campaign?%s",
				nargs ? args[1] : "");
		code = EXIT_USAGE;
		goto done;
	}
	p = cmd_open_plan(ctx, NULL, 0);
	if (!p)
		goto done;
	if (!campaigns_find(&p->campaigns, args[0])) {
		cmd_error("unknown campaign '%s'", args[0]);
		goto done;
	}
	now = clock_now();
	if (plan_prepare(p, &st,
			 "SELECT recipient FROM deliveries WHERE campaign = ? AND "
			 "(state IN ('failed', 'retrying') OR (?2 AND state IN ('unconfirmed', 'claimed'))) ORDER BY ord") < 0) {
		cmd_error("%s", error_last());
		goto done;
	}
	sqlite3_bind_text(st, 1, args[0], -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, opts[0].seen);
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *rec = (const char *)sqlite3_column_text(st, 0);
		log_format(&lines, now, LOG_RETRY_CMD, &rec, 1);
		n++;
	}
	sqlite3_finalize(st);
	st = NULL;
	if (n && campaign_command(ctx->repo, args[0], lines.ptr, lines.len) < 0) {
		cmd_error("%s", error_last());
		goto done;
	}
	plan_close(p);
	p = cmd_open_plan(ctx, NULL, 0);
	if (!p)
		goto done;
	cmd_printf("retry: %ld recipient%s of '%s' pending again%s\n", n, n == 1 ? "" : "s", args[0],
	       opts[0].seen ? " (unconfirmed included)" : "");
	code = 0;
done:
	sqlite3_finalize(st);
	buf_release(&lines);
	plan_close(p);
	opts_release(opts, args);
	return code;
}
