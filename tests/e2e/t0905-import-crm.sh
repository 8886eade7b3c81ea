#!/bin/sh
# mailout import of CRM exports as the products write them: opt-out
# columns keep their rows out of the recipients and suppress the address
# (reason manual, source import:FILE); the next plan does not select them.
. "$SRC/tests/e2e/lib.sh"
command -v sqlite3 >/dev/null 2>&1 || skip "sqlite3 is not installed (tests/deps.sh installs it)"

repo=$TMPDIR/repo
make_repo "$repo" || fail "make_repo"
cd "$repo" || exit 1
export MAILOUT_NOW=2026-12-01T10:00:00Z
cp recipients/suppressions.tsv "$TMPDIR/supp"

# Zoho CRM's contacts export: "Email Opt Out" true/false.
cat >zoho-contacts.csv <<'CSV'
Record Id,Contact Owner,First Name,Last Name,Account Name,Email,Title,Email Opt Out,Mailing City
zcrm_5725767000000449001,alice,Hana,Berg,Berg AB,hana.berg@example.com,CEO,false,Malmö
zcrm_5725767000000449002,alice,Ivo,Lenz,Lenz GmbH,Ivo.Lenz@example.net,CTO,true,Graz
zcrm_5725767000000449003,bruno,Jan,Mols,Mols BV,jan.mols@example.com,,FALSE,Delft
CSV
run_mailout import contacts zoho-contacts.csv --map 'Record Id=id' --map 'Contact Owner=owner'
expect_rc "zoho: import" 0
expect_output "zoho: summary" \
"imported 2 records into recipients/contacts/zoho-contacts.yaml (added 2, changed 0, removed 0, skipped 0 invalid)
1 opted out: not imported, 1 added to recipients/suppressions.tsv (0 there already)"
expect_stderr "zoho: stderr" ""
cat >"$TMPDIR/expected" <<'YAML'
# Imported from zoho-contacts.csv with mailout import.
- { id: zcrm_5725767000000449001, email: hana.berg@example.com, first_name: Hana, last_name: Berg, title: CEO, company: Berg AB, owner: alice, vip: false, mailing_city: Malmö }
- { id: zcrm_5725767000000449003, email: jan.mols@example.com, first_name: Jan, last_name: Mols, company: Mols BV, owner: bruno, vip: false, mailing_city: Delft }
YAML
expect_file "zoho: the YAML" "$TMPDIR/expected" recipients/contacts/zoho-contacts.yaml
printf 'ivo.lenz@example.net\tmanual\t2026-12-01T10:00:00Z\timport:zoho-contacts.csv\n' >>"$TMPDIR/supp"
expect_file "zoho: the suppression" "$TMPDIR/supp" recipients/suppressions.tsv

# Salesforce's API names (HasOptedOutOfEmail 1/0) and HubSpot's
# "Unsubscribed from all email" and "Marketing contact status"; an address
# already suppressed is not added twice.
cat >sf-leads.csv <<'CSV'
Id,FirstName,LastName,Company,Email,Country,HasOptedOutOfEmail
00Q5g00000AbCdEEA1,Kai,Rho,Rho Ltd,kai.rho@example.com,US,0
00Q5g00000AbCdEEA2,Lea,Sun,Sun SA,IVO.LENZ@example.net,US,1
00Q5g00000AbCdEEA3,Mia,Tal,Tal Oy,mia.tal@example.com,US,1
CSV
run_mailout import leads sf-leads.csv --map Id=id --map FirstName=first_name \
	--map LastName=last_name --map Company=company_name --owner dana
expect_rc "salesforce: import" 0
expect_output "salesforce: summary" \
"imported 1 record into recipients/leads/sf-leads.yaml (added 1, changed 0, removed 0, skipped 0 invalid)
2 opted out: not imported, 1 added to recipients/suppressions.tsv (1 there already)"
expect_output "salesforce: the YAML" "# Imported from sf-leads.csv with mailout import.
- { id: \"00Q5g00000AbCdEEA1\", email: kai.rho@example.com, first_name: Kai, last_name: Rho, company_name: Rho Ltd, owner: dana, vip: false, country: US }" \
	recipients/leads/sf-leads.yaml
printf 'mia.tal@example.com\tmanual\t2026-12-01T10:00:00Z\timport:sf-leads.csv\n' >>"$TMPDIR/supp"
expect_file "salesforce: the suppressions" "$TMPDIR/supp" recipients/suppressions.tsv

cat >hubspot.csv <<'CSV'
Record ID,First Name,Last Name,Email,Contact owner,Marketing contact status,Unsubscribed from all email,Lifecycle Stage
5101,Nia,Ode,nia.ode@example.com,alice,Marketing contact,false,Lead
5102,Oto,Pak,oto.pak@example.com,alice,Non-marketing contact,false,Customer
5103,Pia,Qu,pia.qu@example.com,bruno,Marketing contact,true,Lead
CSV
run_mailout import contacts hubspot.csv --map 'Record ID=id' --map 'Contact owner=owner' --into hs
expect_rc "hubspot: import" 0
expect_output "hubspot: summary" \
"imported 1 record into recipients/contacts/hs.yaml (added 1, changed 0, removed 0, skipped 0 invalid)
2 opted out: not imported, 2 added to recipients/suppressions.tsv (0 there already)"
expect_output "hubspot: the YAML" "# Imported from hubspot.csv with mailout import.
- { id: \"5101\", email: nia.ode@example.com, first_name: Nia, last_name: Ode, owner: alice, vip: false, lifecycle_stage: Lead }" \
	recipients/contacts/hs.yaml
printf 'oto.pak@example.com\tmanual\t2026-12-01T10:00:00Z\timport:hubspot.csv\n' >>"$TMPDIR/supp"
printf 'pia.qu@example.com\tmanual\t2026-12-01T10:00:00Z\timport:hubspot.csv\n' >>"$TMPDIR/supp"
expect_file "hubspot: the suppressions" "$TMPDIR/supp" recipients/suppressions.tsv

# --opt-out-column NAME=VALUE; a column that looks like an opt-out is a
# warning; a yes-like opt-out cell that says neither refuses the row.
cat >sheet.csv <<'CSV'
id,email,owner,status,no_email_please
c-3001,quin@example.com,alice,active,
c-3002,rae@example.com,alice,Do not contact,
c-3003,sol@example.com,alice,active,yes
CSV
run_mailout import contacts sheet.csv --opt-out-column 'Status=do not contact'
expect_rc "--opt-out-column" 0
expect_output "--opt-out-column: summary" \
"imported 2 records into recipients/contacts/sheet.yaml (added 2, changed 0, removed 0, skipped 0 invalid)
1 opted out: not imported, 1 added to recipients/suppressions.tsv (0 there already)"
expect_stderr "--opt-out-column: the look-alike" \
"sheet.csv:1: warning: column 'no_email_please' looks like an opt-out but is imported as data (--opt-out-column 'no_email_please[=VALUE]' honours it, --map 'no_email_please=-' drops it)"
expect_output "--opt-out-column: the YAML" "# Imported from sheet.csv with mailout import.
- { id: c-3001, email: quin@example.com, owner: alice, vip: false }
- { id: c-3003, email: sol@example.com, owner: alice, vip: false, no_email_please: \"yes\" }" \
	recipients/contacts/sheet.yaml
printf 'rae@example.com\tmanual\t2026-12-01T10:00:00Z\timport:sheet.csv\n' >>"$TMPDIR/supp"
expect_file "--opt-out-column: the suppressions" "$TMPDIR/supp" recipients/suppressions.tsv

printf 'id,email,owner,Do Not Email\nc-3101,tom@example.com,alice,maybe\nc-3102,,alice,yes\n' >dne.csv
run_mailout import contacts dne.csv
expect_rc "an opt-out that says neither" 1
expect_stderr "an opt-out that says neither" \
"dne.csv:2: error: column 'Do Not Email' is neither yes nor no: 'maybe' (expected true or false, yes or no, 1 or 0, x or empty)
dne.csv:3: error: opted out, but the address is missing
mailout: 2 of 2 records in 'dne.csv' are invalid; nothing was written (--skip-invalid imports the others)"
expect_file "a refused import suppresses nothing" "$TMPDIR/supp" recipients/suppressions.tsv
run_mailout import contacts dne.csv --opt-out-column nope
expect_rc "--opt-out-column naming no column" 2
expect_contains "--opt-out-column naming no column" \
	"mailout: invalid --opt-out-column 'nope': no column 'nope' in 'dne.csv'" "$TMPDIR/stderr"

# A form feed (FileMaker's in-cell line break) in a name is refused at its
# line and column; a multi-line street is kept.
printf 'id,email,owner,First Name,Mailing Street\nc-3201,uwe@example.com,alice,"Uwe\fKarl","Hauptstr. 1\r\nHof 2"\nc-3202,vic@example.com,alice,Vic,"Ring 3\nEG"\n' >filemaker.csv
run_mailout import contacts filemaker.csv
expect_rc "a form feed in a name" 1
expect_stderr "a form feed in a name" \
"filemaker.csv:2:34: error: column 'First Name' holds the control character \\x0c, which a message cannot carry (--map 'First Name=-' drops the column)
mailout: 1 of 2 records in 'filemaker.csv' is invalid; nothing was written (--skip-invalid imports the others)"
run_mailout import contacts filemaker.csv --skip-invalid
expect_rc "a form feed in a name: --skip-invalid" 0
expect_output "a multi-line street is kept" "# Imported from filemaker.csv with mailout import.
- { id: c-3202, email: vic@example.com, first_name: Vic, owner: alice, vip: false, mailing_street: \"Ring 3\\nEG\" }" \
	recipients/contacts/filemaker.yaml

# A Salesforce report export: owners by name or e-mail in any case, Excel's
# blank rows skipped silently, the report's footer with one warning.
printf '"Contact ID","First Name","Last Name","Account Name","Email","Contact Owner"\r\n' >sf-report.csv
printf '"0035g00000XyZaAAA","Wim","Aerts","Aerts NV","wim.aerts@example.com","Alice Adams"\r\n' >>sf-report.csv
printf ',,,,,\r\n' >>sf-report.csv
printf '"0035g00000XyZaBBB","Xia","Bo","Bo Ltd","xia.bo@example.com","BRUNO@example.com"\r\n' >>sf-report.csv
printf '"0035g00000XyZaCCC","Yan","Cho","Cho Inc","yan.cho@example.com","bruno köhler"\r\n' >>sf-report.csv
printf ',,,,,\r\n\r\n' >>sf-report.csv
printf '"Copyright (c) 2000-2026 salesforce.com, inc. All rights reserved."\r\n' >>sf-report.csv
printf '"Confidential Information - Do Not Distribute"\r\n' >>sf-report.csv
printf '"Generated By:  Alice Adams  12/1/2026 10:00 AM"\r\n' >>sf-report.csv
printf '"Example Inc."\r\n' >>sf-report.csv
run_mailout import contacts sf-report.csv --map 'Contact ID=id' --map 'Contact Owner=owner'
expect_rc "salesforce report" 0
expect_output "salesforce report: summary" \
	"imported 3 records into recipients/contacts/sf-report.yaml (added 3, changed 0, removed 0, skipped 0 invalid)"
expect_stderr "salesforce report: the footer" \
	"sf-report.csv:8: warning: lines 8-11 after the records are no records (a report's footer): skipped"
expect_output "salesforce report: the YAML" "# Imported from sf-report.csv with mailout import.
- { id: \"0035g00000XyZaAAA\", email: wim.aerts@example.com, first_name: Wim, last_name: Aerts, company: Aerts NV, owner: alice, vip: false }
- { id: \"0035g00000XyZaBBB\", email: xia.bo@example.com, first_name: Xia, last_name: Bo, company: Bo Ltd, owner: bruno, vip: false }
- { id: \"0035g00000XyZaCCC\", email: yan.cho@example.com, first_name: Yan, last_name: Cho, company: Cho Inc, owner: bruno, vip: false }" \
	recipients/contacts/sf-report.yaml

# --replace with --skip-invalid keeps the record of an invalid row's id; an
# id absent from the new export goes.
printf 'Contact ID,First Name,Email,Contact Owner\nd-1,Zoe,zoe@example.com,alice\nd-2,Abe,abe@example.com,alice\nd-3,Bea,bea@example.com,bruno\n' >fresh.csv
run_mailout import contacts fresh.csv --map 'Contact ID=id' --map 'Contact Owner=owner'
expect_rc "fresh: first import" 0
printf 'Contact ID,First Name,Email,Contact Owner\nd-1,Zoë,zoe@example.com,alice\nd-2,"Abe\nBcc: x@example.com",abe@example.com,alice\nd-4,Cy,cy@example.com,Alice\n' >fresh.csv
run_mailout import contacts fresh.csv --map 'Contact ID=id' --map 'Contact Owner=owner' --replace --skip-invalid
expect_rc "fresh: --replace --skip-invalid" 0
expect_output "fresh: summary" \
"imported 3 records into recipients/contacts/fresh.yaml (added 1, changed 1, removed 1, skipped 1 invalid)
1 record kept as it was (its row is invalid)"
expect_stderr "fresh: the kept record" \
"fresh.csv:3: error: column 'First Name' holds a line break, which the To header cannot carry (field 'first_name')
fresh.csv:3: warning: the record 'd-2' of recipients/contacts/fresh.yaml is kept as it was"
expect_output "fresh: the YAML" "# Imported from fresh.csv with mailout import.
- { id: d-1, email: zoe@example.com, first_name: Zoë, owner: alice, vip: false }
- { id: d-2, email: abe@example.com, first_name: Abe, owner: alice, vip: false }
- { id: d-4, email: cy@example.com, first_name: Cy, owner: alice, vip: false }" \
	recipients/contacts/fresh.yaml

# Outlook's export has no id column: --id-from email makes stable ids from
# the address in lower case (the type's prefix and 12 hex digits of its
# SHA-256), so a re-import matches the same people.
printf '"First Name","Middle Name","Last Name","Title","Suffix","Nickname","Given Yomi","Surname Yomi","E-mail Address","E-mail 2 Address","E-mail 3 Address","Home Phone","Business Phone","Company"\r\n' >outlook.csv
printf '"Ann","","Lee","","","","","","Ann.Lee@example.com","","","","+46 8 123","Lee AB"\r\n' >>outlook.csv
run_mailout import contacts outlook.csv --map 'E-mail Address=email'
expect_rc "outlook without --id-from" 1
expect_stderr "outlook without --id-from" \
"outlook.csv:1: error: no id column (--map COLUMN=id names the column that holds the ids)
outlook.csv:1: error: no owner column: add one or give --owner PERSON
mailout: the header of 'outlook.csv' needs fixing; nothing was written"
id=c-$(printf '%s' ann.lee@example.com | sha256sum | cut -c1-12)
run_mailout import contacts outlook.csv --id-from email --map 'E-mail Address=email' --owner 'alice adams'
expect_rc "outlook: --id-from email" 0
expect_output "outlook: the YAML" "# Imported from outlook.csv with mailout import.
- { id: $id, email: Ann.Lee@example.com, first_name: Ann, last_name: Lee, company: Lee AB, owner: alice, vip: false, business_phone: +46 8 123 }" \
	recipients/contacts/outlook.yaml
run_mailout import contacts outlook.csv --id-from email --map 'E-mail Address=email' --owner alice --replace
expect_output "outlook: the same ids again" \
	"imported 1 record into recipients/contacts/outlook.yaml (added 0, changed 0, removed 0, skipped 0 invalid)"
printf 'Ref,Email,Owner\nK-77,kim@example.com,alice\n' >refs.csv
run_mailout import leads refs.csv --id-column ref
expect_rc "--id-column" 0
expect_output "--id-column: the YAML" "# Imported from refs.csv with mailout import.
- { id: K-77, email: kim@example.com, owner: alice, vip: false }" recipients/leads/refs.yaml
run_mailout import leads refs.csv --id-column nope --into x
expect_rc "--id-column naming no column" 2

# German Excel: semicolons (detected from the header), Windows-1252 with
# --encoding; UTF-16 ("Unicode Text") by its byte-order mark.
printf 'Nachname;Vorname;E-Mail-Adresse;Straße;Ort;Owner;ID\r\nKöhler;Jürgen;juergen.koehler@example.com;Hauptstraße 5;Köln;Bruno Köhler;c-8001\r\n' |
	iconv -f utf-8 -t windows-1252 >excel-de.csv
set -- --map 'E-Mail-Adresse=email' --map Nachname=last_name --map Vorname=first_name
run_mailout import contacts excel-de.csv "$@"
expect_rc "windows-1252 without --encoding" 1
expect_stderr "windows-1252 without --encoding" \
"excel-de.csv:1:37: error: byte 0xdf (offset 36) is not UTF-8: give the file's encoding with --encoding (windows-1252 for Excel on Windows)
mailout: 'excel-de.csv' is not UTF-8 text; nothing was written"
run_mailout import contacts excel-de.csv "$@" --encoding windows-1252 --map 'Straße=street'
expect_rc "german excel" 0
expect_output "german excel: the YAML" "# Imported from excel-de.csv with mailout import.
- { id: c-8001, email: juergen.koehler@example.com, first_name: Jürgen, last_name: Köhler, owner: bruno, vip: false, street: Hauptstraße 5, ort: Köln }" \
	recipients/contacts/excel-de.yaml
printf 'id\temail\towner\tfirst_name\r\nc-8101\tute@example.com\talice\tUte\r\n' | iconv -f utf-8 -t utf-16 >unicode.txt
run_mailout import contacts unicode.txt
expect_rc "utf-16" 0
expect_output "utf-16: the YAML" "# Imported from unicode.txt with mailout import.
- { id: c-8101, email: ute@example.com, first_name: Ute, owner: alice, vip: false }" recipients/contacts/unicode.yaml
run_mailout import contacts excel-de.csv --encoding klingon --into x
expect_rc "an unknown encoding" 2

# The plan built next selects none of the rows that opted out.
run_mailout validate
expect_rc "the imports validate" 0
run_mailout build
expect_rc "build" 0
n=$(sqlite3 build/plan.db "SELECT COUNT(*) FROM deliveries WHERE campaign = 'product-launch-leads' AND address = 'kai.rho@example.com'" 2>&1)
[ "$n" = 1 ] || fail "build: the lead kept is not selected ($n)"
for a in ivo.lenz@example.net mia.tal@example.com oto.pak@example.com pia.qu@example.com rae@example.com; do
	n=$(sqlite3 build/plan.db "SELECT (SELECT COUNT(*) FROM deliveries WHERE address = '$a') + (SELECT COUNT(*) FROM recipients WHERE address = '$a')" 2>&1)
	[ "$n" = 0 ] || fail "build: $a is in the plan ($n)"
done

finish
