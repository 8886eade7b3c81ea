/*
 * The records an import writes and compares, as sets of fields: written
 * as one line of flow-style YAML, compared by a canonical text however
 * they are written.  Private to import.c.
 */
#ifndef MAILOUT_IMPORT_FIELDS_H
#define MAILOUT_IMPORT_FIELDS_H

#include <stddef.h>

#include "buf.h"
#include "yamlfile.h"

struct field {
	const char *key;
	char kind; /* 's' text, 'b' true or false, 'l' list, 'x' anything else */
	const char *value; /* 's' and 'b' */
	size_t first, count; /* 'l': the set's items[first .. first + count) */
};

struct fieldset {
	struct field *fields;
	size_t count, cap;
	const char **items;
	size_t nitems, items_cap;
};

/* Adds a field (keys and values are not copied: they must outlive fs). */
struct field *fieldset_add(struct fieldset *fs, const char *key, char kind, const char *value);
/* Adds an item to f, the set's last field. */
void fieldset_add_item(struct fieldset *fs, struct field *f, const char *item);
void fieldset_reset(struct fieldset *fs);
void fieldset_release(struct fieldset *fs);
/* Adds a full name as first_name (all words but the last) and last_name
 * (the last word; a single word is a first name), its text kept in b
 * (which must outlive fs).  Nothing for a blank name. */
void fieldset_add_split_name(struct fieldset *fs, struct buf *b, const char *name);
/* One record line: "- { id: x, email: y, ... }". */
void fieldset_yaml(struct buf *b, const struct fieldset *fs);
/* The canonical text of a record into out (fields sorted by key, each
 * with its kind and length-prefixed values).  Sorts fs. */
void fieldset_canon(struct buf *out, struct fieldset *fs);
/* The fields of a record read from YAML: empty values left out, vip false
 * when absent, as the import writes them. */
void fieldset_from_node(struct fieldset *fs, const struct ynode *m);

#endif
