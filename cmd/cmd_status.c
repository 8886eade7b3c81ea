#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "cmd.h"
#include "plan.h"
#include "recipients.h"
#include "schedule.h"
#include "status.h"
#include "text.h"

/* Display width of UTF-8 text: one column per character. */
static size_t width(const char *s)
{
	return text_utf8_length(s, strlen(s));
}

/* Prints s in exactly w columns, its control characters made visible: cut
 * with an ellipsis, or padded. */
static void pad(const char *s, size_t w)
{
	struct buf v = BUF_INIT;
	size_t n, cols = 0;
	const char *p;

	buf_add_visible(&v, s, strlen(s));
	n = width(v.ptr);
	if (n > w) {
		for (p = v.ptr; *p; p++) {
			if (((unsigned char)*p & 0xc0) != 0x80 && ++cols == w)
				break;
			fputc(*p, stdout);
		}
		fputs("…", stdout);
	} else {
		fputs(v.ptr, stdout);
		for (; n < w; n++)
			fputc(' ', stdout);
	}
	buf_release(&v);
}

/* --json: every campaign, or one in detail. */
static int print_json(struct plan *p, const struct campaign_summary *list, size_t n, int one)
{
	struct buf b = BUF_INIT;
	int ret = 0;

	if (one)
		ret = status_json_detail(&b, p, list);
	else
		status_json(&b, p, list, n);
	if (ret == 0)
		fwrite(b.ptr, 1, b.len, stdout);
	buf_release(&b);
	return ret;
}

/* How many suppressed deliveries `status CAMPAIGN` explains (--json: all). */
#define SUPPRESSED_SHOWN 20

/* Why the first SUPPRESSED_SHOWN suppressed deliveries of campaign are. */
static int print_suppressed(struct plan *p, const char *campaign)
{
	struct plan_iter *it = NULL;
	struct plan_suppressed s;
	struct buf why = BUF_INIT;
	long n = 0;
	int rc, ret = -1;

	if (plan_suppressed_open(&it, p, campaign) < 0)
		goto done;
	while ((rc = plan_suppressed_next(it, &s)) == PLAN_ROW) {
		if (n++ >= SUPPRESSED_SHOWN)
			continue;
		buf_reset(&why);
		plan_suppressed_describe(&why, &s);
		cmd_printf("  %s %s: %s\n", s.recipient, s.address, why.ptr);
	}
	if (rc < 0)
		goto done;
	if (n > SUPPRESSED_SHOWN)
		cmd_printf("  and %ld more (status %s --json lists every one)\n",
			   n - SUPPRESSED_SHOWN, campaign);
	ret = 0;
done:
	buf_release(&why);
	plan_iter_free(it);
	return ret;
}

static void print_stars(const struct campaign_summary *s, int color)
{
	size_t j;

	for (j = 0; j < s->naccounts; j++) {
		if (color)
			fputs(s->accounts[j].usable ? "\033[32m★\033[0m" : "\033[31m★\033[0m", stdout);
		else
			fputs(s->accounts[j].usable ? "★" : "☆", stdout);
	}
	for (j = s->naccounts; j < 6; j++)
		fputc(' ', stdout);
}

static void print_table(const struct campaign_summary *list, size_t n)
{
	int color = isatty(STDOUT_FILENO);
	size_t i, wname = 4;
	char when[32];

	for (i = 0; i < n; i++) {
		size_t w = width(list[i].campaign->name);
		if (w > wname)
			wname = w > 40 ? 40 : w;
	}
	pad("NAME", wname);
	printf("  %-24s %-9s %-16s %4s  %-10s %6s %10s  %-6s\n", "ID", "TYPE", "STATUS", "DONE",
	       "OWNER", "TODAY", "RECIPIENTS", "ACCOUNTS");
	for (i = 0; i < n; i++) {
		const struct campaign_summary *s = &list[i];
		const struct campaign *c = s->campaign;

		pad(c->name, wname);
		cmd_printf("  %-24s %-9s %-16s %3d%%  %-10s %6ld %10ld  ", c->id,
		       recipient_type_name((enum recipient_type)c->type),
		       campaign_state_label(s->status), s->completion, c->owner, s->sent_today,
		       s->recipients);
		print_stars(s, color);
		fputc('\n', stdout);
		if (s->nnotifications) {
			const struct notification *nt = &s->notifications[0];
			time_format_rfc3339(when, nt->time);
			cmd_printf("    latest of %ld: %s %s %s %s\n", s->total_notifications, when,
			       nt->account, nt->recipient, nt->message);
		}
	}
	if (!color)
		cmd_printf("accounts: ★ usable, ☆ not usable\n");
}

static int print_one(struct plan *p, const struct campaign_summary *s)
{
	const struct campaign *c = s->campaign;
	char when[32];
	size_t j;
	int st;

	cmd_printf("%s (%s)\nstatus: %s, %d%% complete, %ld recipients, %ld sent today\n", c->name, c->id,
	       campaign_state_label(s->status), s->completion, s->recipients, s->sent_today);
	cmd_printf("template %s, %s of %s%s%s%s\n", c->template,
	       recipient_type_name((enum recipient_type)c->type), c->owner,
	       c->segment ? ", segment " : "", c->segment ? c->segment : "",
	       c->vip_only ? ", VIP only" : "");
	for (st = 0; st < STATE_COUNT; st++) {
		if (st != STATE_CLAIMED)
			cmd_printf("  %-12s %ld\n", delivery_state_name((enum delivery_state)st), s->count[st]);
	}
	cmd_printf("accounts:\n");
	for (j = 0; j < s->naccounts; j++) {
		const struct account_summary *a = &s->accounts[j];
		cmd_printf("  %s %-20s %s%s\n", a->usable ? "★" : "☆", a->account->id,
		       a->account->main ? "main, " : "", a->usable ? "usable" : a->reason);
	}
	if (s->nnotifications)
		cmd_printf("notifications (%ld, newest first):\n", s->total_notifications);
	for (j = 0; j < s->nnotifications; j++) {
		time_format_rfc3339(when, s->notifications[j].time);
		cmd_printf("  %s %s %s %s\n", when, s->notifications[j].account,
		       s->notifications[j].recipient, s->notifications[j].message);
	}
	if (!s->count[STATE_SUPPRESSED])
		return 0;
	cmd_printf("suppressed (%ld), and why:\n", s->count[STATE_SUPPRESSED]);
	return print_suppressed(p, c->id);
}

/* --check: one line on stderr per campaign and account with claims
 * unconfirmed for more than an hour. */
static void print_alerts(struct plan *p, const struct campaign_summary *list, size_t n)
{
	struct buf lines = BUF_INIT;
	char *line, *nl;

	status_unconfirmed_alerts(&lines, plan_config(p), list, n);
	for (line = lines.ptr; (nl = strchr(line, '\n')); line = nl + 1) {
		*nl = '\0';
		cmd_error("%s", line);
	}
	buf_release(&lines);
}

static int json, exit_on_problems;

static const struct opt_spec opts[] = {
	OPT_ARG("CAMPAIGN", USAGE_OPTIONAL,
		"one campaign in detail: every count, its accounts, notifications"),
	OPT_SWITCH("json", &json, "the plan's stamp and every campaign's counts as JSON"),
	OPT_SWITCH("check", &exit_on_problems,
		   "exit 1 when a campaign is interrupted, an account is red or a claim unconfirmed for over an hour"),
	OPT_END
};

static int check_args(struct cmd_ctx *ctx)
{
	if (ctx->nargs > 1) {
		cmd_usage_error(ctx, "unexpected argument '%s'", ctx->args[1]);
		return EXIT_USAGE;
	}
	return 0;
}

static int run(struct cmd_ctx *ctx)
{
	struct campaign_summary *list = NULL;
	struct plan *p = ctx->plan;
	const char *one = ctx->campaign ? ctx->campaign->id : NULL;
	size_t n = 0, first, shown;
	int code = 1, printed = 0;

	if (plan_summaries(p, clock_now(), &list, &n) < 0) {
		cmd_error("%s", error_last());
		goto done;
	}
	first = 0;
	if (one) {
		for (first = 0; first < n && strcmp(list[first].campaign->id, one); first++)
			;
		if (first == n) {
			cmd_error("unknown campaign '%s'", one);
			goto done;
		}
	}
	shown = one ? 1 : n;
	if (json)
		printed = print_json(p, list + first, shown, one != NULL);
	else if (one)
		printed = print_one(p, &list[first]);
	else
		print_table(list, n);
	if (printed < 0) {
		cmd_error("%s", error_last());
		goto done;
	}
	code = exit_on_problems && status_needs_attention(list + first, shown) ? 1 : 0;
	if (exit_on_problems)
		print_alerts(p, list + first, shown);
done:
	plan_summaries_free(list, n);
	return code;
}

const struct command cmd_status_entry = {
	.name = "status",
	.summary = "show every campaign's progress",
	.description = "Lists every campaign: name, id, recipient type, status, completion, owner,\n"
		       "sent today, recipients, the owner's accounts (usable or not) and the latest\n"
		       "notification.  With --check it is the scheduled job's alarm: a disabled or\n"
		       "resting account is no failure.\n",
	.opts = opts,
	.help_column = 18,
	.exit_status = "0 done; with --check: nothing waits for a person\n"
		       "1 failure; with --check: a campaign is interrupted, an account red or a claim unconfirmed for over an hour\n"
		       "2 usage: an unknown option, a missing or extra argument\n",
	.flags = NEEDS_REPO | NEEDS_PLAN | CAMPAIGN_ARG,
	.check = check_args,
	.run = run,
};
