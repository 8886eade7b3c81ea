#!/bin/sh
# Recipient files are parsed on worker threads and merged in file order:
# builds with MAILOUT_JOBS=1 (no thread) and MAILOUT_JOBS=4 give the same
# plan, byte for byte in every table, the same status --json and the same
# diagnostics, on the example and on a generated repository of 20,000
# recipients in 20 files (more files than the pool parses ahead), with
# errors in five of them.
. "$SRC/tests/e2e/lib.sh"
export MAILOUT_NOW=2026-12-07T09:00:00Z

# dump DB: every table's rows, without the time of the refresh itself
dump() {
	sqlite3 "$1" .dump | grep -v "^INSERT INTO meta VALUES('refreshed_ns'"
}

# build_twice WHAT REPO PARSED: full builds with MAILOUT_JOBS=1 and 4 (each
# parsing PARSED files), then status --json; the plans and the statuses are
# the same ($TMPDIR/WHAT.json: the status)
build_twice() {
	for jobs in 1 4; do
		MAILOUT_JOBS=$jobs run_mailout --repo "$2" build --rebuild
		expect_rc "$1: build with MAILOUT_JOBS=$jobs" 0
		expect_output "$1: build with MAILOUT_JOBS=$jobs" \
			"plan: $2/build/plan.db ($3 files parsed, $4 log lines replayed, deliveries derived again)
site: $2/build/site"
		dump "$2/build/plan.db" >"$TMPDIR/$1-$jobs.sql" ||
			fail "$1: cannot dump the plan of MAILOUT_JOBS=$jobs"
		MAILOUT_JOBS=$jobs run_mailout --repo "$2" status --json
		expect_rc "$1: status --json with MAILOUT_JOBS=$jobs" 0
		cp "$TMPDIR/stdout" "$TMPDIR/$1-$jobs.json"
	done
	expect_file "$1: the plans" "$TMPDIR/$1-1.sql" "$TMPDIR/$1-4.sql"
	expect_file "$1: status --json" "$TMPDIR/$1-1.json" "$TMPDIR/$1-4.json"
	cp "$TMPDIR/$1-1.json" "$TMPDIR/$1.json"
}

# --- the example: the expected status at either count
REPO=$TMPDIR/repo
make_repo "$REPO" || fail "scratch repository"
build_twice example "$REPO" 5 0
expect_file "example: status --json" "$SRC/tests/e2e/expected/example-status.json" \
	"$TMPDIR/example.json"

# --- a generated repository: 20 files of 1,000 records
GEN=$TMPDIR/gen
python3 "$SRC/tests/bench/gen_repo.py" --recipients 20000 --campaigns 6 --per-file 1000 \
	--out "$GEN" >/dev/null || fail "gen_repo.py"
build_twice generated "$GEN" 20 4
rows=$(sqlite3 "$GEN/build/plan.db" \
	"SELECT COUNT(*), COUNT(DISTINCT file), (SELECT COUNT(*) FROM deliveries) FROM recipients")
[ "$rows" = "20000|20|969" ] ||
	fail "generated: recipients, their files and deliveries $rows, expected 20000|20|969"
counts=$(sed -n 's/.*"id": "\([^"]*\)".*"recipients": \([0-9]*\), "pending": \([0-9]*\), "sent": \([0-9]*\),.*/\1 \2 \3 \4/p' \
	"$TMPDIR/generated.json" | tr '\n' ' ')
[ "$counts" = "c0001-leads 86 86 0 c0002-contacts 359 359 0 c0003-contacts 261 260 0 c0004-leads 77 75 2 c0005-companies 96 96 0 c0006-leads 90 90 0 " ] ||
	fail "generated: campaigns, recipients, pending, sent: $counts"

# --- errors in five files: the same diagnostics, in the same order
R=$GEN/recipients
echo '- { id: c-bad-address, email: not-an-address, owner: oliver-17 }' >>"$R/contacts/part-0003.yaml"
echo '- { id: c-0000001, email: dup.id@example.com, owner: oliver-17 }' >>"$R/contacts/part-0007.yaml"
echo '- { id: c-dup-address, email: Noah.Tremblay.2@example.org, owner: lea-14 }' >>"$R/contacts/part-0009.yaml"
echo '- { id: l-broken, email: x@example.com' >>"$R/leads/part-0002.yaml"
echo '- { id: co-unknown-owner, email: u@example.com, owner: nobody }' >>"$R/companies/part-0002.yaml"
cat >"$TMPDIR/expected-validate" <<'EOF'
mailout.yaml:11:1: warning: no 'one_click_url': recipients must send an e-mail to unsubscribe (give the https URL of `mailout serve`)
recipients/companies/part-0002.yaml:1002:56: error: unknown owner 'nobody'
recipients/contacts/part-0003.yaml:1002:31: error: invalid address 'not-an-address': no '@'
recipients/contacts/part-0007.yaml:1002:9: error: duplicate contacts id 'c-0000001' (first at recipients/contacts/part-0001.yaml:2)
recipients/contacts/part-0009.yaml:1002:31: warning: duplicate address 'Noah.Tremblay.2@example.org' in contacts (first at recipients/contacts/part-0001.yaml:3); it is mailed once
recipients/leads/part-0002.yaml:1003:1: error: YAML syntax error: did not find expected ',' or '}' while parsing a flow mapping (started at line 1002, column 3)
6 campaigns, 19001 recipient records: 4 errors, 2 warnings
EOF
cat >"$TMPDIR/expected-build" <<'EOF'
recipients/companies/part-0002.yaml:1002:56: error: unknown owner 'nobody'
recipients/contacts/part-0003.yaml:1002:31: error: invalid address 'not-an-address': no '@'
recipients/contacts/part-0007.yaml:1002:9: error: duplicate contacts id 'c-0000001' (first at recipients/contacts/part-0001.yaml:2)
recipients/leads/part-0002.yaml:1003:1: error: YAML syntax error: did not find expected ',' or '}' while parsing a flow mapping (started at line 1002, column 3)
mailout: the content has 4 errors ('mailout validate' shows all); the plan was left as it was
EOF
before=$(dump "$GEN/build/plan.db" | sha1sum)
for jobs in 1 4; do
	MAILOUT_JOBS=$jobs run_mailout --repo "$GEN" validate
	expect_rc "broken: validate with MAILOUT_JOBS=$jobs" 1
	cat "$TMPDIR/stdout" "$TMPDIR/stderr" >"$TMPDIR/validate$jobs"
	expect_file "broken: validate with MAILOUT_JOBS=$jobs" "$TMPDIR/expected-validate" "$TMPDIR/validate$jobs"
	MAILOUT_JOBS=$jobs run_mailout --repo "$GEN" build
	expect_rc "broken: build with MAILOUT_JOBS=$jobs" 1
	cat "$TMPDIR/stdout" "$TMPDIR/stderr" >"$TMPDIR/broken$jobs"
	expect_file "broken: build with MAILOUT_JOBS=$jobs" "$TMPDIR/expected-build" "$TMPDIR/broken$jobs"
done
after=$(dump "$GEN/build/plan.db" | sha1sum)
[ "$before" = "$after" ] || fail "broken: a failed build changed the plan"

# --- campaigns are loaded on the threads in batches of 64 and taken back in
# folder order: 600 campaigns (more batches than 4 threads load ahead),
# then one broken in each of six batches
CG=$TMPDIR/campaigns
python3 "$SRC/tests/bench/gen_repo.py" --recipients 2000 --campaigns 600 --out "$CG" >/dev/null ||
	fail "gen_repo.py (campaigns)"
build_twice campaigns "$CG" 3 126
C=$CG/campaigns
mkdir "$C/Bad_Id" "$C/c0601-empty" "$C/c0400-contacts/log" || fail "campaign folders"
cp "$C/c0001-leads/campaign.yaml" "$C/Bad_Id/"
echo 'name: [' >>"$C/c0200-contacts/campaign.yaml"
sed -i 's/^template: .*/template: no-such-template/' "$C/c0300-leads/campaign.yaml"
ln -s /etc/passwd "$C/c0400-contacts/log/x.tsv"
set -- "$C"/c0500-*
mv "$1/campaign.yaml" "$1/real.yaml" && ln -s real.yaml "$1/campaign.yaml" || fail "linked campaign.yaml"
cat >"$TMPDIR/expected-campaign-errors" <<EOF
campaigns/Bad_Id: error: invalid campaign id 'Bad_Id': use lower-case letters, digits and '-', starting with a letter or digit
campaigns/c0200-contacts/campaign.yaml:10:1: error: duplicate key 'name' (first at line 1)
campaigns/c0300-leads/campaign.yaml:2:11: error: unknown template 'no-such-template' (no templates/no-such-template.md)
campaigns/c0400-contacts/log/x.tsv: error: is a symbolic link; content files must be regular files
campaigns/${1##*/}/campaign.yaml: error: is a symbolic link; content files must be regular files
campaigns/c0601-empty: error: missing campaign.yaml
EOF
for jobs in 1 4; do
	MAILOUT_JOBS=$jobs run_mailout --repo "$CG" validate
	expect_rc "broken campaigns: validate with MAILOUT_JOBS=$jobs" 1
	cat "$TMPDIR/stdout" "$TMPDIR/stderr" >"$TMPDIR/campaigns-validate$jobs"
	grep ': error: ' "$TMPDIR/campaigns-validate$jobs" >"$TMPDIR/campaign-errors$jobs"
	expect_file "broken campaigns: the errors with MAILOUT_JOBS=$jobs" \
		"$TMPDIR/expected-campaign-errors" "$TMPDIR/campaign-errors$jobs"
	MAILOUT_JOBS=$jobs run_mailout --repo "$CG" build
	expect_rc "broken campaigns: build with MAILOUT_JOBS=$jobs" 1
	cat "$TMPDIR/stdout" "$TMPDIR/stderr" >"$TMPDIR/campaigns-build$jobs"
done
expect_file "broken campaigns: validate" "$TMPDIR/campaigns-validate1" "$TMPDIR/campaigns-validate4"
expect_file "broken campaigns: build" "$TMPDIR/campaigns-build1" "$TMPDIR/campaigns-build4"

# --- MAILOUT_JOBS must be a count
for bad in 0 -1 x 2x 257 99999999999999999999 ''; do
	MAILOUT_JOBS=$bad run_mailout --repo "$REPO" validate
	expect_rc "MAILOUT_JOBS='$bad'" 2
	expect_stderr "MAILOUT_JOBS='$bad'" \
		"mailout: invalid MAILOUT_JOBS '$bad': a whole number from 1 to 256"
done
finish
