#include <stdio.h>

#include "cmd.h"
#include "diag.h"
#include "plan.h"
#include "schedule.h"
#include "site.h"

int cmd_build(struct cmd_ctx *ctx, int argc, char **argv)
{
	struct opt opts[] = { { "out", 1, 0, NULL, NULL, 0 }, { "rebuild", 0, 0, NULL, NULL, 0 },
			      { NULL, 0, 0, NULL, NULL, 0 } };
	struct diag_list diags = DIAG_LIST_INIT;
	struct plan *p = NULL;
	char **args = NULL;
	time_t now;
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
	cmd_printf("plan: %s (%zu file%s parsed, %zu log line%s replayed%s)\n", p->path,
	       p->files_parsed, p->files_parsed == 1 ? "" : "s", p->log_lines,
	       p->log_lines == 1 ? "" : "s", p->rederived ? ", deliveries derived again" : "");
	now = clock_now();
	if (now == (time_t)-1) {
		cmd_error("%s", error_last());
		goto done;
	}
	if (site_build(p, p->dir, now, &diags) < 0) {
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
	cmd_printf("site: %s/site\n", p->dir);
	code = 0;
done:
	diag_release(&diags);
	plan_close(p);
	opts_release(opts, args);
	return code;
}
