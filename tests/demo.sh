#!/bin/sh
# make demo: the main job on the bundled example, against a local capture
# SMTP server instead of real accounts.  Everything goes under build/demo/;
# the checkout itself stays clean.
set -eu
top=$(pwd)
demo="$top/build/demo"
mailout="$top/mailout"
rm -rf "$demo"
mkdir -p "$demo/repo" "$demo/spool"
cp -R mailout.yaml recipients templates campaigns "$demo/repo/"
[ -d site ] && cp -R site "$demo/repo/"
rm -rf "$demo"/repo/campaigns/*/log
(cd "$demo/repo" && git init -q && git add -A &&
	git -c user.name=demo -c user.email=demo@example.com commit -qm "example content")

# a capture server on a free port
port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
/usr/bin/python3 tests/tools/fault_smtpd.py --port "$port" --spool "$demo/spool" --quiet \
	>"$demo/smtpd.out" 2>&1 &
smtpd=$!
trap 'kill $smtpd 2>/dev/null || true' EXIT
i=0
until grep -q READY "$demo/smtpd.out" 2>/dev/null; do
	i=$((i + 1))
	[ $i -lt 100 ] || { echo "demo: the capture SMTP server did not start" >&2; exit 1; }
	sleep 0.1
done

# tokens need a secret; the demo uses a throw-away one
MAILOUT_SECRET=${MAILOUT_SECRET:-demo-secret-not-for-production-0123456789}
export MAILOUT_SECRET
monday=$(date -d 'next monday' +%Y-%m-%d)T08:00

echo "== mailout validate"
"$mailout" --repo "$demo/repo" validate
echo "== mailout build"
"$mailout" --repo "$demo/repo" build
echo "== mailout send --now $monday --for 5d --sink smtp://127.0.0.1:$port"
"$mailout" --repo "$demo/repo" send --now "$monday" --for 5d --sink "smtp://127.0.0.1:$port" |
	tail -n 15
echo "== mailout status"
MAILOUT_NOW=$(date -d "$(date -d 'next monday' +%Y-%m-%d) + 4 days" +%Y-%m-%d)T17:00 \
	"$mailout" --repo "$demo/repo" status
"$mailout" --repo "$demo/repo" build >/dev/null
echo
echo "captured messages: $demo/spool/*.eml ($(ls "$demo/spool" | grep -c '\.eml$') messages)"
echo "logs:              $demo/repo/campaigns/*/log/"
if [ -f "$demo/repo/build/site/index.html" ]; then
	echo "status site:       $demo/repo/build/site/index.html"
fi
