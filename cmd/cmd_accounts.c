/*
 * mailout accounts check: logs in to every account; accounts list: says
 * which accounts can send now, as the status does (--json for a
 * workflow's job matrix).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "cmd.h"
#include "config.h"
#include "diag.h"
#include "imap.h"
#include "mailsync.h"
#include "plan.h"
#include "schedule.h"
#include "sender.h"
#include "smtp.h"
#include "status.h"
#include "util.h"

/* The name of unsubscribe.mailbox in the list (no account id has a space). */
#define UNSUBSCRIBE_ID "unsubscribe mailbox"

static int json;

static const struct opt_spec opts[] = {
	OPT_ARG("check | list", 0, NULL),
	OPT_SWITCH("json", &json, "list: a JSON array of {id, owner, enabled, usable, reason}"),
	OPT_END
};

/* One line per mailbox checked: "ID  ok  URL" or "ID  FAILED  WHY". */
static int report(const char *id, int failed, const char *what, const char *shown)
{
	if (failed)
		cmd_printf("%-20s FAILED  %s%s\n", id, what, error_last());
	else
		cmd_printf("%-20s ok      %s\n", id, shown);
	return failed ? -1 : 0;
}

/* The account's SMTP login, then its imap mailbox with the same
 * credentials; 0 when everything it has works. */
static int check_account(const struct account *a)
{
	struct smtp_reply reply = SMTP_REPLY_INIT;
	struct smtp_options so;
	struct imap_options io;
	char *bearer = NULL;
	int ret = -1;

	if (sender_account_options(&so, a, &bearer) < 0) {
		report(a->id, 1, "", NULL);
		goto done;
	}
	ret = report(a->id, smtp_check_login(&so, &reply) < 0, "SMTP ", a->smtp);
	if (a->imap) {
		memset(&io, 0, sizeof(io));
		mailsync_tls_options(&io, &a->tls);
		io.url = a->imap;
		io.username = so.username;
		io.password = so.password;
		io.bearer = so.bearer;
		if (report(a->id, imap_check_login(&io) < 0, "IMAP ", a->imap) < 0)
			ret = -1;
	}
done:
	smtp_reply_release(&reply);
	secret_free(bearer);
	return ret;
}

/* unsubscribe.mailbox, when there is one: 0 when it works or is not set. */
static int check_unsubscribe(const struct config *cfg)
{
	struct imap_options io;
	const char *password;

	if (!cfg->unsubscribe_mailbox)
		return 0;
	password = cfg->unsubscribe_password_env ? getenv(cfg->unsubscribe_password_env) : NULL;
	if (!password || !*password) {
		if (cfg->unsubscribe_password_env)
			error_set("%s is not set", cfg->unsubscribe_password_env);
		else
			error_set("no password_env is given for it");
		return report(UNSUBSCRIBE_ID, 1, "", NULL);
	}
	memset(&io, 0, sizeof(io));
	mailsync_tls_options(&io, &cfg->unsubscribe_tls);
	io.url = cfg->unsubscribe_mailbox;
	io.username = cfg->unsubscribe_username;
	io.password = password;
	return report(UNSUBSCRIBE_ID, imap_check_login(&io) < 0, "IMAP ", cfg->unsubscribe_mailbox);
}

/* `accounts list`: every account, whether it can send now and why not
 * (the status's green and red stars). */
static int list_accounts(struct cmd_ctx *ctx)
{
	struct account_summary *list = NULL;
	struct buf out = BUF_INIT;
	struct plan *p = cmd_open_plan(ctx, NULL, 0);
	size_t i, n;
	int code = 1;

	if (!p)
		goto done;
	n = plan_config(p)->naccounts;
	if (plan_accounts(p, clock_now(), &list) < 0) {
		cmd_error("%s", error_last());
		goto done;
	}
	if (json) {
		status_accounts_json(&out, list, n);
		fputs(out.ptr, stdout);
	}
	for (i = 0; i < n && !json; i++)
		cmd_printf("%-20s %-12s %s\n", list[i].account->id, list[i].account->owner,
			   list[i].usable ? "usable" : list[i].reason);
	code = 0;
done:
	buf_release(&out);
	free(list);
	plan_close(p);
	return code;
}

/* `accounts check` */
static int check_accounts(struct cmd_ctx *ctx)
{
	struct diag_list diags = DIAG_LIST_INIT;
	struct config cfg;
	size_t i, working = 0, disabled = 0;
	int code = 1, unsubscribe;

	memset(&cfg, 0, sizeof(cfg));
	if (config_load(&cfg, ctx->repo, &diags) < 0 || diags.errors) {
		diag_sort(&diags);
		diag_print(stderr, &diags);
		cmd_error("%s has errors", CONFIG_FILE);
		goto done;
	}
	for (i = 0; i < cfg.naccounts; i++) {
		if (!cfg.accounts[i].enabled) {
			cmd_printf("%-20s disabled\n", cfg.accounts[i].id);
			disabled++;
		} else if (check_account(&cfg.accounts[i]) == 0) {
			working++;
		}
	}
	unsubscribe = check_unsubscribe(&cfg);
	cmd_printf("accounts: %zu of %zu working", working, cfg.naccounts - disabled);
	if (disabled)
		cmd_printf(", %zu disabled", disabled);
	cmd_printf("\n");
	code = working == cfg.naccounts - disabled && unsubscribe == 0 ? 0 : 1;
done:
	config_release(&cfg);
	diag_release(&diags);
	return code;
}

static int run(struct cmd_ctx *ctx)
{
	const char *sub = ctx->nargs ? ctx->args[0] : NULL;

	if (ctx->nargs > 1)
		cmd_usage_error(ctx, "unexpected argument '%s'", ctx->args[1]);
	else if (!sub)
		cmd_usage_error(ctx, "missing subcommand 'check' or 'list'");
	else if (!strcmp(sub, "list"))
		return list_accounts(ctx);
	else if (json)
		cmd_usage_error(ctx, "--json goes with 'list'");
	else if (!strcmp(sub, "check"))
		return check_accounts(ctx);
	else
		cmd_usage_error(ctx, "unknown subcommand '%s'", sub);
	return EXIT_USAGE;
}

const struct command cmd_accounts_entry = {
	.name = "accounts",
	.summary = "log in to every sending account and say which work",
	.description = "check logs in to every enabled account without sending: its SMTP server\n"
		       "(EHLO, STARTTLS as the URL requires, AUTH), its imap: mailbox and the\n"
		       "unsubscribe mailbox, one line per server.  list prints each account, whether\n"
		       "it is usable and why not.\n",
	.opts = opts,
	.help_column = 13,
	.exit_status = "0 done; check: every enabled account and mailbox works\n"
		       "1 check: one of them failed; or failure\n"
		       "2 usage: an unknown option, a missing or extra argument\n",
	.flags = NEEDS_REPO,
	.run = run,
};
