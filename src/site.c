#include "site.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "config.h"
#include "recipients.h"
#include "render.h"
#include "safefile.h"
#include "schedule.h"
#include "template.h"
#include "text.h"
#include "util.h"
#include "xalloc.h"

#define THEME_FILE_MAX (1u << 20)
#define CHART_DAYS_MAX 366
#define CHART_SERIES 8

/* Pages may load their own folder's assets and the preview frame; nothing
 * else, from nowhere else. */
static const char page_csp[] =
	"default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
	"frame-src 'self'; base-uri 'none'; form-action 'none'";
/* The newsletter preview: its own inline styles, no script, no remote images. */
static const char preview_csp[] =
	"default-src 'none'; style-src 'unsafe-inline'; img-src data:; font-src data:; "
	"base-uri 'none'; form-action 'none'";

static const char *const month_abbr[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
					  "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };

/* ---- masking addresses ---- */

static int local_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c >= 0x80 || strchr("!#$%&'*+-/=?^_`{|}~.", c) != NULL;
}

static int domain_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c >= 0x80 || c == '.' || c == '-';
}

static void mask_span(struct buf *out, const char *local, size_t local_len, const char *domain,
		      size_t domain_len)
{
	if (local_len)
		buf_add(out, local, text_utf8_seq_len(local, local_len));
	buf_adds(out, "•••@");
	buf_add(out, domain, domain_len);
}

void site_mask_address(struct buf *out, const char *address)
{
	const char *at = strrchr(address, '@');

	if (!at) {
		buf_adds(out, "•••");
		return;
	}
	mask_span(out, address, (size_t)(at - address), at + 1, strlen(at + 1));
}

void site_mask_text(struct buf *out, const char *text)
{
	size_t len = strlen(text), i, start, end, copied = 0;

	for (i = 0; i < len; i++) {
		if (text[i] != '@')
			continue;
		start = i;
		if (start > copied + 1 && text[start - 1] == '"') {
			/* a quoted local part: "john doe"@example.net */
			for (start -= 2; start > copied && text[start] != '"'; start--)
				;
			if (text[start] != '"')
				start = i;
		} else {
			while (start > copied && local_char((unsigned char)text[start - 1]))
				start--;
		}
		end = i + 1;
		while (end < len && domain_char((unsigned char)text[end]))
			end++;
		while (end > i + 1 && (text[end - 1] == '.' || text[end - 1] == '-'))
			end--;
		if (start == i || end == i + 1)
			continue;
		buf_add(out, text + copied, start - copied);
		mask_span(out, text + start, i - start, text + i + 1, end - i - 1);
		copied = end;
		i = end - 1;
	}
	buf_add(out, text + copied, len - copied);
}

/* ---- output helpers: every string from content goes through these ---- */

/* HTML text or attribute value, addresses masked. */
static void put(struct buf *b, const char *s)
{
	struct buf m = BUF_INIT;

	if (!s)
		return;
	if (!strchr(s, '@')) {
		buf_add_html(b, s, strlen(s));
		return;
	}
	site_mask_text(&m, s);
	buf_add_html(b, m.ptr, m.len);
	buf_release(&m);
}

/* A JSON string for a script element, addresses masked. */
static void put_json(struct buf *b, const char *s)
{
	struct buf m = BUF_INIT;

	if (!s) {
		buf_adds(b, "\"\"");
		return;
	}
	site_mask_text(&m, s);
	buf_add_json_string(b, m.ptr);
	buf_release(&m);
}

/* A template value, addresses masked (the template escapes it). */
static struct tvalue *masked_value(const char *s)
{
	struct buf m = BUF_INIT;
	struct tvalue *v;

	site_mask_text(&m, s ? s : "");
	v = tvalue_string(m.ptr);
	buf_release(&m);
	return v;
}

static void put_count(struct buf *b, long n)
{
	char digits[32];
	size_t len, i;

	if (n < 0) {
		buf_addc(b, '-');
		n = -n;
	}
	len = (size_t)snprintf(digits, sizeof(digits), "%ld", n);
	for (i = 0; i < len; i++) {
		if (i && (len - i) % 3 == 0)
			buf_addc(b, ',');
		buf_addc(b, digits[i]);
	}
}

/* ---- the site being built ---- */

struct account_counts {
	const char *account; /* interned; NULL: no account assigned */
	long count[STATE_COUNT];
	long sent_today;
};

struct day_sent {
	int day; /* yyyymmdd in the organisation's zone */
	const char *account; /* interned */
	long sent;
};

struct campaign_page {
	const struct campaign_summary *summary;
	struct account_counts *accounts;
	size_t naccounts;
	struct day_sent *days; /* by day */
	size_t ndays, days_cap;
};

struct theme {
	struct template *page, *unsubscribe;
	struct buf css, js;
	char css_href[48], js_href[48];
};

struct site {
	struct plan *p;
	const struct config *cfg;
	time_t now;
	int today;
	char updated[48], updated_iso[32];
	struct campaign_summary *summaries;
	size_t n;
	struct account_summary *accounts; /* cfg.accounts order */
	struct campaign_page *pages; /* parallel to summaries */
	struct strmap ids; /* campaign id -> page index + 1 */
	struct strmap names; /* interned account ids */
	struct theme theme;
	char *dir; /* the new site, a temporary directory */
	struct diag_list *diags;
	int query_failed; /* a plan query failed where only a count could be returned */
};

static const char *intern(struct site *s, const char *name)
{
	return name ? strmap_put(&s->names, name, NULL)->key : NULL;
}

static struct campaign_page *page_of(struct site *s, const char *campaign)
{
	struct strmap_entry *e = strmap_get(&s->ids, campaign);

	return e ? &s->pages[(intptr_t)e->value - 1] : NULL;
}

static void format_local(const struct site *s, time_t t, char out[48])
{
	struct tm tm;

	tz_to_local(s->cfg->zone, t, &tm);
	snprintf(out, 48, "%04d-%02d-%02d %02d:%02d %s", tm.tm_year + 1900, tm.tm_mon + 1,
		 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_zone ? tm.tm_zone : "UTC");
}

static void put_time(struct buf *b, const struct site *s, time_t t)
{
	char iso[32], local[48];

	if (!t) {
		buf_adds(b, "—");
		return;
	}
	time_format_rfc3339(iso, t);
	format_local(s, t, local);
	buf_addf(b, "<time datetime=\"%s\">%s</time>", iso, local);
}

static const char *person_name(const struct site *s, const char *id)
{
	const struct person *person = id ? config_person(s->cfg, id) : NULL;

	return person && person->name ? person->name : id ? id : "";
}

static const char *department_name(const struct site *s, const char *id)
{
	const struct department *d = id ? config_department(s->cfg, id) : NULL;

	return d && d->name ? d->name : id ? id : "";
}

static void put_type(struct buf *b, int type)
{
	const char *name = type >= 0 && type < RTYPE_COUNT ?
		recipient_type_name((enum recipient_type)type) : "unknown";

	buf_addc(b, (char)(name[0] >= 'a' && name[0] <= 'z' ? name[0] - 'a' + 'A' : name[0]));
	buf_adds(b, name + 1);
}

/* ---- reading the plan: a few aggregate queries ---- */

static int sql_failed(struct site *s, const char *what)
{
	return error_set("cannot read the plan (%s): %s", what, plan_error(s->p));
}

static struct account_counts *counts_for(struct campaign_page *pg, const char *account)
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
				counts_for(&s->pages[i], intern(s, cs->by_account[j].account));

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
		d->account = intern(s, row.account);
		d->day = row.day;
		d->sent = row.sent;
		if (d->day == s->today)
			counts_for(pg, d->account)->sent_today += d->sent;
	}
	if (rc < 0) {
		sql_failed(s, "progress");
		goto done;
	}
	ret = 0;
done:
	plan_iter_free(it);
	return ret;
}

/* ---- files ---- */

static int remove_tree(const char *path)
{
	struct stat st;
	DIR *d = NULL;
	struct dirent *e;
	struct buf child = BUF_INIT;
	int ret = -1;

	if (lstat(path, &st) < 0) {
		ret = errno == ENOENT ? 0 : -1;
		goto done;
	}
	if (!S_ISDIR(st.st_mode)) {
		ret = unlink(path);
		goto done;
	}
	d = opendir(path);
	if (!d)
		goto done;
	ret = 0;
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		buf_reset(&child);
		buf_addf(&child, "%s/%s", path, e->d_name);
		if (remove_tree(child.ptr) < 0)
			ret = -1;
	}
	closedir(d);
	if (rmdir(path) < 0)
		ret = -1;
done:
	buf_release(&child);
	return ret;
}

/* Leftovers of builds that were killed. */
static void remove_stale(const char *out_dir)
{
	DIR *d = opendir(out_dir);
	struct dirent *e;
	struct buf path = BUF_INIT;

	if (!d)
		return;
	while ((e = readdir(d))) {
		if (strncmp(e->d_name, ".site-new-", 10) && strncmp(e->d_name, ".site-old-", 10))
			continue;
		buf_reset(&path);
		buf_addf(&path, "%s/%s", out_dir, e->d_name);
		remove_tree(path.ptr);
	}
	closedir(d);
	buf_release(&path);
}

/* Writes rel (a path inside the new site) with its folders. */
static int site_write(struct site *s, const char *rel, const char *data, size_t len)
{
	struct buf path = BUF_INIT;
	FILE *f = NULL;
	int fd, ret = -1;

	buf_addf(&path, "%s/%s", s->dir, rel);
	fd = content_open(s->dir, rel, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd == -1 && errno == ENOENT) {
		/* the first file of its folder: make the folders on the way */
		if (content_mkdir_parents(s->dir, rel) < 0)
			goto done;
		fd = content_open(s->dir, rel, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	}
	if (fd < 0)
		goto done;
	f = fdopen(fd, "wb");
	if (!f)
		close(fd);
	if (!f || fwrite(data, 1, len, f) != len) {
		error_set("cannot write '%s': %s", path.ptr, strerror(errno));
		goto done;
	}
	if (fclose(f) != 0) {
		f = NULL;
		error_set("cannot write '%s': %s", path.ptr, strerror(errno));
		goto done;
	}
	f = NULL;
	ret = 0;
done:
	if (f)
		fclose(f);
	buf_release(&path);
	return ret;
}

/* Puts the new site in place of the old one: an atomic exchange where the
 * system has one, else two renames (the old site is never half-replaced). */
static int swap_in(const char *fresh, const char *out_dir)
{
	struct buf final = BUF_INIT, old = BUF_INIT;
	struct stat st;
	int ret = -1;

	buf_addf(&final, "%s/site", out_dir);
	if (lstat(final.ptr, &st) < 0 && errno == ENOENT) {
		if (rename(fresh, final.ptr) < 0) {
			error_set("cannot rename '%s' to '%s': %s", fresh, final.ptr, strerror(errno));
			goto done;
		}
		ret = 0;
		goto done;
	}
#if defined(SYS_renameat2)
	if (syscall(SYS_renameat2, AT_FDCWD, fresh, AT_FDCWD, final.ptr, 2 /* RENAME_EXCHANGE */) == 0) {
		remove_tree(fresh); /* now the old site */
		ret = 0;
		goto done;
	}
#endif
	buf_addf(&old, "%s/.site-old-XXXXXX", out_dir);
	if (!mkdtemp(old.ptr) || rename(final.ptr, old.ptr) < 0 || rename(fresh, final.ptr) < 0) {
		error_set("cannot replace '%s': %s", final.ptr, strerror(errno));
		goto done;
	}
	remove_tree(old.ptr);
	ret = 0;
done:
	buf_release(&final);
	buf_release(&old);
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

static int theme_template(struct template **out, const char *root, const char *name,
			  struct diag_list *diags)
{
	struct buf src = BUF_INIT, rel = BUF_INIT;
	int ret = -1;

	*out = NULL;
	buf_addf(&rel, "%s/%s", SITE_THEME_DIR, name);
	if (theme_read(&src, root, name, diags) == 0)
		ret = template_parse(out, src.ptr, src.len, rel.ptr, 1, 1, diags);
	buf_release(&src);
	buf_release(&rel);
	return ret;
}

static int theme_load(struct theme *t, const char *root, struct diag_list *diags)
{
	int bad = 0;

	bad |= theme_template(&t->page, root, "page.html", diags);
	bad |= theme_template(&t->unsubscribe, root, "unsubscribe.html", diags);
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

/* ---- the page frame ---- */

static const char *const up[] = { "", "../", "../../" };

static void nav_item(struct tvalue *nav, const char *href, const char *label, int current)
{
	struct tvalue *item = tvalue_map();

	tvalue_map_set(item, "href", tvalue_string(href));
	tvalue_map_set(item, "label", masked_value(label));
	tvalue_map_set(item, "current", tvalue_bool(current));
	tvalue_list_push(nav, item);
}

/* Writes rel (depth folders below the top) in the frame of site/page.html. */
static int write_page(struct site *s, const char *rel, int depth, const char *title,
		      const struct buf *content)
{
	struct tvalue *ctx = tvalue_map(), *nav = tvalue_list();
	struct buf out = BUF_INIT, href = BUF_INIT;
	const char *root = up[depth];
	char commit[8];
	size_t i;
	int ret;

	tvalue_map_set(ctx, "title", masked_value(title));
	tvalue_map_set(ctx, "csp", tvalue_string(page_csp));
	tvalue_map_set(ctx, "root", tvalue_string(root));
	buf_addf(&href, "%s%s", root, s->theme.css_href);
	tvalue_map_set(ctx, "css", tvalue_string(href.ptr));
	buf_reset(&href);
	buf_addf(&href, "%s%s", root, s->theme.js_href);
	tvalue_map_set(ctx, "js", tvalue_string(href.ptr));
	tvalue_map_set(ctx, "organization", masked_value(s->cfg->org_name));
	buf_reset(&href);
	buf_addf(&href, "%sindex.html", root);
	nav_item(nav, href.ptr, "All campaigns", !strcmp(rel, "index.html"));
	for (i = 0; i < s->cfg->ndepartments; i++) {
		const struct department *d = &s->cfg->departments[i];
		if (!d->id || id_check(d->id) < 0)
			continue;
		buf_reset(&href);
		buf_addf(&href, "%sdepartments/%s/index.html", root, d->id);
		nav_item(nav, href.ptr, d->name ? d->name : d->id,
			 !strncmp(rel, "departments/", 12) && !strncmp(rel + 12, d->id, strlen(d->id)) &&
			 !strcmp(rel + 12 + strlen(d->id), "/index.html"));
	}
	buf_reset(&href);
	buf_addf(&href, "%saccounts/index.html", root);
	nav_item(nav, href.ptr, "Accounts", !strcmp(rel, "accounts/index.html"));
	tvalue_map_set(ctx, "nav", nav);
	tvalue_map_set(ctx, "content", tvalue_stringn(content->ptr, content->len));
	tvalue_map_set(ctx, "updated", tvalue_string(s->updated));
	tvalue_map_set(ctx, "updated_iso", tvalue_string(s->updated_iso));
	if (plan_commit(s->p)[0]) {
		memcpy(commit, plan_commit(s->p), 7);
		commit[7] = '\0';
		tvalue_map_set(ctx, "commit", tvalue_string(commit));
		tvalue_map_set(ctx, "commit_full", tvalue_string(plan_commit(s->p)));
	} else {
		tvalue_map_set(ctx, "commit", tvalue_bool(0));
	}
	tvalue_map_set(ctx, "dirty", tvalue_bool(plan_dirty(s->p)));
	template_render(&out, s->theme.page, ctx, TEMPLATE_HTML);
	ret = site_write(s, rel, out.ptr, out.len);
	tvalue_free(ctx);
	buf_release(&out);
	buf_release(&href);
	return ret;
}

/* ---- pieces shared by the pages ---- */

static void put_badge(struct buf *b, enum campaign_state st)
{
	buf_addf(b, "<span class=\"badge badge-%s\">%s</span>", campaign_state_name(st),
		 campaign_state_label(st));
}

static void put_bar(struct buf *b, int percent, int large)
{
	buf_addf(b, "<div class=\"completion%s\"><svg class=\"bar%s\" viewBox=\"0 0 100 8\" "
		 "preserveAspectRatio=\"none\" aria-hidden=\"true\" focusable=\"false\">"
		 "<rect class=\"bar-track\" width=\"100\" height=\"8\" rx=\"2\"/>"
		 "<rect class=\"bar-fill\" width=\"%d\" height=\"8\" rx=\"2\"/></svg>"
		 "<span>%d%%</span></div>",
		 large ? " large" : "", percent >= 100 ? " done" : "", percent, percent);
}

static void put_star(struct buf *b, const struct account_summary *a)
{
	buf_addf(b, "<span class=\"star %s\" title=\"", a->usable ? "ok" : "bad");
	put(b, a->account->id);
	buf_adds(b, ": ");
	put(b, a->usable ? "usable" : a->reason);
	buf_adds(b, "\" aria-hidden=\"true\">★</span><span class=\"sr-only\">");
	put(b, a->account->id);
	buf_adds(b, a->usable ? ": usable" : ": not usable, ");
	if (!a->usable)
		put(b, a->reason);
	buf_adds(b, "</span>");
}

static void put_stars(struct buf *b, const struct campaign_summary *cs)
{
	size_t j;

	if (!cs->naccounts) {
		buf_adds(b, "<span class=\"state-bad\">none</span>");
		return;
	}
	buf_adds(b, "<ul class=\"stars\">");
	for (j = 0; j < cs->naccounts; j++) {
		buf_adds(b, "<li>");
		put_star(b, &cs->accounts[j]);
		buf_adds(b, "</li>");
	}
	buf_adds(b, "</ul>");
}

static void put_note(struct buf *b, const struct site *s, const struct notification *nt)
{
	buf_adds(b, "<p class=\"note\">");
	put_time(b, s, nt->time);
	buf_adds(b, " <span class=\"who\">");
	put(b, nt->account);
	if (nt->recipient && nt->recipient[0]) {
		buf_adds(b, " · ");
		put(b, nt->recipient);
	}
	buf_adds(b, "</span><br>");
	put(b, nt->message);
	buf_adds(b, "</p>");
}

static void put_notes_cell(struct buf *b, const struct site *s, const struct campaign_summary *cs)
{
	size_t j;

	if (!cs->nnotifications) {
		buf_adds(b, "<span class=\"muted\">none</span>");
		return;
	}
	put_note(b, s, &cs->notifications[0]);
	if (cs->total_notifications <= 1)
		return;
	buf_adds(b, "<details><summary>");
	put_count(b, cs->total_notifications - 1);
	buf_adds(b, cs->total_notifications == 2 ? " earlier notification" : " earlier notifications");
	buf_adds(b, "</summary><div class=\"note-scroll\" tabindex=\"0\" role=\"region\" "
		    "aria-label=\"Earlier notifications of ");
	put(b, cs->campaign->id);
	buf_adds(b, "\">");
	for (j = 1; j < cs->nnotifications; j++)
		put_note(b, s, &cs->notifications[j]);
	if (cs->total_notifications > (long)cs->nnotifications)
		buf_addf(b, "<p class=\"note muted\">The campaign page lists the latest %zu.</p>",
			 cs->nnotifications);
	buf_adds(b, "</div></details>");
}

/* ---- campaign tables: the top page and the departments ---- */

static int owner_cmp(const void *a, const void *b)
{
	const char *const *x = a, *const *y = b;

	return strcmp(x[1], y[1]);
}

static void put_option(struct buf *b, const char *value, const char *label)
{
	buf_adds(b, "<option value=\"");
	put(b, value);
	buf_adds(b, "\">");
	put(b, label);
	buf_adds(b, "</option>");
}

static void put_controls(struct buf *b, struct site *s, const size_t *rows, size_t nrows,
			 const char *department)
{
	const char **owners = NULL; /* pairs: id, name */
	struct strmap seen = STRMAP_INIT;
	size_t i, nowners = 0, cap = 0;
	int st, added;

	buf_adds(b, "<form class=\"controls\" id=\"controls\" role=\"search\" aria-label=\"Find campaigns\" hidden>\n"
		    "<div class=\"field search\"><label for=\"search\">Search name or id</label>"
		    "<input type=\"search\" id=\"search\" name=\"q\" autocomplete=\"off\" spellcheck=\"false\"></div>\n"
		    "<div class=\"field\"><label for=\"filter-department\">Department</label>"
		    "<select id=\"filter-department\" name=\"department\"><option value=\"\">All departments</option>");
	for (i = 0; i < s->cfg->ndepartments; i++) {
		const struct department *d = &s->cfg->departments[i];
		if (d->id && (!department || !strcmp(department, d->id)))
			put_option(b, d->id, d->name ? d->name : d->id);
	}
	buf_adds(b, "</select></div>\n<div class=\"field\"><label for=\"filter-owner\">Owner</label>"
		    "<select id=\"filter-owner\" name=\"owner\"><option value=\"\">All owners</option>");
	for (i = 0; i < nrows; i++) {
		const char *owner = s->summaries[rows[i]].campaign->owner;
		strmap_put(&seen, owner, &added);
		if (!added)
			continue;
		XGROW(owners, cap, 2 * nowners + 2);
		owners[2 * nowners] = owner;
		owners[2 * nowners + 1] = person_name(s, owner);
		nowners++;
	}
	if (nowners)
		qsort(owners, nowners, 2 * sizeof(*owners), owner_cmp);
	for (i = 0; i < nowners; i++)
		put_option(b, owners[2 * i], owners[2 * i + 1]);
	buf_adds(b, "</select></div>\n<div class=\"field\"><label for=\"filter-vip\">VIP</label>"
		    "<select id=\"filter-vip\" name=\"vip\"><option value=\"\">All campaigns</option>"
		    "<option value=\"yes\">VIP recipients only</option>"
		    "<option value=\"no\">Not limited to VIPs</option></select></div>\n"
		    "<div class=\"field\"><label for=\"filter-status\">Status</label>"
		    "<select id=\"filter-status\" name=\"status\"><option value=\"\">All statuses</option>");
	for (st = STATUS_ACTIVE; st <= STATUS_MERGED; st++)
		put_option(b, campaign_state_name((enum campaign_state)st),
			   campaign_state_label((enum campaign_state)st));
	buf_adds(b, "</select></div>\n<div class=\"field field-button\"><button type=\"button\" id=\"reset\" "
		    "class=\"button secondary small\">Clear</button></div>\n</form>\n");
	free(owners);
	strmap_release(&seen, NULL);
}

static void put_sort_header(struct buf *b, const char *key, const char *label, int numeric)
{
	buf_addf(b, "<th scope=\"col\" data-sort=\"%s\"%s><button type=\"button\">%s</button></th>",
		 key, numeric ? " class=\"num\"" : "", label);
}

static void put_campaign_json(struct buf *b, struct site *s, const struct campaign_summary *cs)
{
	const struct campaign *c = cs->campaign;

	buf_adds(b, "{\"id\":");
	put_json(b, c->id);
	buf_adds(b, ",\"name\":");
	put_json(b, c->name);
	buf_adds(b, ",\"recipient_type\":");
	put_json(b, c->type >= 0 && c->type < RTYPE_COUNT ?
		 recipient_type_name((enum recipient_type)c->type) : "");
	buf_addf(b, ",\"status\":%d,\"status_name\":\"%s\",\"completion\":%d,\"owner\":",
		 (int)cs->status, campaign_state_name(cs->status), cs->completion);
	put_json(b, c->owner);
	buf_adds(b, ",\"owner_name\":");
	put_json(b, person_name(s, c->owner));
	buf_adds(b, ",\"department\":");
	put_json(b, cs->department);
	buf_addf(b, ",\"vip\":%s,\"sent_today\":%ld,\"recipients\":%ld}", c->vip_only ? "true" : "false",
		 cs->sent_today, cs->recipients);
}

static void put_campaign_row(struct buf *b, struct site *s, const char *root,
			     const struct campaign_summary *cs)
{
	const struct campaign *c = cs->campaign;

	buf_adds(b, "<tr data-id=\"");
	put(b, c->id);
	buf_adds(b, "\">\n<td class=\"name\" data-label=\"Name\"><a href=\"");
	buf_addf(b, "%scampaigns/", root);
	put(b, c->id);
	buf_adds(b, "/index.html\">");
	put(b, c->name);
	buf_adds(b, "</a><span class=\"sub\"><code class=\"id\">");
	put(b, c->id);
	buf_adds(b, "</code>");
	if (c->vip_only)
		buf_adds(b, "<span class=\"tag\">VIP only</span>");
	buf_addf(b, "<a class=\"preview-link\" href=\"%scampaigns/", root);
	put(b, c->id);
	buf_adds(b, "/index.html#preview\">Preview<span class=\"sr-only\"> of ");
	put(b, c->name);
	buf_adds(b, "</span></a></span></td>\n<td data-label=\"Type\">");
	put_type(b, c->type);
	buf_adds(b, "</td>\n<td data-label=\"Status\">");
	put_badge(b, cs->status);
	buf_adds(b, "</td>\n<td data-label=\"Completion\">");
	put_bar(b, cs->completion, 0);
	buf_adds(b, "</td>\n<td data-label=\"Owner\">");
	put(b, person_name(s, c->owner));
	buf_adds(b, "</td>\n<td class=\"num\" data-label=\"Sent today\">");
	put_count(b, cs->sent_today);
	buf_adds(b, "</td>\n<td class=\"num\" data-label=\"Recipients\">");
	put_count(b, cs->recipients);
	buf_adds(b, "</td>\n<td data-label=\"Accounts\">");
	put_stars(b, cs);
	buf_adds(b, "</td>\n<td class=\"notes\" data-label=\"Notifications\">");
	put_notes_cell(b, s, cs);
	buf_adds(b, "</td>\n</tr>\n");
}

static int needs_attention(const struct campaign_summary *cs)
{
	return cs->status == STATUS_ACTIVE_ERROR || cs->status == STATUS_INTERRUPTED ||
	       cs->count[STATE_UNCONFIRMED] > 0;
}

/* The campaigns of one department (NULL: all) with search, filters and
 * sorting. */
static int write_campaign_list(struct site *s, const char *rel, int depth, const char *department)
{
	struct buf b = BUF_INIT;
	const char *root = up[depth];
	size_t *rows = xcalloc(s->n + 1, sizeof(*rows));
	size_t nrows = 0, i;
	long recipients = 0, today = 0, attention = 0;
	int ret;

	for (i = 0; i < s->n; i++) {
		const char *d = s->summaries[i].department;
		if (department && (!d || strcmp(d, department)))
			continue;
		rows[nrows++] = i;
		recipients += s->summaries[i].recipients;
		today += s->summaries[i].sent_today;
		attention += needs_attention(&s->summaries[i]);
	}
	buf_adds(&b, "<div class=\"page-head\"><div><h1>");
	if (department) {
		put(&b, department_name(s, department));
		buf_adds(&b, "</h1><p class=\"lead\">Campaigns of the department's people");
	} else {
		buf_adds(&b, "Campaigns</h1><p class=\"lead\">Every department");
	}
	buf_addf(&b, " · updated <time datetime=\"%s\">%s</time></p></div>\n<ul class=\"totals\">",
		 s->updated_iso, s->updated);
	buf_adds(&b, "<li><strong>");
	put_count(&b, (long)nrows);
	buf_adds(&b, nrows == 1 ? "</strong> campaign</li><li><strong>" : "</strong> campaigns</li><li><strong>");
	put_count(&b, recipients);
	buf_adds(&b, "</strong> recipients</li><li><strong>");
	put_count(&b, today);
	buf_adds(&b, "</strong> sent today</li>");
	if (attention) {
		buf_adds(&b, "<li><strong>");
		put_count(&b, attention);
		buf_adds(&b, "</strong> need attention</li>");
	}
	buf_adds(&b, "</ul></div>\n");
	put_controls(&b, s, rows, nrows, department);
	buf_adds(&b, "<p id=\"result-count\" class=\"count\" aria-live=\"polite\"></p>\n"
		     "<div class=\"table-wrap\">\n<table id=\"campaigns\" class=\"cards\">\n"
		     "<caption class=\"sr-only\">Campaigns; the column headers sort</caption>\n<thead><tr>");
	put_sort_header(&b, "name", "Name", 0);
	put_sort_header(&b, "recipient_type", "Type", 0);
	put_sort_header(&b, "status", "Status", 0);
	put_sort_header(&b, "completion", "Completion", 0);
	put_sort_header(&b, "owner", "Owner", 0);
	put_sort_header(&b, "sent_today", "Sent today", 1);
	put_sort_header(&b, "recipients", "Recipients", 1);
	buf_adds(&b, "<th scope=\"col\">Accounts</th><th scope=\"col\">Notifications</th></tr></thead>\n<tbody>\n");
	for (i = 0; i < nrows; i++)
		put_campaign_row(&b, s, root, &s->summaries[rows[i]]);
	buf_addf(&b, "</tbody>\n</table>\n<p id=\"no-match\" class=\"no-match\"%s>%s</p>\n</div>\n",
		 nrows ? " hidden" : "", nrows ? "No campaign matches the search and filters." :
		 "No campaigns yet.");
	buf_adds(&b, "<script type=\"application/json\" id=\"campaign-data\">[");
	for (i = 0; i < nrows; i++) {
		if (i)
			buf_adds(&b, ",\n");
		put_campaign_json(&b, s, &s->summaries[rows[i]]);
	}
	buf_adds(&b, "]</script>\n");
	ret = write_page(s, rel, depth, department ? department_name(s, department) : "Campaigns", &b);
	free(rows);
	buf_release(&b);
	return ret;
}

/* ---- the campaign page ---- */

/* The chart's days are YYYYMMDD numbers; the calendar is schedule's. */
static long days_from_civil(int ymd)
{
	return (long)schedule_day_number(ymd / 10000, ymd / 100 % 100, ymd % 100);
}

static int civil_from_days(long z)
{
	int64_t y;
	int m, d;

	schedule_civil_date(z, &y, &m, &d);
	return (int)(y * 10000 + m * 100 + d);
}

static long nice_step(long raw)
{
	long p = 1;

	if (raw < 1)
		return 1;
	while (p * 10 <= raw)
		p *= 10;
	if (raw <= p)
		return p;
	if (raw <= 2 * p)
		return 2 * p;
	if (raw <= 5 * p)
		return 5 * p;
	return 10 * p;
}

static void put_day(struct buf *b, int ymd)
{
	buf_addf(b, "%s %d", month_abbr[(ymd / 100 % 100 + 11) % 12], ymd % 100);
}

/* Sent per day, stacked by account, as inline SVG with a table beside it. */
static void put_chart(struct buf *b, const struct campaign_page *pg)
{
	const double width = 760, height = 260, left = 48, right = 12, top = 12, bottom = 30;
	const double plot_w = width - left - right, plot_h = height - top - bottom;
	const char **series = NULL;
	size_t nseries = 0, i, k;
	long first, last, ndays, day, *sent = NULL, *total = NULL, max = 0, step, ymax, tick, sum = 0;
	double slot, bar_w, x, y, h;
	int label_every;

	if (!pg->ndays) {
		buf_adds(b, "<p class=\"muted\">Nothing sent yet.</p>");
		return;
	}
	series = xcalloc(pg->ndays, sizeof(*series));
	for (i = 0; i < pg->ndays; i++) {
		for (k = 0; k < nseries && series[k] != pg->days[i].account; k++)
			;
		if (k == nseries)
			series[nseries++] = pg->days[i].account;
	}
	last = days_from_civil(pg->days[pg->ndays - 1].day);
	first = days_from_civil(pg->days[0].day);
	if (last - first + 1 > CHART_DAYS_MAX)
		first = last - CHART_DAYS_MAX + 1;
	ndays = last - first + 1;
	sent = xcalloc((size_t)ndays * nseries, sizeof(*sent));
	total = xcalloc((size_t)ndays, sizeof(*total));
	for (i = 0; i < pg->ndays; i++) {
		day = days_from_civil(pg->days[i].day) - first;
		if (day < 0)
			continue;
		for (k = 0; series[k] != pg->days[i].account; k++)
			;
		sent[day * (long)nseries + (long)k] += pg->days[i].sent;
		total[day] += pg->days[i].sent;
		sum += pg->days[i].sent;
	}
	for (day = 0; day < ndays; day++)
		max = total[day] > max ? total[day] : max;
	step = nice_step((max + 3) / 4);
	ymax = step * ((max + step - 1) / step);
	if (ymax < step)
		ymax = step;
	slot = plot_w / (double)ndays;
	bar_w = slot * 0.7 > 56 ? 56 : slot * 0.7;
	label_every = (int)((ndays + 7) / 8);

	buf_adds(b, "<figure class=\"chart\">");
	buf_addf(b, "<svg viewBox=\"0 0 %.0f %.0f\" role=\"img\" aria-label=\"Messages sent per day by account: ",
		 width, height);
	put_count(b, sum);
	buf_addf(b, " over %ld day%s, at most ", ndays, ndays == 1 ? "" : "s");
	put_count(b, max);
	buf_adds(b, " a day\" focusable=\"false\">\n");
	for (tick = 0; tick <= ymax; tick += step) {
		y = top + plot_h - plot_h * (double)tick / (double)ymax;
		buf_addf(b, "<line class=\"%s\" x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\"/>"
			 "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%ld</text>\n",
			 tick ? "grid-line" : "axis", left, width - right, y, y, left - 6, y + 4, tick);
	}
	for (day = 0; day < ndays; day++) {
		int ymd = civil_from_days(first + day);
		x = left + slot * (double)day + (slot - bar_w) / 2;
		y = top + plot_h;
		for (k = 0; k < nseries; k++) {
			long v = sent[day * (long)nseries + (long)k];
			if (!v)
				continue;
			h = plot_h * (double)v / (double)ymax;
			y -= h;
			buf_addf(b, "<rect class=\"s%zu\" x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\"><title>",
				 k % CHART_SERIES, x, y, bar_w, h);
			put_day(b, ymd);
			buf_adds(b, ", ");
			put(b, series[k]);
			buf_addf(b, ": %ld sent</title></rect>\n", v);
		}
		if (day % label_every == 0) {
			buf_addf(b, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">",
				 left + slot * (double)day + slot / 2, height - 10);
			put_day(b, ymd);
			buf_adds(b, "</text>\n");
		}
	}
	buf_adds(b, "</svg>\n<figcaption><ul class=\"legend\">");
	for (k = 0; k < nseries; k++) {
		buf_addf(b, "<li><span class=\"swatch s%zu\" aria-hidden=\"true\"></span>", k % CHART_SERIES);
		put(b, series[k]);
		buf_adds(b, "</li>");
	}
	buf_adds(b, "</ul></figcaption></figure>\n");

	buf_adds(b, "<details class=\"as-table\"><summary>Show the numbers</summary>"
		    "<div class=\"table-wrap\" tabindex=\"0\" role=\"region\" aria-label=\"Sent per day\">"
		    "<table class=\"data\" id=\"chart-table\"><thead><tr><th scope=\"col\">Day</th>");
	for (k = 0; k < nseries; k++) {
		buf_adds(b, "<th scope=\"col\" class=\"num\">");
		put(b, series[k]);
		buf_adds(b, "</th>");
	}
	buf_adds(b, "<th scope=\"col\" class=\"num\">Total</th></tr></thead><tbody>");
	for (day = 0; day < ndays; day++) {
		int ymd = civil_from_days(first + day);
		if (!total[day])
			continue;
		buf_addf(b, "<tr><th scope=\"row\">%04d-%02d-%02d</th>", ymd / 10000, ymd / 100 % 100,
			 ymd % 100);
		for (k = 0; k < nseries; k++) {
			buf_adds(b, "<td class=\"num\">");
			put_count(b, sent[day * (long)nseries + (long)k]);
			buf_adds(b, "</td>");
		}
		buf_adds(b, "<td class=\"num\">");
		put_count(b, total[day]);
		buf_adds(b, "</td></tr>");
	}
	buf_adds(b, "</tbody></table></div></details>\n");
	free(series);
	free(sent);
	free(total);
}

static void put_stat(struct buf *b, const char *label, long n, const char *tone)
{
	buf_addf(b, "<div%s%s%s><dt>%s</dt><dd>", tone ? " class=\"" : "", tone ? tone : "",
		 tone ? "\"" : "", label);
	put_count(b, n);
	buf_adds(b, "</dd></div>");
}

static void put_command(struct buf *b, const char *campaign, const char *extra)
{
	buf_adds(b, "<pre class=\"command\"><code>mailout retry ");
	put(b, campaign);
	buf_adds(b, extra);
	buf_adds(b, "</code></pre>");
}

static void put_next_steps(struct buf *b, const struct campaign_summary *cs)
{
	const struct campaign *c = cs->campaign;
	long failed = cs->count[STATE_FAILED], retrying = cs->count[STATE_RETRYING],
	     unconfirmed = cs->count[STATE_UNCONFIRMED];
	int calm = !failed && !unconfirmed && cs->status != STATUS_INTERRUPTED &&
		   cs->status != STATUS_PAUSED;

	buf_addf(b, "<section class=\"panel next%s\" id=\"next\" aria-labelledby=\"next-h\">"
		 "<h2 id=\"next-h\">What to do next</h2><ul>", calm ? " calm" : "");
	if (cs->status == STATUS_MERGED) {
		buf_adds(b, "<li>Nothing: this campaign was merged");
		if (c->merged_into) {
			buf_adds(b, " into <a href=\"../");
			put(b, c->merged_into);
			buf_adds(b, "/index.html\">");
			put(b, c->merged_into);
			buf_adds(b, "</a>");
		}
		buf_adds(b, " and sends nothing more.</li>");
	}
	if (cs->status == STATUS_INTERRUPTED)
		buf_adds(b, "<li>A critical error on one of the owner's accounts stopped the sending "
			    "(see Accounts and Notifications below). Fix the cause, then run "
			    "<code>mailout resume</code> for this campaign.</li>");
	if (cs->status == STATUS_PAUSED)
		buf_adds(b, "<li>The campaign is paused: nothing is sent until it is resumed with "
			    "<code>mailout resume</code> (or <code>status: active</code> in its campaign.yaml).</li>");
	if (failed) {
		buf_adds(b, "<li><strong>");
		put_count(b, failed);
		buf_adds(b, failed == 1 ? " recipient" : " recipients");
		buf_adds(b, " failed</strong> (listed below). Addresses that bounced hard stay suppressed; "
			    "to send to the others again once the cause is fixed, run:");
		put_command(b, c->id, "");
		buf_adds(b, "</li>");
	}
	if (retrying) {
		buf_adds(b, "<li>");
		put_count(b, retrying);
		buf_adds(b, retrying == 1 ? " recipient is" : " recipients are");
		buf_adds(b, " retried automatically after a temporary failure; nothing to do unless "
			    "they keep failing.</li>");
	}
	if (unconfirmed) {
		buf_adds(b, "<li><strong>");
		put_count(b, unconfirmed);
		buf_adds(b, unconfirmed == 1 ? " message is" : " messages are");
		buf_adds(b, " unconfirmed</strong>: the sender stopped between handing them to the server "
			    "and recording the reply, so they may have arrived. They are not sent again "
			    "on their own. Check the sending account's Sent folder; to send them again "
			    "(a recipient may get the message twice), run:");
		put_command(b, c->id, " --unconfirmed");
		buf_adds(b, "</li>");
	}
	if (calm && cs->status != STATUS_MERGED) {
		if (cs->status == STATUS_DONE)
			buf_adds(b, "<li>Nothing: every recipient has been handled.</li>");
		else
			buf_adds(b, "<li>Nothing: sending goes on by itself on working days.</li>");
	}
	buf_adds(b, "</ul>");
	if (failed || unconfirmed || cs->status == STATUS_INTERRUPTED || cs->status == STATUS_PAUSED)
		buf_adds(b, "<p class=\"muted\">Run commands in a clone of the content repository and "
			    "commit the result (a pull request); the next scheduled send picks it up.</p>");
	buf_adds(b, "</section>\n");
}

static void put_filter(struct buf *b, const struct filter *f)
{
	size_t i, j;

	for (i = 0; i < f->count; i++) {
		if (i)
			buf_adds(b, "; ");
		put(b, f->terms[i].field);
		buf_adds(b, ": ");
		for (j = 0; j < f->terms[i].nvalues; j++) {
			if (j)
				buf_adds(b, ", ");
			put(b, f->terms[i].values[j]);
		}
	}
}

static void put_config(struct buf *b, struct site *s, const struct campaign_summary *cs)
{
	const struct campaign *c = cs->campaign;

	buf_adds(b, "<section class=\"panel\" id=\"configuration\" aria-labelledby=\"config-h\">"
		    "<h2 id=\"config-h\">Configuration</h2><dl class=\"config\"><dt>Template</dt><dd><code>templates/");
	put(b, c->template);
	buf_adds(b, ".md</code></dd><dt>Recipient type</dt><dd>");
	put_type(b, c->type);
	buf_adds(b, "</dd><dt>Selection</dt><dd>");
	if (c->segment) {
		buf_adds(b, "segment <code>");
		put(b, c->segment);
		buf_adds(b, "</code>");
		if (c->has_filter) {
			buf_adds(b, " (");
			put_filter(b, &c->filter);
			buf_adds(b, ")");
		}
	} else if (c->has_filter) {
		buf_adds(b, "filter ");
		put_filter(b, &c->filter);
	} else {
		buf_adds(b, "all of the owner's ");
		put(b, c->type >= 0 && c->type < RTYPE_COUNT ?
		    recipient_type_name((enum recipient_type)c->type) : "records");
	}
	buf_addf(b, "%s</dd><dt>Owner</dt><dd>", c->vip_only ? ", VIP recipients only" : "");
	put(b, person_name(s, c->owner));
	buf_adds(b, " <span class=\"muted\">(");
	put(b, c->owner);
	buf_adds(b, ")</span></dd><dt>Department</dt><dd>");
	if (cs->department) {
		buf_adds(b, "<a href=\"../../departments/");
		put(b, cs->department);
		buf_adds(b, "/index.html\">");
		put(b, department_name(s, cs->department));
		buf_adds(b, "</a>");
	} else {
		buf_adds(b, "none");
	}
	buf_adds(b, "</dd><dt>Start</dt><dd>");
	if (c->start_text)
		put(b, c->start_text);
	else
		put_time(b, s, c->start);
	buf_adds(b, "</dd><dt>End</dt><dd>");
	if (c->end_text)
		put(b, c->end_text);
	else if (c->end)
		put_time(b, s, c->end);
	else
		buf_adds(b, "none");
	buf_adds(b, "</dd><dt>In campaign.yaml</dt><dd><code>status: ");
	put(b, campaign_status_name(c->status));
	buf_adds(b, "</code></dd>");
	if (c->merged_into) {
		buf_adds(b, "<dt>Merged into</dt><dd><a href=\"../");
		put(b, c->merged_into);
		buf_adds(b, "/index.html\">");
		put(b, c->merged_into);
		buf_adds(b, "</a></dd>");
	}
	buf_adds(b, "</dl></section>\n");
}

static const struct account_summary *account_state(const struct site *s, const char *id)
{
	size_t i;

	for (i = 0; id && i < s->cfg->naccounts; i++) {
		if (!strcmp(s->accounts[i].account->id, id))
			return &s->accounts[i];
	}
	return NULL;
}

static int counts_cmp(const void *a, const void *b)
{
	const struct account_counts *x = a, *y = b;

	if (!x->account || !y->account)
		return !x->account - !y->account;
	return strcmp(x->account, y->account);
}

static void put_breakdown(struct buf *b, struct site *s, struct campaign_page *pg)
{
	const struct campaign_summary *cs = pg->summary;
	static const int cols[] = { STATE_SENT, STATE_FAILED, STATE_RETRYING, STATE_UNCONFIRMED,
				    STATE_PENDING };
	size_t j, k;

	/* every account of the owner shows, with or without deliveries */
	for (j = 0; j < cs->naccounts; j++)
		counts_for(pg, intern(s, cs->accounts[j].account->id));
	qsort(pg->accounts, pg->naccounts, sizeof(*pg->accounts), counts_cmp);
	buf_adds(b, "<section class=\"panel\" id=\"accounts\" aria-labelledby=\"accounts-h\">"
		    "<h2 id=\"accounts-h\">Accounts</h2><div class=\"table-wrap\" tabindex=\"0\" "
		    "role=\"region\" aria-labelledby=\"accounts-h\"><table class=\"data\" id=\"account-breakdown\">"
		    "<thead><tr><th scope=\"col\">Account</th><th scope=\"col\">State</th>"
		    "<th scope=\"col\" class=\"num\">Sent</th><th scope=\"col\" class=\"num\">Sent today</th>"
		    "<th scope=\"col\" class=\"num\">Failed</th><th scope=\"col\" class=\"num\">Retrying</th>"
		    "<th scope=\"col\" class=\"num\">Unconfirmed</th><th scope=\"col\" class=\"num\">Pending</th>"
		    "</tr></thead><tbody>");
	for (j = 0; j < pg->naccounts; j++) {
		const struct account_counts *ac = &pg->accounts[j];
		const struct account_summary *as = account_state(s, ac->account);
		long any = ac->sent_today;

		for (k = 0; k < sizeof(cols) / sizeof(cols[0]); k++)
			any += ac->count[cols[k]];
		if (!ac->account && !any)
			continue;
		buf_adds(b, "<tr data-account=\"");
		put(b, ac->account ? ac->account : "");
		buf_adds(b, "\"><th scope=\"row\">");
		if (ac->account)
			put(b, ac->account);
		else
			buf_adds(b, "<em>no account</em>");
		if (as && as->account->main)
			buf_adds(b, " <span class=\"muted\">(main)</span>");
		buf_adds(b, "</th><td>");
		if (as) {
			put_star(b, as);
			buf_adds(b, as->usable ? " <span class=\"state-ok\">usable</span>" : " ");
			if (!as->usable)
				put(b, as->reason);
		} else if (ac->account) {
			buf_adds(b, "<span class=\"muted\">not in mailout.yaml</span>");
		} else {
			buf_adds(b, "<span class=\"state-bad\">no usable account of the owner for these recipients</span>");
		}
		buf_adds(b, "</td>");
		for (k = 0; k < sizeof(cols) / sizeof(cols[0]); k++) {
			buf_adds(b, "<td class=\"num\">");
			put_count(b, ac->count[cols[k]]);
			buf_adds(b, "</td>");
			if (k == 0) {
				buf_adds(b, "<td class=\"num\">");
				put_count(b, ac->sent_today);
				buf_adds(b, "</td>");
			}
		}
		buf_adds(b, "</tr>");
	}
	buf_adds(b, "</tbody></table></div></section>\n");
}

enum list_kind { LIST_FAILED, LIST_RETRYING, LIST_UNCONFIRMED };

/* The newest SITE_LIST_MAX recipients of a campaign in one state. */
static int put_recipient_list(struct buf *b, struct site *s, const struct campaign_summary *cs,
			      enum list_kind kind)
{
	static const char *const ids[] = { "failed", "retrying", "unconfirmed" };
	static const char *const titles[] = { "Failed", "Retrying", "Unconfirmed" };
	static const char *const empty[] = { "No recipient failed.", "Nobody is waiting for a retry.",
					     "No unconfirmed message." };
	static const int states[] = { STATE_FAILED, STATE_RETRYING, STATE_UNCONFIRMED };
	long total = cs->count[states[kind]];
	struct buf masked = BUF_INIT;
	struct plan_iter *it = NULL;
	struct plan_listed row;
	int rc, ret = -1;

	buf_addf(b, "<section class=\"panel\" id=\"%s\" aria-labelledby=\"%s-h\"><h2 id=\"%s-h\">%s "
		 "<span class=\"muted\">(", ids[kind], ids[kind], ids[kind], titles[kind]);
	put_count(b, total);
	buf_adds(b, ")</span></h2>");
	if (!total) {
		buf_addf(b, "<p class=\"muted\">%s</p></section>\n", empty[kind]);
		ret = 0;
		goto done;
	}
	if (total > SITE_LIST_MAX) {
		buf_addf(b, "<p class=\"capped\">The %d newest of ", SITE_LIST_MAX);
		put_count(b, total);
		buf_adds(b, " are listed.</p>");
	}
	buf_addf(b, "<div class=\"table-wrap\" tabindex=\"0\" role=\"region\" aria-labelledby=\"%s-h\">"
		 "<table class=\"data\" id=\"%s-list\"><thead><tr>"
		 "<th scope=\"col\">Recipient</th><th scope=\"col\">Address</th><th scope=\"col\">Account</th>"
		 "<th scope=\"col\">%s</th><th scope=\"col\">%s</th>%s</tr></thead><tbody>",
		 ids[kind], ids[kind], kind == LIST_UNCONFIRMED ? "Message" : "Reply",
		 kind == LIST_UNCONFIRMED ? "Claimed" : "Time",
		 kind == LIST_RETRYING ? "<th scope=\"col\">Next attempt</th>" : "");
	if (plan_listed_open(&it, s->p, cs->campaign->id, ids[kind],
			     kind == LIST_UNCONFIRMED ? "claimed" : ids[kind], SITE_LIST_MAX) < 0)
		goto done;
	while ((rc = plan_listed_next(it, &row)) == PLAN_ROW) {
		const char *reply = row.reply;

		buf_adds(b, "<tr><td>");
		put(b, row.recipient);
		buf_adds(b, "</td><td>");
		buf_reset(&masked);
		site_mask_address(&masked, row.address ? row.address : "");
		buf_add_html(b, masked.ptr, masked.len);
		buf_adds(b, "</td><td>");
		put(b, row.account);
		buf_adds(b, "</td><td class=\"reply\">");
		if (kind == LIST_UNCONFIRMED) {
			buf_adds(b, "no reply recorded");
		} else {
			if (row.code)
				buf_addf(b, "%d ", row.code);
			if (row.enhanced && row.enhanced[0]) {
				put(b, row.enhanced);
				buf_addc(b, ' ');
			}
			put(b, reply);
		}
		buf_adds(b, "</td><td>");
		put_time(b, s, kind == LIST_UNCONFIRMED ? row.claimed_at : row.last_event);
		buf_adds(b, "</td>");
		if (kind == LIST_RETRYING) {
			buf_adds(b, "<td>");
			put_time(b, s, row.next_at);
			buf_adds(b, "</td>");
		}
		buf_adds(b, "</tr>");
	}
	if (rc < 0) {
		sql_failed(s, "deliveries");
		goto done;
	}
	buf_adds(b, "</tbody></table></div></section>\n");
	ret = 0;
done:
	plan_iter_free(it);
	buf_release(&masked);
	return ret;
}

static void put_notifications(struct buf *b, struct site *s, const struct campaign_summary *cs)
{
	size_t j;

	buf_adds(b, "<section class=\"panel\" id=\"notifications\" aria-labelledby=\"notes-h\">"
		    "<h2 id=\"notes-h\">Notifications <span class=\"muted\">(");
	put_count(b, cs->total_notifications);
	buf_adds(b, ")</span></h2>");
	if (!cs->nnotifications) {
		buf_adds(b, "<p class=\"muted\">No errors recorded.</p></section>\n");
		return;
	}
	if (cs->total_notifications > (long)cs->nnotifications)
		buf_addf(b, "<p class=\"capped\">The %zu latest are listed.</p>", cs->nnotifications);
	buf_adds(b, "<ul class=\"note-list\">");
	for (j = 0; j < cs->nnotifications; j++) {
		buf_adds(b, "<li>");
		put_note(b, s, &cs->notifications[j]);
		buf_adds(b, "</li>");
	}
	buf_adds(b, "</ul></section>\n");
}

/* The message's HTML as it is, but for control characters (other than tab
 * and line ends), which no HTML holds: U+FFFD, as in escaped text. */
static void add_without_controls(struct buf *out, const char *s, size_t len)
{
	size_t i, start = 0;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if ((c >= 0x20 && c != 0x7f) || c == '\t' || c == '\n' || c == '\r')
			continue;
		buf_add(out, s + start, i - start);
		buf_adds(out, "\xef\xbf\xbd");
		start = i + 1;
	}
	buf_add(out, s + start, len - start);
}

/* Inserts the preview's own Content-Security-Policy at the start of its head. */
static void preview_document(struct buf *out, const char *html)
{
	const char *head = NULL, *p, *gt;
	char csp[sizeof(preview_csp) + 80];

	snprintf(csp, sizeof(csp), "<meta http-equiv=\"Content-Security-Policy\" content=\"%s\">",
		 preview_csp);
	for (p = html; *p && !head; p++) {
		if (*p == '<' && !strncasecmp(p + 1, "head", 4) &&
		    (p[5] == '>' || p[5] == ' ' || p[5] == '\t' || p[5] == '\n' || p[5] == '\r'))
			head = p;
	}
	gt = head ? strchr(head, '>') : NULL;
	if (gt) {
		add_without_controls(out, html, (size_t)(gt + 1 - html));
		buf_adds(out, csp);
		add_without_controls(out, gt + 1, strlen(gt + 1));
	} else {
		buf_adds(out, csp);
		add_without_controls(out, html, strlen(html));
	}
}

static int put_preview(struct buf *b, struct site *s, const struct campaign_summary *cs,
		       const char *rel)
{
	struct render *r = NULL;
	struct rendered m;
	struct buf doc = BUF_INIT;
	int ret = -1;

	memset(&m, 0, sizeof(m));
	if (render_open(&r, plan_root(s->p), s->cfg, cs->campaign, s->diags) < 0 ||
	    render_sample(&m, r) < 0)
		goto done;
	preview_document(&doc, m.html ? m.html : "");
	if (site_write(s, rel, doc.ptr, doc.len) < 0)
		goto done;
	buf_adds(b, "<section class=\"panel\" id=\"preview\" aria-labelledby=\"preview-h\">"
		    "<h2 id=\"preview-h\">Newsletter preview</h2><dl class=\"config preview-meta\"><dt>Subject</dt><dd>");
	buf_add_html(b, m.subject ? m.subject : "", m.subject ? strlen(m.subject) : 0);
	buf_adds(b, "</dd><dt>Preheader</dt><dd>");
	if (m.preheader && m.preheader[0])
		buf_add_html(b, m.preheader, strlen(m.preheader));
	else
		buf_adds(b, "<span class=\"muted\">none</span>");
	buf_adds(b, "</dd></dl><p class=\"muted\">Rendered for a made-up sample recipient; the "
		    "unsubscribe link carries a placeholder token.</p><iframe class=\"preview-frame\" "
		    "src=\"preview.html\" sandbox=\"\" referrerpolicy=\"no-referrer\" title=\"Preview of the newsletter of ");
	put(b, cs->campaign->name);
	buf_adds(b, "\"></iframe><details class=\"as-table\"><summary>Text part</summary>"
		    "<pre class=\"text-part\" tabindex=\"0\">");
	buf_add_html(b, m.text ? m.text : "", m.text ? strlen(m.text) : 0);
	buf_adds(b, "</pre></details></section>\n");
	ret = 0;
done:
	rendered_release(&m);
	render_free(r);
	buf_release(&doc);
	return ret;
}

static int write_campaign_page(struct site *s, struct campaign_page *pg)
{
	const struct campaign_summary *cs = pg->summary;
	const struct campaign *c = cs->campaign;
	struct buf b = BUF_INIT, rel = BUF_INIT, preview = BUF_INIT;
	int ret = -1;

	buf_addf(&rel, "campaigns/%s/preview.html", c->id);
	if (put_preview(&preview, s, cs, rel.ptr) < 0)
		goto done;
	buf_adds(&b, "<nav class=\"crumbs\" aria-label=\"Breadcrumb\"><a href=\"../../index.html\">All campaigns</a>");
	if (cs->department) {
		buf_adds(&b, " › <a href=\"../../departments/");
		put(&b, cs->department);
		buf_adds(&b, "/index.html\">");
		put(&b, department_name(s, cs->department));
		buf_adds(&b, "</a>");
	}
	buf_adds(&b, "</nav>\n<div class=\"page-head\"><div><h1 id=\"campaign-name\">");
	put(&b, c->name);
	buf_adds(&b, "</h1><p class=\"lead chips\">");
	put_badge(&b, cs->status);
	buf_adds(&b, "<code>");
	put(&b, c->id);
	buf_adds(&b, "</code><span>");
	put_type(&b, c->type);
	buf_adds(&b, " of ");
	put(&b, person_name(s, c->owner));
	buf_adds(&b, "</span></p></div></div>\n<div class=\"grid top\">");

	buf_adds(&b, "<section class=\"panel\" id=\"progress\" aria-labelledby=\"progress-h\">"
		     "<h2 id=\"progress-h\">Progress</h2>");
	put_bar(&b, cs->completion, 1);
	buf_adds(&b, "<dl class=\"stats\">");
	put_stat(&b, "Recipients", cs->recipients, NULL);
	put_stat(&b, "Sent", cs->count[STATE_SENT], NULL);
	put_stat(&b, "Sent today", cs->sent_today, NULL);
	put_stat(&b, "Pending", cs->count[STATE_PENDING], NULL);
	put_stat(&b, "Retrying", cs->count[STATE_RETRYING], cs->count[STATE_RETRYING] ? "warn" : NULL);
	put_stat(&b, "Unconfirmed", cs->count[STATE_UNCONFIRMED],
		 cs->count[STATE_UNCONFIRMED] ? "warn" : NULL);
	put_stat(&b, "Failed", cs->count[STATE_FAILED], cs->count[STATE_FAILED] ? "bad" : NULL);
	put_stat(&b, "Suppressed", cs->count[STATE_SUPPRESSED], NULL);
	put_stat(&b, "Skipped", cs->count[STATE_SKIPPED], NULL);
	buf_adds(&b, "</dl><p class=\"muted\">Completion counts sent, failed, suppressed and skipped "
		     "recipients. Skipped: the same newsletter already reached the address in another "
		     "campaign.</p></section>\n");
	put_config(&b, s, cs);
	buf_adds(&b, "</div>\n");
	put_next_steps(&b, cs);
	buf_adds(&b, "<section class=\"panel\" id=\"chart\" aria-labelledby=\"chart-h\">"
		     "<h2 id=\"chart-h\">Sent per day</h2>");
	put_chart(&b, pg);
	buf_adds(&b, "</section>\n");
	put_breakdown(&b, s, pg);
	if (put_recipient_list(&b, s, cs, LIST_FAILED) < 0 ||
	    put_recipient_list(&b, s, cs, LIST_RETRYING) < 0 ||
	    put_recipient_list(&b, s, cs, LIST_UNCONFIRMED) < 0)
		goto done;
	put_notifications(&b, s, cs);
	buf_add(&b, preview.ptr, preview.len);
	buf_reset(&rel);
	buf_addf(&rel, "campaigns/%s/index.html", c->id);
	ret = write_page(s, rel.ptr, 2, c->name, &b);
done:
	buf_release(&b);
	buf_release(&rel);
	buf_release(&preview);
	return ret;
}

/* ---- the accounts page ---- */

struct day_count {
	struct site *s;
	const char *account;
};

static int attempts_on(int yyyymmdd, void *payload)
{
	struct day_count *dc = payload;
	long n;

	if (plan_account_attempts(dc->s->p, dc->account, yyyymmdd, &n) < 0) {
		dc->s->query_failed = 1;
		return INT_MAX; /* nothing is due; the page fails with the error */
	}
	return (int)n;
}

static int sending(const struct campaign_summary *cs, time_t now)
{
	return (cs->status == STATUS_ACTIVE || cs->status == STATUS_ACTIVE_ERROR) &&
	       (!cs->campaign->end || cs->campaign->end > now);
}

/* When the account may send next, or why it will not. */
static void put_next_due(struct buf *b, struct site *s, const struct account_summary *as,
			 time_t last_attempt, time_t rest_until)
{
	const struct account *a = as->account;
	const char *id = intern(s, a->id);
	struct day_count dc = { s, a->id };
	time_t from = 0, due;
	long waiting = 0, held = 0;
	size_t i, j;

	if (!a->enabled) {
		buf_adds(b, "<span class=\"muted\">disabled</span>");
		return;
	}
	if (strstr(as->reason, "critical error")) {
		buf_adds(b, "stopped until <code>mailout resume</code>");
		return;
	}
	for (i = 0; i < s->n; i++) {
		const struct campaign_page *pg = &s->pages[i];
		time_t start;

		for (j = 0; j < pg->naccounts; j++) {
			long n = pg->accounts[j].count[STATE_PENDING] + pg->accounts[j].count[STATE_RETRYING];
			if (pg->accounts[j].account != id || !n)
				continue;
			if (!sending(pg->summary, s->now)) {
				held += pg->summary->status == STATUS_PAUSED ||
					pg->summary->status == STATUS_INTERRUPTED ? n : 0;
				continue;
			}
			waiting += n;
			start = pg->summary->campaign->start > s->now ? pg->summary->campaign->start : s->now;
			if (!from || start < from)
				from = start;
		}
	}
	if (!waiting) {
		if (held) {
			buf_adds(b, "<span class=\"muted\">nothing to send; ");
			put_count(b, held);
			buf_adds(b, " held by paused or interrupted campaigns</span>");
		} else {
			buf_adds(b, "<span class=\"muted\">nothing to send</span>");
		}
		return;
	}
	if (rest_until > from)
		from = rest_until;
	due = schedule_next_due(&a->schedule, (int)a->daily_limit, from, last_attempt, attempts_on, &dc);
	if (due == (time_t)-1)
		buf_adds(b, "<span class=\"muted\">no open sending window</span>");
	else
		put_time(b, s, due);
	buf_adds(b, " <span class=\"muted\">(");
	put_count(b, waiting);
	buf_adds(b, " waiting)</span>");
}

static int write_accounts_page(struct site *s)
{
	struct buf b = BUF_INIT;
	struct plan_account_state state;
	size_t i;
	int ret = -1;

	buf_adds(&b, "<div class=\"page-head\"><div><h1>Accounts</h1><p class=\"lead\">Every sending "
		     "account, its daily limit and when it sends next</p></div></div>\n"
		     "<div class=\"table-wrap\" tabindex=\"0\" role=\"region\" aria-label=\"Sending accounts\">"
		     "<table id=\"accounts\" class=\"cards\"><caption class=\"sr-only\">"
		     "Sending accounts</caption><thead><tr><th scope=\"col\">Account</th><th scope=\"col\">Owner</th>"
		     "<th scope=\"col\">Department</th><th scope=\"col\" class=\"num\">Daily limit</th>"
		     "<th scope=\"col\" class=\"num\">Sent today</th><th scope=\"col\" class=\"num\">Attempts today</th>"
		     "<th scope=\"col\">State</th><th scope=\"col\">Next send</th></tr></thead><tbody>\n");
	for (i = 0; i < s->cfg->naccounts; i++) {
		const struct account_summary *as = &s->accounts[i];
		const struct account *a = as->account;
		const struct person *owner = a->owner ? config_person(s->cfg, a->owner) : NULL;

		if (plan_account_state(s->p, a->id, &state) < 0)
			goto done;
		buf_adds(&b, "<tr data-id=\"");
		put(&b, a->id);
		buf_adds(&b, "\"><td data-label=\"Account\"><strong>");
		put(&b, a->id);
		buf_addf(&b, "</strong>%s</td><td data-label=\"Owner\">",
			 a->main ? " <span class=\"muted\">(main: VIPs only)</span>" : "");
		put(&b, person_name(s, a->owner));
		buf_adds(&b, "</td><td data-label=\"Department\">");
		put(&b, owner && owner->department ? department_name(s, owner->department) : "");
		buf_adds(&b, "</td><td class=\"num\" data-label=\"Daily limit\">");
		put_count(&b, a->daily_limit);
		buf_adds(&b, "</td><td class=\"num\" data-label=\"Sent today\">");
		put_count(&b, as->sent_today);
		buf_adds(&b, "</td><td class=\"num\" data-label=\"Attempts today\">");
		put_count(&b, as->attempts_today);
		buf_adds(&b, "</td><td data-label=\"State\">");
		put_star(&b, as);
		if (as->usable)
			buf_adds(&b, " <span class=\"state-ok\">usable</span>");
		else {
			buf_adds(&b, " <span class=\"state-bad\">not usable:</span> ");
			put(&b, as->reason);
		}
		buf_adds(&b, "</td><td data-label=\"Next send\">");
		put_next_due(&b, s, as, state.last_attempt, state.rest_until);
		buf_adds(&b, "</td></tr>\n");
	}
	buf_adds(&b, "</tbody></table></div>\n<p class=\"muted\">Attempts count every message handed to the "
		     "server on the account's calendar day, in its time zone; the daily limit caps them.</p>\n");
	if (s->query_failed)
		goto done;
	ret = write_page(s, "accounts/index.html", 1, "Accounts", &b);
done:
	buf_release(&b);
	return ret;
}

/* ---- the unsubscribe page ---- */

/* "https://unsub.example.com/u?x" -> "https://unsub.example.com"; 0 when
 * url is not a plain http(s) URL that can stand in a policy. */
static int url_origin(char *out, size_t size, const char *url)
{
	const char *host, *end;
	size_t i;

	if (!strncmp(url, "https://", 8))
		host = url + 8;
	else if (!strncmp(url, "http://", 7))
		host = url + 7;
	else
		return 0;
	end = host + strcspn(host, "/?#");
	if (end == host || (size_t)(end - url) >= size)
		return 0;
	for (i = 0; url + i < end; i++) {
		unsigned char c = (unsigned char)url[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      strchr(".-:/[]", c)))
			return 0;
	}
	for (i = (size_t)(end - url); url[i]; i++) {
		if ((unsigned char)url[i] <= ' ' || strchr("\"'<>\\`;,", url[i]))
			return 0;
	}
	memcpy(out, url, (size_t)(end - url));
	out[end - url] = '\0';
	return 1;
}

static int write_unsubscribe_page(struct site *s)
{
	const struct config *cfg = s->cfg;
	struct tvalue *ctx = tvalue_map();
	struct buf out = BUF_INIT, csp = BUF_INIT, href = BUF_INIT;
	char origin[512];
	int one_click = cfg->one_click_url && url_origin(origin, sizeof(origin), cfg->one_click_url);
	int ret;

	buf_addf(&csp, "default-src 'none'; script-src 'self'; style-src 'self'; img-src data:; base-uri 'none'; "
		 "form-action %s", one_click ? origin : "'none'");
	tvalue_map_set(ctx, "csp", tvalue_string(csp.ptr));
	buf_addf(&href, "../%s", s->theme.css_href);
	tvalue_map_set(ctx, "css", tvalue_string(href.ptr));
	buf_reset(&href);
	buf_addf(&href, "../%s", s->theme.js_href);
	tvalue_map_set(ctx, "js", tvalue_string(href.ptr));
	tvalue_map_set(ctx, "organization", masked_value(cfg->org_name));
	tvalue_map_set(ctx, "postal_address", masked_value(cfg->postal_address));
	tvalue_map_set(ctx, "address", tvalue_string(cfg->unsubscribe_address ? cfg->unsubscribe_address : ""));
	tvalue_map_set(ctx, "one_click_url", tvalue_string(one_click ? cfg->one_click_url : ""));
	tvalue_map_set(ctx, "one_click_host", tvalue_string(one_click ? strstr(origin, "//") + 2 : ""));
	template_render(&out, s->theme.unsubscribe, ctx, TEMPLATE_HTML);
	ret = site_write(s, "unsubscribe/index.html", out.ptr, out.len);
	tvalue_free(ctx);
	buf_release(&out);
	buf_release(&csp);
	buf_release(&href);
	return ret;
}

/* ---- putting it together ---- */

static int write_site(struct site *s)
{
	size_t i;
	struct buf rel = BUF_INIT;
	int ret = -1;

	if (site_write(s, "assets/style.css", s->theme.css.ptr, s->theme.css.len) < 0 ||
	    site_write(s, "assets/app.js", s->theme.js.ptr, s->theme.js.len) < 0 ||
	    write_campaign_list(s, "index.html", 0, NULL) < 0)
		goto done;
	for (i = 0; i < s->cfg->ndepartments; i++) {
		const char *id = s->cfg->departments[i].id;
		if (!id || id_check(id) < 0)
			continue;
		buf_reset(&rel);
		buf_addf(&rel, "departments/%s/index.html", id);
		if (write_campaign_list(s, rel.ptr, 2, id) < 0)
			goto done;
	}
	for (i = 0; i < s->n; i++) {
		if (write_campaign_page(s, &s->pages[i]) < 0)
			goto done;
	}
	if (write_accounts_page(s) < 0 || write_unsubscribe_page(s) < 0)
		goto done;
	ret = 0;
done:
	buf_release(&rel);
	return ret;
}

int site_build(struct plan *p, const char *out_dir, time_t now, struct diag_list *diags)
{
	struct site s;
	struct buf dir = BUF_INIT;
	size_t i;
	int ret = -1;

	memset(&s, 0, sizeof(s));
	s.p = p;
	s.cfg = plan_config(p);
	s.now = now;
	s.diags = diags;
	s.today = schedule_day(&s.cfg->schedule, now);
	format_local(&s, now, s.updated);
	time_format_rfc3339(s.updated_iso, now);
	if (theme_load(&s.theme, plan_root(p), diags) < 0)
		goto done;
	if (plan_summaries(p, now, &s.summaries, &s.n) < 0 || plan_accounts(p, now, &s.accounts) < 0)
		goto done;
	s.pages = xcalloc(s.n + 1, sizeof(*s.pages));
	for (i = 0; i < s.n; i++) {
		s.pages[i].summary = &s.summaries[i];
		strmap_put(&s.ids, s.summaries[i].campaign->id, NULL)->value = (void *)(intptr_t)(i + 1);
	}
	load_breakdown(&s);
	if (load_progress(&s) < 0)
		goto done;
	remove_stale(out_dir);
	buf_addf(&dir, "%s/.site-new-XXXXXX", out_dir);
	if (!mkdtemp(dir.ptr)) {
		error_set("cannot create a directory in '%s': %s", out_dir, strerror(errno));
		goto done;
	}
	s.dir = dir.ptr;
	if (chmod(s.dir, 0755) < 0) {
		error_set("cannot change the mode of '%s': %s", s.dir, strerror(errno));
		goto done;
	}
	if (write_site(&s) < 0 || swap_in(s.dir, out_dir) < 0)
		goto done;
	s.dir = NULL;
	ret = 0;
done:
	if (s.dir)
		remove_tree(s.dir);
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
	buf_release(&dir);
	return ret;
}
