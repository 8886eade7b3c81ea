#!/bin/sh
# mailout import of exports as HubSpot, Salesforce (contacts and leads
# reports, the Data Export's API names), Zoho, Pipedrive, Outlook, Google
# Contacts (and its format before 2023) and Django CRM write them
# (tests/e2e/fixtures/import/*.csv), without --map: the exact records
# (fixtures/import/*.yaml) and suppressions; then a send to a capture
# server mails every imported recipient and none that opted out.
. "$SRC/tests/e2e/lib.sh"
. "$SRC/tests/e2e/smtp.sh"
command -v sqlite3 >/dev/null 2>&1 || skip "sqlite3 is not installed (tests/deps.sh installs it)"

fixtures=$SRC/tests/e2e/fixtures/import
repo=$TMPDIR/repo
make_repo "$repo" || fail "make_repo"
compact_config "$repo"
cd "$repo" || exit 1
# only what the exports bring
rm -rf campaigns/* recipients/contacts recipients/leads recipients/companies recipients/segments.yaml
cp recipients/suppressions.tsv "$TMPDIR/supp"
export MAILOUT_NOW=2026-12-01T10:00:00Z

# import_fixture TYPE NAME SUMMARY [ARG...]: imports fixtures/import/NAME.csv
# as TYPE; the summary is SUMMARY, the file NAME.yaml.
import_fixture() {
	type=$1 name=$2 summary=$3
	shift 3
	run_mailout import "$type" "$fixtures/$name.csv" "$@"
	expect_rc "$name: import" 0
	expect_output "$name: summary" "$summary"
	expect_file "$name: the records" "$fixtures/$name.yaml" "recipients/$type/$name.yaml"
}

# suppressed SOURCE ADDRESS...: the lines the import of SOURCE appended.
suppressed() {
	source=$1
	shift
	for a in "$@"; do
		printf '%s\tmanual\t2026-12-01T10:00:00Z\timport:%s\n' "$a" "$source" >>"$TMPDIR/supp"
	done
	expect_file "$source: the suppressions" "$TMPDIR/supp" recipients/suppressions.tsv
}

# HubSpot: owners by name and by e-mail; "Marketing contact status" and
# "Unsubscribed from all email" opt out.
import_fixture contacts hubspot-contacts \
"imported 1 record into recipients/contacts/hubspot-contacts.yaml (added 1, changed 0, removed 0, skipped 0 invalid)
2 opted out: not imported, 2 added to recipients/suppressions.tsv (0 there already)"
expect_stderr "hubspot: stderr" ""
suppressed hubspot-contacts.csv otto.paas@example.com pia.quist@example.net

# Salesforce reports: a multi-line street, Excel's blank row, the footer.
import_fixture contacts salesforce-contacts-report \
"imported 2 records into recipients/contacts/salesforce-contacts-report.yaml (added 2, changed 0, removed 0, skipped 0 invalid)
1 opted out: not imported, 1 added to recipients/suppressions.tsv (0 there already)"
expect_stderr "salesforce contacts report: the footer" \
	"$fixtures/salesforce-contacts-report.csv:8: warning: lines 8-11 after the records are no records (a report's footer): skipped"
suppressed salesforce-contacts-report.csv sven.tamm@example.net
import_fixture leads salesforce-leads-report \
"imported 1 record into recipients/leads/salesforce-leads-report.yaml (added 1, changed 0, removed 0, skipped 0 invalid)
1 opted out: not imported, 1 added to recipients/suppressions.tsv (0 there already)"
expect_stderr "salesforce leads report: the footer" \
	"$fixtures/salesforce-leads-report.csv:5: warning: lines 5-8 after the records are no records (a report's footer): skipped"
suppressed salesforce-leads-report.csv wim.xu@example.net
# the Data Export's Lead.csv: owners are user ids, so --owner
import_fixture leads salesforce-leads-api \
"imported 1 record into recipients/leads/salesforce-leads-api.yaml (added 1, changed 0, removed 0, skipped 0 invalid)
1 opted out: not imported, 1 added to recipients/suppressions.tsv (0 there already)" --owner alice
expect_stderr "salesforce leads api: stderr" ""
suppressed salesforce-leads-api.csv abe.adler@example.net

import_fixture leads zoho-leads \
"imported 1 record into recipients/leads/zoho-leads.yaml (added 1, changed 0, removed 0, skipped 0 invalid)
1 opted out: not imported, 1 added to recipients/suppressions.tsv (0 there already)"
suppressed zoho-leads.csv dag.dahl@example.net

# Pipedrive: "Person - Name" split into first and last name
import_fixture contacts pipedrive-people \
"imported 2 records into recipients/contacts/pipedrive-people.yaml (added 2, changed 0, removed 0, skipped 0 invalid)
1 opted out: not imported, 1 added to recipients/suppressions.tsv (0 there already)"
expect_stderr "pipedrive: stderr" ""
suppressed pipedrive-people.csv finn.falk@example.net

# No ids and no owners: --id-from email, --owner.  Outlook's "Title" is a
# salutation beside "Job Title".
import_fixture contacts outlook-contacts \
	"imported 2 records into recipients/contacts/outlook-contacts.yaml (added 2, changed 0, removed 0, skipped 0 invalid)" \
	--id-from email --owner bruno
expect_stderr "outlook: stderr" ""
import_fixture contacts google-contacts \
	"imported 2 records into recipients/contacts/google-contacts.yaml (added 2, changed 0, removed 0, skipped 0 invalid)" \
	--id-from email --owner dana
import_fixture contacts google-contacts-legacy \
	"imported 1 record into recipients/contacts/google-contacts-legacy.yaml (added 1, changed 0, removed 0, skipped 0 invalid)" \
	--id-from email --owner dana
# Django CRM: its own field names; massmail False opts out
import_fixture contacts djangocrm-contacts \
"imported 1 record into recipients/contacts/djangocrm-contacts.yaml (added 1, changed 0, removed 0, skipped 0 invalid)
1 opted out: not imported, 1 added to recipients/suppressions.tsv (0 there already)" --id-from email
suppressed djangocrm-contacts.csv nils.nord@example.net

run_mailout validate
expect_rc "the imports validate" 0
expect_output "the imports validate" "0 campaigns, 14 recipient records: 0 errors, 0 warnings"

# Campaigns for every owner and type, sent to a capture server: each
# imported recipient gets one message, no one who opted out gets any.
printf -- '---\nsubject: "News for {{first_name}}"\n---\nHello {{first_name}}.\n' >templates/news.md
export MAILOUT_NOW=2026-12-07T08:00
for who in alice bruno; do
	for type in contacts leads; do
		run_mailout new --type $type --template news --owner $who --id "news-$who-$type"
		expect_rc "new for $who's $type" 0
	done
done
run_mailout new --type contacts --template news --owner dana --id news-dana-contacts
expect_rc "new for dana's contacts" 0
export MAILOUT_SECRET=e2e-secret-0123456789-0123456789-abcdef
start_smtpd "$TMPDIR/spool" || finish
run_mailout send --now 2026-12-07T08:00 --for 14d --sink "smtp://127.0.0.1:$SMTPD_PORT"
expect_rc "send" 0
stop_smtpd
cut -f4 "$TMPDIR/spool/log.tsv" | sort >"$TMPDIR/mailed"
expect_output "send: every imported recipient once, no opt-out" "cleo.berg@example.com
eva.ek@example.com
gus@example.com
hugo.holm@example.com
ida.ihle@example.net
jana.jung@example.com
karl.kern@example.com
lena.lind@example.com
mira.moll@example.com
nina.ode@example.com
rui.sa@example.com
ute.vogt@example.com
vera.wolf@example.com
yan.zhou@example.com" "$TMPDIR/mailed"
finish
