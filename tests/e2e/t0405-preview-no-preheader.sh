#!/bin/sh
# A template without a preheader: preview (each format) and build work, the
# text part is the same as with one, and the HTML part only lacks the
# hidden preheader block.
. "$SRC/tests/e2e/lib.sh"

REPO=$TMPDIR/repo
make_repo "$REPO" || fail "make_repo"
cd "$REPO" || exit 1
export MAILOUT_NOW=2026-12-03T09:30:00Z
export MAILOUT_SECRET=e2e-preheader-secret-0123456789abcdef0123

for format in text html; do
	run_mailout preview product-launch-leads --format "$format"
	expect_rc "preview --format $format with a preheader" 0
	cp "$TMPDIR/stdout" "$TMPDIR/with.$format"
done
sed -i '/^preheader: /d' templates/product-launch.md
grep -q preheader templates/product-launch.md && fail "the preheader is still in the template"

for format in text html eml; do
	run_mailout preview product-launch-leads --format "$format"
	expect_rc "preview --format $format without a preheader" 0
	[ -s "$TMPDIR/stderr" ] && fail "preview --format $format: no diagnostics expected" "$TMPDIR/stderr"
	cp "$TMPDIR/stdout" "$TMPDIR/without.$format"
done
expect_file "the text part does not depend on the preheader" "$TMPDIR/with.text" "$TMPDIR/without.text"
grep -v '^<div style="display:none;max-height:0;max-width:0;overflow:hidden;mso-hide:all;">Every shipment, every status, in one link&#8199;' \
	"$TMPDIR/with.html" >"$TMPDIR/expected.html"
[ "$(wc -l <"$TMPDIR/with.html")" -eq $(($(wc -l <"$TMPDIR/expected.html") + 1)) ] ||
	fail "the HTML part with a preheader has one preheader line" "$TMPDIR/with.html"
expect_file "the HTML part without a preheader" "$TMPDIR/expected.html" "$TMPDIR/without.html"

run_mailout build
expect_rc "build without a preheader" 0
[ -s "$TMPDIR/stderr" ] && fail "build: no diagnostics expected" "$TMPDIR/stderr"
[ -f build/site/index.html ] || fail "build wrote no site" "$TMPDIR/stdout"

finish
