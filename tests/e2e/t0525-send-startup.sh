#!/bin/sh
# Every reason send cannot start is one line on stderr and exit 1, with
# nothing claimed: no log line, no commit, no change in the checkout.
. "$SRC/tests/e2e/lib.sh"
. "$SRC/tests/e2e/smtp.sh"
REPO=$TMPDIR/repo
SECRET=e2e-secret-0123456789-0123456789-abcdef
/usr/bin/python3 "$SRC/tests/e2e/fixtures/gen_send_repo.py" "$REPO" --recipients 40 || fail "fixture"
echo /build/ >"$REPO/.gitignore"
start_smtpd "$TMPDIR/spool" || finish
sink="smtp://127.0.0.1:$SMTPD_PORT"
# a first day sent and committed: the logs exist and have lines
MAILOUT_SECRET=$SECRET run_mailout --repo "$REPO" send --now 2026-12-07T08:30 --for 1d --sink "$sink"
expect_rc "first day" 0
git -C "$REPO" init -q && git -C "$REPO" add -A &&
	git -C "$REPO" -c user.name=Test -c user.email=test@example.com commit -qm start ||
	fail "git setup"
head=$(git -C "$REPO" rev-parse HEAD)
cat "$REPO"/campaigns/*/log/*.tsv >"$TMPDIR/logs.before"
[ -s "$TMPDIR/logs.before" ] || fail "the first day wrote no logs"
messages=$(ls "$TMPDIR/spool" | grep -c '\.eml$')

# refused WHAT TEXT ARG...: send with ARGs, in the environment changed by
# $envs (env's VAR=VALUE and -u VAR), exits 1 with stderr exactly TEXT, and
# nothing changed.
refused() {
	what=$1 text=$2
	shift 2
	timeout "$E2E_TIMEOUT" env $envs "$MAILOUT" --repo "$REPO" send "$@" \
		>"$TMPDIR/stdout" 2>"$TMPDIR/stderr"
	rc=$?
	expect_rc "$what" 1
	expect_stderr "$what: stderr" "$text"
	expect_output "$what: stdout" ""
	git -C "$REPO" status --porcelain >"$TMPDIR/status"
	expect_output "$what: git status" "" "$TMPDIR/status"
	[ "$(git -C "$REPO" rev-parse HEAD)" = "$head" ] || fail "$what: a commit was made"
	cat "$REPO"/campaigns/*/log/*.tsv >"$TMPDIR/logs.after"
	expect_file "$what: logs" "$TMPDIR/logs.before" "$TMPDIR/logs.after"
	[ "$(ls "$TMPDIR/spool" | grep -c '\.eml$')" -eq "$messages" ] || fail "$what: a message went out"
}

unset_msg="mailout: MAILOUT_SECRET is not set (it needs at least 32 bytes, e.g. from 'openssl rand -base64 48')"
run_args="--now 2026-12-08T08:30 --for 1d --sink $sink --commit"
envs="-u MAILOUT_SECRET"
refused "MAILOUT_SECRET unset" "$unset_msg" $run_args
envs="MAILOUT_SECRET="
refused "MAILOUT_SECRET empty" "$unset_msg" $run_args
envs="MAILOUT_SECRET=0123456789012345678901234567890"
refused "MAILOUT_SECRET of 31 bytes" \
	"mailout: MAILOUT_SECRET is too short: 31 bytes, at least 32 needed" $run_args
# without --commit and on the real clock too
envs="-u MAILOUT_SECRET"
refused "MAILOUT_SECRET unset, no commit" "$unset_msg" --sink "$sink"
envs="MAILOUT_SECRET=$SECRET MAILOUT_SECRET_PREVIOUS=too-short"
refused "MAILOUT_SECRET_PREVIOUS short" \
	"mailout: MAILOUT_SECRET_PREVIOUS is too short: 9 bytes, at least 32 needed" $run_args
# before a push could move the checkout
envs="-u MAILOUT_SECRET"
git init -q --bare "$TMPDIR/remote.git" && git -C "$REPO" remote add origin "$TMPDIR/remote.git" ||
	fail "remote setup"
refused "MAILOUT_SECRET unset, --push" "$unset_msg" --now 2026-12-08T08:30 --sink "$sink" --push origin
envs="MAILOUT_SECRET=$SECRET"
refused "unknown remote" "mailout: no remote named 'nowhere' and no repository at that path" \
	--now 2026-12-08T08:30 --sink "$sink" --push nowhere
refused "unknown account" "mailout: unknown account 'nobody'" --account nobody --sink "$sink"

# an account's secret missing from the environment: refused before any claim
sed -i 's/daily_limit: 5, main: true/password_env: MAILOUT_PASSWORD_ANN_MAIN, daily_limit: 5, main: true/' \
	"$REPO/mailout.yaml"
git -C "$REPO" -c user.name=Test -c user.email=test@example.com commit -qam "ann-main has a password" ||
	fail "git commit"
head=$(git -C "$REPO" rev-parse HEAD)
envs="MAILOUT_SECRET=$SECRET"
refused "password missing" "mailout: account 'ann-main': MAILOUT_PASSWORD_ANN_MAIN is not set" --commit
envs="MAILOUT_SECRET=$SECRET MAILOUT_PASSWORD_ANN_MAIN="
refused "password empty" "mailout: account 'ann-main': MAILOUT_PASSWORD_ANN_MAIN is not set" --for 1h
# ... unless the run does not use that account: ann-a sends to the test
# server itself (nothing is due on the real clock, so nothing goes out)
sed -i "s|id: ann-a, \\(.*\\)smtp: \"smtps://smtp.example.com:465\"|id: ann-a, \\1smtp: \"$sink\"|" "$REPO/mailout.yaml"
grep -q "id: ann-a, .*smtp: \"$sink\"" "$REPO/mailout.yaml" || fail "ann-a sends to the test server"
git -C "$REPO" -c user.name=Test -c user.email=test@example.com commit -qam "ann-a sends locally" ||
	fail "git commit"
head=$(git -C "$REPO" rev-parse HEAD)
timeout "$E2E_TIMEOUT" env MAILOUT_SECRET=$SECRET "$MAILOUT" --repo "$REPO" send --account ann-a \
	>"$TMPDIR/stdout" 2>"$TMPDIR/stderr"
rc=$?
expect_rc "another account's password is not needed" 0
expect_stderr "another account's password is not needed: stderr" ""

# the logs held by another send (one process, so that killing it frees them)
printf 'pid 4242 on ci.example.com\n' >"$REPO/build/send.lock"
/usr/bin/python3 -c 'import fcntl, sys, time
f = open(sys.argv[1], "a")
fcntl.flock(f, fcntl.LOCK_EX)
print("locked", flush=True)
time.sleep(30)' "$REPO/build/send.lock" >"$TMPDIR/holder.out" &
holder=$!
n=0
until grep -q locked "$TMPDIR/holder.out"; do
	n=$((n + 1))
	[ $n -gt 100 ] && break
	sleep 0.1
done
refused "lock held" \
	"mailout: another mailout command that writes the logs is running on this checkout (pid 4242 on ci.example.com)" \
	--now 2026-12-08T08:30 --sink "$sink"
kill "$holder"
wait "$holder" 2>/dev/null

# a log that cannot be appended to stops the run before its first claim
log=$(ls "$REPO"/campaigns/one/log/*.tsv | head -n 1)
if chattr +i "$log" 2>/dev/null; then
	refused "log not writable" "mailout: cannot open '${log#"$REPO"/}': Operation not permitted" \
		--now 2026-12-08T08:30 --sink "$sink"
	chattr -i "$log"
fi
# a log that is not a regular file is a content error, with its place
mv "$log" "$TMPDIR/log.saved"
ln -s "$TMPDIR/log.saved" "$log"
envs="MAILOUT_SECRET=$SECRET"
timeout "$E2E_TIMEOUT" env $envs "$MAILOUT" --repo "$REPO" send --now 2026-12-08T08:30 --sink "$sink" \
	>"$TMPDIR/stdout" 2>"$TMPDIR/stderr"
rc=$?
expect_rc "log is a symbolic link" 1
expect_stderr "log is a symbolic link: stderr" "${log#"$REPO"/}: error: is a symbolic link; content files must be regular files
mailout: the content has 1 error ('mailout validate' shows all); the plan was left as it was"
rm "$log"
mv "$TMPDIR/log.saved" "$log"

# usage errors say what is wrong and how send is called, exit 2, nothing changed
timeout "$E2E_TIMEOUT" env $envs "$MAILOUT" --repo "$REPO" send --for 3x >"$TMPDIR/stdout" 2>"$TMPDIR/stderr"
rc=$?
expect_rc "bad --for" 2
head -n 1 "$TMPDIR/stderr" >"$TMPDIR/first"
expect_output "bad --for: message" \
	"mailout: invalid --for '3x': invalid duration '3x': expected a number with a unit, such as 30s, 9m, 2h, 7d or 1h30m" \
	"$TMPDIR/first"
timeout "$E2E_TIMEOUT" env $envs "$MAILOUT" --repo "$REPO" send --now someday --sink "$sink" \
	>"$TMPDIR/stdout" 2>"$TMPDIR/stderr"
rc=$?
expect_rc "bad --now" 2
head -n 1 "$TMPDIR/stderr" >"$TMPDIR/first"
expect_output "bad --now: message" \
	"mailout: invalid --now 'someday': invalid time 'someday': expected YYYY-MM-DD, YYYY-MM-DDTHH:MM[:SS] or RFC 3339 such as 2026-12-01T08:00:00Z" \
	"$TMPDIR/first"
git -C "$REPO" status --porcelain >"$TMPDIR/status"
expect_output "usage errors: git status" "" "$TMPDIR/status"
cat "$REPO"/campaigns/*/log/*.tsv >"$TMPDIR/logs.after"
expect_file "usage errors: logs" "$TMPDIR/logs.before" "$TMPDIR/logs.after"

# and with all that in place, the same run goes ahead
env MAILOUT_SECRET=$SECRET timeout "$E2E_TIMEOUT" "$MAILOUT" --repo "$REPO" send --now 2026-12-08T08:30 \
	--for 1d --sink "$sink" --commit >"$TMPDIR/stdout" 2>"$TMPDIR/stderr"
rc=$?
expect_rc "the run after" 0
[ "$(git -C "$REPO" rev-parse HEAD)" != "$head" ] || fail "the run after committed nothing"
[ "$(ls "$TMPDIR/spool" | grep -c '\.eml$')" -gt "$messages" ] || fail "the run after sent nothing"
stop_smtpd
finish
