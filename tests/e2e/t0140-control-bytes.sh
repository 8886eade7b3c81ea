#!/bin/sh
# Control characters in content (a recipient field, a campaign name, a file
# name) never reach the terminal raw: diagnostics and the commands' output
# show them as \x1b, \t; the site carries none.
. "$SRC/tests/e2e/lib.sh"

REPO=$TMPDIR/repo
make_repo "$REPO" || fail "make_repo"
cd "$REPO" || exit 1
ESC=$(printf '\033')

# no raw ESC byte in the last run's stdout and stderr
expect_no_esc() {
	n=$(cat "$TMPDIR/stdout" "$TMPDIR/stderr" | grep -c "$ESC")
	[ "$n" -eq 0 ] || fail "$1: $n line(s) with a raw ESC byte" "$TMPDIR/stderr"
}

printf -- '- { id: c-9001, email: "bad\\e[2J@example.net", first_name: "Eve", owner: alice }\n' \
	>recipients/contacts/hostile.yaml
printf 'nope: [\n' >"recipients/contacts/x${ESC}[1my.yaml"
run_mailout validate
expect_rc "validate with control characters" 1
expect_no_esc "validate"
printf '%s\n' \
	"recipients/contacts/hostile.yaml:1:24: error: invalid address 'bad\\x1b[2J@example.net': invalid character in the local part" \
	"recipients/contacts/x\\x1b[1my.yaml:2:1: error: YAML syntax error: did not find expected node content while parsing a flow node" \
	>"$TMPDIR/expected"
echo "3 campaigns, 60 recipient records: 2 errors, 0 warnings" >>"$TMPDIR/expected"
expect_file "the diagnostics show the control characters" "$TMPDIR/expected" "$TMPDIR/stdout"

rm -f recipients/contacts/hostile.yaml "recipients/contacts/x${ESC}[1my.yaml"
mkdir -p campaigns/hostile
sed 's/^name: .*/name: "Hostile \\e[2J news\\tnow"/' campaigns/product-launch-leads/campaign.yaml \
	>campaigns/hostile/campaign.yaml
run_mailout build
expect_rc "build" 0
expect_no_esc "build"
n=$(grep -rl "$ESC" build/site | wc -l)
[ "$n" -eq 0 ] || fail "$n site file(s) with a raw ESC byte"
grep -q 'Hostile �\[2J news	now</a>' build/site/index.html ||
	fail "the site shows the name with U+FFFD" "build/site/index.html"

run_mailout status
expect_rc "status" 0
expect_no_esc "status"
grep -q '^Hostile \\x1b\[2J news\\tnow  *hostile  ' "$TMPDIR/stdout" ||
	fail "status shows the name with \\x1b and \\t" "$TMPDIR/stdout"
run_mailout status hostile
expect_rc "status hostile" 0
expect_no_esc "status hostile"
[ "$(head -n 1 "$TMPDIR/stdout")" = 'Hostile \x1b[2J news\tnow (hostile)' ] ||
	fail "status hostile: the first line" "$TMPDIR/stdout"

# a command-line argument in an error message
run_mailout status "no${ESC}[2Jpe"
expect_rc "an unknown campaign" 1
expect_no_esc "an unknown campaign"
grep -qF 'no\x1b[2Jpe' "$TMPDIR/stderr" || fail "the unknown campaign shown with \\x1b" "$TMPDIR/stderr"

finish
