#include <stdio.h>

#include "cmd.h"
#include "plan.h"

int cmd_build(struct cmd_ctx *ctx, int argc, char **argv)
{
	struct opt opts[] = { { "out", 1, 0, NULL, NULL, 0 }, { "rebuild", 0, 0, NULL, NULL, 0 },
			      { NULL, 0, 0, NULL, NULL, 0 } };
	struct plan *p = NULL;
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
	p = cmd_open_plan(ctx, opts[0].value, opts[1].seen ? PLAN_REBUILD : 0);
	if (!p)
		goto done;
	printf("plan: %s (%zu file%s parsed, %zu log line%s replayed%s)\n", p->path,
	       p->files_parsed, p->files_parsed == 1 ? "" : "s", p->log_lines,
	       p->log_lines == 1 ? "" : "s", p->rederived ? ", deliveries derived again" : "");
	code = 0;
done:
	plan_close(p);
	opts_release(opts, args);
	return code;
}
