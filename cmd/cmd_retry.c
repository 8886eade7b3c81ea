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
	struct plan_iter *it = NULL;
	const char *rec;
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
	if (!campaigns_find(plan_campaigns(p), args[0])) {
		cmd_error("unknown campaign '%s'", args[0]);
		goto done;
	}
	now = clock_now();
	if (plan_retry_candidates_open(&it, p, args[0], opts[0].seen) < 0) {
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
	if (n && campaign_command(ctx->repo, args[0], lines.ptr, lines.len) < 0) {
		cmd_error("%s", error_last());
		goto done;
	}
	plan_close(p);
	p = cmd_open_plan(ctx, NULL, 0);
	if (!p)
		goto done;
	printf("retry: %ld recipient%s of '%s' pending again%s\n", n, n == 1 ? "" : "s", args[0],
	       opts[0].seen ? " (unconfirmed included)" : "");
	code = 0;
done:
	plan_iter_free(it);
	buf_release(&lines);
	plan_close(p);
	opts_release(opts, args);
	return code;
}
