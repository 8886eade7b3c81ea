#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "diag.h"
#include "export.h"
#include "plan.h"

int cmd_export(struct cmd_ctx *ctx, int argc, char **argv)
{
	struct opt opts[] = { { "format", 1, 0, NULL, NULL, 0 }, { NULL, 0, 0, NULL, NULL, 0 } };
	struct plan *p = NULL;
	char **args = NULL;
	size_t nargs = 0;
	int r, code = 1;

	r = opts_parse(ctx, argc, argv, opts, &args, &nargs);
	if (r)
		return r > 0 ? 0 : EXIT_USAGE;
	if (nargs != 1) {
		if (nargs)
			cmd_usage_error(ctx, "unexpected argument '%s'", args[1]);
		else
			cmd_usage_error(ctx, "expected a campaign");
		code = EXIT_USAGE;
		goto done;
	}
	if (opts[0].value && strcmp(opts[0].value, "csv")) {
		cmd_usage_error(ctx, "unknown format '%s': only csv", opts[0].value);
		code = EXIT_USAGE;
		goto done;
	}
	p = cmd_open_plan(ctx, NULL, 0);
	if (!p)
		goto done;
	if (export_campaign_csv(stdout, p, args[0]) < 0) {
		cmd_error("%s", error_last());
		goto done;
	}
	code = 0;
done:
	plan_close(p);
	opts_release(opts, args);
	return code;
}
