#include "campaign_new.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "buf.h"
#include "campaign.h"
#include "plan.h"
#include "schedule.h"
#include "sender.h"
#include "util.h"
#include "validate.h"
#include "xalloc.h"
#include "yamlfile.h"

#define FORECAST_HORIZON (366L * 24 * 3600)

void campaign_new_release(struct campaign_new *req)
{
	size_t i;

	if (!req)
		return;
	for (i = 0; req->items && i < req->count; i++) {
		free(req->items[i].id);
		free(req->items[i].name);
	}
	free(req->items);
	req->items = NULL;
	req->count = 0;
	filter_release(&req->filter);
}

int campaign_new_add_types(struct campaign_new *req, const char *text)
{
	const char *names[RTYPE_COUNT], *hint, *p = text;
	char *word = NULL;
	size_t i, len;
	int t, ret = -1;

	for (i = 0; i < RTYPE_COUNT; i++)
		names[i] = recipient_type_name((enum recipient_type)i);
	if (!req->items)
		req->items = xcalloc(RTYPE_COUNT, sizeof(*req->items));
	for (;;) {
		len = strcspn(p, ",");
		free(word);
		word = xstrndup(p, len);
		t = recipient_type_parse(word);
		if (t < 0) {
			hint = suggest_closest(word, names, RTYPE_COUNT);
			if (hint)
				error_set("unknown recipient type '%s' (did you mean '%s'?)", word, hint);
			else
				error_set("unknown recipient type '%s': contacts, companies or leads", word);
			goto done;
		}
		for (i = 0; i < req->count; i++) {
			if ((int)req->items[i].type == t) {
				error_set("recipient type '%s' is given twice", word);
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

int campaign_new_set_filter(struct campaign_new *req, const char *text, struct diag_list *diags)
{
	struct ydoc *doc = NULL;
	int ret = -1;

	if (ydoc_parse(&doc, "--filter", text, strlen(text), 0, diags) < 0)
		goto done;
	if (!doc->root) {
		diag_add(diags, DIAG_ERROR, "--filter", 0, 0,
			 "the filter is empty: give a mapping like '{country: DE}'");
		goto done;
	}
	filter_release(&req->filter);
	req->has_filter = 0;
	ret = filter_parse(&req->filter, doc, doc->root, diags);
	req->has_filter = ret == 0;
done:
	ydoc_free(doc);
	return ret;
}

void campaign_new_local_date(char out[32], const struct tz *zone, time_t t)
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

int campaign_new_names(struct campaign_new *req, const struct config *cfg, const char *id,
		       const char *name)
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
		struct campaign_new_item *c = &req->items[i];
		const char *type = recipient_type_name(c->type);

		free(c->id);
		free(c->name);
		c->name = NULL;
		c->id = req->count > 1 ? xasprintf("%s-%s", base, type) : xstrdup(base);
		if (campaign_id_check(c->id) < 0) {
			if (id)
				error_set("invalid campaign id '%s': use lower-case letters, digits and '-', starting with a letter or digit",
					  c->id);
			else
				error_set("cannot make a campaign id from template '%s': give one with --id",
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

int campaign_new_item_of(const struct campaign_new *req, const char *path)
{
	size_t i, len;

	if (strncmp(path, "campaigns/", 10))
		return -1;
	for (i = 0; i < req->count; i++) {
		len = strlen(req->items[i].id);
		if (!strncmp(path + 10, req->items[i].id, len) && path[10 + len] == '/')
			return (int)i;
	}
	return -1;
}

void campaign_new_result_release(struct campaign_new_result *r)
{
	if (!r)
		return;
	diag_release(&r->diags);
	free(r->error);
	free(r->undo_error);
	plan_close(r->plan);
	r->error = r->undo_error = NULL;
	r->plan = NULL;
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

/* Adds to out the diagnostics of after (errors, or the others) that are
 * not in before: what the new campaigns brought. */
static void add_new_diags(struct diag_list *out, const struct diag_list *before,
			  const struct diag_list *after, int errors)
{
	size_t i;

	for (i = 0; i < after->count; i++) {
		const struct diag *d = &after->items[i];

		if ((d->severity == DIAG_ERROR) != errors || listed(before, d))
			continue;
		diag_add(out, d->severity, d->path, d->line, d->col, "%s", d->message);
	}
}

/* -1 with error_set() when a new campaign's folder exists already. */
static int check_ids_free(const struct campaign_new *req, const char *root)
{
	struct stat st;
	size_t i;

	for (i = 0; i < req->count; i++) {
		char *dir = xasprintf("%s/campaigns/%s", root, req->items[i].id);
		int exists = lstat(dir, &st) == 0;

		free(dir);
		if (exists)
			return error_set("campaign '%s' already exists (campaigns/%s); choose another id with --id",
					 req->items[i].id, req->items[i].id);
	}
	return 0;
}

/* Writes each campaign file; those written are in undo. */
static int write_campaigns(const struct campaign_new *req, const char *root,
			   struct campaign_undo *undo)
{
	struct campaign_spec spec;
	struct buf text = BUF_INIT;
	size_t i;
	int ret = -1;

	for (i = 0; i < req->count; i++) {
		memset(&spec, 0, sizeof(spec));
		spec.name = req->items[i].name;
		spec.template = req->template;
		spec.owner = req->owner;
		spec.type = req->items[i].type;
		spec.segment = req->segment;
		spec.filter = req->has_filter ? &req->filter : NULL;
		spec.paused = req->paused;
		spec.vip_only = req->vip_only;
		spec.start = req->start;
		spec.end = req->end;
		buf_reset(&text);
		campaign_format(&text, &spec);
		if (campaign_create(root, req->items[i].id, text.ptr, text.len, undo) < 0)
			goto done;
	}
	ret = 0;
done:
	buf_release(&text);
	return ret;
}

/* Takes the new files back; a failure is kept in out->undo_error. */
static void take_back(struct campaign_new_result *out, struct campaign_undo *undo)
{
	if (campaign_undo_apply(undo) < 0)
		out->undo_error = xstrdup(error_last());
}

/* Opens the plan with the new campaigns (its diagnostics after those in
 * out already), or takes them back. */
static int open_plan(struct campaign_new_result *out, const char *root,
		     struct campaign_undo *undo)
{
	struct diag_list plan_diags = DIAG_LIST_INIT;
	size_t i;
	int ret = 0;

	if (plan_open(&out->plan, root, NULL, 0, &plan_diags) == 0) {
		out->outcome = CAMPAIGN_NEW_CREATED;
		goto done;
	}
	out->outcome = CAMPAIGN_NEW_NO_PLAN;
	diag_sort(&plan_diags);
	if (!plan_diags.errors)
		out->error = xstrdup(error_last());
	for (i = 0; i < plan_diags.count; i++) {
		const struct diag *d = &plan_diags.items[i];

		diag_add(&out->diags, d->severity, d->path, d->line, d->col, "%s", d->message);
	}
	take_back(out, undo);
	ret = error_set("the plan cannot take the new campaign; nothing was created");
done:
	diag_release(&plan_diags);
	return ret;
}

int campaign_new_create(struct campaign_new_result *out, struct campaign_new *req,
			const char *root)
{
	struct diag_list before = DIAG_LIST_INIT, after = DIAG_LIST_INIT;
	struct campaign_undo undo = CAMPAIGN_UNDO_INIT;
	int ret = -1;

	out->outcome = CAMPAIGN_NEW_FAILED;
	if (check_ids_free(req, root) < 0)
		goto done;
	validate_repo(root, &before, NULL);
	if (before.errors) {
		error_set("the content has %zu error%s already ('mailout validate' shows them); nothing was created",
			  before.errors, before.errors == 1 ? "" : "s");
		goto done;
	}
	if (write_campaigns(req, root, &undo) < 0) {
		out->error = xstrdup(error_last());
		campaign_undo_apply(&undo);
		error_set("%s", out->error);
		goto done;
	}
	/* what would not validate is taken back */
	validate_repo(root, &after, NULL);
	diag_sort(&after);
	if (after.errors) {
		out->outcome = CAMPAIGN_NEW_INVALID;
		take_back(out, &undo);
		add_new_diags(&out->diags, &before, &after, 1);
		error_set("the new campaign%s would not validate; nothing was created",
			  req->count == 1 ? "" : "s");
		goto done;
	}
	add_new_diags(&out->diags, &before, &after, 0);
	ret = open_plan(out, root, &undo);
done:
	if (out->outcome == CAMPAIGN_NEW_FAILED && !out->error)
		out->error = xstrdup(error_last());
	campaign_undo_release(&undo);
	diag_release(&before);
	diag_release(&after);
	return ret;
}

static void on_would_send(const struct sender_event *e, void *payload)
{
	struct campaign_new *req = payload;
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

int campaign_new_forecast(struct plan *p, struct campaign_new *req)
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

int campaign_new_count(struct plan *p, struct campaign_new_item *item)
{
	struct plan_campaign_counts counts;
	int ret = -1;

	memset(&counts, 0, sizeof(counts));
	if (plan_campaign_counts(p, item->id, &counts) < 0 ||
	    plan_campaign_vips(p, item->id, &item->vip) < 0)
		goto done;
	item->suppressed = counts.count[STATE_SUPPRESSED];
	item->skipped = counts.count[STATE_SKIPPED];
	item->pending = counts.count[STATE_PENDING];
	item->recipients = counts.recipients - item->suppressed - item->skipped;
	ret = 0;
done:
	plan_campaign_counts_release(&counts);
	return ret;
}
