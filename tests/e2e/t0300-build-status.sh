#!/bin/sh
# mailout build on the example, then status --json and the status list at a
# fixed moment, compared with the expected files; a second build is a no-op
# and a killed build leaves the plan as it was.
. "$SRC/tests/e2e/lib.sh"
REPO=$TMPDIR/repo
make_repo "$REPO" || fail "scratch repository"
export MAILOUT_NOW=2026-12-07T09:00:00Z

run_mailout --repo "$REPO" build
expect_rc "build" 0
expect_output "build output" "plan: $REPO/build/plan.db (5 files parsed, 0 log lines replayed, deliveries derived again)
site: $REPO/build/site"
run_mailout --repo "$REPO" status --json
expect_rc "status --json" 0
expect_file "status --json" "$SRC/tests/e2e/expected/example-status.json" "$TMPDIR/stdout"
run_mailout --repo "$REPO" status
expect_file "status" "$SRC/tests/e2e/expected/example-status.txt" "$TMPDIR/stdout"
run_mailout --repo "$REPO" status december-update-dach
expect_file "status of one campaign" "$SRC/tests/e2e/expected/example-status-dach.txt" "$TMPDIR/stdout"

# nothing changed: nothing parsed, nothing replayed
run_mailout --repo "$REPO" build
expect_output "no-op build" "plan: $REPO/build/plan.db (0 files parsed, 0 log lines replayed)
site: $REPO/build/site"

# a build killed in the middle of a full rebuild leaves the old plan
before=$(sqlite3 "$REPO/build/plan.db" "SELECT COUNT(*), SUM(length(recipient)) FROM deliveries")
"$MAILOUT" --repo "$REPO" build --rebuild >/dev/null 2>&1 &
pid=$!
sleep 0.05
kill -9 $pid 2>/dev/null
wait $pid 2>/dev/null
after=$(sqlite3 "$REPO/build/plan.db" "SELECT COUNT(*), SUM(length(recipient)) FROM deliveries")
[ "$before" = "$after" ] || fail "the plan changed after a killed build: $before / $after"
run_mailout --repo "$REPO" status --json
expect_file "status --json after a killed build" "$SRC/tests/e2e/expected/example-status.json" "$TMPDIR/stdout"

# an older schema is rebuilt automatically
sqlite3 "$REPO/build/plan.db" "PRAGMA user_version = 1"
run_mailout --repo "$REPO" status --json
expect_file "status --json after a schema change" "$SRC/tests/e2e/expected/example-status.json" "$TMPDIR/stdout"
finish
