#!/bin/sh
# mailout help: the overview and every command's help, as `mailout help X`
# and `mailout X --help` (outside any repository: help needs none), and the
# usage line of a usage error is the help's first line.
. "$SRC/tests/e2e/lib.sh"

expected=$SRC/tests/e2e/expected
commands="validate build status preview proof send retry pause resume merge new import export unsubscribes bounces confirm accounts serve suppressions forget"
mkdir -p "$TMPDIR/nowhere"
cd "$TMPDIR/nowhere" || exit 1

run_mailout help
expect_rc "help" 0
expect_file "help" "$expected/help.txt" "$TMPDIR/stdout"
run_mailout --help
expect_rc "--help" 0
expect_file "--help" "$expected/help.txt" "$TMPDIR/stdout"
run_mailout
expect_rc "no command" 2
expect_output "no command: stdout" ""
expect_file "no command: the overview on stderr" "$expected/help.txt" "$TMPDIR/stderr"

for c in $commands; do
	run_mailout help "$c"
	expect_rc "help $c" 0
	expect_file "help $c" "$expected/help-$c.txt" "$TMPDIR/stdout"
	run_mailout "$c" --help
	expect_rc "$c --help" 0
	expect_file "$c --help" "$expected/help-$c.txt" "$TMPDIR/stdout"
	run_mailout "$c" -h
	expect_rc "$c -h" 0
	expect_file "$c -h" "$expected/help-$c.txt" "$TMPDIR/stdout"
done

# the man pages: the same text as roff, its characters escaped (hyphens,
# quotes, a leading apostrophe, the notes' indented lines kept apart)
run_mailout help --man
expect_rc "help --man" 0
expect_file "help --man" "$expected/man-mailout.1" "$TMPDIR/stdout"
for c in send import; do
	run_mailout help --man "$c"
	expect_rc "help --man $c" 0
	expect_file "help --man $c" "$expected/man-$c.1" "$TMPDIR/stdout"
done
version=$(sed -n 's/^VERSION = //p' "$SRC/Makefile")
for c in $commands; do
	run_mailout help --man "$c"
	expect_rc "help --man $c" 0
	sed -n 2p "$TMPDIR/stdout" >"$TMPDIR/actual"
	echo ".TH MAILOUT-$(echo "$c" | tr a-z A-Z) 1 \"\" \"mailout $version\" \"mailout manual\"" \
		>"$TMPDIR/title"
	expect_file "help --man $c: its title" "$TMPDIR/title" "$TMPDIR/actual"
done
run_mailout help --man sned
expect_rc "help --man of an unknown command" 2
expect_stderr "help --man of an unknown command" "mailout: unknown command 'sned' (did you mean 'send'?)"

# a usage error ends with the usage line of the command's help
REPO=$TMPDIR/repo
make_repo "$REPO" || fail "make_repo"
cd "$REPO" || exit 1
for c in $commands; do
	run_mailout "$c" --no-such-option
	expect_rc "$c --no-such-option" 2
	expect_output "$c --no-such-option: stdout" ""
	{
		echo "mailout: unknown option '--no-such-option'"
		head -n 1 "$expected/help-$c.txt"
	} >"$TMPDIR/usage"
	expect_file "$c --no-such-option" "$TMPDIR/usage" "$TMPDIR/stderr"
done
run_mailout send --dry-rnu
expect_rc "a mistyped option" 2
expect_stderr "a mistyped option" "mailout: unknown option '--dry-rnu' (did you mean '--dry-run'?)
$(head -n 1 "$expected/help-send.txt")"
run_mailout import --skip-invalid=yes contacts x.csv
expect_rc "a value for a switch" 2
expect_stderr "a value for a switch" "mailout: option '--skip-invalid' takes no value
$(head -n 1 "$expected/help-import.txt")"
run_mailout proof december-update-dach --to
expect_rc "a missing value" 2
expect_stderr "a missing value" "mailout: option '--to' needs a value
$(head -n 1 "$expected/help-proof.txt")"
run_mailout export december-update-dach --format csv --format=csv
expect_rc "a value given twice" 2
expect_stderr "a value given twice" "mailout: option '--format' given twice
$(head -n 1 "$expected/help-export.txt")"
run_mailout status -x
expect_rc "a short option" 2
expect_stderr "a short option" "mailout: unknown option '-x'
$(head -n 1 "$expected/help-status.txt")"

finish
