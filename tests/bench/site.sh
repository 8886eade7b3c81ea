#!/bin/sh
# The status site at 1,000 and 10,000 campaigns (part of make bench):
# generates the repositories (gen_repo.py, 10,000 recipients, kept
# in build/bench/site-N), times a first build (no build/ folder), two
# no-op builds after it (the shorter counts) and two builds after one
# campaign file changed (its name, so its page and the lists change; the
# shorter counts), then measures the index in headless Chromium
# (site.js): first contentful paint, load, the bytes the page loads,
# loading the list's data, a search keystroke to the painted table,
# clearing the search, and sorting.  Run from the repository root after
# `make`:  sh tests/bench/site.sh [CAMPAIGNS...]   (default: 1000 10000)
set -eu
SRC=$(pwd)
bench=$SRC/build/bench
sizes=${*:-"1000 10000"}
mkdir -p "$bench"
[ -f tests/browser/node_modules/playwright-core/package.json ] ||
	(cd tests/browser && npm ci --no-audit --no-fund --loglevel=error)
say() { printf 'bench: %s\n' "$*" >&2; }
pct() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f %%", (b > 0 ? 100 * a / b : 0) }'; }

# wall and CPU seconds of a command: "WALL CPU"
timed() {
	/usr/bin/time -f '%e %U %S' -o "$bench/site.time" "$@" >/dev/null
	awk '{ printf "%s %.2f\n", $1, $2 + $3 }' "$bench/site.time"
}

: > "$bench/site.measured"
for n in $sizes; do
	repo=$bench/site-$n
	stamp="$(sha1sum < tests/bench/gen_repo.py | cut -c1-40) $n"
	if [ "$(cat "$repo.stamp" 2>/dev/null)" != "$stamp" ]; then
		say "generating $n campaigns"
		python3 tests/bench/gen_repo.py --recipients 10000 --campaigns "$n" --out "$repo" >&2
		echo "$stamp" > "$repo.stamp"
	fi
	rm -rf "$repo/build"
	say "$n campaigns: first build"
	first=$(timed ./mailout --repo "$repo" build)
	say "$n campaigns: no-op builds"
	noop1=$(timed ./mailout --repo "$repo" build)
	# a kept file is the same inode in both builds
	find "$repo/build/site" -type f -printf '%i %P\n' | sort > "$bench/site.before"
	noop2=$(timed ./mailout --repo "$repo" build)
	find "$repo/build/site" -type f -printf '%i %P\n' | sort > "$bench/site.after"
	kept=$(comm -12 "$bench/site.before" "$bench/site.after" | wc -l)
	files=$(wc -l < "$bench/site.after")
	say "$n campaigns: one campaign changed"
	one=$repo/campaigns/$(ls "$repo/campaigns" | head -n 1)/campaign.yaml
	sed -i 's/^name: "\(.*\)"$/name: "\1 (changed)"/' "$one"
	changed1=$(timed ./mailout --repo "$repo" build)
	grep -q '^name: ".* (changed)"$' "$one" || { say "cannot change $one"; exit 1; }
	sed -i 's/ (changed)"$/"/' "$one"
	changed2=$(timed ./mailout --repo "$repo" build)
	grep -q '(changed)' "$one" && { say "cannot restore $one"; exit 1; }
	say "$n campaigns: Chromium"
	browser=$(node tests/bench/site.js "$repo/build/site")
	echo "$n $first $noop1 $noop2 $changed1 $changed2 $kept $files $browser" >> "$bench/site.measured"
done

{
	echo "## The status site"
	echo
	echo "$(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg); $(date -u +%Y-%m-%d)."
	echo "Builds: wall and CPU seconds. Chromium (headless, 1280 px, over HTTP from 127.0.0.1):"
	echo "FCP and load the shortest of 5 page loads; a keystroke (3 passes of 8), clearing the search and a sort are"
	echo "timed from the event to the next painted frame;"
	echo "'JS loop' is 10 million additions in the page, about 10 ms on an idle core: it shows what the machine's load did."
	echo
	echo "| campaigns | first build | no-op build | no-op / first | one campaign changed | changed / first | files kept | index.html | first load transfer | FCP | load | DOM elements | data load | keystroke (median / max) | clear search | sort by name (first / again) | sort by recipients | JS loop |"
	echo "|---:|---|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
	while read -r n fw fc n1w n1c n2w n2c c1w c1c c2w c2c kept files html transfer fcp load dom data kmed kmax clear sname sname2 srec loop; do
		nw=$n2w; nc=$n2c
		awk -v a="$n1w" -v b="$n2w" 'BEGIN { exit !(a < b) }' && { nw=$n1w; nc=$n1c; }
		cw=$c2w; cc=$c2c
		awk -v a="$c1w" -v b="$c2w" 'BEGIN { exit !(a < b) }' && { cw=$c1w; cc=$c1c; }
		printf '| %s | %s s (%s s CPU) | %s s (%s s CPU) | %s (%s CPU) | %s s (%s s CPU) | %s (%s CPU) | %s of %s | %s KB | %s KB | %s ms | %s ms | %s | %s ms | %s / %s ms | %s ms | %s / %s ms | %s ms | %s ms |\n' \
			"$n" "$fw" "$fc" "$nw" "$nc" "$(pct "$nw" "$fw")" "$(pct "$nc" "$fc")" \
			"$cw" "$cc" "$(pct "$cw" "$fw")" "$(pct "$cc" "$fc")" \
			"$kept" "$files" "$html" "$transfer" "$fcp" "$load" "$dom" "$data" "$kmed" "$kmax" "$clear" "$sname" "$sname2" "$srec" "$loop"
	done < "$bench/site.measured"
} > "$bench/site.md"
cat "$bench/site.md"
