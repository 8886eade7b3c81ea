#!/bin/sh
# The syncs with --push: the suppression is pushed first, the state file
# after it; a refused push leaves the state where it was; two runners
# syncing the same mailbox at once record each opt-out once.
. "$SRC/tests/e2e/lib.sh"
. "$SRC/tests/e2e/smtp.sh"
. "$SRC/tests/e2e/imap.sh"
command -v dovecot >/dev/null 2>&1 || [ -x /usr/sbin/dovecot ] || skip "dovecot is not installed (tests/deps.sh installs it)"
export MAILOUT_SECRET=e2e-secret-0123456789-0123456789-abcdef
export MAILOUT_UNSUBSCRIBE_PASSWORD=unsub-pass
export GIT_AUTHOR_NAME=test GIT_AUTHOR_EMAIL=test@example.com
export GIT_COMMITTER_NAME=test GIT_COMMITTER_EMAIL=test@example.com
trap 'stop_imapd; stop_smtpd' EXIT
start_imapd "unsub:unsub-pass" || finish
start_smtpd "$TMPDIR/spool" || finish

SEED=$TMPDIR/seed
make_repo "$SEED" || fail "scratch repository"
sed -i -e "s|mailbox: imaps://imap.example.com/INBOX|mailbox: imap://127.0.0.1:$IMAPD_PORT/INBOX|" \
	-e "s|^  username: unsubscribe@example.com|  username: unsub|" \
	-e "s|imap: imaps://imap.news.example.com/INBOX|imap: imap://127.0.0.1:$IMAPD_PORT/INBOX|" \
	-e "s|username: alice.adams@news.example.com|username: unsub|" \
	-e "/imap: imaps:\/\/imap.example.net\/INBOX/d" "$SEED/mailout.yaml"
export MAILOUT_PASSWORD_ALICE_NEWS=unsub-pass
printf 'build/\n' >"$SEED/.gitignore"
git init -q --bare -b main "$TMPDIR/remote.git"
git -C "$SEED" init -q -b main && git -C "$SEED" add -A && git -C "$SEED" commit -qm content &&
	git -C "$SEED" push -q "$TMPDIR/remote.git" main || fail "remote"
git clone -q "$TMPDIR/remote.git" "$TMPDIR/a" || fail "clone"
REPO=$TMPDIR/a

# a message goes out (pushed), and its recipient asks to unsubscribe
run_mailout --repo "$REPO" send --now 2026-12-07T08:30 --for 10m --sink "smtp://127.0.0.1:$SMTPD_PORT" --push origin
expect_rc "send --push" 0
msg=$(grep -l '^X-Mailout-Recipient: c-1002' "$TMPDIR/spool"/*.eml | head -n 1)
[ -n "$msg" ] || fail "c-1002 was sent" "$TMPDIR/stdout"
/usr/bin/python3 "$SRC/tests/tools/unsubscribe_request.py" "$msg" "$TMPDIR/req.eml" || fail "request"
deliver unsub "$TMPDIR/req.eml"

# another runner moved the remote meanwhile: the sync replays its lines on the tip
git clone -q "$TMPDIR/remote.git" "$TMPDIR/other"
echo "# a change by someone else" >>"$TMPDIR/other/recipients/segments.yaml"
git -C "$TMPDIR/other" commit -qam "someone else" && git -C "$TMPDIR/other" push -q origin main

run_mailout --repo "$REPO" unsubscribes sync --push origin
expect_rc "unsubscribes sync --push" 0
git clone -q "$TMPDIR/remote.git" "$TMPDIR/check"
grep -q "^jonas.weber@example.net	unsubscribed	" "$TMPDIR/check/recipients/suppressions.tsv" 2>/dev/null ||
	grep -q "	unsubscribed	.*december-update-dach" "$TMPDIR/check/recipients/suppressions.tsv" ||
	fail "the suppression reached the remote" "$TMPDIR/check/recipients/suppressions.tsv"
[ -f "$TMPDIR/check/recipients/unsubscribes-sync.tsv" ] || fail "the state reached the remote"
grep -q "a change by someone else" "$TMPDIR/check/recipients/segments.yaml" || fail "the other change is kept"
git -C "$TMPDIR/check" log --format=%s -3 >"$TMPDIR/subjects"
expect_output "commits: results, then the state, on the other runner's tip" "unsubscribes: the mailbox is read up to here
unsubscribes: 1 unsubscribed
someone else" "$TMPDIR/subjects"

# the bounce sync publishes its state the same way
run_mailout --repo "$REPO" bounces sync --push origin
expect_rc "bounces sync --push" 0
git -C "$TMPDIR/check" pull -q
[ -f "$TMPDIR/check/recipients/bounces-sync.tsv" ] || fail "the bounce state reached the remote" "$TMPDIR/stdout"
expect_output "the bounce sync's commit" "bounces: the mailboxes are read up to here" \
	"$(git -C "$TMPDIR/check" log --format=%s -1 >"$TMPDIR/subject"; echo "$TMPDIR/subject")"

# a remote that cannot be reached: nothing is read, nothing advances
deliver unsub "$TMPDIR/req.eml"
before=$(cat "$REPO/recipients/unsubscribes-sync.tsv")
run_mailout --repo "$REPO" unsubscribes sync --push "$TMPDIR/no-such-remote.git"
expect_rc "a push that fails" 1
[ "$(cat "$REPO/recipients/unsubscribes-sync.tsv")" = "$before" ] || fail "the state advanced without a push"

# two runners sync the same requests at once, from clones of one tip: the
# one refused drops the lines the winner pushed, so each address is once
run_mailout --repo "$REPO" send --now 2026-12-07T09:00 --for 2h --sink "smtp://127.0.0.1:$SMTPD_PORT" --push origin
expect_rc "send --push, more messages" 0
n=0
for msg in "$TMPDIR/spool"/*.eml; do
	/usr/bin/python3 "$SRC/tests/tools/unsubscribe_request.py" "$msg" "$TMPDIR/req-$n.eml" &&
		deliver unsub "$TMPDIR/req-$n.eml" || fail "request $n"
	n=$((n + 1))
done
[ "$n" -ge 10 ] || fail "at least 10 messages to unsubscribe from, got $n"
git clone -q "$TMPDIR/remote.git" "$TMPDIR/r1" && git clone -q "$TMPDIR/remote.git" "$TMPDIR/r2" ||
	fail "clones"
"$MAILOUT" --repo "$TMPDIR/r1" unsubscribes sync --push origin >"$TMPDIR/r1.out" 2>&1 &
p1=$!
"$MAILOUT" --repo "$TMPDIR/r2" unsubscribes sync --push origin >"$TMPDIR/r2.out" 2>&1 &
p2=$!
wait "$p1" || fail "runner 1's sync" "$TMPDIR/r1.out"
wait "$p2" || fail "runner 2's sync" "$TMPDIR/r2.out"
git -C "$TMPDIR/check" pull -q || fail "pull"
# the addresses mailed, and those the repository had unsubscribed already
{ grep -h '^To:' "$TMPDIR/spool"/*.eml | sed 's/.*<\(.*\)>.*/\1/'
  grep '	unsubscribed	' "$SEED/recipients/suppressions.tsv" | cut -f1; } | sort -u >"$TMPDIR/mailed"
addresses=$(wc -l <"$TMPDIR/mailed")
grep -v '^#' "$TMPDIR/check/recipients/suppressions.tsv" | cut -f1,2 | sort | uniq -c |
	awk '$1 != 1' >"$TMPDIR/twice"
[ -s "$TMPDIR/twice" ] && fail "opt-outs recorded more than once" "$TMPDIR/twice"
recorded=$(grep -c '	unsubscribed	' "$TMPDIR/check/recipients/suppressions.tsv")
[ "$recorded" -eq "$addresses" ] ||
	fail "$addresses addresses unsubscribed, $recorded lines on the remote" "$TMPDIR/mailed"
finish
