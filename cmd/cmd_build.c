#include <stdio.h>
#include <stdlib.h>

#include "cmd.h"
#include "diag.h"
#include "plan.h"
#include "schedule.h"
#include "site.h"

static const char *out_dir;
static int rebuild;

static const struct opt_spec opts[] = {
	OPT_VALUE("out", &out_dir, "DIR", "write plan.db and site/ to DIR (default: <repo>/build)"),
	OPT_SWITCH("rebuild", &rebuild, "start from scratch instead of refreshing"),
	OPT_END
};

static int run(struct cmd_ctx *ctx)
{
	struct diag_list diags = DIAG_LIST_INIT;
	struct plan *p = NULL;
	struct plan_refresh_stats stats;
	struct site_scan *scan = NULL;
	char *dir = NULL;
	time_t now;
	int code = 1, rc;

	if (ctx->nargs) {
		cmd_usage_error(ctx, "unexpected argument '%s'", ctx->args[0]);
		code = EXIT_USAGE;
		goto done;
	}
	/* the old site is looked at while the plan is refreshed */
	dir = plan_dir_for(ctx->repo, out_dir);
	scan = site_scan_start(dir);
	p = cmd_open_plan(ctx, out_dir, rebuild ? PLAN_REBUILD : 0);
	if (!p)
		goto done;
	stats = plan_refresh_stats(p);
	cmd_printf("plan: %s (%zu file%s parsed, %zu log line%s replayed", plan_path(p),
	       stats.files_parsed, stats.files_parsed == 1 ? "" : "s", stats.log_lines,
	       stats.log_lines == 1 ? "" : "s");
	if (stats.rederived)
		cmd_printf(", deliveries derived again)\n");
	else if (stats.rederived_deliveries)
		cmd_printf(", %zu deliver%s derived again)\n", stats.rederived_deliveries,
			   stats.rederived_deliveries == 1 ? "y" : "ies");
	else
		cmd_printf(")\n");
	now = clock_now();
	if (now == (time_t)-1) {
		cmd_error("%s", error_last());
		goto done;
	}
	rc = site_build(p, plan_build_dir(p), now, scan, &diags);
	scan = NULL;
	if (rc < 0) {
		diag_sort(&diags);
		diag_print(stderr, &diags);
		if (diags.errors)
			cmd_error("the status site was not built (%zu error%s); the old one was left as it was",
				  diags.errors, diags.errors == 1 ? "" : "s");
		else
			cmd_error("%s", error_last());
		goto done;
	}
	if (diags.count) {
		diag_sort(&diags);
		diag_print(stderr, &diags);
	}
	cmd_printf("site: %s/site\n", plan_build_dir(p));
	code = 0;
done:
	site_scan_free(scan);
	free(dir);
	diag_release(&diags);
	plan_close(p);
	return code;
}

const struct command cmd_build_entry = {
	.name = "build",
	.summary = "build the send plan and the status site",
	.description = "Refreshes the send plan build/plan.db from the content and writes the status\n"
		       "site into build/site/.  The refresh is incremental: a file unchanged since\n"
		       "the last build is not read again, logs that were only appended to have just\n"
		       "their new lines replayed.  A failed or killed build leaves the previous plan\n"
		       "as it was.\n",
	.opts = opts,
	.help_column = 18,
	.notes = "Needs no secret.\n",
	.flags = NEEDS_REPO,
	.run = run,
};
