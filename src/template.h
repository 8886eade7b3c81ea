/*
 * The mustache subset of mailout's templates: variables {{name}}, unescaped
 * variables {{{name}}} and {{& name}}, dotted names (owner.name), the
 * implicit iterator {{.}}, sections {{#x}}...{{/x}}, inverted sections
 * {{^x}}...{{/x}} and comments {{! ...}}, with the standalone-line rules of
 * the mustache specification.  Partials, delimiter changes, template
 * inheritance and lambdas are refused as syntax errors.  Sections nest at
 * most TEMPLATE_MAX_DEPTH levels deep: the first section deeper than that
 * is an error, and the rest of the template is not read.
 *
 * Parse once, render many:
 *
 *   struct template *t;
 *   if (template_parse(&t, src, len, "templates/x.md", 4, 1, &diags) < 0)
 *           ... the errors are in diags ...
 *   for each recipient:
 *           template_render(&out, t, context, TEMPLATE_HTML);
 *   template_free(t);
 *
 * Rendering reads a precompiled node list (the source is never scanned
 * again), allocates nothing but the output buffer's growth, and never
 * fails: a missing value renders as the empty string.
 */
#ifndef MAILOUT_TEMPLATE_H
#define MAILOUT_TEMPLATE_H

#include <stddef.h>

#include "buf.h"
#include "diag.h"

#define TEMPLATE_MAX_DEPTH 64

/*
 * The data a template is rendered with: a small tree of values.
 *
 * Every constructor returns a new value that the caller owns and frees with
 * tvalue_free(), unless it hands it to a list or a map: tvalue_list_push()
 * and tvalue_map_set() take ownership of the item, which is then freed with
 * its container.  Strings are copied.  The fields are public for reading;
 * change values only through the functions below.
 *
 * Truthiness in sections: null, false, the empty string and the empty list
 * are false; true, a non-empty string, a non-empty list and any map
 * (even empty) are true.  Interpolated, a string renders as itself, a bool
 * as "true" or "false", a list as its strings and bools joined by ", ",
 * null and maps as nothing.
 */
enum tvalue_kind { TVALUE_NULL, TVALUE_BOOL, TVALUE_STRING, TVALUE_LIST, TVALUE_MAP };

struct tvalue_member {
	char *key;
	size_t key_len;
	struct tvalue *value;
};

struct tvalue {
	enum tvalue_kind kind;
	int boolean;			/* TVALUE_BOOL: 0 or 1 */
	const char *str;		/* TVALUE_STRING: NUL-terminated */
	size_t len;			/* TVALUE_STRING: bytes in str */
	struct tvalue **items;		/* TVALUE_LIST: count items */
	struct tvalue_member *members;	/* TVALUE_MAP: count members, in insertion order */
	size_t count, cap;
};

struct tvalue *tvalue_null(void);
struct tvalue *tvalue_bool(int b);
struct tvalue *tvalue_string(const char *s);
/* s may hold NUL bytes; the copy is NUL-terminated after len bytes. */
struct tvalue *tvalue_stringn(const char *s, size_t len);
struct tvalue *tvalue_list(void);
/* Appends item (a NULL item is stored as null); the list owns it. */
void tvalue_list_push(struct tvalue *list, struct tvalue *item);
struct tvalue *tvalue_map(void);
/*
 * Sets key (copied) to value (a NULL value is stored as null); the map owns
 * the value.  An existing value of that key is freed and replaced in place,
 * so a map reused for many renders keeps its order and allocations.
 */
void tvalue_map_set(struct tvalue *map, const char *key, struct tvalue *value);
/* The value of key, or NULL when map is not a map or has no such key. */
const struct tvalue *tvalue_map_get(const struct tvalue *map, const char *key);
const struct tvalue *tvalue_map_getn(const struct tvalue *map, const char *key, size_t len);
/* Frees v and everything it owns; NULL is allowed. */
void tvalue_free(struct tvalue *v);

struct template;

/*
 * Parses src (len bytes, copied: src may be freed afterwards).  Syntax
 * errors are added to diags at path:line:col, where the template text starts
 * at line0/col0 of the file (so a subject from YAML front matter or a body
 * after front matter reports the real file position); every error of the
 * template is reported, not only the first.  Returns 0 and sets *out (free
 * it with template_free()), or -1 with *out set to NULL.
 */
int template_parse(struct template **out, const char *src, size_t len, const char *path,
		   int line0, int col0, struct diag_list *diags);
/* NULL is allowed. */
void template_free(struct template *t);

enum template_escape {
	TEMPLATE_TEXT,	/* {{name}} is written verbatim */
	TEMPLATE_HTML	/* {{name}} is HTML-escaped (& < > " '); {{{name}}} never is */
};

/*
 * Appends the rendering to out.  context is the root of the context stack
 * (NULL renders every name as missing).  A section over a list renders once
 * per element with the element pushed on the stack; over a map or a
 * non-empty string, once with the value pushed; over true, once.
 */
void template_render(struct buf *out, const struct template *t, const struct tvalue *context,
		     enum template_escape escape);

/* Every reference in the template, in order, for validation. */
enum template_ref_kind {
	TEMPLATE_REF_VARIABLE,		/* {{name}} */
	TEMPLATE_REF_UNESCAPED,		/* {{{name}}} or {{& name}} */
	TEMPLATE_REF_SECTION,		/* {{#name}} */
	TEMPLATE_REF_INVERTED		/* {{^name}} */
};

struct template_ref {
	const char *name;	/* as written, e.g. "owner.name" or "."; owned by the template */
	enum template_ref_kind kind;
	int line, col;		/* of the tag's "{{", 1-based, in the file */
	int depth;		/* number of enclosing sections */
	const char *section;	/* innermost enclosing section's name, or NULL */
};

typedef int (*template_ref_fn)(const struct template_ref *ref, void *payload);

/* Calls fn for each reference; stops and returns fn's first non-zero value, else 0. */
int template_foreach_ref(const struct template *t, template_ref_fn fn, void *payload);

#endif
