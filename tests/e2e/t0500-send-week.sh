#!/bin/sh
# A simulated week against a real SMTP server: the clock rules hold, VIPs go
# through main accounts only, everybody is mailed once.
. "$SRC/tests/e2e/lib.sh"
. "$SRC/tests/e2e/smtp.sh"
REPO=$TMPDIR/repo
export MAILOUT_SECRET=e2e-secret-0123456789-0123456789-abcdef
/usr/bin/python3 "$SRC/tests/e2e/fixtures/gen_send_repo.py" "$REPO" --recipients 60 --limits 5,14,14 || fail "fixture"
start_smtpd "$TMPDIR/spool" || finish

# a dry run changes nothing and says what would go out first
run_mailout --repo "$REPO" send --dry-run --now 2026-12-07T06:00 --for 1d
expect_rc "dry run" 0
head -n 1 "$TMPDIR/stdout" >"$TMPDIR/first"
expect_output "the first send is at the start of working hours" \
	"2026-12-07T07:30:00Z  ann-main             two                          r-10" "$TMPDIR/first"
[ -d "$REPO/campaigns/one/log" ] && fail "a dry run wrote logs"

run_mailout --repo "$REPO" send --now 2026-12-07T06:00 --for 7d --sink "smtp://127.0.0.1:$SMTPD_PORT"
expect_rc "send a week" 0
# 5 VIPs + 28 others a working day: done on Thursday (Wednesday is a holiday)
expect_contains "summary" \
	"send: 60 sent, 0 failed, 0 retrying, 0 deferred, 0 critical, 0 unconfirmed in 2 campaigns (2026-12-07T05:00:00Z to 2026-12-10T08:08:35Z)" \
	|| cat "$TMPDIR/stdout" | tail -3
/usr/bin/python3 "$SRC/tests/e2e/fixtures/check_send.py" "$REPO" "$TMPDIR/spool" --complete \
	>"$TMPDIR/check" 2>&1 || fail "clock rules" "$TMPDIR/check"
# the server got one message per recipient, over one connection per account
[ "$(ls "$TMPDIR/spool"/*.eml | wc -l)" -eq 60 ] || fail "60 messages expected"
[ "$(cut -f1 "$TMPDIR/spool/log.tsv" | sort -u | wc -l)" -eq 3 ] ||
	fail "one connection per account expected" "$TMPDIR/spool/log.tsv"
# a second run finds nothing to do and sends nothing
run_mailout --repo "$REPO" send --now 2026-12-14T09:00 --for 1d --sink "smtp://127.0.0.1:$SMTPD_PORT"
expect_rc "second run" 0
[ "$(ls "$TMPDIR/spool"/*.eml | wc -l)" -eq 60 ] || fail "the second run sent again"
MAILOUT_NOW=2026-12-10T18:00:00Z run_mailout --repo "$REPO" status --json
grep -q '"status": "done"' "$TMPDIR/stdout" || fail "campaigns are done" "$TMPDIR/stdout"
stop_smtpd
finish
