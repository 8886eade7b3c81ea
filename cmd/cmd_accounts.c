#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "config.h"
#include "diag.h"
#include "sender.h"
#include "smtp.h"

int cmd_accounts(struct cmd_ctx *ctx, int argc, char **argv)
{
	struct opt opts[] = { { NULL, 0, 0, NULL, NULL, 0 } };
	struct diag_list diags = DIAG_LIST_INIT;
	struct config cfg;
	char **args = NULL;
	size_t nargs = 0, i, working = 0;
	int r, code = 1;

	memset(&cfg, 0, sizeof(cfg));
	r = opts_parse(ctx, argc, argv, opts, &args, &nargs);
	if (r)
		return r > 0 ? 0 : EXIT_USAGE;
	if (nargs != 1 || strcmp(args[0], "check")) {
		cmd_usage_error(ctx, nargs ? "unknown subcommand '%s'" : "missing subcommand 'check'%s",
				nargs ? args[0] : "");
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
		free(bearer);
	}
	cmd_printf("accounts: %zu of %zu working\n", working, cfg.naccounts);
	code = working == cfg.naccounts ? 0 : 1;
done:
	config_release(&cfg);
	diag_release(&diags);
	opts_release(opts, args);
	return code;
}
