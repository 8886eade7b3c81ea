#!/bin/sh
# A merge after one day of sending, then the rest of the week: every
# recipient is mailed exactly once, the failed one is not mailed again, the
# retrying one is retried by the merged campaign, the sources send nothing
# more; status and status --json show the merge with the history carried
# over, and a plan built afresh agrees.
. "$SRC/tests/e2e/lib.sh"
. "$SRC/tests/e2e/smtp.sh"
REPO=$TMPDIR/repo
export MAILOUT_SECRET=e2e-secret-0123456789-0123456789-abcdef
# ann: 60 contacts (every 10th a VIP), accounts of 5, 12 and 12 a day;
# campaigns 'one' and 'two' share the template so they can be merged
/usr/bin/python3 "$SRC/tests/e2e/fixtures/gen_send_repo.py" "$REPO" --limits 5,12,12 || fail "fixture"
sed 's/^template: news-two$/template: news-one/' "$REPO/campaigns/two/campaign.yaml" >"$TMPDIR/two.yaml" &&
	mv "$TMPDIR/two.yaml" "$REPO/campaigns/two/campaign.yaml"
faults=$TMPDIR/faults
cat >"$faults" <<'F'
r1@example.net=550 5.1.1 No such user r1@example.net
r3@example.net=451 4.3.0 Try again later
F
start_smtpd "$TMPDIR/spool" --fault-file "$faults" || finish
sink="smtp://127.0.0.1:$SMTPD_PORT"

count() {
	plan_query "SELECT COUNT(*) FROM deliveries WHERE $1"
}

# Monday
run_mailout --repo "$REPO" send --now 2026-12-07T08:30 --for 9h --sink "$sink"
expect_rc "Monday" 0
sent=$(count "state = 'sent'")
pending=$(count "state = 'pending'")
[ "$(plan_query "SELECT campaign || ' ' || state FROM deliveries WHERE recipient IN ('r-1', 'r-3') ORDER BY recipient")" = \
	"one failed
one retrying" ] || fail "r-1 failed and r-3 retrying on Monday"
[ "$sent" -gt 20 ] && [ "$pending" -gt 0 ] || fail "Monday sends part: $sent sent, $pending pending"

# the merge, Monday evening
export MAILOUT_NOW=2026-12-07T18:00
run_mailout --repo "$REPO" merge one two --into both
expect_rc "merge" 0
expect_output "merge: output" \
"merge: 'one' and 'two' merged into 'both' (campaigns/both/campaign.yaml)
both: 60 recipients: $sent sent so far, 1 failed, 1 retrying, $pending pending"
expect_stderr "merge: stderr" ""
run_mailout --repo "$REPO" status
expect_rc "status" 0
grep -q "^One (merged)  both  *contacts  Active  *[0-9]*%  ann  *$sent  *60 " "$TMPDIR/stdout" ||
	fail "status: the merged campaign with its history" "$TMPDIR/stdout"
grep -q "^One  *one  *contacts  Merged " "$TMPDIR/stdout" || fail "status: 'one' merged" "$TMPDIR/stdout"
grep -q "^Two  *two  *contacts  Merged " "$TMPDIR/stdout" || fail "status: 'two' merged" "$TMPDIR/stdout"
run_mailout --repo "$REPO" status --json
grep -q "\"id\": \"both\", \"name\": \"One (merged)\", \"recipient_type\": \"contacts\", \"status\": \"active\", .* \"merged_into\": null, \"recipients\": 60, \"pending\": $pending, \"sent\": $sent, \"failed\": 1, \"retrying\": 1," \
	"$TMPDIR/stdout" || fail "status --json: the merged campaign" "$TMPDIR/stdout"
grep -q '"id": "one", .*"status": "merged", .* "merged_into": "both", "recipients": 30,' "$TMPDIR/stdout" ||
	fail "status --json: 'one' merged into 'both'" "$TMPDIR/stdout"
grep -q '"id": "two", .*"status": "merged", .* "merged_into": "both", "recipients": 30,' "$TMPDIR/stdout" ||
	fail "status --json: 'two' merged into 'both'" "$TMPDIR/stdout"
unset MAILOUT_NOW

# the rest of the week, the faults gone
: >"$faults"
run_mailout --repo "$REPO" send --now 2026-12-08T08:30 --for 4d --sink "$sink"
expect_rc "the rest of the week" 0
stop_smtpd

/usr/bin/python3 "$SRC/tests/e2e/fixtures/check_send.py" "$REPO" "$TMPDIR/spool" >"$TMPDIR/check" 2>&1 ||
	fail "the clock rules" "$TMPDIR/check"
# every recipient exactly once; r-1 (refused for good) never
grep -h '^X-Mailout-Recipient: ' "$TMPDIR"/spool/*.eml | tr -d '\r' | sed 's/^X-Mailout-Recipient: //' |
	sort >"$TMPDIR/mailed"
seq 2 60 | sed 's/^/r-/' | sort >"$TMPDIR/expected"
expect_file "every recipient but r-1 mailed exactly once" "$TMPDIR/expected" "$TMPDIR/mailed"
[ "$(plan_query "SELECT state || ' ' || COUNT(*) FROM deliveries WHERE campaign = 'both' GROUP BY state ORDER BY state")" = \
	"failed 1
sent 59" ] || fail "the merged campaign is complete: $(plan_query "SELECT state, COUNT(*) FROM deliveries WHERE campaign = 'both' GROUP BY state")"
[ "$(count "campaign = 'both' AND recipient = 'r-3' AND state = 'sent'")" = 1 ] &&
	[ "$(cat "$REPO"/campaigns/both/log/*.tsv | grep -c '	claim	r-3	')" = 1 ] ||
	fail "r-3 retried by the merged campaign"
# the sources sent nothing after the merge; the merged campaign only the rest
late=$(cat "$REPO"/campaigns/one/log/*.tsv "$REPO"/campaigns/two/log/*.tsv | grep -v '^#' | grep -vc '^2026-12-07T')
[ "$late" -eq 0 ] || fail "the merged sources went on sending: $late lines after Monday"
[ "$(cat "$REPO"/campaigns/both/log/*.tsv | grep -c '	claim	')" -eq $((59 - sent)) ] ||
	fail "the merged campaign claimed more than the rest"

MAILOUT_NOW=2026-12-11T18:00 run_mailout --repo "$REPO" status --json
grep -q '"id": "both", .*"status": "done", .* "recipients": 60, "pending": 0, "sent": 59, "failed": 1, "retrying": 0,' \
	"$TMPDIR/stdout" || fail "status --json: done" "$TMPDIR/stdout"
sed 's/"built_at": "[^"]*"//' "$TMPDIR/stdout" >"$TMPDIR/incremental.json"
# a plan built afresh from the repository agrees
rm -f "$REPO/build/plan.db"
MAILOUT_NOW=2026-12-11T18:00 run_mailout --repo "$REPO" status --json
expect_rc "status on a new plan" 0
sed 's/"built_at": "[^"]*"//' "$TMPDIR/stdout" >"$TMPDIR/fresh.json"
expect_file "a plan built afresh agrees" "$TMPDIR/incremental.json" "$TMPDIR/fresh.json"
finish
