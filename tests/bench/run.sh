#!/bin/sh
# make bench: the plan's figures against their goals, in one table.  Each
# row is measured in this run next to the single-threaded bare baseline of
# its size (baseline.c: the same recipient files parsed with libyaml alone,
# the same rows inserted into SQLite in one transaction), the baseline and
# mailout's full build alternating.  Prints a Markdown table and writes it
# to build/bench/results.md.
#
#   BENCH_SIZES  run only the rows of these sizes (default: every size in
#                ROWS); a size is 200k, 1m, 1m-c1000 or NAME:RECIPIENTS:CAMPAIGNS
#                (which has the rows of 200k, for trying other sizes)
#   BENCH_RUNS   runs of each measurement (default 3): the shortest wall
#                and CPU time (other work on the machine only adds to them)
#                and the highest memory are shown
#   MAILOUT_JOBS passed on: the parsing threads of mailout (default: one
#                per core); the baseline has one thread
#
# Repositories are generated once into build/bench/NAME (NAME.select holds
# what the baseline needs) and again when gen_repo.py changes.  A build
# includes the status site; the baseline has no equivalent of it.
set -eu

# The rows: LABEL|SIZE|MEASUREMENT|GOAL.  A measurement is one of
#   build     mailout build --rebuild           (against the baseline)
#   validate  mailout validate                  (against the baseline)
#   changed   build after one recipient file of 10,000 records changed
#   noop      build with nothing changed        (changed, noop: against
#                                                the full build of the size)
#   status    mailout status --json after a no-op build
# and a goal a list of ratio<=X (wall time / the baseline's), share<=P (per
# cent of the full build's wall time), ms<=N (wall time) and mib<=N (peak
# memory).  Add a row here; the measurements a size needs are run once.
ROWS='full build, 1M recipients / 30 campaigns|1m|build|ratio<=0.9 mib<=256
full build, 200k / 30|200k|build|ratio<=1.0
full build, 1M / 1,000|1m-c1000|build|ratio<=1.0 mib<=512
validate, 1M / 1,000|1m-c1000|validate|ratio<=1.0 mib<=512
one recipient file of 10,000 records changed, 1M / 1,000|1m-c1000|changed|share<=10
no-op refresh (a build with nothing changed), 1M / 1,000|1m-c1000|noop|share<=2
status --json, 1M / 1,000|1m-c1000|status|ms<=200'
ROWS=${BENCH_ROWS:-$ROWS}

cd "$(dirname "$0")/../.."
bench=$(pwd)/build/bench
mailout=$(pwd)/mailout
baseline=$(pwd)/.objs/default/bench_baseline
runs=${BENCH_RUNS:-3}
mtime=202401010000 # the generator's file times (touch -t), to restore a file

[ -x /usr/bin/time ] || sh tests/deps.sh
make -s --no-print-directory all .objs/default/bench_baseline
mkdir -p "$bench"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

say() { printf 'bench: %s\n' "$*" >&2; }

spec() { # SIZE -> "RECIPIENTS CAMPAIGNS"
	case $1 in
	*:*:*) echo "$1" | awk -F: '{ print $2, $3 }' ;;
	200k) echo "200000 30" ;;
	1m) echo "1000000 30" ;;
	1m-c1000) echo "1000000 1000" ;;
	esac
}

# The rows to run: those of BENCH_SIZES (a NAME:R:C size takes 200k's rows).
rows() {
	echo "$ROWS" | while IFS='|' read -r label size what goal; do
		if [ -z "${BENCH_SIZES:-}" ]; then
			echo "$label|$size|$what|$goal"
			continue
		fi
		for want in $BENCH_SIZES; do
			case $want in
			"$size") echo "$label|$size|$what|$goal" ;;
			*:*:*) [ "$size" = 200k ] && echo "$label (${want%%:*})|$want|$what|$goal" ;;
			esac
		done
	done
}

# Generates build/bench/NAME unless it is there, unchanged, from the same
# generator and arguments.
generate() {
	repo=$bench/$1
	stamp="$(sha1sum < tests/bench/gen_repo.py | cut -c1-40) $2 $3"
	if [ -d "$repo/.git" ] && [ "$(cat "$repo.stamp" 2>/dev/null)" = "$stamp" ] &&
		[ -z "$(git -C "$repo" status --porcelain)" ]; then
		return
	fi
	say "generating $1 ($2 recipients, $3 campaigns)"
	rm -f "$repo.stamp"
	python3 tests/bench/gen_repo.py --recipients "$2" --campaigns "$3" --out "$repo" >&2
	# a content repository is a git repository: its status is part of the cost
	(
		cd "$repo"
		export GIT_AUTHOR_DATE=2024-01-01T00:00:00Z GIT_COMMITTER_DATE=2024-01-01T00:00:00Z
		git init -q
		git add -A
		git -c user.name=bench -c user.email=bench@example.com commit -q -m "synthetic content"
	)
	echo "$stamp" > "$repo.stamp"
}

now_ns() { date +%s%N; }

# measure NAME COMMAND...: runs the command once under /usr/bin/time and
# appends "WALL_S KIB CPU_S" to $tmp/NAME; its output goes to $tmp/out.  A
# failure stops the benchmark.  The wall time is taken around the command
# (to the millisecond), memory and CPU time from /usr/bin/time.
measure() {
	into=$tmp/$1
	shift
	t0=$(now_ns)
	if ! /usr/bin/time -f '%M %U %S' -o "$tmp/time" "$@" > "$tmp/out" 2>&1; then
		say "failed: $*"
		tail -20 "$tmp/out" >&2
		exit 1
	fi
	t1=$(now_ns)
	tail -1 "$tmp/time" | awk -v ns=$((t1 - t0)) \
		'{ printf "%.3f %s %.2f\n", ns / 1e9, $1, $2 + $3 }' >> "$into"
}

# best NAME: "WALL KIB CPU", the shortest wall and CPU time and the highest
# memory of the runs of NAME.
best() {
	awk 'NR == 1 || $1 < t { t = $1 } NR == 1 || $3 < c { c = $3 } $2 > m { m = $2 }
		END { printf "%s %d %s\n", t, m, c }' "$tmp/$1"
}

# The measurements of one size, each run $runs times, into $tmp/SIZE.*.
measure_size() {
	size=$1 whats=$2
	s=$(spec "$size")
	[ -n "$s" ] || { say "unknown size '$size'"; exit 2; }
	name=${size%%:*} n=${s% *} c=${s#* }
	generate "$name" "$n" "$c"
	repo=$bench/$name
	cat "$repo"/recipients/*/*.yaml > /dev/null # the page cache, alike for all
	i=0
	while [ $i -lt "$runs" ]; do
		say "$name: baseline and full build, run $((i + 1)) of $runs"
		measure "$name.baseline" "$baseline" src/schema.sql "$repo" "$repo.select" "$tmp/baseline.db"
		sqlite3 "$tmp/baseline.db" 'SELECT COUNT(*) FROM deliveries' > "$tmp/$name.baseline-rows"
		rm -f "$tmp/baseline.db"
		measure "$name.build" "$mailout" --repo "$repo" build --rebuild
		case " $whats " in *" validate "*)
			say "$name: validate, run $((i + 1))"
			measure "$name.validate" "$mailout" --repo "$repo" validate ;;
		esac
		i=$((i + 1))
	done
	sqlite3 "$repo/build/plan.db" 'SELECT COUNT(*) FROM deliveries' > "$tmp/$name.rows"
	case " $whats " in *" noop "* | *" status "*)
		i=0
		while [ $i -lt "$runs" ]; do
			say "$name: no-op build and status --json, run $((i + 1))"
			measure "$name.noop" "$mailout" --repo "$repo" build
			grep -q '(0 files parsed, 0 log lines' "$tmp/out" ||
				{ say "the no-op build did work: $(head -1 "$tmp/out")"; exit 1; }
			measure "$name.status" "$mailout" --repo "$repo" status --json
			i=$((i + 1))
		done ;;
	esac
	case " $whats " in *" changed "*)
		changed=$(ls "$repo"/recipients/contacts/*.yaml | head -1)
		cp -p "$changed" "$tmp/orig.yaml"
		i=0
		while [ $i -lt "$runs" ]; do
			say "$name: one recipient file changed, run $((i + 1))"
			sed -i "2s/title: /title: Revised $i /" "$changed"
			measure "$name.changed" "$mailout" --repo "$repo" build
			grep -q '(1 file parsed' "$tmp/out" ||
				{ say "unexpected refresh: $(head -1 "$tmp/out")"; exit 1; }
			cp -p "$tmp/orig.yaml" "$changed"
			touch -t "$mtime" "$changed"
			i=$((i + 1))
		done
		git -C "$repo" update-index -q --refresh || true
		"$mailout" --repo "$repo" build > /dev/null ;;
	esac
}

# "12.3 s (CPU 20.1 s), 240 MiB" of "WALL KIB CPU"
cell() {
	echo "$1" | awk '{ printf "%.2f s (CPU %.2f s), %d MiB", $1, $3, ($2 + 1023) / 1024 }'
}

# figure WHAT GOAL MINE BASE FULL: "FIGURE|GOAL TEXT|met or missed"
figure() {
	echo "$2" | awk -v what="$1" -v mine="$3" -v base="$4" -v full="$5" '
	function join(a, b) { return a == "" ? b : a ", " b }
	{
		split(mine, m, " "); split(base, b, " "); split(full, f, " ")
		fig = ""; goal = ""; met = 1
		for (i = 1; i <= NF; i++) {
			split($i, g, "<=")
			if (g[1] == "ratio") {
				r = m[1] / b[1]
				fig = join(fig, sprintf("%.2fx the baseline (CPU %.2fx)", r, m[3] / b[3]))
				goal = join(goal, sprintf("<= %sx", g[2])); met = met && r <= g[2] + 0
			} else if (g[1] == "share") {
				r = 100 * m[1] / f[1]
				fig = join(fig, sprintf("%.1f %% of the full build", r))
				goal = join(goal, sprintf("<= %s %%", g[2])); met = met && r <= g[2] + 0
			} else if (g[1] == "ms") {
				r = 1000 * m[1]
				fig = join(fig, sprintf("%d ms", r))
				goal = join(goal, sprintf("<= %s ms", g[2])); met = met && r <= g[2] + 0
			} else if (g[1] == "mib") {
				r = (m[2] + 1023) / 1024
				fig = join(fig, sprintf("%d MiB", r))
				goal = join(goal, sprintf("<= %s MiB", g[2])); met = met && r <= g[2] + 0
			}
		}
		printf "%s | %s | %s\n", fig, goal, met ? "met" : "missed"
	}'
}

rows > "$tmp/rows"
[ -s "$tmp/rows" ] || { say "no rows for BENCH_SIZES='${BENCH_SIZES:-}'"; exit 2; }
for size in $(cut -d'|' -f2 "$tmp/rows" | awk '!seen[$0]++'); do
	measure_size "$size" "$(awk -F'|' -v s="$size" '$2 == s { print $3 }' "$tmp/rows" | tr '\n' ' ')"
done

{
	echo "# mailout benchmark"
	echo
	echo "$(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //')), $(awk '/MemTotal/ { printf "%d GiB", $2 / 1048576 + 0.5 }' /proc/meminfo) RAM, load average $(cut -d' ' -f1-3 /proc/loadavg) at the end;"
	echo "mailout $(git describe --always --dirty 2>/dev/null || echo '?'), MAILOUT_JOBS=${MAILOUT_JOBS:-unset (one thread per core)}, $(date -u +%Y-%m-%d)."
	echo "The best of $runs runs: wall time, CPU time (user + system) and peak resident memory."
	echo
	echo "| measurement | mailout | single-threaded baseline | figure | goal | met |"
	echo "|---|---|---|---|---|---|"
	while IFS='|' read -r label size what goal; do
		name=${size%%:*}
		mine=$(best "$name.$what") base=$(best "$name.baseline") full=$(best "$name.build")
		fig=$(figure "$what" "$goal" "$mine" "$base" "$full")
		echo "| $label | $(cell "$mine") | $(cell "$base") | $fig |"
	done < "$tmp/rows"
	echo
	for f in "$tmp"/*.rows; do
		name=$(basename "$f" .rows)
		echo "$name: $(cat "$f") deliveries in the plan, $(cat "$tmp/$name.baseline-rows") inserted by the baseline."
	done
} > "$bench/results.md"
cat "$bench/results.md"
