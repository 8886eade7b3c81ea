#!/bin/sh
# Load on `mailout serve` with wrk (Debian's): 30 s of valid one-click
# POSTs, each with a token of its own, with --rate-limit 0 and the mailbox
# unreachable (so every answer is a line synced to the journal); then 1,000
# idle connections held while a POST is answered.  Run from the repository
# root after `make`: sh tests/bench/serve.sh [SECONDS] [CONNECTIONS]
set -eu
SRC=$(pwd)
SECONDS_=${1:-30}
CONNS=${2:-20}
command -v wrk >/dev/null || { echo "serve.sh: wrk is not installed" >&2; exit 1; }
# tokens enough for 12,000 POSTs a second in each of wrk's two threads, and
# one more for the last POST
export TOKENS_PER_THREAD=$((12000 * SECONDS_))
DIR=$(mktemp -d /tmp/mailout-serve-bench.XXXXXX)
trap 'kill "$PID" 2>/dev/null; rm -rf "$DIR"' EXIT
cd "$DIR"
export MAILOUT_SECRET=bench-secret-0123456789-0123456789-abcdef PW=unused
/usr/bin/python3 - <<'PY'
import base64, hashlib, hmac, os
key = os.environ["MAILOUT_SECRET"].encode()
b64 = lambda b: base64.urlsafe_b64encode(b).rstrip(b"=").decode()
keyid = b64(hashlib.sha256(b"mailout-keyid" + key).digest())[:6]
with open("tokens.txt", "w") as f:
    for i in range(2 * int(os.environ["TOKENS_PER_THREAD"]) + 1):
        body = "v1.%s.bench.r-%06d" % (keyid, i)
        f.write(body + "." + b64(hmac.new(key, body.encode(), hashlib.sha256).digest()) + "\n")
PY
cp "$SRC/tests/e2e/fixtures/mailout-compact.yaml" mailout.yaml
sed -i -e '/^# (unsubscribe on one line/d' -e 's|^unsubscribe: { address: \([^,]*\), one_click_url: \([^ ]*\) }$|unsubscribe:\n  address: \1\n  one_click_url: \2\n  mailbox: imap://127.0.0.1:1/INBOX\n  username: unsub\n  password_env: PW|' mailout.yaml
PORT=$(/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$SRC/mailout" serve --config mailout.yaml --listen "127.0.0.1:$PORT" --spool spool --rate-limit 0 >serve.out 2>&1 &
PID=$!
sleep 0.5
wrk -t2 -c"$CONNS" -d"${SECONDS_}s" --latency -s "$SRC/tests/bench/serve_post.lua" "http://127.0.0.1:$PORT/u"
echo "journal: $(wc -l <spool/journal) lines synced; $(curl -s "http://127.0.0.1:$PORT/healthz")"
/usr/bin/python3 - "$PORT" <<'PY'
import socket, subprocess, sys, time
port = int(sys.argv[1])
held = [socket.create_connection(("127.0.0.1", port)) for _ in range(1000)]
for s in held:
    s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
time.sleep(1)
t = time.time()
code = subprocess.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "-X", "POST", "--data",
                       "List-Unsubscribe=One-Click", "http://127.0.0.1:%d/u?t=%s" % (port, open("tokens.txt").readlines()[-1].strip())],
                      capture_output=True, text=True).stdout
print("1000 idle connections held: a POST answered %s in %.0f ms" % (code, (time.time() - t) * 1000))
PY
