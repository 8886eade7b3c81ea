#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "config.h"
#include "diag.h"
#include "sender.h"
#include "smtp.h"
#include "util.h"

static const struct opt_spec opts[] = { OPT_ARG("check", 0, NULL), OPT_END };

static int run(struct cmd_ctx *ctx)
{
	struct diag_list diags = DIAG_LIST_INIT;
	struct config cfg;
	size_t i, working = 0;
	int code = 1;

	memset(&cfg, 0, sizeof(cfg));
	if (ctx->nargs != 1 || strcmp(ctx->args[0], "check")) {
		if (ctx->nargs)
			cmd_usage_error(ctx, "unknown subcommand '%s'", ctx->args[0]);
		else
			cmd_usage_error(ctx, "missing subcommand 'check'");
		code = EXIT_USAGE;
		goto done;
	}
	if (config_load(&cfg, ctx->repo, &diags) < 0 || diags.errors) {
		diag_sort(&diags);
		diag_print(stderr, &diags);
		cmd_error("%s has errors", CONFIG_FILE);
		goto done;
	}
	for (i = 0; i < cfg.naccounts; i++) {
		const struct account *a = &cfg.accounts[i];
		struct smtp_reply reply = SMTP_REPLY_INIT;
		struct smtp_options so;
		char *bearer = NULL;

		if (!a->enabled) {
			cmd_printf("%-20s disabled\n", a->id);
			continue;
		}
		if (sender_account_options(&so, a, &bearer) < 0) {
			cmd_printf("%-20s FAILED  %s\n", a->id, error_last());
		} else if (smtp_check_login(&so, &reply) < 0) {
			cmd_printf("%-20s FAILED  %s\n", a->id,
			       reply.text && *reply.text ? reply.text : error_last());
		} else {
			cmd_printf("%-20s ok      %s\n", a->id, a->smtp);
			working++;
		}
		smtp_reply_release(&reply);
		secret_free(bearer);
	}
	cmd_printf("accounts: %zu of %zu working\n", working, cfg.naccounts);
	code = working == cfg.naccounts ? 0 : 1;
done:
	config_release(&cfg);
	diag_release(&diags);
	return code;
}

const struct command cmd_accounts_entry = {
	.name = "accounts",
	.summary = "log in to every sending account and say which work",
	.opts = opts,
	.flags = NEEDS_REPO,
	.run = run,
};
