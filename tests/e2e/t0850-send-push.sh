#!/bin/sh
# Runners in separate clones send concurrently with --push against one
# local bare remote and one capture SMTP server: every recipient gets
# exactly one message, a fresh clone shows every result, runners sharded by
# account never conflict, and runners killed with kill -9 mail nobody twice
# (one killed while it held the remote's ref lock leaves the lock file: the
# finishing runner stops within a minute naming it, and after its removal
# finishes).
. "$SRC/tests/e2e/lib.sh"
. "$SRC/tests/e2e/smtp.sh"
export MAILOUT_SECRET=e2e-secret-0123456789-0123456789-abcdef
export GIT_AUTHOR_NAME=test GIT_AUTHOR_EMAIL=test@example.com
export GIT_COMMITTER_NAME=test GIT_COMMITTER_EMAIL=test@example.com

# new_remote NAME ARGS...: a bare remote holding a generated repository
new_remote() {
	name=$1
	shift
	git init -q --bare -b main "$TMPDIR/$name.git" &&
		push_generated "$TMPDIR/$name.seed" "$TMPDIR/$name.git" "$@"
}

# check NAME SPOOL RECIPIENTS: a fresh clone of the remote shows every
# recipient done, matching what the server received, nobody twice
check() {
	git clone -q "$TMPDIR/$1.git" "$TMPDIR/$1.check" || { fail "clone $1"; return; }
	REPO=$TMPDIR/$1.check
	/usr/bin/python3 "$SRC/tests/e2e/fixtures/check_send.py" "$REPO" "$2" ${4:-} >"$TMPDIR/check" 2>&1 ||
		fail "$1: rules" "$TMPDIR/check"
	MAILOUT_NOW=2026-12-20T12:00:00Z run_mailout --repo "$REPO" status --json
	/usr/bin/python3 - "$TMPDIR/stdout" "$2" "$3" >"$TMPDIR/counts" 2>&1 <<'P' || fail "$1: counts" "$TMPDIR/counts"
import glob, json, sys
d = json.load(open(sys.argv[1]))
total = sum(c["recipients"] for c in d["campaigns"])
sent = sum(c["sent"] for c in d["campaigns"])
done = sum(c["sent"] + c["failed"] + c["unconfirmed"] for c in d["campaigns"])
captured = len(glob.glob(sys.argv[2] + "/*.eml"))
assert total == int(sys.argv[3]) and done == total, (total, done)
# every captured message is recorded sent, or unconfirmed after a kill
assert sent <= captured <= sent + sum(c["unconfirmed"] for c in d["campaigns"]), (sent, captured)
print("ok", total, sent, captured)
P
}

# 1. two runners, same accounts, concurrently
new_remote race --recipients 80 --limits 100,100,100 || fail "remote"
git clone -q "$TMPDIR/race.git" "$TMPDIR/a" && git clone -q "$TMPDIR/race.git" "$TMPDIR/b" || fail "clones"
start_smtpd "$TMPDIR/spool1" --delay 0.01 || finish
for r in a b; do
	"$MAILOUT" --repo "$TMPDIR/$r" send --now 2026-12-07T08:30 --for 2d --batch 30m \
		--sink "smtp://127.0.0.1:$SMTPD_PORT" --push origin >"$TMPDIR/$r.out" 2>&1 &
	eval "pid_$r=\$!"
done
wait "$pid_a" || fail "runner a" "$TMPDIR/a.out"
wait "$pid_b" || fail "runner b" "$TMPDIR/b.out"
stop_smtpd
# two runners on the same accounts coordinate who sends, not the pace
check race "$TMPDIR/spool1" 80 --no-pacing

# 2. sharded by account: never a conflict, everything sent
new_remote shard --recipients 60 --limits 100,100,100 || fail "remote"
for r in main a b; do
	git clone -q "$TMPDIR/shard.git" "$TMPDIR/s-$r" || fail "clone"
done
start_smtpd "$TMPDIR/spool2" || finish
for r in main a b; do
	"$MAILOUT" --repo "$TMPDIR/s-$r" send --now 2026-12-07T08:30 --for 2d --account "ann-$r" \
		--sink "smtp://127.0.0.1:$SMTPD_PORT" --push origin >"$TMPDIR/s-$r.out" 2>&1 &
	eval "pid_$r=\$!"
done
for r in main a b; do
	eval "wait \$pid_$r" || fail "sharded runner $r" "$TMPDIR/s-$r.out"
	grep -q "gave up" "$TMPDIR/s-$r.out" && fail "sharded runner $r gave up" "$TMPDIR/s-$r.out"
done
stop_smtpd
check shard "$TMPDIR/spool2" 60

# 3. a runner killed with kill -9 at random moments, another finishing
new_remote kill --recipients 300 --limits 300,300,300 || fail "remote"
git clone -q "$TMPDIR/kill.git" "$TMPDIR/k1" && git clone -q "$TMPDIR/kill.git" "$TMPDIR/k2" || fail "clones"
start_smtpd "$TMPDIR/spool3" --delay 0.03 || finish
kills=0 i=0
while [ $i -lt 20 ]; do
	i=$((i + 1))
	# a killed runner's workdir is lost, as on a CI runner: start from a fresh clone
	rm -rf "$TMPDIR/k1" && git clone -q "$TMPDIR/kill.git" "$TMPDIR/k1"
	"$MAILOUT" --repo "$TMPDIR/k1" send --now 2026-12-07T08:30 --for 3d --batch 3m \
		--sink "smtp://127.0.0.1:$SMTPD_PORT" --push origin >"$TMPDIR/k1.$i" 2>&1 &
	pid=$!
	sleep "$(/usr/bin/python3 -c 'import random; print(random.uniform(0.2, 0.8))')"
	kill -9 "$pid" 2>/dev/null && kills=$((kills + 1))
	wait "$pid" 2>/dev/null
done
[ $kills -ge 15 ] || fail "only $kills of 20 runs were killed mid-run"
# Rarely a kill lands while the runner holds the remote's ref lock: the
# file stays, and every push is refused while main stays put.  The
# finishing runner then stops within a minute, naming the file; the
# operator removes it and runs it again.
lock=$TMPDIR/kill.git/refs/heads/main.lock
if [ -e "$lock" ]; then
	echo "# a kill left $lock"
	why="push to 'origin' rejected: '$(cd "$TMPDIR" && pwd -P)/kill.git/refs/heads/main.lock' exists: another push is updating 'main', or one was killed while it did (remove the file if no push is running); the remote's branch stayed at $(git -C "$TMPDIR/kill.git" rev-parse --short=12 main) for 20 s while it refused every push, so pushing again cannot help"
	timeout 60 "$MAILOUT" --repo "$TMPDIR/k2" send --now 2026-12-07T08:30 --for 7d \
		--sink "smtp://127.0.0.1:$SMTPD_PORT" --push origin >"$TMPDIR/k2.locked" 2>&1
	rc=$?
	[ $rc -eq 1 ] || fail "the finishing runner with the lock left: exit $rc, expected 1" "$TMPDIR/k2.locked"
	grep -qxF "mailout: $why" "$TMPDIR/k2.locked" ||
		fail "the finishing runner with the lock left: the lock not named" "$TMPDIR/k2.locked"
	[ -e "$lock" ] || fail "the lock file was removed"
	rm -f "$lock"
fi
"$MAILOUT" --repo "$TMPDIR/k2" send --now 2026-12-07T08:30 --for 7d \
	--sink "smtp://127.0.0.1:$SMTPD_PORT" --push origin >"$TMPDIR/k2.out" 2>&1 ||
	fail "the finishing runner" "$TMPDIR/k2.out"
stop_smtpd
check kill "$TMPDIR/spool3" 300
finish
