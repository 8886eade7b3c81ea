# A private mail system for e2e scripts (after lib.sh and smtp.sh): a real
# Postfix 3.7 and Dovecot 2.3 on free loopback ports, everything under
# $TMPDIR/mailserver, no system service touched.
#
#   mailserver_start USER[:PASSWORD]...   once per script; trap mailserver_stop EXIT
#
# USER is a full address in the test domain example.test.  Each gets a
# Maildir that Postfix's virtual(8) agent delivers to and Dovecot serves;
# users with a PASSWORD can log in to IMAP and to the submission port.
# Sets:
#   MS_DIR              the server's directory
#   MS_CA               the test CA's certificate (PEM): nothing trusts it
#                       unless told to (ca_file, SSL_CERT_FILE, CURL_CA_BUNDLE)
#   MS_SUBMISSION_PORT  Postfix submission on 127.0.0.1: STARTTLS required
#                       before AUTH (smtpd_tls_security_level=encrypt), SASL
#                       through Dovecot, EHLO must be a fully qualified name
#                       (reject_non_fqdn_helo_hostname)
#   MS_SMTP_PORT        Postfix's inbound port on 127.0.0.1: plain, no AUTH,
#                       mail for example.test only (mail "from the outside")
#   MS_IMAP_PORT        Dovecot IMAP on 127.0.0.1, STARTTLS required before
#                       LOGIN (ssl = required)
#   MS_AUTH_PORT        Dovecot's SASL listener that Postfix uses
# The certificate names localhost and 127.0.0.1.
#
# What happens to mail:
#   a user of example.test       delivered to its Maildir
#   any other address of         accepted at RCPT (smtpd_reject_unlisted_recipient
#     example.test                 = no), then bounced by Postfix: a DSN 5.1.1
#                                  "unknown user" to the sender's Maildir
#   any other domain             relayed to a closed port on 127.0.0.1: deferred
#                                  (4.4.1), stays in the queue, as mail to a
#                                  server that does not answer
# Scenarios, one call each (each reloads Postfix):
#   mailserver_mailbox_full USER        USER's mailbox is full: mail for it is
#                                       accepted, then bounced with a DSN
#                                       5.2.2 (Action: failed) to the sender
#   mailserver_reject_recipient ADDRESS RCPT TO ADDRESS is answered
#                                       "554 5.7.1 <ADDRESS>: Recipient address
#                                       rejected: Access denied"
#   mailserver_heal                     undoes both: every mailbox takes mail,
#                                       every RCPT is accepted
# Helpers:
#   mailbox_count USER          messages in USER's Maildir (new and cur)
#   mailbox_files USER          their paths, one a line
#   mailbox_wait USER N [SECS]  waits until USER has N messages (default 10 s)
#   postfix_wait_queue [SECS]   waits until Postfix's queue is empty
#   postfix_queue               the queue listing (postqueue -p)
#   postfix_flush               retries deferred mail now (postqueue -f)
#   postfix_stop, postfix_start stop and start Postfix alone (a restart test)
#   mailserver_slow_rcpt [""]   the submission port waits 1 s before it
#                               answers each RCPT ("" makes it fast again),
#                               so that a test can act in the middle of a run
#   MS_DIR/maillog              Postfix's log; MS_DIR/dovecot/dovecot.log
#   mailserver_repo DIR [UNSUBSCRIBE_YAML]
#                               a content repository in DIR whose one account,
#                               ann-main (ann@example.test, password in
#                               MAILOUT_PASSWORD_ANN), sends through the
#                               submission port over STARTTLS with the test CA
#                               as its ca_file (certs/test-ca.pem) and reads
#                               its INBOX; UNSUBSCRIBE_YAML: more lines of the
#                               unsubscribe block, indented by two spaces

MS_DOMAIN=example.test

# ms_openssl ARG...: openssl, quiet unless it fails.
ms_openssl() {
	openssl "$@" >>"$MS_DIR/openssl.log" 2>&1 || {
		fail "openssl $1 failed" "$MS_DIR/openssl.log"
		return 1
	}
}

# ms_make_certificates: a test CA and a certificate for localhost and
# 127.0.0.1 that it signed, in MS_DIR/tls.
ms_make_certificates() {
	t=$MS_DIR/tls
	mkdir -p "$t" || return 1
	ms_openssl req -x509 -new -nodes -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
		-keyout "$t/ca-key.pem" -out "$t/ca.pem" -days 2 -subj "/CN=mailout test CA" \
		-addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign ||
		return 1
	ms_openssl req -new -nodes -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
		-keyout "$t/key.pem" -out "$t/server.csr" -subj "/CN=localhost" || return 1
	printf 'subjectAltName = DNS:localhost, IP:127.0.0.1\nextendedKeyUsage = serverAuth\nbasicConstraints = CA:FALSE\n' \
		>"$t/ext.cnf"
	ms_openssl x509 -req -in "$t/server.csr" -CA "$t/ca.pem" -CAkey "$t/ca-key.pem" \
		-CAcreateserial -days 2 -extfile "$t/ext.cnf" -out "$t/cert.pem" || return 1
	chmod 644 "$t/key.pem" # read by Dovecot as nobody; a throw-away key
	MS_CA=$t/ca.pem
}

# ms_postfix_config: main.cf, master.cf and the tables in MS_DIR/postfix.
ms_postfix_config() {
	c=$MS_DIR/postfix
	cat >"$c/main.cf" <<CONF
# generated by tests/e2e/postfix.sh
compatibility_level = 3.6
config_directory = $c
queue_directory = $MS_DIR/queue
data_directory = $MS_DIR/data
maillog_file = $MS_DIR/maillog
maillog_file_prefixes = $MS_DIR
syslog_name = mailout-test
mail_owner = postfix
setgid_group = postdrop
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
myhostname = mail.$MS_DOMAIN
mydomain = $MS_DOMAIN
myorigin = \$myhostname
mydestination =
mynetworks = 127.0.0.0/8
alias_maps =
alias_database =
local_recipient_maps =
biff = no
smtputf8_enable = no
append_dot_mydomain = no
virtual_mailbox_domains = $MS_DOMAIN
virtual_mailbox_base = $MS_DIR/mail
virtual_mailbox_maps = texthash:$c/mailboxes
virtual_uid_maps = static:$MS_UID
virtual_gid_maps = static:$MS_GID
virtual_minimum_uid = 1
transport_maps = texthash:$c/transport
relayhost = [127.0.0.1]:$MS_CLOSED_PORT
smtp_connect_timeout = 2s
smtpd_reject_unlisted_recipient = no
smtpd_helo_required = yes
smtpd_helo_restrictions = reject_invalid_helo_hostname, reject_non_fqdn_helo_hostname
smtpd_relay_restrictions = reject_unauth_destination
smtpd_recipient_restrictions = check_recipient_access texthash:$c/recipient_access
smtpd_tls_chain_files = $MS_DIR/tls/key.pem, $MS_DIR/tls/cert.pem
smtpd_tls_security_level = may
smtpd_sasl_type = dovecot
smtpd_sasl_path = inet:127.0.0.1:$MS_AUTH_PORT
queue_run_delay = 1s
minimal_backoff_time = 1s
maximal_backoff_time = 2s
delay_warning_time = 0
# mailserver_slow_rcpt sets it to "sleep 1"
ms_rcpt_delay =
CONF
	cat >"$c/master.cf" <<CONF
# generated by tests/e2e/postfix.sh: no chroot, loopback ports only
127.0.0.1:$MS_SMTP_PORT inet n - n - - smtpd
127.0.0.1:$MS_SUBMISSION_PORT inet n - n - - smtpd
  -o syslog_name=mailout-test/submission
  -o smtpd_tls_security_level=encrypt
  -o smtpd_tls_auth_only=yes
  -o smtpd_sasl_auth_enable=yes
  -o smtpd_relay_restrictions=permit_sasl_authenticated,reject
  -o smtpd_recipient_restrictions=check_recipient_access,texthash:$c/recipient_access,\$ms_rcpt_delay,permit_sasl_authenticated,reject
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
tlsmgr    unix  -       -       n       1000?   1       tlsmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
proxywrite unix -       -       n       -       1       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
local     unix  -       n       n       -       -       local
virtual   unix  -       n       n       -       -       virtual
full      unix  -       n       n       -       -       virtual
  -o virtual_mailbox_maps=texthash:$c/full_mailboxes
  -o virtual_mailbox_limit=20480
  -o message_size_limit=20480
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
CONF
	: >"$c/transport"
	: >"$c/recipient_access"
	: >"$c/mailboxes"
	: >"$c/full_mailboxes"
	for u in $MS_USERS; do
		printf '%s %s/Maildir/\n' "$u" "$u" >>"$c/mailboxes"
	done
}

# ms_dovecot_config: Dovecot's configuration in MS_DIR/dovecot.
ms_dovecot_config() {
	d=$MS_DIR/dovecot
	cat >"$d/dovecot.conf" <<CONF
# generated by tests/e2e/postfix.sh
base_dir = $d/run
state_dir = $d/state
instance_name = mailout-test-$MS_IMAP_PORT
log_path = $d/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = required
ssl_cert = <$MS_DIR/tls/cert.pem
ssl_key = <$MS_DIR/tls/key.pem
ssl_min_protocol = TLSv1.2
auth_mechanisms = plain login
auth_failure_delay = 0
default_internal_user = $MS_USER
default_internal_group = $MS_GROUP
default_login_user = $MS_USER
first_valid_uid = 0
mail_location = maildir:~/Maildir
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u $d/passwd
}
userdb {
  driver = passwd-file
  args = username_format=%u $d/passwd
}
service imap-login {
  chroot =
  inet_listener imap {
    address = 127.0.0.1
    port = $MS_IMAP_PORT
  }
  inet_listener imaps {
    port = 0
  }
}
service auth {
  inet_listener {
    address = 127.0.0.1
    port = $MS_AUTH_PORT
  }
}
service anvil {
  chroot =
}
service stats {
  unix_listener stats-reader {
    user = $MS_USER
    mode = 0600
  }
  unix_listener stats-writer {
    user = $MS_USER
    mode = 0600
  }
}
CONF
}

# ms_free_ports N: N different free ports on 127.0.0.1 (one python start:
# each costs a good part of a second on a busy machine).
ms_free_ports() {
	/usr/bin/python3 -c '
import socket, sys
socks = [socket.socket() for _ in range(int(sys.argv[1]))]
for s in socks:
    s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in socks))' "$1"
}

# ms_port_open PORT: something listens on 127.0.0.1:PORT.
ms_port_open() {
	/usr/bin/python3 -c 'import socket, sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1).close()' \
		"$1" 2>/dev/null
}

# ms_wait_port PORT WHAT LOG: waits up to 10 s for PORT.
ms_wait_port() {
	/usr/bin/python3 -c '
import socket, sys, time
end = time.time() + 10
while True:
    try:
        socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1).close()
        break
    except OSError:
        if time.time() > end:
            sys.exit(1)
        time.sleep(0.05)' "$1" || {
		fail "$2 did not start" "$3"
		return 1
	}
}

mailserver_start() {
	command -v openssl >/dev/null 2>&1 || skip "openssl is not installed (tests/deps.sh installs it)"
	[ -x /usr/sbin/postfix ] || skip "postfix is not installed (tests/deps.sh installs it)"
	[ -x /usr/sbin/dovecot ] || skip "dovecot is not installed (tests/deps.sh installs it)"
	[ "$(id -u)" = 0 ] || skip "a private Postfix needs root (its daemons change user)"
	MS_DIR=$TMPDIR/mailserver
	# the daemons (postfix, nobody) must reach their files below TMPDIR
	chmod 711 "$TMPDIR"
	mkdir -p "$MS_DIR/postfix" "$MS_DIR/queue" "$MS_DIR/data" "$MS_DIR/mail" \
		"$MS_DIR/dovecot/run" "$MS_DIR/dovecot/state" || return 1
	chmod 755 "$MS_DIR"
	chown postfix "$MS_DIR/data"
	MS_USER=nobody MS_GROUP=nogroup
	MS_UID=$(id -u nobody) MS_GID=$(getent group nogroup | cut -d: -f3)
	# shellcheck disable=SC2046
	set -- $(ms_free_ports 5) "$@"
	MS_SUBMISSION_PORT=$1 MS_SMTP_PORT=$2 MS_IMAP_PORT=$3 MS_AUTH_PORT=$4 MS_CLOSED_PORT=$5
	shift 5
	MS_USERS=
	: >"$MS_DIR/dovecot/passwd"
	for pair in "$@"; do
		u=${pair%%:*}
		p=${pair#*:}
		[ "$p" = "$pair" ] && p=$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')
		MS_USERS="$MS_USERS $u"
		for sub in new cur tmp; do
			mkdir -p "$MS_DIR/mail/$u/Maildir/$sub"
		done
		echo "$u:{PLAIN}$p:$MS_UID:$MS_GID::$MS_DIR/mail/$u" >>"$MS_DIR/dovecot/passwd"
	done
	ms_make_certificates || return 1
	ms_postfix_config
	ms_queue_dirs || return 1
	ms_dovecot_config
	chown -R nobody:nogroup "$MS_DIR/mail" "$MS_DIR/dovecot"
	setpriv --reuid=nobody --regid=nogroup --clear-groups -- \
		/usr/sbin/dovecot -F -c "$MS_DIR/dovecot/dovecot.conf" >"$MS_DIR/dovecot.out" 2>&1 &
	MS_DOVECOT_PID=$!
	postfix_start || return 1
	ms_wait_port "$MS_IMAP_PORT" "Dovecot" "$MS_DIR/dovecot/dovecot.log" || return 1
	ms_wait_port "$MS_AUTH_PORT" "Dovecot's auth listener" "$MS_DIR/dovecot/dovecot.log"
}

# ms_queue_dirs: what `postfix check` (post-install create-missing) would
# make, without its seconds of checks.
ms_queue_dirs() {
	q=$MS_DIR/queue
	for sub in active bounce corrupt defer deferred flush hold incoming private saved trace; do
		mkdir -p "$q/$sub" && chown postfix:root "$q/$sub" && chmod 700 "$q/$sub" || return 1
	done
	mkdir -p "$q/maildrop" "$q/public" "$q/pid" || return 1
	chown postfix:postdrop "$q/maildrop" "$q/public"
	chmod 730 "$q/maildrop"
	chmod 710 "$q/public"
}

# postfix_start: starts the master directly (postfix start would spend
# seconds on checks) and waits until it is ready (-w).  As root, -c DIR
# needs no alternate_config_directories entry in the system's main.cf
# (only set-gid commands run by other users check it), and postqueue -c
# DIR works too; main.cf names every directory, so the compiled-in ones
# (/etc/postfix, /var/spool/postfix, /var/lib/postfix) are never written.
postfix_start() {
	if ! /usr/lib/postfix/sbin/master -c "$MS_DIR/postfix" -w >"$MS_DIR/postfix.out" 2>&1; then
		cat "$MS_DIR/maillog" >>"$MS_DIR/postfix.out" 2>/dev/null
		fail "Postfix did not start" "$MS_DIR/postfix.out"
		return 1
	fi
	ms_wait_port "$MS_SUBMISSION_PORT" "Postfix" "$MS_DIR/maillog"
}

postfix_stop() {
	/usr/sbin/postfix -c "$MS_DIR/postfix" stop >>"$MS_DIR/postfix.out" 2>&1
	n=0
	while ms_port_open "$MS_SUBMISSION_PORT" && [ $n -lt 100 ]; do
		n=$((n + 1))
		sleep 0.1
	done
}

# postfix_reload: re-reads main.cf and the tables; new connections see them.
postfix_reload() {
	/usr/sbin/postfix -c "$MS_DIR/postfix" reload >>"$MS_DIR/postfix.out" 2>&1
	sleep 1
}

mailserver_stop() {
	if [ -n "${MS_DIR:-}" ] && [ -f "$MS_DIR/postfix/main.cf" ]; then
		/usr/sbin/postfix -c "$MS_DIR/postfix" stop >/dev/null 2>&1
		# the master waits for its children; make sure it is gone
		pid=$(tr -d ' ' 2>/dev/null <"$MS_DIR/queue/pid/master.pid")
		n=0
		while [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && [ $n -lt 50 ]; do
			n=$((n + 1))
			sleep 0.1
		done
	fi
	if [ -n "${MS_DOVECOT_PID:-}" ]; then
		kill "$MS_DOVECOT_PID" 2>/dev/null
		wait "$MS_DOVECOT_PID" 2>/dev/null
	fi
	MS_DOVECOT_PID=
}

mailserver_slow_rcpt() {
	/usr/sbin/postconf -c "$MS_DIR/postfix" -e "ms_rcpt_delay = ${1-sleep 1}"
	postfix_reload
}

# A full mailbox: the transport "full" delivers to an mbox file (not the
# Maildir) that already holds as much as its virtual_mailbox_limit allows,
# so every message fails with EFBIG, which virtual(8) reports as 5.2.2.
mailserver_mailbox_full() {
	box=$MS_DIR/mail/$1/full.mbox
	head -c 20480 /dev/zero | tr '\0' x >"$box"
	chown nobody:nogroup "$box"
	printf '%s %s/full.mbox\n' "$1" "$1" >>"$MS_DIR/postfix/full_mailboxes"
	printf '%s full:\n' "$1" >>"$MS_DIR/postfix/transport"
	postfix_reload
}

mailserver_reject_recipient() {
	printf '%s REJECT\n' "$1" >>"$MS_DIR/postfix/recipient_access"
	postfix_reload
}

mailserver_heal() {
	: >"$MS_DIR/postfix/recipient_access"
	: >"$MS_DIR/postfix/transport"
	: >"$MS_DIR/postfix/full_mailboxes"
	postfix_reload
}

mailserver_repo() {
	mkdir -p "$1/certs" "$1/recipients/contacts" "$1/templates/signatures" "$1/campaigns" || return 1
	cp "$MS_CA" "$1/certs/test-ca.pem" || return 1
	cat >"$1/mailout.yaml" <<EOF
organization:
  name: Test GmbH
  postal_address: "Teststrasse 1, 10115 Berlin"
  site_url: https://status.example.com
  timezone: Europe/Berlin
schedule:
  working_hours: "08:30-17:30"
  suspended_days: [sat, sun]
unsubscribe:
  address: unsubscribe@$MS_DOMAIN
${2:-}departments:
  - { id: sales, name: Sales }
people:
  - { id: ann, name: Ann Example, email: ann@$MS_DOMAIN, department: sales, role: sales_manager }
accounts:
  - id: ann-main
    owner: ann
    from: "Ann Example <ann@$MS_DOMAIN>"
    smtp: "smtp://127.0.0.1:$MS_SUBMISSION_PORT"
    tls: starttls
    ca_file: certs/test-ca.pem
    username: ann@$MS_DOMAIN
    password_env: MAILOUT_PASSWORD_ANN
    imap: "imap://127.0.0.1:$MS_IMAP_PORT/INBOX"
    daily_limit: 500
EOF
	printf 'Ann Example  \nSales\n' >"$1/templates/signatures/ann.md"
}

mailbox_files() {
	ls "$MS_DIR/mail/$1/Maildir/new/"* "$MS_DIR/mail/$1/Maildir/cur/"* 2>/dev/null
}

mailbox_count() {
	mailbox_files "$1" | wc -l
}

mailbox_wait() {
	n=0
	limit=$((${3:-10} * 10))
	while [ "$(mailbox_count "$1")" -lt "$2" ]; do
		n=$((n + 1))
		if [ $n -gt $limit ]; then
			fail "$1 has $(mailbox_count "$1") messages, not $2" "$MS_DIR/maillog"
			return 1
		fi
		sleep 0.1
	done
}

postfix_queue() {
	/usr/sbin/postqueue -c "$MS_DIR/postfix" -p
}

postfix_flush() {
	/usr/sbin/postqueue -c "$MS_DIR/postfix" -f
}

postfix_wait_queue() {
	n=0
	limit=$((${1:-10} * 10))
	until postfix_queue 2>&1 | grep -q 'Mail queue is empty'; do
		n=$((n + 1))
		if [ $n -gt $limit ]; then
			postfix_queue >"$MS_DIR/queue.txt" 2>&1
			fail "Postfix's queue is not empty" "$MS_DIR/queue.txt"
			return 1
		fi
		sleep 0.1
	done
}
