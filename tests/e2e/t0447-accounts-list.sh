#!/bin/sh
# mailout accounts list [--json]: every account with its owner, whether it
# is enabled and whether it can send now, and why not, as the status says
# (disabled, a critical error until resume, the daily limit reached
# today); it needs no secret, so a workflow's job without the accounts'
# secrets can make its matrix from it.
. "$SRC/tests/e2e/lib.sh"
. "$SRC/tests/e2e/smtp.sh"
export MAILOUT_SECRET=e2e-secret-0123456789-0123456789-abcdef

REPO=$TMPDIR/repo
/usr/bin/python3 "$SRC/tests/e2e/fixtures/gen_send_repo.py" "$REPO" --recipients 60 --limits 5,10,8 \
	--more-accounts 1 || fail "content"
sed -i '/id: ann-c,/s/daily_limit: 8 }/daily_limit: 8, enabled: false }/' "$REPO/mailout.yaml"
grep -q 'id: ann-c, .*enabled: false }' "$REPO/mailout.yaml" || fail "ann-c is disabled"

MAILOUT_NOW=2026-12-07T08:00:00Z run_mailout --repo "$REPO" accounts list --json
expect_rc "before sending" 0
expect_output "before sending: JSON" '[{"id": "ann-main", "owner": "ann", "enabled": true, "usable": true, "reason": null},
 {"id": "ann-a", "owner": "ann", "enabled": true, "usable": true, "reason": null},
 {"id": "ann-b", "owner": "ann", "enabled": true, "usable": true, "reason": null},
 {"id": "ann-c", "owner": "ann", "enabled": false, "usable": false, "reason": "disabled in mailout.yaml"}]'
expect_stderr "before sending: nothing on stderr" ""

# Monday: every account reaches its daily limit
trap stop_smtpd EXIT
start_smtpd "$TMPDIR/spool" || finish
run_mailout --repo "$REPO" send --now 2026-12-07T08:30 --for 9h --sink "smtp://127.0.0.1:$SMTPD_PORT"
expect_rc "Monday's send" 0
stop_smtpd
MAILOUT_NOW=2026-12-07T16:30:00Z run_mailout --repo "$REPO" accounts list --json
expect_rc "Monday evening" 0
expect_output "Monday evening: JSON" '[{"id": "ann-main", "owner": "ann", "enabled": true, "usable": false, "reason": "daily limit reached (5 of 5 today)"},
 {"id": "ann-a", "owner": "ann", "enabled": true, "usable": false, "reason": "daily limit reached (10 of 10 today)"},
 {"id": "ann-b", "owner": "ann", "enabled": true, "usable": false, "reason": "daily limit reached (8 of 8 today)"},
 {"id": "ann-c", "owner": "ann", "enabled": false, "usable": false, "reason": "disabled in mailout.yaml"}]'

# Tuesday: the first messages (ann-main's and ann-a's, both at 08:30) are
# refused at DATA, a critical error that turns their accounts red until
# resume; ann-b's limit starts again
start_smtpd "$TMPDIR/spool" --data-fault 'Hello R=554 5.7.1 Message refused by policy' || finish
run_mailout --repo "$REPO" send --now 2026-12-08T08:30 --for 1h --sink "smtp://127.0.0.1:$SMTPD_PORT"
expect_rc "Tuesday's send" 0
stop_smtpd
MAILOUT_NOW=2026-12-08T10:00:00Z run_mailout --repo "$REPO" accounts list --json
expect_rc "Tuesday" 0
expect_output "Tuesday: JSON" '[{"id": "ann-main", "owner": "ann", "enabled": true, "usable": false, "reason": "critical error at 2026-12-08T07:30:00Z: 554 5.7.1 Message refused by policy (until '"'mailout resume'"')"},
 {"id": "ann-a", "owner": "ann", "enabled": true, "usable": false, "reason": "critical error at 2026-12-08T07:30:00Z: 554 5.7.1 Message refused by policy (until '"'mailout resume'"')"},
 {"id": "ann-b", "owner": "ann", "enabled": true, "usable": true, "reason": null},
 {"id": "ann-c", "owner": "ann", "enabled": false, "usable": false, "reason": "disabled in mailout.yaml"}]'
MAILOUT_NOW=2026-12-08T10:00:00Z run_mailout --repo "$REPO" accounts list
expect_rc "Tuesday: text" 0
expect_output "Tuesday: text" "ann-main             ann          critical error at 2026-12-08T07:30:00Z: 554 5.7.1 Message refused by policy (until 'mailout resume')
ann-a                ann          critical error at 2026-12-08T07:30:00Z: 554 5.7.1 Message refused by policy (until 'mailout resume')
ann-b                ann          usable
ann-c                ann          disabled in mailout.yaml"

run_mailout --repo "$REPO" accounts check --json
expect_rc "--json with check" 2
expect_stderr "--json with check" "mailout: --json goes with 'list'
usage: mailout accounts check | list [--json]"
run_mailout --repo "$REPO" accounts list extra
expect_rc "an extra argument" 2
run_mailout --repo "$REPO" accounts
expect_rc "no subcommand" 2
expect_stderr "no subcommand" "mailout: missing subcommand 'check' or 'list'
usage: mailout accounts check | list [--json]"
finish
