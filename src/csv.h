/*
 * CSV as RFC 4180 describes it and as CRMs and spreadsheets write it.
 *
 * Reading: fields are separated by commas and records by CRLF, LF or a
 * lone CR.  A field in double quotes may hold commas, line breaks and
 * quotes written twice ("").  A UTF-8 byte-order mark at the start is
 * skipped, the last record may lack its line break, and empty lines
 * between records are skipped.  Every record knows the physical line it
 * starts on: a quoted line break makes a record span several lines.  A
 * record keeps at most CSV_MAX_FIELDS fields: the rest are read past and
 * make the record malformed.
 *
 *   struct csv_reader r;
 *   struct csv_record rec = CSV_RECORD_INIT;
 *   csv_reader_init(&r, text, len);
 *   while ((n = csv_read(&r, &rec)) > 0)
 *           use(rec.line, rec.fields, rec.count, rec.error);
 *   csv_record_release(&rec);
 *
 * Writing: csv_add_field() quotes a field only when it must.
 */
#ifndef MAILOUT_CSV_H
#define MAILOUT_CSV_H

#include <stddef.h>

#include "buf.h"

#define CSV_MAX_FIELDS 1000

struct csv_reader {
	const char *pos, *end; /* the text still to read (not owned) */
	int line; /* the physical line of pos, 1-based */
	const char *line_start; /* where that line starts */
	char delimiter; /* ',' after csv_reader_init(); ';' or TAB may be set */
};

/* The first control character of a field that no value may hold: every
 * C0 control but TAB and the line breaks of a quoted field (LF, CRLF; a
 * lone CR in quotes counts).  c is -1 when there is none; line and col
 * (1-based, in characters) are where it is in the text. */
struct csv_control {
	int c;
	int line, col;
};

struct csv_record {
	const char **fields; /* count NUL-terminated fields, valid until the next read */
	size_t count;
	int line; /* the physical line the record starts on */
	/* What is malformed in this record ("" when nothing): text after a
	 * closing quote, a NUL byte, or more than CSV_MAX_FIELDS fields.  The
	 * fields are read all the same. */
	char error[96];
	struct csv_control *controls; /* count, one for each field */
	/* storage */
	struct buf text;
	size_t *offsets;
	size_t cap;
	struct csv_control pending; /* of the field being read */
};

#define CSV_RECORD_INIT { NULL, 0, 0, "", NULL, BUF_INIT, NULL, 0, { -1, 0, 0 } }

/* The delimiter of the header row at text: the most frequent of ',', ';'
 * and TAB outside quotes on its first line (',' when none is). */
char csv_detect_delimiter(const char *text, size_t len);

/* Reads text[0..len) (not copied: it must outlive the reader). */
void csv_reader_init(struct csv_reader *r, const char *text, size_t len);

/*
 * Reads the next record into rec, replacing what it held.  Returns 1 with a
 * record, 0 at the end of the text, and -1 when a quoted field is never
 * closed: error_last() tells where it opens, rec->line is the line the
 * record starts on, rec->error says the same, and the reader is at the end.
 */
int csv_read(struct csv_reader *r, struct csv_record *rec);
void csv_record_release(struct csv_record *rec);

/* Appends s as one field, in double quotes (quotes inside doubled) when it
 * holds a comma, a quote, a line break, or a leading or trailing space. */
void csv_add_field(struct buf *b, const char *s);

/*
 * The same for a file read by spreadsheets: the delimiter (',', ';' or
 * TAB) is quoted as a comma is, and a cell that starts with '=', '+', '-',
 * '@', TAB or CR, which Excel and LibreOffice would take for a formula,
 * gets a leading "'" (OWASP's advice against CSV injection).  With ';'
 * (the delimiter of European locales) so does a cell of two or three
 * groups of digits separated by '.' or '/', which such a spreadsheet reads
 * as a date (an enhanced status code "5.1.1" is 5 January 2001 in German).
 */
void csv_add_cell(struct buf *b, const char *s, char delimiter);

#endif
