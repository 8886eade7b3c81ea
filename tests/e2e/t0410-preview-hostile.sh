#!/bin/sh
# Hostile and international data: umlauts and CJK in subjects and names, a
# long subject, encoded-word lookalikes, quotes and commas in names, body
# lines starting with ".", markup in a recipient field.  Every message
# parses without defects, decodes to exactly the right text, escapes
# recipient data in HTML, and survives SMTP byte for byte.
. "$SRC/tests/e2e/lib.sh"
. "$SRC/tests/e2e/smtp.sh"

REPO=$TMPDIR/repo
make_repo "$REPO" || fail "make_repo"
cd "$REPO" || exit 1
export MAILOUT_NOW=2026-12-03T09:30:00Z
export MAILOUT_SECRET=e2e-hostile-secret-0123456789abcdef0123

long_company="Internationale Handelsgesellschaft für Präzisionsinstrumente, Messtechnik und Laborbedarf mit beschränkter Haftung & Co. Kommanditgesellschaft – Zweigniederlassung Zürich"
cat >recipients/contacts/hostile.yaml <<EOF
- { id: h-1, email: juergen@example.net, first_name: Jürgen, last_name: Weiß-Müller, company: "Müller & Söhne", owner: alice, vip: true, country: XX }
- { id: h-2, email: taro@example.net, first_name: 太郎, last_name: 山田, company: 株式会社テスト, owner: alice, vip: false, country: XX }
- { id: h-3, email: eve@example.net, first_name: Eve, last_name: "O'Neil, \"Jr.\"", company: "<b>Evil & Co</b>", owner: alice, vip: false, country: XX }
- { id: h-4, email: long@example.net, first_name: Lang, last_name: Name, company: "$long_company", owner: alice, vip: true, country: XX }
- { id: h-5, email: dot@example.net, first_name: .Dot, last_name: "=?UTF-8?Q?fake?=", company: ".com Ventures", owner: alice, vip: false, country: XX }
EOF
cat >templates/hostile.md <<'EOF'
---
subject: "Angebot für {{first_name}} – {{company}} 特別なご案内"
preheader: "{{company}} & friends"
---
Hello {{first_name}} {{last_name}},
{{company}} is great.
.a line that starts with a dot
..two dots

{{#vip}}
**VIP:** reserved for {{company}}.
{{/vip}}
{{^vip}}
Regular offer.
{{/vip}}

A very long line: Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore et dolore magna aliqua.

<table><tr><td>Raw HTML kept</td></tr></table>

[Unsubscribe directly]({{unsubscribe_url}})
EOF
mkdir -p campaigns/hostile
cat >campaigns/hostile/campaign.yaml <<'EOF'
name: Hostile data – Prüfung
template: hostile
recipient_type: contacts
filter: { country: XX }
owner: alice
status: active
start: 2026-12-01
EOF

run_mailout validate
expect_rc "the fixture validates" 0
mkdir -p "$TMPDIR/eml"
for id in h-1 h-2 h-3 h-4 h-5; do
	run_mailout preview hostile --recipient "$id"
	expect_rc "preview $id" 0
	cp "$TMPDIR/stdout" "$TMPDIR/eml/$id.eml"
done
/usr/bin/python3 "$SRC/tests/tools/check_mime.py" "$TMPDIR"/eml/h-*.eml >"$TMPDIR/parsed" 2>"$TMPDIR/defects" ||
	fail "every message parses without defects" "$TMPDIR/defects"

LONG_COMPANY=$long_company /usr/bin/python3 - "$TMPDIR/parsed" "$TMPDIR/eml" <<'EOF' >"$TMPDIR/problems" 2>&1 || fail "decoded contents" "$TMPDIR/problems"
import json, os, re, sys
parsed = {os.path.basename(d["file"])[:-4]: d for d in map(json.loads, open(sys.argv[1], encoding="utf-8"))}
folder = sys.argv[2]
long_company = os.environ["LONG_COMPANY"]
expect = {
    "h-1": ("Jürgen", "Jürgen Weiß-Müller", "Müller & Söhne", True),
    "h-2": ("太郎", "太郎 山田", "株式会社テスト", False),
    "h-3": ("Eve", "Eve O'Neil, \"Jr.\"", "<b>Evil & Co</b>", False),
    "h-4": ("Lang", "Lang Name", long_company, True),
    "h-5": (".Dot", ".Dot =?UTF-8?Q?fake?=", ".com Ventures", False),
}
def esc(s):
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;").replace("'", "&#39;")
bad = 0
for rid, (first, name, company, vip) in expect.items():
    d = parsed[rid]
    raw = open("%s/%s.eml" % (folder, rid), "rb").read()
    problems = []
    subject = "Angebot für %s – %s 特別なご案内" % (first, company)
    if d["subject"] != subject:
        problems.append("subject %r, expected %r" % (d["subject"], subject))
    if d["to_name"] != name:
        problems.append("To name %r, expected %r" % (d["to_name"], name))
    if d["from_name"] != "Alice Adams":
        problems.append("From name %r" % d["from_name"])
    text, html = d["text"], d["html"]
    if ("\n%s is great.\n.a line that starts with a dot\n..two dots\n" % company) not in text:
        problems.append("the text part lost a line or a leading dot")
    if ("%s is great." % esc(company)) not in html or ("<title>%s</title>" % esc(subject)) not in html:
        problems.append("recipient data not escaped in the HTML part")
    if ">%s &amp; friends" % esc(company) not in html:
        problems.append("the preheader is not escaped in the HTML part")
    if "<b>Evil" in html:
        problems.append("raw markup from a recipient field in the HTML part")
    if "<table><tr><td>Raw HTML kept</td></tr></table>" not in html:
        problems.append("raw HTML of the template was not kept")
    if not re.search(r'<a style="[^"]*" href="https://status\.example\.com/unsubscribe/#v1\.[A-Za-z0-9_-]{6}\.hostile\.%s\.[A-Za-z0-9_-]{43}">Unsubscribe directly</a>' % rid, html):
        problems.append("{{unsubscribe_url}} in a Markdown link is not the unsubscribe URL")
    if vip != ("VIP:" in text) or vip != ("<strong>VIP:</strong>" in html) or vip == ("Regular offer." in text) or vip == ("Regular offer." in html):
        problems.append("VIP sections shown wrongly (vip=%s)" % vip)
    if re.search(rb"\r\n\.", raw):
        problems.append("a raw line starts with '.'")
    if re.search(r"<p[^>]*></p>", html):
        problems.append("an empty paragraph in the HTML part")
    head = raw.split(b"\r\n\r\n", 1)[0].decode("ascii")
    if rid == "h-4" and len(re.search(r"^Subject: .*?(?=\r\n\S)", head, re.M | re.S).group(0)) < 300:
        problems.append("the long subject is not long")
    for p in problems:
        print("%s: %s" % (rid, p))
    bad += len(problems)
print("%d problems" % bad)
sys.exit(1 if bad else 0)
EOF

# through a real SMTP server, leading dots and all
start_smtpd "$TMPDIR/spool" || finish
run_mailout send --now 2026-12-03T07:00:00Z --for 1d --sink "smtp://127.0.0.1:$SMTPD_PORT"
expect_rc "send" 0
stop_smtpd
normalize() {
	sed -e '/^Date: /d' -e '/^Message-ID: /d' -e 's/=_mailout_[0-9a-f]\{16\}/=_mailout_B/g' "$1"
}
got=0
for eml in "$TMPDIR"/spool/*.eml; do
	grep -q "^X-Mailout-Campaign: hostile" "$eml" || continue
	id=$(sed -n 's/^X-Mailout-Recipient: //p' "$eml" | tr -d '\r')
	normalize "$eml" >"$TMPDIR/sent"
	normalize "$TMPDIR/eml/$id.eml" >"$TMPDIR/previewed"
	expect_file "sent $id equals its preview" "$TMPDIR/previewed" "$TMPDIR/sent"
	got=$((got + 1))
done
[ "$got" -eq 5 ] || fail "5 hostile messages expected at the server, got $got"

finish
