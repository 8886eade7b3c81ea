#!/bin/sh
# A hard bounce suppresses the address that bounced, never the recipient:
# once the recipient file corrects the address, retry makes the delivery
# pending again and send mails the new address, exactly once.  A campaign
# that selects the old address (a lead at it) stays suppressed, and status
# says why: which address, which reply.
. "$SRC/tests/e2e/lib.sh"
. "$SRC/tests/e2e/smtp.sh"
REPO=$TMPDIR/repo
export MAILOUT_SECRET=e2e-secret-0123456789-0123456789-abcdef
/usr/bin/python3 "$SRC/tests/e2e/fixtures/gen_send_repo.py" "$REPO" --recipients 4 --limits 50,50,50 ||
	fail "fixture"
# a lead at r-1's address, in a campaign that starts a week later
mkdir -p "$REPO/recipients/leads" "$REPO/campaigns/leads"
cat >"$REPO/recipients/leads/fair.yaml" <<'Y'
- { id: l-1, email: r1@example.net, first_name: L1, company_name: Example Ltd, owner: ann, vip: false }
Y
printf -- '---\nsubject: "News for {{first_name}}"\n---\nHello {{first_name}},\n\nnews for leads.\n' \
	>"$REPO/templates/news-leads.md"
printf 'name: Leads\ntemplate: news-leads\nrecipient_type: leads\nowner: ann\nstart: 2026-12-14\n' \
	>"$REPO/campaigns/leads/campaign.yaml"
faults=$TMPDIR/faults
echo 'r1@example.net=550 5.1.1 No such user r1@example.net' >"$faults"
start_smtpd "$TMPDIR/spool" --fault-file "$faults" || finish
sink="smtp://127.0.0.1:$SMTPD_PORT"

state() {
	plan_query "SELECT state FROM deliveries WHERE recipient = '$1'"
}
# mailed ADDRESS: how many accepted messages went to ADDRESS
mailed() {
	awk -F '\t' -v a="$1" '$4 == a { n++ } END { print n + 0 }' "$TMPDIR/spool/log.tsv"
}
# json_get FILE EXPRESSION: EXPRESSION of the JSON in FILE (bound to j)
json_get() {
	/usr/bin/python3 -c 'import json, sys; j = json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"
}

run_mailout --repo "$REPO" send --now 2026-12-07T08:30 --for 1h --sink "$sink"
expect_rc "first run" 0
[ "$(state r-1)" = failed ] || fail "5.1.1 at RCPT fails r-1: $(state r-1)"
[ "$(plan_query "SELECT hash || ' ' || campaign || ' ' || recipient || ' ' || code || ' ' || enhanced FROM bounces")" = \
	"sha256:557a6e1e8c05b374ea69e0b6f7a9b7fa1382990f013808fdd121583add33d0df one r-1 550 5.1.1" ] || fail "the bounce of r1@example.net: $(plan_query "SELECT * FROM bounces")"
[ "$(state l-1)" = suppressed ] || fail "the lead at the bounced address is suppressed: $(state l-1)"
[ "$(mailed r1@example.net)" = 0 ] || fail "nothing accepted for r1@example.net"

# the recipient file corrects the address; retry makes r-1 pending again
sed -i 's/email: r1@example.net/email: r1.new@example.net/' "$REPO/recipients/contacts/all.yaml"
MAILOUT_NOW=2026-12-07T10:00:00Z run_mailout --repo "$REPO" retry one
expect_rc "retry" 0
expect_output "retry output" "retry: 1 recipient of 'one' pending again"
[ "$(state r-1)" = pending ] || fail "the corrected address is pending after retry: $(state r-1)"
[ "$(state l-1)" = suppressed ] || fail "the old address stays suppressed: $(state l-1)"

run_mailout --repo "$REPO" send --now 2026-12-07T10:30 --for 1h --sink "$sink"
expect_rc "second run" 0
[ "$(state r-1)" = sent ] || fail "r-1 sent to its new address: $(state r-1)"
[ "$(mailed r1.new@example.net)" = 1 ] || fail "the new address mailed once: $(mailed r1.new@example.net)"

# a week later the leads campaign starts: the bounced address gets nothing,
# the new one nothing more
run_mailout --repo "$REPO" send --now 2026-12-14T08:30 --for 8h --sink "$sink"
expect_rc "third run" 0
[ "$(state l-1)" = suppressed ] || fail "l-1 stays suppressed: $(state l-1)"
[ "$(mailed r1.new@example.net)" = 1 ] || fail "the new address still mailed once: $(mailed r1.new@example.net)"
[ "$(mailed r1@example.net)" = 0 ] || fail "the bounced address never mailed: $(mailed r1@example.net)"

MAILOUT_NOW=2026-12-14T17:00:00Z run_mailout --repo "$REPO" status one --json
expect_rc "status one --json" 0
cp "$TMPDIR/stdout" "$TMPDIR/one.json"
[ "$(json_get "$TMPDIR/one.json" '[(c["sent"], c["failed"], c["suppressed"], c["suppressed_deliveries"]) for c in j["campaigns"]]')" = \
	"[(2, 0, 0, [])]" ] || fail "one: every recipient sent, none suppressed" "$TMPDIR/one.json"
MAILOUT_NOW=2026-12-14T17:00:00Z run_mailout --repo "$REPO" status leads --json
expect_rc "status leads --json" 0
cp "$TMPDIR/stdout" "$TMPDIR/leads.json"
[ "$(json_get "$TMPDIR/leads.json" 'j["campaigns"][0]["suppressed"]')" = 1 ] ||
	fail "leads: one suppressed" "$TMPDIR/leads.json"
[ "$(json_get "$TMPDIR/leads.json" 'json.dumps(j["campaigns"][0]["suppressed_deliveries"][0], sort_keys=True)')" = \
	'{"address": "r1@example.net", "bounce": {"campaign": "one", "code": 550, "enhanced": "5.1.1", "recipient": "r-1", "reply": "550 5.1.1 No such user r1@example.net", "time": "'"$(plan_query "SELECT strftime('%Y-%m-%dT%H:%M:%SZ', time, 'unixepoch') FROM bounces")"'"}, "listed": null, "recipient": "l-1"}' ] ||
	fail "leads: why l-1 is suppressed" "$TMPDIR/leads.json"
MAILOUT_NOW=2026-12-14T17:00:00Z run_mailout --repo "$REPO" status leads
expect_rc "status leads" 0
sed -n '/^suppressed/,$p' "$TMPDIR/stdout" >"$TMPDIR/why"
expect_output "status leads: why" "suppressed (1), and why:
  l-1 r1@example.net: hard bounce $(plan_query "SELECT strftime('%Y-%m-%dT%H:%M:%SZ', time, 'unixepoch') FROM bounces") in one (r-1): 550 5.1.1 No such user r1@example.net" "$TMPDIR/why"
# the site's campaign page says the same, the address masked
MAILOUT_NOW=2026-12-14T17:00:00Z run_mailout --repo "$REPO" build
expect_rc "build" 0
/usr/bin/python3 - "$REPO/build/site/campaigns/leads/index.html" >"$TMPDIR/why" 2>&1 <<'P' ||
import re, sys
page = open(sys.argv[1], encoding="utf-8").read()
rows = re.search(r'<table class="data" id="suppressed-list">.*?<tbody>(.*?)</tbody>', page, re.S).group(1)
print(re.sub(r"<[^>]+>", "|", rows.replace("</tr>", "\n")).replace("||", "|").strip())
P
	fail "the campaign page lists the suppressed" "$TMPDIR/why"
expect_output "site: why l-1 is suppressed" "|l-1|r•••@example.net|hard bounce $(plan_query "SELECT strftime('%Y-%m-%dT%H:%M:%SZ', time, 'unixepoch') FROM bounces") in one (r-1): 550 5.1.1 No such user r•••@example.net|" "$TMPDIR/why"
grep -q "r1@example.net" "$REPO/build/site/campaigns/leads/index.html" &&
	fail "the page shows no address unmasked"
stop_smtpd
finish
