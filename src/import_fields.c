#include "import_fields.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "import.h"
#include "text.h"
#include "xalloc.h"

/* ---- YAML values ---- */

/* Characters a YAML scalar cannot hold as they are, or that libyaml takes
 * for line breaks: written as escapes in double quotes. */
static int needs_escape(uint32_t c)
{
	return c < 0x20 || c == 0x7f || (c >= 0x80 && c <= 0x9f) || c == 0x2028 || c == 0x2029 ||
	       c == 0xfeff || c == 0xfffe || c == 0xffff;
}

static int ascii_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* Whether a plain s would read as something else than a string in some
 * YAML version: null, a boolean, a number, a date or time. */
static int looks_typed(const char *s)
{
	const char *p = s;

	if (yscalar_typed_word(s) != YWORD_NONE)
		return 1;
	/* 12, -3, 1e3, 0x1f, 0o17, 1_000, 1:30, .5, 2026-12-01, 2026-12-01T08:00:00Z */
	if (*p == '+' || *p == '-' || *p == '.')
		p++;
	if (!(*p >= '0' && *p <= '9'))
		return 0;
	for (p = s; *p; p++) {
		if (!ascii_alnum(*p) && !strchr("_.:+-", *p))
			return 0;
	}
	return 1;
}

static int needs_quotes(const char *s)
{
	size_t len = strlen(s);
	const char *p = s;

	if (!len || strchr("-?:,[]{}#&*!|>'\"%@` \t", s[0]) || s[len - 1] == ' ' ||
	    s[len - 1] == '\t' || strpbrk(s, ",[]{}#:\"") || looks_typed(s))
		return 1;
	while (*p) {
		if (needs_escape(text_utf8_next(&p)))
			return 1;
	}
	return 0;
}

void import_add_yaml_value(struct buf *b, const char *s)
{
	const char *p = s, *start;
	uint32_t c;

	if (!needs_quotes(s)) {
		buf_adds(b, s);
		return;
	}
	buf_addc(b, '"');
	while (*p) {
		start = p;
		c = text_utf8_next(&p);
		if (c == '"')
			buf_adds(b, "\\\"");
		else if (c == '\\')
			buf_adds(b, "\\\\");
		else if (c == '\t')
			buf_adds(b, "\\t");
		else if (c == '\n')
			buf_adds(b, "\\n");
		else if (c == '\r')
			buf_adds(b, "\\r");
		else if (needs_escape(c))
			buf_addf(b, c < 0x100 ? "\\x%02x" : "\\u%04x", (unsigned)c);
		else
			buf_add(b, start, (size_t)(p - start));
	}
	buf_addc(b, '"');
}

/* ---- records as sets of fields, for writing and comparing ---- */

struct field *fieldset_add(struct fieldset *fs, const char *key, char kind,
				  const char *value)
{
	struct field *f;

	XGROW(fs->fields, fs->cap, fs->count + 1);
	f = &fs->fields[fs->count++];
	f->key = key;
	f->kind = kind;
	f->value = value;
	f->first = fs->nitems;
	f->count = 0;
	return f;
}

/* Adds an item to f, the set's last field. */
void fieldset_add_item(struct fieldset *fs, struct field *f, const char *item)
{
	XGROW(fs->items, fs->items_cap, fs->nitems + 1);
	fs->items[fs->nitems++] = item;
	f->count++;
}

void fieldset_reset(struct fieldset *fs)
{
	fs->count = 0;
	fs->nitems = 0;
}

void fieldset_release(struct fieldset *fs)
{
	free(fs->fields);
	free(fs->items);
	memset(fs, 0, sizeof(*fs));
}

/* One record line: "- { id: x, email: y, ... }". */
void fieldset_yaml(struct buf *b, const struct fieldset *fs)
{
	size_t i, j;

	buf_adds(b, "- { ");
	for (i = 0; i < fs->count; i++) {
		const struct field *f = &fs->fields[i];

		buf_addf(b, "%s%s: ", i ? ", " : "", f->key);
		if (f->kind == 'l') {
			buf_addc(b, '[');
			for (j = 0; j < f->count; j++) {
				if (j)
					buf_adds(b, ", ");
				import_add_yaml_value(b, fs->items[f->first + j]);
			}
			buf_addc(b, ']');
		} else if (f->kind == 'b') {
			buf_adds(b, f->value);
		} else {
			import_add_yaml_value(b, f->value);
		}
	}
	buf_adds(b, " }\n");
}

static int field_cmp(const void *a, const void *b)
{
	return strcmp(((const struct field *)a)->key, ((const struct field *)b)->key);
}

/* The canonical text of a record: its fields sorted by key, each with its
 * kind and length-prefixed values, so that two records compare equal when
 * they hold the same values however they are written.  Sorts fs. */
void fieldset_canon(struct buf *out, struct fieldset *fs)
{
	size_t i, j;

	qsort(fs->fields, fs->count, sizeof(*fs->fields), field_cmp);
	buf_reset(out);
	for (i = 0; i < fs->count; i++) {
		const struct field *f = &fs->fields[i];

		buf_addf(out, "%zu:%s%c", strlen(f->key), f->key, f->kind);
		if (f->kind == 's' || f->kind == 'b') {
			buf_addf(out, "%zu:%s", strlen(f->value), f->value);
		} else if (f->kind == 'l') {
			buf_addf(out, "%zu", f->count);
			for (j = 0; j < f->count; j++)
				buf_addf(out, ",%zu:%s", strlen(fs->items[f->first + j]),
					 fs->items[f->first + j]);
		}
		buf_addc(out, ';');
	}
}

static int plain_bool(const struct ynode *n)
{
	return n->kind == YNODE_SCALAR && n->plain &&
	       (!strcmp(n->value, "true") || !strcmp(n->value, "false"));
}

/* The fields of a record read from YAML: empty values left out, vip false
 * when absent, as the import writes them. */
void fieldset_from_node(struct fieldset *fs, const struct ynode *m)
{
	struct field *f;
	size_t i, j;
	int has_vip = 0;

	fieldset_reset(fs);
	for (i = 0; i < m->count; i++) {
		const struct ynode *k = m->items[2 * i], *v = m->items[2 * i + 1];
		int clean = 1;

		if (!strcmp(k->value, "vip"))
			has_vip = 1;
		else if (ynode_is_null(v) || (v->kind == YNODE_SEQ && !v->count))
			continue;
		if (v->kind == YNODE_SCALAR && v->len == strlen(v->value)) {
			fieldset_add(fs, k->value, plain_bool(v) ? 'b' : 's', v->value);
			continue;
		}
		for (j = 0; v->kind == YNODE_SEQ && j < v->count; j++)
			clean &= v->items[j]->kind == YNODE_SCALAR &&
				 v->items[j]->len == strlen(v->items[j]->value);
		if (v->kind != YNODE_SEQ || !clean) {
			fieldset_add(fs, k->value, 'x', NULL);
			continue;
		}
		f = fieldset_add(fs, k->value, 'l', NULL);
		for (j = 0; j < v->count; j++)
			fieldset_add_item(fs, f, v->items[j]->value);
	}
	if (!has_vip)
		fieldset_add(fs, "vip", 'b', "false");
}

void fieldset_add_split_name(struct fieldset *fs, struct buf *b, const char *name)
{
	size_t len = strlen(name), first;
	const char *s = text_trim(name, &len, TEXT_BLANKS);

	buf_reset(b);
	buf_add(b, s, len);
	if (!len)
		return;
	for (first = len; first > 0 && b->ptr[first - 1] != ' ' && b->ptr[first - 1] != '\t'; first--)
		;
	if (!first) {
		fieldset_add(fs, "first_name", 's', b->ptr);
		return;
	}
	b->ptr[first - 1] = '\0';
	len = first - 1;
	text_trim(b->ptr, &len, TEXT_BLANKS);
	b->ptr[len] = '\0';
	fieldset_add(fs, "first_name", 's', b->ptr);
	fieldset_add(fs, "last_name", 's', b->ptr + first);
}
