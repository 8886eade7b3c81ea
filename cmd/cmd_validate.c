#include <stdio.h>

#include "cmd.h"
#include "diag.h"
#include "validate.h"

int cmd_validate(struct cmd_ctx *ctx, int argc, char **argv)
{
	struct opt opts[] = { { "changed-since", 1, 0, NULL, NULL, 0 }, { NULL, 0, 0, NULL, NULL, 0 } };
	struct diag_list diags = DIAG_LIST_INIT;
	struct validate_summary summary = { 0, 0 };
	char **args = NULL;
	size_t nargs = 0;
	int r, code = 1;

	r = opts_parse(ctx, argc, argv, opts, &args, &nargs);
	if (r)
		return r > 0 ? 0 : EXIT_USAGE;
	if (nargs) {
		cmd_usage_error(ctx, "unexpected argument '%s'", args[0]);
		code = EXIT_USAGE;
		goto done;
	}
	if (opts[0].seen) {
		cmd_error("'--changed-since' is not available in this version yet");
		code = EXIT_USAGE;
		goto done;
	}
	validate_repo(ctx->repo, &diags, &summary);
	diag_sort(&diags);
	diag_print(stdout, &diags);
	printf("%zu campaign%s, %zu recipient record%s: %zu error%s, %zu warning%s\n",
	       summary.campaigns, summary.campaigns == 1 ? "" : "s", summary.recipients,
	       summary.recipients == 1 ? "" : "s", diags.errors, diags.errors == 1 ? "" : "s",
	       diags.warnings, diags.warnings == 1 ? "" : "s");
	code = diags.errors ? 1 : 0;
done:
	diag_release(&diags);
	opts_release(opts, args);
	return code;
}
