#!/bin/sh
# Deliverability: SpamAssassin (local rules only, -L) scores every message
# of the example at -1.0 (MAILING_LIST_MULTI, HTML_MESSAGE and nothing
# else); in particular the built-in frame's hidden preheader is not taken
# for invisible text (FONT_INVIS_*, HTML_FONT_LOW_CONTRAST).
#
# Each message gets the Received header the recipient's MX would add, from
# the sending server at 2001:db8::25, an untrusted relay: SpamAssassin then
# sees it as mail from outside, so ALL_TRUSTED (a bonus that real delivery
# would not get) cannot fire.  The IPv6 documentation range is used because
# SpamAssassin counts the IPv4 ones (192.0.2.0/24, ...) as illegal
# (RCVD_ILLEGAL_IP).  Bayes is off and HOME is the scratch directory, so
# nothing is learnt and no user state is touched.
. "$SRC/tests/e2e/lib.sh"
. "$SRC/tests/e2e/smtp.sh"
command -v spamassassin >/dev/null 2>&1 || skip "spamassassin is not installed (tests/deps.sh installs it)"
export MAILOUT_SECRET=e2e-preview-secret-0123456789abcdef0123
export MAILOUT_NOW=2026-12-07T09:00:00Z
REPO=$TMPDIR/repo
make_repo "$REPO" || fail "make_repo"
cd "$REPO" || exit 1
run_mailout status
expect_rc "status (builds the plan)" 0
plan_query "SELECT campaign, recipient FROM deliveries ORDER BY campaign, ord" >"$TMPDIR/deliveries"
count=$(wc -l <"$TMPDIR/deliveries")
[ "$count" -ge 15 ] || fail "the example has deliveries" "$TMPDIR/deliveries"
mkdir -p "$TMPDIR/eml"
n=0
while read -r campaign recipient; do
	run_mailout preview "$campaign" --recipient "$recipient"
	expect_rc "preview $campaign $recipient" 0 || continue
	n=$((n + 1))
	cp "$TMPDIR/stdout" "$TMPDIR/eml/$(printf %03d $n).$campaign.$recipient.eml"
done <"$TMPDIR/deliveries"

/usr/bin/python3 - "$TMPDIR/eml" "$TMPDIR/messages.mbox" <<'P' || fail "mbox"
import mailbox, os, sys
box = mailbox.mbox(sys.argv[2])
for name in sorted(os.listdir(sys.argv[1])):
    raw = open(os.path.join(sys.argv[1], name), "rb").read()
    received = (b"Received: from smtp.example.com (smtp.example.com [2001:db8::25])\r\n"
                b"\tby mx.example.net (Postfix) with ESMTPS id 4F1A2B3C4D\r\n"
                b"\tfor <recipient@example.net>; Mon,  7 Dec 2026 09:00:01 +0100 (CET)\r\n")
    m = mailbox.mboxMessage(received + raw)
    m.set_from("mailout@example.com", True)
    box.add(m)
box.close()
P
mkdir -p "$TMPDIR/home"
HOME=$TMPDIR/home spamassassin -L -t --cf='use_bayes 0' --mbox <"$TMPDIR/messages.mbox" \
	>"$TMPDIR/report" 2>"$TMPDIR/sa.stderr" || fail "spamassassin ran" "$TMPDIR/sa.stderr"
# one line per message: its file, score and rules
/usr/bin/python3 - "$TMPDIR/eml" "$TMPDIR/report" <<'P' >"$TMPDIR/scores" || fail "report"
import os, re, sys
names = sorted(os.listdir(sys.argv[1]))
text = open(sys.argv[2], encoding="utf-8", errors="replace").read()
statuses = re.findall(r"^X-Spam-Status: (?:Yes|No), score=(-?[0-9.]+) required=[0-9.]+ tests=((?:[A-Z0-9_,]|\n\t)*)",
                      text, re.M)
details = re.findall(r"^Content analysis details:\s+\((-?[0-9.]+) points", text, re.M)
if len(statuses) != len(names) or len(details) != len(names):
    sys.exit("%d messages, %d reports, %d analyses" % (len(names), len(statuses), len(details)))
for name, (score, tests), total in zip(names, statuses, details):
    assert score == total, (name, score, total)
    print(name.split(".", 1)[1].rsplit(".eml", 1)[0], score, re.sub(r"\s+", "", tests))
P
[ "$(wc -l <"$TMPDIR/scores")" -eq "$count" ] || fail "a score per message" "$TMPDIR/scores"
while read -r campaign recipient; do
	echo "$campaign.$recipient -1.0 HTML_MESSAGE,MAILING_LIST_MULTI"
done <"$TMPDIR/deliveries" >"$TMPDIR/expected.scores"
expect_file "every message scores -1.0" "$TMPDIR/expected.scores" "$TMPDIR/scores"
if grep -q 'ALL_TRUSTED\|FONT_INVIS\|HTML_FONT_LOW_CONTRAST' "$TMPDIR/scores"; then
	fail "rules that must not fire" "$TMPDIR/scores"
fi
finish
