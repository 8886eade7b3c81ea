#!/bin/sh
# Hashed suppressions: a line holding sha256:HEX suppresses like the
# address it stands for (plan, status, site); `mailout suppressions hash`
# converts the file in place (exact output, same reasons and order,
# idempotent, --commit); a malformed hash is an error at line and column
# that changes nothing; validate warns about addresses left in the file
# while privacy.hash_suppressions is true; with the key, `unsubscribes
# sync` (against a real Dovecot) writes hashes, never the address.
. "$SRC/tests/e2e/lib.sh"
. "$SRC/tests/e2e/smtp.sh"
. "$SRC/tests/e2e/imap.sh"
command -v dovecot >/dev/null 2>&1 || [ -x /usr/sbin/dovecot ] || skip "dovecot is not installed (tests/deps.sh installs it)"

REPO=$TMPDIR/repo
SUPP=$REPO/recipients/suppressions.tsv
export MAILOUT_SECRET=e2e-secret-0123456789-0123456789-abcdef
export MAILOUT_UNSUBSCRIBE_PASSWORD=unsub-pass
export MAILOUT_NOW=2026-12-07T10:00:00Z
make_repo "$REPO" || fail "scratch repository"
git -C "$REPO" init -q -b main && git -C "$REPO" add -A &&
	git -C "$REPO" -c user.name=Test -c user.email=test@example.com commit -qm content ||
	fail "git repository"

hash_of() {
	printf 'sha256:%s' "$(printf '%s' "$1" | tr 'A-Z' 'a-z' | sha256sum | cut -c1-64)"
}
MATTHIAS=$(hash_of matthias.huber@example.net)
ETHAN=$(hash_of ethan.clark@clark-biotech.test)
reasons() {
	grep -o '<tr><td>c-1004</td><td>[^<]*</td><td class="reply">[^<]*</td></tr>' \
		"$REPO/build/site/campaigns/december-update-dach/index.html"
}

# the example's plain lines: suppressed, and the site says why
run_mailout --repo "$REPO" build
expect_rc "build with plain lines" 0
reasons >"$TMPDIR/reason.plain"
expect_output "the site's reason" \
	'<tr><td>c-1004</td><td>m•••@example.net</td><td class="reply">listed in recipients/suppressions.tsv (unsubscribed)</td></tr>' \
	"$TMPDIR/reason.plain"
run_mailout --repo "$REPO" status --json
jq -c '[.campaigns[] | {id, suppressed}]' "$TMPDIR/stdout" >"$TMPDIR/suppressed.plain"
expect_output "suppressed counts" \
	'[{"id":"december-update-dach","suppressed":1},{"id":"december-update-vip","suppressed":0},{"id":"product-launch-leads","suppressed":1}]' \
	"$TMPDIR/suppressed.plain"

# the key is validated where it is written
printf 'privacy:\n  hash_suppressions: maybe\n' >>"$REPO/mailout.yaml"
line=$(grep -n '^  hash_suppressions: maybe$' "$REPO/mailout.yaml" | cut -d: -f1)
run_mailout --repo "$REPO" validate
expect_rc "validate a bad key" 1
expect_contains "the bad key" "mailout.yaml:$line:22: error: expected true or false, not 'maybe'"
sed -i 's/^  hash_suppressions: maybe$/  hash_suppressions: true/' "$REPO/mailout.yaml"
git -C "$REPO" -c user.name=Test -c user.email=test@example.com commit -qam "hash suppressions" ||
	fail "commit the key"

# with the key, addresses left in the file are a warning
run_mailout --repo "$REPO" validate
expect_rc "validate with plain lines" 0
expect_contains "the warning" \
	"recipients/suppressions.tsv:2:1: warning: 2 lines hold an address, not its hash, while privacy.hash_suppressions is true (run mailout suppressions hash)"

# a malformed hash: an error at its line and column; hash changes nothing
cp "$SUPP" "$TMPDIR/supp.good"
printf 'sha256:%s\tmanual\t2026-11-20T10:00:00Z\tmanual\n' \
	"0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef" >>"$SUPP"
cp "$SUPP" "$TMPDIR/supp.bad"
run_mailout --repo "$REPO" validate
expect_rc "validate a malformed hash" 1
expect_contains "the malformed hash" \
	"recipients/suppressions.tsv:4:18: error: invalid hash 'sha256:0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef': expected sha256: and 64 lower-case hex digits"
run_mailout --repo "$REPO" suppressions hash
expect_rc "hash a file with an error" 1
grep -q "^recipients/suppressions.tsv:4:18: error: invalid hash" "$TMPDIR/stderr" ||
	fail "hash names the error" "$TMPDIR/stderr"
expect_contains "and changes nothing" "mailout: recipients/suppressions.tsv has errors; nothing was changed" "$TMPDIR/stderr"
expect_file "the file is untouched" "$TMPDIR/supp.bad" "$SUPP"
cp "$TMPDIR/supp.good" "$SUPP"

# suppressions hash: the same lines, in order, with hashes
run_mailout --repo "$REPO" suppressions hash --commit
expect_rc "suppressions hash" 0
expect_output "suppressions hash" "suppressions: hashed 2 lines of recipients/suppressions.tsv"
printf 'address\treason\ttime\tsource\n%s\tunsubscribed\t2026-11-02T09:14:00Z\tdecember-update-dach\n%s\tmanual\t2026-11-18T15:40:00Z\tmanual\n' \
	"$MATTHIAS" "$ETHAN" >"$TMPDIR/supp.hashed"
expect_file "the hashed file" "$TMPDIR/supp.hashed" "$SUPP"
[ -z "$(git -C "$REPO" status --porcelain recipients)" ] || fail "--commit committed the file"
git -C "$REPO" log -1 --format=%s >"$TMPDIR/subject"
expect_output "the commit" "suppressions: hash the addresses" "$TMPDIR/subject"
[ "$(git -C "$REPO" show --stat --format= HEAD | grep -c '|')" = 1 ] || fail "the commit holds only the file"
# idempotent
run_mailout --repo "$REPO" suppressions hash
expect_rc "second hash" 0
expect_output "second hash" "suppressions: no line of recipients/suppressions.tsv holds an address: nothing to hash"
expect_file "the second run changes nothing" "$TMPDIR/supp.hashed" "$SUPP"
run_mailout --repo "$REPO" validate
expect_rc "validate hashed" 0
grep -q 'suppressions.tsv' "$TMPDIR/stdout" && fail "no warning once hashed" "$TMPDIR/stdout"

# hashed lines suppress the same deliveries, for the same reason
run_mailout --repo "$REPO" build
expect_rc "build with hashed lines" 0
reasons >"$TMPDIR/reason.hashed"
expect_file "the site's reason is the same" "$TMPDIR/reason.plain" "$TMPDIR/reason.hashed"
run_mailout --repo "$REPO" status --json
jq -c '[.campaigns[] | {id, suppressed}]' "$TMPDIR/stdout" >"$TMPDIR/suppressed.hashed"
expect_file "the same counts" "$TMPDIR/suppressed.plain" "$TMPDIR/suppressed.hashed"
run_mailout --repo "$REPO" status december-update-dach --json
jq -c '[.campaigns[0].suppressed_deliveries[] | {recipient, listed}]' "$TMPDIR/stdout" >"$TMPDIR/why"
expect_output "status says why" '[{"recipient":"c-1004","listed":"unsubscribed"}]' "$TMPDIR/why"

# unsubscribes sync with the key: hashed lines, for a token and for a mail
trap 'stop_imapd' EXIT
start_imapd "unsub:unsub-pass" || finish
sed -i -e "s|mailbox: imaps://imap.example.com/INBOX|mailbox: imap://127.0.0.1:$IMAPD_PORT/INBOX|" \
	-e "s|^  username: unsubscribe@example.com|  username: unsub|" "$REPO/mailout.yaml"
run_mailout --repo "$REPO" preview december-update-dach --recipient c-1014 --format eml
expect_rc "preview c-1014" 0
cp "$TMPDIR/stdout" "$TMPDIR/c-1014.eml"
/usr/bin/python3 "$SRC/tests/tools/unsubscribe_request.py" "$TMPDIR/c-1014.eml" "$TMPDIR/token.eml" ||
	fail "the request"
printf 'From: Chloe Favre <Chloe.Favre@leman-horlogerie.test>\r\nTo: unsubscribe@example.com\r\nSubject: unsubscribe\r\n\r\nunsubscribe\r\n' \
	>"$TMPDIR/mail.eml"
deliver unsub "$TMPDIR/token.eml"
deliver unsub "$TMPDIR/mail.eml"
run_mailout --repo "$REPO" unsubscribes sync
expect_rc "sync" 0
expect_contains "sync summary" "read 2, unsubscribed 2, already suppressed 0, ignored 0 (forged 0, unknown key 0, malformed 0, no token 0, unknown recipient 0)"
{
	cat "$TMPDIR/supp.hashed"
	printf '%s\tunsubscribed\t2026-12-07T10:00:00Z\tdecember-update-dach\n' "$(hash_of lea.meier@example.com)"
	printf '%s\tunsubscribed\t2026-12-07T10:00:00Z\tmail\n' "$(hash_of chloe.favre@leman-horlogerie.test)"
} >"$TMPDIR/supp.synced"
expect_file "the sync wrote hashes" "$TMPDIR/supp.synced" "$SUPP"
grep -q '@' "$SUPP" && fail "no address in the file" "$SUPP"
# a request for an address already there as a hash adds nothing
deliver unsub "$TMPDIR/mail.eml"
run_mailout --repo "$REPO" unsubscribes sync
expect_rc "second sync" 0
expect_contains "second sync summary" "read 1, unsubscribed 0, already suppressed 1, ignored 0 (forged 0, unknown key 0, malformed 0, no token 0, unknown recipient 0)"
expect_file "nothing added" "$TMPDIR/supp.synced" "$SUPP"
run_mailout --repo "$REPO" status
expect_rc "status after the sync" 0
[ "$(plan_query "SELECT state FROM deliveries WHERE recipient = 'c-1014'")" = suppressed ] ||
	fail "c-1014 is suppressed by its hash"
finish
