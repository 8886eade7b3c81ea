#!/bin/sh
# The example content validates; finding the repository; the command line's
# help, version and usage errors.
. "$SRC/tests/e2e/lib.sh"

summary='3 campaigns, 60 recipient records: 0 errors, 0 warnings'
repo=$TMPDIR/repo
make_repo "$repo" || fail "make_repo"

cd "$repo" || exit 1
touch "$TMPDIR/before"
run_mailout validate
expect_rc "validate in the repository" 0
expect_output "validate in the repository" "$summary"
expect_stderr "validate in the repository: stderr" ""
# validate changes nothing in the repository
find . -newer "$TMPDIR/before" >"$TMPDIR/changed"
[ -s "$TMPDIR/changed" ] && fail "validate changed the repository" "$TMPDIR/changed"

mkdir -p "$TMPDIR/elsewhere"
cd "$TMPDIR/elsewhere" || exit 1
run_mailout --repo "$repo" validate
expect_rc "--repo DIR before the command" 0
expect_output "--repo DIR before the command" "$summary"
run_mailout validate --repo "$repo"
expect_rc "--repo DIR after the command" 0
expect_output "--repo DIR after the command" "$summary"
run_mailout validate "--repo=$repo"
expect_rc "--repo=DIR" 0
expect_output "--repo=DIR" "$summary"
run_mailout --repo ../repo validate
expect_rc "--repo with a relative path" 0
expect_output "--repo with a relative path" "$summary"

cd "$repo/templates/signatures" || exit 1
run_mailout validate
expect_rc "validate from a subdirectory" 0
expect_output "validate from a subdirectory" "$summary"

cd "$TMPDIR/elsewhere" || exit 1
if [ -e "$TMPDIR/mailout.yaml" ] || [ -e "$(dirname "$TMPDIR")/mailout.yaml" ] || [ -e /mailout.yaml ]; then
	echo "note: a mailout.yaml above $TMPDIR: the outside-a-repository check is left out"
else
	run_mailout validate
	expect_rc "validate outside a repository" 1
	expect_output "validate outside a repository: stdout" ""
	expect_stderr "validate outside a repository" \
		"mailout: not in a mailout repository (no mailout.yaml here or in any parent); use --repo DIR"
fi
run_mailout --repo "$TMPDIR/elsewhere" validate
expect_rc "--repo without mailout.yaml" 1
expect_stderr "--repo without mailout.yaml" "mailout: no mailout.yaml in '$TMPDIR/elsewhere'"
run_mailout --repo "$TMPDIR/nonexistent" validate
expect_rc "--repo naming no directory" 1
expect_stderr "--repo naming no directory" "mailout: no mailout.yaml in '$TMPDIR/nonexistent'"

# Help lists every command; it needs no repository.
run_mailout --help
expect_rc "--help" 0
expect_contains "--help" "usage: mailout [--repo DIR] COMMAND [OPTIONS]"
for command in validate build status preview proof send retry pause resume merge new import \
	export unsubscribes bounces accounts; do
	if ! grep -q "^  $command  *[a-z]" "$TMPDIR/stdout"; then
		fail "--help does not list '$command'" "$TMPDIR/stdout"
	fi
done
cp "$TMPDIR/stdout" "$TMPDIR/overview"
run_mailout help
expect_rc "help" 0
expect_file "help shows the same overview as --help" "$TMPDIR/overview" "$TMPDIR/stdout"
run_mailout
expect_rc "no command" 2
expect_file "no command shows the overview on stderr" "$TMPDIR/overview" "$TMPDIR/stderr"

version=$(sed -n 's/^VERSION = //p' "$SRC/Makefile")
run_mailout --version
expect_rc "--version" 0
expect_output "--version" "mailout $version"

validate_help=$(cat "$SRC/tests/e2e/expected/help-validate.txt")
run_mailout help validate
expect_rc "help validate" 0
expect_output "help validate" "$validate_help"
run_mailout validate --help
expect_rc "validate --help" 0
expect_output "validate --help" "$validate_help"
run_mailout validate -h
expect_rc "validate -h" 0
expect_output "validate -h" "$validate_help"

# Usage errors: exit 2, with the closest name.
run_mailout valdate
expect_rc "unknown command" 2
expect_output "unknown command: stdout" ""
expect_stderr "unknown command" "mailout: unknown command 'valdate' (did you mean 'validate'?)"
run_mailout help valdate
expect_rc "help for an unknown command" 2
expect_stderr "help for an unknown command" "mailout: unknown command 'valdate' (did you mean 'validate'?)"
run_mailout frobnicate
expect_rc "unknown command without a close match" 2
expect_stderr "unknown command without a close match" \
	"mailout: unknown command 'frobnicate'; 'mailout --help' lists the commands"
cd "$repo" || exit 1
run_mailout validate --chnaged-since x
expect_rc "unknown option" 2
expect_output "unknown option: stdout" ""
expect_stderr "unknown option" "mailout: unknown option '--chnaged-since' (did you mean '--changed-since'?)
usage: mailout validate [--changed-since REV]"
run_mailout validate extra
expect_rc "unexpected argument" 2
expect_stderr "unexpected argument" "mailout: unexpected argument 'extra'
usage: mailout validate [--changed-since REV]"
run_mailout --repo
expect_rc "--repo without a value" 2
expect_stderr "--repo without a value" "mailout: option '--repo' needs a value"

finish
