#!/bin/sh
# Unconfirmed claims resolved from the accounts' Sent folders (real Dovecot,
# the capture SMTP server filing every accepted message there with IMAP
# APPEND, as Gmail does):
#  - a message the server never accepted (the connection dropped at the end
#    of DATA) stays unconfirmed for 15 minutes, is then released by
#    `not-sent` and sent once;
#  - a Sent folder that receives no copies proves nothing: the claim stays;
#  - 20 kill -9 at random moments (seeded) over a simulated week, each run
#    in a fresh clone of a smart-HTTP remote, then `confirm --commit --push
#    origin` leaves no unconfirmed claim, and clean runs mail everyone
#    exactly once, every outcome once on the remote.
# About 100 s on a loaded 2-core machine (the kill scenario 90 s of it).
. "$SRC/tests/e2e/lib.sh"
. "$SRC/tests/e2e/smtp.sh"
. "$SRC/tests/e2e/imap.sh"
. "$SRC/tests/e2e/githttp.sh"
export MAILOUT_SECRET=e2e-secret-0123456789-0123456789-abcdef MAILOUT_IMAP_PASSWORD=e2e-imap-pw
export GIT_AUTHOR_NAME=test GIT_AUTHOR_EMAIL=test@example.com
export GIT_COMMITTER_NAME=test GIT_COMMITTER_EMAIL=test@example.com
# the clean run sends what the kills left of 300 messages, pushing every batch
E2E_TIMEOUT=150

command -v lighttpd >/dev/null 2>&1 || skip "lighttpd is not installed (tests/deps.sh)"
command -v /usr/sbin/dovecot >/dev/null 2>&1 || skip "dovecot is not installed (tests/deps.sh)"
trap 'githttp_stop; stop_smtpd; stop_imapd' EXIT
start_imapd ann@example.com:$MAILOUT_IMAP_PASSWORD ann.a@example.com:$MAILOUT_IMAP_PASSWORD \
	ann.b@example.com:$MAILOUT_IMAP_PASSWORD || finish
IMAP_URL=imap://127.0.0.1:$IMAPD_PORT/INBOX
SENT="--sent-imap 127.0.0.1:$IMAPD_PORT:$MAILOUT_IMAP_PASSWORD"

# spool_once SPOOL TOTAL: every one of TOTAL recipients captured exactly once
spool_once() {
	/usr/bin/python3 - "$1" "$2" >"$TMPDIR/spool.check" 2>&1 <<'P' || fail "$3: spool" "$TMPDIR/spool.check"
import collections, sys
rcpts = collections.Counter(l.split("\t")[3] for l in open(sys.argv[1] + "/log.tsv"))
assert len(rcpts) == int(sys.argv[2]) and set(rcpts.values()) == {1}, (len(rcpts), rcpts.most_common(2))
P
}

# unconfirmed REPO NOW: the number of unconfirmed deliveries status --json shows
unconfirmed() {
	MAILOUT_NOW=$2 "$MAILOUT" --repo "$1" status --json >"$TMPDIR/status.json" 2>"$TMPDIR/stderr" &&
	/usr/bin/python3 -c 'import json, sys; print(sum(c["unconfirmed"] for c in json.load(open(sys.argv[1]))["campaigns"]))' \
		"$TMPDIR/status.json"
}

# ---- a message the server never accepted ----
# ann-a and ann-b send in turn every 27 minutes from 07:30Z; the server
# drops the connection after the 10th DATA, the last of the first run
REPO=$TMPDIR/drop
/usr/bin/python3 "$SRC/tests/e2e/fixtures/gen_send_repo.py" "$REPO" --recipients 12 --vip-every 1000 \
	--limits 20,20,20 --imap "$IMAP_URL" || fail "fixture"
start_smtpd "$TMPDIR/drop.spool" --drop-data 10 $SENT || finish
sink=smtp://127.0.0.1:$SMTPD_PORT
run_mailout --repo "$REPO" send --now 2026-12-07T08:30 --for 2h --sink "$sink"
expect_rc "drop: first run" 0
expect_contains "drop: first run" "send: 9 sent, 0 failed, 0 retrying, 0 deferred, 0 critical, 1 unconfirmed in 2 campaigns (2026-12-07T07:30:00Z to 2026-12-07T09:18:00Z)"
claim=$(grep -h "	claim	" "$REPO"/campaigns/*/log/*.tsv | sort | tail -1)
account=$(grep -l "$claim" "$REPO"/campaigns/*/log/*.tsv | sed 's|.*/||; s|\.tsv$||')
recipient=$(echo "$claim" | cut -f3)
mid=$(echo "$claim" | cut -f5)
log=$(grep -l "$claim" "$REPO"/campaigns/*/log/*.tsv)
MAILOUT_NOW=2026-12-07T09:25:00Z run_mailout --repo "$REPO" confirm
expect_rc "drop: confirm after 7 minutes" 0
expect_output "drop: confirm after 7 minutes" "$account: 1 unconfirmed claim, Sent folder 'Sent': 0 confirmed, 0 not sent (pending again), 1 left unconfirmed
$account: 1 left unconfirmed: claimed less than 15 minutes ago"
MAILOUT_NOW=2026-12-07T09:40:00Z run_mailout --repo "$REPO" confirm
expect_rc "drop: confirm after 22 minutes" 0
expect_output "drop: confirm after 22 minutes" "$account: 1 unconfirmed claim, Sent folder 'Sent': 0 confirmed, 1 not sent (pending again), 0 left unconfirmed
updated ${log#$REPO/}"
[ "$(tail -1 "$log")" = "$(printf '2026-12-07T09:40:00Z\tnot-sent\t%s\tSent\t%s' "$recipient" "$mid")" ] ||
	fail "drop: the not-sent line" "$log"
run_mailout --repo "$REPO" send --now 2026-12-07T10:40 --for 1d --sink "$sink"
expect_rc "drop: second run" 0
expect_contains "drop: second run" "send: 3 sent, 0 failed, 0 retrying, 0 deferred, 0 critical, 0 unconfirmed in 2 campaigns (2026-12-07T09:40:00Z to 2026-12-07T10:34:00Z)"
stop_smtpd
spool_once "$TMPDIR/drop.spool" 12 drop
[ "$(unconfirmed "$REPO" 2026-12-08T12:00:00Z)" = 0 ] || fail "drop: unconfirmed left" "$TMPDIR/status.json"

# ---- a Sent folder that receives no copies ----
REPO=$TMPDIR/nocopy
/usr/bin/python3 "$SRC/tests/e2e/fixtures/gen_send_repo.py" "$REPO" --recipients 12 --vip-every 1000 \
	--limits 20,20,20 --imap "$IMAP_URL" --sent-mailbox Drafts || fail "fixture"
start_smtpd "$TMPDIR/nocopy.spool" --drop-data 10 $SENT || finish
sink=smtp://127.0.0.1:$SMTPD_PORT
run_mailout --repo "$REPO" send --now 2026-12-07T08:30 --for 2h --sink "$sink"
expect_rc "no copies: first run" 0
account=$(grep -l "	claim	" "$REPO"/campaigns/*/log/*.tsv | xargs grep -h "	claim	" | sort | tail -1 >"$TMPDIR/claim";
	grep -l -F -f "$TMPDIR/claim" "$REPO"/campaigns/*/log/*.tsv | sed 's|.*/||; s|\.tsv$||')
run_mailout --repo "$REPO" send --now 2026-12-07T09:40:00Z --for 1m --sink "$sink"
expect_rc "no copies: send" 0
expect_output "no copies: send" "$account: 1 unconfirmed claim, Sent folder 'Drafts': 0 confirmed, 0 not sent (pending again), 1 left unconfirmed
$account: 1 left unconfirmed: not in the Sent folder, which does not receive copies (it holds 0 of the account's 3 latest accepted messages)
send: 0 sent, 0 failed, 0 retrying, 0 deferred, 0 critical, 0 unconfirmed in 0 campaigns (2026-12-07T09:40:00Z to 2026-12-07T09:40:00Z)"
stop_smtpd
[ "$(unconfirmed "$REPO" 2026-12-08T12:00:00Z)" = 1 ] || fail "no copies: the claim is not unconfirmed" "$TMPDIR/status.json"
# the IMAP server unreachable: a warning, the send goes on
sed -i "s|$IMAP_URL|imap://127.0.0.1:$(free_port)/INBOX|" "$REPO/mailout.yaml"
start_smtpd "$TMPDIR/nocopy2.spool" || finish
run_mailout --repo "$REPO" send --now 2026-12-07T10:00:00Z --for 1d --sink "smtp://127.0.0.1:$SMTPD_PORT"
expect_rc "unreachable: send" 0
expect_contains "unreachable: send" "send: 2 sent, 0 failed, 0 retrying, 0 deferred, 0 critical, 0 unconfirmed in 1 campaign (2026-12-07T10:00:00Z to 2026-12-07T10:00:00Z)"
grep -q "^mailout: warning: $account: 1 claim stays unconfirmed: " "$TMPDIR/stderr" ||
	fail "unreachable: no warning" "$TMPDIR/stderr"
stop_smtpd

# ---- 20 kill -9 over a simulated week, fresh clones of a smart-HTTP remote ----
githttp_start || finish
githttp_new_repo kill || fail "remote"
SEED=$TMPDIR/kill.seed
push_generated "$SEED" "$GH_AUTH_URL/kill.git" --recipients 300 --vip-every 1000 \
	--limits 300,300,300 --imap "$IMAP_URL" || fail "fixture"
clone() {
	rm -rf "$1"
	git -c "credential.helper=!f() { echo username=$GH_USER; echo password=$GH_TOKEN; }; f" \
		clone -q "$GH_URL/kill.git" "$1" || fail "clone $1"
}
start=$(now_ms)
# a slow server, so that kills land in the middle of a run
start_smtpd "$TMPDIR/kill.spool" --delay 0.03 $SENT || finish
sink=smtp://127.0.0.1:$SMTPD_PORT
# the campaigns' first 10 minutes, in a clean run: the accounts' Sent
# folders hold their accepted messages; its wall time sizes the kills'
# moments (a sanitized binary is slower)
clone "$TMPDIR/kill.0"
t=$(now_ms)
run_mailout --repo "$TMPDIR/kill.0" send --now 2026-12-07T08:30 --for 10m --batch 3m --sink "$sink" --push origin
expect_rc "kills: first run" 0
warm=$(($(now_ms) - t))
kills=0 i=0
for delay in $(/usr/bin/python3 -c 'import random, sys; r = random.Random(875); w = int(sys.argv[1]) / 1000; print(" ".join("%.2f" % (w * r.uniform(0.2, 1.2)) for _ in range(22)))' "$warm"); do
	i=$((i + 1))
	clone "$TMPDIR/kill.$i"
	"$MAILOUT" --repo "$TMPDIR/kill.$i" send --now 2026-12-07T08:30 --for 7d --batch 3m \
		--sink "$sink" --push origin >"$TMPDIR/kill.$i.out" 2>&1 &
	pid=$!
	sleep "$delay"
	kill -9 "$pid" 2>/dev/null && kills=$((kills + 1))
	wait "$pid" 2>/dev/null
	rm -rf "$TMPDIR/kill.$i"
done
[ $kills -ge 20 ] || fail "only $kills of 22 runs were killed mid-run"
clone "$TMPDIR/kill.confirm"
latest=$(cat "$TMPDIR"/kill.confirm/campaigns/*/log/*.tsv | grep -v '^#' | cut -f1 | sort | tail -1)
later=$(/usr/bin/python3 -c 'import sys, datetime; t = datetime.datetime.strptime(sys.argv[1], "%Y-%m-%dT%H:%M:%SZ"); print((t + datetime.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ"))' "$latest")
before=$(unconfirmed "$TMPDIR/kill.confirm" "$later")
MAILOUT_NOW=$later run_mailout --repo "$TMPDIR/kill.confirm" confirm --commit --push origin
expect_rc "kills: confirm" 0
cp "$TMPDIR/stdout" "$TMPDIR/kill.confirm.out"
clone "$TMPDIR/kill.after"
[ "$(unconfirmed "$TMPDIR/kill.after" "$later")" = 0 ] || fail "kills: unconfirmed claims after confirm" "$TMPDIR/kill.confirm.out"
clone "$TMPDIR/kill.clean"
run_mailout --repo "$TMPDIR/kill.clean" send --now 2026-12-07T08:30 --for 14d --batch 3m --sink "$sink" --push origin
expect_rc "kills: clean run" 0
stop_smtpd
wall=$(($(now_ms) - start))
spool_once "$TMPDIR/kill.spool" 300 kills
clone "$TMPDIR/kill.check"
REPO=$TMPDIR/kill.check
MAILOUT_NOW=2026-12-31T12:00:00Z run_mailout --repo "$REPO" status --json
expect_rc "kills: status" 0
# batches are claimed at once (--batch 3m): the pace is not the claims'
/usr/bin/python3 "$SRC/tests/e2e/fixtures/check_send.py" "$REPO" "$TMPDIR/kill.spool" --complete \
	--no-pacing >"$TMPDIR/check" 2>&1 || fail "kills: rules" "$TMPDIR/check"
/usr/bin/python3 - "$TMPDIR/stdout" "$TMPDIR/kill.spool" "$REPO" >"$TMPDIR/counts" 2>&1 <<'P' ||
import collections, glob, json, sys
d = json.load(open(sys.argv[1]))
total = sum(c["recipients"] for c in d["campaigns"])
sent = sum(c["sent"] for c in d["campaigns"])
unconfirmed = sum(c["unconfirmed"] for c in d["campaigns"])
captured = collections.Counter(l.split("\t")[3] for l in open(sys.argv[2] + "/log.tsv"))
assert total == 300 and sent == 300 and unconfirmed == 0, ("status", total, sent, unconfirmed)
assert len(captured) == 300 and set(captured.values()) == {1}, ("spool", len(captured))
outcomes, events = collections.Counter(), collections.Counter()
for log in glob.glob(sys.argv[3] + "/campaigns/*/log/*"):
    lines = open(log).read().splitlines()
    stray = [n + 1 for n, l in enumerate(lines) if n and l.startswith("#")]
    assert lines[0] == "#mailout-log v2" and not stray, ("headers", log, stray)
    for l in lines[1:]:
        f = l.split("\t")
        events[f[1]] += 1
        if f[1] in ("sent", "confirmed"):
            outcomes[(log.split("/")[-3], f[2])] += 1
assert len(outcomes) == 300 and set(outcomes.values()) == {1}, ("outcomes", len(outcomes), outcomes.most_common(2))
# killed runs leave both kinds: messages handed to SMTP whose outcome was
# lost (confirmed by a later run) and claims never handed over (not-sent)
assert events["confirmed"] > 0 and events["not-sent"] > 0, events
print(" ".join("%s %d" % kv for kv in sorted(events.items())))
P
	fail "kills: counts" "$TMPDIR/counts"
githttp_stop
set -- $(githttp_pushes kill)
echo "# kills: first run $warm ms, $kills kills, $before unconfirmed before confirm, $1 pushes, $2 refused, $wall ms; events: $(cat "$TMPDIR/counts")"
sed 's/^/# confirm: /' "$TMPDIR/kill.confirm.out"
finish
