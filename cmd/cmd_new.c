#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "campaign.h"
#include "campaign_new.h"
#include "cmd.h"
#include "config.h"
#include "diag.h"
#include "plan.h"
#include "schedule.h"

/* "created ...: N recipients (V VIP), finishing around DATE" */
static int print_created(struct plan *p, struct campaign_new *req, int forecast_ok)
{
	struct buf line = BUF_INIT;
	char date[32];
	size_t i;
	int ret = -1;

	for (i = 0; i < req->count; i++) {
		struct campaign_new_item *c = &req->items[i];
		const struct campaign *camp = campaigns_find(plan_campaigns(p), c->id);

		if (campaign_new_count(p, c) < 0)
			goto done;
		buf_reset(&line);
		buf_addf(&line, "created campaigns/%s/campaign.yaml: %ld recipient%s (%ld VIP)", c->id,
			 c->recipients, c->recipients == 1 ? "" : "s", c->vip);
		if (c->suppressed && c->skipped)
			buf_addf(&line, ", not counting %ld suppressed and %ld skipped (this template reached them already)",
				 c->suppressed, c->skipped);
		else if (c->suppressed)
			buf_addf(&line, ", not counting %ld suppressed", c->suppressed);
		else if (c->skipped)
			buf_addf(&line, ", not counting %ld skipped (this template reached them already)",
				 c->skipped);
		if (req->paused) {
			buf_addf(&line, ", paused: nothing is sent until 'mailout resume %s'", c->id);
		} else if (!forecast_ok) {
			buf_adds(&line, ", no forecast");
		} else if (!c->pending) {
			buf_adds(&line, ", nothing to send");
		} else if (c->would_send >= c->pending) {
			campaign_new_local_date(date, plan_config(p)->zone, c->last_send);
			buf_addf(&line, ", finishing around %s", date);
		} else if (camp && camp->end) {
			buf_addf(&line, ", %ld of them before its end (%s)", c->would_send, camp->end_text);
		} else {
			buf_addf(&line, ", %ld of them within a year", c->would_send);
		}
		puts(line.ptr);
	}
	ret = 0;
done:
	buf_release(&line);
	return ret;
}

/*
 * Why nothing was created.  An error of a new file reads "mailout: cannot
 * create 'ID': ...", since that file is gone again; other diagnostics are
 * printed as such.
 */
static void print_refusal(const struct campaign_new *req, const struct campaign_new_result *r)
{
	struct diag_list other = DIAG_LIST_INIT;
	size_t i;
	int which;

	if (r->outcome == CAMPAIGN_NEW_FAILED) {
		cmd_error("%s", r->error);
	} else if (r->outcome == CAMPAIGN_NEW_NO_PLAN) {
		diag_print(stderr, &r->diags);
		if (r->error)
			cmd_error("%s", r->error);
		if (r->undo_error)
			cmd_error("%s", r->undo_error);
		cmd_error("%s", error_last());
	} else {
		if (r->undo_error)
			cmd_error("%s", r->undo_error);
		for (i = 0; i < r->diags.count; i++) {
			const struct diag *d = &r->diags.items[i];

			which = campaign_new_item_of(req, d->path);
			if (which >= 0)
				cmd_error("cannot create '%s': %s", req->items[which].id, d->message);
			else
				diag_add(&other, d->severity, d->path, d->line, d->col, "%s", d->message);
		}
		diag_print(stderr, &other);
		if (other.count)
			cmd_error("%s", error_last());
	}
	diag_release(&other);
}

static int check_time(struct cmd_ctx *ctx, const char *option, const char *value,
		      const struct config *cfg)
{
	time_t t;
	int ret = 0;

	if (value && time_parse_local(value, cfg->zone, &t) < 0) {
		error_clear();
		cmd_usage_error(ctx, "invalid --%s '%s': expected a date (2026-12-01) or a date-time (2026-12-01T09:00)",
				option, value);
		ret = -1;
	}
	return ret;
}

static const char *type_arg, *template_arg, *owner_arg, *segment_arg, *filter_arg, *id_arg,
	*name_arg, *start_arg, *end_arg;
static int paused_flag, vip_only_flag;

static const struct opt_spec opts[] = {
	OPT_VALUE_USAGE("type", &type_arg, "TYPES", USAGE_REQUIRED, "TYPE[,TYPE...]",
			"contacts, companies or leads; several: one campaign each"),
	OPT_VALUE_USAGE("template", &template_arg, "NAME", USAGE_REQUIRED, NULL, "templates/NAME.md"),
	OPT_VALUE_USAGE("owner", &owner_arg, "PERSON", USAGE_REQUIRED, NULL,
			"only this person's recipients, sent through their accounts"),
	OPT_VALUE("segment", &segment_arg, "NAME", "a segment of recipients/segments.yaml"),
	OPT_VALUE_USAGE("filter", &filter_arg, "'{...}'", USAGE_CHOICE, NULL,
			"an inline filter, e.g. '{country: [DE, AT], tags: newsletter}'"),
	OPT_VALUE("id", &id_arg, "ID",
		  "the campaign id (default: TEMPLATE-START; with several types\n"
		  "the type is added: ID-contacts)"),
	OPT_VALUE("name", &name_arg, "NAME", "the campaign's name"),
	OPT_VALUE("start", &start_arg, "DATE", "nothing is sent before (default: today)"),
	OPT_VALUE("end", &end_arg, "DATE", "nothing is sent after this day"),
	OPT_SWITCH("paused", &paused_flag, "create it paused"),
	OPT_SWITCH("vip-only", &vip_only_flag, "VIP recipients only"),
	OPT_END
};

/* The request the options give, with the start as given or today (in
 * today); EXIT_USAGE or 1 after printing what is wrong, else 0. */
static int read_request(struct cmd_ctx *ctx, struct campaign_new *req, const struct config *cfg,
			char today[32])
{
	time_t now;

	req->template = template_arg;
	req->owner = owner_arg;
	req->segment = segment_arg;
	req->end = end_arg;
	req->paused = paused_flag > 0;
	req->vip_only = vip_only_flag > 0;
	if (check_time(ctx, "start", start_arg, cfg) < 0 || check_time(ctx, "end", req->end, cfg) < 0)
		return EXIT_USAGE;
	if (start_arg) {
		req->start = start_arg;
	} else {
		now = clock_now();
		if (now == (time_t)-1) {
			cmd_error("%s", error_last());
			return 1;
		}
		campaign_new_local_date(today, cfg->zone, now);
		req->start = today;
	}
	if (campaign_new_names(req, cfg, id_arg, name_arg) < 0) {
		cmd_usage_error(ctx, "%s", error_last());
		return EXIT_USAGE;
	}
	return 0;
}

/* The options' own rules, before the repository is read. */
static int check(struct cmd_ctx *ctx)
{
	const struct {
		const char *name, *value;
	} required[] = { { "type", type_arg }, { "template", template_arg }, { "owner", owner_arg } };
	size_t i;

	if (ctx->nargs) {
		cmd_usage_error(ctx, "unexpected argument '%s'", ctx->args[0]);
		return EXIT_USAGE;
	}
	for (i = 0; i < sizeof(required) / sizeof(required[0]); i++) {
		if (!required[i].value) {
			cmd_usage_error(ctx, "option '--%s' is required", required[i].name);
			return EXIT_USAGE;
		}
	}
	if (segment_arg && filter_arg) {
		cmd_usage_error(ctx, "use either --segment or --filter, not both");
		return EXIT_USAGE;
	}
	if (name_arg && (!*name_arg || !header_safe(name_arg, strlen(name_arg)))) {
		cmd_usage_error(ctx, "the name must not be empty or hold a line break");
		return EXIT_USAGE;
	}
	return 0;
}

static int run(struct cmd_ctx *ctx)
{
	struct campaign_new req = CAMPAIGN_NEW_INIT;
	struct campaign_new_result result = CAMPAIGN_NEW_RESULT_INIT;
	struct diag_list diags = DIAG_LIST_INIT;
	struct config cfg;
	char today[32];
	int code = EXIT_USAGE, have_cfg = 0, forecast_ok;

	if (campaign_new_add_types(&req, type_arg) < 0) {
		cmd_usage_error(ctx, "%s", error_last());
		goto done;
	}
	if (filter_arg && campaign_new_set_filter(&req, filter_arg, &diags) < 0) {
		diag_print(stderr, &diags);
		cmd_usage_error(ctx, "invalid --filter '%s'", filter_arg);
		goto done;
	}
	code = 1;
	have_cfg = 1;
	if (config_load(&cfg, ctx->repo, &diags) < 0) {
		diag_sort(&diags);
		diag_print(stderr, &diags);
		cmd_error("cannot read %s; nothing was created", CONFIG_FILE);
		goto done;
	}
	clock_set_zone(cfg.zone);
	code = read_request(ctx, &req, &cfg, today);
	if (code)
		goto done;
	code = 1;
	if (campaign_new_create(&result, &req, ctx->repo) < 0) {
		print_refusal(&req, &result);
		goto done;
	}
	diag_print(stderr, &result.diags);
	forecast_ok = req.paused || campaign_new_forecast(result.plan, &req) == 0;
	if (!forecast_ok)
		cmd_error("no forecast: %s", error_last());
	if (print_created(result.plan, &req, forecast_ok) < 0) {
		cmd_error("%s", error_last());
		goto done;
	}
	code = 0;
done:
	campaign_new_result_release(&result);
	diag_release(&diags);
	if (have_cfg)
		config_release(&cfg);
	campaign_new_release(&req);
	return code;
}

const struct command cmd_new_entry = {
	.name = "new",
	.summary = "create a campaign",
	.description = "Writes campaigns/ID/campaign.yaml, one campaign per recipient type, for the\n"
		       "owner's recipients that the segment or filter selects.\n",
	.opts = opts,
	.help_column = 24,
	.notes = "Refuses what would not validate; prints each campaign's recipients and when the\n"
		 "forecast sees it finished.\n",
	.flags = NEEDS_REPO,
	.check = check,
	.run = run,
};
