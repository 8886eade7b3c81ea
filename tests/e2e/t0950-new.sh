#!/bin/sh
# mailout new: one campaign per recipient type, files that validate, the
# recipients each reaches and when the forecast sees it finished (checked
# against a real run); refusals change nothing.
. "$SRC/tests/e2e/lib.sh"
. "$SRC/tests/e2e/smtp.sh"

repo=$TMPDIR/repo
make_repo "$repo" || fail "make_repo"
compact_config "$repo"
cd "$repo" || exit 1
export MAILOUT_NOW=2026-12-07T09:00
cat >templates/winter-news.md <<'MD'
---
subject: "Winter news from {{organization.name}}"
---
Hello {{first_name}},

our winter news.
MD

# every file outside build/ with its checksum
snapshot() {
	find . -type f ! -path './build/*' | sort | xargs md5sum
}

# two types: two campaigns, the type as the id's suffix
run_mailout new --type contacts,leads --template winter-news --owner alice
expect_rc "new with two types" 0
expect_output "new with two types: output" \
"created campaigns/winter-news-2026-12-07-contacts/campaign.yaml: 13 recipients (6 VIP), not counting 1 suppressed, finishing around 2026-12-07
created campaigns/winter-news-2026-12-07-leads/campaign.yaml: 4 recipients (1 VIP), finishing around 2026-12-07"
expect_stderr "new with two types: stderr" ""
cat >"$TMPDIR/expected" <<'YAML'
name: winter-news (contacts of Alice Adams, from 2026-12-07)  # shown in status and on the site
template: winter-news                    # templates/winter-news.md
recipient_type: contacts                 # contacts | companies | leads
owner: alice                             # all of alice's contacts (no segment or filter)
status: active                           # active | paused | merged
start: 2026-12-07                        # nothing is sent before
vip_only: false                          # true: VIP recipients only
YAML
expect_file "the contacts campaign" "$TMPDIR/expected" campaigns/winter-news-2026-12-07-contacts/campaign.yaml
sed -e 's/contacts of Alice/leads of Alice/' -e 's/^recipient_type: contacts   /recipient_type: leads      /' \
	-e "s/all of alice's contacts/all of alice's leads/" "$TMPDIR/expected" >"$TMPDIR/expected-leads"
expect_file "the leads campaign" "$TMPDIR/expected-leads" campaigns/winter-news-2026-12-07-leads/campaign.yaml
run_mailout validate
expect_rc "the new campaigns validate" 0
expect_output "validate after new" "5 campaigns, 60 recipient records: 0 errors, 0 warnings"
MAILOUT_NOW=2026-12-07T09:00 run_mailout status winter-news-2026-12-07-leads --json
grep -q '"id": "winter-news-2026-12-07-leads", "name": "winter-news (leads of Alice Adams, from 2026-12-07)", "recipient_type": "leads", "status": "active", "owner": "alice"' "$TMPDIR/stdout" ||
	fail "status shows the new campaign" "$TMPDIR/stdout"

# every option: a filter, an id, a name, start and end, paused, VIP only
run_mailout new --type contacts --template december-update --owner bruno \
	--filter '{country: [DE, AT, "CH"], tags: newsletter}' --id bruno-dach --name "DACH news: Bruno" \
	--start 2026-12-10 --end 2027-01-31 --vip-only --paused
expect_rc "new with every option" 0
expect_output "new with every option: output" \
	"created campaigns/bruno-dach/campaign.yaml: 1 recipient (1 VIP), paused: nothing is sent until 'mailout resume bruno-dach'"
expect_stderr "new with every option: the owner has no signature" \
	"campaigns/bruno-dach/campaign.yaml:5:8: warning: owner 'bruno' has no signature (templates/signatures/bruno.md is recommended)"
cat >"$TMPDIR/expected" <<'YAML'
name: "DACH news: Bruno"                 # shown in status and on the site
template: december-update                # templates/december-update.md
recipient_type: contacts                 # contacts | companies | leads
filter: { country: [DE, AT, CH], tags: newsletter }  # records matching every field
owner: bruno                             # only bruno's contacts are selected
status: paused                           # active | paused | merged
start: 2026-12-10                        # nothing is sent before
end: 2027-01-31                          # nothing is sent after this day
vip_only: true                           # true: VIP recipients only
YAML
expect_file "the campaign with every option" "$TMPDIR/expected" campaigns/bruno-dach/campaign.yaml

# refusals: nothing changes
snapshot >"$TMPDIR/before"
run_mailout new --type contacts --template winter-newz --owner alice
expect_rc "unknown template" 1
expect_stderr "unknown template" \
	"mailout: cannot create 'winter-newz-2026-12-07': unknown template 'winter-newz' (no templates/winter-newz.md)"
run_mailout new --type contacts --template winter-news --owner carol
expect_rc "owner without accounts" 1
expect_stderr "owner without accounts" \
	"mailout: cannot create 'winter-news-2026-12-07': owner 'carol' has no enabled sending account in mailout.yaml"
run_mailout new --type contacts --template winter-news --owner erin
expect_rc "unknown owner" 1
expect_stderr "unknown owner" "mailout: cannot create 'winter-news-2026-12-07': unknown owner 'erin'"
run_mailout new --type contacts --template winter-news --owner alice --segment dach
expect_rc "unknown segment" 1
expect_stderr "unknown segment" \
	"mailout: cannot create 'winter-news-2026-12-07': unknown segment 'dach' (not in recipients/segments.yaml)"
run_mailout new --type contacts --template winter-news --owner alice --id bruno-dach
expect_rc "an existing id" 1
expect_stderr "an existing id" \
	"mailout: campaign 'bruno-dach' already exists (campaigns/bruno-dach); choose another id with --id"
run_mailout new --type contacts,leads --template winter-news --owner alice
expect_rc "existing ids of two types" 1
expect_stderr "existing ids of two types" \
	"mailout: campaign 'winter-news-2026-12-07-contacts' already exists (campaigns/winter-news-2026-12-07-contacts); choose another id with --id"
# the companies campaign would not validate, so the contacts one is not made either
run_mailout new --type contacts,companies --template december-update --owner alice --id dec
expect_rc "one type of two would not validate" 1
expect_stderr "one type of two would not validate" \
"templates/december-update.md:5:7: error: unknown variable 'first_name': no companies record has it (did you mean 'full_name'?)
templates/december-update.md:7:65: error: unknown variable 'company': no companies record has it
templates/december-update.md:19:23: error: unknown variable 'company': no companies record has it
mailout: the new campaigns would not validate; nothing was created"
run_mailout new --type contacts,prospects --template winter-news --owner alice
expect_rc "unknown type" 2
expect_stderr "unknown type" \
"mailout: unknown recipient type 'prospects': contacts, companies or leads
usage: mailout new --type TYPE[,TYPE...] --template NAME --owner PERSON [--segment NAME | --filter '{...}'] [--id ID] [--name NAME] [--start DATE] [--end DATE] [--paused] [--vip-only]"
run_mailout new --type contacts --template winter-news --owner alice --filter '{country: [DE}'
expect_rc "bad filter syntax" 2
head -1 "$TMPDIR/stderr" | grep -q "^--filter:1:.*: error: YAML syntax error" || fail "bad filter syntax: where" "$TMPDIR/stderr"
grep -qxF "mailout: invalid --filter '{country: [DE}'" "$TMPDIR/stderr" || fail "bad filter syntax: message" "$TMPDIR/stderr"
run_mailout new --type contacts --template winter-news --owner alice --filter '{Country: DE}'
expect_rc "bad filter field" 2
run_mailout new --type contacts --template winter-news --owner alice --segment dach-customers --filter '{country: DE}'
expect_rc "segment and filter" 2
run_mailout new --type contacts --template winter-news --owner alice --start 2026-02-30
expect_rc "bad start" 2
run_mailout new --type contacts --template winter-news --owner alice --id Winter
expect_rc "bad id" 2
snapshot >"$TMPDIR/after"
expect_file "refusals change nothing" "$TMPDIR/before" "$TMPDIR/after"
# content that is broken already: fix that first
mkdir campaigns/broken
printf 'name: Broken\ntemplate: winter-news\nrecipient_type: contacts\nowner: alice\nstatus: sleeping\n' >campaigns/broken/campaign.yaml
run_mailout new --type contacts --template winter-news --owner alice --id fine
expect_rc "broken content" 1
expect_stderr "broken content" \
	"mailout: the content has 1 error already ('mailout validate' shows them); nothing was created"
[ -e campaigns/fine ] && fail "nothing is created in broken content"
rm -rf campaigns/broken

# the forecast agrees with a real run: ann's 60 recipients wait behind the
# 60 of her two campaigns on three accounts
send_repo=$TMPDIR/send
/usr/bin/python3 "$SRC/tests/e2e/fixtures/gen_send_repo.py" "$send_repo" || fail "send fixture"
printf -- '---\nsubject: "Three for {{first_name}}"\n---\nHello {{first_name}}.\n' >"$send_repo/templates/news-three.md"
MAILOUT_NOW=2026-12-07T08:00 run_mailout --repo "$send_repo" new --type contacts --template news-three --owner ann --id three
expect_rc "new in the send fixture" 0
expect_output "new in the send fixture: output" \
	"created campaigns/three/campaign.yaml: 60 recipients (6 VIP), finishing around 2026-12-17"
MAILOUT_NOW=2026-12-07T08:00 run_mailout --repo "$send_repo" new --type contacts --template news-one --owner ann --id one-again
expect_rc "new with the template of another campaign" 0
expect_output "skipped recipients are not counted" \
	"created campaigns/one-again/campaign.yaml: 30 recipients (6 VIP), not counting 30 skipped (this template reached them already), finishing around 2026-12-15"
rm -rf "$send_repo/campaigns/one-again"
export MAILOUT_SECRET=e2e-secret-0123456789-0123456789-abcdef
start_smtpd "$TMPDIR/spool" || finish
REPO=$send_repo
run_mailout --repo "$send_repo" send --now 2026-12-07T08:00 --for 14d --sink "smtp://127.0.0.1:$SMTPD_PORT"
expect_rc "the real run" 0
last=$(cat "$send_repo"/campaigns/three/log/*.tsv | awk -F '\t' '$2 == "claim" { print $1 }' | sort | tail -1)
[ "$(TZ=Europe/Berlin date -d "$last" +%F)" = 2026-12-17 ] || fail "the real run ended 'three' at $last"
[ "$(plan_query "SELECT COUNT(*) FROM deliveries WHERE campaign = 'three' AND state = 'sent'")" = 60 ] ||
	fail "all of 'three' sent"
stop_smtpd
finish
