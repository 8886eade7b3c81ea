#!/bin/sh
# mailout forget, export --person and forget --check-history on a real git
# repository after a week of the example sent to a real SMTP server, with a
# real unsubscribe request and a real bounce read from Dovecot: three
# people are erased (one mailed, one unsubscribed, one bounced); afterwards
# no tracked file holds their addresses, an import and a new campaign
# leave them out, and after `git filter-repo --replace-text` no commit does
# either, while the repository still validates, builds and sends.
. "$SRC/tests/e2e/lib.sh"
. "$SRC/tests/e2e/smtp.sh"
. "$SRC/tests/e2e/imap.sh"
command -v dovecot >/dev/null 2>&1 || [ -x /usr/sbin/dovecot ] || skip "dovecot is not installed (tests/deps.sh installs it)"
command -v git-filter-repo >/dev/null 2>&1 || skip "git-filter-repo is not installed (tests/deps.sh installs it)"
command -v jq >/dev/null 2>&1 || skip "jq is not installed (tests/deps.sh installs it)"

REPO=$TMPDIR/repo
SUPP=$REPO/recipients/suppressions.tsv
ALICE=alice.adams@news.example.com
MAILED=jana.novak@example.net              # c-1001, VIP: alice-main
UNSUBSCRIBED=lukas.mueller@mueller-soehne.test  # c-1002: asks to unsubscribe
BOUNCED=juergen.weiss@example.net          # c-1008: a hard bounce
export MAILOUT_SECRET=e2e-secret-0123456789-0123456789-abcdef
export MAILOUT_UNSUBSCRIBE_PASSWORD=unsub-pass
export MAILOUT_PASSWORD_ALICE_NEWS=news-pass
export GIT_AUTHOR_NAME=test GIT_AUTHOR_EMAIL=test@example.com
export GIT_COMMITTER_NAME=test GIT_COMMITTER_EMAIL=test@example.com
trap 'stop_imapd; stop_smtpd' EXIT
start_imapd "unsub:unsub-pass" "$ALICE:news-pass" || finish
start_smtpd "$TMPDIR/spool" || finish

make_repo "$REPO" || fail "scratch repository"
sed -i -e "s|mailbox: imaps://imap.example.com/INBOX|mailbox: imap://127.0.0.1:$IMAPD_PORT/INBOX|" \
	-e "s|^  username: unsubscribe@example.com|  username: unsub|" \
	-e "s|imap: imaps://imap.news.example.com/INBOX|imap: imap://127.0.0.1:$IMAPD_PORT/INBOX|" \
	-e "/imap: imaps:\/\/imap.example.net\/INBOX/d" "$REPO/mailout.yaml"
printf 'build/\n' >"$REPO/.gitignore"
# a person's note that names an address: forget finds it, a person removes it
sed -i "1a # proofs go to $MAILED first" "$REPO/campaigns/december-update-dach/campaign.yaml"
git init -q --bare -b main "$TMPDIR/remote.git"
git -C "$REPO" init -q -b main && git -C "$REPO" add -A && git -C "$REPO" commit -qm content &&
	git -C "$REPO" remote add origin "$TMPDIR/remote.git" &&
	git -C "$REPO" push -q origin main || fail "git repository"

# a week of the example, committed and pushed
run_mailout --repo "$REPO" send --now 2026-12-07T06:00 --for 7d --sink "smtp://127.0.0.1:$SMTPD_PORT" --push origin
expect_rc "send a week" 0
spooled() {
	grep -l "^X-Mailout-Recipient: $1[[:space:]]*\$" "$TMPDIR/spool"/*.eml | head -n 1
}
for r in c-1001 c-1002 c-1008; do
	[ -n "$(spooled $r)" ] || fail "$r was sent" "$TMPDIR/stdout"
done

# c-1002 unsubscribes through the List-Unsubscribe mailto of its message
/usr/bin/python3 "$SRC/tests/tools/unsubscribe_request.py" "$(spooled c-1002)" "$TMPDIR/unsub.eml" ||
	fail "unsubscribe request"
deliver unsub "$TMPDIR/unsub.eml"
MAILOUT_NOW=2026-12-11T10:00:00Z run_mailout --repo "$REPO" unsubscribes sync --push origin
expect_rc "unsubscribes sync" 0
expect_contains "c-1002 unsubscribed" "  uid 1: unsubscribed recipient c-1002 of december-update-dach"
# c-1008's message bounces
/usr/bin/python3 "$SRC/tests/tools/make_dsn.py" "$TMPDIR/hard.eml" --original "$(spooled c-1008)" \
	--recipient "$BOUNCED" --status 5.1.1 \
	--diagnostic "smtp; 550 5.1.1 <$BOUNCED>: Recipient address rejected: User unknown" || fail "dsn"
deliver "$ALICE" "$TMPDIR/hard.eml"
MAILOUT_NOW=2026-12-11T10:30:00Z run_mailout --repo "$REPO" bounces sync --push origin
expect_rc "bounces sync" 0
expect_contains "c-1008 bounced" "  uid 1: hard bounce 5.1.1 for recipient c-1008 of december-update-dach: the delivery failed, the address is suppressed"

# an access request first: exactly the person's record, deliveries and suppressions
person() {
	MAILOUT_NOW=2026-12-11T11:00:00Z run_mailout --repo "$REPO" export --person "$1"
	expect_rc "export --person $1" 0
	jq -c '{address, records: [.records[] | {type, file, line, id, email: .fields.email}],
		deliveries: [.deliveries[] | {campaign, recipient, state, account, reply: (.reply | if . then {code, enhanced} else null end),
			events: [.events[] | .event]}],
		suppressions: [.suppressions[] | {form, reason, line, source}]}' "$TMPDIR/stdout" >"$TMPDIR/person.json" ||
		fail "export --person $1 is JSON" "$TMPDIR/stdout"
}
person JANA.Novak@example.net
expect_output "export --person the mailed one" \
	'{"address":"jana.novak@example.net","records":[{"type":"contacts","file":"recipients/contacts/emea.yaml","line":2,"id":"c-1001","email":"jana.novak@example.net"}],"deliveries":[{"campaign":"december-update-dach","recipient":"c-1001","state":"sent","account":"alice-main","reply":{"code":250,"enhanced":null},"events":["claim","sent"]}],"suppressions":[]}' \
	"$TMPDIR/person.json"
person "$UNSUBSCRIBED"
expect_output "export --person the unsubscribed one" \
	'{"address":"lukas.mueller@mueller-soehne.test","records":[{"type":"contacts","file":"recipients/contacts/emea.yaml","line":3,"id":"c-1002","email":"lukas.mueller@mueller-soehne.test"}],"deliveries":[{"campaign":"december-update-dach","recipient":"c-1002","state":"sent","account":"alice-news","reply":{"code":250,"enhanced":null},"events":["claim","sent"]}],"suppressions":[{"form":"plain","reason":"unsubscribed","line":4,"source":"december-update-dach"}]}' \
	"$TMPDIR/person.json"
person "$BOUNCED"
expect_output "export --person the bounced one" \
	'{"address":"juergen.weiss@example.net","records":[{"type":"contacts","file":"recipients/contacts/emea.yaml","line":9,"id":"c-1008","email":"juergen.weiss@example.net"}],"deliveries":[{"campaign":"december-update-dach","recipient":"c-1008","state":"failed","account":"alice-news","reply":{"code":550,"enhanced":"5.1.1"},"events":["claim","sent","bounce"]}],"suppressions":[{"form":"plain","reason":"bounced","line":5,"source":"december-update-dach"}]}' \
	"$TMPDIR/person.json"
person nobody@example.org
expect_output "export --person of a stranger: empty arrays" \
	'{"address":"nobody@example.org","records":[],"deliveries":[],"suppressions":[]}' "$TMPDIR/person.json"

# the erasure, pushed; the note is reported, not changed
hash() {
	printf 'sha256:%s' "$(printf '%s' "$1" | sha256sum | cut -d' ' -f1)"
}
cp "$REPO/campaigns/december-update-dach/campaign.yaml" "$TMPDIR/campaign.before"
MAILOUT_NOW=2026-12-11T12:00:00Z run_mailout --repo "$REPO" forget JANA.Novak@example.net "$UNSUBSCRIBED" "$BOUNCED" --push origin
expect_rc "forget: a file still holds an address" 1
expect_output "forget: what changed" "recipients/contacts/emea.yaml: 3 records removed
campaigns/december-update-dach/log/alice-news.tsv: 1 address replaced by its hash
recipients/suppressions.tsv: 2 lines hashed, 3 erased lines added
committed: forget: erase 3 persons
pushed to origin"
expect_stderr "forget: the note" \
	"campaigns/december-update-dach/campaign.yaml:2:16: warning: '$MAILED' is still here: remove it by hand"
expect_file "the note is left to a person" "$TMPDIR/campaign.before" "$REPO/campaigns/december-update-dach/campaign.yaml"
[ "$(git -C "$TMPDIR/remote.git" log -1 --format=%s main)" = "forget: erase 3 persons" ] ||
	fail "the erasure is on the remote"
[ -z "$(git -C "$REPO" status --porcelain)" ] || fail "everything is committed"
# the records went, and nothing else of their file
grep -v -e '^- { id: c-1001,' -e '^- { id: c-1002,' -e '^- { id: c-1008,' "$SRC/recipients/contacts/emea.yaml" >"$TMPDIR/emea.expected"
expect_file "the other records and the comment stay byte for byte" "$TMPDIR/emea.expected" "$REPO/recipients/contacts/emea.yaml"
# the opt-outs stay, hashed, and each person has an erased line
{
	head -n 3 "$SRC/recipients/suppressions.tsv"
	printf '%s\tunsubscribed\t2026-12-11T10:00:00Z\tdecember-update-dach\n' "$(hash "$UNSUBSCRIBED")"
	printf '%s\tbounced\t2026-12-11T10:30:00Z\tdecember-update-dach\n' "$(hash "$BOUNCED")"
	for a in "$MAILED" "$UNSUBSCRIBED" "$BOUNCED"; do
		printf '%s\terased\t2026-12-11T12:00:00Z\tforget\n' "$(hash "$a")"
	done
} >"$TMPDIR/suppressions.expected"
expect_file "suppressions" "$TMPDIR/suppressions.expected" "$SUPP"
# the logs: v2 claim lines hold hashes already, so one line changed (the
# bounce report naming the address), only where the address became its hash
git -C "$REPO" diff HEAD~1 -- campaigns | grep '^[-+][^-+]' >"$TMPDIR/log.diff"
[ "$(grep -c '^-' "$TMPDIR/log.diff")" = 1 ] || fail "one log line changed" "$TMPDIR/log.diff"
sed -n 's/^-//p' "$TMPDIR/log.diff" | sed -e "s/$MAILED/$(hash "$MAILED")/g" \
	-e "s/$UNSUBSCRIBED/$(hash "$UNSUBSCRIBED")/g" -e "s/$BOUNCED/$(hash "$BOUNCED")/g" >"$TMPDIR/log.hashed"
sed -n 's/^+//p' "$TMPDIR/log.diff" >"$TMPDIR/log.now"
expect_file "log lines: only the addresses changed" "$TMPDIR/log.hashed" "$TMPDIR/log.now"

# a person removes the note; forget then has nothing left to do
sed -i '2d' "$REPO/campaigns/december-update-dach/campaign.yaml"
git -C "$REPO" commit -qam "campaign: no address in the notes" && git -C "$REPO" push -q origin main ||
	fail "commit the note"
head=$(git -C "$REPO" rev-parse HEAD)
MAILOUT_NOW=2026-12-11T12:30:00Z run_mailout --repo "$REPO" forget "$MAILED" "$UNSUBSCRIBED" "$BOUNCED" --push origin
expect_rc "forget again" 0
expect_output "forget again: nothing to change" "pushed to origin
forget: nothing to change: the addresses are already erased from the working tree"
expect_stderr "forget again: no warning" ""
[ "$(git -C "$REPO" rev-parse HEAD)" = "$head" ] || fail "forget again commits nothing"
for a in "$MAILED" "$UNSUBSCRIBED" "$BOUNCED"; do
	git -C "$REPO" grep -q -i "$a" && fail "git grep finds $a"
done

# the repository is still valid
run_mailout --repo "$REPO" validate
expect_rc "validate after forget" 0
expect_output "validate after forget" "3 campaigns, 57 recipient records: 0 errors, 0 warnings"

# an import that brings two of them back drops their rows
printf 'id,email,first_name,owner\nc-2001,Jana.Novak@Example.NET,Jana,alice\nc-2002,new.contact@example.com,New,alice\nc-2003,%s,Lukas,alice\n' \
	"$UNSUBSCRIBED" >"$TMPDIR/crm.csv"
run_mailout --repo "$REPO" import contacts "$TMPDIR/crm.csv" --into crm
expect_rc "import" 0
expect_output "import" "imported 1 record into recipients/contacts/crm.yaml (added 1, changed 0, removed 0, skipped 0 invalid)"
expect_stderr "import: the warning" "$TMPDIR/crm.csv: warning: 2 rows dropped: erased persons (lines 2, 4)"
grep -q -i -e "$MAILED" -e "$UNSUBSCRIBED" "$REPO/recipients/contacts/crm.yaml" && fail "the import wrote an erased person"
# a record typed back by hand is a warning at its email
printf -- '- { id: c-2009, email: %s, owner: alice }\n' "$BOUNCED" >>"$REPO/recipients/contacts/crm.yaml"
run_mailout --repo "$REPO" validate
expect_rc "validate with an erased record" 0
expect_output "validate with an erased record" \
"recipients/contacts/crm.yaml:3:24: warning: this address was erased (recipients/suppressions.tsv line 8): the plan suppresses it, but the data should not be here
3 campaigns, 59 recipient records: 0 errors, 1 warning"
sed -i '$d' "$REPO/recipients/contacts/crm.yaml"
git -C "$REPO" add -A && git -C "$REPO" commit -qm "contacts from the CRM" || fail "commit the import"

# a new campaign to all of alice's contacts mails none of them
cat >"$REPO/templates/winter-news.md" <<'MD'
---
subject: "Winter news from {{organization.name}}"
---
Hello {{first_name}},

our winter news.
MD
MAILOUT_NOW=2026-12-14T07:00:00Z run_mailout --repo "$REPO" new --type contacts --template winter-news --owner alice
expect_rc "new campaign" 0
git -C "$REPO" add -A && git -C "$REPO" commit -qm "winter news" || fail "commit the campaign"
rm -f "$TMPDIR/spool"/*.eml
run_mailout --repo "$REPO" send --now 2026-12-14T08:00 --for 1d --sink "smtp://127.0.0.1:$SMTPD_PORT" --commit
expect_rc "send the new campaign" 0
[ -n "$(spooled c-2002)" ] || fail "the imported contact is mailed" "$TMPDIR/stdout"
grep -l -i -e "$MAILED" -e "$UNSUBSCRIBED" -e "$BOUNCED" "$TMPDIR/spool"/*.eml >"$TMPDIR/mailed" &&
	fail "an erased person was mailed" "$TMPDIR/mailed"

# the history still holds them: every commit git grep finds, and only those
history_expected() {
	for c in $(git -C "$REPO" rev-list --all); do
		paths=$(git -C "$REPO" grep -l -i -e "$1" -e "$2" -e "$3" "$c" -- | sed "s/^$c://" | tr '\n' ' ')
		[ -n "$paths" ] && printf '%s %s %s\n' "$(git -C "$REPO" rev-parse --short=12 "$c")" \
			"$(TZ=UTC git -C "$REPO" log -1 --date=format-local:%Y-%m-%d --format=%cd "$c")" "${paths% }"
	done
}
history_expected "$MAILED" "$UNSUBSCRIBED" "$BOUNCED" >"$TMPDIR/history.expected"
[ "$(wc -l <"$TMPDIR/history.expected")" -ge 5 ] || fail "the history holds them" "$TMPDIR/history.expected"
run_mailout --repo "$REPO" forget --check-history "$MAILED" "$UNSUBSCRIBED" "$BOUNCED"
expect_rc "check-history before the rewrite" 1
# (commits of the same second may come in either order)
sort "$TMPDIR/stdout" >"$TMPDIR/history.sorted"
sort -o "$TMPDIR/history.expected" "$TMPDIR/history.expected"
expect_file "check-history lists what git grep finds" "$TMPDIR/history.expected" "$TMPDIR/history.sorted"
history_expected new.contact@example.com new.contact@example.com new.contact@example.com >"$TMPDIR/history.expected"
run_mailout --repo "$REPO" forget --check-history New.Contact@example.com
expect_rc "check-history of the new contact" 1
sort "$TMPDIR/stdout" >"$TMPDIR/history.sorted"
sort -o "$TMPDIR/history.expected" "$TMPDIR/history.expected"
expect_file "check-history of the new contact" "$TMPDIR/history.expected" "$TMPDIR/history.sorted"

# the rewrite the README describes; then no commit holds them
# (the plan's commit and build time aside, which the rewrite changes)
status_json() {
	MAILOUT_NOW=2026-12-14T18:00:00Z run_mailout --repo "$REPO" status --json
	expect_rc "status --json" 0
	jq 'del(.plan)' "$TMPDIR/stdout" >"$1" || fail "status --json is JSON" "$TMPDIR/stdout"
}
status_json "$TMPDIR/status.before"
for a in "$MAILED" "$UNSUBSCRIBED" "$BOUNCED"; do
	printf '%s==>%s\n' "$a" "$(hash "$a")"
done >"$TMPDIR/replacements.txt"
(cd "$REPO" && git filter-repo --force --quiet --replace-text "$TMPDIR/replacements.txt") >"$TMPDIR/filter.log" 2>&1 ||
	fail "git filter-repo" "$TMPDIR/filter.log"
run_mailout --repo "$REPO" forget --check-history "$MAILED" "$UNSUBSCRIBED" "$BOUNCED"
expect_rc "check-history after the rewrite" 0
expect_output "check-history after the rewrite: no commit" ""
git -C "$REPO" push -q --force "$TMPDIR/remote.git" main || fail "force push"
git clone -q "$TMPDIR/remote.git" "$TMPDIR/clone" || fail "a new clone"
run_mailout --repo "$TMPDIR/clone" forget --check-history "$MAILED" "$UNSUBSCRIBED" "$BOUNCED"
expect_rc "check-history of a new clone" 0

# the rewritten repository validates, builds, replays as before and sends
run_mailout --repo "$REPO" validate
expect_rc "validate after the rewrite" 0
run_mailout --repo "$REPO" build --rebuild
expect_rc "build after the rewrite" 0
status_json "$TMPDIR/status.after"
expect_file "the logs replay as before" "$TMPDIR/status.before" "$TMPDIR/status.after"
printf 'id,email,first_name,owner\nc-2004,later.contact@example.com,Later,alice\n' >"$TMPDIR/later.csv"
run_mailout --repo "$REPO" import contacts "$TMPDIR/later.csv" --into later
expect_rc "import after the rewrite" 0
run_mailout --repo "$REPO" send --now 2026-12-15T08:00 --for 1d --sink "smtp://127.0.0.1:$SMTPD_PORT"
expect_rc "send after the rewrite" 0
[ -n "$(spooled c-2004)" ] || fail "the rewritten repository sends" "$TMPDIR/stdout"

# what is held about the mailed one now: the erased line only
person "$MAILED"
expect_output "export --person after forget" \
	'{"address":"jana.novak@example.net","records":[],"deliveries":[],"suppressions":[{"form":"hashed","reason":"erased","line":6,"source":"forget"}]}' \
	"$TMPDIR/person.json"

# a push refused while another push holds the remote's lock, which then
# moves the branch: the erasure is made again on the new tip, the other
# commit kept (a clone of the rewritten remote; c-1003 is erased)
OTHER=sophie.gruber@alpenblick.test
git clone -q "$TMPDIR/remote.git" "$TMPDIR/elsewhere" || fail "another clone"
printf 'notes\n' >"$TMPDIR/elsewhere/NOTES.md"
git -C "$TMPDIR/elsewhere" add NOTES.md && git -C "$TMPDIR/elsewhere" commit -qm "notes: from elsewhere" &&
	git -C "$TMPDIR/elsewhere" push -q origin main:incoming || fail "the other commit"
lock=$TMPDIR/remote.git/refs/heads/main.lock
: >"$lock"
# as git ends a ref update: the new value into the lock, renamed over the ref
(
	sleep 2
	git -C "$TMPDIR/elsewhere" rev-parse HEAD >"$lock" && mv "$lock" "$TMPDIR/remote.git/refs/heads/main" &&
		git -C "$TMPDIR/remote.git" update-ref -d refs/heads/incoming
) &
mover=$!
MAILOUT_NOW=2026-12-15T12:00:00Z run_mailout --repo "$TMPDIR/clone" forget "$OTHER" --push origin
wait "$mover" || fail "the other push"
expect_rc "forget while the remote is locked, then moves" 0
expect_output "forget: erased again on the new tip" "recipients/contacts/emea.yaml: 1 record removed
recipients/suppressions.tsv: 1 erased line added
committed: forget: erase 1 person
forget: 'origin' moved meanwhile: erasing again on its tip
recipients/contacts/emea.yaml: 1 record removed
recipients/suppressions.tsv: 1 erased line added
committed: forget: erase 1 person
pushed to origin"
[ "$(git -C "$TMPDIR/remote.git" log -2 --format=%s main)" = "forget: erase 1 person
notes: from elsewhere" ] || fail "both commits are on the remote" "$TMPDIR/stdout"
git -C "$TMPDIR/remote.git" grep -q -i "$OTHER" main && fail "the remote still holds c-1003"
[ ! -e "$lock" ] || fail "the lock is gone"

# a lock nobody removes: forget says so after PUBLISH_STUCK, and keeps its commit
printf -- '- { id: c-2100, email: stuck@example.net, owner: alice }\n' >>"$TMPDIR/clone/recipients/contacts/emea.yaml"
git -C "$TMPDIR/clone" commit -qam "contacts: one more" && git -C "$TMPDIR/clone" push -q origin main ||
	fail "one more contact"
: >"$lock"
# (20 s of refusals before it stops: more than the default time limit)
E2E_TIMEOUT=60 MAILOUT_NOW=2026-12-15T12:30:00Z run_mailout --repo "$TMPDIR/clone" forget stuck@example.net --push origin
expect_rc "forget with a stale lock" 1
tip=$(git -C "$TMPDIR/remote.git" rev-parse main | cut -c1-12)
expect_stderr "forget with a stale lock: why" "mailout: push to 'origin' rejected: '$lock' exists: another push is updating 'main', or one was killed while it did (remove the file if no push is running); the remote's branch stayed at $tip for 20 s while it refused every push, so pushing again cannot help"
[ "$(git -C "$TMPDIR/clone" log -1 --format=%s)" = "forget: erase 1 person" ] || fail "the erasure stays committed here"
rm -f "$lock"

finish
