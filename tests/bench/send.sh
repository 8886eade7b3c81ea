#!/bin/sh
# make bench, second part: messages rendered per second for the example
# newsletter, and the sender's engine on the virtual clock against postfix's
# smtp-sink, next to a bare libcurl loop sending as many messages of the
# same size over one connection to the same sink, in the same run.
set -eu
top=$(pwd)
obj=$top/.objs/default
out=$top/build/bench
mkdir -p "$out"
n=${BENCH_SEND_RECIPIENTS:-20000}

if ! command -v smtp-sink >/dev/null 2>&1 && [ ! -x /usr/sbin/smtp-sink ]; then
	echo "installing postfix for its smtp-sink (benchmarks only)"
	sudo=""
	[ "$(id -u)" -eq 0 ] || sudo=sudo
	echo "postfix postfix/main_mailer_type select No configuration" | $sudo debconf-set-selections
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends postfix >/dev/null
fi
sink=$(command -v smtp-sink || echo /usr/sbin/smtp-sink)

echo "== render"
render=$("$obj/bench_render" "$top" | tail -n 1)
echo "$render"

port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$sink" -u nobody "127.0.0.1:$port" 256 &
sinkpid=$!
trap 'kill $sinkpid 2>/dev/null || true' EXIT
sleep 0.5

repo=$out/send-$n
rm -rf "$repo"
/usr/bin/python3 tests/e2e/fixtures/gen_send_repo.py "$repo" --recipients "$n" --limits 100000,100000,100000
export MAILOUT_SECRET=bench-secret-0123456789-0123456789-abcdef
./mailout --repo "$repo" build >/dev/null
size=$(./mailout --repo "$repo" preview one --format eml | wc -c)

echo "== send: $n messages on the virtual clock to smtp-sink"
/usr/bin/time -f '%e %M' -o "$out/send.time" ./mailout --repo "$repo" send \
	--now 2026-12-07T08:30 --for 1d --sink "smtp://127.0.0.1:$port" >"$out/send.out"
tail -n 1 "$out/send.out"
read -r secs mem <"$out/send.time"
sent=$(sed -n 's/^send: \([0-9]*\) sent.*/\1/p' "$out/send.out")
send_rate=$(awk -v n="$sent" -v s="$secs" 'BEGIN { printf "%.0f", n / s }')

echo "== bare libcurl loop: $n messages of $size bytes"
loop=$("$obj/bench_curl_loop" "smtp://127.0.0.1:$port" "$n" "$size")
echo "$loop"
loop_rate=$(echo "$loop" | sed -n 's/.*: \([0-9]*\) messages\/s$/\1/p')
kill $sinkpid 2>/dev/null || true

{
	echo
	echo "## Messages"
	echo
	echo "| what | figure |"
	echo "|---|---|"
	echo "| rendering the example newsletter (full MIME messages, one core) | ${render#render: } |"
	echo "| \`mailout send\` to smtp-sink, virtual clock, $sent messages of $size bytes over 3 accounts (plan refresh, claims, outcomes and plan updates included) | $send_rate messages/s, $secs s, $((mem / 1024)) MiB peak |"
	echo "| bare libcurl loop, same count and size, one connection | $loop_rate messages/s |"
	echo "| sender / loop | $(awk -v a="$send_rate" -v b="$loop_rate" 'BEGIN { printf "%.0f %%", 100 * a / b }') |"
} | tee -a "$out/results.md"
