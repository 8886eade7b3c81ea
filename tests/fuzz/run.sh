#!/bin/sh
# Runs libFuzzer targets: run.sh DIR SECONDS JOBS NAME...
# Each target DIR/fuzz_NAME runs for SECONDS, JOBS at a time, starting
# from tests/fuzz/corpus/NAME/ and writing new inputs to
# DIR/corpus-new/NAME/ (the tree is left as it is) and crashes, leaks and
# timeouts to DIR/artifacts/NAME/.  Prints one line per target with its
# executions, then a closing line; fails when any target found something.
set -u
dir=$1 seconds=$2 jobs=$3
shift 3

# The longest input worth trying, per target.
max_len() {
	case $1 in
	mail|yaml|imap) echo 65536 ;;
	csv|markdown) echo 16384 ;;
	template|smtp|oauth) echo 8192 ;;
	*) echo 4096 ;;
	esac
}

run_one() {
	name=$1
	mkdir -p "$dir/corpus-new/$name" "$dir/artifacts/$name"
	"$dir/fuzz_$name" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
		-max_len="$(max_len "$name")" -print_final_stats=1 \
		-artifact_prefix="$dir/artifacts/$name/" \
		"$dir/corpus-new/$name" "tests/fuzz/corpus/$name" >"$dir/$name.log" 2>&1
	echo $? >"$dir/$name.rc"
}

report() {
	name=$1
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$dir/$name.log" | tail -n 1)
	rc=$(cat "$dir/$name.rc")
	if [ "$rc" -eq 0 ]; then
		echo "fuzz: $name: ${execs:-0} executions in ${seconds}s, nothing found"
		passed=$((passed + 1))
	else
		echo "fuzz: $name: FAILED after ${execs:-?} executions (exit $rc): see $dir/$name.log" \
		     "and $dir/artifacts/$name/"
		grep -m 3 -E '^(==[0-9]+==ERROR|SUMMARY|.*runtime error)' "$dir/$name.log" | sed 's/^/  /'
		failed=$((failed + 1))
	fi
}

passed=0 failed=0
set -- "$@"
while [ $# -gt 0 ]; do
	batch=""
	i=0
	while [ $# -gt 0 ] && [ "$i" -lt "$jobs" ]; do
		run_one "$1" &
		batch="$batch $1"
		i=$((i + 1))
		shift
	done
	wait
	for name in $batch; do
		report "$name"
	done
done
echo "fuzz: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
