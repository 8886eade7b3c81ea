#!/bin/sh
# Replays the seed corpora through the fuzz targets without libFuzzer:
# replay.sh DIR NAME... runs DIR/replay_NAME on every file of
# tests/fuzz/corpus/NAME/, one process per file so that a crash or a leak
# names its file.  Prints one closing line with the totals.
set -u
dir=$1
shift
passed=0 failed=0
for name in "$@"; do
	for f in tests/fuzz/corpus/"$name"/*; do
		[ -f "$f" ] || continue
		if "$dir/replay_$name" "$f" >"$dir/replay.log" 2>&1; then
			passed=$((passed + 1))
		else
			failed=$((failed + 1))
			echo "FAILED: $name: $f" >&2
			sed -n '1,30p' "$dir/replay.log" >&2
		fi
	done
done
echo "fuzz-replay: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
