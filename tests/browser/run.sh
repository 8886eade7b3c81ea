#!/bin/sh
# Runs a script of the status site's browser tests (default: site.test.js,
# list.test.js, then a11y.test.js; a11y.test.js: axe-core and html-validate over pages and
# messages; screenshots.js makes the README's screenshots).  Installs the npm packages
# from package-lock.json first when they are missing (node_modules is never
# committed).  Needs node, npm and Debian's chromium: tests/deps.sh installs
# them.  MAILOUT names the binary to test (default: ./mailout of the
# repository).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
for tool in node npm; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "browser: '$tool' is missing (run 'make deps')" >&2
		exit 2
	fi
done
if [ ! -x "${CHROMIUM:-/usr/bin/chromium}" ]; then
	echo "browser: no chromium at ${CHROMIUM:-/usr/bin/chromium} (run 'make deps')" >&2
	exit 2
fi
if [ ! -f "$here/node_modules/playwright-core/package.json" ] ||
	[ ! -f "$here/node_modules/axe-core/package.json" ] ||
	[ ! -f "$here/node_modules/html-validate/package.json" ]; then
	(cd "$here" && npm ci --no-audit --no-fund --loglevel=error)
fi
if [ $# -gt 0 ]; then
	exec node "$here/$1"
fi
status=0
node "$here/site.test.js" || status=1
node "$here/list.test.js" || status=1
node "$here/a11y.test.js" || status=1
exit $status
