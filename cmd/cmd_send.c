#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "cmd.h"
#include "forecast.h"
#include "publish.h"
#include "plan.h"
#include "progress.h"
#include "schedule.h"
#include "sender.h"
#include "util.h"
#include "xalloc.h"

static volatile int stop_requested;

static void on_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

/* --commit / --push: the run's own files are the logs of the accounts it
 * sends through, in every campaign. */
static int open_publisher(struct cmd_ctx *ctx, struct plan *p, const struct sender_options *so,
			  const char *remote, struct publisher **out, struct sender_publisher *sp,
			  long batch)
{
	struct diag_list diags = DIAG_LIST_INIT;
	char **own = NULL;
	size_t n = sender_own_logs(&own, p, so);
	int ret = -1;

	if (publisher_open(out, ctx->repo, remote, plan_config(p)->git_author, "send",
			   (const char *const *)own, n) < 0) {
		cmd_error("%s", error_last());
		goto done;
	}
	/* the files may have moved onto the remote's tip */
	if (plan_refresh(p, &diags) < 0) {
		diag_sort(&diags);
		diag_print(stderr, &diags);
		cmd_error("%s", diags.errors ? "the content has errors" : error_last());
		goto done;
	}
	memset(sp, 0, sizeof(*sp));
	sp->publish = publisher_publish;
	sp->catch_up = publisher_catch_up;
	sp->name_unpublished = publisher_name_unpublished;
	sp->payload = *out;
	sp->batch = remote ? batch : 0;
	ret = 0;
done:
	free_list(own, n);
	diag_release(&diags);
	return ret;
}

/* Unconfirmed claims of the run's accounts with `imap:` resolved from
 * their Sent folders first; what it wrote is published at once.  An
 * unreadable mailbox is a warning; -1 when the plan or the publication
 * failed (printed). */
static int confirm_first(struct cmd_ctx *ctx, struct plan *p, const struct sender_options *so,
			 struct publisher *pub)
{
	struct diag_list diags = DIAG_LIST_INIT;
	const struct config *cfg = plan_config(p);
	char **files = NULL;
	size_t i, n = 0, imap = 0;
	int ret = -1;

	for (i = 0; i < cfg->naccounts; i++) {
		const struct account *a = &cfg->accounts[i];
		size_t j;

		for (j = 0; so->accounts && j < so->naccounts && strcmp(so->accounts[j], a->id); j++)
			;
		imap += a->imap && (!so->accounts || j < so->naccounts);
	}
	if (!imap)
		return 0;
	if (cmd_confirm_claims(p, ctx->repo, so->now ? so->now : clock_now(), so->accounts,
			       so->naccounts, 1, &files, &n) < 0)
		goto done;
	if (n && pub && publisher_commit_push(pub, (const char *const *)files, n,
					      "confirm: claims resolved from the Sent folders") < 0) {
		cmd_error("%s", error_last());
		goto done;
	}
	if (n && plan_refresh(p, &diags) < 0) {
		diag_sort(&diags);
		diag_print(stderr, &diags);
		cmd_error("%s", diags.errors ? "the content has errors" : error_last());
		goto done;
	}
	ret = 0;
done:
	free_list(files, n);
	diag_release(&diags);
	return ret;
}

static void print_line(const char *line, void *payload)
{
	(void)payload;
	cmd_printf("%s\n", line);
}

/* --dry-run: the forecast on a virtual clock (until everything is placed
 * unless --for limits it); nothing changes. */
static int dry_run(struct plan *p, time_t now, long duration)
{
	struct forecast f;
	struct buf table = BUF_INIT;
	char from[32], to[32];
	long total = 0;
	size_t i, campaigns = 0;

	if (forecast_run(&f, p, now, duration, print_line, NULL) < 0) {
		cmd_error("%s", error_last());
		forecast_release(&f);
		return 1;
	}
	for (i = 0; i < f.ncampaigns; i++) {
		total += f.campaigns[i].total;
		campaigns += f.campaigns[i].total > 0;
	}
	time_format_rfc3339(from, f.start);
	time_format_rfc3339(to, f.end);
	forecast_markdown(&table, &f, NULL, 0);
	printf("\n%s\nsend (dry run, nothing changed): %ld would be sent in %zu campaign%s (%s to %s)\n",
	       table.ptr, total, campaigns, campaigns == 1 ? "" : "s", from, to);
	buf_release(&table);
	forecast_release(&f);
	return 0;
}

static const char *for_arg, *now_arg, *sink, *push, *batch_arg;
static struct opt_list accounts;
static int dry, commit, drain;

static const struct opt_spec opts[] = {
	OPT_VALUE("for", &for_arg, "DURATION",
		  "run this long on the real clock, sleeping between due moments\n"
		  "(30s, 9m, 2h, 7d; default 0: what is due now)"),
	OPT_VALUE("now", &now_arg, "TIME",
		  "a virtual clock from TIME that jumps to each due moment\n"
		  "(needs --sink or --dry-run)"),
	OPT_LIST("account", &accounts, "ID",
		 "only this account (repeatable): one job per account in CI"),
	OPT_SWITCH("drain", &drain,
		   "send what is due now and the accounts' current bursts, then stop\n"
		   "(a scheduled run that costs seconds)"),
	OPT_SWITCH("dry-run", &dry, "print what would be sent when, and the forecast; change nothing"),
	OPT_VALUE_USAGE("sink", &sink, "URL", 0, "SMTP_URL",
			"deliver everything to this SMTP server (credentials in the URL)"),
	OPT_SWITCH("commit", &commit, "commit the logs this run writes (at the end)"),
	OPT_VALUE("push", &push, "REMOTE",
		  "commit and push: claims before each batch goes out, outcomes after"),
	OPT_VALUE("batch", &batch_arg, "DURATION",
		  "the messages claimed and pushed at once (default 10m)"),
	OPT_END
};

static long duration, batch = 10 * 60;

/* The options' own rules, before the plan is opened. */
static int check(struct cmd_ctx *ctx)
{
	if (ctx->nargs) {
		cmd_usage_error(ctx, "unexpected argument '%s'", ctx->args[0]);
		return EXIT_USAGE;
	}
	if (batch_arg && (duration_parse(batch_arg, &batch) < 0 || batch < 1)) {
		cmd_usage_error(ctx, "invalid --batch '%s': a duration like 5m", batch_arg);
		return EXIT_USAGE;
	}
	if ((commit || push) && dry) {
		cmd_usage_error(ctx, "a dry run changes nothing: there is nothing to commit");
		return EXIT_USAGE;
	}
	if (for_arg && duration_parse(for_arg, &duration) < 0) {
		cmd_usage_error(ctx, "invalid --for '%s': %s", for_arg, error_last());
		return EXIT_USAGE;
	}
	if (drain && (dry || for_arg)) {
		cmd_usage_error(ctx, "--drain stops by itself: not with --for or --dry-run");
		return EXIT_USAGE;
	}
	if (now_arg && !dry && !sink) {
		cmd_usage_error(ctx, "--now runs a virtual clock and would burst through real accounts: give --sink or --dry-run");
		return EXIT_USAGE;
	}
	return 0;
}

static void print_report(const struct sender_report *report)
{
	char from[32], to[32];

	time_format_rfc3339(from, report->started);
	time_format_rfc3339(to, report->ended ? report->ended : report->started);
	cmd_printf("send: %ld sent, %ld failed, %ld retrying, %ld deferred, %ld critical, %ld unconfirmed in %zu campaign%s (%s to %s)\n",
		   report->sent, report->failed, report->retrying, report->deferred, report->critical,
		   report->unconfirmed, report->campaigns, report->campaigns == 1 ? "" : "s", from, to);
}

static int run(struct cmd_ctx *ctx)
{
	struct sender_options so;
	struct sender_report report;
	struct diag_list diags = DIAG_LIST_INIT;
	struct progress pr;
	struct plan *p = NULL;
	size_t i;
	struct publisher *pub = NULL;
	struct sender_publisher sp;
	time_t now = 0;
	int code = 1, lock = -1, rc;

	memset(&so, 0, sizeof(so));
	memset(&pr, 0, sizeof(pr));
	if (!dry && cmd_lock_logs(ctx->repo, &lock) < 0)
		goto done;
	p = cmd_open_plan(ctx, NULL, 0);
	if (!p)
		goto done;
	for (i = 0; i < accounts.count; i++) {
		if (!config_account(plan_config(p), accounts.items[i])) {
			cmd_error("unknown account '%s'", accounts.items[i]);
			goto done;
		}
	}
	if (now_arg && time_parse_local(now_arg, plan_config(p)->zone, &now) < 0) {
		cmd_usage_error(ctx, "invalid --now '%s': %s", now_arg, error_last());
		code = EXIT_USAGE;
		goto done;
	}
	if (dry) {
		code = dry_run(p, now ? now : clock_now(), for_arg ? duration : 0);
		goto done;
	}
	so.now = now;
	so.duration = duration;
	so.drain = drain;
	so.accounts = accounts.count ? accounts.items : NULL;
	so.naccounts = accounts.count;
	so.sink = sink;
	if (sender_check(p, &so) < 0) {
		cmd_error("%s", error_last());
		goto done;
	}
	if ((commit || push) && open_publisher(ctx, p, &so, push, &pub, &sp, batch) < 0)
		goto done;
	if (confirm_first(ctx, p, &so, pub) < 0)
		goto done;
	so.on_event = progress_on_event;
	so.payload = &pr;
	so.stop = &stop_requested;
	so.publisher = pub ? &sp : NULL;
	so.diags = &diags;
	pr.tty = isatty(STDOUT_FILENO);
	if (pr.tty) {
		progress_init(&pr, p, &so);
		progress_draw(&pr, 1);
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	rc = sender_run(p, &so, &report);
	diag_sort(&diags);
	diag_print(stderr, &diags);
	if (rc < 0) {
		cmd_error("%s", error_last());
		goto done;
	}
	if (pr.tty)
		progress_draw(&pr, 1);
	print_report(&report);
	code = report.accounts_unavailable ? 1 : 0;
done:
	diag_release(&diags);
	progress_release(&pr);
	publisher_free(pub);
	if (lock >= 0)
		close(lock);
	plan_close(p);
	return code;
}

const struct command cmd_send_entry = {
	.name = "send",
	.summary = "send what is due, throttled, through the owners' accounts",
	.description = "Sends the due messages of the active campaigns through their owners'\n"
		       "accounts: inside working hours, on working days, at the pace of each\n"
		       "account's daily limit, never twice to one recipient.  Each attempt is\n"
		       "claimed in campaigns/ID/log/ACCOUNT.tsv before it goes out and its outcome\n"
		       "appended after, so a run killed at any moment loses nothing and sends\n"
		       "nothing twice.\n",
	.opts = opts,
	.help_column = 21,
	.notes = "Needs MAILOUT_SECRET and the accounts' secrets.\n",
	.exit_status = "0 done: delivery errors show in the status and the logs, not here\n"
		       "1 failure or invalid content\n"
		       "2 usage: an unknown option, a missing or extra argument\n",
	.flags = NEEDS_REPO,
	.check = check,
	.run = run,
};
