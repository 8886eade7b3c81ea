#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "diag.h"
#include "export.h"
#include "plan.h"

static const char *format, *delimiter;
static int bom;

static const struct opt_spec opts[] = {
	OPT_ARG("CAMPAIGN", 0, NULL),
	OPT_VALUE("format", &format, "csv",
		  "the output format: CSV (RFC 4180), one row per recipient in send order"),
	OPT_VALUE("delimiter", &delimiter, "CHAR",
		  "separate cells with ',' (default), ';' or 'tab' (spreadsheets on European locales)"),
	OPT_SWITCH("bom", &bom, "start with a UTF-8 byte-order mark, for Excel"),
	OPT_END
};

static int check_args(struct cmd_ctx *ctx)
{
	if (ctx->nargs != 1) {
		if (ctx->nargs)
			cmd_usage_error(ctx, "unexpected argument '%s'", ctx->args[1]);
		else
			cmd_usage_error(ctx, "expected a campaign");
		return EXIT_USAGE;
	}
	if (format && strcmp(format, "csv")) {
		cmd_usage_error(ctx, "unknown format '%s': only csv", format);
		return EXIT_USAGE;
	}
	if (delimiter && strcmp(delimiter, ",") && strcmp(delimiter, ";") &&
	    strcmp(delimiter, "tab")) {
		cmd_usage_error(ctx, "invalid --delimiter '%s': ',', ';' or 'tab'", delimiter);
		return EXIT_USAGE;
	}
	return 0;
}

static int run(struct cmd_ctx *ctx)
{
	struct export_options o = { ',', bom > 0 };

	if (delimiter && !strcmp(delimiter, ";"))
		o.delimiter = ';';
	else if (delimiter && !strcmp(delimiter, "tab"))
		o.delimiter = '\t';
	if (export_campaign_csv(stdout, ctx->plan, ctx->campaign->id, &o) < 0) {
		cmd_error("%s", error_last());
		return 1;
	}
	return 0;
}

const struct command cmd_export_entry = {
	.name = "export",
	.summary = "export a campaign's deliveries as CSV",
	.description = "Writes one CSV row per recipient of CAMPAIGN, in send order, to standard\n"
		       "output: its address, state, account, time, attempts and the server's reply.\n",
	.opts = opts,
	.help_column = 22,
	.flags = NEEDS_REPO | NEEDS_PLAN | CAMPAIGN_ARG,
	.check = check_args,
	.run = run,
};
