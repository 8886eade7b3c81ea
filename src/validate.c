#include "validate.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "campaign.h"
#include "config.h"
#include "erasures.h"
#include "recipients.h"
#include "render.h"
#include "safefile.h"
#include "template.h"
#include "util.h"
#include "xalloc.h"

static int in_list(const char *const *list, const char *s)
{
	for (; *list; list++) {
		if (!strcmp(*list, s))
			return 1;
	}
	return 0;
}

/* A recipient field a campaign's messages use, with where it is first used. */
struct field_use {
	char *name;
	char *path;
	int line, col;
	size_t missing; /* selected recipients without it */
};

/* What validation tracks per campaign. */
struct campaign_check {
	struct campaign *campaign;
	struct newsletter *newsletter; /* shared, owned by the newsletters map */
	struct template *signature;
	char *signature_source;
	int signature_failed; /* present but not loaded: reported already */
	struct field_use *fields;
	size_t nfields, fields_cap;
	int subject_uses_fields;
	int subject_line, subject_col; /* the subject's first recipient field */
	int template_id; /* for the same-template overlap; -1: not counted */
	size_t selected, vip, non_vip, empty_subject;
	char *empty_subject_example;
	int usable_accounts, main_accounts, other_accounts;
};

struct validation {
	const char *root;
	struct diag_list *diags;
	struct config cfg;
	struct segments segments;
	struct suppressions suppressions;
	struct erasures erasures; /* erased persons, whose records should be gone */
	struct campaigns campaigns;
	struct campaign_check *checks;
	struct strmap newsletters; /* name -> struct newsletter * (NULL when broken) */
	struct strmap fields[RTYPE_COUNT]; /* field names some record of the type has */
	/*
	 * Which campaigns selected an address: one map of every address,
	 * whose value heads a list of campaign indexes in `taken` (linked by
	 * index, 0 ends a list, entries numbered from 1), newest first.  It
	 * stands for a set of addresses per campaign (dedupe) and one per
	 * template (overlap) at a fraction of their memory.
	 */
	struct strmap addresses;
	struct taken_entry {
		uint32_t campaign, next;
	} *taken;
	size_t ntaken, taken_cap;
	size_t **overlap; /* [later][earlier] counts of shared recipients */
	size_t records;
	struct tvalue *context; /* reused for subject rendering */
	struct buf scratch;
};

static void add_field_use(struct campaign_check *cc, const char *name, const char *path,
			  int line, int col)
{
	size_t i;

	for (i = 0; i < cc->nfields; i++) {
		if (!strcmp(cc->fields[i].name, name))
			return;
	}
	XGROW(cc->fields, cc->fields_cap, cc->nfields + 1);
	cc->fields[cc->nfields].name = xstrdup(name);
	cc->fields[cc->nfields].path = xstrdup(path);
	cc->fields[cc->nfields].line = line;
	cc->fields[cc->nfields].col = col;
	cc->fields[cc->nfields].missing = 0;
	cc->nfields++;
}

struct ref_walk {
	struct validation *v;
	struct campaign_check *cc;
	const char *path;
	int html; /* the body, which becomes HTML */
	int is_subject;
	int pass; /* 0: collect field uses; 1: report unknown names */
};

static int is_builtin(const char *name)
{
	return !strcmp(name, "unsubscribe_url") || !strcmp(name, "id") || !strcmp(name, "email") ||
	       !strcmp(name, "vip");
}

static void unknown_group_key(struct validation *v, const char *path,
			      const struct template_ref *ref, const struct render_group *g, const char *key)
{
	struct buf keys = BUF_INIT;
	const char *hint;
	size_t n;

	for (n = 0; g->keys[n]; n++)
		buf_addf(&keys, "%s%s", n ? ", " : "", g->keys[n]);
	hint = suggest_closest(key, g->keys, n);
	if (hint)
		diag_add(v->diags, DIAG_ERROR, path, ref->line, ref->col,
			 "unknown variable '%s': %s has %s (did you mean '%s.%s'?)", ref->name,
			 g->name, keys.ptr, g->name, hint);
	else
		diag_add(v->diags, DIAG_ERROR, path, ref->line, ref->col,
			 "unknown variable '%s': %s has %s", ref->name, g->name, keys.ptr);
	buf_release(&keys);
}

static int check_ref(const struct template_ref *ref, void *payload)
{
	struct ref_walk *w = payload;
	struct validation *v = w->v;
	const struct campaign *c = w->cc->campaign;
	const char *dot = strchr(ref->name, '.');
	size_t head_len = dot ? (size_t)(dot - ref->name) : strlen(ref->name);
	const struct render_group *g;
	char *head;

	if (!strcmp(ref->name, ".")) {
		/* inside a section over a recipient field, {{{.}}} is that field */
		if (w->pass == 1 && w->html && ref->kind == TEMPLATE_REF_UNESCAPED && ref->section &&
		    !render_group_find(ref->section, strcspn(ref->section, ".")))
			diag_add(v->diags, DIAG_ERROR, w->path, ref->line, ref->col,
				 "recipient data is always escaped in HTML: write {{.}}, not an unescaped tag");
		return 0;
	}
	g = render_group_find(ref->name, head_len);
	if (g) {
		if (dot && !in_list(g->keys, dot + 1) && w->pass == 1)
			unknown_group_key(v, w->path, ref, g, dot + 1);
		else if (!dot && (ref->kind == TEMPLATE_REF_VARIABLE ||
				  ref->kind == TEMPLATE_REF_UNESCAPED) && w->pass == 1)
			diag_add(v->diags, DIAG_ERROR, w->path, ref->line, ref->col,
				 "'%s' is a group of values: use %s.%s", ref->name, ref->name,
				 g->keys[1]);
		return 0;
	}
	if (ref->section && ref->depth > 0) {
		const struct render_group *sg = render_group_find(ref->section, strlen(ref->section));
		if (sg && in_list(sg->keys, ref->name))
			return 0;
	}
	if (!strcmp(ref->name, "unsubscribe_url"))
		return 0;
	head = xstrndup(ref->name, head_len);
	if (w->pass == 0) {
		if (!is_builtin(head))
			add_field_use(w->cc, head, w->path, ref->line, ref->col);
		if (w->is_subject && !w->cc->subject_uses_fields) {
			w->cc->subject_uses_fields = 1;
			w->cc->subject_line = ref->line;
			w->cc->subject_col = ref->col;
		}
	} else if (c->type >= 0 && !is_builtin(head) && !strmap_get(&v->fields[c->type], head)) {
		const char *names[256];
		size_t n = 0, i;
		const char *hint;

		for (i = 0; i < v->fields[c->type].cap && n < 256; i++) {
			if (v->fields[c->type].slots[i].key)
				names[n++] = v->fields[c->type].slots[i].key;
		}
		hint = suggest_closest(head, names, n);
		if (hint)
			diag_add(v->diags, DIAG_ERROR, w->path, ref->line, ref->col,
				 "unknown variable '%s': no %s record has it (did you mean '%s'?)",
				 ref->name, recipient_type_name((enum recipient_type)c->type), hint);
		else
			diag_add(v->diags, DIAG_ERROR, w->path, ref->line, ref->col,
				 "unknown variable '%s': no %s record has it", ref->name,
				 recipient_type_name((enum recipient_type)c->type));
	} else if (w->html && ref->kind == TEMPLATE_REF_UNESCAPED && strcmp(head, "unsubscribe_url")) {
		diag_add(v->diags, DIAG_ERROR, w->path, ref->line, ref->col,
			 "recipient data is always escaped in HTML: write {{%s}}, not an unescaped tag",
			 ref->name);
	}
	free(head);
	return 0;
}

static void walk_refs(struct validation *v, struct campaign_check *cc, int pass)
{
	struct ref_walk w = { v, cc, NULL, 0, 0, pass };
	struct newsletter *nl = cc->newsletter;

	if (nl) {
		w.path = nl->path;
		w.is_subject = 1;
		template_foreach_ref(nl->subject, check_ref, &w);
		w.is_subject = 0;
		if (nl->preheader)
			template_foreach_ref(nl->preheader, check_ref, &w);
		w.html = 1;
		template_foreach_ref(nl->body, check_ref, &w);
	}
	if (cc->signature) {
		char *path = xasprintf("templates/signatures/%s.md", cc->campaign->owner);
		w.path = path;
		w.html = 1;
		template_foreach_ref(cc->signature, check_ref, &w);
		free(path);
	}
}

static void prepare_campaign(struct validation *v, struct campaign_check *cc)
{
	struct campaign *c = cc->campaign;
	struct strmap_entry *e;
	size_t i;
	int added;

	for (i = 0; c->owner && i < v->cfg.naccounts; i++) {
		const struct account *a = &v->cfg.accounts[i];
		if (!a->owner || strcmp(a->owner, c->owner) || !a->enabled)
			continue;
		cc->usable_accounts++;
		if (a->main)
			cc->main_accounts++;
		else
			cc->other_accounts++;
	}
	if (c->template && c->valid) {
		e = strmap_put(&v->newsletters, c->template, &added);
		if (added) {
			struct newsletter *nl = NULL;
			newsletter_load(&nl, v->root, c->template, v->diags);
			e->value = nl;
		}
		cc->newsletter = e->value;
	}
	if (c->owner && config_person(&v->cfg, c->owner))
		cc->signature_failed = signature_load(&cc->signature, &cc->signature_source, v->root,
						      c->owner, v->diags) < 0;
	walk_refs(v, cc, 0);
}

/* Templates no valid campaign uses are still checked on their own: front
 * matter and mustache syntax; so is the layout. */
static void check_other_templates(struct validation *v)
{
	struct template *layout = NULL, *why[RTYPE_COUNT];
	char **names = NULL;
	int n, i;

	n = content_list(&names, v->root, "templates", ".md", 0);
	if (n == CONTENT_REFUSED)
		content_diag(v->diags);
	else if (n < 0)
		diag_add(v->diags, DIAG_ERROR, "templates", 0, 0, "%s", error_last());
	if (n < 0)
		n = 0;
	for (i = 0; i < n; i++) {
		struct strmap_entry *e;
		int added;

		names[i][strlen(names[i]) - 3] = '\0';
		e = strmap_put(&v->newsletters, names[i], &added);
		if (added) {
			struct newsletter *nl = NULL;
			newsletter_load(&nl, v->root, names[i], v->diags);
			e->value = nl;
		}
	}
	free_list(names, (size_t)n);
	if (layout_load(&layout, v->root, v->diags) == 0)
		template_free(layout);
	if (footer_load(why, v->root, v->cfg.language, v->diags) == 0)
		for (i = 0; i < RTYPE_COUNT; i++)
			template_free(why[i]);
}

/* The record as a template context, as a subject sees it. */
static void fill_context(struct validation *v, const struct campaign *c,
			 const struct recipient *r)
{
	tvalue_free(v->context);
	v->context = tvalue_map();
	recipient_context(v->context, r);
	render_context_groups(v->context, &v->cfg, c);
}

static int blank(const char *s)
{
	for (; *s; s++) {
		if (*s != ' ' && *s != '\t')
			return 0;
	}
	return 1;
}

/* A recipient field with a line break must not reach a header: the
 * rendered text in v->scratch is one line, or an error at the record. */
static void one_line(struct validation *v, const struct campaign_check *cc,
		     const struct recipient *r, const char *what)
{
	if (!strpbrk(v->scratch.ptr, "\r\n"))
		return;
	diag_add(v->diags, DIAG_ERROR, r->doc->path, r->node->line, r->node->col,
		 "recipient '%s': a field with a line break reaches the %s of campaign '%s'",
		 r->id, what, cc->campaign->id);
}

/* Whether campaign ci selected the address of e before; if not, records
 * that it does now. */
static int address_taken(struct validation *v, struct strmap_entry *e, size_t ci)
{
	uint32_t i;

	for (i = (uint32_t)(uintptr_t)e->value; i; i = v->taken[i - 1].next) {
		if (v->taken[i - 1].campaign == ci)
			return 1;
	}
	XGROW(v->taken, v->taken_cap, v->ntaken + 1);
	v->taken[v->ntaken].campaign = (uint32_t)ci;
	v->taken[v->ntaken].next = (uint32_t)(uintptr_t)e->value;
	e->value = (void *)(uintptr_t)++v->ntaken;
	return 0;
}

/* An address campaign ci selected: counted against the first active
 * campaign with the same template that selected it (the oldest entry of
 * its list with that template), when that is another one. */
static void count_overlap(struct validation *v, size_t ci, const struct strmap_entry *e)
{
	int tid = v->checks[ci].template_id;
	size_t first = ci;
	uint32_t i;

	if (tid < 0)
		return;
	for (i = (uint32_t)(uintptr_t)e->value; i; i = v->taken[i - 1].next) {
		if (v->checks[v->taken[i - 1].campaign].template_id == tid)
			first = v->taken[i - 1].campaign;
	}
	if (first != ci)
		v->overlap[ci][first]++;
}

/* Active campaigns with a template get the template's number (overlaps
 * count between them); the others -1. */
static void assign_template_ids(struct validation *v)
{
	struct strmap ids = STRMAP_INIT;
	struct strmap_entry *e;
	size_t i;
	int added;

	for (i = 0; i < v->campaigns.count; i++) {
		const struct campaign *c = v->checks[i].campaign;

		v->checks[i].template_id = -1;
		if (c->status != CAMPAIGN_ACTIVE || !c->template)
			continue;
		e = strmap_put(&ids, c->template, &added);
		if (added)
			e->value = (void *)(uintptr_t)ids.count;
		v->checks[i].template_id = (int)(uintptr_t)e->value;
	}
	strmap_release(&ids, NULL);
}

/* A record of an erased person: the plan suppresses the address, but an
 * erasure means the data goes (mailout forget removes it). */
static void check_erased(struct validation *v, const struct recipient *r)
{
	int line = erasures_line(&v->erasures, r->address);

	if (line)
		ydiag(v->diags, r->doc, ynode_get(r->node, "email"), DIAG_WARNING,
		      "this address was erased (%s line %d): the plan suppresses it, but the data should not be here",
		      SUPPRESSIONS_FILE, line);
}

static void on_record(const struct recipient *r, void *payload)
{
	struct validation *v = payload;
	struct strmap_entry *seen = NULL;
	size_t i, j;

	v->records++;
	if (v->erasures.by_hash.count)
		check_erased(v, r);
	for (i = 0; i < r->node->count; i++)
		strmap_put(&v->fields[r->type], r->node->items[2 * i]->value, NULL);
	for (i = 0; i < v->campaigns.count; i++) {
		struct campaign_check *cc = &v->checks[i];

		if (!cc->campaign->valid || !campaign_selects(cc->campaign, r))
			continue;
		if (!seen)
			seen = strmap_put(&v->addresses, r->address, NULL);
		if (address_taken(v, seen, i))
			continue;
		cc->selected++;
		if (r->vip)
			cc->vip++;
		else
			cc->non_vip++;
		for (j = 0; j < cc->nfields; j++) {
			if (ynode_is_null(ynode_get(r->node, cc->fields[j].name)))
				cc->fields[j].missing++;
		}
		/* a subject without recipient fields is the same for all: render it once */
		if (cc->newsletter && (cc->subject_uses_fields || cc->selected == 1)) {
			fill_context(v, cc->campaign, r);
			buf_reset(&v->scratch);
			template_render(&v->scratch, cc->newsletter->subject, v->context, TEMPLATE_TEXT);
			if (blank(v->scratch.ptr)) {
				if (!cc->empty_subject++)
					cc->empty_subject_example = xstrdup(r->id);
			}
			one_line(v, cc, r, "Subject header");
			if (cc->newsletter->preheader) {
				buf_reset(&v->scratch);
				template_render(&v->scratch, cc->newsletter->preheader, v->context,
						TEMPLATE_TEXT);
				one_line(v, cc, r, "preheader");
			}
		}
		count_overlap(v, i, seen);
	}
}

/* Every record file, parsed on the reader's threads and checked here in
 * file order: type by type, the files of a type sorted. */
static void scan_recipients(struct validation *v)
{
	struct recipient_source *sources = NULL;
	struct recipient_reader *rd;
	struct recipient_scan scan;
	char **files[RTYPE_COUNT];
	int counts[RTYPE_COUNT], t, i;
	size_t n = 0, cap = 0, at = 0;

	for (t = 0; t < RTYPE_COUNT; t++) {
		counts[t] = recipients_files(&files[t], v->root, (enum recipient_type)t);
		if (counts[t] == CONTENT_REFUSED)
			content_diag(v->diags);
		else if (counts[t] < 0)
			diag_add(v->diags, DIAG_ERROR, "recipients", 0, 0, "%s", error_last());
		if (counts[t] < 0)
			counts[t] = 0;
		for (i = 0; i < counts[t]; i++) {
			XGROW(sources, cap, n + 1);
			sources[n].path = files[t][i];
			sources[n++].type = (enum recipient_type)t;
		}
	}
	rd = recipient_reader_start(v->root, &v->cfg, sources, n, 0);
	for (t = 0; t < RTYPE_COUNT; t++) {
		recipient_scan_init(&scan);
		for (i = 0; i < counts[t]; i++)
			recipient_reader_scan(rd, at++, &scan, on_record, v, v->diags);
		recipient_scan_release(&scan);
	}
	recipient_reader_free(rd);
	for (t = 0; t < RTYPE_COUNT; t++)
		free_list(files[t], (size_t)counts[t]);
	free(sources);
}

static void finish_campaign(struct validation *v, size_t ci)
{
	struct campaign_check *cc = &v->checks[ci];
	struct campaign *c = cc->campaign;
	const char *type = c->type >= 0 ? recipient_type_name((enum recipient_type)c->type) : "?";
	size_t i;

	if (!c->valid)
		return;
	walk_refs(v, cc, 1);
	if (c->status == CAMPAIGN_MERGED)
		return;
	if (!cc->usable_accounts)
		diag_add(v->diags, DIAG_ERROR, c->path, c->owner_pos.line, c->owner_pos.col,
			 "owner '%s' has no enabled sending account in %s", c->owner, CONFIG_FILE);
	else if (cc->non_vip && !cc->other_accounts)
		diag_add(v->diags, DIAG_ERROR, c->path, c->owner_pos.line, c->owner_pos.col,
			 "owner '%s' has only main accounts, which send to VIP recipients only, but the campaign selects %zu non-VIP recipients: add a non-main account for '%s' or set vip_only: true",
			 c->owner, cc->non_vip, c->owner);
	if (!cc->signature && !cc->signature_failed)
		diag_add(v->diags, DIAG_WARNING, c->path, c->owner_pos.line, c->owner_pos.col,
			 "owner '%s' has no signature (templates/signatures/%s.md is recommended)",
			 c->owner, c->owner);
	if (!cc->selected) {
		diag_add(v->diags, DIAG_WARNING, c->path, c->pos.line, c->pos.col,
			 "the campaign selects no recipients (%s of '%s'%s%s)", type, c->owner,
			 c->segment ? " in segment " : c->has_filter ? " matching the filter" : "",
			 c->segment ? c->segment : "");
		return;
	}
	for (i = 0; i < cc->nfields; i++) {
		const struct field_use *f = &cc->fields[i];
		if (f->missing && f->missing < cc->selected && strmap_get(&v->fields[c->type], f->name))
			diag_add(v->diags, DIAG_WARNING, f->path, f->line, f->col,
				 "variable '%s' is missing for %zu of %zu recipients of campaign '%s' (it renders empty)",
				 f->name, f->missing, cc->selected, c->id);
	}
	if (cc->empty_subject && cc->newsletter) {
		size_t empty = cc->subject_uses_fields ? cc->empty_subject : cc->selected;
		diag_add(v->diags, DIAG_ERROR, cc->newsletter->path,
			 cc->subject_uses_fields ? cc->subject_line : cc->newsletter->subject_line,
			 cc->subject_uses_fields ? cc->subject_col : cc->newsletter->subject_col,
			 "the subject is empty for %zu recipient%s of campaign '%s' (for example '%s')",
			 empty, empty == 1 ? "" : "s", c->id, cc->empty_subject_example);
	}
	for (i = 0; i < ci; i++) {
		if (v->overlap[ci][i])
			diag_add(v->diags, DIAG_WARNING, c->path, c->template_pos.line,
				 c->template_pos.col,
				 "%zu recipients are also selected by active campaign '%s' with the same template '%s': they get it once; consider 'mailout merge %s %s --into ...'",
				 v->overlap[ci][i], v->checks[i].campaign->id, c->template,
				 v->checks[i].campaign->id, c->id);
	}
}

static void release_check(struct campaign_check *cc)
{
	size_t i;

	for (i = 0; i < cc->nfields; i++) {
		free(cc->fields[i].name);
		free(cc->fields[i].path);
	}
	free(cc->fields);
	template_free(cc->signature);
	free(cc->signature_source);
	free(cc->empty_subject_example);
}

static void free_newsletter(void *p)
{
	newsletter_free(p);
}

/* Without the one-click endpoint, unsubscribing takes an e-mail. */
static void check_one_click(struct validation *v)
{
	if (v->cfg.one_click_url || !v->cfg.unsubscribe_address || !v->cfg.unsubscribe_pos.line)
		return;
	diag_add(v->diags, DIAG_WARNING, CONFIG_FILE, v->cfg.unsubscribe_pos.line, v->cfg.unsubscribe_pos.col,
		 "no 'one_click_url': recipients must send an e-mail to unsubscribe "
		 "(give the https URL of `mailout serve`)");
}

/* With privacy.hash_suppressions, addresses should not stay in the file. */
static void check_plain_suppressions(struct validation *v)
{
	if (!v->cfg.hash_suppressions || !v->suppressions.plain)
		return;
	diag_add(v->diags, DIAG_WARNING, SUPPRESSIONS_FILE, v->suppressions.first_plain, 1,
		 "%zu line%s hold%s an address, not its hash, while privacy.hash_suppressions is true "
		 "(run mailout suppressions hash)",
		 v->suppressions.plain, v->suppressions.plain == 1 ? "" : "s",
		 v->suppressions.plain == 1 ? "s" : "");
}

int validate_repo(const char *root, struct diag_list *diags, struct validate_summary *summary)
{
	struct validation v;
	size_t i;
	int t, ret = -1;

	memset(&v, 0, sizeof(v));
	v.root = root;
	v.diags = diags;
	buf_init(&v.scratch, 0);
	if (config_load(&v.cfg, root, diags) < 0)
		goto done;
	check_one_click(&v);
	segments_load(&v.segments, root, diags);
	suppressions_load(&v.suppressions, root, diags);
	check_plain_suppressions(&v);
	if (erasures_load(&v.erasures, root) < 0)
		diag_add(diags, DIAG_ERROR, SUPPRESSIONS_FILE, 0, 0, "%s", error_last());
	if (campaigns_load(&v.campaigns, root, &v.cfg, &v.segments, diags) < 0) {
		diag_add(diags, DIAG_ERROR, "campaigns", 0, 0, "%s", error_last());
		goto done;
	}
	v.checks = xcalloc(v.campaigns.count + 1, sizeof(*v.checks));
	v.overlap = xcalloc(v.campaigns.count + 1, sizeof(*v.overlap));
	for (i = 0; i < v.campaigns.count; i++) {
		v.overlap[i] = xcalloc(v.campaigns.count + 1, sizeof(size_t));
		v.checks[i].campaign = &v.campaigns.items[i];
		prepare_campaign(&v, &v.checks[i]);
	}
	assign_template_ids(&v);
	check_other_templates(&v);
	scan_recipients(&v);
	for (i = 0; i < v.campaigns.count; i++)
		finish_campaign(&v, i);
	if (summary) {
		summary->campaigns = v.campaigns.count;
		summary->recipients = v.records;
	}
	ret = 0;
done:
	for (i = 0; v.checks && i < v.campaigns.count; i++) {
		release_check(&v.checks[i]);
		free(v.overlap[i]);
	}
	free(v.checks);
	free(v.overlap);
	strmap_release(&v.newsletters, free_newsletter);
	strmap_release(&v.addresses, NULL);
	free(v.taken);
	for (t = 0; t < RTYPE_COUNT; t++)
		strmap_release(&v.fields[t], NULL);
	tvalue_free(v.context);
	buf_release(&v.scratch);
	campaigns_release(&v.campaigns);
	suppressions_release(&v.suppressions);
	erasures_release(&v.erasures);
	segments_release(&v.segments);
	config_release(&v.cfg);
	return ret;
}
