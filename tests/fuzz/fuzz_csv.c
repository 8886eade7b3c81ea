/*
 * CSV exports of a CRM: csv_read() over any bytes with the delimiter
 * csv_detect_delimiter() finds, each record written back with
 * csv_add_field() reading back the same, and `mailout import` of the
 * input into a scratch repository (every record it writes must read back
 * as imported: import_csv() checks that itself), as UTF-8 (UTF-16 by its
 * byte-order mark) or, for every third input, --encoding windows-1252,
 * with the delimiter detected or, for every fifth, given.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "csv.h"
#include "diag.h"
#include "fuzz.h"
#include "import.h"
#include "util.h"
#include "xalloc.h"

#define TARGET "recipients/contacts/fuzz.yaml"

static void round_trip(const struct csv_record *rec)
{
	struct csv_record again = CSV_RECORD_INIT;
	struct csv_reader r;
	struct buf line = BUF_INIT;
	size_t i;

	/* an empty record is an empty line, skipped; a byte-order mark at the
	 * start of the text is skipped too */
	if (rec->error[0] || (rec->count == 1 && !rec->fields[0][0]) ||
	    !strncmp(rec->fields[0], "\xef\xbb\xbf", 3))
		return;
	for (i = 0; i < rec->count; i++) {
		if (i)
			buf_addc(&line, ',');
		csv_add_field(&line, rec->fields[i]);
	}
	buf_adds(&line, "\r\n");
	csv_reader_init(&r, line.ptr, line.len);
	if (csv_read(&r, &again) != 1 || again.count != rec->count || again.error[0])
		abort();
	for (i = 0; i < rec->count; i++)
		if (strcmp(again.fields[i], rec->fields[i]))
			abort();
	csv_record_release(&again);
	buf_release(&line);
}

static void import(const uint8_t *data, size_t size)
{
	static char *dir, *csv_path, *target;
	struct diag_list diags = DIAG_LIST_INIT;
	struct import_request req;
	struct import_result res;

	if (!dir) {
		dir = xasprintf("%s/recipients/contacts", fuzz_root());
		csv_path = xasprintf("%s/in.csv", fuzz_root());
		target = xasprintf("%s/%s", fuzz_root(), TARGET);
		if (mkdir_p(dir) < 0)
			abort();
	}
	fuzz_write("in.csv", data, size);
	memset(&req, 0, sizeof(req));
	req.type = RTYPE_CONTACTS;
	req.csv_path = csv_path;
	req.owner = size % 2 ? FUZZ_OWNER : NULL;
	req.into = "fuzz";
	req.replace = 1;
	req.skip_invalid = 1;
	req.encoding = size % 3 == 0 ? "windows-1252" : NULL;
	req.delimiter = size % 5 == 0 ? ";\t,"[size % 3] : 0;
	req.id_from = size % 7 == 0 ? "email" : NULL;
	error_clear();
	if (import_csv(&res, fuzz_root(), fuzz_config(), &req, &diags) < 0 &&
	    !strncmp(error_last(), "internal error", 14)) {
		fprintf(stderr, "%s\n", error_last());
		abort();
	}
	unlink(target);
	import_result_release(&res);
	diag_release(&diags);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct csv_record rec = CSV_RECORD_INIT;
	struct csv_reader r;
	int n;

	csv_reader_init(&r, (const char *)data, size);
	r.delimiter = csv_detect_delimiter((const char *)data, size);
	if (r.delimiter != ',' && r.delimiter != ';' && r.delimiter != '\t')
		abort();
	while ((n = csv_read(&r, &rec)) > 0) {
		if (rec.line < 1)
			abort();
		round_trip(&rec);
	}
	csv_record_release(&rec);
	import(data, size);
	return 0;
}
