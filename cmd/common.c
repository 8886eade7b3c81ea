#include <stdio.h>

#include "cmd.h"
#include "diag.h"
#include "plan.h"

struct plan *cmd_open_plan(struct cmd_ctx *ctx, const char *build_dir, unsigned flags)
{
	struct diag_list diags = DIAG_LIST_INIT;
	struct plan *p = NULL;

	if (plan_open(&p, ctx->repo, build_dir, flags, &diags) < 0) {
		diag_sort(&diags);
		diag_print(stderr, &diags);
		if (diags.errors)
			cmd_error("the content has %zu error%s ('mailout validate' shows all); the plan was left as it was",
				  diags.errors, diags.errors == 1 ? "" : "s");
		else
			cmd_error("%s", error_last());
		diag_release(&diags);
		return NULL;
	}
	if (diags.count) {
		diag_sort(&diags);
		diag_print(stderr, &diags);
	}
	diag_release(&diags);
	return p;
}
