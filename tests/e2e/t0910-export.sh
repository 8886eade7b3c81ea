#!/bin/sh
# mailout export: every recipient of a campaign with its state, account,
# time, attempts and the server's last reply, as RFC 4180 CSV (CRLF).
. "$SRC/tests/e2e/lib.sh"

repo=$TMPDIR/repo
make_repo "$repo" || fail "make_repo"
cd "$repo" || exit 1

# The address as written in the record, not lower-cased.
sed -i 's/juergen.weiss@example.net/Juergen.Weiss@example.net/' recipients/contacts/emea.yaml

# Results of a send, in the format of the log files: sent, failed with a
# reply that needs quoting, retrying, and a claim without an outcome.
tab=$(printf '\t')
log=campaigns/december-update-dach/log
mkdir -p "$log"
cat >"$log/alice-main.tsv" <<LOG
#mailout-log v1
2026-12-01T07:30:00Z${tab}claim${tab}c-1001${tab}jana.novak@example.net${tab}<m1@mailout.example.com>
2026-12-01T07:30:01Z${tab}sent${tab}c-1001${tab}250${tab}2.0.0${tab}OK queued as 123
2026-12-01T07:45:00Z${tab}claim${tab}c-1003${tab}sophie.gruber@alpenblick.test${tab}<m2@mailout.example.com>
2026-12-01T07:45:02Z${tab}failed${tab}c-1003${tab}550${tab}5.1.1${tab}<sophie.gruber@alpenblick.test>: user unknown, "sorry"
LOG
cat >"$log/alice-news.tsv" <<LOG
#mailout-log v1
2026-12-01T07:31:00Z${tab}claim${tab}c-1002${tab}lukas.mueller@mueller-soehne.test${tab}<m3@mailout.example.com>
2026-12-01T07:31:05Z${tab}retry${tab}c-1002${tab}451${tab}4.7.1${tab}Try again later${tab}2026-12-01T08:01:05Z
2026-12-01T07:40:00Z${tab}claim${tab}c-1005${tab}chloe.favre@leman-horlogerie.test${tab}<m4@mailout.example.com>
LOG

run_mailout export december-update-dach
expect_rc "export" 0
expect_stderr "export: stderr" ""
printf '%s\r\n' \
	'recipient,email,state,account,time,attempts,code,enhanced,reply' \
	'c-1001,jana.novak@example.net,sent,alice-main,2026-12-01T07:30:01Z,1,250,2.0.0,OK queued as 123' \
	'c-1002,lukas.mueller@mueller-soehne.test,retrying,alice-news,2026-12-01T07:31:00Z,1,451,4.7.1,Try again later' \
	'c-1003,sophie.gruber@alpenblick.test,failed,alice-main,2026-12-01T07:45:00Z,1,550,5.1.1,"<sophie.gruber@alpenblick.test>: user unknown, ""sorry"""' \
	'c-1004,matthias.huber@example.net,suppressed,alice-news,,0,,,' \
	'c-1005,chloe.favre@leman-horlogerie.test,unconfirmed,alice-news,2026-12-01T07:40:00Z,1,,,' \
	'c-1008,Juergen.Weiss@example.net,pending,alice-news,,0,,,' \
	'c-1013,felix.bauer@bauer-elektro.test,pending,alice-news,,0,,,' \
	'c-1014,lea.meier@example.com,pending,alice-news,,0,,,' >"$TMPDIR/expected"
expect_file "export: every recipient with its state" "$TMPDIR/expected" "$TMPDIR/stdout"
run_mailout export december-update-dach --format csv
expect_rc "--format csv" 0
expect_file "--format csv is the default" "$TMPDIR/expected" "$TMPDIR/stdout"

# Every campaign: one row per recipient that status counts.
for campaign in december-update-dach december-update-vip product-launch-leads; do
	run_mailout status "$campaign"
	count=$(sed -n 's/^status: .*, \([0-9]*\) recipients, .*/\1/p' "$TMPDIR/stdout")
	run_mailout export "$campaign"
	expect_rc "export $campaign" 0
	rows=$(($(wc -l <"$TMPDIR/stdout") - 1))
	if [ -z "$count" ] || [ "$rows" -ne "$count" ] || [ "$count" -eq 0 ]; then
		fail "export $campaign: $rows rows for '$count' recipients" "$TMPDIR/stdout"
	fi
done

run_mailout export no-such-campaign
expect_rc "unknown campaign" 1
expect_output "unknown campaign: stdout" ""
expect_stderr "unknown campaign" "mailout: unknown campaign 'no-such-campaign'"
run_mailout export december-update-dach --format json
expect_rc "unknown format" 2
expect_stderr "unknown format" "mailout: unknown format 'json': only csv
usage: mailout export CAMPAIGN [--format csv] [--delimiter CHAR] [--bom] [--person ADDRESS]"
run_mailout export
expect_rc "no campaign" 2
run_mailout export december-update-dach product-launch-leads
expect_rc "two campaigns" 2
expect_stderr "two campaigns" "mailout: unexpected argument 'product-launch-leads'
usage: mailout export CAMPAIGN [--format csv] [--delimiter CHAR] [--bom] [--person ADDRESS]"

# Hostile replies never become formulas (a leading "'", OWASP's advice);
# --delimiter ';' and --bom for spreadsheets on European locales.
cat >>"$log/alice-news.tsv" <<LOG
2026-12-01T07:50:00Z${tab}claim${tab}c-1008${tab}Juergen.Weiss@example.net${tab}<m5@mailout.example.com>
2026-12-01T07:50:01Z${tab}failed${tab}c-1008${tab}550${tab}5.7.1${tab}=HYPERLINK("http://example.com/x";"click")
2026-12-01T07:51:00Z${tab}claim${tab}c-1013${tab}felix.bauer@bauer-elektro.test${tab}<m6@mailout.example.com>
2026-12-01T07:51:01Z${tab}failed${tab}c-1013${tab}550${tab}5.7.1${tab}@SUM(1+1); +cmd -x
LOG
run_mailout export december-update-dach --delimiter ';' --bom
expect_rc "--delimiter ; --bom" 0
printf '\357\273\277' >"$TMPDIR/expected"
printf '%s\r\n' \
	'recipient;email;state;account;time;attempts;code;enhanced;reply' \
	'c-1001;jana.novak@example.net;sent;alice-main;2026-12-01T07:30:01Z;1;250;'"'"'2.0.0;OK queued as 123' \
	'c-1002;lukas.mueller@mueller-soehne.test;retrying;alice-news;2026-12-01T07:31:00Z;1;451;'"'"'4.7.1;Try again later' \
	'c-1003;sophie.gruber@alpenblick.test;failed;alice-main;2026-12-01T07:45:00Z;1;550;'"'"'5.1.1;"<sophie.gruber@alpenblick.test>: user unknown, ""sorry"""' \
	'c-1004;matthias.huber@example.net;suppressed;alice-news;;0;;;' \
	'c-1005;chloe.favre@leman-horlogerie.test;unconfirmed;alice-news;2026-12-01T07:40:00Z;1;;;' \
	'c-1008;Juergen.Weiss@example.net;failed;alice-news;2026-12-01T07:50:00Z;1;550;'"'"'5.7.1;"'"'"'=HYPERLINK(""http://example.com/x"";""click"")"' \
	'c-1013;felix.bauer@bauer-elektro.test;failed;alice-news;2026-12-01T07:51:00Z;1;550;'"'"'5.7.1;"'"'"'@SUM(1+1); +cmd -x"' \
	'c-1014;lea.meier@example.com;pending;alice-news;;0;;;' >>"$TMPDIR/expected"
expect_file "--delimiter ; --bom: neutralised cells" "$TMPDIR/expected" "$TMPDIR/stdout"
run_mailout export december-update-dach --delimiter '|'
expect_rc "an invalid delimiter" 2

finish
