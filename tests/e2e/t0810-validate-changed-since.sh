#!/bin/sh
# validate --changed-since REV: every problem is reported as before; those in
# files changed since REV (committed on the branch, staged, unstaged or
# untracked) say so at the end of their line, and the summary counts them.
. "$SRC/tests/e2e/lib.sh"

# git for the fixtures, without the user's configuration
HOME=$TMPDIR
GIT_CONFIG_NOSYSTEM=1
export HOME GIT_CONFIG_NOSYSTEM
git_q() {
	git -c user.name=Test -c user.email=test@example.com "$@" >/dev/null 2>&1
}

repo=$TMPDIR/repo
make_repo "$repo" || fail "make_repo"
cd "$repo" || exit 1

if git -C "$repo" rev-parse --git-dir >/dev/null 2>&1; then
	echo "note: $TMPDIR is inside a git repository: the outside-git check is left out"
else
	run_mailout validate --changed-since main
	expect_rc "outside a git repository" 1
	expect_output "outside a git repository: stdout" ""
	expect_stderr "outside a git repository" "mailout: '$repo' is not in a git repository"
fi

# main: the example plus a contact file with a bad address (an old problem)
echo '- { id: c-9001, email: old..bad@example.net, owner: alice }' >recipients/contacts/old.yaml
git_q init -b main . && git_q add -A && git_q commit -m example || fail "git init"

run_mailout validate --changed-since main
expect_rc "nothing changed" 1
expect_output "nothing changed" "recipients/contacts/old.yaml:1:24: error: invalid address 'old..bad@example.net': misplaced '.' in the local part
3 campaigns, 60 recipient records: 1 error, 0 warnings, 0 in changed files"

# the branch: a new campaign with a misspelt template, committed; a new
# contact file, untracked; main moves on meanwhile with a change of its own
git_q checkout -b change || fail "git checkout"
mkdir campaigns/broken
cat >campaigns/broken/campaign.yaml <<'YAML'
name: Broken campaign
template: decmber-update
recipient_type: contacts
owner: alice
start: 2026-12-01
YAML
git_q add campaigns/broken && git_q commit -m "a broken campaign" || fail "git commit"
git_q checkout main && echo '- { id: c-9002, email: main..only@example.net, owner: alice }' \
	>recipients/contacts/main-only.yaml && git_q add -A && git_q commit -m "main moves" &&
	git_q checkout change || fail "main moves on"
echo '- { id: c-9003, email: new..bad@example.net, owner: alice }' >recipients/contacts/new.yaml

run_mailout validate --changed-since main
expect_rc "a change with problems" 1
expect_output "a change with problems" "campaigns/broken/campaign.yaml:2:11: error: unknown template 'decmber-update' (no templates/decmber-update.md) (changed since main)
recipients/contacts/new.yaml:1:24: error: invalid address 'new..bad@example.net': misplaced '.' in the local part (changed since main)
recipients/contacts/old.yaml:1:24: error: invalid address 'old..bad@example.net': misplaced '.' in the local part
4 campaigns, 60 recipient records: 3 errors, 0 warnings, 2 in changed files"
expect_stderr "a change with problems: stderr" ""

# every line but the summary still starts with path:line:col:
grep -v '^[^ :]*:[0-9]*:[0-9]*: \(error\|warning\): ' "$TMPDIR/stdout" >"$TMPDIR/odd"
expect_output "parseable lines" "4 campaigns, 60 recipient records: 3 errors, 0 warnings, 2 in changed files" "$TMPDIR/odd"

# without the option nothing is marked
run_mailout validate
expect_rc "without --changed-since" 1
expect_output "without --changed-since" "campaigns/broken/campaign.yaml:2:11: error: unknown template 'decmber-update' (no templates/decmber-update.md)
recipients/contacts/new.yaml:1:24: error: invalid address 'new..bad@example.net': misplaced '.' in the local part
recipients/contacts/old.yaml:1:24: error: invalid address 'old..bad@example.net': misplaced '.' in the local part
4 campaigns, 60 recipient records: 3 errors, 0 warnings"

# the content repository may be a directory of the git repository
mono=$TMPDIR/mono
make_repo "$mono/mailout" || fail "make_repo mono"
cd "$mono" || exit 1
echo 'other project' >README
git_q init -b main . && git_q add -A && git_q commit -m mono && git_q checkout -b change ||
	fail "git init mono"
cp -R "$repo/campaigns/broken" mailout/campaigns/ && echo 'changed too' >README
cd "$TMPDIR" || exit 1
run_mailout --repo mono/mailout validate --changed-since main
expect_rc "content below the git root" 1
expect_output "content below the git root" "campaigns/broken/campaign.yaml:2:11: error: unknown template 'decmber-update' (no templates/decmber-update.md) (changed since main)
4 campaigns, 60 recipient records: 1 error, 0 warnings, 1 in changed files"

run_mailout --repo "$repo" validate --changed-since no-such-ref
expect_rc "unknown revision" 1
expect_output "unknown revision: stdout" ""
if ! grep -q "^mailout: unknown revision 'no-such-ref'" "$TMPDIR/stderr"; then
	fail "unknown revision: message" "$TMPDIR/stderr"
fi

finish
