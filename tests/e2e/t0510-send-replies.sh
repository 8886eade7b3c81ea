#!/bin/sh
# Each class of SMTP reply leads to the right state and status; an
# authentication failure interrupts until resume; retry re-sends only the
# unsuccessful recipients.
. "$SRC/tests/e2e/lib.sh"
. "$SRC/tests/e2e/smtp.sh"
REPO=$TMPDIR/repo
export MAILOUT_SECRET=e2e-secret-0123456789-0123456789-abcdef
/usr/bin/python3 "$SRC/tests/e2e/fixtures/gen_send_repo.py" "$REPO" --recipients 40 --limits 50,50,50 ||
	fail "fixture"
faults=$TMPDIR/faults
cat >"$faults" <<'F'
r1@example.net=550 5.1.1 No such user r1@example.net
r2@example.net=550 No such user here
r3@example.net=451 4.3.0 Try again later
r5@example.net=552 5.2.2 Mailbox full
F
start_smtpd "$TMPDIR/spool" --fault-file "$faults" || finish
sink="smtp://127.0.0.1:$SMTPD_PORT"

state() {
	plan_query "SELECT state FROM deliveries WHERE recipient = '$1'"
}
spooled() {
	ls "$TMPDIR/spool" | grep -c '\.eml$'
}

# Monday morning, one hour: about six messages per account
run_mailout --repo "$REPO" send --now 2026-12-07T08:30 --for 1h --sink "$sink"
expect_rc "first run" 0
[ "$(state r-1)" = failed ] || fail "5.1.1 fails r-1: $(state r-1)"
[ "$(state r-2)" = failed ] || fail "a 550 without enhanced code fails r-2: $(state r-2)"
[ "$(state r-3)" = retrying ] || fail "4.3.0 retries r-3: $(state r-3)"
[ "$(state r-5)" = retrying ] || fail "5.2.2 retries r-5: $(state r-5)"
[ "$(state r-4)" = sent ] || fail "r-4 sent: $(state r-4)"
[ "$(plan_query "SELECT COUNT(*) FROM bounces")" = 1 ] || fail "one hard bounce (r-1) recorded"
MAILOUT_NOW=2026-12-07T11:00:00Z run_mailout --repo "$REPO" status one --json
grep -q '"status": "active_error"' "$TMPDIR/stdout" || fail "errors make 'active_error'" "$TMPDIR/stdout"
grep -q '"message": "failed: 550 5.1.1 No such user r1@example.net"' "$TMPDIR/stdout" ||
	fail "the notification carries the reply" "$TMPDIR/stdout"

# a quota reply: the accounts rest until the next day, nothing is lost
echo '*@example.net=550 5.4.5 Daily user sending quota exceeded' >"$faults"
before=$(spooled)
run_mailout --repo "$REPO" send --now 2026-12-08T08:30 --for 1h --sink "$sink"
expect_rc "quota run" 0
[ "$(spooled)" -eq "$before" ] || fail "nothing is accepted under quota"
# the main account has no VIP left to send; the other two rest until Thursday
# (Wednesday is a holiday) at the start of working hours
[ "$(plan_query "SELECT group_concat(id || ' ' || datetime(rest_until, 'unixepoch'), ', ') FROM accounts WHERE rest_until > 0")" = \
	"ann-a 2026-12-10 07:30:00, ann-b 2026-12-10 07:30:00" ] ||
	fail "the accounts rest until the next working day: $(plan_query "SELECT id, rest_until FROM accounts")"
[ "$(plan_query "SELECT COUNT(*) FROM deliveries WHERE state IN ('failed', 'suppressed')")" = 2 ] ||
	fail "the quota reply fails nobody"
grep -q "deferred" "$TMPDIR/stdout" || fail "the run reports the deferral" "$TMPDIR/stdout"

# authentication fails: critical, interrupted, status --check fails
stop_smtpd
: >"$faults"
start_smtpd "$TMPDIR/spool" --auth demo:right --auth-required --fault-file "$faults" || finish
run_mailout --repo "$REPO" send --now 2026-12-10T08:30 --for 2h --sink "smtp://demo:wrong@127.0.0.1:$SMTPD_PORT"
expect_rc "auth failure run" 0
MAILOUT_NOW=2026-12-10T12:00:00Z run_mailout --repo "$REPO" status --check
expect_rc "status --check after a critical error" 1
MAILOUT_NOW=2026-12-10T12:00:00Z run_mailout --repo "$REPO" status one --json
grep -q '"status": "interrupted"' "$TMPDIR/stdout" || fail "critical interrupts" "$TMPDIR/stdout"
grep -q '"usable": false, "reason": "critical error at' "$TMPDIR/stdout" || fail "the account is red" "$TMPDIR/stdout"
before=$(spooled)
run_mailout --repo "$REPO" send --now 2026-12-10T10:30 --for 1h --sink "smtp://demo:right@127.0.0.1:$SMTPD_PORT"
[ "$(spooled)" -eq "$before" ] || fail "an interrupted campaign sends nothing"
MAILOUT_NOW=2026-12-10T11:45:00Z run_mailout --repo "$REPO" resume one
expect_rc "resume" 0
expect_output "resume output" "resume: 'one' is active; errors and red accounts of 'ann' are cleared"
run_mailout --repo "$REPO" send --now 2026-12-10T12:00 --for 5h --sink "smtp://demo:right@127.0.0.1:$SMTPD_PORT"
expect_rc "after resume" 0
MAILOUT_NOW=2026-12-10T17:00:00Z run_mailout --repo "$REPO" status --check
expect_rc "status --check after resume" 0
[ "$(state r-3)" = sent ] || fail "r-3 retried and sent: $(state r-3)"
[ "$(state r-5)" = sent ] || fail "r-5 retried and sent: $(state r-5)"
[ "$(plan_query "SELECT COUNT(*) FROM deliveries WHERE state NOT IN ('sent', 'failed', 'suppressed')")" = 0 ] ||
	fail "everybody else is done: $(plan_query "SELECT recipient, state FROM deliveries WHERE state NOT IN ('sent', 'failed')")"

# retry: only the failed recipients go out again; the hard bounce stays suppressed
MAILOUT_NOW=2026-12-10T17:00:00Z run_mailout --repo "$REPO" retry one
expect_rc "retry" 0
expect_output "retry output" "retry: 1 recipient of 'one' pending again"
[ "$(state r-1)" = suppressed ] || fail "r-1 bounced hard: suppressed after retry: $(state r-1)"
MAILOUT_NOW=2026-12-10T17:00:00Z run_mailout --repo "$REPO" retry two
expect_output "retry two" "retry: 1 recipient of 'two' pending again"
[ "$(state r-2)" = pending ] || fail "r-2 pending again: $(state r-2)"
before=$(spooled)
run_mailout --repo "$REPO" send --now 2026-12-14T08:30 --for 8h --sink "smtp://demo:right@127.0.0.1:$SMTPD_PORT"
[ "$(spooled)" -eq $((before + 1)) ] || fail "retry re-sent exactly the failed one: $before -> $(spooled)"
[ "$(state r-2)" = sent ] || fail "r-2 sent after retry: $(state r-2)"
/usr/bin/python3 "$SRC/tests/e2e/fixtures/check_send.py" "$REPO" "$TMPDIR/spool" \
	>"$TMPDIR/check" 2>&1 || fail "rules" "$TMPDIR/check"
stop_smtpd
finish
