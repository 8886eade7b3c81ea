#!/bin/sh
# mailout preview: every message of the example campaigns is well-formed
# MIME, comes from the assigned account, carries the unsubscribe link in
# both parts and in the headers exactly as DESIGN.md says, shows VIP
# sections to VIPs only, and is byte for byte what the sender sends (except
# Date, Message-ID and the boundary).
. "$SRC/tests/e2e/lib.sh"
. "$SRC/tests/e2e/smtp.sh"

REPO=$TMPDIR/repo
make_repo "$REPO" || fail "make_repo"
cd "$REPO" || exit 1
# first without one_click_url (the https entry is the site's page), at the end with it
sed -i '/^  one_click_url: /d' mailout.yaml
export MAILOUT_NOW=2026-12-03T09:30:00Z
unset MAILOUT_SECRET MAILOUT_SECRET_PREVIOUS

# the secret is needed, and said so
run_mailout preview december-update-dach
expect_rc "preview without MAILOUT_SECRET" 1
expect_stderr "preview without MAILOUT_SECRET" \
	"mailout: MAILOUT_SECRET is not set: preview signs the unsubscribe link with it (at least 32 bytes, e.g. from 'openssl rand -base64 48')"
MAILOUT_SECRET=short run_mailout preview december-update-dach
expect_rc "preview with a short secret" 1
expect_stderr "preview with a short secret" \
	"mailout: MAILOUT_SECRET is too short: 5 bytes, at least 32 needed"
export MAILOUT_SECRET=e2e-preview-secret-0123456789abcdef0123

# usage and lookup errors
run_mailout preview december-update-dahc
expect_rc "unknown campaign" 1
expect_stderr "unknown campaign" \
	"mailout: unknown campaign 'december-update-dahc' (did you mean 'december-update-dach'?)"
run_mailout preview december-update-dach --recipient c-9999
expect_rc "unknown recipient" 1
expect_stderr "unknown recipient" "mailout: 'c-9999' is not a recipient of campaign 'december-update-dach'"
run_mailout preview december-update-dach --recipient c-1015
expect_rc "a recipient of another owner" 1
expect_stderr "a recipient of another owner" \
	"mailout: 'c-1015' is not a recipient of campaign 'december-update-dach'"
run_mailout preview december-update-dach --format pdf
expect_rc "unknown format" 2
expect_stderr "unknown format" "mailout: unknown format 'pdf': use eml, html or text
usage: mailout preview CAMPAIGN [--recipient ID] [--format eml|html|text]"
run_mailout preview
expect_rc "no campaign" 2
expect_output "no campaign: stdout" ""

# every recipient of every campaign
run_mailout status
expect_rc "status (refreshes the plan)" 0
plan_query "SELECT campaign, recipient, account, vip FROM deliveries ORDER BY campaign, ord" \
	>"$TMPDIR/deliveries"
[ "$(wc -l <"$TMPDIR/deliveries")" -ge 15 ] || fail "the example has deliveries" "$TMPDIR/deliveries"
mkdir -p "$TMPDIR/eml"
while read -r campaign recipient account vip; do
	run_mailout preview "$campaign" --recipient "$recipient"
	expect_rc "preview $campaign $recipient" 0 || continue
	cp "$TMPDIR/stdout" "$TMPDIR/eml/$campaign.$recipient.eml"
	run_mailout preview "$campaign" --recipient "$recipient" --format text
	expect_rc "preview $campaign $recipient --format text" 0
	cp "$TMPDIR/stdout" "$TMPDIR/eml/$campaign.$recipient.text"
	run_mailout preview "$campaign" --recipient "$recipient" --format html
	expect_rc "preview $campaign $recipient --format html" 0
	cp "$TMPDIR/stdout" "$TMPDIR/eml/$campaign.$recipient.html"
done <"$TMPDIR/deliveries"
/usr/bin/python3 "$SRC/tests/tools/check_mime.py" "$TMPDIR"/eml/*.eml >"$TMPDIR/parsed" 2>"$TMPDIR/defects" ||
	fail "every message parses without defects" "$TMPDIR/defects"

# what each message says, checked against the plan and the configuration
/usr/bin/python3 - "$TMPDIR/deliveries" "$TMPDIR/eml" <<'EOF' >"$TMPDIR/problems" 2>&1 || fail "message contents" "$TMPDIR/problems"
import email, email.policy, re, sys, json
deliveries, folder = sys.argv[1], sys.argv[2]
froms = {
    "alice-main": "Alice Adams <alice@example.com>",
    "alice-news": "Alice Adams <alice.adams@news.example.com>",
    "dana-main": "Dana Diaz <dana@example.net>",
    "dana-outreach": "Dana Diaz <dana.diaz@outreach.example.net>",
}
bad = 0
def problem(msg):
    global bad
    bad += 1
    print(msg)
for line in open(deliveries):
    campaign, recipient, account, vip = line.split()
    base = "%s/%s.%s" % (folder, campaign, recipient)
    raw = open(base + ".eml", "rb").read()
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    text_part = open(base + ".text", encoding="utf-8").read()
    html_part = open(base + ".html", encoding="utf-8").read()
    where = "%s %s" % (campaign, recipient)
    if str(msg["From"]) != froms[account]:
        problem("%s: From %r, the assigned account %s has %r" % (where, str(msg["From"]), account, froms[account]))
    if msg["X-Mailout-Campaign"] != campaign or msg["X-Mailout-Recipient"] != recipient:
        problem("%s: X-Mailout headers %r %r" % (where, msg["X-Mailout-Campaign"], msg["X-Mailout-Recipient"]))
    if msg["Date"] != "Thu, 03 Dec 2026 09:30:00 +0000":
        problem("%s: Date %r is not MAILOUT_NOW" % (where, msg["Date"]))
    if msg["Precedence"] != "bulk":
        problem("%s: no Precedence: bulk" % where)
    if not re.fullmatch(r"<[0-9a-f]{32}@" + re.escape(froms[account].split("@")[1]), msg["Message-ID"]):
        problem("%s: Message-ID %r not at the From domain" % (where, msg["Message-ID"]))
    m = re.fullmatch(r"<https://status\.example\.com/unsubscribe/#(v1\.[A-Za-z0-9_-]{6}\.%s\.%s\.[A-Za-z0-9_-]{43})>, <mailto:unsubscribe@example\.com\?subject=unsubscribe%%20\1>"
                     % (re.escape(campaign), re.escape(recipient)), str(msg["List-Unsubscribe"]))
    if not m:
        problem("%s: List-Unsubscribe %r" % (where, str(msg["List-Unsubscribe"])))
        continue
    if msg["List-Unsubscribe-Post"] is not None:
        problem("%s: List-Unsubscribe-Post without one_click_url" % where)
    url = "https://status.example.com/unsubscribe/#" + m.group(1)
    text = msg.get_body(("plain",)).get_content().replace("\r\n", "\n")
    html = msg.get_body(("html",)).get_content().replace("\r\n", "\n")
    if ("Unsubscribe: " + url + "\n") not in text:
        problem("%s: no unsubscribe link in the text part" % where)
    if ('href="' + url + '">Unsubscribe</a>') not in html:
        problem("%s: no unsubscribe link in the HTML part" % where)
    if text != text_part or html != html_part:
        problem("%s: --format text/html differ from the parts of the message" % where)
    if "<p></p>" in html or re.search(r"<p[^>]*></p>", html) or "{{" in html or "{{" in text:
        problem("%s: an empty paragraph or a tag left in the HTML" % where)
    vip_text, other_text = ("An invitation for", "Talk to us") if "december" in campaign else ("Early access", "Try it yourself")
    want, unwanted = (vip_text, other_text) if vip == "1" else (other_text, vip_text)
    for part, body in (("text", text), ("html", html)):
        if want not in body or unwanted in body:
            problem("%s: VIP section wrong in the %s part (vip=%s)" % (where, part, vip))
    # the footer's reason by the campaign's recipient type
    why = ("You receive this because you asked Dana Diaz at Example GmbH about our products."
           if campaign == "product-launch-leads" else
           "You receive this because you are a contact of Alice Adams at Example GmbH.")
    if ("\n\n" + why + "\nUnsubscribe: ") not in text or "Beispielstrasse 1, 10115 Berlin, Germany" not in text:
        problem("%s: footer missing in the text part" % where)
    if ("\">" + why + "<br>\n<a style=\"display:inline-block;min-height:44px;") not in html:
        problem("%s: footer reason or tap target missing in the HTML part" % where)
    for part in msg.walk():
        if part.get_content_maintype() == "text":
            for n, line in enumerate(part.get_payload(decode=False).splitlines(), 1):
                if len(line) > 76:
                    problem("%s: %s line %d has %d characters" % (where, part.get_content_type(), n, len(line)))
print("%d problems" % bad)
sys.exit(1 if bad else 0)
EOF

# without --recipient: the first pending delivery in send order
first=$(plan_query "SELECT recipient FROM deliveries WHERE campaign = 'december-update-dach' ORDER BY ord LIMIT 1")
run_mailout preview december-update-dach --format text
expect_file "the first pending recipient by default" "$TMPDIR/eml/december-update-dach.$first.text" "$TMPDIR/stdout"

# the same recipient twice: the same bytes but for Date, Message-ID and boundary
normalize() {
	sed -e '/^Date: /d' -e '/^Message-ID: /d' -e 's/=_mailout_[0-9a-f]\{16\}/=_mailout_B/g' "$1"
}
MAILOUT_NOW=2026-12-04T10:00:00Z run_mailout preview december-update-dach --recipient c-1002
normalize "$TMPDIR/stdout" >"$TMPDIR/second"
normalize "$TMPDIR/eml/december-update-dach.c-1002.eml" >"$TMPDIR/first"
expect_file "preview is stable" "$TMPDIR/first" "$TMPDIR/second"
grep -q "^Date: Fri, 04 Dec 2026 10:00:00 +0000" "$TMPDIR/stdout" || fail "Date follows MAILOUT_NOW"

# the sender sends exactly what preview shows
start_smtpd "$TMPDIR/spool" || finish
run_mailout send --now 2026-12-03T07:00:00Z --for 1d --sink "smtp://127.0.0.1:$SMTPD_PORT"
expect_rc "send" 0
stop_smtpd
sent=0
for eml in "$TMPDIR"/spool/*.eml; do
	[ -f "$eml" ] || continue
	campaign=$(sed -n 's/^X-Mailout-Campaign: //p' "$eml" | tr -d '\r')
	recipient=$(sed -n 's/^X-Mailout-Recipient: //p' "$eml" | tr -d '\r')
	[ -f "$TMPDIR/eml/$campaign.$recipient.eml" ] || { fail "no preview for $campaign $recipient"; continue; }
	normalize "$eml" >"$TMPDIR/sent"
	normalize "$TMPDIR/eml/$campaign.$recipient.eml" >"$TMPDIR/previewed"
	expect_file "sent $campaign $recipient equals its preview" "$TMPDIR/previewed" "$TMPDIR/sent"
	sent=$((sent + 1))
done
[ "$sent" -ge 10 ] || fail "the sender sent $sent messages, expected at least 10" "$TMPDIR/stdout"

# with one_click_url: the https entry is the endpoint, and List-Unsubscribe-Post
sed -i 's|^  address: unsubscribe@example.com .*|&\n  one_click_url: https://unsub.example.com/u|' mailout.yaml
run_mailout preview december-update-dach --recipient c-1002
expect_rc "preview with one_click_url" 0
/usr/bin/python3 - "$TMPDIR/stdout" <<'EOF' >"$TMPDIR/problems" 2>&1 || fail "one-click headers" "$TMPDIR/problems"
import email, email.policy, re, sys
msg = email.message_from_bytes(open(sys.argv[1], "rb").read(), policy=email.policy.default)
m = re.fullmatch(r"<https://unsub\.example\.com/u\?t=(v1\.[A-Za-z0-9_-]{6}\.december-update-dach\.c-1002\.[A-Za-z0-9_-]{43})>, <mailto:unsubscribe@example\.com\?subject=unsubscribe%20\1>",
                 str(msg["List-Unsubscribe"]))
assert m, msg["List-Unsubscribe"]
assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click", msg["List-Unsubscribe-Post"]
text = msg.get_body(("plain",)).get_content()
assert "Unsubscribe: https://status.example.com/unsubscribe/#" + m.group(1) in text, text
EOF

finish
