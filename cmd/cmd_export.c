#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "cmd.h"
#include "config.h"
#include "diag.h"
#include "export.h"
#include "person.h"
#include "plan.h"

static const char *format, *delimiter, *person;
static int bom;

static const struct opt_spec opts[] = {
	OPT_ARG("CAMPAIGN", 0, NULL),
	OPT_VALUE("format", &format, "csv",
		  "the output format: CSV (RFC 4180), one row per recipient in send order"),
	OPT_VALUE("delimiter", &delimiter, "CHAR",
		  "separate cells with ',' (default), ';' or 'tab' (spreadsheets on European locales)"),
	OPT_SWITCH("bom", &bom, "start with a UTF-8 byte-order mark, for Excel"),
	OPT_VALUE("person", &person, "ADDRESS",
		  "instead: everything held about ADDRESS, as JSON (an access request)"),
	OPT_END
};

static int check_person(struct cmd_ctx *ctx)
{
	const char *why;

	if (ctx->nargs) {
		cmd_usage_error(ctx, "--person takes no campaign: unexpected argument '%s'",
				ctx->args[0]);
		return EXIT_USAGE;
	}
	if (format || delimiter || bom) {
		cmd_usage_error(ctx, "--person writes JSON: it takes no --format, --delimiter or --bom");
		return EXIT_USAGE;
	}
	if (address_check(person, &why) < 0) {
		cmd_usage_error(ctx, "invalid address '%s': %s", person, why);
		return EXIT_USAGE;
	}
	return 0;
}

static int check_args(struct cmd_ctx *ctx)
{
	if (person)
		return check_person(ctx);
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

static int run_person(struct cmd_ctx *ctx)
{
	struct buf out = BUF_INIT;
	int code = 0;

	if (person_export_json(&out, ctx->plan, person) < 0) {
		cmd_error("%s", error_last());
		code = 1;
	} else {
		fwrite(out.ptr, 1, out.len, stdout);
	}
	buf_release(&out);
	return code;
}

static int run(struct cmd_ctx *ctx)
{
	struct export_options o = { ',', bom > 0 };

	if (person)
		return run_person(ctx);
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
	.summary = "export a campaign's deliveries (CSV) or a person's data (JSON)",
	.description = "Writes one CSV row per recipient of CAMPAIGN, in send order, to standard\n"
		       "output: its address, state, account, time, attempts and the server's reply.\n"
		       "With --person ADDRESS it writes, as JSON, everything mailout holds about that\n"
		       "address instead: its records, deliveries with their events, and suppressions.\n",
	.opts = opts,
	.help_column = 22,
	.flags = NEEDS_REPO | NEEDS_PLAN | CAMPAIGN_ARG,
	.check = check_args,
	.run = run,
};
