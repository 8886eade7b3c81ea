/*
 * YAML files as small document trees with a file position on every node.
 *
 * libyaml's events are turned into nodes allocated from one arena per
 * document, so a document is freed at once.  Anchors, aliases, tags and
 * multiple documents are refused (an alias bomb fails at its first alias);
 * files over YAMLFILE_MAX_SIZE are refused before parsing.  Duplicate keys
 * in a mapping are errors.  Lists and mappings nest at most
 * YAMLFILE_MAX_DEPTH levels deep and a mapping has at most
 * YAMLFILE_MAX_KEYS keys: both are checked while the file is read, so
 * any file within the size limit is parsed in linear time.  Problems are
 * reported as diagnostics.
 */
#ifndef MAILOUT_YAMLFILE_H
#define MAILOUT_YAMLFILE_H

#include <stddef.h>

#include "diag.h"

#define YAMLFILE_MAX_SIZE ((size_t)64 << 20)
#define YAMLFILE_MAX_DEPTH 64
#define YAMLFILE_MAX_KEYS 1000

enum ynode_kind { YNODE_SCALAR, YNODE_SEQ, YNODE_MAP };

struct ynode {
	enum ynode_kind kind;
	int line, col; /* 1-based */
	int plain; /* scalar written without quotes */
	const char *value; /* scalar text, NUL-terminated (may hold NULs: see len) */
	size_t len;
	/* seq: items[0..count); map: items[2*i] is the key, items[2*i+1] its value */
	struct ynode **items;
	size_t count;
};

struct ydoc {
	char *path; /* as given, for diagnostics */
	struct ynode *root; /* NULL for an empty document */
	struct arena *arena;
};

/* Parses a file; path is relative to root and is what diagnostics show.
 * Returns 0, or -1 after adding diagnostics (*out is then NULL). */
int ydoc_load_file(struct ydoc **out, const char *root, const char *path, struct diag_list *diags);
/* The reading half of ydoc_load_file(): appends the file to text, or
 * returns -1 after adding a diagnostic (refused, too large, unreadable). */
struct buf;
int ydoc_read_file(struct buf *text, const char *root, const char *path, struct diag_list *diags);
/* The diagnostic of ydoc_read_file() for a read of path that failed
 * with errno (not refused). */
void ydoc_read_failed(const char *path, struct diag_list *diags);
/* Parses text that starts at line0 of path (front matter, tests).  A
 * UTF-8 byte-order mark at its start is skipped (columns of line 1 count
 * from after it); CRLF line ends are read like LF. */
int ydoc_parse(struct ydoc **out, const char *path, const char *text, size_t len, int line0,
	       struct diag_list *diags);
void ydoc_free(struct ydoc *doc);
/* 3 when text starts with a UTF-8 byte-order mark (editors on Windows
 * write one), else 0: every reader of YAML and Markdown skips it. */
size_t ydoc_bom_len(const char *text, size_t len);

/* Mapping lookup; NULL when absent or when map is not a mapping. */
const struct ynode *ynode_get(const struct ynode *map, const char *key);
const char *ynode_kind_name(enum ynode_kind kind);
int ynode_is_null(const struct ynode *n); /* absent, or plain ~ / null / empty */
/* What s, written as a plain scalar, may be read as instead of a string,
 * for writers that quote such strings (words in any case):
 *   YWORD_COMMON  null or a boolean: ~ null true false yes no on off
 *   YWORD_RARE    what only some YAML 1.1 readers take for a boolean, the
 *                 merge key, an infinity or not-a-number: y n = << .inf
 *                 +.inf -.inf .nan
 *   YWORD_NONE    any other string (numbers and dates are not looked at). */
enum yword { YWORD_NONE, YWORD_COMMON, YWORD_RARE };
enum yword yscalar_typed_word(const char *s);

/*
 * Checked access that reports a diagnostic at the node on failure.
 * Each returns 0 or -1.  `what` names the value in the message.
 */
int ynode_expect(const struct ydoc *doc, const struct ynode *n, enum ynode_kind kind,
		 const char *what, struct diag_list *diags);
int ynode_bool(const struct ydoc *doc, const struct ynode *n, int *out, struct diag_list *diags);
int ynode_int(const struct ydoc *doc, const struct ynode *n, long min, long max, long *out,
	      struct diag_list *diags);

/* The keys a mapping may have. */
#define YKEY_REQUIRED 1u
struct ykey {
	const char *name;
	unsigned flags;
};

/* Reports unknown keys (with the closest known one) and missing required
 * keys of a mapping; `what` names the mapping ("account 'x'").  keys ends
 * with a { NULL, 0 } entry.  Returns the number of problems. */
int ymap_check(const struct ydoc *doc, const struct ynode *map, const char *what,
	       const struct ykey *keys, struct diag_list *diags);

/* Keys that would hold a secret (password, token, api_key, ...). */
int ykey_is_secret(const char *key);
/* Reports every secret-looking key anywhere in the document: secrets come
 * from the environment, named by an *_env key.  ymap_check() leaves these
 * keys to this check. */
void ydoc_check_secrets(const struct ydoc *doc, struct diag_list *diags);

void ydiag(struct diag_list *diags, const struct ydoc *doc, const struct ynode *n,
	   enum diag_severity sev, const char *fmt, ...) __attribute__((format(printf, 5, 6)));

#endif
