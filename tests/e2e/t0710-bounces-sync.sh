#!/bin/sh
# `mailout bounces sync` against a real Dovecot: a delivery report for a sent
# message fails that delivery and suppresses the address; a report with
# Action: failed and any other status (5.7.1, 5.2.2 mailbox full) fails the
# delivery and suppresses nothing; a delay is a notification only; reports
# for unknown messages are left alone; the managers' own mail is never
# fetched nor marked read; a second sync, and one after the state file is
# lost, add nothing.
. "$SRC/tests/e2e/lib.sh"
. "$SRC/tests/e2e/smtp.sh"
. "$SRC/tests/e2e/imap.sh"
command -v dovecot >/dev/null 2>&1 || [ -x /usr/sbin/dovecot ] || skip "dovecot is not installed (tests/deps.sh installs it)"

REPO=$TMPDIR/repo
SUPP=$REPO/recipients/suppressions.tsv
STATE=$REPO/recipients/bounces-sync.tsv
NEWS_LOG=$REPO/campaigns/december-update-dach/log/alice-news.tsv
DANA_LOG=$REPO/campaigns/product-launch-leads/log/dana-main.tsv
ALICE=alice.adams@news.example.com
DANA=dana@example.net
export MAILOUT_SECRET=e2e-secret-0123456789-0123456789-abcdef
export MAILOUT_PASSWORD_ALICE_NEWS=news-pass
export MAILOUT_PASSWORD_DANA_MAIN=dana-pass
make_repo "$REPO" || fail "scratch repository"
trap 'stop_imapd; stop_smtpd' EXIT
start_imapd "$ALICE:news-pass" "$DANA:dana-pass" || finish
start_smtpd "$TMPDIR/spool" || finish
sed -i -e "s|imap: imaps://imap.news.example.com/INBOX|imap: imap://127.0.0.1:$IMAPD_PORT/INBOX|" \
	-e "s|imap: imaps://imap.example.net/INBOX|imap: imap://127.0.0.1:$IMAPD_PORT/INBOX|" "$REPO/mailout.yaml"
[ "$(grep -c "imap: imap://127.0.0.1:$IMAPD_PORT/INBOX" "$REPO/mailout.yaml")" = 2 ] ||
	fail "two accounts read the test server"

run_mailout --repo "$REPO" send --now 2026-12-07T08:30 --for 10m --sink "smtp://127.0.0.1:$SMTPD_PORT"
expect_rc "send" 0
spooled() {
	grep -l "^X-Mailout-Recipient: $1[[:space:]]*\$" "$TMPDIR/spool"/*.eml | head -n 1
}
for r in c-1002 c-1005 c-1008 c-1001 l-3009; do
	[ -n "$(spooled $r)" ] || fail "$r was sent" "$TMPDIR/stdout"
done

py() {
	/usr/bin/python3 "$@" || fail "python: $*"
}
M=$TMPDIR/mail
mkdir -p "$M"
dsn() {
	py "$SRC/tests/tools/make_dsn.py" "$@"
}
# hard bounce of a sent message, matched by its Message-ID
dsn "$M/hard.eml" --original "$(spooled c-1002)" --recipient lukas.mueller@mueller-soehne.test \
	--status 5.1.1 --diagnostic 'smtp; 550 5.1.1 <lukas.mueller@mueller-soehne.test>: Recipient address rejected: User unknown'
# policy: rejected as spam
dsn "$M/policy.eml" --original "$(spooled c-1005)" --recipient chloe.favre@leman-horlogerie.test \
	--status 5.7.1 --diagnostic 'smtp; 550 5.7.1 Message rejected as spam'
# a delay, returned headers only, matched by the X-Mailout headers and the address
dsn "$M/delay.eml" --headers-only --campaign december-update-dach --x-recipient c-1008 \
	--recipient juergen.weiss@example.net --action delayed --status 4.4.7
# a report about a message mailout never sent
dsn "$M/unknown.eml" --message-id '<0123456789abcdef@news.example.com>' \
	--recipient nobody@example.org --status 5.1.1
# forged X-Mailout headers naming a delivery, about another address
dsn "$M/forged.eml" --headers-only --campaign december-update-dach --x-recipient c-1001 \
	--recipient someone.else@example.org --status 5.1.1
# the manager's own mail
printf 'From: bob@example.org\r\nTo: %s\r\nSubject: Lunch?\r\nContent-Type: text/plain\r\n\r\nAt noon?\r\n' "$ALICE" >"$M/own.eml"
# a read receipt: a report, but not about delivery
printf 'From: bob@example.org\r\nTo: %s\r\nSubject: Read: Lunch?\r\nContent-Type: multipart/report; report-type=disposition-notification; boundary="b"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nRead.\r\n--b\r\nContent-Type: message/disposition-notification\r\n\r\nFinal-Recipient: rfc822; bob@example.org\r\nDisposition: manual-action/MDN-sent-manually; displayed\r\n--b--\r\n' "$ALICE" >"$M/receipt.eml"
for f in hard policy delay unknown forged own receipt; do
	deliver "$ALICE" "$M/$f.eml"
done
dsn "$M/dana.eml" --original "$(spooled l-3009)" --recipient ashley.moore@moore-dental.test \
	--status 5.1.2 --diagnostic 'smtp; 550 5.1.2 Host not found'
deliver "$DANA" "$M/dana.eml"
cp "$SUPP" "$TMPDIR/suppressions.before"

MAILOUT_NOW=2026-12-07T10:00:00Z run_mailout --repo "$REPO" bounces sync
expect_rc "sync" 0
expect_contains "alice-news" "alice-news: imap://127.0.0.1:$IMAPD_PORT/INBOX: 7 new messages, 6 that may be delivery reports"
expect_contains "alice-news summary" "alice-news: read 6, delivery reports 5 (hard bounces 1, temporary 1, policy 1, other 0, unmatched 2, no failure 0, recorded before 0), not delivery reports 1"
expect_contains "dana-main summary" "dana-main: read 1, delivery reports 1 (hard bounces 1, temporary 0, policy 0, other 0, unmatched 0, no failure 0, recorded before 0), not delivery reports 0"
grep -q "^  uid [0-9]*: hard bounce 5.1.1 for recipient c-1002 of december-update-dach: the delivery failed, the address is suppressed$" \
	"$TMPDIR/stdout" || fail "reports the hard bounce" "$TMPDIR/stdout"
grep -q "^  uid [0-9]*: policy 5.7.1 for recipient c-1005 of december-update-dach: the delivery failed, not suppressed$" \
	"$TMPDIR/stdout" || fail "reports the policy rejection" "$TMPDIR/stdout"

t=2026-12-07T10:00:00Z
expect_contains "hard bounce line" "$(printf '%s\tbounce\tc-1002\t550\t5.1.1\tdelivery report: failed: 550 5.1.1 <lukas.mueller@mueller-soehne.test>: Recipient address rejected: User unknown' $t)" "$NEWS_LOG"
expect_contains "policy line" "$(printf '%s\tbounce\tc-1005\t550\t5.7.1\tdelivery report: failed: 550 5.7.1 Message rejected as spam' $t)" "$NEWS_LOG"
expect_contains "delay line" "$(printf '%s\tbounce\tc-1008\t-\t4.4.7\tdelivery report: delayed' $t)" "$NEWS_LOG"
[ "$(grep -c "	bounce	" "$NEWS_LOG")" = 3 ] || fail "three bounce lines for alice-news" "$NEWS_LOG"
expect_contains "dana's line" "$(printf '%s\tbounce\tl-3009\t550\t5.1.2\tdelivery report: failed: 550 5.1.2 Host not found' $t)" "$DANA_LOG"
{
	cat "$TMPDIR/suppressions.before"
	printf 'lukas.mueller@mueller-soehne.test\tbounced\t%s\tdecember-update-dach\n' $t
	printf 'ashley.moore@moore-dental.test\tbounced\t%s\tproduct-launch-leads\n' $t
} >"$TMPDIR/suppressions.expected"
expect_file "hard bounces are suppressed" "$TMPDIR/suppressions.expected" "$SUPP"
printf 'key\tmailbox\tuidvalidity\tlast_uid\n' >"$TMPDIR/state.head"
head -n 1 "$STATE" | cmp -s - "$TMPDIR/state.head" || fail "state header" "$STATE"
awk -F '\t' -v url="imap://127.0.0.1:$IMAPD_PORT/INBOX" \
	'$1 == "alice-news" && $2 == url && $4 == 7 { a = 1 } $1 == "dana-main" && $2 == url && $4 == 1 { d = 1 }
	 END { exit !(a && d && NR == 3) }' "$STATE" || fail "the state records both mailboxes" "$STATE"
[ "$(seen_count "$ALICE")" = 0 ] || fail "nothing of alice's was marked read"
[ "$(seen_count "$DANA")" = 0 ] || fail "nothing of dana's was marked read"
[ "$(message_count "$ALICE")" = 7 ] || fail "alice's mail is all there"

# what the plan makes of it
state() {
	plan_query "SELECT state FROM deliveries WHERE recipient = '$1'"
}
MAILOUT_NOW=2026-12-07T10:30:00Z run_mailout --repo "$REPO" status
expect_rc "status" 0
[ "$(state c-1002)" = failed ] || fail "the hard bounce fails c-1002: $(state c-1002)"
[ "$(state l-3009)" = failed ] || fail "the hard bounce fails l-3009: $(state l-3009)"
[ "$(state c-1005)" = failed ] || fail "5.7.1 fails c-1005, unsuppressed: $(state c-1005)"
[ "$(state c-1008)" = sent ] || fail "a delay leaves c-1008 sent: $(state c-1008)"
[ "$(state c-1001)" = sent ] || fail "forged headers leave c-1001 sent: $(state c-1001)"
# by hash: ashley.moore@moore-dental.test, lukas.mueller@mueller-soehne.test
[ "$(plan_query "SELECT group_concat(hash, ' ') FROM (SELECT hash FROM bounces ORDER BY hash)")" = \
	"sha256:85a5f05d6cc7ade4185990f810227a710564072d3434e0179dc666c52a5c638a sha256:f29b4b751c859441516df56fd4fb94a670aa9c7f8c4b063624046122748cf3a6" ] ||
	fail "the plan's bounces: $(plan_query "SELECT hash FROM bounces")"
MAILOUT_NOW=2026-12-07T10:30:00Z run_mailout --repo "$REPO" status december-update-dach --json
grep -q '"message": "bounce: 550 5.7.1 delivery report: failed: 550 5.7.1 Message rejected as spam"' "$TMPDIR/stdout" ||
	fail "the policy report is a notification" "$TMPDIR/stdout"

# a second sync adds nothing
cp "$NEWS_LOG" "$TMPDIR/news.after"
cp "$DANA_LOG" "$TMPDIR/dana.after"
cp "$SUPP" "$TMPDIR/suppressions.after"
cp "$STATE" "$TMPDIR/state.after"
MAILOUT_NOW=2026-12-07T11:00:00Z run_mailout --repo "$REPO" bounces sync
expect_rc "second sync" 0
expect_contains "nothing new" "alice-news: imap://127.0.0.1:$IMAPD_PORT/INBOX: 0 new messages, 0 that may be delivery reports"
expect_file "second sync: alice-news log" "$TMPDIR/news.after" "$NEWS_LOG"
expect_file "second sync: dana-main log" "$TMPDIR/dana.after" "$DANA_LOG"
expect_file "second sync: suppressions" "$TMPDIR/suppressions.after" "$SUPP"
expect_file "second sync: state" "$TMPDIR/state.after" "$STATE"

# the state file is lost: every report is read again, none recorded twice
rm "$STATE"
MAILOUT_NOW=2026-12-07T12:00:00Z run_mailout --repo "$REPO" bounces sync
expect_rc "sync without state" 0
expect_contains "alice-news again" "alice-news: read 6, delivery reports 5 (hard bounces 0, temporary 0, policy 0, other 0, unmatched 2, no failure 0, recorded before 3), not delivery reports 1"
expect_file "re-read: alice-news log" "$TMPDIR/news.after" "$NEWS_LOG"
expect_file "re-read: dana-main log" "$TMPDIR/dana.after" "$DANA_LOG"
expect_file "re-read: suppressions" "$TMPDIR/suppressions.after" "$SUPP"
expect_file "re-read: state" "$TMPDIR/state.after" "$STATE"
[ "$(seen_count "$ALICE")" = 0 ] || fail "still nothing marked read"

# a wrong password for one account: the other is still read, the exit code
# (3) says that only mailboxes could not be read
deliver "$ALICE" "$M/policy.eml"
MAILOUT_PASSWORD_DANA_MAIN=wrong MAILOUT_NOW=2026-12-07T13:00:00Z run_mailout --repo "$REPO" bounces sync
expect_rc "sync with one login refused" 3
grep -q "^mailout: dana-main: cannot read the mailbox: imap://127.0.0.1:$IMAPD_PORT/INBOX: the server refused the login of '$DANA'" \
	"$TMPDIR/stderr" || fail "names the account and the refusal" "$TMPDIR/stderr"
expect_contains "one of two" "mailout: 1 of 2 mailboxes could not be read (named above)" "$TMPDIR/stderr"
[ "$(wc -l <"$TMPDIR/stderr")" = 2 ] || fail "two lines on stderr" "$TMPDIR/stderr"
expect_contains "alice-news still read" "alice-news: read 1, delivery reports 1 (hard bounces 0, temporary 0, policy 0, other 0, unmatched 0, no failure 0, recorded before 1), not delivery reports 0"
awk -F '\t' '$1 == "alice-news" && $4 == 8 { a = 1 } $1 == "dana-main" && $4 == 1 { d = 1 } END { exit !(a && d) }' \
	"$STATE" || fail "alice-news advanced, dana-main did not" "$STATE"

# dana-main's server is down (nothing listens on its port): alice-news's new
# report is read, recorded and committed, dana-main's mail waits; exit 3
printf 'build/\n' >"$REPO/.gitignore"
git -C "$REPO" init -q -b main && git -C "$REPO" add -A && git -C "$REPO" commit -qm "before the outage" ||
	fail "commit before the outage"
DOWN=$(free_port)
cp "$REPO/mailout.yaml" "$TMPDIR/mailout.yaml.up"
awk -v down="imap: imap://127.0.0.1:$DOWN/INBOX" -v up="imap: imap://127.0.0.1:$IMAPD_PORT/INBOX" \
	'/^  - id: dana-main/ { d = 1 } d && index($0, up) { sub(up, down); d = 0 } { print }' \
	"$TMPDIR/mailout.yaml.up" >"$REPO/mailout.yaml"
[ "$(grep -c "imap: imap://127.0.0.1:$DOWN/INBOX" "$REPO/mailout.yaml")" = 1 ] || fail "dana-main reads the down port"
git -C "$REPO" commit -qam "dana-main's server is down" || fail "commit the down port"
dsn "$M/policy2.eml" --original "$(spooled c-1008)" --recipient juergen.weiss@example.net \
	--status 5.7.1 --diagnostic 'smtp; 550 5.7.1 Blocked'
deliver "$ALICE" "$M/policy2.eml"
deliver "$DANA" "$M/dana.eml"
MAILOUT_NOW=2026-12-07T13:30:00Z run_mailout --repo "$REPO" bounces sync --commit
expect_rc "sync with one server down" 3
sed -n 1p "$TMPDIR/stderr" | grep -qx "mailout: dana-main: cannot read the mailbox: imap://127.0.0.1:$DOWN/INBOX: Failed to connect to 127.0.0.1 port $DOWN after [0-9]* ms: Couldn't connect to server" ||
	fail "names the server that is down" "$TMPDIR/stderr"
sed -n '2,$p' "$TMPDIR/stderr" >"$TMPDIR/stderr.rest"
expect_output "then how many mailboxes" "mailout: 1 of 2 mailboxes could not be read (named above)" "$TMPDIR/stderr.rest"
expect_contains "alice-news read with dana-main down" "alice-news: read 1, delivery reports 1 (hard bounces 0, temporary 0, policy 1, other 0, unmatched 0, no failure 0, recorded before 0), not delivery reports 0"
expect_contains "the policy report is recorded" "$(printf '2026-12-07T13:30:00Z\tbounce\tc-1008\t550\t5.7.1\tdelivery report: failed: 550 5.7.1 Blocked')" "$NEWS_LOG"
git -C "$REPO" status --porcelain >"$TMPDIR/porcelain"
expect_output "everything written is committed" "" "$TMPDIR/porcelain"
[ "$(git -C "$REPO" log -1 --format=%s)" = "bounces: the mailboxes are read up to here" ] ||
	fail "the state is committed last: $(git -C "$REPO" log -1 --format=%s)"
awk -F '\t' '$1 == "alice-news" && $4 == 9 { a = 1 } $1 == "dana-main" && $4 == 1 { d = 1 } END { exit !(a && d) }' \
	"$STATE" || fail "alice-news advanced past the new report, dana-main stayed" "$STATE"
# the server is back: dana-main's report is read
cp "$TMPDIR/mailout.yaml.up" "$REPO/mailout.yaml"
MAILOUT_NOW=2026-12-07T13:45:00Z run_mailout --repo "$REPO" bounces sync
expect_rc "sync with the server back" 0
expect_contains "dana-main read again" "dana-main: read 1, delivery reports 1 (hard bounces 0, temporary 0, policy 0, other 0, unmatched 0, no failure 0, recorded before 1), not delivery reports 0"

# a full mailbox the server gave up on fails the delivery and suppresses
# nothing; a delay leaves the delivery as it is
dsn "$M/full.eml" --original "$(spooled c-1001)" --recipient jana.novak@example.net \
	--status 5.2.2 --diagnostic 'smtp; 552 5.2.2 <jana.novak@example.net>: Recipient address rejected: Mailbox full'
dsn "$M/delayed.eml" --original "$(spooled l-3010)" --recipient brandon.davis@example.com \
	--action delayed --status 4.2.2 --diagnostic 'smtp; 452 4.2.2 Mailbox full, will retry'
deliver "$ALICE" "$M/full.eml"
deliver "$DANA" "$M/delayed.eml"
cp "$SUPP" "$TMPDIR/suppressions.before-full"
# the lines go to the logs of the accounts that sent the messages
MAIN_LOG=$REPO/campaigns/december-update-dach/log/alice-main.tsv
OUTREACH_LOG=$REPO/campaigns/product-launch-leads/log/dana-outreach.tsv
grep -q "	claim	c-1001	" "$MAIN_LOG" && grep -q "	claim	l-3010	" "$OUTREACH_LOG" ||
	fail "c-1001 went out through alice-main, l-3010 through dana-outreach"
cp "$MAIN_LOG" "$TMPDIR/main.before-full"
cp "$OUTREACH_LOG" "$TMPDIR/outreach.before-full"
MAILOUT_NOW=2026-12-07T14:00:00Z run_mailout --repo "$REPO" bounces sync
expect_rc "sync of a full mailbox and a delay" 0
expect_contains "alice-news: the full mailbox" "alice-news: read 1, delivery reports 1 (hard bounces 0, temporary 1, policy 0, other 0, unmatched 0, no failure 0, recorded before 0), not delivery reports 0"
expect_contains "dana-main: the delay" "dana-main: read 1, delivery reports 1 (hard bounces 0, temporary 1, policy 0, other 0, unmatched 0, no failure 0, recorded before 0), not delivery reports 0"
grep -q "^  uid [0-9]*: temporary 5.2.2 for recipient c-1001 of december-update-dach: the delivery failed, not suppressed$" \
	"$TMPDIR/stdout" || fail "reports the full mailbox" "$TMPDIR/stdout"
grep -q "^  uid [0-9]*: temporary 4.2.2 for recipient l-3010 of product-launch-leads: noted, not suppressed$" \
	"$TMPDIR/stdout" || fail "reports the delay" "$TMPDIR/stdout"
t=2026-12-07T14:00:00Z
{
	cat "$TMPDIR/main.before-full"
	printf '%s\tbounce\tc-1001\t552\t5.2.2\tdelivery report: failed: 552 5.2.2 <jana.novak@example.net>: Recipient address rejected: Mailbox full\n' $t
} >"$TMPDIR/main.expected-full"
expect_file "the full mailbox's line" "$TMPDIR/main.expected-full" "$MAIN_LOG"
{
	cat "$TMPDIR/outreach.before-full"
	printf '%s\tbounce\tl-3010\t452\t4.2.2\tdelivery report: delayed: 452 4.2.2 Mailbox full, will retry\n' $t
} >"$TMPDIR/outreach.expected-full"
expect_file "the delay's line" "$TMPDIR/outreach.expected-full" "$OUTREACH_LOG"
expect_file "nothing more is suppressed" "$TMPDIR/suppressions.before-full" "$SUPP"
MAILOUT_NOW=2026-12-07T14:30:00Z run_mailout --repo "$REPO" status product-launch-leads --json
expect_rc "status after the full mailbox" 0
[ "$(state c-1001)" = failed ] || fail "the full mailbox fails c-1001: $(state c-1001)"
[ "$(state l-3010)" = sent ] || fail "a delay leaves l-3010 sent: $(state l-3010)"
[ "$(plan_query "SELECT group_concat(hash, ' ') FROM (SELECT hash FROM bounces ORDER BY hash)")" = \
	"sha256:85a5f05d6cc7ade4185990f810227a710564072d3434e0179dc666c52a5c638a sha256:f29b4b751c859441516df56fd4fb94a670aa9c7f8c4b063624046122748cf3a6" ] ||
	fail "a full mailbox is no hard bounce: $(plan_query "SELECT hash FROM bounces")"
grep -q '"message": "bounce: 452 4.2.2 delivery report: delayed: 452 4.2.2 Mailbox full, will retry"' "$TMPDIR/stdout" ||
	fail "the delay is a notification" "$TMPDIR/stdout"

# a retry sends the full mailbox's message again; the next send skips the
# bounced address in every campaign
MAILOUT_NOW=2026-12-07T14:30:00Z run_mailout --repo "$REPO" retry december-update-dach
expect_rc "retry" 0
run_mailout --repo "$REPO" send --now 2026-12-07T08:40 --for 9h --sink "smtp://127.0.0.1:$SMTPD_PORT"
expect_rc "second send" 0
[ "$(grep -l '^To:.*lukas\.mueller@mueller-soehne\.test' "$TMPDIR/spool"/*.eml | wc -l)" = 1 ] ||
	fail "lukas got the one message from before the bounce only"
[ "$(grep -l '^To:.*jana\.novak@example\.net' "$TMPDIR/spool"/*.eml | wc -l)" = 2 ] ||
	fail "jana's message went out again after the retry"

finish
