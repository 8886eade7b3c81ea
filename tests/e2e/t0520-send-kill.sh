#!/bin/sh
# kill -9 at random moments during sends, then a clean run: nobody is
# mailed twice and nobody is lost (sent, failed or reported unconfirmed).
. "$SRC/tests/e2e/lib.sh"
. "$SRC/tests/e2e/smtp.sh"
REPO=$TMPDIR/repo
export MAILOUT_SECRET=e2e-secret-0123456789-0123456789-abcdef
/usr/bin/python3 "$SRC/tests/e2e/fixtures/gen_send_repo.py" "$REPO" --recipients 300 --limits 400,400,400 ||
	fail "fixture"
# a slow server, so that kills land in the middle of a run
start_smtpd "$TMPDIR/spool" --delay 0.04 || finish
sink="smtp://127.0.0.1:$SMTPD_PORT"
kills=0 i=0
while [ $i -lt 22 ]; do
	i=$((i + 1))
	"$MAILOUT" --repo "$REPO" send --now 2026-12-07T08:30 --for 2d --sink "$sink" \
		>"$TMPDIR/run.$i" 2>&1 &
	pid=$!
	sleep "$(/usr/bin/python3 -c 'import random; print(random.uniform(0.05, 0.5))')"
	if kill -9 "$pid" 2>/dev/null; then
		kills=$((kills + 1))
	fi
	wait "$pid" 2>/dev/null
done
[ $kills -ge 20 ] || fail "only $kills of 22 runs were killed mid-run"
# a clean run finishes the job
run_mailout --repo "$REPO" send --now 2026-12-07T08:30 --for 7d --sink "$sink"
expect_rc "clean run" 0
/usr/bin/python3 "$SRC/tests/e2e/fixtures/check_send.py" "$REPO" "$TMPDIR/spool" --complete \
	>"$TMPDIR/check" 2>&1 || fail "after $kills kills" "$TMPDIR/check"
MAILOUT_NOW=2026-12-18T12:00:00Z run_mailout --repo "$REPO" status --json
/usr/bin/python3 - "$TMPDIR/stdout" <<'P' || fail "counts" "$TMPDIR/stdout"
import json, sys
d = json.load(open(sys.argv[1]))
total = sum(c["recipients"] for c in d["campaigns"])
done = sum(c["sent"] + c["failed"] + c["unconfirmed"] for c in d["campaigns"])
assert total == 300 and done == 300, (total, done)
P
stop_smtpd
finish
