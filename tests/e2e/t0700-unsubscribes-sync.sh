#!/bin/sh
# `mailout unsubscribes sync` against a real Dovecot: requests built from the
# List-Unsubscribe mailto of real messages suppress their addresses and the
# next send skips them; forged, foreign and junk messages change nothing;
# a second sync adds nothing; nothing is marked read; the state advances
# only when the sync works.
. "$SRC/tests/e2e/lib.sh"
. "$SRC/tests/e2e/smtp.sh"
. "$SRC/tests/e2e/imap.sh"
command -v dovecot >/dev/null 2>&1 || [ -x /usr/sbin/dovecot ] || skip "dovecot is not installed (tests/deps.sh installs it)"

REPO=$TMPDIR/repo
SUPP=$REPO/recipients/suppressions.tsv
STATE=$REPO/recipients/unsubscribes-sync.tsv
export MAILOUT_SECRET=e2e-secret-0123456789-0123456789-abcdef
export MAILOUT_UNSUBSCRIBE_PASSWORD=unsub-pass
make_repo "$REPO" || fail "scratch repository"
trap 'stop_imapd; stop_smtpd' EXIT
start_imapd "unsub:unsub-pass" || finish
start_smtpd "$TMPDIR/spool" || finish
sed -i -e "s|mailbox: imaps://imap.example.com/INBOX|mailbox: imap://127.0.0.1:$IMAPD_PORT/INBOX|" \
	-e "s|^  username: unsubscribe@example.com|  username: unsub|" \
	-e "s|^  burst: 7 |  burst: 1 |" "$REPO/mailout.yaml"
grep -q "mailbox: imap://127.0.0.1:$IMAPD_PORT/INBOX" "$REPO/mailout.yaml" || fail "the mailbox is configured"

# Monday 08:30, ten minutes of sending at the strict pace (burst 1): the
# first few messages go out
run_mailout --repo "$REPO" send --now 2026-12-07T08:30 --for 10m --sink "smtp://127.0.0.1:$SMTPD_PORT"
expect_rc "first send" 0
sent_msg=$(grep -l '^X-Mailout-Recipient: c-1002' "$TMPDIR/spool"/*.eml | head -n 1)
[ -n "$sent_msg" ] || fail "c-1002 was sent" "$TMPDIR/stdout"
[ "$(plan_query "SELECT state FROM deliveries WHERE recipient = 'c-1014'")" = pending ] ||
	fail "c-1014 is still pending"

py() {
	/usr/bin/python3 "$@" || fail "python: $*"
}
M=$TMPDIR/mail
mkdir -p "$M"
# 1. the mailto of a message that was sent (c-1002)
py "$SRC/tests/tools/unsubscribe_request.py" "$sent_msg" "$M/sent.eml"
# 2. the message c-1014 would get, token in the body
run_mailout --repo "$REPO" preview december-update-dach --recipient c-1014 --format eml
expect_rc "preview c-1014" 0
cp "$TMPDIR/stdout" "$M/c-1014.eml"
py "$SRC/tests/tools/unsubscribe_request.py" "$M/c-1014.eml" "$M/pending.eml" --in-body
# 3. a forged signature (c-1013)
run_mailout --repo "$REPO" preview december-update-dach --recipient c-1013 --format eml
cp "$TMPDIR/stdout" "$M/c-1013.eml"
py "$SRC/tests/tools/unsubscribe_request.py" "$M/c-1013.eml" "$M/forged.eml" --forge
# 4. a token made with a key mailout does not have (c-1008)
MAILOUT_SECRET=another-secret-0123456789-0123456789-xyz run_mailout --repo "$REPO" \
	preview december-update-dach --recipient c-1008 --format eml
cp "$TMPDIR/stdout" "$M/c-1008.eml"
py "$SRC/tests/tools/unsubscribe_request.py" "$M/c-1008.eml" "$M/otherkey.eml"
# 5. junk: no headers, binary bytes and lines that look like IMAP answers
{
	printf '\001\002\377 not a message\r\n'
	i=1
	while [ $i -le 40 ]; do
		printf 'A%03d OK done\r\nB%03d OK done\r\n* %d FETCH (UID 9 BODY[] {3}\r\n' $i $i $i
		i=$((i + 1))
	done
} >"$M/junk.eml"
# 6. no token, from a known recipient, saying so (German)
printf 'From: Chloe Favre <chloe.favre@leman-horlogerie.test>\r\nTo: unsubscribe@example.com\r\nSubject: Abmelden bitte\r\n\r\nDanke.\r\n' >"$M/mail-rule.eml"
# 7. no token, from a stranger
printf 'From: stranger@example.org\r\nTo: unsubscribe@example.com\r\nSubject: unsubscribe\r\n\r\nunsubscribe\r\n' >"$M/stranger.eml"
# 8. no token, from a known recipient, about something else
printf 'From: felix.bauer@bauer-elektro.test\r\nTo: unsubscribe@example.com\r\nSubject: =?UTF-8?Q?Frage_zu_Ihrem_Angebot?=\r\n\r\nWann liefern Sie?\r\n' >"$M/question.eml"
# 9. a token cut short (its signature lost a character)
py "$SRC/tests/tools/unsubscribe_request.py" "$M/c-1013.eml" "$M/truncated.eml" --cut
for f in sent pending forged otherkey junk mail-rule stranger question truncated; do
	deliver unsub "$M/$f.eml"
done
cp "$SUPP" "$TMPDIR/suppressions.before"

# the password is missing: the sync fails and changes nothing
env -u MAILOUT_UNSUBSCRIBE_PASSWORD MAILOUT_NOW=2026-12-07T10:00:00Z \
	timeout "$E2E_TIMEOUT" "$MAILOUT" --repo "$REPO" unsubscribes sync >"$TMPDIR/stdout" 2>"$TMPDIR/stderr"
rc=$?
expect_rc "sync without the password" 1
grep -q "MAILOUT_UNSUBSCRIBE_PASSWORD is not set" "$TMPDIR/stderr" || fail "names the variable" "$TMPDIR/stderr"
# a wrong password: the login is refused
MAILOUT_UNSUBSCRIBE_PASSWORD=wrong MAILOUT_NOW=2026-12-07T10:00:00Z run_mailout --repo "$REPO" unsubscribes sync
expect_rc "sync with a wrong password" 1
grep -q "refused the login of 'unsub'" "$TMPDIR/stderr" || fail "says the login was refused" "$TMPDIR/stderr"
expect_file "failed syncs leave the suppressions" "$TMPDIR/suppressions.before" "$SUPP"
[ ! -e "$STATE" ] || fail "failed syncs write no state"

# the sync
MAILOUT_NOW=2026-12-07T10:00:00Z run_mailout --repo "$REPO" unsubscribes sync
expect_rc "sync" 0
expect_contains "first line" "unsubscribes: imap://127.0.0.1:$IMAPD_PORT/INBOX: 9 new messages"
expect_contains "summary" "read 9, unsubscribed 3, already suppressed 0, ignored 6 (forged 1, unknown key 1, malformed 2, no token 2, unknown recipient 0)"
grep -q "^  uid [0-9]*: unsubscribed recipient c-1002 of december-update-dach$" "$TMPDIR/stdout" ||
	fail "reports c-1002" "$TMPDIR/stdout"
grep -q "^  uid [0-9]*: unsubscribed recipient c-1014 of december-update-dach$" "$TMPDIR/stdout" ||
	fail "reports c-1014" "$TMPDIR/stdout"
grep -q "^  uid [0-9]*: unsubscribed recipient c-1005, by a mail from the address$" "$TMPDIR/stdout" ||
	fail "reports the mail from c-1005" "$TMPDIR/stdout"
grep -q "ignored: forged token (unsubscribe token signature does not match)" "$TMPDIR/stdout" ||
	fail "reports the forgery" "$TMPDIR/stdout"
grep -q "ignored: malformed unsubscribe token$" "$TMPDIR/stdout" || fail "reports the cut token" "$TMPDIR/stdout"
grep -q "@" "$TMPDIR/stdout" && fail "the report shows no address" "$TMPDIR/stdout"
{
	cat "$TMPDIR/suppressions.before"
	printf 'lukas.mueller@mueller-soehne.test\tunsubscribed\t2026-12-07T10:00:00Z\tdecember-update-dach\n'
	printf 'lea.meier@example.com\tunsubscribed\t2026-12-07T10:00:00Z\tdecember-update-dach\n'
	printf 'chloe.favre@leman-horlogerie.test\tunsubscribed\t2026-12-07T10:00:00Z\tmail\n'
} | sort >"$TMPDIR/suppressions.expected"
sort "$SUPP" >"$TMPDIR/suppressions.sorted"
expect_file "three addresses suppressed" "$TMPDIR/suppressions.expected" "$TMPDIR/suppressions.sorted"
head -n 3 "$SUPP" | cmp -s - "$TMPDIR/suppressions.before" || fail "existing lines kept in place" "$SUPP"
awk -F '\t' -v url="imap://127.0.0.1:$IMAPD_PORT/INBOX" \
	'NR == 1 && $0 == "key\tmailbox\tuidvalidity\tlast_uid" { h = 1 }
	 NR == 2 && $1 == "unsubscribe" && $2 == url && $3 > 0 && $4 == 9 { s = 1 }
	 END { exit !(h && s && NR == 2) }' "$STATE" || fail "the state file records UID 9" "$STATE"
[ "$(seen_count unsub)" = 0 ] || fail "no message was marked read"
[ "$(message_count unsub)" = 9 ] || fail "every message is still there"

# the plan shows them suppressed (status refreshes it)
MAILOUT_NOW=2026-12-07T10:30:00Z run_mailout --repo "$REPO" status
expect_rc "status" 0
[ "$(plan_query "SELECT state FROM deliveries WHERE recipient = 'c-1014'")" = suppressed ] ||
	fail "c-1014 is suppressed: $(plan_query "SELECT state FROM deliveries WHERE recipient = 'c-1014'")"
[ "$(plan_query "SELECT state FROM deliveries WHERE recipient = 'c-1013'")" = pending ] ||
	fail "the forged request changed nothing for c-1013"
[ "$(plan_query "SELECT state FROM deliveries WHERE recipient = 'c-1008'")" = sent ] ||
	fail "the foreign key changed nothing for c-1008"

# a second sync adds nothing
cp "$SUPP" "$TMPDIR/suppressions.after"
cp "$STATE" "$TMPDIR/state.after"
MAILOUT_NOW=2026-12-07T11:00:00Z run_mailout --repo "$REPO" unsubscribes sync
expect_rc "second sync" 0
expect_output "second sync output" "unsubscribes: imap://127.0.0.1:$IMAPD_PORT/INBOX: 0 new messages
read 0, unsubscribed 0, already suppressed 0, ignored 0 (forged 0, unknown key 0, malformed 0, no token 0, unknown recipient 0)"
expect_file "second sync keeps the suppressions" "$TMPDIR/suppressions.after" "$SUPP"
expect_file "second sync keeps the state" "$TMPDIR/state.after" "$STATE"

# the same request again, later: already suppressed
deliver unsub "$M/sent.eml"
MAILOUT_NOW=2026-12-07T12:00:00Z run_mailout --repo "$REPO" unsubscribes sync
expect_rc "third sync" 0
expect_contains "third sync summary" "read 1, unsubscribed 0, already suppressed 1, ignored 0 (forged 0, unknown key 0, malformed 0, no token 0, unknown recipient 0)"
expect_file "a repeated request adds nothing" "$TMPDIR/suppressions.after" "$SUPP"
awk -F '\t' 'NR == 2 && $4 == 10 { ok = 1 } END { exit !ok }' "$STATE" || fail "the state advances to 10" "$STATE"
[ "$(seen_count unsub)" = 0 ] || fail "still nothing marked read"

# the next send skips the suppressed address
run_mailout --repo "$REPO" send --now 2026-12-07T08:40 --for 9h --sink "smtp://127.0.0.1:$SMTPD_PORT"
expect_rc "second send" 0
grep -l '^To:.*lea\.meier@example\.com' "$TMPDIR/spool"/*.eml >/dev/null 2>&1 &&
	fail "nothing was sent to the unsubscribed address"
[ "$(plan_query "SELECT state FROM deliveries WHERE recipient = 'c-1014'")" = suppressed ] ||
	fail "c-1014 stays suppressed"
[ "$(plan_query "SELECT state FROM deliveries WHERE recipient = 'c-1013'")" = sent ] ||
	fail "c-1013 was sent"

# the server is gone: the sync fails, naming why, and the state stays
cp "$STATE" "$TMPDIR/state.before-down"
stop_imapd
MAILOUT_NOW=2026-12-07T13:00:00Z run_mailout --repo "$REPO" unsubscribes sync
expect_rc "sync with the server down" 1
grep -q "cannot read the unsubscribe mailbox: imap://127.0.0.1:$IMAPD_PORT/INBOX: " "$TMPDIR/stderr" ||
	fail "names the mailbox" "$TMPDIR/stderr"
expect_file "the state stays" "$TMPDIR/state.before-down" "$STATE"

# no mailbox configured: nothing to do
sed -i -e '/^  mailbox: /d' -e '/^  username: unsub$/d' -e '/^  password_env: MAILOUT_UNSUBSCRIBE_PASSWORD$/d' \
	"$REPO/mailout.yaml"
run_mailout --repo "$REPO" unsubscribes sync
expect_rc "sync without a mailbox" 0
expect_output "sync without a mailbox" "unsubscribes: no 'unsubscribe.mailbox' in mailout.yaml: nothing to read"

finish
