#!/bin/sh
# What a real Postfix answers, and what mailout makes of it: a recipient
# refused at RCPT (554 5.7.1 Access denied) fails alone and the account
# goes on; Postfix's own delivery reports for an unknown user (5.1.1) and
# a full mailbox (5.2.2, Action: failed) end as failed, suppressed and not
# suppressed; the corrected address of the unknown user is mailed after
# `retry`, and the others once more; three recipients refused in a row
# make the account critical, and after `resume` the next recipient is
# mailed, not those three.
. "$SRC/tests/e2e/lib.sh"
. "$SRC/tests/e2e/smtp.sh"
. "$SRC/tests/e2e/postfix.sh"

REPO=$TMPDIR/repo
ANN=ann@example.test
export MAILOUT_SECRET=e2e-secret-0123456789-0123456789-abcdef
export MAILOUT_PASSWORD_ANN=ann-pass
trap mailserver_stop EXIT
mailserver_start "$ANN:ann-pass" r1@example.test r2@example.test r3@example.test \
	r4@example.test r11@example.test l1@example.test l2@example.test l3@example.test \
	l4@example.test || finish

mailserver_repo "$REPO" || finish
mkdir -p "$REPO/recipients/leads" "$REPO/campaigns/winter"
cat >"$REPO/recipients/contacts/all.yaml" <<'EOF'
- { id: r-1, email: r1@example.test, first_name: R1, owner: ann }
- { id: r-2, email: r2@example.test, first_name: R2, owner: ann }
- { id: r-3, email: r3@example.test, first_name: R3, owner: ann }
- { id: r-4, email: r4@example.test, first_name: R4, owner: ann }
- { id: ghost, email: ghost@example.test, first_name: Ghost, owner: ann }
EOF
printf -- '---\nsubject: "Winter news for {{first_name}}"\n---\nHello {{first_name}},\n\nthe winter news.\n' \
	>"$REPO/templates/winter.md"
printf -- '---\nsubject: "Spring news for {{first_name}}"\n---\nHello {{first_name}},\n\nthe spring news.\n' \
	>"$REPO/templates/spring.md"
printf 'name: Winter\ntemplate: winter\nrecipient_type: contacts\nowner: ann\nstart: 2026-12-07\n' \
	>"$REPO/campaigns/winter/campaign.yaml"
run_mailout --repo "$REPO" validate
expect_rc "validate" 0
unset SSL_CERT_FILE CURL_CA_BUNDLE

# send_at HH:MM: one run of send on the virtual clock, Monday in Berlin
send_at() {
	MAILOUT_NOW=2026-12-07T$1 run_mailout --repo "$REPO" send
	cat "$TMPDIR/stdout" "$TMPDIR/stderr" >>"$TMPDIR/send.log"
}
state() {
	plan_query "SELECT state FROM deliveries WHERE campaign = '$1' AND recipient = '$2'"
}
# states CAMPAIGN: "recipient=state ..." in recipient order
states() {
	plan_query "SELECT recipient || '=' || state FROM deliveries WHERE campaign = '$1' ORDER BY recipient" |
		tr '\n' ' '
}
pending() {
	plan_query "SELECT count(*) FROM deliveries WHERE state IN ('pending', 'claimed', 'retrying')" 2>/dev/null
}
# runs_from H M: a run every two minutes from H:M until nothing is pending
runs_from() {
	h=$1 m=$2 n=0
	while [ "$(pending)" != 0 ] && [ $n -lt 40 ]; do
		send_at "$(printf '%02d:%02d' "$h" "$m")"
		m=$((m + 2))
		[ $m -ge 60 ] && h=$((h + 1)) m=$((m - 60))
		n=$((n + 1))
	done
	[ "$(pending)" = 0 ] || fail "nothing is left pending after $n runs" "$TMPDIR/send.log"
}
account_usable() {
	MAILOUT_NOW=2026-12-07T$1 run_mailout --repo "$REPO" status --json
	/usr/bin/python3 -c '
import json, sys
print(*("%s:%s" % (a["id"], "usable" if a["usable"] else "red")
        for c in json.load(open(sys.argv[1]))["campaigns"] for a in c["accounts"]))' "$TMPDIR/stdout"
}

# r2 is refused at RCPT, r3's mailbox is full, ghost has no mailbox
mailserver_reject_recipient r2@example.test
mailserver_mailbox_full r3@example.test
runs_from 8 30
grep -q "  failed      winter  *r-2  *via ann-main  *554 5.7.1 <r2@example.test>: Recipient address rejected: Access denied$" \
	"$TMPDIR/send.log" || fail "r-2's refusal is a failed delivery" "$TMPDIR/send.log"
[ "$(states winter)" = "ghost=sent r-1=sent r-2=failed r-3=sent r-4=sent " ] ||
	fail "after the first runs: $(states winter)" "$TMPDIR/send.log"
[ "$(account_usable 10:00)" = "ann-main:usable" ] || fail "one refusal leaves the account usable"
postfix_wait_queue 20
for r in r1 r4; do
	[ "$(mailbox_count $r@example.test)" = 1 ] || fail "$r got one message"
done
[ "$(mailbox_count r2@example.test)" = 0 ] || fail "r2 got nothing"

# Postfix's reports for ghost (5.1.1) and r3 (5.2.2, Action: failed)
mailbox_wait "$ANN" 2 || finish
grep -l "^Status: 5\.2\.2$" $(mailbox_files "$ANN") | xargs grep -q "^Action: failed$" ||
	fail "Postfix reported r3's full mailbox as failed 5.2.2"
MAILOUT_NOW=2026-12-07T10:00:00Z run_mailout --repo "$REPO" bounces sync
expect_rc "bounces sync" 0
grep -q "hard bounce 5\.1\.1 for recipient ghost of winter: the delivery failed, the address is suppressed$" \
	"$TMPDIR/stdout" || fail "ghost's report" "$TMPDIR/stdout"
grep -q "5\.2\.2 for recipient r-3 of winter: the delivery failed, not suppressed$" "$TMPDIR/stdout" ||
	fail "r-3's report" "$TMPDIR/stdout"
MAILOUT_NOW=2026-12-07T10:00:00Z run_mailout --repo "$REPO" status
expect_rc "status after bounces sync" 0
[ "$(states winter)" = "ghost=failed r-1=sent r-2=failed r-3=failed r-4=sent " ] ||
	fail "after bounces sync: $(states winter)"
printf 'address\treason\ttime\tsource\nghost@example.test\tbounced\t2026-12-07T10:00:00Z\twinter\n' \
	>"$TMPDIR/suppressions.expected"
expect_file "only the unknown address is suppressed" "$TMPDIR/suppressions.expected" \
	"$REPO/recipients/suppressions.tsv"

# the recipient file corrects ghost's address; the server takes r2 and r3
# again; retry makes the three pending and the next runs mail them
sed -i 's/ghost@example.test/r11@example.test/' "$REPO/recipients/contacts/all.yaml"
mailserver_heal
MAILOUT_NOW=2026-12-07T11:00:00Z run_mailout --repo "$REPO" retry winter
expect_output "retry" "retry: 3 recipients of 'winter' pending again"
: >"$TMPDIR/send.log"
runs_from 11 00
[ "$(states winter)" = "ghost=sent r-1=sent r-2=sent r-3=sent r-4=sent " ] ||
	fail "after retry: $(states winter)" "$TMPDIR/send.log"
postfix_wait_queue 20
for r in r1 r2 r3 r4 r11; do
	[ "$(mailbox_count $r@example.test)" = 1 ] || fail "$r has $(mailbox_count $r@example.test) messages, not 1"
done
grep -q "^To: Ghost <r11@example.test>" $(mailbox_files r11@example.test) ||
	fail "the corrected address got ghost's message" "$(mailbox_files r11@example.test)"

# three leads refused in a row: the account is critical; after resume the
# fourth lead is mailed
for n in 1 2 3 4; do
	echo "- { id: l-$n, email: l$n@example.test, first_name: L$n, owner: ann }"
done >"$REPO/recipients/leads/all.yaml"
mkdir -p "$REPO/campaigns/spring"
printf 'name: Spring\ntemplate: spring\nrecipient_type: leads\nowner: ann\nstart: 2026-12-07\n' \
	>"$REPO/campaigns/spring/campaign.yaml"
for n in 1 2 3; do
	printf 'l%s@example.test REJECT Relay access denied\n' "$n" >>"$MS_DIR/postfix/recipient_access"
done
postfix_reload
: >"$TMPDIR/send.log"
for t in 12:00 12:02 12:04 12:06 12:08; do
	send_at $t
done
grep -q "  critical    spring  *l-3  *via ann-main  *554 5.7.1 <l3@example.test>: Recipient address rejected: Relay access denied; 3 recipients in a row refused with 5.7.1$" \
	"$TMPDIR/send.log" || fail "the third refusal makes the account critical" "$TMPDIR/send.log"
[ "$(states spring)" = "l-1=failed l-2=failed l-3=failed l-4=pending " ] ||
	fail "three refused, the fourth waits: $(states spring)" "$TMPDIR/send.log"
[ "$(account_usable 12:10 | tr ' ' '\n' | sort -u)" = "ann-main:red" ] || fail "the account is red"
MAILOUT_NOW=2026-12-07T12:10:00Z run_mailout --repo "$REPO" status --check
expect_rc "status --check with a red account" 1
mailserver_heal
MAILOUT_NOW=2026-12-07T12:10:00Z run_mailout --repo "$REPO" resume spring
expect_rc "resume" 0
: >"$TMPDIR/send.log"
send_at 12:12
[ "$(states spring)" = "l-1=failed l-2=failed l-3=failed l-4=sent " ] ||
	fail "after resume the fourth lead is mailed: $(states spring)" "$TMPDIR/send.log"
postfix_wait_queue 20
[ "$(mailbox_count l4@example.test)" = 1 ] || fail "l4 got its message"
for n in 1 2 3; do
	[ "$(mailbox_count l$n@example.test)" = 0 ] || fail "l$n got nothing"
done
finish
