#!/bin/sh
# mailout export opened by a real spreadsheet: LibreOffice (headless)
# converts the CSV to xlsx, and the sheet holds no formula cell and
# exactly the text of each hostile server reply; with --delimiter ';'
# --bom in a German locale, the enhanced code 5.1.1 stays text (not
# 5 January 2001).  A TAB cannot reach the export (it separates the
# fields of a log line); the unit tests of csv_add_cell cover it.
. "$SRC/tests/e2e/lib.sh"
command -v soffice >/dev/null 2>&1 ||
	skip "soffice is not installed (tests/deps.sh installs libreoffice-calc-nogui)"

repo=$TMPDIR/repo
make_repo "$repo" || fail "make_repo"
cd "$repo" || exit 1

log=campaigns/december-update-dach/log
mkdir -p "$log"
{
	printf '#mailout-log v1\n'
	printf '2026-12-01T07:30:00Z\tclaim\tc-1001\tjana.novak@example.net\t<m1@mailout.example.com>\n'
	printf "2026-12-01T07:30:01Z\tfailed\tc-1001\t550\t5.1.1\t=cmd|' /C calc'!A0\n"
	printf '2026-12-01T07:31:00Z\tclaim\tc-1002\tlukas.mueller@mueller-soehne.test\t<m2@mailout.example.com>\n'
	printf '2026-12-01T07:31:01Z\tfailed\tc-1002\t550\t5.1.1\t+1\n'
	printf '2026-12-01T07:32:00Z\tclaim\tc-1003\tsophie.gruber@alpenblick.test\t<m3@mailout.example.com>\n'
	printf '2026-12-01T07:32:01Z\tfailed\tc-1003\t550\t5.1.1\t-1+1\n'
	printf '2026-12-01T07:33:00Z\tclaim\tc-1005\tchloe.favre@leman-horlogerie.test\t<m4@mailout.example.com>\n'
	printf '2026-12-01T07:33:01Z\tfailed\tc-1005\t550\t5.1.1\t@SUM(1)\n'
	printf '2026-12-01T07:34:00Z\tclaim\tc-1008\tjuergen.weiss@example.net\t<m5@mailout.example.com>\n'
	printf '2026-12-01T07:34:01Z\tfailed\tc-1008\t550\t5.1.1\t\rcmd /c calc\n'
} >"$log/alice-main.tsv"

run_mailout export december-update-dach
expect_rc "export" 0
cp "$TMPDIR/stdout" "$TMPDIR/export.csv"
run_mailout export december-update-dach --delimiter ';' --bom
expect_rc "export --delimiter ; --bom" 0
cp "$TMPDIR/stdout" "$TMPDIR/export-de.csv"

# convert FILE SEPARATOR LANGUAGE: FILE.csv to FILE.xlsx (a profile of
# its own, so that no other LibreOffice on the machine is disturbed).
convert() {
	timeout 300 soffice -env:UserInstallation="file://$TMPDIR/lo-profile" --headless \
		--infilter="CSV:$2,34,76,1,,$3" --convert-to xlsx --outdir "$TMPDIR" "$TMPDIR/$1.csv" \
		>"$TMPDIR/soffice.out" 2>&1
	[ -s "$TMPDIR/$1.xlsx" ] || fail "soffice did not convert $1.csv" "$TMPDIR/soffice.out"
	/usr/bin/python3 "$SRC/tests/e2e/xlsx_cells.py" "$TMPDIR/$1.xlsx" >"$TMPDIR/$1.cells" ||
		fail "cannot read $1.xlsx"
}

# the cells of the enhanced code (H) and the reply (I); LibreOffice keeps
# the leading quote as text and makes the CR a line break
expected_cells() {
	printf '%s\n' "H1 s enhanced" "I1 s reply" \
		"H2 s $1" "I2 s '=cmd|' /C calc'!A0" \
		"H3 s $1" "I3 s '+1" \
		"H4 s $1" "I4 s '-1+1" \
		"H6 s $1" "I6 s '@SUM(1)" \
		"H7 s $1" "I7 s '\\ncmd /c calc"
}

convert export 44 1033 # en-US
grep '^[HI]' "$TMPDIR/export.cells" >"$TMPDIR/got"
expected_cells 5.1.1 >"$TMPDIR/want"
expect_file "comma CSV in LibreOffice: the text of each cell" "$TMPDIR/want" "$TMPDIR/got"
convert export-de 59 1031 # de-DE
grep '^[HI]' "$TMPDIR/export-de.cells" >"$TMPDIR/got"
expected_cells "'5.1.1" >"$TMPDIR/want"
expect_file "';' CSV in a German LibreOffice: the text of each cell" "$TMPDIR/want" "$TMPDIR/got"
for f in export export-de; do
	if grep -q '^[A-Z]*[0-9]* f ' "$TMPDIR/$f.cells"; then
		fail "$f.xlsx has a formula cell" "$TMPDIR/$f.cells"
	fi
	[ "$(wc -l <"$TMPDIR/$f.cells")" -gt 60 ] || fail "$f.xlsx has too few cells" "$TMPDIR/$f.cells"
done
# the rows are all there: the header and the eight recipients
[ "$(cut -d' ' -f1 "$TMPDIR/export-de.cells" | grep -c '^A')" = 9 ] ||
	fail "export-de.xlsx: not 9 rows" "$TMPDIR/export-de.cells"

finish
