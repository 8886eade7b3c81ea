/*
 * mailout confirm: unconfirmed claims resolved from the accounts' Sent
 * folders (src/confirm.h), written as `confirmed` and `not-sent` events
 * to the campaign logs; `mailout send` runs the same at its start.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "confirm.h"
#include "diag.h"
#include "log.h"
#include "plan.h"
#include "publish.h"
#include "safefile.h"
#include "schedule.h"
#include "util.h"
#include "xalloc.h"

static const char *plural(long n)
{
	return n == 1 ? "" : "s";
}

/* Why the claims left unconfirmed stay so. */
static void print_left(const struct confirm_account *ca)
{
	long recent = ca->count[CONFIRM_TOO_RECENT], unproven = ca->count[CONFIRM_UNPROVEN];

	if (recent)
		cmd_printf("%s: %ld left unconfirmed: claimed less than %d minutes ago\n", ca->id, recent,
			   CONFIRM_MIN_AGE / 60);
	if (unproven && ca->evidence_known < CONFIRM_EVIDENCE)
		cmd_printf("%s: %ld left unconfirmed: not in the Sent folder, but the account has %d accepted message%s on record, too few to show that the folder receives copies (%d needed)\n",
			   ca->id, unproven, ca->evidence_known, plural(ca->evidence_known),
			   CONFIRM_EVIDENCE);
	else if (unproven)
		cmd_printf("%s: %ld left unconfirmed: not in the Sent folder, which does not receive copies (it holds %d of the account's %d latest accepted messages)\n",
			   ca->id, unproven, ca->evidence_found, ca->evidence_known);
}

/* One account's lines; 1 when its mailbox could not be read. */
static int print_account(const struct confirm_account *ca, int in_send)
{
	if (in_send && !(ca->account && ca->account->imap))
		return 0; /* send says nothing of accounts without a mailbox */
	if (ca->why) {
		if (in_send)
			cmd_error("warning: %s: %ld claim%s stay%s unconfirmed: %s", ca->id, ca->claims,
				  plural(ca->claims), ca->claims == 1 ? "s" : "", ca->why);
		else
			cmd_printf("%s: %ld claim%s stay%s unconfirmed: %s\n", ca->id, ca->claims,
				   plural(ca->claims), ca->claims == 1 ? "s" : "", ca->why);
		return ca->account && ca->account->imap;
	}
	cmd_printf("%s: %ld unconfirmed claim%s, Sent folder '%s': %ld confirmed, %ld not sent (pending again), %ld left unconfirmed\n",
		   ca->id, ca->claims, plural(ca->claims), ca->mailbox, ca->count[CONFIRM_FOUND],
		   ca->count[CONFIRM_NOT_SENT],
		   ca->count[CONFIRM_TOO_RECENT] + ca->count[CONFIRM_UNPROVEN]);
	print_left(ca);
	return 0;
}

/* The clock: now, but never before the latest recorded event. */
static int confirm_clock(struct plan *p, time_t now, time_t *out)
{
	time_t latest = 0;

	if (now == (time_t)-1 || plan_latest_event(p, &latest) < 0)
		return -1;
	*out = now > latest ? now : latest;
	return 0;
}

int cmd_confirm_claims(struct plan *p, const char *root, time_t now, const char *const *accounts,
		       size_t naccounts, int in_send, char ***files_out, size_t *nfiles_out)
{
	struct confirm_result r;
	size_t i, written = 0;
	int unreadable = 0, ret = -1;

	memset(&r, 0, sizeof(r));
	if (files_out) {
		*files_out = NULL;
		*nfiles_out = 0;
	}
	if (confirm_clock(p, now, &now) < 0 || confirm_claims(&r, p, now, accounts, naccounts) < 0) {
		cmd_error("%s", error_last());
		goto done;
	}
	if (!r.naccounts && !in_send)
		cmd_printf("confirm: no unconfirmed claim\n");
	for (i = 0; i < r.naccounts; i++)
		unreadable |= print_account(&r.accounts[i], in_send);
	if (confirm_write(&r, root, &written) < 0) {
		cmd_error("%s", error_last());
		goto done;
	}
	for (i = 0; i < written; i++)
		cmd_printf("updated %s\n", r.logs[i].path);
	if (files_out) {
		*files_out = xcalloc(r.nlogs + 1, sizeof(char *));
		for (i = 0; i < r.nlogs; i++)
			(*files_out)[i] = xstrdup(r.logs[i].path);
		*nfiles_out = r.nlogs;
	}
	ret = unreadable;
done:
	confirm_result_release(&r);
	return ret;
}

static int commit;
static const char *push;

static const struct opt_spec opts[] = {
	OPT_SWITCH("commit", &commit, "commit the events written"),
	OPT_VALUE("push", &push, "REMOTE", "commit and push them"),
	OPT_END
};

static int check(struct cmd_ctx *ctx)
{
	if (ctx->nargs) {
		cmd_usage_error(ctx, "unexpected argument '%s'", ctx->args[0]);
		return EXIT_USAGE;
	}
	return 0;
}

/* --commit / --push: the publisher of every campaign's log of every account. */
static int open_publisher(struct publisher **out, struct cmd_ctx *ctx)
{
	struct config cfg;
	struct diag_list diags = DIAG_LIST_INIT;
	char **names = NULL, **own;
	int nc, ret = -1;
	size_t i, j, n = 0;

	config_load(&cfg, ctx->repo, &diags);
	nc = content_list(&names, ctx->repo, "campaigns", NULL, 1);
	own = xcalloc((nc > 0 ? (size_t)nc : 0) * cfg.naccounts + 1, sizeof(char *));
	for (i = 0; nc > 0 && i < (size_t)nc; i++) {
		for (j = 0; j < cfg.naccounts; j++)
			own[n++] = log_path(names[i], cfg.accounts[j].id);
	}
	if (!diags.errors)
		ret = publisher_open(out, ctx->repo, push, cfg.git_author, "confirm",
				     (const char *const *)own, n);
	if (ret < 0)
		cmd_error("%s", diags.errors ? "mailout.yaml has errors" : error_last());
	free_list(names, nc > 0 ? (size_t)nc : 0);
	free_list(own, n);
	config_release(&cfg);
	diag_release(&diags);
	return ret;
}

static int run(struct cmd_ctx *ctx)
{
	struct publisher *pub = NULL;
	struct plan *p = NULL;
	char **files = NULL, *message = NULL;
	size_t nfiles = 0;
	int lock = -1, rc, code = 1;

	if (cmd_lock_logs(ctx->repo, &lock) < 0)
		goto done;
	if ((commit || push) && open_publisher(&pub, ctx) < 0)
		goto done;
	p = cmd_open_plan(ctx, NULL, 0);
	if (!p)
		goto done;
	rc = cmd_confirm_claims(p, ctx->repo, clock_now(), NULL, 0, 0, &files, &nfiles);
	if (rc < 0)
		goto done;
	if (pub && nfiles) {
		message = xasprintf("confirm: %zu log%s resolved from the Sent folders", nfiles,
				    nfiles == 1 ? "" : "s");
		if (publisher_commit_push(pub, (const char *const *)files, nfiles, message) < 0) {
			cmd_error("%s", error_last());
			goto done;
		}
	}
	code = rc;
done:
	free(message);
	free_list(files, nfiles);
	publisher_free(pub);
	plan_close(p);
	if (lock >= 0)
		close(lock);
	return code;
}

const struct command cmd_confirm_entry = {
	.name = "confirm",
	.summary = "resolve unconfirmed claims from the accounts' Sent folders",
	.description = "Resolves unconfirmed claims (a run killed, or a connection lost before the\n"
		       "server's reply) by searching each account's Sent folder over IMAP,\n"
		       "read-only, for the claim's Message-ID.\n",
	.opts = opts,
	.help_column = 21,
	.notes = "Needs the accounts' IMAP secrets.  A claim is confirmed when its message is in\n"
		 "the Sent folder; it is pending again (not-sent) when it is not, 15 minutes after\n"
		 "the claim, and the folder holds the account's 3 latest accepted messages.\n",
	.exit_status = "0 done\n"
		       "1 failure, or the Sent folder of an account with imap: could not be read\n"
		       "2 usage: an unknown option, a missing or extra argument\n",
	.flags = NEEDS_REPO,
	.check = check,
	.run = run,
};
