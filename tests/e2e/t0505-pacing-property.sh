#!/bin/sh
# Randomized, seeded weeks of the sender across changes of offset in 19
# zones (30- and 45-minute offsets, negative summer time, 24:00 ends), with
# burst 1 and bursts, in long runs and in scheduled --drain runs: every
# attempt checked against the clock rules as pacing_oracle.py writes them
# with Python's zoneinfo.
. "$SRC/tests/e2e/lib.sh"
. "$SRC/tests/e2e/smtp.sh"
start_smtpd "$TMPDIR/spool" || finish
/usr/bin/python3 "$SRC/tests/e2e/fixtures/pacing_oracle.py" "$MAILOUT" "$TMPDIR" "$SMTPD_PORT" \
	--seed 19 --cases 20 --drain-cases 2 >"$TMPDIR/oracle" 2>&1 ||
	fail "clock rules" "$TMPDIR/oracle"
tail -n 1 "$TMPDIR/oracle" >"$TMPDIR/summary"
expect_output "summary" "oracle: 22 cases, 0 failures" "$TMPDIR/summary"
# the seed places full working days in the cases: the limit was checked on them
[ "$(grep -c 'full days checked' "$TMPDIR/oracle")" -eq 22 ] || fail "22 case lines expected" "$TMPDIR/oracle"
grep -q ' [1-9][0-9]* full days checked' "$TMPDIR/oracle" || fail "no full day checked" "$TMPDIR/oracle"
stop_smtpd
finish
