#!/bin/sh
# Campaign dates are whole days in the organisation's zone: start == end is
# a one-day campaign, a date as end still sends on that day, and a dry run
# --for D plans within D and says so.
. "$SRC/tests/e2e/lib.sh"
REPO=$TMPDIR/repo
/usr/bin/python3 "$SRC/tests/e2e/fixtures/gen_send_repo.py" "$REPO" --recipients 200 --limits 5,14,14 || fail "fixture"
printf 'end: 2026-12-07\n' >>"$REPO/campaigns/one/campaign.yaml" # starts 2026-12-07 too
printf 'end: 2026-12-08\n' >>"$REPO/campaigns/two/campaign.yaml"
run_mailout --repo "$REPO" validate
expect_output "a one-day campaign is valid" "2 campaigns, 200 recipient records: 0 errors, 0 warnings"
run_mailout --repo "$REPO" send --dry-run --now 2026-12-07T06:00 --for 3d
expect_rc "dry run" 0
tail -n 9 "$TMPDIR/stdout" >"$TMPDIR/table"
expect_output "one sends on its day only, two on its last day too" "| day | one | two | total |
|---|---:|---:|---:|
| 2026-12-07 | 14 | 19 | 33 |
| 2026-12-08 | 0 | 33 | 33 |
| **total** | **14** | **52** | **66** |

Not everything is placed within 3 days: some recipients wait longer.

send (dry run, nothing changed): 66 would be sent in 2 campaigns (2026-12-07T05:00:00Z to 2026-12-08T15:51:35Z)" "$TMPDIR/table"
run_mailout --repo "$REPO" send --dry-run --now 2026-12-07T06:00 --for 36h
grep 'placed within' "$TMPDIR/stdout" >"$TMPDIR/within"
expect_output "the horizon named in hours" \
	"Not everything is placed within 36 hours: some recipients wait longer." "$TMPDIR/within"
finish
