#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "cmd.h"
#include "plan.h"
#include "recipients.h"
#include "schedule.h"

static void json_time(struct buf *b, time_t t)
{
	char when[32];

	if (!t) {
		buf_adds(b, "null");
		return;
	}
	time_format_rfc3339(when, t);
	buf_add_json_string(b, when);
}

static void json_opt_string(struct buf *b, const char *s)
{
	if (s)
		buf_add_json_string(b, s);
	else
		buf_adds(b, "null");
}

/* How many suppressed deliveries `status CAMPAIGN` explains (--json: all). */
#define SUPPRESSED_SHOWN 20

static void json_suppressed(struct buf *b, const struct plan_suppressed *s)
{
	buf_adds(b, "{\"recipient\": ");
	buf_add_json_string(b, s->recipient);
	buf_adds(b, ", \"address\": ");
	buf_add_json_string(b, s->address);
	buf_adds(b, ", \"bounce\": ");
	if (s->bounced_in) {
		buf_adds(b, "{\"campaign\": ");
		buf_add_json_string(b, s->bounced_in);
		buf_adds(b, ", \"recipient\": ");
		buf_add_json_string(b, s->bounced_recipient);
		buf_adds(b, ", \"time\": ");
		json_time(b, s->bounced_at);
		buf_addf(b, ", \"code\": %d, \"enhanced\": ", s->code);
		json_opt_string(b, s->enhanced);
		buf_adds(b, ", \"reply\": ");
		json_opt_string(b, s->reply);
		buf_addc(b, '}');
	} else {
		buf_adds(b, "null");
	}
	buf_adds(b, ", \"listed\": ");
	json_opt_string(b, s->listed);
	buf_addc(b, '}');
}

/* The suppressed deliveries of campaign: every one as JSON objects into
 * json, or else the first SUPPRESSED_SHOWN printed as lines. */
static int suppressed_list(struct plan *p, const char *campaign, struct buf *json)
{
	struct plan_iter *it = NULL;
	struct plan_suppressed s;
	struct buf why = BUF_INIT;
	long n = 0;
	int rc, ret = -1;

	if (plan_suppressed_open(&it, p, campaign) < 0)
		goto done;
	while ((rc = plan_suppressed_next(it, &s)) == PLAN_ROW) {
		if (json) {
			buf_adds(json, n ? ", " : "");
			json_suppressed(json, &s);
		} else if (n < SUPPRESSED_SHOWN) {
			buf_reset(&why);
			plan_suppressed_describe(&why, &s);
			cmd_printf("  %s %s: %s\n", s.recipient, s.address, why.ptr);
		}
		n++;
	}
	if (rc < 0)
		goto done;
	if (!json && n > SUPPRESSED_SHOWN)
		cmd_printf("  and %ld more (status %s --json lists every one)\n",
			   n - SUPPRESSED_SHOWN, campaign);
	ret = 0;
done:
	buf_release(&why);
	plan_iter_free(it);
	return ret;
}

static int print_json(struct plan *p, const struct campaign_summary *list, size_t n, int one)
{
	struct buf b = BUF_INIT;
	size_t i, j;
	int st, ret = -1;

	buf_adds(&b, "{\"plan\": {\"commit\": ");
	json_opt_string(&b, plan_commit(p)[0] ? plan_commit(p) : NULL);
	buf_addf(&b, ", \"dirty\": %s, \"built_at\": ", plan_dirty(p) ? "true" : "false");
	json_time(&b, plan_built_at(p));
	buf_adds(&b, "}, \"campaigns\": [");
	for (i = 0; i < n; i++) {
		const struct campaign_summary *s = &list[i];
		const struct campaign *c = s->campaign;

		buf_adds(&b, i ? ",\n  {" : "\n  {");
		buf_adds(&b, "\"id\": ");
		buf_add_json_string(&b, c->id);
		buf_adds(&b, ", \"name\": ");
		buf_add_json_string(&b, c->name);
		buf_adds(&b, ", \"recipient_type\": ");
		buf_add_json_string(&b, recipient_type_name((enum recipient_type)c->type));
		buf_addf(&b, ", \"status\": \"%s\", \"owner\": ", campaign_state_name(s->status));
		buf_add_json_string(&b, c->owner);
		buf_adds(&b, ", \"department\": ");
		json_opt_string(&b, s->department);
		buf_addf(&b, ", \"vip_only\": %s, \"template\": ", c->vip_only ? "true" : "false");
		buf_add_json_string(&b, c->template);
		buf_adds(&b, ", \"merged_into\": ");
		json_opt_string(&b, c->merged_into);
		buf_addf(&b, ", \"recipients\": %ld", s->recipients);
		for (st = 0; st < STATE_COUNT; st++) {
			if (st != STATE_CLAIMED)
				buf_addf(&b, ", \"%s\": %ld", delivery_state_name((enum delivery_state)st),
					 s->count[st]);
		}
		buf_addf(&b, ", \"completion\": %d, \"sent_today\": %ld, \"accounts\": [",
			 s->completion, s->sent_today);
		for (j = 0; j < s->naccounts; j++) {
			const struct account_summary *a = &s->accounts[j];
			buf_adds(&b, j ? ", {\"id\": " : "{\"id\": ");
			buf_add_json_string(&b, a->account->id);
			buf_addf(&b, ", \"main\": %s, \"usable\": %s, \"reason\": ",
				 a->account->main ? "true" : "false", a->usable ? "true" : "false");
			json_opt_string(&b, a->usable ? NULL : a->reason);
			buf_addc(&b, '}');
		}
		buf_addf(&b, "], \"notifications_total\": %ld, \"notifications\": [",
			 s->total_notifications);
		for (j = 0; j < s->nnotifications; j++) {
			const struct notification *nt = &s->notifications[j];
			buf_adds(&b, j ? ", {\"time\": " : "{\"time\": ");
			json_time(&b, nt->time);
			buf_adds(&b, ", \"account\": ");
			buf_add_json_string(&b, nt->account);
			buf_adds(&b, ", \"recipient\": ");
			buf_add_json_string(&b, nt->recipient);
			buf_adds(&b, ", \"message\": ");
			buf_add_json_string(&b, nt->message);
			buf_addc(&b, '}');
		}
		buf_addc(&b, ']');
		if (one) {
			/* one campaign in detail: why its deliveries are suppressed */
			buf_adds(&b, ", \"suppressed_deliveries\": [");
			if (suppressed_list(p, c->id, &b) < 0)
				goto done;
			buf_addc(&b, ']');
		}
		buf_addc(&b, '}');
	}
	buf_adds(&b, n ? "\n]}\n" : "]}\n");
	fwrite(b.ptr, 1, b.len, stdout);
	ret = 0;
done:
	buf_release(&b);
	return ret;
}

/* Display width of UTF-8 text: one column per character. */
static size_t width(const char *s)
{
	size_t w = 0;

	for (; *s; s++)
		w += ((unsigned char)*s & 0xc0) != 0x80;
	return w;
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
	return suppressed_list(p, c->id, NULL);
}

static int json, exit_on_problems;

static const struct opt_spec opts[] = {
	OPT_ARG("CAMPAIGN", USAGE_OPTIONAL,
		"one campaign in detail: every count, its accounts, notifications"),
	OPT_SWITCH("json", &json, "the plan's stamp and every campaign's counts as JSON"),
	OPT_SWITCH("check", &exit_on_problems,
		   "exit 1 when a campaign is interrupted or an account has a critical error"),
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
	size_t n = 0, i, j, first, shown;
	int code = 1, problems = 0, printed = 0;

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
	for (i = first; i < first + shown; i++) {
		problems |= list[i].status == STATUS_INTERRUPTED;
		for (j = 0; j < list[i].naccounts; j++)
			problems |= list[i].accounts[j].red;
	}
	code = exit_on_problems && problems ? 1 : 0;
done:
	plan_summaries_free(list, n);
	return code;
}

const struct command cmd_status_entry = {
	.name = "status",
	.summary = "show every campaign's progress",
	.opts = opts,
	.help_column = 18,
	.flags = NEEDS_REPO | NEEDS_PLAN | CAMPAIGN_ARG,
	.check = check_args,
	.run = run,
};
