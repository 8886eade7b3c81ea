#!/bin/sh
# A campaign argument is resolved alike by every command that takes one
# (retry, pause, resume, export, status, merge, preview, proof): a mistyped
# id gets the closest campaign id and exit 1, and changes nothing; usage
# errors come first, and unknown options still get the closest option.
. "$SRC/tests/e2e/lib.sh"

REPO=$TMPDIR/repo
make_repo "$REPO" || fail "make_repo"
cd "$REPO" || exit 1
export MAILOUT_NOW=2026-12-03T09:30:00Z
export MAILOUT_SECRET=e2e-campaign-arg-secret-0123456789abcdef

run_mailout build
expect_rc "build" 0

snapshot() {
	find . -type f ! -path './build/*' | sort | xargs md5sum
}
snapshot >"$TMPDIR/before"

# mistyped WHAT MESSAGE ARG...: exit 1, nothing on stdout, MESSAGE on stderr
mistyped() {
	what=$1 message=$2
	shift 2
	run_mailout "$@"
	expect_rc "$what" 1
	expect_output "$what: stdout" ""
	expect_stderr "$what" "$message"
}
dach="mailout: unknown campaign 'decmber-update-dach' (did you mean 'december-update-dach'?)"
mistyped "retry" "$dach" retry decmber-update-dach
mistyped "retry --unconfirmed" "$dach" retry decmber-update-dach --unconfirmed
mistyped "pause" "$dach" pause decmber-update-dach
mistyped "resume" "$dach" resume decmber-update-dach
mistyped "export" "$dach" export decmber-update-dach
mistyped "export --format csv" "$dach" export --format csv decmber-update-dach
mistyped "status" "$dach" status decmber-update-dach
mistyped "status --json" "$dach" status decmber-update-dach --json
mistyped "preview" "$dach" preview decmber-update-dach
mistyped "proof" "$dach" proof decmber-update-dach --to proof@example.net
mistyped "merge, the first" "$dach" merge decmber-update-dach december-update-vip --into all
mistyped "merge, the second" \
	"mailout: unknown campaign 'product-launch-lead' (did you mean 'product-launch-leads'?)" \
	merge december-update-dach product-launch-lead --into all
mistyped "another campaign" \
	"mailout: unknown campaign 'december-update-vp' (did you mean 'december-update-vip'?)" \
	pause december-update-vp
mistyped "nothing close" "mailout: unknown campaign 'no-such-campaign'" resume no-such-campaign
mistyped "nothing close to merge" "mailout: unknown campaign 'zz'" merge december-update-dach zz --into all

# a usage error is told before the campaign is looked up
run_mailout preview decmber-update-dach --format pdf
expect_rc "preview --format pdf" 2
expect_stderr "preview --format pdf" "mailout: unknown format 'pdf': use eml, html or text
usage: mailout preview CAMPAIGN [--recipient ID] [--format eml|html|text]"
run_mailout retry decmber-update-dach december-update-vip
expect_rc "retry, two campaigns" 2
expect_stderr "retry, two campaigns" "mailout: unexpected argument 'december-update-vip'
usage: mailout retry CAMPAIGN [--unconfirmed]"
run_mailout pause
expect_rc "pause, no campaign" 2
expect_stderr "pause, no campaign" "mailout: which campaign?
usage: mailout pause CAMPAIGN"
run_mailout merge decmber-update-dach decmber-update-dach --into all
expect_rc "merge, a campaign twice" 2
expect_stderr "merge, a campaign twice" "mailout: campaign 'decmber-update-dach' is named twice
usage: mailout merge CAMPAIGN CAMPAIGN... --into ID [--name NAME]"
run_mailout proof decmber-update-dach
expect_rc "proof without --to" 2
expect_stderr "proof without --to" "mailout: a proof needs a test address: --to ADDRESS
usage: mailout proof CAMPAIGN --to ADDRESS [--recipient ID] [--sink URL]"
MAILOUT_SECRET= run_mailout preview decmber-update-dach
expect_rc "preview without a secret" 1
expect_stderr "preview without a secret" \
	"mailout: MAILOUT_SECRET is not set: preview signs the unsubscribe link with it (at least 32 bytes, e.g. from 'openssl rand -base64 48')"

# unknown options: the closest one
run_mailout retry december-update-dach --unconfirmd
expect_rc "retry --unconfirmd" 2
expect_stderr "retry --unconfirmd" "mailout: unknown option '--unconfirmd' (did you mean '--unconfirmed'?)
usage: mailout retry CAMPAIGN [--unconfirmed]"
run_mailout status --jsno
expect_rc "status --jsno" 2
expect_stderr "status --jsno" "mailout: unknown option '--jsno' (did you mean '--json'?)
usage: mailout status [CAMPAIGN] [--json] [--check]"
run_mailout merge december-update-dach december-update-vip --int all
expect_rc "merge --int" 2
expect_stderr "merge --int" "mailout: unknown option '--int' (did you mean '--into'?)
usage: mailout merge CAMPAIGN CAMPAIGN... --into ID [--name NAME]"
run_mailout new --segmnt x
expect_rc "new --segmnt" 2
expect_stderr "new --segmnt" "mailout: unknown option '--segmnt' (did you mean '--segment'?)
usage: mailout new --type TYPE[,TYPE...] --template NAME --owner PERSON [--segment NAME | --filter '{...}'] [--id ID] [--name NAME] [--start DATE] [--end DATE] [--paused] [--vip-only]"
run_mailout unsubscribes sync --comit
expect_rc "unsubscribes sync --comit" 2
expect_stderr "unsubscribes sync --comit" "mailout: unknown option '--comit' (did you mean '--commit'?)
usage: mailout unsubscribes sync [--commit] [--push REMOTE]"

snapshot >"$TMPDIR/after"
expect_file "mistyped campaigns change nothing" "$TMPDIR/before" "$TMPDIR/after"

# the right ids still work
run_mailout pause december-update-dach
expect_rc "pause" 0
expect_output "pause" "pause: 'december-update-dach' is paused (campaigns/december-update-dach/campaign.yaml)"
run_mailout status december-update-dach --json
expect_rc "status of one campaign" 0
grep -q '^  {"id": "december-update-dach", .*"status": "paused"' "$TMPDIR/stdout" ||
	fail "status shows the paused campaign" "$TMPDIR/stdout"
[ "$(grep -c '"id": "december' "$TMPDIR/stdout")" -eq 1 ] ||
	fail "status shows that campaign only" "$TMPDIR/stdout"
run_mailout resume december-update-dach
expect_rc "resume" 0
expect_output "resume" "resume: 'december-update-dach' is active; errors and red accounts of 'alice' are cleared"
run_mailout retry december-update-dach
expect_rc "retry" 0
expect_output "retry" "retry: 0 recipients of 'december-update-dach' pending again"
run_mailout export december-update-dach
expect_rc "export" 0
[ "$(head -n 1 "$TMPDIR/stdout" | tr -d '\r')" = "recipient,email,state,account,time,attempts,code,enhanced,reply" ] ||
	fail "export prints the CSV header" "$TMPDIR/stdout"

finish
