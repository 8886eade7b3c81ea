#!/bin/sh
# make bench, import part: `mailout import` of a CRM export of
# BENCH_IMPORT_ROWS contacts (default 200,000; gen_import_csv.py) into a
# scratch repository, next to Python's csv module writing the same YAML
# (import_baseline.py, its output compared byte for byte), in the same
# run: the shortest wall time of BENCH_RUNS runs (default 3) and the
# highest peak resident memory, from /usr/bin/time.  Appends a table to
# build/bench/results.md.
set -eu
top=$(pwd)
out=$top/build/bench
mkdir -p "$out"
n=${BENCH_IMPORT_ROWS:-200000}
runs=${BENCH_RUNS:-3}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

csv=$out/import-$n.csv
[ -s "$csv" ] || /usr/bin/python3 tests/bench/gen_import_csv.py "$n" "$csv"
repo=$tmp/repo
mkdir -p "$repo/recipients/contacts"
cp tests/e2e/fixtures/mailout-compact.yaml "$repo/mailout.yaml"
cat "$csv" > /dev/null # the page cache, alike for both

# measure NAME COMMAND...: appends "WALL KIB" to $tmp/NAME.
measure() {
	name=$1
	shift
	if ! /usr/bin/time -f '%e %M' -o "$tmp/time" "$@" > "$tmp/out" 2>&1; then
		echo "bench: failed: $*" >&2
		tail -20 "$tmp/out" >&2
		exit 1
	fi
	tail -1 "$tmp/time" >> "$tmp/$name"
}

i=0
while [ $i -lt $runs ]; do
	rm -f "$repo/recipients/contacts/"*.yaml
	measure mailout "$top/mailout" --repo "$repo" import contacts "$csv" --into bench
	grep -q "^imported $n records into" "$tmp/out" || { cat "$tmp/out" >&2; exit 1; }
	measure python /usr/bin/python3 tests/bench/import_baseline.py "$csv" "$tmp/bench.yaml"
	i=$((i + 1))
done
# import_baseline.py names the CSV as mailout does
sed -i '1s/.*/# Imported from '"$(basename "$csv")"' with mailout import./' "$tmp/bench.yaml"
same=identical
cmp -s "$tmp/bench.yaml" "$repo/recipients/contacts/bench.yaml" || same=DIFFERENT

best() { # "WALL MIB" of the runs in $tmp/$1
	awk 'NR == 1 || $1 < t { t = $1 } $2 > m { m = $2 } END { printf "%s s, %d MiB", t, (m + 1023) / 1024 }' "$tmp/$1"
}
{
	echo
	echo "## import"
	echo
	echo "$(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg); $n rows, $(du -m "$csv" | cut -f1) MiB of CSV; the YAML written is $same."
	echo
	echo "| rows | mailout import | Python csv, the same YAML |"
	echo "|---:|---|---|"
	echo "| $n | $(best mailout) | $(best python) |"
} > "$tmp/table"
cat "$tmp/table"
cat "$tmp/table" >> "$out/results.md"
[ "$same" = identical ]
