#!/bin/sh
# A push killed while it held the branch's lock leaves refs/heads/main.lock
# in the remote, and every later push is refused while the branch stays
# where it is.  send --push stops within a minute, naming the lock file,
# having mailed nobody and keeping its commits; once an operator removed
# the file, the next run publishes everything.  Through a local bare
# remote, then through smart HTTP (git receive-pack's own "cannot lock
# ref").
. "$SRC/tests/e2e/lib.sh"
. "$SRC/tests/e2e/smtp.sh"
. "$SRC/tests/e2e/githttp.sh"
export MAILOUT_SECRET=e2e-secret-0123456789-0123456789-abcdef
export GIT_AUTHOR_NAME=test GIT_AUTHOR_EMAIL=test@example.com
export GIT_COMMITTER_NAME=test GIT_COMMITTER_EMAIL=test@example.com
command -v lighttpd >/dev/null 2>&1 || skip "lighttpd is not installed (tests/deps.sh)"
trap 'stop_smtpd; githttp_stop' EXIT

# seed NAME URL: pushes a generated repository (6 recipients) to URL
seed() {
	push_generated "$TMPDIR/$1.seed" "$2" --recipients 6 --limits 100,100,100
}

# send NAME: one run in the clone $TMPDIR/NAME, pushing to origin, cut off
# after a minute
send() {
	E2E_TIMEOUT=60 run_mailout --repo "$TMPDIR/$1" send --now 2026-12-07T08:30 --for 2d \
		--sink "smtp://127.0.0.1:$SMTPD_PORT" --push origin
}

# remote_logs GITDIR: each log line of the remote's main without its times,
# hashes and Message-IDs: file, status, recipient
remote_logs() {
	for f in $(git -C "$1" ls-tree -r --name-only main campaigns | grep /log/); do
		git -C "$1" show "main:$f" | sed 1d | cut -f2,3 | sed "s|^|$f	|"
	done
}

# recipients SPOOL: the To: of every captured message, sorted
recipients() {
	for eml in "$1"/*.eml; do
		[ -e "$eml" ] && tr -d '\r' <"$eml" | sed -n 's/^To: //p' | head -n 1
	done | sort
}

# the remote's logs once everything is sent: the failed run's claims and
# their releases (replayed from the clone), then the second run's
cat >"$TMPDIR/logs.expected" <<'EOF'
campaigns/one/log/ann-a.tsv	claim	r-3
campaigns/one/log/ann-a.tsv	release	r-3
campaigns/one/log/ann-a.tsv	claim	r-3
campaigns/one/log/ann-a.tsv	sent	r-3
campaigns/one/log/ann-b.tsv	claim	r-1
campaigns/one/log/ann-b.tsv	release	r-1
campaigns/one/log/ann-b.tsv	claim	r-1
campaigns/one/log/ann-b.tsv	sent	r-1
campaigns/one/log/ann-b.tsv	claim	r-5
campaigns/one/log/ann-b.tsv	sent	r-5
campaigns/two/log/ann-a.tsv	claim	r-4
campaigns/two/log/ann-a.tsv	release	r-4
campaigns/two/log/ann-a.tsv	claim	r-4
campaigns/two/log/ann-a.tsv	sent	r-4
campaigns/two/log/ann-a.tsv	claim	r-6
campaigns/two/log/ann-a.tsv	sent	r-6
campaigns/two/log/ann-b.tsv	claim	r-2
campaigns/two/log/ann-b.tsv	release	r-2
campaigns/two/log/ann-b.tsv	claim	r-2
campaigns/two/log/ann-b.tsv	sent	r-2
EOF
# what the second run prints: every recipient sent once, on the virtual clock
cat >"$TMPDIR/report.expected" <<'EOF'
2026-12-07T07:35:24Z  sent        one                          r-3              via ann-a                250 Message accepted for delivery
2026-12-07T07:35:24Z  sent        one                          r-1              via ann-b                250 Message accepted for delivery
2026-12-07T07:40:48Z  sent        two                          r-4              via ann-a                250 Message accepted for delivery
2026-12-07T07:40:48Z  sent        two                          r-2              via ann-b                250 Message accepted for delivery
2026-12-07T07:46:12Z  sent        two                          r-6              via ann-a                250 Message accepted for delivery
2026-12-07T07:46:12Z  sent        one                          r-5              via ann-b                250 Message accepted for delivery
send: 6 sent, 0 failed, 0 retrying, 0 deferred, 0 critical, 0 unconfirmed in 2 campaigns (2026-12-07T07:30:00Z to 2026-12-07T07:46:12Z)
EOF

# scenario NAME GITDIR: GITDIR is the remote of the clone NAME; the run
# that finds the lock (its stderr exactly $expected), then the one after
# the lock is gone
scenario() {
	name=$1 gitdir=$2
	start_smtpd "$TMPDIR/$name.spool" || return
	tip=$(git -C "$gitdir" rev-parse main)
	: >"$gitdir/refs/heads/main.lock"
	start=$(date +%s)
	send "$name"
	took=$(($(date +%s) - start))
	expect_rc "$name: the run that finds the lock" 1
	# it tried for PUBLISH_STUCK seconds (a live lock goes away), not more
	[ "$took" -ge 20 ] || fail "$name: the run that finds the lock gave up after $took s"
	printf '%s\n' "$expected" >"$TMPDIR/expected"
	expect_file "$name: the lock named" "$TMPDIR/expected" "$TMPDIR/stderr"
	[ -e "$gitdir/refs/heads/main.lock" ] || fail "$name: the lock file was removed"
	[ "$(git -C "$gitdir" rev-parse main)" = "$tip" ] || fail "$name: the remote moved"
	git -C "$TMPDIR/$name" log --format=%s main >"$TMPDIR/commits" 2>&1
	expect_output "$name: the commits stay local" \
"send: 0 sent, 0 failed, 0 retrying, 0 deferred, 0 critical, 0 unconfirmed in 0 campaigns
send: claims of batch 1 (0 sent so far)
content" "$TMPDIR/commits"
	recipients "$TMPDIR/$name.spool" >"$TMPDIR/sent"
	expect_output "$name: nobody mailed" "" "$TMPDIR/sent"

	# the operator sees no push running and removes the file
	rm "$gitdir/refs/heads/main.lock"
	send "$name"
	expect_rc "$name: the run after the lock was removed" 0
	expect_file "$name: the report" "$TMPDIR/report.expected" "$TMPDIR/stdout"
	stop_smtpd
	recipients "$TMPDIR/$name.spool" >"$TMPDIR/sent"
	expect_output "$name: everyone mailed once" "R1 <r1@example.net>
R2 <r2@example.net>
R3 <r3@example.net>
R4 <r4@example.net>
R5 <r5@example.net>
R6 <r6@example.net>" "$TMPDIR/sent"
	remote_logs "$gitdir" >"$TMPDIR/logs"
	expect_file "$name: the remote's logs" "$TMPDIR/logs.expected" "$TMPDIR/logs"
	git -C "$gitdir" log --format=%s main >"$TMPDIR/commits" 2>&1
	expect_output "$name: the remote's commits" \
"send: 6 sent, 0 failed, 0 retrying, 0 deferred, 0 critical, 0 unconfirmed in 2 campaigns
send: claims of batch 2 (4 sent so far)
send: claims of batch 1 (0 sent so far)
send: lines replayed on $(echo "$tip" | cut -c1-12)
content" "$TMPDIR/commits"
}

# 1. a local bare remote: libgit2 finds the lock file
git init -q --bare -b main "$TMPDIR/local.git" && seed local "$TMPDIR/local.git" &&
	git clone -q "$TMPDIR/local.git" "$TMPDIR/local" || fail "local remote"
lock=$(cd "$TMPDIR" && pwd -P)/local.git/refs/heads/main.lock
why="push to 'origin' rejected: '$lock' exists: another push is updating 'main', or one was killed while it did (remove the file if no push is running); the remote's branch stayed at $(git -C "$TMPDIR/local.git" rev-parse --short=12 main) for 20 s while it refused every push, so pushing again cannot help"
expected="mailout: could not publish the results: $why; not on the remote: campaigns/two/log/ann-a.tsv (2 lines), campaigns/one/log/ann-a.tsv (2 lines), campaigns/two/log/ann-b.tsv (2 lines), campaigns/one/log/ann-b.tsv (2 lines)
mailout: $why"
scenario local "$TMPDIR/local.git"

# 2. smart HTTP: git receive-pack refuses to lock the ref, and says why
githttp_start || finish
githttp_new_repo http && seed http "$GH_AUTH_URL/http.git" &&
	git -c "credential.helper=!f() { echo username=$GH_USER; echo password=$GH_TOKEN; }; f" \
		clone -q "$GH_URL/http.git" "$TMPDIR/http" || fail "http remote"
why="push to 'origin' rejected: failed to update ref (the remote said: cannot lock ref 'refs/heads/main': Unable to create '$GH_DIR/repos/http.git/./refs/heads/main.lock': File exists.); the remote's branch stayed at $(git -C "$GH_DIR/repos/http.git" rev-parse --short=12 main) for 20 s while it refused every push, so pushing again cannot help"
expected="mailout: could not publish the results: $why; not on the remote: campaigns/two/log/ann-a.tsv (2 lines), campaigns/one/log/ann-a.tsv (2 lines), campaigns/two/log/ann-b.tsv (2 lines), campaigns/one/log/ann-b.tsv (2 lines)
mailout: $why"
scenario http "$GH_DIR/repos/http.git"
githttp_stop
finish
