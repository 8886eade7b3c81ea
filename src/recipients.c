#include "recipients.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "addrhash.h"
#include "buf.h"
#include "gitrepo.h"
#include "safefile.h"
#include "schedule.h"
#include "template.h"
#include "text.h"
#include "xalloc.h"

static const char *const type_names[RTYPE_COUNT] = { "contacts", "companies", "leads" };

const char *recipient_type_name(enum recipient_type t)
{
	return (unsigned)t < RTYPE_COUNT ? type_names[t] : "?";
}

int recipient_type_parse(const char *s)
{
	int i;

	for (i = 0; i < RTYPE_COUNT; i++) {
		if (!strcmp(s, type_names[i]))
			return i;
	}
	return -1;
}

int filter_parse(struct filter *out, const struct ydoc *doc, const struct ynode *map,
		 struct diag_list *diags)
{
	size_t i, j;
	int bad = 0;

	memset(out, 0, sizeof(*out));
	if (ynode_expect(doc, map, YNODE_MAP, "a filter", diags) < 0)
		return -1;
	if (!map->count) {
		ydiag(diags, doc, map, DIAG_ERROR, "a filter needs at least one field");
		return -1;
	}
	out->terms = xcalloc(map->count, sizeof(*out->terms));
	for (i = 0; i < map->count; i++) {
		const struct ynode *k = map->items[2 * i], *v = map->items[2 * i + 1];
		struct filter_term *t;

		if (!text_is_snake_case(k->value)) {
			ydiag(diags, doc, k, DIAG_ERROR, "invalid field name '%s' in filter", k->value);
			bad = 1;
			continue;
		}
		if (v->kind == YNODE_MAP || (v->kind == YNODE_SEQ && !v->count) || ynode_is_null(v)) {
			ydiag(diags, doc, v, DIAG_ERROR,
			      "filter field '%s' needs a value or a list of values", k->value);
			bad = 1;
			continue;
		}
		t = &out->terms[out->count++];
		t->field = xstrdup(k->value);
		if (v->kind == YNODE_SCALAR) {
			t->values = xcalloc(1, sizeof(char *));
			t->values[t->nvalues++] = xstrdup(v->value);
			continue;
		}
		t->values = xcalloc(v->count, sizeof(char *));
		for (j = 0; j < v->count; j++) {
			if (v->items[j]->kind != YNODE_SCALAR) {
				ydiag(diags, doc, v->items[j], DIAG_ERROR,
				      "filter values must be plain values");
				bad = 1;
				continue;
			}
			t->values[t->nvalues++] = xstrdup(v->items[j]->value);
		}
	}
	if (bad) {
		filter_release(out);
		return -1;
	}
	return 0;
}

void filter_release(struct filter *f)
{
	size_t i, j;

	for (i = 0; i < f->count; i++) {
		for (j = 0; j < f->terms[i].nvalues; j++)
			free(f->terms[i].values[j]);
		free(f->terms[i].values);
		free(f->terms[i].field);
	}
	free(f->terms);
	memset(f, 0, sizeof(*f));
}

const char *recipient_field(const struct recipient *r, const char *field)
{
	const struct ynode *n = ynode_get(r->node, field);

	return n && n->kind == YNODE_SCALAR ? n->value : NULL;
}

static int term_has(const struct filter_term *t, const char *value)
{
	size_t i;

	for (i = 0; i < t->nvalues; i++) {
		if (!strcmp(t->values[i], value))
			return 1;
	}
	return 0;
}

int filter_match(const struct filter *f, const struct recipient *r)
{
	size_t i, j;

	for (i = 0; i < f->count; i++) {
		const struct filter_term *t = &f->terms[i];
		const struct ynode *n = ynode_get(r->node, t->field);
		int hit = 0;

		if (!strcmp(t->field, "vip")) {
			hit = term_has(t, r->vip ? "true" : "false");
		} else if (!n) {
			hit = 0;
		} else if (n->kind == YNODE_SCALAR) {
			hit = term_has(t, n->value);
		} else if (n->kind == YNODE_SEQ) {
			for (j = 0; j < n->count && !hit; j++)
				hit = n->items[j]->kind == YNODE_SCALAR && term_has(t, n->items[j]->value);
		}
		if (!hit)
			return 0;
	}
	return 1;
}

void recipient_scan_init(struct recipient_scan *s)
{
	memset(s, 0, sizeof(*s));
}

void recipient_scan_release(struct recipient_scan *s)
{
	strmap_release(&s->ids, NULL);
	strmap_release(&s->addresses, NULL);
	free_list(s->paths, s->npaths);
	memset(s, 0, sizeof(*s));
}

/* A first occurrence: file index and line packed in the map's value. */
static void *pack_location(size_t file, int line)
{
	return (void *)(uintptr_t)(((uint64_t)file << 32) | (uint32_t)line);
}

static void describe_location(struct buf *b, const struct recipient_scan *s, void *v,
			      const char *path)
{
	uint64_t x = (uint64_t)(uintptr_t)v;
	size_t file = (size_t)(x >> 32);
	int line = (int)(x & 0xffffffffu);

	if (!strcmp(s->paths[file], path))
		buf_addf(b, "line %d", line);
	else
		buf_addf(b, "%s:%d", s->paths[file], line);
}

/* The fields every record has (vip is optional), in CORE_* order. */
enum { CORE_ID, CORE_EMAIL, CORE_OWNER, CORE_VIP, CORE_COUNT };
static const struct {
	const char *name;
	size_t len;
} core_fields[CORE_COUNT] = { { "id", 2 }, { "email", 5 }, { "owner", 5 }, { "vip", 3 } };

/* The values of the core fields (NULL when absent) in one pass over the
 * keys: for each, what ynode_get() gives. */
static void core_values(const struct ynode *m, const struct ynode *out[CORE_COUNT])
{
	size_t i, j;

	for (j = 0; j < CORE_COUNT; j++)
		out[j] = NULL;
	for (i = 0; i < m->count; i++) {
		const struct ynode *k = m->items[2 * i];

		for (j = 0; j < CORE_COUNT; j++) {
			if (!out[j] && k->len == core_fields[j].len &&
			    !memcmp(k->value, core_fields[j].name, k->len)) {
				out[j] = m->items[2 * i + 1];
				break;
			}
		}
	}
}

/* id, email and owner are there, each a value; -1 after reporting what is
 * not. */
static int check_core(const struct ydoc *doc, const struct ynode *m,
		      const struct ynode *const core[CORE_COUNT], struct diag_list *diags)
{
	const struct ynode *n;
	size_t i;
	int ret = 0;

	for (i = CORE_ID; i <= CORE_OWNER; i++) {
		n = core[i];
		if (ynode_is_null(n) || n->kind != YNODE_SCALAR) {
			if (n)
				ydiag(diags, doc, n, DIAG_ERROR, "'%s' must be a value", core_fields[i].name);
			else
				ydiag(diags, doc, m, DIAG_ERROR, "missing required key '%s' in recipient",
				      core_fields[i].name);
			ret = -1;
		}
	}
	return ret;
}

/* The first control character of s[0..len) that no field may hold (every
 * C0 control but TAB, LF and the CR of a CRLF), or -1. */
static int field_control(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c >= 0x20 || c == '\t' || c == '\n' || (c == '\r' && i + 1 < len && s[i + 1] == '\n'))
			continue;
		return c;
	}
	return -1;
}

/* Whether the To header's display name is made of field `name`. */
static int names_recipient(enum recipient_type type, const char *name)
{
	if (type == RTYPE_COMPANIES)
		return !strcmp(name, "full_name");
	return !strcmp(name, "first_name") || !strcmp(name, "last_name");
}

/* One value of field k: no control character, and no line break where
 * the To header uses it (the subject and preheader: validate). */
static int check_value(const struct ydoc *doc, const struct ynode *k, const struct ynode *v,
		       enum recipient_type type, struct diag_list *diags)
{
	/* id, email and owner have stricter checks of their own */
	int core = !strcmp(k->value, "id") || !strcmp(k->value, "email") || !strcmp(k->value, "owner");
	int c = core ? -1 : field_control(v->value, v->len);

	if (c >= 0) {
		ydiag(diags, doc, v, DIAG_ERROR,
		      "field '%s' holds the control character \\x%02x, which a message cannot carry",
		      k->value, (unsigned)c);
		return -1;
	}
	if (names_recipient(type, k->value) && memchr(v->value, '\n', v->len)) {
		ydiag(diags, doc, v, DIAG_ERROR,
		      "field '%s' holds a line break, which the To header cannot carry", k->value);
		return -1;
	}
	return 0;
}

/* Field k: a snake_case name, and a value or a list of values that a
 * message can carry. */
static int check_field(const struct ydoc *doc, const struct ynode *k, const struct ynode *v,
		       enum recipient_type type, struct diag_list *diags)
{
	size_t j;
	int ret = 0;

	if (ykey_is_secret(k->value))
		return 0; /* reported by ydoc_check_secrets */
	if (!text_is_snake_case(k->value)) {
		ydiag(diags, doc, k, DIAG_ERROR,
		      "invalid field name '%s': use lower-case snake_case", k->value);
		return -1;
	}
	if (v->kind == YNODE_MAP) {
		ydiag(diags, doc, v, DIAG_ERROR,
		      "field '%s' must be a value or a list of values", k->value);
		return -1;
	}
	if (v->kind == YNODE_SCALAR && check_value(doc, k, v, type, diags) < 0)
		ret = -1;
	for (j = 0; v->kind == YNODE_SEQ && j < v->count; j++) {
		const struct ynode *it = v->items[j];
		if (it->kind != YNODE_SCALAR) {
			ydiag(diags, doc, it, DIAG_ERROR,
			      "field '%s' must be a list of plain values", k->value);
			ret = -1;
		} else if (check_value(doc, k, it, type, diags) < 0) {
			ret = -1;
		}
	}
	return ret;
}

/* The record's core values into r, each checked: vip a boolean, a valid id
 * and address, an owner of the configuration (when there is one). */
static int record_core(struct recipient *r, const struct ydoc *doc, const struct ynode *m,
		       const struct ynode *const core[CORE_COUNT], const struct config *cfg,
		       struct diag_list *diags)
{
	const char *why;
	int ret = 0;

	r->node = m;
	r->doc = doc;
	r->line = m->line;
	r->id = core[CORE_ID]->value;
	r->email = core[CORE_EMAIL]->value;
	r->owner = core[CORE_OWNER]->value;
	r->vip = 0;
	if (core[CORE_VIP] && ynode_bool(doc, core[CORE_VIP], &r->vip, diags) < 0)
		ret = -1;
	if (id_check(r->id) < 0) {
		ydiag(diags, doc, core[CORE_ID], DIAG_ERROR,
		      "invalid id '%s': use letters, digits, '.', '_' and '-' (at most 64)", r->id);
		ret = -1;
	}
	if (address_check(r->email, &why) < 0) {
		ydiag(diags, doc, core[CORE_EMAIL], DIAG_ERROR, "invalid address '%s': %s",
		      r->email, why);
		ret = -1;
	}
	if (cfg && !config_person(cfg, r->owner)) {
		ydiag(diags, doc, core[CORE_OWNER], DIAG_ERROR, "unknown owner '%s'", r->owner);
		ret = -1;
	}
	return ret;
}

/* Records where the id first appeared; -1 after reporting a duplicate. */
static int note_id(struct recipient_scan *s, const struct recipient *r, const struct ydoc *doc,
		   const struct ynode *id, struct diag_list *diags)
{
	struct buf where = BUF_INIT;
	struct strmap_entry *e;
	int added, ret = 0;

	e = strmap_put(&s->ids, r->id, &added);
	if (!added) {
		describe_location(&where, s, e->value, doc->path);
		ydiag(diags, doc, id, DIAG_ERROR,
		      "duplicate %s id '%s' (first at %s)", recipient_type_name(r->type), r->id,
		      where.ptr);
		ret = -1;
	} else {
		e->value = pack_location(s->npaths - 1, r->line);
	}
	buf_release(&where);
	return ret;
}

/* r->address: the address in lower case, interned in s; a duplicate is
 * warned about (it is mailed once). */
static void note_address(struct recipient_scan *s, struct recipient *r, const struct ydoc *doc,
			 const struct ynode *email, struct diag_list *diags)
{
	struct buf where = BUF_INIT;
	struct strmap_entry *e;
	char lower[256], *address, *heap = NULL;
	size_t len = strlen(r->email);
	int added;

	/* a valid address fits the buffer (at most 254 characters) */
	address = len < sizeof(lower) ? memcpy(lower, r->email, len + 1) : (heap = xstrdup(r->email));
	str_lower(address);
	e = strmap_put(&s->addresses, address, &added);
	if (!added) {
		describe_location(&where, s, e->value, doc->path);
		ydiag(diags, doc, email, DIAG_WARNING,
		      "duplicate address '%s' in %s (first at %s); it is mailed once", r->email,
		      recipient_type_name(r->type), where.ptr);
	} else {
		e->value = pack_location(s->npaths - 1, r->line);
	}
	r->address = e->key;
	buf_release(&where);
	free(heap);
}

/* What a scan keeps of a record checked on its own. */
struct recipient_checked {
	struct recipient r;
	const struct ynode *id, *email; /* where duplicates are reported */
	size_t diags_end; /* the record's diagnostics end there in the file's */
	int usable;
};

/* Checks one record on its own; returns 0 when it is usable.  Every problem
 * of the record's shape is reported, then those of its values. */
static int check_record(struct recipient_checked *rc, const struct ydoc *doc, const struct ynode *m,
			const struct config *cfg, struct diag_list *diags)
{
	const struct ynode *core[CORE_COUNT];
	size_t i;
	int ok;

	if (ynode_expect(doc, m, YNODE_MAP, "a recipient record", diags) < 0)
		return -1;
	core_values(m, core);
	ok = check_core(doc, m, core, diags) == 0;
	for (i = 0; i < m->count; i++) {
		if (check_field(doc, m->items[2 * i], m->items[2 * i + 1], rc->r.type, diags) < 0)
			ok = 0;
	}
	if (!ok || record_core(&rc->r, doc, m, core, cfg, diags) < 0)
		return -1;
	rc->id = core[CORE_ID];
	rc->email = core[CORE_EMAIL];
	return 0;
}

/* The checks against the files before (ids and addresses seen), which s
 * holds; 0 when the record stays usable. */
static int scan_record(struct recipient_scan *s, struct recipient_checked *rc,
		       const struct ydoc *doc, struct diag_list *diags)
{
	if (note_id(s, &rc->r, doc, rc->id, diags) < 0)
		return -1;
	note_address(s, &rc->r, doc, rc->email, diags);
	return 0;
}

/* Points each record at its fields in out->encoded, written one after the
 * other. */
static void encoded_fields_place(struct recipient_file *out)
{
	size_t i, at = 0;

	if (!(out->flags & RECIPIENT_FILE_ENCODE))
		return;
	for (i = 0; i < out->count; i++) {
		struct recipient_checked *rc = &out->records[i];

		if (!rc->usable)
			continue;
		rc->r.fields = out->encoded.ptr + at;
		at += rc->r.fields_len;
	}
}

static void file_check(struct recipient_file *out, const struct ydoc *doc,
		       enum recipient_type type, const struct config *cfg)
{
	struct recipient_scan *alone = out->alone;
	size_t i;

	out->doc = doc;
	out->type = type;
	if (alone) {
		XGROW(alone->paths, alone->paths_cap, alone->npaths + 1);
		alone->paths[alone->npaths++] = xstrdup(doc->path);
	}
	ydoc_check_secrets(doc, &out->diags);
	if (!doc->root || ynode_expect(doc, doc->root, YNODE_SEQ, "a recipient file", &out->diags) < 0) {
		out->head = out->diags.count;
		return;
	}
	out->head = out->diags.count;
	out->records = xcalloc(doc->root->count ? doc->root->count : 1, sizeof(*out->records));
	for (i = 0; i < doc->root->count; i++) {
		struct recipient_checked *rc = &out->records[out->count++];

		rc->r.type = type;
		rc->r.path = doc->path;
		rc->usable = check_record(rc, doc, doc->root->items[i], cfg, &out->diags) == 0 &&
			     (!alone || scan_record(alone, rc, doc, &out->diags) == 0);
		rc->diags_end = out->diags.count;
		if (rc->usable && (out->flags & RECIPIENT_FILE_ENCODE)) {
			/* an offset until the buffer stops moving */
			rc->r.fields_len = out->encoded.len;
			recipient_encode_fields(&out->encoded, rc->r.node);
			rc->r.fields_len = out->encoded.len - rc->r.fields_len;
		}
	}
	encoded_fields_place(out);
}

void recipient_file_check(struct recipient_file *out, const struct ydoc *doc,
			  enum recipient_type type, const struct config *cfg)
{
	file_check(out, doc, type, cfg);
}

int recipient_file_parse(struct recipient_file *out, const char *root, const char *path,
			 enum recipient_type type, const struct config *cfg, unsigned flags)
{
	struct buf text = BUF_INIT;
	int ret = -1;

	memset(out, 0, sizeof(*out));
	out->type = type;
	out->flags = flags;
	buf_init(&out->encoded, 0);
	if (flags & RECIPIENT_FILE_ALONE) {
		out->alone = xmalloc(sizeof(*out->alone));
		recipient_scan_init(out->alone);
	}
	if (ydoc_read_file(&text, root, path, &out->diags) == 0) {
		if (flags & RECIPIENT_FILE_BLOB)
			gitrepo_blob_id(out->blob, text.ptr, text.len);
		ret = ydoc_parse(&out->owned, path, text.ptr, text.len, 0, &out->diags);
	}
	buf_release(&text);
	if (ret < 0) {
		out->head = out->diags.count;
		return -1;
	}
	file_check(out, out->owned, type, cfg);
	return 0;
}

void recipient_file_release(struct recipient_file *f)
{
	diag_release(&f->diags);
	buf_release(&f->encoded);
	free(f->records);
	ydoc_free(f->owned);
	if (f->alone)
		recipient_scan_release(f->alone);
	free(f->alone);
	memset(f, 0, sizeof(*f));
}

int recipients_scan_parsed(struct recipient_scan *s, struct recipient_file *f, recipient_fn fn,
			   void *payload, struct diag_list *diags)
{
	size_t i, at;

	if (!f->doc) {
		diag_move(diags, &f->diags, 0, f->diags.count);
		return -1;
	}
	if (!f->alone) {
		XGROW(s->paths, s->paths_cap, s->npaths + 1);
		s->paths[s->npaths++] = xstrdup(f->doc->path);
	}
	diag_move(diags, &f->diags, 0, f->head);
	at = f->head;
	for (i = 0; i < f->count; i++) {
		struct recipient_checked *rc = &f->records[i];

		diag_move(diags, &f->diags, at, rc->diags_end);
		at = rc->diags_end;
		if (!rc->usable || (!f->alone && scan_record(s, rc, f->doc, diags) < 0))
			continue;
		if (fn)
			fn(&rc->r, payload);
	}
	return 0;
}

int recipients_scan_file(struct recipient_scan *s, const char *root, const char *path,
			 enum recipient_type type, const struct config *cfg, recipient_fn fn,
			 void *payload, struct diag_list *diags)
{
	struct recipient_file f;
	int ret;

	recipient_file_parse(&f, root, path, type, cfg, 0);
	ret = recipients_scan_parsed(s, &f, fn, payload, diags);
	recipient_file_release(&f);
	return ret;
}

void recipients_scan_doc(struct recipient_scan *s, const struct ydoc *doc, enum recipient_type type,
			 const struct config *cfg, recipient_fn fn, void *payload,
			 struct diag_list *diags)
{
	struct recipient_file f;

	memset(&f, 0, sizeof(f));
	recipient_file_check(&f, doc, type, cfg);
	recipients_scan_parsed(s, &f, fn, payload, diags);
	recipient_file_release(&f);
}

int recipients_files(char ***out, const char *root, enum recipient_type type)
{
	struct buf dir = BUF_INIT;
	char **names = NULL;
	int n, i;

	*out = NULL;
	buf_addf(&dir, "recipients/%s", recipient_type_name(type));
	n = content_list(&names, root, dir.ptr, ".yaml", 0);
	buf_release(&dir);
	for (i = 0; i < n; i++) {
		char *rel = xasprintf("recipients/%s/%s", recipient_type_name(type), names[i]);
		free(names[i]);
		names[i] = rel;
	}
	*out = names;
	return n;
}

int segments_load(struct segments *out, const char *root, struct diag_list *diags)
{
	struct ydoc *doc = NULL;
	struct stat st;
	int r;

	memset(out, 0, sizeof(*out));
	r = content_stat(root, SEGMENTS_FILE, &st);
	if (r == CONTENT_REFUSED) {
		content_diag(diags);
		return -1;
	}
	if (r < 0 && errno == ENOENT)
		return 0;
	if (ydoc_load_file(&doc, root, SEGMENTS_FILE, diags) < 0)
		return -1;
	segments_load_doc(out, doc, diags);
	ydoc_free(doc);
	return 0;
}

void segments_load_doc(struct segments *out, const struct ydoc *doc, struct diag_list *diags)
{
	const struct ynode *top = doc->root;
	size_t i;

	memset(out, 0, sizeof(*out));
	if (top && ynode_expect(doc, top, YNODE_MAP, "the segments file", diags) == 0) {
		out->items = xcalloc(top->count ? top->count : 1, sizeof(*out->items));
		for (i = 0; i < top->count; i++) {
			const struct ynode *k = top->items[2 * i];
			struct segment *seg = &out->items[out->count];

			if (id_check(k->value) < 0) {
				ydiag(diags, doc, k, DIAG_ERROR, "invalid segment name '%s'", k->value);
				continue;
			}
			if (filter_parse(&seg->filter, doc, top->items[2 * i + 1], diags) < 0)
				continue;
			seg->name = xstrdup(k->value);
			seg->line = k->line;
			seg->col = k->col;
			out->count++;
		}
	}
}

const struct segment *segments_find(const struct segments *s, const char *name)
{
	size_t i;

	for (i = 0; i < s->count; i++) {
		if (!strcmp(s->items[i].name, name))
			return &s->items[i];
	}
	return NULL;
}

void segments_release(struct segments *s)
{
	size_t i;

	for (i = 0; i < s->count; i++) {
		free(s->items[i].name);
		filter_release(&s->items[i].filter);
	}
	free(s->items);
	memset(s, 0, sizeof(*s));
}

static int is_core_field(const char *k)
{
	size_t i;

	for (i = 0; i < CORE_COUNT; i++) {
		if (k[0] == core_fields[i].name[0] && !strcmp(k, core_fields[i].name))
			return 1;
	}
	return 0;
}

static int plain_bool(const struct ynode *n)
{
	return n->kind == YNODE_SCALAR && n->plain &&
	       (!strcmp(n->value, "true") || !strcmp(n->value, "false"));
}

void recipient_encode_fields(struct buf *b, const struct ynode *map)
{
	size_t i, j;

	for (i = 0; i < map->count; i++) {
		const struct ynode *k = map->items[2 * i], *v = map->items[2 * i + 1];

		if (is_core_field(k->value) || ynode_is_null(v))
			continue;
		buf_add(b, k->value, k->len + 1);
		if (v->kind == YNODE_SEQ) {
			char count[24];
			size_t at = sizeof(count), c = v->count;

			/* "l<count>", written out by hand: this runs for every record */
			count[--at] = '\0';
			do {
				count[--at] = (char)('0' + c % 10);
				c /= 10;
			} while (c);
			count[--at] = 'l';
			buf_add(b, count + at, sizeof(count) - at);
			for (j = 0; j < v->count; j++)
				buf_add(b, v->items[j]->value, v->items[j]->len + 1);
		} else {
			buf_addc(b, plain_bool(v) ? 'b' : 's');
			buf_add(b, v->value, v->len + 1);
		}
	}
}

static struct ynode *decoded_node(struct recipient_fields *f, size_t i, const char *s)
{
	struct ynode *n = &f->nodes[i];

	memset(n, 0, sizeof(*n));
	n->kind = YNODE_SCALAR;
	n->value = s;
	n->len = strlen(s);
	n->plain = 1;
	return n;
}

const struct ynode *recipient_decode_fields(struct recipient_fields *f, const char *blob,
					    size_t len)
{
	const char *p = blob, *end = blob + len;
	size_t nnodes = 0, nitems = 0, nlist = 0, count, i, need = 0;

	/* every part is a node at most: size the arrays first */
	for (i = 0; i < len; i++)
		need += blob[i] == '\0';
	XGROW(f->nodes, f->nodes_cap, need + 1);
	XGROW(f->items, f->items_cap, need + 1);
	XGROW(f->list_items, f->list_items_cap, need + 1);
	memset(&f->map, 0, sizeof(f->map));
	f->map.kind = YNODE_MAP;
	f->map.items = f->items;
	while (p < end) {
		const char *key = p, *kind;
		struct ynode *v;

		p += strlen(p) + 1;
		if (p >= end)
			break;
		kind = p;
		p += strlen(p) + 1;
		f->items[nitems++] = decoded_node(f, nnodes++, key);
		if (*kind == 'l') {
			char *num_end;
			count = strtoul(kind + 1, &num_end, 10);
			v = &f->nodes[nnodes++];
			memset(v, 0, sizeof(*v));
			v->kind = YNODE_SEQ;
			f->items[nitems++] = v;
			v->items = f->list_items + nlist;
			for (i = 0; i < count && p < end; i++) {
				v->items[v->count++] = decoded_node(f, nnodes++, p);
				p += strlen(p) + 1;
			}
			nlist += v->count;
		} else {
			v = decoded_node(f, nnodes++, kind + 1);
			v->plain = *kind == 'b';
			f->items[nitems++] = v;
		}
		f->map.count++;
	}
	return &f->map;
}

void recipient_fields_release(struct recipient_fields *f)
{
	free(f->nodes);
	free(f->items);
	free(f->list_items);
	memset(f, 0, sizeof(*f));
}

void recipient_context(struct tvalue *ctx, const struct recipient *r)
{
	const struct ynode *m = r->node;
	size_t i, j;

	tvalue_map_set(ctx, "id", tvalue_string(r->id));
	tvalue_map_set(ctx, "email", tvalue_string(r->email));
	tvalue_map_set(ctx, "vip", tvalue_bool(r->vip));
	for (i = 0; m && i < m->count; i++) {
		const struct ynode *k = m->items[2 * i], *v = m->items[2 * i + 1];
		struct tvalue *tv;

		if (is_core_field(k->value))
			continue;
		if (v->kind == YNODE_SEQ) {
			tv = tvalue_list();
			for (j = 0; j < v->count; j++)
				tvalue_list_push(tv, tvalue_stringn(v->items[j]->value, v->items[j]->len));
		} else if (plain_bool(v)) {
			tv = tvalue_bool(!strcmp(v->value, "true"));
		} else if (ynode_is_null(v)) {
			tv = tvalue_null();
		} else {
			tv = tvalue_stringn(v->value, v->len);
		}
		tvalue_map_set(ctx, k->value, tv);
	}
}
