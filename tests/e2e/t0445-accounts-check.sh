#!/bin/sh
# mailout accounts check against real servers (aiosmtpd, Dovecot): each
# enabled account logs in to SMTP and, when it has one, to its imap
# mailbox, and so does unsubscribe.mailbox; disabled accounts are listed
# and are not failures; a failure names the protocol, the step (connect,
# TLS, EHLO, STARTTLS, AUTH, SELECT) and the server's reply line.
. "$SRC/tests/e2e/lib.sh"
. "$SRC/tests/e2e/smtp.sh"
. "$SRC/tests/e2e/imap.sh"
command -v dovecot >/dev/null 2>&1 || [ -x /usr/sbin/dovecot ] || skip "dovecot is not installed (tests/deps.sh installs it)"

REPO=$TMPDIR/repo
trap 'stop_imapd; stop_smtpd; [ -n "${AUTH_PID:-}" ] && kill "$AUTH_PID" 2>/dev/null' EXIT
start_imapd "alice@example.com:alice-pass" "unsub@example.com:unsub-pass" || finish
start_smtpd "$TMPDIR/auth" --auth alice@example.com:alice-pass || finish
AUTH_PID=$SMTPD_PID AUTH_PORT=$SMTPD_PORT
start_smtpd "$TMPDIR/open" || finish
OPEN_PORT=$SMTPD_PORT
CLOSED_PORT=$(free_port)
IMAP=imap://127.0.0.1:$IMAPD_PORT

# config ACCOUNT-LINE...: mailout.yaml with these accounts of alice's
config() {
	mkdir -p "$REPO"
	cat >"$REPO/mailout.yaml" <<Y
organization:
  name: Example GmbH
  postal_address: "Beispielstrasse 1, 10115 Berlin, Germany"
  site_url: https://status.example.com
  timezone: Europe/Berlin
schedule:
  working_hours: "08:30-17:30"
unsubscribe:
  address: unsubscribe@example.com
  mailbox: $UNSUBSCRIBE_MAILBOX
  username: unsub@example.com
  password_env: MAILOUT_UNSUBSCRIBE_PASSWORD
departments:
  - { id: emea, name: Sales EMEA }
people:
  - { id: alice, name: Alice Adams, email: alice@example.com, department: emea, role: sales_manager }
accounts:
Y
	for line in "$@"; do
		printf '  - { owner: alice, from: "Alice Adams <alice@example.com>", daily_limit: 40, %s }\n' \
			"$line" >>"$REPO/mailout.yaml"
	done
}
# timings in replies vary: "after 0 ms", Dovecot's "(0.001 + 0.000 secs)"
check() {
	run_mailout --repo "$REPO" accounts check
	sed -i -e 's/ after [0-9]* ms:/ after N ms:/' -e 's/ ([0-9. +]* secs)\././' "$TMPDIR/stdout"
}
LOGIN='username: alice@example.com, password_env: MAILOUT_PASSWORD_ALICE'
export MAILOUT_PASSWORD_ALICE=alice-pass MAILOUT_UNSUBSCRIBE_PASSWORD=unsub-pass

# everything works; a disabled account is listed and is no failure
UNSUBSCRIBE_MAILBOX=$IMAP/INBOX
config "id: alice-main, main: true, smtp: \"smtp://127.0.0.1:$AUTH_PORT\", $LOGIN, imap: \"$IMAP/INBOX\"" \
	"id: alice-news, smtp: \"smtp://127.0.0.1:$OPEN_PORT\"" \
	"id: alice-old, smtp: \"smtp://127.0.0.1:$CLOSED_PORT\", $LOGIN, enabled: false"
check
expect_rc "all working" 0
expect_output "all working" "alice-main           ok      smtp://127.0.0.1:$AUTH_PORT
alice-main           ok      $IMAP/INBOX
alice-news           ok      smtp://127.0.0.1:$OPEN_PORT
alice-old            disabled
unsubscribe mailbox  ok      $IMAP/INBOX
accounts: 2 of 2 working, 1 disabled"
expect_stderr "all working" ""

# wrong passwords: SMTP and IMAP AUTH say what the servers answered
MAILOUT_PASSWORD_ALICE=wrong MAILOUT_UNSUBSCRIBE_PASSWORD=wrong check
expect_rc "wrong passwords" 1
expect_output "wrong passwords" "alice-main           FAILED  SMTP AUTH: 535 5.7.8 Authentication credentials invalid
alice-main           FAILED  IMAP AUTH: NO [AUTHENTICATIONFAILED] Authentication failed.
alice-news           ok      smtp://127.0.0.1:$OPEN_PORT
alice-old            disabled
unsubscribe mailbox  FAILED  IMAP AUTH: NO [AUTHENTICATIONFAILED] Authentication failed.
accounts: 1 of 2 working, 1 disabled"

# a missing mailbox; a server that offers no AUTH (one line, not its EHLO
# list); closed ports; TLS to servers that speak none
UNSUBSCRIBE_MAILBOX=$IMAP/Unsubscribes
config "id: alice-main, main: true, smtp: \"smtp://127.0.0.1:$AUTH_PORT\", $LOGIN, imap: \"$IMAP/Archive\"" \
	"id: alice-news, smtp: \"smtp://127.0.0.1:$OPEN_PORT\", $LOGIN" \
	"id: alice-gone, smtp: \"smtp://127.0.0.1:$CLOSED_PORT\", $LOGIN, imap: \"imap://127.0.0.1:$CLOSED_PORT/INBOX\"" \
	"id: alice-tls, smtp: \"smtps://127.0.0.1:$OPEN_PORT\", $LOGIN, imap: \"imaps://127.0.0.1:$IMAPD_PORT/INBOX\""
check
expect_rc "failing steps" 1
grep -v ' TLS: ' "$TMPDIR/stdout" >"$TMPDIR/plain"
expect_output "failing steps" "alice-main           ok      smtp://127.0.0.1:$AUTH_PORT
alice-main           FAILED  IMAP SELECT: NO Mailbox doesn't exist: Archive.
alice-news           FAILED  SMTP AUTH: the server offered no authentication after EHLO (250 HELP)
alice-gone           FAILED  SMTP connect: Failed to connect to 127.0.0.1 port $CLOSED_PORT after N ms: Couldn't connect to server
alice-gone           FAILED  IMAP connect: Failed to connect to 127.0.0.1 port $CLOSED_PORT after N ms: Couldn't connect to server
unsubscribe mailbox  FAILED  IMAP SELECT: NO Mailbox doesn't exist: Unsubscribes.
accounts: 0 of 4 working" "$TMPDIR/plain"
grep ' TLS: ' "$TMPDIR/stdout" | cut -c1-38 >"$TMPDIR/tls"
expect_output "TLS failures" "alice-tls            FAILED  SMTP TLS:
alice-tls            FAILED  IMAP TLS:" "$TMPDIR/tls"
[ "$(wc -l <"$TMPDIR/stdout")" -eq 9 ] || fail "one line per mailbox" "$TMPDIR/stdout"

# a secret missing from the environment: one line, no login tried
env -u MAILOUT_PASSWORD_ALICE -u MAILOUT_UNSUBSCRIBE_PASSWORD "$MAILOUT" --repo "$REPO" accounts check \
	>"$TMPDIR/stdout" 2>"$TMPDIR/stderr"
rc=$?
expect_rc "secrets missing" 1
head -n 1 "$TMPDIR/stdout" >"$TMPDIR/first"
expect_output "secret missing" \
	"alice-main           FAILED  account 'alice-main': MAILOUT_PASSWORD_ALICE is not set" "$TMPDIR/first"
expect_contains "unsubscribe secret missing" \
	"unsubscribe mailbox  FAILED  MAILOUT_UNSUBSCRIBE_PASSWORD is not set"
finish
