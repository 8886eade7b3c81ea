#!/bin/sh
# Broken repositories: each tests/e2e/validate-broken/NAME/ holds
#   break.sh         run in a fresh copy of the example repository as the
#                    working directory (sourced, with lib.sh's helpers such as
#                    compact_config; any failing command fails the case)
#   expected         the exact stdout of `mailout validate`
#   exit             the expected exit code
#   args             optional: the arguments instead of "validate"
#   expected-stderr  optional: the exact stderr (otherwise it must be empty)
#   max-ms           optional: the run must take less than this many ms of
#                    CPU time (user + system: a busy machine does not count)
# The cases run in E2E_JOBS parallel workers (default: the processors, at
# most 4).  BLESS=1 rewrites expected, exit and expected-stderr from the
# actual runs; review the result with git diff before committing it.
. "$SRC/tests/e2e/lib.sh"

cases=$SRC/tests/e2e/validate-broken

# check_case DIR: runs one case; every problem is printed by fail().
check_case() {
	dir=${1%/}
	name=${dir##*/}
	repo=$TMPDIR/$name
	if ! make_repo "$repo"; then
		fail "$name: make_repo"
		return
	fi
	(
		cd "$repo" || exit 1
		set -e
		. "$dir/break.sh"
	) >"$TMPDIR/break.log" 2>&1
	status=$?
	if [ "$status" -ne 0 ]; then
		fail "$name: break.sh failed (exit $status)" "$TMPDIR/break.log"
		return
	fi
	args=validate
	[ -f "$dir/args" ] && read -r args <"$dir/args"
	cd "$repo" || exit 1
	# shellcheck disable=SC2086
	/usr/bin/time -f '%U %S' -o "$TMPDIR/$name.time" timeout "$E2E_TIMEOUT" "$MAILOUT" $args \
		>"$TMPDIR/stdout" 2>"$TMPDIR/stderr"
	rc=$?
	cd "$TMPDIR" || exit 1
	if [ -f "$dir/max-ms" ]; then
		elapsed=$(tail -n 1 "$TMPDIR/$name.time" | awk '{ printf "%d", ($1 + $2) * 1000 }')
		read -r max <"$dir/max-ms"
		[ "$elapsed" -lt "$max" ] || fail "$name: took $elapsed ms of CPU, more than $max ms"
	fi
	if [ "${BLESS:-0}" = 1 ]; then
		cp "$TMPDIR/stdout" "$dir/expected"
		echo "$rc" >"$dir/exit"
		if [ -s "$TMPDIR/stderr" ]; then
			cp "$TMPDIR/stderr" "$dir/expected-stderr"
		else
			rm -f "$dir/expected-stderr"
		fi
	fi
	if [ ! -f "$dir/expected" ] || [ ! -f "$dir/exit" ]; then
		fail "$name: no expected or exit file"
		return
	fi
	read -r want <"$dir/exit"
	[ "$rc" -eq "$want" ] || fail "$name: exit code $rc, expected $want" "$TMPDIR/stderr"
	expect_file "$name: stdout" "$dir/expected" "$TMPDIR/stdout"
	if [ -f "$dir/expected-stderr" ]; then
		expect_file "$name: stderr" "$dir/expected-stderr" "$TMPDIR/stderr"
	elif [ -s "$TMPDIR/stderr" ]; then
		fail "$name: unexpected stderr" "$TMPDIR/stderr"
	fi
}

jobs=${E2E_JOBS:-$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 1)}
[ "$jobs" -ge 1 ] 2>/dev/null || jobs=1
[ "$jobs" -le 4 ] || jobs=4

# Worker w takes every jobs-th case; each case's report goes to its own file.
mkdir -p "$TMPDIR/reports"
w=0
while [ "$w" -lt "$jobs" ]; do
	(
		TMPDIR=$TMPDIR/worker$w
		mkdir -p "$TMPDIR"
		i=0
		for dir in "$cases"/*/; do
			if [ $((i % jobs)) -eq "$w" ]; then
				name=${dir%/}
				check_case "$dir" >"$TMPDIR/../reports/${name##*/}" 2>&1
			fi
			i=$((i + 1))
		done
	) &
	w=$((w + 1))
done
wait

count=0
for dir in "$cases"/*/; do
	count=$((count + 1))
	name=${dir%/}
	name=${name##*/}
	report=$TMPDIR/reports/$name
	if [ ! -f "$report" ]; then
		fail "$name: not run"
	elif [ -s "$report" ]; then
		failures=$((failures + 1))
		cat "$report"
	fi
done
[ "$count" -ge 35 ] || fail "only $count broken repositories in $cases"
echo "$count broken repositories checked with $jobs worker(s)"
finish
