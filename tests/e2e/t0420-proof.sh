#!/bin/sh
# mailout proof: the recipient's message, marked "[Proof]", goes to a test
# address through the recipient's assigned account (with its credentials)
# or a sink, and is recorded nowhere.
. "$SRC/tests/e2e/lib.sh"
. "$SRC/tests/e2e/smtp.sh"

REPO=$TMPDIR/repo
make_repo "$REPO" || fail "make_repo"
cd "$REPO" || exit 1
export MAILOUT_NOW=2026-12-03T09:30:00Z
unset MAILOUT_SECRET MAILOUT_PASSWORD_ALICE_NEWS

# the account's server, with AUTH
start_smtpd "$TMPDIR/account" --auth "alice.adams@news.example.com:news-pass" || finish
ACCOUNT_PORT=$SMTPD_PORT ACCOUNT_PID=$SMTPD_PID
# a sink that refuses one address
start_smtpd "$TMPDIR/sink" --fault 'bounce@example.org=550 5.1.1 No such user' || finish
SINK_PORT=$SMTPD_PORT SINK_PID=$SMTPD_PID
sed -i "s|smtps://smtp.news.example.com:465|smtp://127.0.0.1:$ACCOUNT_PORT|" mailout.yaml

usage='usage: mailout proof CAMPAIGN --to ADDRESS [--recipient ID] [--sink URL]'
deliveries="SELECT campaign, recipient, state, attempts, account, sent_at, message_id FROM deliveries ORDER BY campaign, ord"
run_mailout status
expect_rc "status (refreshes the plan)" 0
plan_query "$deliveries" >"$TMPDIR/deliveries.before"
run_mailout proof december-update-dach
expect_rc "no --to" 2
expect_stderr "no --to" "mailout: a proof needs a test address: --to ADDRESS
$usage"
run_mailout proof december-update-dach --to "Tester <tester@example.org>"
expect_rc "a test address with a name" 2
expect_stderr "a test address with a name" \
	"mailout: invalid test address 'Tester <tester@example.org>': invalid character in the local part
$usage"
run_mailout proof december-update-dach --to tester@example.org --recipient c-1002
expect_rc "proof without MAILOUT_SECRET" 1
expect_stderr "proof without MAILOUT_SECRET" \
	"mailout: MAILOUT_SECRET is not set: proof signs the unsubscribe link with it (at least 32 bytes, e.g. from 'openssl rand -base64 48')"
export MAILOUT_SECRET=e2e-proof-secret-0123456789abcdef012345

run_mailout proof december-update-dach --to tester@example.org --recipient c-1002
expect_rc "proof without the account's password" 1
expect_stderr "proof without the account's password" \
	"mailout: account 'alice-news': MAILOUT_PASSWORD_ALICE_NEWS is not set"
MAILOUT_PASSWORD_ALICE_NEWS=wrong run_mailout proof december-update-dach --to tester@example.org --recipient c-1002
expect_rc "proof with a wrong password" 1
grep -q "^mailout: the proof was not sent: 535" "$TMPDIR/stderr" || fail "a wrong password is reported" "$TMPDIR/stderr"
[ -e "$TMPDIR/account/1.eml" ] && fail "a message went out without a login"

# through the assigned account (c-1002 is not a VIP: alice-news)
MAILOUT_PASSWORD_ALICE_NEWS=news-pass run_mailout proof december-update-dach --to tester@example.org --recipient c-1002
expect_rc "proof through the account" 0
expect_output "proof through the account" \
	"sent a proof of campaign 'december-update-dach' (the message of recipient 'c-1002') to tester@example.org through alice-news
server: 250 Message accepted for delivery"
[ "$(ls "$TMPDIR"/account/*.eml | wc -l)" -eq 1 ] || fail "one message at the account's server"
cut -f3,4,6 "$TMPDIR/account/log.tsv" >"$TMPDIR/envelope"
printf 'alice.adams@news.example.com\ttester@example.org\talice.adams@news.example.com/PLAIN\n' >"$TMPDIR/expected"
expect_file "envelope and login" "$TMPDIR/expected" "$TMPDIR/envelope"

run_mailout preview december-update-dach --recipient c-1002
cp "$TMPDIR/stdout" "$TMPDIR/preview.eml"
/usr/bin/python3 "$SRC/tests/tools/check_mime.py" "$TMPDIR/account/1.eml" "$TMPDIR/preview.eml" \
	>"$TMPDIR/parsed" 2>"$TMPDIR/defects" || fail "the proof parses without defects" "$TMPDIR/defects"
/usr/bin/python3 - "$TMPDIR/account/1.eml" "$TMPDIR/preview.eml" <<'EOF' >"$TMPDIR/problems" 2>&1 || fail "the proof's contents" "$TMPDIR/problems"
import email, email.policy, re, sys
def load(path):
    return email.message_from_bytes(open(path, "rb").read(), policy=email.policy.default)
proof, preview = load(sys.argv[1]), load(sys.argv[2])
assert str(proof["Subject"]) == "[Proof] " + str(preview["Subject"]), proof["Subject"]
assert str(proof["Subject"]) == "[Proof] Our December update – schöne Feiertage!", proof["Subject"]
assert str(proof["To"]) == "tester@example.org", proof["To"]
assert str(proof["From"]) == str(preview["From"]) == "Alice Adams <alice.adams@news.example.com>", proof["From"]
assert proof["X-Mailout-Campaign"] is None and proof["X-Mailout-Recipient"] is None
token = r"v1\.[A-Za-z0-9_-]{6}\.december-update-dach\.%s\.[A-Za-z0-9_-]{43}"
proof_token = token % "proof-of-a-message-for-a-test-address-not-for-any-recipient-of-the-campaign"
m = re.fullmatch(r"<https://unsub\.example\.com/u\?t=(%s)>, <mailto:unsubscribe@example\.com\?subject=unsubscribe%%20\1>" % proof_token,
                 str(proof["List-Unsubscribe"]))
assert m, proof["List-Unsubscribe"]
assert proof["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click", proof["List-Unsubscribe-Post"]
# the parts are the recipient's, but for the token
for kind in ("plain", "html"):
    a = proof.get_body((kind,)).get_content()
    b = preview.get_body((kind,)).get_content()
    assert m.group(1) in a
    assert re.sub(proof_token, "TOKEN", a) == re.sub(token % "c-1002", "TOKEN", b), kind
    assert "Talk to us" in a and "Lukas" in a
EOF

# through a sink: no account secret needed
run_mailout proof december-update-dach --to tester@example.org --sink "smtp://127.0.0.1:$SINK_PORT"
expect_rc "proof through a sink" 0
expect_output "proof through a sink" \
	"sent a proof of campaign 'december-update-dach' (the message of recipient 'c-1001') to tester@example.org through the sink
server: 250 Message accepted for delivery"
cut -f3,4,6 "$TMPDIR/sink/log.tsv" >"$TMPDIR/envelope"
printf 'alice@example.com\ttester@example.org\t-\n' >"$TMPDIR/expected"
expect_file "envelope through the sink" "$TMPDIR/expected" "$TMPDIR/envelope"
/usr/bin/python3 "$SRC/tests/tools/check_mime.py" "$TMPDIR/sink/1.eml" >"$TMPDIR/parsed" 2>"$TMPDIR/defects" ||
	fail "the sink's proof parses without defects" "$TMPDIR/defects"
grep -qF '"subject": "[Proof] Our December update – schöne Feiertage!"' "$TMPDIR/parsed" ||
	fail "the sink's proof is marked" "$TMPDIR/parsed"
grep -q "An invitation for Acme GmbH" "$TMPDIR/sink/1.eml" || fail "the default recipient is the first pending one (a VIP)"

# a refused test address: the server's reply and exit 1
run_mailout proof december-update-dach --to bounce@example.org --sink "smtp://127.0.0.1:$SINK_PORT"
expect_rc "a refused proof" 1
expect_stderr "a refused proof" "mailout: the proof was not sent: 550 5.1.1 No such user"
run_mailout proof december-update-dach --to tester@example.org --recipient c-9999 --sink "smtp://127.0.0.1:$SINK_PORT"
expect_rc "proof of an unknown recipient" 1
expect_stderr "proof of an unknown recipient" \
	"mailout: 'c-9999' is not a recipient of campaign 'december-update-dach'"

stop_smtpd
SMTPD_PID=$ACCOUNT_PID
stop_smtpd

# recorded nowhere: no log, nothing sent in the plan
ls -d campaigns/*/log >/dev/null 2>&1 && fail "a proof wrote a campaign log"
run_mailout status
expect_rc "status after the proofs" 0
plan_query "$deliveries" >"$TMPDIR/deliveries.after"
expect_file "proofs change no delivery" "$TMPDIR/deliveries.before" "$TMPDIR/deliveries.after"
[ "$(plan_query "SELECT COUNT(*) FROM daily")" = 0 ] || fail "a proof counted against a daily limit"
finish
