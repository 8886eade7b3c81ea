#!/bin/sh
# The hardening rules and two linters over every shipped workflow:
# tests/tools/check_workflows.py passes .github/workflows/*.yml,
# deploy/github/send-sharded.yml and action.yml (when the repository has
# one), its list of bot-written files agrees with the C sources, and it
# reports exactly the expected violations of the old workflows and of the
# other fixtures (tests/tools/fixtures/workflows/expected.txt); then
# tests/tools/lint-workflows.sh (actionlint and action-validator, offline)
# passes the same files and finds the mistakes of its own fixtures.
. "$SRC/tests/e2e/lib.sh"

python=
for p in /usr/bin/python3 python3; do
	if "$p" -c 'import yaml' >/dev/null 2>&1; then
		python=$p
		break
	fi
done
[ -n "$python" ] || skip "PyYAML is not installed (tests/deps.sh installs python3-yaml)"
check="$python $SRC/tests/tools/check_workflows.py"
fixtures=$SRC/tests/tools/fixtures/workflows

cd "$SRC" || exit 1
set -- .github/workflows/*.yml deploy/github/send-sharded.yml
[ -f action.yml ] && set -- "$@" action.yml
shipped="$*"

# --- the rules ------------------------------------------------------------------
# shellcheck disable=SC2086
$check $shipped >"$TMPDIR/shipped" 2>&1
rc=$?
[ "$rc" -eq 0 ] && [ ! -s "$TMPDIR/shipped" ] ||
	fail "check_workflows.py on the shipped workflows: exit $rc" "$TMPDIR/shipped"

$check --source "$SRC" >"$TMPDIR/source" 2>&1
rc=$?
[ "$rc" -eq 0 ] && [ ! -s "$TMPDIR/source" ] ||
	fail "check_workflows.py --source: exit $rc" "$TMPDIR/source"

# the old workflows and the other fixtures: exactly these violations
(
	cd "$fixtures" || exit 1
	$check old-ci.yml old-pages.yml old-send.yml old-validate.yml old-send-sharded.yml
	echo "exit $?"
	$check bad-misc.yml bad-paths.yml bad-parse.yml action/action.yml
	echo "exit $?"
) >"$TMPDIR/fixtures" 2>&1
expect_file "check_workflows.py on the fixtures" "$fixtures/expected.txt" "$TMPDIR/fixtures"

# a state file the sources gain and the list lacks
mkdir -p "$TMPDIR/tree/src" "$TMPDIR/tree/cmd"
cp "$SRC"/src/*.h "$SRC"/src/log.c "$TMPDIR/tree/src/"
echo '#define REPLIES_STATE_FILE "recipients/replies-sync.tsv"' >>"$TMPDIR/tree/src/mailsync.h"
line=$(wc -l <"$TMPDIR/tree/src/mailsync.h")
(cd "$TMPDIR/tree" && $check --source . >"$TMPDIR/drift" 2>&1; echo "exit $?" >>"$TMPDIR/drift")
printf '%s\n' "./src/mailsync.h:$line: 'recipients/replies-sync.tsv' is written by mailout and missing from BOT_FILES of check_workflows.py" \
	"exit 1" >"$TMPDIR/drift.expected"
expect_file "check_workflows.py --source with a new state file" "$TMPDIR/drift.expected" "$TMPDIR/drift"

# --- the linters ----------------------------------------------------------------
for tool in node npm; do
	command -v "$tool" >/dev/null 2>&1 ||
		skip "'$tool' is missing (tests/deps.sh installs it): the linters did not run"
done
lint="sh $SRC/tests/tools/lint-workflows.sh"
# shellcheck disable=SC2086
$lint $shipped >"$TMPDIR/lint" 2>"$TMPDIR/lint.err" # stderr: npm installing
rc=$?
[ "$rc" -eq 0 ] && [ ! -s "$TMPDIR/lint" ] || fail "lint-workflows.sh on $shipped: exit $rc" "$TMPDIR/lint"

cd "$fixtures" || exit 1
$lint lint-bad.yml lint-action/action.yml >"$TMPDIR/lint-bad" 2>&1
rc=$?
[ "$rc" -eq 1 ] || fail "lint-workflows.sh on its fixtures: exit $rc, expected 1" "$TMPDIR/lint-bad"
grep '^lint-bad.yml:[0-9]' "$TMPDIR/lint-bad" | sed 's/\. expected one of .*\[/ [/' >"$TMPDIR/actionlint"
cat >"$TMPDIR/actionlint.expected" <<'OUT'
lint-bad.yml:12:24: "github.event.pull_request.title" is potentially untrusted. avoid using it directly in inline scripts. instead, pass it through an environment variable. see https://docs.github.com/en/actions/security-for-github-actions/security-guides/security-hardening-for-github-actions for more details [expression]
lint-bad.yml:13:24: property "nothing" is not defined in object type {} [expression]
lint-bad.yml:14:3: "steps" section is missing in job "broken" [syntax-check]
lint-bad.yml:16:5: unexpected key "stepz" for "job" section [syntax-check]
OUT
expect_file "actionlint on lint-bad.yml" "$TMPDIR/actionlint.expected" "$TMPDIR/actionlint"
# action-validator: the workflow's unknown key, and the action without runs.using
sed -n '/^lint-bad.yml: action-validator:$/,/^[^ {}]/p' "$TMPDIR/lint-bad" >"$TMPDIR/validator-workflow"
grep -q "\"detail\": \"Additional property 'stepz' is not allowed\"" "$TMPDIR/validator-workflow" ||
	fail "action-validator did not find the workflow's unknown key 'stepz'" "$TMPDIR/lint-bad"
sed -n '/^lint-action\/action.yml: action-validator:$/,$p' "$TMPDIR/lint-bad" >"$TMPDIR/validator-action"
grep -q '"actionType": "action"' "$TMPDIR/validator-action" &&
	grep -q '"path": "/runs/using",' "$TMPDIR/validator-action" ||
	fail "action-validator did not find the action's missing runs.using" "$TMPDIR/lint-bad"
if grep -q '^lint-action/action.yml:[0-9]' "$TMPDIR/lint-bad"; then
	fail "actionlint read the action as a workflow" "$TMPDIR/lint-bad"
fi
finish
