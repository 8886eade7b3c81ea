#!/bin/sh
# When the plan cannot be read in the middle of a sync (the deliveries
# table of build/plan.db damaged on disk), `unsubscribes sync` and `bounces
# sync` stop with the database's message, write nothing and keep their
# mailbox state: the request is not taken for an unknown recipient nor the
# bounce for a new one.  Once the plan is rebuilt the same mail is read.
. "$SRC/tests/e2e/lib.sh"
. "$SRC/tests/e2e/smtp.sh"
. "$SRC/tests/e2e/imap.sh"
command -v dovecot >/dev/null 2>&1 || [ -x /usr/sbin/dovecot ] || skip "dovecot is not installed (tests/deps.sh installs it)"
command -v sqlite3 >/dev/null 2>&1 || skip "sqlite3 is not installed (tests/deps.sh installs it)"

REPO=$TMPDIR/repo
SUPP=$REPO/recipients/suppressions.tsv
UNSUB_STATE=$REPO/recipients/unsubscribes-sync.tsv
BOUNCE_STATE=$REPO/recipients/bounces-sync.tsv
NEWS_LOG=$REPO/campaigns/december-update-dach/log/alice-news.tsv
ALICE=alice.adams@news.example.com
DANA=dana@example.net
export MAILOUT_SECRET=e2e-secret-0123456789-0123456789-abcdef
export MAILOUT_UNSUBSCRIBE_PASSWORD=unsub-pass
export MAILOUT_PASSWORD_ALICE_NEWS=news-pass
export MAILOUT_PASSWORD_DANA_MAIN=dana-pass
make_repo "$REPO" || fail "scratch repository"
trap 'stop_imapd; stop_smtpd' EXIT
start_imapd "unsub:unsub-pass" "$ALICE:news-pass" "$DANA:dana-pass" || finish
start_smtpd "$TMPDIR/spool" || finish
sed -i -e "s|mailbox: imaps://imap.example.com/INBOX|mailbox: imap://127.0.0.1:$IMAPD_PORT/INBOX|" \
	-e "s|^  username: unsubscribe@example.com|  username: unsub|" \
	-e "s|imap: imaps://imap.news.example.com/INBOX|imap: imap://127.0.0.1:$IMAPD_PORT/INBOX|" \
	-e "s|imap: imaps://imap.example.net/INBOX|imap: imap://127.0.0.1:$IMAPD_PORT/INBOX|" "$REPO/mailout.yaml"
[ "$(grep -c "imap://127.0.0.1:$IMAPD_PORT/INBOX" "$REPO/mailout.yaml")" = 3 ] ||
	fail "the three mailboxes are on the test server"

run_mailout --repo "$REPO" send --now 2026-12-07T08:30 --for 10m --sink "smtp://127.0.0.1:$SMTPD_PORT"
expect_rc "send" 0
sent_msg=$(grep -l '^X-Mailout-Recipient: c-1002[[:space:]]*$' "$TMPDIR/spool"/*.eml | head -n 1)
[ -n "$sent_msg" ] || fail "c-1002 was sent" "$TMPDIR/stdout"

py() {
	/usr/bin/python3 "$@" || fail "python: $*"
}
M=$TMPDIR/mail
mkdir -p "$M"
printf 'From: stranger@example.org\r\nTo: unsubscribe@example.com\r\nSubject: hello\r\n\r\nhello\r\n' >"$M/stranger.eml"
printf 'From: bob@example.org\r\nTo: %s\r\nSubject: Lunch?\r\nContent-Type: text/plain\r\n\r\nAt noon?\r\n' "$ALICE" >"$M/own.eml"
py "$SRC/tests/tools/unsubscribe_request.py" "$sent_msg" "$M/request.eml"
py "$SRC/tests/tools/make_dsn.py" "$M/hard.eml" --original "$sent_msg" \
	--recipient lukas.mueller@mueller-soehne.test --status 5.1.1 \
	--diagnostic 'smtp; 550 5.1.1 <lukas.mueller@mueller-soehne.test>: Recipient address rejected: User unknown'

# syncs that work write their states
deliver unsub "$M/stranger.eml"
deliver "$ALICE" "$M/own.eml"
MAILOUT_NOW=2026-12-07T10:00:00Z run_mailout --repo "$REPO" unsubscribes sync
expect_rc "first unsubscribe sync" 0
MAILOUT_NOW=2026-12-07T10:00:00Z run_mailout --repo "$REPO" bounces sync
expect_rc "first bounce sync" 0
for f in "$SUPP" "$UNSUB_STATE" "$BOUNCE_STATE" "$NEWS_LOG"; do
	[ -f "$f" ] || fail "$f exists"
	cp "$f" "$TMPDIR/$(basename "$f").before"
done

# the request and the bounce arrive; the deliveries' pages are lost
deliver unsub "$M/request.eml"
deliver "$ALICE" "$M/hard.eml"
page=$(plan_query "PRAGMA page_size")
root=$(plan_query "SELECT rootpage FROM sqlite_schema WHERE name = 'deliveries'")
[ "$page" -gt 0 ] && [ "$root" -gt 1 ] || fail "the plan's deliveries table is found: page $page, root $root"
dd if=/dev/zero of="$REPO/build/plan.db" bs="$page" seek=$((root - 1)) count=1 conv=notrunc 2>/dev/null ||
	fail "damaging the plan"

MAILOUT_NOW=2026-12-07T11:00:00Z run_mailout --repo "$REPO" unsubscribes sync
expect_rc "unsubscribe sync on a damaged plan" 1
expect_stderr "the unsubscribe sync names the error" "mailout: plan database (query): database disk image is malformed"
grep -q "unknown recipient\|unsubscribed" "$TMPDIR/stdout" && fail "no request is judged" "$TMPDIR/stdout"

MAILOUT_NOW=2026-12-07T11:00:00Z run_mailout --repo "$REPO" bounces sync
expect_rc "bounce sync on a damaged plan" 1
expect_stderr "the bounce sync names the error" "mailout: alice-news: plan database (query): database disk image is malformed"
grep -q "^dana-main:" "$TMPDIR/stdout" && fail "the sync stops at the error" "$TMPDIR/stdout"

for f in "$SUPP" "$UNSUB_STATE" "$BOUNCE_STATE" "$NEWS_LOG"; do
	expect_file "$(basename "$f") is unchanged" "$TMPDIR/$(basename "$f").before" "$f"
done
[ "$(seen_count unsub)" = 0 ] || fail "nothing of unsub's was marked read"
[ "$(seen_count "$ALICE")" = 0 ] || fail "nothing of alice's was marked read"

# a rebuilt plan reads the same mail again
run_mailout --repo "$REPO" build --rebuild
expect_rc "rebuild" 0
MAILOUT_NOW=2026-12-07T12:00:00Z run_mailout --repo "$REPO" unsubscribes sync
expect_rc "unsubscribe sync after the rebuild" 0
expect_contains "the request counts" "read 1, unsubscribed 1, already suppressed 0, ignored 0 (forged 0, unknown key 0, malformed 0, no token 0, unknown recipient 0)"
MAILOUT_NOW=2026-12-07T12:00:00Z run_mailout --repo "$REPO" bounces sync
expect_rc "bounce sync after the rebuild" 0
expect_contains "the bounce counts" "alice-news: read 1, delivery reports 1 (hard bounces 1, temporary 0, policy 0, other 0, unmatched 0, no failure 0, recorded before 0), not delivery reports 0"
[ "$(grep -c "	bounce	c-1002	" "$NEWS_LOG")" = 1 ] || fail "one bounce line" "$NEWS_LOG"

finish
