#!/bin/sh
# Hostile content within the size limits fails fast and small: 100,000 keys
# in one record, 100,000 and 1,000,000 levels of '[' (a recipient file,
# campaign.yaml, mailout.yaml), 100,000 levels of '> ' in a template,
# 100,000 nested mustache sections, a CSV row of 100,000 fields.  validate,
# build and import exit 1 with the positioned diagnostic, each within 2 s
# of CPU time and 4 times the input plus 64 MiB of memory.  The inputs are
# made here, not kept in the repository.
. "$SRC/tests/e2e/lib.sh"

[ -x /usr/bin/time ] || skip "no /usr/bin/time (Debian package time)"
command -v python3 >/dev/null 2>&1 || skip "no python3"

export MAILOUT_NOW=2026-12-07T09:00:00Z
MAX_CPU=2

# fresh_repo: a new copy of the example in $REPO, the current directory.
fresh_repo() {
	REPO=$TMPDIR/repo
	rm -rf "$REPO"
	make_repo "$REPO" || fail "make_repo"
	cd "$REPO" || exit 1
}

# gen FILE PYTHON: writes FILE with what the Python expression gives.
gen() {
	python3 -c "import sys; sys.stdout.write($2)" >"$1" || fail "generate $1"
}

# run_capped WHAT INPUT ARG...: runs mailout and checks exit code 1 and its
# CPU time (user + system) and peak memory against the size of INPUT.
run_capped() {
	what=$1 input=$2
	shift 2
	/usr/bin/time -f '%U %S %M' -o "$TMPDIR/time" timeout "$E2E_TIMEOUT" "$MAILOUT" "$@" \
		>"$TMPDIR/stdout" 2>"$TMPDIR/stderr"
	rc=$?
	expect_rc "$what" 1
	size=$(wc -c <"$input")
	tail -n 1 "$TMPDIR/time" >"$TMPDIR/usage"
	if ! awk -v cpu="$MAX_CPU" -v size="$size" '{
		limit_kb = 4 * size / 1024 + 65536
		if ($1 + $2 >= cpu || $3 >= limit_kb) {
			printf "cpu %.2f s (limit %d), max rss %d KiB (limit %d)\n", $1 + $2, cpu, $3, limit_kb
			exit 1
		}
	}' "$TMPDIR/usage" >"$TMPDIR/detail"; then
		fail "$what: over the cost limits" "$TMPDIR/detail"
	fi
}

# expect_errors WHAT COUNT LINE FILE: FILE has COUNT error lines, LINE
# among them.
expect_errors() {
	expect_contains "$1" "$3" "$4"
	errors=$(grep -c ': error: ' "$4")
	[ "$errors" -eq "$2" ] || fail "$1: $errors error lines, expected $2" "$4"
}

# check_content WHAT FILE DIAGNOSTIC [BUILD_ERRORS]: validate refuses with
# DIAGNOSTIC alone; build with DIAGNOSTIC among BUILD_ERRORS errors
# (default 1).
check_content() {
	run_capped "validate: $1" "$2" validate
	expect_errors "validate: $1" 1 "$3" "$TMPDIR/stdout"
	run_capped "build: $1" "$2" build
	expect_errors "build: $1" "${4:-1}" "$3" "$TMPDIR/stderr"
}

# 100,000 keys in one record: refused at the key after the 1,000th.
fresh_repo
gen recipients/contacts/hostile.yaml \
	'"- { id: h-1, email: h@example.net, " + ", ".join("k%d: v" % i for i in range(100000)) + " }\n"'
check_content "100,000 keys in a record" recipients/contacts/hostile.yaml \
	"recipients/contacts/hostile.yaml:1:8908: error: more than 1000 keys in one mapping"

# 100,000 and 1,000,000 levels of '[': refused at level 65 (the list of
# records and the record are levels 1 and 2).
for n in 100000 1000000; do
	fresh_repo
	gen recipients/contacts/hostile.yaml \
		'"- { id: h-1, email: h@example.net, tags: " + "[" * '$n' + "]" * '$n' + " }\n"'
	check_content "$n levels in a recipient file" recipients/contacts/hostile.yaml \
		"recipients/contacts/hostile.yaml:1:104: error: lists and mappings nested deeper than 64 levels"

	fresh_repo
	gen "$TMPDIR/deep" '"extra: " + "[" * '$n' + "]" * '$n' + "\n"'
	cat "$TMPDIR/deep" campaigns/december-update-dach/campaign.yaml >"$TMPDIR/campaign.yaml"
	cp "$TMPDIR/campaign.yaml" campaigns/december-update-dach/campaign.yaml
	check_content "$n levels in campaign.yaml" campaigns/december-update-dach/campaign.yaml \
		"campaigns/december-update-dach/campaign.yaml:1:71: error: lists and mappings nested deeper than 64 levels"

	fresh_repo
	cat "$TMPDIR/deep" "$SRC/mailout.yaml" >mailout.yaml
	# build also names the owners of the 3 campaigns, unknown without it
	check_content "$n levels in mailout.yaml" mailout.yaml \
		"mailout.yaml:1:71: error: lists and mappings nested deeper than 64 levels" 4
done

# 100,000 levels of '> ' in a template: refused before cmark reads it, at
# the 33rd marker.
fresh_repo
gen templates/december-update.md \
	'"---\nsubject: \"December news for {{first_name}}\"\n---\nHello {{first_name}},\n\n" + "> " * 100000 + "deep\n"'
check_content "100,000 block quotes" templates/december-update.md \
	"templates/december-update.md:6:65: error: block quotes and lists nested deeper than 32 levels"

# 100,000 nested sections: refused at the 65th, the rest not read.
fresh_repo
gen templates/december-update.md \
	'"---\nsubject: \"December news for {{first_name}}\"\n---\nHello {{first_name}},\n\n" + "{{#vip}}" * 100000 + "x" + "{{/vip}}" * 100000 + "\n"'
check_content "100,000 nested sections" templates/december-update.md \
	"templates/december-update.md:6:513: error: sections nested deeper than 64 levels"

# A CSV row, and a CSV header, of 100,000 fields: refused at field 1,001,
# nothing written.
fresh_repo
gen wide.csv '"id,email,owner\nc-9001,wide@example.com,alice\n" + ",".join("f%d" % i for i in range(100000)) + "\n"'
run_capped "import: a row of 100,000 fields" wide.csv import contacts wide.csv
expect_stderr "import: a row of 100,000 fields" \
	"wide.csv:3: error: field 1001: a record holds at most 1000 fields
mailout: 1 of 2 records in 'wide.csv' is invalid; nothing was written (--skip-invalid imports the others)"
[ ! -e recipients/contacts/wide.yaml ] || fail "import: a row of 100,000 fields: a file was written"

gen wide.csv '"id,email,owner," + ",".join("f%d" % i for i in range(100000)) + "\nc-9001,wide@example.com,alice\n"'
run_capped "import: a header of 100,000 fields" wide.csv import contacts wide.csv
expect_stderr "import: a header of 100,000 fields" \
	"wide.csv:1: error: in the header: field 1001: a record holds at most 1000 fields
mailout: the header of 'wide.csv' needs fixing; nothing was written"
[ ! -e recipients/contacts/wide.yaml ] || fail "import: a header of 100,000 fields: a file was written"

finish
