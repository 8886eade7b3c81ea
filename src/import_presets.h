/*
 * The columns of known CRM and address-book exports, so that their CSV
 * files import without --map: the header cells HubSpot, Salesforce
 * (reports, and the Data Export's API names), Zoho CRM, Pipedrive, Outlook,
 * Google Contacts and Django CRM write, and the field each one is.  Private
 * to import.c, which applies them to the columns no --map names.
 *
 * Header cells are compared by their key: import_header_key().
 */
#ifndef MAILOUT_IMPORT_PRESETS_H
#define MAILOUT_IMPORT_PRESETS_H

#include "buf.h"
#include "recipients.h"

/* A column of a full name ("Name", "Full Name"): for contacts and leads
 * it is split into first_name and last_name. */
#define IMPORT_SPLIT_NAME "@name"

/* A header cell as a field name: trimmed and lower-cased, each run of
 * characters other than letters and digits (spaces, '-', '_', '/', '.',
 * ...) one '_', none at the ends; bytes of non-ASCII characters are kept.
 * "E-mail 1 - Value" is e_mail_1_value.  free() the result. */
char *import_header_key(const char *cell);

/* The field the column of key is for records of type, in the exports of
 * the known products: a field name, IMPORT_SPLIT_NAME, or NULL when no
 * known export writes it (or it is the field's own name already). */
const char *import_preset_field(const char *key, enum recipient_type type);

/* When a column "Job Title" is there, "Title" is a salutation (Outlook's
 * "Mr."): the field that key is then, or NULL. */
const char *import_preset_displaced(const char *key);

/* A column of the CSV. */
struct import_column {
	char *raw; /* the header cell */
	char *key; /* import_header_key() of it, matched by maps */
	char *name; /* the field, NULL when dropped */
	int mapped; /* named by --map */
};

/* The index of the column whose field is name, or -1. */
int import_column_find(const struct import_column *cols, size_t ncols, const char *name);

/* Gives the columns of known exports that no --map names and whose field
 * no other column is their fields (import_preset_field(); a "Title"
 * beside a "Job Title" import_preset_displaced()).  Returns the column of
 * a full name to split for contacts and leads without a first_name or
 * last_name column, else -1. */
long import_presets_apply(struct import_column *cols, size_t ncols, enum recipient_type type);

/* The known columns, for the command's help: one line per field. */
void import_presets_help(struct buf *b);

#endif
