#!/bin/sh
# Content comes by pull request: a committed link (or a FIFO, or a folder
# where a file belongs) must not pull a file from outside the repository into
# the site or the mail, nor make send append outside it.  Each trick is
# refused at its path, and the file it points at is neither shown nor changed.
. "$SRC/tests/e2e/lib.sh"
. "$SRC/tests/e2e/smtp.sh"
export MAILOUT_SECRET=e2e-secret-0123456789-0123456789-abcdef
NOW=2026-12-07T09:00

# outside the repository: a file with a marker no content holds
OUT=$TMPDIR/outside
mkdir -p "$OUT"
MARKER=token-5f3a9c-outside-the-repository
printf '[credential]\n\ttoken = %s\n' "$MARKER" >"$OUT/target.txt"
TARGET_SUM=$(cksum <"$OUT/target.txt")

commit() {
	git -C "$1" add -A >/dev/null 2>&1 &&
		git -C "$1" -c user.name=Outsider -c user.email=outsider@example.net \
			commit -q --allow-empty -m "$2"
}

BASE=$TMPDIR/base
make_repo "$BASE" || fail "make_repo"
git -C "$BASE" init -q && commit "$BASE" "the example" || fail "git init"
start_smtpd "$TMPDIR/spool" || finish

# the example as it is: everything works, so the refusals below are the tricks'
run_mailout --repo "$BASE" validate
expect_rc "the example validates" 0
run_mailout --repo "$BASE" preview december-update-dach
expect_rc "the example previews" 0
rm -rf "$BASE/build"

# no byte of the target anywhere mailout wrote, and the target unchanged
no_leak() {
	if grep -rqF "$MARKER" "$REPO/build" "$TMPDIR/spool" 2>/dev/null; then
		grep -rlF "$MARKER" "$REPO/build" "$TMPDIR/spool" >"$TMPDIR/leaks" 2>&1
		fail "$1: the target's text was written" "$TMPDIR/leaks"
	fi
	[ "$(cksum <"$OUT/target.txt")" = "$TARGET_SUM" ] || fail "$1: the target was changed"
}

# attempt NAME DIAGNOSTIC SETUP: SETUP (shell code run in a fresh copy of the
# example) is committed; validate exits 1 with DIAGNOSTIC; build, preview and
# send fail; nothing leaks.
attempt() {
	name=$1
	REPO=$TMPDIR/repo-$name
	rm -f "$TMPDIR/spool"/*.eml
	cp -R "$BASE" "$REPO"
	(cd "$REPO" && eval "$3") || fail "$name: setup"
	commit "$REPO" "$name" || fail "$name: commit"
	run_mailout --repo "$REPO" validate
	expect_rc "$name: validate" 1
	expect_contains "$name: validate" "$2"
	run_mailout --repo "$REPO" build
	[ "$rc" -ne 0 ] && [ "$rc" -ne 124 ] || fail "$name: build exit code $rc" "$TMPDIR/stderr"
	no_leak "$name: build"
	run_mailout --repo "$REPO" preview december-update-dach
	[ "$rc" -ne 0 ] && [ "$rc" -ne 124 ] || fail "$name: preview exit code $rc" "$TMPDIR/stderr"
	grep -qF "$MARKER" "$TMPDIR/stdout" "$TMPDIR/stderr" && fail "$name: preview shows the target"
	run_mailout --repo "$REPO" send --now "$NOW" --for 1d --sink "smtp://127.0.0.1:$SMTPD_PORT"
	[ "$rc" -ne 0 ] && [ "$rc" -ne 124 ] || fail "$name: send exit code $rc" "$TMPDIR/stderr"
	no_leak "$name: send"
	ls "$TMPDIR/spool"/*.eml >/dev/null 2>&1 && fail "$name: send sent mail"
}

A="is a symbolic link; content files must be regular files"
D="is a symbolic link; content folders must be real directories"

attempt template "templates/december-update.md: error: $A" \
	'rm templates/december-update.md && ln -s "$OUT/target.txt" templates/december-update.md'
# the CI token sits in .git/config
attempt signature "templates/signatures/alice.md: error: $A" \
	'git config credential.token "$MARKER" &&
	 rm templates/signatures/alice.md && ln -s ../../.git/config templates/signatures/alice.md'
attempt layout "templates/layout.html: error: $A" \
	'ln -s "$OUT/target.txt" templates/layout.html'
attempt recipients "recipients/contacts/emea.yaml: error: $A" \
	'rm recipients/contacts/emea.yaml && ln -s "$OUT/target.txt" recipients/contacts/emea.yaml'
attempt config "mailout.yaml: error: $A" \
	'cp mailout.yaml "$OUT/mailout.yaml" && rm mailout.yaml && ln -s "$OUT/mailout.yaml" mailout.yaml'
attempt segments "recipients/segments.yaml: error: $A" \
	'rm recipients/segments.yaml && ln -s "$OUT/target.txt" recipients/segments.yaml'
attempt suppressions "recipients/suppressions.tsv: error: $A" \
	'rm recipients/suppressions.tsv && ln -s "$OUT/target.txt" recipients/suppressions.tsv'
attempt campaign "campaigns/december-update-dach/campaign.yaml: error: $A" \
	'rm campaigns/december-update-dach/campaign.yaml &&
	 ln -s "$OUT/target.txt" campaigns/december-update-dach/campaign.yaml'
attempt log "campaigns/december-update-dach/log/alice-a.tsv: error: $A" \
	'mkdir campaigns/december-update-dach/log &&
	 ln -s "$OUT/target.txt" campaigns/december-update-dach/log/alice-a.tsv'
mkdir -p "$OUT/logs"
attempt log-folder "campaigns/december-update-dach/log: error: $D" \
	'ln -s "$OUT/logs" campaigns/december-update-dach/log'
[ -z "$(ls -A "$OUT/logs")" ] || fail "log-folder: send wrote into the linked folder"
attempt commands "campaigns/december-update-dach/commands.tsv: error: $A" \
	'ln -s "$OUT/target.txt" campaigns/december-update-dach/commands.tsv'
cp -R "$BASE/templates" "$OUT/templates"
attempt templates-folder "templates: error: $D" \
	'rm -r templates && ln -s "$OUT/templates" templates'
cp -R "$BASE/recipients/contacts" "$OUT/contacts"
attempt recipients-folder "recipients/contacts: error: $D" \
	'rm -r recipients/contacts && ln -s "$OUT/contacts" recipients/contacts'
cp -R "$BASE/campaigns/december-update-dach" "$OUT/campaign"
attempt campaign-folder "campaigns/december-update-dach: error: $D" \
	'rm -r campaigns/december-update-dach && ln -s "$OUT/campaign" campaigns/december-update-dach'
attempt directory "templates/signatures/alice.md: error: is a directory; content files must be regular files" \
	'rm templates/signatures/alice.md && mkdir templates/signatures/alice.md &&
	 cp "$OUT/target.txt" templates/signatures/alice.md/x'
# a FIFO cannot be committed, but a checkout may hold one: nothing blocks on it
attempt fifo "recipients/leads/pipe.yaml: error: is a FIFO; content files must be regular files" \
	'mkfifo recipients/leads/pipe.yaml'

# the status site's theme is content too
REPO=$TMPDIR/repo-theme
cp -R "$BASE" "$REPO"
mkdir "$REPO/site" && ln -s "$OUT/target.txt" "$REPO/site/page.html"
commit "$REPO" "theme"
run_mailout --repo "$REPO" build
expect_rc "theme: build" 1
expect_contains "theme: build" "site/page.html: error: $A" "$TMPDIR/stderr"
no_leak "theme"

# a committed build folder that leads outside is not written through
mkdir -p "$OUT/build"
REPO=$TMPDIR/repo-build
cp -R "$BASE" "$REPO"
ln -s "$OUT/build" "$REPO/build"
commit "$REPO" "build"
run_mailout --repo "$REPO" build
expect_rc "build folder: build" 1
expect_contains "build folder: build" "build: error: $D" "$TMPDIR/stderr"
run_mailout --repo "$REPO" send --now "$NOW" --for 1d --sink "smtp://127.0.0.1:$SMTPD_PORT"
[ "$rc" -ne 0 ] && [ "$rc" -ne 124 ] || fail "build folder: send exit code $rc" "$TMPDIR/stderr"
[ -z "$(ls -A "$OUT/build")" ] || fail "build folder: written through the link"
# nor a plan file in a real one
REPO=$TMPDIR/repo-plan
cp -R "$BASE" "$REPO"
mkdir "$REPO/build" && ln -s "$OUT/target.txt" "$REPO/build/plan.db"
commit "$REPO" "plan"
run_mailout --repo "$REPO" build
expect_rc "plan file: build" 1
expect_contains "plan file: build" "build/plan.db: error: $A" "$TMPDIR/stderr"
no_leak "plan file"

# --out is a person's choice: a link there is followed
ln -s "$OUT/build" "$TMPDIR/out-link"
run_mailout --repo "$BASE" build --out "$TMPDIR/out-link"
expect_rc "build --out through a link" 0
[ -f "$OUT/build/plan.db" ] || fail "build --out: no plan in the linked folder"

stop_smtpd
finish
