#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "changes.h"
#include "cmd.h"
#include "diag.h"
#include "forecast.h"
#include "plan.h"
#include "schedule.h"
#include "buf.h"
#include "validate.h"
#include "xalloc.h"

static void print_summary(const struct validate_summary *summary, const struct diag_list *diags,
			  const size_t *in_changed)
{
	cmd_printf("%zu campaign%s, %zu recipient record%s: %zu error%s, %zu warning%s",
	       summary->campaigns, summary->campaigns == 1 ? "" : "s", summary->recipients,
	       summary->recipients == 1 ? "" : "s", diags->errors, diags->errors == 1 ? "" : "s",
	       diags->warnings, diags->warnings == 1 ? "" : "s");
	if (in_changed)
		cmd_printf(", %zu in changed files", *in_changed);
	putchar('\n');
}

/* What the change will send: the forecast of the campaigns whose files
 * changed, day by day, from the next working moment. */
static int print_forecast(struct cmd_ctx *ctx, const char *since, const struct changes *changes)
{
	struct plan *p = cmd_open_plan(ctx, NULL, 0);
	const char **ids = NULL;
	struct forecast f;
	struct buf out = BUF_INIT;
	char when[32];
	size_t i, n = 0;
	long total = 0;
	int ret = -1;

	memset(&f, 0, sizeof(f));
	if (!p)
		goto done;
	ids = xcalloc(plan_campaigns(p)->count + 1, sizeof(char *));
	n = changes_campaigns(ids, changes, plan_campaigns(p));
	if (forecast_run(&f, p, clock_now(), 0, NULL, NULL) < 0) {
		cmd_error("%s", error_last());
		goto done;
	}
	time_format_rfc3339(when, f.start);
	cmd_printf("\nForecast from %s, per day in the organisation's time zone:\n\n", when);
	if (n) {
		cmd_printf("Campaigns changed since %s:\n\n", since);
		forecast_markdown(&out, &f, ids, n);
	} else {
		cmd_printf("No campaign changed since %s. All campaigns:\n\n", since);
		forecast_markdown(&out, &f, NULL, 0);
	}
	fputs(out.ptr, stdout);
	for (i = 0; i < f.ncampaigns; i++)
		total += f.campaigns[i].total;
	time_format_rfc3339(when, f.end);
	cmd_printf("\nAll campaigns together: %ld message%s, the last at %s.\n", total,
	       total == 1 ? "" : "s", when);
	ret = 0;
done:
	forecast_release(&f);
	buf_release(&out);
	free(ids);
	plan_close(p);
	return ret;
}

static const char *changed_since;

static const struct opt_spec opts[] = {
	OPT_VALUE("changed-since", &changed_since, "REV", "mark the problems in files changed since REV"),
	OPT_END
};

static int run(struct cmd_ctx *ctx)
{
	struct diag_list diags = DIAG_LIST_INIT;
	struct validate_summary summary = { 0, 0 };
	struct changes changes = CHANGES_INIT;
	const char *since = changed_since;
	size_t in_changed = 0;
	int code = 1;

	if (ctx->nargs) {
		cmd_usage_error(ctx, "unexpected argument '%s'", ctx->args[0]);
		code = EXIT_USAGE;
		goto done;
	}
	if (since && changes_since(&changes, ctx->repo, since) < 0) {
		cmd_error("%s", error_last());
		goto done;
	}
	validate_repo(ctx->repo, &diags, &summary);
	diag_sort(&diags);
	if (since)
		in_changed = changes_mark(&changes, &diags, since);
	diag_print(stdout, &diags);
	print_summary(&summary, &diags, since ? &in_changed : NULL);
	code = diags.errors ? 1 : 0;
	if (since && !diags.errors && print_forecast(ctx, since, &changes) < 0)
		code = 1;
done:
	changes_release(&changes);
	diag_release(&diags);
	return code;
}

const struct command cmd_validate_entry = {
	.name = "validate",
	.summary = "check everything; exit 1 on any error",
	.description = "Checks the whole content repository and prints every problem as\n"
		       "path:line:col: error: message (or warning:), sorted by path and position,\n"
		       "then a summary line: YAML syntax, types, required and unknown keys (with\n"
		       "\"did you mean\"), ids, references, addresses, schedules, templates and their\n"
		       "variables, secrets written into the repository, and what each campaign would\n"
		       "send.  It needs no secret and changes nothing.\n",
	.opts = opts,
	.help_column = 26,
	.exit_status = "0 no errors (warnings do not count)\n"
		       "1 the content has errors\n"
		       "2 usage: an unknown option, a missing or extra argument\n",
	.flags = NEEDS_REPO,
	.run = run,
};
