#!/bin/sh
# Runs the end-to-end tests: every tests/e2e/tNNNN-*.sh script (or the ones
# whose names contain an argument), each in a fresh scratch directory, with
#   MAILOUT  the absolute path of the binary (default ./mailout; set MAILOUT
#            to test another build, e.g. .objs/san/mailout)
#   SRC      the repository root (the example content lives there)
#   TMPDIR   the scratch directory, removed afterwards unless KEEP=1
# A script passes with exit 0 and is skipped with exit 77.  Prints one line
# per script and a closing line "e2e: N passed, M failed[, K skipped]".

here=$(cd "$(dirname "$0")" && pwd) || exit 2
SRC=$(cd "$here/../.." && pwd) || exit 2

MAILOUT=${MAILOUT:-./mailout}
case $MAILOUT in
/*) ;;
*)
	if [ -e "$MAILOUT" ]; then
		MAILOUT=$(cd "$(dirname "$MAILOUT")" && pwd)/$(basename "$MAILOUT")
	else
		MAILOUT=$SRC/${MAILOUT#./}
	fi
	;;
esac
if [ ! -x "$MAILOUT" ]; then
	echo "e2e: no mailout binary at $MAILOUT (run make first)" >&2
	exit 2
fi
export MAILOUT SRC

base=${TMPDIR:-/tmp}
passed=0 failed=0 skipped=0

for script in "$here"/t[0-9]*.sh; do
	[ -f "$script" ] || continue
	name=$(basename "$script" .sh)
	if [ $# -gt 0 ]; then
		wanted=0
		for pattern in "$@"; do
			case $name in *"$pattern"*) wanted=1 ;; esac
		done
		[ "$wanted" -eq 1 ] || continue
	fi
	scratch=$(mktemp -d "$base/mailout-e2e.XXXXXX") || exit 2
	TMPDIR=$scratch sh "$script" >"$scratch.log" 2>&1
	code=$?
	case $code in
	0)
		passed=$((passed + 1))
		echo "ok $name"
		;;
	77)
		skipped=$((skipped + 1))
		echo "skip $name"
		sed 's/^/    /' "$scratch.log"
		;;
	*)
		failed=$((failed + 1))
		echo "FAILED $name (exit $code)"
		sed 's/^/    /' "$scratch.log"
		;;
	esac
	if [ "${KEEP:-0}" = 1 ]; then
		echo "    kept $scratch"
		mv "$scratch.log" "$scratch/run.log"
	else
		rm -rf "$scratch" "$scratch.log"
	fi
done

summary="e2e: $passed passed, $failed failed"
[ "$skipped" -gt 0 ] && summary="$summary, $skipped skipped"
echo "$summary"
[ "$failed" -eq 0 ]
