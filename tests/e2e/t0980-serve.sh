#!/bin/sh
# `mailout serve` against a real Dovecot and curl: a one-click POST as RFC
# 8058 makes it, with the token of a sent message's List-Unsubscribe,
# reaches the unsubscribe mailbox by APPEND and `unsubscribes sync`
# suppresses the address; GET, HEAD and bad tokens record nothing;
# requests answered while the mailbox is down survive kill -9 and arrive
# once each; hostile requests get their codes.
. "$SRC/tests/e2e/lib.sh"
. "$SRC/tests/e2e/smtp.sh"
. "$SRC/tests/e2e/imap.sh"
command -v dovecot >/dev/null 2>&1 || [ -x /usr/sbin/dovecot ] || skip "dovecot is not installed (tests/deps.sh installs it)"
command -v curl >/dev/null 2>&1 || skip "curl is not installed"

REPO=$TMPDIR/repo
SUPP=$REPO/recipients/suppressions.tsv
SPOOL=$TMPDIR/serve-spool
export MAILOUT_SECRET=e2e-secret-0123456789-0123456789-abcdef
export MAILOUT_UNSUBSCRIBE_PASSWORD=unsub-pass
make_repo "$REPO" || fail "scratch repository"
SERVE_PID=
SERVE_RC=
stop_serve() {
	if [ -n "$SERVE_PID" ] && kill "$SERVE_PID" 2>/dev/null; then
		wait "$SERVE_PID" 2>/dev/null
		SERVE_RC=$?
	fi
	SERVE_PID=
}
trap 'stop_serve; stop_imapd; stop_smtpd' EXIT
start_imapd "unsub:unsub-pass" || finish
start_smtpd "$TMPDIR/spool" || finish
sed -i -e "s|mailbox: imaps://imap.example.com/INBOX|mailbox: imap://127.0.0.1:$IMAPD_PORT/INBOX|" \
	-e "s|^  username: unsubscribe@example.com|  username: unsub|" \
	"$REPO/mailout.yaml"
grep -q "one_click_url: https://unsub.example.com/u" "$REPO/mailout.yaml" || fail "one_click_url is configured"

run_mailout --repo "$REPO" send --now 2026-12-07T08:30 --for 10m --sink "smtp://127.0.0.1:$SMTPD_PORT"
expect_rc "send" 0
sent_msg=$(grep -l '^X-Mailout-Recipient: c-1002' "$TMPDIR/spool"/*.eml | head -n 1)
[ -n "$sent_msg" ] || fail "c-1002 was sent" "$TMPDIR/stdout"
token=$(/usr/bin/python3 - "$sent_msg" <<'EOF'
import email, email.policy, re, sys
msg = email.message_from_bytes(open(sys.argv[1], "rb").read(), policy=email.policy.default)
m = re.search(r"<https://unsub\.example\.com/u\?t=([A-Za-z0-9._-]+)>", str(msg["List-Unsubscribe"]))
assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
print(m.group(1))
EOF
)
[ -n "$token" ] || fail "a token in List-Unsubscribe" "$sent_msg"

HTTP_PORT=$(free_port)
BASE=http://127.0.0.1:$HTTP_PORT
start_serve() {
	"$MAILOUT" serve --config "$REPO/mailout.yaml" --listen "127.0.0.1:$HTTP_PORT" --spool "$SPOOL" \
		--rate-limit "$@" >>"$TMPDIR/serve.out" 2>&1 &
	SERVE_PID=$!
	n=0
	until curl -s -o /dev/null "$BASE/healthz"; do
		n=$((n + 1))
		if [ $n -gt 100 ] || ! kill -0 "$SERVE_PID" 2>/dev/null; then
			fail "serve did not start" "$TMPDIR/serve.out"
			finish
		fi
		sleep 0.1
	done
}
# code METHOD URL [CURL-ARG...]: the status code; the body in $TMPDIR/body
code() {
	m=$1
	u=$2
	shift 2
	if [ "$m" = HEAD ]; then
		curl -s -I -o "$TMPDIR/body" -w '%{http_code}' "$@" "$u"
	else
		curl -s -X "$m" -o "$TMPDIR/body" -w '%{http_code}' "$@" "$u"
	fi
}
expect_code() {
	[ "$1" = "$2" ] || fail "$3: HTTP $1, expected $2" "$TMPDIR/body"
}
# wait_messages N: until the mailbox holds N messages (10 s at most)
wait_messages() {
	n=0
	while [ "$(message_count unsub)" -lt "$1" ] && [ $n -lt 100 ]; do
		sleep 0.1
		n=$((n + 1))
	done
	[ "$(message_count unsub)" = "$1" ] || fail "the mailbox holds $(message_count unsub) messages, expected $1"
}
start_serve 0

# link scanners: GET and HEAD show the button and record nothing
expect_code "$(code GET "$BASE/u?t=$token")" 200 "GET"
grep -q '<form method="post" action="/u"><input type="hidden" name="t" value="'"$token"'">' "$TMPDIR/body" ||
	fail "GET shows a form that POSTs the token" "$TMPDIR/body"
grep -qi '<script' "$TMPDIR/body" && fail "the page needs no JavaScript" "$TMPDIR/body"
expect_code "$(code HEAD "$BASE/u?t=$token")" 200 "HEAD"
# bad tokens: forged, cut short, another key, none, reflected markup
forged=$(printf '%s' "$token" | sed 's/.$/A/')
[ "$forged" = "$token" ] && forged=$(printf '%s' "$token" | sed 's/.$/B/')
cut=$(printf '%s' "$token" | sed 's/.$//')
other=$(MAILOUT_SECRET=another-secret-0123456789-0123456789-xyz "$MAILOUT" --repo "$REPO" preview \
	december-update-dach --recipient c-1008 --format eml | grep -o 'https://unsub.example.com/u?t=v1[A-Za-z0-9._-]*' |
	head -n 1 | sed 's/.*t=//')
[ -n "$other" ] || fail "a token of another key"
for t in "$forged" "$cut" "$other" "" "<script>alert(1)</script>"; do
	expect_code "$(code POST "$BASE/u?t=$t" --data 'List-Unsubscribe=One-Click')" 400 "POST token '$t'"
	grep -q 'mailto:unsubscribe@example.com?subject=unsubscribe' "$TMPDIR/body" ||
		fail "the 400 page offers the mailto" "$TMPDIR/body"
	grep -q '<script>' "$TMPDIR/body" && fail "nothing is reflected unescaped" "$TMPDIR/body"
	expect_code "$(code GET "$BASE/u?t=$t")" 400 "GET token '$t'"
done
sleep 0.5
[ "$(message_count unsub)" = 0 ] || fail "GET, HEAD and bad tokens recorded nothing"
[ -s "$SPOOL/journal" ] && fail "the journal is empty" "$SPOOL/journal"

# RFC 8058: POST to the URL of List-Unsubscribe, body List-Unsubscribe=One-Click
expect_code "$(curl -s -o "$TMPDIR/body" -w '%{http_code}' -X POST \
	-H 'Content-Type: application/x-www-form-urlencoded' --data 'List-Unsubscribe=One-Click' \
	"$BASE/u?t=$token")" 200 "one-click POST"
grep -q 'You will get no more newsletters from ' "$TMPDIR/body" || fail "the confirmation page" "$TMPDIR/body"
wait_messages 1
grep -l "^Subject: unsubscribe $token" "$IMAPD_DIR"/server/home/unsub/Maildir/*/* >/dev/null ||
	fail "the APPENDed message names the token"
# the same token again, this time in the form body as the site's button sends it
expect_code "$(code POST "$BASE/u" --data "t=$token&List-Unsubscribe=One-Click")" 200 "the same token again"
sleep 1
[ "$(message_count unsub)" = 1 ] || fail "the same token is recorded once"
expect_code "$(code GET "$BASE/healthz")" 200 "healthz"
grep -q '^{"mailbox":"reachable","waiting":0}$' "$TMPDIR/body" || fail "healthz" "$TMPDIR/body"

MAILOUT_NOW=2026-12-07T10:00:00Z run_mailout --repo "$REPO" unsubscribes sync
expect_rc "sync" 0
grep -q "^  uid [0-9]*: unsubscribed recipient c-1002 of december-update-dach$" "$TMPDIR/stdout" ||
	fail "sync unsubscribes c-1002" "$TMPDIR/stdout"
grep -q "^lukas.mueller@mueller-soehne.test	unsubscribed	2026-12-07T10:00:00Z	december-update-dach$" "$SUPP" ||
	fail "c-1002's address is suppressed" "$SUPP"

# hostile requests
head -c 5000 /dev/zero | tr '\0' a >"$TMPDIR/big"
expect_code "$(code POST "$BASE/u?t=$token" --data-binary @"$TMPDIR/big")" 413 "a body over 4 KiB"
expect_code "$(code POST "$BASE/u?t=$token" -H 'Transfer-Encoding: chunked' --data-binary @"$TMPDIR/big")" 413 \
	"a chunked body over 4 KiB"
expect_code "$(code GET "$BASE/u?t=$token" -H "X-Big: $(head -c 9000 /dev/zero | tr '\0' b)")" 431 \
	"headers over 8 KiB"
for m in PUT DELETE OPTIONS PATCH; do
	expect_code "$(code "$m" "$BASE/u?t=$token")" 405 "$m"
done
expect_code "$(code GET "$BASE/elsewhere")" 404 "another path"
# slowloris: a request that never ends is closed after 10 s idle, and
# others are served meanwhile
/usr/bin/python3 - "$HTTP_PORT" >"$TMPDIR/slow" 2>&1 <<'EOF' &
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(b"GET /u HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: 1")
start = time.time()
s.settimeout(30)
try:
    while s.recv(4096):
        pass
except OSError:
    pass
print("closed after %d s" % round(time.time() - start))
EOF
slow_pid=$!
sleep 1
expect_code "$(code GET "$BASE/u?t=$token")" 200 "served while a slow client waits"
wait "$slow_pid"
grep -Eq '^closed after (9|10|11|12) s$' "$TMPDIR/slow" || fail "the idle connection is closed after 10 s" "$TMPDIR/slow"

# pages in organization.language and from --theme DIR: a broken theme is
# refused at start with every problem and its place; a good one is used,
# filled with the German texts, everything escaped
stop_serve
THEME=$TMPDIR/theme
mkdir -p "$THEME"
printf '<p>{{text}}</p>\n<input value="{{{token}}}">\n' >"$THEME/confirm.html"
printf '<p>{{org}}</p>\n' >"$THEME/done.html"
printf '<a href="mailto:{{address}}">{{mailto_text}}</a>\n' >"$THEME/invalid.html"
run_mailout serve --config "$REPO/mailout.yaml" --listen "127.0.0.1:$HTTP_PORT" --spool "$SPOOL" --theme "$THEME"
expect_rc "a broken theme" 1
expect_stderr "a broken theme" "$THEME/confirm.html:2:15: error: 'token' is not escaped: write {{token}} (every value is HTML-escaped)
$THEME/done.html:1:4: error: unknown placeholder 'org' (see \`mailout serve --help\`)
$THEME/message.html: error: cannot read the page: No such file or directory
mailout: the theme '$THEME' cannot be used"
printf '<form action="{{action}}"><input name="t" value="{{token}}"><button>{{button}}</button></form>\n' \
	>"$THEME/confirm.html"
printf '<h1 lang="{{lang}}">{{title}}</h1><p>{{text}}</p>\n' >"$THEME/done.html"
printf '<p>{{status}} {{title}}</p>\n' >"$THEME/message.html"
sed 's/^  language: en /  language: de /' "$REPO/mailout.yaml" >"$TMPDIR/de.yaml"
"$MAILOUT" serve --config "$TMPDIR/de.yaml" --listen "127.0.0.1:$HTTP_PORT" --spool "$SPOOL" --rate-limit 0 \
	--theme "$THEME" >>"$TMPDIR/serve.out" 2>&1 &
SERVE_PID=$!
until curl -s -o /dev/null "$BASE/healthz"; do sleep 0.1; done
expect_code "$(code GET "$BASE/u?t=$token")" 200 "GET with a theme"
expect_output "the theme's confirm.html" \
	"<form action=\"/u\"><input name=\"t\" value=\"$token\"><button>Abmelden</button></form>" "$TMPDIR/body"
expect_code "$(code POST "$BASE/u?t=$token" --data 'List-Unsubscribe=One-Click')" 200 "POST with a theme"
expect_output "the theme's done.html" \
	'<h1 lang="de">Sie sind abgemeldet</h1><p>Sie erhalten keine Newsletter mehr von Example GmbH.</p>' "$TMPDIR/body"
expect_code "$(code POST "$BASE/u?t=x" --data 'List-Unsubscribe=One-Click')" 400 "a bad token with a theme"
expect_output "the theme's invalid.html" \
	'<a href="mailto:unsubscribe@example.com">Um sich abzumelden, senden Sie von der Adresse, die die Newsletter erhält, eine E-Mail mit dem Betreff „unsubscribe“ an</a>' \
	"$TMPDIR/body"
expect_code "$(code DELETE "$BASE/u")" 405 "DELETE with a theme"
expect_output "the theme's message.html" '<p>405 Nicht erlaubt</p>' "$TMPDIR/body"
stop_serve
start_serve 0

# the mailbox down: 100 requests answered, serve killed, restarted, mailbox up
# (its imap processes too: one holds serve's connection, logged in)
kill "$IMAPD_PID" $(pgrep -P "$IMAPD_PID") && wait "$IMAPD_PID" 2>/dev/null
tokens=$(/usr/bin/python3 - <<'EOF'
import base64, hashlib, hmac, os
key = os.environ["MAILOUT_SECRET"].encode()
b64 = lambda b: base64.urlsafe_b64encode(b).rstrip(b"=").decode()
keyid = b64(hashlib.sha256(b"mailout-keyid" + key).digest())[:6]
for i in range(101):
    body = "v1.%s.december-update-dach.x-%03d" % (keyid, i)
    print(body + "." + b64(hmac.new(key, body.encode(), hashlib.sha256).digest()))
EOF
)
extra=$(printf '%s\n' $tokens | tail -n 1)
tokens=$(printf '%s\n' $tokens | head -n 100)
ok=0
for t in $tokens; do
	[ "$(code POST "$BASE/u?t=$t" --data 'List-Unsubscribe=One-Click')" = 200 ] && ok=$((ok + 1))
done
[ "$ok" = 100 ] || fail "100 POSTs answered 200 while the mailbox is down, not $ok"
expect_code "$(code GET "$BASE/healthz")" 200 "healthz with the mailbox down"
grep -q '^{"mailbox":"unreachable","waiting":100}$' "$TMPDIR/body" || fail "healthz says 100 wait" "$TMPDIR/body"
kill -9 "$SERVE_PID"
wait "$SERVE_PID" 2>/dev/null
SERVE_PID=
[ "$(wc -l <"$SPOOL/journal")" = 100 ] || fail "the journal holds the 100" "$SPOOL/journal"
# a journal that cannot grow (a file size limit of 512 bytes, as a full
# disk): five lines of 92 bytes fit, the sixth write fails and is answered
# 503, and the journal keeps whole lines only
for i in 0 1 2 3 4 5 6; do
	printf '%s\n' $tokens | sed -n "$((i + 1))p"
done >"$TMPDIR/few"
(
	ulimit -f 1
	exec "$MAILOUT" serve --config "$REPO/mailout.yaml" --listen "127.0.0.1:$HTTP_PORT" \
		--spool "$TMPDIR/small-spool" --rate-limit 0 >>"$TMPDIR/serve.out" 2>&1
) &
SERVE_PID=$!
until curl -s -o /dev/null "$BASE/healthz"; do sleep 0.1; done
codes=
for t in $(cat "$TMPDIR/few"); do
	codes="$codes $(code POST "$BASE/u?t=$t" --data 'List-Unsubscribe=One-Click')"
done
[ "$codes" = " 200 200 200 200 200 503 503" ] || fail "a full journal answers 503:$codes" "$TMPDIR/body"
grep -q 'Your request could not be recorded; nothing has happened yet.' "$TMPDIR/body" ||
	fail "the 503 page says nothing happened" "$TMPDIR/body"
head -n 5 "$TMPDIR/few" >"$TMPDIR/few.want"
cut -f 1 "$TMPDIR/small-spool/journal" >"$TMPDIR/few.got"
expect_file "the journal holds the five whole lines" "$TMPDIR/few.want" "$TMPDIR/few.got"
[ "$(tail -c 1 "$TMPDIR/small-spool/journal" | od -An -c | tr -d ' ')" = '\n' ] ||
	fail "the journal ends with a whole line" "$TMPDIR/small-spool/journal"
kill -9 "$SERVE_PID"
wait "$SERVE_PID" 2>/dev/null
SERVE_PID=
# the journal is full at 100: the next token waits for room (503), a
# token recorded before is still answered
start_serve 0 --journal-max 100
expect_code "$(code POST "$BASE/u?t=$extra" --data 'List-Unsubscribe=One-Click')" 503 "a full journal"
expect_code "$(code POST "$BASE/u?t=$(printf '%s\n' $tokens | head -n 1)" --data 'List-Unsubscribe=One-Click')" 200 \
	"a token already in the full journal"
grep -q "^$extra	" "$SPOOL/journal" && fail "the 503 recorded nothing" "$SPOOL/journal"
sh "$SRC/tests/tools/start_dovecot.sh" "$IMAPD_DIR/server" "$IMAPD_PORT" "unsub:unsub-pass" >>"$IMAPD_DIR/out" 2>&1 &
IMAPD_PID=$!
n=0
while [ "$(message_count unsub)" -lt 101 ] && [ $n -lt 300 ]; do
	sleep 0.1
	n=$((n + 1))
done
[ "$(message_count unsub)" = 101 ] || fail "all 100 reached the mailbox: $(message_count unsub) messages"
cat "$IMAPD_DIR"/server/home/unsub/Maildir/*/* | grep '^Subject: unsubscribe ' | sort | uniq -d >"$TMPDIR/twice"
[ -s "$TMPDIR/twice" ] && fail "none arrived twice" "$TMPDIR/twice"
for t in $tokens; do
	grep -l "^Subject: unsubscribe $t" "$IMAPD_DIR"/server/home/unsub/Maildir/*/* >/dev/null || fail "$t arrived"
done
[ -s "$SPOOL/journal" ] && fail "the journal is empty once delivered" "$SPOOL/journal"
stop_serve

# kill -9 under load: 8 clients POST 150 tokens each as fast as they can,
# serve is killed mid-way and restarted; every token answered 200 reaches
# the mailbox, none twice (a token answered otherwise may arrive or not)
start_serve 0
/usr/bin/python3 - "$HTTP_PORT" >"$TMPDIR/load" 2>"$TMPDIR/load.err" <<'EOF' &
import base64, hashlib, hmac, http.client, os, sys, threading
key = os.environ["MAILOUT_SECRET"].encode()
b64 = lambda b: base64.urlsafe_b64encode(b).rstrip(b"=").decode()
keyid = b64(hashlib.sha256(b"mailout-keyid" + key).digest())[:6]
lock = threading.Lock()
def client(n):
    for i in range(150):
        body = "v1.%s.december-update-dach.load-%d-%03d" % (keyid, n, i)
        token = body + "." + b64(hmac.new(key, body.encode(), hashlib.sha256).digest())
        try:
            c = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]), timeout=10)
            c.request("POST", "/u?t=" + token, "List-Unsubscribe=One-Click",
                      {"Content-Type": "application/x-www-form-urlencoded"})
            status = c.getresponse().status
            c.close()
        except OSError:
            status = 0
        with lock:
            print(status, token, flush=True)
threads = [threading.Thread(target=client, args=(n,)) for n in range(8)]
for t in threads:
    t.start()
for t in threads:
    t.join()
EOF
load_pid=$!
n=0
while [ "$(grep -c '^200 ' "$TMPDIR/load")" -lt 300 ] && [ $n -lt 200 ]; do
	sleep 0.05
	n=$((n + 1))
done
kill -9 "$SERVE_PID"
wait "$SERVE_PID" 2>/dev/null
SERVE_PID=
wait "$load_pid"
grep '^200 ' "$TMPDIR/load" | cut -d' ' -f2 | sort >"$TMPDIR/answered"
answered=$(wc -l <"$TMPDIR/answered")
[ "$answered" -ge 300 ] && [ "$answered" -lt 1200 ] ||
	fail "serve was killed mid-way: $answered of 1200 answered 200" "$TMPDIR/load"
start_serve 0
grep -q "^serve: spool: [0-9]* waiting for the mailbox, [0-9]* delivered remembered$" "$TMPDIR/serve.out" ||
	fail "the restart says what it found" "$TMPDIR/serve.out"
n=0
until [ "$(curl -s "$BASE/healthz")" = '{"mailbox":"reachable","waiting":0}' ] || [ $n -gt 300 ]; do
	sleep 0.1
	n=$((n + 1))
done
cat "$IMAPD_DIR"/server/home/unsub/Maildir/*/* | sed -n 's/^Subject: unsubscribe \(.*load-.*\)/\1/p' | tr -d '\r' |
	sort >"$TMPDIR/arrived"
sort -u "$TMPDIR/arrived" | cmp -s - "$TMPDIR/arrived" || fail "no token arrived twice" "$TMPDIR/arrived"
comm -23 "$TMPDIR/answered" "$TMPDIR/arrived" >"$TMPDIR/lost"
[ -s "$TMPDIR/lost" ] && fail "every token answered 200 arrived" "$TMPDIR/lost"
stop_serve

# a crash after the mailbox confirmed an APPEND but before SPOOL/delivered
# said so: the entry is still in the journal at the restart; the mailbox
# is asked for its Message-ID first, and it does not arrive twice
msg=$(grep -l '^Subject: unsubscribe .*load-0-000' "$IMAPD_DIR"/server/home/unsub/Maildir/*/* | head -n 1)
t=$(sed -n 's/^Subject: unsubscribe //p' "$msg" | tr -d '\r')
at=$(sed -n 's/^Message-ID: <one-click\.[0-9a-f]*\.\([0-9]*\)@mailout\.invalid>.*/\1/p' "$msg")
[ -n "$t" ] && [ -n "$at" ] || fail "the message of load-0-000" "$msg"
grep -v "^$t	" "$SPOOL/delivered" >"$TMPDIR/delivered" && cp "$TMPDIR/delivered" "$SPOOL/delivered"
printf '%s\t%s\n' "$t" "$at" >"$SPOOL/journal"
start_serve 0
n=0
until [ "$(curl -s "$BASE/healthz")" = '{"mailbox":"reachable","waiting":0}' ] || [ $n -gt 100 ]; do
	sleep 0.1
	n=$((n + 1))
done
[ "$(grep -l "^Subject: unsubscribe $t" "$IMAPD_DIR"/server/home/unsub/Maildir/*/* | wc -l)" = 1 ] ||
	fail "an APPEND the mailbox confirmed is not made again"
grep -q "^$t	" "$SPOOL/delivered" || fail "the entry is recorded delivered" "$SPOOL/delivered"
stop_serve

# --rate-limit: the 4th request of a minute from one address gets 429,
# others are still served; X-Forwarded-For counts from the trusted proxy only
# (the counts start afresh each minute: not too close to the next one)
minute_start() {
	while [ "$(date +%S)" -ge 55 ]; do
		sleep 0.5
	done
}
start_serve 3 --trusted-proxy 127.0.0.1
minute_start
for i in 1 2 3; do
	expect_code "$(code GET "$BASE/u?t=$token" -H 'X-Forwarded-For: 192.0.2.1')" 200 "request $i within the limit"
done
expect_code "$(code GET "$BASE/u?t=$token" -H 'X-Forwarded-For: 192.0.2.1')" 429 "request 4 over the limit"
expect_code "$(code GET "$BASE/u?t=$token" -H 'X-Forwarded-For: 198.51.100.7, 192.0.2.2')" 200 \
	"another client meanwhile"
stop_serve
start_serve 3
minute_start
for i in 1 2 3; do
	expect_code "$(code GET "$BASE/u?t=$token" -H "X-Forwarded-For: 192.0.2.$i")" 200 "untrusted request $i"
done
expect_code "$(code GET "$BASE/u?t=$token" -H 'X-Forwarded-For: 192.0.2.9')" 429 \
	"X-Forwarded-For from a peer not trusted is not believed"
stop_serve
[ "$SERVE_RC" = 0 ] || fail "SIGTERM stops serve: exit code $SERVE_RC" "$TMPDIR/serve.out"
grep -q "^serve: stopped$" "$TMPDIR/serve.out" || fail "SIGTERM stops serve" "$TMPDIR/serve.out"
finish
