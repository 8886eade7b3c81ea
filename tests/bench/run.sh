#!/bin/sh
# make bench: time and peak memory of validate, a full build, a no-op
# refresh and a refresh after one recipient file changed, for synthetic
# repositories of growing size, next to the bare baseline (baseline.c: the
# same files parsed with libyaml alone, the same rows inserted in one
# transaction).  Writes build/bench/results.md.
#
#   BENCH_SIZES  sizes to run (default "10k 100k 1m 1m-c1000"); a size is
#                NAME[:RECIPIENTS:CAMPAIGNS], known names: 10k 100k 1m 1m-c1000
#   BENCH_RUNS   runs of each measurement below 1M recipients (default 3;
#                the median time and the highest memory are shown)
#
# Repositories are generated once into build/bench/NAME (with NAME.select
# for the baseline) and generated again when gen_repo.py changes.
set -eu

cd "$(dirname "$0")/../.."
top=$(pwd)
bench=$top/build/bench
mailout=$top/mailout
baseline=$top/.objs/default/bench_baseline
sizes=${BENCH_SIZES:-"10k 100k 1m 1m-c1000"}
runs=${BENCH_RUNS:-3}
mtime=202401010000 # the generator's file times, for restoring a changed file

[ -x /usr/bin/time ] || sh tests/deps.sh
make -s --no-print-directory all .objs/default/bench_baseline
mkdir -p "$bench"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

say() { printf '%s\n' "$*" >&2; }

spec() { # NAME -> "RECIPIENTS CAMPAIGNS"
	case $1 in
	*:*:*) echo "$1" | awk -F: '{ print $2, $3 }' ;;
	10k) echo "10000 30" ;;
	100k) echo "100000 30" ;;
	1m) echo "1000000 30" ;;
	1m-c1000) echo "1000000 1000" ;;
	*) say "bench: unknown size '$1'"; exit 2 ;;
	esac
}

# Generates build/bench/NAME unless it is there from the same generator.
generate() {
	name=$1 n=$2 c=$3 repo=$bench/$1
	stamp="$(cat tests/bench/gen_repo.py site/* 2>/dev/null | sha1sum | cut -c1-40) $n $c"
	if [ -d "$repo" ] && [ -f "$repo.stamp" ] && [ "$(cat "$repo.stamp")" = "$stamp" ] &&
		[ -z "$(git -C "$repo" status --porcelain)" ]; then
		return
	fi
	say "bench: generating $name ($n recipients, $c campaigns)"
	rm -f "$repo.stamp"
	python3 tests/bench/gen_repo.py --recipients "$n" --campaigns "$c" --out "$repo" >&2
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

# Runs a command under /usr/bin/time; prints "SECONDS KIB".  Output goes to
# $tmp/out; a failure stops the benchmark.
measure() {
	if ! /usr/bin/time -f '%e %M' -o "$tmp/time" "$@" > "$tmp/out" 2>&1; then
		say "bench: failed: $*"
		tail -20 "$tmp/out" >&2
		exit 1
	fi
	tail -1 "$tmp/time"
}

# Median seconds and highest KiB of lines "SECONDS KIB".
summarize() {
	sort -n | awk '{ t[NR] = $1; if ($2 > m) m = $2 }
		END { printf "%s %d\n", t[int((NR + 1) / 2)], m }'
}

# "12.3 s, 240 MiB"
cell() {
	awk -v t="$1" -v k="$2" 'BEGIN { printf "%s s, %d MiB", t, (k + 1023) / 1024 }'
}

results=$tmp/rows
: > "$results"
for size in $sizes; do
	set -- $(spec "$size")
	n=$1 c=$2 name=${size%%:*}
	generate "$name" "$n" "$c"
	repo=$bench/$name
	r=$runs
	[ "$n" -ge 1000000 ] && r=1
	cat "$repo"/recipients/*/*.yaml > /dev/null # warm the page cache alike for all
	files=$(ls "$repo"/recipients/*/*.yaml | wc -l)
	say "bench: $name: baseline"
	: > "$tmp/m"
	i=0; while [ $i -lt $r ]; do
		measure "$baseline" src/schema.sql "$repo" "$repo.select" "$tmp/baseline.db" >> "$tmp/m"
		i=$((i + 1))
	done
	bl=$(summarize < "$tmp/m")
	bl_rows=$(sqlite3 "$tmp/baseline.db" 'SELECT COUNT(*) FROM deliveries')
	rm -f "$tmp/baseline.db"
	say "bench: $name: validate"
	: > "$tmp/m"
	i=0; while [ $i -lt $r ]; do
		measure "$mailout" --repo "$repo" validate >> "$tmp/m"
		i=$((i + 1))
	done
	va=$(summarize < "$tmp/m")
	say "bench: $name: build --rebuild"
	: > "$tmp/m"
	i=0; while [ $i -lt $r ]; do
		measure "$mailout" --repo "$repo" build --rebuild >> "$tmp/m"
		i=$((i + 1))
	done
	fb=$(summarize < "$tmp/m")
	rows=$(sqlite3 "$repo/build/plan.db" 'SELECT COUNT(*) FROM deliveries')
	say "bench: $name: no-op build"
	: > "$tmp/m"
	i=0; while [ $i -lt $r ]; do
		measure "$mailout" --repo "$repo" build >> "$tmp/m"
		grep -q '(0 files parsed, 0 log lines' "$tmp/out" ||
			{ say "bench: the no-op build did work: $(cat "$tmp/out")"; exit 1; }
		i=$((i + 1))
	done
	nb=$(summarize < "$tmp/m")
	say "bench: $name: one recipient file changed"
	changed=$(ls "$repo"/recipients/contacts/*.yaml | head -1)
	cp -p "$changed" "$tmp/orig.yaml"
	: > "$tmp/m"
	i=0; while [ $i -lt $r ]; do
		sed -i "2s/title: /title: Revised $i /" "$changed"
		measure "$mailout" --repo "$repo" build >> "$tmp/m"
		grep -q '(1 file parsed' "$tmp/out" ||
			{ say "bench: unexpected refresh: $(cat "$tmp/out")"; exit 1; }
		cp -p "$tmp/orig.yaml" "$changed"
		touch -t "$mtime" "$changed"
		i=$((i + 1))
	done
	git -C "$repo" update-index -q --refresh || true
	ob=$(summarize < "$tmp/m")
	echo "$name $n $files $c $rows $bl_rows $bl $va $fb $nb $ob" >> "$results"
done

# The table, and how the largest size compares with the targets.
{
	echo "# mailout benchmark"
	echo
	echo "Machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //'), $(awk '/MemTotal/ { printf "%d GiB", $2 / 1048576 }' /proc/meminfo) RAM."
	echo "mailout $(git describe --always --dirty 2>/dev/null || echo '?'), $(date -u +%Y-%m-%d)."
	echo "Times are wall-clock seconds (median of $runs runs below 1M recipients, one run at 1M),"
	echo "memory the peak resident set (/usr/bin/time %M)."
	echo
	echo "| size | recipients | files | campaigns | deliveries | baseline | validate | build --rebuild | build/baseline | no-op build | no-op/full | one file changed |"
	echo "|---|---:|---:|---:|---:|---|---|---|---:|---|---:|---|"
	while read -r name n files c rows bl_rows blt blm vat vam fbt fbm nbt nbm obt obm; do
		note=""
		[ "$rows" = "$bl_rows" ] || note=" (baseline: $bl_rows)"
		echo "| $name | $n | $files | $c | $rows$note | $(cell "$blt" "$blm") | $(cell "$vat" "$vam") | $(cell "$fbt" "$fbm") | $(awk -v a="$fbt" -v b="$blt" 'BEGIN { printf "%.2fx", a / b }') | $(cell "$nbt" "$nbm") | $(awk -v a="$nbt" -v b="$fbt" 'BEGIN { printf "%.1f %%", 100 * a / b }') | $(cell "$obt" "$obm") |"
	done < "$results"
	echo
	awk '$2 >= 1000000 {
		mem = $10; if ($12 > mem) mem = $12; if ($14 > mem) mem = $14; if ($16 > mem) mem = $16
		printf "Targets at %s (%d recipients, %d campaigns): build/baseline %.2fx (<= 1.5x: %s), no-op %.1f %% of a full build (<= 5 %%: %s), peak memory %d MiB (<= 512 MiB: %s).\n\n",
			$1, $2, $4, $11 / $7, $11 / $7 <= 1.5 ? "met" : "missed",
			100 * $15 / $11, $15 / $11 <= 0.05 ? "met" : "missed",
			(mem + 1023) / 1024, mem <= 524288 ? "met" : "missed"
	}' "$results"
} > "$bench/results.md"
cat "$bench/results.md"
