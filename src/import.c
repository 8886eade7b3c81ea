#include "import.h"

#include <errno.h>
#include <iconv.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "addrhash.h"
#include "csv.h"
#include "erasures.h"
#include "import_fields.h"
#include "import_presets.h"
#include "mailsync.h"
#include "safefile.h"
#include "text.h"
#include "util.h"
#include "xalloc.h"
#include "yamlfile.h"

/* A CSV may be larger than the file it makes (dropped columns); the file
 * itself must stay under YAMLFILE_MAX_SIZE. */
#define IMPORT_CSV_MAX (4 * YAMLFILE_MAX_SIZE)

/* Records are read back and written in batches of about this size. */
#define IMPORT_FLUSH_SIZE ((size_t)256 << 10)

/* The usual name fields of each type, written right after id and email. */
static const char *const name_fields[RTYPE_COUNT][5] = {
	[RTYPE_CONTACTS] = { "first_name", "last_name", "title", "company", NULL },
	[RTYPE_COMPANIES] = { "full_name", NULL },
	[RTYPE_LEADS] = { "first_name", "last_name", "company_name", NULL },
};

/* ---- small helpers ---- */

static int ascii_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* A copy of s without the spaces and tabs around it. */
static char *trimmed(const char *s)
{
	size_t len = strlen(s);

	s = text_trim(s, &len, TEXT_BLANKS);
	return xstrndup(s, len);
}

/* A header cell as a field name (import_header_key()). */
static char *normalise_name(const char *s)
{
	return import_header_key(s);
}

/* Text from the CSV as it may be shown in a message: control characters
 * become '?' and long text is cut. */
static const char *shown(struct buf *b, const char *s)
{
	size_t n;

	buf_reset(b);
	for (n = 0; *s && n < 80; s++, n++)
		buf_addc(b, (unsigned char)*s < 0x20 || *s == 0x7f ? '?' : *s);
	if (*s)
		buf_adds(b, "...");
	return b->ptr;
}

int import_vip_parse(const char *s)
{
	static const char *const yes[] = { "true", "yes", "1", "x" };
	static const char *const no[] = { "false", "no", "0", "" };
	char *v = trimmed(s);
	int ret = -1;
	size_t i;

	for (i = 0; i < 4 && ret < 0; i++) {
		if (!strcasecmp(v, yes[i]))
			ret = 1;
		else if (!strcasecmp(v, no[i]))
			ret = 0;
	}
	free(v);
	return ret;
}

char *import_file_name(const char *csv_path)
{
	const char *base = strrchr(csv_path, '/'), *dot, *p;
	struct buf name = BUF_INIT;

	base = base ? base + 1 : csv_path;
	dot = strrchr(base, '.');
	if (!dot || dot == base)
		dot = base + strlen(base);
	for (p = base; p < dot && name.len < 64; p++) {
		char c = *p;

		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if (!ascii_alnum(c) && c != '_')
			c = '-';
		if (c == '-' && (!name.len || name.ptr[name.len - 1] == '-'))
			continue;
		if (c == '_' && !name.len)
			continue;
		buf_addc(&name, c);
	}
	while (name.len && (name.ptr[name.len - 1] == '-' || name.ptr[name.len - 1] == '_'))
		buf_truncate(&name, name.len - 1);
	if (!name.len) {
		buf_release(&name);
		return NULL;
	}
	return buf_detach(&name, NULL);
}

/* ---- the import ---- */

/* A column that says whether a row opted out: a yes-like cell, or one
 * equal to value (in any case). */
struct opt_out {
	size_t col;
	const char *value;
};

struct import {
	const struct import_request *req;
	const struct config *cfg;
	struct diag_list *diags;
	const char *target; /* recipients/TYPE/NAME.yaml */
	struct import_column *cols;
	size_t ncols;
	size_t *head, *tail; /* name fields in the type's order; the others in the CSV's */
	size_t nhead, ntail;
	long col_id, col_email, col_owner, col_vip;
	long col_split; /* a full name split into first_name and last_name, or -1 */
	int id_from_email; /* ids made from the addresses (col_id -1) */
	/* ids and addresses seen: (file, line), file 0 the CSV, i + 1 paths[i] */
	struct strmap ids, addresses;
	char **paths;
	int npaths;
	/* the file replaced: canonical text by id, and its leading comments */
	struct strmap old;
	struct strmap old_records; /* id -> its mapping in old_doc */
	struct ydoc *old_doc;
	size_t kept; /* old records kept for invalid rows */
	struct buf prefix;
	int exists;
	/* the result, streamed to file: the records not yet written (out),
	 * their canonical texts for the read-back check, the bytes written */
	struct content_file file;
	const char *root;
	struct buf dir; /* recipients/TYPE */
	int made_dirs; /* 1: recipients made for the file, 2: recipients/TYPE */
	int committed;
	struct buf out, canons, scratch, shown;
	size_t *canon_at;
	size_t ncanons, canon_cap, written;
	char *write_error; /* why the file cannot be written, once known */
	size_t records, added, changed, matched, skipped;
	struct fieldset fs;
	/* opt-out columns and the addresses of the rows that opted out */
	struct opt_out *opt_outs;
	size_t nopt_outs;
	struct mailsync_suppression *suppressions;
	char **suppressed;
	size_t nsuppressions, suppressions_cap, suppressed_cap;
	char *source;
	size_t nsuppressed; /* lines added to the suppressions */
	/* erased persons: their rows are dropped (the lines, for the warning) */
	struct erasures erasures;
	struct buf erased_lines;
	size_t erased;
};

static void problem(struct import *im, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void problem(struct import *im, int line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	diag_vadd(im->diags, DIAG_ERROR, im->req->csv_path, line, 0, fmt, ap);
	va_end(ap);
}

static void *pack_location(size_t file, int line)
{
	return (void *)(uintptr_t)(((uint64_t)file << 32) | (uint32_t)line);
}

/* "first at line 4" or "already in recipients/contacts/a.yaml:7". */
static const char *describe_location(struct import *im, const void *v)
{
	uint64_t x = (uint64_t)(uintptr_t)v;
	size_t file = (size_t)(x >> 32);
	int line = (int)(x & 0xffffffffu);

	buf_reset(&im->scratch);
	if (!file)
		buf_addf(&im->scratch, "first at line %d", line);
	else
		buf_addf(&im->scratch, "already in %s:%d", im->paths[file - 1], line);
	return im->scratch.ptr;
}

static int column_by_name(const struct import *im, const char *name)
{
	return import_column_find(im->cols, im->ncols, name);
}

static int apply_map(struct import *im, const char *map)
{
	const char *eq = strrchr(map, '='), *field;
	char *given = NULL, *column = NULL;
	size_t i, matched = 0;
	int ret = IMPORT_USAGE;

	if (!eq) {
		error_set("invalid --map '%s': expected COLUMN=FIELD", map);
		goto done;
	}
	field = eq + 1;
	given = xstrndup(map, (size_t)(eq - map));
	column = normalise_name(given);
	if (strcmp(field, "-") && !text_is_snake_case(field)) {
		error_set("invalid --map '%s': '%s' is not a field name (lower-case letters, digits and '_'; '-' drops the column)",
			  map, field);
		goto done;
	}
	for (i = 0; i < im->ncols; i++) {
		if (strcmp(im->cols[i].key, column))
			continue;
		free(im->cols[i].name);
		im->cols[i].name = strcmp(field, "-") ? xstrdup(field) : NULL;
		im->cols[i].mapped = 1;
		matched++;
	}
	if (!matched) {
		error_set("invalid --map '%s': no column '%s' in '%s'", map, given, im->req->csv_path);
		goto done;
	}
	ret = 0;
done:
	free(given);
	free(column);
	return ret;
}

/* ---- opt-outs ---- */

/* The opt-out columns of known exports, by their normalised names: value
 * NULL for a yes-like cell. */
static const struct {
	const char *key, *value;
} known_opt_outs[] = {
	{ "email_opt_out", NULL }, /* Zoho, Salesforce "Email Opt Out" */
	{ "hasoptedoutofemail", NULL }, /* Salesforce's API name */
	{ "unsubscribed_from_all_email", NULL }, /* HubSpot */
	{ "marketing_contact_status", "Non-marketing contact" }, /* HubSpot */
	{ "marketing_status", "Unsubscribed" }, /* Pipedrive Campaigns */
	{ "massmail", "False" }, /* Django CRM: no mass mailing */
	{ "do_not_email", NULL },
	{ "unsubscribed", NULL },
	{ "opt_out", NULL },
	{ "optout", NULL },
};

/* Whether key is known, also after a prefix ("person_marketing_status":
 * Pipedrive's "Person - Marketing status"). */
static int key_is(const char *key, const char *known)
{
	size_t len = strlen(key), n = strlen(known);

	return !strcmp(key, known) || (len > n && key[len - n - 1] == '_' && !strcmp(key + len - n, known));
}

/* Whether a column's name looks like an opt-out. */
static int looks_like_opt_out(const char *key)
{
	static const char *const parts[] = { "opt_out", "optout", "opted_out", "unsubscri",
					     "do_not_", "donot", "no_email", "no_mail" };
	size_t i;

	for (i = 0; i < sizeof(parts) / sizeof(*parts); i++) {
		if (strstr(key, parts[i]))
			return 1;
	}
	return 0;
}

static void add_opt_out(struct import *im, size_t col, const char *value)
{
	size_t i;

	for (i = 0; i < im->nopt_outs && im->opt_outs[i].col != col; i++)
		;
	if (i == im->nopt_outs)
		im->nopt_outs++;
	im->opt_outs[i].col = col;
	im->opt_outs[i].value = value;
	free(im->cols[col].name);
	im->cols[col].name = NULL;
}

/* The opt-out columns, known and given, taken out of the fields; a
 * warning for another that looks like one.  IMPORT_USAGE for a given
 * column the CSV does not have. */
static int read_opt_outs(struct import *im, int line)
{
	const struct import_request *req = im->req;
	const char *spec, *eq;
	char *given, *key;
	size_t i, k, found;

	im->opt_outs = xcalloc(im->ncols ? im->ncols : 1, sizeof(*im->opt_outs));
	for (i = 0; i < im->ncols; i++) {
		for (k = 0; k < sizeof(known_opt_outs) / sizeof(*known_opt_outs); k++) {
			if (key_is(im->cols[i].key, known_opt_outs[k].key))
				add_opt_out(im, i, known_opt_outs[k].value);
		}
	}
	for (k = 0; k < req->nopt_out_columns; k++) {
		spec = req->opt_out_columns[k];
		eq = strchr(spec, '=');
		given = eq ? xstrndup(spec, (size_t)(eq - spec)) : xstrdup(spec);
		key = normalise_name(given);
		for (i = 0, found = 0; i < im->ncols; i++) {
			if (!strcmp(im->cols[i].key, key)) {
				add_opt_out(im, i, eq ? eq + 1 : NULL);
				found++;
			}
		}
		if (!found)
			error_set("invalid --opt-out-column '%s': no column '%s' in '%s'", spec, given,
				  req->csv_path);
		free(given);
		free(key);
		if (!found)
			return IMPORT_USAGE;
	}
	for (i = 0; i < im->ncols; i++) {
		const char *raw;

		if (!im->cols[i].name || !looks_like_opt_out(im->cols[i].key))
			continue;
		raw = shown(&im->shown, im->cols[i].raw);
		diag_add(im->diags, DIAG_WARNING, req->csv_path, line, 0,
			 "column '%s' looks like an opt-out but is imported as data (--opt-out-column '%s[=VALUE]' honours it, --map '%s=-' drops it)",
			 raw, raw, raw);
	}
	return 0;
}

/* Whether the row opted out: 1, 0, or -1 with a problem for a cell that
 * says neither. */
static int row_opts_out(struct import *im, const struct csv_record *rec)
{
	const struct opt_out *o;
	size_t i, len;
	const char *v;
	int yes, ret = 0;

	for (i = 0; i < im->nopt_outs && ret == 0; i++) {
		o = &im->opt_outs[i];
		v = rec->fields[o->col];
		len = strlen(v);
		v = text_trim(v, &len, TEXT_BLANKS);
		if (o->value) {
			ret = len == strlen(o->value) && !strncasecmp(v, o->value, len);
			continue;
		}
		yes = import_vip_parse(rec->fields[o->col]);
		if (yes < 0) {
			problem(im, rec->line,
				"column '%s' is neither yes nor no: '%s' (expected true or false, yes or no, 1 or 0, x or empty)",
				shown(&im->shown, im->cols[o->col].raw),
				shown(&im->scratch, rec->fields[o->col]));
			ret = -1;
		} else {
			ret = yes;
		}
	}
	return ret;
}

/* A row that opted out: its address kept for the suppressions.  1 when
 * the address is missing or invalid. */
static int suppress_row(struct import *im, const struct csv_record *rec)
{
	char *email = trimmed(rec->fields[im->col_email]);
	const char *why;
	int bad = 1;

	if (!*email) {
		problem(im, rec->line, "opted out, but the address is missing");
	} else if (address_check(email, &why) < 0) {
		problem(im, rec->line, "opted out, but the address '%s' is invalid: %s",
			shown(&im->shown, email), why);
	} else {
		XGROW(im->suppressed, im->suppressed_cap, im->nsuppressions + 1);
		XGROW(im->suppressions, im->suppressions_cap, im->nsuppressions + 1);
		im->suppressed[im->nsuppressions] = email;
		im->suppressions[im->nsuppressions].address = email;
		im->suppressions[im->nsuppressions].reason = "manual";
		im->suppressions[im->nsuppressions].time = im->req->now;
		im->suppressions[im->nsuppressions].source = im->source;
		im->suppressions[im->nsuppressions].added = 0;
		im->nsuppressions++;
		email = NULL;
		bad = 0;
	}
	free(email);
	return bad;
}

/* Where ids come from: the id column, --id-column's, or (--id-from
 * email) none.  IMPORT_USAGE for a wrong option, 1 for a problem. */
static int choose_id_column(struct import *im, int line)
{
	const struct import_request *req = im->req;
	char *key = NULL;
	int id = column_by_name(im, "id"), ret = IMPORT_USAGE;
	size_t i;

	im->col_id = id;
	if (req->id_from && strcmp(req->id_from, "email")) {
		error_set("invalid --id-from '%s': ids can be made from 'email' only", req->id_from);
		goto done;
	}
	if (req->id_from && req->id_column) {
		error_set("--id-from and --id-column exclude each other");
		goto done;
	}
	if (req->id_column) {
		key = normalise_name(req->id_column);
		for (i = 0; i < im->ncols && strcmp(im->cols[i].key, key); i++)
			;
		if (i == im->ncols) {
			error_set("invalid --id-column '%s': no column '%s' in '%s'", req->id_column,
				  req->id_column, req->csv_path);
			goto done;
		}
		im->col_id = (long)i;
	}
	im->id_from_email = req->id_from != NULL;
	if (im->id_from_email)
		im->col_id = -1;
	ret = 0;
	if (id >= 0 && id != im->col_id) {
		problem(im, line, "column %d is field 'id' too, besides --id-%s (--map 'id=-' drops it)",
			id + 1, req->id_from ? "from" : "column");
		ret = 1;
	}
done:
	free(key);
	return ret;
}

/* The id made from an address: the type's prefix and the first 12 hex
 * digits of the address's hash (the SHA-256 of the address in lower case). */
static char *id_from_address(enum recipient_type type, const char *email)
{
	static const char *const prefix[RTYPE_COUNT] = {
		[RTYPE_CONTACTS] = "c-", [RTYPE_COMPANIES] = "co-", [RTYPE_LEADS] = "l-",
	};
	char hash[ADDR_HASH_LEN + 1];
	struct buf id = BUF_INIT;

	addr_hash(email, hash);
	buf_adds(&id, prefix[type]);
	buf_add(&id, hash + sizeof(ADDR_HASH_PREFIX) - 1, 12);
	return buf_detach(&id, NULL);
}

/* A row's id as written: trimmed, or made from its address. */
static char *row_id(const struct import *im, const struct csv_record *rec)
{
	char *email, *id;

	if (!im->id_from_email)
		return trimmed(rec->fields[im->col_id]);
	email = trimmed(rec->fields[im->col_email]);
	id = *email ? id_from_address(im->req->type, email) : xstrdup("");
	free(email);
	return id;
}

/* The header row: columns, maps, field names; the written order. */
static int read_header(struct import *im, const struct csv_record *rec)
{
	const struct import_request *req = im->req;
	size_t i, j, k;
	int bad = 0, r, c;

	if (rec->error[0]) {
		problem(im, rec->line, "in the header: %s", rec->error);
		bad = 1;
	}
	im->ncols = rec->count;
	im->cols = xcalloc(rec->count, sizeof(*im->cols));
	for (i = 0; i < rec->count; i++) {
		im->cols[i].raw = xstrdup(rec->fields[i]);
		im->cols[i].key = normalise_name(rec->fields[i]);
		im->cols[i].name = xstrdup(im->cols[i].key);
	}
	if (rec->count == 1 && strpbrk(rec->fields[0], ";\t")) {
		problem(im, rec->line,
			"the header is one column holding %s: mailout reads comma-separated files (RFC 4180); save the CSV with commas",
			strchr(rec->fields[0], ';') ? "';'" : "tabs");
		return error_set("the header of '%s' needs fixing; nothing was written", req->csv_path);
	}
	for (i = 0; i < req->nmaps; i++) {
		r = apply_map(im, req->maps[i]);
		if (r < 0)
			return r;
	}
	r = read_opt_outs(im, rec->line);
	if (r < 0)
		return r;
	im->col_split = import_presets_apply(im->cols, im->ncols, im->req->type);
	for (i = 0; i < im->ncols; i++) {
		const struct import_column *col = &im->cols[i];
		const char *raw = shown(&im->shown, col->raw);

		if (!col->name)
			continue;
		if (!*col->name) {
			problem(im, rec->line, "column %zu has no name (--map '=FIELD' names it, '=-' drops it)",
				i + 1);
			bad = 1;
		} else if (!text_is_snake_case(col->name)) {
			problem(im, rec->line,
				"column %zu '%s' does not make a field name: use letters, digits, spaces, '-' and '_', starting with a letter (--map '%s=FIELD' renames it, '%s=-' drops it)",
				i + 1, raw, raw, raw);
			bad = 1;
		} else if (ykey_is_secret(col->name)) {
			problem(im, rec->line,
				"column %zu '%s' would keep a secret in the repository: drop it with --map '%s=-'",
				i + 1, raw, raw);
			bad = 1;
		} else {
			for (j = 0; j < i; j++) {
				if (im->cols[j].name && !strcmp(im->cols[j].name, col->name))
					break;
			}
			if (j < i) {
				problem(im, rec->line, "columns %zu and %zu are both field '%s'", j + 1,
					i + 1, col->name);
				bad = 1;
			}
		}
	}
	im->col_email = column_by_name(im, "email");
	im->col_owner = column_by_name(im, "owner");
	im->col_vip = column_by_name(im, "vip");
	r = choose_id_column(im, rec->line);
	if (r < 0)
		return r;
	bad |= r;
	if (im->col_id < 0 && !im->id_from_email) {
		problem(im, rec->line, "no id column (--map COLUMN=id names the column that holds the ids)");
		bad = 1;
	}
	if (im->col_email < 0) {
		problem(im, rec->line, "no email column (--map COLUMN=email names the column that holds the addresses)");
		bad = 1;
	}
	if (im->col_owner < 0 && !req->owner) {
		problem(im, rec->line, "no owner column: add one or give --owner PERSON");
		bad = 1;
	}
	if (bad)
		return error_set("the header of '%s' needs fixing; nothing was written", req->csv_path);
	im->head = xcalloc(im->ncols, sizeof(*im->head));
	im->tail = xcalloc(im->ncols, sizeof(*im->tail));
	for (k = 0; name_fields[req->type][k]; k++) {
		c = column_by_name(im, name_fields[req->type][k]);
		if (c >= 0)
			im->head[im->nhead++] = (size_t)c;
	}
	for (i = 0; i < im->ncols; i++) {
		const char *name = im->cols[i].name;

		if (!name || (long)i == im->col_id || (long)i == im->col_email ||
		    (long)i == im->col_owner || (long)i == im->col_vip || (long)i == im->col_split)
			continue;
		for (k = 0; k < im->nhead && im->head[k] != i; k++)
			;
		if (k == im->nhead)
			im->tail[im->ntail++] = i;
	}
	return 0;
}

/* Splits a tags cell on ';' into f's items, in place. */
static void split_tags(struct fieldset *fs, char *tags)
{
	struct field *f = NULL;
	char *item = tags, *semi;
	size_t len;

	for (; item; item = semi) {
		semi = strchr(item, ';');
		if (semi)
			*semi++ = '\0';
		len = strlen(item);
		item += text_trim(item, &len, TEXT_BLANKS) - item;
		item[len] = '\0';
		if (!*item)
			continue;
		if (!f)
			f = fieldset_add(fs, "tags", 'l', NULL);
		fieldset_add_item(fs, f, item);
	}
}

static void flush_records(struct import *im);

/* Compares the record in im->fs (just added to im->out) with the file
 * replaced and keeps its canonical text for the read-back check. */
static void record_written(struct import *im, const char *id)
{
	struct strmap_entry *e;

	fieldset_canon(&im->scratch, &im->fs);
	e = strmap_get(&im->old, id);
	if (!e) {
		im->added++;
	} else {
		im->matched++;
		if (strcmp(e->value, im->scratch.ptr))
			im->changed++;
	}
	XGROW(im->canon_at, im->canon_cap, im->ncanons + 1);
	im->canon_at[im->ncanons++] = im->canons.len;
	buf_add(&im->canons, im->scratch.ptr, im->scratch.len + 1);
	im->records++;
	if (im->out.len >= IMPORT_FLUSH_SIZE)
		flush_records(im);
}

/* The key cells of a record, trimmed (owner: --owner for an empty one). */
struct record_keys {
	char *id, *email, *owner;
	char *address; /* email in lower case, once the keys are valid */
	int vip;
};

static void record_keys_release(struct record_keys *k)
{
	free(k->id);
	free(k->email);
	free(k->owner);
	free(k->address);
}

/* Whether the To header's display name is made of field `name`. */
static int names_recipient(enum recipient_type type, const char *name)
{
	if (type == RTYPE_COMPANIES)
		return !strcmp(name, "full_name");
	return !strcmp(name, "first_name") || !strcmp(name, "last_name");
}

/* The record as CSV: its reader's error, the number of fields, each
 * mapped cell without a control character, and on one line where
 * the To header uses it.  1 when there is a problem. */
static int check_cells(struct import *im, const struct csv_record *rec)
{
	const char *raw;
	int bad = 0, line = rec->line;
	size_t i;

	if (rec->error[0]) {
		problem(im, line, "%s", rec->error);
		bad = 1;
	}
	if (rec->count != im->ncols) {
		/* a record cut at CSV_MAX_FIELDS has its error already */
		if (rec->count < CSV_MAX_FIELDS || !rec->error[0])
			problem(im, line, "%zu field%s, but the header has %zu", rec->count,
				rec->count == 1 ? "" : "s", im->ncols);
		return 1;
	}
	for (i = 0; i < im->ncols; i++) {
		const char *v = rec->fields[i];
		const struct csv_control *ctl = &rec->controls[i];

		if (!im->cols[i].name)
			continue;
		raw = shown(&im->shown, im->cols[i].raw);
		if (ctl->c > 0) {
			diag_add(im->diags, DIAG_ERROR, im->req->csv_path, ctl->line, ctl->col,
				 "column '%s' holds the control character \\x%02x, which a message cannot carry (--map '%s=-' drops the column)",
				 raw, (unsigned)ctl->c, raw);
			bad = 1;
		} else if ((names_recipient(im->req->type, im->cols[i].name) || (long)i == im->col_split) &&
			   strchr(v, '\n')) {
			problem(im, line,
				"column '%s' holds a line break, which the To header cannot carry (field '%s')",
				raw, im->cols[i].name);
			bad = 1;
		}
	}
	return bad;
}

/* The person an owner cell names: the id as it is, else the id, e-mail
 * or name in any case, when one person only has it (*many set when more
 * have). */
static const struct person *find_owner(const struct config *cfg, const char *s, int *many)
{
	const struct person *found = config_person(cfg, s);
	size_t i;

	*many = 0;
	if (found)
		return found;
	for (i = 0; i < cfg->npeople; i++) {
		const struct person *p = &cfg->people[i];

		if (!p->id || !(!strcasecmp(p->id, s) || (p->email && !strcasecmp(p->email, s)) ||
				(p->name && !strcasecmp(p->name, s))))
			continue;
		if (found)
			*many = 1;
		found = p;
	}
	return *many ? NULL : found;
}

/* Reads and checks id, email, owner and vip.  1 when there is a problem. */
static int read_keys(struct import *im, const struct csv_record *rec, struct record_keys *k)
{
	const struct person *owner;
	const char *why;
	int bad = 0, line = rec->line, many;

	k->id = row_id(im, rec);
	if (!*k->id) {
		problem(im, line, "missing id");
		bad = 1;
	} else if (id_check(k->id) < 0) {
		problem(im, line, "invalid id '%s': use letters, digits, '.', '_' and '-' (at most 64)",
			shown(&im->shown, k->id));
		bad = 1;
	}
	k->email = trimmed(rec->fields[im->col_email]);
	if (!*k->email) {
		problem(im, line, "missing email");
		bad = 1;
	} else if (address_check(k->email, &why) < 0) {
		problem(im, line, "invalid address '%s': %s", shown(&im->shown, k->email), why);
		bad = 1;
	}
	k->owner = im->col_owner >= 0 ? trimmed(rec->fields[im->col_owner]) : xstrdup("");
	if (!*k->owner && im->req->owner) {
		free(k->owner);
		k->owner = xstrdup(im->req->owner);
	}
	if (!*k->owner) {
		problem(im, line, "missing owner (--owner PERSON sets it for such rows)");
		bad = 1;
	} else if (!(owner = find_owner(im->cfg, k->owner, &many))) {
		if (many)
			problem(im, line, "owner '%s' names more than one person: use the id",
				shown(&im->shown, k->owner));
		else
			problem(im, line, "unknown owner '%s'", shown(&im->shown, k->owner));
		bad = 1;
	} else if (strcmp(owner->id, k->owner)) {
		free(k->owner);
		k->owner = xstrdup(owner->id);
	}
	if (im->col_vip >= 0) {
		k->vip = import_vip_parse(rec->fields[im->col_vip]);
		if (k->vip < 0) {
			problem(im, line,
				"invalid vip '%s': expected true or false, yes or no, 1 or 0, x or empty",
				shown(&im->shown, rec->fields[im->col_vip]));
			bad = 1;
		}
	}
	return bad;
}

/* An id or address taken by an earlier row or another file: 1.  Else
 * both are taken now, by this row. */
static int claim_keys(struct import *im, int line, struct record_keys *k)
{
	struct strmap_entry *e;
	int bad = 0, added;

	k->address = xstrdup(k->email);
	str_lower(k->address);
	e = strmap_get(&im->ids, k->id);
	if (e) {
		problem(im, line, "duplicate id '%s' (%s)", k->id, describe_location(im, e->value));
		bad = 1;
	}
	e = strmap_get(&im->addresses, k->address);
	if (e) {
		problem(im, line, "duplicate address '%s' (%s)", k->email,
			describe_location(im, e->value));
		bad = 1;
	}
	if (bad)
		return 1;
	strmap_put(&im->ids, k->id, &added)->value = pack_location(0, line);
	strmap_put(&im->addresses, k->address, &added)->value = pack_location(0, line);
	return 0;
}

/* The record in the file's field order: id, email, the columns before
 * owner, owner, vip, the columns after (tags split on ';'). */
static void write_record(struct import *im, const struct csv_record *rec,
			 const struct record_keys *k)
{
	struct buf split = BUF_INIT;
	char *tags = NULL;
	size_t i;

	fieldset_reset(&im->fs);
	fieldset_add(&im->fs, "id", 's', k->id);
	fieldset_add(&im->fs, "email", 's', k->email);
	if (im->col_split >= 0)
		fieldset_add_split_name(&im->fs, &split, rec->fields[im->col_split]);
	for (i = 0; i < im->nhead; i++) {
		if (*rec->fields[im->head[i]])
			fieldset_add(&im->fs, im->cols[im->head[i]].name, 's', rec->fields[im->head[i]]);
	}
	fieldset_add(&im->fs, "owner", 's', k->owner);
	fieldset_add(&im->fs, "vip", 'b', k->vip ? "true" : "false");
	for (i = 0; i < im->ntail; i++) {
		const char *name = im->cols[im->tail[i]].name, *v = rec->fields[im->tail[i]];

		if (!*v)
			continue;
		if (!strcmp(name, "tags")) {
			free(tags);
			tags = xstrdup(v);
			split_tags(&im->fs, tags);
		} else {
			fieldset_add(&im->fs, name, 's', v);
		}
	}
	fieldset_yaml(&im->out, &im->fs);
	record_written(im, k->id);
	free(tags);
	buf_release(&split);
}

/* Whether every field of the record is empty or blank (Excel's ",,,,"). */
static int blank_record(const struct csv_record *rec)
{
	size_t i, len;

	for (i = 0; i < rec->count; i++) {
		len = strlen(rec->fields[i]);
		text_trim(rec->fields[i], &len, TEXT_BLANKS);
		if (len)
			return 0;
	}
	return 1;
}

/*
 * The lines after the records that are no records: a report's footer
 * (Salesforce: copyright, "Generated By", the company), each one field or
 * blank, after the last record of the header's field count.  *first_out
 * and *last_out get the lines of its first and last record (0: none).
 * reader is at the first record after the header; it is copied.
 */
static void find_footer(int *first_out, int *last_out, const struct csv_reader *reader,
			size_t ncols)
{
	struct csv_reader r = *reader;
	struct csv_record rec = CSV_RECORD_INIT;
	int first = 0, last = 0;

	while (csv_read(&r, &rec) > 0) {
		if (blank_record(&rec))
			continue;
		if (rec.count == 1 && ncols > 1) {
			if (!first)
				first = rec.line;
			last = r.line - (r.pos == r.end && r.pos > r.line_start ? 0 : 1);
		} else {
			first = last = 0;
		}
	}
	csv_record_release(&rec);
	*first_out = first;
	*last_out = last;
}

/* A row refused with --replace: the record of its id in the file replaced
 * is kept as it was (a warning), unless its id or address is taken. */
static void keep_old_record(struct import *im, const struct csv_record *rec)
{
	struct strmap_entry *e;
	const struct ynode *m, *email;
	char *id = row_id(im, rec), *address = NULL;
	size_t i;
	int added;

	e = strmap_get(&im->old_records, id);
	if (!e || strmap_get(&im->ids, id))
		goto done;
	m = e->value;
	email = ynode_get(m, "email");
	if (!email || email->kind != YNODE_SCALAR)
		goto done;
	address = xstrdup(email->value);
	str_lower(address);
	if (strmap_get(&im->addresses, address))
		goto done;
	fieldset_from_node(&im->fs, m);
	for (i = 0; i < im->fs.count && im->fs.fields[i].kind != 'x'; i++)
		;
	if (i < im->fs.count)
		goto done; /* a value the import cannot write: the record goes */
	strmap_put(&im->ids, id, &added)->value = pack_location(0, rec->line);
	strmap_put(&im->addresses, address, &added)->value = pack_location(0, rec->line);
	fieldset_yaml(&im->out, &im->fs);
	record_written(im, id);
	im->kept++;
	diag_add(im->diags, DIAG_WARNING, im->req->csv_path, rec->line, 0,
		 "the record '%s' of %s is kept as it was", shown(&im->shown, id), im->target);
done:
	free(id);
	free(address);
}

/* A row of an erased person is not written, whatever else it holds (an
 * opt-out too: the erased suppression already keeps the person out).  1
 * when dropped. */
static int erased_row(struct import *im, const struct csv_record *rec)
{
	char *email;
	int line;

	if (!im->erasures.by_hash.count || rec->count != im->ncols)
		return 0;
	email = trimmed(rec->fields[im->col_email]);
	line = *email ? erasures_line(&im->erasures, email) : 0;
	free(email);
	if (!line)
		return 0;
	if (im->erased < 10)
		buf_addf(&im->erased_lines, "%s%d", im->erased ? ", " : "", rec->line);
	else if (im->erased == 10)
		buf_adds(&im->erased_lines, ", ...");
	im->erased++;
	return 1;
}

static void import_record(struct import *im, const struct csv_record *rec)
{
	struct record_keys keys;
	int bad;

	memset(&keys, 0, sizeof(keys));
	if (blank_record(rec) || erased_row(im, rec))
		return;
	if (rec->count == im->ncols && im->nopt_outs) {
		bad = row_opts_out(im, rec);
		if (bad > 0) {
			bad = suppress_row(im, rec);
			goto done;
		}
		if (bad < 0) {
			bad = 1;
			goto done;
		}
	}
	bad = check_cells(im, rec);
	if (rec->count != im->ncols)
		goto done;
	bad |= read_keys(im, rec, &keys);
	if (!bad)
		bad = claim_keys(im, rec->line, &keys);
	if (!bad)
		write_record(im, rec, &keys);
done:
	if (bad) {
		im->skipped++;
		if (im->req->replace && rec->count == im->ncols)
			keep_old_record(im, rec);
	}
	record_keys_release(&keys);
}

/* Every other file of the type: ids and addresses already taken. */
static void on_other_record(const struct recipient *r, void *payload)
{
	struct import *im = payload;
	struct strmap_entry *e;
	int added;

	e = strmap_put(&im->ids, r->id, &added);
	if (added)
		e->value = pack_location((size_t)im->npaths, r->line);
	e = strmap_put(&im->addresses, r->address, &added);
	if (added)
		e->value = pack_location((size_t)im->npaths, r->line);
}

static void scan_other_files(struct import *im, const char *root)
{
	struct recipient_scan scan;
	struct diag_list ignored = DIAG_LIST_INIT;
	char **files = NULL;
	int n, i;

	n = recipients_files(&files, root, im->req->type);
	if (n < 0) {
		error_clear();
		return;
	}
	im->paths = xcalloc((size_t)n + 1, sizeof(*im->paths));
	recipient_scan_init(&scan);
	for (i = 0; i < n; i++) {
		if (!strcmp(files[i], im->target))
			continue;
		im->paths[im->npaths++] = xstrdup(files[i]);
		if (recipients_scan_file(&scan, root, files[i], im->req->type, NULL, on_other_record,
					 im, &ignored) < 0)
			diag_add(im->diags, DIAG_WARNING, files[i], 0, 0,
				 "does not load, so the import could not check it for duplicates ('mailout validate' tells why)");
		diag_release(&ignored);
	}
	recipient_scan_release(&scan);
	free_list(files, (size_t)n);
}

/* The file replaced: each record's canonical text by id, and the comment
 * lines it starts with. */
static int load_existing(struct import *im, const char *root)
{
	struct ydoc *doc = NULL;
	struct buf text = BUF_INIT;
	const char *p;
	size_t i;
	int added, ret = -1;

	if (ydoc_load_file(&doc, root, im->target, im->diags) < 0) {
		error_set("'%s' does not load: fix or remove it first; nothing was written", im->target);
		goto done;
	}
	if (doc->root && doc->root->kind != YNODE_SEQ) {
		error_set("'%s' is not a list of records: fix or remove it first; nothing was written",
			  im->target);
		goto done;
	}
	for (i = 0; doc->root && i < doc->root->count; i++) {
		const struct ynode *m = doc->root->items[i], *id = ynode_get(m, "id");
		struct strmap_entry *e;

		if (!id || id->kind != YNODE_SCALAR || ynode_is_null(id))
			continue;
		e = strmap_put(&im->old, id->value, &added);
		if (!added)
			continue;
		fieldset_from_node(&im->fs, m);
		fieldset_canon(&im->scratch, &im->fs);
		e->value = xstrdup(im->scratch.ptr);
		strmap_put(&im->old_records, id->value, &added)->value = (void *)m;
	}
	if (content_read(&text, root, im->target, YAMLFILE_MAX_SIZE, NULL) == 0) {
		for (p = text.ptr; *p == '#' || *p == '\n' || *p == '\r';) {
			const char *nl = strchr(p, '\n');
			p = nl ? nl + 1 : p + strlen(p);
		}
		buf_add(&im->prefix, text.ptr, (size_t)(p - text.ptr));
		if (im->prefix.len && im->prefix.ptr[im->prefix.len - 1] != '\n')
			buf_addc(&im->prefix, '\n');
	}
	ret = 0;
done:
	im->old_doc = doc;
	buf_release(&text);
	return ret;
}

/* The first line of a new file. */
static void new_file_comment(struct import *im)
{
	const char *base = strrchr(im->req->csv_path, '/'), *p;
	int clean;

	base = base ? base + 1 : im->req->csv_path;
	clean = *base && text_utf8_valid(base, strlen(base));
	for (p = base; clean && *p; p++)
		clean = (unsigned char)*p >= 0x20 && *p != 0x7f;
	if (clean)
		buf_addf(&im->prefix, "# Imported from %s with mailout import.\n", base);
	else
		buf_adds(&im->prefix, "# Imported with mailout import.\n");
}

/* The records of im->out must read back as the records meant (the
 * canonical texts of im->canons). */
static int read_back(struct import *im, const char *text, size_t len)
{
	struct diag_list diags = DIAG_LIST_INIT;
	struct ydoc *doc = NULL;
	size_t i;
	int ret = -1;

	if (ydoc_parse(&doc, im->target, text, len, 1, &diags) < 0 || !doc->root ||
	    doc->root->kind != YNODE_SEQ || doc->root->count != im->ncanons) {
		error_set("internal error: the records written to '%s' do not read back", im->target);
		goto done;
	}
	for (i = 0; i < doc->root->count; i++) {
		if (doc->root->items[i]->kind != YNODE_MAP)
			break;
		fieldset_from_node(&im->fs, doc->root->items[i]);
		fieldset_canon(&im->scratch, &im->fs);
		if (strcmp(im->scratch.ptr, im->canons.ptr + im->canon_at[i]))
			break;
	}
	if (i < doc->root->count) {
		error_set("internal error: record %zu written to '%s' does not read back as imported",
			  im->records - im->ncanons + i + 1, im->target);
		goto done;
	}
	ret = 0;
done:
	ydoc_free(doc);
	diag_release(&diags);
	return ret;
}

/* The records of im->out, read back, go to the file (unless it cannot be
 * written, or would be too large: im->write_error then says why). */
static void flush_records(struct import *im)
{
	if (!im->out.len)
		return;
	if (im->write_error)
		goto done;
	if (im->written + im->out.len > YAMLFILE_MAX_SIZE) {
		error_set("'%s' would be larger than %zu MiB, the limit of a recipient file: split the CSV",
			  im->target, YAMLFILE_MAX_SIZE >> 20);
		im->write_error = xstrdup(error_last());
		goto done;
	}
	if (read_back(im, im->out.ptr, im->out.len) < 0 ||
	    content_atomic_write(&im->file, im->out.ptr, im->out.len) < 0) {
		im->write_error = xstrdup(error_last());
		goto done;
	}
	im->written += im->out.len;
done:
	buf_reset(&im->out);
	buf_reset(&im->canons);
	im->ncanons = 0;
}

static void import_release(struct import *im)
{
	size_t i;

	for (i = 0; i < im->ncols; i++) {
		free(im->cols[i].raw);
		free(im->cols[i].key);
		free(im->cols[i].name);
	}
	free(im->cols);
	free(im->head);
	free(im->tail);
	strmap_release(&im->ids, NULL);
	strmap_release(&im->addresses, NULL);
	free_list(im->paths, (size_t)im->npaths);
	strmap_release(&im->old, free);
	strmap_release(&im->old_records, NULL);
	ydoc_free(im->old_doc);
	buf_release(&im->prefix);
	buf_release(&im->out);
	buf_release(&im->canons);
	buf_release(&im->scratch);
	buf_release(&im->shown);
	free(im->canon_at);
	free(im->write_error);
	content_atomic_abort(&im->file);
	if (!im->committed && im->made_dirs & 2)
		content_remove(im->root, im->dir.ptr, 1);
	if (!im->committed && im->made_dirs & 1)
		content_remove(im->root, "recipients", 1);
	buf_release(&im->dir);
	fieldset_release(&im->fs);
	free(im->opt_outs);
	free_list(im->suppressed, im->nsuppressions);
	erasures_release(&im->erasures);
	buf_release(&im->erased_lines);
	free(im->suppressions);
	free(im->source);
}

/* The file's name: --into (without .yaml), or one made from the CSV's
 * name.  IMPORT_USAGE with error_set() when there is none. */
static int target_name(char **out, const struct import_request *req)
{
	char *name = NULL;
	int ret = IMPORT_USAGE;

	*out = NULL;
	if (!req->into) {
		name = import_file_name(req->csv_path);
		if (!name) {
			error_set("cannot make a file name from '%s': give one with --into NAME",
				  req->csv_path);
			goto done;
		}
	} else {
		name = xstrdup(req->into);
		if (str_has_suffix(name, ".yaml"))
			name[strlen(name) - 5] = '\0';
		if (id_check(name) < 0) {
			error_set("invalid --into '%s': use letters, digits, '.', '_' and '-' (at most 64)",
				  req->into);
			goto done;
		}
	}
	*out = name;
	name = NULL;
	ret = 0;
done:
	free(name);
	return ret;
}

/* The CSV as UTF-8: converted from encoding (iconv's names), or from
 * UTF-16 when it starts with that byte-order mark.  -1 after error_set(). */
static int decode_csv(struct buf *csv, const char *encoding, const char *path)
{
	struct buf out = BUF_INIT, tmp;
	iconv_t cd = (iconv_t)-1;
	char *in, *o;
	size_t inleft, oleft, done_len;
	int ret = -1;

	if (!encoding && csv->len >= 2 &&
	    (!memcmp(csv->ptr, "\xff\xfe", 2) || !memcmp(csv->ptr, "\xfe\xff", 2)))
		encoding = "UTF-16";
	if (!encoding || !strcasecmp(encoding, "utf-8") || !strcasecmp(encoding, "utf8"))
		return 0;
	cd = iconv_open("UTF-8", encoding);
	if (cd == (iconv_t)-1) {
		error_set("unknown encoding '%s' (windows-1252, iso-8859-1, utf-16, ...)", encoding);
		return IMPORT_USAGE;
	}
	in = csv->ptr;
	inleft = csv->len;
	while (inleft) {
		buf_grow(&out, inleft * 2 + 16);
		o = out.ptr + out.len;
		oleft = out.cap - out.len - 1;
		done_len = oleft;
		if (iconv(cd, &in, &inleft, &o, &oleft) == (size_t)-1 && errno != E2BIG) {
			error_set("'%s' is not %s text at byte %zu (0x%02x)", path, encoding,
				  (size_t)(in - csv->ptr), (unsigned char)*in);
			goto done;
		}
		out.len += done_len - oleft;
		out.ptr[out.len] = '\0';
	}
	tmp = *csv;
	*csv = out;
	out = tmp;
	ret = 0;
done:
	iconv_close(cd);
	buf_release(&out);
	return ret;
}

/* The CSV, decoded, must be UTF-8: else one error at the first byte that
 * is not (its line and column, offset and value).  -1 after error_set(). */
static int check_utf8(struct import *im, const struct buf *csv)
{
	size_t at = text_utf8_valid_len(csv->ptr, csv->len), i, start = 0;
	int line = 1;

	if (at == csv->len)
		return 0;
	for (i = 0; i < at; i++) {
		if (csv->ptr[i] == '\n' || (csv->ptr[i] == '\r' && csv->ptr[i + 1] != '\n')) {
			line++;
			start = i + 1;
		}
	}
	diag_add(im->diags, DIAG_ERROR, im->req->csv_path, line,
		 (int)text_utf8_length(csv->ptr + start, at - start) + 1,
		 "byte 0x%02x (offset %zu) is not UTF-8: give the file's encoding with --encoding (windows-1252 for Excel on Windows)",
		 (unsigned char)csv->ptr[at], at);
	return error_set("'%s' is not UTF-8 text; nothing was written", im->req->csv_path);
}

/* A quoted field the CSV ends in: nothing is written.  -1. */
static int unterminated(struct import *im, const struct csv_record *rec, const char *csv_path)
{
	problem(im, rec->line, "%s", rec->error);
	return error_set("'%s' ends inside a quoted field; nothing was written", csv_path);
}

/* The file, its folders made when missing (removed again unless it is
 * written), begins with the prefix.  -1 after error_set(). */
static int begin_file(struct import *im, const char *root)
{
	int r;

	buf_addf(&im->dir, "recipients/%s", recipient_type_name(im->req->type));
	r = content_dir_check(root, "recipients");
	if (r == 0)
		im->made_dirs = 3;
	else if (r == 1 && (r = content_dir_check(root, im->dir.ptr)) == 0)
		im->made_dirs = 2;
	if (r < 0 || (im->made_dirs && content_mkdirs(root, im->dir.ptr) < 0))
		return -1;
	if (content_atomic_begin(&im->file, root, im->target) < 0)
		return -1;
	if (content_atomic_write(&im->file, im->prefix.ptr, im->prefix.len) < 0)
		return -1;
	im->written = im->prefix.len;
	return 0;
}

/* The file to write: replaced only with --replace (its records read
 * first), else new; the other files' ids and addresses are taken. */
static int open_target(struct import *im, const char *root)
{
	struct stat st;
	int r;

	r = content_stat(root, im->target, &st);
	if (r == CONTENT_REFUSED)
		return -1;
	im->exists = r == 0;
	if (im->exists && !im->req->replace)
		return error_set("'%s' exists: use --replace to update it or --into NAME for another file",
				 im->target);
	if (im->exists && load_existing(im, root) < 0)
		return -1;
	if (!im->exists)
		new_file_comment(im);
	scan_other_files(im, root);
	return begin_file(im, root);
}

/* Writes the file when every record was valid (or --skip-invalid), there
 * is one at least, and it reads back as imported. */
static int write_target(struct import *im, const char *root)
{
	const struct import_request *req = im->req;
	int ret = -1;

	flush_records(im);
	if (im->write_error) {
		error_set("%s", im->write_error);
		goto done;
	}
	if (im->skipped && !req->skip_invalid) {
		error_set("%zu of %zu record%s in '%s' %s invalid; nothing was written (--skip-invalid imports the others)",
			  im->skipped, im->skipped + im->records, im->skipped + im->records == 1 ? "" : "s",
			  req->csv_path, im->skipped == 1 ? "is" : "are");
		goto done;
	}
	if (!im->records) {
		error_set("no records to import in '%s'; nothing was written", req->csv_path);
		goto done;
	}
	if (im->nsuppressions &&
	    mailsync_suppress(root, im->suppressions, im->nsuppressions, im->cfg->hash_suppressions,
			      &im->nsuppressed) < 0)
		goto done;
	if (content_atomic_commit(&im->file) < 0)
		goto done;
	im->committed = 1;
	ret = 0;
done:
	return ret;
}

int import_csv(struct import_result *out, const char *root, const struct config *cfg,
	       const struct import_request *req, struct diag_list *diags)
{
	struct import im;
	struct csv_reader reader;
	struct csv_record rec = CSV_RECORD_INIT;
	struct buf csv = BUF_INIT;
	const char *type = recipient_type_name(req->type);
	char *name = NULL;
	int r, ret = -1, footer, footer_last, many;

	memset(out, 0, sizeof(*out));
	memset(&im, 0, sizeof(im));
	im.req = req;
	im.cfg = cfg;
	im.diags = diags;
	im.root = root;
	im.file = (struct content_file)CONTENT_FILE_INIT;
	im.prefix = im.out = im.canons = im.scratch = im.shown = im.dir = (struct buf)BUF_INIT;
	im.erased_lines = (struct buf)BUF_INIT;

	r = target_name(&name, req);
	if (r < 0) {
		ret = r;
		goto done;
	}
	out->path = xasprintf("recipients/%s/%s.yaml", type, name);
	im.target = out->path;
	im.source = xasprintf("import:%s", strrchr(req->csv_path, '/') ? strrchr(req->csv_path, '/') + 1 : req->csv_path);
	if (buf_read_file(&csv, req->csv_path, IMPORT_CSV_MAX) < 0) {
		error_set("cannot read '%s': %s", req->csv_path,
			  errno == EFBIG ? "file too large" : strerror(errno));
		goto done;
	}

	r = decode_csv(&csv, req->encoding, req->csv_path);
	if (r < 0) {
		ret = r;
		goto done;
	}
	if (check_utf8(&im, &csv) < 0)
		goto done;
	csv_reader_init(&reader, csv.ptr, csv.len);
	reader.delimiter = req->delimiter ? req->delimiter
					  : csv_detect_delimiter(reader.pos, (size_t)(reader.end - reader.pos));
	r = csv_read(&reader, &rec);
	if (r == 0) {
		error_set("'%s' is empty: expected a header row naming the fields", req->csv_path);
		goto done;
	}
	if (r < 0) {
		unterminated(&im, &rec, req->csv_path);
		goto done;
	}
	r = read_header(&im, &rec);
	if (r < 0) {
		ret = r;
		goto done;
	}
	if (req->owner && !find_owner(cfg, req->owner, &many)) {
		error_set("unknown owner '%s': --owner takes a person of mailout.yaml", req->owner);
		goto done;
	}
	if (open_target(&im, root) < 0)
		goto done;
	if (erasures_load(&im.erasures, root) < 0)
		goto done;
	find_footer(&footer, &footer_last, &reader, im.ncols);
	while ((r = csv_read(&reader, &rec)) > 0 && (!footer || rec.line < footer))
		import_record(&im, &rec);
	if (r < 0) {
		unterminated(&im, &rec, req->csv_path);
		goto done;
	}
	if (footer && footer_last > footer)
		diag_add(diags, DIAG_WARNING, req->csv_path, footer, 0,
			 "lines %d-%d after the records are no records (a report's footer): skipped",
			 footer, footer_last);
	else if (footer)
		diag_add(diags, DIAG_WARNING, req->csv_path, footer, 0,
			 "line %d after the records is no record (a report's footer): skipped", footer);
	if (im.erased)
		diag_add(diags, DIAG_WARNING, req->csv_path, 0, 0,
			 "%zu row%s dropped: erased person%s (line%s %s)", im.erased,
			 im.erased == 1 ? "" : "s", im.erased == 1 ? "" : "s", im.erased == 1 ? "" : "s",
			 im.erased_lines.ptr);
	out->records = im.records;
	out->erased = im.erased;
	out->added = im.added;
	out->changed = im.changed;
	out->removed = im.old.count - im.matched;
	out->skipped = im.skipped;
	out->opted_out = im.nsuppressions;
	out->kept = im.kept;
	ret = write_target(&im, root);
	out->suppressed = im.nsuppressed;
done:
	csv_record_release(&rec);
	import_release(&im);
	buf_release(&csv);
	free(name);
	return ret;
}

void import_result_release(struct import_result *r)
{
	free(r->path);
	memset(r, 0, sizeof(*r));
}
