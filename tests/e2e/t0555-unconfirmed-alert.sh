#!/bin/sh
# A claim unconfirmed for more than an hour (its time in the log against
# the clock, MAILOUT_NOW) makes `status --check` exit 1 with one line per
# campaign and account: the count, the oldest claim and the command that
# settles them (mailout confirm for an account with imap:, else retry
# --unconfirmed).  At 59 minutes nothing is due; status --json carries the
# same in unconfirmed_claims.
# Takes about 2 s.
. "$SRC/tests/e2e/lib.sh"
REPO=$TMPDIR/repo
export MAILOUT_SECRET=e2e-secret-0123456789-0123456789-abcdef

mkdir -p "$REPO/recipients/contacts" "$REPO/templates/signatures" "$REPO/campaigns/one/log" \
	"$REPO/campaigns/two/log"
cat >"$REPO/mailout.yaml" <<'EOF'
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
accounts:
  - { id: ann-a, owner: ann, from: "Ann Example <ann.a@example.com>", smtp: "smtps://smtp.example.com:465", daily_limit: 54 }
  - { id: ann-b, owner: ann, from: "Ann Example <ann.b@example.com>", smtp: "smtps://smtp.example.com:465", imap: "imaps://imap.example.com/INBOX", daily_limit: 54 }
EOF
i=1
while [ $i -le 6 ]; do
	echo "- { id: r-$i, email: r$i@example.net, first_name: R$i, owner: ann }"
	i=$((i + 1))
done >"$REPO/recipients/contacts/all.yaml"
printf -- '---\nsubject: "News"\n---\nHello {{first_name}}\n' >"$REPO/templates/news.md"
printf -- '---\nsubject: "More news"\n---\nHello again {{first_name}}\n' >"$REPO/templates/more.md"
printf 'Ann\n' >"$REPO/templates/signatures/ann.md"
printf 'name: One\ntemplate: news\nrecipient_type: contacts\nowner: ann\nstart: 2026-12-07\n' \
	>"$REPO/campaigns/one/campaign.yaml"
printf 'name: Two\ntemplate: more\nrecipient_type: contacts\nowner: ann\nstart: 2026-12-07\n' \
	>"$REPO/campaigns/two/campaign.yaml"
# campaign one: two claims without an outcome on ann-a (07:30 and 07:31),
# one sent; one on ann-b at 07:40.  Campaign two: one at 07:45 on ann-b.
T='	'
cat >"$REPO/campaigns/one/log/ann-a.tsv" <<EOF
#mailout-log v1
2026-12-07T07:30:00Z${T}claim${T}r-1${T}r1@example.net${T}<1@example.com>
2026-12-07T07:31:00Z${T}claim${T}r-2${T}r2@example.net${T}<2@example.com>
2026-12-07T07:32:00Z${T}claim${T}r-3${T}r3@example.net${T}<3@example.com>
2026-12-07T07:32:01Z${T}sent${T}r-3${T}250${T}-${T}250 OK
EOF
cat >"$REPO/campaigns/one/log/ann-b.tsv" <<EOF
#mailout-log v1
2026-12-07T07:40:00Z${T}claim${T}r-4${T}r4@example.net${T}<4@example.com>
EOF
cat >"$REPO/campaigns/two/log/ann-b.tsv" <<EOF
#mailout-log v1
2026-12-07T07:45:00Z${T}claim${T}r-5${T}r5@example.net${T}<5@example.com>
EOF

check() {
	MAILOUT_NOW=$1 run_mailout --repo "$REPO" status --check
}

# 59 minutes after the oldest claim: not yet an alert
check 2026-12-07T08:29:00Z
expect_rc "59 minutes" 0
expect_stderr "59 minutes: nothing on stderr" ""

# 61 minutes after 07:30, 60 after 07:31 (not more than an hour)
check 2026-12-07T08:31:00Z
expect_rc "61 minutes" 1
expect_stderr "61 minutes: the one claim over an hour" \
"mailout: campaign 'one', account 'ann-a': 1 claim unconfirmed for more than an hour (the oldest since 2026-12-07T07:30:00Z): run mailout retry one --unconfirmed"

# later, every claim: one line per campaign and account
check 2026-12-07T08:46:00Z
expect_rc "76 minutes" 1
expect_stderr "every campaign and account" \
"mailout: campaign 'one', account 'ann-a': 2 claims unconfirmed for more than an hour (the oldest since 2026-12-07T07:30:00Z): run mailout retry one --unconfirmed
mailout: campaign 'one', account 'ann-b': 1 claim unconfirmed for more than an hour (the oldest since 2026-12-07T07:40:00Z): run mailout confirm
mailout: campaign 'two', account 'ann-b': 1 claim unconfirmed for more than an hour (the oldest since 2026-12-07T07:45:00Z): run mailout confirm"

# status --json: the same, for scripts; --check with --json keeps stdout JSON
MAILOUT_NOW=2026-12-07T08:31:00Z run_mailout --repo "$REPO" status --json --check
expect_rc "--json --check" 1
/usr/bin/python3 -c '
import json, sys
for c in json.load(open(sys.argv[1]))["campaigns"]:
    print(c["id"], c["unconfirmed"], json.dumps(c["unconfirmed_claims"]))' "$TMPDIR/stdout" \
	>"$TMPDIR/claims"
expect_output "unconfirmed_claims at 61 minutes" \
'one 3 [{"account": "ann-a", "unconfirmed": 2, "overdue": 1, "oldest_claim": "2026-12-07T07:30:00Z", "command": "mailout retry one --unconfirmed"}, {"account": "ann-b", "unconfirmed": 1, "overdue": 0, "oldest_claim": "2026-12-07T07:40:00Z", "command": "mailout confirm"}]
two 1 [{"account": "ann-b", "unconfirmed": 1, "overdue": 0, "oldest_claim": "2026-12-07T07:45:00Z", "command": "mailout confirm"}]' \
	"$TMPDIR/claims"

# retry --unconfirmed settles every unconfirmed claim of its campaign (it
# sends them again); the other campaign's alert stays
MAILOUT_NOW=2026-12-07T08:46:00Z run_mailout --repo "$REPO" retry one --unconfirmed
expect_rc "retry --unconfirmed" 0
check 2026-12-07T08:47:00Z
expect_rc "after the retry" 1
expect_stderr "after the retry only campaign two's remains" \
"mailout: campaign 'two', account 'ann-b': 1 claim unconfirmed for more than an hour (the oldest since 2026-12-07T07:45:00Z): run mailout confirm"

finish
