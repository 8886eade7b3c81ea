#!/bin/sh
# Scheduled runs with bursts: `send --drain --push` sends what is due and
# each account's current burst (burst_gap apart), then stops at once; the
# next run half an hour later sends what the bucket refilled, from the
# state the pushed logs left.
. "$SRC/tests/e2e/lib.sh"
. "$SRC/tests/e2e/smtp.sh"
export MAILOUT_SECRET=e2e-secret-0123456789-0123456789-abcdef
export GIT_AUTHOR_NAME=test GIT_AUTHOR_EMAIL=test@example.com
export GIT_COMMITTER_NAME=test GIT_COMMITTER_EMAIL=test@example.com
REPO=$TMPDIR/repo
/usr/bin/python3 "$SRC/tests/e2e/fixtures/gen_send_repo.py" "$REPO" --recipients 60 --limits 5,14,14 || fail "fixture"
# three attempts at once per account, 20 s apart; the interval is 9 h / 14 = 2315 s
sed -i 's/^  holidays: \[2026-12-09\]$/&\n  burst: 3\n  burst_gap: 20s/' "$REPO/mailout.yaml"
grep -q '^  burst: 3$' "$REPO/mailout.yaml" || fail "burst not set"
printf 'build/\n' >"$REPO/.gitignore"
git init -q --bare -b main "$TMPDIR/origin.git"
git -C "$REPO" init -q -b main && git -C "$REPO" add -A && git -C "$REPO" commit -qm content &&
	git -C "$REPO" remote add origin "$TMPDIR/origin.git" && git -C "$REPO" push -q origin main ||
	fail "remote"
start_smtpd "$TMPDIR/spool" || finish
SINK="smtp://127.0.0.1:$SMTPD_PORT"

run_mailout --repo "$REPO" send --drain --push origin --now 2026-12-07T09:07 --sink "$SINK"
expect_rc "first run" 0
expect_contains "a full bucket: three each, then it stops" \
	"send: 9 sent, 0 failed, 0 retrying, 0 deferred, 0 critical, 0 unconfirmed in 2 campaigns (2026-12-07T08:07:00Z to 2026-12-07T08:07:40Z)"
grep -c '^2026-12-07T08:07:40Z  sent' "$TMPDIR/stdout" >"$TMPDIR/n"
expect_output "the third of each burst 40 s after the first" "3" "$TMPDIR/n"

run_mailout --repo "$REPO" send --drain --push origin --now 2026-12-07T09:37 --sink "$SINK"
expect_rc "second run" 0
expect_contains "no token yet half an hour later" \
	"send: 0 sent, 0 failed, 0 retrying, 0 deferred, 0 critical, 0 unconfirmed in 0 campaigns (2026-12-07T08:37:00Z to 2026-12-07T08:37:00Z)"

# the bucket of ann-a and ann-b is full again at 09:45:35 and refills one
# token per 2315 s; ann-main's (5 a day: 6480 s) not before 10:55
run_mailout --repo "$REPO" send --drain --push origin --now 2026-12-07T10:07 --sink "$SINK"
expect_rc "third run" 0
expect_contains "one token each for ann-a and ann-b" \
	"send: 2 sent, 0 failed, 0 retrying, 0 deferred, 0 critical, 0 unconfirmed in 1 campaign (2026-12-07T09:07:00Z to 2026-12-07T09:07:00Z)"

# the remote holds every result: a fresh clone counts the claims per account
git clone -q "$TMPDIR/origin.git" "$TMPDIR/check" || fail "clone"
for a in ann-main ann-a ann-b; do
	printf '%s %s\n' "$a" "$(cat "$TMPDIR"/check/campaigns/*/log/$a.tsv 2>/dev/null | grep -c '	claim	')"
done >"$TMPDIR/claims"
expect_output "claims pushed" "ann-main 3
ann-a 4
ann-b 4" "$TMPDIR/claims"
[ "$(ls "$TMPDIR/spool"/*.eml | wc -l)" -eq 11 ] || fail "11 messages expected"
# hours, days, limits, VIPs, nobody twice (bursts are closer than 9 h / limit)
/usr/bin/python3 "$SRC/tests/e2e/fixtures/check_send.py" "$REPO" "$TMPDIR/spool" --no-pacing \
	>"$TMPDIR/check.out" 2>&1 || fail "clock rules" "$TMPDIR/check.out"

# --drain stops by itself
run_mailout --repo "$REPO" send --drain --for 10m
expect_rc "--drain with --for" 2
expect_stderr "usage" "mailout: --drain stops by itself: not with --for or --dry-run
usage: mailout send [--for DURATION] [--now TIME] [--account ID]... [--drain] [--dry-run] [--sink SMTP_URL] [--commit] [--push REMOTE] [--batch DURATION]"
stop_smtpd
finish
