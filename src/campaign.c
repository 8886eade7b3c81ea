#include "campaign.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "buf.h"
#include "log.h"
#include "schedule.h"
#include "util.h"
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
	if (pos) {
		pos->line = n->line;
		pos->col = n->col;
	}
	return xstrdup(n->value);
}

static int parse_when(const struct ydoc *doc, const struct ynode *n, const struct config *cfg,
		      time_t *out, struct diag_list *diags)
{
	if (ynode_is_null(n))
		return 0;
	if (n->kind != YNODE_SCALAR || time_parse_local(n->value, cfg->zone, out) < 0) {
		error_clear();
		ydiag(diags, doc, n, DIAG_ERROR,
		      "invalid time '%s': expected a date (2026-12-01) or a date-time (2026-12-01T09:00)",
		      n->kind == YNODE_SCALAR ? n->value : "");
		return -1;
	}
	return 0;
}

static void template_check(struct campaign *c, const struct ydoc *doc, const char *root,
			   struct diag_list *diags)
{
	struct buf path = BUF_INIT;
	struct stat st;

	if (!c->template)
		return;
	if (id_check(c->template) < 0) {
		diag_add(diags, DIAG_ERROR, doc->path, c->template_pos.line, c->template_pos.col,
			 "invalid template name '%s'", c->template);
		c->valid = 0;
		goto done;
	}
	buf_addf(&path, "%s/templates/%s.md", root, c->template);
	if (stat(path.ptr, &st) < 0 || !S_ISREG(st.st_mode)) {
		diag_add(diags, DIAG_ERROR, doc->path, c->template_pos.line, c->template_pos.col,
			 "unknown template '%s' (no templates/%s.md)", c->template, c->template);
		c->valid = 0;
	}
done:
	buf_release(&path);
}

static void load_one(struct campaign *c, const char *root, const struct config *cfg,
		     const struct segments *segments, struct diag_list *diags)
{
	struct ydoc *doc = NULL;
	const struct ynode *top, *n;

	c->valid = 0;
	if (ydoc_load_file(&doc, root, c->path, diags) < 0)
		return;
	ydoc_check_secrets(doc, diags);
	top = doc->root;
	if (!top) {
		diag_add(diags, DIAG_ERROR, c->path, 0, 0, "file is empty");
		goto done;
	}
	c->valid = ymap_check(doc, top, "campaign", campaign_keys, diags) == 0;
	if (top->kind != YNODE_MAP)
		goto done;
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
	n = ynode_get(top, "merged_from");
	if (n && !ynode_is_null(n)) {
		size_t i;
		if (ynode_expect(doc, n, YNODE_SEQ, "'merged_from'", diags) < 0) {
			c->valid = 0;
		} else {
			c->merged_from = xcalloc(n->count + 1, sizeof(char *));
			for (i = 0; i < n->count; i++) {
				if (n->items[i]->kind != YNODE_SCALAR ||
				    campaign_id_check(n->items[i]->value) < 0) {
					ydiag(diags, doc, n->items[i], DIAG_ERROR,
					      "'merged_from' lists campaign ids");
					c->valid = 0;
					continue;
				}
				c->merged_from[c->nmerged_from++] = xstrdup(n->items[i]->value);
			}
			c->merged_from_pos.line = n->line;
			c->merged_from_pos.col = n->col;
			if (c->segment || !ynode_is_null(ynode_get(top, "filter"))) {
				ydiag(diags, doc, n, DIAG_ERROR,
				      "a campaign made by a merge selects what its sources select: no 'segment' or 'filter'");
				c->valid = 0;
			}
		}
	}
	c->type = -1;
	n = ynode_get(top, "recipient_type");
	if (n && n->kind == YNODE_SCALAR && !ynode_is_null(n)) {
		c->type = recipient_type_parse(n->value);
		if (c->type < 0) {
			ydiag(diags, doc, n, DIAG_ERROR,
			      "invalid recipient_type '%s': expected contacts, companies or leads",
			      n->value);
			c->valid = 0;
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
			c->valid = 0;
		}
	}
	n = ynode_get(top, "vip_only");
	if (n && ynode_bool(doc, n, &c->vip_only, diags) < 0)
		c->valid = 0;
	if (parse_when(doc, ynode_get(top, "start"), cfg, &c->start, diags) < 0 ||
	    parse_when(doc, ynode_get(top, "end"), cfg, &c->end, diags) < 0)
		c->valid = 0;
	c->start_text = scalar_dup(doc, top, "start", NULL, diags);
	c->end_text = scalar_dup(doc, top, "end", NULL, diags);
	if (c->start && c->end && c->end <= c->start) {
		ydiag(diags, doc, ynode_get(top, "end"), DIAG_ERROR, "'end' must be after 'start'");
		c->valid = 0;
	}
	if (c->status == CAMPAIGN_MERGED && !c->merged_into) {
		ydiag(diags, doc, ynode_get(top, "status"), DIAG_ERROR,
		      "a merged campaign needs 'merged_into'");
		c->valid = 0;
	} else if (c->status != CAMPAIGN_MERGED && c->merged_into) {
		ydiag(diags, doc, ynode_get(top, "merged_into"), DIAG_ERROR,
		      "'merged_into' is set but status is not merged");
		c->valid = 0;
	}

	if (c->owner && !config_person(cfg, c->owner)) {
		ydiag(diags, doc, ynode_get(top, "owner"), DIAG_ERROR, "unknown owner '%s'", c->owner);
		c->valid = 0;
	}
	n = ynode_get(top, "filter");
	if (c->segment && n && !ynode_is_null(n)) {
		ydiag(diags, doc, n, DIAG_ERROR, "use either 'segment' or 'filter', not both");
		c->valid = 0;
	} else if (n && !ynode_is_null(n)) {
		if (filter_parse(&c->filter, doc, n, diags) < 0)
			c->valid = 0;
		else
			c->has_filter = c->has_inline_filter = 1;
	} else if (c->segment) {
		const struct segment *seg = segments_find(segments, c->segment);
		if (!seg) {
			ydiag(diags, doc, ynode_get(top, "segment"), DIAG_ERROR,
			      "unknown segment '%s' (not in %s)", c->segment, SEGMENTS_FILE);
			c->valid = 0;
		} else {
			size_t i, j;
			c->filter.terms = xcalloc(seg->filter.count, sizeof(*c->filter.terms));
			for (i = 0; i < seg->filter.count; i++) {
				struct filter_term *t = &c->filter.terms[i];
				const struct filter_term *s = &seg->filter.terms[i];
				t->field = xstrdup(s->field);
				t->values = xcalloc(s->nvalues, sizeof(char *));
				for (j = 0; j < s->nvalues; j++)
					t->values[j] = xstrdup(s->values[j]);
				t->nvalues = s->nvalues;
			}
			c->filter.count = seg->filter.count;
			c->has_filter = 1;
		}
	}
	template_check(c, doc, root, diags);
	if (!c->name || !c->template || !c->owner || c->type < 0)
		c->valid = 0;
done:
	ydoc_free(doc);
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

int campaigns_load(struct campaigns *out, const char *root, const struct config *cfg,
		   const struct segments *segments, struct diag_list *diags)
{
	struct buf dir = BUF_INIT, file = BUF_INIT;
	char **names = NULL;
	int n, i;
	struct stat st;

	memset(out, 0, sizeof(*out));
	buf_addf(&dir, "%s/campaigns", root);
	n = list_dir(&names, dir.ptr, NULL, 1);
	buf_release(&dir);
	if (n < 0)
		return -1;
	out->items = xcalloc(n ? (size_t)n : 1, sizeof(*out->items));
	for (i = 0; i < n; i++) {
		struct campaign *c;

		buf_reset(&file);
		buf_addf(&file, "%s/campaigns/%s/campaign.yaml", root, names[i]);
		if (campaign_id_check(names[i]) < 0) {
			char *rel = xasprintf("campaigns/%s", names[i]);
			diag_add(diags, DIAG_ERROR, rel, 0, 0,
				 "invalid campaign id '%s': use lower-case letters, digits and '-', starting with a letter or digit",
				 names[i]);
			free(rel);
			continue;
		}
		if (stat(file.ptr, &st) < 0) {
			char *rel = xasprintf("campaigns/%s", names[i]);
			diag_add(diags, DIAG_ERROR, rel, 0, 0, "missing campaign.yaml");
			free(rel);
			continue;
		}
		c = &out->items[out->count++];
		c->id = xstrdup(names[i]);
		c->path = xasprintf("campaigns/%s/campaign.yaml", names[i]);
		load_one(c, root, cfg, segments, diags);
	}
	buf_release(&file);
	free_list(names, (size_t)(n > 0 ? n : 0));
	for (i = 0; i < (int)out->count; i++)
		resolve_sources(out, &out->items[i], diags);
	return 0;
}

void campaigns_release(struct campaigns *cs)
{
	size_t i;

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

int campaign_set_status(const char *root, const char *id, const char *status)
{
	struct buf path = BUF_INIT, text = BUF_INIT, out = BUF_INIT;
	const char *line, *end;
	int found = 0, ret = -1;

	buf_addf(&path, "%s/campaigns/%s/campaign.yaml", root, id);
	if (buf_read_file(&text, path.ptr, YAMLFILE_MAX_SIZE) < 0) {
		error_set("cannot read 'campaigns/%s/campaign.yaml': %s", id, strerror(errno));
		goto done;
	}
	for (line = text.ptr; *line; line = end) {
		end = strchr(line, '\n');
		end = end ? end + 1 : line + strlen(line);
		if (!found && !strncmp(line, "status:", 7)) {
			/* keep a trailing comment */
			const char *hash = memchr(line, '#', (size_t)(end - line));
			buf_addf(&out, "status: %s", status);
			if (hash)
				buf_addf(&out, "  %.*s", (int)(end - hash), hash);
			else
				buf_addc(&out, '\n');
			if (hash && end[-1] != '\n')
				buf_addc(&out, '\n');
			found = 1;
			continue;
		}
		buf_add(&out, line, (size_t)(end - line));
	}
	if (!found) {
		if (out.len && out.ptr[out.len - 1] != '\n')
			buf_addc(&out, '\n');
		buf_addf(&out, "status: %s\n", status);
	}
	ret = write_file_atomic(path.ptr, out.ptr, out.len);
done:
	buf_release(&path);
	buf_release(&text);
	buf_release(&out);
	return ret;
}

int campaign_command(const char *root, const char *id, const char *text, size_t len)
{
	char *path = xasprintf("%s/campaigns/%s/commands.tsv", root, id);
	int ret = log_append(path, text, len, 1);

	free(path);
	return ret;
}
