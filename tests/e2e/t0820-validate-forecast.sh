#!/bin/sh
# validate --changed-since forecasts what a pull request will send: a new
# campaign's messages per day, from the next working moment.
. "$SRC/tests/e2e/lib.sh"
export GIT_AUTHOR_NAME=test GIT_AUTHOR_EMAIL=test@example.com
export GIT_COMMITTER_NAME=test GIT_COMMITTER_EMAIL=test@example.com
REPO=$TMPDIR/repo
/usr/bin/python3 "$SRC/tests/e2e/fixtures/gen_send_repo.py" "$REPO" --recipients 60 || fail "fixture"
printf 'build/\n' >"$REPO/.gitignore"
mv "$REPO/campaigns/two" "$TMPDIR/two"
git -C "$REPO" init -q -b main && git -C "$REPO" add -A && git -C "$REPO" commit -qm base || fail "git"
git -C "$REPO" checkout -q -b new-campaign
mv "$TMPDIR/two" "$REPO/campaigns/two"

# 30 recipients of 'two' (3 VIPs through the main account, limit 5; the
# others through two accounts of 10 and 8 a day, shared with 'one'), on
# Monday, Tuesday and Thursday (Wednesday is a holiday)
MAILOUT_NOW=2026-12-07T06:00:00Z run_mailout --repo "$REPO" validate --changed-since main
expect_rc "validate" 0
expect_output "the forecast" "2 campaigns, 60 recipient records: 0 errors, 0 warnings, 0 in changed files

Forecast from 2026-12-07T06:00:00Z, per day in the organisation's time zone:

Campaigns changed since main:

| day | two | total |
|---|---:|---:|
| 2026-12-07 | 14 | 14 |
| 2026-12-08 | 10 | 10 |
| 2026-12-10 | 6 | 6 |
| **total** | **30** | **30** |

All campaigns together: 60 messages, the last at 2026-12-14T11:06:00Z."
# the same forecast is send --dry-run's
MAILOUT_NOW=2026-12-07T06:00:00Z run_mailout --repo "$REPO" send --dry-run
expect_rc "dry run" 0
expect_contains "dry run: Monday" "| 2026-12-07 | 9 | 14 | 23 |"
expect_contains "dry run: total" "| **total** | **30** | **30** | **60** |"
[ -d "$REPO/campaigns/two/log" ] && fail "a forecast wrote logs"
finish
