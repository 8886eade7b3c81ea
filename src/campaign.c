#include "campaign.h"

#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "log.h"
#include "safefile.h"
#include "schedule.h"
#include "text.h"
#include "util.h"
#include "workpool.h"
#include "xalloc.h"
#include "yamlfile.h"

static const struct ykey campaign_keys[] = {
	{ "name", YKEY_REQUIRED }, { "template", YKEY_REQUIRED },
	{ "recipient_type", YKEY_REQUIRED }, { "segment", 0 }, { "filter", 0 },
	{ "owner", YKEY_REQUIRED }, { "status", 0 }, { "start", 0 }, { "end", 0 },
	{ "vip_only", 0 }, { "merged_into", 0 }, { "merged_from", 0 }, { NULL, 0 }
};

int campaign_id_check(const char *id)
{
	size_t i, n = strlen(id);

	if (!n || n > 64)
		return -1;
	for (i = 0; i < n; i++) {
		char c = id[i];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || (c == '-' && i > 0)))
			return -1;
	}
	return 0;
}

const char *campaign_status_name(enum campaign_status s)
{
	switch (s) {
	case CAMPAIGN_ACTIVE: return "active";
	case CAMPAIGN_PAUSED: return "paused";
	case CAMPAIGN_MERGED: return "merged";
	}
	return "?";
}

static char *scalar_dup(const struct ydoc *doc, const struct ynode *map, const char *key,
			struct pos *pos, struct diag_list *diags)
{
	const struct ynode *n = ynode_get(map, key);

	if (ynode_is_null(n))
		return NULL;
	if (n->kind != YNODE_SCALAR) {
		ydiag(diags, doc, n, DIAG_ERROR, "'%s' must be a value, not %s", key,
		      ynode_kind_name(n->kind));
		return NULL;
	}
	if (!header_safe(n->value, n->len)) {
		ydiag(diags, doc, n, DIAG_ERROR,
		      "'%s' contains a line break or NUL, which could inject mail headers", key);
		return NULL;
	}
	if (pos) {
		pos->line = n->line;
		pos->col = n->col;
	}
	return xstrdup(n->value);
}

/* start or end (whole_day: a date alone means the end of that day in the
 * organisation's zone, so "end: 2027-01-31" still sends on the 31st). */
static int parse_when(const struct ydoc *doc, const struct ynode *n, const struct config *cfg,
		      int whole_day, time_t *out, struct diag_list *diags)
{
	int ymd;

	if (ynode_is_null(n))
		return 0;
	if (whole_day && n->kind == YNODE_SCALAR && strlen(n->value) == 10 &&
	    date_parse(n->value, &ymd) == 0) {
		*out = tz_from_local(cfg->zone, ymd / 10000, ymd / 100 % 100, ymd % 100 + 1, 0, 0, 0);
		return 0;
	}
	error_clear();
	if (n->kind != YNODE_SCALAR || time_parse_local(n->value, cfg->zone, out) < 0) {
		error_clear();
		ydiag(diags, doc, n, DIAG_ERROR,
		      "invalid time '%s': expected a date (2026-12-01) or a date-time (2026-12-01T09:00)",
		      n->kind == YNODE_SCALAR ? n->value : "");
		return -1;
	}
	return 0;
}

/* During campaigns_load(): the templates found present (1) or absent (2),
 * so that a thousand campaigns of one template look for it once.  Shared
 * by the loading threads, each pointing templates_seen at it.  A refusal
 * is not kept: each campaign reports it. */
struct template_memo {
	pthread_mutex_t lock;
	struct strmap seen;
};
static _Thread_local struct template_memo *templates_seen;

static int template_stat(const char *root, const char *rel)
{
	struct template_memo *m = templates_seen;
	struct strmap_entry *e;
	struct stat st;
	void *seen = NULL;
	int r;

	if (m) {
		pthread_mutex_lock(&m->lock);
		e = strmap_get(&m->seen, rel);
		seen = e ? e->value : NULL;
		pthread_mutex_unlock(&m->lock);
		if (seen)
			return seen == (void *)1 ? 0 : -1;
	}
	/* two threads may both look: they find the same */
	r = content_stat(root, rel, &st);
	if (m && r != CONTENT_REFUSED) {
		pthread_mutex_lock(&m->lock);
		strmap_put(&m->seen, rel, NULL)->value = (void *)(uintptr_t)(r == 0 ? 1 : 2);
		pthread_mutex_unlock(&m->lock);
	}
	return r;
}

static void template_check(struct campaign *c, const struct ydoc *doc, const char *root,
			   struct diag_list *diags)
{
	struct buf path = BUF_INIT;
	int r;

	if (!c->template)
		return;
	if (id_check(c->template) < 0) {
		diag_add(diags, DIAG_ERROR, doc->path, c->template_pos.line, c->template_pos.col,
			 "invalid template name '%s'", c->template);
		c->valid = 0;
		goto done;
	}
	buf_addf(&path, "templates/%s.md", c->template);
	r = template_stat(root, path.ptr);
	if (r == CONTENT_REFUSED) {
		content_diag(diags);
		c->valid = 0;
	} else if (r < 0) {
		diag_add(diags, DIAG_ERROR, doc->path, c->template_pos.line, c->template_pos.col,
			 "unknown template '%s' (no templates/%s.md)", c->template, c->template);
		c->valid = 0;
	}
done:
	buf_release(&path);
}

/* One campaign from text, its campaign.yaml. */
static void load_one(struct campaign *c, const struct buf *text, const char *root,
		     const struct config *cfg, const struct segments *segments,
		     struct diag_list *diags)
{
	struct ydoc *doc = NULL;

	c->valid = 0;
	if (ydoc_parse(&doc, c->path, text->ptr, text->len, 0, diags) == 0)
		campaign_load_doc(c, doc, root, cfg, segments, diags);
	ydoc_free(doc);
}

/* merged_from: the ids of the campaigns merged into this one. */
static int load_merged_from(struct campaign *c, const struct ydoc *doc, const struct ynode *top,
			    struct diag_list *diags)
{
	const struct ynode *n = ynode_get(top, "merged_from");
	size_t i;
	int ret = 0;

	if (!n || ynode_is_null(n))
		return 0;
	if (ynode_expect(doc, n, YNODE_SEQ, "'merged_from'", diags) < 0)
		return -1;
	c->merged_from = xcalloc(n->count + 1, sizeof(char *));
	for (i = 0; i < n->count; i++) {
		if (n->items[i]->kind != YNODE_SCALAR || campaign_id_check(n->items[i]->value) < 0) {
			ydiag(diags, doc, n->items[i], DIAG_ERROR, "'merged_from' lists campaign ids");
			ret = -1;
			continue;
		}
		c->merged_from[c->nmerged_from++] = xstrdup(n->items[i]->value);
	}
	c->merged_from_pos.line = n->line;
	c->merged_from_pos.col = n->col;
	if (c->segment || !ynode_is_null(ynode_get(top, "filter"))) {
		ydiag(diags, doc, n, DIAG_ERROR,
		      "a campaign made by a merge selects what its sources select: no 'segment' or 'filter'");
		ret = -1;
	}
	return ret;
}

/* recipient_type and status. */
static int load_type_status(struct campaign *c, const struct ydoc *doc, const struct ynode *top,
			    struct diag_list *diags)
{
	const struct ynode *n;
	int ret = 0;

	c->type = -1;
	n = ynode_get(top, "recipient_type");
	if (n && n->kind == YNODE_SCALAR && !ynode_is_null(n)) {
		c->type = recipient_type_parse(n->value);
		if (c->type < 0) {
			ydiag(diags, doc, n, DIAG_ERROR,
			      "invalid recipient_type '%s': expected contacts, companies or leads",
			      n->value);
			ret = -1;
		}
	}
	n = ynode_get(top, "status");
	if (n && !ynode_is_null(n)) {
		if (n->kind == YNODE_SCALAR && !strcmp(n->value, "active"))
			c->status = CAMPAIGN_ACTIVE;
		else if (n->kind == YNODE_SCALAR && !strcmp(n->value, "paused"))
			c->status = CAMPAIGN_PAUSED;
		else if (n->kind == YNODE_SCALAR && !strcmp(n->value, "merged"))
			c->status = CAMPAIGN_MERGED;
		else {
			ydiag(diags, doc, n, DIAG_ERROR,
			      "invalid status '%s': expected active, paused or merged",
			      n->kind == YNODE_SCALAR ? n->value : "");
			ret = -1;
		}
	}
	return ret;
}

/* vip_only, start and end. */
static int load_when(struct campaign *c, const struct ydoc *doc, const struct ynode *top,
		     const struct config *cfg, struct diag_list *diags)
{
	const struct ynode *n = ynode_get(top, "vip_only");
	int ret = 0;

	if (n && ynode_bool(doc, n, &c->vip_only, diags) < 0)
		ret = -1;
	if (parse_when(doc, ynode_get(top, "start"), cfg, 0, &c->start, diags) < 0 ||
	    parse_when(doc, ynode_get(top, "end"), cfg, 1, &c->end, diags) < 0)
		ret = -1;
	c->start_text = scalar_dup(doc, top, "start", NULL, diags);
	c->end_text = scalar_dup(doc, top, "end", NULL, diags);
	if (c->start && c->end && c->end <= c->start) {
		ydiag(diags, doc, ynode_get(top, "end"), DIAG_ERROR, "'end' must be after 'start' (a date as 'end' includes that day)");
		ret = -1;
	}
	return ret;
}

/* status: merged and merged_into go together. */
static int check_merged_into(const struct campaign *c, const struct ydoc *doc,
			     const struct ynode *top, struct diag_list *diags)
{
	if (c->status == CAMPAIGN_MERGED && !c->merged_into) {
		ydiag(diags, doc, ynode_get(top, "status"), DIAG_ERROR,
		      "a merged campaign needs 'merged_into'");
		return -1;
	}
	if (c->status != CAMPAIGN_MERGED && c->merged_into) {
		ydiag(diags, doc, ynode_get(top, "merged_into"), DIAG_ERROR,
		      "'merged_into' is set but status is not merged");
		return -1;
	}
	return 0;
}

static void filter_copy(struct filter *out, const struct filter *from)
{
	size_t i, j;

	out->terms = xcalloc(from->count, sizeof(*out->terms));
	for (i = 0; i < from->count; i++) {
		struct filter_term *t = &out->terms[i];
		const struct filter_term *s = &from->terms[i];
		t->field = xstrdup(s->field);
		t->values = xcalloc(s->nvalues, sizeof(char *));
		for (j = 0; j < s->nvalues; j++)
			t->values[j] = xstrdup(s->values[j]);
		t->nvalues = s->nvalues;
	}
	out->count = from->count;
}

/* The selection: an inline filter, or a copy of the segment's. */
static int load_selection(struct campaign *c, const struct ydoc *doc, const struct ynode *top,
			  const struct segments *segments, struct diag_list *diags)
{
	const struct ynode *n = ynode_get(top, "filter");
	const struct segment *seg;

	if (c->segment && n && !ynode_is_null(n)) {
		ydiag(diags, doc, n, DIAG_ERROR, "use either 'segment' or 'filter', not both");
		return -1;
	}
	if (n && !ynode_is_null(n)) {
		if (filter_parse(&c->filter, doc, n, diags) < 0)
			return -1;
		c->has_filter = c->has_inline_filter = 1;
		return 0;
	}
	if (!c->segment)
		return 0;
	seg = segments_find(segments, c->segment);
	if (!seg) {
		ydiag(diags, doc, ynode_get(top, "segment"), DIAG_ERROR,
		      "unknown segment '%s' (not in %s)", c->segment, SEGMENTS_FILE);
		return -1;
	}
	filter_copy(&c->filter, &seg->filter);
	c->has_filter = 1;
	return 0;
}

void campaign_load_doc(struct campaign *c, const struct ydoc *doc, const char *root,
		       const struct config *cfg, const struct segments *segments,
		       struct diag_list *diags)
{
	const struct ynode *top;

	c->valid = 0;
	ydoc_check_secrets(doc, diags);
	top = doc->root;
	if (!top) {
		diag_add(diags, DIAG_ERROR, c->path, 0, 0, "file is empty");
		return;
	}
	c->valid = ymap_check(doc, top, "campaign", campaign_keys, diags) == 0;
	if (top->kind != YNODE_MAP)
		return;
	c->pos.line = top->line;
	c->pos.col = top->col;
	c->name = scalar_dup(doc, top, "name", NULL, diags);
	if (c->name && !header_safe(c->name, strlen(c->name))) {
		ydiag(diags, doc, ynode_get(top, "name"), DIAG_ERROR,
		      "'name' contains a line break or NUL, which could inject mail headers");
		c->valid = 0;
	}
	c->template = scalar_dup(doc, top, "template", &c->template_pos, diags);
	c->owner = scalar_dup(doc, top, "owner", &c->owner_pos, diags);
	c->segment = scalar_dup(doc, top, "segment", &c->segment_pos, diags);
	c->merged_into = scalar_dup(doc, top, "merged_into", NULL, diags);
	if (load_merged_from(c, doc, top, diags) < 0)
		c->valid = 0;
	if (load_type_status(c, doc, top, diags) < 0)
		c->valid = 0;
	if (load_when(c, doc, top, cfg, diags) < 0)
		c->valid = 0;
	if (check_merged_into(c, doc, top, diags) < 0)
		c->valid = 0;
	if (c->owner && !config_person(cfg, c->owner)) {
		ydiag(diags, doc, ynode_get(top, "owner"), DIAG_ERROR, "unknown owner '%s'", c->owner);
		c->valid = 0;
	}
	if (load_selection(c, doc, top, segments, diags) < 0)
		c->valid = 0;
	template_check(c, doc, root, diags);
	if (!c->name || !c->template || !c->owner || c->type < 0)
		c->valid = 0;
}

/* A campaign made by a merge: its sources exist, were merged into it, and
 * share its template, recipient type and owner. */
static void resolve_sources(struct campaigns *cs, struct campaign *c, struct diag_list *diags)
{
	size_t i;

	if (!c->nmerged_from)
		return;
	c->sources = xcalloc(c->nmerged_from, sizeof(*c->sources));
	for (i = 0; i < c->nmerged_from; i++) {
		const struct campaign *src = campaigns_find(cs, c->merged_from[i]);
		const char *why = NULL;

		if (!src)
			why = "is not a campaign";
		else if (src->status != CAMPAIGN_MERGED || !src->merged_into ||
			 strcmp(src->merged_into, c->id))
			why = "is not marked 'status: merged' with 'merged_into' this campaign";
		else if (!src->valid)
			why = "has errors";
		else if (!c->template || !src->template || strcmp(src->template, c->template) ||
			 src->type != c->type || !c->owner || !src->owner || strcmp(src->owner, c->owner))
			why = "differs in template, recipient type or owner";
		if (why) {
			diag_add(diags, DIAG_ERROR, c->path, c->merged_from_pos.line,
				 c->merged_from_pos.col, "merged campaign '%s' %s", c->merged_from[i], why);
			c->valid = 0;
			continue;
		}
		c->sources[i] = src;
	}
}

/* One file of the campaign's folder, stat taken; a refusal is reported. */
static void find_file(struct campaign_file *f, const char *root, char *rel,
		      struct diag_list *diags)
{
	int r = content_stat(root, rel, &f->st);

	f->rel = rel;
	f->found = r == 0 ? 1 : r == CONTENT_REFUSED ? CONTENT_REFUSED : 0;
	if (r == CONTENT_REFUSED)
		content_diag(diags);
}

/* The logs and commands of a campaign are read by the plan and appended
 * to by send: each must be a regular file in a real folder.  Records them
 * with their stat in c->files. */
static void logs_check(struct campaign *c, const char *root, struct diag_list *diags)
{
	char *dir = xasprintf("campaigns/%s/log", c->id), **names = NULL;
	int n, i;

	n = content_list(&names, root, dir, ".tsv", 0);
	if (n == CONTENT_REFUSED)
		content_diag(diags);
	c->files = xcalloc((size_t)(n > 0 ? n : 0) + 1, sizeof(*c->files));
	for (i = 0; i < n; i++)
		find_file(&c->files[c->nfiles++], root, xasprintf("%s/%s", dir, names[i]), diags);
	free_list(names, (size_t)(n > 0 ? n : 0));
	find_file(&c->files[c->nfiles++], root, xasprintf("campaigns/%s/commands.tsv", c->id), diags);
	free(dir);
}

/*
 * The folders are loaded on the worker threads in batches (reading and
 * parsing 10,000 small files is most of a plan's loading when nothing
 * changed), and taken back in folder order with their diagnostics, so the
 * result and the messages do not depend on the number of threads.  A job
 * reads the configuration and segments, which no one writes meanwhile,
 * and writes only its own batch; time zones come from a locked cache.
 */
#define CAMPAIGN_BATCH 64

struct campaign_batch {
	struct campaign *items; /* the batch's campaigns (folders that are none are left out) */
	size_t count;
	struct diag_list diags;
};

struct campaign_loader {
	const char *root;
	const struct config *cfg;
	const struct segments *segments;
	char **names; /* the folders, sorted */
	size_t n;
	struct campaign_batch *batches;
	struct template_memo memo;
};

/* The campaign of folder campaigns/name into *c: 1, or 0 when the folder
 * holds none (said in diags). */
static int load_folder(struct campaign *c, const struct campaign_loader *l, const char *name,
		       struct diag_list *diags)
{
	struct buf text = BUF_INIT;
	char *file = xasprintf("campaigns/%s/campaign.yaml", name), *rel = NULL;
	struct stat st;
	int r, ret = 0;

	if (campaign_id_check(name) < 0) {
		rel = xasprintf("campaigns/%s", name);
		diag_add(diags, DIAG_ERROR, rel, 0, 0,
			 "invalid campaign id '%s': use lower-case letters, digits and '-', starting with a letter or digit",
			 name);
		goto done;
	}
	/* read once: its stat is the one the plan's refresh keeps */
	r = content_read_stat(&text, l->root, file, YAMLFILE_MAX_SIZE, diags, &st);
	if (r == CONTENT_REFUSED)
		goto done;
	if (r < 0 && errno == ENOENT) {
		rel = xasprintf("campaigns/%s", name);
		diag_add(diags, DIAG_ERROR, rel, 0, 0, "missing campaign.yaml");
		goto done;
	}
	if (r < 0) {
		ydoc_read_failed(file, diags);
		goto done;
	}
	memset(c, 0, sizeof(*c));
	c->id = xstrdup(name);
	c->path = file;
	file = NULL;
	c->yaml_st = st;
	load_one(c, &text, l->root, l->cfg, l->segments, diags);
	logs_check(c, l->root, diags);
	ret = 1;
done:
	free(file);
	free(rel);
	buf_release(&text);
	return ret;
}

/* A job of the pool: the folders of batch b. */
static void load_batch(void *ctx, size_t b)
{
	struct campaign_loader *l = ctx;
	struct campaign_batch *out = &l->batches[b];
	struct template_memo *was = templates_seen;
	size_t i, from = b * CAMPAIGN_BATCH, to = from + CAMPAIGN_BATCH < l->n ? from + CAMPAIGN_BATCH : l->n;
	int held = content_hold(l->root); /* nests on the thread that holds it already */

	templates_seen = &l->memo;
	out->items = xcalloc(to - from, sizeof(*out->items));
	for (i = from; i < to; i++)
		out->count += (size_t)load_folder(&out->items[out->count], l, l->names[i], &out->diags);
	templates_seen = was;
	if (held)
		content_release();
}

int campaigns_load(struct campaigns *out, const char *root, const struct config *cfg,
		   const struct segments *segments, struct diag_list *diags)
{
	struct campaign_loader l;
	struct workpool *pool;
	unsigned threads = workpool_threads();
	size_t b, nbatches, i;
	char **names = NULL;
	int n;

	memset(out, 0, sizeof(*out));
	n = content_list(&names, root, "campaigns", NULL, 1);
	if (n == CONTENT_REFUSED) {
		content_diag(diags);
		n = 0;
	}
	if (n < 0)
		return -1;
	memset(&l, 0, sizeof(l));
	l.root = root;
	l.cfg = cfg;
	l.segments = segments;
	l.names = names;
	l.n = (size_t)n;
	pthread_mutex_init(&l.memo.lock, NULL);
	nbatches = (l.n + CAMPAIGN_BATCH - 1) / CAMPAIGN_BATCH;
	l.batches = xcalloc(nbatches + 1, sizeof(*l.batches));
	out->items = xcalloc(n ? (size_t)n : 1, sizeof(*out->items));
	pool = workpool_start(nbatches, threads, 2 * (size_t)threads, load_batch, &l);
	for (b = 0; b < nbatches; b++) {
		struct campaign_batch *batch = &l.batches[b];

		workpool_wait(pool, b);
		memcpy(&out->items[out->count], batch->items, batch->count * sizeof(*batch->items));
		out->count += batch->count;
		diag_move(diags, &batch->diags, 0, batch->diags.count);
		diag_release(&batch->diags);
		free(batch->items);
	}
	workpool_free(pool);
	free(l.batches);
	strmap_release(&l.memo.seen, NULL);
	pthread_mutex_destroy(&l.memo.lock);
	free_list(names, l.n);
	for (i = 0; i < out->count; i++)
		resolve_sources(out, &out->items[i], diags);
	return 0;
}

void campaigns_release(struct campaigns *cs)
{
	size_t i, j;

	for (i = 0; i < cs->count; i++) {
		struct campaign *c = &cs->items[i];
		free(c->id);
		free(c->path);
		free(c->name);
		free(c->template);
		free(c->owner);
		free(c->segment);
		free(c->merged_into);
		free_list(c->merged_from, c->nmerged_from);
		free(c->sources);
		free(c->start_text);
		free(c->end_text);
		filter_release(&c->filter);
		for (j = 0; j < c->nfiles; j++)
			free(c->files[j].rel);
		free(c->files);
	}
	free(cs->items);
	memset(cs, 0, sizeof(*cs));
}

const struct campaign *campaigns_find(const struct campaigns *cs, const char *id)
{
	size_t i;

	for (i = 0; i < cs->count; i++) {
		if (!strcmp(cs->items[i].id, id))
			return &cs->items[i];
	}
	return NULL;
}

int campaign_selects(const struct campaign *c, const struct recipient *r)
{
	size_t i;

	if (c->sources) {
		for (i = 0; i < c->nmerged_from; i++) {
			if (c->sources[i] && campaign_selects(c->sources[i], r))
				return 1;
		}
		return 0;
	}
	if ((int)r->type != c->type || !c->owner || strcmp(r->owner, c->owner))
		return 0;
	if (c->vip_only && !r->vip)
		return 0;
	return !c->has_filter || filter_match(&c->filter, r);
}

/* ---- editing campaign files ---- */

enum undo_kind { UNDO_REMOVE, UNDO_RMDIR, UNDO_RESTORE };

struct campaign_undo_step {
	enum undo_kind kind;
	char *root, *path; /* path: relative to root */
	char *text; /* UNDO_RESTORE: the old content */
	size_t len;
};

static void undo_push(struct campaign_undo *u, enum undo_kind kind, const char *root,
		      const char *path, const char *text, size_t len)
{
	struct campaign_undo_step *s;

	if (!u)
		return;
	XGROW(u->steps, u->cap, u->count + 1);
	s = &u->steps[u->count++];
	s->kind = kind;
	s->root = xstrdup(root);
	s->path = xstrdup(path);
	s->text = text ? xstrndup(text, len) : NULL;
	s->len = len;
}

/* Undoes the steps from mark on, newest first. */
static int undo_to(struct campaign_undo *u, size_t mark)
{
	int ret = 0;

	if (!u)
		return 0;
	while (u->count > mark) {
		struct campaign_undo_step *s = &u->steps[--u->count];
		int r = 0;

		switch (s->kind) {
		case UNDO_REMOVE:
			r = content_remove(s->root, s->path, 0);
			break;
		case UNDO_RMDIR:
			r = content_remove(s->root, s->path, 1);
			break;
		case UNDO_RESTORE:
			r = content_write_atomic(s->root, s->path, s->text, s->len);
			break;
		}
		if (r < 0 && ret == 0)
			ret = error_set("cannot undo the change of '%s': %s", s->path, error_last());
		free(s->root);
		free(s->path);
		free(s->text);
	}
	return ret;
}

int campaign_undo_apply(struct campaign_undo *u)
{
	return undo_to(u, 0);
}

void campaign_undo_release(struct campaign_undo *u)
{
	size_t i;

	if (!u)
		return;
	for (i = 0; i < u->count; i++) {
		free(u->steps[i].root);
		free(u->steps[i].path);
		free(u->steps[i].text);
	}
	free(u->steps);
	memset(u, 0, sizeof(*u));
}

/* The key of a top-level "key: value" line, or -1. */
static int line_key(const char *line, const char *const *keys, size_t n)
{
	size_t i, len;

	for (i = 0; i < n; i++) {
		len = strlen(keys[i]);
		if (!strncmp(line, keys[i], len) && line[len] == ':')
			return (int)i;
	}
	return -1;
}

/* "key: value", keeping the comment of the line it replaces at its column
 * when there is room. */
static void key_line(struct buf *out, const char *key, const char *value, const char *line,
		     const char *end)
{
	const char *hash = line ? memchr(line, '#', (size_t)(end - line)) : NULL;
	size_t start = out->len;

	buf_addf(out, "%s: %s", key, value);
	if (hash) {
		size_t col = (size_t)(hash - line), len = out->len - start;
		size_t pad = len + 2 <= col ? col - len : 2;

		while (pad--)
			buf_addc(out, ' ');
		buf_add(out, hash, (size_t)(end - hash));
		if (end[-1] != '\n')
			buf_addc(out, '\n');
	} else {
		buf_addc(out, '\n');
	}
}

/*
 * Sets top-level keys of campaigns/<id>/campaign.yaml to plain values,
 * keeping every other line as it is; a key the file lacks goes right after
 * the key before it in keys, or at the end.
 */
static int set_keys(const char *root, const char *id, const char *const *keys,
		    const char *const *values, size_t n, struct campaign_undo *undo)
{
	struct buf path = BUF_INIT, text = BUF_INIT, out = BUF_INIT;
	const char *line, *end;
	unsigned present = 0, written = 0;
	size_t i, bom, mark = undo ? undo->count : 0;
	int k, ret = -1;

	buf_addf(&path, "campaigns/%s/campaign.yaml", id);
	if ((k = content_read(&text, root, path.ptr, YAMLFILE_MAX_SIZE, NULL)) < 0) {
		if (k != CONTENT_REFUSED)
			error_set("cannot read 'campaigns/%s/campaign.yaml': %s", id, strerror(errno));
		goto done;
	}
	bom = ydoc_bom_len(text.ptr, text.len); /* kept, and no part of the first key */
	buf_add(&out, text.ptr, bom);
	for (line = text.ptr + bom; *line; line = end) {
		end = strchr(line, '\n');
		end = end ? end + 1 : line + strlen(line);
		k = line_key(line, keys, n);
		if (k >= 0)
			present |= 1u << k;
	}
	for (line = text.ptr + bom; *line; line = end) {
		end = strchr(line, '\n');
		end = end ? end + 1 : line + strlen(line);
		k = line_key(line, keys, n);
		if (k < 0 || (written & (1u << k))) {
			buf_add(&out, line, (size_t)(end - line));
			if (end[-1] != '\n')
				buf_addc(&out, '\n');
			continue;
		}
		key_line(&out, keys[k], values[k], line, end);
		written |= 1u << k;
		/* the missing keys that follow this one in keys */
		for (i = (size_t)k + 1; i < n && !(present & (1u << i)); i++) {
			key_line(&out, keys[i], values[i], NULL, NULL);
			written |= 1u << i;
		}
	}
	for (i = 0; i < n; i++) {
		if (!(written & (1u << i)))
			key_line(&out, keys[i], values[i], NULL, NULL);
	}
	undo_push(undo, UNDO_RESTORE, root, path.ptr, text.ptr, text.len);
	ret = content_write_atomic(root, path.ptr, out.ptr, out.len);
done:
	if (ret < 0)
		undo_to(undo, mark);
	buf_release(&path);
	buf_release(&text);
	buf_release(&out);
	return ret;
}

int campaign_set_status(const char *root, const char *id, const char *status)
{
	const char *key = "status";

	return set_keys(root, id, &key, &status, 1, NULL);
}

int campaign_set_merged(const char *root, const char *id, const char *into,
			struct campaign_undo *undo)
{
	const char *keys[] = { "status", "merged_into" };
	const char *values[] = { "merged", into };

	return set_keys(root, id, keys, values, 2, undo);
}

int campaign_create(const char *root, const char *id, const char *text, size_t len,
		    struct campaign_undo *undo)
{
	struct buf path = BUF_INIT;
	size_t mark = undo ? undo->count : 0;
	int r, ret = -1;

	if (campaign_id_check(id) < 0) {
		error_set("invalid campaign id '%s': use lower-case letters, digits and '-', starting with a letter or digit",
			  id);
		goto done;
	}
	if (content_mkdirs(root, "campaigns") < 0)
		goto done;
	buf_addf(&path, "campaigns/%s", id);
	r = content_dir_check(root, path.ptr);
	if (r != 0) {
		if (r > 0)
			error_set("campaign '%s' already exists (campaigns/%s)", id, id);
		goto done;
	}
	if (content_mkdirs(root, path.ptr) < 0)
		goto done;
	undo_push(undo, UNDO_RMDIR, root, path.ptr, NULL, 0);
	buf_adds(&path, "/campaign.yaml");
	undo_push(undo, UNDO_REMOVE, root, path.ptr, NULL, 0);
	ret = content_write_atomic(root, path.ptr, text, len);
done:
	if (ret < 0)
		undo_to(undo, mark);
	buf_release(&path);
	return ret;
}

/* ---- writing campaign files ---- */

#define COMMENT_COLUMN 41

/* s as a YAML scalar: plain when that reads back the same, else double
 * quoted.  In a flow collection (flow), commas and colons are quoted too. */
static void yaml_scalar(struct buf *b, const char *s, int flow)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s);
	int plain = n > 0 && (isalnum(p[0]) || p[0] >= 0x80) && p[n - 1] != ' ' &&
		    yscalar_typed_word(s) != YWORD_COMMON;

	for (; plain && *p; p++) {
		if (isalnum(*p) || *p >= 0x80 || strchr(" ._-/()+@'&", *p))
			continue;
		if (!flow && ((*p == ':' && p[1] && p[1] != ' ') || *p == ','))
			continue;
		plain = 0;
	}
	if (plain) {
		buf_adds(b, s);
		return;
	}
	buf_addc(b, '"');
	for (p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			buf_addf(b, "\\%c", *p);
		else if (*p == '\n')
			buf_adds(b, "\\n");
		else if (*p == '\t')
			buf_adds(b, "\\t");
		else if (*p < 0x20 || *p == 0x7f)
			buf_addf(b, "\\x%02x", *p);
		else
			buf_addc(b, (char)*p);
	}
	buf_addc(b, '"');
}

/* Ends the line that starts at offset line with a comment at the comment
 * column (or two spaces after a longer value). */
static void comment(struct buf *b, size_t line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void comment(struct buf *b, size_t line, const char *fmt, ...)
{
	size_t width = text_utf8_length(b->ptr + line, b->len - line), pad;
	va_list ap;

	pad = width + 2 <= COMMENT_COLUMN ? COMMENT_COLUMN - width : 2;
	while (pad--)
		buf_addc(b, ' ');
	buf_adds(b, "# ");
	va_start(ap, fmt);
	buf_vaddf(b, fmt, ap);
	va_end(ap);
	buf_addc(b, '\n');
}

static void format_filter(struct buf *b, const struct filter *f)
{
	size_t i, j;

	buf_adds(b, "{ ");
	for (i = 0; i < f->count; i++) {
		const struct filter_term *t = &f->terms[i];

		if (i)
			buf_adds(b, ", ");
		buf_addf(b, "%s: ", t->field);
		if (t->nvalues == 1) {
			yaml_scalar(b, t->values[0], 1);
			continue;
		}
		buf_addc(b, '[');
		for (j = 0; j < t->nvalues; j++) {
			if (j)
				buf_adds(b, ", ");
			yaml_scalar(b, t->values[j], 1);
		}
		buf_addc(b, ']');
	}
	buf_adds(b, " }");
}

void campaign_format(struct buf *out, const struct campaign_spec *spec)
{
	const char *type = recipient_type_name(spec->type);
	size_t line, i;

	line = out->len;
	buf_adds(out, "name: ");
	yaml_scalar(out, spec->name, 0);
	comment(out, line, "shown in status and on the site");
	line = out->len;
	buf_adds(out, "template: ");
	yaml_scalar(out, spec->template, 0);
	comment(out, line, "templates/%s.md", spec->template);
	line = out->len;
	buf_addf(out, "recipient_type: %s", type);
	comment(out, line, "contacts | companies | leads");
	if (spec->nmerged_from) {
		line = out->len;
		buf_adds(out, "merged_from: [");
		for (i = 0; i < spec->nmerged_from; i++)
			buf_addf(out, "%s%s", i ? ", " : "", spec->merged_from[i]);
		buf_addc(out, ']');
		comment(out, line, "what these selected, with their history");
	} else if (spec->segment) {
		line = out->len;
		buf_adds(out, "segment: ");
		yaml_scalar(out, spec->segment, 0);
		comment(out, line, "a name from %s", SEGMENTS_FILE);
	} else if (spec->filter) {
		line = out->len;
		buf_adds(out, "filter: ");
		format_filter(out, spec->filter);
		comment(out, line, "records matching every field");
	}
	line = out->len;
	buf_adds(out, "owner: ");
	yaml_scalar(out, spec->owner, 0);
	if (spec->nmerged_from || spec->segment || spec->filter)
		comment(out, line, "only %s's %s are selected", spec->owner, type);
	else
		comment(out, line, "all of %s's %s (no segment or filter)", spec->owner, type);
	line = out->len;
	buf_addf(out, "status: %s", spec->paused ? "paused" : "active");
	comment(out, line, "active | paused | merged");
	if (spec->start) {
		line = out->len;
		buf_adds(out, "start: ");
		yaml_scalar(out, spec->start, 0);
		comment(out, line, "nothing is sent before");
	}
	if (spec->end) {
		line = out->len;
		buf_adds(out, "end: ");
		yaml_scalar(out, spec->end, 0);
		comment(out, line, "nothing is sent after this day");
	}
	line = out->len;
	buf_addf(out, "vip_only: %s", spec->vip_only ? "true" : "false");
	comment(out, line, "true: VIP recipients only");
}

/* Adds "'a' has KEY x, 'b' has KEY y" for the first source whose value
 * differs from the first one's. */
static void differs(struct buf *why, const struct campaign *const *sources, size_t n,
		    const char *key, const char *(*value)(const struct campaign *c))
{
	size_t i;

	for (i = 1; i < n; i++) {
		if (strcmp(value(sources[0]), value(sources[i])))
			break;
	}
	if (i == n)
		return;
	buf_addf(why, "%s'%s' has %s %s, '%s' has %s %s", why->len ? "; " : "", sources[0]->id, key,
		 value(sources[0]), sources[i]->id, key, value(sources[i]));
}

static const char *template_of(const struct campaign *c)
{
	return c->template ? c->template : "";
}

static const char *type_of(const struct campaign *c)
{
	return c->type >= 0 ? recipient_type_name((enum recipient_type)c->type) : "";
}

static const char *owner_of(const struct campaign *c)
{
	return c->owner ? c->owner : "";
}

int campaign_merge_check(const struct campaign *const *sources, size_t n)
{
	struct buf why = BUF_INIT;
	size_t i, j;
	int ret = -1;

	if (n < 2) {
		error_set("cannot merge: name at least two campaigns");
		goto done;
	}
	for (i = 0; i < n; i++) {
		const struct campaign *c = sources[i];

		for (j = 0; j < i; j++) {
			if (!strcmp(sources[j]->id, c->id)) {
				error_set("cannot merge: '%s' is named twice", c->id);
				goto done;
			}
		}
		if (c->status == CAMPAIGN_MERGED) {
			error_set("cannot merge: '%s' was merged into '%s' already", c->id,
				  c->merged_into ? c->merged_into : "?");
			goto done;
		}
		if (c->nmerged_from) {
			error_set("cannot merge: '%s' was made by a merge itself, and merges do not nest",
				  c->id);
			goto done;
		}
		if (!c->valid) {
			error_set("cannot merge: '%s' has errors ('mailout validate' shows them)", c->id);
			goto done;
		}
	}
	differs(&why, sources, n, "template", template_of);
	differs(&why, sources, n, "recipient type", type_of);
	differs(&why, sources, n, "owner", owner_of);
	if (why.len) {
		error_set("cannot merge: %s", why.ptr);
		goto done;
	}
	ret = 0;
done:
	buf_release(&why);
	return ret;
}

int campaign_merge(const char *root, const struct campaign *const *sources, size_t n,
		   const char *into, const char *name, time_t now, struct campaign_undo *undo)
{
	struct campaign_undo own = CAMPAIGN_UNDO_INIT;
	struct campaign_undo *u = undo ? undo : &own;
	struct campaign_spec spec;
	struct buf text = BUF_INIT, lines = BUF_INIT, path = BUF_INIT;
	const struct campaign *first_start = NULL, *last_end = NULL;
	const char **ids = NULL;
	char *default_name = NULL;
	size_t i, mark = u->count;
	int no_start = 0, no_end = 0, ret = -1;

	if (campaign_merge_check(sources, n) < 0)
		goto done;
	for (i = 0; i < n; i++) {
		if (!strcmp(sources[i]->id, into)) {
			error_set("cannot merge: '%s' is one of the campaigns merged; choose a new id",
				  into);
			goto done;
		}
	}
	memset(&spec, 0, sizeof(spec));
	ids = xcalloc(n, sizeof(*ids));
	spec.vip_only = 1;
	for (i = 0; i < n; i++) {
		const struct campaign *c = sources[i];

		ids[i] = c->id;
		spec.paused |= c->status == CAMPAIGN_PAUSED;
		spec.vip_only &= c->vip_only != 0;
		if (!c->start)
			no_start = 1;
		else if (!first_start || c->start < first_start->start)
			first_start = c;
		if (!c->end)
			no_end = 1;
		else if (!last_end || c->end > last_end->end)
			last_end = c;
	}
	if (!name)
		name = default_name = xasprintf("%s (merged)", sources[0]->name);
	spec.name = name;
	spec.template = sources[0]->template;
	spec.type = (enum recipient_type)sources[0]->type;
	spec.owner = sources[0]->owner;
	spec.merged_from = ids;
	spec.nmerged_from = n;
	spec.start = !no_start && first_start ? first_start->start_text : NULL;
	spec.end = !no_end && last_end ? last_end->end_text : NULL;
	campaign_format(&text, &spec);
	if (campaign_create(root, into, text.ptr, text.len, u) < 0)
		goto done;
	for (i = 0; i < n; i++)
		log_format(&lines, now, LOG_MERGED, &ids[i], 1);
	buf_addf(&path, "campaigns/%s/commands.tsv", into);
	undo_push(u, UNDO_REMOVE, root, path.ptr, NULL, 0);
	if (campaign_command(root, into, lines.ptr, lines.len) < 0)
		goto done;
	for (i = 0; i < n; i++) {
		if (campaign_set_merged(root, sources[i]->id, into, u) < 0)
			goto done;
	}
	ret = 0;
done:
	if (ret < 0)
		undo_to(u, mark);
	campaign_undo_release(&own);
	buf_release(&text);
	buf_release(&lines);
	buf_release(&path);
	free(ids);
	free(default_name);
	return ret;
}

int campaign_command(const char *root, const char *id, const char *text, size_t len)
{
	char *path = xasprintf("campaigns/%s/commands.tsv", id);
	int ret = log_append(root, path, text, len, 1);

	free(path);
	return ret;
}
