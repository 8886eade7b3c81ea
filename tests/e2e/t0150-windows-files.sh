#!/bin/sh
# The example saved as a Windows editor saves it (a UTF-8 byte-order mark
# and CRLF line ends in every YAML and Markdown file) validates, builds and
# previews exactly like the original; a diagnostic keeps its line and
# column.
. "$SRC/tests/e2e/lib.sh"
export MAILOUT_SECRET=e2e-preview-secret-0123456789abcdef0123
export MAILOUT_NOW=2026-12-07T09:00:00Z
make_repo "$TMPDIR/unix" || fail "make_repo"
make_repo "$TMPDIR/windows" || fail "make_repo"
n=0
for f in $(cd "$TMPDIR/windows" && find . -name '*.yaml' -o -name '*.md'); do
	printf '\357\273\277' >"$TMPDIR/converted"
	sed 's/$/\r/' "$TMPDIR/windows/$f" >>"$TMPDIR/converted"
	mv "$TMPDIR/converted" "$TMPDIR/windows/$f"
	n=$((n + 1))
done
[ "$n" -ge 10 ] || fail "only $n files converted"
head -c 3 "$TMPDIR/windows/campaigns/december-update-dach/campaign.yaml" | od -An -tx1 >"$TMPDIR/bom"
expect_output "converted" " ef bb bf" "$TMPDIR/bom"

# mask MAILOUT_REPO FILE: the Message-ID and the MIME boundary are new on
# every run; the repository path differs
mask() {
	sed -e 's/^Message-ID: <[0-9a-f]*@/Message-ID: <X@/' -e 's/=_mailout_[0-9a-f]*/=_mailout_X/g' \
		-e "s|$1|REPO|g" "$2"
}
for tree in unix windows; do
	out=$TMPDIR/out.$tree
	mkdir -p "$out"
	run_mailout --repo "$TMPDIR/$tree" validate
	expect_rc "$tree: validate" 0
	mask "$TMPDIR/$tree" "$TMPDIR/stdout" >"$out/validate"
	run_mailout --repo "$TMPDIR/$tree" build
	expect_rc "$tree: build" 0
	mask "$TMPDIR/$tree" "$TMPDIR/stdout" >"$out/build"
	run_mailout --repo "$TMPDIR/$tree" status --json
	expect_rc "$tree: status" 0
	cp "$TMPDIR/stdout" "$out/status.json"
	for c in december-update-dach december-update-vip product-launch-leads; do
		for format in eml text html; do
			run_mailout --repo "$TMPDIR/$tree" preview "$c" --format "$format"
			expect_rc "$tree: preview $c --format $format" 0
			mask "$TMPDIR/$tree" "$TMPDIR/stdout" >"$out/$c.$format"
		done
	done
done
for f in "$TMPDIR/out.unix"/*; do
	expect_file "windows files: $(basename "$f")" "$f" "$TMPDIR/out.windows/$(basename "$f")"
done
grep -q '^Subject: ' "$TMPDIR/out.windows/december-update-dach.eml" || fail "a preview has a subject"
if grep -q "$(printf '\r')" "$TMPDIR/out.windows/december-update-dach.text"; then
	fail "the text part has CR characters"
fi

# pause and resume edit a key right after the mark, and keep the mark
f=$TMPDIR/windows/campaigns/product-launch-leads/campaign.yaml
{
	printf '\357\273\277status: active\r\n'
	tail -c +4 "$f" | grep -v '^status:'
} >"$TMPDIR/moved" && mv "$TMPDIR/moved" "$f"
run_mailout --repo "$TMPDIR/windows" pause product-launch-leads
expect_rc "pause" 0
head -n 1 "$f" >"$TMPDIR/first"
printf '\357\273\277status: paused\n' >"$TMPDIR/expected.first"
expect_file "pause: the first line" "$TMPDIR/expected.first" "$TMPDIR/first"
grep -c 'status:' "$f" >"$TMPDIR/count"
expect_output "pause: one status key" "1" "$TMPDIR/count"
run_mailout --repo "$TMPDIR/windows" resume product-launch-leads
expect_rc "resume" 0
run_mailout --repo "$TMPDIR/windows" validate
expect_rc "validate after pause and resume" 0

# diagnostics are where they are without the mark and the CRs: the same
# errors on line 1 (after the mark) and further down, in YAML and Markdown
for tree in unix windows; do
	sed -i -e '1s/^\(\xef\xbb\xbf\)*name: [^\r]*/\1name: [x]/' \
		"$TMPDIR/$tree/campaigns/december-update-vip/campaign.yaml"
	sed -i 's/^Hello {{first_name}},/Hello {{first_name}, {{\/vip}}/' "$TMPDIR/$tree/templates/december-update.md"
	run_mailout --repo "$TMPDIR/$tree" validate
	expect_rc "$tree: errors" 1
	mask "$TMPDIR/$tree" "$TMPDIR/stdout" >"$TMPDIR/out.$tree/errors"
	grep ': error: ' "$TMPDIR/stdout" >>"$TMPDIR/errors.$tree"
done
expect_file "windows files: diagnostics" "$TMPDIR/out.unix/errors" "$TMPDIR/out.windows/errors"
grep -c ':1:7: error: ' "$TMPDIR/errors.windows" >"$TMPDIR/count"
expect_output "an error on line 1, column 7" "1" "$TMPDIR/count"
finish
