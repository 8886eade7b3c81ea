#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "buf.h"
#include "campaign.h"
#include "cmd.h"
#include "config.h"
#include "diag.h"
#include "plan.h"
#include "recipients.h"
#include "schedule.h"
#include "sender.h"
#include "util.h"
#include "validate.h"
#include "xalloc.h"
#include "yamlfile.h"

#define FORECAST_HORIZON (366L * 24 * 3600)

/* One campaign to create, one per recipient type. */
struct new_campaign {
	enum recipient_type type;
	char *id, *name;
	/* from the dry run */
	long would_send;
	time_t last_send;
};

struct new_request {
	struct new_campaign *items;
	size_t count;
	const char *template, *owner, *segment, *start, *end;
	struct filter filter;
	int has_filter, paused, vip_only;
};

static int parse_types(struct cmd_ctx *ctx, const char *text, struct new_request *req)
{
	const char *names[RTYPE_COUNT], *hint, *p = text;
	char *word = NULL;
	size_t i, len;
	int t, ret = -1;

	for (i = 0; i < RTYPE_COUNT; i++)
		names[i] = recipient_type_name((enum recipient_type)i);
	req->items = xcalloc(RTYPE_COUNT, sizeof(*req->items));
	for (;;) {
		len = strcspn(p, ",");
		free(word);
		word = xstrndup(p, len);
		t = recipient_type_parse(word);
		if (t < 0) {
			hint = suggest_closest(word, names, RTYPE_COUNT);
			if (hint)
				cmd_usage_error(ctx, "unknown recipient type '%s' (did you mean '%s'?)",
						word, hint);
			else
				cmd_usage_error(ctx, "unknown recipient type '%s': contacts, companies or leads",
						word);
			goto done;
		}
		for (i = 0; i < req->count; i++) {
			if ((int)req->items[i].type == t) {
				cmd_usage_error(ctx, "recipient type '%s' is given twice", word);
				goto done;
			}
		}
		req->items[req->count++].type = (enum recipient_type)t;
		if (!p[len])
			break;
		p += len + 1;
	}
	ret = 0;
done:
	free(word);
	return ret;
}

/* --filter '{field: value, ...}': the same syntax as a campaign's filter. */
static int parse_filter(struct cmd_ctx *ctx, const char *text, struct filter *out)
{
	struct diag_list diags = DIAG_LIST_INIT;
	struct ydoc *doc = NULL;
	int ret = -1;

	if (ydoc_parse(&doc, "--filter", text, strlen(text), 0, &diags) < 0)
		goto done;
	if (!doc->root) {
		diag_add(&diags, DIAG_ERROR, "--filter", 0, 0,
			 "the filter is empty: give a mapping like '{country: DE}'");
		goto done;
	}
	ret = filter_parse(out, doc, doc->root, &diags);
done:
	if (ret < 0) {
		diag_print(stderr, &diags);
		cmd_usage_error(ctx, "invalid --filter '%s'", text);
	}
	ydoc_free(doc);
	diag_release(&diags);
	return ret;
}

/* The local date of t in the organisation's zone, "2026-12-07". */
static void local_date(char out[32], const struct tz *zone, time_t t)
{
	struct tm tm;

	tz_to_local(zone, t, &tm);
	snprintf(out, 32, "%04d-%02d-%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
}

/* The template's name as a campaign id part: lower case, '-' for the rest. */
static char *id_from_template(const char *template, size_t max)
{
	struct buf b = BUF_INIT;
	const char *p;

	for (p = template; *p && b.len < max; p++) {
		char c = *p >= 'A' && *p <= 'Z' ? (char)(*p - 'A' + 'a') : *p;
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')))
			c = '-';
		if (c == '-' && (!b.len || b.ptr[b.len - 1] == '-'))
			continue;
		buf_addc(&b, c);
	}
	while (b.len && b.ptr[b.len - 1] == '-')
		buf_truncate(&b, b.len - 1);
	return buf_detach(&b, NULL);
}

/* Ids and names of the campaigns to create. */
static int make_names(struct cmd_ctx *ctx, struct new_request *req, const struct config *cfg,
		      const char *id, const char *name)
{
	const struct person *owner = config_person(cfg, req->owner);
	char *base = NULL, *t, date[32];
	size_t i;
	int ret = -1;

	snprintf(date, sizeof(date), "%.10s", req->start);
	if (id) {
		base = xstrdup(id);
	} else {
		t = id_from_template(req->template, 40);
		base = *t ? xasprintf("%s-%s", t, date) : xstrdup("");
		free(t);
	}
	for (i = 0; i < req->count; i++) {
		struct new_campaign *c = &req->items[i];
		const char *type = recipient_type_name(c->type);

		c->id = req->count > 1 ? xasprintf("%s-%s", base, type) : xstrdup(base);
		if (campaign_id_check(c->id) < 0) {
			if (id)
				cmd_usage_error(ctx, "invalid campaign id '%s': use lower-case letters, digits and '-', starting with a letter or digit",
						c->id);
			else
				cmd_usage_error(ctx, "cannot make a campaign id from template '%s': give one with --id",
						req->template);
			goto done;
		}
		if (name && req->count > 1)
			c->name = xasprintf("%s (%s)", name, type);
		else if (name)
			c->name = xstrdup(name);
		else
			c->name = xasprintf("%s (%s of %s, from %s)", req->template, type,
					    owner && owner->name ? owner->name : req->owner, date);
	}
	ret = 0;
done:
	free(base);
	return ret;
}

static int is_new_file(const struct new_request *req, const char *path, size_t *which)
{
	size_t i, len;

	for (i = 0; i < req->count; i++) {
		len = strlen(req->items[i].id);
		if (!strncmp(path, "campaigns/", 10) && !strncmp(path + 10, req->items[i].id, len) &&
		    path[10 + len] == '/') {
			*which = i;
			return 1;
		}
	}
	return 0;
}

static int same_diag(const struct diag *a, const struct diag *b)
{
	return a->severity == b->severity && a->line == b->line && a->col == b->col &&
	       !strcmp(a->path, b->path) && !strcmp(a->message, b->message);
}

static int listed(const struct diag_list *l, const struct diag *d)
{
	size_t i;

	for (i = 0; i < l->count; i++) {
		if (same_diag(&l->items[i], d))
			return 1;
	}
	return 0;
}

/*
 * Prints what the new campaigns brought (diagnostics not in before): an
 * error of a new file as "mailout: cannot create 'ID': ...", since that
 * file is removed again; everything else as a diagnostic.
 */
static void print_new_diags(const struct new_request *req, const struct diag_list *before,
			    const struct diag_list *after, int errors)
{
	struct diag_list other = DIAG_LIST_INIT;
	size_t i, which;

	for (i = 0; i < after->count; i++) {
		const struct diag *d = &after->items[i];

		if ((d->severity == DIAG_ERROR) != errors || listed(before, d))
			continue;
		if (errors && is_new_file(req, d->path, &which))
			cmd_error("cannot create '%s': %s", req->items[which].id, d->message);
		else
			diag_add(&other, d->severity, d->path, d->line, d->col, "%s", d->message);
	}
	diag_print(stderr, &other);
	if (errors && other.count)
		cmd_error("the new campaign%s would not validate; nothing was created",
			  req->count == 1 ? "" : "s");
	diag_release(&other);
}

static void on_would_send(const struct sender_event *e, void *payload)
{
	struct new_request *req = payload;
	size_t i;

	if (e->kind != SENDER_WOULD_SEND)
		return;
	for (i = 0; i < req->count; i++) {
		if (!strcmp(req->items[i].id, e->campaign)) {
			req->items[i].would_send++;
			req->items[i].last_send = e->time;
		}
	}
}

/* A dry run of the owner's accounts on a virtual clock from now: when
 * would the new campaigns be through?  Nothing changes. */
static int forecast(struct plan *p, struct new_request *req)
{
	struct sender_options so;
	struct sender_report report;
	const struct config *cfg = plan_config(p);
	const char **accounts;
	size_t i, n = 0;
	int ret;

	accounts = xcalloc(cfg->naccounts + 1, sizeof(*accounts));
	for (i = 0; i < cfg->naccounts; i++) {
		if (cfg->accounts[i].owner && !strcmp(cfg->accounts[i].owner, req->owner))
			accounts[n++] = cfg->accounts[i].id;
	}
	memset(&so, 0, sizeof(so));
	so.now = clock_now();
	so.duration = FORECAST_HORIZON;
	so.accounts = accounts;
	so.naccounts = n;
	so.dry_run = 1;
	so.on_event = on_would_send;
	so.payload = req;
	ret = n ? sender_run(p, &so, &report) : 0;
	free(accounts);
	return ret;
}

/* "created ...: N recipients (V VIP), finishing around DATE" */
static int print_created(struct plan *p, const struct new_request *req, int forecast_ok)
{
	struct plan_campaign_counts counts;
	struct buf line = BUF_INIT;
	char date[32];
	size_t i;
	int ret = -1;

	for (i = 0; i < req->count; i++) {
		const struct new_campaign *c = &req->items[i];
		const struct campaign *camp = campaigns_find(plan_campaigns(p), c->id);
		long vip, suppressed, skipped, pending, n;

		if (plan_campaign_counts(p, c->id, &counts) < 0 || plan_campaign_vips(p, c->id, &vip) < 0)
			goto done;
		suppressed = counts.count[STATE_SUPPRESSED];
		skipped = counts.count[STATE_SKIPPED];
		pending = counts.count[STATE_PENDING];
		n = counts.recipients - suppressed - skipped;
		plan_campaign_counts_release(&counts);
		buf_reset(&line);
		buf_addf(&line, "created campaigns/%s/campaign.yaml: %ld recipient%s (%ld VIP)", c->id,
			 n, n == 1 ? "" : "s", vip);
		if (suppressed && skipped)
			buf_addf(&line, ", not counting %ld suppressed and %ld skipped (this template reached them already)",
				 suppressed, skipped);
		else if (suppressed)
			buf_addf(&line, ", not counting %ld suppressed", suppressed);
		else if (skipped)
			buf_addf(&line, ", not counting %ld skipped (this template reached them already)",
				 skipped);
		if (req->paused) {
			buf_addf(&line, ", paused: nothing is sent until 'mailout resume %s'", c->id);
		} else if (!forecast_ok) {
			buf_adds(&line, ", no forecast");
		} else if (!pending) {
			buf_adds(&line, ", nothing to send");
		} else if (c->would_send >= pending) {
			local_date(date, plan_config(p)->zone, c->last_send);
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

static void release_request(struct new_request *req)
{
	size_t i;

	for (i = 0; req->items && i < req->count; i++) {
		free(req->items[i].id);
		free(req->items[i].name);
	}
	free(req->items);
	filter_release(&req->filter);
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
	OPT_VALUE("end", &end_arg, "DATE", "nothing is sent after"),
	OPT_SWITCH("paused", &paused_flag, "create it paused"),
	OPT_SWITCH("vip-only", &vip_only_flag, "VIP recipients only"),
	OPT_END
};

static int run(struct cmd_ctx *ctx)
{
	const struct {
		const char *name, *value;
	} required[] = { { "type", type_arg }, { "template", template_arg }, { "owner", owner_arg } };
	struct diag_list before = DIAG_LIST_INIT, after = DIAG_LIST_INIT, cfg_diags = DIAG_LIST_INIT;
	struct campaign_undo undo = CAMPAIGN_UNDO_INIT;
	struct new_request req;
	struct campaign_spec spec;
	struct config cfg;
	struct buf text = BUF_INIT;
	struct plan *p = NULL;
	char today[32];
	size_t i;
	int code = EXIT_USAGE, have_cfg = 0, forecast_ok;
	struct stat st;

	memset(&req, 0, sizeof(req));
	if (ctx->nargs) {
		cmd_usage_error(ctx, "unexpected argument '%s'", ctx->args[0]);
		goto done;
	}
	for (i = 0; i < sizeof(required) / sizeof(required[0]); i++) {
		if (!required[i].value) {
			cmd_usage_error(ctx, "option '--%s' is required", required[i].name);
			goto done;
		}
	}
	if (segment_arg && filter_arg) {
		cmd_usage_error(ctx, "use either --segment or --filter, not both");
		goto done;
	}
	if (name_arg && (!*name_arg || !header_safe(name_arg, strlen(name_arg)))) {
		cmd_usage_error(ctx, "the name must not be empty or hold a line break");
		goto done;
	}
	if (parse_types(ctx, type_arg, &req) < 0)
		goto done;
	if (filter_arg) {
		if (parse_filter(ctx, filter_arg, &req.filter) < 0)
			goto done;
		req.has_filter = 1;
	}
	req.template = template_arg;
	req.owner = owner_arg;
	req.segment = segment_arg;
	req.end = end_arg;
	req.paused = paused_flag > 0;
	req.vip_only = vip_only_flag > 0;

	code = 1;
	have_cfg = 1;
	if (config_load(&cfg, ctx->repo, &cfg_diags) < 0) {
		diag_sort(&cfg_diags);
		diag_print(stderr, &cfg_diags);
		cmd_error("cannot read %s; nothing was created", CONFIG_FILE);
		goto done;
	}
	clock_set_zone(cfg.zone);
	code = EXIT_USAGE;
	if (check_time(ctx, "start", start_arg, &cfg) < 0 ||
	    check_time(ctx, "end", req.end, &cfg) < 0)
		goto done;
	if (start_arg) {
		req.start = start_arg;
	} else {
		time_t now = clock_now();
		if (now == (time_t)-1) {
			cmd_error("%s", error_last());
			code = 1;
			goto done;
		}
		local_date(today, cfg.zone, now);
		req.start = today;
	}
	if (make_names(ctx, &req, &cfg, id_arg, name_arg) < 0)
		goto done;

	code = 1;
	for (i = 0; i < req.count; i++) {
		char *dir = xasprintf("%s/campaigns/%s", ctx->repo, req.items[i].id);
		int exists = lstat(dir, &st) == 0;

		free(dir);
		if (exists) {
			cmd_error("campaign '%s' already exists (campaigns/%s); choose another id with --id",
				  req.items[i].id, req.items[i].id);
			goto done;
		}
	}
	validate_repo(ctx->repo, &before, NULL);
	if (before.errors) {
		cmd_error("the content has %zu error%s already ('mailout validate' shows them); nothing was created",
			  before.errors, before.errors == 1 ? "" : "s");
		goto done;
	}
	for (i = 0; i < req.count; i++) {
		memset(&spec, 0, sizeof(spec));
		spec.name = req.items[i].name;
		spec.template = req.template;
		spec.owner = req.owner;
		spec.type = req.items[i].type;
		spec.segment = req.segment;
		spec.filter = req.has_filter ? &req.filter : NULL;
		spec.paused = req.paused;
		spec.vip_only = req.vip_only;
		spec.start = req.start;
		spec.end = req.end;
		buf_reset(&text);
		campaign_format(&text, &spec);
		if (campaign_create(ctx->repo, req.items[i].id, text.ptr, text.len, &undo) < 0) {
			cmd_error("%s", error_last());
			campaign_undo_apply(&undo);
			goto done;
		}
	}
	/* what would not validate is taken back */
	validate_repo(ctx->repo, &after, NULL);
	diag_sort(&after);
	if (after.errors) {
		if (campaign_undo_apply(&undo) < 0)
			cmd_error("%s", error_last());
		print_new_diags(&req, &before, &after, 1);
		goto done;
	}
	print_new_diags(&req, &before, &after, 0);
	diag_release(&after);
	if (plan_open(&p, ctx->repo, NULL, 0, &after) < 0) {
		diag_sort(&after);
		diag_print(stderr, &after);
		if (!after.errors)
			cmd_error("%s", error_last());
		if (campaign_undo_apply(&undo) < 0)
			cmd_error("%s", error_last());
		cmd_error("the plan cannot take the new campaign; nothing was created");
		goto done;
	}
	forecast_ok = req.paused || forecast(p, &req) == 0;
	if (!forecast_ok)
		cmd_error("no forecast: %s", error_last());
	if (print_created(p, &req, forecast_ok) < 0) {
		cmd_error("%s", error_last());
		goto done;
	}
	code = 0;
done:
	campaign_undo_release(&undo);
	plan_close(p);
	buf_release(&text);
	diag_release(&before);
	diag_release(&after);
	diag_release(&cfg_diags);
	if (have_cfg)
		config_release(&cfg);
	release_request(&req);
	return code;
}

const struct command cmd_new_entry = {
	.name = "new",
	.summary = "create a campaign",
	.opts = opts,
	.help_column = 24,
	.notes = "Refuses what would not validate; prints each campaign's recipients and when the\n"
		 "forecast sees it finished.\n",
	.flags = NEEDS_REPO,
	.run = run,
};
