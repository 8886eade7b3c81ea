#!/bin/sh
# The status site built incrementally is the site built from scratch: after
# each kind of change that alters pages (a campaign file, a template, a
# signature, the layout, segments, suppressions, mailout.yaml's organisation
# and departments, outcomes of real sends, an unconfirmed claim growing
# older than an hour, a day boundary, a command, the theme, a git commit,
# uncommitted changes), `build` keeps the campaign pages made from the same
# inputs, makes the others, and its site equals byte for byte the site of
# `build --rebuild` at the same moment, but for the build's stamps (time
# and commit), which a kept page keeps from when it was made.
. "$SRC/tests/e2e/lib.sh"
. "$SRC/tests/e2e/smtp.sh"
export MAILOUT_SECRET=e2e-secret-0123456789-0123456789-abcdef
export GIT_AUTHOR_NAME=test GIT_AUTHOR_EMAIL=test@example.com
export GIT_COMMITTER_NAME=test GIT_COMMITTER_EMAIL=test@example.com
REPO=$TMPDIR/repo
SITE=$REPO/build/site
make_repo "$REPO" || fail "scratch repository"
export MAILOUT_NOW=2026-12-07T09:00:00Z

# stamps DIR: the build's time and commit in every file of DIR replaced by
# markers (the manifest's hashes leave them out the same way)
stamps() {
	find "$1" -type f -exec sed -i -E \
		-e 's/([Uu]pdated) <time datetime="[^"]*">[^<]*<\/time>/\1 <time>STAMP<\/time>/g' \
		-e 's/<code title="[0-9a-f]{40}">[0-9a-f]{7}<\/code>/<code>COMMIT<\/code>/g' {} +
}

# same_site WHAT: build, then build --rebuild elsewhere; the two sites
# must be the same, stamps aside
same_site() {
	run_mailout --repo "$REPO" build
	expect_rc "$1: build" 0
	rm -rf "$TMPDIR/fresh" "$TMPDIR/a" "$TMPDIR/b"
	run_mailout --repo "$REPO" build --rebuild --out "$TMPDIR/fresh"
	expect_rc "$1: build --rebuild" 0
	cp -R "$SITE" "$TMPDIR/a" && cp -R "$TMPDIR/fresh/site" "$TMPDIR/b" || fail "$1: copies"
	stamps "$TMPDIR/a"
	stamps "$TMPDIR/b"
	diff -r "$TMPDIR/a" "$TMPDIR/b" >"$TMPDIR/diff" 2>&1 || fail "$1: the sites differ" "$TMPDIR/diff"
}

inode() {
	ls -i "$SITE/$1" | cut -d' ' -f1
}

# expect_kept WHAT PAGE INODE / expect_made WHAT PAGE INODE
expect_kept() {
	[ "$(inode "$2")" = "$3" ] || fail "$1: $2 was made again"
}
expect_made() {
	[ "$(inode "$2")" != "$3" ] || fail "$1: $2 was kept"
}

DACH=campaigns/december-update-dach/index.html
DACHP=campaigns/december-update-dach/preview.html
VIP=campaigns/december-update-vip/index.html
LEADS=campaigns/product-launch-leads/index.html
LEADSP=campaigns/product-launch-leads/preview.html

same_site "first build"
[ -f "$SITE/$DACHP" ] || fail "no preview"
grep -q '^#mailout-site-manifest v2$' "$SITE/.manifest" || fail "manifest version"
# every campaign page records what it was made from
grep -c '^[0-9a-f]\{16\} [0-9]* [0-9a-f]\{16\} campaigns/[a-z-]*/\(index\|preview\)\.html$' \
	"$SITE/.manifest" | grep -qx 6 || fail "inputs of the campaign pages" "$SITE/.manifest"
grep ' 0000000000000000 campaigns/' "$SITE/.manifest" >"$TMPDIR/none" && fail "pages without inputs" "$TMPDIR/none"

# nothing changed: the same folder, every file as it was
top=$(inode .)
same_site "no change"
[ "$(inode .)" = "$top" ] || fail "a no-op build replaced the site"

dach=$(inode $DACH) leads=$(inode $LEADS) leadsp=$(inode $LEADSP)
sed -i 's/^name: December update (DACH contacts)/name: December news (DACH contacts)/' \
	"$REPO/campaigns/december-update-dach/campaign.yaml"
same_site "campaign file"
expect_made "campaign file" $DACH "$dach"
expect_kept "campaign file" $LEADS "$leads"
expect_kept "campaign file" $LEADSP "$leadsp"
grep -q 'December news (DACH contacts)' "$SITE/$DACH" || fail "campaign file: the new name"

dachp=$(inode $DACHP)
printf '\nOne more paragraph for everybody.\n' >>"$REPO/templates/december-update.md"
same_site "template"
expect_made "template" $DACHP "$dachp"
expect_kept "template" $LEADS "$leads"
grep -q 'One more paragraph' "$SITE/$DACHP" || fail "template: the new paragraph"

dachp=$(inode $DACHP)
sed -i 's/Account Executive/Senior Account Executive/' "$REPO/templates/signatures/dana.md"
same_site "signature"
expect_made "signature" $LEADSP "$leadsp"
expect_kept "signature" $DACHP "$dachp"

printf '<!DOCTYPE html>\n<html><head><title>{{subject}}</title></head><body>{{{content}}}</body></html>\n' \
	>"$REPO/templates/layout.html"
same_site "layout"
rm "$REPO/templates/layout.html"
same_site "layout removed"

sed -i 's/^dach-customers: { country: \[DE, AT, CH\]/dach-customers: { country: [DE, AT]/' \
	"$REPO/recipients/segments.yaml"
same_site "segment"

printf 'sofia.hernandez@hernandez-dist.test\tunsubscribed\t2026-12-06T10:00:00Z\tmanual\n' \
	>>"$REPO/recipients/suppressions.tsv"
same_site "suppression"

sed -i 's/^  postal_address: "Beispielstrasse 1,/  postal_address: "Beispielstrasse 2,/' "$REPO/mailout.yaml"
grep -q 'Beispielstrasse 2' "$REPO/mailout.yaml" || fail "postal address not changed"
same_site "postal address"
grep -q 'Beispielstrasse 2' "$SITE/$LEADSP" || fail "postal address: the preview's footer"
sed -i 's/^  name: Example GmbH /  name: Example AG   /' "$REPO/mailout.yaml"
same_site "organisation name"
sed -i 's/{ id: americas, name: Sales Americas }/{ id: americas, name: Sales North America }/' \
	"$REPO/mailout.yaml"
same_site "department name"

# real sends: some accepted, some retried later, one claim never answered
start_smtpd "$TMPDIR/spool" --fault-file "$TMPDIR/faults" --drop-data 3 || finish
printf '*@example.net=451 4.3.0 Try again later\n*@alpenblick.test=550 5.1.1 No such user\n' >"$TMPDIR/faults"
run_mailout --repo "$REPO" send --drain --now 2026-12-07T09:30 --sink "smtp://127.0.0.1:$SMTPD_PORT"
expect_rc "send" 0
export MAILOUT_NOW=2026-12-07T09:40:00Z
leads=$(inode $LEADS)
same_site "sends"
expect_made "sends" $LEADS "$leads"
grep -q 'sent' "$REPO"/campaigns/*/log/*.tsv || fail "sends: nothing was sent"
grep -q '451' "$REPO"/campaigns/*/log/*.tsv || fail "sends: nothing was retried"
grep -q "	failed	.*550" "$REPO"/campaigns/*/log/*.tsv || fail "sends: nothing failed"

: >"$TMPDIR/faults"
run_mailout --repo "$REPO" send --drain --now 2026-12-07T11:00 --sink "smtp://127.0.0.1:$SMTPD_PORT"
expect_rc "second send" 0
export MAILOUT_NOW=2026-12-07T11:05:00Z
same_site "more sends"
stop_smtpd

# an hour later the claims without an answer are an alert
export MAILOUT_NOW=2026-12-07T12:30:00Z
same_site "an hour later"

# the next day nothing was sent today
export MAILOUT_NOW=2026-12-08T08:00:00Z
same_site "the next day"

run_mailout --repo "$REPO" pause product-launch-leads
expect_rc "pause" 0
same_site "pause"

mkdir -p "$REPO/site"
sed 's/mailing status/mailing overview/' "$SRC/site/page.html" >"$REPO/site/page.html"
same_site "theme"
grep -q 'mailing overview' "$SITE/$VIP" || fail "theme: the new frame"

printf 'build/\n' >"$REPO/.gitignore"
git -C "$REPO" init -q -b main && git -C "$REPO" add -A && git -C "$REPO" commit -qm content ||
	fail "git"
same_site "a commit"
printf '# a comment\n' >>"$REPO/recipients/segments.yaml"
same_site "uncommitted changes"
grep -q 'with uncommitted changes' "$SITE/$VIP" || fail "uncommitted changes: the footer"
finish
