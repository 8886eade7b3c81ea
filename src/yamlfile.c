#include "yamlfile.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <yaml.h>

#include "buf.h"
#include "safefile.h"
#include "util.h"
#include "xalloc.h"

/* Nodes and strings of a document come from one arena of chunks. */
struct arena {
	struct arena_chunk *chunks;
};
struct arena_chunk {
	struct arena_chunk *next;
	size_t used, size;
	char data[];
};

static void *arena_alloc(struct arena *a, size_t size)
{
	struct arena_chunk *c = a->chunks;

	size = (size + 15) & ~(size_t)15;
	if (!c || c->size - c->used < size) {
		size_t want = size > 65536 ? size : 65536;
		c = xmalloc(sizeof(*c) + want);
		c->size = want;
		c->used = 0;
		c->next = a->chunks;
		a->chunks = c;
	}
	c->used += size;
	return c->data + c->used - size;
}

static void arena_free(struct arena *a)
{
	struct arena_chunk *c, *next;

	if (!a)
		return;
	for (c = a->chunks; c; c = next) {
		next = c->next;
		free(c);
	}
	free(a);
}

void ydiag(struct diag_list *diags, const struct ydoc *doc, const struct ynode *n,
	   enum diag_severity sev, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	diag_vadd(diags, sev, doc->path, n ? n->line : 0, n ? n->col : 0, fmt, ap);
	va_end(ap);
}

/* Parser state: a stack of open containers whose children wait on `pending`.
 * A mapping with more than KEYSET_LINEAR keys also has a hash set of its
 * keys (open addressing, at most half full), so a duplicate is found in
 * constant time. */
struct frame {
	struct ynode *node;
	size_t first; /* index of the first child in pending */
	size_t nkeys;
	struct ynode **keyset;
	size_t keyset_cap; /* a power of two */
};

#define KEYSET_LINEAR 8

struct parser {
	struct ydoc *doc;
	struct diag_list *diags;
	const char *text; /* the input, for positions libyaml does not give */
	size_t len;
	int line0;
	struct frame *stack;
	size_t depth, stack_cap;
	struct ynode **pending;
	size_t npending, pending_cap;
	int failed;
};

/* The 1-based line and column (in characters, like libyaml's marks) of a
 * byte offset of text. */
static void offset_position(const char *text, size_t offset, int *line, int *col)
{
	size_t i;

	*line = 1;
	*col = 1;
	for (i = 0; i < offset; i++) {
		if (text[i] == '\n') {
			(*line)++;
			*col = 1;
		} else if (((unsigned char)text[i] & 0xc0) != 0x80) {
			(*col)++;
		}
	}
}

/* Whether the line of mark holds a tab before or at the mark, with only
 * blanks before it: a tab used to indent. */
static int tab_indent_at(const struct parser *p, const yaml_mark_t *mark)
{
	const char *s = p->text, *end = p->text + p->len;
	size_t line = 0, col = 0;
	int tab = 0;

	while (s < end && line < mark->line) {
		if (*s++ == '\n')
			line++;
	}
	for (; s < end && col <= mark->column && (*s == ' ' || *s == '\t'); s++, col++)
		tab |= *s == '\t';
	return tab;
}

static void fail_at(struct parser *p, const yaml_mark_t *mark, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void fail_at(struct parser *p, const yaml_mark_t *mark, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	diag_vadd(p->diags, DIAG_ERROR, p->doc->path, (int)mark->line + 1 + p->line0,
		  (int)mark->column + 1, fmt, ap);
	va_end(ap);
	p->failed = 1;
}

static struct ynode *new_node(struct parser *p, enum ynode_kind kind, const yaml_mark_t *mark)
{
	struct ynode *n = arena_alloc(p->doc->arena, sizeof(*n));

	memset(n, 0, sizeof(*n));
	n->kind = kind;
	n->line = (int)mark->line + 1 + p->line0;
	n->col = (int)mark->column + 1;
	return n;
}

static int key_equal(const struct ynode *a, const struct ynode *b)
{
	return a->kind == YNODE_SCALAR && b->kind == YNODE_SCALAR && a->len == b->len &&
	       !memcmp(a->value, b->value, a->len);
}

static size_t key_hash(const struct ynode *k)
{
	size_t h = 2166136261u, i;

	for (i = 0; i < k->len; i++)
		h = (h ^ (unsigned char)k->value[i]) * 16777619u;
	return h;
}

/* The slot of f's key set that holds a key equal to k, or the empty slot
 * where k belongs. */
static struct ynode **keyset_slot(struct frame *f, const struct ynode *k)
{
	size_t mask = f->keyset_cap - 1, i = key_hash(k) & mask;

	while (f->keyset[i] && !key_equal(f->keyset[i], k))
		i = (i + 1) & mask;
	return &f->keyset[i];
}

static void keyset_grow(struct frame *f)
{
	struct ynode **old = f->keyset;
	size_t old_cap = f->keyset_cap, i;

	f->keyset_cap = old_cap ? 2 * old_cap : 4 * KEYSET_LINEAR;
	f->keyset = xcalloc(f->keyset_cap, sizeof(*f->keyset));
	for (i = 0; i < old_cap; i++) {
		if (old[i])
			*keyset_slot(f, old[i]) = old[i];
	}
	free(old);
}

/* The earlier key of the mapping of f equal to the scalar key n (then n is
 * not recorded), or NULL after recording n. */
static const struct ynode *keyset_add(struct parser *p, struct frame *f, struct ynode *n)
{
	struct ynode **slot;
	size_t i;

	if (!f->keyset) {
		for (i = f->first; i < p->npending; i += 2) {
			if (key_equal(p->pending[i], n))
				return p->pending[i];
		}
		if (f->nkeys < KEYSET_LINEAR)
			return NULL;
		keyset_grow(f);
		for (i = f->first; i < p->npending; i += 2) {
			if (p->pending[i]->kind != YNODE_SCALAR)
				continue;
			slot = keyset_slot(f, p->pending[i]);
			if (!*slot)
				*slot = p->pending[i];
		}
	}
	slot = keyset_slot(f, n);
	if (*slot)
		return *slot;
	*slot = n;
	if (2 * (f->nkeys + 1) > f->keyset_cap)
		keyset_grow(f);
	return NULL;
}

/* Adds a finished node to its parent (or makes it the root). */
static void attach(struct parser *p, struct ynode *n)
{
	if (!p->depth) {
		p->doc->root = n;
		return;
	}
	if (p->stack[p->depth - 1].node->kind == YNODE_MAP) {
		struct frame *f = &p->stack[p->depth - 1];
		const struct ynode *first;

		/* a key: look for an earlier equal key */
		if ((p->npending - f->first) % 2 == 0) {
			if (f->nkeys == YAMLFILE_MAX_KEYS) {
				diag_add(p->diags, DIAG_ERROR, p->doc->path, n->line, n->col,
					 "more than %d keys in one mapping", YAMLFILE_MAX_KEYS);
				p->failed = 1;
				return;
			}
			first = n->kind == YNODE_SCALAR ? keyset_add(p, f, n) : NULL;
			if (first) {
				diag_add(p->diags, DIAG_ERROR, p->doc->path, n->line, n->col,
					 "duplicate key '%s' (first at line %d)", n->value,
					 first->line);
				p->failed = 1;
			}
			f->nkeys++;
			if (n->kind != YNODE_SCALAR) {
				diag_add(p->diags, DIAG_ERROR, p->doc->path, n->line, n->col,
					 "a mapping key must be a plain value (a value that starts with '{' or '[', like {{first_name}}, needs quotes)");
				p->failed = 1;
			}
		}
	}
	XGROW(p->pending, p->pending_cap, p->npending + 1);
	p->pending[p->npending++] = n;
}

static void open_container(struct parser *p, struct ynode *n)
{
	struct frame *f;

	/* checked as the events come: a deep file fails at its first level
	 * too many, before the rest is read */
	if (p->depth == YAMLFILE_MAX_DEPTH) {
		diag_add(p->diags, DIAG_ERROR, p->doc->path, n->line, n->col,
			 "lists and mappings nested deeper than %d levels", YAMLFILE_MAX_DEPTH);
		p->failed = 1;
		return;
	}
	attach(p, n);
	XGROW(p->stack, p->stack_cap, p->depth + 1);
	f = &p->stack[p->depth++];
	memset(f, 0, sizeof(*f));
	f->node = n;
	f->first = p->npending;
}

static void close_container(struct parser *p)
{
	struct frame *f = &p->stack[--p->depth];
	size_t n = p->npending - f->first;

	free(f->keyset);
	f->keyset = NULL;

	f->node->items = arena_alloc(p->doc->arena, (n ? n : 1) * sizeof(struct ynode *));
	if (n)
		memcpy(f->node->items, p->pending + f->first, n * sizeof(struct ynode *));
	f->node->count = f->node->kind == YNODE_MAP ? n / 2 : n;
	p->npending = f->first;
}

static int has_anchor_or_tag(struct parser *p, const yaml_event_t *ev)
{
	const yaml_char_t *anchor = NULL, *tag = NULL;
	int implicit = 1;

	switch (ev->type) {
	case YAML_SCALAR_EVENT:
		anchor = ev->data.scalar.anchor;
		tag = ev->data.scalar.tag;
		implicit = ev->data.scalar.plain_implicit || ev->data.scalar.quoted_implicit;
		break;
	case YAML_SEQUENCE_START_EVENT:
		anchor = ev->data.sequence_start.anchor;
		tag = ev->data.sequence_start.tag;
		implicit = ev->data.sequence_start.implicit;
		break;
	case YAML_MAPPING_START_EVENT:
		anchor = ev->data.mapping_start.anchor;
		tag = ev->data.mapping_start.tag;
		implicit = ev->data.mapping_start.implicit;
		break;
	default:
		return 0;
	}
	if (anchor) {
		fail_at(p, &ev->start_mark, "anchors and aliases are not allowed (anchor '%s')",
			(const char *)anchor);
		return 1;
	}
	if (tag && !implicit) {
		fail_at(p, &ev->start_mark, "tags are not allowed ('%s')", (const char *)tag);
		return 1;
	}
	return 0;
}

static void syntax_error(struct parser *p, const yaml_parser_t *yp)
{
	const char *what = yp->problem ? yp->problem : "invalid YAML";
	int line, col;

	if (yp->error == YAML_READER_ERROR) {
		/* libyaml gives no mark here, only the offset of the bad byte
		 * (of a bad continuation byte: go back to its sequence's start) */
		size_t at = yp->problem_offset < p->len ? yp->problem_offset : p->len;
		unsigned char byte;

		if (!strcmp(what, "invalid trailing UTF-8 octet")) {
			while (at > 0 && ((unsigned char)p->text[at - 1] & 0xc0) == 0x80)
				at--;
			if (at > 0)
				at--;
		}
		byte = at < p->len ? (unsigned char)p->text[at] : 0;
		offset_position(p->text, at, &line, &col);
		if (!strcmp(what, "control characters are not allowed"))
			diag_add(p->diags, DIAG_ERROR, p->doc->path, line + p->line0, col,
				 "control character U+%04X in file", (unsigned)yp->problem_value);
		else
			diag_add(p->diags, DIAG_ERROR, p->doc->path, line + p->line0, col,
				 "not UTF-8 text: byte 0x%02x starts no valid UTF-8 character (save the file as UTF-8)",
				 byte);
		p->failed = 1;
	} else if (tab_indent_at(p, &yp->problem_mark)) {
		fail_at(p, &yp->problem_mark,
			"YAML syntax error: a tab indents this line; YAML indents with spaces only");
	} else if (yp->context && yp->context_mark.line != yp->problem_mark.line) {
		fail_at(p, &yp->problem_mark, "YAML syntax error: %s %s (started at line %d, column %d)",
			what, yp->context, (int)yp->context_mark.line + 1 + p->line0,
			(int)yp->context_mark.column + 1);
	} else if (yp->context) {
		fail_at(p, &yp->problem_mark, "YAML syntax error: %s %s", what, yp->context);
	} else {
		fail_at(p, &yp->problem_mark, "YAML syntax error: %s", what);
	}
}

static void parse_events(struct parser *p, yaml_parser_t *yp)
{
	yaml_event_t ev;
	int docs = 0, done = 0;

	while (!done && !p->failed) {
		struct ynode *n;

		if (!yaml_parser_parse(yp, &ev)) {
			syntax_error(p, yp);
			return;
		}
		if (has_anchor_or_tag(p, &ev)) {
			yaml_event_delete(&ev);
			return;
		}
		switch (ev.type) {
		case YAML_STREAM_END_EVENT:
			done = 1;
			break;
		case YAML_DOCUMENT_START_EVENT:
			if (++docs > 1)
				fail_at(p, &ev.start_mark, "only one YAML document is allowed per file");
			break;
		case YAML_ALIAS_EVENT:
			fail_at(p, &ev.start_mark, "anchors and aliases are not allowed (alias '%s')",
				(const char *)ev.data.alias.anchor);
			break;
		case YAML_SCALAR_EVENT:
			n = new_node(p, YNODE_SCALAR, &ev.start_mark);
			n->len = ev.data.scalar.length;
			n->value = arena_alloc(p->doc->arena, n->len + 1);
			memcpy((char *)n->value, ev.data.scalar.value, n->len);
			((char *)n->value)[n->len] = '\0';
			n->plain = ev.data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
			attach(p, n);
			break;
		case YAML_SEQUENCE_START_EVENT:
			open_container(p, new_node(p, YNODE_SEQ, &ev.start_mark));
			break;
		case YAML_MAPPING_START_EVENT:
			open_container(p, new_node(p, YNODE_MAP, &ev.start_mark));
			break;
		case YAML_SEQUENCE_END_EVENT:
		case YAML_MAPPING_END_EVENT:
			close_container(p);
			break;
		default:
			break;
		}
		yaml_event_delete(&ev);
	}
}

size_t ydoc_bom_len(const char *text, size_t len)
{
	return len >= 3 && !memcmp(text, "\xef\xbb\xbf", 3) ? 3 : 0;
}

int ydoc_parse(struct ydoc **out, const char *path, const char *text, size_t len, int line0,
	       struct diag_list *diags)
{
	struct parser p;
	yaml_parser_t yp;
	struct ydoc *doc;
	const char *nul;
	size_t bom;

	*out = NULL;
	/* skipped before libyaml sees it: it would count it as a column */
	bom = ydoc_bom_len(text, len);
	text += bom;
	len -= bom;
	doc = xcalloc(1, sizeof(*doc));
	doc->path = xstrdup(path);
	doc->arena = xcalloc(1, sizeof(*doc->arena));
	memset(&p, 0, sizeof(p));
	p.doc = doc;
	p.diags = diags;
	p.line0 = line0;
	p.text = text;
	p.len = len;
	nul = memchr(text, '\0', len);
	if (nul) {
		int line, col;

		offset_position(text, (size_t)(nul - text), &line, &col);
		diag_add(diags, DIAG_ERROR, path, line + line0, col, "NUL byte in file");
		p.failed = 1;
	} else {
		yaml_parser_initialize(&yp);
		yaml_parser_set_input_string(&yp, (const unsigned char *)text, len);
		yaml_parser_set_encoding(&yp, YAML_UTF8_ENCODING);
		parse_events(&p, &yp);
		yaml_parser_delete(&yp);
	}
	while (p.depth)
		free(p.stack[--p.depth].keyset);
	free(p.stack);
	free(p.pending);
	if (p.failed) {
		ydoc_free(doc);
		return -1;
	}
	*out = doc;
	return 0;
}

void ydoc_read_failed(const char *path, struct diag_list *diags)
{
	if (errno == EFBIG)
		diag_add(diags, DIAG_ERROR, path, 0, 0, "file is larger than %zu MiB",
			 YAMLFILE_MAX_SIZE >> 20);
	else
		diag_add(diags, DIAG_ERROR, path, 0, 0, "cannot read: %s", strerror(errno));
}

int ydoc_read_file(struct buf *text, const char *root, const char *path, struct diag_list *diags)
{
	int r = content_read(text, root, path, YAMLFILE_MAX_SIZE, diags);

	if (r == 0 || r == CONTENT_REFUSED)
		return r < 0 ? -1 : 0;
	ydoc_read_failed(path, diags);
	return -1;
}

int ydoc_load_file(struct ydoc **out, const char *root, const char *path, struct diag_list *diags)
{
	struct buf text = BUF_INIT;
	int ret = -1;

	*out = NULL;
	if (ydoc_read_file(&text, root, path, diags) == 0)
		ret = ydoc_parse(out, path, text.ptr, text.len, 0, diags);
	buf_release(&text);
	return ret;
}

void ydoc_free(struct ydoc *doc)
{
	if (!doc)
		return;
	arena_free(doc->arena);
	free(doc->path);
	free(doc);
}

const struct ynode *ynode_get(const struct ynode *map, const char *key)
{
	size_t i, len = strlen(key);

	if (!map || map->kind != YNODE_MAP)
		return NULL;
	for (i = 0; i < map->count; i++) {
		const struct ynode *k = map->items[2 * i];
		if (k->len == len && !memcmp(k->value, key, len))
			return map->items[2 * i + 1];
	}
	return NULL;
}

const char *ynode_kind_name(enum ynode_kind kind)
{
	switch (kind) {
	case YNODE_SCALAR: return "a value";
	case YNODE_SEQ: return "a list";
	case YNODE_MAP: return "a mapping";
	}
	return "?";
}

int ynode_is_null(const struct ynode *n)
{
	if (!n)
		return 1;
	if (n->kind != YNODE_SCALAR || !n->plain)
		return 0;
	return !n->len || !strcmp(n->value, "~") || !strcmp(n->value, "null") ||
	       !strcmp(n->value, "Null") || !strcmp(n->value, "NULL");
}

enum yword yscalar_typed_word(const char *s)
{
	static const char *const common[] = { "~", "null", "true", "false", "yes", "no", "on",
					      "off", NULL };
	static const char *const rare[] = { "y", "n", "=", "<<", ".inf", "+.inf", "-.inf", ".nan",
					    NULL };
	size_t i;

	for (i = 0; common[i]; i++) {
		if (!strcasecmp(s, common[i]))
			return YWORD_COMMON;
	}
	for (i = 0; rare[i]; i++) {
		if (!strcasecmp(s, rare[i]))
			return YWORD_RARE;
	}
	return YWORD_NONE;
}

int ynode_expect(const struct ydoc *doc, const struct ynode *n, enum ynode_kind kind,
		 const char *what, struct diag_list *diags)
{
	if (n && n->kind == kind && !(kind == YNODE_SCALAR && ynode_is_null(n)))
		return 0;
	if (n && n->kind == kind)
		ydiag(diags, doc, n, DIAG_ERROR, "%s must not be empty", what);
	else
		ydiag(diags, doc, n, DIAG_ERROR, "%s must be %s, not %s", what,
		      ynode_kind_name(kind), n ? ynode_kind_name(n->kind) : "missing");
	return -1;
}

int ynode_bool(const struct ydoc *doc, const struct ynode *n, int *out, struct diag_list *diags)
{
	if (n && n->kind == YNODE_SCALAR && n->plain) {
		if (!strcmp(n->value, "true")) {
			*out = 1;
			return 0;
		}
		if (!strcmp(n->value, "false")) {
			*out = 0;
			return 0;
		}
	}
	if (n && n->kind != YNODE_SCALAR)
		ydiag(diags, doc, n, DIAG_ERROR, "expected true or false, not %s",
		      ynode_kind_name(n->kind));
	else
		ydiag(diags, doc, n, DIAG_ERROR, "expected true or false, not '%s'",
		      n ? n->value : "");
	return -1;
}

int ynode_int(const struct ydoc *doc, const struct ynode *n, long min, long max, long *out,
	      struct diag_list *diags)
{
	char *end = NULL;
	long v;

	if (n && n->kind == YNODE_SCALAR && n->plain && n->len) {
		errno = 0;
		v = strtol(n->value, &end, 10);
		if (!errno && *end == '\0' && v >= min && v <= max) {
			*out = v;
			return 0;
		}
	}
	ydiag(diags, doc, n, DIAG_ERROR, "expected a whole number from %ld to %ld, not '%s'", min,
	      max, n && n->kind == YNODE_SCALAR ? n->value : "");
	return -1;
}

int ymap_check(const struct ydoc *doc, const struct ynode *map, const char *what,
	       const struct ykey *keys, struct diag_list *diags)
{
	const char *names[64];
	size_t nkeys = 0, i, j;
	int problems = 0;

	if (ynode_expect(doc, map, YNODE_MAP, what, diags) < 0)
		return 1;
	for (nkeys = 0; keys[nkeys].name && nkeys < 64; nkeys++)
		names[nkeys] = keys[nkeys].name;
	for (i = 0; i < map->count; i++) {
		const struct ynode *k = map->items[2 * i];
		const char *hint;

		for (j = 0; j < nkeys; j++) {
			if (!strcmp(k->value, names[j]))
				break;
		}
		if (j < nkeys || ykey_is_secret(k->value))
			continue;
		problems++;
		hint = suggest_closest(k->value, names, nkeys);
		if (hint)
			ydiag(diags, doc, k, DIAG_ERROR, "unknown key '%s' in %s (did you mean '%s'?)",
			      k->value, what, hint);
		else
			ydiag(diags, doc, k, DIAG_ERROR, "unknown key '%s' in %s", k->value, what);
	}
	for (j = 0; j < nkeys; j++) {
		if ((keys[j].flags & YKEY_REQUIRED) && ynode_is_null(ynode_get(map, names[j]))) {
			const struct ynode *v = ynode_get(map, names[j]);
			problems++;
			if (v)
				ydiag(diags, doc, v, DIAG_ERROR, "'%s' of %s must not be empty", names[j],
				      what);
			else
				ydiag(diags, doc, map, DIAG_ERROR, "missing required key '%s' in %s",
				      names[j], what);
		}
	}
	return problems;
}

/* A name and its length, so that most keys are told apart by length. */
struct sized_name {
	const char *name;
	size_t len;
};
#define SIZED(s) { s, sizeof(s) - 1 }

int ykey_is_secret(const char *key)
{
	static const struct sized_name exact[] = {
		SIZED("password"), SIZED("passwd"), SIZED("pass"), SIZED("secret"),
		SIZED("token"), SIZED("client_secret"), SIZED("api_key"), SIZED("apikey"),
		SIZED("access_token"), SIZED("refresh_token"), SIZED("private_key"),
	};
	static const struct sized_name suffixes[] = {
		SIZED("_password"), SIZED("_secret"), SIZED("_token"), SIZED("_api_key"),
	};
	size_t i, len = strlen(key);

	if (!len)
		return 0;
	for (i = 0; i < sizeof(exact) / sizeof(*exact); i++) {
		if (len == exact[i].len && key[0] == exact[i].name[0] &&
		    !memcmp(key, exact[i].name, len))
			return 1;
	}
	for (i = 0; i < sizeof(suffixes) / sizeof(*suffixes); i++) {
		size_t n = suffixes[i].len;

		if (len >= n && key[len - 1] == suffixes[i].name[n - 1] &&
		    !memcmp(key + len - n, suffixes[i].name, n))
			return 1;
	}
	return 0;
}

static void check_secrets(const struct ydoc *doc, const struct ynode *n, struct diag_list *diags)
{
	size_t i;

	if (n->kind == YNODE_SEQ) {
		for (i = 0; i < n->count; i++)
			check_secrets(doc, n->items[i], diags);
	} else if (n->kind == YNODE_MAP) {
		for (i = 0; i < n->count; i++) {
			const struct ynode *k = n->items[2 * i];
			if (ykey_is_secret(k->value))
				ydiag(diags, doc, k, DIAG_ERROR,
				      "'%s' would put a secret in the repository: keep it in an environment variable and name it with '%s_env'",
				      k->value, k->value);
			check_secrets(doc, n->items[2 * i + 1], diags);
		}
	}
}

void ydoc_check_secrets(const struct ydoc *doc, struct diag_list *diags)
{
	if (doc->root)
		check_secrets(doc, doc->root, diags);
}
