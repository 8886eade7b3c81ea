/*
 * Recipient import: a CSV export of a CRM becomes recipients/TYPE/NAME.yaml,
 * one record per line in flow style, as people write them:
 *
 *   - { id: c-1001, email: jana@example.net, first_name: Jana, owner: alice, vip: true, country: DE }
 *
 * The header row names the fields: names are lower-cased and each run of
 * spaces, dashes and other punctuation becomes one underscore ("First
 * Name" is first_name); a map renames a column or drops it.  The columns of
 * known exports that no map names are their fields (import_presets.h:
 * "E-mail Address" is email, "Contact Owner" owner, "Account Name" the
 * type's company field, ...); for contacts and leads without a first or
 * last name column, a "Name" or "Full Name" column is split into
 * first_name and last_name at its last space.  Keys are written in a stable order: id, email, the
 * type's usual name fields (contacts: first_name, last_name, title,
 * company; leads: first_name, last_name, company_name; companies:
 * full_name), owner, vip, then the other columns in the CSV's order.
 * Empty cells are left out; vip becomes true or false (true, yes, 1 or x;
 * false, no, 0 or empty, in any case); a tags column is a list split on
 * ';'.  Spaces around id, email, owner, vip and each tag are dropped; other
 * values are kept exactly, in double quotes when YAML would otherwise read
 * them differently.
 *
 * The CSV is UTF-8 (UTF-16 with its BOM, or req->encoding through iconv),
 * its delimiter req->delimiter or the header's most frequent.  A file that
 * is not UTF-8 once decoded is refused with one diagnostic at the first
 * byte that is not (its offset and value, and the --encoding option).
 *
 * Owners are persons of cfg named by id, e-mail or name in any case, and
 * written as the id.  Rows with every cell blank are skipped; lines of one
 * cell after the last record (a report's footer) too, with one warning.
 *
 * A record is refused with a diagnostic at the physical line where it
 * starts (path: the CSV's path as given, column 0) when its field count
 * differs from the header's, a required field (id, email, owner) is
 * missing, the id, address, owner or vip value is invalid, a value holds
 * a control character (every C0 control but TAB, LF and the
 * CR of a CRLF: at its line and column), a field of the To header's name
 * (first_name, last_name; companies: full_name) holds a line break, or
 * its id or address (compared lower-cased)
 * is already in the CSV or in another file of the type.  The whole import
 * is refused for a bad header, a quoted field never closed, and (unless
 * skip_invalid) any refused record: then nothing is written.  Records
 * are written as they are read, in batches each read back first, to a
 * temporary file that replaces the old one only when the import succeeds
 * (folders made for it are removed otherwise): memory holds the CSV and
 * the ids and addresses seen, not the records.
 *
 * Opt-outs: a row whose opt-out column says so is never written as a
 * recipient; its address is appended to recipients/suppressions.tsv
 * (reason manual, source "import:" and the CSV's base name) unless it is
 * there already, whatever else the row holds.  The known opt-out columns
 * (by their normalised names) are email_opt_out (Zoho, Salesforce "Email
 * Opt Out"), hasoptedoutofemail (Salesforce), unsubscribed_from_all_email
 * (HubSpot), do_not_email, unsubscribed, opt_out, optout (yes-like cells:
 * true, yes, 1, x), marketing_contact_status (HubSpot, "Non-marketing
 * contact"), marketing_status (Pipedrive, "Unsubscribed") and massmail
 * (Django CRM, "False"), also after a prefix ("Person - Marketing
 * status"); req->opt_out_columns adds others.  Opt-out columns are not
 * stored; a yes-like column's cell that is neither yes- nor no-like refuses
 * the row.  Another column whose name looks like an opt-out is a warning.
 *
 * Erased persons: a row whose address has an "erased" line in
 * recipients/suppressions.tsv (plain or hashed) is dropped, opt-out or not,
 * with one warning that counts such rows.
 */
#ifndef MAILOUT_IMPORT_H
#define MAILOUT_IMPORT_H

#include <stddef.h>
#include <time.h>

#include "buf.h"
#include "config.h"
#include "diag.h"
#include "recipients.h"

struct import_request {
	enum recipient_type type;
	const char *csv_path; /* read as given, and so named in diagnostics */
	const char *owner; /* the owner of rows without one, or NULL */
	const char *const *maps; /* "COLUMN=FIELD"; FIELD "-" drops the column */
	size_t nmaps;
	const char *into; /* NAME, or NULL: made from the CSV's file name */
	/* the file may exist: it then mirrors the CSV, but the record of an
	 * invalid row's id is kept as it was (a warning) */
	int replace;
	int skip_invalid; /* write the valid records even when some are refused */
	/* "COLUMN" or "COLUMN=VALUE": rows whose cell is yes-like (or VALUE,
	 * in any case) opt out, besides the known opt-out columns */
	const char *const *opt_out_columns;
	size_t nopt_out_columns;
	time_t now; /* the time of the suppressions written */
	/* "email": each id is the type's prefix (c-, co-, l-) and the first 12
	 * hex digits of the SHA-256 of the address in lower case, so that a
	 * re-import gives the same people the same ids; NULL: a column */
	const char *id_from;
	const char *id_column; /* the column of the ids (default: the field id) */
	char delimiter; /* ',', ';' or TAB; 0: the most frequent in the header */
	/* the CSV's encoding (iconv's names); NULL: UTF-8, or UTF-16 by its BOM */
	const char *encoding;
};

struct import_result {
	char *path; /* "recipients/TYPE/NAME.yaml", owned; NULL until known */
	size_t records; /* written */
	size_t added, changed, removed; /* compared by id with the file replaced */
	size_t skipped; /* refused records (with skip_invalid) */
	size_t kept; /* of the skipped, rows whose old record was kept (replace) */
	size_t opted_out; /* rows that opted out: not written, suppressed */
	size_t suppressed; /* of their addresses, those new to the suppressions */
	size_t erased; /* rows of erased persons (forget.h): dropped, a warning */
};

#define IMPORT_USAGE (-2)

/*
 * Imports req->csv_path into the repository at root; cfg gives the known
 * owners.  Record and header problems go to diags (in the CSV's order, a
 * warning for another file of the type that could not be checked).
 * Returns 0 when the file was written, IMPORT_USAGE when an argument is
 * wrong (a map, the file name) and -1 for anything else; in both
 * cases error_last() says why and nothing was written.  Release *out with
 * import_result_release() in every case.
 */
int import_csv(struct import_result *out, const char *root, const struct config *cfg,
	       const struct import_request *req, struct diag_list *diags);
void import_result_release(struct import_result *r);

/* The file name (without .yaml) made from a CSV's path: its base name
 * without the extension, lower-cased, runs of other characters than
 * letters, digits, '_' and '-' turned into one '-', at most 64 characters.
 * NULL when nothing is left; free() the result. */
char *import_file_name(const char *csv_path);

/* Appends s as a YAML value for a flow mapping or list: plain when that
 * reads back as the same string, else double-quoted with escapes (\n and
 * \r for line breaks).  s must be valid UTF-8. */
void import_add_yaml_value(struct buf *b, const char *s);

/* vip cells: true, yes, 1, x -> 1; false, no, 0, empty -> 0 (any case,
 * spaces around ignored); -1 for anything else. */
int import_vip_parse(const char *s);

#endif
