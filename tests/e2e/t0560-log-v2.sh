#!/bin/sh
# Log version 2: claim lines hold the address's hash, never the address.
# The v1 logs of a week sent by the previous release (tests/e2e/fixtures/
# log-v1: the repository of t0500 against a server that refuses r7 with
# 550 5.1.1 and r12 with 451 4.3.0, then `retry one`) replay to that
# release's `status --json` (tests/e2e/expected/log-v1-status*.json), also
# with an address replaced by its hash as an erasure does; the same week
# sent now writes v2 files with no address in them and comes to the same
# status; a v1 file keeps its version when appended to.
. "$SRC/tests/e2e/lib.sh"
. "$SRC/tests/e2e/smtp.sh"
export MAILOUT_SECRET=e2e-secret-0123456789-0123456789-abcdef
FIX=$SRC/tests/e2e/fixtures/log-v1
EXP=$SRC/tests/e2e/expected

hash_of() {
	printf 'sha256:%s' "$(printf '%s' "$1" | sha256sum | cut -c1-64)"
}
# compare_status WHAT REPO: its status --json, without the plan's commit,
# is the previous release's, and so is each campaign's
compare_status() {
	for c in "" one two; do
		MAILOUT_NOW=2026-12-11T10:00:00Z run_mailout --repo "$2" status $c --json
		expect_rc "$1: status $c" 0
		jq -S 'del(.plan)' "$TMPDIR/stdout" >"$TMPDIR/status.json" || fail "$1: status $c is JSON"
		expect_file "$1: status $c --json" "$EXP/log-v1-status${c:+-$c}.json" "$TMPDIR/status.json"
	done
}
new_repo() {
	/usr/bin/python3 "$SRC/tests/e2e/fixtures/gen_send_repo.py" "$1" --recipients 60 --limits 5,14,14 ||
		fail "fixture repository"
}

# the previous release's v1 logs replay as they did
OLD=$TMPDIR/old
new_repo "$OLD"
cp -R "$FIX/campaigns" "$OLD/"
compare_status "v1 logs" "$OLD"
REPO=$OLD
[ "$(plan_query "SELECT COUNT(*) FROM deliveries WHERE claim_hash LIKE '%@%'")" = 0 ] ||
	fail "the plan keeps hashes of claims"

# a v1 line whose address an erasure replaced by its hash replays alike
ERASED=$TMPDIR/erased
new_repo "$ERASED"
cp -R "$FIX/campaigns" "$ERASED/"
for f in "$ERASED"/campaigns/*/log/*.tsv; do
	sed -i -e "s/\tr7@example.net\t/\t$(hash_of r7@example.net)\t/" \
		-e "s/\tr12@example.net\t/\t$(hash_of r12@example.net)\t/" \
		-e "s/\tr3@example.net\t/\t$(hash_of r3@example.net)\t/" "$f"
done
grep -q -e 'r7@' -e 'r12@' -e 'r3@' "$ERASED"/campaigns/*/log/*.tsv && fail "the addresses were replaced"
grep -c "$(hash_of r7@example.net)" "$ERASED/campaigns/one/log/ann-a.tsv" >"$TMPDIR/count"
expect_output "r7's claim holds its hash" 1 "$TMPDIR/count"
compare_status "v1 logs with hashes" "$ERASED"

# the same week sent now: v2 files, no address, the same outcome
NEW=$TMPDIR/new
new_repo "$NEW"
start_smtpd "$TMPDIR/spool" --fault 'r7@example.net=550 5.1.1 No such user' \
	--fault 'r12@example.net=451 4.3.0 Try again later' || finish
E2E_TIMEOUT=60 run_mailout --repo "$NEW" send --now 2026-12-07T06:00 --for 7d --sink "smtp://127.0.0.1:$SMTPD_PORT"
expect_rc "send a week" 0
expect_contains "summary" \
	"send: 58 sent, 1 failed, 7 retrying, 0 deferred, 0 critical, 0 unconfirmed in 2 campaigns (2026-12-07T05:00:00Z to 2026-12-10T16:08:35Z)"
MAILOUT_NOW=2026-12-11T09:00:00Z run_mailout --repo "$NEW" retry one
expect_rc "retry" 0
for f in "$NEW"/campaigns/*/log/*.tsv "$NEW"/campaigns/one/commands.tsv; do
	head -n 1 "$f" >"$TMPDIR/header"
	expect_output "$f: version 2" "#mailout-log v2" "$TMPDIR/header"
done
grep -h "	claim	" "$NEW"/campaigns/*/log/*.tsv >"$TMPDIR/claims"
[ "$(wc -l <"$TMPDIR/claims")" -eq 66 ] || fail "66 claims" "$TMPDIR/claims"
grep '@' "$NEW"/campaigns/*/log/*.tsv | grep -v '	<[0-9a-f]*@example.com>$' >"$TMPDIR/with-at"
[ -s "$TMPDIR/with-at" ] && fail "no address in the logs, only Message-IDs" "$TMPDIR/with-at"
awk -F '\t' '$2 == "claim" && ($4 !~ /^sha256:[0-9a-f]+$/ || length($4) != 71)' "$NEW"/campaigns/*/log/*.tsv >"$TMPDIR/bad"
[ -s "$TMPDIR/bad" ] && fail "every claim holds a hash" "$TMPDIR/bad"
grep -q "	claim	r-7	$(hash_of r7@example.net)	" "$NEW/campaigns/one/log/ann-a.tsv" ||
	fail "r-7's claim holds its address's hash" "$NEW/campaigns/one/log/ann-a.tsv"
compare_status "v2 logs" "$NEW"

# a v1 file keeps its version: appended to, its claims keep the address
# (r-12 is tried again on Monday, and given up: more than 4 days)
E2E_TIMEOUT=60 run_mailout --repo "$OLD" send --now 2026-12-14T08:00 --for 1d --sink "smtp://127.0.0.1:$SMTPD_PORT"
expect_rc "send on v1 files" 0
head -n 1 "$OLD/campaigns/two/log/ann-a.tsv" >"$TMPDIR/header"
expect_output "a v1 file stays v1" "#mailout-log v1" "$TMPDIR/header"
tail -n 2 "$OLD/campaigns/two/log/ann-a.tsv" | cut -f 2-4 >"$TMPDIR/tail"
expect_output "the new claim in the v1 file" "claim	r-12	r12@example.net
failed	r-12	451" "$TMPDIR/tail"
stop_smtpd
finish
