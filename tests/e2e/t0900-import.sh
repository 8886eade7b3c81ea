#!/bin/sh
# mailout import: a CRM's CSV export becomes a tidy recipient file; bad rows
# are named by line and change nothing; --skip-invalid; --replace mirrors a
# fresh export (added, changed, removed); the result validates.
. "$SRC/tests/e2e/lib.sh"

repo=$TMPDIR/repo
make_repo "$repo" || fail "make_repo"
cd "$repo" || exit 1

# snapshot: every file under recipients/ with its checksum.
snapshot() {
	find recipients -type f | sort | xargs md5sum
}

# A BOM, CRLF line ends, a quoted comma, a quoted line break (in a column
# dropped with --map), doubled quotes, empty cells, no final line break.
printf '\357\273\277ID,Email,First Name,Last Name,Company,Owner,VIP,Country,Tags,Notes\r\n' >crm-contacts.csv
printf 'c-2001,nora.lind@example.com,Nora,Lind,"Lind, Berg & Co",alice,yes,SE,newsletter;events,"Met at the fair.\r\nCall back in May."\r\n' >>crm-contacts.csv
printf 'c-2002,omar.haddad@example.net,Omar,Haddad,"Haddad ""Trading""",bruno,,DK,,no notes\r\n' >>crm-contacts.csv
printf 'c-2003,"paula.rossi@example.com",Paula,Rossi,Rossi Srl,alice,No,SE,newsletter,' >>crm-contacts.csv

# A multi-line note is kept (no header carries it).
run_mailout import contacts crm-contacts.csv --into with-notes
expect_rc "a line break in a note" 0
expect_stderr "a line break in a note: stderr" ""
sed -n 2p recipients/contacts/with-notes.yaml >"$TMPDIR/record"
expect_output "a line break in a note: the record" \
'- { id: c-2001, email: nora.lind@example.com, first_name: Nora, last_name: Lind, company: "Lind, Berg & Co", owner: alice, vip: true, country: SE, tags: [newsletter, events], notes: "Met at the fair.\r\nCall back in May." }' \
	"$TMPDIR/record"
run_mailout validate
expect_rc "a multi-line note validates" 0
rm recipients/contacts/with-notes.yaml

run_mailout import contacts crm-contacts.csv --map Notes=-
expect_rc "import with a BOM, a quoted comma and a quoted line break" 0
expect_output "import: summary" \
	"imported 3 records into recipients/contacts/crm-contacts.yaml (added 3, changed 0, removed 0, skipped 0 invalid)"
expect_stderr "import: stderr" ""
cat >"$TMPDIR/expected" <<'YAML'
# Imported from crm-contacts.csv with mailout import.
- { id: c-2001, email: nora.lind@example.com, first_name: Nora, last_name: Lind, company: "Lind, Berg & Co", owner: alice, vip: true, country: SE, tags: [newsletter, events] }
- { id: c-2002, email: omar.haddad@example.net, first_name: Omar, last_name: Haddad, company: "Haddad \"Trading\"", owner: bruno, vip: false, country: DK }
- { id: c-2003, email: paula.rossi@example.com, first_name: Paula, last_name: Rossi, company: Rossi Srl, owner: alice, vip: false, country: SE, tags: [newsletter] }
YAML
expect_file "import: the YAML" "$TMPDIR/expected" recipients/contacts/crm-contacts.yaml
run_mailout validate
expect_rc "the import validates" 0
expect_output "the import validates" "3 campaigns, 63 recipient records: 0 errors, 0 warnings"

# The same export again: refused without --replace, identical with it.
cp recipients/contacts/crm-contacts.yaml "$TMPDIR/first"
run_mailout import contacts crm-contacts.csv --map Notes=-
expect_rc "an existing file without --replace" 1
expect_stderr "an existing file without --replace" \
	"mailout: 'recipients/contacts/crm-contacts.yaml' exists: use --replace to update it or --into NAME for another file"
run_mailout import contacts crm-contacts.csv --map Notes=- --replace
expect_rc "re-import" 0
expect_output "re-import: nothing changed" \
	"imported 3 records into recipients/contacts/crm-contacts.yaml (added 0, changed 0, removed 0, skipped 0 invalid)"
expect_file "re-import writes the same bytes" "$TMPDIR/first" recipients/contacts/crm-contacts.yaml

# A bad address and a duplicate id: both lines named, nothing written.
cat >new-leads.csv <<'CSV'
id,email,first_name,owner
c-2101,quinn@example.com,Quinn,alice
c-2102,rosa(at)example.com,Rosa,alice
c-2103,sam@example.net,Sam,bruno
c-2101,tara@example.com,Tara,bruno
c-2104,uma@example.com,Uma,alice
CSV
snapshot >"$TMPDIR/before"
run_mailout import contacts new-leads.csv
expect_rc "bad rows" 1
expect_output "bad rows: stdout" ""
expect_stderr "bad rows" \
"new-leads.csv:3: error: invalid address 'rosa(at)example.com': no '@'
new-leads.csv:5: error: duplicate id 'c-2101' (first at line 2)
mailout: 2 of 5 records in 'new-leads.csv' are invalid; nothing was written (--skip-invalid imports the others)"
snapshot >"$TMPDIR/after"
expect_file "bad rows change nothing" "$TMPDIR/before" "$TMPDIR/after"

run_mailout import contacts new-leads.csv --skip-invalid
expect_rc "--skip-invalid" 0
expect_output "--skip-invalid: summary" \
	"imported 3 records into recipients/contacts/new-leads.yaml (added 3, changed 0, removed 0, skipped 2 invalid)"
expect_stderr "--skip-invalid lists the refused rows" \
"new-leads.csv:3: error: invalid address 'rosa(at)example.com': no '@'
new-leads.csv:5: error: duplicate id 'c-2101' (first at line 2)"
cat >"$TMPDIR/expected" <<'YAML'
# Imported from new-leads.csv with mailout import.
- { id: c-2101, email: quinn@example.com, first_name: Quinn, owner: alice, vip: false }
- { id: c-2103, email: sam@example.net, first_name: Sam, owner: bruno, vip: false }
- { id: c-2104, email: uma@example.com, first_name: Uma, owner: alice, vip: false }
YAML
expect_file "--skip-invalid: the YAML" "$TMPDIR/expected" recipients/contacts/new-leads.yaml

# --replace: one added, one changed, one removed, one unchanged.
cat >new-leads.csv <<'CSV'
id,email,first_name,owner
c-2103,sam@example.net,Samuel,bruno
c-2104,uma@example.com,Uma,alice
c-2105,vera@example.com,Vera,alice
CSV
run_mailout import contacts new-leads.csv --replace
expect_rc "--replace" 0
expect_output "--replace: summary" \
	"imported 3 records into recipients/contacts/new-leads.yaml (added 1, changed 1, removed 1, skipped 0 invalid)"
cat >"$TMPDIR/expected" <<'YAML'
# Imported from new-leads.csv with mailout import.
- { id: c-2103, email: sam@example.net, first_name: Samuel, owner: bruno, vip: false }
- { id: c-2104, email: uma@example.com, first_name: Uma, owner: alice, vip: false }
- { id: c-2105, email: vera@example.com, first_name: Vera, owner: alice, vip: false }
YAML
expect_file "--replace: the YAML" "$TMPDIR/expected" recipients/contacts/new-leads.yaml
run_mailout validate
expect_rc "after --replace" 0
expect_output "after --replace" "3 campaigns, 66 recipient records: 0 errors, 0 warnings"

# Against other files of the type: the id and the address (in any case).
cat >more.csv <<'CSV'
id,email,owner
c-1001,w@example.com,alice
c-2201,Jana.Novak@example.net,alice
c-2202,xavier@example.com,carol
CSV
run_mailout import contacts more.csv --into extra
expect_rc "duplicates of other files" 1
expect_stderr "duplicates of other files" \
"more.csv:2: error: duplicate id 'c-1001' (already in recipients/contacts/emea.yaml:2)
more.csv:3: error: duplicate address 'Jana.Novak@example.net' (already in recipients/contacts/emea.yaml:2)
mailout: 2 of 3 records in 'more.csv' are invalid; nothing was written (--skip-invalid imports the others)"

# --owner for rows without one; a CSV elsewhere; a new type folder.
mkdir -p "$TMPDIR/downloads"
printf 'Lead ID,E-Mail Address,Company Name\nl-9001,yuki@example.com,Yuki KK\n' >"$TMPDIR/downloads/Fair Leads (Autumn).csv"
run_mailout import leads "$TMPDIR/downloads/Fair Leads (Autumn).csv" --owner dana \
	--map 'Lead ID=id' --map 'e-mail address=email'
expect_rc "--owner and --map" 0
expect_output "--owner and --map" \
	"imported 1 record into recipients/leads/fair-leads-autumn.yaml (added 1, changed 0, removed 0, skipped 0 invalid)"
expect_output "--owner and --map: the YAML" "# Imported from Fair Leads (Autumn).csv with mailout import.
- { id: l-9001, email: yuki@example.com, company_name: Yuki KK, owner: dana, vip: false }" \
	recipients/leads/fair-leads-autumn.yaml

# Usage errors.
run_mailout import contact new-leads.csv
expect_rc "unknown type" 2
expect_stderr "unknown type" "mailout: unknown recipient type 'contact' (did you mean 'contacts'?)
usage: mailout import TYPE FILE.csv [--owner PERSON] [--map COLUMN=FIELD]... [--opt-out-column NAME[=VALUE]]... [--id-from email] [--id-column NAME] [--delimiter CHAR] [--encoding NAME] [--into NAME] [--replace] [--skip-invalid]"
run_mailout import contacts new-leads.csv --into x --map first=name
expect_rc "--map naming no column" 2
expect_stderr "--map naming no column" "mailout: invalid --map 'first=name': no column 'first' in 'new-leads.csv'
usage: mailout import TYPE FILE.csv [--owner PERSON] [--map COLUMN=FIELD]... [--opt-out-column NAME[=VALUE]]... [--id-from email] [--id-column NAME] [--delimiter CHAR] [--encoding NAME] [--into NAME] [--replace] [--skip-invalid]"
run_mailout import contacts
expect_rc "missing arguments" 2
run_mailout import contacts missing.csv
expect_rc "a missing CSV" 1
expect_stderr "a missing CSV" "mailout: cannot read 'missing.csv': No such file or directory"
printf 'id,email,owner\nc-1,"open\n' >open.csv
run_mailout import contacts open.csv --skip-invalid
expect_rc "an unterminated quote" 1
expect_stderr "an unterminated quote" "open.csv:2: error: field 2: the quote opened on line 2 is never closed
mailout: 'open.csv' ends inside a quoted field; nothing was written"

finish
