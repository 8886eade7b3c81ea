#!/bin/sh
# mailout merge: refused, naming what differs, when template, recipient type
# or owner differ, and for ids it cannot use; a refusal changes no file.
# A merge that is allowed writes the new campaign and marks the sources.
. "$SRC/tests/e2e/lib.sh"

repo=$TMPDIR/repo
mkdir -p "$repo/recipients/contacts" "$repo/recipients/leads" "$repo/templates/signatures" || exit 1
cd "$repo" || exit 1
cat >mailout.yaml <<'YAML'
organization:
  name: Test GmbH
  postal_address: "Teststrasse 1, 10115 Berlin"
  site_url: https://status.example.com
  timezone: Europe/Berlin
unsubscribe:
  address: unsubscribe@example.com
departments:
  - { id: sales, name: Sales }
people:
  - { id: ann, name: Ann Example, email: ann@example.com, department: sales, role: sales_manager }
  - { id: bob, name: Bob Example, email: bob@example.com, department: sales, role: sales_manager }
accounts:
  - { id: ann-a, owner: ann, from: "Ann Example <ann@example.com>", smtp: "smtps://smtp.example.com:465", daily_limit: 20 }
  - { id: bob-a, owner: bob, from: "Bob Example <bob@example.com>", smtp: "smtps://smtp.example.com:465", daily_limit: 20 }
YAML
cat >recipients/contacts/all.yaml <<'YAML'
- { id: c-1, email: c1@example.net, first_name: C1, owner: ann, country: DE }
- { id: c-2, email: c2@example.net, first_name: C2, owner: ann, country: FR }
- { id: c-3, email: c3@example.net, first_name: C3, owner: bob, country: DE }
YAML
cat >recipients/leads/all.yaml <<'YAML'
- { id: l-1, email: l1@example.net, first_name: L1, owner: ann, country: DE }
YAML
for t in news-one news-two; do
	printf -- '---\nsubject: "%s for {{first_name}}"\n---\nHello {{first_name}}.\n' "$t" >templates/$t.md
done
echo "Ann" >templates/signatures/ann.md
echo "Bob" >templates/signatures/bob.md
campaign() { # ID NAME TEMPLATE TYPE OWNER [MORE]
	mkdir -p "campaigns/$1"
	printf 'name: %s\ntemplate: %s\nrecipient_type: %s\nowner: %s\n%s' "$2" "$3" "$4" "$5" "${6:-}" \
		>"campaigns/$1/campaign.yaml"
}
campaign de "Germany" news-one contacts ann "filter: { country: DE }   # German contacts
status: active                  # active | paused | merged
start: 2026-12-07
end: 2027-01-15
"
campaign fr "France" news-one contacts ann "filter: { country: FR }
start: 2026-12-09T10:00
end: 2027-01-31
"
campaign bob "Bob's" news-one contacts bob
campaign leads "Leads" news-one leads ann
campaign two "Two" news-two contacts ann "filter: { country: FR }
"
export MAILOUT_NOW=2026-12-07T09:00
run_mailout validate
expect_rc "the fixture validates" 0

snapshot() {
	find . -type f ! -path './build/*' | sort | xargs md5sum
}
snapshot >"$TMPDIR/before"

refused() { # WHAT EXIT MESSAGE ARG...
	what=$1 code=$2 message=$3
	shift 3
	run_mailout merge "$@"
	expect_rc "$what" "$code"
	expect_output "$what: stdout" ""
	expect_stderr "$what" "$message"
}
refused "another owner" 1 "mailout: cannot merge: 'de' has owner ann, 'bob' has owner bob" de bob --into x
refused "another type" 1 \
	"mailout: cannot merge: 'de' has recipient type contacts, 'leads' has recipient type leads" de leads --into x
refused "another template" 1 "mailout: cannot merge: 'de' has template news-one, 'two' has template news-two" \
	de fr two --into x
refused "everything differs" 1 \
	"mailout: cannot merge: 'two' has template news-two, 'bob' has template news-one; 'two' has owner ann, 'bob' has owner bob" \
	two bob --into x
refused "an unknown campaign" 1 "mailout: unknown campaign 'es'" de es --into x
refused "an existing id" 1 "mailout: campaign 'bob' already exists (campaigns/bob)" de fr --into bob
refused "the id of a source" 1 "mailout: cannot merge: 'fr' is one of the campaigns merged; choose a new id" \
	de fr --into fr
usage="usage: mailout merge CAMPAIGN CAMPAIGN... --into ID [--name NAME]"
refused "one campaign" 2 "mailout: name at least two campaigns to merge
$usage" de --into x
refused "no --into" 2 "mailout: which campaign should they become? (--into ID)
$usage" de fr
refused "a campaign twice" 2 "mailout: campaign 'de' is named twice
$usage" de fr de --into x
refused "a bad id" 2 "mailout: invalid campaign id 'X': use lower-case letters, digits and '-', starting with a letter or digit
$usage" de fr --into X
snapshot >"$TMPDIR/after"
expect_file "refusals change nothing" "$TMPDIR/before" "$TMPDIR/after"

# allowed: the new campaign, the sources marked, the commands recorded
run_mailout merge de fr --into contacts-all
expect_rc "merge" 0
expect_output "merge: output" \
"merge: 'de' and 'fr' merged into 'contacts-all' (campaigns/contacts-all/campaign.yaml)
contacts-all: 2 recipients: 0 sent so far, 2 pending"
expect_stderr "merge: stderr" ""
cat >"$TMPDIR/expected" <<'YAML'
name: Germany (merged)                   # shown in status and on the site
template: news-one                       # templates/news-one.md
recipient_type: contacts                 # contacts | companies | leads
merged_from: [de, fr]                    # what these selected, with their history
owner: ann                               # only ann's contacts are selected
status: active                           # active | paused | merged
start: 2026-12-07                        # nothing is sent before
end: 2027-01-31                          # nothing is sent after this day
vip_only: false                          # true: VIP recipients only
YAML
expect_file "the merged campaign" "$TMPDIR/expected" campaigns/contacts-all/campaign.yaml
printf '#mailout-log v2\n2026-12-07T08:00:00Z\tmerged\tde\n2026-12-07T08:00:00Z\tmerged\tfr\n' >"$TMPDIR/expected"
expect_file "the merge commands" "$TMPDIR/expected" campaigns/contacts-all/commands.tsv
cat >"$TMPDIR/expected" <<'YAML'
name: Germany
template: news-one
recipient_type: contacts
owner: ann
filter: { country: DE }   # German contacts
status: merged                  # active | paused | merged
merged_into: contacts-all
start: 2026-12-07
end: 2027-01-15
YAML
expect_file "a source with a status line" "$TMPDIR/expected" campaigns/de/campaign.yaml
printf 'name: France\ntemplate: news-one\nrecipient_type: contacts\nowner: ann\nfilter: { country: FR }\nstart: 2026-12-09T10:00\nend: 2027-01-31\nstatus: merged\nmerged_into: contacts-all\n' \
	>"$TMPDIR/expected"
expect_file "a source without a status line" "$TMPDIR/expected" campaigns/fr/campaign.yaml
run_mailout validate
expect_rc "the merge validates" 0

# a source cannot be merged twice, nor the merge again
snapshot >"$TMPDIR/before"
refused "a merged source" 1 "mailout: cannot merge: 'de' was merged into 'contacts-all' already" de two --into y
refused "a merge" 1 "mailout: cannot merge: 'contacts-all' was made by a merge itself, and merges do not nest" \
	contacts-all two --into y
snapshot >"$TMPDIR/after"
expect_file "these refusals change nothing either" "$TMPDIR/before" "$TMPDIR/after"

# a paused source pauses the merge; --name
echo "status: paused" >>campaigns/two/campaign.yaml
campaign fr2 "France 2" news-two contacts ann "filter: { country: FR }
"
run_mailout merge two fr2 --into fr-all --name "France: all"
expect_rc "merge of a paused campaign" 0
expect_output "merge of a paused campaign: output" \
"merge: 'two' and 'fr2' merged into 'fr-all' (campaigns/fr-all/campaign.yaml)
fr-all: 1 recipient: 0 sent so far, 1 pending
fr-all: paused, as 'two' was; 'mailout resume fr-all' starts it"
grep -qxF 'name: "France: all"                      # shown in status and on the site' campaigns/fr-all/campaign.yaml ||
	fail "the name" campaigns/fr-all/campaign.yaml
grep -qxF 'status: paused                           # active | paused | merged' campaigns/fr-all/campaign.yaml ||
	fail "paused" campaigns/fr-all/campaign.yaml
finish
