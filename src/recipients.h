/*
 * Recipients: records by type (recipients/TYPE/NAME.yaml), segments (named
 * filters), suppressions, and address normalisation.
 *
 * Record files can be large (a million records over many files), so they
 * are read one file at a time and each record is handed to a callback; the
 * record is valid only during the call.
 */
#ifndef MAILOUT_RECIPIENTS_H
#define MAILOUT_RECIPIENTS_H

#include <stddef.h>

#include "buf.h"
#include "config.h"
#include "diag.h"
#include "suppressions.h"
#include "util.h"
#include "yamlfile.h"

enum recipient_type { RTYPE_CONTACTS, RTYPE_COMPANIES, RTYPE_LEADS, RTYPE_COUNT };

const char *recipient_type_name(enum recipient_type t);
int recipient_type_parse(const char *s); /* -1 when unknown */

#define SEGMENTS_FILE "recipients/segments.yaml"

/* A filter maps fields to a value or a list of values (any of them); a
 * list-valued field matches when it contains one of the values. */
struct filter_term {
	char *field;
	char **values;
	size_t nvalues;
};
struct filter {
	struct filter_term *terms;
	size_t count;
};

/* Parses a filter mapping; reports problems and returns -1 on any. */
int filter_parse(struct filter *out, const struct ydoc *doc, const struct ynode *map,
		 struct diag_list *diags);
void filter_release(struct filter *f);

/* One record, valid during the callback. */
struct recipient {
	enum recipient_type type;
	const char *id;
	const char *email; /* as written */
	const char *address; /* lower-cased, for comparisons */
	const char *owner;
	int vip;
	const struct ynode *node; /* the record's mapping: every field */
	const struct ydoc *doc;
	const char *path;
	int line;
	/* its fields as recipient_encode_fields() writes them, when the
	 * reader did that on its thread (RECIPIENT_FILE_ENCODE); else NULL */
	const char *fields;
	size_t fields_len;
};

/* The value of a field as text (NULL when absent or a list). */
const char *recipient_field(const struct recipient *r, const char *field);
int filter_match(const struct filter *f, const struct recipient *r);

/* State across the files of one type: ids and addresses seen. */
struct recipient_scan {
	struct strmap ids, addresses;
	char **paths; /* files scanned, for "first at" locations */
	size_t npaths, paths_cap;
};
void recipient_scan_init(struct recipient_scan *s);
void recipient_scan_release(struct recipient_scan *s);

typedef void (*recipient_fn)(const struct recipient *r, void *payload);

/* Checks every record of one file (path relative to root) and calls fn for
 * each record that is usable (id, address and owner valid and the id not a
 * duplicate).  cfg may be NULL (then owners are not checked).
 * Returns -1 when the file could not be read or parsed. */
int recipients_scan_file(struct recipient_scan *s, const char *root, const char *path,
			 enum recipient_type type, const struct config *cfg, recipient_fn fn,
			 void *payload, struct diag_list *diags);
/* The same for a file already parsed (doc->path names it). */
void recipients_scan_doc(struct recipient_scan *s, const struct ydoc *doc, enum recipient_type type,
			 const struct config *cfg, recipient_fn fn, void *payload,
			 struct diag_list *diags);

/*
 * The same in two steps, so that files can be parsed on worker threads:
 * recipient_file_parse() reads, parses and checks one file on its own
 * (YAML, the shape and values of each record, owners; it shares no state,
 * cfg is only read), and recipients_scan_parsed() then checks what
 * depends on the files before it (duplicate ids and addresses, in s) and
 * calls fn for each usable record, in one thread, file after file.  The
 * diagnostics come out as recipients_scan_file() gives them, in the same
 * order.
 */
struct recipient_checked;
struct recipient_file {
	const struct ydoc *doc; /* NULL when the file could not be read or parsed */
	struct ydoc *owned; /* doc, when parsed here */
	enum recipient_type type;
	struct diag_list diags; /* the file's own, until the scan moves them */
	size_t head; /* how many come before the first record's */
	struct recipient_checked *records;
	size_t count;
	struct recipient_scan *alone; /* RECIPIENT_FILE_ALONE: the file's own scan */
	unsigned flags;
	struct buf encoded; /* RECIPIENT_FILE_ENCODE: every record's fields */
	char blob[41]; /* RECIPIENT_FILE_BLOB, once the file was read; else "" */
};
/* The file is a scan of its own (a fresh recipient_scan for it alone, as
 * the plan checks each file): its ids and addresses are checked while it
 * is parsed, and recipients_scan_parsed() ignores its s. */
#define RECIPIENT_FILE_ALONE 1u
/* Each usable record's fields are encoded while the file is parsed
 * (recipient.fields), so that the thread inserting them does not. */
#define RECIPIENT_FILE_ENCODE 2u
/* The file's git blob id is computed from the bytes parsed (blob). */
#define RECIPIENT_FILE_BLOB 4u
/* 0, or -1 when the file could not be read or parsed (out->diags say why);
 * release out with recipient_file_release() either way. */
int recipient_file_parse(struct recipient_file *out, const char *root, const char *path,
			 enum recipient_type type, const struct config *cfg, unsigned flags);
/* The same for a document already parsed, which must outlive out (zeroed
 * by the caller). */
void recipient_file_check(struct recipient_file *out, const struct ydoc *doc,
			  enum recipient_type type, const struct config *cfg);
/* Moves f's diagnostics into diags with those of the scan; -1 when f could
 * not be parsed. */
int recipients_scan_parsed(struct recipient_scan *s, struct recipient_file *f, recipient_fn fn,
			   void *payload, struct diag_list *diags);
void recipient_file_release(struct recipient_file *f);

/*
 * Recipient files parsed by a pool of worker threads (workpool.h:
 * MAILOUT_JOBS, else one per core) while the caller scans them one after
 * the other: recipient_reader_scan(rd, i, ...) waits for file i, then is
 * recipients_scan_parsed() on it, so that the records and diagnostics come
 * in file order whatever the number of threads.  Files are scanned with
 * i = 0, 1, ...; a few files ahead of the one scanned are parsed at a time,
 * so memory stays bounded.  files (and the strings and cfg it points to)
 * must outlive the reader.  flags: RECIPIENT_FILE_ALONE (then s may be
 * NULL).
 */
struct recipient_source {
	const char *path;
	enum recipient_type type;
};
struct recipient_reader;
struct recipient_reader *recipient_reader_start(const char *root, const struct config *cfg,
						const struct recipient_source *files, size_t n,
						unsigned flags);
int recipient_reader_scan(struct recipient_reader *rd, size_t i, struct recipient_scan *s,
			  recipient_fn fn, void *payload, struct diag_list *diags);
/* RECIPIENT_FILE_BLOB: the blob id of file i once it was scanned ("" when
 * it could not be read). */
const char *recipient_reader_blob(const struct recipient_reader *rd, size_t i);
/* Stops the workers and frees what they parsed; accepts NULL. */
void recipient_reader_free(struct recipient_reader *rd);

/* The record files of a type, relative to root, sorted (*out freed with
 * free_list). */
int recipients_files(char ***out, const char *root, enum recipient_type type);

struct segment {
	char *name;
	struct filter filter;
	int line, col;
};
struct segments {
	struct segment *items;
	size_t count;
};
int segments_load(struct segments *out, const char *root, struct diag_list *diags);
/* The same for the segments file already parsed. */
void segments_load_doc(struct segments *out, const struct ydoc *doc, struct diag_list *diags);
const struct segment *segments_find(const struct segments *s, const char *name);
void segments_release(struct segments *s);



/*
 * The fields of a record other than id, email, owner and vip, encoded for
 * the plan (a blob of NUL-terminated parts), and decoded back into a
 * mapping node so that filter_match() and recipient_context() work on
 * either.  Decoded nodes point into the blob and into f; both must outlive
 * their use.
 */
void recipient_encode_fields(struct buf *b, const struct ynode *map);
struct recipient_fields {
	struct ynode map;
	struct ynode *nodes;
	size_t nodes_cap;
	struct ynode **items, **list_items;
	size_t items_cap, list_items_cap;
};
const struct ynode *recipient_decode_fields(struct recipient_fields *f, const char *blob,
					    size_t len);
void recipient_fields_release(struct recipient_fields *f);

struct tvalue;
/* Sets every field of r in the template context map ctx (vip and plain
 * true/false as booleans, lists as lists). */
void recipient_context(struct tvalue *ctx, const struct recipient *r);

#endif
