#include "import_presets.h"

#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

/* A field that depends on the type: company (contacts), company_name
 * (leads), full_name (companies). */
#define COMPANY "@company"

/*
 * The header cells as the products write them, and where they come from:
 *
 * HubSpot: the contacts export ("Record ID", "First Name", "Last Name",
 *   "Email", "Contact owner", "Company Name", "Job Title", "Marketing
 *   contact status"; older exports "Contact ID"), HubSpot's knowledge base
 *   "Export your records".
 * Salesforce: report exports ("Contact Owner", "First Name", "Last Name",
 *   "Title", "Account Name", "Mailing Street", "Email", "Email Opt Out",
 *   "Contact ID"; leads "Lead Owner", "Company / Account", "Lead ID";
 *   accounts "Account Owner", "Account Name", "Account ID"), and the Data
 *   Export's API names ("Id", "FirstName", "LastName", "Name", "Company",
 *   "Email", "HasOptedOutOfEmail"), Salesforce's object reference.
 * Zoho CRM: module exports ("Record Id", "Contact Owner", "Lead Owner",
 *   "First Name", "Last Name", "Account Name", "Company", "Email", "Email
 *   Opt Out").
 * Pipedrive: people exports, fields prefixed with the item ("Person - ID",
 *   "Person - Name", "Person - First name", "Person - Last name",
 *   "Person - Email", "Person - Organization", "Person - Owner") or not
 *   ("Name", "Organization", "Email - Work", "Owner").
 * Outlook: "Export to a file" CSV ("Title", "First Name", "Middle Name",
 *   "Last Name", "Suffix", "Company", "Department", "Job Title", ...,
 *   "E-mail Address", "E-mail Display Name"), Microsoft's "Create or edit
 *   .csv files to import into Outlook".
 * Google Contacts: "Google CSV" ("First Name", "Middle Name", "Last Name",
 *   ..., "E-mail 1 - Label", "E-mail 1 - Value", "Organization Name",
 *   "Organization Title"; before 2023 "Name", "Given Name", "Additional
 *   Name", "Family Name", "E-mail 1 - Type", "E-mail 1 - Value",
 *   "Organization 1 - Name", "Organization 1 - Title").
 * Django CRM (the open-source DjangoCRM): CONTACT_COLUMNS, LEAD_COLUMNS
 *   and COMPANY_COLUMNS of crm/settings.py name the exported columns by
 *   the model's fields, mailout's own names (first_name, last_name, title,
 *   email, owner, company, company_name, full_name); its "massmail"
 *   column (False: no mass mailing) is an opt-out (import.c).
 */
static const struct {
	const char *header, *field;
} known[] = {
	{ "Record ID", "id" }, /* HubSpot, Zoho ("Record Id") */
	{ "Contact ID", "id" }, /* Salesforce reports, HubSpot */
	{ "Lead ID", "id" }, /* Salesforce reports */
	{ "Account ID", "id" }, /* Salesforce reports */
	{ "Person - ID", "id" }, /* Pipedrive */
	{ "Email Address", "email" },
	{ "E-mail Address", "email" }, /* Outlook */
	{ "E-mail 1 - Value", "email" }, /* Google Contacts */
	{ "Person - Email", "email" }, /* Pipedrive */
	{ "Email - Work", "email" }, /* Pipedrive */
	{ "E-mail", "email" },
	{ "Contact Owner", "owner" }, /* Salesforce, Zoho, HubSpot */
	{ "Lead Owner", "owner" }, /* Salesforce, Zoho */
	{ "Account Owner", "owner" }, /* Salesforce, Zoho */
	{ "Person - Owner", "owner" }, /* Pipedrive */
	{ "FirstName", "first_name" }, /* Salesforce */
	{ "Given Name", "first_name" }, /* Google Contacts */
	{ "Person - First name", "first_name" }, /* Pipedrive */
	{ "LastName", "last_name" }, /* Salesforce */
	{ "Family Name", "last_name" }, /* Google Contacts */
	{ "Person - Last name", "last_name" }, /* Pipedrive */
	{ "Job Title", "title" }, /* HubSpot, Outlook */
	{ "Organization Title", "title" }, /* Google Contacts */
	{ "Organization 1 - Title", "title" }, /* Google Contacts */
	{ "Company", COMPANY }, /* Salesforce and Zoho leads, Outlook */
	{ "Company Name", COMPANY }, /* HubSpot */
	{ "Account Name", COMPANY }, /* Salesforce, Zoho */
	{ "Company / Account", COMPANY }, /* Salesforce lead reports */
	{ "Organization", COMPANY }, /* Pipedrive */
	{ "Person - Organization", COMPANY }, /* Pipedrive */
	{ "Organization Name", COMPANY }, /* Google Contacts */
	{ "Organization 1 - Name", COMPANY }, /* Google Contacts */
	{ "Name", IMPORT_SPLIT_NAME }, /* Salesforce, Pipedrive, Google Contacts */
	{ "Full Name", IMPORT_SPLIT_NAME },
	{ "Person - Name", IMPORT_SPLIT_NAME }, /* Pipedrive */
};

#define NKNOWN (sizeof(known) / sizeof(*known))

static int separator(unsigned char c)
{
	return c < 0x80 && !(c >= 'a' && c <= 'z') && !(c >= 'A' && c <= 'Z') &&
	       !(c >= '0' && c <= '9');
}

char *import_header_key(const char *cell)
{
	char *key = xmalloc(strlen(cell) + 1), *o = key;
	const unsigned char *p = (const unsigned char *)cell;
	int gap = 0;

	for (; *p; p++) {
		if (separator(*p)) {
			gap = o > key;
			continue;
		}
		if (gap)
			*o++ = '_';
		gap = 0;
		*o++ = *p >= 'A' && *p <= 'Z' ? (char)(*p - 'A' + 'a') : (char)*p;
	}
	*o = '\0';
	return key;
}

/* The field of a preset target for type. */
static const char *for_type(const char *field, enum recipient_type type)
{
	if (!strcmp(field, COMPANY))
		return type == RTYPE_LEADS ? "company_name" :
		       type == RTYPE_COMPANIES ? "full_name" : "company";
	if (!strcmp(field, IMPORT_SPLIT_NAME) && type == RTYPE_COMPANIES)
		return "full_name";
	return field;
}

const char *import_preset_field(const char *key, enum recipient_type type)
{
	const char *field = NULL;
	char *k;
	size_t i;

	for (i = 0; i < NKNOWN && !field; i++) {
		k = import_header_key(known[i].header);
		if (!strcmp(k, key))
			field = for_type(known[i].field, type);
		free(k);
	}
	return field && strcmp(field, key) ? field : NULL;
}

const char *import_preset_displaced(const char *key)
{
	return !strcmp(key, "title") ? "salutation" : NULL;
}

int import_column_find(const struct import_column *cols, size_t ncols, const char *name)
{
	size_t i;

	for (i = 0; i < ncols; i++) {
		if (cols[i].name && !strcmp(cols[i].name, name))
			return (int)i;
	}
	return -1;
}

static void rename_column(struct import_column *col, const char *name)
{
	free(col->name);
	col->name = xstrdup(name);
}

long import_presets_apply(struct import_column *cols, size_t ncols, enum recipient_type type)
{
	int job_title = import_column_find(cols, ncols, "job_title"), taken;
	const char *field;
	long split = -1;
	size_t i;

	for (i = 0; job_title >= 0 && !cols[job_title].mapped && i < ncols; i++) {
		if (cols[i].name && !cols[i].mapped && (field = import_preset_displaced(cols[i].key)))
			rename_column(&cols[i], field);
	}
	for (i = 0; i < ncols; i++) {
		if (!cols[i].name || cols[i].mapped || strcmp(cols[i].name, cols[i].key))
			continue;
		field = import_preset_field(cols[i].key, type);
		if (!field)
			continue;
		if (!strcmp(field, IMPORT_SPLIT_NAME)) {
			if (split < 0)
				split = (long)i;
			continue;
		}
		taken = import_column_find(cols, ncols, field);
		if (taken < 0)
			rename_column(&cols[i], field);
	}
	if (import_column_find(cols, ncols, "first_name") >= 0 ||
	    import_column_find(cols, ncols, "last_name") >= 0)
		split = -1;
	return split;
}

void import_presets_help(struct buf *b)
{
	static const char *const fields[] = { "id", "email", "owner", "first_name", "last_name",
					      "title", COMPANY, IMPORT_SPLIT_NAME };
	static const char *const shown[] = {
		"id", "email", "owner", "first_name", "last_name", "title",
		"company (leads: company_name, companies: full_name)",
		"first_name and last_name, split at the last space (companies: full_name)"
	};
	size_t f, i, n;

	buf_adds(b, "Known exports (HubSpot, Salesforce, Zoho, Pipedrive, Outlook, Google Contacts,\n"
		    "Django CRM) need no --map: these columns (in any case) are\n");
	for (f = 0; f < sizeof(fields) / sizeof(*fields); f++) {
		buf_addf(b, "  %s: ", shown[f]);
		for (i = n = 0; i < NKNOWN; i++) {
			if (strcmp(known[i].field, fields[f]))
				continue;
			buf_addf(b, "%s'%s'", n++ ? ", " : "", known[i].header);
		}
		buf_adds(b, "\n");
	}
	buf_adds(b, "A 'Title' beside a 'Job Title' is a salutation.  Rows whose Email Opt Out,\n"
		    "HasOptedOutOfEmail, Unsubscribed from all email, Do Not Email, Unsubscribed,\n"
		    "Opt Out or Optout is yes, whose Marketing contact status is Non-marketing\n"
		    "contact, whose Marketing status is Unsubscribed or whose massmail is False\n"
		    "opted out: they are suppressed, not imported.\n");
}
