# Helpers for the end-to-end scripts; source it with
#   . "$SRC/tests/e2e/lib.sh"
# run.sh sets MAILOUT (the binary), SRC (the repository root) and TMPDIR
# (a fresh scratch directory).  A script reports each problem with fail()
# and ends with finish(), which exits 1 when anything failed.

: "${MAILOUT:?run the e2e scripts through tests/e2e/run.sh}"
: "${SRC:?run the e2e scripts through tests/e2e/run.sh}"
: "${TMPDIR:?run the e2e scripts through tests/e2e/run.sh}"

# Every mailout call is cut off after this many seconds: nothing may hang.
E2E_TIMEOUT=${E2E_TIMEOUT:-20}
failures=0

# fail MESSAGE [FILE]: records a failure, with FILE's content as detail.
fail() {
	failures=$((failures + 1))
	echo "not ok: $1"
	if [ -n "${2:-}" ] && [ -s "$2" ]; then
		sed 's/^/  | /' "$2"
	fi
}

# finish: the script's last command.
finish() {
	if [ "$failures" -gt 0 ]; then
		echo "$failures check(s) failed"
		exit 1
	fi
	exit 0
}

# skip REASON: skips the whole script.
skip() {
	echo "$1"
	exit 77
}

# make_repo DIR: a copy of the example content repository (mailout.yaml,
# recipients, templates, campaigns) without build output or logs.
make_repo() {
	mkdir -p "$1" || return 1
	cp -R "$SRC/mailout.yaml" "$SRC/recipients" "$SRC/templates" "$SRC/campaigns" "$1/" ||
		return 1
	for log in "$1"/campaigns/*/log; do
		[ -e "$log" ] && rm -rf "$log"
	done
	return 0
}

# compact_config [DIR]: replaces DIR/mailout.yaml (default: the current
# directory's) by tests/e2e/fixtures/mailout-compact.yaml, the example's
# people and accounts in a few lines whose numbers do not move when the
# example changes.
compact_config() {
	cp "$SRC/tests/e2e/fixtures/mailout-compact.yaml" "${1:-.}/mailout.yaml"
}

# run_mailout ARG...: runs the binary; stdout in $TMPDIR/stdout, stderr in
# $TMPDIR/stderr, the exit code in $rc (124 when it timed out).
run_mailout() {
	timeout "$E2E_TIMEOUT" "$MAILOUT" "$@" >"$TMPDIR/stdout" 2>"$TMPDIR/stderr"
	rc=$?
}

# expect_rc WHAT CODE: the last run_mailout exited with CODE.
expect_rc() {
	if [ "$rc" -ne "$2" ]; then
		fail "$1: exit code $rc, expected $2" "$TMPDIR/stderr"
		return 1
	fi
}

# expect_file WHAT EXPECTED ACTUAL: the two files are the same (diff shown).
expect_file() {
	cmp -s "$2" "$3" && return 0
	if ! diff -u --label expected --label actual "$2" "$3" >"$TMPDIR/diff" 2>&1; then
		fail "$1: output differs (- expected, + actual)" "$TMPDIR/diff"
		return 1
	fi
}

# expect_output WHAT TEXT [FILE]: FILE (default: the last stdout) holds
# exactly TEXT plus a final newline; an empty TEXT means an empty file.
expect_output() {
	if [ -n "$2" ]; then
		printf '%s\n' "$2" >"$TMPDIR/expected"
	else
		: >"$TMPDIR/expected"
	fi
	expect_file "$1" "$TMPDIR/expected" "${3:-$TMPDIR/stdout}"
}

# expect_stderr WHAT TEXT: the last stderr holds exactly TEXT.
expect_stderr() {
	expect_output "$1" "$2" "$TMPDIR/stderr"
}

# expect_contains WHAT TEXT [FILE]: FILE (default: the last stdout) has a
# line equal to TEXT.
expect_contains() {
	if ! grep -qxF -- "$2" "${3:-$TMPDIR/stdout}"; then
		echo "expected a line: $2" >"$TMPDIR/detail"
		echo "in:" >>"$TMPDIR/detail"
		cat "${3:-$TMPDIR/stdout}" >>"$TMPDIR/detail"
		fail "$1: line not found" "$TMPDIR/detail"
		return 1
	fi
}

# now_ms: a monotonic-enough clock in milliseconds.
now_ms() {
	date +%s%3N
}

# push_generated DIR URL ARGS...: a content repository made by
# gen_send_repo.py ARGS in DIR (build/ ignored), committed on main and
# pushed to URL
push_generated() {
	dir=$1 url=$2
	shift 2
	/usr/bin/python3 "$SRC/tests/e2e/fixtures/gen_send_repo.py" "$dir" "$@" &&
		printf 'build/\n' >"$dir/.gitignore" &&
		git -C "$dir" init -q -b main &&
		git -C "$dir" add -A &&
		git -C "$dir" commit -qm "content" &&
		git -C "$dir" push -q "$url" main
}
