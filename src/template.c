#include "template.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

/* Deeper nesting is refused: rendering recurses once per level. */
#define TEMPLATE_MAX_DEPTH 100

/* Values */

static struct tvalue *tvalue_new(enum tvalue_kind kind, size_t extra)
{
	struct tvalue *v = xcalloc(1, sizeof(*v) + extra);

	v->kind = kind;
	v->str = "";
	return v;
}

struct tvalue *tvalue_null(void)
{
	return tvalue_new(TVALUE_NULL, 0);
}

struct tvalue *tvalue_bool(int b)
{
	struct tvalue *v = tvalue_new(TVALUE_BOOL, 0);

	v->boolean = b != 0;
	return v;
}

struct tvalue *tvalue_stringn(const char *s, size_t len)
{
	/* One allocation: the bytes live right after the struct. */
	struct tvalue *v = tvalue_new(TVALUE_STRING, len + 1);
	char *copy = (char *)(v + 1);

	if (len)
		memcpy(copy, s, len);
	copy[len] = '\0';
	v->str = copy;
	v->len = len;
	return v;
}

struct tvalue *tvalue_string(const char *s)
{
	return tvalue_stringn(s, strlen(s));
}

struct tvalue *tvalue_list(void)
{
	return tvalue_new(TVALUE_LIST, 0);
}

void tvalue_list_push(struct tvalue *list, struct tvalue *item)
{
	if (!item)
		item = tvalue_null();
	XGROW(list->items, list->cap, list->count + 1);
	list->items[list->count++] = item;
}

struct tvalue *tvalue_map(void)
{
	return tvalue_new(TVALUE_MAP, 0);
}

static struct tvalue_member *tvalue_member_find(const struct tvalue *map, const char *key,
						size_t len)
{
	size_t i;

	if (!map || map->kind != TVALUE_MAP)
		return NULL;
	for (i = 0; i < map->count; i++) {
		struct tvalue_member *m = &map->members[i];

		if (m->key_len == len && !memcmp(m->key, key, len))
			return m;
	}
	return NULL;
}

void tvalue_map_set(struct tvalue *map, const char *key, struct tvalue *value)
{
	size_t len = strlen(key);
	struct tvalue_member *m = tvalue_member_find(map, key, len);

	if (!value)
		value = tvalue_null();
	if (m) {
		tvalue_free(m->value);
		m->value = value;
		return;
	}
	XGROW(map->members, map->cap, map->count + 1);
	m = &map->members[map->count++];
	m->key = xstrndup(key, len);
	m->key_len = len;
	m->value = value;
}

const struct tvalue *tvalue_map_getn(const struct tvalue *map, const char *key, size_t len)
{
	const struct tvalue_member *m = tvalue_member_find(map, key, len);

	return m ? m->value : NULL;
}

const struct tvalue *tvalue_map_get(const struct tvalue *map, const char *key)
{
	return tvalue_map_getn(map, key, strlen(key));
}

void tvalue_free(struct tvalue *v)
{
	size_t i;

	if (!v)
		return;
	if (v->kind == TVALUE_LIST) {
		for (i = 0; i < v->count; i++)
			tvalue_free(v->items[i]);
		free(v->items);
	} else if (v->kind == TVALUE_MAP) {
		for (i = 0; i < v->count; i++) {
			free(v->members[i].key);
			tvalue_free(v->members[i].value);
		}
		free(v->members);
	}
	free(v);
}

/* Templates */

enum node_kind { NODE_TEXT, NODE_VARIABLE, NODE_UNESCAPED, NODE_SECTION, NODE_INVERTED };

struct name_part {
	const char *ptr;
	size_t len;
};

struct node {
	enum node_kind kind;
	size_t off, len;	/* NODE_TEXT: bytes of t->src */
	char *name;		/* tags: the name as written */
	size_t part, nparts;	/* tags: the dotted parts in t->parts; none for "." */
	size_t end;		/* sections: index of the first node after the body */
	size_t parent;		/* 1 + index of the enclosing section, 0 at top level */
	int line, col, depth;
};

struct template {
	char *src;
	struct node *nodes;
	size_t count, cap;
	struct name_part *parts;
	size_t nparts, parts_cap;
};

#define TEMPLATE_MAX_ERRORS 50

struct parser {
	struct template *t;
	const char *src;
	size_t len;
	const char *path;
	int line0, col0;
	struct diag_list *diags;
	int errors;
	/* position tracking: line of byte `at`, which starts at byte `line_start` */
	size_t at, line_start;
	int line;
	/* open sections, as node indices */
	size_t *open;
	size_t nopen, open_cap;
	/* where a comment's "}}" is known to be missing up to the end, so that
	 * a run of unterminated comments is not searched again and again */
	size_t no_comment_close;
};

void template_free(struct template *t)
{
	size_t i;

	if (!t)
		return;
	for (i = 0; i < t->count; i++)
		free(t->nodes[i].name);
	free(t->nodes);
	free(t->parts);
	free(t->src);
	free(t);
}

/* The file line and column of byte pos; pos never goes backwards. */
static void parser_position(struct parser *p, size_t pos, int *line, int *col)
{
	for (; p->at < pos; p->at++) {
		if (p->src[p->at] == '\n') {
			p->line++;
			p->line_start = p->at + 1;
		}
	}
	*line = p->line;
	*col = (p->line == p->line0 ? p->col0 : 1) + (int)(pos - p->line_start);
}

static void parser_error(struct parser *p, int line, int col, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void parser_error(struct parser *p, int line, int col, const char *fmt, ...)
{
	va_list ap;

	/* the first problems of a template tell the story; a flood would not */
	if (p->errors < TEMPLATE_MAX_ERRORS) {
		va_start(ap, fmt);
		diag_vadd(p->diags, DIAG_ERROR, p->path, line, col, fmt, ap);
		va_end(ap);
	}
	p->errors++;
}

static struct node *parser_add(struct parser *p, enum node_kind kind)
{
	struct template *t = p->t;
	struct node *n;

	XGROW(t->nodes, t->cap, t->count + 1);
	n = &t->nodes[t->count++];
	memset(n, 0, sizeof(*n));
	n->kind = kind;
	n->depth = (int)p->nopen;
	n->parent = p->nopen ? p->open[p->nopen - 1] + 1 : 0;
	return n;
}

static void parser_text(struct parser *p, size_t from, size_t to)
{
	struct node *n;

	if (to <= from)
		return;
	n = parser_add(p, NODE_TEXT);
	n->off = from;
	n->len = to - from;
}

static int is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* The first occurrence of the len-byte needle in [from, to), or `to`. */
static size_t find(const char *s, size_t from, size_t to, const char *needle, size_t len)
{
	size_t i;

	for (i = from; i + len <= to; i++)
		if (s[i] == needle[0] && !memcmp(s + i, needle, len))
			return i;
	return to;
}

/*
 * Records the name of a tag (trimmed, name_len bytes) with its dotted parts
 * in node n.  Returns 0, or -1 after reporting an invalid name.
 */
static int parser_name(struct parser *p, struct node *n, const char *name, size_t name_len,
		       const char *tag, size_t tag_len, int line, int col)
{
	struct template *t = p->t;
	size_t i, start;

	n->name = xstrndup(name, name_len);
	n->part = t->nparts;
	if (!name_len) {
		parser_error(p, line, col, "empty name in '%.*s'", (int)tag_len, tag);
		return -1;
	}
	for (i = 0; i < name_len; i++) {
		if (is_space(name[i])) {
			parser_error(p, line, col, "invalid name '%s': names have no spaces",
				     n->name);
			return -1;
		}
	}
	if (name_len == 1 && name[0] == '.')
		return 0;
	for (start = 0, i = 0; i <= name_len; i++) {
		if (i < name_len && name[i] != '.')
			continue;
		if (i == start) {
			parser_error(p, line, col, "invalid name '%s': empty part between dots",
				     n->name);
			return -1;
		}
		XGROW(t->parts, t->parts_cap, t->nparts + 1);
		t->parts[t->nparts].ptr = n->name + start;
		t->parts[t->nparts].len = i - start;
		t->nparts++;
		n->nparts++;
		start = i + 1;
	}
	return 0;
}

/* Closes the innermost open section. */
static void parser_pop(struct parser *p)
{
	p->t->nodes[p->open[--p->nopen]].end = p->t->count;
}

static void parser_close(struct parser *p, const char *name, size_t name_len, int line, int col)
{
	struct node *top;
	size_t j;

	if (!name_len)
		parser_error(p, line, col, "empty name in '{{/}}'");
	if (!p->nopen) {
		if (name_len)
			parser_error(p, line, col, "'{{/%.*s}}' closes no open section",
				     (int)name_len, name);
		return;
	}
	/* The matching open section, innermost first. */
	for (j = p->nopen; j > 0; j--) {
		const char *open = p->t->nodes[p->open[j - 1]].name;

		if (strlen(open) == name_len && !memcmp(open, name, name_len))
			break;
	}
	if (!j) {
		if (!name_len)
			return;
		/* Most likely a misspelt close of the innermost section. */
		top = &p->t->nodes[p->open[p->nopen - 1]];
		parser_error(p, line, col,
			     "'{{/%.*s}}' does not close the open section '%s' (opened at %d:%d)",
			     (int)name_len, name, top->name, top->line, top->col);
		parser_pop(p);
		return;
	}
	while (p->nopen > j) {
		top = &p->t->nodes[p->open[p->nopen - 1]];
		parser_error(p, top->line, top->col, "unclosed section '%s' (no '{{/%s}}')",
			     top->name, top->name);
		parser_pop(p);
	}
	parser_pop(p);
}

/*
 * Whether the tag at [o, end) stands alone on its line (only blanks around
 * it).  If so, sets *line_from to the start of its indentation and *rest to
 * the byte after its line ending (or the end of the template).
 */
static int standalone(const struct parser *p, size_t o, size_t end, size_t *line_from,
		      size_t *rest)
{
	const char *s = p->src;
	size_t k = o, e = end;

	while (k > 0 && is_blank(s[k - 1]))
		k--;
	if (k > 0 && s[k - 1] != '\n')
		return 0;
	while (e < p->len && is_blank(s[e]))
		e++;
	if (e == p->len)
		*rest = e;
	else if (s[e] == '\n')
		*rest = e + 1;
	else if (s[e] == '\r' && e + 1 < p->len && s[e + 1] == '\n')
		*rest = e + 2;
	else
		return 0;
	*line_from = k;
	return 1;
}

/* Section, inverted, close and comment tags may stand alone on their line. */
static int may_stand_alone(char sigil)
{
	return sigil == '#' || sigil == '^' || sigil == '/' || sigil == '!';
}

static int is_sigil(char c)
{
	return c && strchr("#^/!>=&{<$", c);
}

/*
 * Parses the tag whose "{{" is at byte o, first adding the text before it.
 * Returns the byte where scanning goes on: after the tag, at a "{{" inside
 * an unterminated tag, or p->len.
 */
static size_t parser_tag(struct parser *p, size_t o, size_t *text_from)
{
	const char *s = p->src;
	size_t q = o + 2, close, end, c0, c1, inner, line_from, rest;
	const char *delim;
	char sigil = 0;
	int line, col;
	struct node *n;

	parser_position(p, o, &line, &col);
	while (q < p->len && is_space(s[q]))
		q++;
	if (q < p->len && is_sigil(s[q]))
		sigil = s[q++];
	delim = sigil == '{' ? "}}}" : "}}";
	if (sigil == '!') {
		/* a comment may hold "{{" */
		close = q >= p->no_comment_close ? p->len : find(s, q, p->len, delim, 2);
		if (close == p->len && q < p->no_comment_close)
			p->no_comment_close = q;
		inner = close;
	} else {
		/* a tag ends before the next one starts: each byte is scanned a
		 * bounded number of times, however many tags are left open */
		inner = find(s, q, p->len, "{{", 2);
		close = find(s, q, inner, delim, strlen(delim));
		if (close == inner)
			close = p->len;
	}
	if (close == p->len || inner < close) {
		parser_error(p, line, col, "unterminated tag: '%s' without '%s'",
			     sigil == '{' ? "{{{" : "{{", delim);
		return inner < close ? inner : p->len;
	}
	end = close + strlen(delim);
	c0 = q;
	c1 = close;
	while (c0 < c1 && is_space(s[c0]))
		c0++;
	while (c1 > c0 && is_space(s[c1 - 1]))
		c1--;

	if (may_stand_alone(sigil) && standalone(p, o, end, &line_from, &rest)) {
		parser_text(p, *text_from, line_from);
		*text_from = rest;
	} else {
		parser_text(p, *text_from, o);
		*text_from = end;
	}

	switch (sigil) {
	case '!':
		break;
	case '>':
		parser_error(p, line, col, "partials are not supported: '{{> %.*s}}'",
			     (int)(c1 - c0), s + c0);
		break;
	case '=':
		parser_error(p, line, col, "changing delimiters ('{{=...=}}') is not supported");
		break;
	case '<':
	case '$':
		parser_error(p, line, col,
			     "template inheritance is not supported: '{{%c %.*s}}'",
			     sigil, (int)(c1 - c0), s + c0);
		break;
	case '/':
		parser_close(p, s + c0, c1 - c0, line, col);
		break;
	case '#':
	case '^':
		if (p->nopen >= TEMPLATE_MAX_DEPTH) {
			parser_error(p, line, col, "sections nested deeper than %d",
				     TEMPLATE_MAX_DEPTH);
			break;
		}
		n = parser_add(p, sigil == '#' ? NODE_SECTION : NODE_INVERTED);
		n->line = line;
		n->col = col;
		parser_name(p, n, s + c0, c1 - c0, s + o, end - o, line, col);
		XGROW(p->open, p->open_cap, p->nopen + 1);
		p->open[p->nopen++] = p->t->count - 1;
		break;
	default:
		n = parser_add(p, sigil ? NODE_UNESCAPED : NODE_VARIABLE);
		n->line = line;
		n->col = col;
		parser_name(p, n, s + c0, c1 - c0, s + o, end - o, line, col);
		break;
	}
	return *text_from;
}

int template_parse(struct template **out, const char *src, size_t len, const char *path,
		   int line0, int col0, struct diag_list *diags)
{
	struct parser p;
	size_t i = 0, o, text_from = 0;
	struct node *top;
	int ret = -1;

	memset(&p, 0, sizeof(p));
	p.no_comment_close = (size_t)-1;
	p.t = xcalloc(1, sizeof(*p.t));
	p.t->src = xmalloc(len + 1);
	if (len)
		memcpy(p.t->src, src, len);
	p.t->src[len] = '\0';
	p.src = p.t->src;
	p.len = len;
	p.path = path;
	p.line0 = line0;
	p.col0 = col0;
	p.line = line0;
	p.diags = diags;

	while (i < p.len) {
		o = find(p.src, i, p.len, "{{", 2);
		if (o == p.len)
			break;
		i = parser_tag(&p, o, &text_from);
	}
	parser_text(&p, text_from, p.len);
	while (p.nopen) {
		top = &p.t->nodes[p.open[p.nopen - 1]];
		parser_error(&p, top->line, top->col, "unclosed section '%s' (no '{{/%s}}')",
			     top->name, top->name);
		parser_pop(&p);
	}
	if (p.errors > TEMPLATE_MAX_ERRORS)
		diag_add(p.diags, DIAG_ERROR, p.path, p.line0, p.col0,
			 "%d more template errors not shown", p.errors - TEMPLATE_MAX_ERRORS);
	if (p.errors)
		goto done;
	*out = p.t;
	p.t = NULL;
	ret = 0;
done:
	if (ret < 0)
		*out = NULL;
	template_free(p.t);
	free(p.open);
	return ret;
}

/* Rendering */

/* One level of the context stack, on the C stack of render_nodes(). */
struct frame {
	const struct tvalue *value;
	const struct frame *up;
};

static const struct tvalue *lookup(const struct template *t, const struct node *n,
				   const struct frame *top)
{
	const struct name_part *part;
	const struct tvalue *v = NULL;
	const struct frame *f;
	size_t i;

	if (!n->nparts)
		return top ? top->value : NULL;
	part = &t->parts[n->part];
	/* The first part: the innermost context that has it. */
	for (f = top; f && !v; f = f->up)
		v = tvalue_map_getn(f->value, part[0].ptr, part[0].len);
	/* The others: each in the value found before. */
	for (i = 1; v && i < n->nparts; i++)
		v = tvalue_map_getn(v, part[i].ptr, part[i].len);
	return v;
}

static int truthy(const struct tvalue *v)
{
	if (!v)
		return 0;
	switch (v->kind) {
	case TVALUE_BOOL:
		return v->boolean;
	case TVALUE_STRING:
		return v->len > 0;
	case TVALUE_LIST:
		return v->count > 0;
	case TVALUE_MAP:
		return 1;
	default:
		return 0;
	}
}

static void render_scalar(struct buf *out, const struct tvalue *v, int html)
{
	if (v->kind == TVALUE_BOOL)
		buf_adds(out, v->boolean ? "true" : "false");
	else if (v->kind != TVALUE_STRING)
		return;
	else if (html)
		buf_add_html(out, v->str, v->len);
	else
		buf_add(out, v->str, v->len);
}

static void render_value(struct buf *out, const struct tvalue *v, int html)
{
	size_t i;
	int first = 1;

	if (!v)
		return;
	if (v->kind != TVALUE_LIST) {
		render_scalar(out, v, html);
		return;
	}
	for (i = 0; i < v->count; i++) {
		const struct tvalue *item = v->items[i];

		if (item->kind != TVALUE_STRING && item->kind != TVALUE_BOOL)
			continue;
		if (!first)
			buf_add(out, ", ", 2);
		render_scalar(out, item, html);
		first = 0;
	}
}

static void render_nodes(struct buf *out, const struct template *t, size_t from, size_t to,
			 const struct frame *top, int html)
{
	const struct tvalue *v;
	struct frame f;
	size_t i = from, k;

	while (i < to) {
		const struct node *n = &t->nodes[i];

		switch (n->kind) {
		case NODE_TEXT:
			buf_add(out, t->src + n->off, n->len);
			i++;
			break;
		case NODE_VARIABLE:
		case NODE_UNESCAPED:
			render_value(out, lookup(t, n, top), html && n->kind == NODE_VARIABLE);
			i++;
			break;
		case NODE_SECTION:
			v = lookup(t, n, top);
			f.up = top;
			if (v && v->kind == TVALUE_LIST) {
				for (k = 0; k < v->count; k++) {
					f.value = v->items[k];
					render_nodes(out, t, i + 1, n->end, &f, html);
				}
			} else if (truthy(v)) {
				f.value = v;
				render_nodes(out, t, i + 1, n->end, &f, html);
			}
			i = n->end;
			break;
		case NODE_INVERTED:
			if (!truthy(lookup(t, n, top)))
				render_nodes(out, t, i + 1, n->end, top, html);
			i = n->end;
			break;
		}
	}
}

void template_render(struct buf *out, const struct template *t, const struct tvalue *context,
		     enum template_escape escape)
{
	struct frame root = { context, NULL };

	render_nodes(out, t, 0, t->count, context ? &root : NULL, escape == TEMPLATE_HTML);
}

int template_foreach_ref(const struct template *t, template_ref_fn fn, void *payload)
{
	static const enum template_ref_kind kinds[] = {
		[NODE_VARIABLE] = TEMPLATE_REF_VARIABLE,
		[NODE_UNESCAPED] = TEMPLATE_REF_UNESCAPED,
		[NODE_SECTION] = TEMPLATE_REF_SECTION,
		[NODE_INVERTED] = TEMPLATE_REF_INVERTED,
	};
	struct template_ref ref;
	size_t i;
	int ret = 0;

	for (i = 0; i < t->count && !ret; i++) {
		const struct node *n = &t->nodes[i];

		if (n->kind == NODE_TEXT)
			continue;
		ref.name = n->name;
		ref.kind = kinds[n->kind];
		ref.line = n->line;
		ref.col = n->col;
		ref.depth = n->depth;
		ref.section = n->parent ? t->nodes[n->parent - 1].name : NULL;
		ret = fn(&ref, payload);
	}
	return ret;
}
