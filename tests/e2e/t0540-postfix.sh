#!/bin/sh
# Against a real Postfix (submission with STARTTLS and Dovecot SASL) and
# Dovecot (IMAP with STARTTLS), with a private CA made for the test:
# `accounts check` trusts the CA from ca_file, SSL_CERT_FILE or
# CURL_CA_BUNDLE and says what is wrong without it; `unsubscribes sync`
# reads its mailbox over STARTTLS; `send` delivers to the Maildirs with the
# right headers and an EHLO name of the From domain; a Postfix stopped in
# the middle of a transaction and started again loses nothing and mails
# nobody twice; Postfix's own DSN for an unknown user is matched by
# `bounces sync`; the harness's full-mailbox and RCPT-rejection scenarios
# do what tests/e2e/postfix.sh says.
. "$SRC/tests/e2e/lib.sh"
. "$SRC/tests/e2e/smtp.sh"
. "$SRC/tests/e2e/postfix.sh"

REPO=$TMPDIR/repo
ANN=ann@example.test
N=12
export MAILOUT_SECRET=e2e-secret-0123456789-0123456789-abcdef
export MAILOUT_PASSWORD_ANN=ann-pass
export MAILOUT_PASSWORD_UNSUBSCRIBE=unsubscribe-pass
users="$ANN:ann-pass unsubscribe@example.test:unsubscribe-pass"
i=1
while [ $i -le $N ]; do
	users="$users r$i@example.test"
	i=$((i + 1))
done
trap mailserver_stop EXIT
# shellcheck disable=SC2086
mailserver_start $users || finish

# the repository: one account at the private Postfix, twelve recipients
# with mailboxes there and one address that has none
mailserver_repo "$REPO" "  mailbox: \"imap://127.0.0.1:$MS_IMAP_PORT/INBOX\"
  username: unsubscribe@example.test
  password_env: MAILOUT_PASSWORD_UNSUBSCRIBE
  tls: starttls
  ca_file: certs/test-ca.pem
" || finish
mkdir -p "$REPO/campaigns/winter"
{
	i=1
	while [ $i -le $N ]; do
		echo "- { id: r-$i, email: r$i@example.test, first_name: R$i, owner: ann }"
		i=$((i + 1))
	done
	echo "- { id: ghost, email: ghost@example.test, first_name: Ghost, owner: ann }"
} >"$REPO/recipients/contacts/all.yaml"
printf -- '---\nsubject: "Winter news for {{first_name}}"\n---\nHello {{first_name}},\n\nthe winter news.\n' \
	>"$REPO/templates/winter.md"
printf 'name: Winter\ntemplate: winter\nrecipient_type: contacts\nowner: ann\nstart: 2026-12-07\n' \
	>"$REPO/campaigns/winter/campaign.yaml"
run_mailout --repo "$REPO" validate
expect_rc "validate" 0 || cat "$TMPDIR/stdout"

# nothing from the runner's environment decides what is trusted
unset SSL_CERT_FILE CURL_CA_BUNDLE
# accounts check over STARTTLS, the CA from ca_file in the repository
run_mailout --repo "$REPO" accounts check
expect_rc "accounts check with ca_file" 0
expect_output "accounts check with ca_file" "$(printf '%-20s ok      %s\n' \
	ann-main "smtp://127.0.0.1:$MS_SUBMISSION_PORT" ann-main "imap://127.0.0.1:$MS_IMAP_PORT/INBOX" \
	"unsubscribe mailbox" "imap://127.0.0.1:$MS_IMAP_PORT/INBOX"; echo 'accounts: 1 of 1 working')"
grep -q "imap-login: Info: Login: user=<$ANN>, method=PLAIN, .*, TLS," "$MS_DIR/dovecot/dovecot.log" ||
	fail "the check logged in to the account's mailbox over TLS" "$MS_DIR/dovecot/dovecot.log"
grep -q "submission/smtpd.*disconnect from localhost.* ehlo=2 starttls=1 auth=1 quit=1 commands=5" \
	"$MS_DIR/maillog" || fail "the check said EHLO, STARTTLS, EHLO, AUTH, QUIT" "$MS_DIR/maillog"
# without it the certificate is not trusted, and the check says so
cp "$REPO/mailout.yaml" "$TMPDIR/with-ca.yaml"
sed -i '/ca_file/d' "$REPO/mailout.yaml"
run_mailout --repo "$REPO" accounts check
expect_rc "accounts check without a CA" 1
grep -q "^ann-main .*FAILED .*SSL certificate problem: unable to get local issuer certificate" \
	"$TMPDIR/stdout" || fail "a certificate nobody vouches for is named" "$TMPDIR/stdout"
# the standard variables name the CA as well
SSL_CERT_FILE=$MS_CA run_mailout --repo "$REPO" accounts check
expect_rc "accounts check with SSL_CERT_FILE" 0
CURL_CA_BUNDLE=$MS_CA run_mailout --repo "$REPO" accounts check
expect_rc "accounts check with CURL_CA_BUNDLE" 0
# tls: none would send the password in plain text to a server that
# requires STARTTLS: refused
sed 's/tls: starttls/tls: none/' "$TMPDIR/with-ca.yaml" >"$REPO/mailout.yaml"
run_mailout --repo "$REPO" accounts check
expect_rc "accounts check with tls: none" 1
grep -q "^ann-main  *FAILED  " "$TMPDIR/stdout" || fail "tls: none fails the account" "$TMPDIR/stdout"
grep -q "submission/smtpd.*disconnect from localhost.* ehlo=1 quit=1 commands=2" "$MS_DIR/maillog" ||
	fail "tls: none said nothing but EHLO and QUIT" "$MS_DIR/maillog"
cp "$TMPDIR/with-ca.yaml" "$REPO/mailout.yaml"
# the unsubscribe mailbox over STARTTLS, with its own ca_file
MAILOUT_NOW=2026-12-07T08:00 run_mailout --repo "$REPO" unsubscribes sync
expect_rc "unsubscribes sync over STARTTLS" 0
expect_contains "unsubscribes sync read the mailbox" "unsubscribes: imap://127.0.0.1:$MS_IMAP_PORT/INBOX: 0 new messages"
grep -q "imap-login: Info: Login: user=<unsubscribe@example.test>, method=PLAIN, .*, TLS," \
	"$MS_DIR/dovecot/dovecot.log" || fail "the unsubscribe mailbox was read over TLS" "$MS_DIR/dovecot/dovecot.log"
sed -i '/^  ca_file:/d' "$REPO/mailout.yaml"
MAILOUT_NOW=2026-12-07T08:00 run_mailout --repo "$REPO" unsubscribes sync
expect_rc "unsubscribes sync without the CA" 1
grep -q "^mailout: cannot read the unsubscribe mailbox: .*certificate" "$TMPDIR/stderr" ||
	fail "the certificate is not trusted without the CA" "$TMPDIR/stderr"
cp "$TMPDIR/with-ca.yaml" "$REPO/mailout.yaml"

# send_at MINUTE: one run of send on the virtual clock, Monday at MINUTE
# minutes after midnight in Berlin
send_at() {
	MAILOUT_NOW=2026-12-07T$(printf '%02d:%02d' $(($1 / 60)) $(($1 % 60))) \
		run_mailout --repo "$REPO" send
	cat "$TMPDIR/stdout" "$TMPDIR/stderr" >>"$TMPDIR/send.log"
}
count() {
	plan_query "SELECT count(*) FROM deliveries WHERE state IN ($1)" 2>/dev/null
}
# runs_until MINUTE WHAT STATES COUNT: a run every two minutes from MINUTE
# until COUNT deliveries are in STATES (at most until 17:28); sets m
runs_until() {
	m=$1
	while [ "$(count "$3")" != "$4" ]; do
		if [ "$m" -ge 1050 ]; then
			fail "$2: $(count "$3") deliveries in $3, not $4" "$TMPDIR/send.log"
			return 1
		fi
		send_at "$m"
		m=$((m + 2))
	done
}

# five messages; then Postfix is stopped in the middle of a transaction
# (its submission port waits 2 s before it answers RCPT), stays down for
# one more run, and is started again
runs_until 520 "before the restart" "'sent'" 5
mailserver_slow_rcpt "sleep 2"
connects() {
	grep -c "submission/smtpd.*: connect from localhost" "$MS_DIR/maillog"
}
before=$(connects)
MAILOUT_NOW=2026-12-07T$(printf '%02d:%02d' $((m / 60)) $((m % 60))) \
	timeout "$E2E_TIMEOUT" "$MAILOUT" --repo "$REPO" send >"$TMPDIR/send.log" 2>&1 &
pid=$!
n=0
while [ "$(connects)" = "$before" ] && [ $n -lt 100 ]; do
	n=$((n + 1))
	sleep 0.1
done
sleep 0.5
postfix_stop
wait $pid
grep -q "^2026-12-07T..:..:00Z  deferred    winter " "$TMPDIR/send.log" ||
	fail "a transaction cut off before DATA is deferred" "$TMPDIR/send.log"
# the account pauses 5 minutes after a network error
: >"$TMPDIR/send.log"
send_at $((m + 2))
[ "$(grep -c '^send: 0 sent, 0 failed, 0 retrying, 0 deferred, 0 critical' "$TMPDIR/send.log")" = 1 ] ||
	fail "the account pauses after a network error" "$TMPDIR/send.log"
m=$((m + 6))
send_at $m
grep -q "^2026-12-07T..:..:00Z  deferred    winter .* via ann-main .*Failed to connect to 127.0.0.1 port $MS_SUBMISSION_PORT" \
	"$TMPDIR/send.log" || fail "a stopped Postfix defers the delivery" "$TMPDIR/send.log"
[ "$(count "'sent'")" = 5 ] || fail "nothing sent while Postfix is stopped" "$TMPDIR/send.log"
postfix_start || finish
mailserver_slow_rcpt ""
runs_until $((m + 4)) "after the restart" "'sent'" 13
postfix_wait_queue 20

# every delivery sent exactly once, and every message arrived
[ "$(count "'pending', 'claimed', 'retrying', 'unconfirmed', 'failed'")" = 0 ] ||
	fail "nothing is left but sent" "$TMPDIR/send.log"
log=$REPO/campaigns/winter/log/ann-main.tsv
i=1
while [ $i -le $N ]; do
	[ "$(mailbox_count "r$i@example.test")" = 1 ] ||
		fail "r$i@example.test has $(mailbox_count "r$i@example.test") messages, not 1"
	[ "$(awk -F '\t' -v r="r-$i" '$2 == "sent" && $3 == r' "$log" | wc -l)" = 1 ] ||
		fail "r-$i is logged sent once" "$log"
	i=$((i + 1))
done

# what arrived: the headers, the EHLO name (the From domain) in Postfix's
# Received header, over TLS with AUTH (ESMTPSA)
msg=$(mailbox_files r1@example.test)
/usr/bin/python3 - "$msg" "$(plan_query "SELECT message_id FROM deliveries WHERE recipient = 'r-1'")" \
	>"$TMPDIR/headers" 2>&1 <<'P' || fail "the headers of r1's message" "$TMPDIR/headers"
import email, sys
m = email.message_from_binary_file(open(sys.argv[1], "rb"))
assert m["From"] == "Ann Example <ann@example.test>", m["From"]
assert m["To"] in ("R1 <r1@example.test>", "r1@example.test"), m["To"]
assert m["Subject"] == "Winter news for R1", m["Subject"]
assert m["List-Unsubscribe"] and "mailto:unsubscribe@example.test" in m["List-Unsubscribe"], m["List-Unsubscribe"]
assert m["Message-ID"] and m["Message-ID"].strip("<>") == sys.argv[2].strip("<>"), (m["Message-ID"], sys.argv[2])
received = m.get_all("Received")[0]
assert received.startswith("from example.test (localhost [127.0.0.1])"), received
assert "by mail.example.test (Postfix) with ESMTPSA" in received, received
P

# Postfix's own delivery report for the address without a mailbox (5.1.1)
# reaches ann's INBOX, and bounces sync reads it over STARTTLS
mailbox_wait "$ANN" 1
dsn=$(mailbox_files "$ANN")
grep -q "^Status: 5\.1\.1$" "$dsn" || fail "Postfix reported 5.1.1" "$dsn"
grep -q "^Final-Recipient: rfc822; ghost@example.test$" "$dsn" || fail "the report names ghost" "$dsn"
MAILOUT_NOW=2026-12-07T12:00:00Z run_mailout --repo "$REPO" bounces sync
expect_rc "bounces sync" 0
expect_contains "bounces sync read the report" "ann-main: imap://127.0.0.1:$MS_IMAP_PORT/INBOX: 1 new message, 1 that may be delivery reports"
expect_contains "bounces sync matched it" "  uid 1: hard bounce 5.1.1 for recipient ghost of winter: the delivery failed, the address is suppressed"
MAILOUT_NOW=2026-12-07T12:30:00Z run_mailout --repo "$REPO" status
expect_rc "status" 0
[ "$(plan_query "SELECT state FROM deliveries WHERE recipient = 'ghost'")" = failed ] ||
	fail "ghost's delivery failed"
[ "$(count "'sent'")" = 12 ] || fail "the others stay sent"
printf 'address\treason\ttime\tsource\nghost@example.test\tbounced\t2026-12-07T12:00:00Z\twinter\n' \
	>"$TMPDIR/suppressions.expected"
expect_file "ghost is suppressed" "$TMPDIR/suppressions.expected" "$REPO/recipients/suppressions.tsv"

# the scenarios the harness offers do what postfix.sh says
submit() {
	/usr/bin/python3 - "$MS_SUBMISSION_PORT" "$MS_CA" "$1" >"$TMPDIR/submit" 2>&1 <<'P'
import smtplib, ssl, sys
s = smtplib.SMTP("127.0.0.1", int(sys.argv[1]), local_hostname="example.test", timeout=10)
s.starttls(context=ssl.create_default_context(cafile=sys.argv[2]))
s.login("ann@example.test", "ann-pass")
try:
    s.sendmail("ann@example.test", [sys.argv[3]], b"Subject: test\r\n\r\n" + b"0123456789" * 100 + b"\r\n")
    print("accepted")
except smtplib.SMTPRecipientsRefused as e:
    code, text = e.recipients[sys.argv[3]]
    print(code, text.decode())
s.quit()
P
}
mailserver_reject_recipient r3@example.test
submit r3@example.test
expect_output "RCPT refused" "554 5.7.1 <r3@example.test>: Recipient address rejected: Access denied" \
	"$TMPDIR/submit"
mailserver_mailbox_full r4@example.test
submit r4@example.test
expect_output "a full mailbox takes the message" "accepted" "$TMPDIR/submit"
mailbox_wait "$ANN" 2
# shellcheck disable=SC2046
full=$(grep -l "^Final-Recipient: rfc822; r4@example.test" $(mailbox_files "$ANN"))
{ grep -q "^Status: 5\.2\.2$" "$full" && grep -q "^Action: failed$" "$full"; } ||
	fail "a full mailbox is reported 5.2.2, Action: failed" "$full"
[ "$(mailbox_count r4@example.test)" = 1 ] || fail "nothing was added to the full mailbox"
finish
