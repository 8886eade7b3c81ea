#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "buf.h"
#include "config.h"
#include "diag.h"
#include "fixture.h"
#include "import.h"
#include "import_presets.h"
#include "yamlfile.h"

static const char *config_yaml =
	"organization: { name: Test Org, postal_address: \"Street 1, Berlin\", site_url: https://status.example.com, timezone: Europe/Berlin }\n"
	"unsubscribe: { address: unsubscribe@example.com }\n"
	"departments: [ { id: d1, name: Dept } ]\n"
	"people:\n"
	"  - { id: ann, name: Ann Example, email: ann@example.com, department: d1, role: sales_manager }\n"
	"  - { id: bob, name: Bob Example, email: bob@example.com, department: d1, role: sales_manager }\n"
	"accounts:\n"
	"  - { id: ann-a, owner: ann, from: \"Ann <ann@example.com>\", smtp: \"smtp://127.0.0.1:2525\", daily_limit: 100 }\n";

struct fx {
	char *root;
	struct config cfg;
	struct diag_list diags;
	struct import_result res;
	struct buf text;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct diag_list d = DIAG_LIST_INIT;

	f->root = fixture_tmpdir();
	f->text = (struct buf)BUF_INIT;
	assert_int_equal(fixture_write(f->root, "mailout.yaml", config_yaml), 0);
	assert_int_equal(fixture_write(f->root, "recipients/contacts/other.yaml",
				       "- { id: c-1, email: Taken@Example.com, owner: ann }\n"),
			 0);
	assert_int_equal(config_load(&f->cfg, f->root, &d), 0);
	assert_int_equal(d.errors, 0);
	diag_release(&d);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	config_release(&f->cfg);
	diag_release(&f->diags);
	import_result_release(&f->res);
	buf_release(&f->text);
	fixture_remove(f->root);
	free(f->root);
	free(f);
	return 0;
}

/* Writes the CSV (in the fixture directory) and imports it. */
static int run(struct fx *f, const char *csv, const char *csv_text, struct import_request *req)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/%s", f->root, csv);
	assert_int_equal(fixture_write(f->root, csv, csv_text), 0);
	req->csv_path = path;
	import_result_release(&f->res);
	diag_release(&f->diags);
	return import_csv(&f->res, f->root, &f->cfg, req, &f->diags);
}

/* The problems as "LINE: message" lines. */
static const char *problems(struct fx *f)
{
	size_t i;

	buf_reset(&f->text);
	for (i = 0; i < f->diags.count; i++)
		buf_addf(&f->text, "%d: %s\n", f->diags.items[i].line, f->diags.items[i].message);
	return f->text.ptr;
}

static const char *file(struct fx *f, const char *rel)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/%s", f->root, rel);
	buf_reset(&f->text);
	if (buf_read_file(&f->text, path, 1 << 20) < 0)
		return NULL;
	return f->text.ptr;
}

static void test_yaml_values(void **state)
{
	static const char *const cases[][2] = {
		{ "Jana", "Jana" },
		{ "O'Brien", "O'Brien" },
		{ "Müller & Söhne", "Müller & Söhne" },
		{ "1st Choice Ltd", "1st Choice Ltd" },
		{ "back\\slash", "back\\slash" },
		{ "Carter Freight Inc.", "Carter Freight Inc." },
		{ "a, b", "\"a, b\"" },
		{ "true", "\"true\"" },
		{ "No", "\"No\"" },
		{ "off", "\"off\"" },
		{ "y", "\"y\"" },
		{ "null", "\"null\"" },
		{ "~", "\"~\"" },
		{ "1e3", "\"1e3\"" },
		{ "0x1", "\"0x1\"" },
		{ "10115", "\"10115\"" },
		{ "+4930123", "\"+4930123\"" },
		{ ".5", "\".5\"" },
		{ ".inf", "\".inf\"" },
		{ "2026-12-01", "\"2026-12-01\"" },
		{ "-x", "\"-x\"" },
		{ " lead", "\" lead\"" },
		{ "trail ", "\"trail \"" },
		{ "say \"hi\"", "\"say \\\"hi\\\"\"" },
		{ "a\\b \"c\"", "\"a\\\\b \\\"c\\\"\"" },
		{ "tab\there", "\"tab\\there\"" },
		{ "bell\x07", "\"bell\\x07\"" },
		{ "next\xc2\x85line", "\"next\\x85line\"" },
		{ "sep\xe2\x80\xa8", "\"sep\\u2028\"" },
		{ "#tag", "\"#tag\"" },
		{ "a #b", "\"a #b\"" },
		{ "https://example.com/x", "\"https://example.com/x\"" },
		{ "[x]", "\"[x]\"" },
		{ "a}b", "\"a}b\"" },
		{ "&anchor", "\"&anchor\"" },
		{ "*alias", "\"*alias\"" },
		{ "!tag", "\"!tag\"" },
		{ "%x", "\"%x\"" },
		{ "@x", "\"@x\"" },
		{ "`x", "\"`x\"" },
		{ "|x", "\"|x\"" },
		{ ">x", "\">x\"" },
		{ "?x", "\"?x\"" },
		{ "'quoted'", "\"'quoted'\"" },
	};
	struct buf b = BUF_INIT, doc = BUF_INIT;
	struct diag_list diags = DIAG_LIST_INIT;
	struct ydoc *y = NULL;
	const struct ynode *v;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		buf_reset(&b);
		import_add_yaml_value(&b, cases[i][0]);
		assert_string_equal(b.ptr, cases[i][1]);
		/* it reads back as the same string, in a mapping and in a list */
		buf_reset(&doc);
		buf_addf(&doc, "- { v: %s, w: [%s, %s] }\n", b.ptr, b.ptr, b.ptr);
		if (ydoc_parse(&y, "t.yaml", doc.ptr, doc.len, 1, &diags) < 0) {
			diag_print(stderr, &diags);
			fail_msg("does not parse: %s", doc.ptr);
		}
		v = ynode_get(y->root->items[0], "v");
		assert_int_equal(v->kind, YNODE_SCALAR);
		assert_string_equal(v->value, cases[i][0]);
		v = ynode_get(y->root->items[0], "w");
		assert_int_equal(v->kind, YNODE_SEQ);
		assert_int_equal(v->count, 2);
		assert_string_equal(v->items[1]->value, cases[i][0]);
		ydoc_free(y);
		y = NULL;
	}
	buf_release(&b);
	buf_release(&doc);
	diag_release(&diags);
}

static void test_vip_values(void **state)
{
	(void)state;
	assert_int_equal(import_vip_parse("true"), 1);
	assert_int_equal(import_vip_parse("Yes"), 1);
	assert_int_equal(import_vip_parse(" 1 "), 1);
	assert_int_equal(import_vip_parse("X"), 1);
	assert_int_equal(import_vip_parse("FALSE"), 0);
	assert_int_equal(import_vip_parse("no"), 0);
	assert_int_equal(import_vip_parse("0"), 0);
	assert_int_equal(import_vip_parse(""), 0);
	assert_int_equal(import_vip_parse("  "), 0);
	assert_int_equal(import_vip_parse("maybe"), -1);
	assert_int_equal(import_vip_parse("2"), -1);
}

static void expect_name(const char *path, const char *name)
{
	char *got = import_file_name(path);

	if (name)
		assert_string_equal(got, name);
	else
		assert_null(got);
	free(got);
}

static void test_file_names(void **state)
{
	(void)state;
	expect_name("crm.csv", "crm");
	expect_name("/tmp/exports/CRM Export 2026.csv", "crm-export-2026");
	expect_name("leads.2026.csv", "leads-2026");
	expect_name("trade_fair--autumn.CSV", "trade_fair-autumn");
	expect_name("Kontakte München.csv", "kontakte-m-nchen");
	expect_name("noext", "noext");
	expect_name("dir.d/file", "file");
	expect_name("__x__.csv", "x");
	expect_name("--.csv", NULL);
	expect_name("dir/", NULL);
	expect_name("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.csv",
		    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
}

static void test_import_writes_tidy_yaml(void **state)
{
	struct fx *f = *state;
	struct import_request req = { 0 };
	const char *maps[] = { "Notes=-", "Mail=email" };

	req.type = RTYPE_CONTACTS;
	req.maps = maps;
	req.nmaps = 2;
	assert_int_equal(run(f, "CRM Export.csv",
			     "\xef\xbb\xbf" "Country,ID,Mail,Last Name,First Name,Owner,VIP,Tags,Notes,Zip\r\n"
			     "DE,c-10,anna@example.com,Berg,Anna,ann,yes,newsletter; events,\"two\r\nlines\",10115\r\n"
			     "AT,c-11,ben@example.net,\"O\"\"Neil, Jr.\",Ben,bob,,,,\r\n"
			     "CH,c-12,carl@example.net,Lee,,ann,x,;,plain,\r\n",
			     &req),
			 0);
	assert_string_equal(problems(f), "");
	assert_string_equal(f->res.path, "recipients/contacts/crm-export.yaml");
	assert_int_equal(f->res.records, 3);
	assert_int_equal(f->res.added, 3);
	assert_int_equal(f->res.changed, 0);
	assert_int_equal(f->res.removed, 0);
	assert_int_equal(f->res.skipped, 0);
	assert_string_equal(file(f, "recipients/contacts/crm-export.yaml"),
			    "# Imported from CRM Export.csv with mailout import.\n"
			    "- { id: c-10, email: anna@example.com, first_name: Anna, last_name: Berg, owner: ann, vip: true, country: DE, tags: [newsletter, events], zip: \"10115\" }\n"
			    "- { id: c-11, email: ben@example.net, first_name: Ben, last_name: \"O\\\"Neil, Jr.\", owner: bob, vip: false, country: AT }\n"
			    "- { id: c-12, email: carl@example.net, last_name: Lee, owner: ann, vip: true, country: CH }\n");
}

static void test_import_refuses_bad_rows(void **state)
{
	struct fx *f = *state;
	struct import_request req = { 0 };
	const char *csv = "id,email,owner,vip,note\n"
			  "c-20,ok@example.com,ann,,fine\n"
			  "c-21,bad@,ann,,x\n"
			  "c-20,other@example.com,ann,,x\n"
			  "c-22,OK@example.com,ann,,x\n"
			  "c-23,taken@example.COM,ann,,x\n"
			  "c-1,free@example.com,ann,,x\n"
			  "c-24,a24@example.com,zed,,x\n"
			  "c-25,a25@example.com,,,x\n"
			  "c-26,a26@example.com,ann,maybe,x\n"
			  ",a27@example.com,ann,,x\n"
			  "c 28,a28@example.com,ann,,x\n"
			  "c-29,,ann,,x\n"
			  "c-30,a30@example.com,ann,,\"multi\n\fline\"\n"
			  "c-31,a31@example.com,ann\n"
			  "c-32,\"a32@example.com\"x,ann,,x\n"
			  "c-34,a34@example.com,bob,,last\n";
	char expected[4200];

	req.type = RTYPE_CONTACTS;
	assert_int_equal(run(f, "bad.csv", csv, &req), -1);
	assert_string_equal(problems(f),
			    "3: invalid address 'bad@': the domain needs at least two labels\n"
			    "4: duplicate id 'c-20' (first at line 2)\n"
			    "5: duplicate address 'OK@example.com' (first at line 2)\n"
			    "6: duplicate address 'taken@example.COM' (already in recipients/contacts/other.yaml:1)\n"
			    "7: duplicate id 'c-1' (already in recipients/contacts/other.yaml:1)\n"
			    "8: unknown owner 'zed'\n"
			    "9: missing owner (--owner PERSON sets it for such rows)\n"
			    "10: invalid vip 'maybe': expected true or false, yes or no, 1 or 0, x or empty\n"
			    "11: missing id\n"
			    "12: invalid id 'c 28': use letters, digits, '.', '_' and '-' (at most 64)\n"
			    "13: missing email\n"
			    "15: column 'note' holds the control character \\x0c, which a message cannot carry (--map 'note=-' drops the column)\n"
			    "16: 3 fields, but the header has 5\n"
			    "17: field 2: text after the closing quote\n");
	snprintf(expected, sizeof(expected),
		 "14 of 16 records in '%s/bad.csv' are invalid; nothing was written (--skip-invalid imports the others)",
		 f->root);
	assert_string_equal(error_last(), expected);
	assert_null(file(f, "recipients/contacts/bad.yaml"));

	req.skip_invalid = 1;
	assert_int_equal(run(f, "bad.csv", csv, &req), 0);
	assert_int_equal(f->diags.errors, 14);
	assert_int_equal(f->res.records, 2);
	assert_int_equal(f->res.skipped, 14);
	assert_string_equal(file(f, "recipients/contacts/bad.yaml"),
			    "# Imported from bad.csv with mailout import.\n"
			    "- { id: c-20, email: ok@example.com, owner: ann, vip: false, note: fine }\n"
			    "- { id: c-34, email: a34@example.com, owner: bob, vip: false, note: last }\n");
}

/* Header cells as keys; the fields of known exports' columns by type. */
static void test_presets(void **state)
{
	static const char *const keys[][2] = {
		{ "E-mail 1 - Value", "e_mail_1_value" },
		{ "  Mailing State/Province ", "mailing_state_province" },
		{ "Manager's Name", "manager_s_name" },
		{ "Company / Account", "company_account" },
		{ "__id__", "id" },
		{ "Stra\xc3\x9f" "e", "stra\xc3\x9f" "e" },
		{ "#", "" },
	};
	size_t i;
	char *k;

	(void)state;
	for (i = 0; i < sizeof(keys) / sizeof(*keys); i++) {
		k = import_header_key(keys[i][0]);
		assert_string_equal(k, keys[i][1]);
		free(k);
	}
	assert_string_equal(import_preset_field("e_mail_address", RTYPE_CONTACTS), "email");
	assert_string_equal(import_preset_field("account_name", RTYPE_CONTACTS), "company");
	assert_string_equal(import_preset_field("account_name", RTYPE_LEADS), "company_name");
	assert_string_equal(import_preset_field("account_name", RTYPE_COMPANIES), "full_name");
	assert_string_equal(import_preset_field("company", RTYPE_LEADS), "company_name");
	assert_null(import_preset_field("company", RTYPE_CONTACTS));
	assert_string_equal(import_preset_field("full_name", RTYPE_LEADS), IMPORT_SPLIT_NAME);
	assert_null(import_preset_field("full_name", RTYPE_COMPANIES));
	assert_string_equal(import_preset_field("name", RTYPE_COMPANIES), "full_name");
	assert_string_equal(import_preset_field("contact_owner", RTYPE_CONTACTS), "owner");
	assert_null(import_preset_field("mailing_city", RTYPE_CONTACTS));
}

/* A full name is split at its last space when there is no name column;
 * Title beside Job Title is a salutation; a --map wins over a preset. */
static void test_import_presets(void **state)
{
	struct fx *f = *state;
	struct import_request req = { 0 };
	const char *maps[] = { "Account Name=account" };

	req.type = RTYPE_LEADS;
	assert_int_equal(run(f, "pd.csv", "Person - ID,Full Name,Title,Job Title,E-mail Address,Lead Owner,Account Name,Company\n"
					 "l-1,  Eva  Maria Ek ,Ms.,CTO,eva@example.com,Ann Example,Ek AB,Ek Holding\n"
					 "l-2,Gus,,,gus@example.com,BOB@example.com,,\n"
					 "l-3,,,,nn@example.com,ann,,\n",
			     &req), 0);
	assert_string_equal(problems(f), "");
	assert_string_equal(file(f, "recipients/leads/pd.yaml"),
			    "# Imported from pd.csv with mailout import.\n"
			    "- { id: l-1, email: eva@example.com, first_name: Eva  Maria, last_name: Ek, company_name: Ek AB, owner: ann, vip: false, salutation: Ms., title: CTO, company: Ek Holding }\n"
			    "- { id: l-2, email: gus@example.com, first_name: Gus, owner: bob, vip: false }\n"
			    "- { id: l-3, email: nn@example.com, owner: ann, vip: false }\n");
	req.maps = maps;
	req.nmaps = 1;
	req.into = "mapped";
	assert_int_equal(run(f, "pd.csv", "Id,First Name,Name,Email,Owner,Account Name,Company\nl-9,Al,Al Bo,al@example.com,ann,X,Y\n", &req), 0);
	assert_string_equal(file(f, "recipients/leads/mapped.yaml"),
			    "# Imported from pd.csv with mailout import.\n"
			    "- { id: l-9, email: al@example.com, first_name: Al, company_name: \"Y\", owner: ann, vip: false, name: Al Bo, account: X }\n");
}

/* Records are written as they are read, in several batches: a refused
 * row at the end leaves no file, no temporary file and no folder made for
 * it; without it every record is there, in the CSV's order. */
static void test_import_streams(void **state)
{
	struct fx *f = *state;
	struct import_request req = { 0 };
	struct buf csv = BUF_INIT, want = BUF_INIT;
	const char *text;
	size_t i, lines = 0;
	int rc;

	buf_adds(&csv, "id,email,owner,street\n");
	buf_adds(&want, "# Imported from many.csv with mailout import.\n");
	for (i = 0; i < 6000; i++) {
		buf_addf(&csv, "l-%zu,lead%zu@example.com,%s,\"Street %zu, Berlin\"\n", i, i,
			 i % 2 ? "ann" : "bob", i);
		buf_addf(&want, "- { id: l-%zu, email: lead%zu@example.com, owner: %s, vip: false, street: \"Street %zu, Berlin\" }\n",
			 i, i, i % 2 ? "ann" : "bob", i);
	}
	assert_true(want.len > 2 * (256 << 10));
	buf_adds(&csv, "l-x,bad@,ann,x\n");
	req.type = RTYPE_LEADS;
	rc = run(f, "many.csv", csv.ptr, &req);
	assert_int_equal(rc, -1);
	assert_string_equal(problems(f), "6002: invalid address 'bad@': the domain needs at least two labels\n");
	assert_int_equal(fixture_run("test ! -e '%s/recipients/leads'", f->root), 0);
	req.type = RTYPE_CONTACTS;
	req.into = "many";
	assert_int_equal(run(f, "many.csv", csv.ptr, &req), -1);
	assert_int_equal(fixture_run("test \"$(ls -A '%s/recipients/contacts')\" = other.yaml", f->root), 0);
	req.type = RTYPE_LEADS;
	req.into = NULL;

	req.skip_invalid = 1;
	assert_int_equal(run(f, "many.csv", csv.ptr, &req), 0);
	assert_int_equal(f->res.records, 6000);
	assert_int_equal(f->res.skipped, 1);
	text = file(f, "recipients/leads/many.yaml");
	assert_string_equal(text, want.ptr);
	for (; *text; text++)
		lines += *text == '\n';
	assert_int_equal(lines, 6001);
	buf_release(&csv);
	buf_release(&want);
}

/* A file that is not UTF-8 gets one error, at the first byte that is
 * not, even with --skip-invalid and whatever column holds it. */
static void test_import_not_utf8(void **state)
{
	struct fx *f = *state;
	struct import_request req = { 0 };
	const char *csv = "id,email,owner,note\r\n"
			  "c-50,a50@example.com,ann,\"K\xc3\xb6ln\r\nK\xf6ln\"\r\n"
			  "c-51,a51@example.com,ann,Stra\xdf" "e\r\n";
	char expected[4200];

	req.type = RTYPE_CONTACTS;
	req.skip_invalid = 1;
	assert_int_equal(run(f, "latin.csv", csv, &req), -1);
	assert_int_equal(f->diags.count, 1);
	assert_int_equal(f->diags.items[0].line, 3);
	assert_int_equal(f->diags.items[0].col, 2);
	assert_string_equal(f->diags.items[0].message,
			    "byte 0xf6 (offset 55) is not UTF-8: give the file's encoding with --encoding (windows-1252 for Excel on Windows)");
	snprintf(expected, sizeof(expected), "'%s/latin.csv' is not UTF-8 text; nothing was written",
		 f->root);
	assert_string_equal(error_last(), expected);
	assert_null(file(f, "recipients/contacts/latin.yaml"));

	req.encoding = "iso-8859-1";
	assert_int_equal(run(f, "latin1.csv", "id,email,owner,note\nc-52,a52@example.com,ann,Stra\xdf" "e\n", &req), 0);
	assert_string_equal(file(f, "recipients/contacts/latin1.yaml"),
			    "# Imported from latin1.csv with mailout import.\n"
			    "- { id: c-52, email: a52@example.com, owner: ann, vip: false, note: Stra\xc3\x9f" "e }\n");
}

/* Multi-line values are kept; a control character is refused at its line
 * and column, a line break where the To header would carry it. */
static void test_import_controls_and_line_breaks(void **state)
{
	struct fx *f = *state;
	struct import_request req = { 0 };
	const char *csv = "id,email,owner,first_name,street\n"
			  "c-40,a40@example.com,ann,Ann,\"Main St 1\r\nFloor 2\"\n"
			  "c-41,a41@example.com,ann,\"Ben\nBcc: x@example.com\",x\n"
			  "c-42,a42@example.com,ann,Cy\x0b,x\n"
			  "c-43,a43@example.com,ann,Di,\"x\ry\"\n"
			  "c-44,a44@example.com,ann,\"\xc3\xa9\x1b[2J\",\"tab\there\"\n";
	size_t i;
	struct buf where = BUF_INIT;

	req.type = RTYPE_CONTACTS;
	req.skip_invalid = 1;
	assert_int_equal(run(f, "lines.csv", csv, &req), 0);
	for (i = 0; i < f->diags.count; i++)
		buf_addf(&where, "%d:%d: %s\n", f->diags.items[i].line, f->diags.items[i].col,
			 f->diags.items[i].message);
	assert_string_equal(where.ptr,
			    "4:0: column 'first_name' holds a line break, which the To header cannot carry (field 'first_name')\n"
			    "6:28: column 'first_name' holds the control character \\x0b, which a message cannot carry (--map 'first_name=-' drops the column)\n"
			    "7:31: column 'street' holds the control character \\x0d, which a message cannot carry (--map 'street=-' drops the column)\n"
			    "9:28: column 'first_name' holds the control character \\x1b, which a message cannot carry (--map 'first_name=-' drops the column)\n");
	assert_int_equal(f->res.records, 1);
	assert_string_equal(file(f, "recipients/contacts/lines.yaml"),
			    "# Imported from lines.csv with mailout import.\n"
			    "- { id: c-40, email: a40@example.com, first_name: Ann, owner: ann, vip: false, street: \"Main St 1\\r\\nFloor 2\" }\n");
	buf_release(&where);
}

static void test_import_header_problems(void **state)
{
	struct fx *f = *state;
	struct import_request req = { 0 };
	const char *maps[] = { "nope=x" };
	const char *bad_map[] = { "email=Not A Field" };

	req.type = RTYPE_LEADS;
	assert_int_equal(run(f, "h.csv", "\n\nId,Mail,1. Company,,Password,first name,First-Name\nl-1,a@example.com,x,y,z,a,b\n", &req), -1);
	assert_string_equal(problems(f),
			    "3: column 3 '1. Company' does not make a field name: use letters, digits, spaces, '-' and '_', starting with a letter (--map '1. Company=FIELD' renames it, '1. Company=-' drops it)\n"
			    "3: column 4 has no name (--map '=FIELD' names it, '=-' drops it)\n"
			    "3: column 5 'Password' would keep a secret in the repository: drop it with --map 'Password=-'\n"
			    "3: columns 6 and 7 are both field 'first_name'\n"
			    "3: no email column (--map COLUMN=email names the column that holds the addresses)\n"
			    "3: no owner column: add one or give --owner PERSON\n");
	assert_non_null(strstr(error_last(), "h.csv' needs fixing; nothing was written"));

	req.maps = maps;
	req.nmaps = 1;
	assert_int_equal(run(f, "h.csv", "id,email\n", &req), IMPORT_USAGE);
	assert_non_null(strstr(error_last(), "invalid --map 'nope=x': no column 'nope' in '"));
	req.maps = bad_map;
	assert_int_equal(run(f, "h.csv", "id,email\n", &req), IMPORT_USAGE);
	assert_string_equal(error_last(),
			    "invalid --map 'email=Not A Field': 'Not A Field' is not a field name (lower-case letters, digits and '_'; '-' drops the column)");

	req.maps = NULL;
	req.nmaps = 0;
	req.owner = "ann";
	assert_int_equal(run(f, "h.csv", "id,email\n", &req), -1);
	assert_non_null(strstr(error_last(), "no records to import in '"));
	assert_int_equal(run(f, "h.csv", "", &req), -1);
	assert_non_null(strstr(error_last(), "h.csv' is empty: expected a header row naming the fields"));
	assert_int_equal(run(f, "h.csv", "id,email\nl-1,\"a@example.com\nl-2,b@example.com\n", &req), -1);
	assert_string_equal(problems(f), "2: field 2: the quote opened on line 2 is never closed\n");
	req.owner = "zed";
	assert_int_equal(run(f, "h.csv", "id,email\nl-1,a@example.com\n", &req), -1);
	assert_string_equal(error_last(), "unknown owner 'zed': --owner takes a person of mailout.yaml");
	req.owner = "bob";
	req.into = "../x";
	assert_int_equal(run(f, "h.csv", "id,email\nl-1,a@example.com\n", &req), IMPORT_USAGE);
	req.into = "fair.yaml";
	assert_int_equal(run(f, "h.csv", "id,email,owner\nl-1,a@example.com,\nl-2,b@example.com,ann\n", &req), 0);
	assert_string_equal(f->res.path, "recipients/leads/fair.yaml");
	assert_string_equal(file(f, "recipients/leads/fair.yaml"),
			    "# Imported from h.csv with mailout import.\n"
			    "- { id: l-1, email: a@example.com, owner: bob, vip: false }\n"
			    "- { id: l-2, email: b@example.com, owner: ann, vip: false }\n");
}

static void test_import_replace(void **state)
{
	struct fx *f = *state;
	struct import_request req = { 0 };
	const char *first = "id,email,full_name,owner,vip\n"
			    "co-1,a@example.com,Acme,ann,1\n"
			    "co-2,b@example.com,Beta,ann,0\n"
			    "co-3,c@example.com,Gamma,bob,0\n";
	const char *second = "id,email,full_name,owner,vip\n"
			     "co-4,d@example.com,Delta,bob,0\n"
			     "co-2,b@example.com,Beta GmbH,ann,0\n"
			     "co-1,a@example.com,Acme,ann,true\n";
	char *before;

	req.type = RTYPE_COMPANIES;
	req.into = "crm";
	assert_int_equal(run(f, "export.csv", first, &req), 0);
	assert_int_equal(f->res.added, 3);
	/* a hand-written comment stays; records are compared by value */
	assert_int_equal(fixture_write(f->root, "recipients/companies/crm.yaml",
				       "# Customers, mirrored from the CRM.\n\n"
				       "- { id: co-1, email: a@example.com, full_name: Acme, owner: ann, vip: true, note: ~ }\n"
				       "- id: co-2\n  email: b@example.com\n  full_name: \"Beta\"\n  owner: ann\n"
				       "- { id: co-3, email: c@example.com, full_name: Gamma, owner: bob }\n"),
			 0);
	assert_int_equal(run(f, "export.csv", second, &req), -1);
	assert_string_equal(error_last(),
			    "'recipients/companies/crm.yaml' exists: use --replace to update it or --into NAME for another file");
	req.replace = 1;
	assert_int_equal(run(f, "export.csv", second, &req), 0);
	assert_string_equal(problems(f), "");
	assert_int_equal(f->res.records, 3);
	assert_int_equal(f->res.added, 1);
	assert_int_equal(f->res.changed, 1);
	assert_int_equal(f->res.removed, 1);
	assert_int_equal(f->res.skipped, 0);
	before = strdup(file(f, "recipients/companies/crm.yaml"));
	assert_string_equal(before,
			    "# Customers, mirrored from the CRM.\n\n"
			    "- { id: co-4, email: d@example.com, full_name: Delta, owner: bob, vip: false }\n"
			    "- { id: co-2, email: b@example.com, full_name: Beta GmbH, owner: ann, vip: false }\n"
			    "- { id: co-1, email: a@example.com, full_name: Acme, owner: ann, vip: true }\n");
	/* the same export again: nothing changes, byte for byte */
	assert_int_equal(run(f, "export.csv", second, &req), 0);
	assert_int_equal(f->res.added, 0);
	assert_int_equal(f->res.changed, 0);
	assert_int_equal(f->res.removed, 0);
	assert_string_equal(file(f, "recipients/companies/crm.yaml"), before);
	free(before);

	/* a file that does not load is not replaced */
	assert_int_equal(fixture_write(f->root, "recipients/companies/crm.yaml", "- { id: [\n"), 0);
	assert_int_equal(run(f, "export.csv", second, &req), -1);
	assert_string_equal(error_last(),
			    "'recipients/companies/crm.yaml' does not load: fix or remove it first; nothing was written");
	assert_string_equal(file(f, "recipients/companies/crm.yaml"), "- { id: [\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_yaml_values),
		cmocka_unit_test(test_vip_values),
		cmocka_unit_test(test_file_names),
		cmocka_unit_test_setup_teardown(test_import_writes_tidy_yaml, setup, teardown),
		cmocka_unit_test_setup_teardown(test_import_refuses_bad_rows, setup, teardown),
		cmocka_unit_test(test_presets),
		cmocka_unit_test_setup_teardown(test_import_presets, setup, teardown),
		cmocka_unit_test_setup_teardown(test_import_streams, setup, teardown),
		cmocka_unit_test_setup_teardown(test_import_not_utf8, setup, teardown),
		cmocka_unit_test_setup_teardown(test_import_controls_and_line_breaks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_import_header_problems, setup, teardown),
		cmocka_unit_test_setup_teardown(test_import_replace, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
