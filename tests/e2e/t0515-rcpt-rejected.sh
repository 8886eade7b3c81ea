#!/bin/sh
# A refusal at RCPT that names no mailbox problem (554 5.7.1 "Recipient
# address rejected: Access denied") fails that one delivery, suppresses
# nobody, and the account goes on; three recipients in a row refused with
# the same code make the account critical; after resume the run goes on
# with the next recipients, not those three; retry queues them again.
. "$SRC/tests/e2e/lib.sh"
. "$SRC/tests/e2e/smtp.sh"
REPO=$TMPDIR/repo
export MAILOUT_SECRET=e2e-secret-0123456789-0123456789-abcdef

# one manager, one account sending every 10 minutes (54 a day in 9 hours),
# one campaign to r-1 ... r-12 in file order
mkdir -p "$REPO/recipients/contacts" "$REPO/templates/signatures" "$REPO/campaigns/one"
cat >"$REPO/mailout.yaml" <<'EOF'
organization:
  name: Test GmbH
  postal_address: "Teststrasse 1, 10115 Berlin"
  site_url: https://status.example.com
  timezone: Europe/Berlin
schedule:
  working_hours: "08:30-17:30"
  suspended_days: [sat, sun]
unsubscribe:
  address: unsubscribe@example.com
departments:
  - { id: sales, name: Sales }
people:
  - { id: ann, name: Ann Example, email: ann@example.com, department: sales, role: sales_manager }
accounts:
  - { id: ann-a, owner: ann, from: "Ann Example <ann.a@example.com>", smtp: "smtps://smtp.example.com:465", daily_limit: 54 }
EOF
i=1
while [ $i -le 12 ]; do
	echo "- { id: r-$i, email: r$i@example.net, first_name: R$i, owner: ann }"
	i=$((i + 1))
done >"$REPO/recipients/contacts/all.yaml"
printf -- '---\nsubject: "News for {{first_name}}"\n---\nHello {{first_name}},\n\nthis is news.\n' \
	>"$REPO/templates/news.md"
printf 'Ann Example  \nSales\n' >"$REPO/templates/signatures/ann.md"
printf 'name: One\ntemplate: news\nrecipient_type: contacts\nowner: ann\nstart: 2026-12-07\n' \
	>"$REPO/campaigns/one/campaign.yaml"

faults=$TMPDIR/faults
refuse() {
	for n in "$@"; do
		echo "r$n@example.net=554 5.7.1 <r$n@example.net>: Recipient address rejected: Access denied"
	done >"$faults"
}
refuse 2
start_smtpd "$TMPDIR/spool" --fault-file "$faults" || finish
sink="smtp://127.0.0.1:$SMTPD_PORT"

state() {
	plan_query "SELECT state FROM deliveries WHERE recipient = '$1'"
}
# the campaign's status, counts and account from status --json, in one line
# (stdout keeps the JSON)
summary() {
	MAILOUT_NOW=$1 run_mailout --repo "$REPO" status one --json
	/usr/bin/python3 -c '
import json, sys
c = json.load(open(sys.argv[1]))["campaigns"][0]
a = c["accounts"][0]
print(c["status"], *("%s=%d" % (k, c[k]) for k in
      ("pending", "sent", "failed", "retrying", "suppressed", "unconfirmed")),
      a["id"], "usable" if a["usable"] else "red")' "$TMPDIR/stdout"
}
received() {
	cut -f4 "$TMPDIR/spool/log.tsv" | tr '\n' ' '
}

# Monday 08:30 for 35 minutes: r-1 ... r-4; r-2 is refused, the others go out
run_mailout --repo "$REPO" send --now 2026-12-07T08:30 --for 35m --sink "$sink"
expect_rc "first run" 0
expect_contains "the refusal is a failed delivery" \
	"2026-12-07T07:40:00Z  failed      one                          r-2              via ann-a                554 5.7.1 <r2@example.net>: Recipient address rejected: Access denied"
expect_contains "the run's summary" \
	"send: 3 sent, 1 failed, 0 retrying, 0 deferred, 0 critical, 0 unconfirmed in 1 campaign (2026-12-07T07:30:00Z to 2026-12-07T08:00:00Z)"
[ "$(state r-2)" = failed ] || fail "r-2 failed: $(state r-2)"
[ "$(received)" = "r1@example.net r3@example.net r4@example.net " ] ||
	fail "the account kept sending to the others: $(received)"
[ "$(plan_query "SELECT COUNT(*) FROM bounces")" = 0 ] || fail "a refusal at RCPT is no hard bounce"
[ "$(summary 2026-12-07T09:10:00Z)" = \
	"active_error pending=8 sent=3 failed=1 retrying=0 suppressed=0 unconfirmed=0 ann-a usable" ] ||
	fail "status after one refusal: $(summary 2026-12-07T09:10:00Z)"
grep -qF '"message": "failed: 554 5.7.1 \u003cr2@example.net\u003e: Recipient address rejected: Access denied"' \
	"$TMPDIR/stdout" || fail "the notification carries the reply" "$TMPDIR/stdout"

# r-5, r-6, r-7 in a row refused with 5.7.1: about the account, which is
# red; the count goes on from one run to the next
refuse 5 6 7
run_mailout --repo "$REPO" send --now 2026-12-07T09:10 --for 15m --sink "$sink"
expect_rc "second run" 0
expect_contains "two refusals, the account goes on" \
	"send: 0 sent, 2 failed, 0 retrying, 0 deferred, 0 critical, 0 unconfirmed in 0 campaigns (2026-12-07T08:10:00Z to 2026-12-07T08:20:00Z)"
[ "$(summary 2026-12-07T09:25:00Z)" = \
	"active_error pending=6 sent=3 failed=3 retrying=0 suppressed=0 unconfirmed=0 ann-a usable" ] ||
	fail "status after two refusals: $(summary 2026-12-07T09:25:00Z)"
run_mailout --repo "$REPO" send --now 2026-12-07T09:25 --for 2h --sink "$sink"
expect_rc "third run" 0
expect_contains "the third refusal makes the account critical" \
	"2026-12-07T08:30:00Z  critical    one                          r-7              via ann-a                554 5.7.1 <r7@example.net>: Recipient address rejected: Access denied; 3 recipients in a row refused with 5.7.1"
expect_contains "the third run's summary" \
	"send: 0 sent, 1 failed, 0 retrying, 0 deferred, 1 critical, 0 unconfirmed in 0 campaigns (2026-12-07T08:25:00Z to 2026-12-07T08:30:00Z)"
for r in r-5 r-6 r-7; do
	[ "$(state $r)" = failed ] || fail "$r failed: $(state $r)"
done
[ "$(state r-8)" = pending ] || fail "r-8 waits: $(state r-8)"
[ "$(plan_query "SELECT COUNT(*) FROM bounces")" = 0 ] || fail "nobody is suppressed"
[ "$(summary 2026-12-07T11:30:00Z)" = \
	"interrupted pending=5 sent=3 failed=4 retrying=0 suppressed=0 unconfirmed=0 ann-a red" ] ||
	fail "status after three refusals: $(summary 2026-12-07T11:30:00Z)"
grep -qF '"reason": "critical error at 2026-12-07T08:30:00Z: 554 5.7.1 \u003cr7@example.net\u003e: Recipient address rejected: Access denied; 3 recipients in a row refused with 5.7.1 (until '"'mailout resume'"')"' \
	"$TMPDIR/stdout" || fail "the account's reason names the three refusals" "$TMPDIR/stdout"
MAILOUT_NOW=2026-12-07T11:30:00Z run_mailout --repo "$REPO" status --check
expect_rc "status --check with a red account" 1
before=$(received)
run_mailout --repo "$REPO" send --now 2026-12-07T11:30 --for 1h --sink "$sink"
[ "$(received)" = "$before" ] || fail "a red account sends nothing: $(received)"

# the cause is fixed, resume: the next recipients go out, not those three
: >"$faults"
MAILOUT_NOW=2026-12-07T11:30:00Z run_mailout --repo "$REPO" resume one
expect_rc "resume" 0
run_mailout --repo "$REPO" send --now 2026-12-07T11:40 --for 25m --sink "$sink"
expect_rc "after resume" 0
[ "$(received)" = "r1@example.net r3@example.net r4@example.net r8@example.net r9@example.net r10@example.net " ] ||
	fail "after resume the run goes on with r-8: $(received)"
[ "$(summary 2026-12-07T12:30:00Z)" = \
	"active pending=2 sent=6 failed=4 retrying=0 suppressed=0 unconfirmed=0 ann-a usable" ] ||
	fail "status after resume: $(summary 2026-12-07T12:30:00Z)"

# failed, not suppressed: retry queues the four refused recipients again
MAILOUT_NOW=2026-12-07T12:30:00Z run_mailout --repo "$REPO" retry one
expect_output "retry" "retry: 4 recipients of 'one' pending again"
run_mailout --repo "$REPO" send --now 2026-12-07T12:30 --for 2h --sink "$sink"
expect_rc "after retry" 0
[ "$(summary 2026-12-07T15:00:00Z)" = \
	"done pending=0 sent=12 failed=0 retrying=0 suppressed=0 unconfirmed=0 ann-a usable" ] ||
	fail "status after retry: $(summary 2026-12-07T15:00:00Z)"
[ "$(cut -f4 "$TMPDIR/spool/log.tsv" | sort | uniq -d)" = "" ] || fail "nobody got the mail twice"
stop_smtpd
finish
