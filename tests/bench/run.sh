#!/bin/sh
# make bench: time and peak memory of validate, a full build, a no-op
# refresh and a refresh after one recipient file changed, for synthetic
# repositories of growing size, next to the bare baseline (baseline.c: the
# same files parsed with libyaml alone, the same rows inserted in one
# transaction).  Prints a Markdown table and writes build/bench/results.md.
#
#   BENCH_SIZES  sizes to run (default "10k 100k 1m 1m-c1000"): 10k, 100k
#                and 1m recipients with 30 campaigns, 1m-c1000 with 1,000
#                campaigns, or NAME:RECIPIENTS:CAMPAIGNS
#   BENCH_RUNS   runs of each measurement below 1M recipients (default 3);
#                from 1M recipients the baseline and the full build run
#                twice, the rest once.  The shortest time (other work on
#                the machine only adds to it) and the highest memory are shown.
#
# Repositories are generated once into build/bench/NAME (NAME.select holds
# what the baseline needs) and again when gen_repo.py changes.  The build
# includes the status site; the baseline has no equivalent of it.
set -eu

cd "$(dirname "$0")/../.."
bench=$(pwd)/build/bench
mailout=$(pwd)/mailout
baseline=$(pwd)/.objs/default/bench_baseline
sizes=${BENCH_SIZES:-"10k 100k 1m 1m-c1000"}
runs=${BENCH_RUNS:-3}
mtime=202401010000 # the generator's file times (touch -t), to restore a file

[ -x /usr/bin/time ] || sh tests/deps.sh
make -s --no-print-directory all .objs/default/bench_baseline
mkdir -p "$bench"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

say() { printf 'bench: %s\n' "$*" >&2; }

spec() { # NAME -> "RECIPIENTS CAMPAIGNS"
	case $1 in
	*:*:*) echo "$1" | awk -F: '{ print $2, $3 }' ;;
	10k) echo "10000 30" ;;
	100k) echo "100000 30" ;;
	1m) echo "1000000 30" ;;
	1m-c1000) echo "1000000 1000" ;;
	esac
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

# Runs a command under /usr/bin/time and appends "WALL KIB CPU" to $tmp/m;
# its output goes to $tmp/out.  A failure stops the benchmark.
measure() {
	if ! /usr/bin/time -f '%e %M %U %S' -o "$tmp/time" "$@" > "$tmp/out" 2>&1; then
		say "failed: $*"
		tail -20 "$tmp/out" >&2
		exit 1
	fi
	tail -1 "$tmp/time" | awk '{ printf "%s %s %.2f\n", $1, $2, $3 + $4 }' >> "$tmp/m"
}

# The shortest wall time, the highest KiB and the shortest CPU time of $tmp/m.
summarize() {
	awk 'NR == 1 || $1 < t { t = $1 } NR == 1 || $3 < c { c = $3 } $2 > m { m = $2 }
		END { printf "%s %d %s\n", t, m, c }' "$tmp/m"
	: > "$tmp/m"
}

# "12.3 s, 240 MiB"
cell() {
	awk -v t="$1" -v k="$2" 'BEGIN { printf "%s s, %d MiB", t, (k + 1023) / 1024 }'
}

measured=$tmp/measured
: > "$measured"
: > "$tmp/m"
for size in $sizes; do
	s=$(spec "$size")
	[ -n "$s" ] || { say "unknown size '$size'"; exit 2; }
	name=${size%%:*} n=${s% *} c=${s#* }
	generate "$name" "$n" "$c"
	repo=$bench/$name
	r=$runs rr=$runs # rr: the baseline and the full build
	[ "$n" -lt 1000000 ] || { r=1 rr=2; }
	files=$(ls "$repo"/recipients/*/*.yaml | wc -l)
	cat "$repo"/recipients/*/*.yaml > /dev/null # the page cache, alike for all

	say "$name: baseline"
	i=0; while [ $i -lt $rr ]; do
		measure "$baseline" src/schema.sql "$repo" "$repo.select" "$tmp/baseline.db"
		i=$((i + 1))
	done
	bl=$(summarize)
	bl_rows=$(sqlite3 "$tmp/baseline.db" 'SELECT COUNT(*) FROM deliveries')
	rm -f "$tmp/baseline.db"

	say "$name: validate"
	i=0; while [ $i -lt $r ]; do
		measure "$mailout" --repo "$repo" validate
		i=$((i + 1))
	done
	va=$(summarize)

	say "$name: build --rebuild"
	i=0; while [ $i -lt $rr ]; do
		measure "$mailout" --repo "$repo" build --rebuild
		i=$((i + 1))
	done
	fb=$(summarize)
	plan_rows=$(sqlite3 "$repo/build/plan.db" 'SELECT COUNT(*) FROM deliveries')

	say "$name: no-op build"
	i=0; while [ $i -lt $r ]; do
		measure "$mailout" --repo "$repo" build
		grep -q '(0 files parsed, 0 log lines' "$tmp/out" ||
			{ say "the no-op build did work: $(head -1 "$tmp/out")"; exit 1; }
		i=$((i + 1))
	done
	nb=$(summarize)

	say "$name: one recipient file changed"
	changed=$(ls "$repo"/recipients/contacts/*.yaml | head -1)
	cp -p "$changed" "$tmp/orig.yaml"
	i=0; while [ $i -lt $r ]; do
		sed -i "2s/title: /title: Revised $i /" "$changed"
		measure "$mailout" --repo "$repo" build
		grep -q '(1 file parsed' "$tmp/out" ||
			{ say "unexpected refresh: $(head -1 "$tmp/out")"; exit 1; }
		cp -p "$tmp/orig.yaml" "$changed"
		touch -t "$mtime" "$changed"
		i=$((i + 1))
	done
	git -C "$repo" update-index -q --refresh || true
	ob=$(summarize)

	echo "$name $n $files $c $plan_rows $bl_rows $bl $va $fb $nb $ob" >> "$measured"
done

{
	echo "# mailout benchmark"
	echo
	echo "$(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //')), $(awk '/MemTotal/ { printf "%d GiB", $2 / 1048576 + 0.5 }' /proc/meminfo) RAM; mailout $(git describe --always --dirty 2>/dev/null || echo '?'), $(date -u +%Y-%m-%d)."
	echo "Wall-clock seconds (the shortest of $runs runs below 1M recipients; from 1M, of 2 runs for the"
	echo "baseline and the full build, one run otherwise) and peak resident memory, from /usr/bin/time;"
	echo "the ratio is also given in CPU time (user + system).  \`build\` includes the status site."
	echo
	echo "| size | recipients | files | campaigns | deliveries | baseline | validate | build --rebuild | build / baseline (CPU) | no-op build | no-op / full | one file changed |"
	echo "|---|---:|---:|---:|---:|---|---|---|---:|---|---:|---|"
	while read -r name n files c rows bl_rows blt blm blc vat vam vac fbt fbm fbc nbt nbm nbc obt obm obc; do
		note=""
		[ "$rows" = "$bl_rows" ] || note=" (baseline: $bl_rows)"
		ratio=$(awk -v a="$fbt" -v b="$blt" -v x="$fbc" -v y="$blc" \
			'BEGIN { printf "%.2fx (%.2fx)", a / b, x / y }')
		noop=$(awk -v a="$nbt" -v b="$fbt" 'BEGIN { printf "%.1f %%", 100 * a / b }')
		echo "| $name | $n | $files | $c | $rows$note | $(cell "$blt" "$blm") | $(cell "$vat" "$vam") | $(cell "$fbt" "$fbm") | $ratio | $(cell "$nbt" "$nbm") | $noop | $(cell "$obt" "$obm") |"
	done < "$measured"
	echo
	awk '$2 >= 1000000 {
		mem = $11; if ($14 > mem) mem = $14; if ($17 > mem) mem = $17; if ($20 > mem) mem = $20
		printf "Targets at %s (%d recipients, %d campaigns): build %.2fx the baseline (%.2fx in CPU time; target 1.5x: %s), no-op build %.1f %% of a full build (target 5 %%: %s), peak memory %d MiB (target 512 MiB: %s).\n\n",
			$1, $2, $4, $13 / $7, $15 / $9, $13 / $7 <= 1.5 ? "met" : "missed",
			100 * $16 / $13, $16 / $13 <= 0.05 ? "met" : "missed",
			(mem + 1023) / 1024, mem <= 524288 ? "met" : "missed"
	}' "$measured"
} > "$bench/results.md"
cat "$bench/results.md"
