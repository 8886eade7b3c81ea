#!/bin/sh
# RFC 5321's waits: a server that answers the final '.' after 65 s (a slow
# content filter) is waited for, and the message is recorded as sent, not
# unconfirmed.  An account's shorter `smtp_timeout:` ends the wait: the
# claim stays unconfirmed, the account's pause is a `deferred` line that
# names no recipient, and the next run honours that pause.  A bad
# smtp_timeout is a diagnostic at its place.
# Takes about 70 s (the 65 s reply is real time; the rest runs meanwhile).
. "$SRC/tests/e2e/lib.sh"
. "$SRC/tests/e2e/smtp.sh"
export MAILOUT_SECRET=e2e-secret-0123456789-0123456789-abcdef

# make_repo_with DIR ACCOUNT_EXTRA RECIPIENT...: one manager, one account
# sending once a minute (540 a day in 9 hours), one campaign to the
# recipients ("id:address") in order
make_repo_with() {
	dir=$1
	extra=$2
	shift 2
	mkdir -p "$dir/recipients/contacts" "$dir/templates/signatures" "$dir/campaigns/one"
	cat >"$dir/mailout.yaml" <<EOF
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
  - id: ann-a
    owner: ann
    from: "Ann Example <ann.a@example.com>"
    smtp: "smtps://smtp.example.com:465"
    daily_limit: 540
$extra
EOF
	for r in "$@"; do
		echo "- { id: ${r%%:*}, email: ${r#*:}, first_name: Reader, owner: ann }"
	done >"$dir/recipients/contacts/all.yaml"
	printf -- '---\nsubject: "News"\n---\nHello {{first_name}},\n\nthis is news.\n' \
		>"$dir/templates/news.md"
	printf 'Ann Example  \nSales\n' >"$dir/templates/signatures/ann.md"
	printf 'name: One\ntemplate: news\nrecipient_type: contacts\nowner: ann\nstart: 2026-12-07\n' \
		>"$dir/campaigns/one/campaign.yaml"
}

# one server for every case: messages to slow65@ are answered after 65 s,
# to slow3@ after 3 s, the others at once
start_smtpd "$TMPDIR/spool" --data-delay 'slow65@example.net=65' \
	--data-delay 'slow3@example.net=3' || finish
sink="smtp://127.0.0.1:$SMTPD_PORT"

# --- the 65 s final reply, in the background while the rest runs ---------
SLOW=$TMPDIR/slow
make_repo_with "$SLOW" "" "a-1:slow65@example.net"
started=$(now_ms)
timeout 150 "$MAILOUT" --repo "$SLOW" send --now 2026-12-07T08:30 --for 1m --sink "$sink" \
	>"$TMPDIR/slow.out" 2>"$TMPDIR/slow.err" &
slow_pid=$!

# --- smtp_timeout: 1s against a 3 s reply --------------------------------
REPO=$TMPDIR/repo
make_repo_with "$REPO" "    smtp_timeout: 1s" \
	"b-1:slow3@example.net" "b-2:b2@example.net" "b-3:b3@example.net"
run_mailout --repo "$REPO" send --now 2026-12-07T08:30 --for 3m --sink "$sink"
expect_rc "a run whose final reply does not come" 0
expect_output "the delivery is unconfirmed" \
"2026-12-07T07:30:00Z  unconfirmed one                          b-1              via ann-a                0  no reply within 1 s after the message (the final '.')
send: 0 sent, 0 failed, 0 retrying, 0 deferred, 0 critical, 1 unconfirmed in 0 campaigns (2026-12-07T07:30:00Z to 2026-12-07T07:30:00Z)"
cut -f1-3 "$REPO/campaigns/one/log/ann-a.tsv" | sed 1d >"$TMPDIR/log.cut"
tail -n 1 "$REPO/campaigns/one/log/ann-a.tsv" >"$TMPDIR/log.last"
expect_output "a claim, then the pause, naming no recipient" \
"2026-12-07T07:30:00Z	claim	b-1
2026-12-07T07:30:00Z	deferred	-" "$TMPDIR/log.cut"
expect_output "the pause's reply, the claim it leaves unconfirmed and its end" \
"2026-12-07T07:30:00Z	deferred	-	0	-	no reply within 1 s after the message (the final '.'); the message to b-1 is unconfirmed	2026-12-07T07:35:00Z" \
	"$TMPDIR/log.last"
[ "$(plan_query "SELECT state FROM deliveries WHERE recipient = 'b-1'")" = unconfirmed ] ||
	fail "b-1 stays unconfirmed: $(plan_query "SELECT state FROM deliveries WHERE recipient = 'b-1'")"
MAILOUT_NOW=2026-12-07T08:31 run_mailout --repo "$REPO" status one
expect_contains "the account shows its rest" \
	"  ☆ ann-a                resting until 2026-12-07T07:35:00Z: no reply within 1 s after the message (the final '.'); the message to b-1 is unconfirmed"

# an hour and a minute later the unconfirmed claim is an alert
MAILOUT_NOW=2026-12-07T08:31:01Z run_mailout --repo "$REPO" status --check
expect_rc "status --check after the unanswered reply" 1
expect_stderr "the alert names campaign, account and count" \
"mailout: campaign 'one', account 'ann-a': 1 claim unconfirmed for more than an hour (the oldest since 2026-12-07T07:30:00Z): run mailout retry one --unconfirmed"

# the next run (a minute later, on the virtual clock) waits for the pause
rm -f "$REPO/build/plan.db"
run_mailout --repo "$REPO" send --now 2026-12-07T08:31 --for 10m --sink "$sink"
expect_rc "the next run" 0
expect_output "the next run sends when the pause is over, not at once" \
"2026-12-07T07:35:00Z  sent        one                          b-2              via ann-a                250 Message accepted for delivery
2026-12-07T07:36:00Z  sent        one                          b-3              via ann-a                250 Message accepted for delivery
send: 2 sent, 0 failed, 0 retrying, 0 deferred, 0 critical, 0 unconfirmed in 1 campaign (2026-12-07T07:31:00Z to 2026-12-07T07:36:00Z)"
[ "$(plan_query "SELECT state FROM deliveries WHERE recipient = 'b-1'")" = unconfirmed ] ||
	fail "b-1 is not sent again: $(plan_query "SELECT state FROM deliveries WHERE recipient = 'b-1'")"

# --- smtp_timeout is checked ----------------------------------------------
BAD=$TMPDIR/bad
make_repo_with "$BAD" "    smtp_timeout: 2h" "c-1:c1@example.net"
run_mailout --repo "$BAD" validate
expect_rc "validate a bad smtp_timeout" 1
expect_contains "the diagnostic names the place" \
	"mailout.yaml:21:19: error: invalid smtp_timeout '2h': expected a duration from 1s to 1h, such as 10m"

# --- the 65 s reply ---------------------------------------------------------
wait "$slow_pid"
slow_rc=$?
took=$(( ($(now_ms) - started) / 1000 ))
[ "$slow_rc" -eq 0 ] || fail "the slow run: exit code $slow_rc" "$TMPDIR/slow.err"
[ "$took" -ge 65 ] || fail "the slow run took $took s, less than the server's 65 s"
expect_output "the slow reply is a sent delivery" \
"2026-12-07T07:30:00Z  sent        one                          a-1              via ann-a                250 Message accepted for delivery
send: 1 sent, 0 failed, 0 retrying, 0 deferred, 0 critical, 0 unconfirmed in 1 campaign (2026-12-07T07:30:00Z to 2026-12-07T07:30:00Z)" \
	"$TMPDIR/slow.out"
tail -n 1 "$SLOW/campaigns/one/log/ann-a.tsv" >"$TMPDIR/slow.last"
expect_output "the log records it sent" \
"2026-12-07T07:30:00Z	sent	a-1	250	-	250 Message accepted for delivery" "$TMPDIR/slow.last"
[ "$(grep -c 'slow65@example.net' "$TMPDIR/spool/log.tsv")" = 1 ] ||
	fail "the slow server received the message once" "$TMPDIR/spool/log.tsv"
stop_smtpd
finish
