/*
 * Building the status site: the plan's counts for every campaign page, the
 * theme, and the pages (site_pages.c, site_campaign.c), written through
 * site_files.c to a temporary folder that then takes the place of the old
 * site.
 */
#include "site_private.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "safefile.h"
#include "schedule.h"
#include "xalloc.h"

#define THEME_FILE_MAX (1u << 20)

/* ---- the site being built ---- */

const char *site_intern(struct site *s, const char *name)
{
	return name ? strmap_put(&s->names, name, NULL)->key : NULL;
}

static struct campaign_page *page_of(struct site *s, const char *campaign)
{
	struct strmap_entry *e = strmap_get(&s->ids, campaign);

	return e ? &s->pages[(intptr_t)e->value - 1] : NULL;
}

/* ---- reading the plan: a few aggregate queries ---- */

int site_plan_failed(struct site *s, const char *what)
{
	return error_set("cannot read the plan (%s): %s", what, plan_error(s->p));
}

struct account_counts *site_counts_for(struct campaign_page *pg, const char *account)
{
	size_t i;

	for (i = 0; i < pg->naccounts; i++) {
		if (pg->accounts[i].account == account)
			return &pg->accounts[i];
	}
	pg->accounts = xrealloc(pg->accounts, (pg->naccounts + 1) * sizeof(*pg->accounts));
	memset(&pg->accounts[pg->naccounts], 0, sizeof(*pg->accounts));
	pg->accounts[pg->naccounts].account = account;
	return &pg->accounts[pg->naccounts++];
}

/* Deliveries by campaign, account and state, as the summaries count them. */
static void load_breakdown(struct site *s)
{
	size_t i, j;
	int state;

	for (i = 0; i < s->n; i++) {
		const struct campaign_summary *cs = &s->summaries[i];

		for (j = 0; j < cs->nby_account; j++) {
			struct account_counts *ac =
				site_counts_for(&s->pages[i], site_intern(s, cs->by_account[j].account));

			for (state = 0; state < STATE_COUNT; state++)
				ac->count[state] += cs->by_account[j].count[state];
		}
	}
}

/* Messages sent per campaign, account and day. */
static int load_progress(struct site *s)
{
	struct plan_iter *it = NULL;
	struct plan_progress row;
	int rc, ret = -1;

	if (plan_progress_open(&it, s->p) < 0)
		goto done;
	while ((rc = plan_progress_next(it, &row)) == PLAN_ROW) {
		struct campaign_page *pg = page_of(s, row.campaign);
		struct day_sent *d;

		if (!pg)
			continue;
		XGROW(pg->days, pg->days_cap, pg->ndays + 1);
		d = &pg->days[pg->ndays++];
		d->account = site_intern(s, row.account);
		d->day = row.day;
		d->sent = row.sent;
		if (d->day == s->today)
			site_counts_for(pg, d->account)->sent_today += d->sent;
	}
	if (rc < 0) {
		site_plan_failed(s, "progress");
		goto done;
	}
	ret = 0;
done:
	plan_iter_free(it);
	return ret;
}

/* ---- the theme ---- */

static int theme_read(struct buf *out, const char *root, const char *name, struct diag_list *diags)
{
	struct buf rel = BUF_INIT;
	int r, ret = 0;

	buf_addf(&rel, "%s/%s", SITE_THEME_DIR, name);
	if ((r = content_read(out, root, rel.ptr, THEME_FILE_MAX, diags)) < 0) {
		const struct site_theme_file *f;

		if (r == CONTENT_REFUSED) {
			ret = -1;
			goto done;
		}
		/* no theme of its own: the built-in one */
		for (f = site_theme_files; errno == ENOENT && f->name; f++) {
			if (!strcmp(f->name, name)) {
				buf_reset(out);
				buf_adds(out, f->data);
				goto done;
			}
		}
		diag_add(diags, DIAG_ERROR, rel.ptr, 0, 0, "cannot read the status site's theme: %s",
			 errno == EFBIG ? "larger than 1 MiB" : strerror(errno));
		ret = -1;
	}
done:
	buf_release(&rel);
	return ret;
}

/* Parses the theme's template name; *source is the hash of its text. */
static int theme_template(struct template **out, uint64_t *source, const char *root,
			  const char *name, struct diag_list *diags)
{
	struct buf src = BUF_INIT, rel = BUF_INIT;
	int ret = -1;

	*out = NULL;
	buf_addf(&rel, "%s/%s", SITE_THEME_DIR, name);
	if (theme_read(&src, root, name, diags) == 0)
		ret = template_parse(out, src.ptr, src.len, rel.ptr, 1, 1, diags);
	*source = hash_bytes(src.ptr, src.len);
	buf_release(&src);
	buf_release(&rel);
	return ret;
}

static int theme_load(struct theme *t, const char *root, struct diag_list *diags)
{
	uint64_t unused;
	int bad = 0;

	bad |= theme_template(&t->page, &t->page_source, root, "page.html", diags);
	bad |= theme_template(&t->unsubscribe, &unused, root, "unsubscribe.html", diags);
	bad |= theme_read(&t->css, root, "style.css", diags);
	bad |= theme_read(&t->js, root, "app.js", diags);
	/* a version in the links, so browsers and caches fetch a changed theme */
	snprintf(t->css_href, sizeof(t->css_href), "assets/style.css?v=%010llx",
		 (unsigned long long)(hash_bytes(t->css.ptr, t->css.len) & 0xffffffffffULL));
	snprintf(t->js_href, sizeof(t->js_href), "assets/app.js?v=%010llx",
		 (unsigned long long)(hash_bytes(t->js.ptr, t->js.len) & 0xffffffffffULL));
	return bad ? -1 : 0;
}

static void theme_release(struct theme *t)
{
	template_free(t->page);
	template_free(t->unsubscribe);
	buf_release(&t->css);
	buf_release(&t->js);
}

/* ---- putting it together ---- */

static int write_site(struct site *s)
{
	size_t i;
	struct buf rel = BUF_INIT;
	int ret = -1;

	if (site_write(s, "assets/style.css", s->theme.css.ptr, s->theme.css.len) < 0 ||
	    site_write(s, "assets/app.js", s->theme.js.ptr, s->theme.js.len) < 0 ||
	    site_write_campaign_list(s, "", 0, NULL) < 0)
		goto done;
	for (i = 0; i < s->cfg->ndepartments; i++) {
		const char *id = s->cfg->departments[i].id;
		if (!id || id_check(id) < 0)
			continue;
		buf_reset(&rel);
		buf_addf(&rel, "departments/%s/", id);
		if (site_write_campaign_list(s, rel.ptr, 2, id) < 0)
			goto done;
	}
	for (i = 0; i < s->n; i++) {
		if (site_write_campaign_page(s, &s->pages[i]) < 0)
			goto done;
	}
	if (site_write_accounts_page(s) < 0 || site_write_unsubscribe_page(s) < 0)
		goto done;
	ret = 0;
done:
	buf_release(&rel);
	return ret;
}

int site_build(struct plan *p, const char *out_dir, time_t now, struct site_scan *scan,
	       struct diag_list *diags)
{
	struct site s;
	size_t i;
	int reading = 0, ret = -1;

	memset(&s, 0, sizeof(s));
	s.p = p;
	s.cfg = plan_config(p);
	s.now = now;
	s.diags = diags;
	s.today = schedule_day(&s.cfg->schedule, now);
	site_format_local(&s, now, s.updated);
	time_format_rfc3339(s.updated_iso, now);
	if (theme_load(&s.theme, plan_root(p), diags) < 0)
		goto done;
	/* one snapshot of the plan, and one lock instead of one per query */
	if (plan_read_begin(p) < 0) {
		site_plan_failed(&s, "a read transaction");
		goto done;
	}
	reading = 1;
	if (plan_summaries(p, now, &s.summaries, &s.n) < 0 || plan_accounts(p, now, &s.accounts) < 0)
		goto done;
	site_localize_reasons(&s);
	s.pages = xcalloc(s.n + 1, sizeof(*s.pages));
	for (i = 0; i < s.n; i++) {
		s.pages[i].summary = &s.summaries[i];
		strmap_put(&s.ids, s.summaries[i].campaign->id, NULL)->value = (void *)(intptr_t)(i + 1);
	}
	load_breakdown(&s);
	if (load_progress(&s) < 0)
		goto done;
	site_inputs_begin(&s);
	site_files_begin(&s, out_dir, scan);
	scan = NULL;
	if (write_site(&s) < 0 || site_files_commit(&s) < 0)
		goto done;
	ret = 0;
done:
	site_scan_free(scan);
	if (reading && plan_read_end(p) < 0 && ret == 0)
		ret = site_plan_failed(&s, "the end of a read transaction");
	site_files_release(&s);
	site_inputs_release(&s);
	for (i = 0; s.pages && i < s.n; i++) {
		free(s.pages[i].accounts);
		free(s.pages[i].days);
	}
	free(s.pages);
	plan_summaries_free(s.summaries, s.n);
	free(s.accounts);
	strmap_release(&s.ids, NULL);
	strmap_release(&s.names, NULL);
	theme_release(&s.theme);
	return ret;
}
